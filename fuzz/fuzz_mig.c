/* libFuzzer harness: the migration engines (vdp-ext/mig_hv.c, mig_bridge.c),
 * driven by sequences of notifications / feedback, transfer events, host
 * calls and time steps.
 *
 * Input: octet 0 bit 0 picks the engine (0 = hypervisor side, the fuzzer
 * plays the bridge; 1 = bridge side, the fuzzer plays the hypervisors and
 * the transfer engine); then the engine's timers and table size (5 octets
 * for mig_hv, 7 for mig_bridge) and a 32-bit op failure mask; then
 * operations (opcode octet + arguments, struct fz_in).
 *
 * mig_hv operations: start (one of 4 migration ids, role), time point
 * (any value, next-deadline hint), abort, end, addresses; feedback built
 * for a migration (verdict, time point current or not, results,
 * transfer time) and optionally mutated as bytes before decoding (only what
 * decodes is handed in, as a receiver would); arbitrary feedback bytes;
 * time +µs / to the next deadline / big jump.
 * Invariants: every notification sent decodes (samitlv) to the migration
 * and time point asked for; one outcome per time point sent (time_point /
 * abort), except the documented ROLLBACK after ACKED; the outcome is about
 * the current time point and has a cause: PROCEED (and REFUSED, only for
 * ABORTED) needs a PROCEED feedback for that time point, ROLLBACK a
 * ROLLBACK one, ACKED any feedback, TIMEOUT comes only from run; nothing for
 * a migration that was ended; the next deadline is none or in [now, now +
 * the longest timer]; codes are 0 or negative.
 *
 * The ops (send_notification here; resolve_peer aside, all of them on the
 * bridge side) fail when a bit of a 32-bit mask in the header says so.
 *
 * mig_bridge operations: a notification (migration id, VM, original /
 * destination bridge among this one and two others, time point, deadline
 * hint, flags), optionally mutated as bytes and decoded; a transfer event
 * (any of the nine, or an invalid one) with results; time steps; a peer
 * bridge the configuration does not know (resolve_peer fails).
 * Invariants: PROCEED is sent only for a local move or after the harness
 * delivered the install confirmation (RESULT_OK at the origin; INSTALLED or
 * ACTIVATED at the destination: a PROCEED refusing ABORTED after RESUMED
 * comes between the two) for that migration; freeze and unfreeze alternate per
 * migration (never two freezes, never an unfreeze without one); every
 * feedback encodes and decodes back (samitlv) and is for a migration a
 * notification named; records in use never above the table; the next
 * deadline is none or in [now, now + the longest timeout, hint and margin];
 * codes are 0 or negative. */
#include "common.h"
#include "sami/mig_bridge.h"
#include "sami/mig_hv.h"
#include "sami/samitlv.h"

#define NMIG 4
#define NTAB_MAX 4

static const uint8_t OUI[3] = SAMI_OUI_DEFAULT;

static sami_usec_t NOW;
/* Which calls of an op fail: bit (n % 32) of the n-th call (from the input
 * header, so failures do not shift the operation stream). */
static uint32_t FAILMASK;
static unsigned NCALLS;

static int op_rc(void)
{
    return (FAILMASK >> (NCALLS++ % 32)) & 1 ? SAMI_ERR_NOBUFS : 0;
}

static sami_usec_t BOUND;
static int IN_RUN;

static uint64_t mig_id(unsigned i)
{
    return 0x5a5a000000000000ull + i;
}

static int mig_index(uint64_t id)
{
    return (id >= mig_id(0) && id < mig_id(NMIG)) ? (int)(id - mig_id(0)) : -1;
}

static void mk_vm(struct sami_vm_id *vm, unsigned i)
{
    memset(vm, 0, sizeof *vm);
    vm->type_id = 0x1234;
    vm->type_version = 1;
    vm->id_format = 5;
    memcpy(vm->id, "fuzz-vm-uuid-00", 15);
    vm->id[15] = (uint8_t)i;
}

