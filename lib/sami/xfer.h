/* Bridge-to-bridge transfer messages (docs/PROTOCOL.md section 6).
 *
 *  0 version(1)=1 | 1 type(1) | 2 flags(2) | 4 body length(4) |
 *  8 sender bridge id(8) | 16 migration id(8) |
 * 24 body: elements type(2) length(2) value ...          (body length octets)
 *    trailer (26): key id(2) | sequence(8) |
 *                  HMAC-SHA-256(header|body|key id|sequence)[0..16)
 *
 * Receiving: sami_xfer_open() is the only call whose result may be acted
 * on. It checks the header, finds the key, verifies the MAC in constant
 * time, checks and then advances the replay window, and validates the body;
 * any failure leaves *out zeroed (fail closed). sami_xfer_decode() does
 * the same structural checks WITHOUT authentication, for dissectors and
 * tests only.
 *
 * Sending: sami_xfer_build_begin(), sami_xfer_build_<element>()...,
 * sami_xfer_build_finish() (signs). Or sami_xfer_encode() a header + ready
 * body and sami_xfer_seal() it.
 *
 * Body elements are zero-copy views into the message buffer; walk them with
 * struct sami_xfer_iter and decode the known ones with sami_xfer_read_*().
 * Unknown element types are yielded as opaque views so callers can skip. */
#ifndef SAMI_XFER_H
#define SAMI_XFER_H

#include <stddef.h>
#include <stdint.h>

#include "sami/cursor.h"
#include "sami/error.h"
#include "sami/hmac.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_XFER_VERSION 1
#define SAMI_XFER_HDR_LEN 24
#define SAMI_XFER_TAG_LEN 16     /* truncated HMAC-SHA-256 */
#define SAMI_XFER_TRAILER_LEN 26 /* key id(2) + sequence(8) + tag(16) */
#define SAMI_XFER_OVERHEAD (SAMI_XFER_HDR_LEN + SAMI_XFER_TRAILER_LEN) /* 50 */
#define SAMI_XFER_MAX_BODY_DEFAULT (16u * 1024u * 1024u)                /* 16 MiB */
#define SAMI_XFER_ELEM_HDR_LEN 4
#define SAMI_XFER_ELEM_MAX 65535u

enum sami_xfer_type {
    SAMI_XFER_HELLO = 1,
    SAMI_XFER_PRECOPY = 2,
    SAMI_XFER_DELTA = 3,
    SAMI_XFER_COMMIT = 4,
    SAMI_XFER_RESULT = 5,
    SAMI_XFER_ACTIVATE = 6,
    SAMI_XFER_PURGE = 7,
    SAMI_XFER_ABORT = 8,
    SAMI_XFER_ACK = 9,
    SAMI_XFER_TYPE_MAX = 9
};

#define SAMI_XFER_F_LAST 0x0001u     /* last batch of its phase */
#define SAMI_XFER_F_RESPONSE 0x0002u /* answers a request of the same type */
#define SAMI_XFER_F_ALL 0x0003u      /* other flag bits must be 0 (SAMI_ERR_VALUE) */

enum sami_xfer_elem_type {
    SAMI_XFER_E_CAPS = 0x0001,          /* HELLO */
    SAMI_XFER_E_NAME = 0x0002,          /* HELLO */
    SAMI_XFER_E_VM_ID = 0x0003,         /* PRECOPY/DELTA/COMMIT */
    SAMI_XFER_E_GENERATION = 0x0004,    /* PRECOPY/DELTA */
    SAMI_XFER_E_COUNTS = 0x0005,        /* COMMIT/RESULT */
    SAMI_XFER_E_DIGEST = 0x0006,        /* COMMIT/RESULT */
    SAMI_XFER_E_STATUS = 0x0007,        /* RESULT/ACTIVATE/PURGE/ABORT */
    SAMI_XFER_E_TYPE_RESULT = 0x0008,   /* RESULT, repeatable */
    SAMI_XFER_E_SNAPSHOT_TIME = 0x0009, /* PRECOPY/DELTA/COMMIT */
    SAMI_XFER_E_ACKED_SEQ = 0x000A,     /* ACK: sequence(8) of the acked message */
    SAMI_XFER_E_DI_BASE = 0x0100        /* 0x0100 | DI type (1..255): one DI record */
};
#define SAMI_XFER_E_DI(t) ((uint16_t)(0x0100u | ((unsigned)(t)&0xffu)))
/* 1 for 0x0101..0x01ff (0x0100 = DI type 0 does not exist: opaque/unknown). */
#define SAMI_XFER_E_IS_DI(et) (((et)&0xff00u) == 0x0100u && ((et)&0xffu) != 0)

