/* sami-sniff: dissector for sami / 802.1Qbg captures.
 *
 * Reads pcap or pcapng (libpcap) or captures live on an interface, applies
 * an optional BPF filter, demuxes
 * Ethernet (with 802.1Q/802.1ad tags) by ethertype and hands ECP, LLDP, the
 * sami L2 transfer binding and the TCP transfer stream to the libsami codecs.
 * Output: one line per frame, an indented tree (-v) or one JSON object per
 * line (--json); --stats adds per-message-type counters; --timeline rebuilds
 * each migration from its frames instead. See docs/SNIFF.md. */
#define _DEFAULT_SOURCE 1
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcapfile.h"
#include "sniff.h"
#include "timeline.h"

#ifndef SAMI_SNIFF_VERSION
#define SAMI_SNIFF_VERSION "0.0.0"
#endif

#define EXIT_USAGE 2
#define EXIT_FILE 1

/* ---- output ---- */

static char out_mem[256 * 1024];
static struct sbuf out;
static char sum_mem[16 * 1024];
static struct sbuf sum;
static struct tree tree; /* large: static, never on the stack */

/* ---- stats: a small open-addressing table, names copied ---- */

#define STATS_SLOTS 512u

struct stat_ent {
    uint32_t hash;
    uint8_t used;
    char name[64];
    uint64_t count;
};

static struct stat_ent stats_tab[STATS_SLOTS];
static unsigned stats_used;
static bool stats_on;

static void stats_add(const char *name, size_t n)
{
    if (!stats_on)
        return;
    if (n > 63)
        n = 63;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    for (uint32_t i = 0; i < STATS_SLOTS; i++) {
        struct stat_ent *e = &stats_tab[(h + i) & (STATS_SLOTS - 1)];
        if (!e->used) {
            if (stats_used + 1 >= STATS_SLOTS)
                return; /* full: drop new names rather than loop forever */
            e->used = 1;
            e->hash = h;
            memcpy(e->name, name, n);
            e->name[n] = 0;
            e->count = 1;
            stats_used++;
            return;
        }
        if (e->hash == h && !strncmp(e->name, name, n) && e->name[n] == 0) {
            e->count++;
            return;
        }
    }
}

void stats_inc(const char *name)
{
    if (stats_on) /* before strlen: the one-line hot path has stats off */
        stats_add(name, strlen(name));
}

void stats_inc2(const char *a, const char *b)
{
    stats_inc3(a, b, NULL);
}

void stats_inc3(const char *a, const char *b, const char *c)
{
    if (!stats_on)
        return;
    char t[64];
    struct sbuf s;
    sb_init(&s, t, sizeof t, NULL);
    sb_puts(&s, a);
    if (b) {
        sb_putc(&s, ' ');
        sb_puts(&s, b);
    }
    if (c) {
        sb_putc(&s, ' ');
        sb_puts(&s, c);
    }
    stats_add(t, s.len);
}

static int stat_cmp(const void *a, const void *b)
{
    const struct stat_ent *x = a, *y = b;
    if (x->used != y->used)
        return x->used ? -1 : 1;
    return strcmp(x->name, y->name);
}

static void stats_print(bool json, uint64_t frames)
{
    qsort(stats_tab, STATS_SLOTS, sizeof stats_tab[0], stat_cmp);
    if (json) {
        sb_puts(&out, "{\"stats\":{\"frames\":");
        sb_u64(&out, frames);
        sb_puts(&out, ",\"counts\":{");
        for (unsigned i = 0; i < stats_used; i++) {
            if (i)
                sb_putc(&out, ',');
            sb_putc(&out, '"');
            sb_json_esc(&out, stats_tab[i].name, strlen(stats_tab[i].name));
            sb_putn(&out, "\":", 2);
            sb_u64(&out, stats_tab[i].count);
        }
        sb_puts(&out, "}}}\n");
        return;
    }
    sb_puts(&out, "stats:\n");
    sb_printf(&out, "%10" PRIu64 "  %s\n", frames, "frames");
    for (unsigned i = 0; i < stats_used; i++)
        sb_printf(&out, "%10" PRIu64 "  %s\n", stats_tab[i].count, stats_tab[i].name);
}

/* ---- malformed reports ---- */

void sniff_malformed_at(struct sniff_frame *f, const char *module, int code, size_t offset,
                        int tlv_type, const char *what)
{
    if (f->mal.set)
        return;
    f->mal.set = true;
    f->mal.module = module;
    f->mal.code = code;
    f->mal.offset = offset;
    f->mal.tlv_type = tlv_type;
    f->mal.what = what ? what : "?";
}

