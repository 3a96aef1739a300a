/* Transfer engine: source BR-O (node A) and destination BR-D (node B) over an
 * in-memory stream binding, each with the reference memstore. Happy path
 * with exact per-type counts, delta correctness, digest mismatch, unsolicited
 * pushes, forged / replayed / wrong-key / unknown-peer messages, key roll,
 * limits, idempotent retransmissions, aborts, deadlines, unreachable peer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/di.h"
#include "sami/memstore.h"
#include "sami/store.h"
#include "sami/xfer.h"
#include "sami/xfer_engine.h"
#include "sami/xfer_link.h"

#define NNODES 3 /* A, B, C (a third bridge with valid keys) */
#define MAXEV 4096
#define MAXQ 8192

/* Messages are signed and verified: a build without an HMAC provider
 * (-DSAMI_WITH_SODIUM=OFF, firmware plugs its own) skips what needs one. */
#define NEED_HMAC()                                                                              \
    do {                                                                                         \
        if (!sami_hmac_default())                                                                \
            skip();                                                                              \
    } while (0)

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void t_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}
static const struct sami_allocator ALLOC = {t_alloc, t_free, NULL};

struct qmsg {
    int from, to;
    sami_usec_t at;
    size_t len;
    uint8_t *b; /* message without the stream prefix */
};

struct node {
    struct sami_xfer_engine *eng;
    struct sami_memstore *ms;
    struct sami_store st;
    struct sami_xfer_bridge_id id;
    int peer_of[NNODES]; /* engine peer id of node i */
    struct sami_xfer_event ev[MAXEV];
    size_t nev;
};

typedef int (*filter_fn)(struct qmsg *m); /* 0 = drop, 1 = deliver, 2 = deliver twice */

static struct {
    struct node n[NNODES];
    struct qmsg q[MAXQ];
    size_t nq;
    sami_usec_t now;
    sami_usec_t delay;
    filter_fn filter;
    uint64_t rng;
    double loss; /* random loss of every message */
    unsigned seen_type[16];
} T;

static const uint8_t KEY1[32] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
static const uint8_t KEY2[32] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
                                 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
                                 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};

static struct sami_xfer_key mkkey(uint16_t id, const uint8_t *k)
{
    struct sami_xfer_key key;
    memset(&key, 0, sizeof key);
    key.id = id;
    key.len = 32;
    memcpy(key.bytes, k, 32);
    return key;
}

static uint64_t rnd(void)
{
    T.rng ^= T.rng << 13;
    T.rng ^= T.rng >> 7;
    T.rng ^= T.rng << 17;
    return T.rng;
}

/* ---- records ---- */

static struct sami_di_record rec_dhcp(uint32_t i, uint32_t lease)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_DHCP;
    r.version = SAMI_DI_DHCP_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.dhcp.ipv4[0] = 10;
    r.u.dhcp.ipv4[1] = (uint8_t)(i >> 16);
    r.u.dhcp.ipv4[2] = (uint8_t)(i >> 8);
    r.u.dhcp.ipv4[3] = (uint8_t)i;
    r.u.dhcp.mac[0] = 0x52;
    r.u.dhcp.mac[5] = (uint8_t)i;
    r.u.dhcp.vlan = 100;
    r.u.dhcp.lease_remaining_ms = lease;
    return r;
}

static struct sami_di_record rec_nd(uint32_t i)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_ND;
    r.version = SAMI_DI_ND_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.nd.ipv6[0] = 0x20;
    r.u.nd.ipv6[1] = 0x01;
    r.u.nd.ipv6[14] = (uint8_t)(i >> 8);
    r.u.nd.ipv6[15] = (uint8_t)i;
    r.u.nd.vlan = 100;
    r.u.nd.state = SAMI_DI_ND_VALID;
    r.u.nd.lifetime_remaining_ms = 30000;
    return r;
}

static struct sami_di_record rec_dot1x(uint32_t i)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_DOT1X;
    r.version = SAMI_DI_DOT1X_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.dot1x.mac[0] = 0x02;
    r.u.dot1x.mac[5] = (uint8_t)i;
    r.u.dot1x.authorized = 1;
    r.u.dot1x.eap_method = 13;
    r.u.dot1x.vlan = 200;
    r.u.dot1x.session_remaining_ms = 3600000;
    r.u.dot1x.reauth_remaining_ms = SAMI_DI_INFINITE;
    r.u.dot1x.session_id_len = (uint8_t)snprintf(r.u.dot1x.session_id,
                                                 sizeof r.u.dot1x.session_id, "sess-%u", i);
    r.u.dot1x.identity_len = (uint8_t)snprintf(r.u.dot1x.identity, sizeof r.u.dot1x.identity,
                                               "user%u@example.org", i);
    r.u.dot1x.filter_id_len =
        (uint8_t)snprintf(r.u.dot1x.filter_id, sizeof r.u.dot1x.filter_id, "acl-guest");
    return r;
}

static struct sami_di_record rec_acl(uint32_t i)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_ACL;
    r.version = SAMI_DI_ACL_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.acl.rule_id = i;
    r.u.acl.action = SAMI_DI_ACL_DENY;
    r.u.acl.origin = SAMI_DI_ACL_RADIUS;
    r.u.acl.src_port_hi = 65535;
    r.u.acl.dst_port_lo = 22;
    r.u.acl.dst_port_hi = 22;
    r.u.acl.lifetime_remaining_ms = SAMI_DI_INFINITE;
    return r;
}

static struct sami_di_record rec_fw(uint32_t i)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_FIREWALL;
    r.version = SAMI_DI_FIREWALL_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.firewall.family = SAMI_DI_FAMILY_IPV4;
    r.u.firewall.protocol = 6;
    r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
    r.u.firewall.src[10] = r.u.firewall.src[11] = 0xff;
    r.u.firewall.src[12] = 10;
    r.u.firewall.src[15] = 5;
    r.u.firewall.dst[10] = r.u.firewall.dst[11] = 0xff;
    r.u.firewall.dst[12] = 192;
    r.u.firewall.dst[15] = (uint8_t)i;
    r.u.firewall.src_port = (uint16_t)(40000 + i);
    r.u.firewall.dst_port = 443;
    r.u.firewall.expiry_remaining_ms = 7200000;
    r.u.firewall.created_age_ms = 1000;
    return r;
}

static struct sami_vm_id mkvm(uint32_t n)
{
    struct sami_vm_id vm;
    memset(&vm, 0, sizeof vm);
    vm.type_id = 1;
    vm.type_version = 1;
    vm.id_format = 5;
    vm.id[0] = 0x6b;
    vm.id[12] = (uint8_t)(n >> 24);
    vm.id[13] = (uint8_t)(n >> 16);
    vm.id[14] = (uint8_t)(n >> 8);
    vm.id[15] = (uint8_t)n;
    return vm;
}

static void put(int node, const struct sami_vm_id *vm, struct sami_di_record r)
{
    assert_int_equal(sami_store_put(&T.n[node].st, vm, &r, T.now), 0);
}

/* ---- wiring ---- */

static int tx_cb(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    int from = (int)(intptr_t)ctx;
    int to = (int)(intptr_t)handle;
    size_t mlen = 0;
    (void)peer;
    assert_true(len > SAMI_XFER_STREAM_PREFIX_LEN);
    assert_int_equal(sami_xfer_stream_frame_len(bytes, 1u << 24, &mlen), 0);
    assert_int_equal(mlen + SAMI_XFER_STREAM_PREFIX_LEN, len);
    if (bytes[SAMI_XFER_STREAM_PREFIX_LEN + 1] < 16)
        T.seen_type[bytes[SAMI_XFER_STREAM_PREFIX_LEN + 1]]++;
    assert_true(T.nq < MAXQ);
    struct qmsg *q = &T.q[T.nq++];
    q->from = from;
    q->to = to;
    q->at = T.now + T.delay;
    q->len = mlen;
    q->b = malloc(mlen);
    memcpy(q->b, bytes + SAMI_XFER_STREAM_PREFIX_LEN, mlen);
    return 0;
}

static void ev_cb(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev)
{
    struct node *n = ctx;
    (void)now;
    assert_true(n->nev < MAXEV);
    n->ev[n->nev++] = *ev;
}

struct node_cfg {
    uint32_t max_records_per_migration, max_records_total, max_migrations, max_msg,
        max_batch_records;
    unsigned window, retries;
    uint32_t di_types; /* types the bridge handles (HELLO CAPS); 0 = all */
    sami_usec_t resolve; /* cfg.resolve; 0 = the engine's default */
    uint64_t seq_start;  /* a restarted engine starts above what its peers saw */
};

/* The engine passes cfg.ctx (the node) to tx; map it back to an index. */
static int tx_node(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    struct node *n = ctx;
    return tx_cb((void *)(intptr_t)(n - T.n), peer, handle, bytes, len);
}

static void engine_create(int i, const struct node_cfg *nc)
{
    struct node *n = &T.n[i];
    struct sami_xfer_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.local = n->id;
    c.name = i == 0 ? "bridge-a" : "bridge-b";
    c.keyring.keys[0] = mkkey(1, KEY1);
    c.tx_key_id = 1;
    c.rto = SAMI_MSEC(10);
    c.retries = 6;
    c.store = n->st;
    c.alloc = ALLOC;
    c.tx = tx_node;
    c.event = ev_cb;
    c.ctx = n;
    if (nc) {
        c.limits.max_records_per_migration = nc->max_records_per_migration;
        c.limits.max_records_total = nc->max_records_total;
        c.limits.max_migrations = nc->max_migrations;
        c.limits.max_msg = nc->max_msg;
        c.limits.max_batch_records = nc->max_batch_records;
        c.window = nc->window;
        c.di_types = nc->di_types;
        if (nc->retries)
            c.retries = nc->retries;
        c.resolve = nc->resolve;
        c.seq_start = nc->seq_start;
    }
    assert_int_equal(sami_xfer_engine_create(&c, &n->eng), 0);
    n->nev = 0;
}

static void node_init(int i, const struct node_cfg *nc)
{
    struct node *n = &T.n[i];
    struct sami_memstore_config mc = {.alloc = ALLOC};
    assert_int_equal(sami_memstore_create(&mc, &n->ms), 0);
    n->st = sami_memstore_store(n->ms);
    n->id.priority = 0x8000;
    n->id.mac[0] = 0x02;
    n->id.mac[5] = (uint8_t)(i + 1);
    engine_create(i, nc);
}

static void wire(int a, int b)
{
    int pa = sami_xfer_engine_add_peer(T.n[a].eng, &T.n[b].id, SAMI_XFER_BIND_STREAM,
                                       (void *)(intptr_t)b, -1);
    assert_true(pa >= 0);
    T.n[a].peer_of[b] = pa;
}

