/* Whole nodes (hypervisors + bridges with every engine) in the simulator,
 * on the fake clock, under the conditions the unit tests cannot reach:
 *
 *  - hostile transfer messages at BR-D while a genuine migration is in
 *    flight: forged MAC, replayed captures of an earlier migration, wrong
 *    key id / key bytes, validly signed but unsolicited transfers;
 *  - 1,000 migrations at once between 4 bridges;
 *  - BR-D dying mid pre-copy, mid commit, and between commit and activate;
 *  - a hypervisor port flooding notifications and acknowledging nothing,
 *    next to a quiet port whose feedback must still be resent.
 *
 * Every check is exact: counters move by exactly what each attack should
 * cost, records are counted per VM and per DI type. */
/* clock_gettime: the 1,000-migration test reports its wall time */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sami/di.h"
#include "sami/ecp.h"
#include "sami/node.h"
#include "sami/samitlv.h"
#include "sami/sim.h"
#include "sami/vdp.h"
#include "sami/xfer_l2.h"

#define HV_PORT 0
#define FAB_BASE 100 /* bridge port towards bridge j: FAB_BASE + j */
#define ATK_PORT 200 /* BR-D's port towards the attacker ("BR-X") */
#define ATK_OUT 0    /* the attacker's own port */
#define MAXB 4
#define MIG_BASE 0x5a4d100000000000ull
#define ETH_HLEN 14

struct txctx {
    struct sami_sim *sim;
    int id;
};

/* One VM's migration and what the manager saw of it. */
struct vmig {
    uint64_t id;
    int src_hv, dst_hv; /* indexes into W.hv */
    int src_br, dst_br;
    struct sami_vdp_vsi vsi;
    struct sami_vdp_filter filt;
    struct sami_vm_id vm;
    uint32_t counts[SAMI_STORE_COUNTS]; /* what the source held before the move */
    int v_prep_s, v_prep_d, v_susp, v_res, v_comp_s, v_comp_d, v_abort_s, v_abort_d;
};

struct world {
    struct sami_sim *sim;
    int nb, hpb, nhv, nm;
    struct sami_node *br[MAXB];
    struct txctx br_tx[MAXB];
    struct sami_bridge_ref ref[MAXB];
    struct sami_node **hv;
    struct txctx *hv_tx;
    struct vmig *m;
    int fab[MAXB][MAXB]; /* link ids */
    struct sami_xfer_key key;
    /* attacker */
    int attacker;
    int atk_id;
    struct sami_xfer_bridge_id atk_bid;
    uint16_t atk_lseq;
    /* genuine transfer messages BR-O -> BR-D of migration cap_mig, whole
     * Ethernet frames as the tap saw them */
    uint64_t cap_mig;
    uint8_t cap_pre[1600], cap_commit[1600];
    size_t cap_pre_len, cap_commit_len;
    /* kill BR-D when the tap sees this transfer message type (from -> to) */
    int kill_type, kill_from, kill_to, kill_seen;
    sami_usec_t kill_at;
    sami_usec_t last_verdict; /* simulated time of the latest verdict */
    sami_usec_t last_proceed; /* ... of the latest PROCEED answering SUSPENDED */
};

static struct world W;

static const struct sami_sim_node_ops NODE_OPS = {sami_node_rx, sami_node_next_deadline,
                                                   sami_node_run, sami_node_restart};

static void node_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    struct txctx *t = ctx;
    (void)sami_sim_send(t->sim, t->id, port, frame, len);
}

static void bridge_ref(struct sami_bridge_ref *r, int b)
{
    memset(r, 0, sizeof *r);
    r->chassis_id_subtype = 4;
    r->chassis_id_len = 6;
    const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0xb0, (uint8_t)(b + 1)};
    memcpy(r->chassis_id, mac, 6);
    r->port_id_subtype = 5;
    r->port_id_len = 4;
    memcpy(r->port_id, "eth1", 4);
}

static int hv_index(const struct sami_node *n)
{
    for (int i = 0; i < W.nhv; i++)
        if (W.hv[i] == n)
            return i;
    return -1;
}

/* The manager: each verdict moves the migration on, as an orchestrator
 * would (RESUMED after the source's PROCEED, COMPLETED after the
 * destination's, ABORTED both ways after anything else). */
static void on_verdict(void *ctx, struct sami_node *node, sami_usec_t now,
                       const struct sami_mig_hv_verdict *v)
{
    (void)ctx;
    if (v->mig_id < MIG_BASE || v->mig_id >= MIG_BASE + (uint64_t)W.nm)
        fail_msg("verdict for unknown migration %llx", (unsigned long long)v->mig_id);
    struct vmig *m = &W.m[v->mig_id - MIG_BASE];
    W.last_verdict = now;
    int hi = hv_index(node);
    int src = hi == m->src_hv;
    assert_true(src || hi == m->dst_hv);
    switch (v->time_point) {
    case SAMI_TP_PREPARE:
        *(src ? &m->v_prep_s : &m->v_prep_d) = v->outcome;
        break;
    case SAMI_TP_SUSPENDED:
        assert_true(src);
        m->v_susp = v->outcome;
        if (v->outcome == SAMI_MIG_HV_PROCEED) {
            W.last_proceed = now;
            assert_int_equal(
                sami_node_hv_time_point(W.hv[m->dst_hv], now, m->id, SAMI_TP_RESUMED, 2000), 0);
            sami_sim_touch(W.sim, W.hv_tx[m->dst_hv].id);
        } else {
            (void)sami_node_hv_abort(W.hv[m->src_hv], now, m->id, SAMI_ABORT_ROLLBACK);
            (void)sami_node_hv_abort(W.hv[m->dst_hv], now, m->id, SAMI_ABORT_ROLLBACK);
            sami_sim_touch(W.sim, W.hv_tx[m->dst_hv].id);
        }
        break;
    case SAMI_TP_RESUMED:
        assert_false(src);
        m->v_res = v->outcome;
        if (v->outcome == SAMI_MIG_HV_PROCEED) {
            assert_int_equal(
                sami_node_hv_time_point(W.hv[m->src_hv], now, m->id, SAMI_TP_COMPLETED, 0), 0);
            assert_int_equal(
                sami_node_hv_time_point(W.hv[m->dst_hv], now, m->id, SAMI_TP_COMPLETED, 0), 0);
            sami_sim_touch(W.sim, W.hv_tx[m->src_hv].id);
        } else {
            /* the VM cannot run at the destination: back at the source */
            (void)sami_node_hv_abort(W.hv[m->src_hv], now, m->id, SAMI_ABORT_ROLLBACK);
            (void)sami_node_hv_abort(W.hv[m->dst_hv], now, m->id, SAMI_ABORT_ROLLBACK);
            sami_sim_touch(W.sim, W.hv_tx[m->src_hv].id);
        }
        break;
    case SAMI_TP_COMPLETED:
        *(src ? &m->v_comp_s : &m->v_comp_d) = v->outcome;
        break;
    case SAMI_TP_ABORTED:
        *(src ? &m->v_abort_s : &m->v_abort_d) = v->outcome;
        break;
    default:
        break;
    }
}

/* ---- world ------------------------------------------------------------------ */

