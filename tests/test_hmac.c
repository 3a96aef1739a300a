/* HMAC provider interface: RFC 4231 test cases 1-7 through every built
 * provider (whole and split input), truncated verification, constant-time
 * compare, provider failures mapped to SAMI_ERR_CRYPTO with no output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sami/hmac.h"
#include "vectors.h"

struct rfc4231_case {
    int no;
    const char *key_hex; /* NULL: key_fill repeated key_len times */
    uint8_t key_fill;
    size_t key_len;
    const char *data; /* text, or NULL: data_fill repeated data_len times */
    uint8_t data_fill;
    size_t data_len;
    const char *mac_hex; /* expected (truncated for case 5) */
};

static const struct rfc4231_case rfc4231[] = {
    {1, NULL, 0x0b, 20, "Hi There", 0, 0,
     "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
    {2, "4a656665", 0, 0, "what do ya want for nothing?", 0, 0,
     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    {3, NULL, 0xaa, 20, NULL, 0xdd, 50,
     "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
    {4, "0102030405060708090a0b0c0d0e0f10111213141516171819", 0, 0, NULL, 0xcd, 50,
     "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
    {5, NULL, 0x0c, 20, "Test With Truncation", 0, 0, "a3b6167473100ee06e0c796c2955552b"},
    {6, NULL, 0xaa, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 0, 0,
     "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
    {7, NULL, 0xaa, 131,
     "This is a test using a larger than block-size key and a larger than block-size data. "
     "The key needs to be hashed before being used by the HMAC algorithm.",
     0, 0, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
};

struct prepared {
    uint8_t key[200];
    size_t key_len;
    uint8_t data[200];
    size_t data_len;
    uint8_t mac[32];
    size_t mac_len;
};

static void prepare(const struct rfc4231_case *c, struct prepared *p)
{
    memset(p, 0, sizeof *p);
    if (c->key_hex) {
        long n = sami_test_hex(c->key_hex, p->key, sizeof p->key);
        assert_true(n >= 0);
        p->key_len = (size_t)n;
    } else {
        memset(p->key, c->key_fill, c->key_len);
        p->key_len = c->key_len;
    }
    if (c->data) {
        p->data_len = strlen(c->data);
        memcpy(p->data, c->data, p->data_len);
    } else {
        memset(p->data, c->data_fill, c->data_len);
        p->data_len = c->data_len;
    }
    long m = sami_test_hex(c->mac_hex, p->mac, sizeof p->mac);
    assert_true(m == 16 || m == 32);
    p->mac_len = (size_t)m;
}

static void run_rfc4231(const struct sami_hmac_provider *prov)
{
    assert_non_null(prov);
    for (size_t i = 0; i < sizeof rfc4231 / sizeof rfc4231[0]; i++) {
        struct prepared p;
        uint8_t out[SAMI_HMAC_SHA256_LEN];
        prepare(&rfc4231[i], &p);

        /* one part */
        struct sami_iovec one = {p.data, p.data_len};
        assert_int_equal(sami_hmac_sha256(prov, p.key, p.key_len, &one, 1, out), 0);
        if (memcmp(out, p.mac, p.mac_len) != 0)
            fail_msg("RFC 4231 case %d via %s: mismatch", rfc4231[i].no, prov->name);

        /* the same bytes split into three parts, one of them empty */
        size_t a = p.data_len / 3;
        struct sami_iovec three[3] = {{p.data, a}, {NULL, 0}, {p.data + a, p.data_len - a}};
        memset(out, 0, sizeof out);
        assert_int_equal(sami_hmac_sha256(prov, p.key, p.key_len, three, 3, out), 0);
        assert_memory_equal(out, p.mac, p.mac_len);

        /* verification of the (possibly truncated) tag */
        assert_int_equal(
            sami_hmac_sha256_verify(prov, p.key, p.key_len, &one, 1, p.mac, p.mac_len), 0);
        p.mac[p.mac_len - 1] ^= 0x01;
        assert_int_equal(
            sami_hmac_sha256_verify(prov, p.key, p.key_len, &one, 1, p.mac, p.mac_len),
            SAMI_ERR_AUTH);
    }
}

static void test_rfc4231_default(void **state)
{
    (void)state;
    const struct sami_hmac_provider *p = sami_hmac_default();
    if (!p)
        skip();
    run_rfc4231(p);
}

static void test_rfc4231_sodium(void **state)
{
    (void)state;
#if defined(SAMI_WITH_SODIUM)
    const struct sami_hmac_provider *p = sami_hmac_sodium();
    assert_non_null(p);
    assert_string_equal(p->name, "libsodium");
    run_rfc4231(p);
#else
    skip();
#endif
}

static void test_rfc4231_openssl(void **state)
{
    (void)state;
#if defined(SAMI_WITH_OPENSSL)
    const struct sami_hmac_provider *p = sami_hmac_openssl();
    assert_non_null(p);
    run_rfc4231(p);
#else
    skip();
#endif
}

/* ---- a firmware-style provider plugged in by the caller ---- */

struct fake_ctx {
    int calls;
    int fail;
};

static int fake_sha256(void *ctx, const uint8_t *key, size_t key_len,
                       const struct sami_iovec *parts, size_t nparts, uint8_t out[32])
{
    struct fake_ctx *c = ctx;
    (void)key;
    (void)key_len;
    (void)parts;
    (void)nparts;
    c->calls++;
    memset(out, 0xa5, 32); /* garbage that must never escape on failure */
    return c->fail ? -7 : 0;
}

static void test_custom_provider_and_failure(void **state)
{
    (void)state;
    struct fake_ctx ctx = {0, 0};
    struct sami_hmac_provider fw = {"fake", fake_sha256, &ctx};
    uint8_t out[32], zero[32] = {0}, key[16] = {0};
    struct sami_iovec iov = {"x", 1};

    assert_int_equal(sami_hmac_sha256(&fw, key, sizeof key, &iov, 1, out), 0);
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(out[0], 0xa5);

    ctx.fail = 1;
    assert_int_equal(sami_hmac_sha256(&fw, key, sizeof key, &iov, 1, out), SAMI_ERR_CRYPTO);
    assert_memory_equal(out, zero, sizeof out);
    uint8_t tag[16];
    memset(tag, 0xa5, sizeof tag);
    assert_int_equal(sami_hmac_sha256_verify(&fw, key, sizeof key, &iov, 1, tag, sizeof tag),
                     SAMI_ERR_CRYPTO);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    uint8_t out[32], key[16] = {0}, tag[16] = {0};
    struct sami_iovec iov = {"x", 1};
    struct sami_iovec bad = {NULL, 3};
    struct sami_hmac_provider none = {"none", NULL, NULL};
    const struct sami_hmac_provider *p = sami_hmac_default();

    assert_int_equal(sami_hmac_sha256(NULL, key, sizeof key, &iov, 1, out), SAMI_ERR_INVAL);
    assert_int_equal(sami_hmac_sha256(&none, key, sizeof key, &iov, 1, out), SAMI_ERR_INVAL);
    if (p) {
        assert_int_equal(sami_hmac_sha256(p, NULL, 5, &iov, 1, out), SAMI_ERR_INVAL);
        assert_int_equal(sami_hmac_sha256(p, key, sizeof key, NULL, 1, out), SAMI_ERR_INVAL);
        assert_int_equal(sami_hmac_sha256(p, key, sizeof key, &bad, 1, out), SAMI_ERR_INVAL);
        assert_int_equal(sami_hmac_sha256_verify(p, key, sizeof key, &iov, 1, tag, 0),
                         SAMI_ERR_INVAL);
        assert_int_equal(sami_hmac_sha256_verify(p, key, sizeof key, &iov, 1, tag, 33),
                         SAMI_ERR_INVAL);
        /* empty key and empty message are legal HMAC inputs */
        assert_int_equal(sami_hmac_sha256(p, NULL, 0, NULL, 0, out), 0);
        static const char *empty_hex =
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
        uint8_t want[32];
        assert_int_equal(sami_test_hex(empty_hex, want, sizeof want), 32);
        assert_memory_equal(out, want, 32);
    }
}

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[64], b[64];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 7);
    assert_int_equal(sami_ct_equal(a, b, sizeof a), 1);
    assert_int_equal(sami_ct_equal(a, b, 0), 1);
    /* every position and every bit of a difference is seen */
    for (size_t i = 0; i < sizeof a; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(sami_ct_equal(a, b, sizeof a), 0);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    b[0] = (uint8_t)(a[0] ^ 0xff);
    assert_int_equal(sami_ct_equal(a, b, sizeof a), 0);
    assert_int_equal(sami_ct_equal(a + 1, b + 1, sizeof a - 1), 1);
}

static void test_secure_zero(void **state)
{
    (void)state;
    uint8_t k[40], z[40] = {0};
    memset(k, 0x5c, sizeof k);
    sami_secure_zero(k, sizeof k);
    assert_memory_equal(k, z, sizeof k);
    sami_secure_zero(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4231_default),
        cmocka_unit_test(test_rfc4231_sodium),
        cmocka_unit_test(test_rfc4231_openssl),
        cmocka_unit_test(test_custom_provider_and_failure),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_ct_equal),
        cmocka_unit_test(test_secure_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