static void setup_nodes(const struct node_cfg *ca, const struct node_cfg *cb)
{
    memset(&T, 0, sizeof T);
    T.rng = 0x2545F4914F6CDD1Dull;
    T.delay = 500;
    T.now = SAMI_SEC(1);
    node_init(0, ca);
    node_init(1, cb);
    node_init(2, NULL);
    wire(0, 1);
    wire(1, 0);
    wire(2, 1); /* C knows B; B does not know C */
}

/* Control-plane restart of A or B: a new engine over the same store, the
 * peer added again (same peer id). */
static void engine_restart(int i, const struct node_cfg *nc)
{
    sami_xfer_engine_destroy(T.n[i].eng);
    engine_create(i, nc);
    wire(i, 1 - i);
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < T.nq; i++)
        free(T.q[i].b);
    T.nq = 0;
    for (int i = 0; i < NNODES; i++) {
        sami_xfer_engine_destroy(T.n[i].eng);
        sami_memstore_destroy(T.n[i].ms);
        T.n[i].eng = NULL;
        T.n[i].ms = NULL;
    }
    return 0;
}

/* Processes messages and timers in time order up to limit. */
static void run_until(sami_usec_t limit)
{
    for (;;) {
        sami_usec_t next = SAMI_NO_DEADLINE;
        size_t qi = SIZE_MAX;
        for (size_t i = 0; i < T.nq; i++)
            if (T.q[i].at < next) {
                next = T.q[i].at;
                qi = i;
            }
        int en = -1;
        for (int i = 0; i < NNODES; i++) {
            sami_usec_t d = sami_xfer_engine_next_deadline(T.n[i].eng);
            if (d < next) {
                next = d;
                en = i;
            }
        }
        if (next == SAMI_NO_DEADLINE || next > limit) {
            if (limit != SAMI_NO_DEADLINE && limit > T.now)
                T.now = limit;
            return;
        }
        if (next > T.now)
            T.now = next;
        if (en >= 0) {
            sami_xfer_engine_run(T.n[en].eng, T.now);
            continue;
        }
        struct qmsg m = T.q[qi];
        memmove(&T.q[qi], &T.q[qi + 1], (T.nq - qi - 1) * sizeof T.q[0]); /* keep FIFO */
        T.nq--;
        int copies = 1;
        if (T.loss > 0 && (double)(rnd() >> 11) / 9007199254740992.0 < T.loss)
            copies = 0;
        if (copies && T.filter)
            copies = T.filter(&m);
        for (int c = 0; c < copies; c++)
            (void)sami_xfer_engine_input(T.n[m.to].eng, T.now, T.n[m.to].peer_of[m.from], m.b,
                                         m.len);
        free(m.b);
    }
}

static void run_for(sami_usec_t d) { run_until(T.now + d); }

static const struct sami_xfer_event *find_ev(int node, int type, uint64_t mig)
{
    for (size_t i = 0; i < T.n[node].nev; i++)
        if (T.n[node].ev[i].type == type && T.n[node].ev[i].migration_id == mig)
            return &T.n[node].ev[i];
    return NULL;
}

static size_t count_ev(int node, int type)
{
    size_t c = 0;
    for (size_t i = 0; i < T.n[node].nev; i++)
        c += T.n[node].ev[i].type == type;
    return c;
}

static const struct sami_xfer_engine_counters *C(int node)
{
    return sami_xfer_engine_counters(T.n[node].eng);
}

static int vm_count(int node, const struct sami_vm_id *vm, uint32_t per[SAMI_STORE_COUNTS])
{
    return sami_store_count(&T.n[node].st, vm, per);
}

/* Every live record of vm at node a equals the one at node b (key and
 * every non-time field; times only fall). */
struct cmp_ctx {
    int other;
    const struct sami_vm_id *vm;
    int n;
};

static int cmp_emit(void *arg, const struct sami_di_record *rec)
{
    struct cmp_ctx *x = arg;
    struct sami_di_record o;
    assert_int_equal(sami_store_get(&T.n[x->other].st, x->vm, rec, T.now, &o), 0);
    x->n++;
    if (rec->type == SAMI_DI_DHCP) {
        assert_memory_equal(rec->u.dhcp.mac, o.u.dhcp.mac, 6);
        /* remaining time is rebased, never longer than at the source */
        assert_true(o.u.dhcp.lease_remaining_ms <= rec->u.dhcp.lease_remaining_ms + 1000);
        assert_true(o.u.dhcp.lease_remaining_ms + 60000 >= rec->u.dhcp.lease_remaining_ms);
    } else if (rec->type == SAMI_DI_DOT1X) {
        assert_int_equal(rec->u.dot1x.identity_len, o.u.dot1x.identity_len);
        assert_memory_equal(rec->u.dot1x.identity, o.u.dot1x.identity, o.u.dot1x.identity_len);
    }
    return 0;
}

/* ---- scenario helpers ---- */

#define MIG 0x1122334455667788ull

static void populate(int node, const struct sami_vm_id *vm, int ndhcp, int nnd, int ndot1x,
                     int nacl, int nfw)
{
    for (int i = 0; i < ndhcp; i++)
        put(node, vm, rec_dhcp((uint32_t)i, 3600000));
    for (int i = 0; i < nnd; i++)
        put(node, vm, rec_nd((uint32_t)i));
    for (int i = 0; i < ndot1x; i++)
        put(node, vm, rec_dot1x((uint32_t)i));
    for (int i = 0; i < nacl; i++)
        put(node, vm, rec_acl((uint32_t)i));
    for (int i = 0; i < nfw; i++)
        put(node, vm, rec_fw((uint32_t)i));
}

/* A: pre-copy; then changes while the VM still runs; freeze; commit. */
static void precopy_and_commit(const struct sami_vm_id *vm, int mutate)
{
    assert_int_equal(
        sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, vm, -1, 0, T.now + SAMI_SEC(60)), 0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, vm, 0,
                                              T.now + SAMI_SEC(30)),
                     0);
    run_for(SAMI_SEC(5));
    assert_non_null(find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG));
    assert_int_equal(find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG)->status, SAMI_XFER_ST_OK);
    assert_int_equal(sami_xfer_engine_state(T.n[0].eng, MIG, SAMI_XFER_ROLE_SOURCE),
                     SAMI_XFER_MS_READY);
    if (mutate) {
        for (int i = 0; i < 5; i++) /* renewed leases */
            put(0, vm, rec_dhcp((uint32_t)i, 7200000));
        for (int i = 0; i < 3; i++) { /* ND entries gone */
            struct sami_di_record r = rec_nd((uint32_t)i);
            assert_int_equal(sami_store_del(&T.n[0].st, vm, &r), 0);
        }
        put(0, vm, rec_fw(100)); /* new sessions */
        put(0, vm, rec_fw(101));
        struct sami_di_record r = rec_fw(101); /* added and removed again */
        assert_int_equal(sami_store_del(&T.n[0].st, vm, &r), 0);
        put(0, vm, rec_fw(102));
    }
    assert_int_equal(sami_store_freeze(&T.n[0].st, MIG), 0);
    assert_int_equal(sami_xfer_engine_commit(T.n[0].eng, T.now, MIG, T.now + SAMI_SEC(30)), 0);
}

/* ---- tests ---- */

static void test_happy_path_exact_counts(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(1);
    populate(0, &vm, 50, 20, 5, 3, 0);
    precopy_and_commit(&vm, 1);
    run_for(SAMI_SEC(5));

    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    uint32_t want[SAMI_STORE_COUNTS] = {0};
    want[SAMI_DI_DHCP] = 50;
    want[SAMI_DI_ND] = 17;
    want[SAMI_DI_DOT1X] = 5;
    want[SAMI_DI_ACL] = 3;
    want[SAMI_DI_FIREWALL] = 2;
    want[0] = 77;
    assert_memory_equal(r->counts, want, sizeof want);
    /* per type: sent = pre-copy + delta records, installed = final set */
    int seen = 0;
    for (unsigned i = 0; i < r->n_results; i++) {
        const struct sami_xfer_type_result *t = &r->results[i];
        assert_int_equal(t->status, SAMI_XFER_ST_OK);
        assert_int_equal(t->installed, want[t->di_type]);
        if (t->di_type == SAMI_DI_DHCP) {
            assert_int_equal(t->sent, 55);
            seen++;
        }
        if (t->di_type == SAMI_DI_ND) {
            assert_int_equal(t->sent, 23); /* 20 + 3 DELETE */
            seen++;
        }
        if (t->di_type == SAMI_DI_FIREWALL) {
            assert_int_equal(t->sent, 2);
            seen++;
        }
    }
    assert_int_equal(seen, 3);
    const struct sami_xfer_event *in = find_ev(1, SAMI_XFER_EV_INSTALLED, MIG);
    assert_non_null(in);
    assert_memory_equal(in->counts, want, sizeof want);
    assert_true(in->digest == r->digest);

    /* B holds exactly the final set, pending until activation */
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(vm_count(1, &vm, per), 77);
    assert_memory_equal(per, want, sizeof want);
    assert_true(sami_store_vm_flags(&T.n[1].st, &vm) & SAMI_STORE_VM_PENDING);
    struct cmp_ctx cx = {1, &vm, 0};
    assert_int_equal(sami_store_foreach(&T.n[0].st, &vm, T.now, cmp_emit, &cx), 0);
    assert_int_equal(cx.n, 77);
    /* the renewed lease travelled */
    struct sami_di_record k = rec_dhcp(3, 0), o;
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), 0);
    assert_true(o.u.dhcp.lease_remaining_ms > 3600000);
    k = rec_nd(1);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), SAMI_ERR_NOTFOUND);
    k = rec_fw(101);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), SAMI_ERR_NOTFOUND);

    /* source keeps everything until ACTIVATE */
    assert_int_equal(vm_count(0, &vm, NULL), 77);
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_MSEC(20)); /* within the linger time of the source's slot */
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_non_null(find_ev(1, SAMI_XFER_EV_PURGED, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_int_equal(vm_count(1, &vm, NULL), 77);
    assert_false(sami_store_vm_flags(&T.n[1].st, &vm) & SAMI_STORE_VM_PENDING);
    /* an ABORT after activation is refused */
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_ABORTED),
                     SAMI_ERR_STATE);
    run_for(SAMI_SEC(10)); /* lingering slots go */
    assert_int_equal(sami_xfer_engine_active(T.n[0].eng), 0);
    assert_int_equal(sami_xfer_engine_active(T.n[1].eng), 0);
    assert_int_equal(sami_xfer_engine_records_held(T.n[0].eng), 0);
    assert_int_equal(sami_xfer_engine_records_held(T.n[1].eng), 0);
    assert_int_equal(C(1)->records_rx, C(0)->records_tx);
    assert_int_equal(C(1)->bad_auth + C(1)->replay + C(1)->unsolicited, 0);
    assert_int_equal(C(0)->retransmits, 0);
}

/* The notification's "DI types wanted": a VM with DHCP, ACL and firewall
 * records, a migration that wants DHCP and ACL. Only those move, only
 * those are counted, digested and reported; the firewall sessions stay at
 * the source (a rollback up to ACTIVATE finds everything in place) and go
 * with the VM's purge once BR-D runs it. */
