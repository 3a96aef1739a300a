/* Bridge-side migration engine: every transition of the per-migration state
 * machine (docs/ENGINES-MIGRATION.md), each phase's deadline, each abort
 * point, duplicates, contradictions and refusals, on a fake clock with
 * fake ops that record every call. Every feedback handed to the fake must
 * encode (samitlv). The last tests wire two hypervisor engines and two
 * bridge engines together through the real codec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sami/mig_bridge.h"
#include "sami/mig_hv.h"

#define MID 0x0102030405060708ull
#define MID2 0x2222ull
#define MID3 0x3333ull
#define DI (SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_DOT1X))
#define PORT 7u
#define PEER_O 11u /* transfer handle of BR-O as BR-D's config knows it */
#define PEER_D 22u

/* ---------------------------------------------------------- fake ops -- */

enum kind { C_FB = 1, C_PRECOPY, C_COMMIT, C_EXPECT, C_ACTIVATE, C_ABORT, C_FREEZE, C_UNFREEZE };

struct call {
    int kind;
    uint64_t mig;
    uint32_t port, peer;
    int notify;
    uint16_t reason;
    uint32_t di_types;
    sami_usec_t deadline;
    struct sami_feedback fb;
};

static struct fake {
    struct call calls[48];
    size_t n;
    int resolve_calls;
    int know_o, know_d;          /* resolve_peer knows BR-O / BR-D */
    int fail_kind;               /* this op returns fail_rc */
    int fail_rc;
} F;

static struct sami_bridge_ref BR_O, BR_D, BR_X;

static struct call *log_call(int kind, uint64_t mig)
{
    assert_true(F.n < 48);
    struct call *c = &F.calls[F.n++];
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->mig = mig;
    return c;
}

static int rc_for(int kind)
{
    return F.fail_kind == kind ? F.fail_rc : 0;
}

static int f_send_feedback(void *ctx, uint32_t port, const struct sami_feedback *fb)
{
    (void)ctx;
    /* whatever the engine sends must be encodable */
    uint8_t buf[SAMI_SAMITLV_MAX_VALUE];
    size_t len;
    assert_int_equal(sami_samitlv_feedback_encode(fb, NULL, buf, sizeof buf, &len), 0);
    struct call *c = log_call(C_FB, fb->migration_id);
    c->port = port;
    c->fb = *fb;
    return 0;
}

static int f_resolve(void *ctx, const struct sami_bridge_ref *b, uint32_t *peer)
{
    (void)ctx;
    F.resolve_calls++;
    if (F.know_o && sami_bridge_ref_equal(b, &BR_O)) {
        *peer = PEER_O;
        return 0;
    }
    if (F.know_d && sami_bridge_ref_equal(b, &BR_D)) {
        *peer = PEER_D;
        return 0;
    }
    return SAMI_ERR_NOTFOUND;
}

static int f_precopy(void *ctx, uint32_t peer, const struct sami_bridge_ref *peer_ref, uint64_t mig,
                     const struct sami_vm_id *vm, uint32_t di_types)
{
    (void)ctx;
    (void)vm;
    assert_true(sami_bridge_ref_equal(peer_ref, &BR_D));
    struct call *c = log_call(C_PRECOPY, mig);
    c->peer = peer;
    c->di_types = di_types;
    return rc_for(C_PRECOPY);
}

static int f_commit(void *ctx, uint64_t mig)
{
    (void)ctx;
    log_call(C_COMMIT, mig);
    return rc_for(C_COMMIT);
}

static int f_expect(void *ctx, uint32_t peer, uint64_t mig, const struct sami_vm_id *vm,
                    uint32_t di_types, sami_usec_t deadline)
{
    (void)ctx;
    (void)vm;
    struct call *c = log_call(C_EXPECT, mig);
    c->peer = peer;
    c->di_types = di_types;
    c->deadline = deadline;
    return rc_for(C_EXPECT);
}

static int f_activate(void *ctx, uint64_t mig)
{
    (void)ctx;
    log_call(C_ACTIVATE, mig);
    return rc_for(C_ACTIVATE);
}

static int f_abort(void *ctx, uint64_t mig, int notify, uint16_t reason)
{
    (void)ctx;
    struct call *c = log_call(C_ABORT, mig);
    c->notify = notify;
    c->reason = reason;
    return 0;
}

static int f_freeze(void *ctx, uint64_t mig, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)vm;
    log_call(C_FREEZE, mig);
    return rc_for(C_FREEZE);
}

static int f_unfreeze(void *ctx, uint64_t mig, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)vm;
    log_call(C_UNFREEZE, mig);
    return 0;
}

static const struct sami_mig_bridge_ops OPS = {f_send_feedback, f_resolve, f_precopy, f_commit,
                                               f_expect,        f_activate, f_abort,  f_freeze,
                                               f_unfreeze};

/* ----------------------------------------------------------- fixture -- */

static struct sami_mig_bridge BR;
static struct sami_mig_bridge_rec TABLE[4];
static struct sami_vm_id VM;
static sami_usec_t NOW;

static void bridge_ref(struct sami_bridge_ref *b, uint8_t last, const char *port)
{
    memset(b, 0, sizeof *b);
    b->chassis_id_subtype = 4;
    b->chassis_id_len = 6;
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
    memcpy(b->chassis_id, mac, 6);
    b->port_id_subtype = 5;
    b->port_id_len = (uint8_t)strlen(port);
    memcpy(b->port_id, port, b->port_id_len);
}

static void fixture(const struct sami_bridge_ref *local, size_t n_table)
{
    memset(&F, 0, sizeof F);
    F.know_o = F.know_d = 1;
    NOW = 0;
    struct sami_mig_bridge_cfg cfg;
    sami_mig_bridge_cfg_default(&cfg);
    /* the local reference names another port of the same chassis: only
     * the chassis id must matter */
    cfg.local = *local;
    cfg.local.port_id_len = 3;
    memcpy(cfg.local.port_id, "mgt", 3);
    assert_int_equal(sami_mig_bridge_init(&BR, &cfg, &OPS, &F, TABLE, n_table), 0);
}

static void init_refs(void)
{
    bridge_ref(&BR_O, 1, "eth1");
    bridge_ref(&BR_D, 2, "eth7");
    bridge_ref(&BR_X, 9, "eth9");
    memset(&VM, 0, sizeof VM);
    VM.type_id = 0xabcdef;
    VM.type_version = 2;
    VM.id_format = 5;
    for (int i = 0; i < 16; i++)
        VM.id[i] = (uint8_t)i;
}

static int setup_origin(void **state)
{
    (void)state;
    init_refs();
    fixture(&BR_O, 4);
    return 0;
}

static int setup_dest(void **state)
{
    (void)state;
    init_refs();
    fixture(&BR_D, 4);
    return 0;
}

static struct sami_notif N;

static const struct sami_notif *notif(uint64_t mig, int tp, uint32_t next_deadline_ms)
{
    memset(&N, 0, sizeof N);
    N.version = 1;
    N.time_point = (uint8_t)tp;
    N.flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
    N.migration_id = mig;
    N.timestamp_ms = 1700000000000ull;
    N.next_deadline_ms = next_deadline_ms;
    N.di_types = DI;
    N.vm = VM;
    N.orig_bridge = BR_O;
    N.dest_bridge = BR_D;
    return &N;
}

static int in(uint64_t mig, int tp)
{
    return sami_mig_bridge_notification_input(&BR, NOW, PORT, notif(mig, tp, 0));
}

static int in_hint(uint64_t mig, int tp, uint32_t hint_ms)
{
    return sami_mig_bridge_notification_input(&BR, NOW, PORT, notif(mig, tp, hint_ms));
}

static int ev(uint64_t mig, int e)
{
    return sami_mig_bridge_xfer_event(&BR, NOW, mig, e, NULL);
}

static void run_at(sami_usec_t t)
{
    NOW = t;
    sami_mig_bridge_run(&BR, t);
}

static size_t count(int kind)
{
    size_t k = 0;
    for (size_t i = 0; i < F.n; i++)
        k += F.calls[i].kind == kind;
    return k;
}

static const struct call *last(int kind)
{
    for (size_t i = F.n; i > 0; i--)
        if (F.calls[i - 1].kind == kind)
            return &F.calls[i - 1];
    fail_msg("no call of kind %d", kind);
    return NULL;
}

/* The last call is a feedback with this time point and verdict. */
static const struct sami_feedback *expect_fb(int tp, int verdict)
{
    assert_true(F.n > 0);
    const struct call *c = &F.calls[F.n - 1];
    assert_int_equal(c->kind, C_FB);
    assert_int_equal(c->port, PORT);
    assert_int_equal(c->fb.time_point, tp);
    assert_int_equal(c->fb.verdict, verdict);
    assert_int_equal(c->fb.has_bridge, 1);
    return &c->fb;
}

