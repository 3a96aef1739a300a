/* libFuzzer harness: encode -> decode -> encode round trips, driven from
 * the encoder side. The decoder harnesses start from bytes and so rarely
 * reach the encoders' validation; here the input fills a struct, and
 * whatever an encoder agrees to produce must decode without error to the same
 * struct and re-encode to the same octets (an encoder that emits what our own
 * decoder refuses is a bug either way).
 *
 * Input: octet 0 picks the codec (modulo the mode count), the rest feeds the
 * struct through struct fz_in (zeros once it runs dry). */
#include "checks.h"
#include "common.h"
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

/* ----------------------------------------------------------------- ECP -- */

static void rt_ecp(struct fz_in *in)
{
    struct sami_ecp e, d;
    struct sami_err err;
    size_t n = 0, n2 = 0;

    memset(&e, 0, sizeof e);
    e.hdr.version = fz_u8(in) & 0x1f; /* 16..31 must be refused */
    e.hdr.op = fz_u8(in) & 3;
    e.hdr.subtype = fz_u16(in) & 0x7ff;
    e.hdr.seq = fz_u16(in);
    e.ulpdu = fz_view(in, in->n, &e.ulpdu_len);
    if (e.ulpdu_len == 0)
        e.ulpdu = NULL;
    uint8_t *buf = malloc(SAMI_ECP_HDR_LEN + e.ulpdu_len);
    uint8_t *buf2 = malloc(SAMI_ECP_HDR_LEN + e.ulpdu_len);
    FUZZ_CHECK(buf && buf2);
    int rc = sami_ecp_encode(&e, buf, SAMI_ECP_HDR_LEN + e.ulpdu_len, &n);
    int valid = e.hdr.version <= 15 && e.hdr.op <= 1 && e.hdr.subtype <= SAMI_ECP_SUBTYPE_MAX;
    FUZZ_CHECK((rc == 0) == valid);
    if (rc == 0) {
        FUZZ_CHECK(n == SAMI_ECP_HDR_LEN + e.ulpdu_len);
        fz_err_reset(&err);
        int drc = sami_ecp_decode(buf, n, &d, &err);
        fz_check_err(drc, &err, n, "sami_ecp_decode");
        if (e.hdr.version != SAMI_ECP_VERSION) {
            FUZZ_CHECK(drc == SAMI_ERR_VERSION); /* encodable, but not ours */
        } else {
            FUZZ_CHECK(drc == 0 && d.hdr.op == e.hdr.op && d.hdr.subtype == e.hdr.subtype &&
                       d.hdr.seq == e.hdr.seq && d.ulpdu_len == e.ulpdu_len);
            FUZZ_CHECK(sami_ecp_encode(&d, buf2, n, &n2) == 0 && n2 == n && memcmp(buf, buf2, n) == 0);
        }
    }
    free(buf);
    free(buf2);
}

/* ----------------------------------------------------------------- VDP -- */

#define RT_VDP_MAX 6

