/* libFuzzer harness: one DI record. The first octet is the DI type (all 256
 * values, so unknown types are exercised too); the rest is the element value
 * (version, op, fields). */
#include "checks.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fz_check_di(data[0], data + 1, size - 1);
    return 0;
}
