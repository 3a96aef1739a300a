/* VDP station: PDU layout, every state transition (responses, rejections
 * with and without KEEP, each timeout, ECP errors), keep-alive timing,
 * bridge-initiated DeAssoc, org TLVs both ways, negotiation. The bridge is
 * played by hand-built frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sami/ecp.h"
#include "sami/evb.h"
#include "sami/vdp.h"
#include "sami/vdp_bridge.h" /* the other end of the wire */
#include "sami/vdp_station.h"

#define MAXF 64
#define MAXEV 32

static const uint8_t MAC_S[6] = {0x52, 0x54, 0, 0, 0, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MGRID[16] = "blabla";

/* default timers: R 3, RTE 8, RWD 20, RKA 20 */
#define ACK_T 2560u
#define RESP_T 15755520u /* 1.5 * (7 * 2560 + 10485760) */
#define KA_T 10485760u   /* 10 us * 2^20 */

struct rec {
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    size_t len;
};

struct sh {
    struct sami_vdp_station st;
    struct sami_vdp_station_vsi vsis[3];
    struct sami_ecp_slot slots[4];
    struct rec tx[MAXF];
    size_t ntx;
    struct sami_vdp_station_event ev[MAXEV];
    uint8_t ev_state_at_cb[MAXEV];
    size_t nev;
    size_t norg;
    uint8_t org_sub[8];
    int org_vsi_type[8]; /* -1 = standalone */
    size_t org_nev[8];   /* events seen before this org TLV */
    uint16_t bseq;       /* the fake bridge's ECP sequence */
};

static void s_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct sh *h = ctx;
    assert_true(h->ntx < MAXF);
    memcpy(h->tx[h->ntx].f, frame, len);
    h->tx[h->ntx].len = len;
    h->ntx++;
}

static void s_event(void *ctx, sami_usec_t now, const struct sami_vdp_station_event *ev)
{
    struct sh *h = ctx;
    (void)now;
    assert_true(h->nev < MAXEV);
    h->ev[h->nev] = *ev;
    h->ev_state_at_cb[h->nev] = ev->vsi ? ev->vsi->state : 0xff;
    h->nev++;
}

static void s_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                  const struct sami_vdp_tlv *tlv)
{
    struct sh *h = ctx;
    (void)now;
    assert_int_equal(tlv->type, SAMI_VDP_TLV_ORG);
    assert_true(h->norg < 8);
    h->org_sub[h->norg] = tlv->u.org.subtype;
    h->org_vsi_type[h->norg] = vsi ? vsi->type : -1;
    h->org_nev[h->norg] = h->nev;
    h->norg++;
}

static void setup_sh(struct sh *h, size_t nvsis)
{
    memset(h, 0, sizeof *h);
    struct sami_vdp_station_config cfg;
    sami_vdp_station_config_default(&cfg);
    memcpy(cfg.mac, MAC_S, 6);
    memcpy(cfg.mgrid, MGRID, 16);
    struct sami_vdp_station_callbacks cb = {s_tx, s_event, s_org, h};
    assert_int_equal(sami_vdp_station_init(&h->st, &cfg, &cb, h->vsis, nvsis, h->slots, 4), 0);
    h->bseq = 100;
}

/* A VSI: UUID ...idb, type 5 v4, MAC/VID filter. */
struct vsi_in {
    struct sami_vdp_vsi v;
    struct sami_vdp_filter f;
};

static void mk_vsi(struct vsi_in *x, uint8_t idb, uint16_t vid)
{
    memset(x, 0, sizeof *x);
    x->v.type_id = 5;
    x->v.type_ver = 4;
    x->v.id_format = SAMI_VDP_VSIID_UUID;
    for (int i = 0; i < 16; i++)
        x->v.id[i] = (uint8_t)(i * 0x11);
    x->v.id[15] = idb;
    x->v.filter_format = SAMI_VDP_FILTER_MAC_VID;
    x->v.count = 1;
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(x->f.mac, mac, 6);
    x->f.vid = vid;
    x->v.filters = &x->f;
}

/* Last request frame the station sent (acks skipped). */
static const struct rec *last_req(const struct sh *h)
{
    for (size_t i = h->ntx; i-- > 0;)
        if (h->tx[i].len >= 60 && (h->tx[i].f[14] & 0x0c) == 0)
            return &h->tx[i];
    fail_msg("no request sent");
    return NULL;
}

static size_t count_reqs(const struct sh *h)
{
    size_t n = 0;
    for (size_t i = 0; i < h->ntx; i++)
        n += h->tx[i].len >= 60 && (h->tx[i].f[14] & 0x0c) == 0;
    return n;
}

static void decode_req(const struct rec *r, struct sami_vdp *out)
{
    struct sami_ecp e;
    assert_int_equal(sami_ecp_decode(r->f + 14, r->len - 14, &e, NULL), 0);
    assert_int_equal(e.hdr.op, SAMI_ECP_OP_REQUEST);
    assert_int_equal(sami_vdp_decode(e.ulpdu, e.ulpdu_len, out, NULL), 0);
    assert_false(out->no_end);
}

