/* VDP ULPDU codec (802.1Qbg-2012 clause 41). */
#include "sami/vdp.h"

#include <string.h>

#define VDP_WORD_PS 0x8000u
#define VDP_WORD_PCP_SHIFT 12
#define VDP_WORD_VID_MASK 0x0fffu

size_t sami_vdp_filter_entry_size(uint8_t filter_format)
{
    switch (filter_format) {
    case SAMI_VDP_FILTER_VID:
        return 2;
    case SAMI_VDP_FILTER_MAC_VID:
        return 8;
    case SAMI_VDP_FILTER_GROUP_VID:
        return 6;
    case SAMI_VDP_FILTER_GROUP_MAC_VID:
        return 12;
    default:
        return 0;
    }
}

const char *sami_vdp_tlv_name(uint8_t type)
{
    switch (type) {
    case SAMI_VDP_TLV_END:
        return "End";
    case SAMI_VDP_TLV_PREASSOC:
        return "PreAssoc";
    case SAMI_VDP_TLV_PREASSOC_RR:
        return "PreAssoc-RR";
    case SAMI_VDP_TLV_ASSOC:
        return "Assoc";
    case SAMI_VDP_TLV_DEASSOC:
        return "DeAssoc";
    case SAMI_VDP_TLV_MGRID:
        return "Manager ID";
    case SAMI_VDP_TLV_ORG:
        return "Org";
    default:
        return "unknown";
    }
}

const char *sami_vdp_reason_name(uint8_t reason)
{
    switch (reason) {
    case SAMI_VDP_REASON_SUCCESS:
        return "success";
    case SAMI_VDP_REASON_INVALID_FORMAT:
        return "invalid format";
    case SAMI_VDP_REASON_NO_RESOURCES:
        return "insufficient resources";
    case SAMI_VDP_REASON_NO_VSI_MANAGER:
        return "unable to contact VSI manager";
    case SAMI_VDP_REASON_OTHER:
        return "other failure";
    case SAMI_VDP_REASON_INVALID_ADDR:
        return "invalid VID, GroupID or MAC";
    default:
        return "reserved";
    }
}

static int is_vsi_type(unsigned type)
{
    return type >= SAMI_VDP_TLV_PREASSOC && type <= SAMI_VDP_TLV_DEASSOC;
}

/* ---- decode ---- */

/* v: the value (length n, already inside the window); at: the TLV header's
 * absolute offset. Every field is read from v after the one length check:
 * the error paths name the field and its offset as a field-by-field read
 * would. */
static int vsi_read(struct sami_rd *r, const uint8_t *v, size_t n, size_t at, uint8_t type,
                    struct sami_vdp_vsi *out)
{
    if (SAMI_UNLIKELY(n < SAMI_VDP_VSI_FIXED_LEN))
        return sami_rd_fail_tlv(r, at, type, SAMI_ERR_LENGTH, "vdp.vsi.length");
    uint8_t st = v[0];
    bool rsp = (st & SAMI_VDP_STATUS_RESPONSE) != 0;
    out->type = type;
    out->status = st;
    out->response = rsp;
    out->migrate_to = !rsp && (st & SAMI_VDP_STATUS_M) != 0;
    out->suspended = !rsp && (st & SAMI_VDP_STATUS_S) != 0;
    out->reason = rsp ? st & SAMI_VDP_STATUS_REASON_MASK : 0;
    out->hard = rsp && (st & SAMI_VDP_STATUS_HARD) != 0;
    out->keep = rsp && (st & SAMI_VDP_STATUS_KEEP) != 0;
    out->reserved = st & (rsp ? SAMI_VDP_STATUS_RSP_RESERVED : SAMI_VDP_STATUS_REQ_RESERVED);
    out->type_id = sami_be24(v + 1);
    out->type_ver = v[4];
    out->id_format = v[5];
    at += SAMI_VDP_TLV_HDR_LEN; /* now the value's offset */
    if (SAMI_UNLIKELY(out->id_format < SAMI_VDP_VSIID_IPV4 || out->id_format > SAMI_VDP_VSIID_UUID))
        return sami_rd_fail_tlv(r, at + 5, type, SAMI_ERR_VALUE, "vdp.vsi.id_format");
    memcpy(out->id, v + 6, sizeof out->id);
    out->filter_format = v[22];
    size_t esz = sami_vdp_filter_entry_size(out->filter_format);
    if (SAMI_UNLIKELY(esz == 0))
        return sami_rd_fail_tlv(r, at + 22, type, SAMI_ERR_VALUE, "vdp.vsi.filter_format");
    out->count = sami_be16(v + 23);
    /* lldpad drops a VSI whose length is not exactly 25 + entries, and so do
     * we: a count that disagrees with the length is a lie either way. */
    if (SAMI_UNLIKELY((size_t)out->count * esz != n - SAMI_VDP_VSI_FIXED_LEN))
        return sami_rd_fail_tlv(r, at + 23, type, SAMI_ERR_COUNT, "vdp.vsi.filter_count");
    out->entries = out->count ? v + SAMI_VDP_VSI_FIXED_LEN : NULL;
    out->filters = NULL;
    return 0;
}

