/* DHCP snooping (IPv4): learns the DHCP bindings of the VMs behind a bridge
 * port from the DHCP traffic it sees, and keeps them as SAMI_DI_DHCP records
 * in the host's DI store, so that they can follow a VM when it migrates.
 *
 * Sans-I/O: the host captures frames (samid: libpcap on each station-facing
 * port) and hands each one in with the time and the port's VLAN; nothing here
 * reads a clock, allocates or prints.
 *
 * Two layers:
 *   sami_dhcpsnoop_decode()  a pure, bounds-checked decoder of one Ethernet
 *                            frame (at most two 802.1Q / 802.1ad tags) ->
 *                            IPv4 -> UDP -> BOOTP/DHCP, giving one event;
 *   sami_dhcpsnoop_input()   the learner: decodes, maps the client (MAC +
 *                            VLAN) to its VM through the host's callback
 *                            (the bridge's VSI table) and puts or deletes
 *                            the VM's DHCP record in the store.
 *
 * What counts (everything else is ignored, with a reason):
 *   DHCPACK      server -> client (UDP 67 -> 68, BOOTREPLY) with yiaddr set:
 *                binding yiaddr / chaddr / VLAN, lease from option 51
 *                (put; the store ages it out when the lease runs out).
 *   DHCPNAK      server -> client: the client's bindings on that VLAN are
 *                removed (a NAK names no address, and a client told NAK
 *                stops using its address and starts over, RFC 2131 4.4).
 *   DHCPRELEASE  client -> server (UDP 68 -> 67, BOOTREQUEST): ciaddr removed.
 *   DHCPDECLINE  client -> server: the address of option 50 removed.
 * A reply from port 68 or a request from port 67 is not believed
 * (SAMI_DHCPSNOOP_IGN_DIRECTION). Trust is the host's business too: feed
 * ACK/NAK only from where the DHCP server really is; a VM can forge any frame
 * it sends (the RELEASE/DECLINE rule is safe: it can only remove its own
 * bindings, as the VM is looked up by the client MAC).
 *
 * Checked: every length (Ethernet, IPv4 header and total length, UDP length
 * against the IPv4 payload, BOOTP fixed part, each option), the IPv4 header
 * checksum, the magic cookie, htype/hlen (Ethernet, 6), option lengths of
 * the options used, option overload (52: the file / sname fields are parsed
 * as options too, RFC 2131 4.1). Not checked: the UDP checksum (captures of
 * locally sent frames carry partial checksums when the NIC offloads them;
 * the real capture in pcap-samples/real/dhcp-dora.pcap has them). Trailing
 * bytes after the IPv4 packet (Ethernet padding) are allowed. A malformed
 * frame is a negative SAMI_ERR_* with the offset (from the frame start) and
 * the field in struct sami_err; it never changes the store. */
#ifndef SAMI_DHCPSNOOP_H
#define SAMI_DHCPSNOOP_H

#include <stddef.h>
#include <stdint.h>

#include "sami/di.h"
#include "sami/error.h"
#include "sami/store.h"
#include "sami/types.h"
#include "sami/vmid.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SAMI_DHCP_SERVER_PORT 67
#define SAMI_DHCP_CLIENT_PORT 68

/* DHCP message types (option 53, RFC 2132 9.6). */
enum sami_dhcp_msg_type {
    SAMI_DHCP_DISCOVER = 1,
    SAMI_DHCP_OFFER = 2,
    SAMI_DHCP_REQUEST = 3,
    SAMI_DHCP_DECLINE = 4,
    SAMI_DHCP_ACK = 5,
    SAMI_DHCP_NAK = 6,
    SAMI_DHCP_RELEASE = 7,
    SAMI_DHCP_INFORM = 8
};

enum sami_dhcpsnoop_kind {
    SAMI_DHCPSNOOP_NONE = 0,    /* nothing to learn: see ignored */
    SAMI_DHCPSNOOP_ACK = 1,     /* new or renewed binding */
    SAMI_DHCPSNOOP_NAK = 2,     /* remove the client's bindings on the VLAN */
    SAMI_DHCPSNOOP_RELEASE = 3, /* remove the binding of client_ip */
    SAMI_DHCPSNOOP_DECLINE = 4  /* remove the binding of client_ip */
};

