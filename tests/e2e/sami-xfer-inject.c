/* sami-xfer-inject: a hostile (or, for the controls, honest) peer bridge
 * for samid's transfer port (tests/e2e/xfer-hostile.sh). It connects to
 * samid over TCP as the bridge --from, and sends transfer messages built
 * with libsami's own encoders and signed with the keys given, so that the
 * "genuine" messages really are genuine and the broken ones are broken
 * exactly where the mode says. Every answer samid sends back is opened
 * (authenticated) with the same keyring and reported.
 *
 *   sami-xfer-inject -c HOST:PORT --from BRIDGE-ID --to BRIDGE-ID
 *                    --key ID:HEX [--key ID:HEX] [--tx-key ID] -m MODE
 *                    [--bind ADDR] [--vm-uuid UUID] [--migration-id ID]
 *                    [--seq N] [--timeout MS] [--hold MS] [--conns N]
 *                    [--frame-len N] [--ready FILE] [--json]
 *   sami-xfer-inject --l2 IFACE --l2-dst MAC --from ... -m l2-MODE
 *
 * Modes (what is sent; the exit status says whether samid answered as the
 * protocol says it must):
 *   hello          a genuine HELLO: expects HELLO|RESPONSE
 *   hello-refused  a genuine-looking HELLO under --tx-key: expects no answer
 *                  (a key samid no longer holds)
 *   wrong-key      HELLO under the right key id, other key bytes: no answer
 *   unknown-key    HELLO under key id 0xBEEF (the right key bytes): no answer
 *   truncated-tag  HELLO whose tag is cut to 8 octets (prefix adjusted): no
 *                  answer
 *   flip-bit       HELLO with one tag bit flipped: no answer
 *   replay         a genuine HELLO, then the same octets again: exactly one
 *                  HELLO|RESPONSE
 *   seq-below      a genuine HELLO at S, then one at S - 10^6 (left of the
 *                  replay window): exactly one response
 *   seq-above      a forged HELLO (wrong key) at S + 2^40, then (on a new
 *                  connection: samid closes the first) a genuine one at S:
 *                  answered (the forgery did not move the window)
 *   unannounced    PRECOPY then COMMIT for a migration nobody announced:
 *                  two RESULT FAILED/REJECTED, nothing staged
 *   lying-counts   (announced migration) PRECOPY|LAST with 3 records, DELTA|
 *                  LAST, COMMIT whose COUNTS say 100: RESULT FAILED/DIGEST
 *   lying-tlv      a genuine HELLO, then a signed PRECOPY whose VM element
 *                  claims more octets than the body holds, and a message
 *                  whose header body length claims more than follows: no
 *                  answer to either, the connection stays
 *   oversized      a stream length prefix of --frame-len (default 2^32-1):
 *                  samid closes the connection
 *   slowloris      --conns connections, each a length prefix and 10 octets of
 *                  a message, then silence for --hold ms: reports how many
 *                  samid closed (--ready FILE is created once all are open)
 *   many           --conns connections, each one forged HELLO naming --from
 *                  (claims a peer, never authenticates), held --hold ms
 *                  (--ready as for slowloris)
 *   genuine        a whole migration as its source (announced by the test's
 *                  hypervisor at samid): HELLO, PRECOPY|LAST (3 records),
 *                  DELTA|LAST, COMMIT: RESULT OK; then waits up to --timeout
 *                  for ACTIVATE and answers PURGE
 *   l2-hello       (L2 binding, frames of ethertype 0x88B5 from --from's
 *                  MAC to --l2-dst through an AF_PACKET socket on --l2; our
 *                  DATA frames are single fragments, samid's are
 *                  acknowledged and reassembled) a genuine HELLO: expects
 *                  HELLO|RESPONSE
 *   l2-hello-refused  a genuine HELLO, expects no answer (e.g. --from a MAC
 *                  that is no L2 peer of samid)
 *   l2-wrong-key   HELLO under the right key id, other key bytes: no answer
 *   l2-garbage     six frames the L2 decoder refuses (magic, version, op,
 *                  fragment count 0, payload 1489, payload past the frame):
 *                  no ACK, no answer
 *   l2-toobig      fragments 0..59 of a message of 1000 fragments (1.4 MB):
 *                  samid acknowledges what fits its buffer, then refuses
 *
 * Output: one JSON object (--json) or a line: what was sent, what came
 * back. Exit: 0 samid behaved as expected, 1 it did not, 2 usage or setup
 * (cannot connect, bad key). Linux; the l2 modes need CAP_NET_RAW. */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sami/cursor.h"
#include "sami/di.h"
#include "sami/xfer.h"
#include "sami/xfer_l2.h"

#define MSG_MAX 65536u
#define MAX_CONNS 4096

enum mode {
    M_HELLO, M_HELLO_REFUSED, M_WRONG_KEY, M_UNKNOWN_KEY, M_TRUNCATED_TAG, M_FLIP_BIT, M_REPLAY,
    M_SEQ_BELOW, M_SEQ_ABOVE, M_UNANNOUNCED, M_LYING_COUNTS, M_LYING_TLV, M_OVERSIZED,
    M_SLOWLORIS, M_MANY, M_GENUINE, M_L2_HELLO, M_L2_HELLO_REFUSED, M_L2_WRONG_KEY, M_L2_GARBAGE,
    M_L2_TOOBIG, M_COUNT
};
static const char *const mode_names[M_COUNT] = {
    "hello",       "hello-refused", "wrong-key",    "unknown-key", "truncated-tag", "flip-bit",
    "replay",      "seq-below",     "seq-above",    "unannounced", "lying-counts",  "lying-tlv",
    "oversized",   "slowloris",     "many",         "genuine",     "l2-hello",      "l2-hello-refused",
    "l2-wrong-key", "l2-garbage",   "l2-toobig"};

