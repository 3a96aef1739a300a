/* Append-only text buffers and the few formatters sami-sniff needs.
 *
 * Everything the dissector prints goes through a struct sbuf: a fixed array
 * that either flushes to a FILE when full (the output buffer) or silently
 * truncates and remembers it (per-frame scratch such as the one-line
 * summary). No allocation, no printf in the common paths: the hot loop of a
 * 1M-frame capture must stay cheap. */
#ifndef SNIFF_OUT_H
#define SNIFF_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    FILE *flush_to; /* NULL: truncate instead of flushing */
    int truncated;  /* set when something did not fit (flush_to == NULL) */
};

void sb_init(struct sbuf *b, char *mem, size_t cap, FILE *flush_to);
static inline void sb_reset(struct sbuf *b)
{
    b->len = 0;
    b->truncated = 0;
}
/* Writes out what is buffered (only for flushing buffers). 0 or -1 on I/O error. */
int sb_flush(struct sbuf *b);

/* Makes room for n bytes; returns how many of them may be written (n, or
 * less when truncating). */
size_t sb_room_slow(struct sbuf *b, size_t n);
static inline size_t sb_room(struct sbuf *b, size_t n)
{
    return b->cap - b->len >= n ? n : sb_room_slow(b, n);
}

static inline void sb_putc(struct sbuf *b, char c)
{
    if (sb_room(b, 1))
        b->p[b->len++] = c;
}
void sb_putn_slow(struct sbuf *b, const char *s, size_t n);
/* Copies n <= 16 bytes with at most two overlapping loads and stores per
 * size class instead of a byte loop; never reads outside s[0..n). With a
 * constant n the branches fold away. */
static inline void sb_copy16(char *d, const char *s, size_t n)
{
    if (n >= 8) {
        uint64_t a, z;
        memcpy(&a, s, 8);
        memcpy(&z, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &z, 8);
    } else if (n >= 4) {
        uint32_t a, z;
        memcpy(&a, s, 4);
        memcpy(&z, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &z, 4);
    } else if (n) {
        d[0] = s[0];
        d[n / 2] = s[n / 2];
        d[n - 1] = s[n - 1];
    }
}
/* Inline fast path: most pieces are a few bytes and fit. */
static inline void sb_putn(struct sbuf *b, const char *s, size_t n)
{
    if (n <= 16 && b->cap - b->len >= n) {
        sb_copy16(b->p + b->len, s, n);
        b->len += n;
        return;
    }
    sb_putn_slow(b, s, n);
}
/* Direct formatting: a pointer to n writable bytes at the end of the
 * buffer when they fit without flushing or truncating, else NULL (then the
 * caller takes the general path, which flushes or truncates). Commit what
 * was written with sb_commit. */
static inline char *sb_want(struct sbuf *b, size_t n)
{
    return b->cap - b->len >= n ? b->p + b->len : NULL;
}
static inline void sb_commit(struct sbuf *b, char *end)
{
    b->len = (size_t)(end - b->p);
}
/* Inline so strlen of a literal folds to a constant. */
static inline void sb_puts(struct sbuf *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}
void sb_u64(struct sbuf *b, uint64_t v);
void sb_i64(struct sbuf *b, int64_t v);
/* Lower-case hex, exactly `digits` digits (1..16), no prefix. */
void sb_hex(struct sbuf *b, uint64_t v, int digits);
/* "0x" + hex with `digits` digits. */
void sb_0x(struct sbuf *b, uint64_t v, int digits);
/* Zero-padded decimal, `width` digits (for times). */
void sb_dec0(struct sbuf *b, uint64_t v, int width);
/* Bytes as hex, sep between octets when sep != 0. */
void sb_hexbytes(struct sbuf *b, const uint8_t *p, size_t n, char sep);
void sb_mac(struct sbuf *b, const uint8_t m[6]);
void sb_oui(struct sbuf *b, uint32_t oui); /* "0a:53:4d" */
void sb_ipv4(struct sbuf *b, const uint8_t a[4]);
void sb_ipv6(struct sbuf *b, const uint8_t a[16]); /* RFC 5952 text */
/* 16 octets as 8-4-4-4-12. */
void sb_uuid(struct sbuf *b, const uint8_t u[16]);
/* "addr16": IPv4-mapped addresses print as dotted quad, others as IPv6. */
void sb_addr16(struct sbuf *b, const uint8_t a[16]);
/* Bytes as a JSON string body (no quotes): escapes ", \, controls, and
 * bytes >= 0x80 as \u00XX so the output is always valid JSON and ASCII. */
void sb_json_esc(struct sbuf *b, const char *s, size_t n);
/* Bytes for a human: printable ASCII as is (\ and " escaped), others \xNN. */
void sb_text_esc(struct sbuf *b, const char *s, size_t n);
/* Rare paths only. */
void sb_printf(struct sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Time of day and ISO date from seconds since the epoch (UTC, no tz
 * database: proleptic Gregorian from the day count). */
void sb_hms_usec(struct sbuf *b, int64_t sec, uint32_t usec);      /* HH:MM:SS.uuuuuu */
void sb_iso_usec(struct sbuf *b, int64_t sec, uint32_t usec);      /* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */

#endif
