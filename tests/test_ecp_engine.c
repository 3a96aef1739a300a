/* ECP engine: sequence numbers, stop-and-wait timing, retries and the error
 * report, duplicate suppression, frame sizes, queue limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "sami/ecp_engine.h"
#include "sami/evb.h"

#define MAXF 64

struct rec {
    uint8_t f[SAMI_ECP_ENGINE_MAX_FRAME];
    size_t len;
};

struct h {
    struct sami_ecp_engine e;
    struct sami_ecp_slot slots[8];
    struct rec tx[MAXF];
    size_t ntx;
    /* deliveries */
    size_t ndel;
    uint8_t del[8][64];
    size_t dellen[8];
    uint16_t delsub;
    uint8_t delsrc[6];
    /* results */
    uint32_t acked[16];
    size_t nacked;
    uint32_t err_tok[16];
    int err_code[16];
    sami_usec_t err_at[16];
    size_t nerr;
    /* reentrancy: send a reply from deliver */
    int reply_on_deliver;
};

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t GROUP[6] = {0x01, 0x80, 0xc2, 0, 0, 0};

static void h_tx(void *ctx, const uint8_t *frame, size_t len)
{
    struct h *h = ctx;
    assert_true(h->ntx < MAXF);
    assert_true(len <= sizeof h->tx[0].f);
    memcpy(h->tx[h->ntx].f, frame, len);
    h->tx[h->ntx].len = len;
    h->ntx++;
}

static void h_deliver(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                      const uint8_t *ulpdu, size_t len)
{
    struct h *h = ctx;
    assert_true(h->ndel < 8);
    h->delsub = subtype;
    memcpy(h->delsrc, src, 6);
    size_t n = len < 64 ? len : 64;
    memcpy(h->del[h->ndel], ulpdu, n);
    h->dellen[h->ndel] = len;
    h->ndel++;
    if (h->reply_on_deliver) {
        const uint8_t r[] = {0xaa, 0xbb};
        assert_int_equal(sami_ecp_engine_send(&h->e, now, r, sizeof r, NULL), 0);
    }
}

static void h_acked(void *ctx, sami_usec_t now, uint32_t token)
{
    struct h *h = ctx;
    (void)now;
    h->acked[h->nacked++ % 16] = token;
}

static void h_error(void *ctx, sami_usec_t now, uint32_t token, int code)
{
    struct h *h = ctx;
    size_t i = h->nerr++ % 16;
    h->err_tok[i] = token;
    h->err_code[i] = code;
    h->err_at[i] = now;
}

static void setup_h(struct h *h, uint8_t r, uint8_t rte, size_t nslots)
{
    memset(h, 0, sizeof *h);
    struct sami_ecp_engine_config cfg;
    sami_ecp_engine_config_default(&cfg);
    memcpy(cfg.mac, MAC_A, 6);
    cfg.r = r;
    cfg.rte = rte;
    struct sami_ecp_engine_callbacks cb = {h_tx, h_deliver, h_acked, h_error, h};
    assert_int_equal(sami_ecp_engine_init(&h->e, &cfg, &cb, h->slots, nslots), 0);
}

static uint16_t seq_of(const struct rec *r)
{
    return (uint16_t)(r->f[16] << 8 | r->f[17]);
}

/* A frame from the peer (MAC_B) to us: op 0 request with payload, 1 ack. */
static size_t peer_frame(uint8_t *buf, int op, uint16_t subtype, uint16_t seq,
                         const uint8_t *payload, size_t plen)
{
    memcpy(buf, GROUP, 6);
    memcpy(buf + 6, MAC_B, 6);
    buf[12] = 0x89;
    buf[13] = 0x40;
    buf[14] = (uint8_t)(0x10 | op << 2 | (subtype >> 8 & 3));
    buf[15] = (uint8_t)subtype;
    buf[16] = (uint8_t)(seq >> 8);
    buf[17] = (uint8_t)seq;
    if (plen)
        memcpy(buf + 18, payload, plen);
    size_t len = 18 + plen;
    if (op == 0 && len < 60) {
        memset(buf + len, 0, 60 - len);
        len = 60;
    }
    return len;
}

