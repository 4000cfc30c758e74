/* lda_test: what the unit-test files share.
 *
 * Each tests/unit/test_<area>.c registers one CUnit suite through its
 * lda_test_<area>() function, listed once in LDA_TEST_SUITES; main.c calls
 * them all. The helpers below run
 * a CSV text through the whole in-process pipeline (lda_csv_load ->
 * lda_set_finish -> lda_fingerprint -> both detectors -> lda_merge ->
 * both reports) so detector tests read as data: input CSV -> expected
 * report text. String assertions print both texts, escaped, on failure. */
#ifndef LDA_TEST_H
#define LDA_TEST_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <CUnit/CUnit.h>

#include "lda_csv.h"
#include "lda_detect.h"
#include "lda_event.h"
#include "lda_merge.h"
#include "lda_report.h"
#include "lda_seq.h"

/* Every suite, one per area, in the order they run: adding a suite is its
 * test_<area>.c and one X(<area>) here (declared below, called by main.c). */
/* clang-format off */
#define LDA_TEST_SUITES(X)                                                  \
    X(time) X(fields) X(csv) X(layering) X(wash) X(merge) X(report)         \
    X(config) X(fingerprint) X(codec) X(wire) X(web) X(http) X(fcgi)       \
    X(client) X(retention) X(ops) X(input) X(shard) X(history)           \
    X(evidence) X(params) X(par)
/* clang-format on */

#define LDA_TEST_DECLARE(area) void lda_test_##area(void);
LDA_TEST_SUITES(LDA_TEST_DECLARE)

/* Register suite `name` with its tests (NULL-terminated {name, fn} list).
 * setup/teardown run around every test (may be NULL). */
typedef struct lda_test_case {
    const char *name;
    void (*fn)(void);
} lda_test_case;
void lda_test_suite(const char *name, const lda_test_case *cases,
                    int (*init)(void), int (*cleanup)(void),
                    void (*setup)(void), void (*teardown)(void));

/* The input header in docs/input.md order, and the two report headers
 * (docs/reports.md). */
#define LDA_CSV_HEADER \
    "timestamp,account_id,product_id,side,price,quantity,event_type\n"
#define LDA_SUS_HEADER \
    "account_id,product_id,total_buy_qty,total_sell_qty," \
    "num_cancelled_orders,detected_timestamp,detection_type," \
    "alternation_percentage,price_change_percentage\r\n"
#define LDA_DET_HEADER \
    "account_id,product_id,order_timestamps,duration_seconds,detection_type\r\n"

/* What lda_csv_load came to, named as the tests compare it (the loader
 * itself answers true, or false with an lda_err). */
typedef enum {
    LOAD_OK,
    LOAD_BAD_HEADER, /* 400: empty input, malformed, missing, repeated */
    LOAD_NO_EVENTS,  /* 400: no valid event in the input */
    LOAD_TOO_MANY,   /* 413 */
    LOAD_NOMEM       /* 500 */
} lda_test_load;
/* lda_csv_load (no empty input allowed) with its outcome named, and its
 * message copied into err. */
lda_test_load lda_test_csv_load(char *buf, size_t len, size_t max_events,
                                lda_set *set, lda_rejects *rej, char *err,
                                size_t errlen);

/* The result of one pipeline run; free with lda_test_run_free. */
typedef struct lda_run {
    lda_test_load st;
    char err[256];
    lda_rejects rej;
    lda_set set;           /* finished */
    lda_seqlist lay, wash; /* raw detector output, emission order */
    lda_ref *merged;
    size_t nmerged;
    char fp[65];
    char *sus, *det; /* the two reports, NUL-terminated */
} lda_run;

/* Run csv (copied; the loader edits its buffer) through the pipeline.
 * p NULL = default parameters, o NULL = no pseudonymization. Returns 0
 * when every step succeeded (r->st says why loading failed otherwise). */
int lda_test_run(lda_run *r, const char *csv, const lda_params *p,
                 const lda_report_opts *o);
void lda_test_run_free(lda_run *r);

/* Assert actual == expected (both may be NULL); prints both on failure. */
void lda_assert_str(const char *actual, const char *expected, const char *what,
                    const char *file, unsigned line);
#define LDA_ASSERT_STR(actual, expected) \
    lda_assert_str((actual), (expected), #actual " == " #expected, __FILE__, \
                   __LINE__)

/* Run csv with params p (NULL = defaults) and assert both reports equal
 * the headers followed by sus_rows / det_rows. */
void lda_expect_reports(const char *csv, const lda_params *p,
                        const char *sus_rows, const char *det_rows,
                        const char *file, unsigned line);
#define LDA_EXPECT(csv, sus_rows, det_rows) \
    lda_expect_reports((csv), NULL, (sus_rows), (det_rows), __FILE__, __LINE__)
#define LDA_EXPECT_P(csv, params, sus_rows, det_rows) \
    lda_expect_reports((csv), (params), (sus_rows), (det_rows), __FILE__, \
                       __LINE__)

/* Append a zeroed sequence of (acc, prod) with dtype, start and end to l
 * (asserts it could). */
lda_seq *lda_test_seq(lda_seqlist *l, const char *acc, const char *prod,
                      int dtype, int64_t start, int64_t end);

/* Microseconds of a timestamp text (asserts it parses). */
int64_t lda_test_ts(const char *text);

#endif
