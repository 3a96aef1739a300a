/* Shared helpers for the sami libFuzzer harnesses. Test code: stdio and
 * abort() are fine here (never in lib/). */
#ifndef SAMI_FUZZ_COMMON_H
#define SAMI_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/error.h"

/* libFuzzer's entry point; declared so -Wmissing-prototypes stays quiet. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken invariant is a finding: abort so libFuzzer keeps the input and
 * the report names the check. */
#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Poisons an error record before a call, so a decoder that fails without
 * filling it is caught (a stale what/offset would otherwise pass). */
static inline void fz_err_reset(struct sami_err *e)
{
    e->code = 1;
    e->offset = (size_t)-1;
    e->tlv_type = -2;
    e->what = NULL;
}

/* The error contract of every decoder (lib/sami/error.h): a failure names
 * its field, points inside the input and carries the returned code. */
static inline void fz_check_err_at(int rc, const struct sami_err *e, size_t len, const char *ctx,
                                   const char *file, int line)
{
    if (rc >= 0)
        return;
    if (e->what == NULL || e->offset > len || e->code != rc) {
        fprintf(stderr,
                "%s:%d: %s: error contract broken: rc %d (%s), err.code %d, err.offset %zu "
                "(input %zu octets), err.what %s\n",
                file, line, ctx, rc, sami_strerror_name(rc), e->code, e->offset, len,
                e->what ? e->what : "(null)");
        abort();
    }
    /* the text helpers must cope with every code a decoder returns */
    FUZZ_CHECK(sami_strerror(rc) != NULL && sami_strerror_name(rc) != NULL);
}
#define fz_check_err(rc, e, len, ctx) fz_check_err_at((rc), (e), (len), (ctx), __FILE__, __LINE__)

/* Pulls typed values off the fuzz input (zeros once it runs dry), for the
 * structure-aware harnesses. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};

static inline uint8_t fz_u8(struct fz_in *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

static inline uint16_t fz_u16(struct fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

static inline uint32_t fz_u32(struct fz_in *in)
{
    uint32_t hi = fz_u16(in);
    return hi << 16 | fz_u16(in);
}

static inline uint64_t fz_u64(struct fz_in *in)
{
    uint64_t hi = fz_u32(in);
    return hi << 32 | fz_u32(in);
}

static inline void fz_bytes(struct fz_in *in, void *dst, size_t n)
{
    size_t k = n < in->n ? n : in->n;
    if (k)
        memcpy(dst, in->p, k);
    if (n > k)
        memset((uint8_t *)dst + k, 0, n - k);
    in->p += k;
    in->n -= k;
}

/* Zero-copy view of up to n input octets (fewer when the input runs dry). */
static inline const uint8_t *fz_view(struct fz_in *in, size_t n, size_t *got)
{
    const uint8_t *p = in->p;
    *got = n < in->n ? n : in->n;
    in->p += *got;
    in->n -= *got;
    return p;
}

/* FZ_VERBOSE set in the environment: the engine harnesses print a summary
 * of each run (to check that a seed gets where it should). */
static inline int fz_verbose(void)
{
    static int v = -1;
    if (v < 0)
        v = getenv("FZ_VERBOSE") != NULL;
    return v;
}

/* Tiny deterministic PRNG (xorshift32) for chunk sizes driven by the input. */
static inline uint32_t fz_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

#endif