static struct sami_node *make_bridge(int b, size_t max_mig)
{
    struct sami_node_bridge_cfg c;
    sami_node_bridge_cfg_default(&c);
    char name[16];
    snprintf(name, sizeof name, "br-%d", b);
    c.name = name;
    c.local = W.ref[b];
    c.xfer_id.priority = 0x8000;
    memcpy(c.xfer_id.mac, W.ref[b].chassis_id, 6);
    struct sami_node_downlink dl[64];
    assert_true(W.hpb <= 64);
    for (int h = 0; h < W.hpb; h++) {
        dl[h].port = 1 + h;
        const uint8_t mac[6] = {0x02, 0, 0, (uint8_t)(1 + h), 0xb0, (uint8_t)(b + 1)};
        memcpy(dl[h].mac, mac, 6);
    }
    c.downlinks = dl;
    c.n_downlinks = (size_t)W.hpb;
    struct sami_node_peer p[MAXB + 1];
    size_t np = 0;
    memset(p, 0, sizeof p);
    for (int j = 0; j < W.nb; j++) {
        if (j == b)
            continue;
        p[np].ref = W.ref[j];
        p[np].id.priority = 0x8000;
        memcpy(p[np].id.mac, W.ref[j].chassis_id, 6);
        p[np].port = FAB_BASE + j;
        p[np].binding = SAMI_XFER_BIND_L2;
        np++;
    }
    if (W.attacker && b == 1) {
        /* BR-X: a configured peer bridge (it holds the transfer key) whose
         * port the attacker owns */
        struct sami_bridge_ref x;
        bridge_ref(&x, 0x98);
        p[np].ref = x;
        p[np].id = W.atk_bid;
        p[np].port = ATK_PORT;
        p[np].binding = SAMI_XFER_BIND_L2;
        np++;
    }
    c.peers = p;
    c.n_peers = np;
    c.keyring.keys[0] = W.key;
    c.mig.commit_timeout = SAMI_SEC(2);
    c.mig.linger = SAMI_SEC(5);
    c.xfer_rto = SAMI_MSEC(20);
    c.xfer_retries = 10;
    c.link_retries = 16;
    c.max_migrations = max_mig;
    c.max_vsis = 256;
    c.ecp_slots = 256;
    c.tx = node_tx;
    c.tx_ctx = &W.br_tx[b];
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_bridge_create(&c, &n), 0);
    return n;
}

static struct sami_node *make_hv(int h)
{
    struct sami_node_hv_cfg c;
    sami_node_hv_cfg_default(&c);
    char name[16];
    snprintf(name, sizeof name, "hv-%d", h);
    c.name = name;
    c.port = HV_PORT;
    const uint8_t mac[6] = {0x02, 0, 0, (uint8_t)(h >> 8), 0x48, (uint8_t)h};
    memcpy(c.mac, mac, 6);
    memcpy(c.mgrid, name, strlen(name));
    c.mig.ack_timeout = SAMI_MSEC(100);
    c.mig.max_retries = 5;
    c.mig.verdict_wait = SAMI_SEC(3);
    c.mig.linger = SAMI_SEC(5);
    c.max_vsis = 256;
    c.ecp_slots = 256;
    c.tx = node_tx;
    c.tx_ctx = &W.hv_tx[h];
    c.verdict = on_verdict;
    c.ctx = &W;
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_hv_create(&c, &n), 0);
    return n;
}

/* nrec records of several DI types for migration i's VM at its source
 * bridge (keys differ per record so none replaces another). */
static void fill_vm(struct vmig *m, int i, int nrec)
{
    struct sami_node *br = W.br[m->src_br];
    for (int k = 0; k < nrec; k++) {
        struct sami_di_record r;
        memset(&r, 0, sizeof r);
        r.op = SAMI_DI_OP_UPSERT;
        int kind = k == 3 ? 3 : k % 3;
        if (kind == 0) {
            r.type = SAMI_DI_DHCP;
            r.version = SAMI_DI_DHCP_VERSION;
            r.u.dhcp.lease_remaining_ms = 3600000u;
            r.u.dhcp.vlan = m->filt.vid;
            memcpy(r.u.dhcp.mac, m->filt.mac, 6);
            r.u.dhcp.mac[0] = 0x06; /* a second interface of the VM per k */
            r.u.dhcp.mac[1] = (uint8_t)k;
            r.u.dhcp.ipv4[0] = 10;
            r.u.dhcp.ipv4[1] = (uint8_t)(i >> 8);
            r.u.dhcp.ipv4[2] = (uint8_t)i;
            r.u.dhcp.ipv4[3] = (uint8_t)(k + 1);
        } else if (kind == 1) {
            r.type = SAMI_DI_FIREWALL;
            r.version = SAMI_DI_FIREWALL_VERSION;
            r.u.firewall.family = 4;
            r.u.firewall.protocol = 17; /* UDP: NEW/ASSURED states only */
            r.u.firewall.state = SAMI_DI_FW_ASSURED;
            r.u.firewall.src[10] = r.u.firewall.src[11] = 0xff;
            r.u.firewall.src[12] = 10;
            r.u.firewall.src[14] = (uint8_t)(i >> 8);
            r.u.firewall.src[15] = (uint8_t)i;
            r.u.firewall.dst[10] = r.u.firewall.dst[11] = 0xff;
            r.u.firewall.dst[12] = 172;
            r.u.firewall.dst[15] = (uint8_t)k;
            r.u.firewall.src_port = (uint16_t)(20000 + k);
            r.u.firewall.dst_port = 53;
            r.u.firewall.vlan = m->filt.vid;
            r.u.firewall.expiry_remaining_ms = 3600000u;
            r.u.firewall.created_age_ms = 1000u;
        } else if (kind == 2) {
            r.type = SAMI_DI_ACL;
            r.version = SAMI_DI_ACL_VERSION;
            r.u.acl.rule_id = (uint32_t)(5000 + k);
            r.u.acl.action = SAMI_DI_ACL_DENY;
            r.u.acl.origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
            r.u.acl.src_port_hi = r.u.acl.dst_port_hi = 65535;
            r.u.acl.src_prefix_len = 128;
            r.u.acl.src[0] = 0x20;
            r.u.acl.src[15] = (uint8_t)k;
            r.u.acl.lifetime_remaining_ms = 900000u;
        } else {
            r.type = SAMI_DI_COUNTERS;
            r.version = SAMI_DI_COUNTERS_VERSION;
            r.u.counters.direction = SAMI_DI_DIR_IN;
            r.u.counters.packets = 7u * (uint64_t)(i + 1);
            r.u.counters.bytes = 900u * (uint64_t)(i + 1);
            r.u.counters.window_ms = 1000;
        }
        assert_int_equal(sami_node_bridge_put(br, 0, &m->vm, &r), 0);
    }
    struct sami_store s = sami_node_bridge_store(br);
    assert_int_equal(sami_store_count(&s, &m->vm, m->counts), nrec);
}

