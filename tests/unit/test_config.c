/* test_config: lda_config (docs/configuration.md): defaults, each invalid
 * value rejected with a message naming the variable, the salt required when
 * pseudonymizing, fractional windows. The suite saves every variable it
 * touches before the first test, clears them before each test, and puts the
 * saved environment back at the end. */
#include "lda_test.h"

#include "lda_pool.h"

#include <stdlib.h>
#include <string.h>

#include "lda_config.h"

static const char *const vars[] = {"LDA_PORT",
                                   "LDA_BIND",
                                   "LDA_VAR_DIR",
                                   "LDA_INPUT_DIR",
                                   "LDA_INTERNAL_URL",
                                   "API_KEY",
                                   "INTERNAL_API_KEY",
                                   "MAX_UPLOAD_BYTES",
                                   "MAX_EVENTS",
                                   "RATE_LIMIT_PER_MINUTE",
                                   "MAX_RETRIES",
                                   "RETRY_BACKOFF_BASE_SECONDS",
                                   "ALGORITHM_TIMEOUT_SECONDS",
                                   "ALLOW_PARTIAL_RESULTS",
                                   "CACHE_TTL_SECONDS",
                                   "PSEUDONYMIZE_LOGS",
                                   "PSEUDONYMIZATION_SALT",
                                   "LAYERING_ORDERS_WINDOW_SECONDS",
                                   "LAYERING_CANCEL_WINDOW_SECONDS",
                                   "LAYERING_TRADE_WINDOW_SECONDS",
                                   "WASH_WINDOW_SECONDS",
                                   "WASH_MIN_BUY_TRADES",
                                   "WASH_MIN_SELL_TRADES",
                                   "WASH_MIN_ALTERNATION_PCT",
                                   "WASH_MIN_VOLUME",
                                   "WASH_PRICE_CHANGE_PCT",
                                   "MAX_JSON_BODY_BYTES",
                                   "RUN_RETENTION_DAYS",
                                   "LDA_SWEEP_SECONDS",
                                   "CIRCUIT_FAILURE_THRESHOLD",
                                   "CIRCUIT_OPEN_SECONDS",
                                   "METRICS_API_KEY",
                                   "LDA_SHARDS",
                                   "LDA_DETECT_HOSTS",
                                   "LDA_THREADS"};
#define NVARS (sizeof vars / sizeof vars[0])
static char *saved[NVARS];

static int save_env(void)
{
    for (size_t i = 0; i < NVARS; i++) {
        const char *v = getenv(vars[i]);
        saved[i] = NULL;
        if (v && !(saved[i] = strdup(v)))
            return -1;
    }
    return 0;
}

static int restore_env(void)
{
    int rc = 0;
    for (size_t i = 0; i < NVARS; i++) {
        if (saved[i] ? setenv(vars[i], saved[i], 1) : unsetenv(vars[i]))
            rc = -1;
        free(saved[i]);
        saved[i] = NULL;
    }
    return rc;
}

static void clear_env(void)
{
    for (size_t i = 0; i < NVARS; i++)
        unsetenv(vars[i]);
}

static int load(lda_config *c, char *err, size_t errlen)
{
    err[0] = '\0';
    return lda_config_load(c, err, errlen);
}