/* Fixed element value lengths (exact; anything else is SAMI_ERR_LENGTH). */
#define SAMI_XFER_CAPS_LEN 14
#define SAMI_XFER_NAME_MAX 64
#define SAMI_XFER_VM_ID_LEN 21
#define SAMI_XFER_GENERATION_LEN 16
#define SAMI_XFER_COUNT_ENTRY_LEN 6
#define SAMI_XFER_DIGEST_LEN 8
#define SAMI_XFER_STATUS_LEN 4
#define SAMI_XFER_TYPE_RESULT_LEN 12
#define SAMI_XFER_SNAPSHOT_TIME_LEN 4
#define SAMI_XFER_ACKED_SEQ_LEN 8

/* Status and reason values (shared with the VDP feedback per-DI-type result). */
enum sami_xfer_status {
    SAMI_XFER_ST_OK = 0,
    SAMI_XFER_ST_PARTIAL = 1,
    SAMI_XFER_ST_FAILED = 2,
    SAMI_XFER_ST_UNSUPPORTED = 3,
    SAMI_XFER_ST_TIMEOUT = 4,
    SAMI_XFER_ST_MAX = 4
};
enum sami_xfer_reason {
    SAMI_XFER_R_NONE = 0,
    SAMI_XFER_R_LIMIT = 1,
    SAMI_XFER_R_AUTH = 2,
    SAMI_XFER_R_UNREACHABLE = 3,
    SAMI_XFER_R_REJECTED = 4, /* rejected by destination (unsolicited) */
    SAMI_XFER_R_DIGEST = 5,
    SAMI_XFER_R_DEADLINE = 6,
    SAMI_XFER_R_ABORTED = 7,
    SAMI_XFER_R_VERSION = 8,
    SAMI_XFER_R_INTERNAL = 9,
    SAMI_XFER_R_MAX = 9
};

/* 802.1D-style bridge id: priority(2) + MAC(6). */
struct sami_xfer_bridge_id {
    uint16_t priority;
    uint8_t mac[6];
};

struct sami_xfer_hdr {
    uint8_t version; /* SAMI_XFER_VERSION */
    uint8_t type;    /* enum sami_xfer_type */
    uint16_t flags;  /* SAMI_XFER_F_* */
    uint32_t body_len;
    struct sami_xfer_bridge_id sender;
    uint64_t migration_id;
};

/* A parsed message. Views point into the caller's buffer. */
struct sami_xfer_msg {
    struct sami_xfer_hdr hdr;
    const uint8_t *body; /* hdr.body_len octets at offset 24 */
    uint16_t key_id;
    uint64_t seq;
    uint8_t tag[SAMI_XFER_TAG_LEN];
    size_t total_len; /* 24 + body_len + 26 */
    int verified;     /* 1 only when produced by sami_xfer_open() */
};

/* ---- keys, keyring, replay window ---- */

#define SAMI_XFER_MAX_KEYS 2 /* at most two keys valid at once (key roll) */
#define SAMI_XFER_KEY_MIN 16 /* octets; keys are random bytes, never passwords */
#define SAMI_XFER_KEY_MAX 64

struct sami_xfer_key {
    uint16_t id;   /* 1..65535; 0 = empty slot */
    uint8_t len;   /* SAMI_XFER_KEY_MIN..SAMI_XFER_KEY_MAX */
    uint8_t bytes[SAMI_XFER_KEY_MAX];
    /* Validity in the caller's time base (the now_ms given to open):
     * valid while not_before_ms <= now_ms < not_after_ms; not_after_ms 0 =
     * no end. Both 0 = always valid. */
    uint64_t not_before_ms;
    uint64_t not_after_ms;
};

struct sami_xfer_keyring {
    struct sami_xfer_key keys[SAMI_XFER_MAX_KEYS];
    const struct sami_hmac_provider *hmac; /* NULL -> sami_hmac_default() */
};

