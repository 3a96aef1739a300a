/* VDP station state machine, plus the pieces the bridge shares
 * (sami_vdp_sm_*). See sami/vdp_station.h and docs/ENGINES-VDP.md. */
#include "sami/vdp_station.h"

#include <stddef.h>
#include <string.h>

#include "sami/cursor.h"

/* ==== shared ==== */

void sami_vdp_sm_params_default(struct sami_vdp_sm_params *p)
{
    p->r = SAMI_ECP_ENGINE_DEFAULT_R;
    p->rte = SAMI_ECP_ENGINE_DEFAULT_RTE;
    p->rwd = 20;
    p->rka = 20;
}

int sami_vdp_sm_params_check(const struct sami_vdp_sm_params *p)
{
    if (!p)
        return SAMI_ERR_INVAL;
    if (p->r > SAMI_ECP_ENGINE_MAX_R || p->rte > 31 || p->rwd > 31 || p->rka > 31)
        return SAMI_ERR_VALUE;
    return 0;
}

int sami_vdp_sm_params_negotiate(const struct sami_evb *local, const struct sami_evb *remote,
                                 struct sami_vdp_sm_params *out)
{
    struct sami_evb n;
    if (!out)
        return SAMI_ERR_INVAL;
    int rc = sami_evb_negotiate(local, remote, &n);
    if (rc)
        return rc;
    out->r = n.r;
    out->rte = n.rte;
    out->rwd = n.rwd;
    out->rka = n.rka;
    return sami_vdp_sm_params_check(out);
}

static sami_usec_t exp_time(uint8_t e)
{
    return (sami_usec_t)10u << (e > 31 ? 31 : e);
}

sami_usec_t sami_vdp_sm_ack_time(const struct sami_vdp_sm_params *p)
{
    return exp_time(p->rte);
}

sami_usec_t sami_vdp_sm_resource_wait(const struct sami_vdp_sm_params *p)
{
    return exp_time(p->rwd);
}

sami_usec_t sami_vdp_sm_reinit_keepalive(const struct sami_vdp_sm_params *p)
{
    return exp_time(p->rka);
}

/* 1.5 * (the longest ECP can take to deliver a request and its response:
 * (1 + 2R) ackTimes, plus what the other side may spend). */
static sami_usec_t one_and_a_half(const struct sami_vdp_sm_params *p, sami_usec_t extra)
{
    sami_usec_t t = (1u + 2u * (sami_usec_t)p->r) * sami_vdp_sm_ack_time(p) + extra;
    return t + t / 2u;
}

sami_usec_t sami_vdp_sm_resp_timeout(const struct sami_vdp_sm_params *p)
{
    return one_and_a_half(p, sami_vdp_sm_resource_wait(p));
}

sami_usec_t sami_vdp_sm_keepalive_timeout(const struct sami_vdp_sm_params *p)
{
    return one_and_a_half(p, sami_vdp_sm_reinit_keepalive(p));
}

const char *sami_vdp_sm_state_name(int state)
{
    switch (state) {
    case SAMI_VDP_VSI_DEASSOCIATED:
        return "deassociated";
    case SAMI_VDP_VSI_PREASSOCIATED:
        return "preassociated";
    case SAMI_VDP_VSI_PREASSOCIATED_RR:
        return "preassociated-rr";
    case SAMI_VDP_VSI_ASSOCIATED:
        return "associated";
    default:
        return "unknown";
    }
}

