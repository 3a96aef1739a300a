/* LLDP on the downlinks (802.1AB): what a station needs to find a sami
 * bridge and to run VDP with it.
 *
 * Transmit, every 30 s and soon after a change (a station heard, timers
 * renegotiated): chassis id (our chassis MAC: notifications name bridges by
 * it), port id (interface name), TTL 120, port description, system name,
 * system description, system capabilities (bridge), the management address
 * we take transfers on, the EVB TLV (bridge mode, BGID per the downlink's
 * group-id option; once a station's EVB TLV
 * was heard: the negotiated timers, the ROL bits and the station's status
 * copied back, as lldpad's bridge does) and the sami capability TLV
 * (version, role bridge, DI types, transfer endpoint).
 *
 * Receive: a station's EVB TLV sets the port's VDP/ECP timers to the
 * negotiated values (each of R, RTE, RWD, RKA the larger of both sides). We
 * answer every station LLDPDU promptly (at most every 200 ms): a station
 * that just announced itself waits for the bridge's echo before VDP. The
 * destination is the nearest customer bridge group address, where lldpad's
 * EVB agent lives. */
#define _DEFAULT_SOURCE 1
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "samid.h"
#include "sami/lldp.h"

#define LLDP_INTERVAL SAMI_SEC(30)
#define LLDP_TTL 120
#define LLDP_MIN_GAP SAMI_MSEC(200)

static const uint8_t NCB[6] = SAMI_LLDP_DST_NEAREST_CUSTOMER_BRIDGE;

static void local_from_cfg(const struct dlink *dl, struct sami_evb *e)
{
    memset(e, 0, sizeof *e);
    e->mode = SAMI_EVB_MODE_BRIDGE;
    /* BGID: a station uses the GroupID filter formats only when the
     * bridge sets it and its own SGID (lldpad: both bits, else it refuses
     * them locally). */
    e->bgid = dl->cfg->group_id ? 1 : 0;
    e->r = dl->cfg->vdp.r;
    e->rte = dl->cfg->vdp.rte;
    e->rwd = dl->cfg->vdp.rwd;
    e->rka = dl->cfg->vdp.rka;
}

/* What we advertise after negotiating with a station's EVB TLV: the larger
 * timers, our BGID, the station's status octet copied back (as lldpad's
 * bridge does). */
static int negotiated_evb(const struct dlink *dl, const struct sami_evb *station,
                          struct sami_evb *base, struct sami_evb *neg)
{
    local_from_cfg(dl, base);
    if (sami_evb_negotiate(base, station, neg) != 0)
        return -1;
    neg->mode = SAMI_EVB_MODE_BRIDGE;
    neg->bgid = base->bgid;
    neg->rrcap = 0;
    neg->rrctr = 0;
    neg->sgid = station->sgid;
    neg->rrreq = station->rrreq;
    neg->rrstat = station->rrstat;
    return 0;
}

void lldp_init_port(struct dlink *dl)
{
    local_from_cfg(dl, &dl->local_evb);
    dl->negotiated = 0;
    memset(&dl->nb, 0, sizeof dl->nb);
    dl->lldp_next = D->now;
    dl->lldp_soon = 0;
}

static uint32_t oui24(const uint8_t o[3])
{
    return (uint32_t)o[0] << 16 | (uint32_t)o[1] << 8 | o[2];
}

/* The transfer endpoint LLDP names: transfer.advertise, else the listen
 * address unless it is unspecified. 0 family = none. */
static int endpoint(uint8_t addr[16], int *family)
{
    const char *a = D->cfg.transfer.advertise ? D->cfg.transfer.advertise : D->cfg.transfer.listen;
    *family = SAMI_SAMICAP_AF_NONE;
    memset(addr, 0, 16);
    if (!a)
        return 0;
    if (inet_pton(AF_INET, a, addr) == 1) {
        static const uint8_t any4[4];
        if (memcmp(addr, any4, 4))
            *family = SAMI_SAMICAP_AF_IPV4;
    } else if (inet_pton(AF_INET6, a, addr) == 1) {
        static const uint8_t any6[16];
        if (memcmp(addr, any6, 16))
            *family = SAMI_SAMICAP_AF_IPV6;
    }
    if (*family == SAMI_SAMICAP_AF_NONE)
        memset(addr, 0, 16);
    return 0;
}

