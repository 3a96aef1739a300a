/* The seeds' scenarios: topologies (who runs where, who moves where) and
 * the DI each VM carries. Every number comes from the VM's own PRNG, so a
 * run is a function of --seed and --scale only. */
#include <stdio.h>
#include <string.h>

#include "demo.h"

/* ---- record builders ------------------------------------------------------ */

#define MIN_MS (60u * 1000u)
#define HOUR_MS (60u * MIN_MS)

static void v4map(uint8_t a16[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    memset(a16, 0, 16);
    a16[10] = a16[11] = 0xff;
    a16[12] = a, a16[13] = b, a16[14] = c, a16[15] = d;
}

static void rec_init(struct sami_di_record *r, uint8_t type)
{
    memset(r, 0, sizeof *r);
    r->type = type;
    r->version = sami_di_current_version(type);
    r->op = SAMI_DI_OP_UPSERT;
}

static void put_dhcp(struct demo_world *w, struct demo_vm *vm, size_t nic, uint32_t lease_ms)
{
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_DHCP);
    r.u.dhcp.lease_remaining_ms = lease_ms;
    r.u.dhcp.vlan = vm->vlan[nic];
    memcpy(r.u.dhcp.mac, vm->mac[nic], 6);
    memcpy(r.u.dhcp.ipv4, vm->ipv4[nic], 4);
    demo_put(w, vm, 0, &r);
}

static void put_counters(struct demo_world *w, struct demo_vm *vm, sami_usec_t now, int dir,
                         uint64_t scale_pkts, uint32_t syn)
{
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_COUNTERS);
    struct sami_di_counters *c = &r.u.counters;
    c->direction = (uint8_t)dir;
    c->packets = scale_pkts + demo_rand_range(&vm->rng, 0, 1000000);
    c->bytes = c->packets * demo_rand_range(&vm->rng, 90, 1400);
    c->rate_pps = demo_rand_range(&vm->rng, 10, 20000);
    c->rate_bps = (uint64_t)c->rate_pps * demo_rand_range(&vm->rng, 600, 11000);
    c->syn_count = syn;
    c->window_ms = 10000;
    demo_put(w, vm, now, &r);
}

/* Global IPv6 of a VM's NIC: 2001:db8:<vlan>::<number>:<nic>. */
static void vm_ipv6(const struct demo_vm *vm, size_t nic, uint8_t out[16])
{
    memset(out, 0, 16);
    out[0] = 0x20, out[1] = 0x01, out[2] = 0x0d, out[3] = 0xb8;
    out[4] = (uint8_t)(vm->vlan[nic] >> 8), out[5] = (uint8_t)vm->vlan[nic];
    out[12] = (uint8_t)(vm->number >> 8), out[13] = (uint8_t)vm->number;
    out[15] = (uint8_t)(nic + 1);
}

/* fe80::/64 with the modified EUI-64 of the MAC. */
static void link_local(const uint8_t mac[6], uint8_t out[16])
{
    memset(out, 0, 16);
    out[0] = 0xfe, out[1] = 0x80;
    out[8] = mac[0] ^ 0x02, out[9] = mac[1], out[10] = mac[2], out[11] = 0xff;
    out[12] = 0xfe, out[13] = mac[3], out[14] = mac[4], out[15] = mac[5];
}

static void put_nd(struct demo_world *w, struct demo_vm *vm, size_t nic, const uint8_t ip[16],
                   uint8_t state)
{
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_ND);
    r.u.nd.lifetime_remaining_ms = demo_rand_range(&vm->rng, 30 * MIN_MS, 24 * HOUR_MS);
    r.u.nd.vlan = vm->vlan[nic];
    memcpy(r.u.nd.mac, vm->mac[nic], 6);
    memcpy(r.u.nd.ipv6, ip, 16);
    r.u.nd.state = state;
    demo_put(w, vm, 0, &r);
}

/* A firewall session of the VM. inbound: a client reaches the VM's service
 * port; otherwise the VM is the client. nat: the public side is translated
 * (seed 000 3.1.1: private addresses NATed to public ones, as in EC2). */
