/* Hypervisor side of the migration notification / feedback exchange.
 * States and rules: docs/ENGINES-MIGRATION.md. */
#include "sami/mig_hv.h"

#include <stddef.h>
#include <string.h>

static const uint8_t hv_default_oui[3] = SAMI_OUI_DEFAULT;

static sami_usec_t add_sat(sami_usec_t a, sami_usec_t b)
{
    return a > SAMI_NO_DEADLINE - b ? SAMI_NO_DEADLINE : a + b;
}

void sami_mig_hv_cfg_default(struct sami_mig_hv_cfg *cfg)
{
    if (!cfg)
        return;
    memset(cfg, 0, sizeof *cfg);
    /* ECP already retries frames; this covers a bridge that lost the PDU
     * above ECP, so it may be slower, but SUSPENDED is on the blackout path. */
    cfg->ack_timeout = SAMI_MSEC(500);
    cfg->max_retries = 3;
    /* A commit is expected in well under a second (300 ms blackout budget);
     * 10 s leaves room for a slow peer before the manager falls back. */
    cfg->verdict_wait = SAMI_SEC(10);
    /* A lost PROCEED/ROLLBACK would otherwise only show as TIMEOUT after
     * verdict_wait: asking again at 0.5, 1.5, 3.5 and 7.5 s after the
     * acknowledgement recovers it well within the wait. */
    cfg->max_reasks = 4;
    cfg->linger = SAMI_SEC(30);
}

int sami_mig_hv_init(struct sami_mig_hv *hv, const struct sami_mig_hv_cfg *cfg,
                     const struct sami_mig_hv_ops *ops, void *ctx,
                     struct sami_mig_hv_rec *table, size_t n_table)
{
    if (!hv || !ops || !ops->send_notification || !ops->verdict || !table || n_table == 0)
        return SAMI_ERR_INVAL;
    struct sami_mig_hv_cfg c;
    if (cfg)
        c = *cfg;
    else
        sami_mig_hv_cfg_default(&c);
    if (c.ack_timeout == 0 || c.verdict_wait == 0)
        return SAMI_ERR_INVAL;
    memset(hv, 0, sizeof *hv);
    hv->cfg = c;
    memcpy(hv->oui, c.oui ? c.oui : hv_default_oui, 3);
    hv->cfg.oui = NULL; /* the copy in hv->oui is what counts: the caller's may go away */
    hv->ops = ops;
    hv->ctx = ctx;
    hv->recs = table;
    hv->n_recs = n_table;
    memset(table, 0, n_table * sizeof *table);
    return sami_dlheap_init(&hv->dl, table, n_table, sizeof *table,
                            offsetof(struct sami_mig_hv_rec, dl));
}

static sami_usec_t rec_deadline(const struct sami_mig_hv_rec *r)
{
    sami_usec_t d = r->linger_at;
    if ((r->phase == SAMI_MIG_HV_WAIT_ACK || r->phase == SAMI_MIG_HV_WAIT_FINAL) && r->rtx_at < d)
        d = r->rtx_at;
    if ((r->phase == SAMI_MIG_HV_WAIT_ACK || r->phase == SAMI_MIG_HV_WAIT_FINAL) &&
        r->verdict_at < d)
        d = r->verdict_at;
    return d;
}

/* Re-reads a record's deadline into the index; called after every change
 * to used, phase or the timers, before any callback runs. */
static void sync_dl(struct sami_mig_hv *hv, const struct sami_mig_hv_rec *r)
{
    sami_dlheap_set(&hv->dl, (size_t)(r - hv->recs), r->used ? rec_deadline(r) : SAMI_NO_DEADLINE);
}

static struct sami_mig_hv_rec *find(const struct sami_mig_hv *hv, uint64_t mig_id)
{
    for (size_t i = 0; i < hv->n_recs; i++)
        if (hv->recs[i].used && hv->recs[i].mig_id == mig_id)
            return &hv->recs[i];
    return NULL;
}

