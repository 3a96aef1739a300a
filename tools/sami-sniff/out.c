#include "out.h"

#include <stdarg.h>
#include <string.h>

static const char hexd[] = "0123456789abcdef";
/* Two digits per lookup: the formatters below emit pairs of characters. */
static const char dig2[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                           "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                           "8081828384858687888990919293949596979899";
#define HX(h) h "0" h "1" h "2" h "3" h "4" h "5" h "6" h "7" h "8" h "9" h "a" h "b" h "c" h "d" h "e" h "f"
static const char hex2[] = HX("0") HX("1") HX("2") HX("3") HX("4") HX("5") HX("6") HX("7") HX("8")
    HX("9") HX("a") HX("b") HX("c") HX("d") HX("e") HX("f");
#undef HX

static inline void put_hex2(char *d, uint8_t v)
{
    memcpy(d, hex2 + 2 * (unsigned)v, 2);
}

/* Number of decimal digits of v (1..20). */
static inline unsigned dec_len(uint64_t v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes v in decimal so that it ends just before e; returns its start. */
static inline char *dec_back(char *e, uint64_t v)
{
    while (v >= 100) {
        uint64_t q = v / 100;
        e -= 2;
        memcpy(e, dig2 + 2 * (unsigned)(v - q * 100), 2);
        v = q;
    }
    if (v >= 10) {
        e -= 2;
        memcpy(e, dig2 + 2 * (unsigned)v, 2);
    } else {
        *--e = (char)('0' + v);
    }
    return e;
}

void sb_init(struct sbuf *b, char *mem, size_t cap, FILE *flush_to)
{
    b->p = mem;
    b->len = 0;
    b->cap = cap;
    b->flush_to = flush_to;
    b->truncated = 0;
}

int sb_flush(struct sbuf *b)
{
    int rc = 0;
    if (b->flush_to && b->len) {
        if (fwrite(b->p, 1, b->len, b->flush_to) != b->len)
            rc = -1;
        b->len = 0;
    }
    return rc;
}

size_t sb_room_slow(struct sbuf *b, size_t n)
{
    if (b->flush_to) {
        sb_flush(b);
        return n < b->cap ? n : b->cap;
    }
    b->truncated = 1;
    return b->cap - b->len;
}

void sb_putn_slow(struct sbuf *b, const char *s, size_t n)
{
    /* Chunked so a flushing buffer can take more than its capacity. */
    while (n) {
        size_t k = sb_room(b, n);
        if (!k)
            return;
        memcpy(b->p + b->len, s, k);
        b->len += k;
        s += k;
        n -= k;
    }
}

void sb_u64(struct sbuf *b, uint64_t v)
{
    char *d = sb_want(b, 20);
    if (d && v < 100000u) {
        /* Most numbers on a line (sequence numbers, VIDs, lengths) are
         * short: 32-bit arithmetic, no digit count loop. */
        uint32_t x = (uint32_t)v;
        size_t n;
        if (x < 10) {
            d[0] = (char)('0' + x);
            n = 1;
        } else if (x < 100) {
            memcpy(d, dig2 + 2 * x, 2);
            n = 2;
        } else if (x < 1000) {
            d[0] = (char)('0' + x / 100);
            memcpy(d + 1, dig2 + 2 * (x % 100), 2);
            n = 3;
        } else if (x < 10000) {
            memcpy(d, dig2 + 2 * (x / 100), 2);
            memcpy(d + 2, dig2 + 2 * (x % 100), 2);
            n = 4;
        } else {
            d[0] = (char)('0' + x / 10000);
            x %= 10000;
            memcpy(d + 1, dig2 + 2 * (x / 100), 2);
            memcpy(d + 3, dig2 + 2 * (x % 100), 2);
            n = 5;
        }
        b->len += n;
        return;
    }
    if (d) {
        unsigned n = dec_len(v);
        dec_back(d + n, v);
        b->len += n;
        return;
    }
    char t[20];
    char *s = dec_back(t + 20, v);
    sb_putn(b, s, (size_t)(t + 20 - s));
}

void sb_i64(struct sbuf *b, int64_t v)
{
    if (v < 0) {
        sb_putc(b, '-');
        sb_u64(b, (uint64_t)0 - (uint64_t)v);
    } else {
        sb_u64(b, (uint64_t)v);
    }
}

void sb_hex(struct sbuf *b, uint64_t v, int digits)
{
    char t[16];
    if (digits < 1)
        digits = 1;
    if (digits > 16)
        digits = 16;
    char *d = sb_want(b, 16);
    char *o = d ? d : t;
    int i = digits;
    while (i >= 2) {
        i -= 2;
        put_hex2(o + i, (uint8_t)v);
        v >>= 8;
    }
    if (i)
        o[0] = hexd[v & 15];
    if (d)
        b->len += (size_t)digits;
    else
        sb_putn(b, t, (size_t)digits);
}

void sb_0x(struct sbuf *b, uint64_t v, int digits)
{
    char *d;
    if (digits == 16 && (d = sb_want(b, 18)) != NULL) {
        /* 64-bit ids (migration ids): one pass, no loop. */
        d[0] = '0';
        d[1] = 'x';
        for (int i = 7; i >= 0; i--) {
            put_hex2(d + 2 + 2 * i, (uint8_t)v);
            v >>= 8;
        }
        b->len += 18;
        return;
    }
    sb_putn(b, "0x", 2);
    sb_hex(b, v, digits);
}

void sb_dec0(struct sbuf *b, uint64_t v, int width)
{
    char t[20];
    if (width > 20)
        width = 20;
    char *d = sb_want(b, 20);
    char *o = d ? d : t;
    int i = width;
    while (i >= 2) {
        i -= 2;
        memcpy(o + i, dig2 + 2 * (unsigned)(v % 100), 2);
        v /= 100;
    }
    if (i)
        o[0] = (char)('0' + v % 10);
    if (d)
        b->len += (size_t)(width > 0 ? width : 0);
    else if (width > 0)
        sb_putn(b, t, (size_t)width);
}

void sb_hexbytes(struct sbuf *b, const uint8_t *p, size_t n, char sep)
{
    /* In chunks through a local buffer: one append per 64 octets. */
    char t[64 * 3];
    while (n) {
        size_t k = n < 64 ? n : 64, o = 0;
        for (size_t i = 0; i < k; i++) {
            put_hex2(t + o, p[i]);
            o += 2;
            if (sep && (i + 1 < k || n > k))
                t[o++] = sep;
        }
        sb_putn(b, t, o);
        p += k;
        n -= k;
    }
}

void sb_mac(struct sbuf *b, const uint8_t m[6])
{
    char t[17];
    char *d = sb_want(b, 17);
    char *o = d ? d : t;
    /* Straight-line: compilers do not unroll the 6-octet loop. */
    put_hex2(o, m[0]);
    o[2] = ':';
    put_hex2(o + 3, m[1]);
    o[5] = ':';
    put_hex2(o + 6, m[2]);
    o[8] = ':';
    put_hex2(o + 9, m[3]);
    o[11] = ':';
    put_hex2(o + 12, m[4]);
    o[14] = ':';
    put_hex2(o + 15, m[5]);
    if (d)
        b->len += 17;
    else
        sb_putn(b, t, 17);
}

void sb_oui(struct sbuf *b, uint32_t oui)
{
    uint8_t o[3] = {(uint8_t)(oui >> 16), (uint8_t)(oui >> 8), (uint8_t)oui};
    sb_hexbytes(b, o, 3, ':');
}

void sb_ipv4(struct sbuf *b, const uint8_t a[4])
{
    char t[15];
    char *d = sb_want(b, 15);
    char *o = d ? d : t;
    for (int i = 0; i < 4; i++) {
        if (i)
            *o++ = '.';
        unsigned n = a[i] >= 100 ? 3 : a[i] >= 10 ? 2 : 1;
        o = dec_back(o + n, a[i]) + n;
    }
    if (d)
        sb_commit(b, o);
    else
        sb_putn(b, t, (size_t)(o - t));
}

void sb_ipv6(struct sbuf *b, const uint8_t a[16])
{
    uint16_t w[8];
    for (int i = 0; i < 8; i++)
        w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
    /* RFC 5952: the longest run (>= 2) of zero words becomes "::", the first
     * one on a tie. */
    int best = -1, bestlen = 0;
    for (int i = 0; i < 8;) {
        if (w[i]) {
            i++;
            continue;
        }
        int j = i;
        while (j < 8 && !w[j])
            j++;
        if (j - i > bestlen) {
            best = i;
            bestlen = j - i;
        }
        i = j;
    }
    if (bestlen < 2)
        best = -1;
    for (int i = 0; i < 8; i++) {
        if (i == best) {
            sb_putn(b, "::", 2);
            i += bestlen - 1;
            continue;
        }
        if (i && i != best + bestlen)
            sb_putc(b, ':');
        /* no leading zeros */
        int d = w[i] >= 0x1000 ? 4 : w[i] >= 0x100 ? 3 : w[i] >= 0x10 ? 2 : 1;
        sb_hex(b, w[i], d);
    }
}

void sb_uuid(struct sbuf *b, const uint8_t u[16])
{
    char t[36];
    char *d = sb_want(b, 36);
    char *o = d ? d : t;
    /* 8-4-4-4-12, straight-line */
    for (int i = 0; i < 4; i++)
        put_hex2(o + 2 * i, u[i]);
    o[8] = '-';
    put_hex2(o + 9, u[4]);
    put_hex2(o + 11, u[5]);
    o[13] = '-';
    put_hex2(o + 14, u[6]);
    put_hex2(o + 16, u[7]);
    o[18] = '-';
    put_hex2(o + 19, u[8]);
    put_hex2(o + 21, u[9]);
    o[23] = '-';
    for (int i = 0; i < 6; i++)
        put_hex2(o + 24 + 2 * i, u[10 + i]);
    if (d)
        b->len += 36;
    else
        sb_putn(b, t, sizeof t);
}

void sb_addr16(struct sbuf *b, const uint8_t a[16])
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(a, mapped, 12))
        sb_ipv4(b, a + 12);
    else
        sb_ipv6(b, a);
}

