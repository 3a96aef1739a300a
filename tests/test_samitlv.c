/* sami org TLVs in VDP: notification (0x02) and feedback (0x03).
 * Vectors decode to exactly their fields and re-encode to exactly their bytes;
 * every malformation is rejected with the documented code and offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/samitlv.h"
#include "protocol_doc.h"
#include "vectors_samitlv.h"

#define MAXV 600 /* above the 511 limit so oversize inputs can be built */

static const uint8_t UUID[16] = {0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4,
                                 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00};
static const uint64_t MID = 0x0123456789abcdefull;
static const uint64_t TS = 1700000000000ull;

/* ------------------------------------------------------------- helpers -- */

static size_t load(const char *name, uint8_t *buf)
{
    for (size_t i = 0; i < SAMI_VECTORS_SAMITLV_COUNT; i++) {
        if (strcmp(sami_vectors_samitlv[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_samitlv[i].hex, buf, MAXV);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

static int is_feedback(const char *name)
{
    return strncmp(name, "samitlv-fb-", 11) == 0;
}

/* Exact-size heap copy so ASan flags any read past len. */
static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len)
        memcpy(p, src, len);
    return p;
}

static void set_bridge(struct sami_bridge_ref *b, uint8_t last, const char *port)
{
    memset(b, 0, sizeof *b);
    b->chassis_id_subtype = 4; /* MAC address */
    b->chassis_id_len = 6;
    const uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
    memcpy(b->chassis_id, mac, 6);
    b->port_id_subtype = 5; /* interface name */
    b->port_id_len = (uint8_t)strlen(port);
    memcpy(b->port_id, port, b->port_id_len);
}

static void expected_notif(const char *name, struct sami_notif *n)
{
    memset(n, 0, sizeof *n);
    n->version = 1;
    n->migration_id = MID;
    n->di_types = 0x1fe;
    n->vm.type_id = 0xa1b2;
    n->vm.type_version = 1;
    n->vm.id_format = 5;
    memcpy(n->vm.id, UUID, 16);
    n->n_macs = 1;
    const uint8_t mac1[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
    memcpy(n->macs[0].mac, mac1, 6);
    n->macs[0].word = 100;
    set_bridge(&n->orig_bridge, 1, "swp1");
    set_bridge(&n->dest_bridge, 2, "swp7");
    if (strcmp(name, "samitlv-notif-prepare") == 0) {
        n->time_point = SAMI_TP_PREPARE;
        n->flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
        n->timestamp_ms = TS;
        n->next_deadline_ms = 30000;
        n->n_macs = 2;
        const uint8_t mac2[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
        memcpy(n->macs[1].mac, mac2, 6);
        n->macs[1].word = 0x3000 | 200; /* PCP 3, VID 200 */
        n->n_ipv4 = 1;
        const uint8_t v4[4] = {192, 0, 2, 10};
        memcpy(n->ipv4[0], v4, 4);
        n->n_ipv6 = 1;
        const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10};
        memcpy(n->ipv6[0], v6, 16);
    } else if (strcmp(name, "samitlv-notif-suspended") == 0) {
        n->time_point = SAMI_TP_SUSPENDED;
        n->flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED | SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE;
        n->timestamp_ms = TS + 42000;
        n->next_deadline_ms = 5000;
    } else if (strcmp(name, "samitlv-notif-resumed") == 0) {
        n->time_point = SAMI_TP_RESUMED;
        n->flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
        n->timestamp_ms = TS + 42350;
        n->next_deadline_ms = 10000;
    } else if (strcmp(name, "samitlv-notif-completed") == 0) {
        n->time_point = SAMI_TP_COMPLETED;
        n->flags = SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE;
        n->timestamp_ms = TS + 43000;
    } else if (strcmp(name, "samitlv-notif-aborted") == 0) {
        n->time_point = SAMI_TP_ABORTED;
        n->flags = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED | SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE;
        n->timestamp_ms = TS + 45000;
        n->has_reason = 1;
        n->reason = SAMI_ABORT_ROLLBACK;
    } else {
        fail_msg("no expectation for %s", name);
    }
}

static void expected_fb(const char *name, struct sami_feedback *f)
{
    memset(f, 0, sizeof *f);
    f->version = 1;
    f->migration_id = MID;
    if (strcmp(name, "samitlv-fb-pending") == 0) {
        f->verdict = SAMI_VERDICT_PENDING;
        f->time_point = SAMI_TP_PREPARE;
    } else if (strcmp(name, "samitlv-fb-proceed") == 0) {
        f->verdict = SAMI_VERDICT_PROCEED;
        f->time_point = SAMI_TP_SUSPENDED;
        f->transfer_time_us = 48250;
        f->n_results = 3;
        f->results[0] = (struct sami_fb_result){SAMI_DI_DHCP, SAMI_DI_STATUS_OK, 0, 12, 12};
        f->results[1] = (struct sami_fb_result){SAMI_DI_DOT1X, SAMI_DI_STATUS_OK, 0, 2, 2};
        f->results[2] = (struct sami_fb_result){SAMI_DI_ACL, SAMI_DI_STATUS_PARTIAL,
                                                SAMI_FB_REASON_LIMIT, 40, 32};
        f->has_bridge = 1;
        set_bridge(&f->bridge, 2, "swp7");
    } else if (strcmp(name, "samitlv-fb-rollback-timeout") == 0) {
        f->verdict = SAMI_VERDICT_ROLLBACK;
        f->time_point = SAMI_TP_SUSPENDED;
        f->transfer_time_us = 2000000;
        f->n_results = 1;
        f->results[0] = (struct sami_fb_result){SAMI_DI_FIREWALL, SAMI_DI_STATUS_TIMEOUT,
                                                SAMI_FB_REASON_DEADLINE, 1500, 0};
        f->has_bridge = 1;
        set_bridge(&f->bridge, 2, "swp7");
    } else {
        fail_msg("no expectation for %s", name);
    }
}

static void assert_bridge_equal(const struct sami_bridge_ref *a, const struct sami_bridge_ref *b)
{
    assert_int_equal(a->chassis_id_subtype, b->chassis_id_subtype);
    assert_int_equal(a->chassis_id_len, b->chassis_id_len);
    assert_memory_equal(a->chassis_id, b->chassis_id, a->chassis_id_len);
    assert_int_equal(a->port_id_subtype, b->port_id_subtype);
    assert_int_equal(a->port_id_len, b->port_id_len);
    assert_memory_equal(a->port_id, b->port_id, a->port_id_len);
    assert_true(sami_bridge_ref_equal(a, b));
}

static void assert_notif_equal(const struct sami_notif *a, const struct sami_notif *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->time_point, b->time_point);
    assert_int_equal(a->flags, b->flags);
    assert_true(a->migration_id == b->migration_id);
    assert_true(a->timestamp_ms == b->timestamp_ms);
    assert_int_equal(a->next_deadline_ms, b->next_deadline_ms);
    assert_int_equal(a->di_types, b->di_types);
    assert_int_equal(a->vm.type_id, b->vm.type_id);
    assert_int_equal(a->vm.type_version, b->vm.type_version);
    assert_int_equal(a->vm.id_format, b->vm.id_format);
    assert_memory_equal(a->vm.id, b->vm.id, 16);
    assert_int_equal(a->n_macs, b->n_macs);
    for (unsigned i = 0; i < a->n_macs; i++) {
        assert_memory_equal(a->macs[i].mac, b->macs[i].mac, 6);
        assert_int_equal(a->macs[i].word, b->macs[i].word);
    }
    assert_int_equal(a->n_ipv4, b->n_ipv4);
    for (unsigned i = 0; i < a->n_ipv4; i++)
        assert_memory_equal(a->ipv4[i], b->ipv4[i], 4);
    assert_int_equal(a->n_ipv6, b->n_ipv6);
    for (unsigned i = 0; i < a->n_ipv6; i++)
        assert_memory_equal(a->ipv6[i], b->ipv6[i], 16);
    assert_bridge_equal(&a->orig_bridge, &b->orig_bridge);
    assert_bridge_equal(&a->dest_bridge, &b->dest_bridge);
    assert_int_equal(!!a->has_reason, !!b->has_reason);
    if (a->has_reason)
        assert_int_equal(a->reason, b->reason);
    assert_int_equal(a->unknown_elements, b->unknown_elements);
}

static void assert_fb_equal(const struct sami_feedback *a, const struct sami_feedback *b)
{
    assert_int_equal(a->version, b->version);
    assert_int_equal(a->verdict, b->verdict);
    assert_int_equal(a->time_point, b->time_point);
    assert_int_equal(a->flags, b->flags);
    assert_true(a->migration_id == b->migration_id);
    assert_int_equal(a->transfer_time_us, b->transfer_time_us);
    assert_int_equal(a->n_results, b->n_results);
    for (unsigned i = 0; i < a->n_results; i++) {
        assert_int_equal(a->results[i].di_type, b->results[i].di_type);
        assert_int_equal(a->results[i].status, b->results[i].status);
        assert_int_equal(a->results[i].reason, b->results[i].reason);
        assert_int_equal(a->results[i].records_sent, b->results[i].records_sent);
        assert_int_equal(a->results[i].records_installed, b->results[i].records_installed);
    }
    assert_int_equal(!!a->has_bridge, !!b->has_bridge);
    if (a->has_bridge)
        assert_bridge_equal(&a->bridge, &b->bridge);
    assert_int_equal(a->unknown_elements, b->unknown_elements);
}

/* Decodes buf as its vector family; returns the code. */
static int decode_any(int fb, const uint8_t *buf, size_t len, struct sami_err *err)
{
    static struct sami_notif n;
    static struct sami_feedback f;
    return fb ? sami_samitlv_feedback_decode(buf, len, NULL, &f, err)
              : sami_samitlv_notif_decode(buf, len, NULL, &n, err);
}

/* Element walk over raw test bytes (test side only, to know where the
 * element headers are). */
struct elem_pos {
    size_t at;
    uint8_t type;
    uint8_t len;
};

static size_t walk(int fb, const uint8_t *buf, size_t len, struct elem_pos *e, size_t max)
{
    size_t off = fb ? 4 + SAMI_SAMITLV_FB_FIXED_LEN : 4 + SAMI_SAMITLV_NOTIF_FIXED_LEN;
    size_t n = 0;
    while (off + 2 <= len && n < max) {
        e[n].at = off;
        e[n].type = buf[off];
        e[n].len = buf[off + 1];
        off += 2u + buf[off + 1];
        n++;
    }
    assert_int_equal(off, len);
    return n;
}

/* Copies buf without bytes [at, at+n) / with ins inserted at at. */
static size_t cut(uint8_t *dst, const uint8_t *src, size_t len, size_t at, size_t n)
{
    memcpy(dst, src, at);
    memcpy(dst + at, src + at + n, len - at - n);
    return len - n;
}

static size_t insert(uint8_t *dst, const uint8_t *src, size_t len, size_t at, const uint8_t *ins,
                     size_t n)
{
    assert_true(len + n <= MAXV);
    memmove(dst, src, at);
    memmove(dst + at + n, src + at, len - at);
    memcpy(dst + at, ins, n);
    return len + n;
}

/* --------------------------------------------------------------- tests -- */

static void test_vectors_decode_to_fields(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    for (size_t i = 0; i < SAMI_VECTORS_SAMITLV_COUNT; i++) {
        const char *name = sami_vectors_samitlv[i].name;
        size_t len = load(name, buf);
        uint8_t *exact = dup_exact(buf, len);
        struct sami_err err;
        if (is_feedback(name)) {
            struct sami_feedback got, want;
            expected_fb(name, &want);
            assert_int_equal(sami_samitlv_feedback_decode(exact, len, NULL, &got, &err), 0);
            assert_int_equal(err.code, 0);
            assert_fb_equal(&got, &want);
        } else {
            struct sami_notif got, want;
            expected_notif(name, &want);
            assert_int_equal(sami_samitlv_notif_decode(exact, len, NULL, &got, &err), 0);
            assert_int_equal(err.code, 0);
            assert_notif_equal(&got, &want);
        }
        free(exact);
    }
}

static void test_vectors_encode_to_bytes(void **state)
{
    (void)state;
    uint8_t buf[MAXV], out[MAXV + 8];
    for (size_t i = 0; i < SAMI_VECTORS_SAMITLV_COUNT; i++) {
        const char *name = sami_vectors_samitlv[i].name;
        size_t len = load(name, buf), got = 0, need = 0;
        struct sami_err err;
        int fb = is_feedback(name);
        static struct sami_notif n, dn;
        static struct sami_feedback f, df;

        /* from the expected fields, and from the decoded struct */
        memset(out, 0xee, sizeof out);
        if (fb) {
            expected_fb(name, &f);
            assert_int_equal(sami_samitlv_feedback_size(&f), len);
            assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, out, sizeof out, &got), 0);
            assert_int_equal(got, len);
            assert_memory_equal(out, buf, len);
            assert_int_equal(out[len], 0xee);
            assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &df, &err), 0);
            assert_int_equal(sami_samitlv_feedback_encode(&df, NULL, out, len, &got), 0);
            assert_memory_equal(out, buf, len);
            assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, NULL, 0, &need),
                             SAMI_ERR_NOBUFS);
            assert_int_equal(need, len);
            memset(out, 0xee, sizeof out);
            assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, out, len - 1, &need),
                             SAMI_ERR_NOBUFS);
            assert_int_equal(need, len);
            assert_int_equal(out[len - 1], 0xee); /* nothing stored past cap */
        } else {
            expected_notif(name, &n);
            assert_int_equal(sami_samitlv_notif_size(&n), len);
            assert_int_equal(sami_samitlv_notif_encode(&n, NULL, out, sizeof out, &got), 0);
            assert_int_equal(got, len);
            assert_memory_equal(out, buf, len);
            assert_int_equal(out[len], 0xee);
            assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &dn, &err), 0);
            assert_int_equal(sami_samitlv_notif_encode(&dn, NULL, out, len, &got), 0);
            assert_memory_equal(out, buf, len);
            assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &need),
                             SAMI_ERR_NOBUFS);
            assert_int_equal(need, len);
            memset(out, 0xee, sizeof out);
            assert_int_equal(sami_samitlv_notif_encode(&n, NULL, out, len - 1, &need),
                             SAMI_ERR_NOBUFS);
            assert_int_equal(need, len);
            assert_int_equal(out[len - 1], 0xee);
        }
    }
}

