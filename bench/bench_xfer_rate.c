/* bench_xfer_rate: transfer rate of the transfer engine, bridge to bridge,
 * authenticated (HMAC-SHA-256 through the built-in provider), for one VM of
 * N DI records (docs/PERFORMANCE.md, "Transfer rate").
 *
 * Two lib/xfer_engine instances, each with its own memstore, run in ONE
 * process and one thread, driven by one poll() loop:
 *   tcp  a real loopback TCP connection (127.0.0.1, TCP_NODELAY, non-blocking,
 *        the stream binding: u32 length prefix + message, deframed with
 *        struct sami_xfer_deframer as samid does);
 *   l2   the L2 binding (0x88B5) through lib/xfer_link over a veth pair,
 *        AF_PACKET sockets, both ends in a private network namespace this
 *        program creates (unshare, in a child process; interfaces h3a/h3b;
 *        the namespace disappears with the child). Needs root; skipped with
 *        a message otherwise.
 * Both sides share one core, so "CPU" is the work of source + destination.
 *
 * Timed per run: from precopy() (HELLO, export, PRECOPY batches) through
 * PRECOPY_DONE, freeze + commit() (DELTA, COMMIT, digest check, install at
 * the destination) to RESULT at the source. Then (not timed) activate() and
 * PURGE, and the stores are checked: N records at the destination, none
 * left at the source.
 *
 * Side by side, the codec ceiling: the same N records encoded, cut into the
 * same batches, signed, opened (HMAC verify + replay + body checks) and
 * decoded, in memory, no sockets, no store.
 *
 * usage: bench_xfer_rate [--counts N,N,...] [--reps R] [--quick] [--no-tcp]
 *                        [--no-l2] [--window W] [--link-window W]
 *                        [--max-msg M] [--batch B] [--profile-one N]
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sami/di.h"
#include "sami/hmac.h"
#include "sami/memstore.h"
#include "sami/store.h"
#include "sami/xfer.h"
#include "sami/xfer_engine.h"
#include "sami/xfer_link.h"
#include "bench_addr.h"

#define MIG_ID 0x5A11000000000001ull
#define LINKQ ((size_t)8 << 20)
#define RUN_LIMIT_US (120u * 1000000u) /* a run that takes longer failed */

/* ---- options ---- */

static struct {
    unsigned window, link_window;
    unsigned rto_ms;
    int procs; /* 1: both engines in this process; 2: the destination in a child */
    uint32_t max_msg, batch;
    int reps;
} O;

/* ---- clock, CPU ---- */

static sami_usec_t mono_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (sami_usec_t)t.tv_sec * 1000000u + (sami_usec_t)t.tv_nsec / 1000u;
}

static double sys_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static double cpu_s(void)
{
    /* the scheduler's runtime of the process, not tick samples */
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- allocator ---- */

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void t_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}
static const struct sami_allocator ALLOC = {t_alloc, t_free, NULL};

/* ---- records: bench_store.c's mix, one VM ---- */

/* Record j of the VM. The slot pattern is bench_store's mix10 (DHCP, DHCPv6,
 * ND, 802.1X, IGMP, counters, 2 IPv4 + 1 IPv6 firewall, 1 IPv4 firewall +
 * NAT); only two counters records exist per VM (one per direction), so
 * from the third on that slot holds an MLD group instead. Keys are
 * distinct for every j < 2^24. */
static void make(struct sami_di_record *r, uint32_t j)
{
    uint32_t u = j;
    unsigned slot = j % 10u;
    memset(r, 0, sizeof *r);
    r->op = SAMI_DI_OP_UPSERT;
    switch (slot) {
    case 0:
        r->type = SAMI_DI_DHCP;
        mac_of(r->u.dhcp.mac, 7);
        r->u.dhcp.ipv4[0] = 10;
        r->u.dhcp.ipv4[1] = (uint8_t)(u >> 16);
        r->u.dhcp.ipv4[2] = (uint8_t)(u >> 8);
        r->u.dhcp.ipv4[3] = (uint8_t)u;
        r->u.dhcp.vlan = 100;
        r->u.dhcp.lease_remaining_ms = 3600000;
        break;
    case 1:
        r->type = SAMI_DI_DHCPV6;
        mac_of(r->u.dhcpv6.mac, 7);
        v6(r->u.dhcpv6.ipv6, 1, u);
        r->u.dhcpv6.iaid = u;
        r->u.dhcpv6.vlan = 100;
        r->u.dhcpv6.lease_remaining_ms = 3600000;
        break;
    case 2:
        r->type = SAMI_DI_ND;
        mac_of(r->u.nd.mac, 7);
        v6(r->u.nd.ipv6, 2, u);
        r->u.nd.vlan = 100;
        r->u.nd.state = SAMI_DI_ND_VALID;
        r->u.nd.lifetime_remaining_ms = 600000;
        break;
    case 3:
        r->type = SAMI_DI_DOT1X;
        mac_of(r->u.dot1x.mac, u);
        r->u.dot1x.authorized = 1;
        r->u.dot1x.eap_method = 13;
        r->u.dot1x.vlan = 100;
        r->u.dot1x.session_remaining_ms = 28800000;
        r->u.dot1x.session_id_len =
            (uint8_t)snprintf(r->u.dot1x.session_id, sizeof r->u.dot1x.session_id, "%016x", u);
        r->u.dot1x.identity_len = (uint8_t)snprintf(
            r->u.dot1x.identity, sizeof r->u.dot1x.identity, "vm%07u@example.net", u % 10000000u);
        r->u.dot1x.filter_id_len =
            (uint8_t)snprintf(r->u.dot1x.filter_id, sizeof r->u.dot1x.filter_id, "tenant-web");
        break;
    case 4:
    case 5:
        r->type = SAMI_DI_IGMP;
        r->u.igmp.vlan = 100;
        r->u.igmp.filter_mode = SAMI_DI_IGMP_INCLUDE;
        r->u.igmp.timer_remaining_ms = 260000;
        if (slot == 4) {
            r->u.igmp.family = SAMI_DI_FAMILY_IPV4;
            v4(r->u.igmp.group, 239, u);
            break;
        }
        if (j >= 20) { /* MLD instead of a third counters record */
            r->u.igmp.family = SAMI_DI_FAMILY_IPV6;
            v6(r->u.igmp.group, 0, u);
            r->u.igmp.group[0] = 0xff;
            r->u.igmp.group[1] = 0x0e;
            break;
        }
        memset(&r->u, 0, sizeof r->u);
        r->type = SAMI_DI_COUNTERS;
        r->u.counters.direction = (uint8_t)(j < 10 ? SAMI_DI_DIR_IN : SAMI_DI_DIR_OUT);
        r->u.counters.packets = 1000u + u;
        r->u.counters.bytes = 1500000u + u;
        r->u.counters.rate_bps = 8000000;
        r->u.counters.rate_pps = 700;
        r->u.counters.window_ms = 1000;
        break;
    default:
        r->type = SAMI_DI_FIREWALL;
        r->u.firewall.protocol = 6;
        r->u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        r->u.firewall.vlan = 100;
        r->u.firewall.src_port = (uint16_t)(32768 + u % 28000);
        r->u.firewall.dst_port = 443;
        r->u.firewall.created_age_ms = 12000;
        r->u.firewall.last_heard_age_ms = 40;
        r->u.firewall.expiry_remaining_ms = 432000000;
        if (slot != 8) {
            r->u.firewall.family = SAMI_DI_FAMILY_IPV4;
            v4(r->u.firewall.src, 10, 7);
            v4(r->u.firewall.dst, 198, 0x336400 + j);
        } else {
            r->u.firewall.family = SAMI_DI_FAMILY_IPV6;
            v6(r->u.firewall.src, 5, 7);
            v6(r->u.firewall.dst, 6, j);
        }
        if (slot == 9) {
            r->u.firewall.flags = SAMI_DI_FW_F_NAT;
            v4(r->u.firewall.nat_src, 203, 0x007100);
            memcpy(r->u.firewall.nat_dst, r->u.firewall.dst, 16);
            r->u.firewall.nat_src_port = (uint16_t)(1024 + u % 60000);
            r->u.firewall.nat_dst_port = 443;
        }
        break;
    }
    r->version = sami_di_current_version(r->type);
}

