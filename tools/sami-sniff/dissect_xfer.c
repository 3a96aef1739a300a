/* Transfer subprotocol: the L2 binding (ethertype 0x88B5), the TCP stream
 * binding (u32 length prefix), transfer messages, their elements and the DI
 * records inside. Decoding is libsami's (xfer, xfer_l2, di, hmac). */
#include <string.h>

#include "sami/di.h" /* before samitlv.h: both may define enum sami_di_type */
#include "sami/hmac.h"
#include "sami/samitlv.h"
#include "sami/xfer.h"
#include "sami/xfer_l2.h"
#include "sniff.h"
#include "timeline.h"

/* ---- DI records ---- */

static struct tnode *tr_remaining(struct tree *t, const char *key, uint32_t ms)
{
    struct tnode *n = tr_u(t, key, ms);
    if (ms == SAMI_DI_INFINITE)
        tr_ann(t, n, "infinite", TF_NOTE);
    return n;
}

static void tr_addr16(struct tree *t, const char *key, const uint8_t a[16])
{
    uint32_t m = tr_mark(t);
    sb_addr16(&t->arena, a);
    tr_sm(t, key, m);
}

static void tr_dstr(struct tree *t, const char *key, const char *s, size_t n)
{
    tr_sn(t, key, s, n, TF_QUOTE);
}

static void tr_ip(struct tree *t, const char *key, const uint8_t *a, bool v6)
{
    uint32_t m = tr_mark(t);
    if (v6)
        sb_ipv6(&t->arena, a);
    else
        sb_ipv4(&t->arena, a);
    tr_sm(t, key, m);
}

