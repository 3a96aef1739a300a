/* Formatting shared by the dissectors. */
#include <string.h>

#include "sami/di.h"
#include "sniff.h"

bool sniff_printable(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 0x20 || p[i] > 0x7e)
            return false;
    return true;
}

const char *vsiid_format_name(unsigned fmt)
{
    switch (fmt) {
    case 1: return "IPv4";
    case 2: return "IPv6";
    case 3: return "MAC";
    case 4: return "local";
    case 5: return "UUID";
    default: return "unknown";
    }
}

const char *vsiid_format_tag(unsigned fmt)
{
    switch (fmt) {
    case 1: return "ipv4";
    case 2: return "ipv6";
    case 3: return "mac";
    case 4: return "local";
    case 5: return "uuid";
    default: return "id";
    }
}

void fmt_vsi_id(struct sbuf *b, unsigned fmt, const uint8_t id[16])
{
    switch (fmt) {
    case 1: sb_ipv4(b, id + 12); break;
    case 2: sb_ipv6(b, id); break;
    case 3: sb_mac(b, id + 10); break;
    case 5: sb_uuid(b, id); break;
    default: sb_hexbytes(b, id, 16, 0); break;
    }
}

void fmt_lldp_id(struct sbuf *b, bool port, unsigned subtype, const uint8_t *p, size_t n,
                 bool esc)
{
    bool is_mac = port ? subtype == 3 : subtype == 4;
    bool is_net = port ? subtype == 4 : subtype == 5;
    if (is_mac && n == 6) {
        sb_mac(b, p);
        return;
    }
    if (is_net && n == 5 && p[0] == 1) {
        sb_ipv4(b, p + 1);
        return;
    }
    if (is_net && n == 17 && p[0] == 2) {
        sb_ipv6(b, p + 1);
        return;
    }
    if (!is_mac && !is_net && n && sniff_printable(p, n)) {
        if (esc)
            sb_text_esc(b, (const char *)p, n);
        else
            sb_putn(b, (const char *)p, n);
        return;
    }
    sb_hexbytes(b, p, n, ':');
}

void fmt_di_types(struct sbuf *b, uint32_t bitmap)
{
    if (!bitmap) {
        sb_puts(b, "none");
        return;
    }
    bool first = true;
    for (unsigned i = 0; i < 32; i++) {
        if (!(bitmap & (UINT32_C(1) << i)))
            continue;
        if (!first)
            sb_putc(b, ',');
        first = false;
        if (i >= 1 && i <= SAMI_DI_TYPE_MAX) {
            sb_puts(b, sami_di_type_name(i));
        } else {
            sb_puts(b, "bit");
            sb_u64(b, i);
        }
    }
}

struct tnode *tr_vsi_id(struct tree *t, const char *key, unsigned fmt, const uint8_t id[16])
{
    if (!tr_on(t))
        return tr_add(t, key, T_STR);
    uint32_t m = tr_mark(t);
    fmt_vsi_id(&t->arena, fmt, id);
    return tr_sm(t, key, m);
}

struct tnode *tr_di_types(struct tree *t, const char *key, uint32_t bitmap)
{
    struct tnode *n = tr_x(t, key, bitmap, 8);
    if (!tr_on(t))
        return n;
    uint32_t m = tr_mark(t);
    fmt_di_types(&t->arena, bitmap);
    tr_ann_m(t, n, m, TF_NAME);
    return n;
}

struct tnode *tr_u64hex(struct tree *t, const char *key, uint64_t v)
{
    /* 64-bit ids as "0x" strings: JSON numbers above 2^53 lose precision in
     * common consumers. */
    if (!tr_on(t))
        return tr_add(t, key, T_STR);
    uint32_t m = tr_mark(t);
    sb_0x(&t->arena, v, 16);
    return tr_sm(t, key, m);
}

struct tnode *tr_ms_time(struct tree *t, const char *key, uint64_t ms)
{
    struct tnode *n = tr_u(t, key, ms);
    if (!tr_on(t))
        return n;
    uint32_t m = tr_mark(t);
    sb_iso_usec(&t->arena, (int64_t)(ms / 1000u), (uint32_t)(ms % 1000u) * 1000u);
    tr_ann_m(t, n, m, TF_NOTE);
    return n;
}

void tr_vlan_word(struct tree *t, uint16_t word)
{
    tr_u(t, "ps", word >> 15);
    tr_u(t, "pcp", word >> 12 & 7);
    tr_u(t, "vid", word & 0xfff);
}

void sum_vlan_word(struct sbuf *b, uint16_t word)
{
    sb_puts(b, "vid ");
    sb_u64(b, word & 0xfff);
    if (word >> 12 & 7) {
        sb_puts(b, " pcp ");
        sb_u64(b, word >> 12 & 7);
    }
    if (word >> 15)
        sb_puts(b, " ps");
}
