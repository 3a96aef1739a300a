/* samid configuration loader (config.h, docs/SAMID-CONFIG.md).
 *
 * libconfuse parses the syntax; every leaf option is a string with a parse
 * callback that only records the line it was on, and all values are
 * converted and checked here afterwards, so every message can name the
 * file, the line and the key, and libconfuse's own conversions (strtol with
 * base 0, "yes"/"no" guessing) never decide what a value means. */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <arpa/inet.h>
#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

/* ---- value parsers (also used by preload.c and the tests) ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int samid_parse_mac(const char *s, uint8_t mac[6])
{
    if (!s || strlen(s) != 17)
        return -1;
    char sep = s[2];
    if (sep != ':' && sep != '-')
        return -1;
    for (int i = 0; i < 6; i++) {
        const char *p = s + 3 * i;
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != sep))
            return -1;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

int samid_parse_bridge_id(const char *s, struct sami_xfer_bridge_id *id)
{
    if (!s)
        return -1;
    size_t n = strlen(s);
    uint8_t b[8];
    if (n == 16) {
        for (int i = 0; i < 8; i++) {
            int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            b[i] = (uint8_t)(hi << 4 | lo);
        }
    } else if (n == 22 && s[4] == ':') {
        for (int i = 0; i < 2; i++) {
            int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return -1;
            b[i] = (uint8_t)(hi << 4 | lo);
        }
        if (samid_parse_mac(s + 5, b + 2) != 0)
            return -1;
    } else {
        return -1;
    }
    id->priority = (uint16_t)(b[0] << 8 | b[1]);
    memcpy(id->mac, b + 2, 6);
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil idea; timegm is not POSIX). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int samid_parse_rfc3339(const char *s, int64_t *unix_s)
{
    /* YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM) */
    int Y, M, D, h, m, sec, oh = 0, om = 0;
    if (!s || strlen(s) < 20)
        return -1;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++; /* sub-second precision is more than key validity needs */
    }
    int sign = 0;
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == 0) {
        sign = 0;
    } else if ((p[0] == '+' || p[0] == '-') && strlen(p) == 6 && !digits(p + 1, 2, &oh) &&
               p[3] == ':' && !digits(p + 4, 2, &om)) {
        sign = p[0] == '+' ? 1 : -1;
    } else {
        return -1;
    }
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || (M == 2 && D == 29 && !leap) || h > 23 ||
        m > 59 || sec > 60 || oh > 23 || om > 59)
        return -1;
    if (sec == 60)
        sec = 59; /* a leap second: close enough for a validity bound */
    int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec;
    *unix_s = t - sign * (oh * 3600 + om * 60);
    return 0;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Strict base64 (standard or URL-safe alphabet, padding optional): the
 * unused low bits of the last character must be zero, so a word that only
 * happens to use base64 letters is usually refused. */
static int b64_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    while (n && s[n - 1] == '=')
        n--;
    size_t pad = strlen(s) - n;
    if (pad > 2 || n % 4 == 1 || (pad && (n + pad) % 4 != 0))
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -2;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1u))
        return -1;
    *len = o;
    return 0;
}

static int hex_decode(const char *s, uint8_t *out, size_t cap, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (hexval((unsigned char)s[i]) < 0)
            return -1;
    if (n / 2 > cap)
        return -2;
    for (size_t i = 0; i < n / 2; i++)
        out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
    *len = n / 2;
    return 0;
}

static int all_of(const char *s, int (*cls)(int))
{
    for (; *s; s++)
        if (!cls((unsigned char)*s))
            return 0;
    return 1;
}

int samid_parse_secret(const char *s, uint8_t *out, size_t cap, size_t *len, const char **why)
{
    static const char *const enc = "not hex or base64 of >= 16 octets";
    *why = enc;
    if (!s || !*s)
        return -1;
    const char *body = s;
    int rc;
    if (!strncmp(s, "hex:", 4)) {
        body = s + 4;
        rc = hex_decode(body, out, cap, len);
    } else if (!strncmp(s, "base64:", 7)) {
        body = s + 7;
        rc = b64_decode(body, out, cap, len);
    } else if (all_of(s, isxdigit) && strlen(s) % 2 == 0) {
        rc = hex_decode(s, out, cap, len);
    } else {
        rc = b64_decode(s, out, cap, len);
    }
    if (rc == -2) {
        *why = "longer than 64 octets";
        return -1;
    }
    if (rc != 0 || *len < SAMI_XFER_KEY_MIN)
        return -1;
    /* Heuristics against human-chosen secrets: 16+ random octets are
     * almost never like this (each test fails random input with a
     * probability below 1e-6). */
    if (all_of(body, isdigit) || all_of(body, islower) || all_of(body, isupper)) {
        *why = "looks like a password, not random bytes (one character class only)";
        return -1;
    }
    unsigned distinct = 0;
    uint8_t seen[256] = {0};
    int printable = 1;
    for (size_t i = 0; i < *len; i++) {
        distinct += !seen[out[i]];
        seen[out[i]] = 1;
        printable &= out[i] >= 0x20 && out[i] < 0x7f;
    }
    if (distinct < *len / 2) {
        *why = "looks like a pattern, not random bytes (too many repeated octets)";
        return -1;
    }
    if (printable) {
        *why = "decodes to printable text: an encoded password, not random bytes";
        return -1;
    }
    return 0;
}

/* ---- libconfuse glue: where every value was ---- */

struct line_ent {
    const cfg_t *sec;
    const char *name; /* NULL: the section itself (the line of its '{') */
    unsigned idx;
    int line;
};

struct ctx {
    const char *path;
    char *err;
    size_t errlen;
    int failed;
    struct line_ent *lines;
    size_t n_lines, cap_lines;
    struct samid_config *out;
    /* from our own scan of the text: the line of every section's '{', in
     * file order, and of the first '{' never closed (0: none) */
    int *open_lines;
    size_t n_open, next_open;
    int unclosed_line;
    const char *scan_error; /* a quote or comment never closed, a NUL */
    int scan_error_line;
};

/* libconfuse callbacks carry no user pointer; its scanner is global, so a
 * load is single-threaded anyway. */
static _Thread_local struct ctx *cur;

static int line_of(const struct ctx *c, const cfg_t *sec, const char *name, unsigned idx)
{
    for (size_t i = 0; i < c->n_lines; i++) {
        const struct line_ent *e = &c->lines[i];
        if (e->sec == sec && e->idx == idx &&
            (name ? e->name && !strcmp(e->name, name) : e->name == NULL))
            return e->line;
    }
    return 0;
}

