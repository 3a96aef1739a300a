/* sami-notify: the hypervisor side on a real interface. Sends one time
 * point of one migration (a sami notification, riding the VDP request it
 * pairs with or standalone) or one plain VDP request, after the LLDP EVB
 * exchange VDP needs, and optionally waits for the bridge's feedback. The
 * exit status is the answer (docs/NOTIFY.md). */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"
#include "sami/di.h"
#include "sami/lldp.h"

#ifndef SAMI_NOTIFY_VERSION
#define SAMI_NOTIFY_VERSION "0.0.0"
#endif

/* ---- options ---- */

struct opts {
    const char *iface;
    bool have_uuid;
    uint8_t uuid[16];
    unsigned n_macs, n_vlans;
    uint8_t macs[NOTIFY_MAX_FILTERS][6];
    uint16_t vlans[NOTIFY_MAX_FILTERS];
    unsigned n_ipv4, n_ipv6;
    uint8_t ipv4[NOTIFY_MAX_ADDRS][4];
    uint8_t ipv6[NOTIFY_MAX_ADDRS][16];
    uint32_t type_id;
    uint8_t type_ver;
    bool have_mgrid;
    uint8_t mgrid[16];
    bool have_mig;
    uint64_t mig_id;
    bool have_orig, have_dest, orig_port, dest_port;
    struct sami_bridge_ref orig, dest;
    int role;               /* enum sami_mig_hv_role, 0 = unset */
    int event;              /* enum sami_tp, 0 = unset */
    uint16_t reason;
    bool have_reason;
    uint32_t next_deadline;
    uint32_t di_types;
    uint64_t wait_ms;
    bool json;
    uint8_t oui[3];
    bool standalone;
    int vdp_op;             /* SAMI_VDP_TLV_*, 0 = notification mode */
    int hints;              /* -1 unset */
    uint64_t lldp_ms;
    bool no_lldp;
    bool no_samicap;
    const char *state_dir;  /* LLDP cache; "" = none */
    int verbose;            /* -1 quiet */
};

static struct opts o;

static void usage(FILE *f)
{
    fputs(
        "usage: sami-notify -i IFACE --vm-uuid UUID --mac MAC --vlan VID [...]\n"
        "                   --migration-id ID --role source|destination\n"
        "                   --event prepare|suspended|resumed|completed|aborted\n"
        "                   --orig-bridge CHASSIS[/PORT] --dest-bridge CHASSIS[/PORT]\n"
        "                   [--wait MS] [options]\n"
        "       sami-notify -i IFACE --vm-uuid UUID --mac MAC --vlan VID [...]\n"
        "                   --vdp assoc|preassoc|preassoc-rr|deassoc [--hints none|to|from]\n"
        "\n"
        "Sends one time point of one VM migration to the bridge on IFACE (a sami\n"
        "notification in VDP over ECP, IEEE 802.1Qbg) and optionally waits for the\n"
        "bridge's feedback; or, with --vdp, one plain VDP request without sami TLVs.\n"
        "First it announces itself in LLDP (EVB TLV, station mode) and waits for the\n"
        "bridge's EVB TLV, whose timers it negotiates, as VDP bridges require.\n"
        "\n"
        "The VM:\n"
        "  --vm-uuid UUID          VSI ID (UUID format), e.g. the libvirt instanceid\n"
        "  --mac MAC --vlan VID    a MAC/VLAN filter pair (repeatable, up to 16; VID\n"
        "                          0..4095, 0 = the bridge chooses)\n"
        "  --ipv4 ADDR, --ipv6 ADDR  the VM's addresses (repeatable, up to 8 each)\n"
        "  --type-id N --type-version N  VSI type id (0..16777215) and version (0..255),\n"
        "                          default 0 and 0\n"
        "  --mgrid STR             VSI Manager ID (up to 16 octets; default: host name)\n"
        "The migration:\n"
        "  --migration-id ID       64-bit id both hypervisors use (decimal or 0x hex)\n"
        "  --role source|destination  this hypervisor's side\n"
        "  --event EVENT           the time point: prepare, suspended, resumed,\n"
        "                          completed, aborted\n"
        "  --reason R              with --event aborted: operator (default), hv-error,\n"
        "                          rollback, timeout, other, or a number\n"
        "  --orig-bridge CHASSIS[/PORT], --dest-bridge CHASSIS[/PORT]\n"
        "                          the original and destination bridge. A MAC chassis\n"
        "                          is sent as a MAC chassis id, anything else as a\n"
        "                          locally assigned one; a MAC port as a MAC port id,\n"
        "                          else as an interface name. This hypervisor's own\n"
        "                          bridge may be omitted, and a missing PORT of it is\n"
        "                          filled in: both from the bridge's LLDP\n"
        "  --next-deadline MS      when the next time point is due (0 = none)\n"
        "  --di-types LIST         DI types to move: dhcp,dhcpv6,nd,dot1x,acl,igmp,\n"
        "                          counters,firewall, numbers, all (default), none\n"
        "  --standalone            never ride the VDP request the time point pairs with\n"
        "                          (send Manager ID + notification on its own)\n"
        "  --wait MS               wait up to MS for the outcome (feedback); without it,\n"
        "                          exit once the bridge has the notification\n"
        "  --oui XX-XX-XX          the sami OUI (default 0A-53-4D)\n"
        "Plain VDP:\n"
        "  --vdp OP                assoc, preassoc, preassoc-rr or deassoc, no sami TLV\n"
        "  --hints none|to|from    M (migrate to) or S (suspended, migrating from) hint\n"
        "Link:\n"
        "  -i, --interface IFACE   the uplink to the bridge (needs root / CAP_NET_RAW)\n"
        "  --lldp-timeout MS       wait this long for the bridge's EVB TLV (default 35000)\n"
        "  --no-lldp               skip LLDP, use the default EVB timers\n"
        "  --state-dir DIR         keep the bridge's last LLDPDU here between runs, used\n"
        "                          while its TTL lasts (default /run/sami-notify; \"\" = off)\n"
        "  --no-samicap            leave the sami capability TLV out of our LLDPDU\n"
        "Output:\n"
        "  --json                  one JSON object on stdout instead of the result line\n"
        "  -v, --verbose           progress on stderr;  -q, --quiet  errors only\n"
        "  -h, --help, --version\n"
        "\n"
        "Exit status: 0 PROCEED (or acknowledged, for a time point that decides\n"
        "nothing; or delivered, without --wait; or VDP request accepted),\n"
        "3 ROLLBACK, VDP refusal or abort refused, 4 timeout (no EVB bridge in LLDP,\n"
        "no acknowledgement, no outcome within --wait, or no sami feedback from a\n"
        "plain VDP bridge with --wait), 2 usage or configuration error, 1 runtime\n"
        "error (interface missing, no permission, I/O).\n",
        f);
}