#define WANT_DHCP_ACL (SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_ACL))

static void precopy_and_commit_types(const struct sami_vm_id *vm, uint32_t src_types,
                                     uint32_t dst_types)
{
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, vm, -1, dst_types,
                                             T.now + SAMI_SEC(60)),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, vm,
                                              src_types, T.now + SAMI_SEC(30)),
                     0);
    run_for(SAMI_SEC(5));
    /* while the VM runs: a renewed lease, a new session (unwanted type) */
    put(0, vm, rec_dhcp(0, 7200000));
    put(0, vm, rec_fw(100));
    assert_int_equal(sami_store_freeze(&T.n[0].st, MIG), 0);
    assert_int_equal(sami_xfer_engine_commit(T.n[0].eng, T.now, MIG, T.now + SAMI_SEC(30)), 0);
    run_for(SAMI_SEC(5));
}

static void test_di_types_selected(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(40);
    populate(0, &vm, 4, 0, 0, 3, 6);
    precopy_and_commit_types(&vm, WANT_DHCP_ACL, WANT_DHCP_ACL);
    const struct sami_xfer_event *pd = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG);
    assert_non_null(pd);
    assert_int_equal(pd->counts[0], 7);
    assert_int_equal(pd->counts[SAMI_DI_FIREWALL], 0);
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(r->counts[0], 7);
    assert_int_equal(r->counts[SAMI_DI_DHCP], 4);
    assert_int_equal(r->counts[SAMI_DI_ACL], 3);
    assert_int_equal(r->counts[SAMI_DI_FIREWALL], 0);
    /* results only for the wanted types */
    assert_int_equal(r->n_results, 2);
    for (unsigned i = 0; i < r->n_results; i++) {
        assert_true(r->results[i].di_type == SAMI_DI_DHCP || r->results[i].di_type == SAMI_DI_ACL);
        assert_int_equal(r->results[i].status, SAMI_XFER_ST_OK);
    }
    const struct sami_xfer_event *in = find_ev(1, SAMI_XFER_EV_INSTALLED, MIG);
    assert_non_null(in);
    assert_int_equal(in->n_results, 2);
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(vm_count(1, &vm, per), 7);
    assert_int_equal(per[SAMI_DI_FIREWALL], 0);
    /* the source still has everything, firewall sessions included */
    assert_int_equal(vm_count(0, &vm, per), 14);
    assert_int_equal(per[SAMI_DI_FIREWALL], 7);
    assert_int_equal(C(1)->unwanted, 0);
    /* activation: the VM left, so its records go, the unwanted ones too */
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_MSEC(20));
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_int_equal(vm_count(1, &vm, per), 7);
    assert_int_equal(per[SAMI_DI_FIREWALL], 0);
}

/* Wanted, but the destination bridge does not take firewall state (its
 * HELLO CAPS): UNSUPPORTED for that type, the rest moves. Not wanted and
 * not taken: not reported at all. */
static void test_di_types_wanted_but_unsupported(void **state)
{
    NEED_HMAC();
    (void)state;
    struct node_cfg nb = {.di_types = WANT_DHCP_ACL | SAMI_DI_TYPE_BIT(SAMI_DI_ND)};
    setup_nodes(NULL, &nb);
    struct sami_vm_id vm = mkvm(41);
    populate(0, &vm, 4, 0, 2, 3, 6);
    uint32_t want = WANT_DHCP_ACL | SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL);
    precopy_and_commit_types(&vm, want, want);
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(r->n_results, 3);
    int fw = 0;
    for (unsigned i = 0; i < r->n_results; i++) {
        const struct sami_xfer_type_result *t = &r->results[i];
        assert_true(t->di_type != SAMI_DI_DOT1X);
        if (t->di_type == SAMI_DI_FIREWALL) {
            fw = 1;
            assert_int_equal(t->status, SAMI_XFER_ST_UNSUPPORTED);
            assert_int_equal(t->sent, 0);
        } else {
            assert_int_equal(t->status, SAMI_XFER_ST_OK);
        }
    }
    assert_true(fw);
    assert_int_equal(vm_count(1, &vm, NULL), 7);
}

/* The two hypervisors disagree: HV-S wants DHCP and ACL, HV-D only DHCP.
 * BR-D does not stage the ACL entries, the COMMIT's digest fails, nothing
 * is installed and the source keeps everything (fail closed). */
static void test_di_types_disagreement_fails_closed(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(42);
    populate(0, &vm, 4, 0, 0, 3, 0);
    precopy_and_commit_types(&vm, WANT_DHCP_ACL, SAMI_DI_TYPE_BIT(SAMI_DI_DHCP));
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_FAILED);
    assert_int_equal(r->reason, SAMI_XFER_R_DIGEST);
    assert_int_equal(C(1)->unwanted, 3);
    assert_null(find_ev(1, SAMI_XFER_EV_INSTALLED, MIG));
    assert_int_equal(vm_count(1, &vm, NULL), 0);
    assert_int_equal(vm_count(0, &vm, NULL), 8);
}

/* The destination still holds records of the VM from an earlier stay (its
 * source then never purged, or they were learned here): the COMMIT is
 * everything of the types moved, so the install drops the leftovers of
 * those types and keeps the other types; abort puts all of it back. */
static void test_install_replaces_leftovers(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(43);
    populate(0, &vm, 4, 0, 0, 3, 0);
    put(1, &vm, rec_dhcp(0, 1000)); /* same key as the source's, older */
    put(1, &vm, rec_dhcp(50, 1000)); /* the source no longer has it */
    put(1, &vm, rec_acl(40));
    put(1, &vm, rec_fw(7)); /* types the migration does not move */
    put(1, &vm, rec_nd(5));
    precopy_and_commit_types(&vm, WANT_DHCP_ACL, WANT_DHCP_ACL);
    const struct sami_xfer_event *in = find_ev(1, SAMI_XFER_EV_INSTALLED, MIG);
    assert_non_null(in);
    assert_int_equal(in->counts[SAMI_DI_DHCP], 4);
    assert_int_equal(in->counts[SAMI_DI_ACL], 3);
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(vm_count(1, &vm, per), 9);
    assert_int_equal(per[SAMI_DI_DHCP], 4);
    assert_int_equal(per[SAMI_DI_ACL], 3);
    assert_int_equal(per[SAMI_DI_FIREWALL], 1);
    assert_int_equal(per[SAMI_DI_ND], 1);
    struct sami_di_record k = rec_dhcp(50, 0), o;
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), SAMI_ERR_NOTFOUND);
    k = rec_acl(40);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), SAMI_ERR_NOTFOUND);
    k = rec_dhcp(0, 0);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), 0);
    assert_true(o.u.dhcp.lease_remaining_ms > 3600000); /* the renewed lease */
    /* rolled back: the leftovers are back, nothing of the commit stays */
    assert_int_equal(sami_xfer_engine_abort(T.n[1].eng, T.now, MIG, SAMI_XFER_R_ABORTED), 0);
    run_for(SAMI_SEC(1));
    assert_int_equal(vm_count(1, &vm, per), 5);
    assert_int_equal(per[SAMI_DI_DHCP], 2);
    assert_int_equal(per[SAMI_DI_ACL], 1);
    k = rec_dhcp(0, 0);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), 0);
    assert_true(o.u.dhcp.lease_remaining_ms <= 1000);
    k = rec_dhcp(50, 0);
    assert_int_equal(sami_store_get(&T.n[1].st, &vm, &k, T.now, &o), 0);
}

static void test_empty_vm_and_empty_delta(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(2);
    precopy_and_commit(&vm, 0);
    run_for(SAMI_SEC(5));
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(r->counts[0], 0);
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_SEC(2));
    assert_non_null(find_ev(1, SAMI_XFER_EV_PURGED, MIG));
}

/* Many small batches, window 2, lossy delivery: exact counts, nothing
 * applied twice. */
static void test_batches_lossy_idempotent(void **state)
{
    NEED_HMAC();
    (void)state;
    struct node_cfg nc = {.max_msg = 2048, .max_batch_records = 7, .window = 2, .retries = 30};
    setup_nodes(&nc, &nc);
    T.loss = 0.3;
    struct sami_vm_id vm = mkvm(3);
    populate(0, &vm, 200, 40, 30, 10, 10);
    assert_int_equal(
        sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, T.now + SAMI_SEC(60)), 0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(10));
    assert_non_null(find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG));
    for (int i = 0; i < 50; i++)
        put(0, &vm, rec_dhcp((uint32_t)i, 7200000));
    assert_int_equal(sami_store_freeze(&T.n[0].st, MIG), 0);
    assert_int_equal(sami_xfer_engine_commit(T.n[0].eng, T.now, MIG, SAMI_NO_DEADLINE), 0);
    run_for(SAMI_SEC(20));
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(r->counts[0], 290);
    assert_int_equal(vm_count(1, &vm, NULL), 290);
    assert_true(C(0)->retransmits > 0);
    assert_true(C(1)->dup + C(1)->gap > 0);
    /* every record staged exactly once per transmission unit */
    assert_int_equal(C(1)->records_rx, C(0)->records_tx);
    assert_int_equal(C(0)->records_tx, 290 + 50);
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_SEC(10));
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 0);
}

/* Drop every ACK/RESULT from B for a while: A retransmits (new sequence
 * numbers), B answers again without staging or installing twice. */
static int drop_b_answers;
static int filter_drop_b(struct qmsg *m)
{
    if (m->from == 1 && drop_b_answers > 0) {
        drop_b_answers--;
        return 0;
    }
    return 1;
}

static void test_duplicate_commit_not_reinstalled(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(4);
    populate(0, &vm, 10, 0, 0, 0, 0);
    precopy_and_commit(&vm, 0);
    T.filter = filter_drop_b;
    drop_b_answers = 3; /* ACK of the DELTA, RESULT, RESULT */
    run_for(SAMI_SEC(5));
    assert_non_null(find_ev(0, SAMI_XFER_EV_RESULT, MIG));
    assert_int_equal(count_ev(1, SAMI_XFER_EV_INSTALLED), 1);
    assert_int_equal(C(1)->installs, 1);
    assert_true(C(1)->dup >= 2);
    assert_int_equal(C(1)->records_rx, 10);
    assert_int_equal(vm_count(1, &vm, NULL), 10);
    assert_int_equal(C(1)->replay, 0); /* retransmissions carry new sequence numbers */
}

/* RESULT lost for good, ACTIVATE arrives: the source reports both. */
static int filter_drop_result(struct qmsg *m)
{
    return !(m->from == 1 && m->b[1] == SAMI_XFER_RESULT);
}

