/* Transfer message codec: header, body elements, authenticated trailer,
 * replay window, digest and stream framing (lib/sami/xfer.h). */
#include "sami/xfer.h"

#include <string.h>

#define XFER_OFF_BODYLEN 4u

/* ------------------------------------------------------------------ */
/* replay window */

int sami_replay_check(const struct sami_replay_window *w, uint64_t seq)
{
    if (!w || seq == 0)
        return SAMI_ERR_REPLAY;
    if (seq > w->highest)
        return 0;
    uint64_t back = w->highest - seq;
    if (back >= SAMI_REPLAY_WINDOW_SIZE)
        return SAMI_ERR_REPLAY; /* left of the window: cannot tell, so refuse */
    if (w->bitmap >> back & 1u)
        return SAMI_ERR_REPLAY;
    return 0;
}

void sami_replay_update(struct sami_replay_window *w, uint64_t seq)
{
    if (!w || seq == 0)
        return;
    if (seq > w->highest) {
        uint64_t shift = seq - w->highest;
        w->bitmap = shift >= SAMI_REPLAY_WINDOW_SIZE ? 0 : w->bitmap << shift;
        w->bitmap |= 1u;
        w->highest = seq;
    } else {
        uint64_t back = w->highest - seq;
        if (back < SAMI_REPLAY_WINDOW_SIZE)
            w->bitmap |= (uint64_t)1 << back;
    }
}

/* ------------------------------------------------------------------ */
/* header and whole-message parse */

int sami_xfer_read_hdr(struct sami_rd *r, size_t max_body, struct sami_xfer_hdr *out)
{
    struct sami_xfer_hdr h;
    size_t at = r->pos;
    if (max_body == 0)
        max_body = SAMI_XFER_MAX_BODY_DEFAULT;
    if (sami_rd_need(r, SAMI_XFER_HDR_LEN, "xfer.header"))
        return SAMI_ERR_TRUNCATED;
    (void)sami_rd_u8(r, &h.version, "xfer.version");
    if (h.version != SAMI_XFER_VERSION)
        return sami_rd_fail_at(r, r->origin + at, SAMI_ERR_VERSION, "xfer.version");
    (void)sami_rd_u8(r, &h.type, "xfer.type");
    if (h.type < SAMI_XFER_HELLO || h.type > SAMI_XFER_TYPE_MAX)
        return sami_rd_fail_at(r, r->origin + at + 1, SAMI_ERR_TYPE, "xfer.type");
    (void)sami_rd_u16(r, &h.flags, "xfer.flags");
    if (h.flags & ~SAMI_XFER_F_ALL)
        return sami_rd_fail_at(r, r->origin + at + 2, SAMI_ERR_VALUE, "xfer.flags");
    (void)sami_rd_u32(r, &h.body_len, "xfer.body_length");
    if (h.body_len > max_body)
        return sami_rd_fail_at(r, r->origin + at + XFER_OFF_BODYLEN, SAMI_ERR_TOOBIG,
                               "xfer.body_length");
    (void)sami_rd_u16(r, &h.sender.priority, "xfer.sender");
    (void)sami_rd_bytes(r, h.sender.mac, sizeof h.sender.mac, "xfer.sender");
    (void)sami_rd_u64(r, &h.migration_id, "xfer.migration_id");
    *out = h;
    return 0;
}

/* Structure only (no MAC): header, length bookkeeping, trailer fields. */
static int xfer_parse(struct sami_rd *r, size_t max_body, struct sami_xfer_msg *m)
{
    int rc = sami_xfer_read_hdr(r, max_body, &m->hdr);
    if (rc)
        return rc;
    size_t avail = sami_rd_left(r);
    if (avail < SAMI_XFER_TRAILER_LEN && m->hdr.body_len == 0)
        return sami_rd_fail(r, SAMI_ERR_TRUNCATED, "xfer.trailer");
    /* The trailer sits where the body length says: a body length that does
     * not leave exactly 26 octets is a lying length. */
    if (avail < SAMI_XFER_TRAILER_LEN || m->hdr.body_len > avail - SAMI_XFER_TRAILER_LEN)
        return sami_rd_fail_at(r, r->origin + XFER_OFF_BODYLEN, SAMI_ERR_LENGTH,
                               "xfer.body_length");
    if (m->hdr.body_len < avail - SAMI_XFER_TRAILER_LEN)
        return sami_rd_fail_at(r, r->origin + SAMI_XFER_OVERHEAD + m->hdr.body_len,
                               SAMI_ERR_TRAILING, "xfer.trailer");
    (void)sami_rd_ptr(r, &m->body, m->hdr.body_len, "xfer.body");
    (void)sami_rd_u16(r, &m->key_id, "xfer.key_id");
    (void)sami_rd_u64(r, &m->seq, "xfer.sequence");
    (void)sami_rd_bytes(r, m->tag, sizeof m->tag, "xfer.mac");
    m->total_len = SAMI_XFER_OVERHEAD + (size_t)m->hdr.body_len;
    return 0;
}

int sami_xfer_decode_ex(const uint8_t *buf, size_t len, size_t max_body,
                        struct sami_xfer_msg *out, struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_msg m;
    memset(&m, 0, sizeof m);
    sami_rd_init(&r, buf, len, err);
    if (!out)
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "xfer.out");
    memset(out, 0, sizeof *out);
    int rc = xfer_parse(&r, max_body, &m);
    if (rc == 0)
        rc = sami_xfer_check_body(&m, err);
    if (rc == 0)
        *out = m;
    return rc;
}

int sami_xfer_decode(const uint8_t *buf, size_t len, struct sami_xfer_msg *out,
                     struct sami_err *err)
{
    return sami_xfer_decode_ex(buf, len, 0, out, err);
}

/* ------------------------------------------------------------------ */
/* keys and open */

static int key_valid(const struct sami_xfer_key *k, uint64_t now_ms)
{
    if (k->id == 0 || k->len < SAMI_XFER_KEY_MIN || k->len > SAMI_XFER_KEY_MAX)
        return 0;
    if (now_ms < k->not_before_ms)
        return 0;
    if (k->not_after_ms != 0 && now_ms >= k->not_after_ms)
        return 0;
    return 1;
}

static int keyring_has(const struct sami_xfer_keyring *kr, uint16_t id)
{
    for (size_t i = 0; i < SAMI_XFER_MAX_KEYS; i++)
        if (kr->keys[i].id == id)
            return 1;
    return 0;
}

/* Window for key_id: its own slot, else a free one, else one whose key has
 * left the keyring (its window can never be needed again). */
