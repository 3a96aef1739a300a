/* L2 binding reliability: see sami/xfer_link.h for the discipline. */
#include "sami/xfer_link.h"

#include <string.h>

#define LINK_DEFAULT_MTU 1500u
#define LINK_DEFAULT_WINDOW 8u
#define LINK_DEFAULT_RTO SAMI_MSEC(10)
#define LINK_DEFAULT_RETRIES 8u

/* ---- transmit queue: a ring of [len(4) | message] entries ---- */

static void ring_put(struct sami_xfer_link_peer *p, size_t off, const uint8_t *src, size_t n)
{
    off %= p->qcap;
    size_t first = p->qcap - off < n ? p->qcap - off : n;
    memcpy(p->q + off, src, first);
    if (n > first)
        memcpy(p->q, src + first, n - first);
}

static void ring_get(const struct sami_xfer_link_peer *p, size_t off, uint8_t *dst, size_t n)
{
    off %= p->qcap;
    size_t first = p->qcap - off < n ? p->qcap - off : n;
    memcpy(dst, p->q + off, first);
    if (n > first)
        memcpy(dst + first, p->q, n - first);
}

static struct sami_xfer_link_peer *peer_get(const struct sami_xfer_link *l, int peer)
{
    if (!l || peer < 0 || (size_t)peer >= l->npeers || !l->peers[peer].used)
        return NULL;
    return &l->peers[peer];
}

/* Offers the message in flight to cfg.starting; 1 if it was rewritten. */
static int starting(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                    sami_usec_t now)
{
    if (!l->cfg.starting)
        return 0;
    size_t first = p->qcap - p->msg_off < p->msg_len ? p->qcap - p->msg_off : p->msg_len;
    return l->cfg.starting(l->cfg.up_ctx, now, peer, p->handle, p->ticket_head, p->q + p->msg_off,
                           first, p->q, p->msg_len - first) == 1;
}

/* Loads the head of the queue as the message in flight. */
static void start_head(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                       sami_usec_t now)
{
    uint8_t h[SAMI_XFER_LINK_QHDR];
    uint16_t n = 0;
    p->active = 0;
    if (p->qcount == 0)
        return;
    ring_get(p, p->qhead, h, sizeof h);
    p->msg_len = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
    p->msg_off = (p->qhead + SAMI_XFER_LINK_QHDR) % p->qcap;
    (void)sami_xfer_l2_frag_count(p->msg_len, l->cfg.mtu, &n); /* checked at send */
    p->nfrag = n;
    p->acked = p->sent = 0;
    p->first_seq = p->next_seq;
    p->tries = 0;
    p->deadline = SAMI_NO_DEADLINE;
    p->active = 1;
    (void)starting(l, p, peer, now);
}

static void pop_head(struct sami_xfer_link_peer *p)
{
    size_t n = SAMI_XFER_LINK_QHDR + p->msg_len;
    p->qhead = (p->qhead + n) % p->qcap;
    p->qlen -= n;
    p->qcount--;
    p->ticket_head++;
    p->next_seq = sami_xfer_l2_seq_add(p->first_seq, p->nfrag);
    p->active = 0;
}

static void send_frag(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                      uint16_t i)
{
    size_t off = 0, len = 0, flen = 0;
    uint8_t payload[SAMI_XFER_L2_MAX_PAYLOAD];
    if (sami_xfer_l2_frag_range(p->msg_len, l->cfg.mtu, i, &off, &len))
        return;
    ring_get(p, p->msg_off + off, payload, len);
    struct sami_xfer_l2_frame f = {
        .version = SAMI_XFER_L2_VERSION,
        .op = SAMI_XFER_L2_DATA,
        .seq = sami_xfer_l2_seq_add(p->first_seq, i),
        .frag_index = i,
        .frag_count = p->nfrag,
        .payload_len = (uint16_t)len,
        .payload = payload,
    };
    if (sami_xfer_l2_encode(&f, l->frame, sizeof l->frame, &flen))
        return;
    l->stats.frames_tx++;
    l->cfg.tx_frame(l->cfg.tx_ctx, peer, p->handle, l->frame, flen);
}

/* Sends what the window allows and arms the timer of the oldest
 * unacknowledged fragment. Starts the next message when one is done. */
