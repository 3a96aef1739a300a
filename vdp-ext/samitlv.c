/* sami org-defined TLVs in VDP: notification (0x02) and feedback (0x03).
 * Byte layouts: docs/PROTOCOL.md section 4. */
#include "sami/samitlv.h"

#include <string.h>

#define SAMITLV_VDP_TYPE 127 /* reported as err->tlv_type for the whole value */

static const uint8_t samitlv_default_oui[3] = SAMI_OUI_DEFAULT;

static const uint8_t *pick_oui(const uint8_t *oui)
{
    return oui ? oui : samitlv_default_oui;
}

/* ---------------------------------------------------------------- names -- */

const char *sami_tp_name(int tp)
{
    switch (tp) {
    case SAMI_TP_PREPARE: return "PREPARE";
    case SAMI_TP_SUSPENDED: return "SUSPENDED";
    case SAMI_TP_RESUMED: return "RESUMED";
    case SAMI_TP_COMPLETED: return "COMPLETED";
    case SAMI_TP_ABORTED: return "ABORTED";
    default: return "UNKNOWN";
    }
}

const char *sami_verdict_name(int verdict)
{
    switch (verdict) {
    case SAMI_VERDICT_PENDING: return "PENDING";
    case SAMI_VERDICT_PROCEED: return "PROCEED";
    case SAMI_VERDICT_ROLLBACK: return "ROLLBACK";
    default: return "UNKNOWN";
    }
}

const char *sami_di_status_name(int status)
{
    switch (status) {
    case SAMI_DI_STATUS_OK: return "OK";
    case SAMI_DI_STATUS_PARTIAL: return "PARTIAL";
    case SAMI_DI_STATUS_FAILED: return "FAILED";
    case SAMI_DI_STATUS_UNSUPPORTED: return "UNSUPPORTED";
    case SAMI_DI_STATUS_TIMEOUT: return "TIMEOUT";
    default: return "UNKNOWN";
    }
}

const char *sami_fb_reason_name(int reason)
{
    switch (reason) {
    case SAMI_FB_REASON_NONE: return "NONE";
    case SAMI_FB_REASON_LIMIT: return "LIMIT_REACHED";
    case SAMI_FB_REASON_AUTH: return "AUTH_FAILURE";
    case SAMI_FB_REASON_UNREACHABLE: return "PEER_UNREACHABLE";
    case SAMI_FB_REASON_REJECTED: return "REJECTED";
    case SAMI_FB_REASON_DIGEST: return "DIGEST_MISMATCH";
    case SAMI_FB_REASON_DEADLINE: return "DEADLINE_MISSED";
    case SAMI_FB_REASON_ABORTED: return "ABORTED";
    case SAMI_FB_REASON_VERSION: return "UNSUPPORTED_VERSION";
    case SAMI_FB_REASON_INTERNAL: return "INTERNAL";
    default: return "UNKNOWN";
    }
}

const char *sami_abort_reason_name(int reason)
{
    switch (reason) {
    case SAMI_ABORT_OPERATOR: return "OPERATOR";
    case SAMI_ABORT_HV_ERROR: return "HYPERVISOR_ERROR";
    case SAMI_ABORT_ROLLBACK: return "DI_ROLLBACK";
    case SAMI_ABORT_TIMEOUT: return "TIMEOUT";
    case SAMI_ABORT_OTHER: return "OTHER";
    default: return "UNKNOWN";
    }
}

/* ------------------------------------------------------- shared pieces -- */

