/* Hypervisor side of the migration notification / feedback exchange
 * (docs/FLOWS.md, docs/ENGINES-MIGRATION.md), sans-I/O.
 *
 * One record per migration, in a table the caller provides. The engine
 * builds each time point's sami notification TLV value (OUI onwards, via
 * samitlv), hands it to ops->send_notification together with the VDP request
 * it naturally rides with, retransmits it until the bridge acknowledges it
 * (any feedback for that time point), and turns the bridge's feedback into
 * exactly one outcome per time point through ops->verdict:
 *
 *   PREPARE / COMPLETED / ABORTED, SUSPENDED at DEST, RESUMED at SOURCE:
 *       acknowledged -> ACKED;  ROLLBACK -> ROLLBACK;  no ack -> TIMEOUT
 *   SUSPENDED at SOURCE (the decision):
 *       PROCEED -> PROCEED;  ROLLBACK -> ROLLBACK;
 *       no final feedback within cfg.verdict_wait -> TIMEOUT
 *       (once acknowledged, the time point is sent again now and then,
 *       cfg.max_reasks times within verdict_wait, so a lost decision is
 *       asked for again: the bridge answers a repeat with its decision)
 *   RESUMED at DEST (activation confirmed by the destination bridge):
 *       PROCEED -> PROCEED;  ROLLBACK -> ROLLBACK;  none in time -> TIMEOUT
 *   ABORTED answered with PROCEED -> REFUSED (the VM already runs at the
 *       destination; nothing was rolled back)
 *
 * A ROLLBACK that arrives for the current time point after its ACKED
 * outcome (the bridge gave up later, e.g. pre-copy failed) is delivered as
 * a second outcome, once. Everything else is deduplicated and counted.
 *
 * Time is sami_usec_t (monotonic µs) passed in by the caller; the engine
 * never reads a clock. Callbacks must not call back into the engine except
 * for the read-only queries (get/list/counters) and, from ops->verdict only,
 * time_point/abort/end; the engine leaves its state consistent before each
 * callback. */
#ifndef SAMI_MIG_HV_H
#define SAMI_MIG_HV_H

#include <stddef.h>
#include <stdint.h>

#include "sami/dlheap.h"
#include "sami/error.h"
#include "sami/samitlv.h"
#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Which hypervisor of the migration this one is. */
enum sami_mig_hv_role {
    SAMI_MIG_HV_SOURCE = 1, /* HV-S, attached to the original bridge */
    SAMI_MIG_HV_DEST = 2    /* HV-D, attached to the destination bridge */
};

/* Which VDP request the notification should ride with (the glue decides
 * whether it actually rides or goes out standalone). */
enum sami_mig_hv_pairing {
    SAMI_MIG_HV_PAIR_STANDALONE = 0, /* Manager ID + sami TLV on its own */
    SAMI_MIG_HV_PAIR_PREASSOC_M = 1, /* PREPARE at DEST: PreAssoc with the M hint */
    SAMI_MIG_HV_PAIR_SUSPEND_S = 2,  /* SUSPENDED at SOURCE: request with the S hint */
    SAMI_MIG_HV_PAIR_ASSOC = 3,      /* RESUMED at DEST: Assoc */
    SAMI_MIG_HV_PAIR_DEASSOC = 4     /* COMPLETED at SOURCE: DeAssoc */
};

/* Outcome of one time point (what ops->verdict reports). */
enum sami_mig_hv_outcome {
    SAMI_MIG_HV_NONE = 0,     /* not decided yet (queries only) */
    SAMI_MIG_HV_PROCEED = 1,  /* PROCEED answering SUSPENDED (source) / RESUMED (dest) */
    SAMI_MIG_HV_ROLLBACK = 2, /* the bridge said ROLLBACK */
    SAMI_MIG_HV_TIMEOUT = 3,  /* no acknowledgement after the retries, or no final
                               * feedback within verdict_wait */
    SAMI_MIG_HV_ACKED = 4,    /* acknowledged; this time point needs no decision */
    SAMI_MIG_HV_REFUSED = 5   /* ABORTED answered PROCEED: the abort was refused */
};

/* Where a record stands on its current time point. */
enum sami_mig_hv_phase {
    SAMI_MIG_HV_IDLE = 0,       /* started, no time point sent yet */
    SAMI_MIG_HV_WAIT_ACK = 1,   /* sent, no feedback yet (retransmitting) */
    SAMI_MIG_HV_WAIT_FINAL = 2, /* acknowledged, waiting for PROCEED/ROLLBACK (asking again) */
    SAMI_MIG_HV_DONE = 3        /* outcome delivered */
};

