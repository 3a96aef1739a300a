/* DHCP snooping: the decoder on a real dnsmasq / dhclient exchange
 * (pcap-samples/real/dhcp-dora.pcap) and on frames built here; the learner
 * against the reference memstore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/dhcpsnoop.h"
#include "sami/memstore.h"

#ifndef SAMI_SOURCE_DIR
#define SAMI_SOURCE_DIR "."
#endif

/* ---- the real capture ---------------------------------------------------- */

/* REQUEST (init-reboot, stale 10.98.0.77), NAK, DISCOVER, OFFER, REQUEST,
 * ACK 10.99.0.58 lease 3600 s, RELEASE: see tools/samid/capture-dhcp.sh. */
#define REAL_FRAMES 7
static uint8_t real[REAL_FRAMES][400];
static size_t real_len[REAL_FRAMES];

static const uint8_t CLIENT_MAC[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t SERVER_MAC[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t LEASED_IP[4] = {10, 99, 0, 58};
static const uint8_t SERVER_IP[4] = {10, 99, 0, 1};
enum { F_REBOOT, F_NAK, F_DISCOVER, F_OFFER, F_REQUEST, F_ACK, F_RELEASE };

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Classic little-endian pcap, as tcpdump wrote it. */
static int load_real(void **state)
{
    (void)state;
    const char *path = SAMI_SOURCE_DIR "/pcap-samples/real/dhcp-dora.pcap";
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        return -1;
    }
    uint8_t gh[24], rh[16];
    int ok = fread(gh, 1, sizeof gh, f) == sizeof gh && le32(gh) == 0xa1b2c3d4u &&
             le32(gh + 20) == 1; /* LINKTYPE_ETHERNET */
    for (int i = 0; ok && i < REAL_FRAMES; i++) {
        ok = fread(rh, 1, sizeof rh, f) == sizeof rh;
        uint32_t caplen = ok ? le32(rh + 8) : 0;
        ok = ok && caplen <= sizeof real[i] && caplen == le32(rh + 12) &&
             fread(real[i], 1, caplen, f) == caplen;
        real_len[i] = caplen;
    }
    ok = ok && fread(rh, 1, 1, f) == 0; /* exactly seven frames */
    fclose(f);
    return ok ? 0 : -1;
}

/* ---- a tiny frame builder ------------------------------------------------ */

struct fb {
    uint8_t b[1600];
    size_t n;
};

static void put8(struct fb *f, unsigned v) { f->b[f->n++] = (uint8_t)v; }
static void put16(struct fb *f, unsigned v)
{
    put8(f, v >> 8);
    put8(f, v & 0xff);
}
static void put32(struct fb *f, uint32_t v)
{
    put16(f, v >> 16);
    put16(f, v & 0xffff);
}
static void putn(struct fb *f, const void *p, size_t n)
{
    memcpy(f->b + f->n, p, n);
    f->n += n;
}

static uint16_t ip_sum(const uint8_t *p, size_t n)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Fixes IPv4 total length, checksum and UDP length of an untagged frame
 * whose IPv4 packet runs to the end of the buffer. */
static void fix_lengths(uint8_t *fr, size_t len, size_t l3)
{
    size_t ihl = (size_t)(fr[l3] & 15) * 4;
    size_t total = len - l3;
    fr[l3 + 2] = (uint8_t)(total >> 8);
    fr[l3 + 3] = (uint8_t)total;
    size_t udp = total - ihl;
    fr[l3 + ihl + 4] = (uint8_t)(udp >> 8);
    fr[l3 + ihl + 5] = (uint8_t)udp;
    fr[l3 + 10] = fr[l3 + 11] = 0;
    uint16_t s = ip_sum(fr + l3, ihl);
    fr[l3 + 10] = (uint8_t)(s >> 8);
    fr[l3 + 11] = (uint8_t)s;
}

struct dhcp_spec {
    int tags;            /* 0, 1 or 2 */
    uint16_t tpid[2];
    uint16_t vid[2];
    uint8_t op;          /* 1 request, 2 reply */
    uint8_t htype, hlen;
    uint16_t sport, dport;
    uint8_t proto;
    uint16_t frag;
    uint8_t ciaddr[4], yiaddr[4];
    const uint8_t *opts; /* options after the cookie (END included by the caller) */
    size_t opts_len;
    const uint8_t *file; /* 128 octets, or NULL = zeros */
    const uint8_t *sname; /* 64 octets, or NULL */
    int no_cookie;
};

static void spec_defaults(struct dhcp_spec *s, uint8_t op)
{
    memset(s, 0, sizeof *s);
    s->op = op;
    s->htype = 1;
    s->hlen = 6;
    s->proto = 17;
    s->sport = op == 2 ? 67 : 68;
    s->dport = op == 2 ? 68 : 67;
    s->tpid[0] = s->tpid[1] = 0x8100;
}

static size_t build(const struct dhcp_spec *s, struct fb *f)
{
    f->n = 0;
    putn(f, s->op == 2 ? CLIENT_MAC : SERVER_MAC, 6);
    putn(f, s->op == 2 ? SERVER_MAC : CLIENT_MAC, 6);
    for (int i = 0; i < s->tags; i++) {
        put16(f, s->tpid[i]);
        put16(f, s->vid[i]);
    }
    put16(f, 0x0800);
    size_t l3 = f->n;
    put8(f, 0x45);
    put8(f, 0);
    put16(f, 0); /* total: fixed below */
    put16(f, 0x1234);
    put16(f, s->frag);
    put8(f, 64);
    put8(f, s->proto);
    put16(f, 0);
    putn(f, s->op == 2 ? SERVER_IP : (const uint8_t[4]){0, 0, 0, 0}, 4);
    putn(f, (const uint8_t[4]){255, 255, 255, 255}, 4);
    put16(f, s->sport);
    put16(f, s->dport);
    put16(f, 0);
    put16(f, 0);
    put8(f, s->op);
    put8(f, s->htype);
    put8(f, s->hlen);
    put8(f, 0);
    put32(f, 0xdeadbeef);
    put32(f, 0);
    putn(f, s->ciaddr, 4);
    putn(f, s->yiaddr, 4);
    put32(f, 0);
    put32(f, 0);
    putn(f, CLIENT_MAC, 6);
    for (int i = 0; i < 10; i++)
        put8(f, 0);
    if (s->sname)
        putn(f, s->sname, 64);
    else
        for (int i = 0; i < 64; i++)
            put8(f, 0);
    if (s->file)
        putn(f, s->file, 128);
    else
        for (int i = 0; i < 128; i++)
            put8(f, 0);
    if (!s->no_cookie)
        put32(f, 0x63825363);
    putn(f, s->opts, s->opts_len);
    fix_lengths(f->b, f->n, l3);
    return l3;
}

#define OPTS(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

static void set_opts(struct dhcp_spec *s, const uint8_t *o, size_t n)
{
    s->opts = o;
    s->opts_len = n;
}

static int decode(const struct fb *f, uint16_t port_vlan, struct sami_dhcpsnoop_event *ev,
                  struct sami_err *err)
{
    return sami_dhcpsnoop_decode(f->b, f->n, port_vlan, ev, err);
}

/* ---- the store and the VSI table ---------------------------------------- */

static void *m_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void m_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

struct world {
    struct sami_memstore *ms;
    struct sami_store store;
    struct sami_dhcpsnoop snoop;
    struct sami_vm_id vm;
    int lookups;
};

static const struct sami_vm_id VM_A = {
    .type_id = 0xa1b2, .type_version = 1, .id_format = 5,
    .id = {0x6b, 0x1e, 0x5a, 0x6e, 0x2f, 0x3c, 0x4d, 0x5e, 0x9f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};

/* The bridge's VSI table: the client MAC on VLANs 100 and 200. */
static int lookup(void *ctx, const uint8_t mac[6], uint16_t vlan, struct sami_vm_id *vm)
{
    struct world *w = ctx;
    w->lookups++;
    if (memcmp(mac, CLIENT_MAC, 6) != 0 || (vlan != 100 && vlan != 200))
        return SAMI_ERR_NOTFOUND;
    *vm = w->vm;
    return 0;
}

static int world_setup(void **state)
{
    struct world *w = calloc(1, sizeof *w);
    struct sami_memstore_config cfg = {.alloc = {m_alloc, m_free, NULL}};
    if (!w || sami_memstore_create(&cfg, &w->ms) != 0)
        return -1;
    w->store = sami_memstore_store(w->ms);
    w->vm = VM_A;
    sami_dhcpsnoop_init(&w->snoop);
    *state = w;
    return 0;
}

static int world_teardown(void **state)
{
    struct world *w = *state;
    sami_memstore_destroy(w->ms);
    free(w);
    return 0;
}

static int count(struct world *w)
{
    return sami_store_count(&w->store, &w->vm, NULL);
}

static void put_binding(struct world *w, const uint8_t ip[4], uint16_t vlan, const uint8_t mac[6],
                        sami_usec_t now)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.type = SAMI_DI_DHCP;
    r.version = SAMI_DI_DHCP_VERSION;
    r.op = SAMI_DI_OP_UPSERT;
    r.u.dhcp.vlan = vlan;
    memcpy(r.u.dhcp.mac, mac, 6);
    memcpy(r.u.dhcp.ipv4, ip, 4);
    r.u.dhcp.lease_remaining_ms = 600000;
    assert_int_equal(sami_store_put(&w->store, &w->vm, &r, now), 0);
}

static int get_binding(struct world *w, const uint8_t ip[4], uint16_t vlan, sami_usec_t now,
                       struct sami_di_record *out)
{
    struct sami_di_record k;
    memset(&k, 0, sizeof k);
    k.type = SAMI_DI_DHCP;
    k.version = SAMI_DI_DHCP_VERSION;
    k.u.dhcp.vlan = vlan;
    memcpy(k.u.dhcp.ipv4, ip, 4);
    return sami_store_get(&w->store, &w->vm, &k, now, out);
}

static int feed(struct world *w, sami_usec_t now, uint16_t port_vlan, const uint8_t *fr, size_t len)
{
    return sami_dhcpsnoop_input(&w->snoop, now, port_vlan, fr, len, &w->store, lookup, w);
}

/* ---- decoder: the real exchange ---------------------------------------- */

static void test_real_decode(void **state)
{
    (void)state;
    static const uint8_t want_type[REAL_FRAMES] = {3, 6, 1, 2, 3, 5, 7};
    static const uint8_t want_kind[REAL_FRAMES] = {
        SAMI_DHCPSNOOP_NONE, SAMI_DHCPSNOOP_NAK,  SAMI_DHCPSNOOP_NONE,   SAMI_DHCPSNOOP_NONE,
        SAMI_DHCPSNOOP_NONE, SAMI_DHCPSNOOP_ACK, SAMI_DHCPSNOOP_RELEASE};
    for (int i = 0; i < REAL_FRAMES; i++) {
        struct sami_dhcpsnoop_event ev;
        struct sami_err err;
        assert_int_equal(sami_dhcpsnoop_decode(real[i], real_len[i], 100, &ev, &err), 0);
        assert_int_equal(ev.msg_type, want_type[i]);
        assert_int_equal(ev.kind, want_kind[i]);
        assert_int_equal(ev.vlan, 100);
        assert_int_equal(ev.tagged, 0);
        assert_memory_equal(ev.client_mac, CLIENT_MAC, 6);
        if (ev.kind == SAMI_DHCPSNOOP_NONE)
            assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_OTHER_TYPE);
        else
            assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NONE);
    }
    struct sami_dhcpsnoop_event ev;
    assert_int_equal(sami_dhcpsnoop_decode(real[F_ACK], real_len[F_ACK], 1, &ev, NULL), 0);
    assert_memory_equal(ev.client_ip, LEASED_IP, 4);
    assert_true(ev.has_lease);
    assert_int_equal(ev.lease_s, 3600);
    assert_true(ev.has_server_id);
    assert_memory_equal(ev.server_id, SERVER_IP, 4);
    assert_int_equal(ev.src_port, 67);
    assert_int_equal(ev.dst_port, 68);
    assert_int_equal(ev.xid, 0x8ec3e84f);

    assert_int_equal(sami_dhcpsnoop_decode(real[F_RELEASE], real_len[F_RELEASE], 1, &ev, NULL), 0);
    assert_memory_equal(ev.client_ip, LEASED_IP, 4);
    assert_int_equal(ev.src_port, 68);

    assert_int_equal(sami_dhcpsnoop_decode(real[F_NAK], real_len[F_NAK], 1, &ev, NULL), 0);
    static const uint8_t zero[4];
    assert_memory_equal(ev.client_ip, zero, 4);
    assert_memory_equal(ev.server_id, SERVER_IP, 4);
}

