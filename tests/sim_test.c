/* Simulator: exact timing, link impairments and their counters, faults,
 * deadlines, determinism, scale. Nodes here are tiny scripted test nodes
 * that speak the same four-callback contract as the protocol engines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sami/sim.h"

/* ---- a configurable test node ---------------------------------------------- */

struct rec {
    sami_usec_t t;
    uint32_t seq;
    int port;
};

struct tn {
    struct sami_sim *sim;
    int id;
    sami_usec_t deadline;
    /* scripted deadlines (mode 1) */
    const sami_usec_t *script;
    size_t nscript, iscript;
    /* periodic sender (mode 2): port -1 sends on ports 0 and 1 */
    sami_usec_t period;
    uint32_t to_send;
    int send_port;
    size_t frame_len;
    uint32_t seq;
    /* reactions */
    int echo;               /* send every received frame back on its port */
    sami_usec_t rx_timer;   /* on rx arm a one-shot timer now + rx_timer */
    int always_due;         /* next_deadline always 0: a runaway node */
    int record;             /* keep rx records */
    struct rec *rx;
    size_t nrx, caprx;
    uint64_t rx_count;
    sami_usec_t runs[64];
    size_t nruns;
    uint64_t run_count;
    int restarts;
    sami_usec_t restart_at;
};

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void tn_send(struct tn *n, int port, uint32_t seq)
{
    uint8_t buf[1500] = {0};
    size_t len = n->frame_len ? n->frame_len : 60;
    put32(buf, seq);
    assert_int_equal(sami_sim_send(n->sim, n->id, port, buf, len), 0);
}

static void tn_rx(void *ctx, sami_usec_t now, int port, const uint8_t *frame, size_t len)
{
    struct tn *n = ctx;
    assert_true(len >= 4);
    n->rx_count++;
    if (n->record) {
        if (n->nrx == n->caprx) {
            n->caprx = n->caprx ? n->caprx * 2 : 64;
            n->rx = realloc(n->rx, n->caprx * sizeof *n->rx);
            assert_non_null(n->rx);
        }
        n->rx[n->nrx++] = (struct rec){now, get32(frame), port};
    }
    if (n->echo)
        assert_int_equal(sami_sim_send(n->sim, n->id, port, frame, len), 0);
    if (n->rx_timer)
        n->deadline = now + n->rx_timer;
}

static sami_usec_t tn_next(void *ctx)
{
    struct tn *n = ctx;
    return n->always_due ? 0 : n->deadline;
}

static void tn_run(void *ctx, sami_usec_t now)
{
    struct tn *n = ctx;
    if (n->nruns < 64)
        n->runs[n->nruns++] = now;
    n->run_count++;
    if (n->always_due)
        return;
    assert_true(n->deadline <= now); /* never run early */
    if (n->script) {
        while (n->iscript < n->nscript && n->script[n->iscript] <= now)
            n->iscript++;
        n->deadline = n->iscript < n->nscript ? n->script[n->iscript] : SAMI_NO_DEADLINE;
    } else if (n->period && n->to_send) {
        if (n->send_port < 0) {
            tn_send(n, 0, n->seq);
            tn_send(n, 1, n->seq);
        } else {
            tn_send(n, n->send_port, n->seq);
        }
        n->seq++;
        n->to_send--;
        n->deadline = n->to_send ? n->deadline + n->period : SAMI_NO_DEADLINE;
    } else {
        n->deadline = SAMI_NO_DEADLINE;
    }
}

static void tn_restart(void *ctx, sami_usec_t now)
{
    struct tn *n = ctx;
    n->restarts++;
    n->restart_at = now;
    n->deadline = SAMI_NO_DEADLINE; /* volatile state gone, timers too */
    n->to_send = 0;
}

static const struct sami_sim_node_ops tn_ops = {tn_rx, tn_next, tn_run, tn_restart};

static void tn_init(struct tn *n, struct sami_sim *sim, const char *name)
{
    memset(n, 0, sizeof *n);
    n->sim = sim;
    n->deadline = SAMI_NO_DEADLINE;
    n->record = 1;
    n->id = sami_sim_add_node(sim, name, &tn_ops, n);
    assert_true(n->id >= 0);
}

static void tn_fini(struct tn *n)
{
    free(n->rx);
    n->rx = NULL;
}

/* Sends `count` numbered frames from n on port at the current time. */
static void burst(struct tn *n, int port, uint32_t first, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        tn_send(n, port, first + i);
}

static void tn_periodic(struct tn *n, sami_usec_t start, sami_usec_t period, uint32_t count,
                        int port)
{
    n->deadline = start;
    n->period = period;
    n->to_send = count;
    n->send_port = port;
}

/* ---- tap helpers ----------------------------------------------------------- */