static void fw_session(struct demo_vm *vm, struct sami_di_record *r, int inbound, uint8_t proto,
                       uint16_t svc_port, const uint8_t peer[4], int nat, const uint8_t pub[4])
{
    rec_init(r, SAMI_DI_FIREWALL);
    struct sami_di_firewall *s = &r->u.firewall;
    s->family = SAMI_DI_FAMILY_IPV4;
    s->protocol = proto;
    s->vlan = vm->vlan[0];
    uint16_t eph = (uint16_t)demo_rand_range(&vm->rng, 32768, 60999);
    const uint8_t *me = vm->ipv4[0];
    if (inbound) {
        /* the client talks to the public address; NAT maps it to the VM */
        v4map(s->src, peer[0], peer[1], peer[2], peer[3]);
        s->src_port = eph;
        s->dst_port = svc_port;
        if (nat) {
            v4map(s->dst, pub[0], pub[1], pub[2], pub[3]);
            s->flags = SAMI_DI_FW_F_NAT;
            memcpy(s->nat_src, s->src, 16);
            v4map(s->nat_dst, me[0], me[1], me[2], me[3]);
            s->nat_src_port = s->src_port;
            s->nat_dst_port = svc_port;
        } else {
            v4map(s->dst, me[0], me[1], me[2], me[3]);
        }
    } else {
        v4map(s->src, me[0], me[1], me[2], me[3]);
        v4map(s->dst, peer[0], peer[1], peer[2], peer[3]);
        s->src_port = eph;
        s->dst_port = svc_port;
        if (nat) {
            s->flags = SAMI_DI_FW_F_NAT;
            v4map(s->nat_src, pub[0], pub[1], pub[2], pub[3]);
            memcpy(s->nat_dst, s->dst, 16);
            s->nat_src_port = (uint16_t)demo_rand_range(&vm->rng, 1024, 65535);
            s->nat_dst_port = svc_port;
        }
    }
    s->created_age_ms = demo_rand_range(&vm->rng, 2000, 6 * HOUR_MS);
    s->last_heard_age_ms = demo_rand_range(&vm->rng, 0, 30000);
    if (s->last_heard_age_ms > s->created_age_ms)
        s->last_heard_age_ms = s->created_age_ms;
    if (proto == 6) {
        uint32_t p = demo_rand_range(&vm->rng, 0, 99);
        s->state = p < 88 ? SAMI_DI_FW_ESTABLISHED : p < 94 ? SAMI_DI_FW_TIME_WAIT
                   : p < 97                      ? SAMI_DI_FW_FIN_WAIT
                                                 : SAMI_DI_FW_CLOSE_WAIT;
        /* conntrack-like: established sessions live days, closing ones minutes */
        s->expiry_remaining_ms = s->state == SAMI_DI_FW_ESTABLISHED
                                     ? demo_rand_range(&vm->rng, 12 * HOUR_MS, 120 * HOUR_MS)
                                     : demo_rand_range(&vm->rng, 5 * MIN_MS, 15 * MIN_MS);
    } else {
        s->state = demo_rand_range(&vm->rng, 0, 3) ? SAMI_DI_FW_ASSURED : SAMI_DI_FW_NEW;
        s->expiry_remaining_ms = demo_rand_range(&vm->rng, 10 * MIN_MS, 30 * MIN_MS);
    }
}

static void put_blacklist(struct demo_world *w, struct demo_vm *vm, sami_usec_t now, uint32_t id)
{
    /* seed 000 3.2.2 / 002 3.2: a client over the SYN rate is blacklisted */
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_ACL);
    struct sami_di_acl *a = &r.u.acl;
    a->rule_id = id;
    a->action = SAMI_DI_ACL_DENY;
    a->origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
    a->protocol = 6;
    v4map(a->src, 198, 51, 100, (uint8_t)demo_rand_range(&vm->rng, 1, 254));
    a->src_prefix_len = 128;
    v4map(a->dst, vm->ipv4[0][0], vm->ipv4[0][1], vm->ipv4[0][2], vm->ipv4[0][3]);
    a->dst_prefix_len = 128;
    a->src_port_hi = 65535;
    a->dst_port_lo = a->dst_port_hi = 443;
    a->lifetime_remaining_ms = demo_rand_range(&vm->rng, 15 * MIN_MS, 60 * MIN_MS);
    demo_put(w, vm, now, &r);
}

/* ---- seed 000, Figures 1-3: night consolidation onto Access Switch3 -------- */

