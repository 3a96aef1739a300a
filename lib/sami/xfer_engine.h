/* Transfer engine: moves one VM's DI from the original bridge (BR-O, the
 * source) to the destination bridge (BR-D) for each migration, over the
 * authenticated transfer messages of sami/xfer.h (docs/ENGINES-TRANSFER.md,
 * docs/FLOWS.md).
 *
 * Sans-I/O: no sockets, threads, clocks or stdio. Time (monotonic µs) is an
 * argument; messages leave through cfg.tx (stream binding: already
 * length-prefixed) or through the attached struct sami_xfer_link (L2
 * binding); whole received messages come in through
 * sami_xfer_engine_input(); sami_xfer_engine_next_deadline() and
 * sami_xfer_engine_run() drive every timer (the attached link's too); DI comes
 * from and goes to the host's struct sami_store; memory comes from
 * cfg.alloc (all tables at create; pre-copy/delta record buffers while a
 * migration is in progress, bounded by the record limits).
 *
 * Callbacks (tx, event) may call any engine function except destroy, but
 * must not feed a message back into the same engine synchronously (queue
 * it; the simulator and samid do).
 *
 * The migration engine (vdp-ext) drives it:
 *   source  (BR-O): precopy() at PREPARE, commit() at SUSPENDED (after
 *                   freezing the VM in the store), abort() at ABORTED;
 *                   events PRECOPY_DONE, RESULT, ACTIVATED, ABORTED_BY_PEER,
 *                   TIMEOUT, ERROR.
 *   destination (BR-D): expect() at PREPARE from its own hypervisor,
 *                   activate() at RESUMED, abort() at ABORTED;
 *                   events INSTALLED, PURGED, ABORTED_BY_PEER, TIMEOUT, ERROR. */
#ifndef SAMI_XFER_ENGINE_H
#define SAMI_XFER_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "sami/di.h"
#include "sami/error.h"
#include "sami/hmac.h"
#include "sami/store.h"
#include "sami/types.h"
#include "sami/vmid.h"
#include "sami/xfer.h"
#include "sami/xfer_link.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sami_xfer_engine;

enum sami_xfer_binding {
    SAMI_XFER_BIND_STREAM = 1, /* TCP: cfg.tx gets u32 length + message */
    SAMI_XFER_BIND_L2 = 2      /* 0x88B5: messages go to cfg.link */
};

enum sami_xfer_role {
    SAMI_XFER_ROLE_SOURCE = 1,
    SAMI_XFER_ROLE_DEST = 2
};

enum sami_xfer_event_type {
    SAMI_XFER_EV_PRECOPY_DONE = 1, /* source: pre-copy staged at BR-D (status OK) or refused */
    SAMI_XFER_EV_RESULT = 2,       /* source: COMMIT answered (OK, or FAILED + reason) */
    SAMI_XFER_EV_ACTIVATED = 3,    /* source: BR-D activated; the VM was purged here, PURGE sent */
    SAMI_XFER_EV_ABORTED_BY_PEER = 4, /* either: the peer sent ABORT (dest: staged DI discarded) */
    SAMI_XFER_EV_TIMEOUT = 5,      /* either: the caller's deadline passed (reason DEADLINE) */
    SAMI_XFER_EV_ERROR = 6,        /* either: retries exhausted (UNREACHABLE) or a local failure */
    SAMI_XFER_EV_INSTALLED = 7,    /* dest: COMMIT verified and installed (pending activation) */
    SAMI_XFER_EV_PURGED = 8        /* dest: the source answered ACTIVATE with PURGE: status OK
                                      (purged), FAILED (nothing purged now: it failed, or the
                                      source no longer knows the migration) */
};

