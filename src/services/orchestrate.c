/* orchestrate.fcgi: the orchestrator (SPEC §5.1) and GET /api/health.
 *
 * POST /api/orchestrate: rate limit, read the input (text/csv body, the
 * "file" part of multipart/form-data, or {"input_file"} naming a file in
 * LDA_INPUT_DIR), parse it in place (lda_csv_load), group it
 * (lda_set_finish) and fingerprint it. The detectors get the binary
 * internal form (lda_wire; README, "The HTTP API"): layering every event,
 * wash only the trades, each with the fingerprint of exactly its events. Both calls run in parallel
 * on one lda_client event loop with the §5.5 retry rules; each ends
 * success or exhausted. The detectors are asked for their binary answer
 * (a JSON envelope and the sequences in lda_wire form; a plain §5.2 JSON
 * answer is read as well), which is decoded as soon as it arrives (on a
 * second thread when it is big, while the other detector still runs). Then one POST /api/aggregate carries everything in
 * the binary form of §5.3 (lda_codec_agg_req_to_bin): a JSON head (ids,
 * counts, rejects, each detector's answer without its sequences, plus
 * "retry_count") and the sequences in binary, so the aggregator parses
 * no large JSON. The answer is the §5.1 object: 200 when the aggregator completed the
 * run, 502 (naming the failed services in safe words) otherwise, 507 when
 * the aggregator ran out of disk space (not retried; the run's cache
 * entries are removed). The upload, the event set and the detector bodies
 * are freed as soon as the next step no longer needs them.
 *
 * Runs are immutable (SPEC §5.6a): once the input is parsed, a run
 * directory that already has this request id answers the request before
 * any detector is called -- the same events (fingerprint) replay the
 * recorded run (200, "replayed": true, nothing written), other events are
 * 409.
 *
 * Stopping (scripts/lda-server stop): every run holds a shared flock on
 * $LDA_VAR_DIR/run/inflight.lock until its answer has been sent, and no
 * run starts while $LDA_VAR_DIR/run/draining exists (503): the script
 * creates that file, takes the lock exclusively (so it waits for the runs
 * in flight), then stops the server.
 *
 * GET /api/health: the three siblings' GET <route>/health concurrently
 * (2 s, no retry) plus this program itself, answered in-process: asking
 * lighttpd for /api/orchestrate/health from inside a request could queue
 * behind this very process (or behind another health check doing the
 * same) and report a healthy orchestrator as down. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_cache.h"
#include "lda_client.h"
#include "lda_codec.h"
#include "lda_clock.h"
#include "lda_config.h"
#include "lda_csv.h"
#include "lda_event.h"
#include "lda_file.h"
#include "lda_fingerprint.h"
#include "lda_fpjob.h"
#include "lda_http.h"
#include "lda_log.h"
#include "lda_multipart.h"
#include "lda_ratelimit.h"
#include "lda_runrec.h"
#include "lda_service.h"
#include "lda_time.h"
#include "lda_validate.h"
#include "lda_wire.h"

#define DETECT_MAX_RESPONSE ((size_t)1 << 30)
#define AGG_MAX_RESPONSE ((size_t)1 << 20)
#define HEALTH_TIMEOUT_S 2.0
#define ERR_MAX 200

static lda_client *client;
static int inflight_fd = -1;           /* run/inflight.lock */
static char draining_path[PATH_MAX];   /* run/draining */

static const char *const det_paths[LDA_SVC_COUNT] = {
    "/api/detect/layering", "/api/detect/wash"};

static json_int_t ms_of(int64_t from, int64_t to)
{
    return (json_int_t)((to - from + 500) / 1000);
}

/* ------------------------------------------------------------------ health */

static json_t *health_entry(const char *status, json_int_t ms)
{
    return json_pack("{s:s,s:I}", "status", status, "latency_ms", ms);
}

static void health(lda_req *r)
{
    static const char *const names[3] = {"detect-layering", "detect-wash",
                                         "aggregate"};
    static const char *const paths[3] = {"/api/detect/layering/health",
                                         "/api/detect/wash/health",
                                         "/api/aggregate/health"};
    int64_t t0 = lda_mono_us();
    lda_call calls[3];
    for (int i = 0; i < 3; i++) {
        lda_call_init(&calls[i]);
        calls[i].service = names[i];
        calls[i].path = paths[i];
        calls[i].get = true;
        calls[i].request_id = r->request_id;
        calls[i].max_response = 4096;
    }
    json_t *services = json_object();
    /* This process is answering: it is healthy by construction. */
    json_object_set_new(services, "orchestrate",
                        health_entry("healthy", ms_of(t0, lda_mono_us())));
    lda_client_policy p = {HEALTH_TIMEOUT_S, 0, 1};
    lda_client_run(client, calls, 3, &p);
    bool all = true;
    for (int i = 0; i < 3; i++) {
        lda_call *c = &calls[i];
        bool ok = false;
        if (c->state == LDA_CALL_SUCCESS && c->http_status == 200) {
            json_t *j = json_loadb(c->response.data, c->response.len, 0,
                                   NULL);
            const char *st = json_string_value(json_object_get(j, "status"));
            ok = st && strcmp(st, "healthy") == 0;
            json_decref(j);
        }
        json_t *e = health_entry(ok ? "healthy" : "unhealthy",
                                 (json_int_t)(c->elapsed_ms + 0.5));
        if (!ok) {
            all = false;
            json_object_set_new(e, "error",
                                json_string(c->error[0] ? c->error
                                                        : "invalid answer"));
        }
        json_object_set_new(services, names[i], e);
        lda_call_free(c);
    }
    if (!all)
        lda_log(LDA_WARN, r->request_id, "health check: unhealthy",
                json_pack("{s:O}", "services", services));
    lda_reply_json(r, all ? 200 : 503,
                   json_pack("{s:s,s:o}", "status",
                             all ? "healthy" : "unhealthy", "services",
                             services));
}

