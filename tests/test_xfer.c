/* Transfer messages: every vector opens to exactly its fields and is rebuilt
 * to exactly its bytes; truncations, bit flips, length lies, oversize bodies,
 * replays and key rolls are all refused with nothing returned. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol_doc.h"
#include "sami/hmac.h"
#include "sami/xfer.h"
#include "sami/xfer_l2.h"
#include "vectors_xfer.h"

#define NVEC (sizeof sami_vectors_xfer / sizeof sami_vectors_xfer[0])
#define MIG UINT64_C(0x1122334455667788)

/* ---- fixtures ---- */

/* Signing and verifying need a provider; a build without one (firmware
 * plugs its own) still runs the crypto-free tests. */
#define NEED_HMAC()                                                                              \
    do {                                                                                         \
        if (!sami_hmac_default())                                                                \
            skip();                                                                              \
    } while (0)

static void key_init(struct sami_xfer_key *k, uint16_t id, uint8_t first)
{
    memset(k, 0, sizeof *k);
    k->id = id;
    k->len = 32;
    for (int i = 0; i < 32; i++)
        k->bytes[i] = (uint8_t)(first + i);
}

/* The documented test key: id 1, octets 00..1f. */
static struct sami_xfer_key test_key(void)
{
    struct sami_xfer_key k;
    key_init(&k, SAMI_XFER_TEST_KEY_ID, 0);
    return k;
}

static struct sami_xfer_keyring test_ring(void)
{
    struct sami_xfer_keyring kr;
    memset(&kr, 0, sizeof kr);
    kr.keys[0] = test_key();
    kr.hmac = sami_hmac_default();
    return kr;
}