static void build_consolidation_pod(struct demo_world *w, unsigned pod)
{
    int sw[3], srv[3][3];
    char n[DEMO_NAME_MAX], d[64];
    for (int s = 0; s < 3; s++) {
        snprintf(n, sizeof n, "sw%d", s + 1);
        snprintf(d, sizeof d, "Access Switch%d", s + 1);
        sw[s] = demo_add_bridge(w, n, d);
        for (int r = 0; r < 3; r++) {
            snprintf(n, sizeof n, "srv%d%c", s + 1, 'a' + r);
            srv[s][r] = demo_add_hv(w, n, sw[s]);
        }
    }
    /* Figure 2: VM1 VM3 VM8 (switch 1) and VM12 VM14 VM16 (switch 2) move;
     * Figure 3 puts them in these rows of switch 3, beside VM23 VM24 VM27,
     * the other active VMs. Everything else is shut down for the night. */
    static const struct {
        int number, dest_row;
    } movers[] = {{1, 0}, {3, 0}, {8, 2}, {12, 0}, {14, 1}, {16, 2}};
    for (unsigned rep = 0; rep < w->o->scale; rep++)
        for (int s = 0; s < 3; s++)
            for (int p = 0; p < 9; p++) {
                int copy = (int)(pod * w->o->scale + rep);
                int num = s * 9 + p + 1;
                int dest = -1, active = 0;
                for (size_t m = 0; m < sizeof movers / sizeof movers[0]; m++)
                    if (movers[m].number == num) {
                        dest = srv[2][movers[m].dest_row];
                        active = 1;
                    }
                if (num == 23 || num == 24 || num == 27)
                    active = 1;
                demo_add_vm(w, num + 27 * copy, srv[s][p / 3], dest, active);
            }
}

static void build_consolidation(struct demo_world *w)
{
    for (w->pod = 0; w->pod < w->o->pods; w->pod++)
        build_consolidation_pod(w, w->pod);
}

static void gen_consolidation(struct demo_world *w, struct demo_vm *vm)
{
    /* tenants on their own VLANs; a quarter of the VMs have a storage NIC */
    uint16_t vlan[2] = {(uint16_t)(100 + vm->number % 8), 300};
    uint8_t ip[2][4] = {{10, (uint8_t)(100 + vm->number % 8), (uint8_t)(vm->number / 250),
                         (uint8_t)(vm->number % 250 + 1)},
                        {10, 30, (uint8_t)(vm->number / 250), (uint8_t)(vm->number % 250 + 1)}};
    demo_vm_net(vm, demo_rand_range(&vm->rng, 0, 3) == 0 ? 2 : 1, vlan, ip);
    vm->di_types = SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_DHCPV6) |
                   SAMI_DI_TYPE_BIT(SAMI_DI_ND) | SAMI_DI_TYPE_BIT(SAMI_DI_IGMP) |
                   SAMI_DI_TYPE_BIT(SAMI_DI_COUNTERS) | SAMI_DI_TYPE_BIT(SAMI_DI_ACL);
    /* 3.1.1: every VM gets its address from the DC's DHCP server; the
     * access switch snoops the ACK. */
    for (size_t i = 0; i < vm->n_nics; i++)
        put_dhcp(w, vm, i, demo_rand_range(&vm->rng, 30 * MIN_MS, 24 * HOUR_MS));
    /* 3.1.2: dual-stack VMs: DHCPv6 and ND snooping bindings */
    if (demo_rand_range(&vm->rng, 0, 1)) {
        struct sami_di_record r;
        uint8_t ip6[16], ll[16];
        vm_ipv6(vm, 0, ip6);
        rec_init(&r, SAMI_DI_DHCPV6);
        r.u.dhcpv6.lease_remaining_ms = demo_rand_range(&vm->rng, 1 * HOUR_MS, 12 * HOUR_MS);
        r.u.dhcpv6.iaid = (uint32_t)demo_rand(&vm->rng);
        r.u.dhcpv6.vlan = vm->vlan[0];
        memcpy(r.u.dhcpv6.mac, vm->mac[0], 6);
        memcpy(r.u.dhcpv6.ipv6, ip6, 16);
        demo_put(w, vm, 0, &r);
        link_local(vm->mac[0], ll);
        put_nd(w, vm, 0, ll, SAMI_DI_ND_VALID);
        put_nd(w, vm, 0, ip6, SAMI_DI_ND_VALID);
    }
    /* multicast receivers (IPTV, cluster heartbeats) */
    uint32_t groups = demo_rand_range(&vm->rng, 0, 3);
    for (uint32_t g = 0; g < groups && g < 2; g++) {
        struct sami_di_record r;
        rec_init(&r, SAMI_DI_IGMP);
        r.u.igmp.family = SAMI_DI_FAMILY_IPV4;
        r.u.igmp.filter_mode = SAMI_DI_IGMP_EXCLUDE;
        r.u.igmp.vlan = vm->vlan[0];
        v4map(r.u.igmp.group, 239, 1, (uint8_t)g, (uint8_t)demo_rand_range(&vm->rng, 1, 254));
        r.u.igmp.timer_remaining_ms = demo_rand_range(&vm->rng, 200000, 260000);
        demo_put(w, vm, 0, &r);
    }
    put_counters(w, vm, 0, SAMI_DI_DIR_IN, 5000000, 0);
    put_counters(w, vm, 0, SAMI_DI_DIR_OUT, 4000000, demo_rand_range(&vm->rng, 0, 40));
    if (demo_rand_range(&vm->rng, 0, 4) == 0) {
        /* DHCP starvation guard: the VM's DHCP traffic rate-limited */
        struct sami_di_record r;
        rec_init(&r, SAMI_DI_ACL);
        r.u.acl.rule_id = 70000u + (uint32_t)vm->number;
        r.u.acl.action = SAMI_DI_ACL_RATE_LIMIT;
        r.u.acl.rate_kbps = 64;
        r.u.acl.origin = SAMI_DI_ACL_IDS;
        r.u.acl.protocol = 17;
        r.u.acl.flags = SAMI_DI_ACL_F_MATCH_MAC | SAMI_DI_ACL_F_MATCH_VLAN;
        memcpy(r.u.acl.mac, vm->mac[0], 6);
        r.u.acl.vlan = vm->vlan[0];
        r.u.acl.src_port_lo = 68, r.u.acl.src_port_hi = 68;
        r.u.acl.dst_port_lo = 67, r.u.acl.dst_port_hi = 67;
        r.u.acl.lifetime_remaining_ms = demo_rand_range(&vm->rng, 20 * MIN_MS, 2 * HOUR_MS);
        demo_put(w, vm, 0, &r);
    }
}

