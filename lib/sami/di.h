/* DI (dynamic information) records: the per-VM state a bridge hands over on
 * a migration (DHCP/DHCPv6/ND snooping, 802.1X sessions, dynamic ACLs,
 * IGMP/MLD snooping, counters, firewall sessions).
 *
 * A record travels as the value of transfer element 0x0100|type:
 *   version(1) | op(1) | type-specific fields          (docs/PROTOCOL.md section 7)
 * The type itself is not part of the value (it is the element type), so the
 * decoders take it as a parameter. Every time is u32 ms: "remaining" fields
 * are relative to the sender's snapshot (SAMI_DI_INFINITE = never expires),
 * "age" fields count back from it; sami_di_rebase() moves both by the time
 * that passed in transit.
 *
 * Decoded records own no memory (strings are copied into fixed arrays), so a
 * struct sami_di_record can be kept as an in-memory store entry. */
#ifndef SAMI_DI_H
#define SAMI_DI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sami_di_type {
    SAMI_DI_DHCP = 1, /* DHCP snooping (IPv4) */
    SAMI_DI_DHCPV6,   /* DHCPv6 snooping */
    SAMI_DI_ND,       /* IPv6 ND snooping */
    SAMI_DI_DOT1X,    /* 802.1X session */
    SAMI_DI_ACL,      /* dynamic ACL */
    SAMI_DI_IGMP,     /* IGMP / MLD snooping */
    SAMI_DI_COUNTERS, /* rate / cumulative counters */
    SAMI_DI_FIREWALL, /* firewall session, optional NAT mapping */
    SAMI_DI_TYPE_MAX = 8
};
#define SAMI_DI_TYPES_DEFINED 1

/* Bitmap of DI types as in capability/notification fields (bit n = type n). */
#define SAMI_DI_TYPE_BIT(t) (UINT32_C(1) << (t))
#define SAMI_DI_ALL_TYPES UINT32_C(0x000001FE)

/* Current record version of each type (a version bump = a new layout). */
#define SAMI_DI_DHCP_VERSION 1
#define SAMI_DI_DHCPV6_VERSION 1
#define SAMI_DI_ND_VERSION 1
#define SAMI_DI_DOT1X_VERSION 1
#define SAMI_DI_ACL_VERSION 1
#define SAMI_DI_IGMP_VERSION 1
#define SAMI_DI_COUNTERS_VERSION 1
#define SAMI_DI_FIREWALL_VERSION 1

/* Transfer element type carrying a record of DI type t. */
#define SAMI_DI_ELEMENT_TYPE(t) (0x0100u | (unsigned)(t))

#define SAMI_DI_INFINITE UINT32_C(0xFFFFFFFF) /* remaining time that never runs out */
#define SAMI_DI_STR_MAX 253                   /* max octets of one string field */
#define SAMI_DI_VLAN_MAX 4095                 /* VLAN fields: 12-bit VID, 0 = none */

/* Encoded value sizes (version and op included). */
#define SAMI_DI_DHCP_LEN 18
#define SAMI_DI_DHCPV6_LEN 34
#define SAMI_DI_ND_LEN 31
#define SAMI_DI_DOT1X_MIN_LEN 23 /* plus the three strings */
#define SAMI_DI_DOT1X_MAX_LEN (SAMI_DI_DOT1X_MIN_LEN + 3 * SAMI_DI_STR_MAX)
#define SAMI_DI_ACL_LEN 68
#define SAMI_DI_IGMP_LEN 42
#define SAMI_DI_COUNTERS_LEN 40
#define SAMI_DI_FIREWALL_LEN 56     /* without NAT */
#define SAMI_DI_FIREWALL_NAT_LEN 92 /* with NAT */
#define SAMI_DI_MAX_LEN SAMI_DI_DOT1X_MAX_LEN

enum sami_di_op {
    SAMI_DI_OP_UPSERT = 1, /* install or replace the entry with this key */
    SAMI_DI_OP_DELETE = 2  /* remove the entry with this key (full layout still sent) */
};

