/* libFuzzer harness: LLDPDU (the Ethernet payload after ethertype 0x88CC),
 * with the EVB and sami capability TLVs decoded from every org TLV; the same
 * bytes are also tried as a bare EVB / capability TLV (checks.c). */
#include "checks.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_check_lldp(data, size);
    return 0;
}