struct tapcount {
    uint64_t ev[6];
    uint64_t hash;
    sami_usec_t last_t;
    int monotonic;
    int unrouted_seen;
};

static void count_tap(void *arg, sami_usec_t t, int from, int to, const uint8_t *frame,
                      size_t len, int event)
{
    struct tapcount *c = arg;
    assert_true(event >= 1 && event <= 5);
    c->ev[event]++;
    if (t < c->last_t)
        c->monotonic = 0;
    c->last_t = t;
    if (to == -1)
        c->unrouted_seen++;
    /* FNV-1a over everything observable */
    uint64_t h = c->hash ? c->hash : UINT64_C(0xcbf29ce484222325);
    uint64_t vals[5] = {t, (uint64_t)(int64_t)from, (uint64_t)(int64_t)to, len, (uint64_t)event};
    for (int i = 0; i < 5; i++)
        for (int b = 0; b < 8; b++) {
            h ^= (vals[i] >> (8 * b)) & 0xff;
            h *= UINT64_C(0x100000001b3);
        }
    for (size_t i = 0; i < len; i++) {
        h ^= frame[i];
        h *= UINT64_C(0x100000001b3);
    }
    c->hash = h;
}

static void check_invariant(struct sami_sim *sim, int link)
{
    for (int d = 0; d < 2; d++) {
        struct sami_sim_link_stats st;
        assert_int_equal(sami_sim_link_stats(sim, link, d, &st), 0);
        assert_true(st.sent + st.duplicated == st.delivered + st.lost + st.dropped_queue +
                                                   st.dropped_down + st.in_flight);
    }
}

/* ---- tests ----------------------------------------------------------------- */

static void test_ping_echo_exact_times(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(1);
    assert_non_null(sim);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    b.echo = 1;
    struct sami_sim_link_params p = {.delay_us = 1000};
    int l = sami_sim_link(sim, a.id, 0, b.id, 3, &p);
    assert_int_equal(l, 0);

    tn_send(&a, 0, 7);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(10)), 0);
    assert_int_equal(sami_sim_now(sim), 2000);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t, 1000);
    assert_int_equal(b.rx[0].port, 3);
    assert_int_equal(a.nrx, 1);
    assert_int_equal(a.rx[0].t, 2000);
    assert_int_equal(a.rx[0].seq, 7);
    assert_int_equal(a.rx[0].port, 0);

    /* 8 Mbit/s: 100 bytes take 100 us on the wire, per hop, back to back */
    p.bandwidth_bps = 8000000;
    assert_int_equal(sami_sim_link_set(sim, l, &p), 0);
    a.frame_len = 100;
    b.frame_len = 100;
    burst(&a, 0, 1, 2);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(10)), 0);
    assert_int_equal(b.nrx, 3);
    assert_int_equal(b.rx[1].t, 2000 + 100 + 1000);
    assert_int_equal(b.rx[2].t, 2000 + 200 + 1000);
    /* echoes leave B at 3100 and 3200: line free each time */
    assert_int_equal(a.rx[1].t, 3100 + 100 + 1000);
    assert_int_equal(a.rx[2].t, 3200 + 100 + 1000);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

/* Returns lost count; fills got[i] = 1 when frame i arrived. */
static uint64_t run_loss(uint64_t seed, double loss, uint8_t *got, uint32_t n)
{
    struct sami_sim *sim = sami_sim_new(seed);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 50, .loss = loss};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    burst(&a, 0, 0, n);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    memset(got, 0, n);
    for (size_t i = 0; i < b.nrx; i++)
        got[b.rx[i].seq] = 1;
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    assert_int_equal(st.sent, n);
    assert_int_equal(st.delivered, b.nrx);
    assert_int_equal(st.delivered + st.lost, n);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
    return st.lost;
}

static void test_loss_rate_and_determinism(void **state)
{
    (void)state;
    enum { N = 10000 };
    static uint8_t g1[N], g2[N], g3[N];
    uint64_t l1 = run_loss(42, 0.3, g1, N);
    uint64_t l2 = run_loss(42, 0.3, g2, N);
    uint64_t l3 = run_loss(43, 0.3, g3, N);
    /* sd = sqrt(N p (1-p)) = 46: +-250 is > 5 sd */
    assert_true(l1 > 3000 - 250 && l1 < 3000 + 250);
    assert_true(l3 > 3000 - 250 && l3 < 3000 + 250);
    assert_int_equal(l1, l2);
    assert_memory_equal(g1, g2, N);
    assert_memory_not_equal(g1, g3, N);
    /* extremes */
    assert_int_equal(run_loss(1, 0.0, g1, 1000), 0);
    assert_int_equal(run_loss(1, 1.0, g1, 1000), 1000);
}

