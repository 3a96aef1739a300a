/* Hypervisor-side migration engine: what it sends (decoded back through
 * samitlv), when it retransmits, and which single outcome each time point
 * gets from the bridge's feedback, on a fake clock with fake ops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sami/mig_hv.h"

#define MID 0x1122334455667788ull
#define MID2 0x0000000000000002ull
#define DI (SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_DOT1X))

/* ---------------------------------------------------------- fake ops -- */

struct sent {
    uint64_t mig;
    int tp;
    int pairing;
    size_t len;
    uint8_t bytes[SAMI_SAMITLV_MAX_VALUE];
};

static struct fake {
    struct sent sent[32];
    size_t n_sent;
    struct sami_mig_hv_verdict verdicts[16];
    size_t n_verdicts;
    int send_rc;                 /* returned by send_notification */
    int abort_on_rollback;       /* verdict callback sends ABORTED (re-entrance) */
    struct sami_mig_hv *hv;
    sami_usec_t now;
} F;

static int fake_send(void *ctx, uint64_t mig_id, int tp, const uint8_t *value, size_t len,
                     int pairing)
{
    struct fake *f = ctx;
    assert_true(f->n_sent < 32);
    assert_true(len <= SAMI_SAMITLV_MAX_VALUE);
    struct sent *s = &f->sent[f->n_sent++];
    s->mig = mig_id;
    s->tp = tp;
    s->pairing = pairing;
    s->len = len;
    memcpy(s->bytes, value, len);
    return f->send_rc;
}

static void fake_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    struct fake *f = ctx;
    assert_true(f->n_verdicts < 16);
    f->verdicts[f->n_verdicts++] = *v;
    if (f->abort_on_rollback && v->outcome == SAMI_MIG_HV_ROLLBACK)
        assert_int_equal(sami_mig_hv_abort(f->hv, f->now, v->mig_id, SAMI_ABORT_ROLLBACK), 0);
}

static const struct sami_mig_hv_ops OPS = {fake_send, fake_verdict};

/* ----------------------------------------------------------- fixture -- */

static struct sami_mig_hv HV;
static struct sami_mig_hv_rec TABLE[4];

static void bridge(struct sami_bridge_ref *b, uint8_t last, const char *port)
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

static struct sami_vm_id VM;
static struct sami_bridge_ref ORIG, DEST;

static void setup_with(const struct sami_mig_hv_cfg *cfg, size_t n_table)
{
    memset(&F, 0, sizeof F);
    F.hv = &HV;
    memset(&VM, 0, sizeof VM);
    VM.type_id = 0x123456;
    VM.type_version = 1;
    VM.id_format = 5;
    for (int i = 0; i < 16; i++)
        VM.id[i] = (uint8_t)(0xa0 + i);
    bridge(&ORIG, 1, "eth1");
    bridge(&DEST, 2, "eth7");
    assert_int_equal(sami_mig_hv_init(&HV, cfg, &OPS, &F, TABLE, n_table), 0);
}

static int setup(void **state)
{
    (void)state;
    setup_with(NULL, 4);
    return 0;
}

static void start(uint64_t mig, int role)
{
    assert_int_equal(sami_mig_hv_start(&HV, F.now, mig, &VM, &ORIG, &DEST, role, DI), 0);
}

static void decode_sent(size_t i, struct sami_notif *n)
{
    struct sami_err err;
    assert_true(i < F.n_sent);
    assert_int_equal(sami_samitlv_notif_decode(F.sent[i].bytes, F.sent[i].len, NULL, n, &err), 0);
}

static struct sami_feedback fb(uint64_t mig, int tp, int verdict)
{
    struct sami_feedback f;
    memset(&f, 0, sizeof f);
    f.version = 1;
    f.migration_id = mig;
    f.time_point = (uint8_t)tp;
    f.verdict = (uint8_t)verdict;
    return f;
}

static int feed(uint64_t mig, int tp, int verdict)
{
    struct sami_feedback f = fb(mig, tp, verdict);
    return sami_mig_hv_feedback_input(&HV, F.now, &f);
}

static void run_at(sami_usec_t t)
{
    F.now = t;
    sami_mig_hv_run(&HV, t);
}

/* -------------------------------------------------------------- tests -- */

