/* The bridge node inside samid: built from the configuration, fed with the
 * frames and messages the I/O glue receives, and watched so that every
 * refusal gets a log line with its reason.
 *
 * The node (node/sami/node.h) is sans-I/O and owns the engines. Four things
 * samid needs are not in its API today, and are done here through the
 * engines' own (public) functions on objects the node hands out read-only:
 *   - the per-port VSI policy (accept-all / accept-list / reject-all and
 *     max-vsis): ours wraps the node's on each VDP bridge
 *     (sami_vdp_bridge_set_policy), and calls the node's when it accepts,
 *     so sami feedback still rides the VDP response;
 *   - per-port VDP timers and the LLDP EVB negotiation
 *     (sami_vdp_bridge_set_params / _set_evb);
 *   - a key roll on SIGHUP (sami_xfer_engine_set_keyring);
 *   - an abort of every pending migration on SIGTERM: an ABORTED time point
 *     is given to the migration engine as if the hypervisor had sent it, so
 *     the normal rollback runs (the source unfreezes and keeps its DI, the
 *     destination discards, the peer is told, the hypervisor gets
 *     ROLLBACK).
 * Peers and limits are fixed at node creation: a reload that changes them
 * builds a new node once no migration is in progress and moves the DI
 * store's records and the VSIs over (bridge_rebuild). */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload.h"
#include "samid.h"
#include "sami/ecp.h"
#include "sami/hmac.h"
#include "sami/lldp.h"
#include "sami/xfer_l2.h"

/* Capture filters. VDP and LLDP, and the DHCP client's messages, arrive
 * from the stations; DHCP server answers are believed only when they leave
 * through the port (eth.c: two captures split by direction). */
#define F_PROTO "ether proto 0x8940 or ether proto 0x88cc"
#define F_DHCP "(udp and (port 67 or port 68))"
#define FILTER_IN F_PROTO " or " F_DHCP " or (vlan and " F_DHCP ")"
#define FILTER_IN_NODHCP F_PROTO
#define F_ANSWER "(udp and src port 67 and dst port 68)"
#define FILTER_OUT F_ANSWER " or (vlan and " F_ANSWER ")"
#define FILTER_L2 "ether proto 0x88b5"

/* --------------------------------------------------------------- VM set */

/* Every learner put (a preload of 1 M records: 1 M puts) asks whether the
 * VM is known; a linear scan made loading 100,000 VMs quadratic (82% of
 * samid's time at 20,000 VMs). An open-addressing index over D->vms.v
 * (slot = position + 1, 0 = empty), rebuilt whenever it is out of step with
 * the array (bridge_destroy empties the array) or half full. */
static uint32_t *vmix;
static size_t vmix_cap, vmix_n;

static size_t vm_slot(const struct sami_vm_id *vm, size_t mask)
{
    uint64_t h = 1469598103934665603u ^ vm->id_format;
    for (size_t i = 0; i < sizeof vm->id; i++)
        h = (h ^ vm->id[i]) * 1099511628211u;
    return (size_t)(h ^ h >> 29) & mask;
}

static int vmix_rebuild(const struct vmset *s)
{
    size_t cap = 256;
    while (cap < (s->n + 1) * 2)
        cap <<= 1;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < s->n; i++) {
        size_t h = vm_slot(&s->v[i], cap - 1);
        while (t[h])
            h = (h + 1) & (cap - 1);
        t[h] = (uint32_t)(i + 1);
    }
    free(vmix);
    vmix = t;
    vmix_cap = cap;
    vmix_n = s->n;
    return 0;
}

void vmset_add(const struct sami_vm_id *vm)
{
    struct vmset *s = &D->vms;
    size_t h = 0;
    int indexed = s->n < UINT32_MAX &&
                  ((vmix_n == s->n && (s->n + 1) * 2 <= vmix_cap) || vmix_rebuild(s) == 0);
    if (indexed) {
        for (h = vm_slot(vm, vmix_cap - 1); vmix[h]; h = (h + 1) & (vmix_cap - 1))
            if (sami_vm_id_same_vm(&s->v[vmix[h] - 1], vm))
                return;
    } else { /* no memory for the index: the slow way */
        for (size_t i = 0; i < s->n; i++)
            if (sami_vm_id_same_vm(&s->v[i], vm))
                return;
    }
    if (s->n == s->cap) {
        size_t n = s->cap ? s->cap * 2 : 64;
        struct sami_vm_id *v = realloc(s->v, n * sizeof *v);
        if (!v)
            return;
        s->v = v;
        s->cap = n;
    }
    s->v[s->n++] = *vm;
    if (indexed) {
        vmix[h] = (uint32_t)s->n;
        vmix_n = s->n;
    }
}

/* ------------------------------------------------------- learner store */

/* The store as learners (preload, DHCP snooping) see it: every change goes
 * through the node so that its aging timer follows (node.h); reads go
 * straight to the store. */
static struct sami_store real(void)
{
    return sami_node_bridge_store(D->node);
}