static void show_di_fields(struct tree *t, const struct sami_di_record *d)
{
    switch (d->type) {
    case SAMI_DI_DHCP: {
        const struct sami_di_dhcp *x = &d->u.dhcp;
        tr_ip(t, "ipv4", x->ipv4, false);
        tr_mac(t, "mac", x->mac);
        tr_u(t, "vlan", x->vlan);
        tr_remaining(t, "lease_remaining_ms", x->lease_remaining_ms);
        break;
    }
    case SAMI_DI_DHCPV6: {
        const struct sami_di_dhcpv6 *x = &d->u.dhcpv6;
        tr_ip(t, "ipv6", x->ipv6, true);
        tr_mac(t, "mac", x->mac);
        tr_u(t, "vlan", x->vlan);
        tr_remaining(t, "lease_remaining_ms", x->lease_remaining_ms);
        tr_u(t, "iaid", x->iaid);
        break;
    }
    case SAMI_DI_ND: {
        const struct sami_di_nd *x = &d->u.nd;
        tr_ip(t, "ipv6", x->ipv6, true);
        tr_mac(t, "mac", x->mac);
        tr_u(t, "vlan", x->vlan);
        tr_remaining(t, "lifetime_remaining_ms", x->lifetime_remaining_ms);
        tr_un(t, "state", x->state, sami_di_nd_state_name(x->state));
        break;
    }
    case SAMI_DI_DOT1X: {
        const struct sami_di_dot1x *x = &d->u.dot1x;
        tr_mac(t, "mac", x->mac);
        tr_u(t, "authorized", x->authorized);
        tr_un(t, "eap_method", x->eap_method, sami_di_eap_method_name(x->eap_method));
        tr_u(t, "vlan", x->vlan);
        tr_remaining(t, "session_remaining_ms", x->session_remaining_ms);
        tr_remaining(t, "reauth_remaining_ms", x->reauth_remaining_ms);
        tr_dstr(t, "session_id", x->session_id, x->session_id_len);
        tr_dstr(t, "identity", x->identity, x->identity_len);
        tr_dstr(t, "filter_id", x->filter_id, x->filter_id_len);
        break;
    }
    case SAMI_DI_ACL: {
        const struct sami_di_acl *x = &d->u.acl;
        tr_u(t, "rule_id", x->rule_id);
        tr_un(t, "action", x->action, sami_di_acl_action_name(x->action));
        tr_un(t, "origin", x->origin, sami_di_acl_origin_name(x->origin));
        tr_u(t, "protocol", x->protocol);
        tr_x(t, "flags", x->flags, 2);
        tr_addr16(t, "src", x->src);
        tr_u(t, "src_prefix_len", x->src_prefix_len);
        tr_addr16(t, "dst", x->dst);
        tr_u(t, "dst_prefix_len", x->dst_prefix_len);
        tr_u(t, "src_port_lo", x->src_port_lo);
        tr_u(t, "src_port_hi", x->src_port_hi);
        tr_u(t, "dst_port_lo", x->dst_port_lo);
        tr_u(t, "dst_port_hi", x->dst_port_hi);
        tr_u(t, "vlan", x->vlan);
        tr_mac(t, "mac", x->mac);
        tr_u(t, "rate_kbps", x->rate_kbps);
        tr_remaining(t, "lifetime_remaining_ms", x->lifetime_remaining_ms);
        break;
    }
    case SAMI_DI_IGMP: {
        const struct sami_di_igmp *x = &d->u.igmp;
        tr_un(t, "family", x->family, sami_di_family_name(x->family));
        tr_un(t, "filter_mode", x->filter_mode, sami_di_igmp_mode_name(x->filter_mode));
        tr_u(t, "vlan", x->vlan);
        tr_addr16(t, "group", x->group);
        tr_addr16(t, "source", x->source);
        tr_remaining(t, "timer_remaining_ms", x->timer_remaining_ms);
        break;
    }
    case SAMI_DI_COUNTERS: {
        const struct sami_di_counters *x = &d->u.counters;
        tr_un(t, "direction", x->direction, sami_di_direction_name(x->direction));
        tr_u(t, "packets", x->packets);
        tr_u(t, "bytes", x->bytes);
        tr_u(t, "syn_count", x->syn_count);
        tr_u(t, "window_ms", x->window_ms);
        tr_u(t, "rate_bps", x->rate_bps);
        tr_u(t, "rate_pps", x->rate_pps);
        break;
    }
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *x = &d->u.firewall;
        tr_un(t, "family", x->family, sami_di_family_name(x->family));
        tr_u(t, "protocol", x->protocol);
        tr_un(t, "state", x->state, sami_di_fw_state_name(x->state));
        tr_x(t, "flags", x->flags, 2);
        tr_u(t, "vlan", x->vlan);
        tr_addr16(t, "src", x->src);
        tr_addr16(t, "dst", x->dst);
        tr_u(t, "src_port", x->src_port);
        tr_u(t, "dst_port", x->dst_port);
        tr_u(t, "created_age_ms", x->created_age_ms);
        tr_u(t, "last_heard_age_ms", x->last_heard_age_ms);
        tr_remaining(t, "expiry_remaining_ms", x->expiry_remaining_ms);
        if (x->flags & SAMI_DI_FW_F_NAT) {
            tr_addr16(t, "nat_src", x->nat_src);
            tr_addr16(t, "nat_dst", x->nat_dst);
            tr_u(t, "nat_src_port", x->nat_src_port);
            tr_u(t, "nat_dst_port", x->nat_dst_port);
        }
        break;
    }
    default:
        break;
    }
}

/* One DI element value at frame offset `voff`. Returns 1 when decoded. */
static int show_di(struct sniff_frame *f, uint8_t type, const uint8_t *v, size_t len, size_t voff)
{
    struct tree *t = f->t;
    static struct sami_di_record rec; /* ~800 octets with the 802.1X strings */
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = sami_di_decode(type, v, len, &rec, &err);
    struct tnode *o = tr_open(t, "di", T_OBJ);
    if (tr_on(t)) {
        uint32_t m = tr_mark(t);
        sb_puts(&t->arena, "DI ");
        sb_puts(&t->arena, sami_di_type_name(type));
        if (!rc) {
            sb_puts(&t->arena, " v");
            sb_u64(&t->arena, rec.version);
            sb_putc(&t->arena, ' ');
            sb_puts(&t->arena, sami_di_op_name(rec.op));
        }
        tr_set_str_m(t, o, m);
        tr_un(t, "type", type, sami_di_type_name(type))->flags |= TF_JONLY;
    }
    if (rc == SAMI_ERR_TYPE) {
        /* Unknown record types are skipped by length, by design. */
        tr_s(t, "note", "unknown DI type: skipped");
        tr_hex(t, "value", v, len, 256);
        tr_close(t);
        return 0;
    }
    if (rc) {
        if (len >= 2) {
            tr_u(t, "version", v[0]);
            tr_u(t, "op", v[1]);
        }
        tr_hex(t, "value", v, len, 256);
        tr_close(t);
        sniff_malformed(f, "di", &err, rc, voff);
        return 0;
    }
    stats_inc2("DI", sami_di_type_name(type));
    tr_u(t, "version", rec.version)->flags |= TF_JONLY;
    tr_un(t, "op", rec.op, sami_di_op_name(rec.op))->flags |= TF_JONLY;
    if (tr_on(t))
        show_di_fields(t, &rec);
    tr_close(t);
    return 1;
}

