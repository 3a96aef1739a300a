/* libFuzzer harness: one transfer message. Unauthenticated decode, element
 * iterator, every typed reader and writer, re-encode and builder; then
 * sami_xfer_open with the documented test key, as received (the seeds are
 * signed with it) and re-sealed, so the MAC check, the replay window and the
 * body validation behind it all run (checks.c). */
#include "checks.h"
#include "common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_check_xfer(data, size, 1);
    return 0;
}