static struct {
    const char *connect, *bind;
    struct sami_xfer_bridge_id from, to;
    struct sami_xfer_keyring kr;
    unsigned nkeys;
    uint16_t tx_key;
    int mode;
    uint8_t uuid[16];
    int have_uuid;
    uint64_t mig;
    int have_mig;
    uint64_t seq;
    unsigned timeout_ms, hold_ms, conns;
    uint64_t frame_len;
    const char *ready;
    const char *l2_if;
    uint8_t l2_dst[6];
    int json;
} O = {.timeout_ms = 1000, .hold_ms = 2000, .conns = 8, .frame_len = 0xffffffffu, .mode = -1};

/* what came back on the main connection */
static struct {
    unsigned sent, rx, rx_bad;
    unsigned hello, hello_resp, ack, result, result_last, activate, abort, other;
    uint8_t last_status;
    uint16_t last_reason;
    int closed; /* samid closed the connection */
    unsigned closed_conns, refused_conns, open_conns;
    char note[256];
} R;

static struct sami_xfer_replay replay_in;
static uint64_t seq_next;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int usage(const char *why)
{
    if (why)
        fprintf(stderr, "sami-xfer-inject: %s\n", why);
    fprintf(stderr, "usage: sami-xfer-inject -c HOST:PORT --from BRIDGE-ID --to BRIDGE-ID --key "
                    "ID:HEX [--key ID:HEX] [--tx-key ID] -m MODE [--bind ADDR] [--vm-uuid UUID] "
                    "[--migration-id ID] [--seq N] [--timeout MS] [--hold MS] [--conns N] "
                    "[--frame-len N] [--ready FILE] [--json]\nmodes:");
    for (int i = 0; i < M_COUNT; i++)
        fprintf(stderr, " %s", mode_names[i]);
    fputc('\n', stderr);
    return 2;
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

/* "8000:02:53:4d:00:00:02" */
static int parse_bid(const char *s, struct sami_xfer_bridge_id *out)
{
    unsigned pr, m[6];
    char tail;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x:%x%c", &pr, &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
               &tail) != 7 || pr > 0xffff)
        return -1;
    out->priority = (uint16_t)pr;
    for (int i = 0; i < 6; i++) {
        if (m[i] > 0xff)
            return -1;
        out->mac[i] = (uint8_t)m[i];
    }
    return 0;
}

static int parse_key(const char *s)
{
    char *end;
    unsigned long id = strtoul(s, &end, 10);
    if (*end != ':' || id == 0 || id > 65535 || O.nkeys >= SAMI_XFER_MAX_KEYS)
        return -1;
    const char *h = end + 1;
    size_t n = strlen(h);
    if (n % 2 || n / 2 < SAMI_XFER_KEY_MIN || n / 2 > SAMI_XFER_KEY_MAX)
        return -1;
    struct sami_xfer_key *k = &O.kr.keys[O.nkeys];
    for (size_t i = 0; i < n / 2; i++) {
        int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
        if (a < 0 || b < 0)
            return -1;
        k->bytes[i] = (uint8_t)(a << 4 | b);
    }
    k->id = (uint16_t)id;
    k->len = (uint8_t)(n / 2);
    O.nkeys++;
    return 0;
}

static int parse_uuid(const char *s, uint8_t out[16])
{
    size_t n = 0;
    for (; *s && n < 32; s++) {
        if (*s == '-')
            continue;
        int v = hexval(*s);
        if (v < 0)
            return -1;
        if (n % 2 == 0)
            out[n / 2] = (uint8_t)(v << 4);
        else
            out[n / 2] |= (uint8_t)v;
        n++;
    }
    return n == 32 && !*s ? 0 : -1;
}

static const struct sami_xfer_key *key_by_id(uint16_t id)
{
    for (unsigned i = 0; i < O.nkeys; i++)
        if (O.kr.keys[i].id == id)
            return &O.kr.keys[i];
    return NULL;
}

/* ---- connections ---- */

