/* The DI store: where the protocol engines get and put a VM's dynamic
 * information (docs/STORE.md).
 *
 * The engines never own DI; the host does (samid's tables, switch firmware's
 * hardware tables, the simulator's reference store). A host plugs its store
 * in as a struct sami_store: an operations table plus an opaque context.
 * lib/memstore.c is the reference in-memory implementation.
 *
 * Roles of the calls:
 *   source bridge   source_begin, export_records, freeze, unfreeze, purge,
 *                   source_end
 *   destination     stage_begin, stage_put, stage_foreach, stage_commit,
 *                   activate, discard
 *   learners        put, del, get, expire, count, foreach, vm_flags
 *                   (samid's DHCP snooping, a preload file, tests)
 *   optional        export_values, stage_put_values, stage_foreach_values:
 *                   the same source/destination calls with records as
 *                   element values (the octets on the wire); the wrappers
 *                   fall back on the struct calls when a store lacks them
 *
 * Conventions for every call:
 * - Return 0 or a negative SAMI_ERR_* (count and vm_flags return a
 *   non-negative value on success). A failing call changes nothing.
 * - Records go in and out as struct sami_di_record, or (the optional value
 *   calls) as element values: DI type + the octets sami_di_encode() writes.
 *   A record handed to the store is copied; the store never keeps the
 *   caller's pointer. A record handed to an emit callback is valid during
 *   that callback only.
 * - "Remaining" times of records going in are relative to the `now` of the
 *   call; of records coming out, relative to that call's `now`. The store
 *   keeps times internally in whatever form it likes (memstore: the time of
 *   the put plus the record as given) and rebases with sami_di_rebase().
 * - Time is an argument (sami_usec_t, monotonic microseconds of the host);
 *   no store reads a clock.
 * - Callbacks must not call back into the same store (no re-entrancy).
 * - A VM is named by its VSI ID format and VSI ID (struct sami_vm_id, the
 *   VDP identity). type_id and type_version are NOT part of the key: the port
 *   profile of a VM may change while its DI stays its own.
 * - Generations: every change to a VM's records (put, del, expire, purge,
 *   commit, discard) moves the VM's generation forward; generations never go
 *   backwards, are never 0 for a VM the store knows, and are comparable only
 *   between exports of the same VM.
 */
#ifndef SAMI_STORE_H
#define SAMI_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "sami/di.h"
#include "sami/error.h"
#include "sami/vmid.h"
#include "sami/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- memory: lib/ takes none itself; the host hands an allocator in ---- */

/* alloc returns memory aligned for any object (max_align_t), or NULL when out
 * of memory (the store then fails the call with SAMI_ERR_NOMEM and changes
 * nothing). free accepts NULL. */
struct sami_allocator {
    void *(*alloc)(void *ctx, size_t n);
    void (*free)(void *ctx, void *p);
    void *ctx;
};

/* Fixed-capacity allocator for firmware: hands out blocks carved from one
 * caller buffer and never touches anything else. Blocks are grouped in
 * power-of-two size classes; a freed block is reused for its class only (no
 * coalescing), so a steady workload reaches a steady footprint. All fields
 * are private. */
struct sami_fixed_pool {
    unsigned char *base; /* 16-aligned start of the usable buffer */
    size_t size;         /* usable octets */
    size_t used;         /* octets handed out by the bump pointer so far */
    size_t live;         /* octets in blocks currently allocated (headers included) */
    void *free_list[28]; /* per class: blocks of 2^(class+5) octets, header included */
};

/* Prepares pool over buf[0..len) and fills *out with an allocator drawing
 * from it. buf must outlive every user of the allocator. SAMI_ERR_INVAL for
 * NULL arguments or a buffer below 64 octets. */
int sami_fixed_pool_init(struct sami_fixed_pool *pool, void *buf, size_t len,
                         struct sami_allocator *out);

/* Octets of the pool's buffer currently allocated (block headers included). */
size_t sami_fixed_pool_in_use(const struct sami_fixed_pool *pool);

