/* VDP (IEEE 802.1Qbg-2012 clause 41) ULPDU codec.
 *
 * A VDP ULPDU is a sequence of TLVs, each with a 2-octet header
 * type(7 bits) | length(9 bits), up to an End TLV (type 0, length 0) or the
 * end of the ECPDU. lldpad never sends End; sami always does. After End only
 * zero padding may follow.
 *
 * Reading: an iterator (sami_vdp_iter_init + sami_vdp_next) yields every TLV
 * typed and zero-copy; sami_vdp_decode walks a whole PDU, validates every TLV,
 * stores the first SAMI_VDP_MAX_TLVS and returns the first error.
 * Writing: a builder appends TLVs and always closes the PDU with End. All
 * views point into the caller's buffer and are valid while it is. */
#ifndef SAMI_VDP_H
#define SAMI_VDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- TLV types ---- */
#define SAMI_VDP_TLV_END 0u
#define SAMI_VDP_TLV_PREASSOC 1u
#define SAMI_VDP_TLV_PREASSOC_RR 2u /* pre-associate with resource reservation */
#define SAMI_VDP_TLV_ASSOC 3u
#define SAMI_VDP_TLV_DEASSOC 4u
#define SAMI_VDP_TLV_MGRID 5u       /* VSI Manager ID */
#define SAMI_VDP_TLV_ORG 127u       /* organizationally defined */

#define SAMI_VDP_TLV_HDR_LEN 2u
#define SAMI_VDP_TLV_MAX_LEN 511u   /* 9-bit length field */
#define SAMI_VDP_TLV_TYPE_MAX 127u
#define SAMI_VDP_MGRID_LEN 16u
#define SAMI_VDP_VSIID_LEN 16u
#define SAMI_VDP_VSI_FIXED_LEN 25u  /* VSI TLV value without filter entries */
#define SAMI_VDP_ORG_MIN_LEN 4u     /* OUI(3) + subtype(1) */

/* ---- VSI status octet (bit 7 = MSB) ----
 * request  (bit 6 = 0): bit 7 reserved | bit 6 0 | bit 5 S | bit 4 M | bits 3..0 reserved
 * response (bit 6 = 1): bit 7 reserved | bit 6 1 | bit 5 KEEP | bit 4 HARD | bits 3..0 reason */
#define SAMI_VDP_STATUS_RESERVED7 0x80u
#define SAMI_VDP_STATUS_RESPONSE 0x40u
#define SAMI_VDP_STATUS_S 0x20u      /* request: suspended ("migrate from") hint */
#define SAMI_VDP_STATUS_M 0x10u      /* request: migrate-to hint */
#define SAMI_VDP_STATUS_KEEP 0x20u   /* response: keep previous state */
#define SAMI_VDP_STATUS_HARD 0x10u   /* response: hard error */
#define SAMI_VDP_STATUS_REASON_MASK 0x0fu
/* Bits that are reserved in each form. */
#define SAMI_VDP_STATUS_REQ_RESERVED (SAMI_VDP_STATUS_RESERVED7 | SAMI_VDP_STATUS_REASON_MASK)
#define SAMI_VDP_STATUS_RSP_RESERVED SAMI_VDP_STATUS_RESERVED7

/* Response reason codes (6..15 reserved). */
enum sami_vdp_reason {
    SAMI_VDP_REASON_SUCCESS = 0,
    SAMI_VDP_REASON_INVALID_FORMAT = 1,
    SAMI_VDP_REASON_NO_RESOURCES = 2,
    SAMI_VDP_REASON_NO_VSI_MANAGER = 3, /* unable to contact the VSI manager */
    SAMI_VDP_REASON_OTHER = 4,
    SAMI_VDP_REASON_INVALID_ADDR = 5    /* invalid VID, GroupID or MAC */
};

/* VSI ID formats. The codec never looks inside the 16-octet ID; the layouts
 * are what lldpad checks (docs/PROTOCOL.md section 3). */
enum sami_vdp_vsiid_format {
    SAMI_VDP_VSIID_IPV4 = 1,  /* IPv4-mapped IPv6: 10 zero octets, ff ff, address */
    SAMI_VDP_VSIID_IPV6 = 2,
    SAMI_VDP_VSIID_MAC = 3,   /* 10 zero octets + MAC */
    SAMI_VDP_VSIID_LOCAL = 4,
    SAMI_VDP_VSIID_UUID = 5
};

/* Filter info formats; entry sizes in octets in brackets. */
enum sami_vdp_filter_format {
    SAMI_VDP_FILTER_VID = 1,         /* [2]  PS/PCP/VID word */
    SAMI_VDP_FILTER_MAC_VID = 2,     /* [8]  MAC(6) + word */
    SAMI_VDP_FILTER_GROUP_VID = 3,   /* [6]  GroupID(4) + word */
    SAMI_VDP_FILTER_GROUP_MAC_VID = 4 /* [12] GroupID(4) + MAC(6) + word */
};

