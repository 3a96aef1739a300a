/* ECP header, VDP ULPDU TLV by TLV, and the sami notification / feedback
 * org TLVs inside it. All decoding is libsami's; this file only presents. */
#include <string.h>

#include "sami/di.h" /* before samitlv.h: both may define enum sami_di_type */
#include "sami/ecp.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"
#include "sniff.h"
#include "timeline.h"

/* Upper-case short names for the one-line summary and the stats keys. */
static const char *vdp_short(unsigned type)
{
    switch (type) {
    case SAMI_VDP_TLV_END: return "END";
    case SAMI_VDP_TLV_PREASSOC: return "PREASSOC";
    case SAMI_VDP_TLV_PREASSOC_RR: return "PREASSOC-RR";
    case SAMI_VDP_TLV_ASSOC: return "ASSOC";
    case SAMI_VDP_TLV_DEASSOC: return "DEASSOC";
    case SAMI_VDP_TLV_MGRID: return "MgrID";
    case SAMI_VDP_TLV_ORG: return "ORG";
    default: return NULL;
    }
}

static const char *filter_format_name(unsigned fmt)
{
    switch (fmt) {
    case SAMI_VDP_FILTER_VID: return "VID";
    case SAMI_VDP_FILTER_MAC_VID: return "MAC/VID";
    case SAMI_VDP_FILTER_GROUP_VID: return "GroupID/VID";
    case SAMI_VDP_FILTER_GROUP_MAC_VID: return "GroupID/MAC/VID";
    default: return "unknown";
    }
}

static uint16_t filter_word(const struct sami_vdp_filter *fl)
{
    return (uint16_t)((fl->ps & 1u) << 15 | (fl->pcp & 7u) << 12 | (fl->vid & 0xfffu));
}

/* ---- Manager ID ---- */

static void show_mgrid(struct sniff_frame *f, const struct sami_vdp_mgrid *m)
{
    /* lldpad: a NUL-padded string (mgrid2=...), else an address form. */
    size_t n = SAMI_VDP_MGRID_LEN;
    while (n && m->id[n - 1] == 0)
        n--;
    static const uint8_t zero12[12];
    /* One pass: printable (shown as text), and then whether any octet
     * needs escaping; a plain string is copied as is. */
    bool text = n > 0, plain = true;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = m->id[i];
        if (c < 0x20 || c > 0x7e) {
            text = false;
            break;
        }
        if (c == '"' || c == '\\')
            plain = false;
    }
    sb_puts(f->sum, "MgrID ");
    if (text) {
        sb_putc(f->sum, '"');
        if (plain)
            sb_putn(f->sum, (const char *)m->id, n);
        else
            sb_text_esc(f->sum, (const char *)m->id, n);
        sb_putc(f->sum, '"');
    } else if (!memcmp(m->id, zero12, 12)) {
        sb_ipv4(f->sum, m->id + 12);
    } else {
        sb_ipv6(f->sum, m->id);
    }
    sb_putc(f->sum, ' ');
    if (!tr_on(f->t))
        return;
    if (text) {
        tr_sn(f->t, "mgrid", m->id, n, TF_QUOTE);
    } else {
        uint32_t mk = tr_mark(f->t);
        if (!memcmp(m->id, zero12, 12))
            sb_ipv4(&f->t->arena, m->id + 12);
        else
            sb_ipv6(&f->t->arena, m->id);
        tr_sm(f->t, "mgrid", mk);
    }
    tr_hex(f->t, "mgrid_hex", m->id, sizeof m->id, 16)->flags |= TF_JONLY;
}

/* ---- VSI TLVs ---- */

