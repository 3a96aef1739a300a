/* libFuzzer harness: the VDP bridge engine (vdp-ext/vdp_bridge.c) with its
 * embedded ECP engine; the fuzzer plays the station(s), the VSI manager's
 * policy and the clock.
 *
 * Input: octet 0 = VSI limit (1..4) and R/RTE; octets 1, 2 = RWD, RKA; then
 * operations, each one opcode octet and its arguments:
 *   0 arbitrary frame      [len16][octets]
 *   1 station request      one VSI TLV (op, one of 6 VSI IDs, hints,
 *                          filters), optional org TLV, ECP sequence
 *                          (next/same again/any), from one of two stations,
 *                          mutated
 *   2 keep-alive           the request that set a held VSI, sent again
 *   3 ack                  the bridge's last request acked (mutated)
 *   4 time +µs, 5 time to the next deadline, 6 big jump (u32 µs)
 *   7 host DeAssoc         sami_vdp_bridge_deassoc of one of the IDs
 *   8 standalone org PDU   sami_vdp_bridge_send_org
 *   9 parameter change     set_params / set_evb
 *  10 policy on/off        NULL policy (refuse all) or the fuzz policy
 *  11 two VSI TLVs in one PDU
 * The policy callback takes its decision (accept, reason, HARD, KEEP,
 * feedback org TLVs) from the input too.
 *
 * Invariants after every step: return codes are 0 or negative; VSIs held
 * never above the limit (and sami_vdp_bridge_count agrees with the table);
 * every held VSI is in a state the policy accepted for that VSI ID; every
 * response the bridge sends answers a request TLV its ECP delivered, and
 * no request TLV gets two responses (a duplicate ECP sequence gets none);
 * a keep-alive expiry comes only after the shortest keep-alive timeout of
 * any parameter set applied since the VSI's last acceptance or refresh;
 * the next deadline is none, or >= now and within the longest timer; every
 * frame the bridge sends decodes (VDP checks of fuzz_vdp). */
#include "engines.h"
#include "sami/evb.h"
#include "sami/vdp_bridge.h"

#define NVMAX 4
#define NID 6
#define NSLOT 4
#define MAXOWED 128
#define MAXACC 64

static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MAC_S[2][6] = {{0x52, 0x54, 0, 0, 0, 0x01}, {0x52, 0x54, 0, 0, 0, 0x02}};
static const uint8_t MGRID[16] = "fuzz-manager";

struct key {
    uint8_t fmt, type;
    uint8_t id[16];
};

static struct {
    struct sami_vdp_bridge br;
    struct sami_vdp_bridge_vsi vsis[NVMAX];
    struct sami_ecp_slot slots[NSLOT];
    size_t nv;
    struct fz_in *in; /* the policy reads its decisions from here */
    sami_usec_t now;
    sami_usec_t bound;    /* longest timer of any parameter set */
    sami_usec_t ka_min;   /* shortest keep-alive timeout of any parameter set */
    uint16_t sseq[2];     /* the stations' ECP sequences */
    int have_bseq;
    uint16_t bseq;        /* sequence of the bridge's last request frame */
    struct key owed[MAXOWED]; /* request TLVs delivered, not yet answered */
    size_t nowed;
    struct key pend[64];      /* request TLVs of the frame being handed in (<= 55 fit) */
    size_t npend, pend_used;
    int owed_full;
    struct key acc[MAXACC];   /* (VSI ID, state) the policy accepted */
    size_t nacc;
    int acc_full;
    sami_usec_t refreshed[NID]; /* lower bound of each VSI's last refresh */
    int in_input;
    size_t accepted_now;   /* ACCEPTED events during the current input */
    uint8_t org[64];
} B;

static int id_index(uint8_t fmt, const uint8_t *id)
{
    if (fmt != SAMI_VDP_VSIID_UUID || memcmp(id, "fuzz-vsi-uuid-0", 15) != 0 || id[15] >= NID)
        return -1;
    return id[15];
}

