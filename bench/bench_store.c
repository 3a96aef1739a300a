/* bench_store: memory per DI record in the reference store (lib/memstore.c),
 * docs/PERFORMANCE.md "Memory". For each DI type and for a mix, puts
 * VMS x PER_VM records (default 100,000 x 10 = 1M) into one memstore and
 * reports, per record:
 *   store   octets the store asked its allocator for (sami_memstore_stats),
 *           every index included; the figure the <= 128 goal is about;
 *   heap    what glibc malloc really hands out for those requests
 *           (malloc_usable_size + the 8-octet chunk header);
 *   rss     growth of the process's resident set over the run.
 * Each case runs in a child process so its RSS starts from the same baseline.
 *
 * usage: bench_store [--vms N] [--per-vm K] [--case NAME] [--quick] [--list] */
#define _GNU_SOURCE 1
#include <getopt.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sami/memstore.h"
#include "sami/store.h"
#include "bench_addr.h"

/* ---- counting allocator ---- */

struct acct {
    size_t heap; /* usable size + chunk header of live blocks */
    long live;
};

static void *a_alloc(void *ctx, size_t n)
{
    struct acct *a = ctx;
    void *p = malloc(n);
    if (p) {
        a->heap += malloc_usable_size(p) + sizeof(size_t);
        a->live++;
    }
    return p;
}