static void init_vm(struct vmig *m, int i)
{
    m->id = MIG_BASE + (uint64_t)i;
    memset(&m->filt, 0, sizeof m->filt);
    const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x5a, (uint8_t)(i >> 8), (uint8_t)i};
    memcpy(m->filt.mac, mac, 6);
    m->filt.vid = (uint16_t)(10 + i % 100);
    memset(&m->vsi, 0, sizeof m->vsi);
    m->vsi.type_id = 0x1234;
    m->vsi.type_ver = 1;
    m->vsi.id_format = SAMI_VDP_VSIID_UUID;
    for (int k = 0; k < 16; k++)
        m->vsi.id[k] = (uint8_t)(0x40 + k);
    m->vsi.id[14] = (uint8_t)(i >> 8);
    m->vsi.id[15] = (uint8_t)i;
    m->vsi.filter_format = SAMI_VDP_FILTER_MAC_VID;
    m->vsi.count = 1;
    m->vsi.filters = &m->filt;
    m->vm.type_id = m->vsi.type_id;
    m->vm.type_version = m->vsi.type_ver;
    m->vm.id_format = m->vsi.id_format;
    memcpy(m->vm.id, m->vsi.id, 16);
}

static void tap(void *arg, sami_usec_t t, int from, int to, const uint8_t *f, size_t len,
                int event);

/* nb bridges in a full mesh, hpb hypervisors under each, nm migrations
 * (the caller sets each one's hypervisors, then calls add_vms). */
static void world_new(uint64_t seed, int nb, int hpb, int nm, int attacker, size_t max_mig)
{
    /* bridges sign every transfer message: a build without an HMAC
     * provider (-DSAMI_WITH_SODIUM=OFF) has nothing to run here */
    if (!sami_hmac_default())
        skip();
    memset(&W, 0, sizeof W);
    W.sim = sami_sim_new(seed);
    assert_non_null(W.sim);
    W.nb = nb;
    W.hpb = hpb;
    W.nhv = nb * hpb;
    W.nm = nm;
    W.attacker = attacker;
    W.key.id = 1;
    W.key.len = 32;
    for (int i = 0; i < 32; i++)
        W.key.bytes[i] = (uint8_t)(0x3c ^ (i * 7));
    W.atk_bid.priority = 0x8000;
    const uint8_t xmac[6] = {0x02, 0x00, 0x00, 0x00, 0xb0, 0x99};
    memcpy(W.atk_bid.mac, xmac, 6);
    W.hv = calloc((size_t)W.nhv, sizeof *W.hv);
    W.hv_tx = calloc((size_t)W.nhv, sizeof *W.hv_tx);
    W.m = calloc((size_t)nm, sizeof *W.m);
    assert_true(W.hv && W.hv_tx && W.m);
    for (int b = 0; b < nb; b++)
        bridge_ref(&W.ref[b], b);
    for (int b = 0; b < nb; b++) {
        W.br_tx[b].sim = W.sim;
        W.br[b] = make_bridge(b, max_mig);
        char name[16];
        snprintf(name, sizeof name, "br-%d", b);
        W.br_tx[b].id = sami_sim_add_node(W.sim, name, &NODE_OPS, W.br[b]);
        assert_true(W.br_tx[b].id >= 0);
    }
    for (int h = 0; h < W.nhv; h++) {
        W.hv_tx[h].sim = W.sim;
        W.hv[h] = make_hv(h);
        W.hv_tx[h].id = sami_sim_add_node(W.sim, sami_node_name(W.hv[h]), &NODE_OPS, W.hv[h]);
        assert_true(W.hv_tx[h].id >= 0);
    }
    struct sami_sim_link_params lp;
    memset(&lp, 0, sizeof lp);
    lp.delay_us = 20;
    lp.jitter_us = 5;
    for (int h = 0; h < W.nhv; h++)
        assert_true(sami_sim_link(W.sim, W.hv_tx[h].id, HV_PORT, W.br_tx[h / hpb].id,
                                  1 + h % hpb, &lp) >= 0);
    lp.delay_us = 200;
    for (int a = 0; a < nb; a++)
        for (int b = a + 1; b < nb; b++) {
            W.fab[a][b] = W.fab[b][a] =
                sami_sim_link(W.sim, W.br_tx[a].id, FAB_BASE + b, W.br_tx[b].id, FAB_BASE + a, &lp);
            assert_true(W.fab[a][b] >= 0);
        }
    for (int i = 0; i < nm; i++)
        init_vm(&W.m[i], i);
    W.kill_type = -1;
    sami_sim_set_tap(W.sim, tap, NULL);
}

/* Migration i goes from hypervisor src to hypervisor dst. */
static void set_route(int i, int src, int dst, int nrec)
{
    struct vmig *m = &W.m[i];
    m->src_hv = src;
    m->dst_hv = dst;
    m->src_br = src / W.hpb;
    m->dst_br = dst / W.hpb;
    fill_vm(m, i, nrec);
}

static void world_free(void)
{
    sami_sim_free(W.sim);
    for (int h = 0; h < W.nhv; h++)
        sami_node_destroy(W.hv[h]);
    for (int b = 0; b < W.nb; b++)
        sami_node_destroy(W.br[b]);
    free(W.hv);
    free(W.hv_tx);
    free(W.m);
}

/* ---- scripted time points ------------------------------------------------- */

struct range {
    int lo, hi;
    uint32_t hint_ms;
};

static void t_assoc(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    const struct range *r = arg;
    for (int i = r->lo; i < r->hi; i++)
        assert_int_equal(
            sami_node_hv_vdp(W.hv[W.m[i].src_hv], now, &W.m[i].vsi, SAMI_VDP_TLV_ASSOC, 0), 0);
}

static void t_prepare(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    const struct range *r = arg;
    for (int i = r->lo; i < r->hi; i++) {
        struct vmig *m = &W.m[i];
        struct sami_node *d = W.hv[m->dst_hv], *s = W.hv[m->src_hv];
        assert_int_equal(sami_node_hv_migrate(d, now, m->id, &m->vsi, &W.ref[m->src_br],
                                              &W.ref[m->dst_br], SAMI_MIG_HV_DEST,
                                              SAMI_DI_ALL_TYPES, NULL, 0, NULL, 0),
                         0);
        assert_int_equal(sami_node_hv_time_point(d, now, m->id, SAMI_TP_PREPARE, r->hint_ms), 0);
        assert_int_equal(sami_node_hv_migrate(s, now, m->id, &m->vsi, &W.ref[m->src_br],
                                              &W.ref[m->dst_br], SAMI_MIG_HV_SOURCE,
                                              SAMI_DI_ALL_TYPES, NULL, 0, NULL, 0),
                         0);
        assert_int_equal(sami_node_hv_time_point(s, now, m->id, SAMI_TP_PREPARE, r->hint_ms), 0);
    }
}

static void t_suspend(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim;
    const struct range *r = arg;
    for (int i = r->lo; i < r->hi; i++) {
        struct vmig *m = &W.m[i];
        assert_int_equal(
            sami_node_hv_time_point(W.hv[m->src_hv], now, m->id, SAMI_TP_SUSPENDED, r->hint_ms),
            0);
    }
}

/* ---- checks ------------------------------------------------------------------- */

static int count_vm(int b, const struct sami_vm_id *vm, uint32_t per[SAMI_STORE_COUNTS])
{
    struct sami_store s = sami_node_bridge_store(W.br[b]);
    return sami_store_count(&s, vm, per);
}

static uint32_t store_records(int b)
{
    struct sami_memstore_stats st;
    sami_memstore_stats(sami_node_bridge_memstore(W.br[b]), &st);
    return st.records;
}