static size_t vec(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < NVEC; i++) {
        if (strcmp(sami_vectors_xfer[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_xfer[i].hex, buf, cap);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static int is_stream(const char *name)
{
    return strncmp(name, "xfer-stream-", 12) == 0;
}

/* A vector's message octets (stream prefix stripped). */
static size_t vec_msg(size_t i, uint8_t *buf, size_t cap)
{
    long n = sami_test_hex(sami_vectors_xfer[i].hex, buf, cap);
    assert_true(n > 0);
    if (is_stream(sami_vectors_xfer[i].name)) {
        size_t len;
        assert_int_equal(sami_xfer_stream_frame_len(buf, 4096, &len), 0);
        assert_int_equal(len + 4, (size_t)n);
        memmove(buf, buf + 4, len);
        return len;
    }
    return (size_t)n;
}

static int all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

/* Recomputes the tag over whatever the buffer now says, so a test reaches the
 * checks behind the MAC (a peer holding the key that sends nonsense). */
static void resign(uint8_t *buf, size_t len)
{
    struct sami_xfer_key k = test_key();
    uint8_t mac[32];
    struct sami_iovec iov = {buf, len - 16};
    assert_int_equal(sami_hmac_sha256(sami_hmac_default(), k.bytes, k.len, &iov, 1, mac), 0);
    memcpy(buf + len - 16, mac, 16);
}

static int open_fresh(const uint8_t *buf, size_t len, struct sami_xfer_msg *m,
                      struct sami_err *err)
{
    struct sami_xfer_keyring kr = test_ring();
    struct sami_xfer_replay rp;
    memset(&rp, 0, sizeof rp);
    return sami_xfer_open(buf, len, &kr, &rp, 0, 0, m, err);
}

/* ---- the fields behind each vector (docs/PROTOCOL.md) ---- */

static const struct sami_xfer_vm_id VM = {
    0x000001, 1, 5,
    {0x6b, 0x1e, 0x5a, 0x6e, 0x2f, 0x3c, 0x4d, 0x5e, 0x9f, 0x00, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab}};
static const uint8_t DHCP1[] = {0x01, 0x01, 0xc0, 0x00, 0x02, 0x0a, 0x52, 0x54, 0x00,
                                0x12, 0x34, 0x56, 0x00, 0x64, 0x00, 0x36, 0xee, 0x80};
static const uint8_t DHCP2[] = {0x01, 0x01, 0xc0, 0x00, 0x02, 0x0a, 0x52, 0x54, 0x00,
                                0x12, 0x34, 0x56, 0x00, 0x64, 0x00, 0x6d, 0xdd, 0x00};
static const uint8_t ND[] = {0x01, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0,
                             0, 0, 0, 0, 0, 0, 0x0a, 0x52, 0x54, 0x00, 0x12,
                             0x34, 0x56, 0x00, 0x64, 0x00, 0x00, 0x75, 0x30, 0x02};
static const struct sami_xfer_caps CAPS = {1, 2, 0x1fe, 100000, 16u * 1024u * 1024u + 50u};
static const struct sami_xfer_count COUNTS[2] = {{1, 1}, {3, 1}};
static const struct sami_xfer_type_result TR[2] = {{1, 0, 0, 2, 1}, {3, 0, 0, 1, 1}};
#define DIGEST UINT64_C(0x8b480d9ab596f18d)

static void assert_caps_equal(const struct sami_xfer_caps *a, const struct sami_xfer_caps *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->role, b->role);
    assert_int_equal(a->di_types, b->di_types);
    assert_int_equal(a->max_records, b->max_records);
    assert_int_equal(a->max_msg, b->max_msg);
}

struct vec_fields {
    const char *name;
    uint8_t type;
    uint16_t flags;
    uint8_t from; /* last MAC octet of the sender: 1 = bridge A, 2 = B */
    uint64_t mig;
    uint64_t seq;
};

static const struct vec_fields FIELDS[] = {
    {"xfer-hello", SAMI_XFER_HELLO, 0, 1, 0, 1},
    {"xfer-precopy", SAMI_XFER_PRECOPY, 0, 1, MIG, 2},
    {"xfer-delta", SAMI_XFER_DELTA, SAMI_XFER_F_LAST, 1, MIG, 3},
    {"xfer-commit", SAMI_XFER_COMMIT, SAMI_XFER_F_LAST, 1, MIG, 4},
    {"xfer-result", SAMI_XFER_RESULT, SAMI_XFER_F_RESPONSE, 2, MIG, 1},
    {"xfer-activate", SAMI_XFER_ACTIVATE, 0, 1, MIG, 5},
    {"xfer-purge", SAMI_XFER_PURGE, 0, 2, MIG, 2},
    {"xfer-abort", SAMI_XFER_ABORT, 0, 1, MIG, 6},
    {"xfer-ack", SAMI_XFER_ACK, SAMI_XFER_F_RESPONSE, 2, MIG, 3},
    {"xfer-stream-hello", SAMI_XFER_HELLO, 0, 1, 0, 1},
};

static const struct vec_fields *fields_of(const char *name)
{
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++)
        if (strcmp(FIELDS[i].name, name) == 0)
            return &FIELDS[i];
    fail_msg("no fields for %s", name);
    return NULL;
}

static struct sami_xfer_hdr hdr_of(const struct vec_fields *f)
{
    struct sami_xfer_hdr h;
    memset(&h, 0, sizeof h);
    h.version = SAMI_XFER_VERSION;
    h.type = f->type;
    h.flags = f->flags;
    h.sender.priority = 0x8000;
    h.sender.mac[0] = 0x02;
    h.sender.mac[5] = f->from;
    h.migration_id = f->mig;
    return h;
}

/* Builds the message of a vector from its fields with the public builder. */
static int build_vector(const struct vec_fields *f, uint8_t *buf, size_t cap, size_t *len)
{
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h = hdr_of(f);
    struct sami_xfer_key k = test_key();
    struct sami_xfer_generation g0 = {0, 1}, g1 = {1, 2};
    struct sami_xfer_status_elem ok = {SAMI_XFER_ST_OK, SAMI_XFER_R_NONE};
    struct sami_xfer_status_elem fail = {SAMI_XFER_ST_FAILED, SAMI_XFER_R_DEADLINE};
    struct sami_xfer_name name = {(const uint8_t *)"bridge-a", 8};

    sami_xfer_build_begin(&b, buf, cap, &h);
    switch (f->type) {
    case SAMI_XFER_HELLO:
        assert_int_equal(sami_xfer_build_caps(&b, &CAPS), 0);
        assert_int_equal(sami_xfer_build_name(&b, &name), 0);
        break;
    case SAMI_XFER_PRECOPY:
        assert_int_equal(sami_xfer_build_vm_id(&b, &VM), 0);
        assert_int_equal(sami_xfer_build_generation(&b, &g0), 0);
        assert_int_equal(sami_xfer_build_snapshot_time(&b, 12), 0);
        assert_int_equal(sami_xfer_build_di(&b, 1, DHCP1, sizeof DHCP1), 0);
        assert_int_equal(sami_xfer_build_di(&b, 3, ND, sizeof ND), 0);
        break;
    case SAMI_XFER_DELTA:
        assert_int_equal(sami_xfer_build_vm_id(&b, &VM), 0);
        assert_int_equal(sami_xfer_build_generation(&b, &g1), 0);
        assert_int_equal(sami_xfer_build_snapshot_time(&b, 3), 0);
        /* through the open/close path a nested DI encoder would use */
        {
            size_t at = sami_xfer_build_elem_open(&b, SAMI_XFER_E_DI(1));
            sami_wr_bytes(sami_xfer_build_wr(&b), DHCP2, sizeof DHCP2);
            assert_int_equal(sami_xfer_build_elem_close(&b, at), 0);
        }
        break;
    case SAMI_XFER_COMMIT:
        assert_int_equal(sami_xfer_build_vm_id(&b, &VM), 0);
        assert_int_equal(sami_xfer_build_counts(&b, COUNTS, 2), 0);
        assert_int_equal(sami_xfer_build_digest(&b, DIGEST), 0);
        break;
    case SAMI_XFER_RESULT:
        assert_int_equal(sami_xfer_build_status(&b, &ok), 0);
        assert_int_equal(sami_xfer_build_counts(&b, COUNTS, 2), 0);
        assert_int_equal(sami_xfer_build_digest(&b, DIGEST), 0);
        assert_int_equal(sami_xfer_build_type_result(&b, &TR[0]), 0);
        assert_int_equal(sami_xfer_build_type_result(&b, &TR[1]), 0);
        break;
    case SAMI_XFER_ACTIVATE:
        break;
    case SAMI_XFER_PURGE:
        assert_int_equal(sami_xfer_build_status(&b, &ok), 0);
        break;
    case SAMI_XFER_ABORT:
        assert_int_equal(sami_xfer_build_status(&b, &fail), 0);
        break;
    case SAMI_XFER_ACK:
        assert_int_equal(sami_xfer_build_acked_seq(&b, 5), 0);
        break;
    default:
        fail();
    }
    return sami_xfer_build_finish(&b, &k, f->seq, NULL, len);
}

/* ---- vectors: fields, elements, rebuild, re-encode ---- */

static void check_elements(const struct sami_xfer_msg *m)
{
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    struct sami_err err;
    int n = 0, rc, di = 0, tr = 0;
    sami_xfer_iter_init(&it, m, &err);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1) {
        n++;
        assert_true(e.offset >= SAMI_XFER_HDR_LEN + 4);
        assert_ptr_equal(e.value, m->body + (e.offset - SAMI_XFER_HDR_LEN));
        switch (e.type) {
        case SAMI_XFER_E_CAPS: {
            struct sami_xfer_caps c;
            assert_int_equal(sami_xfer_read_caps(&e, &c, &err), 0);
            assert_caps_equal(&c, &CAPS);
            break;
        }
        case SAMI_XFER_E_NAME: {
            struct sami_xfer_name nm;
            assert_int_equal(sami_xfer_read_name(&e, &nm, &err), 0);
            assert_int_equal(nm.len, 8);
            assert_memory_equal(nm.s, "bridge-a", 8);
            break;
        }
        case SAMI_XFER_E_VM_ID: {
            struct sami_xfer_vm_id v;
            assert_int_equal(sami_xfer_read_vm_id(&e, &v, &err), 0);
            assert_int_equal(v.type_id, VM.type_id);
            assert_int_equal(v.type_ver, VM.type_ver);
            assert_int_equal(v.id_format, VM.id_format);
            assert_memory_equal(v.id, VM.id, 16);
            break;
        }
        case SAMI_XFER_E_GENERATION: {
            struct sami_xfer_generation g;
            assert_int_equal(sami_xfer_read_generation(&e, &g, &err), 0);
            assert_true(g.next == g.base + 1);
            assert_true(g.base == (m->hdr.type == SAMI_XFER_PRECOPY ? 0u : 1u));
            break;
        }
        case SAMI_XFER_E_SNAPSHOT_TIME: {
            uint32_t ms;
            assert_int_equal(sami_xfer_read_snapshot_time(&e, &ms, &err), 0);
            assert_int_equal(ms, m->hdr.type == SAMI_XFER_PRECOPY ? 12 : 3);
            break;
        }
        case SAMI_XFER_E_COUNTS: {
            struct sami_xfer_counts v;
            struct sami_xfer_count c;
            assert_int_equal(sami_xfer_read_counts(&e, &v, &err), 0);
            assert_int_equal(v.n, 2);
            for (size_t i = 0; i < 2; i++) {
                assert_int_equal(sami_xfer_counts_get(&v, i, &c), 0);
                assert_int_equal(c.di_type, COUNTS[i].di_type);
                assert_int_equal(c.count, COUNTS[i].count);
            }
            assert_int_equal(sami_xfer_counts_get(&v, 2, &c), SAMI_ERR_INVAL);
            break;
        }
        case SAMI_XFER_E_DIGEST: {
            uint64_t d;
            assert_int_equal(sami_xfer_read_digest(&e, &d, &err), 0);
            assert_true(d == DIGEST);
            break;
        }
        case SAMI_XFER_E_STATUS: {
            struct sami_xfer_status_elem s;
            assert_int_equal(sami_xfer_read_status(&e, &s, &err), 0);
            if (m->hdr.type == SAMI_XFER_ABORT) {
                assert_int_equal(s.status, SAMI_XFER_ST_FAILED);
                assert_int_equal(s.reason, SAMI_XFER_R_DEADLINE);
            } else {
                assert_int_equal(s.status, SAMI_XFER_ST_OK);
                assert_int_equal(s.reason, SAMI_XFER_R_NONE);
            }
            break;
        }
        case SAMI_XFER_E_TYPE_RESULT: {
            struct sami_xfer_type_result t;
            assert_int_equal(sami_xfer_read_type_result(&e, &t, &err), 0);
            assert_true(tr < 2);
            assert_memory_equal(&t, &TR[tr], sizeof t);
            tr++;
            break;
        }
        case SAMI_XFER_E_ACKED_SEQ: {
            uint64_t s;
            assert_int_equal(sami_xfer_read_acked_seq(&e, &s, &err), 0);
            assert_true(s == 5);
            break;
        }
        default: {
            struct sami_xfer_di d;
            assert_true(SAMI_XFER_E_IS_DI(e.type));
            assert_int_equal(sami_xfer_read_di(&e, &d, &err), 0);
            if (m->hdr.type == SAMI_XFER_PRECOPY && di == 0) {
                assert_int_equal(d.di_type, 1);
                assert_int_equal(d.len, sizeof DHCP1);
                assert_memory_equal(d.value, DHCP1, sizeof DHCP1);
            } else if (m->hdr.type == SAMI_XFER_PRECOPY) {
                assert_int_equal(d.di_type, 3);
                assert_int_equal(d.len, sizeof ND);
                assert_memory_equal(d.value, ND, sizeof ND);
            } else {
                assert_int_equal(d.di_type, 1);
                assert_memory_equal(d.value, DHCP2, sizeof DHCP2);
            }
            di++;
            break;
        }
        }
    }
    assert_int_equal(rc, 0);
    static const int want_n[] = {0, 2, 5, 4, 3, 5, 0, 1, 1, 1};
    assert_int_equal(n, want_n[m->hdr.type]);
    assert_int_equal(di, m->hdr.type == SAMI_XFER_PRECOPY ? 2 : m->hdr.type == SAMI_XFER_DELTA);
    assert_int_equal(tr, m->hdr.type == SAMI_XFER_RESULT ? 2 : 0);
}

static void test_vectors_open_exact_fields(void **state)
{
    (void)state;
    NEED_HMAC();
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t buf[1024];
        size_t len = vec_msg(i, buf, sizeof buf);
        const struct vec_fields *f = fields_of(sami_vectors_xfer[i].name);
        struct sami_xfer_msg m;
        struct sami_err err;
        int rc = open_fresh(buf, len, &m, &err);
        if (rc)
            fail_msg("%s: %s at %zu (%s)", sami_vectors_xfer[i].name, sami_strerror_name(rc),
                     err.offset, err.what);
        assert_int_equal(m.verified, 1);
        assert_int_equal(m.hdr.version, 1);
        assert_int_equal(m.hdr.type, f->type);
        assert_int_equal(m.hdr.flags, f->flags);
        assert_int_equal(m.hdr.sender.priority, 0x8000);
        const uint8_t mac[6] = {0x02, 0, 0, 0, 0, f->from};
        assert_memory_equal(m.hdr.sender.mac, mac, 6);
        assert_true(m.hdr.migration_id == f->mig);
        assert_int_equal(m.hdr.body_len, len - SAMI_XFER_OVERHEAD);
        assert_ptr_equal(m.body, buf + SAMI_XFER_HDR_LEN);
        assert_int_equal(m.key_id, 1);
        assert_true(m.seq == f->seq);
        assert_int_equal(m.total_len, len);
        assert_memory_equal(m.tag, buf + len - 16, 16);
        check_elements(&m);
    }
}