static void test_init_and_start_errors(void **state)
{
    (void)state;
    struct sami_mig_hv hv;
    struct sami_mig_hv_rec t[1];
    struct sami_mig_hv_ops bad = {fake_send, NULL};
    assert_int_equal(sami_mig_hv_init(&hv, NULL, &bad, &F, t, 1), SAMI_ERR_INVAL);
    assert_int_equal(sami_mig_hv_init(&hv, NULL, &OPS, &F, t, 0), SAMI_ERR_INVAL);
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.ack_timeout = 0;
    assert_int_equal(sami_mig_hv_init(&hv, &c, &OPS, &F, t, 1), SAMI_ERR_INVAL);

    setup_with(NULL, 2);
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_start(&HV, 0, MID, &VM, &ORIG, &DEST, SAMI_MIG_HV_SOURCE, DI),
                     SAMI_ERR_EXISTS);
    assert_int_equal(sami_mig_hv_start(&HV, 0, 7, &VM, &ORIG, &DEST, 9, DI), SAMI_ERR_INVAL);
    /* DI bitmap bit 0 can never be encoded: refused at start, not later */
    assert_int_equal(sami_mig_hv_start(&HV, 0, 7, &VM, &ORIG, &DEST, SAMI_MIG_HV_DEST, 1),
                     SAMI_ERR_VALUE);
    start(MID2, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_start(&HV, 0, 9, &VM, &ORIG, &DEST, SAMI_MIG_HV_DEST, DI),
                     SAMI_ERR_LIMIT);
    assert_int_equal(HV.counters.table_full, 1);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, 99, SAMI_TP_PREPARE, 0), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, 6, 0), SAMI_ERR_VALUE);
    assert_int_equal(F.n_sent, 0);
}

static void test_notification_bytes(void **state)
{
    (void)state;
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.wall_offset_ms = 1700000000000ull;
    setup_with(&c, 4);
    start(MID, SAMI_MIG_HV_SOURCE);
    struct sami_samitlv_mac_vlan mac = {{0x52, 0x54, 0, 0x12, 0x34, 0x56}, 100};
    const uint8_t v4[1][4] = {{192, 0, 2, 10}};
    const uint8_t v6[1][16] = {{0x20, 0x01, 0x0d, 0xb8, [15] = 1}};
    assert_int_equal(sami_mig_hv_set_addrs(&HV, MID, &mac, 1, v4, 1, v6, 1), 0);
    assert_int_equal(sami_mig_hv_set_addrs(&HV, MID, &mac, 17, NULL, 0, NULL, 0), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_mig_hv_set_addrs(&HV, MID, NULL, 1, NULL, 0, NULL, 0), SAMI_ERR_INVAL);
    F.now = SAMI_SEC(5) + 999; /* timestamp in ms: sub-ms part dropped */
    assert_int_equal(sami_mig_hv_time_point(&HV, F.now, MID, SAMI_TP_PREPARE, 30000), 0);
    assert_int_equal(F.n_sent, 1);
    assert_int_equal(F.sent[0].mig, MID);
    assert_int_equal(F.sent[0].tp, SAMI_TP_PREPARE);
    assert_int_equal(F.sent[0].pairing, SAMI_MIG_HV_PAIR_STANDALONE);
    struct sami_notif n;
    decode_sent(0, &n);
    assert_int_equal(n.time_point, SAMI_TP_PREPARE);
    assert_int_equal(n.flags,
                     SAMI_SAMITLV_FLAG_FEEDBACK_WANTED | SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE);
    assert_true(n.migration_id == MID);
    assert_true(n.timestamp_ms == 1700000000000ull + 5000);
    assert_int_equal(n.next_deadline_ms, 30000);
    assert_int_equal(n.di_types, DI);
    assert_int_equal(n.vm.type_id, 0x123456);
    assert_memory_equal(n.vm.id, VM.id, 16);
    assert_true(sami_bridge_ref_equal(&n.orig_bridge, &ORIG));
    assert_true(sami_bridge_ref_equal(&n.dest_bridge, &DEST));
    assert_int_equal(n.n_macs, 1);
    assert_int_equal(n.macs[0].word, 100);
    assert_int_equal(n.n_ipv4, 1);
    assert_int_equal(n.ipv4[0][3], 10);
    assert_int_equal(n.n_ipv6, 1);
    assert_int_equal(n.has_reason, 0);

    /* the destination hypervisor does not claim the source side */
    start(MID2, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, F.now, MID2, SAMI_TP_PREPARE, 0), 0);
    decode_sent(1, &n);
    assert_int_equal(n.flags, SAMI_SAMITLV_FLAG_FEEDBACK_WANTED);
    assert_int_equal(F.sent[1].pairing, SAMI_MIG_HV_PAIR_PREASSOC_M);
}