static void mutate_consolidation(struct demo_world *w, struct demo_vm *vm, sami_usec_t now)
{
    struct sami_di_record r;
    switch (demo_rand_range(&vm->rng, 0, 3)) {
    case 0: /* DHCP renew: a fresh lease */
        if (demo_pick(w, vm, now, SAMI_DI_DHCP, &r)) {
            r.u.dhcp.lease_remaining_ms = 24 * HOUR_MS;
            demo_put(w, vm, now, &r);
            return;
        }
        break;
    case 1: /* neighbour goes stale */
        if (demo_pick(w, vm, now, SAMI_DI_ND, &r)) {
            r.u.nd.state = SAMI_DI_ND_STALE;
            demo_put(w, vm, now, &r);
            return;
        }
        break;
    case 2: /* IGMP report refreshes the membership */
        if (demo_pick(w, vm, now, SAMI_DI_IGMP, &r)) {
            r.u.igmp.timer_remaining_ms = 260000;
            demo_put(w, vm, now, &r);
            return;
        }
        break;
    default:
        break;
    }
    if (demo_pick(w, vm, now, SAMI_DI_COUNTERS, &r)) {
        r.u.counters.packets += demo_rand_range(&vm->rng, 100, 100000);
        r.u.counters.bytes += demo_rand_range(&vm->rng, 10000, 100000000);
        demo_put(w, vm, now, &r);
    }
}

/* ---- seed 002 4.1, Figures 1-3: Pod1/Pod2 VMs to Pod3 behind FW1' ---------- */

