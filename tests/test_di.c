/* DI records: every vector decodes to exactly its fields and re-encodes to
 * its bytes; every truncation, extra byte and bad field is refused with the
 * right code and offset; keys, hashes and rebasing behave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol_doc.h"
#include "sami/di.h"
#include "vectors_di.h"

#define MAXV 1024

struct vec {
    const char *name;
    uint8_t type;
    size_t len;
    uint8_t b[MAXV];
};

static void load(const char *name, struct vec *v)
{
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        if (strcmp(sami_vectors_di[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_di[i].hex, v->b, sizeof v->b);
            assert_true(n > 0);
            v->name = name;
            v->len = (size_t)n;
            v->type = (uint8_t)sami_di_vector_type(name);
            assert_true(v->type >= 1 && v->type <= SAMI_DI_TYPE_MAX);
            return;
        }
    }
    fail_msg("no vector %s", name);
}

static void load_at(size_t i, struct vec *v)
{
    load(sami_vectors_di[i].name, v);
}

/* Decodes from an exactly sized heap copy so ASan catches any over-read. */
static int decode_exact(uint8_t type, const uint8_t *b, size_t n, struct sami_di_record *out,
                        struct sami_err *err)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    if (n)
        memcpy(copy, b, n);
    int rc = sami_di_decode(type, n ? copy : NULL, n, out, err);
    free(copy);
    return rc;
}

static void decode_ok(const struct vec *v, struct sami_di_record *out)
{
    struct sami_err err;
    int rc = decode_exact(v->type, v->b, v->len, out, &err);
    if (rc)
        fail_msg("%s: rc %d at %zu (%s)", v->name, rc, err.offset, err.what ? err.what : "-");
    assert_int_equal(err.code, 0);
}

static void expect_fail(const struct vec *v, uint8_t type, size_t len, int code, size_t offset)
{
    struct sami_di_record rec;
    struct sami_err err;
    int rc = decode_exact(type, v->b, len, &rec, &err);
    if (rc != code || err.offset != offset)
        fail_msg("%s: want %d at %zu, got %d at %zu (%s)", v->name, code, offset, rc, err.offset,
                 err.what ? err.what : "-");
    assert_int_equal(err.code, code);
    assert_non_null(err.what);
    assert_int_equal(err.tlv_type, (int)SAMI_DI_ELEMENT_TYPE(type));
}

/* Expected record with everything zero (decoders zero what a type lacks). */
static struct sami_di_record rec_new(uint8_t type, uint8_t op)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = type;
    r.version = 1;
    r.op = op;
    return r;
}

static void set_mapped(uint8_t a[16], uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
    memset(a, 0, 16);
    a[10] = a[11] = 0xff;
    a[12] = b0;
    a[13] = b1;
    a[14] = b2;
    a[15] = b3;
}

static const uint8_t mac1[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

#define EQ(f) assert_true(e->f == g->f)
#define EQM(f) assert_memory_equal(e->f, g->f, sizeof e->f)

/* Field-by-field comparison (memcmp would see padding). */
static void assert_record_equal(const struct sami_di_record *exp, const struct sami_di_record *got)
{
    assert_int_equal(exp->type, got->type);
    assert_int_equal(exp->version, got->version);
    assert_int_equal(exp->op, got->op);
    switch (exp->type) {
    case SAMI_DI_DHCP: {
        const struct sami_di_dhcp *e = &exp->u.dhcp, *g = &got->u.dhcp;
        EQM(ipv4), EQM(mac), EQ(vlan), EQ(lease_remaining_ms);
        break;
    }
    case SAMI_DI_DHCPV6: {
        const struct sami_di_dhcpv6 *e = &exp->u.dhcpv6, *g = &got->u.dhcpv6;
        EQM(ipv6), EQM(mac), EQ(vlan), EQ(lease_remaining_ms), EQ(iaid);
        break;
    }
    case SAMI_DI_ND: {
        const struct sami_di_nd *e = &exp->u.nd, *g = &got->u.nd;
        EQM(ipv6), EQM(mac), EQ(vlan), EQ(lifetime_remaining_ms), EQ(state);
        break;
    }
    case SAMI_DI_DOT1X: {
        const struct sami_di_dot1x *e = &exp->u.dot1x, *g = &got->u.dot1x;
        EQM(mac), EQ(authorized), EQ(eap_method), EQ(vlan), EQ(session_remaining_ms),
            EQ(reauth_remaining_ms), EQ(session_id_len), EQ(identity_len), EQ(filter_id_len);
        /* NUL-terminated copies */
        assert_memory_equal(e->session_id, g->session_id, (size_t)e->session_id_len + 1);
        assert_memory_equal(e->identity, g->identity, (size_t)e->identity_len + 1);
        assert_memory_equal(e->filter_id, g->filter_id, (size_t)e->filter_id_len + 1);
        break;
    }
    case SAMI_DI_ACL: {
        const struct sami_di_acl *e = &exp->u.acl, *g = &got->u.acl;
        EQ(rule_id), EQ(action), EQ(origin), EQ(protocol), EQ(flags), EQ(src_prefix_len),
            EQ(dst_prefix_len), EQM(src), EQM(dst), EQ(src_port_lo), EQ(src_port_hi),
            EQ(dst_port_lo), EQ(dst_port_hi), EQ(vlan), EQM(mac), EQ(rate_kbps),
            EQ(lifetime_remaining_ms);
        break;
    }
    case SAMI_DI_IGMP: {
        const struct sami_di_igmp *e = &exp->u.igmp, *g = &got->u.igmp;
        EQ(family), EQ(filter_mode), EQ(vlan), EQM(group), EQM(source), EQ(timer_remaining_ms);
        break;
    }
    case SAMI_DI_COUNTERS: {
        const struct sami_di_counters *e = &exp->u.counters, *g = &got->u.counters;
        EQ(direction), EQ(packets), EQ(bytes), EQ(syn_count), EQ(window_ms), EQ(rate_bps),
            EQ(rate_pps);
        break;
    }
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *e = &exp->u.firewall, *g = &got->u.firewall;
        EQ(family), EQ(protocol), EQ(state), EQ(flags), EQ(vlan), EQM(src), EQM(dst),
            EQ(src_port), EQ(dst_port), EQ(created_age_ms), EQ(last_heard_age_ms),
            EQ(expiry_remaining_ms), EQM(nat_src), EQM(nat_dst), EQ(nat_src_port),
            EQ(nat_dst_port);
        break;
    }
    default:
        fail_msg("bad type %d", exp->type);
    }
}

