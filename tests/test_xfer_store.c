/* The transfer engine against stores with and without the value calls of
 * sami/store.h (export_values, stage_put_values, stage_foreach_values):
 * the memstore offers them, a "struct-only" view of the same memstore hides
 * them so the engine falls back on export_records / stage_put /
 * stage_foreach (what an older or firmware store offers). Every pairing of
 * source and destination moves the same VM (all DI types, long 802.1X
 * strings, NAT, a delta with changes, deletions and additions) into a
 * destination that already holds some of the VM's keys and some the source
 * does not have, and must end with exactly the source's records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/di.h"
#include "sami/memstore.h"
#include "sami/store.h"
#include "sami/xfer.h"
#include "sami/xfer_engine.h"

#define MIG 0x77AA000000000001ull
#define T0 SAMI_MSEC(5000) /* the clock stands still: no record ages */
#define MAXQ 4096

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

struct side {
    struct sami_xfer_engine *eng;
    struct sami_memstore *ms;
    struct sami_store st;
    struct sami_xfer_bridge_id id;
    int peer;
    int precopy_done, result, result_status, installed, activated, purged, errors;
};

struct qmsg {
    int to;
    size_t len;
    uint8_t *b;
};

static struct {
    struct side s[2]; /* 0 source, 1 destination */
    struct qmsg q[MAXQ];
    size_t head, tail;
} X;

static int tx(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    struct side *from = ctx;
    (void)peer, (void)handle;
    assert_true(len > SAMI_XFER_STREAM_PREFIX_LEN);
    assert_true(X.tail - X.head < MAXQ);
    struct qmsg *m = &X.q[X.tail++ % MAXQ];
    m->to = from == &X.s[0] ? 1 : 0;
    m->len = len - SAMI_XFER_STREAM_PREFIX_LEN;
    m->b = malloc(m->len);
    assert_non_null(m->b);
    memcpy(m->b, bytes + SAMI_XFER_STREAM_PREFIX_LEN, m->len);
    return 0;
}

static void on_event(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev)
{
    struct side *s = ctx;
    (void)now;
    switch (ev->type) {
    case SAMI_XFER_EV_PRECOPY_DONE: s->precopy_done = ev->status == SAMI_XFER_ST_OK ? 1 : -1; break;
    case SAMI_XFER_EV_RESULT:
        s->result = 1;
        s->result_status = ev->status;
        break;
    case SAMI_XFER_EV_INSTALLED: s->installed = 1; break;
    case SAMI_XFER_EV_ACTIVATED: s->activated = 1; break;
    case SAMI_XFER_EV_PURGED: s->purged = 1; break;
    default: s->errors++; break;
    }
}

static void pump(void)
{
    while (X.head != X.tail) {
        struct qmsg m = X.q[X.head++ % MAXQ];
        struct side *to = &X.s[m.to];
        assert_int_equal(sami_xfer_engine_input(to->eng, T0, to->peer, m.b, m.len), 0);
        free(m.b);
    }
}

/* The memstore without its value calls. */
static struct sami_store_ops g_struct_only;

static void side_init(struct side *s, int is_src, int struct_only)
{
    memset(s, 0, sizeof *s);
    struct sami_memstore_config mc = {.alloc = ALLOC};
    assert_int_equal(sami_memstore_create(&mc, &s->ms), 0);
    s->st = sami_memstore_store(s->ms);
    if (struct_only) {
        g_struct_only = *sami_memstore_ops();
        g_struct_only.export_values = NULL;
        g_struct_only.stage_put_values = NULL;
        g_struct_only.stage_foreach_values = NULL;
        s->st.ops = &g_struct_only;
    }
    assert_int_equal(sami_store_has_put_values(&s->st), !struct_only);
    s->id.priority = 0x8000;
    s->id.mac[0] = 0x02;
    s->id.mac[5] = (uint8_t)(is_src ? 0xa0 : 0xa1);
    struct sami_xfer_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.local = s->id;
    c.keyring.keys[0].id = 1;
    c.keyring.keys[0].len = 32;
    memset(c.keyring.keys[0].bytes, 0x5a, 32);
    c.limits.max_batch_records = 37; /* several batches per export */
    c.store = s->st;
    c.alloc = ALLOC;
    c.tx = tx;
    c.event = on_event;
    c.ctx = s;
    assert_int_equal(sami_xfer_engine_create(&c, &s->eng), 0);
}

static struct sami_vm_id the_vm(void)
{
    struct sami_vm_id v;
    memset(&v, 0, sizeof v);
    v.id_format = 5;
    v.id[0] = 0x6b;
    v.id[15] = 9;
    return v;
}

static void addr(uint8_t a[16], uint32_t i, int v4)
{
    memset(a, 0, 16);
    if (v4) {
        a[10] = a[11] = 0xff;
        a[12] = 10;
    } else {
        a[0] = 0x20;
        a[1] = 0x01;
    }
    a[13] = (uint8_t)(i >> 16);
    a[14] = (uint8_t)(i >> 8);
    a[15] = (uint8_t)i;
}