/* Every wanted DI type reported with this status and reason. */
static void expect_results(const struct sami_feedback *fb, int status, int reason)
{
    assert_int_equal(fb->n_results, 2);
    assert_int_equal(fb->results[0].di_type, SAMI_DI_DHCP);
    assert_int_equal(fb->results[1].di_type, SAMI_DI_DOT1X);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(fb->results[i].status, status);
        assert_int_equal(fb->results[i].reason, reason);
    }
}

static int state_of(uint64_t mig)
{
    struct sami_mig_bridge_info info;
    if (sami_mig_bridge_get(&BR, mig, &info))
        return SAMI_MIG_BRIDGE_FREE;
    return info.state;
}

static sami_usec_t deadline_of(uint64_t mig)
{
    struct sami_mig_bridge_info info;
    assert_int_equal(sami_mig_bridge_get(&BR, mig, &info), 0);
    return info.deadline;
}

/* Origin up to O_COMMIT at t = 10 s. */
static void origin_to_commit(void)
{
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PRECOPY_DONE), 0);
    NOW = SAMI_SEC(10);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMIT);
}

static void origin_to_committed(void)
{
    origin_to_commit();
    NOW += SAMI_MSEC(40);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMITTED);
}

static void dest_to_installed(void)
{
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    NOW = SAMI_SEC(10);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_INSTALLED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_INSTALLED);
}

static void dest_to_activating(void)
{
    dest_to_installed();
    NOW += SAMI_MSEC(100);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVATING);
}

static struct sami_mig_xfer_info two_results(const struct sami_fb_result *r)
{
    struct sami_mig_xfer_info i = {SAMI_FB_REASON_NONE, 2, r};
    return i;
}

static const struct sami_fb_result RES_OK[2] = {
    {SAMI_DI_DHCP, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 3, 3},
    {SAMI_DI_DOT1X, SAMI_DI_STATUS_PARTIAL, SAMI_FB_REASON_LIMIT, 5, 4},
};

/* ------------------------------------------------------- happy paths -- */

static void test_init_args(void **state)
{
    (void)state;
    struct sami_mig_bridge br;
    struct sami_mig_bridge_rec t[1];
    struct sami_mig_bridge_cfg cfg;
    sami_mig_bridge_cfg_default(&cfg);
    assert_int_equal(sami_mig_bridge_init(&br, &cfg, &OPS, NULL, t, 1), SAMI_ERR_INVAL); /* no local */
    cfg.local = BR_O;
    assert_int_equal(sami_mig_bridge_init(&br, &cfg, &OPS, NULL, t, 0), SAMI_ERR_INVAL);
    struct sami_mig_bridge_ops ops = OPS;
    ops.unfreeze = NULL;
    assert_int_equal(sami_mig_bridge_init(&br, &cfg, &ops, NULL, t, 1), SAMI_ERR_INVAL);
    cfg.commit_timeout = 0;
    assert_int_equal(sami_mig_bridge_init(&br, &cfg, &OPS, NULL, t, 1), SAMI_ERR_INVAL);
    cfg.commit_timeout = 1;
    assert_int_equal(sami_mig_bridge_init(&br, &cfg, &OPS, NULL, t, 1), 0);
    assert_int_equal(sami_mig_bridge_notification_input(&br, 0, 0, NULL), SAMI_ERR_INVAL);
    struct sami_notif n = *notif(MID, 9, 0);
    assert_int_equal(sami_mig_bridge_notification_input(&br, 0, 0, &n), SAMI_ERR_VALUE);
    assert_int_equal(br.counters.notif_invalid, 1);
    assert_int_equal(sami_mig_bridge_xfer_event(&br, 0, MID, 0, NULL), SAMI_ERR_VALUE);
    assert_int_equal(sami_mig_bridge_xfer_event(&br, 0, MID, 10, NULL), SAMI_ERR_VALUE);
    assert_true(sami_mig_bridge_next_deadline(&br) == SAMI_NO_DEADLINE);
}

static void test_origin_happy_path(void **state)
{
    (void)state;
    /* PREPARE: acknowledge, then pre-copy to the resolved peer */
    assert_int_equal(in_hint(MID, SAMI_TP_PREPARE, 20000), 0);
    assert_int_equal(F.n, 2);
    assert_int_equal(F.calls[0].kind, C_FB);
    assert_int_equal(F.calls[0].fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(F.calls[0].fb.time_point, SAMI_TP_PREPARE);
    assert_int_equal(F.calls[0].fb.n_results, 0);
    assert_true(sami_bridge_ref_equal(&F.calls[0].fb.bridge, &BR_O));
    assert_int_equal(F.calls[1].kind, C_PRECOPY);
    assert_int_equal(F.calls[1].peer, PEER_D);
    assert_int_equal(F.calls[1].di_types, DI);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PRECOPY);
    assert_true(deadline_of(MID) == SAMI_MSEC(20500)); /* hint + margin */
    assert_true(sami_mig_bridge_next_deadline(&BR) == SAMI_MSEC(20500));

    assert_int_equal(ev(MID, SAMI_MIG_XFER_PRECOPY_DONE), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_STAGED);
    assert_true(deadline_of(MID) == SAMI_MSEC(20500)); /* still awaiting SUSPENDED */

    /* SUSPENDED: acknowledge, freeze, commit */
    NOW = SAMI_SEC(10);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    assert_int_equal(F.n, 5);
    assert_int_equal(F.calls[2].kind, C_FB);
    assert_int_equal(F.calls[2].fb.time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(F.calls[2].fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(F.calls[3].kind, C_FREEZE);
    assert_int_equal(F.calls[4].kind, C_COMMIT);
    struct sami_mig_bridge_info info;
    assert_int_equal(sami_mig_bridge_get(&BR, MID, &info), 0);
    assert_int_equal(info.state, SAMI_MIG_BRIDGE_O_COMMIT);
    assert_int_equal(info.frozen, 1);
    assert_true(info.deadline == SAMI_SEC(15)); /* no hint: commit_timeout */

    /* RESULT ok: PROCEED with the transfer time and per-type results */
    NOW = SAMI_SEC(10) + 41234;
    struct sami_mig_xfer_info xi = two_results(RES_OK);
    assert_int_equal(sami_mig_bridge_xfer_event(&BR, NOW, MID, SAMI_MIG_XFER_RESULT_OK, &xi), 0);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED);
    assert_int_equal(fb->transfer_time_us, 41234);
    assert_int_equal(fb->n_results, 2);
    assert_memory_equal(&fb->results[1], &RES_OK[1], sizeof RES_OK[1]);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMITTED);
    assert_true(deadline_of(MID) == NOW + SAMI_SEC(30));

    /* BR-D activated, then our purge: done, freeze released */
    NOW += SAMI_SEC(1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PURGING);
    assert_true(deadline_of(MID) == NOW + SAMI_SEC(10));
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(count(C_ABORT), 0);

    /* COMPLETED (with DeAssoc) ends bookkeeping; the record lingers */
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    sami_usec_t gone = deadline_of(MID);
    assert_true(gone == NOW + SAMI_SEC(60));
    run_at(gone - 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    run_at(gone);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);
    assert_true(sami_mig_bridge_next_deadline(&BR) == SAMI_NO_DEADLINE);
    /* once freed, a straggler COMPLETED is acknowledged: nothing to finish
     * (a restarted bridge says the same), no record comes back */
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);
    assert_int_equal(BR.counters.completed_unknown, 1);

    const struct sami_mig_bridge_counters *c = sami_mig_bridge_get_counters(&BR);
    assert_int_equal(c->started, 1);
    assert_int_equal(c->proceeded, 1);
    assert_int_equal(c->done, 1);
    assert_int_equal(c->freed, 1);
    assert_int_equal(c->rolled_back, 0);
    assert_int_equal(count(C_FREEZE), 1);
}

static void test_dest_happy_path(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(F.n, 2);
    assert_int_equal(F.calls[0].kind, C_FB);
    assert_int_equal(F.calls[0].fb.verdict, SAMI_VERDICT_PENDING);
    assert_true(sami_bridge_ref_equal(&F.calls[0].fb.bridge, &BR_D));
    assert_int_equal(F.calls[1].kind, C_EXPECT);
    assert_int_equal(F.calls[1].peer, PEER_O);
    assert_int_equal(F.calls[1].di_types, DI);
    /* no hint: pre-copy and commit phases both fit */
    assert_true(F.calls[1].deadline == SAMI_SEC(125));
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_EXPECT);
    assert_true(deadline_of(MID) == SAMI_SEC(125));

    NOW = SAMI_SEC(10);
    struct sami_mig_xfer_info xi = two_results(RES_OK);
    assert_int_equal(sami_mig_bridge_xfer_event(&BR, NOW, MID, SAMI_MIG_XFER_INSTALLED, &xi), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_INSTALLED);
    assert_true(deadline_of(MID) == SAMI_SEC(125)); /* later of the two */
    assert_int_equal(F.n, 2);

    NOW += SAMI_MSEC(100);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    assert_int_equal(F.calls[2].kind, C_FB);
    assert_int_equal(F.calls[2].fb.time_point, SAMI_TP_RESUMED);
    assert_int_equal(F.calls[2].fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(F.calls[3].kind, C_ACTIVATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVATING);
    assert_true(deadline_of(MID) == NOW + SAMI_SEC(30));

    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    assert_int_equal(fb->n_results, 2);
    assert_int_equal(fb->results[0].records_installed, 3);
    assert_int_equal(fb->transfer_time_us, 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVE);
    assert_true(deadline_of(MID) == NOW + SAMI_SEC(10));

    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_FREEZE) + count(C_UNFREEZE) + count(C_ABORT), 0);
}

