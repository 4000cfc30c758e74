/* lda_client: concurrent HTTP calls with per-call retries
 * (docs/api.md#retries) on libcurl's multi interface.
 *
 * One event loop drives every call of a batch: curl_multi_perform moves the
 * transfers, curl_multi_info_read reports finished attempts, and each
 * finished attempt is classified at once: success, final failure (a 4xx
 * other than 429, 507 Insufficient Storage, or a local error), or
 * retryable (connection failure, timeout, any other 5xx, 429): a full
 * disk does not empty itself in a few seconds (docs/api.md#integrity). A
 * retryable call leaves the multi handle and gets a due time; the loop's poll
 * timeout is the nearest due time, so a waiting call is a timer, never a
 * sleep, and other calls keep running meanwhile. Bodies are sent straight from
 * the caller's memory (CURLOPT_POSTFIELDS with an explicit size). The multi
 * handle, and with it its connection cache, lives as long as the client, so
 * calls reuse keep-alive connections across batches; easy handles are pooled
 * as well. */
#include "lda_client.h"
#include "lda_clock.h"
#include "lda_log.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_MAX 8
#define DAY_MS (24LL * 3600 * 1000)
#define RETRY_AFTER_MAX_S (24LL * 3600)

enum { PH_IDLE = 0, PH_RUNNING, PH_WAITING, PH_DONE };

struct lda_client {
    CURLM *multi;
    const char *base_url;
    size_t base_len;
    char *key_header; /* "X-API-Key: ..." or NULL */
    CURL *pool[POOL_MAX];
    size_t npool;
};

static const char *svc_name(const lda_call *call)
{
    return call->service ? call->service : "sibling";
}

int64_t lda_client_backoff_ms(double base_s, unsigned attempt,
                              int64_t retry_after_s)
{
    double ms = base_s * 1000.0 * ldexp(1.0, attempt > 40 ? 40 : (int)attempt);
    if (!(ms >= 0))
        ms = 0;
    if (ms > (double)DAY_MS)
        ms = (double)DAY_MS;
    int64_t wait = llround(ms);
    if (retry_after_s > RETRY_AFTER_MAX_S)
        retry_after_s = RETRY_AFTER_MAX_S;
    if (retry_after_s > 0 && retry_after_s * 1000 > wait)
        wait = retry_after_s * 1000;
    return wait;
}

lda_client *lda_client_new(const char *base_url, const char *api_key)
{
    static bool global_done;
    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        global_done = true;
    }
    lda_client *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->base_url = base_url;
    c->base_len = strlen(base_url);
    while (c->base_len && base_url[c->base_len - 1] == '/')
        c->base_len--;
    if (api_key && *api_key) {
        size_t n = strlen(api_key) + sizeof "X-API-Key: ";
        c->key_header = malloc(n);
        if (!c->key_header) {
            free(c);
            return NULL;
        }
        snprintf(c->key_header, n, "X-API-Key: %s", api_key);
    }
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c->key_header);
        free(c);
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 16L);
    return c;
}

void lda_client_free(lda_client *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->npool; i++)
        curl_easy_cleanup(c->pool[i]);
    curl_multi_cleanup(c->multi);
    free(c->key_header);
    free(c);
}

void lda_call_init(lda_call *call)
{
    memset(call, 0, sizeof *call);
    lda_buf_init(&call->response);
}

void lda_call_free(lda_call *call)
{
    lda_buf_free(&call->response);
}

