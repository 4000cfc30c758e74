/* test_codec: the codecs of the programs' JSON and binary forms
 * (lda_codec_seq, lda_codec_detect, lda_codec_agg, lda_codec_res).
 *
 * Sequences come from the real pipeline (lda_test_run) over small CSVs, so
 * the encoder is checked against values the detectors really produce: the
 * exact JSON of a LAYERING and a WASH_TRADING sequence, then a full
 * round trip (encode -> JSON text -> decode -> merge -> reports) that must
 * give byte-identical reports and bit-identical percentages. The decoders
 * are fed one broken field at a time and must name it. */
#include "lda_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_codec_agg.h"
#include "lda_codec_detect.h"
#include "lda_codec_res.h"
#include "lda_codec_seq.h"
#include "lda_fingerprint.h"
#include "lda_time.h"

/* The decoders return false with an lda_err; the tests read that as the
 * decoders' status the way they always have: 0, or -1 (400), -2 (413),
 * -3 (500), with the message in err. */
static int rc_of(bool ok, const lda_err *e, char *err, size_t errlen)
{
    if (ok)
        return 0;
    size_t n = strnlen(e->msg, sizeof e->msg);
    if (errlen) {
        n = n < errlen ? n : errlen - 1;
        memcpy(err, e->msg, n);
        err[n] = '\0';
    }
    return e->status == 413 ? -2 : e->status == 500 ? -3 : -1;
}

static int seqlist_from_json(const json_t *arr, lda_seqlist *l, char *err,
                             size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return rc_of(lda_codec_seqlist_from_json(arr, "results", l, &e), &e, err,
                 errlen);
}

static int detect_req_from_json(const char *body, size_t len,
                                uint64_t max_events, lda_detect_req *out,
                                lda_set *set, char *err, size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return rc_of(lda_codec_detect_req_from_json(body, len, max_events, out,
                                                set, &e),
                 &e, err, errlen);
}

static int agg_req_from_json(const json_t *root, lda_agg_req *a, char *err,
                             size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return rc_of(lda_codec_agg_req_from_json(root, a, &e), &e, err, errlen);
}

static int agg_req_from_bin(const char *body, size_t len, lda_agg_req *a,
                            char *err, size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return rc_of(lda_codec_agg_req_from_bin(body, len, a, &e), &e, err,
                 errlen);
}

/* Layering (the docs/README.md example's ACC001 pattern), a wash window with a
 * non-terminating alternation (5 switches of 6 = 83.333...) and a price
 * change >= 1 %, and one with a change < 1 % (null). */
static const char *const mixed_csv = LDA_CSV_HEADER
    "2025-10-26T10:21:20Z,ACC001,IBM,BUY,141.20,5000,ORDER_PLACED\n"
    "2025-10-26T10:21:22.5Z,ACC001,IBM,BUY,141.18,4000,ORDER_PLACED\n"
    "2025-10-26T10:21:24Z,ACC001,IBM,BUY,141.17,6000,ORDER_PLACED\n"
    "2025-10-26T10:21:25Z,ACC001,IBM,BUY,141.20,5000,ORDER_CANCELLED\n"
    "2025-10-26T10:21:26Z,ACC001,IBM,BUY,141.18,4000,ORDER_CANCELLED\n"
    "2025-10-26T10:21:27Z,ACC001,IBM,BUY,141.17,6000,ORDER_CANCELLED\n"
    "2025-10-26T10:21:28Z,ACC001,IBM,SELL,141.05,10000,TRADE_EXECUTED\n"
    "2025-02-04T09:00:00Z,W1,XYZ,BUY,100,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:01:00Z,W1,XYZ,SELL,100.3,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:02:00Z,W1,XYZ,BUY,100.7,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:03:00Z,W1,XYZ,SELL,101.1,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:04:00Z,W1,XYZ,SELL,101.3,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:05:00Z,W1,XYZ,BUY,101.2,2000,TRADE_EXECUTED\n"
    "2025-02-04T09:06:00.000001Z,W1,XYZ,SELL,101.7,2000,TRADE_EXECUTED\n"
    "2025-02-04T10:00:00Z,W2,\"A,\"\"B\",BUY,100,3000,TRADE_EXECUTED\n"
    "2025-02-04T10:01:00Z,W2,\"A,\"\"B\",SELL,100.1,3000,TRADE_EXECUTED\n"
    "2025-02-04T10:02:00Z,W2,\"A,\"\"B\",BUY,100.2,3000,TRADE_EXECUTED\n"
    "2025-02-04T10:03:00Z,W2,\"A,\"\"B\",SELL,100.3,3000,TRADE_EXECUTED\n"
    "2025-02-04T10:04:00Z,W2,\"A,\"\"B\",BUY,100.4,3000,TRADE_EXECUTED\n"
    "2025-02-04T10:05:00Z,W2,\"A,\"\"B\",SELL,100.5,3000,TRADE_EXECUTED\n";

static bool run_mixed(lda_run *r)
{
    int rc = lda_test_run(r, mixed_csv, NULL, NULL);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(r->lay.n, 1);
    CU_ASSERT_FATAL(r->wash.n >= 2);
    return rc == 0;
}

/* The first sequence of l whose product is prod. */
static const lda_seq *seq_of(const lda_seqlist *l, const char *prod)
{
    for (size_t i = 0; i < l->n; i++) {
        const lda_seqkey *k = &l->keys[l->v[i].key];
        if (k->prod_len == strlen(prod) &&
            memcmp(l->text.data + k->prod_off, prod, k->prod_len) == 0)
            return &l->v[i];
    }
    return NULL;
}

static void assert_json(json_t *got, const char *want_text, unsigned line)
{
    json_error_t e;
    json_t *want = json_loads(want_text, 0, &e);
    CU_assertImplementation(want != NULL, line, "expected JSON parses",
                            __FILE__, "", CU_TRUE);
    bool eq = got && json_equal(got, want);
    if (!eq) {
        char *g = got ? json_dumps(got, JSON_SORT_KEYS) : NULL;
        char *w = json_dumps(want, JSON_SORT_KEYS);
        fprintf(stderr, "\ntest_codec.c:%u:\n  want %s\n  got  %s\n", line,
                w ? w : "?", g ? g : "(null)");
        free(g);
        free(w);
    }
    CU_assertImplementation(eq, line, "JSON equal", __FILE__, "", CU_FALSE);
    json_decref(want);
}