/* The bridge acks the station's last request. */
static void ack_last(struct sh *h, sami_usec_t now)
{
    const struct rec *r = last_req(h);
    uint8_t f[18];
    memcpy(f, MAC_S, 6);
    memcpy(f + 6, MAC_B, 6);
    f[12] = 0x89;
    f[13] = 0x40;
    f[14] = 0x14;
    f[15] = 0x01;
    f[16] = r->f[16];
    f[17] = r->f[17];
    assert_int_equal(sami_vdp_station_input(&h->st, now, f, sizeof f), 0);
}

/* The bridge sends a ULPDU (wrapped in ECP, padded). */
static void bridge_pdu(struct sh *h, sami_usec_t now, const uint8_t *ulpdu, size_t len)
{
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    const uint8_t group[6] = SAMI_ECP_GROUP_MAC_INIT;
    memcpy(f, group, 6);
    memcpy(f + 6, MAC_B, 6);
    f[12] = 0x89;
    f[13] = 0x40;
    h->bseq++;
    f[14] = 0x10;
    f[15] = 0x01;
    f[16] = (uint8_t)(h->bseq >> 8);
    f[17] = (uint8_t)h->bseq;
    memcpy(f + 18, ulpdu, len);
    size_t n = 18 + len;
    if (n < 60) {
        memset(f + n, 0, 60 - n);
        n = 60;
    }
    size_t before = h->ntx;
    assert_int_equal(sami_vdp_station_input(&h->st, now, f, n), 0);
    assert_true(h->ntx > before);             /* the station acks */
    assert_int_equal(h->tx[before].len, 18);
}

/* A VSI TLV from the bridge: response (reason/hard/keep) or request form. */
static void bridge_vsi(struct sh *h, sami_usec_t now, const struct vsi_in *x, uint8_t type,
                       bool response, uint8_t reason, bool hard, bool keep, const uint8_t *org,
                       size_t org_len)
{
    struct sami_vdp_vsi v = x->v;
    v.type = type;
    v.response = response;
    v.reason = reason;
    v.hard = hard;
    v.keep = keep;
    uint8_t pdu[600];
    size_t len = 0;
    assert_int_equal(sami_vdp_sm_build(pdu, sizeof pdu, MGRID, &v, org, org_len, &len), 0);
    bridge_pdu(h, now, pdu, len);
}

static void respond_ok(struct sh *h, sami_usec_t now, const struct vsi_in *x, uint8_t type)
{
    bridge_vsi(h, now, x, type, true, 0, false, false, NULL, 0);
}

/* An org TLV (type 127): OUI 0A-53-4D, subtype, n payload octets. */
static size_t mk_org(uint8_t *buf, uint8_t subtype, size_t n)
{
    size_t vlen = 4 + n;
    buf[0] = (uint8_t)(127 << 1 | (vlen >> 8 & 1));
    buf[1] = (uint8_t)vlen;
    buf[2] = 0x0a;
    buf[3] = 0x53;
    buf[4] = 0x4d;
    buf[5] = subtype;
    for (size_t i = 0; i < n; i++)
        buf[6 + i] = (uint8_t)i;
    return 2 + vlen;
}

static const struct sami_vdp_station_event *last_ev(const struct sh *h)
{
    assert_true(h->nev > 0);
    return &h->ev[h->nev - 1];
}

static const struct sami_vdp_station_vsi *find(const struct sh *h, const struct vsi_in *x)
{
    return sami_vdp_station_find(&h->st, x->v.id_format, x->v.id);
}

/* Request + ECP ack + success response; checks the result event. */
static void step_ok(struct sh *h, sami_usec_t now, const struct vsi_in *x, uint8_t op,
                    uint8_t hints, uint8_t want_state)
{
    size_t nev = h->nev;
    assert_int_equal(sami_vdp_station_request(&h->st, now, &x->v, op, hints, NULL, 0), 0);
    ack_last(h, now + 10);
    respond_ok(h, now + 20, x, op);
    assert_int_equal(h->nev, nev + 1);
    const struct sami_vdp_station_event *ev = last_ev(h);
    assert_int_equal(ev->type, SAMI_VDP_STATION_EV_RESULT);
    assert_int_equal(ev->code, 0);
    assert_int_equal(ev->op, op);
    assert_int_equal(ev->hints, hints);
    assert_int_equal(ev->state, want_state);
    assert_int_equal(find(h, x)->state, want_state);
    assert_int_equal(h->ev_state_at_cb[h->nev - 1], want_state); /* consistent in the callback */
}