static CURL *easy_get(lda_client *c)
{
    if (c->npool) {
        CURL *e = c->pool[--c->npool];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

static void easy_put(lda_client *c, CURL *e)
{
    if (!e)
        return;
    if (c->npool < POOL_MAX)
        c->pool[c->npool++] = e;
    else
        curl_easy_cleanup(e);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    lda_call *call = arg;
    size_t n = size * nmemb;
    size_t cap = call->max_response ? call->max_response
                                    : LDA_CALL_DEFAULT_MAX_RESPONSE;
    if (n > cap - call->response.len) {
        call->too_large_ = true;
        return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
    }
    if (!lda_buf_reserve(&call->response, n))
        return 0;
    lda_buf_add(&call->response, p, n);
    return n;
}

static void set_final(lda_call *call, lda_call_state st, const char *error)
{
    call->state = st;
    call->phase_ = PH_DONE;
    if (call->attempts)
        call->elapsed_ms = (double)(lda_mono_us() - call->attempt_us[0]) /
                           1000.0;
    snprintf(call->error, sizeof call->error, "%s", error ? error : "");
    if (call->on_final)
        call->on_final(call, call->on_final_arg);
}

static bool add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *n = curl_slist_append(*list, line);
    if (!n)
        return false;
    *list = n;
    return true;
}

/* The call's request headers into call->headers_. False on OOM. */
static bool build_headers(const lda_client *c, lda_call *call)
{
    char line[160];
    struct curl_slist *h = NULL;
    bool ok = true;
    if (!call->get) {
        snprintf(line, sizeof line, "Content-Type: %s",
                 call->content_type ? call->content_type
                                    : "application/octet-stream");
        ok = ok && add_header(&h, line);
    }
    if (call->request_id) {
        snprintf(line, sizeof line, "X-Request-ID: %s", call->request_id);
        ok = ok && add_header(&h, line);
    }
    if (call->fingerprint) {
        snprintf(line, sizeof line, "X-Event-Fingerprint: %s",
                 call->fingerprint);
        ok = ok && add_header(&h, line);
    }
    if (call->trace) {
        char tp[LDA_TRACEPARENT_LEN + 1];
        lda_trace_child(call->trace, tp);
        snprintf(line, sizeof line, "traceparent: %s", tp);
        ok = ok && add_header(&h, line);
    }
    if (c->key_header)
        ok = ok && add_header(&h, c->key_header);
    ok = ok && add_header(&h, "Expect:");
    snprintf(line, sizeof line, "Accept: %s",
             call->accept ? call->accept : "application/json");
    ok = ok && add_header(&h, line);
    call->headers_ = h;
    return ok;
}

/* Every option of the call's transfer on e (url is copied by libcurl). */
static CURLcode set_options(CURL *e, lda_call *call, const char *url,
                            const lda_client_policy *p)
{
    long timeout_ms = (long)llround(p->timeout_s * 1000.0);
    if (timeout_ms < 1)
        timeout_ms = 1;
    CURLcode rc = CURLE_OK;
#define SET(opt, val) \
    do { \
        if (rc == CURLE_OK) \
            rc = curl_easy_setopt(e, opt, val); \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_HTTPHEADER, call->headers_);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_NOPROXY, "*"); /* siblings are never behind a proxy */
    SET(CURLOPT_TIMEOUT_MS, timeout_ms);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, call);
    SET(CURLOPT_PRIVATE, call);
    SET(CURLOPT_ERRORBUFFER, call->errbuf_);
    SET(CURLOPT_TCP_NODELAY, 1L);
    SET(CURLOPT_BUFFERSIZE, 512L * 1024);
    if (call->get) {
        SET(CURLOPT_HTTPGET, 1L);
    } else {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
        SET(CURLOPT_POSTFIELDS, call->body ? call->body : "");
    }
#undef SET
    return rc;
}

/* Build the call's easy handle. False on failure (call made final). */
static bool setup(lda_client *c, lda_call *call, const lda_client_policy *p)
{
    bool ok = build_headers(c, call);
    size_t plen = strlen(call->path);
    char *url = ok ? malloc(c->base_len + plen + 1) : NULL;
    CURL *e = url ? easy_get(c) : NULL;
    if (!e) {
        free(url);
        set_final(call, LDA_CALL_REJECTED, "out of memory");
        return false;
    }
    memcpy(url, c->base_url, c->base_len);
    memcpy(url + c->base_len, call->path, plen + 1);
    call->easy_ = e;
    CURLcode rc = set_options(e, call, url, p);
    free(url);
    if (rc != CURLE_OK) {
        json_t *f = json_pack("{s:s,s:s}", "target", svc_name(call), "detail",
                              curl_easy_strerror(rc));
        lda_log(LDA_ERROR, call->request_id, "client setup failed", f);
        set_final(call, LDA_CALL_REJECTED, "internal error");
        return false;
    }
    return true;
}