static void test_duplication(void **state)
{
    (void)state;
    enum { N = 10000 };
    struct sami_sim *sim = sami_sim_new(5);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 20, .jitter_us = 10, .duplicate = 0.25};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    struct tapcount tc = {.monotonic = 1};
    sami_sim_set_tap(sim, count_tap, &tc);
    burst(&a, 0, 0, N);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    assert_true(st.duplicated > 2500 - 250 && st.duplicated < 2500 + 250);
    assert_int_equal(st.delivered, N + st.duplicated);
    assert_int_equal(b.nrx, N + st.duplicated);
    static uint8_t seen[N];
    uint64_t twice = 0;
    for (size_t i = 0; i < b.nrx; i++)
        if (seen[b.rx[i].seq]++)
            twice++;
    assert_int_equal(twice, st.duplicated);
    assert_int_equal(tc.ev[SAMI_SIM_TAP_DUPLICATED], st.duplicated);
    assert_int_equal(tc.ev[SAMI_SIM_TAP_SENT], N);
    assert_int_equal(tc.ev[SAMI_SIM_TAP_DELIVERED], st.delivered);
    assert_true(tc.monotonic);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static uint32_t inversions(const struct tn *n)
{
    uint32_t inv = 0, max = 0;
    for (size_t i = 0; i < n->nrx; i++) {
        if (i && n->rx[i].seq < max)
            inv++;
        if (n->rx[i].seq > max)
            max = n->rx[i].seq;
    }
    return inv;
}

static void test_reordering(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(9);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 100, .reorder = 0.1};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    tn_periodic(&a, 0, 10, 1000, 0);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    assert_int_equal(b.nrx, 1000);
    assert_true(st.reordered > 50 && st.reordered < 160);
    uint32_t inv = inversions(&b);
    assert_true(inv > 0);
    assert_true(inv <= st.reordered);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_jitter_keeps_fifo(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(9);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 100, .jitter_us = 500};
    sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    tn_periodic(&a, 0, 10, 1000, 0);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nrx, 1000);
    assert_int_equal(inversions(&b), 0);
    sami_usec_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < b.nrx; i++) {
        sami_usec_t lat = b.rx[i].t - b.rx[i].seq * 10;
        assert_true(lat >= 100);
        if (lat < lo)
            lo = lat;
        if (lat > hi)
            hi = lat;
    }
    assert_true(hi > lo); /* jitter did something */
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void cut(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)now;
    assert_int_equal(sami_sim_partition(sim, *(int *)arg, 1), 0);
}

static void heal(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)now;
    assert_int_equal(sami_sim_partition(sim, *(int *)arg, 0), 0);
}

static void test_partition_and_heal(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 1000};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    struct tapcount tc = {.monotonic = 1};
    sami_sim_set_tap(sim, count_tap, &tc);
    /* timers first, so at 5000 the cut precedes the frame due then */
    assert_true(sami_sim_at(sim, 5000, cut, &l) > 0);
    assert_true(sami_sim_at(sim, 10000, heal, &l) > 0);
    tn_periodic(&a, 0, 100, 200, 0); /* sends at 0 .. 19900 */
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    /* in flight at the cut: sent 4100..4900 (9); sent while down: 5000..9900 (50);
     * the frame sent at 4000 is due at 5000 and loses to the earlier cut */
    assert_int_equal(st.dropped_down, 10 + 50);
    assert_int_equal(st.delivered, 200 - 60);
    assert_int_equal(tc.ev[SAMI_SIM_TAP_DROPPED], 60);
    for (size_t i = 0; i < b.nrx; i++)
        assert_true(b.rx[i].t <= 4900 || b.rx[i].t >= 11000);
    assert_int_equal(b.rx[39].t, 4900);
    assert_int_equal(b.rx[39].seq, 39);
    assert_int_equal(b.rx[40].t, 11000);
    assert_int_equal(b.rx[40].seq, 100);
    assert_true(tc.monotonic);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void do_restart(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)now;
    assert_int_equal(sami_sim_restart_node(sim, *(int *)arg), 0);
}

static void rx_only(void *ctx, sami_usec_t now, int port, const uint8_t *f, size_t len)
{
    (void)ctx, (void)now, (void)port, (void)f, (void)len;
}

