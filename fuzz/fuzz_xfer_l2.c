/* libFuzzer harness: transfer L2 binding (ethertype 0x88B5) frames fed to
 * the in-order reassembler.
 *
 * Input: octet 0 picks the reassembly buffer size (64 << (b & 7)) and the
 * MTU for a re-fragmentation check (b >> 3); octet 1 trims up to 63 octets
 * off the buffer (so messages of exactly the buffer size, or one over, are
 * within reach, not only powers of two); then frames, each a 2-octet
 * big-endian length (low 11 bits) and that many octets (the rest of the input
 * when it overruns). Every frame is decoded and re-encoded; DATA frames go to
 * the reassembler, whose output is checked against a shadow copy of the
 * payloads it accepted, decoded as a transfer message, cut again with
 * sami_xfer_l2_frag_* and reassembled once more. */
#include "checks.h"
#include "common.h"
#include "sami/xfer_l2.h"

#define FZ_L2_CAP_MAX 8192u
#define FZ_L2_ENC_MAX (SAMI_XFER_L2_HDR_LEN + SAMI_XFER_L2_MAX_PAYLOAD)

static int check_frame(const uint8_t *f, size_t n, struct sami_xfer_l2_frame *out)
{
    struct sami_xfer_l2_frame g;
    struct sami_err err;
    struct sami_rd r;
    uint8_t enc[FZ_L2_ENC_MAX];
    size_t elen = 0;

    fz_err_reset(&err);
    int rc = sami_xfer_l2_decode(f, n, out, &err);
    fz_check_err(rc, &err, n, "sami_xfer_l2_decode");
    /* the reader form sees the same frame (it leaves padding to the caller) */
    fz_err_reset(&err);
    sami_rd_init(&r, f, n, &err);
    int rrc = sami_xfer_l2_read(&r, &g);
    fz_check_err(rrc, &err, n, "sami_xfer_l2_read");
    if (rc)
        return 0;
    FUZZ_CHECK(rrc == 0 && g.seq == out->seq && g.payload_len == out->payload_len);
    FUZZ_CHECK(out->version == SAMI_XFER_L2_VERSION && out->seq != 0);
    FUZZ_CHECK(out->frag_count >= 1 && out->frag_index < out->frag_count);
    FUZZ_CHECK(out->payload_len <= SAMI_XFER_L2_MAX_PAYLOAD);
    FUZZ_CHECK((out->op == SAMI_XFER_L2_ACK) == (out->payload_len == 0));
    FUZZ_CHECK(out->payload_len == 0 || out->payload == f + SAMI_XFER_L2_HDR_LEN);

    /* re-encode: header + payload zero-padded to 46 octets, i.e. the frame's
     * own octets followed by zeros where it was shorter */
    FUZZ_CHECK(sami_xfer_l2_encode(out, enc, sizeof enc, &elen) == 0);
    size_t body = SAMI_XFER_L2_HDR_LEN + (size_t)out->payload_len;
    FUZZ_CHECK(elen == (body > SAMI_XFER_L2_MIN_PDU ? body : SAMI_XFER_L2_MIN_PDU));
    FUZZ_CHECK(n <= elen && memcmp(enc, f, n) == 0);
    for (size_t i = n; i < elen; i++)
        FUZZ_CHECK(enc[i] == 0);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_xfer_l2_decode(enc, elen, &g, &err) == 0);
    FUZZ_CHECK(g.op == out->op && g.seq == out->seq && g.frag_index == out->frag_index &&
               g.frag_count == out->frag_count && g.payload_len == out->payload_len);
    return 1;
}

/* Cuts msg for `mtu` and reassembles it through encode/decode: the sender
 * and receiver halves of the binding must agree. */