/* The text lda_codec_seq_text writes for q, parsed back by jansson; the
   text must be one valid JSON document. */
static json_t *seq_json(const lda_seqlist *l, const lda_seq *q)
{
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL(lda_codec_seq_text(l, q, &b), 0);
    json_error_t e;
    json_t *j = b.data ? json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &e)
                       : NULL;
    CU_ASSERT_PTR_NOT_NULL(j);
    lda_buf_free(&b);
    return j;
}

static void test_layering_json(void)
{
    lda_run r;
    if (!run_mixed(&r))
        return;
    json_t *j = seq_json(&r.lay, &r.lay.v[0]);
    assert_json(j,
                "{\"account_id\":\"ACC001\",\"product_id\":\"IBM\","
                "\"start_timestamp\":\"2025-10-26T10:21:20+00:00\","
                "\"end_timestamp\":\"2025-10-26T10:21:28+00:00\","
                "\"total_buy_qty\":15000,\"total_sell_qty\":10000,"
                "\"detection_type\":\"LAYERING\",\"side\":\"BUY\","
                "\"num_cancelled_orders\":3,\"order_timestamps\":["
                "\"2025-10-26T10:21:20+00:00\","
                "\"2025-10-26T10:21:22.500000+00:00\","
                "\"2025-10-26T10:21:24+00:00\"],"
                "\"alternation_percentage\":null,"
                "\"price_change_percentage\":null,"
                "\"records\":[2,3,4,5,6,7,8],\"observed\":{"
                "\"cancellations\":3,"
                "\"last_cancellation_timestamp\":"
                "\"2025-10-26T10:21:27+00:00\"}}",
                __LINE__);
    CU_ASSERT_EQUAL(json_object_size(j), 14);
    json_decref(j);
    lda_test_run_free(&r);
}

static void test_wash_json(void)
{
    lda_run r;
    if (!run_mixed(&r))
        return;
    const lda_seq *q = seq_of(&r.wash, "XYZ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    json_t *j = seq_json(&r.wash, q);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    /* The numbers: exactly what docs/detection.md#wash-trading computes, as
     * JSON reals. */
    double alt = 100.0 * 5 / 6;
    double pc = fabs((101.7 - 100.0) / 100.0) * 100.0;
    json_t *a = json_object_get(j, "alternation_percentage");
    json_t *p = json_object_get(j, "price_change_percentage");
    CU_ASSERT(json_is_real(a) && json_real_value(a) == alt);
    CU_ASSERT(json_is_real(p) && json_real_value(p) == pc);
    json_object_del(j, "alternation_percentage");
    json_object_del(j, "price_change_percentage");
    assert_json(j,
                "{\"account_id\":\"W1\",\"product_id\":\"XYZ\","
                "\"start_timestamp\":\"2025-02-04T09:00:00+00:00\","
                "\"end_timestamp\":\"2025-02-04T09:06:00.000001+00:00\","
                "\"total_buy_qty\":6000,\"total_sell_qty\":8000,"
                "\"detection_type\":\"WASH_TRADING\",\"side\":null,"
                "\"num_cancelled_orders\":null,\"order_timestamps\":null,"
                "\"records\":[9,10,11,12,13,14,15],"
                "\"observed\":{\"buy_trades\":3,\"sell_trades\":4}}",
                __LINE__);
    json_decref(j);

    /* A change below 1 % is null; the id with a comma and a quote is kept
       verbatim (JSON escapes it, not CSV). */
    q = seq_of(&r.wash, "A,\"B");
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    j = seq_json(&r.wash, q);
    CU_ASSERT(json_is_null(json_object_get(j, "price_change_percentage")));
    CU_ASSERT(json_real_value(json_object_get(j, "alternation_percentage")) ==
              100.0);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "product_id")),
                           "A,\"B");
    json_decref(j);
    lda_test_run_free(&r);
}

/* JSON text of l's array, as a detector sends it, parsed back. */
static json_t *through_text(const lda_seqlist *l)
{
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL(lda_codec_seqlist_text(l, &b), 0);
    json_error_t e;
    json_t *back = b.data ? json_loadb(b.data, b.len, 0, &e) : NULL;
    lda_buf_free(&b);
    CU_ASSERT_PTR_NOT_NULL(back);
    return back;
}

static void assert_same_list(const lda_seqlist *x, const lda_seqlist *y)
{
    CU_ASSERT_EQUAL_FATAL(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        const lda_seq *a = &x->v[i], *b = &y->v[i];
        const lda_seqkey *ka = &x->keys[a->key], *kb = &y->keys[b->key];
        CU_ASSERT(a->start == b->start && a->end == b->end);
        CU_ASSERT(a->buy_qty == b->buy_qty && a->sell_qty == b->sell_qty);
        CU_ASSERT(a->dtype == b->dtype && a->side == b->side);
        CU_ASSERT(a->has_alt == b->has_alt && a->has_pc == b->has_pc);
        if (a->dtype == LDA_LAYERING) {
            CU_ASSERT(a->num_cancelled == b->num_cancelled);
        }
        /* bit-exact doubles */
        CU_ASSERT(!a->has_alt ||
                  memcmp(&a->alt_pct, &b->alt_pct, sizeof(double)) == 0);
        CU_ASSERT(!a->has_pc ||
                  memcmp(&a->pc_pct, &b->pc_pct, sizeof(double)) == 0);
        CU_ASSERT_EQUAL_FATAL(a->norders, b->norders);
        CU_ASSERT(a->norders == 0 ||
                  memcmp(x->orders + a->orders_off, y->orders + b->orders_off,
                         a->norders * sizeof(int64_t)) == 0);
        CU_ASSERT(ka->acc_len == kb->acc_len && ka->prod_len == kb->prod_len);
        CU_ASSERT(memcmp(x->text.data + ka->acc_off,
                         y->text.data + kb->acc_off, ka->acc_len) == 0);
        CU_ASSERT(memcmp(x->text.data + ka->prod_off,
                         y->text.data + kb->prod_off, ka->prod_len) == 0);
    }
}