static int bad(const char *what, const char *arg)
{
    fprintf(stderr, "sami-notify: %s%s%s\nTry 'sami-notify --help'.\n", what, arg ? ": " : "",
            arg ? arg : "");
    return EXIT_USAGE;
}

static void say(int level, const char *fmt, ...)
{
    if (o.verbose < level)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("sami-notify: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (names[i] && !strcmp(s, names[i]))
            return i;
    return -1;
}

static int parse_args(int argc, char **argv)
{
    enum {
        O_UUID = 256, O_MAC, O_VLAN, O_IPV4, O_IPV6, O_TYPEID, O_TYPEVER, O_MGRID, O_MIG,
        O_ORIG, O_DEST, O_ROLE, O_EVENT, O_REASON, O_NEXT, O_DI, O_WAIT, O_JSON, O_OUI,
        O_STANDALONE, O_VDP, O_HINTS, O_LLDP_MS, O_NO_LLDP, O_NO_SAMICAP, O_STATE, O_VERSION
    };
    static const struct option lopts[] = {
        {"interface", required_argument, NULL, 'i'},
        {"vm-uuid", required_argument, NULL, O_UUID},
        {"mac", required_argument, NULL, O_MAC},
        {"vlan", required_argument, NULL, O_VLAN},
        {"ipv4", required_argument, NULL, O_IPV4},
        {"ipv6", required_argument, NULL, O_IPV6},
        {"type-id", required_argument, NULL, O_TYPEID},
        {"type-version", required_argument, NULL, O_TYPEVER},
        {"mgrid", required_argument, NULL, O_MGRID},
        {"migration-id", required_argument, NULL, O_MIG},
        {"orig-bridge", required_argument, NULL, O_ORIG},
        {"dest-bridge", required_argument, NULL, O_DEST},
        {"role", required_argument, NULL, O_ROLE},
        {"event", required_argument, NULL, O_EVENT},
        {"reason", required_argument, NULL, O_REASON},
        {"next-deadline", required_argument, NULL, O_NEXT},
        {"di-types", required_argument, NULL, O_DI},
        {"wait", required_argument, NULL, O_WAIT},
        {"json", no_argument, NULL, O_JSON},
        {"oui", required_argument, NULL, O_OUI},
        {"standalone", no_argument, NULL, O_STANDALONE},
        {"vdp", required_argument, NULL, O_VDP},
        {"hints", required_argument, NULL, O_HINTS},
        {"lldp-timeout", required_argument, NULL, O_LLDP_MS},
        {"no-lldp", no_argument, NULL, O_NO_LLDP},
        {"no-samicap", no_argument, NULL, O_NO_SAMICAP},
        {"state-dir", required_argument, NULL, O_STATE},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    static const char *const roles[] = {NULL, "source", "destination"};
    static const char *const events[] = {NULL, "prepare", "suspended", "resumed", "completed",
                                         "aborted"};
    static const char *const reasons[] = {NULL, "operator", "hv-error", "rollback", "timeout",
                                          "other"};
    static const char *const vdps[] = {NULL, "preassoc", "preassoc-rr", "assoc", "deassoc"};
    static const char *const hints[] = {"none", "to", "from"};
    uint64_t v;
    int c, k;

    o.oui[0] = 0x0a, o.oui[1] = 0x53, o.oui[2] = 0x4d;
    o.hints = -1;
    /* lldpad answers a new neighbour at once but a known one only every
     * msgTxInterval (30 s); the cache covers the known case. */
    o.lldp_ms = 35000;
    o.state_dir = "/run/sami-notify";
    (void)parse_di_types("all", &o.di_types);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "i:vqh", lopts, NULL)) != -1) {
        switch (c) {
        case 'i': o.iface = optarg; break;
        case 'v': o.verbose = 1; break;
        case 'q': o.verbose = -1; break;
        case 'h': usage(stdout); exit(0);
        case O_VERSION: printf("sami-notify %s\n", SAMI_NOTIFY_VERSION); exit(0);
        case O_UUID:
            if (parse_uuid(optarg, o.uuid))
                return bad("bad UUID (want 8-4-4-4-12 hex)", optarg);
            o.have_uuid = true;
            break;
        case O_MAC:
            if (o.n_macs >= NOTIFY_MAX_FILTERS)
                return bad("too many --mac (at most 16)", NULL);
            if (parse_mac(optarg, o.macs[o.n_macs]))
                return bad("bad MAC address", optarg);
            o.n_macs++;
            break;
        case O_VLAN:
            if (o.n_vlans >= NOTIFY_MAX_FILTERS)
                return bad("too many --vlan (at most 16)", NULL);
            if (parse_u64(optarg, 4095, &v))
                return bad("bad VLAN id (0..4095)", optarg);
            o.vlans[o.n_vlans++] = (uint16_t)v;
            break;
        case O_IPV4:
            if (o.n_ipv4 >= NOTIFY_MAX_ADDRS)
                return bad("too many --ipv4 (at most 8)", NULL);
            if (inet_pton(AF_INET, optarg, o.ipv4[o.n_ipv4]) != 1)
                return bad("bad IPv4 address", optarg);
            o.n_ipv4++;
            break;
        case O_IPV6:
            if (o.n_ipv6 >= NOTIFY_MAX_ADDRS)
                return bad("too many --ipv6 (at most 8)", NULL);
            if (inet_pton(AF_INET6, optarg, o.ipv6[o.n_ipv6]) != 1)
                return bad("bad IPv6 address", optarg);
            o.n_ipv6++;
            break;
        case O_TYPEID:
            if (parse_u64(optarg, 0xffffff, &v))
                return bad("bad VSI type id (0..16777215)", optarg);
            o.type_id = (uint32_t)v;
            break;
        case O_TYPEVER:
            if (parse_u64(optarg, 255, &v))
                return bad("bad VSI type version (0..255)", optarg);
            o.type_ver = (uint8_t)v;
            break;
        case O_MGRID: {
            size_t n = strlen(optarg);
            if (n == 0 || n > 16)
                return bad("bad Manager ID (1..16 octets)", optarg);
            memset(o.mgrid, 0, sizeof o.mgrid);
            memcpy(o.mgrid, optarg, n);
            o.have_mgrid = true;
            break;
        }
        case O_MIG:
            if (parse_u64(optarg, UINT64_MAX, &o.mig_id))
                return bad("bad migration id", optarg);
            o.have_mig = true;
            break;
        case O_ORIG:
            if (parse_bridge(optarg, &o.orig, &o.orig_port))
                return bad("bad --orig-bridge (CHASSIS[/PORT], 1..255 octets each)", optarg);
            o.have_orig = true;
            break;
        case O_DEST:
            if (parse_bridge(optarg, &o.dest, &o.dest_port))
                return bad("bad --dest-bridge (CHASSIS[/PORT], 1..255 octets each)", optarg);
            o.have_dest = true;
            break;
        case O_ROLE:
            if ((k = lookup(optarg, roles, 3)) < 1)
                return bad("bad --role (source or destination)", optarg);
            o.role = k;
            break;
        case O_EVENT:
            if ((k = lookup(optarg, events, 6)) < 1)
                return bad("bad --event (prepare, suspended, resumed, completed, aborted)",
                           optarg);
            o.event = k;
            break;
        case O_REASON:
            if ((k = lookup(optarg, reasons, 6)) >= 1)
                o.reason = (uint16_t)k;
            else if (parse_u64(optarg, 0xffff, &v) == 0)
                o.reason = (uint16_t)v;
            else
                return bad("bad --reason", optarg);
            o.have_reason = true;
            break;
        case O_NEXT:
            if (parse_u64(optarg, UINT32_MAX, &v))
                return bad("bad --next-deadline (milliseconds)", optarg);
            o.next_deadline = (uint32_t)v;
            break;
        case O_DI:
            if (parse_di_types(optarg, &o.di_types))
                return bad("bad --di-types", optarg);
            break;
        case O_WAIT:
            if (parse_u64(optarg, 24u * 3600u * 1000u, &o.wait_ms) || o.wait_ms == 0)
                return bad("bad --wait (1..86400000 milliseconds)", optarg);
            break;
        case O_JSON: o.json = true; break;
        case O_OUI:
            if (parse_oui(optarg, o.oui))
                return bad("bad OUI (want XX-XX-XX)", optarg);
            break;
        case O_STANDALONE: o.standalone = true; break;
        case O_VDP:
            if ((k = lookup(optarg, vdps, 5)) < 1)
                return bad("bad --vdp (assoc, preassoc, preassoc-rr, deassoc)", optarg);
            o.vdp_op = k;
            break;
        case O_HINTS:
            if ((k = lookup(optarg, hints, 3)) < 0)
                return bad("bad --hints (none, to, from)", optarg);
            o.hints = k;
            break;
        case O_LLDP_MS:
            if (parse_u64(optarg, 3600u * 1000u, &o.lldp_ms) || o.lldp_ms == 0)
                return bad("bad --lldp-timeout (milliseconds)", optarg);
            break;
        case O_NO_LLDP: o.no_lldp = true; break;
        case O_NO_SAMICAP: o.no_samicap = true; break;
        case O_STATE: o.state_dir = optarg; break;
        default:
            if (optopt && optopt < 256)
                return bad("unknown option or missing argument", (char[]){'-', (char)optopt, 0});
            return bad("unknown option or missing argument", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument", argv[optind]);
    if (!o.iface)
        return bad("no interface (-i IFACE)", NULL);
    if (!o.have_uuid)
        return bad("no VM (--vm-uuid UUID)", NULL);
    if (o.n_macs == 0 || o.n_macs != o.n_vlans)
        return bad("give --mac and --vlan in pairs (at least one pair)", NULL);
    if (o.vdp_op) {
        if (o.have_mig || o.role || o.event || o.standalone || o.have_reason)
            return bad("--vdp sends plain VDP: no --migration-id, --role, --event, "
                       "--reason or --standalone", NULL);
        return 0;
    }
    if (o.hints >= 0)
        return bad("--hints goes with --vdp (time points choose their own hints)", NULL);
    if (!o.have_mig || !o.role || !o.event)
        return bad("a notification needs --migration-id, --role and --event "
                   "(or use --vdp for plain VDP)", NULL);
    if (o.have_reason && o.event != SAMI_TP_ABORTED)
        return bad("--reason goes with --event aborted", NULL);
    /* The hypervisor's own bridge can come from LLDP; the other cannot. */
    bool own_orig = o.role == SAMI_MIG_HV_SOURCE;
    if ((!o.have_orig && !own_orig) || (!o.have_dest && own_orig))
        return bad(own_orig ? "no --dest-bridge (the other side's bridge)"
                            : "no --orig-bridge (the other side's bridge)", NULL);
    if (o.no_lldp && (!o.have_orig || !o.have_dest))
        return bad("--no-lldp: give both --orig-bridge and --dest-bridge", NULL);
    if (o.no_lldp && ((own_orig && !o.orig_port) || (!own_orig && !o.dest_port)))
        return bad("--no-lldp: give this hypervisor's bridge port (CHASSIS/PORT)", NULL);
    return 0;
}

/* ---- time ---- */

static sami_usec_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (sami_usec_t)ts.tv_sec * 1000000u + (sami_usec_t)ts.tv_nsec / 1000u;
}

/* wall - monotonic, in ms: mig_hv stamps notifications with wall time. */
static uint64_t wall_offset_ms(void)
{
    struct timespec w, m;
    clock_gettime(CLOCK_REALTIME, &w);
    clock_gettime(CLOCK_MONOTONIC, &m);
    int64_t d = ((int64_t)w.tv_sec - (int64_t)m.tv_sec) * 1000 +
                ((int64_t)w.tv_nsec - (int64_t)m.tv_nsec) / 1000000;
    return d > 0 ? (uint64_t)d : 0;
}

/* Waits for a frame or `until` (SAMI_NO_DEADLINE: forever). 1 readable,
 * 0 timed out, -1 error. */
static int wait_fd(int fd, sami_usec_t until)
{
    sami_usec_t now = mono_us();
    int ms = -1;
    if (until != SAMI_NO_DEADLINE) {
        sami_usec_t d = until > now ? until - now : 0;
        /* round up: waking early only costs a loop, waking late skews timers */
        ms = d / 1000u > 60000u ? 60000 : (int)((d + 999u) / 1000u);
    }
    struct pollfd p = {fd, POLLIN, 0};
    int rc = poll(&p, 1, ms);
    if (rc < 0)
        return errno == EINTR ? 0 : -1;
    return rc > 0;
}

/* ---- result reporting ---- */

struct result {
    int code;
    const char *outcome;     /* PROCEED, ACKED, ROLLBACK, TIMEOUT, REFUSED, ACCEPTED, ... */
    char note[256];
};

static struct hv hv;
static struct lldp_peer peer;
static bool have_peer;
static struct sami_vdp_sm_params params;
static sami_usec_t t_start;
/* The first attempt's first transmission, kept across the retry after a
 * stale LLDP cache: a bridge that was only slow to acknowledge may have
 * acted on it, and the hypervisor waited from then on. */
static bool first_sent;
static sami_usec_t first_sent_at;
static unsigned attempts;

static const char *vdp_op_name(int op)
{
    static const char *const n[] = {"none", "PREASSOC", "PREASSOC-RR", "ASSOC", "DEASSOC"};
    return op >= 0 && op <= 4 ? n[op] : "?";
}

static void carriage(char *buf, size_t cap)
{
    if (!hv.carriage_op) {
        snprintf(buf, cap, "standalone");
        return;
    }
    snprintf(buf, cap, "%s%s%s", vdp_op_name(hv.carriage_op),
             hv.carriage_hints & SAMI_VDP_STATUS_M ? " M" : "",
             hv.carriage_hints & SAMI_VDP_STATUS_S ? " S" : "");
}

static const char *vdp_result_text(const struct sami_vdp_station_event *ev)
{
    switch (ev->code) {
    case 0: return "accepted";
    case SAMI_ERR_REJECTED: return "refused";
    case SAMI_ERR_TIMEOUT: return "no response";
    case SAMI_ERR_RETRIES: return "not acknowledged";
    default: return sami_strerror(ev->code);
    }
}

static void print_json(const struct result *r, const char *ifname)
{
    char mac[32], tmp[600], esc[1200];
    fmt_mac(mac, sizeof mac, wire_mac(hv.wire));
    json_str(esc, sizeof esc, ifname);
    printf("{\"interface\":\"%s\",\"mac\":\"%s\"", esc, mac);
    if (o.vdp_op) {
        printf(",\"mode\":\"vdp\",\"request\":\"%s\"", vdp_op_name(o.vdp_op));
    } else {
        static const char *const ev[] = {"", "PREPARE", "SUSPENDED", "RESUMED", "COMPLETED",
                                         "ABORTED"};
        printf(",\"mode\":\"notification\",\"migration_id\":\"0x%016" PRIx64
               "\",\"role\":\"%s\",\"time_point\":\"%s\"",
               o.mig_id, o.role == SAMI_MIG_HV_SOURCE ? "source" : "destination", ev[o.event]);
        carriage(tmp, sizeof tmp);
        printf(",\"carriage\":\"%s\"", hv.sent ? tmp : "not sent");
    }
    if (have_peer) {
        struct sami_bridge_ref b;
        memset(&b, 0, sizeof b);
        b.chassis_id_subtype = peer.chassis_subtype;
        b.chassis_id_len = (uint8_t)peer.chassis_len;
        memcpy(b.chassis_id, peer.chassis, peer.chassis_len);
        b.port_id_subtype = peer.port_subtype;
        b.port_id_len = (uint8_t)peer.port_len;
        memcpy(b.port_id, peer.port, peer.port_len);
        fmt_bridge(tmp, sizeof tmp, &b);
        json_str(esc, sizeof esc, tmp);
        fmt_mac(mac, sizeof mac, peer.src);
        printf(",\"lldp\":{\"bridge\":\"%s\",\"bridge_mac\":\"%s\",\"sami_capable\":%s,"
               "\"bridge_evb\":{\"r\":%u,\"rte\":%u,\"rwd\":%u,\"rka\":%u}}",
               esc, mac, peer.has_samicap ? "true" : "false", peer.evb.r, peer.evb.rte,
               peer.evb.rwd, peer.evb.rka);
    } else {
        printf(",\"lldp\":null");
    }
    printf(",\"negotiated\":{\"r\":%u,\"rte\":%u,\"rwd\":%u,\"rka\":%u}", params.r, params.rte,
           params.rwd, params.rka);
    if (hv.vdp_done)
        printf(",\"vdp\":{\"result\":\"%s\",\"reason\":%u,\"reason_name\":\"%s\",\"hard\":%s,"
               "\"keep\":%s,\"sami_feedback\":%s}",
               vdp_result_text(&hv.vdp_ev), hv.vdp_ev.reason,
               sami_vdp_reason_name(hv.vdp_ev.reason), hv.vdp_ev.hard ? "true" : "false",
               hv.vdp_ev.keep ? "true" : "false", hv.vdp_fb ? "true" : "false");
    else
        printf(",\"vdp\":null");
    printf(",\"feedback\":[");
    for (unsigned i = 0; i < hv.n_fb; i++) {
        const struct sami_feedback *f = &hv.fb[i];
        printf("%s{\"at_ms\":%.3f,\"verdict\":\"%s\",\"time_point\":\"%s\","
               "\"migration_id\":\"0x%016" PRIx64 "\",\"transfer_time_us\":%" PRIu32
               ",\"results\":[",
               i ? "," : "", (double)(hv.fb_at[i] - t_start) / 1000.0,
               sami_verdict_name(f->verdict), sami_tp_name(f->time_point), f->migration_id,
               f->transfer_time_us);
        for (unsigned j = 0; j < f->n_results && j < SAMI_SAMITLV_MAX_RESULTS; j++) {
            const struct sami_fb_result *x = &f->results[j];
            printf("%s{\"di_type\":\"%s\",\"status\":\"%s\",\"reason\":\"%s\","
                   "\"records_sent\":%" PRIu32 ",\"records_installed\":%" PRIu32 "}",
                   j ? "," : "", sami_di_type_name(x->di_type), sami_di_status_name(x->status),
                   sami_fb_reason_name(x->reason), x->records_sent, x->records_installed);
        }
        printf("]}");
    }
    /* The blackout as the hypervisor sees it (SUSPENDED): from the
     * notification's first transmission to the frame that decided. */
    bool sent = first_sent || hv.sent;
    sami_usec_t sent_at = first_sent ? first_sent_at : hv.sent_at;
    if (sent)
        printf("],\"attempts\":%u,\"sent_ms\":%.3f", attempts,
               (double)(sent_at - t_start) / 1000.0);
    else
        printf("],\"attempts\":%u,\"sent_ms\":null", attempts);
    if (sent && hv.verdict_done)
        printf(",\"outcome_ms\":%.3f", (double)(hv.verdict_at - sent_at) / 1000.0);
    else
        printf(",\"outcome_ms\":null");
    json_str(esc, sizeof esc, r->note);
    printf(",\"outcome\":\"%s\",\"note\":\"%s\",\"exit\":%d,\"elapsed_ms\":%.3f}\n", r->outcome,
           esc, r->code, (double)(mono_us() - t_start) / 1000.0);
}

static void print_result(const struct result *r)
{
    if (o.json) {
        print_json(r, o.iface);
        return;
    }
    if (o.verbose < 0 && r->code == 0)
        return;
    if (o.vdp_op) {
        printf("%s: %s%s%s (exit %d)\n", vdp_op_name(o.vdp_op), r->outcome,
               r->note[0] ? ": " : "", r->note, r->code);
        return;
    }
    printf("%s (%s) mig 0x%016" PRIx64 ": %s%s%s (exit %d)\n", sami_tp_name(o.event),
           o.role == SAMI_MIG_HV_SOURCE ? "source" : "destination", o.mig_id, r->outcome,
           r->note[0] ? ": " : "", r->note, r->code);
}

static void set(struct result *r, int code, const char *outcome, const char *fmt, ...)
{
    r->code = code;
    r->outcome = outcome;
    r->note[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->note, sizeof r->note, fmt, ap);
        va_end(ap);
    }
}

