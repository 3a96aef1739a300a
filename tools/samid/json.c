/* JSON writer and parser for the samid control protocol (json.h). */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ writer */

void jw_init(struct jw *w)
{
    memset(w, 0, sizeof *w);
}

void jw_free(struct jw *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

void jw_reset(struct jw *w)
{
    char *b = w->buf;
    size_t cap = w->cap;
    memset(w, 0, sizeof *w);
    w->buf = b;
    w->cap = cap;
    if (b)
        b[0] = 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
    if (w->oom)
        return;
    if (w->len + n + 1 > w->cap) {
        size_t c = w->cap ? w->cap : 1024;
        while (c < w->len + n + 1)
            c *= 2;
        char *b = realloc(w->buf, c);
        if (!b) {
            w->oom = 1;
            return;
        }
        w->buf = b;
        w->cap = c;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = 0;
}

/* Separator before a value (or a key) at the current level. */
static void sep(struct jw *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    int d = w->depth < 32 ? w->depth : 31;
    if (w->need_comma[d])
        put(w, ",", 1);
    w->need_comma[d] = 1;
}

static void open_(struct jw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    w->depth++;
    if (w->depth < 32)
        w->need_comma[w->depth] = 0;
}

static void close_(struct jw *w, char c)
{
    if (w->depth > 0)
        w->depth--;
    put(w, &c, 1);
}

void jw_obj(struct jw *w)
{
    open_(w, '{');
}

void jw_end_obj(struct jw *w)
{
    close_(w, '}');
}

void jw_arr(struct jw *w)
{
    open_(w, '[');
}

void jw_end_arr(struct jw *w)
{
    close_(w, ']');
}

static void esc(struct jw *w, const char *s, size_t n)
{
    put(w, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char u[8];
        if (c == '"')
            e = "\\\"";
        else if (c == '\\')
            e = "\\\\";
        else if (c == '\n')
            e = "\\n";
        else if (c == '\r')
            e = "\\r";
        else if (c == '\t')
            e = "\\t";
        else if (c < 0x20 || c == 0x7f) {
            snprintf(u, sizeof u, "\\u%04x", c);
            e = u;
        }
        if (e) {
            put(w, s + i - run, run);
            run = 0;
            put(w, e, strlen(e));
        } else {
            run++;
        }
    }
    put(w, s + n - run, run);
    put(w, "\"", 1);
}

void jw_key(struct jw *w, const char *k)
{
    sep(w);
    esc(w, k, strlen(k));
    put(w, ":", 1);
    w->after_key = 1;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
    sep(w);
    esc(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
    if (!s) {
        jw_null(w);
        return;
    }
    jw_strn(w, s, strlen(s));
}

void jw_raw(struct jw *w, const char *text)
{
    sep(w);
    put(w, text, strlen(text));
}

void jw_u64(struct jw *w, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    jw_raw(w, b);
}

void jw_i64(struct jw *w, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    jw_raw(w, b);
}

void jw_bool(struct jw *w, int v)
{
    jw_raw(w, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
    jw_raw(w, "null");
}

void jw_kstr(struct jw *w, const char *k, const char *s)
{
    jw_key(w, k);
    jw_str(w, s);
}

void jw_ku64(struct jw *w, const char *k, uint64_t v)
{
    jw_key(w, k);
    jw_u64(w, v);
}

void jw_ki64(struct jw *w, const char *k, int64_t v)
{
    jw_key(w, k);
    jw_i64(w, v);
}

void jw_kbool(struct jw *w, const char *k, int v)
{
    jw_key(w, k);
    jw_bool(w, v);
}

void jw_kfmt(struct jw *w, const char *k, const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    jw_kstr(w, k, b);
}

/* ------------------------------------------------------------------ parser */

struct jp {
    const char *s;
    size_t pos;
    struct jdoc *d;
    size_t tpos, tcap;
    char *err;
    size_t errlen;
    int depth;
};

static int jerr(struct jp *p, const char *what)
{
    if (p->err && p->errlen)
        snprintf(p->err, p->errlen, "JSON: %s at offset %zu", what, p->pos);
    return -1;
}

static void ws(struct jp *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
           p->s[p->pos] == '\r')
        p->pos++;
}

static long new_node(struct jp *p)
{
    struct jdoc *d = p->d;
    if (d->count == d->cap) {
        size_t c = d->cap ? d->cap * 2 : 64;
        struct jnode *n = realloc(d->nodes, c * sizeof *n);
        if (!n)
            return -1;
        d->nodes = n;
        d->cap = c;
    }
    memset(&d->nodes[d->count], 0, sizeof d->nodes[0]);
    return (long)d->count++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void tput(struct jp *p, char c)
{
    if (p->tpos < p->tcap)
        p->d->text[p->tpos++] = c;
}

static void tput_utf8(struct jp *p, unsigned cp)
{
    if (cp < 0x80) {
        tput(p, (char)cp);
    } else if (cp < 0x800) {
        tput(p, (char)(0xc0 | (cp >> 6)));
        tput(p, (char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        tput(p, (char)(0xe0 | (cp >> 12)));
        tput(p, (char)(0x80 | ((cp >> 6) & 0x3f)));
        tput(p, (char)(0x80 | (cp & 0x3f)));
    } else {
        tput(p, (char)(0xf0 | (cp >> 18)));
        tput(p, (char)(0x80 | ((cp >> 12) & 0x3f)));
        tput(p, (char)(0x80 | ((cp >> 6) & 0x3f)));
        tput(p, (char)(0x80 | (cp & 0x3f)));
    }
}

/* A string at p->pos (the opening quote): its unescaped copy's offset. */
static int pstring(struct jp *p, size_t *off)
{
    p->pos++;
    *off = p->tpos;
    for (;;) {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == 0)
            return jerr(p, "unterminated string");
        if (c < 0x20)
            return jerr(p, "control character in string");
        p->pos++;
        if (c == '"')
            break;
        if (c != '\\') {
            tput(p, (char)c);
            continue;
        }
        char e = p->s[p->pos++];
        switch (e) {
        case '"': tput(p, '"'); break;
        case '\\': tput(p, '\\'); break;
        case '/': tput(p, '/'); break;
        case 'b': tput(p, '\b'); break;
        case 'f': tput(p, '\f'); break;
        case 'n': tput(p, '\n'); break;
        case 'r': tput(p, '\r'); break;
        case 't': tput(p, '\t'); break;
        case 'u': {
            unsigned cp;
            if (hex4(p->s + p->pos, &cp))
                return jerr(p, "bad \\u escape");
            p->pos += 4;
            if (cp >= 0xd800 && cp < 0xdc00 && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                unsigned lo;
                if (!hex4(p->s + p->pos + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                    p->pos += 6;
                }
            }
            tput_utf8(p, cp);
            break;
        }
        default:
            return jerr(p, "bad escape");
        }
    }
    tput(p, 0);
    return 0;
}

static int pvalue(struct jp *p, const char *key);

static int pcontainer(struct jp *p, long self, char close, int is_obj)
{
    p->pos++;
    ws(p);
    if (p->s[p->pos] == close) {
        p->pos++;
        return 0;
    }
    for (;;) {
        ws(p);
        const char *key = NULL;
        if (is_obj) {
            if (p->s[p->pos] != '"')
                return jerr(p, "member name expected");
            size_t off;
            if (pstring(p, &off))
                return -1;
            key = p->d->text + off;
            ws(p);
            if (p->s[p->pos] != ':')
                return jerr(p, "':' expected");
            p->pos++;
        }
        if (pvalue(p, key))
            return -1;
        p->d->nodes[self].n++;
        ws(p);
        char c = p->s[p->pos];
        if (c == ',') {
            p->pos++;
            continue;
        }
        if (c == close) {
            p->pos++;
            return 0;
        }
        return jerr(p, is_obj ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int pvalue(struct jp *p, const char *key)
{
    ws(p);
    if (++p->depth > 64)
        return jerr(p, "nesting too deep");
    long i = new_node(p);
    if (i < 0)
        return jerr(p, "out of memory");
    p->d->nodes[i].key = key;
    char c = p->s[p->pos];
    int rc = 0;
    if (c == '{') {
        p->d->nodes[i].type = J_OBJ;
        rc = pcontainer(p, i, '}', 1);
    } else if (c == '[') {
        p->d->nodes[i].type = J_ARR;
        rc = pcontainer(p, i, ']', 0);
    } else if (c == '"') {
        size_t off;
        p->d->nodes[i].type = J_STR;
        rc = pstring(p, &off);
        p->d->nodes[i].str = p->d->text + off;
    } else if (!strncmp(p->s + p->pos, "true", 4)) {
        p->d->nodes[i].type = J_BOOL;
        p->d->nodes[i].boolean = 1;
        p->pos += 4;
    } else if (!strncmp(p->s + p->pos, "false", 5)) {
        p->d->nodes[i].type = J_BOOL;
        p->pos += 5;
    } else if (!strncmp(p->s + p->pos, "null", 4)) {
        p->d->nodes[i].type = J_NULL;
        p->pos += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        size_t st = p->pos;
        while (strchr("+-0123456789.eE", p->s[p->pos]) && p->s[p->pos])
            p->pos++;
        size_t off = p->tpos;
        for (size_t k = st; k < p->pos; k++)
            tput(p, p->s[k]);
        tput(p, 0);
        p->d->nodes[i].type = J_NUM;
        p->d->nodes[i].str = p->d->text + off;
        p->d->nodes[i].num = strtod(p->d->nodes[i].str, NULL);
    } else {
        rc = jerr(p, "value expected");
    }
    p->d->nodes[i].next = p->d->count;
    p->depth--;
    return rc;
}

int jparse(const char *text, struct jdoc *doc, char *err, size_t errlen)
{
    memset(doc, 0, sizeof *doc);
    size_t n = strlen(text);
    /* every unescaped string and number fits in its source text, plus a NUL */
    doc->text = malloc(2 * n + 2);
    if (!doc->text) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct jp p = {text, 0, doc, 0, 2 * n + 2, err, errlen, 0};
    int rc = pvalue(&p, NULL);
    if (!rc) {
        ws(&p);
        if (text[p.pos])
            rc = jerr(&p, "trailing characters");
    }
    if (rc)
        jdoc_free(doc);
    return rc;
}

void jdoc_free(struct jdoc *doc)
{
    free(doc->nodes);
    free(doc->text);
    memset(doc, 0, sizeof *doc);
}

size_t jget(const struct jdoc *d, size_t i, const char *key)
{
    if (i >= d->count || d->nodes[i].type != J_OBJ)
        return 0;
    size_t c = i + 1;
    for (size_t k = 0; k < d->nodes[i].n; k++) {
        if (d->nodes[c].key && !strcmp(d->nodes[c].key, key))
            return c;
        c = d->nodes[c].next;
    }
    return 0;
}
