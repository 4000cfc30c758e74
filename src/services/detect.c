/* detect.c: a detector program, built once per detector of the list of
 * services (lda_svc): detect-layering.fcgi and detect-wash.fcgi are this
 * file compiled with LDA_PROGRAM set to their name (see the Makefile).
 *
 * POST <route> with
 *   application/x-lda-events  the binary internal form (lda_wire), what the
 *                     orchestrator sends, with X-Request-ID and
 *                     X-Event-Fingerprint headers;
 *   text/csv          the events as CSV, with the same two headers;
 *   application/json  {"request_id","event_fingerprint","events"}
 *                     (docs/api.md#detector-request).
 * Any form may carry per-run detection parameters as the query string
 * (docs/api.md#per-run-thresholds; the orchestrator sends all nine),
 * validated by lda_reqparams; the others keep the server's values.
 * Steps: parse the parameters and the keys (headers, or the JSON body
 * whole); look up the cache by (request_id, fingerprint + parameters:
 * lda_param_cache_key) and answer from it when present
 * ("cached": true, the detector does not run); otherwise decode every event
 * (any invalid one is a 400), run the detector while a second thread
 * fingerprints the decoded events (lda_fpjob; a mismatch is a 400 and the
 * result is dropped), store the result in the cache, answer ("cached":
 * false).
 * The answer is the JSON object of docs/api.md, or its binary form
 * (lda_codec_res.h) when the request's Accept names that (the
 * orchestrator's calls). The cache entry is that binary frame without
 * "cached", so either form is made from it; an entry that cannot be read
 * (damaged, or an older format) is recomputed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lda_cache.h"
#include "lda_clock.h"
#include "lda_codec_detect.h"
#include "lda_codec_res.h"
#include "lda_codec_seq.h"
#include "lda_csv.h"
#include "lda_failpoint.h"
#include "lda_fingerprint.h"
#include "lda_fpjob.h"
#include "lda_log.h"
#include "lda_param.h"
#include "lda_pool.h"
#include "lda_reqparams.h"
#include "lda_service.h"
#include "lda_svc.h"
#include "lda_validate.h"
#include "lda_wire.h"

#ifndef LDA_PROGRAM
#error "LDA_PROGRAM: the detector's program name, e.g. \"detect-wash\""
#endif

static const lda_svc *me; /* this detector's entry in lda_svcs */

static int ms_since(int64_t t0)
{
    return (int)((lda_mono_us() - t0) / 1000);
}

/* The JSON array of the sequences at e[rest..len) (null when there are
 * none: a failed run), appended to b. False when they do not decode. */
static bool results_text(const char *e, size_t len, size_t rest, lda_buf *b)
{
    if (rest == len) {
        lda_buf_adds(b, "null");
        return true;
    }
    lda_seqlist l;
    lda_seqlist_init(&l);
    lda_err err;
    lda_err_init(&err);
    size_t pos = rest;
    bool ok = lda_wire_seqs_decode(e, len, &pos, &l, &err) && pos == len &&
              lda_codec_seqlist_text(&l, b) == 0;
    lda_seqlist_free(&l);
    return ok;
}

/* The answer from a result entry (see detect(): the binary answer frame
 * without "cached"), in binary when the caller asked for it (Accept),
 * else as the JSON object. False when the entry is not usable (a damaged
 * or old-format cache file) or on OOM: out is then untouched. */
static bool answer_entry(const char *e, size_t len, bool cached, bool bin,
                         lda_answer *out)
{
    const char *env;
    size_t envlen, rest;
    if (!lda_codec_res_split(e, len, &env, &envlen, &rest) || envlen < 2 ||
        env[envlen - 1] != '}')
        return false;
    const char *tail = cached ? ",\"cached\":true}" : ",\"cached\":false}";
    lda_buf b;
    lda_buf_init(&b);
    bool ok = true;
    if (bin) {
        lda_buf head;
        lda_buf_init(&head);
        lda_buf_add(&head, env, envlen - 1);
        lda_buf_adds(&head, tail);
        lda_codec_res_frame(&b, head.data, head.len);
        lda_buf_add(&b, e + rest, len - rest);
        ok = !head.oom;
        lda_buf_free(&head);
    } else {
        lda_buf_add(&b, env, envlen - 1);
        lda_buf_adds(&b, ",\"results\":");
        ok = results_text(e, len, rest, &b);
        lda_buf_adds(&b, tail);
    }
    if (!ok || b.oom) {
        lda_buf_free(&b);
        return false;
    }
    out->ctype = bin ? LDA_WIRE_RES_CTYPE : "application/json";
    out->body = lda_buf_take(&b, &out->len);
    return true;
}