void sniff_malformed(struct sniff_frame *f, const char *module, const struct sami_err *err,
                     int rc, size_t base)
{
    /* Codecs fill err on failure; fall back to rc if one did not. */
    if (err && err->code) {
        sniff_malformed_at(f, module, err->code, base + err->offset, err->tlv_type, err->what);
    } else {
        sniff_malformed_at(f, module, rc ? rc : SAMI_ERR_VALUE, base + (err ? err->offset : 0),
                           err ? err->tlv_type : -1, err && err->what ? err->what : "?");
    }
}

static void mal_text(struct sbuf *b, const struct sniff_mal *m)
{
    sb_puts(b, m->module);
    sb_putn(b, ": ", 2);
    sb_puts(b, sami_strerror(m->code));
    sb_puts(b, " at offset ");
    sb_u64(b, m->offset);
    if (m->tlv_type >= 0) {
        sb_puts(b, " (TLV ");
        sb_u64(b, (uint64_t)m->tlv_type);
        sb_putc(b, ')');
    }
    sb_putn(b, ": ", 2);
    sb_puts(b, m->what);
}

/* ---- link layer and IP ---- */

static const char *ethertype_name(unsigned et)
{
    switch (et) {
    case 0x0800: return "IPv4";
    case 0x0806: return "ARP";
    case 0x86dd: return "IPv6";
    case 0x8100: return "802.1Q";
    case 0x88a8: return "802.1ad";
    case 0x88cc: return "LLDP";
    case 0x8940: return "ECP";
    case 0x88b5: return "sami-L2";
    case 0x888e: return "EAPOL";
    default: return NULL;
    }
}

