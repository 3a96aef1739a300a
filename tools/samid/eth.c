/* One Ethernet interface: libpcap receives, libnet transmits.
 *
 * Two captures per interface, split by direction: "in" (what arrives from
 * the stations: ECP, LLDP, DHCP client messages; or transfer frames on the
 * L2 fabric port) and, on downlinks, "out" (DHCP answers leaving towards the
 * stations). The direction is the trust boundary of DHCP snooping: a server
 * answer is believed only when it leaves through the port, never when a
 * station sends one. It also keeps our own transmissions out of the input. */
#define _DEFAULT_SOURCE 1
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "samid.h"

static pcap_t *open_cap(const char *ifname, pcap_direction_t dir, const char *filter, char *err,
                        size_t errlen)
{
    char pe[PCAP_ERRBUF_SIZE];
    pe[0] = 0;
    pcap_t *pc = pcap_create(ifname, pe);
    if (!pc) {
        snprintf(err, errlen, "%s: %s", ifname, pe);
        return NULL;
    }
    /* Immediate mode: a SUSPENDED notification is on the blackout path and
     * must reach the engines now, not when a capture block fills.
     * Promiscuous: NICs drop the 01:80:c2:00:00:0x group addresses of ECP
     * and LLDP unless someone joined them. */
    if (pcap_set_snaplen(pc, 65535) || pcap_set_immediate_mode(pc, 1) ||
        pcap_set_promisc(pc, 1) || pcap_set_buffer_size(pc, 4 << 20)) {
        snprintf(err, errlen, "%s: cannot configure the capture", ifname);
        pcap_close(pc);
        return NULL;
    }
    int rc = pcap_activate(pc);
    if (rc < 0) {
        const char *m = pcap_geterr(pc);
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            m = "no such interface";
        else if (rc == PCAP_ERROR_PERM_DENIED)
            m = "permission denied (needs CAP_NET_RAW)";
        snprintf(err, errlen, "%s: %s", ifname, m);
        pcap_close(pc);
        return NULL;
    }
    if (pcap_datalink(pc) != DLT_EN10MB) {
        snprintf(err, errlen, "%s: not an Ethernet interface", ifname);
        pcap_close(pc);
        return NULL;
    }
    if (pcap_setdirection(pc, dir) < 0) {
        snprintf(err, errlen, "%s: cannot select a capture direction: %s", ifname,
                 pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    struct bpf_program prog;
    if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
        snprintf(err, errlen, "%s: filter \"%s\": %s", ifname, filter, pcap_geterr(pc));
        pcap_close(pc);
        return NULL;
    }
    rc = pcap_setfilter(pc, &prog);
    pcap_freecode(&prog);
    if (rc < 0 || pcap_setnonblock(pc, 1, pe) < 0) {
        snprintf(err, errlen, "%s: %s", ifname, rc < 0 ? pcap_geterr(pc) : pe);
        pcap_close(pc);
        return NULL;
    }
    if (pcap_get_selectable_fd(pc) < 0) {
        snprintf(err, errlen, "%s: no selectable descriptor", ifname);
        pcap_close(pc);
        return NULL;
    }
    return pc;
}

int eth_open(struct eth *e, const char *ifname, const char *filter_in, const char *filter_out,
             char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    e->fd_in = e->fd_out = -1;
    snprintf(e->ifname, sizeof e->ifname, "%s", ifname);
    e->in = open_cap(ifname, PCAP_D_IN, filter_in, err, errlen);
    if (!e->in)
        return -1;
    e->fd_in = pcap_get_selectable_fd(e->in);
    if (filter_out) {
        e->out = open_cap(ifname, PCAP_D_OUT, filter_out, err, errlen);
        if (!e->out) {
            eth_close(e);
            return -1;
        }
        e->fd_out = pcap_get_selectable_fd(e->out);
    }
    char le[LIBNET_ERRBUF_SIZE];
    le[0] = 0;
    /* LINK_ADV: the engines hand us whole frames; libnet only injects. */
    libnet_t *ln = libnet_init(LIBNET_LINK_ADV, ifname, le);
    if (!ln) {
        snprintf(err, errlen, "%s: libnet: %s", ifname, le);
        eth_close(e);
        return -1;
    }
    e->ln = ln;
    struct libnet_ether_addr *ea = libnet_get_hwaddr(ln);
    if (!ea) {
        snprintf(err, errlen, "%s: no MAC address: %s", ifname, libnet_geterror(ln));
        eth_close(e);
        return -1;
    }
    memcpy(e->mac, ea->ether_addr_octet, 6);
    return 0;
}

void eth_close(struct eth *e)
{
    if (e->in)
        pcap_close(e->in);
    if (e->out)
        pcap_close(e->out);
    if (e->ln)
        libnet_destroy(e->ln);
    e->in = e->out = NULL;
    e->ln = NULL;
    e->fd_in = e->fd_out = -1;
}

int eth_send(struct eth *e, const uint8_t *frame, size_t len)
{
    if (!e->ln)
        return -1;
    int n = libnet_adv_write_link(e->ln, frame, (uint32_t)len);
    if (n < 0 || (size_t)n != len) {
        e->tx_errors++;
        slog_rl(SAMID_LOG_WARN, "tx-error", "%s: send of %zu octets failed: %s", e->ifname, len,
                libnet_geterror(e->ln));
        return -1;
    }
    e->tx++;
    return 0;
}

struct drain_ctx {
    struct eth *e;
    eth_frame_fn fn;
    void *ctx;
};

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct drain_ctx *c = (struct drain_ctx *)user;
    c->e->rx++;
    /* snaplen 65535: caplen < len would be a truncated frame, never fed */
    if (h->caplen != h->len) {
        c->e->rx_truncated++;
        slog_rl(SAMID_LOG_WARN, "truncated", "%s: refused a truncated capture (%u of %u octets)",
                c->e->ifname, h->caplen, h->len);
        return;
    }
    c->fn(c->ctx, bytes, h->caplen);
}

