/* Nodes in the simulator: HV-S, BR-O, BR-D, HV-D running the real engines
 * (ECP, VDP station/bridge, mig_hv, mig_bridge, xfer engine over the L2
 * link, memstore) through the node glue, on a fake clock. Checks the
 * flows of docs/FLOWS.md end to end: DI moves exactly once (source
 * snapshot at SUSPENDED == destination after activation, source purged),
 * notifications ride the paired VDP requests, and every failure path keeps
 * the records at the source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "sami/hmac.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/node.h"
#include "sami/sim.h"

#define MIG 0x5a4d000000000001ull
#define HV_PORT 0
#define DL_PORT 1
#define FAB_PORT 100
#define NREC 40 /* DI records of the migrating VM */

struct txctx {
    struct sami_sim *sim;
    int id;
};

struct verdict_log {
    int n;
    int tp[16];
    int outcome[16];
    sami_usec_t at[16];
};

/* The "manager": what each verdict makes the hypervisors do next. */
struct world {
    struct sami_sim *sim;
    struct sami_node *hv_s, *hv_d, *br_o, *br_d;
    struct txctx tx_hv_s, tx_hv_d, tx_br_o, tx_br_d;
    int link_s, link_d, link_f;
    struct sami_vdp_vsi vsi;
    struct sami_vdp_filter filt[2];
    struct sami_vm_id vm;
    struct sami_bridge_ref ref_o, ref_d;
    struct verdict_log vs, vd;
    int no_dest_prepare; /* HV-D never announces */
    int stream;          /* transfer over the stream binding instead of L2 */
    int abort_after_prepare;
    uint32_t di_types;       /* "DI types wanted" in both notifications; 0 = all */
    uint32_t proceed_types;  /* types in the PROCEED answering SUSPENDED */
    int src_at_proceed;      /* records at BR-O when HV-S heard PROCEED */
    uint32_t src_per_at_proceed[SAMI_STORE_COUNTS];
    sami_usec_t t_suspend;
    uint32_t counts_at_suspend[SAMI_STORE_COUNTS];
};

static struct world W;

static void node_tx(void *ctx, int port, const uint8_t *frame, size_t len)
{
    struct txctx *t = ctx;
    /* A stream is bytes, not messages: cut it into odd-sized chunks so the
     * receiver's deframer has to put messages back together. */
    size_t chunk = W.stream && port == FAB_PORT ? 97 : len;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        (void)sami_sim_send(t->sim, t->id, port, frame + off, n);
    }
}

static const struct sami_sim_node_ops NODE_OPS = {sami_node_rx, sami_node_next_deadline,
                                                   sami_node_run, sami_node_restart};

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

static void log_verdict(struct verdict_log *l, sami_usec_t now, const struct sami_mig_hv_verdict *v)
{
    if (l->n < 16) {
        l->tp[l->n] = v->time_point;
        l->outcome[l->n] = v->outcome;
        l->at[l->n] = now;
        l->n++;
    }
}

static void on_verdict(void *ctx, struct sami_node *node, sami_usec_t now,
                       const struct sami_mig_hv_verdict *v)
{
    struct world *w = ctx;
    if (node == w->hv_s) {
        log_verdict(&w->vs, now, v);
        if (v->time_point == SAMI_TP_SUSPENDED && v->outcome == SAMI_MIG_HV_PROCEED) {
            for (unsigned i = 0; i < v->n_results; i++)
                w->proceed_types |= SAMI_DI_TYPE_BIT(v->results[i].di_type);
            struct sami_store so = sami_node_bridge_store(w->br_o);
            w->src_at_proceed = sami_store_count(&so, &w->vm, w->src_per_at_proceed);
            /* the manager resumes the VM at the destination */
            assert_int_equal(sami_node_hv_time_point(w->hv_d, now, MIG, SAMI_TP_RESUMED, 2000), 0);
            sami_sim_touch(w->sim, w->tx_hv_d.id);
        } else if (v->time_point == SAMI_TP_SUSPENDED) {
            (void)sami_node_hv_abort(w->hv_s, now, MIG, SAMI_ABORT_ROLLBACK);
            if (!w->no_dest_prepare) {
                (void)sami_node_hv_abort(w->hv_d, now, MIG, SAMI_ABORT_ROLLBACK);
                sami_sim_touch(w->sim, w->tx_hv_d.id);
            }
        }
    } else {
        log_verdict(&w->vd, now, v);
        if (v->time_point == SAMI_TP_RESUMED && v->outcome == SAMI_MIG_HV_PROCEED) {
            assert_int_equal(sami_node_hv_time_point(w->hv_s, now, MIG, SAMI_TP_COMPLETED, 0), 0);
            assert_int_equal(sami_node_hv_time_point(w->hv_d, now, MIG, SAMI_TP_COMPLETED, 0), 0);
            sami_sim_touch(w->sim, w->tx_hv_s.id);
        }
    }
}

