/* libFuzzer harness: the DHCP snooping learner (lib/dhcpsnoop.c) feeding a
 * memstore with a record limit.
 *
 * Input: octet 0 = port VLAN (0..4094 from two octets) and options, then
 * operations: [op][len16][frame] (op bit 0..1: 0/1 frame, 2 time step,
 * 3 freeze / unfreeze VM 0). The client's VM comes from the chaddr's last
 * octet (4 VMs; 5 and up: no VSI, UNKNOWN_VM).
 *
 * Invariants: sami_dhcpsnoop_decode keeps the error contract (named field,
 * offset within the frame, matching code) and the event is consistent
 * (kind vs ignored, VLAN <= 4094, lease only with has_lease); input returns
 * an outcome 0..4 or a negative code, the decode error exactly when decode
 * fails (and then nothing in the store changed, last_err the same as
 * decode's); LEARNED means the record {yiaddr, VLAN} with that MAC is in the
 * VM's store now; REMOVED means the binding named is gone; the store never
 * holds more DHCP records than its limit (the binding table is bounded);
 * counters add up. */
#include "common.h"
#include "sami/dhcpsnoop.h"
#include "sami/memstore.h"
#include "sami/store.h"

#define NVM 4
#define MAXREC 32

static void *d_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void d_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static struct sami_vm_id VMS[NVM];

static int lookup(void *ctx, const uint8_t mac[6], uint16_t vlan, struct sami_vm_id *vm)
{
    (void)ctx;
    FUZZ_CHECK(vlan <= 4094);
    if (mac[5] >= NVM)
        return SAMI_ERR_NOTFOUND;
    *vm = VMS[mac[5]];
    return 0;
}

