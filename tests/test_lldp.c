/* LLDPDU codec: vectors decode to exactly their fields and re-encode to their
 * bytes; truncations, length lies, missing/misordered/duplicate TLVs are
 * rejected with the right code and offset; the builder's NOBUFS semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/evb.h"
#include "sami/lldp.h"
#include "sami/samicap.h"
#include "protocol_doc.h"
#include "vectors_lldp.h"

#define NVEC (sizeof sami_vectors_lldp / sizeof sami_vectors_lldp[0])

static size_t vec(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < NVEC; i++) {
        if (strcmp(sami_vectors_lldp[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_lldp[i].hex, buf, cap);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static int is_pdu_vector(const char *name)
{
    return strncmp(name, "lldp-evb-", 9) != 0 && strncmp(name, "lldp-samicap-", 13) != 0;
}

static size_t hexbytes(const char *hex, uint8_t *buf, size_t cap)
{
    long n = sami_test_hex(hex, buf, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

static void assert_view(const uint8_t *p, size_t len, const char *hex)
{
    uint8_t want[64];
    size_t n = hexbytes(hex, want, sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(p, want, n);
}

static void assert_str(const struct sami_lldp_str *s, const char *want)
{
    assert_int_equal(s->len, strlen(want));
    assert_memory_equal(s->p, want, s->len);
}

/* Decodes a copy of exactly n bytes on the heap, so ASan sees any overread. */
static int decode_copy(const uint8_t *buf, size_t n, struct sami_lldp *out, struct sami_err *err)
{
    uint8_t *c = malloc(n ? n : 1);
    assert_non_null(c);
    if (n)
        memcpy(c, buf, n);
    int rc = sami_lldp_decode(n ? c : NULL, n, out, err);
    free(c);
    return rc;
}

/* ---- the vectors, field by field ---- */

static void test_lldpad_station(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = vec("lldp-lldpad-station", b, sizeof b);
    struct sami_lldp p;
    struct sami_err err;
    assert_int_equal(n, 46);
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(p.chassis.subtype, SAMI_LLDP_CHASSIS_MAC);
    assert_view(p.chassis.id, p.chassis.len, "52 77 b8 c7 69 3d");
    assert_int_equal(p.port.subtype, SAMI_LLDP_PORT_MAC);
    assert_view(p.port.id, p.port.len, "52 77 b8 c7 69 3d");
    assert_int_equal(p.ttl, 120);
    assert_int_equal(p.present, 0);
    assert_int_equal(p.mgmt_count, 0);
    assert_int_equal(p.org_count, 1);
    assert_int_equal(p.unknown_count, 0);
    assert_int_equal(p.tlv_count, 5);
    assert_int_equal(p.has_end, 1);
    assert_int_equal(p.pdu_len, 35);
    assert_int_equal(p.pad_len, 11);
    assert_int_equal(p.pad_nonzero, 0);
    struct sami_lldp_org o;
    assert_int_equal(sami_lldp_get_org(&p, 0, &o), 0);
    assert_int_equal(o.oui, SAMI_LLDP_OUI_IEEE_8021);
    assert_int_equal(o.subtype, 0x0d);
    assert_int_equal(o.offset, 22);
    assert_view(o.info, o.info_len, "00 03 68 94 14");
    assert_int_equal(sami_lldp_get_org(&p, 1, &o), SAMI_ERR_NOTFOUND);
    struct sami_lldp_mgmt m;
    assert_int_equal(sami_lldp_get_mgmt(&p, 0, &m), SAMI_ERR_NOTFOUND);
}

static void test_lldpad_bridge(void **state)
{
    (void)state;
    uint8_t b[64];
    size_t n = vec("lldp-lldpad-bridge", b, sizeof b);
    struct sami_lldp p;
    struct sami_err err;
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), 0);
    assert_int_equal(p.chassis.subtype, SAMI_LLDP_CHASSIS_MAC);
    assert_view(p.chassis.id, p.chassis.len, "a2 74 e1 83 79 63");
    assert_int_equal(p.port.subtype, SAMI_LLDP_PORT_MAC);
    assert_view(p.port.id, p.port.len, "a2 74 e1 83 79 63");
    assert_int_equal(p.ttl, 120);
    assert_int_equal(p.present, 0);
    assert_int_equal(p.org_count, 1);
    assert_int_equal(p.tlv_count, 5);
    assert_int_equal(p.pdu_len, 35);
    assert_int_equal(p.pad_len, 11);
    struct sami_lldp_org o;
    assert_int_equal(sami_lldp_find_org(&p, SAMI_EVB_OUI, SAMI_EVB_SUBTYPE, &o), 0);
    assert_view(o.info, o.info_len, "02 03 68 74 34");
    assert_int_equal(sami_lldp_find_org(&p, SAMI_SAMICAP_OUI_DEFAULT, 1, &o), SAMI_ERR_NOTFOUND);
}

