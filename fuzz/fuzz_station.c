/* libFuzzer harness: the VDP station engine (vdp-ext/vdp_station.c) with its
 * embedded ECP engine, driven by a sequence of operations; the fuzzer plays
 * the bridge, the hypervisor and the clock.
 *
 * Input: octets 0..2 = initial R/RTE, RWD, RKA; then operations, each one
 * opcode octet and its arguments (struct fz_in: zeros once the input runs
 * dry):
 *   0 arbitrary frame      [len16][octets]
 *   1 ack                  the station's last request acked (mutated)
 *   2 response             the last request's VSI TLV echoed back as a
 *                          response: reason/hard/keep, optional org TLV, the
 *                          bridge's sequence (next/same/any), mutated
 *   3 bridge DeAssoc       unsolicited DeAssoc of one of the known VSIs
 *   4 time +µs             small step (u16 << n)
 *   5 time to deadline     jump to the next deadline (+ jitter)
 *   6 big jump             up to ~70 min forward
 *   7 user request         op, one of 4 VSI IDs (the table holds 3), hints,
 *                          filters, org TLVs
 *   8 standalone org PDU
 *   9 EVB / parameter change (set_params or set_evb)
 *  10 standalone org from the bridge, or a response for a VSI that asked
 *     nothing
 * Time always moves through sami_vdp_station_run.
 *
 * Invariants after every step: return codes are 0 or a negative SAMI_ERR_*;
 * the next deadline is none, or >= now and within the longest timer any
 * parameter set applied (ack, response timeout, keep-alive); every frame the
 * station sends is from its MAC, decodes as ECP, and a request's VDP PDU
 * passes every check of fuzz_vdp (Manager ID first, End); events carry only
 * documented codes; at most nvsis VSIs in use; a VSI is never in an
 * associating state (and never reports success) for a type no frame the
 * bridge sent ever accepted (response bit, reason 0, no HARD, same VSI ID). */
#include "engines.h"
#include "sami/evb.h"
#include "sami/vdp_station.h"

#define NV 3     /* VSI table */
#define NID 4    /* VSI IDs the input picks from: one more than fits */
#define NSLOT 4
#define MAXGRANT 64

static const uint8_t MAC_S[6] = {0x52, 0x54, 0, 0, 0, 0x01};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MGRID[16] = "fuzz-manager";

struct grant {
    uint8_t fmt, type;
    uint8_t id[16];
};

static struct {
    struct sami_vdp_station st;
    struct sami_vdp_station_vsi vsis[NV];
    struct sami_ecp_slot slots[NSLOT];
    sami_usec_t now;
    sami_usec_t bound; /* longest timer of any parameter set applied */
    /* the station's last request frame (what the bridge answers) */
    uint8_t last_req[SAMI_ECP_ENGINE_MAX_FRAME];
    size_t last_req_len;
    uint16_t last_req_seq;
    uint16_t bseq; /* the fake bridge's ECP sequence */
    struct grant grants[MAXGRANT];
    size_t ngrants;
    int grants_full; /* too many to track: the grant check is off */
    uint64_t ntx;
} S;

static int granted(uint8_t fmt, const uint8_t *id, uint8_t type)
{
    if (S.grants_full)
        return 1;
    for (size_t i = 0; i < S.ngrants; i++)
        if (S.grants[i].fmt == fmt && S.grants[i].type == type &&
            memcmp(S.grants[i].id, id, 16) == 0)
            return 1;
    return 0;
}

/* Records every acceptance a frame handed to the station could carry,
 * whoever built it (so mutated and arbitrary frames count too). */
static void note_grants(const uint8_t *f, size_t len)
{
    struct sami_ecp e;
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    if (len < 14 || sami_ecp_decode(f + 14, len - 14, &e, NULL) != 0)
        return;
    sami_vdp_iter_init(&it, e.ulpdu, e.ulpdu_len, NULL);
    while (sami_vdp_next(&it, &t) == 1) {
        if (t.type < SAMI_VDP_TLV_PREASSOC || t.type > SAMI_VDP_TLV_DEASSOC)
            continue;
        const struct sami_vdp_vsi *v = &t.u.vsi;
        if (!v->response || v->reason != 0 || v->hard || granted(v->id_format, v->id, t.type))
            continue;
        if (S.ngrants == MAXGRANT) {
            S.grants_full = 1;
            return;
        }
        struct grant *g = &S.grants[S.ngrants++];
        g->fmt = v->id_format;
        g->type = t.type;
        memcpy(g->id, v->id, 16);
    }
}

