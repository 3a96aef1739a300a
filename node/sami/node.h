/* sami nodes: the protocol engines composed into the two kinds of device
 * (docs/FLOWS.md, docs/DEMO.md).
 *
 *  BRIDGE node      per downlink port: an ECP engine + VDP bridge (embedded
 *                   in struct sami_vdp_bridge); one migration engine
 *                   (mig_bridge); one transfer engine (xfer_engine) to its
 *                   peer bridges over the L2 binding (xfer_link) or the
 *                   stream (TCP) binding; one DI store (memstore).
 *  HYPERVISOR node  one uplink port: an ECP engine + VDP station (embedded
 *                   in struct sami_vdp_station); one migration engine
 *                   (mig_hv).
 *
 * The node binds every engine's ops to the others: bridge feedback goes out
 * as a VDP org TLV (on the response to the request the notification rode
 * on, else in a standalone PDU: Manager ID + feedback TLV); transfer control
 * goes to the transfer engine and its events come back to mig_bridge;
 * freeze/unfreeze go to the store. A hypervisor's notification rides the
 * VDP request its time point pairs with (PREPARE on PreAssoc+M at the
 * destination, SUSPENDED on Assoc+S at the source, RESUMED on Assoc,
 * COMPLETED on DeAssoc), or goes standalone (ABORTED, the other role's time
 * points, retransmissions, or when a VDP request for the VSI is already in
 * flight).
 *
 * Not part of the portable core: it allocates with malloc. It does no I/O
 * and reads no clock, so the same code runs in the simulator (sami_sim) and
 * inside samid: frames leave through cfg.tx, time comes in as `now`. The
 * four generic entry points have exactly the signatures of struct
 * sami_sim_node_ops:
 *
 *   struct sami_sim_node_ops ops = {sami_node_rx, sami_node_next_deadline,
 *                                   sami_node_run, sami_node_restart};
 *   id = sami_sim_add_node(sim, sami_node_name(n), &ops, n);
 *
 * Re-entrancy: engine upcalls that would re-enter an engine (a transfer
 * event provoked inside a mig_bridge op; feedback decoded inside the VDP
 * station's input) are queued and delivered before the entry point returns.
 * The node's own callbacks (cfg.verdict, ...) run at such a safe point and
 * may call any sami_node_* function of any node except destroy. */
#ifndef SAMI_NODE_H
#define SAMI_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "sami/error.h"
#include "sami/memstore.h"
#include "sami/mig_bridge.h"
#include "sami/mig_hv.h"
#include "sami/samitlv.h"
#include "sami/store.h"
#include "sami/types.h"
#include "sami/vdp.h"
#include "sami/vdp_bridge.h"
#include "sami/vdp_station.h"
#include "sami/xfer.h"
#include "sami/xfer_engine.h"
#include "sami/xfer_link.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sami_node;

enum sami_node_kind {
    SAMI_NODE_BRIDGE = 1,
    SAMI_NODE_HV = 2
};

/* A whole Ethernet frame out of `port`. The bytes are valid during the call
 * only. Must not call back into the node. */
typedef void (*sami_node_tx_fn)(void *ctx, int port, const uint8_t *frame, size_t len);

/* ---- generic: the sami_sim_node_ops contract ------------------------------ */

/* A frame arrived on `port`. Ethertype 0x8940 (ECP/VDP) on a downlink or the
 * uplink, 0x88B5 (transfer, L2 binding) on a bridge's peer port, stream bytes
 * on a stream peer's port; anything else is counted and dropped. */
void sami_node_rx(void *node, sami_usec_t now, int port, const uint8_t *frame, size_t len);
/* Earliest timer of every engine in the node, or SAMI_NO_DEADLINE. Pure. */
sami_usec_t sami_node_next_deadline(void *node);
/* Fires every timer due at or before now. */
void sami_node_run(void *node, sami_usec_t now);
/* Control-plane restart: every engine starts over (ECP sequences, VSIs,
 * migrations, transfer sessions). A bridge's DI store survives (the tables
 * live in the switch, not in the agent), but what in-flight migrations held
 * in it is rolled back locally: source freezes released, staged or
 * installed-not-active DI discarded. Peers find out through their own
 * deadlines and retries. Kept with the tables, like the DI itself: the
 * migrations past the commit that only the destination can settle
 * (sami_xfer_engine_list_pending: a source that heard RESULT OK and was
 * not purged yet, a destination that activated and has no PURGE yet); the
 * restarted transfer engine adopts them, so a late ACTIVATE still purges
 * the source and an activated destination still sends it. */