static void status_note(struct sbuf *b, const struct sami_vdp_vsi *v)
{
    if (!v->response) {
        sb_puts(b, "request");
        if (v->migrate_to)
            sb_puts(b, ", M migrate-to");
        if (v->suspended)
            sb_puts(b, ", S suspended");
    } else {
        sb_puts(b, "response, ");
        sb_puts(b, sami_vdp_reason_name(v->reason));
        if (v->hard)
            sb_puts(b, ", hard error");
        if (v->keep)
            sb_puts(b, ", keep");
    }
    if (v->reserved) {
        sb_puts(b, ", reserved bits ");
        sb_0x(b, v->reserved, 2);
    }
}

static void sum_filter(struct sbuf *b, unsigned fmt, const struct sami_vdp_filter *fl)
{
    if (fmt == SAMI_VDP_FILTER_GROUP_VID || fmt == SAMI_VDP_FILTER_GROUP_MAC_VID) {
        sb_puts(b, "group ");
        sb_u64(b, fl->group_id);
        sb_putc(b, ' ');
    }
    if (fmt == SAMI_VDP_FILTER_MAC_VID || fmt == SAMI_VDP_FILTER_GROUP_MAC_VID) {
        sb_puts(b, "mac ");
        sb_mac(b, fl->mac);
        sb_putc(b, ' ');
    }
    sum_vlan_word(b, filter_word(fl));
}

static void show_vsi(struct sniff_frame *f, const struct sami_vdp_tlv *tlv)
{
    const struct sami_vdp_vsi *v = &tlv->u.vsi;
    const char *tn = vdp_short(tlv->type);
    struct sbuf *s = f->sum;
    struct tree *t = f->t;

    sb_puts(s, tn);
    if (!v->response) {
        sb_puts(s, " req");
        if (v->migrate_to)
            sb_puts(s, " M");
        if (v->suspended)
            sb_puts(s, " S");
        stats_inc3("VDP", tn, "req");
    } else {
        sb_puts(s, " rsp ");
        sb_puts(s, sami_vdp_reason_name(v->reason));
        if (v->hard)
            sb_puts(s, " hard");
        if (v->keep)
            sb_puts(s, " keep");
        stats_inc3("VDP", tn, "rsp");
    }
    sb_puts(s, " [");
    sb_puts(s, vsiid_format_tag(v->id_format));
    sb_putc(s, ' ');
    fmt_vsi_id(s, v->id_format, v->id);

    if (tr_on(t)) {
        struct tnode *n = tr_x(t, "status", v->status, 2);
        uint32_t m = tr_mark(t);
        status_note(&t->arena, v);
        tr_ann_m(t, n, m, TF_NOTE);
        tr_b(t, "response", v->response)->flags |= TF_JONLY;
        if (!v->response) {
            tr_b(t, "m", v->migrate_to)->flags |= TF_JONLY;
            tr_b(t, "s", v->suspended)->flags |= TF_JONLY;
        } else {
            tr_un(t, "reason", v->reason, sami_vdp_reason_name(v->reason))->flags |= TF_JONLY;
            tr_b(t, "hard", v->hard)->flags |= TF_JONLY;
            tr_b(t, "keep", v->keep)->flags |= TF_JONLY;
        }
        tr_x(t, "reserved", v->reserved, 2)->flags |= TF_JONLY;
        tr_u(t, "type_id", v->type_id);
        tr_u(t, "type_version", v->type_ver);
        tr_un(t, "vsi_id_format", v->id_format, vsiid_format_name(v->id_format));
        tr_vsi_id(t, "vsi_id", v->id_format, v->id);
        tr_hex(t, "vsi_id_hex", v->id, sizeof v->id, 16)->flags |= TF_JONLY;
        tr_un(t, "filter_format", v->filter_format, filter_format_name(v->filter_format));
        tr_u(t, "filter_count", v->count);
        tr_open(t, "filters", T_ARR);
    }
    size_t esz = sami_vdp_filter_entry_size(v->filter_format);
    size_t eoff = tlv->offset + 2 + SAMI_VDP_VSI_FIXED_LEN;
    for (size_t i = 0; i < v->count; i++) {
        struct sami_vdp_filter fl;
        if (sami_vdp_get_filter(v, i, &fl))
            break;
        if (i < 8) {
            sb_putn(s, i ? ", " : " ", i ? 2 : 1);
            sum_filter(s, v->filter_format, &fl);
        } else if (i == 8) {
            sb_puts(s, ", ...");
        }
        if (!tr_on(t))
            continue;
        struct tnode *o = tr_open_r(t, NULL, T_OBJ, eoff + i * esz, esz);
        uint32_t m = tr_mark(t);
        sb_puts(&t->arena, "filter ");
        sb_u64(&t->arena, i);
        sb_putn(&t->arena, ": ", 2);
        sum_filter(&t->arena, v->filter_format, &fl);
        tr_set_str_m(t, o, m);
        o->flags |= TF_COMPACT;
        if (v->filter_format == SAMI_VDP_FILTER_GROUP_VID ||
            v->filter_format == SAMI_VDP_FILTER_GROUP_MAC_VID)
            tr_u(t, "group_id", fl.group_id);
        if (v->filter_format == SAMI_VDP_FILTER_MAC_VID ||
            v->filter_format == SAMI_VDP_FILTER_GROUP_MAC_VID)
            tr_mac(t, "mac", fl.mac);
        tr_vlan_word(t, filter_word(&fl));
        tr_close(t);
    }
    tr_close(t); /* filters */
    sb_puts(s, "] ");
}

