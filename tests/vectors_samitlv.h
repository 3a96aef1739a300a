/* Hex vectors for the sami org TLVs in VDP (values from the OUI on, without
 * the VDP TLV header). The same bytes appear in docs/PROTOCOL.md section 4. */
#ifndef SAMI_VECTORS_SAMITLV_H
#define SAMI_VECTORS_SAMITLV_H

#include "vectors.h"

static const struct sami_vector sami_vectors_samitlv[] = {
    /* notification PREPARE: VM identity, 2 MAC/VLAN, IPv4, IPv6, both bridges (131 bytes) */
    {"samitlv-notif-prepare",
     "0a 53 4d 02 01 01 01 00 01 23 45 67 89 ab cd ef "
     "00 00 01 8b cf e5 68 00 00 00 75 30 00 00 01 fe "
     "01 15 00 a1 b2 01 05 55 0e 84 00 e2 9b 41 d4 a7 "
     "16 44 66 55 44 00 00 02 08 52 54 00 12 34 56 00 "
     "64 02 08 52 54 00 12 34 57 30 c8 03 04 c0 00 02 "
     "0a 04 10 20 01 0d b8 00 00 00 00 00 00 00 00 00 "
     "00 00 10 05 0e 04 06 02 00 00 00 00 01 05 04 73 "
     "77 70 31 06 0e 04 06 02 00 00 00 00 02 05 04 73 "
     "77 70 37"},
    /* notification SUSPENDED from the source side, 1 MAC/VLAN (97 bytes) */
    {"samitlv-notif-suspended",
     "0a 53 4d 02 01 02 03 00 01 23 45 67 89 ab cd ef "
     "00 00 01 8b cf e6 0c 10 00 00 13 88 00 00 01 fe "
     "01 15 00 a1 b2 01 05 55 0e 84 00 e2 9b 41 d4 a7 "
     "16 44 66 55 44 00 00 02 08 52 54 00 12 34 56 00 "
     "64 05 0e 04 06 02 00 00 00 00 01 05 04 73 77 70 "
     "31 06 0e 04 06 02 00 00 00 00 02 05 04 73 77 70 "
     "37"},
    /* notification RESUMED from the destination side (97 bytes) */
    {"samitlv-notif-resumed",
     "0a 53 4d 02 01 03 01 00 01 23 45 67 89 ab cd ef "
     "00 00 01 8b cf e6 0d 6e 00 00 27 10 00 00 01 fe "
     "01 15 00 a1 b2 01 05 55 0e 84 00 e2 9b 41 d4 a7 "
     "16 44 66 55 44 00 00 02 08 52 54 00 12 34 56 00 "
     "64 05 0e 04 06 02 00 00 00 00 01 05 04 73 77 70 "
     "31 06 0e 04 06 02 00 00 00 00 02 05 04 73 77 70 "
     "37"},
    /* notification COMPLETED, no further deadline (97 bytes) */
    {"samitlv-notif-completed",
     "0a 53 4d 02 01 04 02 00 01 23 45 67 89 ab cd ef "
     "00 00 01 8b cf e6 0f f8 00 00 00 00 00 00 01 fe "
     "01 15 00 a1 b2 01 05 55 0e 84 00 e2 9b 41 d4 a7 "
     "16 44 66 55 44 00 00 02 08 52 54 00 12 34 56 00 "
     "64 05 0e 04 06 02 00 00 00 00 01 05 04 73 77 70 "
     "31 06 0e 04 06 02 00 00 00 00 02 05 04 73 77 70 "
     "37"},
    /* notification ABORTED with reason 3 (DI feedback rollback) (101 bytes) */
    {"samitlv-notif-aborted",
     "0a 53 4d 02 01 05 03 00 01 23 45 67 89 ab cd ef "
     "00 00 01 8b cf e6 17 c8 00 00 00 00 00 00 01 fe "
     "01 15 00 a1 b2 01 05 55 0e 84 00 e2 9b 41 d4 a7 "
     "16 44 66 55 44 00 00 02 08 52 54 00 12 34 56 00 "
     "64 05 0e 04 06 02 00 00 00 00 01 05 04 73 77 70 "
     "31 06 0e 04 06 02 00 00 00 00 02 05 04 73 77 70 "
     "37 07 02 00 03"},
    /* feedback PENDING for PREPARE, no elements (20 bytes) */
    {"samitlv-fb-pending",
     "0a 53 4d 03 01 00 01 00 01 23 45 67 89 ab cd ef "
     "00 00 00 00"},
    /* feedback PROCEED for SUSPENDED, 3 per-DI-type results + reporting bridge (78 bytes) */
    {"samitlv-fb-proceed",
     "0a 53 4d 03 01 01 02 00 01 23 45 67 89 ab cd ef "
     "00 00 bc 7a 01 0c 01 00 00 00 00 00 00 0c 00 00 "
     "00 0c 01 0c 04 00 00 00 00 00 00 02 00 00 00 02 "
     "01 0c 05 01 00 01 00 00 00 28 00 00 00 20 02 0e "
     "04 06 02 00 00 00 00 02 05 04 73 77 70 37"},
    /* feedback ROLLBACK for SUSPENDED, firewall result TIMEOUT (50 bytes) */
    {"samitlv-fb-rollback-timeout",
     "0a 53 4d 03 01 02 02 00 01 23 45 67 89 ab cd ef "
     "00 1e 84 80 01 0c 08 04 00 06 00 00 05 dc 00 00 "
     "00 00 02 0e 04 06 02 00 00 00 00 02 05 04 73 77 "
     "70 37"},
};

#define SAMI_VECTORS_SAMITLV_COUNT (sizeof sami_vectors_samitlv / sizeof sami_vectors_samitlv[0])

#endif
