/* sami_sim: a deterministic discrete-event network simulator.
 *
 * N nodes (hypervisors, bridges, anything sans-I/O) and point-to-point links
 * in one process, on a fake microsecond clock. The simulator drives each node
 * generically through four callbacks: give it a frame (rx), ask when it next
 * needs to run (next_deadline), run its due timers (run), and wipe its
 * volatile state (restart). Nodes transmit with sami_sim_send().
 *
 * Not part of the portable core: it may malloc (bounded by what is in
 * flight), but it does no I/O, has no threads and never reads a real clock.
 * Given the same seed and the same sequence of API calls, and deterministic
 * nodes, every run produces the same callbacks at the same times in the same
 * order, on every platform. See docs/SIMULATOR.md.
 *
 * Errors are negative enum sami_error values (SAMI_ERR_INVAL, SAMI_ERR_NOMEM,
 * SAMI_ERR_STATE, ...); 0 or a non-negative id is success. */
#ifndef SAMI_SIM_H
#define SAMI_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "sami/error.h"
#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sami_sim;

/* ---- nodes ---------------------------------------------------------------- */

/* How the simulator drives a node. ctx is the node_ctx given to
 * sami_sim_add_node. The node finds its simulator and id through its ctx (set
 * them after sami_sim_add_node returns: no callback runs before that). */
struct sami_sim_node_ops {
    /* A frame arrived on `port` at `now`. The bytes are valid only during the
     * call. Required. */
    void (*rx)(void *ctx, sami_usec_t now, int port, const uint8_t *frame, size_t len);
    /* Absolute time the node next needs run(), or SAMI_NO_DEADLINE. Must be a
     * pure query: the simulator calls it whenever it likes (after every
     * callback into the node, and when polling). NULL = never. */
    sami_usec_t (*next_deadline)(void *ctx);
    /* Fire every timer due at or before `now`. Called exactly at the time
     * next_deadline reported. Required when next_deadline is set. */
    void (*run)(void *ctx, sami_usec_t now);
    /* Peer restart: forget all volatile state, as after a reboot. Optional. */
    void (*restart)(void *ctx, sami_usec_t now);
};

/* Adds a node; returns its id (0, 1, 2, ... in order of addition) or a
 * negative error. name is copied (may be NULL). ops is copied. */
int sami_sim_add_node(struct sami_sim *sim, const char *name,
                      const struct sami_sim_node_ops *ops, void *node_ctx);
int sami_sim_node_count(const struct sami_sim *sim);
/* The node's name ("" when none) or NULL for a bad id. */
const char *sami_sim_node_name(const struct sami_sim *sim, int node);
void *sami_sim_node_ctx(const struct sami_sim *sim, int node);
/* First node with that name, or SAMI_ERR_NOTFOUND. */
int sami_sim_find_node(const struct sami_sim *sim, const char *name);

/* Re-query a node's next_deadline (node >= 0), or every node's before the
 * next event (node = -1). The simulator re-queries a node itself after each
 * callback into it, every node after a sami_sim_at timer fires (only the
 * named one after sami_sim_at_node) and every node at entry to run_until /
 * run_until_idle / step; call this only when code running inside one node's
 * callback changed another node's timers. */
int sami_sim_touch(struct sami_sim *sim, int node);

/* ---- links ---------------------------------------------------------------- */

/* One direction of a link. All-zero is an ideal link: no delay, no loss,
 * infinite bandwidth, unlimited queue. */
struct sami_sim_link_params {
    sami_usec_t delay_us;       /* one-way propagation delay, base */
    sami_usec_t jitter_us;      /* plus uniform [0, jitter_us] per frame */
    double loss;                /* probability a frame is lost, [0, 1] */
    double duplicate;           /* probability a delivered frame arrives twice */
    double reorder;             /* probability a frame is held back (see below) */
    sami_usec_t reorder_gap_us; /* a held-back frame gets uniform [1, gap] extra
                                   delay; 0 = delay_us + jitter_us + 1 */
    uint64_t bandwidth_bps;     /* serialisation rate; 0 = infinite */
    uint32_t queue_max;         /* frames waiting for or in serialisation;
                                   tail drop beyond; 0 = unlimited */
};

/* Frames on a direction are FIFO: jitter never reorders them. Only frames
 * picked by `reorder` skip the FIFO and get the extra gap, so later frames
 * overtake them. Delays and gaps above SAMI_SIM_MAX_DELAY are refused. */
#define SAMI_SIM_MAX_DELAY ((sami_usec_t)1 << 40)
/* Largest frame sami_sim_send accepts (a simulated stream may carry big
 * transfer messages as one "frame"). */
#define SAMI_SIM_MAX_FRAME ((size_t)1 << 26)
/* Highest port number. */
#define SAMI_SIM_MAX_PORT 4095