static int note_line(struct ctx *c, const cfg_t *sec, const char *name, unsigned idx, int line)
{
    for (size_t i = 0; i < c->n_lines; i++) {
        struct line_ent *e = &c->lines[i];
        if (e->sec == sec && e->idx == idx &&
            (name ? e->name && !strcmp(e->name, name) : e->name == NULL)) {
            e->line = line;
            return 0;
        }
    }
    if (c->n_lines == c->cap_lines) {
        size_t ncap = c->cap_lines ? 2 * c->cap_lines : 64;
        struct line_ent *n = realloc(c->lines, ncap * sizeof *n);
        if (!n)
            return -1;
        c->lines = n;
        c->cap_lines = ncap;
    }
    c->lines[c->n_lines++] = (struct line_ent){sec, name, idx, line};
    return 0;
}

/* "key 2", "downlink eth1", "transfer", "" for the top level. */
static void describe(const cfg_t *sec, char *buf, size_t n)
{
    if (!sec || !sec->name || !strcmp(sec->name, "root")) {
        buf[0] = 0;
        return;
    }
    if (sec->title)
        snprintf(buf, n, "%s %s", sec->name, sec->title);
    else
        snprintf(buf, n, "%s", sec->name);
}

/* A value quoted in a message may hold newlines or other control octets
 * (libconfuse passes quoted strings through): escape them so that every
 * problem stays one "FILE:LINE: ..." line, as --check-config promises. */
static void one_line(char *dst, size_t n, const char *src)
{
    size_t o = 0;
    for (; *src && o + 1 < n; src++) {
        unsigned char ch = (unsigned char)*src;
        if (ch >= 0x20 && ch != 0x7f) {
            dst[o++] = (char)ch;
            continue;
        }
        char esc[5];
        if (ch == '\n')
            memcpy(esc, "\\n", 3);
        else if (ch == '\t')
            memcpy(esc, "\\t", 3);
        else
            snprintf(esc, sizeof esc, "\\x%02x", ch);
        size_t k = strlen(esc);
        if (o + k + 1 > n)
            break;
        memcpy(dst + o, esc, k);
        o += k;
    }
    dst[o] = 0;
}

static void verr(struct ctx *c, int line, const cfg_t *sec, const char *key, const char *fmt,
                 va_list ap)
{
    if (c->failed)
        return;
    c->failed = 1;
    if (!c->err || !c->errlen)
        return;
    char where[160], raw[512], msg[1024], at[32] = "";
    describe(sec, where, sizeof where);
    vsnprintf(raw, sizeof raw, fmt, ap);
    one_line(msg, sizeof msg, raw);
    if (line > 0)
        snprintf(at, sizeof at, ":%d", line);
    if (key && where[0])
        snprintf(c->err, c->errlen, "%s%s: key '%s' in %s: %s", c->path, at, key, where, msg);
    else if (key)
        snprintf(c->err, c->errlen, "%s%s: key '%s': %s", c->path, at, key, msg);
    else if (where[0])
        snprintf(c->err, c->errlen, "%s%s: %s: %s", c->path, at, where, msg);
    else
        snprintf(c->err, c->errlen, "%s%s: %s", c->path, at, msg);
}

/* A problem with one value: at the value's line. */
__attribute__((format(printf, 4, 5))) static int bad(struct ctx *c, const cfg_t *sec,
                                                     const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, line_of(c, sec, key, 0), sec, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* A problem with one element of a list. */
__attribute__((format(printf, 5, 6))) static int bad_at(struct ctx *c, const cfg_t *sec,
                                                        const char *key, unsigned idx,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, line_of(c, sec, key, idx), sec, key, fmt, ap);
    va_end(ap);
    return -1;
}

/* A problem with a whole section: at the line of its '{'. */
__attribute__((format(printf, 3, 4))) static int bad_sec(struct ctx *c, const cfg_t *sec,
                                                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, line_of(c, sec, NULL, 0), sec, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

/* A problem at a given line (key may be NULL). */
__attribute__((format(printf, 5, 6))) static int bad_line(struct ctx *c, int line,
                                                          const cfg_t *sec, const char *key,
                                                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verr(c, line, sec, key, fmt, ap);
    va_end(ap);
    return -1;
}

static void on_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
    struct ctx *c = cur;
    if (!c || c->failed)
        return;
    c->failed = 1;
    if (!c->err || !c->errlen)
        return;
    /* libconfuse's messages name the option themselves ("no such option
     * 'x'"); the section and line come from its parser state. */
    char raw[512], msg[1024], where[160], at[32] = "";
    vsnprintf(raw, sizeof raw, fmt, ap);
    one_line(msg, sizeof msg, raw);
    describe(cfg, where, sizeof where);
    if (cfg && cfg->line > 0)
        snprintf(at, sizeof at, ":%d", cfg->line);
    snprintf(c->err, c->errlen, "%s%s: %s%s%s%s", c->path, at, where[0] ? "in " : "", where,
             where[0] ? ": " : "", msg);
}

static int on_value(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
    struct ctx *c = cur;
    *(const char **)result = value;
    if (!c)
        return 0;
    unsigned idx = opt->nvalues ? opt->nvalues - 1 : 0;
    if (!(opt->flags & CFGF_LIST)) {
        /* libconfuse would keep the last value silently */
        int first = line_of(c, cfg, opt->name, 0);
        if (first > 0)
            return bad_line(c, cfg->line, cfg, opt->name, "given twice (first at line %d)", first);
    }
    if (note_line(c, cfg, opt->name, idx, cfg->line)) {
        cfg_error(cfg, "out of memory");
        return -1;
    }
    return 0;
}

/* Called when a section closes (sections sit only at the top level, so
 * they close in the order they open): its line is the line of its '{' from
 * our scan; libconfuse keeps only the line it is at. */
static int on_section(cfg_t *cfg, cfg_opt_t *opt)
{
    unsigned n = cfg_opt_size(opt);
    cfg_t *sec = n ? cfg_opt_getnsec(opt, n - 1) : NULL;
    if (!cur || !sec)
        return 0;
    int line = cur->next_open < cur->n_open ? cur->open_lines[cur->next_open++] : sec->line;
    if (note_line(cur, sec, NULL, 0, line)) {
        cfg_error(cfg, "out of memory");
        return -1;
    }
    return 0;
}


#define STR(name) CFG_STR_CB(name, NULL, CFGF_NODEFAULT, on_value)
#define LIST(name) CFG_STR_LIST_CB(name, NULL, CFGF_NODEFAULT, on_value)

static cfg_opt_t bridge_opts[] = {STR("id"), STR("name"), STR("chassis-id"), STR("oui"), CFG_END()};
static cfg_opt_t downlink_opts[] = {STR("mode"), STR("r"),      STR("rte"),
                                    STR("rwd"),  STR("rka"),    STR("max-vsis"),
                                    STR("policy"), LIST("accept-types"), STR("pvid"),
                                    STR("dhcp-snooping"), STR("lldp"), STR("group-id"),
                                    CFG_END()};