static void test_restart_drops_in_flight(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    struct sami_sim_link_params p = {.delay_us = 1000};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    burst(&a, 0, 0, 10);   /* due at B at 1000 */
    burst(&b, 0, 100, 5);  /* B -> A, also in flight */
    b.deadline = 800;      /* a pending timer the restart must wipe */
    assert_true(sami_sim_at(sim, 500, do_restart, &b.id) > 0);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.restarts, 1);
    assert_int_equal(b.restart_at, 500);
    assert_int_equal(b.nrx, 0);
    assert_int_equal(a.nrx, 0);
    assert_int_equal(b.nruns, 0);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_BOTH, &st);
    assert_int_equal(st.dropped_down, 15);
    assert_int_equal(st.in_flight, 0);
    /* the link still works afterwards */
    burst(&a, 0, 50, 1);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nrx, 1);
    assert_int_equal(b.rx[0].t, 500 + 1000);
    check_invariant(sim, l);

    /* a node without restart support */
    static const struct sami_sim_node_ops plain = {rx_only, NULL, NULL, NULL};
    int c = sami_sim_add_node(sim, "plain", &plain, NULL);
    assert_int_equal(sami_sim_restart_node(sim, c), SAMI_ERR_UNSUPPORTED);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_node_down(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &(struct sami_sim_link_params){.delay_us = 10});
    static const sami_usec_t script[] = {300};
    b.script = script;
    b.nscript = 1;
    b.deadline = 300;
    assert_int_equal(sami_sim_node_down(sim, b.id, 1), 0);
    assert_int_equal(sami_sim_node_is_down(sim, b.id), 1);
    burst(&a, 0, 0, 3);
    burst(&b, 0, 9, 1); /* a dead node's send goes nowhere */
    assert_int_equal(sami_sim_run_until(sim, 1000), 0);
    assert_int_equal(b.nrx, 0);
    assert_int_equal(b.nruns, 0);
    assert_int_equal(a.nrx, 0);
    assert_int_equal(sami_sim_node_down(sim, b.id, 0), 0);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nruns, 1);
    assert_int_equal(b.runs[0], 1000); /* overdue: fires when it comes back */
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_BOTH, &st);
    assert_int_equal(st.dropped_down, 4);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_deadlines_exact(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    static const sami_usec_t script[] = {1234, 5000, 5007, 5007, 9999};
    a.script = script;
    a.nscript = 5;
    a.deadline = 1234;
    assert_int_equal(sami_sim_run_until(sim, 1233), 0);
    assert_int_equal(a.nruns, 0);
    assert_int_equal(sami_sim_next_event(sim), 1234);
    assert_int_equal(sami_sim_run_until(sim, 1234), 0);
    assert_int_equal(a.nruns, 1);
    assert_int_equal(a.runs[0], 1234);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(a.nruns, 4);
    assert_int_equal(a.runs[1], 5000);
    assert_int_equal(a.runs[2], 5007);
    assert_int_equal(a.runs[3], 9999);
    assert_int_equal(sami_sim_now(sim), 9999);

    /* a deadline armed from rx, and one moved earlier from outside */
    sami_sim_link(sim, a.id, 0, b.id, 0, &(struct sami_sim_link_params){.delay_us = 111});
    b.rx_timer = 333;
    tn_send(&a, 0, 1);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nruns, 1);
    assert_int_equal(b.runs[0], 9999 + 111 + 333);

    b.rx_timer = 0;
    b.deadline = 20000;
    assert_int_equal(sami_sim_touch(sim, b.id), 0);
    assert_int_equal(sami_sim_next_event(sim), 20000);
    b.deadline = 15000; /* moved earlier by "scenario code" */
    assert_int_equal(sami_sim_touch(sim, b.id), 0);
    assert_int_equal(sami_sim_next_event(sim), 15000);
    /* a deadline in the past runs at once, never before now */
    b.deadline = 5;
    assert_int_equal(sami_sim_run_until(sim, 12000), 0);
    assert_int_equal(b.nruns, 2);
    assert_int_equal(b.runs[1], 10443); /* the run_until entry poll saw it */
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void poke(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    struct tn *n = arg;
    n->deadline = now + 10; /* scenario code arming an engine timer directly */
}

