/* EVB TLV (802.1Qbg-2012, 00-80-C2 / 0x0D): every bit lands in the right
 * field, the real lldpad TLVs decode to their known values, errors are
 * reported at the right place, and the negotiation rule matches lldpad's
 * behaviour in the capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sami/evb.h"
#include "sami/lldp.h"
#include "vectors_lldp.h"

static size_t vec(const char *name, uint8_t *buf, size_t cap)
{
    for (size_t i = 0; i < sizeof sami_vectors_lldp / sizeof sami_vectors_lldp[0]; i++) {
        if (strcmp(sami_vectors_lldp[i].name, name) == 0) {
            long n = sami_test_hex(sami_vectors_lldp[i].hex, buf, cap);
            assert_true(n > 0);
            return (size_t)n;
        }
    }
    fail_msg("no vector %s", name);
    return 0;
}

/* Fields in a fixed order, for table-driven comparisons. */
enum { F_BGID, F_RRCAP, F_RRCTR, F_SGID, F_RRREQ, F_RRSTAT, F_R, F_RTE, F_MODE, F_ROL_RWD,
       F_RWD, F_ROL_RKA, F_RKA, F_COUNT };

static void fields(const struct sami_evb *e, uint8_t f[F_COUNT])
{
    f[F_BGID] = e->bgid;
    f[F_RRCAP] = e->rrcap;
    f[F_RRCTR] = e->rrctr;
    f[F_SGID] = e->sgid;
    f[F_RRREQ] = e->rrreq;
    f[F_RRSTAT] = e->rrstat;
    f[F_R] = e->r;
    f[F_RTE] = e->rte;
    f[F_MODE] = e->mode;
    f[F_ROL_RWD] = e->rol_rwd;
    f[F_RWD] = e->rwd;
    f[F_ROL_RKA] = e->rol_rka;
    f[F_RKA] = e->rka;
}

static void assert_evb(const struct sami_evb *e, const uint8_t want[F_COUNT])
{
    uint8_t f[F_COUNT];
    fields(e, f);
    assert_memory_equal(f, want, F_COUNT);
}

static void test_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t f[F_COUNT];
    } cases[] = {
        /*                    bgid rrcap rrctr sgid rrreq rrstat r rte mode rol rwd rol rka */
        {"lldp-evb-bridge", {0, 1, 0, 0, 0, 3, 3, 8, 1, 1, 20, 1, 20}},
        {"lldp-evb-station", {0, 1, 0, 0, 0, 0, 3, 8, 2, 1, 20, 1, 20}},
    };
    for (size_t i = 0; i < 2; i++) {
        uint8_t b[16], out[16];
        size_t n = vec(cases[i].name, b, sizeof b), len;
        struct sami_evb e;
        struct sami_err err;
        assert_int_equal(n, SAMI_EVB_WIRE_LEN);
        assert_int_equal(sami_evb_decode(b, n, &e, &err), 0);
        assert_int_equal(err.code, 0);
        assert_evb(&e, cases[i].f);
        assert_int_equal(sami_evb_encode(&e, out, sizeof out, &len), 0);
        assert_int_equal(len, n);
        assert_memory_equal(out, b, n);
        assert_int_equal(sami_evb_encode(&e, NULL, 0, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, 11);
        assert_int_equal(sami_evb_encode(&e, out, 10, &len), SAMI_ERR_NOBUFS);
        assert_int_equal(len, 11);
        /* pack/unpack agree with the TLV */
        uint8_t info[5];
        sami_evb_pack(&e, info);
        assert_memory_equal(info, b + 6, 5);
        struct sami_evb u;
        sami_evb_unpack(b + 6, &u);
        assert_evb(&u, cases[i].f);
    }
}

