/* LLDP (802.1AB) LLDPDU codec. All byte access goes through the cursor. */
#include "sami/lldp.h"

#define LLDP_MAND_COUNT 3

/* Records a failure at a TLV's offset and attributes it to that TLV type. */
static int fail_tlv(struct sami_rd *r, size_t at, int type, int code, const char *what)
{
    int saved = r->tlv_type;
    r->tlv_type = type;
    sami_rd_fail_at(r, at, code, what);
    r->tlv_type = saved;
    return code;
}

static int is_mac_subtype(unsigned tlv_type, unsigned subtype)
{
    return (tlv_type == SAMI_LLDP_TLV_CHASSIS_ID && subtype == SAMI_LLDP_CHASSIS_MAC) ||
           (tlv_type == SAMI_LLDP_TLV_PORT_ID && subtype == SAMI_LLDP_PORT_MAC);
}

static int is_netaddr_subtype(unsigned tlv_type, unsigned subtype)
{
    return (tlv_type == SAMI_LLDP_TLV_CHASSIS_ID && subtype == SAMI_LLDP_CHASSIS_NET_ADDR) ||
           (tlv_type == SAMI_LLDP_TLV_PORT_ID && subtype == SAMI_LLDP_PORT_NET_ADDR);
}

/* Length an id must have for its subtype, or 0 when any 1..255 will do.
 * MAC ids are EUI-48; network addresses are family(1) + address and we only
 * know the sizes of IPv4 and IPv6. */
static size_t id_exact_len(unsigned tlv_type, unsigned subtype, uint8_t family)
{
    if (is_mac_subtype(tlv_type, subtype))
        return 6;
    if (is_netaddr_subtype(tlv_type, subtype)) {
        if (family == SAMI_LLDP_AF_IPV4)
            return 5;
        if (family == SAMI_LLDP_AF_IPV6)
            return 17;
    }
    return 0;
}

static int read_id(struct sami_rd *r, struct sami_rd *v, unsigned type, size_t at, uint16_t len,
                   struct sami_lldp_id *id)
{
    const char *w_len = type == SAMI_LLDP_TLV_CHASSIS_ID ? "lldp.chassis_id.length"
                                                          : "lldp.port_id.length";
    const char *w_sub = type == SAMI_LLDP_TLV_CHASSIS_ID ? "lldp.chassis_id.subtype"
                                                          : "lldp.port_id.subtype";
    if (len < 2 || len > 1 + SAMI_LLDP_ID_MAX)
        return fail_tlv(r, at, (int)type, SAMI_ERR_LENGTH, w_len);
    if (sami_rd_u8(v, &id->subtype, w_sub))
        return SAMI_ERR_TRUNCATED;
    if (id->subtype < 1 || id->subtype > 7)
        return sami_rd_fail_at(v, sami_rd_offset(v) - 1, SAMI_ERR_VALUE, w_sub);
    id->len = (size_t)len - 1;
    struct sami_rd fam = *v; /* peek the address family through a copy */
    uint8_t family = 0;
    if (sami_rd_u8(&fam, &family, "lldp.id.family") ||
        sami_rd_ptr(v, &id->id, id->len, "lldp.id"))
        return SAMI_ERR_TRUNCATED;
    size_t exact = id_exact_len(type, id->subtype, family);
    if (exact && id->len != exact)
        return fail_tlv(r, at, (int)type, SAMI_ERR_LENGTH, w_len);
    return 0;
}

/* Management address value: addr string length(1) = 1 + addr octets |
 * addr subtype(1) | addr | if subtype(1) | if number(4) | OID length(1) | OID. */
