/* LLDP (IEEE 802.1AB) LLDPDU codec: TLV iterator, whole-LLDPDU validator and
 * builder. Sans-I/O, zero-copy: decoded structs point into the caller's
 * buffer and own nothing.
 *
 * An LLDPDU is a sequence of TLVs, each a 2-octet header (type: 7 bits, length:
 * 9 bits) and `length` octets of value. Chassis ID (1), Port ID (2) and TTL (3)
 * come first in that order; the End TLV (0, length 0) closes the LLDPDU. Bytes
 * after End are frame padding. 802.1AB-2009 made End optional, so an LLDPDU
 * that simply stops at a TLV boundary is accepted too (has_end = 0).
 *
 * Error offsets: a TLV whose length field is wrong (overruns the buffer, or is
 * not allowed for its type) is reported at the TLV's first octet (its header);
 * errors inside a value are reported at the offending field. err->tlv_type is
 * the TLV type. */
#ifndef SAMI_LLDP_H
#define SAMI_LLDP_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_LLDP_ETHERTYPE 0x88CCu
/* Nearest bridge group address, as a brace initializer for uint8_t[6]. */
#define SAMI_LLDP_DST_NEAREST_BRIDGE {0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e}
/* lldpad's EVB/VDP agent uses the nearest customer bridge address. */
#define SAMI_LLDP_DST_NEAREST_CUSTOMER_BRIDGE {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00}

#define SAMI_LLDP_TLV_HDR_LEN 2u
#define SAMI_LLDP_TLV_MAX_LEN 511u /* 9-bit length field */
/* Minimum Ethernet payload: pad an LLDPDU to this for a 60-octet frame. */
#define SAMI_LLDP_MIN_FRAME_PAYLOAD 46u

enum sami_lldp_tlv_type {
    SAMI_LLDP_TLV_END = 0,
    SAMI_LLDP_TLV_CHASSIS_ID = 1,
    SAMI_LLDP_TLV_PORT_ID = 2,
    SAMI_LLDP_TLV_TTL = 3,
    SAMI_LLDP_TLV_PORT_DESC = 4,
    SAMI_LLDP_TLV_SYSTEM_NAME = 5,
    SAMI_LLDP_TLV_SYSTEM_DESC = 6,
    SAMI_LLDP_TLV_SYSTEM_CAP = 7,
    SAMI_LLDP_TLV_MGMT_ADDR = 8,
    /* 9..126 reserved: yielded as opaque TLVs, counted, never an error */
    SAMI_LLDP_TLV_ORG = 127
};

enum sami_lldp_chassis_subtype {
    SAMI_LLDP_CHASSIS_COMPONENT = 1,
    SAMI_LLDP_CHASSIS_IF_ALIAS = 2,
    SAMI_LLDP_CHASSIS_PORT_COMPONENT = 3,
    SAMI_LLDP_CHASSIS_MAC = 4,
    SAMI_LLDP_CHASSIS_NET_ADDR = 5,
    SAMI_LLDP_CHASSIS_IF_NAME = 6,
    SAMI_LLDP_CHASSIS_LOCAL = 7
};

enum sami_lldp_port_subtype {
    SAMI_LLDP_PORT_IF_ALIAS = 1,
    SAMI_LLDP_PORT_COMPONENT = 2,
    SAMI_LLDP_PORT_MAC = 3,
    SAMI_LLDP_PORT_NET_ADDR = 4,
    SAMI_LLDP_PORT_IF_NAME = 5,
    SAMI_LLDP_PORT_AGENT_CIRCUIT_ID = 6,
    SAMI_LLDP_PORT_LOCAL = 7
};

/* System capabilities bits (bit n = 1u << n). */
enum sami_lldp_syscap_bit {
    SAMI_LLDP_CAP_OTHER = 1u << 0,
    SAMI_LLDP_CAP_REPEATER = 1u << 1,
    SAMI_LLDP_CAP_BRIDGE = 1u << 2,
    SAMI_LLDP_CAP_WLAN_AP = 1u << 3,
    SAMI_LLDP_CAP_ROUTER = 1u << 4,
    SAMI_LLDP_CAP_TELEPHONE = 1u << 5,
    SAMI_LLDP_CAP_DOCSIS = 1u << 6,
    SAMI_LLDP_CAP_STATION = 1u << 7,
    SAMI_LLDP_CAP_CVLAN = 1u << 8,
    SAMI_LLDP_CAP_SVLAN = 1u << 9,
    SAMI_LLDP_CAP_TPMR = 1u << 10
};