static int l_source_begin(void *c, uint64_t m, const struct sami_vm_id *vm)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->source_begin(s.ctx, m, vm);
}
static int l_export(void *c, const struct sami_vm_id *vm, uint64_t since, sami_usec_t now,
                    sami_store_emit_fn emit, void *arg, uint64_t *gen)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->export_records(s.ctx, vm, since, now, emit, arg, gen);
}
static int l_freeze(void *c, uint64_t m)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->freeze(s.ctx, m);
}
static int l_unfreeze(void *c, uint64_t m)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->unfreeze(s.ctx, m);
}
static int l_purge(void *c, const struct sami_vm_id *vm)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->purge(s.ctx, vm);
}
static void l_source_end(void *c, uint64_t m)
{
    (void)c;
    struct sami_store s = real();
    s.ops->source_end(s.ctx, m);
}
static int l_stage_begin(void *c, uint64_t m, const struct sami_vm_id *vm,
                         const struct sami_store_stage_params *l)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->stage_begin(s.ctx, m, vm, l);
}
static int l_stage_put(void *c, uint64_t m, const struct sami_di_record *r, sami_usec_t now)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->stage_put(s.ctx, m, r, now);
}
static int l_stage_foreach(void *c, uint64_t m, sami_store_emit_fn emit, void *arg)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->stage_foreach(s.ctx, m, emit, arg);
}
static int l_stage_commit(void *c, uint64_t m, uint32_t el, sami_usec_t now)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->stage_commit(s.ctx, m, el, now);
}
static int l_activate(void *c, uint64_t m, sami_usec_t now)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->activate(s.ctx, m, now);
}
static int l_discard(void *c, uint64_t m)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->discard(s.ctx, m);
}
static int l_put(void *c, const struct sami_vm_id *vm, const struct sami_di_record *r,
                 sami_usec_t now)
{
    (void)c;
    int rc = sami_node_bridge_put(D->node, now, vm, r);
    if (rc == 0)
        vmset_add(vm);
    return rc;
}
static int l_del(void *c, const struct sami_vm_id *vm, const struct sami_di_record *r)
{
    (void)c;
    return sami_node_bridge_del(D->node, D->now, vm, r);
}
static int l_get(void *c, const struct sami_vm_id *vm, const struct sami_di_record *key,
                 sami_usec_t now, struct sami_di_record *out)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->get(s.ctx, vm, key, now, out);
}
static sami_usec_t l_expire(void *c, sami_usec_t now)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->expire(s.ctx, now);
}
static int l_count(void *c, const struct sami_vm_id *vm, uint32_t pt[SAMI_STORE_COUNTS])
{
    (void)c;
    struct sami_store s = real();
    return s.ops->count(s.ctx, vm, pt);
}
static int l_foreach(void *c, const struct sami_vm_id *vm, sami_usec_t now,
                     sami_store_emit_fn emit, void *arg)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->foreach(s.ctx, vm, now, emit, arg);
}
static int l_vm_flags(void *c, const struct sami_vm_id *vm)
{
    (void)c;
    struct sami_store s = real();
    return s.ops->vm_flags(s.ctx, vm);
}

static const struct sami_store_ops learner_ops = {
    l_source_begin, l_export,       l_freeze,        l_unfreeze,     l_purge,    l_source_end,
    l_stage_begin,  l_stage_put,    l_stage_foreach, l_stage_commit, l_activate, l_discard,
    l_put,          l_del,          l_get,           l_expire,       l_count,    l_foreach,
    l_vm_flags,
    NULL, NULL, NULL}; /* value calls (export_values, ...): learners use none */

struct sami_store bridge_learner_store(void)
{
    struct sami_store s = {&learner_ops, NULL};
    return s;
}

/* ------------------------------------------------------ refusal logging */

/* Counters whose growth means something was refused or went wrong; around
 * every node call the glue compares them and logs each that moved, with
 * what was being processed. */
struct cdesc {
    int src;        /* 0 node, 1 xfer, 2 mig, 3 vdp, 4 ecp, 5 L2 link */
    size_t off;
    int level;
    const char *name, *why;
};

#define CN(f, l, w) {0, offsetof(struct sami_node_counters, f), l, #f, w}
#define CX(f, l, w) {1, offsetof(struct sami_xfer_engine_counters, f), l, #f, w}
#define CM(f, l, w) {2, offsetof(struct sami_mig_bridge_counters, f), l, #f, w}
#define CV(f, l, w) {3, offsetof(struct sami_vdp_bridge_counters, f), l, #f, w}
#define CE(f, l, w) {4, offsetof(struct sami_ecp_engine_counters, f), l, #f, w}
#define CL(f, l, w) {5, offsetof(struct sami_xfer_link_stats, f), l, #f, w}
enum { W = SAMID_LOG_WARN, I = SAMID_LOG_INFO, G = SAMID_LOG_DEBUG };

static const struct cdesc CD[] = {
    CN(rx_ignored, G, "not for the node (unknown port or ethertype)"),
    CN(stream_errors, W, "bad stream framing"),
    CN(org_bad, W, "a sami TLV that does not decode"),
    CN(org_foreign, G, "an org TLV of another OUI or subtype (ignored)"),
    CN(xfer_event_drops, I, "a transfer event the migration engine did not take"),
    CN(op_errors, W, "a migration engine operation failed"),
    CN(fb_tx_fail, W, "feedback to the hypervisor could not be sent"),
    CN(fb_pend_full, W, "feedback to the hypervisor dropped: its port has 64 waiting (a flood?)"),
    CX(bad_length, W, "bad length or framing"),
    CX(unknown_peer, W, "sender is not a configured peer"),
    CX(no_key, W, "key id unknown or not valid now"),
    CX(bad_auth, W, "authentication failed (HMAC): wrong key?"),
    CX(crypto, W, "HMAC provider failed"),
    CX(replay, W, "replayed sequence number"),
    CX(wrong_peer, W, "authentic, but from the wrong peer for this migration"),
    CX(unsolicited, W, "state for a migration our hypervisor did not announce"),
    CX(limit, W, "a record or migration limit was reached"),
    CX(digest_mismatch, W, "commit digest or counts differ: nothing installed"),
    CX(gap, G, "batch ahead of what is staged (dropped, will be resent)"),
    CX(stale, G, "late message for a finished exchange"),
    CX(early_commit, G, "commit before its last delta (dropped)"),
    CX(bad_records, W, "DI records that did not decode (skipped)"),
    CX(abort_refused, I, "abort after activation (ignored)"),
    CX(abort_answered, I, "peer's ABORT after our activation: answered with ACTIVATE"),
    CX(late_activations, I, "ACTIVATE after our deadline: the VM moved, copy purged"),
    CX(unresolved, W, "committed migration aborted, peer silent: records kept, waiting "
                      "for its ACTIVATE"),
    CX(unresolved_expired, W, "no ACTIVATE within transfer resolve time: records kept (may "
                              "duplicate the destination's)"),
    CX(superseded, I, "unresolved migration dropped: a newer one of the VM began"),
    CX(activate_giveups, W, "no PURGE from the source within the resolve time"),
    CX(activate_unknown, I, "ACTIVATE for no migration here: answered PURGE REJECTED"),
    CX(adopted, I, "migrations taken over after a restart"),
    CX(timeouts, W, "an exchange gave up after its retries"),
    CX(deadlines, W, "a migration deadline passed"),
    CX(tx_fail, G, "a message could not be sent now (retried)"),
    CX(unwanted, W, "records of a DI type the migration did not ask for"),
    CX(nomem, W, "out of memory"),
    CM(notif_out_of_order, W, "notification contradicts the migration's state"),
    CM(notif_mismatch, W, "known migration id with another VM or bridges"),
    CM(notif_not_ours, W, "notification names neither bridge as this one"),
    CM(notif_invalid, W, "invalid time point"),
    CM(refused_limit, W, "migration table full (limits.migrations)"),
    CM(refused_port_limit, W, "migrations-per-port reached: this port's hypervisor has that many "
                              "migrations in progress"),
    CM(reclaimed, I, "migration table full: a finished migration's record was reused"),
    CM(unknown_peer, W, "the other bridge is not a configured peer"),
    CM(abort_refused, I, "ABORTED after activation: refused"),
    CM(completed_unknown, I, "COMPLETED for no migration: acknowledged"),
    CM(late_activated, I, "destination activated after our deadline: purging"),
    CM(xfer_unexpected, G, "transfer event not expected in this state"),
    CM(fb_send_errors, W, "feedback could not be sent"),
    CV(rx_bad, W, "undecodable VDP PDU"),
    CV(rx_unexpected, W, "VSI TLV with the response bit from a station"),
    CV(rejected, I, "VSI request refused"),
    CV(rejected_full, W, "VSI table of the port full (max-vsis)"),
    CV(tx_dropped, W, "VDP response or DeAssoc the ECP queue refused"),
    CV(expired, I, "a VSI's keep-alives stopped: dropped"),
    CE(bad_frames, W, "malformed ECP frame"),
    CE(errors, W, "ECP gave up after R retries"),
    CE(queue_full, W, "ECP queue full"),
    CL(bad_rx, W, "malformed or inconsistent L2 transfer frame"),
    CL(toobig_rx, W, "L2 message larger than the reassembly buffer (dropped)"),
    CL(gap_rx, G, "L2 fragment out of order (not acknowledged: resent)"),
    CL(msgs_failed, W, "an L2 message was given up after its retries"),
    CL(queue_full, W, "L2 transmit queue full"),
};