/* Sliding anti-replay window over 64-bit sequences (which start at 1; 0 is
 * never valid). highest = largest accepted sequence; bit i of bitmap set =
 * sequence highest - i accepted. All-zero = nothing seen yet. */
struct sami_replay_window {
    uint64_t highest;
    uint64_t bitmap;
};
#define SAMI_REPLAY_WINDOW_SIZE 64

/* 0 if seq is acceptable (newer than highest, or within the 64 below it and
 * not yet seen), SAMI_ERR_REPLAY otherwise (seq 0, duplicate, left of the
 * window). Never modifies the window. */
int sami_replay_check(const struct sami_replay_window *w, uint64_t seq);
/* Marks seq accepted. Call only after the message authenticated and passed
 * sami_replay_check (sami_xfer_open does both in that order). */
void sami_replay_update(struct sami_replay_window *w, uint64_t seq);

/* Per-peer replay state: one window per key id (claimed on first accepted
 * message under that id; a slot whose key left the keyring is reused).
 * Zero-initialise; one per peer bridge. */
struct sami_xfer_replay {
    struct {
        uint16_t key_id; /* 0 = free */
        struct sami_replay_window win;
    } slot[SAMI_XFER_MAX_KEYS];
};

/* ---- receiving ---- */

/* Authenticated receive of one complete message (buf holds exactly it).
 * Order: header (version -> SAMI_ERR_VERSION, type -> TYPE, reserved flag bits
 * -> VALUE, body length > max_body -> TOOBIG, != len - 50 -> LENGTH /
 * TRUNCATED / TRAILING), key id lookup among keys valid at now_ms (NOKEY),
 * constant-time MAC check (AUTH; provider failure CRYPTO), replay check
 * (REPLAY), body validation as sami_xfer_check_body(), then the replay
 * window is updated. max_body 0 = SAMI_XFER_MAX_BODY_DEFAULT. replay NULL
 * skips the replay check: only for passive tools (dissector), never for a
 * receiver that acts on messages. On any error *out is zeroed. */
int sami_xfer_open(const uint8_t *buf, size_t len, const struct sami_xfer_keyring *kr,
                   struct sami_xfer_replay *replay, uint64_t now_ms, size_t max_body,
                   struct sami_xfer_msg *out, struct sami_err *err);

/* UNAUTHENTICATED parse with the same header, length and body checks as
 * open (max body = default); out->verified = 0. For dissectors and tests:
 * never act on its result. On error *out is zeroed. */
int sami_xfer_decode(const uint8_t *buf, size_t len, struct sami_xfer_msg *out,
                     struct sami_err *err);
int sami_xfer_decode_ex(const uint8_t *buf, size_t len, size_t max_body,
                        struct sami_xfer_msg *out, struct sami_err *err);

/* Reads only the 24-octet header (e.g. to choose a peer's state before
 * open). Checks version, type, flags and body_len <= max_body (0 = default). */
int sami_xfer_read_hdr(struct sami_rd *r, size_t max_body, struct sami_xfer_hdr *out);

/* Validates a body for its message type: element framing (element length
 * overrunning the body -> LENGTH, partial element header -> TRUNCATED),
 * every known element decodes, known elements only in the message types
 * that carry them (else TYPE), at most once unless repeatable (DUPLICATE),
 * mandatory ones present (MISSING). Unknown element types are skipped.
 * Offsets in err are relative to the message start. */
int sami_xfer_check_body(const struct sami_xfer_msg *m, struct sami_err *err);

/* ---- element iterator (zero-copy) ---- */

struct sami_xfer_elem {
    uint16_t type;
    uint16_t len;
    const uint8_t *value; /* len octets, inside the message buffer */
    size_t offset;        /* offset of the value from the message start */
};

struct sami_xfer_iter {
    struct sami_rd r; /* over the body; origin 24 */
};

void sami_xfer_iter_init(struct sami_xfer_iter *it, const struct sami_xfer_msg *m,
                         struct sami_err *err);
/* 1 = *e filled, 0 = end of body, <0 = malformed (cannot happen after
 * open/decode succeeded). */