static void test_vectors_rebuild_and_reencode(void **state)
{
    (void)state;
    NEED_HMAC();
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t want[1024], got[1024];
        size_t wlen = vec_msg(i, want, sizeof want), glen = 0;
        const struct vec_fields *f = fields_of(sami_vectors_xfer[i].name);

        /* length query, then the real thing */
        assert_int_equal(build_vector(f, NULL, 0, &glen), SAMI_ERR_NOBUFS);
        assert_int_equal(glen, wlen);
        assert_int_equal(build_vector(f, got, wlen - 1, &glen), SAMI_ERR_NOBUFS);
        assert_int_equal(glen, wlen);
        assert_int_equal(build_vector(f, got, sizeof got, &glen), 0);
        assert_int_equal(glen, wlen);
        assert_memory_equal(got, want, wlen);

        /* unauthenticated decode + encode reproduces the bytes */
        struct sami_xfer_msg m;
        struct sami_err err;
        assert_int_equal(sami_xfer_decode(want, wlen, &m, &err), 0);
        assert_int_equal(m.verified, 0);
        memset(got, 0, sizeof got);
        assert_int_equal(sami_xfer_encode(&m, NULL, 0, &glen), SAMI_ERR_NOBUFS);
        assert_int_equal(glen, wlen);
        assert_int_equal(sami_xfer_encode(&m, got, sizeof got, &glen), 0);
        assert_int_equal(glen, wlen);
        assert_memory_equal(got, want, wlen);

        /* resealing with the same key and sequence gives the same tag */
        struct sami_xfer_key k = test_key();
        memset(got + wlen - 16, 0, 16);
        assert_int_equal(sami_xfer_seal(got, wlen, &k, f->seq, NULL), 0);
        assert_memory_equal(got, want, wlen);

        /* stream vector: prefix + message */
        if (is_stream(sami_vectors_xfer[i].name)) {
            uint8_t raw[1024];
            long n = sami_test_hex(sami_vectors_xfer[i].hex, raw, sizeof raw);
            uint8_t pre[4];
            assert_int_equal(sami_xfer_stream_prefix(wlen, pre), 0);
            assert_memory_equal(pre, raw, 4);
            assert_int_equal((size_t)n, wlen + 4);
        }
    }
}

/* ---- hostile input ---- */

static void test_every_truncation_rejected(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t buf[1024];
        size_t len = vec_msg(i, buf, sizeof buf);
        for (size_t cut = 0; cut < len; cut++) {
            struct sami_xfer_msg m;
            struct sami_err err;
            memset(&m, 0x5a, sizeof m);
            int rc = open_fresh(buf, cut, &m, &err);
            assert_true(rc == SAMI_ERR_TRUNCATED || rc == SAMI_ERR_LENGTH);
            assert_int_equal(err.code, rc);
            assert_true(all_zero(&m, sizeof m));
            memset(&m, 0x5a, sizeof m);
            assert_true(sami_xfer_decode(buf, cut, &m, &err) < 0);
            assert_true(all_zero(&m, sizeof m));
        }
        /* and one octet too many */
        buf[len] = 0;
        struct sami_xfer_msg m;
        struct sami_err err;
        assert_int_equal(open_fresh(buf, len + 1, &m, &err), SAMI_ERR_TRAILING);
        assert_int_equal(err.offset, len);
    }
}

static void test_every_bit_flip_rejected(void **state)
{
    (void)state;
    NEED_HMAC();
    for (size_t i = 0; i < NVEC; i++) {
        uint8_t buf[1024];
        size_t len = vec_msg(i, buf, sizeof buf);
        size_t key_at = len - SAMI_XFER_TRAILER_LEN;
        for (size_t at = 0; at < len; at++) {
            for (int bit = 0; bit < 8; bit++) {
                struct sami_xfer_msg m;
                struct sami_err err;
                buf[at] ^= (uint8_t)(1u << bit);
                memset(&m, 0x5a, sizeof m);
                int rc = open_fresh(buf, len, &m, &err);
                buf[at] ^= (uint8_t)(1u << bit);
                assert_true(all_zero(&m, sizeof m));
                if (at == 0) {
                    assert_int_equal(rc, SAMI_ERR_VERSION);
                } else if (at == 1) {
                    assert_true(rc == SAMI_ERR_TYPE || rc == SAMI_ERR_AUTH);
                } else if (at < 4) {
                    assert_true(rc == SAMI_ERR_VALUE || rc == SAMI_ERR_AUTH);
                } else if (at < 8) {
                    assert_true(rc == SAMI_ERR_LENGTH || rc == SAMI_ERR_TOOBIG ||
                                rc == SAMI_ERR_TRAILING);
                } else if (at >= key_at && at < key_at + 2) {
                    assert_int_equal(rc, SAMI_ERR_NOKEY);
                } else {
                    /* sender, migration id, body, sequence, tag: the MAC */
                    if (rc != SAMI_ERR_AUTH)
                        fail_msg("%s: flip %zu.%d gave %s", sami_vectors_xfer[i].name, at, bit,
                                 sami_strerror_name(rc));
                }
                assert_int_equal(err.code, rc);
            }
        }
    }
}

static void test_length_lies(void **state)
{
    (void)state;
    NEED_HMAC();
    uint8_t buf[1024];
    struct sami_xfer_msg m;
    struct sami_err err;
    size_t len = vec("xfer-commit", buf, sizeof buf);
    uint8_t orig[1024];
    memcpy(orig, buf, len);

    /* body length one larger / smaller than the octets present, even with a
     * valid MAC over the lie */
    buf[7]++;
    resign(buf, len);
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 4);
    assert_string_equal(err.what, "xfer.body_length");
    memcpy(buf, orig, len);
    buf[7]--;
    resign(buf, len);
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_TRAILING);

    /* an element length running past the body (VM id 21 -> 0x40) */
    memcpy(buf, orig, len);
    assert_int_equal(buf[26], 0x00);
    assert_int_equal(buf[27], 0x15);
    buf[27] = 0x40;
    resign(buf, len);
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 26);
    assert_int_equal(err.tlv_type, SAMI_XFER_E_VM_ID);
    assert_true(all_zero(&m, sizeof m));

    /* COUNTS length not a multiple of 6: shrink it and the body by one */
    memcpy(buf, orig, len);
    /* body: VM(4+21) COUNTS at 24+25=49: type 00 05 len 00 0c */
    assert_int_equal(buf[49 + 1], 0x05);
    buf[49 + 3] = 0x0b;
    memmove(buf + 49 + 4 + 11, buf + 49 + 4 + 12, len - (49 + 4 + 12));
    size_t l2 = len - 1;
    buf[7]--;
    resign(buf, l2);
    assert_int_equal(open_fresh(buf, l2, &m, &err), SAMI_ERR_COUNT);
    assert_int_equal(err.offset, 51);

    /* a body ending inside an element header */
    memcpy(buf, orig, len);
    {
        uint8_t b2[256];
        memcpy(b2, orig, 24 + 0x35);
        b2[24 + 0x35] = 0x00; /* 1 stray octet */
        memcpy(b2 + 24 + 0x35 + 1, orig + 24 + 0x35, 26);
        b2[7] = 0x36;
        resign(b2, len + 1);
        assert_int_equal(open_fresh(b2, len + 1, &m, &err), SAMI_ERR_TRUNCATED);
        assert_int_equal(err.offset, 24 + 0x35);
    }
}

static void test_oversize_body(void **state)
{
    (void)state;
    NEED_HMAC();
    uint8_t buf[1024];
    struct sami_xfer_msg m;
    struct sami_err err;
    struct sami_xfer_keyring kr = test_ring();
    struct sami_xfer_replay rp;
    size_t len = vec("xfer-precopy", buf, sizeof buf);
    size_t body = len - SAMI_XFER_OVERHEAD;

    memset(&rp, 0, sizeof rp);
    assert_int_equal(sami_xfer_open(buf, len, &kr, &rp, 0, body - 1, &m, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, 4);
    assert_true(all_zero(&m, sizeof m));
    assert_int_equal(sami_xfer_decode_ex(buf, len, body - 1, &m, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_xfer_open(buf, len, &kr, &rp, 0, body, &m, &err), 0);

    /* a 4 GiB claim in a short buffer: refused by the limit, not by reading */
    buf[4] = buf[5] = buf[6] = buf[7] = 0xff;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_TOOBIG);
    /* just above the default */
    buf[4] = 0x01, buf[5] = 0x00, buf[6] = 0x00, buf[7] = 0x01;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_TOOBIG);
    /* exactly the default is a length problem, not a size one */
    buf[7] = 0x00;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_LENGTH);

    /* builder side: an element value above 65535 cannot be encoded */
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h = hdr_of(fields_of("xfer-precopy"));
    struct sami_xfer_key k = test_key();
    size_t n;
    sami_xfer_build_begin(&b, NULL, 0, &h);
    size_t at = sami_xfer_build_elem_open(&b, SAMI_XFER_E_DI(1));
    sami_wr_zero(sami_xfer_build_wr(&b), 65536);
    assert_int_equal(sami_xfer_build_elem_close(&b, at), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_build_vm_id(&b, &VM), SAMI_ERR_VALUE); /* sticky */
    assert_int_equal(sami_xfer_build_finish(&b, &k, 1, NULL, &n), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_write_elem(&b.w, 0x7777, buf, 65536), SAMI_ERR_VALUE);
}