/* Directions: AB is from (node_a, port_a) to (node_b, port_b). */
enum sami_sim_dir { SAMI_SIM_DIR_AB = 0, SAMI_SIM_DIR_BA = 1, SAMI_SIM_DIR_BOTH = 2 };

/* Connects (node_a, port_a) to (node_b, port_b); params (NULL = ideal) apply
 * to both directions. Returns the link id (0, 1, ... in order) or an error
 * (SAMI_ERR_EXISTS if a port is already linked). */
int sami_sim_link(struct sami_sim *sim, int node_a, int port_a, int node_b, int port_b,
                  const struct sami_sim_link_params *params);
/* Change parameters at run time (frames already in flight keep their
 * schedule). dir is one of enum sami_sim_dir. */
int sami_sim_link_set(struct sami_sim *sim, int link, const struct sami_sim_link_params *params);
int sami_sim_link_set_dir(struct sami_sim *sim, int link, int dir,
                          const struct sami_sim_link_params *params);
int sami_sim_link_get(const struct sami_sim *sim, int link, int dir,
                      struct sami_sim_link_params *out);
/* down = 1 cuts the link: frames in flight on it are dropped now and frames
 * sent while down are dropped. down = 0 heals it. */
int sami_sim_partition(struct sami_sim *sim, int link, int down);
int sami_sim_link_count(const struct sami_sim *sim);
/* Link attached to (node, port), or SAMI_ERR_NOTFOUND. When peer_node /
 * peer_port are non-NULL they receive the other end. */
int sami_sim_port_link(const struct sami_sim *sim, int node, int port, int *peer_node,
                       int *peer_port);

/* Counters. Per direction: sent + duplicated = delivered + lost +
 * dropped_queue + dropped_down + in_flight. */
struct sami_sim_link_stats {
    uint64_t sent;          /* frames handed to the link */
    uint64_t delivered;     /* rx callbacks (duplicates included) */
    uint64_t lost;          /* random loss */
    uint64_t duplicated;    /* extra copies made */
    uint64_t reordered;     /* frames held back by the reorder draw */
    uint64_t dropped_queue; /* tail drop (queue_max) */
    uint64_t dropped_down;  /* partition, dead receiver or sender, restart flush */
    uint64_t in_flight;     /* scheduled, not yet delivered or dropped */
    uint64_t bytes_sent;
    uint64_t bytes_delivered;
};
int sami_sim_link_stats(const struct sami_sim *sim, int link, int dir,
                        struct sami_sim_link_stats *out);

/* ---- sending -------------------------------------------------------------- */

/* Node `node` transmits `frame` on `port`. The bytes are copied; callable
 * from any callback and from scenario code. A frame on an unlinked port is
 * dropped (tap DROPPED with to_node -1, counted in stats.unrouted). Returns 0
 * whatever the link does with the frame, or SAMI_ERR_INVAL / SAMI_ERR_TOOBIG
 * / SAMI_ERR_NOMEM. */
int sami_sim_send(struct sami_sim *sim, int node, int port, const uint8_t *frame, size_t len);

/* ---- time and scheduling -------------------------------------------------- */

sami_usec_t sami_sim_now(const struct sami_sim *sim);
/* Time of the next pending event, or SAMI_NO_DEADLINE when idle. Reflects
 * the node deadlines known to the simulator (see sami_sim_touch). */
sami_usec_t sami_sim_next_event(const struct sami_sim *sim);

/* Processes every event at or before t in time order, then sets the clock
 * to t. Events at the same microsecond run in the order they were scheduled
 * (a node deadline counts as scheduled when its value last changed).
 * SAMI_ERR_INVAL if t is in the past; SAMI_ERR_STATE if called from inside a
 * callback. */
int sami_sim_run_until(struct sami_sim *sim, sami_usec_t t);
/* Runs until nothing is pending (no frame in flight, no node deadline, no
 * user timer): returns 0 with the clock at the last event. If `limit` comes
 * first, returns SAMI_ERR_TIMEOUT with the clock at limit. */
int sami_sim_run_until_idle(struct sami_sim *sim, sami_usec_t limit);
/* Processes exactly one event: 1 if one ran, 0 if idle, or an error. */
int sami_sim_step(struct sami_sim *sim);

/* Scripted events. fn runs at t (>= now) with the simulator; it may call any
 * API except run_until/run_until_idle/step and may call into engines
 * directly: afterwards every node's deadline is re-read. Returns a positive
 * timer id or a negative error. */
typedef void (*sami_sim_timer_fn)(struct sami_sim *sim, sami_usec_t now, void *arg);
int64_t sami_sim_at(struct sami_sim *sim, sami_usec_t t, sami_sim_timer_fn fn, void *arg);
/* Same, for a script that touches only `node`'s engine: afterwards only that
 * node's deadline is re-read instead of every node's (cheaper with thousands
 * of nodes). node = -1 behaves as sami_sim_at. */