/* ---- the interface ---- */

/* per_type counts: index = DI type (1..SAMI_DI_TYPE_MAX); index 0 = total. */
#define SAMI_STORE_COUNTS (SAMI_DI_TYPE_MAX + 1)

/* Called once per record. Returning non-zero stops the iteration, and the
 * iterating call returns that value (use a negative SAMI_ERR_* to tell it
 * from the store's own results, or any value you like). */
typedef int (*sami_store_emit_fn)(void *arg, const struct sami_di_record *rec);

/* Records as element values: the DI type, and value[0..len) = version, op,
 * type-specific fields: exactly the octets sami_di_encode() writes for the
 * record (docs/PROTOCOL.md section 7). Same rules as sami_store_emit_fn; the
 * octets are valid during the callback only. */
typedef int (*sami_store_emit_value_fn)(void *arg, uint8_t type, const uint8_t *value,
                                        size_t len);

/* One record as an element value, for the batch call stage_put_values. */
struct sami_store_value {
    const uint8_t *value; /* version, op, fields */
    uint16_t len;
    uint8_t type; /* DI type */
};

/* Parameters of one migration's staging area (stage_begin). */
struct sami_store_stage_params {
    uint32_t max_records;   /* distinct keys staged at once; 0 = only the global limit */
    uint32_t replace_types; /* DI types the commit carries in full (bit t = type t, as
                               SAMI_DI_TYPE_BIT): the commit is then the VM's whole set of
                               these types, so its records of them that were not staged
                               go too (kept aside for discard); 0 = none: the commit
                               only adds and replaces by key */
};

/* vm_flags() bits. */
#define SAMI_STORE_VM_KNOWN 0x01   /* the store holds records or state for the VM */
#define SAMI_STORE_VM_SOURCE 0x02  /* a source migration tracks it (deletions remembered) */
#define SAMI_STORE_VM_FROZEN 0x04  /* frozen: learners refused, no aging */
#define SAMI_STORE_VM_STAGING 0x08 /* a migration is staging records for it (not committed) */
#define SAMI_STORE_VM_PENDING 0x10 /* committed, not yet activated: installed, not active;
                                      learners refused, no aging, discard can undo */

struct sami_store_ops {
    /* ---- source bridge ---- */

    /* A migration of vm starts with this bridge as its source. From now until
     * source_end the store remembers deleted records (tombstones) so that
     * export_records can produce exact deltas. Several migrations may track
     * one VM. The same migration_id for the same vm again: 0 (idempotent);
     * for another vm: SAMI_ERR_EXISTS. SAMI_ERR_STATE if vm is staging or
     * pending at this bridge (a bridge cannot be both ends for one VM),
     * SAMI_ERR_LIMIT / SAMI_ERR_NOMEM. */
    int (*source_begin)(void *ctx, uint64_t migration_id, const struct sami_vm_id *vm);

    /* Emits the VM's records and sets *gen_now (may be NULL) to its current
     * generation. since_gen 0: every live record, op UPSERT. Otherwise the exact delta
     * from since_gen to *gen_now: records added or changed after since_gen as
     * UPSERT with their last value (once each, however often they changed),
     * records deleted after since_gen as DELETE (key fields set, other fields
     * as last known). A record that did not exist at since_gen and was added
     * and deleted since appears as DELETE or not at all (memstore: not at all
     * unless an export between saw it); a DELETE for a key the receiver does
     * not hold is a no-op there.
     * since_gen must be 0 or a *gen_now returned by an export of this VM made
     * while a source migration (still not ended) tracked it; older than that:
     * SAMI_ERR_STATE (deletions not remembered so far back: export from 0);
     * above the VM's generation: SAMI_ERR_INVAL. Remaining times are relative
     * to now. An unknown VM exports nothing; *gen_now is then a generation
     * (>= 1) that every later change of the VM will exceed.
     * Returns 0, or emit's non-zero value (the export stopped there; *gen_now
     * is still set, but the delta was not delivered whole). */
    int (*export_records)(void *ctx, const struct sami_vm_id *vm, uint64_t since_gen,
                          sami_usec_t now, sami_store_emit_fn emit, void *arg,
                          uint64_t *gen_now);