/* Every prefix of every real frame is refused, never read past. */
static void test_real_truncations(void **state)
{
    (void)state;
    for (int i = 0; i < REAL_FRAMES; i++) {
        for (size_t n = 0; n < real_len[i]; n++) {
            /* a heap copy of exactly n octets lets ASan see any overread */
            uint8_t *cut = malloc(n ? n : 1);
            memcpy(cut, real[i], n);
            struct sami_dhcpsnoop_event ev;
            struct sami_err err;
            int rc = sami_dhcpsnoop_decode(cut, n, 100, &ev, &err);
            free(cut);
            if (rc >= 0)
                fail_msg("frame %d cut to %zu octets decoded", i, n);
            assert_int_equal(err.code, rc);
            assert_true(err.offset <= n);
            assert_non_null(err.what);
            /* inside Ethernet / the IPv4 fixed header: TRUNCATED; after that
             * the IPv4 total length overruns the frame: LENGTH */
            assert_int_equal(rc, n < 34 ? SAMI_ERR_TRUNCATED : SAMI_ERR_LENGTH);
        }
    }
}

/* Inserts tags after the MAC addresses of a real frame. */
static size_t tagged_copy(uint8_t *out, int i, const uint16_t *tpid, const uint16_t *tci, int ntags)
{
    memcpy(out, real[i], 12);
    size_t n = 12;
    for (int t = 0; t < ntags; t++) {
        out[n++] = (uint8_t)(tpid[t] >> 8);
        out[n++] = (uint8_t)tpid[t];
        out[n++] = (uint8_t)(tci[t] >> 8);
        out[n++] = (uint8_t)tci[t];
    }
    memcpy(out + n, real[i] + 12, real_len[i] - 12);
    return n + real_len[i] - 12;
}