static void test_round_trip(void)
{
    lda_run r;
    if (!run_mixed(&r))
        return;
    lda_seqlist lay, wash;
    lda_seqlist_init(&lay);
    lda_seqlist_init(&wash);
    char err[256] = "";
    json_t *jl = through_text(&r.lay), *jw = through_text(&r.wash);
    CU_ASSERT_EQUAL(seqlist_from_json(jl, &lay, err, sizeof err), 0);
    CU_ASSERT_EQUAL(seqlist_from_json(jw, &wash, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    json_decref(jl);
    json_decref(jw);
    assert_same_list(&r.lay, &lay);
    assert_same_list(&r.wash, &wash);

    /* merged and reported from the decoded lists: the same bytes */
    const lda_seqlist *lists[2] = {&lay, &wash};
    lda_ref *refs = NULL;
    size_t n = 0;
    lda_buf sus, det;
    lda_buf_init(&sus);
    lda_buf_init(&det);
    CU_ASSERT_EQUAL(lda_merge(lists, 2, &refs, &n), 0);
    CU_ASSERT_EQUAL(n, r.nmerged);
    CU_ASSERT_EQUAL(lda_report_suspicious(refs, n, &sus), 0);
    CU_ASSERT_EQUAL(lda_report_detections(refs, n, NULL, &det), 0);
    LDA_ASSERT_STR(sus.data, r.sus);
    LDA_ASSERT_STR(det.data, r.det);
    free(refs);
    lda_buf_free(&sus);
    lda_buf_free(&det);
    lda_seqlist_free(&lay);
    lda_seqlist_free(&wash);
    lda_test_run_free(&r);
}

/* Awkward doubles survive encode -> text -> decode bit for bit. */
static void test_percent_precision(void)
{
    static const double vals[] = {100.0 / 3,
                                  200.0 / 3,
                                  0.1 + 0.2,
                                  60.00000000000001,
                                  4.9406564584124654e-324,
                                  99.99999999999999,
                                  1e-5};
    lda_seqlist l, back;
    lda_seqlist_init(&l);
    lda_seqlist_init(&back);
    uint32_t key = lda_seqlist_key(&l, "a", 1, "p", 1);
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        lda_seq *q = lda_seqlist_push(&l);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        q->key = key;
        q->dtype = LDA_WASH;
        q->start = (int64_t)i * 1000000;
        q->end = q->start + 1;
        q->has_alt = true;
        q->alt_pct = vals[i];
        q->has_pc = true;
        q->pc_pct = vals[i] * 7;
    }
    json_t *j = through_text(&l);
    char err[256];
    CU_ASSERT_EQUAL(seqlist_from_json(j, &back, err, sizeof err), 0);
    json_decref(j);
    assert_same_list(&l, &back);
    lda_seqlist_free(&l);
    lda_seqlist_free(&back);
}

/* The writer escapes what JSON needs escaped (quote, backslash, control
 * bytes; UTF-8 passes through), writes whole percentages as reals, and
 * refuses a count no int64 reader could take. */
static void test_seq_text_edges(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    static const char acc[] = "a\"b\\c\x01\xce\xa9";
    lda_seq *q = lda_test_seq(&l, acc, "P", LDA_WASH, 0, 1);
    q->has_alt = true;
    q->alt_pct = 100.0;
    q->has_pc = true;
    q->pc_pct = 1e21;
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL(lda_codec_seq_text(&l, q, &b), 0);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(b.data, "{\"account_id\":\"a\\\"b\\\\c\\u0001\xce\xa9\","));
    CU_ASSERT_PTR_NOT_NULL(strstr(
        b.data,
        "\"alternation_percentage\":100.0,\"price_change_percentage\":1e+21,"));
    json_t *j = seq_json(&l, q);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(j, "account_id")),
                           acc);
    CU_ASSERT(json_is_real(json_object_get(j, "alternation_percentage")));
    json_decref(j);
    q->buy_qty = (uint64_t)INT64_MAX + 1;
    lda_buf_reset(&b);
    CU_ASSERT_EQUAL(lda_codec_seq_text(&l, q, &b), -1);
    lda_buf_reset(&b);
    CU_ASSERT_EQUAL(lda_codec_seqlist_text(&l, &b), -1);
    q->buy_qty = INT64_MAX;
    lda_buf_reset(&b);
    CU_ASSERT_EQUAL(lda_codec_seqlist_text(&l, &b), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(b.data,
                                  "\"total_buy_qty\":9223372036854775807,"));
    lda_buf_free(&b);
    lda_seqlist_free(&l);
}

/* ---- decode errors ---------------------------------------------------- */

static const char *const good_lay =
    "{\"account_id\":\"A\",\"product_id\":\"P\","
    "\"start_timestamp\":\"2025-01-01T00:00:00+00:00\","
    "\"end_timestamp\":\"2025-01-01T00:00:08+00:00\","
    "\"total_buy_qty\":15000,\"total_sell_qty\":10000,"
    "\"detection_type\":\"LAYERING\",\"side\":\"SELL\","
    "\"num_cancelled_orders\":3,\"order_timestamps\":["
    "\"2025-01-01T00:00:00+00:00\",\"2025-01-01T00:00:01.25+00:00\"],"
    "\"alternation_percentage\":null,\"price_change_percentage\":null}";
static const char *const good_wash =
    "{\"account_id\":\"A\",\"product_id\":\"P\","
    "\"start_timestamp\":\"2025-01-01T00:00:00+00:00\","
    "\"end_timestamp\":\"2025-01-01T00:10:00+00:00\","
    "\"total_buy_qty\":6000,\"total_sell_qty\":6000,"
    "\"detection_type\":\"WASH_TRADING\",\"side\":null,"
    "\"num_cancelled_orders\":null,\"order_timestamps\":null,"
    "\"alternation_percentage\":100,\"price_change_percentage\":1.5}";

/* Decode [good_lay, good_wash] with one member of element idx replaced by
   value (JSON text; NULL = deleted); expect the error text want (NULL =
   success). */