static void test_request_pdu_layout(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    uint8_t org[64];
    size_t olen = mk_org(org, 2, 10);
    olen += mk_org(org + olen, 9, 3);
    assert_int_equal(sami_vdp_station_request(&h.st, 1000, &x.v, SAMI_VDP_TLV_ASSOC,
                                              SAMI_VDP_STATUS_S, org, olen),
                     0);
    assert_int_equal(h.ntx, 1);
    struct sami_vdp d;
    decode_req(&h.tx[0], &d);
    assert_int_equal(d.ntlv, 4);
    assert_int_equal(d.tlv[0].type, SAMI_VDP_TLV_MGRID); /* Manager ID first */
    assert_memory_equal(d.tlv[0].u.mgrid.id, MGRID, 16);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ASSOC);
    const struct sami_vdp_vsi *v = &d.tlv[1].u.vsi;
    assert_int_equal(v->status, 0x20); /* S hint, request */
    assert_int_equal(v->type_id, 5);
    assert_int_equal(v->type_ver, 4);
    assert_memory_equal(v->id, x.v.id, 16);
    assert_int_equal(v->count, 1);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(v, 0, &f), 0);
    assert_int_equal(f.vid, 100);
    assert_int_equal(d.tlv[2].type, SAMI_VDP_TLV_ORG); /* org TLVs after the VSI, in order */
    assert_int_equal(d.tlv[2].u.org.subtype, 2);
    assert_int_equal(d.tlv[3].u.org.subtype, 9);
    assert_false(d.no_end); /* End last */
    const struct sami_vdp_station_vsi *e = find(&h, &x);
    assert_non_null(e);
    assert_int_equal(e->pending_op, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(e->state, SAMI_VDP_VSI_DEASSOCIATED);
    /* earliest timer: the ECP ack, then the response timeout */
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), 1000 + ACK_T);
    ack_last(&h, 1100);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), 1000 + RESP_T);
}

static void test_timer_formulas(void **state)
{
    (void)state;
    struct sami_vdp_sm_params p;
    sami_vdp_sm_params_default(&p);
    assert_int_equal(p.r, 3);
    assert_int_equal(p.rte, 8);
    assert_int_equal(p.rwd, 20);
    assert_int_equal(p.rka, 20);
    assert_int_equal(sami_vdp_sm_ack_time(&p), ACK_T);
    assert_int_equal(sami_vdp_sm_resource_wait(&p), 10485760);
    assert_int_equal(sami_vdp_sm_reinit_keepalive(&p), KA_T);
    assert_int_equal(sami_vdp_sm_resp_timeout(&p), RESP_T);
    assert_int_equal(sami_vdp_sm_keepalive_timeout(&p), 15755520);
    p.r = 0;
    p.rte = 0;
    p.rwd = 0;
    p.rka = 1;
    assert_int_equal(sami_vdp_sm_resp_timeout(&p), 30);      /* 1.5 * (10 + 10) */
    assert_int_equal(sami_vdp_sm_keepalive_timeout(&p), 45); /* 1.5 * (10 + 20) */
    p.rka = 32;
    assert_int_equal(sami_vdp_sm_params_check(&p), SAMI_ERR_VALUE);
    assert_string_equal(sami_vdp_sm_state_name(SAMI_VDP_VSI_ASSOCIATED), "associated");
}

static void test_all_success_transitions(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    step_ok(&h, 1000, &x, SAMI_VDP_TLV_PREASSOC_RR, SAMI_VDP_STATUS_M,
            SAMI_VDP_VSI_PREASSOCIATED_RR);
    step_ok(&h, 2000, &x, SAMI_VDP_TLV_ASSOC, SAMI_VDP_STATUS_M, SAMI_VDP_VSI_ASSOCIATED);
    step_ok(&h, 3000, &x, SAMI_VDP_TLV_ASSOC, SAMI_VDP_STATUS_S, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(find(&h, &x)->hints, SAMI_VDP_STATUS_S);
    step_ok(&h, 4000, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    step_ok(&h, 5000, &x, SAMI_VDP_TLV_DEASSOC, 0, SAMI_VDP_VSI_DEASSOCIATED);
    /* deassociated: no keep-alive, nothing pending */
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
    /* a DeAssoc for a VSI never associated is allowed (the bridge acks it) */
    struct vsi_in y;
    mk_vsi(&y, 2, 100);
    step_ok(&h, 6000, &y, SAMI_VDP_TLV_DEASSOC, 0, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(h.st.stats.rx_responses, 7);
}

static void test_reject_without_keep_deassociates(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    assert_int_equal(sami_vdp_station_request(&h.st, 100, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0),
                     0);
    ack_last(&h, 110);
    bridge_vsi(&h, 120, &x, SAMI_VDP_TLV_ASSOC, true, SAMI_VDP_REASON_INVALID_ADDR, true, false,
               NULL, 0);
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->code, SAMI_ERR_REJECTED);
    assert_int_equal(ev->reason, SAMI_VDP_REASON_INVALID_ADDR);
    assert_true(ev->hard);
    assert_false(ev->keep);
    assert_int_equal(ev->prev_state, SAMI_VDP_VSI_PREASSOCIATED);
    assert_int_equal(ev->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(find(&h, &x)->last_reason, SAMI_VDP_REASON_INVALID_ADDR);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
}

static void test_reject_with_keep_keeps_state_and_keepalive(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    /* Assoc with other filters, refused with KEEP */
    struct vsi_in x2;
    mk_vsi(&x2, 1, 200);
    assert_int_equal(sami_vdp_station_request(&h.st, 100, &x2.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0),
                     0);
    ack_last(&h, 110);
    bridge_vsi(&h, 120, &x2, SAMI_VDP_TLV_ASSOC, true, SAMI_VDP_REASON_NO_RESOURCES, false, true,
               NULL, 0);
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->code, SAMI_ERR_REJECTED);
    assert_true(ev->keep);
    assert_int_equal(ev->state, SAMI_VDP_VSI_PREASSOCIATED);
    /* the keep-alive re-sends what was agreed: PreAssoc, VID 100 */
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), 120 + KA_T);
    sami_vdp_station_run(&h.st, 120 + KA_T);
    struct sami_vdp d;
    decode_req(last_req(&h), &d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_PREASSOC);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(&d.tlv[1].u.vsi, 0, &f), 0);
    assert_int_equal(f.vid, 100);
    /* KEEP with reason 0 counts as success (lldpad's reading) */
    ack_last(&h, 120 + KA_T + 5);
    bridge_vsi(&h, 120 + KA_T + 10, &x, SAMI_VDP_TLV_PREASSOC, true, 0, false, true, NULL, 0);
    assert_int_equal(last_ev(&h)->code, 0);
    assert_true(last_ev(&h)->keepalive);
}