static void test_header_errors(void **state)
{
    (void)state;
    NEED_HMAC();
    uint8_t buf[1024];
    struct sami_xfer_msg m;
    struct sami_err err;
    size_t len = vec("xfer-ack", buf, sizeof buf);

    buf[0] = 2;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_VERSION);
    assert_int_equal(err.offset, 0);
    buf[0] = 1;
    buf[1] = 0;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 1);
    buf[1] = 10;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_TYPE);
    buf[1] = 9;
    buf[2] = 0x80;
    assert_int_equal(open_fresh(buf, len, &m, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 2);
    buf[2] = 0;
    assert_int_equal(open_fresh(buf, len, &m, &err), 0);

    /* read_hdr alone */
    struct sami_rd r;
    struct sami_xfer_hdr h;
    sami_rd_init(&r, buf, 24, &err);
    assert_int_equal(sami_xfer_read_hdr(&r, 0, &h), 0);
    assert_int_equal(h.type, SAMI_XFER_ACK);
    assert_int_equal(h.body_len, 12);
    sami_rd_init(&r, buf, 23, &err);
    assert_int_equal(sami_xfer_read_hdr(&r, 0, &h), SAMI_ERR_TRUNCATED);

    /* bad arguments */
    assert_int_equal(open_fresh(NULL, 0, &m, &err), SAMI_ERR_TRUNCATED);
    assert_int_equal(sami_xfer_open(buf, len, NULL, NULL, 0, 0, &m, &err), SAMI_ERR_INVAL);
    assert_true(all_zero(&m, sizeof m));
    assert_int_equal(sami_xfer_open(buf, len, NULL, NULL, 0, 0, NULL, &err), SAMI_ERR_INVAL);
}

/* ---- replay ---- */

static void test_replay_window_unit(void **state)
{
    (void)state;
    struct sami_replay_window w = {0, 0};

    assert_int_equal(sami_replay_check(&w, 0), SAMI_ERR_REPLAY);
    /* in order */
    for (uint64_t s = 1; s <= 5; s++) {
        assert_int_equal(sami_replay_check(&w, s), 0);
        sami_replay_update(&w, s);
        assert_int_equal(sami_replay_check(&w, s), SAMI_ERR_REPLAY);
    }
    /* out of order within the window: 10 before 7..9 */
    assert_int_equal(sami_replay_check(&w, 10), 0);
    sami_replay_update(&w, 10);
    assert_int_equal(sami_replay_check(&w, 8), 0);
    sami_replay_update(&w, 8);
    assert_int_equal(sami_replay_check(&w, 8), SAMI_ERR_REPLAY); /* duplicate */
    assert_int_equal(sami_replay_check(&w, 7), 0);
    assert_int_equal(sami_replay_check(&w, 9), 0);
    assert_int_equal(sami_replay_check(&w, 5), SAMI_ERR_REPLAY);
    assert_int_equal(sami_replay_check(&w, 6), 0);

    /* window edge: highest 100 -> 37 is the oldest acceptable, 36 too old */
    sami_replay_update(&w, 100);
    assert_int_equal(sami_replay_check(&w, 37), 0);
    assert_int_equal(sami_replay_check(&w, 36), SAMI_ERR_REPLAY);
    assert_int_equal(sami_replay_check(&w, 10), SAMI_ERR_REPLAY); /* seen and too old */
    sami_replay_update(&w, 37);
    assert_int_equal(sami_replay_check(&w, 37), SAMI_ERR_REPLAY);
    sami_replay_update(&w, 36); /* no effect: left of the window */
    assert_true(w.highest == 100);

    /* far jump: everything before the new window is gone */
    sami_replay_update(&w, UINT64_C(1) << 40);
    assert_true(w.bitmap == 1);
    assert_int_equal(sami_replay_check(&w, 100), SAMI_ERR_REPLAY);
    assert_int_equal(sami_replay_check(&w, (UINT64_C(1) << 40) - 1), 0);
    assert_int_equal(sami_replay_check(&w, (UINT64_C(1) << 40) - 63), 0);
    assert_int_equal(sami_replay_check(&w, (UINT64_C(1) << 40) - 64), SAMI_ERR_REPLAY);
    /* a jump by exactly 64 keeps only the new one */
    struct sami_replay_window w2 = {0, 0};
    sami_replay_update(&w2, 1);
    sami_replay_update(&w2, 65);
    assert_true(w2.bitmap == 1);
    assert_int_equal(sami_replay_check(&w2, 2), 0);
    assert_int_equal(sami_replay_check(&w2, 1), SAMI_ERR_REPLAY);
    /* top of the sequence space */
    sami_replay_update(&w2, UINT64_MAX);
    assert_int_equal(sami_replay_check(&w2, UINT64_MAX), SAMI_ERR_REPLAY);
    assert_int_equal(sami_replay_check(&w2, UINT64_MAX - 1), 0);
    assert_int_equal(sami_replay_check(NULL, 1), SAMI_ERR_REPLAY);
}

/* An ACTIVATE-like message with the given key and sequence. */
static size_t make_msg(uint8_t *buf, size_t cap, const struct sami_xfer_key *k, uint64_t seq)
{
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h = hdr_of(fields_of("xfer-activate"));
    size_t n = 0;
    sami_xfer_build_begin(&b, buf, cap, &h);
    assert_int_equal(sami_xfer_build_finish(&b, k, seq, NULL, &n), 0);
    return n;
}

static int open_with(const uint8_t *buf, size_t len, const struct sami_xfer_keyring *kr,
                     struct sami_xfer_replay *rp, uint64_t now)
{
    struct sami_xfer_msg m;
    struct sami_err err;
    int rc = sami_xfer_open(buf, len, kr, rp, now, 0, &m, &err);
    if (rc)
        assert_true(all_zero(&m, sizeof m));
    else
        assert_int_equal(m.verified, 1);
    return rc;
}

static void test_replay_through_open(void **state)
{
    (void)state;
    NEED_HMAC();
    struct sami_xfer_keyring kr = test_ring();
    struct sami_xfer_key k = test_key();
    struct sami_xfer_replay rp;
    uint8_t b[8][128];
    size_t n[8];
    memset(&rp, 0, sizeof rp);
    for (int i = 1; i < 8; i++)
        n[i] = make_msg(b[i], sizeof b[i], &k, (uint64_t)i);

    assert_int_equal(open_with(b[1], n[1], &kr, &rp, 0), 0);
    assert_int_equal(open_with(b[1], n[1], &kr, &rp, 0), SAMI_ERR_REPLAY);
    assert_int_equal(open_with(b[4], n[4], &kr, &rp, 0), 0);
    assert_int_equal(open_with(b[3], n[3], &kr, &rp, 0), 0); /* late but in window */
    assert_int_equal(open_with(b[3], n[3], &kr, &rp, 0), SAMI_ERR_REPLAY);
    assert_int_equal(open_with(b[2], n[2], &kr, &rp, 0), 0);

    /* a forged message with a high sequence must not move the window */
    uint8_t forged[128];
    struct sami_xfer_key wrong;
    key_init(&wrong, 1, 0x80);
    size_t fn = make_msg(forged, sizeof forged, &wrong, 1000);
    assert_int_equal(open_with(forged, fn, &kr, &rp, 0), SAMI_ERR_AUTH);
    assert_true(rp.slot[0].win.highest == 4);
    /* neither must an authentic message whose body is invalid */
    uint8_t bad[128];
    size_t bn = make_msg(bad, sizeof bad, &k, 500);
    bad[1] = SAMI_XFER_ABORT; /* ABORT requires STATUS */
    assert_int_equal(sami_xfer_seal(bad, bn, &k, 500, NULL), 0);
    assert_int_equal(open_with(bad, bn, &kr, &rp, 0), SAMI_ERR_MISSING);
    assert_true(rp.slot[0].win.highest == 4);

    assert_int_equal(open_with(b[5], n[5], &kr, &rp, 0), 0);
    /* far jump, then the old ones are too old */
    uint8_t far[128];
    size_t farn = make_msg(far, sizeof far, &k, 5000);
    assert_int_equal(open_with(far, farn, &kr, &rp, 0), 0);
    assert_int_equal(open_with(b[6], n[6], &kr, &rp, 0), SAMI_ERR_REPLAY);

    /* a dissector may skip the replay check (replay NULL) */
    assert_int_equal(open_with(b[1], n[1], &kr, NULL, 0), 0);
}

