/* Unit tests for the web layer's pure parts: the validators of every id
 * that arrives over HTTP, the multipart parser, UUID v4 generation, the
 * result cache, the shared rate limiter, the failpoint switch and the
 * API-key check. Files go to a temporary directory per test run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_cache.h"
#include "lda_failpoint.h"
#include "lda_file.h"
#include "lda_fingerprint.h"
#include "lda_fpjob.h"
#include "lda_pool.h"
#include "lda_multipart.h"
#include "lda_ratelimit.h"
#include "lda_service.h"
#include "lda_test.h"
#include "lda_uuid.h"
#include "lda_validate.h"

/* The boundary's validators return an lda_err; the tests name the
 * outcomes as the statuses the programs answer. */
enum { RUNS_OK, RUNS_BAD_ID, RUNS_NO_FILE };
enum { MP_OK, MP_MALFORMED, MP_NO_PART };

static int runs_path(const char *path, char id[37], const char **file)
{
    lda_err e;
    lda_err_init(&e);
    if (lda_valid_runs_path(path, id, file, &e))
        return RUNS_OK;
    return e.status == 400 ? RUNS_BAD_ID : RUNS_NO_FILE;
}

static int mp_find(const char *ctype, const char *body, size_t len,
                   const char *name, const char **part, size_t *n)
{
    lda_err e;
    lda_err_init(&e);
    if (lda_multipart_find(ctype, body, len, name, part, n, &e))
        return MP_OK;
    return strcmp(e.msg, "malformed multipart body") == 0 ? MP_MALFORMED
                                                          : MP_NO_PART;
}

static bool run_id_ok(const char *s, size_t n)
{
    return lda_valid_request_id(s, n) == NULL;
}

static char web_tmp[64];

static int web_init(void)
{
    strcpy(web_tmp, "/tmp/lda-unit-web-XXXXXX");
    return mkdtemp(web_tmp) ? 0 : -1;
}

static int web_cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", web_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

#define S(x) x, sizeof(x) - 1

static void test_uuid_validator(void)
{
    CU_ASSERT_TRUE(lda_valid_uuid(S("123e4567-e89b-42d3-a456-426614174000")));
    CU_ASSERT_TRUE(lda_valid_uuid(S("123E4567-E89B-42D3-A456-426614174000")));
    CU_ASSERT_FALSE(lda_valid_uuid(S("123e4567e89b42d3a456426614174000")));
    CU_ASSERT_FALSE(lda_valid_uuid(S("123e4567-e89b-42d3-a456-42661417400")));
    CU_ASSERT_FALSE(
        lda_valid_uuid(S("123e4567-e89b-42d3-a456-4266141740000")));
    CU_ASSERT_FALSE(lda_valid_uuid(S("123e4567-e89b-42d3-a456-42661417400g")));
    CU_ASSERT_FALSE(lda_valid_uuid(S("../../../../../../../../../../etc/pa")));
    CU_ASSERT_FALSE(lda_valid_uuid(S("")));
}

static void test_fingerprint_validator(void)
{
    char fp[65];
    memset(fp, 'a', 64);
    fp[64] = '\0';
    CU_ASSERT_TRUE(lda_valid_fingerprint(fp, 64));
    fp[10] = 'A';
    CU_ASSERT_FALSE(lda_valid_fingerprint(fp, 64));
    fp[10] = 'g';
    CU_ASSERT_FALSE(lda_valid_fingerprint(fp, 64));
    fp[10] = '0';
    CU_ASSERT_FALSE(lda_valid_fingerprint(fp, 63));
}