static void test_activate_implies_result(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(5);
    populate(0, &vm, 4, 0, 0, 0, 0);
    precopy_and_commit(&vm, 0);
    T.filter = filter_drop_result;
    run_for(SAMI_MSEC(30));
    assert_null(find_ev(0, SAMI_XFER_EV_RESULT, MIG));
    assert_non_null(find_ev(1, SAMI_XFER_EV_INSTALLED, MIG));
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_SEC(2));
    assert_non_null(find_ev(0, SAMI_XFER_EV_RESULT, MIG));
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_non_null(find_ev(1, SAMI_XFER_EV_PURGED, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 0);
}

/* COMMIT with a digest that does not match what B staged: nothing is
 * installed, both sides report DIGEST. The COMMIT is re-signed with the
 * shared key (a buggy source, not an outsider). */
static int filter_bad_digest(struct qmsg *m)
{
    if (m->from != 0 || m->b[1] != SAMI_XFER_COMMIT)
        return 1;
    struct sami_xfer_msg msg;
    assert_int_equal(sami_xfer_decode(m->b, m->len, &msg, NULL), 0);
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    sami_xfer_iter_init(&it, &msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1)
        if (el.type == SAMI_XFER_E_DIGEST)
            m->b[el.offset + 7] ^= 0x01;
    struct sami_xfer_key k = mkkey(1, KEY1);
    assert_int_equal(sami_xfer_seal(m->b, m->len, &k, msg.seq, NULL), 0);
    return 1;
}

static void test_digest_mismatch_nothing_installed(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(6);
    populate(0, &vm, 10, 5, 0, 0, 0);
    T.filter = filter_bad_digest;
    precopy_and_commit(&vm, 1);
    run_for(SAMI_SEC(5));
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_FAILED);
    assert_int_equal(r->reason, SAMI_XFER_R_DIGEST);
    assert_int_equal(C(1)->digest_mismatch, 1);
    assert_null(find_ev(1, SAMI_XFER_EV_INSTALLED, MIG));
    const struct sami_xfer_event *e = find_ev(1, SAMI_XFER_EV_ERROR, MIG);
    assert_non_null(e);
    assert_int_equal(e->reason, SAMI_XFER_R_DIGEST);
    assert_int_equal(vm_count(1, &vm, NULL), 0);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm) &
                         (SAMI_STORE_VM_STAGING | SAMI_STORE_VM_PENDING),
                     0);
    /* the source keeps everything */
    assert_int_equal(vm_count(0, &vm, NULL), 10 + 2 + 2);
    assert_int_equal(sami_xfer_engine_state(T.n[0].eng, MIG, SAMI_XFER_ROLE_SOURCE),
                     SAMI_XFER_MS_FAILED);
    /* abort: the source unfreezes; learners work again */
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DIGEST), 0);
    run_for(SAMI_SEC(2));
    put(0, &vm, rec_dhcp(999, 1000));
    assert_int_equal(sami_xfer_engine_active(T.n[0].eng), 0);
}

/* Nobody announced the migration at B: refused and counted, nothing
 * staged; once B's hypervisor announces it, the retried pre-copy goes in. */
static void test_unsolicited_refused_then_accepted(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(7);
    populate(0, &vm, 8, 0, 0, 0, 0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              T.now + SAMI_SEC(5)),
                     0);
    run_for(SAMI_MSEC(50));
    assert_true(C(1)->unsolicited >= 1);
    assert_int_equal(C(1)->records_rx, 0);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    assert_null(find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG));
    assert_true(C(0)->unsolicited >= 1);
    /* the VM identity must match too */
    struct sami_vm_id other = mkvm(70);
    assert_int_equal(
        sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &other, -1, 0, SAMI_NO_DEADLINE), 0);
    uint64_t before = C(1)->unsolicited;
    run_for(SAMI_MSEC(300));
    assert_true(C(1)->unsolicited > before);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    assert_int_equal(sami_xfer_engine_forget(T.n[1].eng, MIG, SAMI_XFER_ROLE_DEST), 0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(2));
    const struct sami_xfer_event *p = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG);
    assert_non_null(p);
    assert_int_equal(p->status, SAMI_XFER_ST_OK);
    assert_int_equal(C(1)->records_rx, 8);
}

static void test_unsolicited_until_deadline(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(8);
    populate(0, &vm, 3, 0, 0, 0, 0);
    sami_usec_t dl = T.now + SAMI_SEC(2);
    assert_int_equal(
        sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0, dl), 0);
    run_for(SAMI_SEC(5));
    const struct sami_xfer_event *t = find_ev(0, SAMI_XFER_EV_TIMEOUT, MIG);
    assert_non_null(t);
    assert_int_equal(t->reason, SAMI_XFER_R_DEADLINE);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    assert_int_equal(vm_count(0, &vm, NULL), 3);
    assert_true(C(1)->unsolicited >= 3); /* retried with backoff */
    assert_int_equal(C(1)->records_rx, 0);
}

/* Security: forged, replayed, wrong key, unknown and wrong peers. */
static struct qmsg captured;
static int capture_first_precopy(struct qmsg *m)
{
    if (m->from == 0 && m->b[1] == SAMI_XFER_PRECOPY && !captured.b) {
        captured = *m;
        captured.b = malloc(m->len);
        memcpy(captured.b, m->b, m->len);
    }
    return 1;
}

static void test_forged_replayed_refused(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    memset(&captured, 0, sizeof captured);
    struct sami_vm_id vm = mkvm(9);
    populate(0, &vm, 5, 0, 0, 0, 0);
    T.filter = capture_first_precopy;
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(1));
    assert_non_null(captured.b);
    int pa = T.n[1].peer_of[0];
    struct sami_xfer_engine *b = T.n[1].eng;
    uint64_t rx = C(1)->records_rx;

    /* replay of an accepted message */
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, captured.b, captured.len),
                     SAMI_ERR_REPLAY);
    assert_int_equal(C(1)->replay, 1);
    /* forged: one body bit flipped (a record), or the tag */
    uint8_t *f = malloc(captured.len);
    memcpy(f, captured.b, captured.len);
    f[captured.len - 40] ^= 0x80;
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, f, captured.len), SAMI_ERR_AUTH);
    memcpy(f, captured.b, captured.len);
    f[captured.len - 1] ^= 0x01;
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, f, captured.len), SAMI_ERR_AUTH);
    /* forged with a fresh sequence number (not a replay, still no key) */
    memcpy(f, captured.b, captured.len);
    f[captured.len - 17] = 0xee;
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, f, captured.len), SAMI_ERR_AUTH);
    assert_int_equal(C(1)->bad_auth, 3);
    /* wrong key id: signed with a key B does not have */
    struct sami_xfer_key k9 = mkkey(9, KEY2);
    memcpy(f, captured.b, captured.len);
    assert_int_equal(sami_xfer_seal(f, captured.len, &k9, 1000, NULL), 0);
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, f, captured.len), SAMI_ERR_NOKEY);
    assert_int_equal(C(1)->no_key, 1);
    /* right key id, wrong key bytes */
    struct sami_xfer_key k1b = mkkey(1, KEY2);
    memcpy(f, captured.b, captured.len);
    assert_int_equal(sami_xfer_seal(f, captured.len, &k1b, 1001, NULL), 0);
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, f, captured.len), SAMI_ERR_AUTH);
    /* truncated, oversize */
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, captured.b, 20), SAMI_ERR_LENGTH);
    assert_int_equal(sami_xfer_engine_input(b, T.now, pa, captured.b, captured.len - 1),
                     SAMI_ERR_LENGTH);
    assert_true(C(1)->bad_length >= 2);
    /* nothing of that changed the staging */
    assert_int_equal(C(1)->records_rx, rx);
    free(f);
    free(captured.b);
    captured.b = NULL;
}

static void test_unknown_and_wrong_peer(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(10);
    populate(2, &vm, 3, 0, 0, 0, 0);
    /* C (valid key, but not a configured peer of B) starts a pre-copy */
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[2].eng, T.now, T.n[2].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    /* B sees C's messages on "A's connection" (peer_of[2] is 0 in B) and by
     * header lookup: both refused */
    run_for(SAMI_SEC(1));
    assert_true(C(1)->unknown_peer >= 1);
    assert_int_equal(C(1)->records_rx, 0);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    /* header lookup (-1) of an unknown sender */
    size_t nq0 = T.nq;
    (void)sami_xfer_engine_precopy(T.n[2].eng, T.now, T.n[2].peer_of[1], MIG + 1, &vm, 0,
                                   SAMI_NO_DEADLINE);
    if (T.nq > nq0) {
        uint64_t u = C(1)->unknown_peer;
        assert_int_equal(
            sami_xfer_engine_input(T.n[1].eng, T.now, -1, T.q[T.nq - 1].b, T.q[T.nq - 1].len),
            SAMI_ERR_NOTFOUND);
        assert_int_equal(C(1)->unknown_peer, u + 1);
    }
    /* a known, authentic peer on the wrong connection: add C to B, then
     * feed C's message as if it came from A's connection */
    int pc = sami_xfer_engine_add_peer(T.n[1].eng, &T.n[2].id, SAMI_XFER_BIND_STREAM,
                                       (void *)(intptr_t)2, -1);
    assert_true(pc >= 0);
    T.n[1].peer_of[2] = pc;
    (void)sami_xfer_engine_precopy(T.n[2].eng, T.now, T.n[2].peer_of[1], MIG + 2, &vm, 0,
                                   SAMI_NO_DEADLINE);
    run_for(SAMI_MSEC(100)); /* C's HELLO retransmission reaches B and is answered */
    struct sami_xfer_builder bld;
    uint8_t buf[256];
    size_t len = 0;
    struct sami_xfer_hdr h = {.version = 1, .type = SAMI_XFER_HELLO, .sender = T.n[2].id};
    struct sami_xfer_caps caps = {1, 2, SAMI_DI_ALL_TYPES, 10, 65536};
    sami_xfer_build_begin(&bld, buf, sizeof buf, &h);
    sami_xfer_build_caps(&bld, &caps);
    struct sami_xfer_key k1 = mkkey(1, KEY1);
    assert_int_equal(sami_xfer_build_finish(&bld, &k1, 1u << 20, NULL, &len), 0);
    uint64_t w = C(1)->wrong_peer;
    assert_int_equal(sami_xfer_engine_input(T.n[1].eng, T.now, T.n[1].peer_of[0], buf, len),
                     SAMI_ERR_REJECTED);
    assert_int_equal(C(1)->wrong_peer, w + 1);
    /* our own id (a reflected message) */
    h.sender = T.n[1].id;
    sami_xfer_build_begin(&bld, buf, sizeof buf, &h);
    sami_xfer_build_caps(&bld, &caps);
    assert_int_equal(sami_xfer_build_finish(&bld, &k1, 5, NULL, &len), 0);
    assert_int_equal(sami_xfer_engine_input(T.n[1].eng, T.now, -1, buf, len), SAMI_ERR_NOTFOUND);
}