static void fill_full_notif(struct sami_notif *n)
{
    expected_notif("samitlv-notif-aborted", n);
    n->n_macs = SAMI_SAMITLV_MAX_MACS;
    for (unsigned i = 0; i < SAMI_SAMITLV_MAX_MACS; i++) {
        const uint8_t mac[6] = {0x52, 0x54, 0, 0, 1, (uint8_t)i};
        memcpy(n->macs[i].mac, mac, 6);
        n->macs[i].word = (uint16_t)(0x8000 | (i << 12 & 0x7000) | (10 + i));
    }
    n->n_ipv4 = SAMI_SAMITLV_MAX_IPV4;
    for (unsigned i = 0; i < SAMI_SAMITLV_MAX_IPV4; i++) {
        const uint8_t a[4] = {198, 51, 100, (uint8_t)(i + 1)};
        memcpy(n->ipv4[i], a, 4);
    }
    n->n_ipv6 = SAMI_SAMITLV_MAX_IPV6;
    for (unsigned i = 0; i < SAMI_SAMITLV_MAX_IPV6; i++) {
        memset(n->ipv6[i], 0, 16);
        n->ipv6[i][0] = 0xfe;
        n->ipv6[i][1] = 0x80;
        n->ipv6[i][15] = (uint8_t)(i + 1);
    }
    n->vm.type_id = 0xffffff;
    n->di_types = 0xfffffffe;
    n->timestamp_ms = UINT64_MAX;
    n->next_deadline_ms = UINT32_MAX;
}

