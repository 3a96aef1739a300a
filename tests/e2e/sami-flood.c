/* sami-flood: a hostile station for samid's flood tests (tests/e2e/flood.sh,
 * bench/flood-memory.sh). Sends frames on one interface through an
 * AF_PACKET raw socket, crafted with libsami's own encoders so that the
 * "valid" modes really are valid and the broken ones are broken where we
 * say.
 *
 *   sami-flood -i IFACE -m MODE [-d SECONDS] [-n FRAMES] [-r PER_SECOND]
 *              [--bridge MAC] [--peer MAC] [--vsis N] [--migrations N]
 *              [--seed N] [--base N] [--per-frame K] [--json]
 *
 * Modes:
 *   random-ecp   ethertype 0x8940, random bytes (half of them behind a
 *                plausible ECP request header, so the VDP decoder sees them)
 *   random-lldp  ethertype 0x88cc: random bytes, or a valid chassis / port /
 *                TTL followed by random TLVs or a random EVB TLV, from random
 *                source MACs
 *   truncated    valid ECP/VDP and LLDP frames cut short at a random octet
 *   oversized    valid headers followed by more than the codecs accept: up to
 *                the interface MTU (raise it to go beyond the 1500-octet
 *                ECP frame the engines take)
 *   assoc        valid ECP/VDP Associate requests, each for a new VSI (UUID
 *                and MAC from a counter): --vsis distinct ones, then again
 *   notify       valid standalone notification PDUs (Manager ID + sami
 *                notification TLV): PREPARE then SUSPENDED for each of
 *                --migrations distinct migration ids, this bridge named as
 *                destination (PREPARE) or origin (SUSPENDED path), the peer
 *                as the other bridge
 *   ecp-seq      valid Associate requests with sequence games: duplicates,
 *                wrap-around 0xfffe..0x0001, random jumps, stray acks
 *   notify-vsi   notify and assoc interleaved (the memory benchmark)
 *   mix          every mode above in turn, one frame each
 *
 * Stops after -d seconds (default 5) or -n frames, whichever first; -r 0
 * (default) sends as fast as the socket takes. One result line on stdout:
 * "sent N frames (M octets) in S s, E send errors" or JSON with --json.
 * Exit: 0 done, 1 runtime error (interface, permission), 2 usage. Linux
 * only; needs CAP_NET_RAW. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sami/cursor.h"
#include "sami/ecp.h"
#include "sami/evb.h"
#include "sami/lldp.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"

#define MAXF 65536

enum mode { M_RANDOM_ECP, M_RANDOM_LLDP, M_TRUNCATED, M_OVERSIZED, M_ASSOC, M_NOTIFY, M_ECP_SEQ,
            M_NOTIFY_VSI, M_MIX, M_COUNT };
static const char *const mode_names[M_COUNT] = {"random-ecp", "random-lldp", "truncated",
                                                "oversized",  "assoc",       "notify",
                                                "ecp-seq",    "notify-vsi",  "mix"};

static struct {
    uint8_t mac[6];
    uint8_t bridge[6], peer[6];
    int have_bridge, have_peer;
    unsigned vsis, migrations, per_frame;
    uint64_t base;
    size_t mtu;
    uint64_t rng;
    uint16_t seq;
    uint64_t vsi_next, mig_next;
    int mig_phase;
} G;

static const uint8_t ecp_mac[6] = SAMI_ECP_GROUP_MAC_INIT;
static const uint8_t lldp_mac[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible with --seed, plenty for noise */
    G.rng ^= G.rng >> 12;
    G.rng ^= G.rng << 25;
    G.rng ^= G.rng >> 27;
    return G.rng * 0x2545F4914F6CDD1DULL;
}

static size_t rnd_range(size_t lo, size_t hi) /* inclusive */
{
    return hi <= lo ? lo : lo + (size_t)(rnd() % (hi - lo + 1));
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
}

static size_t eth_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return 14;
}

static size_t pad60(uint8_t *f, size_t len)
{
    if (len < 60) {
        memset(f + len, 0, 60 - len);
        len = 60;
    }
    return len;
}