static void other(struct sniff_frame *f, const char *what, unsigned et, size_t len)
{
    sb_puts(f->sum, what);
    if (et) {
        sb_putc(f->sum, ' ');
        sb_0x(f->sum, et, 4);
    }
    sb_puts(f->sum, ", length ");
    sb_u64(f->sum, len);
    stats_inc("other");
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void tcp_flags_text(struct sbuf *b, uint8_t fl)
{
    static const char names[] = "FSRPAUEC";
    sb_putc(b, '[');
    int any = 0;
    for (int i = 0; i < 8; i++)
        if (fl & (1u << i)) {
            sb_putc(b, names[i]);
            any = 1;
        }
    if (!any)
        sb_putc(b, '.');
    sb_putc(b, ']');
}

/* TCP over IPv4/IPv6; off/len: the TCP segment as bounded by the IP length. */
static void dissect_tcp(struct sniff_frame *f, struct sniff_flow_key *k, size_t off, size_t len,
                        const char *ipname)
{
    const uint8_t *p = f->pkt + off;
    if (len < 20) {
        sb_puts(f->sum, " TCP [|tcp]");
        sniff_malformed_at(f, "tcp", SAMI_ERR_TRUNCATED, off + len, -1, "tcp.header");
        return;
    }
    uint16_t sp = rd16(p), dp = rd16(p + 2);
    uint32_t seq = rd32(p + 4), ack = rd32(p + 8);
    size_t hl = (size_t)(p[12] >> 4) * 4;
    uint8_t fl = p[13];
    if (hl < 20 || hl > len) {
        sb_puts(f->sum, " TCP bad header length");
        sniff_malformed_at(f, "tcp", SAMI_ERR_LENGTH, off + 12, -1, "tcp.data_offset");
        return;
    }
    k->port[0] = sp;
    k->port[1] = dp;
    size_t plen = len - hl;
    if (tr_on(f->t)) {
        tr_open_r(f->t, "tcp", T_OBJ, off, len);
        tr_u(f->t, "sport", sp);
        tr_u(f->t, "dport", dp);
        tr_u(f->t, "seq", seq);
        tr_u(f->t, "ack", ack);
        struct tnode *n = tr_x(f->t, "flags", fl, 2);
        uint32_t m = tr_mark(f->t);
        tcp_flags_text(&f->t->arena, fl);
        tr_ann_m(f->t, n, m, TF_NOTE);
        tr_u(f->t, "payload_len", plen);
        tr_close(f->t);
    }
    sb_puts(f->sum, ipname);
    sb_putc(f->sum, ' ');
    if (k->family == 4)
        sb_ipv4(f->sum, k->addr[0] + 12);
    else
        sb_ipv6(f->sum, k->addr[0]);
    sb_putc(f->sum, '.');
    sb_u64(f->sum, sp);
    sb_puts(f->sum, " > ");
    if (k->family == 4)
        sb_ipv4(f->sum, k->addr[1] + 12);
    else
        sb_ipv6(f->sum, k->addr[1]);
    sb_putc(f->sum, '.');
    sb_u64(f->sum, dp);
    sb_puts(f->sum, " TCP ");
    tcp_flags_text(f->sum, fl);
    if (sp != f->o->tcp_port && dp != f->o->tcp_port) {
        sb_puts(f->sum, " length ");
        sb_u64(f->sum, plen);
        stats_inc("other");
        return;
    }
    if (!plen) {
        sb_puts(f->sum, " length 0");
        stats_inc("TCP (no payload)");
        return;
    }
    sb_putc(f->sum, ' ');
    dissect_xfer_stream(f, k, seq + (fl & 0x02 ? 1u : 0u), off + hl, plen);
}

static void dissect_ipv4(struct sniff_frame *f, size_t off, size_t len)
{
    const uint8_t *p = f->pkt + off;
    if (len < 20 || (p[0] >> 4) != 4) {
        sb_puts(f->sum, "IPv4 [|ip]");
        sniff_malformed_at(f, "ipv4", len < 20 ? SAMI_ERR_TRUNCATED : SAMI_ERR_VERSION,
                           off + (len < 20 ? len : 0), -1, "ipv4.header");
        return;
    }
    size_t ihl = (size_t)(p[0] & 15) * 4;
    size_t tot = rd16(p + 2);
    if (ihl < 20 || tot < ihl || ihl > len) {
        sb_puts(f->sum, "IPv4 bad length");
        sniff_malformed_at(f, "ipv4", SAMI_ERR_LENGTH, off + (ihl < 20 || ihl > len ? 0 : 2), -1,
                           ihl < 20 || ihl > len ? "ipv4.ihl" : "ipv4.total_length");
        return;
    }
    /* The IP length bounds the payload (Ethernet padding is not data); a
     * capture cut by the snaplen bounds it further. */
    size_t avail = tot < len ? tot : len;
    uint16_t frag = rd16(p + 6);
    uint8_t proto = p[9];
    struct sniff_flow_key k;
    memset(&k, 0, sizeof k);
    k.family = 4;
    k.addr[0][10] = k.addr[0][11] = 0xff;
    k.addr[1][10] = k.addr[1][11] = 0xff;
    memcpy(k.addr[0] + 12, p + 12, 4);
    memcpy(k.addr[1] + 12, p + 16, 4);
    if (tr_on(f->t)) {
        tr_open_r(f->t, "ip", T_OBJ, off, avail);
        tr_u(f->t, "version", 4);
        uint32_t m = tr_mark(f->t);
        sb_ipv4(&f->t->arena, p + 12);
        tr_sm(f->t, "src", m);
        m = tr_mark(f->t);
        sb_ipv4(&f->t->arena, p + 16);
        tr_sm(f->t, "dst", m);
        tr_u(f->t, "proto", proto);
        tr_u(f->t, "ttl", p[8]);
        tr_u(f->t, "total_length", tot);
        tr_close(f->t);
    }
    if ((frag & 0x1fff) != 0) {
        sb_puts(f->sum, "IPv4 fragment");
        stats_inc("other");
        return;
    }
    if (proto != 6) {
        sb_puts(f->sum, "IPv4 ");
        sb_ipv4(f->sum, p + 12);
        sb_puts(f->sum, " > ");
        sb_ipv4(f->sum, p + 16);
        sb_puts(f->sum, " proto ");
        sb_u64(f->sum, proto);
        stats_inc("other");
        return;
    }
    dissect_tcp(f, &k, off + ihl, avail - ihl, "IPv4");
}

static void dissect_ipv6(struct sniff_frame *f, size_t off, size_t len)
{
    const uint8_t *p = f->pkt + off;
    if (len < 40 || (p[0] >> 4) != 6) {
        sb_puts(f->sum, "IPv6 [|ip6]");
        sniff_malformed_at(f, "ipv6", len < 40 ? SAMI_ERR_TRUNCATED : SAMI_ERR_VERSION,
                           off + (len < 40 ? len : 0), -1, "ipv6.header");
        return;
    }
    size_t plen = rd16(p + 4);
    size_t avail = plen < len - 40 ? plen : len - 40;
    uint8_t nh = p[6];
    struct sniff_flow_key k;
    memset(&k, 0, sizeof k);
    k.family = 6;
    memcpy(k.addr[0], p + 8, 16);
    memcpy(k.addr[1], p + 24, 16);
    if (tr_on(f->t)) {
        tr_open_r(f->t, "ip", T_OBJ, off, 40 + avail);
        tr_u(f->t, "version", 6);
        uint32_t m = tr_mark(f->t);
        sb_ipv6(&f->t->arena, p + 8);
        tr_sm(f->t, "src", m);
        m = tr_mark(f->t);
        sb_ipv6(&f->t->arena, p + 24);
        tr_sm(f->t, "dst", m);
        tr_u(f->t, "next_header", nh);
        tr_u(f->t, "hop_limit", p[7]);
        tr_u(f->t, "payload_length", plen);
        tr_close(f->t);
    }
    size_t o = off + 40, left = avail;
    /* Walk the usual extension headers to reach TCP. */
    for (int hops = 0; hops < 8; hops++) {
        if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44) {
            if (left < 8)
                break;
            const uint8_t *e = f->pkt + o;
            size_t el = nh == 44 ? 8 : nh == 51 ? ((size_t)e[1] + 2) * 4 : ((size_t)e[1] + 1) * 8;
            if (nh == 44 && (rd16(e + 2) & 0xfff8) != 0) {
                sb_puts(f->sum, "IPv6 fragment");
                stats_inc("other");
                return;
            }
            if (el > left)
                break;
            nh = e[0];
            o += el;
            left -= el;
            continue;
        }
        break;
    }
    if (nh != 6) {
        sb_puts(f->sum, "IPv6 ");
        sb_ipv6(f->sum, p + 8);
        sb_puts(f->sum, " > ");
        sb_ipv6(f->sum, p + 24);
        sb_puts(f->sum, " next header ");
        sb_u64(f->sum, nh);
        stats_inc("other");
        return;
    }
    dissect_tcp(f, &k, o, left, "IPv6");
}