static cfg_opt_t transfer_opts[] = {STR("listen"), STR("port"),      STR("binding"),
                                    STR("mtu"),    STR("interface"), STR("advertise"),
                                    CFG_END()};
static cfg_opt_t peer_opts[] = {STR("address"), STR("chassis-id"), STR("name"), CFG_END()};
static cfg_opt_t key_opts[] = {STR("secret"), STR("not-before"), STR("not-after"), STR("tx"),
                               CFG_END()};
static cfg_opt_t limits_opts[] = {STR("records-per-migration"), STR("records-total"),
                                  STR("migrations"), STR("vsis-per-port"), STR("pending-frames"),
                                  STR("migrations-per-port"), CFG_END()};
static cfg_opt_t deadlines_opts[] = {STR("prepare"), STR("commit"), STR("activate"),
                                     STR("purge"),   STR("margin"), STR("resolve"), CFG_END()};
static cfg_opt_t store_opts[] = {STR("preload"), STR("max-records"), CFG_END()};
static cfg_opt_t log_opts[] = {STR("level"), CFG_END()};
static cfg_opt_t control_opts[] = {STR("socket"), CFG_END()};

#define TITLED (CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES)

static const char *const section_names[] = {"bridge", "downlink", "transfer", "peer",
                                            "key",    "limits",   "deadlines", "store",
                                            "log",    "control"};

/* ---- comments ---- */

/* Blanks out every comment (# and // to the end of the line, / * ... * /),
 * keeping newlines and quoted strings, with the rules of libconfuse's
 * scanner; and notes the line of each section's '{' (one not after '=' or
 * '+=', which open lists) and of the first '{' never closed. Why:
 * libconfuse 3.3 counts a comment's line two or three times (lexer.l: qput()
 * and qend() both count a line the newline rule counts again), refuses
 * comments inside lists, keeps no line for a section's header, and takes the
 * end of the file for the end of every open section. */
static int scan_text(struct ctx *c, char *t, size_t n)
{
    enum { CODE, DQ, SQ, LINE, BLOCK } st = CODE;
    int line = 1, stack[64], opened_at = 0;
    size_t depth = 0;
    char last = 0; /* last character of code outside strings */
    for (size_t i = 0; i < n; i++) {
        char ch = t[i], next = i + 1 < n ? t[i + 1] : 0;
        if (ch == '\n')
            line++;
        if (ch == 0) { /* the scanner would stop there */
            c->scan_error = "a NUL octet: this is not a text file";
            c->scan_error_line = line;
            return 0;
        }
        switch (st) {
        case CODE:
            if (ch == '"' || ch == '\'') {
                st = ch == '"' ? DQ : SQ;
                last = ch;
                opened_at = line;
            } else if (ch == '#' || (ch == '/' && next == '/')) {
                st = LINE;
                t[i] = ' ';
            } else if (ch == '/' && next == '*') {
                st = BLOCK;
                t[i] = ' ';
                opened_at = line;
            } else if (ch == '{') {
                if (last != '=') {
                    int *nl = realloc(c->open_lines, (c->n_open + 1) * sizeof *nl);
                    if (!nl)
                        return -1;
                    c->open_lines = nl;
                    c->open_lines[c->n_open++] = line;
                }
                if (depth < sizeof stack / sizeof stack[0])
                    stack[depth] = line;
                depth++;
                last = ch;
            } else if (ch == '}') {
                if (depth)
                    depth--;
                last = ch;
            } else if (!isspace((unsigned char)ch)) {
                last = ch;
            }
            break;
        case DQ:
        case SQ:
            if (ch == '\\' && i + 1 < n) {
                if (t[++i] == '\n') /* an escaped newline still ends a line */
                    line++;
            } else if (ch == (st == DQ ? '"' : '\'')) {
                st = CODE;
            }
            break;
        case LINE:
            if (ch == '\n')
                st = CODE;
            else
                t[i] = ' ';
            break;
        case BLOCK:
            if (ch == '*' && next == '/') {
                t[i] = t[i + 1] = ' ';
                i++;
                st = CODE;
            } else if (ch != '\n') {
                t[i] = ' ';
            }
            break;
        }
    }
    c->unclosed_line = depth ? stack[0] : 0;
    if (st == DQ || st == SQ || st == BLOCK) {
        /* libconfuse would say "premature end of file", or for a comment
         * take the rest of the file silently */
        c->scan_error = st == BLOCK ? "this comment is never closed" : "this quote is never closed";
        c->scan_error_line = opened_at;
    }
    return 0;
}

#define SAMID_CONFIG_MAX (4u << 20) /* a configuration file is small */

/* The whole file, NUL-terminated; NULL with errno set on failure. */
static char *read_config(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *t = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            if (cap >= SAMID_CONFIG_MAX) {
                errno = EFBIG;
                break;
            }
            cap = cap ? cap * 2 : 16384;
            char *nt = realloc(t, cap + 1);
            if (!nt)
                break;
            t = nt;
        }
        size_t got = fread(t + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (!ferror(f)) {
                fclose(f);
                t[n] = 0;
                *len = n;
                return t;
            }
            break;
        }
    }
    int e = errno ? errno : EIO;
    fclose(f);
    free(t);
    errno = e;
    return NULL;
}

/* ---- value helpers ---- */

static const char *get(struct ctx *c, cfg_t *sec, const char *key)
{
    (void)c;
    return cfg_size(sec, key) ? cfg_getstr(sec, key) : NULL;
}

/* Decimal (or 0x hex) unsigned integer in [lo, hi]. */
static int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
        return -1;
    char *end;
    errno = 0;
    int base = (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) ? 16 : 10;
    unsigned long long v = strtoull(s, &end, base);
    if (errno || *end || end == s || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int opt_u32(struct ctx *c, cfg_t *sec, const char *key, uint32_t lo, uint32_t hi,
                   uint32_t *out)
{
    const char *s = get(c, sec, key);
    uint64_t v;
    if (!s)
        return 0; /* keep the default */
    if (parse_u64(s, lo, hi, &v))
        return bad(c, sec, key, "'%s' is not a whole number in %lu..%lu", s, (unsigned long)lo,
                   (unsigned long)hi);
    *out = (uint32_t)v;
    return 0;
}

static int opt_bool(struct ctx *c, cfg_t *sec, const char *key, int *out)
{
    const char *s = get(c, sec, key);
    if (!s)
        return 0;
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
        *out = 0;
    else
        return bad(c, sec, key, "'%s' is not true or false", s);
    return 0;
}

static int opt_mac(struct ctx *c, cfg_t *sec, const char *key, uint8_t mac[6], int *given)
{
    const char *s = get(c, sec, key);
    *given = s != NULL;
    if (!s)
        return 0;
    if (samid_parse_mac(s, mac))
        return bad(c, sec, key, "'%s' is not a MAC address (02:53:4d:00:00:01)", s);
    if (mac[0] & 1)
        return bad(c, sec, key, "%s is a multicast MAC: a chassis id is a unicast MAC", s);
    static const uint8_t zero[6];
    if (!memcmp(mac, zero, 6))
        return bad(c, sec, key, "the all-zero MAC names no bridge");
    return 0;
}

static int check_ifname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SAMID_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return -1;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == ':' || isspace((unsigned char)*p) || !isprint((unsigned char)*p))
            return -1;
    return 0;
}