/* The VSI of index k: UUID and MAC derived from --base and k. */
static void vsi_of(uint64_t k, struct sami_vdp_vsi *v, struct sami_vdp_filter *flt)
{
    memset(v, 0, sizeof *v);
    memset(flt, 0, sizeof *flt);
    v->type = SAMI_VDP_TLV_ASSOC;
    v->type_id = 0x1234;
    v->type_ver = 1;
    v->id_format = SAMI_VDP_VSIID_UUID;
    uint64_t a = G.base, b = k;
    for (int i = 0; i < 8; i++) {
        v->id[i] = (uint8_t)(a >> (56 - 8 * i));
        v->id[8 + i] = (uint8_t)(b >> (56 - 8 * i));
    }
    v->id[6] = (uint8_t)((v->id[6] & 0x0f) | 0x40); /* a version-4 looking UUID */
    v->filter_format = SAMI_VDP_FILTER_MAC_VID;
    v->count = 1;
    flt->mac[0] = 0x52;
    flt->mac[1] = 0x54;
    flt->mac[2] = (uint8_t)(0xf0 | (G.base & 0x0f));
    flt->mac[3] = (uint8_t)(k >> 16);
    flt->mac[4] = (uint8_t)(k >> 8);
    flt->mac[5] = (uint8_t)k;
    flt->vid = 100;
    v->filters = flt;
}

static void mgrid_of(struct sami_vdp_mgrid *m)
{
    memset(m, 0, sizeof *m);
    memcpy(m->id, "sami-flood", 10);
}

/* A whole ECP request frame around a finished VDP builder's buffer. */
static size_t ecp_frame(uint8_t *f, uint16_t seq, size_t ulpdu_len)
{
    size_t n = eth_hdr(f, ecp_mac, G.mac, SAMI_ECP_ETHERTYPE);
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t hl = 0;
    (void)sami_ecp_encode_hdr(&h, f + n, SAMI_ECP_HDR_LEN, &hl);
    return pad60(f, n + hl + ulpdu_len);
}

#define ULPDU_AT (14u + SAMI_ECP_HDR_LEN)

/* Associate requests for `count` VSIs starting at k, in one PDU. */
static size_t assoc_frame(uint8_t *f, uint64_t k, unsigned count, uint16_t seq)
{
    struct sami_vdp_builder b;
    sami_vdp_builder_init(&b, f + ULPDU_AT, 1500 - SAMI_ECP_HDR_LEN);
    struct sami_vdp_mgrid m;
    mgrid_of(&m);
    sami_vdp_add_mgrid(&b, &m);
    for (unsigned i = 0; i < count; i++) {
        struct sami_vdp_vsi v;
        struct sami_vdp_filter flt;
        vsi_of(k + i, &v, &flt);
        sami_vdp_add_vsi(&b, &v);
    }
    size_t len = 0;
    if (sami_vdp_finish(&b, &len) != 0)
        return 0;
    return ecp_frame(f, seq, len);
}

static void bridge_ref(struct sami_bridge_ref *r, const uint8_t mac[6])
{
    memset(r, 0, sizeof *r);
    r->chassis_id_subtype = 4; /* MAC */
    r->chassis_id_len = 6;
    memcpy(r->chassis_id, mac, 6);
    r->port_id_subtype = 7;    /* local */
    r->port_id_len = 1;
    r->port_id[0] = '-';
}

/* A standalone notification PDU: migration k, time point tp. Even k: this
 * bridge is the destination (PREPARE from the destination hypervisor);
 * odd k: this bridge is the origin (PREPARE then SUSPENDED starts a
 * transfer towards the peer). */