int sami_mig_hv_pairing_for(int tp, int role)
{
    /* The natural VDP request of each time point exists on one side only
     * (docs/DESIGN.md "Carriage"); elsewhere the TLV goes standalone. */
    switch (tp) {
    case SAMI_TP_PREPARE:
        return role == SAMI_MIG_HV_DEST ? SAMI_MIG_HV_PAIR_PREASSOC_M : SAMI_MIG_HV_PAIR_STANDALONE;
    case SAMI_TP_SUSPENDED:
        return role == SAMI_MIG_HV_SOURCE ? SAMI_MIG_HV_PAIR_SUSPEND_S : SAMI_MIG_HV_PAIR_STANDALONE;
    case SAMI_TP_RESUMED:
        return role == SAMI_MIG_HV_DEST ? SAMI_MIG_HV_PAIR_ASSOC : SAMI_MIG_HV_PAIR_STANDALONE;
    case SAMI_TP_COMPLETED:
        return role == SAMI_MIG_HV_SOURCE ? SAMI_MIG_HV_PAIR_DEASSOC : SAMI_MIG_HV_PAIR_STANDALONE;
    default:
        return SAMI_MIG_HV_PAIR_STANDALONE;
    }
}

/* The time points whose answer is a decision rather than an acknowledgement. */
static int deciding(const struct sami_mig_hv_rec *r)
{
    return (r->tp == SAMI_TP_SUSPENDED && r->role == SAMI_MIG_HV_SOURCE) ||
           (r->tp == SAMI_TP_RESUMED && r->role == SAMI_MIG_HV_DEST);
}

static void fill_notif(struct sami_mig_hv *hv, const struct sami_mig_hv_rec *r, sami_usec_t now,
                       int tp, uint32_t next_deadline_ms, int has_reason, uint16_t reason)
{
    struct sami_notif *n = &hv->scratch;
    memset(n, 0, sizeof *n);
    n->version = SAMI_SAMITLV_VERSION;
    n->time_point = (uint8_t)tp;
    n->flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
    if (r->role == SAMI_MIG_HV_SOURCE)
        n->flags |= SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE;
    n->migration_id = r->mig_id;
    n->timestamp_ms = hv->cfg.wall_offset_ms + now / 1000u;
    n->next_deadline_ms = next_deadline_ms;
    n->di_types = r->di_types;
    n->vm = r->vm;
    n->n_macs = r->n_macs;
    memcpy(n->macs, r->macs, sizeof n->macs);
    n->n_ipv4 = r->n_ipv4;
    memcpy(n->ipv4, r->ipv4, sizeof n->ipv4);
    n->n_ipv6 = r->n_ipv6;
    memcpy(n->ipv6, r->ipv6, sizeof n->ipv6);
    n->orig_bridge = r->orig;
    n->dest_bridge = r->dest;
    n->has_reason = (uint8_t)(has_reason != 0);
    n->reason = reason;
}

int sami_mig_hv_start(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id,
                      const struct sami_vm_id *vm, const struct sami_bridge_ref *orig,
                      const struct sami_bridge_ref *dest, int role, uint32_t di_types)
{
    if (!hv || !vm || !orig || !dest || (role != SAMI_MIG_HV_SOURCE && role != SAMI_MIG_HV_DEST))
        return SAMI_ERR_INVAL;
    if (find(hv, mig_id))
        return SAMI_ERR_EXISTS;
    struct sami_mig_hv_rec *r = NULL;
    for (size_t i = 0; i < hv->n_recs && !r; i++)
        if (!hv->recs[i].used)
            r = &hv->recs[i];
    if (!r) {
        hv->counters.table_full++;
        return SAMI_ERR_LIMIT;
    }
    struct sami_mig_hv_rec tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.role = (uint8_t)role;
    tmp.mig_id = mig_id;
    tmp.di_types = di_types;
    tmp.vm = *vm;
    tmp.orig = *orig;
    tmp.dest = *dest;
    /* Refuse now what could never be encoded, so time_point cannot fail
     * for reasons fixed at start. */
    fill_notif(hv, &tmp, now, SAMI_TP_PREPARE, 0, 0, 0);
    int rc = sami_samitlv_notif_check(&hv->scratch);
    if (rc)
        return rc;
    tmp.used = 1;
    tmp.phase = SAMI_MIG_HV_IDLE;
    tmp.rtx_at = tmp.verdict_at = tmp.linger_at = SAMI_NO_DEADLINE;
    tmp.dl = r->dl; /* heap storage: survives */
    *r = tmp;
    sync_dl(hv, r);
    hv->counters.started++;
    return 0;
}