static int connect_to(int quiet)
{
    char host[256];
    snprintf(host, sizeof host, "%s", O.connect);
    char *colon = strrchr(host, ':');
    if (!colon)
        return -1;
    *colon = 0;
    const char *port = colon + 1;
    const char *h = host;
    if (h[0] == '[') { /* [v6]:port */
        h++;
        char *rb = strchr(host, ']');
        if (rb)
            *rb = 0;
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if (getaddrinfo(h, port, &hints, &res) != 0 || !res)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(res);
        return -1;
    }
    if (O.bind) {
        struct addrinfo *b = NULL;
        hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
        if (getaddrinfo(O.bind, "0", &hints, &b) != 0 || !b ||
            bind(fd, b->ai_addr, b->ai_addrlen) != 0) {
            if (!quiet)
                fprintf(stderr, "sami-xfer-inject: bind %s: %s\n", O.bind, strerror(errno));
            if (b)
                freeaddrinfo(b);
            freeaddrinfo(res);
            close(fd);
            return -1;
        }
        freeaddrinfo(b);
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        if (!quiet)
            fprintf(stderr, "sami-xfer-inject: connect %s: %s\n", O.connect, strerror(errno));
        freeaddrinfo(res);
        close(fd);
        return -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int l2_send_raw(int fd, int ifindex, const uint8_t *fr, size_t len)
{
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    memcpy(sll.sll_addr, fr, 6);
    return sendto(fd, fr, len, 0, (struct sockaddr *)&sll, sizeof sll) == (ssize_t)len ? 0 : -1;
}

/* A message with its stream prefix (prefix says plen, normally len). */
static int send_framed(int fd, const uint8_t *msg, size_t len, size_t plen)
{
    uint8_t pre[4] = {(uint8_t)(plen >> 24), (uint8_t)(plen >> 16), (uint8_t)(plen >> 8),
                      (uint8_t)plen};
    if (send_all(fd, pre, 4) || send_all(fd, msg, len))
        return -1;
    R.sent++;
    return 0;
}

/* ---- messages ---- */

static struct sami_xfer_vm_id vm_id(void)
{
    struct sami_xfer_vm_id v;
    memset(&v, 0, sizeof v);
    v.id_format = 5; /* UUID, as sami-notify --vm-uuid sends it */
    memcpy(v.id, O.uuid, 16);
    return v;
}

static void begin(struct sami_xfer_builder *b, uint8_t *buf, uint8_t type, uint16_t flags,
                  uint64_t mig)
{
    struct sami_xfer_hdr h;
    memset(&h, 0, sizeof h);
    h.version = SAMI_XFER_VERSION;
    h.type = type;
    h.flags = flags;
    h.sender = O.from;
    h.migration_id = mig;
    sami_xfer_build_begin(b, buf, MSG_MAX, &h);
}

static size_t finish(struct sami_xfer_builder *b, const struct sami_xfer_key *k, uint64_t seq)
{
    size_t len = 0;
    int rc = sami_xfer_build_finish(b, k, seq, NULL, &len);
    if (rc) {
        fprintf(stderr, "sami-xfer-inject: build: %s\n", sami_strerror(rc));
        exit(2);
    }
    return len;
}

static size_t build_hello(uint8_t *buf, uint16_t flags, const struct sami_xfer_key *k, uint64_t seq)
{
    struct sami_xfer_builder b;
    begin(&b, buf, SAMI_XFER_HELLO, flags, 0);
    struct sami_xfer_caps c = {1, 2, 0x1feu, 100000u, MSG_MAX};
    sami_xfer_build_caps(&b, &c);
    static const char nm[] = "sami-xfer-inject";
    struct sami_xfer_name n = {(const uint8_t *)nm, sizeof nm - 1};
    sami_xfer_build_name(&b, &n);
    return finish(&b, k, seq);
}

/* Three firewall sessions of the VM. */
static void records(struct sami_di_record rec[3])
{
    for (int i = 0; i < 3; i++) {
        memset(&rec[i], 0, sizeof rec[i]);
        rec[i].type = SAMI_DI_FIREWALL;
        rec[i].version = SAMI_DI_FIREWALL_VERSION;
        rec[i].op = SAMI_DI_OP_UPSERT;
        struct sami_di_firewall *f = &rec[i].u.firewall;
        f->created_age_ms = 60000;
        f->last_heard_age_ms = 100;
        f->expiry_remaining_ms = 3600000;
        f->vlan = 100;
        f->src_port = (uint16_t)(51000 + i);
        f->dst_port = 443;
        f->family = SAMI_DI_FAMILY_IPV4;
        f->protocol = 6;
        f->state = SAMI_DI_FW_ESTABLISHED;
        static const uint8_t s[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 99, 0, 50};
        static const uint8_t d[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 80};
        memcpy(f->src, s, 16);
        memcpy(f->dst, d, 16);
        if (sami_di_validate(&rec[i]) != 0) {
            fprintf(stderr, "sami-xfer-inject: test record does not validate\n");
            exit(2);
        }
    }
}

/* PRECOPY (gen 0 -> 1.1, the 3 records) or DELTA (1.1 -> 1.2, empty), LAST. */
static size_t build_batch(uint8_t *buf, uint8_t type, uint64_t mig, const struct sami_xfer_key *k,
                          uint64_t seq, uint64_t *digest)
{
    struct sami_xfer_builder b;
    begin(&b, buf, type, SAMI_XFER_F_LAST, mig);
    struct sami_xfer_vm_id v = vm_id();
    sami_xfer_build_vm_id(&b, &v);
    const uint64_t a = (uint64_t)1 << 32;
    struct sami_xfer_generation g = type == SAMI_XFER_PRECOPY
                                        ? (struct sami_xfer_generation){0, a | 1}
                                        : (struct sami_xfer_generation){a | 1, a | 2};
    sami_xfer_build_generation(&b, &g);
    sami_xfer_build_snapshot_time(&b, 0);
    if (type == SAMI_XFER_PRECOPY) {
        struct sami_di_record rec[3];
        records(rec);
        for (int i = 0; i < 3; i++) {
            uint8_t val[1024];
            size_t vl = 0;
            if (sami_di_encode(&rec[i], val, sizeof val, &vl) != 0)
                exit(2);
            sami_xfer_build_di(&b, SAMI_DI_FIREWALL, val, vl);
            if (digest)
                sami_xfer_digest_add(digest, val, vl);
        }
    }
    return finish(&b, k, seq);
}

static size_t build_commit(uint8_t *buf, uint64_t mig, uint32_t count, uint64_t digest,
                           const struct sami_xfer_key *k, uint64_t seq)
{
    struct sami_xfer_builder b;
    begin(&b, buf, SAMI_XFER_COMMIT, SAMI_XFER_F_LAST, mig);
    struct sami_xfer_vm_id v = vm_id();
    sami_xfer_build_vm_id(&b, &v);
    struct sami_xfer_count c = {SAMI_DI_FIREWALL, count};
    sami_xfer_build_counts(&b, &c, 1);
    sami_xfer_build_digest(&b, digest);
    sami_xfer_build_snapshot_time(&b, 0);
    return finish(&b, k, seq);
}

static size_t build_purge(uint8_t *buf, uint64_t mig, const struct sami_xfer_key *k, uint64_t seq)
{
    struct sami_xfer_builder b;
    begin(&b, buf, SAMI_XFER_PURGE, SAMI_XFER_F_RESPONSE, mig);
    struct sami_xfer_status_elem st = {SAMI_XFER_ST_OK, SAMI_XFER_R_NONE};
    sami_xfer_build_status(&b, &st);
    return finish(&b, k, seq);
}

/* ---- receiving ---- */

struct rx {
    int fd;
    int l2;           /* AF_PACKET socket on --l2 (else a TCP stream) */
    int ifindex;
    uint16_t l2_seq;  /* our next L2 DATA sequence */
    struct sami_xfer_deframer df;
    struct sami_xfer_l2_reasm ra;
    uint8_t buf[MSG_MAX];
};

/* L2: one Ethernet frame from --from's MAC to --l2-dst. */
static int l2_send_frame(struct rx *x, const struct sami_xfer_l2_frame *f)
{
    uint8_t fr[1514];
    size_t n = 0;
    memcpy(fr, O.l2_dst, 6);
    memcpy(fr + 6, O.from.mac, 6);
    fr[12] = (uint8_t)(SAMI_XFER_L2_ETHERTYPE >> 8);
    fr[13] = (uint8_t)SAMI_XFER_L2_ETHERTYPE;
    if (sami_xfer_l2_encode(f, fr + 14, sizeof fr - 14, &n) != 0)
        return -1;
    return l2_send_raw(x->fd, x->ifindex, fr, n + 14);
}

/* A whole message: stream-framed on TCP, DATA fragments (MTU 1500) on L2. */
static int send_msg(struct rx *x, const uint8_t *msg, size_t len)
{
    if (!x->l2)
        return send_framed(x->fd, msg, len, len);
    uint16_t count;
    if (sami_xfer_l2_frag_count(len, 1500, &count) != 0)
        return -1;
    uint16_t first = x->l2_seq;
    for (uint16_t i = 0; i < count; i++) {
        size_t off, fl;
        sami_xfer_l2_frag_range(len, 1500, i, &off, &fl);
        struct sami_xfer_l2_frame f = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_DATA,
                                       sami_xfer_l2_seq_add(first, i), i, count,
                                       (uint16_t)fl, msg + off};
        if (l2_send_frame(x, &f) != 0)
            return -1;
    }
    x->l2_seq = sami_xfer_l2_seq_add(first, count);
    R.sent++;
    return 0;
}

static void on_msg(struct rx *x, const uint8_t *m, size_t len)
{
    struct sami_xfer_msg msg;
    struct sami_err e;
    R.rx++;
    if (sami_xfer_open(m, len, &O.kr, &replay_in, 0, 0, &msg, &e) != 0 ||
        msg.hdr.sender.priority != O.to.priority || memcmp(msg.hdr.sender.mac, O.to.mac, 6)) {
        R.rx_bad++; /* not authentic, or not from the bridge we talk to */
        return;
    }
    int resp = (msg.hdr.flags & SAMI_XFER_F_RESPONSE) != 0;
    switch (msg.hdr.type) {
    case SAMI_XFER_HELLO:
        if (resp) {
            R.hello_resp++;
        } else {
            /* samid's own HELLO (it measures the round trip): answer it,
             * as a peer would */
            static uint8_t out[MSG_MAX];
            R.hello++;
            const struct sami_xfer_key *k = key_by_id(O.tx_key);
            size_t n = build_hello(out, SAMI_XFER_F_RESPONSE, k, seq_next++);
            (void)send_msg(x, out, n);
        }
        break;
    case SAMI_XFER_ACK: R.ack++; break;
    case SAMI_XFER_ABORT: {
        /* e.g. samid giving up an earlier migration towards us: acknowledge
         * it, as a peer would, so that it stops resending */
        static uint8_t out[MSG_MAX];
        struct sami_xfer_builder b;
        R.abort++;
        begin(&b, out, SAMI_XFER_ACK, SAMI_XFER_F_RESPONSE, msg.hdr.migration_id);
        sami_xfer_build_acked_seq(&b, msg.seq);
        size_t n = finish(&b, key_by_id(O.tx_key), seq_next++);
        (void)send_msg(x, out, n);
        break;
    }
    case SAMI_XFER_ACTIVATE: R.activate++; break;
    case SAMI_XFER_RESULT: {
        R.result++;
        if (msg.hdr.flags & SAMI_XFER_F_LAST)
            R.result_last++;
        struct sami_xfer_iter it;
        struct sami_xfer_elem el;
        sami_xfer_iter_init(&it, &msg, NULL);
        while (sami_xfer_iter_next(&it, &el) == 1) {
            struct sami_xfer_status_elem st;
            if (el.type == SAMI_XFER_E_STATUS && sami_xfer_read_status(&el, &st, NULL) == 0) {
                R.last_status = st.status;
                R.last_reason = st.reason;
            }
        }
        break;
    }
    default: R.other++; break;
    }
}

/* L2: one frame from the packet socket. DATA addressed to us is
 * acknowledged and reassembled; ACKs are only counted. */
static unsigned l2_acks, l2_data;

static void l2_input(struct rx *x)
{
    uint8_t fr[2048];
    ssize_t k = recv(x->fd, fr, sizeof fr, MSG_DONTWAIT);
    if (k < 14 || memcmp(fr, O.from.mac, 6) != 0 || fr[12] != 0x88 || fr[13] != 0xb5)
        return;
    struct sami_xfer_l2_frame f;
    if (sami_xfer_l2_decode(fr + 14, (size_t)k - 14, &f, NULL) != 0)
        return;
    if (f.op == SAMI_XFER_L2_ACK) {
        l2_acks++;
        return;
    }
    l2_data++;
    const uint8_t *m = NULL;
    size_t ml = 0;
    int rc = sami_xfer_l2_reasm_push(&x->ra, &f, &m, &ml);
    if (rc >= 0) {
        struct sami_xfer_l2_frame a = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_ACK, f.seq,
                                       f.frag_index, f.frag_count, 0, NULL};
        uint8_t dst[6];
        memcpy(dst, O.l2_dst, 6);
        memcpy(O.l2_dst, fr + 6, 6); /* answer whoever sent it */
        (void)l2_send_frame(x, &a);
        memcpy(O.l2_dst, dst, 6);
    }
    if (rc == SAMI_XFER_L2_COMPLETE)
        on_msg(x, m, ml);
}