struct sami_mig_hv_verdict {
    uint64_t mig_id;
    uint8_t time_point;         /* enum sami_tp answered */
    uint8_t outcome;            /* enum sami_mig_hv_outcome */
    uint32_t transfer_time_us;  /* from the feedback (0 for TIMEOUT) */
    uint8_t n_results;          /* per-DI-type results copied from the feedback */
    struct sami_fb_result results[SAMI_SAMITLV_MAX_RESULTS];
};

struct sami_mig_hv_ops {
    /* Sends one notification. value/len: the sami org TLV value (OUI
     * onwards), valid only during the call. pairing: enum
     * sami_mig_hv_pairing. A retransmission passes the same bytes and
     * pairing. A negative return is counted; the retransmission timer
     * still runs, so a transient failure is retried. */
    int (*send_notification)(void *ctx, uint64_t mig_id, int tp, const uint8_t *value,
                             size_t len, int pairing);
    /* One outcome of one time point (see the table at the top). */
    void (*verdict)(void *ctx, const struct sami_mig_hv_verdict *v);
};

struct sami_mig_hv_cfg {
    const uint8_t *oui;          /* NULL = default placeholder 0A-53-4D; copied */
    sami_usec_t ack_timeout;     /* first retransmission after this; doubles each time */
    uint8_t max_retries;         /* retransmissions before TIMEOUT (0 = send once) */
    sami_usec_t verdict_wait;    /* decision wait from the first send of a deciding tp */
    uint8_t max_reasks;          /* sends of a deciding tp while it waits for the decision
                                  * after the acknowledgement: first ack_timeout after it,
                                  * doubling, none at or past verdict_wait (0 = never) */
    sami_usec_t linger;          /* COMPLETED/ABORTED records are freed this long after
                                  * their outcome (duplicates are still recognised) */
    uint64_t wall_offset_ms;     /* notification timestamp = wall_offset_ms + now / 1000:
                                  * the host's (wall clock - monotonic clock) in ms */
};

/* Defaults: ack_timeout 500 ms, max_retries 3, verdict_wait 10 s, max_reasks 4,
 * linger 30 s, oui NULL, wall_offset_ms 0. */
void sami_mig_hv_cfg_default(struct sami_mig_hv_cfg *cfg);

/* One migration. Complete type so the caller can size the table; its
 * fields are the engine's (read them through sami_mig_hv_get). */
struct sami_mig_hv_rec {
    uint8_t used;
    uint8_t role;                /* enum sami_mig_hv_role */
    uint8_t tp;                  /* current time point, 0 before the first */
    uint8_t phase;               /* enum sami_mig_hv_phase */
    uint8_t outcome;             /* last outcome delivered for tp */
    uint8_t pairing;
    uint8_t rtx_left;            /* retransmissions (WAIT_ACK) or re-asks (WAIT_FINAL) left */
    uint8_t n_macs, n_ipv4, n_ipv6;
    uint32_t di_types;
    uint32_t retransmits;        /* of the current time point */
    uint64_t mig_id;
    sami_usec_t rto;
    sami_usec_t rtx_at;          /* next retransmission (WAIT_ACK) or re-ask (WAIT_FINAL) */
    sami_usec_t verdict_at;      /* TIMEOUT of a deciding tp */
    sami_usec_t linger_at;       /* record freed (after COMPLETED/ABORTED) */
    struct sami_vm_id vm;
    struct sami_bridge_ref orig;
    struct sami_bridge_ref dest;
    struct sami_samitlv_mac_vlan macs[SAMI_SAMITLV_MAX_MACS];
    uint8_t ipv4[SAMI_SAMITLV_MAX_IPV4][4];
    uint8_t ipv6[SAMI_SAMITLV_MAX_IPV6][16];
    size_t tlv_len;
    uint8_t tlv[SAMI_SAMITLV_MAX_VALUE]; /* the value being (re)transmitted */
    struct sami_dlheap_link dl;  /* the engine's deadline index (sami/dlheap.h) */
};

struct sami_mig_hv_counters {
    uint64_t started, ended, freed, table_full;
    uint64_t notif_tx, notif_rtx, send_errors;
    uint64_t notif_reask;   /* deciding time points sent again while awaiting the decision */
    uint64_t fb_rx;
    uint64_t fb_unknown;    /* migration id not in the table */
    uint64_t fb_stale;      /* answers another time point than the current one */
    uint64_t fb_dup;        /* after the outcome: duplicates, late answers */
    uint64_t fb_ignored;    /* PROCEED answering a time point that decides nothing */
    uint64_t outcomes[6];   /* by enum sami_mig_hv_outcome */
};

