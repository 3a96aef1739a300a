/* Reference in-memory DI store (docs/STORE.md).
 *
 * Layout, chosen for memory per record (the goal is <= 128 octets):
 * - An entry is a 36-octet header (links as 32-bit indices, a 48-bit
 *   generation, the time of the put) followed by the record's DI wire
 *   encoding minus its version and op octets. Entries live in fixed slots
 *   of nine size classes (52..128 octets), carved from 8 KiB chunks; an
 *   entry index is chunk number << 8 | slot.
 * - An entry never moves: if a later value outgrows its slot, the encoding
 *   goes to a separate allocation and the slot keeps a pointer to it.
 * - Every entry belongs to one "set": a VM's records (live records and
 *   tombstones), or one migration's staging area (staged records, or after
 *   commit the records the commit replaced). One hash table indexes all
 *   entries by (VM, type, key): a staging area hashes as its VM, so the
 *   commit and the discard move entries between a VM and its migration
 *   without re-hashing them. Keys are read from the stored octets
 *   (sami_store_value_key), never by decoding a record.
 * - Times: an entry keeps the record as given plus the `now` of its put (the
 *   anchor); reading it out rebases by now - anchor. The expiry heap orders
 *   entries by anchor + their expiring timer, read straight from the
 *   encoding at a fixed per-type offset (checked at create).
 */
#include "sami/memstore.h"

#include <stddef.h>
#include <string.h>

#define NIL UINT32_MAX
#define NCLS 9
#define CHUNK_BYTES 8176u /* + a 16-octet allocator header = 8 KiB */
#define CHUNK_HDR 24u
#define SLOT_BITS 8u
#define SLOT_MASK 0xffu
#define MAX_CHUNKS ((UINT32_C(1) << (32 - SLOT_BITS)) - 2) /* keeps NIL out of reach */
#define GEN_MAX ((UINT64_C(1) << 48) - 1)
#define INLINE_MAX 92u
#define NO_TIME UINT64_MAX

/* A hint only: memory about to be read (no effect where unsupported). */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* ---- entries ---- */

struct ent {
    uint32_t hnext;      /* hash chain; in a free slot: next free slot */
    uint32_t prev, next; /* the set's list */
    uint32_t set;        /* owning set id */
    uint32_t heap;       /* position in the expiry heap, NIL if not there */
    uint32_t anchor_lo, anchor_hi; /* `now` of the put, microseconds */
    uint32_t gen_lo;
    uint16_t gen_hi;
    uint8_t tf;  /* DI type (low 4 bits) | EF_* */
    uint8_t len; /* encoding length when inline */
    uint8_t data[]; /* encoding, or (EF_EXT) pointer + u16 length */
};

_Static_assert(sizeof(struct ent) == 36, "entry header must stay 36 octets");

#define EF_TYPE 0x0f
#define EF_TOMB 0x10    /* deleted, remembered for a source migration's delta */
#define EF_FRESH 0x20   /* added after the VM's last export: no peer can hold it */
#define EF_PENDING 0x40 /* installed by a commit not yet activated */
#define EF_EXT 0x80     /* encoding in a separate allocation */

/* Slot sizes; stored values up to size - 36 fit inline. A stored value is
 * the wire encoding without its version and op octets (the version is the
 * type's current one, the op always UPSERT), with IPv4-mapped and all-zero
 * addresses cut (see pack_value). Chosen to fit the common values tightly:
 * DHCP 16, IGMP v4 13..17, ND 29, DHCPv6 32, firewall v4 31, counters 38,
 * IGMP v6 25..41, ACL v4 43, firewall v4 + NAT 43, firewall v6 55, ACL v6
 * 67, firewall v6 + NAT 91, 802.1X 21 + its strings. */
static const uint16_t cls_size[NCLS] = {52, 60, 68, 76, 80, 92, 104, 116, 128};
#define VAL_SKIP 2 /* version and op: not stored */

struct chunk {
    uint32_t free_head;    /* first free slot (slots below bump only), NIL if none */
    uint32_t pnext, pprev; /* the class's list of chunks with room */
    uint16_t used, bump, nslots;
    uint8_t cls, on_partial;
    uint32_t reserved;
};

_Static_assert(sizeof(struct chunk) <= CHUNK_HDR, "chunk header");

/* Offset of the expiring timer in each type's stored value (the encoding
 * after version and op); NO_EXP = none. Verified against sami_di_write()
 * by check_layout(). */
#define NO_EXP 0xff
static const uint8_t exp_off[SAMI_DI_TYPE_MAX + 1] = {
    NO_EXP, /* - */
    12,     /* DHCP: ipv4 mac vlan | lease */
    24,     /* DHCPv6: ipv6 mac vlan | lease */
    24,     /* ND: ipv6 mac vlan | lifetime */
    10,     /* 802.1X: mac authorized eap vlan | session */
    62,     /* ACL: ... rate | lifetime */
    36,     /* IGMP: family mode vlan group source | timer */
    NO_EXP, /* counters: no expiry */
    50,     /* firewall: ... created last-heard | expiry */
};

/* Offsets of the addr16 fields in each type's value (ascending; NO_EXP
 * ends the list). An IPv4-mapped one (::ffff:a.b.c.d) is stored as its 4
 * last octets, an all-zero one ("any") as nothing: IPv4 is the common case,
 * and 12 octets of prefix each would cost a firewall-with-NAT record a size
 * class. Verified by check_layout(). */
#define MAX_ADDRS 4
static const uint8_t addr_off[SAMI_DI_TYPE_MAX + 1][MAX_ADDRS] = {
    [0] = {NO_EXP},
    [SAMI_DI_DHCP] = {NO_EXP},
    [SAMI_DI_DHCPV6] = {NO_EXP},
    [SAMI_DI_ND] = {NO_EXP},
    [SAMI_DI_DOT1X] = {NO_EXP},
    [SAMI_DI_ACL] = {10, 26, NO_EXP},          /* src, dst */
    [SAMI_DI_IGMP] = {4, 20, NO_EXP},          /* group, source */
    [SAMI_DI_COUNTERS] = {NO_EXP},
    [SAMI_DI_FIREWALL] = {6, 22, 54, 70},     /* src, dst, NAT src, NAT dst */
};

/* Current record version per type (checked against lib/di at create):
 * read for every entry turned back into a value. */
static const uint8_t cur_version[SAMI_DI_TYPE_MAX + 1] = {
    0,
    SAMI_DI_DHCP_VERSION,
    SAMI_DI_DHCPV6_VERSION,
    SAMI_DI_ND_VERSION,
    SAMI_DI_DOT1X_VERSION,
    SAMI_DI_ACL_VERSION,
    SAMI_DI_IGMP_VERSION,
    SAMI_DI_COUNTERS_VERSION,
    SAMI_DI_FIREWALL_VERSION,
};

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* How address i is stored: 2 bits of the mask octet. */
enum { A_FULL = 0, A_V4 = 1, A_ZERO = 2 };
static const uint8_t a_size[4] = {16, 4, 0, 16};

static unsigned a_code(uint8_t mask, unsigned i)
{
    return (mask >> (2 * i)) & 3u;
}

/* Value (wire encoding after version and op) -> stored form: for types with
 * addresses, a mask octet (2 bits per address: A_*) and the value with the
 * addresses cut. out holds SAMI_DI_MAX_LEN + 1. */
static size_t pack_value(unsigned type, const uint8_t *v, size_t n, uint8_t *out)
{
    if (addr_off[type][0] == NO_EXP) {
        memcpy(out, v, n);
        return n;
    }
    static const uint8_t zero[16];
    size_t o = 1, pos = 0;
    uint8_t mask = 0;
    for (unsigned i = 0; i < MAX_ADDRS && addr_off[type][i] != NO_EXP; i++) {
        size_t off = addr_off[type][i];
        if (off + 16 > n)
            break; /* absent (firewall without NAT) */
        memcpy(out + o, v + pos, off - pos);
        o += off - pos;
        if (memcmp(v + off, zero, 16) == 0) {
            mask |= (uint8_t)(A_ZERO << (2 * i));
        } else if (memcmp(v + off, v4mapped, sizeof v4mapped) == 0) {
            mask |= (uint8_t)(A_V4 << (2 * i));
            memcpy(out + o, v + off + 12, 4);
            o += 4;
        } else {
            memcpy(out + o, v + off, 16);
            o += 16;
        }
        pos = off + 16;
    }
    memcpy(out + o, v + pos, n - pos);
    o += n - pos;
    out[0] = mask;
    return o;
}

/* Stored form -> value; 0 if p is not a stored form of this type. out holds
 * SAMI_DI_MAX_LEN. */
static size_t unpack_value(unsigned type, const uint8_t *p, size_t pn, uint8_t *out)
{
    if (addr_off[type][0] == NO_EXP) {
        if (pn > SAMI_DI_MAX_LEN)
            return 0;
        memcpy(out, p, pn);
        return pn;
    }
    if (pn < 1)
        return 0;
    uint8_t mask = p[0];
    size_t ip = 1, o = 0;
    for (unsigned i = 0; i < MAX_ADDRS && addr_off[type][i] != NO_EXP; i++) {
        unsigned code = a_code(mask, i);
        size_t gap = addr_off[type][i] - o, sz = a_size[code];
        /* absent (firewall without NAT): pack_value left its code A_FULL,
         * and 16 octets past the end are not there */
        if (pn - ip < gap + sz)
            break;
        memcpy(out + o, p + ip, gap);
        o += gap;
        ip += gap;
        if (code == A_V4) {
            memcpy(out + o, v4mapped, sizeof v4mapped);
            memcpy(out + o + 12, p + ip, 4);
        } else if (code == A_ZERO) {
            memset(out + o, 0, 16);
        } else {
            memcpy(out + o, p + ip, 16);
        }
        o += 16;
        ip += sz;
    }
    if (o + (pn - ip) > SAMI_DI_MAX_LEN)
        return 0;
    memcpy(out + o, p + ip, pn - ip);
    return o + (pn - ip);
}

/* Offset of the expiring timer in a stored form, given its mask octet. */
static size_t packed_exp_off(unsigned type, uint8_t mask)
{
    size_t off = exp_off[type];
    if (addr_off[type][0] == NO_EXP)
        return off;
    size_t cut = 0;
    for (unsigned i = 0; i < MAX_ADDRS && addr_off[type][i] != NO_EXP; i++)
        if (addr_off[type][i] < exp_off[type])
            cut += 16u - a_size[a_code(mask, i)];
    return 1 + off - cut;
}

