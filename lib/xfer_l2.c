/* L2 binding frames, fragmentation and in-order reassembly
 * (lib/sami/xfer_l2.h). */
#include "sami/xfer_l2.h"

#include <string.h>

uint16_t sami_xfer_l2_seq_add(uint16_t s, uint32_t n)
{
    /* sequences live in 1..65535: step in a ring of 65535 values */
    uint32_t base = s ? (uint32_t)s - 1u : 0u;
    return (uint16_t)((base + n % 65535u) % 65535u + 1u);
}

uint16_t sami_xfer_l2_seq_next(uint16_t s)
{
    return sami_xfer_l2_seq_add(s, 1);
}

int sami_xfer_l2_read(struct sami_rd *r, struct sami_xfer_l2_frame *out)
{
    struct sami_xfer_l2_frame f;
    uint16_t magic = 0;
    memset(&f, 0, sizeof f);
    size_t at = sami_rd_offset(r);

    if (sami_rd_need(r, SAMI_XFER_L2_HDR_LEN, "l2.header"))
        return SAMI_ERR_TRUNCATED;
    (void)sami_rd_u16(r, &magic, "l2.magic");
    (void)sami_rd_u8(r, &f.version, "l2.version");
    (void)sami_rd_u8(r, &f.op, "l2.op");
    (void)sami_rd_u16(r, &f.seq, "l2.sequence");
    (void)sami_rd_u16(r, &f.frag_index, "l2.fragment_index");
    (void)sami_rd_u16(r, &f.frag_count, "l2.fragment_count");
    (void)sami_rd_u16(r, &f.payload_len, "l2.payload_length");
    if (magic != SAMI_XFER_L2_MAGIC)
        return sami_rd_fail_at(r, at, SAMI_ERR_TYPE, "l2.magic");
    if (f.version != SAMI_XFER_L2_VERSION)
        return sami_rd_fail_at(r, at + 2, SAMI_ERR_VERSION, "l2.version");
    if (f.op != SAMI_XFER_L2_DATA && f.op != SAMI_XFER_L2_ACK)
        return sami_rd_fail_at(r, at + 3, SAMI_ERR_VALUE, "l2.op");
    if (f.seq == 0)
        return sami_rd_fail_at(r, at + 4, SAMI_ERR_VALUE, "l2.sequence");
    if (f.frag_count == 0)
        return sami_rd_fail_at(r, at + 8, SAMI_ERR_VALUE, "l2.fragment_count");
    if (f.frag_index >= f.frag_count)
        return sami_rd_fail_at(r, at + 6, SAMI_ERR_VALUE, "l2.fragment_index");
    if (f.payload_len > SAMI_XFER_L2_MAX_PAYLOAD)
        return sami_rd_fail_at(r, at + 10, SAMI_ERR_TOOBIG, "l2.payload_length");
    if ((f.op == SAMI_XFER_L2_ACK) != (f.payload_len == 0))
        return sami_rd_fail_at(r, at + 10, SAMI_ERR_LENGTH, "l2.payload_length");
    if (f.payload_len > sami_rd_left(r))
        return sami_rd_fail_at(r, at + 10, SAMI_ERR_LENGTH, "l2.payload_length");
    (void)sami_rd_ptr(r, &f.payload, f.payload_len, "l2.payload");
    *out = f;
    return 0;
}

int sami_xfer_l2_decode(const uint8_t *buf, size_t len, struct sami_xfer_l2_frame *out,
                        struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_l2_frame f;
    sami_rd_init(&r, buf, len, err);
    if (!out)
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "l2.out");
    int rc = sami_xfer_l2_read(&r, &f);
    if (rc)
        return rc;
    /* Only Ethernet minimum-size padding may follow, and it must be zero. */
    if (!sami_rd_done(&r)) {
        if (len > SAMI_XFER_L2_MIN_PDU)
            return sami_rd_fail(&r, SAMI_ERR_TRAILING, "l2.padding");
        while (!sami_rd_done(&r)) {
            uint8_t z;
            (void)sami_rd_u8(&r, &z, "l2.padding");
            if (z != 0)
                return sami_rd_fail_at(&r, sami_rd_offset(&r) - 1, SAMI_ERR_TRAILING,
                                       "l2.padding");
        }
    }
    *out = f;
    return 0;
}