static void test_key_roll(void **state)
{
    (void)state;
    NEED_HMAC();
    struct sami_xfer_keyring kr = test_ring();
    struct sami_xfer_key k1 = test_key(), k2, k3;
    struct sami_xfer_replay rp;
    uint8_t a[128], b2[128], c[128], d[128];
    memset(&rp, 0, sizeof rp);
    key_init(&k2, 2, 0x40);
    key_init(&k3, 3, 0x60);

    /* roll starts: both keys valid; one window per key id */
    kr.keys[1] = k2;
    size_t na = make_msg(a, sizeof a, &k1, 7);
    size_t nb = make_msg(b2, sizeof b2, &k2, 7);
    assert_int_equal(open_with(a, na, &kr, &rp, 0), 0);
    assert_int_equal(open_with(b2, nb, &kr, &rp, 0), 0);
    assert_int_equal(open_with(a, na, &kr, &rp, 0), SAMI_ERR_REPLAY);
    assert_int_equal(open_with(b2, nb, &kr, &rp, 0), SAMI_ERR_REPLAY);
    /* a message under key id 2 signed with key 1's bytes */
    size_t nc = make_msg(c, sizeof c, &k1, 8);
    c[nc - 26 + 1] = 2;
    assert_int_equal(open_with(c, nc, &kr, &rp, 0), SAMI_ERR_AUTH);

    /* roll ends: key 1 removed */
    memset(&kr.keys[0], 0, sizeof kr.keys[0]);
    nc = make_msg(c, sizeof c, &k1, 9);
    assert_int_equal(open_with(c, nc, &kr, &rp, 0), SAMI_ERR_NOKEY);
    assert_int_equal(open_with(b2, nb, &kr, &rp, 0), SAMI_ERR_REPLAY); /* key 2 window kept */
    nb = make_msg(b2, sizeof b2, &k2, 8);
    assert_int_equal(open_with(b2, nb, &kr, &rp, 0), 0);

    /* next roll: key 3 takes the retired key 1 window, fresh */
    kr.keys[0] = k3;
    size_t nd = make_msg(d, sizeof d, &k3, 1);
    assert_int_equal(open_with(d, nd, &kr, &rp, 0), 0);
    assert_int_equal(open_with(d, nd, &kr, &rp, 0), SAMI_ERR_REPLAY);
    assert_true((rp.slot[0].key_id == 3 && rp.slot[1].key_id == 2) ||
                (rp.slot[0].key_id == 2 && rp.slot[1].key_id == 3));

    /* validity window: not before 1000, not after 2000 */
    kr.keys[0].not_before_ms = 1000;
    kr.keys[0].not_after_ms = 2000;
    nd = make_msg(d, sizeof d, &k3, 2);
    assert_int_equal(open_with(d, nd, &kr, &rp, 999), SAMI_ERR_NOKEY);
    assert_int_equal(open_with(d, nd, &kr, &rp, 2000), SAMI_ERR_NOKEY);
    assert_int_equal(open_with(d, nd, &kr, &rp, 1999), 0);

    /* an unusable key (too short) in the ring never matches */
    kr.keys[0].len = 8;
    nd = make_msg(d, sizeof d, &k3, 3);
    assert_int_equal(open_with(d, nd, &kr, &rp, 1500), SAMI_ERR_NOKEY);

    /* key id 0 is never valid */
    struct sami_xfer_key k0;
    key_init(&k0, 0, 0);
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h = hdr_of(fields_of("xfer-activate"));
    size_t n;
    sami_xfer_build_begin(&b, d, sizeof d, &h);
    assert_int_equal(sami_xfer_build_finish(&b, &k0, 1, NULL, &n), SAMI_ERR_INVAL);
}

/* ---- crypto provider failure ---- */

static int failing_sha256(void *ctx, const uint8_t *key, size_t key_len,
                          const struct sami_iovec *parts, size_t nparts, uint8_t out[32])
{
    (void)ctx, (void)key, (void)key_len, (void)parts, (void)nparts;
    memset(out, 0, 32);
    return -1;
}

static void test_provider_failure(void **state)
{
    (void)state;
    NEED_HMAC();
    struct sami_hmac_provider bad = {"failing", failing_sha256, NULL};
    struct sami_xfer_keyring kr = test_ring();
    struct sami_xfer_key k = test_key();
    struct sami_xfer_replay rp;
    struct sami_xfer_msg m;
    struct sami_err err;
    uint8_t buf[1024];
    size_t len = vec("xfer-ack", buf, sizeof buf);

    memset(&rp, 0, sizeof rp);
    kr.hmac = &bad;
    assert_int_equal(sami_xfer_open(buf, len, &kr, &rp, 0, 0, &m, &err), SAMI_ERR_CRYPTO);
    assert_true(all_zero(&m, sizeof m));
    assert_true(all_zero(&rp, sizeof rp));

    /* signing with a failing provider leaves a zero tag, never a stale one */
    assert_int_equal(sami_xfer_seal(buf, len, &k, 3, &bad), SAMI_ERR_CRYPTO);
    assert_true(all_zero(buf + len - 16, 16));
    assert_int_equal(sami_xfer_seal(buf, len, &k, 0, NULL), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_seal(buf, len - 1, &k, 3, NULL), SAMI_ERR_LENGTH);
    assert_int_equal(sami_xfer_seal(buf, 10, &k, 3, NULL), SAMI_ERR_LENGTH);
    assert_int_equal(sami_xfer_seal(buf, len, &k, 3, NULL), 0);
    kr.hmac = NULL; /* default provider */
    assert_int_equal(sami_xfer_open(buf, len, &kr, &rp, 0, 0, &m, &err), 0);
}

/* ---- body rules ---- */

static int open_body(uint8_t type, const uint8_t *body, size_t blen, struct sami_err *err)
{
    uint8_t buf[1024];
    struct sami_xfer_msg in, m;
    struct sami_xfer_key k = test_key();
    size_t n;
    memset(&in, 0, sizeof in);
    in.hdr.version = 1;
    in.hdr.type = type;
    in.hdr.body_len = (uint32_t)blen;
    in.body = body;
    assert_int_equal(sami_xfer_encode(&in, buf, sizeof buf, &n), 0);
    assert_int_equal(sami_xfer_seal(buf, n, &k, 1, NULL), 0);
    return open_fresh(buf, n, &m, err);
}