/* ---- sets, VMs, migrations ---- */

enum { SET_VM = 1, SET_MIG = 2 };

struct mset {
    uint32_t id;
    uint32_t hid;  /* hash id: the VM's set id (a migration hashes as its VM) */
    uint32_t head; /* first entry, NIL if empty */
    uint32_t n;    /* entries in the list */
    uint8_t kind;
};

struct mmig;

struct mvm {
    struct mvm *hnext;
    struct mset set; /* live records and tombstones */
    struct sami_vm_id id;
    uint64_t gen;     /* generation of the last change */
    uint64_t horizon; /* tombstones are complete after this generation */
    uint32_t nsource; /* source migrations tracking the VM */
    uint32_t nfrozen; /* of which froze it */
    uint32_t ntomb;
    uint32_t counts[SAMI_STORE_COUNTS]; /* live records; [0] = total */
    struct mmig *dest; /* staging or pending migration */
};

struct mmig {
    struct mmig *hnext;
    struct mset set; /* destination: staged records, then the replaced ones */
    uint64_t id;
    struct mvm *vm;
    uint8_t is_dest;
    uint8_t frozen;  /* source: this migration froze the VM */
    uint8_t pending; /* destination: committed */
    int poison;      /* destination: error that made the staged set incomplete */
    uint32_t max_records;
    uint32_t replace_types; /* destination: types the commit carries in full */
};

struct sami_memstore {
    struct sami_allocator a;
    uint32_t max_records;
    int fixed_index; /* hash table and heap sized once at create */
    size_t bytes, peak;

    struct chunk **chunks;
    uint8_t *chunk_cls; /* each chunk's size class, beside the table: finding an
                           entry must not touch its chunk's header (a cache miss) */
    uint32_t chunk_cap, nchunks, chunk_hint;
    uint32_t partial[NCLS];

    uint32_t *buckets;
    uint32_t nbuckets; /* power of two */
    uint32_t nents;    /* slots in use: live + tombstones + staged + saved */

    uint32_t *heap;
    uint32_t nheap, heap_cap; /* heap_cap >= nents, so re-adding never allocates */

    struct mset **sets;
    uint32_t set_cap, set_hint;

    struct mvm **vmb;
    uint32_t nvmb, nvms;
    struct mmig **migb;
    uint32_t nmigb, nmigs;

    uint64_t gen;
    uint32_t nlive, ntomb, nstaged, nsaved;
};

/* ---- memory ---- */

static void *m_alloc(struct sami_memstore *ms, size_t n)
{
    void *p = ms->a.alloc(ms->a.ctx, n);
    if (p) {
        ms->bytes += n;
        if (ms->bytes > ms->peak)
            ms->peak = ms->bytes;
    }
    return p;
}

static void m_free(struct sami_memstore *ms, void *p, size_t n)
{
    if (p) {
        ms->a.free(ms->a.ctx, p);
        ms->bytes -= n;
    }
}

/* ---- small helpers ---- */

static uint64_t ent_gen(const struct ent *e)
{
    return (uint64_t)e->gen_hi << 32 | e->gen_lo;
}

static void ent_set_gen(struct ent *e, uint64_t g)
{
    e->gen_lo = (uint32_t)g;
    e->gen_hi = (uint16_t)(g >> 32);
}

static sami_usec_t ent_anchor(const struct ent *e)
{
    return (sami_usec_t)e->anchor_hi << 32 | e->anchor_lo;
}

static void ent_set_anchor(struct ent *e, sami_usec_t t)
{
    e->anchor_lo = (uint32_t)t;
    e->anchor_hi = (uint32_t)(t >> 32);
}

static uint64_t gen_bump(struct sami_memstore *ms)
{
    if (ms->gen < GEN_MAX) /* 2^48 changes: centuries at any real rate */
        ms->gen++;
    return ms->gen;
}

static struct mvm *set_vm(struct mset *s)
{
    return (struct mvm *)(void *)((char *)s - offsetof(struct mvm, set));
}

static int vm_held(const struct mvm *vm)
{
    return vm->nfrozen > 0 || (vm->dest && vm->dest->pending);
}

/* ---- chunks and slots ---- */

static struct ent *E(const struct sami_memstore *ms, uint32_t idx)
{
    uint32_t cn = idx >> SLOT_BITS;
    return (struct ent *)(void *)((unsigned char *)ms->chunks[cn] + CHUNK_HDR +
                                  (size_t)(idx & SLOT_MASK) * cls_size[ms->chunk_cls[cn]]);
}

/* Walks along a set's list chase one pointer per entry: fetching the next
 * entry while this one is worked on overlaps the cache misses a little. */
static void prefetch_ent(const struct sami_memstore *ms, uint32_t idx)
{
    if (idx != NIL)
        PREFETCH(E(ms, idx));
}

static size_t ent_cap(const struct sami_memstore *ms, uint32_t idx)
{
    return (size_t)cls_size[ms->chunk_cls[idx >> SLOT_BITS]] - sizeof(struct ent);
}

static void partial_push(struct sami_memstore *ms, uint32_t cn)
{
    struct chunk *c = ms->chunks[cn];
    c->pprev = NIL;
    c->pnext = ms->partial[c->cls];
    if (c->pnext != NIL)
        ms->chunks[c->pnext]->pprev = cn;
    ms->partial[c->cls] = cn;
    c->on_partial = 1;
}

static void partial_remove(struct sami_memstore *ms, uint32_t cn)
{
    struct chunk *c = ms->chunks[cn];
    if (c->pprev != NIL)
        ms->chunks[c->pprev]->pnext = c->pnext;
    else
        ms->partial[c->cls] = c->pnext;
    if (c->pnext != NIL)
        ms->chunks[c->pnext]->pprev = c->pprev;
    c->on_partial = 0;
}

static int chunk_table_grow(struct sami_memstore *ms)
{
    uint32_t ncap = ms->chunk_cap ? ms->chunk_cap * 2 : 64;
    if (ncap > MAX_CHUNKS)
        ncap = MAX_CHUNKS;
    if (ncap <= ms->chunk_cap)
        return SAMI_ERR_LIMIT;
    struct chunk **n = m_alloc(ms, (size_t)ncap * sizeof *n);
    if (!n)
        return SAMI_ERR_NOMEM;
    uint8_t *nc = m_alloc(ms, ncap);
    if (!nc) {
        m_free(ms, n, (size_t)ncap * sizeof *n);
        return SAMI_ERR_NOMEM;
    }
    for (uint32_t i = 0; i < ncap; i++) {
        n[i] = i < ms->chunk_cap ? ms->chunks[i] : NULL;
        nc[i] = i < ms->chunk_cap ? ms->chunk_cls[i] : 0;
    }
    m_free(ms, ms->chunks, (size_t)ms->chunk_cap * sizeof *ms->chunks);
    m_free(ms, ms->chunk_cls, ms->chunk_cap);
    ms->chunks = n;
    ms->chunk_cls = nc;
    ms->chunk_cap = ncap;
    return 0;
}

static uint32_t slot_alloc(struct sami_memstore *ms, unsigned cls)
{
    uint32_t cn = ms->partial[cls];
    if (cn == NIL) {
        if (ms->nchunks == ms->chunk_cap && chunk_table_grow(ms) != 0)
            return NIL;
        cn = ms->chunk_hint;
        while (cn < ms->chunk_cap && ms->chunks[cn])
            cn++;
        if (cn >= ms->chunk_cap) {
            for (cn = 0; ms->chunks[cn]; cn++)
                ;
        }
        struct chunk *c = m_alloc(ms, CHUNK_BYTES);
        if (!c)
            return NIL;
        memset(c, 0, CHUNK_HDR);
        c->free_head = NIL;
        c->cls = (uint8_t)cls;
        c->nslots = (uint16_t)((CHUNK_BYTES - CHUNK_HDR) / cls_size[cls]);
        ms->chunks[cn] = c;
        ms->chunk_cls[cn] = (uint8_t)cls;
        ms->nchunks++;
        ms->chunk_hint = cn + 1;
        partial_push(ms, cn);
    }
    struct chunk *c = ms->chunks[cn];
    uint32_t slot;
    if (c->free_head != NIL) {
        slot = c->free_head;
        c->free_head = E(ms, cn << SLOT_BITS | slot)->hnext;
    } else {
        slot = c->bump++;
    }
    c->used++;
    if (c->free_head == NIL && c->bump == c->nslots)
        partial_remove(ms, cn);
    return cn << SLOT_BITS | slot;
}

static void slot_free(struct sami_memstore *ms, uint32_t idx)
{
    uint32_t cn = idx >> SLOT_BITS;
    struct chunk *c = ms->chunks[cn];
    E(ms, idx)->tf = 0; /* type 0: a free slot (h_rehash skips it) */
    E(ms, idx)->hnext = c->free_head;
    c->free_head = idx & SLOT_MASK;
    c->used--;
    if (!c->on_partial)
        partial_push(ms, cn);
    /* An empty chunk goes back to the allocator unless it is its class's
     * only chunk with room, so one record put and deleted repeatedly does
     * not allocate 8 KiB each time. */
    if (c->used == 0 && (c->pnext != NIL || c->pprev != NIL)) {
        partial_remove(ms, cn);
        m_free(ms, c, CHUNK_BYTES);
        ms->chunks[cn] = NULL;
        ms->nchunks--;
        if (cn < ms->chunk_hint)
            ms->chunk_hint = cn;
    }
}

/* ---- entry values ---- */

static const uint8_t *ent_bytes(const struct ent *e, size_t *len)
{
    if (e->tf & EF_EXT) {
        const uint8_t *p;
        uint16_t n;
        memcpy(&p, e->data, sizeof p);
        memcpy(&n, e->data + sizeof p, sizeof n);
        *len = n;
        return p;
    }
    *len = e->len;
    return e->data;
}

static void ent_free_ext(struct sami_memstore *ms, struct ent *e)
{
    if (e->tf & EF_EXT) {
        size_t n;
        const uint8_t *p = ent_bytes(e, &n);
        m_free(ms, (void *)(uintptr_t)p, n);
        e->tf &= (uint8_t)~EF_EXT;
    }
}

/* Stores encoding enc[0..n) as the entry's value. Fails (SAMI_ERR_NOMEM)
 * only when it needs a new external buffer, leaving the entry unchanged. */