static int read_mgmt(struct sami_rd *r, struct sami_rd *v, size_t at, uint16_t len,
                     struct sami_lldp_mgmt *m)
{
    uint8_t slen, olen;
    if (len < 9 || len > 167)
        return fail_tlv(r, at, SAMI_LLDP_TLV_MGMT_ADDR, SAMI_ERR_LENGTH, "lldp.mgmt.length");
    size_t slen_at = sami_rd_offset(v);
    if (sami_rd_u8(v, &slen, "lldp.mgmt.addr_len"))
        return SAMI_ERR_TRUNCATED;
    /* the address string (slen) plus if subtype, if number and OID length
     * (6) must fit in what is left of the TLV */
    if (slen < 2 || slen > 1 + SAMI_LLDP_MGMT_ADDR_MAX || (size_t)slen + 6 > sami_rd_left(v))
        return sami_rd_fail_at(v, slen_at, SAMI_ERR_LENGTH, "lldp.mgmt.addr_len");
    if (sami_rd_u8(v, &m->addr_subtype, "lldp.mgmt.addr_subtype"))
        return SAMI_ERR_TRUNCATED;
    m->addr_len = (size_t)slen - 1;
    if (sami_rd_ptr(v, &m->addr, m->addr_len, "lldp.mgmt.addr") ||
        sami_rd_u8(v, &m->if_subtype, "lldp.mgmt.if_subtype") ||
        sami_rd_u32(v, &m->if_number, "lldp.mgmt.if_number"))
        return SAMI_ERR_TRUNCATED;
    size_t olen_at = sami_rd_offset(v);
    if (sami_rd_u8(v, &olen, "lldp.mgmt.oid_len"))
        return SAMI_ERR_TRUNCATED;
    if (olen > SAMI_LLDP_MGMT_OID_MAX || olen > sami_rd_left(v))
        return sami_rd_fail_at(v, olen_at, SAMI_ERR_LENGTH, "lldp.mgmt.oid_len");
    m->oid_len = olen;
    if (sami_rd_ptr(v, &m->oid, m->oid_len, "lldp.mgmt.oid"))
        return SAMI_ERR_TRUNCATED;
    return sami_rd_expect_end(v, "lldp.mgmt.trailing");
}

int sami_lldp_tlv_read(struct sami_rd *r, struct sami_lldp_tlv *out)
{
    size_t at = sami_rd_offset(r);
    const uint8_t *hdr;
    uint16_t h;
    struct sami_rd v;
    int rc = 0;

    /* keep a view of the header: org decoders re-read the whole TLV */
    if (sami_rd_need(r, SAMI_LLDP_TLV_HDR_LEN, "lldp.tlv.header") ||
        sami_rd_ptr(r, &hdr, 0, "lldp.tlv.header") || sami_rd_u16(r, &h, "lldp.tlv.header"))
        return SAMI_ERR_TRUNCATED;
    out->type = (uint8_t)(h >> 9);
    out->len = (uint16_t)(h & 0x1ffu);
    out->offset = at;
    int type = out->type;
    if (out->len > sami_rd_left(r))
        return fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.tlv.length");
    sami_rd_sub(r, &v, out->len, type, "lldp.tlv.value");
    out->value = v.p;

    switch (type) {
    case SAMI_LLDP_TLV_END:
        if (out->len != 0)
            rc = fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.end.length");
        break;
    case SAMI_LLDP_TLV_CHASSIS_ID:
    case SAMI_LLDP_TLV_PORT_ID:
        rc = read_id(r, &v, (unsigned)type, at, out->len, &out->u.id);
        break;
    case SAMI_LLDP_TLV_TTL:
        if (out->len != 2)
            rc = fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.ttl.length");
        else
            rc = sami_rd_u16(&v, &out->u.ttl, "lldp.ttl");
        break;
    case SAMI_LLDP_TLV_PORT_DESC:
    case SAMI_LLDP_TLV_SYSTEM_NAME:
    case SAMI_LLDP_TLV_SYSTEM_DESC:
        if (out->len > SAMI_LLDP_STR_MAX) {
            rc = fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.string.length");
        } else {
            out->u.str.len = out->len;
            rc = sami_rd_ptr(&v, &out->u.str.p, out->len, "lldp.string");
        }
        break;
    case SAMI_LLDP_TLV_SYSTEM_CAP:
        if (out->len != 4)
            rc = fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.syscap.length");
        else if (sami_rd_u16(&v, &out->u.syscap.caps, "lldp.syscap.caps") ||
                 sami_rd_u16(&v, &out->u.syscap.enabled, "lldp.syscap.enabled"))
            rc = SAMI_ERR_TRUNCATED;
        break;
    case SAMI_LLDP_TLV_MGMT_ADDR:
        rc = read_mgmt(r, &v, at, out->len, &out->u.mgmt);
        break;
    case SAMI_LLDP_TLV_ORG: {
        struct sami_lldp_org *o = &out->u.org;
        if (out->len < 4) {
            rc = fail_tlv(r, at, type, SAMI_ERR_LENGTH, "lldp.org.length");
            break;
        }
        if (sami_rd_u24(&v, &o->oui, "lldp.org.oui") ||
            sami_rd_u8(&v, &o->subtype, "lldp.org.subtype")) {
            rc = SAMI_ERR_TRUNCATED;
            break;
        }
        o->info_len = sami_rd_left(&v);
        rc = sami_rd_ptr(&v, &o->info, o->info_len, "lldp.org.info");
        o->offset = at;
        o->tlv = hdr;
        break;
    }
    default: /* reserved types: opaque */
        break;
    }
    return rc;
}

