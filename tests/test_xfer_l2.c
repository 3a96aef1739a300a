/* L2 binding: frame vectors decode to exactly their fields and re-encode to
 * exactly their bytes; every malformed header is refused; fragmentation
 * covers a message exactly; in-order reassembly rejects gaps and
 * inconsistent fragments and never writes past its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sami/xfer.h"
#include "sami/xfer_l2.h"
#include "vectors_xfer.h"

#define NL2 (sizeof sami_vectors_xfer_l2 / sizeof sami_vectors_xfer_l2[0])
#define NX (sizeof sami_vectors_xfer / sizeof sami_vectors_xfer[0])

static size_t vec_in(const struct sami_vector *v, size_t n, const char *name, uint8_t *buf,
                     size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            long len = sami_test_hex(v[i].hex, buf, cap);
            assert_true(len > 0);
            return (size_t)len;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static size_t l2vec(const char *name, uint8_t *buf, size_t cap)
{
    return vec_in(sami_vectors_xfer_l2, NL2, name, buf, cap);
}

struct l2_fields {
    const char *name;
    uint8_t op;
    uint16_t seq, index, count, plen;
    size_t poff; /* payload = xfer-hello[poff, poff + plen) */
};

static const struct l2_fields L2F[] = {
    {"l2-data-0", SAMI_XFER_L2_DATA, 1, 0, 2, 52, 0},
    {"l2-data-1", SAMI_XFER_L2_DATA, 2, 1, 2, 28, 52},
    {"l2-ack", SAMI_XFER_L2_ACK, 2, 1, 2, 0, 0},
};

static void test_vectors_exact(void **state)
{
    (void)state;
    uint8_t hello[256];
    size_t hl = vec_in(sami_vectors_xfer, NX, "xfer-hello", hello, sizeof hello);
    assert_int_equal(hl, 80);
    assert_int_equal(NL2, sizeof L2F / sizeof L2F[0]);
    for (size_t i = 0; i < NL2; i++) {
        const struct l2_fields *x = &L2F[i];
        uint8_t buf[256], out[256];
        size_t len = l2vec(x->name, buf, sizeof buf), olen;
        struct sami_xfer_l2_frame f;
        struct sami_err err;
        assert_int_equal(len, x->plen + 12 < 46 ? 46 : x->plen + 12);
        assert_int_equal(sami_xfer_l2_decode(buf, len, &f, &err), 0);
        assert_int_equal(f.version, 1);
        assert_int_equal(f.op, x->op);
        assert_int_equal(f.seq, x->seq);
        assert_int_equal(f.frag_index, x->index);
        assert_int_equal(f.frag_count, x->count);
        assert_int_equal(f.payload_len, x->plen);
        if (x->plen) {
            assert_ptr_equal(f.payload, buf + 12);
            assert_memory_equal(f.payload, hello + x->poff, x->plen);
        }
        /* fragment range agrees with the payload it carries (MTU 64) */
        if (x->op == SAMI_XFER_L2_DATA) {
            size_t off, flen;
            uint16_t cnt;
            assert_int_equal(sami_xfer_l2_frag_count(hl, 64, &cnt), 0);
            assert_int_equal(cnt, x->count);
            assert_int_equal(sami_xfer_l2_frag_range(hl, 64, x->index, &off, &flen), 0);
            assert_int_equal(off, x->poff);
            assert_int_equal(flen, x->plen);
        }
        assert_int_equal(sami_xfer_l2_encode(&f, NULL, 0, &olen), SAMI_ERR_NOBUFS);
        assert_int_equal(olen, len);
        assert_int_equal(sami_xfer_l2_encode(&f, out, len - 1, &olen), SAMI_ERR_NOBUFS);
        assert_int_equal(olen, len);
        assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &olen), 0);
        assert_int_equal(olen, len);
        assert_memory_equal(out, buf, len);

        /* every cut into header or payload is refused; cuts into padding are fine */
        for (size_t cut = 0; cut < len; cut++) {
            struct sami_xfer_l2_frame g;
            memset(&g, 0x5a, sizeof g);
            int rc = sami_xfer_l2_decode(buf, cut, &g, &err);
            if (cut < 12u + x->plen) {
                assert_true(rc == SAMI_ERR_TRUNCATED || rc == SAMI_ERR_LENGTH);
                assert_int_equal(g.seq, 0x5a5a); /* untouched */
            } else {
                assert_int_equal(rc, 0);
            }
        }
    }
}