int sami_bridge_ref_read(struct sami_rd *r, struct sami_bridge_ref *out)
{
    size_t at;
    if (sami_rd_left(r) < SAMI_BRIDGE_REF_MIN_LEN)
        return sami_rd_fail(r, SAMI_ERR_LENGTH, "bridge");
    /* the size check above guarantees the next two octets */
    if (sami_rd_u8(r, &out->chassis_id_subtype, "bridge.chassis_id_subtype"))
        return SAMI_ERR_TRUNCATED;
    at = sami_rd_offset(r);
    if (sami_rd_u8(r, &out->chassis_id_len, "bridge.chassis_id_len"))
        return SAMI_ERR_TRUNCATED;
    /* port subtype, port length and at least one port octet must follow */
    if (out->chassis_id_len == 0 || sami_rd_left(r) < (size_t)out->chassis_id_len + 3)
        return sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "bridge.chassis_id_len");
    if (sami_rd_bytes(r, out->chassis_id, out->chassis_id_len, "bridge.chassis_id") ||
        sami_rd_u8(r, &out->port_id_subtype, "bridge.port_id_subtype"))
        return SAMI_ERR_TRUNCATED;
    at = sami_rd_offset(r);
    if (sami_rd_u8(r, &out->port_id_len, "bridge.port_id_len"))
        return SAMI_ERR_TRUNCATED;
    if (out->port_id_len == 0 || sami_rd_left(r) != out->port_id_len)
        return sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "bridge.port_id_len");
    return sami_rd_bytes(r, out->port_id, out->port_id_len, "bridge.port_id");
}

void sami_bridge_ref_write(struct sami_wr *w, const struct sami_bridge_ref *in)
{
    sami_wr_u8(w, in->chassis_id_subtype);
    sami_wr_u8(w, in->chassis_id_len);
    sami_wr_bytes(w, in->chassis_id, in->chassis_id_len);
    sami_wr_u8(w, in->port_id_subtype);
    sami_wr_u8(w, in->port_id_len);
    sami_wr_bytes(w, in->port_id, in->port_id_len);
}

int sami_bridge_ref_check(const struct sami_bridge_ref *in)
{
    if (in->chassis_id_len == 0 || in->port_id_len == 0)
        return SAMI_ERR_VALUE;
    return 0;
}

size_t sami_bridge_ref_size(const struct sami_bridge_ref *in)
{
    return 4u + in->chassis_id_len + in->port_id_len;
}

int sami_bridge_ref_equal(const struct sami_bridge_ref *a, const struct sami_bridge_ref *b)
{
    return a->chassis_id_subtype == b->chassis_id_subtype &&
           a->chassis_id_len == b->chassis_id_len &&
           memcmp(a->chassis_id, b->chassis_id, a->chassis_id_len) == 0 &&
           a->port_id_subtype == b->port_id_subtype && a->port_id_len == b->port_id_len &&
           memcmp(a->port_id, b->port_id, a->port_id_len) == 0;
}

int sami_fb_result_read(struct sami_rd *r, struct sami_fb_result *out)
{
    size_t at = sami_rd_offset(r);
    if (sami_rd_u8(r, &out->di_type, "samitlv.result.di_type") ||
        sami_rd_u8(r, &out->status, "samitlv.result.status") ||
        sami_rd_u16(r, &out->reason, "samitlv.result.reason") ||
        sami_rd_u32(r, &out->records_sent, "samitlv.result.records_sent") ||
        sami_rd_u32(r, &out->records_installed, "samitlv.result.records_installed"))
        return SAMI_ERR_TRUNCATED;
    if (out->di_type == 0)
        return sami_rd_fail_at(r, at, SAMI_ERR_VALUE, "samitlv.result.di_type");
    if (out->status > SAMI_DI_STATUS_TIMEOUT)
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.result.status");
    return 0;
}

void sami_fb_result_write(struct sami_wr *w, const struct sami_fb_result *in)
{
    sami_wr_u8(w, in->di_type);
    sami_wr_u8(w, in->status);
    sami_wr_u16(w, in->reason);
    sami_wr_u32(w, in->records_sent);
    sami_wr_u32(w, in->records_installed);
}

/* ------------------------------------------------------ common framing -- */

