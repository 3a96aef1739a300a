#include "out.h"

#include <stdarg.h>
#include <string.h>

static const char hexd[] = "0123456789abcdef";

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
    char t[20];
    int i = 20;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    sb_putn(b, t + i, (size_t)(20 - i));
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
    for (int i = digits - 1; i >= 0; i--) {
        t[i] = hexd[v & 15];
        v >>= 4;
    }
    sb_putn(b, t, (size_t)digits);
}

void sb_0x(struct sbuf *b, uint64_t v, int digits)
{
    sb_putn(b, "0x", 2);
    sb_hex(b, v, digits);
}

void sb_dec0(struct sbuf *b, uint64_t v, int width)
{
    char t[20];
    if (width > 20)
        width = 20;
    for (int i = width - 1; i >= 0; i--) {
        t[i] = (char)('0' + v % 10);
        v /= 10;
    }
    sb_putn(b, t, (size_t)width);
}

void sb_hexbytes(struct sbuf *b, const uint8_t *p, size_t n, char sep)
{
    /* In chunks through a local buffer: one append per 64 octets. */
    char t[64 * 3];
    while (n) {
        size_t k = n < 64 ? n : 64, o = 0;
        for (size_t i = 0; i < k; i++) {
            t[o++] = hexd[p[i] >> 4];
            t[o++] = hexd[p[i] & 15];
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
    for (int i = 0; i < 6; i++) {
        t[i * 3] = hexd[m[i] >> 4];
        t[i * 3 + 1] = hexd[m[i] & 15];
        if (i < 5)
            t[i * 3 + 2] = ':';
    }
    sb_putn(b, t, 17);
}

void sb_oui(struct sbuf *b, uint32_t oui)
{
    uint8_t o[3] = {(uint8_t)(oui >> 16), (uint8_t)(oui >> 8), (uint8_t)oui};
    sb_hexbytes(b, o, 3, ':');
}

void sb_ipv4(struct sbuf *b, const uint8_t a[4])
{
    for (int i = 0; i < 4; i++) {
        if (i)
            sb_putc(b, '.');
        sb_u64(b, a[i]);
    }
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
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            t[o++] = '-';
        t[o++] = hexd[u[i] >> 4];
        t[o++] = hexd[u[i] & 15];
    }
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

void sb_json_esc(struct sbuf *b, const char *s, size_t n)
{
    if (!n)
        return; /* s may be NULL for an empty view */
    size_t run = 0; /* plain bytes copied in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
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

void sb_text_esc(struct sbuf *b, const char *s, size_t n)
{
    if (!n)
        return;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
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
    sb_putn(b, hms, sizeof hms);
    sb_dec0(b, usec % 1000000u, 6);
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
