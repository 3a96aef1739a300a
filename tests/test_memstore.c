/* Reference memstore specifics: memory per record, 100,000 records through
 * the source flow without leaks, the fixed-capacity pool, allocation
 * failures at every point leaving the store consistent, records that
 * outgrow their slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/memstore.h"
#include "sami/store.h"

/* ---- a counting allocator that can be told to fail ---- */

struct calloc_ctx {
    long live;       /* blocks not yet freed */
    long allocs;     /* successful allocations */
    long fail_after; /* allocations that succeed before all fail; -1 = never */
};

static void *c_alloc(void *ctx, size_t n)
{
    struct calloc_ctx *c = ctx;
    if (c->fail_after >= 0 && c->allocs >= c->fail_after)
        return NULL;
    void *p = malloc(n);
    if (p) {
        c->live++;
        c->allocs++;
    }
    return p;
}

static void c_free(void *ctx, void *p)
{
    struct calloc_ctx *c = ctx;
    if (p) {
        c->live--;
        free(p);
    }
}

static struct sami_memstore *ms_new(struct calloc_ctx *c, uint32_t max_records)
{
    struct sami_memstore_config cfg = {{c_alloc, c_free, c}, max_records, 0};
    struct sami_memstore *ms = NULL;
    assert_int_equal(sami_memstore_create(&cfg, &ms), 0);
    return ms;
}

static struct sami_vm_id vm_of(uint32_t n)
{
    struct sami_vm_id v;
    memset(&v, 0, sizeof v);
    v.id_format = 5;
    v.id[0] = 0xaa;
    v.id[12] = (uint8_t)(n >> 24);
    v.id[13] = (uint8_t)(n >> 16);
    v.id[14] = (uint8_t)(n >> 8);
    v.id[15] = (uint8_t)n;
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

static void map4(uint8_t a[16], uint32_t i)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = 10;
    a[13] = (uint8_t)(i >> 16);
    a[14] = (uint8_t)(i >> 8);
    a[15] = (uint8_t)i;
}

static void set_str(char *dst, uint8_t *len, char c, uint8_t n)
{
    memset(dst, c, n);
    dst[n] = 0;
    *len = n;
}

/* A valid record of `type` keyed by i (counters: 2 keys, by i's parity). */
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
        r.u.dhcp.lease_remaining_ms = timer;
        break;
    case SAMI_DI_DHCPV6:
        addr16(r.u.dhcpv6.ipv6, i);
        r.u.dhcpv6.lease_remaining_ms = timer;
        break;
    case SAMI_DI_ND:
        addr16(r.u.nd.ipv6, i);
        r.u.nd.state = SAMI_DI_ND_VALID;
        r.u.nd.lifetime_remaining_ms = timer;
        break;
    case SAMI_DI_DOT1X:
        r.u.dot1x.mac[2] = (uint8_t)(i >> 24);
        r.u.dot1x.mac[3] = (uint8_t)(i >> 16);
        r.u.dot1x.mac[4] = (uint8_t)(i >> 8);
        r.u.dot1x.mac[5] = (uint8_t)i;
        r.u.dot1x.authorized = 1;
        r.u.dot1x.session_remaining_ms = timer;
        set_str(r.u.dot1x.session_id, &r.u.dot1x.session_id_len, 's', 16);
        set_str(r.u.dot1x.identity, &r.u.dot1x.identity_len, 'i', 20);
        set_str(r.u.dot1x.filter_id, &r.u.dot1x.filter_id_len, 'f', 10);
        break;
    case SAMI_DI_ACL:
        r.u.acl.rule_id = i;
        addr16(r.u.acl.src, i);
        addr16(r.u.acl.dst, 7);
        r.u.acl.src_prefix_len = 128;
        r.u.acl.dst_prefix_len = 64;
        r.u.acl.action = SAMI_DI_ACL_PERMIT;
        r.u.acl.origin = SAMI_DI_ACL_IDS;
        r.u.acl.lifetime_remaining_ms = timer;
        break;
    case SAMI_DI_IGMP:
        r.u.igmp.family = SAMI_DI_FAMILY_IPV6;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_INCLUDE;
        addr16(r.u.igmp.group, i);
        r.u.igmp.group[0] = 0xff;
        r.u.igmp.timer_remaining_ms = timer;
        break;
    case SAMI_DI_COUNTERS:
        r.u.counters.direction = (uint8_t)(i % 2 ? SAMI_DI_DIR_OUT : SAMI_DI_DIR_IN);
        r.u.counters.packets = i;
        break;
    case SAMI_DI_FIREWALL:
        r.u.firewall.family = SAMI_DI_FAMILY_IPV6;
        r.u.firewall.protocol = 17;
        r.u.firewall.state = SAMI_DI_FW_ASSURED;
        addr16(r.u.firewall.src, i);
        addr16(r.u.firewall.dst, 7);
        r.u.firewall.src_port = 5353;
        r.u.firewall.dst_port = 53;
        r.u.firewall.expiry_remaining_ms = timer;
        break;
    default:
        break;
    }
    assert_int_equal(sami_di_validate(&r), 0);
    return r;
}

static int rec_equal(const struct sami_di_record *a, const struct sami_di_record *b)
{
    uint8_t ba[SAMI_DI_MAX_LEN], bb[SAMI_DI_MAX_LEN];
    size_t na, nb;
    if (sami_di_encode(a, ba, sizeof ba, &na) || sami_di_encode(b, bb, sizeof bb, &nb))
        return 0;
    return na == nb && memcmp(ba, bb, na) == 0;
}