/* OUI + subtype. want < 0 accepts any subtype (peek). */
static int read_head(struct sami_rd *r, const uint8_t *oui, int want, uint8_t *subtype)
{
    size_t at = sami_rd_offset(r);
    uint8_t got[3];
    if (sami_rd_left(r) > SAMI_SAMITLV_MAX_VALUE)
        return sami_rd_fail(r, SAMI_ERR_TOOBIG, "samitlv.length");
    if (sami_rd_bytes(r, got, sizeof got, "samitlv.oui"))
        return SAMI_ERR_TRUNCATED;
    if (memcmp(got, oui, sizeof got) != 0)
        return sami_rd_fail_at(r, at, SAMI_ERR_OUI, "samitlv.oui");
    if (sami_rd_u8(r, subtype, "samitlv.subtype"))
        return SAMI_ERR_TRUNCATED;
    if (want >= 0 && *subtype != (unsigned)want)
        return sami_rd_fail_at(r, at + 3, SAMI_ERR_TYPE, "samitlv.subtype");
    return 0;
}

/* One element: header read, value carved into e->v. at = its type octet. */
struct samitlv_elem {
    size_t at;
    uint8_t type;
    uint8_t len;
    struct sami_rd v;
};

/* name(type) gives err->what, so an overrun names the element that lies. */
static int next_elem(struct sami_rd *r, struct samitlv_elem *e, const char *(*name)(unsigned))
{
    e->at = sami_rd_offset(r);
    /* name() only on failure: it is a switch per call, paid per element */
    if (sami_rd_left(r) < 2) {
        if (sami_rd_done(r))
            return sami_rd_fail(r, SAMI_ERR_TRUNCATED, name(0x100));
        e->type = r->p[r->pos++];
        return sami_rd_fail(r, SAMI_ERR_TRUNCATED, name(e->type));
    }
    e->type = r->p[r->pos];
    e->len = r->p[r->pos + 1];
    r->pos += 2;
    /* reported at the length octet: that is the field that lies */
    if (e->len > sami_rd_left(r))
        return sami_rd_fail_at(r, e->at + 1, SAMI_ERR_LENGTH, name(e->type));
    return sami_rd_sub(r, &e->v, e->len, r->tlv_type, "samitlv.element");
}

static int elem_len_is(struct sami_rd *r, const struct samitlv_elem *e, size_t n, const char *what)
{
    if (e->len != n)
        return sami_rd_fail_at(r, e->at + 1, SAMI_ERR_LENGTH, what);
    return 0;
}

static int elem_bridge(struct sami_rd *r, struct samitlv_elem *e, struct sami_bridge_ref *out,
                       const char *what)
{
    /* too short to hold both ids: the element length is what is wrong */
    if (e->len < SAMI_BRIDGE_REF_MIN_LEN)
        return sami_rd_fail_at(r, e->at + 1, SAMI_ERR_LENGTH, what);
    return sami_bridge_ref_read(&e->v, out);
}

/* An element length is one octet, so both ids together get at most 251. */
static int bridge_elem_bad(const struct sami_bridge_ref *b)
{
    return sami_bridge_ref_check(b) != 0 || sami_bridge_ref_size(b) > SAMI_SAMITLV_MAX_BRIDGE_LEN;
}

static int check_tp(int tp)
{
    return tp >= SAMI_TP_PREPARE && tp <= SAMI_TP_ABORTED;
}

/* --------------------------------------------------------- notification -- */

static const char *notif_elem_name(unsigned type)
{
    switch (type) {
    case SAMI_SAMITLV_N_VM_ID: return "samitlv.notif.vm_id";
    case SAMI_SAMITLV_N_MAC_VLAN: return "samitlv.notif.mac_vlan";
    case SAMI_SAMITLV_N_IPV4: return "samitlv.notif.ipv4";
    case SAMI_SAMITLV_N_IPV6: return "samitlv.notif.ipv6";
    case SAMI_SAMITLV_N_ORIG_BRIDGE: return "samitlv.notif.orig_bridge";
    case SAMI_SAMITLV_N_DEST_BRIDGE: return "samitlv.notif.dest_bridge";
    case SAMI_SAMITLV_N_REASON: return "samitlv.notif.reason";
    default: return "samitlv.notif.element";
    }
}