/* ---- sami notification / feedback ---- */

static void tr_bridge(struct tree *t, const char *key, const struct sami_bridge_ref *b)
{
    if (!tr_on(t))
        return;
    struct tnode *o = tr_open(t, key, T_OBJ);
    uint32_t m = tr_mark(t);
    sb_puts(&t->arena, key);
    sb_puts(&t->arena, ": chassis ");
    fmt_lldp_id(&t->arena, false, b->chassis_id_subtype, b->chassis_id, b->chassis_id_len, true);
    sb_puts(&t->arena, " port ");
    fmt_lldp_id(&t->arena, true, b->port_id_subtype, b->port_id, b->port_id_len, true);
    tr_set_str_m(t, o, m);
    o->flags |= TF_COMPACT;
    tr_u(t, "chassis_id_subtype", b->chassis_id_subtype);
    m = tr_mark(t);
    fmt_lldp_id(&t->arena, false, b->chassis_id_subtype, b->chassis_id, b->chassis_id_len, false);
    tr_sm(t, "chassis_id", m);
    tr_u(t, "port_id_subtype", b->port_id_subtype);
    m = tr_mark(t);
    fmt_lldp_id(&t->arena, true, b->port_id_subtype, b->port_id, b->port_id_len, false);
    tr_sm(t, "port_id", m);
    tr_close(t);
}

static void tr_vm(struct tree *t, const struct sami_vm_id *vm)
{
    if (!tr_on(t))
        return;
    tr_open(t, "vm", T_OBJ);
    tr_u(t, "type_id", vm->type_id);
    tr_u(t, "type_version", vm->type_version);
    tr_un(t, "vsi_id_format", vm->id_format, vsiid_format_name(vm->id_format));
    tr_vsi_id(t, "vsi_id", vm->id_format, vm->id);
    tr_close(t);
}