/* Management address: IANA address family numbers used as address subtype. */
enum sami_lldp_addr_family {
    SAMI_LLDP_AF_IPV4 = 1,
    SAMI_LLDP_AF_IPV6 = 2,
    SAMI_LLDP_AF_802 = 6 /* MAC address */
};

/* Management address interface numbering subtype. */
enum sami_lldp_if_subtype {
    SAMI_LLDP_IF_UNKNOWN = 1,
    SAMI_LLDP_IF_IFINDEX = 2,
    SAMI_LLDP_IF_SYSPORT = 3
};

/* Well-known organizationally unique identifiers (24-bit, host order). */
#define SAMI_LLDP_OUI_IEEE_8021 0x0080C2u
#define SAMI_LLDP_OUI_IEEE_8023 0x00120Fu
#define SAMI_LLDP_OUI_TIA 0x0012BBu

/* Sizes per 802.1AB-2009. */
#define SAMI_LLDP_ID_MAX 255u       /* chassis / port id octets after the subtype */
#define SAMI_LLDP_STR_MAX 255u      /* port description, system name/description */
#define SAMI_LLDP_MGMT_ADDR_MAX 31u /* management address octets */
#define SAMI_LLDP_MGMT_OID_MAX 128u
#define SAMI_LLDP_ORG_INFO_MAX 507u /* 511 - OUI(3) - subtype(1) */

/* Chassis ID / Port ID: subtype + 1..255 octets (view). */
struct sami_lldp_id {
    uint8_t subtype;
    const uint8_t *id;
    size_t len;
};

/* Port description, system name, system description: 0..255 octets (view,
 * not NUL-terminated, not validated as UTF-8). */
struct sami_lldp_str {
    const uint8_t *p;
    size_t len;
};

struct sami_lldp_syscap {
    uint16_t caps;    /* SAMI_LLDP_CAP_* supported */
    uint16_t enabled; /* SAMI_LLDP_CAP_* enabled */
};

struct sami_lldp_mgmt {
    uint8_t addr_subtype; /* IANA address family (SAMI_LLDP_AF_*) */
    const uint8_t *addr;  /* 1..31 octets */
    size_t addr_len;
    uint8_t if_subtype; /* SAMI_LLDP_IF_* */
    uint32_t if_number;
    const uint8_t *oid; /* 0..128 octets, BER-encoded OID */
    size_t oid_len;
};

/* Organizationally specific TLV (type 127). */
struct sami_lldp_org {
    uint32_t oui; /* 24-bit */
    uint8_t subtype;
    const uint8_t *info; /* info string after OUI+subtype: 0..507 octets */
    size_t info_len;
    /* Where the whole TLV sits, so org decoders (EVB, sami capability) can
     * report errors at absolute offsets of the enclosing LLDPDU. Set by the
     * decoder; ignored by the encoder. */
    const uint8_t *tlv; /* the TLV header octet */
    size_t offset;      /* offset of tlv within the decoded buffer */
};

/* One TLV as yielded by the iterator: raw view + typed decode of its value. */
struct sami_lldp_tlv {
    uint8_t type;         /* 0..127 */
    uint16_t len;         /* value length 0..511 */
    const uint8_t *value; /* len octets */
    size_t offset;        /* offset of the header within the buffer */
    union {
        struct sami_lldp_id id;         /* CHASSIS_ID, PORT_ID */
        uint16_t ttl;                   /* TTL (seconds; 0 = shutdown) */
        struct sami_lldp_str str;       /* PORT_DESC, SYSTEM_NAME, SYSTEM_DESC */
        struct sami_lldp_syscap syscap; /* SYSTEM_CAP */
        struct sami_lldp_mgmt mgmt;     /* MGMT_ADDR */
        struct sami_lldp_org org;       /* ORG */
    } u;                                /* unused for END and reserved types */
};