static void test_lldpad_deassoc_form_failure(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(sami_vdp_station_request(&h.st, 100, &x.v, SAMI_VDP_TLV_PREASSOC, 0, NULL,
                                              0),
                     0);
    ack_last(&h, 110);
    /* lldpad's bridge answers a failure with a DeAssoc TLV, response bit set */
    bridge_vsi(&h, 120, &x, SAMI_VDP_TLV_DEASSOC, true, SAMI_VDP_REASON_OTHER, false, false, NULL,
               0);
    assert_int_equal(last_ev(&h)->type, SAMI_VDP_STATION_EV_RESULT);
    assert_int_equal(last_ev(&h)->code, SAMI_ERR_REJECTED);
    assert_int_equal(last_ev(&h)->op, SAMI_VDP_TLV_PREASSOC);
    assert_int_equal(last_ev(&h)->state, SAMI_VDP_VSI_DEASSOCIATED);
}

static void check_timeout_from(uint8_t setup_op, uint8_t op)
{
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    uint8_t prev = SAMI_VDP_VSI_DEASSOCIATED;
    if (setup_op) {
        step_ok(&h, 0, &x, setup_op, 0, setup_op == 4 ? 0 : setup_op);
        prev = setup_op == 4 ? 0 : setup_op;
    }
    sami_usec_t t0 = 500;
    assert_int_equal(sami_vdp_station_request(&h.st, t0, &x.v, op, 0, NULL, 0), 0);
    ack_last(&h, t0 + 100); /* ECP delivered it; the bridge never answers */
    size_t nev = h.nev;
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), t0 + RESP_T);
    sami_vdp_station_run(&h.st, t0 + RESP_T - 1);
    assert_int_equal(h.nev, nev);
    sami_vdp_station_run(&h.st, t0 + RESP_T);
    assert_int_equal(h.nev, nev + 1);
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->type, SAMI_VDP_STATION_EV_RESULT);
    assert_int_equal(ev->code, SAMI_ERR_TIMEOUT);
    assert_int_equal(ev->op, op);
    assert_int_equal(ev->prev_state, prev);
    assert_int_equal(ev->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(h.st.stats.timeouts, 1);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
    /* a late response matches nothing */
    respond_ok(&h, t0 + RESP_T + 1, &x, op);
    assert_int_equal(h.nev, nev + 1);
    assert_int_equal(h.st.stats.rx_unmatched, 1);
}

static void test_each_response_timeout(void **state)
{
    (void)state;
    check_timeout_from(0, SAMI_VDP_TLV_PREASSOC);
    check_timeout_from(0, SAMI_VDP_TLV_PREASSOC_RR);
    check_timeout_from(SAMI_VDP_TLV_PREASSOC, SAMI_VDP_TLV_ASSOC);
    check_timeout_from(SAMI_VDP_TLV_PREASSOC_RR, SAMI_VDP_TLV_ASSOC);
    check_timeout_from(SAMI_VDP_TLV_ASSOC, SAMI_VDP_TLV_PREASSOC);
    check_timeout_from(SAMI_VDP_TLV_ASSOC, SAMI_VDP_TLV_DEASSOC);
}

static void test_ecp_error_fails_request(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    sami_usec_t t0 = 1000;
    assert_int_equal(sami_vdp_station_request(&h.st, t0, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0),
                     0);
    size_t nreq = count_reqs(&h);
    for (int i = 1; i <= 4; i++)
        sami_vdp_station_run(&h.st, t0 + (sami_usec_t)i * ACK_T);
    assert_int_equal(count_reqs(&h), nreq + 3); /* R retransmissions */
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->code, SAMI_ERR_RETRIES);
    assert_int_equal(ev->op, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(ev->prev_state, SAMI_VDP_VSI_PREASSOCIATED);
    assert_int_equal(ev->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(h.st.stats.ecp_errors, 1);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
}

static void test_keepalive_timing_and_refresh(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    uint8_t org[32];
    size_t olen = mk_org(org, 2, 4);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &x.v, SAMI_VDP_TLV_ASSOC,
                                              SAMI_VDP_STATUS_M, org, olen),
                     0);
    ack_last(&h, 10);
    respond_ok(&h, 20, &x, SAMI_VDP_TLV_ASSOC);
    sami_usec_t t1 = 20 + KA_T;
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), t1);
    size_t nreq = count_reqs(&h);
    sami_vdp_station_run(&h.st, t1 - 1);
    assert_int_equal(count_reqs(&h), nreq);
    sami_vdp_station_run(&h.st, t1);
    assert_int_equal(count_reqs(&h), nreq + 1);
    struct sami_vdp d;
    decode_req(last_req(&h), &d);
    assert_int_equal(d.ntlv, 2); /* Manager ID + Assoc: org TLVs are not repeated */
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(d.tlv[1].u.vsi.status, SAMI_VDP_STATUS_M); /* same hints */
    assert_true(find(&h, &x)->pending_keepalive);
    assert_int_equal(h.st.stats.keepalives, 1);
    /* answered: next keep-alive one period after the response */
    ack_last(&h, t1 + 5);
    respond_ok(&h, t1 + 300, &x, SAMI_VDP_TLV_ASSOC);
    assert_true(last_ev(&h)->keepalive);
    assert_int_equal(last_ev(&h)->code, 0);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), t1 + 300 + KA_T);

    /* the next keep-alive goes unanswered: the VSI is lost */
    sami_usec_t t2 = t1 + 300 + KA_T;
    sami_vdp_station_run(&h.st, t2);
    ack_last(&h, t2 + 5);
    sami_vdp_station_run(&h.st, t2 + RESP_T);
    assert_true(last_ev(&h)->keepalive);
    assert_int_equal(last_ev(&h)->code, SAMI_ERR_TIMEOUT);
    assert_int_equal(last_ev(&h)->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
}