/* --------------------------------------------------------------- the run */

typedef struct det_outcome {
    bool ok;                      /* status "success" */
    json_t *answer;               /* a valid response, without "results"
                                     when ok (its sequences are in seqs) */
    lda_seqlist seqs;
    char status[16];              /* reported in "services" */
    char error[ERR_MAX];          /* safe words, "" when none */
    unsigned retry_count;
} det_outcome;

/* A detector's response parsed as soon as its call is final (lda_call
 * on_final), on a second thread when it is big: the other detector is
 * usually still running, and parsing tens of thousands of sequences takes
 * a while. judge_detector() collects the tree. */
#define PARSE_THREAD_MIN ((size_t)256 << 10)    /* response bytes */

typedef struct det_parse {
    const lda_call *call;
    json_t *root;                 /* NULL: not parsed, or not JSON */
    lda_seqlist seqs;             /* "results" of a "success" answer ... */
    bool seqs_ok;                 /* ... decoded (and removed from root) */
    bool threaded;
    pthread_t thread;
} det_parse;

typedef struct run {
    const lda_config *cfg;
    lda_req *r;
    int64_t t0, t_read, t_parsed, t_detected, t_done;   /* monotonic */
    double call_ms[LDA_SVC_COUNT];  /* each detector call, first try to end */
    int64_t started;                                   /* wall clock */
    lda_set set;
    lda_rejects rej;
    uint64_t event_count;
    char fp_all[65], fp_trade[65];
    lda_buf body[LDA_SVC_COUNT];   /* detector request bodies */
    lda_call det[LDA_SVC_COUNT];
    det_outcome out[LDA_SVC_COUNT];
    det_parse parsed[LDA_SVC_COUNT];
    lda_call agg;
    bool agg_ok;                   /* aggregator answered "completed" */
    bool agg_failed;               /* unreachable, or answered "failed" */
    bool disk_full;                /* the aggregator answered 507 */
    bool partial;
    uint64_t merged;
    char agg_error[ERR_MAX];
} run;

/* 400/413 for an input the loader refused, with what was rejected. */
static void reply_load_error(run *g, int status, const char *msg)
{
    lda_reply_json(g->r, status,
                   json_pack("{s:s,s:s,s:I,s:o}", "error", msg, "request_id",
                             g->r->request_id, "rejected_count",
                             (json_int_t)g->rej.count, "rejected",
                             lda_runrec_rejected(&g->rej)));
}

/* Read the whole of fd (a regular file of at most max bytes). */
static int read_fd(int fd, size_t max, char **data, size_t *len, bool *big)
{
    struct stat st;
    *big = false;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return -1;
    if ((uint64_t)st.st_size > max) {
        *big = true;
        return -1;
    }
    size_t cap = (size_t)st.st_size;
    char *b = malloc(cap + 1);
    if (!b)
        return -1;
    size_t n = 0;
    while (n < cap) {
        ssize_t k = read(fd, b + n, cap - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            free(b);
            return -1;
        }
        if (k == 0)
            break;
        n += (size_t)k;
    }
    b[n] = '\0';
    *data = b;
    *len = n;
    return 0;
}