static void test_key_roll(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_xfer_keyring both = {{mkkey(1, KEY1), mkkey(2, KEY2)}, NULL};
    struct sami_xfer_keyring only2 = {{mkkey(2, KEY2)}, NULL};
    struct sami_vm_id vm = mkvm(11);
    populate(0, &vm, 6, 0, 0, 0, 0);
    /* 1: add key 2 everywhere, A switches to it, B still sends with 1 */
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[0].eng, &both, 2), 0);
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[1].eng, &both, 1), 0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(1));
    assert_non_null(find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG));
    assert_int_equal(C(1)->no_key + C(0)->no_key + C(1)->bad_auth, 0);
    /* 2: B drops key 1 but A goes back to signing with it: refused */
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[1].eng, &only2, 2), 0);
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[0].eng, &both, 1), 0);
    assert_int_equal(sami_store_freeze(&T.n[0].st, MIG), 0);
    assert_int_equal(sami_xfer_engine_commit(T.n[0].eng, T.now, MIG, SAMI_NO_DEADLINE), 0);
    run_for(SAMI_MSEC(25));
    assert_true(C(1)->no_key >= 1);
    assert_null(find_ev(0, SAMI_XFER_EV_RESULT, MIG));
    /* 3: A rolls to key 2: the retransmission goes through */
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[0].eng, &only2, 2), 0);
    run_for(SAMI_SEC(2));
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(vm_count(1, &vm, NULL), 6);
}

static void test_key_validity_window(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    /* B's key 1 expires at 2 s (ms of the engine clock) */
    struct sami_xfer_keyring kb = {{mkkey(1, KEY1)}, NULL};
    kb.keys[0].not_after_ms = 2000;
    assert_int_equal(sami_xfer_engine_set_keyring(T.n[1].eng, &kb, 1), 0);
    T.now = SAMI_SEC(3);
    struct sami_vm_id vm = mkvm(12);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_MSEC(5));
    assert_int_equal(C(1)->no_key, 1);
}

static void test_limits(void **state)
{
    NEED_HMAC();
    (void)state;
    /* B takes 10 records per migration, 15 in flight, 2 migrations, 5 per batch */
    struct node_cfg cb = {.max_records_per_migration = 10, .max_records_total = 15,
                          .max_migrations = 2};
    setup_nodes(NULL, &cb);
    struct sami_vm_id v1 = mkvm(21), v2 = mkvm(22), v3 = mkvm(23);
    populate(0, &v1, 12, 0, 0, 0, 0);
    /* source side: the peer's CAPS say 10 per migration: refused locally */
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, 1, &v1, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(
        sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], 1, &v1, 0, SAMI_NO_DEADLINE),
        0);
    run_for(SAMI_SEC(1));
    const struct sami_xfer_event *p = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, 1);
    assert_non_null(p);
    assert_int_equal(p->status, SAMI_XFER_ST_FAILED);
    assert_int_equal(p->reason, SAMI_XFER_R_LIMIT);
    assert_true(C(0)->limit >= 1);
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, 1, SAMI_XFER_R_LIMIT), 0);
    assert_int_equal(sami_xfer_engine_forget(T.n[1].eng, 1, SAMI_XFER_ROLE_DEST), 0);
    /* destination side, global: two migrations of 8 records each, 15 in flight */
    populate(0, &v2, 8, 0, 0, 0, 0);
    populate(0, &v3, 8, 0, 0, 0, 0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, 2, &v2, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, 3, &v3, -1, 0, SAMI_NO_DEADLINE),
                     0);
    /* concurrent migrations: a third is refused */
    struct sami_vm_id v4 = mkvm(24);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, 4, &v4, -1, 0, SAMI_NO_DEADLINE),
                     SAMI_ERR_LIMIT);
    assert_int_equal(
        sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], 2, &v2, 0, SAMI_NO_DEADLINE),
        0);
    assert_int_equal(
        sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], 3, &v3, 0, SAMI_NO_DEADLINE),
        0);
    run_for(SAMI_SEC(1));
    const struct sami_xfer_event *p2 = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, 2);
    const struct sami_xfer_event *p3 = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, 3);
    assert_non_null(p2);
    assert_non_null(p3);
    assert_int_equal(p2->status, SAMI_XFER_ST_OK);
    assert_int_equal(p3->status, SAMI_XFER_ST_FAILED);
    assert_int_equal(p3->reason, SAMI_XFER_R_LIMIT);
    assert_true(C(1)->limit >= 2);
    assert_true(sami_xfer_engine_records_held(T.n[1].eng) <= 15);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &v3) & SAMI_STORE_VM_STAGING, 0);
    const struct sami_xfer_event *e3 = find_ev(1, SAMI_XFER_EV_ERROR, 3);
    assert_non_null(e3);
    assert_int_equal(e3->reason, SAMI_XFER_R_LIMIT);
}

static void test_batch_limit_at_destination(void **state)
{
    NEED_HMAC();
    (void)state;
    struct node_cfg ca = {.max_batch_records = 100};
    struct node_cfg cb = {.max_batch_records = 5};
    setup_nodes(&ca, &cb);
    struct sami_vm_id vm = mkvm(30);
    populate(0, &vm, 20, 0, 0, 0, 0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(1));
    const struct sami_xfer_event *p = find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG);
    assert_non_null(p);
    assert_int_equal(p->reason, SAMI_XFER_R_LIMIT);
    assert_int_equal(C(1)->records_rx, 0);
}

static void test_source_abort_mid_precopy(void **state)
{
    NEED_HMAC();
    (void)state;
    struct node_cfg nc = {.max_msg = 2048, .max_batch_records = 4, .window = 1};
    setup_nodes(&nc, &nc);
    struct sami_vm_id vm = mkvm(40);
    populate(0, &vm, 40, 0, 0, 0, 0);
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_MSEC(4)); /* a few batches staged */
    assert_true(C(1)->records_rx > 0);
    assert_true(sami_store_vm_flags(&T.n[1].st, &vm) & SAMI_STORE_VM_STAGING);
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_ABORTED), 0);
    run_for(SAMI_SEC(1));
    assert_non_null(find_ev(1, SAMI_XFER_EV_ABORTED_BY_PEER, MIG));
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    assert_int_equal(vm_count(0, &vm, NULL), 40);
    assert_int_equal(sami_xfer_engine_active(T.n[0].eng), 0);
    assert_int_equal(sami_xfer_engine_active(T.n[1].eng), 0);
    assert_int_equal(sami_xfer_engine_records_held(T.n[1].eng), 0);
}

static void test_dest_abort_after_install(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(41);
    populate(0, &vm, 6, 2, 0, 0, 0);
    precopy_and_commit(&vm, 0);
    run_for(SAMI_SEC(2));
    assert_non_null(find_ev(1, SAMI_XFER_EV_INSTALLED, MIG));
    assert_int_equal(vm_count(1, &vm, NULL), 8);
    assert_int_equal(sami_xfer_engine_abort(T.n[1].eng, T.now, MIG, SAMI_XFER_R_ABORTED), 0);
    run_for(SAMI_SEC(1));
    assert_int_equal(vm_count(1, &vm, NULL), 0);
    assert_non_null(find_ev(0, SAMI_XFER_EV_ABORTED_BY_PEER, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 8);
    assert_int_equal(sami_xfer_engine_state(T.n[0].eng, MIG, SAMI_XFER_ROLE_SOURCE),
                     SAMI_XFER_MS_PEER_ABORTED);
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_ABORTED), 0);
    assert_int_equal(sami_xfer_engine_active(T.n[0].eng), 0);
}

static void test_dest_deadline_discards(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(42);
    populate(0, &vm, 5, 0, 0, 0, 0);
    assert_int_equal(
        sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, T.now + SAMI_SEC(2)), 0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(1));
    assert_true(sami_store_vm_flags(&T.n[1].st, &vm) & SAMI_STORE_VM_STAGING);
    run_for(SAMI_SEC(2)); /* SUSPENDED never comes */
    assert_non_null(find_ev(1, SAMI_XFER_EV_TIMEOUT, MIG));
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm), 0);
    assert_non_null(find_ev(0, SAMI_XFER_EV_ABORTED_BY_PEER, MIG));
    assert_int_equal(vm_count(0, &vm, NULL), 5);
}

/* ---- after the commit: the destination decides ---- */

static int g_cut;       /* every message between A and B is lost */
static int g_drop_type; /* messages of this type from B are lost (0: none) */

static int filter_cut(struct qmsg *m)
{
    if (g_cut && m->from != 2 && m->to != 2)
        return 0;
    return !(g_drop_type && m->from == 1 && m->b[1] == g_drop_type);
}

#define MIG2 0x1122334455667799ull

static int src_state(int node)
{
    return sami_xfer_engine_state(T.n[node].eng, MIG, SAMI_XFER_ROLE_SOURCE);
}

static int dst_state(int node)
{
    return sami_xfer_engine_state(T.n[node].eng, MIG, SAMI_XFER_ROLE_DEST);
}

/* Fabric cut after the commit, BR-D activates, BR-O's deadline passes and
 * its caller aborts (unfreeze, ABORT: lost too): BR-O keeps every record
 * and waits UNRESOLVED; the healed link brings BR-D's resent ACTIVATE,
 * which still purges. */
static void to_committed(const struct sami_vm_id *vm)
{
    g_cut = 0;
    g_drop_type = 0;
    T.filter = filter_cut;
    populate(0, vm, 6, 2, 0, 1, 0);
    precopy_and_commit(vm, 0);
    run_for(SAMI_SEC(2));
    assert_int_equal(find_ev(0, SAMI_XFER_EV_RESULT, MIG)->status, SAMI_XFER_ST_OK);
    assert_int_equal(src_state(0), SAMI_XFER_MS_COMMITTED);
    assert_int_equal(dst_state(1), SAMI_XFER_MS_INSTALLED);
}

static void test_late_activate_after_deadline(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(60);
    to_committed(&vm);
    g_cut = 1;
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_SEC(30)); /* past the source's deadline (commit + 30 s) */
    assert_non_null(find_ev(0, SAMI_XFER_EV_TIMEOUT, MIG));
    assert_int_equal(src_state(0), SAMI_XFER_MS_COMMITTED); /* a late ACTIVATE still counts */
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DEADLINE), 0);
    assert_int_equal(src_state(0), SAMI_XFER_MS_ABORTING);
    /* unfrozen, no source migration left in the store, every record kept */
    assert_int_equal(sami_store_vm_flags(&T.n[0].st, &vm) &
                         (SAMI_STORE_VM_FROZEN | SAMI_STORE_VM_SOURCE),
                     0);
    run_for(SAMI_SEC(5)); /* the ABORT's retries run out */
    assert_int_equal(src_state(0), SAMI_XFER_MS_UNRESOLVED);
    assert_int_equal(C(0)->unresolved, 1);
    assert_int_equal(vm_count(0, &vm, NULL), 9);
    assert_int_equal(vm_count(1, &vm, NULL), 9);
    assert_int_equal(dst_state(1), SAMI_XFER_MS_ACTIVATING);
    assert_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    /* a source migration that is over is not aborted twice */
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DEADLINE), 0);
    g_cut = 0;
    run_for(SAMI_SEC(2)); /* BR-D resends at most 64 x rto apart */
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    const struct sami_xfer_event *pg = find_ev(1, SAMI_XFER_EV_PURGED, MIG);
    assert_non_null(pg);
    assert_int_equal(pg->status, SAMI_XFER_ST_OK);
    assert_int_equal(C(0)->late_activations, 1);
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_int_equal(vm_count(1, &vm, NULL), 9);
    run_for(SAMI_SEC(10));
    for (int i = 0; i < 2; i++) {
        assert_int_equal(sami_xfer_engine_active(T.n[i].eng), 0);
        assert_true(sami_xfer_engine_next_deadline(T.n[i].eng) == SAMI_NO_DEADLINE);
    }
}