static void dissect_ethertype(struct sniff_frame *f, unsigned et, size_t off)
{
    size_t len = f->caplen - off;
    switch (et) {
    case 0x8940: dissect_ecp(f, off, len); break;
    case 0x88cc: dissect_lldp(f, off, len); break;
    case 0x88b5: dissect_l2xfer(f, off, len); break;
    case 0x0800: dissect_ipv4(f, off, len); break;
    case 0x86dd: dissect_ipv6(f, off, len); break;
    default: {
        const char *n = ethertype_name(et);
        if (et < 0x600)
            other(f, "802.3 length", 0, et);
        else
            other(f, n ? n : "ethertype", n ? 0 : et, f->wirelen);
    }
    }
}

static void dissect_ether(struct sniff_frame *f)
{
    const uint8_t *p = f->pkt;
    if (f->caplen < 14) {
        sb_puts(f->sum, "[|ether]");
        if (tr_on(f->t))
            tr_hex(f->t, "bytes", p, f->caplen, 64);
        sniff_malformed_at(f, "eth", SAMI_ERR_TRUNCATED, f->caplen, -1, "eth.header");
        stats_inc("other");
        return;
    }
    f->src_mac = p + 6;
    if (tr_on(f->t)) {
        tr_mac(f->t, "src", p + 6);
        tr_mac(f->t, "dst", p);
    }
    sb_mac(f->sum, p + 6);
    sb_puts(f->sum, " > ");
    sb_mac(f->sum, p);
    sb_putc(f->sum, ' ');
    size_t off = 12;
    unsigned et = rd16(p + 12);
    bool tagged = false;
    /* 802.1Q / 802.1ad / old QinQ tags; a few at most. */
    for (int i = 0; i < 4 && (et == 0x8100 || et == 0x88a8 || et == 0x9100); i++) {
        if (f->caplen < off + 6) {
            sb_puts(f->sum, "[|vlan]");
            sniff_malformed_at(f, "eth", SAMI_ERR_TRUNCATED, f->caplen, -1, "eth.vlan_tag");
            stats_inc("other");
            return;
        }
        uint16_t tci = rd16(p + off + 2);
        if (tr_on(f->t)) {
            if (!tagged)
                tr_open(f->t, "vlan", T_ARR);
            struct tnode *o = tr_open_r(f->t, NULL, T_OBJ, off, 4);
            uint32_t m = tr_mark(f->t);
            sb_puts(&f->t->arena, "vlan ");
            sb_u64(&f->t->arena, tci & 0xfff);
            tr_set_str_m(f->t, o, m);
            tr_x(f->t, "tpid", et, 4);
            tr_u(f->t, "pcp", tci >> 13);
            tr_u(f->t, "dei", tci >> 12 & 1);
            tr_u(f->t, "vid", tci & 0xfff);
            tr_close(f->t);
        }
        tagged = true;
        sb_puts(f->sum, "vlan ");
        sb_u64(f->sum, tci & 0xfff);
        sb_putn(f->sum, ", ", 2);
        off += 4;
        et = rd16(p + off);
    }
    if (tagged && tr_on(f->t))
        tr_close(f->t);
    off += 2;
    if (tr_on(f->t)) {
        tr_xn(f->t, "ethertype", et, 4, ethertype_name(et));
    }
    dissect_ethertype(f, et, off);
}