static void test_vectors_reassemble_to_hello(void **state)
{
    (void)state;
    uint8_t hello[256], f0[256], f1[256], ack[256], rbuf[128];
    size_t hl = vec_in(sami_vectors_xfer, NX, "xfer-hello", hello, sizeof hello);
    size_t l0 = l2vec("l2-data-0", f0, sizeof f0), l1 = l2vec("l2-data-1", f1, sizeof f1);
    size_t la = l2vec("l2-ack", ack, sizeof ack);
    struct sami_xfer_l2_frame a, b, k;
    struct sami_xfer_l2_reasm ra;
    struct sami_err err;
    const uint8_t *msg;
    size_t mlen;

    assert_int_equal(sami_xfer_l2_decode(f0, l0, &a, &err), 0);
    assert_int_equal(sami_xfer_l2_decode(f1, l1, &b, &err), 0);
    assert_int_equal(sami_xfer_l2_decode(ack, la, &k, &err), 0);
    sami_xfer_l2_reasm_init(&ra, rbuf, sizeof rbuf);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &a, &msg, &mlen), SAMI_XFER_L2_MORE);
    assert_null(msg);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &b, &msg, &mlen), SAMI_XFER_L2_COMPLETE);
    assert_int_equal(mlen, hl);
    assert_memory_equal(msg, hello, hl);
    /* the ACK for the last fragment names its sequence, index and count */
    assert_int_equal(k.seq, b.seq);
    assert_int_equal(k.frag_index, b.frag_index);
    assert_int_equal(k.frag_count, b.frag_count);
    struct sami_xfer_msg m;
    assert_int_equal(sami_xfer_decode(msg, mlen, &m, &err), 0);
    assert_int_equal(m.hdr.type, SAMI_XFER_HELLO);
    /* ACKs are not reassembled */
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &k, &msg, &mlen), SAMI_ERR_INVAL);
    assert_null(msg);
}

static void test_decode_errors(void **state)
{
    (void)state;
    uint8_t good[256], buf[256];
    size_t len = l2vec("l2-data-1", good, sizeof good);
    struct sami_xfer_l2_frame f;
    struct sami_err err;

#define TRY(mutate, want, off)                                                                   \
    do {                                                                                         \
        memcpy(buf, good, len);                                                                  \
        mutate;                                                                                  \
        memset(&f, 0x5a, sizeof f);                                                              \
        assert_int_equal(sami_xfer_l2_decode(buf, len, &f, &err), want);                         \
        assert_int_equal(err.offset, off);                                                       \
        assert_int_equal(f.seq, 0x5a5a);                                                         \
    } while (0)

    TRY(buf[0] = 'X', SAMI_ERR_TYPE, 0);
    TRY(buf[1] = 'm', SAMI_ERR_TYPE, 0);
    TRY(buf[2] = 2, SAMI_ERR_VERSION, 2);
    TRY(buf[2] = 0, SAMI_ERR_VERSION, 2);
    TRY(buf[3] = 0, SAMI_ERR_VALUE, 3);
    TRY(buf[3] = 3, SAMI_ERR_VALUE, 3);
    TRY((buf[4] = 0, buf[5] = 0), SAMI_ERR_VALUE, 4);
    TRY((buf[8] = 0, buf[9] = 0), SAMI_ERR_VALUE, 8);             /* count 0 */
    TRY((buf[6] = 0, buf[7] = 2), SAMI_ERR_VALUE, 6);             /* index == count */
    TRY((buf[6] = 0xff, buf[7] = 0xff), SAMI_ERR_VALUE, 6);       /* index > count */
    TRY((buf[10] = 0, buf[11] = 35), SAMI_ERR_LENGTH, 10);        /* overruns 46 */
    TRY((buf[10] = 0x05, buf[11] = 0xd1), SAMI_ERR_TOOBIG, 10);   /* 1489 */
    TRY((buf[10] = 0, buf[11] = 0), SAMI_ERR_LENGTH, 10);         /* DATA without payload */
    TRY(buf[3] = SAMI_XFER_L2_ACK, SAMI_ERR_LENGTH, 10);          /* ACK with payload */
    TRY(buf[45] = 1, SAMI_ERR_TRAILING, 45);                      /* non-zero padding */
    TRY(buf[40] = 0x80, SAMI_ERR_TRAILING, 40);
#undef TRY

    /* zero bytes beyond the 46-octet minimum are not padding */
    memcpy(buf, good, len);
    buf[len] = 0;
    assert_int_equal(sami_xfer_l2_decode(buf, len + 1, &f, &err), SAMI_ERR_TRAILING);
    /* a full-size frame decodes, exactly */
    uint8_t big[12 + SAMI_XFER_L2_MAX_PAYLOAD];
    struct sami_xfer_l2_frame in = {1, SAMI_XFER_L2_DATA, 65535, 0, 1, SAMI_XFER_L2_MAX_PAYLOAD, big};
    size_t blen;
    memset(big, 0xab, sizeof big);
    uint8_t out[1600];
    assert_int_equal(sami_xfer_l2_encode(&in, out, sizeof out, &blen), 0);
    assert_int_equal(blen, 1500);
    assert_int_equal(sami_xfer_l2_decode(out, blen, &f, &err), 0);
    assert_int_equal(f.payload_len, SAMI_XFER_L2_MAX_PAYLOAD);
    out[blen] = 0;
    assert_int_equal(sami_xfer_l2_decode(out, blen + 1, &f, &err), SAMI_ERR_TRAILING);
    assert_int_equal(sami_xfer_l2_decode(good, len, NULL, &err), SAMI_ERR_INVAL);

    /* l2_read leaves padding to the caller */
    struct sami_rd r;
    sami_rd_init(&r, good, len, &err);
    assert_int_equal(sami_xfer_l2_read(&r, &f), 0);
    assert_int_equal(sami_rd_left(&r), 6);
}