static struct sami_node *make_bridge(const char *name, uint8_t last,
                                     const struct sami_bridge_ref *peer, struct txctx *tx)
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
    p.binding = W.stream ? SAMI_XFER_BIND_STREAM : SAMI_XFER_BIND_L2;
    c.peers = &p;
    c.n_peers = 1;
    c.keyring.keys[0].id = 1;
    c.keyring.keys[0].len = 32;
    for (int i = 0; i < 32; i++)
        c.keyring.keys[0].bytes[i] = (uint8_t)(0xa5 ^ i);
    /* the hypervisors' hint decides phase deadlines; keep the rest short */
    c.mig.commit_timeout = SAMI_SEC(2);
    c.mig.linger = SAMI_SEC(5);
    c.vdp.r = 7; /* EVB-negotiated retries: the lossy runs need them */
    c.xfer_rto = SAMI_MSEC(20);
    c.xfer_retries = 10;
    c.link_retries = 16;
    c.tx = node_tx;
    c.tx_ctx = tx;
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_bridge_create(&c, &n), 0);
    return n;
}

static struct sami_node *make_hv(const char *name, uint8_t last, struct txctx *tx)
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
    c.tx_ctx = tx;
    c.verdict = on_verdict;
    c.ctx = &W;
    struct sami_node *n = NULL;
    assert_int_equal(sami_node_hv_create(&c, &n), 0);
    return n;
}

static void fill_records(void)
{
    struct sami_di_record r;
    for (int i = 0; i < NREC; i++) {
        memset(&r, 0, sizeof r);
        r.op = SAMI_DI_OP_UPSERT;
        switch (i % 4) {
        case 0:
            r.type = SAMI_DI_DHCP;
            r.version = SAMI_DI_DHCP_VERSION;
            r.u.dhcp.lease_remaining_ms = 3600000u + (uint32_t)i;
            r.u.dhcp.vlan = 10;
            memcpy(r.u.dhcp.mac, W.filt[0].mac, 6);
            r.u.dhcp.ipv4[0] = 10, r.u.dhcp.ipv4[1] = 1, r.u.dhcp.ipv4[3] = (uint8_t)i;
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
            r.u.firewall.expiry_remaining_ms = 7200000u;
            r.u.firewall.created_age_ms = 60000u;
            break;
        case 2:
            r.type = SAMI_DI_ACL;
            r.version = SAMI_DI_ACL_VERSION;
            r.u.acl.rule_id = (uint32_t)(1000 + i);
            r.u.acl.action = SAMI_DI_ACL_DENY;
            r.u.acl.origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
            r.u.acl.src_port_hi = r.u.acl.dst_port_hi = 65535;
            r.u.acl.src_prefix_len = 128;
            r.u.acl.src[15] = (uint8_t)i;
            r.u.acl.lifetime_remaining_ms = 600000u;
            break;
        default:
            r.type = SAMI_DI_COUNTERS;
            r.version = SAMI_DI_COUNTERS_VERSION;
            r.u.counters.direction = (i / 4) % 2 ? SAMI_DI_DIR_IN : SAMI_DI_DIR_OUT;
            r.u.counters.packets = 1000u * (uint64_t)i;
            r.u.counters.bytes = 150000u * (uint64_t)i;
            r.u.counters.window_ms = 1000;
            break;
        }
        int rc = sami_node_bridge_put(W.br_o, 0, &W.vm, &r);
        /* counters have one record per direction: later ones replace */
        assert_int_equal(rc, 0);
    }
}