static int notif_elem(struct sami_rd *r, struct samitlv_elem *e, struct sami_notif *out,
                      unsigned *seen)
{
    const char *what = notif_elem_name(e->type);
    int rc;

    /* once-only elements */
    if (e->type == SAMI_SAMITLV_N_VM_ID || e->type == SAMI_SAMITLV_N_ORIG_BRIDGE ||
        e->type == SAMI_SAMITLV_N_DEST_BRIDGE || e->type == SAMI_SAMITLV_N_REASON) {
        if (*seen & (1u << e->type))
            return sami_rd_fail_at(r, e->at, SAMI_ERR_DUPLICATE, what);
        *seen |= 1u << e->type;
    }

    switch (e->type) {
    case SAMI_SAMITLV_N_VM_ID:
        if ((rc = elem_len_is(r, e, SAMI_VM_ID_LEN, what)) != 0)
            return rc;
        return sami_vm_id_read(&e->v, &out->vm);
    case SAMI_SAMITLV_N_MAC_VLAN: {
        struct sami_samitlv_mac_vlan *m;
        if (out->n_macs >= SAMI_SAMITLV_MAX_MACS)
            return sami_rd_fail_at(r, e->at, SAMI_ERR_TOOBIG, what);
        if ((rc = elem_len_is(r, e, 8, what)) != 0)
            return rc;
        m = &out->macs[out->n_macs];
        if (sami_rd_bytes(&e->v, m->mac, sizeof m->mac, what) ||
            sami_rd_u16(&e->v, &m->word, what))
            return SAMI_ERR_TRUNCATED;
        out->n_macs++;
        return 0;
    }
    case SAMI_SAMITLV_N_IPV4:
        if (out->n_ipv4 >= SAMI_SAMITLV_MAX_IPV4)
            return sami_rd_fail_at(r, e->at, SAMI_ERR_TOOBIG, what);
        if ((rc = elem_len_is(r, e, 4, what)) != 0)
            return rc;
        if (sami_rd_bytes(&e->v, out->ipv4[out->n_ipv4], 4, what))
            return SAMI_ERR_TRUNCATED;
        out->n_ipv4++;
        return 0;
    case SAMI_SAMITLV_N_IPV6:
        if (out->n_ipv6 >= SAMI_SAMITLV_MAX_IPV6)
            return sami_rd_fail_at(r, e->at, SAMI_ERR_TOOBIG, what);
        if ((rc = elem_len_is(r, e, 16, what)) != 0)
            return rc;
        if (sami_rd_bytes(&e->v, out->ipv6[out->n_ipv6], 16, what))
            return SAMI_ERR_TRUNCATED;
        out->n_ipv6++;
        return 0;
    case SAMI_SAMITLV_N_ORIG_BRIDGE:
        return elem_bridge(r, e, &out->orig_bridge, what);
    case SAMI_SAMITLV_N_DEST_BRIDGE:
        return elem_bridge(r, e, &out->dest_bridge, what);
    case SAMI_SAMITLV_N_REASON:
        if ((rc = elem_len_is(r, e, 2, what)) != 0)
            return rc;
        if (sami_rd_u16(&e->v, &out->reason, what))
            return SAMI_ERR_TRUNCATED;
        out->has_reason = 1;
        return 0;
    default:
        /* forward compatibility: newer elements are skipped by length */
        out->unknown_elements++;
        return 0;
    }
}

/* Zeroes what a decode may leave unset: scalars, counts and bridge lengths.
 * List and id arrays are only meaningful up to their counts / lengths, and
 * clearing all 1.4 KB of them cost more than the rest of the decode. */
static void notif_clear(struct sami_notif *out)
{
    out->version = out->time_point = out->flags = 0;
    out->migration_id = out->timestamp_ms = 0;
    out->next_deadline_ms = out->di_types = 0;
    memset(&out->vm, 0, sizeof out->vm);
    out->n_macs = out->n_ipv4 = out->n_ipv6 = 0;
    out->orig_bridge.chassis_id_subtype = out->orig_bridge.chassis_id_len = 0;
    out->orig_bridge.port_id_subtype = out->orig_bridge.port_id_len = 0;
    out->dest_bridge.chassis_id_subtype = out->dest_bridge.chassis_id_len = 0;
    out->dest_bridge.port_id_subtype = out->dest_bridge.port_id_len = 0;
    out->has_reason = 0;
    out->reason = 0;
    out->unknown_elements = 0;
}

