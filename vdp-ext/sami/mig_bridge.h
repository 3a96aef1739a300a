/* Bridge side of the migration flows (docs/FLOWS.md), sans-I/O: one state
 * machine per migration, each state with a deadline.
 *
 * Inputs: decoded notifications from the attached hypervisors
 * (sami_mig_bridge_notification_input), events from the transfer engine
 * (sami_mig_bridge_xfer_event) and time (sami_mig_bridge_run /
 * sami_mig_bridge_next_deadline). Outputs go through struct
 * sami_mig_bridge_ops: feedback to a hypervisor, transfer control, store
 * freeze/unfreeze and peer resolution. The engine does not know the real
 * VDP, transfer or store engines; a glue layer binds the ops to them.
 *
 * Role per migration, from the first notification (PREPARE): ORIGIN when
 * the original bridge's chassis id is ours, DEST when the destination's is,
 * LOCAL when both are (a move between two ports of this bridge: no
 * transfer). Port ids are not compared: they name the hypervisor's port.
 *
 * States, deadlines, ops contracts: docs/ENGINES-MIGRATION.md.
 *
 * Time is sami_usec_t (monotonic µs) passed in; no clock is read. Ops must
 * not call back into the engine except for the read-only queries; an event
 * an op provokes (e.g. a transfer result) must be delivered later through
 * sami_mig_bridge_xfer_event. */
#ifndef SAMI_MIG_BRIDGE_H
#define SAMI_MIG_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "sami/dlheap.h"
#include "sami/error.h"
#include "sami/samitlv.h"
#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

enum sami_mig_bridge_role {
    SAMI_MIG_BRIDGE_ORIGIN = 1, /* BR-O: the VM leaves this bridge */
    SAMI_MIG_BRIDGE_DEST = 2,   /* BR-D: the VM arrives here */
    SAMI_MIG_BRIDGE_LOCAL = 3   /* both ends on this bridge */
};

enum sami_mig_bridge_state {
    SAMI_MIG_BRIDGE_FREE = 0,
    /* origin */
    SAMI_MIG_BRIDGE_O_PRECOPY = 1,   /* PREPARE: pre-copy running; awaits SUSPENDED */
    SAMI_MIG_BRIDGE_O_STAGED = 2,    /* pre-copy staged at BR-D; awaits SUSPENDED */
    SAMI_MIG_BRIDGE_O_COMMIT = 3,    /* SUSPENDED: frozen, delta + commit; awaits RESULT */
    SAMI_MIG_BRIDGE_O_COMMITTED = 4, /* PROCEED sent; awaits BR-D's ACTIVATE */
    SAMI_MIG_BRIDGE_O_PURGING = 5,   /* activated at BR-D; awaits our purge */
    /* destination */
    SAMI_MIG_BRIDGE_D_EXPECT = 6,    /* PREPARE: expect registered; awaits install */
    SAMI_MIG_BRIDGE_D_INSTALLED = 7, /* committed state installed; awaits RESUMED */
    SAMI_MIG_BRIDGE_D_ACTIVATING = 8,/* RESUMED: activation requested; awaits ACTIVATED */
    SAMI_MIG_BRIDGE_D_ACTIVE = 9,    /* PROCEED sent; awaits BR-O's PURGE */
    /* both ends local */
    SAMI_MIG_BRIDGE_LOCAL_MOVE = 10,
    /* terminal: kept for cfg.linger to answer duplicates, then freed */
    SAMI_MIG_BRIDGE_DONE = 11,
    SAMI_MIG_BRIDGE_FAILED = 12,     /* rolled back */
    SAMI_MIG_BRIDGE_STATE_COUNT = 13
};

/* Transfer engine events (sami_mig_bridge_xfer_event). */
enum sami_mig_xfer_event {
    SAMI_MIG_XFER_PRECOPY_DONE = 1,    /* origin: BR-D staged the pre-copy */
    SAMI_MIG_XFER_RESULT_OK = 2,       /* origin: BR-D installed the commit */
    SAMI_MIG_XFER_RESULT_FAILED = 3,   /* origin: BR-D refused / failed the commit
                                        * (or the pre-copy, before SUSPENDED) */
    SAMI_MIG_XFER_INSTALLED = 4,       /* destination: commit verified and installed */
    SAMI_MIG_XFER_ACTIVATED = 5,       /* destination: activation done;
                                        * origin: BR-D's ACTIVATE arrived */
    SAMI_MIG_XFER_PURGED = 6,          /* origin: records purged, PURGE answered;
                                        * destination: BR-O's PURGE arrived */
    SAMI_MIG_XFER_ABORTED_BY_PEER = 7, /* the peer bridge sent ABORT */
    SAMI_MIG_XFER_PEER_TIMEOUT = 8,    /* the transfer engine gave up: no answer */
    SAMI_MIG_XFER_PEER_ERROR = 9       /* the transfer engine gave up: error (auth, ...) */
};

/* Optional details of a transfer event (NULL = none). */
struct sami_mig_xfer_info {
    uint16_t reason;                       /* enum sami_fb_reason, for failures */
    uint8_t n_results;                     /* per-DI-type results (RESULT, INSTALLED) */
    const struct sami_fb_result *results;  /* read during the call only */
};