static void t_assoc(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)arg;
    assert_int_equal(sami_node_hv_vdp(W.hv_s, now, &W.vsi, SAMI_VDP_TLV_ASSOC, 0), 0);
}

static void t_prepare(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)arg;
    uint32_t types = W.di_types ? W.di_types : SAMI_DI_ALL_TYPES;
    if (!W.no_dest_prepare) {
        int rc = sami_node_hv_migrate(W.hv_d, now, MIG, &W.vsi, &W.ref_o, &W.ref_d,
                                      SAMI_MIG_HV_DEST, types, NULL, 0, NULL, 0);
        assert_int_equal(rc, 0);
        assert_int_equal(sami_node_hv_time_point(W.hv_d, now, MIG, SAMI_TP_PREPARE, 3000), 0);
    }
    assert_int_equal(sami_node_hv_migrate(W.hv_s, now, MIG, &W.vsi, &W.ref_o, &W.ref_d,
                                          SAMI_MIG_HV_SOURCE, types, NULL, 0, NULL, 0),
                     0);
    assert_int_equal(sami_node_hv_time_point(W.hv_s, now, MIG, SAMI_TP_PREPARE, 1000), 0);
}

static void t_suspend(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)sim, (void)arg;
    struct sami_store s = sami_node_bridge_store(W.br_o);
    assert_true(sami_store_count(&s, &W.vm, W.counts_at_suspend) > 0);
    W.t_suspend = now;
    if (W.abort_after_prepare) {
        assert_int_equal(sami_node_hv_abort(W.hv_s, now, MIG, SAMI_ABORT_OPERATOR), 0);
        assert_int_equal(sami_node_hv_abort(W.hv_d, now, MIG, SAMI_ABORT_OPERATOR), 0);
        return;
    }
    assert_int_equal(sami_node_hv_time_point(W.hv_s, now, MIG, SAMI_TP_SUSPENDED, 1000), 0);
}

static void t_restart_br_o(struct sami_sim *sim, sami_usec_t now, void *arg)
{
    (void)now, (void)arg;
    assert_int_equal(sami_sim_restart_node(sim, W.tx_br_o.id), 0);
}

static void setup_world_ex(uint64_t seed, double loss, int stream)
{
    memset(&W, 0, sizeof W);
    W.stream = stream;
    W.sim = sami_sim_new(seed);
    assert_non_null(W.sim);
    ref_init(&W.ref_o, 1);
    ref_init(&W.ref_d, 2);
    W.tx_hv_s.sim = W.tx_hv_d.sim = W.tx_br_o.sim = W.tx_br_d.sim = W.sim;
    W.br_o = make_bridge("br-o", 1, &W.ref_d, &W.tx_br_o);
    W.br_d = make_bridge("br-d", 2, &W.ref_o, &W.tx_br_d);
    W.hv_s = make_hv("hv-s", 1, &W.tx_hv_s);
    W.hv_d = make_hv("hv-d", 2, &W.tx_hv_d);
    W.tx_hv_s.id = sami_sim_add_node(W.sim, "hv-s", &NODE_OPS, W.hv_s);
    W.tx_br_o.id = sami_sim_add_node(W.sim, "br-o", &NODE_OPS, W.br_o);
    W.tx_br_d.id = sami_sim_add_node(W.sim, "br-d", &NODE_OPS, W.br_d);
    W.tx_hv_d.id = sami_sim_add_node(W.sim, "hv-d", &NODE_OPS, W.hv_d);
    struct sami_sim_link_params lp;
    memset(&lp, 0, sizeof lp);
    lp.delay_us = 20;
    lp.jitter_us = 5;
    lp.loss = loss;
    lp.duplicate = loss / 3;
    lp.reorder = loss / 3;
    W.link_s = sami_sim_link(W.sim, W.tx_hv_s.id, HV_PORT, W.tx_br_o.id, DL_PORT, &lp);
    W.link_d = sami_sim_link(W.sim, W.tx_hv_d.id, HV_PORT, W.tx_br_d.id, DL_PORT, &lp);
    lp.delay_us = 200;
    if (stream) /* TCP: bytes arrive in order, once (loss costs time, not data) */
        lp.loss = lp.duplicate = lp.reorder = 0;
    W.link_f = sami_sim_link(W.sim, W.tx_br_o.id, FAB_PORT, W.tx_br_d.id, FAB_PORT, &lp);
    assert_true(W.link_s >= 0 && W.link_d >= 0 && W.link_f >= 0);

    W.filt[0] = (struct sami_vdp_filter){0, {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 0, 0, 10};
    W.filt[1] = (struct sami_vdp_filter){0, {0x52, 0x54, 0x00, 0x12, 0x34, 0x57}, 0, 0, 20};
    memset(&W.vsi, 0, sizeof W.vsi);
    W.vsi.type_id = 0x1234;
    W.vsi.type_ver = 1;
    W.vsi.id_format = SAMI_VDP_VSIID_UUID;
    for (int i = 0; i < 16; i++)
        W.vsi.id[i] = (uint8_t)(0x10 + i);
    W.vsi.filter_format = SAMI_VDP_FILTER_MAC_VID;
    W.vsi.count = 2;
    W.vsi.filters = W.filt;
    W.vm.type_id = W.vsi.type_id;
    W.vm.type_version = W.vsi.type_ver;
    W.vm.id_format = W.vsi.id_format;
    memcpy(W.vm.id, W.vsi.id, 16);
    fill_records();
}

static void setup_world(uint64_t seed, double loss)
{
    setup_world_ex(seed, loss, 0);
}

static void teardown_world(void)
{
    sami_sim_free(W.sim);
    sami_node_destroy(W.hv_s);
    sami_node_destroy(W.hv_d);
    sami_node_destroy(W.br_o);
    sami_node_destroy(W.br_d);
}

static void script_default(void)
{
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(1), t_assoc, NULL) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(100), t_prepare, NULL) > 0);
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(600), t_suspend, NULL) > 0);
}