/* Address families (IGMP/MLD, firewall): the IP version number. */
#define SAMI_DI_FAMILY_IPV4 4
#define SAMI_DI_FAMILY_IPV6 6

enum sami_di_nd_state {
    SAMI_DI_ND_TENTATIVE = 1,
    SAMI_DI_ND_VALID = 2,
    SAMI_DI_ND_TESTING = 3,
    SAMI_DI_ND_STALE = 4
};

enum sami_di_acl_action {
    SAMI_DI_ACL_PERMIT = 1,
    SAMI_DI_ACL_DENY = 2,
    SAMI_DI_ACL_RATE_LIMIT = 3
};

enum sami_di_acl_origin {
    SAMI_DI_ACL_RADIUS = 1,
    SAMI_DI_ACL_FLOOD_BLACKLIST = 2,
    SAMI_DI_ACL_IDS = 3,
    SAMI_DI_ACL_FIREWALL = 4,
    SAMI_DI_ACL_OTHER = 5
};

#define SAMI_DI_ACL_F_MATCH_VLAN 0x01
#define SAMI_DI_ACL_F_MATCH_MAC 0x02
#define SAMI_DI_ACL_F_ALL 0x03 /* other flag bits are reserved (must be 0) */

enum sami_di_igmp_mode {
    SAMI_DI_IGMP_INCLUDE = 1,
    SAMI_DI_IGMP_EXCLUDE = 2
};

enum sami_di_direction {
    SAMI_DI_DIR_IN = 1,
    SAMI_DI_DIR_OUT = 2
};

enum sami_di_fw_state {
    /* TCP (protocol 6) */
    SAMI_DI_FW_SYN_SENT = 1,
    SAMI_DI_FW_SYN_RECV = 2,
    SAMI_DI_FW_ESTABLISHED = 3,
    SAMI_DI_FW_FIN_WAIT = 4,
    SAMI_DI_FW_CLOSE_WAIT = 5,
    SAMI_DI_FW_TIME_WAIT = 6,
    SAMI_DI_FW_CLOSED = 7,
    /* any other protocol */
    SAMI_DI_FW_NEW = 8,
    SAMI_DI_FW_ASSURED = 9
};

#define SAMI_DI_FW_F_NAT 0x01
#define SAMI_DI_FW_F_ALL 0x01 /* other flag bits are reserved (must be 0) */

/* Addresses named "addr16" hold IPv6, or IPv4 as ::ffff:a.b.c.d. */

struct sami_di_dhcp { /* key: ipv4 + vlan */
    uint32_t lease_remaining_ms;
    uint16_t vlan;
    uint8_t mac[6];
    uint8_t ipv4[4];
};

struct sami_di_dhcpv6 { /* key: ipv6 + vlan + iaid */
    uint32_t lease_remaining_ms;
    uint32_t iaid;
    uint16_t vlan;
    uint8_t mac[6];
    uint8_t ipv6[16];
};

struct sami_di_nd { /* key: ipv6 + vlan */
    uint32_t lifetime_remaining_ms;
    uint16_t vlan;
    uint8_t mac[6];
    uint8_t ipv6[16];
    uint8_t state; /* enum sami_di_nd_state */
};

struct sami_di_dot1x { /* key: mac */
    uint32_t session_remaining_ms;
    uint32_t reauth_remaining_ms;
    uint16_t vlan;      /* assigned VLAN, 0 = none */
    uint8_t mac[6];     /* supplicant */
    uint8_t authorized; /* 0 or 1 */
    uint8_t eap_method; /* IANA EAP method type, 0 = none (e.g. MAC auth bypass) */
    /* Strings: *_len octets, UTF-8 without NUL; the decoder also stores a
     * terminating NUL so they print as C strings. The encoder reads only
     * *_len octets. */
    uint8_t session_id_len;
    uint8_t identity_len;
    uint8_t filter_id_len;
    char session_id[SAMI_DI_STR_MAX + 1];
    char identity[SAMI_DI_STR_MAX + 1];
    char filter_id[SAMI_DI_STR_MAX + 1]; /* filter id / downloaded ACL name */
};