static void test_configured_oui(void **state)
{
    (void)state;
    static const uint8_t oui[3] = {0x00, 0x11, 0x22};
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.oui = oui;
    setup_with(&c, 4);
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    struct sami_notif n;
    struct sami_err err;
    assert_memory_equal(F.sent[0].bytes, oui, 3);
    assert_int_equal(sami_samitlv_notif_decode(F.sent[0].bytes, F.sent[0].len, oui, &n, &err), 0);
    assert_int_equal(sami_samitlv_notif_decode(F.sent[0].bytes, F.sent[0].len, NULL, &n, &err),
                     SAMI_ERR_OUI);
}

static void test_pairing_table(void **state)
{
    (void)state;
    const int S = SAMI_MIG_HV_SOURCE, D = SAMI_MIG_HV_DEST;
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_PREPARE, D), SAMI_MIG_HV_PAIR_PREASSOC_M);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_PREPARE, S), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_SUSPENDED, S), SAMI_MIG_HV_PAIR_SUSPEND_S);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_SUSPENDED, D), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_RESUMED, D), SAMI_MIG_HV_PAIR_ASSOC);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_RESUMED, S), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_COMPLETED, S), SAMI_MIG_HV_PAIR_DEASSOC);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_COMPLETED, D), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_ABORTED, S), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(sami_mig_hv_pairing_for(SAMI_TP_ABORTED, D), SAMI_MIG_HV_PAIR_STANDALONE);
    assert_string_equal(sami_mig_hv_pairing_name(SAMI_MIG_HV_PAIR_SUSPEND_S), "SUSPEND_S");
    assert_string_equal(sami_mig_hv_outcome_name(SAMI_MIG_HV_TIMEOUT), "TIMEOUT");
    assert_string_equal(sami_mig_hv_phase_name(SAMI_MIG_HV_WAIT_FINAL), "WAIT_FINAL");
    assert_string_equal(sami_mig_hv_role_name(SAMI_MIG_HV_DEST), "DEST");
    assert_string_equal(sami_mig_hv_outcome_name(42), "UNKNOWN");
}

static void test_prepare_acked_once(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(F.verdicts[0].time_point, SAMI_TP_PREPARE);
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING), SAMI_ERR_EXISTS);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(HV.counters.fb_dup, 1);
    /* acknowledged: no retransmission, no timer left */
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_NO_DEADLINE);
    run_at(SAMI_SEC(100));
    assert_int_equal(F.n_sent, 1);
}

static void test_suspended_proceed_with_results(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 5000), 0);
    assert_int_equal(F.sent[0].pairing, SAMI_MIG_HV_PAIR_SUSPEND_S);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.n_verdicts, 0); /* an acknowledgement is not a decision */
    struct sami_mig_hv_info info;
    assert_int_equal(sami_mig_hv_get(&HV, MID, &info), 0);
    assert_int_equal(info.phase, SAMI_MIG_HV_WAIT_FINAL);
    assert_true(info.deadline == SAMI_MSEC(500)); /* the first re-ask, not a retransmission */

    struct sami_feedback f = fb(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED);
    f.transfer_time_us = 41234;
    f.n_results = 2;
    f.results[0] = (struct sami_fb_result){SAMI_DI_DHCP, SAMI_DI_STATUS_OK, 0, 3, 3};
    f.results[1] = (struct sami_fb_result){SAMI_DI_DOT1X, SAMI_DI_STATUS_PARTIAL, 1, 5, 4};
    F.now = SAMI_MSEC(60);
    assert_int_equal(sami_mig_hv_feedback_input(&HV, F.now, &f), 0);
    assert_int_equal(F.n_verdicts, 1);
    const struct sami_mig_hv_verdict *v = &F.verdicts[0];
    assert_int_equal(v->outcome, SAMI_MIG_HV_PROCEED);
    assert_int_equal(v->time_point, SAMI_TP_SUSPENDED);
    assert_int_equal(v->transfer_time_us, 41234);
    assert_int_equal(v->n_results, 2);
    assert_int_equal(v->results[1].status, SAMI_DI_STATUS_PARTIAL);
    assert_int_equal(v->results[1].records_installed, 4);
    /* the same PROCEED again (a duplicate) and a late ROLLBACK change nothing */
    assert_int_equal(sami_mig_hv_feedback_input(&HV, F.now, &f), SAMI_ERR_EXISTS);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK), SAMI_ERR_EXISTS);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(HV.counters.outcomes[SAMI_MIG_HV_PROCEED], 1);
}

static void test_suspended_proceed_without_pending(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_PROCEED);
}