    /* The VM of source migration migration_id stopped (SUSPENDED): until
     * unfreeze or source_end, put/del on it fail with SAMI_ERR_STATE and
     * expire leaves its records alone, so the final delta is exact (times
     * still run: exported remaining times keep falling, to 0 at most).
     * Idempotent. SAMI_ERR_NOTFOUND if no such source migration. */
    int (*freeze)(void *ctx, uint64_t migration_id);

    /* Undoes this migration's freeze (ABORTED: the VM runs on here). The VM
     * stays frozen while another of its source migrations froze it.
     * Idempotent. SAMI_ERR_NOTFOUND if no such source migration. Records
     * that expired while frozen go at the next expire(). */
    int (*unfreeze)(void *ctx, uint64_t migration_id);

    /* Removes every record of vm (source, after the destination activated;
     * or an operator's "forget this VM"). Works on a frozen VM. While a
     * source migration tracks the VM the removals are remembered like any
     * delete. SAMI_ERR_STATE if vm is pending at this bridge (activate or
     * discard first). Purging a VM with no records: 0. */
    int (*purge)(void *ctx, const struct sami_vm_id *vm);

    /* The source migration ended (COMPLETED, ABORTED, failed): its freeze is
     * released; when no other source migration tracks the VM its tombstones
     * are dropped. Unknown migration_id: no-op (safe to call twice). */
    void (*source_end)(void *ctx, uint64_t migration_id);

    /* ---- destination bridge ---- */

    /* Opens the staging area of migration_id for vm. params may be NULL
     * (no per-migration limit, nothing replaced by type). SAMI_ERR_EXISTS
     * if migration_id is already staging or pending; SAMI_ERR_STATE if
     * another migration is staging or pending for vm, or vm is tracked as a
     * source here; SAMI_ERR_LIMIT / SAMI_ERR_NOMEM. */
    int (*stage_begin)(void *ctx, uint64_t migration_id, const struct sami_vm_id *vm,
                       const struct sami_store_stage_params *params);

    /* Applies one received record to the staging area only (the live
     * records do not change): UPSERT adds or replaces the staged record with
     * that key, DELETE removes it (no staged record with that key: 0).
     * rec's remaining times are relative to now; the store keeps counting
     * from now while the record waits (rebase records by their batch's
     * SNAPSHOT TIME before calling, if you want that exactness).
     * Errors: sami_di_validate()'s (TYPE, VERSION, VALUE, INVAL) and
     * SAMI_ERR_INVAL for an op other than UPSERT/DELETE, leaving the area as
     * it was; SAMI_ERR_LIMIT (per-migration or global) and SAMI_ERR_NOMEM,
     * which also poison the area: the set is incomplete, so stage_commit
     * and every later stage_put fail with that error (discard it).
     * SAMI_ERR_NOTFOUND (no such
     * staging), SAMI_ERR_STATE (already committed). */
    int (*stage_put)(void *ctx, uint64_t migration_id, const struct sami_di_record *rec,
                     sami_usec_t now);

    /* Emits the staged records exactly as staged (op UPSERT, times as given
     * to stage_put), e.g. to count them and check the COMMIT digest before
     * committing. SAMI_ERR_NOTFOUND, SAMI_ERR_STATE (already committed). */
    int (*stage_foreach)(void *ctx, uint64_t migration_id, sami_store_emit_fn emit, void *arg);

    /* Installs the staged set, atomically: every staged record replaces the
     * VM's record with the same key or is added; the VM's other records of
     * the params' replace_types are removed (an earlier stay's leftovers:
     * the commit is everything of those types); its records of other types
     * stay. On any error nothing changes. Installed records
     * are rebased with sami_di_rebase() by elapsed_ms (the time the transfer
     * took, from the source's snapshot to receipt; SAMI_DI_INFINITE stays)
     * plus the time each record waited since its stage_put. The VM becomes
     * PENDING (installed, not active) until activate or discard. An empty
     * staging area commits (installs nothing). Errors: SAMI_ERR_NOTFOUND,
     * SAMI_ERR_STATE (already committed), the error that poisoned the area
     * (SAMI_ERR_LIMIT, SAMI_ERR_NOMEM). */
    int (*stage_commit)(void *ctx, uint64_t migration_id, uint32_t elapsed_ms, sami_usec_t now);

