/* The transfer stream binding: TCP on the management plane.
 *
 * Every bridge listens, and connects to each TCP peer it knows (reconnecting
 * with exponential backoff, 100 ms to 10 s). Both directions may therefore
 * be up at once; messages to a peer go out on our own connection to it, or
 * else on one it opened to us that has already carried a message the
 * transfer engine accepted (an unauthenticated connection never gets our
 * traffic). Input from every connection is deframed here, per connection,
 * and handed to the node one whole message at a time, so two connections
 * of one peer cannot interleave inside the node's deframer.
 *
 * A connection is identified by the sender bridge id of its first message;
 * an unknown sender, a first message the node refuses on an inbound
 * connection (not authentic), a stream that does not deframe, or 16 refused
 * messages in a row close it. Sockets are non-blocking; output waits in a per-
 * connection buffer (at most 8 MiB: beyond that a message is dropped and the
 * engine's retransmission timer covers it). */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "samid.h"
#include "sami/cursor.h"

#define OUT_MAX ((size_t)8 << 20)
#define BACKOFF_MIN SAMI_MSEC(100)
#define BACKOFF_MAX SAMI_SEC(10)
#define REFUSED_CLOSE 16u

static size_t max_msg(void)
{
    return 65536u; /* the transfer engine's default max_msg (node leaves it 0) */
}

static int nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void sockname(const struct sockaddr *sa, char *buf, size_t n)
{
    char a[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, a, sizeof a);
        port = ntohs(s->sin_port);
        snprintf(buf, n, "%s:%u", a, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof a);
        port = ntohs(s->sin6_port);
        snprintf(buf, n, "[%s]:%u", a, port);
    } else {
        snprintf(buf, n, "?");
    }
}

int xport_listen(char *err, size_t errlen)
{
    /* always: peers may be added by a reload */
    D->listen_fd = -1;
    const char *a = D->cfg.transfer.listen;
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(D->cfg.transfer.port);
        sl = sizeof *s6;
    } else if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(D->cfg.transfer.port);
        sl = sizeof *s4;
    } else {
        snprintf(err, errlen, "transfer.listen '%s' is not an address", a);
        return -1;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "transfer socket: %s", strerror(errno));
        return -1;
    }
    int one = 1, zero = 0;
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* "::" takes IPv4 peers too */
    if (ss.ss_family == AF_INET6)
        (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 16) != 0 || nonblock(fd) != 0) {
        snprintf(err, errlen, "transfer listen on %s port %u: %s", a, D->cfg.transfer.port,
                 strerror(errno));
        close(fd);
        return -1;
    }
    D->listen_fd = fd;
    slog(SAMID_LOG_INFO, "transfer: listening on %s port %u (TCP)", a, D->cfg.transfer.port);
    return 0;
}

static struct conn *conn_new(int fd, int outbound, const char *addr)
{
    if (D->nconns == D->conns_cap) {
        size_t n = D->conns_cap ? D->conns_cap * 2 : 16;
        struct conn **c = realloc(D->conns, n * sizeof *c);
        if (!c)
            return NULL;
        D->conns = c;
        D->conns_cap = n;
    }
    struct conn *c = calloc(1, sizeof *c);
    size_t cap = max_msg();
    if (c)
        c->rxbuf = malloc(SAMI_XFER_STREAM_PREFIX_LEN + cap);
    if (!c || !c->rxbuf ||
        sami_xfer_deframer_init(&c->df, c->rxbuf + SAMI_XFER_STREAM_PREFIX_LEN, cap, 0) != 0) {
        if (c)
            free(c->rxbuf);
        free(c);
        return NULL;
    }
    c->fd = fd;
    c->outbound = outbound;
    c->peer = -1;
    c->since = D->now;
    snprintf(c->addr, sizeof c->addr, "%s", addr);
    D->conns[D->nconns++] = c;
    return c;
}

static const char *peer_name(size_t i, char *buf, size_t n)
{
    char b[24];
    const struct samid_peer *p = D->peers[i].cfg;
    if (p->name[0])
        snprintf(buf, n, "%s (%s)", p->name, bridgeidstr(&p->id, b));
    else
        snprintf(buf, n, "%s", bridgeidstr(&p->id, b));
    return buf;
}

/* The connection whose message the node is processing: answers may go back
 * on it, and it must not be freed under on_message (a send that fails while
 * answering defers the close until the node returns). */
static struct conn *rx_conn;
static char rx_conn_broken[96];