static int ent_store(struct sami_memstore *ms, uint32_t idx, const uint8_t *enc, size_t n)
{
    struct ent *e = E(ms, idx);
    if (n <= ent_cap(ms, idx)) {
        ent_free_ext(ms, e);
        memcpy(e->data, enc, n);
        e->len = (uint8_t)n;
        return 0;
    }
    size_t old;
    const uint8_t *op = ent_bytes(e, &old);
    if ((e->tf & EF_EXT) && old == n) {
        memcpy((void *)(uintptr_t)op, enc, n);
        return 0;
    }
    uint8_t *p = m_alloc(ms, n);
    if (!p)
        return SAMI_ERR_NOMEM;
    memcpy(p, enc, n);
    ent_free_ext(ms, e);
    uint16_t n16 = (uint16_t)n;
    memcpy(e->data, &p, sizeof p);
    memcpy(e->data + sizeof p, &n16, sizeof n16);
    e->tf |= EF_EXT;
    e->len = 0;
    return 0;
}

#define VAL_BUF (VAL_SKIP + SAMI_DI_MAX_LEN)

/* The entry as its element value (version, op UPSERT, fields) in
 * out[VAL_BUF]: its length, 0 if the stored form is broken. */
static size_t ent_value(const struct ent *e, uint8_t *out)
{
    size_t n;
    const uint8_t *b = ent_bytes(e, &n);
    unsigned type = e->tf & EF_TYPE;
    size_t vn = type >= 1 && type <= SAMI_DI_TYPE_MAX ? unpack_value(type, b, n, out + VAL_SKIP)
                                                      : 0;
    if (!vn)
        return 0;
    out[0] = cur_version[type];
    out[1] = SAMI_DI_OP_UPSERT;
    return vn + VAL_SKIP;
}

static int ent_decode(const struct ent *e, struct sami_di_record *rec)
{
    uint8_t buf[VAL_BUF];
    size_t n = ent_value(e, buf);
    if (!n)
        return SAMI_ERR_LENGTH;
    return sami_di_decode((uint8_t)(e->tf & EF_TYPE), buf, n, rec, NULL);
}

/* A record's key octets (sami_store_value_key) and their hash for the
 * table. The hash is the store's own: 8 octets per step, not FNV's one. */
struct mkey {
    uint64_t h;
    size_t n;
    uint8_t b[SAMI_STORE_KEY_MAX];
};

static uint64_t key_mix(const uint8_t *k, size_t n)
{
    uint64_t h = (uint64_t)n * UINT64_C(0x9e3779b97f4a7c15);
    for (; n >= 8; k += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, k, 8);
        h = (h ^ w) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 29;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w = w << 8 | k[i];
    h = (h ^ w) * UINT64_C(0x94d049bb133111eb);
    return h ^ (h >> 31);
}

/* Key of an element value; SAMI_ERR_LENGTH if too short for its key. */
static int key_of_value(unsigned type, const uint8_t *val, size_t len, struct mkey *k)
{
    k->n = sami_store_value_key((uint8_t)type, val, len, k->b);
    if (!k->n)
        return SAMI_ERR_LENGTH;
    k->h = key_mix(k->b, k->n);
    return 0;
}

/* Key of a record struct, reading only its type and key fields (del and
 * get take keys whose other fields may be anything). */
static int key_of_record(const struct sami_di_record *rec, struct mkey *k)
{
    uint8_t buf[SAMI_DI_MAX_LEN];
    struct sami_wr w;
    size_t n;
    sami_wr_init(&w, buf, sizeof buf);
    sami_di_write(&w, rec); /* never reads past the struct, strings clamped */
    if (sami_wr_finish(&w, &n) != 0)
        return SAMI_ERR_INVAL;
    return key_of_value(rec->type, buf, n, k);
}

static int ent_key(const struct ent *e, struct mkey *k)
{
    uint8_t buf[VAL_BUF];
    size_t n = ent_value(e, buf);
    if (!n)
        return SAMI_ERR_LENGTH;
    return key_of_value(e->tf & EF_TYPE, buf, n, k);
}

static uint64_t ent_keyhash(const struct ent *e)
{
    struct mkey k;
    return ent_key(e, &k) == 0 ? k.h : 0;
}

/* When the entry's expiring timer runs out: anchor + timer, NO_TIME for none. */
static uint64_t ent_deadline(const struct ent *e)
{
    unsigned type = e->tf & EF_TYPE;
    if (type > SAMI_DI_TYPE_MAX || exp_off[type] == NO_EXP)
        return NO_TIME;
    size_t n;
    const uint8_t *b = ent_bytes(e, &n);
    if (n < 1)
        return NO_TIME;
    size_t off = packed_exp_off(type, b[0]);
    if (off + 4 > n)
        return NO_TIME;
    const uint8_t *p = b + off;
    uint32_t ms = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    if (ms == SAMI_DI_INFINITE)
        return NO_TIME;
    uint64_t a = ent_anchor(e), d = (uint64_t)ms * 1000u;
    return a > NO_TIME - 1 - d ? NO_TIME - 1 : a + d;
}

/* ---- hash table ---- */

static uint32_t bucket_of(const struct sami_memstore *ms, uint32_t hid, unsigned type, uint64_t kh)
{
    uint64_t h = kh ^ (((uint64_t)hid << 8 | type) * UINT64_C(0x9e3779b97f4a7c15));
    h ^= h >> 31;
    h *= UINT64_C(0xbf58476d1ce4e5b9);
    h ^= h >> 29;
    return (uint32_t)h & (ms->nbuckets - 1);
}

/* The entry of set s with type and key k, or NIL. The key is type + key
 * fields, so comparing key octets compares the type too. */
static uint32_t h_find(const struct sami_memstore *ms, const struct mset *s, unsigned type,
                       const struct mkey *k)
{
    uint32_t idx = ms->buckets[bucket_of(ms, s->hid, type, k->h)];
    while (idx != NIL) {
        const struct ent *e = E(ms, idx);
        if (e->set == s->id && (e->tf & EF_TYPE) == type) {
            struct mkey ek;
            if (ent_key(e, &ek) == 0 && ek.n == k->n && memcmp(ek.b, k->b, k->n) == 0)
                return idx;
        }
        idx = e->hnext;
    }
    return NIL;
}

static uint32_t ent_hid(const struct sami_memstore *ms, const struct ent *e)
{
    return ms->sets[e->set]->hid;
}

static void h_insert(struct sami_memstore *ms, uint32_t idx, uint64_t kh)
{
    struct ent *e = E(ms, idx);
    uint32_t b = bucket_of(ms, ent_hid(ms, e), e->tf & EF_TYPE, kh);
    e->hnext = ms->buckets[b];
    ms->buckets[b] = idx;
}

static void h_remove(struct sami_memstore *ms, uint32_t idx, uint64_t kh)
{
    struct ent *e = E(ms, idx);
    uint32_t *pp = &ms->buckets[bucket_of(ms, ent_hid(ms, e), e->tf & EF_TYPE, kh)];
    while (*pp != NIL) {
        if (*pp == idx) {
            *pp = e->hnext;
            return;
        }
        pp = &E(ms, *pp)->hnext;
    }
}

static uint32_t *buckets_new(struct sami_memstore *ms, uint32_t n)
{
    uint32_t *b = m_alloc(ms, (size_t)n * sizeof *b);
    if (b)
        memset(b, 0xff, (size_t)n * sizeof *b); /* NIL */
    return b;
}

/* Doubles the table when it is fuller than one entry per bucket. A failed
 * allocation keeps the old table: chains get longer, nothing breaks. */
static void h_maybe_grow(struct sami_memstore *ms)
{
    if (ms->fixed_index || ms->nents <= ms->nbuckets || ms->nbuckets >= (UINT32_C(1) << 31))
        return;
    uint32_t on = ms->nbuckets, nn = on * 2;
    uint32_t *nb = buckets_new(ms, nn);
    if (!nb)
        return;
    uint32_t *ob = ms->buckets;
    ms->buckets = nb;
    ms->nbuckets = nn;
    /* Every entry is in the table: walk them in memory order, chunk by
     * chunk, rather than along the old chains (a cache miss per entry), and
     * link each a few entries after prefetching its new bucket. */
    enum { AHEAD = 8 };
    uint32_t ring_idx[AHEAD], ring_b[AHEAD], nr = 0;
    for (uint32_t cn = 0; cn < ms->chunk_cap; cn++) {
        const struct chunk *c = ms->chunks[cn];
        for (uint32_t slot = 0; c && slot < c->bump; slot++) {
            uint32_t idx = cn << SLOT_BITS | slot;
            struct ent *e = E(ms, idx);
            if (!(e->tf & EF_TYPE))
                continue;
            uint32_t b = bucket_of(ms, ent_hid(ms, e), e->tf & EF_TYPE, ent_keyhash(e));
            PREFETCH(&nb[b]);
            uint32_t r = nr++ % AHEAD;
            if (nr > AHEAD) {
                E(ms, ring_idx[r])->hnext = nb[ring_b[r]];
                nb[ring_b[r]] = ring_idx[r];
            }
            ring_idx[r] = idx;
            ring_b[r] = b;
        }
    }
    for (uint32_t k = nr > AHEAD ? nr - AHEAD : 0; k < nr; k++) {
        uint32_t r = k % AHEAD;
        E(ms, ring_idx[r])->hnext = nb[ring_b[r]];
        nb[ring_b[r]] = ring_idx[r];
    }
    m_free(ms, ob, (size_t)on * sizeof *ob);
}

/* ---- set lists ---- */

static void l_add(struct sami_memstore *ms, struct mset *s, uint32_t idx)
{
    struct ent *e = E(ms, idx);
    e->set = s->id;
    e->prev = NIL;
    e->next = s->head;
    if (s->head != NIL)
        E(ms, s->head)->prev = idx;
    s->head = idx;
    s->n++;
}

static void l_del(struct sami_memstore *ms, struct mset *s, uint32_t idx)
{
    struct ent *e = E(ms, idx);
    if (e->prev != NIL)
        E(ms, e->prev)->next = e->next;
    else
        s->head = e->next;
    if (e->next != NIL)
        E(ms, e->next)->prev = e->prev;
    s->n--;
}

/* ---- expiry heap (min-heap on ent_deadline) ---- */

static void heap_place(struct sami_memstore *ms, uint32_t pos, uint32_t idx)
{
    ms->heap[pos] = idx;
    E(ms, idx)->heap = pos;
}