static void dec_case(size_t idx, const char *key, const char *value,
                     const char *want, unsigned line)
{
    json_error_t e;
    json_t *arr = json_array();
    json_array_append_new(arr, json_loads(good_lay, 0, &e));
    json_array_append_new(arr, json_loads(good_wash, 0, &e));
    json_t *o = json_array_get(arr, idx);
    if (key && value)
        json_object_set_new(o, key, json_loads(value, JSON_DECODE_ANY, &e));
    else if (key)
        json_object_del(o, key);
    lda_seqlist l;
    lda_seqlist_init(&l);
    char err[256] = "";
    int rc = seqlist_from_json(arr, &l, err, sizeof err);
    bool ok = want ? rc == -1 && strcmp(err, want) == 0 : rc == 0 && l.n == 2;
    if (!ok)
        fprintf(stderr,
                "\ntest_codec.c:%u: %s=%s: rc %d err \"%s\", want "
                "\"%s\"\n",
                line, key ? key : "-", value ? value : "(deleted)", rc, err,
                want ? want : "ok");
    CU_assertImplementation(ok, line, "decode error", __FILE__, "", CU_FALSE);
    if (!want && ok && !key) {
        CU_ASSERT_EQUAL(l.v[0].norders, 2);
        CU_ASSERT_EQUAL(l.orders[l.v[0].orders_off + 1],
                        lda_test_ts("2025-01-01T00:00:01.25Z"));
        CU_ASSERT_EQUAL(l.v[0].side, LDA_SELL);
        CU_ASSERT(l.v[1].has_pc && l.v[1].pc_pct == 1.5);
        CU_ASSERT(l.v[1].has_alt && l.v[1].alt_pct == 100.0);
    }
    lda_seqlist_free(&l);
    json_decref(arr);
}
#define DEC(idx, key, value, want) dec_case(idx, key, value, want, __LINE__)