/* ---- message elements ---- */

static void show_elem(struct sniff_frame *f, const struct sami_xfer_elem *e, size_t base,
                      unsigned *n_di)
{
    struct tree *t = f->t;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = 0;
    switch (e->type) {
    case SAMI_XFER_E_CAPS: {
        struct sami_xfer_caps c;
        if (!(rc = sami_xfer_read_caps(e, &c, &err)) && tr_on(t)) {
            tr_u(t, "version", c.version);
            tr_u(t, "role", c.role);
            tr_di_types(t, "di_types", c.di_types);
            tr_u(t, "max_records", c.max_records);
            tr_u(t, "max_msg", c.max_msg);
        }
        break;
    }
    case SAMI_XFER_E_NAME: {
        struct sami_xfer_name nm;
        if (!(rc = sami_xfer_read_name(e, &nm, &err)))
            tr_sn(t, "name", nm.s, nm.len, TF_QUOTE);
        break;
    }
    case SAMI_XFER_E_VM_ID: {
        struct sami_xfer_vm_id vm;
        if (!(rc = sami_xfer_read_vm_id(e, &vm, &err)) && tr_on(t)) {
            tr_u(t, "type_id", vm.type_id);
            tr_u(t, "type_version", vm.type_ver);
            tr_un(t, "vsi_id_format", vm.id_format, vsiid_format_name(vm.id_format));
            tr_vsi_id(t, "vsi_id", vm.id_format, vm.id);
        }
        break;
    }
    case SAMI_XFER_E_GENERATION: {
        struct sami_xfer_generation g;
        if (!(rc = sami_xfer_read_generation(e, &g, &err))) {
            tr_u(t, "base", g.base);
            tr_u(t, "next", g.next);
        }
        break;
    }
    case SAMI_XFER_E_COUNTS: {
        struct sami_xfer_counts cv;
        if (!(rc = sami_xfer_read_counts(e, &cv, &err)) && tr_on(t)) {
            tr_open(t, "counts", T_ARR);
            for (size_t i = 0; i < cv.n; i++) {
                struct sami_xfer_count c;
                if (sami_xfer_counts_get(&cv, i, &c))
                    break;
                struct tnode *o = tr_open(t, NULL, T_OBJ);
                uint32_t m = tr_mark(t);
                sb_puts(&t->arena, sami_di_type_name(c.di_type));
                sb_putc(&t->arena, ' ');
                sb_u64(&t->arena, c.count);
                tr_set_str_m(t, o, m);
                o->flags |= TF_COMPACT;
                tr_un(t, "di_type", c.di_type, sami_di_type_name(c.di_type));
                tr_u(t, "count", c.count);
                tr_close(t);
            }
            tr_close(t);
        }
        break;
    }
    case SAMI_XFER_E_DIGEST: {
        uint64_t d;
        if (!(rc = sami_xfer_read_digest(e, &d, &err)))
            tr_u64hex(t, "digest", d);
        break;
    }
    case SAMI_XFER_E_STATUS: {
        struct sami_xfer_status_elem st;
        if (!(rc = sami_xfer_read_status(e, &st, &err))) {
            tr_un(t, "status", st.status, sami_di_status_name(st.status));
            tr_un(t, "reason", st.reason, sami_fb_reason_name(st.reason));
        }
        break;
    }
    case SAMI_XFER_E_TYPE_RESULT: {
        struct sami_xfer_type_result r;
        if (!(rc = sami_xfer_read_type_result(e, &r, &err))) {
            tr_un(t, "di_type", r.di_type, sami_di_type_name(r.di_type));
            tr_un(t, "status", r.status, sami_di_status_name(r.status));
            tr_un(t, "reason", r.reason, sami_fb_reason_name(r.reason));
            tr_u(t, "sent", r.sent);
            tr_u(t, "installed", r.installed);
        }
        break;
    }
    case SAMI_XFER_E_SNAPSHOT_TIME: {
        uint32_t ms;
        if (!(rc = sami_xfer_read_snapshot_time(e, &ms, &err)))
            tr_u(t, "snapshot_age_ms", ms);
        break;
    }
    case SAMI_XFER_E_ACKED_SEQ: {
        uint64_t s;
        if (!(rc = sami_xfer_read_acked_seq(e, &s, &err)))
            tr_u(t, "acked_seq", s);
        break;
    }
    default:
        if (SAMI_XFER_E_IS_DI(e->type)) {
            struct sami_xfer_di di;
            if (!(rc = sami_xfer_read_di(e, &di, &err))) {
                (*n_di)++;
                show_di(f, di.di_type, di.value, di.len, base + e->offset);
            }
        } else {
            tr_s(t, "note", "unknown element type: skipped");
            tr_hex(t, "value", e->value, e->len, 256);
        }
        break;
    }
    if (rc) {
        tr_hex(t, "value", e->value, e->len, 256);
        sniff_malformed(f, "xfer", &err, rc, base);
    }
}