/* Reads what samid sends for up to ms (or until stop() says so). */
static void pump(struct rx *x, unsigned ms, int (*stop)(void))
{
    uint64_t end = now_ms() + ms;
    uint8_t tmp[16384];
    while (!R.closed && !(stop && stop())) {
        uint64_t t = now_ms();
        if (t >= end)
            break;
        struct pollfd pf = {x->fd, POLLIN, 0};
        int n = poll(&pf, 1, (int)(end - t));
        if (n <= 0)
            continue;
        if (x->l2) {
            l2_input(x);
            continue;
        }
        ssize_t k = recv(x->fd, tmp, sizeof tmp, 0);
        if (k == 0 || (k < 0 && errno != EINTR && errno != EAGAIN)) {
            R.closed = 1;
            break;
        }
        if (k < 0)
            continue;
        const uint8_t *p = tmp;
        size_t left = (size_t)k;
        while (left) {
            size_t used = 0, ml = 0;
            const uint8_t *m = NULL;
            int rc = sami_xfer_deframer_push(&x->df, p, left, &used, &m, &ml);
            if (rc < 0) {
                snprintf(R.note, sizeof R.note, "samid's stream does not deframe: %s",
                         sami_strerror(rc));
                R.closed = 1;
                return;
            }
            p += used;
            left -= used;
            if (rc == 1)
                on_msg(x, m, ml);
            else
                break;
        }
    }
}

