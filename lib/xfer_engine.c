/* Transfer engine (sami/xfer_engine.h, docs/ENGINES-TRANSFER.md).
 *
 * Per migration the source sends a chain of "units": PRECOPY batches, then
 * DELTA batches, then COMMIT. Batch k of attempt a carries GENERATION
 * base = (k == 0 ? 0 : a << 32 | k), next = a << 32 | (k + 1): the
 * destination applies a batch only when base is the position it holds, so
 * a retransmitted or duplicated batch is never applied twice, a batch after
 * a gap is dropped (go-back-N), and a new attempt (base 0 with a larger
 * next) replaces an older staging area. Every applied or duplicate batch is
 * answered by ACK naming its sequence; COMMIT by RESULT (flag LAST). */
#include "sami/xfer_engine.h"

#include <stddef.h>
#include <string.h>

#include "sami/dlheap.h"

#define NT SAMI_STORE_COUNTS
#define XE_WMAX 16u
#define BATCH_OVERHEAD                                                                     \
    (SAMI_XFER_OVERHEAD + SAMI_XFER_ELEM_HDR_LEN * 3u + SAMI_XFER_VM_ID_LEN +              \
     SAMI_XFER_GENERATION_LEN + SAMI_XFER_SNAPSHOT_TIME_LEN)
#define MIN_MSG 2048u
#define SEND_MIN 1024u /* below this a peer cannot take the largest DI record */

enum { HELLO_NONE = 0, HELLO_SENT = 1, HELLO_DONE = 2 };

/* Encoded DI elements (type | length | value) of one batch. */
struct xo_chunk {
    struct xo_chunk *next;
    uint32_t len, cap, nrec;
    uint8_t data[];
};

/* The records of one export (pre-copy or delta), cut into batches. */
struct outbox {
    struct xo_chunk *head, *tail;
    struct xo_chunk **tail_link;
    uint32_t nchunks, nrec;
    uint32_t upserts[NT];     /* UPSERT records per type ([0] total) */
    uint32_t sent[NT];        /* every record per type */
    uint32_t unsupported[NT]; /* skipped: the peer does not take the type */
    uint64_t digest;          /* sum of FNV-1a-64 over UPSERT values */
    sami_usec_t at;           /* when exported (snapshot) */
    const struct xo_chunk *cur; /* the batch unit_chunk() found last, */
    uint32_t cur_k;             /* and its index */
};

struct xpeer {
    int used;
    struct sami_xfer_bridge_id id;
    int binding;
    void *handle;
    int link_peer;
    struct sami_xfer_replay replay;
    uint64_t tx_seq; /* last sequence used */
    int hello;    /* our HELLO exchange (measures the round trip) */
    int up;       /* the peer's CAPS are known: sources may start */
    unsigned hello_tries;
    sami_usec_t hello_timer, hello_sent;
    struct sami_xfer_caps caps;
    sami_usec_t srtt;     /* smoothed round trip, clean samples only (Karn) */
    uint64_t hello_retx;  /* link resends to the peer when our HELLO went out */
    int hello_started;    /* L2: the link began sending our HELLO */
    struct sami_dlheap_link dl; /* index storage (hello_timer): last, kept by memsets */
};

struct xmig {
    uint8_t used, role, state;
    uint64_t id;
    struct sami_vm_id vm;
    uint32_t want; /* DI types this migration moves (bit t = type t); never 0 */
    int peer; /* -1: dest not bound yet */
    sami_usec_t deadline, timer;
    unsigned tries;
    uint64_t ctl_first; /* first sequence of the ABORT / ACTIVATE exchange */
    uint16_t abort_reason;
    uint8_t committed;  /* source: RESULT OK heard: from now on BR-D decides */
    sami_usec_t giveup; /* dest ACTIVATING: no ACTIVATE resent after this */
    /* source */
    uint32_t attempt;
    unsigned backoff_n;
    uint8_t exported, commit_req, delta_ready, pre_done, any_sent;
    uint64_t gen_pre;
    struct outbox pre, del;
    uint32_t npre, ndel, una, nxt, hiw;
    uint64_t useq[XE_WMAX];
    sami_usec_t usent[XE_WMAX];
    /* round-trip sampling: when the unit really left (after waiting in the
     * L2 link's queue) and the link's resend count then */
    sami_usec_t ustart[XE_WMAX];
    uint64_t uretx[XE_WMAX];
    uint8_t ustarted[XE_WMAX];
    sami_usec_t t_commit;
    uint32_t fcounts[NT];
    uint64_t fdigest;
    /* destination */
    uint64_t pos, attempt_first;
    uint8_t pre_last, del_last, staged;
    uint32_t rx_total;
    uint32_t rx_type[NT];
    uint8_t res_status;
    uint16_t res_reason;
    uint32_t inst[NT];
    uint64_t res_digest;
    uint32_t res_transfer_us;
    struct sami_dlheap_link dl; /* index storage (mig_sync): last, kept by memsets */
};

struct sami_xfer_engine {
    struct sami_xfer_engine_cfg cfg;
    uint8_t name[SAMI_XFER_NAME_MAX];
    size_t name_len;
    struct xpeer *peers;
    uint32_t npeers;
    struct xmig *migs;
    uint32_t nmigs, active;
    /* Earliest-deadline indexes (sami/dlheap.h): next_deadline in O(1).
     * Every change to a peer's hello_timer or a migration's used, state,
     * timer or deadline is followed by peer_sync / mig_sync before the
     * engine calls out (tx, event), so they always equal a full scan. */
    struct sami_dlheap pdl, mdl;
    uint8_t *buf; /* 4-octet stream prefix + one message */
    size_t bufcap;
    uint8_t *rbuf; /* L2: a queued message being restamped (max_msg) */
    uint32_t held; /* records counted against max_records_total */
    sami_usec_t rx_at; /* L2: when the message being input began to arrive, else 0 */
    struct sami_xfer_engine_counters c;
};

static void link_deliver(void *ctx, sami_usec_t now, int link_peer, void *handle,
                         const uint8_t *msg, size_t len);
static int link_starting(void *ctx, sami_usec_t now, int link_peer, void *handle, uint32_t ticket,
                         uint8_t *a, size_t alen, uint8_t *b, size_t blen);

/* ------------------------------------------------------------------ */
/* small helpers */

static uint64_t to_ms(sami_usec_t t) { return t / 1000u; }

static uint32_t ms32(sami_usec_t d)
{
    uint64_t ms = d / 1000u;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

static int bid_eq(const struct sami_xfer_bridge_id *a, const struct sami_xfer_bridge_id *b)
{
    return a->priority == b->priority && memcmp(a->mac, b->mac, 6) == 0;
}

static void vm_to_x(const struct sami_vm_id *in, struct sami_xfer_vm_id *out)
{
    out->type_id = in->type_id & 0xFFFFFFu;
    out->type_ver = in->type_version;
    out->id_format = in->id_format;
    memcpy(out->id, in->id, 16);
}

static void vm_from_x(const struct sami_xfer_vm_id *in, struct sami_vm_id *out)
{
    memset(out, 0, sizeof *out);
    out->type_id = in->type_id;
    out->type_version = in->type_ver;
    out->id_format = in->id_format;
    memcpy(out->id, in->id, 16);
}

static sami_usec_t rto_for(const struct sami_xfer_engine *e, unsigned tries)
{
    return e->cfg.rto << (tries < 3 ? tries : 3);
}

/* Frames the L2 link resent to a peer so far (0 for a stream peer). */
static uint64_t peer_retx(const struct sami_xfer_engine *e, const struct xpeer *p)
{
    return p->binding == SAMI_XFER_BIND_L2 ? sami_xfer_link_peer_retx(e->cfg.link, p->link_peer)
                                           : 0;
}

/* One round trip measured on an exchange nothing resent, neither the
 * engine nor the link (Karn): a resent request makes the sample ambiguous
 * and, kept, would inflate the transit the destination rebases timers by. */
static void rtt_sample(struct xpeer *p, sami_usec_t s)
{
    p->srtt = p->srtt ? (p->srtt * 7u + s) / 8u : s;
}

static void *xalloc(struct sami_xfer_engine *e, size_t n)
{
    void *p = e->cfg.alloc.alloc(e->cfg.alloc.ctx, n);
    if (!p)
        e->c.nomem++;
    return p;
}

static void xfree(struct sami_xfer_engine *e, void *p)
{
    if (p)
        e->cfg.alloc.free(e->cfg.alloc.ctx, p);
}

static void held_sub(struct sami_xfer_engine *e, uint32_t n)
{
    e->held = n > e->held ? 0 : e->held - n;
}

/* ------------------------------------------------------------------ */
/* outboxes */

static void outbox_free(struct sami_xfer_engine *e, struct outbox *o)
{
    struct xo_chunk *c = o->head;
    while (c) {
        struct xo_chunk *n = c->next;
        xfree(e, c);
        c = n;
    }
    held_sub(e, o->nrec);
    memset(o, 0, sizeof *o);
}

static void outboxes_free(struct sami_xfer_engine *e, struct xmig *m)
{
    outbox_free(e, &m->pre);
    outbox_free(e, &m->del);
}

/* Room for need more octets in the current batch, or a new batch. */
static int outbox_reserve(struct sami_xfer_engine *e, struct outbox *o, uint32_t need,
                          uint32_t budget)
{
    struct xo_chunk *t = o->tail;
    if (!o->tail_link)
        o->tail_link = &o->head;
    if (!t || t->nrec >= e->cfg.limits.max_batch_records || t->len + need > budget) {
        uint32_t cap = budget < 1024u ? budget : 1024u;
        if (cap < need)
            cap = need;
        struct xo_chunk *n = xalloc(e, sizeof *n + cap);
        if (!n)
            return SAMI_ERR_NOMEM;
        n->next = NULL;
        n->len = n->nrec = 0;
        n->cap = cap;
        if (t)
            o->tail_link = &t->next;
        *o->tail_link = n;
        o->tail = n;
        o->nchunks++;
        return 0;
    }
    if (t->len + need <= t->cap)
        return 0;
    /* grow the batch buffer geometrically, up to one message */
    uint32_t cap = t->cap * 2u;
    if (cap < t->len + need)
        cap = t->len + need;
    if (cap > budget)
        cap = budget;
    struct xo_chunk *n = xalloc(e, sizeof *n + cap);
    if (!n)
        return SAMI_ERR_NOMEM;
    memcpy(n, t, sizeof *t + t->len);
    n->cap = cap;
    *o->tail_link = n;
    o->tail = n;
    if (o->cur == t)
        o->cur = NULL;
    xfree(e, t);
    return 0;
}

struct export_ctx {
    struct sami_xfer_engine *e;
    struct outbox *o;
    uint32_t budget;
    uint32_t want;  /* DI types the migration moves: the others stay, unreported */
    uint32_t types; /* DI types the peer takes */
    uint32_t max_records;
    int rc;
};

/* One exported record, as its element value (the store's own octets when
 * it implements export_values: nothing decoded or re-encoded here), goes
 * straight into the current batch. */
static int export_emit(void *arg, uint8_t type, const uint8_t *val, size_t n)
{
    struct export_ctx *x = arg;
    struct sami_xfer_engine *e = x->e;
    struct outbox *o = x->o;
    if (type == 0 || type > SAMI_DI_TYPE_MAX)
        return 0;
    if (!(x->want & SAMI_DI_TYPE_BIT(type)))
        return 0;
    if (!(x->types & SAMI_DI_TYPE_BIT(type))) {
        o->unsupported[type]++;
        o->unsupported[0]++;
        return 0;
    }
    if (!val || n < 2 || n > SAMI_DI_MAX_LEN) {
        e->c.bad_records++; /* not a record value: not sent */
        return 0;
    }
    if (o->nrec >= x->max_records || e->held >= e->cfg.limits.max_records_total)
        return x->rc = SAMI_ERR_LIMIT;
    uint32_t need = (uint32_t)(SAMI_XFER_ELEM_HDR_LEN + n);
    int rc = outbox_reserve(e, o, need, x->budget);
    if (rc)
        return x->rc = rc;
    struct xo_chunk *t = o->tail;
    uint8_t *p = t->data + t->len;
    uint16_t et = SAMI_XFER_E_DI(type);
    p[0] = (uint8_t)(et >> 8);
    p[1] = (uint8_t)et;
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
    memcpy(p + SAMI_XFER_ELEM_HDR_LEN, val, n);
    t->len += need;
    t->nrec++;
    o->nrec++;
    e->held++;
    o->sent[type]++;
    o->sent[0]++;
    if (val[1] == SAMI_DI_OP_UPSERT) { /* digested once the export is done */
        o->upserts[type]++;
        o->upserts[0]++;
    }
    return 0;
}

/* The digest over the UPSERT values of an outbox, four values at a time
 * (sami_xfer_digest_add_many). */
static uint64_t outbox_digest(const struct outbox *o)
{
    enum { Q = 16 };
    const uint8_t *v[Q];
    size_t n[Q], q = 0;
    uint64_t sum = 0;
    for (const struct xo_chunk *c = o->head; c; c = c->next) {
        for (uint32_t off = 0; off + SAMI_XFER_ELEM_HDR_LEN <= c->len;) {
            const uint8_t *el = c->data + off;
            size_t len = (size_t)el[2] << 8 | el[3];
            off += SAMI_XFER_ELEM_HDR_LEN + (uint32_t)len;
            if (len < 2 || el[SAMI_XFER_ELEM_HDR_LEN + 1] != SAMI_DI_OP_UPSERT)
                continue;
            v[q] = el + SAMI_XFER_ELEM_HDR_LEN;
            n[q++] = len;
            if (q == Q) {
                sami_xfer_digest_add_many(&sum, v, n, q);
                q = 0;
            }
        }
    }
    sami_xfer_digest_add_many(&sum, v, n, q);
    return sum;
}

/* ------------------------------------------------------------------ */
/* peers, migrations */

static struct xpeer *peer_at(const struct sami_xfer_engine *e, int pid)
{
    if (pid < 0 || (uint32_t)pid >= e->npeers || !e->peers[pid].used)
        return NULL;
    return &e->peers[pid];
}

static int deadline_applies(const struct xmig *m)
{
    switch (m->state) {
    case SAMI_XFER_MS_HELLO:
    case SAMI_XFER_MS_PRECOPY:
    case SAMI_XFER_MS_BACKOFF:
    case SAMI_XFER_MS_COMMIT:
    case SAMI_XFER_MS_COMMITTED:
    case SAMI_XFER_MS_EXPECTED:
    case SAMI_XFER_MS_STAGING:
    case SAMI_XFER_MS_INSTALLED:
        return 1;
    default:
        return 0;
    }
}

/* Requeues m in the deadline index: what run() acts on is the timer, and
 * the deadline in the states it bounds. */
static void mig_sync(struct sami_xfer_engine *e, const struct xmig *m)
{
    sami_usec_t k = m->timer;
    if (deadline_applies(m) && m->deadline < k)
        k = m->deadline;
    sami_dlheap_set(&e->mdl, (size_t)(m - e->migs), m->used ? k : SAMI_NO_DEADLINE);
}

static void peer_sync(struct sami_xfer_engine *e, int pid)
{
    sami_dlheap_set(&e->pdl, (size_t)pid, e->peers[pid].hello_timer);
}

/* A source migration stops sending: no timer, its batches freed. */
static void src_stop(struct sami_xfer_engine *e, struct xmig *m, uint8_t state)
{
    m->state = state;
    m->timer = SAMI_NO_DEADLINE;
    mig_sync(e, m);
    outboxes_free(e, m);
}

static struct xmig *mig_find(const struct sami_xfer_engine *e, uint64_t id, int role)
{
    for (uint32_t i = 0; i < e->nmigs; i++) {
        struct xmig *m = &e->migs[i];
        if (m->used && m->id == id && m->role == role)
            return m;
    }
    return NULL;
}

static struct xmig *mig_new(struct sami_xfer_engine *e, uint64_t id, int role)
{
    for (uint32_t i = 0; i < e->nmigs; i++) {
        struct xmig *m = &e->migs[i];
        if (m->used)
            continue;
        memset(m, 0, offsetof(struct xmig, dl));
        m->used = 1;
        m->id = id;
        m->role = (uint8_t)role;
        m->peer = -1;
        m->deadline = m->timer = SAMI_NO_DEADLINE;
        e->active++;
        return m;
    }
    e->c.limit++;
    return NULL;
}

static void mig_free(struct sami_xfer_engine *e, struct xmig *m)
{
    outboxes_free(e, m);
    held_sub(e, m->rx_total);
    memset(m, 0, offsetof(struct xmig, dl));
    mig_sync(e, m); /* unused: out of the index */
    e->active--;
}

static void ev_init(struct sami_xfer_event *ev, const struct xmig *m, int type)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->role = m->role;
    ev->migration_id = m->id;
    ev->peer = m->peer;
    ev->vm = m->vm;
}