/* BR-O's ABORT crosses BR-D's (lost) ACTIVATE: BR-D, which runs the VM,
 * answers it with ACTIVATE instead of an ACK; BR-O purges and answers
 * PURGE. */
static void test_abort_after_activation_answered(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(61);
    to_committed(&vm);
    g_drop_type = SAMI_XFER_ACTIVATE;
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_MSEC(1)); /* the first ACTIVATE is lost */
    g_drop_type = 0;
    unsigned acks = T.seen_type[SAMI_XFER_ACK];
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DEADLINE), 0);
    run_for(SAMI_MSEC(5)); /* before BR-D's own resend (rto 10 ms) */
    assert_int_equal(C(1)->abort_answered, 1);
    assert_int_equal(C(1)->retransmits, 0);
    assert_int_equal(T.seen_type[SAMI_XFER_ACK], acks); /* no ACK: that would mean "discarded" */
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_int_equal(find_ev(1, SAMI_XFER_EV_PURGED, MIG)->status, SAMI_XFER_ST_OK);
    assert_int_equal(C(0)->late_activations, 1);
    assert_int_equal(src_state(0), SAMI_XFER_MS_DONE);
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_int_equal(vm_count(1, &vm, NULL), 9);
    assert_null(find_ev(1, SAMI_XFER_EV_ABORTED_BY_PEER, MIG));
}

/* The same ABORT before BR-D activated: BR-D discards and acknowledges,
 * which settles it the other way (everything at BR-O, nothing pending). */
static void test_abort_after_result_not_activated(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(62);
    to_committed(&vm);
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DEADLINE), 0);
    run_for(SAMI_MSEC(5));
    assert_non_null(find_ev(1, SAMI_XFER_EV_ABORTED_BY_PEER, MIG));
    assert_int_equal(src_state(0), SAMI_XFER_MS_NONE);
    assert_int_equal(C(0)->unresolved, 0);
    assert_int_equal(vm_count(0, &vm, NULL), 9);
    assert_int_equal(vm_count(1, &vm, NULL), 0);
    assert_int_equal(sami_store_vm_flags(&T.n[0].st, &vm) &
                         (SAMI_STORE_VM_FROZEN | SAMI_STORE_VM_SOURCE),
                     0);
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_active(T.n[0].eng), 0);
    assert_int_equal(sami_xfer_engine_active(T.n[1].eng), 0);
}

/* BR-D cannot reach BR-O: it resends ACTIVATE with growing intervals
 * (10, 20, ... 640 ms: rto doubling up to 64 x) and gives up at
 * activate() + resolve, keeping the VM's DI active. */
static void test_activate_retry_giveup(void **state)
{
    NEED_HMAC();
    (void)state;
    struct node_cfg nb = {.resolve = SAMI_SEC(2)};
    setup_nodes(NULL, &nb);
    struct sami_vm_id vm = mkvm(63);
    to_committed(&vm);
    g_cut = 1;
    sami_usec_t t0 = T.now;
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    assert_true(sami_xfer_engine_next_deadline(T.n[1].eng) == t0 + SAMI_MSEC(10));
    run_until(t0 + SAMI_SEC(2) - 1);
    assert_int_equal(dst_state(1), SAMI_XFER_MS_ACTIVATING);
    /* sent at 0, 10, 30, 70, 150, 310, 630, 1270, 1910 ms */
    assert_int_equal(T.seen_type[SAMI_XFER_ACTIVATE], 9);
    assert_true(sami_xfer_engine_next_deadline(T.n[1].eng) == t0 + SAMI_SEC(2));
    run_until(t0 + SAMI_SEC(2));
    const struct sami_xfer_event *e = find_ev(1, SAMI_XFER_EV_ERROR, MIG);
    assert_non_null(e);
    assert_int_equal(e->reason, SAMI_XFER_R_UNREACHABLE);
    assert_int_equal(C(1)->activate_giveups, 1);
    assert_int_equal(T.seen_type[SAMI_XFER_ACTIVATE], 9);
    assert_int_equal(sami_xfer_engine_active(T.n[1].eng), 0);
    assert_true(sami_xfer_engine_next_deadline(T.n[1].eng) == SAMI_NO_DEADLINE);
    /* active at BR-D: the VM runs there */
    assert_int_equal(vm_count(1, &vm, NULL), 9);
    assert_int_equal(sami_store_vm_flags(&T.n[1].st, &vm) & SAMI_STORE_VM_PENDING, 0);
}

/* An unresolved migration of a VM that then comes back (BR-O is the
 * destination of a newer migration of it): the old ACTIVATE, arriving
 * late, must not purge what the newer migration brings. It is ignored
 * and answered PURGE FAILED, which ends BR-D's resending. */
static void test_stale_activate_superseded(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(64);
    to_committed(&vm);
    g_cut = 1;
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    assert_int_equal(sami_xfer_engine_abort(T.n[0].eng, T.now, MIG, SAMI_XFER_R_DEADLINE), 0);
    run_for(SAMI_SEC(1));
    assert_int_equal(src_state(0), SAMI_XFER_MS_UNRESOLVED);
    assert_int_equal(sami_xfer_engine_expect(T.n[0].eng, T.now, MIG2, &vm, T.n[0].peer_of[1], 0,
                                             T.now + SAMI_SEC(60)),
                     0);
    assert_int_equal(C(0)->superseded, 1);
    assert_int_equal(src_state(0), SAMI_XFER_MS_NONE);
    g_cut = 0;
    run_for(SAMI_SEC(2));
    assert_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_int_equal(C(0)->late_activations, 0);
    assert_true(C(0)->activate_unknown >= 1);
    assert_int_equal(vm_count(0, &vm, NULL), 9); /* not purged */
    const struct sami_xfer_event *pg = find_ev(1, SAMI_XFER_EV_PURGED, MIG);
    assert_non_null(pg);
    assert_int_equal(pg->status, SAMI_XFER_ST_FAILED);
    assert_int_equal(pg->reason, SAMI_XFER_R_REJECTED);
    assert_int_equal(sami_xfer_engine_active(T.n[1].eng), 0);
    /* the same for a newer migration from here (this bridge the source) */
    assert_int_equal(sami_xfer_engine_forget(T.n[0].eng, MIG2, SAMI_XFER_ROLE_DEST), 0);
    struct sami_xfer_pending p = {MIG, SAMI_XFER_ROLE_SOURCE, T.n[0].peer_of[1], vm,
                                  SAMI_NO_DEADLINE};
    assert_int_equal(sami_xfer_engine_adopt(T.n[0].eng, T.now, &p), 0);
    assert_int_equal(src_state(0), SAMI_XFER_MS_UNRESOLVED);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG2, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(C(0)->superseded, 2);
    assert_int_equal(src_state(0), SAMI_XFER_MS_NONE);
}

/* Both bridges restart after BR-D activated and before BR-O heard it: each
 * host keeps the engine's pending migrations with its DI tables and the
 * restarted engines adopt them; BR-D sends ACTIVATE again, BR-O purges. */
static void test_restart_adopts_pending(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(65);
    to_committed(&vm);
    g_drop_type = SAMI_XFER_ACTIVATE;
    sami_usec_t t0 = T.now;
    assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
    run_for(SAMI_MSEC(1));
    struct sami_xfer_pending pa[2], pb[2];
    assert_int_equal(sami_xfer_engine_list_pending(T.n[0].eng, pa, 2), 1);
    assert_int_equal(pa[0].role, SAMI_XFER_ROLE_SOURCE);
    assert_true(pa[0].migration_id == MIG);
    assert_int_equal(pa[0].peer, T.n[0].peer_of[1]);
    assert_true(sami_store_vm_equal(&pa[0].vm, &vm));
    assert_true(pa[0].until == SAMI_NO_DEADLINE);
    assert_int_equal(sami_xfer_engine_list_pending(T.n[1].eng, NULL, 0), 1);
    assert_int_equal(sami_xfer_engine_list_pending(T.n[1].eng, pb, 2), 1);
    assert_int_equal(pb[0].role, SAMI_XFER_ROLE_DEST);
    assert_true(pb[0].until == t0 + SAMI_SEC(600));
    /* BR-O's host rolls its store back (unfrozen, records kept) */
    sami_store_source_end(&T.n[0].st, MIG);
    struct node_cfg re = {.seq_start = 1ull << 40};
    engine_restart(0, &re);
    engine_restart(1, &re);
    assert_int_equal(src_state(0), SAMI_XFER_MS_NONE);
    assert_int_equal(sami_xfer_engine_adopt(T.n[0].eng, T.now, &pa[0]), 0);
    assert_int_equal(sami_xfer_engine_adopt(T.n[0].eng, T.now, &pa[0]), SAMI_ERR_EXISTS);
    assert_int_equal(src_state(0), SAMI_XFER_MS_UNRESOLVED);
    g_drop_type = 0;
    assert_int_equal(sami_xfer_engine_adopt(T.n[1].eng, T.now, &pb[0]), 0);
    assert_int_equal(dst_state(1), SAMI_XFER_MS_ACTIVATING);
    run_for(SAMI_MSEC(5));
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_int_equal(find_ev(1, SAMI_XFER_EV_PURGED, MIG)->status, SAMI_XFER_ST_OK);
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_int_equal(vm_count(1, &vm, NULL), 9);
    assert_int_equal(C(0)->adopted, 1);
    assert_int_equal(C(1)->adopted, 1);
    /* bad adoptions */
    struct sami_xfer_pending bad = pa[0];
    bad.role = 0;
    assert_int_equal(sami_xfer_engine_adopt(T.n[0].eng, T.now, &bad), SAMI_ERR_INVAL);
    bad.role = SAMI_XFER_ROLE_SOURCE;
    bad.peer = 9;
    assert_int_equal(sami_xfer_engine_adopt(T.n[0].eng, T.now, &bad), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_adopt(NULL, T.now, &bad), SAMI_ERR_INVAL);
}

static int filter_drop_all_b(struct qmsg *m) { return m->to != 1; }

