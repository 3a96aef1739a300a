/* VDP ULPDU codec: every vector decodes to exactly its fields and is
 * re-encoded from those fields to exactly its bytes; every truncation and
 * every length/count lie is caught with the right code and offset; the real
 * lldpad frames decode; encoders enforce the 9-bit limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/vdp.h"
#include "vectors_vdp.h"

#define MAXV 600

/* ---------------------------------------------------------------- fields */

static const uint8_t UUID_A[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                   0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
static const uint8_t UUID_B[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                   0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
/* IPv4 VSI IDs as lldpad checks them (qbg/vdp22.c is_ipv4): ::ffff:a.b.c.d */
static const uint8_t ID_IPV4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
static const uint8_t ID_IPV6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
static const uint8_t ID_MAC[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t ID_LOCAL[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                     0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};

#define MAC1 {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
#define MAC2 {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef}

static const struct sami_vdp_filter F_MACVID_100[] = {{.mac = MAC1, .vid = 100}};
static const struct sami_vdp_filter F_VID_100[] = {{.vid = 100}};
static const struct sami_vdp_filter F_VID3[] = {
    {.vid = 100}, {.ps = 1, .pcp = 3, .vid = 200}, {.pcp = 7, .vid = 4094}};
static const struct sami_vdp_filter F_MACVID2[] = {
    {.mac = MAC1, .vid = 100}, {.mac = MAC2, .ps = 1, .pcp = 5, .vid = 101}};
static const struct sami_vdp_filter F_GROUPVID2[] = {
    {.group_id = 0x00010001, .vid = 100}, {.group_id = 0xfedcba98, .pcp = 2, .vid = 0}};
static const struct sami_vdp_filter F_GROUPMACVID2[] = {
    {.group_id = 7, .mac = MAC1, .vid = 100},
    {.group_id = 0x80000000, .mac = MAC2, .ps = 1, .pcp = 1, .vid = 4000}};

/* lldpad's Cisco OUI TLVs (vdp22cisco_oui.c): 0xf1 VM name, 0xf2 L3 address. */
static const uint8_t CISCO_F1_INFO[] = {
    0x05, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
    0xdd, 0xee, 0xff, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 't',  'e',  's',  't',  'v',  'm'};
static const uint8_t CISCO_F2_INFO[] = {0x05, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                                        0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee,
                                        0xff, 0x00, 0x01, 0x0a, 0x01, 0x02, 0x03};
static const uint8_t OPAQUE6[] = {0xaa, 0xbb, 0xcc};

static struct sami_vdp_tlv t_mgrid(void)
{
    struct sami_vdp_tlv t;
    memset(&t, 0, sizeof t);
    t.type = SAMI_VDP_TLV_MGRID;
    memcpy(t.u.mgrid.id, "blabla", 6);
    return t;
}

static struct sami_vdp_tlv t_org(uint32_t oui, uint8_t sub, const uint8_t *info, size_t n)
{
    struct sami_vdp_tlv t;
    memset(&t, 0, sizeof t);
    t.type = SAMI_VDP_TLV_ORG;
    t.u.org.oui = oui;
    t.u.org.subtype = sub;
    t.u.org.info = info;
    t.u.org.info_len = n;
    return t;
}

/* A VSI: `status` is the raw octet the wire must show (checked against the
 * decoder, ignored by the encoder, which uses the split fields). */
static struct sami_vdp_tlv t_vsi(uint8_t type, struct sami_vdp_vsi v)
{
    struct sami_vdp_tlv t;
    memset(&t, 0, sizeof t);
    t.type = type;
    t.u.vsi = v;
    t.u.vsi.type = type;
    return t;
}

/* The VSI most vectors use: type id 5 v4, UUID, one MAC/VID entry. */
static struct sami_vdp_vsi vstd(void)
{
    struct sami_vdp_vsi v;
    memset(&v, 0, sizeof v);
    v.type_id = 5;
    v.type_ver = 4;
    v.id_format = SAMI_VDP_VSIID_UUID;
    v.filter_format = SAMI_VDP_FILTER_MAC_VID;
    v.count = 1;
    v.filters = F_MACVID_100;
    return v;
}

/* A request/response status, as the raw octet plus its split fields. */
static struct sami_vdp_vsi vreq(uint8_t status, bool m, bool s)
{
    struct sami_vdp_vsi v = vstd();
    v.status = status;
    v.migrate_to = m;
    v.suspended = s;
    return v;
}

static struct sami_vdp_vsi vrsp(uint8_t status, uint8_t reason, bool hard, bool keep)
{
    struct sami_vdp_vsi v = vstd();
    v.status = status;
    v.response = true;
    v.reason = reason;
    v.hard = hard;
    v.keep = keep;
    return v;
}

static void set_id(struct sami_vdp_tlv *t, const uint8_t *id)
{
    memcpy(t->u.vsi.id, id, 16);
}

static void add(struct sami_vdp *x, struct sami_vdp_tlv t)
{
    assert_true(x->ntlv < SAMI_VDP_MAX_TLVS);
    x->tlv[x->ntlv++] = t;
    x->total_tlvs = x->ntlv;
}

static void add_std(struct sami_vdp *x, uint8_t type, struct sami_vdp_vsi v)
{
    struct sami_vdp_tlv t = t_vsi(type, v);
    set_id(&t, UUID_A);
    add(x, t);
}

static void add_id(struct sami_vdp *x, uint8_t fmt, const uint8_t *id)
{
    struct sami_vdp_vsi v = vstd();
    v.type_id = 0x123456;
    v.type_ver = 1;
    v.id_format = fmt;
    v.filter_format = SAMI_VDP_FILTER_VID;
    v.filters = F_VID_100;
    struct sami_vdp_tlv t = t_vsi(SAMI_VDP_TLV_ASSOC, v);
    set_id(&t, id);
    add(x, t);
}

static void add_filters(struct sami_vdp *x, uint8_t ff, const struct sami_vdp_filter *f, uint16_t n)
{
    struct sami_vdp_vsi v = vstd();
    v.filter_format = ff;
    v.count = n;
    v.filters = f;
    struct sami_vdp_tlv t = t_vsi(SAMI_VDP_TLV_ASSOC, v);
    set_id(&t, UUID_A);
    add(x, t);
}

static void lldpad(struct sami_vdp *x, uint8_t type, bool rsp)
{
    add(x, t_mgrid());
    if (rsp) {
        add_std(x, type, vrsp(0x40, 0, false, false));
    } else {
        add_std(x, type, vreq(0x00, false, false));
        add(x, t_org(0x00000c, 0xf1, CISCO_F1_INFO, sizeof CISCO_F1_INFO));
        add(x, t_org(0x00000c, 0xf2, CISCO_F2_INFO, sizeof CISCO_F2_INFO));
    }
    x->no_end = true; /* lldpad never sends End */
}

/* Fills the expected decode of a vector; returns 0 if the name is unknown. */
static int expect(const char *name, struct sami_vdp *x)
{
    memset(x, 0, sizeof *x);
#define IS(n) (strcmp(name, n) == 0)
    if (IS("vdp-end")) {
    } else if (IS("vdp-mgrid")) {
        add(x, t_mgrid());
    } else if (IS("vdp-preassoc-req")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_PREASSOC, vreq(0, false, false));
    } else if (IS("vdp-preassoc-rr-req-m")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_PREASSOC_RR, vreq(0x10, true, false));
    } else if (IS("vdp-assoc-req")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_ASSOC, vreq(0, false, false));
    } else if (IS("vdp-assoc-req-s")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_ASSOC, vreq(0x20, false, true));
    } else if (IS("vdp-assoc-rsp-success")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_ASSOC, vrsp(0x40, 0, false, false));
    } else if (IS("vdp-deassoc-req")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_DEASSOC, vreq(0, false, false));
    } else if (IS("vdp-assoc-rsp-error")) {
        add(x, t_mgrid());
        add_std(x, SAMI_VDP_TLV_ASSOC,
                vrsp(0x72, SAMI_VDP_REASON_NO_RESOURCES, true, true));
    } else if (IS("vdp-assoc-req-reserved")) {
        add(x, t_mgrid());
        struct sami_vdp_vsi v = vreq(0x83, false, false);
        v.reserved = 0x83;
        add_std(x, SAMI_VDP_TLV_ASSOC, v);
    } else if (IS("vdp-vsiid-ipv4")) {
        add(x, t_mgrid());
        add_id(x, SAMI_VDP_VSIID_IPV4, ID_IPV4);
    } else if (IS("vdp-vsiid-ipv6")) {
        add(x, t_mgrid());
        add_id(x, SAMI_VDP_VSIID_IPV6, ID_IPV6);
    } else if (IS("vdp-vsiid-mac")) {
        add(x, t_mgrid());
        add_id(x, SAMI_VDP_VSIID_MAC, ID_MAC);
    } else if (IS("vdp-vsiid-local")) {
        add(x, t_mgrid());
        add_id(x, SAMI_VDP_VSIID_LOCAL, ID_LOCAL);
    } else if (IS("vdp-vsiid-uuid")) {
        add(x, t_mgrid());
        add_id(x, SAMI_VDP_VSIID_UUID, UUID_B);
    } else if (IS("vdp-filter-vid")) {
        add(x, t_mgrid());
        add_filters(x, SAMI_VDP_FILTER_VID, F_VID3, 3);
    } else if (IS("vdp-filter-mac-vid")) {
        add(x, t_mgrid());
        add_filters(x, SAMI_VDP_FILTER_MAC_VID, F_MACVID2, 2);
    } else if (IS("vdp-filter-group-vid")) {
        add(x, t_mgrid());
        add_filters(x, SAMI_VDP_FILTER_GROUP_VID, F_GROUPVID2, 2);
    } else if (IS("vdp-filter-group-mac-vid")) {
        add(x, t_mgrid());
        add_filters(x, SAMI_VDP_FILTER_GROUP_MAC_VID, F_GROUPMACVID2, 2);
    } else if (IS("vdp-unknown-tlv")) {
        add(x, t_mgrid());
        struct sami_vdp_tlv t;
        memset(&t, 0, sizeof t);
        t.type = 6;
        t.length = sizeof OPAQUE6;
        t.value = OPAQUE6;
        add(x, t);
    } else if (IS("vdp-org")) {
        add(x, t_mgrid());
        add(x, t_org(0x00000c, 0xf1, (const uint8_t *)"vm", 2));
    } else if (IS("vdp-end-padding")) {
        struct sami_vdp_vsi v = vrsp(0x40, 0, false, false);
        v.filter_format = SAMI_VDP_FILTER_VID;
        v.filters = F_VID_100;
        struct sami_vdp_tlv t = t_vsi(SAMI_VDP_TLV_ASSOC, v);
        set_id(&t, UUID_A);
        add(x, t);
        x->padding = 9;
    } else if (IS("vdp-lldpad-assoc-req")) {
        lldpad(x, SAMI_VDP_TLV_ASSOC, false);
    } else if (IS("vdp-lldpad-assoc-rsp")) {
        lldpad(x, SAMI_VDP_TLV_ASSOC, true);
    } else if (IS("vdp-lldpad-deassoc-req")) {
        lldpad(x, SAMI_VDP_TLV_DEASSOC, false);
    } else if (IS("vdp-lldpad-deassoc-rsp")) {
        lldpad(x, SAMI_VDP_TLV_DEASSOC, true);
    } else {
        return 0;
    }