static void test_suspended_rollback(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    struct sami_feedback f = fb(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK);
    f.n_results = 1;
    f.results[0] = (struct sami_fb_result){SAMI_DI_DHCP, SAMI_DI_STATUS_TIMEOUT,
                                           SAMI_FB_REASON_DEADLINE, 0, 0};
    assert_int_equal(sami_mig_hv_feedback_input(&HV, 0, &f), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(F.verdicts[0].results[0].reason, SAMI_FB_REASON_DEADLINE);
    assert_int_equal(sami_mig_hv_feedback_input(&HV, 0, &f), SAMI_ERR_EXISTS);
    assert_int_equal(F.n_verdicts, 1);
}

static void test_suspended_timeout(void **state)
{
    (void)state;
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.max_reasks = 0; /* the bare decision wait */
    setup_with(&c, 4);
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, SAMI_SEC(1), MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_SEC(11));
    run_at(SAMI_SEC(11) - 1);
    assert_int_equal(F.n_verdicts, 0);
    run_at(SAMI_SEC(11));
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_TIMEOUT);
    assert_int_equal(F.verdicts[0].time_point, SAMI_TP_SUSPENDED);
    /* a PROCEED after the TIMEOUT is too late: nothing more is delivered */
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), SAMI_ERR_EXISTS);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(HV.counters.outcomes[SAMI_MIG_HV_TIMEOUT], 1);
    /* only the first send: PENDING had stopped retransmission */
    assert_int_equal(F.n_sent, 1);
}

static void test_retransmit_until_acked(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_MSEC(500));
    run_at(SAMI_MSEC(499));
    assert_int_equal(F.n_sent, 1);
    run_at(SAMI_MSEC(500));
    assert_int_equal(F.n_sent, 2);
    /* same bytes, same pairing: the bridge recognises a duplicate */
    assert_int_equal(F.sent[1].len, F.sent[0].len);
    assert_memory_equal(F.sent[1].bytes, F.sent[0].bytes, F.sent[0].len);
    assert_int_equal(F.sent[1].pairing, SAMI_MIG_HV_PAIR_SUSPEND_S);
    /* doubled: next at 500 + 1000 */
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_MSEC(1500));
    run_at(SAMI_MSEC(1500));
    assert_int_equal(F.n_sent, 3);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    run_at(SAMI_MSEC(1999)); /* acknowledged: the next send is a re-ask at 2 s */
    assert_int_equal(F.n_sent, 3);
    struct sami_mig_hv_info info;
    assert_int_equal(sami_mig_hv_get(&HV, MID, &info), 0);
    assert_int_equal(info.retransmits, 2);
    assert_int_equal(HV.counters.notif_rtx, 2);
    assert_int_equal(HV.counters.notif_tx, 3);
}

static void test_retries_exhausted_timeout(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    /* sends at 0, 0.5, 1.5, 3.5 s; gives up at 7.5 s */
    const sami_usec_t at[] = {SAMI_MSEC(500), SAMI_MSEC(1500), SAMI_MSEC(3500)};
    for (size_t i = 0; i < 3; i++) {
        assert_true(sami_mig_hv_next_deadline(&HV) == at[i]);
        run_at(at[i]);
        assert_int_equal(F.n_sent, i + 2);
    }
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_MSEC(7500));
    run_at(SAMI_MSEC(7499));
    assert_int_equal(F.n_verdicts, 0);
    run_at(SAMI_MSEC(7500));
    assert_int_equal(F.n_sent, 4);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_TIMEOUT);
    assert_int_equal(F.verdicts[0].time_point, SAMI_TP_PREPARE);
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_NO_DEADLINE);
}

static void test_verdict_wait_bounds_retransmission(void **state)
{
    (void)state;
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.verdict_wait = SAMI_SEC(2);
    c.max_retries = 10;
    setup_with(&c, 4);
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    for (sami_usec_t t = 0; t <= SAMI_SEC(2); t += SAMI_MSEC(100))
        run_at(t);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_TIMEOUT);
    assert_int_equal(F.n_sent, 3); /* 0, 0.5, 1.5 s */
}

/* Acknowledged, then the decision is lost: the time point is asked again
 * (same bytes, same pairing) at ack_timeout after the acknowledgement,
 * doubling, max_reasks times, all within verdict_wait. */