static void heap_up(struct sami_memstore *ms, uint32_t pos)
{
    uint32_t idx = ms->heap[pos];
    uint64_t d = ent_deadline(E(ms, idx));
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (ent_deadline(E(ms, ms->heap[parent])) <= d)
            break;
        heap_place(ms, pos, ms->heap[parent]);
        pos = parent;
    }
    heap_place(ms, pos, idx);
}

static void heap_down(struct sami_memstore *ms, uint32_t pos)
{
    uint32_t idx = ms->heap[pos];
    uint64_t d = ent_deadline(E(ms, idx));
    for (;;) {
        uint32_t l = 2 * pos + 1, best = pos;
        uint64_t bd = d;
        if (l < ms->nheap) {
            uint64_t ld = ent_deadline(E(ms, ms->heap[l]));
            if (ld < bd) {
                best = l;
                bd = ld;
            }
            if (l + 1 < ms->nheap && ent_deadline(E(ms, ms->heap[l + 1])) < bd)
                best = l + 1;
        }
        if (best == pos)
            break;
        heap_place(ms, pos, ms->heap[best]);
        pos = best;
    }
    heap_place(ms, pos, idx);
}

static void heap_del(struct sami_memstore *ms, uint32_t idx)
{
    struct ent *e = E(ms, idx);
    uint32_t pos = e->heap;
    if (pos == NIL)
        return;
    e->heap = NIL;
    uint32_t last = ms->heap[--ms->nheap];
    if (pos == ms->nheap)
        return;
    heap_place(ms, pos, last);
    heap_up(ms, pos);
    heap_down(ms, E(ms, last)->heap);
}

/* Puts a VM entry in the heap, moves it, or takes it out, as its state and
 * deadline require. Capacity is reserved when entries are created. */
static void heap_sync(struct sami_memstore *ms, uint32_t idx, const struct mvm *vm)
{
    struct ent *e = E(ms, idx);
    int want = !vm_held(vm) && !(e->tf & EF_TOMB) && ent_deadline(e) != NO_TIME;
    if (!want) {
        heap_del(ms, idx);
    } else if (e->heap == NIL) {
        heap_place(ms, ms->nheap++, idx);
        heap_up(ms, e->heap);
    } else {
        heap_up(ms, e->heap);
        heap_down(ms, e->heap);
    }
}

/* The VM became held (frozen / pending) or released: its entries leave or
 * rejoin aging. */
static void vm_hold_sync(struct sami_memstore *ms, struct mvm *vm)
{
    /* A few entries: one heap operation each. Many (a VM of 1 M records
     * frozen for its migration): O(n log n) heap moves, each reading the
     * deadlines of cold entries, cost more than rebuilding the heap: take
     * the VM's entries out or add them in one pass, then heapify (O(n)). */
    if ((uint64_t)vm->set.n * 16u < ms->nheap || vm->set.n < 64) {
        for (uint32_t idx = vm->set.head; idx != NIL; idx = E(ms, idx)->next)
            heap_sync(ms, idx, vm);
        return;
    }
    int held = vm_held(vm);
    uint32_t out = 0;
    for (uint32_t idx = vm->set.head; idx != NIL; idx = E(ms, idx)->next) {
        struct ent *e = E(ms, idx);
        prefetch_ent(ms, e->next);
        int want = !held && !(e->tf & EF_TOMB) && ent_deadline(e) != NO_TIME;
        if (!want && e->heap != NIL) {
            e->heap = NIL; /* its slot in the array is dropped below */
            out++;
        } else if (want && e->heap == NIL) {
            heap_place(ms, ms->nheap++, idx); /* capacity is reserved per entry */
        }
    }
    if (out == ms->nheap) {
        ms->nheap = 0; /* the VM held every deadline (one big VM): nothing to keep */
    } else if (out) {
        uint32_t j = 0;
        for (uint32_t i = 0; i < ms->nheap; i++) {
            uint32_t idx = ms->heap[i];
            if (E(ms, idx)->heap != NIL)
                heap_place(ms, j++, idx);
        }
        ms->nheap = j;
    }
    for (uint32_t i = ms->nheap / 2; i-- > 0;)
        heap_down(ms, i);
}

/* ---- set ids ---- */

static int set_register(struct sami_memstore *ms, struct mset *s, uint8_t kind)
{
    uint32_t i = ms->set_hint;
    while (i < ms->set_cap && ms->sets[i])
        i++;
    if (i >= ms->set_cap) {
        for (i = 0; i < ms->set_cap && ms->sets[i]; i++)
            ;
    }
    if (i >= ms->set_cap) {
        uint32_t ncap = ms->set_cap ? ms->set_cap * 2 : 64;
        if (ncap <= ms->set_cap || ncap >= NIL)
            return SAMI_ERR_LIMIT;
        struct mset **n = m_alloc(ms, (size_t)ncap * sizeof *n);
        if (!n)
            return SAMI_ERR_NOMEM;
        for (uint32_t k = 0; k < ncap; k++)
            n[k] = k < ms->set_cap ? ms->sets[k] : NULL;
        m_free(ms, ms->sets, (size_t)ms->set_cap * sizeof *ms->sets);
        ms->sets = n;
        i = ms->set_cap;
        ms->set_cap = ncap;
    }
    ms->sets[i] = s;
    ms->set_hint = i + 1;
    s->id = i;
    s->hid = i; /* a migration's set takes its VM's once it has one */
    s->head = NIL;
    s->n = 0;
    s->kind = kind;
    return 0;
}

static void set_unregister(struct sami_memstore *ms, struct mset *s)
{
    ms->sets[s->id] = NULL;
    if (s->id < ms->set_hint)
        ms->set_hint = s->id;
}

/* ---- VM objects ---- */

static uint32_t vm_bucket(const struct sami_memstore *ms, const struct sami_vm_id *id)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325) ^ id->id_format;
    h *= UINT64_C(0x100000001b3);
    for (size_t i = 0; i < sizeof id->id; i++) {
        h ^= id->id[i];
        h *= UINT64_C(0x100000001b3);
    }
    return (uint32_t)(h ^ (h >> 32)) & (ms->nvmb - 1);
}

static struct mvm *vm_find(const struct sami_memstore *ms, const struct sami_vm_id *id)
{
    for (struct mvm *v = ms->vmb[vm_bucket(ms, id)]; v; v = v->hnext)
        if (sami_store_vm_equal(&v->id, id))
            return v;
    return NULL;
}

static void vm_table_maybe_grow(struct sami_memstore *ms)
{
    if (ms->nvms <= 2 * ms->nvmb || ms->nvmb >= (UINT32_C(1) << 30))
        return;
    uint32_t on = ms->nvmb, nn = on * 2;
    struct mvm **nb = m_alloc(ms, (size_t)nn * sizeof *nb);
    if (!nb)
        return;
    for (uint32_t i = 0; i < nn; i++)
        nb[i] = NULL;
    struct mvm **ob = ms->vmb;
    ms->vmb = nb;
    ms->nvmb = nn;
    for (uint32_t i = 0; i < on; i++) {
        struct mvm *v = ob[i];
        while (v) {
            struct mvm *next = v->hnext;
            uint32_t b = vm_bucket(ms, &v->id);
            v->hnext = nb[b];
            nb[b] = v;
            v = next;
        }
    }
    m_free(ms, ob, (size_t)on * sizeof *ob);
}

/* Finds or creates the VM; NULL when out of memory. */
static struct mvm *vm_get(struct sami_memstore *ms, const struct sami_vm_id *id)
{
    struct mvm *v = vm_find(ms, id);
    if (v)
        return v;
    v = m_alloc(ms, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    if (set_register(ms, &v->set, SET_VM) != 0) {
        m_free(ms, v, sizeof *v);
        return NULL;
    }
    v->id = *id;
    v->gen = ms->gen;
    uint32_t b = vm_bucket(ms, id);
    v->hnext = ms->vmb[b];
    ms->vmb[b] = v;
    ms->nvms++;
    vm_table_maybe_grow(ms);
    return v;
}

/* Forgets a VM the store no longer holds anything for. */
static void vm_maybe_free(struct sami_memstore *ms, struct mvm *vm)
{
    if (vm->set.n || vm->nsource || vm->dest)
        return;
    struct mvm **pp = &ms->vmb[vm_bucket(ms, &vm->id)];
    while (*pp && *pp != vm)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = vm->hnext;
    set_unregister(ms, &vm->set);
    ms->nvms--;
    m_free(ms, vm, sizeof *vm);
}

/* ---- migration objects ---- */

static uint32_t mig_bucket(const struct sami_memstore *ms, uint64_t id, int is_dest)
{
    uint64_t h = (id ^ (uint64_t)is_dest) * UINT64_C(0x9e3779b97f4a7c15);
    return (uint32_t)(h >> 32) & (ms->nmigb - 1);
}

static struct mmig *mig_find(const struct sami_memstore *ms, uint64_t id, int is_dest)
{
    for (struct mmig *m = ms->migb[mig_bucket(ms, id, is_dest)]; m; m = m->hnext)
        if (m->id == id && m->is_dest == is_dest)
            return m;
    return NULL;
}

static void mig_table_maybe_grow(struct sami_memstore *ms)
{
    if (ms->nmigs <= 2 * ms->nmigb || ms->nmigb >= (UINT32_C(1) << 30))
        return;
    uint32_t on = ms->nmigb, nn = on * 2;
    struct mmig **nb = m_alloc(ms, (size_t)nn * sizeof *nb);
    if (!nb)
        return;
    for (uint32_t i = 0; i < nn; i++)
        nb[i] = NULL;
    struct mmig **ob = ms->migb;
    ms->migb = nb;
    ms->nmigb = nn;
    for (uint32_t i = 0; i < on; i++) {
        struct mmig *m = ob[i];
        while (m) {
            struct mmig *next = m->hnext;
            uint32_t b = mig_bucket(ms, m->id, m->is_dest);
            m->hnext = nb[b];
            nb[b] = m;
            m = next;
        }
    }
    m_free(ms, ob, (size_t)on * sizeof *ob);
}

static struct mmig *mig_new(struct sami_memstore *ms, uint64_t id, int is_dest)
{
    struct mmig *m = m_alloc(ms, sizeof *m);
    if (!m)
        return NULL;
    memset(m, 0, sizeof *m);
    if (set_register(ms, &m->set, SET_MIG) != 0) {
        m_free(ms, m, sizeof *m);
        return NULL;
    }
    m->id = id;
    m->is_dest = (uint8_t)is_dest;
    return m;
}

static void mig_link(struct sami_memstore *ms, struct mmig *m)
{
    uint32_t b = mig_bucket(ms, m->id, m->is_dest);
    m->hnext = ms->migb[b];
    ms->migb[b] = m;
    ms->nmigs++;
    mig_table_maybe_grow(ms);
}

/* Unlinks and frees a migration whose set is already empty. */
static void mig_free(struct sami_memstore *ms, struct mmig *m)
{
    struct mmig **pp = &ms->migb[mig_bucket(ms, m->id, m->is_dest)];
    while (*pp && *pp != m)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = m->hnext;
        ms->nmigs--;
    }
    set_unregister(ms, &m->set);
    m_free(ms, m, sizeof *m);
}

