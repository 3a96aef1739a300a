/* DI store contract (lib/sami/store.h), exercised through the struct
 * sami_store wrappers against the reference memstore: full and delta
 * exports, freeze, staging with atomic commit and exact discard, activate,
 * purge, limits, expiry, and the errors of every call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/memstore.h"
#include "sami/store.h"

/* ---- fixtures ---- */

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

struct fx {
    struct sami_memstore *ms;
    struct sami_store s;
};

static struct fx *fx_new(uint32_t max_records)
{
    struct fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    struct sami_memstore_config cfg = {{t_alloc, t_free, NULL}, max_records, 0};
    assert_int_equal(sami_memstore_create(&cfg, &f->ms), 0);
    f->s = sami_memstore_store(f->ms);
    return f;
}

static void fx_free(struct fx *f)
{
    sami_memstore_destroy(f->ms);
    free(f);
}

static int setup(void **state)
{
    *state = fx_new(0);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

static struct sami_vm_id vm_of(uint8_t n)
{
    struct sami_vm_id v;
    memset(&v, 0, sizeof v);
    v.type_id = 0x123456;
    v.type_version = 1;
    v.id_format = 5; /* UUID */
    for (int i = 0; i < 16; i++)
        v.id[i] = (uint8_t)(n * 16 + i);
    return v;
}

static void addr16(uint8_t a[16], uint32_t i)
{
    memset(a, 0, 16);
    a[0] = 0x20;
    a[1] = 0x01;
    a[12] = (uint8_t)(i >> 24);
    a[13] = (uint8_t)(i >> 16);
    a[14] = (uint8_t)(i >> 8);
    a[15] = (uint8_t)i;
}

/* A valid record of type `type` whose key is derived from i and whose
 * expiring timer is `timer` ms (counters have none: i picks the direction). */
static struct sami_di_record rec_of(unsigned type, uint32_t i, uint32_t timer)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = (uint8_t)type;
    r.version = sami_di_current_version(type);
    r.op = SAMI_DI_OP_UPSERT;
    switch (type) {
    case SAMI_DI_DHCP:
        r.u.dhcp.ipv4[0] = 10;
        r.u.dhcp.ipv4[1] = (uint8_t)(i >> 16);
        r.u.dhcp.ipv4[2] = (uint8_t)(i >> 8);
        r.u.dhcp.ipv4[3] = (uint8_t)i;
        r.u.dhcp.vlan = 10;
        r.u.dhcp.mac[0] = 0x52;
        r.u.dhcp.lease_remaining_ms = timer;
        break;
    case SAMI_DI_DHCPV6:
        addr16(r.u.dhcpv6.ipv6, i);
        r.u.dhcpv6.vlan = 10;
        r.u.dhcpv6.iaid = 7;
        r.u.dhcpv6.lease_remaining_ms = timer;
        break;
    case SAMI_DI_ND:
        addr16(r.u.nd.ipv6, i);
        r.u.nd.vlan = 10;
        r.u.nd.state = SAMI_DI_ND_VALID;
        r.u.nd.lifetime_remaining_ms = timer;
        break;
    case SAMI_DI_DOT1X:
        r.u.dot1x.mac[0] = 0x52;
        r.u.dot1x.mac[2] = (uint8_t)(i >> 24);
        r.u.dot1x.mac[3] = (uint8_t)(i >> 16);
        r.u.dot1x.mac[4] = (uint8_t)(i >> 8);
        r.u.dot1x.mac[5] = (uint8_t)i;
        r.u.dot1x.authorized = 1;
        r.u.dot1x.eap_method = 13;
        r.u.dot1x.vlan = 20;
        r.u.dot1x.session_remaining_ms = timer;
        r.u.dot1x.reauth_remaining_ms = 1000; /* shorter on purpose: not the expiry */
        r.u.dot1x.session_id_len = 8;
        memcpy(r.u.dot1x.session_id, "sess0001", 8);
        r.u.dot1x.identity_len = 5;
        memcpy(r.u.dot1x.identity, "alice", 5);
        break;
    case SAMI_DI_ACL:
        r.u.acl.rule_id = i;
        r.u.acl.action = SAMI_DI_ACL_DENY;
        r.u.acl.origin = SAMI_DI_ACL_RADIUS;
        r.u.acl.src_port_hi = r.u.acl.dst_port_hi = 65535;
        r.u.acl.lifetime_remaining_ms = timer;
        break;
    case SAMI_DI_IGMP:
        r.u.igmp.family = SAMI_DI_FAMILY_IPV6;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_EXCLUDE;
        r.u.igmp.vlan = 10;
        addr16(r.u.igmp.group, i);
        r.u.igmp.group[0] = 0xff;
        r.u.igmp.group[1] = 0x0e;
        r.u.igmp.timer_remaining_ms = timer;
        break;
    case SAMI_DI_COUNTERS:
        r.u.counters.direction = (uint8_t)(i % 2 ? SAMI_DI_DIR_OUT : SAMI_DI_DIR_IN);
        r.u.counters.packets = 1000 + i;
        r.u.counters.bytes = 64000;
        r.u.counters.window_ms = 1000;
        break;
    case SAMI_DI_FIREWALL:
        r.u.firewall.family = SAMI_DI_FAMILY_IPV6;
        r.u.firewall.protocol = 6;
        r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        addr16(r.u.firewall.src, i);
        addr16(r.u.firewall.dst, 1);
        r.u.firewall.src_port = 40000;
        r.u.firewall.dst_port = 443;
        r.u.firewall.created_age_ms = 5000;
        r.u.firewall.last_heard_age_ms = 10;
        r.u.firewall.expiry_remaining_ms = timer;
        break;
    default:
        break;
    }
    assert_int_equal(sami_di_validate(&r), 0);
    return r;
}

static int enc(const struct sami_di_record *r, uint8_t *b, size_t *n)
{
    return sami_di_encode(r, b, SAMI_DI_MAX_LEN, n);
}

static int rec_equal(const struct sami_di_record *a, const struct sami_di_record *b)
{
    uint8_t ba[SAMI_DI_MAX_LEN], bb[SAMI_DI_MAX_LEN];
    size_t na, nb;
    if (a->type != b->type || enc(a, ba, &na) || enc(b, bb, &nb))
        return 0;
    return na == nb && memcmp(ba, bb, na) == 0;
}

/* ---- collecting emitted records ---- */

struct bag {
    size_t n, cap;
    struct sami_di_record *r;
};

static int bag_emit(void *arg, const struct sami_di_record *rec)
{
    struct bag *b = arg;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->r = realloc(b->r, b->cap * sizeof *b->r);
        assert_non_null(b->r);
    }
    b->r[b->n++] = *rec;
    return 0;
}

static void bag_clear(struct bag *b)
{
    free(b->r);
    memset(b, 0, sizeof *b);
}

/* The record in the bag with rec's key, or NULL. */
static const struct sami_di_record *bag_find(const struct bag *b, const struct sami_di_record *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (sami_di_key_equal(&b->r[i], key))
            return &b->r[i];
    return NULL;
}

/* Whether two bags hold the same records (any order). */
static int bag_same(const struct bag *a, const struct bag *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct sami_di_record *o = bag_find(b, &a->r[i]);
        if (!o || !rec_equal(o, &a->r[i]) || o->op != a->r[i].op)
            return 0;
    }
    return 1;
}

static void export_all(const struct sami_store *s, const struct sami_vm_id *vm, uint64_t since,
                       sami_usec_t now, struct bag *b, uint64_t *gen)
{
    bag_clear(b);
    assert_int_equal(sami_store_export(s, vm, since, now, bag_emit, b, gen), 0);
}

static void foreach_all(const struct sami_store *s, const struct sami_vm_id *vm, sami_usec_t now,
                        struct bag *b)
{
    bag_clear(b);
    assert_int_equal(sami_store_foreach(s, vm, now, bag_emit, b), 0);
}

static int count_of(const struct sami_store *s, const struct sami_vm_id *vm)
{
    return sami_store_count(s, vm, NULL);
}

/* ---- tests ---- */

static void test_full_export_all_types(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        struct sami_di_record r = rec_of(t, 1, 60000);
        assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    }
    struct sami_di_record other = rec_of(SAMI_DI_DHCP, 99, 60000);
    assert_int_equal(sami_store_put(&f->s, &b, &other, 0), 0);

    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(sami_store_count(&f->s, &a, per), SAMI_DI_TYPE_MAX);
    assert_int_equal(per[0], SAMI_DI_TYPE_MAX);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++)
        assert_int_equal(per[t], 1);

    struct bag g = {0};
    uint64_t gen = 0;
    export_all(&f->s, &a, 0, 0, &g, &gen);
    assert_true(gen >= 1);
    assert_int_equal(g.n, SAMI_DI_TYPE_MAX);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        struct sami_di_record r = rec_of(t, 1, 60000);
        const struct sami_di_record *o = bag_find(&g, &r);
        assert_non_null(o);
        assert_int_equal(o->op, SAMI_DI_OP_UPSERT);
        assert_true(rec_equal(o, &r));
    }
    assert_null(bag_find(&g, &other)); /* another VM's */
    bag_clear(&g);
}

