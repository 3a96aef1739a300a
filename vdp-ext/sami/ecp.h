/* ECP (IEEE 802.1Qbg-2012 clause 43) header codec.
 *
 * Covers the 4-octet ECP header that follows the Ethernet header (ethertype
 * 0x8940) and hands back the upper-layer PDU (for subtype 1: a VDP ULPDU) as a
 * zero-copy view. Ethernet framing, padding to 60 octets and the
 * stop-and-wait engine live elsewhere; the constants below are what they need.
 *
 *  0                   1                   2                   3
 *  +-------+---+-------------------+-------------------------------+
 *  |version| op|   subtype (10)    |        sequence number        |
 *  | (4)=1 |(2)|    1 = VDP        |             (16)              |
 *  +-------+---+-------------------+-------------------------------+
 *
 * Verified on lldpad 1.1: request `10 01 00 01`, ack `14 01 00 01`. */
#ifndef SAMI_ECP_H
#define SAMI_ECP_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_ECP_ETHERTYPE 0x8940u
/* Nearest-customer-bridge group address; initializer for a uint8_t[6]. */
#define SAMI_ECP_GROUP_MAC_INIT {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}
#define SAMI_ECP_HDR_LEN 4u
#define SAMI_ECP_ETH_HDR_LEN 14u       /* dst(6) src(6) ethertype(2) */
#define SAMI_ECP_ACK_FRAME_LEN 18u     /* acks go unpadded: 14 + 4 */
#define SAMI_ECP_MIN_FRAME_LEN 60u     /* requests are padded to this (no FCS) */
#define SAMI_ECP_VERSION 1u
#define SAMI_ECP_SUBTYPE_VDP 1u
#define SAMI_ECP_SUBTYPE_MAX 0x3ffu    /* 10-bit field */

/* The same address as a value, for code that prefers an object. */
extern const uint8_t sami_ecp_group_mac[6];

enum sami_ecp_op {
    SAMI_ECP_OP_REQUEST = 0, /* ECPDU carrying a ULPDU */
    SAMI_ECP_OP_ACK = 1      /* acknowledges the request with the same sequence */
};

struct sami_ecp_hdr {
    uint8_t version;  /* 4 bits; decoder accepts only 1 */
    uint8_t op;       /* enum sami_ecp_op */
    uint16_t subtype; /* 10 bits; 1 = VDP, others returned as-is */
    uint16_t seq;     /* sequence number */
};

/* A decoded ECPDU: header plus everything after it. For a request the view is
 * the ULPDU followed by any Ethernet padding (the ULPDU decoder tells them
 * apart); for an ack it is normally empty (or zero padding). */
struct sami_ecp {
    struct sami_ecp_hdr hdr;
    const uint8_t *ulpdu; /* view into the input; NULL when ulpdu_len is 0 */
    size_t ulpdu_len;
};

/* Reads the 4-octet header. Errors: SAMI_ERR_TRUNCATED, SAMI_ERR_VERSION
 * (version != 1, "ecp.version"), SAMI_ERR_VALUE (op 2 or 3, "ecp.op"). The
 * subtype is not checked. */
int sami_ecp_read(struct sami_rd *r, struct sami_ecp_hdr *out);

/* Decodes an ECPDU (the bytes after the ethertype). */
int sami_ecp_decode(const uint8_t *buf, size_t len, struct sami_ecp *out, struct sami_err *err);

/* Writes the header; fields are masked to their widths (sami_ecp_encode
 * validates them first). */
void sami_ecp_write(struct sami_wr *w, const struct sami_ecp_hdr *in);

/* Encodes header + ULPDU copy. SAMI_ERR_VALUE when version > 15, op > 1 or
 * subtype > 0x3ff; SAMI_ERR_INVAL when ulpdu is NULL with ulpdu_len > 0;
 * SAMI_ERR_NOBUFS with *len = bytes needed. No Ethernet padding is added. */
int sami_ecp_encode(const struct sami_ecp *in, uint8_t *buf, size_t cap, size_t *len);

/* Header-only encode (4 octets), e.g. for an ack or before writing the ULPDU
 * in place with the VDP builder at buf + SAMI_ECP_HDR_LEN. */
int sami_ecp_encode_hdr(const struct sami_ecp_hdr *in, uint8_t *buf, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
