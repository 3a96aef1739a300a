/* sami org-defined TLVs carried in VDP (type 127): migration NOTIFICATION
 * (subtype 0x02, hypervisor -> bridge) and migration FEEDBACK (subtype 0x03,
 * bridge -> hypervisor). See docs/PROTOCOL.md section 4.
 *
 * The codec works on the VALUE of a VDP type-127 TLV, i.e. starting at the
 * OUI; the VDP TLV header (7-bit type, 9-bit length) is the VDP codec's job.
 *
 *   OUI(3) | subtype(1) | fixed header | elements: type(1) length(1) value...
 *
 * The OUI is configurable; every function taking `oui` accepts NULL for the
 * default placeholder 0A-53-4D. The value is at most 511 octets (9-bit VDP
 * length), so at most 507 octets follow OUI + subtype.
 *
 * Decoded structs own no memory: all lists are small fixed arrays bounded by
 * the protocol (16 MAC/VLAN, 8 IPv4, 8 IPv6, 16 DI results) and the bridge
 * references are copied, so a decoded struct outlives its input buffer (the
 * engine keeps it in migration state). */
#ifndef SAMI_SAMITLV_H
#define SAMI_SAMITLV_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/di.h" /* enum sami_di_type: DI type numbers = bitmap bit numbers */
#include "sami/vmid.h" /* struct sami_vm_id (lib/: shared with transfer and store) */
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- shared constants (guarded: the LLDP capability code uses them too) ---- */

#ifndef SAMI_OUI_DEFAULT
/* Placeholder OUI 0A-53-4D (a CID with the local bit set); initializer for a
 * uint8_t[3]. Pass NULL as `oui` to the functions below to mean this value. */
#define SAMI_OUI_DEFAULT {0x0A, 0x53, 0x4D}
#endif
#ifndef SAMI_OUI_DEFAULT_INIT
#define SAMI_OUI_DEFAULT_INIT SAMI_OUI_DEFAULT
#endif

#ifndef SAMI_SUBTYPE_CAPABILITY
#define SAMI_SUBTYPE_CAPABILITY 1u   /* LLDP only */
#endif
#ifndef SAMI_SUBTYPE_NOTIFICATION
#define SAMI_SUBTYPE_NOTIFICATION 2u
#endif
#ifndef SAMI_SUBTYPE_FEEDBACK
#define SAMI_SUBTYPE_FEEDBACK 3u
#endif


/* ---- module constants ---- */

#define SAMI_SAMITLV_VERSION 1u
#define SAMI_SAMITLV_MAX_VALUE 511u  /* 9-bit VDP TLV length */
#define SAMI_SAMITLV_MAX_INFO 507u   /* after OUI(3) + subtype(1) */
#define SAMI_SAMITLV_OUI_LEN 3u
#define SAMI_SAMITLV_NOTIF_FIXED_LEN 28u /* ver..DI types, after OUI+subtype */
#define SAMI_SAMITLV_FB_FIXED_LEN 16u    /* ver..transfer time, after OUI+subtype */

#define SAMI_SAMITLV_MAX_MACS 16u
#define SAMI_SAMITLV_MAX_IPV4 8u
#define SAMI_SAMITLV_MAX_IPV6 8u
#define SAMI_SAMITLV_MAX_RESULTS 16u

#define SAMI_FB_RESULT_LEN 12u
#define SAMI_BRIDGE_REF_MIN_LEN 6u   /* both ids 1 octet */
#define SAMI_SAMITLV_MAX_BRIDGE_LEN 255u /* bridge element: 1-octet element length */

/* Notification element types. */
#define SAMI_SAMITLV_N_VM_ID 1u       /* 21, mandatory */
#define SAMI_SAMITLV_N_MAC_VLAN 2u    /* 8, repeatable (max 16) */
#define SAMI_SAMITLV_N_IPV4 3u        /* 4, repeatable (max 8) */
#define SAMI_SAMITLV_N_IPV6 4u        /* 16, repeatable (max 8) */
#define SAMI_SAMITLV_N_ORIG_BRIDGE 5u /* variable, mandatory */
#define SAMI_SAMITLV_N_DEST_BRIDGE 6u /* variable, mandatory */
#define SAMI_SAMITLV_N_REASON 7u      /* 2, abort reason */