static int key_eq(const struct key *k, uint8_t fmt, const uint8_t *id, uint8_t type)
{
    return k->fmt == fmt && k->type == type && memcmp(k->id, id, 16) == 0;
}

static int accepted(uint8_t fmt, const uint8_t *id, uint8_t type)
{
    if (B.acc_full)
        return 1;
    for (size_t i = 0; i < B.nacc; i++)
        if (key_eq(&B.acc[i], fmt, id, type))
            return 1;
    return 0;
}

static void policy(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                   const struct sami_vdp_bridge_vsi *cur, struct sami_vdp_bridge_decision *d)
{
    (void)ctx;
    FUZZ_CHECK(now == B.now && B.in_input);
    FUZZ_CHECK(!req->response && req->type >= SAMI_VDP_TLV_PREASSOC &&
               req->type <= SAMI_VDP_TLV_ASSOC);
    if (cur)
        FUZZ_CHECK(cur->in_use && sami_vdp_sm_same_id(&cur->rec, req));
    uint8_t b = fz_u8(B.in);
    d->accept = (b & 3) != 0;
    if (!d->accept) {
        d->reason = (uint8_t)(b >> 4);
        d->hard = (b >> 2) & 1;
        d->keep = (b >> 3) & 1;
    }
    if (b & 0x80) {
        /* feedback org TLVs on the response (whole or not: the bridge must
         * leave out what is not whole type-127 TLVs) */
        size_t n = 4 + fz_u8(B.in) % 40;
        B.org[0] = (uint8_t)(SAMI_VDP_TLV_ORG << 1);
        B.org[1] = (uint8_t)n;
        memcpy(B.org + 2, "\x0a\x53\x4d\x02", 4);
        fz_bytes(B.in, B.org + 6, n - 4);
        d->org = B.org;
        d->org_len = (b & 0x40) ? n + 2 : n; /* n: cut short */
    }
    if (d->accept && !accepted(req->id_format, req->id, req->type)) {
        if (B.nacc == MAXACC) {
            B.acc_full = 1;
        } else {
            struct key *k = &B.acc[B.nacc++];
            k->fmt = req->id_format;
            k->type = req->type;
            memcpy(k->id, req->id, 16);
        }
    }
}

static void on_tx(void *ctx, const uint8_t *frame, size_t len)
{
    uint16_t seq = 0;
    const uint8_t *u = NULL;
    size_t ul = 0;
    (void)ctx;
    if (fz_check_ecp_out(frame, len, MAC_B, &seq, &u, &ul) != SAMI_ECP_OP_REQUEST)
        return;
    if (B.have_bseq && seq == B.bseq)
        return; /* a retransmission: answers nothing new */
    B.have_bseq = 1;
    B.bseq = seq;
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    sami_vdp_iter_init(&it, u, ul, NULL);
    while (sami_vdp_next(&it, &t) == 1) {
        if (t.type < SAMI_VDP_TLV_PREASSOC || t.type > SAMI_VDP_TLV_DEASSOC || !t.u.vsi.response)
            continue;
        if (B.owed_full)
            continue;
        size_t i = 0;
        while (i < B.nowed && !key_eq(&B.owed[i], t.u.vsi.id_format, t.u.vsi.id, t.type))
            i++;
        if (i < B.nowed) {
            B.owed[i] = B.owed[--B.nowed];
            continue;
        }
        /* else it must answer the frame being handed in right now */
        i = 0;
        while (i < B.npend && !key_eq(&B.pend[i], t.u.vsi.id_format, t.u.vsi.id, t.type))
            i++;
        /* a response nobody asked for, or a second one to one request */
        FUZZ_CHECK(B.in_input && i < B.npend);
        B.pend[i] = B.pend[--B.npend];
        B.pend_used++;
    }
}