static int count_emit(void *arg, const struct sami_di_record *rec)
{
    (void)rec;
    (*(size_t *)arg)++;
    return 0;
}

/* ---- memory per record ---- */

/* Octets taken from the allocator per record, all indexes included, for n
 * records of one type spread over VMs of `per_vm` records. */
enum { V6 = 0, NAT = 1, V4 = 2 };

static double bytes_per_record(unsigned type, uint32_t n, uint32_t per_vm, int how)
{
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_memstore_stats st;
    sami_memstore_stats(ms, &st);
    size_t base = st.bytes;
    for (uint32_t i = 0; i < n; i++) {
        struct sami_vm_id vm = vm_of(i / per_vm);
        struct sami_di_record r = rec_of(type, i, 60000);
        if (how & V4) {
            if (type == SAMI_DI_FIREWALL) {
                r.u.firewall.family = SAMI_DI_FAMILY_IPV4;
                map4(r.u.firewall.src, i);
                map4(r.u.firewall.dst, 7);
            } else if (type == SAMI_DI_ACL) {
                map4(r.u.acl.src, i);
                map4(r.u.acl.dst, 7);
            } else if (type == SAMI_DI_IGMP) {
                r.u.igmp.family = SAMI_DI_FAMILY_IPV4;
                map4(r.u.igmp.group, i);
                r.u.igmp.group[12] = 239; /* ASM: source stays zero */
            }
        }
        if (how & NAT) {
            r.u.firewall.flags = SAMI_DI_FW_F_NAT;
            if (how & V4) {
                map4(r.u.firewall.nat_src, i);
                map4(r.u.firewall.nat_dst, 8);
            } else {
                addr16(r.u.firewall.nat_src, i);
                addr16(r.u.firewall.nat_dst, 8);
            }
        }
        assert_int_equal(sami_store_put(&s, &vm, &r, 0), 0);
    }
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.records, n);
    double per = (double)(st.bytes - base) / n;
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
    return per;
}

static void test_memory_per_record(void **state)
{
    (void)state;
    const uint32_t n = 20000, per_vm = 200;
    double worst = 0;
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        if (t == SAMI_DI_COUNTERS)
            continue; /* two per VM at most: measured below */
        int v4 = t == SAMI_DI_ACL || t == SAMI_DI_IGMP || t == SAMI_DI_FIREWALL;
        for (int how = V6; how <= (v4 ? V4 : V6); how += V4) {
            double b = bytes_per_record(t, n, per_vm, how);
            print_message("memstore: %-8s%s %6.1f octets/record\n", sami_di_type_name(t),
                          v4 ? (how ? " v4" : " v6") : "   ", b);
            if (b > worst)
                worst = b;
        }
    }
    double nat4 = bytes_per_record(SAMI_DI_FIREWALL, n, per_vm, NAT | V4);
    double nat6 = bytes_per_record(SAMI_DI_FIREWALL, n, per_vm, NAT);
    print_message("memstore: fw+nat v4  %6.1f octets/record\n", nat4);
    print_message("memstore: fw+nat v6  %6.1f octets/record\n", nat6);
    double cnt = bytes_per_record(SAMI_DI_COUNTERS, n, 2, V6);
    print_message("memstore: counters   %6.1f octets/record (2 per VM: VM object included)\n",
                  cnt);
    /* the goal: <= 128 octets per record, indexes included; only IPv6
     * firewall sessions with NAT66 and 802.1X with long strings exceed it */
    assert_true(worst <= 128.0);
    assert_true(nat4 <= 128.0);
    assert_true(bytes_per_record(SAMI_DI_DHCP, n, per_vm, V6) <= 80.0);
}

/* ---- 100,000 records through the source flow ---- */

static void test_100k_put_export_purge(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_memstore_stats st;
    sami_memstore_stats(ms, &st);
    const size_t base = st.bytes;
    const uint32_t nvm = 1000, per = 100, total = nvm * per;
    for (uint32_t i = 0; i < total; i++) {
        struct sami_vm_id vm = vm_of(i % nvm);
        unsigned type = 1 + (i / nvm) % SAMI_DI_TYPE_MAX;
        struct sami_di_record r = rec_of(type, i, 1000 + i % 5000);
        assert_int_equal(sami_store_put(&s, &vm, &r, 0), 0);
    }
    sami_memstore_stats(ms, &st);
    /* counters have two keys per VM: the rest replaced earlier ones */
    uint32_t live = st.records;
    assert_true(live > total - total / SAMI_DI_TYPE_MAX);
    print_message("memstore: %u records, %zu octets (%.1f/record), %u chunks, peak %zu\n", live,
                  st.bytes - base, (double)(st.bytes - base) / live, st.chunks, st.peak_bytes);

    size_t seen = 0;
    for (uint32_t v = 0; v < nvm; v++) {
        struct sami_vm_id vm = vm_of(v);
        uint64_t mid = 1000 + v, g1, g2;
        assert_int_equal(sami_store_source_begin(&s, mid, &vm), 0);
        assert_int_equal(sami_store_export(&s, &vm, 0, SAMI_MSEC(10), count_emit, &seen, &g1), 0);
        assert_int_equal(sami_store_freeze(&s, mid), 0);
        size_t delta = 0;
        assert_int_equal(sami_store_export(&s, &vm, g1, SAMI_MSEC(20), count_emit, &delta, &g2),
                         0);
        assert_int_equal(delta, 0);
        assert_int_equal(sami_store_purge(&s, &vm), 0);
        sami_store_source_end(&s, mid);
    }
    assert_int_equal(seen, live);
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.tombstones, 0);
    assert_int_equal(st.vms, 0);
    assert_int_equal(st.migrations, 0);
    /* chunks went back; one kept per size class, plus the grown tables */
    assert_true(st.chunks <= 8);
    print_message("memstore: after purge %zu octets above empty\n", st.bytes - base);
    assert_true(sami_store_expire(&s, SAMI_SEC(3600)) == SAMI_NO_DEADLINE);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

