/* Helpers shared by the engine harnesses (fuzz_station, fuzz_bridge):
 * building ECP frames as the peer would, mutating them as the input says,
 * and checking every frame an engine emits with the library's own codecs.
 * Test code: stdio/abort through FUZZ_CHECK. */
#ifndef SAMI_FUZZ_ENGINES_H
#define SAMI_FUZZ_ENGINES_H

#include "checks.h"
#include "common.h"
#include "sami/ecp.h"
#include "sami/ecp_engine.h"
#include "sami/vdp.h"

/* An Ethernet frame carrying ECP: dst, src, 0x8940, header, ULPDU, padded to
 * 60 octets like a real NIC would (acks go unpadded). Returns the length. */
static inline size_t fz_ecp_frame(uint8_t *f, size_t cap, const uint8_t dst[6],
                                  const uint8_t src[6], uint8_t op, uint16_t seq,
                                  const uint8_t *ulpdu, size_t ulen)
{
    struct sami_ecp e;
    size_t n = 0;
    FUZZ_CHECK(cap >= SAMI_ECP_ETH_HDR_LEN + SAMI_ECP_HDR_LEN + ulen && cap >= 60);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x89;
    f[13] = 0x40;
    memset(&e, 0, sizeof e);
    e.hdr.version = SAMI_ECP_VERSION;
    e.hdr.op = op;
    e.hdr.subtype = SAMI_ECP_SUBTYPE_VDP;
    e.hdr.seq = seq;
    e.ulpdu = ulen ? ulpdu : NULL;
    e.ulpdu_len = ulen;
    FUZZ_CHECK(sami_ecp_encode(&e, f + 14, cap - 14, &n) == 0);
    n += 14;
    if (op == SAMI_ECP_OP_REQUEST && n < SAMI_ECP_MIN_FRAME_LEN) {
        memset(f + n, 0, SAMI_ECP_MIN_FRAME_LEN - n);
        n = SAMI_ECP_MIN_FRAME_LEN;
    }
    return n;
}

/* Mutation driven by the input: 0 = none, else flip one bit, set one octet,
 * or cut the frame short, at a position the input picks. */
static inline size_t fz_mutate(struct fz_in *in, uint8_t *f, size_t len)
{
    uint8_t how = fz_u8(in);
    if (len == 0 || (how & 3) == 0)
        return len;
    size_t pos = fz_u16(in) % len;
    switch (how & 3) {
    case 1:
        f[pos] ^= (uint8_t)(1u << ((how >> 2) & 7));
        break;
    case 2:
        f[pos] = fz_u8(in);
        break;
    default:
        return pos; /* truncated */
    }
    return len;
}

/* A frame an engine put on the wire: from its MAC, ECP, decodable; a request
 * carries a VDP ULPDU that passes every check of fuzz_vdp (the engine's own
 * PDUs must be as good as anything it accepts). Returns the ECP op, and the
 * sequence number and ULPDU view through the out arguments. */
static inline int fz_check_ecp_out(const uint8_t *f, size_t len, const uint8_t mac[6],
                                   uint16_t *seq, const uint8_t **ulpdu, size_t *ulen)
{
    struct sami_ecp e;
    struct sami_err err;
    FUZZ_CHECK(len >= SAMI_ECP_ACK_FRAME_LEN && len <= SAMI_ECP_ENGINE_MAX_FRAME);
    FUZZ_CHECK(memcmp(f + 6, mac, 6) == 0);
    FUZZ_CHECK(f[12] == 0x89 && f[13] == 0x40);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_ecp_decode(f + 14, len - 14, &e, &err) == 0);
    FUZZ_CHECK(e.hdr.subtype == SAMI_ECP_SUBTYPE_VDP);
    *seq = e.hdr.seq;
    *ulpdu = e.ulpdu;
    *ulen = e.ulpdu_len;
    if (e.hdr.op == SAMI_ECP_OP_ACK) {
        FUZZ_CHECK(len == SAMI_ECP_ACK_FRAME_LEN);
    } else {
        FUZZ_CHECK(e.hdr.op == SAMI_ECP_OP_REQUEST && len >= SAMI_ECP_MIN_FRAME_LEN);
        /* the ULPDU runs into the Ethernet padding: the VDP PDU (with its
         * End) must decode cleanly, padding and all */
        struct sami_vdp *pdu = malloc(sizeof *pdu);
        FUZZ_CHECK(pdu != NULL);
        fz_err_reset(&err);
        int rc = sami_vdp_decode(e.ulpdu, e.ulpdu_len, pdu, &err);
        FUZZ_CHECK(rc == 0 && !pdu->no_end && pdu->ntlv >= 1);
        FUZZ_CHECK(pdu->tlv[0].type == SAMI_VDP_TLV_MGRID);
        free(pdu);
        fz_check_vdp(e.ulpdu, e.ulpdu_len);
    }
    return e.hdr.op;
}

/* Deadline check shared by the engines: none, or not in the past and not
 * further than `bound` from now. */
#define FZ_CHECK_DEADLINE(d, now, bound)                                                           \
    FUZZ_CHECK((d) == SAMI_NO_DEADLINE || ((d) >= (now) && (d) - (now) <= (bound)))

#endif