/* Fires an upcall. The callback may free or reuse the slot: callers touch
 * nothing of the migration afterwards. */
static void ev_fire(struct sami_xfer_engine *e, sami_usec_t now, const struct sami_xfer_event *ev)
{
    if (e->cfg.event)
        e->cfg.event(e->cfg.ctx, now, ev);
}

static void fire_simple(struct sami_xfer_engine *e, sami_usec_t now, const struct xmig *m,
                        int type, uint8_t status, uint16_t reason, int error)
{
    struct sami_xfer_event ev;
    ev_init(&ev, m, type);
    ev.status = status;
    ev.reason = reason;
    ev.error = error;
    ev_fire(e, now, &ev);
}

/* ------------------------------------------------------------------ */
/* sending */

static const struct sami_xfer_key *tx_key(const struct sami_xfer_engine *e, sami_usec_t now)
{
    const struct sami_xfer_key *any = NULL;
    uint64_t ms = to_ms(now);
    for (int i = 0; i < SAMI_XFER_MAX_KEYS; i++) {
        const struct sami_xfer_key *k = &e->cfg.keyring.keys[i];
        if (!k->id || k->len < SAMI_XFER_KEY_MIN || k->len > SAMI_XFER_KEY_MAX)
            continue;
        if (ms < k->not_before_ms || (k->not_after_ms && ms >= k->not_after_ms))
            continue;
        if (k->id == e->cfg.tx_key_id)
            return k;
        if (!any)
            any = k;
    }
    return any;
}

static void msg_begin(struct sami_xfer_engine *e, struct sami_xfer_builder *b, uint8_t type,
                      uint16_t flags, uint64_t mig)
{
    struct sami_xfer_hdr h = {
        .version = SAMI_XFER_VERSION,
        .type = type,
        .flags = flags,
        .sender = e->cfg.local,
        .migration_id = mig,
    };
    sami_xfer_build_begin(b, e->buf + SAMI_XFER_STREAM_PREFIX_LEN,
                          e->bufcap - SAMI_XFER_STREAM_PREFIX_LEN, &h);
}

/* Signs and sends; returns the sequence used (also when the transport
 * refused it: the retransmission timer covers that) or a negative error
 * when nothing could be built. */
static int64_t msg_send(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                        struct sami_xfer_builder *b)
{
    struct xpeer *p = peer_at(e, pid);
    const struct sami_xfer_key *k = tx_key(e, now);
    size_t len = 0;
    if (!p || !k) {
        e->c.tx_fail++;
        return k ? SAMI_ERR_NOTFOUND : SAMI_ERR_NOKEY;
    }
    uint64_t seq = p->tx_seq + 1u;
    int rc = sami_xfer_build_finish(b, k, seq, e->cfg.keyring.hmac, &len);
    if (rc) {
        e->c.tx_fail++;
        return rc;
    }
    p->tx_seq = seq;
    e->c.tx_msgs++;
    if (p->binding == SAMI_XFER_BIND_STREAM) {
        (void)sami_xfer_stream_prefix(len, e->buf);
        rc = e->cfg.tx ? e->cfg.tx(e->cfg.ctx, pid, p->handle, e->buf,
                                   len + SAMI_XFER_STREAM_PREFIX_LEN)
                       : SAMI_ERR_INVAL;
    } else {
        int64_t t = sami_xfer_link_send(e->cfg.link, now, p->link_peer,
                                        e->buf + SAMI_XFER_STREAM_PREFIX_LEN, len);
        rc = t < 0 ? (int)t : 0;
    }
    if (rc < 0)
        e->c.tx_fail++;
    return (int64_t)seq;
}

static void send_hello(struct sami_xfer_engine *e, sami_usec_t now, int pid, int response)
{
    struct sami_xfer_builder b;
    struct sami_xfer_caps caps = {
        .version = SAMI_XFER_VERSION,
        .role = 2,
        .di_types = e->cfg.di_types,
        .max_records = e->cfg.limits.max_records_per_migration,
        .max_msg = e->cfg.limits.max_msg,
    };
    msg_begin(e, &b, SAMI_XFER_HELLO, response ? SAMI_XFER_F_RESPONSE : 0, 0);
    sami_xfer_build_caps(&b, &caps);
    if (e->name_len) {
        struct sami_xfer_name nm = {e->name, e->name_len};
        sami_xfer_build_name(&b, &nm);
    }
    (void)msg_send(e, now, pid, &b);
}

static void send_ack(struct sami_xfer_engine *e, sami_usec_t now, int pid, uint64_t mig,
                     uint64_t acked)
{
    struct sami_xfer_builder b;
    msg_begin(e, &b, SAMI_XFER_ACK, SAMI_XFER_F_RESPONSE, mig);
    sami_xfer_build_acked_seq(&b, acked);
    (void)msg_send(e, now, pid, &b);
}

static int64_t send_status_msg(struct sami_xfer_engine *e, sami_usec_t now, int pid, uint8_t type,
                               uint16_t flags, uint64_t mig, uint8_t status, uint16_t reason)
{
    struct sami_xfer_builder b;
    struct sami_xfer_status_elem st = {status, reason};
    msg_begin(e, &b, type, flags, mig);
    sami_xfer_build_status(&b, &st);
    return msg_send(e, now, pid, &b);
}

/* RESULT of a refusal (batch: flags RESPONSE; COMMIT: RESPONSE | LAST). */
static void send_refusal(struct sami_xfer_engine *e, sami_usec_t now, int pid, uint64_t mig,
                         uint16_t reason, int last)
{
    (void)send_status_msg(e, now, pid, SAMI_XFER_RESULT,
                          (uint16_t)(SAMI_XFER_F_RESPONSE | (last ? SAMI_XFER_F_LAST : 0)), mig,
                          SAMI_XFER_ST_FAILED, reason);
}

/* The stored RESULT of an installed commit, answered again to a duplicate. */
static void send_install_result(struct sami_xfer_engine *e, sami_usec_t now, const struct xmig *m)
{
    struct sami_xfer_builder b;
    struct sami_xfer_status_elem st = {SAMI_XFER_ST_OK, SAMI_XFER_R_NONE};
    struct sami_xfer_count cnt[SAMI_DI_TYPE_MAX];
    size_t n = 0;
    msg_begin(e, &b, SAMI_XFER_RESULT, SAMI_XFER_F_RESPONSE | SAMI_XFER_F_LAST, m->id);
    sami_xfer_build_status(&b, &st);
    for (unsigned t = 1; t < NT; t++)
        if (m->inst[t])
            cnt[n++] = (struct sami_xfer_count){(uint8_t)t, m->inst[t]};
    sami_xfer_build_counts(&b, cnt, n);
    sami_xfer_build_digest(&b, m->res_digest);
    for (unsigned t = 1; t < NT; t++) {
        if (!m->inst[t] && !m->rx_type[t])
            continue;
        struct sami_xfer_type_result tr = {(uint8_t)t, SAMI_XFER_ST_OK, SAMI_XFER_R_NONE,
                                           m->rx_type[t], m->inst[t]};
        sami_xfer_build_type_result(&b, &tr);
    }
    (void)msg_send(e, now, m->peer, &b);
}

/* ------------------------------------------------------------------ */
/* source: units */

static uint32_t window(const struct sami_xfer_engine *e) { return e->cfg.window; }

static uint32_t units_total(const struct xmig *m)
{
    return m->commit_req && m->delta_ready ? m->npre + m->ndel + 1u : m->npre;
}

/* Units go out in order (a go-back-N resend rewinds a little): the walk
 * goes on from the batch found last, so sending n batches costs O(n)
 * list steps, not O(n^2) (1,000 batches for a VM of 1 M records). */
static const struct xo_chunk *unit_chunk(struct xmig *m, uint32_t u)
{
    struct outbox *o = u < m->npre ? &m->pre : &m->del;
    uint32_t k = u < m->npre ? u : u - m->npre;
    const struct xo_chunk *c = o->head;
    uint32_t i = 0;
    if (o->cur && o->cur_k <= k) {
        c = o->cur;
        i = o->cur_k;
    }
    while (c && i < k) {
        c = c->next;
        i++;
    }
    if (c) {
        o->cur = c;
        o->cur_k = i;
    }
    return c;
}

static uint32_t send_limit(const struct sami_xfer_engine *e, const struct xpeer *p)
{
    uint32_t lim = e->cfg.limits.max_msg;
    if (p->caps.max_msg && p->caps.max_msg < lim)
        lim = p->caps.max_msg;
    return lim;
}

static void send_unit(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, uint32_t u)
{
    struct sami_xfer_builder b;
    struct sami_xfer_vm_id xvm;
    vm_to_x(&m->vm, &xvm);
    if (u < m->npre + m->ndel) {
        int pre = u < m->npre;
        uint32_t k = pre ? u : u - m->npre;
        uint32_t n = pre ? m->npre : m->ndel;
        const struct xo_chunk *c = unit_chunk(m, u);
        uint64_t a = (uint64_t)m->attempt << 32;
        struct sami_xfer_generation g = {u == 0 ? 0 : a | u, a | (u + 1u)};
        msg_begin(e, &b, pre ? SAMI_XFER_PRECOPY : SAMI_XFER_DELTA,
                  k + 1u == n ? SAMI_XFER_F_LAST : 0, m->id);
        sami_xfer_build_vm_id(&b, &xvm);
        sami_xfer_build_generation(&b, &g);
        sami_xfer_build_snapshot_time(&b, ms32(now - (pre ? m->pre.at : m->del.at)));
        if (c)
            sami_wr_bytes(sami_xfer_build_wr(&b), c->data, c->len); /* ready elements */
        if (u >= m->hiw && c)
            e->c.records_tx += c->nrec;
    } else {
        struct sami_xfer_count cnt[SAMI_DI_TYPE_MAX];
        size_t n = 0;
        for (unsigned t = 1; t < NT; t++)
            if (m->fcounts[t])
                cnt[n++] = (struct sami_xfer_count){(uint8_t)t, m->fcounts[t]};
        msg_begin(e, &b, SAMI_XFER_COMMIT, SAMI_XFER_F_LAST, m->id);
        sami_xfer_build_vm_id(&b, &xvm);
        sami_xfer_build_counts(&b, cnt, n);
        sami_xfer_build_digest(&b, m->fdigest);
        sami_xfer_build_snapshot_time(&b, ms32(now - m->t_commit));
    }
    if (u < m->hiw)
        e->c.retransmits++;
    else
        m->hiw = u + 1u;
    /* Known before sending: an L2 link may start the message (and report
     * it through link_starting) inside msg_send. */
    struct xpeer *p = &e->peers[m->peer];
    m->useq[u % XE_WMAX] = p->tx_seq + 1u;
    m->ustart[u % XE_WMAX] = now;
    m->uretx[u % XE_WMAX] = peer_retx(e, p);
    m->ustarted[u % XE_WMAX] = p->binding != SAMI_XFER_BIND_L2;
    int64_t seq = msg_send(e, now, m->peer, &b);
    if (seq <= 0)
        m->useq[u % XE_WMAX] = 0;
    m->usent[u % XE_WMAX] = now;
    m->any_sent = 1;
}