int sami_vdp_sm_vsi_set(struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi)
{
    if (!rec || !vsi)
        return SAMI_ERR_INVAL;
    /* Encode and re-read: one validation path for filters[] and entries
     * input, and the raw entry octets come out as they go on the wire. */
    uint8_t buf[SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN];
    struct sami_vdp_tlv t;
    memset(&t, 0, sizeof t);
    t.type = SAMI_VDP_TLV_ASSOC;
    t.u.vsi.type = SAMI_VDP_TLV_ASSOC;
    t.u.vsi.type_id = vsi->type_id;
    t.u.vsi.type_ver = vsi->type_ver;
    t.u.vsi.id_format = vsi->id_format;
    memcpy(t.u.vsi.id, vsi->id, SAMI_VDP_VSIID_LEN);
    t.u.vsi.filter_format = vsi->filter_format;
    t.u.vsi.count = vsi->count;
    t.u.vsi.entries = vsi->entries;
    t.u.vsi.filters = vsi->filters;
    if (vsi->count && !vsi->entries && !vsi->filters)
        return SAMI_ERR_INVAL;
    size_t len = 0;
    int rc = sami_vdp_tlv_encode(&t, buf, sizeof buf, &len);
    if (rc)
        return rc == SAMI_ERR_NOBUFS ? SAMI_ERR_TOOBIG : rc;
    struct sami_rd r;
    struct sami_vdp_tlv back;
    sami_rd_init(&r, buf, len, NULL);
    rc = sami_vdp_tlv_read(&r, &back);
    if (rc)
        return rc;
    size_t elen = back.u.vsi.count * sami_vdp_filter_entry_size(back.u.vsi.filter_format);
    if (elen > SAMI_VDP_SM_MAX_ENTRY_BYTES)
        return SAMI_ERR_TOOBIG;
    memset(rec, 0, sizeof *rec);
    rec->type_id = back.u.vsi.type_id;
    rec->type_ver = back.u.vsi.type_ver;
    rec->id_format = back.u.vsi.id_format;
    memcpy(rec->id, back.u.vsi.id, SAMI_VDP_VSIID_LEN);
    rec->filter_format = back.u.vsi.filter_format;
    rec->count = back.u.vsi.count;
    rec->entries_len = (uint16_t)elen;
    if (elen)
        memcpy(rec->entries, back.u.vsi.entries, elen);
    return 0;
}

void sami_vdp_sm_vsi_view(const struct sami_vdp_sm_vsi *rec, uint8_t type,
                          struct sami_vdp_vsi *out)
{
    memset(out, 0, sizeof *out);
    out->type = type;
    out->type_id = rec->type_id;
    out->type_ver = rec->type_ver;
    out->id_format = rec->id_format;
    memcpy(out->id, rec->id, SAMI_VDP_VSIID_LEN);
    out->filter_format = rec->filter_format;
    out->count = rec->count;
    out->entries = rec->entries_len ? rec->entries : NULL;
}

bool sami_vdp_sm_same_id(const struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi)
{
    return rec->id_format == vsi->id_format &&
           memcmp(rec->id, vsi->id, SAMI_VDP_VSIID_LEN) == 0;
}

bool sami_vdp_sm_same_vsi(const struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi,
                          bool vid_wildcard)
{
    if (!sami_vdp_sm_same_id(rec, vsi) || rec->type_id != vsi->type_id ||
        rec->type_ver != vsi->type_ver || rec->filter_format != vsi->filter_format ||
        rec->count != vsi->count)
        return false;
    size_t esz = sami_vdp_filter_entry_size(rec->filter_format);
    if (!esz || (size_t)rec->count * esz != rec->entries_len)
        return rec->entries_len == 0 && rec->count == 0;
    if (rec->entries_len && !vsi->entries)
        return false;
    for (size_t i = 0; i < rec->count; i++) {
        const uint8_t *a = rec->entries + i * esz, *b = vsi->entries + i * esz;
        /* Every entry ends with the PS/PCP/VID word. */
        if (memcmp(a, b, esz - 2) != 0)
            return false;
        uint16_t wa = (uint16_t)(a[esz - 2] << 8 | a[esz - 1]);
        uint16_t wb = (uint16_t)(b[esz - 2] << 8 | b[esz - 1]);
        if (wa == wb)
            continue;
        if (!vid_wildcard || (wa & 0x0fffu) != 0 || (wa & 0xf000u) != (wb & 0xf000u))
            return false;
    }
    return true;
}

