/* lda_detector: a detector program (see lda_detector.h).
 *
 * POST <route> with
 *   application/x-lda-events  the binary internal form (lda_wire), what the
 *                     orchestrator sends, with X-Request-ID and
 *                     X-Event-Fingerprint headers;
 *   text/csv          the events as CSV, with the same two headers;
 *   application/json  SPEC §5.2 {"request_id","event_fingerprint","events"}.
 * Steps: read the body; look up the cache by (request_id, fingerprint) and
 * answer from it when present ("cached": true, the detector does not run);
 * otherwise decode every event (any invalid one is a 400), run the detector
 * while a second thread fingerprints the decoded events (lda_fpjob; a
 * mismatch is a 400 and the result is dropped), store the result in the
 * cache, answer ("cached": false).
 * The answer is the §5.2 JSON object, or its binary form (lda_codec.h,
 * LDA_WIRE_RES_CTYPE) when the request's Accept names that (the
 * orchestrator's calls). The cache entry is that binary frame without
 * "cached", so either form is made from it; an entry that cannot be read
 * (damaged, or an older format) is recomputed. */
#include "lda_detector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lda_cache.h"
#include "lda_clock.h"
#include "lda_codec.h"
#include "lda_csv.h"
#include "lda_detect.h"
#include "lda_failpoint.h"
#include "lda_fingerprint.h"
#include "lda_fpjob.h"
#include "lda_log.h"
#include "lda_service.h"
#include "lda_validate.h"
#include "lda_wire.h"

static uint8_t det_kind;
static const char *const det_service_names[2] = {"layering", "wash_trading"};

static int ms_since(int64_t t0)
{
    return (int)((lda_mono_us() - t0) / 1000);
}

/* Reply from a result entry (see detect(): the binary answer frame
 * without "cached"), in binary when the caller asked for it (Accept),
 * else as the §5.2 JSON object. False when the entry is not usable (a
 * damaged or old-format cache file): nothing was sent. */
static bool reply_entry(lda_req *r, const char *e, size_t len, bool cached,
                        bool bin)
{
    const char *env;
    size_t envlen, rest;
    if (!lda_codec_res_split(e, len, &env, &envlen, &rest) || envlen < 2 ||
        env[envlen - 1] != '}')
        return false;
    const char *tail = cached ? ",\"cached\":true}" : ",\"cached\":false}";
    lda_buf out, text;
    lda_buf_init(&out);
    lda_buf_init(&text);
    bool ok = true;
    if (bin) {
        lda_buf head;
        lda_buf_init(&head);
        lda_buf_add(&head, env, envlen - 1);
        lda_buf_adds(&head, tail);
        lda_codec_res_frame(&out, head.data, head.len);
        lda_buf_add(&out, e + rest, len - rest);
        ok = !head.oom;
        lda_buf_free(&head);
    } else {
        lda_buf_add(&out, env, envlen - 1);
        lda_buf_adds(&out, ",\"results\":");
        if (rest == len) {
            lda_buf_adds(&out, "null");
        } else {
            lda_seqlist l;
            lda_seqlist_init(&l);
            size_t pos = rest;
            char err[160];
            ok = lda_wire_seqs_decode(e, len, &pos, &l, err, sizeof err) ==
                     LDA_WIRE_OK &&
                 pos == len && lda_codec_seqlist_text(&l, &text) == 0;
            lda_seqlist_free(&l);
            lda_buf_add(&out, text.data, text.len);
        }
        lda_buf_adds(&out, tail);
    }
    ok = ok && !out.oom;
    if (ok)
        lda_reply(r, 200, bin ? LDA_WIRE_RES_CTYPE : "application/json",
                  NULL, out.data, out.len);
    lda_buf_free(&out);
    lda_buf_free(&text);
    return ok;
}

/* Keys of the header-keyed forms (wire, CSV); false = replied 400. */
static bool header_keys(lda_req *r, lda_detect_req *k)
{
    const char *rid = lda_req_param(r, "HTTP_X_REQUEST_ID");
    const char *fp = lda_req_param(r, "HTTP_X_EVENT_FINGERPRINT");
    if (!rid || !lda_valid_uuid(rid, strlen(rid))) {
        lda_reply_error(r, 400, "X-Request-ID must be a UUID");
        return false;
    }
    if (!fp || !lda_valid_fingerprint(fp, strlen(fp))) {
        lda_reply_error(r, 400,
                        "X-Event-Fingerprint must be 64 lowercase hex digits");
        return false;
    }
    memcpy(k->request_id, rid, 37);
    memcpy(k->fingerprint, fp, 65);
    return true;
}