static void test_peer_unreachable(void **state)
{
    (void)state;
    setup_nodes(NULL, NULL);
    T.filter = filter_drop_all_b;
    struct sami_vm_id vm = mkvm(43);
    populate(0, &vm, 5, 0, 0, 0, 0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, T.n[0].peer_of[1], MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    run_for(SAMI_SEC(5));
    const struct sami_xfer_event *e = find_ev(0, SAMI_XFER_EV_ERROR, MIG);
    assert_non_null(e);
    assert_int_equal(e->reason, SAMI_XFER_R_UNREACHABLE);
    assert_int_equal(e->error, SAMI_ERR_RETRIES);
    assert_int_equal(vm_count(0, &vm, NULL), 5);
    /* the engine is idle afterwards: nothing waits forever */
    assert_true(sami_xfer_engine_next_deadline(T.n[0].eng) == SAMI_NO_DEADLINE);
}

/* A host opens the session when its connection comes up (samid does):
 * one HELLO each way and their answers, nothing after; the first migration
 * then goes without a HELLO. */
static void test_hello_on_connect(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    int pb = T.n[0].peer_of[1];
    assert_int_equal(sami_xfer_engine_hello(NULL, T.now, pb), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_engine_hello(T.n[0].eng, T.now, -1), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_engine_hello(T.n[0].eng, T.now, 7), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_engine_hello(T.n[0].eng, T.now, pb), 0);
    assert_int_equal(sami_xfer_engine_hello(T.n[0].eng, T.now, pb), 0); /* outstanding */
    assert_int_equal(T.seen_type[SAMI_XFER_HELLO], 1);
    run_for(SAMI_SEC(5));
    /* A's HELLO, B's own (it had none) and both answers */
    assert_int_equal(T.seen_type[SAMI_XFER_HELLO], 4);
    for (int i = 0; i < NNODES; i++) {
        assert_int_equal(T.n[i].nev, 0);
        assert_true(sami_xfer_engine_next_deadline(T.n[i].eng) == SAMI_NO_DEADLINE);
        assert_int_equal(sami_xfer_engine_counters(T.n[i].eng)->bad_auth, 0);
    }
    struct sami_vm_id vm = mkvm(44);
    populate(0, &vm, 10, 2, 0, 0, 0);
    precopy_and_commit(&vm, 0);
    run_for(SAMI_SEC(5));
    assert_int_equal(T.seen_type[SAMI_XFER_HELLO], 4); /* the session was open */
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(vm_count(1, &vm, NULL), 12);
}

/* Nobody answers: resent, then dropped; no event, nothing left waiting. */
static void test_hello_on_connect_unanswered(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    T.filter = filter_drop_all_b;
    assert_int_equal(sami_xfer_engine_hello(T.n[0].eng, T.now, T.n[0].peer_of[1]), 0);
    run_for(SAMI_SEC(60));
    assert_true(T.seen_type[SAMI_XFER_HELLO] > 1);
    assert_int_equal(T.n[0].nev, 0);
    assert_true(sami_xfer_engine_next_deadline(T.n[0].eng) == SAMI_NO_DEADLINE);
}

static void test_api_errors(void **state)
{
    (void)state;
    setup_nodes(NULL, NULL);
    struct sami_vm_id vm = mkvm(44), vm2 = mkvm(45);
    struct sami_xfer_engine *a = T.n[0].eng;
    assert_int_equal(sami_xfer_engine_precopy(a, T.now, 7, MIG, &vm, 0, 0), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_commit(a, T.now, MIG, 0), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_activate(a, T.now, MIG), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_abort(a, T.now, MIG, 0), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_xfer_engine_precopy(a, T.now, 0, MIG, &vm, 0, SAMI_NO_DEADLINE), 0);
    assert_int_equal(sami_xfer_engine_precopy(a, T.now, 0, MIG, &vm, 0, SAMI_NO_DEADLINE),
                     SAMI_ERR_EXISTS);
    assert_int_equal(sami_xfer_engine_expect(a, T.now, MIG + 1, &vm2, -1, 0, 0), 0);
    assert_int_equal(sami_xfer_engine_expect(a, T.now, MIG + 1, &vm, -1, 0, 0), SAMI_ERR_EXISTS);
    assert_int_equal(sami_xfer_engine_activate(a, T.now, MIG + 1), SAMI_ERR_STATE);
    assert_int_equal(sami_xfer_engine_add_peer(a, &T.n[1].id, SAMI_XFER_BIND_STREAM, NULL, -1),
                     SAMI_ERR_EXISTS);
    assert_int_equal(sami_xfer_engine_add_peer(a, &T.n[0].id, SAMI_XFER_BIND_STREAM, NULL, -1),
                     SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_engine_add_peer(a, &T.n[2].id, SAMI_XFER_BIND_L2, NULL, 0),
                     SAMI_ERR_INVAL); /* no link attached */
    assert_int_equal(sami_xfer_engine_find_peer(a, &T.n[1].id), T.n[0].peer_of[1]);
    assert_string_equal(sami_xfer_event_name(SAMI_XFER_EV_PURGED), "PURGED");
    assert_string_equal(sami_xfer_mig_state_name(SAMI_XFER_MS_REFUSED), "refused");
    struct sami_xfer_engine_cfg bad;
    memset(&bad, 0, sizeof bad);
    struct sami_xfer_engine *x = NULL;
    assert_int_equal(sami_xfer_engine_create(&bad, &x), SAMI_ERR_INVAL);
    bad.alloc = ALLOC;
    bad.store = T.n[0].st;
    bad.limits.max_msg = 100;
    assert_int_equal(sami_xfer_engine_create(&bad, &x), SAMI_ERR_INVAL);
    bad.limits.max_msg = 0;
    bad.window = 17;
    assert_int_equal(sami_xfer_engine_create(&bad, &x), SAMI_ERR_INVAL);
}

/* An allocator that fails its Nth call: create() must return NOMEM and
 * free what it took (destroy walks the tables allocated before the failure:
 * they must be zeroed; ASan / LeakSanitizer check the rest). */
static int fail_at, alloc_calls;
static void *fail_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return ++alloc_calls == fail_at ? NULL : malloc(n);
}

static void test_create_alloc_failure(void **state)
{
    (void)state;
    struct sami_memstore_config mc = {.alloc = ALLOC};
    struct sami_memstore *ms = NULL;
    assert_int_equal(sami_memstore_create(&mc, &ms), 0);
    struct sami_xfer_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.alloc = (struct sami_allocator){fail_alloc, t_free, NULL};
    c.store = sami_memstore_store(ms);
    int failed = 0;
    for (fail_at = 1; fail_at <= 8; fail_at++) {
        alloc_calls = 0;
        struct sami_xfer_engine *x = NULL;
        int rc = sami_xfer_engine_create(&c, &x);
        if (fail_at <= alloc_calls) {
            assert_int_equal(rc, SAMI_ERR_NOMEM);
            assert_null(x);
            failed++;
        } else {
            assert_int_equal(rc, 0);
            sami_xfer_engine_destroy(x);
        }
    }
    assert_true(failed >= 4); /* engine, peers, migrations, message buffer */
    sami_memstore_destroy(ms);
}

/* L2 binding in-process: the engine hands messages to an xfer_link. */
static struct sami_xfer_link LK[2];
static struct sami_xfer_link_peer LP[2][1];
static uint8_t LQ[2][1 << 18], LR[2][70000];
static struct {
    int to;
    size_t len;
    uint8_t b[1500];
} LF[4096];
static size_t nlf;

static void l2_tx(void *ctx, int peer, void *handle, const uint8_t *frame, size_t len)
{
    (void)peer;
    (void)handle;
    assert_true(nlf < 4096);
    LF[nlf].to = 1 - (int)(intptr_t)ctx;
    LF[nlf].len = len;
    memcpy(LF[nlf].b, frame, len);
    nlf++;
}

static void l2_unused_deliver(void *ctx, sami_usec_t now, int peer, void *handle,
                              const uint8_t *msg, size_t len)
{
    (void)ctx, (void)now, (void)peer, (void)handle, (void)msg, (void)len;
    fail_msg("the engine should have taken the deliver callback");
}

