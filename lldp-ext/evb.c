/* IEEE 802.1Qbg-2012 EVB TLV (LLDP org TLV 00-80-C2 / 0x0D). Bit positions
 * checked against lldpad's ratified-standard module (include/lldp_evb22.h)
 * and a real lldpad capture; see docs/PROTOCOL.md section 5. */
#include "sami/evb.h"

void sami_evb_unpack(const uint8_t in[SAMI_EVB_INFO_LEN], struct sami_evb *out)
{
    out->bgid = (in[0] >> 2) & 1u;
    out->rrcap = (in[0] >> 1) & 1u;
    out->rrctr = in[0] & 1u;
    out->sgid = (in[1] >> 3) & 1u;
    out->rrreq = (in[1] >> 2) & 1u;
    out->rrstat = in[1] & 3u;
    out->r = (in[2] >> 5) & 7u;
    out->rte = in[2] & 0x1fu;
    out->mode = (in[3] >> 6) & 3u;
    out->rol_rwd = (in[3] >> 5) & 1u;
    out->rwd = in[3] & 0x1fu;
    out->rol_rka = (in[4] >> 5) & 1u;
    out->rka = in[4] & 0x1fu;
}

void sami_evb_pack(const struct sami_evb *in, uint8_t out[SAMI_EVB_INFO_LEN])
{
    out[0] = (uint8_t)((in->bgid & 1u) << 2 | (in->rrcap & 1u) << 1 | (in->rrctr & 1u));
    out[1] = (uint8_t)((in->sgid & 1u) << 3 | (in->rrreq & 1u) << 2 | (in->rrstat & 3u));
    out[2] = (uint8_t)((in->r & 7u) << 5 | (in->rte & 0x1fu));
    out[3] = (uint8_t)((in->mode & 3u) << 6 | (in->rol_rwd & 1u) << 5 | (in->rwd & 0x1fu));
    out[4] = (uint8_t)((in->rol_rka & 1u) << 5 | (in->rka & 0x1fu));
}

int sami_evb_read(struct sami_rd *r, struct sami_evb *out)
{
    size_t at = sami_rd_offset(r);
    int saved = r->tlv_type;
    uint16_t h;
    uint32_t oui;
    uint8_t sub, info[SAMI_EVB_INFO_LEN];
    struct sami_rd v;
    int rc = 0;

    if (sami_rd_u16(r, &h, "evb.header"))
        return SAMI_ERR_TRUNCATED;
    unsigned type = h >> 9, len = h & 0x1ffu;
    r->tlv_type = (int)type;
    if (type != SAMI_LLDP_TLV_ORG) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_TYPE, "evb.type");
        goto out;
    }
    if (len > sami_rd_left(r) || len < 4) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "evb.length");
        goto out;
    }
    sami_rd_sub(r, &v, len, (int)type, "evb.value");
    if (sami_rd_u24(&v, &oui, "evb.oui") || sami_rd_u8(&v, &sub, "evb.subtype")) {
        rc = SAMI_ERR_TRUNCATED;
        goto out;
    }
    /* identity before length, so another org TLV is reported as such */
    if (oui != SAMI_EVB_OUI) {
        rc = sami_rd_fail_at(r, at + 2, SAMI_ERR_OUI, "evb.oui");
        goto out;
    }
    if (sub != SAMI_EVB_SUBTYPE) {
        rc = sami_rd_fail_at(r, at + 5, SAMI_ERR_TYPE, "evb.subtype");
        goto out;
    }
    if (len != SAMI_EVB_TLV_LEN) {
        rc = sami_rd_fail_at(r, at, SAMI_ERR_LENGTH, "evb.length");
        goto out;
    }
    if (sami_rd_bytes(&v, info, sizeof info, "evb.info")) {
        rc = SAMI_ERR_TRUNCATED;
        goto out;
    }
    sami_evb_unpack(info, out);
out:
    r->tlv_type = saved;
    return rc;
}

int sami_evb_decode(const uint8_t *buf, size_t len, struct sami_evb *out, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, buf, len, err);
    int rc = sami_evb_read(&r, out);
    if (rc)
        return rc;
    return sami_rd_expect_end(&r, "evb.trailing");
}

int sami_evb_from_org(const struct sami_lldp_org *org, struct sami_evb *out, struct sami_err *err)
{
    struct sami_rd r;
    if (!org || !org->tlv || org->info_len > SAMI_LLDP_ORG_INFO_MAX)
        return SAMI_ERR_INVAL;
    sami_rd_init(&r, org->tlv, SAMI_LLDP_TLV_HDR_LEN + 4 + org->info_len, err);
    r.origin = org->offset; /* report offsets of the enclosing LLDPDU */
    return sami_evb_read(&r, out);
}

int sami_evb_check(const struct sami_evb *in)
{
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->bgid > 1 || in->rrcap > 1 || in->rrctr > 1 || in->sgid > 1 || in->rrreq > 1 ||
        in->rrstat > 3 || in->r > 7 || in->rte > 31 || in->mode > 3 || in->rol_rwd > 1 ||
        in->rwd > 31 || in->rol_rka > 1 || in->rka > 31)
        return SAMI_ERR_VALUE;
    return 0;
}

void sami_evb_write(struct sami_wr *w, const struct sami_evb *in)
{
    uint8_t info[SAMI_EVB_INFO_LEN];
    sami_evb_pack(in, info);
    sami_lldp_write_org(w, SAMI_EVB_OUI, SAMI_EVB_SUBTYPE, info, sizeof info);
}

int sami_evb_encode(const struct sami_evb *in, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_wr w;
    int rc = sami_evb_check(in);
    if (rc) {
        if (len)
            *len = 0;
        return rc;
    }
    sami_wr_init(&w, buf, cap);
    sami_evb_write(&w, in);
    return sami_wr_finish(&w, len);
}

int sami_evb_negotiate(const struct sami_evb *local, const struct sami_evb *remote,
                       struct sami_evb *out)
{
    if (!local || !remote || !out)
        return SAMI_ERR_INVAL;
    struct sami_evb n = *local; /* copy first: out may alias local or remote */
    n.r = local->r > remote->r ? local->r : remote->r;
    n.rte = local->rte > remote->rte ? local->rte : remote->rte;
    /* ROL tells the peer whose value won; on a tie lldpad says "remote" */
    if (local->rwd > remote->rwd) {
        n.rwd = local->rwd;
        n.rol_rwd = 0;
    } else {
        n.rwd = remote->rwd;
        n.rol_rwd = 1;
    }
    if (local->rka > remote->rka) {
        n.rka = local->rka;
        n.rol_rka = 0;
    } else {
        n.rka = remote->rka;
        n.rol_rka = 1;
    }
    *out = n;
    return 0;
}

uint64_t sami_evb_time_us(unsigned exp)
{
    if (exp > 31)
        exp = 31;
    return (uint64_t)10u << exp;
}

const char *sami_evb_mode_name(unsigned mode)
{
    switch (mode) {
    case SAMI_EVB_MODE_NONE:
        return "not supported";
    case SAMI_EVB_MODE_BRIDGE:
        return "EVB bridge";
    case SAMI_EVB_MODE_STATION:
        return "EVB station";
    default:
        return "reserved";
    }
}

const char *sami_evb_rrstat_name(unsigned rrstat)
{
    switch (rrstat) {
    case SAMI_EVB_RRSTAT_NO:
        return "not enabled";
    case SAMI_EVB_RRSTAT_YES:
        return "enabled";
    case SAMI_EVB_RRSTAT_UNKNOWN:
        return "unknown";
    default:
        return "reserved";
    }
}