static struct rx rxs[2];

static struct rx *open_l2(void)
{
    struct rx *x = &rxs[0];
    x->l2 = 1;
    x->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(SAMI_XFER_L2_ETHERTYPE));
    x->ifindex = (int)if_nametoindex(O.l2_if);
    if (x->fd < 0 || !x->ifindex) {
        fprintf(stderr, "sami-xfer-inject: %s: %s\n", O.l2_if, strerror(errno));
        return NULL;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(SAMI_XFER_L2_ETHERTYPE);
    sll.sll_ifindex = x->ifindex;
    if (bind(x->fd, (struct sockaddr *)&sll, sizeof sll) != 0) {
        fprintf(stderr, "sami-xfer-inject: bind %s: %s\n", O.l2_if, strerror(errno));
        return NULL;
    }
    /* a sequence of our own: samid's link must not take our first DATA for
     * a retransmission of an earlier run's */
    x->l2_seq = (uint16_t)(seq_next % 65535u + 1u);
    sami_xfer_l2_reasm_init(&x->ra, x->buf, sizeof x->buf);
    return x;
}

static struct rx *open_rx(unsigned i)
{
    struct rx *x = &rxs[i];
    if (O.l2_if)
        return i == 0 ? open_l2() : NULL;
    x->fd = connect_to(0);
    if (x->fd < 0)
        return NULL;
    if (sami_xfer_deframer_init(&x->df, x->buf, sizeof x->buf, 0) != 0)
        return NULL;
    return x;
}

static int stop_hello(void) { return R.hello_resp > 0; }
static int stop_result_last(void) { return R.result_last > 0; }
static int stop_activate(void) { return R.activate > 0; }
static unsigned want_results;
static int stop_results(void) { return R.result >= want_results; }

/* ---- connection floods ---- */

/* Opens --conns connections, sends each what mk() builds, holds them,
 * then counts how many samid closed (or never accepted). */
static void flood_conns(size_t (*mk)(uint8_t *buf, unsigned i))
{
    static int fds[MAX_CONNS];
    static uint8_t buf[MSG_MAX + 4];
    unsigned n = O.conns > MAX_CONNS ? MAX_CONNS : O.conns;
    for (unsigned i = 0; i < n; i++) {
        fds[i] = connect_to(1);
        if (fds[i] < 0) {
            R.refused_conns++;
            continue;
        }
        size_t len = mk(buf, i);
        if (send_all(fds[i], buf, len) == 0)
            R.sent++;
    }
    if (O.ready) {
        FILE *f = fopen(O.ready, "w");
        if (f)
            fclose(f);
    }
    /* hold them; watch which ones samid closes */
    uint64_t end = now_ms() + O.hold_ms;
    while (now_ms() < end)
        usleep(20000);
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] < 0)
            continue;
        uint8_t t[256];
        int closed = 0;
        for (;;) {
            ssize_t k = recv(fds[i], t, sizeof t, MSG_DONTWAIT);
            if (k > 0)
                continue;
            if (k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
                closed = 1;
            break;
        }
        if (closed)
            R.closed_conns++;
        else
            R.open_conns++;
        close(fds[i]);
    }
}

static size_t mk_slow(uint8_t *buf, unsigned i)
{
    (void)i;
    /* a plausible prefix (1000 octets follow), then only 10 of them */
    buf[0] = 0;
    buf[1] = 0;
    buf[2] = 0x03;
    buf[3] = 0xe8;
    buf[4] = SAMI_XFER_VERSION;
    buf[5] = SAMI_XFER_HELLO;
    memset(buf + 6, 0, 8);
    return 14;
}

static struct sami_xfer_key forged_key;

static size_t mk_forged_hello(uint8_t *buf, unsigned i)
{
    size_t n = build_hello(buf + 4, 0, &forged_key, seq_next + i);
    buf[0] = (uint8_t)(n >> 24);
    buf[1] = (uint8_t)(n >> 16);
    buf[2] = (uint8_t)(n >> 8);
    buf[3] = (uint8_t)n;
    return n + 4;
}

/* ---- modes ---- */