static void rt_vdp(struct fz_in *in)
{
    static struct sami_vdp pdu, back;
    static struct sami_vdp_filter filt[RT_VDP_MAX][48];
    struct sami_err err;
    size_t need = 0, n = 0, n2 = 0;

    memset(&pdu, 0, sizeof pdu);
    pdu.ntlv = fz_u8(in) % (RT_VDP_MAX + 1);
    for (size_t i = 0; i < pdu.ntlv; i++) {
        struct sami_vdp_tlv *t = &pdu.tlv[i];
        uint8_t sel = fz_u8(in);
        size_t got = 0;
        switch (sel % 4) {
        case 0: {
            struct sami_vdp_vsi *v = &t->u.vsi;
            uint8_t fl = fz_u8(in);
            t->type = (uint8_t)(SAMI_VDP_TLV_PREASSOC + (sel >> 2) % 4);
            v->type = t->type;
            v->response = fl & 1;
            /* mostly consistent flag sets, sometimes a conflicting one */
            if (v->response || (fl & 0x80)) {
                v->reason = fz_u8(in) & 0x1f;
                v->hard = (fl >> 3) & 1;
                v->keep = (fl >> 4) & 1;
            }
            if (!v->response || (fl & 0x80)) {
                v->migrate_to = (fl >> 1) & 1;
                v->suspended = (fl >> 2) & 1;
            }
            v->reserved = (fl & 0x40) ? fz_u8(in) : 0;
            v->type_id = fz_u32(in) & 0x1ffffffu;
            v->type_ver = fz_u8(in);
            v->id_format = fz_u8(in) % 7;
            fz_bytes(in, v->id, sizeof v->id);
            v->filter_format = fz_u8(in) % 6;
            v->count = fz_u8(in) % 48;
            size_t esz = sami_vdp_filter_entry_size(v->filter_format);
            if (sel & 0x80) {
                for (size_t j = 0; j < v->count; j++) {
                    filt[i][j].group_id = fz_u32(in);
                    fz_bytes(in, filt[i][j].mac, 6);
                    filt[i][j].ps = fz_u8(in) % 3;
                    filt[i][j].pcp = fz_u8(in) % 9;
                    filt[i][j].vid = fz_u16(in) & 0x1fff;
                }
                v->filters = filt[i];
            } else if (esz) {
                v->entries = fz_view(in, (size_t)v->count * esz, &got);
                v->count = (uint16_t)(got / esz);
                if (v->count == 0)
                    v->entries = NULL;
            }
            break;
        }
        case 1:
            t->type = SAMI_VDP_TLV_MGRID;
            fz_bytes(in, t->u.mgrid.id, SAMI_VDP_MGRID_LEN);
            break;
        case 2:
            t->type = SAMI_VDP_TLV_ORG;
            t->u.org.oui = fz_u32(in) & 0x1ffffffu;
            t->u.org.subtype = fz_u8(in);
            t->u.org.info = fz_view(in, fz_u16(in) % 520, &t->u.org.info_len);
            if (t->u.org.info_len == 0)
                t->u.org.info = NULL;
            break;
        default:
            t->type = fz_u8(in); /* any type, also 0 and > 127 */
            t->value = fz_view(in, fz_u16(in) % 520, &got);
            t->length = (uint16_t)got;
            if (got == 0)
                t->value = NULL;
            break;
        }
    }
    pdu.no_end = fz_u8(in) & 1;
    pdu.padding = fz_u8(in) % 64;

    int rc = sami_vdp_encode(&pdu, NULL, 0, &need);
    if (rc != SAMI_ERR_NOBUFS && rc != 0)
        return; /* refused: nothing was promised */
    uint8_t *buf = malloc(need ? need : 1), *buf2 = malloc(need ? need : 1);
    FUZZ_CHECK(buf && buf2);
    FUZZ_CHECK(sami_vdp_encode(&pdu, buf, need, &n) == 0 && n == need);
    fz_err_reset(&err);
    int drc = sami_vdp_decode(buf, n, &back, &err);
    fz_check_err(drc, &err, n, "sami_vdp_decode");
    FUZZ_CHECK(drc == 0);
    FUZZ_CHECK(back.ntlv == pdu.ntlv && back.total_tlvs == pdu.ntlv);
    for (size_t i = 0; i < pdu.ntlv; i++) {
        const struct sami_vdp_tlv *a = &pdu.tlv[i], *b = &back.tlv[i];
        FUZZ_CHECK(a->type == b->type);
        switch (a->type) {
        case SAMI_VDP_TLV_PREASSOC:
        case SAMI_VDP_TLV_PREASSOC_RR:
        case SAMI_VDP_TLV_ASSOC:
        case SAMI_VDP_TLV_DEASSOC: {
            const struct sami_vdp_vsi *x = &a->u.vsi, *y = &b->u.vsi;
            FUZZ_CHECK(x->response == y->response && x->reserved == y->reserved);
            if (x->response)
                FUZZ_CHECK(x->reason == y->reason && x->hard == y->hard && x->keep == y->keep);
            else
                FUZZ_CHECK(x->migrate_to == y->migrate_to && x->suspended == y->suspended);
            FUZZ_CHECK(x->type_id == y->type_id && x->type_ver == y->type_ver &&
                       x->id_format == y->id_format && memcmp(x->id, y->id, 16) == 0);
            FUZZ_CHECK(x->filter_format == y->filter_format && x->count == y->count);
            for (size_t j = 0; j < x->count; j++) {
                struct sami_vdp_filter fa, fb;
                FUZZ_CHECK(sami_vdp_get_filter(x, j, &fa) == 0 && sami_vdp_get_filter(y, j, &fb) == 0);
                uint8_t ff = x->filter_format;
                int grp = ff == SAMI_VDP_FILTER_GROUP_VID || ff == SAMI_VDP_FILTER_GROUP_MAC_VID;
                int mac = ff == SAMI_VDP_FILTER_MAC_VID || ff == SAMI_VDP_FILTER_GROUP_MAC_VID;
                FUZZ_CHECK(fa.ps == fb.ps && fa.pcp == fb.pcp && fa.vid == fb.vid);
                FUZZ_CHECK(!grp || fa.group_id == fb.group_id);
                FUZZ_CHECK(!mac || memcmp(fa.mac, fb.mac, 6) == 0);
            }
            break;
        }
        case SAMI_VDP_TLV_MGRID:
            FUZZ_CHECK(memcmp(a->u.mgrid.id, b->u.mgrid.id, SAMI_VDP_MGRID_LEN) == 0);
            break;
        case SAMI_VDP_TLV_ORG:
            if (b->u.org.info_len == a->u.org.info_len && a->u.org.info_len)
                FUZZ_CHECK(memcmp(a->u.org.info, b->u.org.info, a->u.org.info_len) == 0);
            FUZZ_CHECK(a->u.org.oui == b->u.org.oui && a->u.org.subtype == b->u.org.subtype &&
                       a->u.org.info_len == b->u.org.info_len);
            break;
        default:
            FUZZ_CHECK(a->length == b->length);
            FUZZ_CHECK(a->length == 0 || memcmp(a->value, b->value, a->length) == 0);
            break;
        }
    }
    /* no End + 2 or more padding zeros reads back as End + padding: same octets */
    if (!pdu.no_end || pdu.padding < 2)
        FUZZ_CHECK(back.no_end == pdu.no_end && back.padding == pdu.padding);
    FUZZ_CHECK(sami_vdp_encode(&back, buf2, need, &n2) == 0 && n2 == n && memcmp(buf, buf2, n) == 0);
    /* the builder (generic add) makes the same PDU when it has an End and
     * no padding; a length query first, as a sender would */
    if (!pdu.no_end && pdu.padding == 0) {
        struct sami_vdp_builder bq, bb;
        size_t qlen = 0, blen = 0;
        sami_vdp_builder_init(&bq, NULL, 0);
        sami_vdp_builder_init(&bb, buf2, need);
        for (size_t i = 0; i < pdu.ntlv; i++) {
            FUZZ_CHECK(sami_vdp_add_tlv(&bq, &pdu.tlv[i]) == 0);
            FUZZ_CHECK(sami_vdp_add_tlv(&bb, &pdu.tlv[i]) == 0);
        }
        FUZZ_CHECK(sami_vdp_finish(&bq, &qlen) == (need ? SAMI_ERR_NOBUFS : 0) && qlen == need);
        FUZZ_CHECK(sami_vdp_finish(&bb, &blen) == 0 && blen == n && memcmp(buf, buf2, n) == 0);
    }
    free(buf);
    free(buf2);
}

/* ---------------------------------------------------- sami VDP TLVs -- */

static void fill_bridge(struct fz_in *in, struct sami_bridge_ref *b)
{
    uint8_t l;
    memset(b, 0, sizeof *b);
    b->chassis_id_subtype = fz_u8(in);
    l = fz_u8(in);
    b->chassis_id_len = (l & 0x80) ? fz_u8(in) : (uint8_t)(l & 0x1f);
    fz_bytes(in, b->chassis_id, b->chassis_id_len);
    b->port_id_subtype = fz_u8(in);
    l = fz_u8(in);
    b->port_id_len = (l & 0x80) ? fz_u8(in) : (uint8_t)(l & 0x1f);
    fz_bytes(in, b->port_id, b->port_id_len);
}

