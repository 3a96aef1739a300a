/* Hypervisor node: VDP station + mig_hv, bound together (node/sami/node.h). */
#include <stdlib.h>
#include <string.h>

#include "node_int.h"
#include "sami/ecp.h"

#define ORG_TLV_MAX (SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN)

/* What the node remembers per migration to pair notifications with VDP. */
struct hmig {
    int used;
    uint64_t id;
    struct sami_vdp_sm_vsi vsi;  /* identity and filters */
    uint8_t last_tp;             /* time point last sent (0 = none) */
    size_t rec;                  /* mig_hv's record of it (a hint: records do not move) */
};

/* Upcalls are queued and delivered at a safe point. */
enum { Q_FEEDBACK = 1, Q_VERDICT, Q_VDP };

struct hq {
    int kind;
    union {
        struct sami_feedback fb;
        struct sami_mig_hv_verdict v;
        struct {
            struct sami_vdp_station_event ev;
            struct sami_vdp_station_vsi vsi;
            int has_vsi;
        } vdp;
    } u;
};

struct hnode {
    struct sami_node base;
    struct sami_node_hv_cfg cfg;
    struct sami_vdp_station st;
    struct sami_vdp_station_vsi *vsis;
    struct sami_ecp_slot *slots;
    struct sami_mig_hv mh;
    struct sami_mig_hv_rec *recs;
    struct hmig *migs;
    size_t nmig;
    struct hq *q;
    size_t q_cap, q_head, q_len;
    sami_usec_t now;
    int draining;
};

static struct hnode *H(struct sami_node *n)
{
    return n && n->kind == SAMI_NODE_HV ? (struct hnode *)n : NULL;
}

static const struct hnode *CH(const struct sami_node *n)
{
    return n && n->kind == SAMI_NODE_HV ? (const struct hnode *)n : NULL;
}

static struct hmig *hmig_find(struct hnode *h, uint64_t id)
{
    for (size_t i = 0; i < h->nmig; i++)
        if (h->migs[i].used && h->migs[i].id == id)
            return &h->migs[i];
    return NULL;
}

static struct hq *q_push(struct hnode *h, int kind)
{
    if (h->q_len == h->q_cap) {
        size_t n = h->q_cap ? h->q_cap * 2 : 16;
        struct hq *q = malloc(n * sizeof *q);
        if (!q)
            return NULL;
        for (size_t i = 0; i < h->q_len; i++)
            q[i] = h->q[(h->q_head + i) % h->q_cap];
        free(h->q);
        h->q = q;
        h->q_cap = n;
        h->q_head = 0;
    }
    struct hq *e = &h->q[(h->q_head + h->q_len) % h->q_cap];
    h->q_len++;
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

/* ---------------------------------------------------- station upcalls -- */

static void st_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct hnode *h = ctx;
    h->base.tx(h->base.tx_ctx, h->cfg.port, frame, len);
}

static void st_event(void *ctx, sami_usec_t now, const struct sami_vdp_station_event *ev)
{
    struct hnode *h = ctx;
    (void)now;
    if (!h->cfg.vdp_event)
        return;
    struct hq *e = q_push(h, Q_VDP);
    if (!e)
        return;
    e->u.vdp.ev = *ev;
    if (ev->vsi) {
        e->u.vdp.vsi = *ev->vsi;
        e->u.vdp.has_vsi = 1;
    }
}

static void st_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                   const struct sami_vdp_tlv *tlv)
{
    struct hnode *h = ctx;
    uint8_t st = 0;
    (void)now, (void)vsi;
    if (sami_samitlv_peek_subtype(tlv->value, tlv->length, h->base.oui, &st, NULL) != 0 ||
        st != SAMI_SUBTYPE_FEEDBACK) {
        h->base.c.org_foreign++;
        return;
    }
    struct hq *e = q_push(h, Q_FEEDBACK);
    if (!e)
        return;
    if (sami_samitlv_feedback_decode(tlv->value, tlv->length, h->base.oui, &e->u.fb, NULL) != 0) {
        h->base.c.org_bad++;
        /* drop the slot just taken: it is the last one */
        h->q_len--;
        return;
    }
    h->base.c.fb_rx++;
}