static void test_scripted_engine_poke(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    assert_true(sami_sim_at_node(sim, b.id, 100, poke, &b) > 0);
    assert_true(sami_sim_at(sim, 200, poke, &a) > 0);
    assert_int_equal(sami_sim_at_node(sim, 7, 300, poke, &a), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nruns, 1);
    assert_int_equal(b.runs[0], 110);
    assert_int_equal(a.nruns, 1);
    assert_int_equal(a.runs[0], 210);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_run_until_idle(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    assert_int_equal(sami_sim_run_until_idle(sim, 100), 0); /* empty: idle at once */
    assert_int_equal(sami_sim_now(sim), 0);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    sami_sim_link(sim, a.id, 0, b.id, 0, &(struct sami_sim_link_params){.delay_us = 7});
    tn_periodic(&a, 10, 10, 5, 0);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(sami_sim_now(sim), 50 + 7);
    assert_int_equal(b.nrx, 5);

    /* never idle: periodic forever (large count) -> stops at the limit */
    tn_periodic(&a, 100, 10, UINT32_MAX, 0);
    assert_int_equal(sami_sim_run_until_idle(sim, 10000), SAMI_ERR_TIMEOUT);
    assert_int_equal(sami_sim_now(sim), 10000);
    assert_int_equal(sami_sim_run_until(sim, 9999), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_run_until_idle(sim, 9999), SAMI_ERR_INVAL);

    /* step: one event at a time */
    a.to_send = 0;
    a.deadline = SAMI_NO_DEADLINE;
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(sami_sim_now(sim), 10000 + 7); /* last frame in flight landed */
    tn_send(&a, 0, 1);
    assert_int_equal(sami_sim_step(sim), 1);
    assert_int_equal(sami_sim_now(sim), 10014);
    assert_int_equal(sami_sim_step(sim), 0);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

struct order {
    int log[32];
    int n;
};

static struct order g_order;
static void rec_timer(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    (void)now;
    g_order.log[g_order.n++] = (int)(intptr_t)arg;
}

static void test_timers_fifo_and_cancel(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    memset(&g_order, 0, sizeof g_order);
    int64_t t1 = sami_sim_at(sim, 100, rec_timer, (void *)(intptr_t)1);
    int64_t t2 = sami_sim_at(sim, 100, rec_timer, (void *)(intptr_t)2);
    int64_t t3 = sami_sim_at(sim, 100, rec_timer, (void *)(intptr_t)3);
    int64_t t4 = sami_sim_at(sim, 50, rec_timer, (void *)(intptr_t)4);
    assert_true(t1 > 0 && t2 > 0 && t3 > 0 && t4 > 0);
    assert_int_equal(sami_sim_cancel(sim, t2), 0);
    assert_int_equal(sami_sim_cancel(sim, t2), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_sim_run_until_idle(sim, 1000), 0);
    assert_int_equal(g_order.n, 3);
    assert_int_equal(g_order.log[0], 4);
    assert_int_equal(g_order.log[1], 1);
    assert_int_equal(g_order.log[2], 3);
    assert_int_equal(sami_sim_cancel(sim, t1), SAMI_ERR_NOTFOUND); /* already ran */
    assert_int_equal(sami_sim_at(sim, 99, rec_timer, NULL), SAMI_ERR_INVAL); /* past */
    assert_int_equal(sami_sim_at(sim, 200, NULL, NULL), SAMI_ERR_INVAL);
    assert_true(sami_sim_after(sim, 5, rec_timer, (void *)(intptr_t)5) > 0);
    assert_int_equal(sami_sim_run_until_idle(sim, 1000), 0);
    assert_int_equal(sami_sim_now(sim), 105);
    assert_int_equal(g_order.log[3], 5);
    sami_sim_free(sim);
}

struct heapcheck {
    sami_usec_t t;
    uint32_t order; /* scheduling order */
    int cancelled;
    int fired;
};
static struct heapcheck *g_hc;
static uint32_t g_hc_last_idx;
static sami_usec_t g_hc_last_t;
static int g_hc_bad;

static void hc_fire(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    uint32_t i = (uint32_t)(uintptr_t)arg;
    if (g_hc[i].cancelled || g_hc[i].fired || now != g_hc[i].t)
        g_hc_bad++;
    if (now < g_hc_last_t || (now == g_hc_last_t && i < g_hc_last_idx))
        g_hc_bad++; /* out of (time, FIFO) order */
    g_hc_last_t = now;
    g_hc_last_idx = i;
    g_hc[i].fired = 1;
}

/* Random timers with random cancels fire in exact (time, FIFO) order. */
static void test_heap_order_under_churn(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct sami_sim *sim = sami_sim_new(77);
    g_hc = calloc(N, sizeof *g_hc);
    int64_t *ids = calloc(N, sizeof *ids);
    g_hc_last_t = 0;
    g_hc_last_idx = 0;
    g_hc_bad = 0;
    for (uint32_t i = 0; i < N; i++) {
        g_hc[i].t = sami_sim_rand_below(sim, 1000);
        ids[i] = sami_sim_at(sim, g_hc[i].t, hc_fire, (void *)(uintptr_t)i);
        assert_true(ids[i] > 0);
        if (i > 10 && sami_sim_rand_below(sim, 10) < 3) {
            uint32_t v = (uint32_t)sami_sim_rand_below(sim, i);
            if (!g_hc[v].cancelled) {
                assert_int_equal(sami_sim_cancel(sim, ids[v]), 0);
                g_hc[v].cancelled = 1;
            }
        }
    }
    assert_int_equal(sami_sim_run_until_idle(sim, 1000), 0);
    assert_int_equal(g_hc_bad, 0);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(g_hc[i].fired, !g_hc[i].cancelled);
    free(ids);
    free(g_hc);
    sami_sim_free(sim);
}

static void test_queue_tail_drop(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    /* 1 Mbit/s, 125-byte frames: 1000 us each */
    struct sami_sim_link_params p = {.delay_us = 10, .bandwidth_bps = 1000000, .queue_max = 3};
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, &p);
    a.frame_len = 125;
    burst(&a, 0, 0, 5);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    assert_int_equal(st.dropped_queue, 2);
    assert_int_equal(sami_sim_run_until(sim, 1000), 0); /* first frame serialised */
    burst(&a, 0, 5, 2);                                 /* one fits, one drops */
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nrx, 4);
    assert_int_equal(b.rx[0].t, 1010);
    assert_int_equal(b.rx[1].t, 2010);
    assert_int_equal(b.rx[2].t, 3010);
    assert_int_equal(b.rx[3].t, 4010);
    assert_int_equal(b.rx[3].seq, 5);
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_AB, &st);
    assert_int_equal(st.dropped_queue, 3);
    assert_int_equal(st.bytes_delivered, 4 * 125);
    check_invariant(sim, l);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_asymmetric_link(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    b.echo = 1;
    int l = sami_sim_link(sim, a.id, 0, b.id, 0, NULL);
    struct sami_sim_link_params lossy = {.delay_us = 5, .loss = 1.0};
    assert_int_equal(sami_sim_link_set_dir(sim, l, SAMI_SIM_DIR_BA, &lossy), 0);
    struct sami_sim_link_params got;
    assert_int_equal(sami_sim_link_get(sim, l, SAMI_SIM_DIR_BA, &got), 0);
    assert_true(got.loss == 1.0);
    assert_int_equal(sami_sim_link_get(sim, l, SAMI_SIM_DIR_AB, &got), 0);
    assert_true(got.loss == 0.0);
    burst(&a, 0, 0, 10);
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    assert_int_equal(b.nrx, 10);
    assert_int_equal(b.rx[9].t, 0); /* ideal direction: zero delay */
    assert_int_equal(a.nrx, 0);
    struct sami_sim_link_stats st;
    sami_sim_link_stats(sim, l, SAMI_SIM_DIR_BA, &st);
    assert_int_equal(st.lost, 10);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

static void test_spin_guard(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a;
    tn_init(&a, sim, "runaway");
    a.always_due = 1;
    assert_int_equal(sami_sim_run_until(sim, 9), 0); /* terminates */
    struct sami_sim_stats st;
    sami_sim_get_stats(sim, &st);
    assert_int_equal(st.spin_breaks, 10);
    assert_int_equal(a.run_count, 10 * SAMI_SIM_SPIN_LIMIT);
    tn_fini(&a);
    sami_sim_free(sim);
}

static void reenter(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    int *rc = arg;
    rc[0] = sami_sim_run_until(sim, now + 10);
    rc[1] = sami_sim_step(sim);
    rc[2] = sami_sim_run_until_idle(sim, now + 10);
}

static void test_reentry_refused(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    int rc[3] = {0};
    sami_sim_at(sim, 5, reenter, rc);
    assert_int_equal(sami_sim_run_until_idle(sim, 100), 0);
    assert_int_equal(rc[0], SAMI_ERR_STATE);
    assert_int_equal(rc[1], SAMI_ERR_STATE);
    assert_int_equal(rc[2], SAMI_ERR_STATE);
    sami_sim_free(sim);
}

static void test_bad_arguments_and_lookup(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "hv-s");
    tn_init(&b, sim, "br-o");
    static const struct sami_sim_node_ops norx = {NULL, NULL, NULL, NULL};
    static const struct sami_sim_node_ops norun = {rx_only, tn_next, NULL, NULL};
    assert_int_equal(sami_sim_add_node(sim, "x", &norx, NULL), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_add_node(sim, "x", &norun, NULL), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_node_count(sim), 2);
    assert_string_equal(sami_sim_node_name(sim, b.id), "br-o");
    assert_null(sami_sim_node_name(sim, 7));
    assert_int_equal(sami_sim_find_node(sim, "br-o"), b.id);
    assert_int_equal(sami_sim_find_node(sim, "nope"), SAMI_ERR_NOTFOUND);
    assert_ptr_equal(sami_sim_node_ctx(sim, a.id), &a);

    struct sami_sim_link_params p = {0};
    p.loss = 1.5;
    assert_int_equal(sami_sim_link(sim, a.id, 0, b.id, 0, &p), SAMI_ERR_INVAL);
    p.loss = NAN;
    assert_int_equal(sami_sim_link(sim, a.id, 0, b.id, 0, &p), SAMI_ERR_INVAL);
    p.loss = 0;
    p.delay_us = SAMI_SIM_MAX_DELAY + 1;
    assert_int_equal(sami_sim_link(sim, a.id, 0, b.id, 0, &p), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_link(sim, a.id, SAMI_SIM_MAX_PORT + 1, b.id, 0, NULL),
                     SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_link(sim, a.id, 1, a.id, 1, NULL), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_link(sim, a.id, 0, 9, 0, NULL), SAMI_ERR_INVAL);
    int l = sami_sim_link(sim, a.id, 2, b.id, 5, NULL);
    assert_int_equal(l, 0);
    assert_int_equal(sami_sim_link(sim, a.id, 2, b.id, 6, NULL), SAMI_ERR_EXISTS);
    assert_int_equal(sami_sim_link_count(sim), 1);
    int pn = -1, pp = -1;
    assert_int_equal(sami_sim_port_link(sim, b.id, 5, &pn, &pp), l);
    assert_int_equal(pn, a.id);
    assert_int_equal(pp, 2);
    assert_int_equal(sami_sim_port_link(sim, b.id, 4, NULL, NULL), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_sim_link_set(sim, 3, &p), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_partition(sim, 3, 1), SAMI_ERR_INVAL);

    /* unrouted send: dropped, seen by the tap with to_node -1 */
    struct tapcount tc = {.monotonic = 1};
    sami_sim_set_tap(sim, count_tap, &tc);
    uint8_t f[60] = {0};
    assert_int_equal(sami_sim_send(sim, a.id, 0, f, sizeof f), 0);
    assert_int_equal(sami_sim_send(sim, a.id, -1, f, sizeof f), 0);
    assert_int_equal(tc.unrouted_seen, 2);
    struct sami_sim_stats st;
    sami_sim_get_stats(sim, &st);
    assert_int_equal(st.unrouted, 2);
    assert_int_equal(sami_sim_send(sim, 9, 0, f, sizeof f), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_send(sim, a.id, 2, NULL, 10), SAMI_ERR_INVAL);
    assert_int_equal(sami_sim_send(sim, a.id, 2, f, SAMI_SIM_MAX_FRAME + 1), SAMI_ERR_TOOBIG);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
}