static int build(const struct dlink *dl, uint16_t ttl, uint8_t *buf, size_t cap, size_t *len)
{
    if (cap < 14)
        return SAMI_ERR_NOBUFS;
    memcpy(buf, NCB, 6);
    memcpy(buf + 6, dl->eth.mac, 6);
    buf[12] = 0x88;
    buf[13] = 0xcc;

    uint8_t evb_info[SAMI_EVB_INFO_LEN];
    sami_evb_pack(&dl->local_evb, evb_info);
    struct sami_lldp_org org;
    memset(&org, 0, sizeof org);
    org.oui = SAMI_EVB_OUI;
    org.subtype = SAMI_EVB_SUBTYPE;
    org.info = evb_info;
    org.info_len = sizeof evb_info;

    struct sami_samicap sc;
    memset(&sc, 0, sizeof sc);
    sc.version = SAMI_SAMICAP_VERSION;
    sc.role = SAMI_SAMICAP_ROLE_BRIDGE;
    sc.di_types = SAMI_DI_ALL_TYPES;
    sc.bindings = SAMI_SAMICAP_BIND_TCP | (D->has_l2 ? SAMI_SAMICAP_BIND_L2 : 0);
    sc.tcp_port = D->cfg.transfer.port;
    int fam;
    endpoint(sc.addr, &fam);
    sc.family = (uint8_t)fam;
    if (D->has_l2)
        memcpy(sc.l2_mac, D->cfg.bridge.id.mac, 6);
    uint8_t cap_tlv[64];
    size_t cap_len = 0;
    int rc = sami_samicap_encode(&sc, oui24(D->cfg.bridge.oui), cap_tlv, sizeof cap_tlv, &cap_len);
    if (rc)
        return rc;

    char sysname[65], portdesc[64], sysdesc[96];
    if (D->cfg.bridge.name[0])
        snprintf(sysname, sizeof sysname, "%s", D->cfg.bridge.name);
    else if (gethostname(sysname, sizeof sysname) != 0 || !sysname[0])
        snprintf(sysname, sizeof sysname, "samid");
    sysname[sizeof sysname - 1] = 0;
    snprintf(portdesc, sizeof portdesc, "samid downlink %s", dl->eth.ifname);
    snprintf(sysdesc, sizeof sysdesc, "samid %s: sami VM state migration bridge agent",
             SAMID_VERSION);

    struct sami_lldp_mgmt mg;
    uint8_t maddr[16];
    memset(&mg, 0, sizeof mg);
    endpoint(maddr, &fam);
    if (fam != SAMI_SAMICAP_AF_NONE) {
        mg.addr_subtype = fam == SAMI_SAMICAP_AF_IPV4 ? SAMI_LLDP_AF_IPV4 : SAMI_LLDP_AF_IPV6;
        mg.addr = maddr;
        mg.addr_len = fam == SAMI_SAMICAP_AF_IPV4 ? 4 : 16;
        mg.if_subtype = SAMI_LLDP_IF_UNKNOWN;
    }

    struct sami_lldp_tx tx;
    memset(&tx, 0, sizeof tx);
    tx.chassis.subtype = SAMI_LLDP_CHASSIS_MAC;
    tx.chassis.id = D->cfg.bridge.chassis_id;
    tx.chassis.len = 6;
    tx.port.subtype = SAMI_LLDP_PORT_IF_NAME;
    tx.port.id = (const uint8_t *)dl->eth.ifname;
    tx.port.len = strlen(dl->eth.ifname);
    tx.ttl = ttl;
    tx.present = SAMI_LLDP_HAS_PORT_DESC | SAMI_LLDP_HAS_SYSTEM_NAME | SAMI_LLDP_HAS_SYSTEM_DESC |
                 SAMI_LLDP_HAS_SYSTEM_CAP;
    tx.port_desc.p = (const uint8_t *)portdesc;
    tx.port_desc.len = strlen(portdesc);
    tx.sys_name.p = (const uint8_t *)sysname;
    tx.sys_name.len = strlen(sysname);
    tx.sys_desc.p = (const uint8_t *)sysdesc;
    tx.sys_desc.len = strlen(sysdesc);
    tx.syscap.caps = SAMI_LLDP_CAP_BRIDGE;
    tx.syscap.enabled = SAMI_LLDP_CAP_BRIDGE;
    tx.mgmt = fam != SAMI_SAMICAP_AF_NONE ? &mg : NULL;
    tx.mgmt_count = fam != SAMI_SAMICAP_AF_NONE ? 1 : 0;
    tx.org = &org;
    tx.org_count = 1;
    tx.extra = cap_tlv;
    tx.extra_len = cap_len;
    tx.min_len = SAMI_LLDP_MIN_FRAME_PAYLOAD;
    size_t n = 0;
    rc = sami_lldp_encode(&tx, buf + 14, cap - 14, &n);
    if (rc)
        return rc;
    *len = 14 + n;
    return 0;
}