/* ------------------------------------------------------- mig_hv ops -- */

/* The VDP request a time point naturally rides with. */
static int pairing_request(int pairing, uint8_t *op, uint8_t *hints)
{
    switch (pairing) {
    case SAMI_MIG_HV_PAIR_PREASSOC_M:
        *op = SAMI_VDP_TLV_PREASSOC;
        *hints = SAMI_VDP_STATUS_M;
        return 1;
    case SAMI_MIG_HV_PAIR_SUSPEND_S:
        /* The VSI stays associated at the source; the S hint says the VM
         * behind it is suspended. */
        *op = SAMI_VDP_TLV_ASSOC;
        *hints = SAMI_VDP_STATUS_S;
        return 1;
    case SAMI_MIG_HV_PAIR_ASSOC:
        *op = SAMI_VDP_TLV_ASSOC;
        *hints = 0;
        return 1;
    case SAMI_MIG_HV_PAIR_DEASSOC:
        *op = SAMI_VDP_TLV_DEASSOC;
        *hints = 0;
        return 1;
    default:
        return 0;
    }
}

static int op_send_notification(void *ctx, uint64_t mig_id, int tp, const uint8_t *value,
                                size_t len, int pairing)
{
    struct hnode *h = ctx;
    uint8_t org[ORG_TLV_MAX];
    size_t olen = node_org_tlv(org, sizeof org, value, len);
    if (!olen) {
        h->base.c.notif_tx_fail++;
        return SAMI_ERR_TOOBIG;
    }
    struct hmig *m = hmig_find(h, mig_id);
    uint8_t op = 0, hints = 0;
    /* Only the first transmission of a time point rides its VDP request:
     * a retransmission means the answer went missing, not that the VSI
     * should change state again. */
    if (m && m->last_tp != tp && pairing_request(pairing, &op, &hints)) {
        struct sami_vdp_vsi v;
        sami_vdp_sm_vsi_view(&m->vsi, op, &v);
        int rc = sami_vdp_station_request(&h->st, h->now, &v, op, hints, org, olen);
        if (rc == 0) {
            m->last_tp = (uint8_t)tp;
            h->base.c.notif_tx_riding++;
            return 0;
        }
        /* SAMI_ERR_STATE: a user request is in flight for the VSI (a
         * keep-alive is superseded by the station instead); the
         * notification must not wait for it. */
    }
    int rc = sami_vdp_station_send_org(&h->st, h->now, org, olen, NULL);
    if (rc == 0) {
        if (m)
            m->last_tp = (uint8_t)tp;
        h->base.c.notif_tx_standalone++;
        return 0;
    }
    h->base.c.notif_tx_fail++;
    return rc;
}

static void op_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    struct hnode *h = ctx;
    struct hq *e = q_push(h, Q_VERDICT);
    if (e)
        e->u.v = *v;
}

static const struct sami_mig_hv_ops hv_ops = {op_send_notification, op_verdict};

/* Delivers queued upcalls. A user callback may call back into this node
 * (the nested call's own drain is skipped: this loop picks its queue up). */
static void drain(struct hnode *h)
{
    if (h->draining)
        return;
    h->draining = 1;
    while (h->q_len) {
        struct hq e = h->q[h->q_head];
        h->q_head = (h->q_head + 1) % h->q_cap;
        h->q_len--;
        switch (e.kind) {
        case Q_FEEDBACK:
            (void)sami_mig_hv_feedback_input(&h->mh, h->now, &e.u.fb);
            break;
        case Q_VERDICT:
            if (h->cfg.verdict)
                h->cfg.verdict(h->cfg.ctx, &h->base, h->now, &e.u.v);
            break;
        case Q_VDP:
            if (e.u.vdp.has_vsi)
                e.u.vdp.ev.vsi = &e.u.vdp.vsi;
            if (h->cfg.vdp_event)
                h->cfg.vdp_event(h->cfg.ctx, &h->base, h->now, &e.u.vdp.ev);
            break;
        default:
            break;
        }
    }
    h->draining = 0;
}

