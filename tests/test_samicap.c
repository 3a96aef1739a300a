/* sami capability TLV: vectors (alone, inside our LLDPDU, and as sent by
 * lldpd as a custom TLV) decode to their fields and re-encode to their bytes;
 * OUI, version, role, family and length errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/lldp.h"
#include "sami/samicap.h"
#include "vectors_lldp.h"

static size_t vec(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof sami_vectors_lldp / sizeof sami_vectors_lldp[0]; i++) {
        if (strcmp(sami_vectors_lldp[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_lldp[i].hex, buf, cap);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static void test_ipv6_vector(void **state)
{
    (void)state;
    uint8_t b[64], out[64];
    size_t n = vec("lldp-samicap-ipv6", b, sizeof b), len;
    struct sami_samicap c;
    struct sami_err err;
    static const uint8_t addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const uint8_t zero[6] = {0};
    assert_int_equal(n, 38);
    assert_int_equal(sami_samicap_decode(b, n, SAMI_SAMICAP_OUI_DEFAULT, &c, &err), 0);
    assert_int_equal(err.code, 0);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.role, SAMI_SAMICAP_ROLE_BRIDGE);
    assert_int_equal(c.di_types, 0x1fe);
    assert_int_equal(c.bindings, SAMI_SAMICAP_BIND_TCP);
    assert_int_equal(c.tcp_port, 5757);
    assert_int_equal(c.family, SAMI_SAMICAP_AF_IPV6);
    assert_memory_equal(c.addr, addr, 16);
    assert_memory_equal(c.l2_mac, zero, 6);
    assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, out, sizeof out, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, b, n);
    assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, NULL, 0, &len),
                     SAMI_ERR_NOBUFS);
    assert_int_equal(len, n);
    for (size_t cap = 0; cap < n; cap++) {
        uint8_t *small = malloc(cap ? cap : 1);
        assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, small, cap, &len),
                         SAMI_ERR_NOBUFS);
        assert_int_equal(len, n);
        free(small);
    }
}

/* Finds the sami capability TLV of an LLDPDU vector via the decoder. */
static void cap_in_pdu(const char *name, uint8_t *b, size_t cap, struct sami_samicap *c,
                       size_t *tlv_off, size_t *tlv_len)
{
    size_t n = vec(name, b, cap);
    struct sami_lldp p;
    struct sami_lldp_org o;
    struct sami_err err;
    assert_int_equal(sami_lldp_decode(b, n, &p, &err), 0);
    assert_int_equal(sami_lldp_find_org(&p, SAMI_SAMICAP_OUI_DEFAULT, SAMI_SAMICAP_SUBTYPE, &o),
                     0);
    assert_int_equal(sami_samicap_from_org(&o, SAMI_SAMICAP_OUI_DEFAULT, c, &err), 0);
    *tlv_off = o.offset;
    *tlv_len = 2 + 4 + o.info_len;
}

static void test_in_sami_bridge(void **state)
{
    (void)state;
    uint8_t b[128], out[64];
    struct sami_samicap c;
    size_t off, tl, len;
    static const uint8_t mac[6] = {2, 0, 0, 0, 0, 1};
    cap_in_pdu("lldp-sami-bridge", b, sizeof b, &c, &off, &tl);
    assert_int_equal(off, 41);
    assert_int_equal(tl, 26);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.role, SAMI_SAMICAP_ROLE_BRIDGE);
    assert_int_equal(c.di_types, 0x1fe);
    assert_int_equal(c.bindings, SAMI_SAMICAP_BIND_TCP | SAMI_SAMICAP_BIND_L2);
    assert_int_equal(c.tcp_port, 5757);
    assert_int_equal(c.family, SAMI_SAMICAP_AF_IPV4);
    assert_memory_equal(c.addr, "\xc0\x00\x02\x01\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    assert_memory_equal(c.l2_mac, mac, 6);
    assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, out, sizeof out, &len), 0);
    assert_int_equal(len, tl);
    assert_memory_equal(out, b + off, tl);
}

/* Sent by a real lldpd as a custom TLV: a station announcing DI types 1..8
 * and no transfer endpoint. */
static void test_in_lldpd_custom_tlv(void **state)
{
    (void)state;
    uint8_t b[256], out[64];
    struct sami_samicap c;
    size_t off, tl, len;
    static const uint8_t zero[16] = {0};
    cap_in_pdu("lldp-lldpd-hypervisor", b, sizeof b, &c, &off, &tl);
    assert_int_equal(off, 127);
    assert_int_equal(tl, 22);
    assert_int_equal(c.version, 1);
    assert_int_equal(c.role, SAMI_SAMICAP_ROLE_STATION);
    assert_int_equal(c.di_types, 0x1fe);
    assert_int_equal(c.bindings, 0);
    assert_int_equal(c.tcp_port, 0);
    assert_int_equal(c.family, SAMI_SAMICAP_AF_NONE);
    assert_memory_equal(c.addr, zero, 16);
    assert_memory_equal(c.l2_mac, zero, 6);
    assert_int_equal(sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, out, sizeof out, &len), 0);
    assert_int_equal(len, tl);
    assert_memory_equal(out, b + off, tl);
}