static void test_encode_errors(void **state)
{
    (void)state;
    uint8_t p[4] = {1, 2, 3, 4}, out[64];
    size_t n;
    const struct sami_xfer_l2_frame ok = {1, SAMI_XFER_L2_DATA, 1, 0, 1, 4, p};
    struct sami_xfer_l2_frame f;

    assert_int_equal(sami_xfer_l2_encode(&ok, out, sizeof out, &n), 0);
    assert_int_equal(n, 46);
    f = ok, f.version = 2;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.op = 3;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.seq = 0;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.frag_count = 0;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.frag_index = 1;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.op = SAMI_XFER_L2_ACK;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.payload_len = 0;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.payload_len = SAMI_XFER_L2_MAX_PAYLOAD + 1;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_VALUE);
    f = ok, f.payload = NULL;
    assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &n), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_l2_encode(NULL, out, sizeof out, &n), SAMI_ERR_INVAL);
    struct sami_wr w;
    sami_wr_init(&w, out, sizeof out);
    assert_int_equal(sami_xfer_l2_write(&w, &ok), 0);
    assert_int_equal(w.pos, 16); /* unpadded */
}

static void test_seq_wrap(void **state)
{
    (void)state;
    assert_int_equal(sami_xfer_l2_seq_next(1), 2);
    assert_int_equal(sami_xfer_l2_seq_next(65534), 65535);
    assert_int_equal(sami_xfer_l2_seq_next(65535), 1);
    assert_int_equal(sami_xfer_l2_seq_add(65535, 65535), 65535);
    assert_int_equal(sami_xfer_l2_seq_add(65530, 10), 5);
    assert_int_equal(sami_xfer_l2_seq_add(7, 0), 7);
    assert_int_equal(sami_xfer_l2_seq_add(7, 65535u * 3u + 1u), 8);
}

