/* LLDP: standard TLVs, the EVB TLV and the sami capability TLV, decoded by
 * lldp-ext; this file only presents. */
#include <string.h>

#include "sami/di.h"
#include "sami/evb.h"
#include "sami/lldp.h"
#include "sami/samicap.h"
#include "sniff.h"

static void caps_names(struct sbuf *b, uint16_t caps)
{
    bool first = true;
    for (unsigned i = 0; i < 16; i++) {
        if (!(caps & (1u << i)))
            continue;
        if (!first)
            sb_putc(b, ',');
        first = false;
        sb_puts(b, sami_lldp_syscap_name(i));
    }
    if (first)
        sb_puts(b, "none");
}

static void show_tlv(struct sniff_frame *f, const struct sami_lldp_tlv *tlv)
{
    struct tree *t = f->t;
    struct sbuf *s = f->sum;
    switch (tlv->type) {
    case SAMI_LLDP_TLV_CHASSIS_ID:
    case SAMI_LLDP_TLV_PORT_ID: {
        bool port = tlv->type == SAMI_LLDP_TLV_PORT_ID;
        const struct sami_lldp_id *id = &tlv->u.id;
        sb_puts(s, port ? "port " : "chassis ");
        fmt_lldp_id(s, port, id->subtype, id->id, id->len, true);
        sb_putc(s, ' ');
        if (!tr_on(t))
            return;
        tr_un(t, "subtype", id->subtype,
              port ? sami_lldp_port_subtype_name(id->subtype)
                   : sami_lldp_chassis_subtype_name(id->subtype));
        uint32_t m = tr_mark(t);
        fmt_lldp_id(&t->arena, port, id->subtype, id->id, id->len, false);
        tr_sm(t, "id", m);
        return;
    }
    case SAMI_LLDP_TLV_TTL:
        sb_puts(s, "ttl ");
        sb_u64(s, tlv->u.ttl);
        sb_putc(s, ' ');
        tr_u(t, "ttl", tlv->u.ttl);
        return;
    case SAMI_LLDP_TLV_PORT_DESC:
    case SAMI_LLDP_TLV_SYSTEM_NAME:
    case SAMI_LLDP_TLV_SYSTEM_DESC:
        if (tlv->type == SAMI_LLDP_TLV_SYSTEM_NAME) {
            sb_puts(s, "name \"");
            sb_text_esc(s, (const char *)tlv->u.str.p, tlv->u.str.len);
            sb_puts(s, "\" ");
        }
        tr_sn(t, "text", tlv->u.str.p, tlv->u.str.len, TF_QUOTE);
        return;
    case SAMI_LLDP_TLV_SYSTEM_CAP:
        if (!tr_on(t))
            return;
        {
            struct tnode *n = tr_x(t, "capabilities", tlv->u.syscap.caps, 4);
            uint32_t m = tr_mark(t);
            caps_names(&t->arena, tlv->u.syscap.caps);
            tr_ann_m(t, n, m, TF_NAME);
            n = tr_x(t, "enabled", tlv->u.syscap.enabled, 4);
            m = tr_mark(t);
            caps_names(&t->arena, tlv->u.syscap.enabled);
            tr_ann_m(t, n, m, TF_NAME);
        }
        return;
    case SAMI_LLDP_TLV_MGMT_ADDR: {
        const struct sami_lldp_mgmt *mg = &tlv->u.mgmt;
        if (!tr_on(t))
            return;
        tr_un(t, "addr_subtype", mg->addr_subtype, sami_lldp_addr_family_name(mg->addr_subtype));
        uint32_t m = tr_mark(t);
        if (mg->addr_subtype == SAMI_LLDP_AF_IPV4 && mg->addr_len == 4)
            sb_ipv4(&t->arena, mg->addr);
        else if (mg->addr_subtype == SAMI_LLDP_AF_IPV6 && mg->addr_len == 16)
            sb_ipv6(&t->arena, mg->addr);
        else if (mg->addr_subtype == SAMI_LLDP_AF_802 && mg->addr_len == 6)
            sb_mac(&t->arena, mg->addr);
        else
            sb_hexbytes(&t->arena, mg->addr, mg->addr_len, ':');
        tr_sm(t, "addr", m);
        tr_un(t, "if_subtype", mg->if_subtype, sami_lldp_if_subtype_name(mg->if_subtype));
        tr_u(t, "if_number", mg->if_number);
        tr_hex(t, "oid", mg->oid, mg->oid_len, 128);
        return;
    }
    case SAMI_LLDP_TLV_ORG: {
        const struct sami_lldp_org *o = &tlv->u.org;
        if (!tr_on(t))
            return;
        uint32_t m = tr_mark(t);
        sb_oui(&t->arena, o->oui);
        struct tnode *n = tr_sm(t, "oui", m);
        tr_ann(t, n, sami_lldp_oui_name(o->oui), TF_NAME);
        tr_u(t, "subtype", o->subtype);
        tr_u(t, "info_len", o->info_len);
        tr_hex(t, "info", o->info, o->info_len, 512);
        return;
    }
    case SAMI_LLDP_TLV_END:
        return;
    default:
        tr_hex(t, "value", tlv->value, tlv->len, 512);
        return;
    }
}