/* ---- fixed capacity ---- */

static void test_fixed_pool(void **state)
{
    (void)state;
    const size_t len = (size_t)3 << 20;
    unsigned char *buf = malloc(len);
    assert_non_null(buf);
    struct sami_fixed_pool pool;
    struct sami_memstore_config cfg;
    memset(&cfg, 0, sizeof cfg);
    assert_int_equal(sami_fixed_pool_init(&pool, buf, len, &cfg.alloc), 0);
    cfg.max_records = 5000;
    cfg.presize = 1;
    struct sami_memstore *ms = NULL;
    assert_int_equal(sami_memstore_create(&cfg, &ms), 0);
    struct sami_store s = sami_memstore_store(ms);
    size_t empty = sami_fixed_pool_in_use(&pool);
    struct sami_vm_id vm = vm_of(1);

    for (int round = 0; round < 3; round++) {
        unsigned type = round == 1 ? SAMI_DI_FIREWALL : SAMI_DI_DHCP;
        for (uint32_t i = 0; i < 5000; i++) {
            struct sami_di_record r = rec_of(type, i, 60000);
            assert_int_equal(sami_store_put(&s, &vm, &r, 0), 0);
        }
        struct sami_di_record r = rec_of(type, 5000, 60000);
        assert_int_equal(sami_store_put(&s, &vm, &r, 0), SAMI_ERR_LIMIT);
        assert_int_equal(sami_store_count(&s, &vm, NULL), 5000);
        assert_int_equal(sami_store_purge(&s, &vm), 0);
    }
    /* only record chunks came and went: back to a handful above empty */
    assert_true(sami_fixed_pool_in_use(&pool) <= empty + 8 * 8192);
    sami_memstore_destroy(ms);
    assert_int_equal(sami_fixed_pool_in_use(&pool), 0);

    /* a pool too small: NOMEM, nothing half-done */
    assert_int_equal(sami_fixed_pool_init(&pool, buf, 64 * 1024, &cfg.alloc), 0);
    cfg.max_records = 0;
    cfg.presize = 0;
    assert_int_equal(sami_memstore_create(&cfg, &ms), 0);
    s = sami_memstore_store(ms);
    uint32_t ok = 0;
    int rc = 0;
    for (uint32_t i = 0; i < 100000 && rc == 0; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_ACL, i, 60000);
        rc = sami_store_put(&s, &vm, &r, 0);
        if (rc == 0)
            ok++;
    }
    assert_int_equal(rc, SAMI_ERR_NOMEM);
    assert_true(ok > 0);
    assert_int_equal(sami_store_count(&s, &vm, NULL), (int)ok);
    sami_memstore_destroy(ms);
    assert_int_equal(sami_fixed_pool_in_use(&pool), 0);

    assert_int_equal(sami_fixed_pool_init(&pool, buf, 10, &cfg.alloc), SAMI_ERR_INVAL);
    assert_int_equal(sami_fixed_pool_init(NULL, buf, len, &cfg.alloc), SAMI_ERR_INVAL);
    free(buf);
}

/* ---- allocation failures ---- */

static struct sami_di_record long_dot1x(uint32_t i)
{
    struct sami_di_record r = rec_of(SAMI_DI_DOT1X, i, 60000);
    set_str(r.u.dot1x.identity, &r.u.dot1x.identity_len, 'x', SAMI_DI_STR_MAX);
    set_str(r.u.dot1x.filter_id, &r.u.dot1x.filter_id_len, 'y', 200);
    return r;
}

/* Runs a scenario with the k-th allocation and all after it failing: every
 * call succeeds or fails cleanly, and the store holds exactly what the
 * successful calls put there. */
