/* libFuzzer harness: sami migration notification, the value of a VDP
 * type-127 TLV from the OUI on (default OUI 0A-53-4D). */
#include "checks.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_check_notif(data, size);
    return 0;
}