static void test_lldpd_hypervisor(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = vec("lldp-lldpd-hypervisor", b, sizeof b);
    struct sami_lldp p;
    struct sami_err err;
    assert_int_equal(n, 151);
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), 0);
    assert_int_equal(p.chassis.subtype, SAMI_LLDP_CHASSIS_MAC);
    assert_view(p.chassis.id, p.chassis.len, "02 53 4d 00 01 01");
    assert_int_equal(p.port.subtype, SAMI_LLDP_PORT_MAC);
    assert_view(p.port.id, p.port.len, "02 53 4d 00 01 01");
    assert_int_equal(p.ttl, 120);
    assert_int_equal(p.present, SAMI_LLDP_HAS_PORT_DESC | SAMI_LLDP_HAS_SYSTEM_NAME |
                                    SAMI_LLDP_HAS_SYSTEM_DESC | SAMI_LLDP_HAS_SYSTEM_CAP);
    assert_str(&p.sys_name, "sami-hv1");
    assert_str(&p.sys_desc, "sami test hypervisor");
    assert_str(&p.port_desc, "hv0");
    assert_int_equal(p.syscap.caps, SAMI_LLDP_CAP_BRIDGE | SAMI_LLDP_CAP_WLAN_AP |
                                        SAMI_LLDP_CAP_ROUTER | SAMI_LLDP_CAP_STATION);
    assert_int_equal(p.syscap.enabled, SAMI_LLDP_CAP_STATION);
    assert_int_equal(p.mgmt_count, 2);
    assert_int_equal(p.org_count, 3);
    assert_int_equal(p.unknown_count, 0);
    assert_int_equal(p.tlv_count, 13);
    assert_int_equal(p.has_end, 1);
    assert_int_equal(p.pdu_len, 151);
    assert_int_equal(p.pad_len, 0);

    struct sami_lldp_mgmt m;
    assert_int_equal(sami_lldp_get_mgmt(&p, 0, &m), 0);
    assert_int_equal(m.addr_subtype, SAMI_LLDP_AF_IPV4);
    assert_view(m.addr, m.addr_len, "c0 00 02 0b");
    assert_int_equal(m.if_subtype, SAMI_LLDP_IF_IFINDEX);
    assert_int_equal(m.if_number, 2);
    assert_int_equal(m.oid_len, 0);
    assert_int_equal(sami_lldp_get_mgmt(&p, 1, &m), 0);
    assert_int_equal(m.addr_subtype, SAMI_LLDP_AF_IPV6);
    assert_view(m.addr, m.addr_len, "fe 80 00 00 00 00 00 00 00 53 4d ff fe 00 01 01");
    assert_int_equal(m.if_subtype, SAMI_LLDP_IF_IFINDEX);
    assert_int_equal(m.if_number, 2);
    assert_int_equal(m.oid_len, 0);
    assert_int_equal(sami_lldp_get_mgmt(&p, 2, &m), SAMI_ERR_NOTFOUND);

    static const struct {
        uint32_t oui;
        uint8_t subtype;
        size_t offset;
        const char *info;
    } orgs[] = {
        {SAMI_LLDP_OUI_IEEE_8023, 3, 105, "01 00 00 00 00"},
        {SAMI_LLDP_OUI_IEEE_8023, 1, 116, "00 80 00 00 36"},
        {SAMI_SAMICAP_OUI_DEFAULT, 1, 127, "01 01 00 00 01 fe 00 00 00 00 00 00 00 00 00 00"},
    };
    for (size_t i = 0; i < 3; i++) {
        struct sami_lldp_org o;
        assert_int_equal(sami_lldp_get_org(&p, i, &o), 0);
        assert_int_equal(o.oui, orgs[i].oui);
        assert_int_equal(o.subtype, orgs[i].subtype);
        assert_int_equal(o.offset, orgs[i].offset);
        assert_view(o.info, o.info_len, orgs[i].info);
    }
}

static void test_sami_bridge(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t n = vec("lldp-sami-bridge", b, sizeof b);
    struct sami_lldp p;
    struct sami_err err;
    assert_int_equal(n, 69);
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), 0);
    assert_int_equal(p.chassis.subtype, SAMI_LLDP_CHASSIS_MAC);
    assert_view(p.chassis.id, p.chassis.len, "02 00 00 00 00 01");
    assert_int_equal(p.port.subtype, SAMI_LLDP_PORT_IF_NAME);
    assert_view(p.port.id, p.port.len, "73 77 70 31");
    assert_int_equal(p.ttl, 120);
    assert_int_equal(p.present, SAMI_LLDP_HAS_SYSTEM_NAME);
    assert_str(&p.sys_name, "sami-br1");
    assert_int_equal(p.mgmt_count, 0);
    assert_int_equal(p.org_count, 2);
    assert_int_equal(p.tlv_count, 7);
    assert_int_equal(p.pdu_len, 69);
    assert_int_equal(p.pad_len, 0);
    struct sami_lldp_org o;
    assert_int_equal(sami_lldp_get_org(&p, 0, &o), 0);
    assert_true(sami_evb_match(&o));
    assert_view(o.info, o.info_len, "02 00 68 54 14");
    assert_int_equal(sami_lldp_get_org(&p, 1, &o), 0);
    assert_true(sami_samicap_match(&o, SAMI_SAMICAP_OUI_DEFAULT));
    assert_int_equal(o.offset, 41);
    assert_int_equal(o.info_len, 20);
}

/* ---- re-encoding ---- */