/* The expected decoding of each vector, from the field values in the doc. */
static struct sami_di_record expected(const char *name)
{
    struct sami_di_record r;
    if (!strcmp(name, "di-dhcp") || !strcmp(name, "di-dhcp-delete")) {
        bool del = !strcmp(name, "di-dhcp-delete");
        r = rec_new(SAMI_DI_DHCP, del ? SAMI_DI_OP_DELETE : SAMI_DI_OP_UPSERT);
        memcpy(r.u.dhcp.ipv4, "\xc0\x00\x02\x0a", 4);
        memcpy(r.u.dhcp.mac, mac1, 6);
        r.u.dhcp.vlan = 100;
        r.u.dhcp.lease_remaining_ms = del ? 0 : 3600000;
    } else if (!strcmp(name, "di-dhcpv6")) {
        r = rec_new(SAMI_DI_DHCPV6, SAMI_DI_OP_UPSERT);
        memcpy(r.u.dhcpv6.ipv6, "\x20\x01\x0d\xb8\0\0\0\x01\0\0\0\0\0\0\0\x10", 16);
        memcpy(r.u.dhcpv6.mac, mac1, 6);
        r.u.dhcpv6.vlan = 100;
        r.u.dhcpv6.lease_remaining_ms = 86400000;
        r.u.dhcpv6.iaid = 0x0a0b0c0d;
    } else if (!strcmp(name, "di-nd")) {
        r = rec_new(SAMI_DI_ND, SAMI_DI_OP_UPSERT);
        memcpy(r.u.nd.ipv6, "\xfe\x80\0\0\0\0\0\0\x50\x54\x00\xff\xfe\x12\x34\x56", 16);
        memcpy(r.u.nd.mac, mac1, 6);
        r.u.nd.vlan = 100;
        r.u.nd.lifetime_remaining_ms = 30000;
        r.u.nd.state = SAMI_DI_ND_VALID;
    } else if (!strcmp(name, "di-dot1x")) {
        r = rec_new(SAMI_DI_DOT1X, SAMI_DI_OP_UPSERT);
        struct sami_di_dot1x *d = &r.u.dot1x;
        memcpy(d->mac, mac1, 6);
        d->authorized = 1;
        d->eap_method = 13;
        d->vlan = 200;
        d->session_remaining_ms = 28800000;
        d->reauth_remaining_ms = 3600000;
        strcpy(d->session_id, "sess-42");
        d->session_id_len = 7;
        strcpy(d->identity, "alice@example.org");
        d->identity_len = 17;
        strcpy(d->filter_id, "acl-guest");
        d->filter_id_len = 9;
    } else if (!strcmp(name, "di-dot1x-empty")) {
        r = rec_new(SAMI_DI_DOT1X, SAMI_DI_OP_UPSERT);
        memcpy(r.u.dot1x.mac, "\x52\x54\x00\xab\xcd\xef", 6);
        r.u.dot1x.session_remaining_ms = SAMI_DI_INFINITE;
        r.u.dot1x.reauth_remaining_ms = SAMI_DI_INFINITE;
    } else if (!strcmp(name, "di-dot1x-max")) {
        r = rec_new(SAMI_DI_DOT1X, SAMI_DI_OP_UPSERT);
        struct sami_di_dot1x *d = &r.u.dot1x;
        memcpy(d->mac, "\x52\x54\x00\x12\x34\x57", 6);
        d->authorized = 1;
        d->eap_method = 25;
        d->vlan = 4094;
        d->session_remaining_ms = 60000;
        d->reauth_remaining_ms = 30000;
        memset(d->session_id, 'S', SAMI_DI_STR_MAX);
        memset(d->identity, 'I', SAMI_DI_STR_MAX);
        memset(d->filter_id, 'F', SAMI_DI_STR_MAX);
        d->session_id_len = d->identity_len = d->filter_id_len = SAMI_DI_STR_MAX;
    } else if (!strcmp(name, "di-acl")) {
        r = rec_new(SAMI_DI_ACL, SAMI_DI_OP_UPSERT);
        struct sami_di_acl *a = &r.u.acl;
        a->rule_id = 1001;
        a->action = SAMI_DI_ACL_DENY;
        a->origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
        a->protocol = 6;
        a->flags = SAMI_DI_ACL_F_MATCH_VLAN;
        a->src_prefix_len = 120;
        a->dst_prefix_len = 128;
        set_mapped(a->src, 198, 51, 100, 0);
        set_mapped(a->dst, 192, 0, 2, 10);
        a->src_port_lo = 0;
        a->src_port_hi = 65535;
        a->dst_port_lo = a->dst_port_hi = 22;
        a->vlan = 100;
        a->lifetime_remaining_ms = 600000;
    } else if (!strcmp(name, "di-acl-ipv6")) {
        r = rec_new(SAMI_DI_ACL, SAMI_DI_OP_UPSERT);
        struct sami_di_acl *a = &r.u.acl;
        a->rule_id = 1002;
        a->action = SAMI_DI_ACL_RATE_LIMIT;
        a->origin = SAMI_DI_ACL_RADIUS;
        a->protocol = 17;
        a->flags = SAMI_DI_ACL_F_MATCH_VLAN | SAMI_DI_ACL_F_MATCH_MAC;
        a->src_prefix_len = 64;
        a->dst_prefix_len = 0;
        memcpy(a->src, "\x20\x01\x0d\xb8\0\0\0\x01\0\0\0\0\0\0\0\0", 16);
        a->src_port_hi = 65535;
        a->dst_port_lo = 5000;
        a->dst_port_hi = 5100;
        a->vlan = 100;
        memcpy(a->mac, mac1, 6);
        a->rate_kbps = 2048;
        a->lifetime_remaining_ms = SAMI_DI_INFINITE;
    } else if (!strcmp(name, "di-igmp")) {
        r = rec_new(SAMI_DI_IGMP, SAMI_DI_OP_UPSERT);
        r.u.igmp.family = SAMI_DI_FAMILY_IPV4;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_EXCLUDE;
        r.u.igmp.vlan = 100;
        set_mapped(r.u.igmp.group, 239, 1, 1, 1);
        r.u.igmp.timer_remaining_ms = 260000;
    } else if (!strcmp(name, "di-igmp-mld")) {
        r = rec_new(SAMI_DI_IGMP, SAMI_DI_OP_UPSERT);
        r.u.igmp.family = SAMI_DI_FAMILY_IPV6;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_INCLUDE;
        r.u.igmp.vlan = 100;
        memcpy(r.u.igmp.group, "\xff\x3e\0\0\0\0\0\0\0\0\0\0\x80\0\0\x01", 16);
        memcpy(r.u.igmp.source, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
        r.u.igmp.timer_remaining_ms = 125000;
    } else if (!strcmp(name, "di-counters")) {
        r = rec_new(SAMI_DI_COUNTERS, SAMI_DI_OP_UPSERT);
        r.u.counters.direction = SAMI_DI_DIR_IN;
        r.u.counters.packets = 123456789;
        r.u.counters.bytes = UINT64_C(98765432100);
        r.u.counters.syn_count = 42;
        r.u.counters.window_ms = 1000;
        r.u.counters.rate_bps = 1000000;
        r.u.counters.rate_pps = 1500;
    } else if (!strcmp(name, "di-firewall")) {
        r = rec_new(SAMI_DI_FIREWALL, SAMI_DI_OP_UPSERT);
        struct sami_di_firewall *s = &r.u.firewall;
        s->family = 4;
        s->protocol = 6;
        s->state = SAMI_DI_FW_ESTABLISHED;
        s->vlan = 100;
        set_mapped(s->src, 192, 0, 2, 10);
        set_mapped(s->dst, 203, 0, 113, 5);
        s->src_port = 49152;
        s->dst_port = 443;
        s->created_age_ms = 125000;
        s->last_heard_age_ms = 1500;
        s->expiry_remaining_ms = 7200000;
    } else if (!strcmp(name, "di-firewall-nat")) {
        r = rec_new(SAMI_DI_FIREWALL, SAMI_DI_OP_UPSERT);
        struct sami_di_firewall *s = &r.u.firewall;
        s->family = 4;
        s->protocol = 17;
        s->state = SAMI_DI_FW_ASSURED;
        s->flags = SAMI_DI_FW_F_NAT;
        s->vlan = 100;
        set_mapped(s->src, 10, 0, 0, 5);
        set_mapped(s->dst, 198, 51, 100, 53);
        s->src_port = 53000;
        s->dst_port = 53;
        s->created_age_ms = 2000;
        s->last_heard_age_ms = 100;
        s->expiry_remaining_ms = 28000;
        set_mapped(s->nat_src, 203, 0, 113, 1);
        set_mapped(s->nat_dst, 198, 51, 100, 53);
        s->nat_src_port = 61000;
        s->nat_dst_port = 53;
    } else {
        fail_msg("no expectation for %s", name);
        memset(&r, 0, sizeof r);
    }
    return r;
}

/* ---- vectors ---- */

static void test_vector_set(void **state)
{
    (void)state;
    /* The brief's coverage: one UPSERT per type, plus the variants. */
    static const char *const want[] = {"di-dhcp",        "di-dhcpv6",   "di-nd",
                                       "di-dot1x",       "di-acl",      "di-igmp",
                                       "di-counters",    "di-firewall", "di-firewall-nat",
                                       "di-dhcp-delete", "di-dot1x-empty", "di-dot1x-max",
                                       "di-acl-ipv6",    "di-igmp-mld"};
    assert_int_equal(SAMI_VECTORS_DI_COUNT, sizeof want / sizeof want[0]);
    unsigned seen = 0;
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct vec v;
        load(want[i], &v);
        seen |= 1u << v.type;
    }
    assert_int_equal(seen, SAMI_DI_ALL_TYPES);
    assert_int_equal(sami_di_vector_type("di-dhcpv6"), SAMI_DI_DHCPV6);
    assert_int_equal(sami_di_vector_type("di-dhcp-delete"), SAMI_DI_DHCP);
    assert_int_equal(sami_di_vector_type("di-bogus"), 0);
    assert_int_equal(sami_di_vector_type("vdp-x"), 0);
}