static size_t notify_frame(uint8_t *f, uint64_t k, int tp, uint16_t seq)
{
    struct sami_notif n;
    memset(&n, 0, sizeof n);
    n.version = 1;
    n.time_point = (uint8_t)tp;
    n.migration_id = (G.base << 32) | (k & 0xffffffffu);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    n.timestamp_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
    n.di_types = 0x1fe;
    struct sami_vdp_vsi v;
    struct sami_vdp_filter flt;
    vsi_of(0x80000000u + k, &v, &flt);
    n.vm.type_id = v.type_id;
    n.vm.type_version = v.type_ver;
    n.vm.id_format = v.id_format;
    memcpy(n.vm.id, v.id, 16);
    n.n_macs = 1;
    memcpy(n.macs[0].mac, flt.mac, 6);
    n.macs[0].word = 100;
    int origin = (int)(k & 1);
    n.flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED | (origin ? SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE : 0);
    bridge_ref(&n.orig_bridge, origin ? G.bridge : G.peer);
    bridge_ref(&n.dest_bridge, origin ? G.peer : G.bridge);
    uint8_t val[SAMI_SAMITLV_MAX_VALUE];
    size_t vlen = 0;
    if (sami_samitlv_notif_encode(&n, NULL, val, sizeof val, &vlen) != 0)
        return 0;
    struct sami_vdp_builder b;
    sami_vdp_builder_init(&b, f + ULPDU_AT, 1500 - SAMI_ECP_HDR_LEN);
    struct sami_vdp_mgrid m;
    mgrid_of(&m);
    sami_vdp_add_mgrid(&b, &m);
    sami_vdp_add_raw(&b, SAMI_VDP_TLV_ORG, val, vlen);
    size_t len = 0;
    if (sami_vdp_finish(&b, &len) != 0)
        return 0;
    return ecp_frame(f, seq, len);
}

static size_t gen_assoc(uint8_t *f)
{
    unsigned per = G.per_frame;
    uint64_t k = G.vsi_next;
    if (k + per > G.vsis)
        per = (unsigned)(G.vsis - k);
    G.vsi_next = k + per >= G.vsis ? 0 : k + per;
    return assoc_frame(f, k, per ? per : 1, G.seq++);
}

static size_t gen_notify(uint8_t *f)
{
    uint64_t k = G.mig_next;
    int tp = G.mig_phase ? SAMI_TP_SUSPENDED : SAMI_TP_PREPARE;
    /* PREPARE k, SUSPENDED k (the origin ones go on to a transfer), k+1 ... */
    if (!G.mig_phase && (k & 1)) {
        G.mig_phase = 1;
    } else {
        G.mig_phase = 0;
        G.mig_next = k + 1 >= G.migrations ? 0 : k + 1;
        if (G.mig_next == 0)
            G.base++; /* the next round: new migration ids (and VMs) */
    }
    return notify_frame(f, k, tp, G.seq++);
}

static size_t gen_random_ecp(uint8_t *f)
{
    size_t len = rnd_range(14, G.mtu + 14);
    eth_hdr(f, ecp_mac, G.mac, SAMI_ECP_ETHERTYPE);
    rnd_bytes(f + 14, len - 14);
    if ((rnd() & 1) && len >= 18) {
        /* a request header, so the bytes reach VDP's decoder */
        struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP,
                                 G.seq++};
        size_t hl;
        (void)sami_ecp_encode_hdr(&h, f + 14, 4, &hl);
        /* and sometimes VSI TLV headers with random lengths inside */
        if ((rnd() & 3) == 0 && len >= 20) {
            f[18] = (uint8_t)((rnd_range(1, 5) << 1) | (rnd() & 1));
            f[19] = (uint8_t)rnd();
        }
    }
    return len;
}

static size_t lldp_valid(uint8_t *f, const uint8_t src[6], int with_evb, int random_evb)
{
    size_t n = eth_hdr(f, lldp_mac, src, 0x88cc);
    struct sami_lldp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.chassis.subtype = 4;
    tx.chassis.id = src;
    tx.chassis.len = 6;
    static const uint8_t pid[] = "flood0";
    tx.port.subtype = 5;
    tx.port.id = pid;
    tx.port.len = 6;
    tx.ttl = 120;
    uint8_t evb[SAMI_EVB_WIRE_LEN];
    size_t elen = 0;
    if (with_evb) {
        struct sami_evb e;
        memset(&e, 0, sizeof e);
        e.mode = SAMI_EVB_MODE_STATION;
        e.r = 3;
        e.rte = 8;
        e.rwd = 20;
        e.rka = 20;
        if (random_evb) {
            e.mode = (uint8_t)(rnd() & 3);
            e.r = (uint8_t)(rnd() & 7);
            e.rte = (uint8_t)(rnd() & 31);
            e.rwd = (uint8_t)(rnd() & 31);
            e.rka = (uint8_t)(rnd() & 31);
            e.rrstat = (uint8_t)(rnd() & 3);
        }
        if (sami_evb_encode(&e, evb, sizeof evb, &elen) == 0) {
            tx.extra = evb;
            tx.extra_len = elen;
        }
    }
    tx.min_len = 46;
    size_t len = 0;
    if (sami_lldp_encode(&tx, f + n, MAXF - n, &len) != 0)
        return 0;
    return n + len;
}