static const uint8_t *pick_oui(struct fz_in *in, uint8_t oui[3])
{
    if (fz_u8(in) & 1)
        return NULL; /* the default 0A-53-4D */
    fz_bytes(in, oui, 3);
    return oui;
}

static void rt_notif(struct fz_in *in)
{
    static struct sami_notif a, b, c;
    uint8_t oui[3], buf[SAMI_SAMITLV_MAX_VALUE], buf2[SAMI_SAMITLV_MAX_VALUE];
    struct sami_err err;
    size_t n = 0, n2 = 0;

    memset(&a, 0, sizeof a);
    const uint8_t *o = pick_oui(in, oui);
    a.version = fz_u8(in) % 3;
    a.time_point = fz_u8(in) % 7;
    a.flags = fz_u8(in) & 7;
    a.migration_id = fz_u64(in);
    a.timestamp_ms = fz_u64(in);
    a.next_deadline_ms = fz_u32(in);
    a.di_types = fz_u32(in);
    a.vm.type_id = fz_u32(in) & 0x1ffffffu;
    a.vm.type_version = fz_u8(in);
    a.vm.id_format = fz_u8(in);
    fz_bytes(in, a.vm.id, 16);
    a.n_macs = fz_u8(in) % 18;
    for (unsigned i = 0; i < a.n_macs && i < SAMI_SAMITLV_MAX_MACS; i++) {
        fz_bytes(in, a.macs[i].mac, 6);
        a.macs[i].word = fz_u16(in);
    }
    a.n_ipv4 = fz_u8(in) % 10;
    for (unsigned i = 0; i < a.n_ipv4 && i < SAMI_SAMITLV_MAX_IPV4; i++)
        fz_bytes(in, a.ipv4[i], 4);
    a.n_ipv6 = fz_u8(in) % 10;
    for (unsigned i = 0; i < a.n_ipv6 && i < SAMI_SAMITLV_MAX_IPV6; i++)
        fz_bytes(in, a.ipv6[i], 16);
    fill_bridge(in, &a.orig_bridge);
    fill_bridge(in, &a.dest_bridge);
    a.has_reason = fz_u8(in) & 1;
    a.reason = fz_u16(in);

    int crc = sami_samitlv_notif_check(&a);
    int rc = sami_samitlv_notif_encode(&a, o, buf, sizeof buf, &n);
    FUZZ_CHECK(rc == crc || (crc == 0 && rc == SAMI_ERR_NOBUFS));
    if (rc)
        return;
    FUZZ_CHECK(n == sami_samitlv_notif_size(&a) && n <= SAMI_SAMITLV_MAX_VALUE);
    fz_err_reset(&err);
    rc = sami_samitlv_notif_decode(buf, n, o, &b, &err);
    fz_check_err(rc, &err, n, "sami_samitlv_notif_decode");
    FUZZ_CHECK(rc == 0 && b.version == SAMI_SAMITLV_VERSION && b.unknown_elements == 0);
    FUZZ_CHECK(b.time_point == a.time_point && b.flags == a.flags && b.migration_id == a.migration_id &&
               b.timestamp_ms == a.timestamp_ms && b.next_deadline_ms == a.next_deadline_ms &&
               b.di_types == a.di_types && b.vm.type_id == a.vm.type_id &&
               b.vm.type_version == a.vm.type_version &&
               b.vm.id_format == a.vm.id_format && memcmp(b.vm.id, a.vm.id, 16) == 0);
    FUZZ_CHECK(b.n_macs == a.n_macs && b.n_ipv4 == a.n_ipv4 && b.n_ipv6 == a.n_ipv6);
    for (unsigned i = 0; i < a.n_macs; i++)
        FUZZ_CHECK(memcmp(a.macs[i].mac, b.macs[i].mac, 6) == 0 && a.macs[i].word == b.macs[i].word);
    FUZZ_CHECK(memcmp(a.ipv4, b.ipv4, (size_t)a.n_ipv4 * 4) == 0);
    FUZZ_CHECK(memcmp(a.ipv6, b.ipv6, (size_t)a.n_ipv6 * 16) == 0);
    FUZZ_CHECK(sami_bridge_ref_equal(&a.orig_bridge, &b.orig_bridge) &&
               sami_bridge_ref_equal(&a.dest_bridge, &b.dest_bridge));
    FUZZ_CHECK(b.has_reason == a.has_reason && (!a.has_reason || b.reason == a.reason));
    FUZZ_CHECK(sami_samitlv_notif_encode(&b, o, buf2, sizeof buf2, &n2) == 0);
    FUZZ_CHECK(n2 == n && memcmp(buf, buf2, n) == 0);
    /* read through a cursor as well: same result */
    {
        struct sami_rd r;
        fz_err_reset(&err);
        sami_rd_init(&r, buf, n, &err);
        FUZZ_CHECK(sami_samitlv_notif_read(&r, o, &c) == 0 && sami_rd_done(&r));
    }
}