static void test_alloc_failures(void **state)
{
    (void)state;
    int clean_runs = 0;
    for (long k = 0; k < 400; k++) {
        struct calloc_ctx c = {0, 0, -1};
        struct sami_memstore *ms = NULL;
        struct sami_memstore_config cfg = {{c_alloc, c_free, &c}, 0, 0};
        c.fail_after = k;
        int rc = sami_memstore_create(&cfg, &ms);
        if (rc) {
            assert_int_equal(rc, SAMI_ERR_NOMEM);
            assert_int_equal(c.live, 0);
            continue;
        }
        struct sami_store s = sami_memstore_store(ms);
        struct sami_vm_id a = vm_of(1), b = vm_of(2);
        for (uint32_t i = 0; i < 600; i++) {
            struct sami_di_record r =
                i % 7 == 0 ? long_dot1x(i) : rec_of(1 + i % SAMI_DI_TYPE_MAX, i, 60000);
            rc = sami_store_put(&s, &a, &r, 0);
            assert_true(rc == 0 || rc == SAMI_ERR_NOMEM);
            if (rc == 0) {
                struct sami_di_record out;
                assert_int_equal(sami_store_get(&s, &a, &r, 0, &out), 0);
                assert_true(rec_equal(&out, &r));
            }
        }
        int n = sami_store_count(&s, &a, NULL);
        assert_true(n >= 0);
        size_t seen = 0;
        assert_int_equal(sami_store_foreach(&s, &a, 0, count_emit, &seen), 0);
        assert_int_equal(seen, (size_t)n);

        /* staging: a failure poisons, the commit installs nothing */
        rc = sami_store_stage_begin(&s, 9, &b, NULL);
        if (rc == 0) {
            int failed = 0;
            for (uint32_t i = 0; i < 300; i++) {
                struct sami_di_record r = i % 5 == 0 ? long_dot1x(i) : rec_of(SAMI_DI_ND, i, 6000);
                rc = sami_store_stage_put(&s, 9, &r, 0);
                assert_true(rc == 0 || rc == SAMI_ERR_NOMEM);
                failed |= rc != 0;
            }
            rc = sami_store_stage_commit(&s, 9, 0, 0);
            if (failed) {
                assert_int_equal(rc, SAMI_ERR_NOMEM);
                assert_int_equal(sami_store_count(&s, &b, NULL), 0);
                assert_int_equal(sami_store_discard(&s, 9), 0);
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(sami_store_count(&s, &b, NULL), 300);
                assert_int_equal(sami_store_activate(&s, 9, 0), 0);
                clean_runs++;
            }
        } else {
            assert_int_equal(rc, SAMI_ERR_NOMEM);
        }
        sami_memstore_destroy(ms);
        assert_int_equal(c.live, 0);
    }
    assert_true(clean_runs > 0); /* the scenario also ran to the end */
}

/* ---- values that outgrow their slot ---- */