int sami_vdp_sm_check_org(const uint8_t *org, size_t len)
{
    if (!org && len)
        return SAMI_ERR_INVAL;
    struct sami_rd r;
    sami_rd_init(&r, org, len, NULL);
    while (!sami_rd_done(&r)) {
        struct sami_vdp_tlv t;
        if (sami_vdp_tlv_read(&r, &t) || t.type != SAMI_VDP_TLV_ORG)
            return SAMI_ERR_INVAL;
    }
    return 0;
}

int sami_vdp_sm_build(uint8_t *buf, size_t cap, const uint8_t mgrid[SAMI_VDP_MGRID_LEN],
                      const struct sami_vdp_vsi *vsi, const uint8_t *org, size_t org_len,
                      size_t *len)
{
    struct sami_vdp_builder b;
    struct sami_vdp_mgrid m;
    int rc = sami_vdp_sm_check_org(org, org_len);
    if (rc)
        return rc;
    memcpy(m.id, mgrid, SAMI_VDP_MGRID_LEN);
    sami_vdp_builder_init(&b, buf, cap);
    (void)sami_vdp_add_mgrid(&b, &m);
    if (vsi)
        (void)sami_vdp_add_vsi(&b, vsi);
    struct sami_rd r;
    sami_rd_init(&r, org, org_len, NULL);
    while (!sami_rd_done(&r)) {
        struct sami_vdp_tlv t;
        (void)sami_vdp_tlv_read(&r, &t); /* checked above */
        (void)sami_vdp_add_raw(&b, t.type, t.value, t.length);
    }
    rc = sami_vdp_finish(&b, len);
    return rc == SAMI_ERR_NOBUFS ? SAMI_ERR_TOOBIG : rc;
}

void sami_vdp_sm_ecp_config(struct sami_ecp_engine_config *ec, const uint8_t mac[6],
                            const uint8_t dst[6], const struct sami_vdp_sm_params *p,
                            sami_usec_t dup_window_us)
{
    sami_ecp_engine_config_default(ec);
    memcpy(ec->mac, mac, 6);
    memcpy(ec->dst, dst, 6);
    ec->r = p->r;
    ec->rte = p->rte;
    ec->dup_window_us = dup_window_us;
}

void sami_vdp_sm_config_default(uint8_t dst[6], struct sami_vdp_sm_params *params)
{
    static const uint8_t group[6] = SAMI_ECP_GROUP_MAC_INIT;
    memcpy(dst, group, 6);
    sami_vdp_sm_params_default(params);
}

int sami_vdp_sm_set_params(struct sami_ecp_engine *ecp, struct sami_vdp_sm_params *cur,
                           const struct sami_vdp_sm_params *p)
{
    int rc = sami_vdp_sm_params_check(p);
    if (rc)
        return rc;
    rc = sami_ecp_engine_set_params(ecp, p->r, p->rte);
    if (rc)
        return rc;
    *cur = *p;
    return 0;
}

int sami_vdp_sm_set_evb(struct sami_ecp_engine *ecp, struct sami_vdp_sm_params *cur,
                        const struct sami_evb *local, const struct sami_evb *remote)
{
    struct sami_vdp_sm_params p;
    int rc = sami_vdp_sm_params_negotiate(local, remote, &p);
    return rc ? rc : sami_vdp_sm_set_params(ecp, cur, &p);
}

/* ==== station ==== */

static void station_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct sami_vdp_station *st = ctx;
    st->cb.tx(st->cb.ctx, frame, len);
}

static void station_deliver(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                            const uint8_t *ulpdu, size_t len);
static void station_acked(void *ctx, sami_usec_t now, uint32_t token);
static void station_ecp_error(void *ctx, sami_usec_t now, uint32_t token, int code);

void sami_vdp_station_config_default(struct sami_vdp_station_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    sami_vdp_sm_config_default(cfg->dst, &cfg->params);
}