static void rt_feedback(struct fz_in *in)
{
    static struct sami_feedback a, b;
    uint8_t oui[3], buf[SAMI_SAMITLV_MAX_VALUE], buf2[SAMI_SAMITLV_MAX_VALUE];
    struct sami_err err;
    size_t n = 0, n2 = 0;

    memset(&a, 0, sizeof a);
    const uint8_t *o = pick_oui(in, oui);
    a.version = fz_u8(in) % 3;
    a.verdict = fz_u8(in) % 4;
    a.time_point = fz_u8(in) % 7;
    a.flags = (fz_u8(in) & 0x80) ? 1 : 0;
    a.migration_id = fz_u64(in);
    a.transfer_time_us = fz_u32(in);
    a.n_results = fz_u8(in) % 18;
    for (unsigned i = 0; i < a.n_results && i < SAMI_SAMITLV_MAX_RESULTS; i++) {
        a.results[i].di_type = fz_u8(in);
        a.results[i].status = fz_u8(in) % 6;
        a.results[i].reason = fz_u16(in);
        a.results[i].records_sent = fz_u32(in);
        a.results[i].records_installed = fz_u32(in);
    }
    a.has_bridge = fz_u8(in) & 1;
    fill_bridge(in, &a.bridge);

    int crc = sami_samitlv_feedback_check(&a);
    int rc = sami_samitlv_feedback_encode(&a, o, buf, sizeof buf, &n);
    FUZZ_CHECK(rc == crc || (crc == 0 && rc == SAMI_ERR_NOBUFS));
    if (rc)
        return;
    FUZZ_CHECK(n == sami_samitlv_feedback_size(&a));
    fz_err_reset(&err);
    rc = sami_samitlv_feedback_decode(buf, n, o, &b, &err);
    fz_check_err(rc, &err, n, "sami_samitlv_feedback_decode");
    FUZZ_CHECK(rc == 0 && b.version == SAMI_SAMITLV_VERSION);
    FUZZ_CHECK(b.verdict == a.verdict && b.time_point == a.time_point && b.flags == a.flags &&
               b.migration_id == a.migration_id && b.transfer_time_us == a.transfer_time_us &&
               b.n_results == a.n_results && b.has_bridge == a.has_bridge);
    for (unsigned i = 0; i < a.n_results; i++)
        FUZZ_CHECK(b.results[i].di_type == a.results[i].di_type &&
                   b.results[i].status == a.results[i].status &&
                   b.results[i].reason == a.results[i].reason &&
                   b.results[i].records_sent == a.results[i].records_sent &&
                   b.results[i].records_installed == a.results[i].records_installed);
    FUZZ_CHECK(!a.has_bridge || sami_bridge_ref_equal(&a.bridge, &b.bridge));
    FUZZ_CHECK(sami_samitlv_feedback_encode(&b, o, buf2, sizeof buf2, &n2) == 0);
    FUZZ_CHECK(n2 == n && memcmp(buf, buf2, n) == 0);
}

/* ---------------------------------------------------------------- LLDP -- */

static void fill_evb(struct fz_in *in, struct sami_evb *e, int sloppy)
{
    /* sloppy: raw octets, mostly out of range, to hit the validation */
    uint8_t m1 = sloppy ? 0xff : 1, m2 = sloppy ? 0xff : 3, m3 = sloppy ? 0xff : 7,
            m5 = sloppy ? 0xff : 31;
    e->bgid = fz_u8(in) & m1;
    e->rrcap = fz_u8(in) & m1;
    e->rrctr = fz_u8(in) & m1;
    e->sgid = fz_u8(in) & m1;
    e->rrreq = fz_u8(in) & m1;
    e->rrstat = fz_u8(in) & m2;
    e->r = fz_u8(in) & m3;
    e->rte = fz_u8(in) & m5;
    e->mode = fz_u8(in) & m2;
    e->rol_rwd = fz_u8(in) & m1;
    e->rwd = fz_u8(in) & m5;
    e->rol_rka = fz_u8(in) & m1;
    e->rka = fz_u8(in) & m5;
}

static void fill_samicap(struct fz_in *in, struct sami_samicap *c, int sloppy)
{
    memset(c, 0, sizeof *c);
    c->version = sloppy ? fz_u8(in) % 3 : SAMI_SAMICAP_VERSION;
    c->role = sloppy ? fz_u8(in) % 5 : (uint8_t)(1 + fz_u8(in) % 3);
    c->di_types = fz_u32(in);
    c->bindings = fz_u8(in);
    c->tcp_port = fz_u16(in);
    c->family = fz_u8(in) % (sloppy ? 4 : 3);
    int al = sami_samicap_addr_len(c->family);
    if (al > 0)
        fz_bytes(in, c->addr, (size_t)al);
    fz_bytes(in, c->l2_mac, 6);
}

