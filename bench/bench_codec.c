/* bench_codec: cost of the sami codecs per PDU / record / message.
 *
 * Wall-clock mode (default): every case runs in batches of about --batch-ms;
 * the cases are interleaved round-robin for --reps rounds, and each batch of
 * a case is paired with a batch of its baseline (memcpy of the same input
 * bytes) timed right before it. Reported: the median ns/op over the rounds,
 * the ops/s that gives on one core, and the median of the per-round ratios
 * case / baseline. The ratio is the figure to compare across machines: a
 * shared, noisy 2-core box moves both halves of a pair together.
 *
 * Count mode (--count N, run under valgrind --tool=callgrind): runs every
 * case exactly N times between callgrind client requests that zero and dump
 * the counters, so each dump holds the instructions of N ops and nothing
 * else (bench/callgrind.sh divides). Instruction counts are repeatable where
 * nanoseconds are not.
 *
 * Inputs are the documented test vectors (tests/vectors_*.h) assembled into
 * the PDUs a receiver sees; every op checks its result, so a codec that
 * starts failing cannot look fast. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sami/di.h"
#include "sami/ecp.h"
#include "sami/hmac.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"
#include "sami/xfer.h"

#include "vectors_di.h"
#include "vectors_samitlv.h"
#include "vectors_vdp.h"

#if defined(SAMI_BENCH_CALLGRIND)
#include <valgrind/callgrind.h>
#endif

#define GOAL_VDP_PPS 10e6 /* VDP PDUs decoded per second per core */
#define XFER_RECORDS 100
#define MAX_CASES 64
#define MAX_REPS 101

/* ---- inputs and outputs (global so no store is dead) ---- */

struct bcase;
typedef int (*op_fn)(const struct bcase *c);

struct bcase {
    const char *name;
    const char *what; /* one-line description for the table */
    op_fn op;
    const uint8_t *in; /* input bytes (the memcpy baseline copies these) */
    size_t in_len;
    int units;   /* items per op (records in a transfer message), for per-item figures */
    uint8_t di_type;          /* DI cases */
    const struct sami_di_record *rec; /* DI encode input */
    int is_goal;              /* the VDP decode cases the 10 M/s goal applies to */
};

static struct {
    uint8_t notif_frame[600], fb_frame[600]; /* ECP header + VDP ULPDU */
    size_t notif_frame_len, fb_frame_len;
    struct sami_vdp_mgrid mgrid;
    struct sami_vdp_vsi vsi_req, vsi_rsp; /* views into vsi_src_* */
    uint8_t vsi_src_req[128], vsi_src_rsp[128];
    struct sami_notif notif;
    struct sami_feedback fb;

    uint8_t di_val[SAMI_DI_TYPE_MAX + 2][SAMI_DI_MAX_LEN];
    size_t di_len[SAMI_DI_TYPE_MAX + 2];
    struct sami_di_record di_rec[SAMI_DI_TYPE_MAX + 2];

    uint8_t xfer_msg[4096];
    size_t xfer_len;
    struct sami_di_record xfer_rec[XFER_RECORDS];
    struct sami_xfer_keyring kr;
    const struct sami_hmac_provider *hmac;

    /* outputs */
    struct sami_ecp ecp;
    struct sami_vdp vdp;
    struct sami_notif notif_out;
    struct sami_feedback fb_out;
    struct sami_di_record rec_out;
    struct sami_xfer_msg msg_out;
    struct sami_xfer_replay replay;
    uint8_t out[8192];
    size_t out_len;
} g;

/* Called through a volatile pointer so the baseline stays a real libc call
 * with a run-time length, as the codecs' own copies are. */
static void *(*volatile memcpy_fn)(void *, const void *, size_t) = memcpy;

static const uint8_t sami_oui[3] = SAMI_OUI_DEFAULT_INIT;
#define SAMI_OUI24 ((uint32_t)sami_oui[0] << 16 | (uint32_t)sami_oui[1] << 8 | sami_oui[2])

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_codec: %s failed (%d)\n", what, rc);
    exit(2);
}

static size_t hex_vector(const struct sami_vector *v, size_t n, const char *name, uint8_t *out,
                         size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].name, name) == 0) {
            long len = sami_test_hex(v[i].hex, out, cap);
            if (len < 0)
                die(name, -1);
            return (size_t)len;
        }
    }
    fprintf(stderr, "bench_codec: vector %s not found\n", name);
    exit(2);
}

/* ---- ops ---- */

