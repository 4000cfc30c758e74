/* test_history: run.json's data_quality and the run history index.
 *
 * data_quality (lda_quality, lda_set_quality): inputs built to hit each
 * figure -- event types, distinct accounts and products, out-of-order
 * rows, duplicates (equal in all seven parsed fields: a price written
 * differently is the same price; neighbours or not; more than 16 events
 * with one timestamp, the sorted path), earliest and latest timestamps --
 * and the aggregate request's checks of the object (400 naming the field).
 *
 * The index (lda_runidx): records appended are listed newest first, a
 * run's later record replaces its earlier one, pages with limit and
 * before, removals (and before naming a removed or unknown run),
 * compaction, creation from a var dir's runs, a record cut short by a
 * crash ignored, and 1,000 runs
 * listed (the time is printed: the < 50 ms figure of the README). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_codec_agg.h"
#include "lda_multipart.h"
#include "lda_runidx.h"
#include "lda_runrec.h"
#include "lda_test.h"

/* ---- data_quality ---------------------------------------------------- */

/* The figures of csv (header added), loaded and finished. */
static lda_quality quality_of(const char *rows)
{
    size_t n = strlen(LDA_CSV_HEADER) + strlen(rows);
    char *buf = malloc(n + 1);
    CU_ASSERT_FATAL(buf != NULL);
    snprintf(buf, n + 1, "%s%s", LDA_CSV_HEADER, rows);
    lda_set set;
    lda_rejects rej;
    char err[128];
    lda_set_init(&set);
    CU_ASSERT_EQUAL_FATAL(
        lda_test_csv_load(buf, n, 0, &set, &rej, err, sizeof err), LOAD_OK);
    CU_ASSERT_FATAL(lda_set_finish(&set));
    lda_quality q = lda_set_quality(&set);
    lda_set_free(&set);
    free(buf);
    return q;
}

static void test_dq_types_distinct(void)
{
    lda_quality q = quality_of(
        "2025-01-01T10:00:00Z,A1,P1,BUY,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:01Z,A2,P1,SELL,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:02Z,A1,P2,BUY,10,100,ORDER_CANCELLED\n"
        "bad,A9,P9,BUY,10,100,ORDER_PLACED\n" /* rejected: not counted */
        "2025-01-01T10:00:03Z,A3,P2,BUY,10,100,TRADE_EXECUTED\n"
        "2025-01-01T10:00:04Z,A3,P2,SELL,10,100,TRADE_EXECUTED\n"
        "2025-01-01T10:00:05Z,A3,P2,SELL,11,100,trade_executed\n");
    CU_ASSERT_EQUAL(q.types[LDA_PLACED], 2);
    CU_ASSERT_EQUAL(q.types[LDA_CANCELLED], 1);
    CU_ASSERT_EQUAL(q.types[LDA_TRADE], 3);
    CU_ASSERT_EQUAL(q.accounts, 3);
    CU_ASSERT_EQUAL(q.products, 2);
    CU_ASSERT_EQUAL(q.out_of_order, 0);
    CU_ASSERT_EQUAL(q.duplicates, 0);
    CU_ASSERT_EQUAL(q.first_ts, lda_test_ts("2025-01-01T10:00:00Z"));
    CU_ASSERT_EQUAL(q.last_ts, lda_test_ts("2025-01-01T10:00:05Z"));
}