static void rt_lldp(struct fz_in *in)
{
    static struct sami_lldp back;
    struct sami_lldp_mgmt mg[3];
    struct sami_lldp_org og[3];
    struct sami_lldp_tx tx;
    struct sami_evb evb;
    struct sami_samicap cap;
    uint8_t extra[64];
    struct sami_err err;
    size_t need = 0, n = 0, n2 = 0, extra_len = 0;

    memset(&tx, 0, sizeof tx);
    tx.chassis.subtype = fz_u8(in) % 9;
    tx.chassis.id = fz_view(in, fz_u8(in), &tx.chassis.len);
    tx.port.subtype = fz_u8(in) % 9;
    tx.port.id = fz_view(in, fz_u8(in), &tx.port.len);
    tx.ttl = fz_u16(in);
    tx.present = fz_u8(in) & 0xf;
    tx.port_desc.p = fz_view(in, fz_u16(in) % 300, &tx.port_desc.len);
    tx.sys_name.p = fz_view(in, fz_u16(in) % 300, &tx.sys_name.len);
    tx.sys_desc.p = fz_view(in, fz_u16(in) % 300, &tx.sys_desc.len);
    tx.syscap.caps = fz_u16(in);
    tx.syscap.enabled = fz_u16(in);
    tx.mgmt_count = fz_u8(in) % 4;
    for (size_t i = 0; i < tx.mgmt_count; i++) {
        memset(&mg[i], 0, sizeof mg[i]);
        mg[i].addr_subtype = fz_u8(in);
        mg[i].addr = fz_view(in, fz_u8(in) % 40, &mg[i].addr_len);
        mg[i].if_subtype = fz_u8(in);
        mg[i].if_number = fz_u32(in);
        mg[i].oid = fz_view(in, fz_u8(in) % 140, &mg[i].oid_len);
    }
    tx.mgmt = mg;
    tx.org_count = fz_u8(in) % 4;
    for (size_t i = 0; i < tx.org_count; i++) {
        memset(&og[i], 0, sizeof og[i]);
        og[i].oui = fz_u32(in) & 0x1ffffffu;
        og[i].subtype = fz_u8(in);
        og[i].info = fz_view(in, fz_u16(in) % 520, &og[i].info_len);
    }
    tx.org = og;
    uint8_t ex = fz_u8(in) % 3;
    if (ex == 1) {
        fill_evb(in, &evb, 0);
        FUZZ_CHECK(sami_evb_encode(&evb, extra, sizeof extra, &extra_len) == 0);
    } else if (ex == 2) {
        fill_samicap(in, &cap, 0);
        FUZZ_CHECK(sami_samicap_encode(&cap, 0x0A534Du, extra, sizeof extra, &extra_len) == 0);
    }
    tx.extra = extra_len ? extra : NULL;
    tx.extra_len = extra_len;
    tx.min_len = fz_u8(in) % 80;

    int rc = sami_lldp_encode(&tx, NULL, 0, &need);
    if (rc != SAMI_ERR_NOBUFS)
        return; /* refused (every LLDPDU has at least 10 octets) */
    uint8_t *buf = malloc(need), *buf2 = malloc(need);
    FUZZ_CHECK(buf && buf2);
    FUZZ_CHECK(sami_lldp_encode(&tx, buf, need, &n) == 0 && n == need);
    fz_err_reset(&err);
    rc = sami_lldp_decode(buf, n, &back, &err);
    fz_check_err(rc, &err, n, "sami_lldp_decode");
    FUZZ_CHECK(rc == 0 && back.has_end && back.unknown_count == 0);
    FUZZ_CHECK(back.chassis.subtype == tx.chassis.subtype && back.chassis.len == tx.chassis.len &&
               memcmp(back.chassis.id, tx.chassis.id, tx.chassis.len) == 0);
    FUZZ_CHECK(back.port.subtype == tx.port.subtype && back.port.len == tx.port.len &&
               memcmp(back.port.id, tx.port.id, tx.port.len) == 0);
    FUZZ_CHECK(back.ttl == tx.ttl && back.present == tx.present);
    if (tx.present & SAMI_LLDP_HAS_SYSTEM_NAME)
        FUZZ_CHECK(back.sys_name.len == tx.sys_name.len &&
                   (tx.sys_name.len == 0 || memcmp(back.sys_name.p, tx.sys_name.p, tx.sys_name.len) == 0));
    if (tx.present & SAMI_LLDP_HAS_SYSTEM_CAP)
        FUZZ_CHECK(back.syscap.caps == tx.syscap.caps && back.syscap.enabled == tx.syscap.enabled);
    FUZZ_CHECK(back.mgmt_count == tx.mgmt_count);
    for (size_t i = 0; i < tx.mgmt_count; i++) {
        struct sami_lldp_mgmt m;
        FUZZ_CHECK(sami_lldp_get_mgmt(&back, i, &m) == 0);
        FUZZ_CHECK(m.addr_subtype == mg[i].addr_subtype && m.addr_len == mg[i].addr_len &&
                   memcmp(m.addr, mg[i].addr, m.addr_len) == 0 && m.if_subtype == mg[i].if_subtype &&
                   m.if_number == mg[i].if_number && m.oid_len == mg[i].oid_len &&
                   (m.oid_len == 0 || memcmp(m.oid, mg[i].oid, m.oid_len) == 0));
    }
    FUZZ_CHECK(back.org_count == tx.org_count + (extra_len ? 1 : 0));
    for (size_t i = 0; i < tx.org_count; i++) {
        struct sami_lldp_org o;
        FUZZ_CHECK(sami_lldp_get_org(&back, i, &o) == 0);
        FUZZ_CHECK(o.oui == og[i].oui && o.subtype == og[i].subtype && o.info_len == og[i].info_len &&
                   (o.info_len == 0 || memcmp(o.info, og[i].info, o.info_len) == 0));
    }
    if (extra_len) {
        struct sami_lldp_org o;
        struct sami_evb e2;
        struct sami_samicap c2;
        FUZZ_CHECK(sami_lldp_get_org(&back, tx.org_count, &o) == 0);
        fz_err_reset(&err);
        if (ex == 1) {
            FUZZ_CHECK(sami_evb_from_org(&o, &e2, &err) == 0 && memcmp(&e2, &evb, sizeof evb) == 0);
        } else {
            FUZZ_CHECK(sami_samicap_from_org(&o, 0x0A534Du, &c2, &err) == 0);
            FUZZ_CHECK(c2.role == cap.role && c2.family == cap.family && c2.di_types == cap.di_types &&
                       memcmp(c2.addr, cap.addr, 16) == 0 && memcmp(c2.l2_mac, cap.l2_mac, 6) == 0);
        }
    }
    FUZZ_CHECK(sami_lldp_reencode(&back, buf2, need, &n2) == 0 && n2 == n && memcmp(buf, buf2, n) == 0);
    free(buf);
    free(buf2);
}

static void rt_evb(struct fz_in *in)
{
    struct sami_evb a, b, c, nego;
    uint8_t sel = fz_u8(in), buf[SAMI_EVB_WIRE_LEN], buf2[SAMI_EVB_WIRE_LEN], info[SAMI_EVB_INFO_LEN];
    struct sami_err err;
    size_t n = 0, n2 = 0;

    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    fill_evb(in, &a, sel & 1);
    int rc = sami_evb_encode(&a, buf, sizeof buf, &n);
    FUZZ_CHECK(rc == sami_evb_check(&a));
    if (rc == 0) {
        fz_err_reset(&err);
        FUZZ_CHECK(n == SAMI_EVB_WIRE_LEN && sami_evb_decode(buf, n, &b, &err) == 0);
        FUZZ_CHECK(memcmp(&a, &b, sizeof a) == 0);
        FUZZ_CHECK(sami_evb_encode(&b, buf2, sizeof buf2, &n2) == 0 && memcmp(buf, buf2, n) == 0);
        sami_evb_pack(&a, info);
        sami_evb_unpack(info, &c);
        FUZZ_CHECK(memcmp(&a, &c, sizeof a) == 0);
    }
    /* negotiation: each timer the larger of the two, ROL set when the
     * remote value was taken (remote >= local) */
    fill_evb(in, &b, 0);
    if (rc == 0) {
        FUZZ_CHECK(sami_evb_negotiate(&a, &b, &nego) == 0);
        FUZZ_CHECK(nego.r == (a.r > b.r ? a.r : b.r) && nego.rte == (a.rte > b.rte ? a.rte : b.rte));
        FUZZ_CHECK(nego.rwd == (a.rwd > b.rwd ? a.rwd : b.rwd) && nego.rka == (a.rka > b.rka ? a.rka : b.rka));
        FUZZ_CHECK(nego.rol_rwd == (b.rwd >= a.rwd) && nego.rol_rka == (b.rka >= a.rka));
        FUZZ_CHECK(sami_evb_check(&nego) == 0);
        /* out may alias local */
        c = a;
        FUZZ_CHECK(sami_evb_negotiate(&c, &b, &c) == 0 && memcmp(&c, &nego, sizeof c) == 0);
    }
    unsigned exp = fz_u8(in) % 40;
    FUZZ_CHECK(sami_evb_time_us(exp) == (uint64_t)10 << (exp > 31 ? 31 : exp));
}