static void test_request_suspends_keepalive(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(sami_vdp_station_request(&h.st, 1000, &x.v, SAMI_VDP_TLV_ASSOC,
                                              SAMI_VDP_STATUS_S, NULL, 0),
                     0);
    ack_last(&h, 1010);
    /* keep-alive due at 20 + KA_T is not sent while the request is out */
    size_t nreq = count_reqs(&h);
    sami_vdp_station_run(&h.st, 20 + KA_T);
    assert_int_equal(count_reqs(&h), nreq);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), 1000 + RESP_T);
}

static void test_unsolicited_deassoc(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
    uint8_t org[32];
    size_t olen = mk_org(org, 3, 2);
    /* request form (bit 6 clear), status 0x00, as lldpad's bridge sends */
    bridge_vsi(&h, 500, &x, SAMI_VDP_TLV_DEASSOC, false, 0, false, false, org, olen);
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->type, SAMI_VDP_STATION_EV_DEASSOC);
    assert_int_equal(ev->prev_state, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(ev->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(find(&h, &x)->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), SAMI_NO_DEADLINE);
    assert_int_equal(h.st.stats.rx_deassoc, 1);
    /* the org TLV riding on it came first, with the VSI */
    assert_int_equal(h.norg, 1);
    assert_int_equal(h.org_vsi_type[0], SAMI_VDP_TLV_DEASSOC);
    assert_int_equal(h.org_nev[0], h.nev - 1);
    /* again: nothing left to drop */
    bridge_vsi(&h, 600, &x, SAMI_VDP_TLV_DEASSOC, false, 0, false, false, NULL, 0);
    assert_int_equal(h.st.stats.rx_unmatched, 1);
    /* the station may associate again */
    step_ok(&h, 700, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
}

static void test_unsolicited_deassoc_while_request_in_flight(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
    assert_int_equal(sami_vdp_station_request(&h.st, 100, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0),
                     0);
    ack_last(&h, 110);
    bridge_vsi(&h, 120, &x, SAMI_VDP_TLV_DEASSOC, false, 0, false, false, NULL, 0);
    assert_int_equal(last_ev(&h)->type, SAMI_VDP_STATION_EV_DEASSOC);
    assert_int_equal(find(&h, &x)->pending_op, SAMI_VDP_TLV_ASSOC);
    respond_ok(&h, 130, &x, SAMI_VDP_TLV_ASSOC); /* the bridge took it afterwards */
    assert_int_equal(last_ev(&h)->code, 0);
    assert_int_equal(last_ev(&h)->state, SAMI_VDP_VSI_ASSOCIATED);
}

static void test_response_matching(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in a, b;
    mk_vsi(&a, 1, 100);
    mk_vsi(&b, 2, 100);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0), 0);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &b.v, SAMI_VDP_TLV_PREASSOC, 0, NULL, 0),
                     0);
    ack_last(&h, 5);
    ack_last(&h, 6); /* second request goes out after the first ack */
    ack_last(&h, 7);
    size_t nev = h.nev;
    /* wrong filter (VID 200 where 100 was asked): no match */
    struct vsi_in bad;
    mk_vsi(&bad, 1, 200);
    respond_ok(&h, 10, &bad, SAMI_VDP_TLV_ASSOC);
    /* wrong type version */
    bad = a;
    bad.v.filters = &bad.f;
    bad.v.type_ver = 5;
    respond_ok(&h, 11, &bad, SAMI_VDP_TLV_ASSOC);
    /* wrong TLV type (PreAssoc answer for the Assoc VSI) */
    respond_ok(&h, 12, &a, SAMI_VDP_TLV_PREASSOC);
    assert_int_equal(h.nev, nev);
    assert_int_equal(h.st.stats.rx_unmatched, 3);
    /* b's answer goes to b, a's to a */
    respond_ok(&h, 13, &b, SAMI_VDP_TLV_PREASSOC);
    assert_int_equal(find(&h, &b)->state, SAMI_VDP_VSI_PREASSOCIATED);
    assert_int_equal(find(&h, &a)->pending_op, SAMI_VDP_TLV_ASSOC);
    respond_ok(&h, 14, &a, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(find(&h, &a)->state, SAMI_VDP_VSI_ASSOCIATED);
}