#undef IS
    return 1;
}

static size_t load_hex(const char *hex, uint8_t *buf, size_t cap)
{
    long n = sami_test_hex(hex, buf, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++)
        if (strcmp(sami_vectors_vdp[i].name, name) == 0)
            return load_hex(sami_vectors_vdp[i].hex, buf, cap);
    fail_msg("no vector %s", name);
    return 0;
}

static void assert_filter_equal(const struct sami_vdp_filter *a, const struct sami_vdp_filter *b)
{
    assert_int_equal(a->group_id, b->group_id);
    assert_memory_equal(a->mac, b->mac, 6);
    assert_int_equal(a->ps, b->ps);
    assert_int_equal(a->pcp, b->pcp);
    assert_int_equal(a->vid, b->vid);
}

static void assert_tlv_matches(const struct sami_vdp_tlv *got, const struct sami_vdp_tlv *want,
                               const uint8_t *buf, size_t len)
{
    assert_int_equal(got->type, want->type);
    assert_true(got->offset + SAMI_VDP_TLV_HDR_LEN + got->length <= len);
    if (got->length)
        assert_ptr_equal(got->value, buf + got->offset + SAMI_VDP_TLV_HDR_LEN);
    else
        assert_null(got->value);
    switch (want->type) {
    case SAMI_VDP_TLV_PREASSOC:
    case SAMI_VDP_TLV_PREASSOC_RR:
    case SAMI_VDP_TLV_ASSOC:
    case SAMI_VDP_TLV_DEASSOC: {
        const struct sami_vdp_vsi *g = &got->u.vsi, *w = &want->u.vsi;
        assert_int_equal(got->length, 25 + w->count * sami_vdp_filter_entry_size(w->filter_format));
        assert_int_equal(g->type, want->type);
        assert_int_equal(g->status, w->status);
        assert_int_equal(g->response, w->response);
        assert_int_equal(g->migrate_to, w->migrate_to);
        assert_int_equal(g->suspended, w->suspended);
        assert_int_equal(g->reason, w->reason);
        assert_int_equal(g->hard, w->hard);
        assert_int_equal(g->keep, w->keep);
        assert_int_equal(g->reserved, w->reserved);
        assert_int_equal(g->type_id, w->type_id);
        assert_int_equal(g->type_ver, w->type_ver);
        assert_int_equal(g->id_format, w->id_format);
        assert_memory_equal(g->id, w->id, 16);
        assert_int_equal(g->filter_format, w->filter_format);
        assert_int_equal(g->count, w->count);
        assert_null(g->filters);
        assert_ptr_equal(g->entries, buf + got->offset + 2 + 25);
        for (size_t i = 0; i < w->count; i++) {
            struct sami_vdp_filter f;
            assert_int_equal(sami_vdp_get_filter(g, i, &f), 0);
            assert_filter_equal(&f, &w->filters[i]);
        }
        struct sami_vdp_filter f;
        assert_int_equal(sami_vdp_get_filter(g, w->count, &f), SAMI_ERR_INVAL);
        break;
    }
    case SAMI_VDP_TLV_MGRID:
        assert_int_equal(got->length, 16);
        assert_memory_equal(got->u.mgrid.id, want->u.mgrid.id, 16);
        break;
    case SAMI_VDP_TLV_ORG:
        assert_int_equal(got->length, 4 + want->u.org.info_len);
        assert_int_equal(got->u.org.oui, want->u.org.oui);
        assert_int_equal(got->u.org.subtype, want->u.org.subtype);
        assert_int_equal(got->u.org.info_len, want->u.org.info_len);
        assert_memory_equal(got->u.org.info, want->u.org.info, want->u.org.info_len);
        assert_ptr_equal(got->u.org.info, buf + got->offset + 6);
        break;
    default:
        assert_int_equal(got->length, want->length);
        assert_memory_equal(got->value, want->value, want->length);
        break;
    }
}