static void check_moved(const struct vmig *m)
{
    assert_int_equal(m->v_prep_s, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_prep_d, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_susp, SAMI_MIG_HV_PROCEED);
    assert_int_equal(m->v_res, SAMI_MIG_HV_PROCEED);
    assert_int_equal(m->v_comp_s, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_comp_d, SAMI_MIG_HV_ACKED);
    uint32_t per[SAMI_STORE_COUNTS];
    /* exactly once: gone from every other bridge, all of it at BR-D */
    for (int b = 0; b < W.nb; b++) {
        int n = count_vm(b, &m->vm, per);
        if (b != m->dst_br) {
            assert_int_equal(n, 0);
            continue;
        }
        assert_int_equal(n, (int)m->counts[0]);
        assert_memory_equal(per, m->counts, sizeof per);
        struct sami_store s = sami_node_bridge_store(W.br[b]);
        int fl = sami_store_vm_flags(&s, &m->vm);
        assert_true(fl >= 0);
        assert_int_equal(fl & (SAMI_STORE_VM_PENDING | SAMI_STORE_VM_STAGING |
                               SAMI_STORE_VM_FROZEN | SAMI_STORE_VM_SOURCE),
                         0);
    }
}

/* ---- tap: capture genuine transfer messages, trigger the kills ------------ */

static int bridge_of_node(int id)
{
    for (int b = 0; b < W.nb; b++)
        if (W.br_tx[b].id == id)
            return b;
    return -1;
}

/* Transfer message type in fragment 0 of an L2 transfer frame, else -1. */
static int xfer_type_of(const uint8_t *f, size_t len, uint64_t *mig, uint16_t *flags)
{
    if (len < ETH_HLEN || ((f[12] << 8) | f[13]) != SAMI_XFER_L2_ETHERTYPE)
        return -1;
    struct sami_xfer_l2_frame l2;
    if (sami_xfer_l2_decode(f + ETH_HLEN, len - ETH_HLEN, &l2, NULL) != 0 ||
        l2.op != SAMI_XFER_L2_DATA || l2.frag_index != 0 || l2.payload_len < SAMI_XFER_HDR_LEN)
        return -1;
    uint64_t id = 0;
    for (int k = 0; k < 8; k++)
        id = (id << 8) | l2.payload[16 + k];
    *mig = id;
    *flags = (uint16_t)((l2.payload[2] << 8) | l2.payload[3]);
    return l2.payload[1];
}

static void tap(void *arg, sami_usec_t t, int from, int to, const uint8_t *f, size_t len,
                int event)
{
    (void)arg;
    if (event != SAMI_SIM_TAP_SENT)
        return;
    uint64_t mig = 0;
    uint16_t flags = 0;
    int type = xfer_type_of(f, len, &mig, &flags);
    if (type < 0)
        return;
    int bf = bridge_of_node(from), bt = bridge_of_node(to);
    if (W.cap_mig && mig == W.cap_mig && bf == 0 && bt == 1 && len <= sizeof W.cap_pre) {
        if (type == SAMI_XFER_PRECOPY && !W.cap_pre_len) {
            memcpy(W.cap_pre, f, len);
            W.cap_pre_len = len;
        } else if (type == SAMI_XFER_COMMIT && !W.cap_commit_len) {
            memcpy(W.cap_commit, f, len);
            W.cap_commit_len = len;
        }
    }
    if (type == W.kill_type && bf == W.kill_from && bt == W.kill_to && !W.kill_seen) {
        /* the tap only observes: the test loop takes BR-D down */
        W.kill_seen = 1;
        W.kill_at = t;
    }
}

/* ---- hostile transfers ------------------------------------------------------ */

/* A transfer message, well framed, signed with key (seq), of type PRECOPY
 * (one DHCP record) or COMMIT (counts + digest of that record). */
static size_t forge(uint8_t *buf, size_t cap, int type, const struct sami_xfer_bridge_id *sender,
                    uint64_t mig, const struct sami_vm_id *vm, const struct sami_xfer_key *key,
                    uint64_t seq)
{
    struct sami_xfer_hdr h;
    memset(&h, 0, sizeof h);
    h.version = SAMI_XFER_VERSION;
    h.type = (uint8_t)type;
    h.flags = SAMI_XFER_F_LAST;
    h.sender = *sender;
    h.migration_id = mig;
    struct sami_xfer_vm_id xv;
    xv.type_id = vm->type_id;
    xv.type_ver = vm->type_version;
    xv.id_format = vm->id_format;
    memcpy(xv.id, vm->id, 16);
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.op = SAMI_DI_OP_UPSERT;
    r.type = SAMI_DI_DHCP;
    r.version = SAMI_DI_DHCP_VERSION;
    r.u.dhcp.lease_remaining_ms = 60000u;
    r.u.dhcp.vlan = 666;
    const uint8_t evil[6] = {0x02, 0xee, 0xee, 0xee, 0xee, 0xee};
    memcpy(r.u.dhcp.mac, evil, 6);
    r.u.dhcp.ipv4[0] = 10;
    r.u.dhcp.ipv4[3] = 66;
    uint8_t val[128];
    size_t vlen = 0;
    assert_int_equal(sami_di_encode(&r, val, sizeof val, &vlen), 0);

    struct sami_xfer_builder b;
    sami_xfer_build_begin(&b, buf, cap, &h);
    sami_xfer_build_vm_id(&b, &xv);
    if (type == SAMI_XFER_PRECOPY) {
        struct sami_xfer_generation g = {0, 1};
        sami_xfer_build_generation(&b, &g);
        sami_xfer_build_snapshot_time(&b, 0);
        sami_xfer_build_di(&b, SAMI_DI_DHCP, val, vlen);
    } else {
        struct sami_xfer_count c = {SAMI_DI_DHCP, 1};
        uint64_t d = 0;
        sami_xfer_digest_add(&d, val, vlen);
        sami_xfer_build_counts(&b, &c, 1);
        sami_xfer_build_digest(&b, d);
    }
    size_t len = 0;
    assert_int_equal(sami_xfer_build_finish(&b, key, seq, NULL, &len), 0);
    return len;
}

/* Wraps one transfer message in a single-fragment L2 DATA frame. */
static size_t l2_wrap(uint8_t *out, size_t cap, const uint8_t dst[6], const uint8_t src[6],
                      uint16_t lseq, const uint8_t *msg, size_t mlen)
{
    assert_true(mlen <= SAMI_XFER_L2_MAX_PAYLOAD && cap > ETH_HLEN);
    memcpy(out, dst, 6);
    memcpy(out + 6, src, 6);
    out[12] = (uint8_t)(SAMI_XFER_L2_ETHERTYPE >> 8);
    out[13] = (uint8_t)SAMI_XFER_L2_ETHERTYPE;
    struct sami_xfer_l2_frame l2 = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_DATA, lseq, 0, 1,
                                    (uint16_t)mlen, msg};
    size_t n = 0;
    assert_int_equal(sami_xfer_l2_encode(&l2, out + ETH_HLEN, cap - ETH_HLEN, &n), 0);
    return ETH_HLEN + n;
}

/* The attacker acknowledges what BR-D sends to "BR-X", so BR-D's refusals
 * do not sit in its link retrying (that would be noise, not a check). */
