/* lldp family: LLDPDUs with the EVB TLV and the sami capability TLV.
 * Sent to the nearest-bridge group address (WIRE-PLAN); the EVB octets
 * mirror what lldpad 1.1 sends before negotiation (station `00 03 68 94 14`)
 * and a group-ID capable bridge (`06 00 68 54 14`). */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "samplegen.h"
#include "sami/evb.h"
#include "sami/lldp.h"
#include "sami/samicap.h"

static int check_lldp_frame(const uint8_t *f, size_t len)
{
    struct sami_lldp pdu;
    struct sami_lldp_org org;
    struct sami_evb evb;
    struct sami_samicap cap;
    struct sami_err err;
    int rc;

    if (len < ETH_HDR_LEN || f[12] != 0x88 || f[13] != 0xcc)
        return SAMI_ERR_TYPE;
    rc = sami_lldp_decode(f + ETH_HDR_LEN, len - ETH_HDR_LEN, &pdu, &err);
    if (rc)
        return rc;
    for (size_t i = 0; i < pdu.org_count; i++) {
        sg_must(sami_lldp_get_org(&pdu, i, &org), "lldp org");
        if (sami_evb_match(&org))
            rc = sami_evb_from_org(&org, &evb, &err);
        else if (sami_samicap_match(&org, SAMI_SAMICAP_OUI_DEFAULT))
            rc = sami_samicap_from_org(&org, SAMI_SAMICAP_OUI_DEFAULT, &cap, &err);
        if (rc)
            return rc;
    }
    return 0;
}

struct lldp_build {
    uint8_t extra[128]; /* EVB + sami capability TLVs */
    size_t extra_len;
    size_t at_samicap; /* offset of the capability TLV within extra */
};

static void add_evb(struct lldp_build *lb, const struct sami_evb *e)
{
    size_t n;
    sg_must(sami_evb_encode(e, lb->extra + lb->extra_len, sizeof lb->extra - lb->extra_len, &n),
            "evb encode");
    lb->extra_len += n;
}

static void add_samicap(struct lldp_build *lb, const struct sami_samicap *c)
{
    size_t n;
    lb->at_samicap = lb->extra_len;
    sg_must(sami_samicap_encode(c, SAMI_SAMICAP_OUI_DEFAULT, lb->extra + lb->extra_len,
                                sizeof lb->extra - lb->extra_len, &n),
            "samicap encode");
    lb->extra_len += n;
}

/* Ethernet + LLDPDU padded to 60; *pdu_len = LLDPDU octets before padding. */
static size_t lldp_frame(uint8_t *f, const uint8_t src[6], const struct sami_lldp_tx *tx)
{
    size_t n = eth_hdr(f, mac_lldp, src, SAMI_LLDP_ETHERTYPE), plen;
    sg_must(sami_lldp_encode(tx, f + n, FRAME_MAX - n, &plen), "lldp encode");
    return n + plen;
}

/* Offset (within the LLDPDU) of the first TLV of a type. */
static size_t tlv_offset(const uint8_t *pdu, size_t len, unsigned type)
{
    struct sami_lldp_iter it;
    struct sami_lldp_tlv t;
    struct sami_err err;

    sami_lldp_iter_init(&it, pdu, len, &err);
    while (sami_lldp_iter_next(&it, &t) == 1)
        if (t.type == type)
            return t.offset;
    sg_die("lldp: no TLV of type %u", type);
}

static const char bridge_name[] = "bridge-o";
static const char bridge_desc[] = "sami sample bridge";
static const char bridge_port[] = "swp1";
static const char hv_name[] = "hypervisor-1";
static const uint8_t mgmt_ipv4[4] = {10, 0, 0, 1};

static void bridge_tx(struct sami_lldp_tx *tx, struct sami_lldp_mgmt *mgmt,
                      struct lldp_build *lb, const struct sami_samicap *cap)
{
    struct sami_evb evb;

