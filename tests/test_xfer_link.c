/* L2 link reliability: fragmentation, go-back-N window, acks, duplicates,
 * retransmission, give-up, sequence wrap; two links over an in-memory wire
 * with deterministic loss, duplication and reordering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/xfer_l2.h"
#include "sami/xfer_link.h"

#define MAXQ 4096
#define BIGMSG 70000

struct wframe {
    int to; /* 0 = A, 1 = B */
    sami_usec_t at;
    uint64_t order;
    size_t len;
    uint8_t b[1500];
};

struct delivered {
    size_t len;
    uint8_t *data;
};

static struct world {
    struct sami_xfer_link link[2];
    struct sami_xfer_link_peer peers[2][1];
    uint8_t txq[2][200000];
    uint8_t rxb[2][BIGMSG];
    struct wframe q[MAXQ];
    size_t nq;
    uint64_t order;
    sami_usec_t now;
    double loss, dup, reorder;
    sami_usec_t delay;
    uint64_t rng;
    /* what B (and A) received */
    struct delivered got[2][2000];
    size_t ngot[2];
    unsigned errors[2];
    uint32_t last_err_ticket[2];
    unsigned data_tx[2], ack_tx[2];
    int drop_next_data[2]; /* drop this many DATA frames from side i */
    int drop_acks[2];      /* drop every ACK from side i */
    /* starting hook of side 0: calls, their times, rewrite the first octet */
    unsigned starts;
    sami_usec_t start_at[8];
    int rewrite;
    uint16_t data_seq[64]; /* sequences of side 0's DATA frames, in order */
    sami_usec_t first_at[2];  /* rx_first_at seen inside deliver */
} W;

static uint64_t rnd(void)
{
    W.rng ^= W.rng << 13;
    W.rng ^= W.rng >> 7;
    W.rng ^= W.rng << 17;
    return W.rng;
}

static double frand(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static void push(int to, const uint8_t *f, size_t len, sami_usec_t extra)
{
    assert_true(W.nq < MAXQ);
    struct wframe *w = &W.q[W.nq++];
    w->to = to;
    w->at = W.now + W.delay + extra;
    w->order = W.order++;
    w->len = len;
    memcpy(w->b, f, len);
}

static void tx_frame(void *ctx, int peer, void *handle, const uint8_t *frame, size_t len)
{
    int from = (int)(intptr_t)ctx;
    (void)peer;
    (void)handle;
    assert_true(len >= SAMI_XFER_L2_MIN_PDU && len <= 1500);
    struct sami_xfer_l2_frame f;
    assert_int_equal(sami_xfer_l2_decode(frame, len, &f, NULL), 0);
    if (f.op == SAMI_XFER_L2_DATA) {
        if (from == 0 && W.data_tx[0] < 64)
            W.data_seq[W.data_tx[0]] = f.seq;
        W.data_tx[from]++;
        if (W.drop_next_data[from] > 0) {
            W.drop_next_data[from]--;
            return;
        }
    } else {
        W.ack_tx[from]++;
        if (W.drop_acks[from])
            return;
    }
    if (frand() < W.loss)
        return;
    sami_usec_t extra = frand() < W.reorder ? 1 + rnd() % (W.delay * 3 + 1) : 0;
    push(1 - from, frame, len, extra);
    if (frand() < W.dup)
        push(1 - from, frame, len, rnd() % (W.delay + 1));
}

static void deliver(void *ctx, sami_usec_t now, int peer, void *handle, const uint8_t *msg,
                    size_t len)
{
    int side = (int)(intptr_t)ctx;
    (void)now;
    (void)peer;
    (void)handle;
    assert_true(W.ngot[side] < 2000);
    W.first_at[side] = sami_xfer_link_rx_first_at(&W.link[side], 0);
    struct delivered *d = &W.got[side][W.ngot[side]++];
    d->len = len;
    d->data = malloc(len);
    memcpy(d->data, msg, len);
}

static void on_error(void *ctx, sami_usec_t now, int peer, void *handle, uint32_t ticket, int code)
{
    int side = (int)(intptr_t)ctx;
    (void)now;
    (void)peer;
    (void)handle;
    assert_int_equal(code, SAMI_ERR_RETRIES);
    W.errors[side]++;
    W.last_err_ticket[side] = ticket;
}

static void world_init(unsigned window, size_t mtu, unsigned retries, size_t rxcap)
{
    for (int s = 0; s < 2; s++)
        for (size_t i = 0; i < W.ngot[s]; i++)
            free(W.got[s][i].data);
    memset(&W, 0, sizeof W);
    W.rng = 0x9E3779B97F4A7C15ull;
    W.delay = 100;
    for (int s = 0; s < 2; s++) {
        struct sami_xfer_link_cfg c = {
            .mtu = mtu,
            .window = window,
            .rto = 1000,
            .retries = retries,
            .tx_frame = tx_frame,
            .deliver = deliver,
            .error = on_error,
            .tx_ctx = (void *)(intptr_t)s,
            .up_ctx = (void *)(intptr_t)s,
        };
        assert_int_equal(sami_xfer_link_init(&W.link[s], &c, W.peers[s], 1), 0);
        assert_int_equal(sami_xfer_link_add_peer(&W.link[s], NULL, W.txq[s], sizeof W.txq[s],
                                                 W.rxb[s], rxcap),
                         0);
    }
}

static int world_teardown(void **state)
{
    (void)state;
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < W.ngot[s]; i++)
            free(W.got[s][i].data);
        W.ngot[s] = 0;
    }
    return 0;
}