/* Start one attempt. False when it cannot start (call made final). */
static bool start_attempt(lda_client *c, lda_call *call)
{
    int64_t now = lda_mono_us();
    if (call->attempts < LDA_CALL_MAX_TS)
        call->attempt_us[call->attempts] = now;
    call->attempts++;
    lda_buf_reset(&call->response);
    call->response.oom = false;
    call->too_large_ = false;
    call->errbuf_[0] = '\0';
    call->http_status = 0;
    if (curl_multi_add_handle(c->multi, call->easy_) != CURLM_OK) {
        set_final(call, LDA_CALL_REJECTED, "internal error");
        return false;
    }
    call->phase_ = PH_RUNNING;
    return true;
}

/* Safe words for a transfer error, and whether it is retryable. */
static bool classify(CURLcode res, const lda_call *call,
                     const lda_client_policy *p, char *out, size_t outlen)
{
    switch (res) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(out, outlen, "timed out after %g s", p->timeout_s);
        return true;
    case CURLE_COULDNT_CONNECT:
        snprintf(out, outlen, "connection refused");
        return true;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(out, outlen, "host not found");
        return true;
    case CURLE_GOT_NOTHING:
        snprintf(out, outlen, "connection closed without a response");
        return true;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        snprintf(out, outlen, "connection failed");
        return true;
    case CURLE_WRITE_ERROR:
        snprintf(out, outlen,
                 call->too_large_ ? "response too large" : "out of memory");
        return false;
    case CURLE_OUT_OF_MEMORY:
        snprintf(out, outlen, "out of memory");
        return false;
    default:
        snprintf(out, outlen, "request failed");
        return false;
    }
}

/* An attempt ended. Returns true when the call is now final. */
static bool finish_attempt(lda_call *call, CURLcode res,
                           const lda_client_policy *p)
{
    CURL *e = call->easy_;
    char reason[96];
    bool retry = false;
    int64_t retry_after = 0;
    long code = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
    call->http_status = res == CURLE_OK ? code : 0;
    if (res == CURLE_OK) {
        if (call->response.oom) {
            set_final(call, LDA_CALL_REJECTED, "out of memory");
            return true;
        }
        if ((code >= 500 && code != 507) || code == 429) {
            retry = true;
            snprintf(reason, sizeof reason, "HTTP %ld", code);
            if (code == 429) {
                curl_off_t ra = 0;
                if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &ra) ==
                        CURLE_OK &&
                    ra > 0)
                    retry_after = (int64_t)ra;
            }
        } else if (code >= 400) { /* 4xx, 507 */
            snprintf(reason, sizeof reason, "HTTP %ld", code);
            set_final(call, LDA_CALL_REJECTED, reason);
        } else {
            set_final(call, LDA_CALL_SUCCESS, NULL);
        }
    } else {
        retry = classify(res, call, p, reason, sizeof reason);
        json_t *f = json_pack("{s:s,s:i,s:s,s:s}", "target", svc_name(call),
                              "attempt", (int)call->attempts - 1, "error",
                              reason, "detail",
                              call->errbuf_[0] ? call->errbuf_
                                               : curl_easy_strerror(res));
        lda_log(LDA_WARN, call->request_id, "call attempt failed", f);
        if (!retry)
            set_final(call, LDA_CALL_REJECTED, reason);
    }
    if (call->phase_ == PH_DONE)
        return true;
    /* retryable */
    if (call->retry_count >= p->max_retries) {
        set_final(call, LDA_CALL_EXHAUSTED, reason);
        return true;
    }
    int64_t wait_ms = lda_client_backoff_ms(p->backoff_base_s,
                                            call->retry_count, retry_after);
    call->retry_count++;
    call->due_us_ = lda_mono_us() + wait_ms * 1000;
    call->phase_ = PH_WAITING;
    json_t *f = json_pack("{s:s,s:i,s:I,s:s,s:i}", "target", svc_name(call),
                          "attempt", (int)call->retry_count, "wait_ms",
                          (json_int_t)wait_ms, "reason", reason, "http_status",
                          (int)call->http_status);
    lda_log(LDA_WARN, call->request_id, "retrying call", f);
    return false;
}