/* Why a well-formed frame taught nothing (event kind NONE). */
enum sami_dhcpsnoop_ignored {
    SAMI_DHCPSNOOP_IGN_NONE = 0,      /* not ignored */
    SAMI_DHCPSNOOP_IGN_NOT_IPV4 = 1,  /* another ethertype */
    SAMI_DHCPSNOOP_IGN_NOT_UDP = 2,   /* IPv4, another protocol */
    SAMI_DHCPSNOOP_IGN_FRAGMENT = 3,  /* an IPv4 fragment (DHCP never is one) */
    SAMI_DHCPSNOOP_IGN_NOT_DHCP = 4,  /* UDP, neither port 67 nor 68 */
    SAMI_DHCPSNOOP_IGN_DIRECTION = 5, /* ports or BOOTP op contradict the message type */
    SAMI_DHCPSNOOP_IGN_BOOTP = 6,     /* plain BOOTP: no option 53 */
    SAMI_DHCPSNOOP_IGN_OTHER_TYPE = 7,/* DISCOVER, OFFER, REQUEST, INFORM, 9+ */
    SAMI_DHCPSNOOP_IGN_NO_ADDRESS = 8,/* ACK with yiaddr 0.0.0.0 (answers INFORM),
                                         RELEASE with ciaddr 0.0.0.0 */
    SAMI_DHCPSNOOP_IGN_COUNT = 9
};

/* One decoded frame. Valid after sami_dhcpsnoop_decode returned 0. */
struct sami_dhcpsnoop_event {
    uint8_t kind;          /* enum sami_dhcpsnoop_kind */
    uint8_t ignored;       /* enum sami_dhcpsnoop_ignored (kind NONE) */
    uint8_t msg_type;      /* option 53, 0 when absent or not reached */
    uint8_t tagged;        /* 1 if the VLAN came from an 802.1Q tag */
    uint16_t vlan;         /* the tag's VID (innermost tag), else port_vlan */
    uint16_t src_port, dst_port;
    uint32_t xid;
    uint8_t client_mac[6]; /* chaddr */
    /* ACK: yiaddr; RELEASE: ciaddr; DECLINE: option 50; NAK: 0.0.0.0 */
    uint8_t client_ip[4];
    uint8_t server_id[4];  /* option 54, when has_server_id */
    uint8_t has_server_id;
    uint8_t has_lease;
    uint8_t overload;      /* option 52 (0 = none; 1 file, 2 sname, 3 both) */
    uint32_t lease_s;      /* option 51 in s, 0xFFFFFFFF = infinite (has_lease) */
    /* option 61, a view into the frame (NULL when absent) */
    const uint8_t *client_id;
    uint8_t client_id_len;
};

/* Decodes one Ethernet frame (no FCS). port_vlan: the VLAN of the port the
 * frame came in on, used when the frame is untagged or priority-tagged
 * (VID 0). Returns 0 with *ev filled (kind NONE + ignored when there is
 * nothing to learn), or a negative SAMI_ERR_* with err filled (err may be
 * NULL):
 *   TRUNCATED  the frame ends inside a header or a fixed field
 *   LENGTH     a length field overruns its container or disagrees with it
 *              (IPv4 IHL / total length, UDP length, an option length)
 *   DIGEST     IPv4 header checksum wrong
 *   VALUE      IPv4 version, VID 4095, htype/hlen, magic cookie, option 52,
 *              op / message type out of range
 *   MISSING    ACK with an address but no lease time (51); DECLINE without
 *              option 50; no END option
 *   DUPLICATE  option 50, 51, 52, 53, 54 or 61 twice
 * port_vlan above 4094: SAMI_ERR_INVAL. */
int sami_dhcpsnoop_decode(const uint8_t *frame, size_t len, uint16_t port_vlan,
                          struct sami_dhcpsnoop_event *ev, struct sami_err *err);

/* The DI record an event means: ACK -> an UPSERT of {client_ip, client_mac,
 * vlan, lease remaining from the moment of the ACK} (lease as for
 * sami_dhcpsnoop_input); RELEASE / DECLINE -> a DELETE with that key
 * (lease 0). For hosts that route store changes through their own layer
 * (e.g. sami_node_bridge_put, which also re-arms aging) instead of
 * sami_dhcpsnoop_input. 0, or SAMI_ERR_INVAL (NULL, or a NAK / NONE event:
 * a NAK names no address). */