static int count_at(struct sami_node *br, uint32_t per[SAMI_STORE_COUNTS])
{
    struct sami_store s = sami_node_bridge_store(br);
    return sami_store_count(&s, &W.vm, per);
}

/* Final verdict of a time point, or -1. */
static int outcome_of(const struct verdict_log *l, int tp)
{
    int o = -1;
    for (int i = 0; i < l->n; i++)
        if (l->tp[i] == tp)
            o = l->outcome[i];
    return o;
}

static void check_moved(void)
{
    uint32_t o[SAMI_STORE_COUNTS], d[SAMI_STORE_COUNTS];
    assert_int_equal(outcome_of(&W.vs, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    assert_int_equal(outcome_of(&W.vd, SAMI_TP_RESUMED), SAMI_MIG_HV_PROCEED);
    assert_int_equal(outcome_of(&W.vs, SAMI_TP_COMPLETED), SAMI_MIG_HV_ACKED);
    assert_int_equal(count_at(W.br_o, o), 0);
    assert_int_equal(count_at(W.br_d, d), (int)W.counts_at_suspend[0]);
    assert_memory_equal(d, W.counts_at_suspend, sizeof d);
    struct sami_store sd = sami_node_bridge_store(W.br_d);
    int fl = sami_store_vm_flags(&sd, &W.vm);
    assert_true(fl >= 0);
    assert_int_equal(fl & (SAMI_STORE_VM_PENDING | SAMI_STORE_VM_STAGING | SAMI_STORE_VM_FROZEN),
                     0);
}

static void check_stayed(void)
{
    uint32_t o[SAMI_STORE_COUNTS], d[SAMI_STORE_COUNTS];
    assert_int_equal(count_at(W.br_o, o), (int)W.counts_at_suspend[0]);
    assert_memory_equal(o, W.counts_at_suspend, sizeof o);
    assert_int_equal(count_at(W.br_d, d), 0);
    struct sami_store so = sami_node_bridge_store(W.br_o);
    int fl = sami_store_vm_flags(&so, &W.vm);
    assert_true(fl >= 0);
    assert_int_equal(fl & SAMI_STORE_VM_FROZEN, 0);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_happy_path(void **state)
{
    (void)state;
    setup_world(1, 0.0);
    script_default();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(10)), 0);
    check_moved();
    /* Blackout: SUSPENDED sent to PROCEED received, well inside 300 ms. */
    sami_usec_t proceed = 0;
    for (int i = 0; i < W.vs.n; i++)
        if (W.vs.tp[i] == SAMI_TP_SUSPENDED)
            proceed = W.vs.at[i];
    assert_true(proceed > W.t_suspend);
    assert_true(proceed - W.t_suspend < SAMI_MSEC(50));
    /* Notifications rode their VDP requests; feedback rode the responses. */
    const struct sami_node_counters *cs = sami_node_counters(W.hv_s);
    const struct sami_node_counters *cd = sami_node_counters(W.hv_d);
    assert_true(cs->notif_tx_riding >= 2); /* SUSPENDED (Assoc+S), COMPLETED (DeAssoc) */
    assert_true(cd->notif_tx_riding >= 2); /* PREPARE(PreAssoc M), RESUMED(Assoc) */
    assert_true(sami_node_counters(W.br_o)->fb_tx_riding >= 1); /* SUSPENDED */
    assert_true(sami_node_counters(W.br_d)->fb_tx_riding >= 2);
    assert_int_equal(sami_node_counters(W.br_o)->org_bad, 0);
    /* The destination VSI ended associated, the source's de-associated. */
    const struct sami_vdp_bridge_vsi *v =
        sami_vdp_bridge_find(sami_node_bridge_vdp(W.br_d, DL_PORT), W.vsi.id_format, W.vsi.id);
    assert_non_null(v);
    assert_int_equal(v->state, SAMI_VDP_VSI_ASSOCIATED);
    assert_null(sami_vdp_bridge_find(sami_node_bridge_vdp(W.br_o, DL_PORT), W.vsi.id_format,
                                     W.vsi.id));
    teardown_world();
}

static void test_lossy_links(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        setup_world(seed, 0.3);
        script_default();
        assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);
        int o = outcome_of(&W.vs, SAMI_TP_SUSPENDED);
        if (o == SAMI_MIG_HV_PROCEED) {
            check_moved();
        } else {
            /* a rollback is allowed under 30% loss; losing records is not */
            check_stayed();
        }
        struct sami_sim_link_stats st;
        assert_int_equal(sami_sim_link_stats(W.sim, W.link_f, SAMI_SIM_DIR_AB, &st), 0);
        assert_true(st.lost > 0);
        teardown_world();
    }
}

