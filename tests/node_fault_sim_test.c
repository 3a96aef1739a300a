/* Fault cases of issue #6 at the node level: HV-S, BR-O, BR-D, HV-D with
 * every engine (ECP, VDP, mig_hv, mig_bridge, xfer engine over the L2
 * link, memstore) in the simulator, driven by a scripted manager.
 *
 *  - loss, reordering and duplication at 30% each on every link;
 *  - the fabric link cut at each phase and healed, and cut for longer
 *    than the deadlines;
 *  - a bridge restarted (volatile state lost, DI tables kept) after the
 *    commit and before the activation, at either end;
 *  - a destination hypervisor that never sends RESUMED;
 *  - the monotonic clock of one node, or of all nodes, jumping 1 h forward
 *    at each phase.
 *
 * After every case (docs/SIMULATOR.md, "Fault cases"): the VM's records
 * are exactly the snapshot taken before the migration, all at one bridge
 * (compared record by record, timers aside), none staged, pending or
 * frozen anywhere; the verdicts the hypervisors saw say where they are
 * (HV-D heard PROCEED for RESUMED if and only if the records moved); and
 * once the lingering records are gone no engine holds migration state and
 * every node's next deadline is a VDP keep-alive within its bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/di.h"
#include "sami/hmac.h"
#include "sami/node.h"
#include "sami/sim.h"
#include "sami/xfer_l2.h"

#define MIG 0x5a4d00000000f001ull
#define HV_PORT 0
#define DL_PORT 1
#define FAB_PORT 100
#define NREC 24
#define ETH_HLEN 14
#define HOUR SAMI_SEC(3600)
/* The longest a node may sleep once nothing migrates: a VDP keep-alive
 * (station and bridge timers of the default EVB parameters are well
 * under a minute). */
#define MAX_IDLE_TIMER SAMI_SEC(60)

enum { N_HVS, N_BRO, N_BRD, N_HVD, NN };
enum { WHERE_SOURCE = 1, WHERE_DEST = 2 };

/* A node with its own monotonic clock: local = simulated + off. */
struct shim {
    struct sami_node *n;
    sami_usec_t off;
    int id;
};

struct vlog {
    int n;
    int tp[32], outcome[32];
};

struct world {
    struct sami_sim *sim;
    struct shim sh[NN];
    int link_s, link_d, link_f;
    struct sami_vdp_vsi vsi;
    struct sami_vdp_filter filt;
    struct sami_vm_id vm;
    struct sami_bridge_ref ref_o, ref_d;
    struct vlog v[NN];
    int no_resumed; /* the destination hypervisor never sends RESUMED */
    /* trigger: a transfer message of this type, from bridge `from`,
     * delivered (the tap sets seen; the test loop then acts) */
    int trig_type, trig_from, trig_seen;
    /* the VM's records before the migration, timers zeroed, encoded */
    uint8_t snap[NREC][128];
    size_t snap_len[NREC];
    int nsnap;
    uint32_t snap_per[SAMI_STORE_COUNTS];
};

static struct world W;

static sami_usec_t lnow(int k)
{
    return sami_sim_now(W.sim) + W.sh[k].off;
}

/* ---- node shims: the node's clock is the simulator's plus its offset ---- */

static void s_rx(void *ctx, sami_usec_t now, int port, const uint8_t *f, size_t len)
{
    struct shim *s = ctx;
    sami_node_rx(s->n, now + s->off, port, f, len);
}

static sami_usec_t s_next(void *ctx)
{
    struct shim *s = ctx;
    sami_usec_t d = sami_node_next_deadline(s->n);
    if (d == SAMI_NO_DEADLINE)
        return d;
    return d > s->off ? d - s->off : 0;
}

static void s_run(void *ctx, sami_usec_t now)
{
    struct shim *s = ctx;
    sami_node_run(s->n, now + s->off);
}

static void s_restart(void *ctx, sami_usec_t now)
{
    struct shim *s = ctx;
    sami_node_restart(s->n, now + s->off);
}

static const struct sami_sim_node_ops SHIM_OPS = {s_rx, s_next, s_run, s_restart};

static void node_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    struct shim *s = ctx;
    (void)sami_sim_send(W.sim, s->id, port, frame, len);
}

/* ---- the manager --------------------------------------------------------- */

static int idx_of(const struct sami_node *n)
{
    for (int k = 0; k < NN; k++)
        if (W.sh[k].n == n)
            return k;
    return -1;
}

static void abort_both(void)
{
    (void)sami_node_hv_abort(W.sh[N_HVS].n, lnow(N_HVS), MIG, SAMI_ABORT_ROLLBACK);
    (void)sami_node_hv_abort(W.sh[N_HVD].n, lnow(N_HVD), MIG, SAMI_ABORT_ROLLBACK);
    sami_sim_touch(W.sim, W.sh[N_HVS].id);
    sami_sim_touch(W.sim, W.sh[N_HVD].id);
}

