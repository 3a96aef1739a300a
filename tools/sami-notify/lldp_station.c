/* The station's side of LLDP: our EVB announcement and the bridge's. */
#include <string.h>

#include "notify.h"
#include "sami/lldp.h"

static const uint8_t NCB[6] = SAMI_LLDP_DST_NEAREST_CUSTOMER_BRIDGE;

int lldp_station_frame(uint8_t *buf, size_t cap, size_t *len, const uint8_t mac[6],
                       const char *ifname, const struct sami_evb *evb, const uint8_t oui[3],
                       bool samicap)
{
    (void)ifname;
    if (cap < 14)
        return SAMI_ERR_NOBUFS;
    memcpy(buf, NCB, 6);
    memcpy(buf + 6, mac, 6);
    buf[12] = 0x88;
    buf[13] = 0xcc;

    uint8_t evb_info[SAMI_EVB_INFO_LEN];
    sami_evb_pack(evb, evb_info);
    struct sami_lldp_org org;
    memset(&org, 0, sizeof org);
    org.oui = SAMI_EVB_OUI;
    org.subtype = SAMI_EVB_SUBTYPE;
    org.info = evb_info;
    org.info_len = sizeof evb_info;

    /* The sami capability TLV says "this station speaks sami" to a sami
     * bridge; a plain EVB bridge stores it as an unknown org TLV. */
    uint8_t cap_tlv[64];
    size_t cap_len = 0;
    if (samicap) {
        struct sami_samicap c;
        memset(&c, 0, sizeof c);
        c.version = SAMI_SAMICAP_VERSION;
        c.role = SAMI_SAMICAP_ROLE_STATION;
        uint32_t o = (uint32_t)oui[0] << 16 | (uint32_t)oui[1] << 8 | oui[2];
        int rc = sami_samicap_encode(&c, o, cap_tlv, sizeof cap_tlv, &cap_len);
        if (rc)
            return rc;
    }

    struct sami_lldp_tx tx;
    memset(&tx, 0, sizeof tx);
    /* Chassis and port are our MAC, as lldpad's station sends them. */
    tx.chassis.subtype = SAMI_LLDP_CHASSIS_MAC;
    tx.chassis.id = mac;
    tx.chassis.len = 6;
    tx.port.subtype = SAMI_LLDP_PORT_MAC;
    tx.port.id = mac;
    tx.port.len = 6;
    tx.ttl = 120;
    tx.org = &org;
    tx.org_count = 1;
    tx.extra = cap_len ? cap_tlv : NULL;
    tx.extra_len = cap_len;
    tx.min_len = SAMI_LLDP_MIN_FRAME_PAYLOAD;
    size_t n = 0;
    int rc = sami_lldp_encode(&tx, buf + 14, cap - 14, &n);
    if (rc)
        return rc;
    *len = 14 + n;
    return 0;
}

int lldp_station_parse(const uint8_t *frame, size_t len, const uint8_t oui[3],
                       struct lldp_peer *peer)
{
    if (len < 14 || frame[12] != 0x88 || frame[13] != 0xcc)
        return SAMI_ERR_TYPE;
    struct sami_lldp pdu;
    struct sami_err err;
    int rc = sami_lldp_decode(frame + 14, len - 14, &pdu, &err);
    if (rc)
        return rc;
    struct sami_lldp_org org;
    struct sami_evb evb;
    if (sami_lldp_find_org(&pdu, SAMI_EVB_OUI, SAMI_EVB_SUBTYPE, &org) != 0 ||
        sami_evb_from_org(&org, &evb, &err) != 0 || evb.mode != SAMI_EVB_MODE_BRIDGE)
        return 0;
    memset(peer, 0, sizeof *peer);
    peer->evb_bridge = true;
    peer->evb = evb;
    memcpy(peer->src, frame + 6, 6);
    peer->chassis_subtype = pdu.chassis.subtype;
    peer->chassis_len = pdu.chassis.len;
    memcpy(peer->chassis, pdu.chassis.id, pdu.chassis.len);
    peer->port_subtype = pdu.port.subtype;
    peer->port_len = pdu.port.len;
    memcpy(peer->port, pdu.port.id, pdu.port.len);
    peer->ttl = pdu.ttl;
    /* lldpad's bridge copies the station's status octet and sets the ROL
     * bits once it has a station's TLV; before that both are zero. */
    peer->heard_us = evb.sgid || evb.rrreq || evb.rrstat || evb.rol_rwd || evb.rol_rka;
    uint32_t o = (uint32_t)oui[0] << 16 | (uint32_t)oui[1] << 8 | oui[2];
    if (sami_lldp_find_org(&pdu, o, SAMI_SAMICAP_SUBTYPE, &org) == 0 &&
        sami_samicap_from_org(&org, o, &peer->cap, &err) == 0)
        peer->has_samicap = true;
    return 1;
}