int64_t sami_sim_at_node(struct sami_sim *sim, int node, sami_usec_t t, sami_sim_timer_fn fn,
                         void *arg);
int64_t sami_sim_after(struct sami_sim *sim, sami_usec_t delay, sami_sim_timer_fn fn, void *arg);
/* Cancels a pending timer: 0, or SAMI_ERR_NOTFOUND if it already ran. */
int sami_sim_cancel(struct sami_sim *sim, int64_t timer_id);

/* ---- faults --------------------------------------------------------------- */

/* Drops every frame in flight to or from the node (tap DROPPED), then calls
 * ops->restart(ctx, now) and re-reads its deadline. SAMI_ERR_UNSUPPORTED if
 * the node has no restart callback (nothing is done). The up/down state is
 * unchanged. */
int sami_sim_restart_node(struct sami_sim *sim, int node);
/* down = 1: the node is frozen: not run, and frames reaching it are dropped
 * (frames it already sent still arrive; frames it sends are dropped).
 * down = 0: it resumes with its state intact; an overdue deadline fires now.
 * For a crash and reboot, set down, later restart_node and set up. */
int sami_sim_node_down(struct sami_sim *sim, int node, int down);
int sami_sim_node_is_down(const struct sami_sim *sim, int node);

/* ---- observation ---------------------------------------------------------- */

enum sami_sim_tap_event {
    SAMI_SIM_TAP_SENT = 1,       /* a node handed a frame to a link (every frame once) */
    SAMI_SIM_TAP_DELIVERED = 2,  /* the frame reached the receiver's rx */
    SAMI_SIM_TAP_LOST = 3,       /* random loss, at send time */
    SAMI_SIM_TAP_DUPLICATED = 4, /* an extra copy was made, at send time */
    SAMI_SIM_TAP_DROPPED = 5     /* queue overflow, partition, dead node, restart, unrouted */
};

/* Called for every frame event. Observation only: the tap may use getters
 * and write files but must not call mutating simulator functions. */
typedef void (*sami_sim_tap_fn)(void *arg, sami_usec_t t, int from_node, int to_node,
                                const uint8_t *frame, size_t len, int event);
void sami_sim_set_tap(struct sami_sim *sim, sami_sim_tap_fn tap, void *arg);

struct sami_sim_stats {
    uint64_t events;          /* events processed */
    uint64_t deliveries;      /* rx callbacks */
    uint64_t node_runs;       /* run callbacks */
    uint64_t timers;          /* sami_sim_at callbacks */
    uint64_t polls;           /* next_deadline calls */
    uint64_t frames_in_flight;
    uint64_t unrouted;        /* sends on a port with no link */
    uint64_t spin_breaks;     /* runs deferred by 1 us: a node kept asking for "now" */
    uint64_t peak_pending;    /* largest event-queue size seen */
};
void sami_sim_get_stats(const struct sami_sim *sim, struct sami_sim_stats *out);

/* After this many consecutive run() calls at the same microsecond with the
 * node still asking for that microsecond, the simulator defers it by 1 us
 * (counted in spin_breaks) rather than loop forever. */
#define SAMI_SIM_SPIN_LIMIT 1000

/* ---- randomness ----------------------------------------------------------- */

/* The scenario's own stream (xoshiro256** seeded through splitmix64).
 * Independent of the per-link streams, so drawing here never changes which
 * frames a link loses. */
uint64_t sami_sim_rand(struct sami_sim *sim);
/* Uniform in [0, n); 0 when n is 0. Unbiased. */
uint64_t sami_sim_rand_below(struct sami_sim *sim, uint64_t n);

/* ---- lifecycle ------------------------------------------------------------ */

/* Clock starts at 0. NULL on allocation failure. */
struct sami_sim *sami_sim_new(uint64_t seed);
/* Frees everything, frames in flight included; never calls node callbacks.
 * Not from inside a callback. NULL is allowed. */
void sami_sim_free(struct sami_sim *sim);

/* ---- pcap helpers (pure: they format bytes, the caller writes them) ------- */

/* Classic pcap, microsecond timestamps, little-endian. */
#define SAMI_SIM_PCAP_FILE_HEADER_LEN 24
#define SAMI_SIM_PCAP_RECORD_HEADER_LEN 16
#define SAMI_SIM_PCAP_LINKTYPE_ETHERNET 1
void sami_sim_pcap_file_header(uint8_t out[SAMI_SIM_PCAP_FILE_HEADER_LEN], uint32_t snaplen,
                               uint32_t linktype);
/* t is simulator time; epoch_us is added so captures can carry a plausible
 * wall-clock date (0 = 1970). caplen <= len. */
void sami_sim_pcap_record_header(uint8_t out[SAMI_SIM_PCAP_RECORD_HEADER_LEN], sami_usec_t t,
                                 sami_usec_t epoch_us, uint32_t caplen, uint32_t len);

#ifdef __cplusplus
}
#endif
#endif
