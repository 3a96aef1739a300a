/* VDP station state machine (IEEE 802.1Qbg-2012 clause 41), sans-I/O.
 *
 * The hypervisor side of VDP on one port: it asks the adjacent bridge to
 * PreAssoc / PreAssoc-RR / Assoc / DeAssoc VSIs, waits for each response,
 * refreshes agreed VSIs with keep-alives, and hears bridge-initiated
 * de-associates. It owns its ECP engine (embedded), so one object is the
 * whole port: feed it frames, ask its deadline, run it.
 *
 * Every PDU it sends is Manager ID, then (optionally) one VSI TLV, then the
 * caller's org TLVs (raw encoded type-127 TLVs, e.g. sami notifications),
 * then End. Org TLVs the bridge sends (on responses or standalone) go to
 * cb.org.
 *
 * This header also holds what the bridge shares (sami_vdp_sm_*): timer
 * parameters and their formulas, and a fixed-size VSI record.
 * See docs/ENGINES-VDP.md. */
#ifndef SAMI_VDP_STATION_H
#define SAMI_VDP_STATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/ecp_engine.h"
#include "sami/dlheap.h"
#include "sami/error.h"
#include "sami/evb.h"
#include "sami/types.h"
#include "sami/vdp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== shared by station and bridge ==== */

/* EVB timer exponents (802.1Qbg-2012 clause 41.5.5, 43.3.6). Defaults are
 * lldpad 1.1's: R 3, RTE 8, RWD 20, RKA 20. */
struct sami_vdp_sm_params {
    uint8_t r;   /* ECP max retries 0..7 */
    uint8_t rte; /* ECP ack timer: 10 us * 2^rte, 0..31 */
    uint8_t rwd; /* resource wait delay: 10 us * 2^rwd, 0..31 */
    uint8_t rka; /* reinit keep-alive: 10 us * 2^rka, 0..31 */
};

void sami_vdp_sm_params_default(struct sami_vdp_sm_params *p);
/* 0 or SAMI_ERR_VALUE (a field above its width). */
int sami_vdp_sm_params_check(const struct sami_vdp_sm_params *p);
/* The ECP engine configuration both VDP roles run on: their MAC, the
 * destination, R and RTE from the VDP parameters, the duplicate window. */
void sami_vdp_sm_ecp_config(struct sami_ecp_engine_config *ec, const uint8_t mac[6],
                            const uint8_t dst[6], const struct sami_vdp_sm_params *p,
                            sami_usec_t dup_window_us);
/* Shared by the station and the bridge (one copy in firmware that links
 * both): a config's ECP group address and default timers; params checked,
 * applied to the ECP engine and stored in *cur; EVB negotiated, then the same. */
void sami_vdp_sm_config_default(uint8_t dst[6], struct sami_vdp_sm_params *params);
int sami_vdp_sm_set_params(struct sami_ecp_engine *ecp, struct sami_vdp_sm_params *cur,
                           const struct sami_vdp_sm_params *p);
int sami_vdp_sm_set_evb(struct sami_ecp_engine *ecp, struct sami_vdp_sm_params *cur,
                        const struct sami_evb *local, const struct sami_evb *remote);
/* EVB negotiation: each of R, RTE, RWD, RKA the larger of local and remote
 * (sami_evb_negotiate). 0 or SAMI_ERR_INVAL. */
int sami_vdp_sm_params_negotiate(const struct sami_evb *local, const struct sami_evb *remote,
                                 struct sami_vdp_sm_params *out);

/* ackTime = 10 us * 2^RTE (2.56 ms by default). */
sami_usec_t sami_vdp_sm_ack_time(const struct sami_vdp_sm_params *p);
/* resourceWaitDelay = 10 us * 2^RWD (10.49 s). */
sami_usec_t sami_vdp_sm_resource_wait(const struct sami_vdp_sm_params *p);
/* reinitKeepAlive = 10 us * 2^RKA (10.49 s): station keep-alive period. */
sami_usec_t sami_vdp_sm_reinit_keepalive(const struct sami_vdp_sm_params *p);
/* Station response timeout: 1.5 * ((1 + 2R) * ackTime + resourceWaitDelay)
 * (15.76 s), as lldpad's vdp22_timeout (integer: t + t / 2). */
