/* lda_config: every setting of docs/configuration.md, read once from the
 * environment at start-up and validated; an invalid value is a start-up error
 * naming the variable. Programs keep one lda_config for their lifetime and
 * pass pointers to its parts; nothing else calls getenv(). */
#ifndef LDA_CONFIG_H
#define LDA_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_detect.h"

typedef struct lda_config {
    lda_params params;                  /* LAYERING_* and WASH_* */
    const char *var_dir;                /* LDA_VAR_DIR, default "./var" */
    const char *input_dir;              /* LDA_INPUT_DIR, default "./input" */
    const char *port;                   /* LDA_PORT, default "8080" */
    const char *bind;                   /* LDA_BIND, default "127.0.0.1" */
    const char *internal_url;           /* LDA_INTERNAL_URL, default
                                       "http://<bind>:<port>" (bind 0.0.0.0
                                       or :: -> 127.0.0.1) */
    const char *api_key;                /* API_KEY, NULL when unset or empty */
    const char *internal_api_key;       /* INTERNAL_API_KEY, default api_key;
                                       the only key POST /api/aggregate
                                       takes */
    uint64_t max_upload_bytes;          /* MAX_UPLOAD_BYTES, 268435456 */
    uint64_t max_events;                /* MAX_EVENTS, 5000000 (at most
                                           LDA_EVENTS_MAX) */
    unsigned shards;                    /* LDA_SHARDS 1..LDA_SHARDS_MAX;
                                           default: the number of hosts in
                                           LDA_DETECT_HOSTS (at most
                                           LDA_SHARDS_MAX), 1 without */
    unsigned threads;                   /* LDA_THREADS 1..LDA_POOL_MAX;
                                           default: online CPUs */
    uint64_t rate_limit_per_minute;     /* RATE_LIMIT_PER_MINUTE, 0 = off */
    uint64_t max_retries;               /* MAX_RETRIES, 3 (0 allowed) */
    double retry_backoff_base;          /* RETRY_BACKOFF_BASE_SECONDS, 1 */
    double algorithm_timeout;           /* ALGORITHM_TIMEOUT_SECONDS, 30 */
    bool allow_partial;                 /* ALLOW_PARTIAL_RESULTS, false */
    uint64_t cache_ttl;                 /* CACHE_TTL_SECONDS, 3600 */
    uint64_t max_json_body_bytes;       /* MAX_JSON_BODY_BYTES, 33554432: JSON
                                       bodies of the detector and aggregate
                                       routes */
    uint64_t run_retention_days;        /* RUN_RETENTION_DAYS, 0 = keep runs */
    uint64_t sweep_seconds;             /* LDA_SWEEP_SECONDS, 300 (0 .. one
                                       year): how often a program sweeps
                                       expired runs/cache */
    uint64_t circuit_failure_threshold; /* CIRCUIT_FAILURE_THRESHOLD, 5;
                                           0 = no circuit breaker */
    double circuit_open_seconds;        /* CIRCUIT_OPEN_SECONDS, 30 */
    const char *metrics_api_key;        /* METRICS_API_KEY: GET
                                           /api/metrics needs it when set */
    bool pseudonymize;                  /* PSEUDONYMIZE_LOGS, false */
    const char *salt;                   /* PSEUDONYMIZATION_SALT */
} lda_config;

/* Fill c from the environment. Returns 0, or -1 with a one-line message
 * naming the offending variable in err. Strings point into the
 * environment and stay valid for the process lifetime. */
int lda_config_load(lda_config *c, char *err, size_t errlen);

/* Parse a window in seconds (may be fractional, must be > 0) to whole
 * microseconds, rounded to nearest. False when invalid. */
bool lda_config_seconds(const char *s, int64_t *us);

#endif