/* Reads one TLV at r (header and value), checks the length allowed for its
 * type and decodes its value into out->u. 0 or a negative SAMI_ERR_*:
 * TRUNCATED (header cut), LENGTH (overrun or wrong for the type), VALUE
 * (chassis/port id subtype 0 or > 7), TRAILING (mgmt address leftovers). */
int sami_lldp_tlv_read(struct sami_rd *r, struct sami_lldp_tlv *out);

/* Iterator over the TLVs of one LLDPDU. Yields End too (then stops); stops
 * at the end of the buffer when there is no End. No order/duplicate checks:
 * that is sami_lldp_decode's job. */
struct sami_lldp_iter {
    struct sami_rd r;
    int state; /* 0 running, 1 finished, < 0 the error that stopped it */
};

void sami_lldp_iter_init(struct sami_lldp_iter *it, const uint8_t *buf, size_t len,
                         struct sami_err *err);
/* 1 = *tlv filled; 0 = no more TLVs; < 0 = error (sticky; err filled). */
int sami_lldp_iter_next(struct sami_lldp_iter *it, struct sami_lldp_tlv *tlv);
/* Offset just past the last TLV yielded (after End: where padding starts). */
static inline size_t sami_lldp_iter_offset(const struct sami_lldp_iter *it)
{
    return sami_rd_offset(&it->r);
}

/* Bits of struct sami_lldp.present (optional TLVs that may appear once). */
#define SAMI_LLDP_HAS_PORT_DESC (1u << 0)
#define SAMI_LLDP_HAS_SYSTEM_NAME (1u << 1)
#define SAMI_LLDP_HAS_SYSTEM_DESC (1u << 2)
#define SAMI_LLDP_HAS_SYSTEM_CAP (1u << 3)

/* A validated LLDPDU (views into the input buffer). */
struct sami_lldp {
    struct sami_lldp_id chassis;
    struct sami_lldp_id port;
    uint16_t ttl;
    unsigned present; /* SAMI_LLDP_HAS_* */
    struct sami_lldp_str port_desc;
    struct sami_lldp_str sys_name;
    struct sami_lldp_str sys_desc;
    struct sami_lldp_syscap syscap;
    size_t mgmt_count;    /* repeatable: read with sami_lldp_get_mgmt */
    size_t org_count;     /* repeatable: read with sami_lldp_get_org */
    size_t unknown_count; /* reserved types 9..126 (kept, not an error) */
    size_t tlv_count;     /* all TLVs including End */
    int has_end;          /* an End TLV closed the LLDPDU */
    size_t pdu_len;       /* octets up to and including End */
    size_t pad_len;       /* octets after End (frame padding, ignored) */
    int pad_nonzero;      /* some padding octet was not zero (reported only) */
    const uint8_t *buf;   /* the decoded buffer (for the accessors) */
    size_t len;
};

/* Validates and decodes one LLDPDU (the Ethernet payload after the
 * ethertype). 0 or a negative SAMI_ERR_*; besides the per-TLV errors:
 *  MISSING   a mandatory TLV (chassis, port, TTL) absent: at the offset where
 *            it was due (the TLV found there, or End / end of buffer)
 *  ORDER     a mandatory TLV present but out of place: at the TLV found where
 *            the mandatory one was due
 *  DUPLICATE a once-only TLV (chassis, port, TTL, port description, system
 *            name, system description, system capabilities) seen again: at
 *            the second one
 *  LENGTH    End with a nonzero length: at the End TLV
 * Org-specific TLVs are only checked for the 4-octet OUI+subtype minimum; use
 * sami_evb_from_org / sami_samicap_from_org for their content. */
int sami_lldp_decode(const uint8_t *buf, size_t len, struct sami_lldp *out, struct sami_err *err);

/* i-th management address / org-specific TLV of a decoded LLDPDU, in wire
 * order. 0, or SAMI_ERR_NOTFOUND when i >= count. */