static void pump(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                 sami_usec_t now)
{
    if (!p->active)
        start_head(l, p, peer, now);
    if (!p->active)
        return;
    int sent_any = 0;
    while (p->sent < p->nfrag && (unsigned)(p->sent - p->acked) < l->cfg.window) {
        send_frag(l, p, peer, p->sent);
        p->sent++;
        sent_any = 1;
    }
    if (sent_any && p->deadline == SAMI_NO_DEADLINE)
        p->deadline = now + l->cfg.rto;
}

int sami_xfer_link_init(struct sami_xfer_link *l, const struct sami_xfer_link_cfg *cfg,
                        struct sami_xfer_link_peer *peers, size_t max_peers)
{
    if (!l || !cfg || !cfg->tx_frame || !cfg->deliver || (!peers && max_peers))
        return SAMI_ERR_INVAL;
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    if (!l->cfg.mtu)
        l->cfg.mtu = LINK_DEFAULT_MTU;
    if (l->cfg.mtu > 1500 || l->cfg.mtu <= SAMI_XFER_L2_HDR_LEN)
        return SAMI_ERR_INVAL;
    if (!l->cfg.window)
        l->cfg.window = LINK_DEFAULT_WINDOW;
    if (l->cfg.window > SAMI_XFER_LINK_WINDOW_MAX)
        return SAMI_ERR_INVAL;
    if (!l->cfg.rto)
        l->cfg.rto = LINK_DEFAULT_RTO;
    if (!l->cfg.retries)
        l->cfg.retries = LINK_DEFAULT_RETRIES;
    if (!l->cfg.dup_hold)
        l->cfg.dup_hold = l->cfg.rto * (l->cfg.retries + 1u);
    l->peers = peers;
    l->npeers = max_peers;
    if (peers)
        memset(peers, 0, max_peers * sizeof *peers);
    return 0;
}

static void peer_clear(struct sami_xfer_link_peer *p)
{
    uint8_t *q = p->q, *rx = p->ra.buf;
    size_t qcap = p->qcap, rxcap = p->ra.cap;
    void *h = p->handle;
    memset(p, 0, sizeof *p);
    p->used = 1;
    p->handle = h;
    p->q = q;
    p->qcap = qcap;
    p->next_seq = 1;
    p->deadline = SAMI_NO_DEADLINE;
    sami_xfer_l2_reasm_init(&p->ra, rx, rxcap);
}

int sami_xfer_link_add_peer(struct sami_xfer_link *l, void *handle, uint8_t *txq, size_t txq_cap,
                            uint8_t *rxbuf, size_t rxbuf_cap)
{
    if (!l || !txq || txq_cap <= SAMI_XFER_LINK_QHDR || !rxbuf || !rxbuf_cap)
        return SAMI_ERR_INVAL;
    for (size_t i = 0; i < l->npeers; i++) {
        struct sami_xfer_link_peer *p = &l->peers[i];
        if (p->used)
            continue;
        p->handle = handle;
        p->q = txq;
        p->qcap = txq_cap;
        p->ra.buf = rxbuf;
        p->ra.cap = rxbuf_cap;
        peer_clear(p);
        return (int)i;
    }
    return SAMI_ERR_LIMIT;
}

int sami_xfer_link_remove_peer(struct sami_xfer_link *l, int peer)
{
    struct sami_xfer_link_peer *p = peer_get(l, peer);
    if (!p)
        return SAMI_ERR_NOTFOUND;
    memset(p, 0, sizeof *p);
    return 0;
}

int sami_xfer_link_peer_reset(struct sami_xfer_link *l, int peer)
{
    struct sami_xfer_link_peer *p = peer_get(l, peer);
    if (!p)
        return SAMI_ERR_NOTFOUND;
    peer_clear(p);
    return 0;
}