/* Bridge i (0 = this one in bridge mode) on port p. */
static void mk_ref(struct sami_bridge_ref *b, unsigned i, unsigned p)
{
    memset(b, 0, sizeof *b);
    b->chassis_id_subtype = 4;
    b->chassis_id_len = 6;
    b->chassis_id[0] = 0x02;
    b->chassis_id[5] = (uint8_t)(0x10 + i);
    b->port_id_subtype = 7;
    b->port_id_len = 2;
    b->port_id[0] = 'p';
    b->port_id[1] = (uint8_t)('0' + p);
}

/* ================================================================ HV == */

static struct {
    struct sami_mig_hv hv;
    struct sami_mig_hv_rec tab[NTAB_MAX];
    size_t ntab;
    struct {
        int live;          /* a record exists (started, not ended / freed) */
        uint8_t tp;        /* time point of the current epoch, 0 = none */
        uint8_t n_out, first_out;
        uint8_t fb_any, fb_proceed, fb_rollback; /* feedback for tp this epoch */
    } m[NMIG];
} H;

static int hv_send(void *ctx, uint64_t id, int tp, const uint8_t *value, size_t len, int pairing)
{
    static struct sami_notif n;
    struct sami_err err;
    (void)ctx;
    int k = mig_index(id);
    FUZZ_CHECK(k >= 0 && H.m[k].live);
    FUZZ_CHECK(tp == H.m[k].tp);
    FUZZ_CHECK(pairing >= SAMI_MIG_HV_PAIR_STANDALONE && pairing <= SAMI_MIG_HV_PAIR_DEASSOC);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_samitlv_notif_decode(value, len, OUI, &n, &err) == 0);
    FUZZ_CHECK(n.migration_id == id && n.time_point == tp);
    return op_rc();
}

static void hv_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    (void)ctx;
    int k = mig_index(v->mig_id);
    FUZZ_CHECK(k >= 0 && H.m[k].live);
    FUZZ_CHECK(v->time_point == H.m[k].tp && v->time_point != 0);
    FUZZ_CHECK(v->n_results <= SAMI_SAMITLV_MAX_RESULTS);
    /* one outcome per time point, or ACKED then one ROLLBACK */
    if (H.m[k].n_out == 1)
        FUZZ_CHECK(H.m[k].first_out == SAMI_MIG_HV_ACKED && v->outcome == SAMI_MIG_HV_ROLLBACK);
    FUZZ_CHECK(H.m[k].n_out < 2);
    if (H.m[k].n_out++ == 0)
        H.m[k].first_out = v->outcome;
    switch (v->outcome) {
    case SAMI_MIG_HV_PROCEED:
        FUZZ_CHECK(H.m[k].fb_proceed && !IN_RUN);
        FUZZ_CHECK(v->time_point == SAMI_TP_SUSPENDED || v->time_point == SAMI_TP_RESUMED);
        break;
    case SAMI_MIG_HV_REFUSED:
        FUZZ_CHECK(H.m[k].fb_proceed && !IN_RUN && v->time_point == SAMI_TP_ABORTED);
        break;
    case SAMI_MIG_HV_ROLLBACK:
        FUZZ_CHECK(H.m[k].fb_rollback && !IN_RUN);
        break;
    case SAMI_MIG_HV_ACKED:
        FUZZ_CHECK(H.m[k].fb_any && !IN_RUN);
        break;
    case SAMI_MIG_HV_TIMEOUT:
        FUZZ_CHECK(IN_RUN);
        break;
    default:
        FUZZ_CHECK(!"unknown outcome");
    }
}

static void hv_new_epoch(int k, uint8_t tp)
{
    H.m[k].tp = tp;
    H.m[k].n_out = 0;
    H.m[k].fb_any = H.m[k].fb_proceed = H.m[k].fb_rollback = 0;
}

