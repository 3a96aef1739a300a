/* samid configuration: the file (libconfuse syntax, docs/SAMID-CONFIG.md)
 * parsed and checked into a plain struct samid_config. Nothing of libconfuse
 * shows here: the daemon sees only this struct and libsami types.
 *
 * Every value is checked when the file is loaded, so the daemon can trust
 * what it gets: ranges, formats, keys (random bytes, never passwords),
 * duplicates, and what refers to what. The first problem ends the load with
 * one message naming the file, the line and the key:
 *   samid.conf:12: key 'secret' in key 2: not hex or base64 of >= 16 octets
 * A problem that concerns a whole section (a duplicate key id, a missing
 * key) is reported at the line of the section's opening brace.
 *
 * Not thread-safe (libconfuse's scanner is global): load from one thread. */
#ifndef SAMID_CONFIG_H
#define SAMID_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "sami/vdp_station.h" /* struct sami_vdp_sm_params */
#include "sami/xfer.h"        /* struct sami_xfer_bridge_id, sami_xfer_key(ring) */
#include "sami/xfer_engine.h" /* SAMI_XFER_BIND_* */

#ifdef __cplusplus
extern "C" {
#endif

#define SAMID_DEFAULT_PORT 5757
#define SAMID_DEFAULT_CONTROL_SOCKET "/run/samid.sock"
#define SAMID_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define SAMID_NAME_MAX SAMI_XFER_NAME_MAX
#define SAMID_MAX_DOWNLINKS 256
#define SAMID_MAX_PEERS 256
#define SAMID_MAX_ACCEPT_TYPES 1024

/* Defaults of the limits and deadlines sections (the engines' own). */
#define SAMID_DEFAULT_RECORDS_PER_MIGRATION 100000u
#define SAMID_DEFAULT_RECORDS_TOTAL 1000000u
#define SAMID_DEFAULT_MIGRATIONS 64u
#define SAMID_DEFAULT_VSIS_PER_PORT 256u
#define SAMID_DEFAULT_PENDING_FRAMES 64u
#define SAMID_DEFAULT_MIGRATIONS_PER_PORT 16u /* or limits.migrations when lower */
#define SAMID_DEFAULT_PREPARE_MS 120000u
#define SAMID_DEFAULT_COMMIT_MS 5000u
#define SAMID_DEFAULT_ACTIVATE_MS 30000u
#define SAMID_DEFAULT_PURGE_MS 10000u
#define SAMID_DEFAULT_MARGIN_MS 500u
#define SAMID_DEFAULT_RESOLVE_MS 600000u
#define SAMID_DEFAULT_MTU 1500u

/* What a downlink's VSI manager answers to association requests. */
enum samid_policy {
    SAMID_POLICY_REJECT_ALL = 0, /* the default: nothing is admitted */
    SAMID_POLICY_ACCEPT_ALL = 1,
    SAMID_POLICY_ACCEPT_LIST = 2 /* VSI type ids in accept_types */
};

enum samid_log_level {
    SAMID_LOG_ERROR = 0,
    SAMID_LOG_WARN = 1,
    SAMID_LOG_INFO = 2, /* default */
    SAMID_LOG_DEBUG = 3
};

/* downlink "IF" { ... }: a station-facing port (hypervisors behind it). */
struct samid_downlink {
    char ifname[SAMID_IFNAME_MAX + 1];
    struct sami_vdp_sm_params vdp; /* r, rte, rwd, rka (3, 8, 20, 20) */
    uint32_t max_vsis;              /* default limits.vsis-per-port */
    int policy;                     /* enum samid_policy */
    uint32_t *accept_types;         /* 24-bit VSI type ids, ACCEPT_LIST only */
    size_t n_accept_types;
    uint32_t pvid;                  /* VLAN of untagged frames (1), 0..4094 */
    int dhcp_snooping;              /* learn DHCP bindings on this port (true) */
    int lldp;                       /* send LLDP (EVB + sami capability) here (true) */
    int group_id;                   /* advertise group ID support, EVB BGID (true) */
    int line;                       /* where it is in the file, for later messages */
};

/* peer "BRIDGE-ID" { ... }: a bridge DI is transferred to or from. */
struct samid_peer {
    struct sami_xfer_bridge_id id; /* the section title */
    char name[SAMID_NAME_MAX + 1]; /* optional, "" when not given */
    uint8_t chassis_id[6];         /* LLDP chassis id (MAC) its notifications use;
                                      default: the MAC of its bridge id */
    int binding;                   /* SAMI_XFER_BIND_STREAM (TCP) or SAMI_XFER_BIND_L2 */
    char *host;                    /* STREAM: host name or address, no brackets */
    uint16_t port;                 /* STREAM */
    uint8_t l2_mac[6];             /* L2: destination MAC of transfer frames */
    int line;
};

/* key ID { ... }: a transfer key. */
struct samid_key {
    /* id, len and bytes; not_before_ms / not_after_ms stay 0 here: the
     * engine's clock is monotonic, see samid_config_keyring(). */
    struct sami_xfer_key key;
    int has_not_before, has_not_after;
    int64_t not_before; /* Unix time (s, UTC) */
    int64_t not_after;  /* exclusive */
    int tx;             /* 1 for the key messages are signed with */
    int line;
};

struct samid_config {
    char *path; /* the file as given to samid_config_load */

    struct {
        struct sami_xfer_bridge_id id;  /* required */
        char name[SAMID_NAME_MAX + 1];  /* HELLO name; "" when not given */
        uint8_t chassis_id[6];          /* default: the MAC of id */
        uint8_t oui[3];                 /* sami TLV OUI, default 0A-53-4D */
    } bridge;

    struct samid_downlink *downlinks; /* at least one */
    size_t n_downlinks;

    struct {
        char *listen;       /* TCP listen address literal, default "::" */
        uint16_t port;      /* default 5757 */
        int binding;        /* default peer binding: SAMI_XFER_BIND_STREAM (tcp) or _L2 */
        uint32_t mtu;       /* L2 payload octets per frame, 128..1500, default 1500 */
        char interface[SAMID_IFNAME_MAX + 1]; /* L2 fabric port; "" = none (needed
                                                 when any peer is L2) */
        int tcp_used, l2_used; /* some peer uses that binding */
        char *advertise;    /* address LLDP advertises for transfer; NULL = the
                               listen address unless it is unspecified */
    } transfer;

    struct samid_peer *peers;
    size_t n_peers;

    struct samid_key keys[SAMI_XFER_MAX_KEYS];
    size_t n_keys;      /* 0 only when there is no peer */
    uint16_t tx_key_id; /* the tx key (explicit, or the only key) */

    struct {
        uint32_t records_per_migration;
        uint32_t records_total;
        uint32_t migrations;
        uint32_t vsis_per_port;
        uint32_t pending_frames; /* ECP requests queued per downlink */
        uint32_t migrations_per_port; /* in progress with the hypervisor on one downlink */
    } limits;

    struct {
        uint32_t prepare_ms;  /* PREPARE -> SUSPENDED without a hint */
        uint32_t commit_ms;   /* SUSPENDED -> transfer result */
        uint32_t activate_ms; /* install -> RESUMED / activation */
        uint32_t purge_ms;    /* activation -> PURGE */
        uint32_t margin_ms;   /* added to a notification's deadline hint */
        uint32_t resolve_ms;  /* after the commit: how long an unsettled migration is
                                 kept settling (ACTIVATE resends / a late ACTIVATE) */
    } deadlines;

    uint32_t store_max_records; /* DI store limit (all VMs), 0 = unlimited */
    char *preload;        /* store preload file, NULL = none; a relative path is
                             taken relative to the configuration file's directory */
    int log_level;        /* enum samid_log_level */
    char *control_socket; /* absolute path, default /run/samid.sock */

    /* Things that load but deserve a log line (e.g. a downlink without a
     * policy refuses every VM), each "FILE:LINE: text". */
    char **warnings;
    size_t n_warnings;
};

/* Loads and checks path into *out (which it first clears). 0 on success;
 * -1 with a one-line message in err (errlen > 0) otherwise, *out then
 * holding nothing to free. */
int samid_config_load(const char *path, struct samid_config *out, char *err, size_t errlen);

/* Frees what load allocated and clears *cfg (NULL and a cleared struct are
 * fine; twice is fine). */
void samid_config_free(struct samid_config *cfg);

/* The keys as the transfer engine wants them: validity moved from Unix
 * time to the engine's millisecond clock, given the wall clock and the
 * engine clock of the same moment (now_unix_s, now_ms). A validity that
 * started before now becomes 0 (no lower bound); an end already past
 * becomes 1 (ended). *tx_key_id = cfg->tx_key_id. hmac stays NULL (the
 * default provider). */
void samid_config_keyring(const struct samid_config *cfg, int64_t now_unix_s, uint64_t now_ms,
                          struct sami_xfer_keyring *out, uint16_t *tx_key_id);

const char *samid_policy_name(int policy);   /* "reject-all", ... */
const char *samid_log_level_name(int level); /* "error", ... */

/* Parsers shared with the preload file and tests: 0 on success, -1 if s is
 * not exactly that. */
int samid_parse_mac(const char *s, uint8_t mac[6]);           /* 02:53:4d:00:00:01, - too */
int samid_parse_bridge_id(const char *s, struct sami_xfer_bridge_id *id);
                                   /* "8000:02:53:4d:00:00:01" or 16 hex digits */
int samid_parse_rfc3339(const char *s, int64_t *unix_s);      /* 2026-01-01T00:00:00Z */
/* A transfer secret: hex or base64 (optionally prefixed "hex:" or
 * "base64:") of 16..64 random octets. -1 with *why set (a static string)
 * when it is not, or looks like a password or a pattern. */
int samid_parse_secret(const char *s, uint8_t *out, size_t cap, size_t *len, const char **why);

#ifdef __cplusplus
}
#endif
#endif
