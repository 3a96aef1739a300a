/* docs/PROTOCOL.md is the spec: every vector in it must (1) be the same bytes
 * as the vector of that name in tests/vectors_*.h (which the module tests
 * check field by field), (2) decode with the library without error and
 * (3) re-encode to exactly its bytes. Every header vector must appear in the
 * doc. So a wire change cannot land without the doc, the vectors and the
 * codec changing together. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "protocol_doc.h"
#include "vectors_di.h"
#include "vectors_ecp.h"
#include "vectors_lldp.h"
#include "vectors_samitlv.h"
#include "vectors_vdp.h"
#include "vectors_xfer.h"

#include "sami/di.h"
#include "sami/ecp.h"
#include "sami/evb.h"
#include "sami/hmac.h"
#include "sami/lldp.h"
#include "sami/samicap.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"
#include "sami/xfer.h"
#include "sami/xfer_l2.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

struct vector_set {
    const struct sami_vector *v;
    size_t n;
};

static const struct vector_set all_sets[] = {
    {sami_vectors_ecp, ARRAY_LEN(sami_vectors_ecp)},
    {sami_vectors_vdp, ARRAY_LEN(sami_vectors_vdp)},
    {sami_vectors_samitlv, ARRAY_LEN(sami_vectors_samitlv)},
    {sami_vectors_lldp, ARRAY_LEN(sami_vectors_lldp)},
    {sami_vectors_xfer, ARRAY_LEN(sami_vectors_xfer)},
    {sami_vectors_xfer_l2, ARRAY_LEN(sami_vectors_xfer_l2)},
    {sami_vectors_di, ARRAY_LEN(sami_vectors_di)},
};

static struct sami_doc_vector doc[SAMI_DOC_MAX_VECTORS];
static int ndoc;

static int load_doc(void **state)
{
    (void)state;
    ndoc = sami_doc_load(SAMI_SOURCE_DIR "/docs/PROTOCOL.md", doc, SAMI_DOC_MAX_VECTORS);
    return ndoc > 0 ? 0 : -1;
}

static const struct sami_vector *find_header_vector(const char *name)
{
    for (size_t s = 0; s < ARRAY_LEN(all_sets); s++)
        for (size_t i = 0; i < all_sets[s].n; i++)
            if (strcmp(all_sets[s].v[i].name, name) == 0)
                return &all_sets[s].v[i];
    return NULL;
}

static int starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The documented test key: id 1, bytes 0x00..0x1f. */
static void test_key(struct sami_xfer_key *k)
{
    memset(k, 0, sizeof *k);
    k->id = 1;
    k->len = 32;
    for (int i = 0; i < 32; i++)
        k->bytes[i] = (uint8_t)i;
}

/* Rebuilds a transfer message element by element and signs it again with the
 * test key: proves both the framing and the HMAC of the vector. */
static int xfer_rebuild(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *outlen,
                        struct sami_err *err)
{
    struct sami_xfer_msg m;
    int rc = sami_xfer_decode(in, len, &m, err);
    if (rc)
        return rc;
    struct sami_xfer_builder b;
    sami_xfer_build_begin(&b, out, cap, &m.hdr);
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    sami_xfer_iter_init(&it, &m, err);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1)
        sami_xfer_build_elem(&b, e.type, e.value, e.len);
    if (rc < 0)
        return rc;
    struct sami_xfer_key key;
    test_key(&key);
    const struct sami_hmac_provider *p = sami_hmac_default();
    if (!p) /* firmware build without a provider: check the framing only */
        return sami_xfer_encode(&m, out, cap, outlen);
    if (m.key_id != key.id)
        return SAMI_ERR_NOKEY;
    return sami_xfer_build_finish(&b, &key, m.seq, p, outlen);
}