void sami_node_restart(void *node, sami_usec_t now);

void sami_node_destroy(struct sami_node *node);
int sami_node_kind(const struct sami_node *node);
const char *sami_node_name(const struct sami_node *node);

/* Glue counters (the engines keep their own; see the accessors below). */
struct sami_node_counters {
    uint64_t rx_frames;
    uint64_t rx_ignored;        /* unknown port or ethertype */
    uint64_t stream_errors;     /* bad stream framing: deframer reset */
    uint64_t notif_rx;          /* bridge: notifications decoded */
    uint64_t notif_tx_riding;   /* hv: notifications sent on a VDP request */
    uint64_t notif_tx_standalone; /* hv: notifications sent in a standalone PDU */
    uint64_t notif_tx_fail;     /* hv: neither way could queue it */
    uint64_t fb_rx;             /* hv: feedback decoded */
    uint64_t fb_tx_riding;      /* bridge: feedback on a VDP response */
    uint64_t fb_tx_standalone;  /* bridge: feedback in a standalone PDU */
    uint64_t fb_tx_resent;      /* bridge: final feedback resent after ECP gave up */
    uint64_t fb_tx_fail;
    uint64_t fb_pend_full;      /* bridge: final feedback neither queued nor kept for a
                                 * (re)send: its port already has 64 waiting (a
                                 * flood); a hypervisor that still waits asks again */
    uint64_t org_bad;           /* sami org TLVs that did not decode */
    uint64_t org_foreign;       /* org TLVs of another OUI or subtype: ignored */
    uint64_t xfer_events;       /* bridge: transfer events forwarded to mig_bridge */
    uint64_t xfer_event_drops;  /* bridge: events mig_bridge refused (stale, unknown) */
    uint64_t op_errors;         /* bridge: mig_bridge ops that failed */
    uint64_t restarts;
};
const struct sami_node_counters *sami_node_counters(const struct sami_node *node);

/* Defaults for what both kinds share. */
#define SAMI_NODE_DEFAULT_ECP_SLOTS 64u
#define SAMI_NODE_DEFAULT_MAX_VSIS 256u
#define SAMI_NODE_DEFAULT_MAX_MIGRATIONS 256u

/* ---- bridge node ----------------------------------------------------------- */

/* A peer bridge for the transfer.
 *
 * L2 binding (default): transfer frames (ethertype 0x88B5, destination
 * id.mac) go out of `port`; frames from id.mac arriving on it come in.
 * Stream binding (TCP on the management plane): cfg.tx(port, bytes, len)
 * gets each message with its 4-octet length prefix, and sami_node_rx on
 * `port` takes the bytes received on the connection in any chunking (a
 * deframer per peer reassembles them); `port` is then the host's handle of
 * that connection, not an Ethernet port. */
struct sami_node_peer {
    /* How notifications name it: only the chassis id is compared (port ids
     * name the hypervisor's port on that bridge). */
    struct sami_bridge_ref ref;
    /* Its transfer identity; id.mac is also the destination MAC of the L2
     * transfer frames sent to it. */
    struct sami_xfer_bridge_id id;
    /* The node port it is reached through. Several L2 peers may share a
     * port (a fabric interface); frames are then told apart by source MAC.
     * A stream peer's port is its own. */
    int port;
    int binding; /* SAMI_XFER_BIND_L2 (0 means L2 too) or SAMI_XFER_BIND_STREAM */
};

/* A hypervisor-facing port: its own ECP engine and VDP bridge. */
struct sami_node_downlink {
    int port;           /* node port; also the hv_port mig_bridge reports */
    uint8_t mac[6];     /* the bridge port's MAC (ECP source) */
};