int sami_mig_hv_set_addrs(struct sami_mig_hv *hv, uint64_t mig_id,
                          const struct sami_samitlv_mac_vlan *macs, size_t n_macs,
                          const uint8_t (*ipv4)[4], size_t n_ipv4,
                          const uint8_t (*ipv6)[16], size_t n_ipv6)
{
    if (!hv || (n_macs && !macs) || (n_ipv4 && !ipv4) || (n_ipv6 && !ipv6))
        return SAMI_ERR_INVAL;
    struct sami_mig_hv_rec *r = find(hv, mig_id);
    if (!r)
        return SAMI_ERR_NOTFOUND;
    if (n_macs > SAMI_SAMITLV_MAX_MACS || n_ipv4 > SAMI_SAMITLV_MAX_IPV4 ||
        n_ipv6 > SAMI_SAMITLV_MAX_IPV6)
        return SAMI_ERR_TOOBIG;
    struct sami_mig_hv_rec tmp = *r;
    tmp.n_macs = (uint8_t)n_macs;
    tmp.n_ipv4 = (uint8_t)n_ipv4;
    tmp.n_ipv6 = (uint8_t)n_ipv6;
    if (n_macs)
        memcpy(tmp.macs, macs, n_macs * sizeof *macs);
    if (n_ipv4)
        memcpy(tmp.ipv4, ipv4, n_ipv4 * sizeof *ipv4);
    if (n_ipv6)
        memcpy(tmp.ipv6, ipv6, n_ipv6 * sizeof *ipv6);
    /* Leave room for the abort reason element (4 octets) so an ABORTED can
     * always be sent once the addresses are accepted. */
    fill_notif(hv, &tmp, 0, SAMI_TP_ABORTED, 0, 1, SAMI_ABORT_OTHER);
    int rc = sami_samitlv_notif_check(&hv->scratch);
    if (rc)
        return rc;
    *r = tmp;
    return 0;
}

static void transmit(struct sami_mig_hv *hv, struct sami_mig_hv_rec *r)
{
    hv->counters.notif_tx++;
    int rc = hv->ops->send_notification(hv->ctx, r->mig_id, r->tp, r->tlv, r->tlv_len, r->pairing);
    if (rc < 0)
        hv->counters.send_errors++;
}

static int send_tp(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id, int tp,
                   uint32_t next_deadline_ms, int has_reason, uint16_t reason)
{
    if (!hv)
        return SAMI_ERR_INVAL;
    struct sami_mig_hv_rec *r = find(hv, mig_id);
    if (!r)
        return SAMI_ERR_NOTFOUND;
    if (tp < SAMI_TP_PREPARE || tp > SAMI_TP_ABORTED)
        return SAMI_ERR_VALUE;
    fill_notif(hv, r, now, tp, next_deadline_ms, has_reason, reason);
    size_t len = 0;
    int rc = sami_samitlv_notif_encode(&hv->scratch, hv->oui, hv->buf, sizeof hv->buf, &len);
    if (rc)
        return rc;
    /* A new time point supersedes the old one: its outcome is no longer
     * awaited and feedback for it becomes stale. */
    memcpy(r->tlv, hv->buf, len);
    r->tlv_len = len;
    r->tp = (uint8_t)tp;
    r->pairing = (uint8_t)sami_mig_hv_pairing_for(tp, r->role);
    r->phase = SAMI_MIG_HV_WAIT_ACK;
    r->outcome = SAMI_MIG_HV_NONE;
    r->retransmits = 0;
    r->rtx_left = hv->cfg.max_retries;
    r->rto = hv->cfg.ack_timeout;
    r->rtx_at = add_sat(now, r->rto);
    r->verdict_at = deciding(r) ? add_sat(now, hv->cfg.verdict_wait) : SAMI_NO_DEADLINE;
    r->linger_at = SAMI_NO_DEADLINE;
    sync_dl(hv, r);
    transmit(hv, r);
    return 0;
}

