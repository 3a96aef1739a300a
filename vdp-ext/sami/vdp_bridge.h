/* VDP bridge state machine (IEEE 802.1Qbg-2012 clause 41), sans-I/O.
 *
 * The bridge side of VDP on one port: answers each station request with the
 * same TLV, response bit set, plus reason/KEEP/HARD; asks a policy callback
 * (the VSI manager) whether to accept; holds the associated VSIs in a
 * caller-provided table; drops a VSI whose keep-alives stop and tells the
 * station with an unsolicited DeAssoc. Org TLVs that ride on requests (sami
 * notifications) go up with their VSI and op; the bridge can send org TLVs
 * back on responses, on its own DeAssocs or standalone (sami feedback).
 *
 * Safe default: with no policy set every association request is refused,
 * reason 3 (unable to contact VSI manager). DeAssoc is always accepted.
 * The bridge owns its ECP engine (embedded). See docs/ENGINES-VDP.md. */
#ifndef SAMI_VDP_BRIDGE_H
#define SAMI_VDP_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/ecp_engine.h"
#include "sami/dlheap.h"
#include "sami/error.h"
#include "sami/types.h"
#include "sami/vdp.h"
#include "sami/vdp_station.h" /* sami_vdp_sm_*: params, timers, VSI records */

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT 8u

/* One VSI the bridge holds (state PREASSOCIATED, _RR or ASSOCIATED).
 * Caller-provided table; read-only outside. */
struct sami_vdp_bridge_vsi {
    struct sami_vdp_sm_vsi rec;
    bool in_use;
    uint8_t state;        /* enum sami_vdp_vsi_state */
    uint8_t hints;        /* M/S hints of the request that set the state */
    uint8_t mgrid[SAMI_VDP_MGRID_LEN]; /* the station's Manager ID, echoed back */
    uint8_t station[6];   /* MAC the request came from */
    sami_usec_t since;    /* when the state was set */
    sami_usec_t refreshed; /* last request or keep-alive */
    sami_usec_t expires;  /* refreshed + keep-alive timeout */
    struct sami_dlheap_link dl; /* the bridge's deadline index (sami/dlheap.h) */
};

/* What the policy answers. The bridge fills in the default before calling
 * (reject, reason OTHER, keep = a VSI is already held), so a policy that
 * returns without deciding refuses. */
struct sami_vdp_bridge_decision {
    bool accept;
    uint8_t reason; /* reject: 1..15 (enum sami_vdp_reason); 0 is sent as OTHER */
    bool hard;      /* reject: HARD bit */
    bool keep;      /* reject: KEEP bit; the VSI keeps its previous state */
    /* Optional org TLVs (encoded type-127 TLVs) for the response, e.g. sami
     * feedback; must stay valid until the input call returns. */
    const uint8_t *org;
    size_t org_len;
};

/* The VSI manager. req = the request (req->type = op, migrate_to /
 * suspended = hints, identity and filters as views into the frame); cur =
 * the VSI as held now, or NULL for a new one. Not called for keep-alives
 * (a request identical to the held state), DeAssoc, or a full table. */
typedef void (*sami_vdp_bridge_policy_fn)(void *ctx, sami_usec_t now,
                                          const struct sami_vdp_vsi *req,
                                          const struct sami_vdp_bridge_vsi *cur,
                                          struct sami_vdp_bridge_decision *d);

enum sami_vdp_bridge_event_type {
    SAMI_VDP_BRIDGE_EV_ACCEPTED = 1, /* a request changed the VSI's state */
    SAMI_VDP_BRIDGE_EV_REJECTED = 2, /* a request was refused (reason/hard/keep) */
    SAMI_VDP_BRIDGE_EV_DEASSOC = 3,  /* the station de-associated a VSI we held */
    SAMI_VDP_BRIDGE_EV_EXPIRED = 4,  /* keep-alive timeout: dropped, DeAssoc sent */
    SAMI_VDP_BRIDGE_EV_RELEASED = 5, /* sami_vdp_bridge_deassoc: dropped, DeAssoc sent */
    SAMI_VDP_BRIDGE_EV_ORG_SENT = 6  /* standalone PDU acked (0) or lost (code) */
};

struct sami_vdp_bridge_event {
    int type;
    const struct sami_vdp_sm_vsi *vsi; /* valid during the callback; NULL for ORG_SENT */
    const uint8_t *station;            /* station MAC, NULL for ORG_SENT */
    uint8_t op;                        /* ACCEPTED/REJECTED/DEASSOC: the request's type */
    uint8_t hints;
    uint8_t prev_state;
    uint8_t state;                     /* afterwards (DEASSOCIATED when dropped) */
    uint8_t reason;                    /* REJECTED */
    bool hard;
    bool keep;
    /* EXPIRED/RELEASED: 0, or why the DeAssoc could not be queued;
     * ORG_SENT: 0, SAMI_ERR_RETRIES, SAMI_ERR_ABORTED. */
    int code;
    uint32_t token;                    /* ORG_SENT */
};