/* Run the detector over a finished set. Returns the result entry
 * (malloc'd): the binary answer frame without "cached" -- the envelope
 * {"request_id","service_name","status","error","final_status"} and, on
 * success, the sequences (lda_wire) -- which is what the cache keeps and
 * what reply_entry() turns into either answer form. NULL on OOM. The
 * request id is a validated UUID and the service name a constant, so both
 * are written as they are. */
static char *detect(const lda_params *prm, const lda_set *set,
                    const lda_detect_req *k, size_t *nseq, size_t *len)
{
    lda_seqlist out;
    lda_seqlist_init(&out);
    int rc = me->detect(set, prm, &out);
    bool ok = rc == 0 && lda_seqlist_reportable(&out);
    *nseq = out.n;
    char env[256];
    int n = snprintf(env, sizeof env,
                     "{\"request_id\":\"%s\",\"service_name\":\"%s\","
                     "\"status\":\"%s\",\"error\":%s,"
                     "\"final_status\":true}",
                     k->request_id, me->name, ok ? "success" : "failure",
                     ok   ? "null"
                     : rc ? "\"the detector ran out of memory\""
                          : "\"a total is too large to report\"");
    lda_buf e;
    lda_buf_init(&e);
    if (n > 0 && (size_t)n < sizeof env)
        lda_codec_res_frame(&e, env, (size_t)n);
    else
        e.oom = true;
    if (ok)
        lda_wire_seqs_encode(&out, &e);
    lda_seqlist_free(&out);
    if (e.oom) {
        lda_buf_free(&e);
        return NULL;
    }
    return lda_buf_take(&e, len);
}

/* One request: its form, keys, events and cache entry. */
typedef struct det {
    enum { FORM_WIRE, FORM_CSV, FORM_JSON } form;
    lda_detect_req k;
    lda_params params;  /* the server's, with the query string's over them */
    char cache_key[65]; /* lda_param_cache_key(fingerprint, params) */
    lda_set set;
    bool bin;     /* answer in binary (Accept) */
    char *cached; /* the cache entry, when there is one */
    size_t cached_len;
    int read_ms;
    lda_par par; /* LDA_THREADS */
} det;

/* Keys of the header-keyed forms (wire, CSV). */
static bool header_keys(const lda_req *r, lda_detect_req *k, lda_err *e)
{
    const char *rid = lda_http_param(r, "HTTP_X_REQUEST_ID");
    const char *fp = lda_http_param(r, "HTTP_X_EVENT_FINGERPRINT");
    const char *why = rid ? lda_valid_request_id(rid, strlen(rid))
                          : "must be a UUID";
    if (why)
        return lda_err_set(e, 400, "X-Request-ID %s", why);
    if (!fp || !lda_valid_fingerprint(fp, strlen(fp)))
        return lda_err_set(e, 400,
                           "X-Event-Fingerprint must be 64 "
                           "lowercase hex digits");
    lda_valid_uuid_lower(rid, k->request_id);
    memcpy(k->fingerprint, fp, 65);
    return true;
}

/* The events as CSV into set. */
static bool decode_csv(const lda_config *cfg, lda_req *r, lda_set *set,
                       lda_err *e)
{
    static lda_rejects rej;
    memset(&rej, 0, sizeof rej);
    /* No event at all is fine here: wash may get no trades. */
    lda_par par = lda_pool_par(cfg->threads); /* LDA_THREADS */
    bool ok = lda_csv_load_par(r->body, r->body_len, cfg->max_events, true,
                               &par, set, &rej, e);
    if ((ok || e->status == 400) && rej.count)
        return lda_err_set(e, 400, "invalid event at record %llu: %s",
                           (unsigned long long)rej.item[0].record,
                           rej.item[0].reason);
    return ok;
}

/* The binary internal form into set. */
static bool decode_wire(const lda_config *cfg, const lda_req *r, lda_set *set,
                        lda_err *e)
{
    if (lda_wire_decode(r->body, r->body_len, cfg->max_events, set, e))
        return true;
    if (e->status == 400)
        lda_err_prefix(e, "invalid event body: ");
    return false;
}

/* Parse: the form, the keys (the JSON form's events with them), and the
 * cache entry of those keys. */
static bool parse(const lda_config *cfg, lda_req *r, det *d, lda_err *e)
{
    d->form = lda_http_ctype_is(r->content_type, LDA_WIRE_CTYPE) ? FORM_WIRE
              : lda_http_ctype_is(r->content_type, "text/csv")   ? FORM_CSV
                                                                 : FORM_JSON;
    d->bin = lda_http_accepts(r, LDA_WIRE_RES_CTYPE);
    lda_reqparams_seen seen = 0;
    d->params = cfg->params;
    if (!lda_reqparams_query(&d->params, &seen,
                             lda_http_param(r, "QUERY_STRING"), e))
        return false;
    bool ok = d->form == FORM_JSON
                  ? lda_codec_detect_req_from_json(r->body, r->body_len,
                                                   cfg->max_events, &d->k,
                                                   &d->set, e)
                  : header_keys(r, &d->k, e);
    if (!ok)
        return false;
    /* The answer carries the request's id, whatever the header said. */
    memcpy(r->request_id, d->k.request_id, 37);
    if (!lda_param_cache_key(d->k.fingerprint, &d->params, d->cache_key))
        return lda_err_msg(e, LDA_MSG_NOMEM);
    d->cached = lda_cache_get(d->k.request_id, d->cache_key, cfg->cache_ttl,
                              &d->cached_len);
    return true;
}

