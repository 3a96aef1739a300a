/* HMAC-SHA-256 behind a tiny provider interface.
 *
 * lib/ never links a crypto library itself: switch firmware plugs its own
 * implementation (hardware engine, vendor SDK) by filling a struct
 * sami_hmac_provider; hosts get ready-made providers in lib/providers/
 * (libsodium when built with SAMI_WITH_SODIUM, OpenSSL libcrypto when built
 * with SAMI_WITH_OPENSSL). Everything else here (constant-time compare,
 * wiping, truncated-tag verification) is plain C with no provider. */
#ifndef SAMI_HMAC_H
#define SAMI_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_HMAC_SHA256_LEN 32 /* full HMAC-SHA-256 output */

/* One input fragment; the MAC covers the concatenation of all parts, so a
 * message need not be copied into one buffer to be authenticated. */
struct sami_iovec {
    const void *base; /* may be NULL when len is 0 */
    size_t len;
};

struct sami_hmac_provider {
    const char *name; /* "libsodium", "openssl", "firmware-xyz" (for logs) */
    /* HMAC-SHA-256(key, parts[0] | ... | parts[nparts-1]) -> out.
     * Any key length (keys longer than the block size are hashed, RFC 2104).
     * Returns 0, or any nonzero value on failure (mapped to SAMI_ERR_CRYPTO). */
    int (*sha256)(void *ctx, const uint8_t *key, size_t key_len, const struct sami_iovec *parts,
                  size_t nparts, uint8_t out[SAMI_HMAC_SHA256_LEN]);
    void *ctx; /* passed back to sha256 */
};

/* Runs the provider. 0, SAMI_ERR_INVAL (NULL provider/callback, NULL key
 * with key_len > 0, NULL parts with nparts > 0) or SAMI_ERR_CRYPTO. On
 * failure out is zeroed, never half-written. */
int sami_hmac_sha256(const struct sami_hmac_provider *p, const uint8_t *key, size_t key_len,
                     const struct sami_iovec *parts, size_t nparts,
                     uint8_t out[SAMI_HMAC_SHA256_LEN]);

/* Computes HMAC-SHA-256 and compares its first tag_len (1..32) octets with
 * tag in constant time. 0 = match, SAMI_ERR_AUTH = mismatch, SAMI_ERR_INVAL,
 * SAMI_ERR_CRYPTO. */
int sami_hmac_sha256_verify(const struct sami_hmac_provider *p, const uint8_t *key,
                            size_t key_len, const struct sami_iovec *parts, size_t nparts,
                            const uint8_t *tag, size_t tag_len);

/* 1 if the n octets at a and b are equal, else 0. Time depends on n only:
 * no early exit, no data-dependent branch. n = 0 -> 1. */
int sami_ct_equal(const void *a, const void *b, size_t n);

/* Zeroes n octets in a way the compiler may not drop (key material). */
void sami_secure_zero(void *p, size_t n);

/* The provider built into this libsami: libsodium if built with it, else
 * OpenSSL if built with it, else NULL (firmware supplies its own). */
const struct sami_hmac_provider *sami_hmac_default(void);

#if defined(SAMI_WITH_SODIUM)
/* libsodium provider (lib/providers/hmac_sodium.c). Returns NULL if
 * sodium_init() fails. */
const struct sami_hmac_provider *sami_hmac_sodium(void);
#endif

#if defined(SAMI_WITH_OPENSSL)
/* OpenSSL >= 3.0 libcrypto provider (lib/providers/hmac_openssl.c). */
const struct sami_hmac_provider *sami_hmac_openssl(void);
#endif

#ifdef __cplusplus
}
#endif
#endif