static struct sami_vm_id the_vm(void)
{
    struct sami_vm_id id;
    memset(&id, 0, sizeof id);
    id.type_id = 0x00a1b2u;
    id.type_version = 1;
    id.id_format = 5;
    id.id[0] = 0x6b;
    id.id[6] = 0x40;
    id.id[15] = 7;
    return id;
}

static const uint8_t KEY[32] = {0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87,
                                0x78, 0x69, 0x5a, 0x4b, 0x3c, 0x2d, 0x1e, 0x0f};

/* The built-in provider, counted (calls and octets MACed). */
static uint64_t g_mac_calls, g_mac_octets;

static int counting_sha256(void *ctx, const uint8_t *key, size_t key_len,
                           const struct sami_iovec *parts, size_t nparts,
                           uint8_t out[SAMI_HMAC_SHA256_LEN])
{
    (void)ctx;
    g_mac_calls++;
    for (size_t i = 0; i < nparts; i++)
        g_mac_octets += parts[i].len;
    return sami_hmac_sha256(sami_hmac_default(), key, key_len, parts, nparts, out);
}

static const struct sami_hmac_provider COUNTING = {"counted", counting_sha256, NULL};

/* ---- one side: engine + store + transport ---- */

struct side {
    int is_src;
    int binding;
    struct sami_memstore *ms;
    struct sami_store st;
    struct sami_xfer_engine *eng;
    struct sami_xfer_bridge_id bid;
    int peer;
    int fd;
    /* stream */
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    struct sami_xfer_deframer df;
    uint8_t *rxbuf;
    /* L2 */
    struct sami_xfer_link link;
    struct sami_xfer_link_peer lpeer[1];
    uint8_t *lq, *lr;
    int ifindex;
    uint8_t mac[6], peer_mac[6];
    uint8_t frame[14 + 1500];
    /* accounting */
    uint64_t wire_tx; /* octets handed to the kernel (TCP payload / whole frames) */
    uint64_t frames_tx;
    int dead; /* transport failed */
    int auto_activate, activate_called; /* --procs 2: the destination activates itself */
    /* events */
    int precopy_done, result, installed, activated, purged, failed;
    int ev_status;
    uint32_t ev_count;
};