static void on_tx(void *ctx, const uint8_t *frame, size_t len)
{
    uint16_t seq = 0;
    const uint8_t *u = NULL;
    size_t ul = 0;
    (void)ctx;
    S.ntx++;
    int op = fz_check_ecp_out(frame, len, MAC_S, &seq, &u, &ul);
    if (op == SAMI_ECP_OP_REQUEST) {
        memcpy(S.last_req, frame, len);
        S.last_req_len = len;
        S.last_req_seq = seq;
    }
}

static void on_event(void *ctx, sami_usec_t now, const struct sami_vdp_station_event *ev)
{
    (void)ctx;
    FUZZ_CHECK(now == S.now);
    switch (ev->type) {
    case SAMI_VDP_STATION_EV_RESULT:
        FUZZ_CHECK(ev->vsi != NULL);
        FUZZ_CHECK(ev->code == 0 || ev->code == SAMI_ERR_REJECTED || ev->code == SAMI_ERR_TIMEOUT ||
                   ev->code == SAMI_ERR_RETRIES);
        FUZZ_CHECK(ev->op >= SAMI_VDP_TLV_PREASSOC && ev->op <= SAMI_VDP_TLV_DEASSOC);
        FUZZ_CHECK(ev->state == ev->vsi->state);
        if (ev->code == 0 && ev->op != SAMI_VDP_TLV_DEASSOC) {
            FUZZ_CHECK(ev->state == ev->op);
            FUZZ_CHECK(granted(ev->vsi->rec.id_format, ev->vsi->rec.id, ev->op));
        }
        if (ev->code == SAMI_ERR_TIMEOUT || ev->code == SAMI_ERR_RETRIES)
            FUZZ_CHECK(ev->state == SAMI_VDP_VSI_DEASSOCIATED || ev->state == ev->prev_state);
        break;
    case SAMI_VDP_STATION_EV_DEASSOC:
        FUZZ_CHECK(ev->vsi != NULL && ev->state == SAMI_VDP_VSI_DEASSOCIATED);
        break;
    case SAMI_VDP_STATION_EV_ORG_SENT:
        FUZZ_CHECK(ev->vsi == NULL);
        FUZZ_CHECK(ev->code == 0 || ev->code == SAMI_ERR_RETRIES || ev->code == SAMI_ERR_ABORTED);
        break;
    default:
        FUZZ_CHECK(!"unknown station event");
    }
}

static void on_org(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                   const struct sami_vdp_tlv *tlv)
{
    (void)ctx;
    (void)vsi;
    FUZZ_CHECK(now == S.now);
    FUZZ_CHECK(tlv->type == SAMI_VDP_TLV_ORG && tlv->u.org.info_len + 4 == tlv->length);
}

static sami_usec_t longest(const struct sami_vdp_sm_params *p)
{
    sami_usec_t a = sami_vdp_sm_ack_time(p), r = sami_vdp_sm_resp_timeout(p),
                k = sami_vdp_sm_reinit_keepalive(p);
    sami_usec_t m = a > r ? a : r;
    return m > k ? m : k;
}

/* VSI number i: UUID ending in i, type 0x1234 v1, one MAC/VID filter (or a
 * VID-only one, VID 0 = "bridge, fill it in"). */
static void mk_vsi(struct sami_vdp_vsi *v, struct sami_vdp_filter *f, unsigned i, uint8_t shape)
{
    memset(v, 0, sizeof *v);
    memset(f, 0, sizeof *f);
    v->type_id = 0x1234;
    v->type_ver = 1;
    v->id_format = SAMI_VDP_VSIID_UUID;
    memcpy(v->id, "fuzz-vsi-uuid-0", 15);
    v->id[15] = (uint8_t)i;
    v->filter_format = (shape & 1) ? SAMI_VDP_FILTER_VID : SAMI_VDP_FILTER_MAC_VID;
    v->count = 1;
    f->mac[0] = 0x52;
    f->mac[5] = (uint8_t)i;
    f->vid = (shape & 2) ? 0 : (uint16_t)(100 + i);
    v->filters = f;
}

/* Optional org TLVs: none, one sami-looking TLV, or raw input octets (the
 * station must refuse what is not whole type-127 TLVs). */
