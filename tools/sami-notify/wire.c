/* The link: libpcap receives, libnet transmits (docs/NOTIFY.md, "I/O"). */
#define _DEFAULT_SOURCE 1
#include <libnet.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

struct wire {
    pcap_t *pc;
    libnet_t *ln;
    uint8_t mac[6];
    int fd;
    char err[PCAP_ERRBUF_SIZE + LIBNET_ERRBUF_SIZE + 64];
};

/* ECP (VDP) and LLDP only: everything else is of no interest and the kernel
 * filter keeps it from waking us up. */
static const char FILTER[] = "ether proto 0x8940 or ether proto 0x88cc";

static int fail(struct wire *w, char *err, size_t errlen, const char *what, const char *msg)
{
    snprintf(err, errlen, "%s: %s", what, msg);
    wire_close(w);
    return -1;
}

int wire_open(struct wire **out, const char *ifname, char *err, size_t errlen)
{
    *out = NULL;
    struct wire *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->fd = -1;
    char pe[PCAP_ERRBUF_SIZE];
    pe[0] = 0;
    w->pc = pcap_create(ifname, pe);
    if (!w->pc)
        return fail(w, err, errlen, ifname, pe);
    /* Immediate mode: a VDP answer must reach the engines now, not when a
     * capture buffer fills (SUSPENDED is on the blackout path). */
    /* Promiscuous: NICs drop the 01:80:c2:00:00:0x group addresses VDP and
     * LLDP use unless someone joined them (lldpad does; we do not). */
    if (pcap_set_snaplen(w->pc, 65535) || pcap_set_immediate_mode(w->pc, 1) ||
        pcap_set_promisc(w->pc, 1))
        return fail(w, err, errlen, ifname, "cannot configure the capture");
    int rc = pcap_activate(w->pc);
    if (rc < 0) {
        const char *m = pcap_geterr(w->pc);
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            m = "no such interface";
        else if (rc == PCAP_ERROR_PERM_DENIED)
            m = "permission denied (needs CAP_NET_RAW: run as root)";
        return fail(w, err, errlen, ifname, m);
    }
    if (pcap_datalink(w->pc) != DLT_EN10MB)
        return fail(w, err, errlen, ifname, "not an Ethernet interface");
    /* Our own transmissions would otherwise come back as input. */
    (void)pcap_setdirection(w->pc, PCAP_D_IN);
    struct bpf_program prog;
    if (pcap_compile(w->pc, &prog, FILTER, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return fail(w, err, errlen, ifname, pcap_geterr(w->pc));
    rc = pcap_setfilter(w->pc, &prog);
    pcap_freecode(&prog);
    if (rc < 0)
        return fail(w, err, errlen, ifname, pcap_geterr(w->pc));
    if (pcap_setnonblock(w->pc, 1, pe) < 0)
        return fail(w, err, errlen, ifname, pe);
    w->fd = pcap_get_selectable_fd(w->pc);
    if (w->fd < 0)
        return fail(w, err, errlen, ifname, "no selectable descriptor");

    char le[LIBNET_ERRBUF_SIZE];
    le[0] = 0;
    /* LINK_ADV: we hand libnet whole frames built by the sami engines. */
    w->ln = libnet_init(LIBNET_LINK_ADV, ifname, le);
    if (!w->ln)
        return fail(w, err, errlen, ifname, le);
    struct libnet_ether_addr *ea = libnet_get_hwaddr(w->ln);
    if (!ea)
        return fail(w, err, errlen, ifname, libnet_geterror(w->ln));
    memcpy(w->mac, ea->ether_addr_octet, 6);
    *out = w;
    return 0;
}

void wire_close(struct wire *w)
{
    if (!w)
        return;
    if (w->pc)
        pcap_close(w->pc);
    if (w->ln)
        libnet_destroy(w->ln);
    free(w);
}

const uint8_t *wire_mac(const struct wire *w)
{
    return w->mac;
}

int wire_fd(const struct wire *w)
{
    return w->fd;
}

const char *wire_error(const struct wire *w)
{
    return w->err;
}

int wire_send(struct wire *w, const uint8_t *frame, size_t len)
{
    int n = libnet_adv_write_link(w->ln, frame, (uint32_t)len);
    if (n < 0 || (size_t)n != len) {
        snprintf(w->err, sizeof w->err, "send: %s", libnet_geterror(w->ln));
        return -1;
    }
    return 0;
}

int wire_next(struct wire *w, const uint8_t **frame, size_t *len)
{
    struct pcap_pkthdr *h;
    const u_char *d;
    int rc = pcap_next_ex(w->pc, &h, &d);
    if (rc == 1) {
        *frame = d;
        *len = h->caplen;
        return 1;
    }
    if (rc == 0)
        return 0;
    snprintf(w->err, sizeof w->err, "capture: %s", pcap_geterr(w->pc));
    return -1;
}
