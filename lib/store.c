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
                           const struct sami_vm_id *vm, const struct sami_store_limits *limits)
{
    return STORE_OP(s, stage_begin) ? s->ops->stage_begin(s->ctx, migration_id, vm, limits)
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
