/* VDP bridge state machine. See sami/vdp_bridge.h and docs/ENGINES-VDP.md. */
#include "sami/vdp_bridge.h"

#include <stddef.h>
#include <string.h>

static void bridge_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct sami_vdp_bridge *br = ctx;
    br->cb.tx(br->cb.ctx, frame, len);
}

static void bridge_deliver(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                           const uint8_t *ulpdu, size_t len);
static void bridge_acked(void *ctx, sami_usec_t now, uint32_t token);
static void bridge_ecp_error(void *ctx, sami_usec_t now, uint32_t token, int code);

void sami_vdp_bridge_config_default(struct sami_vdp_bridge_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    sami_vdp_sm_config_default(cfg->dst, &cfg->params);
}

int sami_vdp_bridge_init(struct sami_vdp_bridge *br, const struct sami_vdp_bridge_config *cfg,
                         const struct sami_vdp_bridge_callbacks *cb,
                         struct sami_vdp_bridge_vsi *vsis, size_t nvsis,
                         struct sami_ecp_slot *slots, size_t nslots)
{
    if (!br || !cfg || !cb || !cb->tx || !vsis || !nvsis || !slots || !nslots)
        return SAMI_ERR_INVAL;
    int rc = sami_vdp_sm_params_check(&cfg->params);
    if (rc)
        return rc;
    memset(br, 0, sizeof *br);
    br->cfg = *cfg;
    br->cb = *cb;
    br->vsis = vsis;
    br->nvsis = nvsis;
    memset(vsis, 0, nvsis * sizeof *vsis);
    rc = sami_dlheap_init(&br->dl, vsis, nvsis, sizeof *vsis,
                          offsetof(struct sami_vdp_bridge_vsi, dl));
    if (rc)
        return rc;

    struct sami_ecp_engine_config ec;
    sami_vdp_sm_ecp_config(&ec, cfg->mac, cfg->dst, &cfg->params, cfg->ecp_dup_window_us);
    struct sami_ecp_engine_callbacks ecb = {bridge_tx, bridge_deliver, bridge_acked,
                                            bridge_ecp_error, br};
    return sami_ecp_engine_init(&br->ecp, &ec, &ecb, slots, nslots);
}

void sami_vdp_bridge_set_policy(struct sami_vdp_bridge *br, sami_vdp_bridge_policy_fn policy)
{
    br->cb.policy = policy;
}

int sami_vdp_bridge_set_params(struct sami_vdp_bridge *br, const struct sami_vdp_sm_params *p)
{
    return sami_vdp_sm_set_params(&br->ecp, &br->cfg.params, p);
}

int sami_vdp_bridge_set_evb(struct sami_vdp_bridge *br, const struct sami_evb *local,
                            const struct sami_evb *remote)
{
    return sami_vdp_sm_set_evb(&br->ecp, &br->cfg.params, local, remote);
}

/* Re-reads an entry's deadline into the index; called after every change
 * to in_use or expires. */
static void sync_dl(struct sami_vdp_bridge *br, const struct sami_vdp_bridge_vsi *e)
{
    sami_dlheap_set(&br->dl, (size_t)(e - br->vsis), e->in_use ? e->expires : SAMI_NO_DEADLINE);
}

static struct sami_vdp_bridge_vsi *find_by_id(const struct sami_vdp_bridge *br, uint8_t fmt,
                                              const uint8_t id[SAMI_VDP_VSIID_LEN])
{
    for (size_t i = 0; i < br->nvsis; i++) {
        struct sami_vdp_bridge_vsi *v = &br->vsis[i];
        if (v->in_use && v->rec.id_format == fmt && memcmp(v->rec.id, id, SAMI_VDP_VSIID_LEN) == 0)
            return v;
    }
    return NULL;
}

const struct sami_vdp_bridge_vsi *sami_vdp_bridge_find(const struct sami_vdp_bridge *br,
                                                       uint8_t id_format,
                                                       const uint8_t id[SAMI_VDP_VSIID_LEN])
{
    return find_by_id(br, id_format, id);
}

size_t sami_vdp_bridge_count(const struct sami_vdp_bridge *br)
{
    size_t n = 0;
    for (size_t i = 0; i < br->nvsis; i++)
        n += br->vsis[i].in_use;
    return n;
}

static struct sami_vdp_bridge_vsi *free_entry(struct sami_vdp_bridge *br)
{
    for (size_t i = 0; i < br->nvsis; i++)
        if (!br->vsis[i].in_use)
            return &br->vsis[i];
    return NULL;
}