int sami_vdp_station_init(struct sami_vdp_station *st, const struct sami_vdp_station_config *cfg,
                          const struct sami_vdp_station_callbacks *cb,
                          struct sami_vdp_station_vsi *vsis, size_t nvsis,
                          struct sami_ecp_slot *slots, size_t nslots)
{
    if (!st || !cfg || !cb || !cb->tx || !vsis || !nvsis || !slots || !nslots)
        return SAMI_ERR_INVAL;
    int rc = sami_vdp_sm_params_check(&cfg->params);
    if (rc)
        return rc;
    memset(st, 0, sizeof *st);
    st->cfg = *cfg;
    st->cb = *cb;
    st->vsis = vsis;
    st->nvsis = nvsis;
    memset(vsis, 0, nvsis * sizeof *vsis);
    rc = sami_dlheap_init(&st->dl, vsis, nvsis, sizeof *vsis,
                          offsetof(struct sami_vdp_station_vsi, dl));
    if (rc)
        return rc;

    struct sami_ecp_engine_config ec;
    sami_vdp_sm_ecp_config(&ec, cfg->mac, cfg->dst, &cfg->params, cfg->ecp_dup_window_us);
    ec.initial_seq = cfg->ecp_initial_seq;
    struct sami_ecp_engine_callbacks ecb = {station_tx, station_deliver, station_acked,
                                            station_ecp_error, st};
    return sami_ecp_engine_init(&st->ecp, &ec, &ecb, slots, nslots);
}

int sami_vdp_station_set_params(struct sami_vdp_station *st, const struct sami_vdp_sm_params *p)
{
    return sami_vdp_sm_set_params(&st->ecp, &st->cfg.params, p);
}

int sami_vdp_station_set_evb(struct sami_vdp_station *st, const struct sami_evb *local,
                             const struct sami_evb *remote)
{
    return sami_vdp_sm_set_evb(&st->ecp, &st->cfg.params, local, remote);
}

static uint8_t state_of(uint8_t op)
{
    return op == SAMI_VDP_TLV_DEASSOC ? SAMI_VDP_VSI_DEASSOCIATED : op;
}

/* Re-reads an entry's timers into the index; called after every change to
 * in_use, resp_deadline or ka_deadline (before any callback runs). */
static void sync_dl(struct sami_vdp_station *st, const struct sami_vdp_station_vsi *e)
{
    sami_usec_t d = SAMI_NO_DEADLINE;
    if (e->in_use)
        d = e->resp_deadline < e->ka_deadline ? e->resp_deadline : e->ka_deadline;
    sami_dlheap_set(&st->dl, (size_t)(e - st->vsis), d);
}

static struct sami_vdp_station_vsi *find_by_id(struct sami_vdp_station *st, uint8_t fmt,
                                               const uint8_t id[SAMI_VDP_VSIID_LEN])
{
    for (size_t i = 0; i < st->nvsis; i++) {
        struct sami_vdp_station_vsi *v = &st->vsis[i];
        if (v->in_use && v->rec.id_format == fmt && memcmp(v->rec.id, id, SAMI_VDP_VSIID_LEN) == 0)
            return v;
    }
    return NULL;
}

const struct sami_vdp_station_vsi *sami_vdp_station_find(const struct sami_vdp_station *st,
                                                         uint8_t id_format,
                                                         const uint8_t id[SAMI_VDP_VSIID_LEN])
{
    return find_by_id((struct sami_vdp_station *)st, id_format, id);
}

/* Builds and queues the PDU for one VSI request. */
static int send_vsi(struct sami_vdp_station *st, sami_usec_t now, const struct sami_vdp_sm_vsi *rec,
                    uint8_t op, uint8_t hints, const uint8_t *org, size_t org_len,
                    uint32_t *token)
{
    struct sami_vdp_vsi v;
    size_t len = 0;
    sami_vdp_sm_vsi_view(rec, op, &v);
    v.migrate_to = (hints & SAMI_VDP_STATUS_M) != 0;
    v.suspended = (hints & SAMI_VDP_STATUS_S) != 0;
    int rc = sami_vdp_sm_build(st->pdu, sizeof st->pdu, st->cfg.mgrid, &v, org, org_len, &len);
    if (rc)
        return rc;
    rc = sami_ecp_engine_send(&st->ecp, now, st->pdu, len, token);
    if (rc == 0)
        st->stats.tx_pdus++;
    return rc;
}