static void hv_feedback(const struct sami_feedback *fb)
{
    int k = mig_index(fb->migration_id);
    if (k >= 0 && fb->time_point == H.m[k].tp) {
        H.m[k].fb_any = 1;
        if (fb->verdict == SAMI_VERDICT_PROCEED)
            H.m[k].fb_proceed = 1;
        if (fb->verdict == SAMI_VERDICT_ROLLBACK)
            H.m[k].fb_rollback = 1;
    }
    int rc = sami_mig_hv_feedback_input(&H.hv, NOW, fb);
    FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_NOTFOUND || rc == SAMI_ERR_STATE ||
               rc == SAMI_ERR_EXISTS || rc == SAMI_ERR_VALUE);
}

static void hv_run(sami_usec_t to)
{
    if (to < NOW)
        to = NOW;
    NOW = to;
    IN_RUN = 1;
    sami_mig_hv_run(&H.hv, NOW);
    IN_RUN = 0;
    /* A record whose outcome comes in this run with linger 0 is freed by
     * the next run at the same time (documented in docs/FUZZING.md): one
     * more call must clear everything due, or the host loop would spin. */
    sami_usec_t d = sami_mig_hv_next_deadline(&H.hv);
    if (d != SAMI_NO_DEADLINE && d <= NOW) {
        IN_RUN = 1;
        sami_mig_hv_run(&H.hv, NOW);
        IN_RUN = 0;
        d = sami_mig_hv_next_deadline(&H.hv);
    }
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || d > NOW);
    /* records the engine freed after their linger are gone for us too */
    for (int k = 0; k < NMIG; k++) {
        struct sami_mig_hv_info info;
        if (H.m[k].live && sami_mig_hv_get(&H.hv, mig_id((unsigned)k), &info) != 0)
            H.m[k].live = 0;
    }
}

static void hv_check(void)
{
    struct sami_mig_hv_info info[NTAB_MAX + 1];
    size_t n = sami_mig_hv_list(&H.hv, info, NTAB_MAX + 1);
    FUZZ_CHECK(n <= H.ntab);
    for (size_t i = 0; i < n; i++) {
        int k = mig_index(info[i].mig_id);
        FUZZ_CHECK(k >= 0 && H.m[k].live);
        FUZZ_CHECK(info[i].deadline == SAMI_NO_DEADLINE ||
                   (info[i].deadline >= NOW && info[i].deadline - NOW <= BOUND));
    }
    for (int k = 0; k < NMIG; k++) {
        struct sami_mig_hv_info one;
        if (H.m[k].live)
            FUZZ_CHECK(sami_mig_hv_get(&H.hv, mig_id((unsigned)k), &one) == 0);
    }
    sami_usec_t d = sami_mig_hv_next_deadline(&H.hv);
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || (d >= NOW && d - NOW <= BOUND));
}