static void test_defaults(void)
{
    lda_config c;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.params.lay_orders_us, 10000000);
    CU_ASSERT_EQUAL(c.params.lay_cancel_us, 5000000);
    CU_ASSERT_EQUAL(c.params.lay_trade_us, 2000000);
    CU_ASSERT_EQUAL(c.params.wash_window_us, 1800000000LL);
    CU_ASSERT_EQUAL(c.params.wash_min_buys, 3);
    CU_ASSERT_EQUAL(c.params.wash_min_sells, 3);
    CU_ASSERT_EQUAL(c.params.wash_min_alt_pct, 60.0);
    CU_ASSERT_EQUAL(c.params.wash_min_volume, 10000.0);
    CU_ASSERT_EQUAL(c.params.wash_min_pc_pct, 1.0);
    LDA_ASSERT_STR(c.var_dir, "./var");
    LDA_ASSERT_STR(c.input_dir, "./input");
    LDA_ASSERT_STR(c.port, "8080");
    LDA_ASSERT_STR(c.bind, "127.0.0.1");
    LDA_ASSERT_STR(c.internal_url, "http://127.0.0.1:8080");
    CU_ASSERT_PTR_NULL(c.api_key);
    CU_ASSERT_PTR_NULL(c.internal_api_key);
    CU_ASSERT_EQUAL(c.max_upload_bytes, 268435456);
    CU_ASSERT_EQUAL(c.max_events, 5000000);
    CU_ASSERT_EQUAL(c.shards, 1);
    CU_ASSERT_EQUAL(c.rate_limit_per_minute, 0);
    CU_ASSERT_EQUAL(c.max_retries, 3);
    CU_ASSERT_EQUAL(c.retry_backoff_base, 1.0);
    CU_ASSERT_EQUAL(c.algorithm_timeout, 30.0);
    CU_ASSERT_FALSE(c.allow_partial);
    CU_ASSERT_EQUAL(c.cache_ttl, 3600);
    CU_ASSERT_EQUAL(c.max_json_body_bytes, 33554432);
    CU_ASSERT_EQUAL(c.run_retention_days, 0);
    CU_ASSERT_EQUAL(c.sweep_seconds, 300);
    CU_ASSERT_EQUAL(c.circuit_failure_threshold, 5);
    CU_ASSERT_EQUAL(c.circuit_open_seconds, 30.0);
    CU_ASSERT_PTR_NULL(c.metrics_api_key);
    CU_ASSERT_FALSE(c.pseudonymize);
    CU_ASSERT_PTR_NULL(c.salt);
    /* the detector defaults are the same as lda_params_default's */
    lda_params p;
    lda_params_default(&p);
    CU_ASSERT_EQUAL(memcmp(&p, &c.params, sizeof p), 0);
}

/* name=value must be refused with a message naming name. */
static void rejected(const char *name, const char *value, unsigned line)
{
    lda_config c;
    char err[256];
    clear_env();
    setenv(name, value, 1);
    int rc = load(&c, err, sizeof err);
    bool ok = rc == -1 && strstr(err, name) != NULL && !strchr(err, '\n');
    if (!ok)
        fprintf(stderr, "\ntest_config.c:%u: %s=\"%s\" -> rc %d, \"%s\"\n",
                line, name, value, rc, err);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, name, __FILE__, "",
                            CU_FALSE);
    unsetenv(name);
}
#define REJECTED(name, value) rejected((name), (value), __LINE__)

static void test_windows_invalid(void)
{
    static const char *const names[] = {
        "LAYERING_ORDERS_WINDOW_SECONDS", "LAYERING_CANCEL_WINDOW_SECONDS",
        "LAYERING_TRADE_WINDOW_SECONDS", "WASH_WINDOW_SECONDS"};
    static const char *const bad[] = {"0",
                                      "0.0",
                                      "-1",
                                      "-0.5",
                                      "abc",
                                      "10s",
                                      "1,5",
                                      "nan",
                                      "inf",
                                      "1e999",
                                      "0.0000001" /* rounds to 0 us */,
                                      "+-1",
                                      "."};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
            REJECTED(names[i], bad[k]);
}

static void test_thresholds_invalid(void)
{
    static const char *const counts[] = {"WASH_MIN_BUY_TRADES",
                                         "WASH_MIN_SELL_TRADES"};
    static const char *const bad_counts[] = {"0",   "-1", "2.5",
                                             "abc", "3x", "1e3"};
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < sizeof bad_counts / sizeof bad_counts[0]; k++)
            REJECTED(counts[i], bad_counts[k]);
    static const char *const reals[] = {"WASH_MIN_ALTERNATION_PCT",
                                        "WASH_MIN_VOLUME",
                                        "WASH_PRICE_CHANGE_PCT"};
    static const char *const bad_reals[] = {"0",  "0.0", "-5", "x",
                                            "5%", "nan", "inf"};
    for (size_t i = 0; i < 3; i++)
        for (size_t k = 0; k < sizeof bad_reals / sizeof bad_reals[0]; k++)
            REJECTED(reals[i], bad_reals[k]);
}