sami_usec_t sami_vdp_sm_resp_timeout(const struct sami_vdp_sm_params *p);
/* Bridge keep-alive timeout: 1.5 * ((1 + 2R) * ackTime + reinitKeepAlive)
 * (15.76 s), lldpad's toutKeepAlive for its bridge. */
sami_usec_t sami_vdp_sm_keepalive_timeout(const struct sami_vdp_sm_params *p);

/* Agreed VSI state. The values of the associating states equal the TLV
 * types that reach them. */
enum sami_vdp_vsi_state {
    SAMI_VDP_VSI_DEASSOCIATED = 0,
    SAMI_VDP_VSI_PREASSOCIATED = SAMI_VDP_TLV_PREASSOC,
    SAMI_VDP_VSI_PREASSOCIATED_RR = SAMI_VDP_TLV_PREASSOC_RR,
    SAMI_VDP_VSI_ASSOCIATED = SAMI_VDP_TLV_ASSOC
};
const char *sami_vdp_sm_state_name(int state);

/* Filter entries fit one VSI TLV: 511 - 25 octets. */
#define SAMI_VDP_SM_MAX_ENTRY_BYTES (SAMI_VDP_TLV_MAX_LEN - SAMI_VDP_VSI_FIXED_LEN)

/* A VSI identity and filter list, copied out of a TLV (no views). */
struct sami_vdp_sm_vsi {
    uint32_t type_id;
    uint8_t type_ver;
    uint8_t id_format;
    uint8_t id[SAMI_VDP_VSIID_LEN];
    uint8_t filter_format;
    uint16_t count;
    uint16_t entries_len;
    uint8_t entries[SAMI_VDP_SM_MAX_ENTRY_BYTES];
};

/* Copies identity and entries from a VSI TLV view (decoded, or caller-built
 * with `filters` or `entries`). 0, or the codec's validation error, or
 * SAMI_ERR_INVAL. */
int sami_vdp_sm_vsi_set(struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi);
/* A TLV view of a record (type, status fields zero; entries point into rec). */
void sami_vdp_sm_vsi_view(const struct sami_vdp_sm_vsi *rec, uint8_t type,
                          struct sami_vdp_vsi *out);
/* Same VSI ID (format + 16 octets)? */
bool sami_vdp_sm_same_id(const struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi);
/* Same VSI ID, type id/version, filter format, count and entries. With
 * vid_wildcard, an entry whose VID is 0 in rec matches any VID in vsi
 * (a bridge may fill in the VID the station left open). */
bool sami_vdp_sm_same_vsi(const struct sami_vdp_sm_vsi *rec, const struct sami_vdp_vsi *vsi,
                          bool vid_wildcard);
/* Checks that org holds only whole type-127 TLVs (none is fine). */
int sami_vdp_sm_check_org(const uint8_t *org, size_t len);
/* Builds a ULPDU: Manager ID, the VSI TLV (vsi may be NULL: standalone),
 * the org TLVs as given, End. 0 with *len, SAMI_ERR_TOOBIG when over cap, or
 * a validation error. */
int sami_vdp_sm_build(uint8_t *buf, size_t cap, const uint8_t mgrid[SAMI_VDP_MGRID_LEN],
                      const struct sami_vdp_vsi *vsi, const uint8_t *org, size_t org_len,
                      size_t *len);

/* ==== station ==== */

/* Standalone PDUs whose fate (EV_ORG_SENT) is tracked at once. */
#define SAMI_VDP_STATION_MAX_ORG_INFLIGHT 8u

/* One VSI the station knows. Caller-provided table; read-only outside. */
struct sami_vdp_station_vsi {
    struct sami_vdp_sm_vsi rec; /* identity and filters as agreed (or last asked) */
    struct sami_vdp_sm_vsi req; /* of the request in flight */
    bool in_use;
    uint8_t state;          /* enum sami_vdp_vsi_state, agreed with the bridge */
    uint8_t hints;          /* M/S hints of the request that reached state */
    uint8_t pending_op;     /* request in flight (TLV type 1..4), 0 = none */
    uint8_t pending_hints;
    bool pending_keepalive; /* the request in flight is a keep-alive */
    uint32_t ecp_token;     /* its ECP token */
    sami_usec_t resp_deadline; /* response timeout, SAMI_NO_DEADLINE when none */
    sami_usec_t ka_deadline;   /* next keep-alive, SAMI_NO_DEADLINE when none */
    uint8_t last_reason;    /* reason/hard/keep of the last response */
    bool last_hard;
    bool last_keep;
    uint8_t stale_op;       /* a keep-alive a user request superseded: its TLV type
                             * while its response is still due, 0 = none */
    uint32_t stale_token;   /* its ECP token */
    struct sami_dlheap_link dl; /* the station's deadline index (sami/dlheap.h) */
};