static int check_name(struct ctx *c, cfg_t *sec, const char *key, char *dst)
{
    const char *s = get(c, sec, key);
    if (!s)
        return 0;
    if (strlen(s) > SAMID_NAME_MAX)
        return bad(c, sec, key, "longer than %d octets", SAMID_NAME_MAX);
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return bad(c, sec, key, "control characters are not allowed");
    strcpy(dst, s);
    return 0;
}

static int same_id(const struct sami_xfer_bridge_id *a, const struct sami_xfer_bridge_id *b)
{
    return a->priority == b->priority && !memcmp(a->mac, b->mac, 6);
}

static char *xstrdup(struct ctx *c, const char *s)
{
    char *d = strdup(s);
    if (!d)
        bad_sec(c, NULL, "out of memory");
    return d;
}

static int warn(struct ctx *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int warn(struct ctx *c, int line, const char *fmt, ...)
{
    struct samid_config *o = c->out;
    char raw[512], msg[1024], full[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    one_line(msg, sizeof msg, raw);
    if (line > 0)
        snprintf(full, sizeof full, "%s:%d: %s", c->path, line, msg);
    else
        snprintf(full, sizeof full, "%s: %s", c->path, msg);
    char **w = realloc(o->warnings, (o->n_warnings + 1) * sizeof *w);
    if (!w)
        return bad_sec(c, NULL, "out of memory");
    o->warnings = w;
    if (!(w[o->n_warnings] = strdup(full)))
        return bad_sec(c, NULL, "out of memory");
    o->n_warnings++;
    return 0;
}

/* ---- sections ---- */

static int load_bridge(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    cfg_t *sec = cfg_getsec(root, "bridge");
    const char *id = get(c, sec, "id");
    if (!id)
        return bad(c, sec, "id", "missing: every bridge needs its bridge id "
                                 "(priority:MAC, e.g. 8000:02:53:4d:00:00:01)");
    if (samid_parse_bridge_id(id, &o->bridge.id))
        return bad(c, sec, "id",
                   "'%s' is not a bridge id (priority:MAC as 8000:02:53:4d:00:00:01, or 16 hex digits)",
                   id);
    static const uint8_t zero[6];
    if ((o->bridge.id.mac[0] & 1) || !memcmp(o->bridge.id.mac, zero, 6))
        return bad(c, sec, "id", "the MAC of a bridge id must be a unicast, non-zero MAC");
    if (check_name(c, sec, "name", o->bridge.name))
        return -1;
    int given;
    if (opt_mac(c, sec, "chassis-id", o->bridge.chassis_id, &given))
        return -1;
    if (!given)
        memcpy(o->bridge.chassis_id, o->bridge.id.mac, 6);
    const char *oui = get(c, sec, "oui");
    if (oui) {
        char hex[7];
        size_t n = strlen(oui), k = 0;
        int ok = n == 6 || (n == 8 && oui[2] == oui[5] && (oui[2] == '-' || oui[2] == ':'));
        for (size_t i = 0; ok && i < n; i++) {
            if (n == 8 && (i == 2 || i == 5))
                continue;
            if (hexval((unsigned char)oui[i]) < 0)
                ok = 0;
            else
                hex[k++] = oui[i];
        }
        if (!ok)
            return bad(c, sec, "oui", "'%s' is not an OUI (0A-53-4D)", oui);
        for (int i = 0; i < 3; i++)
            o->bridge.oui[i] = (uint8_t)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    }
    return 0;
}

static int load_downlinks(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    unsigned n = cfg_size(root, "downlink");
    if (n == 0)
        return bad_sec(c, NULL, "no downlink section: samid needs at least one station-facing "
                                "port (downlink \"eth1\" { ... })");
    if (n > SAMID_MAX_DOWNLINKS)
        return bad_sec(c, cfg_getnsec(root, "downlink", SAMID_MAX_DOWNLINKS),
                       "more than %d downlinks", SAMID_MAX_DOWNLINKS);
    o->downlinks = calloc(n, sizeof *o->downlinks);
    if (!o->downlinks)
        return bad_sec(c, NULL, "out of memory");
    o->n_downlinks = n;
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(root, "downlink", i);
        struct samid_downlink *d = &o->downlinks[i];
        d->line = line_of(c, sec, NULL, 0);
        const char *ifn = cfg_title(sec);
        if (!ifn || check_ifname(ifn))
            return bad_sec(c, sec, "'%s' is not an interface name (1..%d characters, no '/', ':' "
                                   "or spaces)", ifn ? ifn : "", SAMID_IFNAME_MAX);
        strcpy(d->ifname, ifn);
        const char *mode = get(c, sec, "mode");
        if (mode && strcmp(mode, "station-facing"))
            return bad(c, sec, "mode", "'%s': only station-facing (hypervisors behind the port) "
                                       "is supported", mode);
        sami_vdp_sm_params_default(&d->vdp);
        uint32_t r = d->vdp.r, rte = d->vdp.rte, rwd = d->vdp.rwd, rka = d->vdp.rka;
        if (opt_u32(c, sec, "r", 0, SAMI_ECP_ENGINE_MAX_R, &r) ||
            opt_u32(c, sec, "rte", 0, 31, &rte) || opt_u32(c, sec, "rwd", 0, 31, &rwd) ||
            opt_u32(c, sec, "rka", 0, 31, &rka))
            return -1;
        d->vdp.r = (uint8_t)r;
        d->vdp.rte = (uint8_t)rte;
        d->vdp.rwd = (uint8_t)rwd;
        d->vdp.rka = (uint8_t)rka;
        d->max_vsis = o->limits.vsis_per_port;
        if (opt_u32(c, sec, "max-vsis", 1, 65535, &d->max_vsis))
            return -1;
        if (d->max_vsis > o->limits.vsis_per_port)
            return bad(c, sec, "max-vsis", "%u is above limits.vsis-per-port (%u)", d->max_vsis,
                       o->limits.vsis_per_port);

        const char *pol = get(c, sec, "policy");
        unsigned nt = cfg_size(sec, "accept-types");
        if (!pol) {
            d->policy = SAMID_POLICY_REJECT_ALL;
            if (warn(c, d->line,
                     "downlink %s: no policy: every VSI association on it is refused "
                     "(reject-all); set policy = accept-all or accept-list",
                     d->ifname))
                return -1;
        } else if (!strcmp(pol, "reject-all")) {
            d->policy = SAMID_POLICY_REJECT_ALL;
        } else if (!strcmp(pol, "accept-all")) {
            d->policy = SAMID_POLICY_ACCEPT_ALL;
        } else if (!strcmp(pol, "accept-list")) {
            d->policy = SAMID_POLICY_ACCEPT_LIST;
        } else {
            return bad(c, sec, "policy", "'%s' is not accept-all, accept-list or reject-all", pol);
        }
        if (d->policy == SAMID_POLICY_ACCEPT_LIST && nt == 0)
            return bad(c, sec, "policy", "accept-list needs accept-types = { TYPE-ID, ... }");
        if (d->policy != SAMID_POLICY_ACCEPT_LIST && nt > 0)
            return bad_at(c, sec, "accept-types", 0, "only used with policy = accept-list");
        if (nt > SAMID_MAX_ACCEPT_TYPES)
            return bad_at(c, sec, "accept-types", SAMID_MAX_ACCEPT_TYPES, "more than %d types",
                          SAMID_MAX_ACCEPT_TYPES);
        if (nt) {
            d->accept_types = calloc(nt, sizeof *d->accept_types);
            if (!d->accept_types)
                return bad_sec(c, NULL, "out of memory");
        }
        for (unsigned k = 0; k < nt; k++) {
            const char *s = cfg_getnstr(sec, "accept-types", k);
            uint64_t v;
            if (parse_u64(s, 0, 0xffffff, &v))
                return bad_at(c, sec, "accept-types", k,
                              "'%s' is not a VSI type id (0..16777215, or 0x hex)", s);
            d->accept_types[d->n_accept_types++] = (uint32_t)v;
        }
        /* The VLAN untagged frames belong to: DHCP snooping files a binding
         * learned from an untagged frame under it. */
        d->pvid = 1;
        d->dhcp_snooping = 1;
        d->lldp = 1;
        /* Group IDs cost nothing here (the VDP bridge takes all four filter
         * formats); a station uses them only when it sets SGID as well. */
        d->group_id = 1;
        if (opt_u32(c, sec, "pvid", 0, 4094, &d->pvid) ||
            opt_bool(c, sec, "dhcp-snooping", &d->dhcp_snooping) ||
            opt_bool(c, sec, "lldp", &d->lldp) || opt_bool(c, sec, "group-id", &d->group_id))
            return -1;
    }
    return 0;
}

static int parse_listen(const char *s, char **out)
{
    char buf[INET6_ADDRSTRLEN + 2];
    size_t n = strlen(s);
    if (n >= sizeof buf)
        return -1;
    /* "[::1]" is tolerated: it is how addresses with ports are written */
    if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
        memcpy(buf, s + 1, n - 2);
        buf[n - 2] = 0;
    } else {
        strcpy(buf, s);
    }
    unsigned char a[16];
    if (inet_pton(AF_INET, buf, a) != 1 && inet_pton(AF_INET6, buf, a) != 1)
        return -1;
    *out = strdup(buf);
    return *out ? 0 : -2;
}

