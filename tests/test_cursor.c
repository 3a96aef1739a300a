/* Cursor: reads stop at the window, failures carry offset/TLV/field,
 * writers report the length they needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sami/cursor.h"

static void test_reads_in_bounds(void **state)
{
    (void)state;
    const uint8_t buf[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                           0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12};
    struct sami_err err;
    struct sami_rd r;
    sami_rd_init(&r, buf, sizeof buf, &err);
    uint8_t a;
    uint16_t b;
    uint32_t c, d;
    uint64_t e;
    assert_int_equal(sami_rd_u8(&r, &a, "a"), 0);
    assert_int_equal(a, 0x01);
    assert_int_equal(sami_rd_u16(&r, &b, "b"), 0);
    assert_int_equal(b, 0x0203);
    assert_int_equal(sami_rd_u24(&r, &c, "c"), 0);
    assert_int_equal(c, 0x040506);
    assert_int_equal(sami_rd_u32(&r, &d, "d"), 0);
    assert_int_equal(d, 0x0708090a);
    assert_int_equal(sami_rd_u64(&r, &e, "e"), 0);
    assert_true(e == 0x0b0c0d0e0f101112ull);
    assert_true(sami_rd_done(&r));
    assert_int_equal(err.code, 0);
}

static void test_truncation_reports_offset(void **state)
{
    (void)state;
    const uint8_t buf[] = {0xaa, 0xbb, 0xcc};
    struct sami_err err;
    struct sami_rd r;
    sami_rd_init(&r, buf, sizeof buf, &err);
    uint8_t a;
    uint32_t v = 0xdeadbeef;
    assert_int_equal(sami_rd_u8(&r, &a, "first"), 0);
    assert_int_equal(sami_rd_u32(&r, &v, "second"), SAMI_ERR_TRUNCATED);
    assert_int_equal(v, 0xdeadbeef); /* untouched */
    assert_int_equal(err.code, SAMI_ERR_TRUNCATED);
    assert_int_equal(err.offset, 1);
    assert_string_equal(err.what, "second");
    /* the first failure wins */
    assert_int_equal(sami_rd_u64(&r, (uint64_t *)&(uint64_t){0}, "third"), SAMI_ERR_TRUNCATED);
    assert_string_equal(err.what, "second");
}

static void test_sub_window_offsets_and_overrun(void **state)
{
    (void)state;
    const uint8_t buf[] = {0, 1, 2, 3, 4, 5, 6, 7};
    struct sami_err err;
    struct sami_rd r, sub;
    sami_rd_init(&r, buf, sizeof buf, &err);
    assert_int_equal(sami_rd_skip(&r, 2, "hdr"), 0);
    assert_int_equal(sami_rd_sub(&r, &sub, 3, 7, "value"), 0);
    assert_int_equal(sami_rd_left(&r), 3);
    uint32_t v;
    assert_int_equal(sami_rd_u32(&sub, &v, "inner"), SAMI_ERR_TRUNCATED);
    assert_int_equal(err.offset, 2);
    assert_int_equal(err.tlv_type, 7);

    sami_rd_init(&r, buf, sizeof buf, &err);
    assert_int_equal(sami_rd_sub(&r, &sub, 9, 3, "len lies"), SAMI_ERR_LENGTH);
    assert_int_equal(err.code, SAMI_ERR_LENGTH);
    assert_int_equal(err.offset, 0);
    assert_int_equal(sami_rd_left(&r), 8);
}

static void test_expect_end(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 2};
    struct sami_err err;
    struct sami_rd r;
    uint8_t a;
    sami_rd_init(&r, buf, sizeof buf, &err);
    assert_int_equal(sami_rd_u8(&r, &a, "a"), 0);
    assert_int_equal(sami_rd_expect_end(&r, "end"), SAMI_ERR_TRAILING);
    assert_int_equal(err.offset, 1);
}

static void test_writer_counts_past_capacity(void **state)
{
    (void)state;
    uint8_t buf[6];
    struct sami_wr w;
    size_t len;
    sami_wr_init(&w, buf, sizeof buf);
    sami_wr_u16(&w, 0x1234);
    sami_wr_u32(&w, 0x56789abc);
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, 6);
    assert_int_equal(buf[0], 0x12);
    assert_int_equal(buf[5], 0xbc);
    sami_wr_u64(&w, 1);
    assert_int_equal(sami_wr_finish(&w, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 14);

    /* length query with no buffer */
    sami_wr_init(&w, NULL, 0);
    sami_wr_u24(&w, 1);
    sami_wr_bytes(&w, "abcd", 4);
    sami_wr_zero(&w, 3);
    assert_int_equal(sami_wr_finish(&w, &len), SAMI_ERR_NOBUFS);
    assert_int_equal(len, 10);
}

static void test_writer_patch(void **state)
{
    (void)state;
    uint8_t buf[8] = {0};
    struct sami_wr w;
    sami_wr_init(&w, buf, sizeof buf);
    size_t at = w.pos;
    sami_wr_u16(&w, 0);
    sami_wr_u32(&w, 0xffffffff);
    sami_wr_patch_u16(&w, at, 4);
    assert_int_equal(buf[0], 0);
    assert_int_equal(buf[1], 4);
    sami_wr_patch_u32(&w, 2, 0x01020304);
    assert_int_equal(buf[2], 1);
    assert_int_equal(buf[5], 4);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(sami_strerror(SAMI_ERR_TRUNCATED), "truncated: input ends inside a field");
    assert_string_equal(sami_strerror_name(SAMI_ERR_AUTH), "SAMI_ERR_AUTH");
    assert_string_equal(sami_strerror(-9999), "unknown error");
    assert_string_equal(sami_strerror(0), "success");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_in_bounds),
        cmocka_unit_test(test_truncation_reports_offset),
        cmocka_unit_test(test_sub_window_offsets_and_overrun),
        cmocka_unit_test(test_expect_end),
        cmocka_unit_test(test_writer_counts_past_capacity),
        cmocka_unit_test(test_writer_patch),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