enum sami_vdp_station_event_type {
    /* A request (or keep-alive) finished. code: 0 accepted;
     * SAMI_ERR_REJECTED (reason/hard/keep set); SAMI_ERR_TIMEOUT (no
     * response within the response timeout); SAMI_ERR_RETRIES (ECP gave up).
     * state is the VSI's state afterwards. */
    SAMI_VDP_STATION_EV_RESULT = 1,
    /* The bridge de-associated the VSI on its own (DeAssoc, response bit
     * clear). state is DEASSOCIATED; a request in flight stays in flight. */
    SAMI_VDP_STATION_EV_DEASSOC = 2,
    /* A standalone PDU (sami_vdp_station_send_org) was acked (code 0) or
     * lost (SAMI_ERR_RETRIES / SAMI_ERR_ABORTED). token identifies it. */
    SAMI_VDP_STATION_EV_ORG_SENT = 3
};

struct sami_vdp_station_event {
    int type;                                /* enum sami_vdp_station_event_type */
    const struct sami_vdp_station_vsi *vsi;  /* NULL for ORG_SENT */
    uint8_t op;                              /* RESULT: the request's TLV type */
    uint8_t hints;                           /* RESULT: its hints */
    bool keepalive;                          /* RESULT: it was a keep-alive */
    int code;
    uint8_t reason;                          /* RESULT with a response */
    bool hard;
    bool keep;
    uint8_t prev_state;
    uint8_t state;
    uint32_t token;                          /* ORG_SENT */
};

struct sami_vdp_station_callbacks {
    /* Whole Ethernet frames. Required. Must not call back into the station. */
    void (*tx)(void *ctx, const uint8_t *frame, size_t len);
    /* Results and bridge-initiated de-associates. Optional. */
    void (*event)(void *ctx, sami_usec_t now, const struct sami_vdp_station_event *ev);
    /* One org TLV received from the bridge (tlv->type 127, tlv->value = OUI
     * onwards, tlv->u.org split). vsi = the VSI TLV it followed in the PDU
     * (vsi->type, vsi->response, reason...), NULL in a standalone PDU.
     * Delivered before the event of that VSI. Optional. */
    void (*org)(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                const struct sami_vdp_tlv *tlv);
    void *ctx;
};

struct sami_vdp_station_config {
    uint8_t mac[6];                      /* our MAC (ECP source) */
    uint8_t dst[6];                      /* ECP destination, default 01:80:c2:00:00:00 */
    uint8_t mgrid[SAMI_VDP_MGRID_LEN];   /* Manager ID sent first in every PDU */
    struct sami_vdp_sm_params params;
    sami_usec_t ecp_dup_window_us;       /* 0 = derived, see ecp_engine.h */
    uint16_t ecp_initial_seq;            /* first ECP sequence; 0 = 1 (ecp_engine.h) */
};

struct sami_vdp_station_counters {
    uint64_t tx_pdus;        /* ULPDUs handed to ECP */
    uint64_t keepalives;     /* of which keep-alives */
    uint64_t rx_pdus;        /* VDP ULPDUs received */
    uint64_t rx_bad;         /* undecodable ULPDUs (dropped whole) */
    uint64_t rx_responses;   /* responses matched to a request in flight */
    uint64_t rx_unmatched;   /* VSI TLVs matching nothing in flight */
    uint64_t rx_deassoc;     /* bridge-initiated de-associates applied */
    uint64_t rx_org;         /* org TLVs delivered */
    uint64_t timeouts;       /* response timeouts */
    uint64_t ecp_errors;     /* PDUs ECP gave up on */
    uint64_t tx_deferred;    /* keep-alives postponed: ECP queue full */
    uint64_t superseded;     /* keep-alives in flight a user request replaced */
    uint64_t rx_stale;       /* responses to superseded keep-alives: ignored */
};