/* ----------------------------------------------------------- lifecycle -- */

void sami_node_hv_cfg_default(struct sami_node_hv_cfg *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    sami_vdp_sm_params_default(&cfg->vdp);
    cfg->vdp_set = 1;
    sami_mig_hv_cfg_default(&cfg->mig);
    cfg->max_vsis = SAMI_NODE_DEFAULT_MAX_VSIS;
    cfg->ecp_slots = SAMI_NODE_DEFAULT_ECP_SLOTS;
    cfg->max_migrations = SAMI_NODE_DEFAULT_MAX_MIGRATIONS;
}

static int engines_start(struct hnode *h)
{
    struct sami_vdp_station_config sc;
    sami_vdp_station_config_default(&sc);
    memcpy(sc.mac, h->cfg.mac, 6);
    memcpy(sc.mgrid, h->cfg.mgrid, sizeof sc.mgrid);
    sc.params = h->cfg.vdp;
    struct sami_vdp_station_callbacks cb = {st_tx, st_event, st_org, h};
    int rc = sami_vdp_station_init(&h->st, &sc, &cb, h->vsis, h->cfg.max_vsis, h->slots,
                                   h->cfg.ecp_slots);
    if (rc)
        return rc;
    struct sami_mig_hv_cfg mc = h->cfg.mig;
    mc.oui = h->base.oui;
    rc = sami_mig_hv_init(&h->mh, &mc, &hv_ops, h, h->recs, h->nmig);
    if (rc)
        return rc;
    memset(h->migs, 0, h->nmig * sizeof *h->migs);
    h->q_head = h->q_len = 0;
    return 0;
}

int sami_node_hv_create(const struct sami_node_hv_cfg *cfg, struct sami_node **out)
{
    if (!cfg || !out)
        return SAMI_ERR_INVAL;
    *out = NULL;
    if (!cfg->tx)
        return SAMI_ERR_INVAL;
    struct hnode *h = node_calloc(1, sizeof *h);
    if (!h)
        return SAMI_ERR_NOMEM;
    node_base_init(&h->base, SAMI_NODE_HV, cfg->name, cfg->tx, cfg->tx_ctx, cfg->oui);
    h->cfg = *cfg;
    h->cfg.name = NULL;
    h->cfg.oui = NULL;
    if (!h->cfg.vdp_set && !h->cfg.vdp.r && !h->cfg.vdp.rte && !h->cfg.vdp.rwd &&
        !h->cfg.vdp.rka)
        sami_vdp_sm_params_default(&h->cfg.vdp);
    if (!h->cfg.mig.ack_timeout || !h->cfg.mig.verdict_wait) {
        struct sami_mig_hv_cfg d;
        sami_mig_hv_cfg_default(&d);
        if (!h->cfg.mig.ack_timeout) {
            h->cfg.mig.ack_timeout = d.ack_timeout;
            if (!h->cfg.mig.max_retries)
                h->cfg.mig.max_retries = d.max_retries;
            if (!h->cfg.mig.max_reasks)
                h->cfg.mig.max_reasks = d.max_reasks;
        }
        if (!h->cfg.mig.verdict_wait)
            h->cfg.mig.verdict_wait = d.verdict_wait;
        if (!h->cfg.mig.linger)
            h->cfg.mig.linger = d.linger;
    }
    if (!h->cfg.max_vsis)
        h->cfg.max_vsis = SAMI_NODE_DEFAULT_MAX_VSIS;
    if (!h->cfg.ecp_slots)
        h->cfg.ecp_slots = SAMI_NODE_DEFAULT_ECP_SLOTS;
    if (!h->cfg.max_migrations)
        h->cfg.max_migrations = SAMI_NODE_DEFAULT_MAX_MIGRATIONS;
    h->nmig = h->cfg.max_migrations;
    h->vsis = node_calloc(h->cfg.max_vsis, sizeof *h->vsis);
    h->slots = node_calloc(h->cfg.ecp_slots, sizeof *h->slots);
    h->recs = node_calloc(h->nmig, sizeof *h->recs);
    h->migs = node_calloc(h->nmig, sizeof *h->migs);
    int rc = (h->vsis && h->slots && h->recs && h->migs) ? engines_start(h) : SAMI_ERR_NOMEM;
    if (rc) {
        node_hv_destroy(&h->base);
        return rc;
    }
    *out = &h->base;
    return 0;
}