static void test_roundtrip_notif_all_elements(void **state)
{
    (void)state;
    static struct sami_notif in, out;
    uint8_t buf[MAXV], again[MAXV];
    size_t len, len2;
    struct sami_err err;
    const uint8_t oui[3] = {0x00, 0x1b, 0x21};

    fill_full_notif(&in);
    assert_int_equal(sami_samitlv_notif_encode(&in, NULL, buf, sizeof buf, &len), 0);
    assert_true(len <= SAMI_SAMITLV_MAX_VALUE);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &out, &err), 0);
    assert_notif_equal(&out, &in);
    assert_int_equal(sami_samitlv_notif_encode(&out, NULL, again, sizeof again, &len2), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);

    /* a configured OUI travels and is enforced */
    assert_int_equal(sami_samitlv_notif_encode(&in, oui, buf, sizeof buf, &len), 0);
    assert_memory_equal(buf, oui, 3);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, oui, &out, &err), 0);
    assert_notif_equal(&out, &in);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &out, &err), SAMI_ERR_OUI);

    /* write on a caller's cursor gives the same bytes as encode */
    struct sami_wr w;
    sami_wr_init(&w, again, sizeof again);
    sami_samitlv_notif_write(&w, oui, &in);
    assert_int_equal(sami_wr_finish(&w, &len2), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
}

static void test_roundtrip_feedback_all_elements(void **state)
{
    (void)state;
    static struct sami_feedback in, out;
    uint8_t buf[MAXV], again[MAXV];
    size_t len, len2;
    struct sami_err err;

    memset(&in, 0, sizeof in);
    in.verdict = SAMI_VERDICT_ROLLBACK;
    in.time_point = SAMI_TP_ABORTED;
    in.migration_id = UINT64_MAX;
    in.transfer_time_us = UINT32_MAX;
    in.n_results = SAMI_SAMITLV_MAX_RESULTS;
    for (unsigned i = 0; i < SAMI_SAMITLV_MAX_RESULTS; i++)
        in.results[i] = (struct sami_fb_result){(uint8_t)(200 + i), (uint8_t)(i % 5),
                                                (uint16_t)(0xff00 + i), 0xffffffffu - i, i};
    in.has_bridge = 1;
    set_bridge(&in.bridge, 9, "Ethernet1/49");
    assert_int_equal(sami_samitlv_feedback_encode(&in, NULL, buf, sizeof buf, &len), 0);
    assert_int_equal(len, sami_samitlv_feedback_size(&in));
    in.version = 1; /* encode takes 0 as "current"; decode reports 1 */
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &out, &err), 0);
    assert_fb_equal(&out, &in);
    assert_int_equal(sami_samitlv_feedback_encode(&out, NULL, again, sizeof again, &len2), 0);
    assert_int_equal(len2, len);
    assert_memory_equal(again, buf, len);
}

/* Every prefix of every vector: no OOB (ASan), a SAMI_ERR code with an offset
 * inside the prefix, or (only when the prefix ends on an element boundary) a
 * valid shorter message that re-encodes to exactly the prefix. */