static void test_dest_completed_ends_bookkeeping(void **state)
{
    (void)state;
    /* COMPLETED while activating: DONE as soon as activation is confirmed */
    dest_to_activating();
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVATING);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);

    /* COMPLETED while waiting for BR-O's PURGE: DONE at once */
    setup_dest(NULL);
    dest_to_activating();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    /* a late PURGE is harmless */
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), SAMI_ERR_STATE);
}

static void test_dest_install_deadline(void **state)
{
    (void)state;
    /* short hint: installing extends to activate_timeout */
    assert_int_equal(in_hint(MID, SAMI_TP_PREPARE, 2000), 0);
    assert_true(deadline_of(MID) == SAMI_MSEC(2500));
    assert_true(F.calls[1].deadline == SAMI_MSEC(2500));
    NOW = SAMI_SEC(1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_INSTALLED), 0);
    assert_true(deadline_of(MID) == SAMI_SEC(31));
    /* long hint: kept */
    assert_int_equal(in_hint(MID2, SAMI_TP_PREPARE, 100000), 0);
    assert_int_equal(ev(MID2, SAMI_MIG_XFER_INSTALLED), 0);
    assert_true(deadline_of(MID2) == SAMI_SEC(1) + SAMI_MSEC(100500));
}

/* ------------------------------------------------- phase deadlines -- */

static void test_origin_timeout_precopy(void **state)
{
    (void)state;
    assert_int_equal(in_hint(MID, SAMI_TP_PREPARE, 2000), 0);
    run_at(SAMI_MSEC(2500) - 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PRECOPY);
    size_t n = F.n;
    run_at(SAMI_MSEC(2500));
    assert_int_equal(F.n, n + 2);
    assert_int_equal(F.calls[n].kind, C_ABORT);
    assert_int_equal(F.calls[n].notify, 1);
    assert_int_equal(F.calls[n].reason, SAMI_FB_REASON_DEADLINE);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    expect_results(fb, SAMI_DI_STATUS_TIMEOUT, SAMI_FB_REASON_DEADLINE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_O_PRECOPY], 1);
    assert_int_equal(count(C_UNFREEZE), 0); /* never frozen */
    /* a SUSPENDED after the give-up is answered ROLLBACK, nothing frozen */
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(count(C_FREEZE), 0);
}

static void test_origin_timeout_staged_default(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PRECOPY_DONE), 0);
    run_at(SAMI_SEC(120) - 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_STAGED);
    run_at(SAMI_SEC(120));
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_O_STAGED], 1);
}

static void test_origin_timeout_commit(void **state)
{
    (void)state;
    origin_to_commit();
    run_at(SAMI_SEC(15) - 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMIT);
    size_t n = F.n;
    run_at(SAMI_SEC(15));
    assert_int_equal(F.n, n + 3);
    assert_int_equal(F.calls[n].kind, C_UNFREEZE);
    assert_int_equal(F.calls[n + 1].kind, C_ABORT);
    assert_int_equal(F.calls[n + 1].notify, 1);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    expect_results(fb, SAMI_DI_STATUS_TIMEOUT, SAMI_FB_REASON_DEADLINE);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_O_COMMIT], 1);
    /* the RESULT that comes too late changes nothing */
    n = F.n;
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), SAMI_ERR_STATE);
    assert_int_equal(F.n, n);
    assert_int_equal(BR.counters.xfer_unexpected, 1);
}

static void test_origin_timeout_commit_hint(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    NOW = SAMI_SEC(10);
    assert_int_equal(in_hint(MID, SAMI_TP_SUSPENDED, 1000), 0);
    assert_true(deadline_of(MID) == SAMI_SEC(10) + SAMI_MSEC(1500));
    run_at(SAMI_SEC(10) + SAMI_MSEC(1500));
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
}

static void test_origin_timeout_activate(void **state)
{
    (void)state;
    origin_to_committed();
    sami_usec_t d = deadline_of(MID);
    assert_true(d == NOW + SAMI_SEC(30));
    size_t fbs = count(C_FB);
    run_at(d);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(last(C_ABORT)->notify, 1);
    assert_int_equal(last(C_ABORT)->reason, SAMI_FB_REASON_DEADLINE);
    assert_int_equal(count(C_FB), fbs); /* HV-S already has its PROCEED */
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_O_COMMITTED], 1);
}

static void test_origin_timeout_purge(void **state)
{
    (void)state;
    origin_to_committed();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    run_at(NOW + SAMI_SEC(10));
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(count(C_ABORT), 0);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_O_PURGING], 1);
}

static void test_dest_timeout_expect(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    run_at(SAMI_SEC(125));
    assert_int_equal(last(C_ABORT)->notify, 1);
    assert_int_equal(last(C_ABORT)->reason, SAMI_FB_REASON_DEADLINE);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_TIMEOUT,
                   SAMI_FB_REASON_DEADLINE);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_D_EXPECT], 1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_INSTALLED), SAMI_ERR_STATE);
}

static void test_dest_timeout_installed(void **state)
{
    (void)state;
    dest_to_installed();
    run_at(SAMI_SEC(125));
    assert_int_equal(count(C_ABORT), 1);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_D_INSTALLED], 1);
    /* RESUMED after the discard: ROLLBACK, no activation */
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(count(C_ACTIVATE), 0);
}

static void test_dest_timeout_activating(void **state)
{
    (void)state;
    dest_to_activating();
    run_at(NOW + SAMI_SEC(30));
    assert_int_equal(last(C_ABORT)->notify, 1);
    expect_results(expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_TIMEOUT,
                   SAMI_FB_REASON_DEADLINE);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_D_ACTIVATING], 1);
}

static void test_dest_timeout_active(void **state)
{
    (void)state;
    dest_to_activating();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    run_at(NOW + SAMI_SEC(10));
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(count(C_ABORT), 0);
    assert_int_equal(BR.counters.timeouts[SAMI_MIG_BRIDGE_D_ACTIVE], 1);
}

/* ------------------------------------------------------ abort points -- */

static void test_origin_abort_during_precopy(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    size_t n = F.n;
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(F.n, n + 2);
    assert_int_equal(F.calls[n].kind, C_FB);
    assert_int_equal(F.calls[n].fb.time_point, SAMI_TP_ABORTED);
    assert_int_equal(F.calls[n].fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(F.calls[n + 1].kind, C_ABORT);
    assert_int_equal(F.calls[n + 1].notify, 1);
    assert_int_equal(F.calls[n + 1].reason, SAMI_FB_REASON_ABORTED);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(count(C_UNFREEZE), 0);
    /* later time points get ROLLBACK; the abort again is just acknowledged */
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_results(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_ABORTED);
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_ABORT), 1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PRECOPY_DONE), SAMI_ERR_STATE);
}

static void test_origin_abort_after_suspended(void **state)
{
    (void)state;
    origin_to_commit();
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(last(C_ABORT)->notify, 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    size_t fbs = count(C_FB);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), SAMI_ERR_STATE);
    assert_int_equal(count(C_FB), fbs); /* never a PROCEED after the abort */
}

static void test_origin_abort_after_result(void **state)
{
    (void)state;
    origin_to_committed();
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(last(C_FB)->fb.time_point, SAMI_TP_ABORTED);
    assert_int_equal(last(C_FB)->fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(count(C_ABORT), 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    /* After PROCEED the destination decides: BR-D's ACTIVATE, answering
     * the ABORT, means the VM runs there; the transfer engine purged. No
     * second verdict, the record ends as a migration that went ahead. */
    size_t fbs = count(C_FB);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PURGING);
    assert_int_equal(BR.counters.late_activated, 1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(count(C_FB), fbs);
}

/* Before PROCEED a late ACTIVATE is not followed: the rollback HV-S heard
 * stands (BR-D activates only on RESUMED, which that rollback forbids). */
static void test_origin_abort_after_suspended_no_late_activation(void **state)
{
    (void)state;
    origin_to_commit();
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), SAMI_ERR_STATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(BR.counters.late_activated, 0);
}

static void test_origin_abort_after_activation_refused(void **state)
{
    (void)state;
    origin_to_committed();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(in(MID, SAMI_TP_ABORTED), SAMI_ERR_STATE);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PROCEED);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PURGING);
    assert_int_equal(count(C_UNFREEZE) + count(C_ABORT), 0);
    assert_int_equal(BR.counters.abort_refused, 1);
    /* its retransmission gets the same refusal */
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PROCEED);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
}

