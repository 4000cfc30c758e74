/* lda_config: reads docs/configuration.md from the environment. Each variable
 * has one named parser (count, positive, flag, text; the nine detection
 * variables walk lda_param's table with its validators); the first invalid
 * value stops the load with a message naming the variable. */
#include "lda_config.h"
#include "lda_param.h"
#include "lda_pool.h"
#include "lda_shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Value of name, or NULL when unset or blank. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    if (!v)
        return NULL;
    for (const char *p = v; *p; p++)
        if (*p != ' ' && *p != '\t')
            return v;
    return NULL;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    return lda_param_whole(s, out);
}

static bool parse_double(const char *s, double *out)
{
    return lda_param_decimal(s, out);
}

bool lda_config_seconds(const char *s, int64_t *us)
{
    return lda_param_seconds(s, us);
}

typedef struct loader {
    char *err;
    size_t errlen;
    bool failed;
} loader;

static void fail(loader *l, const char *name, const char *what)
{
    if (!l->failed)
        snprintf(l->err, l->errlen, "invalid %s: %s", name, what);
    l->failed = true;
}

static void get_count(loader *l, const char *name, uint64_t def,
                      bool allow_zero, uint64_t *out)
{
    const char *v = env(name);
    *out = def;
    if (v && (!parse_u64(v, out) || (!allow_zero && *out == 0)))
        fail(l, name,
             allow_zero ? "must be a whole number >= 0"
                        : "must be a whole number > 0");
}

static void get_positive(loader *l, const char *name, double def, double *out)
{
    const char *v = env(name);
    *out = def;
    if (v && (!parse_double(v, out) || !(*out > 0)))
        fail(l, name, "must be a number > 0");
}

static void get_flag(loader *l, const char *name, bool *out)
{
    const char *v = env(name);
    *out = false;
    if (!v)
        return;
    if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
        !strcasecmp(v, "on"))
        *out = true;
    else if (strcmp(v, "0") && strcasecmp(v, "false") && strcasecmp(v, "no") &&
             strcasecmp(v, "off"))
        fail(l, name, "must be 1 or 0");
}

static const char *get_text(const char *name, const char *def)
{
    const char *v = env(name);
    return v ? v : def;
}

/* The nine detection variables: the table of lda_param, its validators. */
static void load_params(loader *l, lda_params *p)
{
    lda_params_default(p);
    for (size_t i = 0; i < LDA_PARAM_COUNT; i++) {
        const char *v = env(lda_param_defs[i].env);
        const char *why = v ? lda_param_parse(&lda_param_defs[i], v, p) : NULL;
        if (why)
            fail(l, lda_param_defs[i].env, why);
    }
}

/* The number of entries of a blank-separated list (LDA_DETECT_HOSTS). */
static unsigned count_words(const char *v)
{
    unsigned n = 0;
    for (const char *p = v; p && *p; p++)
        if (*p != ' ' && *p != '\t' &&
            (p == v || p[-1] == ' ' || p[-1] == '\t'))
            n++;
    return n;
}

/* LDA_SHARDS; by default one shard per detector host. */
static void load_shards(loader *l, lda_config *c)
{
    unsigned hosts = count_words(env("LDA_DETECT_HOSTS"));
    uint64_t v;
    get_count(l, "LDA_SHARDS",
              hosts == 0               ? 1
              : hosts > LDA_SHARDS_MAX ? LDA_SHARDS_MAX
                                       : hosts,
              false, &v);
    if (v > LDA_SHARDS_MAX)
        fail(l, "LDA_SHARDS", "must be a whole number from 1 to 64");
    c->shards = v > LDA_SHARDS_MAX ? 1 : (unsigned)v;
}

/* LDA_THREADS: threads per run; by default the online CPUs. */
static void load_threads(loader *l, lda_config *c)
{
    uint64_t v;
    get_count(l, "LDA_THREADS", lda_pool_cpus(), false, &v);
    if (v > LDA_POOL_MAX)
        fail(l, "LDA_THREADS", "must be a whole number from 1 to 256");
    c->threads = v > LDA_POOL_MAX || v == 0 ? 1 : (unsigned)v;
}