/* Feedback element types. */
#define SAMI_SAMITLV_F_RESULT 1u      /* 12, repeatable (one per DI type) */
#define SAMI_SAMITLV_F_BRIDGE 2u      /* variable, reporting bridge */

/* Notification flags. Other bits are sent as 0; the decoder keeps them as
 * received, the encoder refuses them (SAMI_ERR_VALUE). */
#define SAMI_SAMITLV_FLAG_FEEDBACK_WANTED 0x01u
#define SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE 0x02u /* hypervisor at the original bridge */
#define SAMI_SAMITLV_FLAGS_DEFINED 0x03u

enum sami_tp {
    SAMI_TP_PREPARE = 1,
    SAMI_TP_SUSPENDED = 2,
    SAMI_TP_RESUMED = 3,
    SAMI_TP_COMPLETED = 4,
    SAMI_TP_ABORTED = 5
};

enum sami_verdict {
    SAMI_VERDICT_PENDING = 0,  /* acknowledges a time point, no decision yet */
    SAMI_VERDICT_PROCEED = 1,
    SAMI_VERDICT_ROLLBACK = 2
};

/* Per-DI-type result status (feedback element 1, transfer STATUS/TYPE RESULT). */
enum sami_di_status {
    SAMI_DI_STATUS_OK = 0,
    SAMI_DI_STATUS_PARTIAL = 1,
    SAMI_DI_STATUS_FAILED = 2,
    SAMI_DI_STATUS_UNSUPPORTED = 3,
    SAMI_DI_STATUS_TIMEOUT = 4
};

/* Per-DI-type result reason (u16 on the wire; other values are passed through). */
enum sami_fb_reason {
    SAMI_FB_REASON_NONE = 0,
    SAMI_FB_REASON_LIMIT = 1,        /* limit reached */
    SAMI_FB_REASON_AUTH = 2,         /* auth failure */
    SAMI_FB_REASON_UNREACHABLE = 3,  /* peer unreachable */
    SAMI_FB_REASON_REJECTED = 4,     /* rejected by destination (unsolicited) */
    SAMI_FB_REASON_DIGEST = 5,       /* digest mismatch */
    SAMI_FB_REASON_DEADLINE = 6,     /* deadline missed */
    SAMI_FB_REASON_ABORTED = 7,
    SAMI_FB_REASON_VERSION = 8,      /* unsupported version */
    SAMI_FB_REASON_INTERNAL = 9
};

/* Notification element 7 (u16 on the wire; other values are passed through). */
enum sami_abort_reason {
    SAMI_ABORT_OPERATOR = 1,
    SAMI_ABORT_HV_ERROR = 2,         /* hypervisor error */
    SAMI_ABORT_ROLLBACK = 3,         /* DI feedback said rollback */
    SAMI_ABORT_TIMEOUT = 4,
    SAMI_ABORT_OTHER = 5
};

/* ---- shared pieces (reused by the transfer and LLDP code) ---- */

/* A bridge port: LLDP chassis id + port id, each subtype + 1..255 octets.
 * Subtypes are 802.1AB values (chassis 4 = MAC; port 3 = MAC, 5 = ifname,
 * 7 = local) and are not checked here. Wire form:
 *   chassis subtype(1) | chassis len(1) | chassis id | port subtype(1) | port len(1) | port id */
struct sami_bridge_ref {
    uint8_t chassis_id_subtype;
    uint8_t chassis_id_len;      /* 1..255 */
    uint8_t chassis_id[255];
    uint8_t port_id_subtype;
    uint8_t port_id_len;         /* 1..255 */
    uint8_t port_id[255];
};

/* One MAC/VLAN filter (notification element 2): MAC(6) + PS/PCP/VID word(2). */
struct sami_samitlv_mac_vlan {
    uint8_t mac[6];
    uint16_t word;               /* PS bit 15 | PCP bits 14..12 | VID bits 11..0 */
};

/* One per-DI-type result (feedback element 1, transfer TYPE RESULT):
 * DI type(1) | status(1) | reason(2) | records sent(4) | records installed(4). */