static void test_values_change_size(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record out;

    struct sami_di_record x = rec_of(SAMI_DI_DOT1X, 1, 60000);
    assert_int_equal(sami_store_put(&s, &a, &x, 0), 0);
    struct sami_di_record big = long_dot1x(1);
    assert_int_equal(sami_store_put(&s, &a, &big, 0), 0);
    assert_int_equal(sami_store_get(&s, &a, &x, 0, &out), 0);
    assert_true(rec_equal(&out, &big));
    assert_int_equal(out.u.dot1x.identity_len, SAMI_DI_STR_MAX);
    big.u.dot1x.vlan = 99; /* same length: same buffer */
    assert_int_equal(sami_store_put(&s, &a, &big, 0), 0);
    assert_int_equal(sami_store_get(&s, &a, &x, 0, &out), 0);
    assert_true(rec_equal(&out, &big));
    assert_int_equal(sami_store_put(&s, &a, &x, 0), 0); /* back inline */
    assert_int_equal(sami_store_get(&s, &a, &x, 0, &out), 0);
    assert_true(rec_equal(&out, &x));

    struct sami_di_record fw = rec_of(SAMI_DI_FIREWALL, 1, 60000);
    assert_int_equal(sami_store_put(&s, &a, &fw, 0), 0);
    struct sami_di_record nat = fw;
    nat.u.firewall.flags = SAMI_DI_FW_F_NAT;
    addr16(nat.u.firewall.nat_src, 5);
    addr16(nat.u.firewall.nat_dst, 6);
    nat.u.firewall.nat_src_port = 1;
    nat.u.firewall.nat_dst_port = 2;
    assert_int_equal(sami_store_put(&s, &a, &nat, 0), 0);
    assert_int_equal(sami_store_get(&s, &a, &fw, 0, &out), 0);
    assert_true(rec_equal(&out, &nat));
    /* the stored long value ages like any other */
    assert_true(sami_store_expire(&s, 0) == SAMI_SEC(60));
    assert_true(sami_store_expire(&s, SAMI_SEC(60)) == SAMI_NO_DEADLINE);
    assert_int_equal(sami_store_count(&s, &a, NULL), 0);

    /* a long 802.1X record goes through staging, commit and discard */
    assert_int_equal(sami_store_put(&s, &a, &x, 0), 0);
    assert_int_equal(sami_store_stage_begin(&s, 3, &a, NULL), 0);
    big = long_dot1x(1);
    assert_int_equal(sami_store_stage_put(&s, 3, &big, 0), 0);
    assert_int_equal(sami_store_stage_commit(&s, 3, 10, 0), 0);
    assert_int_equal(sami_store_get(&s, &a, &x, 0, &out), 0);
    assert_int_equal(out.u.dot1x.identity_len, SAMI_DI_STR_MAX);
    assert_int_equal(out.u.dot1x.session_remaining_ms, 60000 - 10);
    assert_int_equal(sami_store_discard(&s, 3), 0);
    assert_int_equal(sami_store_get(&s, &a, &x, 0, &out), 0);
    assert_true(rec_equal(&out, &x));
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

/* stage_commit with elapsed 0 (what the transfer engine passes) installs
 * every staged value exactly, of every type (and a long 802.1X value kept
 * outside its slot), replacing the VM's records with the same key; a
 * discard then puts the old ones back. */
static void test_commit_elapsed_zero(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(4);
    struct sami_di_record staged[SAMI_DI_TYPE_MAX + 2], old[SAMI_DI_TYPE_MAX + 2], out;
    size_t n = 0;
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++, n++) {
        old[n] = rec_of(t, 3, 50000);
        staged[n] = rec_of(t, 3, 90000 + t); /* same key, new value */
        if (t == SAMI_DI_COUNTERS)
            staged[n].u.counters.packets = 77;
        assert_int_equal(sami_store_put(&s, &a, &old[n], SAMI_MSEC(5)), 0);
    }
    staged[n] = long_dot1x(9); /* a key the VM does not have yet */
    old[n] = staged[n];
    n++;
    assert_int_equal(sami_store_stage_begin(&s, 5, &a, NULL), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(sami_store_stage_put(&s, 5, &staged[i], SAMI_MSEC(7)), 0);
    assert_int_equal(sami_store_stage_commit(&s, 5, 0, SAMI_MSEC(9)), 0);
    assert_int_equal(sami_store_count(&s, &a, NULL), (int)n);
    for (size_t i = 0; i < n; i++) {
        /* read at the staging time: no aging, so exactly the staged value */
        assert_int_equal(sami_store_get(&s, &a, &staged[i], SAMI_MSEC(7), &out), 0);
        assert_true(rec_equal(&out, &staged[i]));
    }
    assert_int_equal(sami_store_discard(&s, 5), 0);
    assert_int_equal(sami_store_count(&s, &a, NULL), (int)n - 1);
    for (size_t i = 0; i + 1 < n; i++) {
        assert_int_equal(sami_store_get(&s, &a, &old[i], SAMI_MSEC(5), &out), 0);
        assert_true(rec_equal(&out, &old[i]));
    }
    assert_int_equal(sami_store_get(&s, &a, &staged[n - 1], SAMI_MSEC(5), &out),
                     SAMI_ERR_NOTFOUND);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

/* Addresses are stored cut (IPv4-mapped: 4 octets, all-zero: none): every
 * mix reads back exactly and ages by the right field. */
static void test_address_forms(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(1);
    struct sami_di_record out;
    uint32_t k = 0;
    for (unsigned form = 0; form < 81; form++) { /* 4 addresses x {v6, v4, zero} */
        unsigned f[4] = {form % 3, form / 3 % 3, form / 9 % 3, form / 27 % 3};
        for (int nat = 0; nat < 2; nat++) {
            struct sami_di_record fw = (++k, rec_of(SAMI_DI_FIREWALL, k, 1000 + k));
            uint8_t *ad[4] = {fw.u.firewall.src, fw.u.firewall.dst, fw.u.firewall.nat_src,
                              fw.u.firewall.nat_dst};
            for (int i = 0; i < 4; i++) {
                if (f[i] == 0)
                    addr16(ad[i], k * 4 + (uint32_t)i);
                else if (f[i] == 1)
                    map4(ad[i], k * 4 + (uint32_t)i);
                else
                    memset(ad[i], 0, 16);
            }
            fw.u.firewall.src_port = (uint16_t)k; /* the key, whatever the addresses */
            fw.u.firewall.flags = nat ? SAMI_DI_FW_F_NAT : 0;
            fw.u.firewall.nat_src_port = nat ? 99 : 0;
            if (!nat) {
                memset(fw.u.firewall.nat_src, 0, 16);
                memset(fw.u.firewall.nat_dst, 0, 16);
            }
            assert_int_equal(sami_store_put(&s, &a, &fw, 0), 0);
            assert_int_equal(sami_store_get(&s, &a, &fw, 0, &out), 0);
            assert_true(rec_equal(&out, &fw));
        }
        if (form < 9) {
            struct sami_di_record acl = (++k, rec_of(SAMI_DI_ACL, k, 1000 + k));
            uint8_t *ad[2] = {acl.u.acl.src, acl.u.acl.dst};
            for (int i = 0; i < 2; i++) {
                if (f[i] == 0)
                    addr16(ad[i], k);
                else if (f[i] == 1)
                    map4(ad[i], k);
                else
                    memset(ad[i], 0, 16);
            }
            assert_int_equal(sami_store_put(&s, &a, &acl, 0), 0);
            assert_int_equal(sami_store_get(&s, &a, &acl, 0, &out), 0);
            assert_true(rec_equal(&out, &acl));
            struct sami_di_record g = (++k, rec_of(SAMI_DI_IGMP, k, 1000 + k));
            if (f[0] == 1) {
                g.u.igmp.family = SAMI_DI_FAMILY_IPV4;
                map4(g.u.igmp.group, k);
                g.u.igmp.group[12] = 239;
                if (f[1] == 1)
                    map4(g.u.igmp.source, k);
            } else if (f[1] == 0) {
                addr16(g.u.igmp.source, k);
            }
            assert_int_equal(sami_store_put(&s, &a, &g, 0), 0);
            assert_int_equal(sami_store_get(&s, &a, &g, 0, &out), 0);
            assert_true(rec_equal(&out, &g));
        }
    }
    /* every record expires at 1000 + its k ms, in order */
    int n = sami_store_count(&s, &a, NULL);
    assert_int_equal(n, (int)k);
    sami_usec_t next = sami_store_expire(&s, 0);
    for (uint32_t i = 1; i <= k; i++) {
        assert_true(next == SAMI_MSEC(1000 + i));
        next = sami_store_expire(&s, next);
        assert_int_equal(sami_store_count(&s, &a, NULL), (int)(k - i));
    }
    assert_true(next == SAMI_NO_DEADLINE);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

static void test_tombstones_and_stats(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(1);
    for (uint32_t i = 0; i < 100; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_put(&s, &a, &r, 0), 0);
    }
    assert_int_equal(sami_store_source_begin(&s, 1, &a), 0);
    /* not exported yet: no peer can hold them, deleting leaves nothing */
    for (uint32_t i = 0; i < 10; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_del(&s, &a, &r), 0);
    }
    struct sami_memstore_stats st;
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.tombstones, 0);
    size_t n = 0;
    uint64_t g;
    assert_int_equal(sami_store_export(&s, &a, 0, 0, count_emit, &n, &g), 0);
    assert_int_equal(n, 90);
    for (uint32_t i = 10; i < 50; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, 60000);
        assert_int_equal(sami_store_del(&s, &a, &r), 0);
    }
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.tombstones, 40);
    assert_int_equal(st.records, 50);
    assert_int_equal(st.migrations, 1);
    assert_int_equal(st.vms, 1);
    sami_store_source_end(&s, 1);
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.tombstones, 0);
    assert_int_equal(st.migrations, 0);
    assert_true(st.peak_bytes >= st.bytes);
    sami_memstore_stats(NULL, &st);
    assert_int_equal(st.records, 0);
    sami_memstore_destroy(ms);
    sami_memstore_destroy(NULL);
    assert_int_equal(c.live, 0);

    struct sami_memstore_config bad;
    memset(&bad, 0, sizeof bad);
    assert_int_equal(sami_memstore_create(&bad, &ms), SAMI_ERR_INVAL);
    assert_int_equal(sami_memstore_create(NULL, &ms), SAMI_ERR_INVAL);
    assert_true(sami_memstore_ops() == sami_memstore_store(NULL).ops);
}