/* Frames taken from one capture per poll() round. A flooded port must not
 * keep the loop from the other ports, the control socket and the timers:
 * what is left waits for the next round (poll() says so at once), and what
 * the kernel buffer cannot hold meanwhile is dropped there and counted.
 * 64 frames of a notification flood are ~1.3 ms of work: another port's
 * ECP request is still acknowledged well inside lldpad's default ack timer
 * (10 us * 2^8 = 2.56 ms); 256 made a station give up under a flood. */
#define DRAIN_BUDGET 64

/* Under a flood (the budget ran out): the kernel's drop count, at most once
 * a second, as a warning that says how many frames were lost. */
static void check_drops(struct eth *e)
{
    uint64_t now = mono_us();
    if (now < e->drop_check_at)
        return;
    e->drop_check_at = now + 1000000u;
    uint64_t recv, drop;
    eth_pcap_stats(e, &recv, &drop);
    if (drop > e->drops_logged) {
        char key[40];
        snprintf(key, sizeof key, "pcap-drop-%s", e->ifname);
        slog_rl(SAMID_LOG_WARN, key,
                "%s: the capture dropped %llu frames (%llu in all): more arrive than samid "
                "takes (a flood?); other ports are still served", e->ifname,
                (unsigned long long)(drop - e->drops_logged), (unsigned long long)drop);
        e->drops_logged = drop;
    }
}

int eth_drain(struct eth *e, pcap_t *pc, eth_frame_fn fn, void *ctx)
{
    struct drain_ctx c = {e, fn, ctx};
    int total = 0;
    while (total < DRAIN_BUDGET) {
        int n = pcap_dispatch(pc, 64, on_packet, (u_char *)&c);
        if (n < 0) {
            slog_rl(SAMID_LOG_ERROR, "capture", "%s: capture error: %s", e->ifname,
                    pcap_geterr(pc));
            return -1;
        }
        total += n;
        if (n < 64)
            return total;
    }
    e->budget_hits++;
    check_drops(e);
    return total;
}

void eth_pcap_stats(const struct eth *e, uint64_t *recv, uint64_t *drop)
{
    *recv = *drop = 0;
    struct pcap_stat ps;
    if (e->in && pcap_stats(e->in, &ps) == 0) {
        *recv += ps.ps_recv;
        *drop += ps.ps_drop + ps.ps_ifdrop;
    }
    if (e->out && pcap_stats(e->out, &ps) == 0) {
        *recv += ps.ps_recv;
        *drop += ps.ps_drop + ps.ps_ifdrop;
    }
}
