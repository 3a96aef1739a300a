/* Bridge side of the migration flows: one state machine per migration.
 * States, deadlines and rules: docs/ENGINES-MIGRATION.md, docs/FLOWS.md. */
#include "sami/mig_bridge.h"

#include <stddef.h>
#include <string.h>

#define TP_BIT(tp) ((uint8_t)(1u << (unsigned)(tp)))

/* xfer_abort modes for fail() */
#define NO_ABORT 0
#define ABORT_QUIET 1  /* the peer already knows (it aborted) */
#define ABORT_NOTIFY 2 /* tell the peer */

static sami_usec_t add_sat(sami_usec_t a, sami_usec_t b)
{
    return a > SAMI_NO_DEADLINE - b ? SAMI_NO_DEADLINE : a + b;
}

void sami_mig_bridge_cfg_default(struct sami_mig_bridge_cfg *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    cfg->margin = SAMI_MSEC(500);
    /* Memory pre-copy of a large VM can take minutes; hypervisors are
     * expected to send a next-deadline hint, this only bounds the silent ones. */
    cfg->prepare_timeout = SAMI_SEC(120);
    /* The commit sits inside the VM's blackout (300 ms budget): 5 s means
     * something is broken, and the VM must be resumed somewhere. */
    cfg->commit_timeout = SAMI_SEC(5);
    cfg->activate_timeout = SAMI_SEC(30);
    cfg->purge_timeout = SAMI_SEC(10);
    /* Longer than a hypervisor's whole retransmission schedule, so every
     * retransmit of a finished migration still finds its record. */
    cfg->linger = SAMI_SEC(60);
}

int sami_mig_bridge_init(struct sami_mig_bridge *br, const struct sami_mig_bridge_cfg *cfg,
                         const struct sami_mig_bridge_ops *ops, void *ctx,
                         struct sami_mig_bridge_rec *table, size_t n_table)
{
    if (!br || !cfg || !ops || !table || n_table == 0)
        return SAMI_ERR_INVAL;
    if (!ops->send_feedback || !ops->resolve_peer || !ops->xfer_precopy || !ops->xfer_commit ||
        !ops->xfer_expect || !ops->xfer_activate || !ops->xfer_abort || !ops->freeze ||
        !ops->unfreeze)
        return SAMI_ERR_INVAL;
    if (sami_bridge_ref_check(&cfg->local) || sami_bridge_ref_size(&cfg->local) > 255)
        return SAMI_ERR_INVAL;
    if (cfg->prepare_timeout == 0 || cfg->commit_timeout == 0 || cfg->activate_timeout == 0 ||
        cfg->purge_timeout == 0 || cfg->linger == 0)
        return SAMI_ERR_INVAL;
    memset(br, 0, sizeof *br);
    br->cfg = *cfg;
    br->ops = ops;
    br->ctx = ctx;
    br->recs = table;
    br->n_recs = n_table;
    memset(table, 0, n_table * sizeof *table);
    return sami_dlheap_init(&br->dl, table, n_table, sizeof *table,
                            offsetof(struct sami_mig_bridge_rec, dl));
}

/* ------------------------------------------------------------- helpers -- */

/* The deadline index follows every change of state (FREE or not) and
 * deadline: these two are the only writers. */
static void sync_dl(struct sami_mig_bridge *br, const struct sami_mig_bridge_rec *r)
{
    sami_dlheap_set(&br->dl, (size_t)(r - br->recs),
                    r->state != SAMI_MIG_BRIDGE_FREE ? r->deadline : SAMI_NO_DEADLINE);
}

static void set_state(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, int state)
{
    if (r->state != (uint8_t)state)
        br->counters.state_changes++;
    r->state = (uint8_t)state;
    sync_dl(br, r);
}

static void set_deadline(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t d)
{
    r->deadline = d;
    sync_dl(br, r);
}

static struct sami_mig_bridge_rec *find(const struct sami_mig_bridge *br, uint64_t mig_id)
{
    for (size_t i = 0; i < br->n_recs; i++)
        if (br->recs[i].state != SAMI_MIG_BRIDGE_FREE && br->recs[i].mig_id == mig_id)
            return &br->recs[i];
    return NULL;
}

static int chassis_equal(const struct sami_bridge_ref *a, const struct sami_bridge_ref *b)
{
    return a->chassis_id_subtype == b->chassis_id_subtype &&
           a->chassis_id_len == b->chassis_id_len &&
           memcmp(a->chassis_id, b->chassis_id, a->chassis_id_len) == 0;
}

static int vm_equal(const struct sami_vm_id *a, const struct sami_vm_id *b)
{
    return a->type_id == b->type_id && a->type_version == b->type_version &&
           a->id_format == b->id_format && memcmp(a->id, b->id, sizeof a->id) == 0;
}

/* A migration id names one VM between two bridges; anything else under
 * the same id is a confused or hostile sender, not a new time point. */
static int same_migration(const struct sami_mig_bridge_rec *r, const struct sami_notif *n)
{
    return vm_equal(&r->vm, &n->vm) && sami_bridge_ref_equal(&r->orig, &n->orig_bridge) &&
           sami_bridge_ref_equal(&r->dest, &n->dest_bridge);
}

