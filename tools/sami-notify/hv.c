/* The hypervisor glue of a one-shot tool: one VSI and one migration over
 * the VDP station (with its ECP engine) and mig_hv.
 *
 * Why not node/'s hypervisor node: sami-notify must be able to keep a
 * notification off the VDP request it would ride (--standalone), must not
 * restart ECP numbering at 1 on every run (lldpad keeps the last sequence it
 * saw from a station and takes a repeat as a duplicate), and must see
 * whether the bridge's VDP response carried sami feedback at all. The node
 * hides the station behind a const accessor and decides the carriage
 * itself, so this file binds the same engines in the same way, minus the
 * queues a multi-migration node needs. */
#include <string.h>

#include "notify.h"

#define ORG_TLV_MAX (SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN)

static void st_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct hv *h = ctx;
    if (wire_send(h->wire, frame, len) != 0)
        h->tx_errors++;
}

static void st_event(void *ctx, sami_usec_t now, const struct sami_vdp_station_event *ev)
{
    struct hv *h = ctx;
    (void)now;
    switch (ev->type) {
    case SAMI_VDP_STATION_EV_RESULT:
        if (ev->keepalive || h->vdp_done)
            break;
        h->vdp_done = true;
        h->vdp_ev = *ev;
        h->vdp_fb = h->in_response && h->resp_fb;
        break;
    case SAMI_VDP_STATION_EV_ORG_SENT:
        if (h->org_pending && ev->token == h->org_token) {
            h->org_pending = false;
            h->org_done = true;
            h->org_code = ev->code;
        }
        break;
    case SAMI_VDP_STATION_EV_DEASSOC:
        h->bridge_deassoc = true;
        break;
    default:
        break;
    }
}

static void st_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                   const struct sami_vdp_tlv *tlv)
{
    struct hv *h = ctx;
    uint8_t sub = 0;
    if (vsi)
        h->in_response = true;
    if (sami_samitlv_peek_subtype(tlv->value, tlv->length, h->oui, &sub, NULL) != 0 ||
        sub != SAMI_SUBTYPE_FEEDBACK || h->q_len >= HV_MAX_FB) {
        h->fb_foreign++;
        return;
    }
    struct sami_feedback *fb = &h->q[h->q_len];
    if (sami_samitlv_feedback_decode(tlv->value, tlv->length, h->oui, fb, NULL) != 0) {
        h->fb_foreign++;
        return;
    }
    h->q_len++;
    if (vsi)
        h->resp_fb = true;
    if (h->n_fb < HV_MAX_FB) {
        h->fb[h->n_fb] = *fb;
        h->fb_at[h->n_fb] = now;
        h->n_fb++;
    }
}