static void test_vectors_decode_to_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        struct sami_di_record got;
        load_at(i, &v);
        decode_ok(&v, &got);
        struct sami_di_record exp = expected(v.name);
        assert_record_equal(&exp, &got);
    }
}

static void test_vectors_reencode(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        struct sami_di_record rec;
        load_at(i, &v);
        /* encode the expected struct (independent of the decoder) ... */
        struct sami_di_record exp = expected(v.name);
        uint8_t out[MAXV + 8];
        size_t len = 0;
        assert_int_equal(sami_di_encode(&exp, out, sizeof out, &len), 0);
        assert_int_equal(len, v.len);
        assert_memory_equal(out, v.b, v.len);
        assert_int_equal(sami_di_encoded_len(&exp), v.len);
        /* ... and the decoded one */
        decode_ok(&v, &rec);
        memset(out, 0xaa, sizeof out);
        assert_int_equal(sami_di_encode(&rec, out, v.len, &len), 0);
        assert_int_equal(len, v.len);
        assert_memory_equal(out, v.b, v.len);
        /* length query */
        len = 0;
        assert_int_equal(sami_di_encode(&rec, NULL, 0, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, v.len);
    }
}

static void test_encode_nobufs_every_cap(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        struct sami_di_record rec;
        load_at(i, &v);
        decode_ok(&v, &rec);
        for (size_t cap = 0; cap < v.len; cap++) {
            uint8_t out[MAXV + 1];
            memset(out, 0xee, sizeof out);
            size_t len = 0;
            assert_int_equal(sami_di_encode(&rec, out, cap, &len), SAMI_ERR_NOBUFS);
            assert_int_equal(len, v.len);
            assert_int_equal(out[cap], 0xee); /* nothing past cap */
        }
    }
}

static void test_write_into_cursor(void **state)
{
    (void)state;
    struct vec v;
    struct sami_di_record rec;
    load("di-firewall-nat", &v);
    decode_ok(&v, &rec);
    uint8_t out[200];
    struct sami_wr w;
    sami_wr_init(&w, out, sizeof out);
    sami_wr_u16(&w, SAMI_DI_ELEMENT_TYPE(SAMI_DI_FIREWALL));
    sami_wr_u16(&w, (uint16_t)sami_di_encoded_len(&rec));
    sami_di_write(&w, &rec);
    size_t len;
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, 4 + v.len);
    assert_int_equal(out[0], 0x01);
    assert_int_equal(out[1], 0x08);
    assert_int_equal(out[3], v.len);
    assert_memory_equal(out + 4, v.b, v.len);
}