static void test_every_truncation(void **state)
{
    (void)state;
    uint8_t buf[MAXV], re[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    for (size_t i = 0; i < SAMI_VECTORS_SAMITLV_COUNT; i++) {
        const char *name = sami_vectors_samitlv[i].name;
        int fb = is_feedback(name);
        size_t len = load(name, buf);
        size_t ne = walk(fb, buf, len, el, 64);
        unsigned accepted = 0, want_accepted;
        /* feedback has nothing mandatory: each element boundary is a valid
         * message; a notification prefix lacks a mandatory element except
         * the ABORTED one cut right before its reason */
        if (fb)
            want_accepted = (unsigned)ne;
        else
            want_accepted = strcmp(name, "samitlv-notif-aborted") == 0 ? 1 : 0;
        for (size_t cutlen = 0; cutlen < len; cutlen++) {
            uint8_t *p = dup_exact(buf, cutlen);
            struct sami_err err;
            int rc = decode_any(fb, cutlen ? p : NULL, cutlen, &err);
            if (rc == 0) {
                int boundary = 0;
                for (size_t k = 0; k < ne; k++)
                    if (el[k].at == cutlen)
                        boundary = 1;
                assert_true(boundary);
                size_t l2;
                if (fb) {
                    struct sami_feedback f;
                    assert_int_equal(sami_samitlv_feedback_decode(p, cutlen, NULL, &f, &err), 0);
                    assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, re, sizeof re, &l2), 0);
                } else {
                    static struct sami_notif n;
                    assert_int_equal(sami_samitlv_notif_decode(p, cutlen, NULL, &n, &err), 0);
                    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, re, sizeof re, &l2), 0);
                }
                assert_int_equal(l2, cutlen);
                assert_memory_equal(re, buf, cutlen);
                accepted++;
            } else {
                assert_true(rc < 0 && rc > -40);
                assert_int_equal(err.code, rc);
                assert_true(err.offset <= cutlen);
                assert_non_null(err.what);
                assert_int_equal(err.tlv_type, 127);
            }
            free(p);
        }
        assert_int_equal(accepted, want_accepted);
    }
}

/* Each element's length +1 and -1: SAMI_ERR_LENGTH at the element's length
 * octet, except a bridge whose (still in-bounds) window no longer matches its
 * inner lengths: reported at its port id length octet. */
static void test_length_lies(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    for (size_t i = 0; i < SAMI_VECTORS_SAMITLV_COUNT; i++) {
        const char *name = sami_vectors_samitlv[i].name;
        int fb = is_feedback(name);
        size_t len = load(name, buf);
        size_t ne = walk(fb, buf, len, el, 64);
        for (size_t k = 0; k < ne; k++) {
            int bridge = fb ? el[k].type == SAMI_SAMITLV_F_BRIDGE
                            : (el[k].type == SAMI_SAMITLV_N_ORIG_BRIDGE ||
                               el[k].type == SAMI_SAMITLV_N_DEST_BRIDGE);
            int last = k + 1 == ne;
            for (int delta = -1; delta <= 1; delta += 2) {
                uint8_t *p = dup_exact(buf, len);
                struct sami_err err;
                p[el[k].at + 1] = (uint8_t)(el[k].len + delta);
                size_t want_off = el[k].at + 1;
                if (bridge && !(delta > 0 && last)) {
                    size_t v = el[k].at + 2;
                    want_off = v + 2 + buf[v + 1] + 1;
                }
                int rc = decode_any(fb, p, len, &err);
                if (rc != SAMI_ERR_LENGTH || err.offset != want_off)
                    fail_msg("%s element %zu (type %u) %+d: rc %d (%s) at %zu, want LENGTH at %zu",
                             name, k, el[k].type, delta, rc, err.what ? err.what : "-",
                             err.offset, want_off);
                /* the lie is named by its element (or the bridge field) */
                assert_null(strstr(err.what, "element"));
                free(p);
            }
        }
    }
}

static void test_foreign_oui_and_subtype(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    const uint8_t other[3] = {0x00, 0x00, 0x0c};
    uint8_t st = 0;

    size_t len = load("samitlv-notif-prepare", buf);
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 3);
    assert_string_equal(err.what, "samitlv.subtype");
    assert_int_equal(sami_samitlv_notif_decode(buf, len, other, &n, &err), SAMI_ERR_OUI);
    assert_int_equal(err.offset, 0);
    assert_int_equal(sami_samitlv_peek_subtype(buf, len, NULL, &st, &err), 0);
    assert_int_equal(st, SAMI_SUBTYPE_NOTIFICATION);

    memcpy(buf, other, 3);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &n, &err), SAMI_ERR_OUI);
    assert_int_equal(err.offset, 0);
    assert_int_equal(err.tlv_type, 127);
    assert_int_equal(sami_samitlv_peek_subtype(buf, len, NULL, &st, &err), SAMI_ERR_OUI);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, other, &n, &err), 0);
    assert_int_equal(sami_samitlv_peek_subtype(buf, len, other, &st, &err), 0);

    len = load("samitlv-fb-pending", buf);
    assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &n, &err), SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 3);
    assert_int_equal(sami_samitlv_peek_subtype(buf, len, NULL, &st, &err), 0);
    assert_int_equal(st, SAMI_SUBTYPE_FEEDBACK);
    buf[3] = SAMI_SUBTYPE_CAPABILITY;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_TYPE);
    assert_int_equal(sami_samitlv_peek_subtype(buf, 3, NULL, &st, &err), SAMI_ERR_TRUNCATED);
    assert_int_equal(err.offset, 3);
    assert_int_equal(sami_samitlv_peek_subtype(buf, 2, NULL, &st, &err), SAMI_ERR_TRUNCATED);
    assert_int_equal(sami_samitlv_peek_subtype(NULL, 0, NULL, &st, &err), SAMI_ERR_TRUNCATED);
}

static void test_bad_version_and_enums(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    size_t len = load("samitlv-notif-suspended", buf);

    for (int v = 0; v < 256; v++) {
        if (v == 1)
            continue;
        buf[4] = (uint8_t)v;
        assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &n, &err), SAMI_ERR_VERSION);
        assert_int_equal(err.offset, 4);
        assert_string_equal(err.what, "samitlv.notif.version");
    }
    buf[4] = 1;
    for (int tp = 0; tp < 256; tp++) {
        buf[5] = (uint8_t)tp;
        int rc = sami_samitlv_notif_decode(buf, len, NULL, &n, &err);
        if (tp >= 1 && tp <= 5) {
            assert_int_equal(rc, 0);
            assert_string_equal(sami_tp_name(n.time_point), sami_tp_name(tp));
        } else {
            assert_int_equal(rc, SAMI_ERR_VALUE);
            assert_int_equal(err.offset, 5);
            assert_string_equal(err.what, "samitlv.notif.time_point");
        }
    }

    len = load("samitlv-fb-proceed", buf);
    buf[4] = 2;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VERSION);
    assert_int_equal(err.offset, 4);
    buf[4] = 1;
    buf[5] = 3; /* verdict */
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 5);
    buf[5] = 1;
    buf[6] = 0; /* time point answered */
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 6);
    buf[6] = 6;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VALUE);
    buf[6] = 2;
    /* first result: DI type 0, then status 5 */
    buf[22] = 0;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 22);
    assert_string_equal(err.what, "samitlv.result.di_type");
    buf[22] = 1;
    buf[23] = 5;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 23);
    assert_string_equal(err.what, "samitlv.result.status");
    buf[23] = 0;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), 0);
}

