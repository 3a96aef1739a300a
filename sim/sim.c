/* sami_sim: deterministic discrete-event network simulator (see sami/sim.h).
 *
 * One binary min-heap orders every pending event by (time, sequence): frame
 * deliveries, node deadlines (one entry per node, moved in place when the
 * node's deadline changes) and scripted timers. The sequence number is a
 * global counter bumped on every schedule, so equal times resolve FIFO and
 * nothing depends on pointer values or allocation order.
 *
 * Heap entries carry the key inline (no pointer chase in comparisons) and a
 * 32-bit reference: kind in the top two bits, pool index below. Nodes and
 * timers remember their heap position so they can be moved or removed in
 * O(log n); frames are only ever removed in bulk (partition, restart). */
#include "sami/sim.h"

#include <stdlib.h>
#include <string.h>

#define NOPOS UINT32_MAX
#define NOSLOT UINT32_MAX

enum { K_FRAME = 0, K_NODE = 1, K_TIMER = 2 };
#define REF_SHIFT 30
#define REF_MASK ((UINT32_C(1) << REF_SHIFT) - 1)
#define MAKE_REF(k, x) (((uint32_t)(k) << REF_SHIFT) | (uint32_t)(x))
#define MAX_OBJECTS REF_MASK /* per pool, so an index always fits the ref */

struct hent {
    sami_usec_t t;
    uint64_t seq;
    uint32_t ref;
};

struct rng {
    uint64_t s[4];
};

struct frame {
    uint8_t *buf;
    uint32_t len;
    uint32_t ld;        /* link * 2 + direction */
    uint32_t next_free; /* free list, or the purge list while being dropped */
};

struct dirstate {
    struct sami_sim_link_params p;
    uint64_t loss_thr, dup_thr, reo_thr; /* probabilities as 53-bit thresholds */
    sami_usec_t busy_until;              /* transmitter busy serialising until */
    sami_usec_t fifo_until;              /* latest in-order arrival scheduled */
    sami_usec_t *txq;                    /* ring of serialisation finish times */
    uint32_t txq_cap, txq_head, txq_n;
    int purge;
    struct sami_sim_link_stats st;
};

struct link {
    int node[2];
    int port[2];
    int down;
    struct rng rng; /* own stream: traffic elsewhere never shifts its draws */
    struct dirstate d[2];
};

struct node {
    char *name;
    struct sami_sim_node_ops ops;
    void *ctx;
    uint32_t heap_pos;
    int down;
    int32_t *ports; /* port -> link * 2 + end, or -1 */
    uint32_t nports;
    sami_usec_t spin_t; /* time of the latest run() */
    uint32_t spin_n;    /* consecutive run() calls at spin_t */
};

struct timer {
    sami_sim_timer_fn fn;
    void *arg;
    int node; /* the one node it may touch, or -1: re-poll every node */
    uint32_t heap_pos;
    uint32_t gen; /* bumped on release so stale ids are refused */
    uint32_t next_free;
};

struct sami_sim {
    sami_usec_t now;
    uint64_t seq;
    uint64_t seed;
    struct rng rng;

    struct hent *heap;
    uint32_t hn, hcap;

    struct node *nodes;
    uint32_t nn, ncap;
    struct link *links;
    uint32_t nl, lcap;
    struct frame *frames;
    uint32_t fcap, ffree, nfree;
    struct timer *timers;
    uint32_t tcap, tfree;

    sami_sim_tap_fn tap;
    void *tap_arg;
    int running;
    int dirty_all;
    struct sami_sim_stats st;
};

/* ---- PRNG: splitmix64 for seeding, xoshiro256** for streams ---------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
}

static uint64_t rotl64(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return out;
}

/* High 64 bits of a 64x64 product, without relying on a 128-bit type. */
static uint64_t mulhi64(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
    return p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

/* Map a raw draw to [0, n] (bias below 2^-24 for any delay we accept, and
 * it costs exactly one draw, which keeps per-frame draw counts fixed). */
static uint64_t scale_incl(uint64_t r, uint64_t n)
{
    return mulhi64(r, n + 1);
}

static int chance(uint64_t r, uint64_t thr)
{
    return (r >> 11) < thr;
}

static uint64_t prob_threshold(double p)
{
    return (uint64_t)(p * 9007199254740992.0); /* p * 2^53, exact for p = 1 */
}

/* ---- heap ------------------------------------------------------------------ */

static inline int hless(const struct hent *a, const struct hent *b)
{
    /* bitwise, not short-circuit: picking the smaller child is a coin flip
     * the branch predictor loses; as a setcc it halves the mispredictions */
    return (a->t < b->t) | ((a->t == b->t) & (a->seq < b->seq));
}

static inline void hset(struct sami_sim *s, uint32_t i, struct hent e)
{
    s->heap[i] = e;
    uint32_t k = e.ref >> REF_SHIFT, x = e.ref & REF_MASK;
    if (k == K_NODE)
        s->nodes[x].heap_pos = i;
    else if (k == K_TIMER)
        s->timers[x].heap_pos = i;
}

static void untrack(struct sami_sim *s, struct hent e)
{
    uint32_t k = e.ref >> REF_SHIFT, x = e.ref & REF_MASK;
    if (k == K_NODE)
        s->nodes[x].heap_pos = NOPOS;
    else if (k == K_TIMER)
        s->timers[x].heap_pos = NOPOS;
}

static void sift_up(struct sami_sim *s, uint32_t i)
{
    struct hent e = s->heap[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (!hless(&e, &s->heap[p]))
            break;
        hset(s, i, s->heap[p]);
        i = p;
    }
    hset(s, i, e);
}

static void sift_down(struct sami_sim *s, uint32_t i)
{
    struct hent e = s->heap[i];
    uint32_t n = s->hn;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n)
            c += (uint32_t)hless(&s->heap[c + 1], &s->heap[c]);
        if (!hless(&s->heap[c], &e))
            break;
        hset(s, i, s->heap[c]);
        i = c;
    }
    hset(s, i, e);
}