static int load_transfer(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    cfg_t *sec = cfg_getsec(root, "transfer");
    const char *s = get(c, sec, "listen");
    int rc = parse_listen(s ? s : "::", &o->transfer.listen);
    if (rc == -2)
        return bad_sec(c, NULL, "out of memory");
    if (rc)
        return bad(c, sec, "listen", "'%s' is not an IPv4 or IPv6 address (a name is not "
                                     "allowed: use 0.0.0.0 or :: for every address)", s);
    uint32_t port = SAMID_DEFAULT_PORT;
    if (opt_u32(c, sec, "port", 1, 65535, &port))
        return -1;
    o->transfer.port = (uint16_t)port;
    s = get(c, sec, "binding");
    if (!s || !strcmp(s, "tcp"))
        o->transfer.binding = SAMI_XFER_BIND_STREAM;
    else if (!strcmp(s, "l2"))
        o->transfer.binding = SAMI_XFER_BIND_L2;
    else
        return bad(c, sec, "binding", "'%s' is not tcp or l2", s);
    if (opt_u32(c, sec, "mtu", 128, 1500, &o->transfer.mtu))
        return -1;
    s = get(c, sec, "interface");
    if (s) {
        if (check_ifname(s))
            return bad(c, sec, "interface", "'%s' is not an interface name", s);
        strcpy(o->transfer.interface, s);
    }
    /* What LLDP advertises as the transfer endpoint: an unspecified listen
     * address names no endpoint, so it needs saying. */
    s = get(c, sec, "advertise");
    if (s) {
        rc = parse_listen(s, &o->transfer.advertise);
        if (rc == -2)
            return bad_sec(c, NULL, "out of memory");
        if (rc)
            return bad(c, sec, "advertise", "'%s' is not an IPv4 or IPv6 address", s);
    }
    return 0;
}

/* HOST:PORT, [IPV6]:PORT; the port defaults to 5757 when there is none. */
static int parse_hostport(const char *s, char **host, uint16_t *port, const char **why)
{
    const char *h = s, *p = NULL;
    size_t hl;
    if (s[0] == '[') {
        const char *e = strchr(s, ']');
        if (!e) {
            *why = "no closing ']'";
            return -1;
        }
        h = s + 1;
        hl = (size_t)(e - h);
        if (e[1] == ':')
            p = e + 2;
        else if (e[1]) {
            *why = "expected ':PORT' after ']'";
            return -1;
        }
        char buf[INET6_ADDRSTRLEN];
        unsigned char a[16];
        if (hl == 0 || hl >= sizeof buf) {
            *why = "not an IPv6 address in brackets";
            return -1;
        }
        memcpy(buf, h, hl);
        buf[hl] = 0;
        if (inet_pton(AF_INET6, buf, a) != 1) {
            *why = "not an IPv6 address in brackets";
            return -1;
        }
    } else {
        const char *colon = strchr(s, ':');
        if (colon && strchr(colon + 1, ':')) {
            *why = "an IPv6 address goes in brackets: [2001:db8::2]:5757";
            return -1;
        }
        hl = colon ? (size_t)(colon - s) : strlen(s);
        p = colon ? colon + 1 : NULL;
        if (hl == 0 || hl > 253) {
            *why = "no host";
            return -1;
        }
        for (size_t i = 0; i < hl; i++)
            if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-') {
                *why = "not a host name or IPv4 address";
                return -1;
            }
    }
    uint64_t v = SAMID_DEFAULT_PORT;
    if (p && parse_u64(p, 1, 65535, &v)) {
        *why = "the port is not a number in 1..65535";
        return -1;
    }
    *port = (uint16_t)v;
    *host = strndup(h, hl);
    if (!*host) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

