/* samid DI preload file (store { preload = FILE }): DI records put into the
 * DI store when samid starts, e.g. static DHCP bindings or standing ACLs, and
 * a way to try migrations without real traffic. Format in
 * docs/SAMID-CONFIG.md ("Preload file"); one record per line:
 *
 *   vm 6b1e5a6e-2f3c-4d5e-9f00-0123456789ab dhcp ip=192.0.2.10 mac=52:54:00:12:34:56 vlan=100 lease=3600s
 *
 * The whole file is checked before anything is stored; a problem is one
 * message "FILE:LINE:COLUMN: what". Remaining times count from the `now`
 * given to the load; a later line with the same record key replaces an
 * earlier one (as a put does). */
#ifndef SAMID_PRELOAD_H
#define SAMID_PRELOAD_H

#include <stddef.h>
#include <stdint.h>

#include "sami/di.h"
#include "sami/store.h"
#include "sami/types.h"
#include "sami/vmid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMID_PRELOAD_LINE_MAX 4096 /* octets per line, newline excluded */

struct samid_preload_stats {
    size_t lines;                          /* lines read */
    size_t records;                        /* records put */
    uint32_t per_type[SAMI_STORE_COUNTS];  /* index = DI type, [0] = total */
};

/* One line (no newline needed; a trailing "\n" or "\r\n" is ignored).
 * Returns 1 with *vm and *rec filled (rec->op UPSERT, version current), 0
 * for a blank or comment line, -1 with *col (1-based column of the problem)
 * and a message in why. */
int samid_preload_parse_line(const char *line, struct sami_vm_id *vm, struct sami_di_record *rec,
                             size_t *col, char *why, size_t whylen);

/* Parses text[0..len) named name (for messages) and, if every line is
 * good, puts every record into store at now. 0, or -1 with err =
 * "NAME:LINE:COL: what" (a store refusal names the line of the record it
 * refused; the records before it stay stored). st may be NULL. */
int samid_preload_text(const char *name, const char *text, size_t len, const struct sami_store *store,
                       sami_usec_t now, struct samid_preload_stats *st, char *err, size_t errlen);

/* The same for a file. */
int samid_preload_load(const char *path, const struct sami_store *store, sami_usec_t now,
                       struct samid_preload_stats *st, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