struct sami_fb_result {
    uint8_t di_type;             /* 1..255 (enum sami_di_type); 0 is invalid */
    uint8_t status;              /* enum sami_di_status, 0..4 */
    uint16_t reason;             /* enum sami_fb_reason */
    uint32_t records_sent;
    uint32_t records_installed;
};

/* Reads a bridge reference that fills r's whole remaining window (it always
 * sits in a length-delimited element). Every disagreement is SAMI_ERR_LENGTH:
 * window under 6 octets (at the window start); chassis id length 0 or leaving
 * under 3 octets for the port id (at the chassis id length octet); port id
 * length 0 or not exactly the rest of the window (at the port id length octet). */
int sami_bridge_ref_read(struct sami_rd *r, struct sami_bridge_ref *out);
/* Writes it (lengths as stored; sami_bridge_ref_check first). */
void sami_bridge_ref_write(struct sami_wr *w, const struct sami_bridge_ref *in);
/* 0, or SAMI_ERR_VALUE when an id length is 0. */
int sami_bridge_ref_check(const struct sami_bridge_ref *in);
/* Wire size: 4 + chassis_id_len + port_id_len. */
size_t sami_bridge_ref_size(const struct sami_bridge_ref *in);
/* 1 when subtypes, lengths and id bytes are equal (unused array tails ignored). */
int sami_bridge_ref_equal(const struct sami_bridge_ref *a, const struct sami_bridge_ref *b);

/* Reads / writes the 12-octet per-DI-type result. Read errors: TRUNCATED,
 * VALUE (DI type 0, "samitlv.result.di_type"; status > 4, "samitlv.result.status"). */
int sami_fb_result_read(struct sami_rd *r, struct sami_fb_result *out);
void sami_fb_result_write(struct sami_wr *w, const struct sami_fb_result *in);

/* ---- notification (subtype 0x02) ---- */

struct sami_notif {
    uint8_t version;             /* decode: 1; encode: 0 or 1 (both send 1) */
    uint8_t time_point;          /* enum sami_tp */
    uint8_t flags;               /* SAMI_SAMITLV_FLAG_* */
    uint64_t migration_id;
    uint64_t timestamp_ms;       /* sender clock, ms since the Unix epoch */
    uint32_t next_deadline_ms;   /* after timestamp; 0 = none */
    uint32_t di_types;           /* bitmap: bit n = DI type n; bit 0 unused */
    struct sami_vm_id vm;        /* mandatory */
    uint8_t n_macs;
    struct sami_samitlv_mac_vlan macs[SAMI_SAMITLV_MAX_MACS];
    uint8_t n_ipv4;
    uint8_t ipv4[SAMI_SAMITLV_MAX_IPV4][4];
    uint8_t n_ipv6;
    uint8_t ipv6[SAMI_SAMITLV_MAX_IPV6][16];
    struct sami_bridge_ref orig_bridge; /* mandatory */
    struct sami_bridge_ref dest_bridge; /* mandatory */
    uint8_t has_reason;          /* element 7 present */
    uint16_t reason;             /* enum sami_abort_reason, when has_reason */
    unsigned unknown_elements;   /* decode: elements of unknown type skipped */
};

/* Decodes a notification value (OUI onwards). oui NULL = default.
 * Errors (err->what names the field, err->tlv_type is 127):
 *  TRUNCATED  value ends inside the OUI, subtype, fixed header or an element header
 *  TOOBIG     len > 511; a 17th MAC/VLAN, 9th IPv4 or 9th IPv6 element
 *  OUI        another OUI (offset 0);  TYPE  another subtype (offset 3)
 *  VERSION    version != 1;  VALUE  time point not 1..5
 *  LENGTH     element overruns the value, or its length is wrong for its type,
 *             or a bridge id length is 0 / overruns its element
 *  DUPLICATE  a second VM identity, original/destination bridge or reason
 *  MISSING    no VM identity, original bridge or destination bridge (offset len)
 * Elements may come in any order; unknown types are skipped and counted. */
int sami_samitlv_notif_decode(const uint8_t *value, size_t len, const uint8_t oui[3],
                              struct sami_notif *out, struct sami_err *err);
