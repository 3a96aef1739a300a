/* ECP header codec: vectors decode to their fields and re-encode to their
 * bytes, every truncation fails cleanly, bad versions/ops are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/ecp.h"
#include "sami/vdp.h"
#include "vectors_ecp.h"

struct ecp_expect {
    const char *name;
    uint8_t op;
    uint16_t subtype;
    uint16_t seq;
    size_t ulpdu_len;
};

static const struct ecp_expect expects[] = {
    {"ecp-request-hdr", SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, 1, 0},
    {"ecp-ack", SAMI_ECP_OP_ACK, SAMI_ECP_SUBTYPE_VDP, 1, 0},
    {"ecp-ack-seq-max", SAMI_ECP_OP_ACK, SAMI_ECP_SUBTYPE_VDP, 0xffff, 0},
    {"ecp-request-pecsp", SAMI_ECP_OP_REQUEST, 2, 5, 2},
    {"ecp-lldpad-assoc-req", SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, 1, 128},
    {"ecp-lldpad-deassoc-rsp", SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, 3, 53},
    {"ecp-request-vdp", SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, 0x2a, 55},
};

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < SAMI_VECTORS_ECP_COUNT; i++) {
        if (strcmp(sami_vectors_ecp[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_ecp[i].hex, buf, cap);
            assert_true(n >= 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static void test_constants(void **state)
{
    (void)state;
    static const uint8_t mac[6] = SAMI_ECP_GROUP_MAC_INIT;
    static const uint8_t want[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};
    assert_memory_equal(mac, want, 6);
    assert_memory_equal(sami_ecp_group_mac, want, 6);
    assert_int_equal(SAMI_ECP_ETHERTYPE, 0x8940);
    assert_int_equal(SAMI_ECP_ACK_FRAME_LEN, SAMI_ECP_ETH_HDR_LEN + SAMI_ECP_HDR_LEN);
    assert_int_equal(SAMI_ECP_ACK_FRAME_LEN, 18);
    assert_int_equal(SAMI_ECP_MIN_FRAME_LEN, 60);
}

static void test_every_vector_has_expectation(void **state)
{
    (void)state;
    assert_int_equal(SAMI_VECTORS_ECP_COUNT, sizeof expects / sizeof expects[0]);
    for (size_t i = 0; i < SAMI_VECTORS_ECP_COUNT; i++)
        assert_string_equal(sami_vectors_ecp[i].name, expects[i].name);
}

static void test_vectors_decode_and_reencode(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_ECP_COUNT; i++) {
        const struct ecp_expect *x = &expects[i];
        uint8_t buf[256], out[256];
        size_t n = load(x->name, buf, sizeof buf);
        struct sami_ecp e;
        struct sami_err err;
        assert_int_equal(sami_ecp_decode(buf, n, &e, &err), 0);
        assert_int_equal(err.code, 0);
        assert_int_equal(e.hdr.version, 1);
        assert_int_equal(e.hdr.op, x->op);
        assert_int_equal(e.hdr.subtype, x->subtype);
        assert_int_equal(e.hdr.seq, x->seq);
        assert_int_equal(e.ulpdu_len, x->ulpdu_len);
        assert_int_equal(e.ulpdu_len, n - SAMI_ECP_HDR_LEN);
        if (e.ulpdu_len)
            assert_ptr_equal(e.ulpdu, buf + SAMI_ECP_HDR_LEN); /* zero-copy */
        else
            assert_null(e.ulpdu);

        /* re-encode from the decoded struct */
        size_t len = 0;
        assert_int_equal(sami_ecp_encode(&e, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);

        /* re-encode from fields typed by hand */
        struct sami_ecp f = {
            .hdr = {.version = SAMI_ECP_VERSION, .op = x->op, .subtype = x->subtype, .seq = x->seq},
            .ulpdu = x->ulpdu_len ? buf + SAMI_ECP_HDR_LEN : NULL,
            .ulpdu_len = x->ulpdu_len,
        };
        memset(out, 0xee, sizeof out);
        assert_int_equal(sami_ecp_encode(&f, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);

        /* header only */
        assert_int_equal(sami_ecp_encode_hdr(&f.hdr, out, sizeof out, &len), 0);
        assert_int_equal(len, SAMI_ECP_HDR_LEN);
        assert_memory_equal(out, buf, SAMI_ECP_HDR_LEN);
    }
}

/* Every prefix shorter than the header fails with TRUNCATED at an offset
 * inside the prefix; longer prefixes are valid (the ULPDU is opaque here). */
static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_ECP_COUNT; i++) {
        uint8_t full[256];
        size_t n = load(sami_vectors_ecp[i].name, full, sizeof full);
        for (size_t cut = 0; cut < n; cut++) {
            /* exactly-sized heap copy so ASan sees any over-read */
            uint8_t *p = malloc(cut ? cut : 1);
            assert_non_null(p);
            memcpy(p, full, cut);
            struct sami_ecp e;
            struct sami_err err;
            int rc = sami_ecp_decode(p, cut, &e, &err);
            if (cut < SAMI_ECP_HDR_LEN) {
                assert_int_equal(rc, SAMI_ERR_TRUNCATED);
                assert_int_equal(err.code, SAMI_ERR_TRUNCATED);
                assert_true(err.offset <= cut);
                assert_non_null(err.what);
            } else {
                assert_int_equal(rc, 0);
                assert_int_equal(e.ulpdu_len, cut - SAMI_ECP_HDR_LEN);
            }
            free(p);
        }
    }
}