/* {"input_file": "name.csv"} -> the file's bytes. False = replied. */
static bool input_file(run *g, const char *body, size_t len, char **data,
                       size_t *dlen)
{
    lda_req *r = g->r;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *v = json_is_object(j) && json_object_size(j) == 1
                    ? json_object_get(j, "input_file")
                    : NULL;
    if (!json_is_string(v)) {
        json_decref(j);
        lda_reply_error(r, 400,
                        "body must be {\"input_file\": \"<name>.csv\"}");
        return false;
    }
    char name[256];
    size_t n = json_string_length(v);
    bool valid = lda_valid_input_name(json_string_value(v), n);
    if (valid)
        memcpy(name, json_string_value(v), n + 1);
    json_decref(j);
    if (!valid) {
        lda_reply_error(r, 400, "input_file must be a bare file name "
                                "(letters, digits, '.', '_', '-')");
        return false;
    }
    static char dir[PATH_MAX], path[PATH_MAX], real[PATH_MAX];
    if (!realpath(g->cfg->input_dir, dir)) {
        lda_log(LDA_ERROR, r->request_id, "input directory unusable",
                json_pack("{s:s}", "detail", strerror(errno)));
        lda_reply_error(r, 404, "input file not found");
        return false;
    }
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
        lda_reply_error(r, 400, "input_file name too long");
        return false;
    }
    if (!realpath(path, real)) {
        int e = errno;
        if (e == ENOENT || e == ENOTDIR) {
            lda_reply_error(r, 404, "input file not found");
        } else {
            lda_log(LDA_WARN, r->request_id, "input file unusable",
                    json_pack("{s:s,s:s}", "input_file", name, "detail",
                              strerror(e)));
            lda_reply_error(r, 400, "input file cannot be read");
        }
        return false;
    }
    size_t dl = strlen(dir);
    bool inside = strncmp(real, dir, dl) == 0 &&
                  (real[dl] == '/' || (dl == 1 && dir[0] == '/'));
    if (!inside) {
        lda_log(LDA_WARN, r->request_id, "input file outside the directory",
                json_pack("{s:s}", "input_file", name));
        lda_reply_error(r, 400, "input_file is outside the input directory");
        return false;
    }
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT)
            lda_reply_error(r, 404, "input file not found");
        else
            lda_reply_error(r, 400, e == ELOOP
                                        ? "input_file is outside the input "
                                          "directory"
                                        : "input file cannot be read");
        return false;
    }
    bool big;
    int rc = read_fd(fd, (size_t)g->cfg->max_upload_bytes, data, dlen, &big);
    int e = errno;
    close(fd);
    if (rc < 0) {
        if (big) {
            lda_reply_error(r, 413, "input file larger than MAX_UPLOAD_BYTES");
        } else {
            lda_log(LDA_WARN, r->request_id, "input file unreadable",
                    json_pack("{s:s,s:s}", "input_file", name, "detail",
                              strerror(e)));
            lda_reply_error(r, 400, "input_file must name a readable "
                                    "regular file");
        }
        return false;
    }
    return true;
}

/* The input CSV: *owned is the malloc'd buffer to free, [*csv, +*len) the
 * CSV inside it (writable: the loader works in place). False = replied. */
static bool read_input(run *g, char **owned, char **csv, size_t *len)
{
    lda_req *r = g->r;
    const char *ct = r->content_type;
    bool is_csv = lda_ctype_is(ct, "text/csv");
    bool is_mp = lda_ctype_is(ct, "multipart/form-data");
    bool is_json = lda_ctype_is(ct, "application/json");
    if (!is_csv && !is_mp && !is_json) {
        lda_reply_error(r, 415, "Content-Type must be text/csv, "
                                "multipart/form-data or application/json");
        return false;
    }
    char *body;
    size_t blen;
    uint64_t max = g->cfg->max_upload_bytes;
    switch (lda_req_body(r, max > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max,
                         &body, &blen)) {
    case LDA_BODY_OK:
        break;
    case LDA_BODY_TOO_LARGE:
        lda_reply_error(r, 413, "request body larger than MAX_UPLOAD_BYTES");
        return false;
    case LDA_BODY_IO:
        lda_reply_error(r, 400, "incomplete request body");
        return false;
    default:
        lda_reply_error(r, 500, "out of memory");
        return false;
    }
    if (is_csv) {
        *owned = *csv = body;
        *len = blen;
        return true;
    }
    if (is_mp) {
        const char *part;
        size_t plen;
        lda_mp_status st =
            lda_multipart_find(ct, body, blen, "file", &part, &plen);
        if (st != LDA_MP_OK) {
            free(body);
            lda_reply_error(r, 400, st == LDA_MP_NO_PART
                                        ? "multipart body has no \"file\" "
                                          "part"
                                        : "malformed multipart body");
            return false;
        }
        *owned = body;
        *csv = body + (part - body);
        *len = plen;
        return true;
    }
    char *data;
    size_t dlen;
    bool ok = input_file(g, body, blen, &data, &dlen);
    free(body);
    if (!ok)
        return false;
    *owned = *csv = data;
    *len = dlen;
    return true;
}