struct sami_node_bridge_cfg {
    const char *name;                /* copied; may be NULL */
    /* This bridge: the chassis id mig_bridge matches notifications against,
     * the transfer identity and MAC of its L2 transfer frames. */
    struct sami_bridge_ref local;
    struct sami_xfer_bridge_id xfer_id;
    const struct sami_node_downlink *downlinks; /* copied */
    size_t n_downlinks;
    const struct sami_node_peer *peers;         /* copied */
    size_t n_peers;
    /* Transfer keys (random bytes, never passwords); hmac NULL = default
     * provider. tx_key_id 0 = the first valid key. */
    struct sami_xfer_keyring keyring;
    uint16_t tx_key_id;
    const uint8_t *oui;              /* NULL = the placeholder 0A-53-4D; copied */
    uint8_t mgrid[SAMI_VDP_MGRID_LEN]; /* Manager ID of standalone feedback PDUs */
    /* Zeroed fields take defaults: VDP/ECP timers (lldpad's), mig_bridge
     * timeouts (sami_mig_bridge_cfg_default; .local is taken from `local`),
     * transfer engine and L2 link reliability (their documented defaults). */
    struct sami_vdp_sm_params vdp;   /* all-zero = sami_vdp_sm_params_default */
    int vdp_set;                     /* non-zero: use `vdp` even if it is all zero */
    struct sami_mig_bridge_cfg mig;  /* all timeouts zero = defaults */
    sami_usec_t xfer_rto;
    unsigned xfer_retries;
    unsigned xfer_window;
    sami_usec_t xfer_backoff;
    sami_usec_t xfer_resolve;        /* transfer engine cfg.resolve; 0 = its default */
    struct sami_xfer_engine_limits xfer_limits;
    /* First transfer sequence number. Peers keep replay windows across our
     * restarts, so a host that restarts (samid) passes the wall clock in µs;
     * 0 = 1 (the simulator, where in-process restarts add an epoch). */
    uint64_t xfer_seq_start;
    sami_usec_t link_rto;
    unsigned link_retries;
    unsigned link_window;
    size_t link_queue;               /* per-peer transmit queue octets; 0 = 1 MiB */
    uint32_t max_records;            /* store limit; 0 = unlimited */
    size_t max_vsis;                 /* per downlink; 0 = default */
    size_t ecp_slots;                /* per downlink; 0 = default */
    size_t max_migrations;           /* mig_bridge table; 0 = default */
    /* Final feedback (PROCEED / ROLLBACK) sent standalone is sent again when
     * ECP gives up on it, this many times. The hypervisor asks again for a
     * lost decision too (mig_hv max_reasks), but only after its ack timeout;
     * this recovers within tens of ms. 0 = 3. */
    unsigned fb_resend;
    sami_node_tx_fn tx;
    void *tx_ctx;
};

/* Fills cfg with zeros and the defaults that are not zero. */
void sami_node_bridge_cfg_default(struct sami_node_bridge_cfg *cfg);

/* Creates a bridge node. SAMI_ERR_INVAL (bad cfg: no tx, no downlinks, a
 * port used twice, a peer whose transfer id equals ours), SAMI_ERR_NOMEM, or
 * an engine's init error. */
int sami_node_bridge_create(const struct sami_node_bridge_cfg *cfg, struct sami_node **out);

/* The DI store, for learners (DHCP snooping, a preload) and checks. Calls
 * that change records must go through sami_node_bridge_put/_del so the
 * node's aging timer follows; reading (count, foreach, get, vm_flags) is
 * fine directly. NULL store for a hypervisor node. */
struct sami_store sami_node_bridge_store(struct sami_node *node);
int sami_node_bridge_put(struct sami_node *node, sami_usec_t now, const struct sami_vm_id *vm,
                         const struct sami_di_record *rec);
int sami_node_bridge_del(struct sami_node *node, sami_usec_t now, const struct sami_vm_id *vm,
                         const struct sami_di_record *rec);

/* The host's stream connection to the peer on PORT came up: the transfer
 * engine opens a session with it at once (sami_xfer_engine_hello), so the
 * peer knows the connection is ours before any migration. SAMI_ERR_NOTFOUND:
 * no stream peer on that port; SAMI_ERR_INVAL: not a bridge node. */