static void heap_fix(struct sami_sim *s, uint32_t i)
{
    if (i > 0 && hless(&s->heap[i], &s->heap[(i - 1) / 2]))
        sift_up(s, i);
    else
        sift_down(s, i);
}

/* Capacity is reserved whenever a pool grows (see reserve_heap), so a push
 * never allocates and never fails. */
static void heap_push(struct sami_sim *s, sami_usec_t t, uint32_t ref)
{
    struct hent e = {t, s->seq++, ref};
    s->heap[s->hn++] = e;
    sift_up(s, s->hn - 1);
    if (s->hn > s->st.peak_pending)
        s->st.peak_pending = s->hn;
}

static void heap_remove(struct sami_sim *s, uint32_t i)
{
    untrack(s, s->heap[i]);
    s->hn--;
    if (i != s->hn) {
        hset(s, i, s->heap[s->hn]);
        heap_fix(s, i);
    }
}

static int reserve_heap(struct sami_sim *s, uint64_t ncap, uint64_t fcap, uint64_t tcap)
{
    uint64_t need = ncap + fcap + tcap;
    if (need <= s->hcap)
        return 0;
    if (need > UINT32_MAX / 2)
        return SAMI_ERR_LIMIT;
    uint64_t cap = s->hcap ? s->hcap : 64;
    while (cap < need)
        cap *= 2;
    struct hent *h = realloc(s->heap, (size_t)cap * sizeof *h);
    if (!h)
        return SAMI_ERR_NOMEM;
    s->heap = h;
    s->hcap = (uint32_t)cap;
    return 0;
}

static uint32_t grow_cap(uint32_t cap, uint32_t min)
{
    uint64_t c = cap ? cap : min;
    while (c <= cap)
        c *= 2;
    return c > MAX_OBJECTS ? MAX_OBJECTS : (uint32_t)c;
}

/* ---- pools ----------------------------------------------------------------- */

static int frames_reserve(struct sami_sim *s, uint32_t want)
{
    if (s->nfree >= want)
        return 0;
    if (s->fcap >= MAX_OBJECTS)
        return SAMI_ERR_LIMIT;
    uint32_t cap = grow_cap(s->fcap, 256);
    int rc = reserve_heap(s, s->ncap, cap, s->tcap);
    if (rc)
        return rc;
    struct frame *f = realloc(s->frames, (size_t)cap * sizeof *f);
    if (!f)
        return SAMI_ERR_NOMEM;
    s->frames = f;
    for (uint32_t i = cap; i > s->fcap; i--) {
        f[i - 1].buf = NULL;
        f[i - 1].next_free = s->ffree;
        s->ffree = i - 1;
    }
    s->nfree += cap - s->fcap;
    s->fcap = cap;
    return 0;
}

static uint32_t frame_take(struct sami_sim *s)
{
    uint32_t i = s->ffree;
    s->ffree = s->frames[i].next_free;
    s->nfree--;
    return i;
}

static void frame_release(struct sami_sim *s, uint32_t i)
{
    s->frames[i].buf = NULL;
    s->frames[i].next_free = s->ffree;
    s->ffree = i;
    s->nfree++;
}

static int timer_alloc(struct sami_sim *s, uint32_t *out)
{
    if (s->tfree == NOSLOT) {
        if (s->tcap >= MAX_OBJECTS)
            return SAMI_ERR_LIMIT;
        uint32_t cap = grow_cap(s->tcap, 16);
        int rc = reserve_heap(s, s->ncap, s->fcap, cap);
        if (rc)
            return rc;
        struct timer *t = realloc(s->timers, (size_t)cap * sizeof *t);
        if (!t)
            return SAMI_ERR_NOMEM;
        s->timers = t;
        for (uint32_t i = cap; i > s->tcap; i--) {
            t[i - 1].gen = 1;
            t[i - 1].heap_pos = NOPOS;
            t[i - 1].next_free = s->tfree;
            s->tfree = i - 1;
        }
        s->tcap = cap;
    }
    *out = s->tfree;
    s->tfree = s->timers[*out].next_free;
    return 0;
}

static void timer_release(struct sami_sim *s, uint32_t i)
{
    struct timer *t = &s->timers[i];
    t->fn = NULL;
    t->arg = NULL;
    t->gen = t->gen >= INT32_MAX ? 1 : t->gen + 1;
    t->next_free = s->tfree;
    s->tfree = i;
}

