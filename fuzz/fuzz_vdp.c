/* libFuzzer harness: VDP ULPDU (the octets after the 4-octet ECP header).
 * Iterator and whole-PDU decode must agree, the filter accessor must reach
 * every entry, and every accepted PDU re-encodes (codec and builder) to the
 * same octets; sami org TLVs inside are decoded too (checks.c). */
#include "checks.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_check_vdp(data, size);
    return 0;
}