/* ---- the run ---- */

static void handle_frame(const uint8_t *f, size_t len, sami_usec_t now)
{
    if (len < 14 || !memcmp(f + 6, wire_mac(hv.wire), 6))
        return;
    if (f[12] == 0x89 && f[13] == 0x40) {
        /* On a shared segment other stations' bridges answer too: once LLDP
         * named our bridge, only its frames count. */
        if (have_peer && memcmp(f + 6, peer.src, 6))
            return;
        (void)hv_input(&hv, now, f, len);
    }
}

static void use_peer(const struct lldp_peer *p, const struct sami_evb *local, const char *how)
{
    peer = *p;
    have_peer = true;
    sami_vdp_sm_params_default(&params);
    struct sami_vdp_sm_params neg;
    if (sami_vdp_sm_params_negotiate(local, &peer.evb, &neg) == 0)
        params = neg;
    char m[32];
    fmt_mac(m, sizeof m, peer.src);
    say(1, "bridge %s (%s): EVB R %u RTE %u RWD %u RKA %u, sami capability %s; negotiated "
           "R %u RTE %u RWD %u RKA %u",
        m, how, peer.evb.r, peer.evb.rte, peer.evb.rwd, peer.evb.rka,
        peer.has_samicap ? "advertised" : "not advertised", params.r, params.rte, params.rwd,
        params.rka);
}