static void test_times_relative_to_now(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record d = rec_of(SAMI_DI_DHCP, 1, 10000);
    struct sami_di_record inf = rec_of(SAMI_DI_DHCP, 2, SAMI_DI_INFINITE);
    struct sami_di_record fw = rec_of(SAMI_DI_FIREWALL, 1, 60000);
    sami_usec_t t0 = SAMI_SEC(100);
    assert_int_equal(sami_store_put(&f->s, &a, &d, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &inf, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &fw, t0), 0);

    struct sami_di_record out;
    assert_int_equal(sami_store_get(&f->s, &a, &d, t0 + 2500999, &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 7500);
    assert_int_equal(sami_store_get(&f->s, &a, &inf, t0 + SAMI_SEC(1000), &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, SAMI_DI_INFINITE);
    assert_int_equal(sami_store_get(&f->s, &a, &fw, t0 + SAMI_SEC(1), &out), 0);
    assert_int_equal(out.u.firewall.expiry_remaining_ms, 59000);
    assert_int_equal(out.u.firewall.created_age_ms, 6000);
    assert_int_equal(out.u.firewall.last_heard_age_ms, 1010);
    /* a clock before the put reads as no time passed */
    assert_int_equal(sami_store_get(&f->s, &a, &d, t0 - 5, &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 10000);
    /* far past the lease: 0, never wraps */
    assert_int_equal(sami_store_get(&f->s, &a, &d, t0 + SAMI_SEC(100), &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 0);
}

static void test_delta_exact(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record keep = rec_of(SAMI_DI_DHCP, 1, 60000);
    struct sami_di_record chg = rec_of(SAMI_DI_ND, 2, 60000);
    struct sami_di_record gone = rec_of(SAMI_DI_ACL, 3, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &keep, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &chg, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &gone, 0), 0);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    assert_true(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_SOURCE);

    struct bag g = {0};
    uint64_t g1 = 0, g2 = 0, g3 = 0;
    export_all(&f->s, &a, 0, 0, &g, &g1);
    assert_int_equal(g.n, 3);

    /* changes: new record, one changed twice, one deleted */
    struct sami_di_record add = rec_of(SAMI_DI_FIREWALL, 4, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &add, 0), 0);
    chg.u.nd.state = SAMI_DI_ND_STALE;
    assert_int_equal(sami_store_put(&f->s, &a, &chg, 0), 0);
    chg.u.nd.state = SAMI_DI_ND_TESTING;
    chg.u.nd.lifetime_remaining_ms = 30000;
    assert_int_equal(sami_store_put(&f->s, &a, &chg, 0), 0);
    assert_int_equal(sami_store_del(&f->s, &a, &gone), 0);

    export_all(&f->s, &a, g1, 0, &g, &g2);
    assert_true(g2 > g1);
    assert_int_equal(g.n, 3);
    const struct sami_di_record *o = bag_find(&g, &add);
    assert_non_null(o);
    assert_int_equal(o->op, SAMI_DI_OP_UPSERT);
    assert_true(rec_equal(o, &add));
    o = bag_find(&g, &chg);
    assert_non_null(o);
    assert_int_equal(o->op, SAMI_DI_OP_UPSERT);
    assert_true(rec_equal(o, &chg)); /* last value, once */
    o = bag_find(&g, &gone);
    assert_non_null(o);
    assert_int_equal(o->op, SAMI_DI_OP_DELETE);
    assert_int_equal(o->u.acl.rule_id, 3);
    assert_null(bag_find(&g, &keep));

    /* nothing since g2 */
    export_all(&f->s, &a, g2, 0, &g, &g3);
    assert_int_equal(g.n, 0);
    assert_true(g3 == g2);

    /* applying full(0) then delta(g1) gives the current set */
    struct bag cur = {0}, rebuilt = {0};
    foreach_all(&f->s, &a, 0, &cur);
    export_all(&f->s, &a, 0, 0, &rebuilt, NULL);
    assert_int_equal(rebuilt.n, cur.n);
    assert_true(bag_same(&cur, &rebuilt));
    bag_clear(&cur);
    bag_clear(&rebuilt);
    bag_clear(&g);
    sami_store_source_end(&f->s, 7);
}

/* Defined behaviour for a record unknown at the base generation: put and
 * deleted before the next export, it does not appear at all; once an
 * export has seen it, its deletion appears as DELETE (also in a delta from
 * an older base, where the receiver ignores it). */
static void test_delta_put_then_delete(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    struct bag g = {0};
    uint64_t g1, g2, g3;
    export_all(&f->s, &a, 0, 0, &g, &g1);
    assert_int_equal(g.n, 0);

    struct sami_di_record w = rec_of(SAMI_DI_DHCP, 1, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &w, 0), 0);
    assert_int_equal(sami_store_del(&f->s, &a, &w), 0);
    export_all(&f->s, &a, g1, 0, &g, &g2);
    assert_int_equal(g.n, 0);

    struct sami_di_record v = rec_of(SAMI_DI_DHCP, 2, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &v, 0), 0);
    export_all(&f->s, &a, g2, 0, &g, &g3);
    assert_int_equal(g.n, 1);
    assert_int_equal(sami_store_del(&f->s, &a, &v), 0);
    export_all(&f->s, &a, g3, 0, &g, NULL);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].op, SAMI_DI_OP_DELETE);
    assert_true(sami_di_key_equal(&g.r[0], &v));
    export_all(&f->s, &a, g1, 0, &g, NULL);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].op, SAMI_DI_OP_DELETE);

    /* deleted, then back: an UPSERT, never a DELETE */
    assert_int_equal(sami_store_put(&f->s, &a, &v, 0), 0);
    export_all(&f->s, &a, g3, 0, &g, NULL);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].op, SAMI_DI_OP_UPSERT);
    /* full export never carries DELETEs */
    assert_int_equal(sami_store_del(&f->s, &a, &v), 0);
    export_all(&f->s, &a, 0, 0, &g, NULL);
    assert_int_equal(g.n, 0);
    bag_clear(&g);
    sami_store_source_end(&f->s, 7);
}

static void test_delta_errors(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record r = rec_of(SAMI_DI_DHCP, 1, 60000);
    struct bag g = {0};
    uint64_t g0, g1;
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    export_all(&f->s, &a, 0, 0, &g, &g0);
    /* untracked: deletions are not remembered */
    assert_int_equal(sami_store_export(&f->s, &a, g0, 0, bag_emit, &g, NULL), SAMI_ERR_STATE);
    r.u.dhcp.vlan = 12; /* a change before tracking begins */
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    export_all(&f->s, &a, 0, 0, &g, &g1);
    assert_true(g1 >= g0);
    assert_int_equal(sami_store_export(&f->s, &a, g1 + 1000, 0, bag_emit, &g, NULL),
                     SAMI_ERR_INVAL);
    r.u.dhcp.vlan = 11; /* another key */
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    export_all(&f->s, &a, g1, 0, &g, NULL);
    assert_int_equal(g.n, 1);
    assert_true(g0 < g1); /* from before tracking began: */
    assert_int_equal(sami_store_export(&f->s, &a, g0, 0, bag_emit, &g, NULL), SAMI_ERR_STATE);
    /* unknown VM: nothing, a usable generation */
    struct sami_vm_id u = vm_of(9);
    uint64_t gu = 0;
    export_all(&f->s, &u, 0, 0, &g, &gu);
    assert_int_equal(g.n, 0);
    assert_true(gu >= 1);
    assert_int_equal(sami_store_export(&f->s, &u, 1, 0, bag_emit, &g, NULL), SAMI_ERR_STATE);
    assert_int_equal(sami_store_export(&f->s, &a, 0, 0, NULL, NULL, NULL), SAMI_ERR_INVAL);
    sami_store_source_end(&f->s, 7);
    sami_store_source_end(&f->s, 7); /* twice: no-op */
    assert_false(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_SOURCE);
    bag_clear(&g);
}

static int stop_at_2(void *arg, const struct sami_di_record *rec)
{
    (void)rec;
    int *n = arg;
    return ++*n == 2 ? 42 : 0;
}