static void test_body_rules(void **state)
{
    (void)state;
    NEED_HMAC();
    struct sami_err err;
    static const uint8_t status_ok[] = {0, 7, 0, 4, 0, 0, 0, 0};
    static const uint8_t status_twice[] = {0, 7, 0, 4, 0, 0, 0, 0, 0, 7, 0, 4, 0, 0, 0, 0};
    static const uint8_t unknown_then_status[] = {0x7f, 0x00, 0, 3, 1, 2, 3, 0, 7, 0, 4, 0, 0, 0, 0};
    static const uint8_t status_bad[] = {0, 7, 0, 4, 5, 0, 0, 0};
    static const uint8_t status_rsv[] = {0, 7, 0, 4, 0, 1, 0, 0};
    static const uint8_t status_reason[] = {0, 7, 0, 4, 0, 0, 0, 10};
    static const uint8_t status_len[] = {0, 7, 0, 5, 0, 0, 0, 0, 0};
    static const uint8_t digest_only[] = {0, 6, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t di_in_abort[] = {0, 7, 0, 4, 0, 0, 0, 0, 1, 1, 0, 2, 1, 1};
    static const uint8_t di0[] = {0, 7, 0, 4, 0, 0, 0, 0, 1, 0, 0, 2, 1, 1};
    static const uint8_t acked0[] = {0, 10, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t name_bad[] = {0, 1, 0, 14, 1, 2, 0, 0, 1, 0xfe, 0, 1, 0x86, 0xa0, 1, 0, 0, 0x32,
                                       0, 2, 0, 3, 'a', 0xc0, 0x80};
    static const uint8_t tr_dup[] = {0, 7, 0, 4, 0, 0, 0, 0,
                                     0, 8, 0, 12, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1,
                                     0, 8, 0, 12, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};

    assert_int_equal(open_body(SAMI_XFER_ABORT, status_ok, sizeof status_ok, &err), 0);
    assert_int_equal(open_body(SAMI_XFER_ABORT, NULL, 0, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "xfer.status");
    assert_int_equal(err.offset, 24);
    assert_int_equal(open_body(SAMI_XFER_ABORT, status_twice, sizeof status_twice, &err),
                     SAMI_ERR_DUPLICATE);
    assert_int_equal(err.offset, 32);
    assert_int_equal(open_body(SAMI_XFER_ABORT, unknown_then_status, sizeof unknown_then_status,
                               &err),
                     0);
    assert_int_equal(open_body(SAMI_XFER_ABORT, status_bad, sizeof status_bad, &err),
                     SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 28);
    assert_int_equal(err.tlv_type, SAMI_XFER_E_STATUS);
    assert_int_equal(open_body(SAMI_XFER_ABORT, status_rsv, sizeof status_rsv, &err),
                     SAMI_ERR_VALUE);
    assert_int_equal(open_body(SAMI_XFER_ABORT, status_reason, sizeof status_reason, &err),
                     SAMI_ERR_VALUE);
    assert_int_equal(open_body(SAMI_XFER_ABORT, status_len, sizeof status_len, &err),
                     SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 26);
    /* a known element in a message that does not carry it */
    assert_int_equal(open_body(SAMI_XFER_ACTIVATE, digest_only, sizeof digest_only, &err),
                     SAMI_ERR_TYPE);
    assert_int_equal(open_body(SAMI_XFER_ABORT, di_in_abort, sizeof di_in_abort, &err),
                     SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 32);
    /* 0x0100 is not a DI record element: opaque, skipped */
    assert_int_equal(open_body(SAMI_XFER_ABORT, di0, sizeof di0, &err), 0);
    assert_int_equal(open_body(SAMI_XFER_ACK, acked0, sizeof acked0, &err), SAMI_ERR_VALUE);
    assert_int_equal(open_body(SAMI_XFER_HELLO, name_bad, sizeof name_bad, &err),
                     SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 24 + 18 + 4 + 1); /* the overlong C0 80 */
    assert_int_equal(open_body(SAMI_XFER_RESULT, tr_dup, sizeof tr_dup, &err),
                     SAMI_ERR_DUPLICATE);
    assert_int_equal(open_body(SAMI_XFER_HELLO, status_ok, sizeof status_ok, &err),
                     SAMI_ERR_TYPE);

    /* the iterator yields unknown elements as opaque views */
    struct sami_xfer_msg m;
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    memset(&m, 0, sizeof m);
    m.hdr.type = SAMI_XFER_ABORT;
    m.body = unknown_then_status;
    m.hdr.body_len = sizeof unknown_then_status;
    sami_xfer_iter_init(&it, &m, &err);
    assert_int_equal(sami_xfer_iter_next(&it, &e), 1);
    assert_int_equal(e.type, 0x7f00);
    assert_int_equal(e.len, 3);
    assert_int_equal(e.offset, 28);
    assert_int_equal(e.value[2], 3);
    assert_int_equal(sami_xfer_iter_next(&it, &e), 1);
    assert_int_equal(e.type, SAMI_XFER_E_STATUS);
    assert_int_equal(sami_xfer_iter_next(&it, &e), 0);
    assert_int_equal(sami_xfer_iter_next(&it, &e), 0);
    assert_string_equal(sami_xfer_elem_name(0x7f00), "?");
    assert_string_equal(sami_xfer_elem_name(0x0103), "DI");
    assert_string_equal(sami_xfer_elem_name(SAMI_XFER_E_COUNTS), "COUNTS");
    assert_string_equal(sami_xfer_type_name(SAMI_XFER_PRECOPY), "PRECOPY");
    assert_string_equal(sami_xfer_type_name(0), "?");
    assert_string_equal(sami_xfer_type_name(99), "?");
}

/* ---- typed elements ---- */

static void wr_elem(uint8_t *buf, size_t cap, struct sami_xfer_elem *e, size_t *n)
{
    struct sami_rd r;
    uint16_t t = 0, l = 0;
    sami_rd_init(&r, buf, *n, NULL);
    assert_int_equal(sami_rd_u16(&r, &t, "t"), 0);
    assert_int_equal(sami_rd_u16(&r, &l, "l"), 0);
    assert_int_equal((size_t)l + 4, *n);
    (void)cap;
    e->type = t;
    e->len = l;
    e->value = buf + 4;
    e->offset = 100;
}

static void test_elements_roundtrip_and_errors(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct sami_wr w;
    struct sami_xfer_elem e;
    struct sami_err err;
    size_t n;

    /* CAPS */
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_caps(&w, &CAPS), 0);
    n = w.pos;
    assert_int_equal(n, 4 + SAMI_XFER_CAPS_LEN);
    wr_elem(buf, sizeof buf, &e, &n);
    struct sami_xfer_caps c;
    assert_int_equal(sami_xfer_read_caps(&e, &c, &err), 0);
    assert_caps_equal(&c, &CAPS);
    struct sami_xfer_caps bc = CAPS;
    bc.role = 4;
    assert_int_equal(sami_xfer_write_caps(&w, &bc), SAMI_ERR_VALUE);
    bc = CAPS;
    bc.di_types |= 1;
    assert_int_equal(sami_xfer_write_caps(&w, &bc), SAMI_ERR_VALUE);
    assert_int_equal(w.pos, n); /* nothing written on error */
    buf[5] = 0; /* role 0 */
    memset(&c, 0x77, sizeof c);
    assert_int_equal(sami_xfer_read_caps(&e, &c, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 101);
    assert_int_equal(c.version, 0x77); /* untouched */
    /* wrong type / wrong length */
    assert_int_equal(sami_xfer_read_digest(&e, NULL, &err), SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 96);
    e.len = 13;
    assert_int_equal(sami_xfer_read_caps(&e, &c, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 98);

    /* NAME */
    struct sami_xfer_name nm = {(const uint8_t *)"br\xc3\xbc" "cke", 7}, nm2;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_name(&w, &nm), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_name(&e, &nm2, &err), 0);
    assert_int_equal(nm2.len, 7);
    static const char long_name[] = "0123456789012345678901234567890123456789012345678901234567890123X";
    struct sami_xfer_name toolong = {(const uint8_t *)long_name, 65};
    assert_int_equal(sami_xfer_write_name(&w, &toolong), SAMI_ERR_VALUE);
    toolong.len = 64;
    assert_int_equal(sami_xfer_write_name(&w, &toolong), 0);
    struct sami_xfer_name empty = {(const uint8_t *)"", 0};
    assert_int_equal(sami_xfer_write_name(&w, &empty), SAMI_ERR_VALUE);
    struct sami_xfer_name nul = {(const uint8_t *)"a\0b", 3};
    assert_int_equal(sami_xfer_write_name(&w, &nul), SAMI_ERR_VALUE);
    const char *bad_utf8[] = {"\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\xc3", "\x80",
                              "\xff"};
    for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
        struct sami_xfer_name b = {(const uint8_t *)bad_utf8[i], strlen(bad_utf8[i])};
        assert_int_equal(sami_xfer_write_name(&w, &b), SAMI_ERR_VALUE);
    }
    struct sami_xfer_name good4 = {(const uint8_t *)"\xf0\x9f\x8c\x89", 4};
    assert_int_equal(sami_xfer_write_name(&w, &good4), 0);
    e.len = 0;
    assert_int_equal(sami_xfer_read_name(&e, &nm2, &err), SAMI_ERR_LENGTH);
    uint8_t big[4 + 65];
    memset(big, 'x', sizeof big);
    e.value = big;
    e.len = 65;
    assert_int_equal(sami_xfer_read_name(&e, &nm2, &err), SAMI_ERR_TOOBIG);

    /* VM id */
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_vm_id(&w, &VM), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    struct sami_xfer_vm_id v;
    assert_int_equal(sami_xfer_read_vm_id(&e, &v, &err), 0);
    assert_memory_equal(v.id, VM.id, 16);
    buf[4 + 4] = 6;
    assert_int_equal(sami_xfer_read_vm_id(&e, &v, &err), SAMI_ERR_VALUE);
    struct sami_xfer_vm_id bv = VM;
    bv.type_id = 0x1000000;
    assert_int_equal(sami_xfer_write_vm_id(&w, &bv), SAMI_ERR_VALUE);

    /* GENERATION */
    struct sami_xfer_generation g = {UINT64_C(0xfffffffffffffffe), UINT64_MAX}, g2;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_generation(&w, &g), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_generation(&e, &g2, &err), 0);
    assert_true(g2.base == g.base && g2.next == g.next);
    g.next = 0;
    assert_int_equal(sami_xfer_write_generation(&w, &g), SAMI_ERR_VALUE);

    /* COUNTS */
    struct sami_xfer_count cs[3] = {{1, 0}, {255, UINT32_MAX}, {8, 42}}, one;
    struct sami_xfer_counts cv;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_counts(&w, cs, 3), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), 0);
    assert_int_equal(cv.n, 3);
    assert_int_equal(sami_xfer_counts_get(&cv, 1, &one), 0);
    assert_int_equal(one.di_type, 255);
    assert_true(one.count == UINT32_MAX);
    e.len = 17;
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), SAMI_ERR_COUNT);
    e.len = 18;
    buf[4 + 6 + 1] = 1; /* reserved */
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 107);
    buf[4 + 6 + 1] = 0;
    buf[4 + 6] = 1; /* DI type 1 twice */
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), SAMI_ERR_DUPLICATE);
    buf[4 + 6] = 0;
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), SAMI_ERR_VALUE);
    cs[2].di_type = 1;
    assert_int_equal(sami_xfer_write_counts(&w, cs, 3), SAMI_ERR_VALUE);
    e.len = 0;
    assert_int_equal(sami_xfer_read_counts(&e, &cv, &err), 0);
    assert_int_equal(cv.n, 0);
    assert_int_equal(sami_xfer_write_counts(&w, cs, 10923), SAMI_ERR_VALUE);

    /* STATUS, TYPE RESULT, SNAPSHOT TIME, ACKED SEQ, DIGEST */
    struct sami_xfer_status_elem st = {SAMI_XFER_ST_TIMEOUT, SAMI_XFER_R_INTERNAL}, st2;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_status(&w, &st), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_status(&e, &st2, &err), 0);
    assert_int_equal(st2.status, 4);
    assert_int_equal(st2.reason, 9);
    st.status = 5;
    assert_int_equal(sami_xfer_write_status(&w, &st), SAMI_ERR_VALUE);

    struct sami_xfer_type_result tr = {8, SAMI_XFER_ST_PARTIAL, SAMI_XFER_R_LIMIT, 1000, 999}, tr2;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_type_result(&w, &tr), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_type_result(&e, &tr2, &err), 0);
    assert_memory_equal(&tr, &tr2, sizeof tr);
    buf[4] = 0;
    assert_int_equal(sami_xfer_read_type_result(&e, &tr2, &err), SAMI_ERR_VALUE);
    tr.di_type = 0;
    assert_int_equal(sami_xfer_write_type_result(&w, &tr), SAMI_ERR_VALUE);

    uint32_t ms;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_snapshot_time(&w, 0xfffffffe), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_snapshot_time(&e, &ms, &err), 0);
    assert_true(ms == 0xfffffffe);

    uint64_t s;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_acked_seq(&w, UINT64_MAX), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(sami_xfer_read_acked_seq(&e, &s, &err), 0);
    assert_true(s == UINT64_MAX);
    assert_int_equal(sami_xfer_write_acked_seq(&w, 0), SAMI_ERR_VALUE);

    /* DI */
    struct sami_xfer_di d;
    sami_wr_init(&w, buf, sizeof buf);
    assert_int_equal(sami_xfer_write_di(&w, 7, DHCP1, sizeof DHCP1), 0);
    n = w.pos;
    wr_elem(buf, sizeof buf, &e, &n);
    assert_int_equal(e.type, 0x0107);
    assert_int_equal(sami_xfer_read_di(&e, &d, &err), 0);
    assert_int_equal(d.di_type, 7);
    assert_int_equal(d.len, sizeof DHCP1);
    e.len = 1;
    assert_int_equal(sami_xfer_read_di(&e, &d, &err), SAMI_ERR_LENGTH);
    e.type = 0x0100;
    assert_int_equal(sami_xfer_read_di(&e, &d, &err), SAMI_ERR_TYPE);
    e.type = 0x0200;
    assert_int_equal(sami_xfer_read_di(&e, &d, &err), SAMI_ERR_TYPE);
    assert_int_equal(sami_xfer_write_di(&w, 0, DHCP1, sizeof DHCP1), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_write_di(&w, 1, DHCP1, 1), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_read_di(NULL, &d, &err), SAMI_ERR_INVAL);
}