/* ---- records as element values (stage_put_values & co.) ---- */

/* A type for record i such that rec_of(kt(i), i) keys are all distinct
 * (counters have only two keys: left out). */
static unsigned kt(uint32_t i)
{
    unsigned t = 1 + i % (SAMI_DI_TYPE_MAX - 1);
    return t >= SAMI_DI_COUNTERS ? t + 1 : t;
}

/* Encodes r into buf and describes it as a batch entry. */
static struct sami_store_value as_value(const struct sami_di_record *r, uint8_t *buf)
{
    size_t n;
    assert_int_equal(sami_di_encode(r, buf, SAMI_DI_MAX_LEN, &n), 0);
    struct sami_store_value v = {buf, (uint16_t)n, r->type};
    return v;
}

/* Stages recs[0..n) in runs of 32, as the transfer engine does. */
static int put_runs(struct sami_store *s, uint64_t mid, const struct sami_di_record *recs,
                    size_t n, sami_usec_t now, size_t *applied_total)
{
    static uint8_t buf[32][SAMI_DI_MAX_LEN];
    *applied_total = 0;
    for (size_t i = 0; i < n; i += 32) {
        struct sami_store_value v[32];
        size_t k = n - i < 32 ? n - i : 32, applied = 0;
        for (size_t j = 0; j < k; j++)
            v[j] = as_value(&recs[i + j], buf[j]);
        int rc = sami_store_stage_put_values(s, mid, v, k, now, &applied);
        *applied_total += applied;
        if (rc)
            return rc;
        assert_int_equal(applied, k);
    }
    return 0;
}

static int value_count_emit(void *arg, uint8_t type, const uint8_t *value, size_t len)
{
    struct sami_di_record r;
    assert_int_equal(sami_di_decode(type, value, len, &r, NULL), 0);
    assert_int_equal(r.op, SAMI_DI_OP_UPSERT);
    (*(size_t *)arg)++;
    return 0;
}

/* 20,000 records staged as values through several doublings of the hash
 * table, into a VM that already holds records (some with the same keys)
 * beside another VM: replacements and DELETEs inside the staging area, the
 * commit replacing exactly the VM's records with those keys, a discard
 * putting them back, then a commit and activate for good. */
