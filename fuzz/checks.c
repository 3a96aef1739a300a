/* Property checks shared by the harnesses (see checks.h). Every check runs
 * the full decode, holds each failure to the error contract, and holds each
 * success to "re-encoding gives the same octets, or at least the same
 * struct when the wire form has octets the struct does not keep". */
#include "checks.h"

#include "common.h"
#include "sami/di.h"
#include "sami/evb.h"
#include "sami/hmac.h"
#include "sami/lldp.h"
#include "sami/samicap.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"

#define FZ_SAMI_OUI24 0x0A534Du

/* ------------------------------------------------------------ test key -- */

const struct sami_xfer_key *fz_test_key(void)
{
    static struct sami_xfer_key k;
    if (k.id == 0) {
        for (int i = 0; i < 32; i++)
            k.bytes[i] = (uint8_t)i;
        k.len = 32;
        k.id = FZ_TEST_KEY_ID;
    }
    return &k;
}

void fz_test_keyring(struct sami_xfer_keyring *kr)
{
    memset(kr, 0, sizeof *kr);
    kr->keys[0] = *fz_test_key();
    kr->hmac = NULL; /* the library's default provider (libsodium here) */
}

/* ----------------------------------------------------------------- VDP -- */

static void check_vdp_vsi(const struct sami_vdp_tlv *t, const uint8_t *raw)
{
    /* 511-octet TLV / 2-octet entries: never more than 243 entries */
    static struct sami_vdp_filter f[SAMI_VDP_TLV_MAX_LEN / 2];
    const struct sami_vdp_vsi *v = &t->u.vsi;
    struct sami_vdp_filter extra;
    size_t esz = sami_vdp_filter_entry_size(v->filter_format);

    FUZZ_CHECK(esz != 0);
    FUZZ_CHECK(v->type == t->type);
    FUZZ_CHECK(t->length == SAMI_VDP_VSI_FIXED_LEN + (size_t)v->count * esz);
    FUZZ_CHECK(v->id_format >= SAMI_VDP_VSIID_IPV4 && v->id_format <= SAMI_VDP_VSIID_UUID);
    FUZZ_CHECK(v->filters == NULL);
    FUZZ_CHECK((v->count == 0) == (v->entries == NULL));
    if (v->entries)
        FUZZ_CHECK(v->entries == raw + SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_VSI_FIXED_LEN);
    (void)sami_vdp_reason_name(v->reason);

    /* the filter accessor must reach every entry and refuse one past */
    for (size_t i = 0; i < v->count; i++) {
        FUZZ_CHECK(sami_vdp_get_filter(v, i, &f[i]) == 0);
        FUZZ_CHECK(f[i].ps <= 1 && f[i].pcp <= 7 && f[i].vid <= 0xfff);
    }
    FUZZ_CHECK(sami_vdp_get_filter(v, v->count, &extra) == SAMI_ERR_INVAL);

    /* entries decoded one by one and written back from filters[] must give
     * the wire octets again (accessor and filter writer agree) */
    struct sami_vdp_tlv t2 = *t;
    uint8_t out[SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN];
    size_t n = 0;
    t2.u.vsi.filters = f;
    t2.u.vsi.entries = NULL;
    FUZZ_CHECK(sami_vdp_tlv_encode(&t2, out, sizeof out, &n) == 0);
    FUZZ_CHECK(n == SAMI_VDP_TLV_HDR_LEN + t->length && memcmp(out, raw, n) == 0);
}

static void check_vdp_tlv(const struct sami_vdp_tlv *t, const uint8_t *buf, size_t len)
{
    uint8_t out[SAMI_VDP_TLV_HDR_LEN + SAMI_VDP_TLV_MAX_LEN];
    size_t n = 0;

    FUZZ_CHECK(t->offset <= len && len - t->offset >= SAMI_VDP_TLV_HDR_LEN);
    FUZZ_CHECK(t->length <= len - t->offset - SAMI_VDP_TLV_HDR_LEN);
    const uint8_t *raw = buf + t->offset;
    FUZZ_CHECK(t->length == 0 ? t->value == NULL : t->value == raw + SAMI_VDP_TLV_HDR_LEN);
    (void)sami_vdp_tlv_name(t->type);

    /* every TLV the decoder accepts re-encodes to its own octets */
    FUZZ_CHECK(sami_vdp_tlv_encode(t, out, sizeof out, &n) == 0);
    FUZZ_CHECK(n == SAMI_VDP_TLV_HDR_LEN + t->length && memcmp(out, raw, n) == 0);

    switch (t->type) {
    case SAMI_VDP_TLV_PREASSOC:
    case SAMI_VDP_TLV_PREASSOC_RR:
    case SAMI_VDP_TLV_ASSOC:
    case SAMI_VDP_TLV_DEASSOC:
        check_vdp_vsi(t, raw);
        break;
    case SAMI_VDP_TLV_MGRID:
        FUZZ_CHECK(t->length == SAMI_VDP_MGRID_LEN);
        break;
    case SAMI_VDP_TLV_ORG: {
        const struct sami_vdp_org *o = &t->u.org;
        struct sami_err err;
        uint8_t st = 0;
        FUZZ_CHECK(o->oui <= 0xffffffu && o->info_len == (size_t)t->length - 4);
        /* the sami TLVs ride here: decode them as a receiver would */
        fz_err_reset(&err);
        int rc = sami_samitlv_peek_subtype(t->value, t->length, NULL, &st, &err);
        fz_check_err(rc, &err, t->length, "sami_samitlv_peek_subtype");
        if (o->oui == FZ_SAMI_OUI24) {
            FUZZ_CHECK(rc == 0 && st == o->subtype);
            if (o->subtype == SAMI_SUBTYPE_NOTIFICATION)
                fz_check_notif(t->value, t->length);
            else if (o->subtype == SAMI_SUBTYPE_FEEDBACK)
                fz_check_feedback(t->value, t->length);
        } else {
            FUZZ_CHECK(rc == SAMI_ERR_OUI);
        }
        break;
    }
    default:
        break;
    }
}