static void run_hv(struct fz_in *in)
{
    static const struct sami_mig_hv_ops ops = {hv_send, hv_verdict};
    struct sami_mig_hv_cfg cfg;

    memset(&H, 0, sizeof H);
    sami_mig_hv_cfg_default(&cfg);
    cfg.ack_timeout = (sami_usec_t)(1 + fz_u8(in)) * 1000;
    uint8_t b = fz_u8(in);
    cfg.max_retries = b & 7;
    cfg.max_reasks = (b >> 3) & 7;
    cfg.verdict_wait = (sami_usec_t)(1 + fz_u8(in)) * 20000;
    cfg.linger = (sami_usec_t)fz_u8(in) * 10000;
    H.ntab = 1 + (fz_u8(in) & 3);
    FAILMASK = fz_u32(in);
    FUZZ_CHECK(sami_mig_hv_init(&H.hv, &cfg, &ops, NULL, H.tab, H.ntab) == 0);
    /* the longest single timer: retransmission after the last doubling,
     * the decision wait, the linger */
    BOUND = (cfg.ack_timeout << (cfg.max_retries + 1)) + cfg.verdict_wait + cfg.linger;

    for (unsigned steps = 0; in->n > 0 && steps < 512; steps++) {
        uint8_t op = fz_u8(in);
        int k = (op >> 4) % NMIG;
        uint64_t id = mig_id((unsigned)k);
        switch (op % 10) {
        case 0: {
            struct sami_vm_id vm;
            struct sami_bridge_ref o, d;
            uint8_t a = fz_u8(in);
            mk_vm(&vm, a & 3);
            mk_ref(&o, 1, 1);
            mk_ref(&d, 2, 2);
            uint32_t di = (a & 0x40) ? fz_u32(in) : 0x3e;
            int rc = sami_mig_hv_start(&H.hv, NOW, id, &vm, &o, &d, (a & 4) ? SAMI_MIG_HV_DEST
                                                                           : SAMI_MIG_HV_SOURCE,
                                       di);
            FUZZ_CHECK(rc <= 0);
            if (rc == 0) {
                FUZZ_CHECK(!H.m[k].live);
                H.m[k].live = 1;
                hv_new_epoch(k, 0);
            }
            break;
        }
        case 1: {
            uint8_t tp = fz_u8(in) % 7; /* 0 and 6: refused */
            uint32_t hint = (fz_u8(in) & 1) ? fz_u16(in) : 0;
            /* the outcome of the superseded time point must not come now */
            uint8_t old_tp = H.m[k].tp, old_n = H.m[k].n_out, old_first = H.m[k].first_out;
            int live = H.m[k].live;
            if (live)
                hv_new_epoch(k, tp);
            int rc = sami_mig_hv_time_point(&H.hv, NOW, id, tp, hint);
            FUZZ_CHECK(rc <= 0);
            if (rc != 0 && live) { /* nothing sent, state unchanged */
                H.m[k].tp = old_tp;
                H.m[k].n_out = old_n;
                H.m[k].first_out = old_first;
            }
            break;
        }
        case 2: {
            uint16_t reason = fz_u16(in);
            int live = H.m[k].live;
            uint8_t old_tp = H.m[k].tp, old_n = H.m[k].n_out, old_first = H.m[k].first_out;
            if (live)
                hv_new_epoch(k, SAMI_TP_ABORTED);
            int rc = sami_mig_hv_abort(&H.hv, NOW, id, reason);
            FUZZ_CHECK(rc <= 0);
            if (rc != 0 && live) {
                H.m[k].tp = old_tp;
                H.m[k].n_out = old_n;
                H.m[k].first_out = old_first;
            }
            break;
        }
        case 3: {
            int rc = sami_mig_hv_end(&H.hv, id);
            FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_NOTFOUND);
            FUZZ_CHECK((rc == 0) == H.m[k].live);
            H.m[k].live = 0;
            break;
        }
        case 4:
        case 5: {
            /* feedback as the bridge would send it, maybe mutated */
            static struct sami_feedback fb, back;
            uint8_t buf[SAMI_SAMITLV_MAX_VALUE];
            size_t len = 0;
            uint8_t a = fz_u8(in);
            memset(&fb, 0, sizeof fb);
            fb.version = SAMI_SAMITLV_VERSION;
            fb.verdict = a % 3;
            fb.time_point = (a & 0x08) ? (uint8_t)(1 + (a >> 4) % 5) : H.m[k].tp;
            if (fb.time_point == 0)
                fb.time_point = SAMI_TP_PREPARE;
            fb.migration_id = (a & 0x80) && (a & 0x04) ? fz_u64(in) : id;
            fb.transfer_time_us = fz_u32(in);
            fb.n_results = fz_u8(in) % 4;
            for (uint8_t i = 0; i < fb.n_results; i++) {
                fb.results[i].di_type = (uint8_t)(1 + i);
                fb.results[i].status = fz_u8(in) % 5;
                fb.results[i].records_sent = fz_u16(in);
            }
            if (sami_samitlv_feedback_encode(&fb, OUI, buf, sizeof buf, &len) != 0)
                break;
            if (op % 10 == 5) {
                size_t pos = fz_u16(in) % len;
                buf[pos] ^= fz_u8(in);
            }
            if (sami_samitlv_feedback_decode(buf, len, OUI, &back, NULL) == 0)
                hv_feedback(&back);
            break;
        }
        case 6: {
            static struct sami_feedback back;
            size_t got = 0;
            const uint8_t *p = fz_view(in, fz_u16(in) % 600, &got);
            if (sami_samitlv_feedback_decode(p, got, OUI, &back, NULL) == 0)
                hv_feedback(&back);
            break;
        }
        case 7:
            hv_run(NOW + ((sami_usec_t)fz_u16(in) << (op >> 5)));
            break;
        case 8: {
            sami_usec_t d = sami_mig_hv_next_deadline(&H.hv);
            if (d != SAMI_NO_DEADLINE)
                hv_run(d + (op >> 6));
            else
                hv_run(NOW + fz_u32(in));
            break;
        }
        default: {
            struct sami_samitlv_mac_vlan macs[SAMI_SAMITLV_MAX_MACS + 1];
            uint8_t v4[SAMI_SAMITLV_MAX_IPV4 + 1][4];
            uint8_t v6[SAMI_SAMITLV_MAX_IPV6 + 1][16];
            uint8_t a = fz_u8(in);
            size_t nm = a % (SAMI_SAMITLV_MAX_MACS + 2), n4 = (a >> 5) % 10, n6 = fz_u8(in) % 10;
            if (nm > SAMI_SAMITLV_MAX_MACS + 1)
                nm = SAMI_SAMITLV_MAX_MACS + 1;
            if (n4 > SAMI_SAMITLV_MAX_IPV4 + 1)
                n4 = SAMI_SAMITLV_MAX_IPV4 + 1;
            if (n6 > SAMI_SAMITLV_MAX_IPV6 + 1)
                n6 = SAMI_SAMITLV_MAX_IPV6 + 1;
            memset(macs, 0, sizeof macs);
            memset(v4, 0x0a, sizeof v4);
            memset(v6, 0x20, sizeof v6);
            for (size_t i = 0; i < nm; i++) {
                macs[i].mac[5] = (uint8_t)i;
                macs[i].word = fz_u16(in);
            }
            int rc = sami_mig_hv_set_addrs(&H.hv, id, macs, nm, (const uint8_t(*)[4])v4, n4,
                                           (const uint8_t(*)[16])v6, n6);
            FUZZ_CHECK(rc <= 0);
            break;
        }
        }
        hv_check();
    }
    if (fz_verbose()) {
        const struct sami_mig_hv_counters *c = sami_mig_hv_get_counters(&H.hv);
        fprintf(stderr, "hv: started %llu tx %llu rtx %llu fb %llu outcomes none/proceed/"
                        "rollback/timeout/acked/refused %llu/%llu/%llu/%llu/%llu/%llu\n",
                (unsigned long long)c->started, (unsigned long long)c->notif_tx,
                (unsigned long long)c->notif_rtx, (unsigned long long)c->fb_rx,
                (unsigned long long)c->outcomes[0], (unsigned long long)c->outcomes[1],
                (unsigned long long)c->outcomes[2], (unsigned long long)c->outcomes[3],
                (unsigned long long)c->outcomes[4], (unsigned long long)c->outcomes[5]);
    }
}