struct sami_vdp_station {
    struct sami_ecp_engine ecp; /* embedded; counters via sami_ecp_engine_stats(&st->ecp) */
    struct sami_vdp_station_config cfg;
    struct sami_vdp_station_callbacks cb;
    struct sami_vdp_station_vsi *vsis;
    size_t nvsis;
    struct sami_dlheap dl;      /* VSIs by earliest timer: next_deadline in O(1) */
    struct sami_vdp_station_counters stats;
    uint32_t org_tokens[SAMI_VDP_STATION_MAX_ORG_INFLIGHT]; /* 0 = free */
    uint8_t pdu[SAMI_ECP_ENGINE_MAX_ULPDU];
};

void sami_vdp_station_config_default(struct sami_vdp_station_config *cfg);

/* Starts a station with caller memory: nvsis VSI entries, nslots ECP queue
 * slots (>= 1; one request per VSI can be in flight, plus standalone PDUs).
 * 0, SAMI_ERR_INVAL or SAMI_ERR_VALUE (params). */
int sami_vdp_station_init(struct sami_vdp_station *st, const struct sami_vdp_station_config *cfg,
                          const struct sami_vdp_station_callbacks *cb,
                          struct sami_vdp_station_vsi *vsis, size_t nvsis,
                          struct sami_ecp_slot *slots, size_t nslots);

/* Applies timer parameters: R, RTE to the ECP engine, RWD, RKA to VDP.
 * Timers already armed keep their deadline; new ones use the new values. */
int sami_vdp_station_set_params(struct sami_vdp_station *st, const struct sami_vdp_sm_params *p);
/* sami_vdp_sm_params_negotiate + set_params. */
int sami_vdp_station_set_evb(struct sami_vdp_station *st, const struct sami_evb *local,
                             const struct sami_evb *remote);

/* Sends a request for a VSI: op = SAMI_VDP_TLV_PREASSOC, _PREASSOC_RR, _ASSOC
 * or _DEASSOC; hints = 0 or SAMI_VDP_STATUS_M / SAMI_VDP_STATUS_S; org =
 * encoded type-127 TLVs to carry after the VSI TLV (NULL/0 for none; sent once,
 * never on keep-alives). vsi gives identity and filters (type/status fields
 * ignored). The VSI is found by its VSI ID or takes a free (or deassociated,
 * idle) entry; its filters are replaced by these. The result comes as an
 * EV_RESULT event. 0, or:
 *  SAMI_ERR_INVAL   bad op, hints or org bytes
 *  SAMI_ERR_STATE   a user request for this VSI is in flight (a keep-alive in
 *                   flight is superseded instead: the next response of its
 *                   type for this VSI is its answer and is dropped, the one
 *                   after it answers this request; docs/ENGINES-VDP.md)
 *  SAMI_ERR_LIMIT   no VSI entry free, or the ECP queue is full
 *  SAMI_ERR_TOOBIG  the PDU exceeds one ECP frame
 *  or the codec's error for an unencodable VSI. */
int sami_vdp_station_request(struct sami_vdp_station *st, sami_usec_t now,
                             const struct sami_vdp_vsi *vsi, uint8_t op, uint8_t hints,
                             const uint8_t *org, size_t org_len);

/* Sends a standalone PDU: Manager ID + org TLVs + End. 0 with *token (may be
 * NULL; EV_ORG_SENT reports its fate), SAMI_ERR_INVAL, _TOOBIG, or _LIMIT
 * (ECP queue full, or SAMI_VDP_STATION_MAX_ORG_INFLIGHT already pending). */
int sami_vdp_station_send_org(struct sami_vdp_station *st, sami_usec_t now, const uint8_t *org,
                              size_t org_len, uint32_t *token);

/* One received Ethernet frame. 0, or why it was ignored (ECP's codes; a VDP
 * decode error). */
int sami_vdp_station_input(struct sami_vdp_station *st, sami_usec_t now, const uint8_t *frame,
                           size_t len);

/* Earliest of the ECP ack timer, response timeouts and keep-alives. Pure. */
sami_usec_t sami_vdp_station_next_deadline(const struct sami_vdp_station *st);

/* Fires every timer due at or before now. */
void sami_vdp_station_run(struct sami_vdp_station *st, sami_usec_t now);

/* The entry for a VSI ID, or NULL. */
const struct sami_vdp_station_vsi *sami_vdp_station_find(const struct sami_vdp_station *st,
                                                         uint8_t id_format,
                                                         const uint8_t id[SAMI_VDP_VSIID_LEN]);

#ifdef __cplusplus
}
#endif
#endif