static int tcp_flush(struct side *s)
{
    while (s->out_off < s->out_len) {
        ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            s->out_off += (size_t)n;
            s->wire_tx += (uint64_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        s->dead = 1;
        return -1;
    }
    if (s->out_off == s->out_len)
        s->out_off = s->out_len = 0;
    return 0;
}

static int eng_tx(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    struct side *s = ctx;
    (void)peer, (void)handle;
    if (s->out_off && s->out_len + len > s->out_cap) {
        memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
        s->out_len -= s->out_off;
        s->out_off = 0;
    }
    if (s->out_len + len > s->out_cap) {
        size_t n = s->out_cap ? s->out_cap : 1u << 20;
        while (n < s->out_len + len)
            n *= 2;
        uint8_t *o = realloc(s->out, n);
        if (!o)
            return -1;
        s->out = o;
        s->out_cap = n;
    }
    memcpy(s->out + s->out_len, bytes, len);
    s->out_len += len;
    return tcp_flush(s);
}

static void link_tx(void *ctx, int peer, void *handle, const uint8_t *pdu, size_t len)
{
    struct side *s = ctx;
    (void)peer, (void)handle;
    memcpy(s->frame, s->peer_mac, 6);
    memcpy(s->frame + 6, s->mac, 6);
    s->frame[12] = 0x88;
    s->frame[13] = 0xb5;
    memcpy(s->frame + 14, pdu, len);
    for (;;) {
        ssize_t n = send(s->fd, s->frame, 14 + len, 0);
        if (n >= 0) {
            s->wire_tx += (uint64_t)n;
            s->frames_tx++;
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
            /* the link retransmits a lost frame; wait for room once */
            struct pollfd pf = {s->fd, POLLOUT, 0};
            if (poll(&pf, 1, 10) > 0)
                continue;
        }
        return;
    }
}

static void link_deliver_unused(void *ctx, sami_usec_t now, int peer, void *handle,
                                const uint8_t *msg, size_t len)
{
    (void)ctx, (void)now, (void)peer, (void)handle, (void)msg, (void)len;
}

static void on_event(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev)
{
    struct side *s = ctx;
    (void)now;
    switch (ev->type) {
    case SAMI_XFER_EV_PRECOPY_DONE:
        if (ev->status == SAMI_XFER_ST_OK)
            s->precopy_done = 1;
        else
            s->failed = 1;
        break;
    case SAMI_XFER_EV_RESULT:
        s->result = 1;
        s->ev_status = ev->status;
        s->ev_count = ev->counts[0];
        if (ev->status != SAMI_XFER_ST_OK)
            s->failed = 1;
        break;
    case SAMI_XFER_EV_INSTALLED:
        s->installed = 1;
        s->ev_count = ev->counts[0];
        break;
    case SAMI_XFER_EV_ACTIVATED:
        s->activated = 1;
        break;
    case SAMI_XFER_EV_PURGED:
        s->purged = 1;
        break;
    default:
        fprintf(stderr, "bench_xfer_rate: %s event %s (status %u reason %u error %s)\n",
                s->is_src ? "source" : "destination", sami_xfer_event_name(ev->type),
                ev->status, ev->reason, sami_strerror(ev->error));
        s->failed = 1;
        break;
    }
}

static int side_init(struct side *s, int is_src, int binding, uint32_t nrec)
{
    memset(s, 0, sizeof *s);
    s->is_src = is_src;
    s->binding = binding;
    s->fd = -1;
    s->bid.priority = 0x8000;
    s->bid.mac[0] = 0x02;
    s->bid.mac[5] = (uint8_t)(is_src ? 0xa0 : 0xa1);
    struct sami_memstore_config mc = {.alloc = ALLOC};
    if (sami_memstore_create(&mc, &s->ms))
        return -1;
    s->st = sami_memstore_store(s->ms);
    if (binding == SAMI_XFER_BIND_L2) {
        struct sami_xfer_link_cfg lc = {.window = O.link_window, .tx_frame = link_tx,
                                        .deliver = link_deliver_unused, .tx_ctx = s};
        if (sami_xfer_link_init(&s->link, &lc, s->lpeer, 1))
            return -1;
        s->lq = malloc(LINKQ);
        s->lr = malloc(O.max_msg ? O.max_msg : 65536u);
        if (!s->lq || !s->lr ||
            sami_xfer_link_add_peer(&s->link, NULL, s->lq, LINKQ, s->lr,
                                    O.max_msg ? O.max_msg : 65536u) != 0)
            return -1;
    } else {
        size_t cap = O.max_msg ? O.max_msg : 65536u;
        s->rxbuf = malloc(cap);
        if (!s->rxbuf || sami_xfer_deframer_init(&s->df, s->rxbuf, cap, 0))
            return -1;
    }
    struct sami_xfer_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.local = s->bid;
    c.name = is_src ? "br-o" : "br-d";
    c.keyring.keys[0].id = 1;
    c.keyring.keys[0].len = 32;
    memcpy(c.keyring.keys[0].bytes, KEY, 32);
    c.keyring.hmac = &COUNTING;
    /* the record limits must let one VM of nrec records through; everything
     * else is the engine's default unless asked */
    c.limits.max_records_per_migration = nrec > 100000u ? nrec : 0;
    c.limits.max_records_total = nrec > 1000000u ? nrec : 0;
    c.limits.max_msg = O.max_msg;
    c.limits.max_batch_records = O.batch;
    c.window = O.window;
    c.rto = SAMI_MSEC(O.rto_ms); /* 0: the default (200 ms) */
    c.store = s->st;
    c.alloc = ALLOC;
    c.tx = eng_tx;
    c.event = on_event;
    c.ctx = s;
    c.link = binding == SAMI_XFER_BIND_L2 ? &s->link : NULL;
    if (sami_xfer_engine_create(&c, &s->eng))
        return -1;
    return 0;
}

static void side_free(struct side *s)
{
    sami_xfer_engine_destroy(s->eng);
    sami_memstore_destroy(s->ms);
    if (s->binding == SAMI_XFER_BIND_STREAM && s->fd >= 0)
        close(s->fd);
    free(s->out);
    free(s->rxbuf);
    free(s->lq);
    free(s->lr);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}

static uint64_t g_polls, g_idle_us;
/* BENCH_XFER_DEBUG: thread CPU time per input message type, [side][type] */
static double g_in_cpu[2][SAMI_XFER_TYPE_MAX + 1];
static double g_call_cpu[4]; /* precopy(), freeze, commit(), the rest */

static double thr_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int engine_input_timed(struct side *s, sami_usec_t now, const uint8_t *msg, size_t len)
{
    double t0 = thr_s();
    int rc = sami_xfer_engine_input(s->eng, now, s->peer, msg, len);
    if (len > 1 && msg[1] <= SAMI_XFER_TYPE_MAX)
        g_in_cpu[s->is_src][msg[1]] += thr_s() - t0;
    return rc;
}

static void side_read(struct side *s, sami_usec_t now)
{
    static uint8_t buf[1 << 18];
    if (s->binding == SAMI_XFER_BIND_STREAM) {
        for (int rounds = 0; rounds < 8; rounds++) {
            ssize_t n = recv(s->fd, buf, sizeof buf, 0);
            if (n == 0) {
                s->dead = 1;
                return;
            }
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    s->dead = 1;
                return;
            }
            const uint8_t *p = buf;
            size_t left = (size_t)n;
            while (left) {
                size_t used = 0, mlen = 0;
                const uint8_t *msg = NULL;
                int rc = sami_xfer_deframer_push(&s->df, p, left, &used, &msg, &mlen);
                if (rc < 0) {
                    fprintf(stderr, "bench_xfer_rate: bad stream: %s\n", sami_strerror(rc));
                    s->dead = 1;
                    return;
                }
                p += used;
                left -= used;
                if (rc == 1)
                    (void)engine_input_timed(s, now, msg, mlen);
                else
                    break;
            }
            if ((size_t)n < sizeof buf)
                return;
        }
        return;
    }
    for (int rounds = 0; rounds < 256; rounds++) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;
        if (from.sll_pkttype == PACKET_OUTGOING || n < 14 + SAMI_XFER_L2_MIN_PDU ||
            buf[12] != 0x88 || buf[13] != 0xb5 || memcmp(buf, s->mac, 6) != 0)
            continue;
        (void)sami_xfer_link_input(&s->link, now, 0, buf + 14, (size_t)n - 14);
    }
}