static int replay_slot(const struct sami_xfer_replay *rp, const struct sami_xfer_keyring *kr,
                       uint16_t key_id)
{
    for (int i = 0; i < SAMI_XFER_MAX_KEYS; i++)
        if (rp->slot[i].key_id == key_id)
            return i;
    for (int i = 0; i < SAMI_XFER_MAX_KEYS; i++)
        if (rp->slot[i].key_id == 0)
            return i;
    for (int i = 0; i < SAMI_XFER_MAX_KEYS; i++)
        if (!keyring_has(kr, rp->slot[i].key_id))
            return i;
    return -1;
}

int sami_xfer_open(const uint8_t *buf, size_t len, const struct sami_xfer_keyring *kr,
                   struct sami_xfer_replay *replay, uint64_t now_ms, size_t max_body,
                   struct sami_xfer_msg *out, struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_msg m;
    const struct sami_xfer_key *key = NULL;
    struct sami_replay_window win = {0, 0};
    int slot = -1;
    int rc;

    memset(&m, 0, sizeof m);
    sami_rd_init(&r, buf, len, err);
    if (!out)
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "xfer.out");
    memset(out, 0, sizeof *out);
    if (!kr)
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "xfer.keyring");

    rc = xfer_parse(&r, max_body, &m);
    if (rc)
        return rc;
    size_t trailer = SAMI_XFER_HDR_LEN + (size_t)m.hdr.body_len;

    for (size_t i = 0; i < SAMI_XFER_MAX_KEYS && !key; i++)
        if (kr->keys[i].id == m.key_id && key_valid(&kr->keys[i], now_ms))
            key = &kr->keys[i];
    if (!key)
        return sami_rd_fail_at(&r, trailer, SAMI_ERR_NOKEY, "xfer.key_id");

    const struct sami_hmac_provider *p = kr->hmac ? kr->hmac : sami_hmac_default();
    struct sami_iovec iov = {buf, trailer + 10};
    rc = sami_hmac_sha256_verify(p, key->bytes, key->len, &iov, 1, m.tag, SAMI_XFER_TAG_LEN);
    if (rc == SAMI_ERR_INVAL)
        rc = SAMI_ERR_CRYPTO; /* only a missing provider can get here */
    if (rc)
        return sami_rd_fail_at(&r, trailer + 10, rc, "xfer.mac");

    /* Authentic from here on; now make sure it is not a replay. */
    if (replay) {
        slot = replay_slot(replay, kr, m.key_id);
        if (slot < 0)
            return sami_rd_fail_at(&r, trailer, SAMI_ERR_NOKEY, "xfer.key_id");
        if (replay->slot[slot].key_id == m.key_id)
            win = replay->slot[slot].win;
        if (sami_replay_check(&win, m.seq))
            return sami_rd_fail_at(&r, trailer + 2, SAMI_ERR_REPLAY, "xfer.sequence");
    }

    rc = sami_xfer_check_body(&m, err);
    if (rc)
        return rc;

    /* Only a fully accepted message moves the window. */
    if (replay) {
        sami_replay_update(&win, m.seq);
        replay->slot[slot].key_id = m.key_id;
        replay->slot[slot].win = win;
    }
    m.verified = 1;
    *out = m;
    return 0;
}

/* ------------------------------------------------------------------ */
/* element iterator */

void sami_xfer_iter_init(struct sami_xfer_iter *it, const struct sami_xfer_msg *m,
                         struct sami_err *err)
{
    sami_rd_init(&it->r, m ? m->body : NULL, m ? m->hdr.body_len : 0, err);
    it->r.origin = SAMI_XFER_HDR_LEN;
}

int sami_xfer_iter_next(struct sami_xfer_iter *it, struct sami_xfer_elem *e)
{
    struct sami_rd *r = &it->r;
    uint16_t type = 0, len = 0;
    if (sami_rd_done(r))
        return 0;
    r->tlv_type = -1;
    if (sami_rd_need(r, SAMI_XFER_ELEM_HDR_LEN, "xfer.element"))
        return SAMI_ERR_TRUNCATED;
    (void)sami_rd_u16(r, &type, "xfer.element.type");
    (void)sami_rd_u16(r, &len, "xfer.element.length");
    if (len > sami_rd_left(r)) {
        r->tlv_type = type;
        return sami_rd_fail_at(r, sami_rd_offset(r) - 2, SAMI_ERR_LENGTH, "xfer.element.length");
    }
    e->type = type;
    e->len = len;
    e->offset = sami_rd_offset(r);
    (void)sami_rd_ptr(r, &e->value, len, "xfer.element.value");
    return 1;
}

/* ------------------------------------------------------------------ */
/* element readers */

/* Offset of an element's header (an element built by hand may claim less). */
static size_t elem_hdr_at(const struct sami_xfer_elem *e)
{
    return e->offset >= SAMI_XFER_ELEM_HDR_LEN ? e->offset - SAMI_XFER_ELEM_HDR_LEN : 0;
}

/* Reader over one element value, reporting absolute offsets and its type. */
static int elem_begin(struct sami_rd *r, const struct sami_xfer_elem *e, struct sami_err *err,
                      int want_type, size_t exact_len, const char *what)
{
    sami_rd_init(r, e ? e->value : NULL, e ? e->len : 0, err);
    if (!e)
        return sami_rd_fail(r, SAMI_ERR_INVAL, what);
    r->origin = e->offset;
    r->tlv_type = e->type;
    if (want_type >= 0 && e->type != (uint16_t)want_type)
        return sami_rd_fail_at(r, elem_hdr_at(e), SAMI_ERR_TYPE, what);
    if (exact_len && e->len != exact_len)
        return sami_rd_fail_at(r, elem_hdr_at(e) + 2, SAMI_ERR_LENGTH, what);
    return 0;
}

int sami_xfer_read_caps(const struct sami_xfer_elem *e, struct sami_xfer_caps *out,
                        struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_caps c = {0, 0, 0, 0, 0};
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_CAPS, SAMI_XFER_CAPS_LEN, "xfer.caps");
    if (rc)
        return rc;
    (void)sami_rd_u8(&r, &c.version, "xfer.caps.version");
    (void)sami_rd_u8(&r, &c.role, "xfer.caps.role");
    (void)sami_rd_u32(&r, &c.di_types, "xfer.caps.di_types");
    (void)sami_rd_u32(&r, &c.max_records, "xfer.caps.max_records");
    (void)sami_rd_u32(&r, &c.max_msg, "xfer.caps.max_msg");
    if (c.version == 0)
        return sami_rd_fail_at(&r, e->offset, SAMI_ERR_VALUE, "xfer.caps.version");
    if (c.role < 1 || c.role > 3)
        return sami_rd_fail_at(&r, e->offset + 1, SAMI_ERR_VALUE, "xfer.caps.role");
    if (c.di_types & 1u)
        return sami_rd_fail_at(&r, e->offset + 2, SAMI_ERR_VALUE, "xfer.caps.di_types");
    if (c.max_msg < SAMI_XFER_OVERHEAD)
        return sami_rd_fail_at(&r, e->offset + 10, SAMI_ERR_VALUE, "xfer.caps.max_msg");
    if (out)
        *out = c;
    return 0;
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF)
 * without NUL; returns the index of the first bad octet or n if fine. */