static void send_now(struct dlink *dl, uint16_t ttl)
{
    uint8_t f[1514];
    size_t len = 0;
    int rc = build(dl, ttl, f, sizeof f, &len);
    if (rc) {
        slog_rl(SAMID_LOG_ERROR, "lldp-build", "%s: cannot build the LLDPDU: %s", dl->eth.ifname,
                sami_strerror(rc));
        return;
    }
    if (eth_send(&dl->eth, f, len) == 0)
        dl->lldp_tx++;
    dl->lldp_last = D->now;
    dl->lldp_next = D->now + LLDP_INTERVAL;
    dl->lldp_soon = 0;
}

void lldp_shutdown(struct dlink *dl)
{
    if (dl->cfg->lldp && dl->eth.ln)
        send_now(dl, 0);
}

static void forget_neighbour(struct dlink *dl, const char *why)
{
    char m[18];
    slog(SAMID_LOG_INFO, "%s: LLDP neighbour %s %s; VDP timers back to the configured ones",
         dl->eth.ifname, hexmac(dl->nb.src, m), why);
    memset(&dl->nb, 0, sizeof dl->nb);
    local_from_cfg(dl, &dl->local_evb);
    dl->negotiated = 0;
    bridge_apply_downlink_cfg(dl);
    dl->lldp_soon = 1;
}

void lldp_tick(struct dlink *dl)
{
    if (dl->nb.valid && D->now >= dl->nb.expires)
        forget_neighbour(dl, "aged out (TTL)");
    /* A reload may have changed group-id or the timers: advertise the new
     * values now rather than at the station's next LLDPDU. (The VDP engine
     * got them from bridge_apply_downlink_cfg already.) */
    struct sami_evb base, want;
    int ok = 0;
    if (dl->negotiated && dl->nb.valid && dl->nb.has_evb)
        ok = negotiated_evb(dl, &dl->nb.evb, &base, &want) == 0;
    else if (!dl->negotiated) {
        local_from_cfg(dl, &want);
        ok = 1;
    }
    if (ok && memcmp(&want, &dl->local_evb, sizeof want) != 0) {
        dl->local_evb = want;
        dl->lldp_soon = 1;
    }
    if (!dl->cfg->lldp)
        return;
    if (D->now >= dl->lldp_next || (dl->lldp_soon && D->now >= dl->lldp_last + LLDP_MIN_GAP))
        send_now(dl, LLDP_TTL);
}

sami_usec_t lldp_next_deadline(const struct dlink *dl)
{
    sami_usec_t d = SAMI_NO_DEADLINE;
    if (dl->cfg->lldp) {
        d = dl->lldp_next;
        if (dl->lldp_soon && dl->lldp_last + LLDP_MIN_GAP < d)
            d = dl->lldp_last + LLDP_MIN_GAP;
    }
    if (dl->nb.valid && dl->nb.expires < d)
        d = dl->nb.expires;
    return d;
}