/* LLDP: announce, then take the bridge's EVB TLV from the cache or wait for
 * it. 0, or an exit code. */
static int do_lldp(struct wire *w, struct result *r, bool allow_cache, bool *from_cache)
{
    *from_cache = false;
    uint8_t frame[256];
    size_t len = 0;
    struct sami_evb local;
    memset(&local, 0, sizeof local);
    local.mode = SAMI_EVB_MODE_STATION;
    local.sgid = 1;
    local.rrstat = SAMI_EVB_RRSTAT_UNKNOWN; /* as lldpad: relay status not known yet */
    local.r = params.r;
    local.rte = params.rte;
    local.rwd = params.rwd;
    local.rka = params.rka;
    int rc = lldp_station_frame(frame, sizeof frame, &len, wire_mac(w), o.iface, &local, o.oui,
                                !o.no_samicap);
    if (rc) {
        set(r, EXIT_RUNTIME, "ERROR", "cannot build the LLDPDU: %s", sami_strerror(rc));
        return r->code;
    }
    sami_usec_t now = mono_us(), until = now + o.lldp_ms * 1000u, next_tx = now;
    unsigned sent = 0, heard = 0;
    struct lldp_peer first;
    uint8_t first_frame[1514];
    size_t first_len = 0;
    sami_usec_t soft = SAMI_NO_DEADLINE;
    if (allow_cache) {
        struct lldp_peer p;
        if (cache_load(o.state_dir, o.iface, wire_mac(w), o.oui, &p)) {
            /* Refresh our TTL at the bridge before relying on its view. */
            if (wire_send(w, frame, len) != 0) {
                set(r, EXIT_RUNTIME, "ERROR", "%s", wire_error(w));
                return r->code;
            }
            cache_store(o.state_dir, o.iface, wire_mac(w), NULL, 0);
            use_peer(&p, &local, "cached LLDPDU");
            *from_cache = true;
            return 0;
        }
    }
    for (;;) {
        now = mono_us();
        if (now >= soft) {
            /* A bridge that never echoes a station's status (not lldpad)
             * is taken as it is after a short grace. */
            cache_store(o.state_dir, o.iface, wire_mac(w), first_frame, first_len);
            use_peer(&first, &local, "LLDPDU");
            break;
        }
        if (now >= next_tx) {
            if (wire_send(w, frame, len) != 0) {
                set(r, EXIT_RUNTIME, "ERROR", "%s", wire_error(w));
                return r->code;
            }
            sent++;
            /* Once a second, as lldpad's fast transmission does. */
            next_tx = now + SAMI_SEC(1);
        }
        if (now >= until)
            break;
        sami_usec_t t = next_tx < until ? next_tx : until;
        int pr = wait_fd(wire_fd(w), t < soft ? t : soft);
        if (pr < 0) {
            set(r, EXIT_RUNTIME, "ERROR", "poll: %s", strerror(errno));
            return r->code;
        }
        const uint8_t *f;
        size_t fl;
        int n;
        while ((n = wire_next(w, &f, &fl)) == 1) {
            if (fl < 14 || f[12] != 0x88 || f[13] != 0xcc || !memcmp(f + 6, wire_mac(w), 6))
                continue;
            heard++;
            struct lldp_peer p;
            if (lldp_station_parse(f, fl, o.oui, &p) != 1 || fl > sizeof first_frame)
                continue;
            if (!p.heard_us) {
                /* Sent before it had our TLV: lldpad answers a new
                 * neighbour at once, so the echo is usually close. */
                if (soft == SAMI_NO_DEADLINE) {
                    first = p;
                    memcpy(first_frame, f, fl);
                    first_len = fl;
                    soft = mono_us() + SAMI_SEC(2);
                }
                continue;
            }
            cache_store(o.state_dir, o.iface, wire_mac(w), f, fl);
            use_peer(&p, &local, "LLDPDU");
            soft = 0;
            break;
        }
        if (have_peer)
            break;
        if (n < 0) {
            set(r, EXIT_RUNTIME, "ERROR", "%s", wire_error(w));
            return r->code;
        }
    }
    if (!have_peer) {
        set(r, EXIT_TIMEOUT, "TIMEOUT",
            "no EVB bridge TLV in LLDP within %" PRIu64 " ms (%u LLDPDU sent, %u heard; is the "
            "bridge's EVB agent on? --no-lldp skips LLDP)",
            o.lldp_ms, sent, heard);
        return r->code;
    }
    /* lldpad starts its ECP and VDP machines when it sends the LLDPDU that
     * answers ours, but hands VDP its timers only with the LLDPDU after that
     * (one second later while it transmits fast). A VSI associated before
     * then gets a keep-alive timeout of some microseconds: lldpad
     * de-associates it at once. So wait for the bridge's next LLDPDU (at
     * most 1.5 s), then a little for its ECP socket. */
    sami_usec_t settle = mono_us() + SAMI_MSEC(1500);
    bool next_seen = false;
    while (!next_seen && mono_us() < settle) {
        if (wait_fd(wire_fd(w), settle) <= 0)
            continue;
        const uint8_t *f;
        size_t fl;
        struct lldp_peer p;
        while (wire_next(w, &f, &fl) == 1) {
            if (fl >= 14 && f[12] == 0x88 && f[13] == 0xcc &&
                lldp_station_parse(f, fl, o.oui, &p) == 1 && !memcmp(p.src, peer.src, 6)) {
                cache_store(o.state_dir, o.iface, wire_mac(w), f, fl);
                next_seen = true;
            }
        }
    }
    settle = mono_us() + SAMI_MSEC(20);
    while (mono_us() < settle)
        (void)wait_fd(wire_fd(w), settle);
    say(1, "bridge LLDP settled (%s)", next_seen ? "its next LLDPDU came" : "1.5 s passed");
    return 0;
}