/* Walks the body (of a decoded message, or of one that failed validation:
 * then only up to the bad element). Returns the DI record count. */
static unsigned show_elements(struct sniff_frame *f, const struct sami_xfer_msg *m, size_t base,
                              unsigned *n_elem)
{
    struct tree *t = f->t;
    struct sami_err err;
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    unsigned n_di = 0;
    int rc;
    memset(&err, 0, sizeof err);
    sami_xfer_iter_init(&it, m, &err);
    tr_open(t, "elements", T_ARR);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1) {
        (*n_elem)++;
        size_t hoff = base + e.offset - SAMI_XFER_ELEM_HDR_LEN;
        if (tr_on(t)) {
            struct tnode *o = tr_open_r(t, NULL, T_OBJ, hoff, SAMI_XFER_ELEM_HDR_LEN + e.len);
            uint32_t mk = tr_mark(t);
            sb_puts(&t->arena, "element ");
            sb_0x(&t->arena, e.type, 4);
            sb_putc(&t->arena, ' ');
            sb_puts(&t->arena, sami_xfer_elem_name(e.type));
            sb_puts(&t->arena, " len ");
            sb_u64(&t->arena, e.len);
            tr_set_str_m(t, o, mk);
            tr_un(t, "type", e.type, sami_xfer_elem_name(e.type))->flags |= TF_JONLY;
            tr_u(t, "len", e.len)->flags |= TF_JONLY;
            tr_u(t, "offset", hoff)->flags |= TF_JONLY;
        } else {
            tr_open(t, NULL, T_OBJ);
        }
        show_elem(f, &e, base, &n_di);
        tr_close(t);
    }
    tr_close(t);
    if (rc < 0)
        sniff_malformed(f, "xfer", &err, rc, base);
    return n_di;
}

/* ---- authentication ---- */

static const char *verify(struct sniff_frame *f, const uint8_t *buf, size_t len,
                          const struct sami_xfer_msg *m)
{
    const struct sniff_opts *o = f->o;
    if (!o->nkeys)
        return "not verified";
    const struct sniff_key *k = NULL;
    for (unsigned i = 0; i < o->nkeys; i++)
        if (o->keys[i].id == m->key_id)
            k = &o->keys[i];
    if (!k)
        return "no key";
    static struct sami_xfer_keyring kr;
    memset(&kr, 0, sizeof kr);
#if defined(SAMI_WITH_SODIUM)
    kr.hmac = sami_hmac_sodium();
#else
    kr.hmac = sami_hmac_default();
#endif
    if (!kr.hmac)
        return "not verified (no HMAC provider)";
    kr.keys[0].id = k->id;
    kr.keys[0].len = k->len;
    memcpy(kr.keys[0].bytes, k->key, k->len);
    struct sami_xfer_msg out;
    struct sami_err err;
    /* No replay window: a dissector sees retransmissions legitimately. */
    int rc = sami_xfer_open(buf, len, &kr, NULL, 0, o->max_body, &out, &err);
    sami_secure_zero(kr.keys[0].bytes, sizeof kr.keys[0].bytes);
    if (rc == 0)
        return "verified";
    if (rc == SAMI_ERR_AUTH)
        return "FAILED";
    return sami_strerror(rc);
}