static void conn_close(struct conn *c, const char *why)
{
    if (c == rx_conn) {
        snprintf(rx_conn_broken, sizeof rx_conn_broken, "%s", why);
        return;
    }
    char pn[96] = "unidentified";
    if (c->peer >= 0)
        peer_name((size_t)c->peer, pn, sizeof pn);
    slog(c->authed ? SAMID_LOG_INFO : SAMID_LOG_DEBUG, "transfer: %s connection %s, peer %s, closed: %s",
         c->outbound ? "outbound" : "inbound", c->addr, pn, why);
    if (c->peer >= 0 && (size_t)c->peer < D->npeers && D->peers[c->peer].out == c) {
        struct tpeer *p = &D->peers[c->peer];
        p->out = NULL;
        p->next_try = D->now + p->backoff;
        snprintf(p->last_error, sizeof p->last_error, "%s", why);
    }
    close(c->fd);
    for (size_t i = 0; i < D->nconns; i++)
        if (D->conns[i] == c) {
            D->conns[i] = D->conns[--D->nconns];
            break;
        }
    free(c->rxbuf);
    free(c->out);
    free(c);
}

void xport_close_all(void)
{
    while (D->nconns)
        conn_close(D->conns[0], "samid stops");
    if (D->listen_fd >= 0)
        close(D->listen_fd);
    D->listen_fd = -1;
    free(D->conns);
    D->conns = NULL;
    D->conns_cap = 0;
}

size_t xport_conn_count(void)
{
    return D->nconns;
}

/* Writes what is queued. -1: the connection is gone (closed here). */
static int conn_flush(struct conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            c->bytes_out += (uint64_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0 && errno == EINTR)
            continue;
        char why[96];
        snprintf(why, sizeof why, "send: %s", n < 0 ? strerror(errno) : "closed");
        conn_close(c, why);
        return -1;
    }
    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    return 0;
}

static int conn_queue(struct conn *c, const uint8_t *b, size_t len)
{
    if (c->out_off && c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->out_len - c->out_off + len > OUT_MAX) {
        c->dropped_out++;
        return -1;
    }
    if (c->out_off && c->out_len + len > c->out_cap) {
        memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
        c->out_len -= c->out_off;
        c->out_off = 0;
    }
    if (c->out_len + len > c->out_cap) {
        size_t n = c->out_cap ? c->out_cap : 65536;
        while (n < c->out_len + len)
            n *= 2;
        uint8_t *o = realloc(c->out, n);
        if (!o) {
            c->dropped_out++;
            return -1;
        }
        c->out = o;
        c->out_cap = n;
    }
    memcpy(c->out + c->out_len, b, len);
    c->out_len += len;
    c->msgs_out++;
    return 0;
}

void xport_send(size_t peer, const uint8_t *bytes, size_t len)
{
    if (peer >= D->npeers)
        return;
    struct tpeer *p = &D->peers[peer];
    /* ours when it is up; else one the peer opened and proved itself on;
     * else ours while it connects (sent once it is up) */
    struct conn *c = p->out && !p->out->connecting ? p->out : NULL;
    for (size_t i = 0; !c && i < D->nconns; i++)
        if (D->conns[i]->peer == (int)peer && D->conns[i]->authed && !D->conns[i]->outbound)
            c = D->conns[i];
    /* an answer to the message being delivered: the engine only answers
     * one that authenticated, so its connection is about to be proven
     * (without this the first answer on a new inbound connection, e.g. the
     * HELLO response, was lost whenever our own connection was down) */
    if (!c && rx_conn && rx_conn->peer == (int)peer)
        c = rx_conn;
    if (!c)
        c = p->out;
    char pn[96];
    if (!c) {
        p->tx_no_conn++;
        slog_rl(SAMID_LOG_DEBUG, "tx-noconn",
                "transfer: no connection to peer %s yet: message of %zu octets left to the "
                "retransmission timer", peer_name(peer, pn, sizeof pn), len);
        return;
    }
    if (conn_queue(c, bytes, len) != 0) {
        slog_rl(SAMID_LOG_WARN, "tx-full",
                "transfer: output to peer %s full (%zu octets queued): message dropped",
                peer_name(peer, pn, sizeof pn), c->out_len - c->out_off);
        return;
    }
    p->tx_msgs++;
    if (!c->connecting)
        (void)conn_flush(c);
}