static void test_reencode_all(void **state)
{
    (void)state;
    for (size_t v = 0; v < NVEC; v++) {
        if (!is_pdu_vector(sami_vectors_lldp[v].name))
            continue;
        uint8_t b[600], out[600];
        size_t n = hexbytes(sami_vectors_lldp[v].hex, b, sizeof b), len = 0;
        struct sami_lldp p;
        assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
        assert_int_equal(sami_lldp_reencode(&p, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, b, n);
        /* length query, then every too-small buffer */
        assert_int_equal(sami_lldp_reencode(&p, NULL, 0, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, n);
        for (size_t cap = 0; cap < n; cap++) {
            uint8_t *small = malloc(cap ? cap : 1);
            len = 0;
            assert_int_equal(sami_lldp_reencode(&p, small, cap, &len), SAMI_ERR_NOBUFS);
            assert_int_equal(len, n);
            free(small);
        }
    }
}

/* Rebuilds a decoded LLDPDU through the builder (canonical order). */
static int build_from(const struct sami_lldp *p, uint8_t *out, size_t cap, size_t *len)
{
    struct sami_lldp_mgmt m[8];
    struct sami_lldp_org o[8];
    struct sami_lldp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.chassis = p->chassis;
    tx.port = p->port;
    tx.ttl = p->ttl;
    tx.present = p->present;
    tx.port_desc = p->port_desc;
    tx.sys_name = p->sys_name;
    tx.sys_desc = p->sys_desc;
    tx.syscap = p->syscap;
    for (size_t i = 0; i < p->mgmt_count && i < 8; i++)
        assert_int_equal(sami_lldp_get_mgmt(p, i, &m[i]), 0);
    for (size_t i = 0; i < p->org_count && i < 8; i++)
        assert_int_equal(sami_lldp_get_org(p, i, &o[i]), 0);
    tx.mgmt = m;
    tx.mgmt_count = p->mgmt_count;
    tx.org = o;
    tx.org_count = p->org_count;
    tx.min_len = p->pdu_len + p->pad_len;
    return sami_lldp_encode(&tx, out, cap, len);
}

static void test_builder_canonical_vectors(void **state)
{
    (void)state;
    static const char *const names[] = {"lldp-lldpad-station", "lldp-lldpad-bridge",
                                        "lldp-sami-bridge"};
    for (size_t v = 0; v < 3; v++) {
        uint8_t b[256], out[256];
        size_t n = vec(names[v], b, sizeof b), len = 0;
        struct sami_lldp p;
        assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
        assert_int_equal(build_from(&p, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, b, n);
        assert_int_equal(build_from(&p, NULL, 0, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, n);
        for (size_t cap = 0; cap < n; cap++) {
            uint8_t *small = malloc(cap ? cap : 1);
            assert_int_equal(build_from(&p, small, cap, &len), SAMI_ERR_NOBUFS);
            assert_int_equal(len, n);
            free(small);
        }
    }
    /* lldpd puts the port description after the management addresses; the
     * builder's canonical order differs but decodes to the same fields */
    uint8_t b[256], out[256];
    size_t n = vec("lldp-lldpd-hypervisor", b, sizeof b), len = 0;
    struct sami_lldp p, q;
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(build_from(&p, out, sizeof out, &len), 0);
    assert_int_equal(len, n);
    assert_memory_not_equal(out, b, n);
    assert_int_equal(sami_lldp_decode(out, len, &q, NULL), 0);
    assert_int_equal(q.tlv_count, p.tlv_count);
    assert_int_equal(q.present, p.present);
    assert_str(&q.port_desc, "hv0");
    assert_int_equal(q.mgmt_count, 2);
    assert_int_equal(q.org_count, 3);
}

static void test_builder_sami_bridge_from_parts(void **state)
{
    (void)state;
    uint8_t want[128], evb[16], cap[64], out[128];
    size_t n = vec("lldp-sami-bridge", want, sizeof want), elen, clen, len;
    struct sami_evb e = {.rrcap = 1, .r = 3, .rte = 8, .mode = SAMI_EVB_MODE_BRIDGE, .rwd = 20,
                         .rka = 20};
    struct sami_samicap c = {.version = 1,
                             .role = SAMI_SAMICAP_ROLE_BRIDGE,
                             .di_types = 0x1fe,
                             .bindings = SAMI_SAMICAP_BIND_TCP | SAMI_SAMICAP_BIND_L2,
                             .tcp_port = 5757,
                             .family = SAMI_SAMICAP_AF_IPV4,
                             .addr = {192, 0, 2, 1},
                             .l2_mac = {2, 0, 0, 0, 0, 1}};
    assert_int_equal(sami_evb_encode(&e, evb, sizeof evb, &elen), 0);
    assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, cap, sizeof cap, &clen), 0);
    uint8_t extra[80];
    memcpy(extra, evb, elen);
    memcpy(extra + elen, cap, clen);
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    struct sami_lldp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.chassis = (struct sami_lldp_id){SAMI_LLDP_CHASSIS_MAC, mac, 6};
    tx.port = (struct sami_lldp_id){SAMI_LLDP_PORT_IF_NAME, (const uint8_t *)"swp1", 4};
    tx.ttl = 120;
    tx.present = SAMI_LLDP_HAS_SYSTEM_NAME;
    tx.sys_name = (struct sami_lldp_str){(const uint8_t *)"sami-br1", 8};
    tx.extra = extra;
    tx.extra_len = elen + clen;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, want, n);

    /* same through the writers */
    struct sami_wr w;
    struct sami_lldp_tlv t;
    sami_wr_init(&w, out, sizeof out);
    memset(&t, 0, sizeof t);
    t.type = SAMI_LLDP_TLV_CHASSIS_ID;
    t.u.id = tx.chassis;
    sami_lldp_write_tlv(&w, &t);
    t.type = SAMI_LLDP_TLV_PORT_ID;
    t.u.id = tx.port;
    sami_lldp_write_tlv(&w, &t);
    t.type = SAMI_LLDP_TLV_TTL;
    t.u.ttl = 120;
    sami_lldp_write_tlv(&w, &t);
    t.type = SAMI_LLDP_TLV_SYSTEM_NAME;
    t.u.str = tx.sys_name;
    sami_lldp_write_tlv(&w, &t);
    sami_evb_write(&w, &e);
    sami_samicap_write(&w, SAMI_SAMICAP_OUI_DEFAULT, &c);
    sami_lldp_write_end(&w);
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, want, n);

    /* min_len pads with zeros after End */
    tx.min_len = SAMI_LLDP_MIN_FRAME_PAYLOAD;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    assert_int_equal(len, n); /* already longer than 46 */
    tx.extra_len = 0;
    tx.present = 0;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    assert_int_equal(len, 46);
    assert_int_equal(out[20], 0);
    assert_int_equal(out[21], 0); /* End at 20 */
    for (size_t i = 22; i < 46; i++)
        assert_int_equal(out[i], 0);
}

static void test_builder_rejects(void **state)
{
    (void)state;
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    static uint8_t big[600];
    uint8_t out[1024];
    size_t len = 99;
    struct sami_lldp_tx tx, ok;
    memset(&ok, 0, sizeof ok);
    ok.chassis = (struct sami_lldp_id){SAMI_LLDP_CHASSIS_MAC, mac, 6};
    ok.port = (struct sami_lldp_id){SAMI_LLDP_PORT_LOCAL, (const uint8_t *)"1", 1};
    assert_int_equal(sami_lldp_encode(&ok, out, sizeof out, &len), 0);
    assert_int_equal(len, 9 + 4 + 4 + 2);

    tx = ok;
    tx.chassis.subtype = 0;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_VALUE);
    assert_int_equal(len, 0);
    tx = ok;
    tx.port.subtype = 8;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_VALUE);
    tx = ok;
    tx.chassis.len = 5; /* MAC must be 6 */
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx = ok;
    tx.port.len = 0;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx = ok;
    tx.port = (struct sami_lldp_id){SAMI_LLDP_PORT_LOCAL, big, 256};
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx.port.len = 255;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    tx = ok;
    tx.present = SAMI_LLDP_HAS_SYSTEM_DESC;
    tx.sys_desc = (struct sami_lldp_str){big, 256};
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx.sys_desc = (struct sami_lldp_str){NULL, 3};
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx = ok;
    struct sami_lldp_mgmt m = {SAMI_LLDP_AF_IPV4, mac, 0, 2, 1, NULL, 0};
    tx.mgmt = &m;
    tx.mgmt_count = 1;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    m.addr_len = 32;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    m.addr_len = 4;
    m.oid = big;
    m.oid_len = 129;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    m.oid_len = 128;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    tx.mgmt = NULL;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    tx = ok;
    struct sami_lldp_org o = {.oui = 0x1000000, .subtype = 1};
    tx.org = &o;
    tx.org_count = 1;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    o.oui = 0x0a534d;
    o.info = big;
    o.info_len = 508;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), SAMI_ERR_INVAL);
    o.info_len = 507;
    assert_int_equal(sami_lldp_encode(&tx, out, sizeof out, &len), 0);
    assert_int_equal(len, 19 + 2 + 511);
    struct sami_lldp p;
    assert_int_equal(sami_lldp_decode(out, len, &p, NULL), 0);
    assert_int_equal(p.org_count, 1);
    assert_int_equal(sami_lldp_encode(NULL, out, sizeof out, &len), SAMI_ERR_INVAL);
}

