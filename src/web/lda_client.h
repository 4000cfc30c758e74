/* lda_client: the orchestrator's HTTP client for its sibling programs
 * (docs/api.md#retries). lda_client_run() runs a batch of calls concurrently
 * on one libcurl multi handle, one easy handle per call, each with its own
 * retry schedule: a retryable failure (connection failure, timeout, HTTP 5xx
 * or 429) is re-sent after RETRY_BACKOFF_BASE_SECONDS * 2^attempt (a 429's
 * Retry-After wins if longer), up to MAX_RETRIES more times; any other 4xx is
 * final at once. A waiting call is a timer inside the same event loop, so one
 * call's retries never delay another. The multi handle lives as long as the
 * lda_client, so keep-alive connections are reused across batches. Request
 * bodies are sent from the caller's memory without a copy. */
#ifndef LDA_CLIENT_H
#define LDA_CLIENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_trace.h"

/* Attempt start times kept per call (later attempts are only counted). */
#define LDA_CALL_MAX_TS 16
/* Response size cap when lda_call.max_response is 0. */
#define LDA_CALL_DEFAULT_MAX_RESPONSE (64u << 20)

typedef enum {
    LDA_CALL_SUCCESS = 0, /* final answer with a status below 400 */
    LDA_CALL_EXHAUSTED,   /* retryable failures until no retry was left */
    LDA_CALL_REJECTED     /* final at once: a 4xx other than 429, or a
                               local failure (response over the cap, out of
                               memory, unusable URL) */
} lda_call_state;

typedef struct lda_call {
    /* Inputs (strings and body must outlive lda_client_run). */
    const char *service;      /* name for logs and errors, "layering" */
    const char *path;         /* appended to the base URL */
    bool get;                 /* GET instead of POST */
    const char *content_type; /* POST: Content-Type header */
    const char *request_id;   /* X-Request-ID header and logs; may be NULL */
    const lda_trace *trace;   /* sent as a child span's traceparent; may
                               be NULL */
    const char *fingerprint;  /* X-Event-Fingerprint header; may be NULL */
    const char *accept;       /* Accept header; NULL = application/json */
    const char *body;         /* POST body, sent without a copy */
    size_t body_len;
    size_t max_response; /* response body cap; 0 = default */
    /* Called once, inside lda_client_run, as soon as this call is final
       (the other calls of the batch keep their state meanwhile), e.g. to
       start work on its response while the others still run. May be
       NULL. */
    void (*on_final)(struct lda_call *call, void *arg);
    void *on_final_arg;

    /* Results, valid after lda_client_run. */
    lda_call_state state;
    long http_status;     /* of the last attempt; 0 = no response */
    unsigned retry_count; /* attempts after the first */
    lda_buf response;     /* the last attempt's body */
    char error[96];       /* safe words, "" on success: "HTTP 500",
                                   "timed out after 30 s", "connection
                                   refused", ... */
    unsigned attempts;    /* attempts made */
    int64_t attempt_us[LDA_CALL_MAX_TS]; /* lda_mono_us() start of each
                                            attempt, microseconds */
    double elapsed_ms; /* first attempt's start to the final end */

    /* Private to lda_client. */
    void *easy_;
    void *headers_;
    int64_t due_us_; /* next attempt time while waiting */
    int phase_;
    bool too_large_;
    char errbuf_[256];
} lda_call;

/* Retry and timeout policy of one batch. */
typedef struct lda_client_policy {
    double timeout_s;      /* per attempt (ALGORITHM_TIMEOUT_SECONDS) */
    uint64_t max_retries;  /* MAX_RETRIES */
    double backoff_base_s; /* RETRY_BACKOFF_BASE_SECONDS */
} lda_client_policy;

typedef struct lda_client lda_client;

/* base_url: e.g. "http://127.0.0.1:8080" (no trailing slash needed);
 * api_key: sent as X-API-Key when non-NULL and non-empty. Both strings must
 * outlive the client. NULL on failure. */
lda_client *lda_client_new(const char *base_url, const char *api_key);
void lda_client_free(lda_client *c);

/* Zero a call (inputs and results). */
void lda_call_init(lda_call *call);
/* Free a call's results (the response body). */
void lda_call_free(lda_call *call);

/* Run *calls[0..n) concurrently until every call is final. Every call ends
 * with a state, even when the client fails internally (then REJECTED with
 * an error). Returns 0, or -1 when the event loop itself failed. */
int lda_client_run(lda_client *c, lda_call *const *calls, size_t n,
                   const lda_client_policy *p);

/* Wait before retry number attempt+1 (attempt = 0, 1, ...), milliseconds:
 * base * 2^attempt, at least retry_after_s * 1000 (0 = none), capped at a
 * day. Exposed for tests. */
int64_t lda_client_backoff_ms(double base_s, unsigned attempt,
                              int64_t retry_after_s);


#endif