/* The §5.1 answer of a recorded run (its run.json), "replayed": true. */
static json_t *replay_json(const run *g, json_t *rec)
{
    const char *st = json_string_value(json_object_get(rec, "status"));
    bool done = st && strcmp(st, "completed") == 0;
    json_t *outputs = json_null();
    if (done) {
        char sus[96], det[96];
        snprintf(sus, sizeof sus, "/api/runs/%s/suspicious_accounts.csv",
                 g->r->request_id);
        snprintf(det, sizeof det, "/api/runs/%s/detections.csv",
                 g->r->request_id);
        outputs = json_pack("{s:s,s:s}", "suspicious_accounts", sus,
                            "detections", det);
    }
    json_t *nul = json_null();
#define REC(k) (json_object_get(rec, k) ? json_object_get(rec, k) : nul)
    json_t *j = json_pack(
        "{s:s,s:s,s:O,s:O,s:O,s:O,s:b,s:O,s:O,s:o,s:O,s:b}", "request_id",
        g->r->request_id, "status", done ? "completed" : "failed",
        "event_count", REC("event_count"), "rejected_count",
        REC("rejected_count"), "rejected", REC("rejected"),
        "aggregated_count", REC("merged_count"), "partial",
        json_is_true(json_object_get(rec, "partial")), "failed_services",
        REC("failed_services"), "services", REC("services"), "outputs",
        outputs, "error", REC("error"), "replayed", 1);
#undef REC
    return j;
}

/* A run of this request id exists already (SPEC §5.6a): replay it when
 * it holds the same events, else 409. False when there is none (go on);
 * true = replied. */
static bool answered_by_existing_run(run *g)
{
    char dir[PATH_MAX], path[PATH_MAX];
    struct stat st;
    int n = snprintf(dir, sizeof dir, "%s/runs/%s", g->cfg->var_dir,
                     g->r->request_id);
    if (n < 0 || (size_t)n >= sizeof dir || stat(dir, &st) < 0)
        return false;
    char *text = NULL;
    size_t len = 0;
    json_t *rec = NULL;
    n = snprintf(path, sizeof path, "%s/run.json", dir);
    if (n > 0 && (size_t)n < sizeof path &&
        lda_file_read(path, 0, &text, &len) == 0)
        rec = json_loadb(text, len, 0, NULL);
    free(text);
    const char *fp = json_string_value(json_object_get(rec, "fingerprint"));
    if (!fp || strcmp(fp, g->fp_all) != 0) {
        lda_log(LDA_WARN, g->r->request_id, "run refused: the id exists",
                json_pack("{s:b}", "recorded", rec != NULL));
        lda_reply_error(g->r, 409,
                        rec ? "a run with this request id already exists "
                              "with other events; send the input without "
                              "X-Request-ID (or with a new one)"
                            : "a run with this request id is in progress");
    } else {
        lda_log(LDA_INFO, g->r->request_id, "run replayed", NULL);
        lda_reply_json(g->r, 200, replay_json(g, rec));
    }
    json_decref(rec);
    return true;
}

/* Fingerprints and detector bodies (lda_wire) of the finished set: the
 * layering body holds every event, the wash body only the trades. The full
 * fingerprint, the longest of these steps, runs on a second thread while
 * this one writes both bodies and fingerprints the trades. False on OOM. */
static bool encode(run *g)
{
    lda_fpjob all;
    lda_fpjob_start(&all, &g->set, LDA_FP_ALL);
    bool ok = lda_wire_encode(&g->set, LDA_FP_ALL,
                              &g->body[LDA_SVC_LAYERING]) == 0 &&
              lda_wire_encode(&g->set, 1u << LDA_TRADE,
                              &g->body[LDA_SVC_WASH]) == 0 &&
              lda_fingerprint_mask(&g->set, 1u << LDA_TRADE,
                                   g->fp_trade) == 0;
    ok = lda_fpjob_finish(&all) == 0 && ok;
    memcpy(g->fp_all, all.hex, sizeof g->fp_all);
    return ok;
}

/* Parse, group, fingerprint, encode the detector bodies; then the run must
 * be new. False = replied. */
static bool prepare(run *g, char *owned, char *csv, size_t len)
{
    char err[256];
    lda_load_status st = lda_csv_load(csv, len, (size_t)g->cfg->max_events,
                                      &g->set, &g->rej, err, sizeof err);
    free(owned);
    switch (st) {
    case LDA_LOAD_OK:
        break;
    case LDA_LOAD_TOO_MANY:
        reply_load_error(g, 413, err);
        return false;
    case LDA_LOAD_BAD_HEADER:
    case LDA_LOAD_NO_EVENTS:
        reply_load_error(g, 400, err);
        return false;
    default:
        lda_log(LDA_ERROR, g->r->request_id, "out of memory while parsing",
                NULL);
        lda_reply_error(g->r, 500, "out of memory");
        return false;
    }
    g->event_count = g->set.n;
    if (!lda_set_finish(&g->set) || !encode(g)) {
        lda_log(LDA_ERROR, g->r->request_id, "out of memory while encoding",
                NULL);
        lda_reply_error(g->r, 500, "out of memory");
        return false;
    }
    lda_set_free(&g->set);      /* the bodies hold everything now */
    lda_set_init(&g->set);
    return !answered_by_existing_run(g);
}