static int l2_check(const struct sami_xfer_l2_frame *in)
{
    if (!in || (!in->payload && in->payload_len))
        return SAMI_ERR_INVAL;
    if (in->version != SAMI_XFER_L2_VERSION ||
        (in->op != SAMI_XFER_L2_DATA && in->op != SAMI_XFER_L2_ACK) || in->seq == 0 ||
        in->frag_count == 0 || in->frag_index >= in->frag_count ||
        in->payload_len > SAMI_XFER_L2_MAX_PAYLOAD ||
        (in->op == SAMI_XFER_L2_ACK) != (in->payload_len == 0))
        return SAMI_ERR_VALUE;
    return 0;
}

int sami_xfer_l2_write(struct sami_wr *w, const struct sami_xfer_l2_frame *in)
{
    int rc = l2_check(in);
    if (rc)
        return rc;
    if (!w)
        return SAMI_ERR_INVAL;
    sami_wr_u16(w, SAMI_XFER_L2_MAGIC);
    sami_wr_u8(w, in->version);
    sami_wr_u8(w, in->op);
    sami_wr_u16(w, in->seq);
    sami_wr_u16(w, in->frag_index);
    sami_wr_u16(w, in->frag_count);
    sami_wr_u16(w, in->payload_len);
    sami_wr_bytes(w, in->payload, in->payload_len);
    return 0;
}

int sami_xfer_l2_encode(const struct sami_xfer_l2_frame *in, uint8_t *buf, size_t cap,
                        size_t *len)
{
    struct sami_wr w;
    if (len)
        *len = 0;
    sami_wr_init(&w, buf, cap);
    int rc = sami_xfer_l2_write(&w, in);
    if (rc)
        return rc;
    if (w.pos < SAMI_XFER_L2_MIN_PDU)
        sami_wr_zero(&w, SAMI_XFER_L2_MIN_PDU - w.pos);
    return sami_wr_finish(&w, len);
}

/* ------------------------------------------------------------------ */
/* fragmentation */

static int frag_chunk(size_t msg_len, size_t mtu, size_t *chunk, uint16_t *count)
{
    if (mtu > 1500)
        mtu = 1500;
    if (msg_len == 0 || mtu <= SAMI_XFER_L2_HDR_LEN)
        return SAMI_ERR_INVAL;
    size_t c = mtu - SAMI_XFER_L2_HDR_LEN;
    size_t n = msg_len / c + (msg_len % c != 0);
    if (n > 65535u)
        return SAMI_ERR_TOOBIG;
    *chunk = c;
    *count = (uint16_t)n;
    return 0;
}

int sami_xfer_l2_frag_count(size_t msg_len, size_t mtu, uint16_t *count)
{
    size_t c;
    uint16_t n;
    if (!count)
        return SAMI_ERR_INVAL;
    int rc = frag_chunk(msg_len, mtu, &c, &n);
    if (rc == 0)
        *count = n;
    return rc;
}

int sami_xfer_l2_frag_range(size_t msg_len, size_t mtu, uint16_t index, size_t *off,
                            size_t *len)
{
    size_t c;
    uint16_t n;
    if (!off || !len)
        return SAMI_ERR_INVAL;
    int rc = frag_chunk(msg_len, mtu, &c, &n);
    if (rc)
        return rc;
    if (index >= n)
        return SAMI_ERR_INVAL;
    size_t o = (size_t)index * c;
    *off = o;
    *len = msg_len - o < c ? msg_len - o : c;
    return 0;
}

/* ------------------------------------------------------------------ */
/* reassembly */