static void ack(struct h *h, sami_usec_t now, uint16_t seq)
{
    uint8_t f[64];
    size_t n = peer_frame(f, 1, 1, seq, NULL, 0);
    assert_int_equal(sami_ecp_engine_input(&h->e, now, f, n), 0);
}

static void test_request_frame_and_first_seq(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    const uint8_t pdu[] = {0x0a, 0x10, 1, 2, 3};
    uint32_t tok = 0;
    assert_int_equal(sami_ecp_engine_send(&h.e, 100, pdu, sizeof pdu, &tok), 0);
    assert_int_equal(tok, 1);
    assert_int_equal(h.ntx, 1);
    const struct rec *r = &h.tx[0];
    assert_int_equal(r->len, 60); /* padded */
    assert_memory_equal(r->f, GROUP, 6);
    assert_memory_equal(r->f + 6, MAC_A, 6);
    assert_int_equal(r->f[12], 0x89);
    assert_int_equal(r->f[13], 0x40);
    const uint8_t hdr[] = {0x10, 0x01, 0x00, 0x01}; /* lldpad's first request */
    assert_memory_equal(r->f + 14, hdr, 4);
    assert_memory_equal(r->f + 18, pdu, sizeof pdu);
    for (size_t i = 18 + sizeof pdu; i < 60; i++)
        assert_int_equal(r->f[i], 0);
    assert_int_equal(sami_ecp_engine_next_deadline(&h.e), 100 + 2560);

    ack(&h, 200, 1);
    assert_int_equal(h.nacked, 1);
    assert_int_equal(h.acked[0], tok);
    assert_int_equal(sami_ecp_engine_next_deadline(&h.e), SAMI_NO_DEADLINE);
    assert_int_equal(sami_ecp_engine_send(&h.e, 300, pdu, sizeof pdu, &tok), 0);
    assert_int_equal(seq_of(&h.tx[1]), 2);
    assert_int_equal(h.e.stats.tx_requests, 2);
    assert_int_equal(h.e.stats.acked, 1);
}

static void test_large_request_unpadded(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t pdu[100];
    memset(pdu, 0x5a, sizeof pdu);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, sizeof pdu, NULL), 0);
    assert_int_equal(h.tx[0].len, 118);
    uint8_t big[SAMI_ECP_ENGINE_MAX_ULPDU + 1];
    memset(big, 1, sizeof big);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, big, sizeof big, NULL), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, big, SAMI_ECP_ENGINE_MAX_ULPDU, NULL), 0);
    ack(&h, 1, 1);
    assert_int_equal(h.tx[1].len, SAMI_ECP_ENGINE_MAX_FRAME);
}

static void test_sequence_wraps_skipping_zero(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 2);
    const uint8_t pdu[] = {1};
    for (uint32_t i = 1; i <= 0xffff; i++) {
        h.ntx = 0;
        assert_int_equal(sami_ecp_engine_send(&h.e, i, pdu, 1, NULL), 0);
        assert_int_equal(seq_of(&h.tx[0]), i);
        ack(&h, i, (uint16_t)i);
    }
    h.ntx = 0;
    assert_int_equal(sami_ecp_engine_send(&h.e, 0x10000, pdu, 1, NULL), 0);
    assert_int_equal(seq_of(&h.tx[0]), 1); /* 0xffff -> 1, never 0 */
    assert_int_equal(h.e.stats.acked, 0xffff);
}

/* initial_seq: the first request carries it, the next ones count up from
 * it and wrap 65535 -> 1; 0 keeps lldpad's 1; a retransmission keeps its
 * number. */
static void setup_seq(struct h *h, uint16_t initial)
{
    memset(h, 0, sizeof *h);
    struct sami_ecp_engine_config cfg;
    sami_ecp_engine_config_default(&cfg);
    assert_int_equal(cfg.initial_seq, 0);
    memcpy(cfg.mac, MAC_A, 6);
    cfg.r = 3;
    cfg.rte = 8;
    cfg.initial_seq = initial;
    struct sami_ecp_engine_callbacks cb = {h_tx, h_deliver, h_acked, h_error, h};
    assert_int_equal(sami_ecp_engine_init(&h->e, &cfg, &cb, h->slots, 4), 0);
}

