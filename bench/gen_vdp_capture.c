/* gen_vdp_capture: writes a large pcap of ECP/VDP traffic for the dissector
 * benchmark (bench/sniff-vs-tshark.sh, docs/PERFORMANCE.md).
 *
 * The mix follows what a busy bridge sees during migrations: hypervisor
 * Pre-Associate / Associate requests carrying sami notifications (PREPARE,
 * SUSPENDED, RESUMED, COMPLETED), bridge responses carrying sami feedback,
 * and ECP acks. Every frame is built with the libsami encoders and decoded
 * again with the libsami decoders, so the capture cannot drift into frames
 * the dissectors would reject. Output depends only on N and the seed.
 *
 * usage: gen_vdp_capture [--frames N] [--ack-pct P] [--seed S] [--quiet] OUT.pcap */
#define _DEFAULT_SOURCE 1
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sami/ecp.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"

#define ETH_LEN 14u
#define FRAME_CAP 1600u
#define MIN_FRAME 60u
/* Requests and responses are kept in this window (the brief's 100-300). */
#define SIZE_LO 100u
#define SIZE_HI 300u

static const uint8_t oui[3] = SAMI_OUI_DEFAULT;
static const uint8_t grp_ecp[6] = {0x01, 0x80, 0xc2, 0x00, 0x00, 0x00};

/* xorshift64*: fast, seedable, and the same on every libc (rand() is not). */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * UINT64_C(2685821657736338717);
}
static unsigned rnd_below(unsigned n) { return (unsigned)((rnd() >> 32) % n); }

static void die(const char *what, int rc)
{
    fprintf(stderr, "gen_vdp_capture: %s failed (%d)\n", what, rc);
    exit(1);
}

/* ---- pcap (classic format, microsecond stamps, Ethernet) ---- */

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }
static void put16(FILE *f, uint16_t v) { fwrite(&v, 2, 1, f); }

static void pcap_header(FILE *f)
{
    put32(f, 0xa1b2c3d4u); /* native byte order: readers detect it */
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, 1); /* LINKTYPE_ETHERNET */
}

static void pcap_frame(FILE *f, uint64_t t_us, const uint8_t *p, size_t len)
{
    put32(f, (uint32_t)(t_us / 1000000u));
    put32(f, (uint32_t)(t_us % 1000000u));
    put32(f, (uint32_t)len);
    put32(f, (uint32_t)len);
    fwrite(p, 1, len, f);
}

/* ---- one migration's worth of state ---- */

struct vm {
    uint8_t uuid[16];
    uint8_t mac[6];
    uint16_t vid;
    uint64_t mig_id;
    uint8_t hv[6]; /* the hypervisor's station MAC */
};

static void vm_new(struct vm *v, uint64_t n)
{
    for (int i = 0; i < 16; i++)
        v->uuid[i] = (uint8_t)rnd();
    v->uuid[6] = (uint8_t)(0x40 | (v->uuid[6] & 0x0f)); /* looks like a v4 UUID */
    v->mac[0] = 0x52;
    v->mac[1] = 0x54;
    v->mac[2] = 0x00;
    v->mac[3] = (uint8_t)(n >> 16);
    v->mac[4] = (uint8_t)(n >> 8);
    v->mac[5] = (uint8_t)n;
    v->vid = (uint16_t)(2 + rnd_below(4000));
    v->mig_id = UINT64_C(0x5a4d000000000000) | n;
    memcpy(v->hv, (const uint8_t[6]){0x52, 0x54, 0x00, 0xff, 0x00, (uint8_t)rnd_below(64)}, 6);
}

static void bridge_ref(struct sami_bridge_ref *b, unsigned which)
{
    static const char *ports[] = {"eth12", "swp3", "Ethernet1/17", "ge-0/0/24"};
    const char *p = ports[which % 4];

    memset(b, 0, sizeof *b);
    b->chassis_id_subtype = 4; /* MAC address */
    b->chassis_id_len = 6;
    memcpy(b->chassis_id, (const uint8_t[6]){0x02, 0x53, 0x4d, 0, 0, (uint8_t)(1 + which)}, 6);
    b->port_id_subtype = 5; /* interface name */
    b->port_id_len = (uint8_t)strlen(p);
    memcpy(b->port_id, p, b->port_id_len);
}

static void vsi_of(struct sami_vdp_vsi *s, const struct vm *v, const struct sami_vdp_filter *flt,
                   uint8_t type)
{
    memset(s, 0, sizeof *s);
    s->type = type;
    s->type_id = 0x00a1b2u;
    s->type_ver = 1;
    s->id_format = SAMI_VDP_VSIID_UUID;
    memcpy(s->id, v->uuid, 16);
    s->filter_format = SAMI_VDP_FILTER_MAC_VID;
    s->count = 1;
    s->filters = flt;
}

