/* sami-sniff internals shared by the dissectors. */
#ifndef SNIFF_H
#define SNIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out.h"
#include "sami/error.h"
#include "tree.h"

#define SNIFF_MAX_KEYS 8

struct sniff_key {
    uint16_t id;
    uint8_t len;
    uint8_t key[64];
};

struct sniff_opts {
    bool verbose;
    bool json;
    bool stats;
    bool quiet;
    bool timeline;       /* --timeline: per-migration report instead of frames */
    bool live;           /* -i: frames come from an interface */
    long count;          /* -c, 0 = no limit */
    uint8_t oui[3];      /* sami OUI */
    uint16_t tcp_port;   /* transfer stream binding port */
    size_t max_body;     /* transfer decoder body limit */
    unsigned nkeys;
    struct sniff_key keys[SNIFF_MAX_KEYS];
};

/* First decode failure of a frame, with the offset already made relative to
 * the start of the (Ethernet) frame. */
struct sniff_mal {
    bool set;
    const char *module;
    int code;
    size_t offset;
    int tlv_type;
    const char *what;
};

struct sniff_frame {
    const struct sniff_opts *o;
    const uint8_t *pkt;
    size_t caplen;
    size_t wirelen;
    uint64_t no;          /* 1-based frame number */
    uint64_t ts_usec;     /* capture time, microseconds since the epoch */
    const uint8_t *src_mac; /* NULL when the link layer has none */
    uint8_t vsi_type;     /* the VSI TLV before the current org TLV (0: none) */
    uint8_t vsi_hints;    /* its M / S request bits */
    struct tree *t;
    struct sbuf *sum;     /* one-line summary (after "time src > dst ") */
    struct sniff_mal mal;
};

/* Records the frame's first failure; `base` is where the codec's buffer
 * started in the frame (codec offsets are relative to that buffer). */
void sniff_malformed(struct sniff_frame *f, const char *module, const struct sami_err *err,
                     int rc, size_t base);
/* The same for a problem the tool found itself. */
void sniff_malformed_at(struct sniff_frame *f, const char *module, int code, size_t offset,
                        int tlv_type, const char *what);

/* Message-type counters for --stats (name copied; at most 63 chars). */
void stats_inc(const char *name);
void stats_inc2(const char *a, const char *b);
void stats_inc3(const char *a, const char *b, const char *c);

/* Dissectors. off/len: the protocol's bytes within f->pkt. */
void dissect_ecp(struct sniff_frame *f, size_t off, size_t len);
void dissect_lldp(struct sniff_frame *f, size_t off, size_t len);
void dissect_l2xfer(struct sniff_frame *f, size_t off, size_t len);
/* TCP payload of the transfer stream binding; seq/flow identify the stream
 * so a message split over segments is reported as continuation. */
struct sniff_flow_key {
    uint8_t addr[2][16];
    uint16_t port[2];
    uint8_t family;
};
void dissect_xfer_stream(struct sniff_frame *f, const struct sniff_flow_key *k, uint32_t seq,
                         size_t off, size_t len);

/* Shared formatting (common.c). */
bool sniff_printable(const uint8_t *p, size_t n);
const char *vsiid_format_name(unsigned fmt);
const char *vsiid_format_tag(unsigned fmt); /* short summary tag: "uuid", "mac" */
/* A 16-octet VSI ID per its format (UUID 8-4-4-4-12, IPv4/IPv6/MAC, else hex). */
void fmt_vsi_id(struct sbuf *b, unsigned fmt, const uint8_t id[16]);
/* A chassis or port id by its 802.1AB subtype: MAC, network address, or
 * text when printable, else hex. Text is escaped when `esc`. */
void fmt_lldp_id(struct sbuf *b, bool port, unsigned subtype, const uint8_t *p, size_t n,
                 bool esc);
/* DI types bitmap as "dhcp,nd,..." ("none" when empty). */
void fmt_di_types(struct sbuf *b, uint32_t bitmap);
/* Tree helpers: a string leaf from a formatter. */
struct tnode *tr_vsi_id(struct tree *t, const char *key, unsigned fmt, const uint8_t id[16]);
struct tnode *tr_di_types(struct tree *t, const char *key, uint32_t bitmap);
struct tnode *tr_u64hex(struct tree *t, const char *key, uint64_t v);
struct tnode *tr_ms_time(struct tree *t, const char *key, uint64_t ms_epoch);
/* PS/PCP/VID word as tree fields and as summary text. */
void tr_vlan_word(struct tree *t, uint16_t word);
void sum_vlan_word(struct sbuf *b, uint16_t word);

#endif