static void test_initial_seq(void **state)
{
    (void)state;
    struct h h;
    const uint8_t pdu[] = {1, 2};

    setup_seq(&h, 0);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, 2, NULL), 0);
    assert_int_equal(seq_of(&h.tx[0]), 1);

    setup_seq(&h, 0x1234);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, 2, NULL), 0);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, 2, NULL), 0);
    assert_int_equal(h.ntx, 1); /* stop-and-wait: the second one waits */
    assert_int_equal(seq_of(&h.tx[0]), 0x1234);
    sami_ecp_engine_run(&h.e, sami_ecp_engine_next_deadline(&h.e));
    assert_int_equal(h.ntx, 2);
    assert_int_equal(seq_of(&h.tx[1]), 0x1234); /* retransmission: same number */
    ack(&h, 10000, 0x1235); /* not the one in flight: ignored */
    assert_int_equal(h.nacked, 0);
    ack(&h, 10000, 0x1234);
    assert_int_equal(h.nacked, 1);
    assert_int_equal(h.ntx, 3);
    assert_int_equal(seq_of(&h.tx[2]), 0x1235);

    /* the last number: the next one skips 0 */
    setup_seq(&h, 0xffff);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, 2, NULL), 0);
    assert_int_equal(seq_of(&h.tx[0]), 0xffff);
    ack(&h, 1, 0xffff);
    assert_int_equal(sami_ecp_engine_send(&h.e, 2, pdu, 2, NULL), 0);
    assert_int_equal(seq_of(&h.tx[1]), 1);

    setup_seq(&h, 1);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, pdu, 2, NULL), 0);
    assert_int_equal(seq_of(&h.tx[0]), 1);
}

static void check_timing(uint8_t rte)
{
    struct h h;
    setup_h(&h, 3, rte, 4);
    sami_usec_t ackt = (sami_usec_t)10 << rte;
    assert_int_equal(sami_ecp_engine_ack_time(&h.e), ackt);
    const uint8_t pdu[] = {7, 7};
    sami_usec_t t0 = 5000;
    assert_int_equal(sami_ecp_engine_send(&h.e, t0, pdu, 2, NULL), 0);
    for (int k = 1; k <= 3; k++) {
        sami_usec_t due = t0 + (sami_usec_t)k * ackt;
        assert_int_equal(sami_ecp_engine_next_deadline(&h.e), due);
        sami_ecp_engine_run(&h.e, due - 1);
        assert_int_equal(h.ntx, (size_t)k); /* not a microsecond early */
        sami_ecp_engine_run(&h.e, due);
        assert_int_equal(h.ntx, (size_t)k + 1);
        /* a retransmission is the same frame, same sequence */
        assert_int_equal(h.tx[k].len, h.tx[0].len);
        assert_memory_equal(h.tx[k].f, h.tx[0].f, h.tx[0].len);
    }
    assert_int_equal(h.e.stats.retries, 3);
    assert_int_equal(h.nerr, 0);
}

static void test_retransmit_timing_exact(void **state)
{
    (void)state;
    check_timing(0);  /* 10 us */
    check_timing(4);  /* 160 us */
    check_timing(8);  /* 2.56 ms, the default */
    check_timing(14); /* 163.84 ms */
}

static void test_retries_then_error_callback(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    const uint8_t a[] = {0xa}, b[] = {0xb};
    uint32_t ta = 0, tb = 0;
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, a, 1, &ta), 0);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, b, 1, &tb), 0);
    assert_int_equal(h.ntx, 1); /* stop-and-wait: b waits */
    sami_usec_t t = 0;
    while (h.nerr == 0) {
        t = sami_ecp_engine_next_deadline(&h.e);
        sami_ecp_engine_run(&h.e, t);
    }
    /* 1 + R transmissions of a, error after (R + 1) ackTimes */
    assert_int_equal(t, 4 * 2560);
    assert_int_equal(h.err_tok[0], ta);
    assert_int_equal(h.err_code[0], SAMI_ERR_RETRIES);
    assert_int_equal(h.e.stats.errors, 1);
    assert_int_equal(h.e.stats.retries, 3);
    for (int i = 0; i < 4; i++)
        assert_int_equal(seq_of(&h.tx[i]), 1);
    /* b goes out at once with the next number */
    assert_int_equal(h.ntx, 5);
    assert_int_equal(seq_of(&h.tx[4]), 2);
    assert_int_equal(h.tx[4].f[18], 0xb);
    assert_int_equal(sami_ecp_engine_next_deadline(&h.e), t + 2560);
    /* an ack for the dropped number does nothing */
    ack(&h, t + 1, 1);
    assert_int_equal(h.e.stats.stale_acks, 1);
    ack(&h, t + 2, 2);
    assert_int_equal(h.nacked, 1);
    assert_int_equal(h.acked[0], tb);
}