static size_t mk_org(struct fz_in *in, uint8_t *buf, size_t cap)
{
    uint8_t sel = fz_u8(in);
    switch (sel & 3) {
    case 1: {
        size_t n = 4 + (size_t)(sel >> 2) % 24;
        buf[0] = (uint8_t)(SAMI_VDP_TLV_ORG << 1 | (n >> 8));
        buf[1] = (uint8_t)n;
        buf[2] = 0x0a;
        buf[3] = 0x53;
        buf[4] = 0x4d;
        fz_bytes(in, buf + 5, n - 3);
        return n + 2;
    }
    case 2: {
        size_t got = 0;
        const uint8_t *p = fz_view(in, fz_u8(in) % cap, &got);
        memcpy(buf, p, got);
        return got;
    }
    default:
        return 0;
    }
}

static void deliver(uint8_t *f, size_t len)
{
    note_grants(f, len);
    int rc = sami_vdp_station_input(&S.st, S.now, f, len);
    FUZZ_CHECK(rc <= 0);
}

static uint16_t pick_seq(struct fz_in *in)
{
    uint8_t s = fz_u8(in);
    if ((s & 3) == 0)
        return S.bseq; /* the same again: a duplicate */
    if ((s & 3) == 3)
        return fz_u16(in);
    return ++S.bseq;
}

static void op_response(struct fz_in *in, int deassoc_only)
{
    static struct sami_vdp pdu;
    uint8_t ulpdu[SAMI_ECP_ENGINE_MAX_ULPDU], org[256], f[SAMI_ECP_ENGINE_MAX_FRAME];
    struct sami_vdp_vsi v;
    struct sami_vdp_filter flt;
    struct sami_ecp e;
    uint8_t how = fz_u8(in);
    size_t olen = mk_org(in, org, sizeof org), ul = 0;
    const struct sami_vdp_vsi *vp = NULL;

    if (deassoc_only || S.last_req_len == 0 ||
        sami_ecp_decode(S.last_req + 14, S.last_req_len - 14, &e, NULL) != 0 ||
        sami_vdp_decode(e.ulpdu, e.ulpdu_len, &pdu, NULL) != 0) {
        /* nothing to answer: a VSI of our own choice (unsolicited) */
        mk_vsi(&v, &flt, how % NID, how >> 6);
        v.type = deassoc_only ? SAMI_VDP_TLV_DEASSOC : (uint8_t)(1 + (how >> 2) % 4);
        vp = &v;
    } else {
        for (size_t i = 0; i < pdu.ntlv; i++)
            if (pdu.tlv[i].type >= SAMI_VDP_TLV_PREASSOC && pdu.tlv[i].type <= SAMI_VDP_TLV_DEASSOC)
                vp = &pdu.tlv[i].u.vsi;
        if (vp) {
            v = *vp;
            vp = &v;
            if (how & 0x80) /* lldpad's failure form: answered with a DeAssoc */
                v.type = SAMI_VDP_TLV_DEASSOC;
        }
    }
    if (vp) {
        if (deassoc_only) {
            v.response = false;
            v.migrate_to = v.suspended = false;
        } else {
            v.response = true;
            v.migrate_to = v.suspended = false;
            uint8_t st = fz_u8(in);
            /* mostly success, sometimes a reason with HARD/KEEP */
            v.reason = (st & 0xc0) ? 0 : (st & 0x0f);
            v.hard = (st >> 4) & 1;
            v.keep = (st >> 5) & 1;
        }
        v.reserved = 0;
    }
    if (sami_vdp_sm_build(ulpdu, sizeof ulpdu, MGRID, vp, org, olen, &ul) != 0 &&
        sami_vdp_sm_build(ulpdu, sizeof ulpdu, MGRID, vp, NULL, 0, &ul) != 0)
        return;
    const uint8_t grp[6] = SAMI_ECP_GROUP_MAC_INIT;
    size_t n = fz_ecp_frame(f, sizeof f, (how & 0x40) ? MAC_S : grp, MAC_B, SAMI_ECP_OP_REQUEST,
                            pick_seq(in), ulpdu, ul);
    n = fz_mutate(in, f, n);
    deliver(f, n);
}