static void test_l2_binding_happy_path(void **state)
{
    NEED_HMAC();
    (void)state;
    setup_nodes(NULL, NULL);
    /* rebuild A and B with links */
    for (int i = 0; i < 2; i++) {
        sami_xfer_engine_destroy(T.n[i].eng);
        struct sami_xfer_link_cfg lc = {.mtu = 1500, .window = 4, .rto = 2000, .retries = 10,
                                        .tx_frame = l2_tx, .tx_ctx = (void *)(intptr_t)i};
        lc.deliver = l2_unused_deliver; /* replaced by the engine */
        assert_int_equal(sami_xfer_link_init(&LK[i], &lc, LP[i], 1), 0);
        assert_int_equal(sami_xfer_link_add_peer(&LK[i], NULL, LQ[i], sizeof LQ[i], LR[i],
                                                 sizeof LR[i]),
                         0);
        struct sami_xfer_engine_cfg c;
        memset(&c, 0, sizeof c);
        c.local = T.n[i].id;
        c.keyring.keys[0] = mkkey(1, KEY1);
        c.rto = SAMI_MSEC(50);
        c.store = T.n[i].st;
        c.alloc = ALLOC;
        c.event = ev_cb;
        c.ctx = &T.n[i];
        c.link = &LK[i];
        assert_int_equal(sami_xfer_engine_create(&c, &T.n[i].eng), 0);
        assert_int_equal(sami_xfer_engine_add_peer(T.n[i].eng, &T.n[1 - i].id, SAMI_XFER_BIND_L2,
                                                   NULL, 0),
                         0);
    }
    struct sami_vm_id vm = mkvm(50);
    populate(0, &vm, 300, 50, 20, 0, 10); /* > one frame: fragmented */
    assert_int_equal(sami_xfer_engine_expect(T.n[1].eng, T.now, MIG, &vm, -1, 0, SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(T.n[0].eng, T.now, 0, MIG, &vm, 0, SAMI_NO_DEADLINE),
                     0);
    int committed = 0, activated = 0;
    nlf = 0;
    for (int steps = 0; steps < 100000; steps++) {
        if (nlf) {
            /* deliver the oldest frame */
            int to = LF[0].to;
            size_t len = LF[0].len;
            uint8_t f[1500];
            memcpy(f, LF[0].b, len);
            memmove(&LF[0], &LF[1], (nlf - 1) * sizeof LF[0]);
            nlf--;
            T.now += 10;
            assert_int_equal(sami_xfer_link_input(&LK[to], T.now, 0, f, len), 0);
            continue;
        }
        if (!committed && find_ev(0, SAMI_XFER_EV_PRECOPY_DONE, MIG)) {
            committed = 1;
            put(0, &vm, rec_dhcp(1, 9999999));
            assert_int_equal(sami_store_freeze(&T.n[0].st, MIG), 0);
            assert_int_equal(sami_xfer_engine_commit(T.n[0].eng, T.now, MIG, SAMI_NO_DEADLINE), 0);
            continue;
        }
        if (!activated && find_ev(0, SAMI_XFER_EV_RESULT, MIG)) {
            activated = 1;
            assert_int_equal(sami_xfer_engine_activate(T.n[1].eng, T.now, MIG), 0);
            continue;
        }
        sami_usec_t d0 = sami_xfer_engine_next_deadline(T.n[0].eng);
        sami_usec_t d1 = sami_xfer_engine_next_deadline(T.n[1].eng);
        sami_usec_t d = d0 < d1 ? d0 : d1;
        if (d == SAMI_NO_DEADLINE)
            break;
        if (d > T.now)
            T.now = d;
        sami_xfer_engine_run(T.n[d0 <= d1 ? 0 : 1].eng, T.now);
    }
    const struct sami_xfer_event *r = find_ev(0, SAMI_XFER_EV_RESULT, MIG);
    assert_non_null(r);
    assert_int_equal(r->status, SAMI_XFER_ST_OK);
    assert_int_equal(r->counts[0], 380);
    assert_non_null(find_ev(0, SAMI_XFER_EV_ACTIVATED, MIG));
    assert_non_null(find_ev(1, SAMI_XFER_EV_PURGED, MIG));
    assert_int_equal(vm_count(1, &vm, NULL), 380);
    assert_int_equal(vm_count(0, &vm, NULL), 0);
    assert_true(sami_xfer_link_stats(&LK[0])->frames_tx > 10); /* the pre-copy was fragmented */
    assert_int_equal(sami_xfer_link_stats(&LK[0])->msgs_failed, 0);
}


/* ---------------------------------------------- deadline index (dlheap) -- */

/* next_deadline answers from an earliest-deadline index kept beside the
 * peer and migration tables; after every operation it must equal a scan
 * of the tables, and every entry's queued key its own earliest timer. */
static void check_index(void)
{
    for (int i = 0; i < NNODES; i++) {
        int ok = 0;
        sami_usec_t scan = sami_xfer_engine_scan_deadline(T.n[i].eng, &ok);
        assert_int_equal(ok, 1);
        assert_true(sami_xfer_engine_next_deadline(T.n[i].eng) == scan);
    }
}

/* One step of run_until: the earliest message or timer, nothing if idle. */
static void step_one(void)
{
    sami_usec_t next = SAMI_NO_DEADLINE;
    size_t qi = SIZE_MAX;
    for (size_t i = 0; i < T.nq; i++)
        if (T.q[i].at < next) {
            next = T.q[i].at;
            qi = i;
        }
    int en = -1;
    for (int i = 0; i < NNODES; i++) {
        sami_usec_t d = sami_xfer_engine_next_deadline(T.n[i].eng);
        if (d < next) {
            next = d;
            en = i;
        }
    }
    if (next == SAMI_NO_DEADLINE)
        return;
    if (next > T.now)
        T.now = next;
    if (en >= 0) {
        sami_xfer_engine_run(T.n[en].eng, T.now);
        return;
    }
    struct qmsg m = T.q[qi];
    memmove(&T.q[qi], &T.q[qi + 1], (T.nq - qi - 1) * sizeof T.q[0]);
    T.nq--;
    if (rnd() % 16) /* 1 in 16 lost: retransmissions, timeouts */
        (void)sami_xfer_engine_input(T.n[m.to].eng, T.now, T.n[m.to].peer_of[m.from], m.b,
                                     m.len);
    free(m.b);
}

static void test_deadline_index_matches_scan(void **state)
{
    NEED_HMAC();
    (void)state;
    /* small batches and window: many units, timers and states per migration */
    struct node_cfg nc = {.max_migrations = 6, .max_batch_records = 2, .window = 2,
                          .retries = 3, .resolve = SAMI_MSEC(400)};
    setup_nodes(&nc, &nc);
    wire(0, 2); /* A also knows C, which never answers: HELLO retries, give-ups */
    T.rng = 0x9E3779B97F4A7C15ull;
    for (uint32_t v = 1; v <= 8; v++) {
        struct sami_vm_id vm = mkvm(v);
        populate(0, &vm, (int)(v % 4), 1, (int)(v % 2), 1, (int)(v % 3));
        populate(1, &vm, 2, (int)(v % 3), 0, 1, 1);
    }
    check_index();
    unsigned ops[12] = {0};
    for (int it = 0; it < 6000; it++) {
        int a = (int)(rnd() % 2), b = 1 - a;
        uint32_t v = 1 + (uint32_t)(rnd() % 8);
        uint64_t id = 0x500 + v;
        struct sami_vm_id vm = mkvm(v);
        struct sami_xfer_engine *ea = T.n[a].eng;
        sami_usec_t dl = rnd() % 4 ? T.now + SAMI_MSEC(rnd() % 1000) : SAMI_NO_DEADLINE;
        uint32_t types = rnd() % 4 ? 0 : (uint32_t)(rnd() % 64);
        int role = 1 + (int)(rnd() % 2);
        unsigned op = (unsigned)(rnd() % 16);
        ops[op < 12 ? op : 11]++;
        switch (op) {
        case 0: { /* pre-copy to B, now and then to the silent C */
            int to = rnd() % 6 ? b : 2;
            if (to == 2 && a != 0)
                to = b;
            (void)sami_xfer_engine_precopy(ea, T.now, T.n[a].peer_of[to], id, &vm, types, dl);
            break;
        }
        case 1:
            (void)sami_store_freeze(&T.n[a].st, id);
            (void)sami_xfer_engine_commit(ea, T.now, id, dl);
            break;
        case 2:
            (void)sami_xfer_engine_expect(ea, T.now, id, &vm, rnd() % 2 ? -1 : T.n[a].peer_of[b],
                                          types, dl);
            break;
        case 3:
            (void)sami_xfer_engine_activate(ea, T.now, id);
            break;
        case 4:
            if (rnd() % 3 == 0)
                (void)sami_xfer_engine_abort(ea, T.now, id, (uint16_t)(rnd() % 12));
            break;
        case 5:
            (void)sami_xfer_engine_set_deadline(ea, id, role, dl);
            break;
        case 6:
            if (rnd() % 8 == 0)
                (void)sami_xfer_engine_forget(ea, id, role);
            break;
        case 7: { /* a host restart: pending migrations handed over again */
            struct sami_xfer_pending pend[8];
            size_t n = sami_xfer_engine_list_pending(ea, pend, 8);
            for (size_t k = 0; k < n && k < 8; k++) {
                assert_int_equal(sami_xfer_engine_forget(ea, pend[k].migration_id, pend[k].role),
                                 0);
                check_index();
                assert_int_equal(sami_xfer_engine_adopt(ea, T.now, &pend[k]), 0);
            }
            break;
        }
        case 8: /* time passes, every engine runs (most of it early: nothing due) */
            T.now += SAMI_MSEC(rnd() % 20);
            for (int i = 0; i < NNODES; i++)
                sami_xfer_engine_run(T.n[i].eng, T.now);
            break;
        default: /* the next message or timer */
            step_one();
            break;
        }
        check_index();
    }
    /* drain: everything ends (timers, lingers, resolve), the index empties */
    for (int i = 0; i < 100000 && (T.nq || sami_xfer_engine_next_deadline(T.n[0].eng) !=
                                                  SAMI_NO_DEADLINE ||
                                   sami_xfer_engine_next_deadline(T.n[1].eng) !=
                                       SAMI_NO_DEADLINE);
         i++) {
        step_one();
        check_index();
    }
    for (unsigned op = 0; op < 12; op++)
        assert_true(ops[op] > 0);
    /* the run went through the interesting states */
    assert_true(C(0)->installs + C(1)->installs > 0);
    assert_true(C(0)->deadlines + C(1)->deadlines > 0);
    assert_true(C(0)->retransmits + C(1)->retransmits > 0);
    assert_true(C(0)->adopted + C(1)->adopted > 0);
    assert_true(count_ev(0, SAMI_XFER_EV_ACTIVATED) + count_ev(1, SAMI_XFER_EV_ACTIVATED) > 0);
    assert_true(sami_xfer_engine_next_deadline(T.n[0].eng) == SAMI_NO_DEADLINE);
    assert_true(sami_xfer_engine_next_deadline(T.n[1].eng) == SAMI_NO_DEADLINE);
    int ok = 0;
    assert_true(sami_xfer_engine_scan_deadline(NULL, &ok) == SAMI_NO_DEADLINE);
    assert_int_equal(ok, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_happy_path_exact_counts, teardown),
        cmocka_unit_test_teardown(test_di_types_selected, teardown),
        cmocka_unit_test_teardown(test_di_types_wanted_but_unsupported, teardown),
        cmocka_unit_test_teardown(test_di_types_disagreement_fails_closed, teardown),
        cmocka_unit_test_teardown(test_install_replaces_leftovers, teardown),
        cmocka_unit_test_teardown(test_empty_vm_and_empty_delta, teardown),
        cmocka_unit_test_teardown(test_batches_lossy_idempotent, teardown),
        cmocka_unit_test_teardown(test_duplicate_commit_not_reinstalled, teardown),
        cmocka_unit_test_teardown(test_activate_implies_result, teardown),
        cmocka_unit_test_teardown(test_digest_mismatch_nothing_installed, teardown),
        cmocka_unit_test_teardown(test_unsolicited_refused_then_accepted, teardown),
        cmocka_unit_test_teardown(test_unsolicited_until_deadline, teardown),
        cmocka_unit_test_teardown(test_forged_replayed_refused, teardown),
        cmocka_unit_test_teardown(test_unknown_and_wrong_peer, teardown),
        cmocka_unit_test_teardown(test_key_roll, teardown),
        cmocka_unit_test_teardown(test_key_validity_window, teardown),
        cmocka_unit_test_teardown(test_limits, teardown),
        cmocka_unit_test_teardown(test_batch_limit_at_destination, teardown),
        cmocka_unit_test_teardown(test_source_abort_mid_precopy, teardown),
        cmocka_unit_test_teardown(test_dest_abort_after_install, teardown),
        cmocka_unit_test_teardown(test_dest_deadline_discards, teardown),
        cmocka_unit_test_teardown(test_peer_unreachable, teardown),
        cmocka_unit_test_teardown(test_late_activate_after_deadline, teardown),
        cmocka_unit_test_teardown(test_abort_after_activation_answered, teardown),
        cmocka_unit_test_teardown(test_abort_after_result_not_activated, teardown),
        cmocka_unit_test_teardown(test_activate_retry_giveup, teardown),
        cmocka_unit_test_teardown(test_stale_activate_superseded, teardown),
        cmocka_unit_test_teardown(test_restart_adopts_pending, teardown),
        cmocka_unit_test_teardown(test_hello_on_connect, teardown),
        cmocka_unit_test_teardown(test_hello_on_connect_unanswered, teardown),
        cmocka_unit_test_teardown(test_api_errors, teardown),
        cmocka_unit_test_teardown(test_l2_binding_happy_path, teardown),
        cmocka_unit_test_teardown(test_deadline_index_matches_scan, teardown),
        cmocka_unit_test(test_create_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