static void test_r_zero_gives_up_after_one_timer(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 0, 2, 4);
    assert_int_equal(sami_ecp_engine_send(&h.e, 10, (const uint8_t[]){1}, 1, NULL), 0);
    sami_ecp_engine_run(&h.e, 50);
    assert_int_equal(h.nerr, 1);
    assert_int_equal(h.err_at[0], 50);
    assert_int_equal(h.ntx, 1);
}

static void test_ack_frame_and_duplicate_delivered_once(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t f[64];
    const uint8_t pl[] = {0x0a, 0x10, 0x42};
    size_t n = peer_frame(f, 0, 1, 5, pl, sizeof pl);
    assert_int_equal(sami_ecp_engine_input(&h.e, 1000, f, n), 0);
    assert_int_equal(h.ndel, 1);
    assert_int_equal(h.dellen[0], 60 - 18); /* the view runs to the end of the frame */
    assert_memory_equal(h.del[0], pl, sizeof pl);
    assert_memory_equal(h.delsrc, MAC_B, 6);
    assert_int_equal(h.ntx, 1);
    /* the ack: 18 octets, unpadded, back to the sender */
    const struct rec *a = &h.tx[0];
    assert_int_equal(a->len, 18);
    assert_memory_equal(a->f, MAC_B, 6);
    assert_memory_equal(a->f + 6, MAC_A, 6);
    const uint8_t ah[] = {0x89, 0x40, 0x14, 0x01, 0x00, 0x05};
    assert_memory_equal(a->f + 12, ah, sizeof ah);

    /* the same request again (our ack was lost): acked again, not delivered */
    assert_int_equal(sami_ecp_engine_input(&h.e, 3560, f, n), 0);
    assert_int_equal(h.ndel, 1);
    assert_int_equal(h.ntx, 2);
    assert_memory_equal(h.tx[1].f, h.tx[0].f, 18);
    assert_int_equal(h.e.stats.duplicates, 1);
    assert_int_equal(h.e.stats.rx_requests, 2);
    assert_int_equal(h.e.stats.tx_acks, 2);

    /* the next number is new */
    n = peer_frame(f, 0, 1, 6, pl, sizeof pl);
    assert_int_equal(sami_ecp_engine_input(&h.e, 4000, f, n), 0);
    assert_int_equal(h.ndel, 2);
}

static void test_first_request_any_number(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t f[64];
    size_t n = peer_frame(f, 0, 1, 0x1234, (const uint8_t[]){9}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, n), 0);
    assert_int_equal(h.ndel, 1);
    /* 0 is accepted on receive (lldpad never sends it, the decoder allows it) */
    n = peer_frame(f, 0, 1, 0, (const uint8_t[]){9}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 1, f, n), 0);
    assert_int_equal(h.ndel, 2);
}

static void test_stale_copy_after_newer_not_delivered(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t f5[64], f6[64];
    size_t n5 = peer_frame(f5, 0, 1, 5, (const uint8_t[]){5}, 1);
    size_t n6 = peer_frame(f6, 0, 1, 6, (const uint8_t[]){6}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f5, n5), 0);
    assert_int_equal(sami_ecp_engine_input(&h.e, 100, f6, n6), 0);
    /* a reordered copy of 5 arrives after 6: lldpad would deliver it again */
    assert_int_equal(sami_ecp_engine_input(&h.e, 200, f5, n5), 0);
    assert_int_equal(h.ndel, 2);
    assert_int_equal(h.e.stats.duplicates, 1);
    assert_int_equal(h.ntx, 3); /* every copy acked */
    /* window: max(2 * (R + 1) * ackTime, 1 s) = 1 s here */
    assert_int_equal(sami_ecp_engine_dup_window(&h.e), SAMI_SEC(1));
    /* after the window a 5 is a restarted peer's: new */
    assert_int_equal(sami_ecp_engine_input(&h.e, SAMI_SEC(1) + 1, f5, n5), 0);
    assert_int_equal(h.ndel, 3);
    assert_int_equal(h.del[2][0], 5);
}