static void try_connect(size_t i)
{
    struct tpeer *p = &D->peers[i];
    const struct samid_peer *pc = p->cfg;
    char port[8], pn[96];
    snprintf(port, sizeof port, "%u", pc->port);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    /* A name is resolved here, in the loop: peers are usually addresses
     * (the configuration allows names; resolution then blocks briefly). */
    int rc = getaddrinfo(pc->host, port, &hints, &res);
    p->next_try = D->now + p->backoff;
    p->backoff = p->backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : p->backoff * 2;
    if (rc != 0 || !res) {
        p->connect_failures++;
        snprintf(p->last_error, sizeof p->last_error, "resolve %s: %s", pc->host,
                 gai_strerror(rc));
        slog_rl(SAMID_LOG_WARN, "resolve", "transfer: peer %s: %s", peer_name(i, pn, sizeof pn),
                p->last_error);
        return;
    }
    char addr[64];
    sockname(res->ai_addr, addr, sizeof addr);
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || nonblock(fd) != 0) {
        snprintf(p->last_error, sizeof p->last_error, "socket: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        p->connect_failures++;
        return;
    }
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    rc = connect(fd, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (rc != 0 && errno != EINPROGRESS) {
        p->connect_failures++;
        snprintf(p->last_error, sizeof p->last_error, "connect %s: %s", addr, strerror(errno));
        slog_rl(SAMID_LOG_INFO, "connect", "transfer: peer %s: %s", peer_name(i, pn, sizeof pn),
                p->last_error);
        close(fd);
        return;
    }
    struct conn *c = conn_new(fd, 1, addr);
    if (!c) {
        close(fd);
        return;
    }
    c->peer = (int)i;
    c->connecting = rc != 0;
    p->out = c;
    if (!c->connecting) {
        p->connects++;
        slog(SAMID_LOG_INFO, "transfer: connected to peer %s at %s", peer_name(i, pn, sizeof pn),
             addr);
        bridge_peer_connected(p->node_port);
    }
}

void xport_tick(sami_usec_t now)
{
    (void)now;
    for (size_t i = 0; i < D->npeers; i++) {
        struct tpeer *p = &D->peers[i];
        if (p->cfg->binding != SAMI_XFER_BIND_STREAM || p->out || D->now < p->next_try)
            continue;
        try_connect(i);
    }
}

sami_usec_t xport_next_deadline(void)
{
    sami_usec_t d = SAMI_NO_DEADLINE;
    for (size_t i = 0; i < D->npeers; i++) {
        const struct tpeer *p = &D->peers[i];
        if (p->cfg->binding == SAMI_XFER_BIND_STREAM && !p->out && p->next_try < d)
            d = p->next_try;
    }
    return d;
}

size_t xport_pollfds(struct pollfd *pf, size_t cap)
{
    size_t n = 0;
    if (D->listen_fd >= 0 && n < cap)
        pf[n++] = (struct pollfd){D->listen_fd, POLLIN, 0};
    for (size_t i = 0; i < D->nconns && n < cap; i++) {
        struct conn *c = D->conns[i];
        short ev = c->connecting ? POLLOUT : POLLIN;
        if (!c->connecting && c->out_len > c->out_off)
            ev |= POLLOUT;
        pf[n++] = (struct pollfd){c->fd, ev, 0};
    }
    return n;
}

static struct conn *by_fd(int fd)
{
    for (size_t i = 0; i < D->nconns; i++)
        if (D->conns[i]->fd == fd)
            return D->conns[i];
    return NULL;
}

static void do_accept(void)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept(D->listen_fd, (struct sockaddr *)&ss, &sl);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                slog_rl(SAMID_LOG_WARN, "accept", "transfer: accept: %s", strerror(errno));
            return;
        }
        char addr[64];
        sockname((struct sockaddr *)&ss, addr, sizeof addr);
        /* A peer's connection says who it is with its first message, which
         * may come much later (nothing to send before a migration). Strangers
         * that never speak are bounded by count, not by time: beyond one
         * silent connection per peer (and a little slack) the oldest silent
         * one goes. */
        size_t silent = 0;
        struct conn *oldest = NULL;
        for (size_t i = 0; i < D->nconns; i++)
            if (D->conns[i]->peer < 0 && !D->conns[i]->outbound) {
                silent++;
                if (!oldest || D->conns[i]->since < oldest->since)
                    oldest = D->conns[i];
            }
        if (oldest && silent >= D->npeers + 2) {
            D->tcp_refused++;
            slog_rl(SAMID_LOG_WARN, "tcp-silent", "transfer: dropped connection from %s: it "
                    "never identified itself and a new one came", oldest->addr);
            conn_close(oldest, "silent, superseded");
        }
        if (D->nconns >= 4 * D->npeers + 16 || nonblock(fd) != 0) {
            D->tcp_refused++;
            slog_rl(SAMID_LOG_WARN, "accept-limit", "transfer: refused a connection from %s: "
                    "too many connections", addr);
            close(fd);
            continue;
        }
        int one = 1;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        (void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (!conn_new(fd, 0, addr)) {
            close(fd);
            continue;
        }
        D->tcp_accepts++;
        slog(SAMID_LOG_DEBUG, "transfer: inbound connection from %s", addr);
    }
}

