/* L2 binding of the transfer subprotocol (ethertype 0x88B5), after the
 * Ethernet header (docs/PROTOCOL.md section 6):
 *
 *  magic(2)='S''M' | version(1)=1 | op(1): 1 DATA, 2 ACK |
 *  sequence(2) (per direction, starts at 1, skips 0) |
 *  fragment index(2) | fragment count(2) (>= 1) | payload length(2) | payload
 *
 * A transfer message is cut into fragments (sami_xfer_l2_frag_*); fragment
 * i of a message travels with sequence first + i (mod 2^16, skipping 0).
 * Each DATA frame is acknowledged by an ACK with the same sequence, index
 * and count and no payload. Frames are zero-padded to the 60-octet Ethernet
 * minimum, i.e. this PDU to 46 octets.
 *
 * Reassembly (struct sami_xfer_l2_reasm) requires in-order delivery: the
 * sender keeps fragment i + 1 back until i is acknowledged (or retransmits
 * from the first unacknowledged one), so the receiver needs no per-fragment
 * bitmap and its state is a few integers plus the caller's buffer. */
#ifndef SAMI_XFER_L2_H
#define SAMI_XFER_L2_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_XFER_L2_ETHERTYPE 0x88B5u
#define SAMI_XFER_L2_MAGIC 0x534Du /* 'S' 'M' */
#define SAMI_XFER_L2_VERSION 1
#define SAMI_XFER_L2_HDR_LEN 12
#define SAMI_XFER_L2_MAX_PAYLOAD (1500u - SAMI_XFER_L2_HDR_LEN) /* 1488 */
#define SAMI_XFER_L2_MIN_PDU 46 /* 60-octet frame minus the 14-octet Ethernet header */

enum sami_xfer_l2_op {
    SAMI_XFER_L2_DATA = 1,
    SAMI_XFER_L2_ACK = 2
};

struct sami_xfer_l2_frame {
    uint8_t version;        /* SAMI_XFER_L2_VERSION */
    uint8_t op;             /* enum sami_xfer_l2_op */
    uint16_t seq;           /* 1..65535 */
    uint16_t frag_index;    /* < frag_count */
    uint16_t frag_count;    /* >= 1 */
    uint16_t payload_len;   /* DATA: 1..1488; ACK: 0 */
    const uint8_t *payload; /* view into the frame */
};

/* Decode checks: magic -> SAMI_ERR_TYPE, version -> VERSION, op not 1/2,
 * sequence 0, count 0, index >= count -> VALUE, payload length > 1488 ->
 * TOOBIG, overrunning the frame -> LENGTH, ACK with payload or DATA without
 * -> LENGTH. After the payload only zero padding up to 46 octets is allowed
 * (else TRAILING). *out is untouched on error. */
int sami_xfer_l2_decode(const uint8_t *buf, size_t len, struct sami_xfer_l2_frame *out,
                        struct sami_err *err);
/* Reads one frame from r (no padding handling: the caller's window). */
int sami_xfer_l2_read(struct sami_rd *r, struct sami_xfer_l2_frame *out);

/* Encodes and zero-pads to SAMI_XFER_L2_MIN_PDU. Invalid input (same rules
 * as decode) -> SAMI_ERR_VALUE / SAMI_ERR_INVAL, nothing written. */
int sami_xfer_l2_encode(const struct sami_xfer_l2_frame *in, uint8_t *buf, size_t cap,
                        size_t *len);
/* Unpadded frame into w; returns 0 or VALUE/INVAL (nothing written). */
int sami_xfer_l2_write(struct sami_wr *w, const struct sami_xfer_l2_frame *in);

/* Sequence after s: wraps 65535 -> 1 (0 is skipped). */
uint16_t sami_xfer_l2_seq_next(uint16_t s);
/* Sequence n steps after s with the same wrap rule. */
uint16_t sami_xfer_l2_seq_add(uint16_t s, uint32_t n);

/* ---- fragmentation ----
 * mtu = Ethernet payload octets available per frame (1500 usual, capped at
 * 1500); each fragment carries min(mtu, 1500) - 12 octets, the last one the
 * rest. mtu <= 12 or msg_len 0 -> INVAL; more than 65535 fragments -> TOOBIG. */
int sami_xfer_l2_frag_count(size_t msg_len, size_t mtu, uint16_t *count);
/* [*off, *off + *len) of fragment index (index >= count -> INVAL). */
int sami_xfer_l2_frag_range(size_t msg_len, size_t mtu, uint16_t index, size_t *off,
                            size_t *len);

/* ---- reassembly (in order) ---- */

enum sami_xfer_l2_reasm_result {
    SAMI_XFER_L2_MORE = 0,     /* fragment accepted: acknowledge it, wait for the next */
    SAMI_XFER_L2_COMPLETE = 1, /* message complete in *msg: acknowledge it */
    SAMI_XFER_L2_DUP = 2       /* already had it (a retransmission): acknowledge again */
};

struct sami_xfer_l2_reasm {
    uint8_t *buf;
    size_t cap;          /* buffer size = largest message accepted */
    size_t have;         /* octets assembled so far */
    uint16_t count;      /* fragment count of the message in progress; 0 = idle */
    uint16_t next;       /* next expected index */
    uint16_t first_seq;  /* sequence of fragment 0 */
    uint16_t done_first; /* last completed message: first sequence... */
    uint16_t done_count; /* ...and fragment count (0 = none), to re-ack its retransmissions */
};

void sami_xfer_l2_reasm_init(struct sami_xfer_l2_reasm *ra, uint8_t *buf, size_t cap);
/* Feeds one decoded DATA frame. Returns enum sami_xfer_l2_reasm_result or:
 *  SAMI_ERR_INVAL  not a DATA frame;
 *  SAMI_ERR_ORDER  index ahead of the next expected (a gap: do not ack,
 *                  the sender retransmits), or a non-zero index while idle;
 *  SAMI_ERR_VALUE  inconsistent with the message in progress (other count,
 *                  sequence != first + index); the frame is dropped and
 *                  the state kept;
 *  SAMI_ERR_TOOBIG the message would exceed cap: state reset to idle.
 * An index-0 frame with a new sequence while a message is in progress
 * abandons it and starts over (the peer restarted or gave up on it).
 * On COMPLETE, *msg and *msg_len point into the caller's buffer, valid until the
 * next push. Never writes outside [buf, buf + cap). */
int sami_xfer_l2_reasm_push(struct sami_xfer_l2_reasm *ra, const struct sami_xfer_l2_frame *f,
                            const uint8_t **msg, size_t *msg_len);
/* Drops any message in progress (e.g. on a reassembly timeout). */
void sami_xfer_l2_reasm_reset(struct sami_xfer_l2_reasm *ra);

#ifdef __cplusplus
}
#endif
#endif
