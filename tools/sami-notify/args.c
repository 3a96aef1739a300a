/* Command-line value parsers and small formatters for sami-notify. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"
#include "sami/di.h"
#include "sami/lldp.h"

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

/* n hex octets separated by ':' or '-' (or none at all). */
static int parse_octets(const char *s, uint8_t *out, size_t n)
{
    size_t i = 0;
    while (i < n) {
        int a = hexval((unsigned char)s[0]);
        int b = a < 0 ? -1 : hexval((unsigned char)s[1]);
        if (a < 0 || b < 0)
            return -1;
        out[i++] = (uint8_t)(a << 4 | b);
        s += 2;
        if (i < n && (*s == ':' || *s == '-'))
            s++;
    }
    return *s ? -1 : 0;
}

int parse_mac(const char *s, uint8_t mac[6])
{
    return parse_octets(s, mac, 6);
}

int parse_oui(const char *s, uint8_t oui[3])
{
    return parse_octets(s, oui, 3);
}

int parse_uuid(const char *s, uint8_t id[16])
{
    /* 8-4-4-4-12 (dashes optional, as lldpad accepts both). */
    size_t n = 0;
    for (; *s && n < 16; s++) {
        if (*s == '-')
            continue;
        int a = hexval((unsigned char)s[0]);
        int b = a < 0 ? -1 : hexval((unsigned char)s[1]);
        if (a < 0 || b < 0)
            return -1;
        id[n++] = (uint8_t)(a << 4 | b);
        s++;
    }
    return n == 16 && !*s ? 0 : -1;
}

int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || !end || *end || v > max)
        return -1;
    *out = v;
    return 0;
}

static int looks_like_mac(const char *s, size_t n, uint8_t mac[6])
{
    char tmp[32];
    if (n >= sizeof tmp)
        return 0;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    return parse_mac(tmp, mac) == 0;
}

int parse_bridge(const char *s, struct sami_bridge_ref *ref, bool *has_port)
{
    memset(ref, 0, sizeof *ref);
    *has_port = false;
    /* A MAC chassis contains no '/', so the last '/' splits off the port. */
    const char *slash = strrchr(s, '/');
    size_t clen = slash ? (size_t)(slash - s) : strlen(s);
    if (clen == 0 || clen > SAMI_LLDP_ID_MAX)
        return -1;
    uint8_t mac[6];
    if (looks_like_mac(s, clen, mac)) {
        ref->chassis_id_subtype = SAMI_LLDP_CHASSIS_MAC;
        ref->chassis_id_len = 6;
        memcpy(ref->chassis_id, mac, 6);
    } else {
        ref->chassis_id_subtype = SAMI_LLDP_CHASSIS_LOCAL;
        ref->chassis_id_len = (uint8_t)clen;
        memcpy(ref->chassis_id, s, clen);
    }
    if (!slash)
        return 0;
    const char *p = slash + 1;
    size_t plen = strlen(p);
    if (plen == 0 || plen > SAMI_LLDP_ID_MAX)
        return -1;
    if (looks_like_mac(p, plen, mac)) {
        ref->port_id_subtype = SAMI_LLDP_PORT_MAC;
        ref->port_id_len = 6;
        memcpy(ref->port_id, mac, 6);
    } else {
        ref->port_id_subtype = SAMI_LLDP_PORT_IF_NAME;
        ref->port_id_len = (uint8_t)plen;
        memcpy(ref->port_id, p, plen);
    }
    *has_port = true;
    return 0;
}

int parse_di_types(const char *s, uint32_t *bitmap)
{
    uint32_t bm = 0;
    if (!strcmp(s, "none")) {
        *bitmap = 0;
        return 0;
    }
    if (!strcmp(s, "all")) {
        for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++)
            bm |= UINT32_C(1) << t;
        *bitmap = bm;
        return 0;
    }
    char buf[256];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        unsigned t = 0;
        for (unsigned i = 1; i <= SAMI_DI_TYPE_MAX; i++)
            if (!strcmp(tok, sami_di_type_name(i)))
                t = i;
        uint64_t v;
        /* Numbers name types this build does not know yet (bit 1..31). */
        if (!t && parse_u64(tok, 31, &v) == 0 && v >= 1)
            t = (unsigned)v;
        if (!t)
            return -1;
        bm |= UINT32_C(1) << t;
    }
    *bitmap = bm;
    return 0;
}

static void fmt_id(char *buf, size_t cap, bool port, uint8_t subtype, const uint8_t *id, size_t n)
{
    bool mac = port ? subtype == SAMI_LLDP_PORT_MAC : subtype == SAMI_LLDP_CHASSIS_MAC;
    if (mac && n == 6) {
        fmt_mac(buf, cap, id);
        return;
    }
    size_t o = 0;
    bool text = n > 0;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7e || id[i] == '/')
            text = false;
    for (size_t i = 0; i < n && o + 4 < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, text ? "%c" : (i ? ":%02x" : "%02x"), id[i]);
    if (cap)
        buf[o < cap ? o : cap - 1] = 0;
}

void fmt_bridge(char *buf, size_t cap, const struct sami_bridge_ref *r)
{
    char c[800], p[800];
    fmt_id(c, sizeof c, false, r->chassis_id_subtype, r->chassis_id, r->chassis_id_len);
    fmt_id(p, sizeof p, true, r->port_id_subtype, r->port_id, r->port_id_len);
    snprintf(buf, cap, "%s/%s", c, p);
}

void fmt_mac(char *buf, size_t cap, const uint8_t m[6])
{
    snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void json_str(char *buf, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s && o + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c < 0x20 || c > 0x7e) {
            o += (size_t)snprintf(buf + o, cap - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    if (cap)
        buf[o] = 0;
}