static void test_input_name(void)
{
    CU_ASSERT_TRUE(lda_valid_input_name(S("trades.csv")));
    CU_ASSERT_TRUE(lda_valid_input_name(S("a_b-c.2025.csv")));
    CU_ASSERT_TRUE(lda_valid_input_name(S("x")));
    static const char *const bad[] = {
        "",        ".",           "..",     "../x.csv", "/etc/passwd",
        "a/b.csv", ".hidden",     "x.csv.", "a\\b",     "%2e%2e",
        "x y.csv", "caf\xc3\xa9", "x.csv/", "~root",    "a:b",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_FALSE(lda_valid_input_name(bad[i], strlen(bad[i])));
    CU_ASSERT_FALSE(lda_valid_input_name(S("a\0b")));
    char longname[257];
    memset(longname, 'a', 256);
    CU_ASSERT_FALSE(lda_valid_input_name(longname, 256));
    CU_ASSERT_TRUE(lda_valid_input_name(longname, 255));
}

static void test_runs_path(void)
{
    char id[37];
    const char *file = NULL;
    CU_ASSERT_EQUAL(runs_path("/api/runs/123e4567-e89b-42d3-a456-"
                              "426614174000/detections.csv",
                              id, &file),
                    RUNS_OK);
    CU_ASSERT_STRING_EQUAL(id, "123e4567-e89b-42d3-a456-426614174000");
    CU_ASSERT_STRING_EQUAL(file, "detections.csv");
    CU_ASSERT_EQUAL(runs_path("/api/runs/123e4567-e89b-42d3-a456-"
                              "426614174000/run.json",
                              id, &file),
                    RUNS_OK);
    CU_ASSERT_STRING_EQUAL(file, "run.json");
    CU_ASSERT_EQUAL(runs_path("/api/runs/123e4567-e89b-42d3-a456-"
                              "426614174000/../run.json",
                              id, &file),
                    RUNS_NO_FILE);
    CU_ASSERT_EQUAL(runs_path("/api/runs/123e4567-e89b-42d3-a456-"
                              "426614174000/",
                              id, &file),
                    RUNS_NO_FILE);
    static const char *const bad[] = {
        "/api/runs/../etc/passwd",
        "/api/runs/%2e%2e/run.json",
        "/api/runs/..%2frun.json",
        "/api/runs//run.json",
        "/api/runs/x/run.json",
        "/api/runs/",
        "/api/other/123e4567-e89b-42d3-a456-426614174000/run.json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_EQUAL(runs_path(bad[i], id, &file), RUNS_BAD_ID);
}

static void test_uuid_v4(void)
{
    char a[37], b[37];
    CU_ASSERT_TRUE(lda_uuid_v4(a));
    CU_ASSERT_TRUE(lda_uuid_v4(b));
    CU_ASSERT_TRUE(lda_valid_uuid(a, strlen(a)));
    CU_ASSERT_EQUAL(a[14], '4');                   /* version */
    CU_ASSERT_PTR_NOT_NULL(strchr("89ab", a[19])); /* variant */
    CU_ASSERT_STRING_NOT_EQUAL(a, b);
}

static const char mp_ct[] = "multipart/form-data; boundary=XyZ";

static void test_multipart_ok(void)
{
    static const char body[] =
        "preamble\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
        "hello\r\n--XyZ\r\n"
        "Content-Disposition: form-data; name=\"file\"; "
        "filename=\"t.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        "a,b\r\n1,2\r\n--XyZ--\r\n";
    const char *p;
    size_t n;
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(body), "file", &p, &n), MP_OK);
    CU_ASSERT_EQUAL(n, 8);
    CU_ASSERT_NSTRING_EQUAL(p, "a,b\r\n1,2", 8);
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(body), "note", &p, &n), MP_OK);
    CU_ASSERT_EQUAL(n, 5);
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(body), "other", &p, &n), MP_NO_PART);
    /* filename="file" must not be taken for name="file" */
    static const char tricky[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"x\"; "
        "filename=\"file\"\r\n\r\nA\r\n--XyZ--";
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(tricky), "file", &p, &n), MP_NO_PART);
    /* quoted boundary, empty content */
    static const char q[] =
        "--a b\r\nContent-Disposition: form-data; name=file\r\n\r\n"
        "\r\n--a b--\r\n";
    CU_ASSERT_EQUAL(mp_find("multipart/form-data; "
                            "boundary=\"a b\"",
                            S(q), "file", &p, &n),
                    MP_OK);
    CU_ASSERT_EQUAL(n, 0);
}

static void test_multipart_malformed(void)
{
    const char *p;
    size_t n;
    static const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc";
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(body), "file", &p, &n),
                    MP_MALFORMED); /* no closing delimiter */
    CU_ASSERT_EQUAL(mp_find("multipart/form-data", S(body), "file", &p, &n),
                    MP_MALFORMED); /* no boundary */
    CU_ASSERT_EQUAL(mp_find("text/csv; boundary=XyZ", S(body), "file", &p, &n),
                    MP_MALFORMED);
    static const char nohdr[] = "--XyZ\r\n\r\nabc\r\n--XyZ--";
    CU_ASSERT_EQUAL(mp_find(mp_ct, S(nohdr), "file", &p, &n), MP_MALFORMED);
    CU_ASSERT_EQUAL(mp_find(mp_ct, "", 0, "file", &p, &n), MP_MALFORMED);
    char lb[128] = "multipart/form-data; boundary=";
    memset(lb + strlen(lb), 'b', 71);
    CU_ASSERT_EQUAL(mp_find(lb, S(body), "file", &p, &n),
                    MP_MALFORMED); /* boundary > 70 */
}