void lldp_rx(struct dlink *dl, const uint8_t *f, size_t len)
{
    char m[18];
    struct sami_lldp pdu;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    dl->lldp_rx++;
    int rc = len >= 14 ? sami_lldp_decode(f + 14, len - 14, &pdu, &err) : SAMI_ERR_TRUNCATED;
    if (rc) {
        dl->lldp_bad++;
        D->frames_refused++;
        slog_rl(SAMID_LOG_WARN, "lldp-bad",
                "%s: refused an LLDPDU from %s: %s at offset %zu (%s)", dl->eth.ifname,
                hexmac(f + 6, m), sami_strerror(rc), err.offset + 14,
                err.what ? err.what : "?");
        return;
    }
    if (pdu.ttl == 0) {
        if (dl->nb.valid && !memcmp(dl->nb.src, f + 6, 6))
            forget_neighbour(dl, "left (TTL 0)");
        return;
    }
    struct lldp_nb nb;
    memset(&nb, 0, sizeof nb);
    nb.valid = 1;
    memcpy(nb.src, f + 6, 6);
    nb.chassis_subtype = pdu.chassis.subtype;
    nb.chassis_len = (uint8_t)pdu.chassis.len;
    memcpy(nb.chassis, pdu.chassis.id, pdu.chassis.len);
    nb.port_subtype = pdu.port.subtype;
    nb.port_len = (uint8_t)pdu.port.len;
    memcpy(nb.port, pdu.port.id, pdu.port.len);
    nb.ttl = pdu.ttl;
    nb.expires = D->now + SAMI_SEC(pdu.ttl);
    nb.pdus = dl->nb.pdus + 1;
    if (pdu.present & SAMI_LLDP_HAS_SYSTEM_NAME) {
        size_t n = pdu.sys_name.len < 64 ? pdu.sys_name.len : 64;
        for (size_t i = 0; i < n; i++) {
            char c = (char)pdu.sys_name.p[i];
            nb.sysname[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
        }
    }
    struct sami_lldp_org org;
    if (sami_lldp_find_org(&pdu, SAMI_EVB_OUI, SAMI_EVB_SUBTYPE, &org) == 0) {
        if (sami_evb_from_org(&org, &nb.evb, &err) == 0) {
            nb.has_evb = 1;
        } else {
            dl->lldp_bad++;
            slog_rl(SAMID_LOG_WARN, "lldp-evb", "%s: ignored a bad EVB TLV from %s: %s",
                    dl->eth.ifname, hexmac(f + 6, m), err.what ? err.what : "?");
        }
    }
    uint32_t o = oui24(D->cfg.bridge.oui);
    if (sami_lldp_find_org(&pdu, o, SAMI_SAMICAP_SUBTYPE, &org) == 0 &&
        sami_samicap_from_org(&org, o, &nb.cap, &err) == 0)
        nb.has_cap = 1;

    int is_new = !dl->nb.valid || memcmp(dl->nb.src, nb.src, 6) != 0;
    /* rate-limited per port: a flood of LLDPDUs from ever new source MACs
     * must not write a line each (tests/e2e/flood.sh) */
    char nb_key[32], evb_key[32];
    snprintf(nb_key, sizeof nb_key, "lldp-nb-%d", dl->port);
    snprintf(evb_key, sizeof evb_key, "lldp-neg-%d", dl->port);
    if (nb.has_evb && nb.evb.mode != SAMI_EVB_MODE_STATION) {
        /* Another bridge (or a misconfigured peer) on a station-facing
         * port: no negotiation with it. */
        slog_rl(SAMID_LOG_WARN, "lldp-mode",
                "%s: LLDP neighbour %s announces EVB mode '%s', not a station: not negotiated",
                dl->eth.ifname, hexmac(nb.src, m), sami_evb_mode_name(nb.evb.mode));
        nb.has_evb = 0;
    }
    if (nb.has_evb) {
        struct sami_evb base, neg;
        if (negotiated_evb(dl, &nb.evb, &base, &neg) == 0) {
            int changed = !dl->negotiated || memcmp(&neg, &dl->local_evb, sizeof neg) != 0;
            dl->local_evb = neg;
            dl->negotiated = 1;
            if (changed) {
                struct sami_vdp_bridge *br =
                    (struct sami_vdp_bridge *)sami_node_bridge_vdp(D->node, dl->port);
                /* The node exposes its VDP bridges read-only; the timers are
                 * per port and nothing else sets them (see bridge.c). */
                if (br && sami_vdp_bridge_set_evb(br, &base, &nb.evb) == 0)
                    slog_rl(SAMID_LOG_INFO, evb_key,
                         "%s: EVB negotiated with station %s: R %u, RTE %u, RWD %u, RKA %u",
                         dl->eth.ifname, hexmac(nb.src, m), neg.r, neg.rte, neg.rwd, neg.rka);
            }
        }
    }
    if (is_new)
        slog_rl(SAMID_LOG_INFO, nb_key, "%s: LLDP neighbour %s%s%s%s", dl->eth.ifname, hexmac(nb.src, m),
             nb.sysname[0] ? " (" : "", nb.sysname, nb.sysname[0] ? ")" : "");
    dl->nb = nb;
    /* Answer every station LLDPDU soon: it may be waiting for our echo. */
    if (nb.has_evb)
        dl->lldp_soon = 1;
}

static void jid(struct jw *w, const char *k, uint8_t subtype, const uint8_t *id, size_t len)
{
    char b[520];
    size_t o = 0;
    int printable = 1;
    for (size_t i = 0; i < len; i++)
        if (id[i] < 0x20 || id[i] >= 0x7f)
            printable = 0;
    if (len == 6 && (subtype == SAMI_LLDP_CHASSIS_MAC || subtype == 3)) {
        char m[18];
        jw_kstr(w, k, hexmac(id, m));
        return;
    }
    if (printable) {
        jw_key(w, k);
        jw_strn(w, (const char *)id, len);
        return;
    }
    for (size_t i = 0; i < len && o + 3 < sizeof b; i++)
        o += (size_t)snprintf(b + o, sizeof b - o, "%02x", id[i]);
    b[o] = 0;
    jw_kstr(w, k, b);
}

void lldp_json(struct jw *w, const struct dlink *dl)
{
    jw_key(w, "lldp");
    jw_obj(w);
    jw_kbool(w, "enabled", dl->cfg->lldp);
    jw_ku64(w, "tx", dl->lldp_tx);
    jw_ku64(w, "rx", dl->lldp_rx);
    jw_ku64(w, "bad", dl->lldp_bad);
    jw_key(w, "evb");
    jw_obj(w);
    jw_kbool(w, "negotiated", dl->negotiated);
    jw_kbool(w, "bgid", dl->local_evb.bgid);
    /* group IDs usable on the port: BGID here, SGID from the station */
    jw_kbool(w, "group_ids", dl->local_evb.bgid && dl->nb.valid && dl->nb.has_evb &&
                                 dl->nb.evb.sgid);
    jw_ku64(w, "r", dl->local_evb.r);
    jw_ku64(w, "rte", dl->local_evb.rte);
    jw_ku64(w, "rwd", dl->local_evb.rwd);
    jw_ku64(w, "rka", dl->local_evb.rka);
    jw_end_obj(w);
    jw_key(w, "neighbour");
    if (!dl->nb.valid) {
        jw_null(w);
    } else {
        char m[18];
        jw_obj(w);
        jw_kstr(w, "mac", hexmac(dl->nb.src, m));
        jid(w, "chassis", dl->nb.chassis_subtype, dl->nb.chassis, dl->nb.chassis_len);
        jid(w, "port", dl->nb.port_subtype, dl->nb.port, dl->nb.port_len);
        jw_kstr(w, "system_name", dl->nb.sysname);
        jw_ku64(w, "ttl", dl->nb.ttl);
        jw_ki64(w, "expires_ms", (int64_t)(dl->nb.expires - D->now) / 1000);
        jw_kbool(w, "evb_station", dl->nb.has_evb);
        jw_kbool(w, "sami", dl->nb.has_cap);
        if (dl->nb.has_cap)
            jw_kstr(w, "sami_role", sami_samicap_role_name(dl->nb.cap.role));
        jw_ku64(w, "pdus", dl->nb.pdus);
        jw_end_obj(w);
    }
    jw_end_obj(w);
}