/* The EVB TLVs inside the real lldpad LLDPDUs, through the iterator. */
static void test_from_lldpdu(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint8_t f[F_COUNT];
    } cases[] = {
        /* station before hearing the bridge: RRSTAT 3 "unknown", ROL 0 */
        {"lldp-lldpad-station", {0, 0, 0, 0, 0, 3, 3, 8, 2, 0, 20, 0, 20}},
        /* bridge: RRCAP, echoes the station status, ROL 1 (took the tie) */
        {"lldp-lldpad-bridge", {0, 1, 0, 0, 0, 3, 3, 8, 1, 1, 20, 1, 20}},
        /* sami bridge before negotiation */
        {"lldp-sami-bridge", {0, 1, 0, 0, 0, 0, 3, 8, 1, 0, 20, 0, 20}},
    };
    for (size_t i = 0; i < 3; i++) {
        uint8_t b[128];
        size_t n = vec(cases[i].name, b, sizeof b);
        struct sami_lldp_iter it;
        struct sami_lldp_tlv t;
        struct sami_err err;
        int found = 0;
        sami_lldp_iter_init(&it, b, n, &err);
        while (sami_lldp_iter_next(&it, &t) == 1) {
            if (t.type != SAMI_LLDP_TLV_ORG || !sami_evb_match(&t.u.org))
                continue;
            struct sami_evb e;
            assert_int_equal(sami_evb_from_org(&t.u.org, &e, &err), 0);
            assert_evb(&e, cases[i].f);
            found++;
        }
        assert_int_equal(found, 1);
    }
}

/* Flip each of the 40 bits of the lldpad bridge TLV: exactly the field the
 * layout says changes, by exactly that bit; reserved bits change nothing. */
static void test_every_bit(void **state)
{
    (void)state;
    /* per octet, per bit 0..7: field index (or -1 reserved) and its mask */
    static const int8_t field[5][8] = {
        {F_RRCTR, F_RRCAP, F_BGID, -1, -1, -1, -1, -1},
        {F_RRSTAT, F_RRSTAT, F_RRREQ, F_SGID, -1, -1, -1, -1},
        {F_RTE, F_RTE, F_RTE, F_RTE, F_RTE, F_R, F_R, F_R},
        {F_RWD, F_RWD, F_RWD, F_RWD, F_RWD, F_ROL_RWD, F_MODE, F_MODE},
        {F_RKA, F_RKA, F_RKA, F_RKA, F_RKA, F_ROL_RKA, -1, -1},
    };
    static const uint8_t mask[5][8] = {
        {1, 1, 1, 0, 0, 0, 0, 0},
        {1, 2, 1, 1, 0, 0, 0, 0},
        {1, 2, 4, 8, 16, 1, 2, 4},
        {1, 2, 4, 8, 16, 1, 1, 2},
        {1, 2, 4, 8, 16, 1, 0, 0},
    };
    uint8_t b[16];
    size_t n = vec("lldp-evb-bridge", b, sizeof b);
    struct sami_evb base;
    uint8_t fb[F_COUNT];
    assert_int_equal(sami_evb_decode(b, n, &base, NULL), 0);
    fields(&base, fb);
    for (int o = 0; o < 5; o++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t c[16], f[F_COUNT], want[F_COUNT], out[16];
            size_t len;
            memcpy(c, b, n);
            c[6 + o] ^= (uint8_t)(1u << bit);
            struct sami_evb e;
            assert_int_equal(sami_evb_decode(c, n, &e, NULL), 0);
            fields(&e, f);
            memcpy(want, fb, sizeof want);
            if (field[o][bit] >= 0)
                want[field[o][bit]] ^= mask[o][bit];
            assert_memory_equal(f, want, F_COUNT);
            assert_int_equal(sami_evb_encode(&e, out, sizeof out, &len), 0);
            /* reserved bits are ignored on receipt and sent as zero */
            assert_memory_equal(out, field[o][bit] >= 0 ? c : b, n);
        }
    }
}