static void test_dest_abort_before_install(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(F.calls[F.n - 2].kind, C_FB);
    assert_int_equal(F.calls[F.n - 2].fb.verdict, SAMI_VERDICT_PENDING);
    assert_int_equal(last(C_ABORT)->notify, 1); /* learnt from HV-D: tell BR-O */
    assert_int_equal(last(C_ABORT)->reason, SAMI_FB_REASON_ABORTED);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
}

static void test_dest_abort_after_install(void **state)
{
    (void)state;
    dest_to_installed();
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(count(C_ABORT), 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(count(C_ACTIVATE), 0);
}

static void test_dest_abort_after_resumed_refused(void **state)
{
    (void)state;
    dest_to_activating();
    assert_int_equal(in(MID, SAMI_TP_ABORTED), SAMI_ERR_STATE);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PROCEED);
    assert_int_equal(count(C_ABORT), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVATING);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    assert_int_equal(BR.counters.abort_refused, 1);
}

static void test_peer_abort_at_origin(void **state)
{
    (void)state;
    /* before SUSPENDED: ROLLBACK answering PREPARE; the peer knows already */
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_ABORTED);
    assert_int_equal(count(C_ABORT) + count(C_UNFREEZE), 0);

    /* committing: ROLLBACK answering SUSPENDED, unfreeze */
    setup_origin(NULL);
    origin_to_commit();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), 0);
    assert_int_equal(F.calls[F.n - 2].kind, C_UNFREEZE);
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(count(C_ABORT), 0);

    /* after PROCEED: unfreeze, no second verdict */
    setup_origin(NULL);
    origin_to_committed();
    size_t fbs = count(C_FB);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), 0);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(count(C_FB), fbs);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);

    /* after activation: refused */
    setup_origin(NULL);
    origin_to_committed();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), SAMI_ERR_STATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PURGING);
    assert_int_equal(BR.counters.abort_refused, 1);
}

static void test_peer_abort_at_dest(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), 0);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK); /* HV-D learns it */
    assert_int_equal(count(C_ABORT), 0);

    setup_dest(NULL);
    dest_to_installed();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);

    setup_dest(NULL);
    dest_to_activating();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), SAMI_ERR_STATE);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ABORTED_BY_PEER), SAMI_ERR_STATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_ACTIVE);
}

/* ------------------------------------------- duplicates, contradictions -- */

static void test_duplicates_origin(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_PRECOPY), 1);
    NOW = SAMI_SEC(1);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_FREEZE), 1);
    assert_int_equal(count(C_COMMIT), 1);
    NOW += 777;
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), 0);
    expect_results(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), SAMI_DI_STATUS_OK, 0);
    /* the retransmitted SUSPENDED now gets the decision, same transfer time */
    NOW += SAMI_SEC(1);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    assert_int_equal(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED)->transfer_time_us, 777);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    assert_int_equal(BR.counters.notif_dup, 4);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMITTED); /* records kept */
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PURGED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
}

static void test_duplicates_dest(void **state)
{
    (void)state;
    dest_to_activating();
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PENDING);
    assert_int_equal(count(C_ACTIVATE), 1);
    assert_int_equal(count(C_EXPECT), 1);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), SAMI_ERR_STATE); /* duplicate event */
    assert_int_equal(BR.counters.notif_dup, 3);
}

static void test_out_of_order_origin(void **state)
{
    (void)state;
    /* nothing announced: only PREPARE (or ABORTED) can start; COMPLETED is
     * acknowledged (nothing to finish) */
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), SAMI_ERR_STATE);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), SAMI_ERR_STATE);
    assert_int_equal(F.n, 0);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), 0);
    expect_fb(SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING);
    assert_int_equal(F.n, 1);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);

    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    size_t n = F.n;
    /* RESUMED / COMPLETED before SUSPENDED: counted, no answer, no change */
    assert_int_equal(in(MID, SAMI_TP_RESUMED), SAMI_ERR_STATE);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), SAMI_ERR_STATE);
    assert_int_equal(F.n, n);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PRECOPY);
    NOW = SAMI_SEC(1);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    n = F.n;
    assert_int_equal(in(MID, SAMI_TP_RESUMED), SAMI_ERR_STATE); /* before the decision */
    assert_int_equal(F.n, n);
    assert_int_equal(BR.counters.notif_out_of_order, 5);
    /* after PROCEED, HV-S telling RESUMED is information */
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), 0);
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PENDING);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMITTED);
    /* unexpected transfer events are ignored and counted */
    assert_int_equal(ev(MID, SAMI_MIG_XFER_INSTALLED), SAMI_ERR_STATE);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PRECOPY_DONE), SAMI_ERR_STATE);
    assert_int_equal(BR.counters.xfer_unexpected, 2);
}

static void test_out_of_order_dest_self_heals(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    size_t n = F.n;
    /* RESUMED before the state is installed: dropped, nothing activated */
    assert_int_equal(in(MID, SAMI_TP_RESUMED), SAMI_ERR_STATE);
    assert_int_equal(in(MID, SAMI_TP_COMPLETED), SAMI_ERR_STATE);
    assert_int_equal(F.n, n);
    /* HV-D's SUSPENDED is harmless before activation */
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_INSTALLED), 0);
    /* the hypervisor's retransmission of RESUMED now succeeds */
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    assert_int_equal(last(C_ACTIVATE)->mig, MID);
    assert_int_equal(BR.counters.notif_out_of_order, 2);
    assert_int_equal(BR.counters.notif_dup, 0);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0); /* a duplicate */
    assert_int_equal(ev(MID, SAMI_MIG_XFER_ACTIVATED), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_OK), SAMI_ERR_STATE);
}

static void test_mismatched_identity(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    size_t n = F.n;
    struct sami_notif x = *notif(MID, SAMI_TP_SUSPENDED, 0);
    x.vm.id[0] ^= 1;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), SAMI_ERR_EXISTS);
    x = *notif(MID, SAMI_TP_ABORTED, 0);
    x.dest_bridge = BR_X;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), SAMI_ERR_EXISTS);
    assert_int_equal(F.n, n);
    assert_int_equal(BR.counters.notif_mismatch, 2);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_PRECOPY);
}

/* --------------------------------------------------------- refusals -- */

static void test_unknown_peer_origin(void **state)
{
    (void)state;
    F.know_d = 0;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(F.n, 1); /* the decision is the acknowledgement */
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_UNREACHABLE);
    assert_int_equal(count(C_PRECOPY), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(BR.counters.unknown_peer, 1);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(F.resolve_calls, 1);
}

static void test_unknown_peer_dest(void **state)
{
    (void)state;
    F.know_o = 0;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_UNREACHABLE);
    assert_int_equal(count(C_EXPECT), 0);
}

static void test_table_full(void **state)
{
    (void)state;
    fixture(&BR_O, 2);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID2, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID3, SAMI_TP_PREPARE), SAMI_ERR_LIMIT);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    assert_true(fb->migration_id == MID3);
    expect_results(fb, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_LIMIT);
    assert_true(sami_bridge_ref_equal(&fb->bridge, &BR_O));
    assert_int_equal(BR.counters.refused_limit, 1);
    assert_int_equal(sami_mig_bridge_list(&BR, NULL, 0), 2);
    /* a finished migration frees its slot after the linger */
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    run_at(SAMI_SEC(60));
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);
    assert_int_equal(in(MID3, SAMI_TP_PREPARE), 0);
    assert_int_equal(state_of(MID3), SAMI_MIG_BRIDGE_O_PRECOPY);
    assert_int_equal(BR.counters.reclaimed, 0);
}

/* Table full of finished records: a new PREPARE takes the one that has
 * lingered longest (a flood of short-lived migrations must not lock the
 * table for a minute). */
static void test_table_full_reclaims_finished(void **state)
{
    (void)state;
    fixture(&BR_O, 2);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID2, SAMI_TP_PREPARE), 0);
    NOW = SAMI_SEC(1);
    assert_int_equal(in(MID2, SAMI_TP_ABORTED), 0);
    NOW = SAMI_SEC(2);
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(state_of(MID2), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(in(MID3, SAMI_TP_PREPARE), 0);
    assert_int_equal(BR.counters.reclaimed, 1);
    assert_int_equal(BR.counters.refused_limit, 0);
    /* MID2 finished first: its record went */
    assert_int_equal(state_of(MID2), SAMI_MIG_BRIDGE_FREE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(state_of(MID3), SAMI_MIG_BRIDGE_O_PRECOPY);
    /* live migrations are never reclaimed */
    assert_int_equal(in(0x4444, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(0x5555, SAMI_TP_PREPARE), SAMI_ERR_LIMIT);
    assert_int_equal(BR.counters.refused_limit, 1);
    assert_int_equal(state_of(MID3), SAMI_MIG_BRIDGE_O_PRECOPY);
}

/* max_per_port: one port's hypervisor cannot take every record. */
static void test_per_port_limit(void **state)
{
    (void)state;
    memset(&F, 0, sizeof F);
    F.know_o = F.know_d = 1;
    NOW = 0;
    struct sami_mig_bridge_cfg cfg;
    sami_mig_bridge_cfg_default(&cfg);
    cfg.local = BR_O;
    cfg.max_per_port = 2;
    assert_int_equal(sami_mig_bridge_init(&BR, &cfg, &OPS, &F, TABLE, 4), 0);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID2, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID3, SAMI_TP_PREPARE), SAMI_ERR_LIMIT);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    assert_true(fb->migration_id == MID3);
    expect_results(fb, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_LIMIT);
    assert_int_equal(BR.counters.refused_port_limit, 1);
    assert_int_equal(BR.counters.refused_limit, 0);
    /* another port still gets its migrations */
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT + 1,
                                                        notif(MID3, SAMI_TP_PREPARE, 0)), 0);
    assert_int_equal(state_of(MID3), SAMI_MIG_BRIDGE_O_PRECOPY);
    /* a finished one no longer counts against its port */
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    assert_int_equal(in(0x4444, SAMI_TP_PREPARE), 0);
    assert_int_equal(BR.counters.refused_port_limit, 1);
    assert_int_equal(sami_mig_bridge_list(&BR, NULL, 0), 4);
}

