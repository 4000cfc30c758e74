/* test_params: the per-run detection parameters -- lda_param's table and
 * its one validator per kind at and just past every boundary, junk, 0,
 * negatives, unknown names; the text written back reading to the same
 * value; the cache key; lda_reqparams (query, JSON, repeats) and
 * lda_http's query-string parser; and lda_compare's set difference. */
#include <stdio.h>
#include <string.h>

#include "lda_buf.h"
#include "lda_codec_agg.h"
#include "lda_compare.h"
#include "lda_err.h"
#include "lda_http.h"
#include "lda_param.h"
#include "lda_reqparams.h"
#include "lda_test.h"

/* name=text must be taken and give want_us / want_u / want_d. */
static lda_params set_ok(const char *name, const char *text, unsigned line)
{
    lda_params p;
    lda_params_default(&p);
    char err[160] = "";
    bool ok = lda_param_set(&p, name, strlen(name), text, err, sizeof err);
    if (!ok)
        fprintf(stderr, "\ntest_params.c:%u: %s=%s refused: %s\n", line, name,
                text, err);
    CU_assertImplementation(ok, line, name, __FILE__, "", CU_FALSE);
    return p;
}
#define SET_OK(n, t) set_ok((n), (t), __LINE__)

/* name=text must be refused with exactly want. */
static void set_bad(const char *name, const char *text, const char *want,
                    unsigned line)
{
    lda_params p, before;
    lda_params_default(&p);
    before = p;
    char err[160] = "";
    bool ok = !lda_param_set(&p, name, strlen(name), text, err, sizeof err) &&
              strcmp(err, want) == 0 && memcmp(&p, &before, sizeof p) == 0;
    if (!ok)
        fprintf(stderr, "\ntest_params.c:%u: %s=\"%s\": \"%s\", want \"%s\"\n",
                line, name, text, err, want);
    CU_assertImplementation(ok, line, name, __FILE__, "", CU_FALSE);
}
#define SET_BAD(n, t, w) set_bad((n), (t), (w), __LINE__)

static const char *const SECONDS[] = {
    "layering_orders_window_seconds", "layering_cancel_window_seconds",
    "layering_trade_window_seconds", "wash_window_seconds"};
static const char *const INTEGERS[] = {"wash_min_buy_trades",
                                       "wash_min_sell_trades"};
static const char *const NUMBERS[] = {
    "wash_min_alternation_pct", "wash_min_volume", "wash_price_change_pct"};

static void test_table(void)
{
    lda_params d, p;
    lda_params_default(&d);
    lda_params_default(&p);
    for (size_t i = 0; i < LDA_PARAM_COUNT; i++) {
        const lda_param_def *e = &lda_param_defs[i];
        /* the env name is the name in upper case */
        char up[64];
        size_t n = strlen(e->name);
        for (size_t k = 0; k <= n; k++)
            up[k] = (char)(e->name[k] >= 'a' && e->name[k] <= 'z'
                               ? e->name[k] - 32
                               : e->name[k]);
        LDA_ASSERT_STR(e->env, up);
        CU_ASSERT_PTR_EQUAL(lda_param_find(e->name, n), e);
        CU_ASSERT_PTR_NOT_NULL(e->description);
        /* the defaults of the table are lda_params_default's */
        CU_ASSERT_PTR_NULL(lda_param_parse(e, e->def, &p));
    }
    CU_ASSERT_EQUAL(memcmp(&p, &d, sizeof p), 0);
    CU_ASSERT_PTR_NULL(lda_param_find("WASH_MIN_VOLUME", 15));
    CU_ASSERT_PTR_NULL(lda_param_find("wash_min_volum", 14));
    LDA_ASSERT_STR(lda_param_kind_name(lda_param_defs[0].kind), "seconds");
    LDA_ASSERT_STR(lda_param_kind_name(lda_param_defs[4].kind), "integer");
    LDA_ASSERT_STR(lda_param_kind_name(lda_param_defs[8].kind), "number");
}

/* The value of parameter n in p, copied to out (size bytes). */
static void field(const lda_params *p, const char *n, void *out, size_t size)
{
    const lda_param_def *d = lda_param_find(n, strlen(n));
    memcpy(out, (const char *)p + d->offset, size);
}