static void test_put_values_many(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(1), other = vm_of(2);
    enum { N = 20000, OLD = 3000 };
    struct sami_di_record *recs = calloc(N, sizeof *recs);
    assert_non_null(recs);
    for (uint32_t i = 0; i < OLD; i++) { /* a's current records: keys i*2 */
        struct sami_di_record r = rec_of(kt(i), i * 2, 1000);
        assert_int_equal(sami_store_put(&s, &a, &r, 0), 0);
        r = rec_of(kt(i), i * 2, 2000);
        assert_int_equal(sami_store_put(&s, &other, &r, 0), 0);
    }
    int a_before = sami_store_count(&s, &a, NULL);
    for (uint32_t i = 0; i < N; i++)
        recs[i] = i % 97 == 0 ? long_dot1x(i) : rec_of(kt(i), i, 50000 + i);
    size_t applied;
    assert_int_equal(sami_store_stage_begin(&s, 7, &a, NULL), 0);
    assert_int_equal(put_runs(&s, 7, recs, N, SAMI_MSEC(10), &applied), 0);
    assert_int_equal(applied, N);
    /* again: the first 1,000 replaced by new values, 500 deleted */
    for (uint32_t i = 0; i < 1000; i++)
        recs[i] = i % 97 == 0 ? long_dot1x(i) : rec_of(kt(i), i, 90000 + i);
    assert_int_equal(put_runs(&s, 7, recs, 1000, SAMI_MSEC(10), &applied), 0);
    for (uint32_t i = 1000; i < 1500; i++)
        recs[i].op = SAMI_DI_OP_DELETE;
    assert_int_equal(put_runs(&s, 7, recs + 1000, 500, SAMI_MSEC(10), &applied), 0);
    struct sami_memstore_stats st;
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.staged, N - 500);
    size_t seen = 0;
    assert_int_equal(sami_store_stage_foreach_values(&s, 7, value_count_emit, &seen), 0);
    assert_int_equal(seen, N - 500);
    /* counting the union: a's old keys are the even ones below 2 * OLD */
    int replaced = 0, kept = 0;
    for (uint32_t i = 0; i < OLD; i++) {
        uint32_t key = i * 2;
        unsigned t = kt(i);
        /* replaced if a staged record (not deleted) has this type and key */
        unsigned staged_type = key % 97 == 0 ? SAMI_DI_DOT1X : kt(key);
        if (key < N && staged_type == t && !(key >= 1000 && key < 1500))
            replaced++;
        else
            kept++;
    }
    assert_int_equal(sami_store_stage_commit(&s, 7, 0, SAMI_MSEC(10)), 0);
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.saved, replaced);
    assert_int_equal(sami_store_count(&s, &a, NULL), (int)(N - 500) + kept);
    for (uint32_t i = 0; i < N; i += 7) {
        struct sami_di_record out;
        int rc = sami_store_get(&s, &a, &recs[i], SAMI_MSEC(10), &out);
        if (i >= 1000 && i < 1500) {
            /* deleted from the staging area; a's own record may remain */
            assert_true(rc == 0 || rc == SAMI_ERR_NOTFOUND);
            continue;
        }
        assert_int_equal(rc, 0);
        assert_true(rec_equal(&out, &recs[i]));
    }
    assert_int_equal(sami_store_count(&s, &other, NULL), OLD);
    assert_int_equal(sami_store_discard(&s, 7), 0);
    assert_int_equal(sami_store_count(&s, &a, NULL), a_before);
    for (uint32_t i = 0; i < OLD; i += 5) {
        struct sami_di_record r = rec_of(kt(i), i * 2, 1000), out;
        assert_int_equal(sami_store_get(&s, &a, &r, 0, &out), 0);
        assert_true(rec_equal(&out, &r));
    }
    /* and for good, into the now-empty VM slot of a third VM: no lookups */
    struct sami_vm_id fresh = vm_of(3);
    assert_int_equal(sami_store_stage_begin(&s, 8, &fresh, NULL), 0);
    assert_int_equal(put_runs(&s, 8, recs + 2000, N - 2000, SAMI_MSEC(20), &applied), 0);
    assert_int_equal(sami_store_stage_commit(&s, 8, 0, SAMI_MSEC(20)), 0);
    assert_int_equal(sami_store_activate(&s, 8, SAMI_MSEC(20)), 0);
    assert_int_equal(sami_store_count(&s, &fresh, NULL), N - 2000);
    assert_int_equal(sami_store_purge(&s, &fresh), 0);
    assert_int_equal(sami_store_purge(&s, &a), 0);
    assert_int_equal(sami_store_purge(&s, &other), 0);
    sami_memstore_stats(ms, &st);
    assert_int_equal(st.records + st.staged + st.saved + st.tombstones, 0);
    free(recs);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

/* stage_put_values with the k-th allocation and all after it failing: the
 * batch stops at the record that could not be stored (NOMEM), reports the
 * records applied before it, poisons the area, and nothing leaks. */
static void test_put_values_alloc_failures(void **state)
{
    (void)state;
    enum { N = 400 };
    static struct sami_di_record recs[N];
    for (uint32_t i = 0; i < N; i++)
        recs[i] = i % 9 == 0 ? long_dot1x(i) : rec_of(kt(i), i, 6000);
    int clean = 0, failed = 0;
    for (long k = 4; k < 60; k++) {
        struct calloc_ctx c = {0, 0, -1};
        struct sami_memstore *ms = ms_new(&c, 0);
        struct sami_store s = sami_memstore_store(ms);
        struct sami_vm_id a = vm_of(5);
        assert_int_equal(sami_store_stage_begin(&s, 3, &a, NULL), 0);
        c.fail_after = c.allocs + (k - 4);
        size_t applied = 0;
        int rc = put_runs(&s, 3, recs, N, 0, &applied);
        struct sami_memstore_stats st;
        sami_memstore_stats(ms, &st);
        assert_int_equal(st.staged, applied);
        if (rc) {
            assert_int_equal(rc, SAMI_ERR_NOMEM);
            assert_true(applied < N);
            size_t more = 0;
            assert_int_equal(put_runs(&s, 3, recs, 1, 0, &more), SAMI_ERR_NOMEM); /* poisoned */
            assert_int_equal(more, 0);
            assert_int_equal(sami_store_stage_commit(&s, 3, 0, 0), SAMI_ERR_NOMEM);
            failed++;
        } else {
            assert_int_equal(applied, N);
            assert_int_equal(sami_store_stage_commit(&s, 3, 0, 0), 0);
            clean++;
        }
        assert_int_equal(sami_store_discard(&s, 3), 0);
        assert_int_equal(sami_store_count(&s, &a, NULL), 0);
        sami_memstore_destroy(ms);
        assert_int_equal(c.live, 0);
    }
    assert_true(clean > 0 && failed > 0);
}

static int deadline_count(struct sami_store *s, const struct sami_vm_id *vm)
{
    return sami_store_count(s, vm, NULL);
}

/* Freezing a large VM takes all its records out of aging at once (the heap
 * rebuilt rather than n removals), activating a large commit puts them all
 * in at once: aging afterwards removes exactly the right records at the
 * right times, the other VM's included. */