/* ---------------------------------------------------------------- vectors */

static void test_vector_names_have_expectations(void **state)
{
    (void)state;
    struct sami_vdp x;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        assert_true(strncmp(sami_vectors_vdp[i].name, "vdp-", 4) == 0);
        if (!expect(sami_vectors_vdp[i].name, &x))
            fail_msg("vector %s has no expectation", sami_vectors_vdp[i].name);
    }
}

/* Decode gives exactly the expected fields. */
static void test_vectors_decode_to_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        const char *name = sami_vectors_vdp[i].name;
        uint8_t buf[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, buf, sizeof buf);
        struct sami_vdp want, got;
        struct sami_err err;
        assert_true(expect(name, &want));
        int rc = sami_vdp_decode(buf, n, &got, &err);
        if (rc)
            fail_msg("%s: rc %d at %zu (%s)", name, rc, err.offset, err.what);
        assert_int_equal(got.ntlv, want.ntlv);
        assert_int_equal(got.total_tlvs, want.ntlv);
        assert_int_equal(got.no_end, want.no_end);
        assert_int_equal(got.padding, want.padding);
        assert_false(got.trailing_nonzero);
        assert_int_equal(got.pdu_len + got.padding, n);
        for (size_t k = 0; k < want.ntlv; k++)
            assert_tlv_matches(&got.tlv[k], &want.tlv[k], buf, n);
    }
}

/* The expected fields (filters as structs, not wire bytes) encode to exactly
 * the vector, through sami_vdp_encode and through the builder. */
static void test_fields_encode_to_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        const char *name = sami_vectors_vdp[i].name;
        uint8_t buf[MAXV], out[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, buf, sizeof buf);
        struct sami_vdp want;
        size_t len = 0;
        assert_true(expect(name, &want));
        memset(out, 0xee, sizeof out);
        int rc = sami_vdp_encode(&want, out, sizeof out, &len);
        if (rc)
            fail_msg("%s: encode rc %d", name, rc);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);

        /* length query, one short, exact */
        assert_int_equal(sami_vdp_encode(&want, NULL, 0, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, n);
        assert_int_equal(sami_vdp_encode(&want, out, n - 1, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, n);
        assert_int_equal(sami_vdp_encode(&want, out, n, &len), 0);

        if (want.no_end || want.padding)
            continue; /* the builder always ends with End and never pads */
        struct sami_vdp_builder b;
        memset(out, 0xee, sizeof out);
        sami_vdp_builder_init(&b, out, sizeof out);
        for (size_t k = 0; k < want.ntlv; k++)
            assert_int_equal(sami_vdp_add_tlv(&b, &want.tlv[k]), 0);
        assert_int_equal(sami_vdp_finish(&b, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);
    }
}

/* decode -> encode of the decoded struct reproduces the bytes (the entries
 * are copied from the wire view), and single TLVs round-trip alone. */
static void test_vectors_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        uint8_t buf[MAXV], out[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, buf, sizeof buf);
        struct sami_vdp got;
        struct sami_err err;
        size_t len;
        assert_int_equal(sami_vdp_decode(buf, n, &got, &err), 0);
        assert_int_equal(sami_vdp_encode(&got, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, buf, n);
        for (size_t k = 0; k < got.ntlv; k++) {
            const struct sami_vdp_tlv *t = &got.tlv[k];
            assert_int_equal(sami_vdp_tlv_encode(t, out, sizeof out, &len), 0);
            assert_int_equal(len, 2u + t->length);
            assert_memory_equal(out, buf + t->offset, len);
            /* and reading that TLV alone gives it back */
            struct sami_rd r;
            struct sami_vdp_tlv again;
            sami_rd_init(&r, out, len, &err);
            assert_int_equal(sami_vdp_tlv_read(&r, &again), 0);
            assert_true(sami_rd_done(&r));
            assert_int_equal(again.type, t->type);
            assert_int_equal(again.length, t->length);
            assert_int_equal(r.tlv_type, -1); /* restored */
        }
    }
}

/* The iterator yields the same TLVs, End included, then 0 for good. */
static void test_iterator(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        uint8_t buf[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, buf, sizeof buf);
        struct sami_vdp want;
        assert_true(expect(sami_vectors_vdp[i].name, &want));
        struct sami_vdp_iter it;
        struct sami_vdp_tlv t;
        struct sami_err err;
        sami_vdp_iter_init(&it, buf, n, &err);
        size_t k = 0;
        int rc, saw_end = 0;
        while ((rc = sami_vdp_next(&it, &t)) == 1) {
            if (t.type == SAMI_VDP_TLV_END) {
                assert_false(saw_end);
                saw_end = 1;
                assert_int_equal(t.length, 0);
                continue;
            }
            assert_false(saw_end);
            assert_tlv_matches(&t, &want.tlv[k++], buf, n);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(k, want.ntlv);
        assert_int_equal(saw_end, !want.no_end);
        assert_int_equal(it.saw_end, !want.no_end);
        assert_int_equal(it.end + it.padding, n);
        assert_int_equal(sami_vdp_next(&it, &t), 0); /* stays finished */
        assert_int_equal(err.code, 0);
    }
}

/* ------------------------------------------------------------ truncation */

/* Offsets where the vector may legitimately be cut and still be a valid
 * (shorter) PDU: at a TLV boundary, one octet into an End header (a lone
 * zero octet is padding), and anywhere inside the End/padding tail. */