/* Everything an upcall reports; valid during the callback only. */
struct sami_xfer_event {
    int type;          /* enum sami_xfer_event_type */
    int role;          /* enum sami_xfer_role */
    uint64_t migration_id;
    int peer;          /* engine peer id */
    struct sami_vm_id vm;
    uint8_t status;    /* enum sami_xfer_status */
    uint16_t reason;   /* enum sami_xfer_reason */
    int error;         /* SAMI_ERR_* behind a failure, else 0 */
    /* RESULT / INSTALLED: */
    uint32_t transfer_us; /* source RESULT: from commit() to the answer (feedback's
                             transfer time); 0 elsewhere */
    uint32_t counts[SAMI_STORE_COUNTS]; /* final set per DI type, [0] = total */
    uint64_t digest;
    uint8_t n_results; /* per-DI-type results (RESULT, INSTALLED) */
    struct sami_xfer_type_result results[SAMI_DI_TYPE_MAX];
};

struct sami_xfer_engine_counters {
    /* receive: security checks, in the order they are applied */
    uint64_t rx_msgs;       /* messages handed to input() */
    uint64_t bad_length;    /* header/length/body framing errors, oversize */
    uint64_t unknown_peer;  /* sender bridge id not configured (or our own) */
    uint64_t no_key;        /* key id unknown / not valid now */
    uint64_t bad_auth;      /* HMAC did not verify */
    uint64_t crypto;        /* HMAC provider failed */
    uint64_t replay;        /* sequence seen or left of the window */
    uint64_t wrong_peer;    /* authentic, but not the peer of that migration / connection */
    uint64_t rx_ok;         /* passed every check */
    /* receive: protocol */
    uint64_t unsolicited;   /* PRECOPY/DELTA/COMMIT nobody announced (refused, nothing staged) */
    uint64_t limit;         /* refused for a record/migration/batch limit */
    uint64_t digest_mismatch; /* COMMIT counts or digest differ: nothing installed */
    uint64_t dup;           /* retransmissions answered again, nothing re-applied */
    uint64_t gap;           /* batches ahead of what is staged: dropped */
    uint64_t stale;         /* late messages for a finished or unknown exchange */
    uint64_t early_commit;  /* COMMIT before its last DELTA: dropped */
    uint64_t bad_records;   /* DI records that did not decode (skipped) */
    uint64_t abort_refused; /* source: ABORT after the purge: acknowledged, ignored */
    uint64_t abort_answered; /* dest: ABORT for a migration activated here: answered
                                with ACTIVATE (the destination decides) */
    uint64_t restarts;      /* a new pre-copy attempt replaced a staging area */
    /* transmit */
    uint64_t tx_msgs;
    uint64_t tx_fail;       /* tx callback / link refused a message (retried by timer) */
    uint64_t retransmits;   /* messages sent again after a timeout */
    uint64_t timeouts;      /* exchanges given up after retries */
    uint64_t deadlines;     /* caller deadlines missed */
    uint64_t records_tx;    /* DI records sent (retransmissions not counted) */
    uint64_t records_rx;    /* DI records staged */
    uint64_t installs;      /* commits installed */
    uint64_t nomem;         /* allocator failures */
    uint64_t restamps;      /* L2: batches whose snapshot age was refreshed after
                               waiting in the link's queue or a resend */
    uint64_t unwanted;      /* destination: records of a DI type the migration did not
                               ask for: not staged (the COMMIT then fails DIGEST) */
    /* resolution of committed migrations (docs/ENGINES-TRANSFER.md, "After the
     * commit: the destination decides") */
    uint64_t late_activations;   /* source: ACTIVATE after abort() of a committed
                                    migration: purged, PURGE sent */
    uint64_t unresolved;         /* source: committed, aborted, ABORT unanswered:
                                    remembered for cfg.resolve */
    uint64_t unresolved_expired; /* source: resolve passed without ACTIVATE: records kept */
    uint64_t superseded;         /* source: an unresolved migration dropped because a
                                    newer migration of the same VM began here */
    uint64_t activate_giveups;   /* dest: no PURGE within cfg.resolve of activate() */
    uint64_t activate_unknown;   /* source: ACTIVATE for no migration here (never, or
                                    forgotten): answered PURGE FAILED / REJECTED */
    uint64_t adopted;            /* migrations handed over by sami_xfer_engine_adopt() */
};