void sami_lldp_iter_init(struct sami_lldp_iter *it, const uint8_t *buf, size_t len,
                         struct sami_err *err)
{
    sami_rd_init(&it->r, buf, len, err);
    it->state = 0;
}

int sami_lldp_iter_next(struct sami_lldp_iter *it, struct sami_lldp_tlv *tlv)
{
    if (it->state)
        return it->state < 0 ? it->state : 0;
    if (sami_rd_done(&it->r)) {
        it->state = 1;
        return 0;
    }
    int rc = sami_lldp_tlv_read(&it->r, tlv);
    if (rc) {
        it->state = rc;
        return rc;
    }
    if (tlv->type == SAMI_LLDP_TLV_END)
        it->state = 1;
    return 1;
}

static const uint8_t lldp_mand[LLDP_MAND_COUNT] = {
    SAMI_LLDP_TLV_CHASSIS_ID, SAMI_LLDP_TLV_PORT_ID, SAMI_LLDP_TLV_TTL};
static const char *const lldp_mand_what[LLDP_MAND_COUNT] = {"lldp.chassis_id", "lldp.port_id",
                                                            "lldp.ttl"};

/* Does `type` occur later in the LLDPDU? Decides ORDER vs MISSING. Runs on a
 * copy of the iterator without an error record, so it reports nothing. */
static int appears_later(const struct sami_lldp_iter *it, uint8_t type)
{
    struct sami_lldp_iter look = *it;
    struct sami_lldp_tlv t;
    look.r.err = NULL;
    while (sami_lldp_iter_next(&look, &t) == 1)
        if (t.type == type)
            return 1;
    return 0;
}

static unsigned once_bit(unsigned type)
{
    switch (type) {
    case SAMI_LLDP_TLV_PORT_DESC:
        return SAMI_LLDP_HAS_PORT_DESC;
    case SAMI_LLDP_TLV_SYSTEM_NAME:
        return SAMI_LLDP_HAS_SYSTEM_NAME;
    case SAMI_LLDP_TLV_SYSTEM_DESC:
        return SAMI_LLDP_HAS_SYSTEM_DESC;
    case SAMI_LLDP_TLV_SYSTEM_CAP:
        return SAMI_LLDP_HAS_SYSTEM_CAP;
    default:
        return 0;
    }
}