static int run(void)
{
    static uint8_t m1[MSG_MAX], m2[MSG_MAX], m3[MSG_MAX];
    const struct sami_xfer_key *k = key_by_id(O.tx_key);
    if (!k)
        return usage("--tx-key names no --key"), 2;
    forged_key = *k;
    for (unsigned i = 0; i < forged_key.len; i++)
        forged_key.bytes[i] ^= (uint8_t)(0x5a + i); /* same id, other bytes */
    size_t n;
    struct rx *x;
    switch (O.mode) {
    case M_SLOWLORIS:
        flood_conns(mk_slow);
        snprintf(R.note, sizeof R.note, "%u of %u connections closed by samid, %u still open, %u "
                 "not accepted", R.closed_conns, O.conns, R.open_conns, R.refused_conns);
        return 0; /* the script judges: samid must serve the others meanwhile */
    case M_MANY:
        flood_conns(mk_forged_hello);
        snprintf(R.note, sizeof R.note, "%u of %u connections closed by samid, %u still open, %u "
                 "not accepted", R.closed_conns, O.conns, R.open_conns, R.refused_conns);
        return 0;
    default:
        break;
    }
    if (!(x = open_rx(0)))
        return 2;
    switch (O.mode) {
    case M_HELLO:
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        pump(x, 100, NULL); /* samid's own HELLO, answered */
        return R.hello_resp == 1 ? 0 : 1;
    case M_HELLO_REFUSED:
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, NULL);
        return R.rx == 0 ? 0 : 1;
    case M_WRONG_KEY:
        n = build_hello(m1, 0, &forged_key, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, NULL);
        return R.rx == 0 ? 0 : 1;
    case M_UNKNOWN_KEY: {
        struct sami_xfer_key uk = *k;
        uk.id = 0xBEEF;
        n = build_hello(m1, 0, &uk, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, NULL);
        return R.rx == 0 ? 0 : 1;
    }
    case M_TRUNCATED_TAG:
        n = build_hello(m1, 0, k, seq_next++);
        send_framed(x->fd, m1, n - 8, n - 8);
        pump(x, O.timeout_ms, NULL);
        return R.rx == 0 ? 0 : 1;
    case M_FLIP_BIT:
        n = build_hello(m1, 0, k, seq_next++);
        m1[n - 5] ^= 0x10;
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, NULL);
        return R.rx == 0 ? 0 : 1;
    case M_REPLAY:
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        send_msg(x, m1, n); /* the very same octets */
        pump(x, O.timeout_ms, NULL);
        return R.hello_resp == 1 ? 0 : 1;
    case M_SEQ_BELOW: {
        uint64_t s = seq_next;
        seq_next += 2;
        n = build_hello(m1, 0, k, s);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        n = build_hello(m2, 0, k, s - 1000000u);
        send_msg(x, m2, n);
        pump(x, O.timeout_ms, NULL);
        return R.hello_resp == 1 ? 0 : 1;
    }
    case M_SEQ_ABOVE: {
        uint64_t s = seq_next++;
        n = build_hello(m1, 0, &forged_key, s + ((uint64_t)1 << 40));
        send_msg(x, m1, n);
        pump(x, 200, NULL);
        unsigned before = R.rx;
        /* samid closes a connection whose first message is forged: the
         * genuine one goes on a new connection */
        close(x->fd);
        R.closed = 0;
        if (!(x = open_rx(1)))
            return 2;
        n = build_hello(m2, 0, k, s);
        send_msg(x, m2, n);
        pump(x, O.timeout_ms, stop_hello);
        pump(x, 100, NULL);
        return before == 0 && R.hello_resp == 1 ? 0 : 1;
    }
    case M_UNANNOUNCED: {
        uint64_t mig = O.have_mig ? O.mig : 0x6e6f626f64790000ull | (seq_next & 0xffff);
        n = build_batch(m1, SAMI_XFER_PRECOPY, mig, k, seq_next++, NULL);
        send_msg(x, m1, n);
        n = build_commit(m2, mig, 3, 0, k, seq_next++);
        send_msg(x, m2, n);
        want_results = 2;
        pump(x, O.timeout_ms, stop_results);
        return R.result == 2 && R.last_status == SAMI_XFER_ST_FAILED &&
                       R.last_reason == SAMI_XFER_R_REJECTED
                   ? 0
                   : 1;
    }
    case M_LYING_COUNTS:
    case M_GENUINE: {
        if (!O.have_mig || !O.have_uuid)
            return usage("this mode needs --migration-id and --vm-uuid"), 2;
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        if (!R.hello_resp) {
            snprintf(R.note, sizeof R.note, "no HELLO response");
            return 1;
        }
        uint64_t digest = 0;
        n = build_batch(m1, SAMI_XFER_PRECOPY, O.mig, k, seq_next++, &digest);
        send_msg(x, m1, n);
        n = build_batch(m2, SAMI_XFER_DELTA, O.mig, k, seq_next++, NULL);
        send_msg(x, m2, n);
        n = build_commit(m3, O.mig, O.mode == M_GENUINE ? 3 : 100, digest, k, seq_next++);
        send_msg(x, m3, n);
        pump(x, O.timeout_ms, stop_result_last);
        if (O.mode == M_LYING_COUNTS)
            return R.result_last == 1 && R.last_status == SAMI_XFER_ST_FAILED &&
                           R.last_reason == SAMI_XFER_R_DIGEST
                       ? 0
                       : 1;
        if (R.result_last != 1 || R.last_status != SAMI_XFER_ST_OK) {
            snprintf(R.note, sizeof R.note, "COMMIT not answered RESULT OK");
            return 1;
        }
        /* the test's hypervisor sends RESUMED now; samid activates */
        fprintf(stderr, "sami-xfer-inject: installed, waiting for ACTIVATE\n");
        pump(x, O.hold_ms, stop_activate);
        if (!R.activate) {
            snprintf(R.note, sizeof R.note, "RESULT OK, but no ACTIVATE within %u ms", O.hold_ms);
            return 1;
        }
        n = build_purge(m1, O.mig, k, seq_next++);
        send_msg(x, m1, n);
        unsigned acks = R.ack;
        pump(x, O.timeout_ms, NULL);
        snprintf(R.note, sizeof R.note, "activated, PURGE sent (%u ACK after it)", R.ack - acks);
        return 0;
    }
    case M_LYING_TLV: {
        /* first a genuine HELLO: samid closes a connection whose first
         * message it refuses, and both lies must reach the engine */
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        pump(x, 100, NULL);
        unsigned before = R.rx - R.abort;
        if (!R.hello_resp) {
            snprintf(R.note, sizeof R.note, "no HELLO response");
            return 1;
        }
        /* (1) VM element length 21 -> 200, re-signed: the MAC verifies, the
         * body does not */
        uint64_t mig = O.have_mig ? O.mig : 0x6c79696e67000000ull;
        n = build_batch(m1, SAMI_XFER_PRECOPY, mig, k, seq_next, NULL);
        /* element header at 24: type(2) = VM_ID, length(2) */
        if (m1[24] != 0 || m1[25] != SAMI_XFER_E_VM_ID)
            return 2;
        m1[26] = 0;
        m1[27] = 200;
        sami_xfer_seal(m1, n, k, seq_next++, NULL);
        send_msg(x, m1, n);
        /* (2) header body length + 1000, the stream prefix telling the truth */
        n = build_hello(m2, 0, k, seq_next++);
        uint32_t bl = (uint32_t)m2[4] << 24 | (uint32_t)m2[5] << 16 | (uint32_t)m2[6] << 8 | m2[7];
        bl += 1000;
        m2[4] = (uint8_t)(bl >> 24);
        m2[5] = (uint8_t)(bl >> 16);
        m2[6] = (uint8_t)(bl >> 8);
        m2[7] = (uint8_t)bl;
        send_msg(x, m2, n);
        pump(x, O.timeout_ms, NULL);
        return R.rx - R.abort == before && !R.closed ? 0 : 1;
    }
    case M_OVERSIZED: {
        uint8_t pre[4] = {(uint8_t)(O.frame_len >> 24), (uint8_t)(O.frame_len >> 16),
                          (uint8_t)(O.frame_len >> 8), (uint8_t)O.frame_len};
        uint64_t t0 = now_ms();
        if (send_all(x->fd, pre, 4) == 0)
            R.sent++;
        /* some of the "message" too: a reader that trusted the prefix would
         * now try to take it */
        memset(m1, 0xa5, 4096);
        (void)send_all(x->fd, m1, 4096);
        pump(x, O.timeout_ms, NULL);
        snprintf(R.note, sizeof R.note, "prefix %llu: connection %s after %llu ms",
                 (unsigned long long)O.frame_len, R.closed ? "closed by samid" : "still open",
                 (unsigned long long)(now_ms() - t0));
        return R.closed ? 0 : 1;
    }
    case M_L2_HELLO:
        n = build_hello(m1, 0, k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, stop_hello);
        pump(x, 200, NULL);
        snprintf(R.note, sizeof R.note, "L2: %u ACK, %u DATA frames from samid", l2_acks, l2_data);
        return R.hello_resp == 1 ? 0 : 1;
    case M_L2_HELLO_REFUSED:
    case M_L2_WRONG_KEY:
        n = build_hello(m1, 0, O.mode == M_L2_WRONG_KEY ? &forged_key : k, seq_next++);
        send_msg(x, m1, n);
        pump(x, O.timeout_ms, NULL);
        snprintf(R.note, sizeof R.note, "L2: %u ACK, %u DATA frames from samid", l2_acks, l2_data);
        return R.rx == 0 ? 0 : 1;
    case M_L2_GARBAGE: {
        /* six frames the L2 decoder must refuse, each for its own reason */
        uint8_t fr[60];
        static const uint8_t good[12] = {0x53, 0x4d, 1, 1, 0, 7, 0, 0, 0, 1, 0, 20};
        for (int i = 0; i < 6; i++) {
            memset(fr, 0, sizeof fr);
            memcpy(fr, O.l2_dst, 6);
            memcpy(fr + 6, O.from.mac, 6);
            fr[12] = 0x88;
            fr[13] = 0xb5;
            memcpy(fr + 14, good, 12);
            memset(fr + 26, 0xab, 20);
            switch (i) {
            case 0: fr[14] = 'X'; break;              /* magic */
            case 1: fr[16] = 9; break;                /* version */
            case 2: fr[17] = 7; break;                /* op */
            case 3: fr[22] = 0; fr[23] = 0; break;    /* fragment count 0 */
            case 4: fr[24] = 0x05; fr[25] = 0xd1; break; /* payload 1489 > 1488 */
            case 5: fr[25] = 200; break;              /* payload runs past the frame */
            }
            if (l2_send_raw(x->fd, x->ifindex, fr, sizeof fr) == 0)
                R.sent++;
        }
        pump(x, O.timeout_ms, NULL);
        snprintf(R.note, sizeof R.note, "L2: %u ACK, %u DATA frames from samid", l2_acks, l2_data);
        return l2_acks == 0 && R.rx == 0 ? 0 : 1;
    }
    case M_L2_TOOBIG: {
        /* a message of 1000 fragments (1.4 MB, more than samid takes):
         * fragment 0 .. 59 in order, each full */
        memset(m1, 0x5a, 1488);
        uint16_t first = x->l2_seq;
        for (uint16_t i = 0; i < 60; i++) {
            struct sami_xfer_l2_frame f = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_DATA,
                                           sami_xfer_l2_seq_add(first, i), i, 1000, 1488, m1};
            if (l2_send_frame(x, &f) == 0)
                R.sent++;
            pump(x, 5, NULL);
        }
        x->l2_seq = sami_xfer_l2_seq_add(first, 60);
        pump(x, O.timeout_ms, NULL);
        snprintf(R.note, sizeof R.note, "L2: %u ACK, %u DATA frames from samid", l2_acks, l2_data);
        /* samid acknowledges what fits and nothing past it; no message */
        return l2_acks > 0 && l2_acks < 60 && R.rx == 0 ? 0 : 1;
    }
    default:
        return 2;
    }
}

