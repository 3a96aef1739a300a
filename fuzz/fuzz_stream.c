/* libFuzzer harness: the TCP stream deframer (u32 length prefix + message).
 *
 * Input: octet 0 picks the buffer size (64 << (b & 7)), whether a lower
 * message limit is set (bit 3) and the largest chunk (b >> 4); octets 1..4
 * seed the chunk sizes; the rest is the byte stream. The stream is pushed in
 * pseudo-random chunks and the result must equal a reference parse of the
 * whole stream at once: same messages, same final error, whatever the
 * chunking. Each message is decoded as a transfer message too. */
#include "checks.h"
#include "common.h"

#define FZ_STREAM_CAP_MAX 8192u

static uint32_t rd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[FZ_STREAM_CAP_MAX];
    struct sami_xfer_deframer d;

    if (size < 5)
        return 0;
    size_t cap = (size_t)64 << (data[0] & 7);
    size_t max = (data[0] & 8) ? SAMI_XFER_OVERHEAD + (cap - SAMI_XFER_OVERHEAD) / 2 : 0;
    size_t chunk_max = 1 + (size_t)(data[0] >> 4) * 37;
    uint32_t seed = rd_be32(data + 1);
    const uint8_t *s = data + 5;
    size_t n = size - 5;
    size_t lim = max ? max : cap;

    FUZZ_CHECK(sami_xfer_deframer_init(&d, buf, cap, max) == 0);

    /* reference: the whole stream parsed in one go */
    size_t nref = 0, rp = 0;
    int ref_err = 0;
    size_t *ref_off = malloc((n / SAMI_XFER_OVERHEAD + 1) * sizeof *ref_off);
    FUZZ_CHECK(ref_off != NULL);
    while (n - rp >= SAMI_XFER_STREAM_PREFIX_LEN) {
        uint32_t v = rd_be32(s + rp);
        if (v < SAMI_XFER_OVERHEAD) {
            ref_err = SAMI_ERR_LENGTH;
            break;
        }
        if (v > lim) {
            ref_err = SAMI_ERR_TOOBIG;
            break;
        }
        if (n - rp - SAMI_XFER_STREAM_PREFIX_LEN < v)
            break;
        ref_off[nref++] = rp;
        rp += SAMI_XFER_STREAM_PREFIX_LEN + v;
    }

    /* the deframer, fed in chunks */
    size_t pos = 0, got = 0;
    int final = 0;
    while (pos < n && final == 0) {
        size_t c = 1 + fz_rand(&seed) % chunk_max;
        if (c > n - pos)
            c = n - pos;
        while (c > 0) {
            const uint8_t *msg = NULL;
            size_t used = 0, mlen = 0;
            int rc = sami_xfer_deframer_push(&d, s + pos, c, &used, &msg, &mlen);
            FUZZ_CHECK(used <= c);
            pos += used;
            c -= used;
            if (rc < 0) {
                final = rc;
                break;
            }
            if (rc == 0) {
                FUZZ_CHECK(c == 0 && msg == NULL);
                break;
            }
            FUZZ_CHECK(rc == 1 && used > 0 && got < nref);
            uint32_t v = rd_be32(s + ref_off[got]);
            FUZZ_CHECK(mlen == v && msg == buf);
            FUZZ_CHECK(memcmp(msg, s + ref_off[got] + SAMI_XFER_STREAM_PREFIX_LEN, v) == 0);
            /* the prefix helpers agree with the framing */
            uint8_t pre[SAMI_XFER_STREAM_PREFIX_LEN];
            size_t back = 0;
            FUZZ_CHECK(sami_xfer_stream_prefix(mlen, pre) == 0);
            FUZZ_CHECK(memcmp(pre, s + ref_off[got], sizeof pre) == 0);
            FUZZ_CHECK(sami_xfer_stream_frame_len(pre, lim, &back) == 0 && back == mlen);
            fz_check_xfer(msg, mlen, 0);
            got++;
        }
    }
    FUZZ_CHECK(got == nref && final == ref_err);
    if (final) {
        /* a bad stream stays bad */
        const uint8_t *msg = NULL;
        size_t used = 1, mlen = 0;
        FUZZ_CHECK(sami_xfer_deframer_push(&d, s, n, &used, &msg, &mlen) == final && used == 0);
    }
    free(ref_off);
    return 0;
}