struct sami_xfer_engine_limits {
    uint32_t max_records_per_migration; /* records sent/staged per migration; 0 = 100000 */
    uint32_t max_records_total; /* records held for transfers in flight, both roles; 0 = 1000000 */
    uint32_t max_migrations;    /* concurrent migrations, both roles; 0 = 64 */
    uint32_t max_msg;           /* largest message sent or accepted (octets); 0 = 65536;
                                   2048 .. SAMI_XFER_MAX_BODY_DEFAULT + 50 */
    uint32_t max_batch_records; /* DI records per PRECOPY/DELTA message; 0 = 1024 */
    uint32_t max_peers;         /* 0 = 16 */
};

struct sami_xfer_engine_cfg {
    struct sami_xfer_bridge_id local; /* this bridge */
    const char *name;                 /* optional HELLO NAME (UTF-8, <= 64 octets; copied) */
    /* Keys (1 or 2 valid: roll). Validity times are in ms of the engine's
     * clock (now / 1000). tx_key_id picks the key messages are signed with;
     * 0 = the first valid key of the ring. */
    struct sami_xfer_keyring keyring;
    uint16_t tx_key_id;
    uint32_t di_types;  /* DI types this bridge handles (bitmap); 0 = SAMI_DI_ALL_TYPES */
    struct sami_xfer_engine_limits limits;
    /* Reliability. rto: first retransmission timeout of every exchange (it
     * doubles per retry up to 8 x rto); 0 = 200 ms. retries: timeouts in a
     * row without progress before the exchange fails; 0 = 6. backoff: first
     * wait before retrying a pre-copy the destination refused as
     * unsolicited (doubles, up to 16 x); 0 = rto. linger: how long a
     * finished migration stays to answer retransmissions; 0 = rto * 2 *
     * (retries + 2). window: PRECOPY/DELTA/COMMIT messages in flight per
     * migration (1..16); 0 = 4.
     * resolve: after a commit, how long the two ends keep trying to agree
     * on whether the VM moved: the destination resends ACTIVATE (backoff up
     * to 64 x rto) until PURGE or this long after activate(); a source
     * whose ABORT of a committed migration went unanswered remembers it
     * this long for a late ACTIVATE. Make it much longer than the
     * activation deadline; 0 = 600 s. */
    sami_usec_t rto;
    unsigned retries;
    sami_usec_t backoff;
    sami_usec_t linger;
    unsigned window;
    sami_usec_t resolve;
    /* First sequence number sent to each peer (0 = 1). A bridge that can
     * restart should pass something that grows across restarts (e.g. wall
     * clock µs): peers keep their replay windows. */
    uint64_t seq_start;

    struct sami_store store;      /* the host's DI store */
    struct sami_allocator alloc;  /* required */
    struct sami_xfer_link *link;  /* required for L2 peers; see sami_xfer_engine_create */

    /* Stream binding output: one message with its 4-octet length prefix.
     * handle is the peer's (add_peer). Return 0, or negative if it could
     * not be sent (counted; the retransmission timer covers it). */
    int (*tx)(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len);
    /* Upcalls; optional. */
    void (*event)(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev);
    void *ctx;
};

/* Creates an engine: validates cfg and allocates every table from
 * cfg->alloc. With cfg->link set, the engine takes over the link's deliver
 * callback (cfg.deliver / up_ctx) and drives its timers from
 * next_deadline/run. SAMI_ERR_INVAL, SAMI_ERR_NOMEM. */
int sami_xfer_engine_create(const struct sami_xfer_engine_cfg *cfg, struct sami_xfer_engine **out);
/* Frees everything (store state is left as it is). NULL is fine. */
void sami_xfer_engine_destroy(struct sami_xfer_engine *eng);