static void rt_samicap(struct fz_in *in)
{
    struct sami_samicap a, b;
    uint8_t buf[64], buf2[64];
    struct sami_err err;
    size_t n = 0, n2 = 0;
    uint8_t sel = fz_u8(in);
    uint32_t oui = (sel & 2) ? fz_u32(in) & 0x1ffffffu : 0x0A534Du;

    fill_samicap(in, &a, sel & 1);
    int rc = sami_samicap_encode(&a, oui, buf, sizeof buf, &n);
    FUZZ_CHECK(rc == sami_samicap_check(&a, oui));
    if (rc)
        return;
    fz_err_reset(&err);
    rc = sami_samicap_decode(buf, n, oui, &b, &err);
    fz_check_err(rc, &err, n, "sami_samicap_decode");
    FUZZ_CHECK(rc == 0 && b.version == a.version && b.role == a.role && b.di_types == a.di_types &&
               b.bindings == a.bindings && b.tcp_port == a.tcp_port && b.family == a.family &&
               memcmp(b.addr, a.addr, 16) == 0 && memcmp(b.l2_mac, a.l2_mac, 6) == 0);
    FUZZ_CHECK(sami_samicap_encode(&b, oui, buf2, sizeof buf2, &n2) == 0 && n2 == n &&
               memcmp(buf, buf2, n) == 0);
    /* another OUI's TLV is not ours */
    fz_err_reset(&err);
    rc = sami_samicap_decode(buf, n, oui ^ 1u, &b, &err);
    fz_check_err(rc, &err, n, "sami_samicap_decode(other oui)");
    FUZZ_CHECK(rc == SAMI_ERR_OUI);
}

/* ------------------------------------------------------------ transfer -- */

static void rt_xfer(struct fz_in *in)
{
    enum { CAP = 8192, MAXE = 12 };
    static uint8_t buf[CAP], buf2[CAP];
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h;
    uint16_t types[MAXE];
    size_t ne = 0, n = 0, n2 = 0;
    uint8_t sel = fz_u8(in);

    memset(&h, 0, sizeof h);
    h.version = (sel & 1) ? fz_u8(in) : SAMI_XFER_VERSION;
    h.type = fz_u8(in) % 11;
    h.flags = fz_u16(in) & ((sel & 2) ? 0xffff : SAMI_XFER_F_ALL);
    h.sender.priority = fz_u16(in);
    fz_bytes(in, h.sender.mac, 6);
    h.migration_id = fz_u64(in);
    sami_xfer_build_begin(&b, buf, CAP, &h);

    size_t k = fz_u8(in) % MAXE;
    for (size_t i = 0; i < k; i++) {
        uint16_t t = 0;
        int rc;
        size_t got = 0;
        switch (fz_u8(in) % 13) {
        case 0: {
            struct sami_xfer_caps c = {fz_u8(in) % 3, fz_u8(in) % 5, fz_u32(in), fz_u32(in), fz_u32(in)};
            t = SAMI_XFER_E_CAPS;
            rc = sami_xfer_build_caps(&b, &c);
            break;
        }
        case 1: {
            struct sami_xfer_name nm;
            nm.s = fz_view(in, fz_u8(in) % 70, &nm.len);
            t = SAMI_XFER_E_NAME;
            rc = sami_xfer_build_name(&b, &nm);
            break;
        }
        case 2: {
            struct sami_xfer_vm_id v;
            v.type_id = fz_u32(in) & 0x1ffffffu;
            v.type_ver = fz_u8(in);
            v.id_format = fz_u8(in) % 7;
            fz_bytes(in, v.id, 16);
            t = SAMI_XFER_E_VM_ID;
            rc = sami_xfer_build_vm_id(&b, &v);
            break;
        }
        case 3: {
            struct sami_xfer_generation g = {fz_u64(in), fz_u64(in) % 4};
            t = SAMI_XFER_E_GENERATION;
            rc = sami_xfer_build_generation(&b, &g);
            break;
        }
        case 4: {
            struct sami_xfer_count c[6];
            size_t cn = fz_u8(in) % 7;
            for (size_t j = 0; j < cn; j++) {
                c[j].di_type = fz_u8(in);
                c[j].count = fz_u32(in);
            }
            t = SAMI_XFER_E_COUNTS;
            rc = sami_xfer_build_counts(&b, c, cn);
            break;
        }
        case 5:
            t = SAMI_XFER_E_DIGEST;
            rc = sami_xfer_build_digest(&b, fz_u64(in));
            break;
        case 6: {
            struct sami_xfer_status_elem s = {fz_u8(in) % 6, fz_u16(in) % 11};
            t = SAMI_XFER_E_STATUS;
            rc = sami_xfer_build_status(&b, &s);
            break;
        }
        case 7: {
            struct sami_xfer_type_result r = {fz_u8(in), fz_u8(in) % 6, fz_u16(in) % 11, fz_u32(in),
                                              fz_u32(in)};
            t = SAMI_XFER_E_TYPE_RESULT;
            rc = sami_xfer_build_type_result(&b, &r);
            break;
        }
        case 8:
            t = SAMI_XFER_E_SNAPSHOT_TIME;
            rc = sami_xfer_build_snapshot_time(&b, fz_u32(in));
            break;
        case 9:
            t = SAMI_XFER_E_ACKED_SEQ;
            rc = sami_xfer_build_acked_seq(&b, fz_u64(in) % 3);
            break;
        case 10: {
            uint8_t dt = fz_u8(in);
            const uint8_t *v = fz_view(in, fz_u8(in) % 100, &got);
            t = SAMI_XFER_E_DI(dt);
            rc = sami_xfer_build_di(&b, dt, v, got);
            break;
        }
        case 11: {
            const uint8_t *v;
            t = fz_u16(in);
            v = fz_view(in, fz_u8(in) % 100, &got);
            rc = sami_xfer_build_elem(&b, t, got ? v : NULL, got);
            break;
        }
        default: {
            /* an element written in place by a nested encoder (a DI record) */
            struct sami_di_record rec;
            memset(&rec, 0, sizeof rec);
            rec.type = (uint8_t)(1 + fz_u8(in) % SAMI_DI_TYPE_MAX);
            rec.version = sami_di_current_version(rec.type);
            rec.op = SAMI_DI_OP_UPSERT;
            fz_bytes(in, &rec.u, sizeof rec.u);
            t = SAMI_XFER_E_DI(rec.type);
            size_t mark = sami_xfer_build_elem_open(&b, t);
            sami_di_write(sami_xfer_build_wr(&b), &rec);
            rc = sami_xfer_build_elem_close(&b, mark);
            break;
        }
        }
        if (rc)
            return; /* a refused element makes finish fail: nothing to check */
        types[ne++] = t;
    }
    uint64_t seq = fz_u64(in) % 5;
    int rc = sami_xfer_build_finish(&b, fz_test_key(), seq, NULL, &n);
    if (rc)
        return;
    FUZZ_CHECK(n >= SAMI_XFER_OVERHEAD && n <= CAP);

    struct sami_xfer_msg m, om;
    struct sami_err err;
    fz_err_reset(&err);
    int drc = sami_xfer_decode(buf, n, &m, &err);
    fz_check_err(drc, &err, n, "sami_xfer_decode");
    /* the builder checked the header: only the body rules may refuse it */
    FUZZ_CHECK(drc == 0 || drc == SAMI_ERR_TYPE || drc == SAMI_ERR_MISSING || drc == SAMI_ERR_DUPLICATE ||
               drc == SAMI_ERR_VALUE || drc == SAMI_ERR_LENGTH || drc == SAMI_ERR_COUNT ||
               drc == SAMI_ERR_TOOBIG);
    if (sami_hmac_default() != NULL) {
        struct sami_xfer_keyring kr;
        struct sami_xfer_replay rp;
        fz_test_keyring(&kr);
        memset(&rp, 0, sizeof rp);
        fz_err_reset(&err);
        int orc = sami_xfer_open(buf, n, &kr, &rp, 0, 0, &om, &err);
        fz_check_err(orc, &err, n, "sami_xfer_open");
        FUZZ_CHECK(orc == drc); /* signed with a valid key: authentic */
        if (orc == 0)
            FUZZ_CHECK(sami_xfer_open(buf, n, &kr, &rp, 0, 0, &om, &err) == SAMI_ERR_REPLAY);
    }
    if (drc)
        return;
    /* the elements come back in order, and the message re-encodes as built */
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    size_t i = 0;
    sami_xfer_iter_init(&it, &m, NULL);
    while (sami_xfer_iter_next(&it, &e) == 1) {
        FUZZ_CHECK(i < ne && e.type == types[i]);
        i++;
    }
    FUZZ_CHECK(i == ne);
    FUZZ_CHECK(sami_xfer_encode(&m, buf2, CAP, &n2) == 0 && n2 == n && memcmp(buf, buf2, n) == 0);
    fz_check_xfer(buf, n, 0);
}

