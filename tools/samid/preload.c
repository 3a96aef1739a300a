/* samid DI preload file (preload.h, docs/SAMID-CONFIG.md "Preload file"). */
#define _POSIX_C_SOURCE 200809L
#include "preload.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h" /* samid_parse_mac */

#define MAX_TOKENS 32
#define KEY_MAX 24
#define VAL_MAX (SAMI_DI_STR_MAX + 1)

struct tok {
    char key[KEY_MAX + 1]; /* "" for a positional word */
    char val[VAL_MAX + 1];
    size_t col, vcol;      /* 1-based columns of the token and of its value */
    int used;
};

struct line {
    struct tok t[MAX_TOKENS];
    size_t n;
    size_t type_col;
    const char *type;
    size_t *col;
    char *why;
    size_t whylen;
};

__attribute__((format(printf, 3, 4))) static int fail(struct line *L, size_t col, const char *fmt,
                                                      ...)
{
    *L->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(L->why, L->whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Key comparisons test the first octet before strcmp: they run a few
 * hundred times per line, and a 1 M-record load spent a third of samid's
 * time in strcmp. */
static int same_key(const char *a, const char *b)
{
    return a[0] == b[0] && !strcmp(a, b);
}

/* ---- tokens: words, key=value, key="quoted value" ---- */

static int tokenize(struct line *L, const char *s)
{
    size_t i = 0;
    L->n = 0;
    for (;;) {
        while (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')
            i++;
        if (!s[i] || s[i] == '#' || s[i] == '\n')
            return 0;
        if (L->n == MAX_TOKENS)
            return fail(L, i + 1, "more than %d words on one line", MAX_TOKENS);
        struct tok *t = &L->t[L->n++];
        memset(t, 0, sizeof *t);
        t->col = i + 1;
        size_t start = i;
        while (s[i] && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' &&
               s[i] != '"') {
            if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                return fail(L, i + 1, "control character");
            i++;
        }
        if (s[i] == '"')
            return fail(L, i + 1, "a quote outside a value (key=\"...\")");
        size_t wl = i - start;
        if (s[i] != '=') { /* a positional word */
            if (wl > VAL_MAX)
                return fail(L, t->col, "word too long");
            memcpy(t->val, s + start, wl);
            t->vcol = t->col;
            continue;
        }
        if (wl == 0)
            return fail(L, t->col, "'=' without a key before it");
        if (wl > KEY_MAX)
            return fail(L, t->col, "unknown key '%.*s'", (int)wl, s + start);
        memcpy(t->key, s + start, wl);
        i++; /* '=' */
        t->vcol = i + 1;
        size_t n = 0;
        if (s[i] == '"') {
            size_t open = i;
            i++;
            for (;;) {
                char ch = s[i];
                if (!ch || ch == '\n' || ch == '\r')
                    return fail(L, open + 1, "unterminated quoted value");
                if (ch == '"') {
                    i++;
                    break;
                }
                if (ch == '\\') {
                    if (s[i + 1] != '"' && s[i + 1] != '\\')
                        return fail(L, i + 1, "only \\\" and \\\\ are escapes in a quoted value");
                    ch = s[++i];
                }
                if ((unsigned char)ch < 0x20 || ch == 0x7f)
                    return fail(L, i + 1, "control character in a value");
                if (n == VAL_MAX)
                    return fail(L, t->vcol, "value longer than %d octets", SAMI_DI_STR_MAX);
                t->val[n++] = ch;
                i++;
            }
            if (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
                return fail(L, i + 1, "space expected after the closing quote");
        } else {
            while (s[i] && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') {
                if (s[i] == '"')
                    return fail(L, i + 1, "a quote inside an unquoted value");
                if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
                    return fail(L, i + 1, "control character in a value");
                if (n == VAL_MAX)
                    return fail(L, t->vcol, "value too long");
                t->val[n++] = s[i++];
            }
            if (n == 0)
                return fail(L, t->vcol, "key '%s' has no value", t->key);
        }
        for (size_t k = 0; k + 1 < L->n; k++)
            if (same_key(L->t[k].key, t->key))
                return fail(L, t->col, "key '%s' given twice on this line", t->key);
    }
}

/* The token of key, not marking it used (NULL if absent). */
static struct tok *peek(struct line *L, const char *key)
{
    for (size_t i = 0; i < L->n; i++)
        if (same_key(L->t[i].key, key))
            return &L->t[i];
    return NULL;
}

static struct tok *take(struct line *L, const char *key)
{
    for (size_t i = 0; i < L->n; i++)
        if (same_key(L->t[i].key, key)) {
            L->t[i].used = 1;
            return &L->t[i];
        }
    return NULL;
}

static struct tok *need(struct line *L, const char *key)
{
    struct tok *t = take(L, key);
    if (!t)
        fail(L, L->type_col, "%s needs %s=", L->type, key);
    return t;
}

/* ---- values ---- */

static int v_uint(struct line *L, struct tok *t, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const char *s = t->val;
    char *end;
    if (!isdigit((unsigned char)s[0]))
        return fail(L, t->vcol, "key '%s': '%s' is not a number", t->key, s);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return fail(L, t->vcol, "key '%s': '%s' is not a number", t->key, s);
    if (v < lo || v > hi)
        return fail(L, t->vcol, "key '%s': %s is out of range %llu..%llu", t->key, s,
                    (unsigned long long)lo, (unsigned long long)hi);
    *out = v;
    return 0;
}

static int f_uint(struct line *L, const char *key, int req, uint64_t lo, uint64_t hi,
                  uint64_t *out)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    return v_uint(L, t, lo, hi, out);
}

#define U(type, dst, key, req, lo, hi)                                                             \
    do {                                                                                           \
        uint64_t v_ = (dst);                                                                       \
        if (f_uint(L, key, req, lo, hi, &v_))                                                      \
            return -1;                                                                             \
        (dst) = (type)v_;                                                                          \
    } while (0)

/* NUMBER UNIT with units ms, s, m, h, d; "infinite" where allowed. */
static int f_dur(struct line *L, const char *key, int req, int inf_ok, uint32_t *ms)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    if (!strcmp(t->val, "infinite")) {
        if (!inf_ok)
            return fail(L, t->vcol, "key '%s': an age cannot be infinite", key);
        *ms = SAMI_DI_INFINITE;
        return 0;
    }
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)t->val[0]))
        return fail(L, t->vcol, "key '%s': '%s' is not a duration (3600s, 500ms, 5m, 2h, 1d%s)",
                    key, t->val, inf_ok ? ", infinite" : "");
    unsigned long long v = strtoull(t->val, &end, 10);
    uint64_t mul;
    if (!strcmp(end, "ms"))
        mul = 1;
    else if (!strcmp(end, "s"))
        mul = 1000;
    else if (!strcmp(end, "m"))
        mul = 60000;
    else if (!strcmp(end, "h"))
        mul = 3600000;
    else if (!strcmp(end, "d"))
        mul = 86400000;
    else if (!*end)
        return fail(L, t->vcol, "key '%s': '%s' needs a unit (ms, s, m, h, d)", key, t->val);
    else
        return fail(L, t->vcol, "key '%s': '%s' is not a duration (3600s, 500ms, 5m, 2h, 1d)",
                    key, t->val);
    /* all-ones is "infinite" on the wire: a finite time stops below it */
    if (errno || v > (SAMI_DI_INFINITE - 1u) / mul)
        return fail(L, t->vcol, "key '%s': %s is longer than %u ms (~49.7 days)%s", key, t->val,
                    SAMI_DI_INFINITE - 1u, inf_ok ? "; say infinite" : "");
    *ms = (uint32_t)(v * mul);
    return 0;
}