/* What an orchestrator does with each verdict: RESUMED after the source's
 * PROCEED, COMPLETED after the destination's, ABORTED both ways (the VM
 * resumes at the source) after anything else deciding. */
static void on_verdict(void *ctx, struct sami_node *node, sami_usec_t now,
                       const struct sami_mig_hv_verdict *v)
{
    (void)ctx, (void)now;
    int k = idx_of(node);
    assert_true(k == N_HVS || k == N_HVD);
    assert_true(v->mig_id == MIG);
    struct vlog *l = &W.v[k];
    if (l->n < 32) {
        l->tp[l->n] = v->time_point;
        l->outcome[l->n] = v->outcome;
        l->n++;
    }
    if (k == N_HVS && v->time_point == SAMI_TP_SUSPENDED) {
        if (v->outcome == SAMI_MIG_HV_PROCEED) {
            if (!W.no_resumed) {
                assert_int_equal(sami_node_hv_time_point(W.sh[N_HVD].n, lnow(N_HVD), MIG,
                                                         SAMI_TP_RESUMED, 2000),
                                 0);
                sami_sim_touch(W.sim, W.sh[N_HVD].id);
            }
        } else {
            abort_both();
        }
    } else if (k == N_HVS && v->time_point == SAMI_TP_PREPARE &&
               v->outcome != SAMI_MIG_HV_ACKED) {
        abort_both(); /* pre-copy failed: cancel before suspending */
    } else if (k == N_HVD && v->time_point == SAMI_TP_RESUMED) {
        if (v->outcome == SAMI_MIG_HV_PROCEED) {
            assert_int_equal(sami_node_hv_time_point(W.sh[N_HVS].n, lnow(N_HVS), MIG,
                                                     SAMI_TP_COMPLETED, 0),
                             0);
            assert_int_equal(sami_node_hv_time_point(W.sh[N_HVD].n, lnow(N_HVD), MIG,
                                                     SAMI_TP_COMPLETED, 0),
                             0);
            sami_sim_touch(W.sim, W.sh[N_HVS].id);
        } else {
            abort_both(); /* the VM cannot run at the destination */
        }
    }
}

/* Last outcome of a time point at hypervisor k, or -1. */
static int outcome_of(int k, int tp)
{
    int o = -1;
    for (int i = 0; i < W.v[k].n; i++)
        if (W.v[k].tp[i] == tp)
            o = W.v[k].outcome[i];
    return o;
}

/* ---- world ------------------------------------------------------------------- */

static void ref_init(struct sami_bridge_ref *r, uint8_t last)
{
    memset(r, 0, sizeof *r);
    r->chassis_id_subtype = 4;
    r->chassis_id_len = 6;
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0xb0, last};
    memcpy(r->chassis_id, mac, 6);
    r->port_id_subtype = 5;
    r->port_id_len = 4;
    memcpy(r->port_id, "eth1", 4);
}

static struct sami_node *make_bridge(const char *name, uint8_t last,
                                     const struct sami_bridge_ref *peer, struct shim *sh)
{
    struct sami_node_bridge_cfg c;
    sami_node_bridge_cfg_default(&c);
    c.name = name;
    ref_init(&c.local, last);
    c.xfer_id.priority = 0x8000;
    memcpy(c.xfer_id.mac, c.local.chassis_id, 6);
    struct sami_node_downlink dl = {DL_PORT, {0x02, 0, 0, 1, 0xb0, last}};
    c.downlinks = &dl;
    c.n_downlinks = 1;
    struct sami_node_peer p;
    memset(&p, 0, sizeof p);
    p.ref = *peer;
    p.id.priority = 0x8000;
    memcpy(p.id.mac, peer->chassis_id, 6);
    p.port = FAB_PORT;
    p.binding = SAMI_XFER_BIND_L2;
    c.peers = &p;
    c.n_peers = 1;
    c.keyring.keys[0].id = 1;
    c.keyring.keys[0].len = 32;
    for (int i = 0; i < 32; i++)
        c.keyring.keys[0].bytes[i] = (uint8_t)(0x5c ^ i);
    /* mig_bridge defaults except these, short enough for a test: */
    c.mig.commit_timeout = SAMI_SEC(2);
    c.mig.activate_timeout = SAMI_SEC(10);
    c.mig.purge_timeout = SAMI_SEC(5);
    c.mig.linger = SAMI_SEC(5);
    c.vdp.r = 7;
    c.xfer_rto = SAMI_MSEC(20);
    c.xfer_retries = 10;
    c.link_retries = 16;
    c.tx = node_tx;
    c.tx_ctx = sh;
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_bridge_create(&c, &n), 0);
    return n;
}

