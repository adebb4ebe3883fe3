/* A minimal unit-test harness: TEST(name) defines a case, CHECK* record failures without
 * stopping the case, RUN(name) runs one, and unit_done() prints the RESULT line that
 * tests/run_tests.sh adds up and returns the exit status. */
#ifndef TESTS_UNIT_H
#define TESTS_UNIT_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed, unit_case_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            unit_case_failed = 1;                                                      \
        }                                                                              \
    } while (0)

#define CHECK_STR(a, b)                                                                \
    do {                                                                               \
        const char *a_ = (a), *b_ = (b);                                               \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                       \
            fprintf(stderr, "  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__,          \
                    a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
            unit_case_failed = 1;                                                      \
        }                                                                              \
    } while (0)

#define CHECK_INT(a, b)                                                                \
    do {                                                                               \
        long long a_ = (long long)(a), b_ = (long long)(b);                            \
        if (a_ != b_) {                                                                \
            fprintf(stderr, "  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
                    #a, a_, b_);                                                       \
            unit_case_failed = 1;                                                      \
        }                                                                              \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double a_ = (a), b_ = (b);                                                     \
        if (!(fabs(a_ - b_) <= (tol))) {                                               \
            fprintf(stderr, "  %s:%d: %s == %g, expected %g (tol %g)\n", __FILE__,      \
                    __LINE__, #a, a_, b_, (double)(tol));                              \
            unit_case_failed = 1;                                                      \
        }                                                                              \
    } while (0)

#define RUN(name)                                                                      \
    do {                                                                               \
        unit_case_failed = 0;                                                          \
        test_##name();                                                                 \
        if (unit_case_failed) {                                                        \
            unit_failed++;                                                             \
            printf("FAIL %s\n", #name);                                                \
        } else {                                                                       \
            unit_passed++;                                                             \
            printf("ok   %s\n", #name);                                                \
        }                                                                              \
        fflush(stdout);                                                                \
    } while (0)

static inline int unit_done(void)
{
    printf("RESULT passed=%d failed=%d\n", unit_passed, unit_failed);
    return unit_failed ? 1 : 0;
}

#endif