static size_t utf8_bad_at(const uint8_t *s, size_t n)
{
    struct sami_rd r;
    sami_rd_init(&r, s, n, NULL);
    while (!sami_rd_done(&r)) {
        size_t at = r.pos;
        uint8_t c = 0;
        size_t k;
        uint32_t cp, min;
        (void)sami_rd_u8(&r, &c, "utf8");
        if (c == 0)
            return at;
        if (c < 0x80)
            continue;
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1, cp = c & 0x1fu, min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2, cp = c & 0x0fu, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return at; /* continuation octet, C0/C1 overlong lead, or F5..FF */
        }
        for (size_t j = 0; j < k; j++) {
            uint8_t cc = 0;
            if (sami_rd_u8(&r, &cc, "utf8") || (cc & 0xc0u) != 0x80u)
                return at;
            cp = cp << 6 | (cc & 0x3fu);
        }
        if (cp < min || cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
            return at;
    }
    return n;
}

static int name_check(const uint8_t *s, size_t len, size_t *bad)
{
    if (len == 0)
        return SAMI_ERR_LENGTH;
    if (len > SAMI_XFER_NAME_MAX)
        return SAMI_ERR_TOOBIG;
    if (!s)
        return SAMI_ERR_INVAL;
    *bad = utf8_bad_at(s, len);
    return *bad == len ? 0 : SAMI_ERR_VALUE;
}

int sami_xfer_read_name(const struct sami_xfer_elem *e, struct sami_xfer_name *out,
                        struct sami_err *err)
{
    struct sami_rd r;
    size_t bad = 0;
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_NAME, 0, "xfer.name");
    if (rc)
        return rc;
    rc = name_check(e->value, e->len, &bad);
    if (rc == SAMI_ERR_VALUE)
        return sami_rd_fail_at(&r, e->offset + bad, rc, "xfer.name");
    if (rc)
        return sami_rd_fail_at(&r, elem_hdr_at(e) + 2, rc, "xfer.name.length");
    if (out) {
        out->s = e->value;
        out->len = e->len;
    }
    return 0;
}

int sami_xfer_read_vm_id(const struct sami_xfer_elem *e, struct sami_xfer_vm_id *out,
                         struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_vm_id v;
    memset(&v, 0, sizeof v);
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_VM_ID, SAMI_XFER_VM_ID_LEN, "xfer.vm_id");
    if (rc)
        return rc;
    (void)sami_rd_u24(&r, &v.type_id, "xfer.vm_id.type_id");
    (void)sami_rd_u8(&r, &v.type_ver, "xfer.vm_id.type_ver");
    (void)sami_rd_u8(&r, &v.id_format, "xfer.vm_id.format");
    (void)sami_rd_bytes(&r, v.id, sizeof v.id, "xfer.vm_id.id");
    if (v.id_format < 1 || v.id_format > 5)
        return sami_rd_fail_at(&r, e->offset + 4, SAMI_ERR_VALUE, "xfer.vm_id.format");
    if (out)
        *out = v;
    return 0;
}

int sami_xfer_read_generation(const struct sami_xfer_elem *e, struct sami_xfer_generation *out,
                              struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_generation g = {0, 0};
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_GENERATION, SAMI_XFER_GENERATION_LEN,
                        "xfer.generation");
    if (rc)
        return rc;
    (void)sami_rd_u64(&r, &g.base, "xfer.generation.base");
    (void)sami_rd_u64(&r, &g.next, "xfer.generation.next");
    if (g.next == 0) /* generation 0 means "nothing": a batch cannot produce it */
        return sami_rd_fail_at(&r, e->offset + 8, SAMI_ERR_VALUE, "xfer.generation.next");
    if (out)
        *out = g;
    return 0;
}

int sami_xfer_read_counts(const struct sami_xfer_elem *e, struct sami_xfer_counts *out,
                          struct sami_err *err)
{
    struct sami_rd r;
    uint8_t seen[32] = {0};
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_COUNTS, 0, "xfer.counts");
    if (rc)
        return rc;
    if (e->len % SAMI_XFER_COUNT_ENTRY_LEN)
        return sami_rd_fail_at(&r, elem_hdr_at(e) + 2, SAMI_ERR_COUNT, "xfer.counts.length");
    while (!sami_rd_done(&r)) {
        size_t at = sami_rd_offset(&r);
        uint8_t t = 0, rsv = 0;
        uint32_t cnt = 0;
        (void)sami_rd_u8(&r, &t, "xfer.counts.di_type");
        (void)sami_rd_u8(&r, &rsv, "xfer.counts.reserved");
        (void)sami_rd_u32(&r, &cnt, "xfer.counts.count");
        if (t == 0)
            return sami_rd_fail_at(&r, at, SAMI_ERR_VALUE, "xfer.counts.di_type");
        if (rsv != 0)
            return sami_rd_fail_at(&r, at + 1, SAMI_ERR_VALUE, "xfer.counts.reserved");
        if (seen[t >> 3] & (1u << (t & 7)))
            return sami_rd_fail_at(&r, at, SAMI_ERR_DUPLICATE, "xfer.counts.di_type");
        seen[t >> 3] = (uint8_t)(seen[t >> 3] | (1u << (t & 7)));
    }
    if (out) {
        out->p = e->value;
        out->n = e->len / SAMI_XFER_COUNT_ENTRY_LEN;
    }
    return 0;
}

int sami_xfer_counts_get(const struct sami_xfer_counts *v, size_t i, struct sami_xfer_count *out)
{
    struct sami_rd r;
    uint8_t rsv = 0;
    if (!v || !out || i >= v->n)
        return SAMI_ERR_INVAL;
    sami_rd_init(&r, v->p, v->n * SAMI_XFER_COUNT_ENTRY_LEN, NULL);
    (void)sami_rd_skip(&r, i * SAMI_XFER_COUNT_ENTRY_LEN, "xfer.counts");
    (void)sami_rd_u8(&r, &out->di_type, "xfer.counts.di_type");
    (void)sami_rd_u8(&r, &rsv, "xfer.counts.reserved");
    (void)sami_rd_u32(&r, &out->count, "xfer.counts.count");
    return 0;
}