void fz_check_vdp(const uint8_t *buf, size_t len)
{
    static struct sami_vdp pdu; /* ~2 KiB: keep it off the fuzzer's stack */
    struct sami_vdp_iter it;
    struct sami_vdp_tlv t;
    struct sami_err err, err2;
    size_t ntlv = 0, nend = 0;
    int rc;

    fz_err_reset(&err);
    sami_vdp_iter_init(&it, buf, len, &err);
    while ((rc = sami_vdp_next(&it, &t)) == 1) {
        check_vdp_tlv(&t, buf, len);
        FUZZ_CHECK(nend == 0); /* nothing is yielded after End */
        if (t.type == SAMI_VDP_TLV_END)
            nend++;
        else
            ntlv++;
    }
    fz_check_err(rc, &err, len, "sami_vdp_next");
    FUZZ_CHECK(sami_vdp_next(&it, &t) == rc); /* sticky */
    if (rc == SAMI_ERR_TRAILING)
        FUZZ_CHECK(nend == 1);

    /* the whole-PDU decoder must reach the same verdict at the same place */
    fz_err_reset(&err2);
    int drc = sami_vdp_decode(buf, len, &pdu, &err2);
    fz_check_err(drc, &err2, len, "sami_vdp_decode");
    FUZZ_CHECK(drc == rc);
    if (rc < 0)
        FUZZ_CHECK(err2.offset == err.offset && err2.what == err.what);
    FUZZ_CHECK(pdu.ntlv == (ntlv < SAMI_VDP_MAX_TLVS ? ntlv : SAMI_VDP_MAX_TLVS));
    if (rc != 0 && rc != SAMI_ERR_TRAILING)
        return;
    FUZZ_CHECK(pdu.total_tlvs == ntlv);
    FUZZ_CHECK(pdu.no_end == (nend == 0));
    FUZZ_CHECK(pdu.trailing_nonzero == (rc == SAMI_ERR_TRAILING));
    FUZZ_CHECK(pdu.pdu_len <= len && pdu.padding <= len - pdu.pdu_len);
    if (rc == 0)
        FUZZ_CHECK(pdu.pdu_len + pdu.padding == len);
    if (pdu.total_tlvs > SAMI_VDP_MAX_TLVS)
        return; /* only the first 16 are kept: nothing to re-encode */

    /* re-encode: exactly the octets decoded, End and padding included */
    size_t want = pdu.pdu_len + pdu.padding, need = 0;
    int erc = sami_vdp_encode(&pdu, NULL, 0, &need);
    FUZZ_CHECK(need == want && erc == (want ? SAMI_ERR_NOBUFS : 0));
    uint8_t *out = malloc(want ? want : 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_vdp_encode(&pdu, out, want, &need) == 0 && need == want);
    FUZZ_CHECK(memcmp(out, buf, want) == 0);

    /* the builder, fed the same TLVs, must produce the same PDU (it always
     * closes with End, so only PDUs that had one) */
    if (!pdu.no_end) {
        struct sami_vdp_builder b;
        struct sami_vdp_mgrid spare;
        size_t blen = 0;
        memset(out, 0, want);
        sami_vdp_builder_init(&b, out, want);
        for (size_t i = 0; i < pdu.ntlv; i++) {
            const struct sami_vdp_tlv *x = &pdu.tlv[i];
            int brc;
            /* every third TLV through the generic add, every third
             * open-coded (begin, value written by hand, end) */
            if (i % 3 == 1) {
                FUZZ_CHECK(sami_vdp_add_tlv(&b, x) == 0);
                continue;
            }
            if (i % 3 == 2) {
                size_t mark = 0;
                FUZZ_CHECK(sami_vdp_begin_tlv(&b, x->type, &mark) == 0);
                sami_wr_bytes(&b.w, buf + x->offset + SAMI_VDP_TLV_HDR_LEN, x->length);
                FUZZ_CHECK(sami_vdp_end_tlv(&b, mark) == 0);
                continue;
            }
            switch (x->type) {
            case SAMI_VDP_TLV_PREASSOC:
            case SAMI_VDP_TLV_PREASSOC_RR:
            case SAMI_VDP_TLV_ASSOC:
            case SAMI_VDP_TLV_DEASSOC:
                brc = sami_vdp_add_vsi(&b, &x->u.vsi);
                break;
            case SAMI_VDP_TLV_MGRID:
                brc = sami_vdp_add_mgrid(&b, &x->u.mgrid);
                break;
            case SAMI_VDP_TLV_ORG:
                brc = sami_vdp_add_org(&b, &x->u.org);
                break;
            default:
                brc = sami_vdp_add_raw(&b, x->type, x->value, x->length);
                break;
            }
            FUZZ_CHECK(brc == 0);
        }
        FUZZ_CHECK(sami_vdp_finish(&b, &blen) == 0 && blen == pdu.pdu_len);
        FUZZ_CHECK(memcmp(out, buf, blen) == 0);
        memset(&spare, 0, sizeof spare);
        FUZZ_CHECK(sami_vdp_add_mgrid(&b, &spare) == SAMI_ERR_INVAL); /* finished */
    }
    free(out);
}

/* ---------------------------------------------------- sami VDP TLVs -- */

static int vm_id_equal(const struct sami_vm_id *a, const struct sami_vm_id *b)
{
    return a->type_id == b->type_id && a->type_version == b->type_version &&
           a->id_format == b->id_format && memcmp(a->id, b->id, sizeof a->id) == 0;
}

static int notif_equal(const struct sami_notif *a, const struct sami_notif *b)
{
    if (a->time_point != b->time_point || a->flags != b->flags ||
        a->migration_id != b->migration_id || a->timestamp_ms != b->timestamp_ms ||
        a->next_deadline_ms != b->next_deadline_ms || a->di_types != b->di_types ||
        !vm_id_equal(&a->vm, &b->vm))
        return 0;
    if (a->n_macs != b->n_macs || a->n_ipv4 != b->n_ipv4 || a->n_ipv6 != b->n_ipv6)
        return 0;
    for (unsigned i = 0; i < a->n_macs; i++)
        if (memcmp(a->macs[i].mac, b->macs[i].mac, 6) != 0 || a->macs[i].word != b->macs[i].word)
            return 0;
    if (memcmp(a->ipv4, b->ipv4, (size_t)a->n_ipv4 * 4) != 0 ||
        memcmp(a->ipv6, b->ipv6, (size_t)a->n_ipv6 * 16) != 0)
        return 0;
    if (!sami_bridge_ref_equal(&a->orig_bridge, &b->orig_bridge) ||
        !sami_bridge_ref_equal(&a->dest_bridge, &b->dest_bridge))
        return 0;
    return a->has_reason == b->has_reason && (!a->has_reason || a->reason == b->reason);
}