static void on_event(void *ctx, sami_usec_t now, const struct sami_vdp_bridge_event *ev)
{
    (void)ctx;
    FUZZ_CHECK(now == B.now);
    switch (ev->type) {
    case SAMI_VDP_BRIDGE_EV_ACCEPTED: {
        FUZZ_CHECK(ev->vsi && ev->state == ev->op && B.in_input);
        FUZZ_CHECK(accepted(ev->vsi->id_format, ev->vsi->id, ev->op));
        int k = id_index(ev->vsi->id_format, ev->vsi->id);
        if (k >= 0)
            B.refreshed[k] = now;
        B.accepted_now++;
        break;
    }
    case SAMI_VDP_BRIDGE_EV_REJECTED:
        FUZZ_CHECK(ev->reason >= 1 && ev->reason <= 15 && B.in_input);
        break;
    case SAMI_VDP_BRIDGE_EV_DEASSOC:
        FUZZ_CHECK(ev->vsi && ev->state == SAMI_VDP_VSI_DEASSOCIATED && B.in_input);
        break;
    case SAMI_VDP_BRIDGE_EV_EXPIRED: {
        FUZZ_CHECK(ev->vsi && ev->state == SAMI_VDP_VSI_DEASSOCIATED && !B.in_input);
        int k = id_index(ev->vsi->id_format, ev->vsi->id);
        if (k >= 0)
            FUZZ_CHECK(now >= B.refreshed[k] && now - B.refreshed[k] >= B.ka_min);
        FUZZ_CHECK(ev->code <= 0);
        break;
    }
    case SAMI_VDP_BRIDGE_EV_RELEASED:
        FUZZ_CHECK(ev->vsi && ev->code <= 0);
        break;
    case SAMI_VDP_BRIDGE_EV_ORG_SENT:
        FUZZ_CHECK(ev->code == 0 || ev->code == SAMI_ERR_RETRIES || ev->code == SAMI_ERR_ABORTED);
        break;
    default:
        FUZZ_CHECK(!"unknown bridge event");
    }
}

static sami_usec_t longest(const struct sami_vdp_sm_params *p)
{
    sami_usec_t a = sami_vdp_sm_ack_time(p), k = sami_vdp_sm_keepalive_timeout(p);
    return a > k ? a : k;
}

static void note_params(const struct sami_vdp_sm_params *p)
{
    if (longest(p) > B.bound)
        B.bound = longest(p);
    if (sami_vdp_sm_keepalive_timeout(p) < B.ka_min)
        B.ka_min = sami_vdp_sm_keepalive_timeout(p);
}

/* Hands a frame to the bridge. What its ECP delivers (the engine's
 * `delivered` counter moves) is owed answers: every request TLV in it
 * (responses to it may leave during the call: they are matched against
 * the frame's own TLVs, which only count if ECP delivered it). */
static void deliver(const uint8_t *f, size_t len)
{
    const struct sami_ecp_engine_counters *c = sami_ecp_engine_stats(&B.br.ecp);
    uint64_t before = c->delivered, refr = B.br.stats.refreshes;
    struct sami_ecp e;
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    int nreq = 0, last = -1;

    B.npend = B.pend_used = 0;
    if (len >= 14 && sami_ecp_decode(f + 14, len - 14, &e, NULL) == 0) {
        sami_vdp_iter_init(&it, e.ulpdu, e.ulpdu_len, NULL);
        while (sami_vdp_next(&it, &t) == 1) {
            if (t.type < SAMI_VDP_TLV_PREASSOC || t.type > SAMI_VDP_TLV_DEASSOC ||
                t.u.vsi.response)
                continue;
            nreq++;
            last = t.type == SAMI_VDP_TLV_DEASSOC ? -2 : id_index(t.u.vsi.id_format, t.u.vsi.id);
            if (B.npend == sizeof B.pend / sizeof B.pend[0])
                continue;
            struct key *k = &B.pend[B.npend++];
            k->fmt = t.u.vsi.id_format;
            k->type = t.type;
            memcpy(k->id, t.u.vsi.id, 16);
        }
    }
    B.in_input = 1;
    B.accepted_now = 0;
    int rc = sami_vdp_bridge_input(&B.br, B.now, f, len);
    B.in_input = 0;
    FUZZ_CHECK(rc <= 0);
    FUZZ_CHECK(c->delivered - before <= 1);
    if (c->delivered == before) {
        /* nothing delivered (bad frame, duplicate): nothing may answer it */
        FUZZ_CHECK(B.pend_used == 0);
        B.npend = 0;
        return;
    }
    for (size_t i = 0; i < B.npend; i++) {
        if (B.nowed == MAXOWED) {
            B.owed_full = 1;
            break;
        }
        B.owed[B.nowed++] = B.pend[i];
    }
    B.npend = 0;
    /* a keep-alive refreshed the VSI now, when it is sure which one */
    if (B.br.stats.refreshes != refr && nreq == 1 && last >= 0)
        B.refreshed[last] = B.now;
}