static void test_dq_out_of_order(void)
{
    /* 10, 5 (<10), 6, 3 (<6), 3 (equal: in order), 20, 1 (<20); other
       groups count too: the order is the file's */
    lda_quality q = quality_of(
        "2025-01-01T10:00:10Z,A,P,BUY,10,1,ORDER_PLACED\n"
        "2025-01-01T10:00:05Z,B,P,BUY,10,1,ORDER_PLACED\n"
        "2025-01-01T10:00:06Z,A,P,BUY,10,1,ORDER_PLACED\n"
        "2025-01-01T10:00:03Z,A,Q,BUY,10,1,ORDER_PLACED\n"
        "2025-01-01T10:00:03Z,A,P,BUY,10,2,ORDER_PLACED\n"
        "2025-01-01T10:00:20Z,A,P,BUY,10,1,ORDER_PLACED\n"
        "2025-01-01 09:00:01+00:00,C,P,BUY,10,1,ORDER_PLACED\n");
    CU_ASSERT_EQUAL(q.out_of_order, 3);
    CU_ASSERT_EQUAL(q.first_ts, lda_test_ts("2025-01-01T09:00:01Z"));
    CU_ASSERT_EQUAL(q.last_ts, lda_test_ts("2025-01-01T10:00:20Z"));
    CU_ASSERT_EQUAL(q.duplicates, 0);
}

static void test_dq_duplicates(void)
{
    lda_quality q = quality_of(
        /* same instant (written two ways), same price (10 = 10.00) */
        "2025-01-01T10:00:00Z,A,P,BUY,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:00Z,A,P,BUY,10.5,100,ORDER_PLACED\n"
        "2025-01-01T11:00:00+01:00,A,P,BUY,10.00,100,ORDER_PLACED\n" /* dup */
        "2025-01-01T10:00:00Z,A,P,BUY,10,100,ORDER_PLACED\n"         /* dup */
        /* not duplicates: one field differs each */
        "2025-01-01T10:00:00Z,B,P,BUY,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:00Z,A,Q,BUY,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:00Z,A,P,SELL,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:00Z,A,P,BUY,10,101,ORDER_PLACED\n"
        "2025-01-01T10:00:00Z,A,P,BUY,10,100,ORDER_CANCELLED\n"
        "2025-01-01T10:00:00.000001Z,A,P,BUY,10,100,ORDER_PLACED\n"
        /* a duplicate far away in the file and out of order */
        "2025-01-01T09:00:00Z,X,P,BUY,1,1,TRADE_EXECUTED\n"
        "2025-01-01T12:00:00Z,X,P,BUY,1,1,TRADE_EXECUTED\n"
        "2025-01-01T09:00:00Z,X,P,BUY,1,1,TRADE_EXECUTED\n"); /* dup */
    CU_ASSERT_EQUAL(q.duplicates, 3);
}

/* More than 16 events of one group at one instant: the sorting path.
 * 40 events, 20 distinct quantities each twice, interleaved: 20
 * duplicates; plus a third copy of one: 21. */
static void test_dq_duplicates_long_run(void)
{
    char rows[8192];
    size_t used = 0;
    for (int i = 0; i < 41; i++) {
        int qty = i < 40 ? 1 + (i % 20) : 7;
        int k = snprintf(rows + used, sizeof rows - used,
                         "2025-01-01T10:00:00Z,A,P,BUY,10,%d,ORDER_PLACED\n",
                         qty);
        CU_ASSERT_FATAL(k > 0 && (size_t)k < sizeof rows - used);
        used += (size_t)k;
    }
    lda_quality q = quality_of(rows);
    CU_ASSERT_EQUAL(q.duplicates, 21);
    CU_ASSERT_EQUAL(q.out_of_order, 0);
}

static void test_dq_json(void)
{
    lda_quality q = quality_of(
        "2025-01-01T10:00:00.5Z,A,P,BUY,10,100,ORDER_PLACED\n"
        "2025-01-01T10:00:00.5Z,A,P,BUY,10,100,ORDER_PLACED\n");
    json_t *j = lda_runrec_quality(&q);
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    LDA_ASSERT_STR(text,
                   "{\"accounts\":1,\"duplicates\":1,\"event_types\":{"
                   "\"ORDER_CANCELLED\":0,\"ORDER_PLACED\":2,"
                   "\"TRADE_EXECUTED\":0},\"first_timestamp\":\"2025-01-"
                   "01T10:00:00.500000+00:00\",\"last_timestamp\":\"2025-01-"
                   "01T10:00:00.500000+00:00\",\"out_of_order\":0,"
                   "\"products\":1}");
    free(text);
    json_decref(j);
    lda_quality none;
    memset(&none, 0, sizeof none);
    j = lda_runrec_quality(&none);
    CU_ASSERT(json_is_null(json_object_get(j, "first_timestamp")));
    CU_ASSERT(json_is_null(json_object_get(j, "last_timestamp")));
    json_decref(j);
}