struct sami_mig_bridge_ops {
    /* Feedback to the hypervisor on hv_port. fb is valid during the call;
     * the glue encodes it (samitlv) and sends it (riding a VDP response or
     * standalone). A negative return is counted; nothing is retried (the
     * hypervisor retransmits and duplicates are answered again). */
    int (*send_feedback)(void *ctx, uint32_t hv_port, const struct sami_feedback *fb);
    /* Maps a bridge reference to a transfer peer handle: 0 and *peer, or
     * negative (SAMI_ERR_NOTFOUND) for a bridge the config does not know. */
    int (*resolve_peer)(void *ctx, const struct sami_bridge_ref *bridge, uint32_t *peer);
    /* Origin: start pre-copy of vm's DI of di_types to peer. */
    int (*xfer_precopy)(void *ctx, uint32_t peer, const struct sami_bridge_ref *peer_ref,
                        uint64_t mig_id, const struct sami_vm_id *vm, uint32_t di_types);
    /* Origin: the VM is frozen: send the final delta and COMMIT (whether or
     * not the pre-copy finished). */
    int (*xfer_commit)(void *ctx, uint64_t mig_id);
    /* Destination: authorise state for this announced migration from peer
     * until deadline (absolute, same clock as now). */
    int (*xfer_expect)(void *ctx, uint32_t peer, uint64_t mig_id, const struct sami_vm_id *vm,
                       uint32_t di_types, sami_usec_t deadline);
    /* Destination: activate the installed state and send ACTIVATE to BR-O. */
    int (*xfer_activate)(void *ctx, uint64_t mig_id);
    /* Drop everything of this migration (destination: discard staged or
     * installed-not-active state). notify_peer 1: send ABORT to the peer
     * with reason (enum sami_fb_reason); 0: the peer already knows. */
    int (*xfer_abort)(void *ctx, uint64_t mig_id, int notify_peer, uint16_t reason);
    /* Origin store: freeze / unfreeze the VM's DI (exact snapshot while
     * suspended). Every successful freeze is paired with one unfreeze. */
    int (*freeze)(void *ctx, uint64_t mig_id, const struct sami_vm_id *vm);
    int (*unfreeze)(void *ctx, uint64_t mig_id, const struct sami_vm_id *vm);
};

struct sami_mig_bridge_cfg {
    struct sami_bridge_ref local;  /* this bridge; only the chassis id is compared */
    sami_usec_t margin;            /* added to a notification's next-deadline hint */
    sami_usec_t prepare_timeout;   /* PREPARE -> SUSPENDED without a hint */
    sami_usec_t commit_timeout;    /* SUSPENDED -> RESULT without a hint */
    sami_usec_t activate_timeout;  /* PROCEED/install -> ACTIVATE/RESUMED; activation */
    sami_usec_t purge_timeout;     /* activation -> PURGE */
    sami_usec_t linger;            /* finished records answer duplicates this long */
    /* Most migrations in progress (not DONE / FAILED) whose hypervisor is
     * on one port; 0 = no per-port limit. Keeps one port's flood of
     * PREPAREs from taking the whole table from the others. */
    size_t max_per_port;
};

/* Defaults (local zeroed: set it): margin 500 ms, prepare 120 s, commit 5 s,
 * activate 30 s, purge 10 s, linger 60 s, no per-port limit. A new PREPARE
 * that finds the table full reuses the finished (DONE / FAILED) record
 * that lingers longest before it refuses. */
void sami_mig_bridge_cfg_default(struct sami_mig_bridge_cfg *cfg);

/* One migration; complete type so the caller can size the table. Fields
 * are the engine's (read them through sami_mig_bridge_get). */
struct sami_mig_bridge_rec {
    uint8_t state;               /* enum sami_mig_bridge_state; FREE = unused */
    uint8_t role;                /* enum sami_mig_bridge_role */
    uint8_t last_tp;             /* latest time point accepted */
    uint8_t seen;                /* bit tp: time point accepted (duplicates) */
    uint8_t answered[6];         /* per tp: verdict + 1 last sent, 0 = none */
    uint8_t frozen;
    uint8_t completed;           /* COMPLETED received */
    uint8_t n_results;
    uint32_t hv_port;            /* latest notification's port: unsolicited feedback */
    uint32_t peer;
    uint32_t di_types;
    uint32_t transfer_time_us;
    uint64_t mig_id;
    sami_usec_t deadline;
    sami_usec_t created;
    sami_usec_t t_suspended;
    struct sami_vm_id vm;
    struct sami_bridge_ref orig;
    struct sami_bridge_ref dest;
    struct sami_fb_result results[SAMI_SAMITLV_MAX_RESULTS];
    struct sami_dlheap_link dl;  /* the engine's deadline index (sami/dlheap.h) */
};