static int notif_read(struct sami_rd *r, const uint8_t *oui, struct sami_notif *out)
{
    uint8_t subtype, reserved;
    unsigned seen = 0;
    size_t at;
    int rc;

    notif_clear(out);
    if ((rc = read_head(r, oui, SAMI_SUBTYPE_NOTIFICATION, &subtype)) != 0)
        return rc;
    at = sami_rd_offset(r);
    if (sami_rd_u8(r, &out->version, "samitlv.notif.version"))
        return SAMI_ERR_TRUNCATED;
    if (out->version != SAMI_SAMITLV_VERSION)
        return sami_rd_fail_at(r, at, SAMI_ERR_VERSION, "samitlv.notif.version");
    if (sami_rd_u8(r, &out->time_point, "samitlv.notif.time_point"))
        return SAMI_ERR_TRUNCATED;
    if (!check_tp(out->time_point))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.notif.time_point");
    /* reserved bits and the reserved octet are ignored on receipt */
    if (sami_rd_u8(r, &out->flags, "samitlv.notif.flags") ||
        sami_rd_u8(r, &reserved, "samitlv.notif.reserved") ||
        sami_rd_u64(r, &out->migration_id, "samitlv.notif.migration_id") ||
        sami_rd_u64(r, &out->timestamp_ms, "samitlv.notif.timestamp") ||
        sami_rd_u32(r, &out->next_deadline_ms, "samitlv.notif.next_deadline") ||
        sami_rd_u32(r, &out->di_types, "samitlv.notif.di_types"))
        return SAMI_ERR_TRUNCATED;

    while (!sami_rd_done(r)) {
        struct samitlv_elem e;
        if ((rc = next_elem(r, &e, notif_elem_name)) != 0)
            return rc;
        if ((rc = notif_elem(r, &e, out, &seen)) != 0)
            return rc;
    }

    if (!(seen & (1u << SAMI_SAMITLV_N_VM_ID)))
        return sami_rd_fail(r, SAMI_ERR_MISSING, "samitlv.notif.vm_id");
    if (!(seen & (1u << SAMI_SAMITLV_N_ORIG_BRIDGE)))
        return sami_rd_fail(r, SAMI_ERR_MISSING, "samitlv.notif.orig_bridge");
    if (!(seen & (1u << SAMI_SAMITLV_N_DEST_BRIDGE)))
        return sami_rd_fail(r, SAMI_ERR_MISSING, "samitlv.notif.dest_bridge");
    return 0;
}

int sami_samitlv_notif_read(struct sami_rd *r, const uint8_t oui[3], struct sami_notif *out)
{
    int saved = r->tlv_type;
    int rc;
    r->tlv_type = SAMITLV_VDP_TYPE;
    rc = notif_read(r, pick_oui(oui), out);
    r->tlv_type = saved;
    return rc;
}

int sami_samitlv_notif_decode(const uint8_t *value, size_t len, const uint8_t oui[3],
                              struct sami_notif *out, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, value, len, err);
    return sami_samitlv_notif_read(&r, oui, out);
}

static size_t notif_info_size(const struct sami_notif *in)
{
    size_t n = SAMI_SAMITLV_NOTIF_FIXED_LEN + 2 + SAMI_VM_ID_LEN;
    n += (size_t)in->n_macs * (2 + 8) + (size_t)in->n_ipv4 * (2 + 4) +
         (size_t)in->n_ipv6 * (2 + 16);
    n += 2 + sami_bridge_ref_size(&in->orig_bridge) + 2 + sami_bridge_ref_size(&in->dest_bridge);
    if (in->has_reason)
        n += 2 + 2;
    return n;
}

size_t sami_samitlv_notif_size(const struct sami_notif *in)
{
    return 4 + notif_info_size(in);
}

