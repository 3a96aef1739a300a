/* sami capability TLV (LLDP org TLV, configurable OUI, subtype 0x01). */
#include "sami/samicap.h"

int sami_samicap_addr_len(unsigned family)
{
    switch (family) {
    case SAMI_SAMICAP_AF_NONE:
        return 0;
    case SAMI_SAMICAP_AF_IPV4:
        return 4;
    case SAMI_SAMICAP_AF_IPV6:
        return 16;
    default:
        return -1;
    }
}

int sami_samicap_read(struct sami_rd *r, uint32_t oui, struct sami_samicap *out)
{
    size_t at = sami_rd_offset(r);
    int saved = r->tlv_type;
    uint16_t h;
    uint32_t got_oui;
    uint8_t sub;
    struct sami_rd v;
    struct sami_samicap c;
    int rc = 0;

    if (sami_rd_u16(r, &h, "samicap.header"))
        return SAMI_ERR_TRUNCATED;
    unsigned type = h >> 9, len = h & 0x1ffu;
    r->tlv_type = (int)type;
    if (type != SAMI_LLDP_TLV_ORG) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_TYPE, "samicap.type");
        goto out;
    }
    if (len > sami_rd_left(r) || len < 4) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "samicap.length");
        goto out;
    }
    sami_rd_sub(r, &v, len, (int)type, "samicap.value");
    if (sami_rd_u24(&v, &got_oui, "samicap.oui") || sami_rd_u8(&v, &sub, "samicap.subtype")) {
        rc = SAMI_ERR_TRUNCATED;
        goto out;
    }
    if (got_oui != oui) {
        rc = sami_rd_fail_at(r, at + 2, SAMI_ERR_OUI, "samicap.oui");
        goto out;
    }
    if (sub != SAMI_SAMICAP_SUBTYPE) {
        rc = sami_rd_fail_at(r, at + 5, SAMI_ERR_TYPE, "samicap.subtype");
        goto out;
    }
    memset(&c, 0, sizeof c);
    /* version first: a later version may have another layout and length */
    if (len < 5) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "samicap.length");
        goto out;
    }
    sami_rd_u8(&v, &c.version, "samicap.version");
    if (c.version != SAMI_SAMICAP_VERSION) {
        rc = sami_rd_fail_at(r, at + 6, SAMI_ERR_VERSION, "samicap.version");
        goto out;
    }
    if (len < 4 + SAMI_SAMICAP_FIXED_LEN) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "samicap.length");
        goto out;
    }
    sami_rd_u8(&v, &c.role, "samicap.role");
    if (c.role < SAMI_SAMICAP_ROLE_STATION || c.role > SAMI_SAMICAP_ROLE_BOTH) {
        rc = sami_rd_fail_at(r, at + 7, SAMI_ERR_VALUE, "samicap.role");
        goto out;
    }
    sami_rd_u32(&v, &c.di_types, "samicap.di_types");
    sami_rd_u8(&v, &c.bindings, "samicap.bindings");
    sami_rd_u16(&v, &c.tcp_port, "samicap.tcp_port");
    sami_rd_u8(&v, &c.family, "samicap.family");
    int alen = sami_samicap_addr_len(c.family);
    if (alen < 0) {
        rc = sami_rd_fail_at(r, at + 15, SAMI_ERR_VALUE, "samicap.family");
        goto out;
    }
    if (len != 4 + SAMI_SAMICAP_FIXED_LEN + (unsigned)alen) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "samicap.length");
        goto out;
    }
    if (sami_rd_bytes(&v, c.addr, (size_t)alen, "samicap.addr") ||
        sami_rd_bytes(&v, c.l2_mac, sizeof c.l2_mac, "samicap.l2_mac")) {
        rc = SAMI_ERR_TRUNCATED;
        goto out;
    }
    *out = c;
out:
    r->tlv_type = saved;
    return rc;
}

int sami_samicap_decode(const uint8_t *buf, size_t len, uint32_t oui, struct sami_samicap *out,
                        struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, buf, len, err);
    int rc = sami_samicap_read(&r, oui, out);
    if (rc)
        return rc;
    return sami_rd_expect_end(&r, "samicap.trailing");
}

int sami_samicap_from_org(const struct sami_lldp_org *org, uint32_t oui, struct sami_samicap *out,
                          struct sami_err *err)
{
    struct sami_rd r;
    if (!org || !org->tlv || org->info_len > SAMI_LLDP_ORG_INFO_MAX)
        return SAMI_ERR_INVAL;
    sami_rd_init(&r, org->tlv, SAMI_LLDP_TLV_HDR_LEN + 4 + org->info_len, err);
    r.origin = org->offset; /* report offsets of the enclosing LLDPDU */
    return sami_samicap_read(&r, oui, out);
}

int sami_samicap_check(const struct sami_samicap *in, uint32_t oui)
{
    if (!in || oui > 0xffffffu)
        return SAMI_ERR_INVAL;
    if (in->version != SAMI_SAMICAP_VERSION)
        return SAMI_ERR_VERSION;
    if (in->role < SAMI_SAMICAP_ROLE_STATION || in->role > SAMI_SAMICAP_ROLE_BOTH ||
        sami_samicap_addr_len(in->family) < 0)
        return SAMI_ERR_VALUE;
    return 0;
}

void sami_samicap_write(struct sami_wr *w, uint32_t oui, const struct sami_samicap *in)
{
    int alen = sami_samicap_addr_len(in->family);
    if (alen < 0)
        alen = 0;
    sami_lldp_write_hdr(w, SAMI_LLDP_TLV_ORG, 4 + SAMI_SAMICAP_FIXED_LEN + (size_t)alen);
    sami_wr_u24(w, oui & 0xffffffu);
    sami_wr_u8(w, SAMI_SAMICAP_SUBTYPE);
    sami_wr_u8(w, in->version);
    sami_wr_u8(w, in->role);
    sami_wr_u32(w, in->di_types);
    sami_wr_u8(w, in->bindings);
    sami_wr_u16(w, in->tcp_port);
    sami_wr_u8(w, in->family);
    sami_wr_bytes(w, in->addr, (size_t)alen);
    sami_wr_bytes(w, in->l2_mac, sizeof in->l2_mac);
}

int sami_samicap_encode(const struct sami_samicap *in, uint32_t oui, uint8_t *buf, size_t cap,
                        size_t *len)
{
    struct sami_wr w;
    int rc = sami_samicap_check(in, oui);
    if (rc) {
        if (len)
            *len = 0;
        return rc;
    }
    sami_wr_init(&w, buf, cap);
    sami_samicap_write(&w, oui, in);
    return sami_wr_finish(&w, len);
}

const char *sami_samicap_role_name(unsigned role)
{
    switch (role) {
    case SAMI_SAMICAP_ROLE_STATION:
        return "station";
    case SAMI_SAMICAP_ROLE_BRIDGE:
        return "bridge";
    case SAMI_SAMICAP_ROLE_BOTH:
        return "both";
    default:
        return "unknown";
    }
}

const char *sami_samicap_family_name(unsigned family)
{
    switch (family) {
    case SAMI_SAMICAP_AF_NONE:
        return "none";
    case SAMI_SAMICAP_AF_IPV4:
        return "IPv4";
    case SAMI_SAMICAP_AF_IPV6:
        return "IPv6";
    default:
        return "unknown";
    }
}

const char *sami_samicap_binding_name(unsigned bit)
{
    switch (bit) {
    case 0:
        return "TCP";
    case 1:
        return "L2";
    default:
        return "reserved";
    }
}