static void a_free(void *ctx, void *p)
{
    struct acct *a = ctx;
    if (p) {
        a->heap -= malloc_usable_size(p) + sizeof(size_t);
        a->live--;
        free(p);
    }
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* ---- records ---- */

enum kind {
    K_DHCP,
    K_DHCPV6,
    K_ND,
    K_DOT1X,
    K_ACL6,
    K_ACL4,
    K_IGMP4,
    K_MLD,
    K_COUNTERS,
    K_FW4,
    K_FW6,
    K_FW4_NAT,
    K_FW6_NAT,
    K_COUNT
};

static const char *const kind_name[K_COUNT] = {
    "dhcp",  "dhcpv6", "nd",       "dot1x", "acl-ipv6", "acl-ipv4",    "igmp-ipv4",
    "mld",   "counters", "fw-ipv4", "fw-ipv6", "fw-ipv4-nat", "fw-ipv6-nat"};

/* Record j (0-based within its VM) of kind k for VM vm; keys are distinct
 * within a VM for every j (counters: only 2 exist per VM, by direction). */
static void make(struct sami_di_record *r, enum kind k, uint32_t vm, uint32_t j)
{
    uint32_t u = vm * 16u + j; /* unique per record, so addresses do not repeat */

    memset(r, 0, sizeof *r);
    r->op = SAMI_DI_OP_UPSERT;
    switch (k) {
    case K_DHCP:
        r->type = SAMI_DI_DHCP;
        mac_of(r->u.dhcp.mac, vm);
        r->u.dhcp.ipv4[0] = 10;
        r->u.dhcp.ipv4[1] = (uint8_t)(u >> 16);
        r->u.dhcp.ipv4[2] = (uint8_t)(u >> 8);
        r->u.dhcp.ipv4[3] = (uint8_t)u;
        r->u.dhcp.vlan = 100;
        r->u.dhcp.lease_remaining_ms = 3600000;
        break;
    case K_DHCPV6:
        r->type = SAMI_DI_DHCPV6;
        mac_of(r->u.dhcpv6.mac, vm);
        v6(r->u.dhcpv6.ipv6, 1, u);
        r->u.dhcpv6.iaid = vm;
        r->u.dhcpv6.vlan = 100;
        r->u.dhcpv6.lease_remaining_ms = 3600000;
        break;
    case K_ND:
        r->type = SAMI_DI_ND;
        mac_of(r->u.nd.mac, vm);
        v6(r->u.nd.ipv6, 2, u);
        r->u.nd.vlan = 100;
        r->u.nd.state = SAMI_DI_ND_VALID;
        r->u.nd.lifetime_remaining_ms = 600000;
        break;
    case K_DOT1X:
        /* A realistic session: 16-hex-digit Acct-Session-Id, user@realm
         * identity, a short filter id (46 octets of strings, as STORE.md). */
        r->type = SAMI_DI_DOT1X;
        mac_of(r->u.dot1x.mac, u);
        r->u.dot1x.authorized = 1;
        r->u.dot1x.eap_method = 13; /* EAP-TLS */
        r->u.dot1x.vlan = 100;
        r->u.dot1x.session_remaining_ms = 28800000;
        r->u.dot1x.session_id_len =
            (uint8_t)snprintf(r->u.dot1x.session_id, sizeof r->u.dot1x.session_id, "%016x", u);
        r->u.dot1x.identity_len = (uint8_t)snprintf(
            r->u.dot1x.identity, sizeof r->u.dot1x.identity, "vm%07u@example.net", vm % 10000000u);
        r->u.dot1x.filter_id_len =
            (uint8_t)snprintf(r->u.dot1x.filter_id, sizeof r->u.dot1x.filter_id, "tenant-web");
        break;
    case K_ACL6:
    case K_ACL4:
        r->type = SAMI_DI_ACL;
        r->u.acl.rule_id = u;
        if (k == K_ACL6) {
            v6(r->u.acl.src, 3, u);
            v6(r->u.acl.dst, 4, 0);
            r->u.acl.src_prefix_len = 128;
            r->u.acl.dst_prefix_len = 64;
        } else {
            v4(r->u.acl.src, 10, u);
            v4(r->u.acl.dst, 192, 0x000200);
            r->u.acl.src_prefix_len = 128;
            r->u.acl.dst_prefix_len = 120;
        }
        r->u.acl.protocol = 6;
        r->u.acl.dst_port_lo = r->u.acl.dst_port_hi = 443;
        r->u.acl.src_port_hi = 65535;
        r->u.acl.action = SAMI_DI_ACL_PERMIT;
        r->u.acl.origin = SAMI_DI_ACL_IDS;
        r->u.acl.lifetime_remaining_ms = 600000;
        break;
    case K_IGMP4:
    case K_MLD:
        r->type = SAMI_DI_IGMP;
        r->u.igmp.vlan = 100;
        r->u.igmp.filter_mode = SAMI_DI_IGMP_INCLUDE;
        r->u.igmp.timer_remaining_ms = 260000;
        if (k == K_IGMP4) {
            r->u.igmp.family = SAMI_DI_FAMILY_IPV4;
            v4(r->u.igmp.group, 239, u);
        } else {
            r->u.igmp.family = SAMI_DI_FAMILY_IPV6;
            v6(r->u.igmp.group, 0, u);
            r->u.igmp.group[0] = 0xff;
            r->u.igmp.group[1] = 0x0e;
        }
        break;
    case K_COUNTERS:
        r->type = SAMI_DI_COUNTERS;
        r->u.counters.direction = (uint8_t)(j % 2 ? SAMI_DI_DIR_OUT : SAMI_DI_DIR_IN);
        r->u.counters.packets = 1000u + u;
        r->u.counters.bytes = 1500000u + u;
        r->u.counters.rate_bps = 8000000;
        r->u.counters.rate_pps = 700;
        r->u.counters.window_ms = 1000;
        break;
    case K_FW4:
    case K_FW6:
    case K_FW4_NAT:
    case K_FW6_NAT:
        r->type = SAMI_DI_FIREWALL;
        r->u.firewall.protocol = 6;
        r->u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        r->u.firewall.vlan = 100;
        r->u.firewall.src_port = (uint16_t)(32768 + u % 28000);
        r->u.firewall.dst_port = 443;
        r->u.firewall.created_age_ms = 12000;
        r->u.firewall.last_heard_age_ms = 40;
        r->u.firewall.expiry_remaining_ms = 432000000;
        if (k == K_FW4 || k == K_FW4_NAT) {
            r->u.firewall.family = SAMI_DI_FAMILY_IPV4;
            v4(r->u.firewall.src, 10, vm);
            v4(r->u.firewall.dst, 198, 0x336400 + j);
        } else {
            r->u.firewall.family = SAMI_DI_FAMILY_IPV6;
            v6(r->u.firewall.src, 5, vm);
            v6(r->u.firewall.dst, 6, j);
        }
        if (k == K_FW4_NAT) {
            r->u.firewall.flags = SAMI_DI_FW_F_NAT;
            v4(r->u.firewall.nat_src, 203, 0x007100 + (vm & 0xff));
            memcpy(r->u.firewall.nat_dst, r->u.firewall.dst, 16);
            r->u.firewall.nat_src_port = (uint16_t)(1024 + u % 60000);
            r->u.firewall.nat_dst_port = 443;
        } else if (k == K_FW6_NAT) {
            r->u.firewall.flags = SAMI_DI_FW_F_NAT;
            v6(r->u.firewall.nat_src, 7, vm);
            memcpy(r->u.firewall.nat_dst, r->u.firewall.dst, 16);
            r->u.firewall.nat_src_port = (uint16_t)(1024 + u % 60000);
            r->u.firewall.nat_dst_port = 443;
        }
        break;
    default:
        break;
    }
    r->version = sami_di_current_version(r->type);
}

/* The mix: what one VM on a tenant bridge typically holds (10 records):
 * its DHCP and DHCPv6 leases, one ND entry, an 802.1X session, one IGMP
 * group, one counters record, four firewall sessions (one NATed). */
static const enum kind mix10[10] = {K_DHCP,  K_DHCPV6, K_ND,  K_DOT1X, K_IGMP4,
                                    K_COUNTERS, K_FW4, K_FW4, K_FW6, K_FW4_NAT};

/* ---- one case ---- */

struct result {
    uint32_t vms, per_vm;
    uint64_t records;
    size_t store_bytes, heap_bytes;
    long rss_kib;
    double put_ns;
};

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* kind < 0: the mix. */
static int run_case(int kind, uint32_t vms, uint32_t per_vm, struct result *res)
{
    struct acct a = {0, 0};
    struct sami_memstore_config cfg = {{a_alloc, a_free, &a}, 0, 0};
    struct sami_memstore *ms;
    struct sami_memstore_stats st;
    struct sami_di_record r;
    struct sami_vm_id id;
    long rss0 = rss_kib();
    int rc;

    if ((rc = sami_memstore_create(&cfg, &ms)))
        return rc;
    struct sami_store s = sami_memstore_store(ms);
    sami_memstore_stats(ms, &st);
    size_t base_store = st.bytes, base_heap = a.heap;
    double t0 = now_ns();

    memset(&id, 0, sizeof id);
    id.type_id = 0x00a1b2u;
    id.type_version = 1;
    id.id_format = 5; /* UUID */
    id.id[0] = 0x6b;
    id.id[6] = 0x40;
    for (uint32_t v = 0; v < vms; v++) {
        id.id[12] = (uint8_t)(v >> 24);
        id.id[13] = (uint8_t)(v >> 16);
        id.id[14] = (uint8_t)(v >> 8);
        id.id[15] = (uint8_t)v;
        for (uint32_t j = 0; j < per_vm; j++) {
            make(&r, kind < 0 ? mix10[j % 10] : (enum kind)kind, v, j);
            if ((rc = sami_store_put(&s, &id, &r, 0))) {
                fprintf(stderr, "bench_store: put (vm %u, record %u) failed: %d\n", v, j, rc);
                sami_memstore_destroy(ms);
                return rc;
            }
        }
    }
    double t1 = now_ns();
    sami_memstore_stats(ms, &st);
    res->vms = vms;
    res->per_vm = per_vm;
    res->records = st.records;
    res->store_bytes = st.bytes - base_store;
    res->heap_bytes = a.heap - base_heap;
    res->rss_kib = rss_kib() - rss0;
    res->put_ns = (t1 - t0) / (double)((uint64_t)vms * per_vm);
    if (st.records != (uint64_t)vms * per_vm) {
        fprintf(stderr, "bench_store: %u records in the store, want %llu\n", st.records,
                (unsigned long long)vms * per_vm);
        rc = 1;
    }
    sami_memstore_destroy(ms);
    if (!rc && a.live != 0) {
        fprintf(stderr, "bench_store: %ld blocks leaked\n", a.live);
        rc = 1;
    }
    return rc;
}

/* Runs the case in a child so RSS starts from the same baseline each time. */
static int run_forked(int kind, uint32_t vms, uint32_t per_vm, struct result *res)
{
    int fd[2], st;
    if (pipe(fd))
        return 1;
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        struct result r;
        close(fd[0]);
        int rc = run_case(kind, vms, per_vm, &r);
        if (!rc && write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
            rc = 1;
        _exit(rc ? 1 : 0);
    }
    close(fd[1]);
    ssize_t got = read(fd[0], res, sizeof *res);
    close(fd[0]);
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) || got != sizeof *res)
        return 1;
    return 0;
}