static void release(lda_client *c, lda_call *call)
{
    easy_put(c, call->easy_);
    call->easy_ = NULL;
    curl_slist_free_all(call->headers_);
    call->headers_ = NULL;
}

static void fail_all(lda_client *c, lda_call *const *calls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lda_call *call = calls[i];
        if (call->phase_ == PH_RUNNING)
            curl_multi_remove_handle(c->multi, call->easy_);
        if (call->phase_ != PH_DONE)
            set_final(call, LDA_CALL_REJECTED, "internal error");
    }
}

/* Reset the calls and start their first attempts; how many started. */
static size_t start_batch(lda_client *c, lda_call *const *calls, size_t n,
                          const lda_client_policy *p)
{
    size_t active = 0;
    for (size_t i = 0; i < n; i++) {
        lda_call *call = calls[i];
        call->state = LDA_CALL_SUCCESS;
        call->http_status = 0;
        call->retry_count = 0;
        call->attempts = 0;
        call->error[0] = '\0';
        call->elapsed_ms = 0;
        call->phase_ = PH_IDLE;
        lda_buf_reset(&call->response);
        if (setup(c, call, p) && start_attempt(c, call))
            active++;
    }
    return active;
}

/* Classify every attempt that ended; how many calls became final. */
static size_t collect_finished(lda_client *c, const lda_client_policy *p)
{
    size_t finals = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        CURL *e = msg->easy_handle;
        CURLcode res = msg->data.result;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, &priv);
        lda_call *call = (lda_call *)(void *)priv;
        curl_multi_remove_handle(c->multi, e);
        if (call && finish_attempt(call, res, p))
            finals++;
    }
    return finals;
}

/* Start the waiting calls that are due; how many could not start (made
 * final). *next gets the nearest due time still ahead, or -1. */
static size_t start_due(lda_client *c, lda_call *const *calls, size_t n,
                        int64_t now, int64_t *next)
{
    size_t failed = 0;
    *next = -1;
    for (size_t i = 0; i < n; i++) {
        lda_call *call = calls[i];
        if (call->phase_ != PH_WAITING)
            continue;
        if (call->due_us_ <= now) {
            if (!start_attempt(c, call))
                failed++;
        } else if (*next < 0 || call->due_us_ < *next) {
            *next = call->due_us_;
        }
    }
    return failed;
}

/* How long the loop may sleep: until the next due time, at most 1 s. */
static int poll_ms(int64_t now, int64_t next)
{
    int64_t ms = next >= 0 ? (next - now + 999) / 1000 : 1000;
    return ms < 1000 ? (int)ms : 1000;
}

int lda_client_run(lda_client *c, lda_call *const *calls, size_t n,
                   const lda_client_policy *p)
{
    size_t active = start_batch(c, calls, n, p);
    int rc = 0;
    while (active) {
        int running = 0;
        if (curl_multi_perform(c->multi, &running) != CURLM_OK) {
            rc = -1;
            break;
        }
        active -= collect_finished(c, p);
        int64_t now = lda_mono_us(), next;
        active -= start_due(c, calls, n, now, &next);
        if (!active)
            break;
        if (curl_multi_poll(c->multi, NULL, 0, poll_ms(now, next), NULL) !=
            CURLM_OK) {
            rc = -1;
            break;
        }
    }
    if (rc < 0) {
        lda_log(LDA_ERROR, n ? calls[0]->request_id : NULL,
                "client event loop failed", NULL);
        fail_all(c, calls, n);
    }
    for (size_t i = 0; i < n; i++)
        release(c, calls[i]);
    return rc;
}