static void test_seconds(void)
{
    for (size_t i = 0; i < 4; i++) {
        const char *n = SECONDS[i];
        char want[160];
        snprintf(want, sizeof want, "%s: must be a number of seconds > 0", n);
        lda_params p = SET_OK(n, "0.000001"); /* the smallest */
        int64_t us;
        field(&p, n, &us, sizeof us);
        CU_ASSERT_EQUAL(us, 1);
        p = SET_OK(n, "1.5");
        field(&p, n, &us, sizeof us);
        CU_ASSERT_EQUAL(us, 1500000);
        p = SET_OK(n, "3200000000"); /* the largest */
        field(&p, n, &us, sizeof us);
        CU_ASSERT_EQUAL(us, 3200000000000000LL);
        SET_BAD(n, "3200000000.5", want); /* just past */
        SET_BAD(n, "0.0000004", want);    /* rounds to 0 us */
        SET_BAD(n, "0", want);
        SET_BAD(n, "-1", want);
        SET_BAD(n, "", want);
        SET_BAD(n, "abc", want);
        SET_BAD(n, "0x10", want);
        SET_BAD(n, " 1", want);
        SET_BAD(n, "1s", want);
        SET_BAD(n, "1e400", want);
    }
}

static void test_integers(void)
{
    for (size_t i = 0; i < 2; i++) {
        const char *n = INTEGERS[i];
        char want[160];
        snprintf(want, sizeof want, "%s: must be a whole number > 0", n);
        lda_params p = SET_OK(n, "1");
        uint64_t v;
        field(&p, n, &v, sizeof v);
        CU_ASSERT_EQUAL(v, 1);
        p = SET_OK(n, "18446744073709551615");
        field(&p, n, &v, sizeof v);
        CU_ASSERT_EQUAL(v, UINT64_MAX);
        SET_BAD(n, "18446744073709551616", want);
        SET_BAD(n, "0", want);
        SET_BAD(n, "-1", want);
        SET_BAD(n, "1.5", want);
        SET_BAD(n, "1e3", want);
        SET_BAD(n, "", want);
        SET_BAD(n, "x", want);
        SET_BAD(n, "+3", want);
    }
}

static void test_numbers(void)
{
    for (size_t i = 0; i < 3; i++) {
        const char *n = NUMBERS[i];
        char want[160];
        snprintf(want, sizeof want, "%s: must be a number > 0", n);
        lda_params p = SET_OK(n, "1e-300");
        double v;
        field(&p, n, &v, sizeof v);
        CU_ASSERT_EQUAL(v, 1e-300);
        p = SET_OK(n, "60.5");
        field(&p, n, &v, sizeof v);
        CU_ASSERT_EQUAL(v, 60.5);
        SET_BAD(n, "0", want);
        SET_BAD(n, "0.0", want);
        SET_BAD(n, "-0.1", want);
        SET_BAD(n, "", want);
        SET_BAD(n, "nan", want);
        SET_BAD(n, "inf", want);
        SET_BAD(n, "1e400", want);
        SET_BAD(n, "0x1p3", want);
        SET_BAD(n, "5%", want);
    }
}

static void test_unknown(void)
{
    SET_BAD("foo", "1", "unknown parameter: foo");
    SET_BAD("WASH_MIN_VOLUME", "1", "unknown parameter: WASH_MIN_VOLUME");
    SET_BAD("", "1", "unknown parameter: ");
    SET_BAD("a\"b\n", "1", "unknown parameter: a?b?");
}

/* Every value's text reads back to the same value; the query holds all
 * nine, '+' escaped; the cache key depends on the values. */
static void test_text_and_key(void)
{
    lda_params p, q;
    lda_params_default(&p);
    p.lay_trade_us = 250000;
    p.wash_min_volume = 1e20;
    p.wash_min_alt_pct = 0.1;
    p.wash_min_pc_pct = 2.0;
    lda_buf b;
    lda_buf_init(&b);
    lda_param_query(&p, &b);
    lda_buf_addc(&b, '\0');
    LDA_ASSERT_STR(b.data,
                   "layering_orders_window_seconds=10&"
                   "layering_cancel_window_seconds=5&"
                   "layering_trade_window_seconds=0.25&"
                   "wash_window_seconds=1800&wash_min_buy_trades=3&"
                   "wash_min_sell_trades=3&wash_min_alternation_pct=0.1&"
                   "wash_min_volume=1e%2B20&wash_price_change_pct=2");
    lda_params_default(&q);
    lda_err e;
    lda_err_init(&e);
    lda_reqparams_seen seen = 0;
    CU_ASSERT_TRUE(lda_reqparams_query(&q, &seen, b.data, &e));
    CU_ASSERT_TRUE(lda_reqparams_all(seen));
    CU_ASSERT_EQUAL(memcmp(&p, &q, sizeof p), 0);
    lda_buf_free(&b);
    char k1[65], k2[65], k3[65];
    const char *fp =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CU_ASSERT_TRUE(lda_param_cache_key(fp, &p, k1));
    CU_ASSERT_TRUE(lda_param_cache_key(fp, &q, k2));
    LDA_ASSERT_STR(k1, k2);
    q.wash_min_buys = 4;
    CU_ASSERT_TRUE(lda_param_cache_key(fp, &q, k3));
    CU_ASSERT_NOT_EQUAL(strcmp(k1, k3), 0);
    CU_ASSERT_EQUAL(strlen(k1), 64);
}