static const char rid[] = "123e4567-e89b-42d3-a456-426614174000";
static const char fp[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_cache(void)
{
    CU_ASSERT_EQUAL(lda_cache_init(web_tmp, "layering"), 0);
    size_t n = 0;
    CU_ASSERT_PTR_NULL(lda_cache_get(rid, fp, 3600, &n));
    CU_ASSERT_EQUAL(lda_cache_put(rid, fp, S("{\"a\":1}")), 0);
    char *got = lda_cache_get(rid, fp, 3600, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(n, 7);
    CU_ASSERT_STRING_EQUAL(got, "{\"a\":1}");
    free(got);
    /* TTL 0: every entry is expired, and the lookup removes it. */
    CU_ASSERT_PTR_NULL(lda_cache_get(rid, fp, 0, &n));
    CU_ASSERT_PTR_NULL(lda_cache_get(rid, fp, 3600, &n));
}

static void test_ratelimit(void)
{
    unsigned after = 0;
    const int64_t s = 1000000;                 /* one second in microseconds */
    const int64_t t0 = 1764000000 * s - s / 2; /* half a second before a
                                                  minute of the clock */
    CU_ASSERT_EQUAL(lda_ratelimit_init(web_tmp), 0);
    CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.1", 2, t0, &after));
    CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.1", 2, t0, &after));
    CU_ASSERT_FALSE(lda_ratelimit_allow("10.0.0.1", 2, t0, &after));
    CU_ASSERT_TRUE(after >= 1 && after <= 61);
    /* across the minute of the clock: still refused (a fixed window
       would give a second burst here) */
    CU_ASSERT_FALSE(lda_ratelimit_allow("10.0.0.1", 2, t0 + s, &after));
    CU_ASSERT_FALSE(lda_ratelimit_allow("10.0.0.1", 2, t0 + 59 * s, &after));
    CU_ASSERT_EQUAL(after, 2);
    /* 61 s after the burst's second, both requests have left the window */
    CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.1", 2, t0 + 61 * s, &after));
    /* a steady client: one request every 40 s, limit 2 -- any 60 s span
       holds at most two */
    for (int k = 0; k < 6; k++)
        CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.3", 2, t0 + k * 40 * s,
                                           &after));
    CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.2", 2, t0, &after));
    CU_ASSERT_TRUE(lda_ratelimit_allow("10.0.0.1", 0, t0, &after)); /* off */
}

/* Whatever the arrival times, no 60 s span holds more than the limit. */
static void test_ratelimit_any_span(void)
{
    enum { LIMIT = 5, N = 400 };
    static int64_t accepted[N];
    size_t n = 0;
    unsigned after;
    uint64_t x = 12345;
    int64_t t = 1764000000LL * 1000000;
    CU_ASSERT_EQUAL(lda_ratelimit_init(web_tmp), 0);
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        t += (int64_t)(x >> 33) % 9000000; /* 0 to 9 s apart */
        if (lda_ratelimit_allow("10.9.9.9", LIMIT, t, &after))
            accepted[n++] = t;
    }
    CU_ASSERT(n > LIMIT);
    for (size_t i = 0; i + LIMIT < n; i++)
        CU_ASSERT(accepted[i + LIMIT] - accepted[i] >= 60 * 1000000LL);
}