/* ---- malformed input ---- */

static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        load_at(i, &v);
        for (size_t n = 0; n < v.len; n++) {
            struct sami_di_record rec;
            struct sami_err err;
            int rc = decode_exact(v.type, v.b, n, &rec, &err);
            if (rc >= 0)
                fail_msg("%s truncated to %zu accepted", v.name, n);
            assert_int_equal(err.code, rc);
            assert_true(err.offset <= n);
            assert_non_null(err.what);
            /* fixed layouts say LENGTH; a cut string may leave a short or
             * NUL-containing one, but never an accepted record */
            if (v.type != SAMI_DI_DOT1X)
                assert_int_equal(rc, SAMI_ERR_LENGTH);
        }
    }
}

static void test_extra_byte(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        load_at(i, &v);
        v.b[v.len] = 0;
        expect_fail(&v, v.type, v.len + 1, SAMI_ERR_LENGTH, v.len);
    }
}

static void test_bad_version(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 2, 0xff};
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        load_at(i, &v);
        for (size_t k = 0; k < sizeof bad; k++) {
            v.b[0] = bad[k];
            expect_fail(&v, v.type, v.len, SAMI_ERR_VERSION, 0);
            /* a future version may be longer or shorter: still VERSION */
            expect_fail(&v, v.type, 1, SAMI_ERR_VERSION, 0);
            expect_fail(&v, v.type, v.len + 1, SAMI_ERR_VERSION, 0);
        }
    }
}

static void test_bad_type(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 9, 0x80, 0xff};
    struct vec v;
    load("di-dhcp", &v);
    for (size_t k = 0; k < sizeof bad; k++) {
        expect_fail(&v, bad[k], v.len, SAMI_ERR_TYPE, 0);
        expect_fail(&v, bad[k], 0, SAMI_ERR_TYPE, 0);
    }
}

static void test_bad_op(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0, 3, 0xff};
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++) {
        struct vec v;
        load_at(i, &v);
        for (size_t k = 0; k < sizeof bad; k++) {
            v.b[1] = bad[k];
            expect_fail(&v, v.type, v.len, SAMI_ERR_VALUE, 1);
        }
    }
}

struct mutation {
    const char *vector;
    size_t at;     /* byte to overwrite */
    uint8_t value; /* new value */
    int code;
    size_t offset; /* where the error is reported */
};

static void test_bad_fields(void **state)
{
    (void)state;
    static const struct mutation m[] = {
        /* VLAN above 12 bits */
        {"di-dhcp", 12, 0x10, SAMI_ERR_VALUE, 12},
        {"di-dhcpv6", 24, 0x10, SAMI_ERR_VALUE, 24},
        {"di-nd", 24, 0xf0, SAMI_ERR_VALUE, 24},
        {"di-dot1x", 10, 0x10, SAMI_ERR_VALUE, 10},
        {"di-acl", 52, 0x10, SAMI_ERR_VALUE, 52},
        {"di-igmp", 4, 0x10, SAMI_ERR_VALUE, 4},
        {"di-firewall", 6, 0x10, SAMI_ERR_VALUE, 6},
        /* enumerations */
        {"di-nd", 30, 0, SAMI_ERR_VALUE, 30},
        {"di-nd", 30, 5, SAMI_ERR_VALUE, 30},
        {"di-dot1x", 8, 2, SAMI_ERR_VALUE, 8},
        {"di-acl", 6, 0, SAMI_ERR_VALUE, 6},
        {"di-acl", 6, 4, SAMI_ERR_VALUE, 6},
        {"di-acl", 7, 0, SAMI_ERR_VALUE, 7},
        {"di-acl", 7, 6, SAMI_ERR_VALUE, 7},
        {"di-acl", 9, 0x04, SAMI_ERR_VALUE, 9},
        {"di-acl", 9, 0x80, SAMI_ERR_VALUE, 9},
        {"di-acl", 10, 129, SAMI_ERR_VALUE, 10},
        {"di-acl", 11, 0xff, SAMI_ERR_VALUE, 11},
        {"di-acl", 49, 23, SAMI_ERR_VALUE, 48},   /* dst lo 23 > hi 22 */
        {"di-igmp", 2, 5, SAMI_ERR_VALUE, 2},
        {"di-igmp", 2, 0, SAMI_ERR_VALUE, 2},
        {"di-igmp", 3, 0, SAMI_ERR_VALUE, 3},
        {"di-igmp", 3, 3, SAMI_ERR_VALUE, 3},
        {"di-igmp", 18, 0x0a, SAMI_ERR_VALUE, 6},   /* 10.1.1.1 is no group */
        {"di-igmp", 16, 0x00, SAMI_ERR_VALUE, 6},   /* not ::ffff:-mapped */
        {"di-igmp", 22, 0x01, SAMI_ERR_VALUE, 22},  /* IPv4 source not mapped */
        {"di-igmp", 2, 6, SAMI_ERR_VALUE, 6},       /* mapped group under MLD */
        {"di-igmp-mld", 6, 0xfe, SAMI_ERR_VALUE, 6},
        {"di-igmp-mld", 2, 4, SAMI_ERR_VALUE, 6},   /* v6 group under IGMP */
        {"di-counters", 2, 0, SAMI_ERR_VALUE, 2},
        {"di-counters", 2, 3, SAMI_ERR_VALUE, 2},
        {"di-counters", 3, 1, SAMI_ERR_VALUE, 3},   /* reserved */
        {"di-firewall", 2, 5, SAMI_ERR_VALUE, 2},
        {"di-firewall", 4, 0, SAMI_ERR_VALUE, 4},
        {"di-firewall", 4, 8, SAMI_ERR_VALUE, 4},   /* NEW is not a TCP state */
        {"di-firewall", 4, 10, SAMI_ERR_VALUE, 4},
        {"di-firewall", 3, 17, SAMI_ERR_VALUE, 4},  /* ESTABLISHED for UDP */
        {"di-firewall", 5, 0x02, SAMI_ERR_VALUE, 5},
        {"di-firewall", 5, 0x01, SAMI_ERR_LENGTH, 56}, /* NAT flag, no NAT bytes */
        {"di-firewall", 8, 0x20, SAMI_ERR_VALUE, 8},   /* IPv4 src not mapped */
        {"di-firewall", 34, 0x00, SAMI_ERR_VALUE, 24}, /* IPv4 dst not mapped */
        {"di-firewall-nat", 4, 3, SAMI_ERR_VALUE, 4},  /* TCP state for UDP */
        {"di-firewall-nat", 5, 0x00, SAMI_ERR_LENGTH, 56}, /* NAT bytes, no flag */
        {"di-firewall-nat", 5, 0x03, SAMI_ERR_VALUE, 5},
        /* strings: NUL inside */
        {"di-dot1x", 23, 0x00, SAMI_ERR_VALUE, 23},
        {"di-dot1x", 55, 0x00, SAMI_ERR_VALUE, 55},
    };
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        struct vec v;
        load(m[i].vector, &v);
        v.b[m[i].at] = m[i].value;
        expect_fail(&v, v.type, v.len, m[i].code, m[i].offset);
    }
    /* a legal port change still decodes */
    struct vec v;
    struct sami_di_record rec;
    load("di-acl", &v);
    v.b[45] = 23; /* src lo 23 <= hi 65535 */
    decode_ok(&v, &rec);
    assert_int_equal(rec.u.acl.src_port_lo, 23);
    /* src port range inverted */
    load("di-acl", &v);
    v.b[44] = 0xff;
    v.b[45] = 0xff;
    v.b[46] = 0x00;
    v.b[47] = 0x10;
    expect_fail(&v, v.type, v.len, SAMI_ERR_VALUE, 44);
    /* the family decides mapping: an IPv6 firewall session may use any addr */
    load("di-firewall", &v);
    v.b[2] = 6;
    v.b[8] = 0x20;
    decode_ok(&v, &rec);
    assert_int_equal(rec.u.firewall.family, 6);
    /* UDP state NEW accepted, and any protocol that is not TCP */
    load("di-firewall-nat", &v);
    v.b[3] = 132; /* SCTP */
    v.b[4] = SAMI_DI_FW_NEW;
    decode_ok(&v, &rec);
    assert_int_equal(rec.u.firewall.state, SAMI_DI_FW_NEW);
}

