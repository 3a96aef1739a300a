/* A small stand-in for the part of the cmocka API that sami's unit tests
 * use, so bench/cross-test.sh can build and run them for 32-bit and
 * big-endian targets without the target architecture's libcmocka (Debian
 * would need dpkg multiarch for that, which a fresh CI machine may not
 * allow). Written for sami: only the names and the behaviour the tests rely
 * on follow cmocka; anything else is deliberately absent, so a test that
 * starts using more of cmocka fails to compile here and the shim grows.
 *
 * Covered: cmocka_unit_test[_setup|_teardown|_setup_teardown|_prestate],
 * cmocka_run_group_tests[_name], assert_{true,false,null,non_null,
 * int_equal,int_not_equal,in_range,not_in_range,ptr_equal,ptr_not_equal,
 * string_equal,string_not_equal,memory_equal,memory_not_equal,return_code},
 * fail, fail_msg, skip, print_message, print_error.
 *
 * A failed assertion or skip() leaves the test with longjmp, as in cmocka;
 * the teardown still runs. cmocka_run_group_tests returns the number of
 * failed tests. Output follows cmocka's "[ RUN ] / [ OK ]" layout. */
#ifndef SAMI_CMOCKA_SHIM_H
#define SAMI_CMOCKA_SHIM_H

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup(f, setup) {#f, f, setup, NULL, NULL}
#define cmocka_unit_test_teardown(f, teardown) {#f, f, NULL, teardown, NULL}
#define cmocka_unit_test_setup_teardown(f, setup, teardown) {#f, f, setup, teardown, NULL}
#define cmocka_unit_test_prestate(f, state) {#f, f, NULL, NULL, state}
#define cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, state)                        \
    {#f, f, setup, teardown, state}

enum { SAMI_SHIM_RUNNING = 0, SAMI_SHIM_FAILED = 1, SAMI_SHIM_SKIPPED = 2 };

struct sami_shim {
    jmp_buf jb;
    int active; /* a test (or fixture) is running: failures may longjmp */
    int how;    /* SAMI_SHIM_FAILED or _SKIPPED, set before the longjmp */
};

/* One instance per test program; a function-local static keeps the header
 * free of file-scope objects that unused-variable warnings would flag. */
static inline struct sami_shim *sami_shim_get(void)
{
    static struct sami_shim s;
    return &s;
}

static inline void sami_shim_leave(int how)
{
    struct sami_shim *s = sami_shim_get();
    if (!s->active) {
        /* outside a test (group fixture): nothing to return to */
        fprintf(stderr, "[  ERROR   ] failure outside a test\n");
        exit(1);
    }
    s->how = how;
    longjmp(s->jb, 1);
}

static inline void sami_shim_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[  ERROR   ] %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    sami_shim_leave(SAMI_SHIM_FAILED);
}

/* Integers compare as uintmax_t, as cmocka compares LargestIntegralType:
 * -1 and UINTMAX_MAX are equal there too. */
static inline void sami_shim_int_eq(uintmax_t a, uintmax_t b, int want_equal, const char *ea,
                                    const char *eb, const char *file, int line)
{
    if ((a == b) != (want_equal != 0))
        sami_shim_fail(file, line, "%s %s %s: %jd (%#jx) vs %jd (%#jx)", ea,
                       want_equal ? "!=" : "==", eb, (intmax_t)a, a, (intmax_t)b, b);
}

static inline void sami_shim_range(uintmax_t v, uintmax_t lo, uintmax_t hi, int want_in,
                                   const char *ev, const char *file, int line)
{
    int in = v >= lo && v <= hi;
    if (in != (want_in != 0))
        sami_shim_fail(file, line, "%s = %ju is %s [%ju, %ju]", ev, v,
                       want_in ? "outside" : "inside", lo, hi);
}

static inline void sami_shim_str(const char *a, const char *b, int want_equal, const char *ea,
                                 const char *eb, const char *file, int line)
{
    if (!a || !b) {
        sami_shim_fail(file, line, "%s or %s is NULL", ea, eb);
        return;
    }
    if ((strcmp(a, b) == 0) != (want_equal != 0))
        sami_shim_fail(file, line, "\"%s\" %s \"%s\" (%s, %s)", a, want_equal ? "!=" : "==", b,
                       ea, eb);
}

static inline void sami_shim_mem(const void *a, const void *b, size_t n, int want_equal,
                                 const char *ea, const char *eb, const char *file, int line)
{
    if (!a || !b) {
        sami_shim_fail(file, line, "%s or %s is NULL", ea, eb);
        return;
    }
    int eq = memcmp(a, b, n) == 0;
    if (eq == (want_equal != 0))
        return;
    if (!want_equal) {
        sami_shim_fail(file, line, "%s and %s are equal over %zu octets", ea, eb, n);
        return;
    }
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    size_t i = 0;
    while (x[i] == y[i])
        i++;
    sami_shim_fail(file, line, "%s != %s: first difference at octet %zu of %zu: %#04x vs %#04x",
                   ea, eb, i, n, x[i], y[i]);
}

#define assert_true(c)                                                                             \
    ((c) ? (void)0 : sami_shim_fail(__FILE__, __LINE__, "%s is not true", #c))
#define assert_false(c)                                                                            \
    (!(c) ? (void)0 : sami_shim_fail(__FILE__, __LINE__, "%s is not false", #c))
#define assert_null(p)                                                                             \
    ((p) == NULL ? (void)0 : sami_shim_fail(__FILE__, __LINE__, "%s is not NULL", #p))
#define assert_non_null(p)                                                                         \
    ((p) != NULL ? (void)0 : sami_shim_fail(__FILE__, __LINE__, "%s is NULL", #p))
#define assert_int_equal(a, b)                                                                     \
    sami_shim_int_eq((uintmax_t)(a), (uintmax_t)(b), 1, #a, #b, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                                 \
    sami_shim_int_eq((uintmax_t)(a), (uintmax_t)(b), 0, #a, #b, __FILE__, __LINE__)
#define assert_in_range(v, lo, hi)                                                                 \
    sami_shim_range((uintmax_t)(v), (uintmax_t)(lo), (uintmax_t)(hi), 1, #v, __FILE__, __LINE__)
#define assert_not_in_range(v, lo, hi)                                                             \
    sami_shim_range((uintmax_t)(v), (uintmax_t)(lo), (uintmax_t)(hi), 0, #v, __FILE__, __LINE__)
#define assert_ptr_equal(a, b)                                                                     \
    ((const void *)(a) == (const void *)(b)                                                        \
         ? (void)0                                                                                 \
         : sami_shim_fail(__FILE__, __LINE__, "%s != %s", #a, #b))
#define assert_ptr_not_equal(a, b)                                                                 \
    ((const void *)(a) != (const void *)(b)                                                        \
         ? (void)0                                                                                 \
         : sami_shim_fail(__FILE__, __LINE__, "%s == %s", #a, #b))
#define assert_string_equal(a, b)                                                                  \
    sami_shim_str((const char *)(a), (const char *)(b), 1, #a, #b, __FILE__, __LINE__)
#define assert_string_not_equal(a, b)                                                              \
    sami_shim_str((const char *)(a), (const char *)(b), 0, #a, #b, __FILE__, __LINE__)
#define assert_memory_equal(a, b, n)                                                               \
    sami_shim_mem((const void *)(a), (const void *)(b), (size_t)(n), 1, #a, #b, __FILE__,          \
                  __LINE__)
#define assert_memory_not_equal(a, b, n)                                                           \
    sami_shim_mem((const void *)(a), (const void *)(b), (size_t)(n), 0, #a, #b, __FILE__,          \
                  __LINE__)
#define assert_return_code(rc, error)                                                              \
    ((intmax_t)(rc) >= 0 ? (void)0                                                                \
                         : sami_shim_fail(__FILE__, __LINE__, "%s = %jd < 0 (errno %d)", #rc,     \
                                          (intmax_t)(rc), (int)(error)))
#define fail() sami_shim_fail(__FILE__, __LINE__, "fail()")
#define fail_msg(...) sami_shim_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() sami_shim_leave(SAMI_SHIM_SKIPPED)

static inline void print_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

static inline void print_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* Runs a fixture or test body; returns how it ended. setjmp sits in this
 * frame, which outlives the longjmp. */
static inline int sami_shim_call(CMUnitTestFunction test, CMFixtureFunction fixture, void **state)
{
    struct sami_shim *s = sami_shim_get();
    volatile int how = SAMI_SHIM_RUNNING;
    s->active = 1;
    /* setjmp only as a whole controlling expression (C11 7.13.1.1) */
    if (setjmp(s->jb) == 0) {
        if (test) {
            test(state);
        } else if (fixture(state) != 0) {
            fprintf(stderr, "[  ERROR   ] fixture returned nonzero\n");
            how = SAMI_SHIM_FAILED;
        }
    } else {
        how = s->how;
    }
    s->active = 0;
    return how;
}

static inline int sami_shim_run(const char *group, const struct CMUnitTest *tests, size_t n,
                                CMFixtureFunction group_setup, CMFixtureFunction group_teardown)
{
    void *group_state = NULL;
    size_t failed = 0, skipped = 0, passed = 0;
    int *result = (int *)calloc(n ? n : 1, sizeof *result);
    if (!result)
        return 1;
    printf("[==========] %s: Running %zu test(s).\n", group, n);
    if (group_setup && sami_shim_call(NULL, group_setup, &group_state) != SAMI_SHIM_RUNNING) {
        printf("[  ERROR   ] %s: group setup failed\n", group);
        free(result);
        return (int)(n ? n : 1);
    }
    for (size_t i = 0; i < n; i++) {
        const struct CMUnitTest *t = &tests[i];
        void *state = t->initial_state ? t->initial_state : group_state;
        int how = SAMI_SHIM_RUNNING;
        printf("[ RUN      ] %s\n", t->name);
        fflush(stdout);
        if (t->setup_func)
            how = sami_shim_call(NULL, t->setup_func, &state);
        if (how == SAMI_SHIM_RUNNING) {
            how = sami_shim_call(t->test_func, NULL, &state);
            if (t->teardown_func) {
                int td = sami_shim_call(NULL, t->teardown_func, &state);
                if (td == SAMI_SHIM_FAILED)
                    how = SAMI_SHIM_FAILED;
            }
        }
        result[i] = how;
        if (how == SAMI_SHIM_FAILED) {
            failed++;
            printf("[  FAILED  ] %s\n", t->name);
        } else if (how == SAMI_SHIM_SKIPPED) {
            skipped++;
            printf("[  SKIPPED ] %s\n", t->name);
        } else {
            passed++;
            printf("[       OK ] %s\n", t->name);
        }
        fflush(stdout);
    }
    if (group_teardown)
        (void)sami_shim_call(NULL, group_teardown, &group_state);
    printf("[==========] %s: %zu test(s) run.\n", group, n);
    printf("[  PASSED  ] %zu test(s).\n", passed);
    if (skipped)
        printf("[  SKIPPED ] %zu test(s).\n", skipped);
    if (failed) {
        printf("[  FAILED  ] %zu test(s), listed below:\n", failed);
        for (size_t i = 0; i < n; i++)
            if (result[i] == SAMI_SHIM_FAILED)
                printf("[  FAILED  ] %s\n", tests[i].name);
    }
    free(result);
    return (int)failed;
}

#define cmocka_run_group_tests(tests, setup, teardown)                                             \
    sami_shim_run(#tests, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)
#define cmocka_run_group_tests_name(name, tests, setup, teardown)                                  \
    sami_shim_run(name, tests, sizeof(tests) / sizeof((tests)[0]), setup, teardown)

#endif