static void show_evb(struct sniff_frame *f, const struct sami_lldp_org *org, size_t base)
{
    struct tree *t = f->t;
    struct sami_evb e;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = sami_evb_from_org(org, &e, &err);
    if (rc) {
        sb_puts(f->sum, "EVB ");
        sniff_malformed(f, "evb", &err, rc, base);
        return;
    }
    static const char *const mode_short[4] = {"none", "bridge", "station", "reserved"};
    sb_puts(f->sum, "EVB ");
    sb_puts(f->sum, mode_short[e.mode & 3]);
    sb_putc(f->sum, ' ');
    if (!tr_on(t))
        return;
    tr_open_r(t, "evb", T_OBJ, base + org->offset, SAMI_EVB_WIRE_LEN);
    tr_u(t, "bgid", e.bgid);
    tr_u(t, "rrcap", e.rrcap);
    tr_u(t, "rrctr", e.rrctr);
    tr_u(t, "sgid", e.sgid);
    tr_u(t, "rrreq", e.rrreq);
    tr_un(t, "rrstat", e.rrstat, sami_evb_rrstat_name(e.rrstat));
    tr_u(t, "r", e.r);
    struct tnode *n = tr_u(t, "rte", e.rte);
    uint32_t m = tr_mark(t);
    sb_u64(&t->arena, sami_evb_time_us(e.rte));
    sb_puts(&t->arena, " us");
    tr_ann_m(t, n, m, TF_NOTE);
    tr_un(t, "mode", e.mode, sami_evb_mode_name(e.mode));
    tr_u(t, "rol_rwd", e.rol_rwd);
    n = tr_u(t, "rwd", e.rwd);
    m = tr_mark(t);
    sb_u64(&t->arena, sami_evb_time_us(e.rwd));
    sb_puts(&t->arena, " us");
    tr_ann_m(t, n, m, TF_NOTE);
    tr_u(t, "rol_rka", e.rol_rka);
    n = tr_u(t, "rka", e.rka);
    m = tr_mark(t);
    sb_u64(&t->arena, sami_evb_time_us(e.rka));
    sb_puts(&t->arena, " us");
    tr_ann_m(t, n, m, TF_NOTE);
    tr_close(t);
}

static void show_samicap(struct sniff_frame *f, const struct sami_lldp_org *org, uint32_t oui,
                         size_t base)
{
    struct tree *t = f->t;
    struct sami_samicap c;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = sami_samicap_from_org(org, oui, &c, &err);
    stats_inc("sami CAP");
    if (rc) {
        sb_puts(f->sum, "sami CAP ");
        sniff_malformed(f, "samicap", &err, rc, base);
        return;
    }
    int alen = sami_samicap_addr_len(c.family);
    struct sbuf *s = f->sum;
    sb_puts(s, "sami CAP v");
    sb_u64(s, c.version);
    sb_putc(s, ' ');
    sb_puts(s, sami_samicap_role_name(c.role));
    if (c.bindings & SAMI_SAMICAP_BIND_TCP) {
        sb_puts(s, " tcp ");
        if (alen == 4)
            sb_ipv4(s, c.addr);
        else if (alen == 16)
            sb_ipv6(s, c.addr);
        else
            sb_putc(s, '-');
        sb_putc(s, ' ');
        sb_u64(s, c.tcp_port);
    }
    if (c.bindings & SAMI_SAMICAP_BIND_L2) {
        sb_puts(s, " l2 ");
        sb_mac(s, c.l2_mac);
    }
    sb_putc(s, ' ');
    if (!tr_on(t))
        return;
    tr_open_r(t, "sami_cap", T_OBJ, base + org->offset, 6 + org->info_len);
    tr_u(t, "version", c.version);
    tr_un(t, "role", c.role, sami_samicap_role_name(c.role));
    tr_di_types(t, "di_types", c.di_types);
    struct tnode *n = tr_x(t, "bindings", c.bindings, 2);
    uint32_t m = tr_mark(t);
    bool first = true;
    for (unsigned i = 0; i < 8; i++) {
        if (!(c.bindings & (1u << i)))
            continue;
        if (!first)
            sb_putc(&t->arena, ',');
        first = false;
        sb_puts(&t->arena, sami_samicap_binding_name(i));
    }
    if (first)
        sb_puts(&t->arena, "none");
    tr_ann_m(t, n, m, TF_NAME);
    tr_u(t, "tcp_port", c.tcp_port);
    tr_un(t, "family", c.family, sami_samicap_family_name(c.family));
    m = tr_mark(t);
    if (alen == 4)
        sb_ipv4(&t->arena, c.addr);
    else if (alen == 16)
        sb_ipv6(&t->arena, c.addr);
    tr_sm(t, "addr", m);
    tr_mac(t, "l2_mac", c.l2_mac);
    tr_close(t);
}

