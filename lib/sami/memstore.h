/* The reference in-memory DI store (docs/STORE.md): implements every call
 * of struct sami_store_ops for all DI types, in memory taken from the
 * host's allocator (or a struct sami_fixed_pool on firmware).
 *
 * Records are kept compactly: each one is its DI wire encoding (not the
 * 792-octet struct sami_di_record) behind a 36-octet header, in a slot of
 * the smallest of nine size classes that fits (52..128 octets); a value too
 * long for the largest slot (802.1X with long strings) lives in a separate
 * allocation of exactly its size. Slots live in 8 KiB chunks. Lookups are
 * O(1) through one hash table keyed by (VM, type, key octets read from the
 * stored value; a staging area hashes as its VM); expiry through a binary
 * heap of deadlines. It implements the optional value calls too
 * (export_values, stage_put_values, stage_foreach_values): records go
 * between the transfer engine and the store as octets, never decoded. */
#ifndef SAMI_MEMSTORE_H
#define SAMI_MEMSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "sami/store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sami_memstore;

struct sami_memstore_config {
    /* Where every octet comes from (required). */
    struct sami_allocator alloc;
    /* Global limit on records held: live + tombstones + staged + records a
     * pending commit replaced (kept for discard). Exceeding it is
     * SAMI_ERR_LIMIT. 0 = unlimited (bounded by the allocator). */
    uint32_t max_records;
    /* With max_records set: size the hash table, the expiry heap and the
     * chunk table for max_records once at create, so later calls allocate
     * only record chunks, VM / migration objects and long 802.1X strings
     * (the firmware mode, with a struct sami_fixed_pool). */
    int presize;
};

struct sami_memstore_stats {
    uint32_t records;    /* live records (all VMs, pending ones included) */
    uint32_t tombstones; /* deletions remembered for source migrations */
    uint32_t staged;     /* records in staging areas */
    uint32_t saved;      /* records a pending commit replaced or removed */
    uint32_t vms;        /* VM objects */
    uint32_t migrations; /* source + destination migrations */
    uint32_t chunks;     /* 8 KiB record chunks */
    size_t bytes;        /* octets currently taken from the allocator */
    size_t peak_bytes;   /* high-water mark of bytes */
};

/* Creates a store. SAMI_ERR_INVAL (NULL, no alloc/free), SAMI_ERR_NOMEM. */
int sami_memstore_create(const struct sami_memstore_config *cfg, struct sami_memstore **out);

/* Frees everything (NULL is fine). */
void sami_memstore_destroy(struct sami_memstore *ms);

/* The store as a struct sami_store for the engines. */
struct sami_store sami_memstore_store(struct sami_memstore *ms);

/* The operations table (ctx = the struct sami_memstore *). */
const struct sami_store_ops *sami_memstore_ops(void);

void sami_memstore_stats(const struct sami_memstore *ms, struct sami_memstore_stats *out);

#ifdef __cplusplus
}
#endif
#endif