    memset(tx, 0, sizeof *tx);
    tx->chassis.subtype = SAMI_LLDP_CHASSIS_MAC;
    tx->chassis.id = mac_br_o;
    tx->chassis.len = 6;
    tx->port.subtype = SAMI_LLDP_PORT_IF_NAME;
    tx->port.id = (const uint8_t *)bridge_port;
    tx->port.len = strlen(bridge_port);
    tx->ttl = 120;
    tx->present = SAMI_LLDP_HAS_SYSTEM_NAME | SAMI_LLDP_HAS_SYSTEM_DESC | SAMI_LLDP_HAS_SYSTEM_CAP;
    tx->sys_name.p = (const uint8_t *)bridge_name;
    tx->sys_name.len = strlen(bridge_name);
    tx->sys_desc.p = (const uint8_t *)bridge_desc;
    tx->sys_desc.len = strlen(bridge_desc);
    tx->syscap.caps = SAMI_LLDP_CAP_BRIDGE;
    tx->syscap.enabled = SAMI_LLDP_CAP_BRIDGE;
    memset(mgmt, 0, sizeof *mgmt);
    mgmt->addr_subtype = SAMI_LLDP_AF_IPV4;
    mgmt->addr = mgmt_ipv4;
    mgmt->addr_len = 4;
    mgmt->if_subtype = SAMI_LLDP_IF_IFINDEX;
    mgmt->if_number = 1;
    tx->mgmt = mgmt;
    tx->mgmt_count = 1;

    memset(&evb, 0, sizeof evb);
    evb.bgid = 1;
    evb.rrcap = 1;
    evb.r = 3;
    evb.rte = 8;
    evb.mode = SAMI_EVB_MODE_BRIDGE;
    evb.rwd = 20;
    evb.rka = 20;
    lb->extra_len = 0;
    add_evb(lb, &evb);
    add_samicap(lb, cap);
    tx->extra = lb->extra;
    tx->extra_len = lb->extra_len;
    tx->min_len = SAMI_LLDP_MIN_FRAME_PAYLOAD;
}

static void bridge_cap(struct sami_samicap *c)
{
    memset(c, 0, sizeof *c);
    c->version = SAMI_SAMICAP_VERSION;
    c->role = SAMI_SAMICAP_ROLE_BRIDGE;
    c->di_types = 0x1feu; /* DI types 1..8 */
    c->bindings = SAMI_SAMICAP_BIND_TCP | SAMI_SAMICAP_BIND_L2;
    c->tcp_port = 5757;
    c->family = SAMI_SAMICAP_AF_IPV4;
    memcpy(c->addr, mgmt_ipv4, 4);
    memcpy(c->l2_mac, mac_br_o, 6);
}

static void station_tx(struct sami_lldp_tx *tx, struct lldp_build *lb,
                       const struct sami_samicap *cap)
{
    struct sami_evb evb;

    memset(tx, 0, sizeof *tx);
    tx->chassis.subtype = SAMI_LLDP_CHASSIS_MAC;
    tx->chassis.id = mac_hv;
    tx->chassis.len = 6;
    tx->port.subtype = SAMI_LLDP_PORT_MAC;
    tx->port.id = mac_hv;
    tx->port.len = 6;
    tx->ttl = 120;
    tx->present = SAMI_LLDP_HAS_SYSTEM_NAME;
    tx->sys_name.p = (const uint8_t *)hv_name;
    tx->sys_name.len = strlen(hv_name);

    memset(&evb, 0, sizeof evb);
    evb.rrstat = SAMI_EVB_RRSTAT_UNKNOWN;
    evb.r = 3;
    evb.rte = 8;
    evb.mode = SAMI_EVB_MODE_STATION;
    evb.rwd = 20;
    evb.rka = 20;
    lb->extra_len = 0;
    add_evb(lb, &evb);
    if (cap)
        add_samicap(lb, cap);
    tx->extra = lb->extra;
    tx->extra_len = lb->extra_len;
    tx->min_len = SAMI_LLDP_MIN_FRAME_PAYLOAD;
}

