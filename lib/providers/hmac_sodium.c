/* libsodium HMAC-SHA-256 provider. The only file of libsami that includes
 * sodium.h; built when SAMI_WITH_SODIUM is on. */
#include <sodium.h>

#include "sami/hmac.h"

static int sami_sodium_sha256(void *ctx, const uint8_t *key, size_t key_len,
                              const struct sami_iovec *parts, size_t nparts,
                              uint8_t out[SAMI_HMAC_SHA256_LEN])
{
    (void)ctx;
    crypto_auth_hmacsha256_state st;
    /* sodium declares key nonnull even for length 0 (RFC 2104 allows it) */
    static const uint8_t empty_key[1] = {0};
    if (key_len == 0)
        key = empty_key;
    /* The init/update/final API takes any key length (long keys are hashed
     * first), unlike crypto_auth_hmacsha256() which wants exactly 32. */
    if (crypto_auth_hmacsha256_init(&st, key, key_len) != 0)
        goto fail;
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].len &&
            crypto_auth_hmacsha256_update(&st, (const unsigned char *)parts[i].base,
                                          (unsigned long long)parts[i].len) != 0)
            goto fail;
    }
    if (crypto_auth_hmacsha256_final(&st, out) != 0)
        goto fail;
    sodium_memzero(&st, sizeof st);
    return 0;
fail:
    sodium_memzero(&st, sizeof st);
    return -1;
}

static const struct sami_hmac_provider sami_sodium_provider = {
    "libsodium",
    sami_sodium_sha256,
    NULL,
};

const struct sami_hmac_provider *sami_hmac_sodium(void)
{
    /* idempotent and thread-safe; < 0 means the library is unusable */
    if (sodium_init() < 0)
        return NULL;
    return &sami_sodium_provider;
}