static void test_string_length_lies(void **state)
{
    (void)state;
    struct vec v;
    /* di-dot1x strings: session id len at 20, identity len at 28, filter id at 46 */
    load("di-dot1x", &v);
    v.b[20] = 200; /* fits the 253 limit but overruns the value */
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 20);
    load("di-dot1x", &v);
    v.b[46] = 10; /* last string one longer than the bytes left */
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 46);
    load("di-dot1x", &v);
    v.b[46] = 8; /* one shorter: a byte left over */
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, v.len - 1);
    load("di-dot1x", &v);
    v.b[28] = 18; /* identity eats filter id's length octet, then no length left */
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 47);

    /* above the 253-octet limit, even with the bytes present */
    load("di-dot1x-max", &v);
    v.b[20] = 254;
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 20);
    load("di-dot1x-max", &v);
    v.b[20] = 255;
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 20);
    /* a 254-octet string with one byte added to the value */
    load("di-dot1x-max", &v);
    v.b[20 + 254 + 254] = 254;
    v.b[v.len] = 'F';
    expect_fail(&v, v.type, v.len + 1, SAMI_ERR_LENGTH, 20 + 254 + 254);

    /* empty strings: a length that claims the next length octets */
    load("di-dot1x-empty", &v);
    v.b[20] = 3;
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 20);
    load("di-dot1x-empty", &v);
    v.b[22] = 1;
    expect_fail(&v, v.type, v.len, SAMI_ERR_LENGTH, 22);
}

static void test_read_skips_and_offsets(void **state)
{
    (void)state;
    struct vec a, b;
    load("di-dhcp", &a);
    load("di-nd", &b);
    /* prefix(3) | element dhcp with a bad version | element nd | 0x99 */
    uint8_t buf[3 + 18 + 31 + 1];
    memset(buf, 0x77, 3);
    memcpy(buf + 3, a.b, a.len);
    buf[3] = 9;
    memcpy(buf + 3 + a.len, b.b, b.len);
    buf[sizeof buf - 1] = 0x99;
    struct sami_err err;
    struct sami_rd r;
    struct sami_di_record rec;
    sami_rd_init(&r, buf, sizeof buf, &err);
    r.tlv_type = 42;
    assert_int_equal(sami_rd_skip(&r, 3, "prefix"), 0);
    assert_int_equal(sami_di_read(&r, SAMI_DI_DHCP, a.len, &rec), SAMI_ERR_VERSION);
    assert_int_equal(err.offset, 3);
    assert_int_equal(err.tlv_type, 0x101);
    assert_int_equal(r.tlv_type, 42);
    assert_int_equal(sami_rd_offset(&r), 3 + a.len); /* skipped */
    err.code = 0; /* the caller counted it */
    assert_int_equal(sami_di_read(&r, SAMI_DI_ND, b.len, &rec), 0);
    assert_int_equal(rec.type, SAMI_DI_ND);
    assert_int_equal(rec.u.nd.state, SAMI_DI_ND_VALID);
    assert_int_equal(sami_rd_left(&r), 1);
    /* an element length past the window: LENGTH, nothing consumed */
    assert_int_equal(sami_di_read(&r, SAMI_DI_ND, 2, &rec), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, sizeof buf - 1);
    assert_int_equal(err.tlv_type, 0x103);
    assert_int_equal(sami_rd_left(&r), 1);
    assert_int_equal(r.tlv_type, 42);

    /* errors deep in a record carry absolute offsets */
    sami_rd_init(&r, buf, sizeof buf, &err);
    buf[3 + a.len + 30] = 7; /* nd state */
    assert_int_equal(sami_rd_skip(&r, 3 + a.len, "prefix"), 0);
    assert_int_equal(sami_di_read(&r, SAMI_DI_ND, b.len, &rec), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 3 + a.len + 30);
    assert_string_equal(err.what, "di.nd.state");
}

static void test_decode_args(void **state)
{
    (void)state;
    struct sami_err err;
    struct sami_di_record rec;
    assert_int_equal(sami_di_decode(SAMI_DI_DHCP, NULL, 0, &rec, &err), SAMI_ERR_LENGTH);
    assert_int_equal(sami_di_decode(SAMI_DI_DHCP, NULL, 5, &rec, &err), SAMI_ERR_INVAL);
    uint8_t b[1] = {1};
    assert_int_equal(sami_di_decode(SAMI_DI_DHCP, b, 1, NULL, &err), SAMI_ERR_INVAL);
    /* err may be NULL */
    assert_int_equal(sami_di_decode(SAMI_DI_DHCP, b, 1, &rec, NULL), SAMI_ERR_LENGTH);
}