static void test_emit_stops(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    for (uint32_t i = 0; i < 5; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    }
    int n = 0;
    assert_int_equal(sami_store_export(&f->s, &a, 0, 0, stop_at_2, &n, NULL), 42);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(sami_store_foreach(&f->s, &a, 0, stop_at_2, &n), 42);
    assert_int_equal(n, 2);
}

static void test_source_begin_rules(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0); /* idempotent */
    assert_int_equal(sami_store_source_begin(&f->s, 7, &b), SAMI_ERR_EXISTS);
    /* a VM migrating out cannot be staged in here */
    assert_int_equal(sami_store_stage_begin(&f->s, 8, &a, NULL), SAMI_ERR_STATE);
    /* type id / version are not part of the VM key */
    struct sami_vm_id a2 = a;
    a2.type_id = 0x999;
    a2.type_version = 9;
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a2), 0);
    a2.id_format = 3;
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a2), SAMI_ERR_EXISTS);
    assert_int_equal(sami_store_freeze(&f->s, 99), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_store_unfreeze(&f->s, 99), SAMI_ERR_NOTFOUND);
    sami_store_source_end(&f->s, 7);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0); /* forgotten */
}

static void test_freeze(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    struct sami_di_record r = rec_of(SAMI_DI_DHCP, 1, 1000);
    struct sami_di_record r2 = rec_of(SAMI_DI_DHCP, 2, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &b, &r, 0), 0);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    assert_int_equal(sami_store_freeze(&f->s, 7), 0);
    assert_int_equal(sami_store_freeze(&f->s, 7), 0);
    assert_true(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_FROZEN);

    assert_int_equal(sami_store_put(&f->s, &a, &r2, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_store_del(&f->s, &a, &r), SAMI_ERR_STATE);
    assert_int_equal(sami_store_put(&f->s, &b, &r2, 0), 0); /* other VMs unaffected */

    /* aging leaves the frozen VM alone, times still run */
    sami_store_expire(&f->s, SAMI_SEC(5));
    assert_int_equal(count_of(&f->s, &a), 1);
    assert_int_equal(count_of(&f->s, &b), 1); /* b's short record aged out */
    struct sami_di_record out;
    assert_int_equal(sami_store_get(&f->s, &a, &r, SAMI_SEC(5), &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 0);

    /* a second migration freezing the VM keeps it frozen */
    assert_int_equal(sami_store_source_begin(&f->s, 8, &a), 0);
    assert_int_equal(sami_store_freeze(&f->s, 8), 0);
    assert_int_equal(sami_store_unfreeze(&f->s, 7), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &r2, 0), SAMI_ERR_STATE);
    sami_store_source_end(&f->s, 8); /* ending releases its freeze */
    assert_false(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_FROZEN);
    assert_int_equal(sami_store_put(&f->s, &a, &r2, SAMI_SEC(5)), 0);
    /* overdue records go at the next expire */
    sami_store_expire(&f->s, SAMI_SEC(5));
    assert_int_equal(count_of(&f->s, &a), 1);
    assert_int_equal(sami_store_get(&f->s, &a, &r, 0, &out), SAMI_ERR_NOTFOUND);
    sami_store_source_end(&f->s, 7);
}

static void stage_three(struct fx *f, uint64_t mid, sami_usec_t now)
{
    struct sami_di_record r;
    for (uint32_t i = 1; i <= 3; i++) {
        r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_stage_put(&f->s, mid, &r, now), 0);
    }
}

static void test_stage_commit_activate(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), SAMI_ERR_EXISTS);
    assert_int_equal(sami_store_stage_begin(&f->s, 6, &a, NULL), SAMI_ERR_STATE);
    assert_int_equal(sami_store_source_begin(&f->s, 6, &a), SAMI_ERR_STATE);
    assert_true(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_STAGING);
    stage_three(f, 5, 0);
    /* UPSERT replaces within the staging area, DELETE removes from it */
    struct sami_di_record r = rec_of(SAMI_DI_DHCP, 2, 60000);
    r.u.dhcp.mac[5] = 0x77;
    assert_int_equal(sami_store_stage_put(&f->s, 5, &r, 0), 0);
    struct sami_di_record d = rec_of(SAMI_DI_DHCP, 3, 60000);
    d.op = SAMI_DI_OP_DELETE;
    assert_int_equal(sami_store_stage_put(&f->s, 5, &d, 0), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &d, 0), 0); /* absent: fine */
    struct sami_di_record bad = r;
    bad.op = 9;
    assert_int_equal(sami_store_stage_put(&f->s, 5, &bad, 0), SAMI_ERR_INVAL);
    bad = r;
    bad.u.dhcp.vlan = 5000;
    assert_int_equal(sami_store_stage_put(&f->s, 5, &bad, 0), SAMI_ERR_VALUE);
    assert_int_equal(sami_store_stage_put(&f->s, 99, &r, 0), SAMI_ERR_NOTFOUND);

    struct bag g = {0};
    assert_int_equal(sami_store_stage_foreach(&f->s, 5, bag_emit, &g), 0);
    assert_int_equal(g.n, 2);
    assert_true(rec_equal(bag_find(&g, &r), &r));
    assert_null(bag_find(&g, &d));
    /* staging does not touch live records; learners still welcome */
    assert_int_equal(count_of(&f->s, &a), 0);
    struct sami_di_record mine = rec_of(SAMI_DI_ND, 1, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &mine, 0), 0);
    assert_int_equal(sami_store_activate(&f->s, 5, 0), SAMI_ERR_STATE);

    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), 0);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &r, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_store_stage_foreach(&f->s, 5, bag_emit, &g), SAMI_ERR_STATE);
    assert_int_equal(count_of(&f->s, &a), 3);
    int fl = sami_store_vm_flags(&f->s, &a);
    assert_true(fl & SAMI_STORE_VM_PENDING);
    assert_false(fl & SAMI_STORE_VM_STAGING);
    /* installed, not active: learners refused, no aging */
    assert_int_equal(sami_store_put(&f->s, &a, &mine, 0), SAMI_ERR_STATE);
    assert_int_equal(sami_store_del(&f->s, &a, &mine), SAMI_ERR_STATE);
    assert_int_equal(sami_store_purge(&f->s, &a), SAMI_ERR_STATE);
    assert_true(sami_store_expire(&f->s, SAMI_SEC(3600)) == SAMI_NO_DEADLINE);
    assert_int_equal(count_of(&f->s, &a), 3);

    assert_int_equal(sami_store_activate(&f->s, 5, SAMI_SEC(1)), 0);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), SAMI_STORE_VM_KNOWN);
    assert_int_equal(sami_store_discard(&f->s, 5), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_store_activate(&f->s, 5, 0), SAMI_ERR_NOTFOUND);
    foreach_all(&f->s, &a, 0, &g);
    assert_int_equal(g.n, 3);
    assert_true(rec_equal(bag_find(&g, &r), &r));
    /* active: aging and learners resume */
    assert_int_equal(sami_store_put(&f->s, &a, &mine, 0), 0);
    assert_true(sami_store_expire(&f->s, SAMI_SEC(61)) == SAMI_NO_DEADLINE);
    assert_int_equal(count_of(&f->s, &a), 0);
    bag_clear(&g);
}

static void test_commit_rebases(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    sami_usec_t t0 = SAMI_SEC(50);
    struct sami_di_record d = rec_of(SAMI_DI_DHCP, 1, 10000);
    struct sami_di_record inf = rec_of(SAMI_DI_DHCP, 2, SAMI_DI_INFINITE);
    struct sami_di_record fw = rec_of(SAMI_DI_FIREWALL, 1, SAMI_DI_INFINITE);
    struct sami_di_record x = rec_of(SAMI_DI_DOT1X, 1, 20000);
    struct sami_di_record late = rec_of(SAMI_DI_DHCP, 3, 10000);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &d, t0), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &inf, t0), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &fw, t0), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &x, t0), 0);
    /* staged 50 ms before the commit: that wait counts too */
    assert_int_equal(sami_store_stage_put(&f->s, 5, &late, t0 - SAMI_MSEC(50)), 0);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 300, t0), 0);

    struct sami_di_record out;
    assert_int_equal(sami_store_get(&f->s, &a, &d, t0, &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 9700);
    assert_int_equal(sami_store_get(&f->s, &a, &inf, t0, &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, SAMI_DI_INFINITE);
    assert_int_equal(sami_store_get(&f->s, &a, &fw, t0, &out), 0);
    assert_int_equal(out.u.firewall.expiry_remaining_ms, SAMI_DI_INFINITE);
    assert_int_equal(out.u.firewall.created_age_ms, 5300);
    assert_int_equal(out.u.firewall.last_heard_age_ms, 310);
    assert_int_equal(sami_store_get(&f->s, &a, &x, t0, &out), 0);
    assert_int_equal(out.u.dot1x.session_remaining_ms, 19700);
    assert_int_equal(out.u.dot1x.reauth_remaining_ms, 700);
    assert_int_equal(sami_store_get(&f->s, &a, &late, t0, &out), 0);
    assert_int_equal(out.u.dhcp.lease_remaining_ms, 9650);
    assert_int_equal(sami_store_activate(&f->s, 5, t0), 0);
    /* the rebased lease ages out on time */
    assert_true(sami_store_expire(&f->s, t0) == t0 + SAMI_MSEC(9650));
}

static void test_discard_before_commit(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record old = rec_of(SAMI_DI_DHCP, 2, 40000);
    assert_int_equal(sami_store_put(&f->s, &a, &old, 0), 0);
    struct bag before = {0}, after = {0};
    foreach_all(&f->s, &a, SAMI_SEC(1), &before);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    stage_three(f, 5, 0);
    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    assert_int_equal(sami_store_discard(&f->s, 5), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), SAMI_ERR_NOTFOUND);
    foreach_all(&f->s, &a, SAMI_SEC(1), &after);
    assert_true(bag_same(&before, &after));
    assert_int_equal(sami_store_vm_flags(&f->s, &a), SAMI_STORE_VM_KNOWN);
    /* a new staging area may start */
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    bag_clear(&before);
    bag_clear(&after);
}