/* ============================================================ BRIDGE == */

static struct {
    struct sami_mig_bridge br;
    struct sami_mig_bridge_rec tab[NTAB_MAX];
    size_t ntab;
    sami_usec_t longest; /* sum of the configured timeouts */
    sami_usec_t hint_max;
    struct {
        int named;    /* some notification named this migration */
        int confirm;  /* RESULT_OK, INSTALLED or ACTIVATED accepted */
        int frozen;
    } m[NMIG];
} G;

static int br_send_feedback(void *ctx, uint32_t port, const struct sami_feedback *fb)
{
    static struct sami_feedback back;
    uint8_t buf[SAMI_SAMITLV_MAX_VALUE];
    size_t len = 0;
    (void)ctx;
    (void)port;
    int k = mig_index(fb->migration_id);
    FUZZ_CHECK(k >= 0 && G.m[k].named);
    FUZZ_CHECK(sami_samitlv_feedback_encode(fb, OUI, buf, sizeof buf, &len) == 0);
    FUZZ_CHECK(sami_samitlv_feedback_decode(buf, len, OUI, &back, NULL) == 0);
    FUZZ_CHECK(back.verdict == fb->verdict && back.time_point == fb->time_point &&
               back.migration_id == fb->migration_id && back.n_results == fb->n_results);
    if (fb->verdict == SAMI_VERDICT_PROCEED) {
        struct sami_mig_bridge_info info;
        int local = sami_mig_bridge_get(&G.br, fb->migration_id, &info) == 0 &&
                    info.role == SAMI_MIG_BRIDGE_LOCAL;
        /* no go-ahead without the destination's install being confirmed */
        FUZZ_CHECK(local || G.m[k].confirm);
    }
    return op_rc();
}