/* "HTTP 500, 3 retries" */
static void describe(const lda_call *c, char *out, size_t n)
{
    if (c->retry_count)
        snprintf(out, n, "%s, %u retr%s", c->error, c->retry_count,
                 c->retry_count == 1 ? "y" : "ies");
    else
        snprintf(out, n, "%s", c->error);
}

/* Log a failed call with what its body said (our own sibling's words). */
static void log_call_failure(const run *g, const lda_call *c,
                             const char *what)
{
    json_t *f = json_pack("{s:s,s:s,s:i,s:i,s:s}", "target", c->service,
                          "state",
                          c->state == LDA_CALL_EXHAUSTED  ? "exhausted"
                          : c->state == LDA_CALL_REJECTED ? "rejected"
                                                          : "answered",
                          "http_status", (int)c->http_status, "retry_count",
                          (int)c->retry_count, "error", what);
    if (f && c->response.len)
        json_object_set_new(f, "response",
                            json_stringn(c->response.data,
                                                 c->response.len > 300
                                                     ? 300
                                                     : c->response.len));
    lda_log(LDA_WARN, g->r->request_id, "service failed", f);
}

/* Parse the answer; a "success" one also has its results decoded and
 * dropped from the tree, so that the tree is small from here on. */
static void *parse_response(void *arg)
{
    det_parse *p = arg;
    char err[LDA_AGG_ERROR_MAX];
    const char *body = p->call->response.data, *env;
    size_t len = p->call->response.len, envlen, pos;
    if (lda_codec_res_split(body, len, &env, &envlen, &pos)) {
        /* the binary answer asked for: JSON envelope, binary sequences */
        p->root = json_loadb(env, envlen, 0, NULL);
        const char *st =
            json_string_value(json_object_get(p->root, "status"));
        if (st && strcmp(st, "success") == 0 &&
            !json_object_get(p->root, "results"))
            p->seqs_ok = lda_wire_seqs_decode(body, len, &pos, &p->seqs,
                                              err, sizeof err) ==
                             LDA_WIRE_OK &&
                         pos == len;
        return NULL;
    }
    p->root = json_loadb(body, len, 0, NULL);       /* a plain §5.2 answer */
    const char *st = json_string_value(json_object_get(p->root, "status"));
    if (st && strcmp(st, "success") == 0) {
        p->seqs_ok = lda_codec_seqlist_from_json(
                         json_object_get(p->root, "results"), &p->seqs, err,
                         sizeof err) == 0;
        json_object_del(p->root, "results");
    }
    return NULL;
}

/* lda_call on_final: start parsing a 200 answer. */
static void on_detector_final(lda_call *c, void *arg)
{
    det_parse *p = arg;
    p->call = c;
    if (c->state != LDA_CALL_SUCCESS || c->http_status != 200)
        return;
    p->threaded = c->response.len >= PARSE_THREAD_MIN &&
                  pthread_create(&p->thread, NULL, parse_response, p) == 0;
    if (!p->threaded)
        parse_response(p);
}

/* Wait for detector i's parse; its tree (NULL if none) is the caller's. */
static json_t *parsed_response(run *g, int i)
{
    det_parse *p = &g->parsed[i];
    if (p->threaded)
        pthread_join(p->thread, NULL);
    p->threaded = false;
    json_t *j = p->root;
    p->root = NULL;
    return j;
}

/* Classify detector i's final call. */
static void judge_detector(run *g, int i)
{
    lda_call *c = &g->det[i];
    det_outcome *o = &g->out[i];
    const char *name = lda_svc_names[i];
    json_t *j = parsed_response(g, i);
    o->retry_count = c->retry_count;
    if (c->state != LDA_CALL_SUCCESS) {
        json_decref(j);
        snprintf(o->status, sizeof o->status, "exhausted");
        describe(c, o->error, sizeof o->error);
        log_call_failure(g, c, o->error);
        return;
    }
    const char *st = json_string_value(json_object_get(j, "status"));
    const char *svc = json_string_value(json_object_get(j, "service_name"));
    const char *rid = json_string_value(json_object_get(j, "request_id"));
    bool valid = st && svc && rid && strcmp(svc, name) == 0 &&
                 strcmp(rid, g->r->request_id) == 0 &&
                 json_is_true(json_object_get(j, "final_status")) &&
                 !json_object_get(j, "retry_count") && strlen(st) < 16;
    if (valid && strcmp(st, "success") == 0 && !g->parsed[i].seqs_ok)
        valid = false;
    if (!valid) {
        snprintf(o->status, sizeof o->status, "exhausted");
        snprintf(o->error, sizeof o->error,
                 c->http_status == 200 ? "invalid response"
                                       : "unexpected HTTP %ld",
                 c->http_status);
        log_call_failure(g, c, o->error);
    } else {
        o->ok = strcmp(st, "success") == 0;
        snprintf(o->status, sizeof o->status, "%s", st);
        if (!o->ok) {
            const char *e = json_string_value(json_object_get(j, "error"));
            snprintf(o->error, sizeof o->error, "detector reported %s%s%s",
                     st, e ? ": " : "", e ? e : "");
            log_call_failure(g, c, o->error);
        }
        o->answer = j;                /* forwarded to the aggregator */
        lda_seqlist t = o->seqs;
        o->seqs = g->parsed[i].seqs;
        g->parsed[i].seqs = t;
        return;
    }
    json_decref(j);
}