static void test_service_invalid(void)
{
    REJECTED("LDA_PORT", "0");
    REJECTED("LDA_PORT", "65536");
    REJECTED("LDA_PORT", "http");
    REJECTED("LDA_PORT", "-1");
    REJECTED("MAX_UPLOAD_BYTES", "0");
    REJECTED("MAX_UPLOAD_BYTES", "1MB");
    REJECTED("MAX_EVENTS", "0");
    REJECTED("MAX_EVENTS", "-5");
    REJECTED("MAX_EVENTS", "1000000001"); /* past LDA_EVENTS_MAX */
    REJECTED("LDA_SHARDS", "0");
    REJECTED("LDA_SHARDS", "65");
    REJECTED("LDA_SHARDS", "-1");
    REJECTED("LDA_SHARDS", "2.5");
    REJECTED("LDA_SHARDS", "two");
    REJECTED("RATE_LIMIT_PER_MINUTE", "-1");
    REJECTED("RATE_LIMIT_PER_MINUTE", "ten");
    REJECTED("MAX_RETRIES", "-1");
    REJECTED("MAX_RETRIES", "1.5");
    REJECTED("RETRY_BACKOFF_BASE_SECONDS", "0");
    REJECTED("RETRY_BACKOFF_BASE_SECONDS", "-1");
    REJECTED("ALGORITHM_TIMEOUT_SECONDS", "0");
    REJECTED("ALGORITHM_TIMEOUT_SECONDS", "soon");
    REJECTED("ALLOW_PARTIAL_RESULTS", "maybe");
    REJECTED("ALLOW_PARTIAL_RESULTS", "2");
    REJECTED("CACHE_TTL_SECONDS", "0");
    REJECTED("CACHE_TTL_SECONDS", "1h");
    REJECTED("PSEUDONYMIZE_LOGS", "sometimes");
    REJECTED("MAX_JSON_BODY_BYTES", "0");
    REJECTED("MAX_JSON_BODY_BYTES", "32M");
    REJECTED("RUN_RETENTION_DAYS", "-1");
    REJECTED("RUN_RETENTION_DAYS", "36501");
    REJECTED("LDA_SWEEP_SECONDS", "5m");
    REJECTED("LDA_SWEEP_SECONDS", "-1");
    REJECTED("LDA_SWEEP_SECONDS", "31536001");
    REJECTED("LDA_SWEEP_SECONDS", "9223372036854775807");
    REJECTED("CIRCUIT_FAILURE_THRESHOLD", "-1");
    REJECTED("CIRCUIT_FAILURE_THRESHOLD", "five");
    REJECTED("CIRCUIT_OPEN_SECONDS", "0");
    REJECTED("CIRCUIT_OPEN_SECONDS", "86401");
    REJECTED("CIRCUIT_OPEN_SECONDS", "30s");
}

static void test_salt_required(void)
{
    lda_config c;
    char err[256];
    setenv("PSEUDONYMIZE_LOGS", "1", 1);
    CU_ASSERT_EQUAL(load(&c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "PSEUDONYMIZATION_SALT"));
    setenv("PSEUDONYMIZATION_SALT", " \t ", 1); /* blank */
    CU_ASSERT_EQUAL(load(&c, err, sizeof err), -1);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "PSEUDONYMIZATION_SALT"));
    setenv("PSEUDONYMIZATION_SALT", "", 1); /* empty */
    CU_ASSERT_EQUAL(load(&c, err, sizeof err), -1);
    setenv("PSEUDONYMIZATION_SALT", "pepper", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_TRUE(c.pseudonymize);
    LDA_ASSERT_STR(c.salt, "pepper");
    /* not pseudonymizing: no salt needed */
    unsetenv("PSEUDONYMIZATION_SALT");
    setenv("PSEUDONYMIZE_LOGS", "0", 1);
    CU_ASSERT_EQUAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_FALSE(c.pseudonymize);
}