static void test_fragmentation(void **state)
{
    (void)state;
    uint16_t n;
    size_t off, len;
    assert_int_equal(sami_xfer_l2_frag_count(0, 1500, &n), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_l2_frag_count(10, 12, &n), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_l2_frag_count(1488, 1500, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(sami_xfer_l2_frag_count(1489, 1500, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(sami_xfer_l2_frag_count(1489, 9000, &n), 0); /* capped at 1500 */
    assert_int_equal(n, 2);
    assert_int_equal(sami_xfer_l2_frag_count(65535, 13, &n), 0);
    assert_int_equal(n, 65535);
    assert_int_equal(sami_xfer_l2_frag_count(65536, 13, &n), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_xfer_l2_frag_range(1489, 1500, 1, &off, &len), 0);
    assert_int_equal(off, 1488);
    assert_int_equal(len, 1);
    assert_int_equal(sami_xfer_l2_frag_range(1489, 1500, 2, &off, &len), SAMI_ERR_INVAL);
    /* 16 MiB default maximum message at the standard MTU */
    assert_int_equal(sami_xfer_l2_frag_count(SAMI_XFER_MAX_BODY_DEFAULT + 50, 1500, &n), 0);
    assert_int_equal(n, 11276);

    /* ranges tile the message exactly for assorted lengths and MTUs */
    static const size_t mtus[] = {13, 46, 64, 100, 576, 1500};
    static const size_t lens[] = {1, 50, 80, 1487, 1488, 1489, 5000};
    for (size_t a = 0; a < sizeof mtus / sizeof mtus[0]; a++) {
        for (size_t b = 0; b < sizeof lens / sizeof lens[0]; b++) {
            assert_int_equal(sami_xfer_l2_frag_count(lens[b], mtus[a], &n), 0);
            size_t next = 0;
            for (uint16_t i = 0; i < n; i++) {
                assert_int_equal(sami_xfer_l2_frag_range(lens[b], mtus[a], i, &off, &len), 0);
                assert_int_equal(off, next);
                assert_true(len >= 1 && len <= mtus[a] - 12);
                next += len;
            }
            assert_int_equal(next, lens[b]);
        }
    }
}

/* Fragments msg (MTU mtu) into frames starting at sequence seq0. */
static uint16_t make_frames(const uint8_t *msg, size_t mlen, size_t mtu, uint16_t seq0,
                            struct sami_xfer_l2_frame *f, size_t maxf)
{
    uint16_t n;
    assert_int_equal(sami_xfer_l2_frag_count(mlen, mtu, &n), 0);
    assert_true(n <= maxf);
    for (uint16_t i = 0; i < n; i++) {
        size_t off, len;
        assert_int_equal(sami_xfer_l2_frag_range(mlen, mtu, i, &off, &len), 0);
        f[i].version = 1;
        f[i].op = SAMI_XFER_L2_DATA;
        f[i].seq = sami_xfer_l2_seq_add(seq0, i);
        f[i].frag_index = i;
        f[i].frag_count = n;
        f[i].payload_len = (uint16_t)len;
        f[i].payload = msg + off;
    }
    return n;
}

static void test_reassembly_all_vectors(void **state)
{
    (void)state;
    uint16_t seq = 65530; /* wraps during the run */
    uint8_t rbuf[512];
    struct sami_xfer_l2_reasm ra;
    sami_xfer_l2_reasm_init(&ra, rbuf, sizeof rbuf);
    for (size_t i = 0; i < NX; i++) {
        uint8_t msg[512];
        long ml = sami_test_hex(sami_vectors_xfer[i].hex, msg, sizeof msg);
        assert_true(ml > 0);
        static const size_t mtus[] = {13, 40, 64, 1500};
        for (size_t a = 0; a < 4; a++) {
            struct sami_xfer_l2_frame f[256];
            uint16_t n = make_frames(msg, (size_t)ml, mtus[a], seq, f, 256);
            const uint8_t *out = NULL;
            size_t olen = 0;
            for (uint16_t k = 0; k < n; k++) {
                /* every frame survives its own encode/decode */
                uint8_t fb[1600];
                size_t fl;
                struct sami_xfer_l2_frame g;
                struct sami_err err;
                assert_int_equal(sami_xfer_l2_encode(&f[k], fb, sizeof fb, &fl), 0);
                assert_int_equal(sami_xfer_l2_decode(fb, fl, &g, &err), 0);
                int rc = sami_xfer_l2_reasm_push(&ra, &g, &out, &olen);
                assert_int_equal(rc, k + 1 == n ? SAMI_XFER_L2_COMPLETE : SAMI_XFER_L2_MORE);
                if (k + 1 < n) {
                    /* a retransmission of what we already have */
                    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen),
                                     SAMI_XFER_L2_DUP);
                }
            }
            assert_int_equal(olen, (size_t)ml);
            assert_memory_equal(out, msg, olen);
            /* after completion, its fragments are still recognised */
            assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[n - 1], &out, &olen),
                             SAMI_XFER_L2_DUP);
            assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[0], &out, &olen), SAMI_XFER_L2_DUP);
            seq = sami_xfer_l2_seq_add(seq, n);
        }
    }
}

