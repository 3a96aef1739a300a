/* sami capability TLV: an LLDP org-specific TLV (type 127) through which
 * hypervisors and bridges discover each other's sami support and the
 * bridge's transfer endpoint. OUI configurable (default 0A-53-4D, a
 * placeholder CID), subtype 0x01. Info string:
 *
 *   version(1)=1 | role(1) | DI types(4) | bindings(1) | TCP port(2) |
 *   address family(1) | address(0/4/16) | L2 MAC(6)
 *
 * TLV length = 4 + 16 + address length: 20 (none), 24 (IPv4), 36 (IPv6). */
#ifndef SAMI_SAMICAP_H
#define SAMI_SAMICAP_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"
#include "sami/lldp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_SAMICAP_OUI_DEFAULT 0x0A534Du
#define SAMI_SAMICAP_SUBTYPE 0x01u
#define SAMI_SAMICAP_VERSION 1u
#define SAMI_SAMICAP_FIXED_LEN 16u /* info octets besides the address */

enum sami_samicap_role {
    SAMI_SAMICAP_ROLE_STATION = 1, /* station / hypervisor */
    SAMI_SAMICAP_ROLE_BRIDGE = 2,
    SAMI_SAMICAP_ROLE_BOTH = 3
};

/* bindings bits */
#define SAMI_SAMICAP_BIND_TCP 0x01u
#define SAMI_SAMICAP_BIND_L2 0x02u /* ethertype 0x88B5 */

enum sami_samicap_family {
    SAMI_SAMICAP_AF_NONE = 0,
    SAMI_SAMICAP_AF_IPV4 = 1,
    SAMI_SAMICAP_AF_IPV6 = 2
};

struct sami_samicap {
    uint8_t version;   /* SAMI_SAMICAP_VERSION */
    uint8_t role;      /* SAMI_SAMICAP_ROLE_* */
    uint32_t di_types; /* bit n set = DI type n supported (bit 0 unused) */
    uint8_t bindings;  /* SAMI_SAMICAP_BIND_*; other bits kept as received */
    uint16_t tcp_port; /* transfer TCP port (0 when no TCP binding) */
    uint8_t family;    /* SAMI_SAMICAP_AF_* */
    uint8_t addr[16];  /* first 0/4/16 octets used per family, rest zero */
    uint8_t l2_mac[6]; /* transfer MAC (zeros when no L2 binding) */
};

/* Octets of address for a family: 0, 4, 16, or -1 for an unknown family. */
int sami_samicap_addr_len(unsigned family);

/* Whole-TLV decode (header, OUI, subtype, info; nothing may follow), for the
 * given OUI. 0 or: TRUNCATED; TYPE (not TLV type 127, or subtype not 0x01);
 * OUI (another OUI); VERSION (version != 1); VALUE (role not 1..3, family
 * not 0..2); LENGTH (TLV length != 20 + address length for the family, at
 * the TLV header). */
int sami_samicap_decode(const uint8_t *buf, size_t len, uint32_t oui, struct sami_samicap *out,
                        struct sami_err *err);
/* Same, reading one whole TLV at r (r stays after it). */
int sami_samicap_read(struct sami_rd *r, uint32_t oui, struct sami_samicap *out);
/* Decodes an org TLV view (sami_lldp_iter_next / sami_lldp_get_org); err
 * offsets are those of the enclosing LLDPDU. */
int sami_samicap_from_org(const struct sami_lldp_org *org, uint32_t oui, struct sami_samicap *out,
                          struct sami_err *err);
static inline int sami_samicap_match(const struct sami_lldp_org *org, uint32_t oui)
{
    return org->oui == oui && org->subtype == SAMI_SAMICAP_SUBTYPE;
}

/* 0, SAMI_ERR_VERSION (version != 1), SAMI_ERR_VALUE (role, family) or
 * SAMI_ERR_INVAL (oui > 24 bits). */
int sami_samicap_check(const struct sami_samicap *in, uint32_t oui);
/* Whole TLV. 0, NOBUFS (*len = octets needed), or the sami_samicap_check
 * codes. */
int sami_samicap_encode(const struct sami_samicap *in, uint32_t oui, uint8_t *buf, size_t cap,
                        size_t *len);
/* Writes the whole TLV (no validation; an unknown family writes no address). */
void sami_samicap_write(struct sami_wr *w, uint32_t oui, const struct sami_samicap *in);

/* Static names for dissectors. */
const char *sami_samicap_role_name(unsigned role);     /* "station", "bridge", "both", "unknown" */
const char *sami_samicap_family_name(unsigned family); /* "none", "IPv4", "IPv6", "unknown" */
const char *sami_samicap_binding_name(unsigned bit);   /* bit index: "TCP", "L2", "reserved" */

#ifdef __cplusplus
}
#endif
#endif