static void test_vlan_tags(void **state)
{
    (void)state;
    uint8_t fr[420];
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;
    size_t n = tagged_copy(fr, F_ACK, (const uint16_t[]){0x8100}, (const uint16_t[]){0xa0c8}, 1);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 100, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_ACK);
    assert_int_equal(ev.vlan, 200); /* PCP 5 ignored */
    assert_int_equal(ev.tagged, 1);

    /* priority tag: the port's VLAN */
    n = tagged_copy(fr, F_ACK, (const uint16_t[]){0x8100}, (const uint16_t[]){0xa000}, 1);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 100, &ev, &err), 0);
    assert_int_equal(ev.vlan, 100);
    assert_int_equal(ev.tagged, 0);

    /* 802.1ad S-tag + C-tag: the inner one */
    n = tagged_copy(fr, F_ACK, (const uint16_t[]){0x88a8, 0x8100}, (const uint16_t[]){0x0007, 0x00c8},
                    2);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 100, &ev, &err), 0);
    assert_int_equal(ev.vlan, 200);

    /* VID 4095 is reserved */
    n = tagged_copy(fr, F_ACK, (const uint16_t[]){0x8100}, (const uint16_t[]){0x0fff}, 1);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 100, &ev, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 14);
    assert_string_equal(err.what, "eth.vlan.vid");

    /* three tags: what follows two is no IPv4 */
    n = tagged_copy(fr, F_ACK, (const uint16_t[]){0x88a8, 0x8100, 0x8100},
                    (const uint16_t[]){1, 2, 3}, 3);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 100, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NOT_IPV4);

    /* a cut inside the tag */
    assert_int_equal(sami_dhcpsnoop_decode(fr, 15, 100, &ev, &err), SAMI_ERR_TRUNCATED);
    assert_string_equal(err.what, "eth.vlan.tci");

    /* port VLAN out of range */
    assert_int_equal(sami_dhcpsnoop_decode(real[F_ACK], real_len[F_ACK], 4095, &ev, &err),
                     SAMI_ERR_INVAL);
}