/* 1: the octet goes into a JSON string as is (printable ASCII but " and \). */
#define P16 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
#define Z16 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
static const uint8_t json_plain[256] = {
    Z16, Z16,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x22 " */
    P16, P16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x5c \ */
    P16,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, /* 0x7f */
    Z16, Z16, Z16, Z16, Z16, Z16, Z16, Z16};
#undef P16
#undef Z16

void sb_json_esc(struct sbuf *b, const char *s, size_t n)
{
    if (!n)
        return; /* s may be NULL for an empty view */
    size_t run = 0; /* plain bytes copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json_plain[c])
            continue;
        sb_putn(b, s + run, i - run);
        run = i + 1;
        char t[6] = {'\\', 'u', '0', '0', hexd[c >> 4], hexd[c & 15]};
        switch (c) {
        case '"': sb_putn(b, "\\\"", 2); break;
        case '\\': sb_putn(b, "\\\\", 2); break;
        case '\n': sb_putn(b, "\\n", 2); break;
        case '\t': sb_putn(b, "\\t", 2); break;
        default: sb_putn(b, t, 6); break;
        }
    }
    sb_putn(b, s + run, n - run);
}

/* Printable ASCII other than " and \: shown as is. */
static inline int text_plain(unsigned char c)
{
    return (unsigned)(c - 0x20u) < 0x5fu && c != '"' && c != '\\';
}

void sb_text_esc(struct sbuf *b, const char *s, size_t n)
{
    if (!n)
        return;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (text_plain(c))
            continue;
        sb_putn(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char t[2] = {'\\', (char)c};
            sb_putn(b, t, 2);
        } else {
            char t[4] = {'\\', 'x', hexd[c >> 4], hexd[c & 15]};
            sb_putn(b, t, 4);
        }
    }
    sb_putn(b, s + run, n - run);
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    char t[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t, sizeof t, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_putn(b, t, (size_t)n < sizeof t ? (size_t)n : sizeof t - 1);
}

void sb_hms_usec(struct sbuf *b, int64_t sec, uint32_t usec)
{
    /* Consecutive frames mostly share the second: keep "HH:MM:SS." ready. */
    static int64_t last = INT64_MIN;
    static char hms[9];
    if (sec != last) {
        int64_t s = sec % 86400;
        if (s < 0)
            s += 86400;
        unsigned h = (unsigned)(s / 3600), m = (unsigned)(s / 60 % 60), x = (unsigned)(s % 60);
        hms[0] = (char)('0' + h / 10);
        hms[1] = (char)('0' + h % 10);
        hms[2] = ':';
        hms[3] = (char)('0' + m / 10);
        hms[4] = (char)('0' + m % 10);
        hms[5] = ':';
        hms[6] = (char)('0' + x / 10);
        hms[7] = (char)('0' + x % 10);
        hms[8] = '.';
        last = sec;
    }
    uint32_t us = usec % 1000000u;
    char *d = sb_want(b, 15);
    if (!d) {
        sb_putn(b, hms, sizeof hms);
        sb_dec0(b, us, 6);
        return;
    }
    memcpy(d, hms, 9);
    memcpy(d + 9, dig2 + 2 * (us / 10000u), 2);
    memcpy(d + 11, dig2 + 2 * (us / 100u % 100u), 2);
    memcpy(d + 13, dig2 + 2 * (us % 100u), 2);
    b->len += 15;
}

void sb_iso_usec(struct sbuf *b, int64_t sec, uint32_t usec)
{
    int64_t days = sec / 86400;
    if (sec % 86400 < 0)
        days--;
    /* Civil date from a day count (days since 1970-01-01), era-based so it
     * works for any int64 day without floating point. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        y++;
    if (y < 0 || y > 9999) {
        sb_i64(b, y);
    } else {
        sb_dec0(b, (uint64_t)y, 4);
    }
    sb_putc(b, '-');
    sb_dec0(b, (uint64_t)m, 2);
    sb_putc(b, '-');
    sb_dec0(b, (uint64_t)d, 2);
    sb_putc(b, 'T');
    sb_hms_usec(b, sec, usec);
    sb_putc(b, 'Z');
}