/* Builds Ethernet + ECP request + VDP (Manager ID, VSI, one sami org TLV,
 * End) into f; returns the frame length. */
static size_t vdp_frame(uint8_t *f, const uint8_t src[6], uint16_t seq,
                        const struct sami_vdp_vsi *vsi, const uint8_t *org, size_t org_len)
{
    static const struct sami_vdp_mgrid mgr = {{'b', 'e', 'n', 'c', 'h', '-', 'm', 'g', 'r'}};
    struct sami_vdp_builder b;
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t n, ul = 0;
    int rc;

    memcpy(f, grp_ecp, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(SAMI_ECP_ETHERTYPE >> 8);
    f[13] = (uint8_t)SAMI_ECP_ETHERTYPE;
    if ((rc = sami_ecp_encode_hdr(&h, f + ETH_LEN, FRAME_CAP - ETH_LEN, &n)))
        die("ecp header", rc);
    /* The ULPDU is written in place behind the header: no staging copy. */
    sami_vdp_builder_init(&b, f + ETH_LEN + n, FRAME_CAP - ETH_LEN - n);
    if ((rc = sami_vdp_add_mgrid(&b, &mgr)) || (rc = sami_vdp_add_vsi(&b, vsi)) ||
        (org && (rc = sami_vdp_add_raw(&b, SAMI_VDP_TLV_ORG, org, org_len))) ||
        (rc = sami_vdp_finish(&b, &ul)))
        die("vdp build", rc);
    n += ETH_LEN + ul;
    if (n < MIN_FRAME) {
        memset(f + n, 0, MIN_FRAME - n);
        n = MIN_FRAME;
    }
    return n;
}

static size_t ack_frame(uint8_t *f, const uint8_t src[6], uint16_t seq)
{
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_ACK, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t n;
    int rc;

    memcpy(f, grp_ecp, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(SAMI_ECP_ETHERTYPE >> 8);
    f[13] = (uint8_t)SAMI_ECP_ETHERTYPE;
    if ((rc = sami_ecp_encode_hdr(&h, f + ETH_LEN, FRAME_CAP - ETH_LEN, &n)))
        die("ecp ack", rc);
    return ETH_LEN + n; /* unpadded, as lldpad sends acks */
}

/* A notification for time point tp; the element counts vary with the VM so
 * frame sizes spread over the window. */
static size_t notif_value(uint8_t *buf, size_t cap, const struct vm *v, uint8_t tp,
                          unsigned extra)
{
    static struct sami_notif n; /* 1.4 KB: not on the stack per frame */
    size_t len;
    int rc;

    memset(&n, 0, sizeof n);
    n.version = 1;
    n.time_point = tp;
    n.flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED |
              (tp == SAMI_TP_SUSPENDED ? SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE : 0);
    n.migration_id = v->mig_id;
    n.timestamp_ms = UINT64_C(1767225600000) + (v->mig_id & 0xffffff) * 7;
    n.next_deadline_ms = tp == SAMI_TP_PREPARE ? 30000 : 300;
    n.di_types = SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_ND) |
                 SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL) |
                 (extra & 1 ? SAMI_DI_TYPE_BIT(SAMI_DI_DOT1X) : 0);
    n.vm.type_id = 0x00a1b2u;
    n.vm.type_version = 1;
    n.vm.id_format = SAMI_VDP_VSIID_UUID;
    memcpy(n.vm.id, v->uuid, 16);
    n.n_macs = (uint8_t)(1 + extra % 4);
    for (unsigned i = 0; i < n.n_macs; i++) {
        memcpy(n.macs[i].mac, v->mac, 6);
        n.macs[i].mac[5] = (uint8_t)(v->mac[5] + i);
        n.macs[i].word = (uint16_t)(v->vid + i);
    }
    n.n_ipv4 = (uint8_t)(extra / 4 % 3);
    for (unsigned i = 0; i < n.n_ipv4; i++)
        memcpy(n.ipv4[i], (const uint8_t[4]){10, v->mac[4], v->mac[5], (uint8_t)(1 + i)}, 4);
    n.n_ipv6 = (uint8_t)(extra / 12 % 3);
    for (unsigned i = 0; i < n.n_ipv6; i++) {
        n.ipv6[i][0] = 0x20;
        n.ipv6[i][1] = 0x01;
        n.ipv6[i][2] = 0x0d;
        n.ipv6[i][3] = 0xb8;
        memcpy(n.ipv6[i] + 10, v->mac, 6);
        n.ipv6[i][9] = (uint8_t)i;
    }
    bridge_ref(&n.orig_bridge, 0 + (extra & 2));
    bridge_ref(&n.dest_bridge, 1 + (extra & 2));
    if ((rc = sami_samitlv_notif_encode(&n, oui, buf, cap, &len)))
        die("notification encode", rc);
    return len;
}