static void atk_rx(void *ctx, sami_usec_t now, int port, const uint8_t *f, size_t len)
{
    (void)ctx, (void)now;
    struct sami_xfer_l2_frame l2;
    if (len < ETH_HLEN || ((f[12] << 8) | f[13]) != SAMI_XFER_L2_ETHERTYPE ||
        sami_xfer_l2_decode(f + ETH_HLEN, len - ETH_HLEN, &l2, NULL) != 0 ||
        l2.op != SAMI_XFER_L2_DATA)
        return;
    uint8_t out[64];
    memcpy(out, f + 6, 6);
    memcpy(out + 6, W.atk_bid.mac, 6);
    out[12] = f[12];
    out[13] = f[13];
    struct sami_xfer_l2_frame ack = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_ACK, l2.seq,
                                     l2.frag_index, l2.frag_count, 0, NULL};
    size_t n = 0;
    assert_int_equal(sami_xfer_l2_encode(&ack, out + ETH_HLEN, sizeof out - ETH_HLEN, &n), 0);
    (void)sami_sim_send(W.sim, W.atk_id, port, out, ETH_HLEN + n);
}

static const struct sami_sim_node_ops ATK_OPS = {atk_rx, NULL, NULL, NULL};

/* The counters an attack may move at BR-D (xfer engine, plus the node's
 * drop counter), by index so a delta can name only what it expects. */
enum {
    RX_MSGS, BAD_LENGTH, UNKNOWN_PEER, NO_KEY, BAD_AUTH, REPLAY, WRONG_PEER, RX_OK,
    UNSOLICITED, INSTALLS, RECORDS_RX, RX_IGNORED, N_SEC
};
struct sec {
    uint64_t v[N_SEC];
};

static struct sec sec_now(void)
{
    const struct sami_xfer_engine_counters *c =
        sami_xfer_engine_counters(sami_node_bridge_xfer(W.br[1]));
    struct sec s = {{[RX_MSGS] = c->rx_msgs,
                     [BAD_LENGTH] = c->bad_length,
                     [UNKNOWN_PEER] = c->unknown_peer,
                     [NO_KEY] = c->no_key,
                     [BAD_AUTH] = c->bad_auth,
                     [REPLAY] = c->replay,
                     [WRONG_PEER] = c->wrong_peer,
                     [RX_OK] = c->rx_ok,
                     [UNSOLICITED] = c->unsolicited,
                     [INSTALLS] = c->installs,
                     [RECORDS_RX] = c->records_rx,
                     [RX_IGNORED] = sami_node_counters(W.br[1])->rx_ignored}};
    return s;
}

static void sec_expect(const struct sec *before, const struct sec *delta, const char *what)
{
    static const char *const names[N_SEC] = {
        "rx_msgs", "bad_length", "unknown_peer", "no_key",   "bad_auth",   "replay",
        "wrong_peer", "rx_ok",   "unsolicited",  "installs", "records_rx", "rx_ignored"};
    struct sec now = sec_now();
    for (int k = 0; k < N_SEC; k++)
        if (now.v[k] - before->v[k] != delta->v[k])
            fail_msg("%s: %s moved by %llu, expected %llu", what, names[k],
                     (unsigned long long)(now.v[k] - before->v[k]),
                     (unsigned long long)delta->v[k]);
}

enum { VIA_FABRIC, VIA_ATTACKER };

/* Puts a frame on the wire towards BR-D: on the BR-O link as if BR-O sent
 * it, or from the attacker's port; then lets it arrive and be answered. */
static void inject(int via, const uint8_t *frame, size_t len)
{
    int rc = via == VIA_FABRIC ? sami_sim_send(W.sim, W.br_tx[0].id, FAB_BASE + 1, frame, len)
                               : sami_sim_send(W.sim, W.atk_id, ATK_OUT, frame, len);
    assert_int_equal(rc, 0);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_MSEC(5)), 0);
}

static void inject_msg(int via, const uint8_t src_mac[6], const uint8_t *msg, size_t mlen)
{
    uint8_t fr[1600];
    /* link sequences far from the genuine ones: no duplicate suppression */
    uint16_t lseq = (uint16_t)(40000u + W.atk_lseq++);
    const uint8_t *dst = W.ref[1].chassis_id;
    size_t n = l2_wrap(fr, sizeof fr, dst, src_mac, lseq, msg, mlen);
    inject(via, fr, n);
}

