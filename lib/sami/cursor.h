/* Bounds-checked cursors: the only way sami codecs touch bytes.
 *
 * Reader: every read checks the remaining length first; on failure it records
 * code, absolute offset, current TLV type and a field name in the shared
 * struct sami_err (first failure wins) and returns the negative code. Nothing
 * is ever read past the window. Sub-cursors (sami_rd_sub) carve a window of n
 * bytes, e.g. a TLV value, and keep reporting offsets relative to the
 * top-level buffer.
 *
 * Writer: writes past capacity are not performed but still advance pos, so an
 * encoder runs to the end and reports exactly how many bytes it needed
 * (encode into a NULL buffer of capacity 0 to ask for the length). */
#ifndef SAMI_CURSOR_H
#define SAMI_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sami_rd {
    const uint8_t *p;     /* start of this window */
    size_t len;           /* window length */
    size_t pos;           /* next byte, relative to p */
    size_t origin;        /* offset of p within the top-level buffer */
    struct sami_err *err; /* failure record; may be NULL */
    int tlv_type;         /* innermost TLV type for reports, -1 when none */
};

struct sami_wr {
    uint8_t *p;  /* may be NULL when cap is 0 (length query) */
    size_t cap;
    size_t pos;  /* bytes produced so far, even past cap */
};

/* Failure reports are rare: the compiler keeps their calls off the hot path
 * (cold section, branches predicted not taken). */
#if defined(__GNUC__) || defined(__clang__)
#define SAMI_COLD __attribute__((cold))
#define SAMI_LIKELY(x) __builtin_expect(!!(x), 1)
#define SAMI_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SAMI_COLD
#define SAMI_LIKELY(x) (x)
#define SAMI_UNLIKELY(x) (x)
#endif

/* Starts a top-level reader and clears err. A NULL input becomes an empty
 * window over a real object (the reader itself), so no pointer arithmetic is
 * ever done on NULL. Inline where speed is asked for (every decode starts
 * here); one shared copy in lib/cursor.c at -Os, where size is. */
static inline void sami_rd_init_inline(struct sami_rd *r, const void *buf, size_t len,
                                       struct sami_err *err)
{
    r->p = buf ? (const uint8_t *)buf : (const uint8_t *)r;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->origin = 0;
    r->err = err;
    r->tlv_type = -1;
    if (err) {
        err->code = 0;
        err->offset = 0;
        err->tlv_type = -1;
        err->what = NULL;
    }
}
#if defined(__OPTIMIZE_SIZE__) || defined(SAMI_CURSOR_IMPL)
void sami_rd_init(struct sami_rd *r, const void *buf, size_t len, struct sami_err *err);
#else
static inline void sami_rd_init(struct sami_rd *r, const void *buf, size_t len,
                                struct sami_err *err)
{
    sami_rd_init_inline(r, buf, len, err);
}
#endif

/* Records a failure at the current position (or at an absolute offset) unless
 * one is already recorded; returns code so callers can `return sami_rd_fail(..)`. */
SAMI_COLD int sami_rd_fail(struct sami_rd *r, int code, const char *what);
SAMI_COLD int sami_rd_fail_at(struct sami_rd *r, size_t abs_offset, int code, const char *what);
/* The same, naming tlv_type instead of r's (a TLV decoded without a sub-cursor). */
SAMI_COLD int sami_rd_fail_tlv(struct sami_rd *r, size_t abs_offset, int tlv_type, int code,
                               const char *what);

/* A fixed run of fields, for decoders that check the length of a whole
 * header once and then read it from a pointer: when the window is too short,
 * sami_rd_fail_fields reports SAMI_ERR_TRUNCATED at the first field that does
 * not fit, with its name and offset, exactly as reading field by field would. */
struct sami_rd_field {
    size_t size;
    const char *what;
};
SAMI_COLD int sami_rd_fail_fields(struct sami_rd *r, const struct sami_rd_field *f, size_t n);