/* Drives both sides until done(ctx) or a failure / the run limit. */
/* Which sides this process drives: -1 both (one process), 0 the source,
 * 1 the destination (--procs 2). */
static int g_only = -1;

static int loop_until(struct side *a, struct side *b, int (*done)(struct side *, struct side *),
                      sami_usec_t limit)
{
    struct side *sd[2] = {a, b};
    int lo = g_only < 0 ? 0 : g_only, hi = g_only < 0 ? 2 : g_only + 1;
    while (!done(a, b)) {
        sami_usec_t now = mono_us();
        if (now > limit)
            return -1;
        sami_usec_t next = now + 100000u;
        for (int i = lo; i < hi; i++) {
            if (sd[i]->failed || sd[i]->dead)
                return -1;
            /* the destination's own hypervisor says RESUMED at once */
            if (sd[i]->auto_activate && sd[i]->installed && !sd[i]->activate_called) {
                sd[i]->activate_called = 1;
                if (sami_xfer_engine_activate(sd[i]->eng, now, MIG_ID))
                    return -1;
            }
            sami_usec_t d = sami_xfer_engine_next_deadline(sd[i]->eng);
            if (d <= now) {
                sami_xfer_engine_run(sd[i]->eng, now);
                d = sami_xfer_engine_next_deadline(sd[i]->eng);
            }
            if (d < next)
                next = d;
        }
        if (done(a, b))
            break;
        struct pollfd pf[2];
        int np = 0;
        for (int i = lo; i < hi; i++, np++) {
            pf[np].fd = sd[i]->fd;
            pf[np].events = POLLIN;
            if (sd[i]->binding == SAMI_XFER_BIND_STREAM && sd[i]->out_len > sd[i]->out_off)
                pf[np].events |= POLLOUT;
            pf[np].revents = 0;
        }
        now = mono_us();
        int tmo = next > now ? (int)((next - now + 999u) / 1000u) : 0;
        int n = poll(pf, (nfds_t)np, tmo);
        if (n < 0 && errno != EINTR)
            return -1;
        sami_usec_t after = mono_us();
        g_polls++;
        if (n == 0)
            g_idle_us += after - now; /* woke by timeout: nothing to read */
        now = after;
        np = 0;
        for (int i = lo; i < hi; i++, np++) {
            if (pf[np].revents & POLLOUT)
                (void)tcp_flush(sd[i]);
            if (pf[np].revents & (POLLIN | POLLERR | POLLHUP))
                side_read(sd[i], now);
        }
    }
    return 0;
}

static int done_precopy(struct side *s, struct side *d)
{
    (void)d;
    return s->precopy_done;
}
static int done_result(struct side *s, struct side *d)
{
    (void)d;
    return s->result;
}
static int done_activated(struct side *s, struct side *d)
{
    (void)d;
    return s->activated;
}
static int done_purged(struct side *s, struct side *d)
{
    (void)s;
    return d->purged;
}
static int done_purge(struct side *s, struct side *d)
{
    return s->activated && d->purged;
}

/* ---- transports ---- */

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A connected loopback TCP pair (as samid sets its sockets). */
static int tcp_pair(int *a, int *b)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) || listen(l, 1) ||
        getsockname(l, (struct sockaddr *)&sa, &sl)) {
        close(l);
        return -1;
    }
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&sa, sizeof sa)) {
        close(l);
        return -1;
    }
    *b = accept(l, NULL, NULL);
    close(l);
    if (*b < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fd = i ? *b : *a;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (nonblock(fd))
            return -1;
    }
    return 0;
}

struct l2if {
    int fd;
    int ifindex;
    uint8_t mac[6];
};

static int l2_open(const char *ifname, struct l2if *o)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    o->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(SAMI_XFER_L2_ETHERTYPE));
    if (o->fd < 0)
        return -1;
    if (ioctl(o->fd, SIOCGIFINDEX, &ifr))
        return -1;
    o->ifindex = ifr.ifr_ifindex;
    if (ioctl(o->fd, SIOCGIFHWADDR, &ifr))
        return -1;
    memcpy(o->mac, ifr.ifr_hwaddr.sa_data, 6);
    struct sockaddr_ll ll;
    memset(&ll, 0, sizeof ll);
    ll.sll_family = AF_PACKET;
    ll.sll_protocol = htons(SAMI_XFER_L2_ETHERTYPE);
    ll.sll_ifindex = o->ifindex;
    if (bind(o->fd, (struct sockaddr *)&ll, sizeof ll))
        return -1;
    int one = 1, big = 4 << 20;