int sami_dhcpsnoop_record(const struct sami_dhcpsnoop_event *ev, struct sami_di_record *out);

/* The client's VM: 0 and *vm, or negative (SAMI_ERR_NOTFOUND) when no VSI
 * on this bridge has that MAC on that VLAN. */
typedef int (*sami_dhcpsnoop_lookup_fn)(void *ctx, const uint8_t mac[6], uint16_t vlan,
                                        struct sami_vm_id *vm);

struct sami_dhcpsnoop_counters {
    uint64_t frames;       /* given to input */
    uint64_t malformed;    /* decode errors */
    uint64_t bad_checksum; /* of which: IPv4 header checksum */
    uint64_t ignored[SAMI_DHCPSNOOP_IGN_COUNT]; /* by reason; [0] unused */
    uint64_t acks, naks, releases, declines;    /* events decoded */
    uint64_t unknown_vm;   /* events for a client no VSI has: ignored */
    uint64_t learned;      /* records put */
    uint64_t removed;      /* records deleted */
    uint64_t not_held;     /* RELEASE / DECLINE / NAK with nothing to remove */
    uint64_t foreign;      /* RELEASE / DECLINE of a binding held for another MAC: kept */
    uint64_t store_errors; /* put / del / get / foreach failed (refused, limit, frozen) */
};

/* The learner. Zero it or call sami_dhcpsnoop_init; no other state. */
struct sami_dhcpsnoop {
    struct sami_dhcpsnoop_counters counters;
    struct sami_dhcpsnoop_event last; /* the last decoded event (its client_id
                                         view is cleared: the frame is gone) */
    struct sami_err last_err;         /* the last decode error */
};

void sami_dhcpsnoop_init(struct sami_dhcpsnoop *s);

/* What input did with a frame (>= 0). */
enum sami_dhcpsnoop_outcome {
    SAMI_DHCPSNOOP_IGNORED = 0,     /* nothing to learn (s->last.ignored says why) */
    SAMI_DHCPSNOOP_LEARNED = 1,     /* ACK: record put */
    SAMI_DHCPSNOOP_REMOVED = 2,     /* NAK / RELEASE / DECLINE: record(s) deleted */
    SAMI_DHCPSNOOP_NOT_HELD = 3,    /* NAK / RELEASE / DECLINE: nothing to delete */
    SAMI_DHCPSNOOP_UNKNOWN_VM = 4   /* lookup failed: counted, ignored */
};

/* Decodes frame and applies it to store for the VM that lookup names:
 *   ACK      put {yiaddr, chaddr, VLAN, lease remaining = option 51 from now}
 *            (lease_s * 1000 ms, capped at 0xFFFFFFFE ms, ~49.7 days: the
 *            client renews well before; an infinite lease stays infinite)
 *   RELEASE  / DECLINE: delete the record (address, VLAN) if it belongs to
 *            the same client MAC
 *   NAK      delete every DHCP record of the VM with that MAC and VLAN
 * Returns an enum sami_dhcpsnoop_outcome, or a negative SAMI_ERR_*: the
 * decode error (also in s->last_err), SAMI_ERR_INVAL for NULL arguments, or
 * the store's error (e.g. SAMI_ERR_STATE while the VM is frozen for a
 * migration, SAMI_ERR_LIMIT) — counted in store_errors. Never calls lookup
 * or the store for a frame that fails to decode or teaches nothing. */
int sami_dhcpsnoop_input(struct sami_dhcpsnoop *s, sami_usec_t now, uint16_t port_vlan,
                         const uint8_t *frame, size_t len, const struct sami_store *store,
                         sami_dhcpsnoop_lookup_fn lookup, void *lookup_ctx);

/* Static names for logs: "ack", ... / "not_ipv4", ... ("unknown" otherwise). */
const char *sami_dhcpsnoop_kind_name(unsigned kind);
const char *sami_dhcpsnoop_ignored_name(unsigned reason);

#ifdef __cplusplus
}
#endif
#endif