static void test_hostile_transfers(void **state)
{
    (void)state;
    world_new(21, 2, 1, 2, 1, 0);
    set_route(0, 0, 1, 12); /* VM A: migrated first, its messages captured */
    set_route(1, 0, 1, 12); /* VM B: migrating while BR-D is attacked */
    W.atk_id = sami_sim_add_node(W.sim, "attacker", &ATK_OPS, NULL);
    assert_true(W.atk_id >= 0);
    assert_true(sami_sim_link(W.sim, W.atk_id, ATK_OUT, W.br_tx[1].id, ATK_PORT, NULL) >= 0);
    W.cap_mig = W.m[0].id;

    static struct range a = {0, 1, 3000}, b = {1, 2, 3000};
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(1), t_assoc, &a) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(2), t_assoc, &b) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(100), t_prepare, &a) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(600), t_suspend, &a) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(2000), t_prepare, &b) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(3500), t_suspend, &b) > 0);

    /* VM B's pre-copy is staged at BR-D: the quiet moment to attack */
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_MSEC(2500)), 0);
    check_moved(&W.m[0]);
    assert_true(W.cap_pre_len > 0 && W.cap_commit_len > 0);
    struct sami_memstore_stats ms0;
    sami_memstore_stats(sami_node_bridge_memstore(W.br[1]), &ms0);
    assert_int_equal(ms0.records, W.m[0].counts[0]);
    assert_int_equal(ms0.staged, W.m[1].counts[0]);
    assert_int_equal(sami_xfer_engine_state(sami_node_bridge_xfer(W.br[1]), W.m[1].id,
                                            SAMI_XFER_ROLE_DEST),
                     SAMI_XFER_MS_STAGING);

    const struct sami_xfer_bridge_id bid_o = {0x8000, {0x02, 0, 0, 0, 0xb0, 1}};
    /* a bridge id nobody configured */
    const struct sami_xfer_bridge_id bid_q = {0x8000, {0x02, 0, 0, 0, 0xb0, 0x77}};
    struct sami_vm_id ghost = W.m[1].vm; /* a VM nobody announced */
    ghost.id[0] ^= 0xff;
    struct sami_xfer_key wrong_id = W.key, wrong_bytes = W.key;
    wrong_id.id = 7;
    wrong_bytes.bytes[5] ^= 0x01;
    const uint64_t bad_mig = MIG_BASE + 0xbad;
    uint64_t xseq = 1; /* BR-X's own replay window at BR-D */
    uint8_t msg[1500];
    size_t n;
    struct sec s0, d;

    /* (a) forged: BR-O's identity on BR-O's link, valid framing, MAC broken */
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &bid_o, W.m[1].id, &W.m[1].vm, &W.key, 1u << 20);
    msg[n - 1] ^= 0x5a;
    inject_msg(VIA_FABRIC, bid_o.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [BAD_AUTH] = 1}};
    sec_expect(&s0, &d, "forged MAC");

    /* (b) replays of VM A's genuine PRECOPY and COMMIT, byte for byte */
    s0 = sec_now();
    inject(VIA_FABRIC, W.cap_pre, W.cap_pre_len);
    d = (struct sec){{[RX_MSGS] = 1, [REPLAY] = 1}};
    sec_expect(&s0, &d, "replayed PRECOPY");
    s0 = sec_now();
    inject(VIA_FABRIC, W.cap_commit, W.cap_commit_len);
    d = (struct sec){{[RX_MSGS] = 1, [REPLAY] = 1}};
    sec_expect(&s0, &d, "replayed COMMIT");

    /* (c) a key id BR-D does not have; the right id with other bytes */
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &W.atk_bid, bad_mig, &ghost, &wrong_id, xseq);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [NO_KEY] = 1}};
    sec_expect(&s0, &d, "wrong key id");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &W.atk_bid, bad_mig, &ghost, &wrong_bytes, xseq);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [BAD_AUTH] = 1}};
    sec_expect(&s0, &d, "wrong key bytes");

    /* (d) validly signed by a configured peer (BR-X holds the key), but
     * nobody at BR-D announced it: a migration id nobody announced, VM B's
     * migration id with another VM, and a COMMIT out of nowhere */
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &W.atk_bid, bad_mig, &ghost, &W.key, xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [RX_OK] = 1, [UNSOLICITED] = 1}};
    sec_expect(&s0, &d, "unsolicited PRECOPY");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &W.atk_bid, W.m[1].id, &ghost, &W.key, xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [RX_OK] = 1, [UNSOLICITED] = 1}};
    sec_expect(&s0, &d, "PRECOPY: announced id, other VM");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_COMMIT, &W.atk_bid, bad_mig, &ghost, &W.key, xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [RX_OK] = 1, [UNSOLICITED] = 1}};
    sec_expect(&s0, &d, "unsolicited COMMIT");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_COMMIT, &W.atk_bid, W.m[1].id, &ghost, &W.key, xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [RX_OK] = 1, [UNSOLICITED] = 1}};
    sec_expect(&s0, &d, "COMMIT: announced id, other VM");

    /* and the neighbours of (d): the right migration and VM from the wrong
     * peer; BR-O's identity signed by BR-X's connection; a bridge id nobody
     * configured; BR-O's MAC on the attacker's port (dropped by the node) */
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &W.atk_bid, W.m[1].id, &W.m[1].vm, &W.key,
              xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [RX_OK] = 1, [WRONG_PEER] = 1}};
    sec_expect(&s0, &d, "right migration, wrong peer");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &bid_o, W.m[1].id, &W.m[1].vm, &W.key, xseq++);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [WRONG_PEER] = 1}};
    sec_expect(&s0, &d, "BR-O's id over BR-X's link");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &bid_q, bad_mig, &ghost, &W.key, 1);
    inject_msg(VIA_ATTACKER, W.atk_bid.mac, msg, n);
    d = (struct sec){{[RX_MSGS] = 1, [UNKNOWN_PEER] = 1}};
    sec_expect(&s0, &d, "unconfigured sender");
    s0 = sec_now();
    n = forge(msg, sizeof msg, SAMI_XFER_PRECOPY, &bid_o, W.m[1].id, &W.m[1].vm, &W.key, 1u << 20);
    inject_msg(VIA_ATTACKER, bid_o.mac, msg, n);
    d = (struct sec){{[RX_IGNORED] = 1}};
    sec_expect(&s0, &d, "BR-O's MAC on the attacker's port");

    /* Nothing of it reached the store: VM A installed, VM B staged, as before. */
    struct sami_memstore_stats ms1;
    sami_memstore_stats(sami_node_bridge_memstore(W.br[1]), &ms1);
    assert_int_equal(ms1.records, ms0.records);
    assert_int_equal(ms1.staged, ms0.staged);
    assert_int_equal(ms1.vms, ms0.vms);
    assert_int_equal(count_vm(1, &ghost, NULL), 0);
    assert_int_equal(count_vm(1, &W.m[1].vm, NULL), 0);

    /* VM B's migration, attacked throughout its pre-copy, completes. */
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(10)), 0);
    check_moved(&W.m[0]);
    check_moved(&W.m[1]);
    assert_int_equal(store_records(0), 0);
    assert_int_equal(store_records(1), W.m[0].counts[0] + W.m[1].counts[0]);
    const struct sami_xfer_engine_counters *c =
        sami_xfer_engine_counters(sami_node_bridge_xfer(W.br[1]));
    assert_int_equal(c->installs, 2);
    assert_int_equal(c->bad_auth, 2);
    assert_int_equal(c->no_key, 1);
    assert_int_equal(c->replay, 2);
    assert_int_equal(c->unsolicited, 4);
    assert_int_equal(c->wrong_peer, 2);
    assert_int_equal(c->unknown_peer, 1);
    print_message("BR-D xfer: rx %llu ok %llu bad_auth %llu no_key %llu replay %llu "
                  "unsolicited %llu wrong_peer %llu unknown_peer %llu installs %llu; "
                  "node rx_ignored %llu\n",
                  (unsigned long long)c->rx_msgs, (unsigned long long)c->rx_ok,
                  (unsigned long long)c->bad_auth, (unsigned long long)c->no_key,
                  (unsigned long long)c->replay, (unsigned long long)c->unsolicited,
                  (unsigned long long)c->wrong_peer, (unsigned long long)c->unknown_peer,
                  (unsigned long long)c->installs,
                  (unsigned long long)sami_node_counters(W.br[1])->rx_ignored);
    world_free();
}

/* ---- 1,000 migrations at once ------------------------------------------------ */