/* The notification's "next deadline" is relative to the sender's timestamp
 * on the sender's clock; clocks do not agree, so it is taken relative to
 * receipt, plus the margin for transit and processing. */
static sami_usec_t phase_deadline(const struct sami_mig_bridge *br, sami_usec_t now,
                                  const struct sami_notif *n, sami_usec_t dflt)
{
    if (n && n->next_deadline_ms)
        return add_sat(now, add_sat(SAMI_MSEC(n->next_deadline_ms), br->cfg.margin));
    return add_sat(now, dflt);
}

/* One result per wanted DI type, all with the same status and reason. */
static uint8_t synth_results(struct sami_fb_result *out, uint32_t di_types, uint8_t status,
                             uint16_t reason)
{
    uint8_t n = 0;
    for (unsigned t = 1; t < 32 && n < SAMI_SAMITLV_MAX_RESULTS; t++) {
        if (!(di_types & (UINT32_C(1) << t)))
            continue;
        memset(&out[n], 0, sizeof out[n]);
        out[n].di_type = (uint8_t)t;
        out[n].status = status;
        out[n].reason = reason;
        n++;
    }
    return n;
}

/* Copies the transfer engine's results, dropping entries the feedback
 * codec would refuse (type 0, unknown status, a type twice), so a sloppy
 * transfer engine cannot make every feedback unsendable. */
static uint8_t copy_results(struct sami_fb_result *out, const struct sami_mig_xfer_info *info)
{
    uint8_t n = 0;
    if (!info || !info->results)
        return 0;
    for (unsigned i = 0; i < info->n_results && n < SAMI_SAMITLV_MAX_RESULTS; i++) {
        const struct sami_fb_result *x = &info->results[i];
        if (x->di_type == 0 || x->status > SAMI_DI_STATUS_TIMEOUT)
            continue;
        int dup = 0;
        for (unsigned j = 0; j < n; j++)
            dup |= out[j].di_type == x->di_type;
        if (!dup)
            out[n++] = *x;
    }
    return n;
}

static void set_results(struct sami_mig_bridge_rec *r, const struct sami_mig_xfer_info *info,
                        uint8_t status, uint16_t reason)
{
    r->n_results = copy_results(r->results, info);
    if (r->n_results == 0)
        r->n_results = synth_results(r->results, r->di_types, status, reason);
}

static uint16_t ev_reason(const struct sami_mig_xfer_info *info, uint16_t dflt)
{
    return info && info->reason ? info->reason : dflt;
}

static const struct sami_bridge_ref *reporting_ref(const struct sami_mig_bridge_rec *r)
{
    return r->role == SAMI_MIG_BRIDGE_DEST ? &r->dest : &r->orig;
}

static void emit(struct sami_mig_bridge *br, uint32_t port, uint64_t mig_id, uint8_t tp,
                 uint8_t verdict, uint32_t transfer_time_us, uint8_t n_results,
                 const struct sami_fb_result *results, const struct sami_bridge_ref *bridge)
{
    struct sami_feedback *fb = &br->fb;
    memset(fb, 0, sizeof *fb);
    fb->version = SAMI_SAMITLV_VERSION;
    fb->verdict = verdict;
    fb->time_point = tp;
    fb->migration_id = mig_id;
    fb->transfer_time_us = transfer_time_us;
    /* A PENDING decides nothing, so it carries no results. */
    if (verdict != SAMI_VERDICT_PENDING && results) {
        fb->n_results = n_results;
        memcpy(fb->results, results, n_results * sizeof *results);
    }
    fb->has_bridge = 1;
    fb->bridge = *bridge;
    br->counters.fb_tx++;
    if (br->ops->send_feedback(br->ctx, port, fb) < 0)
        br->counters.fb_send_errors++;
}

/* Answers time point tp of a record and remembers the answer, so a
 * retransmission of tp gets the same one. */
static void answer(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, uint32_t port,
                   uint8_t tp, uint8_t verdict)
{
    r->answered[tp] = (uint8_t)(verdict + 1);
    uint32_t tt = (verdict == SAMI_VERDICT_PROCEED && tp == SAMI_TP_SUSPENDED) ? r->transfer_time_us
                                                                               : 0;
    emit(br, port, r->mig_id, tp, verdict, tt, r->n_results, r->results, reporting_ref(r));
}

/* Only accepted notifications move hv_port: a contradicting one changes
 * nothing. */
static void accept_tp(struct sami_mig_bridge_rec *r, uint8_t tp, uint32_t port)
{
    r->seen |= TP_BIT(tp);
    r->last_tp = tp;
    r->hv_port = port;
}

static int op_failed(struct sami_mig_bridge *br, int rc)
{
    if (rc < 0)
        br->counters.op_errors++;
    return rc < 0;
}

static void release_freeze(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r)
{
    if (!r->frozen)
        return;
    r->frozen = 0;
    op_failed(br, br->ops->unfreeze(br->ctx, r->mig_id, &r->vm));
}

/* Rollback: results, state and deadline first (so a callback sees the
 * final state), then unfreeze, abort, and the ROLLBACK answering fb_tp
 * (0 = no feedback: the hypervisor already has its decision or asked for
 * the abort itself). */