static struct sami_node *make_hv(const char *name, uint8_t last, struct shim *sh)
{
    struct sami_node_hv_cfg c;
    sami_node_hv_cfg_default(&c);
    c.name = name;
    c.port = HV_PORT;
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0x48, last};
    memcpy(c.mac, mac, 6);
    memcpy(c.mgrid, name, strlen(name));
    c.vdp.r = 7;
    c.mig.ack_timeout = SAMI_MSEC(100);
    c.mig.max_retries = 5;
    c.mig.verdict_wait = SAMI_SEC(3);
    c.mig.linger = SAMI_SEC(5);
    c.tx = node_tx;
    c.tx_ctx = sh;
    c.verdict = on_verdict;
    c.ctx = &W;
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_hv_create(&c, &n), 0);
    return n;
}

/* Timers count while records sit in a store: zero them to compare. */
static void zero_timers(struct sami_di_record *r)
{
    switch (r->type) {
    case SAMI_DI_DHCP: r->u.dhcp.lease_remaining_ms = 0; break;
    case SAMI_DI_ACL: r->u.acl.lifetime_remaining_ms = 0; break;
    case SAMI_DI_FIREWALL:
        r->u.firewall.expiry_remaining_ms = 0;
        r->u.firewall.created_age_ms = 0;
        r->u.firewall.last_heard_age_ms = 0;
        break;
    default: break;
    }
}

static size_t encode_cmp(const struct sami_di_record *in, uint8_t out[128])
{
    struct sami_di_record r = *in;
    zero_timers(&r);
    size_t len = 0;
    assert_int_equal(sami_di_encode(&r, out, 128, &len), 0);
    return len;
}

static int snap_emit(void *arg, const struct sami_di_record *rec)
{
    (void)arg;
    assert_true(W.nsnap < NREC);
    W.snap_len[W.nsnap] = encode_cmp(rec, W.snap[W.nsnap]);
    W.nsnap++;
    return 0;
}

struct cmp {
    int used[NREC];
    int n, bad;
};

static int cmp_emit(void *arg, const struct sami_di_record *rec)
{
    struct cmp *c = arg;
    uint8_t b[128];
    size_t len = encode_cmp(rec, b);
    c->n++;
    for (int i = 0; i < W.nsnap; i++)
        if (!c->used[i] && W.snap_len[i] == len && memcmp(W.snap[i], b, len) == 0) {
            c->used[i] = 1;
            return 0;
        }
    c->bad++; /* altered, duplicated or foreign */
    return 0;
}

static void fill_records(struct sami_node *br)
{
    for (int i = 0; i < NREC; i++) {
        struct sami_di_record r;
        memset(&r, 0, sizeof r);
        r.op = SAMI_DI_OP_UPSERT;
        switch (i % 3) {
        case 0:
            r.type = SAMI_DI_DHCP;
            r.version = SAMI_DI_DHCP_VERSION;
            /* a day: a 1 h clock jump ages it but does not expire it */
            r.u.dhcp.lease_remaining_ms = 86400000u;
            r.u.dhcp.vlan = 10;
            memcpy(r.u.dhcp.mac, W.filt.mac, 6);
            r.u.dhcp.ipv4[0] = 10, r.u.dhcp.ipv4[1] = 1, r.u.dhcp.ipv4[3] = (uint8_t)(i + 1);
            break;
        case 1:
            r.type = SAMI_DI_FIREWALL;
            r.version = SAMI_DI_FIREWALL_VERSION;
            r.u.firewall.family = 4;
            r.u.firewall.protocol = 6;
            r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
            r.u.firewall.src[10] = r.u.firewall.src[11] = 0xff;
            r.u.firewall.src[12] = 10, r.u.firewall.src[15] = 7;
            r.u.firewall.dst[10] = r.u.firewall.dst[11] = 0xff;
            r.u.firewall.dst[12] = 192, r.u.firewall.dst[15] = (uint8_t)i;
            r.u.firewall.src_port = (uint16_t)(40000 + i);
            r.u.firewall.dst_port = 443;
            r.u.firewall.vlan = 10;
            r.u.firewall.expiry_remaining_ms = 86400000u;
            r.u.firewall.created_age_ms = 1000u;
            break;
        default:
            r.type = SAMI_DI_ACL;
            r.version = SAMI_DI_ACL_VERSION;
            r.u.acl.rule_id = (uint32_t)(1000 + i);
            r.u.acl.action = SAMI_DI_ACL_DENY;
            r.u.acl.origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
            r.u.acl.src_port_hi = r.u.acl.dst_port_hi = 65535;
            r.u.acl.src_prefix_len = 128;
            r.u.acl.src[15] = (uint8_t)i;
            r.u.acl.lifetime_remaining_ms = 86400000u;
            break;
        }
        assert_int_equal(sami_node_bridge_put(br, 0, &W.vm, &r), 0);
    }
    struct sami_store s = sami_node_bridge_store(br);
    assert_int_equal(sami_store_count(&s, &W.vm, W.snap_per), NREC);
    assert_int_equal(sami_store_foreach(&s, &W.vm, 0, snap_emit, NULL), 0);
    assert_int_equal(W.nsnap, NREC);
}