static void test_vid_wildcard_adopted(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in ask, got;
    mk_vsi(&ask, 1, 0); /* "any VLAN" */
    mk_vsi(&got, 1, 321);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &ask.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0),
                     0);
    ack_last(&h, 5);
    respond_ok(&h, 10, &got, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(last_ev(&h)->code, 0);
    sami_vdp_station_run(&h.st, 10 + KA_T);
    struct sami_vdp d;
    decode_req(last_req(&h), &d);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(&d.tlv[1].u.vsi, 0, &f), 0);
    assert_int_equal(f.vid, 321); /* the keep-alive carries the assigned VID */
}

/* Associated, and the keep-alive is out when the hypervisor must send a
 * time-critical SUSPENDED riding an Assoc with the S hint. Before, the
 * request got SAMI_ERR_STATE until the keep-alive's answer (or up to the
 * response timeout, 15.7 s); now it supersedes the keep-alive. Same TLV
 * type: the first Assoc answer is the keep-alive's (ECP and the bridge keep
 * order) and is dropped; the second answers the request. */
static void test_request_supersedes_keepalive(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
    sami_usec_t t1 = 20 + KA_T;
    sami_vdp_station_run(&h.st, t1);
    assert_true(find(&h, &x)->pending_keepalive);
    size_t nreq = count_reqs(&h), nev = h.nev;
    uint8_t org[32];
    size_t olen = mk_org(org, 1, 6);
    sami_usec_t t2 = t1 + 3;
    assert_int_equal(sami_vdp_station_request(&h.st, t2, &x.v, SAMI_VDP_TLV_ASSOC,
                                              SAMI_VDP_STATUS_S, org, olen),
                     0);
    assert_int_equal(h.st.stats.superseded, 1);
    assert_false(find(&h, &x)->pending_keepalive);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), t1 + ACK_T); /* ECP: keep-alive first */
    assert_int_equal(count_reqs(&h), nreq); /* stop-and-wait: queued behind the keep-alive */
    ack_last(&h, t2 + 10);                  /* the keep-alive reached the bridge */
    assert_int_equal(count_reqs(&h), nreq + 1);
    struct sami_vdp d;
    decode_req(last_req(&h), &d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(d.tlv[1].u.vsi.status, SAMI_VDP_STATUS_S);
    assert_int_equal(d.ntlv, 3); /* Manager ID, Assoc, the notification */
    ack_last(&h, t2 + 20);
    /* the bridge's answer to the keep-alive: stale, no event */
    respond_ok(&h, t2 + 30, &x, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(h.nev, nev);
    assert_int_equal(h.st.stats.rx_stale, 1);
    assert_int_equal(find(&h, &x)->pending_op, SAMI_VDP_TLV_ASSOC);
    /* its answer to the request */
    respond_ok(&h, t2 + 40, &x, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(h.nev, nev + 1);
    const struct sami_vdp_station_event *ev = last_ev(&h);
    assert_int_equal(ev->code, 0);
    assert_false(ev->keepalive);
    assert_int_equal(ev->hints, SAMI_VDP_STATUS_S);
    assert_int_equal(find(&h, &x)->hints, SAMI_VDP_STATUS_S);
    assert_int_equal(find(&h, &x)->pending_op, 0);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), t2 + 40 + KA_T);
    /* a user request in flight is still never superseded */
    assert_int_equal(sami_vdp_station_request(&h.st, t2 + 50, &x.v, SAMI_VDP_TLV_PREASSOC, 0,
                                              NULL, 0),
                     0);
    assert_int_equal(sami_vdp_station_request(&h.st, t2 + 51, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL,
                                              0),
                     SAMI_ERR_STATE);
}

/* Another TLV type: the keep-alive's PreAssoc answer is stale; and when it
 * was lost, the Assoc answer still answers the request at once. */
static void test_supersede_other_type(void **state)
{
    (void)state;
    for (int lost = 0; lost <= 1; lost++) {
        struct sh h;
        setup_sh(&h, 3);
        struct vsi_in x;
        mk_vsi(&x, 1, 100);
        step_ok(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, 0, SAMI_VDP_VSI_PREASSOCIATED);
        sami_usec_t t1 = 20 + KA_T;
        sami_vdp_station_run(&h.st, t1);
        ack_last(&h, t1 + 5);
        assert_int_equal(sami_vdp_station_request(&h.st, t1 + 10, &x.v, SAMI_VDP_TLV_ASSOC, 0,
                                                  NULL, 0),
                         0);
        ack_last(&h, t1 + 15);
        size_t nev = h.nev;
        if (!lost) {
            respond_ok(&h, t1 + 20, &x, SAMI_VDP_TLV_PREASSOC);
            assert_int_equal(h.nev, nev);
            assert_int_equal(h.st.stats.rx_stale, 1);
        }
        respond_ok(&h, t1 + 30, &x, SAMI_VDP_TLV_ASSOC);
        assert_int_equal(h.nev, nev + 1);
        assert_int_equal(last_ev(&h)->op, SAMI_VDP_TLV_ASSOC);
        assert_int_equal(last_ev(&h)->code, 0);
        assert_int_equal(find(&h, &x)->state, SAMI_VDP_VSI_ASSOCIATED);
        assert_int_equal(find(&h, &x)->stale_op, 0);
        /* a late PreAssoc answer now matches nothing */
        respond_ok(&h, t1 + 40, &x, SAMI_VDP_TLV_PREASSOC);
        assert_int_equal(h.nev, nev + 1);
        assert_int_equal(find(&h, &x)->state, SAMI_VDP_VSI_ASSOCIATED);
    }
}