/* Decodes one vector with the codec its name selects and re-encodes it. */
static int roundtrip(const char *name, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
                     size_t *outlen, struct sami_err *err)
{
    int rc;
    if (starts(name, "ecp-")) {
        struct sami_ecp e;
        if ((rc = sami_ecp_decode(in, len, &e, err)))
            return rc;
        return sami_ecp_encode(&e, out, cap, outlen);
    }
    if (starts(name, "vdp-")) {
        static struct sami_vdp v;
        if ((rc = sami_vdp_decode(in, len, &v, err)))
            return rc;
        return sami_vdp_encode(&v, out, cap, outlen);
    }
    if (starts(name, "samitlv-notif-")) {
        static struct sami_notif n;
        if ((rc = sami_samitlv_notif_decode(in, len, NULL, &n, err)))
            return rc;
        return sami_samitlv_notif_encode(&n, NULL, out, cap, outlen);
    }
    if (starts(name, "samitlv-fb-")) {
        static struct sami_feedback f;
        if ((rc = sami_samitlv_feedback_decode(in, len, NULL, &f, err)))
            return rc;
        return sami_samitlv_feedback_encode(&f, NULL, out, cap, outlen);
    }
    if (starts(name, "lldp-evb-")) {
        struct sami_evb e;
        if ((rc = sami_evb_decode(in, len, &e, err)))
            return rc;
        return sami_evb_encode(&e, out, cap, outlen);
    }
    if (starts(name, "lldp-samicap-")) {
        struct sami_samicap c;
        if ((rc = sami_samicap_decode(in, len, SAMI_SAMICAP_OUI_DEFAULT, &c, err)))
            return rc;
        return sami_samicap_encode(&c, SAMI_SAMICAP_OUI_DEFAULT, out, cap, outlen);
    }
    if (starts(name, "lldp-")) {
        static struct sami_lldp l;
        if ((rc = sami_lldp_decode(in, len, &l, err)))
            return rc;
        return sami_lldp_reencode(&l, out, cap, outlen);
    }
    if (starts(name, "xfer-stream-")) {
        size_t mlen;
        if (len < SAMI_XFER_STREAM_PREFIX_LEN)
            return SAMI_ERR_TRUNCATED;
        if ((rc = sami_xfer_stream_frame_len(in, SAMI_DOC_MAX_BYTES, &mlen)))
            return rc;
        if (mlen != len - SAMI_XFER_STREAM_PREFIX_LEN)
            return SAMI_ERR_LENGTH;
        if (cap < SAMI_XFER_STREAM_PREFIX_LEN)
            return SAMI_ERR_NOBUFS;
        memcpy(out, in, SAMI_XFER_STREAM_PREFIX_LEN);
        rc = xfer_rebuild(in + SAMI_XFER_STREAM_PREFIX_LEN, mlen, out + SAMI_XFER_STREAM_PREFIX_LEN,
                          cap - SAMI_XFER_STREAM_PREFIX_LEN, outlen, err);
        *outlen += SAMI_XFER_STREAM_PREFIX_LEN;
        return rc;
    }
    if (starts(name, "xfer-"))
        return xfer_rebuild(in, len, out, cap, outlen, err);
    if (starts(name, "l2-")) {
        struct sami_xfer_l2_frame f;
        if ((rc = sami_xfer_l2_decode(in, len, &f, err)))
            return rc;
        return sami_xfer_l2_encode(&f, out, cap, outlen);
    }
    if (starts(name, "di-")) {
        int type = sami_di_vector_type(name);
        static struct sami_di_record r;
        if ((rc = sami_di_decode((uint8_t)type, in, len, &r, err)))
            return rc;
        return sami_di_encode(&r, out, cap, outlen);
    }
    return SAMI_ERR_TYPE;
}

static void test_doc_vectors_match_headers(void **state)
{
    (void)state;
    static uint8_t hb[SAMI_DOC_MAX_BYTES];
    int bad = 0;
    for (int i = 0; i < ndoc; i++) {
        const struct sami_vector *hv = find_header_vector(doc[i].name);
        if (!hv) {
            fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s has no test vector in tests/vectors_*.h\n",
                    doc[i].line, doc[i].name);
            bad++;
            continue;
        }
        long n = sami_test_hex(hv->hex, hb, sizeof hb);
        if (n < 0 || (size_t)n != doc[i].len || memcmp(hb, doc[i].bytes, doc[i].len) != 0) {
            fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s differs from tests/vectors_*.h\n",
                    doc[i].line, doc[i].name);
            bad++;
        }
        if (doc[i].declared_len && doc[i].declared_len != doc[i].len) {
            fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s says %zu bytes, has %zu\n", doc[i].line,
                    doc[i].name, doc[i].declared_len, doc[i].len);
            bad++;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(doc[j].name, doc[i].name) == 0) {
                fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s defined twice\n", doc[i].line,
                        doc[i].name);
                bad++;
            }
    }
    assert_int_equal(bad, 0);
}

static void test_every_header_vector_is_documented(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t s = 0; s < ARRAY_LEN(all_sets); s++)
        for (size_t i = 0; i < all_sets[s].n; i++) {
            int found = 0;
            for (int j = 0; j < ndoc && !found; j++)
                found = strcmp(doc[j].name, all_sets[s].v[i].name) == 0;
            if (!found) {
                fprintf(stderr, "test vector %s is missing from docs/PROTOCOL.md\n",
                        all_sets[s].v[i].name);
                bad++;
            }
        }
    assert_int_equal(bad, 0);
}

static void test_doc_vectors_decode_and_reencode(void **state)
{
    (void)state;
    static uint8_t out[SAMI_DOC_MAX_BYTES];
    int bad = 0;
    for (int i = 0; i < ndoc; i++) {
        struct sami_err err = {0};
        size_t outlen = 0;
        /* exact-size copy so a sanitizer sees any read past the end */
        uint8_t *in = malloc(doc[i].len ? doc[i].len : 1);
        assert_non_null(in);
        memcpy(in, doc[i].bytes, doc[i].len);
        int rc = roundtrip(doc[i].name, in, doc[i].len, out, sizeof out, &outlen, &err);
        if (rc) {
            fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s: %s at offset %zu (TLV %d): %s\n",
                    doc[i].line, doc[i].name, sami_strerror(rc), err.offset, err.tlv_type,
                    err.what ? err.what : "-");
            bad++;
        } else if (outlen != doc[i].len || memcmp(out, doc[i].bytes, outlen) != 0) {
            fprintf(stderr, "docs/PROTOCOL.md:%d: vector %s re-encodes to other bytes (%zu vs %zu)\n",
                    doc[i].line, doc[i].name, outlen, doc[i].len);
            bad++;
        }
        free(in);
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_vectors_match_headers),
        cmocka_unit_test(test_every_header_vector_is_documented),
        cmocka_unit_test(test_doc_vectors_decode_and_reencode),
    };
    return cmocka_run_group_tests(tests, load_doc, NULL);
}