#define SCALE_VMS 1000
#define SCALE_BRIDGES 4
#define SCALE_HPB 8
#define SCALE_REC 4

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_thousand_migrations(void **state)
{
    (void)state;
    double t0 = wall_s();
    /* each bridge is the source of 250 and the destination of 250 */
    world_new(31, SCALE_BRIDGES, SCALE_HPB, SCALE_VMS, 0, 1024);
    for (int i = 0; i < SCALE_VMS; i++) {
        int sb = i % SCALE_BRIDGES, db = (sb + 1) % SCALE_BRIDGES;
        int h = (i / SCALE_BRIDGES) % SCALE_HPB;
        set_route(i, sb * SCALE_HPB + h, db * SCALE_HPB + h, SCALE_REC);
    }
    uint64_t total = 0;
    for (int b = 0; b < SCALE_BRIDGES; b++)
        total += store_records(b);
    assert_int_equal(total, (uint64_t)SCALE_VMS * SCALE_REC);

    static struct range all = {0, SCALE_VMS, 5000};
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(1), t_assoc, &all) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(500), t_prepare, &all) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(3000), t_suspend, &all) > 0);
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);

    sami_usec_t last = 0;
    int proceed_s = 0, proceed_d = 0;
    for (int i = 0; i < SCALE_VMS; i++) {
        proceed_s += W.m[i].v_susp == SAMI_MIG_HV_PROCEED;
        proceed_d += W.m[i].v_res == SAMI_MIG_HV_PROCEED;
    }
    print_message("1000 migrations: %d PROCEED at SUSPENDED, %d at RESUMED\n", proceed_s,
                  proceed_d);
    for (int i = 0; i < SCALE_VMS; i++)
        check_moved(&W.m[i]);
    total = 0;
    for (int b = 0; b < SCALE_BRIDGES; b++) {
        total += store_records(b);
        assert_int_equal(store_records(b), (SCALE_VMS / SCALE_BRIDGES) * SCALE_REC);
        const struct sami_xfer_engine_counters *c =
            sami_xfer_engine_counters(sami_node_bridge_xfer(W.br[b]));
        assert_int_equal(c->installs, SCALE_VMS / SCALE_BRIDGES);
        assert_int_equal(c->bad_auth + c->replay + c->unsolicited + c->no_key, 0);
    }
    assert_int_equal(total, (uint64_t)SCALE_VMS * SCALE_REC);
    /* simulated time: from the first PREPARE to the last verdict */
    last = W.last_verdict - SAMI_MSEC(500);
    struct sami_sim_stats st;
    sami_sim_get_stats(W.sim, &st);
    double t1 = wall_s();
    print_message("1000 migrations x %d records, %d bridges, %d hypervisors: wall %.2f s, "
                  "simulated %.3f s PREPARE to last verdict (SUSPENDED at +2.5 s; last "
                  "PROCEED %.1f ms after it), %llu events, %llu deliveries\n",
                  SCALE_REC, SCALE_BRIDGES, W.nhv, t1 - t0, (double)last / 1e6,
                  (double)(W.last_proceed - SAMI_MSEC(3000)) / 1e3,
                  (unsigned long long)st.events, (unsigned long long)st.deliveries);
    world_free();
}

/* ---- BR-D killed ------------------------------------------------------------- */

/* Runs until the tap saw the trigger, then takes BR-D down at once. */
static void run_until_kill(sami_usec_t limit)
{
    while (!W.kill_seen && sami_sim_now(W.sim) < limit)
        assert_true(sami_sim_step(W.sim) >= 0);
    assert_true(W.kill_seen);
    assert_int_equal(sami_sim_node_down(W.sim, W.br_tx[1].id, 1), 0);
}

static void kill_world(uint64_t seed, int type, int from, int to)
{
    world_new(seed, 2, 1, 1, 0, 0);
    set_route(0, 0, 1, 12);
    W.kill_type = type;
    W.kill_from = from;
    W.kill_to = to;
    static struct range r = {0, 1, 1000};
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(1), t_assoc, &r) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(100), t_prepare, &r) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(600), t_suspend, &r) > 0);
}

static void check_source_kept(const struct vmig *m)
{
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(count_vm(0, &m->vm, per), (int)m->counts[0]);
    assert_memory_equal(per, m->counts, sizeof per);
    struct sami_store s = sami_node_bridge_store(W.br[0]);
    assert_int_equal(sami_store_vm_flags(&s, &m->vm) & SAMI_STORE_VM_FROZEN, 0);
    assert_int_equal(store_records(0), m->counts[0]);
}

static void dest_stats(struct sami_memstore_stats *st)
{
    sami_memstore_stats(sami_node_bridge_memstore(W.br[1]), st);
}

/* BR-D comes back with its state as it was (a hung agent, not a reboot):
 * its own deadlines must clear whatever it still held, and the source's
 * records must not move. */
static void revive_dest(void)
{
    assert_int_equal(sami_sim_node_down(W.sim, W.br_tx[1].id, 0), 0);
    assert_int_equal(sami_sim_run_until(W.sim, sami_sim_now(W.sim) + SAMI_SEC(90)), 0);
    struct sami_memstore_stats st;
    dest_stats(&st);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.staged, 0);
    check_source_kept(&W.m[0]);
}

static void test_kill_mid_precopy(void **state)
{
    (void)state;
    kill_world(41, SAMI_XFER_PRECOPY, 0, 1);
    run_until_kill(SAMI_SEC(1));
    assert_true(W.kill_at < SAMI_MSEC(600));
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(30)), 0);
    struct vmig *m = &W.m[0];
    print_message("killed mid pre-copy at %.3f ms: SUSPENDED %d, ABORTED src %d dst %d\n",
                  (double)W.kill_at / 1e3, m->v_susp, m->v_abort_s, m->v_abort_d);
    /* BR-O never got the pre-copy through: ROLLBACK answers SUSPENDED */
    assert_int_equal(m->v_susp, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(m->v_res, 0);
    assert_int_equal(m->v_abort_s, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_abort_d, SAMI_MIG_HV_TIMEOUT); /* its bridge is dead */
    check_source_kept(m);
    struct sami_memstore_stats st;
    dest_stats(&st);
    assert_int_equal(count_vm(1, &m->vm, NULL), 0);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.staged, 0); /* the PRECOPY was dropped at the dead node */
    revive_dest();
    world_free();
}

static void test_kill_mid_commit(void **state)
{
    (void)state;
    kill_world(42, SAMI_XFER_COMMIT, 0, 1);
    run_until_kill(SAMI_SEC(2));
    assert_true(W.kill_at >= SAMI_MSEC(600));
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(30)), 0);
    struct vmig *m = &W.m[0];
    print_message("killed mid commit at %.3f ms: SUSPENDED %d, ABORTED src %d dst %d\n",
                  (double)W.kill_at / 1e3, m->v_susp, m->v_abort_s, m->v_abort_d);
    /* no RESULT: BR-O's commit deadline gives ROLLBACK, the VM resumes here */
    assert_int_equal(m->v_susp, SAMI_MIG_HV_ROLLBACK);
    assert_int_equal(m->v_res, 0);
    assert_int_equal(m->v_abort_s, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_abort_d, SAMI_MIG_HV_TIMEOUT);
    check_source_kept(m);
    struct sami_memstore_stats st;
    dest_stats(&st);
    assert_int_equal(count_vm(1, &m->vm, NULL), 0);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.staged, m->counts[0]); /* the pre-copy, frozen with the node */
    revive_dest();
    world_free();
}

static void test_kill_after_commit(void **state)
{
    (void)state;
    /* BR-D dies right after sending RESULT: installed, not activated */
    kill_world(43, SAMI_XFER_RESULT, 1, 0);
    run_until_kill(SAMI_SEC(2));
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(30)), 0);
    struct vmig *m = &W.m[0];
    print_message("killed after commit at %.3f ms: SUSPENDED %d RESUMED %d, ABORTED src %d "
                  "dst %d\n",
                  (double)W.kill_at / 1e3, m->v_susp, m->v_res, m->v_abort_s, m->v_abort_d);
    /* the install was confirmed: PROCEED; RESUMED then finds BR-D dead and
     * the manager takes the VM back (ABORTED) */
    assert_int_equal(m->v_susp, SAMI_MIG_HV_PROCEED);
    assert_int_equal(m->v_res, SAMI_MIG_HV_TIMEOUT);
    assert_int_equal(m->v_abort_s, SAMI_MIG_HV_ACKED);
    assert_int_equal(m->v_abort_d, SAMI_MIG_HV_TIMEOUT);
    check_source_kept(m);
    /* the dead BR-D holds the whole installed set, pending activation */
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(count_vm(1, &m->vm, per), (int)m->counts[0]);
    assert_memory_equal(per, m->counts, sizeof per);
    struct sami_store s = sami_node_bridge_store(W.br[1]);
    assert_true(sami_store_vm_flags(&s, &m->vm) & SAMI_STORE_VM_PENDING);
    revive_dest();
    world_free();
}