/* A ring of nodes with every impairment on; returns the tap hash. */
static uint64_t impaired_ring(uint64_t seed, int draw_scenario_rand)
{
    enum { N = 10 };
    struct sami_sim *sim = sami_sim_new(seed);
    struct tn n[N];
    struct tapcount tc = {.monotonic = 1};
    sami_sim_set_tap(sim, count_tap, &tc);
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        tn_init(&n[i], sim, name);
        n[i].record = 0;
        tn_periodic(&n[i], (sami_usec_t)i, 100, 300, -1);
    }
    struct sami_sim_link_params p = {.delay_us = 200, .jitter_us = 150, .loss = 0.05,
                                     .duplicate = 0.05, .reorder = 0.05,
                                     .bandwidth_bps = 100000000, .queue_max = 8};
    for (int i = 0; i < N; i++)
        assert_int_equal(sami_sim_link(sim, n[i].id, 0, n[(i + 1) % N].id, 1, &p), i);
    for (sami_usec_t t = 1000; t <= 40000; t += 1000) {
        if (draw_scenario_rand)
            (void)sami_sim_rand(sim); /* must not shift any link's draws */
        assert_int_equal(sami_sim_run_until(sim, t), 0);
    }
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(1)), 0);
    for (int i = 0; i < N; i++)
        check_invariant(sim, i);
    assert_true(tc.monotonic);
    sami_sim_free(sim);
    return tc.hash;
}