/* Length fields that lie, one at a time, checksum kept right. */
static void test_length_lies(void **state)
{
    (void)state;
    uint8_t fr[400];
    const size_t l3 = 14, l4 = 34, opt0 = 42 + 240; /* first option (53) */
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;
    size_t n = real_len[F_ACK];

#define RESUM()                                                                                    \
    do {                                                                                           \
        fr[l3 + 10] = fr[l3 + 11] = 0;                                                             \
        uint16_t s_ = ip_sum(fr + l3, 20);                                                         \
        fr[l3 + 10] = (uint8_t)(s_ >> 8);                                                          \
        fr[l3 + 11] = (uint8_t)s_;                                                                 \
    } while (0)

    /* IPv4 total length one more than the frame holds */
    memcpy(fr, real[F_ACK], n);
    fr[l3 + 3]++;
    RESUM();
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, l3 + 2);
    assert_string_equal(err.what, "ipv4.total_length");

    /* one less: now the UDP length overruns the packet */
    memcpy(fr, real[F_ACK], n);
    fr[l3 + 3]--;
    RESUM();
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, l4 + 4);
    assert_string_equal(err.what, "udp.length");

    /* total length below the header */
    memcpy(fr, real[F_ACK], n);
    fr[l3 + 2] = 0;
    fr[l3 + 3] = 19;
    RESUM();
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);

    /* IHL 4 */
    memcpy(fr, real[F_ACK], n);
    fr[l3] = 0x44;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_string_equal(err.what, "ipv4.ihl");

    /* UDP length one more, one less, below 8 */
    for (int d = -1; d <= 1; d += 2) {
        memcpy(fr, real[F_ACK], n);
        fr[l4 + 5] = (uint8_t)(fr[l4 + 5] + d);
        assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
        assert_string_equal(err.what, "udp.length");
    }
    memcpy(fr, real[F_ACK], n);
    fr[l4 + 4] = 0;
    fr[l4 + 5] = 7;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);

    /* an option length running past the message */
    memcpy(fr, real[F_ACK], n);
    assert_int_equal(fr[opt0], 53);
    fr[opt0 + 1] = 200;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, opt0 + 2);

    /* a fixed-length option with another length */
    memcpy(fr, real[F_ACK], n);
    fr[opt0 + 1] = 2;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_string_equal(err.what, "dhcp.option53.length");
    assert_int_equal(err.offset, opt0 + 1);

    /* consistent lengths, but the message cut before END: lengths and
     * checksum rewritten to match, as a middlebox could */
    memcpy(fr, real[F_ACK], n);
    size_t end = opt0;
    while (fr[end] != 255)
        end += fr[end] ? 2u + fr[end + 1] : 1u;
    fix_lengths(fr, end, l3);
    assert_int_equal(sami_dhcpsnoop_decode(fr, end, 1, &ev, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "dhcp.options.end");
    fix_lengths(fr, end + 1, l3);
    assert_int_equal(sami_dhcpsnoop_decode(fr, end + 1, 1, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_ACK);

    /* UDP payload shorter than the BOOTP fixed part */
    memcpy(fr, real[F_ACK], n);
    fix_lengths(fr, 42 + 100, l3);
    assert_int_equal(sami_dhcpsnoop_decode(fr, 42 + 100, 1, &ev, &err), SAMI_ERR_TRUNCATED);
    assert_string_equal(err.what, "dhcp.fixed");

    /* Ethernet padding after the packet is fine */
    memcpy(fr, real[F_ACK], n);
    memset(fr + n, 0xee, 8);
    assert_int_equal(sami_dhcpsnoop_decode(fr, n + 8, 1, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_ACK);
#undef RESUM
}

static void test_checksum_and_version(void **state)
{
    (void)state;
    uint8_t fr[400];
    size_t n = real_len[F_ACK];
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;
    memcpy(fr, real[F_ACK], n);
    fr[14 + 8]--; /* TTL changed, checksum not */
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_DIGEST);
    assert_int_equal(err.offset, 24);
    assert_string_equal(err.what, "ipv4.checksum");

    memcpy(fr, real[F_ACK], n);
    fr[14] = 0x65;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), SAMI_ERR_VALUE);
    assert_string_equal(err.what, "ipv4.version");

    /* the UDP checksum is not checked (the real server frames carry partial
     * checksums from offload): zeroing it changes nothing */
    memcpy(fr, real[F_ACK], n);
    fr[40] = fr[41] = 0;
    assert_int_equal(sami_dhcpsnoop_decode(fr, n, 1, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_ACK);
}

