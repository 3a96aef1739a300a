/* Reliability layer of the L2 transfer binding (ethertype 0x88B5):
 * per-peer sequencing, acknowledgement, retransmission, fragmentation and
 * reassembly of whole transfer messages (docs/ENGINES-TRANSFER.md, "L2 link").
 *
 * Sans-I/O: frames leave through cfg.tx_frame, frames come in through
 * sami_xfer_link_input(), whole messages go up through cfg.deliver, time is
 * an argument and sami_xfer_link_next_deadline()/sami_xfer_link_run() drive
 * the timers. All memory is the caller's: the peer table at init and two
 * buffers per peer (transmit queue, reassembly) at add_peer.
 *
 * Sending discipline (what the receiver relies on, xfer_l2.h):
 *  - one message in flight per peer; its fragments use consecutive 16-bit
 *    sequence numbers (start 1, skip 0);
 *  - within the message a go-back-N window of cfg.window fragments
 *    (window 1 = ECP-style stop-and-wait); the receiver acknowledges only
 *    in-order fragments, so an ACK of fragment i acknowledges 0..i;
 *  - the oldest unacknowledged fragment has a timer (cfg.rto); on expiry the
 *    window is resent from it; cfg.retries expiries without progress give
 *    the message up (cfg.error, SAMI_ERR_RETRIES) and the next one starts;
 *  - the next message starts only when every fragment of the previous one
 *    is acknowledged, so a fragment 0 always marks a message boundary and a
 *    receiver can resynchronise on it after loss, give-up or restart.
 * Receiving: duplicates are acknowledged again and ignored (also fragment-0
 * duplicates of the last SAMI_XFER_LINK_RECENT messages, for
 * cfg.dup_hold); gaps are dropped unacknowledged (the sender goes back). */
#ifndef SAMI_XFER_LINK_H
#define SAMI_XFER_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "sami/error.h"
#include "sami/types.h"
#include "sami/xfer_l2.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_XFER_LINK_WINDOW_MAX 64  /* fragments in flight per peer */
#define SAMI_XFER_LINK_RECENT 8       /* completed messages remembered for dup detection */
#define SAMI_XFER_LINK_QHDR 4         /* queue overhead per message (length prefix) */

struct sami_xfer_link_cfg {
    /* Ethernet payload octets per frame (<= 1500, > 12); 0 = 1500. */
    size_t mtu;
    /* Fragments in flight per peer, 1..SAMI_XFER_LINK_WINDOW_MAX; 0 = 8. */
    unsigned window;
    /* Retransmission timeout of the oldest unacknowledged fragment; 0 = 10 ms. */
    sami_usec_t rto;
    /* Timeouts in a row without progress before a message is given up; 0 = 8. */
    unsigned retries;
    /* How long a completed message's fragment 0 counts as a duplicate
     * (after that a peer restarting at the same sequence is believed);
     * 0 = rto * (retries + 1). */
    sami_usec_t dup_hold;

    /* One frame out: the PDU after the Ethernet header (magic first),
     * zero-padded to 46 octets. The host adds dst = the peer's transfer
     * MAC, src, ethertype 0x88B5. frame is valid during the call only. */
    void (*tx_frame)(void *ctx, int peer, void *handle, const uint8_t *frame, size_t len);
    /* One whole message in (not yet authenticated: hand it to
     * sami_xfer_engine_input / sami_xfer_open). msg is valid during the
     * call only. */
    void (*deliver)(void *ctx, sami_usec_t now, int peer, void *handle, const uint8_t *msg,
                    size_t len);
    /* A queued message was given up (SAMI_ERR_RETRIES). Optional. ticket is
     * what sami_xfer_link_send returned for it. */
    void (*error)(void *ctx, sami_usec_t now, int peer, void *handle, uint32_t ticket, int code);
    /* A message is about to go out from its first fragment: when it
     * becomes the one in flight, and again when nothing of it was
     * acknowledged by a retransmission timeout (a message of several
     * fragments: from the second such timeout in a row). The message sits in the
     * queue as up to two segments (a then b; blen 0 when it does not wrap),
     * writable: the sender may rewrite it in place, keeping its length, and
     * then returns 1 (the transfer engine refreshes the snapshot age of a
     * batch and signs it again, so time spent waiting here or resending
     * does not end up in the destination's timers). A message rewritten on
     * a retransmission is sent again under fresh sequence numbers: the
     * receiver drops a partial message when a new fragment 0 comes, and a
     * copy it had already received whole is a replay to the engine above.
     * Optional; must not call into the link. */
    int (*starting)(void *ctx, sami_usec_t now, int peer, void *handle, uint32_t ticket,
                    uint8_t *a, size_t alen, uint8_t *b, size_t blen);
    void *tx_ctx; /* for tx_frame */
    void *up_ctx; /* for deliver and error (sami_xfer_engine_create sets it) */
};