static int valid_cut(const uint8_t *buf, const struct sami_vdp *full, size_t cut)
{
    for (size_t k = 0; k < full->ntlv; k++)
        if (cut == full->tlv[k].offset)
            return 1;
    size_t tail = full->ntlv ? full->tlv[full->ntlv - 1].offset + 2 + full->tlv[full->ntlv - 1].length
                             : 0;
    if (cut == tail)
        return 1;
    if (cut > tail && buf[tail] == 0)
        return 1; /* End (00 00) + zeros: any prefix is End-or-padding */
    return 0;
}

static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        uint8_t full[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, full, sizeof full);
        struct sami_vdp whole;
        struct sami_err err;
        assert_int_equal(sami_vdp_decode(full, n, &whole, &err), 0);
        for (size_t cut = 0; cut < n; cut++) {
            uint8_t *p = malloc(cut ? cut : 1); /* exact size: ASan catches over-reads */
            assert_non_null(p);
            memcpy(p, full, cut);
            struct sami_vdp got;
            int rc = sami_vdp_decode(p, cut, &got, &err);
            if (valid_cut(full, &whole, cut)) {
                if (rc)
                    fail_msg("%s cut %zu: rc %d", sami_vectors_vdp[i].name, cut, rc);
            } else {
                if (rc != SAMI_ERR_LENGTH && rc != SAMI_ERR_TRUNCATED)
                    fail_msg("%s cut %zu: rc %d", sami_vectors_vdp[i].name, cut, rc);
                assert_int_equal(err.code, rc);
                assert_true(err.offset <= cut);
                assert_non_null(err.what);
                /* the report names a TLV header: the one cut short */
                int found = 0;
                for (size_t k = 0; k < whole.ntlv; k++)
                    if (whole.tlv[k].offset == err.offset)
                        found = 1;
                assert_true(found);
                if (rc == SAMI_ERR_TRUNCATED)
                    assert_int_equal(err.offset + 1, cut); /* half a header */
            }
            /* the iterator on the same prefix agrees and never over-reads */
            struct sami_vdp_iter it;
            struct sami_vdp_tlv t;
            int irc;
            sami_vdp_iter_init(&it, p, cut, &err);
            while ((irc = sami_vdp_next(&it, &t)) == 1)
                assert_true(t.offset + 2 + t.length <= cut);
            assert_int_equal(irc, rc);
            free(p);
        }
    }
}

/* ------------------------------------------------------ length/count lies */

static void set_len(uint8_t *buf, size_t off, unsigned len)
{
    unsigned h = (unsigned)buf[off] << 8 | buf[off + 1];
    h = (h & 0xfe00u) | (len & 0x1ffu);
    buf[off] = (uint8_t)(h >> 8);
    buf[off + 1] = (uint8_t)h;
}

static void test_tlv_length_lies(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        uint8_t orig[MAXV], buf[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, orig, sizeof orig);
        struct sami_vdp whole, got;
        struct sami_err err;
        assert_int_equal(sami_vdp_decode(orig, n, &whole, &err), 0);
        /* every TLV, plus the End TLV when present */
        size_t offs[SAMI_VDP_MAX_TLVS + 1], nt = 0;
        unsigned types[SAMI_VDP_MAX_TLVS + 1], lens[SAMI_VDP_MAX_TLVS + 1];
        for (size_t k = 0; k < whole.ntlv; k++) {
            offs[nt] = whole.tlv[k].offset;
            types[nt] = whole.tlv[k].type;
            lens[nt++] = whole.tlv[k].length;
        }
        if (!whole.no_end) {
            offs[nt] = whole.pdu_len - 2;
            types[nt] = 0;
            lens[nt++] = 0;
        }
        for (size_t k = 0; k < nt; k++) {
            for (int delta = -1; delta <= 1; delta += 2) {
                if (lens[k] == 0 && delta < 0)
                    continue;
                unsigned l = lens[k] + (unsigned)delta;
                memcpy(buf, orig, n);
                set_len(buf, offs[k], l);
                int rc = sami_vdp_decode(buf, n, &got, &err);
                size_t avail = n - offs[k] - 2;
                if (l > avail) {
                    /* overrun: LENGTH at the lying header */
                    assert_int_equal(rc, SAMI_ERR_LENGTH);
                    assert_int_equal(err.offset, offs[k]);
                    assert_int_equal(err.tlv_type, (int)types[k]);
                    continue;
                }
                switch (types[k]) {
                case SAMI_VDP_TLV_PREASSOC:
                case SAMI_VDP_TLV_PREASSOC_RR:
                case SAMI_VDP_TLV_ASSOC:
                case SAMI_VDP_TLV_DEASSOC:
                    /* count no longer matches the length: COUNT at the count field */
                    assert_int_equal(rc, SAMI_ERR_COUNT);
                    assert_int_equal(err.offset, offs[k] + 2 + 23);
                    assert_string_equal(err.what, "vdp.vsi.filter_count");
                    assert_int_equal(err.tlv_type, (int)types[k]);
                    break;
                case SAMI_VDP_TLV_MGRID:
                case SAMI_VDP_TLV_END:
                    /* fixed-size TLVs: LENGTH at their header */
                    assert_int_equal(rc, SAMI_ERR_LENGTH);
                    assert_int_equal(err.offset, offs[k]);
                    assert_int_equal(err.tlv_type, (int)types[k]);
                    break;
                default:
                    /* variable TLVs re-frame the rest: whatever comes, it is
                     * reported inside the buffer */
                    if (rc)
                        assert_true(err.offset <= n);
                    break;
                }
            }
        }
    }
}

/* Every VSI: count +1, -1, 0 and 0xffff -> COUNT at the count field. */
static void test_vsi_count_lies(void **state)
{
    (void)state;
    for (size_t i = 0; i < SAMI_VECTORS_VDP_COUNT; i++) {
        uint8_t orig[MAXV], buf[MAXV];
        size_t n = load_hex(sami_vectors_vdp[i].hex, orig, sizeof orig);
        struct sami_vdp whole, got;
        struct sami_err err;
        assert_int_equal(sami_vdp_decode(orig, n, &whole, &err), 0);
        for (size_t k = 0; k < whole.ntlv; k++) {
            const struct sami_vdp_tlv *t = &whole.tlv[k];
            if (t->type < 1 || t->type > 4)
                continue;
            size_t at = t->offset + 2 + 23;
            const unsigned c = t->u.vsi.count;
            const unsigned lies[] = {c + 1, c - 1, 0, 0xffff};
            for (size_t j = 0; j < 4; j++) {
                if (lies[j] == c)
                    continue;
                memcpy(buf, orig, n);
                buf[at] = (uint8_t)(lies[j] >> 8);
                buf[at + 1] = (uint8_t)lies[j];
                assert_int_equal(sami_vdp_decode(buf, n, &got, &err), SAMI_ERR_COUNT);
                assert_int_equal(err.offset, at);
                assert_int_equal(err.tlv_type, t->type);
                /* the TLVs before the bad one are kept */
                assert_int_equal(got.ntlv, k);
            }
        }
    }
}