static int br_resolve(void *ctx, const struct sami_bridge_ref *b, uint32_t *peer)
{
    (void)ctx;
    if (b->chassis_id[5] == 0x12) /* bridge 2: not configured */
        return SAMI_ERR_NOTFOUND;
    *peer = b->chassis_id[5];
    return 0;
}

static int br_precopy(void *ctx, uint32_t peer, const struct sami_bridge_ref *ref, uint64_t id,
                      const struct sami_vm_id *vm, uint32_t di)
{
    (void)ctx;
    (void)peer;
    (void)ref;
    (void)vm;
    (void)di;
    FUZZ_CHECK(mig_index(id) >= 0);
    return op_rc();
}

static int br_commit(void *ctx, uint64_t id)
{
    (void)ctx;
    FUZZ_CHECK(mig_index(id) >= 0);
    return op_rc();
}

static int br_expect(void *ctx, uint32_t peer, uint64_t id, const struct sami_vm_id *vm,
                     uint32_t di, sami_usec_t deadline)
{
    (void)ctx;
    (void)peer;
    (void)vm;
    (void)di;
    FUZZ_CHECK(mig_index(id) >= 0 && deadline >= NOW);
    return op_rc();
}

static int br_activate(void *ctx, uint64_t id)
{
    (void)ctx;
    FUZZ_CHECK(mig_index(id) >= 0);
    return op_rc();
}

static int br_abort(void *ctx, uint64_t id, int notify, uint16_t reason)
{
    (void)ctx;
    (void)reason;
    FUZZ_CHECK(mig_index(id) >= 0 && (notify == 0 || notify == 1));
    return op_rc();
}

static int br_freeze(void *ctx, uint64_t id, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)vm;
    int k = mig_index(id);
    FUZZ_CHECK(k >= 0 && !G.m[k].frozen); /* never frozen twice */
    int rc = op_rc();
    if (rc == 0)
        G.m[k].frozen = 1;
    return rc;
}

static int br_unfreeze(void *ctx, uint64_t id, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)vm;
    int k = mig_index(id);
    FUZZ_CHECK(k >= 0 && G.m[k].frozen); /* only what was frozen */
    G.m[k].frozen = 0;
    return op_rc();
}

static void br_check(void)
{
    struct sami_mig_bridge_info info[NTAB_MAX + 1];
    size_t n = sami_mig_bridge_list(&G.br, info, NTAB_MAX + 1);
    sami_usec_t bound = G.longest + G.hint_max + G.br.cfg.margin;
    FUZZ_CHECK(n <= G.ntab);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(mig_index(info[i].mig_id) >= 0);
        FUZZ_CHECK(info[i].state > SAMI_MIG_BRIDGE_FREE &&
                   info[i].state < SAMI_MIG_BRIDGE_STATE_COUNT);
        FUZZ_CHECK(info[i].role >= SAMI_MIG_BRIDGE_ORIGIN && info[i].role <= SAMI_MIG_BRIDGE_LOCAL);
        FUZZ_CHECK(info[i].deadline == SAMI_NO_DEADLINE ||
                   (info[i].deadline >= NOW && info[i].deadline - NOW <= bound));
    }
    sami_usec_t d = sami_mig_bridge_next_deadline(&G.br);
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || (d >= NOW && d - NOW <= bound));
}