/* Runs until nothing is in flight and no timer is armed (or limit). */
static void world_run(sami_usec_t limit)
{
    for (;;) {
        sami_usec_t next = SAMI_NO_DEADLINE;
        size_t qi = SIZE_MAX;
        for (size_t i = 0; i < W.nq; i++)
            if (W.q[i].at < next || (W.q[i].at == next && qi != SIZE_MAX &&
                                     W.q[i].order < W.q[qi].order)) {
                next = W.q[i].at;
                qi = i;
            }
        sami_usec_t dl[2] = {sami_xfer_link_next_deadline(&W.link[0]),
                             sami_xfer_link_next_deadline(&W.link[1])};
        int side = -1;
        for (int s = 0; s < 2; s++)
            if (dl[s] < next) {
                next = dl[s];
                side = s;
            }
        if (next == SAMI_NO_DEADLINE || next > limit)
            return;
        if (next > W.now)
            W.now = next;
        if (side >= 0) {
            sami_xfer_link_run(&W.link[side], W.now);
            continue;
        }
        struct wframe f = W.q[qi];
        W.q[qi] = W.q[--W.nq];
        assert_int_equal(sami_xfer_link_input(&W.link[f.to], W.now, 0, f.b, f.len), 0);
    }
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

static void test_small_message(void **state)
{
    (void)state;
    world_init(8, 0, 8, BIGMSG);
    uint8_t m[100];
    fill(m, sizeof m, 1);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    assert_int_equal(sami_xfer_link_pending(&W.link[0], 0), 1);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_int_equal(W.got[1][0].len, sizeof m);
    assert_memory_equal(W.got[1][0].data, m, sizeof m);
    assert_int_equal(sami_xfer_link_pending(&W.link[0], 0), 0);
    assert_int_equal(W.data_tx[0], 1);
    assert_int_equal(W.ack_tx[1], 1);
    assert_int_equal(sami_xfer_link_stats(&W.link[0])->msgs_sent, 1);
}

static void run_big(unsigned window)
{
    world_init(window, 1500, 8, BIGMSG);
    static uint8_t m[60000];
    fill(m, sizeof m, 7);
    uint16_t n;
    assert_int_equal(sami_xfer_l2_frag_count(sizeof m, 1500, &n), 0);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(10));
    assert_int_equal(W.ngot[1], 1);
    assert_int_equal(W.got[1][0].len, sizeof m);
    assert_memory_equal(W.got[1][0].data, m, sizeof m);
    assert_int_equal(W.data_tx[0], n); /* no loss: each fragment once */
    assert_int_equal(W.ack_tx[1], n);
}

static void test_fragmentation_stop_and_wait(void **state)
{
    (void)state;
    run_big(1);
    /* stop-and-wait: one round trip per fragment */
    assert_true(W.now >= (sami_usec_t)41 * 200);
}

static void test_fragmentation_window(void **state)
{
    (void)state;
    run_big(16);
    assert_true(W.now < (sami_usec_t)41 * 200 / 4);
}

static void test_small_mtu_fragments(void **state)
{
    (void)state;
    world_init(4, 64, 8, BIGMSG);
    uint8_t m[500];
    fill(m, sizeof m, 3);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_memory_equal(W.got[1][0].data, m, sizeof m);
    assert_int_equal(W.data_tx[0], 10); /* 52 octets per fragment */
}