int sami_xfer_iter_next(struct sami_xfer_iter *it, struct sami_xfer_elem *e);

/* ---- typed elements ---- */

struct sami_xfer_caps {
    uint8_t version;      /* highest transfer version spoken */
    uint8_t role;         /* 1 station/hypervisor, 2 bridge, 3 both (1..3) */
    uint32_t di_types;    /* bitmap, bit n = DI type n; bit 0 must be 0 */
    uint32_t max_records; /* per migration */
    uint32_t max_msg;     /* largest message (octets) the sender accepts */
};

struct sami_xfer_name {
    const uint8_t *s; /* UTF-8, no NUL, not terminated */
    size_t len;       /* 1..64 */
};

/* Same layout as VDP notification element 1 (vdp-ext samitlv). */
struct sami_xfer_vm_id {
    uint32_t type_id;  /* VSI type id, 24 bits */
    uint8_t type_ver;  /* VSI type version */
    uint8_t id_format; /* VSI ID format 1..5 */
    uint8_t id[16];
};

struct sami_xfer_generation {
    uint64_t base; /* generation the receiver must hold (0 = none, PRECOPY) */
    uint64_t next; /* generation after applying this batch */
};

/* COUNTS: view of n entries of 6 octets; sami_xfer_counts_get() decodes one. */
struct sami_xfer_counts {
    const uint8_t *p;
    size_t n;
};
struct sami_xfer_count {
    uint8_t di_type; /* 1..255 */
    uint32_t count;
};

struct sami_xfer_status_elem {
    uint8_t status;  /* enum sami_xfer_status */
    uint16_t reason; /* enum sami_xfer_reason */
};

struct sami_xfer_type_result {
    uint8_t di_type;
    uint8_t status;
    uint16_t reason;
    uint32_t sent;
    uint32_t installed;
};

struct sami_xfer_di {
    uint8_t di_type;      /* low octet of the element type, 1..255 */
    const uint8_t *value; /* DI record encoding (lib/di decodes it) */
    size_t len;
};

/* Readers: decode one element's value. The element type must match
 * (SAMI_ERR_TYPE), fixed lengths must be exact (SAMI_ERR_LENGTH), fields must
 * be in range (SAMI_ERR_VALUE); *out is untouched on error. err may be NULL;
 * offsets are relative to the message start. */
int sami_xfer_read_caps(const struct sami_xfer_elem *e, struct sami_xfer_caps *out,
                        struct sami_err *err);
int sami_xfer_read_name(const struct sami_xfer_elem *e, struct sami_xfer_name *out,
                        struct sami_err *err);
int sami_xfer_read_vm_id(const struct sami_xfer_elem *e, struct sami_xfer_vm_id *out,
                         struct sami_err *err);
int sami_xfer_read_generation(const struct sami_xfer_elem *e, struct sami_xfer_generation *out,
                              struct sami_err *err);
/* length % 6 != 0 -> SAMI_ERR_COUNT; reserved != 0 or DI type 0 -> VALUE;
 * the same DI type twice -> DUPLICATE. */
int sami_xfer_read_counts(const struct sami_xfer_elem *e, struct sami_xfer_counts *out,
                          struct sami_err *err);
/* Entry i of a view produced by sami_xfer_read_counts (i >= n -> INVAL). */
int sami_xfer_counts_get(const struct sami_xfer_counts *v, size_t i, struct sami_xfer_count *out);
int sami_xfer_read_digest(const struct sami_xfer_elem *e, uint64_t *out, struct sami_err *err);
int sami_xfer_read_status(const struct sami_xfer_elem *e, struct sami_xfer_status_elem *out,
                          struct sami_err *err);
int sami_xfer_read_type_result(const struct sami_xfer_elem *e, struct sami_xfer_type_result *out,
                               struct sami_err *err);
int sami_xfer_read_snapshot_time(const struct sami_xfer_elem *e, uint32_t *out_ms,
                                 struct sami_err *err);
int sami_xfer_read_acked_seq(const struct sami_xfer_elem *e, uint64_t *out, struct sami_err *err);
/* Any 0x0101..0x01ff element: DI type + value view (empty value -> LENGTH). */
int sami_xfer_read_di(const struct sami_xfer_elem *e, struct sami_xfer_di *out,
                      struct sami_err *err);