static void test_failpoint(void)
{
    setenv("LDA_FAILPOINTS", "detect-wash:http500:2,aggregate:exit", 1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), 0);
    CU_ASSERT_TRUE(lda_failpoint("http500", NULL));
    CU_ASSERT_TRUE(lda_failpoint("http500", NULL));
    CU_ASSERT_FALSE(lda_failpoint("http500", NULL));
    CU_ASSERT_FALSE(lda_failpoint("exit", NULL)); /* another program's */
    setenv("LDA_FAILPOINTS", "detect-wash:hang:0", 1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), 0);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_TRUE(lda_failpoint("hang", NULL));
    setenv("LDA_FAILPOINTS", "detect-wash", 1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), -1);
    setenv("LDA_FAILPOINTS", "detect-wash:http500:x", 1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), -1);
    /* fp=HEX: only requests whose fingerprint starts with it (one shard);
       the count is its own */
    setenv("LDA_FAILPOINTS", "detect-wash:http500:fp=ab12,detect-wash:exit:0",
           1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), 0);
    CU_ASSERT_FALSE(lda_failpoint("http500", NULL));
    CU_ASSERT_FALSE(lda_failpoint_for("http500", NULL, "ab13ff"));
    CU_ASSERT_TRUE(lda_failpoint_for("exit", NULL, "ab13ff"));
    CU_ASSERT_TRUE(lda_failpoint_for("http500", NULL, "ab12ff"));
    CU_ASSERT_FALSE(lda_failpoint_for("http500", NULL, "ab12ff")); /* 1 */
    setenv("LDA_FAILPOINTS", "detect-wash:http400:0:fp=cd", 1);
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), 0);
    for (int i = 0; i < 3; i++)
        CU_ASSERT_TRUE(lda_failpoint_for("http400", NULL, "cdef"));
    CU_ASSERT_FALSE(lda_failpoint_for("http400", NULL, "c"));
    static const char *const bad[] = {
        "detect-wash:http500:fp=",     "detect-wash:http500:fp=AB",
        "detect-wash:http500:fp=xyz",  "detect-wash:http500:1:fp=ab:2",
        "detect-wash:http500:fp=ab:x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        setenv("LDA_FAILPOINTS", bad[i], 1);
        CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), -1);
    }
    unsetenv("LDA_FAILPOINTS");
    CU_ASSERT_EQUAL(lda_failpoint_init("detect-wash", web_tmp), 0);
    CU_ASSERT_FALSE(lda_failpoint("http500", NULL));
}

static void test_key_check(void)
{
    lda_config c;
    memset(&c, 0, sizeof c);
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER, NULL));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER_OR_INTERNAL, NULL));
    /* no key at all: the internal route is closed, never open */
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, NULL));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, ""));
    c.api_key = "user-key";
    c.internal_api_key = "inner-key";
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_USER, NULL));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_USER, ""));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_USER, "user-ke"));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_USER, "user-key "));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER, "user-key"));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_USER, "inner-key"));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER_OR_INTERNAL,
                                      "inner-key"));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER_OR_INTERNAL,
                                      "user-key"));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, "inner-key"));
    /* the user key never opens an internal route */
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, "user-key"));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, NULL));
    c.api_key = NULL; /* only an internal key: the user side is open */
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER, NULL));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_USER_OR_INTERNAL, NULL));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, NULL));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, "x"));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_INTERNAL, "inner-key"));
    /* metrics: open without METRICS_API_KEY, whatever the other keys */
    c.api_key = "user-key";
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_METRICS, NULL));
    c.metrics_api_key = "scrape-key";
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_METRICS, NULL));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_METRICS, "user-key"));
    CU_ASSERT_FALSE(lda_service_key_ok(&c, LDA_KEY_METRICS, "inner-key"));
    CU_ASSERT_TRUE(lda_service_key_ok(&c, LDA_KEY_METRICS, "scrape-key"));
}

/* Run ids are version-4 UUIDs of the RFC 4122 variant: never the nil
 * UUID. */