void fz_check_notif(const uint8_t *value, size_t len)
{
    static struct sami_notif n, n2;
    uint8_t out[SAMI_SAMITLV_MAX_VALUE], out2[SAMI_SAMITLV_MAX_VALUE];
    struct sami_err err;
    size_t olen = 0, olen2 = 0, q = 0;
    uint8_t st = 0;

    fz_err_reset(&err);
    int prc = sami_samitlv_peek_subtype(value, len, NULL, &st, &err);
    fz_check_err(prc, &err, len, "sami_samitlv_peek_subtype");
    fz_err_reset(&err);
    int rc = sami_samitlv_notif_decode(value, len, NULL, &n, &err);
    fz_check_err(rc, &err, len, "sami_samitlv_notif_decode");
    if (rc)
        return;
    FUZZ_CHECK(prc == 0 && st == SAMI_SUBTYPE_NOTIFICATION);
    FUZZ_CHECK(len <= SAMI_SAMITLV_MAX_VALUE && n.version == SAMI_SAMITLV_VERSION);
    FUZZ_CHECK(n.time_point >= SAMI_TP_PREPARE && n.time_point <= SAMI_TP_ABORTED);
    FUZZ_CHECK(n.n_macs <= SAMI_SAMITLV_MAX_MACS && n.n_ipv4 <= SAMI_SAMITLV_MAX_IPV4 &&
               n.n_ipv6 <= SAMI_SAMITLV_MAX_IPV6);
    FUZZ_CHECK(sami_bridge_ref_check(&n.orig_bridge) == 0 &&
               sami_bridge_ref_check(&n.dest_bridge) == 0);
    (void)sami_tp_name(n.time_point);
    (void)sami_abort_reason_name(n.reason);

    /* The decoder keeps what the encoder refuses to send (undefined flag
     * bits, DI bitmap bit 0: documented); drop those, then everything
     * decoded must be encodable. */
    n.flags &= SAMI_SAMITLV_FLAGS_DEFINED;
    n.di_types &= ~UINT32_C(1);
    FUZZ_CHECK(sami_samitlv_notif_check(&n) == 0);
    size_t sz = sami_samitlv_notif_size(&n);
    FUZZ_CHECK(sz <= len); /* only unknown elements are dropped */
    FUZZ_CHECK(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &q) == SAMI_ERR_NOBUFS && q == sz);
    FUZZ_CHECK(sami_samitlv_notif_encode(&n, NULL, out, sizeof out, &olen) == 0 && olen == sz);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_samitlv_notif_decode(out, olen, NULL, &n2, &err) == 0);
    FUZZ_CHECK(n2.unknown_elements == 0 && notif_equal(&n, &n2));
    FUZZ_CHECK(sami_samitlv_notif_encode(&n2, NULL, out2, sizeof out2, &olen2) == 0);
    FUZZ_CHECK(olen2 == olen && memcmp(out, out2, olen) == 0);
}

static int feedback_equal(const struct sami_feedback *a, const struct sami_feedback *b)
{
    if (a->verdict != b->verdict || a->time_point != b->time_point || a->flags != b->flags ||
        a->migration_id != b->migration_id || a->transfer_time_us != b->transfer_time_us ||
        a->n_results != b->n_results || a->has_bridge != b->has_bridge)
        return 0;
    for (unsigned i = 0; i < a->n_results; i++) {
        const struct sami_fb_result *x = &a->results[i], *y = &b->results[i];
        if (x->di_type != y->di_type || x->status != y->status || x->reason != y->reason ||
            x->records_sent != y->records_sent || x->records_installed != y->records_installed)
            return 0;
    }
    return !a->has_bridge || sami_bridge_ref_equal(&a->bridge, &b->bridge);
}

void fz_check_feedback(const uint8_t *value, size_t len)
{
    static struct sami_feedback f, f2;
    uint8_t out[SAMI_SAMITLV_MAX_VALUE], out2[SAMI_SAMITLV_MAX_VALUE];
    struct sami_err err;
    size_t olen = 0, olen2 = 0, q = 0;

    fz_err_reset(&err);
    int rc = sami_samitlv_feedback_decode(value, len, NULL, &f, &err);
    fz_check_err(rc, &err, len, "sami_samitlv_feedback_decode");
    if (rc)
        return;
    FUZZ_CHECK(len <= SAMI_SAMITLV_MAX_VALUE && f.version == SAMI_SAMITLV_VERSION);
    FUZZ_CHECK(f.verdict <= SAMI_VERDICT_ROLLBACK && f.n_results <= SAMI_SAMITLV_MAX_RESULTS);
    for (unsigned i = 0; i < f.n_results; i++) {
        FUZZ_CHECK(f.results[i].di_type != 0 && f.results[i].status <= SAMI_DI_STATUS_TIMEOUT);
        (void)sami_di_status_name(f.results[i].status);
        (void)sami_fb_reason_name(f.results[i].reason);
    }
    (void)sami_verdict_name(f.verdict);

    /* flags: kept by the decoder, refused by the encoder (documented) */
    f.flags = 0;
    FUZZ_CHECK(sami_samitlv_feedback_check(&f) == 0);
    size_t sz = sami_samitlv_feedback_size(&f);
    FUZZ_CHECK(sz <= len);
    FUZZ_CHECK(sami_samitlv_feedback_encode(&f, NULL, NULL, 0, &q) == SAMI_ERR_NOBUFS && q == sz);
    FUZZ_CHECK(sami_samitlv_feedback_encode(&f, NULL, out, sizeof out, &olen) == 0 && olen == sz);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_samitlv_feedback_decode(out, olen, NULL, &f2, &err) == 0);
    FUZZ_CHECK(f2.unknown_elements == 0 && feedback_equal(&f, &f2));
    FUZZ_CHECK(sami_samitlv_feedback_encode(&f2, NULL, out2, sizeof out2, &olen2) == 0);
    FUZZ_CHECK(olen2 == olen && memcmp(out, out2, olen) == 0);
}

/* ---------------------------------------------------------------- LLDP -- */

static int view_equal(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na) == 0);
}

static int lldp_id_equal(const struct sami_lldp_id *a, const struct sami_lldp_id *b)
{
    return a->subtype == b->subtype && view_equal(a->id, a->len, b->id, b->len);
}

static int lldp_mgmt_equal(const struct sami_lldp_mgmt *a, const struct sami_lldp_mgmt *b)
{
    return a->addr_subtype == b->addr_subtype && view_equal(a->addr, a->addr_len, b->addr, b->addr_len) &&
           a->if_subtype == b->if_subtype && a->if_number == b->if_number &&
           view_equal(a->oid, a->oid_len, b->oid, b->oid_len);
}

static int lldp_org_equal(const struct sami_lldp_org *a, const struct sami_lldp_org *b)
{
    return a->oui == b->oui && a->subtype == b->subtype &&
           view_equal(a->info, a->info_len, b->info, b->info_len);
}

static int samicap_equal(const struct sami_samicap *a, const struct sami_samicap *b)
{
    return a->version == b->version && a->role == b->role && a->di_types == b->di_types &&
           a->bindings == b->bindings && a->tcp_port == b->tcp_port && a->family == b->family &&
           memcmp(a->addr, b->addr, sizeof a->addr) == 0 &&
           memcmp(a->l2_mac, b->l2_mac, sizeof a->l2_mac) == 0;
}