/* Fills the own side's bridge (or its port) from LLDP. */
static void own_bridge_from_lldp(void)
{
    bool src = o.role == SAMI_MIG_HV_SOURCE;
    struct sami_bridge_ref *b = src ? &o.orig : &o.dest;
    bool have = src ? o.have_orig : o.have_dest;
    bool port = src ? o.orig_port : o.dest_port;
    if (!have_peer)
        return;
    if (!have) {
        b->chassis_id_subtype = peer.chassis_subtype;
        b->chassis_id_len = (uint8_t)peer.chassis_len;
        memcpy(b->chassis_id, peer.chassis, peer.chassis_len);
    }
    if (!port) {
        b->port_id_subtype = peer.port_subtype;
        b->port_id_len = (uint8_t)peer.port_len;
        memcpy(b->port_id, peer.port, peer.port_len);
    }
}

/* The other side's bridge without a port: bridges compare chassis ids
 * only (docs/ENGINES-MIGRATION.md, "Role"), but the element needs one. */
static void other_port_default(void)
{
    bool src = o.role == SAMI_MIG_HV_SOURCE;
    struct sami_bridge_ref *b = src ? &o.dest : &o.orig;
    bool port = src ? o.dest_port : o.orig_port;
    if (port)
        return;
    b->port_id_subtype = SAMI_LLDP_PORT_LOCAL;
    b->port_id_len = 1;
    b->port_id[0] = '-';
}