static void test_reask_schedule_then_timeout(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    F.now = SAMI_MSEC(10);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    const sami_usec_t at[] = {SAMI_MSEC(510), SAMI_MSEC(1510), SAMI_MSEC(3510), SAMI_MSEC(7510)};
    for (size_t i = 0; i < 4; i++) {
        assert_true(sami_mig_hv_next_deadline(&HV) == at[i]);
        run_at(at[i] - 1);
        assert_int_equal(F.n_sent, i + 1);
        run_at(at[i]);
        assert_int_equal(F.n_sent, i + 2);
        assert_int_equal(F.sent[i + 1].len, F.sent[0].len);
        assert_memory_equal(F.sent[i + 1].bytes, F.sent[0].bytes, F.sent[0].len);
        assert_int_equal(F.sent[i + 1].pairing, SAMI_MIG_HV_PAIR_SUSPEND_S);
        /* the bridge is still deciding: PENDING again is no outcome */
        assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
        assert_int_equal(F.n_verdicts, 0);
    }
    /* 4 re-asks used: the next timer is the decision wait itself */
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_SEC(10));
    run_at(SAMI_SEC(10));
    assert_int_equal(F.n_sent, 5);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_TIMEOUT);
    assert_int_equal(HV.counters.notif_reask, 4);
    assert_int_equal(HV.counters.fb_dup, 0);
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_NO_DEADLINE);
}

/* The first PROCEED went missing; the answer to the re-ask decides. */
static void test_reask_recovers_lost_decision(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_RESUMED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_RESUMED, SAMI_VERDICT_PENDING), 0);
    run_at(SAMI_MSEC(500));
    assert_int_equal(F.n_sent, 2);
    assert_int_equal(F.sent[1].pairing, SAMI_MIG_HV_PAIR_ASSOC);
    F.now = SAMI_MSEC(501);
    struct sami_feedback f = fb(MID, SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
    f.n_results = 1;
    f.results[0] = (struct sami_fb_result){SAMI_DI_DHCP, SAMI_DI_STATUS_OK, 0, 2, 2};
    assert_int_equal(sami_mig_hv_feedback_input(&HV, F.now, &f), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_PROCEED);
    assert_int_equal(F.verdicts[0].results[0].records_installed, 2);
    /* decided: no more re-asks, a second copy of the answer is a duplicate */
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_NO_DEADLINE);
    run_at(SAMI_SEC(20));
    assert_int_equal(F.n_sent, 2);
    assert_int_equal(sami_mig_hv_feedback_input(&HV, F.now, &f), SAMI_ERR_EXISTS);
    /* time points that decide nothing are never re-asked */
    start(MID2, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, F.now, MID2, SAMI_TP_PREPARE, 0), 0);
    assert_int_equal(feed(MID2, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING), 0);
    run_at(SAMI_SEC(60));
    assert_int_equal(F.n_sent, 3);
}

static void test_reask_bounded_by_verdict_wait(void **state)
{
    (void)state;
    struct sami_mig_hv_cfg c;
    sami_mig_hv_cfg_default(&c);
    c.verdict_wait = SAMI_SEC(2);
    c.max_reasks = 10;
    setup_with(&c, 4);
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    for (sami_usec_t t = 0; t <= SAMI_SEC(2); t += SAMI_MSEC(50))
        run_at(t);
    /* 0 s, re-asks at 0.5 and 1.5 s; 3.5 s would be past the wait */
    assert_int_equal(F.n_sent, 3);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_TIMEOUT);
}

static void test_send_error_is_retried(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    F.send_rc = -1;
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    assert_int_equal(HV.counters.send_errors, 1);
    F.send_rc = 0;
    run_at(SAMI_MSEC(500));
    assert_int_equal(F.n_sent, 2);
    assert_int_equal(HV.counters.send_errors, 1);
}

static void test_proceed_for_prepare_is_only_an_ack(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_PROCEED), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(HV.counters.fb_ignored, 1);
    assert_int_equal(HV.counters.outcomes[SAMI_MIG_HV_PROCEED], 0);
    /* a PROCEED answering SUSPENDED at the *destination* is no decision either */
    start(MID2, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID2, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID2, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), 0);
    assert_int_equal(F.verdicts[1].outcome, SAMI_MIG_HV_ACKED);
}

static void test_stale_unknown_and_bad_feedback(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    /* nothing sent yet */
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING), SAMI_ERR_STATE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    /* answers another time point */
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_ERR_STATE);
    assert_int_equal(feed(MID, SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED), SAMI_ERR_STATE);
    assert_int_equal(feed(0x99, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), SAMI_ERR_NOTFOUND);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, 7), SAMI_ERR_VALUE);
    assert_int_equal(sami_mig_hv_feedback_input(&HV, 0, NULL), SAMI_ERR_INVAL);
    assert_int_equal(F.n_verdicts, 0);
    assert_int_equal(HV.counters.fb_stale, 4);
    assert_int_equal(HV.counters.fb_unknown, 1);
    /* still waiting: the retransmission timer runs */
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_MSEC(500));
}