struct sami_di_acl { /* key: rule_id */
    uint32_t rule_id;
    uint32_t rate_kbps; /* used with SAMI_DI_ACL_RATE_LIMIT */
    uint32_t lifetime_remaining_ms;
    uint16_t src_port_lo, src_port_hi; /* inclusive; 0..65535 = any */
    uint16_t dst_port_lo, dst_port_hi;
    uint16_t vlan;  /* matched when flags & SAMI_DI_ACL_F_MATCH_VLAN */
    uint8_t mac[6]; /* matched when flags & SAMI_DI_ACL_F_MATCH_MAC */
    uint8_t src[16]; /* addr16 */
    uint8_t dst[16]; /* addr16 */
    uint8_t action;  /* enum sami_di_acl_action */
    uint8_t origin;  /* enum sami_di_acl_origin */
    uint8_t protocol; /* IP protocol number, 0 = any */
    uint8_t flags;    /* SAMI_DI_ACL_F_* */
    uint8_t src_prefix_len; /* 0..128, over the 128-bit addr16 (IPv4 /24 = 120) */
    uint8_t dst_prefix_len;
};

struct sami_di_igmp { /* key: family + vlan + group + source */
    uint32_t timer_remaining_ms;
    uint16_t vlan;
    uint8_t family;      /* 4 = IGMP, 6 = MLD */
    uint8_t filter_mode; /* enum sami_di_igmp_mode */
    uint8_t group[16];   /* addr16, a multicast address of the family */
    uint8_t source[16];  /* addr16, all-zero = any source (ASM) */
};

struct sami_di_counters { /* key: direction (one record per direction per VM) */
    uint64_t packets;
    uint64_t bytes;
    uint64_t rate_bps;   /* measured rate, bit/s */
    uint32_t syn_count;  /* TCP SYNs seen within the window */
    uint32_t window_ms;  /* measurement window */
    uint32_t rate_pps;   /* measured rate, packets/s */
    uint8_t direction;   /* enum sami_di_direction, as seen from the VM */
};

struct sami_di_firewall { /* key: family + protocol + src/dst addr + ports + vlan */
    uint32_t created_age_ms;    /* session created this long before the snapshot */
    uint32_t last_heard_age_ms; /* last packet this long before the snapshot */
    uint32_t expiry_remaining_ms;
    uint16_t vlan;
    uint16_t src_port, dst_port;
    uint16_t nat_src_port, nat_dst_port; /* only with SAMI_DI_FW_F_NAT */
    uint8_t family;   /* 4 or 6; src/dst are ::ffff:-mapped for 4 */
    uint8_t protocol; /* IP protocol number */
    uint8_t state;    /* enum sami_di_fw_state (1..7 for TCP, 8..9 otherwise) */
    uint8_t flags;    /* SAMI_DI_FW_F_* */
    uint8_t src[16], dst[16];         /* addr16 */
    uint8_t nat_src[16], nat_dst[16]; /* addr16, translated; only with NAT */
};

/* A record of any type. type selects the union member; version is the record
 * version (decoders accept only the current one; encoders write it and refuse
 * anything else). */
struct sami_di_record {
    uint8_t type;    /* enum sami_di_type */
    uint8_t version; /* SAMI_DI_*_VERSION */
    uint8_t op;      /* enum sami_di_op */
    union {
        struct sami_di_dhcp dhcp;
        struct sami_di_dhcpv6 dhcpv6;
        struct sami_di_nd nd;
        struct sami_di_dot1x dot1x;
        struct sami_di_acl acl;
        struct sami_di_igmp igmp;
        struct sami_di_counters counters;
        struct sami_di_firewall firewall;
    } u;
};

/* Names for dissectors and JSON: lower-case, static, "unknown" when out of
 * range. */