/* Decides whether the run is over. 1 = done (r set). */
static int decide(struct result *r, bool waiting)
{
    if (hv.verdict_done) {
        const struct sami_mig_hv_verdict *v = &hv.verdict;
        /* ACKED is final unless we wait: then a late ROLLBACK may follow
         * (mig_hv delivers it once); but waiting for it would make every
         * acknowledged time point last --wait, so ACKED ends the run. */
        switch (v->outcome) {
        case SAMI_MIG_HV_PROCEED:
            set(r, EXIT_PROCEED, "PROCEED", v->transfer_time_us ? "transfer %" PRIu32 " us" : NULL,
                v->transfer_time_us);
            return 1;
        case SAMI_MIG_HV_ACKED:
            set(r, EXIT_PROCEED, "ACKED", NULL);
            return 1;
        case SAMI_MIG_HV_ROLLBACK:
            set(r, EXIT_ROLLBACK, "ROLLBACK", "the bridge rolled the migration back");
            return 1;
        case SAMI_MIG_HV_REFUSED:
            set(r, EXIT_ROLLBACK, "REFUSED", "abort refused: the VM already runs at the "
                                             "destination");
            return 1;
        default: {
            const struct sami_mig_hv_counters *c = sami_mig_hv_get_counters(&hv.mh);
            if (hv.n_fb == 0)
                set(r, EXIT_TIMEOUT, "TIMEOUT", "no sami feedback (sent %" PRIu64 " times)%s",
                    c->notif_tx + c->notif_rtx + c->notif_reask,
                    have_peer && !peer.has_samicap
                        ? "; the bridge advertises no sami capability" : "");
            else
                set(r, EXIT_TIMEOUT, "TIMEOUT", "no decision after %s",
                    sami_verdict_name(hv.fb[hv.n_fb - 1].verdict));
            return 1;
        }
        }
    }
    if (hv.vdp_done && hv.vdp_ev.code == SAMI_ERR_REJECTED) {
        set(r, EXIT_ROLLBACK, "REFUSED", "the bridge refused the VDP %s: %s%s%s",
            vdp_op_name(hv.carriage_op), sami_vdp_reason_name(hv.vdp_ev.reason),
            hv.vdp_ev.hard ? ", hard" : "", hv.vdp_ev.keep ? ", keep" : "");
        return 1;
    }
    /* A sami bridge answers the PDU that carries a notification with its
     * feedback on the same VDP response (docs/DEMO.md, node glue), except a
     * DeAssoc's; a response without any means the bridge does not speak
     * sami (lldpad ignores type-127 TLVs it does not know). Unless its LLDP
     * advertised the sami capability: then the feedback can still come in a
     * PDU of its own (seen from a samid busy installing 100,000 records), so
     * with --wait we keep waiting for it. */
    if (hv.vdp_done && hv.vdp_ev.code == 0 && !hv.vdp_fb && hv.n_fb == 0 &&
        hv.carriage_op != SAMI_VDP_TLV_DEASSOC && !(waiting && have_peer && peer.has_samicap)) {
        set(r, waiting ? EXIT_TIMEOUT : EXIT_PROCEED, waiting ? "TIMEOUT" : "DELIVERED",
            "no sami feedback from a plain VDP bridge (VDP %s accepted)",
            vdp_op_name(hv.carriage_op));
        return 1;
    }
    if (!waiting) {
        if ((hv.vdp_done && hv.vdp_ev.code == 0) || (hv.org_done && hv.org_code == 0)) {
            set(r, EXIT_PROCEED, "DELIVERED", hv.n_fb ? "acknowledged (%s), not waiting for "
                                                        "the outcome"
                                                      : "not waiting for feedback",
                hv.n_fb ? sami_verdict_name(hv.fb[hv.n_fb - 1].verdict) : "");
            return 1;
        }
        if (hv.vdp_done || (hv.org_done && hv.org_code != 0)) {
            int code = hv.vdp_done ? hv.vdp_ev.code : hv.org_code;
            set(r, EXIT_TIMEOUT, "TIMEOUT", "the bridge did not %s",
                code == SAMI_ERR_TIMEOUT ? "answer the VDP request" : "acknowledge the PDU (ECP)");
            return 1;
        }
    }
    return 0;
}