struct snap {
    struct sami_node_counters node;
    struct sami_xfer_engine_counters xfer;
    struct sami_mig_bridge_counters mig;
    struct sami_vdp_bridge_counters vdp;
    struct sami_ecp_engine_counters ecp;
    struct sami_xfer_link_stats link;
    int port;
};

static const struct sami_vdp_bridge *vdp_of(int port)
{
    return port > 0 && (size_t)port <= D->ndl ? sami_node_bridge_vdp(D->node, port) : NULL;
}

static void take(struct snap *s, int port)
{
    memset(s, 0, sizeof *s);
    s->port = port;
    s->node = *sami_node_counters(D->node);
    const struct sami_xfer_engine *x = sami_node_bridge_xfer(D->node);
    if (x)
        s->xfer = *sami_xfer_engine_counters(x);
    s->mig = *sami_mig_bridge_get_counters(sami_node_bridge_mig(D->node));
    if (D->has_l2)
        s->link = *sami_xfer_link_stats(sami_node_bridge_link(D->node));
    const struct sami_vdp_bridge *v = vdp_of(port);
    if (v) {
        s->vdp = v->stats;
        s->ecp = *sami_ecp_engine_stats(&v->ecp);
    }
}

static const void *base_of(const struct snap *s, int src)
{
    switch (src) {
    case 0: return &s->node;
    case 1: return &s->xfer;
    case 2: return &s->mig;
    case 3: return &s->vdp;
    case 4: return &s->ecp;
    default: return &s->link;
    }
}

/* Logs what moved between a and b; returns how many refusals. */
static unsigned compare(const struct snap *a, const struct snap *b, const char *what)
{
    unsigned n = 0;
    for (size_t i = 0; i < sizeof CD / sizeof CD[0]; i++) {
        if ((CD[i].src == 3 || CD[i].src == 4) && !vdp_of(a->port))
            continue;
        uint64_t x, y;
        memcpy(&x, (const char *)base_of(a, CD[i].src) + CD[i].off, sizeof x);
        memcpy(&y, (const char *)base_of(b, CD[i].src) + CD[i].off, sizeof y);
        if (y <= x)
            continue;
        n += CD[i].level <= SAMID_LOG_WARN;
        char key[64];
        /* per port: a flood on one port must not silence another's */
        snprintf(key, sizeof key, "c-%s-%d-%d", CD[i].name, CD[i].src, a->port);
        slog_rl(CD[i].level, key, "%s: %s (%s%s%llu)", what, CD[i].why, CD[i].name,
                y - x > 1 ? " +" : " +", (unsigned long long)(y - x));
    }
    uint64_t ta = 0, tb = 0;
    for (int s = 0; s < SAMI_MIG_BRIDGE_STATE_COUNT; s++) {
        ta += a->mig.timeouts[s];
        tb += b->mig.timeouts[s];
    }
    if (tb > ta)
        slog_rl(SAMID_LOG_WARN, "mig-timeout", "%s: a migration deadline passed (%llu)", what,
                (unsigned long long)(tb - ta));
    return n;
}

/* ---------------------------------------------------- migration events */

static const char *dl_name(uint32_t port)
{
    return port >= 1 && port <= D->ndl ? D->dl[port - 1].eth.ifname : "?";
}

static int terminal(uint8_t st)
{
    return st == SAMI_MIG_BRIDGE_FREE || st == SAMI_MIG_BRIDGE_DONE ||
           st == SAMI_MIG_BRIDGE_FAILED;
}