/* ---- one message ---- */

static void flags_note(struct sbuf *b, uint16_t fl)
{
    bool any = false;
    if (fl & SAMI_XFER_F_LAST) {
        sb_puts(b, "LAST");
        any = true;
    }
    if (fl & SAMI_XFER_F_RESPONSE) {
        sb_puts(b, any ? ",RESPONSE" : "RESPONSE");
        any = true;
    }
    if (fl & ~SAMI_XFER_F_ALL) {
        sb_puts(b, any ? ",reserved" : "reserved");
        any = true;
    }
    if (!any)
        sb_puts(b, "none");
}

static void show_hdr(struct sniff_frame *f, const struct sami_xfer_hdr *h)
{
    struct tree *t = f->t;
    if (!tr_on(t))
        return;
    tr_u(t, "version", h->version);
    tr_un(t, "type", h->type, sami_xfer_type_name(h->type));
    struct tnode *n = tr_x(t, "flags", h->flags, 4);
    uint32_t m = tr_mark(t);
    flags_note(&t->arena, h->flags);
    tr_ann_m(t, n, m, TF_NOTE);
    tr_b(t, "last", h->flags & SAMI_XFER_F_LAST)->flags |= TF_JONLY;
    tr_b(t, "response", h->flags & SAMI_XFER_F_RESPONSE)->flags |= TF_JONLY;
    tr_u(t, "body_len", h->body_len);
    tr_u(t, "sender_priority", h->sender.priority);
    tr_mac(t, "sender_mac", h->sender.mac);
    tr_u64hex(t, "migration_id", h->migration_id);
}

static void sum_hdr(struct sbuf *s, const struct sami_xfer_hdr *h)
{
    sb_puts(s, "xfer ");
    sb_puts(s, sami_xfer_type_name(h->type));
    if (h->flags & SAMI_XFER_F_RESPONSE)
        sb_puts(s, " rsp");
    if (h->flags & SAMI_XFER_F_LAST)
        sb_puts(s, " LAST");
    sb_puts(s, " mig ");
    sb_0x(s, h->migration_id, 16);
}

/* The STATUS element of a decoded message, for the timeline. */
static void timeline_msg(struct sniff_frame *f, const struct sami_xfer_msg *m)
{
    if (!timeline_on)
        return;
    struct sami_err err;
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    memset(&err, 0, sizeof err);
    sami_xfer_iter_init(&it, m, &err);
    while (sami_xfer_iter_next(&it, &e) == 1) {
        struct sami_xfer_status_elem st;
        if (e.type == SAMI_XFER_E_STATUS && sami_xfer_read_status(&e, &st, &err) == 0) {
            timeline_xfer(f, &m->hdr, true, st.status, st.reason);
            return;
        }
    }
    timeline_xfer(f, &m->hdr, false, 0, 0);
}