/* inline: sami_vdp_decode's loop keeps the cursor in registers at -O2/-O3;
 * at -Os the compiler keeps one copy */
static inline int tlv_read(struct sami_rd *r, struct sami_vdp_tlv *out)
{
    size_t at = sami_rd_offset(r);
    size_t left = sami_rd_left(r);
    if (SAMI_UNLIKELY(left < SAMI_VDP_TLV_HDR_LEN))
        return sami_rd_fail(r, SAMI_ERR_TRUNCATED, "vdp.tlv.header");
    const uint8_t *v = r->p + r->pos;
    unsigned hdr = sami_be16(v);
    uint8_t type = (uint8_t)(hdr >> 9);
    size_t n = hdr & SAMI_VDP_TLV_MAX_LEN;
    v += SAMI_VDP_TLV_HDR_LEN;
    out->type = type;
    out->length = (uint16_t)n;
    out->offset = at;
    out->value = NULL;
    /* reported at the TLV header that carries the lying length */
    if (SAMI_UNLIKELY(n > left - SAMI_VDP_TLV_HDR_LEN))
        return sami_rd_fail_tlv(r, at, type, SAMI_ERR_LENGTH, "vdp.tlv.length");
    r->pos += SAMI_VDP_TLV_HDR_LEN + n;
    if (n)
        out->value = v;
    switch (type) {
    case SAMI_VDP_TLV_PREASSOC:
    case SAMI_VDP_TLV_PREASSOC_RR:
    case SAMI_VDP_TLV_ASSOC:
    case SAMI_VDP_TLV_DEASSOC:
        return vsi_read(r, v, n, at, type, &out->u.vsi);
    case SAMI_VDP_TLV_MGRID:
        if (SAMI_UNLIKELY(n != SAMI_VDP_MGRID_LEN))
            return sami_rd_fail_tlv(r, at, type, SAMI_ERR_LENGTH, "vdp.mgrid.length");
        memcpy(out->u.mgrid.id, v, SAMI_VDP_MGRID_LEN);
        return 0;
    case SAMI_VDP_TLV_ORG:
        if (SAMI_UNLIKELY(n < SAMI_VDP_ORG_MIN_LEN))
            return sami_rd_fail_tlv(r, at, type, SAMI_ERR_LENGTH, "vdp.org.length");
        out->u.org.oui = sami_be24(v);
        out->u.org.subtype = v[3];
        out->u.org.info_len = n - SAMI_VDP_ORG_MIN_LEN;
        out->u.org.info = out->u.org.info_len ? v + SAMI_VDP_ORG_MIN_LEN : NULL;
        return 0;
    default:
        /* End, and types 6..126: opaque, so a newer peer's TLVs pass through */
        memset(&out->u, 0, sizeof out->u);
        if (SAMI_UNLIKELY(type == SAMI_VDP_TLV_END && n != 0))
            return sami_rd_fail_tlv(r, at, type, SAMI_ERR_LENGTH, "vdp.end.length");
        return 0;
    }
}

int sami_vdp_tlv_read(struct sami_rd *r, struct sami_vdp_tlv *out)
{
    return tlv_read(r, out);
}

/* After End: everything left is Ethernet padding and must be zero. Counts
 * the zero octets before the first nonzero one (SAMI_ERR_TRAILING at it). */
static int vdp_padding(struct sami_rd *r, size_t *padding)
{
    const uint8_t *p = r->p + r->pos;
    size_t n = sami_rd_left(r), i;
    for (i = 0; i < n && p[i] == 0; i++)
        ;
    *padding = i;
    r->pos += i;
    if (i < n)
        return sami_rd_fail(r, SAMI_ERR_TRAILING, "vdp.padding");
    return 0;
}