/* ---- truncations ---- */

/* Every prefix of every LLDPDU vector: either a valid LLDPDU (a TLV boundary
 * after TTL: End is optional; or inside the padding) or the exact error. */
static void test_truncations(void **state)
{
    (void)state;
    for (size_t v = 0; v < NVEC; v++) {
        if (!is_pdu_vector(sami_vectors_lldp[v].name))
            continue;
        uint8_t b[600];
        size_t n = hexbytes(sami_vectors_lldp[v].hex, b, sizeof b);
        size_t starts[64], ends[64], k = 0;
        struct sami_lldp_iter it;
        struct sami_lldp_tlv t;
        sami_lldp_iter_init(&it, b, n, NULL);
        while (sami_lldp_iter_next(&it, &t) == 1) {
            starts[k] = t.offset;
            ends[k] = t.offset + 2 + t.len;
            k++;
        }
        size_t ttl_end = ends[2], pdu_end = ends[k - 1];
        for (size_t cut = 0; cut < n; cut++) {
            struct sami_lldp p;
            struct sami_err err;
            int rc = decode_copy(b, cut, &p, &err);
            /* which TLV does the cut fall in? */
            size_t i = 0;
            while (i < k && ends[i] <= cut)
                i++;
            int boundary = (i == k) || starts[i] == cut;
            if (cut >= pdu_end || (boundary && cut >= ttl_end)) {
                assert_int_equal(rc, 0);
                assert_int_equal(p.has_end, cut >= pdu_end);
                continue;
            }
            assert_true(rc < 0);
            assert_int_equal(err.code, rc);
            assert_true(err.offset <= cut);
            if (boundary) {
                assert_int_equal(rc, SAMI_ERR_MISSING);
                assert_int_equal(err.offset, cut);
            } else if (cut == starts[i] + 1) {
                assert_int_equal(rc, SAMI_ERR_TRUNCATED);
                assert_int_equal(err.offset, starts[i]);
            } else {
                assert_int_equal(rc, SAMI_ERR_LENGTH);
                assert_int_equal(err.offset, starts[i]);
                assert_string_equal(err.what, "lldp.tlv.length");
            }
        }
    }
}

/* ---- length lies ---- */

/* The LLDPDU decoder plus the org decoders we know (what a receiver does). */
static int deep_decode(const uint8_t *b, size_t n, struct sami_lldp *p, struct sami_err *err)
{
    int rc = sami_lldp_decode(b, n, p, err);
    if (rc)
        return rc;
    struct sami_lldp_org o;
    for (size_t i = 0; sami_lldp_get_org(p, i, &o) == 0; i++) {
        if (sami_evb_match(&o)) {
            struct sami_evb e;
            if ((rc = sami_evb_from_org(&o, &e, err)) != 0)
                return rc;
        }
        if (sami_samicap_match(&o, SAMI_SAMICAP_OUI_DEFAULT)) {
            struct sami_samicap c;
            if ((rc = sami_samicap_from_org(&o, SAMI_SAMICAP_OUI_DEFAULT, &c, err)) != 0)
                return rc;
        }
    }
    return 0;
}

struct lie {
    const char *vector;
    int tlv;   /* index of the TLV whose length is changed */
    int delta; /* +1 / -1 (mod 512) */
    int code;  /* 0: not detectable, see below */
    size_t offset;
    int tlv_type;
};

/* Where a shifted TLV boundary lands is content-dependent, so each case is
 * listed with its own expected report. Two lies in the lldpd vector cannot be
 * detected by 802.1AB rules: the shifted bytes read as a reserved-type TLV
 * (which 802.1AB accepts) and then as End; they show up as unknown_count. */
