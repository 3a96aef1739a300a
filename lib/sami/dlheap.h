/* Earliest-deadline index over an engine's table (VSIs, migrations, peers).
 *
 * Engines report their next deadline once per simulator event or host
 * poll; scanning the whole table for it made a run quadratic in the load.
 * This is a binary min-heap over the table's entries that needs no memory
 * of its own: each entry embeds a struct sami_dlheap_link, which holds the
 * entry's key and heap position and, in `cell`, one cell of the heap array
 * (the heap has at most as many cells as the table has entries). Reading
 * the minimum is O(1); changing one entry's key is O(log n).
 *
 * The engine owns the keys: whenever what an entry's deadline is computed
 * from changes, it calls sami_dlheap_set with the new value
 * (SAMI_NO_DEADLINE takes the entry out). An engine that clears an entry
 * with memset must keep the link (sami_dlheap_link is heap storage even
 * for an entry that is not queued). Sans-I/O, no allocation. */
#ifndef SAMI_DLHEAP_H
#define SAMI_DLHEAP_H

#include <stddef.h>
#include <stdint.h>

#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Engine bookkeeping inside a table entry: read-only for everyone else. */
struct sami_dlheap_link {
    sami_usec_t key; /* the entry's deadline as queued; SAMI_NO_DEADLINE = not queued */
    uint32_t pos;    /* 1-based heap position, 0 = not queued */
    uint32_t cell;   /* heap cell (this entry's index + 1): index of the entry there */
};

struct sami_dlheap {
    unsigned char *base; /* the table */
    size_t stride;       /* sizeof one entry */
    size_t off;          /* offsetof(entry, link) */
    uint32_t n;          /* entries queued */
    uint32_t cap;        /* entries in the table */
};

/* Starts an empty heap over count entries of stride octets whose links sit
 * at off; resets every link. SAMI_ERR_INVAL if the table is empty or has
 * more than UINT32_MAX - 1 entries. */
int sami_dlheap_init(struct sami_dlheap *h, void *base, size_t count, size_t stride, size_t off);

/* Sets entry idx's deadline (SAMI_NO_DEADLINE: not queued). Cheap when the
 * key is unchanged. */
void sami_dlheap_set(struct sami_dlheap *h, size_t idx, sami_usec_t key);

/* Earliest queued deadline, SAMI_NO_DEADLINE when none. */
sami_usec_t sami_dlheap_min(const struct sami_dlheap *h);

/* The queued key of entry idx (SAMI_NO_DEADLINE when not queued). */
sami_usec_t sami_dlheap_key(const struct sami_dlheap *h, size_t idx);

/* Brute force over the table's links, for tests: 0 when the heap is
 * consistent (positions, cells, heap order) and its minimum equals the
 * smallest key of the entries that say they are queued. */
int sami_dlheap_check(const struct sami_dlheap *h);

#ifdef __cplusplus
}
#endif
#endif