struct sami_mig_hv {
    struct sami_mig_hv_cfg cfg;
    uint8_t oui[3];
    const struct sami_mig_hv_ops *ops;
    void *ctx;
    struct sami_mig_hv_rec *recs;
    size_t n_recs;
    struct sami_dlheap dl;       /* records by deadline: next_deadline in O(1) */
    struct sami_mig_hv_counters counters;
    struct sami_notif scratch;   /* notification being encoded */
    uint8_t buf[SAMI_SAMITLV_MAX_VALUE];
};

/* Snapshot of one record for tools (samictl, sami-notify). */
struct sami_mig_hv_info {
    uint64_t mig_id;
    uint8_t role, tp, phase, outcome;
    uint32_t di_types;
    uint32_t retransmits;        /* retransmissions and re-asks of the current tp */
    sami_usec_t deadline;        /* the record's next timer, SAMI_NO_DEADLINE if none */
};

/* cfg NULL = defaults. ops->send_notification and ops->verdict are required.
 * SAMI_ERR_INVAL on NULL arguments, an empty table or a zero ack_timeout /
 * verdict_wait. */
int sami_mig_hv_init(struct sami_mig_hv *hv, const struct sami_mig_hv_cfg *cfg,
                     const struct sami_mig_hv_ops *ops, void *ctx,
                     struct sami_mig_hv_rec *table, size_t n_table);

/* Creates the record (nothing is sent). role: enum sami_mig_hv_role.
 * di_types: DI bitmap (bit 0 must be clear). Errors: INVAL, EXISTS (id in
 * use), LIMIT (table full), or the notification check's error (VALUE,
 * TOOBIG) when these fields could never be encoded. */
int sami_mig_hv_start(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id,
                      const struct sami_vm_id *vm, const struct sami_bridge_ref *orig,
                      const struct sami_bridge_ref *dest, int role, uint32_t di_types);

/* Optional VM addresses carried by every later notification (element 2/3/4).
 * TOOBIG above the protocol maxima or when the result no longer encodes;
 * NOTFOUND for an unknown id. */
int sami_mig_hv_set_addrs(struct sami_mig_hv *hv, uint64_t mig_id,
                          const struct sami_samitlv_mac_vlan *macs, size_t n_macs,
                          const uint8_t (*ipv4)[4], size_t n_ipv4,
                          const uint8_t (*ipv6)[16], size_t n_ipv6);

/* Sends time point tp (enum sami_tp) with next_deadline_ms (ms after this
 * time point by which the next one is due; 0 = none). Any order is allowed
 * (each sami-notify run sends one time point); a new time point supersedes
 * the previous one, whose pending outcome is dropped. Errors: NOTFOUND,
 * VALUE (tp), or the encoder's error (nothing sent, state unchanged). */
int sami_mig_hv_time_point(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id, int tp,
                           uint32_t next_deadline_ms);

/* ABORTED with the abort reason element (enum sami_abort_reason). */
int sami_mig_hv_abort(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id,
                      uint16_t reason);

/* A decoded feedback TLV from the bridge. 0 when it produced an outcome or
 * an acknowledgement; NOTFOUND (unknown migration), STATE (stale: another
 * time point, or nothing sent yet), EXISTS (duplicate / late) otherwise;
 * all of these are counted, none changes state. */
int sami_mig_hv_feedback_input(struct sami_mig_hv *hv, sami_usec_t now,
                               const struct sami_feedback *fb);

/* Fires every timer due at `now` (retransmissions, TIMEOUTs, linger). */
void sami_mig_hv_run(struct sami_mig_hv *hv, sami_usec_t now);

/* Earliest timer of any record, SAMI_NO_DEADLINE if none. */
sami_usec_t sami_mig_hv_next_deadline(const struct sami_mig_hv *hv);

/* Frees a record now (no outcome is delivered). NOTFOUND if unknown. */
int sami_mig_hv_end(struct sami_mig_hv *hv, uint64_t mig_id);

int sami_mig_hv_get(const struct sami_mig_hv *hv, uint64_t mig_id, struct sami_mig_hv_info *out);
/* Fills up to cap records (table order); returns how many are in use. */
size_t sami_mig_hv_list(const struct sami_mig_hv *hv, struct sami_mig_hv_info *out, size_t cap);
const struct sami_mig_hv_counters *sami_mig_hv_get_counters(const struct sami_mig_hv *hv);

/* Pairing of a time point for a role (the table in docs/ENGINES-MIGRATION.md). */
int sami_mig_hv_pairing_for(int tp, int role);

/* Static names: "PROCEED", "WAIT_ACK", "PREASSOC_M", "SOURCE"; "UNKNOWN" otherwise. */
const char *sami_mig_hv_outcome_name(int outcome);
const char *sami_mig_hv_phase_name(int phase);
const char *sami_mig_hv_pairing_name(int pairing);
const char *sami_mig_hv_role_name(int role);

#ifdef __cplusplus
}
#endif
#endif