static void test_not_ours(void **state)
{
    (void)state;
    fixture(&BR_X, 4);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), SAMI_ERR_REJECTED);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK);
    expect_results(fb, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_REJECTED);
    assert_int_equal(fb->bridge.chassis_id[5], 9);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);
    assert_int_equal(BR.counters.notif_not_ours, 1);
}

static void test_abort_unknown_is_acknowledged(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_ABORTED), 0);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PENDING);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FREE);
    assert_int_equal(BR.counters.abort_unknown, 1);
    assert_int_equal(count(C_ABORT), 0);
}

static void test_result_failed(void **state)
{
    (void)state;
    origin_to_commit();
    /* sloppy results: a type-0 entry and a repeated type are dropped */
    const struct sami_fb_result r[4] = {
        {SAMI_DI_DHCP, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_DIGEST, 3, 0},
        {0, SAMI_DI_STATUS_OK, 0, 0, 0},
        {SAMI_DI_DOT1X, SAMI_DI_STATUS_OK, 0, 2, 0},
        {SAMI_DI_DHCP, SAMI_DI_STATUS_OK, 0, 1, 1},
    };
    struct sami_mig_xfer_info xi = {SAMI_FB_REASON_DIGEST, 4, r};
    assert_int_equal(sami_mig_bridge_xfer_event(&BR, NOW, MID, SAMI_MIG_XFER_RESULT_FAILED, &xi), 0);
    const struct sami_feedback *fb = expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(fb->n_results, 2);
    assert_int_equal(fb->results[0].reason, SAMI_FB_REASON_DIGEST);
    assert_int_equal(fb->results[1].di_type, SAMI_DI_DOT1X);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(last(C_ABORT)->notify, 1);
    assert_int_equal(last(C_ABORT)->reason, SAMI_FB_REASON_DIGEST);
}

static void test_result_failed_before_suspended(void **state)
{
    (void)state;
    /* BR-D refused the pre-copy (UNSOLICITED) and the transfer engine gave up */
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_RESULT_FAILED), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_REJECTED);
}

static void test_peer_timeout_and_error(void **state)
{
    (void)state;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PEER_TIMEOUT), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_TIMEOUT,
                   SAMI_FB_REASON_UNREACHABLE);
    assert_int_equal(last(C_ABORT)->notify, 1);

    setup_origin(NULL);
    origin_to_commit();
    struct sami_mig_xfer_info xi = {SAMI_FB_REASON_AUTH, 0, NULL};
    assert_int_equal(sami_mig_bridge_xfer_event(&BR, NOW, MID, SAMI_MIG_XFER_PEER_ERROR, &xi), 0);
    expect_results(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_AUTH);
    assert_int_equal(count(C_UNFREEZE), 1);

    /* after PROCEED a transport error does not undo the decision */
    setup_origin(NULL);
    origin_to_committed();
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PEER_ERROR), SAMI_ERR_STATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_O_COMMITTED);
    /* at the destination the deadlines bound the wait instead */
    setup_dest(NULL);
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(ev(MID, SAMI_MIG_XFER_PEER_TIMEOUT), SAMI_ERR_STATE);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_D_EXPECT);
}

static void test_op_failures(void **state)
{
    (void)state;
    /* commit cannot start: roll back at once */
    F.fail_kind = C_COMMIT;
    F.fail_rc = SAMI_ERR_STATE;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_results(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_INTERNAL);
    assert_int_equal(count(C_UNFREEZE), 1);
    assert_int_equal(last(C_ABORT)->notify, 1);
    assert_int_equal(BR.counters.op_errors, 1);

    /* freeze fails: nothing to unfreeze */
    setup_origin(NULL);
    F.fail_kind = C_FREEZE;
    F.fail_rc = SAMI_ERR_STATE;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    assert_int_equal(in(MID, SAMI_TP_SUSPENDED), 0);
    expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(count(C_UNFREEZE), 0);
    assert_int_equal(count(C_COMMIT), 0);

    /* pre-copy cannot start */
    setup_origin(NULL);
    F.fail_kind = C_PRECOPY;
    F.fail_rc = SAMI_ERR_NOMEM;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_LIMIT);
    assert_int_equal(last(C_ABORT)->notify, 0);

    /* the transfer engine's table is full at the destination */
    setup_dest(NULL);
    F.fail_kind = C_EXPECT;
    F.fail_rc = SAMI_ERR_LIMIT;
    assert_int_equal(in(MID, SAMI_TP_PREPARE), 0);
    expect_results(expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_DI_STATUS_FAILED,
                   SAMI_FB_REASON_LIMIT);

    /* activation cannot start */
    setup_dest(NULL);
    F.fail_kind = C_ACTIVATE;
    F.fail_rc = SAMI_ERR_STATE;
    dest_to_installed();
    assert_int_equal(in(MID, SAMI_TP_RESUMED), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_ROLLBACK);
    assert_int_equal(last(C_ABORT)->notify, 1);
}

static void test_local_move(void **state)
{
    (void)state;
    struct sami_bridge_ref other_port = BR_O;
    other_port.port_id[3] = '2'; /* "eth2": same chassis */
    struct sami_notif x = *notif(MID, SAMI_TP_PREPARE, 0);
    x.dest_bridge = other_port;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    expect_fb(SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
    struct sami_mig_bridge_info info;
    assert_int_equal(sami_mig_bridge_get(&BR, MID, &info), 0);
    assert_int_equal(info.role, SAMI_MIG_BRIDGE_LOCAL);
    x.time_point = SAMI_TP_SUSPENDED;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    expect_results(expect_fb(SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), SAMI_DI_STATUS_OK, 0);
    x.time_point = SAMI_TP_RESUMED;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    expect_fb(SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    x.time_point = SAMI_TP_ABORTED;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), SAMI_ERR_STATE);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PROCEED);
    x.time_point = SAMI_TP_COMPLETED;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(F.n, count(C_FB)); /* no transfer, no store */
    assert_int_equal(F.resolve_calls, 0);

    /* aborted before the VM resumed */
    setup_origin(NULL);
    x = *notif(MID, SAMI_TP_PREPARE, 0);
    x.dest_bridge = other_port;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    x.time_point = SAMI_TP_ABORTED;
    assert_int_equal(sami_mig_bridge_notification_input(&BR, NOW, PORT, &x), 0);
    expect_fb(SAMI_TP_ABORTED, SAMI_VERDICT_PENDING);
    assert_int_equal(state_of(MID), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(F.n, count(C_FB));
}

static void test_query_and_names(void **state)
{
    (void)state;
    assert_int_equal(in_hint(MID, SAMI_TP_PREPARE, 5000), 0);
    NOW = SAMI_SEC(1);
    assert_int_equal(in(MID2, SAMI_TP_PREPARE), 0);
    struct sami_mig_bridge_info out[4];
    assert_int_equal(sami_mig_bridge_list(&BR, out, 1), 2);
    assert_int_equal(sami_mig_bridge_list(&BR, out, 4), 2);
    assert_true(out[0].mig_id == MID);
    assert_int_equal(out[0].role, SAMI_MIG_BRIDGE_ORIGIN);
    assert_int_equal(out[0].state, SAMI_MIG_BRIDGE_O_PRECOPY);
    assert_int_equal(out[0].last_tp, SAMI_TP_PREPARE);
    assert_int_equal(out[0].hv_port, PORT);
    assert_int_equal(out[0].peer, PEER_D);
    assert_int_equal(out[0].di_types, DI);
    assert_true(out[0].deadline == SAMI_MSEC(5500));
    assert_true(sami_bridge_ref_equal(out[0].orig, &BR_O));
    assert_true(sami_bridge_ref_equal(out[0].dest, &BR_D));
    assert_memory_equal(out[0].vm.id, VM.id, 16);
    assert_true(out[1].created == SAMI_SEC(1));
    assert_true(out[1].deadline == SAMI_SEC(121));
    assert_true(sami_mig_bridge_next_deadline(&BR) == SAMI_MSEC(5500));
    assert_int_equal(ev(0x999, SAMI_MIG_XFER_RESULT_OK), SAMI_ERR_NOTFOUND);
    assert_int_equal(BR.counters.xfer_unknown, 1);
    assert_int_equal(sami_mig_bridge_get(&BR, 0x999, out), SAMI_ERR_NOTFOUND);
    assert_string_equal(sami_mig_bridge_state_name(SAMI_MIG_BRIDGE_O_COMMIT), "O_COMMIT");
    assert_string_equal(sami_mig_bridge_state_name(99), "UNKNOWN");
    assert_string_equal(sami_mig_bridge_role_name(SAMI_MIG_BRIDGE_LOCAL), "LOCAL");
    assert_string_equal(sami_mig_xfer_event_name(SAMI_MIG_XFER_ABORTED_BY_PEER), "ABORTED_BY_PEER");
    for (int s = 0; s < SAMI_MIG_BRIDGE_STATE_COUNT; s++)
        assert_string_not_equal(sami_mig_bridge_state_name(s), "UNKNOWN");
}