int sami_lldp_decode(const uint8_t *buf, size_t len, struct sami_lldp *out, struct sami_err *err)
{
    struct sami_lldp_iter it;
    struct sami_lldp_tlv t;
    size_t idx = 0; /* mandatory TLVs seen so far */

    memset(out, 0, sizeof *out);
    sami_lldp_iter_init(&it, buf, len, err);
    out->buf = it.r.p;
    out->len = it.r.len;

    for (;;) {
        int rc = sami_lldp_iter_next(&it, &t);
        if (rc < 0)
            return rc;
        if (rc == 0 || t.type == SAMI_LLDP_TLV_END) {
            if (rc == 1)
                out->tlv_count++;
            if (idx < LLDP_MAND_COUNT) {
                if (rc == 0)
                    return sami_rd_fail(&it.r, SAMI_ERR_MISSING, lldp_mand_what[idx]);
                return fail_tlv(&it.r, t.offset, SAMI_LLDP_TLV_END, SAMI_ERR_MISSING,
                                lldp_mand_what[idx]);
            }
            if (rc == 0) {
                out->pdu_len = out->len;
                break;
            }
            out->has_end = 1;
            out->pdu_len = sami_rd_offset(&it.r);
            out->pad_len = sami_rd_left(&it.r);
            /* anything after End is ignored per 802.1AB; only note if it
             * was not the usual zero padding */
            uint8_t b;
            while (!sami_rd_done(&it.r)) {
                sami_rd_u8(&it.r, &b, "lldp.padding");
                if (b)
                    out->pad_nonzero = 1;
            }
            break;
        }
        out->tlv_count++;

        if (idx < LLDP_MAND_COUNT) {
            if (t.type != lldp_mand[idx]) {
                for (size_t k = 0; k < idx; k++)
                    if (t.type == lldp_mand[k])
                        return fail_tlv(&it.r, t.offset, t.type, SAMI_ERR_DUPLICATE,
                                        lldp_mand_what[k]);
                int later = 0;
                for (size_t k = idx + 1; k < LLDP_MAND_COUNT; k++)
                    if (t.type == lldp_mand[k])
                        later = 1;
                if (later || appears_later(&it, lldp_mand[idx]))
                    return fail_tlv(&it.r, t.offset, t.type, SAMI_ERR_ORDER,
                                    lldp_mand_what[idx]);
                return fail_tlv(&it.r, t.offset, t.type, SAMI_ERR_MISSING, lldp_mand_what[idx]);
            }
            if (idx == 0)
                out->chassis = t.u.id;
            else if (idx == 1)
                out->port = t.u.id;
            else
                out->ttl = t.u.ttl;
            idx++;
            continue;
        }

        unsigned bit = once_bit(t.type);
        switch (t.type) {
        case SAMI_LLDP_TLV_CHASSIS_ID:
        case SAMI_LLDP_TLV_PORT_ID:
        case SAMI_LLDP_TLV_TTL:
            return fail_tlv(&it.r, t.offset, t.type, SAMI_ERR_DUPLICATE,
                            lldp_mand_what[t.type - 1]);
        case SAMI_LLDP_TLV_PORT_DESC:
        case SAMI_LLDP_TLV_SYSTEM_NAME:
        case SAMI_LLDP_TLV_SYSTEM_DESC:
        case SAMI_LLDP_TLV_SYSTEM_CAP:
            if (out->present & bit)
                return fail_tlv(&it.r, t.offset, t.type, SAMI_ERR_DUPLICATE,
                                sami_lldp_tlv_name(t.type));
            out->present |= bit;
            if (t.type == SAMI_LLDP_TLV_PORT_DESC)
                out->port_desc = t.u.str;
            else if (t.type == SAMI_LLDP_TLV_SYSTEM_NAME)
                out->sys_name = t.u.str;
            else if (t.type == SAMI_LLDP_TLV_SYSTEM_DESC)
                out->sys_desc = t.u.str;
            else
                out->syscap = t.u.syscap;
            break;
        case SAMI_LLDP_TLV_MGMT_ADDR:
            out->mgmt_count++;
            break;
        case SAMI_LLDP_TLV_ORG:
            out->org_count++;
            break;
        default:
            out->unknown_count++;
            break;
        }
    }
    return 0;
}

/* i-th TLV of `type` in a decoded LLDPDU (which is known to be valid). */
static int nth_of_type(const struct sami_lldp *pdu, uint8_t type, size_t i,
                       struct sami_lldp_tlv *t)
{
    struct sami_lldp_iter it;
    if (!pdu->buf)
        return SAMI_ERR_NOTFOUND;
    sami_lldp_iter_init(&it, pdu->buf, pdu->pdu_len, NULL);
    while (sami_lldp_iter_next(&it, t) == 1) {
        if (t->type == type && i-- == 0)
            return 0;
    }
    return SAMI_ERR_NOTFOUND;
}