/* Record i (distinct keys for distinct i), with value v in a non-key field.
 * Timers are SAMI_DI_INFINITE or fixed: nothing ages while the clock stands. */
static struct sami_di_record rec(uint32_t i, uint32_t v)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.op = SAMI_DI_OP_UPSERT;
    switch (i % 7) {
    case 0:
        r.type = SAMI_DI_DHCP;
        memcpy(r.u.dhcp.ipv4, (uint8_t[]){10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i}, 4);
        r.u.dhcp.vlan = 100;
        r.u.dhcp.mac[5] = (uint8_t)v;
        r.u.dhcp.lease_remaining_ms = 3600000 + v;
        break;
    case 1:
        r.type = SAMI_DI_DHCPV6;
        addr(r.u.dhcpv6.ipv6, i, 0);
        r.u.dhcpv6.iaid = i; /* part of the key */
        r.u.dhcpv6.mac[5] = (uint8_t)v;
        r.u.dhcpv6.lease_remaining_ms = SAMI_DI_INFINITE;
        break;
    case 2:
        r.type = SAMI_DI_ND;
        addr(r.u.nd.ipv6, i, 0);
        r.u.nd.state = SAMI_DI_ND_VALID;
        r.u.nd.lifetime_remaining_ms = 600000 + v;
        break;
    case 3:
        r.type = SAMI_DI_DOT1X;
        r.u.dot1x.mac[2] = (uint8_t)(i >> 16);
        r.u.dot1x.mac[3] = (uint8_t)(i >> 8);
        r.u.dot1x.mac[4] = (uint8_t)i;
        r.u.dot1x.authorized = 1;
        r.u.dot1x.session_remaining_ms = 28800000;
        r.u.dot1x.identity_len = (uint8_t)(i % 2 ? SAMI_DI_STR_MAX : 12);
        memset(r.u.dot1x.identity, 'a' + (int)(v % 26), r.u.dot1x.identity_len);
        break;
    case 4:
        r.type = SAMI_DI_IGMP;
        r.u.igmp.family = SAMI_DI_FAMILY_IPV6;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_INCLUDE;
        addr(r.u.igmp.group, i, 0);
        r.u.igmp.group[0] = 0xff;
        r.u.igmp.timer_remaining_ms = 260000 + v;
        break;
    case 5:
        r.type = SAMI_DI_ACL;
        r.u.acl.rule_id = i;
        r.u.acl.action = SAMI_DI_ACL_DENY;
        r.u.acl.origin = SAMI_DI_ACL_IDS;
        r.u.acl.src_port_hi = r.u.acl.dst_port_hi = 65535;
        addr(r.u.acl.src, v, 1);
        r.u.acl.src_prefix_len = 120;
        r.u.acl.lifetime_remaining_ms = SAMI_DI_INFINITE;
        break;
    default:
        r.type = SAMI_DI_FIREWALL;
        r.u.firewall.family = SAMI_DI_FAMILY_IPV4;
        r.u.firewall.protocol = 6;
        r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        addr(r.u.firewall.src, 7, 1);
        addr(r.u.firewall.dst, i, 1);
        r.u.firewall.src_port = 40000;
        r.u.firewall.dst_port = 443;
        r.u.firewall.created_age_ms = 12000 + v;
        r.u.firewall.expiry_remaining_ms = 432000000;
        if (i % 2) {
            r.u.firewall.flags = SAMI_DI_FW_F_NAT;
            addr(r.u.firewall.nat_src, v, 1);
            r.u.firewall.nat_src_port = (uint16_t)v;
        }
        break;
    }
    r.version = sami_di_current_version(r.type);
    assert_int_equal(sami_di_validate(&r), 0);
    return r;
}

static int same(const struct sami_di_record *a, const struct sami_di_record *b)
{
    uint8_t x[SAMI_DI_MAX_LEN], y[SAMI_DI_MAX_LEN];
    size_t nx, ny;
    struct sami_di_record ua = *a, ub = *b;
    ua.op = ub.op = SAMI_DI_OP_UPSERT;
    assert_int_equal(sami_di_encode(&ua, x, sizeof x, &nx), 0);
    assert_int_equal(sami_di_encode(&ub, y, sizeof y, &ny), 0);
    return nx == ny && memcmp(x, y, nx) == 0;
}

enum { N = 400 };

/* One migration; src_struct / dst_struct: that side's store hides the
 * value calls. */