int sami_mig_hv_time_point(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id, int tp,
                           uint32_t next_deadline_ms)
{
    return send_tp(hv, now, mig_id, tp, next_deadline_ms, 0, 0);
}

int sami_mig_hv_abort(struct sami_mig_hv *hv, sami_usec_t now, uint64_t mig_id, uint16_t reason)
{
    return send_tp(hv, now, mig_id, SAMI_TP_ABORTED, 0, 1, reason);
}

/* Records the outcome, then calls ops->verdict last: the callback may send
 * the next time point or end the record. */
static void deliver(struct sami_mig_hv *hv, struct sami_mig_hv_rec *r, sami_usec_t now, int outcome,
                    const struct sami_feedback *fb)
{
    struct sami_mig_hv_verdict v;
    memset(&v, 0, sizeof v);
    v.mig_id = r->mig_id;
    v.time_point = r->tp;
    v.outcome = (uint8_t)outcome;
    if (fb) {
        v.transfer_time_us = fb->transfer_time_us;
        v.n_results = fb->n_results > SAMI_SAMITLV_MAX_RESULTS ? SAMI_SAMITLV_MAX_RESULTS
                                                               : fb->n_results;
        memcpy(v.results, fb->results, v.n_results * sizeof v.results[0]);
    }
    r->phase = SAMI_MIG_HV_DONE;
    r->outcome = (uint8_t)outcome;
    r->rtx_at = r->verdict_at = SAMI_NO_DEADLINE;
    /* COMPLETED and ABORTED end the migration: keep the record a while so
     * duplicates are recognised, then free it. */
    if (r->tp == SAMI_TP_COMPLETED || r->tp == SAMI_TP_ABORTED)
        r->linger_at = add_sat(now, hv->cfg.linger);
    if (outcome >= 0 && outcome < 6)
        hv->counters.outcomes[outcome]++;
    sync_dl(hv, r);
    hv->ops->verdict(hv->ctx, &v);
}

