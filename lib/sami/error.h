/* sami error space: every failure is a negative int; 0 is success.
 * Decoders also fill a struct sami_err with where it went wrong (byte offset
 * from the start of the buffer handed to the top-level decoder, and the type
 * of the innermost TLV being decoded), so a tool can print
 * "vdp: length overrun at offset 37 (TLV 3): filter entries". */
#ifndef SAMI_ERROR_H
#define SAMI_ERROR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sami_error {
    SAMI_OK = 0,
    /* codec errors: -1 .. -39 */
    SAMI_ERR_TRUNCATED = -1,    /* input ends before the field does */
    SAMI_ERR_NOBUFS = -2,       /* output buffer too small (length needed is reported) */
    SAMI_ERR_LENGTH = -3,       /* a length field disagrees with its content or container */
    SAMI_ERR_VERSION = -4,      /* unsupported protocol or record version */
    SAMI_ERR_TYPE = -5,         /* unknown or unexpected type where one is required */
    SAMI_ERR_VALUE = -6,        /* a field value out of its defined range */
    SAMI_ERR_COUNT = -7,        /* an entry count disagrees with the bytes present */
    SAMI_ERR_MISSING = -8,      /* a mandatory TLV or field is absent */
    SAMI_ERR_ORDER = -9,        /* TLVs in an order the protocol forbids */
    SAMI_ERR_DUPLICATE = -10,   /* a TLV that may appear once appears again */
    SAMI_ERR_TRAILING = -11,    /* bytes left over where none may be */
    SAMI_ERR_OUI = -12,         /* org-specific TLV of another OUI (not an error for skippers) */
    SAMI_ERR_TOOBIG = -13,      /* exceeds a protocol or configured size limit */
    SAMI_ERR_INVAL = -14,       /* caller passed an invalid argument */
    SAMI_ERR_UNSUPPORTED = -15, /* well-formed but not implemented / not negotiated */
    SAMI_ERR_DIGEST = -16,      /* content digest mismatch */
    /* security errors: -40 .. -59 */
    SAMI_ERR_AUTH = -40,        /* authenticator did not verify */
    SAMI_ERR_REPLAY = -41,      /* sequence already seen or left of the window */
    SAMI_ERR_NOKEY = -42,       /* key id unknown or not valid now */
    SAMI_ERR_CRYPTO = -43,      /* the crypto provider failed */
    SAMI_ERR_UNSOLICITED = -44, /* state for a migration nobody announced */
    /* engine errors: -60 .. -99 */
    SAMI_ERR_STATE = -60,       /* not allowed in the current state */
    SAMI_ERR_TIMEOUT = -61,     /* a deadline passed */
    SAMI_ERR_LIMIT = -62,       /* a configured resource limit was reached */
    SAMI_ERR_NOTFOUND = -63,    /* no such session, migration, VSI or record */
    SAMI_ERR_EXISTS = -64,      /* already present */
    SAMI_ERR_RETRIES = -65,     /* retransmissions exhausted without an ack */
    SAMI_ERR_REJECTED = -66,    /* the peer refused (see its reason) */
    SAMI_ERR_ABORTED = -67,     /* aborted by request */
    SAMI_ERR_NOMEM = -68        /* the host's allocator or fixed pool is exhausted */
};

/* Where a decode failed. offset is relative to the buffer given to the
 * top-level decode call; tlv_type is -1 when not inside a TLV; what names the
 * field (a static string, never NULL after a failure). */
struct sami_err {
    int code;
    size_t offset;
    int tlv_type;
    const char *what;
};

/* Static, human-readable text for a code ("unknown error" for others). */
const char *sami_strerror(int code);

/* Symbolic name ("SAMI_ERR_TRUNCATED"), for JSON and logs. */
const char *sami_strerror_name(int code);

#ifdef __cplusplus
}
#endif
#endif