/* Many values of every kind (a fixed pseudo-random sequence): the
 * detectors' query text reads back to exactly the same parameters, so the
 * detectors detect with the orchestrator's values and the cache key is the
 * same on both sides. */
static void test_query_round_trip(void)
{
    uint64_t x = 88172645463325252ULL; /* xorshift64 */
    for (int i = 0; i < 20000; i++) {
        lda_params p, q;
        lda_params_default(&p);
        uint64_t r[4];
        for (int k = 0; k < 4; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            r[k] = x;
        }
        p.lay_orders_us = 1 + (int64_t)(r[0] % 3200000000000000ULL);
        p.lay_cancel_us = 1 + (int64_t)(r[0] % 1000);
        p.wash_min_buys = r[1] ? r[1] : 1;
        double d;
        uint64_t bits = (r[2] >> 2) | 1; /* positive, never inf/nan */
        if ((bits >> 52) == 0) /* subnormal: never accepted (ERANGE) */
            bits |= 1ULL << 52;
        memcpy(&d, &bits, sizeof d);
        p.wash_min_volume = d;
        p.wash_min_alt_pct = (double)(r[3] % 100000) / 1000.0 + 0.001;
        p.wash_min_pc_pct = (double)(r[3] % 1000000000000000ULL) + 1;
        lda_buf b;
        lda_buf_init(&b);
        lda_param_query(&p, &b);
        lda_buf_addc(&b, '\0');
        lda_params_default(&q);
        lda_err e;
        lda_err_init(&e);
        lda_reqparams_seen seen = 0;
        bool ok = !b.oom && lda_reqparams_query(&q, &seen, b.data, &e) &&
                  memcmp(&p, &q, sizeof p) == 0;
        if (!ok)
            fprintf(stderr, "\nround trip: %s (%s)\n", b.data, e.msg);
        lda_buf_free(&b);
        CU_ASSERT_TRUE_FATAL(ok);
    }
}

static void test_reqparams(void)
{
    lda_params p;
    lda_params_default(&p);
    lda_err e;
    lda_err_init(&e);
    lda_reqparams_seen seen = 0;
    CU_ASSERT_TRUE(lda_reqparams_query(&p, &seen,
                                       "wash_min_volume=5%2E5&&"
                                       "wash_window_seconds=60",
                                       &e));
    CU_ASSERT_EQUAL(p.wash_min_volume, 5.5);
    CU_ASSERT_EQUAL(p.wash_window_us, 60000000);
    CU_ASSERT_FALSE(lda_reqparams_all(seen));
    CU_ASSERT_FALSE(lda_reqparams_query(&p, &seen, "wash_min_volume=7", &e));
    CU_ASSERT_EQUAL(e.status, 400);
    LDA_ASSERT_STR(e.msg, "wash_min_volume: given more than once");
    lda_err_init(&e);
    seen = 0;
    CU_ASSERT_FALSE(lda_reqparams_query(&p, &seen, "limit=3", &e));
    LDA_ASSERT_STR(e.msg, "unknown parameter: limit");
    lda_err_init(&e);
    CU_ASSERT_FALSE(lda_reqparams_query(&p, &seen, "wash_min_buy_trades", &e));
    LDA_ASSERT_STR(e.msg, "wash_min_buy_trades: must be a whole number > 0");
    json_t *j = json_pack("{s:i,s:f,s:s}", "wash_min_buy_trades", 5,
                          "layering_trade_window_seconds", 0.25,
                          "wash_min_volume", "100");
    lda_err_init(&e);
    seen = 0;
    CU_ASSERT_TRUE(lda_reqparams_json(&p, &seen, j, &e));
    CU_ASSERT_EQUAL(p.wash_min_buys, 5);
    CU_ASSERT_EQUAL(p.lay_trade_us, 250000);
    CU_ASSERT_EQUAL(p.wash_min_volume, 100.0);
    json_decref(j);
    j = json_pack("{s:b}", "wash_min_volume", 1);
    seen = 0;
    CU_ASSERT_FALSE(lda_reqparams_json(&p, &seen, j, &e));
    LDA_ASSERT_STR(e.msg, "wash_min_volume: must be a number > 0");
    json_decref(j);
    j = json_pack("{s:f}", "wash_min_sell_trades", -2.0);
    lda_err_init(&e);
    seen = 0;
    CU_ASSERT_FALSE(lda_reqparams_json(&p, &seen, j, &e));
    LDA_ASSERT_STR(e.msg, "wash_min_sell_trades: must be a whole number > 0");
    json_decref(j);
    lda_params_default(&p);
    j = lda_reqparams_list(&p);
    json_t *l = json_object_get(j, "params");
    CU_ASSERT_EQUAL(json_array_size(l), LDA_PARAM_COUNT);
    json_t *first = json_array_get(l, 0);
    LDA_ASSERT_STR(json_string_value(json_object_get(first, "type")),
                   "seconds");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(first, "value")), 10);
    json_decref(j);
}