static void op_ack(struct fz_in *in)
{
    uint8_t f[64];
    uint8_t how = fz_u8(in);
    uint16_t seq = S.last_req_seq;
    if (how & 1)
        seq = (uint16_t)(seq + (how >> 1) % 5 - 2); /* near misses */
    size_t n = fz_ecp_frame(f, sizeof f, MAC_S, MAC_B, SAMI_ECP_OP_ACK, seq, NULL, 0);
    n = fz_mutate(in, f, n);
    deliver(f, n);
}

static void advance(sami_usec_t to)
{
    if (to < S.now)
        to = S.now;
    S.now = to;
    sami_vdp_station_run(&S.st, S.now);
    /* everything due has fired */
    sami_usec_t d = sami_vdp_station_next_deadline(&S.st);
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || d > S.now);
}

static void op_request(struct fz_in *in)
{
    uint8_t org[256];
    struct sami_vdp_vsi v;
    struct sami_vdp_filter flt;
    uint8_t a = fz_u8(in);
    uint8_t op = (uint8_t)(1 + a % 4);
    uint8_t hints = 0;
    if (a & 0x10)
        hints = SAMI_VDP_STATUS_M;
    else if (a & 0x20)
        hints = SAMI_VDP_STATUS_S;
    if ((a & 0xc0) == 0xc0)
        hints = fz_u8(in); /* anything: refused unless documented */
    uint8_t b = fz_u8(in);
    mk_vsi(&v, &flt, b % NID, b >> 6);
    size_t olen = mk_org(in, org, sizeof org);
    int rc = sami_vdp_station_request(&S.st, S.now, &v, op, hints, olen ? org : NULL, olen);
    FUZZ_CHECK(rc <= 0);
    FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_INVAL || rc == SAMI_ERR_STATE || rc == SAMI_ERR_LIMIT ||
               rc == SAMI_ERR_TOOBIG || rc == SAMI_ERR_VALUE);
}

static void op_params(struct fz_in *in)
{
    uint8_t a = fz_u8(in);
    if (a & 1) {
        struct sami_evb l, r;
        memset(&l, 0, sizeof l);
        memset(&r, 0, sizeof r);
        l.r = a >> 5;
        l.rte = fz_u8(in) & 31;
        l.rwd = fz_u8(in) & 31;
        l.rka = fz_u8(in) & 31;
        r.r = fz_u8(in) & 7;
        r.rte = fz_u8(in) & 31;
        r.rwd = fz_u8(in) & 31;
        r.rka = fz_u8(in) & 31;
        if (sami_vdp_station_set_evb(&S.st, &l, &r) == 0) {
            sami_usec_t m = longest(&S.st.cfg.params);
            if (m > S.bound)
                S.bound = m;
        }
    } else {
        struct sami_vdp_sm_params p;
        p.r = fz_u8(in) & 15; /* 8..15 must be refused */
        p.rte = fz_u8(in) & 63;
        p.rwd = fz_u8(in) & 31;
        p.rka = fz_u8(in) & 31;
        int rc = sami_vdp_station_set_params(&S.st, &p);
        FUZZ_CHECK((rc == 0) == (sami_vdp_sm_params_check(&p) == 0));
        if (rc == 0) {
            sami_usec_t m = longest(&p);
            if (m > S.bound)
                S.bound = m;
        }
    }
}