static void emit(struct sami_vdp_bridge *br, sami_usec_t now, const struct sami_vdp_bridge_event *ev)
{
    if (br->cb.event)
        br->cb.event(br->cb.ctx, now, ev);
}

static int queue_pdu(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *mgrid,
                     const struct sami_vdp_vsi *vsi, const uint8_t *org, size_t org_len,
                     uint32_t *token)
{
    size_t len = 0;
    int rc = sami_vdp_sm_build(br->pdu, sizeof br->pdu, mgrid, vsi, org, org_len, &len);
    if (rc == 0)
        rc = sami_ecp_engine_send(&br->ecp, now, br->pdu, len, token);
    if (rc)
        br->stats.tx_dropped++;
    else
        br->stats.tx_pdus++;
    return rc;
}

/* The same TLV, bit 6 set, reason/HARD/KEEP; identity and filters echoed. */
static void respond(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *mgrid,
                    const struct sami_vdp_vsi *req, uint8_t reason, bool hard, bool keep,
                    const uint8_t *org, size_t org_len)
{
    struct sami_vdp_vsi rsp = *req;
    rsp.response = true;
    rsp.migrate_to = false;
    rsp.suspended = false;
    rsp.reserved = 0;
    rsp.reason = (uint8_t)(reason & SAMI_VDP_STATUS_REASON_MASK);
    rsp.hard = hard;
    rsp.keep = keep;
    rsp.filters = NULL;
    /* Org bytes from a policy that are not whole type-127 TLVs are left out:
     * the station still gets its answer. */
    if (sami_vdp_sm_check_org(org, org_len) != 0) {
        org = NULL;
        org_len = 0;
    }
    (void)queue_pdu(br, now, mgrid, &rsp, org, org_len, NULL);
}

/* Sends the unsolicited DeAssoc for a held VSI (request form, status 0x00:
 * what lldpad's bridge sends on keep-alive timeout). */
static int send_deassoc(struct sami_vdp_bridge *br, sami_usec_t now,
                        const struct sami_vdp_bridge_vsi *e, const uint8_t *org, size_t org_len)
{
    struct sami_vdp_vsi v;
    sami_vdp_sm_vsi_view(&e->rec, SAMI_VDP_TLV_DEASSOC, &v);
    return queue_pdu(br, now, e->mgrid, &v, org, org_len, NULL);
}

/* Marks the entry free first, so the event handler sees the table as it is;
 * the record stays readable through ev.vsi during the callback. */
static void drop(struct sami_vdp_bridge *br, sami_usec_t now, struct sami_vdp_bridge_vsi *e,
                 struct sami_vdp_bridge_event *ev)
{
    e->in_use = false;
    sync_dl(br, e);
    ev->vsi = &e->rec;
    ev->station = e->station;
    ev->prev_state = e->state;
    ev->state = SAMI_VDP_VSI_DEASSOCIATED;
    emit(br, now, ev);
}

static uint8_t hints_of(const struct sami_vdp_vsi *v)
{
    return (uint8_t)((v->migrate_to ? SAMI_VDP_STATUS_M : 0) |
                     (v->suspended ? SAMI_VDP_STATUS_S : 0));
}