static void test_query_parser(void)
{
    const char *q = "a=1&&b&c=x%20y+z";
    lda_query_pair p;
    CU_ASSERT_TRUE(lda_http_query_next(&q, &p));
    CU_ASSERT_EQUAL(p.name_len, 1);
    CU_ASSERT_EQUAL(p.value_len, 1);
    CU_ASSERT_TRUE(lda_http_query_next(&q, &p));
    CU_ASSERT_PTR_NULL(p.value);
    CU_ASSERT_TRUE(lda_http_query_next(&q, &p));
    char out[16];
    CU_ASSERT_TRUE(lda_http_query_decode(p.value, p.value_len, out,
                                         sizeof out));
    LDA_ASSERT_STR(out, "x y z");
    CU_ASSERT_FALSE(lda_http_query_next(&q, &p));
    CU_ASSERT_FALSE(lda_http_query_decode("%2", 2, out, sizeof out));
    CU_ASSERT_FALSE(lda_http_query_decode("%zz", 3, out, sizeof out));
    CU_ASSERT_FALSE(lda_http_query_decode("%00", 3, out, sizeof out));
    CU_ASSERT_FALSE(lda_http_query_decode("abcd", 4, out, 4));
    CU_ASSERT_EQUAL(
        lda_http_query_param("limit=5&before=x", "limit", out, sizeof out), 1);
    LDA_ASSERT_STR(out, "5");
    CU_ASSERT_EQUAL(
        lda_http_query_param("limit=5&limit=6", "limit", out, sizeof out), -1);
    CU_ASSERT_EQUAL(lda_http_query_param("limit", "limit", out, sizeof out),
                    -1);
    CU_ASSERT_EQUAL(lda_http_query_param("before=1", "limit", out, sizeof out),
                    0);
}

#define ID(a, p, t, ts) \
    { \
        { \
            (a), (p), (t), (ts) \
        } \
    }

static void test_compare(void)
{
    const lda_alert_id a[] = {
        ID("A", "P", "LAYERING", "2025-01-01T10:00:00+00:00"),
        ID("B", "P", "WASH_TRADING", "2025-01-01T11:00:00+00:00"),
        ID("C", "Q", "LAYERING", "2025-01-01T12:00:00+00:00"),
        ID("A", "P", "LAYERING", "2025-01-01T10:00:00+00:00"), /* twice */
    };
    const lda_alert_id b[] = {
        ID("C", "Q", "LAYERING", "2025-01-01T12:00:00.5+00:00"), /* moved */
        ID("A", "P", "LAYERING", "2025-01-01T10:00:00+00:00"),
        ID("B", "P", "LAYERING", "2025-01-01T11:00:00+00:00"), /* type */
        ID("B", "P", "WASH_TRADING", "2025-01-01T11:00:00+00:00"),
        ID("D", "P", "LAYERING", "2025-01-01T10:00:00+00:00"),
    };
    bool ma[4], mb[5];
    size_t same = 99;
    CU_ASSERT_EQUAL(lda_compare_alerts(a, 4, b, 5, ma, mb, &same), 0);
    CU_ASSERT_EQUAL(same, 2);
    bool want_a[] = {true, true, false, false};
    bool want_b[] = {false, true, false, true, false};
    CU_ASSERT_EQUAL(memcmp(ma, want_a, sizeof ma), 0);
    CU_ASSERT_EQUAL(memcmp(mb, want_b, sizeof mb), 0);
    /* empty sides */
    CU_ASSERT_EQUAL(lda_compare_alerts(a, 4, NULL, 0, ma, NULL, &same), 0);
    CU_ASSERT_EQUAL(same, 0);
    CU_ASSERT_FALSE(ma[0] || ma[1] || ma[2] || ma[3]);
    CU_ASSERT_EQUAL(lda_compare_alerts(NULL, 0, NULL, 0, NULL, NULL, &same),
                    0);
    CU_ASSERT_EQUAL(same, 0);
    /* the same list: everything unchanged */
    CU_ASSERT_EQUAL(lda_compare_alerts(b, 5, b, 5, mb, mb, &same), 0);
    CU_ASSERT_EQUAL(same, 5);
}