/* Linux cooked captures (the "any" device): no MACs to print, the protocol
 * field plays the ethertype's part. */
static void dissect_sll(struct sniff_frame *f, bool v2)
{
    size_t hl = v2 ? 20 : 16;
    if (f->caplen < hl) {
        sb_puts(f->sum, "[|sll]");
        sniff_malformed_at(f, "sll", SAMI_ERR_TRUNCATED, f->caplen, -1, "sll.header");
        stats_inc("other");
        return;
    }
    const uint8_t *p = f->pkt;
    unsigned et = v2 ? rd16(p) : rd16(p + 14);
    size_t alen = v2 ? p[11] : rd16(p + 4);
    const uint8_t *addr = v2 ? p + 12 : p + 6;
    if (alen > 8)
        alen = 8;
    if (alen == 6) {
        f->src_mac = addr;
        if (tr_on(f->t))
            tr_mac(f->t, "src", addr);
        sb_mac(f->sum, addr);
    } else {
        if (tr_on(f->t))
            tr_hex(f->t, "src", addr, alen, 8);
        sb_hexbytes(f->sum, addr, alen, ':');
    }
    sb_puts(f->sum, " > (cooked) ");
    if (tr_on(f->t))
        tr_xn(f->t, "ethertype", et, 4, ethertype_name(et));
    dissect_ethertype(f, et, hl);
}

/* ---- options ---- */

static void usage(FILE *to)
{
    fputs("usage: sami-sniff [options] -r FILE [BPF filter expression]\n"
          "       sami-sniff [options] -i IFACE [BPF filter expression]\n"
          "Decodes sami / IEEE 802.1Qbg captures (pcap or pcapng) or live traffic: ECP +\n"
          "VDP (with the sami notification and feedback TLVs), LLDP (EVB, sami\n"
          "capability), the sami transfer L2 binding (ethertype 0x88B5) and TCP stream\n"
          "binding.\n"
          "\n"
          "  -r FILE         read packets from FILE (pcap or pcapng; \"-\" = stdin)\n"
          "  -i IFACE        capture live on IFACE (needs root / CAP_NET_RAW) until\n"
          "                  Ctrl-C (SIGINT) or SIGTERM, or -c COUNT frames\n"
          "  -p              live: do not put IFACE into promiscuous mode\n"
          "      --timeline  rebuild each migration from its frames (notifications of\n"
          "                  both hypervisors, transfer messages, feedback): phases,\n"
          "                  blackout, events; printed at the end (text, or one JSON\n"
          "                  object per migration with --json) instead of the frames\n"
          "  -v              verbose: the one-line summary, then an indented field tree\n"
          "  -j, --json      one JSON object per frame per line (keys: docs/SNIFF.md)\n"
          "  -c COUNT        stop after COUNT frames (after filtering)\n"
          "  -q              no per-frame output (use with --stats)\n"
          "      --stats     print counts per message type at the end\n"
          "      --oui XX-XX-XX  the sami OUI (default 0A-53-4D)\n"
          "      --port N    TCP port of the transfer stream binding (default 5757)\n"
          "      --key ID:HEX  verify transfer HMACs with key ID (1..65535) = HEX (16..64\n"
          "                  octets); repeatable. Without a key: \"auth not verified\"\n"
          "  -h, --help      this text\n"
          "      --version   print the version\n"
          "\n"
          "Exit status: 0 (also when frames are malformed: they are reported),\n"
          "1 unreadable file, or interface missing / not permitted, 2 usage error\n"
          "(including a bad filter).\n",
          to);
}

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "sami-sniff: %s%s%s\nTry 'sami-sniff --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return EXIT_USAGE;
}

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

static int parse_oui(const char *s, uint8_t oui[3])
{
    int n = 0;
    while (*s && n < 6) {
        if ((*s == '-' || *s == ':') && n % 2 == 0 && n > 0) {
            s++;
            continue;
        }
        int v = hexval((unsigned char)*s);
        if (v < 0)
            return -1;
        if (n % 2 == 0)
            oui[n / 2] = (uint8_t)(v << 4);
        else
            oui[n / 2] |= (uint8_t)v;
        n++;
        s++;
    }
    return n == 6 && !*s ? 0 : -1;
}