int sami_lldp_get_mgmt(const struct sami_lldp *pdu, size_t i, struct sami_lldp_mgmt *out)
{
    struct sami_lldp_tlv t;
    if (i >= pdu->mgmt_count || nth_of_type(pdu, SAMI_LLDP_TLV_MGMT_ADDR, i, &t))
        return SAMI_ERR_NOTFOUND;
    *out = t.u.mgmt;
    return 0;
}

int sami_lldp_get_org(const struct sami_lldp *pdu, size_t i, struct sami_lldp_org *out)
{
    struct sami_lldp_tlv t;
    if (i >= pdu->org_count || nth_of_type(pdu, SAMI_LLDP_TLV_ORG, i, &t))
        return SAMI_ERR_NOTFOUND;
    *out = t.u.org;
    return 0;
}

int sami_lldp_find_org(const struct sami_lldp *pdu, uint32_t oui, uint8_t subtype,
                       struct sami_lldp_org *out)
{
    struct sami_lldp_org o;
    for (size_t i = 0; sami_lldp_get_org(pdu, i, &o) == 0; i++) {
        if (o.oui == oui && o.subtype == subtype) {
            *out = o;
            return 0;
        }
    }
    return SAMI_ERR_NOTFOUND;
}

/* ---- encoding ---- */

void sami_lldp_write_hdr(struct sami_wr *w, unsigned type, size_t len)
{
    if (len > SAMI_LLDP_TLV_MAX_LEN)
        len = SAMI_LLDP_TLV_MAX_LEN;
    sami_wr_u16(w, (uint16_t)((type & 0x7fu) << 9 | (unsigned)len));
}

static size_t clip(size_t n, size_t max)
{
    return n > max ? max : n;
}

void sami_lldp_write_org(struct sami_wr *w, uint32_t oui, uint8_t subtype, const void *info,
                         size_t info_len)
{
    info_len = clip(info_len, SAMI_LLDP_ORG_INFO_MAX);
    sami_lldp_write_hdr(w, SAMI_LLDP_TLV_ORG, 4 + info_len);
    sami_wr_u24(w, oui & 0xffffffu);
    sami_wr_u8(w, subtype);
    if (info)
        sami_wr_bytes(w, info, info_len);
    else
        sami_wr_zero(w, info_len);
}

void sami_lldp_write_end(struct sami_wr *w)
{
    sami_lldp_write_hdr(w, SAMI_LLDP_TLV_END, 0);
}

/* Writes n octets of a view, zeros if the view is NULL (keeps the TLV
 * self-consistent even for unchecked input). */
static void wr_view(struct sami_wr *w, const uint8_t *p, size_t n)
{
    if (p)
        sami_wr_bytes(w, p, n);
    else
        sami_wr_zero(w, n);
}

static void write_id(struct sami_wr *w, unsigned type, const struct sami_lldp_id *id)
{
    size_t n = clip(id->len, SAMI_LLDP_ID_MAX);
    sami_lldp_write_hdr(w, type, 1 + n);
    sami_wr_u8(w, id->subtype);
    wr_view(w, id->id, n);
}

static void write_str(struct sami_wr *w, unsigned type, const struct sami_lldp_str *s)
{
    size_t n = clip(s->len, SAMI_LLDP_STR_MAX);
    sami_lldp_write_hdr(w, type, n);
    wr_view(w, s->p, n);
}

static void write_mgmt(struct sami_wr *w, const struct sami_lldp_mgmt *m)
{
    size_t alen = clip(m->addr_len, SAMI_LLDP_MGMT_ADDR_MAX);
    size_t olen = clip(m->oid_len, SAMI_LLDP_MGMT_OID_MAX);
    sami_lldp_write_hdr(w, SAMI_LLDP_TLV_MGMT_ADDR, alen + olen + 8);
    sami_wr_u8(w, (uint8_t)(alen + 1));
    sami_wr_u8(w, m->addr_subtype);
    wr_view(w, m->addr, alen);
    sami_wr_u8(w, m->if_subtype);
    sami_wr_u32(w, m->if_number);
    sami_wr_u8(w, (uint8_t)olen);
    wr_view(w, m->oid, olen);
}