static void test_discard_after_commit(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    /* the VM already has records here: one the commit replaces, one it
     * leaves alone; another VM must not be touched either */
    struct sami_di_record replaced = rec_of(SAMI_DI_DHCP, 2, 40000);
    replaced.u.dhcp.mac[5] = 0x11;
    struct sami_di_record untouched = rec_of(SAMI_DI_IGMP, 1, 40000);
    struct sami_di_record elsewhere = rec_of(SAMI_DI_DHCP, 2, 50000);
    assert_int_equal(sami_store_put(&f->s, &a, &replaced, SAMI_MSEC(10)), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &untouched, SAMI_MSEC(20)), 0);
    assert_int_equal(sami_store_put(&f->s, &b, &elsewhere, 0), 0);
    struct bag before = {0}, mid = {0}, after = {0}, other = {0};
    sami_usec_t t = SAMI_SEC(2);
    foreach_all(&f->s, &a, t, &before);
    assert_int_equal(before.n, 2);

    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    stage_three(f, 5, SAMI_SEC(1));
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 100, SAMI_SEC(1)), 0);
    foreach_all(&f->s, &a, t, &mid);
    assert_int_equal(mid.n, 4); /* 3 installed (one replacing) + untouched */
    const struct sami_di_record *o = bag_find(&mid, &replaced);
    assert_non_null(o);
    assert_int_equal(o->u.dhcp.mac[5], 0);

    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    foreach_all(&f->s, &a, t, &after);
    assert_true(bag_same(&before, &after)); /* exactly, times included */
    foreach_all(&f->s, &b, 0, &other); /* put at 0: as given */
    assert_int_equal(other.n, 1);
    assert_true(rec_equal(&other.r[0], &elsewhere));
    assert_int_equal(sami_store_vm_flags(&f->s, &a), SAMI_STORE_VM_KNOWN);
    /* learners and aging are back */
    assert_int_equal(sami_store_put(&f->s, &a, &untouched, t), 0);
    assert_true(sami_store_expire(&f->s, t) == SAMI_MSEC(10) + SAMI_MSEC(40000));
    assert_int_equal(sami_store_discard(&f->s, 5), SAMI_ERR_NOTFOUND);
    bag_clear(&before);
    bag_clear(&mid);
    bag_clear(&after);
    bag_clear(&other);
}

/* replace_types: the commit is the VM's whole set of those types, so what
 * the VM still holds of them from an earlier stay goes (kept aside: discard
 * puts it back exactly); records of other types and other VMs stay. */
static void test_commit_replaces_types(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    struct sami_di_record replaced = rec_of(SAMI_DI_DHCP, 2, 40000);
    replaced.u.dhcp.mac[5] = 0x11;
    struct sami_di_record gone = rec_of(SAMI_DI_DHCP, 7, 40000);    /* not staged */
    struct sami_di_record gone_fw = rec_of(SAMI_DI_FIREWALL, 1, 40000);
    struct sami_di_record kept = rec_of(SAMI_DI_IGMP, 1, 40000);    /* type not replaced */
    struct sami_di_record elsewhere = rec_of(SAMI_DI_DHCP, 7, 50000); /* VM b */
    assert_int_equal(sami_store_put(&f->s, &a, &replaced, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &gone, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &gone_fw, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &kept, 0), 0);
    assert_int_equal(sami_store_put(&f->s, &b, &elsewhere, 0), 0);
    struct bag before = {0}, mid = {0}, after = {0};
    sami_usec_t t = SAMI_SEC(2);
    foreach_all(&f->s, &a, t, &before);
    struct sami_store_stage_params p = {
        0, SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL)};
    struct sami_memstore_stats st;

    for (int round = 0; round < 2; round++) {
        assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, &p), 0);
        stage_three(f, 5, SAMI_SEC(1));
        assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, SAMI_SEC(1)), 0);
        uint32_t per[SAMI_STORE_COUNTS];
        assert_int_equal(sami_store_count(&f->s, &a, per), 4);
        assert_int_equal(per[SAMI_DI_DHCP], 3);
        assert_int_equal(per[SAMI_DI_FIREWALL], 0);
        assert_int_equal(per[SAMI_DI_IGMP], 1);
        foreach_all(&f->s, &a, t, &mid);
        assert_null(bag_find(&mid, &gone));
        assert_null(bag_find(&mid, &gone_fw));
        assert_non_null(bag_find(&mid, &kept));
        const struct sami_di_record *o = bag_find(&mid, &replaced);
        assert_non_null(o);
        assert_int_equal(o->u.dhcp.mac[5], 0);
        sami_memstore_stats(f->ms, &st);
        assert_int_equal(st.saved, 3);
        if (round == 0) {
            /* rolled back: exactly what was there, times included */
            assert_int_equal(sami_store_discard(&f->s, 5), 0);
            foreach_all(&f->s, &a, t, &after);
            assert_true(bag_same(&before, &after));
        } else {
            assert_int_equal(sami_store_activate(&f->s, 5, SAMI_SEC(1)), 0);
            foreach_all(&f->s, &a, t, &after);
            assert_true(bag_same(&mid, &after));
        }
        sami_memstore_stats(f->ms, &st);
        assert_int_equal(st.saved, 0);
    }
    assert_int_equal(count_of(&f->s, &b), 1);
    struct sami_di_record out;
    assert_int_equal(sami_store_get(&f->s, &b, &elsewhere, 0, &out), 0);
    bag_clear(&before);
    bag_clear(&mid);
    bag_clear(&after);
}

static void test_discard_unknown_vm_forgotten(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    stage_three(f, 5, 0);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), 0);
    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    assert_int_equal(count_of(&f->s, &a), 0);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0);
    struct sami_memstore_stats st;
    sami_memstore_stats(f->ms, &st);
    assert_int_equal(st.records + st.staged + st.saved + st.tombstones, 0);
    assert_int_equal(st.vms, 0);
    assert_int_equal(st.migrations, 0);
}

static void test_empty_commit(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, NULL), 0);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), 0);
    assert_int_equal(count_of(&f->s, &a), 0);
    assert_int_equal(sami_store_activate(&f->s, 5, 0), 0);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0);
}

static void test_commit_atomic_on_limit(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record pre = rec_of(SAMI_DI_DHCP, 2, 40000);
    assert_int_equal(sami_store_put(&f->s, &a, &pre, 0), 0);
    struct bag before = {0}, after = {0};
    foreach_all(&f->s, &a, 0, &before);

    struct sami_store_stage_params lim = {3, 0};
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &a, &lim), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_FIREWALL, i, 60000);
        assert_int_equal(sami_store_stage_put(&f->s, 5, &r, 0), 0);
    }
    /* replacing a staged key is not a new record */
    struct sami_di_record again = rec_of(SAMI_DI_FIREWALL, 2, 1000);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &again, 0), 0);
    struct sami_di_record r4 = rec_of(SAMI_DI_FIREWALL, 4, 60000);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &r4, 0), SAMI_ERR_LIMIT); /* the middle */
    /* the set is incomplete: nothing more, and no commit */
    struct sami_di_record r5 = rec_of(SAMI_DI_DHCP, 2, 60000);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &r5, 0), SAMI_ERR_LIMIT);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), SAMI_ERR_LIMIT);
    foreach_all(&f->s, &a, 0, &after);
    assert_true(bag_same(&before, &after));
    assert_true(sami_store_vm_flags(&f->s, &a) & SAMI_STORE_VM_STAGING);
    assert_int_equal(sami_store_put(&f->s, &a, &r5, 0), 0); /* not pending: learners ok */
    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    assert_int_equal(count_of(&f->s, &a), 1);
    bag_clear(&before);
    bag_clear(&after);
}