/* ---- entry life cycle ---- */

/* Makes room for one more entry: the global limit, and heap capacity for
 * every entry (so hold changes never allocate). */
static int ent_reserve(struct sami_memstore *ms)
{
    if (ms->max_records && ms->nents >= ms->max_records)
        return SAMI_ERR_LIMIT;
    if (ms->nents == NIL - 1)
        return SAMI_ERR_LIMIT;
    if (ms->nents + 1 > ms->heap_cap) {
        if (ms->fixed_index)
            return SAMI_ERR_LIMIT;
        uint32_t ncap = ms->heap_cap ? ms->heap_cap * 2 : 256;
        if (ncap < ms->heap_cap)
            return SAMI_ERR_LIMIT;
        uint32_t *n = m_alloc(ms, (size_t)ncap * sizeof *n);
        if (!n)
            return SAMI_ERR_NOMEM;
        if (ms->nheap)
            memcpy(n, ms->heap, (size_t)ms->nheap * sizeof *n);
        m_free(ms, ms->heap, (size_t)ms->heap_cap * sizeof *ms->heap);
        ms->heap = n;
        ms->heap_cap = ncap;
    }
    return 0;
}

/* New entry holding enc[0..n), in no set yet; NIL with *rc on failure. */
static uint32_t ent_new(struct sami_memstore *ms, unsigned type, const uint8_t *enc, size_t n,
                        int *rc)
{
    *rc = ent_reserve(ms);
    if (*rc)
        return NIL;
    unsigned cls = 0;
    if (n <= INLINE_MAX)
        while (cls_size[cls] - sizeof(struct ent) < n)
            cls++;
    uint32_t idx = slot_alloc(ms, cls);
    if (idx == NIL) {
        *rc = SAMI_ERR_NOMEM;
        return NIL;
    }
    struct ent *e = E(ms, idx);
    memset(e, 0, sizeof *e);
    e->heap = NIL;
    e->prev = e->next = e->hnext = NIL;
    e->tf = (uint8_t)type;
    *rc = ent_store(ms, idx, enc, n);
    if (*rc) {
        slot_free(ms, idx);
        return NIL;
    }
    ms->nents++;
    return idx;
}

/* Frees an entry already out of its set, the hash table and the heap. */
static void ent_release(struct sami_memstore *ms, uint32_t idx)
{
    ent_free_ext(ms, E(ms, idx));
    slot_free(ms, idx);
    ms->nents--;
}

/* Takes an entry out of everything and frees it. */
static void ent_drop(struct sami_memstore *ms, struct mset *s, uint32_t idx)
{
    heap_del(ms, idx);
    h_remove(ms, idx, ent_keyhash(E(ms, idx)));
    l_del(ms, s, idx);
    ent_release(ms, idx);
}

static void count_add(struct sami_memstore *ms, struct mvm *vm, unsigned type, int d)
{
    vm->counts[type] += (uint32_t)d;
    vm->counts[0] += (uint32_t)d;
    ms->nlive += (uint32_t)d;
}

/* Removes a live record of vm at generation g: a tombstone while a source
 * migration may need the deletion in its delta, else gone. */
static void vm_remove(struct sami_memstore *ms, struct mvm *vm, uint32_t idx, uint64_t g)
{
    struct ent *e = E(ms, idx);
    count_add(ms, vm, e->tf & EF_TYPE, -1);
    if (vm->nsource && !(e->tf & EF_FRESH)) {
        heap_del(ms, idx);
        e->tf = (uint8_t)(e->tf | EF_TOMB);
        ent_set_gen(e, g);
        vm->ntomb++;
        ms->ntomb++;
    } else {
        ent_drop(ms, &vm->set, idx);
    }
    vm->gen = g;
}

/* Scratch for encode_value: the encoding, then the stored form. */
#define ENC_BUF (2 * SAMI_DI_MAX_LEN + 1)

/* Validates and encodes rec; *val / *n = its stored form, inside buf; *k
 * its key. */
static int encode_value(const struct sami_di_record *rec, uint8_t buf[ENC_BUF],
                        const uint8_t **val, size_t *n, struct mkey *k)
{
    struct sami_di_record r = *rec;
    r.op = SAMI_DI_OP_UPSERT;
    size_t len;
    int rc = sami_di_encode(&r, buf, SAMI_DI_MAX_LEN, &len);
    if (rc)
        return rc;
    if (len < VAL_SKIP)
        return SAMI_ERR_LENGTH;
    rc = key_of_value(r.type, buf, len, k);
    if (rc)
        return rc;
    uint8_t *out = buf + SAMI_DI_MAX_LEN;
    *n = pack_value(r.type, buf + VAL_SKIP, len - VAL_SKIP, out);
    *val = out;
    return 0;
}

static int key_ok(const struct sami_di_record *rec)
{
    if (!rec)
        return SAMI_ERR_INVAL;
    if (rec->type < 1 || rec->type > SAMI_DI_TYPE_MAX)
        return SAMI_ERR_TYPE;
    return 0;
}

/* An entry as an element value for output: times moved to now, op as
 * given. out holds VAL_BUF; returns the length, 0 if broken. */
static size_t ent_value_out(const struct ent *e, sami_usec_t now, uint8_t op, int rebase,
                            uint8_t *out)
{
    size_t n = ent_value(e, out);
    if (!n)
        return 0;
    if (rebase)
        sami_store_value_rebase((uint8_t)(e->tf & EF_TYPE), out, n,
                                sami_store_elapsed_ms(ent_anchor(e), now));
    out[1] = op;
    return n;
}

/* Decodes an entry for output: times moved to now, op as given. */
static int ent_out(const struct ent *e, sami_usec_t now, uint8_t op, int rebase,
                   struct sami_di_record *out)
{
    int rc = ent_decode(e, out);
    if (rc)
        return rc;
    if (rebase)
        sami_di_rebase(out, sami_store_elapsed_ms(ent_anchor(e), now));
    out->op = op;
    return 0;
}

/* ---- source side ---- */

static int ms_source_begin(void *ctx, uint64_t mid, const struct sami_vm_id *id)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    struct mmig *m = mig_find(ms, mid, 0);
    if (m)
        return sami_store_vm_equal(&m->vm->id, id) ? 0 : SAMI_ERR_EXISTS;
    struct mvm *vm = vm_find(ms, id);
    if (vm && vm->dest)
        return SAMI_ERR_STATE;
    m = mig_new(ms, mid, 0);
    if (!m)
        return SAMI_ERR_NOMEM;
    if (!vm && !(vm = vm_get(ms, id))) {
        mig_free(ms, m);
        return SAMI_ERR_NOMEM;
    }
    m->vm = vm;
    m->set.hid = vm->set.id;
    if (vm->nsource++ == 0)
        vm->horizon = vm->gen;
    mig_link(ms, m);
    return 0;
}

/* export_records and export_values: one walk, records emitted as structs
 * (emit) or as element values (emit_value). */
static int export_walk(struct sami_memstore *ms, const struct sami_vm_id *id, uint64_t since,
                       sami_usec_t now, sami_store_emit_fn emit, sami_store_emit_value_fn emit_value,
                       void *arg, uint64_t *gen_now)
{
    struct mvm *vm = vm_find(ms, id);
    if (!vm) {
        if (since > ms->gen)
            return SAMI_ERR_INVAL;
        if (since)
            return SAMI_ERR_STATE;
        if (gen_now)
            *gen_now = ms->gen;
        return 0;
    }
    if (since) {
        if (since > vm->gen)
            return SAMI_ERR_INVAL;
        if (!vm->nsource || since < vm->horizon)
            return SAMI_ERR_STATE;
    }
    if (gen_now)
        *gen_now = vm->gen;
    int rc = 0;
    for (uint32_t idx = vm->set.head; idx != NIL; idx = E(ms, idx)->next) {
        struct ent *e = E(ms, idx);
        prefetch_ent(ms, e->next);
        /* From now on a peer may hold this record: deleting it must leave a
         * tombstone. Cleared even after emit stopped, to stay on the safe side. */
        e->tf &= (uint8_t)~EF_FRESH;
        if (rc)
            continue;
        uint64_t g = ent_gen(e);
        uint8_t op;
        if (e->tf & EF_TOMB) {
            if (!since || g <= since)
                continue;
            op = SAMI_DI_OP_DELETE;
        } else {
            if (since && g <= since)
                continue;
            op = SAMI_DI_OP_UPSERT;
        }
        /* cannot fail: entries hold validated encodings */
        if (emit_value) {
            uint8_t val[VAL_BUF];
            size_t n = ent_value_out(e, now, op, 1, val);
            if (n)
                rc = emit_value(arg, (uint8_t)(e->tf & EF_TYPE), val, n);
        } else {
            struct sami_di_record rec;
            if (ent_out(e, now, op, 1, &rec) == 0)
                rc = emit(arg, &rec);
        }
    }
    return rc;
}

static int ms_export(void *ctx, const struct sami_vm_id *id, uint64_t since, sami_usec_t now,
                     sami_store_emit_fn emit, void *arg, uint64_t *gen_now)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id || !emit)
        return SAMI_ERR_INVAL;
    return export_walk(ms, id, since, now, emit, NULL, arg, gen_now);
}

static int ms_export_values(void *ctx, const struct sami_vm_id *id, uint64_t since,
                            sami_usec_t now, sami_store_emit_value_fn emit, void *arg,
                            uint64_t *gen_now)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id || !emit)
        return SAMI_ERR_INVAL;
    return export_walk(ms, id, since, now, NULL, emit, arg, gen_now);
}