static void show_notif(struct sniff_frame *f, const struct sami_notif *n)
{
    struct tree *t = f->t;
    const char *tp = sami_tp_name(n->time_point);
    sb_puts(f->sum, "sami NOTIFY ");
    sb_puts(f->sum, tp);
    sb_puts(f->sum, " mig ");
    sb_0x(f->sum, n->migration_id, 16);
    sb_putc(f->sum, ' ');
    stats_inc2("sami NOTIFY", tp);
    if (!tr_on(t))
        return;
    tr_s(t, "kind", "notification");
    tr_u(t, "version", n->version);
    tr_un(t, "time_point", n->time_point, tp);
    struct tnode *fl = tr_x(t, "flags", n->flags, 2);
    uint32_t m = tr_mark(t);
    sb_puts(&t->arena, n->flags & SAMI_SAMITLV_FLAG_FEEDBACK_WANTED ? "feedback wanted" : "no feedback");
    if (n->flags & SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE)
        sb_puts(&t->arena, ", sender is source side");
    if (n->flags & ~SAMI_SAMITLV_FLAGS_DEFINED)
        sb_puts(&t->arena, ", undefined bits set");
    tr_ann_m(t, fl, m, TF_NOTE);
    tr_b(t, "feedback_wanted", n->flags & SAMI_SAMITLV_FLAG_FEEDBACK_WANTED)->flags |= TF_JONLY;
    tr_b(t, "sender_is_source", n->flags & SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE)->flags |= TF_JONLY;
    tr_u64hex(t, "migration_id", n->migration_id);
    tr_ms_time(t, "timestamp_ms", n->timestamp_ms);
    tr_u(t, "next_deadline_ms", n->next_deadline_ms);
    tr_di_types(t, "di_types", n->di_types);
    tr_vm(t, &n->vm);
    tr_open(t, "mac_vlans", T_ARR);
    for (unsigned i = 0; i < n->n_macs && i < SAMI_SAMITLV_MAX_MACS; i++) {
        struct tnode *o = tr_open(t, NULL, T_OBJ);
        m = tr_mark(t);
        sb_puts(&t->arena, "mac ");
        sb_mac(&t->arena, n->macs[i].mac);
        sb_putc(&t->arena, ' ');
        sum_vlan_word(&t->arena, n->macs[i].word);
        tr_set_str_m(t, o, m);
        o->flags |= TF_COMPACT;
        tr_mac(t, "mac", n->macs[i].mac);
        tr_vlan_word(t, n->macs[i].word);
        tr_close(t);
    }
    tr_close(t);
    tr_open(t, "ipv4", T_ARR);
    for (unsigned i = 0; i < n->n_ipv4 && i < SAMI_SAMITLV_MAX_IPV4; i++) {
        m = tr_mark(t);
        sb_ipv4(&t->arena, n->ipv4[i]);
        tr_sm(t, NULL, m);
    }
    tr_close(t);
    tr_open(t, "ipv6", T_ARR);
    for (unsigned i = 0; i < n->n_ipv6 && i < SAMI_SAMITLV_MAX_IPV6; i++) {
        m = tr_mark(t);
        sb_ipv6(&t->arena, n->ipv6[i]);
        tr_sm(t, NULL, m);
    }
    tr_close(t);
    tr_bridge(t, "orig_bridge", &n->orig_bridge);
    tr_bridge(t, "dest_bridge", &n->dest_bridge);
    if (n->has_reason)
        tr_un(t, "abort_reason", n->reason, sami_abort_reason_name(n->reason));
    tr_u(t, "unknown_elements", n->unknown_elements);
}