static void test_ignored(void **state)
{
    (void)state;
    struct dhcp_spec s;
    struct fb f;
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;

    /* ARP */
    uint8_t arp[60] = {0};
    arp[12] = 0x08;
    arp[13] = 0x06;
    assert_int_equal(sami_dhcpsnoop_decode(arp, sizeof arp, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NOT_IPV4);

    spec_defaults(&s, 2);
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 14, 16, 255));
    memcpy(s.yiaddr, LEASED_IP, 4);
    s.proto = 6;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NOT_UDP);

    s.proto = 17;
    s.frag = 0x2000; /* MF */
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_FRAGMENT);

    s.frag = 0;
    s.sport = 53;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NOT_DHCP);

    /* an ACK from the client port (a VM forging one) */
    s.sport = 68;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_NONE);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_DIRECTION);

    /* an ACK in a BOOTREQUEST */
    s.sport = 67;
    s.op = 1;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_DIRECTION);

    /* a RELEASE sent from the server port */
    spec_defaults(&s, 1);
    set_opts(&s, OPTS(53, 1, 7, 255));
    memcpy(s.ciaddr, LEASED_IP, 4);
    s.sport = 67;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_DIRECTION);

    /* RELEASE of nothing */
    spec_defaults(&s, 1);
    set_opts(&s, OPTS(53, 1, 7, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NO_ADDRESS);

    /* ACK to an INFORM: no yiaddr, no lease */
    spec_defaults(&s, 2);
    set_opts(&s, OPTS(53, 1, 5, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_NO_ADDRESS);

    /* plain BOOTP: no cookie / no option 53 */
    spec_defaults(&s, 2);
    s.no_cookie = 1;
    set_opts(&s, OPTS(0, 0, 0, 0));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_BOOTP);
    spec_defaults(&s, 2);
    set_opts(&s, OPTS(1, 4, 255, 255, 255, 0, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_BOOTP);

    /* INFORM and a LEASEQUERY-range type */
    spec_defaults(&s, 1);
    set_opts(&s, OPTS(53, 1, 8, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_OTHER_TYPE);
    set_opts(&s, OPTS(53, 1, 10, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.ignored, SAMI_DHCPSNOOP_IGN_OTHER_TYPE);
}

static void test_option_errors(void **state)
{
    (void)state;
    struct dhcp_spec s;
    struct fb f;
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;
    const size_t opt0 = 42 + 240;

    spec_defaults(&s, 2);
    memcpy(s.yiaddr, LEASED_IP, 4);

    set_opts(&s, OPTS(53, 1, 5, 53, 1, 5, 51, 4, 0, 0, 1, 0, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_DUPLICATE);
    assert_int_equal(err.offset, opt0 + 3);
    assert_string_equal(err.what, "dhcp.option53");

    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 1, 0, 51, 4, 0, 0, 1, 0, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_DUPLICATE);

    set_opts(&s, OPTS(53, 1, 0, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_VALUE);

    /* ACK with an address and no lease */
    set_opts(&s, OPTS(53, 1, 5, 54, 4, 10, 99, 0, 1, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "dhcp.option51");

    /* option code with no length octet before the end */
    set_opts(&s, OPTS(53, 1, 5, 51));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_TRUNCATED);
    assert_string_equal(err.what, "dhcp.option.length");

    /* client id of one octet */
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 1, 0, 61, 1, 1, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_LENGTH);
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 1, 0, 61, 7, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.client_id_len, 7);
    assert_int_equal(ev.client_id[0], 1);
    assert_ptr_equal(ev.client_id, f.b + opt0 + 11);

    /* DECLINE needs option 50 */
    spec_defaults(&s, 1);
    set_opts(&s, OPTS(53, 1, 4, 54, 4, 10, 99, 0, 1, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "dhcp.option50");

    /* not Ethernet: chaddr is no MAC */
    spec_defaults(&s, 2);
    memcpy(s.yiaddr, LEASED_IP, 4);
    s.htype = 6;
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 1, 0, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_UNSUPPORTED);
    s.htype = 1;
    s.hlen = 16;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_UNSUPPORTED);

    /* BOOTP op 3 */
    spec_defaults(&s, 2);
    s.op = 3;
    set_opts(&s, OPTS(53, 1, 5, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_VALUE);
    assert_string_equal(err.what, "dhcp.op");
}

/* Option 52: the lease time and server id live in the file field, the
 * client id in sname. */
static void test_overload(void **state)
{
    (void)state;
    struct dhcp_spec s;
    struct fb f;
    struct sami_dhcpsnoop_event ev;
    struct sami_err err;
    uint8_t file[128] = {51, 4, 0, 0, 0x0e, 0x10, 54, 4, 10, 99, 0, 1, 255};
    uint8_t sname[64] = {0, 0, 61, 3, 0, 'i', 'd', 255};

    spec_defaults(&s, 2);
    memcpy(s.yiaddr, LEASED_IP, 4);
    s.file = file;
    s.sname = sname;
    set_opts(&s, OPTS(53, 1, 5, 52, 1, 3, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.kind, SAMI_DHCPSNOOP_ACK);
    assert_int_equal(ev.overload, 3);
    assert_int_equal(ev.lease_s, 3600);
    assert_memory_equal(ev.server_id, SERVER_IP, 4);
    assert_int_equal(ev.client_id_len, 3);
    assert_ptr_equal(ev.client_id, f.b + 42 + 44 + 4);

    /* file only: sname is not read (its junk does not matter) */
    memset(sname, 0xff, 3);
    sname[0] = 61;
    set_opts(&s, OPTS(53, 1, 5, 52, 1, 1, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), 0);
    assert_int_equal(ev.lease_s, 3600);
    assert_null(ev.client_id);

    /* sname overloaded but it has no END */
    set_opts(&s, OPTS(53, 1, 5, 52, 1, 2, 51, 4, 0, 0, 1, 0, 255));
    memset(sname, 0, sizeof sname);
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "dhcp.sname.end");
    assert_int_equal(err.offset, 42 + 44 + 64);

    /* an option running out of the file field */
    memset(file, 0, sizeof file);
    file[126] = 51;
    file[127] = 4;
    set_opts(&s, OPTS(53, 1, 5, 52, 1, 1, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 42 + 108 + 128);

    /* option 52 inside the file field */
    memset(file, 0, sizeof file);
    file[0] = 52;
    file[1] = 1;
    file[2] = 2;
    file[3] = 255;
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_VALUE);
    assert_string_equal(err.what, "dhcp.option52.place");

    /* a bad overload value */
    set_opts(&s, OPTS(53, 1, 5, 52, 1, 4, 255));
    build(&s, &f);
    assert_int_equal(decode(&f, 1, &ev, &err), SAMI_ERR_VALUE);
    assert_string_equal(err.what, "dhcp.option52");
}

/* ---- the learner --------------------------------------------------------- */

/* The real exchange: the ACK becomes a binding whose remaining lease runs
 * down with time; the RELEASE removes it. */
static void test_learn_real(void **state)
{
    struct world *w = *state;
    sami_usec_t t0 = SAMI_SEC(1000);
    int outcome[REAL_FRAMES];
    for (int i = 0; i < F_RELEASE; i++)
        outcome[i] = feed(w, t0, 100, real[i], real_len[i]);
    assert_int_equal(outcome[F_REBOOT], SAMI_DHCPSNOOP_IGNORED);
    assert_int_equal(outcome[F_NAK], SAMI_DHCPSNOOP_NOT_HELD); /* nothing held yet */
    assert_int_equal(outcome[F_DISCOVER], SAMI_DHCPSNOOP_IGNORED);
    assert_int_equal(outcome[F_ACK], SAMI_DHCPSNOOP_LEARNED);
    assert_int_equal(count(w), 1);

    struct sami_di_record r;
    assert_int_equal(get_binding(w, LEASED_IP, 100, t0, &r), 0);
    assert_memory_equal(r.u.dhcp.mac, CLIENT_MAC, 6);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3600000);
    assert_int_equal(get_binding(w, LEASED_IP, 100, t0 + SAMI_SEC(600), &r), 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3000000);

    assert_int_equal(feed(w, t0 + SAMI_SEC(700), 100, real[F_RELEASE], real_len[F_RELEASE]),
                     SAMI_DHCPSNOOP_REMOVED);
    assert_int_equal(count(w), 0);
    /* released twice: nothing left */
    assert_int_equal(feed(w, t0 + SAMI_SEC(701), 100, real[F_RELEASE], real_len[F_RELEASE]),
                     SAMI_DHCPSNOOP_NOT_HELD);

    const struct sami_dhcpsnoop_counters *c = &w->snoop.counters;
    assert_int_equal(c->frames, 8);
    assert_int_equal(c->acks, 1);
    assert_int_equal(c->naks, 1);
    assert_int_equal(c->releases, 2);
    assert_int_equal(c->learned, 1);
    assert_int_equal(c->removed, 1);
    assert_int_equal(c->not_held, 2);
    assert_int_equal(c->ignored[SAMI_DHCPSNOOP_IGN_OTHER_TYPE], 4);
    assert_int_equal(c->malformed, 0);
    assert_int_equal(w->snoop.last.kind, SAMI_DHCPSNOOP_RELEASE);
}

/* The store ages the binding out when the lease runs out. */
static void test_lease_expiry(void **state)
{
    struct world *w = *state;
    sami_usec_t t0 = SAMI_SEC(50);
    assert_int_equal(feed(w, t0, 100, real[F_ACK], real_len[F_ACK]), SAMI_DHCPSNOOP_LEARNED);
    assert_int_equal(sami_store_expire(&w->store, t0 + SAMI_SEC(3599)), t0 + SAMI_SEC(3600));
    assert_int_equal(count(w), 1);
    /* a renewal ACK restarts the lease */
    assert_int_equal(feed(w, t0 + SAMI_SEC(1800), 100, real[F_ACK], real_len[F_ACK]),
                     SAMI_DHCPSNOOP_LEARNED);
    assert_int_equal(sami_store_expire(&w->store, t0 + SAMI_SEC(3600)), t0 + SAMI_SEC(5400));
    assert_int_equal(count(w), 1);
    sami_store_expire(&w->store, t0 + SAMI_SEC(5400));
    assert_int_equal(count(w), 0);
}

static void test_lease_extremes(void **state)
{
    struct world *w = *state;
    struct dhcp_spec s;
    struct fb f;
    struct sami_di_record r;
    spec_defaults(&s, 2);
    memcpy(s.yiaddr, LEASED_IP, 4);

    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0xff, 0xff, 0xff, 0xff, 255));
    build(&s, &f);
    assert_int_equal(feed(w, 0, 100, f.b, f.n), SAMI_DHCPSNOOP_LEARNED);
    assert_int_equal(get_binding(w, LEASED_IP, 100, SAMI_SEC(100000), &r), 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, SAMI_DI_INFINITE);

    /* 60 days do not fit u32 ms: capped just below infinite */
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0x00, 0x4f, 0x1a, 0x00, 255));
    build(&s, &f);
    assert_int_equal(feed(w, 0, 100, f.b, f.n), SAMI_DHCPSNOOP_LEARNED);
    assert_int_equal(get_binding(w, LEASED_IP, 100, 0, &r), 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, SAMI_DI_INFINITE - 1u);

    /* lease 0 is a binding that is already over */
    set_opts(&s, OPTS(53, 1, 5, 51, 4, 0, 0, 0, 0, 255));
    build(&s, &f);
    assert_int_equal(feed(w, SAMI_SEC(1), 100, f.b, f.n), SAMI_DHCPSNOOP_LEARNED);
    sami_store_expire(&w->store, SAMI_SEC(1));
    assert_int_equal(count(w), 0);
}