int sami_lldp_get_mgmt(const struct sami_lldp *pdu, size_t i, struct sami_lldp_mgmt *out);
int sami_lldp_get_org(const struct sami_lldp *pdu, size_t i, struct sami_lldp_org *out);
/* First org TLV with this OUI and subtype; 0 or SAMI_ERR_NOTFOUND. */
int sami_lldp_find_org(const struct sami_lldp *pdu, uint32_t oui, uint8_t subtype,
                       struct sami_lldp_org *out);

/* Builder input. The LLDPDU is written in the canonical order: chassis, port,
 * TTL, port description, system name, system description, system
 * capabilities, management addresses, org TLVs, `extra`, End, padding. */
struct sami_lldp_tx {
    struct sami_lldp_id chassis; /* subtype 1..7, id 1..255 octets */
    struct sami_lldp_id port;    /* subtype 1..7, id 1..255 octets */
    uint16_t ttl;
    unsigned present; /* SAMI_LLDP_HAS_*: which of the next four to send */
    struct sami_lldp_str port_desc;
    struct sami_lldp_str sys_name;
    struct sami_lldp_str sys_desc;
    struct sami_lldp_syscap syscap;
    const struct sami_lldp_mgmt *mgmt; /* mgmt_count entries */
    size_t mgmt_count;
    const struct sami_lldp_org *org; /* org_count entries (tlv/offset ignored) */
    size_t org_count;
    const uint8_t *extra; /* pre-encoded TLVs (e.g. from sami_evb_encode), may be NULL */
    size_t extra_len;
    size_t min_len; /* zero-pad after End up to this length (46 for a 60-octet frame); 0 = none */
};

/* Builds an LLDPDU. 0 with *len written; SAMI_ERR_NOBUFS with *len = octets
 * needed (buf NULL, cap 0 = length query); SAMI_ERR_VALUE for a chassis/port
 * subtype outside 1..7; SAMI_ERR_INVAL for a length that does not fit its
 * field (empty or > 255 octet id, a MAC id not 6 octets, an IPv4/IPv6
 * network-address id not 5/17, string > 255, mgmt address 0 or > 31 octets,
 * OID > 128, org info > 507) or a NULL pointer with a nonzero length. On
 * SAMI_ERR_VALUE/INVAL *len is 0. len may be NULL. */
int sami_lldp_encode(const struct sami_lldp_tx *in, uint8_t *buf, size_t cap, size_t *len);

/* Re-encodes a decoded LLDPDU TLV by TLV from the decoded fields, in wire
 * order, followed by pad_len zero octets. Same returns as sami_lldp_encode.
 * For every valid input with zero padding the result equals the input. */
int sami_lldp_reencode(const struct sami_lldp *pdu, uint8_t *buf, size_t cap, size_t *len);

/* Low-level writers (no validation; lengths are clipped to their fields —
 * validate with sami_lldp_encode or sami_lldp_tlv_check first). */
void sami_lldp_write_hdr(struct sami_wr *w, unsigned type, size_t len);
/* Writes a TLV from its typed fields (out->u per type; END writes 00 00;
 * reserved types copy value/len). */
void sami_lldp_write_tlv(struct sami_wr *w, const struct sami_lldp_tlv *tlv);
void sami_lldp_write_org(struct sami_wr *w, uint32_t oui, uint8_t subtype, const void *info,
                         size_t info_len);
void sami_lldp_write_end(struct sami_wr *w);
/* The encode-side validation of one typed TLV: 0, SAMI_ERR_VALUE or
 * SAMI_ERR_INVAL as for sami_lldp_encode. */
int sami_lldp_tlv_check(const struct sami_lldp_tlv *tlv);

/* Static names for dissectors ("reserved" / "unknown" for others). */
const char *sami_lldp_tlv_name(unsigned type);
const char *sami_lldp_chassis_subtype_name(unsigned subtype);
const char *sami_lldp_port_subtype_name(unsigned subtype);
const char *sami_lldp_syscap_name(unsigned bit); /* bit index 0..15 */
const char *sami_lldp_addr_family_name(unsigned family);
const char *sami_lldp_if_subtype_name(unsigned subtype);
const char *sami_lldp_oui_name(uint32_t oui); /* "IEEE 802.1", ..., "unknown" */

#ifdef __cplusplus
}
#endif
#endif