/* Writers: append one whole element (type, length, value) to w. Return 0,
 * or SAMI_ERR_VALUE/INVAL for input that cannot be encoded (nothing written). */
int sami_xfer_write_elem(struct sami_wr *w, uint16_t type, const void *value, size_t len);
int sami_xfer_write_caps(struct sami_wr *w, const struct sami_xfer_caps *in);
int sami_xfer_write_name(struct sami_wr *w, const struct sami_xfer_name *in);
int sami_xfer_write_vm_id(struct sami_wr *w, const struct sami_xfer_vm_id *in);
int sami_xfer_write_generation(struct sami_wr *w, const struct sami_xfer_generation *in);
/* n entries from an array (n <= 10922 so that 6n fits the 16-bit length). */
int sami_xfer_write_counts(struct sami_wr *w, const struct sami_xfer_count *in, size_t n);
int sami_xfer_write_digest(struct sami_wr *w, uint64_t digest);
int sami_xfer_write_status(struct sami_wr *w, const struct sami_xfer_status_elem *in);
int sami_xfer_write_type_result(struct sami_wr *w, const struct sami_xfer_type_result *in);
int sami_xfer_write_snapshot_time(struct sami_wr *w, uint32_t ms);
int sami_xfer_write_acked_seq(struct sami_wr *w, uint64_t seq);
int sami_xfer_write_di(struct sami_wr *w, uint8_t di_type, const void *value, size_t len);

/* ---- building and signing ---- */

/* Usage:
 *   struct sami_xfer_builder b;
 *   sami_xfer_build_begin(&b, buf, cap, &hdr);       // hdr.body_len ignored
 *   sami_xfer_build_vm_id(&b, &vm); ...
 *   size_t at = sami_xfer_build_elem_open(&b, SAMI_XFER_E_DI(1));
 *   sami_di_write(sami_xfer_build_wr(&b), ...);       // any nested writer
 *   sami_xfer_build_elem_close(&b, at);
 *   rc = sami_xfer_build_finish(&b, &key, seq, provider, &len);
 * The first error sticks and is returned by finish. Like every encoder, a
 * too small buffer gives SAMI_ERR_NOBUFS with len = octets needed (buf NULL,
 * cap 0 = length query). */
struct sami_xfer_builder {
    struct sami_wr w;
    int err;
};

void sami_xfer_build_begin(struct sami_xfer_builder *b, uint8_t *buf, size_t cap,
                           const struct sami_xfer_hdr *hdr);
int sami_xfer_build_elem(struct sami_xfer_builder *b, uint16_t type, const void *value,
                         size_t len);
int sami_xfer_build_caps(struct sami_xfer_builder *b, const struct sami_xfer_caps *in);
int sami_xfer_build_name(struct sami_xfer_builder *b, const struct sami_xfer_name *in);
int sami_xfer_build_vm_id(struct sami_xfer_builder *b, const struct sami_xfer_vm_id *in);
int sami_xfer_build_generation(struct sami_xfer_builder *b, const struct sami_xfer_generation *in);
int sami_xfer_build_counts(struct sami_xfer_builder *b, const struct sami_xfer_count *in,
                           size_t n);
int sami_xfer_build_digest(struct sami_xfer_builder *b, uint64_t digest);
int sami_xfer_build_status(struct sami_xfer_builder *b, const struct sami_xfer_status_elem *in);
int sami_xfer_build_type_result(struct sami_xfer_builder *b,
                                const struct sami_xfer_type_result *in);
int sami_xfer_build_snapshot_time(struct sami_xfer_builder *b, uint32_t ms);
int sami_xfer_build_acked_seq(struct sami_xfer_builder *b, uint64_t seq);
int sami_xfer_build_di(struct sami_xfer_builder *b, uint8_t di_type, const void *value,
                       size_t len);
/* Element with a value written by another encoder: open returns a mark,
 * write through sami_xfer_build_wr(), close patches the length (value >
 * 65535 octets -> SAMI_ERR_VALUE, sticky). */
size_t sami_xfer_build_elem_open(struct sami_xfer_builder *b, uint16_t type);
struct sami_wr *sami_xfer_build_wr(struct sami_xfer_builder *b);
int sami_xfer_build_elem_close(struct sami_xfer_builder *b, size_t mark);
/* Patches the body length, writes key id and seq (>= 1, else INVAL) and the
 * tag. key->len outside 16..64 -> INVAL. p NULL -> sami_hmac_default(). */