static int ms_freeze(void *ctx, uint64_t mid)
{
    struct sami_memstore *ms = ctx;
    if (!ms)
        return SAMI_ERR_INVAL;
    struct mmig *m = mig_find(ms, mid, 0);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    if (!m->frozen) {
        m->frozen = 1;
        if (m->vm->nfrozen++ == 0)
            vm_hold_sync(ms, m->vm);
    }
    return 0;
}

static void mig_unfreeze(struct sami_memstore *ms, struct mmig *m)
{
    if (m->frozen) {
        m->frozen = 0;
        if (--m->vm->nfrozen == 0)
            vm_hold_sync(ms, m->vm);
    }
}

static int ms_unfreeze(void *ctx, uint64_t mid)
{
    struct sami_memstore *ms = ctx;
    if (!ms)
        return SAMI_ERR_INVAL;
    struct mmig *m = mig_find(ms, mid, 0);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    mig_unfreeze(ms, m);
    return 0;
}

static int ms_purge(void *ctx, const struct sami_vm_id *id)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    struct mvm *vm = vm_find(ms, id);
    if (!vm)
        return 0;
    if (vm->dest && vm->dest->pending)
        return SAMI_ERR_STATE;
    if (vm->counts[0] == 0)
        return 0;
    uint64_t g = gen_bump(ms);
    uint32_t idx = vm->set.head;
    while (idx != NIL) {
        uint32_t next = E(ms, idx)->next;
        if (!(E(ms, idx)->tf & EF_TOMB))
            vm_remove(ms, vm, idx, g);
        idx = next;
    }
    vm_maybe_free(ms, vm);
    return 0;
}

static void ms_source_end(void *ctx, uint64_t mid)
{
    struct sami_memstore *ms = ctx;
    if (!ms)
        return;
    struct mmig *m = mig_find(ms, mid, 0);
    if (!m)
        return;
    struct mvm *vm = m->vm;
    mig_unfreeze(ms, m);
    if (--vm->nsource == 0 && vm->ntomb) {
        uint32_t idx = vm->set.head;
        while (idx != NIL) {
            uint32_t next = E(ms, idx)->next;
            if (E(ms, idx)->tf & EF_TOMB)
                ent_drop(ms, &vm->set, idx);
            idx = next;
        }
        ms->ntomb -= vm->ntomb;
        vm->ntomb = 0;
    }
    mig_free(ms, m);
    vm_maybe_free(ms, vm);
}

/* ---- destination side ---- */

static int ms_stage_begin(void *ctx, uint64_t mid, const struct sami_vm_id *id,
                          const struct sami_store_stage_params *params)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    if (mig_find(ms, mid, 1))
        return SAMI_ERR_EXISTS;
    struct mvm *vm = vm_find(ms, id);
    if (vm && (vm->dest || vm->nsource))
        return SAMI_ERR_STATE;
    struct mmig *m = mig_new(ms, mid, 1);
    if (!m)
        return SAMI_ERR_NOMEM;
    if (!vm && !(vm = vm_get(ms, id))) {
        mig_free(ms, m);
        return SAMI_ERR_NOMEM;
    }
    m->vm = vm;
    m->set.hid = vm->set.id; /* staged records hash as the VM's: commit moves, no re-hash */
    m->max_records = params ? params->max_records : 0;
    m->replace_types = params ? params->replace_types & SAMI_DI_ALL_TYPES : 0;
    vm->dest = m;
    mig_link(ms, m);
    return 0;
}

static struct mmig *dest_staging(struct sami_memstore *ms, uint64_t mid, int *rc)
{
    struct mmig *m = mig_find(ms, mid, 1);
    *rc = !m ? SAMI_ERR_NOTFOUND : m->pending ? SAMI_ERR_STATE : 0;
    return *rc ? NULL : m;
}

/* Applies one record (stored form val[0..n), key k) to staging area m. */
static int stage_apply(struct sami_memstore *ms, struct mmig *m, unsigned type, unsigned op,
                       const uint8_t *val, size_t n, const struct mkey *k, sami_usec_t now)
{
    int rc;
    uint32_t idx = h_find(ms, &m->set, type, k);
    uint64_t kh = k->h;
    if (op == SAMI_DI_OP_DELETE) {
        if (idx != NIL) {
            ent_drop(ms, &m->set, idx);
            ms->nstaged--;
        }
        return 0;
    }
    if (idx != NIL) {
        rc = ent_store(ms, idx, val, n);
        if (rc)
            return m->poison = rc;
        ent_set_anchor(E(ms, idx), now);
        return 0;
    }
    if (m->max_records && m->set.n >= m->max_records)
        return m->poison = SAMI_ERR_LIMIT;
    idx = ent_new(ms, type, val, n, &rc);
    if (idx == NIL)
        return m->poison = rc;
    ent_set_anchor(E(ms, idx), now);
    l_add(ms, &m->set, idx);
    h_insert(ms, idx, kh);
    ms->nstaged++;
    h_maybe_grow(ms);
    return 0;
}

static int ms_stage_put(void *ctx, uint64_t mid, const struct sami_di_record *rec, sami_usec_t now)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !rec)
        return SAMI_ERR_INVAL;
    int rc;
    struct mmig *m = dest_staging(ms, mid, &rc);
    if (!m)
        return rc;
    if (m->poison)
        return m->poison;
    if (rec->op != SAMI_DI_OP_UPSERT && rec->op != SAMI_DI_OP_DELETE)
        return SAMI_ERR_INVAL;
    uint8_t buf[ENC_BUF];
    const uint8_t *val;
    size_t n;
    struct mkey k;
    rc = encode_value(rec, buf, &val, &n, &k);
    if (rc)
        return rc;
    return stage_apply(ms, m, rec->type, rec->op, val, n, &k, now);
}

/* stage_put_values looks ahead: the key of record j + AHEAD_B is hashed and
 * its bucket prefetched, the chain head of record j + AHEAD_E prefetched,
 * while record j is applied, so the cache misses of a batch overlap
 * instead of following each other (a 1 M-record staging area is far larger
 * than the caches). Keys wait in a ring of PUT_RING. */
#define AHEAD_B 12
#define AHEAD_E 6
#define PUT_RING 16

/* The caller validated the values (sami_di_decode); the structure is checked
 * again, so no offset below can leave a value. No struct, no re-encoding. */
static int ms_stage_put_values(void *ctx, uint64_t mid, const struct sami_store_value *recs,
                               size_t n, sami_usec_t now, size_t *applied)
{
    struct sami_memstore *ms = ctx;
    size_t done = 0;
    if (!applied)
        applied = &done;
    *applied = 0;
    if (!ms || (n && !recs))
        return SAMI_ERR_INVAL;
    int rc;
    struct mmig *m = dest_staging(ms, mid, &rc);
    if (!m)
        return rc;
    if (m->poison)
        return m->poison;
    struct mkey k[PUT_RING];
    size_t keyed = 0; /* records [0, keyed) have their key in the ring */
    int bad = 0;      /* structure error of record `keyed`, if any */
    for (size_t j = 0; j < n; j++) {
        /* keep the key of record j + AHEAD_B ready (and all before it) */
        while (!bad && keyed < n && keyed <= j + AHEAD_B) {
            const struct sami_store_value *r = &recs[keyed];
            struct mkey *kk = &k[keyed % PUT_RING];
            bad = sami_store_value_check(r->type, r->value, r->len);
            if (!bad)
                bad = key_of_value(r->type, r->value, r->len, kk);
            if (bad)
                break;
            PREFETCH(&ms->buckets[bucket_of(ms, m->set.hid, r->type, kk->h)]);
            keyed++;
        }
        if (j >= keyed)
            return bad; /* record j is the bad one; *applied = j */
        size_t e = j + AHEAD_E;
        if (e < keyed) {
            uint32_t head =
                ms->buckets[bucket_of(ms, m->set.hid, recs[e].type, k[e % PUT_RING].h)];
            if (head != NIL)
                PREFETCH(E(ms, head));
        }
        const struct sami_store_value *r = &recs[j];
        uint8_t packed[SAMI_DI_MAX_LEN + 1];
        size_t pn = pack_value(r->type, r->value + VAL_SKIP, r->len - VAL_SKIP, packed);
        rc = stage_apply(ms, m, r->type, r->value[1], packed, pn, &k[j % PUT_RING], now);
        if (rc)
            return rc;
        *applied = j + 1;
    }
    return 0;
}

static int ms_stage_foreach(void *ctx, uint64_t mid, sami_store_emit_fn emit, void *arg)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !emit)
        return SAMI_ERR_INVAL;
    int rc;
    struct mmig *m = dest_staging(ms, mid, &rc);
    if (!m)
        return rc;
    for (uint32_t idx = m->set.head; idx != NIL; idx = E(ms, idx)->next) {
        struct sami_di_record rec;
        if (ent_out(E(ms, idx), 0, SAMI_DI_OP_UPSERT, 0, &rec) != 0)
            continue;
        rc = emit(arg, &rec);
        if (rc)
            return rc;
    }
    return 0;
}

static int ms_stage_foreach_values(void *ctx, uint64_t mid, sami_store_emit_value_fn emit,
                                   void *arg)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !emit)
        return SAMI_ERR_INVAL;
    int rc;
    struct mmig *m = dest_staging(ms, mid, &rc);
    if (!m)
        return rc;
    for (uint32_t idx = m->set.head; idx != NIL; idx = E(ms, idx)->next) {
        const struct ent *e = E(ms, idx);
        prefetch_ent(ms, e->next);
        uint8_t val[VAL_BUF];
        size_t n = ent_value(e, val);
        if (!n)
            continue;
        rc = emit(arg, (uint8_t)(e->tf & EF_TYPE), val, n);
        if (rc)
            return rc;
    }
    return 0;
}

/* Moves a live record of m's VM beside the migration, for discard to put
 * back exactly (activate frees it). */
static void set_aside(struct sami_memstore *ms, struct mmig *m, uint32_t idx, unsigned type)
{
    l_del(ms, &m->vm->set, idx);
    count_add(ms, m->vm, type, -1);
    l_add(ms, &m->set, idx);
    ms->nsaved++;
}