static void test_peer_reset_restarted_station(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t f[64];
    size_t n = peer_frame(f, 0, 1, 1, (const uint8_t[]){1}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, n), 0);
    /* the peer restarts and sends its new sequence 1 at once: without
     * knowledge of the restart it is a duplicate (the standard's rule) */
    assert_int_equal(sami_ecp_engine_input(&h.e, 10, f, n), 0);
    assert_int_equal(h.ndel, 1);
    sami_ecp_engine_peer_reset(&h.e);
    assert_int_equal(sami_ecp_engine_input(&h.e, 20, f, n), 0);
    assert_int_equal(h.ndel, 2);
}

static void test_dup_window_configurable_and_derived(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 7, 14, 4); /* 2 * 8 * 163.84 ms = 2.62 s > 1 s */
    assert_int_equal(sami_ecp_engine_dup_window(&h.e), 2u * 8u * 163840u);
    h.e.cfg.dup_window_us = 500;
    uint8_t f[64];
    size_t n = peer_frame(f, 0, 1, 9, (const uint8_t[]){1}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, n), 0);
    assert_int_equal(sami_ecp_engine_input(&h.e, 500, f, n), 0);
    assert_int_equal(h.ndel, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 1001, f, n), 0);
    assert_int_equal(h.ndel, 2);
}

static void test_queue_limit(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 3);
    const uint8_t p[] = {1};
    uint32_t t[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(sami_ecp_engine_send(&h.e, 0, p, 1, &t[i]), 0);
    assert_int_equal(sami_ecp_engine_queued(&h.e), 3);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, p, 1, NULL), SAMI_ERR_LIMIT);
    assert_int_equal(h.e.stats.queue_full, 1);
    ack(&h, 1, 1);
    assert_int_equal(sami_ecp_engine_queued(&h.e), 2);
    assert_int_equal(sami_ecp_engine_send(&h.e, 2, p, 1, NULL), 0);
    /* the queue drains in order, one at a time */
    ack(&h, 3, 2);
    ack(&h, 4, 3);
    ack(&h, 5, 4);
    assert_int_equal(h.nacked, 4);
    assert_int_equal(h.acked[1], t[1]);
    assert_int_equal(h.acked[2], t[2]);
    assert_int_equal(h.ntx, 4);
    assert_int_equal(sami_ecp_engine_queued(&h.e), 0);
}

static void test_bad_frames_counted_not_acked(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    uint8_t f[64];
    size_t n = peer_frame(f, 0, 1, 1, (const uint8_t[]){1}, 1);
    uint8_t g[64];
    memcpy(g, f, n);
    g[13] = 0x41; /* ethertype */
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, g, n), SAMI_ERR_TYPE);
    memcpy(g, f, n);
    g[14] = 0x20 | 0x01 >> 8; /* version 2 */
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, g, n), SAMI_ERR_VERSION);
    memcpy(g, f, n);
    g[14] = 0x1c; /* op 3 */
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, g, n), SAMI_ERR_VALUE);
    n = peer_frame(g, 0, 2, 1, (const uint8_t[]){1}, 1); /* PE CSP */
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, g, n), SAMI_ERR_UNSUPPORTED);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, 16), SAMI_ERR_TRUNCATED);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, 10), SAMI_ERR_TRUNCATED);
    assert_int_equal(h.e.stats.bad_frames, 6);
    assert_int_equal(h.ntx, 0);
    assert_int_equal(h.ndel, 0);
}