int sami_xfer_read_digest(const struct sami_xfer_elem *e, uint64_t *out, struct sami_err *err)
{
    struct sami_rd r;
    uint64_t d = 0;
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_DIGEST, SAMI_XFER_DIGEST_LEN, "xfer.digest");
    if (rc)
        return rc;
    (void)sami_rd_u64(&r, &d, "xfer.digest");
    if (out)
        *out = d;
    return 0;
}

/* status(1) reason(2) ranges shared by STATUS and TYPE RESULT. */
static int status_reason_check(struct sami_rd *r, size_t at_status, uint8_t status,
                               size_t at_reason, uint16_t reason, const char *ws,
                               const char *wr)
{
    if (status > SAMI_XFER_ST_MAX)
        return sami_rd_fail_at(r, at_status, SAMI_ERR_VALUE, ws);
    if (reason > SAMI_XFER_R_MAX)
        return sami_rd_fail_at(r, at_reason, SAMI_ERR_VALUE, wr);
    return 0;
}

int sami_xfer_read_status(const struct sami_xfer_elem *e, struct sami_xfer_status_elem *out,
                          struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_status_elem s = {0, 0};
    uint8_t rsv = 0;
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_STATUS, SAMI_XFER_STATUS_LEN, "xfer.status");
    if (rc)
        return rc;
    (void)sami_rd_u8(&r, &s.status, "xfer.status.status");
    (void)sami_rd_u8(&r, &rsv, "xfer.status.reserved");
    (void)sami_rd_u16(&r, &s.reason, "xfer.status.reason");
    rc = status_reason_check(&r, e->offset, s.status, e->offset + 2, s.reason,
                             "xfer.status.status", "xfer.status.reason");
    if (rc)
        return rc;
    if (rsv != 0)
        return sami_rd_fail_at(&r, e->offset + 1, SAMI_ERR_VALUE, "xfer.status.reserved");
    if (out)
        *out = s;
    return 0;
}

int sami_xfer_read_type_result(const struct sami_xfer_elem *e, struct sami_xfer_type_result *out,
                               struct sami_err *err)
{
    struct sami_rd r;
    struct sami_xfer_type_result t;
    memset(&t, 0, sizeof t);
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_TYPE_RESULT, SAMI_XFER_TYPE_RESULT_LEN,
                        "xfer.type_result");
    if (rc)
        return rc;
    (void)sami_rd_u8(&r, &t.di_type, "xfer.type_result.di_type");
    (void)sami_rd_u8(&r, &t.status, "xfer.type_result.status");
    (void)sami_rd_u16(&r, &t.reason, "xfer.type_result.reason");
    (void)sami_rd_u32(&r, &t.sent, "xfer.type_result.sent");
    (void)sami_rd_u32(&r, &t.installed, "xfer.type_result.installed");
    if (t.di_type == 0)
        return sami_rd_fail_at(&r, e->offset, SAMI_ERR_VALUE, "xfer.type_result.di_type");
    rc = status_reason_check(&r, e->offset + 1, t.status, e->offset + 2, t.reason,
                             "xfer.type_result.status", "xfer.type_result.reason");
    if (rc)
        return rc;
    if (out)
        *out = t;
    return 0;
}

int sami_xfer_read_snapshot_time(const struct sami_xfer_elem *e, uint32_t *out_ms,
                                 struct sami_err *err)
{
    struct sami_rd r;
    uint32_t v = 0;
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_SNAPSHOT_TIME, SAMI_XFER_SNAPSHOT_TIME_LEN,
                        "xfer.snapshot_time");
    if (rc)
        return rc;
    (void)sami_rd_u32(&r, &v, "xfer.snapshot_time");
    if (out_ms)
        *out_ms = v;
    return 0;
}

int sami_xfer_read_acked_seq(const struct sami_xfer_elem *e, uint64_t *out, struct sami_err *err)
{
    struct sami_rd r;
    uint64_t v = 0;
    int rc = elem_begin(&r, e, err, SAMI_XFER_E_ACKED_SEQ, SAMI_XFER_ACKED_SEQ_LEN,
                        "xfer.acked_seq");
    if (rc)
        return rc;
    (void)sami_rd_u64(&r, &v, "xfer.acked_seq");
    if (v == 0) /* sequences start at 1 */
        return sami_rd_fail_at(&r, e->offset, SAMI_ERR_VALUE, "xfer.acked_seq");
    if (out)
        *out = v;
    return 0;
}

int sami_xfer_read_di(const struct sami_xfer_elem *e, struct sami_xfer_di *out,
                      struct sami_err *err)
{
    struct sami_rd r;
    int rc = elem_begin(&r, e, err, -1, 0, "xfer.di");
    if (rc)
        return rc;
    if (!SAMI_XFER_E_IS_DI(e->type))
        return sami_rd_fail_at(&r, elem_hdr_at(e), SAMI_ERR_TYPE, "xfer.di.type");
    if (e->len < 2) /* at least version(1) op(1) */
        return sami_rd_fail_at(&r, elem_hdr_at(e) + 2, SAMI_ERR_LENGTH, "xfer.di.length");
    if (out) {
        out->di_type = (uint8_t)(e->type & 0xffu);
        out->value = e->value;
        out->len = e->len;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* body validation */

#define EB(t) (1u << (t))

struct xfer_rules {
    uint16_t allowed;
    uint16_t mandatory;
    uint8_t di; /* DI record elements allowed */
};

static const struct xfer_rules xfer_rules[SAMI_XFER_TYPE_MAX + 1] = {
    [SAMI_XFER_HELLO] = {EB(SAMI_XFER_E_CAPS) | EB(SAMI_XFER_E_NAME), EB(SAMI_XFER_E_CAPS), 0},
    [SAMI_XFER_PRECOPY] = {EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_GENERATION) |
                               EB(SAMI_XFER_E_SNAPSHOT_TIME),
                           EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_GENERATION), 1},
    [SAMI_XFER_DELTA] = {EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_GENERATION) |
                             EB(SAMI_XFER_E_SNAPSHOT_TIME),
                         EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_GENERATION), 1},
    [SAMI_XFER_COMMIT] = {EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_COUNTS) | EB(SAMI_XFER_E_DIGEST) |
                              EB(SAMI_XFER_E_SNAPSHOT_TIME),
                          EB(SAMI_XFER_E_VM_ID) | EB(SAMI_XFER_E_COUNTS) | EB(SAMI_XFER_E_DIGEST),
                          0},
    [SAMI_XFER_RESULT] = {EB(SAMI_XFER_E_COUNTS) | EB(SAMI_XFER_E_DIGEST) | EB(SAMI_XFER_E_STATUS) |
                              EB(SAMI_XFER_E_TYPE_RESULT),
                          EB(SAMI_XFER_E_STATUS), 0},
    [SAMI_XFER_ACTIVATE] = {EB(SAMI_XFER_E_STATUS), 0, 0},
    [SAMI_XFER_PURGE] = {EB(SAMI_XFER_E_STATUS), 0, 0},
    [SAMI_XFER_ABORT] = {EB(SAMI_XFER_E_STATUS), EB(SAMI_XFER_E_STATUS), 0},
    [SAMI_XFER_ACK] = {EB(SAMI_XFER_E_ACKED_SEQ), EB(SAMI_XFER_E_ACKED_SEQ), 0},
};