static void test_abort_reason_and_outcomes(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_abort(&HV, 0, MID, SAMI_ABORT_OPERATOR), 0);
    struct sami_notif n;
    decode_sent(0, &n);
    assert_int_equal(n.time_point, SAMI_TP_ABORTED);
    assert_int_equal(n.has_reason, 1);
    assert_int_equal(n.reason, SAMI_ABORT_OPERATOR);
    assert_int_equal(F.sent[0].pairing, SAMI_MIG_HV_PAIR_STANDALONE);
    assert_int_equal(feed(MID, SAMI_TP_ABORTED, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ACKED);

    /* the destination bridge refuses an abort after activation: PROCEED */
    start(MID2, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID2, SAMI_TP_ABORTED, 0), 0);
    decode_sent(1, &n);
    assert_int_equal(n.has_reason, 0);
    assert_int_equal(feed(MID2, SAMI_TP_ABORTED, SAMI_VERDICT_PROCEED), 0);
    assert_int_equal(F.verdicts[1].outcome, SAMI_MIG_HV_REFUSED);
    assert_int_equal(HV.counters.outcomes[SAMI_MIG_HV_REFUSED], 1);
}

static void test_late_rollback_after_ack(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_PREPARE, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING), 0);
    /* pre-copy fails later at the bridge: news delivered once */
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), 0);
    assert_int_equal(feed(MID, SAMI_TP_PREPARE, SAMI_VERDICT_ROLLBACK), SAMI_ERR_EXISTS);
    assert_int_equal(F.n_verdicts, 2);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ACKED);
    assert_int_equal(F.verdicts[1].outcome, SAMI_MIG_HV_ROLLBACK);
}

static void test_new_time_point_supersedes(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PENDING), 0);
    F.now = SAMI_SEC(1);
    assert_int_equal(sami_mig_hv_abort(&HV, F.now, MID, SAMI_ABORT_OPERATOR), 0);
    /* SUSPENDED's decision is no longer awaited */
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED), SAMI_ERR_STATE);
    run_at(SAMI_SEC(10) + 1); /* SUSPENDED's verdict_wait would have expired */
    assert_int_equal(F.n_verdicts, 0);
    assert_int_equal(feed(MID, SAMI_TP_ABORTED, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.n_verdicts, 1);
    assert_int_equal(F.verdicts[0].time_point, SAMI_TP_ABORTED);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_ACKED);
}

static void test_resumed_at_destination_waits_activation(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_RESUMED, 0), 0);
    assert_int_equal(F.sent[0].pairing, SAMI_MIG_HV_PAIR_ASSOC);
    assert_int_equal(feed(MID, SAMI_TP_RESUMED, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.n_verdicts, 0);
    assert_int_equal(feed(MID, SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED), 0);
    assert_int_equal(F.verdicts[0].outcome, SAMI_MIG_HV_PROCEED);
    assert_int_equal(F.verdicts[0].time_point, SAMI_TP_RESUMED);
    /* at the source, RESUMED decides nothing */
    start(MID2, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID2, SAMI_TP_RESUMED, 0), 0);
    assert_int_equal(feed(MID2, SAMI_TP_RESUMED, SAMI_VERDICT_PENDING), 0);
    assert_int_equal(F.verdicts[1].outcome, SAMI_MIG_HV_ACKED);
}

static void test_linger_after_completed_and_end(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    start(MID2, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_COMPLETED, 0), 0);
    assert_int_equal(F.sent[0].pairing, SAMI_MIG_HV_PAIR_DEASSOC);
    F.now = SAMI_SEC(1);
    assert_int_equal(feed(MID, SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING), 0);
    assert_true(sami_mig_hv_next_deadline(&HV) == SAMI_SEC(31));
    run_at(SAMI_SEC(31) - 1);
    assert_int_equal(feed(MID, SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING), SAMI_ERR_EXISTS);
    run_at(SAMI_SEC(31));
    struct sami_mig_hv_info info;
    assert_int_equal(sami_mig_hv_get(&HV, MID, &info), SAMI_ERR_NOTFOUND);
    assert_int_equal(HV.counters.freed, 1);
    assert_int_equal(sami_mig_hv_end(&HV, MID2), 0);
    assert_int_equal(sami_mig_hv_end(&HV, MID2), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_mig_hv_list(&HV, NULL, 0), 0);
}