    /* The VM runs here (RESUMED): installed records become active, learners
     * and aging resume, discard can no longer undo; the migration is
     * forgotten. SAMI_ERR_NOTFOUND, SAMI_ERR_STATE (not committed). */
    int (*activate)(void *ctx, uint64_t migration_id, sami_usec_t now);

    /* Rolls migration_id back. Before commit: drops the staging area. After
     * commit (before activate): removes exactly the records the commit
     * installed and puts back exactly the records it replaced or removed
     * (with their own times); nothing else is touched. The migration is
     * forgotten.
     * SAMI_ERR_NOTFOUND if unknown (never started, activated, or discarded:
     * safe to call twice). */
    int (*discard)(void *ctx, uint64_t migration_id);

    /* ---- learners and queries ---- */

    /* Adds or replaces (by key) one record of vm; rec->op is ignored.
     * Remaining times are relative to now. Errors: sami_di_validate()'s;
     * SAMI_ERR_STATE if vm is frozen or pending; SAMI_ERR_LIMIT (global);
     * SAMI_ERR_NOMEM. */
    int (*put)(void *ctx, const struct sami_vm_id *vm, const struct sami_di_record *rec,
               sami_usec_t now);

    /* Removes the record of vm with rec's key (only type and key fields are
     * read). SAMI_ERR_NOTFOUND, SAMI_ERR_STATE (frozen or pending),
     * SAMI_ERR_INVAL / SAMI_ERR_TYPE. */
    int (*del)(void *ctx, const struct sami_vm_id *vm, const struct sami_di_record *rec);

    /* Copies the live record of vm with key's key into *out (op UPSERT,
     * times relative to now). SAMI_ERR_NOTFOUND, SAMI_ERR_INVAL / TYPE. */
    int (*get)(void *ctx, const struct sami_vm_id *vm, const struct sami_di_record *key,
               sami_usec_t now, struct sami_di_record *out);

    /* Ages out every record whose expiring timer has reached 0 at now
     * (DHCP/DHCPv6 lease, ND lifetime, 802.1X session, ACL lifetime,
     * IGMP/MLD timer, firewall expiry; counters and SAMI_DI_INFINITE never
     * expire), except records of frozen or pending VMs. Returns the next time
     * a record will expire (> now), or SAMI_NO_DEADLINE. */
    sami_usec_t (*expire)(void *ctx, sami_usec_t now);

    /* Live records of vm per type; per_type may be NULL. Returns the total
     * (>= 0; an unknown VM has 0), or a negative error. */
    int (*count)(void *ctx, const struct sami_vm_id *vm, uint32_t per_type[SAMI_STORE_COUNTS]);

    /* Emits every live record of vm (op UPSERT, times relative to now),
     * pending ones included (see vm_flags). Unknown VM: 0, nothing emitted. */
    int (*foreach)(void *ctx, const struct sami_vm_id *vm, sami_usec_t now,
                   sami_store_emit_fn emit, void *arg);

    /* SAMI_STORE_VM_* bits of vm (0 if unknown), or a negative error. */
    int (*vm_flags)(void *ctx, const struct sami_vm_id *vm);

    /* ---- optional: records as element values (docs/STORE.md) ----
     * The transfer engine receives and sends records as element values; a
     * store that keeps records encoded (the memstore, most hardware tables)
     * saves a decode and an encode per record and hop by offering these.
     * NULL: the sami_store_* wrappers fall back on the struct calls above,
     * decoding / encoding in between, so a store need not implement them. */

