/* libFuzzer harness: two transfer engines (lib/xfer_engine.c), a source A
 * and a destination B, each over its own lib/memstore store, connected
 * through the fuzzer (stream binding, the documented test key).
 *
 * Input: octets 0..5 = engine options (rto, retries, window, batch size,
 * record limits, message size) and the records of the two VMs in A's store;
 * then operations (opcode octet + arguments, struct fz_in). Every message an
 * engine sends goes into a queue (at most QMAX; the oldest is lost beyond);
 * the input decides what happens to it:
 *   deliver (any queued message: reordering), drop, duplicate (deliver a
 *   copy, keep it), mutate octets and deliver unsigned (a forgery),
 *   mutate and re-seal with the key under the same sequence (an
 *   authenticated but misbehaving peer), inject arbitrary octets (unsigned,
 *   or sealed with a fresh sequence);
 * and the host calls: precopy (A), expect (B), freeze + commit (A),
 * activate (B), abort (either), forget (either), hello (either: a
 * connection came up), learner changes on A's VMs
 * (put / delete while not frozen); and time: +µs, to the next deadline, big
 * jump.
 *
 * The records are DHCP and ACL entries that never expire (SAMI_DI_INFINITE),
 * so a record installed at B must equal A's octet for octet.
 *
 * Invariants after every step:
 *  - a forgery (unsigned mutation or arbitrary octets) is refused (input
 *    returns an error);
 *  - B never holds a partial or poisoned install: the records B holds for
 *    a VM are none, or exactly A's records for it at one of the commits A
 *    made (the snapshot taken after freezing, when commit was called, of
 *    the DI types the pre-copy asked for);
 *    with sealed (authenticated) garbage in the mix that equality is not
 *    required, but an INSTALLED event must still match what B holds
 *    (count per DI type);
 *  - A never loses a VM's records (they equal what the learner put) unless
 *    A reported ACTIVATED for its migration, and then (no sealed garbage
 *    sent to A) B holds them and was activated;
 *  - a RESULT OK at A (no sealed garbage) only when B installed;
 *  - records_held never above the total limit, migrations in use never
 *    above the limit;
 *  - every message an engine sends opens with the test key;
 *  - the next deadline is none, or in [now, now + the longest timer:
 *    rto doublings, backoff, linger, the caller's deadlines]; right after
 *    an input it may already be due (docs/FUZZING.md): the harness then
 *    runs the engine, as a host loop does, and that must clear it;
 *  - return codes are 0 or negative. */
#include "checks.h"
#include "common.h"
#include "sami/di.h"
#include "sami/hmac.h"
#include "sami/memstore.h"
#include "sami/store.h"
#include "sami/xfer.h"
#include "sami/xfer_engine.h"

#define QMAX 48
#define NVM 2
#define SETMAX 160
#define SNAPMAX 8
#define ENC_MAX 96
#define DEADLINE_MAX SAMI_SEC(60)

struct qmsg {
    int to;     /* 0 = A, 1 = B */
    size_t len; /* message without the stream prefix */
    uint8_t *b;
};

struct rset { /* a VM's records as sorted encodings (type, length, value) */
    size_t n;
    uint8_t e[SETMAX][ENC_MAX];
};

static void *x_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void x_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static struct {
    struct sami_xfer_engine *eng[2];
    struct sami_memstore *ms[2];
    struct sami_store st[2];
    struct sami_xfer_bridge_id id[2];
    int peer[2]; /* engine peer id of the other node */
    struct qmsg q[QMAX];
    size_t nq;
    sami_usec_t now, bound;
    uint32_t max_total, max_migs;
    int tainted[2];        /* sealed garbage was delivered to this node */
    uint64_t forge_seq;
    struct sami_vm_id vm[NVM];
    size_t nsnap[NVM];
    int snaps_full[NVM];
    uint32_t want[NVM];    /* DI types of the last pre-copy started */
    uint32_t bwant[NVM];   /* DI types B's migration mig_of(k) moves (its expect) */
    int a_activated[NVM];  /* A reported ACTIVATED (purged) */
    int b_activated[NVM];  /* activate() at B returned 0 */
    int b_installed[NVM];  /* B reported INSTALLED */
    int in_input;
    int want_full; /* something worth a full comparison happened */
} X;

/* Kept out of X so the per-input reset stays cheap: only the counts are
 * reset (shadow[k].n, nsnap[k]). */