static int xfer_type_of(const uint8_t *f, size_t len)
{
    if (len < ETH_HLEN || ((f[12] << 8) | f[13]) != SAMI_XFER_L2_ETHERTYPE)
        return -1;
    struct sami_xfer_l2_frame l2;
    if (sami_xfer_l2_decode(f + ETH_HLEN, len - ETH_HLEN, &l2, NULL) != 0 ||
        l2.op != SAMI_XFER_L2_DATA || l2.frag_index != 0 || l2.payload_len < SAMI_XFER_HDR_LEN)
        return -1;
    return l2.payload[1];
}

static void tap(void *arg, sami_usec_t t, int from, int to, const uint8_t *f, size_t len,
                int event)
{
    (void)arg, (void)t, (void)to;
    if (event != SAMI_SIM_TAP_DELIVERED || W.trig_seen || W.trig_type <= 0)
        return;
    int want_from = W.trig_from == 0 ? W.sh[N_BRO].id : W.sh[N_BRD].id;
    if (from == want_from && xfer_type_of(f, len) == W.trig_type)
        W.trig_seen = 1;
}

static void world(uint64_t seed, double loss, double dup, double reorder)
{
    if (!sami_hmac_default())
        skip(); /* every transfer is signed: nothing to run without HMAC */
    memset(&W, 0, sizeof W);
    W.sim = sami_sim_new(seed);
    assert_non_null(W.sim);
    ref_init(&W.ref_o, 1);
    ref_init(&W.ref_d, 2);
    W.sh[N_BRO].n = make_bridge("br-o", 1, &W.ref_d, &W.sh[N_BRO]);
    W.sh[N_BRD].n = make_bridge("br-d", 2, &W.ref_o, &W.sh[N_BRD]);
    W.sh[N_HVS].n = make_hv("hv-s", 1, &W.sh[N_HVS]);
    W.sh[N_HVD].n = make_hv("hv-d", 2, &W.sh[N_HVD]);
    for (int k = 0; k < NN; k++) {
        W.sh[k].id = sami_sim_add_node(W.sim, sami_node_name(W.sh[k].n), &SHIM_OPS, &W.sh[k]);
        assert_true(W.sh[k].id >= 0);
    }
    struct sami_sim_link_params lp;
    memset(&lp, 0, sizeof lp);
    lp.delay_us = 20;
    lp.jitter_us = 5;
    lp.loss = loss;
    lp.duplicate = dup;
    lp.reorder = reorder;
    W.link_s = sami_sim_link(W.sim, W.sh[N_HVS].id, HV_PORT, W.sh[N_BRO].id, DL_PORT, &lp);
    W.link_d = sami_sim_link(W.sim, W.sh[N_HVD].id, HV_PORT, W.sh[N_BRD].id, DL_PORT, &lp);
    lp.delay_us = 200;
    W.link_f = sami_sim_link(W.sim, W.sh[N_BRO].id, FAB_PORT, W.sh[N_BRD].id, FAB_PORT, &lp);
    assert_true(W.link_s >= 0 && W.link_d >= 0 && W.link_f >= 0);

    W.filt = (struct sami_vdp_filter){0, {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 0, 0, 10};
    W.vsi.type_id = 0x1234;
    W.vsi.type_ver = 1;
    W.vsi.id_format = SAMI_VDP_VSIID_UUID;
    for (int i = 0; i < 16; i++)
        W.vsi.id[i] = (uint8_t)(0x60 + i);
    W.vsi.filter_format = SAMI_VDP_FILTER_MAC_VID;
    W.vsi.count = 1;
    W.vsi.filters = &W.filt;
    W.vm.type_id = W.vsi.type_id;
    W.vm.type_version = W.vsi.type_ver;
    W.vm.id_format = W.vsi.id_format;
    memcpy(W.vm.id, W.vsi.id, 16);
    fill_records(W.sh[N_BRO].n);
    sami_sim_set_tap(W.sim, tap, NULL);
}

static void world_free(void)
{
    sami_sim_free(W.sim);
    for (int k = 0; k < NN; k++)
        sami_node_destroy(W.sh[k].n);
}

/* ---- script ------------------------------------------------------------------- */

static void t_assoc(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)now, (void)arg;
    assert_int_equal(sami_node_hv_vdp(W.sh[N_HVS].n, lnow(N_HVS), &W.vsi, SAMI_VDP_TLV_ASSOC, 0),
                     0);
}

static void t_prepare(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)now, (void)arg;
    struct sami_node *d = W.sh[N_HVD].n, *s = W.sh[N_HVS].n;
    assert_int_equal(sami_node_hv_migrate(d, lnow(N_HVD), MIG, &W.vsi, &W.ref_o, &W.ref_d,
                                          SAMI_MIG_HV_DEST, SAMI_DI_ALL_TYPES, NULL, 0, NULL, 0),
                     0);
    assert_int_equal(sami_node_hv_time_point(d, lnow(N_HVD), MIG, SAMI_TP_PREPARE, 3000), 0);
    assert_int_equal(sami_node_hv_migrate(s, lnow(N_HVS), MIG, &W.vsi, &W.ref_o, &W.ref_d,
                                          SAMI_MIG_HV_SOURCE, SAMI_DI_ALL_TYPES, NULL, 0, NULL, 0),
                     0);
    assert_int_equal(sami_node_hv_time_point(s, lnow(N_HVS), MIG, SAMI_TP_PREPARE, 1000), 0);
}