int64_t sami_xfer_link_send(struct sami_xfer_link *l, sami_usec_t now, int peer,
                            const uint8_t *msg, size_t len)
{
    struct sami_xfer_link_peer *p = peer_get(l, peer);
    uint16_t n;
    if (!l || (!msg && len))
        return SAMI_ERR_INVAL;
    if (!p)
        return SAMI_ERR_NOTFOUND;
    int rc = sami_xfer_l2_frag_count(len, l->cfg.mtu, &n);
    if (rc)
        return rc;
    if (len > UINT32_MAX || len > p->qcap - SAMI_XFER_LINK_QHDR)
        return SAMI_ERR_TOOBIG;
    size_t need = SAMI_XFER_LINK_QHDR + len;
    if (p->qcap - p->qlen < need) {
        l->stats.queue_full++;
        return SAMI_ERR_NOBUFS;
    }
    uint8_t h[SAMI_XFER_LINK_QHDR] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16),
                                      (uint8_t)(len >> 8), (uint8_t)len};
    size_t tail = p->qhead + p->qlen;
    ring_put(p, tail, h, sizeof h);
    ring_put(p, tail + SAMI_XFER_LINK_QHDR, msg, len);
    p->qlen += need;
    p->qcount++;
    uint32_t ticket = p->ticket_head + p->qcount - 1u;
    l->stats.msgs_queued++;
    if (!p->active)
        pump(l, p, peer, now);
    return (int64_t)ticket;
}

static void send_ack(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                     const struct sami_xfer_l2_frame *d)
{
    size_t flen = 0;
    struct sami_xfer_l2_frame a = {
        .version = SAMI_XFER_L2_VERSION,
        .op = SAMI_XFER_L2_ACK,
        .seq = d->seq,
        .frag_index = d->frag_index,
        .frag_count = d->frag_count,
    };
    if (sami_xfer_l2_encode(&a, l->frame, sizeof l->frame, &flen))
        return;
    l->stats.acks_tx++;
    l->cfg.tx_frame(l->cfg.tx_ctx, peer, p->handle, l->frame, flen);
}

static void on_ack(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                   sami_usec_t now, const struct sami_xfer_l2_frame *f)
{
    /* Only an ACK naming a fragment of the message in flight, sent and not
     * yet acknowledged, counts; the receiver acks in order, so it also
     * covers every earlier fragment. */
    if (!p->active || f->frag_count != p->nfrag || f->frag_index >= p->sent ||
        f->frag_index < p->acked || f->seq != sami_xfer_l2_seq_add(p->first_seq, f->frag_index)) {
        l->stats.acks_stale++;
        return;
    }
    l->stats.acks_rx++;
    p->acked = (uint16_t)(f->frag_index + 1u);
    p->tries = 0;
    p->deadline = SAMI_NO_DEADLINE;
    if (p->acked == p->nfrag) {
        l->stats.msgs_sent++;
        pop_head(p);
    } else if (p->acked < p->sent) {
        p->deadline = now + l->cfg.rto;
    }
    pump(l, p, peer, now);
}

static int recent_dup(const struct sami_xfer_link *l, const struct sami_xfer_link_peer *p,
                      sami_usec_t now, const struct sami_xfer_l2_frame *f)
{
    for (unsigned i = 0; i < SAMI_XFER_LINK_RECENT; i++) {
        if (p->recent[i].count && p->recent[i].first_seq == f->seq &&
            p->recent[i].count == f->frag_count && now - p->recent[i].at < l->cfg.dup_hold)
            return 1;
    }
    return 0;
}

static void on_data(struct sami_xfer_link *l, struct sami_xfer_link_peer *p, int peer,
                    sami_usec_t now, const struct sami_xfer_l2_frame *f)
{
    const uint8_t *msg = NULL;
    size_t mlen = 0;
    l->stats.frames_rx++;
    if (f->frag_index == 0 && !(p->ra.count && p->ra.first_seq == f->seq) &&
        recent_dup(l, p, now, f)) {
        /* fragment 0 of a message delivered lately: a late copy */
        l->stats.dup_rx++;
        send_ack(l, p, peer, f);
        return;
    }
    int in_progress = p->ra.count != 0 && f->frag_index == 0 && f->seq != p->ra.first_seq;
    int rc = sami_xfer_l2_reasm_push(&p->ra, f, &msg, &mlen);
    if (f->frag_index == 0 && (rc == SAMI_XFER_L2_MORE || rc == SAMI_XFER_L2_COMPLETE))
        p->rx_first_at = now;
    switch (rc) {
    case SAMI_XFER_L2_MORE:
        if (in_progress)
            l->stats.resyncs++;
        send_ack(l, p, peer, f);
        break;
    case SAMI_XFER_L2_COMPLETE:
        if (in_progress)
            l->stats.resyncs++;
        send_ack(l, p, peer, f);
        p->recent[p->recent_next].first_seq = p->ra.done_first;
        p->recent[p->recent_next].count = p->ra.done_count;
        p->recent[p->recent_next].at = now;
        p->recent_next = (p->recent_next + 1u) % SAMI_XFER_LINK_RECENT;
        l->stats.msgs_delivered++;
        l->cfg.deliver(l->cfg.up_ctx, now, peer, p->handle, msg, mlen);
        break;
    case SAMI_XFER_L2_DUP:
        l->stats.dup_rx++;
        send_ack(l, p, peer, f);
        break;
    case SAMI_ERR_ORDER:
        l->stats.gap_rx++; /* the sender goes back to the gap */
        break;
    case SAMI_ERR_TOOBIG:
        l->stats.toobig_rx++;
        break;
    default:
        l->stats.bad_rx++;
        break;
    }
}