static int total(const struct sami_store *st)
{
    int n = 0;
    for (int k = 0; k < NVM; k++) {
        int c = sami_store_count(st, &VMS[k], NULL);
        FUZZ_CHECK(c >= 0);
        n += c;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    struct sami_memstore *ms = NULL;
    struct sami_memstore_config mc;
    struct sami_dhcpsnoop s;
    sami_usec_t now = SAMI_SEC(10);
    int frozen = 0;

    for (int k = 0; k < NVM; k++) {
        memset(&VMS[k], 0, sizeof VMS[k]);
        VMS[k].type_id = 1;
        VMS[k].id_format = 5;
        VMS[k].id[15] = (uint8_t)k;
    }
    memset(&mc, 0, sizeof mc);
    mc.alloc = (struct sami_allocator){d_alloc, d_free, NULL};
    mc.max_records = MAXREC;
    FUZZ_CHECK(sami_memstore_create(&mc, &ms) == 0);
    struct sami_store st = sami_memstore_store(ms);
    sami_dhcpsnoop_init(&s);
    uint16_t port_vlan = fz_u16(&in) % 4100; /* 4095..4099: INVAL */

    for (unsigned steps = 0; in.n > 0 && steps < 256; steps++) {
        uint8_t op = fz_u8(&in);
        if ((op & 3) == 2) {
            now += (sami_usec_t)fz_u16(&in) << (op >> 4);
            (void)sami_store_expire(&st, now);
            continue;
        }
        if ((op & 3) == 3) {
            /* a migration freezes VM 0: the learner must get STATE */
            if (!frozen) {
                FUZZ_CHECK(sami_store_source_begin(&st, 1, &VMS[0]) == 0);
                FUZZ_CHECK(sami_store_freeze(&st, 1) == 0);
            } else {
                sami_store_source_end(&st, 1);
            }
            frozen = !frozen;
            continue;
        }
        size_t len = 0;
        const uint8_t *p = fz_view(&in, fz_u16(&in) % 1600, &len);
        uint8_t *f = malloc(len ? len : 1); /* exact size: ASan sees any overread */
        FUZZ_CHECK(f != NULL);
        if (len)
            memcpy(f, p, len);

        struct sami_dhcpsnoop_event ev;
        struct sami_err err;
        fz_err_reset(&err);
        int drc = sami_dhcpsnoop_decode(f, len, port_vlan, &ev, &err);
        fz_check_err(drc, &err, len, "sami_dhcpsnoop_decode");
        if (port_vlan > 4094)
            FUZZ_CHECK(drc == SAMI_ERR_INVAL);
        if (drc == 0) {
            FUZZ_CHECK(ev.kind <= SAMI_DHCPSNOOP_DECLINE && ev.ignored < SAMI_DHCPSNOOP_IGN_COUNT);
            FUZZ_CHECK((ev.kind == SAMI_DHCPSNOOP_NONE) == (ev.ignored != SAMI_DHCPSNOOP_IGN_NONE));
            FUZZ_CHECK(ev.vlan <= 4094 && ev.overload <= 3);
            FUZZ_CHECK(ev.has_lease || ev.lease_s == 0 || ev.kind != SAMI_DHCPSNOOP_ACK);
            if (ev.client_id)
                FUZZ_CHECK(ev.client_id >= f && ev.client_id + ev.client_id_len <= f + len);
            (void)sami_dhcpsnoop_kind_name(ev.kind);
            (void)sami_dhcpsnoop_ignored_name(ev.ignored);
            struct sami_di_record r;
            int rrc = sami_dhcpsnoop_record(&ev, &r);
            if (ev.kind == SAMI_DHCPSNOOP_NONE || ev.kind == SAMI_DHCPSNOOP_NAK)
                FUZZ_CHECK(rrc == SAMI_ERR_INVAL);
            else
                FUZZ_CHECK(rrc == 0 && sami_di_validate(&r) == 0);
        }

        int before = total(&st);
        int rc = sami_dhcpsnoop_input(&s, now, port_vlan, f, len, &st, lookup, NULL);
        FUZZ_CHECK(rc <= SAMI_DHCPSNOOP_UNKNOWN_VM);
        if (drc < 0) {
            /* a bad frame: its decode error, nothing learned or removed */
            FUZZ_CHECK(rc == drc && total(&st) == before);
            FUZZ_CHECK(s.last_err.code == drc && s.last_err.offset == err.offset &&
                       s.last_err.what == err.what);
        } else if (rc == SAMI_DHCPSNOOP_LEARNED) {
            FUZZ_CHECK(ev.kind == SAMI_DHCPSNOOP_ACK && ev.client_mac[5] < NVM);
            struct sami_di_record key, got;
            FUZZ_CHECK(sami_dhcpsnoop_record(&ev, &key) == 0);
            FUZZ_CHECK(sami_store_get(&st, &VMS[ev.client_mac[5]], &key, now, &got) == 0);
            FUZZ_CHECK(memcmp(got.u.dhcp.mac, ev.client_mac, 6) == 0);
        } else if (rc == SAMI_DHCPSNOOP_REMOVED) {
            FUZZ_CHECK(ev.kind != SAMI_DHCPSNOOP_NONE && ev.kind != SAMI_DHCPSNOOP_ACK);
            FUZZ_CHECK(total(&st) < before);
            if (ev.kind != SAMI_DHCPSNOOP_NAK) {
                struct sami_di_record key, got;
                FUZZ_CHECK(sami_dhcpsnoop_record(&ev, &key) == 0);
                FUZZ_CHECK(sami_store_get(&st, &VMS[ev.client_mac[5]], &key, now, &got) ==
                           SAMI_ERR_NOTFOUND);
            }
        } else if (rc >= 0) {
            FUZZ_CHECK(total(&st) == before);
        }
        /* the binding table is bounded by the store's limit */
        FUZZ_CHECK(total(&st) <= MAXREC);
        free(f);
    }

    const struct sami_dhcpsnoop_counters *c = &s.counters;
    FUZZ_CHECK(c->bad_checksum <= c->malformed && c->malformed <= c->frames);
    FUZZ_CHECK(c->learned <= c->acks);
    FUZZ_CHECK(c->acks + c->naks + c->releases + c->declines + c->malformed <= c->frames);
    sami_memstore_destroy(ms);
    return 0;
}