/* ---- helpers --------------------------------------------------------------- */

static int valid_node(const struct sami_sim *s, int node)
{
    return s && node >= 0 && (uint32_t)node < s->nn;
}

static int valid_link(const struct sami_sim *s, int link)
{
    return s && link >= 0 && (uint32_t)link < s->nl;
}

static void tap(struct sami_sim *s, int from, int to, const uint8_t *buf, size_t len, int ev)
{
    if (s->tap)
        s->tap(s->tap_arg, s->now, from, to, buf, len, ev);
}

/* Re-reads one node's deadline and moves its heap entry to match. rekey
 * gives the entry a fresh sequence number even if its time is unchanged:
 * after run() the entry is still in the heap (re-keyed in place rather than
 * popped and pushed, half the heap work) and must queue behind events
 * already scheduled for the same microsecond. */
static void node_refresh(struct sami_sim *s, uint32_t x, int rekey)
{
    struct node *n = &s->nodes[x];
    sami_usec_t d = SAMI_NO_DEADLINE;
    if (!n->down && n->ops.next_deadline) {
        d = n->ops.next_deadline(n->ctx);
        s->st.polls++;
        n = &s->nodes[x]; /* the callback may have added nodes */
    }
    if (d == SAMI_NO_DEADLINE) {
        if (n->heap_pos != NOPOS)
            heap_remove(s, n->heap_pos);
        return;
    }
    if (d < s->now)
        d = s->now; /* overdue: run at once, time never goes back */
    if (d == s->now && n->spin_t == s->now && n->spin_n >= SAMI_SIM_SPIN_LIMIT) {
        d = s->now + 1;
        s->st.spin_breaks++;
    }
    if (n->heap_pos != NOPOS) {
        struct hent *e = &s->heap[n->heap_pos];
        if (e->t == d && !rekey)
            return; /* unchanged: keep its place among equal times */
        e->t = d;
        e->seq = s->seq++;
        heap_fix(s, n->heap_pos);
    } else {
        heap_push(s, d, MAKE_REF(K_NODE, x));
    }
}

static void poll_all(struct sami_sim *s)
{
    s->dirty_all = 0;
    for (uint32_t i = 0; i < s->nn; i++)
        node_refresh(s, i, 0);
}

static void txq_expire(struct dirstate *d, sami_usec_t now)
{
    while (d->txq_n && d->txq[d->txq_head] <= now) {
        d->txq_head = (d->txq_head + 1) % d->txq_cap;
        d->txq_n--;
    }
}

static int txq_reserve(struct dirstate *d)
{
    if (d->txq_n < d->txq_cap)
        return 0;
    uint32_t cap = grow_cap(d->txq_cap, 16);
    if (cap <= d->txq_cap)
        return SAMI_ERR_LIMIT;
    sami_usec_t *q = malloc((size_t)cap * sizeof *q);
    if (!q)
        return SAMI_ERR_NOMEM;
    for (uint32_t i = 0; i < d->txq_n; i++)
        q[i] = d->txq[(d->txq_head + i) % d->txq_cap];
    free(d->txq);
    d->txq = q;
    d->txq_cap = cap;
    d->txq_head = 0;
    return 0;
}

static void dir_reset(struct dirstate *d, sami_usec_t now)
{
    d->busy_until = now;
    d->fifo_until = now;
    d->txq_n = 0;
    d->txq_head = 0;
}

static int check_params(const struct sami_sim_link_params *p)
{
    if (!(p->loss >= 0.0 && p->loss <= 1.0) || !(p->duplicate >= 0.0 && p->duplicate <= 1.0) ||
        !(p->reorder >= 0.0 && p->reorder <= 1.0))
        return SAMI_ERR_INVAL; /* also refuses NaN */
    if (p->delay_us > SAMI_SIM_MAX_DELAY || p->jitter_us > SAMI_SIM_MAX_DELAY ||
        p->reorder_gap_us > SAMI_SIM_MAX_DELAY)
        return SAMI_ERR_INVAL;
    return 0;
}

static void dir_set(struct dirstate *d, const struct sami_sim_link_params *p)
{
    d->p = *p;
    d->loss_thr = prob_threshold(p->loss);
    d->dup_thr = prob_threshold(p->duplicate);
    d->reo_thr = prob_threshold(p->reorder);
}

/* Drops every in-flight frame on a direction marked `purge`: compact the
 * heap, rebuild it, then report. Dropped frames are chained through
 * next_free so no allocation is needed. */