static void build_firewall_dc_pod(struct demo_world *w, unsigned pod)
{
    static const char *const names[3] = {"pod1-sw1", "pod2-sw2", "pod3-sw1p"};
    static const char *const descs[3] = {"Pod1 Access Switch1, FW1", "Pod2 Access Switch2, FW1",
                                         "Pod3 Access Switch1', FW1'"};
    int sw[3], srv[3][3];
    char n[DEMO_NAME_MAX];
    for (int s = 0; s < 3; s++) {
        sw[s] = demo_add_bridge(w, names[s], descs[s]);
        for (int r = 0; r < 3; r++) {
            snprintf(n, sizeof n, "srv%d%c", s + 1, 'a' + r);
            srv[s][r] = demo_add_hv(w, n, sw[s]);
        }
    }
    /* Figure 2: VM4 VM5 VM6 move from Pod1 to Pod3 (beside VM31-33); Pod2
     * is being switched off, so VM13-15 follow into Pod3's third row. */
    for (unsigned rep = 0; rep < w->o->scale; rep++) {
        int off = 40 * (int)(pod * w->o->scale + rep);
        for (int p = 0; p < 9; p++) {
            int num = p + 1;
            demo_add_vm(w, num + off, srv[0][p / 3], num >= 4 && num <= 6 ? srv[2][1] : -1, 1);
        }
        for (int p = 0; p < 9; p++) {
            int num = p + 10;
            demo_add_vm(w, num + off, srv[1][p / 3], num >= 13 && num <= 15 ? srv[2][2] : -1, 1);
        }
        for (int p = 0; p < 3; p++)
            demo_add_vm(w, 31 + p + off, srv[2][0], -1, 1);
    }
}

static void build_firewall_dc(struct demo_world *w)
{
    for (w->pod = 0; w->pod < w->o->pods; w->pod++)
        build_firewall_dc_pod(w, w->pod);
}

static void gen_firewall_dc(struct demo_world *w, struct demo_vm *vm)
{
    /* Figure 1: "VM1: 10.1.1.1 VLAN 1"; one L2 domain across the pods */
    uint16_t vlan[1] = {1};
    /* 40 VMs per /24; above 250 copies (--scale) the second octet moves on,
     * so every VM keeps its own address */
    uint8_t ip[1][4] = {{10, (uint8_t)(1 + (vm->number - 1) / 10000),
                         (uint8_t)(1 + ((vm->number - 1) / 40) % 250),
                         (uint8_t)((vm->number - 1) % 40 + 1)}};
    demo_vm_net(vm, 1, vlan, ip);
    vm->di_types = SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL) |
                   SAMI_DI_TYPE_BIT(SAMI_DI_COUNTERS) | SAMI_DI_TYPE_BIT(SAMI_DI_ACL);
    put_dhcp(w, vm, 0, demo_rand_range(&vm->rng, 4 * HOUR_MS, 24 * HOUR_MS));
    /* 4.1: instant messaging / search front ends: hundreds of long-lived
     * client connections through the firewall, NATed to a public VIP, plus
     * the VM's own calls to back ends and DNS. */
    uint8_t vip[4] = {203, 0, 113, (uint8_t)(vm->number % 250 + 1)};
    uint32_t sessions = demo_rand_range(&vm->rng, 60, 240);
    for (uint32_t i = 0; i < sessions; i++) {
        struct sami_di_record r;
        uint32_t k = demo_rand_range(&vm->rng, 0, 99);
        uint8_t peer[4];
        if (k < 70) {
            peer[0] = (uint8_t)(k & 1 ? 198 : 100);
            peer[1] = (uint8_t)(k & 1 ? 51 : demo_rand_range(&vm->rng, 64, 127));
            peer[2] = (uint8_t)demo_rand_range(&vm->rng, 0, 255);
            peer[3] = (uint8_t)demo_rand_range(&vm->rng, 1, 254);
            fw_session(vm, &r, 1, 6, k < 40 ? 5222 : 443, peer, 1, vip);
        } else if (k < 90) {
            peer[0] = 10, peer[1] = 9, peer[2] = 0;
            peer[3] = (uint8_t)demo_rand_range(&vm->rng, 10, 40);
            fw_session(vm, &r, 0, 6, k < 80 ? 9200 : 5432, peer, 0, NULL);
        } else {
            peer[0] = 10, peer[1] = 1, peer[2] = 0, peer[3] = 53;
            fw_session(vm, &r, 0, 17, 53, peer, 0, NULL);
        }
        demo_put(w, vm, 0, &r);
    }
    /* 3.2 cumulative data: SYN counters per direction */
    put_counters(w, vm, 0, SAMI_DI_DIR_IN, 80000000, demo_rand_range(&vm->rng, 100, 5000));
    put_counters(w, vm, 0, SAMI_DI_DIR_OUT, 60000000, demo_rand_range(&vm->rng, 0, 200));
    uint32_t bl = demo_rand_range(&vm->rng, 0, 3);
    for (uint32_t i = 0; i < bl; i++)
        put_blacklist(w, vm, 0, 100000u * (uint32_t)vm->number + i);
}