static void check_evb_value(const struct sami_evb *e)
{
    struct sami_evb e2, nego;
    uint8_t out[SAMI_EVB_WIRE_LEN];
    size_t n = 0;
    struct sami_err err;

    FUZZ_CHECK(sami_evb_check(e) == 0);
    FUZZ_CHECK(sami_evb_encode(e, out, sizeof out, &n) == 0 && n == SAMI_EVB_WIRE_LEN);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_evb_decode(out, n, &e2, &err) == 0);
    FUZZ_CHECK(memcmp(e, &e2, sizeof e2) == 0); /* all uint8_t: no padding */
    FUZZ_CHECK(sami_evb_negotiate(e, &e2, &nego) == 0);
    FUZZ_CHECK(nego.r == e->r && nego.rte == e->rte && nego.rwd == e->rwd && nego.rka == e->rka);
    FUZZ_CHECK(sami_evb_time_us(e->rte) >= 10);
    (void)sami_evb_mode_name(e->mode);
    (void)sami_evb_rrstat_name(e->rrstat);
}

static void check_samicap_value(const struct sami_samicap *c, const uint8_t *raw, size_t rawlen)
{
    struct sami_samicap c2;
    uint8_t out[SAMI_LLDP_TLV_HDR_LEN + 4 + SAMI_SAMICAP_FIXED_LEN + 16];
    size_t n = 0;
    struct sami_err err;

    FUZZ_CHECK(sami_samicap_check(c, FZ_SAMI_OUI24) == 0);
    FUZZ_CHECK(sami_samicap_encode(c, FZ_SAMI_OUI24, out, sizeof out, &n) == 0);
    /* every info octet is kept: the TLV comes back byte for byte */
    FUZZ_CHECK(n == rawlen && memcmp(out, raw, n) == 0);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_samicap_decode(out, n, FZ_SAMI_OUI24, &c2, &err) == 0);
    FUZZ_CHECK(samicap_equal(c, &c2));
    (void)sami_samicap_role_name(c->role);
    (void)sami_samicap_family_name(c->family);
    for (unsigned b = 0; b < 8; b++)
        (void)sami_samicap_binding_name(b);
}

/* EVB and sami capability from one org TLV of a decoded LLDPDU. */
static void check_lldp_org(const struct sami_lldp_org *o, const uint8_t *buf, size_t len)
{
    struct sami_evb e;
    struct sami_samicap c;
    struct sami_err err;

    FUZZ_CHECK(o->offset <= len && o->tlv == buf + o->offset);
    FUZZ_CHECK(o->info_len <= SAMI_LLDP_ORG_INFO_MAX);
    FUZZ_CHECK(len - o->offset >= SAMI_LLDP_TLV_HDR_LEN + 4 + o->info_len);
    (void)sami_lldp_oui_name(o->oui);

    fz_err_reset(&err);
    int rc = sami_evb_from_org(o, &e, &err);
    fz_check_err(rc, &err, len, "sami_evb_from_org");
    if (rc == 0) {
        FUZZ_CHECK(sami_evb_match(o));
        check_evb_value(&e);
    }
    fz_err_reset(&err);
    rc = sami_samicap_from_org(o, FZ_SAMI_OUI24, &c, &err);
    fz_check_err(rc, &err, len, "sami_samicap_from_org");
    if (rc == 0) {
        FUZZ_CHECK(sami_samicap_match(o, FZ_SAMI_OUI24));
        check_samicap_value(&c, o->tlv, SAMI_LLDP_TLV_HDR_LEN + 4 + o->info_len);
    }
}

/* Rebuilds the LLDPDU from the decoded fields with the builder (canonical
 * order) and checks the result decodes to the same fields. */
static void check_lldp_builder(const struct sami_lldp *pdu)
{
    enum { MAXV = 16 };
    static struct sami_lldp_mgmt mg[MAXV];
    static struct sami_lldp_org og[MAXV];
    static struct sami_lldp back;
    struct sami_lldp_tx tx;
    struct sami_err err;
    size_t need = 0, n = 0;

    if (pdu->unknown_count || pdu->mgmt_count > MAXV || pdu->org_count > MAXV)
        return; /* reserved TLVs have no place in the builder */
    memset(&tx, 0, sizeof tx);
    tx.chassis = pdu->chassis;
    tx.port = pdu->port;
    tx.ttl = pdu->ttl;
    tx.present = pdu->present;
    tx.port_desc = pdu->port_desc;
    tx.sys_name = pdu->sys_name;
    tx.sys_desc = pdu->sys_desc;
    tx.syscap = pdu->syscap;
    for (size_t i = 0; i < pdu->mgmt_count; i++)
        FUZZ_CHECK(sami_lldp_get_mgmt(pdu, i, &mg[i]) == 0);
    for (size_t i = 0; i < pdu->org_count; i++)
        FUZZ_CHECK(sami_lldp_get_org(pdu, i, &og[i]) == 0);
    tx.mgmt = mg;
    tx.mgmt_count = pdu->mgmt_count;
    tx.org = og;
    tx.org_count = pdu->org_count;

    int rc = sami_lldp_encode(&tx, NULL, 0, &need);
    FUZZ_CHECK(rc == SAMI_ERR_NOBUFS && need > 0);
    uint8_t *out = malloc(need);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_lldp_encode(&tx, out, need, &n) == 0 && n == need);
    fz_err_reset(&err);
    rc = sami_lldp_decode(out, n, &back, &err);
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(back.has_end && back.pad_len == 0 && back.unknown_count == 0);
    FUZZ_CHECK(lldp_id_equal(&back.chassis, &pdu->chassis) && lldp_id_equal(&back.port, &pdu->port));
    FUZZ_CHECK(back.ttl == pdu->ttl && back.present == pdu->present);
    if (pdu->present & SAMI_LLDP_HAS_PORT_DESC)
        FUZZ_CHECK(view_equal(back.port_desc.p, back.port_desc.len, pdu->port_desc.p, pdu->port_desc.len));
    if (pdu->present & SAMI_LLDP_HAS_SYSTEM_NAME)
        FUZZ_CHECK(view_equal(back.sys_name.p, back.sys_name.len, pdu->sys_name.p, pdu->sys_name.len));
    if (pdu->present & SAMI_LLDP_HAS_SYSTEM_DESC)
        FUZZ_CHECK(view_equal(back.sys_desc.p, back.sys_desc.len, pdu->sys_desc.p, pdu->sys_desc.len));
    if (pdu->present & SAMI_LLDP_HAS_SYSTEM_CAP)
        FUZZ_CHECK(back.syscap.caps == pdu->syscap.caps && back.syscap.enabled == pdu->syscap.enabled);
    FUZZ_CHECK(back.mgmt_count == pdu->mgmt_count && back.org_count == pdu->org_count);
    for (size_t i = 0; i < back.mgmt_count; i++) {
        struct sami_lldp_mgmt m;
        FUZZ_CHECK(sami_lldp_get_mgmt(&back, i, &m) == 0 && lldp_mgmt_equal(&m, &mg[i]));
    }
    for (size_t i = 0; i < back.org_count; i++) {
        struct sami_lldp_org o;
        FUZZ_CHECK(sami_lldp_get_org(&back, i, &o) == 0 && lldp_org_equal(&o, &og[i]));
    }
    free(out);
}