static void advance(sami_usec_t to)
{
    if (to < B.now)
        to = B.now;
    B.now = to;
    sami_vdp_bridge_run(&B.br, B.now);
    sami_usec_t d = sami_vdp_bridge_next_deadline(&B.br);
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || d > B.now);
}

static void mk_vsi(struct sami_vdp_vsi *v, struct sami_vdp_filter *f, unsigned i, uint8_t shape)
{
    memset(v, 0, sizeof *v);
    memset(f, 0, 2 * sizeof *f);
    v->type_id = 0x1234 + (shape & 4);
    v->type_ver = 1;
    v->id_format = SAMI_VDP_VSIID_UUID;
    memcpy(v->id, "fuzz-vsi-uuid-0", 15);
    v->id[15] = (uint8_t)i;
    v->filter_format = (shape & 1) ? SAMI_VDP_FILTER_VID : SAMI_VDP_FILTER_MAC_VID;
    v->count = (shape & 8) ? 2 : 1;
    f[0].mac[0] = 0x52;
    f[0].mac[5] = (uint8_t)i;
    f[0].vid = (shape & 2) ? 0 : (uint16_t)(100 + i);
    f[1] = f[0];
    f[1].vid = 200;
    v->filters = f;
}

static size_t build_request(struct fz_in *in, uint8_t *ulpdu, size_t cap, int two)
{
    struct sami_vdp_builder b;
    struct sami_vdp_mgrid m;
    struct sami_vdp_vsi v;
    struct sami_vdp_filter f[2];
    size_t len = 0;
    sami_vdp_builder_init(&b, ulpdu, cap);
    memcpy(m.id, MGRID, 16);
    if (sami_vdp_add_mgrid(&b, &m) != 0)
        return 0;
    for (int k = 0; k < 1 + two; k++) {
        uint8_t a = fz_u8(in), s = fz_u8(in);
        mk_vsi(&v, f, a % NID, s);
        v.type = (uint8_t)(1 + (a >> 3) % 4);
        v.migrate_to = (s >> 4) & 1;
        v.suspended = (s >> 5) & 1;
        if (s & 0x40) { /* a response where a request belongs: not ours to get */
            v.response = true;
            v.migrate_to = v.suspended = false;
        }
        if (sami_vdp_add_vsi(&b, &v) != 0)
            return 0;
    }
    uint8_t o = fz_u8(in);
    if (o & 1) {
        struct sami_vdp_org org;
        uint8_t info[32];
        memset(&org, 0, sizeof org);
        org.oui = 0x0a534d;
        org.subtype = (uint8_t)(1 + ((o >> 1) & 1));
        fz_bytes(in, info, sizeof info);
        org.info = info;
        org.info_len = (o >> 2) % sizeof info;
        if (sami_vdp_add_org(&b, &org) != 0)
            return 0;
    }
    if (sami_vdp_finish(&b, &len) != 0)
        return 0;
    return len;
}