static void test_unannounced_destination(void **state)
{
    (void)state;
    setup_world(3, 0.0);
    W.no_dest_prepare = 1;
    script_default();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);
    /* BR-D refused state nobody announced; BR-O rolled back at the commit
     * deadline and kept everything. */
    assert_int_equal(outcome_of(&W.vs, SAMI_TP_SUSPENDED), SAMI_MIG_HV_ROLLBACK);
    check_stayed();
    assert_true(sami_xfer_engine_counters(sami_node_bridge_xfer(W.br_d))->unsolicited > 0);
    teardown_world();
}

static void test_abort_before_suspend(void **state)
{
    (void)state;
    setup_world(4, 0.0);
    W.abort_after_prepare = 1;
    script_default();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(10)), 0);
    assert_int_equal(outcome_of(&W.vs, SAMI_TP_ABORTED), SAMI_MIG_HV_ACKED);
    assert_int_equal(outcome_of(&W.vd, SAMI_TP_ABORTED), SAMI_MIG_HV_ACKED);
    check_stayed();
    /* nothing left staged at the destination */
    struct sami_memstore_stats ms;
    sami_memstore_stats(sami_node_bridge_memstore(W.br_d), &ms);
    assert_int_equal(ms.staged, 0);
    teardown_world();
}

static void test_origin_restart(void **state)
{
    (void)state;
    setup_world(5, 0.0);
    script_default();
    /* BR-O's agent restarts after the pre-copy, before SUSPENDED. */
    assert_true(sami_sim_at(W.sim, SAMI_MSEC(400), t_restart_br_o, NULL) > 0);
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(30)), 0);
    int o = outcome_of(&W.vs, SAMI_TP_SUSPENDED);
    assert_true(o == SAMI_MIG_HV_TIMEOUT || o == SAMI_MIG_HV_ROLLBACK);
    check_stayed();
    struct sami_memstore_stats ms;
    sami_memstore_stats(sami_node_bridge_memstore(W.br_d), &ms);
    assert_int_equal(ms.staged, 0);
    assert_int_equal(sami_node_counters(W.br_o)->restarts, 1);
    teardown_world();
}