static void fail(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now,
                 uint8_t fb_tp, uint8_t status, uint16_t reason,
                 const struct sami_mig_xfer_info *info, int abort_mode)
{
    set_results(r, info, status, reason);
    set_state(br, r, SAMI_MIG_BRIDGE_FAILED);
    set_deadline(br, r, add_sat(now, br->cfg.linger));
    br->counters.rolled_back++;
    release_freeze(br, r);
    if (abort_mode != NO_ABORT)
        op_failed(br, br->ops->xfer_abort(br->ctx, r->mig_id, abort_mode == ABORT_NOTIFY, reason));
    if (fb_tp)
        answer(br, r, r->hv_port, fb_tp, SAMI_VERDICT_ROLLBACK);
}

static void finish(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now)
{
    set_state(br, r, SAMI_MIG_BRIDGE_DONE);
    set_deadline(br, r, add_sat(now, br->cfg.linger));
    br->counters.done++;
    /* After the purge the freeze guards nothing; releasing it keeps the
     * store's freeze bookkeeping balanced. */
    release_freeze(br, r);
}

static uint16_t op_reason(int rc)
{
    return rc == SAMI_ERR_LIMIT || rc == SAMI_ERR_NOMEM ? SAMI_FB_REASON_LIMIT
                                                         : SAMI_FB_REASON_INTERNAL;
}

static int contradiction(struct sami_mig_bridge *br)
{
    br->counters.notif_out_of_order++;
    return SAMI_ERR_STATE;
}

/* ---------------------------------------------------- new migrations -- */

static int derive_role(const struct sami_mig_bridge *br, const struct sami_notif *n)
{
    int o = chassis_equal(&n->orig_bridge, &br->cfg.local);
    int d = chassis_equal(&n->dest_bridge, &br->cfg.local);
    if (o && d)
        return SAMI_MIG_BRIDGE_LOCAL;
    if (o)
        return SAMI_MIG_BRIDGE_ORIGIN;
    if (d)
        return SAMI_MIG_BRIDGE_DEST;
    return 0;
}

/* Refusal without a record: ROLLBACK with one result per wanted type. */
static void refuse(struct sami_mig_bridge *br, uint32_t port, const struct sami_notif *n,
                   const struct sami_bridge_ref *me, uint16_t reason)
{
    struct sami_fb_result res[SAMI_SAMITLV_MAX_RESULTS];
    uint8_t k = synth_results(res, n->di_types, SAMI_DI_STATUS_FAILED, reason);
    emit(br, port, n->migration_id, n->time_point, SAMI_VERDICT_ROLLBACK, 0, k, res, me);
}