/* Decode the events as CSV into set; false = replied. */
static bool decode_csv(const lda_config *cfg, lda_req *r, char *body,
                       size_t len, lda_set *set)
{
    static lda_rejects rej;
    char err[256];
    memset(&rej, 0, sizeof rej);
    lda_load_status st =
        lda_csv_load(body, len, cfg->max_events, set, &rej, err, sizeof err);
    if (st == LDA_LOAD_NOMEM) {
        lda_reply_error(r, 500, "out of memory");
        return false;
    }
    if (st == LDA_LOAD_TOO_MANY) {
        lda_reply_error(r, 413, err);
        return false;
    }
    if (rej.count) {
        char msg[LDA_REASON_MAX + 64];
        snprintf(msg, sizeof msg, "invalid event at record %llu: %s",
                 (unsigned long long)rej.item[0].record, rej.item[0].reason);
        lda_reply_error(r, 400, msg);
        return false;
    }
    if (st == LDA_LOAD_BAD_HEADER) {
        lda_reply_error(r, 400, err);
        return false;
    }
    /* LDA_LOAD_NO_EVENTS is fine here: wash may get no trades. */
    return true;
}

/* Decode the binary internal form into set; false = replied. */
static bool decode_wire(const lda_config *cfg, lda_req *r, const char *body,
                        size_t len, lda_set *set)
{
    char err[160], msg[200];
    switch (lda_wire_decode(body, len, cfg->max_events, set, err,
                            sizeof err)) {
    case LDA_WIRE_OK:
        return true;
    case LDA_WIRE_NOMEM:
        lda_reply_error(r, 500, "out of memory");
        return false;
    case LDA_WIRE_TOO_MANY:
        lda_reply_error(r, 413, err);
        return false;
    default:
        snprintf(msg, sizeof msg, "invalid event body: %s", err);
        lda_reply_error(r, 400, msg);
        return false;
    }
}

static bool decode_json(const lda_config *cfg, lda_req *r, const char *body,
                        size_t len, lda_detect_req *k, lda_set *set)
{
    char err[256];
    int rc = lda_codec_detect_req_from_json(body, len, cfg->max_events, k,
                                            set, err, sizeof err);
    if (rc == 0)
        return true;
    if (rc == -3)
        lda_reply_error(r, 500, "out of memory");
    else
        lda_reply_error(r, rc == -2 ? 413 : 400, err);
    return false;
}

/* True when every count of l fits a JSON integer an int64 reader takes
 * (sums over millions of events of up to 10^12 each could pass it). */
static bool counts_fit(const lda_seqlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].buy_qty > (uint64_t)INT64_MAX ||
            l->v[i].sell_qty > (uint64_t)INT64_MAX ||
            l->v[i].num_cancelled > (uint64_t)INT64_MAX)
            return false;
    return true;
}

/* Run the detector over a finished set. Returns the result entry
 * (malloc'd): the binary answer frame without "cached" -- the envelope
 * {"request_id","service_name","status","error","final_status"} and, on
 * success, the sequences (lda_wire) -- which is what the cache keeps and
 * what reply_entry() turns into either answer form. NULL on OOM. The
 * request id is a validated UUID and the service name a constant, so both
 * are written as they are. */