/* Sends what the window allows; the timer follows the oldest unacked unit. */
static void pump(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    uint32_t total = units_total(m);
    while (m->nxt < total && m->nxt - m->una < window(e)) {
        send_unit(e, now, m, m->nxt);
        m->nxt++;
    }
    m->timer = m->una < m->nxt ? m->usent[m->una % XE_WMAX] + rto_for(e, m->tries)
                               : SAMI_NO_DEADLINE;
    mig_sync(e, m);
}

/* ------------------------------------------------------------------ */
/* source: exports and the final set */

static int do_export(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m,
                     struct outbox *o, uint64_t since, uint64_t *gen)
{
    struct xpeer *p = &e->peers[m->peer];
    uint32_t lim = send_limit(e, p);
    if (lim < SEND_MIN)
        return SAMI_ERR_LIMIT;
    struct export_ctx x = {
        .e = e,
        .o = o,
        .budget = lim - BATCH_OVERHEAD,
        .want = m->want,
        .types = e->cfg.di_types & (p->caps.di_types ? p->caps.di_types : SAMI_DI_ALL_TYPES),
        .max_records = e->cfg.limits.max_records_per_migration,
    };
    if (p->caps.max_records && p->caps.max_records < x.max_records)
        x.max_records = p->caps.max_records;
    /* the per-migration budget covers the pre-copy and the delta */
    if (o == &m->del)
        x.max_records = x.max_records > m->pre.nrec ? x.max_records - m->pre.nrec : 0;
    o->at = now;
    int rc = sami_store_export_values(&e->cfg.store, &m->vm, since, now, export_emit, &x, gen);
    if (x.rc)
        rc = x.rc;
    if (rc) {
        outbox_free(e, o);
        if (rc == SAMI_ERR_LIMIT)
            e->c.limit++;
        return rc;
    }
    o->digest = outbox_digest(o);
    return 0;
}

struct fs_slot {
    const uint8_t *el; /* element header in a pre-copy batch */
    uint32_t removed;
};

static int elem_decode(const uint8_t *el, struct sami_di_record *rec, const uint8_t **val,
                       uint16_t *len)
{
    uint16_t type = (uint16_t)(el[0] << 8 | el[1]);
    *len = (uint16_t)(el[2] << 8 | el[3]);
    *val = el + SAMI_XFER_ELEM_HDR_LEN;
    return sami_di_decode((uint8_t)type, *val, *len, rec, NULL);
}

/* Counts and digest of what BR-D must hold after the pre-copy and the
 * delta: for each key the value that last set it (docs/protocol/60). */
static int final_set(struct sami_xfer_engine *e, struct xmig *m)
{
    memcpy(m->fcounts, m->pre.upserts, sizeof m->fcounts);
    m->fdigest = m->pre.digest;
    if (!m->del.nrec)
        return 0;
    size_t size = 16;
    while (size < 2u * (size_t)m->pre.nrec)
        size <<= 1;
    struct fs_slot *tab = xalloc(e, size * sizeof *tab);
    if (!tab)
        return SAMI_ERR_NOMEM;
    memset(tab, 0, size * sizeof *tab);
    struct sami_di_record a, b;
    const uint8_t *val;
    uint16_t len;
    for (const struct xo_chunk *c = m->pre.head; c; c = c->next) {
        for (uint32_t off = 0; off < c->len; off += SAMI_XFER_ELEM_HDR_LEN + len) {
            const uint8_t *el = c->data + off;
            len = (uint16_t)(el[2] << 8 | el[3]);
            if (elem_decode(el, &a, &val, &len))
                continue;
            size_t i = (size_t)sami_di_key_hash(&a) & (size - 1u);
            while (tab[i].el)
                i = (i + 1u) & (size - 1u);
            tab[i].el = el;
        }
    }
    for (const struct xo_chunk *c = m->del.head; c; c = c->next) {
        for (uint32_t off = 0; off < c->len; off += SAMI_XFER_ELEM_HDR_LEN + len) {
            const uint8_t *el = c->data + off;
            len = (uint16_t)(el[2] << 8 | el[3]);
            if (elem_decode(el, &a, &val, &len))
                continue;
            const uint8_t *dval = val;
            uint16_t dlen = len;
            for (size_t i = (size_t)sami_di_key_hash(&a) & (size - 1u); tab[i].el;
                 i = (i + 1u) & (size - 1u)) {
                const uint8_t *pv;
                uint16_t pl;
                if (tab[i].removed || elem_decode(tab[i].el, &b, &pv, &pl) ||
                    !sami_di_key_equal(&a, &b))
                    continue;
                tab[i].removed = 1;
                m->fcounts[b.type]--;
                m->fcounts[0]--;
                m->fdigest -= sami_xfer_fnv1a64(pv, pl);
                break;
            }
            if (a.op == SAMI_DI_OP_UPSERT) {
                m->fcounts[a.type]++;
                m->fcounts[0]++;
                sami_xfer_digest_add(&m->fdigest, dval, dlen);
            }
            len = dlen;
        }
    }
    xfree(e, tab);
    return 0;
}

/* A failed source migration is never resumed (only aborted or forgotten):
 * its batches go at once, the records stay in the store. */
static void src_fail(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, int evtype,
                     uint8_t status, uint16_t reason, int error)
{
    src_stop(e, m, SAMI_XFER_MS_FAILED);
    fire_simple(e, now, m, evtype, status, reason, error);
}

static uint16_t reason_of(int rc)
{
    return rc == SAMI_ERR_LIMIT ? SAMI_XFER_R_LIMIT : SAMI_XFER_R_INTERNAL;
}

static int export_delta(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    uint64_t g = 0;
    int rc = do_export(e, now, m, &m->del, m->gen_pre, &g);
    if (!rc)
        rc = final_set(e, m);
    if (rc)
        return rc;
    m->ndel = m->del.nchunks ? m->del.nchunks : 1u;
    m->delta_ready = 1;
    return 0;
}

/* Exports the pre-copy (and the delta if commit() came already) and starts
 * sending a new attempt. */
static void start_attempt(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    outboxes_free(e, m);
    m->delta_ready = 0;
    m->attempt++;
    m->una = m->nxt = m->hiw = 0;
    m->tries = 0;
    int rc = do_export(e, now, m, &m->pre, 0, &m->gen_pre);
    if (!rc) {
        m->npre = m->pre.nchunks ? m->pre.nchunks : 1u;
        m->exported = 1;
        if (m->commit_req)
            rc = export_delta(e, now, m);
    }
    if (rc) {
        src_fail(e, now, m, m->commit_req ? SAMI_XFER_EV_RESULT : SAMI_XFER_EV_PRECOPY_DONE,
                 SAMI_XFER_ST_FAILED, reason_of(rc), rc);
        return;
    }
    m->state = m->commit_req ? SAMI_XFER_MS_COMMIT : SAMI_XFER_MS_PRECOPY;
    pump(e, now, m);
}

/* The peer answered HELLO: start every migration that waited for it. */
static void peer_up(struct sami_xfer_engine *e, sami_usec_t now, int pid)
{
    for (uint32_t i = 0; i < e->nmigs; i++) {
        struct xmig *m = &e->migs[i];
        if (m->used && m->role == SAMI_XFER_ROLE_SOURCE && m->peer == pid &&
            m->state == SAMI_XFER_MS_HELLO)
            start_attempt(e, now, m);
    }
}

/* Progress on the unit chain: units below u are staged at BR-D. */
static void src_progress(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, uint32_t u)
{
    if (u <= m->una)
        return;
    m->una = u;
    m->tries = 0;
    if (m->nxt < m->una)
        m->nxt = m->una;
    int fire = 0;
    if (!m->pre_done && m->una >= m->npre) {
        m->pre_done = 1;
        fire = 1;
        if (m->state == SAMI_XFER_MS_PRECOPY)
            m->state = SAMI_XFER_MS_READY;
    }
    pump(e, now, m);
    if (fire) {
        struct sami_xfer_event ev;
        ev_init(&ev, m, SAMI_XFER_EV_PRECOPY_DONE);
        ev.status = SAMI_XFER_ST_OK;
        memcpy(ev.counts, m->pre.upserts, sizeof ev.counts);
        ev.digest = m->pre.digest;
        ev_fire(e, now, &ev);
    }
}

/* ------------------------------------------------------------------ */
/* create / config */

/* Zeroed at once: destroy() may walk a table when a later allocation fails. */
static void *zalloc(const struct sami_allocator *a, size_t n)
{
    void *p = a->alloc(a->ctx, n);
    if (p)
        memset(p, 0, n);
    return p;
}

int sami_xfer_engine_create(const struct sami_xfer_engine_cfg *cfg, struct sami_xfer_engine **out)
{
    if (!out)
        return SAMI_ERR_INVAL;
    *out = NULL;
    if (!cfg || !cfg->alloc.alloc || !cfg->alloc.free || !cfg->store.ops)
        return SAMI_ERR_INVAL;
    struct sami_xfer_engine_cfg c = *cfg;
    struct sami_xfer_engine_limits *l = &c.limits;
    if (!l->max_records_per_migration)
        l->max_records_per_migration = 100000u;
    if (!l->max_records_total)
        l->max_records_total = 1000000u;
    if (!l->max_migrations)
        l->max_migrations = 64u;
    if (!l->max_msg)
        l->max_msg = 65536u;
    if (!l->max_batch_records)
        l->max_batch_records = 1024u;
    if (!l->max_peers)
        l->max_peers = 16u;
    if (l->max_msg < MIN_MSG || l->max_msg > SAMI_XFER_MAX_BODY_DEFAULT + SAMI_XFER_OVERHEAD)
        return SAMI_ERR_INVAL;
    if (!c.rto)
        c.rto = SAMI_MSEC(200);
    if (!c.retries)
        c.retries = 6;
    if (!c.backoff)
        c.backoff = c.rto;
    if (!c.linger)
        c.linger = c.rto * 2u * (c.retries + 2u);
    if (!c.window)
        c.window = 4;
    if (!c.resolve)
        c.resolve = SAMI_SEC(600);
    if (c.window > XE_WMAX)
        return SAMI_ERR_INVAL;
    if (!c.seq_start)
        c.seq_start = 1;
    if (!c.di_types)
        c.di_types = SAMI_DI_ALL_TYPES;
    c.di_types &= SAMI_DI_ALL_TYPES;
    size_t name_len = 0;
    if (c.name) {
        name_len = strlen(c.name);
        if (name_len > SAMI_XFER_NAME_MAX)
            return SAMI_ERR_INVAL;
    }

    struct sami_xfer_engine *e = zalloc(&c.alloc, sizeof *e);
    if (!e)
        return SAMI_ERR_NOMEM;
    e->cfg = c;
    e->cfg.name = NULL;
    memcpy(e->name, cfg->name ? cfg->name : "", name_len);
    e->name_len = name_len;
    e->npeers = l->max_peers;
    e->nmigs = l->max_migrations;
    e->bufcap = (size_t)l->max_msg + SAMI_XFER_STREAM_PREFIX_LEN;
    e->peers = zalloc(&c.alloc, e->npeers * sizeof *e->peers);
    e->migs = zalloc(&c.alloc, e->nmigs * sizeof *e->migs);
    e->buf = c.alloc.alloc(c.alloc.ctx, e->bufcap);
    if (!e->peers || !e->migs || !e->buf) {
        sami_xfer_engine_destroy(e);
        return SAMI_ERR_NOMEM;
    }
    /* cannot fail: both tables have 1 .. UINT32_MAX entries and were allocated */
    (void)sami_dlheap_init(&e->pdl, e->peers, e->npeers, sizeof *e->peers,
                           offsetof(struct xpeer, dl));
    (void)sami_dlheap_init(&e->mdl, e->migs, e->nmigs, sizeof *e->migs, offsetof(struct xmig, dl));
    if (c.link) {
        e->rbuf = c.alloc.alloc(c.alloc.ctx, l->max_msg);
        if (!e->rbuf) {
            sami_xfer_engine_destroy(e);
            return SAMI_ERR_NOMEM;
        }
        c.link->cfg.deliver = link_deliver;
        c.link->cfg.error = NULL;
        c.link->cfg.starting = link_starting;
        c.link->cfg.up_ctx = e;
    }
    *out = e;
    return 0;
}

