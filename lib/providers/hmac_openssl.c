/* OpenSSL (>= 3.0) libcrypto HMAC-SHA-256 provider; optional, built only
 * with SAMI_WITH_OPENSSL. Uses the EVP_MAC API (HMAC_* is deprecated). */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "sami/hmac.h"

static int sami_openssl_sha256(void *ctx, const uint8_t *key, size_t key_len,
                               const struct sami_iovec *parts, size_t nparts,
                               uint8_t out[SAMI_HMAC_SHA256_LEN])
{
    (void)ctx;
    int rc = -1;
    /* OpenSSL rejects a NULL key even for length 0 (RFC 2104 allows it). */
    static const uint8_t empty_key[1] = {0};
    char digest[] = "SHA256";
    OSSL_PARAM params[2];
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
    size_t outl = 0;

    if (!mctx)
        goto out;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(mctx, key_len ? key : empty_key, key_len, params))
        goto out;
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].len && !EVP_MAC_update(mctx, (const unsigned char *)parts[i].base, parts[i].len))
            goto out;
    if (!EVP_MAC_final(mctx, out, &outl, SAMI_HMAC_SHA256_LEN) || outl != SAMI_HMAC_SHA256_LEN)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(mctx);
    EVP_MAC_free(mac);
    return rc;
}

static const struct sami_hmac_provider sami_openssl_provider = {
    "openssl",
    sami_openssl_sha256,
    NULL,
};

const struct sami_hmac_provider *sami_hmac_openssl(void)
{
    return &sami_openssl_provider;
}