/* Logs migrations that appeared, changed state or went away. */
static void watch_migrations(void)
{
    static struct sami_mig_bridge_info info[1024];
    static uint64_t changes = UINT64_MAX;
    const struct sami_mig_bridge *mb = sami_node_bridge_mig(D->node);
    /* called after every frame: look at the table only when a record
     * changed state (a flood of refused notifications changes none) */
    if (!mb || mb->counters.state_changes == changes)
        return;
    changes = mb->counters.state_changes;
    size_t n = sami_mig_bridge_list(mb, info, sizeof info / sizeof info[0]);
    if (n > sizeof info / sizeof info[0])
        n = sizeof info / sizeof info[0];
    struct migseen *ns = n ? calloc(n, sizeof *ns) : NULL;
    if (n && !ns)
        return;
    char u[37];
    for (size_t i = 0; i < n; i++) {
        const struct sami_mig_bridge_info *m = &info[i];
        /* Only a migration that ended well can have left records of a VM
         * samid had not seen (installed at the destination); the rest
         * would grow the set without bound under a flood of PREPAREs for
         * ever new VMs. A rebuild waits until every migration has ended. */
        if (m->state == SAMI_MIG_BRIDGE_DONE)
            vmset_add(&m->vm);
        const struct migseen *old = NULL;
        for (size_t k = 0; k < D->nmseen; k++)
            if (D->mseen[k].id == m->mig_id)
                old = &D->mseen[k];
        ns[i].id = m->mig_id;
        ns[i].state = m->state;
        ns[i].t_start = old ? old->t_start : D->now;
        if (!old) {
            slog(SAMID_LOG_INFO, "migration %#llx: %s, VM %s, hypervisor on %s: %s",
                 (unsigned long long)m->mig_id, sami_mig_bridge_role_name(m->role),
                 uuidstr(m->vm.id, u), dl_name(m->hv_port), sami_mig_bridge_state_name(m->state));
        } else if (old->state != m->state) {
            int lvl = m->state == SAMI_MIG_BRIDGE_FAILED ? SAMID_LOG_WARN : SAMID_LOG_INFO;
            if (m->state == SAMI_MIG_BRIDGE_O_COMMITTED)
                slog(lvl, "migration %#llx: %s -> %s (PROCEED; transfer %u us)",
                     (unsigned long long)m->mig_id, sami_mig_bridge_state_name(old->state),
                     sami_mig_bridge_state_name(m->state), m->transfer_time_us);
            else
                slog(lvl, "migration %#llx: %s -> %s", (unsigned long long)m->mig_id,
                     sami_mig_bridge_state_name(old->state), sami_mig_bridge_state_name(m->state));
        }
    }
    for (size_t k = 0; k < D->nmseen; k++) {
        int found = 0;
        for (size_t i = 0; i < n; i++)
            found |= ns[i].id == D->mseen[k].id;
        if (!found)
            slog(SAMID_LOG_DEBUG, "migration %#llx: forgotten", (unsigned long long)D->mseen[k].id);
    }
    free(D->mseen);
    D->mseen = ns;
    D->nmseen = n;
}

/* ------------------------------------------------------ node entry points */

int bridge_rx(int port, const uint8_t *frame, size_t len, const char *what)
{
    struct snap a, b;
    take(&a, port);
    sami_node_rx(D->node, D->now, port, frame, len);
    take(&b, port);
    unsigned refused = compare(&a, &b, what);
    D->frames_refused += refused;
    watch_migrations();
    return b.xfer.rx_ok > a.xfer.rx_ok;
}

void bridge_peer_connected(int port)
{
    int rc = sami_node_bridge_peer_connected(D->node, D->now, port);
    if (rc)
        slog(SAMID_LOG_WARN, "transfer: no session opened on port %d: %s", port,
             sami_strerror(rc));
    watch_migrations();
}

/* Only one port's VDP and ECP counters (the rest zero), so comparing two of
 * these logs what a port's timers did without repeating node-wide counters. */
static void take_port(struct snap *s, int port)
{
    memset(s, 0, sizeof *s);
    s->port = port;
    const struct sami_vdp_bridge *v = vdp_of(port);
    if (v) {
        s->vdp = v->stats;
        s->ecp = *sami_ecp_engine_stats(&v->ecp);
    }
}

void bridge_run(void)
{
    static struct snap *before; /* one per downlink, grown with the config */
    static size_t nbefore;
    struct snap a, b;
    if (nbefore < D->ndl) {
        struct snap *n = realloc(before, D->ndl * sizeof *before);
        if (n) {
            before = n;
            nbefore = D->ndl;
        }
    }
    size_t np = nbefore < D->ndl ? nbefore : D->ndl;
    take(&a, 0);
    for (size_t p = 0; p < np; p++)
        take_port(&before[p], (int)p + 1);
    sami_node_run(D->node, D->now);
    take(&b, 0);
    (void)compare(&a, &b, "timers");
    /* per downlink: keep-alive expiries, unsolicited DeAssocs, ECP give-ups */
    for (size_t p = 0; p < np; p++) {
        char what[96];
        take_port(&b, (int)p + 1);
        snprintf(what, sizeof what, "timers on %s", dl_name((uint32_t)p + 1));
        (void)compare(&before[p], &b, what);
    }
    watch_migrations();
}

sami_usec_t bridge_next_deadline(void)
{
    return sami_node_next_deadline(D->node);
}

void bridge_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    (void)ctx;
    if (port >= 1 && (size_t)port <= D->ndl) {
        (void)eth_send(&D->dl[port - 1].eth, frame, len);
        return;
    }
    if (port == SAMID_PORT_L2 && D->has_l2) {
        (void)eth_send(&D->l2, frame, len);
        return;
    }
    if (port >= SAMID_PORT_PEER0 && (size_t)(port - SAMID_PORT_PEER0) < D->npeers) {
        xport_send((size_t)(port - SAMID_PORT_PEER0), frame, len);
        return;
    }
    D->tx_unknown_port++;
}

/* ------------------------------------------------------------- VSI policy */

static struct dlink *dl_by_vdp_ctx(void *ctx)
{
    for (size_t i = 0; i < D->ndl; i++)
        if (D->dl[i].vdp_ctx == ctx)
            return &D->dl[i];
    return NULL;
}

static void samid_policy(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                         const struct sami_vdp_bridge_vsi *cur, struct sami_vdp_bridge_decision *d)
{
    struct dlink *dl = dl_by_vdp_ctx(ctx);
    char u[37];
    if (!dl || !dl->node_policy) {
        d->accept = false;
        d->reason = SAMI_VDP_REASON_NO_VSI_MANAGER;
        return;
    }
    const struct samid_downlink *c = dl->cfg;
    const char *why = NULL;
    uint8_t reason = SAMI_VDP_REASON_OTHER;
    if (c->policy == SAMID_POLICY_REJECT_ALL) {
        why = "policy reject-all";
    } else if (c->policy == SAMID_POLICY_ACCEPT_LIST) {
        int ok = 0;
        for (size_t i = 0; i < c->n_accept_types; i++)
            ok |= c->accept_types[i] == req->type_id;
        if (!ok)
            why = "VSI type id not in accept-types";
    }
    if (!why && !cur) {
        const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, dl->port);
        if (br && sami_vdp_bridge_count(br) >= c->max_vsis) {
            why = "max-vsis reached";
            reason = SAMI_VDP_REASON_NO_RESOURCES;
        }
    }
    if (why) {
        d->accept = false;
        d->reason = reason;
        dl->policy_refused++;
        char key[32];
        snprintf(key, sizeof key, "vsi-policy-%d", dl->port);
        slog_rl(SAMID_LOG_WARN, key,
                "%s: refused VSI %s (type id %u, %s): %s", dl->eth.ifname,
                uuidstr(req->id, u), (unsigned)req->type_id, sami_vdp_tlv_name(req->type), why);
        return;
    }
    dl->node_policy(ctx, now, req, cur, d);
}