static void expect_err(const char *hex, int code, size_t offset, int tlv_type)
{
    uint8_t b[32];
    long n = sami_test_hex(hex, b, sizeof b);
    assert_true(n >= 0);
    uint8_t *c = malloc(n ? (size_t)n : 1);
    memcpy(c, b, (size_t)n);
    struct sami_evb e;
    struct sami_err err;
    int rc = sami_evb_decode(c, (size_t)n, &e, &err);
    free(c);
    if (rc != code || err.code != code || err.offset != offset || err.tlv_type != tlv_type)
        fail_msg("[%s]: got %d at %zu (TLV %d, %s)", hex, rc, err.offset, err.tlv_type,
                 err.what ? err.what : "-");
}

static void test_errors(void **state)
{
    (void)state;
    /* truncations: header cut, then a length past the end */
    uint8_t b[16];
    size_t n = vec("lldp-evb-station", b, sizeof b);
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *c = malloc(cut ? cut : 1);
        memcpy(c, b, cut);
        struct sami_evb e;
        struct sami_err err;
        int rc = sami_evb_decode(c, cut, &e, &err);
        free(c);
        assert_int_equal(rc, cut < 2 ? SAMI_ERR_TRUNCATED : SAMI_ERR_LENGTH);
        assert_int_equal(err.offset, 0);
        assert_true(err.offset <= cut);
    }
    /* length lies */
    expect_err("fe 08 00 80 c2 0d 02 00 68 b4 34", SAMI_ERR_LENGTH, 0, 127);
    expect_err("fe 0a 00 80 c2 0d 02 00 68 b4 34", SAMI_ERR_LENGTH, 0, 127);
    expect_err("fe 0a 00 80 c2 0d 02 00 68 b4 34 00", SAMI_ERR_LENGTH, 0, 127);
    expect_err("fe 03 00 80 c2", SAMI_ERR_LENGTH, 0, 127);
    /* identity */
    expect_err("fe 09 00 1b 3f 0d 02 00 68 b4 34", SAMI_ERR_OUI, 2, 127);
    expect_err("fe 09 00 80 c2 0e 02 00 68 b4 34", SAMI_ERR_TYPE, 5, 127);
    expect_err("10 09 00 80 c2 0d 02 00 68 b4 34", SAMI_ERR_TYPE, 0, 8);
    /* one TLV only */
    expect_err("fe 09 00 80 c2 0d 02 00 68 b4 34 00", SAMI_ERR_TRAILING, 11, -1);
    /* from_org needs a decoded view */
    struct sami_lldp_org o = {0};
    struct sami_evb e;
    assert_int_equal(sami_evb_from_org(&o, &e, NULL), SAMI_ERR_INVAL);
    /* a read inside a larger buffer reports absolute offsets */
    uint8_t two[22];
    memcpy(two, b, 11);
    memcpy(two + 11, b, 11);
    two[11 + 5] = 0x0c;
    struct sami_rd r;
    struct sami_err err;
    sami_rd_init(&r, two, sizeof two, &err);
    assert_int_equal(sami_evb_read(&r, &e), 0);
    assert_int_equal(sami_evb_read(&r, &e), SAMI_ERR_TYPE);
    assert_int_equal(err.offset, 16);
    assert_int_equal(r.tlv_type, -1); /* restored */
}