    /* export_records with the records emitted as element values (op UPSERT
     * or DELETE, times relative to now): the octets sami_di_encode() writes
     * for the record export_records would emit. Same arguments, results
     * and generations. */
    int (*export_values)(void *ctx, const struct sami_vm_id *vm, uint64_t since_gen,
                         sami_usec_t now, sami_store_emit_value_fn emit, void *arg,
                         uint64_t *gen_now);

    /* stage_put of recs[0..n), in order, each given as an element value
     * the caller has already validated: sami_di_decode() accepted it (the
     * transfer engine decodes every received record once while opening its
     * batch). The store may trust the field values, but must still check
     * the structure (sami_store_value_check(): SAMI_ERR_TYPE, VERSION,
     * LENGTH, INVAL for the op) and never read outside a value. A batch
     * lets a store work ahead (the memstore prefetches the hash buckets of
     * the next records). Returns 0 with *applied = n; or stops at the
     * first record that fails, returning stage_put's error for it (the
     * poisoning ones included), with *applied = the records before it,
     * which stay applied; that record and the rest are not. */
    int (*stage_put_values)(void *ctx, uint64_t migration_id, const struct sami_store_value *recs,
                            size_t n, sami_usec_t now, size_t *applied);

    /* stage_foreach with the staged records emitted as element values (op
     * UPSERT, times as staged): what the COMMIT digest is computed over. */
    int (*stage_foreach_values)(void *ctx, uint64_t migration_id, sami_store_emit_value_fn emit,
                                void *arg);
};

struct sami_store {
    const struct sami_store_ops *ops;
    void *ctx;
};

/* Wrappers: check s, s->ops and the operation (NULL operation ->
 * SAMI_ERR_UNSUPPORTED, or SAMI_NO_DEADLINE for expire, nothing for
 * source_end), then call it with s->ctx. */
int sami_store_source_begin(const struct sami_store *s, uint64_t migration_id,
                            const struct sami_vm_id *vm);
int sami_store_export(const struct sami_store *s, const struct sami_vm_id *vm, uint64_t since_gen,
                      sami_usec_t now, sami_store_emit_fn emit, void *arg, uint64_t *gen_now);
int sami_store_freeze(const struct sami_store *s, uint64_t migration_id);
int sami_store_unfreeze(const struct sami_store *s, uint64_t migration_id);
int sami_store_purge(const struct sami_store *s, const struct sami_vm_id *vm);
void sami_store_source_end(const struct sami_store *s, uint64_t migration_id);
int sami_store_stage_begin(const struct sami_store *s, uint64_t migration_id,
                           const struct sami_vm_id *vm,
                           const struct sami_store_stage_params *params);
int sami_store_stage_put(const struct sami_store *s, uint64_t migration_id,
                         const struct sami_di_record *rec, sami_usec_t now);
int sami_store_stage_foreach(const struct sami_store *s, uint64_t migration_id,
                             sami_store_emit_fn emit, void *arg);
int sami_store_stage_commit(const struct sami_store *s, uint64_t migration_id,
                            uint32_t elapsed_ms, sami_usec_t now);
int sami_store_activate(const struct sami_store *s, uint64_t migration_id, sami_usec_t now);
int sami_store_discard(const struct sami_store *s, uint64_t migration_id);
int sami_store_put(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *rec, sami_usec_t now);
int sami_store_del(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *rec);
int sami_store_get(const struct sami_store *s, const struct sami_vm_id *vm,
                   const struct sami_di_record *key, sami_usec_t now, struct sami_di_record *out);
sami_usec_t sami_store_expire(const struct sami_store *s, sami_usec_t now);
int sami_store_count(const struct sami_store *s, const struct sami_vm_id *vm,
                     uint32_t per_type[SAMI_STORE_COUNTS]);
int sami_store_foreach(const struct sami_store *s, const struct sami_vm_id *vm, sami_usec_t now,
                       sami_store_emit_fn emit, void *arg);
int sami_store_vm_flags(const struct sami_store *s, const struct sami_vm_id *vm);