/* One whole message (prefix room in front of msg). 0 keeps the connection;
 * -1: it was closed. */
static int on_message(struct conn *c, uint8_t *msg, size_t mlen)
{
    char pn[96], b[24];
    c->msgs_in++;
    if (c->peer < 0) {
        struct sami_rd r;
        struct sami_err e;
        struct sami_xfer_hdr h;
        sami_rd_init(&r, msg, mlen, &e);
        if (sami_xfer_read_hdr(&r, 0, &h) != 0) {
            D->tcp_refused++;
            slog_rl(SAMID_LOG_WARN, "tcp-hdr", "transfer: refused connection from %s: first "
                    "message is not a transfer message (%s)", c->addr, e.what ? e.what : "?");
            conn_close(c, "not a transfer message");
            return -1;
        }
        for (size_t i = 0; i < D->npeers; i++) {
            const struct sami_xfer_bridge_id *id = &D->peers[i].cfg->id;
            if (id->priority == h.sender.priority && !memcmp(id->mac, h.sender.mac, 6) &&
                D->peers[i].cfg->binding == SAMI_XFER_BIND_STREAM) {
                c->peer = (int)i;
                break;
            }
        }
        if (c->peer < 0) {
            D->tcp_refused++;
            slog_rl(SAMID_LOG_WARN, "tcp-unknown",
                    "transfer: refused connection from %s: sender %s is not a configured TCP "
                    "peer", c->addr, bridgeidstr(&h.sender, b));
            conn_close(c, "unknown sender");
            return -1;
        }
        /* a claim until its message authenticates: debug (anyone can
         * claim, as often as it connects); the proof is logged at info */
        slog(SAMID_LOG_DEBUG, "transfer: inbound connection from %s says it is peer %s", c->addr,
             peer_name((size_t)c->peer, pn, sizeof pn));
    }
    /* The node takes bytes of the stream; whole messages keep its own
     * deframer on message boundaries. */
    uint8_t *frame = msg - SAMI_XFER_STREAM_PREFIX_LEN;
    (void)sami_xfer_stream_prefix(mlen, frame);
    char what[256];
    snprintf(what, sizeof what, "transfer message from peer %s via %s",
             peer_name((size_t)c->peer, pn, sizeof pn), c->addr);
    rx_conn = c;
    rx_conn_broken[0] = 0;
    int ok = bridge_rx(D->peers[c->peer].node_port, frame, mlen + SAMI_XFER_STREAM_PREFIX_LEN, what);
    rx_conn = NULL;
    if (rx_conn_broken[0]) {
        char why[96];
        snprintf(why, sizeof why, "%s", rx_conn_broken);
        conn_close(c, why);
        return -1;
    }
    if (ok) {
        if (!c->authed)
            slog(SAMID_LOG_INFO, "transfer: %s connection %s authenticated: peer %s",
                 c->outbound ? "outbound" : "inbound", c->addr,
                 peer_name((size_t)c->peer, pn, sizeof pn));
        c->authed = 1;
        c->refused_in_row = 0;
        D->peers[c->peer].backoff = BACKOFF_MIN;
        return 0;
    }
    c->refused++;
    if (!c->authed && !c->outbound) {
        /* A peer's first message always authenticates (it holds the key);
         * one that does not is a stranger or a forger claiming a peer's id:
         * keeping its connection would let such connections pile up to the
         * connection limit and lock the real peer out. */
        D->tcp_refused++;
        conn_close(c, "first message refused (not authenticated)");
        return -1;
    }
    if (++c->refused_in_row >= REFUSED_CLOSE) {
        conn_close(c, "too many refused messages in a row");
        return -1;
    }
    return 0;
}