/* ---- iterator ---- */

void sami_vdp_iter_init(struct sami_vdp_iter *it, const uint8_t *buf, size_t len,
                        struct sami_err *err)
{
    memset(it, 0, sizeof *it);
    sami_rd_init(&it->r, buf, len, err);
    it->rc = 1;
}

void sami_vdp_iter_init_rd(struct sami_vdp_iter *it, const struct sami_rd *r)
{
    memset(it, 0, sizeof *it);
    struct sami_rd tmp = *r;
    /* Cannot fail: the window is exactly what is left. */
    (void)sami_rd_sub(&tmp, &it->r, sami_rd_left(&tmp), r->tlv_type, "vdp");
    it->rc = 1;
}

static int iter_stop(struct sami_vdp_iter *it, int rc)
{
    it->rc = rc;
    return rc;
}

int sami_vdp_next(struct sami_vdp_iter *it, struct sami_vdp_tlv *out)
{
    if (it->rc <= 0)
        return it->rc;
    struct sami_rd *r = &it->r;
    if (it->saw_end) {
        size_t n = 0;
        int rc = vdp_padding(r, &n);
        it->padding += n;
        return iter_stop(it, rc);
    }
    if (sami_rd_done(r)) {
        it->end = sami_rd_offset(r);
        return iter_stop(it, 0);
    }
    if (sami_rd_left(r) == 1) {
        /* A PDU without End padded to an odd length leaves one zero octet. */
        struct sami_rd peek = *r;
        uint8_t b = 0;
        (void)sami_rd_u8(&peek, &b, "vdp.padding");
        if (b == 0) {
            it->end = sami_rd_offset(r);
            it->padding = 1;
            *r = peek;
            return iter_stop(it, 0);
        }
    }
    int rc = tlv_read(r, out);
    if (rc)
        return iter_stop(it, rc);
    if (out->type == SAMI_VDP_TLV_END) {
        it->saw_end = true;
        it->end = sami_rd_offset(r);
    }
    return 1;
}

/* ---- whole PDU ---- */

int sami_vdp_decode(const uint8_t *buf, size_t len, struct sami_vdp *out, struct sami_err *err)
{
    struct sami_rd r;
    struct sami_vdp_tlv spare;
    size_t n = 0, total = 0;
    int rc = 0;
    /* Only the scalars: tlv[] entries past ntlv are never read, and zeroing
     * 1.3 KB per PDU was a third of the decode. */
    out->pdu_len = out->padding = 0;
    out->no_end = out->trailing_nonzero = false;
    sami_rd_init(&r, buf, len, err);
    /* The iterator's rules (sami_vdp_next) in one loop over local state. */
    for (;;) {
        size_t left = sami_rd_left(&r);
        if (left <= 1 && (left == 0 || r.p[r.pos] == 0)) {
            /* no End (lldpad): input over, or one zero octet of odd padding */
            out->no_end = true;
            out->pdu_len = r.pos;
            out->padding = left;
            break;
        }
        /* decode straight into the next slot: no 80-octet copy per TLV */
        struct sami_vdp_tlv *slot = n < SAMI_VDP_MAX_TLVS ? &out->tlv[n] : &spare;
        if ((rc = tlv_read(&r, slot)) != 0)
            break;
        if (slot->type == SAMI_VDP_TLV_END) {
            out->pdu_len = r.pos;
            rc = vdp_padding(&r, &out->padding);
            out->trailing_nonzero = rc != 0;
            break;
        }
        n += slot != &spare;
        total++;
    }
    out->ntlv = n;
    out->total_tlvs = total;
    return rc;
}

/* ---- encode ---- */

void sami_vdp_tlv_hdr_write(struct sami_wr *w, uint8_t type, uint16_t length)
{
    sami_wr_u16(w, (uint16_t)((unsigned)(type & 0x7f) << 9 | (length & SAMI_VDP_TLV_MAX_LEN)));
}