static int f_mac(struct line *L, const char *key, int req, uint8_t mac[6])
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    if (samid_parse_mac(t->val, mac))
        return fail(L, t->vcol, "key '%s': '%s' is not a MAC address (52:54:00:12:34:56)", key,
                    t->val);
    return 1;
}

static int f_vlan(struct line *L, const char *key, int req, uint16_t lo, uint16_t *vlan)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    uint64_t v;
    if (v_uint(L, t, lo, 4094, &v))
        return -1;
    *vlan = (uint16_t)v;
    return 1;
}

/* An IPv4 or IPv6 address into addr16 (IPv4 as ::ffff:a.b.c.d). */
static int v_addr(struct line *L, struct tok *t, uint8_t a16[16], uint8_t *family)
{
    unsigned char b[16];
    if (inet_pton(AF_INET, t->val, b) == 1) {
        memset(a16, 0, 10);
        a16[10] = a16[11] = 0xff;
        memcpy(a16 + 12, b, 4);
        *family = SAMI_DI_FAMILY_IPV4;
        return 0;
    }
    if (inet_pton(AF_INET6, t->val, b) == 1) {
        memcpy(a16, b, 16);
        *family = SAMI_DI_FAMILY_IPV6;
        return 0;
    }
    return fail(L, t->vcol, "key '%s': '%s' is not an IPv4 or IPv6 address", t->key, t->val);
}

static int f_addr(struct line *L, const char *key, int req, uint8_t a16[16], uint8_t *family)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    return v_addr(L, t, a16, family) ? -1 : 1;
}