/* The aggregate request's data_quality and input_name: accepted as
 * written, refused (400 naming the field) when malformed. */
static int agg_with(const char *extra, lda_agg_req *a, char *err, size_t n)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"request_id\":\"6f1c8a52-3b1e-4c7a-9d2e-0a1b2c3d4e5f\","
             "\"expected_services\":[],\"results\":[]%s}",
             extra);
    json_t *root = json_loads(text, 0, NULL);
    CU_ASSERT_FATAL(root != NULL);
    lda_err e;
    lda_err_init(&e);
    lda_codec_agg_req_init(a);
    bool ok = lda_codec_agg_req_from_json(root, a, &e);
    json_decref(root);
    snprintf(err, n, "%s", ok ? "" : e.msg);
    return ok ? 0 : e.status;
}

#define DQ_OK \
    "\"event_types\":{\"ORDER_PLACED\":2,\"ORDER_CANCELLED\":0," \
    "\"TRADE_EXECUTED\":1},\"accounts\":1,\"products\":1," \
    "\"out_of_order\":1,\"duplicates\":0,"

static void test_dq_codec(void)
{
    static const struct {
        const char *extra, *err;
    } cases[] = {
        {",\"data_quality\":{" DQ_OK
         "\"first_timestamp\":\"2025-01-01T10:00:00+00:00\","
         "\"last_timestamp\":\"2025-01-01T10:00:01+00:00\"},"
         "\"input_name\":\"day 1.csv\"",
         ""},
        {",\"data_quality\":null,\"input_name\":null", ""},
        {",\"data_quality\":[]", "data_quality must be an object"},
        {",\"data_quality\":{" DQ_OK "\"first_timestamp\":null}",
         "data_quality.last_timestamp is missing"},
        {",\"data_quality\":{\"event_types\":{\"ORDER_PLACED\":-1,"
         "\"ORDER_CANCELLED\":0,\"TRADE_EXECUTED\":1},\"accounts\":1,"
         "\"products\":1,\"out_of_order\":1,\"duplicates\":0,"
         "\"first_timestamp\":null,\"last_timestamp\":null}",
         "data_quality.event_types.ORDER_PLACED must be a non-negative "
         "integer"},
        {",\"data_quality\":{" DQ_OK
         "\"first_timestamp\":\"x\",\"last_timestamp\":null}",
         "data_quality.first_timestamp must be a timestamp or null"},
        {",\"data_quality\":{" DQ_OK
         "\"first_timestamp\":null,\"last_timestamp\":null}",
         "data_quality.first_timestamp/last_timestamp do not fit the "
         "events"},
        {",\"data_quality\":{" DQ_OK
         "\"first_timestamp\":\"2025-01-01T10:00:00Z\","
         "\"last_timestamp\":\"2025-01-01T10:00:00Z\",\"x\":1}",
         "data_quality has an unknown member"},
        {",\"input_name\":\"\"",
         "input_name must be 1 to 255 bytes of UTF-8 text, or null"},
        {",\"input_name\":\"a\\u0001b\"",
         "input_name must be 1 to 255 bytes of UTF-8 text, or null"},
        {",\"input_name\":3",
         "input_name must be 1 to 255 bytes of UTF-8 text, or null"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lda_agg_req a;
        char err[256];
        int rc = agg_with(cases[i].extra, &a, err, sizeof err);
        CU_ASSERT_EQUAL(rc, cases[i].err[0] ? 400 : 0);
        LDA_ASSERT_STR(err, cases[i].err);
        if (i == 0) {
            CU_ASSERT(a.has_quality);
            CU_ASSERT_EQUAL(a.quality.types[LDA_TRADE], 1);
            CU_ASSERT_EQUAL(a.quality.out_of_order, 1);
            LDA_ASSERT_STR(a.input_name, "day 1.csv");
        }
        lda_codec_agg_req_free(&a);
    }
}

/* input_name of a form upload: the file part's filename, as sent. */
static void test_multipart_filename(void)
{
    static const char ct[] = "multipart/form-data; boundary=XyZ";
    static const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
        "hi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; "
        "filename=\"day 1.csv\"\r\nContent-Type: text/csv\r\n\r\nA,B\r\n"
        "--XyZ--\r\n";
    const char *part, *fn;
    size_t n, fnl;
    lda_err e;
    lda_err_init(&e);
    CU_ASSERT_FATAL(lda_multipart_file(ct, body, sizeof body - 1, "file",
                                       &part, &n, &fn, &fnl, &e));
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(fnl, 9);
    CU_ASSERT(fnl == 9 && memcmp(fn, "day 1.csv", 9) == 0);
    CU_ASSERT_FATAL(lda_multipart_file(ct, body, sizeof body - 1, "note",
                                       &part, &n, &fn, &fnl, &e));
    CU_ASSERT_EQUAL(fnl, 0); /* no filename */
}

/* ---- the index -------------------------------------------------------- */

static char var[64];

static int idx_init(void)
{
    snprintf(var, sizeof var, "%s", "/tmp/lda-unit-hist-XXXXXX");
    return mkdtemp(var) ? 0 : -1;
}

static int idx_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", var);
    return system(cmd) == 0 ? 0 : -1;
}