static const char *const xfer_missing_what[SAMI_XFER_E_ACKED_SEQ + 1] = {
    [SAMI_XFER_E_CAPS] = "xfer.caps",
    [SAMI_XFER_E_VM_ID] = "xfer.vm_id",
    [SAMI_XFER_E_GENERATION] = "xfer.generation",
    [SAMI_XFER_E_COUNTS] = "xfer.counts",
    [SAMI_XFER_E_DIGEST] = "xfer.digest",
    [SAMI_XFER_E_STATUS] = "xfer.status",
    [SAMI_XFER_E_ACKED_SEQ] = "xfer.acked_seq",
};

static int check_known(const struct sami_xfer_elem *e, struct sami_err *err, uint8_t tr_seen[32])
{
    switch (e->type) {
    case SAMI_XFER_E_CAPS:
        return sami_xfer_read_caps(e, NULL, err);
    case SAMI_XFER_E_NAME:
        return sami_xfer_read_name(e, NULL, err);
    case SAMI_XFER_E_VM_ID:
        return sami_xfer_read_vm_id(e, NULL, err);
    case SAMI_XFER_E_GENERATION:
        return sami_xfer_read_generation(e, NULL, err);
    case SAMI_XFER_E_COUNTS:
        return sami_xfer_read_counts(e, NULL, err);
    case SAMI_XFER_E_DIGEST:
        return sami_xfer_read_digest(e, NULL, err);
    case SAMI_XFER_E_STATUS:
        return sami_xfer_read_status(e, NULL, err);
    case SAMI_XFER_E_SNAPSHOT_TIME:
        return sami_xfer_read_snapshot_time(e, NULL, err);
    case SAMI_XFER_E_ACKED_SEQ:
        return sami_xfer_read_acked_seq(e, NULL, err);
    case SAMI_XFER_E_TYPE_RESULT: {
        struct sami_xfer_type_result t;
        int rc = sami_xfer_read_type_result(e, &t, err);
        if (rc)
            return rc;
        /* one result per DI type */
        if (tr_seen[t.di_type >> 3] & (1u << (t.di_type & 7))) {
            struct sami_rd r;
            (void)elem_begin(&r, e, err, -1, 0, "xfer.type_result.di_type");
            return sami_rd_fail_at(&r, e->offset, SAMI_ERR_DUPLICATE, "xfer.type_result.di_type");
        }
        tr_seen[t.di_type >> 3] = (uint8_t)(tr_seen[t.di_type >> 3] | (1u << (t.di_type & 7)));
        return 0;
    }
    default:
        return 0;
    }
}

int sami_xfer_check_body(const struct sami_xfer_msg *m, struct sami_err *err)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    uint8_t tr_seen[32] = {0};
    uint32_t seen = 0;
    int rc;

    sami_xfer_iter_init(&it, m, err);
    if (!m)
        return sami_rd_fail(&it.r, SAMI_ERR_INVAL, "xfer.msg");
    if (m->hdr.type < SAMI_XFER_HELLO || m->hdr.type > SAMI_XFER_TYPE_MAX)
        return sami_rd_fail_at(&it.r, 1, SAMI_ERR_TYPE, "xfer.type");
    const struct xfer_rules *ru = &xfer_rules[m->hdr.type];

    while ((rc = sami_xfer_iter_next(&it, &e)) == 1) {
        it.r.tlv_type = e.type;
        if (SAMI_XFER_E_IS_DI(e.type)) {
            if (!ru->di)
                return sami_rd_fail_at(&it.r, elem_hdr_at(&e), SAMI_ERR_TYPE, "xfer.element.type");
            rc = sami_xfer_read_di(&e, NULL, err);
            if (rc)
                return rc;
            continue;
        }
        if (e.type < SAMI_XFER_E_CAPS || e.type > SAMI_XFER_E_ACKED_SEQ)
            continue; /* unknown: skipped by length (forward compatibility) */
        uint32_t bit = EB(e.type);
        if (!(ru->allowed & bit))
            return sami_rd_fail_at(&it.r, elem_hdr_at(&e), SAMI_ERR_TYPE, "xfer.element.type");
        if ((seen & bit) && e.type != SAMI_XFER_E_TYPE_RESULT)
            return sami_rd_fail_at(&it.r, elem_hdr_at(&e), SAMI_ERR_DUPLICATE, "xfer.element.type");
        seen |= bit;
        rc = check_known(&e, err, tr_seen);
        if (rc)
            return rc;
    }
    if (rc < 0)
        return rc;
    uint32_t missing = ru->mandatory & ~seen;
    if (missing) {
        unsigned t = 1;
        while (!(missing & EB(t)))
            t++;
        it.r.tlv_type = -1;
        return sami_rd_fail_at(&it.r, SAMI_XFER_HDR_LEN + (size_t)m->hdr.body_len,
                               SAMI_ERR_MISSING, xfer_missing_what[t]);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* element writers */

static int elem_put(struct sami_wr *w, uint16_t type, const void *value, size_t len)
{
    if (!w || len > SAMI_XFER_ELEM_MAX || (!value && len))
        return SAMI_ERR_VALUE;
    sami_wr_u16(w, type);
    sami_wr_u16(w, (uint16_t)len);
    sami_wr_bytes(w, value, len);
    return 0;
}

int sami_xfer_write_elem(struct sami_wr *w, uint16_t type, const void *value, size_t len)
{
    return elem_put(w, type, value, len);
}

/* Values are staged in a small local buffer through a writer, then emitted
 * as one element, so nothing is written when validation fails. */
static int elem_put_staged(struct sami_wr *w, uint16_t type, const struct sami_wr *v)
{
    size_t n;
    if (sami_wr_finish(v, &n))
        return SAMI_ERR_INVAL; /* cannot happen: stage buffers are sized */
    return elem_put(w, type, v->p, n);
}

int sami_xfer_write_caps(struct sami_wr *w, const struct sami_xfer_caps *in)
{
    uint8_t b[SAMI_XFER_CAPS_LEN];
    struct sami_wr v;
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->version == 0 || in->role < 1 || in->role > 3 || (in->di_types & 1u) ||
        in->max_msg < SAMI_XFER_OVERHEAD)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u8(&v, in->version);
    sami_wr_u8(&v, in->role);
    sami_wr_u32(&v, in->di_types);
    sami_wr_u32(&v, in->max_records);
    sami_wr_u32(&v, in->max_msg);
    return elem_put_staged(w, SAMI_XFER_E_CAPS, &v);
}