static void test_reserved_bits_tolerated(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    size_t len = load("samitlv-notif-completed", buf), got;

    buf[6] = 0xfe;  /* flags: undefined bits set */
    buf[7] = 0xff;  /* reserved octet */
    buf[31] |= 1;   /* DI bitmap bit 0 */
    assert_int_equal(sami_samitlv_notif_decode(buf, len, NULL, &n, &err), 0);
    assert_int_equal(n.flags, 0xfe);
    assert_int_equal(n.di_types, 0x1ff);
    /* but they are never sent */
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &got), SAMI_ERR_VALUE);
    n.flags &= SAMI_SAMITLV_FLAGS_DEFINED;
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &got), SAMI_ERR_VALUE);
    n.di_types &= ~1u;
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &got), SAMI_ERR_NOBUFS);
    assert_int_equal(got, len);

    len = load("samitlv-fb-pending", buf);
    buf[7] = 0x80;
    assert_int_equal(sami_samitlv_feedback_decode(buf, len, NULL, &f, &err), 0);
    assert_int_equal(f.flags, 0x80);
    assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, NULL, 0, &got), SAMI_ERR_VALUE);
}

static void test_missing_mandatory(void **state)
{
    (void)state;
    uint8_t buf[MAXV], m[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    struct sami_err err;
    static struct sami_notif n;
    size_t len = load("samitlv-notif-prepare", buf);
    size_t ne = walk(0, buf, len, el, 64);
    static const struct {
        uint8_t type;
        const char *what;
    } cases[] = {{SAMI_SAMITLV_N_VM_ID, "samitlv.notif.vm_id"},
                 {SAMI_SAMITLV_N_ORIG_BRIDGE, "samitlv.notif.orig_bridge"},
                 {SAMI_SAMITLV_N_DEST_BRIDGE, "samitlv.notif.dest_bridge"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t k = 0;
        while (k < ne && el[k].type != cases[c].type)
            k++;
        assert_true(k < ne);
        size_t ml = cut(m, buf, len, el[k].at, 2u + el[k].len);
        assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_MISSING);
        assert_int_equal(err.offset, ml);
        assert_string_equal(err.what, cases[c].what);
    }
    /* only the fixed header */
    assert_int_equal(sami_samitlv_notif_decode(buf, 32, NULL, &n, &err), SAMI_ERR_MISSING);
    assert_string_equal(err.what, "samitlv.notif.vm_id");
    /* optional ones may go */
    size_t ml = cut(m, buf, len, el[1].at, el[5].at - el[1].at); /* MACs, IPv4, IPv6 */
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), 0);
    assert_int_equal(n.n_macs + n.n_ipv4 + n.n_ipv6, 0);
}

static void test_duplicates(void **state)
{
    (void)state;
    uint8_t buf[MAXV], m[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    size_t len = load("samitlv-notif-aborted", buf);
    size_t ne = walk(0, buf, len, el, 64);

    /* each once-only element repeated right after itself */
    for (size_t k = 0; k < ne; k++) {
        uint8_t t = el[k].type;
        size_t sz = 2u + el[k].len, ml;
        ml = insert(m, buf, len, el[k].at + sz, buf + el[k].at, sz);
        int rc = sami_samitlv_notif_decode(m, ml, NULL, &n, &err);
        if (t == SAMI_SAMITLV_N_MAC_VLAN) {
            assert_int_equal(rc, 0); /* repeatable: a second entry, same value */
            assert_int_equal(n.n_macs, 2);
            continue;
        }
        assert_int_equal(rc, SAMI_ERR_DUPLICATE);
        assert_int_equal(err.offset, el[k].at + sz);
    }

    len = load("samitlv-fb-proceed", buf);
    ne = walk(1, buf, len, el, 64);
    /* a second result for DI type 1 (different numbers) */
    uint8_t again[14];
    memcpy(again, buf + el[0].at, 14);
    again[13] = 99;
    size_t ml = insert(m, buf, len, el[2].at, again, sizeof again);
    assert_int_equal(sami_samitlv_feedback_decode(m, ml, NULL, &f, &err), SAMI_ERR_DUPLICATE);
    assert_int_equal(err.offset, el[2].at);
    assert_string_equal(err.what, "samitlv.feedback.result");
    /* a second bridge */
    ml = insert(m, buf, len, len, buf + el[3].at, 2u + el[3].len);
    assert_int_equal(sami_samitlv_feedback_decode(m, ml, NULL, &f, &err), SAMI_ERR_DUPLICATE);
    assert_int_equal(err.offset, len);
}

/* Fixed header + VM identity + count copies of one element + both bridges. */
static size_t build_repeated(uint8_t *m, const uint8_t *elem, size_t esz, unsigned count)
{
    uint8_t buf[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    size_t len = load("samitlv-notif-suspended", buf);
    size_t ne = walk(0, buf, len, el, 64);
    assert_int_equal(ne, 4); /* vm, mac, orig, dest */
    size_t pos = 0;
    memcpy(m, buf, el[1].at); /* header + VM identity */
    pos = el[1].at;
    for (unsigned i = 0; i < count; i++) {
        memcpy(m + pos, elem, esz);
        pos += esz;
    }
    memcpy(m + pos, buf + el[2].at, len - el[2].at);
    return pos + len - el[2].at;
}

static void test_too_many_repeats(void **state)
{
    (void)state;
    uint8_t m[MAXV];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    const uint8_t mac[10] = {2, 8, 0x52, 0x54, 0, 0, 0, 1, 0, 5};
    const uint8_t v4[6] = {3, 4, 10, 0, 0, 1};
    uint8_t v6[18] = {4, 16, 0x20, 0x01, 0x0d, 0xb8};
    const size_t first = 4 + SAMI_SAMITLV_NOTIF_FIXED_LEN + 2 + SAMI_VM_ID_LEN;

    size_t ml = build_repeated(m, mac, sizeof mac, 16);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), 0);
    assert_int_equal(n.n_macs, 16);
    ml = build_repeated(m, mac, sizeof mac, 17);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, first + 16 * sizeof mac);
    assert_string_equal(err.what, "samitlv.notif.mac_vlan");

    ml = build_repeated(m, v4, sizeof v4, 8);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), 0);
    ml = build_repeated(m, v4, sizeof v4, 9);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, first + 8 * sizeof v4);

    ml = build_repeated(m, v6, sizeof v6, 8);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), 0);
    ml = build_repeated(m, v6, sizeof v6, 9);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, first + 8 * sizeof v6);

    /* 17 results with distinct DI types */
    uint8_t fb[MAXV];
    size_t fl = load("samitlv-fb-pending", fb);
    for (unsigned i = 0; i < 17; i++) {
        const uint8_t r[14] = {1, 12, (uint8_t)(i + 1), 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1};
        memcpy(fb + fl, r, sizeof r);
        fl += sizeof r;
    }
    assert_int_equal(sami_samitlv_feedback_decode(fb, fl - 14, NULL, &f, &err), 0);
    assert_int_equal(f.n_results, 16);
    assert_int_equal(sami_samitlv_feedback_decode(fb, fl, NULL, &f, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, fl - 14);
}

