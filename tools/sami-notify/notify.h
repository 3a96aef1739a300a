/* sami-notify internals: option parsers, the capture/inject link, the
 * station's LLDP, and the glue between the VDP station and mig_hv. */
#ifndef SAMI_NOTIFY_H
#define SAMI_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sami/evb.h"
#include "sami/mig_hv.h"
#include "sami/samicap.h"
#include "sami/samitlv.h"
#include "sami/types.h"
#include "sami/vdp.h"
#include "sami/vdp_station.h"

/* Exit codes (docs/NOTIFY.md). */
enum {
    EXIT_PROCEED = 0,  /* PROCEED, or acknowledged for a time point that decides nothing */
    EXIT_RUNTIME = 1,  /* interface missing, no permission, I/O failure */
    EXIT_USAGE = 2,    /* usage or configuration error */
    EXIT_ROLLBACK = 3, /* ROLLBACK, VDP refusal, abort refused */
    EXIT_TIMEOUT = 4   /* no answer in time (also: no sami feedback with --wait) */
};

#define NOTIFY_MAX_FILTERS 16u
#define NOTIFY_MAX_ADDRS 8u

/* ---- args.c: parsers (0 ok, -1 bad) ---- */

int parse_mac(const char *s, uint8_t mac[6]);
int parse_uuid(const char *s, uint8_t id[16]);
int parse_u64(const char *s, uint64_t max, uint64_t *out); /* decimal or 0x hex */
int parse_oui(const char *s, uint8_t oui[3]);
/* "CHASSIS[/PORT]": a MAC-looking chassis is subtype 4 (MAC address), anything
 * else 7 (locally assigned); a MAC-looking port 3 (MAC), else 5 (interface
 * name). *has_port says whether a port was given. */
int parse_bridge(const char *s, struct sami_bridge_ref *ref, bool *has_port);
/* "dhcp,nd,8", "all" or "none": the DI bitmap (bit n = type n). */
int parse_di_types(const char *s, uint32_t *bitmap);
/* Formats a bridge reference for humans ("02:53:4d:00:00:01/swp1"). */
void fmt_bridge(char *buf, size_t cap, const struct sami_bridge_ref *ref);
void fmt_mac(char *buf, size_t cap, const uint8_t mac[6]);
/* JSON string body escaping (ASCII out). */
void json_str(char *buf, size_t cap, const char *s);

/* ---- wire.c: libpcap receive, libnet transmit on one interface ---- */

struct wire;
/* Opens IFACE: pcap (immediate mode, inbound only, BPF "ether proto 0x8940
 * or ether proto 0x88cc", non-blocking) and a libnet link context. 0, or -1
 * with a message in err. */
int wire_open(struct wire **out, const char *ifname, char *err, size_t errlen);
void wire_close(struct wire *w);
const uint8_t *wire_mac(const struct wire *w);
int wire_fd(const struct wire *w);
/* A whole Ethernet frame. 0, or -1 (message via wire_error). */
int wire_send(struct wire *w, const uint8_t *frame, size_t len);
/* Next received frame: 1 with *frame and *len (valid until the next call), 0
 * none waiting, -1 error. */
int wire_next(struct wire *w, const uint8_t **frame, size_t *len);
const char *wire_error(const struct wire *w);

/* ---- lldp_station.c ---- */

/* What the bridge's LLDPDU told us. */
struct lldp_peer {
    bool evb_bridge;            /* an EVB TLV in bridge mode was seen */
    struct sami_evb evb;
    uint8_t src[6];
    uint8_t chassis_subtype, port_subtype;
    uint8_t chassis[255], port[255];
    size_t chassis_len, port_len;
    bool has_samicap;
    struct sami_samicap cap;
    uint16_t ttl;
    bool heard_us;              /* its EVB TLV echoes a station's status / ROL bits */
};

/* Our station LLDPDU (chassis = MAC, port = interface name, TTL 120, EVB
 * TLV in station mode, optionally the sami capability TLV with role
 * station), as a whole frame to 01:80:c2:00:00:00 (lldpad's EVB agent is
 * the nearest-customer-bridge one). 0 with *len, or a sami error. */
int lldp_station_frame(uint8_t *buf, size_t cap, size_t *len, const uint8_t mac[6],
                       const char *ifname, const struct sami_evb *evb, const uint8_t oui[3],
                       bool samicap);