static void test_global_limit(void **state)
{
    (void)state;
    struct fx *f = fx_new(5);
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    for (uint32_t i = 0; i < 4; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    }
    /* staged records count: the 2nd staged one is the 6th record */
    assert_int_equal(sami_store_stage_begin(&f->s, 5, &b, NULL), 0);
    struct sami_di_record s1 = rec_of(SAMI_DI_ND, 1, 60000);
    struct sami_di_record s2 = rec_of(SAMI_DI_ND, 2, 60000);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &s1, 0), 0);
    assert_int_equal(sami_store_stage_put(&f->s, 5, &s2, 0), SAMI_ERR_LIMIT);
    assert_int_equal(sami_store_stage_commit(&f->s, 5, 0, 0), SAMI_ERR_LIMIT);
    assert_int_equal(count_of(&f->s, &b), 0);
    /* learners hit the same limit; replacing an existing key still works */
    struct sami_di_record r9 = rec_of(SAMI_DI_DHCP, 9, 60000);
    assert_int_equal(sami_store_put(&f->s, &a, &r9, 0), SAMI_ERR_LIMIT);
    assert_int_equal(count_of(&f->s, &a), 4);
    struct sami_di_record r1 = rec_of(SAMI_DI_DHCP, 1, 99);
    assert_int_equal(sami_store_put(&f->s, &a, &r1, 0), 0);
    assert_int_equal(sami_store_discard(&f->s, 5), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &r9, 0), 0);
    fx_free(f);
}

static void test_purge(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1), b = vm_of(2);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        struct sami_di_record r = rec_of(t, 1, 60000);
        assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
        assert_int_equal(sami_store_put(&f->s, &b, &r, 0), 0);
    }
    /* the source flow: track, full export, freeze, delta, purge, end */
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    struct bag g = {0};
    uint64_t g1, g2;
    export_all(&f->s, &a, 0, 0, &g, &g1);
    assert_int_equal(sami_store_freeze(&f->s, 7), 0);
    export_all(&f->s, &a, g1, 0, &g, &g2);
    assert_int_equal(g.n, 0);
    assert_int_equal(sami_store_purge(&f->s, &a), 0); /* works frozen */
    assert_int_equal(count_of(&f->s, &a), 0);
    assert_int_equal(count_of(&f->s, &b), SAMI_DI_TYPE_MAX);
    /* the purge is a delete like any other while tracked */
    export_all(&f->s, &a, g2, 0, &g, NULL);
    assert_int_equal(g.n, SAMI_DI_TYPE_MAX);
    for (size_t i = 0; i < g.n; i++)
        assert_int_equal(g.r[i].op, SAMI_DI_OP_DELETE);
    sami_store_source_end(&f->s, 7);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0);
    assert_int_equal(sami_store_purge(&f->s, &a), 0); /* nothing there: fine */
    struct sami_memstore_stats st;
    sami_memstore_stats(f->ms, &st);
    assert_int_equal(st.tombstones, 0);
    assert_int_equal(st.records, SAMI_DI_TYPE_MAX);
    bag_clear(&g);
}

static void test_expire_deadlines(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    assert_true(sami_store_expire(&f->s, 0) == SAMI_NO_DEADLINE);
    sami_usec_t t0 = SAMI_SEC(10);
    struct sami_di_record r1 = rec_of(SAMI_DI_DHCP, 1, 1000);
    struct sami_di_record r2 = rec_of(SAMI_DI_DHCP, 2, 2000);
    struct sami_di_record r3 = rec_of(SAMI_DI_DHCP, 3, SAMI_DI_INFINITE);
    struct sami_di_record c = rec_of(SAMI_DI_COUNTERS, 0, 0);
    struct sami_di_record z = rec_of(SAMI_DI_DHCP, 4, 0);
    assert_int_equal(sami_store_put(&f->s, &a, &r2, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &r1, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &r3, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &c, t0), 0);
    assert_int_equal(sami_store_put(&f->s, &a, &z, t0), 0);
    /* a remaining time of 0 is due at once */
    assert_true(sami_store_expire(&f->s, t0) == t0 + SAMI_SEC(1));
    assert_int_equal(count_of(&f->s, &a), 4);
    assert_true(sami_store_expire(&f->s, t0 + SAMI_SEC(1) - 1) == t0 + SAMI_SEC(1));
    assert_int_equal(count_of(&f->s, &a), 4);
    assert_true(sami_store_expire(&f->s, t0 + SAMI_SEC(1)) == t0 + SAMI_SEC(2));
    assert_int_equal(count_of(&f->s, &a), 3);
    /* a renewed lease moves its deadline */
    r2.u.dhcp.lease_remaining_ms = 5000;
    assert_int_equal(sami_store_put(&f->s, &a, &r2, t0 + SAMI_SEC(1)), 0);
    assert_true(sami_store_expire(&f->s, t0 + SAMI_SEC(2)) == t0 + SAMI_SEC(6));
    assert_true(sami_store_expire(&f->s, t0 + SAMI_SEC(6)) == SAMI_NO_DEADLINE);
    uint32_t per[SAMI_STORE_COUNTS];
    assert_int_equal(sami_store_count(&f->s, &a, per), 2); /* infinite + counters */
    assert_int_equal(per[SAMI_DI_DHCP], 1);
    assert_int_equal(per[SAMI_DI_COUNTERS], 1);
    /* a record made infinite leaves the heap */
    struct sami_di_record r5 = rec_of(SAMI_DI_DHCP, 5, 100);
    assert_int_equal(sami_store_put(&f->s, &a, &r5, t0), 0);
    r5.u.dhcp.lease_remaining_ms = SAMI_DI_INFINITE;
    assert_int_equal(sami_store_put(&f->s, &a, &r5, t0), 0);
    assert_true(sami_store_expire(&f->s, t0 + SAMI_SEC(100)) == SAMI_NO_DEADLINE);
    assert_int_equal(count_of(&f->s, &a), 3);
}

/* Each type ages by its own expiring timer (802.1X by the session, not the
 * re-authentication timer; firewall by expiry, not its ages). */
static void test_expire_every_type(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        struct sami_di_record r = rec_of(t, 1, 3000 + 100 * t);
        assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    }
    sami_usec_t next = sami_store_expire(&f->s, 0);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        if (t == SAMI_DI_COUNTERS)
            continue;
        assert_true(next == SAMI_MSEC(3000 + 100 * t));
        uint32_t per[SAMI_STORE_COUNTS];
        sami_store_count(&f->s, &a, per);
        assert_int_equal(per[t], 1);
        next = sami_store_expire(&f->s, next);
        sami_store_count(&f->s, &a, per);
        assert_int_equal(per[t], 0);
    }
    assert_true(next == SAMI_NO_DEADLINE);
    assert_int_equal(count_of(&f->s, &a), 1); /* counters */
}

static void test_expire_tracked_leaves_delete(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record r = rec_of(SAMI_DI_DHCP, 1, 1000);
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    assert_int_equal(sami_store_source_begin(&f->s, 7, &a), 0);
    struct bag g = {0};
    uint64_t g1;
    export_all(&f->s, &a, 0, 0, &g, &g1);
    sami_store_expire(&f->s, SAMI_SEC(1));
    export_all(&f->s, &a, g1, SAMI_SEC(1), &g, NULL);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].op, SAMI_DI_OP_DELETE);
    sami_store_source_end(&f->s, 7);
    bag_clear(&g);
}