static int f_ip_family(struct line *L, const char *key, uint8_t fam, uint8_t *out, size_t n)
{
    struct tok *t = need(L, key);
    uint8_t a16[16] = {0}, f = 0;
    if (!t || v_addr(L, t, a16, &f))
        return -1;
    if (f != fam)
        return fail(L, t->vcol, "key '%s': %s needs an %s address", key, L->type,
                    fam == SAMI_DI_FAMILY_IPV4 ? "IPv4" : "IPv6");
    memcpy(out, n == 4 ? a16 + 12 : a16, n);
    return 0;
}

/* ADDR/LEN, ADDR (a host) or "any"; the length counts over addr16, so an
 * IPv4 /24 is 120. Host bits must be zero. */
static int f_prefix(struct line *L, const char *key, uint8_t a16[16], uint8_t *plen,
                    uint8_t *family)
{
    struct tok *t = take(L, key);
    memset(a16, 0, 16);
    *plen = 0;
    *family = 0;
    if (!t || !strcmp(t->val, "any"))
        return 0;
    char *slash = strchr(t->val, '/');
    uint64_t len = 0;
    if (slash)
        *slash = 0;
    int rc = v_addr(L, t, a16, family);
    if (slash)
        *slash = '/';
    if (rc)
        return -1;
    unsigned max = *family == SAMI_DI_FAMILY_IPV4 ? 32 : 128;
    if (!slash)
        len = max;
    else if (!isdigit((unsigned char)slash[1]) || (len = strtoull(slash + 1, NULL, 10)) > max ||
             strspn(slash + 1, "0123456789") != strlen(slash + 1))
        return fail(L, t->vcol + (size_t)(slash - t->val) + 1,
                    "key '%s': prefix length is not 0..%u", key, max);
    unsigned total = (unsigned)len + (max == 32 ? 96u : 0u);
    for (unsigned bit = total; bit < 128; bit++)
        if (a16[bit / 8] & (0x80u >> (bit % 8)))
            return fail(L, t->vcol, "key '%s': %s has host bits set", key, t->val);
    *plen = (uint8_t)total;
    return 0;
}

/* A name from one of libsami's name tables ('-' may stand for '_'). */
static int f_enum(struct line *L, const char *key, int req, const char *(*name)(unsigned),
                  unsigned lo, unsigned hi, uint8_t *out)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    char v[VAL_MAX + 1];
    strcpy(v, t->val);
    for (char *p = v; *p; p++)
        if (*p == '-')
            *p = '_';
    for (unsigned i = lo; i <= hi; i++)
        if (same_key(name(i), v)) {
            *out = (uint8_t)i;
            return 1;
        }
    char list[256] = "";
    for (unsigned i = lo; i <= hi; i++) {
        const char *n = name(i);
        if (strcmp(n, "unknown") && strlen(list) + strlen(n) + 3 < sizeof list)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", list[0] ? ", " : "",
                     n);
    }
    return fail(L, t->vcol, "key '%s': '%s' is not one of %s", key, t->val, list);
}

static int f_bool(struct line *L, const char *key, int req, uint8_t *out)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    if (!strcmp(t->val, "yes") || !strcmp(t->val, "true"))
        *out = 1;
    else if (!strcmp(t->val, "no") || !strcmp(t->val, "false"))
        *out = 0;
    else
        return fail(L, t->vcol, "key '%s': '%s' is not yes or no", key, t->val);
    return 1;
}

static int f_str(struct line *L, const char *key, char *dst, uint8_t *len)
{
    struct tok *t = take(L, key);
    if (!t)
        return 0;
    size_t n = strlen(t->val);
    if (n > SAMI_DI_STR_MAX)
        return fail(L, t->vcol, "key '%s': longer than %d octets", key, SAMI_DI_STR_MAX);
    memcpy(dst, t->val, n + 1);
    *len = (uint8_t)n;
    return 1;
}

static int f_proto(struct line *L, const char *key, int req, uint8_t *out)
{
    struct tok *t = req ? need(L, key) : take(L, key);
    if (!t)
        return req ? -1 : 0;
    static const struct {
        const char *n;
        uint8_t v;
    } names[] = {{"any", 0}, {"icmp", 1}, {"tcp", 6}, {"udp", 17}, {"gre", 47},
                 {"esp", 50}, {"icmpv6", 58}, {"sctp", 132}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(t->val, names[i].n)) {
            *out = names[i].v;
            return 1;
        }
    uint64_t v;
    if (!isdigit((unsigned char)t->val[0]))
        return fail(L, t->vcol, "key '%s': '%s' is not a protocol (tcp, udp, icmp, icmpv6, "
                                "sctp, gre, esp or a number)", key, t->val);
    if (v_uint(L, t, 0, 255, &v))
        return -1;
    *out = (uint8_t)v;
    return 1;
}