static void test_duplicate_frames_acked_ignored(void **state)
{
    (void)state;
    world_init(8, 0, 8, BIGMSG);
    W.dup = 1.0; /* every frame arrives twice */
    uint8_t m[3000];
    fill(m, sizeof m, 9);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_memory_equal(W.got[1][0].data, m, sizeof m);
    const struct sami_xfer_link_stats *s = sami_xfer_link_stats(&W.link[1]);
    assert_int_equal(s->dup_rx, 3);
    assert_int_equal(s->acks_tx, 6); /* duplicates are acknowledged again */
    assert_true(sami_xfer_link_stats(&W.link[0])->acks_stale >= 3);
}

static void test_lost_frame_retransmitted(void **state)
{
    (void)state;
    world_init(4, 0, 8, BIGMSG);
    W.drop_next_data[0] = 1;
    uint8_t m[40];
    fill(m, sizeof m, 2);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_int_equal(W.data_tx[0], 2);
    assert_int_equal(sami_xfer_link_stats(&W.link[0])->frames_retx, 1);
    assert_true(W.now >= 1000); /* after one rto */
}

static int on_starting(void *ctx, sami_usec_t now, int peer, void *handle, uint32_t ticket,
                       uint8_t *a, size_t alen, uint8_t *b, size_t blen)
{
    (void)ctx, (void)peer, (void)handle, (void)ticket, (void)b, (void)blen;
    assert_true(W.starts < 8);
    W.start_at[W.starts++] = now;
    assert_true(alen > 0);
    if (!W.rewrite)
        return 0;
    a[0] = (uint8_t)W.starts; /* what a sender refreshing a timestamp does */
    return 1;
}

/* The hook sees a queued message when it really starts (after the one
 * before it was acknowledged), may rewrite it in place, and sees it again
 * on a retransmission with nothing acknowledged: rewritten, it goes under a
 * fresh sequence and the receiver gets the new bytes once. */
static void test_starting_hook_rewrites(void **state)
{
    (void)state;
    world_init(4, 0, 8, BIGMSG);
    W.link[0].cfg.starting = on_starting;
    uint8_t m1[40], m2[40];
    fill(m1, sizeof m1, 1);
    fill(m2, sizeof m2, 2);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m1, sizeof m1), 0);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m2, sizeof m2), 1);
    assert_int_equal(W.starts, 1); /* m2 waits behind m1 */
    assert_true(W.start_at[0] == 0);
    W.rewrite = 1;
    W.drop_next_data[0] = 2; /* m2's first transmission and first resend are lost */
    W.data_tx[0] = 0;
    world_run(SAMI_SEC(1));
    /* m2 started when m1's ACK came back (one round trip), then again at
     * each timeout (rto 1000) */
    assert_int_equal(W.starts, 4);
    assert_true(W.start_at[1] == 2 * W.delay);
    assert_true(W.start_at[2] == W.start_at[1] + 1000);
    assert_true(W.start_at[3] == W.start_at[2] + 1000);
    assert_int_equal(W.ngot[1], 2);
    assert_int_equal(W.got[1][1].data[0], 4); /* the last rewrite */
    assert_memory_equal(W.got[1][1].data + 1, m2 + 1, sizeof m2 - 1);
    /* m2 went three times, rewritten each time, so each under a fresh
     * sequence (a single fragment: from the first timeout on) */
    assert_int_equal(W.data_tx[0], 3);
    assert_true(W.data_seq[0] != W.data_seq[1] && W.data_seq[1] != W.data_seq[2]);
    assert_int_equal(sami_xfer_link_peer_retx(&W.link[0], 0), 2);
    assert_int_equal(sami_xfer_link_peer_retx(&W.link[1], 0), 0);
}

/* Fragment 1 of 3 lost: the message completes one timeout later, but
 * rx_first_at still says when fragment 0 arrived. */
static void test_rx_first_at(void **state)
{
    (void)state;
    world_init(1, 1500, 8, BIGMSG);
    uint8_t m[3000];
    fill(m, sizeof m, 5);
    W.now = 5000;
    assert_int_equal(sami_xfer_link_send(&W.link[0], W.now, 0, m, sizeof m), 0);
    /* stop-and-wait: fragment 0, then fragment 1 (lost) */
    world_run(W.now + W.delay);
    W.drop_next_data[0] = 1;
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_true(W.first_at[1] == 5000 + W.delay);
    assert_true(W.now > 5000 + 1000);
}