static void br_run(sami_usec_t to)
{
    if (to < NOW)
        to = NOW;
    NOW = to;
    sami_mig_bridge_run(&G.br, NOW);
    sami_usec_t d = sami_mig_bridge_next_deadline(&G.br);
    FUZZ_CHECK(d == SAMI_NO_DEADLINE || d > NOW);
}

static void br_notify(struct fz_in *in, int mutate)
{
    static struct sami_notif n, back;
    uint8_t buf[SAMI_SAMITLV_MAX_VALUE];
    size_t len = 0;
    uint8_t a = fz_u8(in), b = fz_u8(in);
    int k = a % NMIG;
    memset(&n, 0, sizeof n);
    n.version = SAMI_SAMITLV_VERSION;
    n.time_point = (uint8_t)(1 + (a >> 2) % 5);
    if ((b & 0x0f) == 0x0f)
        n.time_point = fz_u8(in); /* out of range too */
    n.flags = (a >> 5) & 3;
    n.migration_id = mig_id((unsigned)k);
    n.timestamp_ms = 1700000000000ull + NOW / 1000;
    n.next_deadline_ms = (b & 0x10) ? fz_u16(in) : 0;
    n.di_types = (b & 0x20) ? (fz_u32(in) & ~1u) : 0x3e;
    mk_vm(&n.vm, (b & 0x40) ? 1u + (a >> 7) : 0u);
    /* original / destination among this bridge (0) and two others */
    uint8_t w = fz_u8(in);
    mk_ref(&n.orig_bridge, w % 3, 1);
    mk_ref(&n.dest_bridge, (w >> 2) % 3, 2);
    if (n.time_point == SAMI_TP_ABORTED && (w & 0x10)) {
        n.has_reason = 1;
        n.reason = fz_u16(in);
    }
    if (sami_samitlv_notif_encode(&n, OUI, buf, sizeof buf, &len) != 0)
        return;
    if (mutate) {
        size_t pos = fz_u16(in) % len;
        buf[pos] ^= fz_u8(in);
    }
    if (sami_samitlv_notif_decode(buf, len, OUI, &back, NULL) != 0)
        return;
    int bk = mig_index(back.migration_id);
    if (bk < 0)
        return; /* ids outside the harness's table: shadow state cannot follow */
    G.m[bk].named = 1;
    if (back.next_deadline_ms && SAMI_MSEC(back.next_deadline_ms) > G.hint_max)
        G.hint_max = SAMI_MSEC(back.next_deadline_ms);
    int rc = sami_mig_bridge_notification_input(&G.br, NOW, w >> 5, &back);
    if (fz_verbose())
        fprintf(stderr, "notification %llx tp %u: %d\n", (unsigned long long)back.migration_id,
                back.time_point, rc);
    FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_LIMIT || rc == SAMI_ERR_REJECTED ||
               rc == SAMI_ERR_STATE || rc == SAMI_ERR_EXISTS || rc == SAMI_ERR_VALUE ||
               rc == SAMI_ERR_INVAL);
}