static void test_builder_misuse(void **state)
{
    (void)state;
    uint8_t buf[256];
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h = hdr_of(fields_of("xfer-ack"));
    struct sami_xfer_key k = test_key();
    size_t n;

    h.version = 2;
    sami_xfer_build_begin(&b, buf, sizeof buf, &h);
    assert_int_equal(sami_xfer_build_acked_seq(&b, 1), SAMI_ERR_VALUE);
    assert_int_equal(sami_xfer_build_finish(&b, &k, 1, NULL, &n), SAMI_ERR_VALUE);
    h.version = 1;
    h.flags = 0x0004;
    sami_xfer_build_begin(&b, buf, sizeof buf, &h);
    assert_int_equal(sami_xfer_build_finish(&b, &k, 1, NULL, &n), SAMI_ERR_VALUE);
    h.flags = 0;
    h.type = 0;
    sami_xfer_build_begin(&b, buf, sizeof buf, &h);
    assert_int_equal(sami_xfer_build_finish(&b, &k, 1, NULL, &n), SAMI_ERR_VALUE);
    h.type = SAMI_XFER_ACK;
    sami_xfer_build_begin(&b, buf, sizeof buf, &h);
    assert_int_equal(sami_xfer_build_acked_seq(&b, 1), 0);
    assert_int_equal(sami_xfer_build_finish(&b, &k, 0, NULL, &n), SAMI_ERR_INVAL);
    sami_xfer_build_begin(&b, buf, sizeof buf, &h);
    assert_int_equal(sami_xfer_build_elem_close(&b, 3), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_build_finish(NULL, &k, 1, NULL, &n), SAMI_ERR_INVAL);
    struct sami_xfer_msg m;
    memset(&m, 0, sizeof m);
    m.hdr = h;
    m.hdr.body_len = 4;
    assert_int_equal(sami_xfer_encode(&m, buf, sizeof buf, &n), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_encode(NULL, buf, sizeof buf, &n), SAMI_ERR_INVAL);
}

/* ---- digest ---- */