static void test_nak_removes(void **state)
{
    struct world *w = *state;
    static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
    /* 20 bindings for the client on VLAN 100 (more than one batch), one on
     * VLAN 200, one of another NIC of the same VM on VLAN 100 */
    for (int i = 0; i < 20; i++)
        put_binding(w, (const uint8_t[4]){10, 99, 1, (uint8_t)i}, 100, CLIENT_MAC, 0);
    put_binding(w, (const uint8_t[4]){10, 99, 2, 1}, 200, CLIENT_MAC, 0);
    put_binding(w, (const uint8_t[4]){10, 99, 2, 2}, 100, other_mac, 0);
    assert_int_equal(count(w), 22);

    assert_int_equal(feed(w, SAMI_SEC(1), 100, real[F_NAK], real_len[F_NAK]), SAMI_DHCPSNOOP_REMOVED);
    assert_int_equal(count(w), 2);
    assert_int_equal(w->snoop.counters.removed, 20);
    struct sami_di_record r;
    static const uint8_t kept200[4] = {10, 99, 2, 1}, kept_other[4] = {10, 99, 2, 2};
    assert_int_equal(get_binding(w, kept200, 200, SAMI_SEC(1), &r), 0);
    assert_int_equal(get_binding(w, kept_other, 100, SAMI_SEC(1), &r), 0);

    assert_int_equal(feed(w, SAMI_SEC(2), 100, real[F_NAK], real_len[F_NAK]),
                     SAMI_DHCPSNOOP_NOT_HELD);
}