static void purge_marked(struct sami_sim *s)
{
    uint32_t head = NOSLOT, tail = NOSLOT, w = 0;
    for (uint32_t i = 0; i < s->hn; i++) {
        struct hent e = s->heap[i];
        if ((e.ref >> REF_SHIFT) == K_FRAME) {
            uint32_t x = e.ref & REF_MASK;
            uint32_t ld = s->frames[x].ld;
            if (s->links[ld >> 1].d[ld & 1].purge) {
                s->frames[x].next_free = NOSLOT;
                if (tail == NOSLOT)
                    head = x;
                else
                    s->frames[tail].next_free = x;
                tail = x;
                continue;
            }
        }
        hset(s, w++, e);
    }
    s->hn = w;
    for (uint32_t i = w / 2; i > 0; i--)
        sift_down(s, i - 1);

    for (uint32_t l = 0; l < s->nl; l++)
        for (int k = 0; k < 2; k++)
            if (s->links[l].d[k].purge) {
                s->links[l].d[k].purge = 0;
                dir_reset(&s->links[l].d[k], s->now);
            }

    while (head != NOSLOT) {
        struct frame *f = &s->frames[head];
        uint32_t next = f->next_free, ld = f->ld;
        struct link *L = &s->links[ld >> 1];
        struct dirstate *d = &L->d[ld & 1];
        uint8_t *buf = f->buf;
        uint32_t len = f->len;
        d->st.in_flight--;
        d->st.dropped_down++;
        s->st.frames_in_flight--;
        frame_release(s, head);
        tap(s, L->node[ld & 1], L->node[!(ld & 1)], buf, len, SAMI_SIM_TAP_DROPPED);
        free(buf);
        head = next;
    }
}

/* ---- sending --------------------------------------------------------------- */

static void schedule_frame(struct sami_sim *s, uint32_t ld, uint8_t *buf, size_t len,
                           sami_usec_t at)
{
    uint32_t x = frame_take(s);
    s->frames[x].buf = buf;
    s->frames[x].len = (uint32_t)len;
    s->frames[x].ld = ld;
    s->links[ld >> 1].d[ld & 1].st.in_flight++;
    s->st.frames_in_flight++;
    heap_push(s, at, MAKE_REF(K_FRAME, x));
}

static int link_tx(struct sami_sim *s, uint32_t li, int dir, const uint8_t *frame, size_t len)
{
    struct link *L = &s->links[li];
    struct dirstate *d = &L->d[dir];
    int from = L->node[dir], to = L->node[!dir];
    sami_usec_t now = s->now;

    /* A fixed number of draws per frame, whatever the parameters, so that
     * e.g. enabling jitter does not change which frames are lost. */
    uint64_t r_loss = rng_next(&L->rng), r_dup = rng_next(&L->rng);
    uint64_t r_reo = rng_next(&L->rng), r_jit = rng_next(&L->rng);
    uint64_t r_jit2 = rng_next(&L->rng), r_gap = rng_next(&L->rng);

    int dead = L->down || s->nodes[from].down;
    txq_expire(d, now);
    int full = !dead && d->p.queue_max && d->txq_n >= d->p.queue_max;
    int lost = !dead && !full && chance(r_loss, d->loss_thr);
    int pass = !dead && !full && !lost;
    int dup = pass && chance(r_dup, d->dup_thr);
    uint8_t *b1 = NULL, *b2 = NULL;

    if (pass) {
        /* every allocation before any side effect: a failure leaves no trace */
        int rc = frames_reserve(s, dup ? 2 : 1);
        if (!rc && (d->p.bandwidth_bps || d->busy_until > now))
            rc = txq_reserve(d); /* only a finite-rate or busy line queues */
        if (rc)
            return rc;
        b1 = malloc(len ? len : 1);
        b2 = dup ? malloc(len ? len : 1) : NULL;
        if (!b1 || (dup && !b2)) {
            free(b1);
            free(b2);
            return SAMI_ERR_NOMEM;
        }
        if (len) {
            memcpy(b1, frame, len);
            if (b2)
                memcpy(b2, frame, len);
        }
    }

    d->st.sent++;
    d->st.bytes_sent += len;
    tap(s, from, to, frame, len, SAMI_SIM_TAP_SENT);
    if (!pass) {
        if (lost)
            d->st.lost++;
        else if (full)
            d->st.dropped_queue++;
        else
            d->st.dropped_down++;
        tap(s, from, to, frame, len, lost ? SAMI_SIM_TAP_LOST : SAMI_SIM_TAP_DROPPED);
        return 0;
    }

    /* tap may not mutate, but L/d are re-derived anyway for safety */
    L = &s->links[li];
    d = &L->d[dir];
    const struct sami_sim_link_params *p = &d->p;
    sami_usec_t start = d->busy_until > now ? d->busy_until : now;
    sami_usec_t ser = 0;
    if (p->bandwidth_bps) {
        uint64_t bits_us = (uint64_t)len * 8u * 1000000u;
        ser = bits_us / p->bandwidth_bps + (bits_us % p->bandwidth_bps != 0);
    }
    sami_usec_t finish = start + ser;
    d->busy_until = finish;
    if (finish > now) {
        d->txq[(d->txq_head + d->txq_n) % d->txq_cap] = finish;
        d->txq_n++;
    }

    sami_usec_t at = finish + p->delay_us + scale_incl(r_jit, p->jitter_us);
    if (chance(r_reo, d->reo_thr)) {
        /* held back outside the FIFO so later frames overtake it */
        sami_usec_t gap = p->reorder_gap_us ? p->reorder_gap_us : p->delay_us + p->jitter_us + 1;
        at += 1 + scale_incl(r_gap, gap - 1);
        d->st.reordered++;
    } else {
        if (at < d->fifo_until)
            at = d->fifo_until;
        d->fifo_until = at;
    }
    uint32_t ld = li * 2u + (uint32_t)dir;
    schedule_frame(s, ld, b1, len, at);

    if (dup) {
        sami_usec_t at2 = finish + p->delay_us + scale_incl(r_jit2, p->jitter_us);
        if (at2 < d->fifo_until)
            at2 = d->fifo_until;
        d->fifo_until = at2;
        d->st.duplicated++;
        schedule_frame(s, ld, b2, len, at2);
        tap(s, from, to, frame, len, SAMI_SIM_TAP_DUPLICATED);
    }
    return 0;
}