static void test_list_and_get(void **state)
{
    (void)state;
    start(MID, SAMI_MIG_HV_SOURCE);
    start(MID2, SAMI_MIG_HV_DEST);
    assert_int_equal(sami_mig_hv_time_point(&HV, SAMI_SEC(2), MID2, SAMI_TP_PREPARE, 0), 0);
    struct sami_mig_hv_info out[4];
    assert_int_equal(sami_mig_hv_list(&HV, out, 1), 2); /* count beyond cap */
    assert_int_equal(sami_mig_hv_list(&HV, out, 4), 2);
    assert_true(out[0].mig_id == MID);
    assert_int_equal(out[0].phase, SAMI_MIG_HV_IDLE);
    assert_true(out[0].deadline == SAMI_NO_DEADLINE);
    assert_true(out[1].mig_id == MID2);
    assert_int_equal(out[1].role, SAMI_MIG_HV_DEST);
    assert_int_equal(out[1].tp, SAMI_TP_PREPARE);
    assert_int_equal(out[1].phase, SAMI_MIG_HV_WAIT_ACK);
    assert_true(out[1].deadline == SAMI_SEC(2) + SAMI_MSEC(500));
    assert_int_equal(out[1].di_types, DI);
    assert_non_null(sami_mig_hv_get_counters(&HV));
    assert_int_equal(sami_mig_hv_get_counters(&HV)->started, 2);
}

static void test_verdict_callback_may_send_abort(void **state)
{
    (void)state;
    F.abort_on_rollback = 1;
    start(MID, SAMI_MIG_HV_SOURCE);
    assert_int_equal(sami_mig_hv_time_point(&HV, 0, MID, SAMI_TP_SUSPENDED, 0), 0);
    assert_int_equal(feed(MID, SAMI_TP_SUSPENDED, SAMI_VERDICT_ROLLBACK), 0);
    assert_int_equal(F.n_sent, 2);
    assert_int_equal(F.sent[1].tp, SAMI_TP_ABORTED);
    struct sami_notif n;
    decode_sent(1, &n);
    assert_int_equal(n.reason, SAMI_ABORT_ROLLBACK);
    struct sami_mig_hv_info info;
    assert_int_equal(sami_mig_hv_get(&HV, MID, &info), 0);
    assert_int_equal(info.tp, SAMI_TP_ABORTED);
    assert_int_equal(info.phase, SAMI_MIG_HV_WAIT_ACK);
}

/* ---------------------------------------------- deadline index (dlheap) -- */

/* Random starts (both roles, a table that fills), time points, aborts,
 * feedback of every verdict for any time point, ends, send errors, and a
 * verdict callback that re-enters (the next time point or an abort), with
 * runs at random or deadline times: after every call the engine's next
 * deadline must equal a scan of the records (sami_mig_hv_list), and its
 * index must be consistent. */