/* The aggregate request's "params": all nine, each valid, or 400. */
static int agg_with(const char *params, lda_agg_req *a, char *msg)
{
    char text[2048];
    snprintf(text, sizeof text,
             "{\"request_id\":\"123e4567-e89b-42d3-a456-426614174000\","
             "\"expected_services\":[\"layering\",\"wash_trading\"],"
             "\"results\":[],\"params\":%s}",
             params);
    json_t *root = json_loads(text, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    lda_err e;
    lda_err_init(&e);
    lda_codec_agg_req_init(a);
    bool ok = lda_codec_agg_req_from_json(root, a, &e);
    json_decref(root);
    snprintf(msg, 300, "%s", ok ? "" : e.msg);
    return ok ? 0 : e.status;
}

static void test_agg_params(void)
{
    lda_agg_req a;
    char msg[300];
    const char *all = "{\"layering_orders_window_seconds\":1.5,"
                      "\"layering_cancel_window_seconds\":0.5,"
                      "\"layering_trade_window_seconds\":0.25,"
                      "\"wash_window_seconds\":60,"
                      "\"wash_min_buy_trades\":2,"
                      "\"wash_min_sell_trades\":1,"
                      "\"wash_min_alternation_pct\":50.0,"
                      "\"wash_min_volume\":\"100\","
                      "\"wash_price_change_pct\":5}";
    CU_ASSERT_EQUAL(agg_with(all, &a, msg), 0);
    CU_ASSERT_TRUE(a.has_params);
    CU_ASSERT_EQUAL(a.params.lay_orders_us, 1500000);
    CU_ASSERT_EQUAL(a.params.wash_min_sells, 1);
    CU_ASSERT_EQUAL(a.params.wash_min_volume, 100.0);
    lda_codec_agg_req_free(&a);
    CU_ASSERT_EQUAL(agg_with("null", &a, msg), 0);
    CU_ASSERT_FALSE(a.has_params);
    lda_codec_agg_req_free(&a);
    CU_ASSERT_EQUAL(agg_with("{\"wash_min_volume\":100}", &a, msg), 400);
    LDA_ASSERT_STR(msg, "params must hold all nine parameters");
    lda_codec_agg_req_free(&a);
    CU_ASSERT_EQUAL(agg_with("{\"wash_min_volume\":0}", &a, msg), 400);
    LDA_ASSERT_STR(msg, "params: wash_min_volume: must be a number > 0");
    lda_codec_agg_req_free(&a);
    CU_ASSERT_EQUAL(agg_with("{\"x\":1}", &a, msg), 400);
    LDA_ASSERT_STR(msg, "params: unknown parameter: x");
    lda_codec_agg_req_free(&a);
    CU_ASSERT_EQUAL(agg_with("[1]", &a, msg), 400);
    LDA_ASSERT_STR(msg, "params: params must be an object");
    lda_codec_agg_req_free(&a);
}

void lda_test_params(void)
{
    static const lda_test_case cases[] = {
        {"table", test_table},
        {"seconds at and past the bounds", test_seconds},
        {"whole numbers at and past the bounds", test_integers},
        {"numbers at and past the bounds", test_numbers},
        {"unknown names", test_unknown},
        {"text, query and cache key", test_text_and_key},
        {"query text round trip", test_query_round_trip},
        {"lda_reqparams", test_reqparams},
        {"query-string parser", test_query_parser},
        {"compare set difference", test_compare},
        {"aggregate request params", test_agg_params},
        {NULL, NULL}};
    lda_test_suite("params", cases, NULL, NULL, NULL, NULL);
}