void fz_check_lldp(const uint8_t *buf, size_t len)
{
    static struct sami_lldp pdu;
    struct sami_lldp_iter it;
    struct sami_lldp_tlv t;
    struct sami_err err;
    uint8_t one[SAMI_LLDP_TLV_HDR_LEN + SAMI_LLDP_TLV_MAX_LEN];
    int rc;

    /* iterator: every TLV inside the buffer and re-written to its own octets */
    fz_err_reset(&err);
    sami_lldp_iter_init(&it, buf, len, &err);
    while ((rc = sami_lldp_iter_next(&it, &t)) == 1) {
        struct sami_wr w;
        FUZZ_CHECK(t.offset <= len && len - t.offset >= SAMI_LLDP_TLV_HDR_LEN + (size_t)t.len);
        FUZZ_CHECK(t.value == buf + t.offset + SAMI_LLDP_TLV_HDR_LEN);
        FUZZ_CHECK(sami_lldp_tlv_check(&t) == 0);
        sami_wr_init(&w, one, sizeof one);
        sami_lldp_write_tlv(&w, &t);
        FUZZ_CHECK(w.pos == SAMI_LLDP_TLV_HDR_LEN + (size_t)t.len);
        FUZZ_CHECK(memcmp(one, buf + t.offset, w.pos) == 0);
        FUZZ_CHECK(sami_lldp_iter_offset(&it) == t.offset + w.pos);
        (void)sami_lldp_tlv_name(t.type);
        if (t.type == SAMI_LLDP_TLV_CHASSIS_ID)
            (void)sami_lldp_chassis_subtype_name(t.u.id.subtype);
        else if (t.type == SAMI_LLDP_TLV_PORT_ID)
            (void)sami_lldp_port_subtype_name(t.u.id.subtype);
        else if (t.type == SAMI_LLDP_TLV_MGMT_ADDR) {
            (void)sami_lldp_addr_family_name(t.u.mgmt.addr_subtype);
            (void)sami_lldp_if_subtype_name(t.u.mgmt.if_subtype);
        } else if (t.type == SAMI_LLDP_TLV_SYSTEM_CAP) {
            for (unsigned b = 0; b < 16; b++)
                (void)sami_lldp_syscap_name(b);
        }
    }
    fz_check_err(rc, &err, len, "sami_lldp_iter_next");
    FUZZ_CHECK(sami_lldp_iter_next(&it, &t) == rc); /* sticky */
    int irc = rc;

    fz_err_reset(&err);
    rc = sami_lldp_decode(buf, len, &pdu, &err);
    fz_check_err(rc, &err, len, "sami_lldp_decode");
    if (irc < 0)
        FUZZ_CHECK(rc < 0); /* a TLV the iterator refuses sinks the LLDPDU */

    /* the same buffer as a bare EVB / sami capability TLV */
    {
        struct sami_evb e;
        struct sami_samicap c;
        struct sami_err e2;
        fz_err_reset(&e2);
        int erc = sami_evb_decode(buf, len, &e, &e2);
        fz_check_err(erc, &e2, len, "sami_evb_decode");
        if (erc == 0)
            check_evb_value(&e);
        fz_err_reset(&e2);
        erc = sami_samicap_decode(buf, len, FZ_SAMI_OUI24, &c, &e2);
        fz_check_err(erc, &e2, len, "sami_samicap_decode");
        if (erc == 0)
            check_samicap_value(&c, buf, len);
    }
    if (rc)
        return;

    FUZZ_CHECK(irc == 0);
    FUZZ_CHECK(pdu.buf == buf && pdu.len == len && pdu.pdu_len + pdu.pad_len == len);
    FUZZ_CHECK(pdu.has_end || pdu.pad_len == 0);
    FUZZ_CHECK(pdu.chassis.len >= 1 && pdu.port.len >= 1);
    /* The accessors re-walk the LLDPDU on every call, so asking for every
     * index is quadratic: check the first 16 and the last against the
     * iterator's order, and decode every org TLV from the iterator. */
    struct sami_lldp_mgmt m;
    struct sami_lldp_org o;
    size_t nm = 0, no = 0;
    sami_lldp_iter_init(&it, buf, len, NULL);
    while (sami_lldp_iter_next(&it, &t) == 1) {
        if (t.type == SAMI_LLDP_TLV_MGMT_ADDR) {
            if (nm < 16 || nm + 1 == pdu.mgmt_count)
                FUZZ_CHECK(sami_lldp_get_mgmt(&pdu, nm, &m) == 0 && lldp_mgmt_equal(&m, &t.u.mgmt));
            nm++;
        } else if (t.type == SAMI_LLDP_TLV_ORG) {
            if (no < 16 || no + 1 == pdu.org_count)
                FUZZ_CHECK(sami_lldp_get_org(&pdu, no, &o) == 0 && lldp_org_equal(&o, &t.u.org) &&
                           o.offset == t.offset);
            check_lldp_org(&t.u.org, buf, len);
            no++;
        }
    }
    FUZZ_CHECK(nm == pdu.mgmt_count && no == pdu.org_count);
    FUZZ_CHECK(sami_lldp_get_mgmt(&pdu, pdu.mgmt_count, &m) == SAMI_ERR_NOTFOUND);
    FUZZ_CHECK(sami_lldp_get_org(&pdu, pdu.org_count, &o) == SAMI_ERR_NOTFOUND);
    (void)sami_lldp_find_org(&pdu, SAMI_EVB_OUI, SAMI_EVB_SUBTYPE, &o);
    (void)sami_lldp_find_org(&pdu, FZ_SAMI_OUI24, SAMI_SAMICAP_SUBTYPE, &o);

    /* re-encode from the decoded TLVs: the input again, padding as zeros */
    size_t need = 0, n = 0;
    FUZZ_CHECK(sami_lldp_reencode(&pdu, NULL, 0, &need) == (len ? SAMI_ERR_NOBUFS : 0));
    FUZZ_CHECK(need == len);
    uint8_t *out = malloc(len ? len : 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_lldp_reencode(&pdu, out, len, &n) == 0 && n == len);
    FUZZ_CHECK(memcmp(out, buf, pdu.pdu_len) == 0);
    if (!pdu.pad_nonzero)
        FUZZ_CHECK(memcmp(out, buf, len) == 0);
    free(out);

    check_lldp_builder(&pdu);
}