/* A whole transfer message at frame offset off. */
static void dissect_xfer_msg(struct sniff_frame *f, size_t off, size_t len)
{
    struct tree *t = f->t;
    const uint8_t *buf = f->pkt + off;
    struct sami_xfer_msg m;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = sami_xfer_decode_ex(buf, len, f->o->max_body, &m, &err);
    tr_open_r(t, "xfer", T_OBJ, off, len);
    unsigned n_elem = 0, n_di = 0;
    if (rc == 0) {
        stats_inc2("xfer", sami_xfer_type_name(m.hdr.type));
        sum_hdr(f->sum, &m.hdr);
        show_hdr(f, &m.hdr);
        n_di = show_elements(f, &m, off, &n_elem);
        timeline_msg(f, &m);
        const char *auth = verify(f, buf, len, &m);
        if (tr_on(t)) {
            tr_u(t, "key_id", m.key_id);
            tr_u(t, "seq", m.seq);
            tr_hex(t, "tag", m.tag, sizeof m.tag, 16);
            tr_s(t, "auth", auth);
        }
        if (!strcmp(auth, "FAILED"))
            stats_inc("xfer auth FAILED");
        sb_puts(f->sum, " seq ");
        sb_u64(f->sum, m.seq);
        sb_puts(f->sum, " key ");
        sb_u64(f->sum, m.key_id);
        sb_puts(f->sum, " elems ");
        sb_u64(f->sum, n_elem);
        if (n_di) {
            sb_puts(f->sum, " di ");
            sb_u64(f->sum, n_di);
        }
        sb_puts(f->sum, " auth ");
        sb_puts(f->sum, auth);
        tr_close(t);
        return;
    }
    /* Not valid: show what can be shown. The header alone, if it reads,
     * then the elements the body framing allows. */
    sniff_malformed(f, "xfer", &err, rc, off);
    struct sami_rd r;
    struct sami_err herr;
    struct sami_xfer_hdr h;
    sami_rd_init(&r, buf, len, &herr);
    if (sami_xfer_read_hdr(&r, f->o->max_body, &h) == 0) {
        stats_inc2("xfer", sami_xfer_type_name(h.type));
        sum_hdr(f->sum, &h);
        show_hdr(f, &h);
        struct sami_xfer_msg fake;
        memset(&fake, 0, sizeof fake);
        fake.hdr = h;
        fake.body = buf + SAMI_XFER_HDR_LEN;
        if (fake.hdr.body_len > len - SAMI_XFER_HDR_LEN)
            fake.hdr.body_len = (uint32_t)(len - SAMI_XFER_HDR_LEN);
        show_elements(f, &fake, off, &n_elem);
    } else {
        stats_inc("xfer (bad header)");
        sb_puts(f->sum, "xfer");
        tr_hex(t, "undecoded", buf, len, 64);
    }
    tr_close(t);
}

/* ---- L2 binding ---- */

void dissect_l2xfer(struct sniff_frame *f, size_t off, size_t len)
{
    struct tree *t = f->t;
    const uint8_t *buf = f->pkt + off;
    struct sami_xfer_l2_frame fr;
    struct sami_err err;
    memset(&err, 0, sizeof err);
    int rc = sami_xfer_l2_decode(buf, len, &fr, &err);
    tr_open_r(t, "l2", T_OBJ, off, len < SAMI_XFER_L2_HDR_LEN ? len : SAMI_XFER_L2_HDR_LEN);
    sb_puts(f->sum, "sami-L2 ");
    if (rc) {
        if (tr_on(t) && len >= SAMI_XFER_L2_HDR_LEN) {
            /* The codec rejected the frame: show the raw header words. */
            tr_x(t, "magic", (unsigned)buf[0] << 8 | buf[1], 4);
            tr_u(t, "version", buf[2]);
            tr_u(t, "op", buf[3]);
            tr_u(t, "seq", (unsigned)buf[4] << 8 | buf[5]);
            tr_u(t, "frag_index", (unsigned)buf[6] << 8 | buf[7]);
            tr_u(t, "frag_count", (unsigned)buf[8] << 8 | buf[9]);
            tr_u(t, "payload_len", (unsigned)buf[10] << 8 | buf[11]);
        } else if (tr_on(t)) {
            tr_hex(t, "header", buf, len, 12);
        }
        tr_close(t);
        stats_inc("L2 (bad header)");
        sniff_malformed(f, "l2", &err, rc, off);
        return;
    }
    const char *opn = fr.op == SAMI_XFER_L2_DATA ? "DATA" : "ACK";
    if (tr_on(t)) {
        tr_x(t, "magic", SAMI_XFER_L2_MAGIC, 4);
        tr_u(t, "version", fr.version);
        tr_un(t, "op", fr.op, opn);
        tr_u(t, "seq", fr.seq);
        tr_u(t, "frag_index", fr.frag_index);
        tr_u(t, "frag_count", fr.frag_count);
        tr_u(t, "payload_len", fr.payload_len);
        /* Fragments other than a message's first carry no header to show:
         * their bytes stay with the L2 object. */
        if (fr.op == SAMI_XFER_L2_DATA && fr.frag_count != 1 && fr.frag_index != 0)
            tr_hex(t, "fragment", fr.payload, fr.payload_len, 64);
    }
    tr_close(t);
    stats_inc2("L2", opn);
    sb_puts(f->sum, opn);
    sb_puts(f->sum, " seq ");
    sb_u64(f->sum, fr.seq);
    sb_puts(f->sum, " frag ");
    sb_u64(f->sum, fr.frag_index);
    sb_putc(f->sum, '/');
    sb_u64(f->sum, fr.frag_count);
    if (fr.op != SAMI_XFER_L2_DATA)
        return;
    sb_puts(f->sum, " len ");
    sb_u64(f->sum, fr.payload_len);
    sb_putc(f->sum, ' ');
    size_t poff = off + SAMI_XFER_L2_HDR_LEN;
    if (fr.frag_count == 1) {
        dissect_xfer_msg(f, poff, fr.payload_len);
        return;
    }
    /* A fragment: the first one still shows which message starts. */
    struct sami_rd r;
    struct sami_err herr;
    struct sami_xfer_hdr h;
    sami_rd_init(&r, fr.payload, fr.payload_len, &herr);
    if (fr.frag_index == 0 && sami_xfer_read_hdr(&r, f->o->max_body, &h) == 0) {
        sum_hdr(f->sum, &h);
        sb_puts(f->sum, " (first fragment)");
        timeline_xfer(f, &h, false, 0, 0);
        stats_inc2("xfer", sami_xfer_type_name(h.type));
        tr_open_r(t, "xfer", T_OBJ, poff, fr.payload_len);
        show_hdr(f, &h);
        tr_s(t, "note", "fragmented message: header only");
        tr_close(t);
    } else {
        sb_puts(f->sum, "(fragment)");
        if (fr.frag_index == 0)
            tr_hex(t, "fragment", fr.payload, fr.payload_len, 64);
    }
}