/* ---- a notification flood on one port, wired directly (no simulator) ---- */

#define FL_PORT 1 /* floods, acks nothing */
#define QT_PORT 2 /* one notification; its feedback's PDUs are never acked */

static struct {
    unsigned req[3];  /* ECP requests (data PDUs) the bridge sent per port */
} FL;

static void fl_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    (void)ctx;
    struct sami_ecp e;
    if (len < ETH_HLEN + SAMI_ECP_HDR_LEN || frame[12] != 0x89 || frame[13] != 0x40)
        return;
    if (sami_ecp_decode(frame + ETH_HLEN, len - ETH_HLEN, &e, NULL) == 0 &&
        e.hdr.op == SAMI_ECP_OP_REQUEST && port >= 0 && port < 3)
        FL.req[port]++;
}

/* A standalone PREPARE from the destination's hypervisor for migration k,
 * naming an origin bridge this bridge has no peer for: answered ROLLBACK
 * (final), in a PDU of its own. */
static size_t fl_frame(uint8_t *f, const struct sami_bridge_ref *self, uint8_t station,
                       uint64_t k, uint16_t seq)
{
    struct sami_notif n;
    memset(&n, 0, sizeof n);
    n.version = 1;
    n.time_point = SAMI_TP_PREPARE;
    n.migration_id = 0x5a4d200000000000ull + k;
    n.di_types = SAMI_DI_ALL_TYPES;
    n.vm.type_id = 1;
    n.vm.type_version = 1;
    n.vm.id_format = SAMI_VDP_VSIID_UUID;
    n.vm.id[0] = station;
    n.vm.id[8] = (uint8_t)(k >> 8);
    n.vm.id[15] = (uint8_t)k;
    n.n_macs = 1;
    n.macs[0].mac[0] = 0x52;
    n.macs[0].mac[4] = station;
    n.macs[0].mac[5] = (uint8_t)k;
    n.macs[0].word = 100;
    n.flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
    n.orig_bridge = *self;
    n.orig_bridge.chassis_id[5] ^= 0x5a; /* nobody this bridge knows */
    n.dest_bridge = *self;
    uint8_t val[SAMI_SAMITLV_MAX_VALUE];
    size_t vlen = 0;
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, val, sizeof val, &vlen), 0);
    static const uint8_t dst[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
    memcpy(f, dst, 6);
    const uint8_t src[6] = {0x02, 0, 0, 0, 0x48, station};
    memcpy(f + 6, src, 6);
    f[12] = 0x89, f[13] = 0x40;
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t hl = 0;
    assert_int_equal(sami_ecp_encode_hdr(&h, f + ETH_HLEN, SAMI_ECP_HDR_LEN, &hl), 0);
    struct sami_vdp_builder b;
    sami_vdp_builder_init(&b, f + ETH_HLEN + hl, 1500 - hl);
    struct sami_vdp_mgrid m;
    memset(&m, 0, sizeof m);
    memcpy(m.id, "flood", 5);
    sami_vdp_add_mgrid(&b, &m);
    sami_vdp_add_raw(&b, SAMI_VDP_TLV_ORG, val, vlen);
    size_t len = 0;
    assert_int_equal(sami_vdp_finish(&b, &len), 0);
    return ETH_HLEN + hl + len;
}

static void test_feedback_flood_bounded_per_port(void **state)
{
    (void)state;
    memset(&FL, 0, sizeof FL);
    struct sami_node_bridge_cfg c;
    sami_node_bridge_cfg_default(&c);
    c.name = "br";
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0xb0, 1};
    c.local.chassis_id_subtype = 4;
    c.local.chassis_id_len = 6;
    memcpy(c.local.chassis_id, mac, 6);
    c.local.port_id_subtype = 7;
    c.local.port_id_len = 1;
    c.local.port_id[0] = '-';
    c.xfer_id.priority = 0x8000;
    memcpy(c.xfer_id.mac, mac, 6);
    struct sami_node_downlink dl[2] = {{FL_PORT, {0x02, 0, 0, 1, 0xb0, 1}},
                                       {QT_PORT, {0x02, 0, 0, 1, 0xb0, 2}}};
    c.downlinks = dl;
    c.n_downlinks = 2;
    c.keyring.keys[0].id = 1;
    c.keyring.keys[0].len = 32;
    c.tx = fl_tx;
    struct sami_node *br = NULL;
    assert_int_equal(sami_node_bridge_create(&c, &br), 0);
    const struct sami_node_counters *nc = sami_node_counters(br);

    sami_usec_t now = SAMI_SEC(1);
    uint8_t f[1600];
    /* the quiet port's one notification first: its ROLLBACK waits for an ack */
    size_t len = fl_frame(f, &c.local, 2, 0, 1);
    sami_node_rx(br, now, QT_PORT, f, len);
    unsigned qt_first = FL.req[QT_PORT];
    assert_int_equal(qt_first, 1);
    /* 300 on the flooding port at once: beyond its ECP queue the ROLLBACKs
     * wait in the node for a retry, 64 at most; the rest are counted */
    for (unsigned k = 1; k <= 300; k++) {
        len = fl_frame(f, &c.local, 1, k, (uint16_t)k);
        sami_node_rx(br, now, FL_PORT, f, len);
    }
    assert_true(nc->fb_pend_full > 0);
    uint64_t full = nc->fb_pend_full;
    /* nobody acks: run the node on its own deadlines for a minute */
    sami_node_run(br, now);
    for (int i = 0; i < 1000000; i++) {
        sami_usec_t d = sami_node_next_deadline(br);
        if (d == SAMI_NO_DEADLINE || d > SAMI_SEC(61))
            break;
        assert_true(d >= now); /* O(1) deadline, never in the past after a run */
        now = d;
        sami_node_run(br, now);
    }
    /* the quiet port's feedback was sent again when ECP gave up on it, as
     * often as the node promises (fb_resend), each time with ECP's retries:
     * the flood on the other port took nothing from it */
    const struct sami_vdp_bridge *vq = sami_node_bridge_vdp(br, QT_PORT);
    unsigned per_pdu = 1u + vq->ecp.cfg.r; /* ECP: first send and R retries */
    fprintf(stderr, "quiet port: %u requests (R %u); flood port: %u; resent %llu, "
            "not tracked %llu\n", FL.req[QT_PORT], vq->ecp.cfg.r, FL.req[FL_PORT],
            (unsigned long long)nc->fb_tx_resent, (unsigned long long)nc->fb_pend_full);
    assert_int_equal(FL.req[QT_PORT], (1u + 3u /* fb_resend default */) * per_pdu);
    assert_true(nc->fb_tx_resent > 0);
    assert_true(nc->fb_pend_full >= full);
    sami_node_destroy(br);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_transfers),
        cmocka_unit_test(test_thousand_migrations),
        cmocka_unit_test(test_kill_mid_precopy),
        cmocka_unit_test(test_kill_mid_commit),
        cmocka_unit_test(test_kill_after_commit),
        cmocka_unit_test(test_feedback_flood_bounded_per_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