/* ECP gave up on the superseded keep-alive: no answer to it will come, so
 * the first Assoc answer is the request's. */
static void test_supersede_keepalive_lost_by_ecp(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    step_ok(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, SAMI_VDP_VSI_ASSOCIATED);
    sami_usec_t t1 = 20 + KA_T;
    sami_vdp_station_run(&h.st, t1);
    assert_int_equal(sami_vdp_station_request(&h.st, t1 + 1, &x.v, SAMI_VDP_TLV_ASSOC,
                                              SAMI_VDP_STATUS_S, NULL, 0),
                     0);
    size_t nev = h.nev;
    for (int i = 1; i <= 4; i++) /* R = 3 retries, then ECP gives up */
        sami_vdp_station_run(&h.st, t1 + (sami_usec_t)i * ACK_T);
    assert_int_equal(h.st.stats.ecp_errors, 1);
    assert_int_equal(h.nev, nev); /* the keep-alive ends silently */
    assert_int_equal(find(&h, &x)->stale_op, 0);
    sami_usec_t t2 = t1 + 4 * ACK_T;
    ack_last(&h, t2 + 5); /* the request went out right after */
    respond_ok(&h, t2 + 10, &x, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(h.nev, nev + 1);
    assert_int_equal(last_ev(&h)->code, 0);
    assert_false(last_ev(&h)->keepalive);
    assert_int_equal(last_ev(&h)->hints, SAMI_VDP_STATUS_S);
}

static void test_request_errors(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 2);
    struct vsi_in a, b, c;
    mk_vsi(&a, 1, 100);
    mk_vsi(&b, 2, 100);
    mk_vsi(&c, 3, 100);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 0, 0, NULL, 0), SAMI_ERR_INVAL);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 5, 0, NULL, 0), SAMI_ERR_INVAL);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 3, 0x40, NULL, 0), SAMI_ERR_INVAL);
    const uint8_t not_org[] = {0x0a, 0x02, 0, 0}; /* type 5 */
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 3, 0, not_org, sizeof not_org),
                     SAMI_ERR_INVAL);
    const uint8_t short_org[] = {0xfe, 0x05, 0x0a, 0x53}; /* length overruns */
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 3, 0, short_org, sizeof short_org),
                     SAMI_ERR_INVAL);
    assert_int_equal(h.ntx, 0);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 3, 0, NULL, 0), 0);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &a.v, 4, 0, NULL, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &b.v, 3, 0, NULL, 0), 0);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &c.v, 3, 0, NULL, 0), SAMI_ERR_LIMIT);
    /* a deassociated, idle entry is recycled */
    ack_last(&h, 1);
    bridge_vsi(&h, 2, &a, SAMI_VDP_TLV_ASSOC, true, 4, false, false, NULL, 0);
    assert_int_equal(find(&h, &a)->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(sami_vdp_station_request(&h.st, 3, &c.v, 3, 0, NULL, 0), 0);
    assert_null(find(&h, &a));
    /* too big for one frame */
    uint8_t big[1600];
    size_t n = 0;
    while (n + 300 < sizeof big)
        n += mk_org(big + n, 2, 290);
    struct vsi_in d;
    mk_vsi(&d, 9, 1);
    setup_sh(&h, 2);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &d.v, 3, 0, big, n), SAMI_ERR_TOOBIG);
}

static void test_standalone_org_both_ways(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    uint8_t org[64];
    size_t olen = mk_org(org, 2, 20);
    uint32_t tok = 0;
    assert_int_equal(sami_vdp_station_send_org(&h.st, 0, org, olen, &tok), 0);
    assert_true(tok != 0);
    struct sami_vdp d;
    decode_req(last_req(&h), &d);
    assert_int_equal(d.ntlv, 2);
    assert_int_equal(d.tlv[0].type, SAMI_VDP_TLV_MGRID);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ORG);
    assert_int_equal(d.tlv[1].length, 24);
    ack_last(&h, 10);
    assert_int_equal(last_ev(&h)->type, SAMI_VDP_STATION_EV_ORG_SENT);
    assert_int_equal(last_ev(&h)->code, 0);
    assert_int_equal(last_ev(&h)->token, tok);
    /* a lost one is reported too */
    assert_int_equal(sami_vdp_station_send_org(&h.st, 20, org, olen, &tok), 0);
    for (int i = 1; i <= 4; i++)
        sami_vdp_station_run(&h.st, 20 + (sami_usec_t)i * ACK_T);
    assert_int_equal(last_ev(&h)->type, SAMI_VDP_STATION_EV_ORG_SENT);
    assert_int_equal(last_ev(&h)->code, SAMI_ERR_RETRIES);
    assert_int_equal(last_ev(&h)->token, tok);

    /* from the bridge: Manager ID + two org TLVs, no VSI (sami feedback) */
    uint8_t pdu[128];
    size_t len = 0, o2 = mk_org(org, 3, 12);
    o2 += mk_org(org + o2, 3, 1);
    assert_int_equal(sami_vdp_sm_build(pdu, sizeof pdu, MGRID, NULL, org, o2, &len), 0);
    bridge_pdu(&h, 100000, pdu, len);
    assert_int_equal(h.norg, 2);
    assert_int_equal(h.org_vsi_type[0], -1);
    assert_int_equal(h.org_sub[1], 3);
    assert_int_equal(h.st.stats.rx_org, 2);
}