int sami_xfer_build_finish(struct sami_xfer_builder *b, const struct sami_xfer_key *key,
                           uint64_t seq, const struct sami_hmac_provider *p, size_t *len);

/* Serialises in->hdr (body_len taken from it), in->body, key id, seq and the
 * tag in->tag verbatim: re-encoding a decoded message gives its exact bytes.
 * To send, follow with sami_xfer_seal(). */
int sami_xfer_encode(const struct sami_xfer_msg *in, uint8_t *buf, size_t cap, size_t *len);

/* (Re)signs a complete encoded message in place: writes key->id, seq and the
 * tag into its trailer. len must be 24 + body length + 26 (else LENGTH). */
int sami_xfer_seal(uint8_t *buf, size_t len, const struct sami_xfer_key *key, uint64_t seq,
                   const struct sami_hmac_provider *p);

/* ---- record digest (COMMIT/RESULT DIGEST element) ---- */

/* FNV-1a-64 of n octets. */
uint64_t sami_xfer_fnv1a64(const void *p, size_t n);
/* *sum += FNV-1a-64(value) mod 2^64: order-independent set digest over the
 * values of the committed DI record elements (start from 0). */
void sami_xfer_digest_add(uint64_t *sum, const void *value, size_t n);
/* sami_xfer_digest_add() of values[i] (lens[i] octets) for i < count. The
 * same sum, computed four values at a time: FNV is one multiply per octet
 * in a chain, and four independent chains run side by side. */
void sami_xfer_digest_add_many(uint64_t *sum, const uint8_t *const *values, const size_t *lens,
                               size_t count);

/* ---- stream (TCP) binding: u32 total length, then the message ---- */

#define SAMI_XFER_STREAM_PREFIX_LEN 4

/* Decodes a length prefix: *len = message octets that follow. Below 50 ->
 * SAMI_ERR_LENGTH; above max (max message octets) -> SAMI_ERR_TOOBIG (close
 * the stream). */
int sami_xfer_stream_frame_len(const uint8_t prefix[SAMI_XFER_STREAM_PREFIX_LEN], size_t max,
                               size_t *len);
/* Writes the 4-octet prefix for a message of msg_len octets (> UINT32_MAX
 * or < 50 -> INVAL). */
int sami_xfer_stream_prefix(size_t msg_len, uint8_t prefix[SAMI_XFER_STREAM_PREFIX_LEN]);

/* Incremental deframer: feed bytes in any chunking; it collects one message
 * at a time into the caller's buffer. No allocation. */
struct sami_xfer_deframer {
    uint8_t *buf;
    size_t max;  /* max message octets (<= buffer capacity) */
    uint8_t prefix[SAMI_XFER_STREAM_PREFIX_LEN];
    size_t prefix_have;
    size_t need; /* message length once the prefix is complete, else 0 */
    size_t have; /* message octets collected */
    int err;     /* sticky: once a stream is bad it stays bad */
};

/* max 0 = cap. max > cap or cap < 50 -> SAMI_ERR_INVAL. */
int sami_xfer_deframer_init(struct sami_xfer_deframer *d, uint8_t *buf, size_t cap, size_t max);
/* Consumes from data[0..n), setting *consumed. Returns 1 when a whole message
 * is ready (*msg, *msg_len point into the caller's buffer, valid until the
 * next push; unconsumed input remains for the next call), 0 when all input
 * was consumed without completing one, or a negative sticky error
 * (SAMI_ERR_TOOBIG / SAMI_ERR_LENGTH): close the stream. */
int sami_xfer_deframer_push(struct sami_xfer_deframer *d, const uint8_t *data, size_t n,
                            size_t *consumed, const uint8_t **msg, size_t *msg_len);

/* Static names for logs/dissectors ("HELLO", "CAPS", "DI(1)" -> "DI"); "?"
 * for unknown values. */
const char *sami_xfer_type_name(unsigned type);
const char *sami_xfer_elem_name(unsigned elem_type);

#ifdef __cplusplus
}
#endif
#endif