void sami_xfer_engine_destroy(struct sami_xfer_engine *e)
{
    if (!e)
        return;
    if (e->migs)
        for (uint32_t i = 0; i < e->nmigs; i++)
            if (e->migs[i].used)
                mig_free(e, &e->migs[i]);
    if (e->cfg.link && e->cfg.link->cfg.up_ctx == e)
        e->cfg.link->cfg.up_ctx = NULL;
    sami_secure_zero(&e->cfg.keyring, sizeof e->cfg.keyring);
    struct sami_allocator a = e->cfg.alloc;
    if (e->peers)
        a.free(a.ctx, e->peers);
    if (e->migs)
        a.free(a.ctx, e->migs);
    if (e->buf)
        a.free(a.ctx, e->buf);
    if (e->rbuf)
        a.free(a.ctx, e->rbuf);
    a.free(a.ctx, e);
}

int sami_xfer_engine_set_keyring(struct sami_xfer_engine *e, const struct sami_xfer_keyring *kr,
                                 uint16_t tx_key_id)
{
    if (!e || !kr)
        return SAMI_ERR_INVAL;
    e->cfg.keyring = *kr;
    e->cfg.tx_key_id = tx_key_id;
    return 0;
}

int sami_xfer_engine_add_peer(struct sami_xfer_engine *e, const struct sami_xfer_bridge_id *id,
                              int binding, void *handle, int link_peer)
{
    if (!e || !id || (binding != SAMI_XFER_BIND_STREAM && binding != SAMI_XFER_BIND_L2))
        return SAMI_ERR_INVAL;
    if (binding == SAMI_XFER_BIND_STREAM && !e->cfg.tx)
        return SAMI_ERR_INVAL;
    if (binding == SAMI_XFER_BIND_L2 && (!e->cfg.link || link_peer < 0))
        return SAMI_ERR_INVAL;
    if (bid_eq(id, &e->cfg.local))
        return SAMI_ERR_INVAL;
    if (sami_xfer_engine_find_peer(e, id) >= 0)
        return SAMI_ERR_EXISTS;
    for (uint32_t i = 0; i < e->npeers; i++) {
        struct xpeer *p = &e->peers[i];
        if (p->used)
            continue;
        memset(p, 0, offsetof(struct xpeer, dl));
        p->used = 1;
        p->id = *id;
        p->binding = binding;
        p->handle = handle;
        p->link_peer = link_peer;
        p->tx_seq = e->cfg.seq_start - 1u;
        p->hello_timer = SAMI_NO_DEADLINE;
        return (int)i;
    }
    return SAMI_ERR_LIMIT;
}

int sami_xfer_engine_find_peer(const struct sami_xfer_engine *e,
                               const struct sami_xfer_bridge_id *id)
{
    if (!e || !id)
        return SAMI_ERR_INVAL;
    for (uint32_t i = 0; i < e->npeers; i++)
        if (e->peers[i].used && bid_eq(&e->peers[i].id, id))
            return (int)i;
    return SAMI_ERR_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* receive: destination side */

struct batch_view {
    int has_vm, has_gen;
    struct sami_xfer_vm_id vm;
    struct sami_xfer_generation gen;
    uint32_t snapshot_ms;
    uint32_t nrec;
};

static void batch_parse(const struct sami_xfer_msg *msg, struct batch_view *v)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    memset(v, 0, sizeof *v);
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1) {
        if (el.type == SAMI_XFER_E_VM_ID)
            v->has_vm = sami_xfer_read_vm_id(&el, &v->vm, NULL) == 0;
        else if (el.type == SAMI_XFER_E_GENERATION)
            v->has_gen = sami_xfer_read_generation(&el, &v->gen, NULL) == 0;
        else if (el.type == SAMI_XFER_E_SNAPSHOT_TIME)
            (void)sami_xfer_read_snapshot_time(&el, &v->snapshot_ms, NULL);
        else if (SAMI_XFER_E_IS_DI(el.type))
            v->nrec++;
    }
}

/* Destination refuses the migration: nothing stays staged, the reason is
 * kept to answer retransmissions, the slot lingers. */
static void dst_refuse(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, uint16_t reason,
                       int last, int error)
{
    if (m->staged)
        (void)sami_store_discard(&e->cfg.store, m->id);
    m->staged = 0;
    held_sub(e, m->rx_total);
    m->rx_total = 0;
    m->state = SAMI_XFER_MS_REFUSED;
    m->res_status = SAMI_XFER_ST_FAILED;
    m->res_reason = reason;
    m->timer = now + e->cfg.linger;
    mig_sync(e, m);
    if (m->peer >= 0)
        send_refusal(e, now, m->peer, m->id, reason, last);
    fire_simple(e, now, m, SAMI_XFER_EV_ERROR, SAMI_XFER_ST_FAILED, reason, error);
}

/* Records handed to the store's stage_put_values at once (the engine's
 * stack holds the run; the store looks ahead within it). */
#define STAGE_RUN 32

static void staged_one(struct sami_xfer_engine *e, struct xmig *m, uint8_t type)
{
    m->rx_type[type]++;
    m->rx_type[0]++;
    m->rx_total++;
    e->held++;
    e->c.records_rx++;
}

/* Stages a run of validated records; a record the store refuses alone is
 * skipped and counted (bad_records), as in the struct path. 0, or the
 * LIMIT / NOMEM error after refusing the migration. */
static int stage_run(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m,
                     const struct sami_store_value *v, size_t n, sami_usec_t anchor)
{
    size_t off = 0;
    while (off < n) {
        size_t applied = 0;
        int rc = sami_store_stage_put_values(&e->cfg.store, m->id, v + off, n - off, anchor,
                                             &applied);
        if (applied > n - off)
            applied = n - off;
        for (size_t i = 0; i < applied; i++)
            staged_one(e, m, v[off + i].type);
        off += applied;
        if (!rc)
            break;
        if (rc == SAMI_ERR_LIMIT || rc == SAMI_ERR_NOMEM) {
            if (rc == SAMI_ERR_LIMIT)
                e->c.limit++;
            dst_refuse(e, now, m, reason_of(rc), 0, rc);
            return rc;
        }
        e->c.bad_records++;
        off++;
    }
    return 0;
}

static void dst_batch(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                      const struct sami_xfer_msg *msg)
{
    struct batch_view v;
    struct sami_vm_id vm;
    uint8_t type = msg->hdr.type;
    batch_parse(msg, &v);
    vm_from_x(&v.vm, &vm);
    struct xmig *m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_DEST);
    if (!m || !v.has_vm || !v.has_gen || !sami_store_vm_equal(&m->vm, &vm)) {
        e->c.unsolicited++;
        send_refusal(e, now, pid, msg->hdr.migration_id, SAMI_XFER_R_REJECTED, 0);
        return;
    }
    if (m->peer >= 0 && m->peer != pid) {
        e->c.wrong_peer++;
        return;
    }
    switch (m->state) {
    case SAMI_XFER_MS_REFUSED:
        e->c.dup++;
        send_refusal(e, now, pid, m->id, m->res_reason, 0);
        return;
    case SAMI_XFER_MS_INSTALLED:
    case SAMI_XFER_MS_ACTIVATING:
        e->c.dup++;
        send_ack(e, now, pid, m->id, msg->seq);
        return;
    case SAMI_XFER_MS_EXPECTED:
    case SAMI_XFER_MS_STAGING:
        break;
    default:
        e->c.stale++;
        return;
    }
    const struct sami_xfer_generation *g = &v.gen;
    if (g->base == 0) {
        if (m->staged && g->next == m->attempt_first) {
            e->c.dup++;
            send_ack(e, now, pid, m->id, msg->seq);
            return;
        }
        if ((m->staged && g->next < m->attempt_first) || type != SAMI_XFER_PRECOPY) {
            e->c.stale++;
            return;
        }
        /* a new pre-copy attempt: it replaces whatever an older one staged */
        if (m->staged) {
            (void)sami_store_discard(&e->cfg.store, m->id);
            m->staged = 0;
            e->c.restarts++;
            held_sub(e, m->rx_total);
            m->rx_total = 0;
            memset(m->rx_type, 0, sizeof m->rx_type);
        }
        /* The COMMIT will be everything of the types the source exports (ours
         * and its, that the migration wants): at install, whatever the VM
         * still holds here of those types (an earlier stay) must go. */
        const struct xpeer *sp = &e->peers[pid];
        struct sami_store_stage_params sl = {
            e->cfg.limits.max_records_per_migration,
            m->want & e->cfg.di_types & (sp->caps.di_types ? sp->caps.di_types : SAMI_DI_ALL_TYPES),
        };
        m->peer = pid;
        int rc = sami_store_stage_begin(&e->cfg.store, m->id, &m->vm, &sl);
        if (rc) {
            if (rc == SAMI_ERR_LIMIT)
                e->c.limit++;
            dst_refuse(e, now, m, reason_of(rc), 0, rc);
            return;
        }
        m->staged = 1;
        m->state = SAMI_XFER_MS_STAGING; /* from EXPECTED/STAGING: same index key */
        m->attempt_first = g->next;
        m->pos = 0;
        m->pre_last = m->del_last = 0;
    } else {
        if (!m->staged || g->base > m->pos) {
            e->c.gap++; /* the source goes back to the first unacknowledged batch */
            return;
        }
        if (g->next <= m->pos) {
            e->c.dup++;
            send_ack(e, now, pid, m->id, msg->seq);
            return;
        }
        if (g->base != m->pos || (type == SAMI_XFER_PRECOPY) == (m->pre_last != 0)) {
            e->c.stale++; /* not a continuation of what is staged */
            return;
        }
    }
    /* limits first: a batch is applied whole or refused */
    if (v.nrec > e->cfg.limits.max_batch_records ||
        m->rx_total + (uint64_t)v.nrec > e->cfg.limits.max_records_per_migration ||
        e->held + (uint64_t)v.nrec > e->cfg.limits.max_records_total) {
        e->c.limit++;
        dst_refuse(e, now, m, SAMI_XFER_R_LIMIT, 0, SAMI_ERR_LIMIT);
        return;
    }
    /* Remaining times are relative to the source's snapshot: stage them as
     * of that moment on our clock (snapshot age + half the round trip), so
     * the store counts the transit too. The staged values stay as sent,
     * which keeps the COMMIT digest comparable. */
    sami_usec_t at = e->rx_at && e->rx_at <= now ? e->rx_at : now;
    /* SNAPSHOT TIME is truncated to whole ms: half a ms more centres it */
    sami_usec_t back = SAMI_MSEC(v.snapshot_ms) + 500u + e->peers[pid].srtt / 2u;
    sami_usec_t anchor = at > back ? at - back : 0;
    /* A store taking element values gets the received octets as they are
     * (decoded once here, to validate them), a run of records at a time;
     * others get each decoded record. */
    int put_values = sami_store_has_put_values(&e->cfg.store);
    struct sami_store_value run[STAGE_RUN];
    size_t nrun = 0;
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1) {
        struct sami_xfer_di di;
        struct sami_di_record rec;
        if (!SAMI_XFER_E_IS_DI(el.type) || sami_xfer_read_di(&el, &di, NULL))
            continue;
        if (sami_di_decode(di.di_type, di.value, di.len, &rec, NULL)) {
            e->c.bad_records++; /* unknown type/version: skipped; the digest decides */
            continue;
        }
        if (!(m->want & SAMI_DI_TYPE_BIT(rec.type))) {
            /* our hypervisor did not ask for this type: not staged, so the
             * COMMIT's counts and digest refuse the install (fail closed
             * when the two hypervisors disagree on the types) */
            e->c.unwanted++;
            continue;
        }
        if (put_values) {
            run[nrun++] = (struct sami_store_value){di.value, (uint16_t)di.len, rec.type};
            if (nrun == STAGE_RUN) {
                if (stage_run(e, now, m, run, nrun, anchor))
                    return;
                nrun = 0;
            }
            continue;
        }
        int rc = sami_store_stage_put(&e->cfg.store, m->id, &rec, anchor);
        if (rc == SAMI_ERR_LIMIT || rc == SAMI_ERR_NOMEM) {
            if (rc == SAMI_ERR_LIMIT)
                e->c.limit++;
            dst_refuse(e, now, m, reason_of(rc), 0, rc);
            return;
        }
        if (rc) {
            e->c.bad_records++;
            continue;
        }
        staged_one(e, m, rec.type);
    }
    if (nrun && stage_run(e, now, m, run, nrun, anchor))
        return;
    m->pos = g->next;
    if (msg->hdr.flags & SAMI_XFER_F_LAST) {
        if (type == SAMI_XFER_PRECOPY)
            m->pre_last = 1;
        else
            m->del_last = 1;
    }
    send_ack(e, now, pid, m->id, msg->seq);
}

/* Values queued to be digested four at a time; longer ones go alone. */
#define VQ 4
#define VQ_MAX 128

struct verify_ctx {
    uint32_t counts[NT];
    uint64_t digest;
    size_t nq;
    size_t qlen[VQ];
    uint8_t q[VQ][VQ_MAX];
};

static void verify_flush(struct verify_ctx *v)
{
    const uint8_t *p[VQ];
    for (size_t i = 0; i < v->nq; i++)
        p[i] = v->q[i];
    sami_xfer_digest_add_many(&v->digest, p, v->qlen, v->nq);
    v->nq = 0;
}

/* The staged records as element values: exactly the octets the digest is
 * defined over (no re-encoding when the store keeps them so). The store's
 * octets are valid during the call only: queued values are copies. */