static int parse_key(const char *s, struct sniff_key *k)
{
    char *end;
    errno = 0;
    unsigned long id = strtoul(s, &end, 0);
    /* Key id 0 marks an empty keyring slot; keys are 16..64 random octets
     * (the transfer keyring's limits). */
    if (errno || end == s || *end != ':' || id == 0 || id > 0xffff)
        return -1;
    k->id = (uint16_t)id;
    const char *h = end + 1;
    size_t n = strlen(h);
    if (n % 2 || n / 2 < 16 || n / 2 > sizeof k->key)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int a = hexval((unsigned char)h[2 * i]), b = hexval((unsigned char)h[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        k->key[i] = (uint8_t)(a << 4 | b);
    }
    k->len = (uint8_t)(n / 2);
    return 0;
}

/* ---- main loop ---- */

static pcap_t *live_pc;
static volatile sig_atomic_t stop_req;

/* pcap_breakloop is documented safe from a signal handler: it sets a flag
 * and (libpcap >= 1.10 on Linux) wakes the poll inside pcap_next_ex. */
static void on_signal(int sig)
{
    (void)sig;
    stop_req = 1;
    if (live_pc)
        pcap_breakloop(live_pc);
}

static pcap_t *open_live(const char *ifname, bool promisc, char *errbuf)
{
    pcap_t *pc = pcap_create(ifname, errbuf);
    if (!pc)
        return NULL;
    /* Immediate mode: each frame is shown when it arrives, not when a
     * kernel buffer fills; the timeout only bounds the wait when the
     * platform cannot break a blocking read from the signal handler. */
    if (pcap_set_snaplen(pc, 65535) || pcap_set_promisc(pc, promisc ? 1 : 0) ||
        pcap_set_immediate_mode(pc, 1) || pcap_set_timeout(pc, 200) ||
        pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_MICRO)) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "cannot configure the capture");
        pcap_close(pc);
        return NULL;
    }
    int rc = pcap_activate(pc);
    if (rc < 0) {
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            snprintf(errbuf, PCAP_ERRBUF_SIZE, "no such interface");
        else if (rc == PCAP_ERROR_PERM_DENIED)
            snprintf(errbuf, PCAP_ERRBUF_SIZE, "permission denied (needs CAP_NET_RAW)");
        else
            snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    return pc;
}