static struct {
    struct rset shadow;              /* SHADOW[k] as records */
    struct rset snaps[NVM][SNAPMAX]; /* A's records at each commit */
    uint32_t snap_n[NVM][SNAPMAX][2];  /* of which DHCP, ACL */
    struct rset tmp;
} R;

/* The two DI types the harness's records have (mk_rec). */
static const uint8_t FZ_TYPE[2] = {SAMI_DI_DHCP, SAMI_DI_ACL};

static uint64_t mig_of(int k)
{
    return 0x7700 + (uint64_t)k;
}

static int vm_of_mig(uint64_t mig)
{
    return (mig >= 0x7700 && mig < 0x7700 + NVM) ? (int)(mig - 0x7700) : -1;
}

static int cmp_enc(const void *a, const void *b)
{
    return memcmp(a, b, ENC_MAX);
}

static int set_emit(void *arg, const struct sami_di_record *rec)
{
    struct rset *s = arg;
    size_t len = 0;
    FUZZ_CHECK(s->n < SETMAX);
    uint8_t *e = s->e[s->n++];
    memset(e, 0, ENC_MAX);
    e[0] = rec->type;
    FUZZ_CHECK(sami_di_encode(rec, e + 3, ENC_MAX - 3, &len) == 0);
    e[1] = (uint8_t)(len >> 8);
    e[2] = (uint8_t)len;
    return 0;
}

static void get_set(int node, int k, struct rset *s)
{
    s->n = 0;
    FUZZ_CHECK(sami_store_foreach(&X.st[node], &X.vm[k], X.now, set_emit, s) == 0);
    qsort(s->e, s->n, ENC_MAX, cmp_enc);
}

static int set_eq(const struct rset *a, const struct rset *b)
{
    return a->n == b->n && memcmp(a->e, b->e, a->n * ENC_MAX) == 0;
}

/* The records of type t in s: one run, since encodings sort by type first. */
static size_t slice_of(const struct rset *s, uint8_t t, size_t *from)
{
    size_t i = 0;
    while (i < s->n && s->e[i][0] < t)
        i++;
    *from = i;
    while (i < s->n && s->e[i][0] == t)
        i++;
    return i - *from;
}

static int slice_eq(const struct rset *a, const struct rset *b, uint8_t t)
{
    size_t fa, fb, na = slice_of(a, t, &fa), nb = slice_of(b, t, &fb);
    return na == nb && (na == 0 || memcmp(a->e[fa], b->e[fb], na * ENC_MAX) == 0);
}

/* Record number i of a VM: DHCP (even) or ACL (odd), never expiring; v
 * changes the non-key fields (a renewed binding, a changed rule). */
static struct sami_di_record mk_rec(unsigned i, uint8_t v)
{
    struct sami_di_record r;
    memset(&r, 0, sizeof r);
    r.op = SAMI_DI_OP_UPSERT;
    if ((i & 1) == 0) {
        r.type = SAMI_DI_DHCP;
        r.version = SAMI_DI_DHCP_VERSION;
        r.u.dhcp.ipv4[0] = 10;
        r.u.dhcp.ipv4[3] = (uint8_t)i;
        r.u.dhcp.mac[0] = 0x52;
        r.u.dhcp.mac[5] = v;
        r.u.dhcp.vlan = 100;
        r.u.dhcp.lease_remaining_ms = SAMI_DI_INFINITE;
    } else {
        r.type = SAMI_DI_ACL;
        r.version = SAMI_DI_ACL_VERSION;
        r.u.acl.rule_id = i;
        r.u.acl.action = SAMI_DI_ACL_DENY;
        r.u.acl.origin = SAMI_DI_ACL_RADIUS;
        r.u.acl.src_port_hi = 65535;
        r.u.acl.dst_port_lo = v;
        r.u.acl.dst_port_hi = 1000;
        r.u.acl.lifetime_remaining_ms = SAMI_DI_INFINITE;
    }
    return r;
}

/* A's learner, as the harness drove it: record number i of VM k holds
 * variant val[k][i], or is absent (-1). */
#define NREC 48
static int SHADOW[NVM][NREC];

static size_t shadow_count(int k)
{
    size_t n = 0;
    for (unsigned i = 0; i < NREC; i++)
        n += SHADOW[k][i] >= 0;
    return n;
}