/* ------------------------------------------------------------------ L2 -- */

static void rt_l2(struct fz_in *in)
{
    static uint8_t rb[4096];
    struct sami_xfer_l2_reasm ra;
    uint8_t sel = fz_u8(in);
    size_t mtu = SAMI_XFER_L2_HDR_LEN + 1 + fz_u16(in) % 1600;
    uint16_t seq0 = sami_xfer_l2_seq_add(fz_u16(in), 0);
    size_t mlen = 0;
    const uint8_t *msg = fz_view(in, sizeof rb, &mlen);
    uint16_t count = 0;

    /* sequence arithmetic: never 0, additive, 65535 wraps to 1 */
    FUZZ_CHECK(seq0 != 0 && sami_xfer_l2_seq_next(65535) == 1);
    FUZZ_CHECK(sami_xfer_l2_seq_add(sami_xfer_l2_seq_add(seq0, sel), 300) ==
               sami_xfer_l2_seq_add(seq0, (uint32_t)sel + 300));

    int rc = sami_xfer_l2_frag_count(mlen, mtu, &count);
    if (mlen == 0) {
        FUZZ_CHECK(rc == SAMI_ERR_INVAL);
        return;
    }
    FUZZ_CHECK(rc == 0 && count >= 1);
    if (count > 128)
        return;
    size_t cap = (sel & 1) && mlen > 1 ? mlen - 1 : mlen; /* one short: must refuse */
    sami_xfer_l2_reasm_init(&ra, rb, cap);
    for (uint16_t i = 0; i < count; i++) {
        struct sami_xfer_l2_frame f, g;
        uint8_t enc[SAMI_XFER_L2_HDR_LEN + SAMI_XFER_L2_MAX_PAYLOAD];
        struct sami_err err;
        const uint8_t *out = NULL;
        size_t off = 0, flen = 0, elen = 0, olen = 0;
        FUZZ_CHECK(sami_xfer_l2_frag_range(mlen, mtu, i, &off, &flen) == 0);
        memset(&f, 0, sizeof f);
        f.version = SAMI_XFER_L2_VERSION;
        f.op = SAMI_XFER_L2_DATA;
        f.seq = sami_xfer_l2_seq_add(seq0, i);
        f.frag_index = i;
        f.frag_count = count;
        f.payload_len = (uint16_t)flen;
        f.payload = msg + off;
        FUZZ_CHECK(sami_xfer_l2_encode(&f, enc, sizeof enc, &elen) == 0);
        fz_err_reset(&err);
        FUZZ_CHECK(sami_xfer_l2_decode(enc, elen, &g, &err) == 0);
        rc = sami_xfer_l2_reasm_push(&ra, &g, &out, &olen);
        if (cap < mlen && off + flen > cap) {
            FUZZ_CHECK(rc == SAMI_ERR_TOOBIG);
            return;
        }
        if (i + 1 < count)
            FUZZ_CHECK(rc == SAMI_XFER_L2_MORE);
        else
            FUZZ_CHECK(rc == SAMI_XFER_L2_COMPLETE && olen == mlen && memcmp(out, msg, mlen) == 0);
        /* every fragment repeated right away is a duplicate */
        FUZZ_CHECK(sami_xfer_l2_reasm_push(&ra, &g, &out, &olen) == SAMI_XFER_L2_DUP);
    }
}