void sami_xfer_l2_reasm_init(struct sami_xfer_l2_reasm *ra, uint8_t *buf, size_t cap)
{
    if (!ra)
        return;
    memset(ra, 0, sizeof *ra);
    ra->buf = buf;
    ra->cap = buf ? cap : 0;
}

void sami_xfer_l2_reasm_reset(struct sami_xfer_l2_reasm *ra)
{
    if (!ra)
        return;
    ra->have = 0;
    ra->count = 0;
    ra->next = 0;
    ra->first_seq = 0;
}

/* A retransmission of a fragment of the message completed last. */
static int in_done(const struct sami_xfer_l2_reasm *ra, const struct sami_xfer_l2_frame *f)
{
    return ra->done_count != 0 && f->frag_count == ra->done_count &&
           f->seq == sami_xfer_l2_seq_add(ra->done_first, f->frag_index);
}

static int reasm_append(struct sami_xfer_l2_reasm *ra, const struct sami_xfer_l2_frame *f,
                        const uint8_t **msg, size_t *msg_len)
{
    struct sami_wr w;
    if (f->payload_len > ra->cap - ra->have) {
        sami_xfer_l2_reasm_reset(ra);
        return SAMI_ERR_TOOBIG;
    }
    sami_wr_init(&w, ra->buf, ra->cap);
    w.pos = ra->have;
    sami_wr_bytes(&w, f->payload, f->payload_len);
    ra->have = w.pos;
    ra->next++;
    if (ra->next < ra->count)
        return SAMI_XFER_L2_MORE;
    *msg = ra->buf;
    *msg_len = ra->have;
    ra->done_first = ra->first_seq;
    ra->done_count = ra->count;
    sami_xfer_l2_reasm_reset(ra);
    return SAMI_XFER_L2_COMPLETE;
}

static int reasm_start(struct sami_xfer_l2_reasm *ra, const struct sami_xfer_l2_frame *f,
                       const uint8_t **msg, size_t *msg_len)
{
    sami_xfer_l2_reasm_reset(ra);
    ra->count = f->frag_count;
    ra->first_seq = f->seq;
    return reasm_append(ra, f, msg, msg_len);
}

int sami_xfer_l2_reasm_push(struct sami_xfer_l2_reasm *ra, const struct sami_xfer_l2_frame *f,
                            const uint8_t **msg, size_t *msg_len)
{
    if (!ra || !f || !msg || !msg_len)
        return SAMI_ERR_INVAL;
    *msg = NULL;
    *msg_len = 0;
    if (f->op != SAMI_XFER_L2_DATA || (!f->payload && f->payload_len) || !ra->buf)
        return SAMI_ERR_INVAL;
    /* the frame may not have come through sami_xfer_l2_decode */
    if (f->seq == 0 || f->frag_count == 0 || f->frag_index >= f->frag_count ||
        f->payload_len == 0)
        return SAMI_ERR_VALUE;

    if (ra->count == 0) {
        if (in_done(ra, f))
            return SAMI_XFER_L2_DUP;
        if (f->frag_index != 0)
            return SAMI_ERR_ORDER;
        return reasm_start(ra, f, msg, msg_len);
    }
    if (f->frag_index == 0 && f->seq == ra->first_seq)
        return f->frag_count == ra->count ? SAMI_XFER_L2_DUP : SAMI_ERR_VALUE;
    if (in_done(ra, f))
        return SAMI_XFER_L2_DUP;
    if (f->frag_index == 0)
        return reasm_start(ra, f, msg, msg_len); /* sender began a new message */
    if (f->frag_count != ra->count)
        return SAMI_ERR_VALUE;
    if (f->seq != sami_xfer_l2_seq_add(ra->first_seq, f->frag_index))
        return SAMI_ERR_VALUE;
    if (f->frag_index < ra->next)
        return SAMI_XFER_L2_DUP;
    if (f->frag_index > ra->next)
        return SAMI_ERR_ORDER;
    return reasm_append(ra, f, msg, msg_len);
}