static void hook_port(struct dlink *dl)
{
    /* const: see the top of the file */
    struct sami_vdp_bridge *br = (struct sami_vdp_bridge *)sami_node_bridge_vdp(D->node, dl->port);
    if (!br)
        return;
    dl->vdp_ctx = br->cb.ctx;
    dl->node_policy = br->cb.policy;
    sami_vdp_bridge_set_policy(br, samid_policy);
}

void bridge_apply_downlink_cfg(struct dlink *dl)
{
    struct sami_vdp_bridge *br = (struct sami_vdp_bridge *)sami_node_bridge_vdp(D->node, dl->port);
    if (!br)
        return;
    if (dl->negotiated && dl->nb.valid && dl->nb.has_evb) {
        struct sami_evb base;
        memset(&base, 0, sizeof base);
        base.mode = SAMI_EVB_MODE_BRIDGE;
        base.r = dl->cfg->vdp.r;
        base.rte = dl->cfg->vdp.rte;
        base.rwd = dl->cfg->vdp.rwd;
        base.rka = dl->cfg->vdp.rka;
        (void)sami_vdp_bridge_set_evb(br, &base, &dl->nb.evb);
    } else {
        (void)sami_vdp_bridge_set_params(br, &dl->cfg->vdp);
    }
}

/* ---------------------------------------------------------- DHCP snooping */

static int vsi_lookup(void *ctx, const uint8_t mac[6], uint16_t vlan, struct sami_vm_id *vm)
{
    struct dlink *dl = ctx;
    const struct sami_vdp_bridge *br = sami_node_bridge_vdp(D->node, dl->port);
    if (!br)
        return SAMI_ERR_NOTFOUND;
    for (size_t i = 0; i < br->nvsis; i++) {
        const struct sami_vdp_bridge_vsi *v = &br->vsis[i];
        if (!v->in_use)
            continue;
        struct sami_vdp_vsi view;
        sami_vdp_sm_vsi_view(&v->rec, v->state, &view);
        for (uint16_t k = 0; k < view.count; k++) {
            struct sami_vdp_filter f;
            if (sami_vdp_get_filter(&view, k, &f) != 0)
                break;
            if (view.filter_format != SAMI_VDP_FILTER_MAC_VID &&
                view.filter_format != SAMI_VDP_FILTER_GROUP_MAC_VID)
                break;
            /* VID 0 in a filter: the station left the VLAN to the bridge */
            if (!memcmp(f.mac, mac, 6) && (f.vid == vlan || f.vid == 0)) {
                vm->type_id = v->rec.type_id;
                vm->type_version = v->rec.type_ver;
                vm->id_format = v->rec.id_format;
                memcpy(vm->id, v->rec.id, 16);
                return 0;
            }
        }
    }
    return SAMI_ERR_NOTFOUND;
}

static void dhcp_apply(struct dlink *dl, const uint8_t *f, size_t len)
{
    struct sami_store ls = bridge_learner_store();
    int rc = sami_dhcpsnoop_input(&dl->snoop, D->now, (uint16_t)dl->cfg->pvid, f, len, &ls,
                                  vsi_lookup, dl);
    const struct sami_dhcpsnoop_event *e = &dl->snoop.last;
    char m[18], ip[16];
    snprintf(ip, sizeof ip, "%u.%u.%u.%u", e->client_ip[0], e->client_ip[1], e->client_ip[2],
             e->client_ip[3]);
    hexmac(e->client_mac, m);
    if (rc < 0) {
        const struct sami_err *er = &dl->snoop.last_err;
        if (dl->snoop.last.kind == SAMI_DHCPSNOOP_NONE && er->what) {
            D->frames_refused++;
            slog_rl(SAMID_LOG_WARN, "dhcp-bad", "%s: refused a DHCP frame: %s at offset %zu (%s)",
                    dl->eth.ifname, sami_strerror(rc), er->offset, er->what);
        } else {
            slog_rl(SAMID_LOG_WARN, "dhcp-store",
                    "%s: DHCP %s for %s (%s, VLAN %u) not applied: %s", dl->eth.ifname,
                    sami_dhcpsnoop_kind_name(e->kind), ip, m, e->vlan, sami_strerror(rc));
        }
        return;
    }
    switch (rc) {
    case SAMI_DHCPSNOOP_LEARNED:
        slog(SAMID_LOG_INFO, "%s: DHCP binding learned: %s for %s VLAN %u, lease %us",
             dl->eth.ifname, ip, m, e->vlan, e->lease_s);
        break;
    case SAMI_DHCPSNOOP_REMOVED:
        slog(SAMID_LOG_INFO, "%s: DHCP %s: binding of %s (%s VLAN %u) removed", dl->eth.ifname,
             sami_dhcpsnoop_kind_name(e->kind), ip, m, e->vlan);
        break;
    case SAMI_DHCPSNOOP_UNKNOWN_VM:
        slog_rl(SAMID_LOG_INFO, "dhcp-unknown",
                "%s: DHCP %s for %s (%s VLAN %u) ignored: no VSI on this port has that MAC",
                dl->eth.ifname, sami_dhcpsnoop_kind_name(e->kind), ip, m, e->vlan);
        break;
    case SAMI_DHCPSNOOP_NOT_HELD:
        slog(SAMID_LOG_DEBUG, "%s: DHCP %s for %s: nothing held", dl->eth.ifname,
             sami_dhcpsnoop_kind_name(e->kind), ip);
        break;
    default:
        slog(SAMID_LOG_DEBUG, "%s: DHCP frame ignored: %s", dl->eth.ifname,
             sami_dhcpsnoop_ignored_name(e->ignored));
        break;
    }
}

static uint16_t inner_ethertype(const uint8_t *f, size_t len)
{
    size_t off = 12;
    for (int tags = 0; tags < 3 && off + 2 <= len; tags++) {
        uint16_t et = (uint16_t)(f[off] << 8 | f[off + 1]);
        if (et != 0x8100 && et != 0x88a8)
            return et;
        off += 4;
    }
    return 0;
}