/* The optional value calls. When the store lacks one, the wrapper does the
 * same through the struct call: export_values / stage_foreach_values encode
 * each record the struct call emits (a record that does not encode is
 * skipped: it could not be sent either), stage_put_values decodes each
 * value (its errors are sami_di_decode()'s) and calls stage_put. applied
 * may be NULL. */
int sami_store_export_values(const struct sami_store *s, const struct sami_vm_id *vm,
                             uint64_t since_gen, sami_usec_t now, sami_store_emit_value_fn emit,
                             void *arg, uint64_t *gen_now);
int sami_store_stage_put_values(const struct sami_store *s, uint64_t migration_id,
                                const struct sami_store_value *recs, size_t n, sami_usec_t now,
                                size_t *applied);
int sami_store_stage_foreach_values(const struct sami_store *s, uint64_t migration_id,
                                    sami_store_emit_value_fn emit, void *arg);

/* Whether the store implements stage_put_values itself (a caller that has
 * each record decoded anyway calls stage_put otherwise, sparing the
 * wrapper's second decode). */
int sami_store_has_put_values(const struct sami_store *s);

/* Whether a and b name the same VM (VSI ID format and VSI ID; type id and
 * version ignored). NULL never equals anything. */
int sami_store_vm_equal(const struct sami_vm_id *a, const struct sami_vm_id *b);

/* Time from the store's anchor to now in whole ms, clamped to 0 (now before
 * then) and UINT32_MAX: the elapsed_ms to hand to sami_di_rebase(). */
uint32_t sami_store_elapsed_ms(sami_usec_t then, sami_usec_t now);

/* Expiring timer of a record: the remaining ms after which expire() removes
 * it (DHCP/DHCPv6 lease, ND lifetime, 802.1X session, ACL lifetime, IGMP/MLD
 * timer, firewall expiry), SAMI_DI_INFINITE for counters and unknown types. */
uint32_t sami_store_expiry_ms(const struct sami_di_record *rec);

/* ---- helpers on element values (for stores that keep records encoded) ----
 * value[0..len) is an element value of DI type `type` (version, op,
 * fields). They read fields at their fixed offsets in the version-1
 * layouts: no decode, no struct. */

/* Structure of an element value: SAMI_ERR_TYPE (unknown type), SAMI_ERR_VERSION
 * (not the type's current version), SAMI_ERR_LENGTH (not the layout's
 * length: fixed per type; 802.1X: the three length-prefixed strings fill it
 * exactly; firewall: 56, or 92 with the NAT flag), SAMI_ERR_INVAL (NULL
 * value, or an op other than UPSERT / DELETE). Field values are NOT
 * checked (sami_di_decode() does that). 0 when the offsets below are safe. */
int sami_store_value_check(uint8_t type, const uint8_t *value, size_t len);

/* Largest key: the type octet and the firewall's 40 octets of key fields. */
#define SAMI_STORE_KEY_MAX 48

/* The key of a record as octets: its type and its key fields in wire byte
 * order (the fields sami_di_key_equal() compares, the octets
 * sami_di_key_hash() hashes). Two records have equal keys exactly when
 * their key octets are equal. Returns the length, or 0 for an unknown type
 * or a value too short to hold the key fields. Only the key fields are
 * read, so a record with invalid other fields (a del() key) works too. */
size_t sami_store_value_key(uint8_t type, const uint8_t *value, size_t len,
                            uint8_t key[SAMI_STORE_KEY_MAX]);

/* FNV-1a-64 of key octets: equal to sami_di_key_hash() of the record. */
uint64_t sami_store_key_hash(const uint8_t *key, size_t n);

/* sami_di_rebase() on an element value, in place: every remaining time
 * drops by elapsed_ms (saturating at 0, SAMI_DI_INFINITE stays), every age
 * grows by it (saturating). A value failing sami_store_value_check() is
 * left alone. */
void sami_store_value_rebase(uint8_t type, uint8_t *value, size_t len, uint32_t elapsed_ms);

#ifdef __cplusplus
}
#endif
#endif