static void on_request(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t src[6],
                       const uint8_t *mgrid, const struct sami_vdp_vsi *v)
{
    if (v->response) {
        br->stats.rx_unexpected++;
        return;
    }
    br->stats.rx_requests++;
    struct sami_vdp_bridge_vsi *e = find_by_id(br, v->id_format, v->id);
    uint8_t op = v->type, hints = hints_of(v);
    sami_usec_t tout = sami_vdp_sm_keepalive_timeout(&br->cfg.params);
    struct sami_vdp_bridge_event ev = {0};
    ev.op = op;
    ev.hints = hints;

    if (op == SAMI_VDP_TLV_DEASSOC) {
        /* Always granted: refusing a release would only leave stale state. */
        br->stats.deassoc++;
        respond(br, now, mgrid, v, SAMI_VDP_REASON_SUCCESS, false, false, NULL, 0);
        if (e) {
            ev.type = SAMI_VDP_BRIDGE_EV_DEASSOC;
            drop(br, now, e, &ev);
        }
        return;
    }
    if (e && e->state == op && e->hints == hints && sami_vdp_sm_same_vsi(&e->rec, v, false)) {
        /* Keep-alive (lldpad's ALIVE): refresh, no policy round trip. */
        br->stats.refreshes++;
        e->refreshed = now;
        e->expires = now + tout;
        sync_dl(br, e);
        respond(br, now, mgrid, v, SAMI_VDP_REASON_SUCCESS, false, false, NULL, 0);
        return;
    }

    struct sami_vdp_bridge_decision d = {0};
    struct sami_vdp_bridge_vsi *slot = e ? e : free_entry(br);
    d.keep = e != NULL;
    if (!slot) {
        br->stats.rejected_full++;
        d.reason = SAMI_VDP_REASON_NO_RESOURCES;
    } else if (!br->cb.policy) {
        br->stats.no_policy++;
        d.reason = SAMI_VDP_REASON_NO_VSI_MANAGER;
    } else {
        d.reason = SAMI_VDP_REASON_OTHER;
        br->cb.policy(br->cb.ctx, now, v, e, &d);
    }

    struct sami_vdp_sm_vsi rec;
    if (d.accept && sami_vdp_sm_vsi_set(&rec, v) != 0) {
        d.accept = false; /* cannot happen for a decoded TLV; refuse if it does */
        d.reason = SAMI_VDP_REASON_INVALID_FORMAT;
    }
    if (d.accept) {
        br->stats.accepted++;
        ev.type = SAMI_VDP_BRIDGE_EV_ACCEPTED;
        ev.prev_state = e ? e->state : SAMI_VDP_VSI_DEASSOCIATED;
        if (!e) {
            struct sami_dlheap_link keep = slot->dl; /* heap storage: survives */
            memset(slot, 0, sizeof *slot);
            slot->dl = keep;
        }
        slot->rec = rec;
        slot->in_use = true;
        slot->state = op;
        slot->hints = hints;
        memcpy(slot->mgrid, mgrid, SAMI_VDP_MGRID_LEN);
        memcpy(slot->station, src, 6);
        slot->since = now;
        slot->refreshed = now;
        slot->expires = now + tout;
        sync_dl(br, slot);
        respond(br, now, mgrid, v, SAMI_VDP_REASON_SUCCESS, false, false, d.org, d.org_len);
        ev.vsi = &slot->rec;
        ev.station = slot->station;
        ev.state = op;
        emit(br, now, &ev);
        return;
    }

    br->stats.rejected++;
    uint8_t reason = (uint8_t)(d.reason & SAMI_VDP_STATUS_REASON_MASK);
    if (reason == SAMI_VDP_REASON_SUCCESS)
        reason = SAMI_VDP_REASON_OTHER;
    respond(br, now, mgrid, v, reason, d.hard, d.keep, d.org, d.org_len);
    ev.type = SAMI_VDP_BRIDGE_EV_REJECTED;
    ev.reason = reason;
    ev.hard = d.hard;
    ev.keep = d.keep;
    if (e && !d.keep) {
        drop(br, now, e, &ev); /* no KEEP: the previous state is gone too */
        return;
    }
    struct sami_vdp_sm_vsi tmp;
    if (!e && sami_vdp_sm_vsi_set(&tmp, v) == 0)
        ev.vsi = &tmp;
    else if (e)
        ev.vsi = &e->rec;
    ev.station = src;
    ev.prev_state = e ? e->state : SAMI_VDP_VSI_DEASSOCIATED;
    ev.state = ev.prev_state;
    emit(br, now, &ev);
}

static void bridge_deliver(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                           const uint8_t *ulpdu, size_t len)
{
    struct sami_vdp_bridge *br = ctx;
    (void)subtype;
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    int rc;
    sami_vdp_iter_init(&it, ulpdu, len, NULL);
    while ((rc = sami_vdp_next(&it, &t)) == 1)
        ;
    if (rc != 0 && rc != SAMI_ERR_TRAILING) {
        br->stats.rx_bad++;
        return;
    }
    br->stats.rx_pdus++;
    uint8_t mgrid[SAMI_VDP_MGRID_LEN];
    memcpy(mgrid, br->cfg.mgrid, sizeof mgrid);
    struct sami_vdp_tlv cur;
    bool have = false;
    sami_vdp_iter_init(&it, ulpdu, len, NULL);
    /* Org TLVs belong to the VSI TLV before them; each request is decided
     * when the next VSI TLV or the end shows its org TLVs are all out. */
    while (sami_vdp_next(&it, &t) == 1 && t.type != SAMI_VDP_TLV_END) {
        if (t.type == SAMI_VDP_TLV_MGRID) {
            memcpy(mgrid, t.u.mgrid.id, sizeof mgrid);
        } else if (t.type >= SAMI_VDP_TLV_PREASSOC && t.type <= SAMI_VDP_TLV_DEASSOC) {
            if (have)
                on_request(br, now, src, mgrid, &cur.u.vsi);
            cur = t;
            have = true;
        } else if (t.type == SAMI_VDP_TLV_ORG) {
            br->stats.rx_org++;
            if (br->cb.org)
                br->cb.org(br->cb.ctx, now, have ? &cur.u.vsi : NULL, &t);
        }
    }
    if (have)
        on_request(br, now, src, mgrid, &cur.u.vsi);
}