static void test_fractional_windows(void)
{
    lda_config c;
    char err[256];
    setenv("LAYERING_ORDERS_WINDOW_SECONDS", "0.5", 1);
    setenv("LAYERING_CANCEL_WINDOW_SECONDS", "2.25", 1);
    setenv("LAYERING_TRADE_WINDOW_SECONDS", "0.000001", 1);
    setenv("WASH_WINDOW_SECONDS", "90.5", 1);
    setenv("WASH_MIN_BUY_TRADES", "4", 1);
    setenv("WASH_MIN_SELL_TRADES", "2", 1);
    setenv("WASH_MIN_ALTERNATION_PCT", "62.5", 1);
    setenv("WASH_MIN_VOLUME", "5000.5", 1);
    setenv("WASH_PRICE_CHANGE_PCT", "0.25", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.params.lay_orders_us, 500000);
    CU_ASSERT_EQUAL(c.params.lay_cancel_us, 2250000);
    CU_ASSERT_EQUAL(c.params.lay_trade_us, 1);
    CU_ASSERT_EQUAL(c.params.wash_window_us, 90500000);
    CU_ASSERT_EQUAL(c.params.wash_min_buys, 4);
    CU_ASSERT_EQUAL(c.params.wash_min_sells, 2);
    CU_ASSERT_EQUAL(c.params.wash_min_alt_pct, 62.5);
    CU_ASSERT_EQUAL(c.params.wash_min_volume, 5000.5);
    CU_ASSERT_EQUAL(c.params.wash_min_pc_pct, 0.25);
}

static void test_seconds_parser(void)
{
    int64_t us = -7;
    CU_ASSERT_TRUE(lda_config_seconds("10", &us));
    CU_ASSERT_EQUAL(us, 10000000);
    CU_ASSERT_TRUE(lda_config_seconds("1.5", &us));
    CU_ASSERT_EQUAL(us, 1500000);
    CU_ASSERT_TRUE(lda_config_seconds(".25", &us));
    CU_ASSERT_EQUAL(us, 250000);
    CU_ASSERT_TRUE(lda_config_seconds("1e-6", &us));
    CU_ASSERT_EQUAL(us, 1);
    CU_ASSERT_TRUE(lda_config_seconds("0.0000006", &us)); /* nearest */
    CU_ASSERT_EQUAL(us, 1);
    CU_ASSERT_TRUE(lda_config_seconds("1800", &us));
    CU_ASSERT_EQUAL(us, 1800000000LL);
    us = -7;
    CU_ASSERT_FALSE(lda_config_seconds(NULL, &us));
    CU_ASSERT_FALSE(lda_config_seconds("", &us));
    CU_ASSERT_FALSE(lda_config_seconds("0", &us));
    CU_ASSERT_FALSE(lda_config_seconds("0.0000004", &us)); /* 0 us */
    CU_ASSERT_FALSE(lda_config_seconds("-1", &us));
    CU_ASSERT_FALSE(lda_config_seconds(" 1", &us));
    CU_ASSERT_FALSE(lda_config_seconds("1 ", &us));
    CU_ASSERT_EQUAL(us, -7); /* untouched on failure */
}

static void test_service_values(void)
{
    lda_config c;
    char err[256];
    setenv("API_KEY", "k1", 1);
    setenv("LDA_BIND", "0.0.0.0", 1);
    setenv("LDA_PORT", "9090", 1);
    setenv("MAX_RETRIES", "0", 1);           /* 0 allowed */
    setenv("RATE_LIMIT_PER_MINUTE", "0", 1); /* 0 = off */
    setenv("ALLOW_PARTIAL_RESULTS", "1", 1);
    setenv("RETRY_BACKOFF_BASE_SECONDS", "0.5", 1);
    setenv("LDA_VAR_DIR", "/tmp/v", 1);
    setenv("RUN_RETENTION_DAYS", "36500", 1);    /* the largest */
    setenv("LDA_SWEEP_SECONDS", "0", 1);         /* after every request */
    setenv("CIRCUIT_FAILURE_THRESHOLD", "0", 1); /* no breaker */
    setenv("CIRCUIT_OPEN_SECONDS", "0.5", 1);
    setenv("METRICS_API_KEY", "m1", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.circuit_failure_threshold, 0);
    CU_ASSERT_EQUAL(c.circuit_open_seconds, 0.5);
    LDA_ASSERT_STR(c.metrics_api_key, "m1");
    CU_ASSERT_EQUAL(c.run_retention_days, 36500);
    CU_ASSERT_EQUAL(c.sweep_seconds, 0);
    LDA_ASSERT_STR(c.api_key, "k1");
    LDA_ASSERT_STR(c.internal_api_key, "k1"); /* defaults to API_KEY */
    LDA_ASSERT_STR(c.internal_url, "http://127.0.0.1:9090");
    CU_ASSERT_EQUAL(c.max_retries, 0);
    CU_ASSERT_EQUAL(c.rate_limit_per_minute, 0);
    CU_ASSERT_TRUE(c.allow_partial);
    CU_ASSERT_EQUAL(c.retry_backoff_base, 0.5);
    LDA_ASSERT_STR(c.var_dir, "/tmp/v");
    setenv("INTERNAL_API_KEY", "k2", 1);
    setenv("LDA_BIND", "::1", 1);
    setenv("ALLOW_PARTIAL_RESULTS", "0", 1);
    setenv("LDA_SWEEP_SECONDS", "31536000", 1); /* the largest */
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.sweep_seconds, 31536000);
    LDA_ASSERT_STR(c.internal_api_key, "k2");
    LDA_ASSERT_STR(c.internal_url, "http://[::1]:9090");
    CU_ASSERT_FALSE(c.allow_partial);
    setenv("LDA_BIND", "::", 1);
    setenv("LDA_INTERNAL_URL", "http://lb:1", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    LDA_ASSERT_STR(c.internal_url, "http://lb:1");
}