/* Replaces the keyring (key roll: add the new key, switch tx_key_id, later
 * drop the old one). Replay windows are kept per key id. */
int sami_xfer_engine_set_keyring(struct sami_xfer_engine *eng, const struct sami_xfer_keyring *kr,
                                 uint16_t tx_key_id);

/* Adds a peer bridge. handle is opaque (passed to tx); link_peer is its id
 * in cfg.link for SAMI_XFER_BIND_L2 (ignored for STREAM). Returns the peer
 * id (>= 0) or SAMI_ERR_EXISTS / SAMI_ERR_LIMIT / SAMI_ERR_INVAL. */
int sami_xfer_engine_add_peer(struct sami_xfer_engine *eng, const struct sami_xfer_bridge_id *id,
                              int binding, void *handle, int link_peer);
/* Peer id of a bridge id, or SAMI_ERR_NOTFOUND. */
int sami_xfer_engine_find_peer(const struct sami_xfer_engine *eng,
                               const struct sami_xfer_bridge_id *id);

/* Opens a session with a peer now (HELLO), unless a HELLO to it is
 * outstanding: a host calls it when its stream connection to the peer comes
 * up, so the peer's end of the connection is authenticated before any
 * migration needs it (a host that bounds connections which never said who
 * they are, as samid does, then never counts it among strangers) and the
 * first migration finds the peer up. Unanswered, it is resent like any
 * HELLO and then dropped; no migration waits on it. SAMI_ERR_INVAL: no such
 * peer. */
int sami_xfer_engine_hello(struct sami_xfer_engine *eng, sami_usec_t now, int peer);

/* One whole received message. peer: the peer the host received it from
 * (its connection / link peer), or -1 to pick the peer by the sender
 * bridge id in the header (checked after authentication either way).
 * Returns 0 if the message was accepted (even if it was answered with a
 * refusal), else the reason it was dropped (SAMI_ERR_AUTH, _REPLAY,
 * _NOKEY, _NOTFOUND for an unknown peer, codec errors, ...). Every drop is
 * counted. */
int sami_xfer_engine_input(struct sami_xfer_engine *eng, sami_usec_t now, int peer,
                           const uint8_t *msg, size_t len);

/* ---- source (BR-O) ---- */

/* PREPARE: starts migration_id of vm towards peer. HELLO (once per peer),
 * then an export from the store since generation 0 (source_begin first)
 * in PRECOPY batches, the last flagged LAST; PRECOPY_DONE when BR-D staged
 * it. Refused as unsolicited: retried with backoff until deadline. deadline
 * (absolute, SAMI_NO_DEADLINE = none) bounds the pre-copy phase.
 * di_types: the notification's "DI types wanted" (bit t = type t; 0 = all):
 * only records of those types are exported (pre-copy and the commit's
 * delta), counted in the digest and reported per type; the others stay in
 * the store untouched until the VM's purge after ACTIVATE. A wanted type
 * this bridge does not handle or the peer does not take is reported
 * UNSUPPORTED (PARTIAL if some of it went).
 * SAMI_ERR_EXISTS (id in use), SAMI_ERR_LIMIT (too many migrations),
 * SAMI_ERR_NOTFOUND (peer), SAMI_ERR_INVAL. */
int sami_xfer_engine_precopy(struct sami_xfer_engine *eng, sami_usec_t now, int peer,
                             uint64_t migration_id, const struct sami_vm_id *vm,
                             uint32_t di_types, sami_usec_t deadline);
/* SUSPENDED (the caller froze the VM): exports the exact delta since the
 * pre-copy generation, sends DELTA batches then COMMIT with the per-type
 * counts and the digest of the final set; RESULT when BR-D answers.
 * deadline bounds the commit phase and then the wait for ACTIVATE.
 * SAMI_ERR_NOTFOUND, SAMI_ERR_STATE (already committed / failed). */
