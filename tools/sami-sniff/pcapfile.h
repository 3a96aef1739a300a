/* A direct reader for classic pcap files (-r FILE).
 *
 * libpcap's savefile reader costs two fread calls and a copy per record,
 * about as much as decoding an ECP ack. This reader fills a large buffer
 * with read(2) and hands out pointers into it, bounds-checked against what
 * was read. It takes only the files whose handling it reproduces exactly
 * (regular files, version 2.4, microsecond or nanosecond magic in either
 * byte order, Ethernet or Linux cooked link types, no FCS bits); for
 * anything else sami-sniff uses libpcap, whose messages stay the reference.
 * Record errors are reported in libpcap 1.10's words, and
 * tests/sniff-reader.cmake checks both readers give the same output. */
#ifndef SNIFF_PCAPFILE_H
#define SNIFF_PCAPFILE_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pcapf {
    int fd;
    bool swapped; /* file written in the other byte order */
    bool nsec;    /* nanosecond timestamps, shown as microseconds */
    int dlt;
    uint32_t snapshot; /* the header's snap length, adjusted as libpcap does */
    uint8_t *buf;
    size_t cap, start, end; /* buffered octets: buf[start..end) */
    struct pcap_pkthdr hdr;
    char errbuf[PCAP_ERRBUF_SIZE];
};

/* 1: path is a file this reader takes, opened; 0: use libpcap instead
 * (nothing is kept open). */
int sniff_pcapf_open(struct pcapf *p, const char *path);
/* 1 a record (h and data valid until the next call), 0 end of file, -1 an
 * error, described in p->errbuf. */
int sniff_pcapf_next(struct pcapf *p, struct pcap_pkthdr **h, const uint8_t **data);
void sniff_pcapf_close(struct pcapf *p);

#endif