static int verify_emit(void *arg, uint8_t type, const uint8_t *val, size_t n)
{
    struct verify_ctx *v = arg;
    if (type == 0 || type > SAMI_DI_TYPE_MAX)
        return 0;
    v->counts[type]++;
    v->counts[0]++;
    if (n > VQ_MAX) {
        sami_xfer_digest_add(&v->digest, val, n);
        return 0;
    }
    memcpy(v->q[v->nq], val, n);
    v->qlen[v->nq++] = n;
    if (v->nq == VQ)
        verify_flush(v);
    return 0;
}

static void dst_commit(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                       const struct sami_xfer_msg *msg)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    struct sami_xfer_vm_id xvm;
    struct sami_xfer_counts cv = {0};
    uint64_t digest = 0;
    int has_vm = 0, has_counts = 0, has_digest = 0;
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1) {
        if (el.type == SAMI_XFER_E_VM_ID)
            has_vm = sami_xfer_read_vm_id(&el, &xvm, NULL) == 0;
        else if (el.type == SAMI_XFER_E_COUNTS)
            has_counts = sami_xfer_read_counts(&el, &cv, NULL) == 0;
        else if (el.type == SAMI_XFER_E_DIGEST)
            has_digest = sami_xfer_read_digest(&el, &digest, NULL) == 0;
    }
    struct sami_vm_id vm;
    if (has_vm)
        vm_from_x(&xvm, &vm);
    struct xmig *m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_DEST);
    if (!m || !has_vm || !sami_store_vm_equal(&m->vm, &vm)) {
        e->c.unsolicited++;
        send_refusal(e, now, pid, msg->hdr.migration_id, SAMI_XFER_R_REJECTED, 1);
        return;
    }
    if (m->peer >= 0 && m->peer != pid) {
        e->c.wrong_peer++;
        return;
    }
    if (m->state == SAMI_XFER_MS_REFUSED) {
        e->c.dup++;
        send_refusal(e, now, pid, m->id, m->res_reason, 1);
        return;
    }
    if (m->state == SAMI_XFER_MS_INSTALLED || m->state == SAMI_XFER_MS_ACTIVATING) {
        e->c.dup++; /* RESULT lost: answer again, install nothing */
        send_install_result(e, now, m);
        return;
    }
    if (m->state != SAMI_XFER_MS_STAGING || !m->del_last) {
        e->c.early_commit++; /* a DELTA is still missing: the source retransmits */
        return;
    }
    /* verify what is staged against the COMMIT, then install atomically */
    struct verify_ctx vc;
    memset(&vc, 0, sizeof vc);
    int rc = sami_store_stage_foreach_values(&e->cfg.store, m->id, verify_emit, &vc);
    verify_flush(&vc);
    int match = rc == 0 && has_counts && has_digest && vc.digest == digest;
    uint32_t want[NT];
    memset(want, 0, sizeof want);
    for (size_t i = 0; match && i < cv.n; i++) {
        struct sami_xfer_count ce;
        if (sami_xfer_counts_get(&cv, i, &ce))
            match = 0;
        else if (ce.di_type < NT)
            want[ce.di_type] = ce.count;
        else
            match = ce.count == 0; /* a type nobody can stage here */
    }
    for (unsigned t = 1; match && t < NT; t++)
        match = want[t] == vc.counts[t];
    if (!match) {
        e->c.digest_mismatch++;
        dst_refuse(e, now, m, SAMI_XFER_R_DIGEST, 1, SAMI_ERR_DIGEST);
        return;
    }
    rc = sami_store_stage_commit(&e->cfg.store, m->id, 0, now);
    if (rc) {
        if (rc == SAMI_ERR_LIMIT)
            e->c.limit++;
        dst_refuse(e, now, m, reason_of(rc), 1, rc);
        return;
    }
    e->c.installs++;
    m->state = SAMI_XFER_MS_INSTALLED; /* from STAGING: same index key */
    m->res_status = SAMI_XFER_ST_OK;
    m->res_reason = SAMI_XFER_R_NONE;
    memcpy(m->inst, vc.counts, sizeof m->inst);
    m->res_digest = vc.digest;
    /* installed records are the store's now, not the transfer's */
    held_sub(e, m->rx_total);
    m->rx_total = 0;
    send_install_result(e, now, m);

    struct sami_xfer_event ev;
    ev_init(&ev, m, SAMI_XFER_EV_INSTALLED);
    ev.status = SAMI_XFER_ST_OK;
    memcpy(ev.counts, vc.counts, sizeof ev.counts);
    ev.digest = vc.digest;
    for (unsigned t = 1; t < NT; t++) {
        if (!m->inst[t] && !m->rx_type[t])
            continue;
        ev.results[ev.n_results++] = (struct sami_xfer_type_result){
            (uint8_t)t, SAMI_XFER_ST_OK, SAMI_XFER_R_NONE, m->rx_type[t], m->inst[t]};
    }
    ev_fire(e, now, &ev);
}

/* ------------------------------------------------------------------ */
/* receive: source side */

static void src_result(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m,
                       const struct sami_xfer_msg *msg)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    struct sami_xfer_status_elem st = {SAMI_XFER_ST_FAILED, SAMI_XFER_R_INTERNAL};
    struct sami_xfer_event ev;
    int last = (msg->hdr.flags & SAMI_XFER_F_LAST) != 0;
    ev_init(&ev, m, SAMI_XFER_EV_RESULT);
    uint32_t inst[NT];
    memset(inst, 0, sizeof inst);
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1) {
        if (el.type == SAMI_XFER_E_STATUS) {
            (void)sami_xfer_read_status(&el, &st, NULL);
        } else if (el.type == SAMI_XFER_E_DIGEST) {
            (void)sami_xfer_read_digest(&el, &ev.digest, NULL);
        } else if (el.type == SAMI_XFER_E_TYPE_RESULT) {
            struct sami_xfer_type_result tr;
            if (sami_xfer_read_type_result(&el, &tr, NULL) == 0 && tr.di_type < NT)
                inst[tr.di_type] = tr.installed;
        }
    }
    int sending = m->state == SAMI_XFER_MS_PRECOPY || m->state == SAMI_XFER_MS_COMMIT;
    if (st.status != SAMI_XFER_ST_OK && st.reason == SAMI_XFER_R_REJECTED && !m->pre_done) {
        /* Unsolicited: BR-D's hypervisor has not announced the migration
         * yet (also for a COMMIT pipelined behind the first batches).
         * Retry the pre-copy later. Once BR-D acknowledged the pre-copy a
         * refusal of a batch is a late copy from an older attempt. */
        if (!sending) {
            e->c.stale++;
            return;
        }
        last = 0;
    }
    if (!last) {
        if (!sending || st.status == SAMI_XFER_ST_OK ||
            (m->pre_done && st.reason == SAMI_XFER_R_REJECTED)) {
            e->c.stale++;
            return;
        }
        if (st.reason == SAMI_XFER_R_REJECTED) {
            e->c.unsolicited++;
            m->state = SAMI_XFER_MS_BACKOFF;
            sami_usec_t d = e->cfg.backoff << (m->backoff_n < 4 ? m->backoff_n : 4);
            m->backoff_n++;
            m->timer = now + d;
            m->una = m->nxt = 0;
            mig_sync(e, m);
            return;
        }
        src_fail(e, now, m, m->commit_req ? SAMI_XFER_EV_RESULT : SAMI_XFER_EV_PRECOPY_DONE,
                 st.status, st.reason, SAMI_ERR_REJECTED);
        return;
    }
    if (m->state != SAMI_XFER_MS_COMMIT) {
        e->c.stale++;
        return;
    }
    ev.status = st.status;
    ev.reason = st.reason;
    ev.transfer_us = (uint32_t)(now - m->t_commit > UINT32_MAX ? UINT32_MAX : now - m->t_commit);
    memcpy(ev.counts, m->fcounts, sizeof ev.counts);
    if (!ev.digest)
        ev.digest = m->fdigest;
    for (unsigned t = 1; t < NT; t++) {
        uint32_t sent = m->pre.sent[t] + m->del.sent[t];
        uint32_t unsup = m->pre.unsupported[t] + m->del.unsupported[t];
        if (!sent && !unsup && !inst[t] && !m->fcounts[t])
            continue;
        struct sami_xfer_type_result *r = &ev.results[ev.n_results++];
        r->di_type = (uint8_t)t;
        r->sent = sent;
        r->installed = st.status == SAMI_XFER_ST_OK ? inst[t] : 0;
        r->status = unsup ? (sent ? SAMI_XFER_ST_PARTIAL : SAMI_XFER_ST_UNSUPPORTED) : st.status;
        r->reason = st.status == SAMI_XFER_ST_OK ? SAMI_XFER_R_NONE : st.reason;
    }
    if (st.status == SAMI_XFER_ST_OK) {
        m->committed = 1;
        m->una = m->nxt = units_total(m);
        m->tries = 0;
        /* nothing will be resent: the batches are no longer needed */
        src_stop(e, m, SAMI_XFER_MS_COMMITTED);
        ev_fire(e, now, &ev);
        return;
    }
    ev.error = st.reason == SAMI_XFER_R_DIGEST ? SAMI_ERR_DIGEST : SAMI_ERR_REJECTED;
    src_stop(e, m, SAMI_XFER_MS_FAILED);
    ev_fire(e, now, &ev);
}

/* ACTIVATE: BR-D runs the VM. Acted on while the commit stands (COMMIT:
 * the RESULT was lost; COMMITTED) and, once RESULT OK was heard, also after
 * the caller gave up (ABORTING, UNRESOLVED): after the commit the
 * destination decides, so a late ACTIVATE still purges. */
static void src_activate(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, int pid)
{
    if (m->state == SAMI_XFER_MS_DONE) {
        e->c.dup++; /* our PURGE was lost */
        (void)send_status_msg(e, now, pid, SAMI_XFER_PURGE, SAMI_XFER_F_RESPONSE, m->id,
                              m->res_status, m->res_reason);
        return;
    }
    int late = m->committed &&
               (m->state == SAMI_XFER_MS_ABORTING || m->state == SAMI_XFER_MS_UNRESOLVED);
    if (m->state != SAMI_XFER_MS_COMMITTED && m->state != SAMI_XFER_MS_COMMIT && !late) {
        e->c.stale++;
        return;
    }
    if (late)
        e->c.late_activations++;
    int was_commit = m->state == SAMI_XFER_MS_COMMIT;
    /* BR-D runs the VM: only now may the source forget its DI. After an
     * abort the VM's records were unfrozen but nothing was added by a
     * migration since (a newer one of the same VM supersedes this one). */
    int rc = sami_store_purge(&e->cfg.store, &m->vm);
    sami_store_source_end(&e->cfg.store, m->id);
    m->res_status = rc ? SAMI_XFER_ST_FAILED : SAMI_XFER_ST_OK;
    m->res_reason = rc ? SAMI_XFER_R_INTERNAL : SAMI_XFER_R_NONE;
    m->state = SAMI_XFER_MS_DONE;
    m->timer = now + e->cfg.linger;
    m->deadline = SAMI_NO_DEADLINE;
    mig_sync(e, m);
    (void)send_status_msg(e, now, pid, SAMI_XFER_PURGE, SAMI_XFER_F_RESPONSE, m->id,
                          m->res_status, m->res_reason);
    uint64_t id = m->id;
    struct sami_xfer_event ev;
    if (was_commit) {
        /* the RESULT was lost but ACTIVATE proves the install */
        ev_init(&ev, m, SAMI_XFER_EV_RESULT);
        ev.status = SAMI_XFER_ST_OK;
        ev.transfer_us = (uint32_t)(now - m->t_commit > UINT32_MAX ? UINT32_MAX
                                                                   : now - m->t_commit);
        memcpy(ev.counts, m->fcounts, sizeof ev.counts);
        ev.digest = m->fdigest;
        outboxes_free(e, m);
        ev_fire(e, now, &ev);
        m = mig_find(e, id, SAMI_XFER_ROLE_SOURCE);
        if (!m || m->state != SAMI_XFER_MS_DONE)
            return;
    }
    ev_init(&ev, m, SAMI_XFER_EV_ACTIVATED);
    ev.status = m->res_status;
    ev.reason = m->res_reason;
    ev.error = rc;
    ev_fire(e, now, &ev);
}

static void on_ack(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                   const struct sami_xfer_msg *msg)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    uint64_t acked = 0;
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1)
        if (el.type == SAMI_XFER_E_ACKED_SEQ)
            (void)sami_xfer_read_acked_seq(&el, &acked, NULL);
    for (int role = SAMI_XFER_ROLE_SOURCE; role <= SAMI_XFER_ROLE_DEST; role++) {
        struct xmig *m = mig_find(e, msg->hdr.migration_id, role);
        if (!m || m->peer != pid)
            continue;
        if (m->state == SAMI_XFER_MS_ABORTING && acked >= m->ctl_first) {
            mig_free(e, m);
            return;
        }
        if (role == SAMI_XFER_ROLE_SOURCE &&
            (m->state == SAMI_XFER_MS_PRECOPY || m->state == SAMI_XFER_MS_COMMIT ||
             m->state == SAMI_XFER_MS_READY)) {
            for (uint32_t u = m->una; u < m->nxt; u++) {
                if (m->useq[u % XE_WMAX] == acked) {
                    /* The ACK names this very transmission (every resend has
                     * a fresh sequence); only link resends blur it. */
                    struct xpeer *p = &e->peers[pid];
                    if (peer_retx(e, p) == m->uretx[u % XE_WMAX])
                        rtt_sample(p, now - m->ustart[u % XE_WMAX]);
                    src_progress(e, now, m, u + 1u);
                    return;
                }
            }
        }
    }
    e->c.stale++;
}