int sami_xfer_write_name(struct sami_wr *w, const struct sami_xfer_name *in)
{
    size_t bad;
    if (!in)
        return SAMI_ERR_INVAL;
    int rc = name_check(in->s, in->len, &bad);
    if (rc)
        return rc == SAMI_ERR_INVAL ? rc : SAMI_ERR_VALUE;
    return elem_put(w, SAMI_XFER_E_NAME, in->s, in->len);
}

int sami_xfer_write_vm_id(struct sami_wr *w, const struct sami_xfer_vm_id *in)
{
    uint8_t b[SAMI_XFER_VM_ID_LEN];
    struct sami_wr v;
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->type_id > 0xffffffu || in->id_format < 1 || in->id_format > 5)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u24(&v, in->type_id);
    sami_wr_u8(&v, in->type_ver);
    sami_wr_u8(&v, in->id_format);
    sami_wr_bytes(&v, in->id, sizeof in->id);
    return elem_put_staged(w, SAMI_XFER_E_VM_ID, &v);
}

int sami_xfer_write_generation(struct sami_wr *w, const struct sami_xfer_generation *in)
{
    uint8_t b[SAMI_XFER_GENERATION_LEN];
    struct sami_wr v;
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->next == 0)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u64(&v, in->base);
    sami_wr_u64(&v, in->next);
    return elem_put_staged(w, SAMI_XFER_E_GENERATION, &v);
}

int sami_xfer_write_counts(struct sami_wr *w, const struct sami_xfer_count *in, size_t n)
{
    uint8_t seen[32] = {0};
    if (!w || (!in && n))
        return SAMI_ERR_INVAL;
    if (n > SAMI_XFER_ELEM_MAX / SAMI_XFER_COUNT_ENTRY_LEN)
        return SAMI_ERR_VALUE;
    for (size_t i = 0; i < n; i++) {
        uint8_t t = in[i].di_type;
        if (t == 0 || (seen[t >> 3] & (1u << (t & 7))))
            return SAMI_ERR_VALUE;
        seen[t >> 3] = (uint8_t)(seen[t >> 3] | (1u << (t & 7)));
    }
    sami_wr_u16(w, SAMI_XFER_E_COUNTS);
    sami_wr_u16(w, (uint16_t)(n * SAMI_XFER_COUNT_ENTRY_LEN));
    for (size_t i = 0; i < n; i++) {
        sami_wr_u8(w, in[i].di_type);
        sami_wr_u8(w, 0);
        sami_wr_u32(w, in[i].count);
    }
    return 0;
}

int sami_xfer_write_digest(struct sami_wr *w, uint64_t digest)
{
    uint8_t b[SAMI_XFER_DIGEST_LEN];
    struct sami_wr v;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u64(&v, digest);
    return elem_put_staged(w, SAMI_XFER_E_DIGEST, &v);
}

int sami_xfer_write_status(struct sami_wr *w, const struct sami_xfer_status_elem *in)
{
    uint8_t b[SAMI_XFER_STATUS_LEN];
    struct sami_wr v;
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->status > SAMI_XFER_ST_MAX || in->reason > SAMI_XFER_R_MAX)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u8(&v, in->status);
    sami_wr_u8(&v, 0);
    sami_wr_u16(&v, in->reason);
    return elem_put_staged(w, SAMI_XFER_E_STATUS, &v);
}

int sami_xfer_write_type_result(struct sami_wr *w, const struct sami_xfer_type_result *in)
{
    uint8_t b[SAMI_XFER_TYPE_RESULT_LEN];
    struct sami_wr v;
    if (!in)
        return SAMI_ERR_INVAL;
    if (in->di_type == 0 || in->status > SAMI_XFER_ST_MAX || in->reason > SAMI_XFER_R_MAX)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u8(&v, in->di_type);
    sami_wr_u8(&v, in->status);
    sami_wr_u16(&v, in->reason);
    sami_wr_u32(&v, in->sent);
    sami_wr_u32(&v, in->installed);
    return elem_put_staged(w, SAMI_XFER_E_TYPE_RESULT, &v);
}

int sami_xfer_write_snapshot_time(struct sami_wr *w, uint32_t ms)
{
    uint8_t b[SAMI_XFER_SNAPSHOT_TIME_LEN];
    struct sami_wr v;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u32(&v, ms);
    return elem_put_staged(w, SAMI_XFER_E_SNAPSHOT_TIME, &v);
}

int sami_xfer_write_acked_seq(struct sami_wr *w, uint64_t seq)
{
    uint8_t b[SAMI_XFER_ACKED_SEQ_LEN];
    struct sami_wr v;
    if (seq == 0)
        return SAMI_ERR_VALUE;
    sami_wr_init(&v, b, sizeof b);
    sami_wr_u64(&v, seq);
    return elem_put_staged(w, SAMI_XFER_E_ACKED_SEQ, &v);
}

int sami_xfer_write_di(struct sami_wr *w, uint8_t di_type, const void *value, size_t len)
{
    if (di_type == 0 || len < 2)
        return SAMI_ERR_VALUE;
    return elem_put(w, SAMI_XFER_E_DI(di_type), value, len);
}

/* ------------------------------------------------------------------ */
/* builder, encode, seal */

static int hdr_check(const struct sami_xfer_hdr *h)
{
    if (!h)
        return SAMI_ERR_INVAL;
    if (h->version != SAMI_XFER_VERSION || h->type < SAMI_XFER_HELLO ||
        h->type > SAMI_XFER_TYPE_MAX || (h->flags & ~SAMI_XFER_F_ALL))
        return SAMI_ERR_VALUE;
    return 0;
}

static void hdr_put(struct sami_wr *w, const struct sami_xfer_hdr *h, uint32_t body_len)
{
    sami_wr_u8(w, h->version);
    sami_wr_u8(w, h->type);
    sami_wr_u16(w, h->flags);
    sami_wr_u32(w, body_len);
    sami_wr_u16(w, h->sender.priority);
    sami_wr_bytes(w, h->sender.mac, sizeof h->sender.mac);
    sami_wr_u64(w, h->migration_id);
}

static int key_usable(const struct sami_xfer_key *k)
{
    return k && k->id != 0 && k->len >= SAMI_XFER_KEY_MIN && k->len <= SAMI_XFER_KEY_MAX;
}

void sami_xfer_build_begin(struct sami_xfer_builder *b, uint8_t *buf, size_t cap,
                           const struct sami_xfer_hdr *hdr)
{
    if (!b)
        return;
    sami_wr_init(&b->w, buf, cap);
    b->err = hdr_check(hdr);
    if (b->err)
        return;
    hdr_put(&b->w, hdr, 0); /* body length patched by finish */
}