static void test_unknown_elements_skipped(void **state)
{
    (void)state;
    uint8_t buf[MAXV], m[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    struct sami_err err;
    static struct sami_notif n, want;
    static struct sami_feedback f, fwant;
    size_t len = load("samitlv-notif-prepare", buf);
    walk(0, buf, len, el, 64);
    const uint8_t unk[] = {0x42, 3, 0xde, 0xad, 0xbe, 0x00, 0x00, 0xff, 1, 0x77};

    size_t ml = insert(m, buf, len, el[2].at, unk, sizeof unk);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), 0);
    expected_notif("samitlv-notif-prepare", &want);
    want.unknown_elements = 3;
    assert_notif_equal(&n, &want);
    /* dropped on re-encode */
    size_t got;
    uint8_t out[MAXV];
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, out, sizeof out, &got), 0);
    assert_int_equal(got, len);
    assert_memory_equal(out, buf, len);

    /* an unknown element is still length-checked */
    const uint8_t lie[] = {0x42, 200, 1, 2};
    ml = insert(m, buf, len, len, lie, sizeof lie);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, len + 1);
    assert_string_equal(err.what, "samitlv.notif.element");
    /* a lone type octet at the end */
    ml = insert(m, buf, len, len, lie, 1);
    assert_int_equal(sami_samitlv_notif_decode(m, ml, NULL, &n, &err), SAMI_ERR_TRUNCATED);
    assert_int_equal(err.offset, len + 1);

    len = load("samitlv-fb-rollback-timeout", buf);
    ml = insert(m, buf, len, 20, unk, sizeof unk);
    assert_int_equal(sami_samitlv_feedback_decode(m, ml, NULL, &f, &err), 0);
    expected_fb("samitlv-fb-rollback-timeout", &fwant);
    fwant.unknown_elements = 3;
    assert_fb_equal(&f, &fwant);
}