static void send_activate(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m);

static void on_abort(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                     const struct sami_xfer_msg *msg)
{
    struct xmig *m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_DEST);
    if (m && m->peer == pid && m->state == SAMI_XFER_MS_ACTIVATING) {
        /* The VM runs here: the answer is ACTIVATE (not an ACK, which
         * would tell the source we discarded). The source purges and
         * answers PURGE; its ABORT, resent, gets ACTIVATE again. */
        e->c.abort_answered++;
        m->tries = 0;
        send_activate(e, now, m);
        return;
    }
    /* acknowledge whatever else happens, so the peer stops retransmitting */
    send_ack(e, now, pid, msg->hdr.migration_id, msg->seq);
    if (m && m->peer == pid && m->state != SAMI_XFER_MS_ABORTING) {
        if (m->staged || m->state == SAMI_XFER_MS_INSTALLED)
            (void)sami_store_discard(&e->cfg.store, m->id);
        m->staged = 0;
        struct sami_xfer_event ev;
        ev_init(&ev, m, SAMI_XFER_EV_ABORTED_BY_PEER);
        ev.peer = pid;
        ev.status = SAMI_XFER_ST_FAILED;
        ev.reason = SAMI_XFER_R_ABORTED;
        ev.error = SAMI_ERR_ABORTED;
        mig_free(e, m);
        ev_fire(e, now, &ev);
        return;
    }
    m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_SOURCE);
    if (m && m->peer == pid) {
        switch (m->state) {
        case SAMI_XFER_MS_DONE:
            e->c.abort_refused++;
            return;
        case SAMI_XFER_MS_ABORTING:
        case SAMI_XFER_MS_UNRESOLVED:
            if (m->committed) {
                /* BR-D never aborts what it activated: it discarded, the
                 * VM's records are here, and that settles it */
                mig_free(e, m);
                return;
            }
            e->c.dup++;
            return;
        case SAMI_XFER_MS_PEER_ABORTED:
            e->c.dup++;
            return;
        default:
            break;
        }
        src_stop(e, m, SAMI_XFER_MS_PEER_ABORTED);
        fire_simple(e, now, m, SAMI_XFER_EV_ABORTED_BY_PEER, SAMI_XFER_ST_FAILED,
                    SAMI_XFER_R_ABORTED, SAMI_ERR_ABORTED);
        return;
    }
    e->c.stale++;
}

static void hello_start(struct sami_xfer_engine *e, sami_usec_t now, int pid)
{
    struct xpeer *p = &e->peers[pid];
    p->hello = HELLO_SENT;
    p->hello_tries = 0;
    p->hello_sent = now;
    p->hello_retx = peer_retx(e, p);
    p->hello_started = p->binding != SAMI_XFER_BIND_L2;
    p->hello_timer = now + rto_for(e, 0);
    peer_sync(e, pid);
    send_hello(e, now, pid, 0);
}

static void on_hello(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                     const struct sami_xfer_msg *msg)
{
    struct xpeer *p = &e->peers[pid];
    struct sami_xfer_iter it;
    struct sami_xfer_elem el;
    sami_xfer_iter_init(&it, msg, NULL);
    while (sami_xfer_iter_next(&it, &el) == 1)
        if (el.type == SAMI_XFER_E_CAPS)
            (void)sami_xfer_read_caps(&el, &p->caps, NULL);
    if (!(msg->hdr.flags & SAMI_XFER_F_RESPONSE)) {
        /* A destination learns the round trip (its transit estimate for
         * rebasing) from its own HELLO. Sent before the response: the peer
         * then answers it before it starts pushing batches, whose queue
         * would otherwise delay that answer and inflate the sample. */
        if (p->hello == HELLO_NONE)
            hello_start(e, now, pid);
        send_hello(e, now, pid, 1);
    } else if (p->hello == HELLO_SENT) {
        /* Karn: only a HELLO neither we nor our link repeated measures */
        if (p->hello_tries == 0 && peer_retx(e, p) == p->hello_retx)
            rtt_sample(p, now - p->hello_sent);
        p->hello = HELLO_DONE;
        p->hello_timer = SAMI_NO_DEADLINE;
        p->hello_tries = 0;
        peer_sync(e, pid);
    }
    int was_up = p->up;
    p->up = 1;
    if (!was_up)
        peer_up(e, now, pid);
}

static void dispatch(struct sami_xfer_engine *e, sami_usec_t now, int pid,
                     const struct sami_xfer_msg *msg)
{
    struct xmig *m;
    switch (msg->hdr.type) {
    case SAMI_XFER_HELLO:
        on_hello(e, now, pid, msg);
        break;
    case SAMI_XFER_PRECOPY:
    case SAMI_XFER_DELTA:
        dst_batch(e, now, pid, msg);
        break;
    case SAMI_XFER_COMMIT:
        dst_commit(e, now, pid, msg);
        break;
    case SAMI_XFER_RESULT:
        m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_SOURCE);
        if (!m || m->peer != pid)
            e->c.stale++;
        else
            src_result(e, now, m, msg);
        break;
    case SAMI_XFER_ACTIVATE:
        m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_SOURCE);
        if (!m) {
            /* Never ours, or finished and forgotten (the destination resends
             * ACTIVATE far longer than DONE lingers): nothing is purged now;
             * PURGE FAILED / REJECTED says so and ends its resending. */
            e->c.stale++;
            e->c.activate_unknown++;
            (void)send_status_msg(e, now, pid, SAMI_XFER_PURGE, SAMI_XFER_F_RESPONSE,
                                  msg->hdr.migration_id, SAMI_XFER_ST_FAILED,
                                  SAMI_XFER_R_REJECTED);
        } else if (m->peer != pid) {
            e->c.stale++;
        } else {
            src_activate(e, now, m, pid);
        }
        break;
    case SAMI_XFER_PURGE:
        m = mig_find(e, msg->hdr.migration_id, SAMI_XFER_ROLE_DEST);
        if (!m || m->peer != pid || m->state != SAMI_XFER_MS_ACTIVATING) {
            e->c.stale++;
        } else {
            struct sami_xfer_event ev;
            struct sami_xfer_iter it;
            struct sami_xfer_elem el;
            struct sami_xfer_status_elem st = {SAMI_XFER_ST_OK, SAMI_XFER_R_NONE};
            sami_xfer_iter_init(&it, msg, NULL);
            while (sami_xfer_iter_next(&it, &el) == 1)
                if (el.type == SAMI_XFER_E_STATUS)
                    (void)sami_xfer_read_status(&el, &st, NULL);
            ev_init(&ev, m, SAMI_XFER_EV_PURGED);
            /* FAILED: the source did not purge now (it failed to, or no
             * longer knows the migration); either way resending is over */
            ev.status = st.status;
            ev.reason = st.reason;
            mig_free(e, m);
            ev_fire(e, now, &ev);
        }
        break;
    case SAMI_XFER_ABORT:
        on_abort(e, now, pid, msg);
        break;
    case SAMI_XFER_ACK:
        on_ack(e, now, pid, msg);
        break;
    default:
        e->c.stale++;
        break;
    }
}

int sami_xfer_engine_input(struct sami_xfer_engine *e, sami_usec_t now, int peer,
                           const uint8_t *buf, size_t len)
{
    struct sami_xfer_hdr hdr;
    struct sami_xfer_msg msg;
    struct sami_err err;
    struct sami_rd r;
    if (!e)
        return SAMI_ERR_INVAL;
    e->c.rx_msgs++;
    /* 1. size: before anything is parsed */
    if (!buf || len < SAMI_XFER_OVERHEAD || len > e->cfg.limits.max_msg) {
        e->c.bad_length++;
        return len > e->cfg.limits.max_msg ? SAMI_ERR_TOOBIG : SAMI_ERR_LENGTH;
    }
    size_t max_body = e->cfg.limits.max_msg - SAMI_XFER_OVERHEAD;
    sami_rd_init(&r, buf, len, &err);
    int rc = sami_xfer_read_hdr(&r, max_body, &hdr);
    if (rc) {
        e->c.bad_length++;
        return rc;
    }
    /* 2. peer: the connection's, or the one the (not yet authentic) header
     * names; our own id is a reflection */
    int pid = peer;
    if (pid < 0)
        pid = sami_xfer_engine_find_peer(e, &hdr.sender);
    if (!peer_at(e, pid) || bid_eq(&hdr.sender, &e->cfg.local) ||
        (peer < 0 && pid < 0)) {
        e->c.unknown_peer++;
        return SAMI_ERR_NOTFOUND;
    }
    if (peer >= 0 && sami_xfer_engine_find_peer(e, &hdr.sender) < 0) {
        e->c.unknown_peer++;
        return SAMI_ERR_NOTFOUND;
    }
    struct xpeer *p = &e->peers[pid];
    /* 3. key, MAC, replay window (this peer, this key id), body */
    rc = sami_xfer_open(buf, len, &e->cfg.keyring, &p->replay, to_ms(now), max_body, &msg, &err);
    switch (rc) {
    case 0:
        break;
    case SAMI_ERR_NOKEY:
        e->c.no_key++;
        return rc;
    case SAMI_ERR_AUTH:
        e->c.bad_auth++;
        return rc;
    case SAMI_ERR_CRYPTO:
        e->c.crypto++;
        return rc;
    case SAMI_ERR_REPLAY:
        e->c.replay++;
        return rc;
    default:
        e->c.bad_length++;
        return rc;
    }
    /* 4. the authenticated sender must be the peer of this connection */
    if (!bid_eq(&msg.hdr.sender, &p->id)) {
        e->c.wrong_peer++;
        return SAMI_ERR_REJECTED;
    }
    e->c.rx_ok++;
    dispatch(e, now, pid, &msg);
    return 0;
}

/* The link's deliver callback: a reassembled message from an L2 peer. */
static void link_deliver(void *ctx, sami_usec_t now, int link_peer, void *handle,
                         const uint8_t *msg, size_t len)
{
    struct sami_xfer_engine *e = ctx;
    (void)handle;
    if (!e)
        return;
    for (uint32_t i = 0; i < e->npeers; i++) {
        struct xpeer *p = &e->peers[i];
        if (p->used && p->binding == SAMI_XFER_BIND_L2 && p->link_peer == link_peer) {
            /* A batch's snapshot age was true when its fragment 0 left, so
             * its transit ends when fragment 0 arrived, whatever the later
             * fragments (or their resends) took. */
            e->rx_at = sami_xfer_link_rx_first_at(e->cfg.link, link_peer);
            (void)sami_xfer_engine_input(e, now, (int)i, msg, len);
            e->rx_at = 0;
            return;
        }
    }
    e->c.rx_msgs++;
    e->c.unknown_peer++;
}