static int ms_stage_commit(void *ctx, uint64_t mid, uint32_t elapsed_ms, sami_usec_t now)
{
    struct sami_memstore *ms = ctx;
    (void)now; /* installed records keep counting from their stage_put */
    if (!ms)
        return SAMI_ERR_INVAL;
    int rc;
    struct mmig *m = dest_staging(ms, mid, &rc);
    if (!m)
        return rc;
    if (m->poison)
        return m->poison;
    /* Everything below moves existing entries between sets and rewrites
     * values in place (rebasing keeps every length), so it cannot fail:
     * that is what makes the commit atomic. */
    struct mvm *vm = m->vm;
    m->pending = 1;
    vm_hold_sync(ms, vm); /* pending: out of aging until activate/discard */
    uint64_t g = gen_bump(ms);
    /* Staged entries hash as the VM's (same bucket), so moving one between
     * the sets needs no re-hashing; and a VM holding nothing here yet (the
     * usual destination) has no record to replace: no lookups at all. */
    int lookup = vm->set.n != 0;
    if (!lookup) {
        /* the VM's empty list takes the staged one as it is */
        vm->set.head = m->set.head;
        vm->set.n = m->set.n;
        m->set.head = NIL;
        m->set.n = 0;
    }
    uint32_t idx = lookup ? m->set.head : vm->set.head;
    while (idx != NIL) {
        struct ent *e = E(ms, idx);
        uint32_t next = e->next;
        prefetch_ent(ms, next);
        unsigned type = e->tf & EF_TYPE;
        if (lookup)
            l_del(ms, &m->set, idx);
        else
            e->set = vm->set.id;
        struct mkey k;
        if (lookup && ent_key(e, &k) == 0) {
            uint32_t old = h_find(ms, &vm->set, type, &k);
            if (old != NIL)
                set_aside(ms, m, old, type);
        }
        /* Rebased only when there is time to add (the transfer engine
         * passes 0: it anchors each stage_put instead); in place, since
         * rebasing keeps every length. */
        if (elapsed_ms) {
            uint8_t v[VAL_BUF], packed[SAMI_DI_MAX_LEN + 1];
            size_t n = ent_value(e, v);
            if (n) {
                sami_store_value_rebase((uint8_t)type, v, n, elapsed_ms);
                (void)ent_store(ms, idx, packed,
                                pack_value(type, v + VAL_SKIP, n - VAL_SKIP, packed));
            }
        }
        e->tf = (uint8_t)(e->tf | EF_PENDING | EF_FRESH);
        ent_set_gen(e, g);
        if (lookup)
            l_add(ms, &vm->set, idx);
        count_add(ms, vm, type, 1);
        ms->nstaged--;
        idx = next;
    }
    /* The commit is everything of replace_types: what the VM still holds of
     * them from before (an earlier stay here, whose source went on changing
     * the records) goes aside with the replaced ones, for discard. */
    if (lookup && m->replace_types) {
        idx = vm->set.head;
        while (idx != NIL) {
            struct ent *e = E(ms, idx);
            uint32_t next = e->next;
            unsigned type = e->tf & EF_TYPE;
            if (!(e->tf & (EF_PENDING | EF_TOMB)) &&
                (m->replace_types & SAMI_DI_TYPE_BIT(type)))
                set_aside(ms, m, idx, type);
            idx = next;
        }
    }
    vm->gen = g;
    return 0;
}

static int ms_activate(void *ctx, uint64_t mid, sami_usec_t now)
{
    struct sami_memstore *ms = ctx;
    (void)now;
    if (!ms)
        return SAMI_ERR_INVAL;
    struct mmig *m = mig_find(ms, mid, 1);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    if (!m->pending)
        return SAMI_ERR_STATE;
    struct mvm *vm = m->vm;
    for (uint32_t idx = vm->set.head; idx != NIL; idx = E(ms, idx)->next)
        E(ms, idx)->tf &= (uint8_t)~EF_PENDING;
    while (m->set.head != NIL) {
        ent_drop(ms, &m->set, m->set.head);
        ms->nsaved--;
    }
    vm->dest = NULL;
    vm_hold_sync(ms, vm);
    mig_free(ms, m);
    vm_maybe_free(ms, vm);
    return 0;
}

static int ms_discard(void *ctx, uint64_t mid)
{
    struct sami_memstore *ms = ctx;
    if (!ms)
        return SAMI_ERR_INVAL;
    struct mmig *m = mig_find(ms, mid, 1);
    if (!m)
        return SAMI_ERR_NOTFOUND;
    struct mvm *vm = m->vm;
    if (!m->pending) {
        while (m->set.head != NIL) {
            ent_drop(ms, &m->set, m->set.head);
            ms->nstaged--;
        }
    } else {
        uint64_t g = gen_bump(ms);
        uint32_t idx = vm->set.head;
        while (idx != NIL) {
            uint32_t next = E(ms, idx)->next;
            struct ent *e = E(ms, idx);
            if (e->tf & EF_PENDING) {
                count_add(ms, vm, e->tf & EF_TYPE, -1);
                ent_drop(ms, &vm->set, idx);
            }
            idx = next;
        }
        while (m->set.head != NIL) {
            idx = m->set.head;
            struct ent *e = E(ms, idx);
            l_del(ms, &m->set, idx); /* same hash bucket in either set */
            l_add(ms, &vm->set, idx);
            ent_set_gen(e, g);
            count_add(ms, vm, e->tf & EF_TYPE, 1);
            ms->nsaved--;
        }
        vm->gen = g;
    }
    vm->dest = NULL;
    vm_hold_sync(ms, vm);
    mig_free(ms, m);
    vm_maybe_free(ms, vm);
    return 0;
}

/* ---- learners and queries ---- */

static int ms_put(void *ctx, const struct sami_vm_id *id, const struct sami_di_record *rec,
                  sami_usec_t now)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id || !rec)
        return SAMI_ERR_INVAL;
    uint8_t buf[ENC_BUF];
    const uint8_t *val;
    size_t n;
    struct mkey k;
    int rc = encode_value(rec, buf, &val, &n, &k);
    if (rc)
        return rc;
    struct mvm *vm = vm_find(ms, id);
    if (vm && vm_held(vm))
        return SAMI_ERR_STATE;
    if (ms->gen >= GEN_MAX)
        return SAMI_ERR_LIMIT;
    uint64_t kh = k.h;
    uint32_t idx = vm ? h_find(ms, &vm->set, rec->type, &k) : NIL;
    if (idx != NIL) {
        rc = ent_store(ms, idx, val, n);
        if (rc)
            return rc;
        struct ent *e = E(ms, idx);
        if (e->tf & EF_TOMB) { /* back before the delete was exported: stays known */
            e->tf &= (uint8_t)~EF_TOMB;
            vm->ntomb--;
            ms->ntomb--;
            count_add(ms, vm, rec->type, 1);
        }
    } else {
        if (!vm && !(vm = vm_get(ms, id)))
            return SAMI_ERR_NOMEM;
        idx = ent_new(ms, rec->type, val, n, &rc);
        if (idx == NIL) {
            vm_maybe_free(ms, vm);
            return rc;
        }
        E(ms, idx)->tf |= EF_FRESH;
        l_add(ms, &vm->set, idx);
        h_insert(ms, idx, kh);
        count_add(ms, vm, rec->type, 1);
        h_maybe_grow(ms);
    }
    struct ent *e = E(ms, idx);
    ent_set_anchor(e, now);
    vm->gen = gen_bump(ms);
    ent_set_gen(e, vm->gen);
    heap_sync(ms, idx, vm);
    return 0;
}

/* The live entry of vm with rec's key, or NIL. */
static uint32_t vm_lookup(const struct sami_memstore *ms, const struct mvm *vm,
                          const struct sami_di_record *rec)
{
    struct mkey k;
    if (key_of_record(rec, &k) != 0)
        return NIL;
    uint32_t idx = h_find(ms, &vm->set, rec->type, &k);
    return idx != NIL && !(E(ms, idx)->tf & EF_TOMB) ? idx : NIL;
}

static int ms_del(void *ctx, const struct sami_vm_id *id, const struct sami_di_record *rec)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    int rc = key_ok(rec);
    if (rc)
        return rc;
    struct mvm *vm = vm_find(ms, id);
    if (!vm)
        return SAMI_ERR_NOTFOUND;
    if (vm_held(vm))
        return SAMI_ERR_STATE;
    uint32_t idx = vm_lookup(ms, vm, rec);
    if (idx == NIL)
        return SAMI_ERR_NOTFOUND;
    vm_remove(ms, vm, idx, gen_bump(ms));
    vm_maybe_free(ms, vm);
    return 0;
}

static int ms_get(void *ctx, const struct sami_vm_id *id, const struct sami_di_record *key,
                  sami_usec_t now, struct sami_di_record *out)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id || !out)
        return SAMI_ERR_INVAL;
    int rc = key_ok(key);
    if (rc)
        return rc;
    struct mvm *vm = vm_find(ms, id);
    uint32_t idx = vm ? vm_lookup(ms, vm, key) : NIL;
    if (idx == NIL)
        return SAMI_ERR_NOTFOUND;
    return ent_out(E(ms, idx), now, SAMI_DI_OP_UPSERT, 1, out);
}

static sami_usec_t ms_expire(void *ctx, sami_usec_t now)
{
    struct sami_memstore *ms = ctx;
    if (!ms)
        return SAMI_NO_DEADLINE;
    uint64_t g = 0;
    while (ms->nheap) {
        uint32_t idx = ms->heap[0];
        struct ent *e = E(ms, idx);
        uint64_t d = ent_deadline(e);
        if (d > now)
            return d;
        if (!g)
            g = gen_bump(ms); /* one generation for everything aged out now */
        struct mvm *vm = set_vm(ms->sets[e->set]);
        vm_remove(ms, vm, idx, g); /* takes it out of the heap */
        vm_maybe_free(ms, vm);
    }
    return SAMI_NO_DEADLINE;
}

static int ms_count(void *ctx, const struct sami_vm_id *id, uint32_t per_type[SAMI_STORE_COUNTS])
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    const struct mvm *vm = vm_find(ms, id);
    for (unsigned t = 0; per_type && t < SAMI_STORE_COUNTS; t++)
        per_type[t] = vm ? vm->counts[t] : 0;
    if (!vm)
        return 0;
    return vm->counts[0] > INT32_MAX ? INT32_MAX : (int)vm->counts[0];
}