static void shadow_set(int k, struct rset *out)
{
    out->n = 0;
    for (unsigned i = 0; i < NREC; i++) {
        if (SHADOW[k][i] < 0)
            continue;
        struct sami_di_record r = mk_rec(i, (uint8_t)SHADOW[k][i]);
        set_emit(out, &r);
    }
    qsort(out->e, out->n, ENC_MAX, cmp_enc);
}

/* ------------------------------------------------------------ wiring -- */

static int on_tx(void *ctx, int peer, void *handle, const uint8_t *bytes, size_t len)
{
    int from = (int)(intptr_t)ctx;
    size_t mlen = 0;
    (void)peer;
    FUZZ_CHECK((int)(intptr_t)handle == 1 - from);
    FUZZ_CHECK(len > SAMI_XFER_STREAM_PREFIX_LEN);
    FUZZ_CHECK(sami_xfer_stream_frame_len(bytes, 1u << 24, &mlen) == 0);
    FUZZ_CHECK(mlen + SAMI_XFER_STREAM_PREFIX_LEN == len);
    const uint8_t *m = bytes + SAMI_XFER_STREAM_PREFIX_LEN;
    /* every message an engine signs is one the test key opens */
    {
        struct sami_xfer_keyring kr;
        struct sami_xfer_msg msg;
        fz_test_keyring(&kr);
        FUZZ_CHECK(sami_xfer_open(m, mlen, &kr, NULL, X.now / 1000, 0, &msg, NULL) == 0);
        FUZZ_CHECK(memcmp(msg.hdr.sender.mac, X.id[from].mac, 6) == 0);
    }
    if (X.nq == QMAX) { /* the oldest is lost */
        free(X.q[0].b);
        memmove(&X.q[0], &X.q[1], (QMAX - 1) * sizeof X.q[0]);
        X.nq--;
    }
    struct qmsg *q = &X.q[X.nq];
    q->b = malloc(mlen);
    FUZZ_CHECK(q->b != NULL);
    memcpy(q->b, m, mlen);
    q->len = mlen;
    q->to = 1 - from;
    X.nq++;
    return 0;
}

static void on_event(void *ctx, sami_usec_t now, const struct sami_xfer_event *ev)
{
    int node = (int)(intptr_t)ctx;
    if (fz_verbose())
        fprintf(stderr, "event %c %s mig %llx status %u reason %u counts %u\n", 'A' + node,
                sami_xfer_event_name(ev->type), (unsigned long long)ev->migration_id, ev->status,
                ev->reason, ev->counts[0]);
    FUZZ_CHECK(now == X.now);
    FUZZ_CHECK(ev->type >= SAMI_XFER_EV_PRECOPY_DONE && ev->type <= SAMI_XFER_EV_PURGED);
    FUZZ_CHECK(ev->role == (node == 0 ? SAMI_XFER_ROLE_SOURCE : SAMI_XFER_ROLE_DEST) ||
               ev->type == SAMI_XFER_EV_ABORTED_BY_PEER || ev->type == SAMI_XFER_EV_TIMEOUT ||
               ev->type == SAMI_XFER_EV_ERROR);
    FUZZ_CHECK(ev->n_results <= SAMI_DI_TYPE_MAX);
    int k = vm_of_mig(ev->migration_id);
    if (k < 0)
        return;
    if (node == 1 && ev->type == SAMI_XFER_EV_INSTALLED) {
        /* What B says it installed is what it holds of the types the
         * migration moves (its expect's; both engines take every type):
         * the install replaced whatever B held of them, leftovers of an
         * earlier install included. Other types: untouched, not counted. */
        uint32_t per[SAMI_STORE_COUNTS], rep = X.bwant[k], sum = 0;
        memset(per, 0, sizeof per);
        int n = sami_store_count(&X.st[1], &X.vm[k], per);
        FUZZ_CHECK(n >= 0);
        /* (an authenticated peer's HELLO may name fewer types, which
         * narrows what the install replaces: with sealed garbage in the
         * mix, only the sum is checked) */
        int exact = !X.tainted[0] && !X.tainted[1];
        for (unsigned t = 1; t < SAMI_STORE_COUNTS; t++) {
            if (exact && (rep & SAMI_DI_TYPE_BIT(t)))
                FUZZ_CHECK(per[t] == ev->counts[t]);
            else if (exact)
                FUZZ_CHECK(ev->counts[t] == 0);
            sum += ev->counts[t];
        }
        FUZZ_CHECK(sum == ev->counts[0]);
        /* and those types come from one commit of A, whole */
        if (exact && !X.snaps_full[k]) {
            int ok = 0;
            get_set(1, k, &R.tmp);
            for (size_t i = 0; i < X.nsnap[k] && !ok; i++) {
                ok = 1;
                for (int j = 0; j < 2; j++)
                    if (rep & SAMI_DI_TYPE_BIT(FZ_TYPE[j]))
                        ok = ok && slice_eq(&R.tmp, &R.snaps[k][i], FZ_TYPE[j]);
            }
            FUZZ_CHECK(ok);
        }
        X.b_installed[k] = 1;
    }
    if (node == 0 && ev->type == SAMI_XFER_EV_ACTIVATED)
        X.a_activated[k] = 1;
    X.want_full = 1;
    if (node == 0 && ev->type == SAMI_XFER_EV_RESULT && ev->status == SAMI_XFER_ST_OK &&
        !X.tainted[0] && !X.tainted[1])
        FUZZ_CHECK(X.b_installed[k]);
}