/* PORT, LO-HI or "any". */
static int f_range(struct line *L, const char *key, uint16_t *lo, uint16_t *hi)
{
    struct tok *t = take(L, key);
    *lo = 0;
    *hi = 65535;
    if (!t || !strcmp(t->val, "any"))
        return 0;
    char *dash = strchr(t->val, '-');
    struct tok a = *t, b = *t;
    if (dash) {
        a.val[dash - t->val] = 0;
        strcpy(b.val, dash + 1);
        b.vcol = t->vcol + (size_t)(dash - t->val) + 1;
    }
    uint64_t x, y;
    if (v_uint(L, &a, 0, 65535, &x) || v_uint(L, dash ? &b : &a, 0, 65535, &y))
        return -1;
    if (x > y)
        return fail(L, t->vcol, "key '%s': %s runs backwards", key, t->val);
    *lo = (uint16_t)x;
    *hi = (uint16_t)y;
    return 1;
}

/* ---- the types ---- */

static int rec_dhcp(struct line *L, struct sami_di_record *r)
{
    struct sami_di_dhcp *d = &r->u.dhcp;
    if (f_ip_family(L, "ip", SAMI_DI_FAMILY_IPV4, d->ipv4, 4) || f_mac(L, "mac", 1, d->mac) < 0 ||
        f_vlan(L, "vlan", 1, 0, &d->vlan) < 0 || f_dur(L, "lease", 1, 1, &d->lease_remaining_ms))
        return -1;
    return 0;
}

static int rec_dhcpv6(struct line *L, struct sami_di_record *r)
{
    struct sami_di_dhcpv6 *d = &r->u.dhcpv6;
    if (f_ip_family(L, "ip", SAMI_DI_FAMILY_IPV6, d->ipv6, 16) || f_mac(L, "mac", 1, d->mac) < 0 ||
        f_vlan(L, "vlan", 1, 0, &d->vlan) < 0 || f_dur(L, "lease", 1, 1, &d->lease_remaining_ms))
        return -1;
    U(uint32_t, d->iaid, "iaid", 1, 0, UINT32_MAX);
    return 0;
}

static int rec_nd(struct line *L, struct sami_di_record *r)
{
    struct sami_di_nd *d = &r->u.nd;
    d->state = SAMI_DI_ND_VALID;
    if (f_ip_family(L, "ip", SAMI_DI_FAMILY_IPV6, d->ipv6, 16) || f_mac(L, "mac", 1, d->mac) < 0 ||
        f_vlan(L, "vlan", 1, 0, &d->vlan) < 0 ||
        f_dur(L, "lifetime", 1, 1, &d->lifetime_remaining_ms) ||
        f_enum(L, "state", 0, sami_di_nd_state_name, SAMI_DI_ND_TENTATIVE, SAMI_DI_ND_STALE,
               &d->state) < 0)
        return -1;
    return 0;
}

static int rec_dot1x(struct line *L, struct sami_di_record *r)
{
    struct sami_di_dot1x *d = &r->u.dot1x;
    if (f_mac(L, "mac", 1, d->mac) < 0 || f_bool(L, "authorized", 1, &d->authorized) < 0 ||
        f_vlan(L, "vlan", 0, 0, &d->vlan) < 0 ||
        f_dur(L, "session", 1, 1, &d->session_remaining_ms) ||
        f_dur(L, "reauth", 0, 1, &d->reauth_remaining_ms) ||
        f_str(L, "identity", d->identity, &d->identity_len) < 0 ||
        f_str(L, "session-id", d->session_id, &d->session_id_len) < 0 ||
        f_str(L, "filter-id", d->filter_id, &d->filter_id_len) < 0)
        return -1;
    /* eap: a name or an IANA method number */
    struct tok *t = peek(L, "eap");
    if (t && isdigit((unsigned char)t->val[0])) {
        uint64_t v;
        t->used = 1;
        if (v_uint(L, t, 0, 255, &v))
            return -1;
        d->eap_method = (uint8_t)v;
    } else if (f_enum(L, "eap", 0, sami_di_eap_method_name, 0, 255, &d->eap_method) < 0) {
        return -1;
    }
    return 0;
}