static void test_release_decline_rules(void **state)
{
    struct world *w = *state;
    static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
    struct dhcp_spec s;
    struct fb f;

    /* the binding of LEASED_IP belongs to the VM's other NIC: a RELEASE
     * from this MAC does not take it */
    put_binding(w, LEASED_IP, 100, other_mac, 0);
    assert_int_equal(feed(w, 0, 100, real[F_RELEASE], real_len[F_RELEASE]), SAMI_DHCPSNOOP_NOT_HELD);
    assert_int_equal(w->snoop.counters.foreign, 1);
    assert_int_equal(count(w), 1);

    /* DECLINE of 10.99.0.60 (option 50) */
    static const uint8_t declined[4] = {10, 99, 0, 60};
    put_binding(w, declined, 100, CLIENT_MAC, 0);
    spec_defaults(&s, 1);
    set_opts(&s, OPTS(53, 1, 4, 50, 4, 10, 99, 0, 60, 54, 4, 10, 99, 0, 1, 255));
    build(&s, &f);
    assert_int_equal(feed(w, 0, 100, f.b, f.n), SAMI_DHCPSNOOP_REMOVED);
    assert_int_equal(w->snoop.counters.declines, 1);
    assert_int_equal(count(w), 1);

    /* the tag's VLAN, not the port's, picks the binding */
    put_binding(w, declined, 200, CLIENT_MAC, 0);
    s.tags = 1;
    s.vid[0] = 200;
    build(&s, &f);
    assert_int_equal(feed(w, 0, 100, f.b, f.n), SAMI_DHCPSNOOP_REMOVED);
    assert_int_equal(count(w), 1);
}

static void test_unknown_vm(void **state)
{
    struct world *w = *state;
    /* VLAN 300: no VSI has the MAC there */
    assert_int_equal(feed(w, 0, 300, real[F_ACK], real_len[F_ACK]), SAMI_DHCPSNOOP_UNKNOWN_VM);
    assert_int_equal(feed(w, 0, 300, real[F_RELEASE], real_len[F_RELEASE]),
                     SAMI_DHCPSNOOP_UNKNOWN_VM);
    assert_int_equal(w->snoop.counters.unknown_vm, 2);
    assert_int_equal(w->snoop.counters.learned, 0);
    assert_int_equal(count(w), 0);
    struct sami_memstore_stats st;
    sami_memstore_stats(w->ms, &st);
    assert_int_equal(st.records, 0);
}