static int op_memcpy(const struct bcase *c)
{
    memcpy_fn(g.out, c->in, c->in_len);
    return g.out[0] == c->in[0] ? 0 : -1;
}

/* Receiver path: ECP header, whole VDP ULPDU, then the sami org TLV. */
static int vdp_rx(const uint8_t *frame, size_t len, uint8_t subtype)
{
    struct sami_err err;
    int rc = sami_ecp_decode(frame, len, &g.ecp, &err);
    if (rc)
        return rc;
    rc = sami_vdp_decode(g.ecp.ulpdu, g.ecp.ulpdu_len, &g.vdp, &err);
    if (rc)
        return rc;
    for (size_t i = 0; i < g.vdp.ntlv; i++) {
        const struct sami_vdp_tlv *t = &g.vdp.tlv[i];
        if (t->type != SAMI_VDP_TLV_ORG || t->u.org.oui != SAMI_OUI24 ||
            t->u.org.subtype != subtype)
            continue;
        if (subtype == SAMI_SUBTYPE_NOTIFICATION)
            return sami_samitlv_notif_decode(t->value, t->length, NULL, &g.notif_out, &err);
        return sami_samitlv_feedback_decode(t->value, t->length, NULL, &g.fb_out, &err);
    }
    return SAMI_ERR_MISSING;
}

static int op_vdp_notif_decode(const struct bcase *c)
{
    (void)c;
    return vdp_rx(g.notif_frame, g.notif_frame_len, SAMI_SUBTYPE_NOTIFICATION);
}

static int op_vdp_fb_decode(const struct bcase *c)
{
    (void)c;
    return vdp_rx(g.fb_frame, g.fb_frame_len, SAMI_SUBTYPE_FEEDBACK);
}

/* Sender path: ECP header, then the ULPDU built in place after it; the org
 * TLV value is written straight into the builder (no intermediate copy). */
static int vdp_tx(uint16_t seq, const struct sami_vdp_vsi *vsi, const struct sami_notif *n,
                  const struct sami_feedback *fb, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t hl;
    int rc = sami_ecp_encode_hdr(&h, buf, cap, &hl);
    if (rc)
        return rc;
    struct sami_vdp_builder b;
    size_t mark, ul;
    sami_vdp_builder_init(&b, buf + hl, cap - hl);
    if ((rc = sami_vdp_add_mgrid(&b, &g.mgrid)) != 0 || (rc = sami_vdp_add_vsi(&b, vsi)) != 0)
        return rc;
    if ((rc = n ? sami_samitlv_notif_check(n) : sami_samitlv_feedback_check(fb)) != 0)
        return rc;
    if ((rc = sami_vdp_begin_tlv(&b, SAMI_VDP_TLV_ORG, &mark)) != 0)
        return rc;
    if (n)
        sami_samitlv_notif_write(&b.w, NULL, n);
    else
        sami_samitlv_feedback_write(&b.w, NULL, fb);
    if ((rc = sami_vdp_end_tlv(&b, mark)) != 0 || (rc = sami_vdp_finish(&b, &ul)) != 0)
        return rc;
    *len = hl + ul;
    return 0;
}

static int op_vdp_notif_encode(const struct bcase *c)
{
    (void)c;
    return vdp_tx(1, &g.vsi_req, &g.notif, NULL, g.out, sizeof g.out, &g.out_len);
}

static int op_vdp_fb_encode(const struct bcase *c)
{
    (void)c;
    return vdp_tx(1, &g.vsi_rsp, NULL, &g.fb, g.out, sizeof g.out, &g.out_len);
}

static int op_di_decode(const struct bcase *c)
{
    struct sami_err err;
    return sami_di_decode(c->di_type, c->in, c->in_len, &g.rec_out, &err);
}

static int op_di_encode(const struct bcase *c)
{
    return sami_di_encode(c->rec, g.out, sizeof g.out, &g.out_len);
}

/* Authenticated receive as a bridge does it: open (header, key, HMAC,
 * replay, body validation), then every DI record decoded. The replay window
 * is cleared per op, else the second op would be a replay. */
static int op_xfer_open_di(const struct bcase *c)
{
    struct sami_err err;
    memset(&g.replay, 0, sizeof g.replay);
    int rc = sami_xfer_open(c->in, c->in_len, &g.kr, &g.replay, 0, 0, &g.msg_out, &err);
    if (rc)
        return rc;
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    int n = 0;
    sami_xfer_iter_init(&it, &g.msg_out, &err);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1) {
        if (!SAMI_XFER_E_IS_DI(e.type))
            continue;
        if ((rc = sami_di_decode((uint8_t)e.type, e.value, e.len, &g.rec_out, &err)) != 0)
            return rc;
        n++;
    }
    return rc == 0 && n == c->units ? 0 : -1;
}