int main(int argc, char **argv)
{
    enum { O_FROM = 256, O_TO, O_KEY, O_TXKEY, O_BIND, O_UUID, O_MIG, O_SEQ, O_TIMEOUT, O_HOLD,
           O_CONNS, O_FLEN, O_JSON, O_READY, O_L2, O_L2DST };
    static const struct option lo[] = {
        {"connect", required_argument, 0, 'c'},   {"mode", required_argument, 0, 'm'},
        {"from", required_argument, 0, O_FROM},   {"to", required_argument, 0, O_TO},
        {"key", required_argument, 0, O_KEY},     {"tx-key", required_argument, 0, O_TXKEY},
        {"bind", required_argument, 0, O_BIND},   {"vm-uuid", required_argument, 0, O_UUID},
        {"migration-id", required_argument, 0, O_MIG}, {"seq", required_argument, 0, O_SEQ},
        {"timeout", required_argument, 0, O_TIMEOUT}, {"hold", required_argument, 0, O_HOLD},
        {"conns", required_argument, 0, O_CONNS}, {"frame-len", required_argument, 0, O_FLEN},
        {"json", no_argument, 0, O_JSON},         {"ready", required_argument, 0, O_READY},
        {"l2", required_argument, 0, O_L2},       {"l2-dst", required_argument, 0, O_L2DST},         {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c, have_from = 0, have_to = 0;
    while ((c = getopt_long(argc, argv, "c:m:h", lo, NULL)) != -1) {
        switch (c) {
        case 'c': O.connect = optarg; break;
        case 'm':
            for (int i = 0; i < M_COUNT; i++)
                if (!strcmp(optarg, mode_names[i]))
                    O.mode = i;
            if (O.mode < 0)
                return usage("unknown mode");
            break;
        case O_FROM:
            if (parse_bid(optarg, &O.from))
                return usage("--from: PRIO:MAC, e.g. 8000:02:53:4d:00:00:02");
            have_from = 1;
            break;
        case O_TO:
            if (parse_bid(optarg, &O.to))
                return usage("--to: PRIO:MAC");
            have_to = 1;
            break;
        case O_KEY:
            if (parse_key(optarg))
                return usage("--key ID:HEX (16..64 octets), at most two");
            break;
        case O_TXKEY: O.tx_key = (uint16_t)strtoul(optarg, NULL, 10); break;
        case O_BIND: O.bind = optarg; break;
        case O_UUID:
            if (parse_uuid(optarg, O.uuid))
                return usage("--vm-uuid: a UUID");
            O.have_uuid = 1;
            break;
        case O_MIG:
            O.mig = strtoull(optarg, NULL, 0);
            O.have_mig = 1;
            break;
        case O_SEQ: O.seq = strtoull(optarg, NULL, 0); break;
        case O_TIMEOUT: O.timeout_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_HOLD: O.hold_ms = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_CONNS: O.conns = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_FLEN: O.frame_len = strtoull(optarg, NULL, 0); break;
        case O_JSON: O.json = 1; break;
        case O_READY: O.ready = optarg; break;
        case O_L2: O.l2_if = optarg; break;
        case O_L2DST: {
            unsigned m[6];
            char tail;
            if (sscanf(optarg, "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
                       &tail) != 6)
                return usage("--l2-dst: a MAC");
            for (int i = 0; i < 6; i++)
                O.l2_dst[i] = (uint8_t)m[i];
            break;
        }
        case 'h': usage(NULL); return 0;
        default: return usage(NULL);
        }
    }
    if ((!O.connect && !O.l2_if) || !have_from || !have_to || !O.nkeys || O.mode < 0)
        return usage("-c (or --l2), --from, --to, --key and -m are required");
    if ((O.mode >= M_L2_HELLO) != (O.l2_if != NULL))
        return usage("the l2-* modes go with --l2 IFACE --l2-dst MAC, the others with -c");
    if (!O.tx_key)
        O.tx_key = O.kr.keys[0].id;
    if (O.seq) {
        seq_next = O.seq;
    } else {
        /* wall clock µs, as samid does: later runs never look like replays */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seq_next = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    }
    int rc = run();
    if (O.json)
        printf("{\"mode\":\"%s\",\"exit\":%d,\"sent\":%u,\"rx\":%u,\"rx_unverified\":%u,"
               "\"hello\":%u,\"hello_response\":%u,\"ack\":%u,\"result\":%u,\"result_last\":%u,"
               "\"status\":%u,\"reason\":%u,\"activate\":%u,\"abort\":%u,\"other\":%u,\"closed_by_samid\":%s,"
               "\"conns_closed\":%u,\"conns_open\":%u,\"conns_refused\":%u,\"note\":\"%s\"}\n",
               mode_names[O.mode], rc, R.sent, R.rx, R.rx_bad, R.hello, R.hello_resp, R.ack,
               R.result, R.result_last, R.last_status, R.last_reason, R.activate, R.abort,
               R.other, R.closed ? "true" : "false", R.closed_conns, R.open_conns, R.refused_conns, R.note);
    else
        printf("%s: exit %d, sent %u, received %u (%u unverified): HELLO %u, HELLO|RESPONSE %u, "
               "ACK %u, RESULT %u (last %u, status %u reason %u), ACTIVATE %u%s%s%s\n",
               mode_names[O.mode], rc, R.sent, R.rx, R.rx_bad, R.hello, R.hello_resp, R.ack,
               R.result, R.result_last, R.last_status, R.last_reason, R.activate,
               R.closed ? ", closed by samid" : "", R.note[0] ? "; " : "", R.note);
    return rc;
}