static void test_org_on_response_before_result(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0), 0);
    ack_last(&h, 5);
    uint8_t org[32];
    size_t olen = mk_org(org, 3, 5);
    size_t nev = h.nev;
    bridge_vsi(&h, 10, &x, SAMI_VDP_TLV_ASSOC, true, 0, false, false, org, olen);
    assert_int_equal(h.norg, 1);
    assert_int_equal(h.org_vsi_type[0], SAMI_VDP_TLV_ASSOC);
    assert_int_equal(h.org_nev[0], nev); /* before the result */
    assert_int_equal(h.nev, nev + 1);
}

static void test_bad_pdu_dropped(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0), 0);
    ack_last(&h, 5);
    /* a VSI TLV whose length overruns: the whole PDU is dropped (but acked) */
    const uint8_t pdu[] = {0x0a, 0x10, 'b', 'l', 'a', 'b', 'l', 'a', 0, 0, 0, 0, 0, 0, 0, 0, 0,
                           0, 0x07, 0xff, 0x40};
    bridge_pdu(&h, 10, pdu, sizeof pdu);
    assert_int_equal(h.st.stats.rx_bad, 1);
    assert_int_equal(find(&h, &x)->pending_op, SAMI_VDP_TLV_ASSOC);
}

static void test_negotiation_applied(void **state)
{
    (void)state;
    struct sh h;
    setup_sh(&h, 3);
    struct sami_evb local = {0}, remote = {0};
    local.r = 2;
    local.rte = 8;
    local.rwd = 14;
    local.rka = 12;
    remote.r = 3;
    remote.rte = 6;
    remote.rwd = 10;
    remote.rka = 16;
    assert_int_equal(sami_vdp_station_set_evb(&h.st, &local, &remote), 0);
    /* R 3, RTE 8, RWD 14, RKA 16 */
    assert_int_equal(h.st.cfg.params.r, 3);
    assert_int_equal(h.st.cfg.params.rte, 8);
    assert_int_equal(h.st.cfg.params.rwd, 14);
    assert_int_equal(h.st.cfg.params.rka, 16);
    assert_int_equal(h.st.ecp.cfg.r, 3);
    assert_int_equal(h.st.ecp.cfg.rte, 8);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    assert_int_equal(sami_vdp_station_request(&h.st, 0, &x.v, SAMI_VDP_TLV_ASSOC, 0, NULL, 0), 0);
    ack_last(&h, 1);
    sami_usec_t rt = 7u * 2560u + (10u << 14);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), rt + rt / 2);
    respond_ok(&h, 100, &x, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(sami_vdp_station_next_deadline(&h.st), 100 + (10u << 16));
    struct sami_vdp_sm_params bad = {8, 0, 0, 0};
    assert_int_equal(sami_vdp_station_set_params(&h.st, &bad), SAMI_ERR_VALUE);
}

/* The station's next deadline comes from its deadline index (sami/dlheap.h):
 * after every operation of random station/bridge exchanges it must equal
 * the brute-force scan of the table. */
#include "vdp_pair_random.h"

static void test_deadline_index_matches_scan(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++)
        pr_run(seed, 6000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_index_matches_scan),
        cmocka_unit_test(test_request_supersedes_keepalive),
        cmocka_unit_test(test_supersede_other_type),
        cmocka_unit_test(test_supersede_keepalive_lost_by_ecp),
        cmocka_unit_test(test_request_pdu_layout),
        cmocka_unit_test(test_timer_formulas),
        cmocka_unit_test(test_all_success_transitions),
        cmocka_unit_test(test_reject_without_keep_deassociates),
        cmocka_unit_test(test_reject_with_keep_keeps_state_and_keepalive),
        cmocka_unit_test(test_lldpad_deassoc_form_failure),
        cmocka_unit_test(test_each_response_timeout),
        cmocka_unit_test(test_ecp_error_fails_request),
        cmocka_unit_test(test_keepalive_timing_and_refresh),
        cmocka_unit_test(test_request_suspends_keepalive),
        cmocka_unit_test(test_unsolicited_deassoc),
        cmocka_unit_test(test_unsolicited_deassoc_while_request_in_flight),
        cmocka_unit_test(test_response_matching),
        cmocka_unit_test(test_vid_wildcard_adopted),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_standalone_org_both_ways),
        cmocka_unit_test(test_org_on_response_before_result),
        cmocka_unit_test(test_bad_pdu_dropped),
        cmocka_unit_test(test_negotiation_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