static int rec_acl(struct line *L, struct sami_di_record *r)
{
    struct sami_di_acl *a = &r->u.acl;
    uint8_t fs = 0, fd = 0;
    U(uint32_t, a->rule_id, "rule", 1, 0, UINT32_MAX);
    if (f_enum(L, "action", 1, sami_di_acl_action_name, SAMI_DI_ACL_PERMIT,
               SAMI_DI_ACL_RATE_LIMIT, &a->action) < 0)
        return -1;
    a->origin = SAMI_DI_ACL_OTHER;
    if (f_enum(L, "origin", 0, sami_di_acl_origin_name, SAMI_DI_ACL_RADIUS, SAMI_DI_ACL_OTHER,
               &a->origin) < 0)
        return -1;
    struct tok *rate = take(L, "rate");
    if (a->action == SAMI_DI_ACL_RATE_LIMIT && !rate)
        return fail(L, L->type_col, "acl with action=rate-limit needs rate= (kbit/s)");
    if (rate) {
        if (a->action != SAMI_DI_ACL_RATE_LIMIT)
            return fail(L, rate->col, "key 'rate': only with action=rate-limit");
        uint64_t v;
        if (v_uint(L, rate, 1, UINT32_MAX, &v))
            return -1;
        a->rate_kbps = (uint32_t)v;
    }
    if (f_prefix(L, "src", a->src, &a->src_prefix_len, &fs) ||
        f_prefix(L, "dst", a->dst, &a->dst_prefix_len, &fd))
        return -1;
    if (fs && fd && fs != fd)
        return fail(L, peek(L, "dst")->vcol, "key 'dst': not the address family of src");
    if (f_proto(L, "proto", 0, &a->protocol) < 0 ||
        f_range(L, "sport", &a->src_port_lo, &a->src_port_hi) < 0 ||
        f_range(L, "dport", &a->dst_port_lo, &a->dst_port_hi) < 0)
        return -1;
    int rc = f_vlan(L, "vlan", 0, 1, &a->vlan);
    if (rc < 0)
        return -1;
    if (rc)
        a->flags |= SAMI_DI_ACL_F_MATCH_VLAN;
    rc = f_mac(L, "mac", 0, a->mac);
    if (rc < 0)
        return -1;
    if (rc)
        a->flags |= SAMI_DI_ACL_F_MATCH_MAC;
    return f_dur(L, "lifetime", 1, 1, &a->lifetime_remaining_ms);
}

static int rec_igmp(struct line *L, struct sami_di_record *r)
{
    struct sami_di_igmp *g = &r->u.igmp;
    struct tok *gt = take(L, "group");
    if (!gt)
        return fail(L, L->type_col, "igmp needs group=");
    if (v_addr(L, gt, g->group, &g->family))
        return -1;
    int mc = g->family == SAMI_DI_FAMILY_IPV4 ? (g->group[12] & 0xf0) == 0xe0 : g->group[0] == 0xff;
    if (!mc)
        return fail(L, gt->vcol, "key 'group': %s is not a multicast address", gt->val);
    struct tok *st = take(L, "source");
    if (st && strcmp(st->val, "any")) {
        uint8_t f = 0;
        if (v_addr(L, st, g->source, &f))
            return -1;
        if (f != g->family)
            return fail(L, st->vcol, "key 'source': not the address family of group");
    }
    g->filter_mode = SAMI_DI_IGMP_EXCLUDE; /* an ASM join is EXCLUDE {} */
    if (f_vlan(L, "vlan", 1, 0, &g->vlan) < 0 ||
        f_enum(L, "mode", 0, sami_di_igmp_mode_name, SAMI_DI_IGMP_INCLUDE, SAMI_DI_IGMP_EXCLUDE,
               &g->filter_mode) < 0 ||
        f_dur(L, "timer", 1, 1, &g->timer_remaining_ms))
        return -1;
    return 0;
}

static int rec_counters(struct line *L, struct sami_di_record *r)
{
    struct sami_di_counters *c = &r->u.counters;
    if (f_enum(L, "dir", 1, sami_di_direction_name, SAMI_DI_DIR_IN, SAMI_DI_DIR_OUT,
               &c->direction) < 0)
        return -1;
    U(uint64_t, c->packets, "packets", 0, 0, UINT64_MAX);
    U(uint64_t, c->bytes, "bytes", 0, 0, UINT64_MAX);
    U(uint32_t, c->syn_count, "syn", 0, 0, UINT32_MAX);
    U(uint64_t, c->rate_bps, "rate-bps", 0, 0, UINT64_MAX);
    U(uint32_t, c->rate_pps, "rate-pps", 0, 0, UINT32_MAX);
    return f_dur(L, "window", 0, 0, &c->window_ms);
}