int sami_sim_send(struct sami_sim *s, int node, int port, const uint8_t *frame, size_t len)
{
    if (!valid_node(s, node) || (len && !frame))
        return SAMI_ERR_INVAL;
    if (len > SAMI_SIM_MAX_FRAME)
        return SAMI_ERR_TOOBIG;
    struct node *n = &s->nodes[node];
    int32_t pl = (port >= 0 && (uint32_t)port < n->nports) ? n->ports[port] : -1;
    if (pl < 0) {
        s->st.unrouted++;
        tap(s, node, -1, frame, len, SAMI_SIM_TAP_DROPPED);
        return 0;
    }
    return link_tx(s, (uint32_t)pl >> 1, pl & 1, frame, len);
}

/* ---- event processing ------------------------------------------------------ */

static void deliver(struct sami_sim *s, uint32_t x)
{
    struct frame *f = &s->frames[x];
    uint32_t ld = f->ld;
    uint8_t *buf = f->buf;
    size_t len = f->len;
    struct link *L = &s->links[ld >> 1];
    struct dirstate *d = &L->d[ld & 1];
    int from = L->node[ld & 1], to = L->node[!(ld & 1)], port = L->port[!(ld & 1)];

    frame_release(s, x);
    d->st.in_flight--;
    s->st.frames_in_flight--;
    if (s->nodes[to].down) {
        d->st.dropped_down++;
        tap(s, from, to, buf, len, SAMI_SIM_TAP_DROPPED);
        free(buf);
        return;
    }
    d->st.delivered++;
    d->st.bytes_delivered += len;
    s->st.deliveries++;
    tap(s, from, to, buf, len, SAMI_SIM_TAP_DELIVERED);
    struct node *n = &s->nodes[to];
    n->ops.rx(n->ctx, s->now, port, buf, len);
    free(buf);
    node_refresh(s, (uint32_t)to, 0);
}

static void run_node(struct sami_sim *s, uint32_t x)
{
    struct node *n = &s->nodes[x];
    if (n->spin_t == s->now) {
        n->spin_n++;
    } else {
        n->spin_t = s->now;
        n->spin_n = 1;
    }
    s->st.node_runs++;
    if (n->ops.run)
        n->ops.run(n->ctx, s->now);
    node_refresh(s, x, 1);
}

static void fire_timer(struct sami_sim *s, uint32_t x)
{
    sami_sim_timer_fn fn = s->timers[x].fn;
    void *arg = s->timers[x].arg;
    int node = s->timers[x].node;
    timer_release(s, x);
    s->st.timers++;
    fn(s, s->now, arg);
    /* scripts poke engines directly: re-read the deadlines they may have moved */
    if (node >= 0)
        node_refresh(s, (uint32_t)node, 0);
    else
        s->dirty_all = 1;
}

static void process_one(struct sami_sim *s)
{
    struct hent e = s->heap[0];
    s->now = e.t;
    s->st.events++;
    uint32_t x = e.ref & REF_MASK;
    if ((e.ref >> REF_SHIFT) != K_NODE)
        heap_remove(s, 0); /* a node's entry stays: run_node re-keys it */
    switch (e.ref >> REF_SHIFT) {
    case K_FRAME:
        deliver(s, x);
        break;
    case K_NODE:
        run_node(s, x);
        break;
    default:
        fire_timer(s, x);
        break;
    }
}

/* Runs events up to and including t; returns 1 if it stopped because the
 * queue emptied, 0 if the next event lies beyond t. */
static int run_loop(struct sami_sim *s, sami_usec_t t)
{
    s->dirty_all = 1;
    for (;;) {
        if (s->dirty_all)
            poll_all(s);
        if (s->hn == 0)
            return 1;
        if (s->heap[0].t > t)
            return 0;
        process_one(s);
    }
}

int sami_sim_run_until(struct sami_sim *s, sami_usec_t t)
{
    if (!s)
        return SAMI_ERR_INVAL;
    if (s->running)
        return SAMI_ERR_STATE;
    if (t < s->now)
        return SAMI_ERR_INVAL;
    s->running = 1;
    run_loop(s, t);
    s->now = t;
    s->running = 0;
    return 0;
}

int sami_sim_run_until_idle(struct sami_sim *s, sami_usec_t limit)
{
    if (!s)
        return SAMI_ERR_INVAL;
    if (s->running)
        return SAMI_ERR_STATE;
    if (limit < s->now)
        return SAMI_ERR_INVAL;
    s->running = 1;
    int idle = run_loop(s, limit);
    if (!idle)
        s->now = limit;
    s->running = 0;
    return idle ? 0 : SAMI_ERR_TIMEOUT;
}