static void expect_err(const char *hex, uint32_t oui, int code, size_t offset, int tlv_type,
                       const char *what)
{
    uint8_t b[64];
    long n = sami_test_hex(hex, b, sizeof b);
    assert_true(n >= 0);
    uint8_t *c = malloc(n ? (size_t)n : 1);
    memcpy(c, b, (size_t)n);
    struct sami_samicap cap;
    struct sami_err err;
    int rc = sami_samicap_decode(c, (size_t)n, oui, &cap, &err);
    free(c);
    if (rc != code || err.code != code || err.offset != offset || err.tlv_type != tlv_type ||
        (what && strcmp(err.what, what) != 0))
        fail_msg("[%s]: got %d at %zu (TLV %d, %s)", hex, rc, err.offset, err.tlv_type,
                 err.what ? err.what : "-");
}

#define OUI SAMI_SAMICAP_OUI_DEFAULT
/* IPv4 capability TLV from lldp-sami-bridge, split where the tests edit it */
#define V4_HDR "fe 18 "
#define V4_ID "0a 53 4d 01 "
#define V4_BODY "01 02 00 00 01 fe 03 16 7d 01 c0 00 02 01 02 00 00 00 00 01"

static void test_errors(void **state)
{
    (void)state;
    /* the decoder takes the OUI: another one is SAMI_ERR_OUI */
    expect_err(V4_HDR V4_ID V4_BODY, 0x001122, SAMI_ERR_OUI, 2, 127, "samicap.oui");
    expect_err(V4_HDR "00 80 c2 01 " V4_BODY, OUI, SAMI_ERR_OUI, 2, 127, "samicap.oui");
    expect_err(V4_HDR "0a 53 4d 02 " V4_BODY, OUI, SAMI_ERR_TYPE, 5, 127, "samicap.subtype");
    expect_err("10 18 " V4_ID V4_BODY, OUI, SAMI_ERR_TYPE, 0, 8, "samicap.type");
    /* version */
    expect_err(V4_HDR V4_ID "02 02 00 00 01 fe 03 16 7d 01 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_VERSION, 6, 127, "samicap.version");
    expect_err("fe 05 0a 53 4d 01 00", OUI, SAMI_ERR_VERSION, 6, 127, "samicap.version");
    expect_err("fe 04 0a 53 4d 01", OUI, SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    /* role 1..3 */
    expect_err(V4_HDR V4_ID "01 00 00 00 01 fe 03 16 7d 01 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_VALUE, 7, 127, "samicap.role");
    expect_err(V4_HDR V4_ID "01 04 00 00 01 fe 03 16 7d 01 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_VALUE, 7, 127, "samicap.role");
    /* family 0..2, and the length must match it */
    expect_err(V4_HDR V4_ID "01 02 00 00 01 fe 03 16 7d 03 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_VALUE, 15, 127, "samicap.family");
    expect_err(V4_HDR V4_ID "01 02 00 00 01 fe 03 16 7d 02 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err(V4_HDR V4_ID "01 02 00 00 01 fe 03 16 7d 00 c0 00 02 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err("fe 14 " V4_ID "01 02 00 00 01 fe 03 16 7d 01 02 00 00 00 00 01", OUI,
               SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err("fe 13 " V4_ID "01 02 00 00 01 fe 03 16 7d 00 02 00 00 00 00", OUI,
               SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    /* length lies +1 / -1 on the vector */
    expect_err("fe 19 " V4_ID V4_BODY, OUI, SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err("fe 19 " V4_ID V4_BODY " 00", OUI, SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err("fe 17 " V4_ID V4_BODY, OUI, SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    expect_err("fe 23 0a 53 4d 01 01 02 00 00 01 fe 01 16 7d 02 20 01 0d b8 00 00 00 00 00 00 00 "
               "00 00 00 00 01 00 00 00 00 00 00",
               OUI, SAMI_ERR_LENGTH, 0, 127, "samicap.length");
    /* nothing may follow the TLV */
    expect_err(V4_HDR V4_ID V4_BODY " 00", OUI, SAMI_ERR_TRAILING, 26, -1, "samicap.trailing");
    /* unknown binding bits are kept (a later minor addition), not an error */
    uint8_t b[64];
    size_t n = (size_t)sami_test_hex(V4_HDR V4_ID V4_BODY, b, sizeof b);
    b[12] = 0x83;
    struct sami_samicap c;
    assert_int_equal(sami_samicap_decode(b, n, OUI, &c, NULL), 0);
    assert_int_equal(c.bindings, 0x83);
}

static void test_truncations(void **state)
{
    (void)state;
    static const char *const names[] = {"lldp-samicap-ipv6"};
    uint8_t b[64];
    size_t n = vec(names[0], b, sizeof b);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, b, cut);
        struct sami_samicap cap;
        struct sami_err err;
        int rc = sami_samicap_decode(c, cut, OUI, &cap, &err);
        free(c);
        assert_int_equal(rc, cut < 2 ? SAMI_ERR_TRUNCATED : SAMI_ERR_LENGTH);
        assert_int_equal(err.offset, 0);
        assert_true(err.offset <= cut);
    }
    /* and inside the LLDPDU: every truncation of the TLV's window via from_org */
    uint8_t p[128];
    size_t pn = vec("lldp-sami-bridge", p, sizeof p);
    struct sami_lldp pdu;
    struct sami_lldp_org o;
    assert_int_equal(sami_lldp_decode(p, pn, &pdu, NULL), 0);
    assert_int_equal(sami_lldp_get_org(&pdu, 1, &o), 0);
    size_t full = o.info_len;
    for (size_t cut = 0; cut < full; cut++) {
        struct sami_samicap cap;
        struct sami_err err;
        o.info_len = cut;
        assert_int_equal(sami_samicap_from_org(&o, OUI, &cap, &err), SAMI_ERR_LENGTH);
        assert_int_equal(err.offset, 41);
    }
}

static void test_custom_oui_and_encode_checks(void **state)
{
    (void)state;
    uint8_t out[64];
    size_t len = 5;
    struct sami_samicap c = {.version = 1, .role = SAMI_SAMICAP_ROLE_BOTH, .di_types = 0x2,
                             .bindings = SAMI_SAMICAP_BIND_L2,
                             .l2_mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
    assert_int_equal(sami_samicap_encode(&c, 0x001b21, out, sizeof out, &len), 0);
    assert_int_equal(len, 22);
    assert_memory_equal(out, "\xfe\x14\x00\x1b\x21\x01\x01\x03", 8);
    struct sami_samicap d;
    assert_int_equal(sami_samicap_decode(out, len, 0x001b21, &d, NULL), 0);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.role, SAMI_SAMICAP_ROLE_BOTH);
    assert_int_equal(d.di_types, 2);
    assert_int_equal(d.bindings, SAMI_SAMICAP_BIND_L2);
    assert_int_equal(d.tcp_port, 0);
    assert_int_equal(d.family, 0);
    assert_memory_equal(d.l2_mac, c.l2_mac, 6);
    assert_int_equal(sami_samicap_decode(out, len, OUI, &d, NULL), SAMI_ERR_OUI);

    struct sami_samicap e = c;
    e.version = 2;
    assert_int_equal(sami_samicap_encode(&e, OUI, out, sizeof out, &len), SAMI_ERR_VERSION);
    assert_int_equal(len, 0);
    e = c;
    e.role = 0;
    assert_int_equal(sami_samicap_encode(&e, OUI, out, sizeof out, &len), SAMI_ERR_VALUE);
    e.role = 4;
    assert_int_equal(sami_samicap_check(&e, OUI), SAMI_ERR_VALUE);
    e = c;
    e.family = 3;
    assert_int_equal(sami_samicap_encode(&e, OUI, out, sizeof out, &len), SAMI_ERR_VALUE);
    assert_int_equal(sami_samicap_check(&c, 0x1000000), SAMI_ERR_INVAL);
    assert_int_equal(sami_samicap_check(NULL, OUI), SAMI_ERR_INVAL);
    assert_int_equal(sami_samicap_addr_len(0), 0);
    assert_int_equal(sami_samicap_addr_len(1), 4);
    assert_int_equal(sami_samicap_addr_len(2), 16);
    assert_int_equal(sami_samicap_addr_len(3), -1);
    struct sami_lldp_org o = {0};
    assert_int_equal(sami_samicap_from_org(&o, OUI, &d, NULL), SAMI_ERR_INVAL);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sami_samicap_role_name(1), "station");
    assert_string_equal(sami_samicap_role_name(2), "bridge");
    assert_string_equal(sami_samicap_role_name(3), "both");
    assert_string_equal(sami_samicap_role_name(0), "unknown");
    assert_string_equal(sami_samicap_family_name(0), "none");
    assert_string_equal(sami_samicap_family_name(1), "IPv4");
    assert_string_equal(sami_samicap_family_name(2), "IPv6");
    assert_string_equal(sami_samicap_family_name(7), "unknown");
    assert_string_equal(sami_samicap_binding_name(0), "TCP");
    assert_string_equal(sami_samicap_binding_name(1), "L2");
    assert_string_equal(sami_samicap_binding_name(5), "reserved");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_vector),
        cmocka_unit_test(test_in_sami_bridge),
        cmocka_unit_test(test_in_lldpd_custom_tlv),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_custom_oui_and_encode_checks),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("samicap", tests, NULL, NULL);
}