static void test_determinism(void **state)
{
    (void)state;
    uint64_t h1 = impaired_ring(1234, 0);
    uint64_t h2 = impaired_ring(1234, 0);
    uint64_t h3 = impaired_ring(1234, 1);
    uint64_t h4 = impaired_ring(1235, 0);
    assert_true(h1 == h2);
    assert_true(h1 == h3);
    assert_true(h1 != h4);

    struct sami_sim *s1 = sami_sim_new(99), *s2 = sami_sim_new(99), *s3 = sami_sim_new(100);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t a = sami_sim_rand(s1), b = sami_sim_rand(s2), c = sami_sim_rand(s3);
        assert_true(a == b);
        differ += a != c;
    }
    assert_true(differ > 90);
    for (int i = 0; i < 1000; i++)
        assert_true(sami_sim_rand_below(s1, 7) < 7);
    assert_int_equal(sami_sim_rand_below(s1, 0), 0);
    sami_sim_free(s1);
    sami_sim_free(s2);
    sami_sim_free(s3);
}

static void test_pcap_headers(void **state)
{
    (void)state;
    uint8_t fh[SAMI_SIM_PCAP_FILE_HEADER_LEN], rh[SAMI_SIM_PCAP_RECORD_HEADER_LEN];
    sami_sim_pcap_file_header(fh, 65535, SAMI_SIM_PCAP_LINKTYPE_ETHERNET);
    static const uint8_t want_fh[] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                      0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    assert_memory_equal(fh, want_fh, sizeof want_fh);
    sami_sim_pcap_record_header(rh, 2500001, SAMI_SEC(1), 60, 64); /* 3.500001 s */
    static const uint8_t want_rh[] = {3, 0, 0, 0, 0x21, 0xa1, 0x07, 0, 60, 0, 0, 0, 64, 0, 0, 0};
    assert_memory_equal(rh, want_rh, sizeof want_rh);
}