int sami_sim_step(struct sami_sim *s)
{
    if (!s)
        return SAMI_ERR_INVAL;
    if (s->running)
        return SAMI_ERR_STATE;
    s->running = 1;
    poll_all(s);
    int ran = 0;
    if (s->hn) {
        process_one(s);
        ran = 1;
    }
    s->running = 0;
    return ran;
}

sami_usec_t sami_sim_now(const struct sami_sim *s)
{
    return s ? s->now : 0;
}

sami_usec_t sami_sim_next_event(const struct sami_sim *s)
{
    return s && s->hn ? s->heap[0].t : SAMI_NO_DEADLINE;
}

/* ---- timers ---------------------------------------------------------------- */

int64_t sami_sim_at_node(struct sami_sim *s, int node, sami_usec_t t, sami_sim_timer_fn fn,
                         void *arg)
{
    if (!s || !fn || t < s->now || t == SAMI_NO_DEADLINE || (node != -1 && !valid_node(s, node)))
        return SAMI_ERR_INVAL;
    uint32_t x;
    int rc = timer_alloc(s, &x);
    if (rc)
        return rc;
    s->timers[x].fn = fn;
    s->timers[x].arg = arg;
    s->timers[x].node = node;
    heap_push(s, t, MAKE_REF(K_TIMER, x));
    return ((int64_t)s->timers[x].gen << 32) | x;
}

int64_t sami_sim_at(struct sami_sim *s, sami_usec_t t, sami_sim_timer_fn fn, void *arg)
{
    return sami_sim_at_node(s, -1, t, fn, arg);
}

int64_t sami_sim_after(struct sami_sim *s, sami_usec_t delay, sami_sim_timer_fn fn, void *arg)
{
    if (!s || delay > SAMI_NO_DEADLINE - 1 - s->now)
        return SAMI_ERR_INVAL;
    return sami_sim_at(s, s->now + delay, fn, arg);
}

int sami_sim_cancel(struct sami_sim *s, int64_t id)
{
    if (!s || id <= 0)
        return SAMI_ERR_INVAL;
    uint32_t x = (uint32_t)(id & 0xffffffff);
    uint32_t gen = (uint32_t)(id >> 32);
    if (x >= s->tcap || s->timers[x].gen != gen || s->timers[x].heap_pos == NOPOS)
        return SAMI_ERR_NOTFOUND;
    heap_remove(s, s->timers[x].heap_pos);
    timer_release(s, x);
    return 0;
}

/* ---- nodes ----------------------------------------------------------------- */

int sami_sim_add_node(struct sami_sim *s, const char *name, const struct sami_sim_node_ops *ops,
                      void *ctx)
{
    if (!s || !ops || !ops->rx || (ops->next_deadline && !ops->run))
        return SAMI_ERR_INVAL;
    if (s->nn >= (uint32_t)MAX_OBJECTS)
        return SAMI_ERR_LIMIT;
    if (s->nn == s->ncap) {
        uint32_t cap = grow_cap(s->ncap, 16);
        int rc = reserve_heap(s, cap, s->fcap, s->tcap);
        if (rc)
            return rc;
        struct node *n = realloc(s->nodes, (size_t)cap * sizeof *n);
        if (!n)
            return SAMI_ERR_NOMEM;
        s->nodes = n;
        s->ncap = cap;
    }
    size_t nl = name ? strlen(name) : 0;
    char *copy = malloc(nl + 1);
    if (!copy)
        return SAMI_ERR_NOMEM;
    if (nl)
        memcpy(copy, name, nl);
    copy[nl] = '\0';
    uint32_t id = s->nn++;
    struct node *n = &s->nodes[id];
    memset(n, 0, sizeof *n);
    n->name = copy;
    n->ops = *ops;
    n->ctx = ctx;
    n->heap_pos = NOPOS;
    n->spin_t = SAMI_NO_DEADLINE;
    /* Its deadline is read at the next poll (run entry, or a touch): the
     * caller usually finishes wiring its ctx after this returns. */
    s->dirty_all = 1;
    return (int)id;
}

int sami_sim_node_count(const struct sami_sim *s)
{
    return s ? (int)s->nn : 0;
}

const char *sami_sim_node_name(const struct sami_sim *s, int node)
{
    return valid_node(s, node) ? s->nodes[node].name : NULL;
}

void *sami_sim_node_ctx(const struct sami_sim *s, int node)
{
    return valid_node(s, node) ? s->nodes[node].ctx : NULL;
}

int sami_sim_find_node(const struct sami_sim *s, const char *name)
{
    if (!s || !name)
        return SAMI_ERR_INVAL;
    for (uint32_t i = 0; i < s->nn; i++)
        if (strcmp(s->nodes[i].name, name) == 0)
            return (int)i;
    return SAMI_ERR_NOTFOUND;
}

int sami_sim_touch(struct sami_sim *s, int node)
{
    if (s && node == -1) {
        s->dirty_all = 1;
        return 0;
    }
    if (!valid_node(s, node))
        return SAMI_ERR_INVAL;
    node_refresh(s, (uint32_t)node, 0);
    return 0;
}