static void test_reassembly_rejects(void **state)
{
    (void)state;
    uint8_t msg[300];
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (uint8_t)i;
    struct sami_xfer_l2_frame f[8], g;
    uint16_t n = make_frames(msg, sizeof msg, 112, 10, f, 8); /* 100 per fragment */
    assert_int_equal(n, 3);
    struct {
        uint8_t canary_lo[16];
        uint8_t buf[300];
        uint8_t canary_hi[16];
    } s;
    struct sami_xfer_l2_reasm ra;
    const uint8_t *out;
    size_t olen;

    memset(&s, 0xcc, sizeof s);
    sami_xfer_l2_reasm_init(&ra, s.buf, sizeof s.buf);

    /* gap while idle, then gap mid-message */
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[1], &out, &olen), SAMI_ERR_ORDER);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[0], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[2], &out, &olen), SAMI_ERR_ORDER);
    /* different count mid-message */
    g = f[1], g.frag_count = 4;
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen), SAMI_ERR_VALUE);
    /* sequence that does not match first + index */
    g = f[1], g.seq = 99;
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen), SAMI_ERR_VALUE);
    /* fragment 0 again with another count */
    g = f[0], g.frag_count = 5;
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen), SAMI_ERR_VALUE);
    /* malformed frames that did not come through decode */
    g = f[1], g.frag_index = 3;
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen), SAMI_ERR_VALUE);
    g = f[1], g.payload_len = 0;
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen), SAMI_ERR_VALUE);
    /* state kept: the message still completes */
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[1], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[2], &out, &olen), SAMI_XFER_L2_COMPLETE);
    assert_int_equal(olen, 300);
    assert_memory_equal(out, msg, 300);

    /* the sender abandons a message: a new fragment 0 restarts */
    struct sami_xfer_l2_frame h[8];
    uint16_t hn = make_frames(msg, 150, 112, 20, h, 8);
    assert_int_equal(hn, 2);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &f[0], &out, &olen), SAMI_XFER_L2_DUP);
    struct sami_xfer_l2_frame k[8];
    make_frames(msg, sizeof msg, 112, 13, k, 8);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &k[0], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &h[0], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &k[1], &out, &olen), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_l2_reasm_push(&ra, &h[1], &out, &olen), SAMI_XFER_L2_COMPLETE);
    assert_int_equal(olen, 150);

    /* a message larger than the buffer: TOOBIG, reset, nothing outside */
    struct sami_xfer_l2_reasm small;
    uint8_t big[400];
    memset(big, 0xee, sizeof big);
    struct sami_xfer_l2_frame b[8];
    uint16_t bn = make_frames(big, sizeof big, 112, 40, b, 8);
    assert_int_equal(bn, 4);
    sami_xfer_l2_reasm_init(&small, s.buf, sizeof s.buf);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, &b[0], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, &b[1], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, &b[2], &out, &olen), SAMI_XFER_L2_MORE);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, &b[3], &out, &olen), SAMI_ERR_TOOBIG);
    assert_int_equal(small.count, 0);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, &b[3], &out, &olen), SAMI_ERR_ORDER);
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(s.canary_lo[i], 0xcc);
        assert_int_equal(s.canary_hi[i], 0xcc);
    }

    /* misuse */
    struct sami_xfer_l2_reasm none;
    sami_xfer_l2_reasm_init(&none, NULL, 100);
    assert_int_equal(sami_xfer_l2_reasm_push(&none, &f[0], &out, &olen), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_l2_reasm_push(&small, NULL, &out, &olen), SAMI_ERR_INVAL);
    sami_xfer_l2_reasm_reset(&small);
    assert_int_equal(small.have, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_exact),
        cmocka_unit_test(test_vectors_reassemble_to_hello),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_encode_errors),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_fragmentation),
        cmocka_unit_test(test_reassembly_all_vectors),
        cmocka_unit_test(test_reassembly_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