struct sami_vdp_bridge_callbacks {
    /* Whole Ethernet frames. Required. Must not call back into the bridge. */
    void (*tx)(void *ctx, const uint8_t *frame, size_t len);
    /* NULL = refuse every association (reason 3). */
    sami_vdp_bridge_policy_fn policy;
    void (*event)(void *ctx, sami_usec_t now, const struct sami_vdp_bridge_event *ev);
    /* One org TLV from the station. vsi = the request it rode on (vsi->type
     * is the op, hints in migrate_to/suspended), NULL in a standalone PDU.
     * Called before the policy sees that request. */
    void (*org)(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                const struct sami_vdp_tlv *tlv);
    void *ctx;
};

struct sami_vdp_bridge_config {
    uint8_t mac[6];
    uint8_t dst[6];                      /* ECP destination, default 01:80:c2:00:00:00 */
    uint8_t mgrid[SAMI_VDP_MGRID_LEN];   /* used when a request had no Manager ID */
    struct sami_vdp_sm_params params;
    sami_usec_t ecp_dup_window_us;       /* 0 = derived */
};

struct sami_vdp_bridge_counters {
    uint64_t rx_pdus;
    uint64_t rx_bad;         /* undecodable ULPDUs (dropped whole) */
    uint64_t rx_requests;    /* VSI requests */
    uint64_t rx_unexpected;  /* VSI TLVs with the response bit (not ours to get) */
    uint64_t rx_org;
    uint64_t refreshes;      /* keep-alives */
    uint64_t accepted;
    uint64_t rejected;
    uint64_t rejected_full;  /* of which: table full (reason 2) */
    uint64_t no_policy;      /* of which: no policy set (reason 3) */
    uint64_t deassoc;        /* DeAssoc requests (held or not) */
    uint64_t expired;        /* keep-alive timeouts */
    uint64_t released;
    uint64_t tx_pdus;
    uint64_t tx_dropped;     /* responses / DeAssocs the ECP queue refused */
    uint64_t ecp_errors;
};

struct sami_vdp_bridge {
    struct sami_ecp_engine ecp;
    struct sami_vdp_bridge_config cfg;
    struct sami_vdp_bridge_callbacks cb;
    struct sami_vdp_bridge_vsi *vsis;
    size_t nvsis;
    struct sami_dlheap dl;      /* held VSIs by expiry: next_deadline in O(1) */
    struct sami_vdp_bridge_counters stats;
    uint32_t org_tokens[SAMI_VDP_BRIDGE_MAX_ORG_INFLIGHT];
    uint8_t pdu[SAMI_ECP_ENGINE_MAX_ULPDU];
};

void sami_vdp_bridge_config_default(struct sami_vdp_bridge_config *cfg);

/* nvsis = most VSIs held at once; nslots = ECP queue. 0, INVAL or VALUE. */
int sami_vdp_bridge_init(struct sami_vdp_bridge *br, const struct sami_vdp_bridge_config *cfg,
                         const struct sami_vdp_bridge_callbacks *cb,
                         struct sami_vdp_bridge_vsi *vsis, size_t nvsis,
                         struct sami_ecp_slot *slots, size_t nslots);

/* Replaces the policy (NULL = refuse all). */
void sami_vdp_bridge_set_policy(struct sami_vdp_bridge *br, sami_vdp_bridge_policy_fn policy);

/* R, RTE to ECP; RWD, RKA to VDP. Keep-alive deadlines already set stay;
 * the next refresh uses the new timeout. */
int sami_vdp_bridge_set_params(struct sami_vdp_bridge *br, const struct sami_vdp_sm_params *p);
int sami_vdp_bridge_set_evb(struct sami_vdp_bridge *br, const struct sami_evb *local,
                            const struct sami_evb *remote);

int sami_vdp_bridge_input(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *frame,
                          size_t len);
sami_usec_t sami_vdp_bridge_next_deadline(const struct sami_vdp_bridge *br);
void sami_vdp_bridge_run(struct sami_vdp_bridge *br, sami_usec_t now);

/* Drops a held VSI and sends the station an unsolicited DeAssoc (status
 * 0x00, as lldpad), with org TLVs (may be NULL/0). 0, SAMI_ERR_NOTFOUND,
 * SAMI_ERR_INVAL (org), or the ECP queue's error (the VSI is dropped
 * anyway). */
int sami_vdp_bridge_deassoc(struct sami_vdp_bridge *br, sami_usec_t now, uint8_t id_format,
                            const uint8_t id[SAMI_VDP_VSIID_LEN], const uint8_t *org,
                            size_t org_len);

/* Standalone PDU to the station: Manager ID + org TLVs + End. As
 * sami_vdp_station_send_org. */
int sami_vdp_bridge_send_org(struct sami_vdp_bridge *br, sami_usec_t now, const uint8_t *org,
                             size_t org_len, uint32_t *token);

const struct sami_vdp_bridge_vsi *sami_vdp_bridge_find(const struct sami_vdp_bridge *br,
                                                       uint8_t id_format,
                                                       const uint8_t id[SAMI_VDP_VSIID_LEN]);
/* VSIs held. */
size_t sami_vdp_bridge_count(const struct sami_vdp_bridge *br);

#ifdef __cplusplus
}
#endif
#endif