static const struct lie lies[] = {
    {"lldp-lldpad-station", 0, -1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpad-station", 0, +1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpad-station", 1, -1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpad-station", 1, +1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpad-station", 2, -1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpad-station", 2, +1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpad-station", 3, -1, SAMI_ERR_LENGTH, 22, 127}, /* EVB length 8 */
    {"lldp-lldpad-station", 3, +1, SAMI_ERR_LENGTH, 22, 127}, /* EVB length 10 */
    {"lldp-lldpad-station", 4, -1, SAMI_ERR_LENGTH, 33, 0},   /* End length 511 */
    {"lldp-lldpad-station", 4, +1, SAMI_ERR_LENGTH, 33, 0},   /* End length 1 */
    {"lldp-lldpad-bridge", 0, -1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpad-bridge", 0, +1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpad-bridge", 1, -1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpad-bridge", 1, +1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpad-bridge", 2, -1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpad-bridge", 2, +1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpad-bridge", 3, -1, SAMI_ERR_LENGTH, 22, 127},
    {"lldp-lldpad-bridge", 3, +1, SAMI_ERR_LENGTH, 22, 127},
    {"lldp-lldpad-bridge", 4, -1, SAMI_ERR_LENGTH, 33, 0},
    {"lldp-lldpad-bridge", 4, +1, SAMI_ERR_LENGTH, 33, 0},
    {"lldp-lldpd-hypervisor", 0, -1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpd-hypervisor", 0, +1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-lldpd-hypervisor", 1, -1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpd-hypervisor", 1, +1, SAMI_ERR_LENGTH, 9, 2},
    {"lldp-lldpd-hypervisor", 2, -1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpd-hypervisor", 2, +1, SAMI_ERR_LENGTH, 18, 3},
    {"lldp-lldpd-hypervisor", 3, -1, SAMI_ERR_LENGTH, 31, 24},    /* lands in "1" + 0x0c */
    {"lldp-lldpd-hypervisor", 3, +1, SAMI_ERR_TRUNCATED, 150, -1}, /* skips to 1 octet left */
    {"lldp-lldpd-hypervisor", 4, -1, 0, 0, 0},                     /* undetectable */
    {"lldp-lldpd-hypervisor", 4, +1, SAMI_ERR_LENGTH, 55, 2},
    {"lldp-lldpd-hypervisor", 5, -1, SAMI_ERR_LENGTH, 54, 7},
    {"lldp-lldpd-hypervisor", 5, +1, SAMI_ERR_LENGTH, 54, 7},
    {"lldp-lldpd-hypervisor", 6, -1, SAMI_ERR_LENGTH, 62, 8},  /* addr string no longer fits */
    {"lldp-lldpd-hypervisor", 6, +1, SAMI_ERR_TRAILING, 74, 8}, /* one octet after the OID */
    {"lldp-lldpd-hypervisor", 7, -1, SAMI_ERR_LENGTH, 76, 8},
    {"lldp-lldpd-hypervisor", 7, +1, SAMI_ERR_TRAILING, 100, 8},
    {"lldp-lldpd-hypervisor", 8, -1, SAMI_ERR_LENGTH, 104, 24},
    {"lldp-lldpd-hypervisor", 8, +1, SAMI_ERR_LENGTH, 106, 4},
    {"lldp-lldpd-hypervisor", 9, -1, SAMI_ERR_LENGTH, 115, 0},
    {"lldp-lldpd-hypervisor", 9, +1, SAMI_ERR_LENGTH, 117, 4},
    {"lldp-lldpd-hypervisor", 10, -1, SAMI_ERR_LENGTH, 126, 27},
    {"lldp-lldpd-hypervisor", 10, +1, 0, 0, 0}, /* undetectable */
    {"lldp-lldpd-hypervisor", 11, -1, SAMI_ERR_LENGTH, 127, 127}, /* samicap length 19 */
    {"lldp-lldpd-hypervisor", 11, +1, SAMI_ERR_TRUNCATED, 150, -1},
    {"lldp-lldpd-hypervisor", 12, -1, SAMI_ERR_LENGTH, 149, 0},
    {"lldp-lldpd-hypervisor", 12, +1, SAMI_ERR_LENGTH, 149, 0},
    {"lldp-sami-bridge", 0, -1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-sami-bridge", 0, +1, SAMI_ERR_LENGTH, 0, 1},
    {"lldp-sami-bridge", 1, -1, SAMI_ERR_LENGTH, 15, 24},
    {"lldp-sami-bridge", 1, +1, SAMI_ERR_LENGTH, 17, 1}, /* reads "1 06" as a chassis id */
    {"lldp-sami-bridge", 2, -1, SAMI_ERR_LENGTH, 16, 3},
    {"lldp-sami-bridge", 2, +1, SAMI_ERR_LENGTH, 16, 3},
    {"lldp-sami-bridge", 3, -1, SAMI_ERR_LENGTH, 29, 24},
    {"lldp-sami-bridge", 3, +1, SAMI_ERR_LENGTH, 31, 4},
    {"lldp-sami-bridge", 4, -1, SAMI_ERR_LENGTH, 40, 10},
    {"lldp-sami-bridge", 4, +1, SAMI_ERR_LENGTH, 54, 11},
    {"lldp-sami-bridge", 5, -1, SAMI_ERR_LENGTH, 66, 0},
    {"lldp-sami-bridge", 5, +1, SAMI_ERR_TRUNCATED, 68, -1},
    {"lldp-sami-bridge", 6, -1, SAMI_ERR_LENGTH, 67, 0},
    {"lldp-sami-bridge", 6, +1, SAMI_ERR_LENGTH, 67, 0},
};

static void test_length_lies(void **state)
{
    (void)state;
    size_t covered = 0;
    for (size_t v = 0; v < NVEC; v++) {
        if (!is_pdu_vector(sami_vectors_lldp[v].name))
            continue;
        uint8_t b[600];
        size_t n = hexbytes(sami_vectors_lldp[v].hex, b, sizeof b);
        size_t starts[64], k = 0;
        struct sami_lldp_iter it;
        struct sami_lldp_tlv t;
        sami_lldp_iter_init(&it, b, n, NULL);
        while (sami_lldp_iter_next(&it, &t) == 1)
            starts[k++] = t.offset;
        for (size_t i = 0; i < k; i++) {
            for (int d = -1; d <= 1; d += 2) {
                const struct lie *l = NULL;
                for (size_t j = 0; j < sizeof lies / sizeof lies[0]; j++)
                    if (strcmp(lies[j].vector, sami_vectors_lldp[v].name) == 0 &&
                        lies[j].tlv == (int)i && lies[j].delta == d)
                        l = &lies[j];
                assert_non_null(l);
                covered++;
                uint8_t *c = malloc(n);
                memcpy(c, b, n);
                unsigned h = (unsigned)c[starts[i]] << 8 | c[starts[i] + 1];
                unsigned len = ((h & 0x1ffu) + (unsigned)(d + 512)) & 0x1ffu;
                h = (h & 0xfe00u) | len;
                c[starts[i]] = (uint8_t)(h >> 8);
                c[starts[i] + 1] = (uint8_t)h;
                struct sami_lldp p;
                struct sami_err err;
                int rc = deep_decode(c, n, &p, &err);
                free(c);
                if (l->code == 0) {
                    assert_int_equal(rc, 0);
                    assert_int_equal(p.unknown_count, 1);
                    continue;
                }
                assert_int_equal(rc, l->code);
                assert_int_equal(err.code, l->code);
                assert_int_equal(err.offset, l->offset);
                assert_int_equal(err.tlv_type, l->tlv_type);
                assert_true(err.offset <= n);
            }
        }
    }
    assert_int_equal(covered, sizeof lies / sizeof lies[0]);
}

/* ---- mandatory TLVs, order, duplicates, per-type lengths ---- */

#define CH "02 07 04 02 00 00 00 00 01 "     /* 9 octets */
#define PT "04 05 05 73 77 70 31 "           /* 7 */
#define TT "06 02 00 78 "                    /* 4 */
#define SN "0a 03 61 62 63 "                 /* 5: system name "abc" */
#define ND "00 00 "

static void expect_err(const char *hex, int code, size_t offset, int tlv_type, const char *what)
{
    uint8_t b[700];
    size_t n = hexbytes(hex, b, sizeof b);
    struct sami_lldp p;
    struct sami_err err;
    int rc = decode_copy(b, n, &p, &err);
    if (rc != code || err.code != code || err.offset != offset || err.tlv_type != tlv_type ||
        (what && (!err.what || strcmp(err.what, what) != 0)))
        fail_msg("[%s]: got %d at %zu (TLV %d, %s)", hex, rc, err.offset, err.tlv_type,
                 err.what ? err.what : "-");
}

static void test_missing_and_order(void **state)
{
    (void)state;
    expect_err("", SAMI_ERR_MISSING, 0, -1, "lldp.chassis_id");
    expect_err(ND, SAMI_ERR_MISSING, 0, 0, "lldp.chassis_id");
    expect_err(CH, SAMI_ERR_MISSING, 9, -1, "lldp.port_id");
    expect_err(CH ND, SAMI_ERR_MISSING, 9, 0, "lldp.port_id");
    expect_err(CH PT, SAMI_ERR_MISSING, 16, -1, "lldp.ttl");
    expect_err(CH PT ND, SAMI_ERR_MISSING, 16, 0, "lldp.ttl");
    expect_err(PT CH TT ND, SAMI_ERR_ORDER, 0, 2, "lldp.chassis_id");
    expect_err(TT CH PT ND, SAMI_ERR_ORDER, 0, 3, "lldp.chassis_id");
    expect_err(CH TT PT ND, SAMI_ERR_ORDER, 9, 3, "lldp.port_id");
    expect_err(CH SN PT TT ND, SAMI_ERR_ORDER, 9, 5, "lldp.port_id");
    expect_err(CH PT SN TT ND, SAMI_ERR_ORDER, 16, 5, "lldp.ttl");
    expect_err(SN CH PT TT ND, SAMI_ERR_ORDER, 0, 5, "lldp.chassis_id");
    expect_err(SN PT TT ND, SAMI_ERR_MISSING, 0, 5, "lldp.chassis_id");
    expect_err(CH SN TT ND, SAMI_ERR_MISSING, 9, 5, "lldp.port_id");
    expect_err(CH PT SN ND, SAMI_ERR_MISSING, 16, 5, "lldp.ttl");
}

static void test_duplicates(void **state)
{
    (void)state;
    expect_err(CH CH PT TT ND, SAMI_ERR_DUPLICATE, 9, 1, "lldp.chassis_id");
    expect_err(CH PT PT TT ND, SAMI_ERR_DUPLICATE, 16, 2, "lldp.port_id");
    expect_err(CH PT TT CH ND, SAMI_ERR_DUPLICATE, 20, 1, "lldp.chassis_id");
    expect_err(CH PT TT SN PT ND, SAMI_ERR_DUPLICATE, 25, 2, "lldp.port_id");
    expect_err(CH PT TT TT ND, SAMI_ERR_DUPLICATE, 20, 3, "lldp.ttl");
    expect_err(CH PT TT SN SN ND, SAMI_ERR_DUPLICATE, 25, 5, NULL);
    expect_err(CH PT TT "08 01 61 " "08 01 62 " ND, SAMI_ERR_DUPLICATE, 23, 4, NULL);
    expect_err(CH PT TT "0c 00 " "0c 00 " ND, SAMI_ERR_DUPLICATE, 22, 6, NULL);
    expect_err(CH PT TT "0e 04 00 04 00 04 " "0e 04 00 04 00 04 " ND, SAMI_ERR_DUPLICATE, 26,
               7, NULL);

    /* repeatable: management addresses, org TLVs, reserved types */
    uint8_t b[128];
    size_t n = hexbytes(CH PT TT "10 09 02 01 0a 02 00 00 00 00 00 "
                                 "10 09 02 01 0b 02 00 00 00 00 00 "
                                 "fe 04 00 80 c2 01 fe 04 00 80 c2 01 "
                                 "12 01 ff 12 00 " ND,
                        b, sizeof b);
    struct sami_lldp p;
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.mgmt_count, 2);
    assert_int_equal(p.org_count, 2);
    assert_int_equal(p.unknown_count, 2);
    struct sami_lldp_mgmt m;
    assert_int_equal(sami_lldp_get_mgmt(&p, 1, &m), 0);
    assert_view(m.addr, m.addr_len, "0b");
    uint8_t out[128];
    size_t len;
    assert_int_equal(sami_lldp_reencode(&p, out, sizeof out, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, b, n);
}

static void test_tlv_lengths(void **state)
{
    (void)state;
    /* End must have length 0 */
    expect_err(CH PT TT "00 01 00 ", SAMI_ERR_LENGTH, 20, 0, "lldp.end.length");
    /* chassis / port id 2..256; subtype 1..7; MAC 6; IPv4/IPv6 network address 5/17 */
    expect_err("02 01 04 " PT TT ND, SAMI_ERR_LENGTH, 0, 1, "lldp.chassis_id.length");
    expect_err("02 00 " PT TT ND, SAMI_ERR_LENGTH, 0, 1, "lldp.chassis_id.length");
    expect_err("02 06 04 02 00 00 00 00 " PT TT ND, SAMI_ERR_LENGTH, 0, 1,
               "lldp.chassis_id.length");
    expect_err("02 02 00 61 " PT TT ND, SAMI_ERR_VALUE, 2, 1, "lldp.chassis_id.subtype");
    expect_err("02 02 08 61 " PT TT ND, SAMI_ERR_VALUE, 2, 1, "lldp.chassis_id.subtype");
    expect_err("02 05 05 01 c0 00 02 " PT TT ND, SAMI_ERR_LENGTH, 0, 1, "lldp.chassis_id.length");
    expect_err(CH "04 08 03 02 00 00 00 00 01 ff " TT ND, SAMI_ERR_LENGTH, 9, 2,
               "lldp.port_id.length");
    expect_err(CH "04 01 05 " TT ND, SAMI_ERR_LENGTH, 9, 2, "lldp.port_id.length");
    expect_err(CH "04 02 09 61 " TT ND, SAMI_ERR_VALUE, 11, 2, "lldp.port_id.subtype");
    /* TTL exactly 2 */
    expect_err(CH PT "06 01 00 " ND, SAMI_ERR_LENGTH, 16, 3, "lldp.ttl.length");
    expect_err(CH PT "06 03 00 78 00 " ND, SAMI_ERR_LENGTH, 16, 3, "lldp.ttl.length");
    /* system capabilities exactly 4 */
    expect_err(CH PT TT "0e 03 00 04 00 " ND, SAMI_ERR_LENGTH, 20, 7, "lldp.syscap.length");
    /* management address 9..167, inner lengths */
    expect_err(CH PT TT "10 08 02 01 0a 02 00 00 00 00 " ND, SAMI_ERR_LENGTH, 20, 8,
               "lldp.mgmt.length");
    expect_err(CH PT TT "10 09 01 01 0a 02 00 00 00 00 00 " ND, SAMI_ERR_LENGTH, 22, 8,
               "lldp.mgmt.addr_len");
    expect_err(CH PT TT "10 09 03 01 0a 02 00 00 00 00 00 " ND, SAMI_ERR_LENGTH, 22, 8,
               "lldp.mgmt.addr_len");
    expect_err(CH PT TT "10 0a 02 01 0a 02 00 00 00 00 02 2b " ND, SAMI_ERR_LENGTH, 30, 8,
               "lldp.mgmt.oid_len");
    expect_err(CH PT TT "10 0a 02 01 0a 02 00 00 00 00 00 2b " ND, SAMI_ERR_TRAILING, 31, 8,
               "lldp.mgmt.trailing");
    /* org: at least OUI + subtype */
    expect_err(CH PT TT "fe 03 00 80 c2 " ND, SAMI_ERR_LENGTH, 20, 127, "lldp.org.length");
    /* a header cut in half, a length past the end */
    expect_err(CH PT TT "0a", SAMI_ERR_TRUNCATED, 20, -1, "lldp.tlv.header");
    expect_err(CH PT TT "0a 05 61 62", SAMI_ERR_LENGTH, 20, 5, "lldp.tlv.length");

    /* lengths at their limits decode */
    uint8_t b[700];
    struct sami_lldp p;
    struct sami_err err;
    size_t n = hexbytes(CH PT TT "08 00 0a 00 0c 00 " ND, b, sizeof b);
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.sys_name.len, 0); /* zero-length strings are allowed */
    assert_int_equal(p.present, SAMI_LLDP_HAS_PORT_DESC | SAMI_LLDP_HAS_SYSTEM_NAME |
                                    SAMI_LLDP_HAS_SYSTEM_DESC);
    /* chassis id of 255 octets (TLV length 256) */
    b[0] = 0x03; /* type 1, length 0x100 */
    b[1] = 0x00;
    b[2] = SAMI_LLDP_CHASSIS_LOCAL;
    memset(b + 3, 'A', 255);
    n = 258 + hexbytes(PT TT ND, b + 258, sizeof b - 258);
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.chassis.len, 255);
    b[1] = 0x01; /* length 257: one octet too many for a chassis id */
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "lldp.chassis_id.length");
    /* system description of 256 octets */
    n = hexbytes(CH PT TT, b, sizeof b);
    b[n] = 0x0d; /* type 6, length 0x100 */
    b[n + 1] = 0x00;
    memset(b + n + 2, 'd', 256);
    size_t at = n;
    n += 258 + hexbytes(ND, b + n + 258, sizeof b - n - 258);
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, at);
    assert_string_equal(err.what, "lldp.string.length");
    b[at] = 0x0c; /* 255 is fine, the last 'd' then reads as a header... */
    b[at + 1] = 0xff;
    b[at + 2 + 255] = 0x00; /* ...so make it End's first octet */
    assert_int_equal(sami_lldp_decode(b, n - 1, &p, &err), 0);
    assert_int_equal(p.sys_desc.len, 255);
}