int sami_sim_restart_node(struct sami_sim *s, int node)
{
    if (!valid_node(s, node))
        return SAMI_ERR_INVAL;
    struct node *n = &s->nodes[node];
    if (!n->ops.restart)
        return SAMI_ERR_UNSUPPORTED;
    int any = 0;
    for (uint32_t p = 0; p < n->nports; p++) {
        if (n->ports[p] < 0)
            continue;
        struct link *L = &s->links[(uint32_t)n->ports[p] >> 1];
        L->d[0].purge = L->d[1].purge = 1;
        any = 1;
    }
    if (any)
        purge_marked(s);
    n = &s->nodes[node];
    n->ops.restart(n->ctx, s->now);
    node_refresh(s, (uint32_t)node, 0);
    return 0;
}

int sami_sim_node_down(struct sami_sim *s, int node, int down)
{
    if (!valid_node(s, node))
        return SAMI_ERR_INVAL;
    s->nodes[node].down = down != 0;
    node_refresh(s, (uint32_t)node, 0); /* removes when down, re-reads when up */
    return 0;
}

int sami_sim_node_is_down(const struct sami_sim *s, int node)
{
    if (!valid_node(s, node))
        return SAMI_ERR_INVAL;
    return s->nodes[node].down;
}

/* ---- links ----------------------------------------------------------------- */

static int port_grow(struct node *n, int port)
{
    if ((uint32_t)port < n->nports)
        return 0;
    uint32_t cap = (uint32_t)port + 1;
    if (cap < 4)
        cap = 4;
    int32_t *p = realloc(n->ports, (size_t)cap * sizeof *p);
    if (!p)
        return SAMI_ERR_NOMEM;
    for (uint32_t i = n->nports; i < cap; i++)
        p[i] = -1;
    n->ports = p;
    n->nports = cap;
    return 0;
}

int sami_sim_link(struct sami_sim *s, int a, int pa, int b, int pb,
                  const struct sami_sim_link_params *params)
{
    static const struct sami_sim_link_params ideal;
    if (!valid_node(s, a) || !valid_node(s, b) || pa < 0 || pb < 0 || pa > SAMI_SIM_MAX_PORT ||
        pb > SAMI_SIM_MAX_PORT || (a == b && pa == pb))
        return SAMI_ERR_INVAL;
    if (!params)
        params = &ideal;
    int rc = check_params(params);
    if (rc)
        return rc;
    struct node *na = &s->nodes[a], *nb = &s->nodes[b];
    if (((uint32_t)pa < na->nports && na->ports[pa] >= 0) ||
        ((uint32_t)pb < nb->nports && nb->ports[pb] >= 0))
        return SAMI_ERR_EXISTS;
    if (s->nl >= (uint32_t)INT32_MAX / 2)
        return SAMI_ERR_LIMIT;
    if (s->nl == s->lcap) {
        uint32_t cap = grow_cap(s->lcap, 16);
        struct link *l = realloc(s->links, (size_t)cap * sizeof *l);
        if (!l)
            return SAMI_ERR_NOMEM;
        s->links = l;
        s->lcap = cap;
    }
    if ((rc = port_grow(na, pa)) != 0 || (rc = port_grow(nb, pb)) != 0)
        return rc;
    uint32_t id = s->nl++;
    struct link *L = &s->links[id];
    memset(L, 0, sizeof *L);
    L->node[0] = a;
    L->port[0] = pa;
    L->node[1] = b;
    L->port[1] = pb;
    /* per-link stream derived from the seed and the link's creation index */
    rng_seed(&L->rng, s->seed ^ (UINT64_C(0xd1342543de82ef95) * ((uint64_t)id + 1)));
    for (int k = 0; k < 2; k++) {
        dir_set(&L->d[k], params);
        dir_reset(&L->d[k], s->now);
    }
    na->ports[pa] = (int32_t)(id * 2);
    nb->ports[pb] = (int32_t)(id * 2 + 1);
    return (int)id;
}

int sami_sim_link_set_dir(struct sami_sim *s, int link, int dir,
                          const struct sami_sim_link_params *params)
{
    if (!valid_link(s, link) || !params || dir < 0 || dir > SAMI_SIM_DIR_BOTH)
        return SAMI_ERR_INVAL;
    int rc = check_params(params);
    if (rc)
        return rc;
    for (int k = 0; k < 2; k++)
        if (dir == k || dir == SAMI_SIM_DIR_BOTH)
            dir_set(&s->links[link].d[k], params);
    return 0;
}

int sami_sim_link_set(struct sami_sim *s, int link, const struct sami_sim_link_params *params)
{
    return sami_sim_link_set_dir(s, link, SAMI_SIM_DIR_BOTH, params);
}

int sami_sim_link_get(const struct sami_sim *s, int link, int dir,
                      struct sami_sim_link_params *out)
{
    if (!valid_link(s, link) || !out || dir < 0 || dir > 1)
        return SAMI_ERR_INVAL;
    *out = s->links[link].d[dir].p;
    return 0;
}