static void test_encode_rejects(void **state)
{
    (void)state;
    uint8_t out[16];
    size_t len = 7;
    struct sami_evb ok = {.r = 7, .rte = 31, .mode = 3, .rwd = 31, .rka = 31, .rrstat = 3};
    struct sami_evb e;
    assert_int_equal(sami_evb_encode(&ok, out, sizeof out, &len), 0);
    assert_memory_equal(out, "\xfe\x09\x00\x80\xc2\x0d\x00\x03\xff\xdf\x1f", 11);
#define REJECT(field, v)                                                                  \
    do {                                                                                  \
        e = ok;                                                                           \
        e.field = (v);                                                                    \
        assert_int_equal(sami_evb_check(&e), SAMI_ERR_VALUE);                             \
        assert_int_equal(sami_evb_encode(&e, out, sizeof out, &len), SAMI_ERR_VALUE);     \
        assert_int_equal(len, 0);                                                         \
    } while (0)
    REJECT(bgid, 2);
    REJECT(rrcap, 2);
    REJECT(rrctr, 2);
    REJECT(sgid, 2);
    REJECT(rrreq, 2);
    REJECT(rrstat, 4);
    REJECT(r, 8);
    REJECT(rte, 32);
    REJECT(mode, 4);
    REJECT(rol_rwd, 2);
    REJECT(rwd, 32);
    REJECT(rol_rka, 2);
    REJECT(rka, 32);
#undef REJECT
    assert_int_equal(sami_evb_check(NULL), SAMI_ERR_INVAL);
}

static struct sami_evb from_info(const char *hex)
{
    uint8_t info[5];
    assert_int_equal(sami_test_hex(hex, info, sizeof info), 5);
    struct sami_evb e;
    sami_evb_unpack(info, &e);
    return e;
}

/* The negotiation rule: R, RTE, RWD, RKA each the larger of local and
 * remote; ROL = 1 when the remote value was taken (ties included). */
static void test_negotiate_table(void **state)
{
    (void)state;
    static const struct {
        uint8_t l_r, l_rte, l_rwd, l_rka; /* local */
        uint8_t r_r, r_rte, r_rwd, r_rka; /* remote */
        uint8_t r, rte, rwd, rol_rwd, rka, rol_rka;
    } rows[] = {
        {3, 8, 20, 20, 3, 8, 20, 20, 3, 8, 20, 1, 20, 1},   /* lldpad defaults: ties */
        {7, 14, 25, 25, 3, 8, 20, 20, 7, 14, 25, 0, 25, 0}, /* local larger */
        {3, 8, 20, 20, 7, 14, 25, 25, 7, 14, 25, 1, 25, 1}, /* remote larger */
        {1, 20, 10, 30, 6, 2, 12, 5, 6, 20, 12, 1, 30, 0},  /* mixed */
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},         /* zeros */
        {7, 31, 31, 31, 0, 0, 0, 0, 7, 31, 31, 0, 31, 0},   /* maxima */
        {0, 0, 0, 0, 7, 31, 31, 31, 7, 31, 31, 1, 31, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sami_evb l = {.mode = SAMI_EVB_MODE_STATION, .rrreq = 1, .sgid = 1,
                             .rrstat = 3, .bgid = 1, .rol_rwd = 1, .rol_rka = 1};
        struct sami_evb r = {.mode = SAMI_EVB_MODE_BRIDGE, .rrcap = 1, .rrctr = 1};
        struct sami_evb out;
        l.r = rows[i].l_r;
        l.rte = rows[i].l_rte;
        l.rwd = rows[i].l_rwd;
        l.rka = rows[i].l_rka;
        r.r = rows[i].r_r;
        r.rte = rows[i].r_rte;
        r.rwd = rows[i].r_rwd;
        r.rka = rows[i].r_rka;
        assert_int_equal(sami_evb_negotiate(&l, &r, &out), 0);
        assert_int_equal(out.r, rows[i].r);
        assert_int_equal(out.rte, rows[i].rte);
        assert_int_equal(out.rwd, rows[i].rwd);
        assert_int_equal(out.rol_rwd, rows[i].rol_rwd);
        assert_int_equal(out.rka, rows[i].rka);
        assert_int_equal(out.rol_rka, rows[i].rol_rka);
        /* everything else is the local side's */
        assert_int_equal(out.mode, l.mode);
        assert_int_equal(out.bgid, 1);
        assert_int_equal(out.rrcap, 0);
        assert_int_equal(out.rrctr, 0);
        assert_int_equal(out.sgid, 1);
        assert_int_equal(out.rrreq, 1);
        assert_int_equal(out.rrstat, 3);
        /* symmetric in the timer values */
        struct sami_evb back;
        assert_int_equal(sami_evb_negotiate(&r, &l, &back), 0);
        assert_int_equal(back.r, out.r);
        assert_int_equal(back.rte, out.rte);
        assert_int_equal(back.rwd, out.rwd);
        assert_int_equal(back.rka, out.rka);
        /* out may alias local */
        struct sami_evb alias = l;
        assert_int_equal(sami_evb_negotiate(&alias, &r, &alias), 0);
        assert_memory_equal(&alias, &out, sizeof out);
    }
    struct sami_evb x = {0};
    assert_int_equal(sami_evb_negotiate(NULL, &x, &x), SAMI_ERR_INVAL);
    assert_int_equal(sami_evb_negotiate(&x, NULL, &x), SAMI_ERR_INVAL);
    assert_int_equal(sami_evb_negotiate(&x, &x, NULL), SAMI_ERR_INVAL);
}