static void test_learner_calls(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record r = rec_of(SAMI_DI_ACL, 1, 60000);
    struct sami_di_record out;
    assert_int_equal(sami_store_del(&f->s, &a, &r), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_store_get(&f->s, &a, &r, 0, &out), SAMI_ERR_NOTFOUND);
    r.op = SAMI_DI_OP_DELETE; /* put ignores op */
    assert_int_equal(sami_store_put(&f->s, &a, &r, 0), 0);
    assert_int_equal(sami_store_get(&f->s, &a, &r, 0, &out), 0);
    assert_int_equal(out.op, SAMI_DI_OP_UPSERT);
    /* del reads the key only */
    struct sami_di_record k = rec_of(SAMI_DI_ACL, 1, 5);
    k.u.acl.action = SAMI_DI_ACL_PERMIT;
    assert_int_equal(sami_store_del(&f->s, &a, &k), 0);
    assert_int_equal(sami_store_del(&f->s, &a, &k), SAMI_ERR_NOTFOUND);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0);

    struct sami_di_record bad = rec_of(SAMI_DI_ACL, 1, 60000);
    bad.type = 0;
    assert_int_equal(sami_store_put(&f->s, &a, &bad, 0), SAMI_ERR_TYPE);
    assert_int_equal(sami_store_del(&f->s, &a, &bad), SAMI_ERR_TYPE);
    assert_int_equal(sami_store_get(&f->s, &a, &bad, 0, &out), SAMI_ERR_TYPE);
    bad = rec_of(SAMI_DI_ACL, 1, 60000);
    bad.version = 2;
    assert_int_equal(sami_store_put(&f->s, &a, &bad, 0), SAMI_ERR_VERSION);
    bad = rec_of(SAMI_DI_ACL, 1, 60000);
    bad.u.acl.src_prefix_len = 200;
    assert_int_equal(sami_store_put(&f->s, &a, &bad, 0), SAMI_ERR_VALUE);
    assert_int_equal(sami_store_put(&f->s, &a, NULL, 0), SAMI_ERR_INVAL);
    assert_int_equal(sami_store_put(&f->s, NULL, &r, 0), SAMI_ERR_INVAL);
    assert_int_equal(sami_store_count(&f->s, &a, NULL), 0);
    assert_int_equal(sami_store_vm_flags(&f->s, &a), 0);
}

/* ---- randomized: a receiver that applies a full export and then every
 * delta must always hold exactly what the source holds ---- */

struct mirror_rec {
    struct sami_di_record r;
    sami_usec_t at; /* the now its times are relative to */
};

struct mirror {
    size_t n;
    struct mirror_rec m[256];
    sami_usec_t now;
};

static int mirror_apply(void *arg, const struct sami_di_record *rec)
{
    struct mirror *mi = arg;
    size_t i = 0;
    while (i < mi->n && !sami_di_key_equal(&mi->m[i].r, rec))
        i++;
    if (rec->op == SAMI_DI_OP_DELETE) {
        if (i < mi->n)
            mi->m[i] = mi->m[--mi->n];
        return 0;
    }
    if (i == mi->n) {
        assert_true(mi->n < 256);
        mi->n++;
    }
    mi->m[i].r = *rec;
    mi->m[i].r.op = SAMI_DI_OP_UPSERT;
    mi->m[i].at = mi->now;
    return 0;
}