static void show_feedback(struct sniff_frame *f, const struct sami_feedback *fb)
{
    struct tree *t = f->t;
    const char *vd = sami_verdict_name(fb->verdict);
    sb_puts(f->sum, "sami FEEDBACK ");
    sb_puts(f->sum, vd);
    sb_puts(f->sum, " (");
    sb_puts(f->sum, sami_tp_name(fb->time_point));
    sb_puts(f->sum, ") mig ");
    sb_0x(f->sum, fb->migration_id, 16);
    sb_puts(f->sum, " xfer ");
    sb_u64(f->sum, fb->transfer_time_us);
    sb_puts(f->sum, "us results ");
    sb_u64(f->sum, fb->n_results);
    sb_putc(f->sum, ' ');
    stats_inc2("sami FEEDBACK", vd);
    if (!tr_on(t))
        return;
    tr_s(t, "kind", "feedback");
    tr_u(t, "version", fb->version);
    tr_un(t, "verdict", fb->verdict, vd);
    tr_un(t, "time_point", fb->time_point, sami_tp_name(fb->time_point));
    tr_x(t, "flags", fb->flags, 2);
    tr_u64hex(t, "migration_id", fb->migration_id);
    tr_u(t, "transfer_time_us", fb->transfer_time_us);
    tr_open(t, "results", T_ARR);
    for (unsigned i = 0; i < fb->n_results && i < SAMI_SAMITLV_MAX_RESULTS; i++) {
        const struct sami_fb_result *r = &fb->results[i];
        struct tnode *o = tr_open(t, NULL, T_OBJ);
        uint32_t m = tr_mark(t);
        sb_puts(&t->arena, "result ");
        sb_puts(&t->arena, sami_di_type_name(r->di_type));
        sb_putc(&t->arena, ' ');
        sb_puts(&t->arena, sami_di_status_name(r->status));
        sb_puts(&t->arena, " reason ");
        sb_puts(&t->arena, sami_fb_reason_name(r->reason));
        sb_puts(&t->arena, " sent ");
        sb_u64(&t->arena, r->records_sent);
        sb_puts(&t->arena, " installed ");
        sb_u64(&t->arena, r->records_installed);
        tr_set_str_m(t, o, m);
        o->flags |= TF_COMPACT;
        tr_un(t, "di_type", r->di_type, sami_di_type_name(r->di_type));
        tr_un(t, "status", r->status, sami_di_status_name(r->status));
        tr_un(t, "reason", r->reason, sami_fb_reason_name(r->reason));
        tr_u(t, "records_sent", r->records_sent);
        tr_u(t, "records_installed", r->records_installed);
        tr_close(t);
    }
    tr_close(t);
    if (fb->has_bridge)
        tr_bridge(t, "bridge", &fb->bridge);
    tr_u(t, "unknown_elements", fb->unknown_elements);
}

/* Decode buffers for the sami TLVs: the structs copy bridge ids (about 1 KB
 * each), so keep them static instead of on the stack. */
static struct sami_notif notif;
static struct sami_feedback feedback;

static void show_org(struct sniff_frame *f, const struct sami_vdp_tlv *tlv)
{
    const struct sami_vdp_org *o = &tlv->u.org;
    struct tree *t = f->t;
    const struct sniff_opts *op = f->o;
    uint32_t sami_oui = (uint32_t)op->oui[0] << 16 | (uint32_t)op->oui[1] << 8 | op->oui[2];
    size_t vbase = tlv->offset + 2; /* value (OUI) offset in the frame */
    if (tr_on(t)) {
        uint32_t m = tr_mark(t);
        sb_oui(&t->arena, o->oui);
        tr_sm(t, "oui", m);
        tr_u(t, "subtype", o->subtype);
        tr_u(t, "info_len", o->info_len);
    }
    if (o->oui == sami_oui &&
        (o->subtype == SAMI_SUBTYPE_NOTIFICATION || o->subtype == SAMI_SUBTYPE_FEEDBACK)) {
        struct sami_err err;
        memset(&err, 0, sizeof err);
        int rc;
        tr_open(t, "samitlv", T_OBJ);
        if (o->subtype == SAMI_SUBTYPE_NOTIFICATION) {
            rc = sami_samitlv_notif_decode(tlv->value, tlv->length, op->oui, &notif, &err);
            if (!rc) {
                show_notif(f, &notif);
                timeline_notif(f, &notif);
            }
        } else {
            rc = sami_samitlv_feedback_decode(tlv->value, tlv->length, op->oui, &feedback, &err);
            if (!rc) {
                show_feedback(f, &feedback);
                timeline_feedback(f, &feedback);
            }
        }
        if (rc) {
            const char *kind = o->subtype == SAMI_SUBTYPE_NOTIFICATION ? "NOTIFY" : "FEEDBACK";
            sb_puts(f->sum, "sami ");
            sb_puts(f->sum, kind);
            sb_puts(f->sum, " (malformed) ");
            stats_inc3("sami", kind, "(malformed)");
            tr_s(t, "kind", o->subtype == SAMI_SUBTYPE_NOTIFICATION ? "notification" : "feedback");
            tr_hex(t, "info", o->info, o->info_len, 512);
            sniff_malformed(f, "samitlv", &err, rc, vbase);
        }
        tr_close(t);
        return;
    }
    if (o->oui == sami_oui) {
        sb_puts(f->sum, "sami subtype ");
        sb_u64(f->sum, o->subtype);
        stats_inc("sami other");
    } else {
        sb_puts(f->sum, "ORG ");
        sb_oui(f->sum, o->oui);
        sb_putc(f->sum, '/');
        sb_u64(f->sum, o->subtype);
    }
    sb_puts(f->sum, " len ");
    sb_u64(f->sum, o->info_len);
    sb_putc(f->sum, ' ');
    if (tr_on(t))
        tr_hex(t, "info", o->info, o->info_len, 512);
}

