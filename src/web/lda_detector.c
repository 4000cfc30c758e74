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
 * mismatch is a 400 and the result is dropped), store the response in the
 * cache, answer ("cached": false).
 * The cache entry is the response without "cached"; the flag is spliced in
 * when answering. */
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

/* Reply with a stored response text plus "cached": flag. */
static void reply_stored(lda_req *r, const char *text, size_t len,
                         bool cached)
{
    static const char yes[] = ",\"cached\":true}";
    static const char no[] = ",\"cached\":false}";
    const char *tail = cached ? yes : no;
    size_t tl = strlen(tail);
    if (len < 2 || text[len - 1] != '}') {
        lda_reply_error(r, 500, "internal error");
        return;
    }
    char *out = malloc(len - 1 + tl);
    if (!out) {
        lda_reply_error(r, 500, "out of memory");
        return;
    }
    memcpy(out, text, len - 1);
    memcpy(out + len - 1, tail, tl);
    lda_reply(r, 200, "application/json", NULL, out, len - 1 + tl);
    free(out);
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

/* Decode the internal CSV form into set; false = replied. */
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

/* Run the detector over a finished set; the response text (malloc'd, no
 * "cached" member) or NULL on OOM. The request id is a validated UUID and
 * the service name a constant, so both are written as they are. */
static char *detect(const lda_config *cfg, const lda_set *set,
                    const lda_detect_req *k, size_t *nseq, size_t *len)
{
    lda_seqlist out;
    lda_buf results, resp;
    lda_seqlist_init(&out);
    lda_buf_init(&results);
    lda_buf_init(&resp);
    int rc = det_kind == LDA_LAYERING
                 ? lda_detect_layering(set, &cfg->params, &out)
                 : lda_detect_wash(set, &cfg->params, &out);
    bool ok = rc == 0 && lda_codec_seqlist_text(&out, &results) == 0;
    *nseq = out.n;
    lda_seqlist_free(&out);
    lda_buf_printf(&resp,
                   "{\"request_id\":\"%s\",\"service_name\":\"%s\","
                   "\"status\":\"%s\",\"results\":",
                   k->request_id, det_service_names[det_kind],
                   ok ? "success" : "failure");
    if (ok)
        lda_buf_add(&resp, results.data, results.len);
    lda_buf_free(&results);
    lda_buf_adds(&resp, ok ? ",\"error\":null,\"final_status\":true}"
                           : "null,\"error\":\"the detector could not encode "
                             "its results\",\"final_status\":true}");
    if (resp.oom) {
        lda_buf_free(&resp);
        return NULL;
    }
    return lda_buf_take(&resp, len);
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
    /* A CSV body from the orchestrator's set writes every timestamp in
       full, so it can outgrow the upload it came from: allow for it. */
    uint64_t max = cfg->max_upload_bytes * 2;
    lda_body_status bs = lda_req_body(r, (size_t)max, &body, &len);
    if (bs != LDA_BODY_OK) {
        if (bs == LDA_BODY_TOO_LARGE)
            lda_reply_error(r, 413, "request body too large");
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
    if (csv || wire) {
        cached = lda_cache_get(k.request_id, k.fingerprint, cfg->cache_ttl,
                               &clen);
        if (!cached && !(wire ? decode_wire(cfg, r, body, len, &set)
                              : decode_csv(cfg, r, body, len, &set)))
            goto out;
    } else if (!decode_json(cfg, r, body, len, &k, &set)) {
        goto out;
    } else {
        cached = lda_cache_get(k.request_id, k.fingerprint, cfg->cache_ttl,
                               &clen);
    }
    /* The reply carries the request's id, whatever the header said. */
    memcpy(r->request_id, k.request_id, 37);
    if (cached) {
        lda_log(LDA_INFO, k.request_id, "cache hit",
                json_pack("{s:s}", "fingerprint", k.fingerprint));
        reply_stored(r, cached, clen, true);
        goto out;
    }
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
    reply_stored(r, text, tlen, false);
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

int lda_detector_main(uint8_t kind)
{
    det_kind = kind;
    lda_service svc = {
        .name = kind == LDA_LAYERING ? "detect-layering" : "detect-wash",
        .route = kind == LDA_LAYERING ? "/api/detect/layering"
                                      : "/api/detect/wash",
        .internal = true,
        .start = start,
        .handle = handle,
    };
    return lda_service_main(&svc);
}
