/* ECP engine (IEEE 802.1Qbg-2012 clause 43), sans-I/O.
 *
 * One engine per port: a stop-and-wait transmitter (one request in flight, a
 * bounded FIFO of ULPDUs behind it, ack timer 10 us * 2^RTE, R retries) and a
 * receiver (acks every request, delivers each new ULPDU once, suppresses
 * duplicates). No clock, no sockets, no malloc: time comes in as `now`
 * (microseconds), frames leave through cb.tx, the queue lives in
 * caller-provided slots.
 *
 * Driving it:
 *   sami_ecp_engine_input()          every received frame with ethertype 0x8940
 *   sami_ecp_engine_next_deadline()  when to call run next (SAMI_NO_DEADLINE: idle)
 *   sami_ecp_engine_run()            at (or after) that time: retransmits, gives up
 *   sami_ecp_engine_send()           queue a ULPDU
 *
 * deliver/acked/error may call back into the engine (e.g. send a response
 * from deliver); the engine is consistent whenever it calls out. cb.tx must
 * not (it only hands the frame to the wire). Frames given to cb.tx and
 * ULPDUs given to cb.deliver are valid only during the call.
 * See docs/ENGINES-VDP.md. */
#ifndef SAMI_ECP_ENGINE_H
#define SAMI_ECP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/ecp.h"
#include "sami/error.h"
#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest ULPDU: a 1500-octet Ethernet payload minus the ECP header. */
#define SAMI_ECP_ENGINE_MAX_ULPDU 1496u
/* Largest frame the engine builds: 14 + 4 + 1496. */
#define SAMI_ECP_ENGINE_MAX_FRAME 1514u
/* Receiver memory of recently delivered sequence numbers (stale duplicates). */
#define SAMI_ECP_ENGINE_RX_HISTORY 16u
/* Floor of the default duplicate window (see dup_window_us). */
#define SAMI_ECP_ENGINE_DUP_WINDOW_MIN SAMI_SEC(1)

/* lldpad 1.1 defaults (qbg/ecp22.c): 3 retries, RTE 8 (2.56 ms). */
#define SAMI_ECP_ENGINE_DEFAULT_R 3u
#define SAMI_ECP_ENGINE_DEFAULT_RTE 8u
#define SAMI_ECP_ENGINE_MAX_R 7u     /* 3-bit field in the EVB TLV */
#define SAMI_ECP_ENGINE_MAX_RTE 31u  /* 5-bit field */

/* One queued ULPDU. The caller provides an array of these; the engine owns
 * their contents. nslots counts the request in flight too. */
struct sami_ecp_slot {
    uint32_t token;
    uint16_t subtype;
    uint16_t len;
    uint8_t data[SAMI_ECP_ENGINE_MAX_ULPDU];
};

struct sami_ecp_engine_config {
    uint8_t mac[6];   /* our source address */
    uint8_t dst[6];   /* request destination; default 01:80:c2:00:00:00 */
    uint16_t subtype; /* the ULP we carry and accept; default 1 (VDP) */
    uint8_t r;        /* max retries (0..7) */
    uint8_t rte;      /* ack timer exponent (0..31): 10 us * 2^rte */
    /* How long a delivered sequence number keeps suppressing copies of
     * itself. 0 = derived: max(2 * (R + 1) * ackTime, 1 s). */
    sami_usec_t dup_window_us;
    /* Sequence number of the first request (0 = 1, as lldpad). A station
     * that restarts against a bridge still holding its last number should
     * start elsewhere (e.g. at random): a request numbered like the last
     * one the bridge saw is taken as a duplicate, acked and dropped. Later
     * requests count up from it, wrapping 65535 -> 1. */
    uint16_t initial_seq;
};

struct sami_ecp_engine_callbacks {
    /* A whole Ethernet frame to put on the wire. Required. */
    void (*tx)(void *ctx, const uint8_t *frame, size_t len);
    /* A new ULPDU from the peer (src = the peer's MAC). The view runs to the
     * end of the frame, Ethernet padding included. Optional. */
    void (*deliver)(void *ctx, sami_usec_t now, uint16_t subtype, const uint8_t src[6],
                    const uint8_t *ulpdu, size_t len);
    /* The ULPDU with this token was acknowledged. Optional. */
    void (*acked)(void *ctx, sami_usec_t now, uint32_t token);
    /* The ULPDU with this token was dropped: SAMI_ERR_RETRIES (no ack after
     * R retries) or SAMI_ERR_ABORTED (sami_ecp_engine_flush). Optional. */
    void (*error)(void *ctx, sami_usec_t now, uint32_t token, int code);
    void *ctx;
};

struct sami_ecp_engine_counters {
    uint64_t tx_requests;   /* request frames sent, retransmissions included */
    uint64_t tx_acks;       /* ack frames sent */
    uint64_t rx_requests;   /* request frames received (well-formed) */
    uint64_t rx_acks;       /* ack frames received (well-formed) */
    uint64_t queued;        /* ULPDUs accepted by send */
    uint64_t acked;         /* ULPDUs acknowledged */
    uint64_t delivered;     /* ULPDUs delivered up */
    uint64_t retries;       /* retransmissions */
    uint64_t errors;        /* ULPDUs dropped after R retries */
    uint64_t aborted;       /* ULPDUs dropped by flush */
    uint64_t duplicates;    /* requests acked but not delivered */
    uint64_t stale_acks;    /* acks for nothing in flight */
    uint64_t bad_frames;    /* short, wrong ethertype/version/op/subtype */
    uint64_t queue_full;    /* sends refused with SAMI_ERR_LIMIT */
};