/* ---- the ULPDU ---- */

static void dissect_vdp(struct sniff_frame *f, size_t off, size_t len)
{
    struct tree *t = f->t;
    struct sami_err err;
    struct sami_rd r;
    /* A reader over the frame positioned at the ULPDU: the iterator keeps
     * the reader's offsets, so TLV and error offsets are frame offsets. */
    sami_rd_init(&r, f->pkt, off + len, &err);
    r.pos = off;
    struct sami_vdp_iter it;
    sami_vdp_iter_init_rd(&it, &r);
    sb_puts(f->sum, "VDP ");
    tr_open_r(t, "vdp", T_OBJ, off, len);
    tr_open(t, "tlvs", T_ARR);
    size_t next = off; /* where the next TLV starts */
    f->vsi_type = 0;
    f->vsi_hints = 0;
    int rc;
    unsigned ntlv = 0;
    struct sami_vdp_tlv tlv;
    while ((rc = sami_vdp_next(&it, &tlv)) == 1) {
        ntlv++;
        next = tlv.offset + 2 + tlv.length;
        const char *sn = vdp_short(tlv.type);
        if (tr_on(t)) {
            struct tnode *o = tr_open_r(t, NULL, T_OBJ, tlv.offset, 2u + tlv.length);
            uint32_t m = tr_mark(t);
            sb_puts(&t->arena, "TLV ");
            sb_u64(&t->arena, tlv.type);
            sb_putc(&t->arena, ' ');
            sb_puts(&t->arena, sami_vdp_tlv_name(tlv.type));
            sb_puts(&t->arena, " len ");
            sb_u64(&t->arena, tlv.length);
            tr_set_str_m(t, o, m);
            tr_un(t, "type", tlv.type, sami_vdp_tlv_name(tlv.type))->flags |= TF_JONLY;
            tr_u(t, "len", tlv.length)->flags |= TF_JONLY;
            tr_u(t, "offset", tlv.offset)->flags |= TF_JONLY;
        }
        switch (tlv.type) {
        case SAMI_VDP_TLV_END:
            break;
        case SAMI_VDP_TLV_MGRID:
            show_mgrid(f, &tlv.u.mgrid);
            break;
        case SAMI_VDP_TLV_PREASSOC:
        case SAMI_VDP_TLV_PREASSOC_RR:
        case SAMI_VDP_TLV_ASSOC:
        case SAMI_VDP_TLV_DEASSOC:
            /* What a following notification rode on (--timeline). */
            f->vsi_type = tlv.type;
            f->vsi_hints = (uint8_t)(tlv.u.vsi.response ? 0 : tlv.u.vsi.status & 0x30u);
            show_vsi(f, &tlv);
            break;
        case SAMI_VDP_TLV_ORG:
            show_org(f, &tlv);
            break;
        default:
            sb_puts(f->sum, sn ? sn : "TLV");
            if (!sn) {
                sb_putc(f->sum, ' ');
                sb_u64(f->sum, tlv.type);
            }
            sb_puts(f->sum, " len ");
            sb_u64(f->sum, tlv.length);
            sb_putc(f->sum, ' ');
            if (tr_on(t))
                tr_hex(t, "value", tlv.value, tlv.length, 512);
            break;
        }
        tr_close(t);
    }
    tr_close(t); /* tlvs */
    if (!ntlv)
        sb_puts(f->sum, "(empty) ");
    if (tr_on(t)) {
        tr_b(t, "end", it.saw_end);
        if (rc == 0 || rc == SAMI_ERR_TRAILING)
            tr_u(t, "padding", off + len > it.end ? off + len - it.end : 0);
    }
    if (rc < 0) {
        if (tr_on(t) && rc != SAMI_ERR_TRAILING && next < off + len)
            tr_hex(t, "undecoded", f->pkt + next, off + len - next, 64);
        sniff_malformed(f, "vdp", &err, rc, 0);
    }
    tr_close(t); /* vdp */
}