/* ---- encoder refusals ---- */

static void expect_refused(const struct sami_di_record *rec, int code)
{
    uint8_t out[MAXV];
    size_t len = 123;
    assert_int_equal(sami_di_validate(rec), code);
    assert_int_equal(sami_di_encode(rec, out, sizeof out, &len), code);
    assert_int_equal(len, 0);
}

static void test_encode_refuses(void **state)
{
    (void)state;
    struct sami_di_record r;
    assert_int_equal(sami_di_validate(NULL), SAMI_ERR_INVAL);
    assert_int_equal(sami_di_encode(NULL, NULL, 0, NULL), SAMI_ERR_INVAL);

    r = expected("di-dhcp");
    r.type = 0;
    expect_refused(&r, SAMI_ERR_TYPE);
    r.type = 9;
    expect_refused(&r, SAMI_ERR_TYPE);
    assert_int_equal(sami_di_encoded_len(&r), 0);
    r = expected("di-dhcp");
    r.version = 2;
    expect_refused(&r, SAMI_ERR_VERSION);
    r = expected("di-dhcp");
    r.op = 3;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-dhcp");
    r.u.dhcp.vlan = 4096;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-nd");
    r.u.nd.state = 0;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-acl");
    r.u.acl.src_prefix_len = 129;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-firewall");
    r.u.firewall.flags = 0x80;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-igmp");
    r.u.igmp.family = 0;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-counters");
    r.u.counters.direction = 9;
    expect_refused(&r, SAMI_ERR_VALUE);

    /* strings: too long for the length octet's limit, or with a NUL */
    r = expected("di-dot1x-max");
    r.u.dot1x.identity_len = SAMI_DI_STR_MAX + 1;
    expect_refused(&r, SAMI_ERR_VALUE);
    r = expected("di-dot1x");
    r.u.dot1x.filter_id[3] = '\0';
    expect_refused(&r, SAMI_ERR_VALUE);
    /* write() on an unchecked over-long string clamps instead of over-reading */
    r = expected("di-dot1x-max");
    r.u.dot1x.filter_id_len = 255;
    assert_int_equal(sami_di_encoded_len(&r), SAMI_DI_DOT1X_MAX_LEN);
}

/* ---- keys ---- */

static uint64_t fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static void test_key_hash_wire_order(void **state)
{
    (void)state;
    struct sami_di_record r = expected("di-dhcp");
    const uint8_t k1[] = {1, 0xc0, 0x00, 0x02, 0x0a, 0x00, 0x64};
    assert_true(sami_di_key_hash(&r) == fnv1a64(k1, sizeof k1));
    r = expected("di-dhcpv6");
    uint8_t k2[1 + 16 + 2 + 4] = {2};
    memcpy(k2 + 1, r.u.dhcpv6.ipv6, 16);
    memcpy(k2 + 17, "\x00\x64\x0a\x0b\x0c\x0d", 6);
    assert_true(sami_di_key_hash(&r) == fnv1a64(k2, sizeof k2));
    r = expected("di-counters");
    const uint8_t k7[] = {7, 1};
    assert_true(sami_di_key_hash(&r) == fnv1a64(k7, sizeof k7));
    r = expected("di-acl");
    const uint8_t k5[] = {5, 0, 0, 0x03, 0xe9};
    assert_true(sami_di_key_hash(&r) == fnv1a64(k5, sizeof k5));
    r.type = 0;
    assert_true(sami_di_key_hash(&r) == 0);
    assert_false(sami_di_key_equal(&r, &r));
    assert_true(sami_di_key_hash(NULL) == 0);
}

/* Changing a non-key field keeps the key; changing a key field breaks it. */
struct key_case {
    const char *vector;
    size_t at;    /* byte in the vector */
    uint8_t flip; /* xor mask keeping the record valid */
    bool is_key;
};