/* One filter entry. Fields absent from the format are 0. */
struct sami_vdp_filter {
    uint32_t group_id;
    uint8_t mac[6];
    uint8_t ps;   /* 1 bit (bit 15 of the word) */
    uint8_t pcp;  /* 3 bits (14..12) */
    uint16_t vid; /* 12 bits (11..0) */
};

/* VSI TLV (types 1..4).
 * Decoder fills every field; `status` is the raw octet and `reserved` the
 * reserved bits found set (accepted, exposed). Encoder builds the status
 * octet from response/M/S or reason/hard/keep plus `reserved` (ignores
 * `status`), and the entries from `filters` when non-NULL, else copies
 * count * entry-size octets from `entries`. */
struct sami_vdp_vsi {
    uint8_t type;         /* 1..4 (SAMI_VDP_TLV_PREASSOC .. _DEASSOC) */
    uint8_t status;       /* raw status octet (decoder output only) */
    bool response;        /* bit 6 */
    bool migrate_to;      /* request: M */
    bool suspended;       /* request: S */
    uint8_t reason;       /* response: enum sami_vdp_reason (4 bits) */
    bool hard;            /* response: HARD */
    bool keep;            /* response: KEEP */
    uint8_t reserved;     /* reserved status bits (see SAMI_VDP_STATUS_*_RESERVED) */
    uint32_t type_id;     /* 24 bits */
    uint8_t type_ver;
    uint8_t id_format;    /* enum sami_vdp_vsiid_format */
    uint8_t id[SAMI_VDP_VSIID_LEN];
    uint8_t filter_format; /* enum sami_vdp_filter_format */
    uint16_t count;        /* number of filter entries */
    const uint8_t *entries; /* view: count * entry size octets as on the wire */
    const struct sami_vdp_filter *filters; /* encoder input (optional), decoder sets NULL */
};

/* VSI Manager ID TLV (type 5), always 16 octets. lldpad: a NUL-padded
 * string, or an IPv4/IPv6 address form. */
struct sami_vdp_mgrid {
    uint8_t id[SAMI_VDP_MGRID_LEN];
};

/* Organizationally defined TLV (type 127): OUI(3) subtype(1) info. */
struct sami_vdp_org {
    uint32_t oui;        /* 24 bits, e.g. 0x00000c */
    uint8_t subtype;
    const uint8_t *info; /* view; NULL when info_len is 0 */
    size_t info_len;     /* TLV length - 4 (<= 507) */
};

/* One TLV as yielded by the iterator. `value`/`length` are the raw value for
 * every type (the only content of End and of unknown types 6..126). */
struct sami_vdp_tlv {
    uint8_t type;         /* 7 bits */
    uint16_t length;      /* 9 bits: value octets */
    size_t offset;        /* offset of the TLV header in the decoded buffer */
    const uint8_t *value; /* view; NULL when length is 0 */
    union {
        struct sami_vdp_vsi vsi;     /* types 1..4 */
        struct sami_vdp_mgrid mgrid; /* type 5 */
        struct sami_vdp_org org;     /* type 127 */
    } u;
};

/* ---- single TLV ---- */

/* Reads one TLV (header + value) from r and decodes it by type; sets
 * r->tlv_type while inside (restored after). Errors (err offset / what):
 *  SAMI_ERR_TRUNCATED  fewer than 2 octets for the header ("vdp.tlv.header")
 *  SAMI_ERR_LENGTH     length overruns the window (offset of the TLV header,
 *                      "vdp.tlv.length"); End with length != 0, Manager ID
 *                      != 16, VSI < 25 or org < 4 (TLV header offset)
 *  SAMI_ERR_VALUE      VSI ID format 0 or > 5 ("vdp.vsi.id_format"), filter
 *                      format 0 or > 4 ("vdp.vsi.filter_format"), at the field
 *  SAMI_ERR_COUNT      VSI length != 25 + count * entry size (at the count
 *                      field, "vdp.vsi.filter_count")
 * Unknown types 6..126 are returned opaque (value view only). */
int sami_vdp_tlv_read(struct sami_rd *r, struct sami_vdp_tlv *out);

/* Writes one TLV of any type (dispatching on in->type; for VSI types the VSI
 * is written with in->type). Returns 0, or SAMI_ERR_VALUE / SAMI_ERR_INVAL /
 * SAMI_ERR_TOOBIG (value > 511 octets), in which case nothing is written. */
int sami_vdp_tlv_write(struct sami_wr *w, const struct sami_vdp_tlv *in);

/* Encodes one TLV; 0, SAMI_ERR_NOBUFS (*len = needed) or a validation error. */
int sami_vdp_tlv_encode(const struct sami_vdp_tlv *in, uint8_t *buf, size_t cap, size_t *len);

/* Raw TLV header (type masked to 7 bits, length to 9). */
void sami_vdp_tlv_hdr_write(struct sami_wr *w, uint8_t type, uint16_t length);

/* Octets per filter entry for a format, 0 for an unknown format. */
size_t sami_vdp_filter_entry_size(uint8_t filter_format);

/* Entry i of a decoded (or entries-backed) VSI: 0, or SAMI_ERR_INVAL when
 * i >= count or the format is unknown. */