void dissect_ecp(struct sniff_frame *f, size_t off, size_t len)
{
    struct tree *t = f->t;
    struct sami_err err;
    struct sami_rd r;
    sami_rd_init(&r, f->pkt, off + len, &err);
    r.pos = off;
    struct sami_ecp_hdr h;
    int rc = sami_ecp_read(&r, &h);
    tr_open_r(t, "ecp", T_OBJ, off, len < 4 ? len : 4);
    if (rc) {
        sb_puts(f->sum, "ECP ");
        if (tr_on(t) && len >= 4) {
            /* The codec rejected the header; show its raw bit fields so a
             * bad version or op is visible. */
            const uint8_t *p = f->pkt + off;
            tr_u(t, "version", p[0] >> 4);
            tr_u(t, "op", p[0] >> 2 & 3);
            tr_u(t, "subtype", (unsigned)(p[0] & 3) << 8 | p[1]);
            tr_u(t, "seq", (unsigned)p[2] << 8 | p[3]);
        } else if (tr_on(t)) {
            tr_hex(t, "header", f->pkt + off, len, 4);
        }
        tr_close(t);
        stats_inc("ECP (bad header)");
        sniff_malformed(f, "ecp", &err, rc, 0);
        return;
    }
    const char *opn = h.op == SAMI_ECP_OP_REQUEST ? "request" : "ack";
    if (tr_on(t)) {
        tr_u(t, "version", h.version);
        tr_un(t, "op", h.op, opn);
        tr_un(t, "subtype", h.subtype, h.subtype == SAMI_ECP_SUBTYPE_VDP ? "VDP" : "unknown");
        tr_u(t, "seq", h.seq);
    }
    tr_close(t);
    sb_puts(f->sum, h.op == SAMI_ECP_OP_REQUEST ? "ECP req seq " : "ECP ack seq ");
    sb_u64(f->sum, h.seq);
    sb_putc(f->sum, ' ');
    stats_inc(h.op == SAMI_ECP_OP_REQUEST ? "ECP req" : "ECP ack");
    size_t body = off + 4, blen = len - 4;
    if (h.op == SAMI_ECP_OP_ACK) {
        /* Acks carry nothing; anything after the header is padding. */
        if (tr_on(t) && blen)
            tr_u(t, "padding", blen);
        return;
    }
    if (h.subtype != SAMI_ECP_SUBTYPE_VDP) {
        sb_puts(f->sum, "subtype ");
        sb_u64(f->sum, h.subtype);
        sb_puts(f->sum, " len ");
        sb_u64(f->sum, blen);
        if (tr_on(t))
            tr_hex(t, "ulpdu", f->pkt + body, blen, 512);
        return;
    }
    dissect_vdp(f, body, blen);
}