static size_t gen_random_lldp(uint8_t *f)
{
    uint8_t src[6];
    rnd_bytes(src, 6);
    src[0] = (uint8_t)((src[0] & 0xfe) | 0x02); /* unicast, locally administered */
    switch (rnd() % 4) {
    case 0: { /* noise */
        size_t len = rnd_range(14, G.mtu + 14);
        eth_hdr(f, lldp_mac, src, 0x88cc);
        rnd_bytes(f + 14, len - 14);
        return len;
    }
    case 1: { /* valid mandatory TLVs, then random TLVs (no End) */
        size_t len = lldp_valid(f, src, 0, 0);
        if (!len)
            return 0;
        /* overwrite from the End TLV on: the mandatory ones are 9+8+4 after
         * the Ethernet header */
        size_t at = 14 + 2 + 7 + 2 + 7 + 2 + 2;
        size_t end = rnd_range(at + 2, G.mtu + 14);
        rnd_bytes(f + at, end - at);
        return end;
    }
    case 2: /* valid, random EVB TLV */
        return lldp_valid(f, src, 1, 1);
    default: /* valid, with a station EVB TLV, from ever new neighbours */
        return lldp_valid(f, src, 1, 0);
    }
}

static size_t gen_truncated(uint8_t *f)
{
    size_t len;
    switch (rnd() % 3) {
    case 0: len = assoc_frame(f, rnd() % 1000, 1 + (unsigned)(rnd() % 8), G.seq++); break;
    case 1: len = notify_frame(f, rnd() % 1000, SAMI_TP_PREPARE, G.seq++); break;
    default: len = lldp_valid(f, G.mac, 1, 0); break;
    }
    if (len <= 15)
        return len;
    /* cut inside the payload: the Ethernet header stays whole; a frame
     * below 60 octets is what a broken sender or a runt on the wire gives */
    return rnd_range(14, len - 1);
}

static size_t gen_oversized(uint8_t *f)
{
    size_t max = G.mtu + 14, len;
    switch (rnd() % 3) {
    case 0: /* a valid Associate, then garbage up to the MTU (not padding) */
        len = assoc_frame(f, rnd() % 1000, 1, G.seq++);
        if (len && len < max) {
            rnd_bytes(f + len, max - len);
            len = max;
        }
        return len;
    case 1: { /* VDP TLVs at their 511-octet maximum, back to back */
        len = eth_hdr(f, ecp_mac, G.mac, SAMI_ECP_ETHERTYPE);
        struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP,
                                 G.seq++};
        size_t hl;
        (void)sami_ecp_encode_hdr(&h, f + len, 4, &hl);
        len += hl;
        while (len + 2 + 511 <= max) {
            uint8_t type = (rnd() & 1) ? SAMI_VDP_TLV_ORG : SAMI_VDP_TLV_ASSOC;
            f[len] = (uint8_t)(type << 1 | 1);
            f[len + 1] = 0xff; /* length 511 */
            rnd_bytes(f + len + 2, 511);
            if (type == SAMI_VDP_TLV_ORG) {
                f[len + 2] = 0x0a, f[len + 3] = 0x53, f[len + 4] = 0x4d, f[len + 5] = 2;
            }
            len += 2 + 511;
        }
        return len;
    }
    default: { /* an LLDPDU of max-size org TLVs */
        len = lldp_valid(f, G.mac, 1, 0);
        if (!len)
            return 0;
        size_t at = 14 + 2 + 7 + 2 + 7 + 2 + 2;
        while (at + 2 + 511 + 2 <= max) {
            f[at] = (uint8_t)(127 << 1 | 1);
            f[at + 1] = 0xff;
            f[at + 2] = 0x0a, f[at + 3] = 0x53, f[at + 4] = 0x4d, f[at + 5] = 1;
            rnd_bytes(f + at + 6, 507);
            at += 2 + 511;
        }
        f[at] = f[at + 1] = 0;
        return at + 2;
    }
    }
}