/* ---- TCP stream binding ---- */

/* Per-direction stream state so a segment that continues a message started
 * earlier is recognised: next expected sequence number and how many octets
 * of the current message are still to come. Fixed size, round-robin reuse. */
#define FLOWS 64

struct flow {
    struct sniff_flow_key k;
    bool used;
    bool aligned;   /* we know where the next message starts */
    uint32_t next;  /* next expected TCP sequence number */
    size_t skip;    /* octets of an unseen message still to come */
};

static struct flow flows[FLOWS];
static unsigned flow_rr;

static struct flow *flow_get(const struct sniff_flow_key *k)
{
    for (unsigned i = 0; i < FLOWS; i++)
        if (flows[i].used && !memcmp(&flows[i].k, k, sizeof *k))
            return &flows[i];
    struct flow *fl = &flows[flow_rr++ % FLOWS];
    memset(fl, 0, sizeof *fl);
    memcpy(&fl->k, k, sizeof *k); /* bytewise: memcmp looks at padding too */
    fl->used = true;
    return fl;
}

static bool plausible(const uint8_t *p, size_t n, size_t max)
{
    size_t mlen;
    if (n < SAMI_XFER_STREAM_PREFIX_LEN ||
        sami_xfer_stream_frame_len(p, max, &mlen) != 0)
        return false;
    if (n >= 6 && (p[4] != SAMI_XFER_VERSION || p[5] < 1 || p[5] > SAMI_XFER_TYPE_MAX))
        return false;
    return true;
}

static void stream_item(struct sniff_frame *f, const char *kind, size_t off, size_t len)
{
    struct tree *t = f->t;
    if (!tr_on(t)) {
        tr_open(t, NULL, T_OBJ);
        return;
    }
    struct tnode *o = tr_open_r(t, NULL, T_OBJ, off, len);
    uint32_t m = tr_mark(t);
    sb_puts(&t->arena, kind);
    tr_set_str_m(t, o, m);
    tr_s(t, "kind", kind)->flags |= TF_JONLY;
    tr_u(t, "offset", off)->flags |= TF_JONLY;
    tr_u(t, "len", len)->flags |= TF_JONLY;
}

