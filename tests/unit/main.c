/* main: the CUnit runner of the unit tests. Registers every area's suite
 * (lda_test_<area>() in test_<area>.c, listed in lda_test.h's
 * LDA_TEST_SUITES) in one registry and runs it in
 * basic mode. `unit` runs everything; `unit SUITE` runs one suite; -v
 * lists every test. Exit status: 0 when every assertion passed, 1 when
 * any failed, 2 when the registry could not be built. */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

#include "lda_test.h"

int main(int argc, char **argv)
{
    const char *only = NULL;
    CU_BasicRunMode mode = CU_BRM_NORMAL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            mode = CU_BRM_VERBOSE;
        else
            only = argv[i];
    }
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "unit: cannot initialise CUnit: %s\n",
                CU_get_error_msg());
        return 2;
    }
#define LDA_TEST_CALL(area) lda_test_##area();
    LDA_TEST_SUITES(LDA_TEST_CALL)
    if (CU_get_error() != CUE_SUCCESS) {
        fprintf(stderr, "unit: cannot register tests: %s\n",
                CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(mode);
    CU_ErrorCode rc;
    if (only) {
        CU_pSuite s = CU_get_suite(only);
        if (!s) {
            fprintf(stderr, "unit: no suite named %s\n", only);
            CU_cleanup_registry();
            return 2;
        }
        rc = CU_basic_run_suite(s);
    } else
        rc = CU_basic_run_tests();
    unsigned tests = CU_get_number_of_tests_run();
    unsigned failed_tests = CU_get_number_of_tests_failed();
    unsigned asserts = CU_get_number_of_asserts();
    unsigned failures = CU_get_number_of_failures();
    unsigned suites_failed = CU_get_number_of_suites_failed();
    printf("\nunit: %u tests, %u assertions, %u failed assertions in %u "
           "tests, %u suites failed to set up -> %s\n",
           tests, asserts, failures, failed_tests, suites_failed,
           rc == CUE_SUCCESS && failures == 0 && suites_failed == 0 ? "PASS"
                                                                    : "FAIL");
    CU_cleanup_registry();
    return rc == CUE_SUCCESS && failures == 0 && suites_failed == 0 ? 0 : 1;
}