/* full: compare the records themselves; otherwise only their counts. The
 * full comparison runs after every event (installs, activations, purges,
 * failures all come with one) and at the end of the run (it dominates the
 * cost); the counts are checked after every step. */
static void check_state(int full)
{
    for (int n = 0; n < 2; n++) {
        FUZZ_CHECK(sami_xfer_engine_records_held(X.eng[n]) <= X.max_total);
        FUZZ_CHECK(sami_xfer_engine_active(X.eng[n]) <= X.max_migs);
        sami_usec_t d = sami_xfer_engine_next_deadline(X.eng[n]);
        FUZZ_CHECK(d == SAMI_NO_DEADLINE || (d >= X.now && d - X.now <= X.bound));
    }
    for (int k = 0; k < NVM; k++) {
        /* B, per DI type: nothing, or exactly that type's records in one of
         * A's commits (types move whole, each with the migrations that
         * want it: a migration that moves only DHCP leaves B's ACL entries
         * of an earlier one alone) */
        uint32_t per[SAMI_STORE_COUNTS];
        memset(per, 0, sizeof per);
        int nb = sami_store_count(&X.st[1], &X.vm[k], per);
        FUZZ_CHECK(nb >= 0 && (uint32_t)nb == per[FZ_TYPE[0]] + per[FZ_TYPE[1]]);
        if (nb && !X.tainted[1] && !X.tainted[0] && !X.snaps_full[k]) {
            if (full)
                get_set(1, k, &R.tmp);
            for (int j = 0; j < 2; j++) {
                uint8_t t = FZ_TYPE[j];
                int ok = per[t] == 0;
                for (size_t i = 0; i < X.nsnap[k] && !ok; i++)
                    ok = full ? slice_eq(&R.tmp, &R.snaps[k][i], t) : per[t] == R.snap_n[k][i][j];
                if (!ok && fz_verbose()) {
                    fprintf(stderr, "vm %d: B holds %u of type %u (full %d); snapshots:", k,
                            per[t], t, full);
                    for (size_t i = 0; i < X.nsnap[k]; i++)
                        fprintf(stderr, " %u", R.snap_n[k][i][j]);
                    fprintf(stderr, "\n");
                }
                FUZZ_CHECK(ok);
            }
        }
        /* A: what the learner put, until A says B took the VM over */
        if (!X.a_activated[k]) {
            int na = sami_store_count(&X.st[0], &X.vm[k], NULL);
            FUZZ_CHECK(na >= 0 && (size_t)na == shadow_count(k));
            if (full) {
                get_set(0, k, &R.tmp);
                shadow_set(k, &R.shadow);
                FUZZ_CHECK(set_eq(&R.tmp, &R.shadow));
            }
        } else if (!X.tainted[0] && !X.tainted[1]) {
            FUZZ_CHECK(X.b_activated[k] && X.b_installed[k]);
        }
    }
    X.want_full = 0;
}

/* ------------------------------------------------------------- steps -- */