static void t_suspend(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)now, (void)arg;
    /* the manager suspends only a migration still going */
    int o = outcome_of(N_HVS, SAMI_TP_PREPARE);
    if (o != SAMI_MIG_HV_ACKED)
        return;
    assert_int_equal(
        sami_node_hv_time_point(W.sh[N_HVS].n, lnow(N_HVS), MIG, SAMI_TP_SUSPENDED, 1000), 0);
}

static void script(void)
{
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(1), t_assoc, NULL) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(100), t_prepare, NULL) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(600), t_suspend, NULL) > 0);
}

/* Runs until the trigger's message was delivered (the step that delivered
 * it also processed it). */
static void run_to_trigger(int type, int from, sami_usec_t limit)
{
    W.trig_type = type;
    W.trig_from = from;
    W.trig_seen = 0;
    while (!W.trig_seen && sami_sim_now(W.sim) < limit)
        assert_true(sami_sim_step(W.sim) >= 0);
    assert_true(W.trig_seen);
    W.trig_type = 0;
}

/* ---- checks ------------------------------------------------------------------- */

static int store_has(int k, struct cmp *c)
{
    struct sami_store s = sami_node_bridge_store(W.sh[k].n);
    memset(c, 0, sizeof *c);
    assert_true(sami_store_foreach(&s, &W.vm, lnow(k), cmp_emit, c) >= 0);
    return c->n;
}

static void check_store_clean(int k)
{
    struct sami_memstore_stats st;
    sami_memstore_stats(sami_node_bridge_memstore(W.sh[k].n), &st);
    if (st.staged || st.saved || st.tombstones || st.migrations)
        print_message("   %s store: staged %u saved %u tombstones %u migrations %u vms %u\n",
                      sami_node_name(W.sh[k].n), st.staged, st.saved, st.tombstones,
                      st.migrations, st.vms);
    assert_int_equal(st.staged, 0);
    assert_int_equal(st.saved, 0);
    assert_int_equal(st.tombstones, 0);
    assert_int_equal(st.migrations, 0);
    struct sami_store s = sami_node_bridge_store(W.sh[k].n);
    int fl = sami_store_vm_flags(&s, &W.vm);
    assert_true(fl >= 0);
    assert_int_equal(fl & (SAMI_STORE_VM_PENDING | SAMI_STORE_VM_STAGING | SAMI_STORE_VM_FROZEN |
                           SAMI_STORE_VM_SOURCE),
                     0);
}

/* Every engine of every node: no migration state left, next deadline
 * SAMI_NO_DEADLINE or a keep-alive within MAX_IDLE_TIMER. */
static void check_idle(void)
{
    for (int k = 0; k < NN; k++) {
        struct sami_node *n = W.sh[k].n;
        sami_usec_t now = lnow(k);
        if (k == N_HVS || k == N_HVD) {
            sami_usec_t d = sami_vdp_station_next_deadline(sami_node_hv_station(n));
            assert_true(d == SAMI_NO_DEADLINE || d <= now + MAX_IDLE_TIMER);
            assert_int_equal(sami_mig_hv_list(sami_node_hv_mig(n), NULL, 0), 0);
            assert_true(sami_mig_hv_next_deadline(sami_node_hv_mig(n)) == SAMI_NO_DEADLINE);
            continue;
        }
        sami_usec_t d = sami_vdp_bridge_next_deadline(sami_node_bridge_vdp(n, DL_PORT));
        assert_true(d == SAMI_NO_DEADLINE || d <= now + MAX_IDLE_TIMER);
        /* the rest is the store's aging: the records' own lifetimes */
        d = sami_node_next_deadline(n);
        assert_true(d == SAMI_NO_DEADLINE || d <= now + SAMI_MSEC(86400000u));
        const struct sami_mig_bridge *mb = sami_node_bridge_mig(n);
        assert_int_equal(sami_mig_bridge_list(mb, NULL, 0), 0);
        assert_true(sami_mig_bridge_next_deadline(mb) == SAMI_NO_DEADLINE);
        const struct sami_xfer_engine *xe = sami_node_bridge_xfer(n);
        assert_int_equal(sami_xfer_engine_active(xe), 0);
        assert_int_equal(sami_xfer_engine_records_held(xe), 0);
        assert_true(sami_xfer_engine_next_deadline(xe) == SAMI_NO_DEADLINE);
        check_store_clean(k);
    }
}

