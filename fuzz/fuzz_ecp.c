/* libFuzzer harness: ECPDU (the octets after ethertype 0x8940). The header
 * must re-encode to the same octets; a VDP request's ULPDU goes through the
 * full VDP checks (checks.c). */
#include "checks.h"
#include "common.h"
#include "sami/ecp.h"
#include "sami/vdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sami_ecp ecp;
    struct sami_err err;
    uint8_t hdr[SAMI_ECP_HDR_LEN];
    size_t n = 0;

    fz_err_reset(&err);
    int rc = sami_ecp_decode(data, size, &ecp, &err);
    fz_check_err(rc, &err, size, "sami_ecp_decode");
    if (rc)
        return 0;
    FUZZ_CHECK(ecp.hdr.version == SAMI_ECP_VERSION && ecp.hdr.op <= SAMI_ECP_OP_ACK);
    FUZZ_CHECK(ecp.hdr.subtype <= SAMI_ECP_SUBTYPE_MAX);
    FUZZ_CHECK(ecp.ulpdu_len == size - SAMI_ECP_HDR_LEN);
    FUZZ_CHECK(ecp.ulpdu_len ? ecp.ulpdu == data + SAMI_ECP_HDR_LEN : ecp.ulpdu == NULL);

    /* header and whole PDU come back byte for byte */
    FUZZ_CHECK(sami_ecp_encode_hdr(&ecp.hdr, hdr, sizeof hdr, &n) == 0 && n == SAMI_ECP_HDR_LEN);
    FUZZ_CHECK(memcmp(hdr, data, n) == 0);
    FUZZ_CHECK(sami_ecp_encode(&ecp, NULL, 0, &n) == SAMI_ERR_NOBUFS && n == size);
    uint8_t *out = malloc(size);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_ecp_encode(&ecp, out, size, &n) == 0 && n == size);
    FUZZ_CHECK(memcmp(out, data, size) == 0);
    free(out);

    /* the reader form over the same octets agrees */
    {
        struct sami_rd r;
        struct sami_ecp_hdr h;
        sami_rd_init(&r, data, size, NULL);
        FUZZ_CHECK(sami_ecp_read(&r, &h) == 0 && h.seq == ecp.hdr.seq && h.op == ecp.hdr.op);
    }

    if (ecp.hdr.op != SAMI_ECP_OP_REQUEST || ecp.hdr.subtype != SAMI_ECP_SUBTYPE_VDP)
        return 0;
    /* an empty ULPDU has a NULL view: hand VDP a valid (one-past) pointer */
    const uint8_t *ulpdu = ecp.ulpdu ? ecp.ulpdu : data + SAMI_ECP_HDR_LEN;
    fz_check_vdp(ulpdu, ecp.ulpdu_len);

    /* A dissector iterates the ULPDU in place, on the frame's reader
     * (sami_vdp_iter_init_rd): same TLVs and verdict, every offset moved by
     * the ECP header. */
    {
        struct sami_vdp_iter a, b;
        struct sami_vdp_tlv ta, tb;
        struct sami_err ea, eb;
        struct sami_rd r;
        struct sami_ecp_hdr h;
        int ra, rb;
        fz_err_reset(&ea);
        fz_err_reset(&eb);
        sami_vdp_iter_init(&a, ulpdu, ecp.ulpdu_len, &ea);
        sami_rd_init(&r, data, size, &eb);
        FUZZ_CHECK(sami_ecp_read(&r, &h) == 0);
        sami_vdp_iter_init_rd(&b, &r);
        FUZZ_CHECK(sami_rd_offset(&r) == SAMI_ECP_HDR_LEN); /* r is not moved */
        do {
            ra = sami_vdp_next(&a, &ta);
            rb = sami_vdp_next(&b, &tb);
            FUZZ_CHECK(ra == rb);
            if (ra == 1)
                FUZZ_CHECK(tb.offset == ta.offset + SAMI_ECP_HDR_LEN && tb.type == ta.type &&
                           tb.length == ta.length && tb.value == ta.value);
        } while (ra == 1);
        fz_check_err(rb, &eb, size, "sami_vdp_next(iter_init_rd)");
        if (ra < 0)
            FUZZ_CHECK(eb.offset == ea.offset + SAMI_ECP_HDR_LEN && eb.what == ea.what);
        else
            FUZZ_CHECK(b.end == a.end + SAMI_ECP_HDR_LEN && b.padding == a.padding);
    }
    return 0;
}