static size_t gen_ecp_seq(uint8_t *f)
{
    static unsigned step;
    static uint16_t last;
    unsigned s = step++ % 16;
    uint16_t seq;
    if (s < 4)
        seq = last;                       /* duplicates of the last request */
    else if (s < 10)
        seq = (uint16_t)(0xfffd + s - 4); /* fffd fffe ffff 0000 0001 0002 */
    else if (s < 14)
        seq = (uint16_t)rnd();            /* random jumps */
    else {
        /* a stray acknowledgement */
        size_t n = eth_hdr(f, ecp_mac, G.mac, SAMI_ECP_ETHERTYPE);
        struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_ACK, SAMI_ECP_SUBTYPE_VDP,
                                 (uint16_t)rnd()};
        size_t hl;
        (void)sami_ecp_encode_hdr(&h, f + n, 4, &hl);
        return pad60(f, n + hl);
    }
    last = seq;
    return assoc_frame(f, rnd() % 4, 1, seq);
}

static size_t gen(enum mode m, uint8_t *f)
{
    static unsigned rr;
    switch (m) {
    case M_RANDOM_ECP: return gen_random_ecp(f);
    case M_RANDOM_LLDP: return gen_random_lldp(f);
    case M_TRUNCATED: return gen_truncated(f);
    case M_OVERSIZED: return gen_oversized(f);
    case M_ASSOC: return gen_assoc(f);
    case M_NOTIFY: return gen_notify(f);
    case M_ECP_SEQ: return gen_ecp_seq(f);
    case M_NOTIFY_VSI: return (rr++ & 1) ? gen_assoc(f) : gen_notify(f);
    default: return gen((enum mode)(rr++ % M_NOTIFY_VSI), f);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_mac(const char *s, uint8_t m[6])
{
    unsigned v[6];
    char c;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &c) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 255)
            return -1;
        m[i] = (uint8_t)v[i];
    }
    return 0;
}