int sami_samitlv_notif_check(const struct sami_notif *in)
{
    if (in->version > SAMI_SAMITLV_VERSION)
        return SAMI_ERR_VERSION;
    if (!check_tp(in->time_point) || (in->flags & ~SAMI_SAMITLV_FLAGS_DEFINED) ||
        (in->di_types & 1u) || in->vm.type_id > 0xffffffu)
        return SAMI_ERR_VALUE;
    if (in->n_macs > SAMI_SAMITLV_MAX_MACS || in->n_ipv4 > SAMI_SAMITLV_MAX_IPV4 ||
        in->n_ipv6 > SAMI_SAMITLV_MAX_IPV6)
        return SAMI_ERR_TOOBIG;
    if (bridge_elem_bad(&in->orig_bridge) || bridge_elem_bad(&in->dest_bridge))
        return SAMI_ERR_VALUE;
    if (notif_info_size(in) > SAMI_SAMITLV_MAX_INFO)
        return SAMI_ERR_TOOBIG;
    return 0;
}

static void write_head(struct sami_wr *w, const uint8_t *oui, unsigned subtype)
{
    sami_wr_bytes(w, pick_oui(oui), 3);
    sami_wr_u8(w, (uint8_t)subtype);
}

static void write_elem_hdr(struct sami_wr *w, unsigned type, size_t len)
{
    sami_wr_u8(w, (uint8_t)type);
    sami_wr_u8(w, (uint8_t)len);
}

static unsigned clamp(unsigned n, unsigned max)
{
    return n < max ? n : max;
}

void sami_samitlv_notif_write(struct sami_wr *w, const uint8_t oui[3],
                              const struct sami_notif *in)
{
    unsigned i, n;

    write_head(w, oui, SAMI_SUBTYPE_NOTIFICATION);
    sami_wr_u8(w, SAMI_SAMITLV_VERSION);
    sami_wr_u8(w, in->time_point);
    sami_wr_u8(w, in->flags);
    sami_wr_u8(w, 0);
    sami_wr_u64(w, in->migration_id);
    sami_wr_u64(w, in->timestamp_ms);
    sami_wr_u32(w, in->next_deadline_ms);
    sami_wr_u32(w, in->di_types);

    write_elem_hdr(w, SAMI_SAMITLV_N_VM_ID, SAMI_VM_ID_LEN);
    sami_vm_id_write(w, &in->vm);
    n = clamp(in->n_macs, SAMI_SAMITLV_MAX_MACS);
    for (i = 0; i < n; i++) {
        write_elem_hdr(w, SAMI_SAMITLV_N_MAC_VLAN, 8);
        sami_wr_bytes(w, in->macs[i].mac, 6);
        sami_wr_u16(w, in->macs[i].word);
    }
    n = clamp(in->n_ipv4, SAMI_SAMITLV_MAX_IPV4);
    for (i = 0; i < n; i++) {
        write_elem_hdr(w, SAMI_SAMITLV_N_IPV4, 4);
        sami_wr_bytes(w, in->ipv4[i], 4);
    }
    n = clamp(in->n_ipv6, SAMI_SAMITLV_MAX_IPV6);
    for (i = 0; i < n; i++) {
        write_elem_hdr(w, SAMI_SAMITLV_N_IPV6, 16);
        sami_wr_bytes(w, in->ipv6[i], 16);
    }
    write_elem_hdr(w, SAMI_SAMITLV_N_ORIG_BRIDGE, sami_bridge_ref_size(&in->orig_bridge));
    sami_bridge_ref_write(w, &in->orig_bridge);
    write_elem_hdr(w, SAMI_SAMITLV_N_DEST_BRIDGE, sami_bridge_ref_size(&in->dest_bridge));
    sami_bridge_ref_write(w, &in->dest_bridge);
    if (in->has_reason) {
        write_elem_hdr(w, SAMI_SAMITLV_N_REASON, 2);
        sami_wr_u16(w, in->reason);
    }
}

int sami_samitlv_notif_encode(const struct sami_notif *in, const uint8_t oui[3], uint8_t *buf,
                              size_t cap, size_t *len)
{
    struct sami_wr w;
    int rc = sami_samitlv_notif_check(in);
    if (rc != 0) {
        if (len)
            *len = 0;
        return rc;
    }
    sami_wr_init(&w, buf, cap);
    sami_samitlv_notif_write(&w, oui, in);
    return sami_wr_finish(&w, len);
}