static int rec_firewall(struct line *L, struct sami_di_record *r)
{
    struct sami_di_firewall *f = &r->u.firewall;
    uint8_t fd = 0;
    if (f_proto(L, "proto", 1, &f->protocol) < 0 || f_addr(L, "src", 1, f->src, &f->family) < 0 ||
        f_addr(L, "dst", 1, f->dst, &fd) < 0)
        return -1;
    if (fd != f->family)
        return fail(L, peek(L, "dst")->vcol, "key 'dst': not the address family of src");
    U(uint16_t, f->src_port, "sport", 0, 0, 65535);
    U(uint16_t, f->dst_port, "dport", 0, 0, 65535);
    if (f_vlan(L, "vlan", 0, 0, &f->vlan) < 0)
        return -1;
    struct tok *st = peek(L, "state");
    if (!st)
        return fail(L, L->type_col, "firewall needs state= (established, ... for tcp; new or "
                                    "assured otherwise)");
    if (f_enum(L, "state", 1, sami_di_fw_state_name, SAMI_DI_FW_SYN_SENT, SAMI_DI_FW_ASSURED,
               &f->state) < 0)
        return -1;
    int tcp = f->protocol == 6;
    if (tcp ? f->state > SAMI_DI_FW_CLOSED : f->state < SAMI_DI_FW_NEW)
        return fail(L, st->vcol, "key 'state': %s is not a state of %s", st->val,
                    tcp ? "tcp (syn_sent .. closed)" : "a non-tcp session (new, assured)");
    if (f_dur(L, "created", 1, 0, &f->created_age_ms) || f_dur(L, "last", 1, 0, &f->last_heard_age_ms) ||
        f_dur(L, "expiry", 1, 1, &f->expiry_remaining_ms))
        return -1;
    if (f->last_heard_age_ms > f->created_age_ms)
        return fail(L, peek(L, "last")->vcol, "key 'last': heard before the session was created");
    /* NAT: all four or none */
    static const char *const nk[] = {"nat-src", "nat-dst", "nat-sport", "nat-dport"};
    int given = 0;
    for (int i = 0; i < 4; i++)
        for (size_t k = 0; k < L->n; k++)
            given += !strcmp(L->t[k].key, nk[i]);
    if (given && given != 4)
        return fail(L, L->type_col, "NAT needs all of nat-src, nat-dst, nat-sport, nat-dport");
    if (given) {
        uint8_t f1, f2;
        if (f_addr(L, "nat-src", 1, f->nat_src, &f1) < 0 || f_addr(L, "nat-dst", 1, f->nat_dst, &f2) < 0)
            return -1;
        if (f1 != f->family || f2 != f->family)
            return fail(L, peek(L, f1 != f->family ? "nat-src" : "nat-dst")->vcol,
                        "NAT addresses must be of the session's address family");
        U(uint16_t, f->nat_src_port, "nat-sport", 1, 0, 65535);
        U(uint16_t, f->nat_dst_port, "nat-dport", 1, 0, 65535);
        f->flags |= SAMI_DI_FW_F_NAT;
    }
    return 0;
}

static int parse_uuid(const char *s, uint8_t id[16])
{
    if (strlen(s) != 36)
        return -1;
    int k = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        int h = isxdigit((unsigned char)s[i]) ? (isdigit((unsigned char)s[i]) ? s[i] - '0'
                                                  : (tolower((unsigned char)s[i]) - 'a' + 10))
                                              : -1;
        if (h < 0)
            return -1;
        if (k % 2 == 0)
            id[k / 2] = (uint8_t)(h << 4);
        else
            id[k / 2] |= (uint8_t)h;
        k++;
    }
    return 0;
}

static const char *const syntax =
    "expected: vm UUID TYPE key=value ... (TYPE: dhcp, dhcpv6, nd, dot1x, acl, igmp, "
    "counters, firewall)";

