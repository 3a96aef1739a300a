/* VDP bridge: responses (same TLV, bit 6, reason/HARD/KEEP), the policy and
 * its safe default, table limit, keep-alive refresh and timeout (unsolicited
 * DeAssoc), station DeAssoc, org TLVs both ways, negotiation. The station is
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
#include "sami/vdp_bridge.h"

#define MAXF 64
#define MAXEV 32

static const uint8_t MAC_S[6] = {0x52, 0x54, 0, 0, 0, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MGRID[16] = "station-mgr";
static const uint8_t BR_MGRID[16] = "bridge";

#define KA_TOUT 15755520u /* 1.5 * (7 * 2560 + 10485760) */

struct rec {
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    size_t len;
};

struct bh {
    struct sami_vdp_bridge br;
    struct sami_vdp_bridge_vsi vsis[2];
    struct sami_ecp_slot slots[4];
    struct rec tx[MAXF];
    size_t ntx;
    struct sami_vdp_bridge_event ev[MAXEV];
    size_t nev;
    /* policy */
    int policy_calls;
    struct sami_vdp_bridge_decision answer;
    uint8_t seen_op;
    bool seen_m, seen_s;
    bool seen_cur;
    size_t norg_at_policy;
    /* org */
    size_t norg;
    int org_op[8]; /* -1 standalone */
    uint8_t org_hints[8];
    uint8_t org_sub[8];
    uint16_t sseq;
};

static void b_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct bh *h = ctx;
    assert_true(h->ntx < MAXF);
    memcpy(h->tx[h->ntx].f, frame, len);
    h->tx[h->ntx].len = len;
    h->ntx++;
}

static void b_event(void *ctx, sami_usec_t now, const struct sami_vdp_bridge_event *ev)
{
    struct bh *h = ctx;
    (void)now;
    assert_true(h->nev < MAXEV);
    h->ev[h->nev++] = *ev;
    if (ev->type != SAMI_VDP_BRIDGE_EV_ORG_SENT)
        assert_non_null(ev->vsi);
}

static void b_policy(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                     const struct sami_vdp_bridge_vsi *cur, struct sami_vdp_bridge_decision *d)
{
    struct bh *h = ctx;
    (void)now;
    h->policy_calls++;
    h->seen_op = req->type;
    h->seen_m = req->migrate_to;
    h->seen_s = req->suspended;
    h->seen_cur = cur != NULL;
    h->norg_at_policy = h->norg;
    /* the default handed in is a refusal */
    assert_false(d->accept);
    assert_int_equal(d->reason, SAMI_VDP_REASON_OTHER);
    assert_int_equal(d->keep, cur != NULL);
    *d = h->answer;
}

static void b_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                  const struct sami_vdp_tlv *tlv)
{
    struct bh *h = ctx;
    (void)now;
    assert_true(h->norg < 8);
    h->org_op[h->norg] = vsi ? vsi->type : -1;
    h->org_hints[h->norg] =
        vsi ? (uint8_t)((vsi->migrate_to ? SAMI_VDP_STATUS_M : 0) |
                        (vsi->suspended ? SAMI_VDP_STATUS_S : 0))
            : 0;
    h->org_sub[h->norg] = tlv->u.org.subtype;
    h->norg++;
}

static void setup_bh(struct bh *h, bool with_policy)
{
    memset(h, 0, sizeof *h);
    struct sami_vdp_bridge_config cfg;
    sami_vdp_bridge_config_default(&cfg);
    memcpy(cfg.mac, MAC_B, 6);
    memcpy(cfg.mgrid, BR_MGRID, 16);
    struct sami_vdp_bridge_callbacks cb = {b_tx, with_policy ? b_policy : NULL, b_event, b_org,
                                           h};
    assert_int_equal(sami_vdp_bridge_init(&h->br, &cfg, &cb, h->vsis, 2, h->slots, 4), 0);
    h->answer.accept = true;
}

struct vsi_in {
    struct sami_vdp_vsi v;
    struct sami_vdp_filter f[2];
};