void node_hv_destroy(struct sami_node *n)
{
    struct hnode *h = H(n);
    if (!h)
        return;
    free(h->vsis);
    free(h->slots);
    free(h->recs);
    free(h->migs);
    free(h->q);
    free(h);
}

void node_hv_restart(struct sami_node *n, sami_usec_t now)
{
    struct hnode *h = H(n);
    if (!h)
        return;
    h->now = now;
    (void)engines_start(h); /* cannot fail: the same config worked at create */
}

/* ------------------------------------------------------------- driving -- */

void node_hv_rx(struct sami_node *n, sami_usec_t now, int port, const uint8_t *f, size_t len)
{
    struct hnode *h = H(n);
    if (!h)
        return;
    h->now = now;
    if (port != h->cfg.port || node_ethertype(f, len) != SAMI_ECP_ETHERTYPE) {
        h->base.c.rx_ignored++;
        return;
    }
    (void)sami_vdp_station_input(&h->st, now, f, len);
    drain(h);
}

sami_usec_t node_hv_next_deadline(const struct sami_node *n)
{
    const struct hnode *h = CH(n);
    if (!h)
        return SAMI_NO_DEADLINE;
    sami_usec_t a = sami_vdp_station_next_deadline(&h->st);
    sami_usec_t b = sami_mig_hv_next_deadline(&h->mh);
    return a < b ? a : b;
}

void node_hv_run(struct sami_node *n, sami_usec_t now)
{
    struct hnode *h = H(n);
    if (!h)
        return;
    h->now = now;
    sami_vdp_station_run(&h->st, now);
    drain(h);
    sami_mig_hv_run(&h->mh, now);
    drain(h);
}

/* ----------------------------------------------------------------- API -- */

int sami_node_hv_vdp(struct sami_node *n, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                     uint8_t op, uint8_t hints)
{
    struct hnode *h = H(n);
    if (!h || !vsi)
        return SAMI_ERR_INVAL;
    h->now = now;
    int rc = sami_vdp_station_request(&h->st, now, vsi, op, hints, NULL, 0);
    drain(h);
    return rc;
}