int samid_preload_parse_line(const char *text, struct sami_vm_id *vm, struct sami_di_record *rec,
                             size_t *col, char *why, size_t whylen)
{
    struct line L;
    size_t dummy_col;
    char dummy_why[8];
    L.col = col ? col : &dummy_col;
    L.why = why && whylen ? why : dummy_why;
    L.whylen = why && whylen ? whylen : sizeof dummy_why;
    *L.col = 0;
    L.why[0] = 0;
    if (!text || !vm || !rec)
        return fail(&L, 1, "no line");
    if (strlen(text) > SAMID_PRELOAD_LINE_MAX + 2)
        return fail(&L, SAMID_PRELOAD_LINE_MAX + 1, "line longer than %d octets",
                    SAMID_PRELOAD_LINE_MAX);
    if (tokenize(&L, text))
        return -1;
    if (L.n == 0)
        return 0;
    if (L.t[0].key[0] || strcmp(L.t[0].val, "vm"))
        return fail(&L, L.t[0].col, "%s", syntax);
    for (size_t i = 1; i < 3; i++) {
        if (i >= L.n) /* missing: just past the last word */
            return fail(&L, L.t[i - 1].vcol + strlen(L.t[i - 1].val), "%s", syntax);
        if (L.t[i].key[0])
            return fail(&L, L.t[i].col, "%s", syntax);
    }
    memset(vm, 0, sizeof *vm);
    vm->id_format = 5; /* VDP VSI ID format 5: UUID */
    if (parse_uuid(L.t[1].val, vm->id))
        return fail(&L, L.t[1].col, "'%s' is not a VSI ID UUID (6b1e5a6e-2f3c-4d5e-9f00-0123456789ab)",
                    L.t[1].val);
    L.t[0].used = L.t[1].used = L.t[2].used = 1;
    L.type = L.t[2].val;
    L.type_col = L.t[2].col;
    memset(rec, 0, sizeof *rec);
    rec->type = 0;
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX && !rec->type; t++)
        if (same_key(sami_di_type_name(t), L.type))
            rec->type = (uint8_t)t;
    if (!rec->type)
        return fail(&L, L.type_col, "unknown DI type '%s' (dhcp, dhcpv6, nd, dot1x, acl, igmp, "
                                    "counters, firewall)", L.type);
    /* Stray words and unknown keys first: a misspelt key is reported as
     * such, not as the required key it was meant to be. */
    static const char *const keys[SAMI_DI_TYPE_MAX + 1][20] = {
        [SAMI_DI_DHCP] = {"ip", "mac", "vlan", "lease"},
        [SAMI_DI_DHCPV6] = {"ip", "mac", "vlan", "iaid", "lease"},
        [SAMI_DI_ND] = {"ip", "mac", "vlan", "lifetime", "state"},
        [SAMI_DI_DOT1X] = {"mac", "authorized", "eap", "identity", "session-id", "filter-id",
                           "vlan", "session", "reauth"},
        [SAMI_DI_ACL] = {"rule", "action", "rate", "origin", "src", "dst", "proto", "sport",
                         "dport", "vlan", "mac", "lifetime"},
        [SAMI_DI_IGMP] = {"group", "source", "vlan", "mode", "timer"},
        [SAMI_DI_COUNTERS] = {"dir", "packets", "bytes", "syn", "window", "rate-bps", "rate-pps"},
        [SAMI_DI_FIREWALL] = {"proto", "src", "sport", "dst", "dport", "vlan", "state", "created",
                              "last", "expiry", "nat-src", "nat-sport", "nat-dst", "nat-dport"}};
    for (size_t i = 3; i < L.n; i++) {
        if (!L.t[i].key[0])
            return fail(&L, L.t[i].col, "'%s': expected key=value", L.t[i].val);
        int known = 0;
        for (size_t k = 0; k < 20 && keys[rec->type][k] && !known; k++)
            known = same_key(keys[rec->type][k], L.t[i].key);
        if (!known)
            return fail(&L, L.t[i].col, "unknown key '%s' for %s", L.t[i].key, L.type);
    }
    rec->version = sami_di_current_version(rec->type);
    rec->op = SAMI_DI_OP_UPSERT;
    int rc;
    switch (rec->type) {
    case SAMI_DI_DHCP: rc = rec_dhcp(&L, rec); break;
    case SAMI_DI_DHCPV6: rc = rec_dhcpv6(&L, rec); break;
    case SAMI_DI_ND: rc = rec_nd(&L, rec); break;
    case SAMI_DI_DOT1X: rc = rec_dot1x(&L, rec); break;
    case SAMI_DI_ACL: rc = rec_acl(&L, rec); break;
    case SAMI_DI_IGMP: rc = rec_igmp(&L, rec); break;
    case SAMI_DI_COUNTERS: rc = rec_counters(&L, rec); break;
    default: rc = rec_firewall(&L, rec); break;
    }
    if (rc)
        return -1;
    for (size_t i = 3; i < L.n; i++) /* the table above and the parsers agree */
        if (!L.t[i].used)
            return fail(&L, L.t[i].col, "key '%s' is not used by %s", L.t[i].key, L.type);
    rc = sami_di_validate(rec);
    if (rc)
        return fail(&L, L.type_col, "not a valid %s record: %s", L.type, sami_strerror(rc));
    return 1;
}

/* ---- files ---- */

struct parsed {
    struct sami_vm_id vm;
    struct sami_di_record rec;
};

/* One line (n octets at line, no newline) of a file: checked, parsed and,
 * with a store, put. */
