/* samid internals: the daemon around the sans-I/O bridge node (node/sami/
 * node.h). One process, one thread, one poll() loop (main.c); every other
 * file is a piece of I/O glue that the loop drives:
 *
 *   log.c     levels, stderr or syslog, per-reason rate limiting
 *   eth.c     one Ethernet interface: libpcap in, libnet out
 *   lldp.c    LLDP on downlinks: our EVB + sami capability TLVs, the
 *             station's EVB TLV negotiated into the port's VDP timers
 *   xport.c   the transfer stream binding: TCP listener, connectors with
 *             backoff, length-prefixed messages through the xfer deframer
 *   bridge.c  the node: build from the config, frames in and out, the VSI
 *             policy, DHCP snooping, refusal logging, abort on shutdown
 *   ctl.c     the control socket (samictl): one request per line, JSON
 *
 * Node ports: downlink i is port i + 1; the L2 transfer interface is
 * SAMID_PORT_L2; TCP peer i is SAMID_PORT_PEER0 + i (the node's "port" of a
 * stream peer is just a handle; xport.c maps it onto a connection). */
#ifndef SAMID_SAMID_H
#define SAMID_SAMID_H

#include <pcap/pcap.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "json.h"
#include "sami/dhcpsnoop.h"
#include "sami/evb.h"
#include "sami/node.h"
#include "sami/samicap.h"
#include "sami/xfer.h"

#ifndef SAMID_VERSION
#define SAMID_VERSION "0.0.0"
#endif

/* Longest downlink frame samid takes: a full 1500-octet payload behind an
 * Ethernet header and one VLAN tag (no FCS in captures). */
#define SAMID_MAX_FRAME 1518u

#define SAMID_PORT_L2 1000
#define SAMID_PORT_PEER0 2000

/* ------------------------------------------------------------------ log.c */

void slog_init(int level, int to_syslog);
void slog_set_level(int level);
int slog_level(void);
void slog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rate-limited per key (a short string naming the kind of event): at most a
 * burst of 5, then one per 2 s; what was dropped is counted and reported
 * with the next line that passes. */