static void test_run_id(void)
{
    static const char *const ok[] = {"0b7a3a4e-5a3c-4d4e-9f00-1234567890ab",
                                     "0B7A3A4E-5A3C-4D4E-AF00-1234567890AB",
                                     "00000000-0000-4000-8000-000000000000",
                                     "ffffffff-ffff-4fff-bfff-ffffffffffff"};
    static const char *const bad[] = {"00000000-0000-0000-0000-000000000000",
                                      "0b7a3a4e-5a3c-1d4e-9f00-1234567890ab",
                                      "0b7a3a4e-5a3c-4d4e-7f00-1234567890ab",
                                      "0b7a3a4e-5a3c-4d4e-cf00-1234567890ab",
                                      "{b7a3a4e-5a3c-4d4e-9f00-1234567890a}",
                                      "0b7a3a4e-5a3c-4d4e-9f00-1234567890a",
                                      "0b7a3a4e+5a3c-4d4e-9f00-1234567890ab"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        CU_ASSERT_TRUE(run_id_ok(ok[i], strlen(ok[i])));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_FALSE(run_id_ok(bad[i], strlen(bad[i])));
}

/* The masked fingerprints equal the fingerprint of a set holding just
 * those events, alone or two at once. */
static void test_fingerprint_masks(void)
{
    static const char all[] = LDA_CSV_HEADER
        "2025-01-01T00:00:01Z,A,P,BUY,10,5,TRADE_EXECUTED\n"
        "2025-01-01T00:00:01Z,A,P,BUY,10,5,ORDER_PLACED\n"
        "2025-01-01T00:00:01Z,A,P,SELL,11,7,TRADE_EXECUTED\n"
        "2025-01-01T00:00:00Z,B,P,SELL,9.5,1,ORDER_CANCELLED\n"
        "2025-01-01T00:00:02Z,B,Q,SELL,9.5,3,TRADE_EXECUTED\n";
    static const char trades[] = LDA_CSV_HEADER
        "2025-01-01T00:00:02Z,B,Q,SELL,9.5,3,TRADE_EXECUTED\n"
        "2025-01-01T00:00:01Z,A,P,SELL,11,7,TRADE_EXECUTED\n"
        "2025-01-01T00:00:01Z,A,P,BUY,10,5,TRADE_EXECUTED\n";
    lda_run a, t;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&a, all, NULL, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&t, trades, NULL, NULL), 0);
    char m[65];
    CU_ASSERT_EQUAL(lda_fingerprint_mask(&a.set, 1u << LDA_TRADE, m), 0);
    CU_ASSERT_STRING_EQUAL(m, t.fp);
    CU_ASSERT_STRING_NOT_EQUAL(m, a.fp);
    /* no event of the type: the digest of nothing */
    CU_ASSERT_EQUAL(lda_fingerprint_mask(&t.set, 1u << LDA_PLACED, m), 0);
    CU_ASSERT_STRING_EQUAL(m, "e3b0c44298fc1c149afbf4c8996fb924"
                              "27ae41e4649b934ca495991b7852b855");
    lda_test_run_free(&a);
    lda_test_run_free(&t);
}

/* lda_fpjob gives lda_fingerprint_mask's answer, inline for a small set
 * and on a thread for a big one (built directly: 140,000 events over 300
 * groups, a quarter of them trades: big enough for lda_fingerprint_par to
 * cut pieces, which lda_fpjob_start runs with a par). */
static void test_fpjob(void)
{
    lda_set s;
    lda_set_init(&s);
    char id[16], price[16];
    const char *why;
    unsigned bad = 0;
    for (uint32_t i = 0; i < 140000 && !bad; i++) {
        snprintf(id, sizeof id, "ACC%u", i % 300);
        snprintf(price, sizeof price, "%u.%02u", 10 + i % 90, i % 100);
        lda_text acc = {id, strlen(id)}, prod = {"P", 1};
        int64_t g = lda_set_group(&s, acc, prod, &why);
        bad += g < 0;
        lda_values v = {(int64_t)i * 1000,
                        1 + i % 500,
                        {price, strlen(price)},
                        (uint8_t)(i & 1),
                        (uint8_t)(i % 4 == 0 ? LDA_TRADE : i % 2),
                        (uint32_t)i + 2};
        bad += g < 0 ||
               lda_set_add_values(&s, (uint32_t)g, &v, &why) != LDA_OK;
    }
    CU_ASSERT_EQUAL_FATAL(bad, 0);
    CU_ASSERT_EQUAL(s.n, 140000);
    CU_ASSERT_FATAL(lda_set_finish(&s));
    static const unsigned masks[2] = {LDA_FP_ALL, 1u << LDA_TRADE};
    for (int k = 0; k < 2; k++) {
        char want[65];
        lda_fpjob j;
        CU_ASSERT_EQUAL(lda_fingerprint_mask(&s, masks[k], want), 0);
        lda_fpjob_start(&j, &s, masks[k], NULL);
        CU_ASSERT(j.threaded);
        CU_ASSERT_EQUAL(lda_fpjob_finish(&j), 0);
        CU_ASSERT_STRING_EQUAL(j.hex, want);
        /* on par (lda_fingerprint_par for every event): the same value */
        for (unsigned th = 1; th <= 3; th++) {
            lda_par par = lda_pool_par(th);
            lda_fpjob_start(&j, &s, masks[k], &par);
            CU_ASSERT(j.threaded);
            CU_ASSERT_EQUAL(lda_fpjob_finish(&j), 0);
            CU_ASSERT_STRING_EQUAL(j.hex, want);
        }
    }
    lda_set_free(&s);
    /* a small set: no thread, same answer */
    lda_run t;
    CU_ASSERT_EQUAL_FATAL(
        lda_test_run(&t,
                     LDA_CSV_HEADER
                     "2025-01-01T00:00:01Z,A,P,SELL,11,7,TRADE_EXECUTED\n",
                     NULL, NULL),
        0);
    lda_fpjob j;
    lda_fpjob_start(&j, &t.set, LDA_FP_ALL, NULL);
    CU_ASSERT(!j.threaded);
    CU_ASSERT_EQUAL(lda_fpjob_finish(&j), 0);
    CU_ASSERT_STRING_EQUAL(j.hex, t.fp);
    lda_test_run_free(&t);
}