#ifdef PACKET_IGNORE_OUTGOING
    (void)setsockopt(o->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
#else
    (void)one;
#endif
    (void)setsockopt(o->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    (void)setsockopt(o->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    return 0;
}

/* ---- codec ceiling ---- */

struct ceiling {
    double wall_s;  /* per transfer of n records */
    double cpu_s;
    uint64_t octets; /* message octets of one transfer */
    uint32_t msgs;
};

/* Encode + sign + open + decode of n records, cut into batches the way
 * the engine cuts them (max_msg, max_batch_records). */
__attribute__((noinline)) static int ceiling_once(const struct sami_di_record *recs, uint32_t n, uint8_t *buf, size_t cap,
                        struct ceiling *c)
{
    struct sami_xfer_keyring kr;
    memset(&kr, 0, sizeof kr);
    kr.keys[0].id = 1;
    kr.keys[0].len = 32;
    memcpy(kr.keys[0].bytes, KEY, 32);
    kr.hmac = sami_hmac_default();
    struct sami_xfer_replay replay;
    memset(&replay, 0, sizeof replay);
    struct sami_vm_id vm = the_vm();
    struct sami_xfer_vm_id xvm = {vm.type_id, vm.type_version, vm.id_format, {0}};
    memcpy(xvm.id, vm.id, 16);
    uint32_t max_msg = O.max_msg ? O.max_msg : 65536u;
    uint32_t max_batch = O.batch ? O.batch : 1024u;
    /* the engine's BATCH_OVERHEAD: header + trailer + VM ID, GENERATION,
     * SNAPSHOT TIME elements */
    uint32_t budget = max_msg - (SAMI_XFER_OVERHEAD + 3 * SAMI_XFER_ELEM_HDR_LEN +
                                 SAMI_XFER_VM_ID_LEN + SAMI_XFER_GENERATION_LEN +
                                 SAMI_XFER_SNAPSHOT_TIME_LEN);
    uint64_t seq = 0;
    uint32_t i = 0, decoded = 0;
    c->octets = 0;
    c->msgs = 0;
    do {
        struct sami_xfer_hdr h = {SAMI_XFER_VERSION, SAMI_XFER_PRECOPY, 0, 0, {0x8000, {2, 0, 0, 0, 0, 0xa0}},
                                  MIG_ID};
        struct sami_xfer_builder b;
        struct sami_xfer_generation g = {seq ? seq : 0, seq + 1};
        sami_xfer_build_begin(&b, buf, cap, &h);
        sami_xfer_build_vm_id(&b, &xvm);
        sami_xfer_build_generation(&b, &g);
        sami_xfer_build_snapshot_time(&b, 0);
        uint32_t body = 0, k = 0;
        for (; i < n && k < max_batch; i++, k++) {
            uint8_t val[SAMI_DI_MAX_LEN];
            size_t vl = 0;
            if (sami_di_encode(&recs[i], val, sizeof val, &vl))
                return -1;
            if (body + SAMI_XFER_ELEM_HDR_LEN + vl > budget)
                break;
            body += (uint32_t)(SAMI_XFER_ELEM_HDR_LEN + vl);
            sami_xfer_build_di(&b, recs[i].type, val, vl);
        }
        size_t len = 0;
        if (sami_xfer_build_finish(&b, &kr.keys[0], ++seq, kr.hmac, &len))
            return -1;
        c->octets += len;
        c->msgs++;
        struct sami_xfer_msg m;
        struct sami_err err;
        if (sami_xfer_open(buf, len, &kr, &replay, 0, max_msg - SAMI_XFER_OVERHEAD, &m, &err))
            return -1;
        struct sami_xfer_iter it;
        struct sami_xfer_elem el;
        sami_xfer_iter_init(&it, &m, &err);
        while (sami_xfer_iter_next(&it, &el) == 1) {
            struct sami_xfer_di di;
            struct sami_di_record r;
            if (!SAMI_XFER_E_IS_DI(el.type) || sami_xfer_read_di(&el, &di, NULL))
                continue;
            if (sami_di_decode(di.di_type, di.value, di.len, &r, NULL))
                return -1;
            decoded++;
        }
    } while (i < n);
    return decoded == n ? 0 : -1;
}

/* One round: repeated for at least 20 ms; per transfer of n records. */
static int ceiling_measure(uint32_t n, struct ceiling *out)
{
    struct sami_di_record *recs = malloc((size_t)(n ? n : 1) * sizeof *recs);
    size_t cap = (O.max_msg ? O.max_msg : 65536u);
    uint8_t *buf = malloc(cap);
    int rc = -1;
    if (!recs || !buf)
        goto out;
    for (uint32_t j = 0; j < n; j++)
        make(&recs[j], j);
    unsigned reps = 0;
    double c0 = cpu_s();
    sami_usec_t t0 = mono_us(), t1;
    do {
        if (ceiling_once(recs, n, buf, cap, out))
            goto out;
        reps++;
        t1 = mono_us();
    } while (t1 - t0 < 20000u);
    out->wall_s = (double)(t1 - t0) / 1e6 / reps;
    out->cpu_s = (cpu_s() - c0) / reps;
    rc = 0;
out:
    free(recs);
    free(buf);
    return rc;
}

/* ---- one engine run ---- */

struct run {
    double wall_s, pre_s, commit_s, cpu_s;
    uint64_t wire; /* octets both directions */
    uint64_t frames;
    uint64_t retransmits;
    uint64_t polls, idle_us; /* poll() calls; time they slept to a timeout */
    uint64_t mac_calls, mac_octets, tx_msgs;
    double sys_s; /* kernel part of cpu_s (tick-sampled) */
};

static int fill(struct side *s, uint32_t n)
{
    struct sami_vm_id vm = the_vm();
    struct sami_di_record r;
    for (uint32_t j = 0; j < n; j++) {
        make(&r, j);
        int rc = sami_store_put(&s->st, &vm, &r, 0);
        if (rc) {
            fprintf(stderr, "bench_xfer_rate: put record %u: %s\n", j, sami_strerror(rc));
            return -1;
        }
    }
    int c = sami_store_count(&s->st, &vm, NULL);
    if (c != (int)n) {
        fprintf(stderr, "bench_xfer_rate: %d records in the source store, want %u\n", c, n);
        return -1;
    }
    return 0;
}

/* BENCH_PERF_CTL=ctl-fifo[,ack-fifo]: the timed part switches `perf record
 * -D -1 --control=fifo:ctl-fifo,ack-fifo` on and off, so a sampling
 * profile covers it alone (cache misses included, which callgrind's
 * instruction counts do not show). */
static void perf_ctl(const char *cmd)
{
    static int ctl = -2, ack = -1;
    if (ctl == -2) {
        const char *env = getenv("BENCH_PERF_CTL");
        ctl = -1;
        if (env && *env) {
            char path[512];
            snprintf(path, sizeof path, "%s", env);
            char *comma = strchr(path, ',');
            if (comma)
                *comma = '\0';
            ctl = open(path, O_WRONLY);
            if (comma)
                ack = open(comma + 1, O_RDONLY);
        }
    }
    if (ctl < 0)
        return;
    if (write(ctl, cmd, strlen(cmd)) < 0)
        return;
    char a[8];
    if (ack >= 0 && read(ack, a, sizeof a) < 0)
        return;
}

/* The timed part, in a function of its own so callgrind can be limited to
 * it (--toggle-collect=timed_transfer). */
__attribute__((noinline)) static int timed_transfer(struct side *src, struct side *dst, uint32_t n, struct run *res)
{
    struct sami_vm_id vm = the_vm();
    g_polls = g_idle_us = g_mac_calls = g_mac_octets = 0;
    memset(g_in_cpu, 0, sizeof g_in_cpu);
    perf_ctl("enable\n");
    double c0 = cpu_s(), k0 = sys_s();
    sami_usec_t t0 = mono_us();
    sami_usec_t limit = t0 + RUN_LIMIT_US;
    double x0 = thr_s();
    if (sami_xfer_engine_precopy(src->eng, t0, src->peer, MIG_ID, &vm, 0, SAMI_NO_DEADLINE))
        return -1;
    g_call_cpu[0] = thr_s() - x0;
    if (loop_until(src, dst, done_precopy, limit)) {
        fprintf(stderr, "bench_xfer_rate: pre-copy of %u records did not finish\n", n);
        return -1;
    }
    sami_usec_t t1 = mono_us();
    x0 = thr_s();
    if (sami_store_freeze(&src->st, MIG_ID))
        return -1;
    g_call_cpu[1] = thr_s() - x0;
    x0 = thr_s();
    if (sami_xfer_engine_commit(src->eng, t1, MIG_ID, SAMI_NO_DEADLINE))
        return -1;
    g_call_cpu[2] = thr_s() - x0;
    if (loop_until(src, dst, done_result, limit)) {
        fprintf(stderr, "bench_xfer_rate: commit of %u records did not finish\n", n);
        return -1;
    }
    sami_usec_t t2 = mono_us();
    double c1 = cpu_s();
    perf_ctl("disable\n");
    res->wall_s = (double)(t2 - t0) / 1e6;
    res->pre_s = (double)(t1 - t0) / 1e6;
    res->commit_s = (double)(t2 - t1) / 1e6;
    res->cpu_s = c1 - c0;
    res->sys_s = sys_s() - k0;
    res->wire = src->wire_tx + dst->wire_tx;
    res->frames = src->frames_tx + dst->frames_tx;
    res->retransmits = sami_xfer_engine_counters(src->eng)->retransmits +
                       sami_xfer_engine_counters(dst->eng)->retransmits;
    res->mac_calls = g_mac_calls;
    res->mac_octets = g_mac_octets;
    res->tx_msgs = sami_xfer_engine_counters(src->eng)->tx_msgs +
                   sami_xfer_engine_counters(dst->eng)->tx_msgs;
    res->polls = g_polls;
    res->idle_us = g_idle_us;
    return 0;
}

/* --procs 2: the destination runs in a child process (its own core when
 * the machine has one free), as on two bridges. The source times the
 * transfer (precopy() -> RESULT: the destination has verified and
 * installed everything); the child activates at once, waits for PURGE and
 * reports its CPU time (including that activation), octets sent and the
 * records its store holds. */
struct child_report {
    double cpu_s;
    uint64_t wire;
    int count, installed, ok;
};

static int two_procs(struct side *src, struct side *dst, uint32_t n, struct run *res)
{
    struct sami_vm_id vm = the_vm();
    int pfd[2];
    if (pipe(pfd))
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        struct child_report cr;
        memset(&cr, 0, sizeof cr);
        close(pfd[0]);
        if (src->binding == SAMI_XFER_BIND_STREAM)
            close(src->fd);
        g_only = 1;
        dst->auto_activate = 1;
        double c0 = cpu_s();
        int ok = loop_until(src, dst, done_purged, mono_us() + RUN_LIMIT_US) == 0;
        cr.cpu_s = cpu_s() - c0;
        cr.wire = dst->wire_tx;
        cr.count = sami_store_count(&dst->st, &vm, NULL);
        cr.installed = (int)dst->ev_count;
        cr.ok = ok && dst->installed && dst->purged;
        ssize_t w = write(pfd[1], &cr, sizeof cr);
        _exit(w == (ssize_t)sizeof cr ? 0 : 1);
    }
    close(pfd[1]);
    if (dst->binding == SAMI_XFER_BIND_STREAM) {
        close(dst->fd);
        dst->fd = -1;
    }
    g_only = 0;
    int rc = timed_transfer(src, dst, n, res);
    if (!rc && loop_until(src, dst, done_activated, mono_us() + RUN_LIMIT_US)) {
        fprintf(stderr, "bench_xfer_rate: activation did not finish\n");
        rc = -1;
    }
    if (rc) {
        kill(pid, SIGTERM);
    }
    g_only = -1;
    struct child_report cr;
    memset(&cr, 0, sizeof cr);
    ssize_t got = read(pfd[0], &cr, sizeof cr);
    close(pfd[0]);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || got != sizeof cr ||
        !cr.ok)
        rc = -1;
    if (rc)
        return rc;
    res->cpu_s += cr.cpu_s;
    res->wire = src->wire_tx + cr.wire;
    int at_src = sami_store_count(&src->st, &vm, NULL);
    if (src->ev_status != SAMI_XFER_ST_OK || src->ev_count != n || cr.installed != (int)n ||
        cr.count != (int)n || at_src > 0) {
        fprintf(stderr, "bench_xfer_rate: RESULT status %d, %u of %u records; destination "
                        "installed %d, holds %d; %d left at the source\n", src->ev_status,
                src->ev_count, n, cr.installed, cr.count, at_src);
        return -1;
    }
    return 0;
}