static void frame(struct sniff_frame *f, int dlt, const struct pcap_pkthdr *h)
{
    struct tree *t = f->t;
    if (tr_on(t)) {
        tr_reset(t);
        tr_u(t, "frame", f->no);
        uint32_t m = tr_mark(t);
        sb_iso_usec(&t->arena, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec);
        tr_sm(t, "time", m);
        tr_u(t, "ts_usec", (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec)->flags |=
            TF_JONLY;
        tr_u(t, "caplen", h->caplen);
        tr_u(t, "len", h->len);
    }
    /* One-line and -v output: the summary is built in place in the output
     * buffer, right after the timestamp, so it is never copied. */
    bool inplace = !f->o->quiet && !f->o->json;
    if (inplace) {
        if (out.cap - out.len < sizeof sum_mem + 64)
            sb_flush(&out);
        sb_hms_usec(&out, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec);
        sb_putc(&out, ' ');
        sb_init(f->sum, out.p + out.len, sizeof sum_mem, NULL);
    } else {
        sb_init(f->sum, sum_mem, sizeof sum_mem, NULL);
    }
    switch (dlt) {
    case DLT_LINUX_SLL: dissect_sll(f, false); break;
#ifdef DLT_LINUX_SLL2
    case DLT_LINUX_SLL2: dissect_sll(f, true); break;
#endif
    default: dissect_ether(f); break;
    }
    /* Dissectors end their pieces with a space; drop the last one. */
    while (f->sum->len && f->sum->p[f->sum->len - 1] == ' ')
        f->sum->len--;
    if (f->mal.set) {
        stats_inc("malformed");
        if (f->sum->len)
            sb_putc(f->sum, ' ');
        sb_puts(f->sum, "MALFORMED: ");
        mal_text(f->sum, &f->mal);
        if (tr_on(t)) {
            tr_close_to(t, 0);
            tr_use_reserve(t);
            uint32_t m = tr_mark(t);
            mal_text(&t->arena, &f->mal);
            tr_sm(t, "MALFORMED", m)->flags |= TF_VONLY;
            tr_open(t, "malformed", T_OBJ)->flags |= TF_JONLY;
            tr_s(t, "code", sami_strerror_name(f->mal.code));
            tr_s(t, "error", sami_strerror(f->mal.code));
            tr_s(t, "module", f->mal.module);
            tr_u(t, "offset", f->mal.offset);
            tr_i(t, "tlv_type", f->mal.tlv_type);
            tr_s(t, "what", f->mal.what);
            tr_close(t);
        }
    }
    if (f->o->quiet)
        return;
    if (f->o->json) {
        tr_render_json(t, &out);
        sb_putc(&out, '\n');
        return;
    }
    out.len += f->sum->len;
    if (f->sum->truncated)
        sb_puts(&out, " ...");
    sb_putc(&out, '\n');
    if (f->o->verbose) {
        tr_render_text(t, &out);
        sb_putc(&out, '\n');
    }
}

int main(int argc, char **argv)
{
    static struct sniff_opts o;
    const char *file = NULL, *iface = NULL;
    bool promisc = true;
    o.oui[0] = 0x0a;
    o.oui[1] = 0x53;
    o.oui[2] = 0x4d;
    o.tcp_port = 5757;
    o.max_body = 16u * 1024u * 1024u;

    enum { OPT_STATS = 256, OPT_OUI, OPT_KEY, OPT_PORT, OPT_VERSION, OPT_TIMELINE };
    static const struct option lopts[] = {
        {"json", no_argument, NULL, 'j'},       {"stats", no_argument, NULL, OPT_STATS},
        {"oui", required_argument, NULL, OPT_OUI}, {"key", required_argument, NULL, OPT_KEY},
        {"port", required_argument, NULL, OPT_PORT}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION}, {"verbose", no_argument, NULL, 'v'},
        {"timeline", no_argument, NULL, OPT_TIMELINE}, {"interface", required_argument, NULL, 'i'},
        {NULL, 0, NULL, 0}};
    opterr = 0;
    int c;
    /* Options may also follow the filter words (glibc getopt permutes, as
     * tcpdump on Linux); "--" ends the options. */
    while ((c = getopt_long(argc, argv, "r:i:pvjc:qh", lopts, NULL)) != -1) {
        switch (c) {
        case 'r': file = optarg; break;
        case 'i': iface = optarg; break;
        case 'p': promisc = false; break;
        case OPT_TIMELINE: o.timeline = true; break;
        case 'v': o.verbose = true; break;
        case 'j': o.json = true; break;
        case 'q': o.quiet = true; break;
        case 'c': {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v <= 0)
                return usage_error("bad count", optarg);
            o.count = v;
            break;
        }
        case OPT_STATS: o.stats = true; break;
        case OPT_OUI:
            if (parse_oui(optarg, o.oui))
                return usage_error("bad OUI (want XX-XX-XX)", optarg);
            break;
        case OPT_KEY:
            if (o.nkeys >= SNIFF_MAX_KEYS)
                return usage_error("too many --key options", NULL);
            if (parse_key(optarg, &o.keys[o.nkeys]))
                return usage_error("bad key (want ID:HEX, ID 1..65535, 16..64 octets)", optarg);
            o.nkeys++;
            break;
        case OPT_PORT: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v <= 0 || v > 65535)
                return usage_error("bad port", optarg);
            o.tcp_port = (uint16_t)v;
            break;
        }
        case 'h': usage(stdout); return 0;
        case OPT_VERSION: printf("sami-sniff %s\n", SAMI_SNIFF_VERSION); return 0;
        case '?':
        default:
            if (optopt && optopt < 256)
                return usage_error("unknown option or missing argument",
                                   (char[]){'-', (char)optopt, 0});
            return usage_error("unknown option or missing argument", argv[optind - 1]);
        }
    }
    if (!file && !iface)
        return usage_error("no input (use -r FILE or -i IFACE)", NULL);
    if (file && iface)
        return usage_error("-r and -i exclude each other", NULL);
    o.live = iface != NULL;
    /* The timeline replaces the per-frame output. */
    if (o.timeline)
        o.quiet = true;
    timeline_on = o.timeline;

    /* The filter is the rest of the command line, joined by spaces. */
    char filter[4096];
    size_t fl = 0;
    filter[0] = 0;
    for (int i = optind; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (fl + n + 2 > sizeof filter)
            return usage_error("filter expression too long", NULL);
        if (fl)
            filter[fl++] = ' ';
        memcpy(filter + fl, argv[i], n);
        fl += n;
        filter[fl] = 0;
    }

    char errbuf[PCAP_ERRBUF_SIZE];
    errbuf[0] = 0;
    const char *src = o.live ? iface : file;
    /* Classic pcap files are read directly (pcapfile.h); libpcap then only
     * compiles the filter, on a handle of the file's link type. */
    static struct pcapf pf;
    bool direct = !o.live && sniff_pcapf_open(&pf, file);
    pcap_t *pc = o.live   ? open_live(iface, promisc, errbuf)
                 : direct ? pcap_open_dead(pf.dlt, (int)pf.snapshot)
                          : pcap_open_offline_with_tstamp_precision(
                                file, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!pc && direct)
        snprintf(errbuf, sizeof errbuf, "out of memory");
    if (!pc && o.live) {
        fprintf(stderr, "sami-sniff: %s: %s\n", iface, errbuf);
        return EXIT_FILE;
    }
    if (!pc) {
        /* libpcap's message often names the file already. */
        if (strstr(errbuf, file))
            fprintf(stderr, "sami-sniff: %s\n", errbuf);
        else
            fprintf(stderr, "sami-sniff: %s: %s\n", file, errbuf);
        return EXIT_FILE;
    }
    int dlt = pcap_datalink(pc);
    bool dlt_ok = dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL;
