#define _DEFAULT_SOURCE 1
#include "pcapfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* libpcap's limit for every link type this reader takes
 * (max_snaplen_for_dlt: MAXIMUM_SNAPLEN). */
#define PCAPF_MAX_SNAPLEN 262144u
#define PCAPF_HDR 16u

/* Room for the largest record plus its header, twice, so refills are
 * large reads and a record never has to wait for a second buffer. */
static uint8_t pcapf_mem[2u * (PCAPF_MAX_SNAPLEN + PCAPF_HDR)];

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xff00u) | (v << 8 & 0xff0000u) | v << 24;
}

static uint32_t get32(const uint8_t *b, bool swapped)
{
    uint32_t v;
    memcpy(&v, b, 4);
    return swapped ? bswap32(v) : v;
}

int sniff_pcapf_open(struct pcapf *p, const char *path)
{
    memset(p, 0, sizeof *p);
    p->fd = -1;
    if (!strcmp(path, "-"))
        return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    uint8_t h[24];
    /* Only regular files: libpcap re-opens the path when this reader
     * declines, which would lose what a pipe already gave. */
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || read(fd, h, sizeof h) != (ssize_t)sizeof h) {
        close(fd);
        return 0;
    }
    uint32_t magic;
    memcpy(&magic, h, 4);
    bool swapped, nsec;
    if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
        swapped = false;
        nsec = magic == 0xa1b23c4du;
    } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
        swapped = true;
        nsec = magic == 0x4d3cb2a1u;
    } else {
        close(fd);
        return 0;
    }
    uint16_t vmaj, vmin;
    memcpy(&vmaj, h + 4, 2);
    memcpy(&vmin, h + 6, 2);
    if (swapped) {
        vmaj = (uint16_t)(vmaj >> 8 | vmaj << 8);
        vmin = (uint16_t)(vmin >> 8 | vmin << 8);
    }
    uint32_t snaplen = get32(h + 16, swapped), linktype = get32(h + 20, swapped);
    /* 2.4 only: older minors may have caplen and len swapped. Link types
     * whose LINKTYPE_ and DLT_ values are the same and that carry no
     * pseudo-header libpcap would byte-swap. */
    if (vmaj != 2 || vmin != 4 ||
        (linktype != DLT_EN10MB && linktype != DLT_LINUX_SLL && linktype != 276u)) {
        close(fd);
        return 0;
    }
    p->fd = fd;
    p->swapped = swapped;
    p->nsec = nsec;
    p->dlt = (int)linktype;
    /* pcap_adjust_snapshot */
    p->snapshot = snaplen == 0 || snaplen > PCAPF_MAX_SNAPLEN ? PCAPF_MAX_SNAPLEN : snaplen;
    p->buf = pcapf_mem;
    p->cap = sizeof pcapf_mem;
    return 1;
}

/* Buffers at least `want` octets from start unless the file ends first.
 * 0, or -1 on a read error. */
static int fill(struct pcapf *p, size_t want)
{
    if (p->cap - p->start < want) {
        memmove(p->buf, p->buf + p->start, p->end - p->start);
        p->end -= p->start;
        p->start = 0;
    }
    while (p->end - p->start < want) {
        ssize_t n = read(p->fd, p->buf + p->end, p->cap - p->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(p->errbuf, sizeof p->errbuf, "error reading dump file: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            break;
        p->end += (size_t)n;
    }
    return 0;
}

int sniff_pcapf_next(struct pcapf *p, struct pcap_pkthdr **hp, const uint8_t **data)
{
    if (p->end - p->start < PCAPF_HDR && fill(p, PCAPF_HDR) < 0)
        return -1;
    size_t have = p->end - p->start;
    if (have == 0)
        return 0;
    if (have < PCAPF_HDR) {
        snprintf(p->errbuf, sizeof p->errbuf,
                 "truncated dump file; tried to read %u header bytes, only got %zu", PCAPF_HDR,
                 have);
        return -1;
    }
    const uint8_t *r = p->buf + p->start;
    struct pcap_pkthdr *h = &p->hdr;
    /* The file's fields are 32-bit signed seconds and (micro|nano)seconds,
     * widened as libpcap widens them. */
    h->ts.tv_sec = (int32_t)get32(r, p->swapped);
    int32_t frac = (int32_t)get32(r + 4, p->swapped);
    h->ts.tv_usec = p->nsec ? frac / 1000 : frac;
    uint32_t caplen = get32(r + 8, p->swapped);
    h->len = get32(r + 12, p->swapped);
    if (caplen > PCAPF_MAX_SNAPLEN) {
        if (caplen > p->snapshot)
            snprintf(p->errbuf, sizeof p->errbuf,
                     "invalid packet capture length %u, bigger than snaplen of %d", caplen,
                     (int)p->snapshot);
        else
            snprintf(p->errbuf, sizeof p->errbuf,
                     "invalid packet capture length %u, bigger than maximum of %u", caplen,
                     PCAPF_MAX_SNAPLEN);
        return -1;
    }
    if (have < PCAPF_HDR + caplen) {
        if (fill(p, PCAPF_HDR + caplen) < 0)
            return -1;
        r = p->buf + p->start;
        have = p->end - p->start;
    }
    if (have < PCAPF_HDR + caplen) {
        /* libpcap reads at most the snap length into its buffer first. */
        size_t got = have - PCAPF_HDR;
        if (caplen > p->snapshot && got < p->snapshot)
            snprintf(p->errbuf, sizeof p->errbuf,
                     "truncated dump file; tried to read %u captured bytes, only got %zu",
                     p->snapshot, got);
        else
            snprintf(p->errbuf, sizeof p->errbuf,
                     "truncated dump file; tried to read %u captured bytes, only got %zu", caplen,
                     got);
        return -1;
    }
    /* A record longer than the snap length is cut to it (the rest is
     * skipped), as libpcap does. */
    h->caplen = caplen > p->snapshot ? p->snapshot : caplen;
    *data = r + PCAPF_HDR;
    *hp = h;
    p->start += PCAPF_HDR + caplen;
    return 1;
}

void sniff_pcapf_close(struct pcapf *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