void sami_lldp_write_tlv(struct sami_wr *w, const struct sami_lldp_tlv *tlv)
{
    switch (tlv->type) {
    case SAMI_LLDP_TLV_END:
        sami_lldp_write_end(w);
        break;
    case SAMI_LLDP_TLV_CHASSIS_ID:
    case SAMI_LLDP_TLV_PORT_ID:
        write_id(w, tlv->type, &tlv->u.id);
        break;
    case SAMI_LLDP_TLV_TTL:
        sami_lldp_write_hdr(w, SAMI_LLDP_TLV_TTL, 2);
        sami_wr_u16(w, tlv->u.ttl);
        break;
    case SAMI_LLDP_TLV_PORT_DESC:
    case SAMI_LLDP_TLV_SYSTEM_NAME:
    case SAMI_LLDP_TLV_SYSTEM_DESC:
        write_str(w, tlv->type, &tlv->u.str);
        break;
    case SAMI_LLDP_TLV_SYSTEM_CAP:
        sami_lldp_write_hdr(w, SAMI_LLDP_TLV_SYSTEM_CAP, 4);
        sami_wr_u16(w, tlv->u.syscap.caps);
        sami_wr_u16(w, tlv->u.syscap.enabled);
        break;
    case SAMI_LLDP_TLV_MGMT_ADDR:
        write_mgmt(w, &tlv->u.mgmt);
        break;
    case SAMI_LLDP_TLV_ORG:
        sami_lldp_write_org(w, tlv->u.org.oui, tlv->u.org.subtype, tlv->u.org.info,
                            tlv->u.org.info_len);
        break;
    default: {
        size_t n = clip(tlv->len, SAMI_LLDP_TLV_MAX_LEN);
        sami_lldp_write_hdr(w, tlv->type, n);
        wr_view(w, tlv->value, n);
        break;
    }
    }
}

static int check_view(const void *p, size_t n)
{
    return (n && !p) ? SAMI_ERR_INVAL : 0;
}

static int check_id(unsigned type, const struct sami_lldp_id *id)
{
    if (id->subtype < 1 || id->subtype > 7)
        return SAMI_ERR_VALUE;
    if (id->len < 1 || id->len > SAMI_LLDP_ID_MAX || !id->id)
        return SAMI_ERR_INVAL;
    /* never emit what our own decoder would refuse */
    size_t exact = id_exact_len(type, id->subtype, id->id[0]);
    if (exact && id->len != exact)
        return SAMI_ERR_INVAL;
    return 0;
}

int sami_lldp_tlv_check(const struct sami_lldp_tlv *tlv)
{
    switch (tlv->type) {
    case SAMI_LLDP_TLV_END:
    case SAMI_LLDP_TLV_TTL:
    case SAMI_LLDP_TLV_SYSTEM_CAP:
        return 0;
    case SAMI_LLDP_TLV_CHASSIS_ID:
    case SAMI_LLDP_TLV_PORT_ID:
        return check_id(tlv->type, &tlv->u.id);
    case SAMI_LLDP_TLV_PORT_DESC:
    case SAMI_LLDP_TLV_SYSTEM_NAME:
    case SAMI_LLDP_TLV_SYSTEM_DESC:
        if (tlv->u.str.len > SAMI_LLDP_STR_MAX)
            return SAMI_ERR_INVAL;
        return check_view(tlv->u.str.p, tlv->u.str.len);
    case SAMI_LLDP_TLV_MGMT_ADDR: {
        const struct sami_lldp_mgmt *m = &tlv->u.mgmt;
        if (m->addr_len < 1 || m->addr_len > SAMI_LLDP_MGMT_ADDR_MAX || !m->addr ||
            m->oid_len > SAMI_LLDP_MGMT_OID_MAX)
            return SAMI_ERR_INVAL;
        return check_view(m->oid, m->oid_len);
    }
    case SAMI_LLDP_TLV_ORG:
        if (tlv->u.org.oui > 0xffffffu || tlv->u.org.info_len > SAMI_LLDP_ORG_INFO_MAX)
            return SAMI_ERR_INVAL;
        return check_view(tlv->u.org.info, tlv->u.org.info_len);
    default:
        if (tlv->type > 127 || tlv->len > SAMI_LLDP_TLV_MAX_LEN)
            return SAMI_ERR_INVAL;
        return check_view(tlv->value, tlv->len);
    }
}