static int vsi_check(uint8_t type, const struct sami_vdp_vsi *in, size_t *value_len)
{
    if (!is_vsi_type(type) || in->type_id > 0xffffffu)
        return SAMI_ERR_VALUE;
    if (in->id_format < SAMI_VDP_VSIID_IPV4 || in->id_format > SAMI_VDP_VSIID_UUID)
        return SAMI_ERR_VALUE;
    size_t esz = sami_vdp_filter_entry_size(in->filter_format);
    if (esz == 0 || in->reason > SAMI_VDP_STATUS_REASON_MASK)
        return SAMI_ERR_VALUE;
    /* M/S and HARD/KEEP share bit positions: a flag of the other form
     * would silently change meaning on the wire. */
    if (in->response ? (in->migrate_to || in->suspended)
                     : (in->reason || in->hard || in->keep))
        return SAMI_ERR_INVAL;
    uint8_t allowed = in->response ? SAMI_VDP_STATUS_RSP_RESERVED : SAMI_VDP_STATUS_REQ_RESERVED;
    if (in->reserved & (uint8_t)~allowed)
        return SAMI_ERR_INVAL;
    if (in->count && !in->filters && !in->entries)
        return SAMI_ERR_INVAL;
    size_t vlen = SAMI_VDP_VSI_FIXED_LEN + (size_t)in->count * esz;
    if (vlen > SAMI_VDP_TLV_MAX_LEN)
        return SAMI_ERR_TOOBIG;
    if (in->filters) {
        for (size_t i = 0; i < in->count; i++) {
            const struct sami_vdp_filter *f = &in->filters[i];
            if (f->ps > 1 || f->pcp > 7 || f->vid > VDP_WORD_VID_MASK)
                return SAMI_ERR_VALUE;
        }
    }
    *value_len = vlen;
    return 0;
}

static uint8_t vsi_status(const struct sami_vdp_vsi *in)
{
    uint8_t st = in->reserved;
    if (in->response) {
        st |= SAMI_VDP_STATUS_RESPONSE | in->reason;
        if (in->hard)
            st |= SAMI_VDP_STATUS_HARD;
        if (in->keep)
            st |= SAMI_VDP_STATUS_KEEP;
    } else {
        if (in->migrate_to)
            st |= SAMI_VDP_STATUS_M;
        if (in->suspended)
            st |= SAMI_VDP_STATUS_S;
    }
    return st;
}

static void filter_write(struct sami_wr *w, uint8_t format, const struct sami_vdp_filter *f)
{
    if (format == SAMI_VDP_FILTER_GROUP_VID || format == SAMI_VDP_FILTER_GROUP_MAC_VID)
        sami_wr_u32(w, f->group_id);
    if (format == SAMI_VDP_FILTER_MAC_VID || format == SAMI_VDP_FILTER_GROUP_MAC_VID)
        sami_wr_bytes(w, f->mac, sizeof f->mac);
    sami_wr_u16(w, (uint16_t)((f->ps ? VDP_WORD_PS : 0u) | (unsigned)f->pcp << VDP_WORD_PCP_SHIFT |
                              f->vid));
}

static int vsi_write(struct sami_wr *w, uint8_t type, const struct sami_vdp_vsi *in)
{
    size_t vlen;
    int rc = vsi_check(type, in, &vlen);
    if (rc)
        return rc;
    sami_vdp_tlv_hdr_write(w, type, (uint16_t)vlen);
    sami_wr_u8(w, vsi_status(in));
    sami_wr_u24(w, in->type_id);
    sami_wr_u8(w, in->type_ver);
    sami_wr_u8(w, in->id_format);
    sami_wr_bytes(w, in->id, sizeof in->id);
    sami_wr_u8(w, in->filter_format);
    sami_wr_u16(w, in->count);
    if (in->filters) {
        for (size_t i = 0; i < in->count; i++)
            filter_write(w, in->filter_format, &in->filters[i]);
    } else {
        sami_wr_bytes(w, in->entries, vlen - SAMI_VDP_VSI_FIXED_LEN);
    }
    return 0;
}

static int org_write(struct sami_wr *w, const struct sami_vdp_org *in)
{
    if (in->oui > 0xffffffu)
        return SAMI_ERR_VALUE;
    if (in->info_len > SAMI_VDP_TLV_MAX_LEN - SAMI_VDP_ORG_MIN_LEN)
        return SAMI_ERR_TOOBIG;
    if (in->info_len && !in->info)
        return SAMI_ERR_INVAL;
    sami_vdp_tlv_hdr_write(w, SAMI_VDP_TLV_ORG, (uint16_t)(SAMI_VDP_ORG_MIN_LEN + in->info_len));
    sami_wr_u24(w, in->oui);
    sami_wr_u8(w, in->subtype);
    sami_wr_bytes(w, in->info, in->info_len);
    return 0;
}