static void do_read(struct conn *c)
{
    uint8_t buf[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0) {
            conn_close(c, "closed by the peer");
            return;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            if (errno == EINTR)
                continue;
            char why[96];
            snprintf(why, sizeof why, "recv: %s", strerror(errno));
            conn_close(c, why);
            return;
        }
        c->bytes_in += (uint64_t)n;
        const uint8_t *p = buf;
        size_t left = (size_t)n;
        while (left) {
            size_t used = 0, mlen = 0;
            const uint8_t *msg = NULL;
            int rc = sami_xfer_deframer_push(&c->df, p, left, &used, &msg, &mlen);
            if (rc < 0) {
                D->tcp_refused++;
                slog_rl(SAMID_LOG_WARN, "tcp-frame", "transfer: refused stream from %s: %s "
                        "(bad length prefix): connection closed", c->addr, sami_strerror(rc));
                conn_close(c, "bad framing");
                return;
            }
            p += used;
            left -= used;
            if (rc == 1 && on_message(c, (uint8_t *)msg, mlen) != 0)
                return;
            if (rc == 0)
                break;
        }
        if ((size_t)n < sizeof buf)
            return;
    }
}

void xport_handle(const struct pollfd *pf, size_t n, sami_usec_t now)
{
    (void)now;
    for (size_t i = 0; i < n; i++) {
        if (!pf[i].revents)
            continue;
        if (pf[i].fd == D->listen_fd) {
            do_accept();
            continue;
        }
        struct conn *c = by_fd(pf[i].fd);
        if (!c)
            continue;
        if (c->connecting) {
            int err = 0;
            socklen_t el = sizeof err;
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
                err = errno;
            if (err) {
                char why[96];
                snprintf(why, sizeof why, "connect: %s", strerror(err));
                if (c->peer >= 0)
                    D->peers[c->peer].connect_failures++;
                slog_rl(SAMID_LOG_INFO, "connect", "transfer: %s: %s", c->addr, why);
                conn_close(c, why);
                continue;
            }
            if (!(pf[i].revents & POLLOUT))
                continue;
            c->connecting = 0;
            char pn[96];
            D->peers[c->peer].connects++;
            slog(SAMID_LOG_INFO, "transfer: connected to peer %s at %s",
                 peer_name((size_t)c->peer, pn, sizeof pn), c->addr);
            if (conn_flush(c) != 0)
                continue;
            /* A HELLO at once: the peer then knows this connection is ours
             * (it bounds connections that never say who they are) and the
             * first migration finds the session open. */
            bridge_peer_connected(D->peers[c->peer].node_port);
            continue;
        }
        if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
            do_read(c);
            if (!by_fd(pf[i].fd))
                continue;
        }
        if (pf[i].revents & POLLOUT)
            (void)conn_flush(c);
    }
}

void xport_rebind(struct tpeer *old, size_t nold)
{
    for (size_t i = 0; i < D->nconns;) {
        struct conn *c = D->conns[i];
        if (c->peer < 0 || (size_t)c->peer >= nold) {
            i++;
            continue;
        }
        const struct sami_xfer_bridge_id *id = &old[c->peer].cfg->id;
        int np = -1;
        for (size_t k = 0; k < D->npeers; k++)
            if (D->peers[k].cfg->id.priority == id->priority &&
                !memcmp(D->peers[k].cfg->id.mac, id->mac, 6) &&
                D->peers[k].cfg->binding == SAMI_XFER_BIND_STREAM)
                np = (int)k;
        if (np < 0) {
            c->peer = -1; /* not in the new peer table: do not touch D->peers */
            conn_close(c, "peer removed from the configuration");
            continue;
        }
        if (old[c->peer].out == c)
            D->peers[np].out = c;
        c->peer = np;
        i++;
    }
}

void xport_json(struct jw *w, size_t peer)
{
    jw_key(w, "connections");
    jw_arr(w);
    for (size_t i = 0; i < D->nconns; i++) {
        const struct conn *c = D->conns[i];
        if (c->peer != (int)peer)
            continue;
        jw_obj(w);
        jw_kstr(w, "address", c->addr);
        jw_kstr(w, "direction", c->outbound ? "outbound" : "inbound");
        jw_kstr(w, "state", c->connecting ? "connecting" : c->authed ? "authenticated" : "open");
        jw_kbool(w, "used_for_tx", D->peers[peer].out == c || (!D->peers[peer].out && c->authed));
        jw_ku64(w, "age_ms", (D->now - c->since) / 1000);
        jw_ku64(w, "msgs_in", c->msgs_in);
        jw_ku64(w, "msgs_out", c->msgs_out);
        jw_ku64(w, "bytes_in", c->bytes_in);
        jw_ku64(w, "bytes_out", c->bytes_out);
        jw_ku64(w, "refused", c->refused);
        jw_ku64(w, "queued_octets", c->out_len - c->out_off);
        jw_ku64(w, "dropped_out", c->dropped_out);
        jw_end_obj(w);
    }
    jw_end_arr(w);
}