static void test_bulk_aging_changes(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id big = vm_of(1), small = vm_of(2), dst = vm_of(3);
    enum { N = 3000, M = 40 };
    for (uint32_t i = 0; i < N; i++) { /* expiring at 1..N s, counters never */
        struct sami_di_record r = rec_of(kt(i), i, (i + 1) * 1000u);
        assert_int_equal(sami_store_put(&s, &big, &r, 0), 0);
    }
    for (uint32_t i = 0; i < M; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, (i + 1) * 500u);
        assert_int_equal(sami_store_put(&s, &small, &r, 0), 0);
    }
    assert_int_equal(sami_store_source_begin(&s, 11, &big), 0);
    assert_int_equal(sami_store_freeze(&s, 11), 0);
    assert_true(sami_store_expire(&s, SAMI_MSEC(100)) == SAMI_MSEC(500));
    (void)sami_store_expire(&s, SAMI_MSEC(10000));
    assert_int_equal(deadline_count(&s, &small), M - 20);
    assert_int_equal(deadline_count(&s, &big), N); /* frozen: nothing aged */
    assert_int_equal(sami_store_unfreeze(&s, 11), 0);
    assert_true(sami_store_expire(&s, SAMI_MSEC(10000)) == SAMI_MSEC(10500));
    assert_int_equal(deadline_count(&s, &big), N - 10);
    sami_store_source_end(&s, 11);

    /* a large commit, pending (no aging), then activated */
    assert_int_equal(sami_store_stage_begin(&s, 12, &dst, NULL), 0);
    for (uint32_t i = 0; i < N; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_ND, i, 20000 + i * 10u);
        assert_int_equal(sami_store_stage_put(&s, 12, &r, SAMI_MSEC(10000)), 0);
    }
    assert_int_equal(sami_store_stage_commit(&s, 12, 0, SAMI_MSEC(10000)), 0);
    (void)sami_store_expire(&s, SAMI_MSEC(40000));
    assert_int_equal(deadline_count(&s, &dst), N); /* pending */
    assert_int_equal(sami_store_activate(&s, 12, SAMI_MSEC(40000)), 0);
    /* deadlines 30 s + i * 10 ms: at 40 s, i <= 1000 have expired */
    sami_usec_t next = sami_store_expire(&s, SAMI_MSEC(40000));
    assert_int_equal(deadline_count(&s, &dst), N - 1001);
    assert_true(next == SAMI_MSEC(40010));
    (void)sami_store_expire(&s, SAMI_MSEC(60000));
    assert_int_equal(deadline_count(&s, &dst), 0);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);

    /* one VM holding every deadline: freezing empties the heap at once */
    ms = ms_new(&c, 0);
    s = sami_memstore_store(ms);
    for (uint32_t i = 0; i < N; i++) {
        struct sami_di_record r = rec_of(SAMI_DI_DHCP, i, (i + 1) * 1000u);
        assert_int_equal(sami_store_put(&s, &big, &r, 0), 0);
    }
    assert_int_equal(sami_store_source_begin(&s, 13, &big), 0);
    assert_int_equal(sami_store_freeze(&s, 13), 0);
    assert_true(sami_store_expire(&s, SAMI_MSEC(5000)) == SAMI_NO_DEADLINE);
    assert_int_equal(deadline_count(&s, &big), N);
    assert_int_equal(sami_store_unfreeze(&s, 13), 0);
    assert_true(sami_store_expire(&s, SAMI_MSEC(5000)) == SAMI_MSEC(6000));
    assert_int_equal(deadline_count(&s, &big), N - 5);
    sami_store_source_end(&s, 13);
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

/* Growing the hash table re-indexes by walking the record slots: slots
 * freed by deletions are skipped, and every record is found afterwards. */
static void test_rehash_skips_free_slots(void **state)
{
    (void)state;
    struct calloc_ctx c = {0, 0, -1};
    struct sami_memstore *ms = ms_new(&c, 0);
    struct sami_store s = sami_memstore_store(ms);
    struct sami_vm_id a = vm_of(1);
    enum { N = 9000 };
    for (uint32_t i = 0; i < N; i++) {
        struct sami_di_record r = rec_of(kt(i), i, 60000);
        assert_int_equal(sami_store_put(&s, &a, &r, 0), 0);
        if (i % 3 == 2) { /* free a slot now and then, before later growth */
            struct sami_di_record d = rec_of(kt(i - 1), i - 1, 0);
            assert_int_equal(sami_store_del(&s, &a, &d), 0);
        }
    }
    for (uint32_t i = 0; i < N; i++) {
        struct sami_di_record r = rec_of(kt(i), i, 60000), out;
        int rc = sami_store_get(&s, &a, &r, 0, &out);
        if (i % 3 == 1 && i + 1 < N) {
            assert_int_equal(rc, SAMI_ERR_NOTFOUND);
        } else {
            assert_int_equal(rc, 0);
            assert_true(rec_equal(&out, &r));
        }
    }
    sami_memstore_destroy(ms);
    assert_int_equal(c.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory_per_record),
        cmocka_unit_test(test_100k_put_export_purge),
        cmocka_unit_test(test_fixed_pool),
        cmocka_unit_test(test_alloc_failures),
        cmocka_unit_test(test_values_change_size),
        cmocka_unit_test(test_address_forms),
        cmocka_unit_test(test_commit_elapsed_zero),
        cmocka_unit_test(test_tombstones_and_stats),
        cmocka_unit_test(test_put_values_many),
        cmocka_unit_test(test_put_values_alloc_failures),
        cmocka_unit_test(test_bulk_aging_changes),
        cmocka_unit_test(test_rehash_skips_free_slots),
    };
    return cmocka_run_group_tests_name("memstore", tests, NULL, NULL);
}