static void test_end_padding_ttl0(void **state)
{
    (void)state;
    uint8_t b[64];
    struct sami_lldp p;
    /* no End: accepted (802.1AB-2009 made it optional) */
    size_t n = hexbytes(CH PT TT SN, b, sizeof b);
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.has_end, 0);
    assert_int_equal(p.pdu_len, n);
    /* nonzero octets after End are ignored but reported */
    n = hexbytes(CH PT TT ND "00 07 00", b, sizeof b);
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.has_end, 1);
    assert_int_equal(p.pad_len, 3);
    assert_int_equal(p.pad_nonzero, 1);
    assert_int_equal(p.tlv_count, 4);
    /* TTL 0: shutdown LLDPDU (lldpad sends one, frame 2 of the capture) */
    n = hexbytes(CH PT "06 02 00 00 " ND, b, sizeof b);
    assert_int_equal(sami_lldp_decode(b, n, &p, NULL), 0);
    assert_int_equal(p.ttl, 0);
    /* NULL buffer */
    struct sami_err err;
    assert_int_equal(sami_lldp_decode(NULL, 5, &p, &err), SAMI_ERR_MISSING);
    assert_int_equal(err.offset, 0);
}

/* ---- iterator ---- */

static void test_iterator(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = vec("lldp-lldpd-hypervisor", b, sizeof b);
    static const uint8_t types[] = {1, 2, 3, 5, 6, 7, 8, 8, 4, 127, 127, 127, 0};
    static const size_t offs[] = {0, 9, 18, 22, 32, 54, 60, 74, 100, 105, 116, 127, 149};
    struct sami_lldp_iter it;
    struct sami_lldp_tlv t;
    struct sami_err err;
    sami_lldp_iter_init(&it, b, n, &err);
    for (size_t i = 0; i < sizeof types; i++) {
        assert_int_equal(sami_lldp_iter_next(&it, &t), 1);
        assert_int_equal(t.type, types[i]);
        assert_int_equal(t.offset, offs[i]);
    }
    assert_int_equal(sami_lldp_iter_offset(&it), 151);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 0);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 0);

    /* typed views from the iterator */
    sami_lldp_iter_init(&it, b, n, &err);
    while (sami_lldp_iter_next(&it, &t) == 1 && t.type != SAMI_LLDP_TLV_SYSTEM_CAP) {
    }
    assert_int_equal(t.u.syscap.caps, 0x009c);
    assert_int_equal(t.u.syscap.enabled, 0x0080);
    assert_int_equal(t.len, 4);

    /* errors are sticky; the iterator stops at End even with bytes after */
    n = hexbytes(CH "02 01", b, sizeof b);
    sami_lldp_iter_init(&it, b, n, &err);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 1);
    assert_int_equal(sami_lldp_iter_next(&it, &t), SAMI_ERR_LENGTH);
    assert_int_equal(sami_lldp_iter_next(&it, &t), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 9);
    n = hexbytes(ND "ff ff", b, sizeof b);
    sami_lldp_iter_init(&it, b, n, NULL);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 1);
    assert_int_equal(t.type, SAMI_LLDP_TLV_END);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 0);
    assert_int_equal(sami_lldp_iter_offset(&it), 2);

    /* a reserved type is yielded opaque and re-encodes from its view */
    n = hexbytes("7e 02 aa bb", b, sizeof b);
    sami_lldp_iter_init(&it, b, n, NULL);
    assert_int_equal(sami_lldp_iter_next(&it, &t), 1);
    assert_int_equal(t.type, 63);
    assert_int_equal(t.len, 2);
    assert_int_equal(sami_lldp_tlv_check(&t), 0);
    uint8_t out[8];
    struct sami_wr w;
    size_t len;
    sami_wr_init(&w, out, sizeof out);
    sami_lldp_write_tlv(&w, &t);
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, 4);
    assert_memory_equal(out, b, 4);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sami_lldp_tlv_name(0), "End of LLDPDU");
    assert_string_equal(sami_lldp_tlv_name(1), "Chassis ID");
    assert_string_equal(sami_lldp_tlv_name(8), "Management Address");
    assert_string_equal(sami_lldp_tlv_name(9), "reserved");
    assert_string_equal(sami_lldp_tlv_name(127), "Organizationally Specific");
    assert_string_equal(sami_lldp_tlv_name(1000), "reserved");
    assert_string_equal(sami_lldp_chassis_subtype_name(4), "MAC address");
    assert_string_equal(sami_lldp_chassis_subtype_name(0), "reserved");
    assert_string_equal(sami_lldp_chassis_subtype_name(8), "reserved");
    assert_string_equal(sami_lldp_port_subtype_name(3), "MAC address");
    assert_string_equal(sami_lldp_port_subtype_name(5), "interface name");
    assert_string_equal(sami_lldp_syscap_name(2), "bridge");
    assert_string_equal(sami_lldp_syscap_name(7), "station only");
    assert_string_equal(sami_lldp_syscap_name(15), "reserved");
    assert_string_equal(sami_lldp_addr_family_name(2), "IPv6");
    assert_string_equal(sami_lldp_if_subtype_name(2), "ifIndex");
    assert_string_equal(sami_lldp_oui_name(0x0080c2), "IEEE 802.1");
    assert_string_equal(sami_lldp_oui_name(0x123456), "unknown");
}