static void load_service(loader *l, lda_config *c)
{
    uint64_t port;
    c->var_dir = get_text("LDA_VAR_DIR", "./var");
    c->input_dir = get_text("LDA_INPUT_DIR", "./input");
    c->port = get_text("LDA_PORT", "8080");
    if (!parse_u64(c->port, &port) || port == 0 || port > 65535)
        fail(l, "LDA_PORT", "must be a port number 1-65535");
    c->bind = get_text("LDA_BIND", "127.0.0.1");
    c->internal_url = env("LDA_INTERNAL_URL");
    c->api_key = env("API_KEY");
    c->internal_api_key = get_text("INTERNAL_API_KEY", c->api_key);
    get_count(l, "MAX_UPLOAD_BYTES", 268435456, false, &c->max_upload_bytes);
    get_count(l, "MAX_EVENTS", 5000000, false, &c->max_events);
    if (c->max_events > LDA_EVENTS_MAX)
        fail(l, "MAX_EVENTS", "must be at most 1000000000");
    load_shards(l, c);
    load_threads(l, c);
    get_count(l, "RATE_LIMIT_PER_MINUTE", 0, true, &c->rate_limit_per_minute);
    get_count(l, "MAX_RETRIES", 3, true, &c->max_retries);
    get_positive(l, "RETRY_BACKOFF_BASE_SECONDS", 1, &c->retry_backoff_base);
    get_positive(l, "ALGORITHM_TIMEOUT_SECONDS", 30, &c->algorithm_timeout);
    get_flag(l, "ALLOW_PARTIAL_RESULTS", &c->allow_partial);
    get_count(l, "CACHE_TTL_SECONDS", 3600, false, &c->cache_ttl);
    get_count(l, "MAX_JSON_BODY_BYTES", 33554432, false,
              &c->max_json_body_bytes);
    get_count(l, "RUN_RETENTION_DAYS", 0, true, &c->run_retention_days);
    if (c->run_retention_days > 36500)
        fail(l, "RUN_RETENTION_DAYS", "must be at most 36500");
    get_count(l, "LDA_SWEEP_SECONDS", 300, true, &c->sweep_seconds);
    if (c->sweep_seconds > 31536000) /* a year; keeps now + it in time_t */
        fail(l, "LDA_SWEEP_SECONDS", "must be at most 31536000");
    get_count(l, "CIRCUIT_FAILURE_THRESHOLD", 5, true,
              &c->circuit_failure_threshold);
    get_positive(l, "CIRCUIT_OPEN_SECONDS", 30, &c->circuit_open_seconds);
    if (c->circuit_open_seconds > 86400)
        fail(l, "CIRCUIT_OPEN_SECONDS", "must be at most 86400");
    c->metrics_api_key = env("METRICS_API_KEY");
    get_flag(l, "PSEUDONYMIZE_LOGS", &c->pseudonymize);
    c->salt = env("PSEUDONYMIZATION_SALT");
    if (c->pseudonymize && !c->salt)
        fail(l, "PSEUDONYMIZATION_SALT",
             "required and non-blank when PSEUDONYMIZE_LOGS=1");
}

int lda_config_load(lda_config *c, char *err, size_t errlen)
{
    static char url[512];
    loader l = {err, errlen, false};
    memset(c, 0, sizeof *c);
    load_params(&l, &c->params);
    load_service(&l, c);
    if (!l.failed && !c->internal_url) {
        const char *host = c->bind;
        if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !*host)
            host = "127.0.0.1";
        bool v6 = strchr(host, ':') != NULL;
        snprintf(url, sizeof url, v6 ? "http://[%s]:%s" : "http://%s:%s", host,
                 c->port);
        c->internal_url = url;
    }
    return l.failed ? -1 : 0;
}