/* ------------------------------------------------------------- feedback -- */

static const char *feedback_elem_name(unsigned type)
{
    switch (type) {
    case SAMI_SAMITLV_F_RESULT: return "samitlv.feedback.result";
    case SAMI_SAMITLV_F_BRIDGE: return "samitlv.feedback.bridge";
    default: return "samitlv.feedback.element";
    }
}

static int feedback_elem(struct sami_rd *r, struct samitlv_elem *e, struct sami_feedback *out)
{
    int rc;
    switch (e->type) {
    case SAMI_SAMITLV_F_RESULT: {
        struct sami_fb_result res;
        unsigned i;
        if ((rc = elem_len_is(r, e, SAMI_FB_RESULT_LEN, "samitlv.feedback.result")) != 0)
            return rc;
        if ((rc = sami_fb_result_read(&e->v, &res)) != 0)
            return rc;
        for (i = 0; i < out->n_results; i++)
            if (out->results[i].di_type == res.di_type)
                return sami_rd_fail_at(r, e->at, SAMI_ERR_DUPLICATE, "samitlv.feedback.result");
        if (out->n_results >= SAMI_SAMITLV_MAX_RESULTS)
            return sami_rd_fail_at(r, e->at, SAMI_ERR_TOOBIG, "samitlv.feedback.result");
        out->results[out->n_results++] = res;
        return 0;
    }
    case SAMI_SAMITLV_F_BRIDGE:
        if (out->has_bridge)
            return sami_rd_fail_at(r, e->at, SAMI_ERR_DUPLICATE, "samitlv.feedback.bridge");
        if ((rc = elem_bridge(r, e, &out->bridge, "samitlv.feedback.bridge")) != 0)
            return rc;
        out->has_bridge = 1;
        return 0;
    default:
        out->unknown_elements++;
        return 0;
    }
}

static int feedback_read(struct sami_rd *r, const uint8_t *oui, struct sami_feedback *out)
{
    uint8_t subtype;
    size_t at;
    int rc;

    /* header fields, counts and the bridge lengths; arrays count-bounded */
    memset(out, 0, offsetof(struct sami_feedback, results));
    out->has_bridge = 0;
    out->bridge.chassis_id_subtype = out->bridge.chassis_id_len = 0;
    out->bridge.port_id_subtype = out->bridge.port_id_len = 0;
    out->unknown_elements = 0;
    if ((rc = read_head(r, oui, SAMI_SUBTYPE_FEEDBACK, &subtype)) != 0)
        return rc;
    at = sami_rd_offset(r);
    if (sami_rd_u8(r, &out->version, "samitlv.feedback.version"))
        return SAMI_ERR_TRUNCATED;
    if (out->version != SAMI_SAMITLV_VERSION)
        return sami_rd_fail_at(r, at, SAMI_ERR_VERSION, "samitlv.feedback.version");
    if (sami_rd_u8(r, &out->verdict, "samitlv.feedback.verdict"))
        return SAMI_ERR_TRUNCATED;
    if (out->verdict > SAMI_VERDICT_ROLLBACK)
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.feedback.verdict");
    if (sami_rd_u8(r, &out->time_point, "samitlv.feedback.time_point"))
        return SAMI_ERR_TRUNCATED;
    if (!check_tp(out->time_point))
        return sami_rd_fail_at(r, at + 2, SAMI_ERR_VALUE, "samitlv.feedback.time_point");
    if (sami_rd_u8(r, &out->flags, "samitlv.feedback.flags") ||
        sami_rd_u64(r, &out->migration_id, "samitlv.feedback.migration_id") ||
        sami_rd_u32(r, &out->transfer_time_us, "samitlv.feedback.transfer_time"))
        return SAMI_ERR_TRUNCATED;

    while (!sami_rd_done(r)) {
        struct samitlv_elem e;
        if ((rc = next_elem(r, &e, feedback_elem_name)) != 0)
            return rc;
        if ((rc = feedback_elem(r, &e, out)) != 0)
            return rc;
    }
    return 0;
}