static int one_line(const char *name, size_t lineno, const char *line, size_t n,
                    const struct sami_store *store, sami_usec_t now,
                    struct samid_preload_stats *st, char *err, size_t errlen)
{
    char buf[SAMID_PRELOAD_LINE_MAX + 3];
    struct parsed p;
    if (st)
        st->lines++;
    if (n > SAMID_PRELOAD_LINE_MAX + 1) {
        snprintf(err, errlen, "%s:%zu:%d: line longer than %d octets", name, lineno,
                 SAMID_PRELOAD_LINE_MAX + 1, SAMID_PRELOAD_LINE_MAX);
        return -1;
    }
    memcpy(buf, line, n);
    buf[n] = 0;
    if (memchr(buf, 0, n)) {
        snprintf(err, errlen, "%s:%zu:%zu: NUL octet in a text file", name, lineno,
                 (size_t)((char *)memchr(buf, 0, n) - buf) + 1);
        return -1;
    }
    size_t col = 0;
    char why[300];
    int rc = samid_preload_parse_line(buf, &p.vm, &p.rec, &col, why, sizeof why);
    if (rc < 0) {
        snprintf(err, errlen, "%s:%zu:%zu: %s", name, lineno, col, why);
        return -1;
    }
    if (rc == 0 || !store)
        return 0;
    rc = sami_store_put(store, &p.vm, &p.rec, now);
    if (rc) {
        snprintf(err, errlen, "%s:%zu:1: the store refused this record: %s", name, lineno,
                 sami_strerror(rc));
        return -1;
    }
    if (st) {
        st->records++;
        st->per_type[0]++;
        st->per_type[p.rec.type]++;
    }
    return 0;
}

static int each_line(const char *name, const char *text, size_t len, const struct sami_store *store,
                     sami_usec_t now, struct samid_preload_stats *st, char *err, size_t errlen)
{
    size_t lineno = 0, pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        if (one_line(name, ++lineno, text + pos, n, store, now, st, err, errlen))
            return -1;
        pos += n + (nl ? 1 : 0);
    }
    return 0;
}

/* The same over a file, a line at a time: a preload of 1 M records is
 * ~140 MB of text, which samid held whole (peak RSS 260 MB for a store of
 * 90 MB) when the file was read into memory first. */
static int each_file_line(const char *name, FILE *f, const struct sami_store *store,
                          sami_usec_t now, struct samid_preload_stats *st, char *err,
                          size_t errlen)
{
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t got;
    int rc = 0;
    errno = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)got;
        if (n && line[n - 1] == '\n')
            n--;
        if (one_line(name, ++lineno, line, n, store, now, st, err, errlen)) {
            rc = -1;
            break;
        }
        errno = 0;
    }
    /* getline stops at the end, or on a read error or no memory */
    if (!rc && (ferror(f) || !feof(f))) {
        snprintf(err, errlen, "%s:%zu: read error: %s", name, lineno + 1,
                 strerror(errno ? errno : EIO));
        rc = -1;
    }
    free(line);
    return rc;
}

int samid_preload_text(const char *name, const char *text, size_t len, const struct sami_store *store,
                       sami_usec_t now, struct samid_preload_stats *st, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = 0;
    if (st)
        memset(st, 0, sizeof *st);
    if (!name)
        name = "preload";
    if (!text && len) {
        snprintf(err, errlen, "%s: no text", name);
        return -1;
    }
    if (!store) {
        snprintf(err, errlen, "%s: no store", name);
        return -1;
    }
    /* Check everything first so a typo on the last line stores nothing. */
    if (each_line(name, text, len, NULL, now, NULL, err, errlen))
        return -1;
    return each_line(name, text, len, store, now, st, err, errlen);
}

int samid_preload_load(const char *path, const struct sami_store *store, sami_usec_t now,
                       struct samid_preload_stats *st, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = 0;
    if (st)
        memset(st, 0, sizeof *st);
    if (!path) {
        snprintf(err, errlen, "no preload file given");
        return -1;
    }
    if (!store) {
        snprintf(err, errlen, "%s: no store", path);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        return -1;
    }
    /* Check everything first so a typo on the last line stores nothing;
     * then read it again and store. */
    struct stat s0, s1;
    int rc = fstat(fileno(f), &s0) == 0 ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    if (!rc)
        rc = each_file_line(path, f, NULL, now, NULL, err, errlen);
    /* what was checked must be what gets stored */
    if (!rc && (fstat(fileno(f), &s1) != 0 || s1.st_size != s0.st_size ||
                s1.st_mtim.tv_sec != s0.st_mtim.tv_sec ||
                s1.st_mtim.tv_nsec != s0.st_mtim.tv_nsec)) {
        snprintf(err, errlen, "%s: changed while it was being read", path);
        rc = -1;
    }
    if (!rc && fseek(f, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "%s: cannot read it twice: %s", path, strerror(errno));
        rc = -1;
    }
    if (!rc)
        rc = each_file_line(path, f, store, now, st, err, errlen);
    fclose(f);
    return rc;
}