int sami_xfer_link_input(struct sami_xfer_link *l, sami_usec_t now, int peer,
                         const uint8_t *frame, size_t len)
{
    struct sami_xfer_link_peer *p = peer_get(l, peer);
    struct sami_xfer_l2_frame f;
    if (!p)
        return l ? SAMI_ERR_NOTFOUND : SAMI_ERR_INVAL;
    int rc = sami_xfer_l2_decode(frame, len, &f, NULL);
    if (rc) {
        l->stats.bad_rx++;
        return rc;
    }
    if (f.op == SAMI_XFER_L2_ACK)
        on_ack(l, p, peer, now, &f);
    else
        on_data(l, p, peer, now, &f);
    return 0;
}

sami_usec_t sami_xfer_link_next_deadline(const struct sami_xfer_link *l)
{
    sami_usec_t d = SAMI_NO_DEADLINE;
    if (!l)
        return d;
    for (size_t i = 0; i < l->npeers; i++) {
        const struct sami_xfer_link_peer *p = &l->peers[i];
        if (p->used && p->active && p->deadline < d)
            d = p->deadline;
    }
    return d;
}

void sami_xfer_link_run(struct sami_xfer_link *l, sami_usec_t now)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->npeers; i++) {
        struct sami_xfer_link_peer *p = &l->peers[i];
        if (!p->used || !p->active || p->deadline > now)
            continue;
        p->deadline = SAMI_NO_DEADLINE;
        if (++p->tries > l->cfg.retries) {
            uint32_t ticket = p->ticket_head;
            l->stats.msgs_failed++;
            pop_head(p);
            if (l->cfg.error)
                l->cfg.error(l->cfg.up_ctx, now, (int)i, p->handle, ticket, SAMI_ERR_RETRIES);
            if (p->used && !p->active)
                pump(l, p, (int)i, now);
            continue;
        }
        /* go back N: resend from the oldest unacknowledged fragment */
        l->stats.frames_retx += (uint64_t)(p->sent - p->acked);
        p->frames_retx += (uint64_t)(p->sent - p->acked);
        /* Nothing acknowledged: the message may be rewritten; new content
         * must not mix with fragments of the old one at the receiver, so it
         * goes under fresh sequence numbers. That drops what the receiver
         * holds of a multi-fragment message and any late ACK: not before the
         * second timeout in a row (the first is often just a late ACK). */
        if (p->acked == 0 && (p->nfrag == 1 || p->tries >= 2) && starting(l, p, (int)i, now))
            p->first_seq = sami_xfer_l2_seq_add(p->first_seq, p->nfrag);
        p->sent = p->acked;
        pump(l, p, (int)i, now);
    }
}

uint32_t sami_xfer_link_pending(const struct sami_xfer_link *l, int peer)
{
    const struct sami_xfer_link_peer *p = peer_get(l, peer);
    return p ? p->qcount : 0;
}

sami_usec_t sami_xfer_link_rx_first_at(const struct sami_xfer_link *l, int peer)
{
    const struct sami_xfer_link_peer *p = peer_get(l, peer);
    return p ? p->rx_first_at : 0;
}

uint64_t sami_xfer_link_peer_retx(const struct sami_xfer_link *l, int peer)
{
    const struct sami_xfer_link_peer *p = peer_get(l, peer);
    return p ? p->frames_retx : 0;
}

const struct sami_xfer_link_stats *sami_xfer_link_stats(const struct sami_xfer_link *l)
{
    return l ? &l->stats : NULL;
}