static void usage(FILE *o)
{
    fprintf(o,
            "usage: sami-flood -i IFACE -m MODE [-d SECONDS] [-n FRAMES] [-r PER_SECOND]\n"
            "                  [--bridge MAC] [--peer MAC] [--vsis N] [--migrations N]\n"
            "                  [--per-frame K] [--seed N] [--base N] [--json]\n"
            "modes: random-ecp random-lldp truncated oversized assoc notify ecp-seq\n"
            "       notify-vsi mix\n"
            "notify needs --bridge (the chassis MAC samid answers to) and --peer (a\n"
            "configured peer's chassis MAC). -r 0: as fast as possible (default).\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"interface", required_argument, 0, 'i'}, {"mode", required_argument, 0, 'm'},
        {"duration", required_argument, 0, 'd'}, {"count", required_argument, 0, 'n'},
        {"rate", required_argument, 0, 'r'},     {"bridge", required_argument, 0, 'B'},
        {"peer", required_argument, 0, 'P'},     {"vsis", required_argument, 0, 'V'},
        {"migrations", required_argument, 0, 'M'}, {"per-frame", required_argument, 0, 'K'},
        {"seed", required_argument, 0, 'S'},     {"base", required_argument, 0, 'b'},
        {"json", no_argument, 0, 'j'},           {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *ifname = NULL;
    int mode = -1, json = 0, opt;
    double duration = 5, rate = 0;
    unsigned long long count = 0, seed = 1;
    G.vsis = 1000;
    G.migrations = 1000;
    G.per_frame = 1;
    G.base = (uint64_t)getpid();
    while ((opt = getopt_long(argc, argv, "i:m:d:n:r:jh", lo, NULL)) != -1) {
        switch (opt) {
        case 'i': ifname = optarg; break;
        case 'm':
            for (int k = 0; k < M_COUNT; k++)
                if (!strcmp(optarg, mode_names[k]))
                    mode = k;
            if (mode < 0) {
                fprintf(stderr, "sami-flood: unknown mode '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd': duration = atof(optarg); break;
        case 'n': count = strtoull(optarg, NULL, 0); break;
        case 'r': rate = atof(optarg); break;
        case 'B':
            if (parse_mac(optarg, G.bridge)) {
                fprintf(stderr, "sami-flood: --bridge: not a MAC: %s\n", optarg);
                return 2;
            }
            G.have_bridge = 1;
            break;
        case 'P':
            if (parse_mac(optarg, G.peer)) {
                fprintf(stderr, "sami-flood: --peer: not a MAC: %s\n", optarg);
                return 2;
            }
            G.have_peer = 1;
            break;
        case 'V': G.vsis = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'M': G.migrations = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'K': G.per_frame = (unsigned)strtoul(optarg, NULL, 0); break;
        case 'S': seed = strtoull(optarg, NULL, 0); break;
        case 'b': G.base = strtoull(optarg, NULL, 0); break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!ifname || mode < 0 || optind != argc || duration <= 0 || rate < 0 || !G.vsis ||
        !G.migrations || !G.per_frame || G.per_frame > 40) {
        usage(stderr);
        return 2;
    }
    if ((mode == M_NOTIFY || mode == M_NOTIFY_VSI || mode == M_MIX || mode == M_TRUNCATED) &&
        (!G.have_bridge || !G.have_peer)) {
        fprintf(stderr, "sami-flood: mode %s needs --bridge and --peer\n", mode_names[mode]);
        return 2;
    }
    G.rng = seed ? seed * 0x9E3779B97F4A7C15ULL : 1;
    G.seq = (uint16_t)(rnd());

    int fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only, nothing queued in */
    if (fd < 0) {
        fprintf(stderr, "sami-flood: socket: %s\n", strerror(errno));
        return 1;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
        fprintf(stderr, "sami-flood: %s: %s\n", ifname, strerror(errno));
        return 1;
    }
    int ifindex = ifr.ifr_ifindex;
    if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) {
        fprintf(stderr, "sami-flood: %s: MTU: %s\n", ifname, strerror(errno));
        return 1;
    }
    G.mtu = (size_t)ifr.ifr_mtu;
    if (G.mtu + 14 > MAXF)
        G.mtu = MAXF - 14;
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        fprintf(stderr, "sami-flood: %s: MAC: %s\n", ifname, strerror(errno));
        return 1;
    }
    memcpy(G.mac, ifr.ifr_hwaddr.sa_data, 6);
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    sll.sll_protocol = 0;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        fprintf(stderr, "sami-flood: bind %s: %s\n", ifname, strerror(errno));
        return 1;
    }

    static uint8_t frame[MAXF];
    unsigned long long sent = 0, octets = 0, errors = 0, built_fail = 0;
    double t0 = now_s(), t = t0;
    while (t - t0 < duration && (!count || sent + errors < count)) {
        memset(frame, 0, 64);
        size_t len = gen((enum mode)mode, frame);
        if (len < 14) {
            built_fail++;
            if (built_fail > 1000000) {
                fprintf(stderr, "sami-flood: cannot build frames for mode %s\n", mode_names[mode]);
                return 1;
            }
            continue;
        }
        ssize_t w = send(fd, frame, len, 0);
        if (w == (ssize_t)len) {
            sent++;
            octets += len;
        } else {
            errors++; /* ENOBUFS under a full-speed flood; EMSGSIZE beyond the MTU */
            if (errno == ENOBUFS || errno == EAGAIN)
                usleep(50);
        }
        t = now_s();
        if (rate > 0) {
            double due = t0 + (double)(sent + errors) / rate;
            if (due > t) {
                struct timespec ts = {(time_t)(due - t), (long)((due - t - (double)(time_t)(due - t)) * 1e9)};
                nanosleep(&ts, NULL);
                t = now_s();
            }
        }
    }
    double el = now_s() - t0;
    if (json)
        printf("{\"mode\":\"%s\",\"interface\":\"%s\",\"sent\":%llu,\"octets\":%llu,"
               "\"errors\":%llu,\"seconds\":%.3f,\"per_second\":%.0f,\"mtu\":%zu}\n",
               mode_names[mode], ifname, sent, octets, errors, el, el > 0 ? (double)sent / el : 0,
               G.mtu);
    else
        printf("%s on %s: sent %llu frames (%llu octets) in %.2f s (%.0f/s), %llu send errors\n",
               mode_names[mode], ifname, sent, octets, el, el > 0 ? (double)sent / el : 0, errors);
    close(fd);
    return 0;
}