static void test_key_equal_and_hash(void **state)
{
    (void)state;
    static const struct key_case c[] = {
        {"di-dhcp", 5, 1, true},          {"di-dhcp", 7, 1, false},
        {"di-dhcp", 13, 1, true},         {"di-dhcp", 17, 1, false},
        {"di-dhcpv6", 2, 1, true},        {"di-dhcpv6", 17, 1, true},
        {"di-dhcpv6", 20, 1, false},      {"di-dhcpv6", 25, 1, true},
        {"di-dhcpv6", 29, 1, false},      {"di-dhcpv6", 33, 1, true},
        {"di-nd", 10, 1, true},           {"di-nd", 23, 1, false},
        {"di-nd", 25, 1, true},           {"di-nd", 29, 1, false},
        {"di-nd", 30, 1, false},          {"di-dot1x", 2, 1, true},
        {"di-dot1x", 7, 1, true},         {"di-dot1x", 8, 1, false},
        {"di-dot1x", 9, 0x1f, false},     {"di-dot1x", 11, 1, false},
        {"di-dot1x", 30, 1, false},       {"di-dot1x", 15, 1, false},
        {"di-acl", 5, 1, true},           {"di-acl", 2, 0x80, true},
        {"di-acl", 6, 1, false},          {"di-acl", 27, 1, false},
        {"di-acl", 66, 1, false},         {"di-acl", 8, 0x10, false},
        {"di-igmp", 5, 1, true},          {"di-igmp", 3, 3, false},
        {"di-igmp", 21, 1, true},         {"di-igmp", 41, 1, false},
        {"di-igmp-mld", 21, 1, true},     {"di-igmp-mld", 37, 1, true},
        {"di-counters", 2, 3, true},      {"di-counters", 11, 1, false},
        {"di-counters", 39, 1, false},    {"di-firewall", 2, 2, true},
        {"di-firewall", 4, 1, false},     {"di-firewall", 7, 1, true},
        {"di-firewall", 23, 1, true},     {"di-firewall", 39, 1, true},
        {"di-firewall", 41, 1, true},     {"di-firewall", 43, 1, true},
        {"di-firewall", 47, 1, false},    {"di-firewall", 51, 1, false},
        {"di-firewall", 55, 1, false},    {"di-firewall-nat", 3, 0x80, true},
        {"di-firewall-nat", 4, 1, false}, {"di-firewall-nat", 71, 1, false},
        {"di-firewall-nat", 91, 1, false},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct vec v;
        struct sami_di_record a, b;
        load(c[i].vector, &v);
        decode_ok(&v, &a);
        assert_true(sami_di_key_equal(&a, &a));
        /* a legal value change in place: decode, poke the struct via bytes */
        struct sami_err err;
        v.b[c[i].at] ^= c[i].flip;
        int rc = sami_di_decode(v.type, v.b, v.len, &b, &err);
        if (rc)
            fail_msg("case %zu (%s @%zu) does not decode: %d", i, c[i].vector, c[i].at, rc);
        bool eq = sami_di_key_equal(&a, &b);
        if (eq == c[i].is_key)
            fail_msg("case %zu (%s @%zu): key_equal %d", i, c[i].vector, c[i].at, eq);
        assert_true(sami_di_key_equal(&b, &a) == eq);
        if (eq)
            assert_true(sami_di_key_hash(&a) == sami_di_key_hash(&b));
        else
            assert_true(sami_di_key_hash(&a) != sami_di_key_hash(&b));
    }
    /* DELETE names the UPSERT's entry */
    struct sami_di_record up = expected("di-dhcp"), del = expected("di-dhcp-delete");
    assert_true(sami_di_key_equal(&up, &del));
    assert_true(sami_di_key_hash(&up) == sami_di_key_hash(&del));
    /* different types never match, even with the same bytes underneath */
    struct sami_di_record nd = expected("di-nd"), v6 = expected("di-dhcpv6");
    assert_false(sami_di_key_equal(&nd, &v6));
    assert_false(sami_di_key_equal(&up, NULL));
    /* the two firewall vectors, IGMP vs MLD and the two ACLs are distinct */
    struct sami_di_record f1 = expected("di-firewall"), f2 = expected("di-firewall-nat");
    assert_false(sami_di_key_equal(&f1, &f2));
    struct sami_di_record g1 = expected("di-igmp"), g2 = expected("di-igmp-mld");
    assert_false(sami_di_key_equal(&g1, &g2));
    struct sami_di_record a1 = expected("di-acl"), a2 = expected("di-acl-ipv6");
    assert_false(sami_di_key_equal(&a1, &a2));
    /* NAT mapping is not part of the key */
    f2.u.firewall.nat_src_port = 1;
    struct sami_di_record f3 = expected("di-firewall-nat");
    assert_true(sami_di_key_equal(&f2, &f3));
    assert_true(sami_di_key_hash(&f2) == sami_di_key_hash(&f3));
    /* 802.1X: the strings are not the key */
    struct sami_di_record d1 = expected("di-dot1x"), d2 = expected("di-dot1x");
    d2.u.dot1x.identity_len = 3;
    assert_true(sami_di_key_equal(&d1, &d2));
    /* IGMP family is part of the key even with equal addresses */
    g2 = g1;
    g2.u.igmp.family = SAMI_DI_FAMILY_IPV6;
    assert_false(sami_di_key_equal(&g1, &g2));
}

/* ---- rebase ---- */

static void test_rebase(void **state)
{
    (void)state;
    struct sami_di_record r = expected("di-dhcp");
    sami_di_rebase(&r, 1000);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3599000);
    sami_di_rebase(&r, 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3599000);
    sami_di_rebase(&r, 3599000);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 0);
    r = expected("di-dhcp");
    sami_di_rebase(&r, 4000000); /* saturates */
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 0);
    r = expected("di-dhcp");
    r.u.dhcp.lease_remaining_ms = SAMI_DI_INFINITE;
    sami_di_rebase(&r, 0xFFFFFFFFu);
    assert_true(r.u.dhcp.lease_remaining_ms == SAMI_DI_INFINITE);
    r.u.dhcp.lease_remaining_ms = 0xFFFFFFFEu; /* finite, just below */
    sami_di_rebase(&r, 1);
    assert_true(r.u.dhcp.lease_remaining_ms == 0xFFFFFFFDu);

    r = expected("di-dhcpv6");
    sami_di_rebase(&r, 400);
    assert_int_equal(r.u.dhcpv6.lease_remaining_ms, 86400000 - 400);
    assert_int_equal(r.u.dhcpv6.iaid, 0x0a0b0c0d);
    r = expected("di-nd");
    sami_di_rebase(&r, 30001);
    assert_int_equal(r.u.nd.lifetime_remaining_ms, 0);

    r = expected("di-dot1x");
    sami_di_rebase(&r, 3600000);
    assert_int_equal(r.u.dot1x.session_remaining_ms, 28800000 - 3600000);
    assert_int_equal(r.u.dot1x.reauth_remaining_ms, 0);
    r = expected("di-dot1x-empty");
    sami_di_rebase(&r, 5);
    assert_true(r.u.dot1x.session_remaining_ms == SAMI_DI_INFINITE);
    assert_true(r.u.dot1x.reauth_remaining_ms == SAMI_DI_INFINITE);

    r = expected("di-acl-ipv6");
    sami_di_rebase(&r, 5);
    assert_true(r.u.acl.lifetime_remaining_ms == SAMI_DI_INFINITE);
    r = expected("di-acl");
    sami_di_rebase(&r, 5);
    assert_int_equal(r.u.acl.lifetime_remaining_ms, 599995);
    r = expected("di-igmp");
    sami_di_rebase(&r, 60000);
    assert_int_equal(r.u.igmp.timer_remaining_ms, 200000);

    /* counters have no timers; window and rates are left alone */
    r = expected("di-counters");
    struct sami_di_record before = r;
    sami_di_rebase(&r, 12345);
    assert_record_equal(&before, &r);

    /* firewall: ages grow, expiry shrinks */
    r = expected("di-firewall");
    sami_di_rebase(&r, 250);
    assert_int_equal(r.u.firewall.created_age_ms, 125250);
    assert_int_equal(r.u.firewall.last_heard_age_ms, 1750);
    assert_int_equal(r.u.firewall.expiry_remaining_ms, 7199750);
    r.u.firewall.created_age_ms = 0xFFFFFF00u;
    r.u.firewall.last_heard_age_ms = 0xFFFFFFFFu;
    r.u.firewall.expiry_remaining_ms = SAMI_DI_INFINITE;
    sami_di_rebase(&r, 0x1000);
    assert_true(r.u.firewall.created_age_ms == 0xFFFFFFFFu);
    assert_true(r.u.firewall.last_heard_age_ms == 0xFFFFFFFFu);
    assert_true(r.u.firewall.expiry_remaining_ms == SAMI_DI_INFINITE);
    r = expected("di-firewall-nat");
    sami_di_rebase(&r, 0xFFFFFFFFu);
    assert_true(r.u.firewall.created_age_ms == 0xFFFFFFFFu);
    assert_int_equal(r.u.firewall.expiry_remaining_ms, 0);
    assert_int_equal(r.u.firewall.nat_src_port, 61000);

    /* unknown types and NULL are left alone */
    r = expected("di-dhcp");
    r.type = 0;
    sami_di_rebase(&r, 1);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3600000);
    sami_di_rebase(NULL, 1);
}