/* The whole outcome: where the records are, exactly, and the verdicts. */
static void check_outcome(int where)
{
    struct cmp co, cd;
    int no = store_has(N_BRO, &co), nd = store_has(N_BRD, &cd);
    int at = where == WHERE_DEST ? N_BRD : N_BRO;
    struct cmp *c = where == WHERE_DEST ? &cd : &co;
    print_message("   records: br-o %d, br-d %d (want all %d at %s); verdicts", no, nd, NREC,
                  at == N_BRD ? "br-d" : "br-o");
    for (int k = N_HVS; k <= N_HVD; k += N_HVD - N_HVS)
        for (int i = 0; i < W.v[k].n; i++)
            print_message(" %s:%s=%s", k == N_HVS ? "S" : "D", sami_tp_name(W.v[k].tp[i]),
                          sami_mig_hv_outcome_name(W.v[k].outcome[i]));
    print_message("\n");
    /* exactly the snapshot at one bridge, nothing at the other */
    assert_int_equal(where == WHERE_DEST ? no : nd, 0);
    assert_int_equal(c->n, NREC);
    assert_int_equal(c->bad, 0);
    for (int i = 0; i < NREC; i++)
        assert_true(c->used[i]);
    uint32_t per[SAMI_STORE_COUNTS];
    struct sami_store s = sami_node_bridge_store(W.sh[at].n);
    assert_int_equal(sami_store_count(&s, &W.vm, per), NREC);
    assert_memory_equal(per, W.snap_per, sizeof per);
    check_store_clean(N_BRO);
    check_store_clean(N_BRD);
    /* the verdicts say the same */
    int res = outcome_of(N_HVD, SAMI_TP_RESUMED);
    if (where == WHERE_DEST) {
        assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
        assert_int_equal(res, SAMI_MIG_HV_PROCEED);
        assert_int_equal(outcome_of(N_HVS, SAMI_TP_COMPLETED), SAMI_MIG_HV_ACKED);
    } else {
        assert_true(res != SAMI_MIG_HV_PROCEED);
        /* the VM went back: the manager's ABORTED was acknowledged where
         * it was sent (a rollback nobody needed to ask for is fine too) */
        int as = outcome_of(N_HVS, SAMI_TP_ABORTED);
        assert_true(as == SAMI_MIG_HV_ACKED || as == SAMI_MIG_HV_ROLLBACK);
    }
}

/* Lets every lingering record go, then checks idleness. */
static void settle(void)
{
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(120)), 0);
    check_idle();
}

static void finish(int where)
{
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(60)), 0);
    check_outcome(where);
    settle();
    /* still right after everything lingering is gone */
    check_outcome(where);
    world_free();
}

/* ---- 1. loss, reordering, duplication ------------------------------------------ */

static void test_lossy_30(void **state)
{
    (void)state;
    int moved = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        world(seed, 0.3, 0.3, 0.3);
        script();
        assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(30)), 0);
        int where = outcome_of(N_HVD, SAMI_TP_RESUMED) == SAMI_MIG_HV_PROCEED ? WHERE_DEST
                                                                              : WHERE_SOURCE;
        moved += where == WHERE_DEST;
        struct sami_sim_link_stats st;
        assert_int_equal(sami_sim_link_stats(W.sim, W.link_f, SAMI_SIM_DIR_BOTH, &st), 0);
        assert_true(st.lost > 0 && st.duplicated > 0 && st.reordered > 0);
        print_message("seed %llu: %s\n", (unsigned long long)seed,
                      where == WHERE_DEST ? "moved" : "rolled back");
        finish(where);
    }
    /* loss costs time, not the migration, most of the time */
    assert_true(moved >= 4);
}

/* ---- 2. partitions of the fabric link ------------------------------------------ */

static void cut_then_heal(int type, int from, sami_usec_t limit, sami_usec_t outage)
{
    world(21, 0, 0, 0);
    script();
    run_to_trigger(type, from, limit);
    assert_int_equal(sami_sim_partition(W.sim, W.link_f, 1), 0);
    if (outage) {
        assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + outage), 0);
        assert_int_equal(sami_sim_partition(W.sim, W.link_f, 0), 0);
    } else {
        /* cut for good: healed only to settle at the end */
        assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(90)), 0);
        assert_int_equal(sami_sim_partition(W.sim, W.link_f, 0), 0);
    }
}

static void test_partition_precopy_healed(void **state)
{
    (void)state;
    /* cut when the first batch arrives, healed 300 ms later (before
     * SUSPENDED): retransmission finishes the pre-copy */
    cut_then_heal(SAMI_XFER_PRECOPY, 0, SAMI_MSEC(600), SAMI_MSEC(300));
    finish(WHERE_DEST);
}

static void test_partition_commit_healed(void **state)
{
    (void)state;
    /* cut at the COMMIT, healed 400 ms later: inside the SUSPENDED hint
     * (1 s + margin), the commit completes */
    cut_then_heal(SAMI_XFER_COMMIT, 0, SAMI_SEC(2), SAMI_MSEC(400));
    finish(WHERE_DEST);
}