static int fail_len(int rc, size_t *len)
{
    if (len)
        *len = 0;
    return rc;
}

/* Builds the typed TLV for position k of the canonical order from tx.
 * Returns 0 when there is nothing at that position. */
enum { TX_CHASSIS, TX_PORT, TX_TTL, TX_PORT_DESC, TX_SYS_NAME, TX_SYS_DESC, TX_SYS_CAP, TX_FIXED };

static int tx_fixed_tlv(const struct sami_lldp_tx *in, int k, struct sami_lldp_tlv *t)
{
    memset(t, 0, sizeof *t);
    switch (k) {
    case TX_CHASSIS:
        t->type = SAMI_LLDP_TLV_CHASSIS_ID;
        t->u.id = in->chassis;
        return 1;
    case TX_PORT:
        t->type = SAMI_LLDP_TLV_PORT_ID;
        t->u.id = in->port;
        return 1;
    case TX_TTL:
        t->type = SAMI_LLDP_TLV_TTL;
        t->u.ttl = in->ttl;
        return 1;
    case TX_PORT_DESC:
        t->type = SAMI_LLDP_TLV_PORT_DESC;
        t->u.str = in->port_desc;
        return (in->present & SAMI_LLDP_HAS_PORT_DESC) != 0;
    case TX_SYS_NAME:
        t->type = SAMI_LLDP_TLV_SYSTEM_NAME;
        t->u.str = in->sys_name;
        return (in->present & SAMI_LLDP_HAS_SYSTEM_NAME) != 0;
    case TX_SYS_DESC:
        t->type = SAMI_LLDP_TLV_SYSTEM_DESC;
        t->u.str = in->sys_desc;
        return (in->present & SAMI_LLDP_HAS_SYSTEM_DESC) != 0;
    default:
        t->type = SAMI_LLDP_TLV_SYSTEM_CAP;
        t->u.syscap = in->syscap;
        return (in->present & SAMI_LLDP_HAS_SYSTEM_CAP) != 0;
    }
}

int sami_lldp_encode(const struct sami_lldp_tx *in, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_lldp_tlv t;
    struct sami_wr w;
    int rc;

    if (!in)
        return fail_len(SAMI_ERR_INVAL, len);
    if ((in->mgmt_count && !in->mgmt) || (in->org_count && !in->org) ||
        check_view(in->extra, in->extra_len))
        return fail_len(SAMI_ERR_INVAL, len);
    /* validate everything first so a failed encode writes nothing useful */
    for (int k = 0; k < TX_FIXED; k++)
        if (tx_fixed_tlv(in, k, &t) && (rc = sami_lldp_tlv_check(&t)) != 0)
            return fail_len(rc, len);
    memset(&t, 0, sizeof t);
    t.type = SAMI_LLDP_TLV_MGMT_ADDR;
    for (size_t i = 0; i < in->mgmt_count; i++) {
        t.u.mgmt = in->mgmt[i];
        if ((rc = sami_lldp_tlv_check(&t)) != 0)
            return fail_len(rc, len);
    }
    memset(&t, 0, sizeof t);
    t.type = SAMI_LLDP_TLV_ORG;
    for (size_t i = 0; i < in->org_count; i++) {
        t.u.org = in->org[i];
        if ((rc = sami_lldp_tlv_check(&t)) != 0)
            return fail_len(rc, len);
    }

    sami_wr_init(&w, buf, cap);
    for (int k = 0; k < TX_FIXED; k++)
        if (tx_fixed_tlv(in, k, &t))
            sami_lldp_write_tlv(&w, &t);
    for (size_t i = 0; i < in->mgmt_count; i++)
        write_mgmt(&w, &in->mgmt[i]);
    for (size_t i = 0; i < in->org_count; i++)
        sami_lldp_write_org(&w, in->org[i].oui, in->org[i].subtype, in->org[i].info,
                            in->org[i].info_len);
    if (in->extra_len)
        sami_wr_bytes(&w, in->extra, in->extra_len);
    sami_lldp_write_end(&w);
    if (w.pos < in->min_len)
        sami_wr_zero(&w, in->min_len - w.pos);
    return sami_wr_finish(&w, len);
}