/* Formats: VSI ID format 0 and 6..255, filter format 0 and 5..255 -> VALUE at
 * the field; a filter format change also breaks the size -> still VALUE. */
static void test_bad_formats(void **state)
{
    (void)state;
    uint8_t orig[MAXV], buf[MAXV];
    size_t n = load("vdp-assoc-req", orig, sizeof orig);
    const size_t vsi = 18, idf = vsi + 2 + 5, ff = vsi + 2 + 22;
    struct sami_vdp got;
    struct sami_err err;
    for (unsigned v = 0; v < 256; v++) {
        memcpy(buf, orig, n);
        buf[idf] = (uint8_t)v;
        int rc = sami_vdp_decode(buf, n, &got, &err);
        if (v >= 1 && v <= 5) {
            assert_int_equal(rc, 0);
            assert_int_equal(got.tlv[1].u.vsi.id_format, v);
        } else {
            assert_int_equal(rc, SAMI_ERR_VALUE);
            assert_int_equal(err.offset, idf);
            assert_string_equal(err.what, "vdp.vsi.id_format");
            assert_int_equal(err.tlv_type, SAMI_VDP_TLV_ASSOC);
        }
        memcpy(buf, orig, n);
        buf[ff] = (uint8_t)v;
        rc = sami_vdp_decode(buf, n, &got, &err);
        if (v == SAMI_VDP_FILTER_MAC_VID) {
            assert_int_equal(rc, 0);
        } else if (v >= 1 && v <= 4) {
            assert_int_equal(rc, SAMI_ERR_COUNT); /* 1 entry of another size */
            assert_int_equal(err.offset, ff + 1);
        } else {
            assert_int_equal(rc, SAMI_ERR_VALUE);
            assert_int_equal(err.offset, ff);
            assert_string_equal(err.what, "vdp.vsi.filter_format");
        }
    }
}

/* Reserved status bits are accepted and exposed, in both forms. */
static void test_reserved_status_bits(void **state)
{
    (void)state;
    uint8_t orig[MAXV], buf[MAXV];
    size_t n = load("vdp-assoc-req", orig, sizeof orig);
    const size_t st = 18 + 2;
    struct sami_vdp got;
    struct sami_err err;
    for (unsigned v = 0; v < 256; v++) {
        memcpy(buf, orig, n);
        buf[st] = (uint8_t)v;
        assert_int_equal(sami_vdp_decode(buf, n, &got, &err), 0);
        const struct sami_vdp_vsi *s = &got.tlv[1].u.vsi;
        assert_int_equal(s->status, v);
        assert_int_equal(s->response, (v & 0x40) != 0);
        if (v & 0x40) {
            assert_int_equal(s->reason, v & 0x0f);
            assert_int_equal(s->hard, (v & 0x10) != 0);
            assert_int_equal(s->keep, (v & 0x20) != 0);
            assert_int_equal(s->reserved, v & 0x80);
            assert_false(s->migrate_to || s->suspended);
        } else {
            assert_int_equal(s->migrate_to, (v & 0x10) != 0);
            assert_int_equal(s->suspended, (v & 0x20) != 0);
            assert_int_equal(s->reserved, v & 0x8f);
            assert_false(s->hard || s->keep || s->reason);
        }
        /* and the split fields give the octet back */
        uint8_t out[MAXV];
        size_t len;
        assert_int_equal(sami_vdp_encode(&got, out, sizeof out, &len), 0);
        assert_memory_equal(out, buf, n);
    }
}

/* ------------------------------------------------- End, padding, unknown */

static void test_end_then_padding_or_garbage(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    size_t n = load("vdp-end-padding", buf, sizeof buf);
    struct sami_vdp got;
    struct sami_err err;
    assert_int_equal(sami_vdp_decode(buf, n, &got, &err), 0);
    assert_int_equal(got.padding, 9);
    assert_false(got.no_end);

    /* a nonzero octet anywhere in the padding: TRAILING at that octet, all
     * TLVs still delivered, flagged as trailing garbage */
    for (size_t at = got.pdu_len; at < n; at++) {
        uint8_t b[MAXV];
        memcpy(b, buf, n);
        b[at] = 0x5a;
        struct sami_vdp g;
        assert_int_equal(sami_vdp_decode(b, n, &g, &err), SAMI_ERR_TRAILING);
        assert_int_equal(err.offset, at);
        assert_string_equal(err.what, "vdp.padding");
        assert_true(g.trailing_nonzero);
        assert_false(g.no_end);
        assert_int_equal(g.ntlv, 1);
        assert_int_equal(g.pdu_len, got.pdu_len);

        struct sami_vdp_iter it;
        struct sami_vdp_tlv t;
        sami_vdp_iter_init(&it, b, n, &err);
        assert_int_equal(sami_vdp_next(&it, &t), 1);
        assert_int_equal(sami_vdp_next(&it, &t), 1);
        assert_int_equal(t.type, SAMI_VDP_TLV_END);
        assert_int_equal(sami_vdp_next(&it, &t), SAMI_ERR_TRAILING);
        assert_true(it.saw_end);
        assert_int_equal(sami_vdp_next(&it, &t), SAMI_ERR_TRAILING); /* sticky */
    }

    /* End with a nonzero length is not End */
    const uint8_t e1[] = {0x00, 0x01, 0x00};
    assert_int_equal(sami_vdp_decode(e1, sizeof e1, &got, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "vdp.end.length");

    /* empty PDU and a lone zero octet: nothing, no End */
    assert_int_equal(sami_vdp_decode(NULL, 0, &got, &err), 0);
    assert_int_equal(got.ntlv, 0);
    assert_true(got.no_end);
    const uint8_t z1[] = {0x00};
    assert_int_equal(sami_vdp_decode(z1, 1, &got, &err), 0);
    assert_true(got.no_end);
    assert_int_equal(got.padding, 1);
    const uint8_t nz1[] = {0x0a};
    assert_int_equal(sami_vdp_decode(nz1, 1, &got, &err), SAMI_ERR_TRUNCATED);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "vdp.tlv.header");
}

/* lldpad omits End; Ethernet padding after its last TLV reads as End + zeros. */
static void test_lldpad_frames_padded(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    size_t n = load("vdp-lldpad-assoc-rsp", buf, sizeof buf);
    memset(buf + n, 0, 11);
    struct sami_vdp got;
    struct sami_err err;
    assert_int_equal(sami_vdp_decode(buf, n + 11, &got, &err), 0);
    assert_false(got.no_end);
    assert_int_equal(got.pdu_len, n + 2);
    assert_int_equal(got.padding, 9);
    assert_int_equal(got.ntlv, 2);
    assert_true(got.tlv[1].u.vsi.response);
    assert_int_equal(got.tlv[1].u.vsi.reason, SAMI_VDP_REASON_SUCCESS);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(&got.tlv[1].u.vsi, 0, &f), 0);
    assert_int_equal(f.vid, 100);
    assert_int_equal(f.mac[5], 0x56);
}