/* Malformed frames and frames with nothing to learn never reach the VSI
 * table or the store. */
static void test_no_side_effects(void **state)
{
    struct world *w = *state;
    uint8_t fr[400];
    memcpy(fr, real[F_ACK], real_len[F_ACK]);
    fr[22]--; /* checksum now wrong */
    assert_int_equal(feed(w, 0, 100, fr, real_len[F_ACK]), SAMI_ERR_DIGEST);
    assert_int_equal(w->snoop.last_err.code, SAMI_ERR_DIGEST);
    assert_int_equal(feed(w, 0, 100, real[F_OFFER], real_len[F_OFFER]), SAMI_DHCPSNOOP_IGNORED);
    assert_int_equal(feed(w, 0, 100, real[F_ACK], 100), SAMI_ERR_LENGTH);
    assert_int_equal(w->lookups, 0);
    assert_int_equal(w->snoop.counters.malformed, 2);
    assert_int_equal(w->snoop.counters.bad_checksum, 1);
    assert_int_equal(count(w), 0);
    assert_int_equal(sami_dhcpsnoop_input(NULL, 0, 1, real[0], real_len[0], &w->store, lookup, w),
                     SAMI_ERR_INVAL);
    assert_int_equal(sami_dhcpsnoop_input(&w->snoop, 0, 1, real[0], real_len[0], NULL, lookup, w),
                     SAMI_ERR_INVAL);
}

/* A VM frozen for a migration refuses learners: counted, reported. */
static void test_frozen_vm(void **state)
{
    struct world *w = *state;
    assert_int_equal(sami_store_source_begin(&w->store, 77, &w->vm), 0);
    assert_int_equal(sami_store_freeze(&w->store, 77), 0);
    assert_int_equal(feed(w, 0, 100, real[F_ACK], real_len[F_ACK]), SAMI_ERR_STATE);
    assert_int_equal(w->snoop.counters.store_errors, 1);
    assert_int_equal(sami_store_unfreeze(&w->store, 77), 0);
    assert_int_equal(feed(w, 0, 100, real[F_ACK], real_len[F_ACK]), SAMI_DHCPSNOOP_LEARNED);
    sami_store_source_end(&w->store, 77);
}

static void test_record_helper(void **state)
{
    (void)state;
    struct sami_dhcpsnoop_event ev;
    struct sami_di_record r;
    assert_int_equal(sami_dhcpsnoop_decode(real[F_ACK], real_len[F_ACK], 100, &ev, NULL), 0);
    assert_int_equal(sami_dhcpsnoop_record(&ev, &r), 0);
    assert_int_equal(r.op, SAMI_DI_OP_UPSERT);
    assert_int_equal(sami_di_validate(&r), 0);
    assert_int_equal(r.u.dhcp.lease_remaining_ms, 3600000);
    assert_int_equal(sami_dhcpsnoop_decode(real[F_RELEASE], real_len[F_RELEASE], 100, &ev, NULL), 0);
    assert_int_equal(sami_dhcpsnoop_record(&ev, &r), 0);
    assert_int_equal(r.op, SAMI_DI_OP_DELETE);
    assert_int_equal(sami_dhcpsnoop_decode(real[F_NAK], real_len[F_NAK], 100, &ev, NULL), 0);
    assert_int_equal(sami_dhcpsnoop_record(&ev, &r), SAMI_ERR_INVAL);
    assert_string_equal(sami_dhcpsnoop_kind_name(SAMI_DHCPSNOOP_NAK), "nak");
    assert_string_equal(sami_dhcpsnoop_ignored_name(SAMI_DHCPSNOOP_IGN_DIRECTION), "direction");
    assert_string_equal(sami_dhcpsnoop_ignored_name(99), "unknown");
}

/* Random corruption of the real frames: any result, never a crash or an
 * overread (run under ASan with -DSAMI_SANITIZE=ON). */
static void test_mutations(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    for (int iter = 0; iter < 20000; iter++) {
        int i = iter % REAL_FRAMES;
        size_t n = real_len[i];
        uint8_t *fr = malloc(n);
        memcpy(fr, real[i], n);
        for (int k = 0; k < 1 + iter % 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % n;
            seed = seed * 1103515245u + 12345u;
            fr[at] = (uint8_t)(seed >> 16);
        }
        struct sami_dhcpsnoop_event ev;
        struct sami_err err;
        int rc = sami_dhcpsnoop_decode(fr, n, 100, &ev, &err);
        if (rc < 0)
            assert_true(err.offset <= n);
        free(fr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_decode),
        cmocka_unit_test(test_real_truncations),
        cmocka_unit_test(test_vlan_tags),
        cmocka_unit_test(test_length_lies),
        cmocka_unit_test(test_checksum_and_version),
        cmocka_unit_test(test_ignored),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_overload),
        cmocka_unit_test_setup_teardown(test_learn_real, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_lease_expiry, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_lease_extremes, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_nak_removes, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_release_decline_rules, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_vm, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_no_side_effects, world_setup, world_teardown),
        cmocka_unit_test_setup_teardown(test_frozen_vm, world_setup, world_teardown),
        cmocka_unit_test(test_record_helper),
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, load_real, NULL);
}