static void idx_reset(void)
{
    char p[128];
    snprintf(p, sizeof p, "%s/runs.index", var);
    unlink(p);
}

/* The id of run number i (a version-4 UUID). */
static const char *run_id(int i, char out[37])
{
    snprintf(out, 37, "%08x-0000-4000-8000-000000000000", (unsigned)i);
    return out;
}

static void put(int i, const char *status)
{
    char id[37];
    json_t *j = json_pack("{s:s,s:s,s:i}", "request_id", run_id(i, id),
                          "status", status, "event_count", i);
    CU_ASSERT_EQUAL(lda_runidx_append(var, j), 0);
    json_decref(j);
}

/* A page of the history as the JSON text it is, parsed: the "runs"
 * array (a new reference), or NULL with *rc 1 (before unknown). */
static json_t *list(const char *before, size_t limit, int *rc)
{
    lda_buf b;
    lda_buf_init(&b);
    *rc = lda_runidx_list(var, before, limit, &b);
    json_t *j = *rc == 0 ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    lda_buf_free(&b);
    json_t *runs = json_incref(json_object_get(j, "runs"));
    json_decref(j);
    CU_ASSERT(*rc != 0 || json_is_array(runs));
    return runs;
}

/* The ids' numbers of a page as "3,2,1", or "404". */
static void page(const char *before_of, int before, size_t limit, char *out,
                 size_t n)
{
    char id[37];
    int rc;
    json_t *runs = list(before_of ? run_id(before, id) : NULL, limit, &rc);
    out[0] = '\0';
    if (rc == 1) {
        snprintf(out, n, "404");
        return;
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    size_t used = 0;
    for (size_t i = 0; i < json_array_size(runs); i++) {
        const json_t *r = json_array_get(runs, i);
        unsigned num = (unsigned)strtoul(
            json_string_value(json_object_get(r, "request_id")), NULL, 16);
        used += (size_t)snprintf(
            out + used, n - used, "%s%u%s", i ? "," : "", num,
            strcmp(json_string_value(json_object_get(r, "status")),
                   "running") == 0
                ? "r"
                : "");
    }
    json_decref(runs);
}

static void test_idx_order_and_pages(void)
{
    char got[256];
    idx_reset();
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, ""); /* no index yet: an empty history */
    put(1, "running");
    put(1, "completed");
    put(2, "running");
    put(3, "running");
    put(3, "validation_failed");
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "3,2r,1");
    put(2, "completed"); /* finishing moves a run to the top */
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "2,3,1");
    page(NULL, 0, 2, got, sizeof got);
    LDA_ASSERT_STR(got, "2,3");
    page("before", 3, 2, got, sizeof got);
    LDA_ASSERT_STR(got, "1");
    page("before", 1, 2, got, sizeof got);
    LDA_ASSERT_STR(got, "");
    page("before", 9, 2, got, sizeof got);
    LDA_ASSERT_STR(got, "404");
}