static int build_rc(struct sami_xfer_builder *b, int rc)
{
    if (rc && b->err == 0)
        b->err = rc;
    return rc;
}

#define BUILD_GUARD(b)                                                                           \
    do {                                                                                         \
        if (!(b))                                                                                \
            return SAMI_ERR_INVAL;                                                               \
        if ((b)->err)                                                                            \
            return (b)->err;                                                                     \
    } while (0)

int sami_xfer_build_elem(struct sami_xfer_builder *b, uint16_t type, const void *value, size_t len)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_elem(&b->w, type, value, len));
}

int sami_xfer_build_caps(struct sami_xfer_builder *b, const struct sami_xfer_caps *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_caps(&b->w, in));
}

int sami_xfer_build_name(struct sami_xfer_builder *b, const struct sami_xfer_name *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_name(&b->w, in));
}

int sami_xfer_build_vm_id(struct sami_xfer_builder *b, const struct sami_xfer_vm_id *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_vm_id(&b->w, in));
}

int sami_xfer_build_generation(struct sami_xfer_builder *b, const struct sami_xfer_generation *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_generation(&b->w, in));
}

int sami_xfer_build_counts(struct sami_xfer_builder *b, const struct sami_xfer_count *in, size_t n)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_counts(&b->w, in, n));
}

int sami_xfer_build_digest(struct sami_xfer_builder *b, uint64_t digest)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_digest(&b->w, digest));
}

int sami_xfer_build_status(struct sami_xfer_builder *b, const struct sami_xfer_status_elem *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_status(&b->w, in));
}

int sami_xfer_build_type_result(struct sami_xfer_builder *b,
                                const struct sami_xfer_type_result *in)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_type_result(&b->w, in));
}

int sami_xfer_build_snapshot_time(struct sami_xfer_builder *b, uint32_t ms)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_snapshot_time(&b->w, ms));
}

int sami_xfer_build_acked_seq(struct sami_xfer_builder *b, uint64_t seq)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_acked_seq(&b->w, seq));
}

int sami_xfer_build_di(struct sami_xfer_builder *b, uint8_t di_type, const void *value, size_t len)
{
    BUILD_GUARD(b);
    return build_rc(b, sami_xfer_write_di(&b->w, di_type, value, len));
}

size_t sami_xfer_build_elem_open(struct sami_xfer_builder *b, uint16_t type)
{
    if (!b)
        return 0;
    size_t mark = b->w.pos;
    sami_wr_u16(&b->w, type);
    sami_wr_u16(&b->w, 0);
    return mark;
}

struct sami_wr *sami_xfer_build_wr(struct sami_xfer_builder *b)
{
    return b ? &b->w : NULL;
}

int sami_xfer_build_elem_close(struct sami_xfer_builder *b, size_t mark)
{
    BUILD_GUARD(b);
    if (mark < SAMI_XFER_HDR_LEN || mark > b->w.pos || b->w.pos - mark < SAMI_XFER_ELEM_HDR_LEN)
        return build_rc(b, SAMI_ERR_INVAL);
    size_t n = b->w.pos - mark - SAMI_XFER_ELEM_HDR_LEN;
    if (n > SAMI_XFER_ELEM_MAX)
        return build_rc(b, SAMI_ERR_VALUE);
    sami_wr_patch_u16(&b->w, mark + 2, (uint16_t)n);
    return 0;
}

int sami_xfer_build_finish(struct sami_xfer_builder *b, const struct sami_xfer_key *key,
                           uint64_t seq, const struct sami_hmac_provider *p, size_t *len)
{
    if (len)
        *len = 0;
    BUILD_GUARD(b);
    if (!key_usable(key) || seq == 0)
        return build_rc(b, SAMI_ERR_INVAL);
    size_t body = b->w.pos - SAMI_XFER_HDR_LEN;
    if (body > UINT32_MAX)
        return build_rc(b, SAMI_ERR_TOOBIG);
    sami_wr_patch_u32(&b->w, XFER_OFF_BODYLEN, (uint32_t)body);
    sami_wr_zero(&b->w, SAMI_XFER_TRAILER_LEN); /* filled by seal */
    int rc = sami_wr_finish(&b->w, len);
    if (rc)
        return rc;
    rc = sami_xfer_seal(b->w.p, b->w.pos, key, seq, p);
    if (rc)
        return build_rc(b, rc);
    return 0;
}

int sami_xfer_encode(const struct sami_xfer_msg *in, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_wr w;
    if (len)
        *len = 0;
    if (!in)
        return SAMI_ERR_INVAL;
    int rc = hdr_check(&in->hdr);
    if (rc)
        return rc;
    if (!in->body && in->hdr.body_len)
        return SAMI_ERR_INVAL;
    sami_wr_init(&w, buf, cap);
    hdr_put(&w, &in->hdr, in->hdr.body_len);
    sami_wr_bytes(&w, in->body, in->hdr.body_len);
    sami_wr_u16(&w, in->key_id);
    sami_wr_u64(&w, in->seq);
    sami_wr_bytes(&w, in->tag, sizeof in->tag);
    return sami_wr_finish(&w, len);
}

int sami_xfer_seal(uint8_t *buf, size_t len, const struct sami_xfer_key *key, uint64_t seq,
                   const struct sami_hmac_provider *p)
{
    struct sami_rd r;
    struct sami_wr w;
    uint32_t body = 0;
    uint8_t mac[SAMI_HMAC_SHA256_LEN];

    if (!buf || !key_usable(key) || seq == 0)
        return SAMI_ERR_INVAL;
    sami_rd_init(&r, buf, len, NULL);
    if (sami_rd_skip(&r, XFER_OFF_BODYLEN, "xfer") || sami_rd_u32(&r, &body, "xfer.body_length"))
        return SAMI_ERR_LENGTH;
    if (len < SAMI_XFER_OVERHEAD || len - SAMI_XFER_OVERHEAD != body)
        return SAMI_ERR_LENGTH;
    if (!p)
        p = sami_hmac_default();

    size_t trailer = len - SAMI_XFER_TRAILER_LEN;
    sami_wr_init(&w, buf + trailer, SAMI_XFER_TRAILER_LEN);
    sami_wr_u16(&w, key->id);
    sami_wr_u64(&w, seq);
    struct sami_iovec iov = {buf, trailer + 10};
    int rc = sami_hmac_sha256(p, key->bytes, key->len, &iov, 1, mac);
    if (rc == 0)
        sami_wr_bytes(&w, mac, SAMI_XFER_TAG_LEN);
    else
        sami_wr_zero(&w, SAMI_XFER_TAG_LEN); /* never leave a stale valid tag */
    sami_secure_zero(mac, sizeof mac);
    return rc == SAMI_ERR_INVAL ? SAMI_ERR_CRYPTO : rc;
}