static void test_unknown_types_are_opaque(void **state)
{
    (void)state;
    for (unsigned type = 6; type <= 126; type++) {
        uint8_t b[8] = {(uint8_t)(type << 1), 0x03, 1, 2, 3, 0x00, 0x00};
        struct sami_vdp got;
        struct sami_err err;
        assert_int_equal(sami_vdp_decode(b, 7, &got, &err), 0);
        assert_int_equal(got.ntlv, 1);
        assert_int_equal(got.tlv[0].type, type);
        assert_int_equal(got.tlv[0].length, 3);
        assert_ptr_equal(got.tlv[0].value, b + 2);
        uint8_t out[8];
        size_t len;
        assert_int_equal(sami_vdp_encode(&got, out, sizeof out, &len), 0);
        assert_int_equal(len, 7);
        assert_memory_equal(out, b, 7);
    }
    /* type 6 with the 9th length bit set (length 256) */
    uint8_t big[2 + 256 + 2];
    memset(big, 0x77, sizeof big);
    big[0] = 0x0d;
    big[1] = 0x00;
    big[258] = big[259] = 0;
    struct sami_vdp got;
    struct sami_err err;
    assert_int_equal(sami_vdp_decode(big, sizeof big, &got, &err), 0);
    assert_int_equal(got.tlv[0].type, 6);
    assert_int_equal(got.tlv[0].length, 256);
}

static void test_fixed_size_tlv_lengths(void **state)
{
    (void)state;
    struct sami_vdp got;
    struct sami_err err;
    uint8_t b[64] = {0};
    /* Manager ID 15 and 17 */
    b[0] = 0x0a;
    b[1] = 15;
    assert_int_equal(sami_vdp_decode(b, 2 + 15, &got, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "vdp.mgrid.length");
    b[1] = 17;
    assert_int_equal(sami_vdp_decode(b, 2 + 17, &got, &err), SAMI_ERR_LENGTH);
    /* VSI with length 24 (< fixed part) */
    memset(b, 0, sizeof b);
    b[0] = 0x06;
    b[1] = 24;
    assert_int_equal(sami_vdp_decode(b, 2 + 24, &got, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.what, "vdp.vsi.length");
    assert_int_equal(err.tlv_type, 3);
    /* Org with 3 octets */
    b[0] = 0xfe;
    b[1] = 3;
    assert_int_equal(sami_vdp_decode(b, 5, &got, &err), SAMI_ERR_LENGTH);
    assert_string_equal(err.what, "vdp.org.length");
    /* Org with exactly OUI + subtype: empty info */
    b[1] = 4;
    b[2] = 0x0a;
    b[3] = 0x53;
    b[4] = 0x4d;
    b[5] = 0x02;
    assert_int_equal(sami_vdp_decode(b, 6, &got, &err), 0);
    assert_int_equal(got.tlv[0].u.org.oui, 0x0a534d);
    assert_int_equal(got.tlv[0].u.org.subtype, 2);
    assert_int_equal(got.tlv[0].u.org.info_len, 0);
    assert_null(got.tlv[0].u.org.info);
    /* VSI with zero entries is well-formed (lldpad ignores it) */
    memset(b, 0, sizeof b);
    b[0] = 0x06;
    b[1] = 25;
    b[2 + 5] = 5;  /* UUID */
    b[2 + 22] = 1; /* VID */
    assert_int_equal(sami_vdp_decode(b, 27, &got, &err), 0);
    assert_int_equal(got.tlv[0].u.vsi.count, 0);
    assert_null(got.tlv[0].u.vsi.entries);
}

static void test_many_tlvs(void **state)
{
    (void)state;
    /* 40 Manager IDs: all validated, the first SAMI_VDP_MAX_TLVS stored */
    uint8_t b[40 * 18 + 2];
    memset(b, 0, sizeof b);
    for (size_t i = 0; i < 40; i++) {
        b[i * 18] = 0x0a;
        b[i * 18 + 1] = 0x10;
        b[i * 18 + 2] = (uint8_t)i;
    }
    struct sami_vdp got;
    struct sami_err err;
    assert_int_equal(sami_vdp_decode(b, sizeof b, &got, &err), 0);
    assert_int_equal(got.ntlv, SAMI_VDP_MAX_TLVS);
    assert_int_equal(got.total_tlvs, 40);
    assert_int_equal(got.tlv[SAMI_VDP_MAX_TLVS - 1].u.mgrid.id[0], SAMI_VDP_MAX_TLVS - 1);
    /* a bad TLV after the stored ones is still found */
    b[39 * 18 + 1] = 0x0f;
    assert_int_equal(sami_vdp_decode(b, sizeof b, &got, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 39 * 18);
}

/* ---------------------------------------------------------------- encoders */

static struct sami_vdp_vsi good_vsi(void)
{
    struct sami_vdp_vsi v = vstd();
    v.type = SAMI_VDP_TLV_ASSOC;
    memcpy(v.id, UUID_A, 16);
    return v;
}

static void test_vsi_encode_validation(void **state)
{
    (void)state;
    uint8_t out[MAXV];
    size_t len;
    struct sami_vdp_builder b;
    struct sami_vdp_vsi v;
    struct sami_vdp_filter bad_f;
#define TRY(expr_setup, code)                                                                  \
    do {                                                                                       \
        v = good_vsi();                                                                        \
        expr_setup;                                                                            \
        sami_vdp_builder_init(&b, out, sizeof out);                                            \
        assert_int_equal(sami_vdp_add_vsi(&b, &v), code);                                      \
        if (code) {                                                                            \
            assert_int_equal(b.w.pos, 0); /* nothing written */                                \
            assert_int_equal(sami_vdp_finish(&b, &len), code);                                 \
        }                                                                                      \
    } while (0)
    TRY((void)0, 0);
    TRY(v.type = 0, SAMI_ERR_VALUE);
    TRY(v.type = 5, SAMI_ERR_VALUE);
    TRY(v.id_format = 0, SAMI_ERR_VALUE);
    TRY(v.id_format = 6, SAMI_ERR_VALUE);
    TRY(v.filter_format = 0, SAMI_ERR_VALUE);
    TRY(v.filter_format = 5, SAMI_ERR_VALUE);
    TRY(v.type_id = 0x1000000, SAMI_ERR_VALUE);
    TRY((v.response = true, v.reason = 16), SAMI_ERR_VALUE);
    TRY((v.response = true, v.migrate_to = true), SAMI_ERR_INVAL);
    TRY((v.response = true, v.suspended = true), SAMI_ERR_INVAL);
    TRY(v.hard = true, SAMI_ERR_INVAL);
    TRY(v.keep = true, SAMI_ERR_INVAL);
    TRY(v.reason = 1, SAMI_ERR_INVAL);
    TRY(v.reserved = 0x40, SAMI_ERR_INVAL);
    TRY((v.response = true, v.reserved = 0x01), SAMI_ERR_INVAL);
    TRY((v.filters = NULL, v.entries = NULL), SAMI_ERR_INVAL);
    TRY((bad_f = F_MACVID_100[0], bad_f.vid = 0x1000, v.filters = &bad_f), SAMI_ERR_VALUE);
    TRY((bad_f = F_MACVID_100[0], bad_f.pcp = 8, v.filters = &bad_f), SAMI_ERR_VALUE);
    TRY((bad_f = F_MACVID_100[0], bad_f.ps = 2, v.filters = &bad_f), SAMI_ERR_VALUE);
#undef TRY
}

/* 25 + n * 12 <= 511: 40 GroupID/MAC/VID entries fit, 41 do not. */
static void test_vsi_toobig(void **state)
{
    (void)state;
    static struct sami_vdp_filter many[300];
    for (size_t i = 0; i < 300; i++)
        many[i].vid = (uint16_t)(i + 1);
    static uint8_t out[2048];
    size_t len;
    struct sami_vdp_vsi v = good_vsi();
    v.filters = many;
    const struct {
        uint8_t ff;
        uint16_t fit;
    } lim[] = {{SAMI_VDP_FILTER_VID, 243}, {SAMI_VDP_FILTER_MAC_VID, 60},
               {SAMI_VDP_FILTER_GROUP_VID, 81}, {SAMI_VDP_FILTER_GROUP_MAC_VID, 40}};
    for (size_t i = 0; i < 4; i++) {
        v.filter_format = lim[i].ff;
        v.count = lim[i].fit;
        struct sami_vdp_builder b;
        sami_vdp_builder_init(&b, out, sizeof out);
        assert_int_equal(sami_vdp_add_vsi(&b, &v), 0);
        assert_int_equal(sami_vdp_finish(&b, &len), 0);
        struct sami_vdp got;
        struct sami_err err;
        assert_int_equal(sami_vdp_decode(out, len, &got, &err), 0);
        assert_int_equal(got.tlv[0].u.vsi.count, lim[i].fit);
        assert_true(got.tlv[0].length <= 511);
        struct sami_vdp_filter f;
        assert_int_equal(sami_vdp_get_filter(&got.tlv[0].u.vsi, lim[i].fit - 1u, &f), 0);
        assert_int_equal(f.vid, lim[i].fit);

        v.count = (uint16_t)(lim[i].fit + 1);
        sami_vdp_builder_init(&b, out, sizeof out);
        assert_int_equal(sami_vdp_add_vsi(&b, &v), SAMI_ERR_TOOBIG);
        assert_int_equal(sami_vdp_finish(&b, &len), SAMI_ERR_TOOBIG);
    }
}

static void test_org_raw_toobig(void **state)
{
    (void)state;
    static uint8_t info[600];
    static uint8_t out[1024];
    size_t len;
    struct sami_vdp_builder b;
    struct sami_vdp_org org = {.oui = 0x0a534d, .subtype = 2, .info = info, .info_len = 507};
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_org(&b, &org), 0);
    assert_int_equal(sami_vdp_finish(&b, &len), 0);
    assert_int_equal(len, 2 + 511 + 2);
    assert_int_equal(out[0], 0xff); /* type 127, length bit 8 set */
    assert_int_equal(out[1], 0xff);

    org.info_len = 508;
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_org(&b, &org), SAMI_ERR_TOOBIG);
    org.info_len = 1;
    org.info = NULL;
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_org(&b, &org), SAMI_ERR_INVAL);
    org.info = info;
    org.oui = 0x1000000;
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_org(&b, &org), SAMI_ERR_VALUE);

    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_raw(&b, 6, info, 511), 0);
    assert_int_equal(sami_vdp_add_raw(&b, 6, info, 512), SAMI_ERR_TOOBIG);
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_raw(&b, 0, NULL, 0), SAMI_ERR_INVAL); /* End is the builder's */
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_raw(&b, 128, NULL, 0), SAMI_ERR_VALUE);
    sami_vdp_builder_init(&b, out, sizeof out);
    struct sami_vdp_tlv end = {.type = SAMI_VDP_TLV_END};
    assert_int_equal(sami_vdp_add_tlv(&b, &end), SAMI_ERR_INVAL);

    /* a single End encodes as 00 00 */
    assert_int_equal(sami_vdp_tlv_encode(&end, out, sizeof out, &len), 0);
    assert_int_equal(len, 2);
    assert_int_equal(out[0] | out[1], 0);
}