static bool take_org_token(struct sami_vdp_bridge *br, uint32_t token)
{
    for (size_t i = 0; i < SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT; i++)
        if (token && br->org_tokens[i] == token) {
            br->org_tokens[i] = 0;
            return true;
        }
    return false;
}

static void org_sent(struct sami_vdp_bridge *br, sami_usec_t now, uint32_t token, int code)
{
    struct sami_vdp_bridge_event ev = {0};
    ev.type = SAMI_VDP_BRIDGE_EV_ORG_SENT;
    ev.code = code;
    ev.token = token;
    emit(br, now, &ev);
}

static void bridge_acked(void *ctx, sami_usec_t now, uint32_t token)
{
    struct sami_vdp_bridge *br = ctx;
    if (take_org_token(br, token))
        org_sent(br, now, token, 0);
}

static void bridge_ecp_error(void *ctx, sami_usec_t now, uint32_t token, int code)
{
    struct sami_vdp_bridge *br = ctx;
    br->stats.ecp_errors++;
    if (take_org_token(br, token))
        org_sent(br, now, token, code);
    /* A lost response: the station times out and retries; a lost DeAssoc:
     * the station's own keep-alive gets refused later. Nothing to undo. */
}

int sami_vdp_bridge_input(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *frame,
                          size_t len)
{
    if (!br)
        return SAMI_ERR_INVAL;
    return sami_ecp_engine_input(&br->ecp, now, frame, len);
}

sami_usec_t sami_vdp_bridge_next_deadline(const struct sami_vdp_bridge *br)
{
    sami_usec_t d = sami_ecp_engine_next_deadline(&br->ecp);
    sami_usec_t v = sami_dlheap_min(&br->dl);
    return v < d ? v : d;
}

void sami_vdp_bridge_run(struct sami_vdp_bridge *br, sami_usec_t now)
{
    sami_ecp_engine_run(&br->ecp, now);
    /* Nothing expired: skip the table (the scan below would change nothing). */
    if (sami_dlheap_min(&br->dl) > now)
        return;
    for (size_t i = 0; i < br->nvsis; i++) {
        struct sami_vdp_bridge_vsi *e = &br->vsis[i];
        if (!e->in_use || e->expires > now)
            continue;
        br->stats.expired++;
        struct sami_vdp_bridge_event ev = {0};
        ev.type = SAMI_VDP_BRIDGE_EV_EXPIRED;
        ev.op = SAMI_VDP_TLV_DEASSOC;
        ev.code = send_deassoc(br, now, e, NULL, 0);
        drop(br, now, e, &ev);
    }
}

int sami_vdp_bridge_deassoc(struct sami_vdp_bridge *br, sami_usec_t now, uint8_t id_format,
                            const uint8_t id[SAMI_VDP_VSIID_LEN], const uint8_t *org,
                            size_t org_len)
{
    if (!br || !id)
        return SAMI_ERR_INVAL;
    if (sami_vdp_sm_check_org(org, org_len))
        return SAMI_ERR_INVAL;
    struct sami_vdp_bridge_vsi *e = find_by_id(br, id_format, id);
    if (!e)
        return SAMI_ERR_NOTFOUND;
    br->stats.released++;
    struct sami_vdp_bridge_event ev = {0};
    ev.type = SAMI_VDP_BRIDGE_EV_RELEASED;
    ev.op = SAMI_VDP_TLV_DEASSOC;
    ev.code = send_deassoc(br, now, e, org, org_len);
    drop(br, now, e, &ev);
    return ev.code;
}

int sami_vdp_bridge_send_org(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *org,
                             size_t org_len, uint32_t *token)
{
    if (!br)
        return SAMI_ERR_INVAL;
    size_t slot = SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT;
    for (size_t i = 0; i < SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT; i++)
        if (br->org_tokens[i] == 0) {
            slot = i;
            break;
        }
    if (slot == SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT)
        return SAMI_ERR_LIMIT;
    size_t len = 0;
    int rc = sami_vdp_sm_build(br->pdu, sizeof br->pdu, br->cfg.mgrid, NULL, org, org_len, &len);
    if (rc)
        return rc;
    uint32_t t = 0;
    rc = sami_ecp_engine_send(&br->ecp, now, br->pdu, len, &t);
    if (rc)
        return rc;
    br->stats.tx_pdus++;
    br->org_tokens[slot] = t;
    if (token)
        *token = t;
    return 0;
}