static void migrate(int src_struct, int dst_struct)
{
    if (!sami_hmac_default())
        skip(); /* no HMAC provider in this build: nothing can be signed */
    memset(&X, 0, sizeof X);
    struct side *src = &X.s[0], *dst = &X.s[1];
    side_init(src, 1, src_struct);
    side_init(dst, 0, dst_struct);
    src->peer = sami_xfer_engine_add_peer(src->eng, &dst->id, SAMI_XFER_BIND_STREAM, NULL, 0);
    dst->peer = sami_xfer_engine_add_peer(dst->eng, &src->id, SAMI_XFER_BIND_STREAM, NULL, 0);
    assert_true(src->peer >= 0 && dst->peer >= 0);
    struct sami_vm_id vm = the_vm();
    /* final[i]: what the source holds for key i at the end (op DELETE: none) */
    static struct sami_di_record final[N + 40];
    for (uint32_t i = 0; i < N; i++) {
        final[i] = rec(i, 1);
        assert_int_equal(sami_store_put(&src->st, &vm, &final[i], T0), 0);
    }
    /* the destination knows an older state: keys 0..19 (old values) and
     * keys 1000..1009, which the source does not have */
    for (uint32_t i = 0; i < 20; i++) {
        struct sami_di_record r = rec(i, 2);
        assert_int_equal(sami_store_put(&dst->st, &vm, &r, T0), 0);
    }
    for (uint32_t i = 1000; i < 1010; i++) {
        struct sami_di_record r = rec(i, 2);
        assert_int_equal(sami_store_put(&dst->st, &vm, &r, T0), 0);
    }
    assert_int_equal(sami_xfer_engine_expect(dst->eng, T0, MIG, &vm, dst->peer, 0,
                                             SAMI_NO_DEADLINE),
                     0);
    assert_int_equal(sami_xfer_engine_precopy(src->eng, T0, src->peer, MIG, &vm, 0,
                                              SAMI_NO_DEADLINE),
                     0);
    pump();
    assert_int_equal(src->precopy_done, 1);
    /* while the VM still runs: 30 changed, 20 deleted, 40 added */
    for (uint32_t i = 100; i < 130; i++) {
        final[i] = rec(i, 3);
        assert_int_equal(sami_store_put(&src->st, &vm, &final[i], T0), 0);
    }
    for (uint32_t i = 200; i < 220; i++) {
        assert_int_equal(sami_store_del(&src->st, &vm, &final[i]), 0);
        final[i].op = SAMI_DI_OP_DELETE;
    }
    for (uint32_t i = N; i < N + 40; i++) {
        final[i] = rec(i, 4);
        assert_int_equal(sami_store_put(&src->st, &vm, &final[i], T0), 0);
    }
    assert_int_equal(sami_store_freeze(&src->st, MIG), 0);
    assert_int_equal(sami_xfer_engine_commit(src->eng, T0, MIG, SAMI_NO_DEADLINE), 0);
    pump();
    assert_int_equal(src->result, 1);
    assert_int_equal(src->result_status, SAMI_XFER_ST_OK);
    assert_int_equal(dst->installed, 1);
    assert_int_equal(sami_xfer_engine_activate(dst->eng, T0, MIG), 0);
    pump();
    assert_int_equal(src->activated, 1);
    assert_int_equal(dst->purged, 1);
    assert_int_equal(src->errors + dst->errors, 0);
    const struct sami_xfer_engine_counters *dc = sami_xfer_engine_counters(dst->eng);
    assert_int_equal(dc->bad_records, 0);
    assert_int_equal(dc->digest_mismatch, 0);
    assert_int_equal(dc->records_rx, N + 30 + 20 + 40); /* pre-copy + delta records */

    /* exactly the source's final set: the COMMIT is everything, so the
     * destination's leftovers 1000..1009 are gone */
    assert_int_equal(sami_store_count(&src->st, &vm, NULL), 0);
    assert_int_equal(sami_store_count(&dst->st, &vm, NULL), N - 20 + 40);
    for (uint32_t i = 0; i < N + 40; i++) {
        struct sami_di_record out;
        int rc = sami_store_get(&dst->st, &vm, &final[i], T0, &out);
        if (final[i].op == SAMI_DI_OP_DELETE) {
            assert_int_equal(rc, SAMI_ERR_NOTFOUND);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(same(&out, &final[i]));
    }
    for (uint32_t i = 1000; i < 1010; i++) {
        struct sami_di_record r = rec(i, 2), out;
        assert_int_equal(sami_store_get(&dst->st, &vm, &r, T0, &out), SAMI_ERR_NOTFOUND);
    }
    for (int k = 0; k < 2; k++) {
        sami_xfer_engine_destroy(X.s[k].eng);
        sami_memstore_destroy(X.s[k].ms);
    }
    while (X.head != X.tail)
        free(X.q[X.head++ % MAXQ].b);
}

static void test_values_both(void **state)
{
    (void)state;
    migrate(0, 0);
}

static void test_struct_source(void **state)
{
    (void)state;
    migrate(1, 0);
}

static void test_struct_destination(void **state)
{
    (void)state;
    migrate(0, 1);
}

static void test_struct_both(void **state)
{
    (void)state;
    migrate(1, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_both),
        cmocka_unit_test(test_struct_source),
        cmocka_unit_test(test_struct_destination),
        cmocka_unit_test(test_struct_both),
    };
    return cmocka_run_group_tests_name("xfer_store", tests, NULL, NULL);
}