static void send_ulpdu(struct fz_in *in, const uint8_t *ulpdu, size_t ul)
{
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    uint8_t s = fz_u8(in);
    int who = s & 1;
    uint16_t seq;
    switch ((s >> 1) & 3) {
    case 0:
        seq = B.sseq[who]; /* the same again: a duplicate */
        break;
    case 1:
        seq = fz_u16(in);
        break;
    default:
        seq = ++B.sseq[who];
    }
    const uint8_t grp[6] = SAMI_ECP_GROUP_MAC_INIT;
    size_t n = fz_ecp_frame(f, sizeof f, grp, MAC_S[who], SAMI_ECP_OP_REQUEST, seq, ulpdu, ul);
    deliver(f, fz_mutate(in, f, n));
}

static void op_keepalive(struct fz_in *in)
{
    uint8_t ulpdu[600];
    struct sami_vdp_vsi v;
    size_t len = 0;
    const struct sami_vdp_bridge_vsi *e = &B.vsis[fz_u8(in) % B.nv];
    if (!e->in_use)
        return;
    sami_vdp_sm_vsi_view(&e->rec, e->state, &v);
    v.migrate_to = (e->hints & SAMI_VDP_STATUS_M) != 0;
    v.suspended = (e->hints & SAMI_VDP_STATUS_S) != 0;
    if (sami_vdp_sm_build(ulpdu, sizeof ulpdu, e->mgrid, &v, NULL, 0, &len) != 0)
        return;
    send_ulpdu(in, ulpdu, len);
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
        if (sami_vdp_bridge_set_evb(&B.br, &l, &r) == 0)
            note_params(&B.br.cfg.params);
    } else {
        struct sami_vdp_sm_params p;
        p.r = fz_u8(in) & 15;
        p.rte = fz_u8(in) & 63;
        p.rwd = fz_u8(in) & 31;
        p.rka = fz_u8(in) & 31;
        int rc = sami_vdp_bridge_set_params(&B.br, &p);
        FUZZ_CHECK((rc == 0) == (sami_vdp_sm_params_check(&p) == 0));
        if (rc == 0)
            note_params(&p);
    }
}

