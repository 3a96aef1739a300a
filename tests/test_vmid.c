/* VM identity: 21 octets exactly, truncation reported, identity by VSI ID. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sami/vmid.h"

static const uint8_t wire[SAMI_VM_ID_LEN] = {0x00, 0xa1, 0xb2, 0x01, 0x05, 0x55, 0x0e,
                                             0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7,
                                             0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00};

static void test_read_write_roundtrip(void **state)
{
    (void)state;
    struct sami_err err;
    struct sami_rd r;
    struct sami_vm_id vm;
    sami_rd_init(&r, wire, sizeof wire, &err);
    assert_int_equal(sami_vm_id_read(&r, &vm), 0);
    assert_true(sami_rd_done(&r));
    assert_int_equal(vm.type_id, 0x00a1b2);
    assert_int_equal(vm.type_version, 1);
    assert_int_equal(vm.id_format, 5);
    assert_int_equal(vm.id[0], 0x55);
    assert_int_equal(vm.id[15], 0x00);

    uint8_t out[SAMI_VM_ID_LEN];
    struct sami_wr w;
    size_t len;
    sami_wr_init(&w, out, sizeof out);
    sami_vm_id_write(&w, &vm);
    assert_int_equal(sami_wr_finish(&w, &len), 0);
    assert_int_equal(len, SAMI_VM_ID_LEN);
    assert_memory_equal(out, wire, sizeof wire);
}

static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t n = 0; n < sizeof wire; n++) {
        struct sami_err err;
        struct sami_rd r;
        struct sami_vm_id vm;
        sami_rd_init(&r, wire, n, &err);
        assert_int_equal(sami_vm_id_read(&r, &vm), SAMI_ERR_TRUNCATED);
        assert_int_equal(err.code, SAMI_ERR_TRUNCATED);
        assert_true(err.offset <= n);
        assert_non_null(err.what);
    }
}

static void test_same_vm_ignores_profile(void **state)
{
    (void)state;
    struct sami_vm_id a = {.type_id = 1, .type_version = 1, .id_format = 5, .id = {1, 2, 3}};
    struct sami_vm_id b = a;
    b.type_id = 7;
    b.type_version = 9;
    assert_true(sami_vm_id_same_vm(&a, &b));
    b.id[15] = 1;
    assert_false(sami_vm_id_same_vm(&a, &b));
    b = a;
    b.id_format = 3;
    assert_false(sami_vm_id_same_vm(&a, &b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_write_roundtrip),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_same_vm_ignores_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
