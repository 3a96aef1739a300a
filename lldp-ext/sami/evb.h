/* IEEE 802.1Qbg-2012 EVB TLV: LLDP org-specific TLV, OUI 00-80-C2, subtype
 * 0x0D, TLV length 9 (OUI 3 + subtype 1 + 5 octets):
 *
 *   octet 0 bridge status : bits 7..3 reserved | BGID(2) | RRCAP(1) | RRCTR(0)
 *   octet 1 station status: bits 7..4 reserved | SGID(3) | RRREQ(2) | RRSTAT(1..0)
 *   octet 2               : R(7..5) | RTE(4..0)
 *   octet 3               : EVB mode(7..6) | ROL(5) | RWD(4..0)
 *   octet 4               : reserved(7..6) | ROL(5) | RKA(4..0)
 *
 * Timers are exponents: ECP ack timeout = 10 us * 2^RTE, resource wait delay =
 * 10 us * 2^RWD, reinit keep-alive = 10 us * 2^RKA (see sami_evb_time_us).
 * lldpad 1.1 defaults: R 3, RTE 8, RWD 20, RKA 20. */
#ifndef SAMI_EVB_H
#define SAMI_EVB_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"
#include "sami/lldp.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_EVB_OUI SAMI_LLDP_OUI_IEEE_8021
#define SAMI_EVB_SUBTYPE 0x0Du
#define SAMI_EVB_INFO_LEN 5u /* octets after OUI + subtype */
#define SAMI_EVB_TLV_LEN 9u  /* TLV length field value */
#define SAMI_EVB_WIRE_LEN 11u /* whole TLV including its 2-octet header */

enum sami_evb_mode {
    SAMI_EVB_MODE_NONE = 0,    /* EVB not supported */
    SAMI_EVB_MODE_BRIDGE = 1,  /* EVB bridge */
    SAMI_EVB_MODE_STATION = 2, /* EVB station */
    SAMI_EVB_MODE_RESERVED = 3
};

/* Station reflective relay status (2 bits). */
enum sami_evb_rrstat {
    SAMI_EVB_RRSTAT_NO = 0,    /* reflective relay not enabled */
    SAMI_EVB_RRSTAT_YES = 1,   /* reflective relay enabled */
    SAMI_EVB_RRSTAT_RSVD = 2,  /* reserved */
    SAMI_EVB_RRSTAT_UNKNOWN = 3 /* not yet known (lldpad sends it before hearing the bridge) */
};

/* Decoded EVB TLV. Flags are 0/1. Reserved bits are ignored on decode and
 * sent as zero. */
struct sami_evb {
    /* bridge status */
    uint8_t bgid;  /* bridge supports group ID */
    uint8_t rrcap; /* bridge reflective relay capable */
    uint8_t rrctr; /* bridge reflective relay control (enabled for this port) */
    /* station status */
    uint8_t sgid;   /* station supports group ID */
    uint8_t rrreq;  /* station requests reflective relay */
    uint8_t rrstat; /* SAMI_EVB_RRSTAT_* */
    uint8_t r;      /* ECP max retries 0..7 */
    uint8_t rte;    /* ECP retransmission exponent 0..31 */
    uint8_t mode;   /* SAMI_EVB_MODE_* */
    uint8_t rol_rwd; /* 1: rwd is the remote (peer's) value, 0: local */
    uint8_t rwd;     /* resource wait delay exponent 0..31 */
    uint8_t rol_rka; /* 1: rka is the remote (peer's) value, 0: local */
    uint8_t rka;     /* reinit keep-alive exponent 0..31 */
};

/* Whole-TLV decode (header, OUI, subtype, 5 octets; nothing may follow).
 * 0 or: TRUNCATED, TYPE (not TLV type 127, or subtype not 0x0D), OUI (not
 * 00-80-C2), LENGTH (TLV length not 9, at the TLV header). */
int sami_evb_decode(const uint8_t *buf, size_t len, struct sami_evb *out, struct sami_err *err);
/* Same, reading one whole TLV at r (r stays after it). */
int sami_evb_read(struct sami_rd *r, struct sami_evb *out);
/* Decodes an org TLV view from sami_lldp_iter_next / sami_lldp_get_org;
 * offsets in err are those of the enclosing LLDPDU. */
int sami_evb_from_org(const struct sami_lldp_org *org, struct sami_evb *out, struct sami_err *err);
/* Is this org TLV an EVB TLV (by OUI and subtype only)? */
static inline int sami_evb_match(const struct sami_lldp_org *org)
{
    return org->oui == SAMI_EVB_OUI && org->subtype == SAMI_EVB_SUBTYPE;
}

/* 0, or SAMI_ERR_VALUE when a field exceeds its bit width. */
int sami_evb_check(const struct sami_evb *in);
/* Whole TLV, 11 octets. 0, NOBUFS (*len = 11), or VALUE (sami_evb_check). */
int sami_evb_encode(const struct sami_evb *in, uint8_t *buf, size_t cap, size_t *len);
/* Writes the whole TLV (fields masked to their widths, no validation). */
void sami_evb_write(struct sami_wr *w, const struct sami_evb *in);
/* Packs / unpacks just the 5 info octets (e.g. for sami_lldp_tx.org). */
void sami_evb_pack(const struct sami_evb *in, uint8_t out[SAMI_EVB_INFO_LEN]);
void sami_evb_unpack(const uint8_t in[SAMI_EVB_INFO_LEN], struct sami_evb *out);

/* The negotiation rule (lldpad's and the engine's): out = local, with R, RTE,
 * RWD and RKA each the larger of local and remote. ROL(RWD)/ROL(RKA) are set
 * to 1 when the remote value was taken (remote >= local, as lldpad does),
 * else 0. Pure; out may alias local. 0, or SAMI_ERR_INVAL for NULL. */
int sami_evb_negotiate(const struct sami_evb *local, const struct sami_evb *remote,
                       struct sami_evb *out);

/* 10 us * 2^exp, in microseconds (exp 0..31; larger exps are clamped to 31). */
uint64_t sami_evb_time_us(unsigned exp);

/* Static names for dissectors. */
/* "not supported", "EVB bridge", "EVB station", "reserved" */
const char *sami_evb_mode_name(unsigned mode);
/* "not enabled", "enabled", "reserved", "unknown" */
const char *sami_evb_rrstat_name(unsigned rrstat);

#ifdef __cplusplus
}
#endif
#endif