/* A frame arriving from the stations. */
void bridge_downlink_frame(struct dlink *dl, const uint8_t *f, size_t len)
{
    if (len < 14)
        return;
    uint16_t et = (uint16_t)(f[12] << 8 | f[13]);
    if (len > SAMID_MAX_FRAME) {
        /* Nothing samid reads on a downlink (ECP/VDP, LLDP, DHCP) is
         * longer: a jumbo frame here is broken or hostile, and refused
         * before any decoder sees it. */
        char m[18], key[32];
        dl->rx_oversized++;
        D->frames_refused++;
        snprintf(key, sizeof key, "oversized-%d", dl->port);
        slog_rl(SAMID_LOG_WARN, key,
                "%s: refused an oversized frame from %s: %zu octets, ethertype %#06x (at most "
                "%u are taken)", dl->eth.ifname, hexmac(f + 6, m), len, (unsigned)et,
                (unsigned)SAMID_MAX_FRAME);
        return;
    }
    if (et == SAMI_ECP_ETHERTYPE) {
        char what[64];
        snprintf(what, sizeof what, "%s: ECP/VDP frame", dl->eth.ifname);
        (void)bridge_rx(dl->port, f, len, what);
        return;
    }
    if (et == SAMI_LLDP_ETHERTYPE) {
        lldp_rx(dl, f, len);
        return;
    }
    if (inner_ethertype(f, len) != 0x0800 || !dl->cfg->dhcp_snooping)
        return;
    struct sami_dhcpsnoop_event ev;
    struct sami_err er;
    memset(&er, 0, sizeof er);
    int rc = sami_dhcpsnoop_decode(f, len, (uint16_t)dl->cfg->pvid, &ev, &er);
    if (rc == 0 && (ev.kind == SAMI_DHCPSNOOP_ACK || ev.kind == SAMI_DHCPSNOOP_NAK)) {
        char m[18];
        dl->dhcp_untrusted++;
        D->frames_refused++;
        slog_rl(SAMID_LOG_WARN, "dhcp-untrusted",
                "%s: refused a DHCP %s sent by station %s: server answers are trusted only "
                "when they leave through the port (a rogue server?)", dl->eth.ifname,
                sami_dhcpsnoop_kind_name(ev.kind), hexmac(f + 6, m));
        return;
    }
    if (rc == 0 && ev.kind == SAMI_DHCPSNOOP_NONE)
        return; /* DISCOVER, REQUEST, ...: nothing to learn */
    dhcp_apply(dl, f, len);
}

/* A DHCP server answer leaving towards the stations. */
void bridge_downlink_out_frame(struct dlink *dl, const uint8_t *f, size_t len)
{
    if (!dl->cfg->dhcp_snooping)
        return;
    dhcp_apply(dl, f, len);
}

void bridge_l2_frame(const uint8_t *f, size_t len)
{
    if (len < 14 || f[12] != 0x88 || f[13] != 0xb5)
        return;
    char what[96], m[18];
    /* the node takes frames only from the MAC of an L2 peer's bridge id;
     * anything else on the fabric is a stranger: say so here, where the
     * node would only count it as "not for me" */
    int known = 0;
    for (size_t i = 0; i < D->npeers && !known; i++)
        known = D->peers[i].cfg->binding == SAMI_XFER_BIND_L2 &&
                memcmp(D->peers[i].cfg->id.mac, f + 6, 6) == 0;
    if (!known) {
        D->frames_refused++;
        slog_rl(SAMID_LOG_WARN, "l2-stranger", "%s: refused an L2 transfer frame from %s: not "
                "the MAC of a configured L2 peer", D->l2.ifname, hexmac(f + 6, m));
        return;
    }
    snprintf(what, sizeof what, "%s: L2 transfer frame from %s", D->l2.ifname, hexmac(f + 6, m));
    (void)bridge_rx(SAMID_PORT_L2, f, len, what);
}

/* ---------------------------------------------------- a port that failed */

#define REOPEN_EVERY SAMI_SEC(5)

static int open_port(struct dlink *dl, char *err, size_t errlen)
{
    return eth_open(&dl->eth, dl->cfg->ifname, dl->cfg->dhcp_snooping ? FILTER_IN : FILTER_IN_NODHCP,
                    dl->cfg->dhcp_snooping ? FILTER_OUT : NULL, err, errlen);
}

void bridge_port_failed(struct dlink *dl)
{
    if (dl->down)
        return;
    slog(SAMID_LOG_ERROR, "%s: capture failed (interface gone?): the port is down, retrying "
         "every %u s", dl->eth.ifname, (unsigned)(REOPEN_EVERY / 1000000u));
    /* keep the name for messages; everything else is closed */
    eth_close(&dl->eth);
    dl->down = 1;
    dl->reopen_at = D->now + REOPEN_EVERY;
}

void bridge_port_retry(struct dlink *dl)
{
    if (!dl->down || D->now < dl->reopen_at)
        return;
    char err[256];
    if (open_port(dl, err, sizeof err) != 0) {
        slog_rl(SAMID_LOG_WARN, "reopen", "%s", err);
        dl->reopen_at = D->now + REOPEN_EVERY;
        return;
    }
    dl->down = 0;
    dl->lldp_soon = 1;
    slog(SAMID_LOG_INFO, "%s: capture reopened, the port is back", dl->eth.ifname);
}

/* ------------------------------------------------------------ node build */