/* ------------------------------------------------------------ transfer -- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

/* Runs every typed reader on one element. A reader of another type must say
 * TYPE; the matching reader, when it accepts, must write the element back
 * byte for byte; after a successful message decode it must accept. */
static void check_xfer_elem(const uint8_t *msg, size_t len, const struct sami_xfer_elem *e,
                            int body_ok)
{
    struct sami_err err;
    struct sami_wr w;
    const uint8_t *raw = msg + e->offset - SAMI_XFER_ELEM_HDR_LEN;
    size_t rawlen = SAMI_XFER_ELEM_HDR_LEN + (size_t)e->len;
    uint8_t *out = malloc(rawlen);
    int rc, wrc = 0;

    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(e->offset >= SAMI_XFER_HDR_LEN + SAMI_XFER_ELEM_HDR_LEN && e->offset <= len &&
               e->len <= len - e->offset && e->value == msg + e->offset);
    FUZZ_CHECK(be16(raw) == e->type && be16(raw + 2) == e->len);
    (void)sami_xfer_elem_name(e->type);
    /* The matching reader always runs; of the others one per element,
     * picked by its position (all of them on every element made the harness
     * ten times slower for no new paths: a mismatched type is refused before
     * anything is read). Deterministic, so an input replays identically. */
    unsigned rot = (unsigned)((e->offset + e->type) % 11u);
    sami_wr_init(&w, out, rawlen);

#define READER(idx, etype, call, write)                                                            \
    do {                                                                                           \
        if (e->type != (etype) && rot != (idx))                                                    \
            break;                                                                                 \
        fz_err_reset(&err);                                                                        \
        rc = (call);                                                                               \
        fz_check_err(rc, &err, len, #call);                                                        \
        if (e->type != (etype)) {                                                                  \
            FUZZ_CHECK(rc == SAMI_ERR_TYPE);                                                       \
        } else {                                                                                   \
            if (body_ok)                                                                           \
                FUZZ_CHECK(rc == 0);                                                               \
            if (rc == 0) {                                                                         \
                sami_wr_init(&w, out, rawlen);                                                     \
                wrc = (write);                                                                     \
                FUZZ_CHECK(wrc == 0 && w.pos == rawlen && memcmp(out, raw, rawlen) == 0);         \
            }                                                                                      \
        }                                                                                          \
    } while (0)

    struct sami_xfer_caps caps;
    READER(0, SAMI_XFER_E_CAPS, sami_xfer_read_caps(e, &caps, &err), sami_xfer_write_caps(&w, &caps));
    struct sami_xfer_name name;
    READER(1, SAMI_XFER_E_NAME, sami_xfer_read_name(e, &name, &err), sami_xfer_write_name(&w, &name));
    struct sami_xfer_vm_id vm;
    READER(2, SAMI_XFER_E_VM_ID, sami_xfer_read_vm_id(e, &vm, &err), sami_xfer_write_vm_id(&w, &vm));
    struct sami_xfer_generation gen;
    READER(3, SAMI_XFER_E_GENERATION, sami_xfer_read_generation(e, &gen, &err),
           sami_xfer_write_generation(&w, &gen));
    uint64_t u64 = 0;
    READER(4, SAMI_XFER_E_DIGEST, sami_xfer_read_digest(e, &u64, &err), sami_xfer_write_digest(&w, u64));
    struct sami_xfer_status_elem st;
    READER(5, SAMI_XFER_E_STATUS, sami_xfer_read_status(e, &st, &err), sami_xfer_write_status(&w, &st));
    struct sami_xfer_type_result tr;
    READER(6, SAMI_XFER_E_TYPE_RESULT, sami_xfer_read_type_result(e, &tr, &err),
           sami_xfer_write_type_result(&w, &tr));
    uint32_t u32 = 0;
    READER(7, SAMI_XFER_E_SNAPSHOT_TIME, sami_xfer_read_snapshot_time(e, &u32, &err),
           sami_xfer_write_snapshot_time(&w, u32));
    READER(8, SAMI_XFER_E_ACKED_SEQ, sami_xfer_read_acked_seq(e, &u64, &err),
           sami_xfer_write_acked_seq(&w, u64));

    /* COUNTS: a view; rebuild the entries through the accessor */
    struct sami_xfer_counts cv;
    if (e->type == SAMI_XFER_E_COUNTS || rot == 9) {
        fz_err_reset(&err);
        rc = sami_xfer_read_counts(e, &cv, &err);
        fz_check_err(rc, &err, len, "sami_xfer_read_counts");
        if (e->type != SAMI_XFER_E_COUNTS) {
            FUZZ_CHECK(rc == SAMI_ERR_TYPE);
        } else {
            if (body_ok)
                FUZZ_CHECK(rc == 0);
            if (rc == 0) {
                struct sami_xfer_count *c = malloc((cv.n ? cv.n : 1) * sizeof *c);
                struct sami_xfer_count spare;
                FUZZ_CHECK(c != NULL && cv.n * SAMI_XFER_COUNT_ENTRY_LEN == e->len);
                for (size_t i = 0; i < cv.n; i++)
                    FUZZ_CHECK(sami_xfer_counts_get(&cv, i, &c[i]) == 0 && c[i].di_type != 0);
                FUZZ_CHECK(sami_xfer_counts_get(&cv, cv.n, &spare) == SAMI_ERR_INVAL);
                sami_wr_init(&w, out, rawlen);
                FUZZ_CHECK(sami_xfer_write_counts(&w, c, cv.n) == 0);
                FUZZ_CHECK(w.pos == rawlen && memcmp(out, raw, rawlen) == 0);
                free(c);
            }
        }
    }

    /* DI records: any 0x0101..0x01ff element; decode the record itself */
    struct sami_xfer_di di;
    if (SAMI_XFER_E_IS_DI(e->type) || rot == 10) {
        fz_err_reset(&err);
        rc = sami_xfer_read_di(e, &di, &err);
        fz_check_err(rc, &err, len, "sami_xfer_read_di");
        if (!SAMI_XFER_E_IS_DI(e->type)) {
            FUZZ_CHECK(rc == SAMI_ERR_TYPE);
        } else {
            if (body_ok)
                FUZZ_CHECK(rc == 0);
            if (rc == 0) {
                FUZZ_CHECK(di.di_type == (e->type & 0xff) && di.value == e->value && di.len == e->len);
                sami_wr_init(&w, out, rawlen);
                FUZZ_CHECK(sami_xfer_write_di(&w, di.di_type, di.value, di.len) == 0);
                FUZZ_CHECK(w.pos == rawlen && memcmp(out, raw, rawlen) == 0);
                /* decode the record as a receiver would (the deep DI
                 * checks are fuzz_di's: here they only cost speed) */
                struct sami_di_record rec;
                fz_err_reset(&err);
                rc = sami_di_decode(di.di_type, di.value, di.len, &rec, &err);
                fz_check_err(rc, &err, di.len, "sami_di_decode");
            }
        }
    }
#undef READER
    free(out);
}

/* Walks the elements of a body; returns the iterator's final result. */
static int walk_xfer_body(const uint8_t *buf, size_t len, const struct sami_xfer_msg *m, int body_ok)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    struct sami_err err;
    int rc;
    fz_err_reset(&err);
    sami_xfer_iter_init(&it, m, &err);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1)
        check_xfer_elem(buf, len, &e, body_ok);
    fz_check_err(rc, &err, len, "sami_xfer_iter_next");
    return rc;
}