static void test_decode_errors(void)
{
    DEC(0, NULL, NULL, NULL);
    DEC(1, "price_change_percentage", "null", NULL); /* below 1 % */
    DEC(1, "alternation_percentage", "83.333333333333329", NULL);
    DEC(0, "account_id", NULL, "results[0].account_id: missing");
    DEC(0, "account_id", "\"\"",
        "results[0].account_id: must be 1 to 256 bytes without control "
        "characters");
    DEC(1, "product_id", "\"a\\u0001b\"",
        "results[1].product_id: must be 1 to 256 bytes without control "
        "characters");
    DEC(1, "product_id", "7", "results[1].product_id: must be a string");
    DEC(1, "end_timestamp", "\"2025-02-30T00:00:00Z\"",
        "results[1].end_timestamp: invalid timestamp");
    DEC(0, "end_timestamp", "\"2024-12-31T23:59:59+00:00\"",
        "results[0].end_timestamp: before start_timestamp");
    DEC(0, "total_buy_qty", "-1",
        "results[0].total_buy_qty: must be a non-negative integer");
    DEC(0, "total_sell_qty", "1.0",
        "results[0].total_sell_qty: must be a non-negative integer");
    DEC(0, "detection_type", "\"layering\"",
        "results[0].detection_type: must be \"LAYERING\" or "
        "\"WASH_TRADING\"");
    DEC(0, "side", "null", "results[0].side: must be \"BUY\" or \"SELL\"");
    DEC(0, "num_cancelled_orders", "null",
        "results[0].num_cancelled_orders: must be a non-negative integer");
    DEC(0, "order_timestamps", "[\"x\"]",
        "results[0].order_timestamps[0]: invalid timestamp");
    DEC(0, "order_timestamps", "null",
        "results[0].order_timestamps: must be an array");
    DEC(0, "alternation_percentage", "60",
        "results[0].alternation_percentage: must be null for this type");
    DEC(1, "side", "\"BUY\"", "results[1].side: must be null for this type");
    DEC(1, "order_timestamps", "[]",
        "results[1].order_timestamps: must be null for this type");
    DEC(1, "alternation_percentage", "null",
        "results[1].alternation_percentage: must be a number");
    DEC(1, "alternation_percentage", "100.5",
        "results[1].alternation_percentage: out of range");
    DEC(1, "price_change_percentage", "\"1.5\"",
        "results[1].price_change_percentage: must be a number");
    DEC(1, "price_change_percentage", NULL,
        "results[1].price_change_percentage: missing");

    /* not an array / not an object */
    lda_seqlist l;
    lda_seqlist_init(&l);
    char err[128];
    json_t *o = json_object();
    CU_ASSERT_EQUAL(seqlist_from_json(o, &l, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "results: must be an array");
    json_t *a = json_pack("[i]", 1);
    CU_ASSERT_EQUAL(seqlist_from_json(a, &l, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "results[0]: must be an object");
    CU_ASSERT_EQUAL(l.n, 0);
    json_decref(o);
    json_decref(a);
    lda_seqlist_free(&l);
}

/* ---- detector request --------------------------------------------------- */

#define RID "0b7a3a4e-5a3c-4d4e-9f00-1234567890AB"
#define FP "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const ev_ok =
    "{\"timestamp\":\"2025-01-01 00:00:01.5\",\"account_id\":\" A1 \","
    "\"product_id\":\"P\",\"side\":\"buy\",\"price\":\"12.50\","
    "\"quantity\":100,\"event_type\":\"order_placed\"}";

/* Parse {"request_id":RID,"event_fingerprint":FP,"events":[events]}. */
static int detect_req(const char *events, uint64_t max, lda_set *set,
                      lda_detect_req *k, char *err, size_t errlen)
{
    char body[2048];
    int n = snprintf(body, sizeof body,
                     "{\"request_id\":\"" RID "\",\"event_fingerprint\":\"" FP
                     "\",\"events\":[%s]}",
                     events);
    CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof body);
    err[0] = '\0';
    return detect_req_from_json(body, (size_t)n, max, k, set, err, errlen);
}

static void test_detect_request(void)
{
    lda_set set;
    lda_set_init(&set);
    lda_detect_req k;
    char err[256];
    char events[1024];
    snprintf(
        events, sizeof events,
        "%s,{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account_id\":\"A1\","
        "\"product_id\":\"P\",\"side\":\"SELL\",\"price\":7,"
        "\"quantity\":\"+5\",\"event_type\":\"TRADE_EXECUTED\"},"
        "{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account_id\":\"A2\","
        "\"product_id\":\"P\",\"side\":\"SELL\",\"price\":0.1,"
        "\"quantity\":1000000000000,\"event_type\":\"ORDER_CANCELLED\","
        "\"extra\":[1]}",
        ev_ok);
    CU_ASSERT_EQUAL(detect_req(events, 3, &set, &k, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(err, "");
    /* the request id is lowercased, the fingerprint copied */
    CU_ASSERT_STRING_EQUAL(k.request_id,
                           "0b7a3a4e-5a3c-4d4e-9f00-1234567890ab");
    CU_ASSERT_STRING_EQUAL(k.fingerprint, FP);
    CU_ASSERT_FALSE(set.finished);
    CU_ASSERT_EQUAL_FATAL(set.n, 3);
    CU_ASSERT_EQUAL_FATAL(set.ngroups, 2);
    const lda_event *e = &set.ev[0];
    CU_ASSERT_EQUAL(e->ts, lda_test_ts("2025-01-01T00:00:01.5Z"));
    CU_ASSERT_EQUAL(e->qty, 100);
    CU_ASSERT_EQUAL(e->side, LDA_BUY);
    CU_ASSERT_EQUAL(e->type, LDA_PLACED);
    CU_ASSERT(e->price_len == 5 &&
              memcmp(lda_event_price(&set, e), "12.50", 5) == 0);
    /* trimmed like CSV fields */
    CU_ASSERT(set.groups[0].acc_len == 2 &&
              memcmp(lda_set_str(&set, set.groups[0].acc_off), "A1", 2) == 0);
    /* numbers: integer text, shortest round-trip text of a real */
    CU_ASSERT(set.ev[1].price_len == 1 &&
              memcmp(lda_event_price(&set, &set.ev[1]), "7", 1) == 0);
    CU_ASSERT_EQUAL(set.ev[1].qty, 5);
    CU_ASSERT(set.ev[2].price_len == 3 &&
              memcmp(lda_event_price(&set, &set.ev[2]), "0.1", 3) == 0);
    CU_ASSERT_EQUAL(set.ev[2].qty, 1000000000000ULL);
    lda_set_free(&set);

    /* over the limit: -2; the body is read streamed, so the set holds at
       most the limit (never more) */
    lda_set_init(&set);
    CU_ASSERT_EQUAL(detect_req(events, 2, &set, &k, err, sizeof err), -2);
    CU_ASSERT_STRING_EQUAL(err, "more than 2 events");
    CU_ASSERT(set.n <= 2);
    lda_set_free(&set);

    /* no events is a valid request */
    lda_set_init(&set);
    CU_ASSERT_EQUAL(detect_req("", 0, &set, &k, err, sizeof err), 0);
    CU_ASSERT_EQUAL(set.n, 0);
    lda_set_free(&set);
}

/* Expect -1 with err == want (or, with prefix, starting with want). */
static void req_bad_p(const char *body, const char *want, bool prefix,
                      unsigned line)
{
    lda_set set;
    lda_set_init(&set);
    lda_detect_req k;
    char err[256] = "";
    int rc = detect_req_from_json(body, strlen(body), 0, &k, &set, err,
                                  sizeof err);
    bool ok = rc == -1 && (prefix ? strncmp(err, want, strlen(want))
                                  : strcmp(err, want)) == 0;
    if (!ok)
        fprintf(stderr, "\ntest_codec.c:%u: rc %d err \"%s\", want \"%s\"\n",
                line, rc, err, want);
    CU_assertImplementation(ok, line, "request rejected", __FILE__, "",
                            CU_FALSE);
    lda_set_free(&set);
}
#define REQ_BAD(body, want) req_bad_p((body), (want), false, __LINE__)

/* One event with member key replaced by value (NULL: deleted). */
static void ev_bad(const char *key, const char *value, const char *want,
                   unsigned line)
{
    json_error_t e;
    json_t *ev = json_loads(ev_ok, 0, &e);
    if (value)
        json_object_set_new(ev, key, json_loads(value, JSON_DECODE_ANY, &e));
    else
        json_object_del(ev, key);
    json_t *root = json_pack("{s:s,s:s,s:[o,o]}", "request_id", RID,
                             "event_fingerprint", FP, "events",
                             json_loads(ev_ok, 0, &e), ev);
    char *body = json_dumps(root, 0);
    json_decref(root);
    req_bad_p(body, want, false, line);
    free(body);
}
#define EV_BAD(key, value, want) ev_bad((key), (value), (want), __LINE__)

static void test_detect_request_errors(void)
{
    REQ_BAD("{", "invalid JSON (line 1, column 1)");
    REQ_BAD("[]", "the request must be a JSON object");
    REQ_BAD("{\"request_id\":\"x\",\"event_fingerprint\":\"" FP
            "\",\"events\":[]}",
            "request_id: must be a UUID");
    /* a repeated key is refused */
    req_bad_p("{\"request_id\":\"" RID "\",\"event_fingerprint\":\"" FP
              "\",\"request_id\":\"" RID "\",\"events\":[]}",
              "invalid JSON (line 1, column ", true, __LINE__);
    REQ_BAD(
        "{\"request_id\":\"" RID "\",\"event_fingerprint\":"
        "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"
        "\",\"events\":[]}",
        "event_fingerprint: must be 64 lowercase hex digits");
    REQ_BAD("{\"request_id\":\"" RID "\",\"event_fingerprint\":\"" FP "\"}",
            "events: must be an array");
    REQ_BAD("{\"request_id\":\"" RID "\",\"event_fingerprint\":\"" FP
            "\",\"events\":[1]}",
            "events[0]: must be an object");
    /* the second event (index 1) is the broken one */
    EV_BAD("side", NULL, "events[1]: side: missing");
    EV_BAD("side", "\"HOLD\"", "events[1]: side: must be BUY or SELL");
    EV_BAD("account_id", "1", "events[1]: account_id: must be a string");
    EV_BAD("price", "\"NaN\"",
           "events[1]: price: must be a finite decimal number > 0");
    EV_BAD("price", "-3",
           "events[1]: price: must be a finite decimal number "
           "> 0");
    EV_BAD("price", "true", "events[1]: price: must be a string or a number");
    EV_BAD("quantity", "1.0", "events[1]: quantity: must be an integer");
    EV_BAD("quantity", "0",
           "events[1]: quantity: must be a whole number from 1 to 10^12");
    EV_BAD("quantity", "1000000000001",
           "events[1]: quantity: must be a whole number from 1 to 10^12");
    EV_BAD("timestamp", "\"2025-13-01T00:00:00Z\"",
           "events[1]: timestamp: not a valid timestamp");
    EV_BAD("event_type", "\"ORDER\"",
           "events[1]: event_type: must be ORDER_PLACED, ORDER_CANCELLED or "
           "TRADE_EXECUTED");
}

/* The streamed walk: members in any order, white space anywhere, unknown
 * members (nested too) skipped; a repeated key, text after the object and
 * every truncation of a valid body are "invalid JSON", never a crash. */
static void test_detect_request_streamed(void)
{
    char body[2048];
    snprintf(body, sizeof body,
             " \r\n{ \"x\" : {\"events\":[{\"a\":[1,{\"b\":null}]}]} ,\n"
             "\t\"events\" :\n[ %s , %s ] , \"request_id\" : \"" RID "\" ,"
             " \"event_fingerprint\":\"" FP "\"}\n ",
             ev_ok, ev_ok);
    lda_set set;
    lda_set_init(&set);
    lda_detect_req k;
    char err[256] = "";
    CU_ASSERT_EQUAL(detect_req_from_json(body, strlen(body), 0, &k, &set, err,
                                         sizeof err),
                    0);
    CU_ASSERT_STRING_EQUAL(err, "");
    CU_ASSERT_EQUAL(set.n, 2);
    CU_ASSERT_STRING_EQUAL(k.fingerprint, FP);
    lda_set_free(&set);
    /* every prefix of the body is refused as invalid JSON */
    size_t n = strlen(body);
    while (n && (body[n - 1] == ' ' || body[n - 1] == '\n'))
        n--;
    for (size_t cut = 0; cut < n; cut++) {
        lda_set_init(&set);
        int rc = detect_req_from_json(body, cut, 0, &k, &set, err, sizeof err);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT(strncmp(err, "invalid JSON (line ", 19) == 0);
        lda_set_free(&set);
    }
    /* a syntax error after a bad event still wins; lines and columns as
       jansson reports them for the whole text */
    REQ_BAD("{\"events\":[1],\"request_id\":\"" RID "\",}",
            "invalid JSON (line 1, column 67)");
    REQ_BAD("{\"events\":[]} x", "invalid JSON (line 1, column 15)");
    REQ_BAD("{\"events\":[],\"events\":[]}",
            "invalid JSON (line 1, column 21)");
    req_bad_p("{\n\"a\":tru}", "invalid JSON (line 2, column ", true,
              __LINE__);
}

/* ---- aggregate request -------------------------------------------------- */

#define RID_LC "0b7a3a4e-5a3c-4d4e-9f00-1234567890ab"

/* A docs/api.md#aggregate request: layering success with good_lay, wash
 * exhausted. */
static json_t *agg_doc(void)
{
    json_error_t e;
    json_t *root = json_pack(
        "{s:s,s:[s,s],s:[{s:s,s:s,s:s,s:[o],s:n,s:b,s:i,s:b},"
        "{s:s,s:s,s:n,s:s,s:b,s:i}],s:i,s:i,s:[{s:i,s:s}],s:s,s:s}",
        "request_id", RID, "expected_services", "layering", "wash_trading",
        "results", "request_id", RID_LC, "service_name", "layering", "status",
        "success", "results", json_loads(good_lay, 0, &e), "error",
        "final_status", 1, "retry_count", 2, "cached", 0, "service_name",
        "wash_trading", "status", "exhausted", "results", "error",
        "timed out after 4 attempts", "final_status", 1, "retry_count", 3,
        "event_count", 10, "rejected_count", 1, "rejected", "row", 3, "reason",
        "price: must be a finite decimal number > 0", "event_fingerprint", FP,
        "started", "2025-01-01T00:00:00.25Z");
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    return root;
}

/* Shards: "shards" and "shard_retries" are recorded. */
static void test_agg_request_shards(void)
{
    json_t *root = agg_doc();
    json_t *l = json_array_get(json_object_get(root, "results"), 0);
    json_object_set_new(l, "shards", json_integer(3));
    json_object_set_new(l, "shard_retries", json_pack("[i,i,i]", 0, 2, 0));
    lda_agg_req a;
    lda_codec_agg_req_init(&a);
    char err[256] = "";
    CU_ASSERT_EQUAL(agg_req_from_json(root, &a, err, sizeof err), 0);
    const lda_agg_result *r = &a.res[LDA_SVC_LAYERING];
    CU_ASSERT(r->shards == 3 && r->shard_retries[0] == 0 &&
              r->shard_retries[1] == 2 && r->shard_retries[2] == 0);
    lda_codec_agg_req_free(&a);
    json_decref(root);
}

static void test_agg_request(void)
{
    json_t *root = agg_doc();
    lda_agg_req a;
    lda_codec_agg_req_init(&a);
    char err[256] = "";
    CU_ASSERT_EQUAL(agg_req_from_json(root, &a, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(a.invalid, "");
    CU_ASSERT_STRING_EQUAL(a.request_id, RID_LC);
    CU_ASSERT(a.expected[LDA_SVC_LAYERING] && a.expected[LDA_SVC_WASH]);
    const lda_agg_result *l = &a.res[LDA_SVC_LAYERING];
    const lda_agg_result *w = &a.res[LDA_SVC_WASH];
    CU_ASSERT(l->present && l->success && l->final_status);
    CU_ASSERT_EQUAL(l->retry_count, 2);
    CU_ASSERT_FALSE(l->has_error);
    CU_ASSERT_EQUAL(l->seqs.n, 1);
    CU_ASSERT(w->present && !w->success && w->final_status);
    CU_ASSERT_STRING_EQUAL(w->status, "exhausted");
    CU_ASSERT(w->has_error &&
              strcmp(w->error, "timed out after 4 attempts") == 0);
    CU_ASSERT_EQUAL(w->retry_count, 3);
    CU_ASSERT_EQUAL(w->seqs.n, 0);
    /* no "shards": one shard, with every retry */
    CU_ASSERT(l->shards == 1 && l->shard_retries[0] == 2);
    CU_ASSERT(w->shards == 1 && w->shard_retries[0] == 3);
    CU_ASSERT(a.has_event_count && a.event_count == 10);
    CU_ASSERT(a.has_rejected_count && a.rejected_count == 1);
    CU_ASSERT(json_array_size(a.rejected) == 1);
    CU_ASSERT_STRING_EQUAL(a.fingerprint, FP);
    CU_ASSERT(a.has_started &&
              a.started == lda_test_ts("2025-01-01T00:00:00.25Z"));
    lda_codec_agg_req_free(&a);
    json_decref(root);
}

/* agg_doc() edited by fn; expect rc (0: decoded, and a->invalid == want;
 * -1: malformed, a 400 with want). */
static void agg_expect(void (*fn)(json_t *), int want_rc, const char *want,
                       unsigned line)
{
    json_t *root = agg_doc();
    fn(root);
    lda_agg_req a;
    lda_codec_agg_req_init(&a);
    char err[256] = "";
    int rc = agg_req_from_json(root, &a, err, sizeof err);
    bool ok = rc == want_rc && strcmp(rc ? err : a.invalid, want) == 0;
    if (!ok)
        fprintf(stderr,
                "\ntest_codec.c:%u: rc %d err \"%s\" invalid \"%s\", "
                "want %d \"%s\"\n",
                line, rc, err, a.invalid, want_rc, want);
    CU_assertImplementation(ok, line, "aggregate request", __FILE__, "",
                            CU_FALSE);
    lda_codec_agg_req_free(&a);
    json_decref(root);
}
#define agg_invalid(fn, want, line) agg_expect(fn, 0, want, line)
#define agg_bad(fn, want, line) agg_expect(fn, -1, want, line)

static json_t *res_of(json_t *root, size_t i)
{
    return json_array_get(json_object_get(root, "results"), i);
}
static void e_dup(json_t *root)
{
    json_array_append(json_object_get(root, "results"), res_of(root, 0));
}
static void e_missing(json_t *root)
{
    json_array_remove(json_object_get(root, "results"), 1);
}
static void e_unexpected(json_t *root)
{
    json_array_remove(json_object_get(root, "expected_services"), 1);
}
static void e_not_final(json_t *root)
{
    json_object_set_new(res_of(root, 1), "final_status", json_false());
}
static void e_final_absent(json_t *root)
{
    json_object_del(res_of(root, 0), "final_status");
}
static void e_unknown(json_t *root)
{
    json_object_set_new(res_of(root, 1), "service_name", json_string("x"));
}
static void e_bad_seq(json_t *root)
{
    json_t *seq = json_array_get(json_object_get(res_of(root, 0), "results"),
                                 0);
    json_object_set_new(seq, "end_timestamp", json_string("soon"));
}
static void e_null_results(json_t *root)
{
    json_object_set_new(res_of(root, 0), "results", json_null());
}
static void e_other_request(json_t *root)
{
    json_object_set_new(res_of(root, 0), "request_id",
                        json_string("00000000-0000-4000-8000-000000000000"));
}
static void e_twice_expected(json_t *root)
{
    json_array_append_new(json_object_get(root, "expected_services"),
                          json_string("layering"));
}
static void e_no_expected(json_t *root)
{
    json_array_clear(json_object_get(root, "expected_services"));
}
static void e_retry(json_t *root)
{
    json_object_set_new(res_of(root, 0), "retry_count", json_integer(-1));
}
static void e_shards_zero(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(0));
}
static void e_shards_65(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(65));
}
static void e_shards_alone(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(2));
}
static void e_shard_retries_len(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(2));
    json_object_set_new(res_of(root, 0), "shard_retries", json_pack("[i]", 2));
}
static void e_shard_retries_sum(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(2));
    json_object_set_new(res_of(root, 0), "shard_retries",
                        json_pack("[i,i]", 2, 1));
}
static void e_shard_retries_neg(json_t *root)
{
    json_object_set_new(res_of(root, 0), "shards", json_integer(2));
    json_object_set_new(res_of(root, 0), "shard_retries",
                        json_pack("[i,i]", 3, -1));
}
static void e_started(json_t *root)
{
    json_object_set_new(root, "started", json_string("yesterday"));
}

