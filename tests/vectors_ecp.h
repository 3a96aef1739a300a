/* ECP test vectors (docs/PROTOCOL.md section 2 shows the same bytes).
 * Each is an ECPDU: the octets after the Ethernet ethertype. The lldpad
 * ones are copied from /work/shared/interop/lldpad-vdp22-scripted-run.pcap. */
#ifndef SAMI_TEST_VECTORS_ECP_H
#define SAMI_TEST_VECTORS_ECP_H

#include "vectors.h"

static const struct sami_vector sami_vectors_ecp[] = {
    {"ecp-request-hdr",
     "10 01 00 01"},
    {"ecp-ack",
     "14 01 00 01"},
    {"ecp-ack-seq-max",
     "14 01 ff ff"},
    {"ecp-request-pecsp",
     "10 02 00 05 00 00"},
    {"ecp-lldpad-assoc-req",
     "10 01 00 01 0a 10 62 6c 61 62 6c 61 00 00 00 00 "
     "00 00 00 00 00 00 06 21 00 00 00 05 04 05 00 11 "
     "22 33 44 55 66 77 88 99 aa bb cc dd ee ff 02 00 "
     "01 52 54 00 12 34 56 00 64 fe 2c 00 00 0c f1 05 "
     "00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff "
     "05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
     "00 74 65 73 74 76 6d fe 1b 00 00 0c f2 05 00 11 "
     "22 33 44 55 66 77 88 99 aa bb cc dd ee ff 00 01 "
     "0a 01 02 03"},
    {"ecp-lldpad-deassoc-rsp",
     "10 01 00 03 0a 10 62 6c 61 62 6c 61 00 00 00 00 "
     "00 00 00 00 00 00 08 21 40 00 00 05 04 05 00 11 "
     "22 33 44 55 66 77 88 99 aa bb cc dd ee ff 02 00 "
     "01 52 54 00 12 34 56 00 64"},
    {"ecp-request-vdp",
     "10 01 00 2a 0a 10 62 6c 61 62 6c 61 00 00 00 00 "
     "00 00 00 00 00 00 06 21 40 00 00 05 04 05 00 11 "
     "22 33 44 55 66 77 88 99 aa bb cc dd ee ff 02 00 "
     "01 52 54 00 12 34 56 00 64 00 00"},
};

#define SAMI_VECTORS_ECP_COUNT (sizeof sami_vectors_ecp / sizeof sami_vectors_ecp[0])

#endif