int sami_vdp_get_filter(const struct sami_vdp_vsi *vsi, size_t i, struct sami_vdp_filter *out);

/* Static names for logs/dissectors ("Assoc", "success"); never NULL. */
const char *sami_vdp_tlv_name(uint8_t type);
const char *sami_vdp_reason_name(uint8_t reason);

/* ---- iterator ---- */

struct sami_vdp_iter {
    struct sami_rd r; /* internal */
    int rc;           /* sticky result once finished or failed */
    bool saw_end;     /* an End TLV was yielded */
    size_t end;       /* offset just past the PDU (after End if any) */
    size_t padding;   /* zero octets after End (valid once next returned 0) */
};

/* Iterates buf[0..len); err (may be NULL) gets the first failure with
 * offsets relative to buf. */
void sami_vdp_iter_init(struct sami_vdp_iter *it, const uint8_t *buf, size_t len,
                        struct sami_err *err);

/* Iterates the rest of r's window, keeping r's offsets and err (for a
 * dissector that wants offsets relative to the whole frame). r is not moved. */
void sami_vdp_iter_init_rd(struct sami_vdp_iter *it, const struct sami_rd *r);

/* Returns 1 with *out filled (End is yielded too, as type 0), 0 when the PDU
 * is over (after End and all-zero padding, or at the end of input without
 * End; a lone trailing zero octet counts as padding), or a negative error,
 * repeated by every later call. SAMI_ERR_TRAILING ("vdp.padding", offset of
 * the first nonzero octet) only ever means nonzero octets after a valid End:
 * every TLV before it was fine. */
int sami_vdp_next(struct sami_vdp_iter *it, struct sami_vdp_tlv *out);

/* ---- whole PDU ---- */

#define SAMI_VDP_MAX_TLVS 16

struct sami_vdp {
    struct sami_vdp_tlv tlv[SAMI_VDP_MAX_TLVS]; /* End not included */
    size_t ntlv;        /* entries used in tlv[] */
    size_t total_tlvs;  /* decoder: TLVs before End, may exceed ntlv (all validated) */
    bool no_end;        /* decoder: the PDU had no End (lldpad); encoder: omit End */
    size_t pdu_len;     /* decoder: octets through End (or through the last TLV) */
    size_t padding;     /* decoder: zero octets after the PDU; encoder appends as many */
    bool trailing_nonzero; /* decoder: nonzero octets after End (SAMI_ERR_TRAILING) */
};

/* Decodes and validates a whole ULPDU. Returns 0 or the first error (see
 * sami_vdp_tlv_read and sami_vdp_next). On SAMI_ERR_TRAILING *out is
 * complete and out->trailing_nonzero is set: lenient callers may use it. On
 * other errors *out holds the TLVs before the bad one. */
int sami_vdp_decode(const uint8_t *buf, size_t len, struct sami_vdp *out, struct sami_err *err);

/* Encodes tlv[0..ntlv) + End (unless no_end) + `padding` zero octets. */
int sami_vdp_encode(const struct sami_vdp *in, uint8_t *buf, size_t cap, size_t *len);

/* ---- builder ----
 * Every add returns 0 or a validation error (which becomes sticky and makes
 * finish fail); running out of space is reported only by finish, with the
 * needed length, so a NULL/0 buffer works as a length query. */
struct sami_vdp_builder {
    struct sami_wr w; /* public: write a value between begin_tlv/end_tlv */
    int err;          /* first validation error, sticky */
    bool finished;
    bool open;        /* internal: a begin_tlv awaits its end_tlv */
    uint8_t open_type;
    size_t open_mark;
};

void sami_vdp_builder_init(struct sami_vdp_builder *b, uint8_t *buf, size_t cap);
int sami_vdp_add_tlv(struct sami_vdp_builder *b, const struct sami_vdp_tlv *tlv);
int sami_vdp_add_vsi(struct sami_vdp_builder *b, const struct sami_vdp_vsi *vsi); /* type = vsi->type */
int sami_vdp_add_mgrid(struct sami_vdp_builder *b, const struct sami_vdp_mgrid *m);
int sami_vdp_add_org(struct sami_vdp_builder *b, const struct sami_vdp_org *org);
/* Any non-End type with an opaque value (NULL allowed when len is 0). */
int sami_vdp_add_raw(struct sami_vdp_builder *b, uint8_t type, const uint8_t *value, size_t len);

/* Open-coded TLV: begin writes a header with length 0 and returns its position
 * in *mark; write the value to &b->w; end patches the length
 * (SAMI_ERR_TOOBIG beyond 511, which also becomes sticky). */
int sami_vdp_begin_tlv(struct sami_vdp_builder *b, uint8_t type, size_t *mark);
int sami_vdp_end_tlv(struct sami_vdp_builder *b, size_t mark);

/* Appends End and ends the PDU: 0 with *len, SAMI_ERR_NOBUFS with *len =
 * needed, or the sticky validation error. Later adds return SAMI_ERR_INVAL. */
int sami_vdp_finish(struct sami_vdp_builder *b, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