static int engine_run(int binding, const struct l2if *l2, uint32_t n, struct run *res)
{
    struct side *src = calloc(1, sizeof *src), *dst = calloc(1, sizeof *dst);
    struct sami_vm_id vm = the_vm();
    int rc = -1;
    if (!src || !dst)
        goto out;
    if (side_init(src, 1, binding, n) || side_init(dst, 0, binding, n)) {
        fprintf(stderr, "bench_xfer_rate: engine setup failed\n");
        goto out;
    }
    if (binding == SAMI_XFER_BIND_STREAM) {
        if (tcp_pair(&src->fd, &dst->fd)) {
            fprintf(stderr, "bench_xfer_rate: loopback TCP: %s\n", strerror(errno));
            goto out;
        }
        src->peer = sami_xfer_engine_add_peer(src->eng, &dst->bid, binding, NULL, 0);
        dst->peer = sami_xfer_engine_add_peer(dst->eng, &src->bid, binding, NULL, 0);
    } else {
        src->fd = l2[0].fd;
        dst->fd = l2[1].fd;
        memcpy(src->mac, l2[0].mac, 6);
        memcpy(src->peer_mac, l2[1].mac, 6);
        memcpy(dst->mac, l2[1].mac, 6);
        memcpy(dst->peer_mac, l2[0].mac, 6);
        src->peer = sami_xfer_engine_add_peer(src->eng, &dst->bid, binding, NULL, 0);
        dst->peer = sami_xfer_engine_add_peer(dst->eng, &src->bid, binding, NULL, 0);
    }
    if (src->peer < 0 || dst->peer < 0)
        goto out;
    if (fill(src, n))
        goto out;

    if (sami_xfer_engine_expect(dst->eng, mono_us(), MIG_ID, &vm, dst->peer, 0,
                                SAMI_NO_DEADLINE))
        goto out;
    if (O.procs == 2) {
        rc = two_procs(src, dst, n, res);
        goto out;
    }
    if (timed_transfer(src, dst, n, res))
        goto out;
    if (src->ev_status != SAMI_XFER_ST_OK || src->ev_count != n || !dst->installed ||
        dst->ev_count != n) {
        fprintf(stderr, "bench_xfer_rate: RESULT status %d, %u of %u records\n", src->ev_status,
                src->ev_count, n);
        goto out;
    }
    /* not timed: activation, the source's purge, and the stores checked */
    if (sami_xfer_engine_activate(dst->eng, mono_us(), MIG_ID) ||
        loop_until(src, dst, done_purge, mono_us() + RUN_LIMIT_US)) {
        fprintf(stderr, "bench_xfer_rate: activation did not finish\n");
        goto out;
    }
    int at_dst = sami_store_count(&dst->st, &vm, NULL);
    int at_src = sami_store_count(&src->st, &vm, NULL);
    if (at_dst != (int)n || at_src > 0) {
        fprintf(stderr, "bench_xfer_rate: %d records at the destination (want %u), %d left at "
                        "the source\n", at_dst, n, at_src);
        goto out;
    }
    rc = 0;
out:
    if (src) {
        if (binding == SAMI_XFER_BIND_L2)
            src->fd = -1; /* the caller's sockets */
        side_free(src);
    }
    if (dst) {
        if (binding == SAMI_XFER_BIND_L2)
            dst->fd = -1;
        side_free(dst);
    }
    free(src);
    free(dst);
    return rc;
}