static void print_row(const char *name, const struct result *r)
{
    double n = (double)r->records;
    printf("%-12s %7u x %-3u %9llu  %8.1f  %8.1f  %8.1f  %9.1f  %6.0f\n", name, r->vms, r->per_vm,
           (unsigned long long)r->records, r->store_bytes / n, r->heap_bytes / n,
           r->rss_kib * 1024.0 / n, r->store_bytes / 1048576.0, r->put_ns);
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"vms", required_argument, NULL, 'v'},    {"per-vm", required_argument, NULL, 'k'},
        {"case", required_argument, NULL, 'c'},   {"quick", no_argument, NULL, 'q'},
        {"list", no_argument, NULL, 'l'},         {NULL, 0, NULL, 0}};
    uint32_t vms = 100000, per_vm = 10;
    const char *only = NULL;
    int c, failed = 0;

    while ((c = getopt_long(argc, argv, "v:k:c:ql", lo, NULL)) != -1) {
        switch (c) {
        case 'v': vms = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'k': per_vm = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'c': only = optarg; break;
        case 'q': vms = 1000; break;
        case 'l':
            for (int k = 0; k < K_COUNT; k++)
                puts(kind_name[k]);
            puts("mix");
            return 0;
        default:
            fprintf(stderr, "usage: bench_store [--vms N] [--per-vm K] [--case NAME] [--quick] "
                            "[--list]\n");
            return 2;
        }
    }
    if (!vms || !per_vm || per_vm > 4096) {
        fprintf(stderr, "bench_store: --vms >= 1, --per-vm 1..4096\n");
        return 2;
    }
    printf("case         VMs x per-VM  records  store/rec  heap/rec  RSS/rec  store MiB  put ns\n");
    for (int k = -1; k < K_COUNT; k++) {
        const char *name = k < 0 ? "mix" : kind_name[k];
        struct result r;
        uint32_t n_vms = vms, n_per = per_vm;

        if (only && strcmp(only, name))
            continue;
        /* Only two counters records exist per VM (one per direction): keep
         * the record total by using more VMs. */
        if (k == K_COUNTERS && per_vm > 2) {
            n_vms = (uint32_t)(((uint64_t)vms * per_vm + 1) / 2);
            n_per = 2;
        }
        if (run_forked(k, n_vms, n_per, &r)) {
            fprintf(stderr, "bench_store: case %s failed\n", name);
            failed = 1;
            continue;
        }
        print_row(name, &r);
    }
    return failed;
}