/* ------------------------------------------------------- end to end -- */

/* HV-S, HV-D (mig_hv) and BR-O, BR-D (mig_bridge), joined through the real
 * samitlv codec; a toy transfer engine turns transfer ops into the events
 * the real one would report. Deliveries are queued: no engine is entered
 * from its own callback. Each delivery takes 1 ms. */

enum { SIDE_O = 0, SIDE_D = 1 };
enum { Q_NOTIF = 1, Q_FB, Q_XFER };

struct qitem {
    int type, side;
    uint64_t mig;
    int event;
    uint16_t reason;
    size_t len;
    uint8_t bytes[SAMI_SAMITLV_MAX_VALUE];
};

static struct world {
    struct sami_mig_hv hv[2];
    struct sami_mig_hv_rec hv_tab[2][2];
    struct sami_mig_bridge br[2];
    struct sami_mig_bridge_rec br_tab[2][2];
    int side_ids[2];
    struct qitem q[64];
    size_t q_head, q_tail;
    sami_usec_t now;
    int d_expects;               /* BR-D was told to expect the migration */
    int black_hole;              /* the toy transfer loses every commit */
    int lose_final[2];           /* drop this many PROCEED/ROLLBACK sent to side's HV */
    int freezes, unfreezes;
    struct sami_mig_hv_verdict verdicts[2][8];
    size_t n_verdicts[2];
} W;

static struct qitem *push(int type, int side)
{
    assert_true(W.q_tail < 64);
    struct qitem *it = &W.q[W.q_tail++];
    memset(it, 0, sizeof *it);
    it->type = type;
    it->side = side;
    return it;
}

static void push_ev(int side, uint64_t mig, int event, uint16_t reason)
{
    struct qitem *it = push(Q_XFER, side);
    it->mig = mig;
    it->event = event;
    it->reason = reason;
}

static int w_side(void *ctx)
{
    return *(int *)ctx;
}

static int w_send_notif(void *ctx, uint64_t mig, int tp, const uint8_t *v, size_t len, int pairing)
{
    (void)mig;
    (void)tp;
    (void)pairing;
    struct qitem *it = push(Q_NOTIF, w_side(ctx));
    memcpy(it->bytes, v, len);
    it->len = len;
    return 0;
}

static void w_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    int s = w_side(ctx);
    assert_true(W.n_verdicts[s] < 8);
    W.verdicts[s][W.n_verdicts[s]++] = *v;
}

static const struct sami_mig_hv_ops W_HV_OPS = {w_send_notif, w_verdict};

static int w_send_fb(void *ctx, uint32_t port, const struct sami_feedback *fb)
{
    (void)port;
    if (fb->verdict != SAMI_VERDICT_PENDING && W.lose_final[w_side(ctx)] > 0) {
        W.lose_final[w_side(ctx)]--;
        return 0; /* lost on the way */
    }
    struct qitem *it = push(Q_FB, w_side(ctx));
    assert_int_equal(sami_samitlv_feedback_encode(fb, NULL, it->bytes, sizeof it->bytes, &it->len),
                     0);
    return 0;
}

static int w_resolve(void *ctx, const struct sami_bridge_ref *b, uint32_t *peer)
{
    (void)ctx;
    (void)b;
    *peer = 1;
    return 0;
}

static int w_precopy(void *ctx, uint32_t peer, const struct sami_bridge_ref *ref, uint64_t mig,
                     const struct sami_vm_id *vm, uint32_t di)
{
    (void)ctx;
    (void)peer;
    (void)ref;
    (void)vm;
    (void)di;
    if (W.d_expects)
        push_ev(SIDE_O, mig, SAMI_MIG_XFER_PRECOPY_DONE, 0);
    return 0; /* unannounced: the real engine keeps retrying HELLO */
}

static int w_commit(void *ctx, uint64_t mig)
{
    (void)ctx;
    if (W.black_hole)
        return 0;
    if (W.d_expects) {
        push_ev(SIDE_D, mig, SAMI_MIG_XFER_INSTALLED, 0);
        push_ev(SIDE_O, mig, SAMI_MIG_XFER_RESULT_OK, 0);
    } else {
        push_ev(SIDE_O, mig, SAMI_MIG_XFER_RESULT_FAILED, SAMI_FB_REASON_REJECTED);
    }
    return 0;
}

static int w_expect(void *ctx, uint32_t peer, uint64_t mig, const struct sami_vm_id *vm,
                    uint32_t di, sami_usec_t deadline)
{
    (void)ctx;
    (void)peer;
    (void)mig;
    (void)vm;
    (void)di;
    (void)deadline;
    W.d_expects = 1;
    return 0;
}

static int w_activate(void *ctx, uint64_t mig)
{
    (void)ctx;
    push_ev(SIDE_D, mig, SAMI_MIG_XFER_ACTIVATED, 0);
    push_ev(SIDE_O, mig, SAMI_MIG_XFER_ACTIVATED, 0);
    push_ev(SIDE_O, mig, SAMI_MIG_XFER_PURGED, 0);
    push_ev(SIDE_D, mig, SAMI_MIG_XFER_PURGED, 0);
    return 0;
}

static int w_abort(void *ctx, uint64_t mig, int notify, uint16_t reason)
{
    if (notify)
        push_ev(1 - w_side(ctx), mig, SAMI_MIG_XFER_ABORTED_BY_PEER, reason);
    return 0;
}

static int w_freeze(void *ctx, uint64_t mig, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)mig;
    (void)vm;
    W.freezes++;
    return 0;
}

static int w_unfreeze(void *ctx, uint64_t mig, const struct sami_vm_id *vm)
{
    (void)ctx;
    (void)mig;
    (void)vm;
    W.unfreezes++;
    return 0;
}

static const struct sami_mig_bridge_ops W_BR_OPS = {w_send_fb, w_resolve,  w_precopy,
                                                    w_commit,  w_expect,   w_activate,
                                                    w_abort,   w_freeze,   w_unfreeze};

static void world_init(void)
{
    init_refs();
    memset(&W, 0, sizeof W);
    for (int s = 0; s < 2; s++) {
        W.side_ids[s] = s;
        assert_int_equal(sami_mig_hv_init(&W.hv[s], NULL, &W_HV_OPS, &W.side_ids[s], W.hv_tab[s], 2),
                         0);
        struct sami_mig_bridge_cfg cfg;
        sami_mig_bridge_cfg_default(&cfg);
        cfg.local = s == SIDE_O ? BR_O : BR_D;
        assert_int_equal(
            sami_mig_bridge_init(&W.br[s], &cfg, &W_BR_OPS, &W.side_ids[s], W.br_tab[s], 2), 0);
    }
    assert_int_equal(sami_mig_hv_start(&W.hv[SIDE_O], 0, MID, &VM, &BR_O, &BR_D, SAMI_MIG_HV_SOURCE,
                                       DI),
                     0);
    assert_int_equal(
        sami_mig_hv_start(&W.hv[SIDE_D], 0, MID, &VM, &BR_O, &BR_D, SAMI_MIG_HV_DEST, DI), 0);
}

static void pump(void)
{
    while (W.q_head < W.q_tail) {
        struct qitem it = W.q[W.q_head++];
        W.now += SAMI_MSEC(1);
        struct sami_err err;
        if (it.type == Q_NOTIF) {
            struct sami_notif n;
            assert_int_equal(sami_samitlv_notif_decode(it.bytes, it.len, NULL, &n, &err), 0);
            sami_mig_bridge_notification_input(&W.br[it.side], W.now, 1, &n);
        } else if (it.type == Q_FB) {
            struct sami_feedback fb;
            assert_int_equal(sami_samitlv_feedback_decode(it.bytes, it.len, NULL, &fb, &err), 0);
            sami_mig_hv_feedback_input(&W.hv[it.side], W.now, &fb);
        } else {
            struct sami_mig_xfer_info xi = {it.reason, 0, NULL};
            sami_mig_bridge_xfer_event(&W.br[it.side], W.now, it.mig, it.event, &xi);
        }
    }
    W.q_head = W.q_tail = 0;
}