static void test_idx_remove_compact(void)
{
    char got[256], p[128];
    struct stat a, b;
    idx_reset();
    for (int i = 1; i <= 5; i++) {
        put(i, "running");
        put(i, "completed");
    }
    CU_ASSERT_EQUAL(lda_runidx_remove(var, run_id(2, (char[37]){0})), 0);
    CU_ASSERT_EQUAL(lda_runidx_remove(var, run_id(4, (char[37]){0})), 0);
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "5,3,1");
    page("before", 4, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "404"); /* a removed run is not in the history */
    snprintf(p, sizeof p, "%s/runs.index", var);
    CU_ASSERT_EQUAL(stat(p, &a), 0);
    CU_ASSERT_EQUAL(lda_runidx_compact(var), 0);
    CU_ASSERT_EQUAL(stat(p, &b), 0);
    CU_ASSERT(b.st_size < a.st_size / 3);
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "5,3,1");
    put(6, "running"); /* appends go on after a compaction */
    page(NULL, 0, 2, got, sizeof got);
    LDA_ASSERT_STR(got, "6r,5");
}

static int init_calls;

/* Runs 7 and 8 (a var dir's runs, oldest first), for lda_runidx_init. */
static json_t *two_entries(void *arg)
{
    (void)arg;
    char a[37], b[37];
    init_calls++;
    return json_pack("[{s:s,s:s},{s:s,s:s}]", "request_id", run_id(7, a),
                     "status", "completed", "request_id", run_id(8, b),
                     "status", "validation_failed");
}

/* Without an index, lda_runidx_init makes one from the entries given;
 * with one, it leaves it alone (and does not ask for the entries). */
static void test_idx_init(void)
{
    char got[64];
    idx_reset();
    init_calls = 0;
    CU_ASSERT_EQUAL(lda_runidx_init(var, two_entries, NULL), 0);
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "8,7");
    put(9, "running");
    CU_ASSERT_EQUAL(lda_runidx_init(var, two_entries, NULL), 0);
    CU_ASSERT_EQUAL(init_calls, 1);
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "9r,8,7");
}

/* A record cut short by a crash, at the end or followed by more records,
 * and bytes that are no record at all, are skipped. */
static void test_idx_torn(void)
{
    char got[256], p[128];
    idx_reset();
    put(1, "completed");
    snprintf(p, sizeof p, "%s/runs.index", var);
    int fd = open(p, O_WRONLY | O_APPEND);
    CU_ASSERT_FATAL(fd >= 0);
    static const char torn[] =
        "\x1e{\"request_id\":\"00000002-0000-4000-8000-000000000000\","
        "\"status\":\"comp";
    CU_ASSERT_EQUAL(write(fd, torn, sizeof torn - 1),
                    (ssize_t)(sizeof torn - 1));
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "1"); /* torn last record: no LF */
    close(fd);
    put(3, "completed");
    fd = open(p, O_WRONLY | O_APPEND);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, "\x1e{not json}\n", 13), 13);
    close(fd);
    put(4, "completed");
    page(NULL, 0, 50, got, sizeof got);
    LDA_ASSERT_STR(got, "4,3,1");
}