static void mutate_firewall_dc(struct demo_world *w, struct demo_vm *vm, sami_usec_t now)
{
    struct sami_di_record r;
    uint32_t k = demo_rand_range(&vm->rng, 0, 9);
    if (k < 4) { /* a new client connects */
        uint8_t peer[4] = {198, 51, 100, (uint8_t)demo_rand_range(&vm->rng, 1, 254)};
        uint8_t vip[4] = {203, 0, 113, (uint8_t)(vm->number % 250 + 1)};
        fw_session(vm, &r, 1, 6, 443, peer, 1, vip);
        r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        r.u.firewall.created_age_ms = 0;
        r.u.firewall.last_heard_age_ms = 0;
        r.u.firewall.expiry_remaining_ms = 120 * HOUR_MS;
        demo_put(w, vm, now, &r);
    } else if (k < 7) { /* a session closes and is reaped */
        if (demo_pick(w, vm, now, SAMI_DI_FIREWALL, &r))
            demo_del(w, vm, now, &r);
    } else if (k < 9) { /* traffic */
        if (demo_pick(w, vm, now, SAMI_DI_COUNTERS, &r)) {
            r.u.counters.packets += demo_rand_range(&vm->rng, 1000, 900000);
            r.u.counters.syn_count += demo_rand_range(&vm->rng, 0, 300);
            demo_put(w, vm, now, &r);
        }
    } else { /* a flooder crosses the SYN threshold */
        put_blacklist(w, vm, now, 100000u * (uint32_t)vm->number + 50u + vm->mutations);
    }
}

/* ---- seed 002 4.2, Figures 4-5: VDI desktops consolidated at night ---------- */

static void build_vdi_pod(struct demo_world *w, unsigned pod)
{
    int sw[3], srv[3][3];
    char n[DEMO_NAME_MAX], d[64];
    for (int s = 0; s < 3; s++) {
        snprintf(n, sizeof n, "sw%d", s + 1);
        snprintf(d, sizeof d, "Pod%d Access Switch%d, %s", s + 1, s + 1, s < 2 ? "FW1" : "FW1'");
        sw[s] = demo_add_bridge(w, n, d);
        for (int r = 0; r < 3; r++) {
            snprintf(n, sizeof n, "srv%d%c", s + 1, 'a' + r);
            srv[s][r] = demo_add_hv(w, n, sw[s]);
        }
    }
    /* Figure 4 (day) -> Figure 5 (night): VM12 and VM18 leave Access
     * Switch2, VM19 VM25 VM27 leave Access Switch3, all for Access Switch1
     * (rows: VM1 VM12 VM19 / VM27 / VM18 VM8 VM25). VM1 and VM8 stay up;
     * every other desktop is shut down. */
    static const struct {
        int number, sw, row, dest_row; /* dest_row -1: stays */
    } vms[] = {{1, 0, 0, -1},  {2, 0, 0, -1},  {3, 0, 0, -1},  {7, 0, 2, -1},  {8, 0, 2, -1},
               {9, 0, 2, -1},  {10, 1, 0, -1}, {11, 1, 0, -1}, {12, 1, 0, 0},  {16, 1, 2, -1},
               {17, 1, 2, -1}, {18, 1, 2, 2},  {19, 2, 0, 0},  {21, 2, 0, -1}, {22, 2, 1, -1},
               {24, 2, 1, -1}, {25, 2, 2, 2},  {27, 2, 2, 1}};
    for (unsigned rep = 0; rep < w->o->scale; rep++)
        for (size_t i = 0; i < sizeof vms / sizeof vms[0]; i++) {
            int moves = vms[i].dest_row >= 0;
            int active = moves || vms[i].number == 1 || vms[i].number == 8;
            demo_add_vm(w, vms[i].number + 27 * (int)(pod * w->o->scale + rep),
                        srv[vms[i].sw][vms[i].row], moves ? srv[0][vms[i].dest_row] : -1, active);
        }
}

static void build_vdi(struct demo_world *w)
{
    for (w->pod = 0; w->pod < w->o->pods; w->pod++)
        build_vdi_pod(w, w->pod);
}