/* The VDP request a time point rides on (docs/ENGINES-MIGRATION.md). */
static int pairing_request(int pairing, uint8_t *op, uint8_t *hints)
{
    switch (pairing) {
    case SAMI_MIG_HV_PAIR_PREASSOC_M:
        *op = SAMI_VDP_TLV_PREASSOC;
        *hints = SAMI_VDP_STATUS_M;
        return 1;
    case SAMI_MIG_HV_PAIR_SUSPEND_S:
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

static int op_send(void *ctx, uint64_t mig_id, int tp, const uint8_t *value, size_t len,
                   int pairing)
{
    struct hv *h = ctx;
    (void)mig_id, (void)tp;
    uint8_t org[ORG_TLV_MAX];
    if (len > SAMI_VDP_TLV_MAX_LEN)
        return SAMI_ERR_TOOBIG;
    org[0] = (uint8_t)(SAMI_VDP_TLV_ORG << 1 | (len >> 8 & 1u));
    org[1] = (uint8_t)(len & 0xffu);
    memcpy(org + 2, value, len);
    uint8_t op, hints;
    /* Only the first transmission rides: a retransmission means an answer
     * went missing, not that the VSI should change state again. */
    if (!h->sent && !h->standalone && pairing_request(pairing, &op, &hints)) {
        int rc = sami_vdp_station_request(&h->st, h->now, &h->vsi, op, hints, org, len + 2);
        if (rc == 0) {
            h->sent = true;
            h->sent_at = h->now;
            h->carriage_op = op;
            h->carriage_hints = hints;
            return 0;
        }
    }
    uint32_t tok = 0;
    int rc = sami_vdp_station_send_org(&h->st, h->now, org, len + 2, &tok);
    if (rc)
        return rc;
    if (!h->sent) {
        h->org_pending = true;
        h->org_token = tok;
        h->sent_at = h->now;
    }
    h->sent = true;
    return 0;
}

static void op_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    struct hv *h = ctx;
    /* The first outcome decides the exit status; a late ROLLBACK after
     * ACKED (mig_hv's second outcome) can only come while we still wait. */
    if (!h->verdict_done || (h->verdict.outcome == SAMI_MIG_HV_ACKED &&
                             v->outcome == SAMI_MIG_HV_ROLLBACK)) {
        h->verdict = *v;
        h->verdict_done = true;
        h->verdict_at = h->now;
    }
}

static const struct sami_mig_hv_ops hv_ops = {op_send, op_verdict};

int hv_init(struct hv *h, struct wire *w, const uint8_t mac[6], const uint8_t mgrid[16],
            const struct sami_vdp_sm_params *params, const uint8_t oui[3],
            const struct sami_mig_hv_cfg *mcfg, uint16_t first_seq)
{
    memset(h, 0, sizeof *h);
    h->wire = w;
    memcpy(h->oui, oui, 3);
    struct sami_vdp_station_config sc;
    sami_vdp_station_config_default(&sc);
    memcpy(sc.mac, mac, 6);
    memcpy(sc.mgrid, mgrid, 16);
    sc.params = *params;
    /* Each run is a new ECP transmitter, but the bridge's receiver is not
     * new: lldpad takes a request whose number equals the last one it saw
     * from this MAC as a duplicate (acked, never delivered). Starting from a
     * number the caller drew at random makes that a 1-in-65535 event. */
    sc.ecp_initial_seq = first_seq;
    struct sami_vdp_station_callbacks cb = {st_tx, st_event, st_org, h};
    int rc = sami_vdp_station_init(&h->st, &sc, &cb, h->vsis, 1, h->slots,
                                   sizeof h->slots / sizeof h->slots[0]);
    if (rc)
        return rc;
    struct sami_mig_hv_cfg mc = *mcfg;
    mc.oui = h->oui;
    return sami_mig_hv_init(&h->mh, &mc, &hv_ops, h, h->recs, 1);
}

void hv_set_vsi(struct hv *h, uint32_t type_id, uint8_t type_ver, const uint8_t uuid[16],
                const struct sami_vdp_filter *f, size_t n)
{
    memset(&h->vsi, 0, sizeof h->vsi);
    h->vsi.type_id = type_id;
    h->vsi.type_ver = type_ver;
    h->vsi.id_format = SAMI_VDP_VSIID_UUID;
    memcpy(h->vsi.id, uuid, 16);
    h->vsi.filter_format = SAMI_VDP_FILTER_MAC_VID;
    if (n > NOTIFY_MAX_FILTERS)
        n = NOTIFY_MAX_FILTERS;
    memcpy(h->filters, f, n * sizeof *f);
    h->vsi.filters = h->filters;
    h->vsi.count = (uint16_t)n;
}

static void drain(struct hv *h)
{
    for (unsigned i = 0; i < h->q_len; i++)
        (void)sami_mig_hv_feedback_input(&h->mh, h->now, &h->q[i]);
    h->q_len = 0;
}

int hv_vdp(struct hv *h, sami_usec_t now, uint8_t op, uint8_t hints)
{
    h->now = now;
    int rc = sami_vdp_station_request(&h->st, now, &h->vsi, op, hints, NULL, 0);
    if (rc == 0) {
        h->sent = true;
        h->carriage_op = op;
        h->carriage_hints = hints;
    }
    return rc;
}

int hv_input(struct hv *h, sami_usec_t now, const uint8_t *frame, size_t len)
{
    h->now = now;
    h->in_response = false;
    h->resp_fb = false;
    int rc = sami_vdp_station_input(&h->st, now, frame, len);
    drain(h);
    return rc;
}

void hv_run(struct hv *h, sami_usec_t now)
{
    h->now = now;
    sami_vdp_station_run(&h->st, now);
    drain(h);
    sami_mig_hv_run(&h->mh, now);
    drain(h);
}

sami_usec_t hv_next_deadline(const struct hv *h)
{
    sami_usec_t a = sami_vdp_station_next_deadline(&h->st);
    sami_usec_t b = sami_mig_hv_next_deadline(&h->mh);
    return a < b ? a : b;
}