static void test_bad_version_and_op(void **state)
{
    (void)state;
    struct sami_ecp e;
    struct sami_err err;
    const uint8_t v0[] = {0x00, 0x01, 0x00, 0x01};
    const uint8_t v2[] = {0x20, 0x01, 0x00, 0x01};
    const uint8_t vf[] = {0xf4, 0x01, 0x00, 0x01};
    const uint8_t op2[] = {0x18, 0x01, 0x00, 0x01};
    const uint8_t op3[] = {0x1c, 0x01, 0x00, 0x01};
    assert_int_equal(sami_ecp_decode(v0, 4, &e, &err), SAMI_ERR_VERSION);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "ecp.version");
    assert_int_equal(sami_ecp_decode(v2, 4, &e, &err), SAMI_ERR_VERSION);
    assert_int_equal(sami_ecp_decode(vf, 4, &e, &err), SAMI_ERR_VERSION);
    assert_int_equal(sami_ecp_decode(op2, 4, &e, &err), SAMI_ERR_VALUE);
    assert_string_equal(err.what, "ecp.op");
    assert_int_equal(err.offset, 0);
    assert_int_equal(sami_ecp_decode(op3, 4, &e, &err), SAMI_ERR_VALUE);
}

static void test_subtype_passthrough(void **state)
{
    (void)state;
    /* every subtype value, incl. the 10-bit maximum, comes back as-is */
    const uint16_t subs[] = {0, 1, 2, 0x155, 0x3ff};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        struct sami_ecp_hdr h = {.version = 1, .op = SAMI_ECP_OP_ACK, .subtype = subs[i], .seq = 7};
        uint8_t b[4];
        size_t len;
        assert_int_equal(sami_ecp_encode_hdr(&h, b, sizeof b, &len), 0);
        struct sami_ecp e;
        struct sami_err err;
        assert_int_equal(sami_ecp_decode(b, len, &e, &err), 0);
        assert_int_equal(e.hdr.subtype, subs[i]);
        assert_int_equal(e.hdr.op, SAMI_ECP_OP_ACK);
        assert_int_equal(e.hdr.seq, 7);
    }
}

static void test_encode_errors_and_nobufs(void **state)
{
    (void)state;
    uint8_t b[8];
    size_t len = 0;
    struct sami_ecp e = {.hdr = {.version = 1, .op = 0, .subtype = 1, .seq = 9}};
    struct sami_ecp bad = e;
    bad.hdr.version = 16;
    assert_int_equal(sami_ecp_encode(&bad, b, sizeof b, &len), SAMI_ERR_VALUE);
    bad = e;
    bad.hdr.op = 2;
    assert_int_equal(sami_ecp_encode(&bad, b, sizeof b, &len), SAMI_ERR_VALUE);
    bad = e;
    bad.hdr.subtype = 0x400;
    assert_int_equal(sami_ecp_encode(&bad, b, sizeof b, &len), SAMI_ERR_VALUE);
    assert_int_equal(sami_ecp_encode_hdr(&bad.hdr, b, sizeof b, &len), SAMI_ERR_VALUE);
    bad = e;
    bad.ulpdu_len = 3;
    assert_int_equal(sami_ecp_encode(&bad, b, sizeof b, &len), SAMI_ERR_INVAL);

    /* length query and exact / short buffers */
    const uint8_t payload[] = {0, 0, 0, 0, 0};
    e.ulpdu = payload;
    e.ulpdu_len = sizeof payload;
    assert_int_equal(sami_ecp_encode(&e, NULL, 0, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 9);
    assert_int_equal(sami_ecp_encode(&e, b, 8, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 9);
    uint8_t b9[9];
    assert_int_equal(sami_ecp_encode(&e, b9, sizeof b9, &len), 0);
    assert_int_equal(len, 9);
    assert_int_equal(sami_ecp_encode_hdr(&e.hdr, b, 3, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 4);
}

/* The two layers together: an lldpad ECPDU's ULPDU view decodes as VDP, and
 * a reader-based iterator reports offsets relative to the whole ECPDU. */
static void test_ecp_carries_vdp(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t n = load("ecp-lldpad-assoc-req", buf, sizeof buf);
    struct sami_err err;
    struct sami_rd r;
    struct sami_ecp_hdr h;
    sami_rd_init(&r, buf, n, &err);
    assert_int_equal(sami_ecp_read(&r, &h), 0);
    assert_int_equal(h.subtype, SAMI_ECP_SUBTYPE_VDP);
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    sami_vdp_iter_init_rd(&it, &r);
    assert_int_equal(sami_vdp_next(&it, &t), 1);
    assert_int_equal(t.type, SAMI_VDP_TLV_MGRID);
    assert_int_equal(t.offset, 4);
    assert_int_equal(sami_vdp_next(&it, &t), 1);
    assert_int_equal(t.type, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(t.offset, 22);

    struct sami_ecp e;
    struct sami_vdp v;
    assert_int_equal(sami_ecp_decode(buf, n, &e, &err), 0);
    assert_int_equal(sami_vdp_decode(e.ulpdu, e.ulpdu_len, &v, &err), 0);
    assert_int_equal(v.ntlv, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_every_vector_has_expectation),
        cmocka_unit_test(test_vectors_decode_and_reencode),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_bad_version_and_op),
        cmocka_unit_test(test_subtype_passthrough),
        cmocka_unit_test(test_encode_errors_and_nobufs),
        cmocka_unit_test(test_ecp_carries_vdp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