int sami_mig_hv_feedback_input(struct sami_mig_hv *hv, sami_usec_t now,
                               const struct sami_feedback *fb)
{
    if (!hv || !fb)
        return SAMI_ERR_INVAL;
    hv->counters.fb_rx++;
    struct sami_mig_hv_rec *r = find(hv, fb->migration_id);
    if (!r) {
        hv->counters.fb_unknown++;
        return SAMI_ERR_NOTFOUND;
    }
    if (r->phase == SAMI_MIG_HV_IDLE || fb->time_point != r->tp) {
        hv->counters.fb_stale++;
        return SAMI_ERR_STATE;
    }
    int waiting = r->phase == SAMI_MIG_HV_WAIT_ACK || r->phase == SAMI_MIG_HV_WAIT_FINAL;
    switch (fb->verdict) {
    case SAMI_VERDICT_PENDING:
        /* the bridge still deciding, answering a re-ask */
        if (r->phase == SAMI_MIG_HV_WAIT_FINAL)
            return 0;
        if (r->phase != SAMI_MIG_HV_WAIT_ACK)
            break;
        if (deciding(r)) {
            /* Acknowledged: retransmission stops; the decision is still due
             * and is asked for again from time to time in case it is lost. */
            r->phase = SAMI_MIG_HV_WAIT_FINAL;
            r->rtx_left = hv->cfg.max_reasks;
            r->rto = hv->cfg.ack_timeout;
            r->rtx_at = SAMI_NO_DEADLINE;
            if (r->rtx_left && add_sat(now, r->rto) < r->verdict_at)
                r->rtx_at = add_sat(now, r->rto);
            sync_dl(hv, r);
        } else {
            deliver(hv, r, now, SAMI_MIG_HV_ACKED, fb);
        }
        return 0;
    case SAMI_VERDICT_PROCEED:
        if (!waiting)
            break;
        if (deciding(r)) {
            deliver(hv, r, now, SAMI_MIG_HV_PROCEED, fb);
        } else if (r->tp == SAMI_TP_ABORTED) {
            deliver(hv, r, now, SAMI_MIG_HV_REFUSED, fb);
        } else {
            /* A PROCEED where no decision is asked for must not read as a
             * go-ahead; it still proves the bridge got the time point. */
            hv->counters.fb_ignored++;
            deliver(hv, r, now, SAMI_MIG_HV_ACKED, fb);
        }
        return 0;
    case SAMI_VERDICT_ROLLBACK:
        /* A bridge may give up after acknowledging (pre-copy failed, peer
         * aborted): that news is delivered once, after ACKED. */
        if (waiting || (r->phase == SAMI_MIG_HV_DONE && r->outcome == SAMI_MIG_HV_ACKED)) {
            deliver(hv, r, now, SAMI_MIG_HV_ROLLBACK, fb);
            return 0;
        }
        break;
    default:
        hv->counters.fb_stale++;
        return SAMI_ERR_VALUE;
    }
    hv->counters.fb_dup++;
    return SAMI_ERR_EXISTS;
}

void sami_mig_hv_run(struct sami_mig_hv *hv, sami_usec_t now)
{
    if (!hv)
        return;
    /* Nothing due: skip the table (the scan below would change nothing). */
    if (sami_dlheap_min(&hv->dl) > now)
        return;
    for (size_t i = 0; i < hv->n_recs; i++) {
        struct sami_mig_hv_rec *r = &hv->recs[i];
        if (!r->used)
            continue;
        if (r->linger_at <= now) {
            r->used = 0;
            sync_dl(hv, r);
            hv->counters.freed++;
            continue;
        }
        if (r->phase == SAMI_MIG_HV_WAIT_ACK && r->verdict_at > now && r->rtx_at <= now) {
            if (r->rtx_left == 0) {
                deliver(hv, r, now, SAMI_MIG_HV_TIMEOUT, NULL);
                continue;
            }
            r->rtx_left--;
            r->retransmits++;
            hv->counters.notif_rtx++;
            /* Doubling spaces retries out when the bridge is merely slow. */
            r->rto = add_sat(r->rto, r->rto);
            r->rtx_at = add_sat(now, r->rto);
            sync_dl(hv, r);
            transmit(hv, r);
            continue;
        }
        if (r->phase == SAMI_MIG_HV_WAIT_FINAL && r->verdict_at > now && r->rtx_at <= now) {
            /* The same bytes again: the bridge answers a repeat of a
             * decided time point with its decision, else PENDING. */
            r->rtx_left--;
            r->retransmits++;
            hv->counters.notif_reask++;
            r->rto = add_sat(r->rto, r->rto);
            r->rtx_at = SAMI_NO_DEADLINE;
            if (r->rtx_left && add_sat(now, r->rto) < r->verdict_at)
                r->rtx_at = add_sat(now, r->rto);
            sync_dl(hv, r);
            transmit(hv, r);
            continue;
        }
        if ((r->phase == SAMI_MIG_HV_WAIT_ACK || r->phase == SAMI_MIG_HV_WAIT_FINAL) &&
            r->verdict_at <= now)
            deliver(hv, r, now, SAMI_MIG_HV_TIMEOUT, NULL);
    }
}