static void dacl(struct demo_world *w, struct demo_vm *vm, uint32_t id, uint8_t action,
                 uint8_t proto, const uint8_t src[4], uint8_t src_len, uint16_t dport,
                 uint32_t life_ms)
{
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_ACL);
    struct sami_di_acl *a = &r.u.acl;
    a->rule_id = id;
    a->action = action;
    a->origin = SAMI_DI_ACL_RADIUS;
    a->protocol = proto;
    a->flags = SAMI_DI_ACL_F_MATCH_MAC;
    memcpy(a->mac, vm->mac[0], 6);
    if (src) {
        v4map(a->src, src[0], src[1], src[2], src[3]);
        a->src_prefix_len = (uint8_t)(96 + src_len);
    }
    a->src_port_hi = 65535;
    a->dst_port_lo = dport;
    a->dst_port_hi = dport ? dport : 65535;
    a->lifetime_remaining_ms = life_ms;
    demo_put(w, vm, 0, &r);
}

static void gen_vdi(struct demo_world *w, struct demo_vm *vm)
{
    uint16_t vlan[1] = {(uint16_t)(200 + vm->number % 4)};
    uint8_t ip[1][4] = {{10, 200, (uint8_t)(vm->number / 250), (uint8_t)(vm->number % 250 + 1)}};
    demo_vm_net(vm, 1, vlan, ip);
    vm->di_types = SAMI_DI_TYPE_BIT(SAMI_DI_DOT1X) | SAMI_DI_TYPE_BIT(SAMI_DI_ACL) |
                   SAMI_DI_TYPE_BIT(SAMI_DI_DHCP) | SAMI_DI_TYPE_BIT(SAMI_DI_FIREWALL) |
                   SAMI_DI_TYPE_BIT(SAMI_DI_COUNTERS);
    /* The desktop's vNIC is authenticated (802.1X, employee's certificate
     * or PEAP credentials); RADIUS assigns the VLAN and a downloadable ACL. */
    struct sami_di_record r;
    rec_init(&r, SAMI_DI_DOT1X);
    struct sami_di_dot1x *x = &r.u.dot1x;
    int tls = demo_rand_range(&vm->rng, 0, 2) == 0;
    uint32_t session = demo_rand_range(&vm->rng, 2 * HOUR_MS, 10 * HOUR_MS);
    x->session_remaining_ms = session;
    x->reauth_remaining_ms = demo_rand_range(&vm->rng, 10 * MIN_MS, 60 * MIN_MS);
    x->vlan = vm->vlan[0];
    memcpy(x->mac, vm->mac[0], 6);
    x->authorized = 1;
    x->eap_method = tls ? 13 : 25;
    static const char *const users[] = {"li.wei", "zhang.min", "j.smith", "a.garcia", "k.tanaka",
                                         "m.rossi", "o.petrov", "s.khan"};
    x->identity_len =
        (uint8_t)snprintf(x->identity, sizeof x->identity, "%s%d@branch%u.corp.example",
                          users[vm->number % 8], vm->number, demo_rand_range(&vm->rng, 1, 9));
    x->filter_id_len = (uint8_t)snprintf(x->filter_id, sizeof x->filter_id, "%s",
                                         tls ? "VDI-EMPLOYEE" : "VDI-CONTRACTOR");
    x->session_id_len = (uint8_t)snprintf(x->session_id, sizeof x->session_id,
                                          "0A%06X%08X%08X", (unsigned)vm->number & 0xffffffu,
                                          (unsigned)demo_rand(&vm->rng),
                                          (unsigned)demo_rand(&vm->rng));
    demo_put(w, vm, 0, &r);
    put_dhcp(w, vm, 0, demo_rand_range(&vm->rng, 8 * HOUR_MS, 24 * HOUR_MS));
    /* the downloadable ACL: broker, display protocols from the branch, deny */
    uint32_t base = 500000u + 10u * (uint32_t)vm->number;
    uint8_t broker[4] = {10, 20, 0, 10};
    uint8_t branch[4] = {172, 16, (uint8_t)demo_rand_range(&vm->rng, 1, 30), 0};
    dacl(w, vm, base, SAMI_DI_ACL_PERMIT, 6, broker, 32, 443, session);
    dacl(w, vm, base + 1, SAMI_DI_ACL_PERMIT, 17, branch, 24, 4172, session);
    dacl(w, vm, base + 2, SAMI_DI_ACL_PERMIT, 6, branch, 24, 3389, session);
    dacl(w, vm, base + 3, SAMI_DI_ACL_DENY, 0, NULL, 0, 0, session);
    /* sessions through FW1: display protocol from the branch gateway, the
     * broker, file shares, directory */
    uint8_t gw[4] = {172, 16, branch[2], 1};
    struct sami_di_record f;
    fw_session(vm, &f, 1, 17, 4172, gw, 0, NULL);
    f.u.firewall.state = SAMI_DI_FW_ASSURED;
    demo_put(w, vm, 0, &f);
    fw_session(vm, &f, 1, 6, 4172, gw, 0, NULL);
    f.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
    demo_put(w, vm, 0, &f);
    uint32_t extra = demo_rand_range(&vm->rng, 4, 24);
    for (uint32_t i = 0; i < extra; i++) {
        static const uint16_t ports[] = {443, 445, 389, 88, 443, 8443};
        uint16_t p = ports[demo_rand_range(&vm->rng, 0, 5)];
        uint8_t srvip[4] = {10, 20, (uint8_t)(p == 445 ? 2 : p == 389 || p == 88 ? 3 : 0),
                            (uint8_t)demo_rand_range(&vm->rng, 10, 60)};
        fw_session(vm, &f, 0, p == 88 ? 17 : 6, p, srvip, 0, NULL);
        demo_put(w, vm, 0, &f);
    }
    put_counters(w, vm, 0, SAMI_DI_DIR_IN, 20000000, 0);
    put_counters(w, vm, 0, SAMI_DI_DIR_OUT, 9000000, demo_rand_range(&vm->rng, 0, 30));
}