/* One "results" entry of the aggregate request: a valid answer as the
 * detector sent it (minus its sequences, which travel in binary), or an
 * "exhausted" entry. NULL on OOM. */
static json_t *result_entry(run *g, int i)
{
    const lda_call *c = &g->det[i];
    det_outcome *o = &g->out[i];
    json_t *e = o->answer;
    o->answer = NULL;
    if (!e)
        e = json_pack("{s:s,s:s,s:s,s:n,s:s,s:b}", "request_id",
                      g->r->request_id, "service_name", lda_svc_names[i],
                      "status", "exhausted", "results", "error", o->error,
                      "final_status", 1);
    if (e && json_object_set_new(e, "retry_count",
                                 json_integer((json_int_t)c->retry_count))) {
        json_decref(e);
        e = NULL;
    }
    return e;
}

/* The binary §5.3 request (lda_codec_agg_req_to_bin) plus the run fields
 * (README, aggregator). False on OOM. */
static bool aggregate_body(run *g, lda_buf *out)
{
    char started[LDA_TIME_MAX];
    lda_time_format(g->started, started);
    json_t *results = json_array();
    const lda_seqlist *lists[LDA_SVC_COUNT];
    size_t n = 0;
    for (int i = 0; results && i < LDA_SVC_COUNT; i++) {
        if (json_array_append_new(results, result_entry(g, i)) < 0) {
            json_decref(results);
            results = NULL;
        } else if (g->out[i].ok)
            lists[n++] = &g->out[i].seqs;
    }
    json_t *head = results
        ? json_pack("{s:s,s:[s,s],s:I,s:I,s:o,s:s,s:s,s:o}", "request_id",
                    g->r->request_id, "expected_services", lda_svc_names[0],
                    lda_svc_names[1], "event_count",
                    (json_int_t)g->event_count, "rejected_count",
                    (json_int_t)g->rej.count, "rejected",
                    lda_runrec_rejected(&g->rej), "event_fingerprint", g->fp_all,
                    "started", started, "results", results)
        : NULL;
    bool ok = head && lda_codec_agg_req_to_bin(head, lists, n, out) == 0;
    json_decref(head);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        lda_call_free(&g->det[i]);         /* the answers are used up */
        lda_call_init(&g->det[i]);
    }
    return ok;
}

/* Remove both detectors' cache entries of this run (same host). */
static void forget_cached(const run *g)
{
    const char *fps[LDA_SVC_COUNT] = {g->fp_all, g->fp_trade};
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        if (lda_cache_forget(g->cfg->var_dir, lda_svc_names[i],
                             g->r->request_id, fps[i]) < 0)
            lda_log(LDA_WARN, g->r->request_id, "cache entry not removed",
                    json_pack("{s:s,s:s}", "service", lda_svc_names[i],
                              "detail", strerror(errno)));
}

/* Send the aggregate request and classify the answer. */
static void aggregate(run *g)
{
    lda_buf body;
    lda_buf_init(&body);
    if (!aggregate_body(g, &body)) {
        lda_buf_free(&body);
        g->agg_failed = true;
        snprintf(g->agg_error, sizeof g->agg_error, "out of memory");
        lda_log(LDA_ERROR, g->r->request_id,
                "out of memory building the aggregate request", NULL);
        return;
    }
    lda_call *c = &g->agg;
    lda_call_init(c);
    c->service = "aggregate";
    c->path = "/api/aggregate";
    c->content_type = LDA_WIRE_AGG_CTYPE;
    c->request_id = g->r->request_id;
    c->body = body.data;
    c->body_len = body.len;
    c->max_response = AGG_MAX_RESPONSE;
    lda_client_policy p = {g->cfg->algorithm_timeout, g->cfg->max_retries,
                           g->cfg->retry_backoff_base};
    lda_client_run(client, c, 1, &p);
    lda_buf_free(&body);
    json_t *j = c->response.len ? json_loadb(c->response.data,
                                             c->response.len, 0, NULL)
                                : NULL;
    const char *st = json_string_value(json_object_get(j, "status"));
    const char *err = json_string_value(json_object_get(j, "error"));
    if (c->state == LDA_CALL_SUCCESS && c->http_status == 200 && st) {
        json_t *m = json_object_get(j, "merged_count");
        g->merged = json_is_integer(m) && json_integer_value(m) > 0
                        ? (uint64_t)json_integer_value(m)
                        : 0;
        g->partial = json_is_true(json_object_get(j, "partial"));
        g->agg_ok = strcmp(st, "completed") == 0;
        if (!g->agg_ok) {
            bool dets_ok = g->out[0].ok && g->out[1].ok;
            /* validation_failed because of a detector is the detectors'
               failure; anything else is the aggregator's */
            g->agg_failed = strcmp(st, "validation_failed") != 0 || dets_ok;
            snprintf(g->agg_error, sizeof g->agg_error, "%s",
                     err ? err : st);
            log_call_failure(g, c, g->agg_error);
        }
    } else if (c->http_status == 507) {
        /* not retried (lda_client): a full disk is said as it is, and the
           run's cache entries go, to give the space back */
        g->agg_failed = g->disk_full = true;
        snprintf(g->agg_error, sizeof g->agg_error,
                 "the server ran out of disk space");
        log_call_failure(g, c, g->agg_error);
        forget_cached(g);
    } else {
        char how[ERR_MAX];
        g->agg_failed = true;
        if (c->state == LDA_CALL_SUCCESS)
            snprintf(c->error, sizeof c->error, "unexpected HTTP %ld",
                     c->http_status);
        describe(c, how, sizeof how);
        if (err)
            snprintf(g->agg_error, sizeof g->agg_error, "%.100s (%.90s)", err,
                     how);
        else
            snprintf(g->agg_error, sizeof g->agg_error, "%s", how);
        log_call_failure(g, c, g->agg_error);
    }
    json_decref(j);
    lda_call_free(c);
}