static int cmp_run(const void *a, const void *b)
{
    double x = ((const struct run *)a)->wall_s, y = ((const struct run *)b)->wall_s;
    return x < y ? -1 : x > y;
}

static int cmp_ceiling(const void *a, const void *b)
{
    double x = ((const struct ceiling *)a)->cpu_s, y = ((const struct ceiling *)b)->cpu_s;
    return x < y ? -1 : x > y;
}

/* ---- table ---- */

static void header(const char *what)
{
    printf("\n%s\n", what);
    printf("%9s %4s %9s %9s %9s %10s %9s %10s %10s %6s %8s %7s\n", "records", "runs",
           "wall ms", "pre ms", "commit ms", "rec/s", "CPU ms", "rec/CPU-s", "ceil/CPU-s",
           "ratio", "wire MB", "MB/s");
}

static int run_binding(int binding, const struct l2if *l2, const uint32_t *counts, size_t ncounts)
{
    int failed = 0;
    header(binding == SAMI_XFER_BIND_STREAM
               ? (O.procs == 2 ? "tcp: loopback TCP, stream binding, source and destination in two "
                                 "processes (poll loop each)"
                               : "tcp: loopback TCP, stream binding, two engines in one process "
                                 "(poll loop)")
               : (O.procs == 2 ? "l2: veth pair, AF_PACKET, L2 binding + xfer_link, source and "
                                 "destination in two processes"
                               : "l2: veth pair, AF_PACKET, L2 binding + xfer_link, two engines "
                                 "in one process"));
    for (size_t k = 0; k < ncounts; k++) {
        uint32_t n = counts[k];
        int reps = O.reps ? O.reps : (n >= 1000000u ? 1 : n >= 100000u ? 3 : 5);
        struct run r[16];
        if (reps > 16)
            reps = 16;
        /* ceiling and engines interleaved, so both see the same load */
        struct ceiling cl[16];
        int ok = 1;
        for (int i = 0; i < reps && ok; i++) {
            if (ceiling_measure(n, &cl[i])) {
                fprintf(stderr, "bench_xfer_rate: codec ceiling for %u records failed\n", n);
                ok = 0;
                break;
            }
            ok = engine_run(binding, l2, n, &r[i]) == 0;
        }
        if (!ok) {
            printf("%9u  FAILED (see stderr)\n", n);
            failed = 1;
            continue;
        }
        qsort(cl, (size_t)reps, sizeof cl[0], cmp_ceiling);
        const struct ceiling c = cl[reps / 2];
        qsort(r, (size_t)reps, sizeof r[0], cmp_run);
        const struct run *m = &r[reps / 2];
        double cpu_rate = n / m->cpu_s, ceil_rate = n / c.cpu_s;
        printf("%9u %4d %9.3f %9.3f %9.3f %10.0f %9.2f %10.0f %10.0f %6.3f %8.2f %7.1f", n, reps,
               m->wall_s * 1e3, m->pre_s * 1e3, m->commit_s * 1e3, n / m->wall_s, m->cpu_s * 1e3,
               cpu_rate, ceil_rate, cpu_rate / ceil_rate, m->wire / 1e6,
               m->wire / 1e6 / m->wall_s);
        if (m->retransmits)
            printf("  (%llu retransmissions)", (unsigned long long)m->retransmits);
        if (getenv("BENCH_XFER_DEBUG"))
            printf("  [sys %.0f ms, polls %llu, idle %.1f ms, msgs %llu, MACs %llu over %.2f MB]",
                   m->sys_s * 1e3, (unsigned long long)m->polls, m->idle_us / 1e3,
                   (unsigned long long)m->tx_msgs, (unsigned long long)m->mac_calls,
                   m->mac_octets / 1e6);
        if (getenv("BENCH_XFER_DEBUG")) {
            /* the last run's split (not the median's) */
            printf("\n      last run, thread CPU ms: precopy() %.1f, freeze %.1f, commit() %.1f;"
                   " input at dst:", g_call_cpu[0] * 1e3, g_call_cpu[1] * 1e3,
                   g_call_cpu[2] * 1e3);
            for (unsigned t = 1; t <= SAMI_XFER_TYPE_MAX; t++)
                if (g_in_cpu[0][t] > 0)
                    printf(" %s %.1f", sami_xfer_type_name(t), g_in_cpu[0][t] * 1e3);
            printf("; at src:");
            for (unsigned t = 1; t <= SAMI_XFER_TYPE_MAX; t++)
                if (g_in_cpu[1][t] > 0)
                    printf(" %s %.1f", sami_xfer_type_name(t), g_in_cpu[1][t] * 1e3);
        }
        printf("\n");
        fflush(stdout);
    }
    return failed;
}