static int make_node(const struct samid_config *c, struct sami_node **out, char *err, size_t n)
{
    struct sami_node_bridge_cfg nc;
    sami_node_bridge_cfg_default(&nc);
    nc.name = c->bridge.name[0] ? c->bridge.name : NULL;
    nc.local.chassis_id_subtype = SAMI_LLDP_CHASSIS_MAC;
    nc.local.chassis_id_len = 6;
    memcpy(nc.local.chassis_id, c->bridge.chassis_id, 6);
    nc.local.port_id_subtype = SAMI_LLDP_PORT_LOCAL;
    nc.local.port_id_len = 1;
    nc.local.port_id[0] = '-';
    nc.xfer_id = c->bridge.id;

    struct sami_node_downlink *dls = calloc(D->ndl, sizeof *dls);
    struct sami_node_peer *ps = calloc(c->n_peers ? c->n_peers : 1, sizeof *ps);
    if (!dls || !ps) {
        free(dls);
        free(ps);
        snprintf(err, n, "out of memory");
        return -1;
    }
    size_t max_vsis = 1;
    for (size_t i = 0; i < D->ndl; i++) {
        dls[i].port = D->dl[i].port;
        memcpy(dls[i].mac, D->dl[i].eth.mac, 6);
        if (D->dl[i].cfg->max_vsis > max_vsis)
            max_vsis = D->dl[i].cfg->max_vsis;
    }
    for (size_t i = 0; i < c->n_peers; i++) {
        const struct samid_peer *p = &c->peers[i];
        ps[i].ref.chassis_id_subtype = SAMI_LLDP_CHASSIS_MAC;
        ps[i].ref.chassis_id_len = 6;
        memcpy(ps[i].ref.chassis_id, p->chassis_id, 6);
        ps[i].ref.port_id_subtype = SAMI_LLDP_PORT_LOCAL;
        ps[i].ref.port_id_len = 1;
        ps[i].ref.port_id[0] = '-';
        ps[i].id = p->id;
        if (p->binding == SAMI_XFER_BIND_L2) {
            ps[i].binding = SAMI_XFER_BIND_L2;
            ps[i].port = SAMID_PORT_L2;
            /* The node sends a peer's L2 frames to the MAC of its bridge id
             * (and takes them only from there): another l2:MAC cannot be
             * honoured without changing the peer's identity. */
            if (memcmp(p->l2_mac, p->id.mac, 6)) {
                char m[18], b[24];
                slog(SAMID_LOG_WARN, "peer %s: address l2:%s differs from the MAC of its bridge "
                     "id: L2 frames go to the bridge id's MAC", bridgeidstr(&p->id, b),
                     hexmac(p->l2_mac, m));
            }
        } else {
            ps[i].binding = SAMI_XFER_BIND_STREAM;
            ps[i].port = SAMID_PORT_PEER0 + (int)i;
        }
    }
    nc.downlinks = dls;
    nc.n_downlinks = D->ndl;
    nc.peers = ps;
    nc.n_peers = c->n_peers;
    uint16_t tx = 0;
    samid_config_keyring(c, (int64_t)time(NULL), D->now / 1000u, &nc.keyring, &tx);
    nc.tx_key_id = tx;
    nc.oui = c->bridge.oui;
    memset(nc.mgrid, 0, sizeof nc.mgrid);
    const char *mg = c->bridge.name[0] ? c->bridge.name : "samid";
    memcpy(nc.mgrid, mg, strlen(mg) < sizeof nc.mgrid ? strlen(mg) : sizeof nc.mgrid);
    nc.vdp = D->ndl ? D->dl[0].cfg->vdp : nc.vdp;
    nc.vdp_set = 1;
    nc.mig.local = nc.local;
    nc.mig.margin = SAMI_MSEC(c->deadlines.margin_ms);
    nc.mig.prepare_timeout = SAMI_MSEC(c->deadlines.prepare_ms);
    nc.mig.commit_timeout = SAMI_MSEC(c->deadlines.commit_ms);
    nc.mig.activate_timeout = SAMI_MSEC(c->deadlines.activate_ms);
    nc.mig.purge_timeout = SAMI_MSEC(c->deadlines.purge_ms);
    nc.xfer_resolve = SAMI_MSEC(c->deadlines.resolve_ms);
    nc.xfer_limits.max_records_per_migration = c->limits.records_per_migration;
    nc.xfer_limits.max_records_total = c->limits.records_total;
    nc.xfer_limits.max_migrations = c->limits.migrations;
    nc.max_records = c->store_max_records;
    nc.max_vsis = max_vsis;
    nc.ecp_slots = c->limits.pending_frames;
    nc.max_migrations = c->limits.migrations;
    nc.mig.max_per_port = c->limits.migrations_per_port;
    nc.xfer_seq_start = D->seq_start; /* wall clock: peers must not see a replay */
    nc.tx = bridge_tx;
    nc.tx_ctx = D;
    int rc = sami_node_bridge_create(&nc, out);
    sami_secure_zero(&nc.keyring, sizeof nc.keyring);
    free(dls);
    free(ps);
    if (rc) {
        snprintf(err, n, "cannot create the bridge node: %s", sami_strerror(rc));
        return -1;
    }
    return 0;
}

static void peers_from(const struct samid_config *c, struct tpeer *p)
{
    for (size_t i = 0; i < c->n_peers; i++) {
        memset(&p[i], 0, sizeof p[i]);
        p[i].cfg = &c->peers[i];
        p[i].node_port =
            c->peers[i].binding == SAMI_XFER_BIND_L2 ? SAMID_PORT_L2 : SAMID_PORT_PEER0 + (int)i;
        p[i].backoff = SAMI_MSEC(100);
        p[i].next_try = D->now;
    }
}