static void test_digest(void **state)
{
    (void)state;
    /* FNV-1a-64 reference values */
    assert_true(sami_xfer_fnv1a64("", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(sami_xfer_fnv1a64("a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(sami_xfer_fnv1a64("foobar", 6) == UINT64_C(0x85944171f73967e8));

    /* the COMMIT vector's digest: the DELTA's DHCP value + the PRECOPY's ND
     * value (the records held after both batches), in either order */
    uint64_t a = 0, b = 0;
    sami_xfer_digest_add(&a, DHCP2, sizeof DHCP2);
    sami_xfer_digest_add(&a, ND, sizeof ND);
    sami_xfer_digest_add(&b, ND, sizeof ND);
    sami_xfer_digest_add(&b, DHCP2, sizeof DHCP2);
    assert_true(a == b);
    assert_true(a == DIGEST);
    /* replacing a record: subtract its old contribution, add the new one */
    uint64_t c = 0;
    sami_xfer_digest_add(&c, DHCP1, sizeof DHCP1);
    sami_xfer_digest_add(&c, ND, sizeof ND);
    c -= sami_xfer_fnv1a64(DHCP1, sizeof DHCP1);
    c += sami_xfer_fnv1a64(DHCP2, sizeof DHCP2);
    assert_true(c == DIGEST);
    /* wraps mod 2^64 */
    uint64_t w = UINT64_MAX;
    sami_xfer_digest_add(&w, "a", 1);
    assert_true(w == UINT64_C(0xaf63dc4c8601ec8c) - 1);
}

/* sami_xfer_digest_add_many: the same sum as one sami_xfer_digest_add per
 * value, for every count (groups of four and the rest), values of unequal
 * lengths (empty ones too) and NULL values (skipped, as digest_add does). */
static void test_digest_many(void **state)
{
    (void)state;
    uint8_t buf[40][100];
    const uint8_t *v[40];
    size_t n[40];
    uint32_t x = 7;
    for (size_t i = 0; i < 40; i++) {
        n[i] = (i * 37 + 5) % 100;
        if (i % 11 == 3)
            n[i] = 0;
        for (size_t k = 0; k < n[i]; k++)
            buf[i][k] = (uint8_t)((x = x * 1103515245u + 12345u) >> 16);
        v[i] = buf[i];
    }
    v[17] = NULL; /* with a length: skipped */
    for (size_t count = 0; count <= 40; count++) {
        uint64_t one = 5, many = 5;
        for (size_t i = 0; i < count; i++)
            sami_xfer_digest_add(&one, v[i], n[i]);
        sami_xfer_digest_add_many(&many, v, n, count);
        assert_true(one == many);
    }
    const uint8_t *vec[2] = {DHCP2, ND};
    size_t len[2] = {sizeof DHCP2, sizeof ND};
    uint64_t d = 0;
    sami_xfer_digest_add_many(&d, vec, len, 2);
    assert_true(d == DIGEST);
    sami_xfer_digest_add_many(NULL, vec, len, 2); /* no crash */
    sami_xfer_digest_add_many(&d, NULL, len, 2);
    assert_true(d == DIGEST);
}

/* ---- stream binding ---- */

static void test_stream_frame_len(void **state)
{
    (void)state;
    uint8_t p[4];
    size_t len = 0;
    assert_int_equal(sami_xfer_stream_prefix(80, p), 0);
    assert_int_equal(sami_xfer_stream_frame_len(p, 80, &len), 0);
    assert_int_equal(len, 80);
    assert_int_equal(sami_xfer_stream_frame_len(p, 79, &len), SAMI_ERR_TOOBIG);
    p[0] = 0xff;
    assert_int_equal(sami_xfer_stream_frame_len(p, SIZE_MAX, &len), 0);
    assert_true(len == UINT32_C(0xff000050));
    assert_int_equal(sami_xfer_stream_frame_len(p, 16u << 20, &len), SAMI_ERR_TOOBIG);
    assert_int_equal(sami_xfer_stream_prefix(49, p), SAMI_ERR_INVAL);
    memset(p, 0, 4);
    p[3] = 49;
    assert_int_equal(sami_xfer_stream_frame_len(p, 1000, &len), SAMI_ERR_LENGTH);
    p[3] = 0;
    assert_int_equal(sami_xfer_stream_frame_len(p, 1000, &len), SAMI_ERR_LENGTH);
}

static void test_stream_deframer(void **state)
{
    (void)state;
    NEED_HMAC();
    uint8_t stream[4096], hello[256];
    size_t hl = vec("xfer-stream-hello", hello, sizeof hello);
    size_t sl = 0;
    /* the stream vector, then every other message framed, back to back */
    memcpy(stream, hello, hl);
    sl = hl;
    size_t msgs = 1;
    for (size_t i = 0; i < NVEC; i++) {
        if (is_stream(sami_vectors_xfer[i].name))
            continue;
        size_t n = vec_msg(i, stream + sl + 4, sizeof stream - sl - 4);
        assert_int_equal(sami_xfer_stream_prefix(n, stream + sl), 0);
        sl += 4 + n;
        msgs++;
    }

    /* chunk sizes 1, 2, 3, 7, 64 and all at once */
    static const size_t chunks[] = {1, 2, 3, 7, 64, 4096};
    for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
        uint8_t buf[512];
        struct sami_xfer_deframer d;
        struct sami_xfer_keyring kr = test_ring();
        size_t got = 0, off = 0;
        assert_int_equal(sami_xfer_deframer_init(&d, buf, sizeof buf, 0), 0);
        while (off < sl) {
            size_t n = sl - off < chunks[c] ? sl - off : chunks[c];
            size_t pos = 0;
            while (pos < n) {
                const uint8_t *msg;
                size_t mlen, used;
                int rc = sami_xfer_deframer_push(&d, stream + off + pos, n - pos, &used, &msg,
                                                 &mlen);
                assert_true(rc == 0 || rc == 1);
                pos += used;
                if (rc == 1) {
                    struct sami_xfer_msg m;
                    struct sami_err err;
                    assert_ptr_equal(msg, buf);
                    /* one replay state per direction would be needed; none here */
                    assert_int_equal(sami_xfer_open(msg, mlen, &kr, NULL, 0, 0, &m, &err), 0);
                    if (got == 0)
                        assert_int_equal(m.hdr.type, SAMI_XFER_HELLO);
                    got++;
                } else {
                    assert_int_equal(used, n - pos + used);
                }
            }
            off += n;
        }
        assert_int_equal(got, msgs);
        assert_int_equal(d.prefix_have, 0);
    }

    /* oversize prefix: TOOBIG, sticky, nothing of the body stored */
    uint8_t buf[128];
    struct sami_xfer_deframer d;
    const uint8_t *msg;
    size_t mlen, used;
    uint8_t big[8] = {0, 0, 0x00, 0x81, 1, 2, 3, 4};
    assert_int_equal(sami_xfer_deframer_init(&d, buf, sizeof buf, 0), 0);
    assert_int_equal(sami_xfer_deframer_push(&d, big, sizeof big, &used, &msg, &mlen),
                     SAMI_ERR_TOOBIG);
    assert_int_equal(used, 4);
    assert_null(msg);
    assert_int_equal(sami_xfer_deframer_push(&d, hello, hl, &used, &msg, &mlen), SAMI_ERR_TOOBIG);
    assert_int_equal(used, 0);
    /* a lying short prefix */
    uint8_t tiny[4] = {0, 0, 0, 10};
    assert_int_equal(sami_xfer_deframer_init(&d, buf, sizeof buf, 100), 0);
    assert_int_equal(sami_xfer_deframer_push(&d, tiny, 4, &used, &msg, &mlen), SAMI_ERR_LENGTH);
    /* max bounded by the buffer */
    assert_int_equal(sami_xfer_deframer_init(&d, buf, sizeof buf, 129), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_deframer_init(&d, buf, 49, 0), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_deframer_push(&d, tiny, 4, &used, &msg, &mlen), SAMI_ERR_INVAL);
    assert_int_equal(sami_xfer_deframer_init(&d, buf, sizeof buf, 80), 0);
    assert_int_equal(sami_xfer_deframer_push(&d, hello, hl, &used, &msg, &mlen), 1);
    assert_int_equal(mlen, 80);
    assert_int_equal(sami_xfer_deframer_push(&d, NULL, 0, &used, &msg, &mlen), 0);
    assert_int_equal(sami_xfer_deframer_push(&d, NULL, 3, &used, &msg, &mlen), SAMI_ERR_INVAL);
}

/* ---- docs/PROTOCOL.md carries exactly the header vectors ---- */

static void test_doc_vectors(void **state)
{
    (void)state;
    NEED_HMAC();
    const size_t nl2 = sizeof sami_vectors_xfer_l2 / sizeof sami_vectors_xfer_l2[0];
    struct sami_doc_vector *dv = calloc(64, sizeof *dv);
    assert_non_null(dv);
    int n = sami_doc_load_prefix(SAMI_SOURCE_DIR "/docs/PROTOCOL.md", "xfer-", "l2-", dv, 64);
    assert_int_equal(n, (int)(NVEC + nl2));
    for (int i = 0; i < n; i++) {
        const struct sami_vector *v =
            (size_t)i < NVEC ? &sami_vectors_xfer[i] : &sami_vectors_xfer_l2[(size_t)i - NVEC];
        uint8_t b[1024];
        long len = sami_test_hex(v->hex, b, sizeof b);
        assert_string_equal(dv[i].name, v->name); /* same names, same order */
        assert_int_equal(dv[i].declared_len, (size_t)len);
        assert_int_equal(dv[i].len, (size_t)len);
        assert_memory_equal(dv[i].bytes, b, (size_t)len);
        if ((size_t)i < NVEC) {
            uint8_t msg[1024];
            size_t ml = vec_msg((size_t)i, msg, sizeof msg);
            struct sami_xfer_msg m;
            struct sami_err err;
            assert_int_equal(open_fresh(msg, ml, &m, &err), 0);
        } else {
            struct sami_xfer_l2_frame f;
            struct sami_err err;
            uint8_t out[1600];
            size_t ol;
            assert_int_equal(sami_xfer_l2_decode(dv[i].bytes, dv[i].len, &f, &err), 0);
            assert_int_equal(sami_xfer_l2_encode(&f, out, sizeof out, &ol), 0);
            assert_int_equal(ol, dv[i].len);
            assert_memory_equal(out, dv[i].bytes, ol);
        }
    }
    free(dv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_open_exact_fields),
        cmocka_unit_test(test_vectors_rebuild_and_reencode),
        cmocka_unit_test(test_every_truncation_rejected),
        cmocka_unit_test(test_every_bit_flip_rejected),
        cmocka_unit_test(test_length_lies),
        cmocka_unit_test(test_oversize_body),
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_replay_window_unit),
        cmocka_unit_test(test_replay_through_open),
        cmocka_unit_test(test_key_roll),
        cmocka_unit_test(test_provider_failure),
        cmocka_unit_test(test_body_rules),
        cmocka_unit_test(test_elements_roundtrip_and_errors),
        cmocka_unit_test(test_builder_misuse),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_digest_many),
        cmocka_unit_test(test_stream_frame_len),
        cmocka_unit_test(test_stream_deframer),
        cmocka_unit_test(test_doc_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