static void mk_vsi(struct vsi_in *x, uint8_t idb, uint16_t vid)
{
    memset(x, 0, sizeof *x);
    x->v.type_id = 0x123456;
    x->v.type_ver = 1;
    x->v.id_format = SAMI_VDP_VSIID_UUID;
    memset(x->v.id, 0xee, 16);
    x->v.id[15] = idb;
    x->v.filter_format = SAMI_VDP_FILTER_GROUP_MAC_VID;
    x->v.count = 2;
    x->f[0].group_id = 7;
    x->f[0].mac[5] = idb;
    x->f[0].vid = vid;
    x->f[1].group_id = 8;
    x->f[1].mac[5] = (uint8_t)(idb + 1);
    x->f[1].vid = vid;
    x->f[1].pcp = 5;
    x->v.filters = x->f;
}

static size_t mk_org(uint8_t *buf, uint8_t subtype, size_t n)
{
    size_t vlen = 4 + n;
    buf[0] = (uint8_t)(127 << 1 | (vlen >> 8 & 1));
    buf[1] = (uint8_t)vlen;
    buf[2] = 0x0a;
    buf[3] = 0x53;
    buf[4] = 0x4d;
    buf[5] = subtype;
    memset(buf + 6, 0x33, n);
    return 2 + vlen;
}

/* The station sends a ULPDU; returns the number of frames the bridge sent. */
static size_t station_pdu(struct bh *h, sami_usec_t now, const uint8_t *ulpdu, size_t len)
{
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    const uint8_t group[6] = SAMI_ECP_GROUP_MAC_INIT;
    memcpy(f, group, 6);
    memcpy(f + 6, MAC_S, 6);
    f[12] = 0x89;
    f[13] = 0x40;
    h->sseq++;
    f[14] = 0x10;
    f[15] = 0x01;
    f[16] = (uint8_t)(h->sseq >> 8);
    f[17] = (uint8_t)h->sseq;
    memcpy(f + 18, ulpdu, len);
    size_t n = 18 + len;
    if (n < 60) {
        memset(f + n, 0, 60 - n);
        n = 60;
    }
    size_t before = h->ntx;
    assert_int_equal(sami_vdp_bridge_input(&h->br, now, f, n), 0);
    /* first the ECP ack, to the station */
    assert_true(h->ntx > before);
    assert_int_equal(h->tx[before].len, 18);
    assert_memory_equal(h->tx[before].f, MAC_S, 6);
    return h->ntx - before;
}

static size_t station_req(struct bh *h, sami_usec_t now, const struct vsi_in *x, uint8_t op,
                          uint8_t hints, const uint8_t *org, size_t org_len)
{
    struct sami_vdp_vsi v = x->v;
    v.type = op;
    v.migrate_to = (hints & SAMI_VDP_STATUS_M) != 0;
    v.suspended = (hints & SAMI_VDP_STATUS_S) != 0;
    uint8_t pdu[1500];
    size_t len = 0;
    assert_int_equal(sami_vdp_sm_build(pdu, sizeof pdu, MGRID, &v, org, org_len, &len), 0);
    return station_pdu(h, now, pdu, len);
}

/* The bridge acks its own last request frame (the station's role). */
static void station_ack(struct bh *h, sami_usec_t now, const struct rec *r)
{
    uint8_t f[18];
    memcpy(f, MAC_B, 6);
    memcpy(f + 6, MAC_S, 6);
    f[12] = 0x89;
    f[13] = 0x40;
    f[14] = 0x14;
    f[15] = 0x01;
    f[16] = r->f[16];
    f[17] = r->f[17];
    assert_int_equal(sami_vdp_bridge_input(&h->br, now, f, sizeof f), 0);
}

static void decode(const struct rec *r, struct sami_vdp *out)
{
    struct sami_ecp e;
    assert_true(r->len >= 60);
    assert_int_equal(sami_ecp_decode(r->f + 14, r->len - 14, &e, NULL), 0);
    assert_int_equal(e.hdr.op, SAMI_ECP_OP_REQUEST);
    assert_int_equal(sami_vdp_decode(e.ulpdu, e.ulpdu_len, out, NULL), 0);
    assert_false(out->no_end);
}

static const struct sami_vdp_vsi *rsp_vsi(struct sami_vdp *d)
{
    assert_true(d->ntlv >= 2);
    assert_int_equal(d->tlv[0].type, SAMI_VDP_TLV_MGRID);
    return &d->tlv[1].u.vsi;
}