static size_t feedback_value(uint8_t *buf, size_t cap, const struct vm *v, uint8_t tp,
                             unsigned extra)
{
    static const uint8_t types[] = {SAMI_DI_DHCP, SAMI_DI_ND, SAMI_DI_FIREWALL, SAMI_DI_DOT1X,
                                    SAMI_DI_ACL, SAMI_DI_IGMP};
    struct sami_feedback fb;
    size_t len;
    int rc;

    memset(&fb, 0, sizeof fb);
    fb.version = 1;
    fb.verdict = tp == SAMI_TP_SUSPENDED ? SAMI_VERDICT_PROCEED : SAMI_VERDICT_PENDING;
    fb.time_point = tp;
    fb.migration_id = v->mig_id;
    fb.transfer_time_us = tp == SAMI_TP_SUSPENDED ? 800 + extra * 37 : 0;
    fb.n_results = (uint8_t)(extra % 7);
    for (unsigned i = 0; i < fb.n_results; i++) {
        fb.results[i].di_type = types[i];
        fb.results[i].status = SAMI_DI_STATUS_OK;
        fb.results[i].records_sent = fb.results[i].records_installed = 1 + (extra * (i + 3)) % 500;
    }
    fb.has_bridge = 1;
    bridge_ref(&fb.bridge, 1 + (extra & 2));
    if ((rc = sami_samitlv_feedback_encode(&fb, oui, buf, cap, &len)))
        die("feedback encode", rc);
    return len;
}

/* Full decode of a request frame: the generator never writes a frame the
 * library itself would reject. */
static void check_frame(const uint8_t *f, size_t len)
{
    static struct sami_vdp v;
    static struct sami_notif n;
    static struct sami_feedback fb;
    struct sami_ecp e;
    struct sami_err err;
    uint8_t st;
    int rc;

    if ((rc = sami_ecp_decode(f + ETH_LEN, len - ETH_LEN, &e, &err)))
        die("check ecp", rc);
    if (e.hdr.op != SAMI_ECP_OP_REQUEST)
        return;
    if ((rc = sami_vdp_decode(e.ulpdu, e.ulpdu_len, &v, &err)))
        die("check vdp", rc);
    for (size_t i = 0; i < v.ntlv; i++) {
        const struct sami_vdp_tlv *t = &v.tlv[i];
        if (t->type != SAMI_VDP_TLV_ORG)
            continue;
        if ((rc = sami_samitlv_peek_subtype(t->value, t->length, oui, &st, &err)))
            die("check subtype", rc);
        rc = st == SAMI_SUBTYPE_NOTIFICATION
                 ? sami_samitlv_notif_decode(t->value, t->length, oui, &n, &err)
                 : sami_samitlv_feedback_decode(t->value, t->length, oui, &fb, &err);
        if (rc)
            die("check sami tlv", rc);
    }
}

struct counts {
    unsigned long req, rsp, ack, bytes;
    unsigned long min_len, max_len; /* requests and responses only */
};