static void test_open_coded_tlv(void **state)
{
    (void)state;
    static uint8_t out[1024];
    size_t len, mark;
    struct sami_vdp_builder b;

    /* an org TLV written value-first, as the sami org-TLV code does */
    sami_vdp_builder_init(&b, out, sizeof out);
    struct sami_vdp_mgrid m = {{0}};
    memcpy(m.id, "blabla", 6);
    assert_int_equal(sami_vdp_add_mgrid(&b, &m), 0);
    assert_int_equal(sami_vdp_begin_tlv(&b, SAMI_VDP_TLV_ORG, &mark), 0);
    assert_int_equal(mark, 18);
    assert_int_equal(sami_vdp_add_mgrid(&b, &m), SAMI_ERR_INVAL); /* TLV still open */
    sami_wr_u24(&b.w, 0x00000c);
    sami_wr_u8(&b.w, 0xf1);
    sami_wr_bytes(&b.w, "vm", 2);
    assert_int_equal(sami_vdp_end_tlv(&b, mark), 0);
    assert_int_equal(sami_vdp_finish(&b, &len), 0);
    uint8_t want[MAXV];
    size_t n = load("vdp-org", want, sizeof want);
    assert_int_equal(len, n);
    assert_memory_equal(out, want, n);

    /* too long: TOOBIG, sticky */
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_begin_tlv(&b, 127, &mark), 0);
    sami_wr_zero(&b.w, 512);
    assert_int_equal(sami_vdp_end_tlv(&b, mark), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_vdp_finish(&b, &len), SAMI_ERR_TOOBIG);

    /* exactly 511 fits, and a length query works through the open TLV */
    sami_vdp_builder_init(&b, NULL, 0);
    assert_int_equal(sami_vdp_begin_tlv(&b, 127, &mark), 0);
    sami_wr_zero(&b.w, 511);
    assert_int_equal(sami_vdp_end_tlv(&b, mark), 0);
    assert_int_equal(sami_vdp_finish(&b, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 2 + 511 + 2);

    /* misuse */
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_end_tlv(&b, 0), SAMI_ERR_INVAL);
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_begin_tlv(&b, 0, &mark), SAMI_ERR_INVAL);
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_begin_tlv(&b, 127, &mark), 0);
    assert_int_equal(sami_vdp_finish(&b, &len), SAMI_ERR_INVAL); /* left open */
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_finish(&b, &len), 0);
    assert_int_equal(len, 2);
    assert_int_equal(sami_vdp_add_mgrid(&b, &m), SAMI_ERR_INVAL); /* after finish */
    assert_int_equal(sami_vdp_finish(&b, &len), SAMI_ERR_INVAL);
}