static void check_state(void)
{
    size_t used = 0;
    for (size_t i = 0; i < NV; i++) {
        const struct sami_vdp_station_vsi *e = &S.vsis[i];
        if (!e->in_use)
            continue;
        used++;
        FUZZ_CHECK(e->state == SAMI_VDP_VSI_DEASSOCIATED || e->state == SAMI_VDP_VSI_PREASSOCIATED ||
                   e->state == SAMI_VDP_VSI_PREASSOCIATED_RR ||
                   e->state == SAMI_VDP_VSI_ASSOCIATED);
        if (e->state != SAMI_VDP_VSI_DEASSOCIATED)
            FUZZ_CHECK(granted(e->rec.id_format, e->rec.id, e->state));
        FUZZ_CHECK(e->pending_op <= SAMI_VDP_TLV_DEASSOC);
        FUZZ_CHECK(sami_vdp_station_find(&S.st, e->rec.id_format, e->rec.id) == e ||
                   e->pending_op != 0); /* a request may be renaming the entry */
        FZ_CHECK_DEADLINE(e->resp_deadline, S.now, S.bound);
        FZ_CHECK_DEADLINE(e->ka_deadline, S.now, S.bound);
    }
    FUZZ_CHECK(used <= NV);
    FUZZ_CHECK(sami_ecp_engine_queued(&S.st.ecp) <= NSLOT);
    FZ_CHECK_DEADLINE(sami_vdp_station_next_deadline(&S.st), S.now, S.bound);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct sami_vdp_station_config cfg;
    struct sami_vdp_station_callbacks cb = {on_tx, on_event, on_org, NULL};

    memset(&S, 0, sizeof S);
    sami_vdp_station_config_default(&cfg);
    memcpy(cfg.mac, MAC_S, 6);
    memcpy(cfg.mgrid, MGRID, 16);
    uint8_t p0 = fz_u8(&in);
    cfg.params.r = p0 & 7;
    cfg.params.rte = (uint8_t)(p0 >> 3);
    cfg.params.rwd = fz_u8(&in) & 31;
    cfg.params.rka = fz_u8(&in) & 31;
    FUZZ_CHECK(sami_vdp_station_init(&S.st, &cfg, &cb, S.vsis, NV, S.slots, NSLOT) == 0);
    S.bound = longest(&cfg.params);
    S.now = SAMI_SEC(1);
    S.bseq = 100;

    for (unsigned steps = 0; in.n > 0 && steps < 512; steps++) {
        uint8_t op = fz_u8(&in);
        switch (op % 11) {
        case 0: {
            uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME + 16];
            size_t got = 0;
            const uint8_t *p = fz_view(&in, fz_u16(&in) % sizeof f, &got);
            memcpy(f, p, got);
            deliver(f, got);
            break;
        }
        case 1:
            op_ack(&in);
            break;
        case 2:
            op_response(&in, 0);
            break;
        case 3:
            op_response(&in, 1);
            break;
        case 4:
            advance(S.now + ((sami_usec_t)fz_u16(&in) << (op >> 4)));
            break;
        case 5: {
            sami_usec_t d = sami_vdp_station_next_deadline(&S.st);
            if (d != SAMI_NO_DEADLINE)
                advance(d + (op >> 4));
            break;
        }
        case 6:
            advance(S.now + (sami_usec_t)fz_u32(&in));
            break;
        case 7:
            op_request(&in);
            break;
        case 8: {
            uint8_t org[256];
            size_t olen = mk_org(&in, org, sizeof org);
            uint32_t tok = 0;
            int rc = sami_vdp_station_send_org(&S.st, S.now, olen ? org : NULL, olen, &tok);
            FUZZ_CHECK(rc <= 0);
            break;
        }
        case 9:
            op_params(&in);
            break;
        default: {
            /* the bridge's standalone org PDU (no VSI), or a response out of
             * the blue for a VSI of our choosing */
            uint8_t org[256], ulpdu[600], f[700];
            size_t olen = mk_org(&in, org, sizeof org), ul = 0;
            struct sami_vdp_vsi v;
            struct sami_vdp_filter flt;
            uint8_t b = fz_u8(&in);
            mk_vsi(&v, &flt, b % NID, b >> 6);
            v.type = (uint8_t)(1 + (b >> 2) % 4);
            v.response = true;
            if (sami_vdp_sm_build(ulpdu, sizeof ulpdu, MGRID, (b & 0x10) ? &v : NULL, org, olen,
                                  &ul) != 0)
                break;
            const uint8_t grp[6] = SAMI_ECP_GROUP_MAC_INIT;
            size_t n = fz_ecp_frame(f, sizeof f, grp, MAC_B, SAMI_ECP_OP_REQUEST, pick_seq(&in),
                                    ulpdu, ul);
            deliver(f, fz_mutate(&in, f, n));
            break;
        }
        }
        check_state();
    }
    if (fz_verbose()) {
        const struct sami_vdp_station_counters *c = &S.st.stats;
        fprintf(stderr, "tx %llu keepalives %llu rx %llu responses %llu timeouts %llu "
                        "ecp_errors %llu deassoc %llu grants %zu\n",
                (unsigned long long)c->tx_pdus, (unsigned long long)c->keepalives,
                (unsigned long long)c->rx_pdus, (unsigned long long)c->rx_responses,
                (unsigned long long)c->timeouts, (unsigned long long)c->ecp_errors,
                (unsigned long long)c->rx_deassoc, S.ngrants);
        for (size_t i = 0; i < NV; i++)
            fprintf(stderr, "vsi %zu: in_use %d state %d\n", i, S.vsis[i].in_use, S.vsis[i].state);
    }
    return 0;
}