int bridge_build(char *err, size_t errlen)
{
    const struct samid_config *c = &D->cfg;
    D->ndl = c->n_downlinks;
    D->dl = calloc(D->ndl, sizeof *D->dl);
    D->npeers = c->n_peers;
    D->peers = calloc(D->npeers ? D->npeers : 1, sizeof *D->peers);
    if (!D->dl || !D->peers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < D->ndl; i++) {
        struct dlink *dl = &D->dl[i];
        dl->cfg = &c->downlinks[i];
        dl->port = (int)i + 1;
        dl->eth.fd_in = dl->eth.fd_out = -1;
        sami_dhcpsnoop_init(&dl->snoop);
        if (open_port(dl, err, errlen) != 0)
            return -1;
        char m[18];
        slog(SAMID_LOG_INFO, "downlink %s (%s): policy %s, pvid %u, DHCP snooping %s, LLDP %s",
             dl->cfg->ifname, hexmac(dl->eth.mac, m), samid_policy_name(dl->cfg->policy),
             dl->cfg->pvid, dl->cfg->dhcp_snooping ? "on" : "off", dl->cfg->lldp ? "on" : "off");
    }
    if (c->transfer.l2_used) {
        if (eth_open(&D->l2, c->transfer.interface, FILTER_L2, NULL, err, errlen) != 0)
            return -1;
        D->has_l2 = 1;
        slog(SAMID_LOG_INFO, "transfer: L2 binding on %s", c->transfer.interface);
    }
    peers_from(c, D->peers);
    if (make_node(c, &D->node, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < D->ndl; i++) {
        hook_port(&D->dl[i]);
        bridge_apply_downlink_cfg(&D->dl[i]);
        lldp_init_port(&D->dl[i]);
    }
    return 0;
}

struct copy_ctx {
    struct sami_node *to;
    const struct sami_vm_id *vm;
    uint32_t n, failed;
};

static int copy_one(void *arg, const struct sami_di_record *rec)
{
    struct copy_ctx *c = arg;
    if (sami_node_bridge_put(c->to, D->now, c->vm, rec) == 0)
        c->n++;
    else
        c->failed++;
    return 0;
}

int bridge_rebuild(const struct samid_config *ncfg, char *err, size_t errlen)
{
    struct sami_node *old = D->node, *nn = NULL;
    /* a later wall clock: above everything the old node sent */
    struct timespec wt;
    clock_gettime(CLOCK_REALTIME, &wt);
    uint64_t s = (uint64_t)wt.tv_sec * 1000000u + (uint64_t)wt.tv_nsec / 1000u;
    D->seq_start = s > D->seq_start ? s : D->seq_start + 1000000u;
    if (make_node(ncfg, &nn, err, errlen) != 0)
        return -1;
    /* DI: every VM this samid has seen (preload, snooping, migrations) */
    struct sami_store os = sami_node_bridge_store(old);
    struct copy_ctx cc = {nn, NULL, 0, 0};
    for (size_t i = 0; i < D->vms.n; i++) {
        cc.vm = &D->vms.v[i];
        (void)sami_store_foreach(&os, cc.vm, D->now, copy_one, &cc);
    }
    /* VSIs: the stations keep theirs; ours must not vanish under them */
    for (size_t i = 0; i < D->ndl; i++) {
        const struct sami_vdp_bridge *ob = sami_node_bridge_vdp(old, D->dl[i].port);
        struct sami_vdp_bridge *nb =
            (struct sami_vdp_bridge *)sami_node_bridge_vdp(nn, D->dl[i].port);
        if (!ob || !nb)
            continue;
        size_t k = 0;
        for (size_t j = 0; j < ob->nvsis && k < nb->nvsis; j++)
            if (ob->vsis[j].in_use)
                nb->vsis[k++] = ob->vsis[j];
    }
    D->node = nn;
    for (size_t i = 0; i < D->ndl; i++) {
        hook_port(&D->dl[i]);
        bridge_apply_downlink_cfg(&D->dl[i]);
    }
    sami_node_destroy(old);
    /* peers: a new table, connections re-bound by bridge id */
    struct tpeer *np = calloc(ncfg->n_peers ? ncfg->n_peers : 1, sizeof *np);
    if (!np) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    peers_from(ncfg, np);
    for (size_t i = 0; i < ncfg->n_peers; i++)
        for (size_t k = 0; k < D->npeers; k++)
            if (!memcmp(&D->peers[k].cfg->id, &ncfg->peers[i].id, sizeof ncfg->peers[i].id)) {
                np[i].connects = D->peers[k].connects;
                np[i].connect_failures = D->peers[k].connect_failures;
            }
    struct tpeer *op = D->peers;
    size_t nop = D->npeers;
    D->peers = np;
    D->npeers = ncfg->n_peers;
    xport_rebind(op, nop);
    free(op);
    slog(SAMID_LOG_INFO, "reload: bridge node rebuilt: %u DI records moved%s, %zu peers",
         cc.n, cc.failed ? " (some refused by the new limits)" : "", D->npeers);
    return 0;
}

void bridge_destroy(void)
{
    if (D->node)
        sami_node_destroy(D->node);
    D->node = NULL;
    for (size_t i = 0; i < D->ndl; i++)
        eth_close(&D->dl[i].eth);
    if (D->has_l2)
        eth_close(&D->l2);
    free(D->dl);
    D->dl = NULL;
    D->ndl = 0;
    free(D->peers);
    D->peers = NULL;
    D->npeers = 0;
    free(D->vms.v);
    memset(&D->vms, 0, sizeof D->vms);
    free(vmix);
    vmix = NULL;
    vmix_cap = vmix_n = 0;
    free(D->mseen);
    D->mseen = NULL;
    D->nmseen = 0;
}

int bridge_idle(void)
{
    static struct sami_mig_bridge_info info[1024];
    size_t n = sami_mig_bridge_list(sami_node_bridge_mig(D->node), info,
                                    sizeof info / sizeof info[0]);
    if (n > sizeof info / sizeof info[0])
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!terminal(info[i].state))
            return 0;
    return 1;
}

size_t bridge_abort_all(uint16_t reason)
{
    static struct sami_mig_bridge_info info[1024];
    struct sami_mig_bridge *mb = (struct sami_mig_bridge *)sami_node_bridge_mig(D->node);
    size_t n = sami_mig_bridge_list(mb, info, sizeof info / sizeof info[0]);
    if (n > sizeof info / sizeof info[0])
        n = sizeof info / sizeof info[0];
    size_t done = 0;
    /* the node's ops read its idea of "now": bring it up to date first */
    sami_node_run(D->node, D->now);
    for (size_t i = 0; i < n; i++) {
        if (terminal(info[i].state))
            continue;
        struct sami_notif no;
        memset(&no, 0, sizeof no);
        no.version = 1;
        no.time_point = SAMI_TP_ABORTED;
        no.migration_id = info[i].mig_id;
        no.timestamp_ms = (uint64_t)time(NULL) * 1000u;
        no.di_types = info[i].di_types;
        no.vm = info[i].vm;
        /* info's bridge pointers point into the table: copy before the call */
        struct sami_bridge_ref orig = *info[i].orig, dest = *info[i].dest;
        no.orig_bridge = orig;
        no.dest_bridge = dest;
        no.has_reason = 1;
        no.reason = reason;
        int rc = sami_mig_bridge_notification_input(mb, D->now, info[i].hv_port, &no);
        slog(SAMID_LOG_INFO, "shutdown: migration %#llx (%s, %s) aborted%s%s",
             (unsigned long long)info[i].mig_id, sami_mig_bridge_role_name(info[i].role),
             sami_mig_bridge_state_name(info[i].state), rc ? ": " : "",
             rc ? sami_strerror(rc) : "");
        done++;
    }
    /* deliver what the aborts queued (transfer events, feedback) */
    sami_node_run(D->node, D->now);
    watch_migrations();
    return done;
}

int bridge_load_text(const char *name, const char *text, size_t len, char *err, size_t errlen,
                     struct jw *w)
{
    struct samid_preload_stats st;
    memset(&st, 0, sizeof st);
    struct sami_store ls = bridge_learner_store();
    int rc = samid_preload_text(name, text, len, &ls, D->now, &st, err, errlen);
    D->preload_records += st.records;
    D->loads++;
    if (w) {
        jw_ku64(w, "lines", st.lines);
        jw_ku64(w, "records", st.records);
        jw_key(w, "per_type");
        jw_obj(w);
        for (unsigned t = 1; t < SAMI_STORE_COUNTS; t++)
            if (st.per_type[t])
                jw_ku64(w, sami_di_type_name(t), st.per_type[t]);
        jw_end_obj(w);
    }
    if (rc == 0)
        slog(SAMID_LOG_INFO, "preload %s: %zu records stored", name, st.records);
    return rc;
}