static void mgrid_write(struct sami_wr *w, const struct sami_vdp_mgrid *in)
{
    sami_vdp_tlv_hdr_write(w, SAMI_VDP_TLV_MGRID, SAMI_VDP_MGRID_LEN);
    sami_wr_bytes(w, in->id, SAMI_VDP_MGRID_LEN);
}

static int raw_write(struct sami_wr *w, uint8_t type, const uint8_t *value, size_t len)
{
    if (type > SAMI_VDP_TLV_TYPE_MAX)
        return SAMI_ERR_VALUE;
    if (len > SAMI_VDP_TLV_MAX_LEN)
        return SAMI_ERR_TOOBIG;
    if (len && !value)
        return SAMI_ERR_INVAL;
    sami_vdp_tlv_hdr_write(w, type, (uint16_t)len);
    sami_wr_bytes(w, value, len);
    return 0;
}

int sami_vdp_tlv_write(struct sami_wr *w, const struct sami_vdp_tlv *in)
{
    switch (in->type) {
    case SAMI_VDP_TLV_END:
        sami_vdp_tlv_hdr_write(w, SAMI_VDP_TLV_END, 0);
        return 0;
    case SAMI_VDP_TLV_PREASSOC:
    case SAMI_VDP_TLV_PREASSOC_RR:
    case SAMI_VDP_TLV_ASSOC:
    case SAMI_VDP_TLV_DEASSOC:
        return vsi_write(w, in->type, &in->u.vsi);
    case SAMI_VDP_TLV_MGRID:
        mgrid_write(w, &in->u.mgrid);
        return 0;
    case SAMI_VDP_TLV_ORG:
        return org_write(w, &in->u.org);
    default:
        return raw_write(w, in->type, in->value, in->length);
    }
}

int sami_vdp_tlv_encode(const struct sami_vdp_tlv *in, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_wr w;
    sami_wr_init(&w, buf, cap);
    int rc = sami_vdp_tlv_write(&w, in);
    if (rc)
        return rc;
    return sami_wr_finish(&w, len);
}

int sami_vdp_get_filter(const struct sami_vdp_vsi *vsi, size_t i, struct sami_vdp_filter *out)
{
    size_t esz = sami_vdp_filter_entry_size(vsi->filter_format);
    if (i >= vsi->count || esz == 0)
        return SAMI_ERR_INVAL;
    if (vsi->filters) {
        *out = vsi->filters[i];
        return 0;
    }
    if (!vsi->entries)
        return SAMI_ERR_INVAL;
    struct sami_rd r;
    uint16_t word;
    sami_rd_init(&r, vsi->entries, (size_t)vsi->count * esz, NULL);
    memset(out, 0, sizeof *out);
    /* The window was validated against the TLV length at decode time, so
     * these reads only fail for a hand-built vsi with a short view. */
    if (sami_rd_skip(&r, i * esz, "entry"))
        return SAMI_ERR_INVAL;
    if (vsi->filter_format == SAMI_VDP_FILTER_GROUP_VID ||
        vsi->filter_format == SAMI_VDP_FILTER_GROUP_MAC_VID) {
        if (sami_rd_u32(&r, &out->group_id, "group"))
            return SAMI_ERR_INVAL;
    }
    if (vsi->filter_format == SAMI_VDP_FILTER_MAC_VID ||
        vsi->filter_format == SAMI_VDP_FILTER_GROUP_MAC_VID) {
        if (sami_rd_bytes(&r, out->mac, sizeof out->mac, "mac"))
            return SAMI_ERR_INVAL;
    }
    if (sami_rd_u16(&r, &word, "word"))
        return SAMI_ERR_INVAL;
    out->ps = (word & VDP_WORD_PS) ? 1 : 0;
    out->pcp = (uint8_t)(word >> VDP_WORD_PCP_SHIFT & 0x7);
    out->vid = (uint16_t)(word & VDP_WORD_VID_MASK);
    return 0;
}