static void deliver(int to, const uint8_t *b, size_t len, int forged)
{
    if (fz_verbose() && len > 24)
        fprintf(stderr, "deliver to %c type %u flags %u mig %02x%02x len %zu%s\n", 'A' + to, b[1],
                b[3], b[22], b[23], len, forged ? " (forged)" : "");

    X.in_input = 1;
    int rc = sami_xfer_engine_input(X.eng[to], X.now, X.peer[to], b, len);
    X.in_input = 0;
    FUZZ_CHECK(rc <= 0);
    if (forged)
        FUZZ_CHECK(rc < 0); /* no key, no entry */
    /* An acknowledgement can leave the retransmission timer of the next
     * unacknowledged unit already due (it follows that unit's send time):
     * the host loop runs the engine at once then (samid's does), and that
     * must clear it. */
    if (sami_xfer_engine_next_deadline(X.eng[to]) <= X.now) {
        sami_xfer_engine_run(X.eng[to], X.now);
        FUZZ_CHECK(sami_xfer_engine_next_deadline(X.eng[to]) > X.now);
    }
}

static void take(size_t i, struct qmsg *out)
{
    *out = X.q[i];
    memmove(&X.q[i], &X.q[i + 1], (X.nq - i - 1) * sizeof X.q[0]);
    X.nq--;
}

static void op_msg(struct fz_in *in, uint8_t op)
{
    if (X.nq == 0)
        return;
    uint8_t sel = fz_u8(in);
    /* mostly the oldest (in order), else any (reordered) */
    size_t i = (sel & 3) ? 0 : (size_t)(sel >> 2) % X.nq;
    struct qmsg m;
    switch ((op >> 4) % 6) {
    case 0: /* deliver */
    case 1:
        take(i, &m);
        deliver(m.to, m.b, m.len, 0);
        free(m.b);
        break;
    case 2: /* drop */
        take(i, &m);
        free(m.b);
        break;
    case 3: { /* duplicate: a copy now, the original stays queued */
        uint8_t *c = malloc(X.q[i].len);
        FUZZ_CHECK(c != NULL);
        memcpy(c, X.q[i].b, X.q[i].len);
        deliver(X.q[i].to, c, X.q[i].len, 0);
        free(c);
        break;
    }
    case 4: { /* mutate and deliver unsigned: a forgery */
        take(i, &m);
        size_t pos = fz_u16(in) % m.len;
        uint8_t x = fz_u8(in);
        if (x == 0)
            x = 0x80;
        m.b[pos] ^= x;
        int cut = fz_u8(in) & 1;
        deliver(m.to, m.b, cut ? pos : m.len, 1);
        free(m.b);
        break;
    }
    default: { /* mutate and re-seal under the same sequence */
        struct sami_xfer_msg d;
        take(i, &m);
        if (sami_xfer_decode(m.b, m.len, &d, NULL) == 0) {
            uint64_t seq = d.seq;
            size_t pos = fz_u16(in) % m.len;
            m.b[pos] ^= fz_u8(in);
            if (sami_xfer_seal(m.b, m.len, fz_test_key(), seq, sami_hmac_default()) == 0) {
                X.tainted[m.to] = 1;
                deliver(m.to, m.b, m.len, 0);
            }
        }
        free(m.b);
        break;
    }
    }
}

static void op_inject(struct fz_in *in, uint8_t op)
{
    uint8_t buf[1024];
    size_t got = 0;
    int to = (op >> 4) & 1;
    const uint8_t *p = fz_view(in, fz_u16(in) % sizeof buf, &got);
    memcpy(buf, p, got);
    if (op & 0x20) {
        /* sealed: a header naming the other bridge, the input's body */
        if (got < SAMI_XFER_OVERHEAD)
            return;
        size_t body = got - SAMI_XFER_OVERHEAD;
        buf[0] = SAMI_XFER_VERSION;
        buf[1] = (uint8_t)(1 + buf[1] % SAMI_XFER_TYPE_MAX);
        buf[4] = (uint8_t)(body >> 8);
        buf[5] = (uint8_t)body;
        buf[6] = (uint8_t)(X.id[1 - to].priority >> 8);
        buf[7] = (uint8_t)X.id[1 - to].priority;
        memcpy(buf + 8, X.id[1 - to].mac, 6);
        if (fz_u8(in) & 1) { /* one of our migrations */
            uint64_t mig = mig_of(fz_u8(in) % NVM);
            for (int j = 0; j < 8; j++)
                buf[16 + j] = (uint8_t)(mig >> (56 - 8 * j));
        }
        if (sami_xfer_seal(buf, got, fz_test_key(), X.forge_seq++, sami_hmac_default()) != 0)
            return;
        X.tainted[to] = 1;
        deliver(to, buf, got, 0);
    } else {
        deliver(to, buf, got, 1);
    }
}