int sami_node_bridge_peer_connected(struct sami_node *node, sami_usec_t now, int port);

/* Engines, read-only, for tools and tests (NULL for the wrong kind or a
 * port that is not a downlink). */
const struct sami_mig_bridge *sami_node_bridge_mig(const struct sami_node *node);
const struct sami_xfer_engine *sami_node_bridge_xfer(const struct sami_node *node);
const struct sami_xfer_link *sami_node_bridge_link(const struct sami_node *node);
const struct sami_vdp_bridge *sami_node_bridge_vdp(const struct sami_node *node, int port);
const struct sami_memstore *sami_node_bridge_memstore(const struct sami_node *node);

/* ---- hypervisor node ------------------------------------------------------- */

struct sami_node_hv_cfg {
    const char *name;                /* copied; may be NULL */
    int port;                        /* uplink port to the bridge */
    uint8_t mac[6];                  /* station MAC (ECP source) */
    uint8_t mgrid[SAMI_VDP_MGRID_LEN]; /* Manager ID sent first in every PDU */
    const uint8_t *oui;              /* NULL = the placeholder 0A-53-4D; copied */
    struct sami_vdp_sm_params vdp;   /* all-zero = defaults (see vdp_set) */
    int vdp_set;
    struct sami_mig_hv_cfg mig;      /* ack_timeout 0 = sami_mig_hv_cfg_default */
    size_t max_vsis;                 /* 0 = default */
    size_t ecp_slots;                /* 0 = default */
    size_t max_migrations;           /* 0 = default */
    sami_node_tx_fn tx;
    void *tx_ctx;
    /* Upcalls (optional), at a safe point (see the top). now is the time of
     * the call that produced them. */
    void (*verdict)(void *ctx, struct sami_node *node, sami_usec_t now,
                    const struct sami_mig_hv_verdict *v);
    void (*vdp_event)(void *ctx, struct sami_node *node, sami_usec_t now,
                      const struct sami_vdp_station_event *ev);
    void *ctx;
};

void sami_node_hv_cfg_default(struct sami_node_hv_cfg *cfg);
int sami_node_hv_create(const struct sami_node_hv_cfg *cfg, struct sami_node **out);

/* Plain VDP for a VSI (op SAMI_VDP_TLV_PREASSOC.._DEASSOC, hints 0 /
 * SAMI_VDP_STATUS_M / _S), without any sami TLV: e.g. associating the VMs
 * that run here before anything migrates. The station's errors. */
int sami_node_hv_vdp(struct sami_node *node, sami_usec_t now, const struct sami_vdp_vsi *vsi,
                     uint8_t op, uint8_t hints);

/* Starts migration mig_id of the VM with VDP identity and filters `vsi`
 * (identity and MAC/VLAN filters are copied: the notifications carry them
 * and the paired VDP requests use them). role: enum sami_mig_hv_role.
 * Optional IPv4/IPv6 addresses go into every notification. mig_hv's
 * errors, SAMI_ERR_NOMEM. */
int sami_node_hv_migrate(struct sami_node *node, sami_usec_t now, uint64_t mig_id,
                         const struct sami_vdp_vsi *vsi, const struct sami_bridge_ref *orig,
                         const struct sami_bridge_ref *dest, int role, uint32_t di_types,
                         const uint8_t (*ipv4)[4], size_t n_ipv4, const uint8_t (*ipv6)[16],
                         size_t n_ipv6);
/* Sends a time point (enum sami_tp) / ABORTED with a reason. */
int sami_node_hv_time_point(struct sami_node *node, sami_usec_t now, uint64_t mig_id, int tp,
                            uint32_t next_deadline_ms);
int sami_node_hv_abort(struct sami_node *node, sami_usec_t now, uint64_t mig_id,
                       uint16_t reason);
/* Forgets a migration (mig_hv end). */
int sami_node_hv_end(struct sami_node *node, uint64_t mig_id);

const struct sami_mig_hv *sami_node_hv_mig(const struct sami_node *node);
const struct sami_vdp_station *sami_node_hv_station(const struct sami_node *node);

#ifdef __cplusplus
}
#endif
#endif