int sami_xfer_engine_commit(struct sami_xfer_engine *eng, sami_usec_t now, uint64_t migration_id,
                            sami_usec_t deadline);

/* ---- destination (BR-D) ---- */

/* PREPARE from this bridge's own hypervisor: only now are PRECOPY/DELTA/
 * COMMIT for (migration_id, vm) accepted, from peer (-1: any configured
 * peer; the first accepted message binds it). di_types: the types this
 * hypervisor wants (0 = all); records of other types are not staged
 * (counted `unwanted`), so a source that sends them fails the COMMIT's
 * digest check. deadline bounds everything up to activate(): missed,
 * staged/installed DI is discarded (TIMEOUT).
 * Idempotent for the same id and vm (updates the deadline; the types stay
 * those of the first call); SAMI_ERR_EXISTS for the same id with another
 * vm; SAMI_ERR_LIMIT. */
int sami_xfer_engine_expect(struct sami_xfer_engine *eng, sami_usec_t now, uint64_t migration_id,
                            const struct sami_vm_id *vm, int peer, uint32_t di_types,
                            sami_usec_t deadline);
/* RESUMED: store activate, then ACTIVATE to the source until it answers
 * PURGE (PURGED event); resent with backoff (rto doubling up to 64 x) for
 * up to cfg.resolve, then given up (ERROR, UNREACHABLE: the DI stays active
 * here). An ABORT from the source meanwhile is answered with ACTIVATE.
 * SAMI_ERR_STATE unless installed; SAMI_ERR_NOTFOUND. */
int sami_xfer_engine_activate(struct sami_xfer_engine *eng, sami_usec_t now,
                              uint64_t migration_id);

/* ---- both ---- */

/* ABORTED: source: stops, sends ABORT (status FAILED, reason) if the peer
 * may hold state, ends the source migration in the store (unfreezes, every
 * record kept); destination: discards staged or installed DI, sends ABORT
 * to the source. After RESULT OK the destination decides: an ACK means it
 * discarded (done), an ACTIVATE that it activated (the source purges and
 * answers PURGE: ACTIVATED event), no answer leaves the migration
 * UNRESOLVED for cfg.resolve, still purged by a late ACTIVATE.
 * SAMI_ERR_STATE after activation (the VM runs at BR-D) or purge,
 * SAMI_ERR_NOTFOUND. */
int sami_xfer_engine_abort(struct sami_xfer_engine *eng, sami_usec_t now, uint64_t migration_id,
                           uint16_t reason);
/* Moves the deadline of a migration (role: enum sami_xfer_role). */
int sami_xfer_engine_set_deadline(struct sami_xfer_engine *eng, uint64_t migration_id, int role,
                                  sami_usec_t deadline);
/* Drops a migration without any message (frees its slot; the source
 * migration is ended in the store, a destination's DI discarded unless
 * activated). */
int sami_xfer_engine_forget(struct sami_xfer_engine *eng, uint64_t migration_id, int role);

/* Migrations whose outcome only the destination can tell, for a host that
 * keeps them across a restart with its DI tables: source migrations past
 * RESULT OK not purged (COMMITTED, aborted after it, UNRESOLVED) and
 * destination migrations activated but not confirmed (ACTIVATING). */
struct sami_xfer_pending {
    uint64_t migration_id;
    int role;               /* enum sami_xfer_role */
    int peer;               /* engine peer id (the same peer table after a restart) */
    struct sami_vm_id vm;
    sami_usec_t until;      /* when it is given up; SAMI_NO_DEADLINE: not yet set */
};
/* Fills out[0..cap) and returns how many there are (may exceed cap). */
size_t sami_xfer_engine_list_pending(const struct sami_xfer_engine *eng,
                                     struct sami_xfer_pending *out, size_t cap);