int sami_vdp_station_request(struct sami_vdp_station *st, sami_usec_t now,
                             const struct sami_vdp_vsi *vsi, uint8_t op, uint8_t hints,
                             const uint8_t *org, size_t org_len)
{
    if (!st || !vsi || op < SAMI_VDP_TLV_PREASSOC || op > SAMI_VDP_TLV_DEASSOC ||
        (hints & ~(SAMI_VDP_STATUS_M | SAMI_VDP_STATUS_S)))
        return SAMI_ERR_INVAL;
    int rc = sami_vdp_sm_check_org(org, org_len);
    if (rc)
        return rc;
    struct sami_vdp_sm_vsi req;
    rc = sami_vdp_sm_vsi_set(&req, vsi);
    if (rc)
        return rc;

    struct sami_vdp_station_vsi *e = find_by_id(st, req.id_format, req.id);
    bool fresh = false;
    /* A keep-alive must not hold up a user request (a SUSPENDED riding an
     * Assoc is on the blackout path) for up to the response timeout. One
     * superseded keep-alive is tracked; a second would be ambiguous. */
    bool supersede = e && e->pending_op && e->pending_keepalive && !e->stale_op;
    if (e && e->pending_op && !supersede)
        return SAMI_ERR_STATE;
    if (!e) {
        /* A free entry first; else recycle one the bridge no longer holds. */
        for (size_t i = 0; i < st->nvsis && !e; i++)
            if (!st->vsis[i].in_use)
                e = &st->vsis[i];
        for (size_t i = 0; i < st->nvsis && !e; i++)
            if (st->vsis[i].state == SAMI_VDP_VSI_DEASSOCIATED && !st->vsis[i].pending_op)
                e = &st->vsis[i];
        if (!e)
            return SAMI_ERR_LIMIT;
        fresh = true;
    }
    uint32_t token = 0;
    rc = send_vsi(st, now, &req, op, hints, org, org_len, &token);
    if (rc)
        return rc;
    if (fresh) {
        struct sami_dlheap_link keep = e->dl; /* heap storage: survives */
        memset(e, 0, sizeof *e);
        e->dl = keep;
        e->in_use = true;
        e->state = SAMI_VDP_VSI_DEASSOCIATED;
        e->rec = req;
        e->ka_deadline = SAMI_NO_DEADLINE;
    }
    if (supersede) {
        /* ECP delivers in order and the bridge answers in order: its
         * answer to the keep-alive comes before the one to this request. */
        e->stale_op = e->pending_op;
        e->stale_token = e->ecp_token;
        st->stats.superseded++;
    }
    e->req = req;
    e->pending_op = op;
    e->pending_hints = hints;
    e->pending_keepalive = false;
    e->ecp_token = token;
    e->resp_deadline = now + sami_vdp_sm_resp_timeout(&st->cfg.params);
    /* No keep-alive while a request is out: the request refreshes the VSI. */
    e->ka_deadline = SAMI_NO_DEADLINE;
    sync_dl(st, e);
    return 0;
}

int sami_vdp_station_send_org(struct sami_vdp_station *st, sami_usec_t now, const uint8_t *org,
                              size_t org_len, uint32_t *token)
{
    if (!st)
        return SAMI_ERR_INVAL;
    size_t slot = SAMI_VDP_STATION_MAX_ORG_INFLIGHT;
    for (size_t i = 0; i < SAMI_VDP_STATION_MAX_ORG_INFLIGHT; i++)
        if (st->org_tokens[i] == 0) {
            slot = i;
            break;
        }
    if (slot == SAMI_VDP_STATION_MAX_ORG_INFLIGHT)
        return SAMI_ERR_LIMIT;
    size_t len = 0;
    int rc = sami_vdp_sm_build(st->pdu, sizeof st->pdu, st->cfg.mgrid, NULL, org, org_len, &len);
    if (rc)
        return rc;
    uint32_t t = 0;
    rc = sami_ecp_engine_send(&st->ecp, now, st->pdu, len, &t);
    if (rc)
        return rc;
    st->stats.tx_pdus++;
    st->org_tokens[slot] = t;
    if (token)
        *token = t;
    return 0;
}