static void test_set_params_and_negotiation(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    struct sami_evb local = {0}, remote = {0}, n;
    local.r = 3;
    local.rte = 8;
    remote.r = 1;
    remote.rte = 10;
    assert_int_equal(sami_evb_negotiate(&local, &remote, &n), 0);
    assert_int_equal(sami_ecp_engine_set_params(&h.e, n.r, n.rte), 0);
    assert_int_equal(sami_ecp_engine_ack_time(&h.e), 10240);
    assert_int_equal(sami_ecp_engine_send(&h.e, 0, (const uint8_t[]){1}, 1, NULL), 0);
    assert_int_equal(sami_ecp_engine_next_deadline(&h.e), 10240);
    /* R = max(3, 1) = 3: four transmissions */
    while (h.nerr == 0)
        sami_ecp_engine_run(&h.e, sami_ecp_engine_next_deadline(&h.e));
    assert_int_equal(h.ntx, 4);
    assert_int_equal(sami_ecp_engine_set_params(&h.e, 8, 1), SAMI_ERR_VALUE);
    assert_int_equal(sami_ecp_engine_set_params(&h.e, 1, 32), SAMI_ERR_VALUE);
}

static void test_flush_reports_aborted(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sami_ecp_engine_send(&h.e, 0, (const uint8_t[]){1}, 1, NULL), 0);
    sami_ecp_engine_flush(&h.e, 5);
    assert_int_equal(h.nerr, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(h.err_code[i], SAMI_ERR_ABORTED);
    assert_int_equal(h.e.stats.aborted, 3);
    assert_int_equal(sami_ecp_engine_next_deadline(&h.e), SAMI_NO_DEADLINE);
    assert_int_equal(sami_ecp_engine_send(&h.e, 6, (const uint8_t[]){1}, 1, NULL), 0);
    assert_int_equal(seq_of(&h.tx[h.ntx - 1]), 2); /* numbering carries on */
}

static void test_reply_from_deliver_follows_ack(void **state)
{
    (void)state;
    struct h h;
    setup_h(&h, 3, 8, 4);
    h.reply_on_deliver = 1;
    uint8_t f[64];
    size_t n = peer_frame(f, 0, 1, 3, (const uint8_t[]){1}, 1);
    assert_int_equal(sami_ecp_engine_input(&h.e, 0, f, n), 0);
    assert_int_equal(h.ntx, 2);
    assert_int_equal(h.tx[0].len, 18);    /* ack first */
    assert_int_equal(h.tx[1].f[14], 0x10); /* then our request */
    assert_int_equal(seq_of(&h.tx[1]), 1);
}

static void test_init_rejects_bad_arguments(void **state)
{
    (void)state;
    struct sami_ecp_engine e;
    struct sami_ecp_slot s[1];
    struct sami_ecp_engine_config cfg;
    sami_ecp_engine_config_default(&cfg);
    struct sami_ecp_engine_callbacks cb = {0};
    assert_int_equal(sami_ecp_engine_init(&e, &cfg, &cb, s, 1), SAMI_ERR_INVAL);
    cb.tx = h_tx;
    assert_int_equal(sami_ecp_engine_init(&e, &cfg, &cb, s, 0), SAMI_ERR_INVAL);
    cfg.r = 8;
    assert_int_equal(sami_ecp_engine_init(&e, &cfg, &cb, s, 1), SAMI_ERR_VALUE);
    sami_ecp_engine_config_default(&cfg);
    assert_int_equal(cfg.r, 3);
    assert_int_equal(cfg.rte, 8);
    assert_memory_equal(cfg.dst, GROUP, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_frame_and_first_seq),
        cmocka_unit_test(test_large_request_unpadded),
        cmocka_unit_test(test_sequence_wraps_skipping_zero),
        cmocka_unit_test(test_initial_seq),
        cmocka_unit_test(test_retransmit_timing_exact),
        cmocka_unit_test(test_retries_then_error_callback),
        cmocka_unit_test(test_r_zero_gives_up_after_one_timer),
        cmocka_unit_test(test_ack_frame_and_duplicate_delivered_once),
        cmocka_unit_test(test_first_request_any_number),
        cmocka_unit_test(test_stale_copy_after_newer_not_delivered),
        cmocka_unit_test(test_peer_reset_restarted_station),
        cmocka_unit_test(test_dup_window_configurable_and_derived),
        cmocka_unit_test(test_queue_limit),
        cmocka_unit_test(test_bad_frames_counted_not_acked),
        cmocka_unit_test(test_set_params_and_negotiation),
        cmocka_unit_test(test_flush_reports_aborted),
        cmocka_unit_test(test_reply_from_deliver_follows_ack),
        cmocka_unit_test(test_init_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