static void respond(run *g)
{
    lda_req *r = g->r;
    json_t *failed = json_array();
    json_t *services = json_object();
    char error[3 * ERR_MAX + 64];
    size_t el = 0;
    error[0] = '\0';
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        const det_outcome *o = &g->out[i];
        json_object_set_new(
            services, lda_svc_names[i],
            json_pack("{s:s,s:I,s:o}", "status", o->status, "retry_count",
                      (json_int_t)o->retry_count, "error",
                      lda_runrec_str(o->error)));
        if (!o->ok) {
            json_array_append_new(failed, json_string(lda_svc_names[i]));
            el += (size_t)snprintf(error + el, sizeof error - el, "%s%s: %s",
                                   el ? "; " : "", lda_svc_names[i],
                                   o->error);
        }
    }
    if (g->agg_failed) {
        json_array_append_new(failed, json_string("aggregate"));
        snprintf(error + el, sizeof error - el, "%saggregate: %s",
                 el ? "; " : "", g->agg_error);
    }
    bool done = g->agg_ok;
    json_t *outputs = json_null();
    if (done) {
        char sus[96], det[96];
        snprintf(sus, sizeof sus, "/api/runs/%s/suspicious_accounts.csv",
                 r->request_id);
        snprintf(det, sizeof det, "/api/runs/%s/detections.csv",
                 r->request_id);
        outputs = json_pack("{s:s,s:s}", "suspicious_accounts", sus,
                            "detections", det);
    }
    g->t_done = lda_mono_us();
    lda_log(done ? LDA_INFO : LDA_ERROR, r->request_id,
            done ? "run completed" : "run failed",
            json_pack("{s:I,s:I,s:I,s:b,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                      "event_count", (json_int_t)g->event_count,
                      "rejected_count", (json_int_t)g->rej.count,
                      "aggregated_count", (json_int_t)(done ? g->merged : 0),
                      "partial", done && g->partial, "failed_services",
                      failed, "read_ms", ms_of(g->t0, g->t_read), "parse_ms",
                      ms_of(g->t_read, g->t_parsed), "detect_ms",
                      ms_of(g->t_parsed, g->t_detected), "aggregate_ms",
                      ms_of(g->t_detected, g->t_done), "total_ms",
                      ms_of(g->t0, g->t_done), "layering_ms",
                      (json_int_t)g->call_ms[LDA_SVC_LAYERING], "wash_ms",
                      (json_int_t)g->call_ms[LDA_SVC_WASH]));
    json_t *j = json_pack(
        "{s:s,s:s,s:I,s:I,s:o,s:I,s:b,s:o,s:o,s:o,s:o}", "request_id",
        r->request_id, "status", done ? "completed" : "failed",
        "event_count", (json_int_t)g->event_count, "rejected_count",
        (json_int_t)g->rej.count, "rejected", lda_runrec_rejected(&g->rej),
        "aggregated_count", (json_int_t)(done ? g->merged : 0), "partial",
        done && g->partial, "failed_services", failed, "services", services,
        "outputs", outputs, "error", lda_runrec_str(error));
    lda_reply_json(r, done ? 200 : g->disk_full ? 507 : 502, j);
}