void dissect_xfer_stream(struct sniff_frame *f, const struct sniff_flow_key *k, uint32_t seq,
                         size_t off, size_t len)
{
    struct tree *t = f->t;
    const uint8_t *p = f->pkt + off;
    size_t max = f->o->max_body + SAMI_XFER_OVERHEAD;
    struct flow *fl = flow_get(k);
    bool known = fl->aligned && fl->next == seq;
    /* Only a segment at or after the expected point moves the state:
     * retransmissions are decoded again but do not disturb it. */
    bool advance = !fl->aligned || (int32_t)(seq - fl->next) >= 0;
    size_t pos = 0;
    bool lost = false;
    const char *sep = "";

    bool cont = known && fl->skip; /* starts with the rest of a message */
    tr_open(t, "stream", T_ARR);
    if (cont) {
        size_t c = fl->skip < len ? fl->skip : len;
        stream_item(f, "continuation", off, c);
        tr_close(t);
        sb_puts(f->sum, "continuation ");
        sb_u64(f->sum, c);
        sep = "; ";
        stats_inc("xfer continuation");
        pos = c;
        if (advance)
            fl->skip -= c;
    } else if (!known && !plausible(p, len, max)) {
        stream_item(f, "continuation", off, len);
        tr_close(t);
        sb_puts(f->sum, "continuation ");
        sb_u64(f->sum, len);
        stats_inc("xfer continuation");
        pos = len;
        lost = true;
    }
    size_t skip = 0;
    while (pos < len) {
        sb_puts(f->sum, sep);
        sep = "; ";
        if (len - pos < SAMI_XFER_STREAM_PREFIX_LEN) {
            stream_item(f, "partial prefix", off + pos, len - pos);
            tr_close(t);
            sb_puts(f->sum, "partial length prefix");
            lost = true;
            break;
        }
        size_t mlen;
        struct sami_err err;
        memset(&err, 0, sizeof err);
        int rc = sami_xfer_stream_frame_len(p + pos, max, &mlen);
        if (rc) {
            stream_item(f, "bad prefix", off + pos, len - pos);
            if (tr_on(t)) {
                tr_u(t, "prefix", (uint32_t)p[pos] << 24 | (uint32_t)p[pos + 1] << 16 |
                                      (uint32_t)p[pos + 2] << 8 | p[pos + 3]);
                tr_hex(t, "undecoded", p + pos, len - pos, 64);
            }
            tr_close(t);
            sb_puts(f->sum, "xfer stream");
            stats_inc("xfer (bad prefix)");
            sniff_malformed_at(f, "stream", rc, off + pos, -1, "xfer.stream.length");
            lost = true;
            break;
        }
        size_t have = len - pos - SAMI_XFER_STREAM_PREFIX_LEN;
        if (mlen > have) {
            /* The message goes on in later segments. */
            stream_item(f, "partial", off + pos, len - pos);
            tr_u(t, "message_len", mlen);
            struct sami_rd r;
            struct sami_err herr;
            struct sami_xfer_hdr h;
            sami_rd_init(&r, p + pos + 4, have, &herr);
            if (sami_xfer_read_hdr(&r, f->o->max_body, &h) == 0) {
                sum_hdr(f->sum, &h);
                timeline_xfer(f, &h, false, 0, 0);
                stats_inc2("xfer", sami_xfer_type_name(h.type));
                tr_open_r(t, "xfer", T_OBJ, off + pos + 4, have);
                show_hdr(f, &h);
                tr_close(t);
            } else {
                sb_puts(f->sum, "xfer");
                stats_inc("xfer partial");
            }
            sb_puts(f->sum, " (partial ");
            sb_u64(f->sum, have);
            sb_putc(f->sum, '/');
            sb_u64(f->sum, mlen);
            sb_putc(f->sum, ')');
            tr_close(t);
            skip = mlen - have;
            pos = len;
            break;
        }
        stream_item(f, "message", off + pos, SAMI_XFER_STREAM_PREFIX_LEN + mlen);
        tr_u(t, "message_len", mlen);
        dissect_xfer_msg(f, off + pos + SAMI_XFER_STREAM_PREFIX_LEN, mlen);
        tr_close(t);
        pos += SAMI_XFER_STREAM_PREFIX_LEN + mlen;
    }
    tr_close(t); /* stream */
    if (advance) {
        fl->next = seq + (uint32_t)len;
        if (lost) {
            fl->aligned = false;
            fl->skip = 0;
        } else {
            fl->aligned = true;
            /* A segment that only continued a message keeps the rest to
             * come; otherwise what this segment's last message lacks. */
            if (!cont || fl->skip == 0)
                fl->skip = skip;
        }
    }
}
