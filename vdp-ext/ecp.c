/* ECP header codec (802.1Qbg-2012 clause 43). */
#include "sami/ecp.h"

const uint8_t sami_ecp_group_mac[6] = SAMI_ECP_GROUP_MAC_INIT;

static const struct sami_rd_field ecp_fields[] = {{2, "ecp.header"}, {2, "ecp.sequence"}};

int sami_ecp_read(struct sami_rd *r, struct sami_ecp_hdr *out)
{
    size_t at = sami_rd_offset(r);
    if (SAMI_UNLIKELY(sami_rd_left(r) < SAMI_ECP_HDR_LEN))
        return sami_rd_fail_fields(r, ecp_fields, 2);
    const uint8_t *p = r->p + r->pos;
    unsigned w0 = sami_be16(p);
    uint8_t version = (uint8_t)(w0 >> 12);
    uint8_t op = (uint8_t)(w0 >> 10 & 0x3);
    r->pos += SAMI_ECP_HDR_LEN;
    /* Fields are only stored once the header is known good, so a failed
     * decode never leaves a half-plausible header behind. */
    if (SAMI_UNLIKELY(version != SAMI_ECP_VERSION))
        return sami_rd_fail_at(r, at, SAMI_ERR_VERSION, "ecp.version");
    if (SAMI_UNLIKELY(op > SAMI_ECP_OP_ACK))
        return sami_rd_fail_at(r, at, SAMI_ERR_VALUE, "ecp.op");
    out->version = version;
    out->op = op;
    out->subtype = (uint16_t)(w0 & SAMI_ECP_SUBTYPE_MAX);
    out->seq = sami_be16(p + 2);
    return 0;
}

int sami_ecp_decode(const uint8_t *buf, size_t len, struct sami_ecp *out, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, buf, len, err);
    int rc = sami_ecp_read(&r, &out->hdr);
    if (rc)
        return rc;
    out->ulpdu_len = sami_rd_left(&r);
    out->ulpdu = out->ulpdu_len ? r.p + r.pos : NULL;
    return 0;
}

void sami_ecp_write(struct sami_wr *w, const struct sami_ecp_hdr *in)
{
    uint16_t w0 = (uint16_t)((unsigned)(in->version & 0xf) << 12 | (unsigned)(in->op & 0x3) << 10 |
                             (in->subtype & SAMI_ECP_SUBTYPE_MAX));
    sami_wr_u16(w, w0);
    sami_wr_u16(w, in->seq);
}

static int ecp_check(const struct sami_ecp_hdr *in)
{
    if (in->version > 0xf || in->op > SAMI_ECP_OP_ACK || in->subtype > SAMI_ECP_SUBTYPE_MAX)
        return SAMI_ERR_VALUE;
    return 0;
}

int sami_ecp_encode_hdr(const struct sami_ecp_hdr *in, uint8_t *buf, size_t cap, size_t *len)
{
    int rc = ecp_check(in);
    if (rc)
        return rc;
    struct sami_wr w;
    sami_wr_init(&w, buf, cap);
    sami_ecp_write(&w, in);
    return sami_wr_finish(&w, len);
}

int sami_ecp_encode(const struct sami_ecp *in, uint8_t *buf, size_t cap, size_t *len)
{
    int rc = ecp_check(&in->hdr);
    if (rc)
        return rc;
    if (in->ulpdu_len && !in->ulpdu)
        return SAMI_ERR_INVAL;
    struct sami_wr w;
    sami_wr_init(&w, buf, cap);
    sami_ecp_write(&w, &in->hdr);
    sami_wr_bytes(&w, in->ulpdu, in->ulpdu_len);
    return sami_wr_finish(&w, len);
}