int sami_node_hv_migrate(struct sami_node *n, sami_usec_t now, uint64_t mig_id,
                         const struct sami_vdp_vsi *vsi, const struct sami_bridge_ref *orig,
                         const struct sami_bridge_ref *dest, int role, uint32_t di_types,
                         const uint8_t (*ipv4)[4], size_t n_ipv4, const uint8_t (*ipv6)[16],
                         size_t n_ipv6)
{
    struct hnode *h = H(n);
    if (!h || !vsi)
        return SAMI_ERR_INVAL;
    h->now = now;
    struct hmig *m = NULL;
    struct sami_mig_hv_info info;
    for (size_t i = 0; i < h->nmig; i++) {
        /* mig_hv frees finished records itself (linger): so does this table.
         * The record it started in answers in O(1) while it lives; only a
         * gone one costs a lookup (once: it is then dropped here). */
        struct hmig *x = &h->migs[i];
        if (x->used && !(x->rec < h->nmig && h->recs[x->rec].used &&
                         h->recs[x->rec].mig_id == x->id) &&
            sami_mig_hv_get(&h->mh, x->id, &info) != 0)
            x->used = 0;
        if (!h->migs[i].used && !m)
            m = &h->migs[i];
    }
    if (!m)
        return SAMI_ERR_LIMIT;
    struct hmig tmp;
    memset(&tmp, 0, sizeof tmp);
    int rc = sami_vdp_sm_vsi_set(&tmp.vsi, vsi);
    if (rc)
        return rc;
    struct sami_vm_id vm;
    memset(&vm, 0, sizeof vm);
    vm.type_id = vsi->type_id;
    vm.type_version = vsi->type_ver;
    vm.id_format = vsi->id_format;
    memcpy(vm.id, vsi->id, sizeof vm.id);
    rc = sami_mig_hv_start(&h->mh, now, mig_id, &vm, orig, dest, role, di_types);
    if (rc)
        return rc;
    /* The notification names the VM's MAC/VLAN pairs: its VDP filters. */
    struct sami_samitlv_mac_vlan macs[SAMI_SAMITLV_MAX_MACS];
    size_t n_macs = 0;
    for (size_t i = 0; i < vsi->count && n_macs < SAMI_SAMITLV_MAX_MACS; i++) {
        struct sami_vdp_filter f;
        if (sami_vdp_get_filter(vsi, i, &f) != 0)
            break;
        if (vsi->filter_format != SAMI_VDP_FILTER_MAC_VID &&
            vsi->filter_format != SAMI_VDP_FILTER_GROUP_MAC_VID)
            break;
        memcpy(macs[n_macs].mac, f.mac, 6);
        macs[n_macs].word = (uint16_t)((f.ps & 1u) << 15 | (f.pcp & 7u) << 12 | (f.vid & 0xfffu));
        n_macs++;
    }
    if (n_macs || n_ipv4 || n_ipv6) {
        rc = sami_mig_hv_set_addrs(&h->mh, mig_id, macs, n_macs, ipv4, n_ipv4, ipv6, n_ipv6);
        if (rc) {
            (void)sami_mig_hv_end(&h->mh, mig_id);
            return rc;
        }
    }
    tmp.used = 1;
    tmp.id = mig_id;
    tmp.rec = h->nmig;
    for (size_t i = 0; i < h->nmig && tmp.rec == h->nmig; i++)
        if (h->recs[i].used && h->recs[i].mig_id == mig_id)
            tmp.rec = i;
    *m = tmp;
    return 0;
}

int sami_node_hv_time_point(struct sami_node *n, sami_usec_t now, uint64_t mig_id, int tp,
                            uint32_t next_deadline_ms)
{
    struct hnode *h = H(n);
    if (!h)
        return SAMI_ERR_INVAL;
    h->now = now;
    int rc = sami_mig_hv_time_point(&h->mh, now, mig_id, tp, next_deadline_ms);
    drain(h);
    return rc;
}

int sami_node_hv_abort(struct sami_node *n, sami_usec_t now, uint64_t mig_id, uint16_t reason)
{
    struct hnode *h = H(n);
    if (!h)
        return SAMI_ERR_INVAL;
    h->now = now;
    int rc = sami_mig_hv_abort(&h->mh, now, mig_id, reason);
    drain(h);
    return rc;
}

int sami_node_hv_end(struct sami_node *n, uint64_t mig_id)
{
    struct hnode *h = H(n);
    if (!h)
        return SAMI_ERR_INVAL;
    struct hmig *m = hmig_find(h, mig_id);
    if (m)
        m->used = 0;
    return sami_mig_hv_end(&h->mh, mig_id);
}

const struct sami_mig_hv *sami_node_hv_mig(const struct sami_node *n)
{
    const struct hnode *h = CH(n);
    return h ? &h->mh : NULL;
}

const struct sami_vdp_station *sami_node_hv_station(const struct sami_node *n)
{
    const struct hnode *h = CH(n);
    return h ? &h->st : NULL;
}