static void emit(struct sami_vdp_station *st, sami_usec_t now, const struct sami_vdp_station_event *ev)
{
    if (st->cb.event)
        st->cb.event(st->cb.ctx, now, ev);
}

/* Ends the request in flight without a response (timeout or ECP error):
 * like the standard's station machine, the VSI ends deassociated. */
static void fail_pending(struct sami_vdp_station *st, sami_usec_t now,
                         struct sami_vdp_station_vsi *e, int code)
{
    struct sami_vdp_station_event ev = {0};
    ev.type = SAMI_VDP_STATION_EV_RESULT;
    ev.vsi = e;
    ev.op = e->pending_op;
    ev.hints = e->pending_hints;
    ev.keepalive = e->pending_keepalive;
    ev.code = code;
    ev.prev_state = e->state;
    e->state = SAMI_VDP_VSI_DEASSOCIATED;
    e->pending_op = 0;
    e->pending_keepalive = false;
    e->ecp_token = 0;
    e->resp_deadline = SAMI_NO_DEADLINE;
    e->ka_deadline = SAMI_NO_DEADLINE;
    e->stale_op = 0; /* never outlives the request that superseded it */
    sync_dl(st, e);
    ev.state = e->state;
    emit(st, now, &ev);
}

static bool take_org_token(struct sami_vdp_station *st, uint32_t token)
{
    for (size_t i = 0; i < SAMI_VDP_STATION_MAX_ORG_INFLIGHT; i++)
        if (token && st->org_tokens[i] == token) {
            st->org_tokens[i] = 0;
            return true;
        }
    return false;
}

static void org_sent(struct sami_vdp_station *st, sami_usec_t now, uint32_t token, int code)
{
    struct sami_vdp_station_event ev = {0};
    ev.type = SAMI_VDP_STATION_EV_ORG_SENT;
    ev.code = code;
    ev.token = token;
    emit(st, now, &ev);
}

static void station_acked(void *ctx, sami_usec_t now, uint32_t token)
{
    struct sami_vdp_station *st = ctx;
    if (take_org_token(st, token))
        org_sent(st, now, token, 0);
}

static void station_ecp_error(void *ctx, sami_usec_t now, uint32_t token, int code)
{
    struct sami_vdp_station *st = ctx;
    st->stats.ecp_errors++;
    if (take_org_token(st, token)) {
        org_sent(st, now, token, code);
        return;
    }
    for (size_t i = 0; i < st->nvsis; i++) {
        struct sami_vdp_station_vsi *e = &st->vsis[i];
        if (e->in_use && e->stale_op && e->stale_token == token) {
            /* the superseded keep-alive most likely never arrived: no
             * answer to drop before the new request's */
            e->stale_op = 0;
            return;
        }
        /* A response may have beaten the lost ack: then nothing is pending. */
        if (e->in_use && e->pending_op && e->ecp_token == token) {
            fail_pending(st, now, e, code);
            return;
        }
    }
}