static void check_state(void)
{
    size_t used = 0;
    for (size_t i = 0; i < B.nv; i++) {
        const struct sami_vdp_bridge_vsi *e = &B.vsis[i];
        if (!e->in_use)
            continue;
        used++;
        FUZZ_CHECK(e->state >= SAMI_VDP_VSI_PREASSOCIATED && e->state <= SAMI_VDP_VSI_ASSOCIATED);
        FUZZ_CHECK(accepted(e->rec.id_format, e->rec.id, e->state));
        FUZZ_CHECK(sami_vdp_bridge_find(&B.br, e->rec.id_format, e->rec.id) == e);
        FUZZ_CHECK(e->refreshed <= B.now && e->expires >= e->refreshed);
    }
    FUZZ_CHECK(used <= B.nv && sami_vdp_bridge_count(&B.br) == used);
    FUZZ_CHECK(sami_ecp_engine_queued(&B.br.ecp) <= NSLOT);
    FZ_CHECK_DEADLINE(sami_vdp_bridge_next_deadline(&B.br), B.now, B.bound);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct sami_vdp_bridge_config cfg;
    struct sami_vdp_bridge_callbacks cb = {on_tx, policy, on_event, NULL, NULL};

    memset(&B, 0, sizeof B);
    B.in = &in;
    sami_vdp_bridge_config_default(&cfg);
    memcpy(cfg.mac, MAC_B, 6);
    memcpy(cfg.mgrid, "bridge-default", 14);
    uint8_t p0 = fz_u8(&in);
    B.nv = 1 + (p0 & 3);
    cfg.params.r = (p0 >> 2) & 7;
    cfg.params.rte = (uint8_t)(p0 >> 5);
    cfg.params.rwd = fz_u8(&in) & 31;
    cfg.params.rka = fz_u8(&in) & 31;
    FUZZ_CHECK(sami_vdp_bridge_init(&B.br, &cfg, &cb, B.vsis, B.nv, B.slots, NSLOT) == 0);
    B.ka_min = SAMI_NO_DEADLINE;
    note_params(&cfg.params);
    B.now = SAMI_SEC(1);

    for (unsigned steps = 0; in.n > 0 && steps < 512; steps++) {
        uint8_t op = fz_u8(&in);
        switch (op % 12) {
        case 0: {
            uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME + 16];
            size_t got = 0;
            const uint8_t *p = fz_view(&in, fz_u16(&in) % sizeof f, &got);
            memcpy(f, p, got);
            deliver(f, got);
            break;
        }
        case 1:
        case 11: {
            uint8_t ulpdu[1400];
            size_t ul = build_request(&in, ulpdu, sizeof ulpdu, op % 12 == 11);
            if (ul)
                send_ulpdu(&in, ulpdu, ul);
            break;
        }
        case 2:
            op_keepalive(&in);
            break;
        case 3: {
            uint8_t f[64];
            uint8_t how = fz_u8(&in);
            uint16_t seq = (uint16_t)(B.bseq + ((how & 1) ? (how >> 1) % 5 - 2 : 0));
            size_t n = fz_ecp_frame(f, sizeof f, MAC_B, MAC_S[(how >> 7) & 1], SAMI_ECP_OP_ACK,
                                    seq, NULL, 0);
            deliver(f, fz_mutate(&in, f, n));
            break;
        }
        case 4:
            advance(B.now + ((sami_usec_t)fz_u16(&in) << (op >> 4)));
            break;
        case 5: {
            sami_usec_t d = sami_vdp_bridge_next_deadline(&B.br);
            if (d != SAMI_NO_DEADLINE)
                advance(d + (op >> 4));
            break;
        }
        case 6:
            advance(B.now + (sami_usec_t)fz_u32(&in));
            break;
        case 7: {
            uint8_t id[16];
            memcpy(id, "fuzz-vsi-uuid-0", 15);
            id[15] = (uint8_t)(fz_u8(&in) % NID);
            int rc = sami_vdp_bridge_deassoc(&B.br, B.now, SAMI_VDP_VSIID_UUID, id, NULL, 0);
            FUZZ_CHECK(rc <= 0);
            break;
        }
        case 8: {
            uint8_t org[40];
            size_t n = 4 + fz_u8(&in) % 30;
            org[0] = (uint8_t)(SAMI_VDP_TLV_ORG << 1);
            org[1] = (uint8_t)n;
            fz_bytes(&in, org + 2, n);
            int rc = sami_vdp_bridge_send_org(&B.br, B.now, org, n + 2, NULL);
            FUZZ_CHECK(rc <= 0);
            break;
        }
        case 9:
            op_params(&in);
            break;
        default:
            sami_vdp_bridge_set_policy(&B.br, (op & 0x10) ? NULL : policy);
            break;
        }
        check_state();
    }
    if (fz_verbose()) {
        const struct sami_vdp_bridge_counters *c = &B.br.stats;
        fprintf(stderr, "requests %llu refreshes %llu accepted %llu rejected %llu (full %llu) "
                        "deassoc %llu expired %llu tx %llu dropped %llu owed %zu\n",
                (unsigned long long)c->rx_requests, (unsigned long long)c->refreshes,
                (unsigned long long)c->accepted, (unsigned long long)c->rejected,
                (unsigned long long)c->rejected_full, (unsigned long long)c->deassoc,
                (unsigned long long)c->expired, (unsigned long long)c->tx_pdus,
                (unsigned long long)c->tx_dropped, B.nowed);
    }
    return 0;
}