static int on_new(struct sami_mig_bridge *br, sami_usec_t now, uint32_t port,
                  const struct sami_notif *n)
{
    int role = derive_role(br, n);
    const struct sami_bridge_ref *me = role == SAMI_MIG_BRIDGE_DEST ? &n->dest_bridge
                                       : role ? &n->orig_bridge
                                              : &br->cfg.local;
    if (n->time_point == SAMI_TP_ABORTED) {
        /* Nothing to roll back (never announced, or long finished):
         * acknowledging lets the hypervisor's abort complete. */
        br->counters.abort_unknown++;
        emit(br, port, n->migration_id, SAMI_TP_ABORTED, SAMI_VERDICT_PENDING, 0, 0, NULL, me);
        return 0;
    }
    if (n->time_point == SAMI_TP_COMPLETED) {
        /* Nothing left to finish here (restarted, or the record lingered
         * out): the same acknowledgement, so the hypervisor's bookkeeping
         * ends instead of timing out on a migration that did complete. The
         * DI is the transfer engine's business (BR-D's ACTIVATE). */
        br->counters.completed_unknown++;
        emit(br, port, n->migration_id, SAMI_TP_COMPLETED, SAMI_VERDICT_PENDING, 0, 0, NULL, me);
        return 0;
    }
    if (n->time_point != SAMI_TP_PREPARE)
        return contradiction(br);
    if (!role) {
        br->counters.notif_not_ours++;
        refuse(br, port, n, me, SAMI_FB_REASON_REJECTED);
        return SAMI_ERR_REJECTED;
    }
    struct sami_mig_bridge_rec *r = NULL, *old = NULL;
    size_t on_port = 0;
    for (size_t i = 0; i < br->n_recs; i++) {
        struct sami_mig_bridge_rec *x = &br->recs[i];
        if (x->state == SAMI_MIG_BRIDGE_FREE) {
            if (!r)
                r = x;
        } else if (x->state == SAMI_MIG_BRIDGE_DONE || x->state == SAMI_MIG_BRIDGE_FAILED) {
            if (!old || x->deadline < old->deadline)
                old = x;
        } else if (x->hv_port == port) {
            on_port++;
        }
    }
    if (br->cfg.max_per_port && on_port >= br->cfg.max_per_port) {
        br->counters.refused_port_limit++;
        refuse(br, port, n, me, SAMI_FB_REASON_LIMIT);
        return SAMI_ERR_LIMIT;
    }
    /* A finished record only answers late retransmissions: a new migration
     * matters more than that (a flood must not keep the table full). */
    if (!r && old) {
        br->counters.reclaimed++;
        r = old;
    }
    if (!r) {
        br->counters.refused_limit++;
        refuse(br, port, n, me, SAMI_FB_REASON_LIMIT);
        return SAMI_ERR_LIMIT;
    }
    {
        struct sami_dlheap_link keep = r->dl; /* heap storage: survives */
        memset(r, 0, sizeof *r);
        r->dl = keep;
        sync_dl(br, r); /* FREE again (a reclaimed record leaves the index) */
    }
    r->role = (uint8_t)role;
    r->mig_id = n->migration_id;
    r->hv_port = port;
    r->di_types = n->di_types;
    r->vm = n->vm;
    r->orig = n->orig_bridge;
    r->dest = n->dest_bridge;
    r->created = now;
    accept_tp(r, SAMI_TP_PREPARE, port);
    br->counters.started++;

    if (role == SAMI_MIG_BRIDGE_LOCAL) {
        set_state(br, r, SAMI_MIG_BRIDGE_LOCAL_MOVE);
        set_deadline(br, r, phase_deadline(br, now, n, br->cfg.prepare_timeout));
        answer(br, r, port, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
        return 0;
    }
    const struct sami_bridge_ref *peer_ref = role == SAMI_MIG_BRIDGE_ORIGIN ? &r->dest : &r->orig;
    /* Any non-FREE state before fail(): the record must look in use. */
    set_state(br, r,
              role == SAMI_MIG_BRIDGE_ORIGIN ? SAMI_MIG_BRIDGE_O_PRECOPY : SAMI_MIG_BRIDGE_D_EXPECT);
    if (br->ops->resolve_peer(br->ctx, peer_ref, &r->peer) < 0) {
        /* Without a transfer address (and key) there is no migration of
         * DI: say so at once, before the VM is suspended. */
        br->counters.unknown_peer++;
        fail(br, r, now, SAMI_TP_PREPARE, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_UNREACHABLE, NULL,
             NO_ABORT);
        return 0;
    }
    int rc;
    if (role == SAMI_MIG_BRIDGE_ORIGIN) {
        set_deadline(br, r, phase_deadline(br, now, n, br->cfg.prepare_timeout));
        answer(br, r, port, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
        rc = br->ops->xfer_precopy(br->ctx, r->peer, peer_ref, r->mig_id, &r->vm, r->di_types);
    } else {
        /* HV-D's PREPARE hint is when RESUMED is due, which covers the
         * commit; without one, allow for both phases. */
        set_deadline(br, r,
                     phase_deadline(br, now, n,
                                    add_sat(br->cfg.prepare_timeout, br->cfg.commit_timeout)));
        answer(br, r, port, SAMI_TP_PREPARE, SAMI_VERDICT_PENDING);
        rc = br->ops->xfer_expect(br->ctx, r->peer, r->mig_id, &r->vm, r->di_types, r->deadline);
    }
    if (op_failed(br, rc))
        fail(br, r, now, SAMI_TP_PREPARE, SAMI_DI_STATUS_FAILED, op_reason(rc), NULL, ABORT_QUIET);
    return 0;
}

/* ------------------------------------------------ existing migrations -- */

/* Past this point the VM runs (or is about to run) at the destination with
 * its DI active: rolling back would lose it, so ABORTED is refused. */
static int past_no_return(const struct sami_mig_bridge_rec *r)
{
    switch (r->state) {
    case SAMI_MIG_BRIDGE_O_PURGING:
    case SAMI_MIG_BRIDGE_D_ACTIVATING:
    case SAMI_MIG_BRIDGE_D_ACTIVE:
    case SAMI_MIG_BRIDGE_DONE:
        return 1;
    case SAMI_MIG_BRIDGE_LOCAL_MOVE:
        return (r->seen & TP_BIT(SAMI_TP_RESUMED)) != 0;
    default:
        return 0;
    }
}

static int origin_notif(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now,
                        uint32_t port, const struct sami_notif *n)
{
    uint8_t tp = n->time_point;
    switch (tp) {
    case SAMI_TP_SUSPENDED:
        if (r->state != SAMI_MIG_BRIDGE_O_PRECOPY && r->state != SAMI_MIG_BRIDGE_O_STAGED)
            return contradiction(br);
        accept_tp(r, tp, port);
        r->t_suspended = now;
        set_state(br, r, SAMI_MIG_BRIDGE_O_COMMIT);
        set_deadline(br, r, phase_deadline(br, now, n, br->cfg.commit_timeout));
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        if (op_failed(br, br->ops->freeze(br->ctx, r->mig_id, &r->vm))) {
            fail(br, r, now, tp, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_INTERNAL, NULL, ABORT_NOTIFY);
            return 0;
        }
        r->frozen = 1;
        if (op_failed(br, br->ops->xfer_commit(br->ctx, r->mig_id)))
            fail(br, r, now, tp, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_INTERNAL, NULL, ABORT_NOTIFY);
        return 0;
    case SAMI_TP_RESUMED:
    case SAMI_TP_COMPLETED:
        /* Informational at the origin once PROCEED was given: the records
         * stay until BR-D's ACTIVATE, whatever the hypervisor says. */
        if (r->state != SAMI_MIG_BRIDGE_O_COMMITTED && r->state != SAMI_MIG_BRIDGE_O_PURGING)
            return contradiction(br);
        accept_tp(r, tp, port);
        if (tp == SAMI_TP_COMPLETED)
            r->completed = 1;
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        return 0;
    case SAMI_TP_ABORTED:
        /* O_PRECOPY, O_STAGED, O_COMMIT, O_COMMITTED (later states refused). */
        accept_tp(r, tp, port);
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        fail(br, r, now, 0, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_ABORTED, NULL, ABORT_NOTIFY);
        return 0;
    default:
        return contradiction(br);
    }
}

static int dest_notif(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now,
                      uint32_t port, const struct sami_notif *n)
{
    uint8_t tp = n->time_point;
    switch (tp) {
    case SAMI_TP_SUSPENDED:
        /* HV-D has nothing to suspend; tolerated before activation only. */
        if (r->state != SAMI_MIG_BRIDGE_D_EXPECT && r->state != SAMI_MIG_BRIDGE_D_INSTALLED)
            return contradiction(br);
        accept_tp(r, tp, port);
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        return 0;
    case SAMI_TP_RESUMED:
        /* Before the install the DI is not here: refusing (no state change)
         * lets a retransmission succeed once INSTALLED arrives. */
        if (r->state != SAMI_MIG_BRIDGE_D_INSTALLED)
            return contradiction(br);
        accept_tp(r, tp, port);
        set_state(br, r, SAMI_MIG_BRIDGE_D_ACTIVATING);
        set_deadline(br, r, phase_deadline(br, now, n, br->cfg.activate_timeout));
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        if (op_failed(br, br->ops->xfer_activate(br->ctx, r->mig_id)))
            fail(br, r, now, tp, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_INTERNAL, NULL, ABORT_NOTIFY);
        return 0;
    case SAMI_TP_COMPLETED:
        if (r->state != SAMI_MIG_BRIDGE_D_ACTIVATING && r->state != SAMI_MIG_BRIDGE_D_ACTIVE)
            return contradiction(br);
        accept_tp(r, tp, port);
        r->completed = 1;
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        /* The VM runs here with its DI active: BR-O's PURGE is BR-O's
         * business, bookkeeping here ends. */
        if (r->state == SAMI_MIG_BRIDGE_D_ACTIVE)
            finish(br, r, now);
        return 0;
    case SAMI_TP_ABORTED:
        /* D_EXPECT, D_INSTALLED (later states refused). FLOWS: a BR-D that
         * learns the abort from HV-D tells BR-O. */
        accept_tp(r, tp, port);
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        fail(br, r, now, 0, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_ABORTED, NULL, ABORT_NOTIFY);
        return 0;
    default:
        return contradiction(br);
    }
}

static int local_notif(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now,
                       uint32_t port, const struct sami_notif *n)
{
    uint8_t tp = n->time_point;
    accept_tp(r, tp, port);
    set_deadline(br, r, phase_deadline(br, now, n, br->cfg.prepare_timeout));
    switch (tp) {
    case SAMI_TP_SUSPENDED:
    case SAMI_TP_RESUMED:
        /* The DI already sits on this bridge: nothing to move, decide now. */
        if (r->n_results == 0)
            r->n_results = synth_results(r->results, r->di_types, SAMI_DI_STATUS_OK,
                                         SAMI_FB_REASON_NONE);
        if (tp == SAMI_TP_SUSPENDED)
            br->counters.proceeded++;
        answer(br, r, port, tp, SAMI_VERDICT_PROCEED);
        return 0;
    case SAMI_TP_COMPLETED:
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        finish(br, r, now);
        return 0;
    case SAMI_TP_ABORTED:
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        fail(br, r, now, 0, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_ABORTED, NULL, NO_ABORT);
        return 0;
    default:
        return contradiction(br);
    }
}

static int on_existing(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now,
                       uint32_t port, const struct sami_notif *n)
{
    uint8_t tp = n->time_point;
    if (!same_migration(r, n)) {
        br->counters.notif_mismatch++;
        return SAMI_ERR_EXISTS;
    }
    int dup = (r->seen & TP_BIT(tp)) != 0;
    if (r->state == SAMI_MIG_BRIDGE_FAILED) {
        /* Rolled back: every question gets that answer; aborting or
         * completing a rolled-back migration is simply acknowledged. */
        if (dup)
            br->counters.notif_dup++;
        accept_tp(r, tp, port);
        answer(br, r, port, tp,
               tp == SAMI_TP_ABORTED || tp == SAMI_TP_COMPLETED ? SAMI_VERDICT_PENDING
                                                                 : SAMI_VERDICT_ROLLBACK);
        return 0;
    }
    if (dup) {
        br->counters.notif_dup++;
        r->hv_port = port;
        answer(br, r, port, tp,
               r->answered[tp] ? (uint8_t)(r->answered[tp] - 1) : SAMI_VERDICT_PENDING);
        return 0;
    }
    if (tp == SAMI_TP_ABORTED && past_no_return(r)) {
        /* PROCEED answering ABORTED = "refused, the migration went ahead". */
        br->counters.abort_refused++;
        accept_tp(r, tp, port);
        answer(br, r, port, tp, SAMI_VERDICT_PROCEED);
        return SAMI_ERR_STATE;
    }
    if (r->state == SAMI_MIG_BRIDGE_DONE) {
        if (tp != SAMI_TP_COMPLETED && tp != SAMI_TP_RESUMED)
            return contradiction(br);
        accept_tp(r, tp, port);
        if (tp == SAMI_TP_COMPLETED)
            r->completed = 1;
        answer(br, r, port, tp, SAMI_VERDICT_PENDING);
        return 0;
    }
    switch (r->role) {
    case SAMI_MIG_BRIDGE_ORIGIN: return origin_notif(br, r, now, port, n);
    case SAMI_MIG_BRIDGE_DEST: return dest_notif(br, r, now, port, n);
    default: return local_notif(br, r, now, port, n);
    }
}

int sami_mig_bridge_notification_input(struct sami_mig_bridge *br, sami_usec_t now,
                                       uint32_t hv_port, const struct sami_notif *n)
{
    if (!br || !n)
        return SAMI_ERR_INVAL;
    br->counters.notif_rx++;
    if (n->time_point < SAMI_TP_PREPARE || n->time_point > SAMI_TP_ABORTED) {
        br->counters.notif_invalid++;
        return SAMI_ERR_VALUE;
    }
    struct sami_mig_bridge_rec *r = find(br, n->migration_id);
    return r ? on_existing(br, r, now, hv_port, n) : on_new(br, now, hv_port, n);
}

/* ---------------------------------------------------- transfer events -- */

int sami_mig_bridge_xfer_event(struct sami_mig_bridge *br, sami_usec_t now, uint64_t mig_id,
                               int event, const struct sami_mig_xfer_info *info)
{
    if (!br)
        return SAMI_ERR_INVAL;
    if (event < SAMI_MIG_XFER_PRECOPY_DONE || event > SAMI_MIG_XFER_PEER_ERROR)
        return SAMI_ERR_VALUE;
    struct sami_mig_bridge_rec *r = find(br, mig_id);
    if (!r) {
        br->counters.xfer_unknown++;
        return SAMI_ERR_NOTFOUND;
    }
    uint8_t st = r->state;
    int before_suspend = st == SAMI_MIG_BRIDGE_O_PRECOPY || st == SAMI_MIG_BRIDGE_O_STAGED;
    switch (event) {
    case SAMI_MIG_XFER_PRECOPY_DONE:
        if (st == SAMI_MIG_BRIDGE_O_PRECOPY) {
            set_state(br, r, SAMI_MIG_BRIDGE_O_STAGED); /* same deadline: still awaiting SUSPENDED */
            return 0;
        }
        break;
    case SAMI_MIG_XFER_RESULT_OK:
        if (st == SAMI_MIG_BRIDGE_O_COMMIT) {
            set_results(r, info, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE);
            sami_usec_t dt = now >= r->t_suspended ? now - r->t_suspended : 0;
            r->transfer_time_us = dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
            set_state(br, r, SAMI_MIG_BRIDGE_O_COMMITTED);
            set_deadline(br, r, add_sat(now, br->cfg.activate_timeout));
            br->counters.proceeded++;
            answer(br, r, r->hv_port, SAMI_TP_SUSPENDED, SAMI_VERDICT_PROCEED);
            return 0;
        }
        break;
    case SAMI_MIG_XFER_RESULT_FAILED:
        if (before_suspend || st == SAMI_MIG_BRIDGE_O_COMMIT) {
            /* ABORT even though BR-D failed: it discards whatever it staged. */
            fail(br, r, now, r->last_tp, SAMI_DI_STATUS_FAILED,
                 ev_reason(info, SAMI_FB_REASON_REJECTED), info, ABORT_NOTIFY);
            return 0;
        }
        break;
    case SAMI_MIG_XFER_INSTALLED:
        if (st == SAMI_MIG_BRIDGE_D_EXPECT) {
            set_results(r, info, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE);
            set_state(br, r, SAMI_MIG_BRIDGE_D_INSTALLED);
            /* Give the manager at least activate_timeout to see PROCEED and
             * resume the VM, never less than HV-D announced. */
            sami_usec_t d = add_sat(now, br->cfg.activate_timeout);
            if (d > r->deadline)
                set_deadline(br, r, d);
            return 0;
        }
        break;
    case SAMI_MIG_XFER_ACTIVATED:
        if (st == SAMI_MIG_BRIDGE_FAILED && r->role == SAMI_MIG_BRIDGE_ORIGIN &&
            r->answered[SAMI_TP_SUSPENDED] == SAMI_VERDICT_PROCEED + 1) {
            /* BR-D's ACTIVATE after this bridge gave up waiting for it (its
             * deadline, or ABORT crossing ACTIVATE): after PROCEED the
             * destination decides, the VM runs there and the DI was purged
             * here. Not a rollback after all. */
            br->counters.late_activated++;
            set_state(br, r, SAMI_MIG_BRIDGE_O_PURGING);
            set_deadline(br, r, add_sat(now, br->cfg.purge_timeout));
            return 0;
        }
        if (st == SAMI_MIG_BRIDGE_O_COMMITTED) {
            set_state(br, r, SAMI_MIG_BRIDGE_O_PURGING);
            set_deadline(br, r, add_sat(now, br->cfg.purge_timeout));
            return 0;
        }
        if (st == SAMI_MIG_BRIDGE_D_ACTIVATING) {
            set_state(br, r, SAMI_MIG_BRIDGE_D_ACTIVE);
            set_deadline(br, r, add_sat(now, br->cfg.purge_timeout));
            br->counters.proceeded++;
            answer(br, r, r->hv_port, SAMI_TP_RESUMED, SAMI_VERDICT_PROCEED);
            if (r->completed && r->state == SAMI_MIG_BRIDGE_D_ACTIVE)
                finish(br, r, now);
            return 0;
        }
        break;
    case SAMI_MIG_XFER_PURGED:
        if (st == SAMI_MIG_BRIDGE_O_COMMITTED || st == SAMI_MIG_BRIDGE_O_PURGING ||
            st == SAMI_MIG_BRIDGE_D_ACTIVE) {
            finish(br, r, now);
            return 0;
        }
        break;
    case SAMI_MIG_XFER_ABORTED_BY_PEER:
        if (before_suspend || st == SAMI_MIG_BRIDGE_O_COMMIT || st == SAMI_MIG_BRIDGE_D_EXPECT ||
            st == SAMI_MIG_BRIDGE_D_INSTALLED) {
            fail(br, r, now, r->last_tp, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_ABORTED, info,
                 NO_ABORT);
            return 0;
        }
        if (st == SAMI_MIG_BRIDGE_O_COMMITTED) {
            /* HV-S already has PROCEED; a second verdict would be ignored. */
            fail(br, r, now, 0, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_ABORTED, info, NO_ABORT);
            return 0;
        }
        if (st == SAMI_MIG_BRIDGE_O_PURGING || st == SAMI_MIG_BRIDGE_D_ACTIVATING ||
            st == SAMI_MIG_BRIDGE_D_ACTIVE) {
            br->counters.abort_refused++;
            return SAMI_ERR_STATE;
        }
        break;
    case SAMI_MIG_XFER_PEER_TIMEOUT:
    case SAMI_MIG_XFER_PEER_ERROR:
        /* Only the origin drives the exchange; later phases are bounded by
         * their deadlines (the transfer engine may still reconnect). */
        if (before_suspend || st == SAMI_MIG_BRIDGE_O_COMMIT) {
            fail(br, r, now, r->last_tp,
                 event == SAMI_MIG_XFER_PEER_TIMEOUT ? SAMI_DI_STATUS_TIMEOUT
                                                     : SAMI_DI_STATUS_FAILED,
                 ev_reason(info, SAMI_FB_REASON_UNREACHABLE), info, ABORT_NOTIFY);
            return 0;
        }
        break;
    default:
        break;
    }
    br->counters.xfer_unexpected++;
    return SAMI_ERR_STATE;
}

/* ---------------------------------------------------------- deadlines -- */

static void expire(struct sami_mig_bridge *br, struct sami_mig_bridge_rec *r, sami_usec_t now)
{
    br->counters.timeouts[r->state]++;
    switch (r->state) {
    case SAMI_MIG_BRIDGE_O_PRECOPY:
    case SAMI_MIG_BRIDGE_O_STAGED:
    case SAMI_MIG_BRIDGE_O_COMMIT:
    case SAMI_MIG_BRIDGE_D_EXPECT:
    case SAMI_MIG_BRIDGE_D_INSTALLED:
    case SAMI_MIG_BRIDGE_D_ACTIVATING:
        fail(br, r, now, r->last_tp, SAMI_DI_STATUS_TIMEOUT, SAMI_FB_REASON_DEADLINE, NULL,
             ABORT_NOTIFY);
        break;
    case SAMI_MIG_BRIDGE_O_COMMITTED:
        /* PROCEED was given but BR-D never activated: keep every record
         * (unfreeze, do not purge) and tell BR-D, which refuses if it did
         * activate after all. */
        fail(br, r, now, 0, SAMI_DI_STATUS_TIMEOUT, SAMI_FB_REASON_DEADLINE, NULL, ABORT_NOTIFY);
        break;
    case SAMI_MIG_BRIDGE_O_PURGING:
    case SAMI_MIG_BRIDGE_D_ACTIVE:
    case SAMI_MIG_BRIDGE_LOCAL_MOVE:
        /* The VM runs at the destination with its DI: the migration
         * succeeded; only the confirmation is missing. */
        finish(br, r, now);
        break;
    default:
        break;
    }
}

void sami_mig_bridge_run(struct sami_mig_bridge *br, sami_usec_t now)
{
    if (!br)
        return;
    /* Nothing due: skip the table (the scan below would change nothing). */
    if (sami_dlheap_min(&br->dl) > now)
        return;
    for (size_t i = 0; i < br->n_recs; i++) {
        struct sami_mig_bridge_rec *r = &br->recs[i];
        if (r->state == SAMI_MIG_BRIDGE_FREE || r->deadline > now)
            continue;
        if (r->state == SAMI_MIG_BRIDGE_DONE || r->state == SAMI_MIG_BRIDGE_FAILED) {
            set_state(br, r, SAMI_MIG_BRIDGE_FREE);
            br->counters.freed++;
            continue;
        }
        expire(br, r, now);
    }
}

sami_usec_t sami_mig_bridge_next_deadline(const struct sami_mig_bridge *br)
{
    return br ? sami_dlheap_min(&br->dl) : SAMI_NO_DEADLINE;
}

/* -------------------------------------------------------------- query -- */

static void info_of(const struct sami_mig_bridge_rec *r, struct sami_mig_bridge_info *out)
{
    memset(out, 0, sizeof *out);
    out->mig_id = r->mig_id;
    out->role = r->role;
    out->state = r->state;
    out->last_tp = r->last_tp;
    out->frozen = r->frozen;
    out->completed = r->completed;
    out->n_results = r->n_results;
    out->hv_port = r->hv_port;
    out->peer = r->peer;
    out->di_types = r->di_types;
    out->transfer_time_us = r->transfer_time_us;
    out->deadline = r->deadline;
    out->created = r->created;
    out->vm = r->vm;
    out->orig = &r->orig;
    out->dest = &r->dest;
}

int sami_mig_bridge_get(const struct sami_mig_bridge *br, uint64_t mig_id,
                        struct sami_mig_bridge_info *out)
{
    if (!br || !out)
        return SAMI_ERR_INVAL;
    const struct sami_mig_bridge_rec *r = find(br, mig_id);
    if (!r)
        return SAMI_ERR_NOTFOUND;
    info_of(r, out);
    return 0;
}

size_t sami_mig_bridge_list(const struct sami_mig_bridge *br, struct sami_mig_bridge_info *out,
                            size_t cap)
{
    size_t n = 0;
    if (!br)
        return 0;
    for (size_t i = 0; i < br->n_recs; i++) {
        if (br->recs[i].state == SAMI_MIG_BRIDGE_FREE)
            continue;
        if (out && n < cap)
            info_of(&br->recs[i], &out[n]);
        n++;
    }
    return n;
}

const struct sami_mig_bridge_counters *sami_mig_bridge_get_counters(const struct sami_mig_bridge *br)
{
    return br ? &br->counters : NULL;
}

const char *sami_mig_bridge_state_name(int state)
{
    switch (state) {
    case SAMI_MIG_BRIDGE_FREE: return "FREE";
    case SAMI_MIG_BRIDGE_O_PRECOPY: return "O_PRECOPY";
    case SAMI_MIG_BRIDGE_O_STAGED: return "O_STAGED";
    case SAMI_MIG_BRIDGE_O_COMMIT: return "O_COMMIT";
    case SAMI_MIG_BRIDGE_O_COMMITTED: return "O_COMMITTED";
    case SAMI_MIG_BRIDGE_O_PURGING: return "O_PURGING";
    case SAMI_MIG_BRIDGE_D_EXPECT: return "D_EXPECT";
    case SAMI_MIG_BRIDGE_D_INSTALLED: return "D_INSTALLED";
    case SAMI_MIG_BRIDGE_D_ACTIVATING: return "D_ACTIVATING";
    case SAMI_MIG_BRIDGE_D_ACTIVE: return "D_ACTIVE";
    case SAMI_MIG_BRIDGE_LOCAL_MOVE: return "LOCAL_MOVE";
    case SAMI_MIG_BRIDGE_DONE: return "DONE";
    case SAMI_MIG_BRIDGE_FAILED: return "FAILED";
    default: return "UNKNOWN";
    }
}

const char *sami_mig_bridge_role_name(int role)
{
    switch (role) {
    case SAMI_MIG_BRIDGE_ORIGIN: return "ORIGIN";
    case SAMI_MIG_BRIDGE_DEST: return "DEST";
    case SAMI_MIG_BRIDGE_LOCAL: return "LOCAL";
    default: return "UNKNOWN";
    }
}

const char *sami_mig_xfer_event_name(int event)
{
    switch (event) {
    case SAMI_MIG_XFER_PRECOPY_DONE: return "PRECOPY_DONE";
    case SAMI_MIG_XFER_RESULT_OK: return "RESULT_OK";
    case SAMI_MIG_XFER_RESULT_FAILED: return "RESULT_FAILED";
    case SAMI_MIG_XFER_INSTALLED: return "INSTALLED";
    case SAMI_MIG_XFER_ACTIVATED: return "ACTIVATED";
    case SAMI_MIG_XFER_PURGED: return "PURGED";
    case SAMI_MIG_XFER_ABORTED_BY_PEER: return "ABORTED_BY_PEER";
    case SAMI_MIG_XFER_PEER_TIMEOUT: return "PEER_TIMEOUT";
    case SAMI_MIG_XFER_PEER_ERROR: return "PEER_ERROR";
    default: return "UNKNOWN";
    }
}