static void on_response(struct sami_vdp_station *st, sami_usec_t now, const struct sami_vdp_vsi *v)
{
    struct sami_vdp_station_vsi *s = find_by_id(st, v->id_format, v->id);
    if (s && s->stale_op) {
        /* The first answer after a supersede is the keep-alive's (its type,
         * or lldpad's DeAssoc failure form): stale, the request's follows.
         * Another type can only answer the new request: the keep-alive's
         * answer was lost. */
        uint8_t stale = s->stale_op;
        s->stale_op = 0;
        if (v->type == stale || v->type == SAMI_VDP_TLV_DEASSOC) {
            st->stats.rx_stale++;
            return;
        }
    }
    struct sami_vdp_station_vsi *e = NULL;
    for (size_t i = 0; i < st->nvsis && !e; i++) {
        struct sami_vdp_station_vsi *c = &st->vsis[i];
        if (c->in_use && c->pending_op &&
            (v->type == c->pending_op || v->type == SAMI_VDP_TLV_DEASSOC) &&
            sami_vdp_sm_same_vsi(&c->req, v, true))
            e = c;
    }
    if (!e) {
        st->stats.rx_unmatched++;
        return;
    }
    st->stats.rx_responses++;
    struct sami_vdp_station_event ev = {0};
    ev.type = SAMI_VDP_STATION_EV_RESULT;
    ev.vsi = e;
    ev.op = e->pending_op;
    ev.hints = e->pending_hints;
    ev.keepalive = e->pending_keepalive;
    ev.reason = v->reason;
    ev.hard = v->hard;
    ev.keep = v->keep;
    ev.prev_state = e->state;
    e->last_reason = v->reason;
    e->last_hard = v->hard;
    e->last_keep = v->keep;

    /* lldpad's bridge answers a failed non-DeAssoc request with a DeAssoc
     * TLV: the VSI is gone whatever the reason says. KEEP with reason 0 is
     * success, as lldpad's station reads it. */
    bool deassoc_form = v->type == SAMI_VDP_TLV_DEASSOC && e->pending_op != SAMI_VDP_TLV_DEASSOC;
    bool ok = !deassoc_form && v->reason == 0 && !v->hard;
    if (ok) {
        e->state = state_of(e->pending_op);
        e->hints = e->pending_hints;
        e->rec = e->req;
        /* Adopt what the bridge filled in (VIDs left 0 in the request). */
        if (e->rec.entries_len && v->entries)
            memcpy(e->rec.entries, v->entries, e->rec.entries_len);
        ev.code = 0;
    } else {
        ev.code = SAMI_ERR_REJECTED;
        if (deassoc_form || !v->keep)
            e->state = SAMI_VDP_VSI_DEASSOCIATED;
        /* With KEEP the bridge kept what was agreed before: so do we. */
    }
    e->pending_op = 0;
    e->pending_keepalive = false;
    e->ecp_token = 0;
    e->resp_deadline = SAMI_NO_DEADLINE;
    e->ka_deadline = e->state == SAMI_VDP_VSI_DEASSOCIATED
                         ? SAMI_NO_DEADLINE
                         : now + sami_vdp_sm_reinit_keepalive(&st->cfg.params);
    sync_dl(st, e);
    ev.state = e->state;
    emit(st, now, &ev);
}

static void on_bridge_deassoc(struct sami_vdp_station *st, sami_usec_t now,
                              const struct sami_vdp_vsi *v)
{
    /* By VSI ID alone: a bridge that drops a VSI drops it whole. */
    struct sami_vdp_station_vsi *e = find_by_id(st, v->id_format, v->id);
    if (!e || e->state == SAMI_VDP_VSI_DEASSOCIATED) {
        st->stats.rx_unmatched++;
        return;
    }
    st->stats.rx_deassoc++;
    struct sami_vdp_station_event ev = {0};
    ev.type = SAMI_VDP_STATION_EV_DEASSOC;
    ev.vsi = e;
    ev.op = SAMI_VDP_TLV_DEASSOC;
    ev.prev_state = e->state;
    e->state = SAMI_VDP_VSI_DEASSOCIATED;
    e->ka_deadline = SAMI_NO_DEADLINE;
    sync_dl(st, e);
    /* A request in flight stays: ECP keeps order, so its response (which
     * the bridge sent after this) decides the final state. */
    ev.state = e->state;
    emit(st, now, &ev);
}

static void on_vsi(struct sami_vdp_station *st, sami_usec_t now, const struct sami_vdp_vsi *v)
{
    if (v->response)
        on_response(st, now, v);
    else if (v->type == SAMI_VDP_TLV_DEASSOC)
        on_bridge_deassoc(st, now, v);
    else
        st->stats.rx_unmatched++; /* a bridge does not send other requests */
}