int sami_lldp_reencode(const struct sami_lldp *pdu, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_lldp_iter it;
    struct sami_lldp_tlv t;
    struct sami_wr w;

    if (!pdu || !pdu->buf)
        return fail_len(SAMI_ERR_INVAL, len);
    sami_wr_init(&w, buf, cap);
    sami_lldp_iter_init(&it, pdu->buf, pdu->pdu_len, NULL);
    int rc;
    while ((rc = sami_lldp_iter_next(&it, &t)) == 1)
        sami_lldp_write_tlv(&w, &t);
    if (rc < 0) /* not a struct from sami_lldp_decode */
        return fail_len(SAMI_ERR_INVAL, len);
    sami_wr_zero(&w, pdu->pad_len);
    return sami_wr_finish(&w, len);
}

/* ---- names ---- */

const char *sami_lldp_tlv_name(unsigned type)
{
    static const char *const names[] = {"End of LLDPDU",      "Chassis ID",
                                        "Port ID",            "Time To Live",
                                        "Port Description",   "System Name",
                                        "System Description", "System Capabilities",
                                        "Management Address"};
    if (type < sizeof names / sizeof names[0])
        return names[type];
    if (type == SAMI_LLDP_TLV_ORG)
        return "Organizationally Specific";
    return "reserved";
}

const char *sami_lldp_chassis_subtype_name(unsigned subtype)
{
    static const char *const names[] = {"reserved",          "chassis component",
                                        "interface alias",   "port component",
                                        "MAC address",       "network address",
                                        "interface name",    "locally assigned"};
    return subtype < sizeof names / sizeof names[0] ? names[subtype] : "reserved";
}

const char *sami_lldp_port_subtype_name(unsigned subtype)
{
    static const char *const names[] = {"reserved",         "interface alias",
                                        "port component",   "MAC address",
                                        "network address",  "interface name",
                                        "agent circuit ID", "locally assigned"};
    return subtype < sizeof names / sizeof names[0] ? names[subtype] : "reserved";
}

const char *sami_lldp_syscap_name(unsigned bit)
{
    static const char *const names[] = {"other",        "repeater",     "bridge",
                                        "WLAN AP",      "router",       "telephone",
                                        "DOCSIS",       "station only", "C-VLAN",
                                        "S-VLAN",       "TPMR"};
    return bit < sizeof names / sizeof names[0] ? names[bit] : "reserved";
}

const char *sami_lldp_addr_family_name(unsigned family)
{
    switch (family) {
    case SAMI_LLDP_AF_IPV4:
        return "IPv4";
    case SAMI_LLDP_AF_IPV6:
        return "IPv6";
    case SAMI_LLDP_AF_802:
        return "802 (MAC)";
    default:
        return "unknown";
    }
}

const char *sami_lldp_if_subtype_name(unsigned subtype)
{
    switch (subtype) {
    case SAMI_LLDP_IF_UNKNOWN:
        return "unknown";
    case SAMI_LLDP_IF_IFINDEX:
        return "ifIndex";
    case SAMI_LLDP_IF_SYSPORT:
        return "system port number";
    default:
        return "reserved";
    }
}

const char *sami_lldp_oui_name(uint32_t oui)
{
    switch (oui) {
    case SAMI_LLDP_OUI_IEEE_8021:
        return "IEEE 802.1";
    case SAMI_LLDP_OUI_IEEE_8023:
        return "IEEE 802.3";
    case SAMI_LLDP_OUI_TIA:
        return "TIA TR-41 (LLDP-MED)";
    case 0x0A534Du:
        return "sami (default placeholder CID)";
    default:
        return "unknown";
    }
}