void slog_rl(int level, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint64_t slog_suppressed(void);
const char *hexmac(const uint8_t m[6], char buf[18]);
const char *uuidstr(const uint8_t id[16], char buf[37]);
const char *bridgeidstr(const struct sami_xfer_bridge_id *id, char buf[24]);

/* ------------------------------------------------------------------ eth.c */

struct eth {
    char ifname[SAMID_IFNAME_MAX + 1];
    pcap_t *in;   /* PCAP_D_IN: what stations (or peers) send us */
    pcap_t *out;  /* PCAP_D_OUT: DHCP answers leaving towards stations; may be NULL */
    int fd_in, fd_out;
    void *ln;     /* libnet_t */
    uint8_t mac[6];
    uint64_t rx, tx, tx_errors;
    uint64_t rx_truncated;   /* captures shorter than the frame: refused */
    uint64_t budget_hits;    /* poll rounds that left frames for the next (a flood) */
    uint64_t drops_logged;   /* kernel drops already reported */
    uint64_t drop_check_at;  /* next look at the drop count (mono µs) */
};

typedef void (*eth_frame_fn)(void *ctx, const uint8_t *frame, size_t len);

int eth_open(struct eth *e, const char *ifname, const char *filter_in, const char *filter_out,
             char *err, size_t errlen);
void eth_close(struct eth *e);
int eth_send(struct eth *e, const uint8_t *frame, size_t len);
/* Reads every frame waiting on pc (non-blocking). -1 on a capture error. */
int eth_drain(struct eth *e, pcap_t *pc, eth_frame_fn fn, void *ctx);
void eth_pcap_stats(const struct eth *e, uint64_t *recv, uint64_t *drop);

/* ----------------------------------------------------------------- lldp.c */

struct lldp_nb {
    int valid;
    uint8_t src[6];
    uint8_t chassis_subtype, chassis_len, chassis[255];
    uint8_t port_subtype, port_len, port[255];
    uint16_t ttl;
    sami_usec_t expires;
    int has_evb;
    struct sami_evb evb;
    int has_cap;
    struct sami_samicap cap;
    char sysname[65];
    uint64_t pdus;
};

/* ------------------------------------------------------------- downlinks */

struct dlink {
    const struct samid_downlink *cfg; /* into D->cfg (re-pointed on reload) */
    int port;
    struct eth eth;
    /* the node's VSI policy for this port, wrapped by ours (bridge.c) */
    void *vdp_ctx;
    void (*node_policy)(void *ctx, sami_usec_t now, const struct sami_vdp_vsi *req,
                        const struct sami_vdp_bridge_vsi *cur,
                        struct sami_vdp_bridge_decision *d);
    /* LLDP */
    struct sami_evb local_evb;  /* what we advertise (negotiated once heard) */
    int negotiated;
    struct lldp_nb nb;
    sami_usec_t lldp_next;      /* next periodic transmission */
    sami_usec_t lldp_last;
    int lldp_soon;              /* something changed: send when allowed */
    uint64_t lldp_rx, lldp_tx, lldp_bad;
    /* DHCP snooping */
    struct sami_dhcpsnoop snoop;
    uint64_t dhcp_untrusted;    /* server messages arriving from stations */
    /* VSI policy */
    uint64_t policy_refused;
    /* frames above SAMID_MAX_FRAME, refused before any decoder */
    uint64_t rx_oversized;
    /* the capture failed (interface gone): reopened every few seconds */
    int down;
    sami_usec_t reopen_at;
};

/* ---------------------------------------------------------------- xport.c */

struct conn {
    int fd;
    int outbound;       /* we connected (else accepted) */
    int connecting;     /* non-blocking connect in progress */
    int peer;           /* index into D->peers, -1 = not identified yet */
    int authed;         /* delivered a message the engine accepted */
    char addr[64];
    sami_usec_t since;
    struct sami_xfer_deframer df;
    uint8_t *rxbuf;     /* SAMI_XFER_STREAM_PREFIX_LEN + max message */
    uint8_t *out;
    size_t out_len, out_off, out_cap;
    unsigned refused_in_row;
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out, refused, dropped_out;
};

struct tpeer {
    const struct samid_peer *cfg;  /* into D->cfg */
    int node_port;
    struct conn *out;              /* outbound connection, NULL when none */
    sami_usec_t next_try;
    sami_usec_t backoff;
    uint64_t connects, connect_failures, tx_no_conn, tx_msgs;
    char last_error[128];
};

int xport_listen(char *err, size_t errlen);
void xport_close_all(void);
/* A framed message (prefix + body) for peer i. */
void xport_send(size_t peer, const uint8_t *bytes, size_t len);
void xport_tick(sami_usec_t now);         /* connects due */
sami_usec_t xport_next_deadline(void);
/* poll() plumbing: adds our descriptors; handles what poll() reported. */
struct pollfd;
size_t xport_pollfds(struct pollfd *p, size_t cap);
void xport_handle(const struct pollfd *p, size_t n, sami_usec_t now);
/* The peer table changed (reload): re-bind connections by bridge id. */
void xport_rebind(struct tpeer *old, size_t nold);
void xport_json(struct jw *w, size_t peer);
size_t xport_conn_count(void);

/* ------------------------------------------------------------ the daemon */

struct vmset {
    struct sami_vm_id *v;
    size_t n, cap;
};

struct migseen {
    uint64_t id;
    uint8_t state;
    sami_usec_t t_start;
};

struct samid {
    struct samid_config cfg;
    const char *conf_path;
    int foreground;
    struct sami_node *node;
    struct dlink *dl;
    size_t ndl;
    int has_l2;
    struct eth l2;
    struct tpeer *peers;
    size_t npeers;
    struct conn **conns;
    size_t nconns, conns_cap;
    int listen_fd;
    int ctl_fd;
    struct vmset vms;
    struct migseen *mseen;
    size_t nmseen;
    sami_usec_t now;
    sami_usec_t started;
    int64_t started_wall;
    uint64_t seq_start;          /* transfer sequence start (wall clock µs) */
    unsigned node_generation;    /* nodes rebuilt by reloads so far */
    int rebuild_pending;         /* peers/limits changed: rebuild when idle */
    struct samid_config pending; /* the config waiting for that rebuild */
    int shutting_down;
    /* counters of the glue */
    uint64_t tx_unknown_port, frames_refused, preload_records, loads;
    uint64_t tcp_accepts, tcp_refused;
};

extern struct samid *D;

uint64_t mono_us(void);

/* bridge.c */
int bridge_build(char *err, size_t errlen);   /* D->cfg -> D->node (+ ports open) */
int bridge_rebuild(const struct samid_config *ncfg, char *err, size_t errlen);
void bridge_destroy(void);
void bridge_tx(void *ctx, int port, const uint8_t *frame, size_t len);
/* node entry points with refusal logging around them */
/* 1 when the transfer engine accepted a message in it (authenticated) */
int bridge_rx(int port, const uint8_t *frame, size_t len, const char *what);
/* our stream connection to the peer on this node port is up: HELLO now */
void bridge_peer_connected(int port);
void bridge_run(void);
sami_usec_t bridge_next_deadline(void);
void bridge_downlink_frame(struct dlink *dl, const uint8_t *f, size_t len);
void bridge_downlink_out_frame(struct dlink *dl, const uint8_t *f, size_t len);
void bridge_l2_frame(const uint8_t *f, size_t len);
int bridge_idle(void);                         /* no migration in progress */
size_t bridge_abort_all(uint16_t reason);      /* SIGTERM: ABORTED for each */
int bridge_load_text(const char *name, const char *text, size_t len, char *err, size_t errlen,
                     struct jw *w);
void bridge_apply_downlink_cfg(struct dlink *dl); /* timers, after (re)load */
void bridge_port_failed(struct dlink *dl);        /* capture error: close, retry later */
void bridge_port_retry(struct dlink *dl);         /* reopen if due */
void vmset_add(const struct sami_vm_id *vm);
struct sami_store bridge_learner_store(void);

/* lldp.c */
void lldp_init_port(struct dlink *dl);
void lldp_rx(struct dlink *dl, const uint8_t *f, size_t len);
void lldp_tick(struct dlink *dl);
sami_usec_t lldp_next_deadline(const struct dlink *dl);
void lldp_shutdown(struct dlink *dl); /* TTL 0 */
void lldp_json(struct jw *w, const struct dlink *dl);

/* ctl.c */
int ctl_open(const char *path, char *err, size_t errlen);
void ctl_close(void);
size_t ctl_pollfds(struct pollfd *p, size_t cap);
void ctl_handle(const struct pollfd *p, size_t n);
/* main.c */
void samid_request_reload(void);

#endif