/* The same without the records: what open itself costs. */
static int op_xfer_open(const struct bcase *c)
{
    struct sami_err err;
    memset(&g.replay, 0, sizeof g.replay);
    return sami_xfer_open(c->in, c->in_len, &g.kr, &g.replay, 0, 0, &g.msg_out, &err);
}

/* Unauthenticated structural decode: open minus HMAC and replay. */
static int op_xfer_decode(const struct bcase *c)
{
    struct sami_err err;
    return sami_xfer_decode(c->in, c->in_len, &g.msg_out, &err);
}

/* HMAC-SHA-256 of the same octets through the provider: the floor under open. */
static int op_hmac(const struct bcase *c)
{
    uint8_t mac[SAMI_HMAC_SHA256_LEN];
    struct sami_iovec iov = {c->in, c->in_len - SAMI_XFER_TAG_LEN};
    int rc = sami_hmac_sha256(g.hmac, g.kr.keys[0].bytes, g.kr.keys[0].len, &iov, 1, mac);
    g.out[0] = mac[0];
    return rc;
}

static int build_xfer(uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_xfer_hdr h;
    memset(&h, 0, sizeof h);
    h.version = SAMI_XFER_VERSION;
    h.type = SAMI_XFER_PRECOPY;
    h.sender.priority = 0x8000;
    memcpy(h.sender.mac, "\x02\x00\x00\x00\x00\x01", 6);
    h.migration_id = UINT64_C(0x1122334455667788);
    struct sami_xfer_vm_id vm = {0x000101, 5, 5, {0x6b, 0x1e, 0x5a, 0x6e, 0x2f, 0x3c, 0x4d, 0x5e,
                                                  0x9f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};
    struct sami_xfer_generation gen = {0, 1};
    struct sami_xfer_builder b;
    sami_xfer_build_begin(&b, buf, cap, &h);
    sami_xfer_build_vm_id(&b, &vm);
    sami_xfer_build_generation(&b, &gen);
    sami_xfer_build_snapshot_time(&b, 0);
    for (int i = 0; i < XFER_RECORDS; i++) {
        size_t at = sami_xfer_build_elem_open(&b, SAMI_XFER_E_DI(SAMI_DI_DHCP));
        sami_di_write(sami_xfer_build_wr(&b), &g.xfer_rec[i]);
        sami_xfer_build_elem_close(&b, at);
    }
    return sami_xfer_build_finish(&b, &g.kr.keys[0], 1, g.hmac, len);
}

/* Sender path: 100 records validated, written and the message signed. */
static int op_xfer_build(const struct bcase *c)
{
    (void)c;
    for (int i = 0; i < XFER_RECORDS; i++) {
        int rc = sami_di_validate(&g.xfer_rec[i]);
        if (rc)
            return rc;
    }
    return build_xfer(g.out, sizeof g.out, &g.out_len);
}

/* ---- setup ---- */

static void setup_vdp(void)
{
    uint8_t buf[600];
    struct sami_vdp v;
    struct sami_err err;
    size_t n;
    int rc;

    /* Manager ID and VSIs come from the documented Assoc request / response. */
    n = hex_vector(sami_vectors_vdp, SAMI_VECTORS_VDP_COUNT, "vdp-assoc-req", g.vsi_src_req,
                   sizeof g.vsi_src_req);
    if ((rc = sami_vdp_decode(g.vsi_src_req, n, &v, &err)) != 0 || v.ntlv != 2)
        die("vdp-assoc-req decode", rc);
    g.mgrid = v.tlv[0].u.mgrid;
    g.vsi_req = v.tlv[1].u.vsi;
    n = hex_vector(sami_vectors_vdp, SAMI_VECTORS_VDP_COUNT, "vdp-assoc-rsp-success",
                   g.vsi_src_rsp, sizeof g.vsi_src_rsp);
    if ((rc = sami_vdp_decode(g.vsi_src_rsp, n, &v, &err)) != 0 || v.ntlv != 2)
        die("vdp-assoc-rsp-success decode", rc);
    g.vsi_rsp = v.tlv[1].u.vsi;

    n = hex_vector(sami_vectors_samitlv, SAMI_VECTORS_SAMITLV_COUNT, "samitlv-notif-prepare", buf,
                   sizeof buf);
    if ((rc = sami_samitlv_notif_decode(buf, n, NULL, &g.notif, &err)) != 0)
        die("samitlv-notif-prepare decode", rc);
    n = hex_vector(sami_vectors_samitlv, SAMI_VECTORS_SAMITLV_COUNT, "samitlv-fb-proceed", buf,
                   sizeof buf);
    if ((rc = sami_samitlv_feedback_decode(buf, n, NULL, &g.fb, &err)) != 0)
        die("samitlv-fb-proceed decode", rc);

    if ((rc = vdp_tx(1, &g.vsi_req, &g.notif, NULL, g.notif_frame, sizeof g.notif_frame,
                     &g.notif_frame_len)) != 0)
        die("notification PDU encode", rc);
    if ((rc = vdp_tx(1, &g.vsi_rsp, NULL, &g.fb, g.fb_frame, sizeof g.fb_frame,
                     &g.fb_frame_len)) != 0)
        die("feedback PDU encode", rc);
    /* The frames must decode back, or every figure below is meaningless. */
    if ((rc = op_vdp_notif_decode(NULL)) != 0 || g.notif_out.migration_id != g.notif.migration_id ||
        g.vdp.ntlv != 3)
        die("notification PDU round trip", rc);
    if ((rc = op_vdp_fb_decode(NULL)) != 0 || g.fb_out.n_results != g.fb.n_results)
        die("feedback PDU round trip", rc);
}

static const char *const di_vec[SAMI_DI_TYPE_MAX + 2] = {
    NULL, "di-dhcp", "di-dhcpv6", "di-nd", "di-dot1x", "di-acl",
    "di-igmp", "di-counters", "di-firewall", "di-firewall-nat"};

static void setup_di(void)
{
    struct sami_err err;
    for (int i = 1; i < SAMI_DI_TYPE_MAX + 2; i++) {
        uint8_t t = (uint8_t)sami_di_vector_type(di_vec[i]);
        g.di_len[i] = hex_vector(sami_vectors_di, SAMI_VECTORS_DI_COUNT, di_vec[i], g.di_val[i],
                                 sizeof g.di_val[i]);
        int rc = sami_di_decode(t, g.di_val[i], g.di_len[i], &g.di_rec[i], &err);
        if (rc)
            die(di_vec[i], rc);
    }
}

static void setup_xfer(void)
{
    struct sami_xfer_key *k = &g.kr.keys[0];
    k->id = 1;
    k->len = 32;
    for (int i = 0; i < 32; i++)
        k->bytes[i] = (uint8_t)i;
    g.hmac = sami_hmac_default();
    g.kr.hmac = g.hmac;
    /* 100 distinct DHCP bindings, as one VM with many addresses would have. */
    for (int i = 0; i < XFER_RECORDS; i++) {
        g.xfer_rec[i] = g.di_rec[SAMI_DI_DHCP];
        g.xfer_rec[i].u.dhcp.ipv4[3] = (uint8_t)(i + 1);
        g.xfer_rec[i].u.dhcp.lease_remaining_ms = 3600000u + (uint32_t)i;
    }
    if (!g.hmac)
        return; /* built without a provider: the transfer cases are skipped */
    int rc = build_xfer(g.xfer_msg, sizeof g.xfer_msg, &g.xfer_len);
    if (rc)
        die("transfer message build", rc);
}

static struct bcase cases[MAX_CASES];
static int ncases;

static struct bcase *add(const char *name, const char *what, op_fn op, const uint8_t *in,
                         size_t in_len)
{
    struct bcase *c = &cases[ncases++];
    memset(c, 0, sizeof *c);
    c->name = name;
    c->what = what;
    c->op = op;
    c->in = in;
    c->in_len = in_len;
    c->units = 1;
    return c;
}

static void setup_cases(void)
{
    static char names[2 * (SAMI_DI_TYPE_MAX + 2)][40];
    struct bcase *c;
    c = add("vdp-notif-decode", "ECP + VDP(MgrID, Assoc, sami notification) decode",
            op_vdp_notif_decode, g.notif_frame, g.notif_frame_len);
    c->is_goal = 1;
    add("vdp-notif-encode", "the same PDU encoded (ECP hdr + VDP builder)", op_vdp_notif_encode,
        g.notif_frame, g.notif_frame_len);
    c = add("vdp-fb-decode", "ECP + VDP(MgrID, Assoc rsp, sami feedback) decode",
            op_vdp_fb_decode, g.fb_frame, g.fb_frame_len);
    c->is_goal = 1;
    add("vdp-fb-encode", "the same PDU encoded", op_vdp_fb_encode, g.fb_frame, g.fb_frame_len);
    for (int i = 1; i < SAMI_DI_TYPE_MAX + 2; i++) {
        char *dn = names[2 * i - 2], *en = names[2 * i - 1];
        snprintf(dn, sizeof names[0], "%s-decode", di_vec[i]);
        snprintf(en, sizeof names[0], "%s-encode", di_vec[i]);
        c = add(dn, "sami_di_decode of one record", op_di_decode, g.di_val[i], g.di_len[i]);
        c->di_type = g.di_rec[i].type;
        c = add(en, "sami_di_encode of one record", op_di_encode, g.di_val[i], g.di_len[i]);
        c->rec = &g.di_rec[i];
    }
    if (g.hmac) {
        c = add("xfer-100dhcp-open+di", "sami_xfer_open (HMAC, replay, body) + 100 x sami_di_decode",
                op_xfer_open_di, g.xfer_msg, g.xfer_len);
        c->units = XFER_RECORDS;
        c = add("xfer-100dhcp-open", "sami_xfer_open alone", op_xfer_open, g.xfer_msg, g.xfer_len);
        c->units = XFER_RECORDS;
        c = add("xfer-100dhcp-decode", "sami_xfer_decode (no HMAC, no replay)", op_xfer_decode,
                g.xfer_msg, g.xfer_len);
        c->units = XFER_RECORDS;
        add("xfer-hmac", "HMAC-SHA-256 of the same octets via the provider", op_hmac, g.xfer_msg,
            g.xfer_len);
        c = add("xfer-100dhcp-build", "100 x sami_di_validate + build + sign", op_xfer_build,
                g.xfer_msg, g.xfer_len);
        c->units = XFER_RECORDS;
    }
}

/* ---- timing ---- */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_batch(const struct bcase *c, op_fn op, long iters)
{
    double t0 = now_ns();
    for (long i = 0; i < iters; i++) {
        if (op(c) != 0)
            die(c->name, -1);
    }
    return (now_ns() - t0) / (double)iters;
}

/* Iterations for one batch of about ms milliseconds. */
static long calibrate(const struct bcase *c, op_fn op, double ms)
{
    long iters = 16;
    for (;;) {
        double t0 = now_ns();
        (void)run_batch(c, op, iters);
        double el = now_ns() - t0;
        if (el > ms * 1e6 / 8 || iters > (1L << 40))
            return (long)((double)iters * (ms * 1e6) / (el > 1 ? el : 1)) + 1;
        iters *= 4;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int selected(const struct bcase *c, const char *filter)
{
    return !filter || strstr(c->name, filter) != NULL;
}

static int run_timed(int reps, double batch_ms, const char *filter)
{
    static double ns[MAX_CASES][MAX_REPS], base[MAX_CASES][MAX_REPS], ratio[MAX_CASES][MAX_REPS];
    long it[MAX_CASES], bit[MAX_CASES];
    int goal_met = 1;

    for (int i = 0; i < ncases; i++) {
        if (!selected(&cases[i], filter))
            continue;
        it[i] = calibrate(&cases[i], cases[i].op, batch_ms);
        bit[i] = calibrate(&cases[i], op_memcpy, batch_ms);
    }
    /* Round-robin: a burst of noise hits one round of every case rather
     * than every round of one case. */
    for (int r = 0; r < reps; r++) {
        for (int i = 0; i < ncases; i++) {
            if (!selected(&cases[i], filter))
                continue;
            base[i][r] = run_batch(&cases[i], op_memcpy, bit[i]);
            ns[i][r] = run_batch(&cases[i], cases[i].op, it[i]);
            ratio[i][r] = ns[i][r] / base[i][r];
        }
    }
    printf("# sami bench_codec: %d rounds x ~%.0f ms batches, median per case; "
           "ratio = case / memcpy of the same input octets, timed side by side\n",
           reps, batch_ms);
    printf("%-24s %6s %10s %10s %14s %9s %8s\n", "case", "bytes", "ns/op", "min ns/op",
           "ops/s/core", "memcpy ns", "ratio");
    for (int i = 0; i < ncases; i++) {
        const struct bcase *c = &cases[i];
        if (!selected(c, filter))
            continue;
        double mn = ns[i][0];
        for (int r = 1; r < reps; r++)
            mn = ns[i][r] < mn ? ns[i][r] : mn;
        double med = median(ns[i], reps), bmed = median(base[i], reps);
        double rmed = median(ratio[i], reps);
        printf("%-24s %6zu %10.1f %10.1f %14.0f %9.1f %8.1f\n", c->name, c->in_len, med, mn,
               1e9 / med, bmed, rmed);
        if (c->units > 1)
            printf("%-24s %6s %10.1f %10s %14.0f   (per record)\n", "", "", med / c->units, "",
                   1e9 / med * c->units);
        if (c->is_goal && 1e9 / med < GOAL_VDP_PPS)
            goal_met = 0;
    }
    for (int i = 0; i < ncases; i++) {
        if (!cases[i].is_goal || !selected(&cases[i], filter))
            continue;
        double med = median(ns[i], reps);
        printf("goal: %s %.2f M PDUs/s/core (goal >= %.0f M): %s\n", cases[i].name,
               1e3 / med, GOAL_VDP_PPS / 1e6, 1e9 / med >= GOAL_VDP_PPS ? "met" : "NOT met");
    }
    if (!g.hmac)
        printf("note: built without an HMAC provider: transfer cases skipped\n");
    return goal_met;
}

static void run_counted(long count, const char *filter)
{
#if defined(SAMI_BENCH_CALLGRIND)
    if (!RUNNING_ON_VALGRIND)
        fprintf(stderr, "bench_codec: --count is meant for valgrind --tool=callgrind "
                        "(see bench/callgrind.sh)\n");
    for (int i = 0; i < ncases; i++) {
        const struct bcase *c = &cases[i];
        if (!selected(c, filter))
            continue;
        for (int pass = 0; pass < 2; pass++) {
            op_fn op = pass ? c->op : op_memcpy;
            char tag[80];
            snprintf(tag, sizeof tag, "%s%s", pass ? "" : "memcpy:", c->name);
            /* One op outside the window warms lazy binding and caches. */
            if (op(c) != 0)
                die(c->name, -1);
            CALLGRIND_ZERO_STATS;
            for (long k = 0; k < count; k++) {
                if (op(c) != 0)
                    die(c->name, -1);
            }
            CALLGRIND_DUMP_STATS_AT(tag);
        }
        printf("%s %zu %d\n", c->name, c->in_len, c->units);
    }
#else
    (void)count;
    (void)filter;
    fprintf(stderr, "bench_codec: built without valgrind/callgrind.h; --count unavailable\n");
    exit(2);
#endif
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_codec [--reps N] [--batch-ms MS] [--case SUBSTR] [--quick]\n"
            "                   [--strict] [--list] [--count N]\n"
            "  --reps N      rounds per case (odd, default 11, max %d)\n"
            "  --batch-ms MS target time of one batch (default 20)\n"
            "  --case SUBSTR only cases whose name contains SUBSTR\n"
            "  --quick       3 rounds of 2 ms batches (smoke test)\n"
            "  --strict      exit 1 when the %.0f M VDP PDUs/s goal is not met\n"
            "  --count N     N ops per case between callgrind dumps (bench/callgrind.sh)\n",
            MAX_REPS, GOAL_VDP_PPS / 1e6);
}

int main(int argc, char **argv)
{
    int reps = 11, strict = 0, list = 0;
    double batch_ms = 20;
    long count = 0;
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--reps") && v) {
            reps = atoi(v), i++;
        } else if (!strcmp(a, "--batch-ms") && v) {
            batch_ms = atof(v), i++;
        } else if (!strcmp(a, "--case") && v) {
            filter = v, i++;
        } else if (!strcmp(a, "--count") && v) {
            count = atol(v), i++;
        } else if (!strcmp(a, "--quick")) {
            reps = 3, batch_ms = 2;
        } else if (!strcmp(a, "--strict")) {
            strict = 1;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else {
            usage();
            return 2;
        }
    }
    if (reps < 1 || reps > MAX_REPS || batch_ms <= 0) {
        usage();
        return 2;
    }
    setup_vdp();
    setup_di();
    setup_xfer();
    setup_cases();
    if (list) {
        for (int i = 0; i < ncases; i++)
            printf("%-24s %5zu B  %s\n", cases[i].name, cases[i].in_len, cases[i].what);
        return 0;
    }
    if (count > 0) {
        run_counted(count, filter);
        return 0;
    }
    int met = run_timed(reps, batch_ms, filter);
    return strict && !met ? 1 : 0;
}
