/* Provider-independent HMAC helpers. No crypto library is referenced here:
 * the provider pointer carries the only link to one. */
#include "sami/hmac.h"

#include <string.h>

int sami_ct_equal(const void *a, const void *b, size_t n)
{
    const volatile uint8_t *x = (const volatile uint8_t *)a;
    const volatile uint8_t *y = (const volatile uint8_t *)b;
    /* Volatile accumulator: keeps the compiler from turning the loop into an
     * early-exit compare that would leak the first differing position. */
    volatile uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc = (uint8_t)(acc | (x[i] ^ y[i]));
    /* Map 0 -> 1 and 1..255 -> 0 without a branch on the secret. */
    return (int)(1u & (((unsigned)acc - 1u) >> 8));
}

void sami_secure_zero(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
}

int sami_hmac_sha256(const struct sami_hmac_provider *p, const uint8_t *key, size_t key_len,
                     const struct sami_iovec *parts, size_t nparts,
                     uint8_t out[SAMI_HMAC_SHA256_LEN])
{
    if (!out)
        return SAMI_ERR_INVAL;
    memset(out, 0, SAMI_HMAC_SHA256_LEN);
    if (!p || !p->sha256 || (!key && key_len) || (!parts && nparts))
        return SAMI_ERR_INVAL;
    for (size_t i = 0; i < nparts; i++)
        if (!parts[i].base && parts[i].len)
            return SAMI_ERR_INVAL;
    if (p->sha256(p->ctx, key, key_len, parts, nparts, out) != 0) {
        /* a failing provider may have left partial output: never hand it on */
        sami_secure_zero(out, SAMI_HMAC_SHA256_LEN);
        return SAMI_ERR_CRYPTO;
    }
    return 0;
}

int sami_hmac_sha256_verify(const struct sami_hmac_provider *p, const uint8_t *key,
                            size_t key_len, const struct sami_iovec *parts, size_t nparts,
                            const uint8_t *tag, size_t tag_len)
{
    uint8_t mac[SAMI_HMAC_SHA256_LEN];
    if (!tag || tag_len == 0 || tag_len > SAMI_HMAC_SHA256_LEN)
        return SAMI_ERR_INVAL;
    int rc = sami_hmac_sha256(p, key, key_len, parts, nparts, mac);
    if (rc == 0 && !sami_ct_equal(mac, tag, tag_len))
        rc = SAMI_ERR_AUTH;
    sami_secure_zero(mac, sizeof mac);
    return rc;
}

const struct sami_hmac_provider *sami_hmac_default(void)
{
#if defined(SAMI_WITH_SODIUM)
    return sami_hmac_sodium();
#elif defined(SAMI_WITH_OPENSSL)
    return sami_hmac_openssl();
#else
    return NULL;
#endif
}