static uint32_t lcg(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

static void check_mirror(const struct fx *f, const struct sami_vm_id *vm, struct mirror *mi,
                         sami_usec_t now)
{
    struct bag cur = {0};
    foreach_all(&f->s, vm, now, &cur);
    assert_int_equal(cur.n, mi->n);
    for (size_t i = 0; i < mi->n; i++) {
        struct sami_di_record r = mi->m[i].r;
        sami_di_rebase(&r, sami_store_elapsed_ms(mi->m[i].at, now));
        const struct sami_di_record *o = bag_find(&cur, &r);
        assert_non_null(o);
        assert_true(rec_equal(o, &r));
    }
    bag_clear(&cur);
}

static void test_random_deltas(void **state)
{
    struct fx *f = *state;
    struct sami_vm_id a = vm_of(1);
    static struct mirror mi;
    memset(&mi, 0, sizeof mi);
    uint32_t x = 12345;
    sami_usec_t now = SAMI_SEC(1);
    for (uint32_t i = 0; i < 40; i++) {
        struct sami_di_record r = rec_of(i % 2 ? SAMI_DI_FIREWALL : SAMI_DI_DHCP, i, 5000 + i);
        assert_int_equal(sami_store_put(&f->s, &a, &r, now), 0);
    }
    uint64_t mid = 1, gen = 0;
    assert_int_equal(sami_store_source_begin(&f->s, mid, &a), 0);
    mi.now = now;
    assert_int_equal(sami_store_export(&f->s, &a, 0, now, mirror_apply, &mi, &gen), 0);
    int frozen = 0;
    for (int step = 0; step < 3000; step++) {
        now += SAMI_MSEC(1 + lcg(&x) % 200);
        uint32_t op = lcg(&x) % 100, k = lcg(&x) % 96;
        unsigned type = k % 3 == 0 ? SAMI_DI_FIREWALL : k % 3 == 1 ? SAMI_DI_DHCP : SAMI_DI_IGMP;
        struct sami_di_record r = rec_of(type, k, 100 + lcg(&x) % 20000);
        int rc;
        if (op < 45) {
            rc = sami_store_put(&f->s, &a, &r, now);
            assert_int_equal(rc, frozen ? SAMI_ERR_STATE : 0);
        } else if (op < 70) {
            rc = sami_store_del(&f->s, &a, &r);
            assert_true(rc == (frozen ? SAMI_ERR_STATE : 0) || rc == SAMI_ERR_NOTFOUND);
        } else if (op < 80) {
            sami_usec_t next = sami_store_expire(&f->s, now);
            assert_true(next > now);
        } else if (op < 83) {
            frozen = !frozen;
            rc = frozen ? sami_store_freeze(&f->s, mid) : sami_store_unfreeze(&f->s, mid);
            assert_int_equal(rc, 0);
        } else if (op < 85) {
            /* a new migration replaces the old: a fresh full export */
            sami_store_source_end(&f->s, mid);
            frozen = 0;
            mid++;
            assert_int_equal(sami_store_source_begin(&f->s, mid, &a), 0);
            mi.n = 0;
            mi.now = now;
            assert_int_equal(sami_store_export(&f->s, &a, 0, now, mirror_apply, &mi, &gen), 0);
            check_mirror(f, &a, &mi, now);
        } else {
            uint64_t g2;
            mi.now = now;
            assert_int_equal(sami_store_export(&f->s, &a, gen, now, mirror_apply, &mi, &g2), 0);
            assert_true(g2 >= gen);
            gen = g2;
            check_mirror(f, &a, &mi, now);
        }
    }
    sami_store_source_end(&f->s, mid);
    struct sami_memstore_stats st;
    sami_memstore_stats(f->ms, &st);
    assert_int_equal(st.tombstones, 0);
}

static int vbag_emit(void *arg, uint8_t type, const uint8_t *value, size_t len);

static void test_wrappers_without_store(void **state)
{
    (void)state;
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record r = rec_of(SAMI_DI_DHCP, 1, 1);
    struct sami_store_ops none;
    memset(&none, 0, sizeof none);
    struct sami_store empty = {&none, NULL};
    const struct sami_store *ss[] = {NULL, &empty};
    for (size_t i = 0; i < 2; i++) {
        const struct sami_store *s = ss[i];
        assert_int_equal(sami_store_put(s, &a, &r, 0), SAMI_ERR_UNSUPPORTED);
        assert_int_equal(sami_store_export(s, &a, 0, 0, bag_emit, NULL, NULL),
                         SAMI_ERR_UNSUPPORTED);
        assert_int_equal(sami_store_stage_commit(s, 1, 0, 0), SAMI_ERR_UNSUPPORTED);
        assert_int_equal(sami_store_export_values(s, &a, 0, 0, vbag_emit, NULL, NULL),
                         SAMI_ERR_UNSUPPORTED);
        assert_int_equal(sami_store_stage_foreach_values(s, 1, vbag_emit, NULL),
                         SAMI_ERR_UNSUPPORTED);
        struct sami_store_value sv = {NULL, 0, SAMI_DI_DHCP};
        size_t applied = 5;
        assert_int_equal(sami_store_stage_put_values(s, 1, &sv, 1, 0, &applied),
                         SAMI_ERR_UNSUPPORTED);
        assert_int_equal(applied, 0);
        assert_false(sami_store_has_put_values(s));
        assert_true(sami_store_expire(s, 0) == SAMI_NO_DEADLINE);
        sami_store_source_end(s, 1);
    }
    assert_true(sami_store_vm_equal(&a, &a));
    assert_false(sami_store_vm_equal(&a, NULL));
    assert_int_equal(sami_store_elapsed_ms(5000, 1000), 0);
    assert_int_equal(sami_store_elapsed_ms(0, 2999), 2);
    assert_int_equal(sami_store_elapsed_ms(0, UINT64_MAX), UINT32_MAX);
    assert_int_equal(sami_store_expiry_ms(NULL), SAMI_DI_INFINITE);
    struct sami_di_record c = rec_of(SAMI_DI_COUNTERS, 0, 0);
    assert_int_equal(sami_store_expiry_ms(&c), SAMI_DI_INFINITE);
}

/* ---- records as element values ---- */

static uint32_t xr(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* rec_of with its key and other fields varied by the seed: IPv4-mapped
 * and IPv6 addresses, NAT or not, 802.1X strings of several lengths,
 * timers from 0 to SAMI_DI_INFINITE. */
static struct sami_di_record rec_varied(unsigned type, uint32_t *x)
{
    struct sami_di_record r = rec_of(type, xr(x) % 4, xr(x) % 3 ? xr(x) : SAMI_DI_INFINITE);
    switch (type) {
    case SAMI_DI_DHCP: r.u.dhcp.vlan = (uint16_t)(xr(x) % 3); break;
    case SAMI_DI_DHCPV6:
        r.u.dhcpv6.iaid = xr(x) % 3;
        r.u.dhcpv6.mac[5] = (uint8_t)xr(x);
        break;
    case SAMI_DI_DOT1X:
        r.u.dot1x.reauth_remaining_ms = xr(x) % 2 ? SAMI_DI_INFINITE : xr(x);
        r.u.dot1x.filter_id_len = (uint8_t)(xr(x) % 40);
        memset(r.u.dot1x.filter_id, 'f', r.u.dot1x.filter_id_len);
        r.u.dot1x.identity_len = (uint8_t)(xr(x) % 2 ? SAMI_DI_STR_MAX : 0);
        memset(r.u.dot1x.identity, 'i', r.u.dot1x.identity_len);
        break;
    case SAMI_DI_ACL: r.u.acl.rate_kbps = xr(x); break;
    case SAMI_DI_IGMP:
        if (xr(x) % 2) {
            r.u.igmp.family = SAMI_DI_FAMILY_IPV4;
            memset(r.u.igmp.group, 0, 16);
            r.u.igmp.group[10] = r.u.igmp.group[11] = 0xff;
            r.u.igmp.group[12] = 239;
            r.u.igmp.group[15] = (uint8_t)(xr(x) % 3);
            if (xr(x) % 2) { /* an IPv4 source is mapped too */
                r.u.igmp.source[10] = r.u.igmp.source[11] = 0xff;
                r.u.igmp.source[15] = (uint8_t)(xr(x) % 2);
            }
        } else {
            r.u.igmp.source[15] = (uint8_t)(xr(x) % 2);
        }
        r.u.igmp.vlan = (uint16_t)(xr(x) % 2);
        break;
    case SAMI_DI_COUNTERS: r.u.counters.rate_bps = xr(x); break;
    case SAMI_DI_FIREWALL:
        r.u.firewall.created_age_ms = xr(x) % 2 ? UINT32_MAX - 3 : xr(x);
        r.u.firewall.last_heard_age_ms = xr(x);
        r.u.firewall.src_port = (uint16_t)(xr(x) % 2);
        r.u.firewall.dst_port = (uint16_t)(xr(x) % 2);
        r.u.firewall.vlan = (uint16_t)(xr(x) % 2);
        if (xr(x) % 2) {
            r.u.firewall.flags = SAMI_DI_FW_F_NAT;
            addr16(r.u.firewall.nat_src, xr(x));
            r.u.firewall.nat_src_port = (uint16_t)xr(x);
        }
        break;
    default: break;
    }
    assert_int_equal(sami_di_validate(&r), 0);
    return r;
}

/* The value helpers agree with lib/di on every type: the structure check,
 * key octets (equal exactly when sami_di_key_equal, hashing to
 * sami_di_key_hash) and rebasing in place (= encode(sami_di_rebase())). */
static void test_value_helpers(void **state)
{
    (void)state;
    uint32_t x = 1;
    static const uint32_t elapsed[] = {0, 1, 999, 3600000, UINT32_MAX};
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        for (int i = 0; i < 200; i++) {
            struct sami_di_record a = rec_varied(t, &x), b = rec_varied(t, &x);
            if (i % 2)
                a.op = SAMI_DI_OP_DELETE;
            uint8_t va[SAMI_DI_MAX_LEN], vb[SAMI_DI_MAX_LEN];
            uint8_t ka[SAMI_STORE_KEY_MAX], kb[SAMI_STORE_KEY_MAX];
            size_t na, nb;
            assert_int_equal(enc(&a, va, &na), 0);
            assert_int_equal(enc(&b, vb, &nb), 0);
            assert_int_equal(sami_store_value_check((uint8_t)t, va, na), 0);
            size_t kna = sami_store_value_key((uint8_t)t, va, na, ka);
            size_t knb = sami_store_value_key((uint8_t)t, vb, nb, kb);
            assert_true(kna > 1 && knb > 1);
            assert_true(sami_store_key_hash(ka, kna) == sami_di_key_hash(&a));
            assert_true(sami_store_key_hash(kb, knb) == sami_di_key_hash(&b));
            int same = kna == knb && memcmp(ka, kb, kna) == 0;
            assert_int_equal(same, sami_di_key_equal(&a, &b));
            for (size_t k = 0; k < sizeof elapsed / sizeof elapsed[0]; k++) {
                struct sami_di_record r = a;
                uint8_t want[SAMI_DI_MAX_LEN], got[SAMI_DI_MAX_LEN];
                size_t nw;
                sami_di_rebase(&r, elapsed[k]);
                assert_int_equal(enc(&r, want, &nw), 0);
                memcpy(got, va, na);
                sami_store_value_rebase((uint8_t)t, got, na, elapsed[k]);
                assert_int_equal(nw, na);
                assert_memory_equal(got, want, na);
            }
        }
    }
    /* structure errors */
    struct sami_di_record d = rec_of(SAMI_DI_DHCP, 1, 10);
    uint8_t v[SAMI_DI_MAX_LEN + 8], k[SAMI_STORE_KEY_MAX];
    size_t n;
    assert_int_equal(enc(&d, v, &n), 0);
    assert_int_equal(sami_store_value_check(0, v, n), SAMI_ERR_TYPE);
    assert_int_equal(sami_store_value_check(SAMI_DI_TYPE_MAX + 1, v, n), SAMI_ERR_TYPE);
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, NULL, n), SAMI_ERR_INVAL);
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, v, 1), SAMI_ERR_LENGTH);
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, v, n - 1), SAMI_ERR_LENGTH);
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, v, n + 1), SAMI_ERR_LENGTH);
    assert_int_equal(sami_store_value_key(SAMI_DI_DHCP, v, 13, k), 0); /* vlan cut off */
    assert_int_equal(sami_store_value_key(0, v, n, k), 0);
    assert_int_equal(sami_store_key_hash(NULL, 3), 0);
    v[1] = 3;
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, v, n), SAMI_ERR_INVAL);
    v[1] = SAMI_DI_OP_UPSERT;
    v[0] = 2;
    assert_int_equal(sami_store_value_check(SAMI_DI_DHCP, v, n), SAMI_ERR_VERSION);
    uint8_t before[SAMI_DI_MAX_LEN];
    memcpy(before, v, n);
    sami_store_value_rebase(SAMI_DI_DHCP, v, n, 5000); /* not a valid value: untouched */
    assert_memory_equal(before, v, n);
    /* 802.1X: the strings must end the value exactly */
    struct sami_di_record x1 = rec_of(SAMI_DI_DOT1X, 1, 10);
    assert_int_equal(enc(&x1, v, &n), 0);
    assert_int_equal(sami_store_value_check(SAMI_DI_DOT1X, v, n), 0);
    assert_int_equal(sami_store_value_check(SAMI_DI_DOT1X, v, n - 1), SAMI_ERR_LENGTH);
    v[n] = 0;
    assert_int_equal(sami_store_value_check(SAMI_DI_DOT1X, v, n + 1), SAMI_ERR_LENGTH);
    v[20] = 0xff; /* a string longer than SAMI_DI_STR_MAX */
    assert_int_equal(sami_store_value_check(SAMI_DI_DOT1X, v, n), SAMI_ERR_LENGTH);
    /* firewall: the NAT flag decides the length */
    struct sami_di_record f = rec_of(SAMI_DI_FIREWALL, 1, 10);
    assert_int_equal(enc(&f, v, &n), 0);
    assert_int_equal(n, SAMI_DI_FIREWALL_LEN);
    v[5] |= SAMI_DI_FW_F_NAT;
    assert_int_equal(sami_store_value_check(SAMI_DI_FIREWALL, v, n), SAMI_ERR_LENGTH);
    assert_int_equal(sami_store_value_check(SAMI_DI_FIREWALL, v, 10), SAMI_ERR_LENGTH);
}

/* ---- value calls against struct calls ---- */