void gen_lldp(struct gen *g)
{
    struct sami_lldp_tx tx;
    struct sami_lldp_mgmt mgmt;
    struct lldp_build lb;
    struct sami_samicap cap;
    uint8_t f[FRAME_MAX];
    size_t flen;

    bridge_cap(&cap);
    bridge_tx(&tx, &mgmt, &lb, &cap);
    sample_begin(g, "lldp", "lldp-bridge-evb-samicap",
                 "bridge-o LLDPDU: chassis MAC, port swp1, TTL 120, system name/description/"
                 "capabilities, management address 10.0.0.1, EVB TLV (bridge, BGID, RRCAP, "
                 "R 3 RTE 8 RWD 20 RKA 20), sami capability (bridge, DI types 1-8, TCP 5757 "
                 "at 10.0.0.1 + L2 02:53:4d:00:00:01)");
    flen = lldp_frame(f, mac_br_o, &tx);
    sample_frame(g, f, flen);
    sample_valid(g, check_lldp_frame(f, flen));

    station_tx(&tx, &lb, NULL);
    sample_begin(g, "lldp", "lldp-station-evb",
                 "hypervisor LLDPDU with the EVB TLV in station mode (`00 03 68 94 14`, "
                 "the octets lldpad sends), no sami TLV");
    flen = lldp_frame(f, mac_hv, &tx);
    sample_frame(g, f, flen);
    sample_valid(g, check_lldp_frame(f, flen));

    memset(&cap, 0, sizeof cap);
    cap.version = SAMI_SAMICAP_VERSION;
    cap.role = SAMI_SAMICAP_ROLE_STATION;
    cap.di_types = 0x1feu;
    cap.family = SAMI_SAMICAP_AF_NONE;
    station_tx(&tx, &lb, &cap);
    sample_begin(g, "lldp", "lldp-station-evb-samicap",
                 "hypervisor LLDPDU with EVB (station) and a sami capability TLV (station "
                 "role, no transfer binding, no address: the 20-octet form)");
    flen = lldp_frame(f, mac_hv, &tx);
    sample_frame(g, f, flen);
    sample_valid(g, check_lldp_frame(f, flen));

    /* ---- malformed ---- */
    bridge_cap(&cap);
    bridge_tx(&tx, &mgmt, &lb, &cap);

    {
        uint8_t good[FRAME_MAX];
        size_t glen = lldp_frame(good, mac_br_o, &tx);
        size_t ttl = ETH_HDR_LEN + tlv_offset(good + ETH_HDR_LEN, glen - ETH_HDR_LEN,
                                              SAMI_LLDP_TLV_TTL);
        size_t tl = 2u + good[ttl + 1];

        memcpy(f, good, ttl);
        memcpy(f + ttl, good + ttl + tl, glen - ttl - tl);
        flen = eth_pad(f, glen - tl);
        sample_begin(g, "lldp", "lldp-bad-missing-ttl",
                     "bridge-o LLDPDU without its mandatory TTL TLV");
        sample_frame(g, f, flen);
        sample_malformed(g, check_lldp_frame(f, flen), SAMI_ERR_MISSING,
                         "TTL TLV `06 02 00 78` (bytes %zu-%zu of the valid frame) removed; "
                         "the system name TLV now follows the port ID",
                         ttl, ttl + tl - 1);

        size_t sn = ETH_HDR_LEN + tlv_offset(good + ETH_HDR_LEN, glen - ETH_HDR_LEN,
                                             SAMI_LLDP_TLV_SYSTEM_NAME);
        memcpy(f, good, glen);
        f[sn] = (uint8_t)(SAMI_LLDP_TLV_SYSTEM_NAME << 1 | 1);
        f[sn + 1] = 0xff;
        sample_begin(g, "lldp", "lldp-tlv-overrun",
                     "bridge-o LLDPDU whose system name TLV claims 511 octets");
        sample_frame(g, f, glen);
        sample_malformed(g, check_lldp_frame(f, glen), SAMI_ERR_LENGTH,
                         "bytes %zu-%zu: TLV header `0a 08` (system name, 8) → `0b ff` "
                         "(511); the frame has %zu octets",
                         sn, sn + 1, glen);

        /* Capability TLV: header(2) OUI(3) subtype(1) version(1). */
        size_t ver = ETH_HDR_LEN + tlv_offset(good + ETH_HDR_LEN, glen - ETH_HDR_LEN,
                                              SAMI_LLDP_TLV_ORG);
        ver += SAMI_EVB_WIRE_LEN + 6; /* the EVB TLV comes first */
        memcpy(f, good, glen);
        if (f[ver] != SAMI_SAMICAP_VERSION || f[ver - 1] != SAMI_SAMICAP_SUBTYPE)
            sg_die("lldp: capability TLV not where expected");
        f[ver] = 2;
        sample_begin(g, "lldp", "lldp-samicap-bad-version",
                     "bridge-o LLDPDU whose sami capability TLV has version 2");
        sample_frame(g, f, glen);
        sample_malformed(g, check_lldp_frame(f, glen), SAMI_ERR_VERSION,
                         "byte %zu: capability version 1 → 2", ver);
    }
}