/* ------------------------------------------------------------------ */
/* digest */

uint64_t sami_xfer_fnv1a64(const void *p, size_t n)
{
    const uint8_t *s = (const uint8_t *)p;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

void sami_xfer_digest_add(uint64_t *sum, const void *value, size_t n)
{
    if (sum && (value || n == 0))
        *sum += sami_xfer_fnv1a64(value, n); /* unsigned wrap = mod 2^64 */
}

void sami_xfer_digest_add_many(uint64_t *sum, const uint8_t *const *values, const size_t *lens,
                               size_t count)
{
    if (!sum || !values || !lens)
        return;
    size_t i = 0;
#ifndef __OPTIMIZE_SIZE__
    /* Four interleaved hashes hide the multiply latency (the COMMIT walk of
     * a big VM); a size-optimised firmware build keeps only the plain loop:
     * the sum is the same either way. */
    const uint64_t prime = UINT64_C(0x100000001b3);
    for (; i + 4 <= count; i += 4) {
        const uint8_t *const *v = values + i;
        const size_t *n = lens + i;
        if (!v[0] || !v[1] || !v[2] || !v[3])
            break; /* the one-at-a-time loop below skips the NULL ones */
        uint64_t h[4];
        size_t common = n[0];
        for (int j = 0; j < 4; j++) {
            h[j] = UINT64_C(0xcbf29ce484222325);
            if (n[j] < common)
                common = n[j];
        }
        for (size_t k = 0; k < common; k++) {
            h[0] = (h[0] ^ v[0][k]) * prime;
            h[1] = (h[1] ^ v[1][k]) * prime;
            h[2] = (h[2] ^ v[2][k]) * prime;
            h[3] = (h[3] ^ v[3][k]) * prime;
        }
        for (int j = 0; j < 4; j++) {
            for (size_t k = common; k < n[j]; k++)
                h[j] = (h[j] ^ v[j][k]) * prime;
            *sum += h[j];
        }
    }
#endif
    for (; i < count; i++)
        sami_xfer_digest_add(sum, values[i], lens[i]);
}

/* ------------------------------------------------------------------ */
/* stream binding */

int sami_xfer_stream_frame_len(const uint8_t prefix[SAMI_XFER_STREAM_PREFIX_LEN], size_t max,
                               size_t *len)
{
    struct sami_rd r;
    uint32_t v = 0;
    if (!prefix || !len)
        return SAMI_ERR_INVAL;
    sami_rd_init(&r, prefix, SAMI_XFER_STREAM_PREFIX_LEN, NULL);
    (void)sami_rd_u32(&r, &v, "xfer.stream.length");
    if (v < SAMI_XFER_OVERHEAD)
        return SAMI_ERR_LENGTH;
    if (v > max)
        return SAMI_ERR_TOOBIG;
    *len = v;
    return 0;
}

int sami_xfer_stream_prefix(size_t msg_len, uint8_t prefix[SAMI_XFER_STREAM_PREFIX_LEN])
{
    struct sami_wr w;
    if (!prefix || msg_len < SAMI_XFER_OVERHEAD || msg_len > UINT32_MAX)
        return SAMI_ERR_INVAL;
    sami_wr_init(&w, prefix, SAMI_XFER_STREAM_PREFIX_LEN);
    sami_wr_u32(&w, (uint32_t)msg_len);
    return 0;
}

int sami_xfer_deframer_init(struct sami_xfer_deframer *d, uint8_t *buf, size_t cap, size_t max)
{
    if (!d)
        return SAMI_ERR_INVAL;
    memset(d, 0, sizeof *d);
    if (max == 0)
        max = cap;
    if (!buf || cap < SAMI_XFER_OVERHEAD || max > cap || max < SAMI_XFER_OVERHEAD) {
        d->err = SAMI_ERR_INVAL;
        return SAMI_ERR_INVAL;
    }
    d->buf = buf;
    d->max = max;
    return 0;
}

int sami_xfer_deframer_push(struct sami_xfer_deframer *d, const uint8_t *data, size_t n,
                            size_t *consumed, const uint8_t **msg, size_t *msg_len)
{
    struct sami_rd in;
    if (consumed)
        *consumed = 0;
    if (!d || !consumed || !msg || !msg_len || (!data && n))
        return SAMI_ERR_INVAL;
    *msg = NULL;
    *msg_len = 0;
    if (d->err)
        return d->err;
    sami_rd_init(&in, data, n, NULL);
    while (!sami_rd_done(&in)) {
        size_t left = sami_rd_left(&in);
        if (d->prefix_have < SAMI_XFER_STREAM_PREFIX_LEN) {
            size_t take = SAMI_XFER_STREAM_PREFIX_LEN - d->prefix_have;
            if (take > left)
                take = left;
            (void)sami_rd_bytes(&in, d->prefix + d->prefix_have, take, "xfer.stream.length");
            d->prefix_have += take;
            if (d->prefix_have == SAMI_XFER_STREAM_PREFIX_LEN) {
                int rc = sami_xfer_stream_frame_len(d->prefix, d->max, &d->need);
                if (rc) {
                    d->err = rc;
                    *consumed = in.pos;
                    return rc;
                }
                d->have = 0;
            }
            continue;
        }
        size_t take = d->need - d->have;
        if (take > left)
            take = left;
        (void)sami_rd_bytes(&in, d->buf + d->have, take, "xfer.stream.message");
        d->have += take;
        if (d->have == d->need) {
            *msg = d->buf;
            *msg_len = d->need;
            d->prefix_have = 0;
            d->need = 0;
            d->have = 0;
            *consumed = in.pos;
            return 1;
        }
    }
    *consumed = in.pos;
    return 0;
}

/* ------------------------------------------------------------------ */
/* names */

const char *sami_xfer_type_name(unsigned type)
{
    static const char *const names[] = {"?",     "HELLO", "PRECOPY", "DELTA", "COMMIT",
                                        "RESULT", "ACTIVATE", "PURGE", "ABORT", "ACK"};
    return type < sizeof names / sizeof names[0] ? names[type] : "?";
}

const char *sami_xfer_elem_name(unsigned elem_type)
{
    static const char *const names[] = {"?",      "CAPS",   "NAME",   "VM_ID",
                                        "GENERATION", "COUNTS", "DIGEST", "STATUS",
                                        "TYPE_RESULT", "SNAPSHOT_TIME", "ACKED_SEQ"};
    if (elem_type < sizeof names / sizeof names[0])
        return names[elem_type];
    if (elem_type <= 0xffffu && SAMI_XFER_E_IS_DI(elem_type))
        return "DI";
    return "?";
}