/* LDA_SHARDS: 1..64; by default one shard per host of LDA_DETECT_HOSTS
 * (at most 64), 1 without it. MAX_EVENTS up to 10^9. */
static void test_shards(void)
{
    lda_config c;
    char err[256];
    setenv("LDA_SHARDS", "7", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 7);
    setenv("LDA_SHARDS", "64", 1);
    setenv("LDA_DETECT_HOSTS", "h1:1 h2:2", 1); /* the variable wins */
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 64);
    unsetenv("LDA_SHARDS");
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 2);
    setenv("LDA_DETECT_HOSTS", "  10.0.0.2:8081\t[fd00::3]:8081 h:3  ", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 3);
    setenv("LDA_DETECT_HOSTS", "   ", 1); /* blank: unset */
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 1);
    lda_buf b;
    lda_buf_init(&b);
    for (int i = 0; i < 70; i++)
        lda_buf_printf(&b, "h%d:1 ", i);
    CU_ASSERT_FATAL(!b.oom);
    setenv("LDA_DETECT_HOSTS", b.data, 1);
    lda_buf_free(&b);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.shards, 64); /* at most */
    unsetenv("LDA_DETECT_HOSTS");
    setenv("MAX_EVENTS", "1000000000", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.max_events, 1000000000);
    setenv("LDA_SHARDS", "65", 1);
    CU_ASSERT_EQUAL(load(&c, err, sizeof err), -1);
    LDA_ASSERT_STR(err, "invalid LDA_SHARDS: must be a whole number from 1 "
                        "to 64");
}

/* LDA_THREADS: 1..256, by default the online CPUs (lda_pool_cpus). */
static void test_threads(void)
{
    lda_config c;
    char err[256];
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.threads, lda_pool_cpus());
    setenv("LDA_THREADS", "1", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.threads, 1);
    setenv("LDA_THREADS", "256", 1);
    CU_ASSERT_EQUAL_FATAL(load(&c, err, sizeof err), 0);
    CU_ASSERT_EQUAL(c.threads, 256);
    static const char *const bad[] = {"0", "257", "-1", "2.5", "two"};
    for (size_t i = 0; i < 5; i++) {
        setenv("LDA_THREADS", bad[i], 1);
        CU_ASSERT_EQUAL(load(&c, err, sizeof err), -1);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, "invalid LDA_THREADS"));
    }
    unsetenv("LDA_THREADS");
}

void lda_test_config(void)
{
    static const lda_test_case cases[] = {
        {"defaults", test_defaults},
        {"invalid windows rejected", test_windows_invalid},
        {"invalid thresholds rejected", test_thresholds_invalid},
        {"invalid service values rejected", test_service_invalid},
        {"salt required when pseudonymizing", test_salt_required},
        {"fractional windows and thresholds", test_fractional_windows},
        {"lda_config_seconds", test_seconds_parser},
        {"service values", test_service_values},
        {"LDA_SHARDS and its default", test_shards},
        {"LDA_THREADS and its default", test_threads},
        {NULL, NULL}};
    lda_test_suite("config", cases, save_env, restore_env, clear_env, NULL);
}