static void test_gap_not_acked_go_back(void **state)
{
    (void)state;
    world_init(8, 1500, 8, BIGMSG);
    W.drop_next_data[0] = 1; /* fragment 0 lost: 1..3 arrive out of order */
    uint8_t m[5000];
    fill(m, sizeof m, 4);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 1);
    assert_memory_equal(W.got[1][0].data, m, sizeof m);
    assert_int_equal(sami_xfer_link_stats(&W.link[1])->gap_rx, 3);
    assert_int_equal(W.data_tx[0], 8); /* 4 + the window again */
}

static void test_retries_exhausted_then_next(void **state)
{
    (void)state;
    world_init(4, 0, 3, BIGMSG);
    W.drop_next_data[0] = 4; /* first message: 1 + 3 retries, all lost */
    uint8_t m1[30], m2[31];
    fill(m1, sizeof m1, 5);
    fill(m2, sizeof m2, 6);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m1, sizeof m1), 0);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m2, sizeof m2), 1);
    world_run(SAMI_SEC(1));
    assert_int_equal(W.errors[0], 1);
    assert_int_equal(W.last_err_ticket[0], 0);
    assert_int_equal(W.ngot[1], 1);
    assert_int_equal(W.got[1][0].len, sizeof m2);
    assert_int_equal(sami_xfer_link_stats(&W.link[0])->msgs_failed, 1);
    assert_int_equal(sami_xfer_link_pending(&W.link[0], 0), 0);
}

static void test_lost_acks_duplicates_not_redelivered(void **state)
{
    (void)state;
    world_init(1, 0, 20, BIGMSG);
    W.drop_acks[1] = 1;
    uint8_t m[30];
    fill(m, sizeof m, 8);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof m), 0);
    world_run(SAMI_SEC(2));
    W.drop_acks[1] = 0;
    assert_int_equal(W.ngot[1], 1); /* retransmissions recognised as duplicates */
    assert_true(sami_xfer_link_stats(&W.link[1])->dup_rx >= 5);
}

static void test_queue_full_and_toobig(void **state)
{
    (void)state;
    world_init(4, 0, 8, 1000);
    static uint8_t m[150000];
    fill(m, sizeof m, 1);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, sizeof W.txq[0]),
                     SAMI_ERR_TOOBIG);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, 150000), 0);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, 60000), SAMI_ERR_NOBUFS);
    assert_int_equal(sami_xfer_link_stats(&W.link[0])->queue_full, 1);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 3, m, 10), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_link_send(&W.link[0], 0, 0, m, 0), SAMI_ERR_INVAL);
    /* the receiver's buffer holds 1000 octets: the 150000 octet message is
     * refused there, never acknowledged past its end, and given up */
    world_run(SAMI_SEC(30));
    assert_int_equal(W.ngot[1], 0);
    assert_true(sami_xfer_link_stats(&W.link[1])->toobig_rx >= 1);
    assert_int_equal(W.errors[0], 1);
}

static void test_sequence_wraps_skipping_zero(void **state)
{
    (void)state;
    world_init(1, 0, 8, BIGMSG);
    W.delay = 1;
    uint8_t m[8];
    for (uint32_t i = 0; i < 65540; i++) {
        memcpy(m, &i, sizeof i);
        assert_true(sami_xfer_link_send(&W.link[0], W.now, 0, m, sizeof m) >= 0);
        world_run(W.now + SAMI_SEC(1));
        if (W.ngot[1]) {
            assert_int_equal(W.ngot[1], 1);
            uint32_t v;
            memcpy(&v, W.got[1][0].data, sizeof v);
            assert_int_equal(v, i);
            free(W.got[1][0].data);
            W.ngot[1] = 0;
        } else {
            fail_msg("message %u not delivered", i);
        }
    }
    /* after 65535 sequences the next one is 1 again (never 0) */
    assert_int_equal(W.link[0].peers[0].next_seq, sami_xfer_l2_seq_add(1, 65540));
    assert_int_equal(sami_xfer_link_stats(&W.link[1])->bad_rx, 0);
}