static void test_bridge_inner_lengths(void **state)
{
    (void)state;
    uint8_t buf[MAXV];
    struct elem_pos el[64] = {{0, 0, 0}};
    struct sami_err err;
    static struct sami_notif n;
    size_t len = load("samitlv-notif-suspended", buf);
    walk(0, buf, len, el, 64);
    size_t v = el[2].at + 2; /* original bridge value */

    uint8_t *p = dup_exact(buf, len);
    p[v + 1] = 0; /* chassis id length 0 */
    assert_int_equal(sami_samitlv_notif_decode(p, len, NULL, &n, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, v + 1);
    assert_string_equal(err.what, "bridge.chassis_id_len");
    p[v + 1] = 10; /* leaves 2 octets for port subtype + length + id */
    assert_int_equal(sami_samitlv_notif_decode(p, len, NULL, &n, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, v + 1);
    p[v + 1] = 6;
    p[v + 9] = 0; /* port id length 0 */
    assert_int_equal(sami_samitlv_notif_decode(p, len, NULL, &n, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, v + 9);
    assert_string_equal(err.what, "bridge.port_id_len");
    p[v + 9] = 4;
    /* an element too short for any bridge */
    p[el[2].at + 1] = 5;
    assert_int_equal(sami_samitlv_notif_decode(p, len, NULL, &n, &err), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, el[2].at + 1);
    free(p);

    /* the shared reader directly, on an exact window */
    const uint8_t one[] = {7, 1, 0xaa, 7, 1, 0xbb};
    struct sami_rd r;
    struct sami_bridge_ref b, c;
    sami_rd_init(&r, one, sizeof one, &err);
    assert_int_equal(sami_bridge_ref_read(&r, &b), 0);
    assert_true(sami_rd_done(&r));
    assert_int_equal(b.chassis_id[0], 0xaa);
    assert_int_equal(b.port_id[0], 0xbb);
    assert_int_equal(sami_bridge_ref_size(&b), 6);
    c = b;
    c.port_id[1] = 0x55; /* past the length: ignored */
    assert_true(sami_bridge_ref_equal(&b, &c));
    c.port_id[0] = 0x55;
    assert_false(sami_bridge_ref_equal(&b, &c));
    sami_rd_init(&r, one, 5, &err);
    assert_int_equal(sami_bridge_ref_read(&r, &b), SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
}

/* 16 results with distinct DI types. */
static void fill_results(struct sami_feedback *f)
{
    f->n_results = SAMI_SAMITLV_MAX_RESULTS;
    for (unsigned i = 0; i < SAMI_SAMITLV_MAX_RESULTS; i++)
        f->results[i] = (struct sami_fb_result){(uint8_t)(i + 1), SAMI_DI_STATUS_OK, 0, 1, 1};
}

static void test_encode_rejects(void **state)
{
    (void)state;
    static struct sami_notif n;
    static struct sami_feedback f;
    size_t len;

#define NOTIF_RC(field_change, code)                                                       \
    do {                                                                                   \
        expected_notif("samitlv-notif-prepare", &n);                                       \
        field_change;                                                                      \
        assert_int_equal(sami_samitlv_notif_check(&n), code);                              \
        assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &len),               \
                         code ? code : SAMI_ERR_NOBUFS);                                   \
    } while (0)
    NOTIF_RC(n.version = 0, 0); /* 0 = current version */
    NOTIF_RC(n.version = 2, SAMI_ERR_VERSION);
    NOTIF_RC(n.time_point = 0, SAMI_ERR_VALUE);
    NOTIF_RC(n.time_point = 6, SAMI_ERR_VALUE);
    NOTIF_RC(n.flags = 0x04, SAMI_ERR_VALUE);
    NOTIF_RC(n.di_types = 1, SAMI_ERR_VALUE);
    NOTIF_RC(n.vm.type_id = 0x1000000, SAMI_ERR_VALUE);
    NOTIF_RC(n.n_macs = 17, SAMI_ERR_TOOBIG);
    NOTIF_RC(n.n_ipv4 = 9, SAMI_ERR_TOOBIG);
    NOTIF_RC(n.n_ipv6 = 9, SAMI_ERR_TOOBIG);
    NOTIF_RC(n.orig_bridge.chassis_id_len = 0, SAMI_ERR_VALUE);
    NOTIF_RC(n.dest_bridge.port_id_len = 0, SAMI_ERR_VALUE);
    NOTIF_RC((n.dest_bridge.chassis_id_len = 200, n.dest_bridge.port_id_len = 52), SAMI_ERR_VALUE);
    NOTIF_RC((n.dest_bridge.chassis_id_len = 200, n.dest_bridge.port_id_len = 51), 0);
#undef NOTIF_RC

    /* the 507-octet limit, exactly */
    fill_full_notif(&n);
    size_t base = sami_samitlv_notif_size(&n) - n.dest_bridge.port_id_len;
    assert_true(base < 4 + SAMI_SAMITLV_MAX_INFO);
    size_t room = 4 + SAMI_SAMITLV_MAX_INFO - base;
    assert_true(room > 1 && room < 200);
    n.dest_bridge.port_id_len = (uint8_t)room;
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, SAMI_SAMITLV_MAX_VALUE);
    n.dest_bridge.port_id_len = (uint8_t)(room + 1);
    assert_int_equal(sami_samitlv_notif_encode(&n, NULL, NULL, 0, &len), SAMI_ERR_TOOBIG);
    assert_int_equal(len, 0);

#define FB_RC(field_change, code)                                                          \
    do {                                                                                   \
        expected_fb("samitlv-fb-proceed", &f);                                             \
        field_change;                                                                      \
        assert_int_equal(sami_samitlv_feedback_check(&f), code);                           \
        assert_int_equal(sami_samitlv_feedback_encode(&f, NULL, NULL, 0, &len),            \
                         code ? code : SAMI_ERR_NOBUFS);                                   \
    } while (0)
    FB_RC(f.version = 7, SAMI_ERR_VERSION);
    FB_RC(f.verdict = 3, SAMI_ERR_VALUE);
    FB_RC(f.time_point = 0, SAMI_ERR_VALUE);
    FB_RC(f.flags = 1, SAMI_ERR_VALUE);
    FB_RC(f.results[1].di_type = 0, SAMI_ERR_VALUE);
    FB_RC(f.results[1].status = 5, SAMI_ERR_VALUE);
    FB_RC(f.results[2].di_type = SAMI_DI_DHCP, SAMI_ERR_DUPLICATE);
    FB_RC(f.n_results = 17, SAMI_ERR_TOOBIG);
    FB_RC(f.bridge.port_id_len = 0, SAMI_ERR_VALUE);
    FB_RC((f.bridge.port_id_len = 0, f.has_bridge = 0), 0);
    /* the largest feedback (16 results, 255-octet bridge element) fits */
    FB_RC((fill_results(&f), f.bridge.chassis_id_len = 200, f.bridge.port_id_len = 51), 0);
    assert_int_equal(len, 4 + SAMI_SAMITLV_FB_FIXED_LEN + 16 * 14 + 2 + 255);
#undef FB_RC
}

static void test_nested_reader_offsets(void **state)
{
    (void)state;
    uint8_t buf[MAXV], frame[MAXV];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    size_t len = load("samitlv-notif-resumed", buf);

    /* as the VDP codec would: a TLV header, then a sub-window on the value */
    frame[0] = 0xfe | (uint8_t)(len >> 8);
    frame[1] = (uint8_t)len;
    memcpy(frame + 2, buf, len);
    frame[2 + len] = 0; /* End TLV */
    frame[3 + len] = 0;
    struct sami_rd r, sub;
    sami_rd_init(&r, frame, len + 4, &err);
    r.tlv_type = 5;
    assert_int_equal(sami_rd_skip(&r, 2, "hdr"), 0);
    assert_int_equal(sami_rd_sub(&r, &sub, len, 127, "value"), 0);
    sub.tlv_type = -1;
    assert_int_equal(sami_samitlv_notif_read(&sub, NULL, &n), 0);
    assert_true(sami_rd_done(&sub));
    assert_int_equal(sub.tlv_type, -1); /* restored */
    assert_int_equal(n.time_point, SAMI_TP_RESUMED);

    frame[2 + 5] = 9; /* bad time point: absolute offset 7 */
    sami_rd_init(&r, frame, len + 4, &err);
    assert_int_equal(sami_rd_skip(&r, 2, "hdr"), 0);
    assert_int_equal(sami_rd_sub(&r, &sub, len, 127, "value"), 0);
    assert_int_equal(sami_samitlv_notif_read(&sub, NULL, &n), SAMI_ERR_VALUE);
    assert_int_equal(err.offset, 7);
    assert_int_equal(err.tlv_type, 127);

    len = load("samitlv-fb-pending", buf);
    memcpy(frame + 2, buf, len);
    sami_rd_init(&r, frame, len + 2, &err);
    assert_int_equal(sami_rd_skip(&r, 2, "hdr"), 0);
    assert_int_equal(sami_samitlv_feedback_read(&r, NULL, &f), 0);
    assert_true(sami_rd_done(&r));
    assert_int_equal(r.tlv_type, -1);
}

static void test_oversized_value(void **state)
{
    (void)state;
    static uint8_t big[SAMI_SAMITLV_MAX_VALUE + 1];
    struct sami_err err;
    static struct sami_notif n;
    static struct sami_feedback f;
    uint8_t st;
    memset(big, 0, sizeof big);
    big[0] = 0x0a;
    big[1] = 0x53;
    big[2] = 0x4d;
    big[3] = 2;
    assert_int_equal(sami_samitlv_notif_decode(big, sizeof big, NULL, &n, &err), SAMI_ERR_TOOBIG);
    assert_int_equal(err.offset, 0);
    big[3] = 3;
    assert_int_equal(sami_samitlv_feedback_decode(big, sizeof big, NULL, &f, &err),
                     SAMI_ERR_TOOBIG);
    assert_int_equal(sami_samitlv_peek_subtype(big, sizeof big, NULL, &st, &err), SAMI_ERR_TOOBIG);
}

static void test_shared_pieces(void **state)
{
    (void)state;
    struct sami_vm_id vm = {0x123456, 7, 5, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    struct sami_vm_id back;
    struct sami_fb_result res = {SAMI_DI_IGMP, SAMI_DI_STATUS_UNSUPPORTED, SAMI_FB_REASON_VERSION,
                                 0x01020304, 0x05060708},
                          rb;
    uint8_t buf[40];
    struct sami_wr w;
    struct sami_rd r;
    struct sami_err err;
    size_t len;

    sami_wr_init(&w, buf, sizeof buf);
    sami_vm_id_write(&w, &vm);
    sami_fb_result_write(&w, &res);
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, SAMI_VM_ID_LEN + SAMI_FB_RESULT_LEN);
    assert_int_equal(buf[0], 0x12);
    assert_int_equal(buf[2], 0x56);
    assert_int_equal(buf[21], SAMI_DI_IGMP);
    assert_int_equal(buf[24], SAMI_FB_REASON_VERSION);
    sami_rd_init(&r, buf, len, &err);
    assert_int_equal(sami_vm_id_read(&r, &back), 0);
    assert_int_equal(back.type_id, vm.type_id);
    assert_int_equal(back.type_version, 7);
    assert_int_equal(back.id_format, 5);
    assert_memory_equal(back.id, vm.id, 16);
    assert_int_equal(sami_fb_result_read(&r, &rb), 0);
    assert_memory_equal(&rb, &res, sizeof res); /* no padding in this struct */
    assert_true(sami_rd_done(&r));
    sami_rd_init(&r, buf, 20, &err);
    assert_int_equal(sami_vm_id_read(&r, &back), SAMI_ERR_TRUNCATED);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sami_tp_name(SAMI_TP_PREPARE), "PREPARE");
    assert_string_equal(sami_tp_name(SAMI_TP_SUSPENDED), "SUSPENDED");
    assert_string_equal(sami_tp_name(SAMI_TP_RESUMED), "RESUMED");
    assert_string_equal(sami_tp_name(SAMI_TP_COMPLETED), "COMPLETED");
    assert_string_equal(sami_tp_name(SAMI_TP_ABORTED), "ABORTED");
    assert_string_equal(sami_tp_name(0), "UNKNOWN");
    assert_string_equal(sami_tp_name(6), "UNKNOWN");
    assert_string_equal(sami_verdict_name(SAMI_VERDICT_PENDING), "PENDING");
    assert_string_equal(sami_verdict_name(SAMI_VERDICT_PROCEED), "PROCEED");
    assert_string_equal(sami_verdict_name(SAMI_VERDICT_ROLLBACK), "ROLLBACK");
    assert_string_equal(sami_verdict_name(-1), "UNKNOWN");
    assert_string_equal(sami_di_status_name(SAMI_DI_STATUS_OK), "OK");
    assert_string_equal(sami_di_status_name(SAMI_DI_STATUS_PARTIAL), "PARTIAL");
    assert_string_equal(sami_di_status_name(SAMI_DI_STATUS_FAILED), "FAILED");
    assert_string_equal(sami_di_status_name(SAMI_DI_STATUS_UNSUPPORTED), "UNSUPPORTED");
    assert_string_equal(sami_di_status_name(SAMI_DI_STATUS_TIMEOUT), "TIMEOUT");
    assert_string_equal(sami_di_status_name(5), "UNKNOWN");
    const char *reasons[] = {"NONE", "LIMIT_REACHED", "AUTH_FAILURE", "PEER_UNREACHABLE",
                             "REJECTED", "DIGEST_MISMATCH", "DEADLINE_MISSED", "ABORTED",
                             "UNSUPPORTED_VERSION", "INTERNAL"};
    for (int i = 0; i < 10; i++)
        assert_string_equal(sami_fb_reason_name(i), reasons[i]);
    assert_string_equal(sami_fb_reason_name(10), "UNKNOWN");
    assert_string_equal(sami_fb_reason_name(0xffff), "UNKNOWN");
    const char *aborts[] = {"UNKNOWN", "OPERATOR", "HYPERVISOR_ERROR", "DI_ROLLBACK", "TIMEOUT",
                            "OTHER", "UNKNOWN"};
    for (int i = 0; i < 7; i++)
        assert_string_equal(sami_abort_reason_name(i), aborts[i]);
}