int sami_sim_partition(struct sami_sim *s, int link, int down)
{
    if (!valid_link(s, link))
        return SAMI_ERR_INVAL;
    struct link *L = &s->links[link];
    if (down && !L->down) {
        L->down = 1;
        L->d[0].purge = L->d[1].purge = 1;
        purge_marked(s);
    } else if (!down) {
        L->down = 0;
    }
    return 0;
}

int sami_sim_link_count(const struct sami_sim *s)
{
    return s ? (int)s->nl : 0;
}

int sami_sim_port_link(const struct sami_sim *s, int node, int port, int *peer_node,
                       int *peer_port)
{
    if (!valid_node(s, node) || port < 0)
        return SAMI_ERR_INVAL;
    const struct node *n = &s->nodes[node];
    if ((uint32_t)port >= n->nports || n->ports[port] < 0)
        return SAMI_ERR_NOTFOUND;
    uint32_t pl = (uint32_t)n->ports[port];
    const struct link *L = &s->links[pl >> 1];
    if (peer_node)
        *peer_node = L->node[!(pl & 1)];
    if (peer_port)
        *peer_port = L->port[!(pl & 1)];
    return (int)(pl >> 1);
}

static void stats_add(struct sami_sim_link_stats *o, const struct sami_sim_link_stats *a)
{
    o->sent += a->sent;
    o->delivered += a->delivered;
    o->lost += a->lost;
    o->duplicated += a->duplicated;
    o->reordered += a->reordered;
    o->dropped_queue += a->dropped_queue;
    o->dropped_down += a->dropped_down;
    o->in_flight += a->in_flight;
    o->bytes_sent += a->bytes_sent;
    o->bytes_delivered += a->bytes_delivered;
}

int sami_sim_link_stats(const struct sami_sim *s, int link, int dir,
                        struct sami_sim_link_stats *out)
{
    if (!valid_link(s, link) || !out || dir < 0 || dir > SAMI_SIM_DIR_BOTH)
        return SAMI_ERR_INVAL;
    memset(out, 0, sizeof *out);
    for (int k = 0; k < 2; k++)
        if (dir == k || dir == SAMI_SIM_DIR_BOTH)
            stats_add(out, &s->links[link].d[k].st);
    return 0;
}

/* ---- observation, randomness, lifecycle ------------------------------------ */

void sami_sim_set_tap(struct sami_sim *s, sami_sim_tap_fn fn, void *arg)
{
    if (!s)
        return;
    s->tap = fn;
    s->tap_arg = arg;
}

void sami_sim_get_stats(const struct sami_sim *s, struct sami_sim_stats *out)
{
    if (!out)
        return;
    if (!s) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = s->st;
}

uint64_t sami_sim_rand(struct sami_sim *s)
{
    return rng_next(&s->rng);
}

uint64_t sami_sim_rand_below(struct sami_sim *s, uint64_t n)
{
    if (n == 0)
        return 0;
    /* multiply-shift with rejection of the short zone: exactly uniform */
    uint64_t x = rng_next(&s->rng);
    uint64_t lo = x * n;
    if (lo < n) {
        uint64_t thr = (0 - n) % n;
        while (lo < thr) {
            x = rng_next(&s->rng);
            lo = x * n;
        }
    }
    return mulhi64(x, n);
}

struct sami_sim *sami_sim_new(uint64_t seed)
{
    struct sami_sim *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->seed = seed;
    rng_seed(&s->rng, seed);
    s->ffree = NOSLOT;
    s->tfree = NOSLOT;
    return s;
}

void sami_sim_free(struct sami_sim *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->hn; i++)
        if ((s->heap[i].ref >> REF_SHIFT) == K_FRAME)
            free(s->frames[s->heap[i].ref & REF_MASK].buf);
    for (uint32_t i = 0; i < s->nn; i++) {
        free(s->nodes[i].name);
        free(s->nodes[i].ports);
    }
    for (uint32_t i = 0; i < s->nl; i++)
        for (int k = 0; k < 2; k++)
            free(s->links[i].d[k].txq);
    free(s->heap);
    free(s->nodes);
    free(s->links);
    free(s->frames);
    free(s->timers);
    free(s);
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void sami_sim_pcap_file_header(uint8_t out[SAMI_SIM_PCAP_FILE_HEADER_LEN], uint32_t snaplen,
                               uint32_t linktype)
{
    put_le32(out, 0xa1b2c3d4u); /* microsecond-resolution magic */
    out[4] = 2;                 /* version 2.4, little-endian u16s */
    out[5] = 0;
    out[6] = 4;
    out[7] = 0;
    put_le32(out + 8, 0);  /* thiszone */
    put_le32(out + 12, 0); /* sigfigs */
    put_le32(out + 16, snaplen);
    put_le32(out + 20, linktype);
}

void sami_sim_pcap_record_header(uint8_t out[SAMI_SIM_PCAP_RECORD_HEADER_LEN], sami_usec_t t,
                                 sami_usec_t epoch_us, uint32_t caplen, uint32_t len)
{
    sami_usec_t abs = t + epoch_us;
    put_le32(out, (uint32_t)(abs / 1000000u));
    put_le32(out + 4, (uint32_t)(abs % 1000000u));
    put_le32(out + 8, caplen);
    put_le32(out + 12, len);
}