static void test_both_directions_lossy_stress(void **state)
{
    (void)state;
    world_init(8, 1500, 40, BIGMSG);
    W.loss = 0.3;
    W.dup = 0.1;
    W.reorder = 0.1;
    static uint8_t msgs[2][60][9000];
    size_t lens[2][60];
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 60; i++) {
            lens[s][i] = 1 + (size_t)(rnd() % 3200); /* 60 fit the queue */
            fill(msgs[s][i], lens[s][i], (uint32_t)(s * 100 + i));
            assert_true(sami_xfer_link_send(&W.link[s], 0, 0, msgs[s][i], lens[s][i]) >= 0);
        }
    }
    world_run(SAMI_SEC(600));
    for (int s = 0; s < 2; s++) {
        assert_int_equal(W.errors[s], 0);
        assert_int_equal(W.ngot[1 - s], 60);
        for (int i = 0; i < 60; i++) {
            assert_int_equal(W.got[1 - s][i].len, lens[s][i]);
            assert_memory_equal(W.got[1 - s][i].data, msgs[s][i], lens[s][i]);
        }
        assert_int_equal(sami_xfer_link_pending(&W.link[s], 0), 0);
    }
}

static void test_restarted_peer_resyncs(void **state)
{
    (void)state;
    world_init(4, 0, 8, BIGMSG);
    uint8_t m[20];
    for (int i = 0; i < 3; i++) {
        fill(m, sizeof m, (uint32_t)i);
        assert_true(sami_xfer_link_send(&W.link[0], W.now, 0, m, sizeof m) >= 0);
        world_run(W.now + SAMI_SEC(1));
    }
    assert_int_equal(W.ngot[1], 3);
    /* A restarts (sequence back to 1) after the dup hold: B believes it */
    assert_int_equal(sami_xfer_link_peer_reset(&W.link[0], 0), 0);
    W.now += SAMI_SEC(1);
    fill(m, sizeof m, 42);
    assert_int_equal(sami_xfer_link_send(&W.link[0], W.now, 0, m, sizeof m), 0);
    world_run(W.now + SAMI_SEC(1));
    assert_int_equal(W.ngot[1], 4);
    assert_memory_equal(W.got[1][3].data, m, sizeof m);
}

static void test_bad_config_and_input(void **state)
{
    (void)state;
    struct sami_xfer_link l;
    struct sami_xfer_link_peer p[1];
    struct sami_xfer_link_cfg c = {.tx_frame = tx_frame, .deliver = deliver};
    c.window = SAMI_XFER_LINK_WINDOW_MAX + 1;
    assert_int_equal(sami_xfer_link_init(&l, &c, p, 1), SAMI_ERR_INVAL);
    c.window = 0;
    c.mtu = 12;
    assert_int_equal(sami_xfer_link_init(&l, &c, p, 1), SAMI_ERR_INVAL);
    c.mtu = 0;
    c.deliver = NULL;
    assert_int_equal(sami_xfer_link_init(&l, &c, p, 1), SAMI_ERR_INVAL);
    world_init(4, 0, 8, BIGMSG);
    uint8_t junk[46] = {0x53, 0x4d, 0x07};
    assert_int_equal(sami_xfer_link_input(&W.link[1], 0, 0, junk, sizeof junk),
                     SAMI_ERR_VERSION);
    assert_int_equal(sami_xfer_link_input(&W.link[1], 0, 5, junk, sizeof junk),
                     SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_link_stats(&W.link[1])->bad_rx, 1);
    /* table full */
    assert_int_equal(sami_xfer_link_add_peer(&W.link[1], NULL, W.txq[1], 100, W.rxb[1], 100),
                     SAMI_ERR_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_starting_hook_rewrites, world_teardown),
        cmocka_unit_test_teardown(test_rx_first_at, world_teardown),
        cmocka_unit_test_teardown(test_small_message, world_teardown),
        cmocka_unit_test_teardown(test_fragmentation_stop_and_wait, world_teardown),
        cmocka_unit_test_teardown(test_fragmentation_window, world_teardown),
        cmocka_unit_test_teardown(test_small_mtu_fragments, world_teardown),
        cmocka_unit_test_teardown(test_duplicate_frames_acked_ignored, world_teardown),
        cmocka_unit_test_teardown(test_lost_frame_retransmitted, world_teardown),
        cmocka_unit_test_teardown(test_gap_not_acked_go_back, world_teardown),
        cmocka_unit_test_teardown(test_retries_exhausted_then_next, world_teardown),
        cmocka_unit_test_teardown(test_lost_acks_duplicates_not_redelivered, world_teardown),
        cmocka_unit_test_teardown(test_queue_full_and_toobig, world_teardown),
        cmocka_unit_test_teardown(test_sequence_wraps_skipping_zero, world_teardown),
        cmocka_unit_test_teardown(test_both_directions_lossy_stress, world_teardown),
        cmocka_unit_test_teardown(test_restarted_peer_resyncs, world_teardown),
        cmocka_unit_test_teardown(test_bad_config_and_input, world_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