static int msg_zeroed(const struct sami_xfer_msg *m)
{
    static const uint8_t zero[SAMI_XFER_TAG_LEN];
    return m->body == NULL && m->total_len == 0 && m->verified == 0 && m->hdr.type == 0 &&
           m->hdr.body_len == 0 && m->key_id == 0 && m->seq == 0 &&
           memcmp(m->tag, zero, sizeof zero) == 0;
}

static void check_xfer_open(const uint8_t *buf, size_t len, int drc, const struct sami_xfer_msg *dm)
{
    struct sami_xfer_keyring kr;
    struct sami_xfer_replay rp;
    struct sami_xfer_msg m;
    struct sami_err err;
    int rc;

    if (sami_hmac_default() == NULL)
        return; /* built without a crypto provider: open cannot authenticate */
    fz_test_keyring(&kr);

    /* as received: only a genuine test-key message gets through */
    memset(&rp, 0, sizeof rp);
    fz_err_reset(&err);
    rc = sami_xfer_open(buf, len, &kr, &rp, 0, 0, &m, &err);
    fz_check_err(rc, &err, len, "sami_xfer_open");
    if (rc == 0) {
        FUZZ_CHECK(drc == 0 && m.verified == 1 && m.key_id == FZ_TEST_KEY_ID);
        FUZZ_CHECK(m.total_len == dm->total_len && m.seq == dm->seq);
    } else {
        FUZZ_CHECK(msg_zeroed(&m)); /* fail closed */
        if (drc == 0)
            FUZZ_CHECK(rc == SAMI_ERR_NOKEY || rc == SAMI_ERR_AUTH || rc == SAMI_ERR_REPLAY);
    }

    /* re-sealed with the test key, the message is authentic: open must then
     * agree with the unauthenticated decode exactly, and a second delivery
     * is a replay */
    if (len < SAMI_XFER_OVERHEAD || be32(buf + 4) != len - SAMI_XFER_OVERHEAD) {
        FUZZ_CHECK(drc != 0);
        return;
    }
    uint8_t *copy = malloc(len);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, buf, len);
    uint64_t seq = be64(buf + len - SAMI_XFER_TRAILER_LEN + 2);
    if (seq == 0)
        seq = 1;
    FUZZ_CHECK(sami_xfer_seal(copy, len, fz_test_key(), seq, NULL) == 0);
    memset(&rp, 0, sizeof rp);
    fz_err_reset(&err);
    rc = sami_xfer_open(copy, len, &kr, &rp, 0, 0, &m, &err);
    fz_check_err(rc, &err, len, "sami_xfer_open(sealed)");
    FUZZ_CHECK(rc == drc);
    if (rc == 0)
        FUZZ_CHECK(m.verified == 1 && m.seq == seq && m.total_len == len);
    fz_err_reset(&err);
    int rc2 = sami_xfer_open(copy, len, &kr, &rp, 0, 0, &m, &err);
    fz_check_err(rc2, &err, len, "sami_xfer_open(again)");
    FUZZ_CHECK(rc2 == (rc == 0 ? SAMI_ERR_REPLAY : rc));
    /* a passive tool (no replay state) sees the same as the first open */
    fz_err_reset(&err);
    FUZZ_CHECK(sami_xfer_open(copy, len, &kr, NULL, 0, 0, &m, &err) == drc);
    /* an expired key is no key at all */
    kr.keys[0].not_after_ms = 1000;
    fz_err_reset(&err);
    rc2 = sami_xfer_open(copy, len, &kr, NULL, 1000, 0, &m, &err);
    fz_check_err(rc2, &err, len, "sami_xfer_open(expired)");
    if (drc == 0)
        FUZZ_CHECK(rc2 == SAMI_ERR_NOKEY);
    /* one flipped tag bit must fail authentication */
    copy[len - 1] ^= 1;
    memset(&rp, 0, sizeof rp);
    kr.keys[0].not_after_ms = 0;
    fz_err_reset(&err);
    rc2 = sami_xfer_open(copy, len, &kr, &rp, 0, 0, &m, &err);
    fz_check_err(rc2, &err, len, "sami_xfer_open(bad tag)");
    if (drc == 0)
        FUZZ_CHECK(rc2 == SAMI_ERR_AUTH);
    free(copy);
}