static int ms_foreach(void *ctx, const struct sami_vm_id *id, sami_usec_t now,
                      sami_store_emit_fn emit, void *arg)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id || !emit)
        return SAMI_ERR_INVAL;
    const struct mvm *vm = vm_find(ms, id);
    if (!vm)
        return 0;
    for (uint32_t idx = vm->set.head; idx != NIL; idx = E(ms, idx)->next) {
        const struct ent *e = E(ms, idx);
        if (e->tf & EF_TOMB)
            continue;
        struct sami_di_record rec;
        if (ent_out(e, now, SAMI_DI_OP_UPSERT, 1, &rec) != 0)
            continue;
        int rc = emit(arg, &rec);
        if (rc)
            return rc;
    }
    return 0;
}

static int ms_vm_flags(void *ctx, const struct sami_vm_id *id)
{
    struct sami_memstore *ms = ctx;
    if (!ms || !id)
        return SAMI_ERR_INVAL;
    const struct mvm *vm = vm_find(ms, id);
    if (!vm)
        return 0;
    int f = SAMI_STORE_VM_KNOWN;
    if (vm->nsource)
        f |= SAMI_STORE_VM_SOURCE;
    if (vm->nfrozen)
        f |= SAMI_STORE_VM_FROZEN;
    if (vm->dest)
        f |= vm->dest->pending ? SAMI_STORE_VM_PENDING : SAMI_STORE_VM_STAGING;
    return f;
}

static const struct sami_store_ops memstore_ops = {
    .source_begin = ms_source_begin,
    .export_records = ms_export,
    .freeze = ms_freeze,
    .unfreeze = ms_unfreeze,
    .purge = ms_purge,
    .source_end = ms_source_end,
    .stage_begin = ms_stage_begin,
    .stage_put = ms_stage_put,
    .stage_foreach = ms_stage_foreach,
    .stage_commit = ms_stage_commit,
    .activate = ms_activate,
    .discard = ms_discard,
    .put = ms_put,
    .del = ms_del,
    .get = ms_get,
    .expire = ms_expire,
    .count = ms_count,
    .foreach = ms_foreach,
    .vm_flags = ms_vm_flags,
    .export_values = ms_export_values,
    .stage_put_values = ms_stage_put_values,
    .stage_foreach_values = ms_stage_foreach_values,
};

/* ---- create / destroy ---- */

/* The offsets above follow the version-1 layouts; a layout change must not
 * silently age records by the wrong field or cut the wrong octets. Each
 * type is written with its timer and addresses set to marks, and the marks
 * must sit where the tables say. */
static int check_layout(void)
{
    const uint32_t mark = UINT32_C(0x5a3c0f96);
    for (unsigned t = 1; t <= SAMI_DI_TYPE_MAX; t++) {
        if (cur_version[t] != sami_di_current_version(t))
            return SAMI_ERR_UNSUPPORTED;
        struct sami_di_record r;
        memset(&r, 0, sizeof r);
        r.type = (uint8_t)t;
        r.version = sami_di_current_version(t);
        r.op = SAMI_DI_OP_UPSERT;
        uint8_t *addrs[MAX_ADDRS] = {NULL, NULL, NULL, NULL};
        switch (t) {
        case SAMI_DI_DHCP: r.u.dhcp.lease_remaining_ms = mark; break;
        case SAMI_DI_DHCPV6: r.u.dhcpv6.lease_remaining_ms = mark; break;
        case SAMI_DI_ND: r.u.nd.lifetime_remaining_ms = mark; break;
        case SAMI_DI_DOT1X: r.u.dot1x.session_remaining_ms = mark; break;
        case SAMI_DI_ACL:
            r.u.acl.lifetime_remaining_ms = mark;
            addrs[0] = r.u.acl.src;
            addrs[1] = r.u.acl.dst;
            break;
        case SAMI_DI_IGMP:
            r.u.igmp.timer_remaining_ms = mark;
            addrs[0] = r.u.igmp.group;
            addrs[1] = r.u.igmp.source;
            break;
        case SAMI_DI_FIREWALL:
            r.u.firewall.expiry_remaining_ms = mark;
            r.u.firewall.flags = SAMI_DI_FW_F_NAT;
            addrs[0] = r.u.firewall.src;
            addrs[1] = r.u.firewall.dst;
            addrs[2] = r.u.firewall.nat_src;
            addrs[3] = r.u.firewall.nat_dst;
            break;
        default: break;
        }
        for (unsigned i = 0; i < MAX_ADDRS && addrs[i]; i++)
            memset(addrs[i], 0xa0 + (int)i, 16);
        if ((exp_off[t] == NO_EXP) != (sami_store_expiry_ms(&r) == SAMI_DI_INFINITE))
            return SAMI_ERR_UNSUPPORTED;
        uint8_t buf[SAMI_DI_MAX_LEN];
        struct sami_wr w;
        sami_wr_init(&w, buf, sizeof buf);
        sami_di_write(&w, &r);
        size_t n;
        if (sami_wr_finish(&w, &n) != 0 || n < VAL_SKIP)
            return SAMI_ERR_UNSUPPORTED;
        const uint8_t *v = buf + VAL_SKIP;
        n -= VAL_SKIP;
        if (exp_off[t] != NO_EXP) {
            const uint8_t *p = v + exp_off[t];
            if ((size_t)exp_off[t] + 4 > n ||
                ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) != mark)
                return SAMI_ERR_UNSUPPORTED;
        }
        for (unsigned i = 0; i < MAX_ADDRS; i++) {
            if ((addr_off[t][i] == NO_EXP) != (addrs[i] == NULL))
                return SAMI_ERR_UNSUPPORTED;
            if (!addrs[i])
                break;
            if ((size_t)addr_off[t][i] + 16 > n)
                return SAMI_ERR_UNSUPPORTED;
            for (unsigned k = 0; k < 16; k++)
                if (v[addr_off[t][i] + k] != 0xa0 + i)
                    return SAMI_ERR_UNSUPPORTED;
        }
    }
    return 0;
}

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 64;
    while (p < n && p < (UINT32_C(1) << 31))
        p <<= 1;
    return p;
}

int sami_memstore_create(const struct sami_memstore_config *cfg, struct sami_memstore **out)
{
    if (!cfg || !out || !cfg->alloc.alloc || !cfg->alloc.free)
        return SAMI_ERR_INVAL;
    *out = NULL;
    int rc = check_layout();
    if (rc)
        return rc;
    struct sami_memstore *ms = cfg->alloc.alloc(cfg->alloc.ctx, sizeof *ms);
    if (!ms)
        return SAMI_ERR_NOMEM;
    memset(ms, 0, sizeof *ms);
    ms->a = cfg->alloc;
    ms->bytes = ms->peak = sizeof *ms;
    ms->max_records = cfg->max_records;
    ms->gen = 1;
    for (unsigned c = 0; c < NCLS; c++)
        ms->partial[c] = NIL;
    int pre = cfg->presize && cfg->max_records;
    ms->nbuckets = pre ? pow2_at_least(cfg->max_records) : 1024;
    ms->buckets = buckets_new(ms, ms->nbuckets);
    if (!ms->buckets)
        ms->nbuckets = 0;
    ms->vmb = m_alloc(ms, 64 * sizeof *ms->vmb);
    if (ms->vmb) {
        ms->nvmb = 64;
        memset(ms->vmb, 0, ms->nvmb * sizeof *ms->vmb);
    }
    ms->migb = m_alloc(ms, 64 * sizeof *ms->migb);
    if (ms->migb) {
        ms->nmigb = 64;
        memset(ms->migb, 0, ms->nmigb * sizeof *ms->migb);
    }
    if (pre) {
        ms->heap = m_alloc(ms, (size_t)cfg->max_records * sizeof *ms->heap);
        ms->heap_cap = ms->heap ? cfg->max_records : 0;
    }
    if (!ms->buckets || !ms->vmb || !ms->migb || (pre && !ms->heap)) {
        sami_memstore_destroy(ms);
        return SAMI_ERR_NOMEM;
    }
    ms->fixed_index = pre;
    *out = ms;
    return 0;
}

static void set_free_entries(struct sami_memstore *ms, struct mset *s)
{
    uint32_t idx = s->head;
    while (idx != NIL) {
        uint32_t next = E(ms, idx)->next;
        ent_free_ext(ms, E(ms, idx));
        idx = next;
    }
}

void sami_memstore_destroy(struct sami_memstore *ms)
{
    if (!ms)
        return;
    /* Only the external 802.1X buffers need a walk; slots go with chunks. */
    for (uint32_t i = 0; ms->migb && i < ms->nmigb; i++) {
        struct mmig *m = ms->migb[i];
        while (m) {
            struct mmig *next = m->hnext;
            set_free_entries(ms, &m->set);
            m_free(ms, m, sizeof *m);
            m = next;
        }
    }
    for (uint32_t i = 0; ms->vmb && i < ms->nvmb; i++) {
        struct mvm *v = ms->vmb[i];
        while (v) {
            struct mvm *next = v->hnext;
            set_free_entries(ms, &v->set);
            m_free(ms, v, sizeof *v);
            v = next;
        }
    }
    for (uint32_t i = 0; i < ms->chunk_cap; i++)
        m_free(ms, ms->chunks[i], CHUNK_BYTES);
    m_free(ms, ms->chunks, (size_t)ms->chunk_cap * sizeof *ms->chunks);
    m_free(ms, ms->chunk_cls, ms->chunk_cap);
    m_free(ms, ms->buckets, (size_t)ms->nbuckets * sizeof *ms->buckets);
    m_free(ms, ms->heap, (size_t)ms->heap_cap * sizeof *ms->heap);
    m_free(ms, ms->sets, (size_t)ms->set_cap * sizeof *ms->sets);
    m_free(ms, ms->vmb, (size_t)ms->nvmb * sizeof *ms->vmb);
    m_free(ms, ms->migb, (size_t)ms->nmigb * sizeof *ms->migb);
    struct sami_allocator a = ms->a;
    a.free(a.ctx, ms);
}

struct sami_store sami_memstore_store(struct sami_memstore *ms)
{
    struct sami_store s = {&memstore_ops, ms};
    return s;
}

const struct sami_store_ops *sami_memstore_ops(void)
{
    return &memstore_ops;
}

void sami_memstore_stats(const struct sami_memstore *ms, struct sami_memstore_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!ms)
        return;
    out->records = ms->nlive;
    out->tombstones = ms->ntomb;
    out->staged = ms->nstaged;
    out->saved = ms->nsaved;
    out->vms = ms->nvms;
    out->migrations = ms->nmigs;
    out->chunks = ms->nchunks;
    out->bytes = ms->bytes;
    out->peak_bytes = ms->peak;
}
