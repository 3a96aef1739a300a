/* An lldpad-style agent linking an installed sami: proves the headers, the
 * library and the pkg-config / CMake package metadata are usable. */
#include <stdio.h>
#include <sami/cursor.h>
#include <sami/error.h>

int main(void)
{
    static const unsigned char buf[] = {0x10, 0x01, 0x00, 0x01};
    struct sami_err err;
    struct sami_rd r;
    uint16_t hdr, seq;
    sami_rd_init(&r, buf, sizeof buf, &err);
    if (sami_rd_u16(&r, &hdr, "hdr") || sami_rd_u16(&r, &seq, "seq") || seq != 1) {
        fprintf(stderr, "consumer: %s\n", sami_strerror(err.code));
        return 1;
    }
    printf("consumer: linked sami, read ECP header 0x%04x seq %u (%s)\n", hdr, seq,
           sami_strerror(SAMI_OK));
    return 0;
}