struct sami_xfer_link_stats {
    uint64_t msgs_queued;     /* accepted by sami_xfer_link_send */
    uint64_t msgs_sent;       /* fully acknowledged */
    uint64_t msgs_failed;     /* given up after retries */
    uint64_t msgs_delivered;  /* reassembled and handed to deliver */
    uint64_t queue_full;      /* sends refused: SAMI_ERR_NOBUFS */
    uint64_t frames_tx;       /* DATA frames sent, retransmissions included */
    uint64_t frames_retx;     /* DATA frames resent */
    uint64_t acks_tx;
    uint64_t acks_rx;         /* ACKs that acknowledged something */
    uint64_t acks_stale;      /* ACKs for nothing outstanding */
    uint64_t frames_rx;       /* DATA frames received (valid) */
    uint64_t dup_rx;          /* duplicates: acknowledged again, ignored */
    uint64_t gap_rx;          /* out of order: dropped, not acknowledged */
    uint64_t bad_rx;          /* undecodable or inconsistent frames */
    uint64_t toobig_rx;       /* messages larger than the reassembly buffer */
    uint64_t resyncs;         /* message in progress abandoned for a new one */
};

/* Per-peer state; an array of these is handed to init. Opaque. */
struct sami_xfer_link_peer {
    int used;
    void *handle;
    /* transmit queue: ring of [len(4) | message] entries */
    uint8_t *q;
    size_t qcap, qhead, qlen;
    uint32_t qcount;
    uint32_t ticket_head; /* ticket of the message at the head */
    uint32_t ticket_next;
    /* message in flight (the head entry) */
    int active;
    size_t msg_off; /* ring offset of its first octet */
    size_t msg_len;
    uint16_t nfrag, acked, sent; /* fragments: total, acknowledged, sent once */
    uint16_t first_seq;          /* sequence of fragment 0 */
    uint16_t next_seq;           /* sequence of the next message's fragment 0 */
    unsigned tries;
    sami_usec_t deadline;
    uint64_t frames_retx; /* DATA frames resent to this peer (RTT samples, Karn) */
    /* receive */
    struct sami_xfer_l2_reasm ra;
    struct {
        uint16_t first_seq, count;
        sami_usec_t at;
    } recent[SAMI_XFER_LINK_RECENT];
    unsigned recent_next;
    sami_usec_t rx_first_at; /* arrival of fragment 0 of the message being assembled */
};

struct sami_xfer_link {
    struct sami_xfer_link_cfg cfg;
    struct sami_xfer_link_peer *peers;
    size_t npeers;
    struct sami_xfer_link_stats stats;
    uint8_t frame[1500];
};

/* 0, or SAMI_ERR_INVAL (bad cfg: mtu, window, missing tx_frame/deliver,
 * NULL peers with max_peers > 0). */
int sami_xfer_link_init(struct sami_xfer_link *l, const struct sami_xfer_link_cfg *cfg,
                        struct sami_xfer_link_peer *peers, size_t max_peers);

/* Adds a peer; returns its id (index into the peer table) or SAMI_ERR_LIMIT
 * (table full) / SAMI_ERR_INVAL. txq holds queued messages (each takes
 * len + 4 octets; must be able to hold the largest message the caller
 * sends); rxbuf is the reassembly buffer (its size = the largest message
 * accepted from this peer). handle is passed back in callbacks. */
int sami_xfer_link_add_peer(struct sami_xfer_link *l, void *handle, uint8_t *txq, size_t txq_cap,
                            uint8_t *rxbuf, size_t rxbuf_cap);
/* Drops the peer (its queue is discarded without error callbacks). */
int sami_xfer_link_remove_peer(struct sami_xfer_link *l, int peer);
/* Forgets sequence and reassembly state and the queue of a peer, e.g.
 * when the host knows it restarted; the next message starts at sequence 1. */
int sami_xfer_link_peer_reset(struct sami_xfer_link *l, int peer);

/* Queues one whole transfer message (copied). Returns a ticket (>= 0, for
 * the error callback) or SAMI_ERR_NOBUFS (queue full: nothing queued),
 * SAMI_ERR_TOOBIG (more than 65535 fragments or larger than the queue),
 * SAMI_ERR_INVAL / SAMI_ERR_NOTFOUND. Frames may go out before it returns. */
int64_t sami_xfer_link_send(struct sami_xfer_link *l, sami_usec_t now, int peer,
                            const uint8_t *msg, size_t len);

/* One received PDU (after the Ethernet header; padding allowed) from a
 * peer. May call tx_frame (acks, next fragments) and deliver. Returns 0,
 * or the decode error for a frame that was not a valid sami L2 PDU
 * (counted, dropped). */
int sami_xfer_link_input(struct sami_xfer_link *l, sami_usec_t now, int peer,
                         const uint8_t *frame, size_t len);

/* Earliest retransmission deadline, SAMI_NO_DEADLINE when idle. */
sami_usec_t sami_xfer_link_next_deadline(const struct sami_xfer_link *l);
/* Fires every timer due at or before now. */
void sami_xfer_link_run(struct sami_xfer_link *l, sami_usec_t now);

/* Messages waiting or in flight for a peer (0 for a bad id). */
uint32_t sami_xfer_link_pending(const struct sami_xfer_link *l, int peer);
/* Inside cfg.deliver: when fragment 0 of the message being delivered
 * arrived (its completion may come later: more fragments, resends).
 * 0 for a bad id. */
sami_usec_t sami_xfer_link_rx_first_at(const struct sami_xfer_link *l, int peer);
/* DATA frames resent to a peer so far (0 for a bad id). A round trip
 * measured while this moved may include a resend: no sample (Karn). */
uint64_t sami_xfer_link_peer_retx(const struct sami_xfer_link *l, int peer);
const struct sami_xfer_link_stats *sami_xfer_link_stats(const struct sami_xfer_link *l);

#ifdef __cplusplus
}
#endif
#endif