static sami_usec_t dl(struct fz_in *in)
{
    uint8_t d = fz_u8(in);
    if (d == 0)
        return SAMI_NO_DEADLINE;
    return X.now + (DEADLINE_MAX * d) / 255;
}

static void op_host(struct fz_in *in, uint8_t op)
{
    uint8_t a = fz_u8(in);
    int k = a % NVM;
    uint64_t mig = mig_of(k);
    int rc = 0;
    if (fz_verbose())
        fprintf(stderr, "host op %u vm %d\n", (op >> 4) % 9, k);
    switch ((op >> 4) % 9) {
    case 0: {
        uint32_t want = (a & 2) ? fz_u32(in) : 0;
        rc = sami_xfer_engine_precopy(X.eng[0], X.now, X.peer[0], mig, &X.vm[k], want, dl(in));
        /* as the engine reads it: known types only; none of them = all
         * (lib/xfer_engine.c want_of) */
        want &= SAMI_DI_ALL_TYPES;
        if (rc == 0)
            X.want[k] = want ? want : SAMI_DI_ALL_TYPES;
        break;
    }
    case 1: {
        uint32_t want = (a & 8) ? fz_u32(in) : 0;
        int fresh = sami_xfer_engine_state(X.eng[1], mig, SAMI_XFER_ROLE_DEST) == SAMI_XFER_MS_NONE;
        rc = sami_xfer_engine_expect(X.eng[1], X.now, mig, &X.vm[(a & 2) ? 1 - k : k],
                                     (a & 4) ? X.peer[1] : -1, want, dl(in));
        /* a new destination migration moves these types (an existing one
         * keeps its own) */
        if (rc == 0 && fresh)
            X.bwant[k] = (want & SAMI_DI_ALL_TYPES) ? want & SAMI_DI_ALL_TYPES : SAMI_DI_ALL_TYPES;
        break;
    }
    case 2: {
        /* SUSPENDED: freeze, then the snapshot B must end up with exactly */
        rc = sami_store_freeze(&X.st[0], mig);
        if (rc != 0) {
            if (fz_verbose())
                fprintf(stderr, "  freeze %d\n", rc);
            rc = 0; /* no source migration to freeze: nothing to commit */
            break;
        }
        sami_usec_t d = dl(in);
        get_set(0, k, &R.tmp);
        /* only the DI types the pre-copy asked for travel (the others stay
         * at A until its purge) */
        size_t w = 0;
        for (size_t i = 0; i < R.tmp.n; i++)
            if (X.want[k] & (1u << (R.tmp.e[i][0] & 31)))
                memmove(R.tmp.e[w++], R.tmp.e[i], ENC_MAX);
        R.tmp.n = w;
        rc = sami_xfer_engine_commit(X.eng[0], X.now, mig, d);
        if (rc == 0) {
            if (X.nsnap[k] == SNAPMAX) {
                X.snaps_full[k] = 1;
            } else {
                size_t i = X.nsnap[k]++, from;
                R.snaps[k][i] = R.tmp;
                for (int j = 0; j < 2; j++)
                    R.snap_n[k][i][j] = (uint32_t)slice_of(&R.tmp, FZ_TYPE[j], &from);
            }
        }
        break;
    }
    case 3:
        rc = sami_xfer_engine_activate(X.eng[1], X.now, mig);
        if (rc == 0)
            X.b_activated[k] = 1;
        break;
    case 4:
        rc = sami_xfer_engine_abort(X.eng[(a >> 2) & 1], X.now, mig, fz_u8(in) % 10);
        break;
    case 5:
        rc = sami_xfer_engine_forget(X.eng[(a >> 2) & 1], mig,
                                     (a >> 2) & 1 ? SAMI_XFER_ROLE_DEST : SAMI_XFER_ROLE_SOURCE);
        break;
    case 6:
        if (a & 0x80) { /* the host's connection came up: HELLO now */
            int n = (a >> 2) & 1;
            rc = sami_xfer_engine_hello(X.eng[n], X.now, X.peer[n]);
            FUZZ_CHECK(rc == 0);
            break;
        }
        rc = sami_xfer_engine_set_deadline(X.eng[(a >> 2) & 1], mig,
                                           (a >> 2) & 1 ? SAMI_XFER_ROLE_DEST
                                                        : SAMI_XFER_ROLE_SOURCE,
                                           dl(in));
        break;
    case 7: { /* A's learner: a new or changed record */
        if (X.a_activated[k])
            break;
        unsigned i = fz_u8(in) % NREC;
        uint8_t v = fz_u8(in);
        struct sami_di_record r = mk_rec(i, v);
        if (sami_store_put(&X.st[0], &X.vm[k], &r, X.now) == 0)
            SHADOW[k][i] = v;
        break;
    }
    default: { /* A's learner: a record gone */
        if (X.a_activated[k])
            break;
        unsigned i = fz_u8(in) % NREC;
        struct sami_di_record r = mk_rec(i, 0);
        if (sami_store_del(&X.st[0], &X.vm[k], &r) == 0)
            SHADOW[k][i] = -1;
        break;
    }
    }
    if (fz_verbose())
        fprintf(stderr, "  -> %d\n", rc);
    FUZZ_CHECK(rc <= 0);
}