static int decide_vdp(struct result *r)
{
    if (!hv.vdp_done)
        return 0;
    const struct sami_vdp_station_event *ev = &hv.vdp_ev;
    if (ev->code == 0)
        set(r, EXIT_PROCEED, "ACCEPTED", "%s", sami_vdp_reason_name(ev->reason));
    else if (ev->code == SAMI_ERR_REJECTED)
        set(r, EXIT_ROLLBACK, "REFUSED", "%s%s%s", sami_vdp_reason_name(ev->reason),
            ev->hard ? ", hard" : "", ev->keep ? ", keep" : "");
    else
        set(r, EXIT_TIMEOUT, "TIMEOUT", "%s", ev->code == SAMI_ERR_TIMEOUT
                                                  ? "no VDP response"
                                                  : "no ECP acknowledgement");
    return 1;
}

static uint16_t random_seq(void)
{
    uint16_t s = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (f) {
        if (fread(&s, sizeof s, 1, f) != 1)
            s = 0;
        fclose(f);
    }
    if (!s)
        s = (uint16_t)(mono_us() ^ (sami_usec_t)getpid());
    return s ? s : 1;
}

/* One attempt: set the engines up, send (ECP numbering from SEQ), wait.
 * *retry: nothing was acknowledged while the LLDP view came from the cache. */