static void orchestrate(const lda_config *cfg, lda_req *r)
{
    static run g;                 /* large (rejects, calls): off the stack */
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    g.r = r;
    g.t0 = lda_mono_us();
    g.started = lda_now_us();
    lda_set_init(&g.set);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        lda_buf_init(&g.body[i]);
        lda_call_init(&g.det[i]);
        lda_seqlist_init(&g.parsed[i].seqs);
        lda_seqlist_init(&g.out[i].seqs);
    }
    if (access(draining_path, F_OK) == 0) {
        lda_reply_error_h(r, 503, "Retry-After: 5\r\n",
                          "the server is shutting down");
        return;
    }
    if (cfg->rate_limit_per_minute > 0) {
        unsigned ra = 0;
        if (!lda_ratelimit_allow(r->remote_addr, cfg->rate_limit_per_minute,
                                 &ra)) {
            char h[48];
            snprintf(h, sizeof h, "Retry-After: %u\r\n", ra ? ra : 1);
            lda_reply_error_h(r, 429, h, "rate limit exceeded");
            return;
        }
    }
    char *owned = NULL, *csv;
    size_t len;
    if (!read_input(&g, &owned, &csv, &len))
        goto out;
    g.t_read = lda_mono_us();
    if (!prepare(&g, owned, csv, len))
        goto out;
    g.t_parsed = lda_mono_us();

    const char *fps[LDA_SVC_COUNT] = {g.fp_all, g.fp_trade};
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        lda_call *c = &g.det[i];
        c->service = lda_svc_names[i];
        c->path = det_paths[i];
        c->content_type = LDA_WIRE_CTYPE;
        c->request_id = r->request_id;
        c->fingerprint = fps[i];
        c->body = g.body[i].data;
        c->body_len = g.body[i].len;
        c->max_response = DETECT_MAX_RESPONSE;
        c->accept = LDA_WIRE_RES_CTYPE;
        c->on_final = on_detector_final;
        c->on_final_arg = &g.parsed[i];
    }
    lda_client_policy p = {cfg->algorithm_timeout, cfg->max_retries,
                           cfg->retry_backoff_base};
    lda_client_run(client, g.det, LDA_SVC_COUNT, &p);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        lda_buf_free(&g.body[i]);
        g.call_ms[i] = g.det[i].elapsed_ms;
        judge_detector(&g, i);
    }
    g.t_detected = lda_mono_us();
    aggregate(&g);
    respond(&g);
out:
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        json_decref(parsed_response(&g, i));   /* joins a parse, if any */
        lda_seqlist_free(&g.parsed[i].seqs);
        lda_seqlist_free(&g.out[i].seqs);
        json_decref(g.out[i].answer);
        lda_buf_free(&g.body[i]);
        lda_call_free(&g.det[i]);
    }
    lda_set_free(&g.set);
}

/* One run under the shared in-flight lock (see the top of this file). */
static void orchestrate_locked(const lda_config *cfg, lda_req *r)
{
    while (flock(inflight_fd, LOCK_SH) < 0 && errno == EINTR)
        ;
    orchestrate(cfg, r);
    flock(inflight_fd, LOCK_UN);
}

static void handle(const lda_config *cfg, lda_req *r)
{
    if (strcmp(r->path, "/api/health") == 0) {
        if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0)
            health(r);
        else
            lda_reply_error_h(r, 405, "Allow: GET, HEAD\r\n",
                              "method not allowed");
    } else if (strcmp(r->path, "/api/orchestrate") == 0) {
        if (strcmp(r->method, "POST") == 0)
            orchestrate_locked(cfg, r);
        else
            lda_reply_error_h(r, 405, "Allow: POST\r\n",
                              "method not allowed");
    } else {
        lda_reply_error(r, 404, "not found");
    }
}

static int start(const lda_config *cfg)
{
    char dir[PATH_MAX], lock[PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s/run", cfg->var_dir);
    int m = snprintf(lock, sizeof lock, "%s/inflight.lock", dir);
    int k = snprintf(draining_path, sizeof draining_path, "%s/draining", dir);
    if (n < 0 || m < 0 || k < 0 || (size_t)m >= sizeof lock ||
        (size_t)k >= sizeof draining_path || lda_file_mkdirs(dir) < 0 ||
        (inflight_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
        lda_log(LDA_ERROR, NULL, "cannot open the in-flight lock",
                json_pack("{s:s}", "detail", strerror(errno)));
        return -1;
    }
    if (cfg->rate_limit_per_minute > 0 &&
        lda_ratelimit_init(cfg->var_dir) < 0) {
        lda_log(LDA_ERROR, NULL, "cannot create the rate-limit directory",
                NULL);
        return -1;
    }
    client = lda_client_new(cfg->internal_url, cfg->internal_api_key);
    if (!client) {
        lda_log(LDA_ERROR, NULL, "cannot initialise the HTTP client", NULL);
        return -1;
    }
    return 0;
}

int main(void)
{
    lda_service svc = {
        .name = "orchestrate",
        .route = "/api/orchestrate",
        .public_path = "/api/health",
        .key = LDA_KEY_USER,
        .start = start,
        .handle = handle,
    };
    int rc = lda_service_main(&svc);
    lda_client_free(client);
    return rc;
}