static uint64_t RR;
static struct sami_mig_hv RHV;
static uint64_t verdicts_seen;
static uint64_t rr(void)
{
    uint64_t z = (RR += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}
static int r_send(void *ctx, uint64_t mig, int tp, const uint8_t *v, size_t len, int pairing)
{
    (void)ctx, (void)mig, (void)tp, (void)v, (void)len, (void)pairing;
    return rr() % 10 == 0 ? SAMI_ERR_LIMIT : 0;
}
static void r_verdict(void *ctx, const struct sami_mig_hv_verdict *v)
{
    sami_usec_t now = *(const sami_usec_t *)ctx;
    verdicts_seen++;
    switch (rr() % 4) {
    case 0:
        (void)sami_mig_hv_abort(&RHV, now, v->mig_id, SAMI_ABORT_ROLLBACK);
        break;
    case 1:
        (void)sami_mig_hv_time_point(&RHV, now, v->mig_id, (int)(SAMI_TP_PREPARE + rr() % 4),
                                     (uint32_t)(rr() % 5000));
        break;
    default:
        break;
    }
}
static const struct sami_mig_hv_ops ROPS = {r_send, r_verdict};

static sami_usec_t scan_deadline(const struct sami_mig_hv *hv)
{
    struct sami_mig_hv_info info[8];
    size_t n = sami_mig_hv_list(hv, info, 8);
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
    static struct sami_mig_hv_rec t[8];
    static sami_usec_t now;
    uint64_t freed = 0, timeouts = 0, full = 0;
    setup_with(NULL, 4); /* VM, ORIG, DEST */
    for (uint64_t seed = 1; seed <= 8; seed++) {
        RR = seed;
        verdicts_seen = 0;
        now = 0;
        struct sami_mig_hv_cfg c;
        sami_mig_hv_cfg_default(&c);
        c.max_reasks = (uint8_t)(seed % 4);
        assert_int_equal(sami_mig_hv_init(&RHV, &c, &ROPS, &now, t, 8), 0);
        for (int k = 0; k < 5000; k++) {
            uint64_t mig = 1 + rr() % 12;
            switch (rr() % 10) {
            case 0:
                (void)sami_mig_hv_start(&RHV, now, mig, &VM, &ORIG, &DEST,
                                        rr() % 2 ? SAMI_MIG_HV_SOURCE : SAMI_MIG_HV_DEST, DI);
                break;
            case 1:
            case 2:
                (void)sami_mig_hv_time_point(&RHV, now, mig, (int)(SAMI_TP_PREPARE + rr() % 4),
                                             (uint32_t)(rr() % 5000));
                break;
            case 3:
                if (rr() % 3 == 0)
                    (void)sami_mig_hv_abort(&RHV, now, mig, SAMI_ABORT_OTHER);
                else if (rr() % 4 == 0)
                    (void)sami_mig_hv_end(&RHV, mig);
                break;
            case 4:
            case 5: {
                struct sami_feedback f = fb(mig, (int)(SAMI_TP_PREPARE + rr() % 5),
                                            (int)(rr() % 4));
                (void)sami_mig_hv_feedback_input(&RHV, now, &f);
                break;
            }
            case 6:
                now += rr() % SAMI_MSEC(300);
                sami_mig_hv_run(&RHV, now);
                break;
            case 7: {
                sami_usec_t d = sami_mig_hv_next_deadline(&RHV);
                if (d != SAMI_NO_DEADLINE && d > now)
                    now = d + (rr() % 2 ? rr() % SAMI_MSEC(700) : 0);
                sami_mig_hv_run(&RHV, now);
                break;
            }
            default:
                if (rr() % 12 == 0) {
                    now += rr() % SAMI_SEC(200); /* a clock jump */
                    sami_mig_hv_run(&RHV, now);
                }
                break;
            }
            assert_int_equal(sami_dlheap_check(&RHV.dl), 0);
            assert_true(sami_mig_hv_next_deadline(&RHV) == scan_deadline(&RHV));
        }
        const struct sami_mig_hv_counters *cn = sami_mig_hv_get_counters(&RHV);
        freed += cn->freed;
        full += cn->table_full;
        timeouts += cn->outcomes[SAMI_MIG_HV_TIMEOUT];
        assert_true(verdicts_seen > 0);
    }
    assert_true(freed > 0 && timeouts > 0 && full > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deadline_index_matches_scan),
        cmocka_unit_test_setup(test_init_and_start_errors, setup),
        cmocka_unit_test_setup(test_notification_bytes, setup),
        cmocka_unit_test_setup(test_configured_oui, setup),
        cmocka_unit_test_setup(test_pairing_table, setup),
        cmocka_unit_test_setup(test_prepare_acked_once, setup),
        cmocka_unit_test_setup(test_suspended_proceed_with_results, setup),
        cmocka_unit_test_setup(test_suspended_proceed_without_pending, setup),
        cmocka_unit_test_setup(test_suspended_rollback, setup),
        cmocka_unit_test_setup(test_suspended_timeout, setup),
        cmocka_unit_test_setup(test_retransmit_until_acked, setup),
        cmocka_unit_test_setup(test_retries_exhausted_timeout, setup),
        cmocka_unit_test_setup(test_verdict_wait_bounds_retransmission, setup),
        cmocka_unit_test_setup(test_reask_schedule_then_timeout, setup),
        cmocka_unit_test_setup(test_reask_recovers_lost_decision, setup),
        cmocka_unit_test_setup(test_reask_bounded_by_verdict_wait, setup),
        cmocka_unit_test_setup(test_send_error_is_retried, setup),
        cmocka_unit_test_setup(test_proceed_for_prepare_is_only_an_ack, setup),
        cmocka_unit_test_setup(test_stale_unknown_and_bad_feedback, setup),
        cmocka_unit_test_setup(test_abort_reason_and_outcomes, setup),
        cmocka_unit_test_setup(test_late_rollback_after_ack, setup),
        cmocka_unit_test_setup(test_new_time_point_supersedes, setup),
        cmocka_unit_test_setup(test_resumed_at_destination_waits_activation, setup),
        cmocka_unit_test_setup(test_linger_after_completed_and_end, setup),
        cmocka_unit_test_setup(test_list_and_get, setup),
        cmocka_unit_test_setup(test_verdict_callback_may_send_abort, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