/* The L2 part: a private network namespace with a veth pair h3a/h3b, in a
 * child process (the namespace goes away with it). 0 ok, 1 failed, 77 skipped. */
static int l2_part(const uint32_t *counts, size_t ncounts)
{
    if (geteuid() != 0) {
        printf("\nl2: skipped: needs root (a network namespace, a veth pair, AF_PACKET)\n");
        return 77;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        if (unshare(CLONE_NEWNET)) {
            printf("\nl2: skipped: unshare(CLONE_NEWNET): %s\n", strerror(errno));
            fflush(stdout);
            _exit(77);
        }
        if (system("ip link add h3a type veth peer name h3b && ip link set h3a up && "
                   "ip link set h3b up") != 0) {
            printf("\nl2: skipped: could not create the veth pair h3a/h3b (iproute2)\n");
            fflush(stdout);
            _exit(77);
        }
        struct l2if l2[2];
        if (l2_open("h3a", &l2[0]) || l2_open("h3b", &l2[1])) {
            printf("\nl2: skipped: AF_PACKET on h3a/h3b: %s\n", strerror(errno));
            fflush(stdout);
            _exit(77);
        }
        int rc = run_binding(SAMI_XFER_BIND_L2, l2, counts, ncounts);
        fflush(stdout);
        _exit(rc ? 1 : 0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return 1;
    return WEXITSTATUS(st);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: bench_xfer_rate [--counts N,N,...] [--reps R] [--quick] [--no-tcp] [--no-l2]\n"
            "                       [--window W] [--link-window W] [--max-msg M] [--batch B]\n"
            "                       [--rto-ms MS] (engine rto; raise it under valgrind)\n"
            "                       [--procs 1|2] (2: the destination in a child process)\n");
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"counts", required_argument, NULL, 'c'}, {"reps", required_argument, NULL, 'r'},
        {"quick", no_argument, NULL, 'q'},        {"no-tcp", no_argument, NULL, 'T'},
        {"no-l2", no_argument, NULL, 'L'},        {"window", required_argument, NULL, 'w'},
        {"link-window", required_argument, NULL, 'W'}, {"max-msg", required_argument, NULL, 'm'},
        {"batch", required_argument, NULL, 'b'},  {"rto-ms", required_argument, NULL, 'R'},
        {"procs", required_argument, NULL, 'P'},
        {NULL, 0, NULL, 0}};
    uint32_t counts[32] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    size_t ncounts = 7;
    int no_tcp = 0, no_l2 = 0, c;
    while ((c = getopt_long(argc, argv, "c:r:qTLw:W:m:b:R:P:", lo, NULL)) != -1) {
        switch (c) {
        case 'c': {
            ncounts = 0;
            for (char *p = optarg; *p && ncounts < 32;) {
                char *end;
                unsigned long v = strtoul(p, &end, 10);
                if (end == p || v == 0 || v > 16000000ul) {
                    usage();
                    return 2;
                }
                counts[ncounts++] = (uint32_t)v;
                p = *end == ',' ? end + 1 : end;
            }
            break;
        }
        case 'r': O.reps = atoi(optarg); break;
        case 'q':
            ncounts = 4; /* 1 .. 1,000 */
            O.reps = 1;
            break;
        case 'T': no_tcp = 1; break;
        case 'L': no_l2 = 1; break;
        case 'w': O.window = (unsigned)atoi(optarg); break;
        case 'W': O.link_window = (unsigned)atoi(optarg); break;
        case 'm': O.max_msg = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'b': O.batch = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'R': O.rto_ms = (unsigned)atoi(optarg); break;
        case 'P':
            O.procs = atoi(optarg);
            if (O.procs != 1 && O.procs != 2) {
                usage();
                return 2;
            }
            break;
        default: usage(); return 2;
        }
    }
    if (!sami_hmac_default()) {
        fprintf(stderr, "bench_xfer_rate: libsami has no HMAC provider: nothing to measure\n");
        return 77;
    }
    printf("bench_xfer_rate: one VM of N records (bench_store's mix), HMAC-SHA-256 via %s;\n"
           "engine window %u, max_msg %u, batch %u records, link window %u\n"
           "wall = precopy() -> RESULT (pre = precopy() -> PRECOPY_DONE, commit = commit() -> "
           "RESULT);\nwire = octets both directions (TCP payload incl. length prefixes / whole "
           "Ethernet frames);\nceil = encode + sign + open + decode of the same records, "
           "same batches, no sockets (>= 20 ms per run, interleaved with the engine runs);\nCPU = process CPU time of the timed "
           "part (both engines, one thread); ratio = rec/CPU-s / ceil/CPU-s;\nmedians over the runs (by wall for the engines, by CPU for the ceiling)\n",
           sami_hmac_default()->name, O.window ? O.window : 4u, O.max_msg ? O.max_msg : 65536u,
           O.batch ? O.batch : 1024u, O.link_window ? O.link_window : 8u);
    int failed = 0;
    if (!no_tcp)
        failed |= run_binding(SAMI_XFER_BIND_STREAM, NULL, counts, ncounts);
    if (!no_l2) {
        int rc = l2_part(counts, ncounts);
        if (rc != 0 && rc != 77)
            failed = 1;
    }
    return failed;
}