/* Big-endian loads from octets the caller has already bounds-checked. */
static inline uint16_t sami_be16(const uint8_t *b)
{
    return (uint16_t)((unsigned)b[0] << 8 | b[1]);
}

static inline uint32_t sami_be24(const uint8_t *b)
{
    return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
}

static inline uint32_t sami_be32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t sami_be64(const uint8_t *b)
{
    /* two 32-bit halves: compilers turn each into one load + byte swap,
     * an 8-step loop stays a loop */
    return (uint64_t)sami_be32(b) << 32 | sami_be32(b + 4);
}

static inline size_t sami_rd_left(const struct sami_rd *r) { return r->len - r->pos; }
static inline size_t sami_rd_offset(const struct sami_rd *r) { return r->origin + r->pos; }
static inline int sami_rd_done(const struct sami_rd *r) { return r->pos == r->len; }

static inline int sami_rd_need(struct sami_rd *r, size_t n, const char *what)
{
    if (SAMI_UNLIKELY(n > r->len - r->pos))
        return sami_rd_fail(r, SAMI_ERR_TRUNCATED, what);
    return 0;
}

static inline int sami_rd_u8(struct sami_rd *r, uint8_t *v, const char *what)
{
    if (sami_rd_need(r, 1, what))
        return SAMI_ERR_TRUNCATED;
    *v = r->p[r->pos++];
    return 0;
}

static inline int sami_rd_u16(struct sami_rd *r, uint16_t *v, const char *what)
{
    if (sami_rd_need(r, 2, what))
        return SAMI_ERR_TRUNCATED;
    *v = sami_be16(r->p + r->pos);
    r->pos += 2;
    return 0;
}

static inline int sami_rd_u24(struct sami_rd *r, uint32_t *v, const char *what)
{
    if (sami_rd_need(r, 3, what))
        return SAMI_ERR_TRUNCATED;
    *v = sami_be24(r->p + r->pos);
    r->pos += 3;
    return 0;
}

static inline int sami_rd_u32(struct sami_rd *r, uint32_t *v, const char *what)
{
    if (sami_rd_need(r, 4, what))
        return SAMI_ERR_TRUNCATED;
    *v = sami_be32(r->p + r->pos);
    r->pos += 4;
    return 0;
}

static inline int sami_rd_u64(struct sami_rd *r, uint64_t *v, const char *what)
{
    if (sami_rd_need(r, 8, what))
        return SAMI_ERR_TRUNCATED;
    *v = sami_be64(r->p + r->pos);
    r->pos += 8;
    return 0;
}

/* Copies n bytes out. */
static inline int sami_rd_bytes(struct sami_rd *r, void *dst, size_t n, const char *what)
{
    if (sami_rd_need(r, n, what))
        return SAMI_ERR_TRUNCATED;
    if (n)
        memcpy(dst, r->p + r->pos, n);
    r->pos += n;
    return 0;
}

/* Zero-copy: points *out at the next n bytes (valid while the input is). */
static inline int sami_rd_ptr(struct sami_rd *r, const uint8_t **out, size_t n, const char *what)
{
    if (sami_rd_need(r, n, what))
        return SAMI_ERR_TRUNCATED;
    *out = r->p + r->pos;
    r->pos += n;
    return 0;
}

static inline int sami_rd_skip(struct sami_rd *r, size_t n, const char *what)
{
    if (sami_rd_need(r, n, what))
        return SAMI_ERR_TRUNCATED;
    r->pos += n;
    return 0;
}

/* Carves the next n bytes into *sub (same err, tlv_type as given) and
 * advances r past them. A length that overruns the window is SAMI_ERR_LENGTH
 * (a lying length field), not TRUNCATED. */
static inline int sami_rd_sub(struct sami_rd *r, struct sami_rd *sub, size_t n, int tlv_type,
                              const char *what)
{
    if (SAMI_UNLIKELY(n > r->len - r->pos))
        return sami_rd_fail(r, SAMI_ERR_LENGTH, what);
    sub->p = r->p + r->pos;
    sub->len = n;
    sub->pos = 0;
    sub->origin = r->origin + r->pos;
    sub->err = r->err;
    sub->tlv_type = tlv_type;
    r->pos += n;
    return 0;
}