void dissect_lldp(struct sniff_frame *f, size_t off, size_t len)
{
    struct tree *t = f->t;
    const uint8_t *buf = f->pkt + off;
    uint32_t sami_oui =
        (uint32_t)f->o->oui[0] << 16 | (uint32_t)f->o->oui[1] << 8 | f->o->oui[2];
    struct sami_err err;
    struct sami_lldp_iter it;
    struct sami_lldp_tlv tlv;
    /* EVB and sami capability are shown after the TLV list (JSON keeps them
     * as lldp.evb / lldp.sami_cap); remember the first of each. */
    struct sami_lldp_org evb_org, cap_org;
    bool have_evb = false, have_cap = false;
    unsigned n_evb = 0, n_cap = 0;
    int rc;

    sb_puts(f->sum, "LLDP ");
    stats_inc("LLDP");
    tr_open_r(t, "lldp", T_OBJ, off, len);
    tr_open(t, "tlvs", T_ARR);
    sami_lldp_iter_init(&it, buf, len, &err);
    size_t next = 0;
    while ((rc = sami_lldp_iter_next(&it, &tlv)) == 1) {
        next = tlv.offset + 2 + tlv.len;
        if (tr_on(t)) {
            struct tnode *o = tr_open_r(t, NULL, T_OBJ, off + tlv.offset, 2u + tlv.len);
            uint32_t m = tr_mark(t);
            sb_puts(&t->arena, "TLV ");
            sb_u64(&t->arena, tlv.type);
            sb_putc(&t->arena, ' ');
            sb_puts(&t->arena, sami_lldp_tlv_name(tlv.type));
            sb_puts(&t->arena, " len ");
            sb_u64(&t->arena, tlv.len);
            tr_set_str_m(t, o, m);
            tr_un(t, "type", tlv.type, sami_lldp_tlv_name(tlv.type))->flags |= TF_JONLY;
            tr_u(t, "len", tlv.len)->flags |= TF_JONLY;
            tr_u(t, "offset", off + tlv.offset)->flags |= TF_JONLY;
        }
        show_tlv(f, &tlv);
        tr_close(t);
        if (tlv.type == SAMI_LLDP_TLV_ORG) {
            if (sami_evb_match(&tlv.u.org)) {
                if (!n_evb++) {
                    evb_org = tlv.u.org;
                    have_evb = true;
                }
            } else if (sami_samicap_match(&tlv.u.org, sami_oui)) {
                if (!n_cap++) {
                    cap_org = tlv.u.org;
                    have_cap = true;
                }
            } else {
                sb_puts(f->sum, "ORG ");
                sb_oui(f->sum, tlv.u.org.oui);
                sb_putc(f->sum, '/');
                sb_u64(f->sum, tlv.u.org.subtype);
                sb_putc(f->sum, ' ');
            }
        }
    }
    tr_close(t); /* tlvs */
    if (rc < 0) {
        if (tr_on(t) && next < len)
            tr_hex(t, "undecoded", buf + next, len - next, 64);
        sniff_malformed(f, "lldp", &err, rc, off);
    } else {
        /* TLVs are fine one by one; now the LLDPDU rules (mandatory TLVs,
         * order, duplicates). */
        struct sami_lldp pdu;
        memset(&err, 0, sizeof err);
        rc = sami_lldp_decode(buf, len, &pdu, &err);
        if (rc)
            sniff_malformed(f, "lldp", &err, rc, off);
        else if (tr_on(t)) {
            tr_b(t, "end", pdu.has_end);
            tr_u(t, "padding", pdu.pad_len);
            if (pdu.pad_nonzero)
                tr_b(t, "padding_nonzero", true);
        }
    }
    if (have_evb)
        show_evb(f, &evb_org, off);
    if (have_cap)
        show_samicap(f, &cap_org, sami_oui, off);
    if (n_evb > 1 || n_cap > 1)
        tr_s(t, "note", "repeated EVB or sami capability TLV: only the first is decoded");
    tr_close(t); /* lldp */
}