/* Run the detector over the decoded events and answer. */
static bool run(det *d, lda_answer *out, lda_err *e)
{
    int64_t t0 = lda_mono_us();
    if (!lda_set_finish_par(&d->set, &d->par))
        return lda_err_msg(e, LDA_MSG_NOMEM);
    /* The fingerprint check runs beside the detector (itself on par: the
       longer of the two); the answer waits for both, and a mismatch throws
       the detector's work away. */
    lda_fpjob fp;
    lda_fpjob_start(&fp, &d->set, LDA_FP_ALL, &d->par);
    size_t nseq = 0, tlen = 0;
    char *text = detect(&d->params, &d->set, &d->k, &nseq, &tlen);
    int fprc = lda_fpjob_finish(&fp);
    bool ok = text && fprc == 0;
    if (ok && strcmp(fp.hex, d->k.fingerprint) != 0) {
        free(text);
        return lda_err_set(e, 400,
                           "event_fingerprint does not match the events");
    }
    if (ok && lda_cache_put(d->k.request_id, d->cache_key, text, tlen) < 0)
        lda_log(LDA_WARN, d->k.request_id, "cache write failed", NULL);
    if (ok)
        lda_log(LDA_INFO, d->k.request_id, "detection run",
                json_pack("{s:I,s:I,s:i,s:i}", "event_count",
                          (json_int_t)d->set.n, "sequences", (json_int_t)nseq,
                          "read_ms", d->read_ms, "ms", ms_since(t0)));
    if (ok && lda_failpoint_for("exit-after-cache", d->k.request_id,
                                d->k.fingerprint))
        _exit(1);
    ok = ok && answer_entry(text, tlen, false, d->bin, out);
    free(text);
    return ok || lda_err_msg(e, LDA_MSG_NOMEM);
}

static bool handle(const lda_config *cfg, lda_req *r, lda_answer *out,
                   lda_err *e)
{
    det d = {0};
    lda_set_init(&d.set);
    d.par = lda_pool_par(cfg->threads);
    bool ok = parse(cfg, r, &d, e);
    d.read_ms = (int)((r->t_body - r->t_start) / 1000);
    if (ok && d.cached &&
        answer_entry(d.cached, d.cached_len, true, d.bin, out)) {
        lda_log(LDA_INFO, d.k.request_id, "cache hit",
                json_pack("{s:s}", "fingerprint", d.k.fingerprint));
    } else if (ok) {
        if (d.cached)
            lda_log(LDA_WARN, d.k.request_id,
                    "cache entry unusable, recomputing", NULL);
        ok = (d.form == FORM_JSON ||
              (d.form == FORM_WIRE ? decode_wire(cfg, r, &d.set, e)
                                   : decode_csv(cfg, r, &d.set, e))) &&
             run(&d, out, e);
    }
    free(d.cached);
    lda_set_free(&d.set);
    return ok;
}

static int start(const lda_config *cfg)
{
    if (lda_cache_init(cfg->var_dir, me->name) < 0) {
        lda_log(LDA_ERROR, NULL, "cannot create the cache directory", NULL);
        return -1;
    }
    return 0;
}

static size_t sweep(const lda_config *cfg)
{
    return lda_cache_sweep(cfg->cache_ttl);
}

static const lda_media media[] = {
    {LDA_WIRE_CTYPE, LDA_LIMIT_INTERNAL_X2},
    {"text/csv", LDA_LIMIT_INTERNAL_X2},
    {"application/json", LDA_LIMIT_JSON},
    {NULL, 0},
};

int main(void)
{
    me = lda_svc_program(LDA_PROGRAM);
    if (!me || !me->detect)
        return 1;
    const lda_route routes[] = {
        {"POST", me->route, LDA_KEY_USER_OR_INTERNAL, media, NULL, NULL,
         handle},
        {NULL, NULL, 0, NULL, NULL, NULL, NULL},
    };
    lda_service svc = {
        .program = me->program,
        .route = me->route,
        .key = LDA_KEY_USER_OR_INTERNAL,
        .routes = routes,
        .start = start,
        .sweep = sweep,
        .sweep_what = "cache",
    };
    return lda_service_main(&svc);
}