/* Takes one over (after a restart): a source migration becomes UNRESOLVED
 * (a late ACTIVATE from p->peer purges p->vm and is answered PURGE; the
 * store's source migration is not needed and should have been ended), a
 * destination one ACTIVATING (ACTIVATE sent now, then as activate()).
 * Until: p->until, or now + cfg.resolve if unset. SAMI_ERR_EXISTS,
 * SAMI_ERR_LIMIT, SAMI_ERR_NOTFOUND (peer), SAMI_ERR_INVAL. */
int sami_xfer_engine_adopt(struct sami_xfer_engine *eng, sami_usec_t now,
                           const struct sami_xfer_pending *p);

/* Earliest time run() must be called, or SAMI_NO_DEADLINE. */
sami_usec_t sami_xfer_engine_next_deadline(const struct sami_xfer_engine *eng);
/* Fires every timer due at or before now (retransmissions, backoff,
 * deadlines, linger; the attached link's). */
void sami_xfer_engine_run(struct sami_xfer_engine *eng, sami_usec_t now);
/* For tests: what next_deadline answers from its index, found by scanning
 * every table instead; *index_ok (optional) is set to 1 when the index
 * holds exactly each peer's and migration's own earliest timer. */
sami_usec_t sami_xfer_engine_scan_deadline(const struct sami_xfer_engine *eng, int *index_ok);

/* Migration states, for tools and tests. */
enum sami_xfer_mig_state {
    SAMI_XFER_MS_NONE = 0,
    /* source */
    SAMI_XFER_MS_HELLO,       /* waiting for the peer's HELLO response */
    SAMI_XFER_MS_PRECOPY,     /* PRECOPY batches in flight */
    SAMI_XFER_MS_BACKOFF,     /* refused as unsolicited: waiting to retry */
    SAMI_XFER_MS_READY,       /* pre-copy staged, waiting for commit() */
    SAMI_XFER_MS_COMMIT,      /* DELTA + COMMIT in flight */
    SAMI_XFER_MS_COMMITTED,   /* RESULT OK: waiting for ACTIVATE */
    SAMI_XFER_MS_DONE,        /* purged, PURGE sent (lingers for retransmissions) */
    SAMI_XFER_MS_FAILED,      /* failed / timed out: waiting for abort() or forget() */
    SAMI_XFER_MS_ABORTING,    /* ABORT sent, waiting for ACK */
    SAMI_XFER_MS_PEER_ABORTED,/* the peer aborted: waiting for abort() or forget() */
    /* destination */
    SAMI_XFER_MS_EXPECTED,    /* announced, nothing staged yet */
    SAMI_XFER_MS_STAGING,     /* batches being staged */
    SAMI_XFER_MS_INSTALLED,   /* committed (pending), waiting for activate() */
    SAMI_XFER_MS_ACTIVATING,  /* ACTIVATE sent, waiting for PURGE */
    SAMI_XFER_MS_REFUSED,     /* commit refused (digest, limit): lingers to answer again */
    /* source, after RESULT OK and abort(): the ABORT went unanswered; the
     * records stay, a late ACTIVATE still purges them (cfg.resolve) */
    SAMI_XFER_MS_UNRESOLVED
};
/* State of (migration_id, role), SAMI_XFER_MS_NONE if unknown. */
int sami_xfer_engine_state(const struct sami_xfer_engine *eng, uint64_t migration_id, int role);
/* Migrations in use (both roles). */
uint32_t sami_xfer_engine_active(const struct sami_xfer_engine *eng);
/* Records currently counted against limits.max_records_total. */
uint32_t sami_xfer_engine_records_held(const struct sami_xfer_engine *eng);

const struct sami_xfer_engine_counters *sami_xfer_engine_counters(const struct sami_xfer_engine *eng);
const char *sami_xfer_event_name(int type);
const char *sami_xfer_mig_state_name(int state);

#ifdef __cplusplus
}
#endif
#endif