static void check_echo(const struct sami_vdp_vsi *r, const struct vsi_in *x)
{
    assert_int_equal(r->type_id, x->v.type_id);
    assert_int_equal(r->type_ver, x->v.type_ver);
    assert_int_equal(r->id_format, x->v.id_format);
    assert_memory_equal(r->id, x->v.id, 16);
    assert_int_equal(r->filter_format, x->v.filter_format);
    assert_int_equal(r->count, x->v.count);
    for (size_t i = 0; i < x->v.count; i++) {
        struct sami_vdp_filter f;
        assert_int_equal(sami_vdp_get_filter(r, i, &f), 0);
        assert_int_equal(f.group_id, x->f[i].group_id);
        assert_memory_equal(f.mac, x->f[i].mac, 6);
        assert_int_equal(f.vid, x->f[i].vid);
        assert_int_equal(f.pcp, x->f[i].pcp);
    }
}

static const struct sami_vdp_bridge_vsi *find(const struct bh *h, const struct vsi_in *x)
{
    return sami_vdp_bridge_find(&h->br, x->v.id_format, x->v.id);
}

static void test_policy_accept_response(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    assert_int_equal(station_req(&h, 1000, &x, SAMI_VDP_TLV_PREASSOC_RR, SAMI_VDP_STATUS_M, NULL,
                                 0),
                     2);
    assert_int_equal(h.policy_calls, 1);
    assert_int_equal(h.seen_op, SAMI_VDP_TLV_PREASSOC_RR);
    assert_true(h.seen_m);
    assert_false(h.seen_cur);
    struct sami_vdp d;
    decode(&h.tx[1], &d);
    assert_memory_equal(d.tlv[0].u.mgrid.id, MGRID, 16); /* station's Manager ID echoed */
    const struct sami_vdp_vsi *r = rsp_vsi(&d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_PREASSOC_RR); /* same TLV */
    assert_int_equal(r->status, 0x40);                          /* success, as lldpad */
    check_echo(r, &x);
    assert_int_equal(h.nev, 1);
    assert_int_equal(h.ev[0].type, SAMI_VDP_BRIDGE_EV_ACCEPTED);
    assert_int_equal(h.ev[0].state, SAMI_VDP_VSI_PREASSOCIATED_RR);
    assert_int_equal(h.ev[0].hints, SAMI_VDP_STATUS_M);
    assert_memory_equal(h.ev[0].station, MAC_S, 6);
    const struct sami_vdp_bridge_vsi *e = find(&h, &x);
    assert_non_null(e);
    assert_int_equal(e->state, SAMI_VDP_VSI_PREASSOCIATED_RR);
    assert_int_equal(e->expires, 1000 + KA_TOUT);
    assert_int_equal(sami_vdp_bridge_count(&h.br), 1);

    /* PreAssoc-RR -> Assoc is a change: asked again, with the current state */
    station_ack(&h, 1010, &h.tx[1]);
    station_req(&h, 2000, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    assert_int_equal(h.policy_calls, 2);
    assert_true(h.seen_cur);
    assert_int_equal(find(&h, &x)->state, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(h.ev[1].prev_state, SAMI_VDP_VSI_PREASSOCIATED_RR);
    assert_int_equal(h.br.stats.accepted, 2);
}

static void test_policy_reject_with_reason_bits(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    h.answer = (struct sami_vdp_bridge_decision){false, SAMI_VDP_REASON_INVALID_ADDR, true, false,
                                                 NULL, 0};
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    struct sami_vdp d;
    decode(&h.tx[1], &d);
    const struct sami_vdp_vsi *r = rsp_vsi(&d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(r->status, 0x40 | 0x10 | 5); /* response | HARD | reason 5 */
    check_echo(r, &x);
    assert_null(find(&h, &x));
    assert_int_equal(h.ev[0].type, SAMI_VDP_BRIDGE_EV_REJECTED);
    assert_int_equal(h.ev[0].reason, 5);
    assert_true(h.ev[0].hard);
    /* reason 0 with a refusal is sent as OTHER */
    h.answer = (struct sami_vdp_bridge_decision){false, 0, false, false, NULL, 0};
    station_ack(&h, 5, &h.tx[1]);
    station_req(&h, 10, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(rsp_vsi(&d)->status, 0x44);
}

static void test_reject_keep_and_no_keep_on_held_vsi(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    station_ack(&h, 1, &h.tx[1]);
    /* a change refused with KEEP: the VSI stays as it was */
    struct vsi_in y;
    mk_vsi(&y, 1, 222);
    h.answer = (struct sami_vdp_bridge_decision){false, SAMI_VDP_REASON_NO_RESOURCES, false, true,
                                                 NULL, 0};
    station_req(&h, 100, &y, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(rsp_vsi(&d)->status, 0x40 | 0x20 | 2);
    const struct sami_vdp_bridge_vsi *e = find(&h, &x);
    assert_non_null(e);
    assert_int_equal(e->state, SAMI_VDP_VSI_ASSOCIATED);
    struct sami_vdp_vsi held;
    sami_vdp_sm_vsi_view(&e->rec, 3, &held);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(&held, 0, &f), 0);
    assert_int_equal(f.vid, 100);
    assert_int_equal(h.ev[h.nev - 1].state, SAMI_VDP_VSI_ASSOCIATED);
    /* refused without KEEP: the previous state goes too */
    h.answer.keep = false;
    station_ack(&h, 101, &h.tx[h.ntx - 1]);
    station_req(&h, 200, &y, SAMI_VDP_TLV_PREASSOC, 0, NULL, 0);
    assert_null(find(&h, &x));
    assert_int_equal(h.ev[h.nev - 1].type, SAMI_VDP_BRIDGE_EV_REJECTED);
    assert_int_equal(h.ev[h.nev - 1].prev_state, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(h.ev[h.nev - 1].state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_int_equal(sami_vdp_bridge_count(&h.br), 0);
    station_ack(&h, 201, &h.tx[h.ntx - 1]);
    assert_int_equal(sami_vdp_bridge_next_deadline(&h.br), SAMI_NO_DEADLINE);
}

static void test_no_policy_default_rejects(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, false);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    uint8_t ops[] = {SAMI_VDP_TLV_PREASSOC, SAMI_VDP_TLV_PREASSOC_RR, SAMI_VDP_TLV_ASSOC};
    for (size_t i = 0; i < 3; i++) {
        if (h.ntx)
            station_ack(&h, i * 100, &h.tx[h.ntx - 1]);
        station_req(&h, i * 100 + 1, &x, ops[i], 0, NULL, 0);
        struct sami_vdp d;
        decode(&h.tx[h.ntx - 1], &d);
        /* reason 3: unable to contact the VSI manager; nothing kept */
        assert_int_equal(rsp_vsi(&d)->status, 0x43);
        assert_null(find(&h, &x));
    }
    assert_int_equal(h.br.stats.no_policy, 3);
    assert_int_equal(h.br.stats.rejected, 3);
    /* DeAssoc is still granted */
    station_ack(&h, 900, &h.tx[h.ntx - 1]);
    station_req(&h, 1000, &x, SAMI_VDP_TLV_DEASSOC, 0, NULL, 0);
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(rsp_vsi(&d)->status, 0x40);
    /* setting a policy at run time takes effect */
    sami_vdp_bridge_set_policy(&h.br, b_policy);
    station_ack(&h, 1001, &h.tx[h.ntx - 1]);
    station_req(&h, 1100, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    assert_non_null(find(&h, &x));
}

static void test_table_full_reason_2(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in a, b, c;
    mk_vsi(&a, 1, 100);
    mk_vsi(&b, 2, 100);
    mk_vsi(&c, 3, 100);
    station_req(&h, 0, &a, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    station_ack(&h, 1, &h.tx[h.ntx - 1]);
    station_req(&h, 2, &b, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    station_ack(&h, 3, &h.tx[h.ntx - 1]);
    assert_int_equal(h.policy_calls, 2);
    station_req(&h, 4, &c, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    assert_int_equal(h.policy_calls, 2); /* not asked */
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(rsp_vsi(&d)->status, 0x42);
    assert_null(find(&h, &c));
    assert_int_equal(h.br.stats.rejected_full, 1);
    /* a held VSI can still change state when the table is full */
    station_ack(&h, 5, &h.tx[h.ntx - 1]);
    station_req(&h, 6, &a, SAMI_VDP_TLV_PREASSOC, 0, NULL, 0);
    assert_int_equal(find(&h, &a)->state, SAMI_VDP_VSI_PREASSOCIATED);
    /* a DeAssoc makes room */
    station_ack(&h, 7, &h.tx[h.ntx - 1]);
    station_req(&h, 8, &b, SAMI_VDP_TLV_DEASSOC, 0, NULL, 0);
    station_ack(&h, 9, &h.tx[h.ntx - 1]);
    station_req(&h, 10, &c, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    assert_non_null(find(&h, &c));
}

static void test_keepalive_refresh_skips_policy(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, SAMI_VDP_STATUS_S, NULL, 0);
    station_ack(&h, 1, &h.tx[h.ntx - 1]);
    size_t nev = h.nev;
    sami_usec_t t = 10000000;
    station_req(&h, t, &x, SAMI_VDP_TLV_ASSOC, SAMI_VDP_STATUS_S, NULL, 0);
    assert_int_equal(h.policy_calls, 1);
    assert_int_equal(h.nev, nev); /* no state change, no event */
    assert_int_equal(h.br.stats.refreshes, 1);
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(rsp_vsi(&d)->status, 0x40);
    assert_int_equal(find(&h, &x)->expires, t + KA_TOUT);
    assert_int_equal(find(&h, &x)->refreshed, t);
    assert_int_equal(find(&h, &x)->since, 0);
    /* other hints are a change: the policy sees it */
    station_ack(&h, t + 1, &h.tx[h.ntx - 1]);
    station_req(&h, t + 2, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    assert_int_equal(h.policy_calls, 2);
}

static void test_keepalive_timeout_sends_deassoc(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    station_req(&h, 500, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    station_ack(&h, 501, &h.tx[h.ntx - 1]);
    assert_int_equal(sami_vdp_bridge_next_deadline(&h.br), 500 + KA_TOUT);
    size_t ntx = h.ntx;
    sami_vdp_bridge_run(&h.br, 500 + KA_TOUT - 1);
    assert_int_equal(h.ntx, ntx);
    assert_non_null(find(&h, &x));
    sami_vdp_bridge_run(&h.br, 500 + KA_TOUT);
    assert_int_equal(h.ntx, ntx + 1);
    assert_null(find(&h, &x));
    assert_int_equal(h.br.stats.expired, 1);
    const struct sami_vdp_bridge_event *ev = &h.ev[h.nev - 1];
    assert_int_equal(ev->type, SAMI_VDP_BRIDGE_EV_EXPIRED);
    assert_int_equal(ev->code, 0);
    assert_int_equal(ev->prev_state, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(ev->state, SAMI_VDP_VSI_DEASSOCIATED);
    assert_memory_equal(ev->vsi->id, x.v.id, 16);
    /* the station is told: DeAssoc, request form, status 0x00, its identity
     * and filters, its own Manager ID */
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_memory_equal(d.tlv[0].u.mgrid.id, MGRID, 16);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_DEASSOC);
    assert_int_equal(d.tlv[1].u.vsi.status, 0x00);
    check_echo(&d.tlv[1].u.vsi, &x);
    /* it is sent reliably (ECP retransmits it) and no timer is left after */
    station_ack(&h, 500 + KA_TOUT + 1, &h.tx[h.ntx - 1]);
    assert_int_equal(sami_vdp_bridge_next_deadline(&h.br), SAMI_NO_DEADLINE);
}

static void test_station_deassoc(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    station_ack(&h, 1, &h.tx[h.ntx - 1]);
    uint8_t org[32];
    size_t olen = mk_org(org, 2, 8);
    station_req(&h, 10, &x, SAMI_VDP_TLV_DEASSOC, 0, org, olen);
    assert_int_equal(h.policy_calls, 1); /* DeAssoc is not a policy question */
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_DEASSOC);
    assert_int_equal(d.tlv[1].u.vsi.status, 0x40);
    assert_null(find(&h, &x));
    assert_int_equal(h.ev[h.nev - 1].type, SAMI_VDP_BRIDGE_EV_DEASSOC);
    assert_int_equal(h.ev[h.nev - 1].prev_state, SAMI_VDP_VSI_ASSOCIATED);
    assert_int_equal(h.norg, 1);
    assert_int_equal(h.org_op[0], SAMI_VDP_TLV_DEASSOC);
    /* unknown VSI: still success, no event */
    size_t nev = h.nev;
    station_ack(&h, 11, &h.tx[h.ntx - 1]);
    station_req(&h, 12, &x, SAMI_VDP_TLV_DEASSOC, 0, NULL, 0);
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(d.tlv[1].u.vsi.status, 0x40);
    assert_int_equal(h.nev, nev);
    assert_int_equal(h.br.stats.deassoc, 2);
}

static void test_org_tlvs_delivered_before_policy(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    uint8_t org[64];
    size_t olen = mk_org(org, 2, 30);
    olen += mk_org(org + olen, 7, 0);
    station_req(&h, 0, &x, SAMI_VDP_TLV_PREASSOC, SAMI_VDP_STATUS_M, org, olen);
    assert_int_equal(h.norg, 2);
    assert_int_equal(h.norg_at_policy, 2);
    assert_int_equal(h.org_op[0], SAMI_VDP_TLV_PREASSOC);
    assert_int_equal(h.org_hints[0], SAMI_VDP_STATUS_M);
    assert_int_equal(h.org_sub[0], 2);
    assert_int_equal(h.org_sub[1], 7);
    assert_int_equal(h.br.stats.rx_org, 2);
    /* standalone: Manager ID + org, no VSI */
    uint8_t pdu[128];
    size_t len = 0;
    olen = mk_org(org, 2, 10);
    assert_int_equal(sami_vdp_sm_build(pdu, sizeof pdu, MGRID, NULL, org, olen, &len), 0);
    station_ack(&h, 1, &h.tx[h.ntx - 1]);
    assert_int_equal(station_pdu(&h, 2, pdu, len), 1); /* only the ack */
    assert_int_equal(h.norg, 3);
    assert_int_equal(h.org_op[2], -1);
    assert_int_equal(h.policy_calls, 1);
}

static void test_org_from_bridge(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    /* feedback riding on the response, from the policy */
    uint8_t fb[64];
    size_t fblen = mk_org(fb, 3, 16);
    h.answer = (struct sami_vdp_bridge_decision){true, 0, false, false, fb, fblen};
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    struct sami_vdp d;
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(d.ntlv, 3);
    assert_int_equal(d.tlv[2].type, SAMI_VDP_TLV_ORG);
    assert_int_equal(d.tlv[2].u.org.subtype, 3);
    station_ack(&h, 1, &h.tx[h.ntx - 1]);
    /* standalone feedback */
    uint32_t tok = 0;
    assert_int_equal(sami_vdp_bridge_send_org(&h.br, 10, fb, fblen, &tok), 0);
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(d.ntlv, 2);
    assert_memory_equal(d.tlv[0].u.mgrid.id, BR_MGRID, 16);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_ORG);
    station_ack(&h, 11, &h.tx[h.ntx - 1]);
    assert_int_equal(h.ev[h.nev - 1].type, SAMI_VDP_BRIDGE_EV_ORG_SENT);
    assert_int_equal(h.ev[h.nev - 1].token, tok);
    assert_int_equal(h.ev[h.nev - 1].code, 0);
    /* administrative release with feedback: unsolicited DeAssoc + org */
    assert_int_equal(sami_vdp_bridge_deassoc(&h.br, 20, x.v.id_format, x.v.id, fb, fblen), 0);
    decode(&h.tx[h.ntx - 1], &d);
    assert_int_equal(d.tlv[1].type, SAMI_VDP_TLV_DEASSOC);
    assert_int_equal(d.tlv[1].u.vsi.status, 0);
    assert_int_equal(d.tlv[2].type, SAMI_VDP_TLV_ORG);
    assert_int_equal(h.ev[h.nev - 1].type, SAMI_VDP_BRIDGE_EV_RELEASED);
    assert_null(find(&h, &x));
    assert_int_equal(sami_vdp_bridge_deassoc(&h.br, 21, x.v.id_format, x.v.id, NULL, 0),
                     SAMI_ERR_NOTFOUND);
    const uint8_t bad[] = {0x02, 0x00};
    assert_int_equal(sami_vdp_bridge_send_org(&h.br, 22, bad, sizeof bad, NULL), SAMI_ERR_INVAL);
}

static void test_responses_and_bad_pdus_from_station_ignored(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    struct sami_vdp_vsi v = x.v;
    v.type = SAMI_VDP_TLV_ASSOC;
    v.response = true;
    uint8_t pdu[200];
    size_t len = 0;
    assert_int_equal(sami_vdp_sm_build(pdu, sizeof pdu, MGRID, &v, NULL, 0, &len), 0);
    assert_int_equal(station_pdu(&h, 0, pdu, len), 1);
    assert_int_equal(h.br.stats.rx_unexpected, 1);
    const uint8_t broken[] = {0x0a, 0x05, 1, 2, 3, 4, 5}; /* Manager ID of length 5 */
    assert_int_equal(station_pdu(&h, 1, broken, sizeof broken), 1);
    assert_int_equal(h.br.stats.rx_bad, 1);
    assert_int_equal(h.policy_calls, 0);
    assert_int_equal(h.nev, 0);
}

static void test_two_vsis_in_one_pdu(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct vsi_in a, b;
    mk_vsi(&a, 1, 100);
    mk_vsi(&b, 2, 100);
    struct sami_vdp_builder bl;
    uint8_t pdu[400];
    size_t len = 0;
    struct sami_vdp_mgrid m;
    memcpy(m.id, MGRID, 16);
    sami_vdp_builder_init(&bl, pdu, sizeof pdu);
    sami_vdp_add_mgrid(&bl, &m);
    a.v.type = SAMI_VDP_TLV_ASSOC;
    b.v.type = SAMI_VDP_TLV_PREASSOC;
    sami_vdp_add_vsi(&bl, &a.v);
    uint8_t org[32];
    size_t olen = mk_org(org, 2, 1);
    sami_vdp_add_raw(&bl, 127, org + 2, olen - 2);
    sami_vdp_add_vsi(&bl, &b.v);
    assert_int_equal(sami_vdp_finish(&bl, &len), 0);
    station_pdu(&h, 0, pdu, len);
    assert_int_equal(h.policy_calls, 2);
    assert_int_equal(h.org_op[0], SAMI_VDP_TLV_ASSOC); /* the org TLV went with a */
    assert_non_null(find(&h, &a));
    assert_non_null(find(&h, &b));
    assert_int_equal(h.br.stats.tx_pdus, 2); /* one response each */
}

static void test_negotiation_applied(void **state)
{
    (void)state;
    struct bh h;
    setup_bh(&h, true);
    struct sami_evb local = {0}, remote = {0};
    local.r = 3;
    local.rte = 8;
    local.rwd = 20;
    local.rka = 14;
    remote.r = 4;
    remote.rte = 5;
    remote.rwd = 2;
    remote.rka = 16;
    assert_int_equal(sami_vdp_bridge_set_evb(&h.br, &local, &remote), 0);
    assert_int_equal(h.br.ecp.cfg.r, 4);
    assert_int_equal(h.br.ecp.cfg.rte, 8);
    struct vsi_in x;
    mk_vsi(&x, 1, 100);
    station_req(&h, 0, &x, SAMI_VDP_TLV_ASSOC, 0, NULL, 0);
    /* 1.5 * ((1 + 2 * 4) * 2560 + 10 * 2^16) */
    sami_usec_t t = 9u * 2560u + 655360u;
    assert_int_equal(find(&h, &x)->expires, t + t / 2);
}

/* The bridge's next deadline comes from its deadline index (sami/dlheap.h):
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
        cmocka_unit_test(test_policy_accept_response),
        cmocka_unit_test(test_policy_reject_with_reason_bits),
        cmocka_unit_test(test_reject_keep_and_no_keep_on_held_vsi),
        cmocka_unit_test(test_no_policy_default_rejects),
        cmocka_unit_test(test_table_full_reason_2),
        cmocka_unit_test(test_keepalive_refresh_skips_policy),
        cmocka_unit_test(test_keepalive_timeout_sends_deassoc),
        cmocka_unit_test(test_station_deassoc),
        cmocka_unit_test(test_org_tlvs_delivered_before_policy),
        cmocka_unit_test(test_org_from_bridge),
        cmocka_unit_test(test_responses_and_bad_pdus_from_station_ignored),
        cmocka_unit_test(test_two_vsis_in_one_pdu),
        cmocka_unit_test(test_negotiation_applied),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