/* 1,000 nodes in a ring, each sending to both neighbours every ms. */
static void test_scale_1000_nodes(void **state)
{
    (void)state;
    enum { N = 1000 };
    const char *env = getenv("SAMI_SIM_BENCH_MS");
    uint32_t ms = env ? (uint32_t)strtoul(env, NULL, 10) : 200;
    struct sami_sim *sim = sami_sim_new(2024);
    struct tn *n = calloc(N, sizeof *n);
    assert_non_null(n);
    for (int i = 0; i < N; i++) {
        tn_init(&n[i], sim, NULL);
        n[i].record = 0;
        tn_periodic(&n[i], (sami_usec_t)(i % 1000), 1000, ms, -1);
    }
    struct sami_sim_link_params p = {.delay_us = 50, .jitter_us = 20, .loss = 0.01,
                                     .reorder = 0.01};
    for (int i = 0; i < N; i++)
        assert_int_equal(sami_sim_link(sim, n[i].id, 0, n[(i + 1) % N].id, 1, &p), i);
    clock_t c0 = clock();
    assert_int_equal(sami_sim_run_until_idle(sim, SAMI_SEC(3600)), 0);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    struct sami_sim_stats st;
    sami_sim_get_stats(sim, &st);
    uint64_t frames = (uint64_t)N * ms * 2, rx = 0, lost = 0;
    for (int i = 0; i < N; i++) {
        struct sami_sim_link_stats ls;
        sami_sim_link_stats(sim, i, SAMI_SIM_DIR_BOTH, &ls);
        lost += ls.lost;
        rx += n[i].rx_count;
        check_invariant(sim, i);
    }
    assert_int_equal(rx + lost, frames);
    assert_int_equal(st.deliveries, rx);
    assert_int_equal(st.node_runs, (uint64_t)N * ms);
    assert_int_equal(st.frames_in_flight, 0);
    print_message("    scale: %llu events (%llu frames) in %.3f s cpu = %.2f M events/s, "
                  "peak queue %llu\n",
                  (unsigned long long)st.events, (unsigned long long)frames, secs,
                  secs > 0 ? (double)st.events / secs / 1e6 : 0.0,
                  (unsigned long long)st.peak_pending);
    for (int i = 0; i < N; i++)
        tn_fini(&n[i]);
    free(n);
    sami_sim_free(sim);
}

/* Freed with frames and timers still pending: nothing leaks (ASan). */
static void test_free_with_pending(void **state)
{
    (void)state;
    struct sami_sim *sim = sami_sim_new(3);
    struct tn a, b;
    tn_init(&a, sim, "a");
    tn_init(&b, sim, "b");
    sami_sim_link(sim, a.id, 0, b.id, 0,
                  &(struct sami_sim_link_params){.delay_us = 1000, .bandwidth_bps = 1000000});
    burst(&a, 0, 0, 100);
    sami_sim_at(sim, 5000, rec_timer, NULL);
    assert_int_equal(sami_sim_run_until(sim, 1500), 0);
    tn_fini(&a);
    tn_fini(&b);
    sami_sim_free(sim);
    sami_sim_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ping_echo_exact_times),
        cmocka_unit_test(test_loss_rate_and_determinism),
        cmocka_unit_test(test_duplication),
        cmocka_unit_test(test_reordering),
        cmocka_unit_test(test_jitter_keeps_fifo),
        cmocka_unit_test(test_partition_and_heal),
        cmocka_unit_test(test_restart_drops_in_flight),
        cmocka_unit_test(test_node_down),
        cmocka_unit_test(test_deadlines_exact),
        cmocka_unit_test(test_scripted_engine_poke),
        cmocka_unit_test(test_run_until_idle),
        cmocka_unit_test(test_timers_fifo_and_cancel),
        cmocka_unit_test(test_heap_order_under_churn),
        cmocka_unit_test(test_queue_tail_drop),
        cmocka_unit_test(test_asymmetric_link),
        cmocka_unit_test(test_spin_guard),
        cmocka_unit_test(test_reentry_refused),
        cmocka_unit_test(test_bad_arguments_and_lookup),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_pcap_headers),
        cmocka_unit_test(test_scale_1000_nodes),
        cmocka_unit_test(test_free_with_pending),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
