/* DI store interface helpers: NULL-safe wrappers over a host's operations
 * table, small shared helpers, and the fixed-capacity allocator for hosts
 * without a heap (docs/STORE.md). */
#include "sami/store.h"

#include <string.h>

/* ---- wrappers ---- */

#define STORE_OP(s, op) ((s) && (s)->ops && (s)->ops->op)

int sami_store_source_begin(const struct sami_store *s, uint64_t migration_id,
                            const struct sami_vm_id *vm)
{
    return STORE_OP(s, source_begin) ? s->ops->source_begin(s->ctx, migration_id, vm)
                                     : SAMI_ERR_UNSUPPORTED;
}

int sami_store_export(const struct sami_store *s, const struct sami_vm_id *vm, uint64_t since_gen,
                      sami_usec_t now, sami_store_emit_fn emit, void *arg, uint64_t *gen_now)
{
    return STORE_OP(s, export_records)
               ? s->ops->export_records(s->ctx, vm, since_gen, now, emit, arg, gen_now)
               : SAMI_ERR_UNSUPPORTED;
}

int sami_store_freeze(const struct sami_store *s, uint64_t migration_id)
{
    return STORE_OP(s, freeze) ? s->ops->freeze(s->ctx, migration_id) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_unfreeze(const struct sami_store *s, uint64_t migration_id)
{
    return STORE_OP(s, unfreeze) ? s->ops->unfreeze(s->ctx, migration_id) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_purge(const struct sami_store *s, const struct sami_vm_id *vm)
{
    return STORE_OP(s, purge) ? s->ops->purge(s->ctx, vm) : SAMI_ERR_UNSUPPORTED;
}

void sami_store_source_end(const struct sami_store *s, uint64_t migration_id)
{
    if (STORE_OP(s, source_end))
        s->ops->source_end(s->ctx, migration_id);
}

int sami_store_stage_begin(const struct sami_store *s, uint64_t migration_id,
                           const struct sami_vm_id *vm,
                           const struct sami_store_stage_params *params)
{
    return STORE_OP(s, stage_begin) ? s->ops->stage_begin(s->ctx, migration_id, vm, params)
                                    : SAMI_ERR_UNSUPPORTED;
}

int sami_store_stage_put(const struct sami_store *s, uint64_t migration_id,
                         const struct sami_di_record *rec, sami_usec_t now)
{
    return STORE_OP(s, stage_put) ? s->ops->stage_put(s->ctx, migration_id, rec, now)
                                  : SAMI_ERR_UNSUPPORTED;
}

int sami_store_stage_foreach(const struct sami_store *s, uint64_t migration_id,
                             sami_store_emit_fn emit, void *arg)
{
    return STORE_OP(s, stage_foreach) ? s->ops->stage_foreach(s->ctx, migration_id, emit, arg)
                                      : SAMI_ERR_UNSUPPORTED;
}

int sami_store_stage_commit(const struct sami_store *s, uint64_t migration_id,
                            uint32_t elapsed_ms, sami_usec_t now)
{
    return STORE_OP(s, stage_commit) ? s->ops->stage_commit(s->ctx, migration_id, elapsed_ms, now)
                                     : SAMI_ERR_UNSUPPORTED;
}

int sami_store_activate(const struct sami_store *s, uint64_t migration_id, sami_usec_t now)
{
    return STORE_OP(s, activate) ? s->ops->activate(s->ctx, migration_id, now)
                                 : SAMI_ERR_UNSUPPORTED;
}

int sami_store_discard(const struct sami_store *s, uint64_t migration_id)
{
    return STORE_OP(s, discard) ? s->ops->discard(s->ctx, migration_id) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_put(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *rec, sami_usec_t now)
{
    return STORE_OP(s, put) ? s->ops->put(s->ctx, vm, rec, now) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_del(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *rec)
{
    return STORE_OP(s, del) ? s->ops->del(s->ctx, vm, rec) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_get(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *key, sami_usec_t now, struct sami_di_record *out)
{
    return STORE_OP(s, get) ? s->ops->get(s->ctx, vm, key, now, out) : SAMI_ERR_UNSUPPORTED;
}

sami_usec_t sami_store_expire(const struct sami_store *s, sami_usec_t now)
{
    return STORE_OP(s, expire) ? s->ops->expire(s->ctx, now) : SAMI_NO_DEADLINE;
}

int sami_store_count(const struct sami_store *s, const struct sami_vm_id *vm,
                     uint32_t per_type[SAMI_STORE_COUNTS])
{
    return STORE_OP(s, count) ? s->ops->count(s->ctx, vm, per_type) : SAMI_ERR_UNSUPPORTED;
}

int sami_store_foreach(const struct sami_store *s, const struct sami_vm_id *vm, sami_usec_t now,
                       sami_store_emit_fn emit, void *arg)
{
    return STORE_OP(s, foreach) ? s->ops->foreach(s->ctx, vm, now, emit, arg)
                                : SAMI_ERR_UNSUPPORTED;
}

int sami_store_vm_flags(const struct sami_store *s, const struct sami_vm_id *vm)
{
    return STORE_OP(s, vm_flags) ? s->ops->vm_flags(s->ctx, vm) : SAMI_ERR_UNSUPPORTED;
}

/* ---- records as element values: wrappers with a fallback ---- */

struct enc_adapter {
    sami_store_emit_value_fn emit;
    void *arg;
};

/* A struct call's record, handed on as its element value. */
static int enc_adapter_emit(void *arg, const struct sami_di_record *rec)
{
    const struct enc_adapter *a = arg;
    uint8_t val[SAMI_DI_MAX_LEN];
    size_t n = 0;
    if (sami_di_encode(rec, val, sizeof val, &n) != 0)
        return 0; /* cannot be expressed as a value: skipped */
    return a->emit(a->arg, rec->type, val, n);
}

int sami_store_export_values(const struct sami_store *s, const struct sami_vm_id *vm,
                             uint64_t since_gen, sami_usec_t now, sami_store_emit_value_fn emit,
                             void *arg, uint64_t *gen_now)
{
    if (STORE_OP(s, export_values))
        return s->ops->export_values(s->ctx, vm, since_gen, now, emit, arg, gen_now);
    if (!emit)
        return SAMI_ERR_INVAL;
    struct enc_adapter a = {emit, arg};
    return sami_store_export(s, vm, since_gen, now, enc_adapter_emit, &a, gen_now);
}

int sami_store_stage_put_values(const struct sami_store *s, uint64_t migration_id,
                                const struct sami_store_value *recs, size_t n, sami_usec_t now,
                                size_t *applied)
{
    size_t done = 0;
    if (!applied)
        applied = &done;
    *applied = 0;
    if (STORE_OP(s, stage_put_values))
        return n ? s->ops->stage_put_values(s->ctx, migration_id, recs, n, now, applied) : 0;
    if (!STORE_OP(s, stage_put))
        return SAMI_ERR_UNSUPPORTED;
    if (n && !recs)
        return SAMI_ERR_INVAL;
    for (size_t i = 0; i < n; i++) {
        struct sami_di_record rec;
        int rc = sami_di_decode(recs[i].type, recs[i].value, recs[i].len, &rec, NULL);
        if (!rc)
            rc = s->ops->stage_put(s->ctx, migration_id, &rec, now);
        if (rc)
            return rc;
        *applied = i + 1;
    }
    return 0;
}

int sami_store_stage_foreach_values(const struct sami_store *s, uint64_t migration_id,
                                    sami_store_emit_value_fn emit, void *arg)
{
    if (STORE_OP(s, stage_foreach_values))
        return s->ops->stage_foreach_values(s->ctx, migration_id, emit, arg);
    if (!emit)
        return SAMI_ERR_INVAL;
    struct enc_adapter a = {emit, arg};
    return sami_store_stage_foreach(s, migration_id, enc_adapter_emit, &a);
}

int sami_store_has_put_values(const struct sami_store *s)
{
    return STORE_OP(s, stage_put_values) ? 1 : 0;
}

/* ---- helpers ---- */

int sami_store_vm_equal(const struct sami_vm_id *a, const struct sami_vm_id *b)
{
    if (!a || !b)
        return 0;
    return a->id_format == b->id_format && memcmp(a->id, b->id, sizeof a->id) == 0;
}

uint32_t sami_store_elapsed_ms(sami_usec_t then, sami_usec_t now)
{
    if (now <= then)
        return 0;
    uint64_t ms = (now - then) / 1000u;
    return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

uint32_t sami_store_expiry_ms(const struct sami_di_record *rec)
{
    if (!rec)
        return SAMI_DI_INFINITE;
    switch (rec->type) {
    case SAMI_DI_DHCP:
        return rec->u.dhcp.lease_remaining_ms;
    case SAMI_DI_DHCPV6:
        return rec->u.dhcpv6.lease_remaining_ms;
    case SAMI_DI_ND:
        return rec->u.nd.lifetime_remaining_ms;
    case SAMI_DI_DOT1X:
        /* re-authentication due is not the end of the session */
        return rec->u.dot1x.session_remaining_ms;
    case SAMI_DI_ACL:
        return rec->u.acl.lifetime_remaining_ms;
    case SAMI_DI_IGMP:
        return rec->u.igmp.timer_remaining_ms;
    case SAMI_DI_FIREWALL:
        return rec->u.firewall.expiry_remaining_ms;
    default:
        return SAMI_DI_INFINITE; /* counters: a window, not a lifetime */
    }
}

/* ---- element values ----
 * Offsets below count from the start of the value (version at 0, op at 1)
 * and follow the version-1 layouts of docs/PROTOCOL.md section 7;
 * tests/test_store.c checks them against sami_di_decode(), key_equal(),
 * key_hash() and rebase() for every type. */

struct vrange {
    uint8_t off, len;
};

/* Key fields in the order sami_di_key_hash() takes them (not always wire
 * order: the firewall's VLAN comes last); len 0 ends a list. */
static const struct vrange key_ranges[SAMI_DI_TYPE_MAX + 1][8] = {
    [SAMI_DI_DHCP] = {{2, 4}, {12, 2}},                 /* ipv4, vlan */
    [SAMI_DI_DHCPV6] = {{2, 16}, {24, 2}, {30, 4}},     /* ipv6, vlan, iaid */
    [SAMI_DI_ND] = {{2, 16}, {24, 2}},                  /* ipv6, vlan */
    [SAMI_DI_DOT1X] = {{2, 6}},                         /* mac */
    [SAMI_DI_ACL] = {{2, 4}},                           /* rule id */
    [SAMI_DI_IGMP] = {{2, 1}, {4, 2}, {6, 16}, {22, 16}}, /* family, vlan, group, source */
    [SAMI_DI_COUNTERS] = {{2, 1}},                      /* direction */
    /* family, protocol, src, dst, src port, dst port, vlan */
    [SAMI_DI_FIREWALL] = {{2, 1}, {3, 1}, {8, 16}, {24, 16}, {40, 2}, {42, 2}, {6, 2}},
};

/* Where the last key field of each type ends. */
static const uint8_t key_end[SAMI_DI_TYPE_MAX + 1] = {
    [SAMI_DI_DHCP] = 14, [SAMI_DI_DHCPV6] = 34, [SAMI_DI_ND] = 26,       [SAMI_DI_DOT1X] = 8,
    [SAMI_DI_ACL] = 6,   [SAMI_DI_IGMP] = 38,   [SAMI_DI_COUNTERS] = 3, [SAMI_DI_FIREWALL] = 44,
};

/* u32 timers: remaining times (count down) and ages (count up); 0 ends. */
static const uint8_t remaining_off[SAMI_DI_TYPE_MAX + 1][3] = {
    [SAMI_DI_DHCP] = {14},      [SAMI_DI_DHCPV6] = {26}, [SAMI_DI_ND] = {26},
    [SAMI_DI_DOT1X] = {12, 16}, [SAMI_DI_ACL] = {64},    [SAMI_DI_IGMP] = {38},
    [SAMI_DI_FIREWALL] = {52},
};
static const uint8_t age_off[SAMI_DI_TYPE_MAX + 1][3] = {
    [SAMI_DI_FIREWALL] = {44, 48},
};

/* Fixed value lengths; 0 = variable (802.1X, firewall). */
static const uint8_t fixed_value_len[SAMI_DI_TYPE_MAX + 1] = {
    [SAMI_DI_DHCP] = SAMI_DI_DHCP_LEN,     [SAMI_DI_DHCPV6] = SAMI_DI_DHCPV6_LEN,
    [SAMI_DI_ND] = SAMI_DI_ND_LEN,         [SAMI_DI_ACL] = SAMI_DI_ACL_LEN,
    [SAMI_DI_IGMP] = SAMI_DI_IGMP_LEN,     [SAMI_DI_COUNTERS] = SAMI_DI_COUNTERS_LEN,
};

#define FW_FLAGS_OFF 5
#define DOT1X_STRINGS_OFF 20

int sami_store_value_check(uint8_t type, const uint8_t *value, size_t len)
{
    if (type < 1 || type > SAMI_DI_TYPE_MAX)
        return SAMI_ERR_TYPE;
    if (!value)
        return SAMI_ERR_INVAL;
    if (len < 2)
        return SAMI_ERR_LENGTH;
    if (value[0] != sami_di_current_version(type))
        return SAMI_ERR_VERSION;
    if (value[1] != SAMI_DI_OP_UPSERT && value[1] != SAMI_DI_OP_DELETE)
        return SAMI_ERR_INVAL;
    size_t want = fixed_value_len[type];
    if (type == SAMI_DI_FIREWALL) {
        if (len < SAMI_DI_FIREWALL_LEN)
            return SAMI_ERR_LENGTH;
        want = (value[FW_FLAGS_OFF] & SAMI_DI_FW_F_NAT) ? SAMI_DI_FIREWALL_NAT_LEN
                                                        : SAMI_DI_FIREWALL_LEN;
    } else if (type == SAMI_DI_DOT1X) {
        /* three length-prefixed strings end the value exactly */
        size_t o = DOT1X_STRINGS_OFF;
        for (int i = 0; i < 3; i++) {
            if (o >= len || value[o] > SAMI_DI_STR_MAX)
                return SAMI_ERR_LENGTH; /* as the decoder: keeps len <= SAMI_DI_MAX_LEN */
            o += 1u + value[o];
        }
        want = o;
    }
    return len == want ? 0 : SAMI_ERR_LENGTH;
}

size_t sami_store_value_key(uint8_t type, const uint8_t *value, size_t len,
                            uint8_t key[SAMI_STORE_KEY_MAX])
{
    if (type < 1 || type > SAMI_DI_TYPE_MAX || !value || !key)
        return 0;
    const struct vrange *r = key_ranges[type];
    key[0] = type;
    /* Constant-size copies per type (this runs for every record the
     * memstore stages or re-indexes; a loop over the ranges mispredicts). */
#define KR(i, sz) memcpy(key + kn, value + r[i].off, sz), kn += sz
    size_t kn = 1;
    if (len < key_end[type])
        return 0;
    switch (type) {
    case SAMI_DI_DHCP: KR(0, 4); KR(1, 2); break;
    case SAMI_DI_DHCPV6: KR(0, 16); KR(1, 2); KR(2, 4); break;
    case SAMI_DI_ND: KR(0, 16); KR(1, 2); break;
    case SAMI_DI_DOT1X: KR(0, 6); break;
    case SAMI_DI_ACL: KR(0, 4); break;
    case SAMI_DI_IGMP: KR(0, 1); KR(1, 2); KR(2, 16); KR(3, 16); break;
    case SAMI_DI_COUNTERS: KR(0, 1); break;
    default: /* firewall */
        KR(0, 1); KR(1, 1); KR(2, 16); KR(3, 16); KR(4, 2); KR(5, 2); KR(6, 2);
        break;
    }
#undef KR
    return kn;
}

uint64_t sami_store_key_hash(const uint8_t *key, size_t n)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; key && i < n; i++) {
        h ^= key[i];
        h *= UINT64_C(0x100000001b3);
    }
    return key && n ? h : 0;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void sami_store_value_rebase(uint8_t type, uint8_t *value, size_t len, uint32_t elapsed_ms)
{
    if (elapsed_ms == 0 || sami_store_value_check(type, value, len) != 0)
        return;
    for (const uint8_t *o = remaining_off[type]; *o; o++) {
        uint32_t t = get_be32(value + *o);
        if (t != SAMI_DI_INFINITE)
            put_be32(value + *o, t > elapsed_ms ? t - elapsed_ms : 0);
    }
    for (const uint8_t *o = age_off[type]; *o; o++) {
        uint32_t t = get_be32(value + *o);
        put_be32(value + *o, t > UINT32_MAX - elapsed_ms ? UINT32_MAX : t + elapsed_ms);
    }
}

/* ---- fixed-capacity allocator ---- */

/* Every block starts with a 16-octet header holding its class, so freeing
 * needs no size and user memory stays 16-aligned. */
#define POOL_HDR 16u
#define POOL_MIN_SHIFT 5u
#define POOL_CLASSES (sizeof(((struct sami_fixed_pool *)0)->free_list) / sizeof(void *))

static int pool_class(size_t n, unsigned *cls)
{
    if (n > SIZE_MAX - POOL_HDR)
        return -1;
    size_t need = n + POOL_HDR;
    for (unsigned c = 0; c < POOL_CLASSES; c++) {
        unsigned shift = POOL_MIN_SHIFT + c;
        if (shift >= sizeof(size_t) * 8)
            return -1;
        if (need <= ((size_t)1 << shift)) {
            *cls = c;
            return 0;
        }
    }
    return -1;
}

static void *pool_alloc(void *ctx, size_t n)
{
    struct sami_fixed_pool *p = ctx;
    unsigned c;
    if (!p || pool_class(n, &c) != 0)
        return NULL;
    size_t bs = (size_t)1 << (POOL_MIN_SHIFT + c);
    unsigned char *b = p->free_list[c];
    if (b) {
        void *next;
        memcpy(&next, b + sizeof(unsigned), sizeof next);
        p->free_list[c] = next;
    } else {
        if (bs > p->size - p->used)
            return NULL;
        b = p->base + p->used;
        p->used += bs;
    }
    memcpy(b, &c, sizeof c);
    p->live += bs;
    return b + POOL_HDR;
}

static void pool_free(void *ctx, void *ptr)
{
    struct sami_fixed_pool *p = ctx;
    if (!p || !ptr)
        return;
    unsigned char *b = (unsigned char *)ptr - POOL_HDR;
    unsigned c;
    memcpy(&c, b, sizeof c);
    /* the free-list link lives in the header, after the class */
    void *next = p->free_list[c];
    memcpy(b + sizeof(unsigned), &next, sizeof next);
    p->free_list[c] = b;
    p->live -= (size_t)1 << (POOL_MIN_SHIFT + c);
}

int sami_fixed_pool_init(struct sami_fixed_pool *pool, void *buf, size_t len,
                         struct sami_allocator *out)
{
    if (!pool || !buf || !out || len < 64)
        return SAMI_ERR_INVAL;
    memset(pool, 0, sizeof *pool);
    uintptr_t a = (uintptr_t)buf;
    size_t skip = (size_t)((POOL_HDR - (a % POOL_HDR)) % POOL_HDR);
    pool->base = (unsigned char *)buf + skip;
    pool->size = len - skip;
    out->alloc = pool_alloc;
    out->free = pool_free;
    out->ctx = pool;
    return 0;
}

size_t sami_fixed_pool_in_use(const struct sami_fixed_pool *pool)
{
    return pool ? pool->live : 0;
}