static int load_peers(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    unsigned n = cfg_size(root, "peer");
    if (n > SAMID_MAX_PEERS)
        return bad_sec(c, cfg_getnsec(root, "peer", SAMID_MAX_PEERS), "more than %d peers",
                       SAMID_MAX_PEERS);
    if (n) {
        o->peers = calloc(n, sizeof *o->peers);
        if (!o->peers)
            return bad_sec(c, NULL, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(root, "peer", i);
        struct samid_peer *p = &o->peers[i];
        o->n_peers = i + 1;
        p->line = line_of(c, sec, NULL, 0);
        const char *t = cfg_title(sec);
        if (!t || samid_parse_bridge_id(t, &p->id))
            return bad_sec(c, sec, "the title is not a bridge id (peer \"8000:02:53:4d:00:00:02\")");
        if (same_id(&p->id, &o->bridge.id))
            return bad_sec(c, sec, "this is our own bridge id (bridge.id)");
        for (unsigned k = 0; k < i; k++)
            if (same_id(&p->id, &o->peers[k].id))
                return bad_sec(c, sec, "the same bridge id as the peer at line %d",
                               o->peers[k].line);
        if (check_name(c, sec, "name", p->name))
            return -1;
        int given;
        if (opt_mac(c, sec, "chassis-id", p->chassis_id, &given))
            return -1;
        if (!given)
            memcpy(p->chassis_id, p->id.mac, 6);
        /* Notifications name bridges by chassis id only: it must pick one. */
        if (!memcmp(p->chassis_id, o->bridge.chassis_id, 6))
            return given ? bad(c, sec, "chassis-id", "our own chassis id (bridge.chassis-id)")
                         : bad_sec(c, sec, "its chassis id (the MAC of its bridge id) is our own "
                                           "chassis id: set chassis-id");
        for (unsigned k = 0; k < i; k++)
            if (!memcmp(p->chassis_id, o->peers[k].chassis_id, 6))
                return given ? bad(c, sec, "chassis-id", "also the chassis id of the peer at "
                                                         "line %d", o->peers[k].line)
                             : bad_sec(c, sec, "its chassis id is also the peer's at line %d",
                                       o->peers[k].line);

        const char *a = get(c, sec, "address");
        if (a && (!strcmp(a, "l2") || !strncmp(a, "l2:", 3))) {
            p->binding = SAMI_XFER_BIND_L2;
            if (!a[2])
                memcpy(p->l2_mac, p->id.mac, 6);
            else if (samid_parse_mac(a + 3, p->l2_mac) || (p->l2_mac[0] & 1))
                return bad(c, sec, "address", "'%s': l2:MAC needs a unicast MAC", a);
        } else if (a) {
            const char *why = "";
            p->binding = SAMI_XFER_BIND_STREAM;
            if (parse_hostport(a, &p->host, &p->port, &why))
                return bad(c, sec, "address", "'%s': %s (HOST:PORT, [IPV6]:PORT, l2 or l2:MAC)",
                           a, why);
        } else if (o->transfer.binding == SAMI_XFER_BIND_L2) {
            p->binding = SAMI_XFER_BIND_L2;
            memcpy(p->l2_mac, p->id.mac, 6);
        } else {
            return bad_sec(c, sec, "no address: TCP peers need address = \"HOST:PORT\" "
                                   "(or l2, with transfer.binding = l2)");
        }
        if (p->binding == SAMI_XFER_BIND_L2)
            o->transfer.l2_used = 1;
        else
            o->transfer.tcp_used = 1;
    }
    if (o->transfer.l2_used && !o->transfer.interface[0])
        return bad(c, cfg_getsec(root, "transfer"), "interface",
                   "missing: L2 peers need the interface transfer frames use");
    if (n == 0 && warn(c, 0, "no peer: migrations to or from other bridges will be refused"))
        return -1;
    return 0;
}

/* Secrets printed in samid.conf.example and docs/PROTOCOL.md (the test key
 * 00 01 .. 1f): public, so a configuration using one gets a warning. */
static const uint8_t public_secrets[][32] = {
    {0xaa, 0x37, 0x48, 0xd4, 0xe1, 0x5d, 0x65, 0xda, 0x06, 0xe0, 0xab, 0xf3, 0xb0, 0xb4, 0x5a, 0x95,
     0x19, 0x41, 0xdd, 0x4a, 0x36, 0x1d, 0x3f, 0x87, 0x85, 0x1e, 0x9d, 0xb8, 0x24, 0x07, 0xb7, 0xc5},
    {0xbe, 0x65, 0x61, 0x16, 0x26, 0x15, 0xe8, 0x9f, 0x66, 0x8d, 0x2c, 0xef, 0x44, 0x20, 0x9a, 0x14,
     0x40, 0x2e, 0x68, 0x8c, 0xa4, 0x3f, 0x3a, 0x12, 0x38, 0xf7, 0x18, 0xdf, 0xb7, 0x0d, 0xb3, 0x6a},
    {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
     0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f}};

static int load_keys(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    unsigned n = cfg_size(root, "key");
    if (n == 0) {
        if (o->n_peers)
            return bad_sec(c, NULL, "no key section: transfers with peers are authenticated "
                                    "(key 1 { secret = ... })");
        return 0;
    }
    int tx_line = 0;
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(root, "key", i);
        if (i >= SAMI_XFER_MAX_KEYS)
            return bad_sec(c, sec, "a third key: at most %d (the one in use, and its successor "
                                   "during a key roll)", SAMI_XFER_MAX_KEYS);
        struct samid_key *k = &o->keys[i];
        o->n_keys = i + 1;
        k->line = line_of(c, sec, NULL, 0);
        const char *t = cfg_title(sec);
        uint64_t id;
        if (!t || parse_u64(t, 1, 65535, &id))
            return bad_sec(c, sec, "the key id (title) must be a number in 1..65535");
        k->key.id = (uint16_t)id;
        for (unsigned j = 0; j < i; j++)
            if (o->keys[j].key.id == k->key.id)
                return bad_sec(c, sec, "duplicate key id %u (also the key at line %d)",
                               k->key.id, o->keys[j].line);
        const char *s = get(c, sec, "secret");
        if (!s)
            return bad_sec(c, sec, "no secret (secret = 64 hex digits or base64 of 32 random "
                                   "octets)");
        size_t len = 0;
        const char *why = NULL;
        if (samid_parse_secret(s, k->key.bytes, sizeof k->key.bytes, &len, &why))
            return bad(c, sec, "secret", "%s (make one with: head -c 32 /dev/urandom | od -An "
                                         "-tx1 | tr -d ' \\n')", why);
        k->key.len = (uint8_t)len;
        for (size_t j = 0; j < sizeof public_secrets / sizeof public_secrets[0]; j++)
            if (len == 32 && !memcmp(k->key.bytes, public_secrets[j], 32) &&
                warn(c, line_of(c, sec, "secret", 0),
                     "key %u: this secret is published (an example or test key): make your own",
                     k->key.id))
                return -1;
        for (unsigned j = 0; j < i; j++)
            if (o->keys[j].key.len == k->key.len &&
                !memcmp(o->keys[j].key.bytes, k->key.bytes, k->key.len))
                return bad(c, sec, "secret", "the same secret as key %u: a new key needs new "
                                             "random octets", o->keys[j].key.id);
        const char *nb = get(c, sec, "not-before"), *na = get(c, sec, "not-after");
        if (nb) {
            if (samid_parse_rfc3339(nb, &k->not_before))
                return bad(c, sec, "not-before", "'%s' is not an RFC 3339 time "
                                                 "(2026-01-01T00:00:00Z)", nb);
            k->has_not_before = 1;
        }
        if (na) {
            if (samid_parse_rfc3339(na, &k->not_after))
                return bad(c, sec, "not-after", "'%s' is not an RFC 3339 time "
                                                "(2026-01-01T00:00:00Z)", na);
            k->has_not_after = 1;
        }
        if (nb && na && k->not_after <= k->not_before)
            return bad(c, sec, "not-after", "not after not-before: the key would never be valid");
        if (opt_bool(c, sec, "tx", &k->tx))
            return -1;
        if (k->tx) {
            if (tx_line)
                return bad(c, sec, "tx", "key %u is already the tx key (line %d): only one "
                                         "key signs what this bridge sends",
                           o->tx_key_id, tx_line);
            tx_line = line_of(c, sec, "tx", 0);
            o->tx_key_id = k->key.id;
        }
    }
    if (!o->tx_key_id) {
        if (o->n_keys == 1) {
            o->keys[0].tx = 1;
            o->tx_key_id = o->keys[0].key.id;
        } else {
            return bad_sec(c, cfg_getnsec(root, "key", 1),
                           "two keys and neither has tx = true: say which one signs");
        }
    }
    return 0;
}