/* Runs every engine's timers up to t, delivering what they produce. */
static void advance_to(sami_usec_t t)
{
    for (;;) {
        sami_usec_t d = SAMI_NO_DEADLINE;
        for (int s = 0; s < 2; s++) {
            sami_usec_t a = sami_mig_hv_next_deadline(&W.hv[s]);
            sami_usec_t b = sami_mig_bridge_next_deadline(&W.br[s]);
            d = a < d ? a : d;
            d = b < d ? b : d;
        }
        if (d > t)
            break;
        W.now = d > W.now ? d : W.now;
        for (int s = 0; s < 2; s++) {
            sami_mig_hv_run(&W.hv[s], W.now);
            sami_mig_bridge_run(&W.br[s], W.now);
        }
        pump();
    }
    W.now = t > W.now ? t : W.now;
}

static const struct sami_mig_hv_verdict *last_verdict(int side)
{
    assert_true(W.n_verdicts[side] > 0);
    return &W.verdicts[side][W.n_verdicts[side] - 1];
}

static int br_state(int side)
{
    struct sami_mig_bridge_info info;
    if (sami_mig_bridge_get(&W.br[side], MID, &info))
        return SAMI_MIG_BRIDGE_FREE;
    return info.state;
}

static void tp(int side, int t)
{
    assert_int_equal(sami_mig_hv_time_point(&W.hv[side], W.now, MID, t, 0), 0);
    pump();
}