static void run_bridge(struct fz_in *in)
{
    static const struct sami_mig_bridge_ops ops = {
        br_send_feedback, br_resolve, br_precopy, br_commit, br_expect,
        br_activate,      br_abort,   br_freeze,  br_unfreeze};
    struct sami_mig_bridge_cfg cfg;

    memset(&G, 0, sizeof G);
    sami_mig_bridge_cfg_default(&cfg);
    mk_ref(&cfg.local, 0, 0);
    cfg.margin = (sami_usec_t)fz_u8(in) * 10000;
    cfg.prepare_timeout = (sami_usec_t)(1 + fz_u8(in)) * 100000;
    cfg.commit_timeout = (sami_usec_t)(1 + fz_u8(in)) * 20000;
    cfg.activate_timeout = (sami_usec_t)(1 + fz_u8(in)) * 50000;
    cfg.purge_timeout = (sami_usec_t)(1 + fz_u8(in)) * 20000;
    cfg.linger = (sami_usec_t)(1 + fz_u8(in)) * 100000;
    G.ntab = 1 + (fz_u8(in) & 3);
    FAILMASK = fz_u32(in);
    FUZZ_CHECK(sami_mig_bridge_init(&G.br, &cfg, &ops, NULL, G.tab, G.ntab) == 0);
    /* a phase may span several timeouts (BR-D's PREPARE without a hint
     * allows prepare + commit): their sum bounds any one deadline */
    G.longest = cfg.prepare_timeout + cfg.commit_timeout + cfg.activate_timeout +
                cfg.purge_timeout + cfg.linger;

    for (unsigned steps = 0; in->n > 0 && steps < 512; steps++) {
        uint8_t op = fz_u8(in);
        switch (op % 7) {
        case 0:
        case 1:
            br_notify(in, op % 7 == 1);
            break;
        case 2: {
            struct sami_fb_result res[3];
            struct sami_mig_xfer_info info;
            uint8_t a = fz_u8(in);
            int k = a % NMIG;
            int ev = (a >> 2) % 11; /* 0 and 10: invalid */
            memset(res, 0, sizeof res);
            memset(&info, 0, sizeof info);
            info.reason = fz_u8(in) % 10;
            info.n_results = fz_u8(in) % 4;
            for (uint8_t i = 0; i < info.n_results; i++) {
                res[i].di_type = (uint8_t)(1 + i);
                res[i].status = fz_u8(in) % 5;
                res[i].records_installed = fz_u16(in);
            }
            info.results = res;
            /* the install confirmation, as the transfer engine reports it
             * (the PROCEED it unlocks goes out during the call); an event
             * the engine refuses confirms nothing */
            int had = G.m[k].confirm;
            if (ev == SAMI_MIG_XFER_RESULT_OK || ev == SAMI_MIG_XFER_INSTALLED ||
                ev == SAMI_MIG_XFER_ACTIVATED)
                G.m[k].confirm = 1;
            int rc = sami_mig_bridge_xfer_event(&G.br, NOW, mig_id((unsigned)k), ev,
                                                (a & 0x80) ? NULL : &info);
            FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_NOTFOUND || rc == SAMI_ERR_STATE ||
                       rc == SAMI_ERR_VALUE);
            if (rc != 0)
                G.m[k].confirm = had;
            break;
        }
        case 3:
            br_run(NOW + ((sami_usec_t)fz_u16(in) << (op >> 4)));
            break;
        case 4: {
            sami_usec_t d = sami_mig_bridge_next_deadline(&G.br);
            if (d != SAMI_NO_DEADLINE)
                br_run(d + (op >> 5));
            break;
        }
        case 5:
            br_run(NOW + fz_u32(in));
            break;
        default: {
            struct sami_mig_bridge_info info;
            int rc = sami_mig_bridge_get(&G.br, mig_id((op >> 4) % NMIG), &info);
            FUZZ_CHECK(rc == 0 || rc == SAMI_ERR_NOTFOUND);
            break;
        }
        }
        br_check();
    }
    if (fz_verbose()) {
        const struct sami_mig_bridge_counters *c = sami_mig_bridge_get_counters(&G.br);
        fprintf(stderr, "bridge: notif %llu started %llu proceeded %llu rolled_back %llu done %llu "
                        "fb %llu unexpected %llu out_of_order %llu\n",
                (unsigned long long)c->notif_rx, (unsigned long long)c->started,
                (unsigned long long)c->proceeded, (unsigned long long)c->rolled_back,
                (unsigned long long)c->done, (unsigned long long)c->fb_tx,
                (unsigned long long)c->xfer_unexpected, (unsigned long long)c->notif_out_of_order);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    NOW = SAMI_SEC(10);
    NCALLS = 0;
    IN_RUN = 0;
    if (fz_u8(&in) & 1)
        run_bridge(&in);
    else
        run_hv(&in);
    return 0;
}