static int load_rest(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    cfg_t *sec = cfg_getsec(root, "deadlines");
    if (opt_u32(c, sec, "prepare", 1, 86400000, &o->deadlines.prepare_ms) ||
        opt_u32(c, sec, "commit", 1, 86400000, &o->deadlines.commit_ms) ||
        opt_u32(c, sec, "activate", 1, 86400000, &o->deadlines.activate_ms) ||
        opt_u32(c, sec, "purge", 1, 86400000, &o->deadlines.purge_ms) ||
        opt_u32(c, sec, "margin", 0, 600000, &o->deadlines.margin_ms) ||
        opt_u32(c, sec, "resolve", 1000, 86400000, &o->deadlines.resolve_ms))
        return -1;

    sec = cfg_getsec(root, "store");
    const char *s = get(c, sec, "preload");
    if (s) {
        if (!*s)
            return bad(c, sec, "preload", "empty path");
        const char *slash = strrchr(c->path, '/');
        if (s[0] == '/' || !slash) {
            o->preload = xstrdup(c, s);
        } else {
            size_t dl = (size_t)(slash - c->path) + 1;
            o->preload = malloc(dl + strlen(s) + 1);
            if (o->preload) {
                memcpy(o->preload, c->path, dl);
                strcpy(o->preload + dl, s);
            } else {
                bad_sec(c, NULL, "out of memory");
            }
        }
        if (!o->preload)
            return -1;
    }

    if (opt_u32(c, cfg_getsec(root, "store"), "max-records", 0, 1000000000,
                &o->store_max_records))
        return -1;

    sec = cfg_getsec(root, "log");
    s = get(c, sec, "level");
    if (s) {
        static const char *const lv[] = {"error", "warn", "info", "debug"};
        o->log_level = -1;
        for (int i = 0; i < 4; i++)
            if (!strcmp(s, lv[i]))
                o->log_level = i;
        if (o->log_level < 0)
            return bad(c, sec, "level", "'%s' is not error, warn, info or debug", s);
    }

    sec = cfg_getsec(root, "control");
    s = get(c, sec, "socket");
    if (s) {
        struct sockaddr_un sa;
        if (s[0] != '/')
            return bad(c, sec, "socket", "'%s' is not an absolute path", s);
        if (strlen(s) >= sizeof sa.sun_path)
            return bad(c, sec, "socket", "longer than %zu octets (a Unix socket path limit)",
                       sizeof sa.sun_path - 1);
    }
    o->control_socket = xstrdup(c, s ? s : SAMID_DEFAULT_CONTROL_SOCKET);
    return o->control_socket ? 0 : -1;
}

static int load_limits(struct ctx *c, cfg_t *root)
{
    struct samid_config *o = c->out;
    cfg_t *sec = cfg_getsec(root, "limits");
    if (opt_u32(c, sec, "records-per-migration", 1, 100000000, &o->limits.records_per_migration) ||
        opt_u32(c, sec, "records-total", 1, 1000000000, &o->limits.records_total) ||
        opt_u32(c, sec, "migrations", 1, 65535, &o->limits.migrations) ||
        opt_u32(c, sec, "vsis-per-port", 1, 65535, &o->limits.vsis_per_port) ||
        opt_u32(c, sec, "pending-frames", 1, 65535, &o->limits.pending_frames))
        return -1;
    if (!get(c, sec, "migrations-per-port")) {
        if (o->limits.migrations_per_port > o->limits.migrations)
            o->limits.migrations_per_port = o->limits.migrations;
    } else if (opt_u32(c, sec, "migrations-per-port", 1, 65535, &o->limits.migrations_per_port)) {
        return -1;
    } else if (o->limits.migrations_per_port > o->limits.migrations) {
        return bad(c, sec, "migrations-per-port", "%u is above limits.migrations (%u)",
                   o->limits.migrations_per_port, o->limits.migrations);
    }
    if (o->limits.records_total < o->limits.records_per_migration)
        return bad(c, sec, get(c, sec, "records-total") ? "records-total" : "records-per-migration",
                   "records-total (%u) below records-per-migration (%u): no migration could "
                   "reach its own limit", o->limits.records_total,
                   o->limits.records_per_migration);
    return 0;
}

static void set_defaults(struct samid_config *o)
{
    memcpy(o->bridge.oui, (const uint8_t[3]){0x0a, 0x53, 0x4d}, 3);
    o->transfer.port = SAMID_DEFAULT_PORT;
    o->transfer.binding = SAMI_XFER_BIND_STREAM;
    o->transfer.mtu = SAMID_DEFAULT_MTU;
    o->limits.records_per_migration = SAMID_DEFAULT_RECORDS_PER_MIGRATION;
    o->limits.records_total = SAMID_DEFAULT_RECORDS_TOTAL;
    o->limits.migrations = SAMID_DEFAULT_MIGRATIONS;
    o->limits.vsis_per_port = SAMID_DEFAULT_VSIS_PER_PORT;
    o->limits.pending_frames = SAMID_DEFAULT_PENDING_FRAMES;
    o->limits.migrations_per_port = SAMID_DEFAULT_MIGRATIONS_PER_PORT;
    o->deadlines.prepare_ms = SAMID_DEFAULT_PREPARE_MS;
    o->deadlines.commit_ms = SAMID_DEFAULT_COMMIT_MS;
    o->deadlines.activate_ms = SAMID_DEFAULT_ACTIVATE_MS;
    o->deadlines.purge_ms = SAMID_DEFAULT_PURGE_MS;
    o->deadlines.margin_ms = SAMID_DEFAULT_MARGIN_MS;
    o->deadlines.resolve_ms = SAMID_DEFAULT_RESOLVE_MS;
    o->log_level = SAMID_LOG_INFO;
}