/* Parses a received LLDP frame. 1 when it carries an EVB TLV in bridge mode
 * (*peer filled), 0 for any other LLDPDU, a negative sami error when it does
 * not decode. */
int lldp_station_parse(const uint8_t *frame, size_t len, const uint8_t oui[3],
                       struct lldp_peer *peer);

/* ---- cache.c: the bridge's LLDPDU between runs ----
 * A one-shot tool cannot keep LLDP's remote MIB in memory, and a bridge
 * that already knows this station sends its next LLDPDU only on its own
 * schedule (lldpad: every 30 s). So the last bridge LLDPDU is kept in a
 * file, trusted while its TTL and ours (we refresh ours every run) last. */

/* Loads DIR/lldp-IFACE-MAC: 1 with *peer (still valid), 0 none / stale. */
int cache_load(const char *dir, const char *ifname, const uint8_t mac[6], const uint8_t oui[3],
               struct lldp_peer *peer);
/* Stores the bridge frame (heard now) and that we sent ours now; a frame
 * of NULL keeps the stored one and only refreshes our send time. */
void cache_store(const char *dir, const char *ifname, const uint8_t mac[6],
                 const uint8_t *frame, size_t len);
void cache_drop(const char *dir, const char *ifname, const uint8_t mac[6]);

/* ---- hv.c: one VSI, one migration, over the VDP station ---- */

#define HV_MAX_FB 8u

struct hv {
    struct sami_vdp_station st;
    struct sami_vdp_station_vsi vsis[1];
    struct sami_ecp_slot slots[4];
    struct sami_mig_hv mh;
    struct sami_mig_hv_rec recs[1];
    uint8_t oui[3];
    bool standalone;                 /* never ride a VDP request */
    /* the VM's VSI: identity and filters */
    struct sami_vdp_vsi vsi;
    struct sami_vdp_filter filters[NOTIFY_MAX_FILTERS];
    /* transmit */
    struct wire *wire;
    int tx_errors;
    /* what happened (read by main) */
    bool sent;                       /* the first notification went out */
    sami_usec_t sent_at;             /* ... at this time (handed to the wire) */
    uint8_t carriage_op;             /* VDP TLV type it rode on, 0 = standalone */
    uint8_t carriage_hints;
    bool vdp_done;                   /* EV_RESULT for the user request */
    struct sami_vdp_station_event vdp_ev;
    bool vdp_fb;                     /* sami feedback came on that response */
    bool org_done;                   /* EV_ORG_SENT for the first standalone PDU */
    int org_code;
    uint32_t org_token;
    bool org_pending;
    bool bridge_deassoc;             /* the bridge de-associated our VSI */
    unsigned n_fb;                   /* feedback TLVs for our migration */
    struct sami_feedback fb[HV_MAX_FB];
    sami_usec_t fb_at[HV_MAX_FB];
    unsigned fb_foreign;             /* org TLVs of other OUIs / undecodable */
    bool verdict_done;
    struct sami_mig_hv_verdict verdict;
    sami_usec_t verdict_at;          /* when the frame that decided it arrived */
    /* feedback decoded inside the station's input, fed to mig_hv after it */
    unsigned q_len;
    struct sami_feedback q[HV_MAX_FB];
    bool in_response;                /* the PDU being read carried a response */
    bool resp_fb;                    /* ... and a sami feedback TLV */
    sami_usec_t now;
};

/* Station + mig_hv with negotiated params. mgrid: 16 octets. */
int hv_init(struct hv *h, struct wire *w, const uint8_t mac[6], const uint8_t mgrid[16],
            const struct sami_vdp_sm_params *params, const uint8_t oui[3],
            const struct sami_mig_hv_cfg *mcfg, uint16_t first_seq);
/* Sets the VSI (identity + MAC/VID filters) every request uses. */
void hv_set_vsi(struct hv *h, uint32_t type_id, uint8_t type_ver, const uint8_t uuid[16],
                const struct sami_vdp_filter *f, size_t n);
int hv_vdp(struct hv *h, sami_usec_t now, uint8_t op, uint8_t hints);
int hv_input(struct hv *h, sami_usec_t now, const uint8_t *frame, size_t len);
void hv_run(struct hv *h, sami_usec_t now);
sami_usec_t hv_next_deadline(const struct hv *h);

#endif