struct sami_mig_bridge_counters {
    uint64_t notif_rx;
    uint64_t notif_dup;          /* retransmitted time point, answered again */
    uint64_t notif_out_of_order; /* contradicts the state: dropped, no state change */
    uint64_t notif_mismatch;     /* known migration id, other VM or bridges: dropped */
    uint64_t notif_not_ours;     /* neither bridge is this one: ROLLBACK REJECTED */
    uint64_t notif_invalid;      /* time point out of range */
    uint64_t refused_limit;      /* table full: ROLLBACK LIMIT */
    uint64_t unknown_peer;       /* ROLLBACK PEER_UNREACHABLE */
    uint64_t abort_refused;      /* ABORTED / peer ABORT after activation */
    uint64_t abort_unknown;      /* ABORTED for no migration: acknowledged */
    uint64_t completed_unknown;  /* COMPLETED for no migration: acknowledged */
    uint64_t late_activated;     /* origin: BR-D's ACTIVATE after this bridge's activate
                                    deadline (rolled back): DI purged, record DONE */
    uint64_t fb_tx, fb_send_errors;
    uint64_t xfer_unknown;       /* event for no migration */
    uint64_t xfer_unexpected;    /* event the state does not expect: ignored */
    uint64_t op_errors;          /* an op returned an error */
    uint64_t started, proceeded, rolled_back, done, freed;
    uint64_t timeouts[SAMI_MIG_BRIDGE_STATE_COUNT]; /* deadline missed, by state */
    uint64_t refused_port_limit; /* max_per_port reached on the port: ROLLBACK LIMIT */
    uint64_t reclaimed;          /* table full: a lingering finished record reused */
    uint64_t state_changes;      /* any record changed state (created and freed too):
                                    a host that watches the table looks again only then */
};

struct sami_mig_bridge {
    struct sami_mig_bridge_cfg cfg;
    const struct sami_mig_bridge_ops *ops;
    void *ctx;
    struct sami_mig_bridge_rec *recs;
    size_t n_recs;
    struct sami_dlheap dl;       /* records by deadline: next_deadline in O(1) */
    struct sami_mig_bridge_counters counters;
    struct sami_feedback fb;     /* feedback being sent */
};

/* Snapshot of one record (samictl). The bridge pointers point into the
 * table and stay valid until the next engine call. */
struct sami_mig_bridge_info {
    uint64_t mig_id;
    uint8_t role, state, last_tp, frozen, completed, n_results;
    uint32_t hv_port, peer, di_types, transfer_time_us;
    sami_usec_t deadline, created;
    struct sami_vm_id vm;
    const struct sami_bridge_ref *orig, *dest;
};

/* All ops are required. SAMI_ERR_INVAL on NULLs, an empty table, a local
 * reference that fails sami_bridge_ref_check, or a zero timeout / linger. */
int sami_mig_bridge_init(struct sami_mig_bridge *br, const struct sami_mig_bridge_cfg *cfg,
                         const struct sami_mig_bridge_ops *ops, void *ctx,
                         struct sami_mig_bridge_rec *table, size_t n_table);

/* A decoded notification received on hv_port. Returns 0 when processed
 * (including duplicates and refusals answered with ROLLBACK on an existing
 * record); SAMI_ERR_LIMIT table full and SAMI_ERR_REJECTED not ours (both
 * answered ROLLBACK); SAMI_ERR_STATE contradicts the state (dropped, or a
 * refused ABORTED answered PROCEED); SAMI_ERR_EXISTS same id, other VM or
 * bridges (dropped); SAMI_ERR_VALUE / SAMI_ERR_INVAL bad input. */
int sami_mig_bridge_notification_input(struct sami_mig_bridge *br, sami_usec_t now,
                                       uint32_t hv_port, const struct sami_notif *n);

/* A transfer event (enum sami_mig_xfer_event) for mig_id; info may be NULL.
 * 0 handled; SAMI_ERR_NOTFOUND no such migration; SAMI_ERR_STATE not
 * expected in the current state (ignored, counted); SAMI_ERR_VALUE. */
int sami_mig_bridge_xfer_event(struct sami_mig_bridge *br, sami_usec_t now, uint64_t mig_id,
                               int event, const struct sami_mig_xfer_info *info);

/* Fires every deadline due at `now`. */
void sami_mig_bridge_run(struct sami_mig_bridge *br, sami_usec_t now);
sami_usec_t sami_mig_bridge_next_deadline(const struct sami_mig_bridge *br);

int sami_mig_bridge_get(const struct sami_mig_bridge *br, uint64_t mig_id,
                        struct sami_mig_bridge_info *out);
/* Fills up to cap records (table order); returns how many are in use. */
size_t sami_mig_bridge_list(const struct sami_mig_bridge *br, struct sami_mig_bridge_info *out,
                            size_t cap);
const struct sami_mig_bridge_counters *sami_mig_bridge_get_counters(const struct sami_mig_bridge *br);

/* Static names ("O_COMMIT", "ORIGIN", "RESULT_OK"); "UNKNOWN" otherwise. */
const char *sami_mig_bridge_state_name(int state);
const char *sami_mig_bridge_role_name(int role);
const char *sami_mig_xfer_event_name(int event);

#ifdef __cplusplus
}
#endif
#endif