const char *sami_di_type_name(unsigned type);
const char *sami_di_op_name(unsigned op);
const char *sami_di_family_name(unsigned family);          /* "ipv4", "ipv6" */
const char *sami_di_nd_state_name(unsigned state);         /* "tentative", ... */
const char *sami_di_acl_action_name(unsigned action);      /* "permit", "deny", "rate_limit" */
const char *sami_di_acl_origin_name(unsigned origin);      /* "radius", "flood_blacklist", ... */
const char *sami_di_igmp_mode_name(unsigned mode);         /* "include", "exclude" */
const char *sami_di_direction_name(unsigned direction);    /* "in", "out" */
const char *sami_di_fw_state_name(unsigned state);         /* "syn_sent", ..., "assured" */
const char *sami_di_eap_method_name(unsigned method);      /* "none", "tls", "peap", ... */

/* Current version of a type, 0 for an unknown type. */
uint8_t sami_di_current_version(unsigned type);

/* Decodes the element value of a type-`type` record (value = version, op,
 * fields). The value length must be exactly what the record's layout says
 * (SAMI_ERR_LENGTH if short or long, and for a string longer than
 * SAMI_DI_STR_MAX or overrunning the value). Unknown type: SAMI_ERR_TYPE;
 * unknown version: SAMI_ERR_VERSION (callers skip such elements by their
 * outer length and count them); op or an enumerated/reserved field out of
 * range: SAMI_ERR_VALUE. err offsets are relative to value. */
int sami_di_decode(uint8_t type, const uint8_t *value, size_t len, struct sami_di_record *out,
                   struct sami_err *err);

/* As sami_di_decode, reading the next len bytes of r (offsets relative to r's
 * top-level buffer; r->tlv_type is SAMI_DI_ELEMENT_TYPE(type) in reports).
 * If len fits in r, r advances past those len bytes whether or not the record
 * decodes, so a caller can count a failure and go on with the next element;
 * a len overrunning r is SAMI_ERR_LENGTH and r does not move. */
int sami_di_read(struct sami_rd *r, uint8_t type, size_t len, struct sami_di_record *out);

/* Checks that a record can be encoded: SAMI_ERR_INVAL (NULL), SAMI_ERR_TYPE,
 * SAMI_ERR_VERSION or SAMI_ERR_VALUE (the same rules as the decoder). */
int sami_di_validate(const struct sami_di_record *rec);

/* Encoded value length of a valid record (0 for an unknown type). */
size_t sami_di_encoded_len(const struct sami_di_record *rec);

/* Encodes the element value (not the element header: the element type is
 * SAMI_DI_ELEMENT_TYPE(in->type)). 0 and *len written; SAMI_ERR_NOBUFS with
 * *len = bytes needed (buf NULL, cap 0 = length query); or the
 * sami_di_validate() error, with nothing written. */
int sami_di_encode(const struct sami_di_record *in, uint8_t *buf, size_t cap, size_t *len);

/* Writes the element value of a record that passed sami_di_validate() (an
 * invalid record writes garbage but never reads past its struct; an unknown
 * type writes nothing). */
void sami_di_write(struct sami_wr *w, const struct sami_di_record *in);

/* Whether a and b are the same entry (same type and equal key fields; see
 * each struct). The op and non-key fields do not matter. */
bool sami_di_key_equal(const struct sami_di_record *a, const struct sami_di_record *b);

/* FNV-1a-64 over the type and the key fields in wire byte order: equal keys
 * hash equally on every platform. 0 for an unknown type. */
uint64_t sami_di_key_hash(const struct sami_di_record *rec);

/* Moves a record received elapsed_ms after its snapshot to "now": every
 * remaining time drops by elapsed_ms (saturating at 0; SAMI_DI_INFINITE
 * stays), every age grows by it (saturating at 0xFFFFFFFF). */
void sami_di_rebase(struct sami_di_record *rec, uint32_t elapsed_ms);

#ifdef __cplusplus
}
#endif
#endif