static void test_partition_before_activate_healed(void **state)
{
    (void)state;
    /* BR-O has its RESULT (PROCEED given); cut before ACTIVATE, healed
     * 2 s later: BR-D's ACTIVATE retransmissions get through */
    cut_then_heal(SAMI_XFER_RESULT, 1, SAMI_SEC(2), SAMI_SEC(2));
    finish(WHERE_DEST);
}

static void test_partition_before_purge_healed(void **state)
{
    (void)state;
    /* ACTIVATE arrived, PURGE is cut; healed 2 s later */
    cut_then_heal(SAMI_XFER_ACTIVATE, 1, SAMI_SEC(3), SAMI_SEC(2));
    finish(WHERE_DEST);
}

static void test_partition_precopy_outlasts(void **state)
{
    (void)state;
    cut_then_heal(SAMI_XFER_PRECOPY, 0, SAMI_MSEC(600), 0);
    assert_true(outcome_of(N_HVS, SAMI_TP_SUSPENDED) != SAMI_MIG_HV_PROCEED);
    finish(WHERE_SOURCE);
}

static void test_partition_commit_outlasts(void **state)
{
    (void)state;
    cut_then_heal(SAMI_XFER_COMMIT, 0, SAMI_SEC(2), 0);
    int o = outcome_of(N_HVS, SAMI_TP_SUSPENDED);
    assert_true(o == SAMI_MIG_HV_ROLLBACK || o == SAMI_MIG_HV_TIMEOUT);
    finish(WHERE_SOURCE);
}

static void test_partition_activate_outlasts(void **state)
{
    (void)state;
    /* PROCEED given, then the fabric is cut for 90 s, longer than BR-O's
     * activate deadline and its ABORT's retries: BR-D activates on RESUMED
     * (the VM runs there) and keeps resending ACTIVATE (cfg.resolve);
     * BR-O, unfrozen with every record, waits UNRESOLVED for it and purges
     * when the healed link brings it. */
    cut_then_heal(SAMI_XFER_RESULT, 1, SAMI_SEC(2), 0);
    assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    finish(WHERE_DEST);
}

/* ---- 3. restarts after the commit, before the activation ------------------------ */

static void test_restart_dest_after_commit(void **state)
{
    (void)state;
    world(31, 0, 0, 0);
    script();
    run_to_trigger(SAMI_XFER_RESULT, 1, SAMI_SEC(2));
    /* BR-O has the RESULT and said PROCEED; BR-D loses its volatile state
     * (its installed-not-active DI with it) before RESUMED */
    assert_int_equal(sami_sim_restart_node(W.sim, W.sh[N_BRD].id), 0);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(30)), 0);
    assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    int r = outcome_of(N_HVD, SAMI_TP_RESUMED);
    assert_true(r == SAMI_MIG_HV_TIMEOUT || r == SAMI_MIG_HV_ROLLBACK);
    finish(WHERE_SOURCE);
}

/* BR-O restarts the moment RESULT arrives: its PROCEED, in flight, is
 * dropped with the restart. HV-S asks again, the restarted BR-O knows no
 * such migration and stays silent: TIMEOUT, the manager takes the VM back
 * (ABORTED), BR-D discards; the DI never left BR-O's tables. */
static void test_restart_source_proceed_lost(void **state)
{
    (void)state;
    world(32, 0, 0, 0);
    script();
    run_to_trigger(SAMI_XFER_RESULT, 1, SAMI_SEC(2));
    assert_int_equal(sami_sim_restart_node(W.sim, W.sh[N_BRO].id), 0);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(30)), 0);
    assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_TIMEOUT);
    finish(WHERE_SOURCE);
}

/* BR-O restarts after HV-S heard PROCEED, before BR-D's ACTIVATE reached
 * it: the VM resumes at BR-D, which activates. The committed migration
 * survives the restart with the tables (the restarted transfer engine
 * adopts it), so the ACTIVATE still purges BR-O; the restarted mig_bridge
 * acknowledges HV-S's COMPLETED for a migration it no longer knows. */
static void test_restart_source_after_proceed(void **state)
{
    (void)state;
    world(33, 0, 0, 0);
    script();
    run_to_trigger(SAMI_XFER_RESULT, 1, SAMI_SEC(2));
    while (outcome_of(N_HVS, SAMI_TP_SUSPENDED) < 0)
        assert_true(sami_sim_step(W.sim) > 0);
    assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    assert_int_equal(sami_sim_restart_node(W.sim, W.sh[N_BRO].id), 0);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(30)), 0);
    finish(WHERE_DEST);
}

/* ---- 4. a hypervisor that never sends RESUMED ------------------------------------ */