/* Fails with SAMI_ERR_TRAILING unless the window is fully consumed. */
static inline int sami_rd_expect_end(struct sami_rd *r, const char *what)
{
    if (r->pos != r->len)
        return sami_rd_fail(r, SAMI_ERR_TRAILING, what);
    return 0;
}

static inline void sami_wr_init(struct sami_wr *w, void *buf, size_t cap)
{
    w->p = (uint8_t *)buf;
    w->cap = buf ? cap : 0;
    w->pos = 0;
}

static inline int sami_wr_fits(const struct sami_wr *w, size_t n)
{
    return w->pos <= w->cap && n <= w->cap - w->pos;
}

static inline void sami_wr_u8(struct sami_wr *w, uint8_t v)
{
    if (sami_wr_fits(w, 1))
        w->p[w->pos] = v;
    w->pos += 1;
}

static inline void sami_wr_u16(struct sami_wr *w, uint16_t v)
{
    if (sami_wr_fits(w, 2)) {
        w->p[w->pos] = (uint8_t)(v >> 8);
        w->p[w->pos + 1] = (uint8_t)v;
    }
    w->pos += 2;
}

static inline void sami_wr_u24(struct sami_wr *w, uint32_t v)
{
    if (sami_wr_fits(w, 3)) {
        w->p[w->pos] = (uint8_t)(v >> 16);
        w->p[w->pos + 1] = (uint8_t)(v >> 8);
        w->p[w->pos + 2] = (uint8_t)v;
    }
    w->pos += 3;
}

static inline void sami_wr_u32(struct sami_wr *w, uint32_t v)
{
    if (sami_wr_fits(w, 4)) {
        for (int i = 0; i < 4; i++)
            w->p[w->pos + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
    }
    w->pos += 4;
}

static inline void sami_wr_u64(struct sami_wr *w, uint64_t v)
{
    if (sami_wr_fits(w, 8)) {
        for (int i = 0; i < 8; i++)
            w->p[w->pos + (size_t)i] = (uint8_t)(v >> (56 - 8 * i));
    }
    w->pos += 8;
}

static inline void sami_wr_bytes(struct sami_wr *w, const void *src, size_t n)
{
    if (n && sami_wr_fits(w, n))
        memcpy(w->p + w->pos, src, n);
    w->pos += n;
}

static inline void sami_wr_zero(struct sami_wr *w, size_t n)
{
    if (n && sami_wr_fits(w, n))
        memset(w->p + w->pos, 0, n);
    w->pos += n;
}

/* Overwrites 2 bytes at an earlier position (for length fields written
 * after their content); a no-op for bytes that were never stored. */
static inline void sami_wr_patch_u16(struct sami_wr *w, size_t at, uint16_t v)
{
    if (at <= w->cap && 2 <= w->cap - at && at + 2 <= w->pos) {
        w->p[at] = (uint8_t)(v >> 8);
        w->p[at + 1] = (uint8_t)v;
    }
}

static inline void sami_wr_patch_u32(struct sami_wr *w, size_t at, uint32_t v)
{
    if (at <= w->cap && 4 <= w->cap - at && at + 4 <= w->pos) {
        for (int i = 0; i < 4; i++)
            w->p[at + (size_t)i] = (uint8_t)(v >> (24 - 8 * i));
    }
}

/* Ends an encode: 0 and *len = bytes written, or SAMI_ERR_NOBUFS and
 * *len = bytes that would have been needed. len may be NULL. */
static inline int sami_wr_finish(const struct sami_wr *w, size_t *len)
{
    if (len)
        *len = w->pos;
    return w->pos <= w->cap ? 0 : SAMI_ERR_NOBUFS;
}

#ifdef __cplusplus
}
#endif
#endif