static void station_deliver(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                            const uint8_t *ulpdu, size_t len)
{
    struct sami_vdp_station *st = ctx;
    (void)subtype;
    (void)src;
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    int rc;
    /* Validate the whole PDU first: one bad TLV drops it (as lldpad). */
    sami_vdp_iter_init(&it, ulpdu, len, NULL);
    while ((rc = sami_vdp_next(&it, &t)) == 1)
        ;
    if (rc != 0 && rc != SAMI_ERR_TRAILING) {
        st->stats.rx_bad++;
        return;
    }
    st->stats.rx_pdus++;
    struct sami_vdp_tlv cur;
    bool have = false;
    sami_vdp_iter_init(&it, ulpdu, len, NULL);
    while (sami_vdp_next(&it, &t) == 1 && t.type != SAMI_VDP_TLV_END) {
        if (t.type >= SAMI_VDP_TLV_PREASSOC && t.type <= SAMI_VDP_TLV_DEASSOC) {
            if (have)
                on_vsi(st, now, &cur.u.vsi);
            cur = t;
            have = true;
        } else if (t.type == SAMI_VDP_TLV_ORG) {
            st->stats.rx_org++;
            if (st->cb.org)
                st->cb.org(st->cb.ctx, now, have ? &cur.u.vsi : NULL, &t);
        }
    }
    if (have)
        on_vsi(st, now, &cur.u.vsi);
}

int sami_vdp_station_input(struct sami_vdp_station *st, sami_usec_t now, const uint8_t *frame,
                           size_t len)
{
    if (!st)
        return SAMI_ERR_INVAL;
    return sami_ecp_engine_input(&st->ecp, now, frame, len);
}

sami_usec_t sami_vdp_station_next_deadline(const struct sami_vdp_station *st)
{
    sami_usec_t d = sami_ecp_engine_next_deadline(&st->ecp);
    sami_usec_t v = sami_dlheap_min(&st->dl);
    return v < d ? v : d;
}

static void keepalive(struct sami_vdp_station *st, sami_usec_t now, struct sami_vdp_station_vsi *e)
{
    uint32_t token = 0;
    uint8_t op = e->state; /* the associating states equal their TLV types */
    int rc = send_vsi(st, now, &e->rec, op, e->hints, NULL, 0, &token);
    if (rc) {
        /* Queue full: try again one ackTime later, when it has drained. */
        st->stats.tx_deferred++;
        e->ka_deadline = now + sami_vdp_sm_ack_time(&st->cfg.params);
        sync_dl(st, e);
        return;
    }
    st->stats.keepalives++;
    e->req = e->rec;
    e->pending_op = op;
    e->pending_hints = e->hints;
    e->pending_keepalive = true;
    e->ecp_token = token;
    e->resp_deadline = now + sami_vdp_sm_resp_timeout(&st->cfg.params);
    e->ka_deadline = SAMI_NO_DEADLINE;
    sync_dl(st, e);
}

void sami_vdp_station_run(struct sami_vdp_station *st, sami_usec_t now)
{
    sami_ecp_engine_run(&st->ecp, now);
    /* No timer due: skip the table (the scan below would change nothing). */
    if (sami_dlheap_min(&st->dl) > now)
        return;
    for (size_t i = 0; i < st->nvsis; i++) {
        struct sami_vdp_station_vsi *e = &st->vsis[i];
        if (!e->in_use)
            continue;
        if (e->pending_op && e->resp_deadline <= now) {
            st->stats.timeouts++;
            fail_pending(st, now, e, SAMI_ERR_TIMEOUT);
        }
        if (!e->pending_op && e->ka_deadline <= now) {
            if (e->state != SAMI_VDP_VSI_DEASSOCIATED)
                keepalive(st, now, e);
            else {
                e->ka_deadline = SAMI_NO_DEADLINE;
                sync_dl(st, e);
            }
        }
    }
}