#ifdef DLT_LINUX_SLL2
    dlt_ok = dlt_ok || dlt == DLT_LINUX_SLL2;
#endif
    if (!dlt_ok) {
        const char *dn = pcap_datalink_val_to_name(dlt);
        fprintf(stderr, "sami-sniff: %s: unsupported link-layer type %d (%s)\n", src, dlt,
                dn ? dn : "?");
        pcap_close(pc);
        return EXIT_FILE;
    }
    /* Offline, the filter runs here rather than via pcap_setfilter so frame
     * numbers stay positions in the file (as in tshark) while -c counts
     * matches. Live, the kernel runs it: what it drops was never seen. */
    struct bpf_program prog;
    bool filtering = fl > 0;
    if (filtering && pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        fprintf(stderr, "sami-sniff: bad filter \"%s\": %s\n", filter, pcap_geterr(pc));
        pcap_close(pc);
        return EXIT_USAGE;
    }
    if (filtering && o.live) {
        if (pcap_setfilter(pc, &prog) < 0) {
            fprintf(stderr, "sami-sniff: %s: cannot set the filter: %s\n", iface,
                    pcap_geterr(pc));
            pcap_freecode(&prog);
            pcap_close(pc);
            return EXIT_USAGE;
        }
        pcap_freecode(&prog);
        filtering = false;
    }
    if (o.live) {
        live_pc = pc;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        /* No SA_RESTART: a blocked poll must return. */
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }

    sb_init(&out, out_mem, sizeof out_mem, stdout);
    sb_init(&sum, sum_mem, sizeof sum_mem, NULL);
    /* The tree only feeds per-frame output. */
    tr_init(&tree, !o.quiet && (o.verbose || o.json));
    stats_on = o.stats;

    struct sniff_frame f;
    memset(&f, 0, sizeof f);
    f.o = &o;
    f.t = &tree;
    f.sum = &sum;
    uint64_t n = 0, pos = 0;
    int rc = 0;
    struct pcap_pkthdr *h;
    const u_char *data;
    for (;;) {
        if (o.count && n >= (uint64_t)o.count)
            break;
        if (stop_req)
            break;
        int r;
        if (direct) {
            r = sniff_pcapf_next(&pf, &h, &data);
            if (r == 0)
                r = PCAP_ERROR_BREAK;
        } else {
            r = pcap_next_ex(pc, &h, &data);
        }
        if (r == PCAP_ERROR_BREAK)
            break;
        if (r < 0) {
            sb_flush(&out);
            fflush(stdout);
            fprintf(stderr, "sami-sniff: %s: %s\n", src, direct ? pf.errbuf : pcap_geterr(pc));
            rc = EXIT_FILE;
            break;
        }
        if (r == 0)
            continue;
        pos++;
        if (filtering && !pcap_offline_filter(&prog, h, data))
            continue;
        n++;
        f.pkt = data;
        f.caplen = h->caplen;
        f.wirelen = h->len;
        f.no = pos;
        f.ts_usec = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        f.src_mac = NULL;
        f.mal.set = false; /* the other fields are written when it is set */
        frame(&f, dlt, h);
        if (o.live && !o.quiet) {
            /* Someone is watching: show each frame as it comes. */
            sb_flush(&out);
            fflush(stdout);
        }
    }
    if (o.timeline) {
        timeline_print(&out, o.json);
        timeline_free();
    }
    if (o.stats)
        stats_print(o.json, n);
    if (o.live) {
        struct pcap_stat ps;
        if (pcap_stats(pc, &ps) == 0)
            fprintf(stderr, "sami-sniff: %" PRIu64 " frames shown, %u received, %u dropped "
                            "by the kernel, %u by the interface\n",
                    n, ps.ps_recv, ps.ps_drop, ps.ps_ifdrop);
    }
    sb_flush(&out);
    if (fflush(stdout) != 0 && rc == 0) {
        /* A closed pipe (| head) is not the capture's fault. */
        rc = 0;
    }
    if (filtering)
        pcap_freecode(&prog);
    pcap_close(pc);
    if (direct)
        sniff_pcapf_close(&pf);
    return rc;
}