/* Replays the exchange in the capture: the timer octets each lldpad sends
 * after hearing its peer are the rule applied to its own policy. */
static void test_negotiate_lldpad_capture(void **state)
{
    (void)state;
    /* bridge policy (frame 3: 02 00 68 54 14) + station TLV (frame 4) -> frame 6 */
    struct sami_evb br = from_info("02 00 68 54 14");
    struct sami_evb st_first = from_info("00 03 68 94 14");
    struct sami_evb out;
    uint8_t info[5];
    assert_int_equal(sami_evb_negotiate(&br, &st_first, &out), 0);
    out.rrstat = st_first.rrstat; /* lldpad's bridge echoes the station status octet */
    sami_evb_pack(&out, info);
    assert_memory_equal(info, "\x02\x03\x68\x74\x34", 5);
    /* station policy (frame 4) + bridge TLV (frame 6) -> frame 7: 02 00 68 b4 34 */
    struct sami_evb st = from_info("00 03 68 94 14");
    struct sami_evb br6 = from_info("02 03 68 74 34");
    assert_int_equal(sami_evb_negotiate(&st, &br6, &out), 0);
    out.rrcap = br6.rrcap;              /* the station echoes the bridge status octet */
    out.rrstat = SAMI_EVB_RRSTAT_NO;    /* bridge did not set RRCTR */
    sami_evb_pack(&out, info);
    assert_memory_equal(info, "\x02\x00\x68\xb4\x34", 5);
}

static void test_time_and_names(void **state)
{
    (void)state;
    assert_int_equal(sami_evb_time_us(0), 10);
    assert_int_equal(sami_evb_time_us(8), 2560);       /* lldpad RTE: 2.56 ms */
    assert_int_equal(sami_evb_time_us(20), 10485760);  /* lldpad RWD/RKA: ~10.5 s */
    assert_true(sami_evb_time_us(31) == 21474836480ull);
    assert_true(sami_evb_time_us(40) == 21474836480ull);
    assert_string_equal(sami_evb_mode_name(0), "not supported");
    assert_string_equal(sami_evb_mode_name(1), "EVB bridge");
    assert_string_equal(sami_evb_mode_name(2), "EVB station");
    assert_string_equal(sami_evb_mode_name(3), "reserved");
    assert_string_equal(sami_evb_mode_name(9), "reserved");
    assert_string_equal(sami_evb_rrstat_name(0), "not enabled");
    assert_string_equal(sami_evb_rrstat_name(1), "enabled");
    assert_string_equal(sami_evb_rrstat_name(2), "reserved");
    assert_string_equal(sami_evb_rrstat_name(3), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_from_lldpdu),
        cmocka_unit_test(test_every_bit),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_negotiate_table),
        cmocka_unit_test(test_negotiate_lldpad_capture),
        cmocka_unit_test(test_time_and_names),
    };
    return cmocka_run_group_tests_name("evb", tests, NULL, NULL);
}