/* Validation failures (a well-formed request whose services are
 * incomplete) are decoded and named in a->invalid; a malformed member
 * (unknown name, wrong type, undecodable sequences) is a 400. */
static void test_agg_request_invalid(void)
{
    agg_invalid(e_dup, "service layering appears more than once", __LINE__);
    agg_invalid(e_missing, "service wash_trading is missing", __LINE__);
    agg_invalid(e_unexpected, "service wash_trading was not expected",
                __LINE__);
    agg_invalid(e_not_final, "service wash_trading has no final status",
                __LINE__);
    agg_invalid(e_final_absent, "service layering has no final status",
                __LINE__);
    agg_bad(e_unknown, "results[1].service_name: unknown service", __LINE__);
    agg_bad(e_bad_seq, "layering.results[0].end_timestamp: invalid timestamp",
            __LINE__);
    agg_bad(e_null_results, "layering.results: must be an array", __LINE__);
    agg_invalid(e_other_request, "layering: request_id does not match",
                __LINE__);
    agg_invalid(e_twice_expected,
                "expected_services: layering is listed "
                "twice",
                __LINE__);
    agg_invalid(e_no_expected, "expected_services is empty", __LINE__);
    agg_bad(e_retry,
            "layering: retry_count must be a non-negative "
            "integer",
            __LINE__);
    agg_bad(e_started, "started must be a timestamp", __LINE__);
    agg_bad(e_shards_zero, "layering: shards must be 1 to 64", __LINE__);
    agg_bad(e_shards_65, "layering: shards must be 1 to 64", __LINE__);
    agg_bad(e_shards_alone, "layering: shard_retries is missing", __LINE__);
    static const char *const sr = "layering: shard_retries must be one "
                                  "count per shard, adding up to retry_count";
    agg_bad(e_shard_retries_len, sr, __LINE__);
    agg_bad(e_shard_retries_sum, sr, __LINE__);
    agg_bad(e_shard_retries_neg, sr, __LINE__);

    /* malformed: -1 with a message, nothing to validate */
    lda_agg_req a;
    lda_codec_agg_req_init(&a);
    char err[128];
    json_t *root = json_pack("{s:s}", "request_id", "../../etc");
    CU_ASSERT_EQUAL(agg_req_from_json(root, &a, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "request_id: must be a UUID");
    json_decref(root);
    root = json_array();
    CU_ASSERT_EQUAL(agg_req_from_json(root, &a, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "the request must be a JSON object");
    json_decref(root);
    lda_codec_agg_req_free(&a);
}

/* agg_doc() in the binary form: the layering entry loses its "results",
 * which follow the head as a seqlist. Returns the body in b. */
static void agg_bin_doc(lda_buf *b, bool keep_results, size_t extra_lists)
{
    json_t *root = agg_doc();
    json_t *lay = res_of(root, 0);
    lda_seqlist l;
    lda_seqlist_init(&l);
    char err[256];
    CU_ASSERT_EQUAL_FATAL(seqlist_from_json(json_object_get(lay, "results"),
                                            &l, err, sizeof err),
                          0);
    if (!keep_results)
        json_object_del(lay, "results");
    const lda_seqlist *lists[3] = {&l, &l, &l};
    CU_ASSERT_EQUAL(lda_codec_agg_req_to_bin(root, lists, 1 + extra_lists, b),
                    0);
    lda_seqlist_free(&l);
    json_decref(root);
}

static int agg_from_bin(const lda_buf *b, lda_agg_req *a, char *err,
                        size_t errlen)
{
    lda_codec_agg_req_init(a);
    return agg_req_from_bin(b->data, b->len, a, err, errlen);
}

static void test_agg_request_bin(void)
{
    /* the same request as test_agg_request, decoded from binary */
    json_t *root = agg_doc();
    lda_agg_req j, a;
    lda_codec_agg_req_init(&j);
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(agg_req_from_json(root, &j, err, sizeof err), 0);
    json_decref(root);
    lda_buf b;
    lda_buf_init(&b);
    agg_bin_doc(&b, false, 0);
    CU_ASSERT_EQUAL(agg_from_bin(&b, &a, err, sizeof err), 0);
    CU_ASSERT_STRING_EQUAL(a.invalid, "");
    CU_ASSERT_STRING_EQUAL(a.request_id, j.request_id);
    for (int s = 0; s < LDA_SVC_COUNT; s++) {
        const lda_agg_result *x = &j.res[s], *y = &a.res[s];
        CU_ASSERT(x->present == y->present && x->success == y->success &&
                  x->retry_count == y->retry_count &&
                  strcmp(x->status, y->status) == 0 &&
                  strcmp(x->error, y->error) == 0);
        CU_ASSERT_EQUAL(x->seqs.n, y->seqs.n);
        for (size_t i = 0; i < x->seqs.n && i < y->seqs.n; i++) {
            const lda_seq *p = &x->seqs.v[i], *q = &y->seqs.v[i];
            CU_ASSERT(p->start == q->start && p->end == q->end &&
                      p->norders == q->norders && p->side == q->side &&
                      p->num_cancelled == q->num_cancelled);
        }
    }
    CU_ASSERT(a.has_event_count && a.event_count == j.event_count);
    CU_ASSERT_STRING_EQUAL(a.fingerprint, j.fingerprint);
    lda_codec_agg_req_free(&a);
    lda_codec_agg_req_free(&j);

    /* a success entry that still carries "results": malformed, a 400 */
    lda_buf_reset(&b);
    agg_bin_doc(&b, true, 0);
    CU_ASSERT_EQUAL(agg_from_bin(&b, &a, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "layering: results must come after the head");
    lda_codec_agg_req_free(&a);

    /* malformed frames are 400s */
    lda_buf_reset(&b);
    agg_bin_doc(&b, false, 1); /* one list too many */
    CU_ASSERT_EQUAL(agg_from_bin(&b, &a, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "data after the last sequence list"));
    lda_codec_agg_req_free(&a);
    lda_buf_reset(&b);
    agg_bin_doc(&b, false, 0);
    b.len--; /* the list cut short */
    CU_ASSERT_EQUAL(agg_from_bin(&b, &a, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "sequences: sequence 1: invalid or "
                                "truncated");
    lda_codec_agg_req_free(&a);
    b.data[0] = 'X';
    CU_ASSERT_EQUAL(agg_from_bin(&b, &a, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "not an aggregate body");
    lda_codec_agg_req_free(&a);
    static const char bad_head[] = "LDAAG1\n\0\3{x}";
    CU_ASSERT_EQUAL(agg_req_from_bin(bad_head, sizeof bad_head - 1, &a, err,
                                     sizeof err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid JSON head"));
    lda_codec_agg_req_free(&a);
    lda_buf_free(&b);
}

/* The binary detector answer's frame: split gives back what frame wrote;
 * anything else is not a frame. */
static void test_res_frame(void)
{
    lda_buf b;
    lda_buf_init(&b);
    lda_codec_res_frame(&b, "{\"a\":1}", 7);
    lda_buf_add(&b, "\x02xy", 3);
    const char *env;
    size_t n, rest;
    CU_ASSERT_FATAL(lda_codec_res_split(b.data, b.len, &env, &n, &rest));
    CU_ASSERT(n == 7 && memcmp(env, "{\"a\":1}", 7) == 0);
    CU_ASSERT_EQUAL(rest, 8 + 1 + 7);
    CU_ASSERT_FALSE(lda_codec_res_split(b.data, 15, &env, &n, &rest));
    CU_ASSERT_FALSE(lda_codec_res_split(b.data, 8, &env, &n, &rest));
    CU_ASSERT_FALSE(lda_codec_res_split("{\"request_id\":1}", 16, &env, &n,
                                        &rest));
    b.data[3] = 'X';
    CU_ASSERT_FALSE(lda_codec_res_split(b.data, b.len, &env, &n, &rest));
    lda_buf_free(&b);
}

void lda_test_codec(void)
{
    static const lda_test_case cases[] = {
        {"layering sequence JSON", test_layering_json},
        {"wash sequence JSON", test_wash_json},
        {"sequence round trip through JSON text", test_round_trip},
        {"percentages round-trip bit for bit", test_percent_precision},
        {"sequence text: escapes, reals, int64 counts", test_seq_text_edges},
        {"sequence decode errors name the field", test_decode_errors},
        {"detector JSON request", test_detect_request},
        {"detector JSON request errors", test_detect_request_errors},
        {"detector JSON request streamed", test_detect_request_streamed},
        {"aggregate request", test_agg_request},
        {"aggregate request: shards", test_agg_request_shards},
        {"aggregate request validation failures", test_agg_request_invalid},
        {"binary aggregate request", test_agg_request_bin},
        {"binary detector answer frame", test_res_frame},
        {NULL, NULL},
    };
    lda_test_suite("codec", cases, NULL, NULL, NULL, NULL);
}