int sami_vdp_encode(const struct sami_vdp *in, uint8_t *buf, size_t cap, size_t *len)
{
    if (in->ntlv > SAMI_VDP_MAX_TLVS)
        return SAMI_ERR_INVAL;
    struct sami_wr w;
    sami_wr_init(&w, buf, cap);
    for (size_t i = 0; i < in->ntlv; i++) {
        /* End inside the list would cut the PDU short for every reader. */
        if (in->tlv[i].type == SAMI_VDP_TLV_END)
            return SAMI_ERR_INVAL;
        int rc = sami_vdp_tlv_write(&w, &in->tlv[i]);
        if (rc)
            return rc;
    }
    if (!in->no_end)
        sami_vdp_tlv_hdr_write(&w, SAMI_VDP_TLV_END, 0);
    sami_wr_zero(&w, in->padding);
    return sami_wr_finish(&w, len);
}

/* ---- builder ---- */

void sami_vdp_builder_init(struct sami_vdp_builder *b, uint8_t *buf, size_t cap)
{
    memset(b, 0, sizeof *b);
    sami_wr_init(&b->w, buf, cap);
}

static int builder_ready(struct sami_vdp_builder *b)
{
    if (b->finished || b->open)
        return SAMI_ERR_INVAL;
    return b->err;
}

static int builder_result(struct sami_vdp_builder *b, int rc)
{
    if (rc && !b->err)
        b->err = rc;
    return rc;
}

int sami_vdp_add_tlv(struct sami_vdp_builder *b, const struct sami_vdp_tlv *tlv)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    /* The builder owns End: an early End would truncate the PDU. */
    if (tlv->type == SAMI_VDP_TLV_END)
        return builder_result(b, SAMI_ERR_INVAL);
    return builder_result(b, sami_vdp_tlv_write(&b->w, tlv));
}

int sami_vdp_add_vsi(struct sami_vdp_builder *b, const struct sami_vdp_vsi *vsi)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    return builder_result(b, vsi_write(&b->w, vsi->type, vsi));
}

int sami_vdp_add_mgrid(struct sami_vdp_builder *b, const struct sami_vdp_mgrid *m)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    mgrid_write(&b->w, m);
    return 0;
}

int sami_vdp_add_org(struct sami_vdp_builder *b, const struct sami_vdp_org *org)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    return builder_result(b, org_write(&b->w, org));
}

int sami_vdp_add_raw(struct sami_vdp_builder *b, uint8_t type, const uint8_t *value, size_t len)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    if (type == SAMI_VDP_TLV_END)
        return builder_result(b, SAMI_ERR_INVAL);
    return builder_result(b, raw_write(&b->w, type, value, len));
}

int sami_vdp_begin_tlv(struct sami_vdp_builder *b, uint8_t type, size_t *mark)
{
    int rc = builder_ready(b);
    if (rc)
        return rc;
    if (type == SAMI_VDP_TLV_END)
        return builder_result(b, SAMI_ERR_INVAL);
    if (type > SAMI_VDP_TLV_TYPE_MAX)
        return builder_result(b, SAMI_ERR_VALUE);
    b->open = true;
    b->open_type = type;
    b->open_mark = b->w.pos;
    if (mark)
        *mark = b->open_mark;
    sami_vdp_tlv_hdr_write(&b->w, type, 0);
    return 0;
}

int sami_vdp_end_tlv(struct sami_vdp_builder *b, size_t mark)
{
    if (!b->open || mark != b->open_mark || b->finished)
        return builder_result(b, SAMI_ERR_INVAL);
    b->open = false;
    size_t vlen = b->w.pos - mark - SAMI_VDP_TLV_HDR_LEN;
    if (vlen > SAMI_VDP_TLV_MAX_LEN)
        return builder_result(b, SAMI_ERR_TOOBIG);
    sami_wr_patch_u16(&b->w, mark, (uint16_t)((unsigned)b->open_type << 9 | vlen));
    return b->err;
}

int sami_vdp_finish(struct sami_vdp_builder *b, size_t *len)
{
    if (b->finished)
        return SAMI_ERR_INVAL;
    if (b->open)
        builder_result(b, SAMI_ERR_INVAL);
    b->finished = true;
    if (b->err) {
        if (len)
            *len = 0;
        return b->err;
    }
    sami_vdp_tlv_hdr_write(&b->w, SAMI_VDP_TLV_END, 0);
    return sami_wr_finish(&b->w, len);
}