/* The TCP binding: length-prefixed messages on a byte stream. The fabric
 * "frames" here are stream chunks (the simulator carries them whole). */
static void test_stream_binding(void **state)
{
    (void)state;
    setup_world_ex(8, 0.2, 1);
    script_default();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);
    check_moved();
    assert_int_equal(sami_node_counters(W.br_o)->stream_errors, 0);
    assert_int_equal(sami_node_counters(W.br_d)->stream_errors, 0);
    /* nothing went over the L2 link */
    assert_int_equal(sami_xfer_link_stats(sami_node_bridge_link(W.br_o))->frames_tx, 0);
    assert_true(sami_xfer_engine_counters(sami_node_bridge_xfer(W.br_d))->installs == 1);
    teardown_world();
}

/* Per-migration DI type selection through the node glue: the VM has DHCP,
 * firewall, ACL and counter records; the manager wants DHCP and ACL. Only
 * those move and are reported; the others stay at BR-O through the commit
 * (so a rollback would find them) and go with the VM's purge once BR-D
 * activated it (docs/FLOWS.md, "DI types wanted"). */
static void test_di_types_wanted(void **state)
{
    (void)state;
    setup_world(12, 0.0);
    W.di_types = SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_ACL);
    script_default();
    assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(10)), 0);
    assert_int_equal(outcome_of(&W.vs, SAMI_TP_SUSPENDED), SAMI_MIG_HV_PROCEED);
    assert_int_equal(outcome_of(&W.vd, SAMI_TP_RESUMED), SAMI_MIG_HV_PROCEED);
    assert_int_equal(W.proceed_types, W.di_types);
    /* at PROCEED the source still held every record */
    assert_int_equal(W.src_at_proceed, (int)W.counts_at_suspend[0]);
    assert_int_equal(W.src_per_at_proceed[SAMI_DI_FIREWALL], W.counts_at_suspend[SAMI_DI_FIREWALL]);
    assert_true(W.counts_at_suspend[SAMI_DI_FIREWALL] > 0);
    uint32_t o[SAMI_STORE_COUNTS], d[SAMI_STORE_COUNTS];
    assert_int_equal(count_at(W.br_o, o), 0); /* purged with the VM after ACTIVATE */
    uint32_t want = W.counts_at_suspend[SAMI_DI_DHCP] + W.counts_at_suspend[SAMI_DI_ACL];
    assert_int_equal(count_at(W.br_d, d), (int)want);
    assert_int_equal(d[SAMI_DI_DHCP], W.counts_at_suspend[SAMI_DI_DHCP]);
    assert_int_equal(d[SAMI_DI_ACL], W.counts_at_suspend[SAMI_DI_ACL]);
    assert_int_equal(d[SAMI_DI_FIREWALL] + d[SAMI_DI_COUNTERS], 0);
    assert_int_equal(sami_xfer_engine_counters(sami_node_bridge_xfer(W.br_d))->unwanted, 0);
    teardown_world();
}

static void test_deterministic(void **state)
{
    (void)state;
    sami_usec_t at[2];
    for (int k = 0; k < 2; k++) {
        setup_world(11, 0.2);
        script_default();
        assert_int_equal(sami_sim_run_until(W.sim, SAMI_SEC(20)), 0);
        at[k] = W.vs.n ? W.vs.at[W.vs.n - 1] : 0;
        struct sami_sim_stats st;
        sami_sim_get_stats(W.sim, &st);
        at[k] ^= st.events << 20;
        teardown_world();
    }
    assert_true(at[0] == at[1]);
}

int main(void)
{
    /* Every transfer is signed: a firmware build without an HMAC provider
     * (-DSAMI_WITH_SODIUM=OFF) has nothing to run here. */
    if (!sami_hmac_default()) {
        printf("SKIP: no HMAC provider in this build\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_happy_path),
        cmocka_unit_test(test_lossy_links),
        cmocka_unit_test(test_unannounced_destination),
        cmocka_unit_test(test_abort_before_suspend),
        cmocka_unit_test(test_origin_restart),
        cmocka_unit_test(test_stream_binding),
        cmocka_unit_test(test_di_types_wanted),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