/* docs/PROTOCOL.md carries the same vectors, in the same order; each
 * decodes with its decoder and re-encodes to its bytes. */
static void test_doc_vectors_match(void **state)
{
    (void)state;
    static struct sami_doc_vector dv[32];
    int n = sami_doc_load_prefix(SAMI_SOURCE_DIR "/docs/PROTOCOL.md", "lldp-", NULL, dv, 32);
    assert_int_equal(n, (int)NVEC);
    for (int i = 0; i < n; i++) {
        uint8_t b[600], out[600];
        size_t len = hexbytes(sami_vectors_lldp[i].hex, b, sizeof b), olen = 0;
        assert_string_equal(dv[i].name, sami_vectors_lldp[i].name);
        assert_int_equal(dv[i].declared_len, len);
        assert_int_equal(dv[i].len, len);
        assert_memory_equal(dv[i].bytes, b, len);
        if (strncmp(dv[i].name, "lldp-evb-", 9) == 0) {
            struct sami_evb e;
            assert_int_equal(sami_evb_decode(dv[i].bytes, dv[i].len, &e, NULL), 0);
            assert_int_equal(sami_evb_encode(&e, out, sizeof out, &olen), 0);
        } else if (strncmp(dv[i].name, "lldp-samicap-", 13) == 0) {
            struct sami_samicap c;
            assert_int_equal(sami_samicap_decode(dv[i].bytes, dv[i].len,
                                                 SAMI_SAMICAP_OUI_DEFAULT, &c, NULL),
                             0);
            assert_int_equal(
                sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, out, sizeof out, &olen), 0);
        } else {
            struct sami_lldp p;
            assert_int_equal(deep_decode(dv[i].bytes, dv[i].len, &p, NULL), 0);
            assert_int_equal(sami_lldp_reencode(&p, out, sizeof out, &olen), 0);
        }
        assert_int_equal(olen, len);
        assert_memory_equal(out, b, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lldpad_station),
        cmocka_unit_test(test_lldpad_bridge),
        cmocka_unit_test(test_lldpd_hypervisor),
        cmocka_unit_test(test_sami_bridge),
        cmocka_unit_test(test_reencode_all),
        cmocka_unit_test(test_builder_canonical_vectors),
        cmocka_unit_test(test_builder_sami_bridge_from_parts),
        cmocka_unit_test(test_builder_rejects),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_length_lies),
        cmocka_unit_test(test_missing_and_order),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_tlv_lengths),
        cmocka_unit_test(test_end_padding_ttl0),
        cmocka_unit_test(test_iterator),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_doc_vectors_match),
    };
    return cmocka_run_group_tests_name("lldp", tests, NULL, NULL);
}