struct sami_ecp_rx_seen {
    sami_usec_t at;
    uint16_t seq;
    bool valid;
};

/* Treat as opaque; allocated by the caller. */
struct sami_ecp_engine {
    struct sami_ecp_engine_config cfg;
    struct sami_ecp_engine_callbacks cb;
    struct sami_ecp_slot *slots;
    size_t nslots;
    size_t head;            /* oldest queued ULPDU (the one in flight, if any) */
    size_t count;           /* queued ULPDUs, in flight included */
    uint32_t next_token;
    /* transmitter */
    bool in_flight;
    bool hold;              /* flush in progress: do not start the next ULPDU */
    uint16_t tx_seq;        /* sequence of the ULPDU in flight / last sent */
    uint8_t tx_retries;     /* retransmissions of the ULPDU in flight */
    sami_usec_t ack_deadline;
    /* receiver */
    struct sami_ecp_rx_seen seen[SAMI_ECP_ENGINE_RX_HISTORY];
    size_t seen_next;
    struct sami_ecp_engine_counters stats;
    uint8_t frame[SAMI_ECP_ENGINE_MAX_FRAME];
};

/* Fills cfg with the defaults (zero MAC, group destination, subtype VDP,
 * R 3, RTE 8, derived duplicate window). */
void sami_ecp_engine_config_default(struct sami_ecp_engine_config *cfg);

/* Starts an engine: sequence numbers begin at 1, the receiver takes the next
 * request as new whatever its number. 0, or SAMI_ERR_INVAL (NULL, no tx
 * callback, no slots) / SAMI_ERR_VALUE (r > 7, rte > 31, subtype > 0x3ff). */
int sami_ecp_engine_init(struct sami_ecp_engine *e, const struct sami_ecp_engine_config *cfg,
                         const struct sami_ecp_engine_callbacks *cb, struct sami_ecp_slot *slots,
                         size_t nslots);

/* Applies negotiated R and RTE (e.g. from sami_evb_negotiate). R counts for the
 * request in flight at once; RTE from the next timer armed. 0 or
 * SAMI_ERR_VALUE. */
int sami_ecp_engine_set_params(struct sami_ecp_engine *e, uint8_t r, uint8_t rte);

/* Queues a ULPDU (copied) and transmits it at once when nothing is in flight.
 * 0 with *token (may be NULL) = the id later given to acked/error;
 * SAMI_ERR_LIMIT when every slot is taken; SAMI_ERR_TOOBIG above
 * SAMI_ECP_ENGINE_MAX_ULPDU; SAMI_ERR_INVAL for NULL with a length. */
int sami_ecp_engine_send(struct sami_ecp_engine *e, sami_usec_t now, const uint8_t *ulpdu,
                         size_t len, uint32_t *token);

/* One received Ethernet frame (dst, src, ethertype, ECP header, payload).
 * Requests are acked (to the frame's source) and, when new, delivered; an ack
 * for the request in flight completes it and starts the next one. Returns 0,
 * or the reason the frame was ignored (counted in bad_frames):
 * SAMI_ERR_TRUNCATED, SAMI_ERR_TYPE (ethertype), SAMI_ERR_VERSION,
 * SAMI_ERR_VALUE (op), SAMI_ERR_UNSUPPORTED (another subtype: not acked,
 * as lldpad). */
int sami_ecp_engine_input(struct sami_ecp_engine *e, sami_usec_t now, const uint8_t *frame,
                          size_t len);

/* The ack deadline of the request in flight, or SAMI_NO_DEADLINE. Pure. */
sami_usec_t sami_ecp_engine_next_deadline(const struct sami_ecp_engine *e);

/* Fires the ack timer if due: retransmit (the next deadline is now + ackTime),
 * or after R retries drop the ULPDU, report SAMI_ERR_RETRIES and send the
 * next one. */
void sami_ecp_engine_run(struct sami_ecp_engine *e, sami_usec_t now);

/* Drops every queued ULPDU (in flight included), reporting SAMI_ERR_ABORTED
 * for each, e.g. when the link goes down. The sequence number carries on. */
void sami_ecp_engine_flush(struct sami_ecp_engine *e, sami_usec_t now);

/* Forgets what the receiver delivered, so the next request is new whatever
 * its number: call it when the peer is known to have restarted (its
 * sequence numbers start again at 1). */
void sami_ecp_engine_peer_reset(struct sami_ecp_engine *e);

/* Timer values in microseconds for the current parameters. */
sami_usec_t sami_ecp_engine_ack_time(const struct sami_ecp_engine *e);
sami_usec_t sami_ecp_engine_dup_window(const struct sami_ecp_engine *e);

/* ULPDUs queued (in flight included) and free slots. */
size_t sami_ecp_engine_queued(const struct sami_ecp_engine *e);

static inline const struct sami_ecp_engine_counters *
sami_ecp_engine_stats(const struct sami_ecp_engine *e)
{
    return &e->stats;
}

#ifdef __cplusplus
}
#endif
#endif