static void refragment(const uint8_t *msg, size_t mlen, size_t mtu, uint16_t seq0)
{
    static uint8_t rb[FZ_L2_CAP_MAX];
    struct sami_xfer_l2_reasm ra;
    uint16_t count = 0;
    size_t total = 0, payload_max = (mtu > 1500 ? 1500 : mtu) - SAMI_XFER_L2_HDR_LEN;

    int rc = sami_xfer_l2_frag_count(mlen, mtu, &count);
    FUZZ_CHECK(rc == 0 && count >= 1);
    if (count > 64)
        return; /* keeps an execution cheap; small MTUs are covered below 64 */
    sami_xfer_l2_reasm_init(&ra, rb, mlen);
    for (uint16_t i = 0; i < count; i++) {
        struct sami_xfer_l2_frame f, g;
        struct sami_err err;
        uint8_t enc[FZ_L2_ENC_MAX];
        const uint8_t *out = NULL;
        size_t off = 0, flen = 0, elen = 0, olen = 0;
        FUZZ_CHECK(sami_xfer_l2_frag_range(mlen, mtu, i, &off, &flen) == 0);
        FUZZ_CHECK(off == total && flen >= 1 && flen <= payload_max);
        total += flen;
        memset(&f, 0, sizeof f);
        f.version = SAMI_XFER_L2_VERSION;
        f.op = SAMI_XFER_L2_DATA;
        f.seq = sami_xfer_l2_seq_add(seq0, i);
        f.frag_index = i;
        f.frag_count = count;
        f.payload_len = (uint16_t)flen;
        f.payload = msg + off;
        FUZZ_CHECK(sami_xfer_l2_encode(&f, enc, sizeof enc, &elen) == 0);
        fz_err_reset(&err);
        FUZZ_CHECK(sami_xfer_l2_decode(enc, elen, &g, &err) == 0);
        rc = sami_xfer_l2_reasm_push(&ra, &g, &out, &olen);
        if (i + 1 < count) {
            FUZZ_CHECK(rc == SAMI_XFER_L2_MORE);
        } else {
            FUZZ_CHECK(rc == SAMI_XFER_L2_COMPLETE && olen == mlen && memcmp(out, msg, mlen) == 0);
        }
    }
    FUZZ_CHECK(total == mlen);
    size_t o, l;
    FUZZ_CHECK(sami_xfer_l2_frag_range(mlen, mtu, count, &o, &l) == SAMI_ERR_INVAL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t rbuf[FZ_L2_CAP_MAX], shadow[FZ_L2_CAP_MAX];
    struct sami_xfer_l2_reasm ra;
    size_t shadow_len = 0;

    if (size < 2)
        return 0;
    size_t cap = ((size_t)64 << (data[0] & 7)) - data[1] % 64u;
    size_t mtu = SAMI_XFER_L2_HDR_LEN + 1 + (size_t)(data[0] >> 3) * 48;
    sami_xfer_l2_reasm_init(&ra, rbuf, cap);

    size_t pos = 2;
    while (pos < size) {
        size_t n = 0;
        if (size - pos >= 2) {
            n = ((size_t)data[pos] << 8 | data[pos + 1]) & 0x7ffu;
            pos += 2;
        } else {
            pos = size;
            break;
        }
        if (n > size - pos)
            n = size - pos;
        const uint8_t *f = data + pos;
        pos += n;

        struct sami_xfer_l2_frame fr;
        if (!check_frame(f, n, &fr))
            continue;
        const uint8_t *msg = NULL;
        size_t mlen = 0;
        int rc = sami_xfer_l2_reasm_push(&ra, &fr, &msg, &mlen);
        if (fr.op != SAMI_XFER_L2_DATA) {
            FUZZ_CHECK(rc == SAMI_ERR_INVAL);
            continue;
        }
        FUZZ_CHECK(rc == SAMI_XFER_L2_MORE || rc == SAMI_XFER_L2_COMPLETE || rc == SAMI_XFER_L2_DUP ||
                   rc == SAMI_ERR_ORDER || rc == SAMI_ERR_VALUE || rc == SAMI_ERR_TOOBIG);
        FUZZ_CHECK(ra.have <= ra.cap && ra.cap == cap);
        FUZZ_CHECK(rc == SAMI_XFER_L2_COMPLETE || (msg == NULL && mlen == 0));
        if (rc == SAMI_XFER_L2_MORE || rc == SAMI_XFER_L2_COMPLETE) {
            /* shadow reassembly: what an accepted fragment must add */
            if (fr.frag_index == 0)
                shadow_len = 0;
            FUZZ_CHECK(fr.payload_len <= cap - shadow_len);
            memcpy(shadow + shadow_len, fr.payload, fr.payload_len);
            shadow_len += fr.payload_len;
        }
        if (rc == SAMI_XFER_L2_MORE)
            FUZZ_CHECK(ra.count == fr.frag_count && ra.next == fr.frag_index + 1);
        if (rc == SAMI_ERR_TOOBIG) {
            FUZZ_CHECK(ra.count == 0 && ra.have == 0);
            shadow_len = 0;
        }
        if (rc == SAMI_XFER_L2_COMPLETE) {
            FUZZ_CHECK(msg == rbuf && mlen == shadow_len && memcmp(msg, shadow, mlen) == 0);
            FUZZ_CHECK(ra.count == 0);
            fz_check_xfer(msg, mlen, 0);
            refragment(msg, mlen, mtu, fr.seq);
            /* the sender did not hear our ack: its retransmission is a dup */
            FUZZ_CHECK(sami_xfer_l2_reasm_push(&ra, &fr, &msg, &mlen) == SAMI_XFER_L2_DUP);
            shadow_len = 0;
        }
    }
    return 0;
}