static char *detect(const lda_config *cfg, const lda_set *set,
                    const lda_detect_req *k, size_t *nseq, size_t *len)
{
    lda_seqlist out;
    lda_seqlist_init(&out);
    int rc = det_kind == LDA_LAYERING
                 ? lda_detect_layering(set, &cfg->params, &out)
                 : lda_detect_wash(set, &cfg->params, &out);
    bool ok = rc == 0 && counts_fit(&out);
    *nseq = out.n;
    char env[256];
    int n = snprintf(env, sizeof env,
                     "{\"request_id\":\"%s\",\"service_name\":\"%s\","
                     "\"status\":\"%s\",\"error\":%s,"
                     "\"final_status\":true}",
                     k->request_id, det_service_names[det_kind],
                     ok ? "success" : "failure",
                     ok ? "null"
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

/* The caller asked for the binary answer (Accept names it). */
static bool wants_binary(const lda_req *r)
{
    const char *a = lda_req_param(r, "HTTP_ACCEPT");
    return a && strstr(a, LDA_WIRE_RES_CTYPE) != NULL;
}

static void handle(const lda_config *cfg, lda_req *r)
{
    bool csv = lda_ctype_is(r->content_type, "text/csv");
    bool wire = lda_ctype_is(r->content_type, LDA_WIRE_CTYPE);
    if (strcmp(r->method, "POST") != 0) {
        lda_reply_error_h(r, 405, "Allow: POST\r\n", "method not allowed");
        return;
    }
    if (!csv && !wire && !lda_ctype_is(r->content_type, "application/json")) {
        lda_reply_error(r, 415, "Content-Type must be " LDA_WIRE_CTYPE
                                ", text/csv or application/json");
        return;
    }
    lda_detect_req k;
    if ((csv || wire) && !header_keys(r, &k))
        return;
    int64_t t_read = lda_mono_us();
    char *body;
    size_t len;
    /* A JSON body (curl users) has its own limit, MAX_JSON_BODY_BYTES. A
       CSV body writes every timestamp in full and may be a little larger
       than the upload it came from; the orchestrator's binary body is
       always smaller. */
    bool json = !csv && !wire;
    uint64_t max = json ? cfg->max_json_body_bytes
                        : cfg->max_upload_bytes * 2;
    lda_body_status bs = lda_req_body(r, (size_t)max, &body, &len);
    if (bs != LDA_BODY_OK) {
        if (bs == LDA_BODY_TOO_LARGE)
            lda_reply_error(r, 413, json ? "JSON body larger than "
                                           "MAX_JSON_BODY_BYTES"
                                         : "request body too large");
        else if (bs == LDA_BODY_NOMEM)
            lda_reply_error(r, 500, "out of memory");
        else
            lda_reply_error(r, 400, "incomplete request body");
        return;
    }
    int read_ms = ms_since(t_read);
    int64_t t0 = lda_mono_us();
    lda_set set;
    lda_set_init(&set);
    size_t clen;
    char *cached = NULL;
    bool bin = wants_binary(r);
    if (json && !decode_json(cfg, r, body, len, &k, &set))
        goto out;
    /* The reply carries the request's id, whatever the header said. */
    memcpy(r->request_id, k.request_id, 37);
    cached = lda_cache_get(k.request_id, k.fingerprint, cfg->cache_ttl,
                           &clen);
    if (cached) {
        if (reply_entry(r, cached, clen, true, bin)) {
            lda_log(LDA_INFO, k.request_id, "cache hit",
                    json_pack("{s:s}", "fingerprint", k.fingerprint));
            goto out;
        }
        lda_log(LDA_WARN, k.request_id, "cache entry unusable, recomputing",
                NULL);
    }
    if ((csv || wire) && !(wire ? decode_wire(cfg, r, body, len, &set)
                                : decode_csv(cfg, r, body, len, &set)))
        goto out;
    if (!lda_set_finish(&set)) {
        lda_reply_error(r, 500, "out of memory");
        goto out;
    }
    /* The fingerprint check runs beside the detector; the answer waits
       for both, and a mismatch throws the detector's work away. */
    lda_fpjob fp;
    lda_fpjob_start(&fp, &set, LDA_FP_ALL);
    size_t nseq = 0, tlen = 0;
    char *text = detect(cfg, &set, &k, &nseq, &tlen);
    int fprc = lda_fpjob_finish(&fp);
    if (!text || fprc < 0) {
        free(text);
        lda_reply_error(r, 500, "out of memory");
        goto out;
    }
    if (strcmp(fp.hex, k.fingerprint) != 0) {
        free(text);
        lda_reply_error(r, 400, "event_fingerprint does not match the events");
        goto out;
    }
    if (lda_cache_put(k.request_id, k.fingerprint, text, tlen) < 0)
        lda_log(LDA_WARN, k.request_id, "cache write failed", NULL);
    lda_log(LDA_INFO, k.request_id, "detection run",
            json_pack("{s:I,s:I,s:i,s:i}", "event_count", (json_int_t)set.n,
                      "sequences", (json_int_t)nseq, "read_ms", read_ms,
                      "ms", ms_since(t0)));
    if (lda_failpoint("exit-after-cache", k.request_id))
        _exit(1);
    if (!reply_entry(r, text, tlen, false, bin))
        lda_reply_error(r, 500, "out of memory");
    free(text);
out:
    free(cached);
    free(body);
    lda_set_free(&set);
}

static int start(const lda_config *cfg)
{
    if (lda_cache_init(cfg->var_dir, det_service_names[det_kind],
                       cfg->cache_ttl) < 0) {
        lda_log(LDA_ERROR, NULL, "cannot create the cache directory", NULL);
        return -1;
    }
    return 0;
}

static size_t sweep(const lda_config *cfg)
{
    return lda_cache_sweep(cfg->cache_ttl);
}

int lda_detector_main(uint8_t kind)
{
    det_kind = kind;
    lda_service svc = {
        .name = kind == LDA_LAYERING ? "detect-layering" : "detect-wash",
        .route = kind == LDA_LAYERING ? "/api/detect/layering"
                                      : "/api/detect/wash",
        .key = LDA_KEY_USER_OR_INTERNAL,
        .start = start,
        .sweep = sweep,
        .sweep_what = "cache",
        .handle = handle,
    };
    return lda_service_main(&svc);
}
