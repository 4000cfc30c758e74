/* lda_param: the nine detection parameters (docs/configuration.md
 * "Detection", docs/api.md#per-run-thresholds) as one table -- name, the
 * environment variable, kind, where it lives in lda_params, default,
 * description -- and the one validator per kind. lda_config loads the nine
 * from the environment by walking this table, the orchestrator, the
 * detectors, the aggregator and build/lda parse per-run values with the
 * same lda_param_set, so a value means the same everywhere.
 *
 * Kinds: seconds (a plain decimal > 0, microsecond resolution, rounded to
 * nearest, at most ~100 years), integer (a whole number > 0), number (a
 * plain decimal > 0). Plain decimal: digits, '.', an exponent; no sign, no
 * hex, no blanks, finite. */
#ifndef LDA_PARAM_H
#define LDA_PARAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_detect.h"

#define LDA_PARAM_COUNT 9

typedef enum {
    LDA_PARAM_SECONDS, /* int64_t microseconds */
    LDA_PARAM_INTEGER, /* uint64_t */
    LDA_PARAM_NUMBER   /* double */
} lda_param_kind;

typedef struct lda_param_def {
    const char *name; /* "layering_orders_window_seconds" */
    const char *env;  /* "LAYERING_ORDERS_WINDOW_SECONDS" */
    lda_param_kind kind;
    size_t offset;   /* into lda_params */
    const char *def; /* the default, as text */
    const char *description;
} lda_param_def;

/* The table, in the order of docs/configuration.md. */
extern const lda_param_def lda_param_defs[LDA_PARAM_COUNT];

/* "seconds", "integer" or "number". */
const char *lda_param_kind_name(lda_param_kind k);

/* The entry named name (n bytes, lower case), or NULL. */
const lda_param_def *lda_param_find(const char *name, size_t n);

/* The shared parsers: s is the whole text. False when invalid. */
bool lda_param_whole(const char *s, uint64_t *out); /* digits, >= 0 */
bool lda_param_decimal(const char *s, double *out); /* plain, finite */
bool lda_param_seconds(const char *s, int64_t *us); /* > 0, to us */

/* Parse text as d's kind into d's member of p. NULL when it is valid,
 * else what is wrong ("must be a number of seconds > 0"); p is then
 * untouched. */
const char *lda_param_parse(const lda_param_def *d, const char *text,
                            lda_params *p);

/* Set the parameter named name (nlen bytes) to text in p. True, or false
 * with a one-line message in err: "<name>: <what is wrong>" or "unknown
 * parameter: <name>" (the name cut to 64 bytes, control bytes as '?'). */
bool lda_param_set(lda_params *p, const char *name, size_t nlen,
                   const char *text, char *err, size_t errlen);

/* All nine as a query string, "name=value&..." in table order (the
 * detectors' URL), appended to b. Each value is written so that
 * lda_param_parse reads it back to the same value (seconds with up to six
 * decimals, whole numbers below 1e15 without exponent, other numbers in
 * their shortest exact %g form), '+' percent-encoded. */
void lda_param_query(const lda_params *p, lda_buf *b);

/* The detectors' cache key of events with fingerprint fp detected with p:
 * the SHA-256 of fp and lda_param_query(p), 64 hex digits. False on OOM
 * or a digest failure. */
bool lda_param_cache_key(const char *fp, const lda_params *p, char key[65]);
#endif