/* Names in dir that hold ".tmp." (temporaries left behind). */
static int temporaries_in(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '\\.tmp\\.'", dir);
    return system(cmd) == 0;
}

/* lda_file_write_parts: all parts land whole; a failing part leaves no
 * temporary, says which part failed, keeps the parts renamed before it. */
static void test_write_parts(void)
{
    char dir[128], a[160], b[160], c[160];
    snprintf(dir, sizeof dir, "%s/parts", web_tmp);
    CU_ASSERT_EQUAL_FATAL(lda_file_mkdirs(dir), 0);
    snprintf(a, sizeof a, "%s/a.csv", dir);
    snprintf(b, sizeof b, "%s/b.csv", dir);
    snprintf(c, sizeof c, "%s/run.json", dir);
    lda_file_part parts[3] = {{a, "A1", 2}, {b, "", 0}, {c, "{}", 2}};
    size_t bad = 9;
    CU_ASSERT_EQUAL(lda_file_write_parts(parts, 3, &bad), 0);
    char *data;
    size_t len;
    CU_ASSERT(lda_file_read(a, 0, &data, &len) == 0 && len == 2 &&
              memcmp(data, "A1", 2) == 0);
    free(data);
    CU_ASSERT(lda_file_read(b, 0, &data, &len) == 0 && len == 0);
    free(data);
    CU_ASSERT(lda_file_read(c, 0, &data, &len) == 0 && len == 2);
    free(data);
    struct stat st;
    CU_ASSERT(stat(a, &st) == 0 && (st.st_mode & 0777) == 0640);
    CU_ASSERT_FALSE(temporaries_in(dir));
    /* replace: a directory where the second part goes makes its rename
       fail; the first part is already replaced, the third never is */
    CU_ASSERT_EQUAL_FATAL(unlink(b), 0);
    CU_ASSERT_EQUAL_FATAL(mkdir(b, 0700), 0);
    parts[0].data = "A2";
    parts[2].data = "[]";
    CU_ASSERT_EQUAL(lda_file_write_parts(parts, 3, &bad), -1);
    CU_ASSERT_EQUAL(bad, 1);
    CU_ASSERT(lda_file_read(a, 0, &data, &len) == 0 && len == 2 &&
              memcmp(data, "A2", 2) == 0);
    free(data);
    CU_ASSERT(lda_file_read(c, 0, &data, &len) == 0 &&
              memcmp(data, "{}", 2) == 0);
    free(data);
    CU_ASSERT_FALSE(temporaries_in(dir));
    /* a part in a directory that does not exist fails before anything */
    char nowhere[160];
    snprintf(nowhere, sizeof nowhere, "%s/no/such.csv", dir);
    lda_file_part one[1] = {{nowhere, "x", 1}};
    CU_ASSERT_EQUAL(lda_file_write_parts(one, 1, &bad), -1);
    CU_ASSERT(bad == 0 && errno == ENOENT);
    CU_ASSERT_EQUAL(lda_file_write_parts(parts, 0, &bad), -1);
    CU_ASSERT_EQUAL(errno, EINVAL);
}

void lda_test_web(void)
{
    static const lda_test_case cases[] = {
        {"uuid validator", test_uuid_validator},
        {"fingerprint validator", test_fingerprint_validator},
        {"input_file names", test_input_name},
        {"runs paths", test_runs_path},
        {"uuid v4", test_uuid_v4},
        {"multipart", test_multipart_ok},
        {"multipart malformed", test_multipart_malformed},
        {"cache", test_cache},
        {"rate limit", test_ratelimit},
        {"rate limit: any 60 s span", test_ratelimit_any_span},
        {"failpoints", test_failpoint},
        {"api key", test_key_check},
        {"run id", test_run_id},
        {"fingerprint masks", test_fingerprint_masks},
        {"fingerprint on a second thread", test_fpjob},
        {"run files written as one batch", test_write_parts},
        {NULL, NULL},
    };
    lda_test_suite("web", cases, web_init, web_cleanup, NULL, NULL);
}