struct vbag {
    size_t n;
    uint8_t type[64];
    uint8_t op[64];
    size_t len[64];
    uint8_t v[64][SAMI_DI_MAX_LEN];
};

static int vbag_emit(void *arg, uint8_t type, const uint8_t *value, size_t len)
{
    struct vbag *b = arg;
    assert_true(b->n < 64);
    b->type[b->n] = type;
    b->op[b->n] = value[1];
    b->len[b->n] = len;
    memcpy(b->v[b->n], value, len);
    b->n++;
    return 0;
}

/* Whether the values are exactly the encodings of the records (any order). */
static int vbag_is(const struct vbag *vb, const struct bag *b)
{
    if (vb->n != b->n)
        return 0;
    for (size_t i = 0; i < b->n; i++) {
        uint8_t e[SAMI_DI_MAX_LEN];
        size_t n;
        if (enc(&b->r[i], e, &n))
            return 0;
        size_t j = 0;
        while (j < vb->n && !(vb->type[j] == b->r[i].type && vb->len[j] == n &&
                              memcmp(vb->v[j], e, n) == 0))
            j++;
        if (j == vb->n)
            return 0;
    }
    return 1;
}

/* The memstore with its value calls taken away: what an older store offers. */
static struct sami_store_ops g_struct_only;

static struct sami_store struct_only(struct fx *f)
{
    g_struct_only = *sami_memstore_ops();
    g_struct_only.export_values = NULL;
    g_struct_only.stage_put_values = NULL;
    g_struct_only.stage_foreach_values = NULL;
    struct sami_store s = {&g_struct_only, f->ms};
    return s;
}

/* export_values (full and delta, DELETEs included) and stage_foreach_values
 * emit exactly the encodings of what export_records and stage_foreach
 * emit; stage_put_values stages what stage_put stages. The same through
 * the wrappers' fallback for a store without the value calls. */
static void test_value_calls(void **state)
{
    struct fx *f = *state;
    for (int fallback = 0; fallback < 2; fallback++) {
        struct sami_store s = fallback ? struct_only(f) : f->s;
        struct sami_vm_id a = vm_of((uint8_t)(10 + fallback)), b = vm_of((uint8_t)(20 + fallback));
        uint64_t mid = 100 + (uint64_t)fallback;
        assert_int_equal(sami_store_has_put_values(&s), !fallback);
        for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
            struct sami_di_record r = rec_of(t, 1, 60000);
            assert_int_equal(sami_store_put(&s, &a, &r, SAMI_MSEC(1000)), 0);
        }
        assert_int_equal(sami_store_source_begin(&s, mid, &a), 0);
        struct bag rb = {0};
        struct vbag vb;
        uint64_t g1 = 0, g2 = 0, g3 = 0;
        export_all(&s, &a, 0, SAMI_MSEC(4000), &rb, &g1);
        memset(&vb, 0, sizeof vb);
        assert_int_equal(sami_store_export_values(&s, &a, 0, SAMI_MSEC(4000), vbag_emit, &vb, &g2),
                         0);
        assert_true(g1 == g2);
        assert_true(vbag_is(&vb, &rb)); /* rebased by 3 s alike */
        struct sami_di_record chg = rec_of(SAMI_DI_ACL, 1, 5000), gone = rec_of(SAMI_DI_DHCP, 1, 0);
        assert_int_equal(sami_store_put(&s, &a, &chg, SAMI_MSEC(4000)), 0);
        assert_int_equal(sami_store_del(&s, &a, &gone), 0);
        export_all(&s, &a, g1, SAMI_MSEC(4500), &rb, &g2);
        memset(&vb, 0, sizeof vb);
        assert_int_equal(
            sami_store_export_values(&s, &a, g1, SAMI_MSEC(4500), vbag_emit, &vb, &g3), 0);
        assert_true(g2 == g3);
        assert_int_equal(vb.n, 2);
        assert_true(vbag_is(&vb, &rb));
        assert_true(vb.op[0] == SAMI_DI_OP_DELETE || vb.op[1] == SAMI_DI_OP_DELETE);
        sami_store_source_end(&s, mid);

        /* staging b from the values: one UPSERT replaced in the batch, one
         * DELETE of a staged key, one DELETE of an unknown key */
        struct sami_store_value sv[SAMI_DI_TYPE_MAX + 3];
        uint8_t val[SAMI_DI_TYPE_MAX + 3][SAMI_DI_MAX_LEN];
        size_t nv = 0, applied = 99;
        for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
            struct sami_di_record r = rec_of(t, 2, 70000);
            size_t n;
            assert_int_equal(enc(&r, val[nv], &n), 0);
            sv[nv] = (struct sami_store_value){val[nv], (uint16_t)n, (uint8_t)t};
            nv++;
        }
        struct sami_di_record up = rec_of(SAMI_DI_ND, 2, 80000), del = rec_of(SAMI_DI_IGMP, 2, 0),
                              del2 = rec_of(SAMI_DI_IGMP, 9, 0);
        del.op = del2.op = SAMI_DI_OP_DELETE;
        const struct sami_di_record *more[3] = {&up, &del, &del2};
        for (int i = 0; i < 3; i++, nv++) {
            size_t n;
            assert_int_equal(enc(more[i], val[nv], &n), 0);
            sv[nv] = (struct sami_store_value){val[nv], (uint16_t)n, more[i]->type};
        }
        assert_int_equal(sami_store_stage_begin(&s, mid, &b, NULL), 0);
        assert_int_equal(sami_store_stage_put_values(&s, mid, sv, nv, SAMI_MSEC(5000), &applied),
                         0);
        assert_int_equal(applied, nv);
        struct bag st = {0};
        assert_int_equal(sami_store_stage_foreach(&s, mid, bag_emit, &st), 0);
        assert_int_equal(st.n, SAMI_DI_TYPE_MAX - 1);
        const struct sami_di_record *nd = bag_find(&st, &up);
        assert_non_null(nd);
        assert_true(rec_equal(nd, &up));
        assert_null(bag_find(&st, &del));
        memset(&vb, 0, sizeof vb);
        assert_int_equal(sami_store_stage_foreach_values(&s, mid, vbag_emit, &vb), 0);
        assert_true(vbag_is(&vb, &st));
        /* a bad record stops the batch: the ones before it stay applied */
        struct sami_store_value bad[3] = {sv[0], sv[1], sv[2]};
        uint8_t broken[SAMI_DI_MAX_LEN];
        memcpy(broken, sv[1].value, sv[1].len);
        broken[0] = 9; /* version */
        bad[1].value = broken;
        assert_int_equal(sami_store_stage_put_values(&s, mid, bad, 3, SAMI_MSEC(5000), &applied),
                         SAMI_ERR_VERSION);
        assert_int_equal(applied, 1);
        assert_int_equal(sami_store_stage_put_values(&s, mid, sv, 0, SAMI_MSEC(5000), NULL), 0);
        assert_int_equal(sami_store_stage_commit(&s, mid, 0, SAMI_MSEC(5000)), 0);
        assert_int_equal(count_of(&s, &b), SAMI_DI_TYPE_MAX - 1);
        /* committed: no more staging */
        assert_int_equal(sami_store_stage_put_values(&s, mid, sv, 1, SAMI_MSEC(5000), &applied),
                         SAMI_ERR_STATE);
        assert_int_equal(applied, 0);
        assert_int_equal(sami_store_stage_foreach_values(&s, mid, vbag_emit, &vb), SAMI_ERR_STATE);
        assert_int_equal(sami_store_activate(&s, mid, SAMI_MSEC(5000)), 0);
        assert_int_equal(sami_store_stage_put_values(&s, mid, sv, 1, SAMI_MSEC(5000), NULL),
                         SAMI_ERR_NOTFOUND);
        bag_clear(&rb);
        bag_clear(&st);
    }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_full_export_all_types),
        T(test_times_relative_to_now),
        T(test_delta_exact),
        T(test_delta_put_then_delete),
        T(test_delta_errors),
        T(test_emit_stops),
        T(test_source_begin_rules),
        T(test_freeze),
        T(test_stage_commit_activate),
        T(test_commit_rebases),
        T(test_discard_before_commit),
        T(test_discard_after_commit),
        T(test_commit_replaces_types),
        T(test_discard_unknown_vm_forgotten),
        T(test_empty_commit),
        T(test_commit_atomic_on_limit),
        cmocka_unit_test(test_global_limit),
        T(test_purge),
        T(test_expire_deadlines),
        T(test_expire_every_type),
        T(test_expire_tracked_leaves_delete),
        T(test_learner_calls),
        T(test_random_deltas),
        cmocka_unit_test(test_wrappers_without_store),
        cmocka_unit_test(test_value_helpers),
        T(test_value_calls),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