void fz_check_xfer(const uint8_t *buf, size_t len, int crypto)
{
    struct sami_xfer_msg m;
    struct sami_xfer_hdr h;
    struct sami_err err, herr;
    struct sami_rd r;

    fz_err_reset(&err);
    int rc = sami_xfer_decode(buf, len, &m, &err);
    fz_check_err(rc, &err, len, "sami_xfer_decode");

    /* the header alone, as a receiver does to pick the peer's state */
    fz_err_reset(&herr);
    sami_rd_init(&r, buf, len, &herr);
    int hrc = sami_xfer_read_hdr(&r, 0, &h);
    fz_check_err(hrc, &herr, len, "sami_xfer_read_hdr");
    if (hrc == 0) {
        (void)sami_xfer_type_name(h.type);
        /* walk whatever body the header claims, even in a refused message:
         * the iterator and readers must stay inside it */
        struct sami_xfer_msg loose;
        memset(&loose, 0, sizeof loose);
        loose.hdr = h;
        loose.body = buf + SAMI_XFER_HDR_LEN;
        if (loose.hdr.body_len > len - SAMI_XFER_HDR_LEN)
            loose.hdr.body_len = (uint32_t)(len - SAMI_XFER_HDR_LEN);
        if (rc != 0)
            (void)walk_xfer_body(buf, len, &loose, 0);
    }

    if (rc != 0) {
        FUZZ_CHECK(msg_zeroed(&m));
        if (crypto)
            check_xfer_open(buf, len, rc, &m);
        return;
    }

    FUZZ_CHECK(hrc == 0 && h.type == m.hdr.type && h.body_len == m.hdr.body_len);
    FUZZ_CHECK(m.verified == 0 && m.total_len == len && m.body == buf + SAMI_XFER_HDR_LEN);
    FUZZ_CHECK(len == SAMI_XFER_OVERHEAD + (size_t)m.hdr.body_len);
    FUZZ_CHECK(m.key_id == be16(buf + len - SAMI_XFER_TRAILER_LEN));
    FUZZ_CHECK(m.seq == be64(buf + len - SAMI_XFER_TRAILER_LEN + 2));
    fz_err_reset(&err);
    FUZZ_CHECK(sami_xfer_check_body(&m, &err) == 0);
    FUZZ_CHECK(walk_xfer_body(buf, len, &m, 1) == 0);

    /* re-encode: the very same octets (tag copied, not recomputed) */
    uint8_t *out = malloc(len);
    size_t n = 0;
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_xfer_encode(&m, out, len, &n) == 0 && n == len && memcmp(out, buf, len) == 0);

    /* the builder, fed the same elements, signs the same header and body
     * (check_xfer_open then proves such a signature opens) */
    if (crypto && sami_hmac_default() != NULL) {
        struct sami_xfer_builder b;
        struct sami_xfer_iter it;
        struct sami_xfer_elem e;
        sami_xfer_build_begin(&b, out, len, &m.hdr);
        sami_xfer_iter_init(&it, &m, NULL);
        while (sami_xfer_iter_next(&it, &e) == 1)
            FUZZ_CHECK(sami_xfer_build_elem(&b, e.type, e.value, e.len) == 0);
        uint64_t seq = m.seq ? m.seq : 1;
        FUZZ_CHECK(sami_xfer_build_finish(&b, fz_test_key(), seq, NULL, &n) == 0 && n == len);
        FUZZ_CHECK(memcmp(out, buf, len - SAMI_XFER_TRAILER_LEN) == 0);
    }
    free(out);
    if (crypto)
        check_xfer_open(buf, len, rc, &m);
}

/* ------------------------------------------------------------------ DI -- */

void fz_check_di(uint8_t type, const uint8_t *value, size_t len)
{
    static struct sami_di_record rec, rec2, reb;
    struct sami_err err;
    size_t n = 0, q = 0;

    fz_err_reset(&err);
    int rc = sami_di_decode(type, value, len, &rec, &err);
    fz_check_err(rc, &err, len, "sami_di_decode");
    (void)sami_di_type_name(type);
    (void)sami_di_current_version(type);

    /* the reader form, from inside a larger window, must agree */
    {
        struct sami_rd r;
        struct sami_err e2;
        fz_err_reset(&e2);
        sami_rd_init(&r, value, len, &e2);
        int rrc = sami_di_read(&r, type, len, &rec2);
        fz_check_err(rrc, &e2, len, "sami_di_read");
        FUZZ_CHECK(rrc == rc && sami_rd_done(&r));
        if (rc)
            FUZZ_CHECK(e2.offset == err.offset && e2.what == err.what);
    }
    if (rc)
        return;

    FUZZ_CHECK(rec.type == type && sami_di_validate(&rec) == 0);
    FUZZ_CHECK(sami_di_encoded_len(&rec) == len);
    /* a decoded record re-encodes byte for byte (the layouts keep every octet) */
    uint8_t *out = malloc(len ? len : 1);
    FUZZ_CHECK(out != NULL);
    FUZZ_CHECK(sami_di_encode(&rec, NULL, 0, &q) == SAMI_ERR_NOBUFS && q == len);
    FUZZ_CHECK(sami_di_encode(&rec, out, len, &n) == 0 && n == len && memcmp(out, value, len) == 0);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_di_decode(type, out, n, &rec2, &err) == 0);
    FUZZ_CHECK(memcmp(&rec, &rec2, sizeof rec) == 0); /* both zero-filled by the decoder */
    FUZZ_CHECK(sami_di_key_equal(&rec, &rec2) && sami_di_key_hash(&rec) == sami_di_key_hash(&rec2));
    free(out);

    /* rebase: remaining times only shrink, ages only grow, the key stays */
    uint32_t elapsed = len ? (uint32_t)value[len - 1] * 977u : 0;
    reb = rec;
    sami_di_rebase(&reb, elapsed);
    FUZZ_CHECK(sami_di_validate(&reb) == 0 && sami_di_key_equal(&rec, &reb));
    switch (type) {
    case SAMI_DI_DHCP:
        FUZZ_CHECK(reb.u.dhcp.lease_remaining_ms <= rec.u.dhcp.lease_remaining_ms);
        break;
    case SAMI_DI_DOT1X:
        FUZZ_CHECK(reb.u.dot1x.session_remaining_ms <= rec.u.dot1x.session_remaining_ms);
        FUZZ_CHECK(strlen(rec.u.dot1x.identity) == rec.u.dot1x.identity_len);
        (void)sami_di_eap_method_name(rec.u.dot1x.eap_method);
        break;
    case SAMI_DI_ND:
        (void)sami_di_nd_state_name(rec.u.nd.state);
        break;
    case SAMI_DI_ACL:
        (void)sami_di_acl_action_name(rec.u.acl.action);
        (void)sami_di_acl_origin_name(rec.u.acl.origin);
        break;
    case SAMI_DI_IGMP:
        (void)sami_di_igmp_mode_name(rec.u.igmp.filter_mode);
        (void)sami_di_family_name(rec.u.igmp.family);
        break;
    case SAMI_DI_COUNTERS:
        (void)sami_di_direction_name(rec.u.counters.direction);
        break;
    case SAMI_DI_FIREWALL:
        FUZZ_CHECK(reb.u.firewall.created_age_ms >= rec.u.firewall.created_age_ms);
        FUZZ_CHECK(reb.u.firewall.expiry_remaining_ms <= rec.u.firewall.expiry_remaining_ms ||
                   rec.u.firewall.expiry_remaining_ms == SAMI_DI_INFINITE);
        (void)sami_di_fw_state_name(rec.u.firewall.state);
        break;
    default:
        break;
    }
    (void)sami_di_op_name(rec.op);
}