static void run(struct wire *w, struct result *r_, bool cached, uint16_t seq, bool *retry)
{
    struct result r = *r_;
    int rc;
    *retry = false;
    own_bridge_from_lldp();
    if (!o.vdp_op)
        other_port_default();

    struct sami_mig_hv_cfg mc;
    sami_mig_hv_cfg_default(&mc);
    mc.wall_offset_ms = wall_offset_ms();
    if (o.wait_ms)
        mc.verdict_wait = SAMI_MSEC(o.wait_ms);
    rc = hv_init(&hv, w, wire_mac(w), o.mgrid, &params, o.oui, &mc, seq);
    if (rc) {
        set(&r, EXIT_USAGE, "ERROR", "engine setup: %s", sami_strerror(rc));
        goto done;
    }
    struct sami_vdp_filter filters[NOTIFY_MAX_FILTERS];
    memset(filters, 0, sizeof filters);
    for (unsigned i = 0; i < o.n_macs; i++) {
        memcpy(filters[i].mac, o.macs[i], 6);
        filters[i].vid = o.vlans[i];
    }
    hv_set_vsi(&hv, o.type_id, o.type_ver, o.uuid, filters, o.n_macs);
    hv.standalone = o.standalone;

    sami_usec_t now = mono_us();
    hv.now = now;
    if (o.vdp_op) {
        static const uint8_t hint_bits[] = {0, SAMI_VDP_STATUS_M, SAMI_VDP_STATUS_S};
        rc = hv_vdp(&hv, now, (uint8_t)o.vdp_op, o.hints > 0 ? hint_bits[o.hints] : 0);
    } else {
        struct sami_vm_id vm;
        memset(&vm, 0, sizeof vm);
        vm.type_id = o.type_id;
        vm.type_version = o.type_ver;
        vm.id_format = SAMI_VDP_VSIID_UUID;
        memcpy(vm.id, o.uuid, 16);
        rc = sami_mig_hv_start(&hv.mh, now, o.mig_id, &vm, &o.orig, &o.dest, o.role, o.di_types);
        struct sami_samitlv_mac_vlan mv[NOTIFY_MAX_FILTERS];
        for (unsigned i = 0; i < o.n_macs && !rc; i++) {
            memcpy(mv[i].mac, o.macs[i], 6);
            mv[i].word = o.vlans[i];
        }
        if (!rc)
            rc = sami_mig_hv_set_addrs(&hv.mh, o.mig_id, mv, o.n_macs,
                                       (const uint8_t (*)[4])o.ipv4, o.n_ipv4,
                                       (const uint8_t (*)[16])o.ipv6, o.n_ipv6);
        if (!rc)
            rc = o.event == SAMI_TP_ABORTED
                     ? sami_mig_hv_abort(&hv.mh, now, o.mig_id,
                                         o.have_reason ? o.reason : SAMI_ABORT_OPERATOR)
                     : sami_mig_hv_time_point(&hv.mh, now, o.mig_id, o.event, o.next_deadline);
    }
    if (rc) {
        /* Everything the engines refuse here is a value they cannot encode. */
        set(&r, EXIT_USAGE, "ERROR", "cannot send: %s", sami_strerror(rc));
        goto done;
    }
    if (!hv.sent) {
        set(&r, EXIT_RUNTIME, "ERROR", "the station could not queue the PDU");
        goto done;
    }
    {
        char c[64];
        carriage(c, sizeof c);
        if (o.vdp_op)
            say(1, "sent VDP %s", c);
        else
            say(1, "sent %s (%s) for migration 0x%016" PRIx64 " on %s", sami_tp_name(o.event),
                o.role == SAMI_MIG_HV_SOURCE ? "source" : "destination", o.mig_id, c);
    }

    /* Without --wait: until the bridge has it (bounded by VDP's own
     * response timeout); with --wait: until the outcome or MS. */
    sami_usec_t until = o.wait_ms ? now + SAMI_MSEC(o.wait_ms)
                                  : now + sami_vdp_sm_resp_timeout(&params) + SAMI_SEC(1);
    for (;;) {
        now = mono_us();
        if (hv_next_deadline(&hv) <= now)
            hv_run(&hv, now);
        if (hv.tx_errors) {
            set(&r, EXIT_RUNTIME, "ERROR", "%s", wire_error(w));
            break;
        }
        const struct sami_ecp_engine_counters *ec = sami_ecp_engine_stats(&hv.st.ecp);
        /* Acks for an earlier attempt's sequence number (stale) do not
         * acknowledge this one. */
        if (cached && ec->errors && ec->rx_acks == ec->stale_acks) {
            *retry = true;
            break;
        }
        if (o.vdp_op ? decide_vdp(&r) : decide(&r, o.wait_ms > 0))
            break;
        if (now >= until) {
            if (o.vdp_op)
                set(&r, EXIT_TIMEOUT, "TIMEOUT", "no VDP response within %" PRIu64 " ms",
                    (until - t_start) / 1000u);
            else if (hv.n_fb == 0 && o.wait_ms)
                set(&r, EXIT_TIMEOUT, "TIMEOUT", "no sami feedback within %" PRIu64 " ms%s",
                    o.wait_ms, have_peer && !peer.has_samicap
                                   ? " (the bridge advertises no sami capability)"
                                   : "");
            else
                set(&r, EXIT_TIMEOUT, "TIMEOUT", "no outcome within %" PRIu64 " ms (last "
                    "feedback %s)", o.wait_ms ? o.wait_ms : (until - t_start) / 1000u,
                    hv.n_fb ? sami_verdict_name(hv.fb[hv.n_fb - 1].verdict) : "none");
            break;
        }
        sami_usec_t next = hv_next_deadline(&hv);
        int pr = wait_fd(wire_fd(w), next < until ? next : until);
        if (pr < 0) {
            set(&r, EXIT_RUNTIME, "ERROR", "poll: %s", strerror(errno));
            break;
        }
        const uint8_t *f;
        size_t fl;
        int n;
        while ((n = wire_next(w, &f, &fl)) == 1)
            handle_frame(f, fl, mono_us());
        if (n < 0) {
            set(&r, EXIT_RUNTIME, "ERROR", "%s", wire_error(w));
            break;
        }
    }
    for (unsigned i = 0; i < hv.n_fb; i++)
        say(1, "feedback %s (%s) mig 0x%016" PRIx64 " transfer %" PRIu32 " us, %u results",
            sami_verdict_name(hv.fb[i].verdict), sami_tp_name(hv.fb[i].time_point),
            hv.fb[i].migration_id, hv.fb[i].transfer_time_us, hv.fb[i].n_results);
    /* A reason comes only with the bridge's response. */
    if (hv.vdp_done && (hv.vdp_ev.code == 0 || hv.vdp_ev.code == SAMI_ERR_REJECTED))
        say(1, "VDP %s %s (%s)", vdp_op_name(hv.vdp_ev.op), vdp_result_text(&hv.vdp_ev),
            sami_vdp_reason_name(hv.vdp_ev.reason));
    else if (hv.vdp_done)
        say(1, "VDP %s %s", vdp_op_name(hv.vdp_ev.op), vdp_result_text(&hv.vdp_ev));
done:
    /* The JSON goes to a program; a person reading stderr still learns why. */
    if (!*retry && r.code != EXIT_PROCEED && r.note[0] && o.json)
        say(-1, "%s: %s", r.outcome, r.note);
    *r_ = r;
}

int main(int argc, char **argv)
{
    int rc = parse_args(argc, argv);
    if (rc)
        return rc;
    if (!o.have_mgrid) {
        char host[256];
        memset(o.mgrid, 0, sizeof o.mgrid);
        if (gethostname(host, sizeof host) == 0) {
            host[sizeof host - 1] = 0;
            memcpy(o.mgrid, host, strlen(host) < 16 ? strlen(host) : 16);
        } else {
            memcpy(o.mgrid, "sami", 4);
        }
    }
    struct result r;
    set(&r, EXIT_RUNTIME, "ERROR", NULL);

    char err[512];
    struct wire *w = NULL;
    if (wire_open(&w, o.iface, err, sizeof err) != 0) {
        fprintf(stderr, "sami-notify: %s\n", err);
        return EXIT_RUNTIME;
    }
    hv.wire = w;
    t_start = mono_us();
    sami_vdp_sm_params_default(&params);
    bool cached = false, retry = false;
    if (!o.no_lldp && do_lldp(w, &r, true, &cached) != 0)
        goto out;
    attempts = 1;
    uint16_t seq = random_seq();
    run(w, &r, cached, seq, &retry);
    if (retry) {
        first_sent = hv.sent;
        first_sent_at = hv.sent_at;
        attempts = 2;
        /* No ECP acknowledgement with the cached view: most often a bridge
         * too busy to ack within R x RTE (a few ms with lldpad's timers),
         * sometimes one that restarted or lost us. Send again at once with
         * the same view (milliseconds) before asking the bridge itself (a
         * fresh LLDP exchange takes a second or more). The same PDU goes
         * with the same ECP sequence number, as ECP's own retransmissions
         * do: the bridge acks but does not deliver it twice if the first
         * one did arrive, and its late ack of the first acknowledges this. */
        say(1, "no ECP acknowledgement with the cached LLDP view: sending again");
        run(w, &r, true, seq, &retry);
    }
    if (retry) {
        attempts = 3;
        say(1, "no ECP acknowledgement again: asking the bridge for its LLDP view");
        cache_drop(o.state_dir, o.iface, wire_mac(w));
        have_peer = false;
        if (do_lldp(w, &r, false, &cached) != 0)
            goto out;
        run(w, &r, false, random_seq(), &retry);
    }
out:
    print_result(&r);
    wire_close(w);
    return r.code;
}