/* 1,000 runs (2,000 records, over several 64 KiB chunks) listed whole and
 * in pages; the time of the whole list is printed. */
static void test_idx_thousand(void)
{
    idx_reset();
    char id[37];
    for (int i = 1; i <= 1000; i++) {
        lda_params prm;
        lda_params_default(&prm);
        json_t *j = json_pack(
            "{s:s,s:s,s:s,s:s,s:i,s:i,s:{s:i,s:i},s:o,s:s}", "request_id",
            run_id(i, id), "status", "completed", "started",
            "2025-01-01T10:00:00+00:00", "finished",
            "2025-01-01T10:00:01+00:00", "event_count", 1000, "rejected_count",
            0, "alerts", "LAYERING", 1, "WASH_TRADING", 2, "params",
            lda_runrec_params(&prm), "input_name", "day.csv");
        json_t *r = json_pack("{s:s,s:s}", "request_id", id, "status",
                              "running");
        CU_ASSERT_EQUAL(lda_runidx_append(var, r), 0);
        CU_ASSERT_EQUAL(lda_runidx_append(var, j), 0);
        json_decref(r);
        json_decref(j);
    }
    json_t *runs = NULL;
    double ms[5];
    for (int k = 0; k < 5; k++) { /* the median of 5 is the figure */
        struct timespec t0, t1;
        json_decref(runs);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        lda_buf b;
        lda_buf_init(&b);
        CU_ASSERT_EQUAL(lda_runidx_list(var, NULL, 1000, &b), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ms[k] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        json_t *j = json_loadb(b.data, b.len, 0, NULL);
        runs = json_incref(json_object_get(j, "runs"));
        json_decref(j);
        lda_buf_free(&b);
        for (int m = k; m > 0 && ms[m] < ms[m - 1]; m--) {
            double t = ms[m];
            ms[m] = ms[m - 1];
            ms[m - 1] = t;
        }
    }
    fprintf(stderr,
            "\n  history: 1000 runs listed from the index in %.2f ms "
            "(median of 5; fastest %.2f)\n",
            ms[2], ms[0]);
    CU_ASSERT(ms[2] < 500); /* a generous bound; the figure is the print */
    CU_ASSERT_EQUAL(json_array_size(runs), 1000);
    bool order = true;
    for (size_t i = 0; i < json_array_size(runs); i++)
        order = order && strcmp(json_string_value(json_object_get(
                                    json_array_get(runs, i), "request_id")),
                                run_id(1000 - (int)i, id)) == 0;
    CU_ASSERT(order);
    json_decref(runs);
    char got[64];
    page("before", 501, 3, got, sizeof got);
    LDA_ASSERT_STR(got, "500,499,498");
    page("before", 2, 1000, got, sizeof got);
    LDA_ASSERT_STR(got, "1");
}

void lda_test_history(void)
{
    static const lda_test_case dq[] = {
        {"dq_types_distinct", test_dq_types_distinct},
        {"dq_out_of_order", test_dq_out_of_order},
        {"dq_duplicates", test_dq_duplicates},
        {"dq_duplicates_long_run", test_dq_duplicates_long_run},
        {"dq_json", test_dq_json},
        {"dq_codec", test_dq_codec},
        {"multipart_filename", test_multipart_filename},
        {"idx_order_and_pages", test_idx_order_and_pages},
        {"idx_remove_compact", test_idx_remove_compact},
        {"idx_torn", test_idx_torn},
        {"idx_init", test_idx_init},
        {"idx_thousand", test_idx_thousand},
        {NULL, NULL},
    };
    lda_test_suite("history", dq, idx_init, idx_cleanup, NULL, NULL);
}