/* The same on a reader whose whole remaining window is the value. */
int sami_samitlv_notif_read(struct sami_rd *r, const uint8_t oui[3], struct sami_notif *out);

/* 0, or why `in` cannot be encoded: VERSION (not 0/1), VALUE (time point,
 * undefined flag bits, DI bitmap bit 0, type id > 24 bits, empty bridge id,
 * bridge element over 255 octets, i.e. chassis + port id lengths over 251),
 * TOOBIG (a list count above its maximum, or more than 507 octets after the
 * OUI + subtype). */
int sami_samitlv_notif_check(const struct sami_notif *in);
/* Value size in octets (OUI onwards) for a struct that passes the check. */
size_t sami_samitlv_notif_size(const struct sami_notif *in);
/* Writes the value (OUI onwards); elements in type order. Assumes the check
 * passed (list counts are clamped to their arrays regardless). */
void sami_samitlv_notif_write(struct sami_wr *w, const uint8_t oui[3],
                               const struct sami_notif *in);
/* Check + write: 0 with *len, SAMI_ERR_NOBUFS with *len = bytes needed
 * (buf NULL, cap 0 = length query), or the check's error. */
int sami_samitlv_notif_encode(const struct sami_notif *in, const uint8_t oui[3], uint8_t *buf,
                              size_t cap, size_t *len);

/* ---- feedback (subtype 0x03) ---- */

struct sami_feedback {
    uint8_t version;             /* decode: 1; encode: 0 or 1 (both send 1) */
    uint8_t verdict;             /* enum sami_verdict */
    uint8_t time_point;          /* time point answered, enum sami_tp */
    uint8_t flags;               /* none defined: decoder keeps, encoder wants 0 */
    uint64_t migration_id;
    uint32_t transfer_time_us;   /* SUSPENDED received -> destination install confirmed */
    uint8_t n_results;
    struct sami_fb_result results[SAMI_SAMITLV_MAX_RESULTS]; /* distinct DI types */
    uint8_t has_bridge;          /* element 2 present */
    struct sami_bridge_ref bridge; /* the reporting bridge */
    unsigned unknown_elements;
};

/* Decodes a feedback value (OUI onwards). Errors as for the notification,
 * plus: VALUE (verdict not 0..2, time point not 1..5, result DI type 0 or
 * status > 4), DUPLICATE (a second result for one DI type, a second bridge),
 * TOOBIG (a 17th result). Nothing is mandatory after the fixed header. */
int sami_samitlv_feedback_decode(const uint8_t *value, size_t len, const uint8_t oui[3],
                                 struct sami_feedback *out, struct sami_err *err);
int sami_samitlv_feedback_read(struct sami_rd *r, const uint8_t oui[3],
                               struct sami_feedback *out);

/* 0 or VERSION / VALUE (verdict, time point, flags, result DI type/status,
 * empty bridge id, bridge over 255 octets) / DUPLICATE (DI type twice) /
 * TOOBIG (n_results > 16 or more than 507 octets after OUI + subtype). */
int sami_samitlv_feedback_check(const struct sami_feedback *in);
size_t sami_samitlv_feedback_size(const struct sami_feedback *in);
void sami_samitlv_feedback_write(struct sami_wr *w, const uint8_t oui[3],
                                  const struct sami_feedback *in);
int sami_samitlv_feedback_encode(const struct sami_feedback *in, const uint8_t oui[3],
                                 uint8_t *buf, size_t cap, size_t *len);

/* ---- helpers for dissectors ---- */

/* Checks the OUI and returns the subtype without decoding further.
 * Errors: TRUNCATED (len < 4), OUI (another OUI). */
int sami_samitlv_peek_subtype(const uint8_t *value, size_t len, const uint8_t oui[3],
                              uint8_t *subtype, struct sami_err *err);

/* Static names ("PREPARE", "PROCEED", "TIMEOUT", ...); "UNKNOWN" otherwise. */
const char *sami_tp_name(int tp);
const char *sami_verdict_name(int verdict);
const char *sami_di_status_name(int status);
const char *sami_fb_reason_name(int reason);
const char *sami_abort_reason_name(int reason);

#ifdef __cplusplus
}
#endif
#endif