/* ------------------------------------------------------------------ DI -- */

static void rt_di(struct fz_in *in)
{
    static struct sami_di_record a, b, c;
    static uint8_t buf[SAMI_DI_MAX_LEN], buf2[SAMI_DI_MAX_LEN];
    struct sami_err err;
    uint8_t sel = fz_u8(in);
    size_t n = 0, n2 = 0;

    memset(&a, 0, sizeof a);
    a.type = fz_u8(in) % (SAMI_DI_TYPE_MAX + 2);
    a.version = (sel & 1) ? fz_u8(in) % 3 : sami_di_current_version(a.type);
    a.op = fz_u8(in) % 4;
    fz_bytes(in, &a.u, sizeof a.u);
    if (a.type == SAMI_DI_DOT1X) {
        struct sami_di_dot1x *d = &a.u.dot1x;
        d->session_id_len = fz_u8(in);
        d->identity_len = fz_u8(in);
        d->filter_id_len = fz_u8(in);
        if (sel & 2) {
            /* mostly NUL-free strings, so the valid path is reached */
            for (size_t i = 0; i < SAMI_DI_STR_MAX; i++) {
                if (!d->session_id[i])
                    d->session_id[i] = 'a';
                if (!d->identity[i])
                    d->identity[i] = 'b';
                if (!d->filter_id[i])
                    d->filter_id[i] = 'c';
            }
        }
    }
    int vrc = sami_di_validate(&a);
    int rc = sami_di_encode(&a, buf, sizeof buf, &n);
    FUZZ_CHECK(rc == vrc);
    if (rc)
        return;
    FUZZ_CHECK(n == sami_di_encoded_len(&a));
    fz_err_reset(&err);
    rc = sami_di_decode(a.type, buf, n, &b, &err);
    fz_check_err(rc, &err, n, "sami_di_decode");
    FUZZ_CHECK(rc == 0 && b.type == a.type && b.op == a.op && sami_di_key_equal(&a, &b));
    FUZZ_CHECK(sami_di_key_hash(&a) == sami_di_key_hash(&b));
    FUZZ_CHECK(sami_di_encode(&b, buf2, sizeof buf2, &n2) == 0 && n2 == n && memcmp(buf, buf2, n) == 0);
    fz_err_reset(&err);
    FUZZ_CHECK(sami_di_decode(a.type, buf2, n2, &c, &err) == 0 && memcmp(&b, &c, sizeof b) == 0);
}

/* ------------------------------------------------------- replay window -- */

static void rt_replay(struct fz_in *in)
{
    /* reference: the highest sequence and every accepted one still inside
     * the 64-wide window, kept in a plain list */
    struct sami_replay_window w = {0, 0};
    uint64_t highest = 0, acc[SAMI_REPLAY_WINDOW_SIZE + 1];
    size_t nacc = 0;
    size_t ops = fz_u8(in) % 80;

    for (size_t i = 0; i < ops; i++) {
        uint8_t op = fz_u8(in);
        uint64_t seq;
        if (op < 16)
            seq = fz_u64(in); /* anywhere, 0 included */
        else if (op < 32)
            seq = highest + fz_u8(in) + 1; /* ahead, possibly far */
        else
            seq = highest - (uint64_t)(op % 72); /* at or behind the top */
        int ok = seq != 0;
        if (ok && seq <= highest) {
            ok = highest - seq < SAMI_REPLAY_WINDOW_SIZE;
            for (size_t j = 0; ok && j < nacc; j++)
                if (acc[j] == seq)
                    ok = 0;
        }
        FUZZ_CHECK((sami_replay_check(&w, seq) == 0) == ok);
        if (!ok)
            continue;
        sami_replay_update(&w, seq);
        if (seq > highest)
            highest = seq;
        size_t keep = 0;
        for (size_t j = 0; j < nacc; j++)
            if (highest - acc[j] < SAMI_REPLAY_WINDOW_SIZE)
                acc[keep++] = acc[j];
        nacc = keep;
        acc[nacc++] = seq;
        FUZZ_CHECK(w.highest == highest);
        FUZZ_CHECK(sami_replay_check(&w, seq) == SAMI_ERR_REPLAY);
    }
}

/* ------------------------------------------------------ stream prefix -- */

static void rt_prefix(struct fz_in *in)
{
    uint8_t pre[SAMI_XFER_STREAM_PREFIX_LEN];
    uint64_t len = fz_u64(in) >> (fz_u8(in) % 64);
    size_t max = fz_u32(in), back = 0;
    int rc = sami_xfer_stream_prefix((size_t)len, pre);
    FUZZ_CHECK((rc == 0) == (len >= SAMI_XFER_OVERHEAD && len <= UINT32_MAX));
    if (rc)
        return;
    rc = sami_xfer_stream_frame_len(pre, max, &back);
    FUZZ_CHECK(rc == (len > max ? SAMI_ERR_TOOBIG : 0));
    FUZZ_CHECK(rc || back == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static void (*const modes[])(struct fz_in *) = {
        rt_ecp, rt_vdp, rt_notif, rt_feedback, rt_lldp, rt_evb,
        rt_samicap, rt_xfer, rt_l2, rt_di, rt_replay, rt_prefix,
    };
    struct fz_in in;
    if (size < 1)
        return 0;
    in.p = data + 1;
    in.n = size - 1;
    modes[data[0] % (sizeof modes / sizeof modes[0])](&in);
    return 0;
}