/* Builder: NOBUFS reports the needed length for every capacity. */
static void test_builder_nobufs(void **state)
{
    (void)state;
    uint8_t want[MAXV];
    size_t n = load("vdp-filter-group-mac-vid", want, sizeof want);
    struct sami_vdp x;
    assert_true(expect("vdp-filter-group-mac-vid", &x));
    for (size_t cap = 0; cap <= n; cap++) {
        uint8_t *out = malloc(cap ? cap : 1);
        assert_non_null(out);
        struct sami_vdp_builder b;
        size_t len = 0;
        sami_vdp_builder_init(&b, cap ? out : NULL, cap);
        for (size_t k = 0; k < x.ntlv; k++)
            assert_int_equal(sami_vdp_add_tlv(&b, &x.tlv[k]), 0);
        int rc = sami_vdp_finish(&b, &len);
        assert_int_equal(len, n);
        if (cap < n) {
            assert_int_equal(rc, SAMI_ERR_NOBUFS);
        } else {
            assert_int_equal(rc, 0);
            assert_memory_equal(out, want, n);
        }
        free(out);
    }
}

/* Encoding a decoded VSI copies its wire entries (filters NULL). */
static void test_entries_view_encode(void **state)
{
    (void)state;
    uint8_t buf[MAXV], out[MAXV];
    size_t n = load("vdp-filter-vid", buf, sizeof buf);
    struct sami_vdp got;
    struct sami_err err;
    size_t len;
    assert_int_equal(sami_vdp_decode(buf, n, &got, &err), 0);
    struct sami_vdp_vsi v = got.tlv[1].u.vsi;
    assert_null(v.filters);
    struct sami_vdp_builder b;
    sami_vdp_builder_init(&b, out, sizeof out);
    assert_int_equal(sami_vdp_add_tlv(&b, &got.tlv[0]), 0);
    assert_int_equal(sami_vdp_add_vsi(&b, &v), 0);
    assert_int_equal(sami_vdp_finish(&b, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(out, buf, n);
    struct sami_vdp_filter f;
    assert_int_equal(sami_vdp_get_filter(&v, 1, &f), 0);
    assert_int_equal(f.ps, 1);
    assert_int_equal(f.pcp, 3);
    assert_int_equal(f.vid, 200);
    v.filter_format = 9;
    assert_int_equal(sami_vdp_get_filter(&v, 0, &f), SAMI_ERR_INVAL);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sami_vdp_tlv_name(0), "End");
    assert_string_equal(sami_vdp_tlv_name(2), "PreAssoc-RR");
    assert_string_equal(sami_vdp_tlv_name(5), "Manager ID");
    assert_string_equal(sami_vdp_tlv_name(127), "Org");
    assert_string_equal(sami_vdp_tlv_name(42), "unknown");
    assert_string_equal(sami_vdp_reason_name(0), "success");
    assert_string_equal(sami_vdp_reason_name(5), "invalid VID, GroupID or MAC");
    assert_string_equal(sami_vdp_reason_name(9), "reserved");
    assert_int_equal(sami_vdp_filter_entry_size(1), 2);
    assert_int_equal(sami_vdp_filter_entry_size(2), 8);
    assert_int_equal(sami_vdp_filter_entry_size(3), 6);
    assert_int_equal(sami_vdp_filter_entry_size(4), 12);
    assert_int_equal(sami_vdp_filter_entry_size(0), 0);
    assert_int_equal(sami_vdp_filter_entry_size(5), 0);
}

/* The capture's Assoc request, field by field against the brief. */
static void test_lldpad_assoc_fields(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    size_t n = load("vdp-lldpad-assoc-req", buf, sizeof buf);
    struct sami_vdp v;
    struct sami_err err;
    assert_int_equal(sami_vdp_decode(buf, n, &v, &err), 0);
    assert_true(v.no_end);
    assert_int_equal(v.ntlv, 4);
    assert_int_equal(v.tlv[0].type, SAMI_VDP_TLV_MGRID);
    assert_memory_equal(v.tlv[0].u.mgrid.id, "blabla\0\0\0\0\0\0\0\0\0\0", 16);
    const struct sami_vdp_vsi *s = &v.tlv[1].u.vsi;
    assert_int_equal(v.tlv[1].type, SAMI_VDP_TLV_ASSOC);
    assert_int_equal(v.tlv[1].length, 33);
    assert_int_equal(s->status, 0);
    assert_int_equal(s->type_id, 5);
    assert_int_equal(s->type_ver, 4);
    assert_int_equal(s->id_format, SAMI_VDP_VSIID_UUID);
    assert_memory_equal(s->id, UUID_A, 16);
    assert_int_equal(s->filter_format, SAMI_VDP_FILTER_MAC_VID);
    assert_int_equal(s->count, 1);
    struct sami_vdp_filter f;
    const uint8_t mac[6] = MAC1;
    assert_int_equal(sami_vdp_get_filter(s, 0, &f), 0);
    assert_memory_equal(f.mac, mac, 6);
    assert_int_equal(f.vid, 100);
    assert_int_equal(f.ps, 0);
    assert_int_equal(f.pcp, 0);
    assert_int_equal(v.tlv[2].u.org.oui, 0x00000c);
    assert_int_equal(v.tlv[3].u.org.subtype, 0xf2);

    n = load("vdp-lldpad-deassoc-rsp", buf, sizeof buf);
    assert_int_equal(sami_vdp_decode(buf, n, &v, &err), 0);
    assert_int_equal(v.tlv[1].type, SAMI_VDP_TLV_DEASSOC);
    assert_int_equal(v.tlv[1].u.vsi.status, 0x40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_names_have_expectations),
        cmocka_unit_test(test_vectors_decode_to_fields),
        cmocka_unit_test(test_fields_encode_to_vectors),
        cmocka_unit_test(test_vectors_round_trip),
        cmocka_unit_test(test_iterator),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_tlv_length_lies),
        cmocka_unit_test(test_vsi_count_lies),
        cmocka_unit_test(test_bad_formats),
        cmocka_unit_test(test_reserved_status_bits),
        cmocka_unit_test(test_end_then_padding_or_garbage),
        cmocka_unit_test(test_lldpad_frames_padded),
        cmocka_unit_test(test_unknown_types_are_opaque),
        cmocka_unit_test(test_fixed_size_tlv_lengths),
        cmocka_unit_test(test_many_tlvs),
        cmocka_unit_test(test_vsi_encode_validation),
        cmocka_unit_test(test_vsi_toobig),
        cmocka_unit_test(test_org_raw_toobig),
        cmocka_unit_test(test_open_coded_tlv),
        cmocka_unit_test(test_builder_nobufs),
        cmocka_unit_test(test_entries_view_encode),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_lldpad_assoc_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