sami_usec_t sami_mig_hv_next_deadline(const struct sami_mig_hv *hv)
{
    return hv ? sami_dlheap_min(&hv->dl) : SAMI_NO_DEADLINE;
}

int sami_mig_hv_end(struct sami_mig_hv *hv, uint64_t mig_id)
{
    if (!hv)
        return SAMI_ERR_INVAL;
    struct sami_mig_hv_rec *r = find(hv, mig_id);
    if (!r)
        return SAMI_ERR_NOTFOUND;
    r->used = 0;
    sync_dl(hv, r);
    hv->counters.ended++;
    return 0;
}

static void info_of(const struct sami_mig_hv_rec *r, struct sami_mig_hv_info *out)
{
    memset(out, 0, sizeof *out);
    out->mig_id = r->mig_id;
    out->role = r->role;
    out->tp = r->tp;
    out->phase = r->phase;
    out->outcome = r->outcome;
    out->di_types = r->di_types;
    out->retransmits = r->retransmits;
    out->deadline = rec_deadline(r);
}

int sami_mig_hv_get(const struct sami_mig_hv *hv, uint64_t mig_id, struct sami_mig_hv_info *out)
{
    if (!hv || !out)
        return SAMI_ERR_INVAL;
    const struct sami_mig_hv_rec *r = find(hv, mig_id);
    if (!r)
        return SAMI_ERR_NOTFOUND;
    info_of(r, out);
    return 0;
}

size_t sami_mig_hv_list(const struct sami_mig_hv *hv, struct sami_mig_hv_info *out, size_t cap)
{
    size_t n = 0;
    if (!hv)
        return 0;
    for (size_t i = 0; i < hv->n_recs; i++) {
        if (!hv->recs[i].used)
            continue;
        if (out && n < cap)
            info_of(&hv->recs[i], &out[n]);
        n++;
    }
    return n;
}

const struct sami_mig_hv_counters *sami_mig_hv_get_counters(const struct sami_mig_hv *hv)
{
    return hv ? &hv->counters : NULL;
}

const char *sami_mig_hv_outcome_name(int outcome)
{
    switch (outcome) {
    case SAMI_MIG_HV_NONE: return "NONE";
    case SAMI_MIG_HV_PROCEED: return "PROCEED";
    case SAMI_MIG_HV_ROLLBACK: return "ROLLBACK";
    case SAMI_MIG_HV_TIMEOUT: return "TIMEOUT";
    case SAMI_MIG_HV_ACKED: return "ACKED";
    case SAMI_MIG_HV_REFUSED: return "REFUSED";
    default: return "UNKNOWN";
    }
}

const char *sami_mig_hv_phase_name(int phase)
{
    switch (phase) {
    case SAMI_MIG_HV_IDLE: return "IDLE";
    case SAMI_MIG_HV_WAIT_ACK: return "WAIT_ACK";
    case SAMI_MIG_HV_WAIT_FINAL: return "WAIT_FINAL";
    case SAMI_MIG_HV_DONE: return "DONE";
    default: return "UNKNOWN";
    }
}

const char *sami_mig_hv_pairing_name(int pairing)
{
    switch (pairing) {
    case SAMI_MIG_HV_PAIR_STANDALONE: return "STANDALONE";
    case SAMI_MIG_HV_PAIR_PREASSOC_M: return "PREASSOC_M";
    case SAMI_MIG_HV_PAIR_SUSPEND_S: return "SUSPEND_S";
    case SAMI_MIG_HV_PAIR_ASSOC: return "ASSOC";
    case SAMI_MIG_HV_PAIR_DEASSOC: return "DEASSOC";
    default: return "UNKNOWN";
    }
}

const char *sami_mig_hv_role_name(int role)
{
    switch (role) {
    case SAMI_MIG_HV_SOURCE: return "SOURCE";
    case SAMI_MIG_HV_DEST: return "DEST";
    default: return "UNKNOWN";
    }
}