int main(int argc, char **argv)
{
    static const struct option lo[] = {{"frames", required_argument, NULL, 'n'},
                                       {"ack-pct", required_argument, NULL, 'a'},
                                       {"seed", required_argument, NULL, 's'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {NULL, 0, NULL, 0}};
    unsigned long frames = 1000000, ack_pct = 20, seed = 1;
    int quiet = 0, c;

    while ((c = getopt_long(argc, argv, "n:a:s:q", lo, NULL)) != -1) {
        switch (c) {
        case 'n': frames = strtoul(optarg, NULL, 0); break;
        case 'a': ack_pct = strtoul(optarg, NULL, 0); break;
        case 's': seed = strtoul(optarg, NULL, 0); break;
        case 'q': quiet = 1; break;
        default:
            fprintf(stderr, "usage: gen_vdp_capture [--frames N] [--ack-pct P] [--seed S] "
                            "[--quiet] OUT.pcap\n");
            return 2;
        }
    }
    if (optind != argc - 1 || ack_pct > 100 || frames == 0) {
        fprintf(stderr, "gen_vdp_capture: want one output file, --ack-pct 0..100, --frames >= 1\n");
        return 2;
    }
    FILE *out = fopen(argv[optind], "wb");
    if (!out) {
        perror(argv[optind]);
        return 1;
    }
    static char obuf[1 << 20];
    setvbuf(out, obuf, _IOFBF, sizeof obuf); /* ~200 MB of output: big writes */
    rng_state = UINT64_C(0x9e3779b97f4a7c15) ^ ((uint64_t)seed * UINT64_C(0xff51afd7ed558ccd));
    if (!rng_state)
        rng_state = 1;
    pcap_header(out);

    /* Each VM walks PREPARE (PreAssoc-RR + M) -> SUSPENDED (Assoc, S) ->
     * RESUMED (Assoc at the destination) -> COMPLETED; every request gets a
     * response with feedback. Many VMs are interleaved so sequence numbers
     * and migration ids vary frame to frame, as on a loaded bridge. */
    enum { ACTIVE = 64 };
    static const uint8_t tps[4] = {SAMI_TP_PREPARE, SAMI_TP_SUSPENDED, SAMI_TP_RESUMED,
                                   SAMI_TP_COMPLETED};
    struct vm vms[ACTIVE];
    unsigned step[ACTIVE];
    uint16_t seq[ACTIVE];
    uint64_t next_vm = 1, t_us = UINT64_C(1767225600000000);
    struct counts k = {0, 0, 0, 0, ~0ul, 0};
    uint8_t f[FRAME_CAP], val[SAMI_SAMITLV_MAX_VALUE];
    struct sami_vdp_filter flt;
    struct sami_vdp_vsi vsi;
    struct sami_bridge_ref br;

    for (unsigned i = 0; i < ACTIVE; i++) {
        vm_new(&vms[i], next_vm++);
        step[i] = 0;
        seq[i] = (uint16_t)rnd();
    }
    for (unsigned long i = 0; i < frames; i++) {
        unsigned s = rnd_below(ACTIVE), extra = rnd_below(64);
        struct vm *v = &vms[s];
        size_t len, vl;

        t_us += 5 + rnd_below(40);
        if (rnd_below(100) < ack_pct) {
            len = ack_frame(f, (step[s] & 1) ? v->hv : (const uint8_t[6]){2, 0x53, 0x4d, 0, 0, 1},
                            seq[s]);
            k.ack++;
        } else {
            uint8_t tp = tps[step[s] / 2 % 4];
            int rsp = step[s] & 1;

            memset(&flt, 0, sizeof flt);
            memcpy(flt.mac, v->mac, 6);
            flt.vid = v->vid;
            vsi_of(&vsi, v, &flt,
                   tp == SAMI_TP_PREPARE ? SAMI_VDP_TLV_PREASSOC_RR : SAMI_VDP_TLV_ASSOC);
            if (tp == SAMI_TP_PREPARE)
                vsi.migrate_to = 1;
            if (tp == SAMI_TP_SUSPENDED)
                vsi.suspended = 1;
            if (rsp) {
                vsi.migrate_to = vsi.suspended = 0;
                vsi.response = 1;
                vsi.reason = SAMI_VDP_REASON_SUCCESS;
                vl = feedback_value(val, sizeof val, v, tp, extra);
                bridge_ref(&br, 1);
                len = vdp_frame(f, br.chassis_id, seq[s], &vsi, val, vl);
                k.rsp++;
            } else {
                vl = notif_value(val, sizeof val, v, tp, extra);
                len = vdp_frame(f, v->hv, ++seq[s], &vsi, val, vl);
                k.req++;
            }
            if (len < SIZE_LO || len > SIZE_HI)
                die("frame size outside 100..300", (int)len);
            if (len < k.min_len)
                k.min_len = len;
            if (len > k.max_len)
                k.max_len = len;
            /* A full decode of every frame would double the run time for no
             * new information after the first few thousand. */
            if (i < 10000 || i % 997 == 0)
                check_frame(f, len);
            if (++step[s] == 8) { /* migration done: a new VM takes the slot */
                vm_new(v, next_vm++);
                step[s] = 0;
            }
        }
        k.bytes += len;
        pcap_frame(out, t_us, f, len);
    }
    if (fclose(out)) {
        perror(argv[optind]);
        return 1;
    }
    if (!quiet)
        printf("frames %lu: requests %lu, responses %lu, acks %lu (18 octets); request/response "
               "frames %lu..%lu octets; mean frame %.1f octets\n",
               frames, k.req, k.rsp, k.ack, k.min_len, k.max_len, (double)k.bytes / frames);
    return 0;
}