static void test_e2e_migration(void **state)
{
    (void)state;
    world_init();
    tp(SIDE_D, SAMI_TP_PREPARE);
    assert_int_equal(last_verdict(SIDE_D)->outcome, SAMI_MIG_HV_ACKED);
    tp(SIDE_O, SAMI_TP_PREPARE);
    assert_int_equal(last_verdict(SIDE_O)->outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_O_STAGED);
    advance_to(SAMI_SEC(10));
    tp(SIDE_O, SAMI_TP_SUSPENDED);
    const struct sami_mig_hv_verdict *v = last_verdict(SIDE_O);
    assert_int_equal(v->time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(v->outcome, SAMI_MIG_HV_PROCEED);
    assert_true(v->transfer_time_us > 0 && v->transfer_time_us < SAMI_MSEC(10));
    assert_int_equal(v->n_results, 2);
    tp(SIDE_D, SAMI_TP_RESUMED);
    assert_int_equal(last_verdict(SIDE_D)->outcome, SAMI_MIG_HV_PROCEED);
    assert_int_equal(br_state(SIDE_D), SAMI_MIG_BRIDGE_DONE);
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_DONE);
    tp(SIDE_O, SAMI_TP_COMPLETED);
    assert_int_equal(last_verdict(SIDE_O)->outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(W.freezes, 1);
    assert_int_equal(W.unfreezes, 1);
    /* everything is freed eventually: nothing waits forever */
    advance_to(SAMI_SEC(1000));
    for (int s = 0; s < 2; s++) {
        assert_int_equal(sami_mig_bridge_list(&W.br[s], NULL, 0), 0);
        assert_true(sami_mig_bridge_next_deadline(&W.br[s]) == SAMI_NO_DEADLINE);
    }
}

static void test_e2e_unannounced_destination_rolls_back(void **state)
{
    (void)state;
    world_init();
    /* HV-D never announces: BR-D refuses the state, HV-S hears ROLLBACK */
    tp(SIDE_O, SAMI_TP_PREPARE);
    advance_to(SAMI_SEC(5));
    tp(SIDE_O, SAMI_TP_SUSPENDED);
    const struct sami_mig_hv_verdict *v = last_verdict(SIDE_O);
    assert_int_equal(v->outcome, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(v->results[0].reason, SAMI_FB_REASON_REJECTED);
    assert_int_equal(W.freezes, W.unfreezes);
    tp(SIDE_O, SAMI_TP_ABORTED);
    assert_int_equal(last_verdict(SIDE_O)->outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_FAILED);
}

static void test_e2e_lost_commit_times_out(void **state)
{
    (void)state;
    world_init();
    W.black_hole = 1;
    tp(SIDE_D, SAMI_TP_PREPARE);
    tp(SIDE_O, SAMI_TP_PREPARE);
    tp(SIDE_O, SAMI_TP_SUSPENDED);
    assert_int_equal(W.n_verdicts[SIDE_O], 1); /* PREPARE's ACKED only */
    /* BR-O's commit deadline (5 s) beats HV-S's verdict wait (10 s) */
    advance_to(SAMI_SEC(30));
    const struct sami_mig_hv_verdict *v = last_verdict(SIDE_O);
    assert_int_equal(v->time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(v->outcome, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(v->results[0].status, SAMI_DI_STATUS_TIMEOUT);
    assert_int_equal(W.freezes, W.unfreezes);
    /* BR-O's ABORT made BR-D discard; HV-D is told */
    assert_int_equal(br_state(SIDE_D), SAMI_MIG_BRIDGE_FAILED);
    assert_int_equal(last_verdict(SIDE_D)->outcome, SAMI_MIG_HV_ROLLBACK);
}

/* Both decisions (PROCEED answering SUSPENDED at BR-O, PROCEED answering
 * RESUMED at BR-D) are lost once: each hypervisor asks again and the bridge
 * answers the repeat with the decision it took, long before verdict_wait. */
static void test_e2e_lost_decisions_are_asked_again(void **state)
{
    (void)state;
    world_init();
    tp(SIDE_D, SAMI_TP_PREPARE);
    tp(SIDE_O, SAMI_TP_PREPARE);
    advance_to(SAMI_SEC(10));
    W.lose_final[SIDE_O] = 1;
    W.lose_final[SIDE_D] = 1;
    tp(SIDE_O, SAMI_TP_SUSPENDED);
    sami_usec_t t0 = W.now;
    assert_int_equal(last_verdict(SIDE_O)->time_point, SAMI_TP_PREPARE); /* no decision yet */
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_O_COMMITTED);
    advance_to(t0 + SAMI_SEC(1));
    const struct sami_mig_hv_verdict *v = last_verdict(SIDE_O);
    assert_int_equal(v->time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(v->outcome, SAMI_MIG_HV_PROCEED);
    assert_int_equal(v->n_results, 2);
    assert_true(v->transfer_time_us > 0 && v->transfer_time_us < SAMI_MSEC(10));
    tp(SIDE_D, SAMI_TP_RESUMED);
    t0 = W.now;
    assert_int_equal(last_verdict(SIDE_D)->time_point, SAMI_TP_PREPARE);
    assert_int_equal(br_state(SIDE_D), SAMI_MIG_BRIDGE_DONE);
    advance_to(t0 + SAMI_SEC(1));
    assert_int_equal(last_verdict(SIDE_D)->time_point, SAMI_TP_RESUMED);
    assert_int_equal(last_verdict(SIDE_D)->outcome, SAMI_MIG_HV_PROCEED);
    for (int s = 0; s < 2; s++) {
        assert_int_equal(W.hv[s].counters.notif_reask, 1);
        assert_int_equal(W.br[s].counters.notif_dup, 1);
        assert_int_equal(W.hv[s].counters.outcomes[SAMI_MIG_HV_TIMEOUT], 0);
    }
    assert_int_equal(W.freezes, W.unfreezes);
}

/* BR-D aborted after BR-O's PROCEED was lost: BR-O rolled back (records
 * kept, unfrozen), so the re-asked SUSPENDED is answered ROLLBACK, the
 * truth now, and the manager resumes the VM where its DI still is. */
static void test_e2e_reask_after_peer_abort_gets_rollback(void **state)
{
    (void)state;
    world_init();
    tp(SIDE_D, SAMI_TP_PREPARE);
    tp(SIDE_O, SAMI_TP_PREPARE);
    W.lose_final[SIDE_O] = 1;
    tp(SIDE_O, SAMI_TP_SUSPENDED);
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_O_COMMITTED);
    /* HV-D gives up before RESUMED: BR-D tells BR-O */
    assert_int_equal(sami_mig_hv_abort(&W.hv[SIDE_D], W.now, MID, SAMI_ABORT_OTHER), 0);
    pump();
    assert_int_equal(br_state(SIDE_O), SAMI_MIG_BRIDGE_FAILED);
    advance_to(W.now + SAMI_SEC(1));
    const struct sami_mig_hv_verdict *v = last_verdict(SIDE_O);
    assert_int_equal(v->time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(v->outcome, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(W.freezes, W.unfreezes);
}

/* ---------------------------------------------- deadline index (dlheap) -- */

/* Random notifications (every time point, origin / destination / local
 * roles, ids that collide, hints), transfer events, op failures and runs
 * at random or deadline times against a small table (reclaiming lingering
 * records): after every call the engine's next deadline must equal a scan
 * of the records (sami_mig_bridge_list), and its index must be consistent. */
static uint64_t RR;
static uint64_t rr(void)
{
    uint64_t z = (RR += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static int r_fb(void *c, uint32_t p, const struct sami_feedback *fb)
{
    (void)c, (void)p, (void)fb;
    return 0;
}
static int r_resolve(void *c, const struct sami_bridge_ref *b, uint32_t *peer)
{
    (void)c, (void)b;
    *peer = 1;
    return rr() % 16 == 0 ? SAMI_ERR_NOTFOUND : 0;
}
static int r_rc(void)
{
    return rr() % 12 == 0 ? SAMI_ERR_LIMIT : 0;
}
static int r_precopy(void *c, uint32_t p, const struct sami_bridge_ref *ref, uint64_t m,
                     const struct sami_vm_id *vm, uint32_t t)
{
    (void)c, (void)p, (void)ref, (void)m, (void)vm, (void)t;
    return r_rc();
}
static int r_mig(void *c, uint64_t m)
{
    (void)c, (void)m;
    return r_rc();
}
static int r_expect(void *c, uint32_t p, uint64_t m, const struct sami_vm_id *vm, uint32_t t,
                    sami_usec_t d)
{
    (void)c, (void)p, (void)m, (void)vm, (void)t, (void)d;
    return r_rc();
}
static int r_abort(void *c, uint64_t m, int notify, uint16_t reason)
{
    (void)c, (void)m, (void)notify, (void)reason;
    return 0;
}
static int r_vm(void *c, uint64_t m, const struct sami_vm_id *vm)
{
    (void)c, (void)m, (void)vm;
    return r_rc();
}
static const struct sami_mig_bridge_ops ROPS = {r_fb,     r_resolve, r_precopy, r_mig, r_expect,
                                                r_mig,    r_abort,   r_vm,      r_vm};

static sami_usec_t scan_deadline(const struct sami_mig_bridge *br)
{
    struct sami_mig_bridge_info info[8];
    size_t n = sami_mig_bridge_list(br, info, 8);
    assert_true(n <= 8);
    sami_usec_t d = SAMI_NO_DEADLINE;
    for (size_t i = 0; i < n; i++)
        if (info[i].deadline < d)
            d = info[i].deadline;
    return d;
}

static void test_deadline_index_matches_scan(void **state)
{
    (void)state;
    init_refs();
    static struct sami_mig_bridge_rec t[8];
    uint64_t freed = 0, timeouts = 0, reclaimed = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        RR = seed;
        struct sami_mig_bridge br;
        struct sami_mig_bridge_cfg cfg;
        sami_mig_bridge_cfg_default(&cfg);
        /* BR-O on odd seeds, BR-D on even ones; local moves either way */
        cfg.local = seed % 2 ? BR_O : BR_D;
        assert_int_equal(sami_mig_bridge_init(&br, &cfg, &ROPS, NULL, t, 8), 0);
        sami_usec_t now = 0;
        for (int k = 0; k < 5000; k++) {
            uint64_t mig = 1 + rr() % 14;
            switch (rr() % 8) {
            case 0:
            case 1:
            case 2: {
                struct sami_notif n = *notif(mig, (int)(SAMI_TP_PREPARE + rr() % 5),
                                             rr() % 3 ? 0 : (uint32_t)(rr() % 20000));
                if (rr() % 6 == 0)
                    n.dest_bridge = n.orig_bridge; /* a move behind one bridge */
                if (rr() % 10 == 0)
                    n.vm.id[0] ^= 1; /* same id, other VM: a mismatch */
                (void)sami_mig_bridge_notification_input(&br, now, (uint32_t)(rr() % 3), &n);
                break;
            }
            case 3:
            case 4: {
                struct sami_fb_result res[1] = {{SAMI_DI_DHCP, 0, 0, 3, 3}};
                struct sami_mig_xfer_info xi = {0, 1, res};
                (void)sami_mig_bridge_xfer_event(&br, now, mig,
                                                 (int)(SAMI_MIG_XFER_PRECOPY_DONE + rr() % 9),
                                                 rr() % 2 ? &xi : NULL);
                break;
            }
            case 5:
                now += rr() % SAMI_MSEC(500);
                sami_mig_bridge_run(&br, now);
                break;
            case 6: {
                sami_usec_t d = sami_mig_bridge_next_deadline(&br);
                if (d != SAMI_NO_DEADLINE && d > now)
                    now = d + (rr() % 2 ? rr() % SAMI_SEC(2) : 0);
                sami_mig_bridge_run(&br, now);
                break;
            }
            default:
                if (rr() % 16 == 0) {
                    now += rr() % SAMI_SEC(400); /* a clock jump: many at once */
                    sami_mig_bridge_run(&br, now);
                }
                break;
            }
            assert_int_equal(sami_dlheap_check(&br.dl), 0);
            assert_true(sami_mig_bridge_next_deadline(&br) == scan_deadline(&br));
        }
        const struct sami_mig_bridge_counters *c = sami_mig_bridge_get_counters(&br);
        freed += c->freed;
        reclaimed += c->reclaimed;
        for (int s = 0; s < SAMI_MIG_BRIDGE_STATE_COUNT; s++)
            timeouts += c->timeouts[s];
    }
    /* records were freed, reclaimed and timed out along the way */
    assert_true(freed > 0 && timeouts > 0 && reclaimed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_index_matches_scan),
        cmocka_unit_test_setup(test_init_args, setup_origin),
        cmocka_unit_test_setup(test_origin_happy_path, setup_origin),
        cmocka_unit_test_setup(test_dest_happy_path, setup_dest),
        cmocka_unit_test_setup(test_dest_completed_ends_bookkeeping, setup_dest),
        cmocka_unit_test_setup(test_dest_install_deadline, setup_dest),
        cmocka_unit_test_setup(test_origin_timeout_precopy, setup_origin),
        cmocka_unit_test_setup(test_origin_timeout_staged_default, setup_origin),
        cmocka_unit_test_setup(test_origin_timeout_commit, setup_origin),
        cmocka_unit_test_setup(test_origin_timeout_commit_hint, setup_origin),
        cmocka_unit_test_setup(test_origin_timeout_activate, setup_origin),
        cmocka_unit_test_setup(test_origin_timeout_purge, setup_origin),
        cmocka_unit_test_setup(test_dest_timeout_expect, setup_dest),
        cmocka_unit_test_setup(test_dest_timeout_installed, setup_dest),
        cmocka_unit_test_setup(test_dest_timeout_activating, setup_dest),
        cmocka_unit_test_setup(test_dest_timeout_active, setup_dest),
        cmocka_unit_test_setup(test_origin_abort_during_precopy, setup_origin),
        cmocka_unit_test_setup(test_origin_abort_after_suspended, setup_origin),
        cmocka_unit_test_setup(test_origin_abort_after_result, setup_origin),
        cmocka_unit_test_setup(test_origin_abort_after_suspended_no_late_activation,
                               setup_origin),
        cmocka_unit_test_setup(test_origin_abort_after_activation_refused, setup_origin),
        cmocka_unit_test_setup(test_dest_abort_before_install, setup_dest),
        cmocka_unit_test_setup(test_dest_abort_after_install, setup_dest),
        cmocka_unit_test_setup(test_dest_abort_after_resumed_refused, setup_dest),
        cmocka_unit_test_setup(test_peer_abort_at_origin, setup_origin),
        cmocka_unit_test_setup(test_peer_abort_at_dest, setup_dest),
        cmocka_unit_test_setup(test_duplicates_origin, setup_origin),
        cmocka_unit_test_setup(test_duplicates_dest, setup_dest),
        cmocka_unit_test_setup(test_out_of_order_origin, setup_origin),
        cmocka_unit_test_setup(test_out_of_order_dest_self_heals, setup_dest),
        cmocka_unit_test_setup(test_mismatched_identity, setup_origin),
        cmocka_unit_test_setup(test_unknown_peer_origin, setup_origin),
        cmocka_unit_test_setup(test_unknown_peer_dest, setup_dest),
        cmocka_unit_test_setup(test_table_full, setup_origin),
        cmocka_unit_test_setup(test_table_full_reclaims_finished, setup_origin),
        cmocka_unit_test_setup(test_per_port_limit, setup_origin),
        cmocka_unit_test_setup(test_not_ours, setup_origin),
        cmocka_unit_test_setup(test_abort_unknown_is_acknowledged, setup_origin),
        cmocka_unit_test_setup(test_result_failed, setup_origin),
        cmocka_unit_test_setup(test_result_failed_before_suspended, setup_origin),
        cmocka_unit_test_setup(test_peer_timeout_and_error, setup_origin),
        cmocka_unit_test_setup(test_op_failures, setup_origin),
        cmocka_unit_test_setup(test_local_move, setup_origin),
        cmocka_unit_test_setup(test_query_and_names, setup_origin),
        cmocka_unit_test_setup(test_e2e_migration, NULL),
        cmocka_unit_test_setup(test_e2e_unannounced_destination_rolls_back, NULL),
        cmocka_unit_test_setup(test_e2e_lost_commit_times_out, NULL),
        cmocka_unit_test_setup(test_e2e_lost_decisions_are_asked_again, NULL),
        cmocka_unit_test_setup(test_e2e_reask_after_peer_abort_gets_rollback, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
