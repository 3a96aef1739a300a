/* Hex vectors for the LLDP family (lldp-ext/): whole LLDPDUs (the Ethernet
 * payload after ethertype 0x88CC), the EVB TLV alone and the sami capability
 * TLV alone (whole TLVs, with their 2-octet header). The same bytes appear in
 * docs/PROTOCOL.md section 5. Which decoder a vector is for follows its name:
 *   lldp-evb-*      sami_evb_decode
 *   lldp-samicap-*  sami_samicap_decode (OUI SAMI_SAMICAP_OUI_DEFAULT)
 *   other lldp-*    sami_lldp_decode (re-encode with sami_lldp_reencode) */
#ifndef SAMI_VECTORS_LLDP_H
#define SAMI_VECTORS_LLDP_H

#include "vectors.h"

static const struct sami_vector sami_vectors_lldp[] = {
    /* Real: lldpad 1.1 station (52:77:b8:c7:69:3d), frame 4 of
     * /work/shared/interop/lldpad-vdp22-scripted-run.pcap from byte 14: chassis
     * MAC, port MAC, TTL 120, EVB station (RRSTAT unknown), End, then 11 octets
     * of Ethernet padding (46 bytes) */
    {"lldp-lldpad-station",
     "02 07 04 52 77 b8 c7 69 3d "
     "04 07 03 52 77 b8 c7 69 3d "
     "06 02 00 78 "
     "fe 09 00 80 c2 0d 00 03 68 94 14 "
     "00 00 "
     "00 00 00 00 00 00 00 00 00 00 00"},
    /* Real: lldpad 1.1 bridge (a2:74:e1:83:79:63), frame 6 of the same
     * capture: EVB bridge, RRCAP, timers negotiated (ROL set) (46 bytes) */
    {"lldp-lldpad-bridge",
     "02 07 04 a2 74 e1 83 79 63 "
     "04 07 03 a2 74 e1 83 79 63 "
     "06 02 00 78 "
     "fe 09 00 80 c2 0d 02 03 68 74 34 "
     "00 00 "
     "00 00 00 00 00 00 00 00 00 00 00"},
    /* Real: lldpd 1.0.16 on a veth (hostname/description set with lldpcli,
     * sami capability sent as a custom TLV): every standard TLV type, two
     * management addresses, 802.3 org TLVs, port description after the
     * management addresses (lldpd's order) (151 bytes) */
    {"lldp-lldpd-hypervisor",
     "02 07 04 02 53 4d 00 01 01 "
     "04 07 03 02 53 4d 00 01 01 "
     "06 02 00 78 "
     "0a 08 73 61 6d 69 2d 68 76 31 "
     "0c 14 73 61 6d 69 20 74 65 73 74 20 68 79 70 65 72 76 69 73 6f 72 "
     "0e 04 00 9c 00 80 "
     "10 0c 05 01 c0 00 02 0b 02 00 00 00 02 00 "
     "10 18 11 02 fe 80 00 00 00 00 00 00 00 53 4d ff fe 00 01 01 02 00 00 00 02 00 "
     "08 03 68 76 30 "
     "fe 09 00 12 0f 03 01 00 00 00 00 "
     "fe 09 00 12 0f 01 00 80 00 00 36 "
     "fe 14 0a 53 4d 01 01 01 00 00 01 fe 00 00 00 00 00 00 00 00 00 00 "
     "00 00"},
    /* sami bridge: chassis MAC 02:00:00:00:00:01, port ifname swp1, TTL 120,
     * system name sami-br1, EVB bridge (not yet negotiated), sami capability
     * (bridge, DI types 1..8, TCP+L2, port 5757, 192.0.2.1, L2 MAC) (69 bytes) */
    {"lldp-sami-bridge",
     "02 07 04 02 00 00 00 00 01 "
     "04 05 05 73 77 70 31 "
     "06 02 00 78 "
     "0a 08 73 61 6d 69 2d 62 72 31 "
     "fe 09 00 80 c2 0d 02 00 68 54 14 "
     "fe 18 0a 53 4d 01 01 02 00 00 01 fe 03 16 7d 01 c0 00 02 01 02 00 00 00 00 01 "
     "00 00"},
    /* EVB TLV alone, lldpad bridge after negotiation (frame 6) (11 bytes) */
    {"lldp-evb-bridge", "fe 09 00 80 c2 0d 02 03 68 74 34"},
    /* EVB TLV alone, lldpad station after negotiation (frame 7) (11 bytes) */
    {"lldp-evb-station", "fe 09 00 80 c2 0d 02 00 68 b4 34"},
    /* sami capability TLV alone: bridge, DI types 1..8, TCP only, port 5757,
     * 2001:db8::1, MAC zero (no L2 binding) (38 bytes) */
    {"lldp-samicap-ipv6",
     "fe 24 0a 53 4d 01 01 02 00 00 01 fe 01 16 7d 02 "
     "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 "
     "00 00 00 00 00 00"},
};

#endif