static void test_never_resumed(void **state)
{
    (void)state;
    world(41, 0, 0, 0);
    W.no_resumed = 1;
    script();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(2)), 0);
    assert_int_equal(outcome_of(N_HVS, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    /* installed at BR-D, not active; BR-O holds everything, frozen */
    struct sami_store sd = sami_node_bridge_store(W.sh[N_BRD].n);
    assert_true(sami_store_vm_flags(&sd, &W.vm) & SAMI_STORE_VM_PENDING);
    assert_int_equal(sami_store_count(&sd, &W.vm, NULL), NREC);
    /* BR-D's deadline (install + activate_timeout) discards and tells BR-O
     * (ABORT) and HV-D (ROLLBACK answering its PREPARE): the records stay
     * where the VM can still run */
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(12)), 0);
    assert_int_equal(outcome_of(N_HVD, SAMI_TP_PREPARE), SAMI_MIG_HV_ROLLBACK);
    struct sami_store so = sami_node_bridge_store(W.sh[N_BRO].n);
    assert_int_equal(sami_store_vm_flags(&so, &W.vm) & SAMI_STORE_VM_FROZEN, 0);
    assert_int_equal(sami_store_count(&sd, &W.vm, NULL), 0);
    /* a late RESUMED (while BR-D's rolled-back record lingers) is answered
     * ROLLBACK: the manager takes the VM back */
    assert_int_equal(
        sami_node_hv_time_point(W.sh[N_HVD].n, lnow(N_HVD), MIG, SAMI_TP_RESUMED, 2000), 0);
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);
    assert_int_equal(outcome_of(N_HVD, SAMI_TP_RESUMED), SAMI_MIG_HV_ROLLBACK);
    finish(WHERE_SOURCE);
}

/* ---- 5. the monotonic clock jumps forward --------------------------------------- */

/* Jumps the clocks of the nodes in mask by 1 h. Deadlines that were in the
 * future are now past: the jumped nodes fire them at once. */
static void jump(unsigned mask)
{
    for (int k = 0; k < NN; k++)
        if (mask & (1u << k))
            W.sh[k].off += HOUR;
    assert_int_equal(sami_sim_touch(W.sim, -1), 0);
}

#define M_BRO (1u << N_BRO)
#define M_BRD (1u << N_BRD)
#define M_ALL ((1u << NN) - 1)

/* Phase triggers: after the first batch (pre-copy), after the COMMIT,
 * after the RESULT (PROCEED given, not activated), after the ACTIVATE. */
static const struct {
    int type, from;
    const char *name;
} PHASES[] = {{SAMI_XFER_PRECOPY, 0, "pre-copy"},
              {SAMI_XFER_COMMIT, 0, "commit"},
              {SAMI_XFER_RESULT, 1, "committed"},
              {SAMI_XFER_ACTIVATE, 1, "activated"}};

static void clock_jump_case(unsigned mask, int phase)
{
    world(51 + (uint64_t)phase, 0, 0, 0);
    script();
    run_to_trigger(PHASES[phase].type, PHASES[phase].from, SAMI_SEC(3));
    jump(mask);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(30)), 0);
    int where = outcome_of(N_HVD, SAMI_TP_RESUMED) == SAMI_MIG_HV_PROCEED ? WHERE_DEST
                                                                          : WHERE_SOURCE;
    print_message("clock +1 h on %s at %s: %s\n",
                  mask == M_ALL ? "all nodes" : mask == M_BRO ? "br-o" : "br-d",
                  PHASES[phase].name, where == WHERE_DEST ? "moved" : "stayed");
    /* once activated the migration is over: a jump cannot undo it; before
     * the commit every jumped deadline means rollback */
    if (phase == 3)
        assert_int_equal(where, WHERE_DEST);
    if (phase <= 1)
        assert_int_equal(where, WHERE_SOURCE);
    finish(where);
}

static void test_clock_jump_source(void **state)
{
    (void)state;
    /* at "committed" BR-O's activate deadline fires at once and its ABORT
     * crosses BR-D's ACTIVATE: BR-D answers the ABORT with ACTIVATE, BR-O
     * takes the late ACTIVATE and purges */
    for (int p = 0; p < 4; p++)
        clock_jump_case(M_BRO, p);
}

static void test_clock_jump_dest(void **state)
{
    (void)state;
    for (int p = 0; p < 4; p++)
        clock_jump_case(M_BRD, p);
}

static void test_clock_jump_all(void **state)
{
    (void)state;
    for (int p = 0; p < 4; p++)
        clock_jump_case(M_ALL, p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lossy_30),
        cmocka_unit_test(test_partition_precopy_healed),
        cmocka_unit_test(test_partition_commit_healed),
        cmocka_unit_test(test_partition_before_activate_healed),
        cmocka_unit_test(test_partition_before_purge_healed),
        cmocka_unit_test(test_partition_precopy_outlasts),
        cmocka_unit_test(test_partition_commit_outlasts),
        cmocka_unit_test(test_partition_activate_outlasts),
        cmocka_unit_test(test_restart_dest_after_commit),
        cmocka_unit_test(test_restart_source_proceed_lost),
        cmocka_unit_test(test_restart_source_after_proceed),
        cmocka_unit_test(test_never_resumed),
        cmocka_unit_test(test_clock_jump_source),
        cmocka_unit_test(test_clock_jump_dest),
        cmocka_unit_test(test_clock_jump_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