static void advance(sami_usec_t to)
{
    if (to < X.now)
        to = X.now;
    X.now = to;
    for (int n = 0; n < 2; n++)
        sami_xfer_engine_run(X.eng[n], X.now);
    /* a timer of one engine may not be due until the other ran: run both
     * until neither has anything due now */
    for (int pass = 0; pass < 4; pass++) {
        int due = 0;
        for (int n = 0; n < 2; n++)
            if (sami_xfer_engine_next_deadline(X.eng[n]) <= X.now) {
                sami_xfer_engine_run(X.eng[n], X.now);
                due = 1;
            }
        if (!due)
            break;
    }
    for (int n = 0; n < 2; n++) {
        sami_usec_t d = sami_xfer_engine_next_deadline(X.eng[n]);
        FUZZ_CHECK(d == SAMI_NO_DEADLINE || d > X.now);
    }
}

static void setup(struct fz_in *in)
{
    uint8_t o0 = fz_u8(in), o1 = fz_u8(in), o2 = fz_u8(in), o3 = fz_u8(in);
    struct sami_xfer_engine_cfg c;
    memset(&c, 0, sizeof c);
    c.rto = SAMI_MSEC(1 + (o0 & 63));
    c.retries = 1 + ((o0 >> 6) | ((o1 & 1) << 2));
    c.window = 1 + ((o1 >> 1) & 3);
    c.limits.max_batch_records = 1 + ((o1 >> 3) & 15);
    c.limits.max_records_per_migration = (o2 & 0x80) ? 8 + (o2 & 63) : 0;
    c.limits.max_records_total = (o3 & 0x80) ? 16 + (o3 & 127) : 0;
    c.limits.max_migrations = 1 + (o2 & 1) * 3;
    c.limits.max_msg = (o3 & 1) ? 2048 : 0;
    c.tx_key_id = FZ_TEST_KEY_ID;
    fz_test_keyring(&c.keyring);
    c.alloc = (struct sami_allocator){x_alloc, x_free, NULL};
    c.tx = on_tx;
    c.event = on_event;
    X.max_total = c.limits.max_records_total ? c.limits.max_records_total : 1000000;
    X.max_migs = c.limits.max_migrations;
    /* resolve (how long an activated destination resends ACTIVATE and an
     * unanswered committed source waits for it) kept short, so runs reach
     * its end */
    c.resolve = 64 * c.rto;
    /* longest single timer: the last doubling of rto, the backoff cap, the
     * ACTIVATE resend cap and resolve (64 x rto), the linger (derived), the
     * caller's deadlines */
    sami_usec_t linger = c.rto * 2 * (c.retries + 2);
    X.bound = 64 * c.rto + linger + DEADLINE_MAX;
    for (int n = 0; n < 2; n++) {
        struct sami_memstore_config mc;
        memset(&mc, 0, sizeof mc);
        mc.alloc = c.alloc;
        FUZZ_CHECK(sami_memstore_create(&mc, &X.ms[n]) == 0);
        X.st[n] = sami_memstore_store(X.ms[n]);
        X.id[n].priority = 0x8000;
        X.id[n].mac[0] = 0x02;
        X.id[n].mac[5] = (uint8_t)(n + 1);
    }
    for (int n = 0; n < 2; n++) {
        c.local = X.id[n];
        c.name = n ? "fuzz-b" : "fuzz-a";
        c.store = X.st[n];
        c.ctx = (void *)(intptr_t)n;
        c.seq_start = 1;
        FUZZ_CHECK(sami_xfer_engine_create(&c, &X.eng[n]) == 0);
    }
    for (int n = 0; n < 2; n++) {
        X.peer[n] = sami_xfer_engine_add_peer(X.eng[n], &X.id[1 - n], SAMI_XFER_BIND_STREAM,
                                              (void *)(intptr_t)(1 - n), -1);
        FUZZ_CHECK(X.peer[n] >= 0);
    }
    for (int k = 0; k < NVM; k++) {
        memset(&X.vm[k], 0, sizeof X.vm[k]);
        X.vm[k].type_id = 1;
        X.vm[k].type_version = 1;
        X.vm[k].id_format = 5;
        X.vm[k].id[0] = 0x6b;
        X.vm[k].id[15] = (uint8_t)k;
        /* initial records: a bitmap of 16 */
        uint16_t bits = fz_u16(in);
        for (unsigned i = 0; i < 16; i++) {
            if (!(bits & (1u << i)))
                continue;
            struct sami_di_record r = mk_rec(i * 3, 0);
            FUZZ_CHECK(sami_store_put(&X.st[0], &X.vm[k], &r, X.now) == 0);
            SHADOW[k][i * 3] = 0;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int have_hmac = -1;
    struct fz_in in = {data, size};
    if (have_hmac < 0)
        have_hmac = sami_hmac_default() != NULL;
    if (!have_hmac)
        return 0; /* nothing verifies without an HMAC provider */

    memset(&X, 0, sizeof X);
    memset(SHADOW, 0xff, sizeof SHADOW);
    X.now = SAMI_SEC(100);
    X.forge_seq = 1ull << 40;
    setup(&in);
    check_state(1);

    for (unsigned steps = 0; in.n > 0 && steps < 256; steps++) {
        uint8_t op = fz_u8(&in);
        switch (op % 8) {
        case 0:
        case 1:
        case 2:
            op_msg(&in, op);
            break;
        case 3:
            op_inject(&in, op);
            break;
        case 4:
        case 5:
            op_host(&in, op);
            break;
        case 6:
            if (op & 0x80) {
                sami_usec_t d = SAMI_NO_DEADLINE;
                for (int n = 0; n < 2; n++) {
                    sami_usec_t x = sami_xfer_engine_next_deadline(X.eng[n]);
                    if (x < d)
                        d = x;
                }
                if (d != SAMI_NO_DEADLINE)
                    advance(d);
            } else {
                advance(X.now + ((sami_usec_t)fz_u16(&in) << ((op >> 4) & 7)));
            }
            break;
        default:
            advance(X.now + fz_u32(&in));
            break;
        }
        check_state(X.want_full);
    }
    check_state(1);
    if (fz_verbose()) {
        for (int n = 0; n < 2; n++) {
            const struct sami_xfer_engine_counters *c = sami_xfer_engine_counters(X.eng[n]);
            fprintf(stderr,
                    "%c: rx %llu ok %llu bad_auth %llu tx %llu rtx %llu installs %llu "
                    "records_rx %llu unsolicited %llu\n",
                    'A' + n, (unsigned long long)c->rx_msgs, (unsigned long long)c->rx_ok,
                    (unsigned long long)c->bad_auth, (unsigned long long)c->tx_msgs,
                    (unsigned long long)c->retransmits, (unsigned long long)c->installs,
                    (unsigned long long)c->records_rx, (unsigned long long)c->unsolicited);
        }
        for (int k = 0; k < NVM; k++)
            fprintf(stderr, "vm %d: snapshots %zu installed %d activated B %d A %d\n", k,
                    X.nsnap[k], X.b_installed[k], X.b_activated[k], X.a_activated[k]);
    }

    for (size_t i = 0; i < X.nq; i++)
        free(X.q[i].b);
    for (int n = 0; n < 2; n++) {
        sami_xfer_engine_destroy(X.eng[n]);
        sami_memstore_destroy(X.ms[n]);
    }
    return 0;
}