int samid_config_load(const char *path, struct samid_config *out, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = 0;
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    if (!path || !*path) {
        if (err && errlen)
            snprintf(err, errlen, "no configuration file given");
        return -1;
    }
    struct ctx c = {.path = path, .err = err, .errlen = errlen, .out = out};
    set_defaults(out);

    cfg_opt_t opts[] = {
        CFG_SEC("bridge", bridge_opts, CFGF_NONE),
        CFG_SEC("downlink", downlink_opts, TITLED),
        CFG_SEC("transfer", transfer_opts, CFGF_NONE),
        CFG_SEC("peer", peer_opts, TITLED),
        CFG_SEC("key", key_opts, TITLED),
        CFG_SEC("limits", limits_opts, CFGF_NONE),
        CFG_SEC("deadlines", deadlines_opts, CFGF_NONE),
        CFG_SEC("store", store_opts, CFGF_NONE),
        CFG_SEC("log", log_opts, CFGF_NONE),
        CFG_SEC("control", control_opts, CFGF_NONE),
        CFG_END()};
    cur = &c;
    cfg_t *cfg = cfg_init(opts, CFGF_NONE);
    char *text = NULL;
    int rc = -1;
    if (!cfg) {
        bad_sec(&c, NULL, "out of memory");
        goto done;
    }
    cfg_set_error_function(cfg, on_cfg_error);
    for (size_t i = 0; i < sizeof section_names / sizeof section_names[0]; i++)
        cfg_set_validate_func(cfg, section_names[i], on_section);

    size_t tlen = 0;
    errno = 0;
    text = read_config(path, &tlen);
    if (!text) {
        bad_sec(&c, NULL, "cannot read: %s", strerror(errno ? errno : EIO));
        goto done;
    }
    if (scan_text(&c, text, tlen)) {
        bad_sec(&c, NULL, "out of memory");
        goto done;
    }
    if (c.scan_error) {
        bad_line(&c, c.scan_error_line, NULL, NULL, "%s", c.scan_error);
        goto done;
    }
    /* An empty file parses to nothing (and fmemopen wants >= 1 octet). */
    if (tlen) {
        FILE *fp = fmemopen(text, tlen, "r");
        if (!fp) {
            bad_sec(&c, NULL, "cannot read: %s", strerror(errno));
            goto done;
        }
        int prc = cfg_parse_fp(cfg, fp);
        fclose(fp);
        if (prc != CFG_SUCCESS) {
            bad_sec(&c, NULL, "syntax error"); /* no-op when libconfuse said more */
            goto done;
        }
    }
    if (c.failed)
        goto done;
    if (c.unclosed_line) {
        bad_line(&c, c.unclosed_line, NULL, NULL, "this '{' is never closed");
        goto done;
    }
    if (!(out->path = strdup(path))) {
        bad_sec(&c, NULL, "out of memory");
        goto done;
    }
    /* Order: what later checks compare against comes first. */
    if (load_bridge(&c, cfg) || load_limits(&c, cfg) || load_downlinks(&c, cfg) ||
        load_transfer(&c, cfg) || load_peers(&c, cfg) || load_keys(&c, cfg) ||
        load_rest(&c, cfg))
        goto done;
    rc = 0;
done:
    if (cfg)
        cfg_free(cfg);
    cur = NULL;
    free(c.lines);
    free(c.open_lines);
    free(text);
    if (rc)
        samid_config_free(out);
    return rc;
}

void samid_config_free(struct samid_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_downlinks; i++)
        free(cfg->downlinks[i].accept_types);
    free(cfg->downlinks);
    for (size_t i = 0; i < cfg->n_peers; i++)
        free(cfg->peers[i].host);
    free(cfg->peers);
    for (size_t i = 0; i < cfg->n_warnings; i++)
        free(cfg->warnings[i]);
    free(cfg->warnings);
    free(cfg->transfer.listen);
    free(cfg->transfer.advertise);
    free(cfg->preload);
    free(cfg->control_socket);
    free(cfg->path);
    /* keys live in the struct: wipe them with it */
    memset(cfg, 0, sizeof *cfg);
}

/* t (Unix s) on the engine's ms clock; past: for a t already reached,
 * far: for one beyond the clock's range. */
static uint64_t to_engine_ms(int64_t t, int64_t now_unix_s, uint64_t now_ms, uint64_t past,
                             uint64_t far)
{
    if (t <= now_unix_s)
        return past;
    uint64_t d = (uint64_t)t - (uint64_t)now_unix_s;
    if (d > (UINT64_MAX - now_ms) / 1000u)
        return far;
    return now_ms + d * 1000u;
}

void samid_config_keyring(const struct samid_config *cfg, int64_t now_unix_s, uint64_t now_ms,
                          struct sami_xfer_keyring *out, uint16_t *tx_key_id)
{
    memset(out, 0, sizeof *out);
    if (tx_key_id)
        *tx_key_id = cfg ? cfg->tx_key_id : 0;
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_keys && i < SAMI_XFER_MAX_KEYS; i++) {
        const struct samid_key *k = &cfg->keys[i];
        out->keys[i] = k->key;
        out->keys[i].not_before_ms =
            k->has_not_before ? to_engine_ms(k->not_before, now_unix_s, now_ms, 0, UINT64_MAX) : 0;
        /* an end already past becomes 1 (over); one beyond the clock, 0 (none) */
        out->keys[i].not_after_ms =
            k->has_not_after ? to_engine_ms(k->not_after, now_unix_s, now_ms, 1, 0) : 0;
    }
}

const char *samid_policy_name(int policy)
{
    switch (policy) {
    case SAMID_POLICY_REJECT_ALL:
        return "reject-all";
    case SAMID_POLICY_ACCEPT_ALL:
        return "accept-all";
    case SAMID_POLICY_ACCEPT_LIST:
        return "accept-list";
    default:
        return "unknown";
    }
}

const char *samid_log_level_name(int level)
{
    static const char *const lv[] = {"error", "warn", "info", "debug"};
    return level >= 0 && level < 4 ? lv[level] : "unknown";
}