static uint64_t be_get(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* The export a queued batch was cut from, or SAMI_NO_DEADLINE when the
 * message is not a current batch of this source migration. */
static sami_usec_t batch_export_at(const struct xmig *m, uint8_t type, uint64_t gen_next)
{
    if ((gen_next >> 32) != m->attempt)
        return SAMI_NO_DEADLINE; /* an older attempt's: its export is gone */
    if (type == SAMI_XFER_PRECOPY && m->exported)
        return m->pre.at;
    if (type == SAMI_XFER_DELTA && m->delta_ready)
        return m->del.at;
    return SAMI_NO_DEADLINE;
}

/* The L2 link is about to send a message that may have waited in its
 * queue behind others. A batch says how old its snapshot is (SNAPSHOT
 * TIME, signed) as of when it was built; the destination anchors remaining
 * times on that age, so the wait would end up in its timers. Refresh the
 * age to now and sign again (same key id, same sequence). Round trips are
 * measured from here too: the queueing is ours, not the path's. */
static int link_starting(void *ctx, sami_usec_t now, int link_peer, void *handle, uint32_t ticket,
                         uint8_t *a, size_t alen, uint8_t *b, size_t blen)
{
    struct sami_xfer_engine *e = ctx;
    (void)handle, (void)ticket;
    size_t len = alen + blen;
    if (!e || !e->rbuf || len < SAMI_XFER_OVERHEAD || len > e->cfg.limits.max_msg)
        return 0;
    int pid = -1;
    for (uint32_t i = 0; i < e->npeers && pid < 0; i++)
        if (e->peers[i].used && e->peers[i].binding == SAMI_XFER_BIND_L2 &&
            e->peers[i].link_peer == link_peer)
            pid = (int)i;
    if (pid < 0)
        return 0;
    struct xpeer *p = &e->peers[pid];
    uint8_t *msg = e->rbuf;
    memcpy(msg, a, alen);
    if (blen)
        memcpy(msg + alen, b, blen);
    struct sami_rd r;
    struct sami_xfer_hdr h;
    sami_rd_init(&r, msg, len, NULL);
    if (sami_xfer_read_hdr(&r, e->cfg.limits.max_msg - SAMI_XFER_OVERHEAD, &h) ||
        SAMI_XFER_OVERHEAD + (size_t)h.body_len != len)
        return 0;
    if (h.type == SAMI_XFER_HELLO) {
        /* only its first start: a later one is a link resend (Karn) */
        if (!(h.flags & SAMI_XFER_F_RESPONSE) && p->hello == HELLO_SENT && p->hello_tries == 0 &&
            !p->hello_started) {
            p->hello_sent = now;
            p->hello_retx = peer_retx(e, p);
            p->hello_started = 1;
        }
        return 0;
    }
    if (h.type != SAMI_XFER_PRECOPY && h.type != SAMI_XFER_DELTA)
        return 0;
    struct xmig *m = mig_find(e, h.migration_id, SAMI_XFER_ROLE_SOURCE);
    if (!m || m->peer != pid)
        return 0;
    uint16_t key_id = (uint16_t)be_get(msg + len - SAMI_XFER_TRAILER_LEN, 2);
    uint64_t seq = be_get(msg + len - SAMI_XFER_TRAILER_LEN + 2, 8);
    for (uint32_t u = m->una; u < m->nxt; u++) {
        uint32_t k = u % XE_WMAX;
        if (m->useq[k] == seq && !m->ustarted[k]) {
            m->ustart[k] = now;
            m->uretx[k] = peer_retx(e, p);
            m->ustarted[k] = 1;
        }
    }
    /* find GENERATION and SNAPSHOT TIME (fixed sizes, so a plain walk) */
    size_t off = SAMI_XFER_HDR_LEN, end = SAMI_XFER_HDR_LEN + h.body_len, snap = 0;
    uint64_t gen_next = 0;
    while (off + SAMI_XFER_ELEM_HDR_LEN <= end) {
        uint16_t t = (uint16_t)be_get(msg + off, 2);
        size_t n = (size_t)be_get(msg + off + 2, 2);
        size_t v = off + SAMI_XFER_ELEM_HDR_LEN;
        if (v + n > end)
            return 0;
        if (t == SAMI_XFER_E_GENERATION && n == SAMI_XFER_GENERATION_LEN)
            gen_next = be_get(msg + v + 8, 8);
        else if (t == SAMI_XFER_E_SNAPSHOT_TIME && n == SAMI_XFER_SNAPSHOT_TIME_LEN)
            snap = v;
        off = v + n;
    }
    sami_usec_t at = batch_export_at(m, h.type, gen_next);
    if (!snap || at == SAMI_NO_DEADLINE || now < at)
        return 0;
    uint32_t age = ms32(now - at);
    if (age == (uint32_t)be_get(msg + snap, 4))
        return 0;
    const struct sami_xfer_key *k = NULL;
    for (int i = 0; i < SAMI_XFER_MAX_KEYS && !k; i++)
        if (e->cfg.keyring.keys[i].id == key_id)
            k = &e->cfg.keyring.keys[i];
    if (!k)
        return 0; /* the key is gone: the old age is better than no signature */
    for (unsigned i = 0; i < 4; i++)
        msg[snap + i] = (uint8_t)(age >> (24 - 8 * i));
    if (sami_xfer_seal(msg, len, k, seq, e->cfg.keyring.hmac) != 0)
        return 0;
    memcpy(a, msg, alen);
    if (blen)
        memcpy(b, msg + alen, blen);
    e->c.restamps++;
    return 1;
}

/* ------------------------------------------------------------------ */
/* source API */

/* The types a migration moves: 0 asks for every type. */
/* A newer migration of vm begins here (this bridge its source again, or
 * its destination): an older committed migration of the same VM waiting
 * for a late ACTIVATE is over. Its ACTIVATE would purge what the newer one
 * brings or needs, so from now on it is ignored (stale). An ABORT still in
 * flight goes on, without the committed meaning. */
static void supersede(struct sami_xfer_engine *e, const struct sami_vm_id *vm)
{
    for (uint32_t i = 0; i < e->nmigs; i++) {
        struct xmig *m = &e->migs[i];
        if (!m->used || m->role != SAMI_XFER_ROLE_SOURCE || !m->committed ||
            !sami_store_vm_equal(&m->vm, vm))
            continue;
        if (m->state == SAMI_XFER_MS_UNRESOLVED) {
            e->c.superseded++;
            mig_free(e, m);
        } else if (m->state == SAMI_XFER_MS_ABORTING) {
            e->c.superseded++;
            m->committed = 0;
        }
    }
}

static uint32_t want_of(uint32_t di_types)
{
    uint32_t w = di_types & SAMI_DI_ALL_TYPES;
    return w ? w : SAMI_DI_ALL_TYPES;
}

int sami_xfer_engine_precopy(struct sami_xfer_engine *e, sami_usec_t now, int peer,
                             uint64_t migration_id, const struct sami_vm_id *vm,
                             uint32_t di_types, sami_usec_t deadline)
{
    if (!e || !vm)
        return SAMI_ERR_INVAL;
    struct xpeer *p = peer_at(e, peer);
    if (!p)
        return SAMI_ERR_NOTFOUND;
    if (mig_find(e, migration_id, SAMI_XFER_ROLE_SOURCE))
        return SAMI_ERR_EXISTS;
    supersede(e, vm);
    struct xmig *m = mig_new(e, migration_id, SAMI_XFER_ROLE_SOURCE);
    if (!m)
        return SAMI_ERR_LIMIT;
    /* deletions are remembered from here on, so the delta can be exact */
    int rc = sami_store_source_begin(&e->cfg.store, migration_id, vm);
    if (rc) {
        mig_free(e, m);
        return rc;
    }
    m->vm = *vm;
    m->want = want_of(di_types);
    m->peer = peer;
    m->deadline = deadline;
    if (p->up) {
        start_attempt(e, now, m);
        return 0;
    }
    m->state = SAMI_XFER_MS_HELLO;
    mig_sync(e, m);
    if (p->hello != HELLO_SENT)
        hello_start(e, now, peer);
    return 0;
}

int sami_xfer_engine_commit(struct sami_xfer_engine *e, sami_usec_t now, uint64_t migration_id,
                            sami_usec_t deadline)
{
    if (!e)
        return SAMI_ERR_INVAL;
    struct xmig *m = mig_find(e, migration_id, SAMI_XFER_ROLE_SOURCE);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    if (m->commit_req)
        return SAMI_ERR_STATE;
    switch (m->state) {
    case SAMI_XFER_MS_HELLO:
    case SAMI_XFER_MS_BACKOFF:
    case SAMI_XFER_MS_PRECOPY:
    case SAMI_XFER_MS_READY:
        break;
    default:
        return SAMI_ERR_STATE;
    }
    m->commit_req = 1;
    m->t_commit = now;
    m->deadline = deadline;
    mig_sync(e, m);
    if (m->state == SAMI_XFER_MS_HELLO)
        return 0; /* exported once the peer answers */
    if (m->state == SAMI_XFER_MS_BACKOFF) {
        start_attempt(e, now, m); /* no more waiting: this is the final state */
        return 0;
    }
    int rc = export_delta(e, now, m);
    if (rc) {
        src_fail(e, now, m, SAMI_XFER_EV_RESULT, SAMI_XFER_ST_FAILED, reason_of(rc), rc);
        return 0;
    }
    m->state = SAMI_XFER_MS_COMMIT;
    pump(e, now, m);
    return 0;
}

/* ------------------------------------------------------------------ */
/* destination API */

int sami_xfer_engine_expect(struct sami_xfer_engine *e, sami_usec_t now, uint64_t migration_id,
                            const struct sami_vm_id *vm, int peer, uint32_t di_types,
                            sami_usec_t deadline)
{
    (void)now;
    if (!e || !vm || (peer >= 0 && !peer_at(e, peer)))
        return SAMI_ERR_INVAL;
    struct xmig *m = mig_find(e, migration_id, SAMI_XFER_ROLE_DEST);
    if (m) {
        if (!sami_store_vm_equal(&m->vm, vm))
            return SAMI_ERR_EXISTS;
        m->deadline = deadline;
        mig_sync(e, m);
        return 0;
    }
    supersede(e, vm);
    m = mig_new(e, migration_id, SAMI_XFER_ROLE_DEST);
    if (!m)
        return SAMI_ERR_LIMIT;
    m->vm = *vm;
    m->want = want_of(di_types);
    m->peer = peer;
    m->deadline = deadline;
    m->state = SAMI_XFER_MS_EXPECTED;
    mig_sync(e, m);
    return 0;
}

/* ACTIVATE is resent until PURGE for as long as cfg.resolve allows (a
 * source cut off by a partition must still learn that the VM moved), with
 * a longer backoff than other exchanges: rto doubling up to 64 x. */
static sami_usec_t activate_wait(const struct sami_xfer_engine *e, const struct xmig *m,
                                 sami_usec_t now)
{
    sami_usec_t t = now + (e->cfg.rto << (m->tries < 6 ? m->tries : 6));
    return t < m->giveup ? t : m->giveup;
}

static void send_activate(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    int64_t seq = send_status_msg(e, now, m->peer, SAMI_XFER_ACTIVATE, 0, m->id,
                                  SAMI_XFER_ST_OK, SAMI_XFER_R_NONE);
    if (!m->ctl_first && seq > 0)
        m->ctl_first = (uint64_t)seq;
    m->timer = activate_wait(e, m, now);
    mig_sync(e, m);
}

int sami_xfer_engine_activate(struct sami_xfer_engine *e, sami_usec_t now, uint64_t migration_id)
{
    if (!e)
        return SAMI_ERR_INVAL;
    struct xmig *m = mig_find(e, migration_id, SAMI_XFER_ROLE_DEST);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    if (m->state == SAMI_XFER_MS_ACTIVATING)
        return 0;
    if (m->state != SAMI_XFER_MS_INSTALLED)
        return SAMI_ERR_STATE;
    int rc = sami_store_activate(&e->cfg.store, m->id, now);
    if (rc)
        return rc;
    m->state = SAMI_XFER_MS_ACTIVATING;
    m->deadline = SAMI_NO_DEADLINE;
    m->giveup = now + e->cfg.resolve;
    m->tries = 0;
    m->ctl_first = 0;
    send_activate(e, now, m);
    return 0;
}

/* ------------------------------------------------------------------ */
/* both */

static void send_abort(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    int64_t seq = send_status_msg(e, now, m->peer, SAMI_XFER_ABORT, 0, m->id, SAMI_XFER_ST_FAILED,
                                  m->abort_reason);
    if (!m->ctl_first && seq > 0)
        m->ctl_first = (uint64_t)seq;
    m->timer = now + rto_for(e, m->tries);
    mig_sync(e, m);
}

static void start_abort(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m,
                        uint16_t reason)
{
    m->state = SAMI_XFER_MS_ABORTING;
    m->abort_reason = reason;
    m->deadline = SAMI_NO_DEADLINE;
    m->tries = 0;
    m->ctl_first = 0;
    send_abort(e, now, m);
}

static int abort_one(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m, uint16_t reason)
{
    if (reason > SAMI_XFER_R_MAX)
        reason = SAMI_XFER_R_ABORTED;
    if (m->role == SAMI_XFER_ROLE_SOURCE) {
        if (m->state == SAMI_XFER_MS_DONE)
            return SAMI_ERR_STATE; /* purged after ACTIVATE: the VM runs at BR-D */
        if (m->state == SAMI_XFER_MS_ABORTING || m->state == SAMI_XFER_MS_UNRESOLVED)
            return 0;
        /* Unfreezes and drops tombstones; every record stays. After RESULT
         * OK (m->committed) the ABORT is also a question: BR-D answers ACK
         * if it discarded, ACTIVATE if the VM runs there. */
        sami_store_source_end(&e->cfg.store, m->id);
        outboxes_free(e, m);
        if (!m->any_sent || m->state == SAMI_XFER_MS_PEER_ABORTED) {
            mig_free(e, m);
            return 0;
        }
        start_abort(e, now, m, reason);
        return 0;
    }
    if (m->state == SAMI_XFER_MS_ACTIVATING)
        return SAMI_ERR_STATE;
    if (m->state == SAMI_XFER_MS_ABORTING)
        return 0;
    if (m->staged || m->state == SAMI_XFER_MS_INSTALLED)
        (void)sami_store_discard(&e->cfg.store, m->id);
    m->staged = 0;
    held_sub(e, m->rx_total);
    m->rx_total = 0;
    if (m->peer < 0 || m->state == SAMI_XFER_MS_EXPECTED) {
        mig_free(e, m);
        return 0;
    }
    start_abort(e, now, m, reason);
    return 0;
}

int sami_xfer_engine_abort(struct sami_xfer_engine *e, sami_usec_t now, uint64_t migration_id,
                           uint16_t reason)
{
    if (!e)
        return SAMI_ERR_INVAL;
    int found = 0, rc = 0;
    for (int role = SAMI_XFER_ROLE_SOURCE; role <= SAMI_XFER_ROLE_DEST; role++) {
        struct xmig *m = mig_find(e, migration_id, role);
        if (!m)
            continue;
        found = 1;
        int r = abort_one(e, now, m, reason);
        if (r)
            rc = r;
    }
    return found ? rc : SAMI_ERR_NOTFOUND;
}

int sami_xfer_engine_set_deadline(struct sami_xfer_engine *e, uint64_t migration_id, int role,
                                  sami_usec_t deadline)
{
    struct xmig *m = e ? mig_find(e, migration_id, role) : NULL;
    if (!m)
        return SAMI_ERR_NOTFOUND;
    m->deadline = deadline;
    mig_sync(e, m);
    return 0;
}

int sami_xfer_engine_hello(struct sami_xfer_engine *e, sami_usec_t now, int peer)
{
    if (!e || peer < 0 || (uint32_t)peer >= e->npeers || !e->peers[peer].used)
        return SAMI_ERR_INVAL;
    if (e->peers[peer].hello != HELLO_SENT)
        hello_start(e, now, peer);
    return 0;
}

int sami_xfer_engine_forget(struct sami_xfer_engine *e, uint64_t migration_id, int role)
{
    struct xmig *m = e ? mig_find(e, migration_id, role) : NULL;
    if (!m)
        return SAMI_ERR_NOTFOUND;
    if (role == SAMI_XFER_ROLE_SOURCE) {
        sami_store_source_end(&e->cfg.store, m->id);
    } else if (m->state != SAMI_XFER_MS_ACTIVATING &&
               (m->staged || m->state == SAMI_XFER_MS_INSTALLED)) {
        (void)sami_store_discard(&e->cfg.store, m->id);
    }
    mig_free(e, m);
    return 0;
}

/* ------------------------------------------------------------------ */
/* migrations only the destination can settle, across a host restart */

static int pending_of(const struct xmig *m)
{
    if (!m->used)
        return 0;
    if (m->role == SAMI_XFER_ROLE_DEST)
        return m->state == SAMI_XFER_MS_ACTIVATING;
    return m->committed && (m->state == SAMI_XFER_MS_COMMITTED ||
                            m->state == SAMI_XFER_MS_ABORTING ||
                            m->state == SAMI_XFER_MS_UNRESOLVED);
}

size_t sami_xfer_engine_list_pending(const struct sami_xfer_engine *e,
                                     struct sami_xfer_pending *out, size_t cap)
{
    size_t n = 0;
    if (!e)
        return 0;
    for (uint32_t i = 0; i < e->nmigs; i++) {
        const struct xmig *m = &e->migs[i];
        if (!pending_of(m))
            continue;
        if (out && n < cap) {
            struct sami_xfer_pending *p = &out[n];
            memset(p, 0, sizeof *p);
            p->migration_id = m->id;
            p->role = m->role;
            p->peer = m->peer;
            p->vm = m->vm;
            p->until = m->role == SAMI_XFER_ROLE_DEST       ? m->giveup
                       : m->state == SAMI_XFER_MS_UNRESOLVED ? m->timer
                                                             : SAMI_NO_DEADLINE;
        }
        n++;
    }
    return n;
}

int sami_xfer_engine_adopt(struct sami_xfer_engine *e, sami_usec_t now,
                           const struct sami_xfer_pending *p)
{
    if (!e || !p || (p->role != SAMI_XFER_ROLE_SOURCE && p->role != SAMI_XFER_ROLE_DEST))
        return SAMI_ERR_INVAL;
    if (!peer_at(e, p->peer))
        return SAMI_ERR_NOTFOUND;
    if (mig_find(e, p->migration_id, p->role))
        return SAMI_ERR_EXISTS;
    struct xmig *m = mig_new(e, p->migration_id, p->role);
    if (!m)
        return SAMI_ERR_LIMIT;
    e->c.adopted++;
    m->vm = p->vm;
    m->want = SAMI_DI_ALL_TYPES;
    m->peer = p->peer;
    sami_usec_t until = p->until != SAMI_NO_DEADLINE ? p->until : now + e->cfg.resolve;
    if (p->role == SAMI_XFER_ROLE_SOURCE) {
        m->committed = 1;
        m->state = SAMI_XFER_MS_UNRESOLVED;
        m->timer = until;
        mig_sync(e, m);
        return 0;
    }
    m->state = SAMI_XFER_MS_ACTIVATING;
    m->giveup = until;
    send_activate(e, now, m);
    return 0;
}

/* ------------------------------------------------------------------ */
/* timers */

sami_usec_t sami_xfer_engine_next_deadline(const struct sami_xfer_engine *e)
{
    if (!e)
        return SAMI_NO_DEADLINE;
    sami_usec_t d = sami_dlheap_min(&e->pdl), m = sami_dlheap_min(&e->mdl);
    if (m < d)
        d = m;
    if (e->cfg.link) {
        sami_usec_t l = sami_xfer_link_next_deadline(e->cfg.link);
        if (l < d)
            d = l;
    }
    return d;
}

sami_usec_t sami_xfer_engine_scan_deadline(const struct sami_xfer_engine *e, int *index_ok)
{
    sami_usec_t d = SAMI_NO_DEADLINE;
    int ok = e && sami_dlheap_check(&e->pdl) == 0 && sami_dlheap_check(&e->mdl) == 0;
    for (uint32_t i = 0; e && i < e->npeers; i++) {
        const struct xpeer *p = &e->peers[i];
        sami_usec_t k = p->used ? p->hello_timer : SAMI_NO_DEADLINE;
        ok = ok && sami_dlheap_key(&e->pdl, i) == k;
        if (k < d)
            d = k;
    }
    for (uint32_t i = 0; e && i < e->nmigs; i++) {
        const struct xmig *m = &e->migs[i];
        sami_usec_t k = SAMI_NO_DEADLINE;
        if (m->used) {
            k = m->timer;
            if (deadline_applies(m) && m->deadline < k)
                k = m->deadline;
        }
        ok = ok && sami_dlheap_key(&e->mdl, i) == k;
        if (k < d)
            d = k;
    }
    if (e && e->cfg.link) {
        sami_usec_t l = sami_xfer_link_next_deadline(e->cfg.link);
        if (l < d)
            d = l;
    }
    if (index_ok)
        *index_ok = ok;
    return d;
}

static void mig_deadline(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    e->c.deadlines++;
    m->deadline = SAMI_NO_DEADLINE;
    mig_sync(e, m);
    if (m->role == SAMI_XFER_ROLE_SOURCE) {
        if (m->state == SAMI_XFER_MS_COMMITTED) {
            /* no ACTIVATE in time: report, keep every record, still accept
             * a late ACTIVATE (the VM might run at BR-D after all) */
            fire_simple(e, now, m, SAMI_XFER_EV_TIMEOUT, SAMI_XFER_ST_TIMEOUT,
                        SAMI_XFER_R_DEADLINE, SAMI_ERR_TIMEOUT);
            return;
        }
        src_fail(e, now, m, SAMI_XFER_EV_TIMEOUT, SAMI_XFER_ST_TIMEOUT, SAMI_XFER_R_DEADLINE,
                 SAMI_ERR_TIMEOUT);
        return;
    }
    /* destination: drop what is staged or installed, tell the source */
    struct sami_xfer_event ev;
    ev_init(&ev, m, SAMI_XFER_EV_TIMEOUT);
    ev.status = SAMI_XFER_ST_TIMEOUT;
    ev.reason = SAMI_XFER_R_DEADLINE;
    ev.error = SAMI_ERR_TIMEOUT;
    (void)abort_one(e, now, m, SAMI_XFER_R_DEADLINE);
    ev_fire(e, now, &ev);
}

/* An L2 peer whose link still holds queued messages: the link retransmits
 * frames itself, so a message resent now would only queue behind (or
 * duplicate) one not yet delivered. The timer waits instead; deadlines
 * still bound everything. */
static int link_backlogged(const struct sami_xfer_engine *e, int pid)
{
    const struct xpeer *p = peer_at(e, pid);
    return p && p->binding == SAMI_XFER_BIND_L2 &&
           sami_xfer_link_pending(e->cfg.link, p->link_peer) > 0;
}

static void mig_timer(struct sami_xfer_engine *e, sami_usec_t now, struct xmig *m)
{
    int wait = m->peer >= 0 && link_backlogged(e, m->peer) &&
               (m->state == SAMI_XFER_MS_PRECOPY || m->state == SAMI_XFER_MS_COMMIT ||
                m->state == SAMI_XFER_MS_ABORTING || m->state == SAMI_XFER_MS_ACTIVATING);
    m->timer = wait ? now + rto_for(e, m->tries) : SAMI_NO_DEADLINE;
    mig_sync(e, m);
    if (wait)
        return;
    switch (m->state) {
    case SAMI_XFER_MS_PRECOPY:
    case SAMI_XFER_MS_COMMIT:
    case SAMI_XFER_MS_READY:
        if (m->una >= m->nxt)
            return;
        if (++m->tries > e->cfg.retries) {
            e->c.timeouts++;
            src_fail(e, now, m, SAMI_XFER_EV_ERROR, SAMI_XFER_ST_FAILED, SAMI_XFER_R_UNREACHABLE,
                     SAMI_ERR_RETRIES);
            return;
        }
        m->nxt = m->una; /* go back to the oldest unacknowledged unit */
        pump(e, now, m);
        return;
    case SAMI_XFER_MS_BACKOFF:
        start_attempt(e, now, m);
        return;
    case SAMI_XFER_MS_ABORTING:
        if (++m->tries > e->cfg.retries) {
            e->c.timeouts++;
            if (m->committed) {
                /* No answer: BR-D may run the VM. Keep the records and
                 * listen for its ACTIVATE, which it resends for as long. */
                e->c.unresolved++;
                m->state = SAMI_XFER_MS_UNRESOLVED;
                m->timer = now + e->cfg.resolve;
                mig_sync(e, m);
                return;
            }
            mig_free(e, m); /* the peer has its own deadline */
            return;
        }
        e->c.retransmits++;
        send_abort(e, now, m);
        return;
    case SAMI_XFER_MS_ACTIVATING:
        m->tries++;
        if (now >= m->giveup) {
            e->c.timeouts++;
            e->c.activate_giveups++;
            struct sami_xfer_event ev;
            ev_init(&ev, m, SAMI_XFER_EV_ERROR);
            ev.status = SAMI_XFER_ST_FAILED;
            ev.reason = SAMI_XFER_R_UNREACHABLE;
            ev.error = SAMI_ERR_RETRIES;
            mig_free(e, m); /* active here; the source just never confirmed its purge */
            ev_fire(e, now, &ev);
            return;
        }
        e->c.retransmits++;
        send_activate(e, now, m);
        return;
    case SAMI_XFER_MS_DONE:
    case SAMI_XFER_MS_REFUSED:
        mig_free(e, m); /* lingered long enough for retransmissions */
        return;
    case SAMI_XFER_MS_UNRESOLVED:
        e->c.unresolved_expired++;
        mig_free(e, m); /* bounded: the records stayed here all along */
        return;
    default:
        return;
    }
}

static void hello_timer(struct sami_xfer_engine *e, sami_usec_t now, int pid)
{
    struct xpeer *p = &e->peers[pid];
    /* 0: nothing outstanding, 1: the link still sends, 2: resend, 3: give up */
    int act = p->hello != HELLO_SENT   ? 0
              : link_backlogged(e, pid) ? 1
              : ++p->hello_tries > e->cfg.retries ? 3
                                                   : 2;
    p->hello_timer = act == 1 || act == 2 ? now + rto_for(e, p->hello_tries) : SAMI_NO_DEADLINE;
    peer_sync(e, pid);
    if (act < 2)
        return;
    if (act == 3) {
        e->c.timeouts++;
        p->hello = HELLO_NONE;
        for (uint32_t i = 0; i < e->nmigs; i++) {
            struct xmig *m = &e->migs[i];
            if (m->used && m->role == SAMI_XFER_ROLE_SOURCE && m->peer == pid &&
                m->state == SAMI_XFER_MS_HELLO)
                src_fail(e, now, m, SAMI_XFER_EV_ERROR, SAMI_XFER_ST_FAILED,
                         SAMI_XFER_R_UNREACHABLE, SAMI_ERR_RETRIES);
        }
        return;
    }
    e->c.retransmits++;
    send_hello(e, now, pid, 0);
}

void sami_xfer_engine_run(struct sami_xfer_engine *e, sami_usec_t now)
{
    if (!e)
        return;
    if (e->cfg.link)
        sami_xfer_link_run(e->cfg.link, now);
    /* The scans below are the order timers fire in (table order); the
     * indexes only end them once nothing left anywhere is due. */
    for (uint32_t i = 0; i < e->npeers && sami_dlheap_min(&e->pdl) <= now; i++)
        if (e->peers[i].used && e->peers[i].hello_timer <= now)
            hello_timer(e, now, (int)i);
    for (uint32_t i = 0; i < e->nmigs && sami_dlheap_min(&e->mdl) <= now; i++) {
        struct xmig *m = &e->migs[i];
        if (m->used && deadline_applies(m) && m->deadline <= now)
            mig_deadline(e, now, m);
        if (m->used && m->timer <= now)
            mig_timer(e, now, m);
    }
}

/* ------------------------------------------------------------------ */
/* queries */

int sami_xfer_engine_state(const struct sami_xfer_engine *e, uint64_t migration_id, int role)
{
    const struct xmig *m = e ? mig_find(e, migration_id, role) : NULL;
    return m ? m->state : SAMI_XFER_MS_NONE;
}

uint32_t sami_xfer_engine_active(const struct sami_xfer_engine *e) { return e ? e->active : 0; }

uint32_t sami_xfer_engine_records_held(const struct sami_xfer_engine *e)
{
    return e ? e->held : 0;
}

const struct sami_xfer_engine_counters *sami_xfer_engine_counters(const struct sami_xfer_engine *e)
{
    return e ? &e->c : NULL;
}

const char *sami_xfer_event_name(int type)
{
    static const char *const n[] = {"?",       "PRECOPY_DONE", "RESULT",    "ACTIVATED",
                                    "ABORTED_BY_PEER", "TIMEOUT", "ERROR", "INSTALLED",
                                    "PURGED"};
    return type > 0 && type <= SAMI_XFER_EV_PURGED ? n[type] : "?";
}

const char *sami_xfer_mig_state_name(int s)
{
    static const char *const n[] = {"none",      "hello",     "precopy",  "backoff",
                                    "ready",     "commit",    "committed", "done",
                                    "failed",    "aborting",  "peer_aborted", "expected",
                                    "staging",   "installed", "activating", "refused",
                                    "unresolved"};
    return s >= 0 && s <= SAMI_XFER_MS_UNRESOLVED ? n[s] : "?";
}