/* docs/PROTOCOL.md carries exactly the header's vectors. */
static void test_doc_vectors_match(void **state)
{
    (void)state;
    static struct sami_doc_vector dv[64];
    uint8_t buf[MAXV];
    int n = sami_doc_load_prefix(SAMI_SOURCE_DIR "/docs/PROTOCOL.md", "samitlv-", NULL, dv, 64);
    assert_int_equal(n, (int)SAMI_VECTORS_SAMITLV_COUNT);
    for (int i = 0; i < n; i++) {
        size_t len = load(dv[i].name, buf);
        assert_int_equal(dv[i].declared_len, len);
        assert_int_equal(dv[i].len, len);
        assert_memory_equal(dv[i].bytes, buf, len);
        assert_string_equal(dv[i].name, sami_vectors_samitlv[i].name); /* same order */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors_decode_to_fields),
        cmocka_unit_test(test_vectors_encode_to_bytes),
        cmocka_unit_test(test_roundtrip_notif_all_elements),
        cmocka_unit_test(test_roundtrip_feedback_all_elements),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_length_lies),
        cmocka_unit_test(test_foreign_oui_and_subtype),
        cmocka_unit_test(test_bad_version_and_enums),
        cmocka_unit_test(test_reserved_bits_tolerated),
        cmocka_unit_test(test_missing_mandatory),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_too_many_repeats),
        cmocka_unit_test(test_unknown_elements_skipped),
        cmocka_unit_test(test_bridge_inner_lengths),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_nested_reader_offsets),
        cmocka_unit_test(test_oversized_value),
        cmocka_unit_test(test_shared_pieces),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_doc_vectors_match),
    };
    return cmocka_run_group_tests_name("samitlv", tests, NULL, NULL);
}