/* ---- names and constants ---- */

static void test_names(void **state)
{
    (void)state;
    static const char *const types[] = {"unknown", "dhcp",  "dhcpv6",   "nd",      "dot1x",
                                        "acl",     "igmp",  "counters", "firewall", "unknown"};
    for (unsigned t = 0; t < 10; t++)
        assert_string_equal(sami_di_type_name(t), types[t]);
    assert_string_equal(sami_di_type_name(0x101), "unknown");
    assert_string_equal(sami_di_op_name(1), "upsert");
    assert_string_equal(sami_di_op_name(2), "delete");
    assert_string_equal(sami_di_op_name(3), "unknown");
    assert_string_equal(sami_di_family_name(4), "ipv4");
    assert_string_equal(sami_di_family_name(6), "ipv6");
    assert_string_equal(sami_di_family_name(5), "unknown");
    assert_string_equal(sami_di_nd_state_name(SAMI_DI_ND_TENTATIVE), "tentative");
    assert_string_equal(sami_di_nd_state_name(SAMI_DI_ND_STALE), "stale");
    assert_string_equal(sami_di_nd_state_name(0), "unknown");
    assert_string_equal(sami_di_nd_state_name(5), "unknown");
    assert_string_equal(sami_di_acl_action_name(SAMI_DI_ACL_RATE_LIMIT), "rate_limit");
    assert_string_equal(sami_di_acl_action_name(4), "unknown");
    assert_string_equal(sami_di_acl_origin_name(SAMI_DI_ACL_FLOOD_BLACKLIST), "flood_blacklist");
    assert_string_equal(sami_di_acl_origin_name(SAMI_DI_ACL_OTHER), "other");
    assert_string_equal(sami_di_acl_origin_name(6), "unknown");
    assert_string_equal(sami_di_igmp_mode_name(SAMI_DI_IGMP_EXCLUDE), "exclude");
    assert_string_equal(sami_di_igmp_mode_name(0), "unknown");
    assert_string_equal(sami_di_direction_name(SAMI_DI_DIR_OUT), "out");
    assert_string_equal(sami_di_direction_name(3), "unknown");
    assert_string_equal(sami_di_fw_state_name(SAMI_DI_FW_SYN_SENT), "syn_sent");
    assert_string_equal(sami_di_fw_state_name(SAMI_DI_FW_ESTABLISHED), "established");
    assert_string_equal(sami_di_fw_state_name(SAMI_DI_FW_ASSURED), "assured");
    assert_string_equal(sami_di_fw_state_name(10), "unknown");
    assert_string_equal(sami_di_eap_method_name(0), "none");
    assert_string_equal(sami_di_eap_method_name(13), "tls");
    assert_string_equal(sami_di_eap_method_name(25), "peap");
    assert_string_equal(sami_di_eap_method_name(200), "unknown");
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++)
        assert_int_equal(sami_di_current_version(t), 1);
    assert_int_equal(sami_di_current_version(0), 0);
    assert_int_equal(sami_di_current_version(9), 0);
    assert_int_equal(SAMI_DI_TYPES_DEFINED, 1);
    assert_int_equal(SAMI_DI_ELEMENT_TYPE(SAMI_DI_FIREWALL), 0x108);
    assert_int_equal(SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL), 0x102);
}

/* The documented sizes (docs/PROTOCOL.md) hold on this platform. */
static void test_struct_sizes(void **state)
{
    (void)state;
    assert_true(sizeof(struct sami_di_dhcp) <= 16);
    assert_true(sizeof(struct sami_di_dhcpv6) <= 32);
    assert_true(sizeof(struct sami_di_nd) <= 32);
    assert_true(sizeof(struct sami_di_dot1x) <= 784);
    assert_true(sizeof(struct sami_di_acl) <= 68);
    assert_true(sizeof(struct sami_di_igmp) <= 40);
    assert_true(sizeof(struct sami_di_counters) <= 40);
    assert_true(sizeof(struct sami_di_firewall) <= 92);
    assert_true(sizeof(struct sami_di_record) <= 792);
}

/* ---- docs ---- */

static void test_doc_vectors(void **state)
{
    (void)state;
    struct sami_doc_vector *dv = calloc(64, sizeof *dv);
    assert_non_null(dv);
    int n = sami_doc_load_prefix(SAMI_SOURCE_DIR "/docs/PROTOCOL.md", "di-", NULL, dv, 64);
    assert_int_equal(n, (int)SAMI_VECTORS_DI_COUNT);
    for (int i = 0; i < n; i++) {
        struct vec v;
        load(dv[i].name, &v);
        assert_int_equal(dv[i].declared_len, v.len);
        assert_int_equal(dv[i].len, v.len);
        assert_memory_equal(dv[i].bytes, v.b, v.len);
    }
    /* every header vector is documented, in header order */
    for (size_t i = 0; i < SAMI_VECTORS_DI_COUNT; i++)
        assert_string_equal(dv[i].name, sami_vectors_di[i].name);
    free(dv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_set),
        cmocka_unit_test(test_vectors_decode_to_fields),
        cmocka_unit_test(test_vectors_reencode),
        cmocka_unit_test(test_encode_nobufs_every_cap),
        cmocka_unit_test(test_write_into_cursor),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_extra_byte),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_bad_op),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_string_length_lies),
        cmocka_unit_test(test_read_skips_and_offsets),
        cmocka_unit_test(test_decode_args),
        cmocka_unit_test(test_encode_refuses),
        cmocka_unit_test(test_key_hash_wire_order),
        cmocka_unit_test(test_key_equal_and_hash),
        cmocka_unit_test(test_rebase),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_struct_sizes),
        cmocka_unit_test(test_doc_vectors),
    };
    return cmocka_run_group_tests_name("di", tests, NULL, NULL);
}
