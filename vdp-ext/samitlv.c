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

/* v: n octets inside the window at absolute offset at. Errors name the field
 * and its offset as a field-by-field read would. */
static int bridge_from(struct sami_rd *r, const uint8_t *v, size_t n, size_t at,
                       struct sami_bridge_ref *out)
{
    if (SAMI_UNLIKELY(n < SAMI_BRIDGE_REF_MIN_LEN))
        return sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "bridge");
    size_t len = v[1];
    out->chassis_id_subtype = v[0];
    out->chassis_id_len = (uint8_t)len;
    /* port subtype, port length and at least one port octet must follow */
    if (SAMI_UNLIKELY(len == 0 || n - 2 < len + 3))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_LENGTH, "bridge.chassis_id_len");
    memcpy(out->chassis_id, v + 2, len);
    v += 2 + len;
    at += 2 + len;
    n -= 2 + len;
    len = v[1];
    out->port_id_subtype = v[0];
    out->port_id_len = (uint8_t)len;
    if (SAMI_UNLIKELY(len == 0 || n - 2 != len))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_LENGTH, "bridge.port_id_len");
    memcpy(out->port_id, v + 2, len);
    return 0;
}

int sami_bridge_ref_read(struct sami_rd *r, struct sami_bridge_ref *out)
{
    int rc = bridge_from(r, r->p + r->pos, sami_rd_left(r), sami_rd_offset(r), out);
    if (rc == 0)
        r->pos = r->len;
    return rc;
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

/* v: 12 octets inside the window at absolute offset at. */
static int fb_result_from(struct sami_rd *r, const uint8_t *v, size_t at, struct sami_fb_result *out)
{
    out->di_type = v[0];
    out->status = v[1];
    out->reason = sami_be16(v + 2);
    out->records_sent = sami_be32(v + 4);
    out->records_installed = sami_be32(v + 8);
    if (SAMI_UNLIKELY(out->di_type == 0))
        return sami_rd_fail_at(r, at, SAMI_ERR_VALUE, "samitlv.result.di_type");
    if (SAMI_UNLIKELY(out->status > SAMI_DI_STATUS_TIMEOUT))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.result.status");
    return 0;
}

static const struct sami_rd_field fb_result_fields[] = {
    {1, "samitlv.result.di_type"},      {1, "samitlv.result.status"},
    {2, "samitlv.result.reason"},       {4, "samitlv.result.records_sent"},
    {4, "samitlv.result.records_installed"},
};

int sami_fb_result_read(struct sami_rd *r, struct sami_fb_result *out)
{
    if (sami_rd_left(r) < SAMI_FB_RESULT_LEN)
        return sami_rd_fail_fields(r, fb_result_fields, 5);
    size_t at = sami_rd_offset(r);
    const uint8_t *v = r->p + r->pos;
    r->pos += SAMI_FB_RESULT_LEN;
    return fb_result_from(r, v, at, out);
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
    size_t left = sami_rd_left(r);
    const uint8_t *p = r->p + r->pos;
    if (SAMI_UNLIKELY(left > SAMI_SAMITLV_MAX_VALUE))
        return sami_rd_fail(r, SAMI_ERR_TOOBIG, "samitlv.length");
    if (SAMI_UNLIKELY(left < 3))
        return sami_rd_fail(r, SAMI_ERR_TRUNCATED, "samitlv.oui");
    if (SAMI_UNLIKELY(p[0] != oui[0] || p[1] != oui[1] || p[2] != oui[2]))
        return sami_rd_fail_at(r, at, SAMI_ERR_OUI, "samitlv.oui");
    if (SAMI_UNLIKELY(left < 4))
        return sami_rd_fail_at(r, at + 3, SAMI_ERR_TRUNCATED, "samitlv.subtype");
    *subtype = p[3];
    r->pos += 4;
    if (SAMI_UNLIKELY(want >= 0 && p[3] != (unsigned)want))
        return sami_rd_fail_at(r, at + 3, SAMI_ERR_TYPE, "samitlv.subtype");
    return 0;
}

/* One element, read from the window without a sub-cursor: at = its type
 * octet's offset, v = its value (len octets, inside the window). */
struct samitlv_elem {
    size_t at;
    uint8_t type;
    uint8_t len;
    const uint8_t *v;
};

typedef const char *(*samitlv_namer)(unsigned type);

/* Element failures: the name is looked up here, off the hot path. */
SAMI_COLD static int elem_fail(struct sami_rd *r, size_t at, int code, samitlv_namer name,
                               unsigned type)
{
    return sami_rd_fail_at(r, at, code, name(type));
}

/* Element at *q (q < end, inside r's window): an overrun is reported at the
 * length octet (the field that lies) and named after the element. The
 * position lives in a local pointer, not in r, so the element loop keeps it
 * in a register; r only carries the error record. */
static int next_elem(struct sami_rd *r, const uint8_t **q, const uint8_t *end,
                     struct samitlv_elem *e, samitlv_namer name)
{
    const uint8_t *p = *q;
    size_t left = (size_t)(end - p);
    e->at = r->origin + (size_t)(p - r->p);
    /* the constants are returned here so the compiler sees every failure */
    if (SAMI_UNLIKELY(left < 2)) {
        elem_fail(r, e->at + left, SAMI_ERR_TRUNCATED, name, left ? p[0] : 0x100u);
        return SAMI_ERR_TRUNCATED;
    }
    e->type = p[0];
    e->len = p[1];
    if (SAMI_UNLIKELY(e->len > left - 2)) {
        elem_fail(r, e->at + 1, SAMI_ERR_LENGTH, name, e->type);
        return SAMI_ERR_LENGTH;
    }
    e->v = p + 2;
    *q = p + 2 + e->len;
    return 0;
}

static int elem_bridge(struct sami_rd *r, const struct samitlv_elem *e, struct sami_bridge_ref *out,
                       samitlv_namer name)
{
    /* too short to hold both ids: the element length is what is wrong */
    if (SAMI_UNLIKELY(e->len < SAMI_BRIDGE_REF_MIN_LEN))
        return elem_fail(r, e->at + 1, SAMI_ERR_LENGTH, name, e->type);
    return bridge_from(r, e->v, e->len, e->at + 2, out);
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

/* Element failure codes by what went wrong, so each case below is one line. */
#define NOTIF_FAIL(at, code) elem_fail(r, (at), (code), notif_elem_name, e->type)

static int notif_elem(struct sami_rd *r, const struct samitlv_elem *e, struct sami_notif *out,
                      unsigned *seen)
{
    const uint8_t *v = e->v;
    unsigned bit;

    switch (e->type) {
    case SAMI_SAMITLV_N_VM_ID:
    case SAMI_SAMITLV_N_ORIG_BRIDGE:
    case SAMI_SAMITLV_N_DEST_BRIDGE:
    case SAMI_SAMITLV_N_REASON:
        /* once-only elements */
        bit = 1u << e->type;
        if (SAMI_UNLIKELY(*seen & bit))
            return NOTIF_FAIL(e->at, SAMI_ERR_DUPLICATE);
        *seen |= bit;
        break;
    default:
        break;
    }

    switch (e->type) {
    case SAMI_SAMITLV_N_VM_ID:
        if (SAMI_UNLIKELY(e->len != SAMI_VM_ID_LEN))
            return NOTIF_FAIL(e->at + 1, SAMI_ERR_LENGTH);
        out->vm.type_id = sami_be24(v);
        out->vm.type_version = v[3];
        out->vm.id_format = v[4];
        memcpy(out->vm.id, v + 5, sizeof out->vm.id);
        return 0;
    case SAMI_SAMITLV_N_MAC_VLAN: {
        struct sami_samitlv_mac_vlan *m;
        if (SAMI_UNLIKELY(out->n_macs >= SAMI_SAMITLV_MAX_MACS))
            return NOTIF_FAIL(e->at, SAMI_ERR_TOOBIG);
        if (SAMI_UNLIKELY(e->len != 8))
            return NOTIF_FAIL(e->at + 1, SAMI_ERR_LENGTH);
        m = &out->macs[out->n_macs++];
        memcpy(m->mac, v, sizeof m->mac);
        m->word = sami_be16(v + 6);
        return 0;
    }
    case SAMI_SAMITLV_N_IPV4:
        if (SAMI_UNLIKELY(out->n_ipv4 >= SAMI_SAMITLV_MAX_IPV4))
            return NOTIF_FAIL(e->at, SAMI_ERR_TOOBIG);
        if (SAMI_UNLIKELY(e->len != 4))
            return NOTIF_FAIL(e->at + 1, SAMI_ERR_LENGTH);
        memcpy(out->ipv4[out->n_ipv4++], v, 4);
        return 0;
    case SAMI_SAMITLV_N_IPV6:
        if (SAMI_UNLIKELY(out->n_ipv6 >= SAMI_SAMITLV_MAX_IPV6))
            return NOTIF_FAIL(e->at, SAMI_ERR_TOOBIG);
        if (SAMI_UNLIKELY(e->len != 16))
            return NOTIF_FAIL(e->at + 1, SAMI_ERR_LENGTH);
        memcpy(out->ipv6[out->n_ipv6++], v, 16);
        return 0;
    case SAMI_SAMITLV_N_ORIG_BRIDGE:
        return elem_bridge(r, e, &out->orig_bridge, notif_elem_name);
    case SAMI_SAMITLV_N_DEST_BRIDGE:
        return elem_bridge(r, e, &out->dest_bridge, notif_elem_name);
    case SAMI_SAMITLV_N_REASON:
        if (SAMI_UNLIKELY(e->len != 2))
            return NOTIF_FAIL(e->at + 1, SAMI_ERR_LENGTH);
        out->reason = sami_be16(v);
        out->has_reason = 1;
        return 0;
    default:
        /* forward compatibility: newer elements are skipped by length */
        out->unknown_elements++;
        return 0;
    }
}

#undef NOTIF_FAIL

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

static const struct sami_rd_field notif_fields[] = {
    {1, "samitlv.notif.version"},      {1, "samitlv.notif.time_point"},
    {1, "samitlv.notif.flags"},        {1, "samitlv.notif.reserved"},
    {8, "samitlv.notif.migration_id"}, {8, "samitlv.notif.timestamp"},
    {4, "samitlv.notif.next_deadline"}, {4, "samitlv.notif.di_types"},
};

static int notif_read(struct sami_rd *r, const uint8_t *oui, struct sami_notif *out)
{
    uint8_t subtype;
    unsigned seen = 0;
    int rc;

    notif_clear(out);
    if ((rc = read_head(r, oui, SAMI_SUBTYPE_NOTIFICATION, &subtype)) != 0)
        return rc;
    /* The fixed header after one length check; a short one is checked in
     * field order (version and time point before truncation). */
    size_t at = sami_rd_offset(r);
    size_t left = sami_rd_left(r);
    const uint8_t *p = r->p + r->pos;
    if (SAMI_UNLIKELY(left >= 1 && p[0] != SAMI_SAMITLV_VERSION)) {
        out->version = p[0];
        return sami_rd_fail_at(r, at, SAMI_ERR_VERSION, "samitlv.notif.version");
    }
    if (SAMI_UNLIKELY(left >= 2 && !check_tp(p[1])))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.notif.time_point");
    if (SAMI_UNLIKELY(left < SAMI_SAMITLV_NOTIF_FIXED_LEN))
        return sami_rd_fail_fields(r, notif_fields, sizeof notif_fields / sizeof notif_fields[0]);
    /* reserved bits and the reserved octet (p[3]) are ignored on receipt */
    out->version = p[0];
    out->time_point = p[1];
    out->flags = p[2];
    out->migration_id = sami_be64(p + 4);
    out->timestamp_ms = sami_be64(p + 12);
    out->next_deadline_ms = sami_be32(p + 20);
    out->di_types = sami_be32(p + 24);
    p += SAMI_SAMITLV_NOTIF_FIXED_LEN;
    r->pos = r->len; /* the elements run to the end of the window */

    for (const uint8_t *end = r->p + r->len; p != end;) {
        struct samitlv_elem e;
        if ((rc = next_elem(r, &p, end, &e, notif_elem_name)) != 0)
            return rc;
        if ((rc = notif_elem(r, &e, out, &seen)) != 0)
            return rc;
    }

    if (SAMI_UNLIKELY(!(seen & (1u << SAMI_SAMITLV_N_VM_ID))))
        return sami_rd_fail(r, SAMI_ERR_MISSING, "samitlv.notif.vm_id");
    if (SAMI_UNLIKELY(!(seen & (1u << SAMI_SAMITLV_N_ORIG_BRIDGE))))
        return sami_rd_fail(r, SAMI_ERR_MISSING, "samitlv.notif.orig_bridge");
    if (SAMI_UNLIKELY(!(seen & (1u << SAMI_SAMITLV_N_DEST_BRIDGE))))
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

static int feedback_elem(struct sami_rd *r, const struct samitlv_elem *e,
                         struct sami_feedback *out)
{
    int rc;
    switch (e->type) {
    case SAMI_SAMITLV_F_RESULT: {
        struct sami_fb_result res;
        unsigned i;
        if (SAMI_UNLIKELY(e->len != SAMI_FB_RESULT_LEN))
            return sami_rd_fail_at(r, e->at + 1, SAMI_ERR_LENGTH, "samitlv.feedback.result");
        if ((rc = fb_result_from(r, e->v, e->at + 2, &res)) != 0)
            return rc;
        for (i = 0; i < out->n_results; i++)
            if (SAMI_UNLIKELY(out->results[i].di_type == res.di_type))
                return sami_rd_fail_at(r, e->at, SAMI_ERR_DUPLICATE, "samitlv.feedback.result");
        if (SAMI_UNLIKELY(out->n_results >= SAMI_SAMITLV_MAX_RESULTS))
            return sami_rd_fail_at(r, e->at, SAMI_ERR_TOOBIG, "samitlv.feedback.result");
        out->results[out->n_results++] = res;
        return 0;
    }
    case SAMI_SAMITLV_F_BRIDGE:
        if (SAMI_UNLIKELY(out->has_bridge))
            return sami_rd_fail_at(r, e->at, SAMI_ERR_DUPLICATE, "samitlv.feedback.bridge");
        if ((rc = elem_bridge(r, e, &out->bridge, feedback_elem_name)) != 0)
            return rc;
        out->has_bridge = 1;
        return 0;
    default:
        out->unknown_elements++;
        return 0;
    }
}

static const struct sami_rd_field feedback_fields[] = {
    {1, "samitlv.feedback.version"},    {1, "samitlv.feedback.verdict"},
    {1, "samitlv.feedback.time_point"}, {1, "samitlv.feedback.flags"},
    {8, "samitlv.feedback.migration_id"}, {4, "samitlv.feedback.transfer_time"},
};

static int feedback_read(struct sami_rd *r, const uint8_t *oui, struct sami_feedback *out)
{
    uint8_t subtype;
    int rc;

    /* header fields, counts and the bridge lengths; arrays count-bounded */
    memset(out, 0, offsetof(struct sami_feedback, results));
    out->has_bridge = 0;
    out->bridge.chassis_id_subtype = out->bridge.chassis_id_len = 0;
    out->bridge.port_id_subtype = out->bridge.port_id_len = 0;
    out->unknown_elements = 0;
    if ((rc = read_head(r, oui, SAMI_SUBTYPE_FEEDBACK, &subtype)) != 0)
        return rc;
    size_t at = sami_rd_offset(r);
    size_t left = sami_rd_left(r);
    const uint8_t *p = r->p + r->pos;
    if (SAMI_UNLIKELY(left >= 1 && p[0] != SAMI_SAMITLV_VERSION)) {
        out->version = p[0];
        return sami_rd_fail_at(r, at, SAMI_ERR_VERSION, "samitlv.feedback.version");
    }
    if (SAMI_UNLIKELY(left >= 2 && p[1] > SAMI_VERDICT_ROLLBACK))
        return sami_rd_fail_at(r, at + 1, SAMI_ERR_VALUE, "samitlv.feedback.verdict");
    if (SAMI_UNLIKELY(left >= 3 && !check_tp(p[2])))
        return sami_rd_fail_at(r, at + 2, SAMI_ERR_VALUE, "samitlv.feedback.time_point");
    if (SAMI_UNLIKELY(left < SAMI_SAMITLV_FB_FIXED_LEN))
        return sami_rd_fail_fields(r, feedback_fields,
                                   sizeof feedback_fields / sizeof feedback_fields[0]);
    out->version = p[0];
    out->verdict = p[1];
    out->time_point = p[2];
    out->flags = p[3];
    out->migration_id = sami_be64(p + 4);
    out->transfer_time_us = sami_be32(p + 12);
    p += SAMI_SAMITLV_FB_FIXED_LEN;
    r->pos = r->len; /* the elements run to the end of the window */

    for (const uint8_t *end = r->p + r->len; p != end;) {
        struct samitlv_elem e;
        if ((rc = next_elem(r, &p, end, &e, feedback_elem_name)) != 0)
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