int sami_samitlv_feedback_read(struct sami_rd *r, const uint8_t oui[3],
                               struct sami_feedback *out)
{
    int saved = r->tlv_type;
    int rc;
    r->tlv_type = SAMITLV_VDP_TYPE;
    rc = feedback_read(r, pick_oui(oui), out);
    r->tlv_type = saved;
    return rc;
}

int sami_samitlv_feedback_decode(const uint8_t *value, size_t len, const uint8_t oui[3],
                                 struct sami_feedback *out, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, value, len, err);
    return sami_samitlv_feedback_read(&r, oui, out);
}

static size_t feedback_info_size(const struct sami_feedback *in)
{
    size_t n = SAMI_SAMITLV_FB_FIXED_LEN + (size_t)in->n_results * (2 + SAMI_FB_RESULT_LEN);
    if (in->has_bridge)
        n += 2 + sami_bridge_ref_size(&in->bridge);
    return n;
}

size_t sami_samitlv_feedback_size(const struct sami_feedback *in)
{
    return 4 + feedback_info_size(in);
}

int sami_samitlv_feedback_check(const struct sami_feedback *in)
{
    unsigned i, j;
    if (in->version > SAMI_SAMITLV_VERSION)
        return SAMI_ERR_VERSION;
    if (in->verdict > SAMI_VERDICT_ROLLBACK || !check_tp(in->time_point) || in->flags != 0)
        return SAMI_ERR_VALUE;
    if (in->n_results > SAMI_SAMITLV_MAX_RESULTS)
        return SAMI_ERR_TOOBIG;
    for (i = 0; i < in->n_results; i++) {
        const struct sami_fb_result *res = &in->results[i];
        if (res->di_type == 0 || res->status > SAMI_DI_STATUS_TIMEOUT)
            return SAMI_ERR_VALUE;
        for (j = 0; j < i; j++)
            if (in->results[j].di_type == res->di_type)
                return SAMI_ERR_DUPLICATE;
    }
    if (in->has_bridge && bridge_elem_bad(&in->bridge))
        return SAMI_ERR_VALUE;
    if (feedback_info_size(in) > SAMI_SAMITLV_MAX_INFO)
        return SAMI_ERR_TOOBIG;
    return 0;
}

void sami_samitlv_feedback_write(struct sami_wr *w, const uint8_t oui[3],
                                 const struct sami_feedback *in)
{
    unsigned i, n;

    write_head(w, oui, SAMI_SUBTYPE_FEEDBACK);
    sami_wr_u8(w, SAMI_SAMITLV_VERSION);
    sami_wr_u8(w, in->verdict);
    sami_wr_u8(w, in->time_point);
    sami_wr_u8(w, in->flags);
    sami_wr_u64(w, in->migration_id);
    sami_wr_u32(w, in->transfer_time_us);
    n = clamp(in->n_results, SAMI_SAMITLV_MAX_RESULTS);
    for (i = 0; i < n; i++) {
        write_elem_hdr(w, SAMI_SAMITLV_F_RESULT, SAMI_FB_RESULT_LEN);
        sami_fb_result_write(w, &in->results[i]);
    }
    if (in->has_bridge) {
        write_elem_hdr(w, SAMI_SAMITLV_F_BRIDGE, sami_bridge_ref_size(&in->bridge));
        sami_bridge_ref_write(w, &in->bridge);
    }
}

int sami_samitlv_feedback_encode(const struct sami_feedback *in, const uint8_t oui[3],
                                 uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_wr w;
    int rc = sami_samitlv_feedback_check(in);
    if (rc != 0) {
        if (len)
            *len = 0;
        return rc;
    }
    sami_wr_init(&w, buf, cap);
    sami_samitlv_feedback_write(&w, oui, in);
    return sami_wr_finish(&w, len);
}

/* ---------------------------------------------------------------- peek -- */

int sami_samitlv_peek_subtype(const uint8_t *value, size_t len, const uint8_t oui[3],
                              uint8_t *subtype, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, value, len, err);
    r.tlv_type = SAMITLV_VDP_TYPE;
    return read_head(&r, pick_oui(oui), -1, subtype);
}