static void mutate_vdi(struct demo_world *w, struct demo_vm *vm, sami_usec_t now)
{
    struct sami_di_record r;
    switch (demo_rand_range(&vm->rng, 0, 3)) {
    case 0: /* periodic re-authentication succeeded */
        if (demo_pick(w, vm, now, SAMI_DI_DOT1X, &r)) {
            r.u.dot1x.reauth_remaining_ms = 60 * MIN_MS;
            demo_put(w, vm, now, &r);
            return;
        }
        break;
    case 1: { /* the user opens a file share */
        uint8_t fs[4] = {10, 20, 2, (uint8_t)demo_rand_range(&vm->rng, 10, 60)};
        fw_session(vm, &r, 0, 6, 445, fs, 0, NULL);
        r.u.firewall.state = SAMI_DI_FW_ESTABLISHED;
        r.u.firewall.created_age_ms = r.u.firewall.last_heard_age_ms = 0;
        demo_put(w, vm, now, &r);
        return;
    }
    case 2: /* a connection is reaped */
        if (demo_pick(w, vm, now, SAMI_DI_FIREWALL, &r) && r.u.firewall.dst_port != 4172) {
            demo_del(w, vm, now, &r);
            return;
        }
        break;
    default:
        break;
    }
    if (demo_pick(w, vm, now, SAMI_DI_COUNTERS, &r)) {
        r.u.counters.packets += demo_rand_range(&vm->rng, 5000, 500000);
        r.u.counters.bytes += demo_rand_range(&vm->rng, 1000000, 400000000);
        demo_put(w, vm, now, &r);
    }
}

const struct demo_scenario demo_scenarios[] = {
    {"consolidation",
     "27 VMs on 3 access switches with DHCP snooping; at night the active VMs are collected "
     "onto Access Switch3",
     "seed 000 (draft-yang-opsawg-policies-migration-use-case) 3.1.3, Figures 1-3",
     build_consolidation, gen_consolidation, mutate_consolidation, 50},
    {"firewall-dc",
     "VMs of Pod1 and Pod2 move to Pod3 behind another firewall (FW1 -> FW1'); session tables "
     "with NAT move with them",
     "seed 002 (state migration) 4.1, Figures 1-3", build_firewall_dc, gen_firewall_dc,
     mutate_firewall_dc, 150 /* City A to City B, 30 km of fibre */},
    {"vdi",
     "VDI desktops consolidated between pods at night: 802.1X sessions, downloadable ACLs, DHCP, "
     "firewall sessions, counters",
     "seed 002 (state migration) 4.2, Figures 4-5", build_vdi, gen_vdi, mutate_vdi, 50},
};
const size_t demo_n_scenarios = sizeof demo_scenarios / sizeof demo_scenarios[0];
