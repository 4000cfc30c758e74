/* orchestrate.fcgi: the orchestrator (docs/api.md#orchestrate) and GET
 * /api/health.
 *
 * POST /api/orchestrate (admitted when the server is not draining and the
 * client is within RATE_LIMIT_PER_MINUTE): take the input (lda_input),
 * parse it in place (lda_csv_load), group it (lda_set_finish) and
 * fingerprint it. Each detector of the list of services (lda_svc) gets the
 * binary internal form (lda_wire) of the events it receives, with the
 * fingerprint of exactly those -- once per shard with LDA_SHARDS > 1
 * (docs/api.md#shards: the groups split by lda_shard's hash; a shard with
 * no event for a detector is not called). All the calls run in parallel on
 * one lda_client event loop with the retry rules (docs/api.md#retries),
 * each retrying on its own; each ends success or exhausted, and a detector
 * succeeds when all its shards do, their sequences put together in shard
 * order (reports byte-identical to one shard). Its circuit is asked once
 * per run, not per shard. The detectors are asked for their binary
 * answer (a JSON envelope and the sequences in lda_wire form; a plain JSON
 * answer is read as well), which is decoded as soon as it arrives (on a
 * second thread when it is big, while another detector still runs). Then
 * one POST /api/aggregate carries everything in the binary aggregate form
 * (lda_codec_agg_req_to_bin): a JSON head (ids, counts, rejects, each
 * detector's answer without its sequences, plus "retry_count") and the
 * sequences in binary, so the aggregator parses no large JSON. The answer
 * is 200 when the aggregator completed the run, 502 (naming the failed
 * services in safe words) otherwise, 507 when the aggregator ran out of
 * disk space (not retried; the run's cache entries are removed). The
 * upload, the event set and the detector bodies are freed as soon as the
 * next step no longer needs them.
 *
 * Runs are immutable: once the input is parsed, a run directory that
 * already has this request id answers the request before any detector is
 * called -- the same events (fingerprint) replay the recorded run (200,
 * "replayed": true, nothing written), other events are 409.
 *
 * Stopping (scripts/lda-server stop): every run holds a shared flock on
 * $LDA_VAR_DIR/run/inflight.lock from admission until its answer has been
 * sent (the route's admit and done hooks), and no run starts while
 * $LDA_VAR_DIR/run/draining exists (503): the script creates that file,
 * takes the lock exclusively (so it waits for the runs in flight), then
 * stops the server.
 *
 * Each detector has a circuit breaker shared by the orchestrators of the
 * host (lda_circuit): a detector whose circuit is open is not called, and
 * ends "circuit_open" at once; each called detector's outcome is reported
 * to its circuit. Every finished run is counted (lda_metrics_run).
 *
 * Per-run detection parameters (docs/api.md#per-run-thresholds): lda_input
 * reads them with the input; every detector call carries the run's nine
 * values as its query string (every shard the same), and the aggregate
 * request's head carries them as "params" (run.json). A replay needs the
 * same parameters too.
 *
 * GET /api/health: lda_health, and the circuits. GET /api/params: the
 * parameters and the server's values (lda_reqparams_list). */
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
#include <unistd.h>

#include "lda_cache.h"
#include "lda_circuit.h"
#include "lda_client.h"
#include "lda_clock.h"
#include "lda_codec_agg.h"
#include "lda_codec_res.h"
#include "lda_codec_seq.h"
#include "lda_config.h"
#include "lda_csv.h"
#include "lda_event.h"
#include "lda_file.h"
#include "lda_fingerprint.h"
#include "lda_fpjob.h"
#include "lda_health.h"
#include "lda_http.h"
#include "lda_input.h"
#include "lda_log.h"
#include "lda_metrics.h"
#include "lda_param.h"
#include "lda_pool.h"
#include "lda_ratelimit.h"
#include "lda_reqparams.h"
#include "lda_runrec.h"
#include "lda_service.h"
#include "lda_shard.h"
#include "lda_svc.h"
#include "lda_time.h"
#include "lda_wire.h"

#define DETECT_MAX_RESPONSE ((size_t)1 << 30)
#define AGG_MAX_RESPONSE ((size_t)1 << 20)
#define ERR_MAX 200

static lda_client *client;
static lda_breaker_policy circuit_policy; /* CIRCUIT_* */
static int inflight_fd = -1;              /* run/inflight.lock */
static char draining_path[PATH_MAX];      /* run/draining */

static json_int_t ms_of(int64_t from, int64_t to)
{
    return (json_int_t)((to - from + 500) / 1000);
}

/* ------------------------------------------------------------------ health */

/* {"layering": "closed", ...}: each detector's circuit as shown now. */
static json_t *circuits_json(void)
{
    lda_breaker_state st[LDA_SVC_COUNT];
    lda_circuit_shown(&circuit_policy, st);
    json_t *j = json_object();
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        json_object_set_new(j, lda_svcs[i].name,
                            json_string(lda_circuit_name(st[i])));
    return j;
}

static bool health(const lda_config *cfg, lda_req *r, lda_answer *out,
                   lda_err *e)
{
    (void)cfg;
    bool all;
    json_t *services = lda_health_check(client, "orchestrate", r->request_id,
                                        &r->trace, &all);
    if (!services)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    if (!all)
        lda_log(LDA_WARN, r->request_id, "health check: unhealthy",
                json_pack("{s:O}", "services", services));
    out->status = all ? 200 : 503;
    out->json = json_pack("{s:s,s:o,s:o}", "status",
                          all ? "healthy" : "unhealthy", "services", services,
                          "circuits", circuits_json());
    return true;
}

/* ----------------------------------------------------------------- the run */


/* How one detector service ended, over all its shards. */
typedef struct det_outcome {
    bool ok;        /* status "success" (every shard's) */
    json_t *answer; /* a valid response, without "results"
                                     when ok (the sequences of every shard
                                     are in seqs) */
    lda_seqlist seqs;
    char status[16];                        /* reported in "services" */
    char error[ERR_MAX];                    /* safe words, "" when none */
    unsigned retry_count;                   /* the sum over its shards */
    unsigned shard_retries[LDA_SHARDS_MAX]; /* each shard's */
} det_outcome;

/* A detector's response parsed as soon as its call is final (lda_call
 * on_final), on a second thread when it is big: the other detector is
 * usually still running, and parsing tens of thousands of sequences takes
 * a while. judge_detector() collects the tree. */
#define PARSE_THREAD_MIN ((size_t)256 << 10) /* response bytes */

typedef struct det_parse {
    const lda_call *call;
    json_t *root;     /* NULL: not parsed, or not JSON */
    lda_seqlist seqs; /* "results" of a "success" answer ... */
    bool seqs_ok;     /* ... decoded (and removed from root) */
    bool threaded;
    pthread_t thread;
} det_parse;

/* One shard's call to one detector. */
typedef struct det_part {
    char fp[65];  /* of exactly its events */
    lda_buf body; /* its request body (lda_wire) */
    bool called;  /* it has events, or it is its detector's only call */
    lda_call call;
    det_parse parsed;
} det_part;

typedef struct run {
    const lda_config *cfg;
    lda_req *r;
    int64_t t0, t_read, t_parsed, t_detected, t_done; /* monotonic */
    double call_ms[LDA_SVC_COUNT]; /* each detector call, first try to end */
    int64_t started;               /* wall clock */
    lda_set set;
    lda_rejects rej;
    uint64_t event_count;
    lda_quality quality;  /* data_quality, for the aggregate request */
    char input_name[256]; /* lda_input's name, "" when unknown */
    lda_params params;    /* the run's detection parameters (lda_input) */
    char fp_all[65];      /* of every event: the run's */
    unsigned shards;      /* LDA_SHARDS */
    det_part part[LDA_SVC_COUNT][LDA_SHARDS_MAX]; /* [detector][shard] */
    lda_breaker_pass pass[LDA_SVC_COUNT];         /* the circuits' word */
    int64_t entered[LDA_SVC_COUNT];               /* when each was asked */
    char det_path[LDA_SVC_COUNT][1024]; /* route?<the nine parameters> */
    det_outcome out[LDA_SVC_COUNT];
    lda_call agg;
    bool agg_ok;     /* aggregator answered "completed" */
    bool agg_failed; /* unreachable, or answered "failed" */
    bool disk_full;  /* the aggregator answered 507 */
    bool partial;
    uint64_t merged;
    char agg_error[ERR_MAX];
} run;

/* The download links of a completed run. */
static json_t *outputs_json(const char *id)
{
    char sus[96], det[96];
    snprintf(sus, sizeof sus, "/api/runs/%s/suspicious_accounts.csv", id);
    snprintf(det, sizeof det, "/api/runs/%s/detections.csv", id);
    return json_pack("{s:s,s:s}", "suspicious_accounts", sus, "detections",
                     det);
}

/* 400/413 for an input the loader refused, with what was rejected: an
 * answer, not a bare error, so that the client sees the rejected rows. */
static bool load_refused(run *g, int status, const char *msg, lda_answer *out)
{
    out->status = status;
    out->json = json_pack("{s:s,s:s,s:I,s:o}", "error", msg, "request_id",
                          g->r->request_id, "rejected_count",
                          (json_int_t)g->rej.count, "rejected",
                          lda_runrec_rejected(&g->rej));
    return false;
}

/* The answer of a recorded run (its run.json), "replayed": true. */
static json_t *replay_json(const run *g, json_t *rec)
{
    const char *st = json_string_value(json_object_get(rec, "status"));
    bool done = st && strcmp(st, "completed") == 0;
    json_t *outputs = json_null();
    if (done)
        outputs = outputs_json(g->r->request_id);
    json_t *nul = json_null();
#define REC(k) (json_object_get(rec, k) ? json_object_get(rec, k) : nul)
    json_t *j = json_pack("{s:s,s:s,s:O,s:O,s:O,s:O,s:b,s:O,s:O,s:o,s:O,s:b}",
                          "request_id", g->r->request_id, "status",
                          done ? "completed" : "failed", "event_count",
                          REC("event_count"), "rejected_count",
                          REC("rejected_count"), "rejected", REC("rejected"),
                          "aggregated_count", REC("merged_count"), "partial",
                          json_is_true(json_object_get(rec, "partial")),
                          "failed_services", REC("failed_services"),
                          "services", REC("services"), "outputs", outputs,
                          "error", REC("error"), "replayed", 1);
#undef REC
    return j;
}

/* A run of this request id exists already (docs/api.md#immutable-runs): replay
 * it when it holds the same events and parameters, else 409. False when there is none (go
 * on); true = answered, in out or e. */
static bool answered_by_existing_run(run *g, lda_answer *out, lda_err *e)
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
    json_t *prm = lda_runrec_params(&g->params);
    bool same = fp && strcmp(fp, g->fp_all) == 0 && prm &&
                json_equal(prm, json_object_get(rec, "params"));
    json_decref(prm);
    if (!same) {
        lda_log(LDA_WARN, g->r->request_id, "run refused: the id exists",
                json_pack("{s:b}", "recorded", rec != NULL));
        lda_err_set(e, 409, "%s",
                    rec ? "a run with this request id already exists "
                          "with other events or parameters; send the "
                          "input without "
                          "X-Request-ID (or with a new one)"
                        : "a run with this request id is in progress");
    } else {
        lda_log(LDA_INFO, g->r->request_id, "run replayed", NULL);
        out->json = replay_json(g, rec);
    }
    json_decref(rec);
    return true;
}

/* Detector i's body and fingerprint for each shard (docs/api.md#shards):
 * the events of the types it receives (lda_svc) in the shard's groups. A
 * shard with no such event is not called; when no shard has one, shard 1
 * is (with no events), so that every detector is asked once per run, as
 * with one shard. A part that holds every event (one shard, a detector of
 * every type) gets the run's fingerprint from encode(). False on OOM. */
static bool encode_service(run *g, int i, const uint8_t *shard_of)
{
    unsigned mask = lda_svcs[i].receives, called = 0;
    for (unsigned s = 0; s < g->shards; s++) {
        det_part *p = &g->part[i][s];
        lda_select sel = {mask, shard_of, s};
        size_t nev;
        if (lda_wire_encode_sel(&g->set, &sel, &p->body, &nev) < 0)
            return false;
        p->called = nev > 0;
        called += p->called;
    }
    if (called == 0)
        g->part[i][0].called = true;
    for (unsigned s = 0; s < g->shards; s++) {
        det_part *p = &g->part[i][s];
        lda_select sel = {mask, shard_of, s};
        if (!p->called)
            lda_buf_free(&p->body);
        else if ((mask != LDA_FP_ALL || shard_of) &&
                 lda_fingerprint_sel(&g->set, &sel, p->fp) < 0)
            return false;
    }
    return true;
}

/* Fingerprints and detector bodies (lda_wire) of the finished set, per
 * detector and shard (encode_service). The full fingerprint, the longest
 * of these steps, runs on a second thread (itself on par: its text built
 * and hashed on two threads) while this one writes the bodies and the
 * other fingerprints. False on OOM. */
static bool encode(run *g, const lda_par *par)
{
    lda_fpjob all;
    lda_fpjob_start(&all, &g->set, LDA_FP_ALL, par);
    uint8_t *shard_of = g->shards > 1 ? lda_shard_groups(&g->set, g->shards)
                                      : NULL;
    bool ok = g->shards == 1 || shard_of;
    for (int i = 0; ok && i < LDA_SVC_COUNT; i++)
        ok = encode_service(g, i, shard_of);
    ok = lda_fpjob_finish(&all) == 0 && ok;
    free(shard_of);
    memcpy(g->fp_all, all.hex, sizeof g->fp_all);
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        if (lda_svcs[i].receives == LDA_FP_ALL && g->shards == 1)
            memcpy(g->part[i][0].fp, all.hex, sizeof g->fp_all);
    return ok;
}

/* Each detector's URL path: its route and the run's nine parameters as
 * the query string (docs/api.md#detector-parameters), the same for every
 * shard. False on OOM. */
static bool detector_paths(run *g)
{
    lda_buf q;
    lda_buf_init(&q);
    lda_param_query(&g->params, &q);
    bool ok = !q.oom;
    for (int i = 0; ok && i < LDA_SVC_COUNT; i++) {
        int n = snprintf(g->det_path[i], sizeof g->det_path[i], "%s?%.*s",
                         lda_svcs[i].route, (int)q.len, q.data);
        ok = n > 0 && (size_t)n < sizeof g->det_path[i];
    }
    lda_buf_free(&q);
    return ok;
}

/* Parse, group, fingerprint, encode the detector bodies; then the run must
 * be new. False when the run stops here: its answer is in out, or e. */
static bool prepare(run *g, lda_input *in, lda_answer *out, lda_err *e)
{
    lda_par par = lda_pool_par(g->cfg->threads); /* LDA_THREADS */
    bool ok = lda_csv_load_par(in->csv, in->len, (size_t)g->cfg->max_events,
                               false, &par, &g->set, &g->rej, e);
    free(in->owned);
    in->owned = NULL;
    if (!ok && e->status == 500)
        return lda_err_detail(e, "out of memory while parsing");
    if (!ok) { /* 400 or 413: an answer with the rejected rows */
        bool stop = load_refused(g, e->status, e->msg, out);
        lda_err_init(e);
        return stop;
    }
    g->event_count = g->set.n;
    snprintf(g->input_name, sizeof g->input_name, "%s", in->name);
    if (!lda_set_finish_par(&g->set, &par) || !encode(g, &par) ||
        !detector_paths(g)) {
        lda_err_detail(e, "out of memory while encoding");
        return lda_err_msg(e, LDA_MSG_NOMEM);
    }
    g->quality = lda_set_quality(&g->set);
    lda_set_free(&g->set); /* the bodies hold everything now */
    lda_set_init(&g->set);
    return !answered_by_existing_run(g, out, e);
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
static void log_call_failure(const run *g, const lda_call *c, const char *what)
{
    json_t *f = json_pack("{s:s,s:s,s:i,s:i,s:s}", "target", c->service,
                          "state",
                          c->state == LDA_CALL_EXHAUSTED  ? "exhausted"
                          : c->state == LDA_CALL_REJECTED ? "rejected"
                                                          : "answered",
                          "http_status", (int)c->http_status, "retry_count",
                          (int)c->retry_count, "error", what);
    if (f && c->response.len)
        json_object_set_new(
            f, "response",
            json_stringn(c->response.data,
                         c->response.len > 300 ? 300 : c->response.len));
    lda_log(LDA_WARN, g->r->request_id, "service failed", f);
}

/* Parse the answer; a "success" one also has its results decoded and
 * dropped from the tree, so that the tree is small from here on. */
static void *parse_response(void *arg)
{
    det_parse *p = arg;
    lda_err err;
    lda_err_init(&err);
    const char *body = p->call->response.data, *env;
    size_t len = p->call->response.len, envlen, pos;
    if (lda_codec_res_split(body, len, &env, &envlen, &pos)) {
        /* the binary answer asked for: JSON envelope, binary sequences */
        p->root = json_loadb(env, envlen, 0, NULL);
        const char *st = json_string_value(json_object_get(p->root, "status"));
        if (st && strcmp(st, "success") == 0 &&
            !json_object_get(p->root, "results"))
            p->seqs_ok = lda_wire_seqs_decode(body, len, &pos, &p->seqs,
                                              &err) &&
                         pos == len;
        return NULL;
    }
    p->root = json_loadb(body, len, 0, NULL); /* a plain JSON answer */
    const char *st = json_string_value(json_object_get(p->root, "status"));
    if (st && strcmp(st, "success") == 0) {
        p->seqs_ok = lda_codec_seqlist_from_json(
            json_object_get(p->root, "results"), "results", &p->seqs, &err);
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

/* Wait for a part's parse; its tree (NULL if none) is the caller's. */
static json_t *parsed_response(det_part *p)
{
    det_parse *d = &p->parsed;
    if (d->threaded)
        pthread_join(d->thread, NULL);
    d->threaded = false;
    json_t *j = d->root;
    d->root = NULL;
    return j;
}

/* A shard's failure in safe words: "shard 2 of 4: HTTP 500, 3 retries"
 * (with one shard, the words alone, as they always were). */
static void shard_words(const run *g, unsigned s, char *error)
{
    char w[ERR_MAX];
    if (g->shards == 1)
        return;
    snprintf(w, sizeof w, "shard %u of %u: %s", s + 1, g->shards, error);
    memcpy(error, w, ERR_MAX);
}

/* Classify the final call of detector i's shard s into t (zeroed, seqs
 * initialised). */
static void judge_part(run *g, int i, unsigned s, det_outcome *t)
{
    det_part *p = &g->part[i][s];
    lda_call *c = &p->call;
    const char *name = lda_svcs[i].name;
    json_t *j = parsed_response(p);
    t->retry_count = c->retry_count;
    if (c->state != LDA_CALL_SUCCESS) {
        json_decref(j);
        snprintf(t->status, sizeof t->status, "exhausted");
        describe(c, t->error, sizeof t->error);
        shard_words(g, s, t->error);
        log_call_failure(g, c, t->error);
        return;
    }
    const char *st = json_string_value(json_object_get(j, "status"));
    const char *svc = json_string_value(json_object_get(j, "service_name"));
    const char *rid = json_string_value(json_object_get(j, "request_id"));
    bool valid = st && svc && rid && strcmp(svc, name) == 0 &&
                 strcmp(rid, g->r->request_id) == 0 &&
                 json_is_true(json_object_get(j, "final_status")) &&
                 !json_object_get(j, "retry_count") && strlen(st) < 16;
    if (valid && strcmp(st, "success") == 0 && !p->parsed.seqs_ok)
        valid = false;
    if (!valid) {
        json_decref(j);
        snprintf(t->status, sizeof t->status, "exhausted");
        snprintf(t->error, sizeof t->error,
                 c->http_status == 200 ? "invalid response"
                                       : "unexpected HTTP %ld",
                 c->http_status);
        shard_words(g, s, t->error);
        log_call_failure(g, c, t->error);
        return;
    }
    t->ok = strcmp(st, "success") == 0;
    snprintf(t->status, sizeof t->status, "%s", st);
    if (!t->ok) {
        const char *e = json_string_value(json_object_get(j, "error"));
        snprintf(t->error, sizeof t->error, "detector reported %s%s%s", st,
                 e ? ": " : "", e ? e : "");
        shard_words(g, s, t->error);
        log_call_failure(g, c, t->error);
        if (g->shards > 1 && e) { /* the forwarded answer names it too */
            char w[ERR_MAX];
            snprintf(w, sizeof w, "%s", e);
            shard_words(g, s, w);
            json_object_set_new(j, "error", json_string(w));
        }
    }
    t->answer = j; /* forwarded to the aggregator */
    lda_seqlist tmp = t->seqs;
    t->seqs = p->parsed.seqs;
    p->parsed.seqs = tmp;
}

/* Add a successful shard's outcome t (used up) to o. False on OOM. */
static bool add_shard(det_outcome *o, det_outcome *t)
{
    if (!o->answer) {
        o->answer = t->answer;
        t->answer = NULL;
    }
    if (o->seqs.n == 0 && o->seqs.nkeys == 0) { /* the first: moved */
        lda_seqlist tmp = o->seqs;
        o->seqs = t->seqs;
        t->seqs = tmp;
        return true;
    }
    return lda_seqlist_append(&o->seqs, &t->seqs);
}

/* Classify detector i from its shards' final calls: success when every
 * called shard succeeded (their sequences put together in shard order),
 * else the status and words of the first shard that did not. */
static void judge_detector(run *g, int i)
{
    det_outcome *o = &g->out[i];
    bool failed = false;
    for (unsigned s = 0; s < g->shards; s++) {
        if (!g->part[i][s].called)
            continue;
        det_outcome t;
        memset(&t, 0, sizeof t);
        lda_seqlist_init(&t.seqs);
        judge_part(g, i, s, &t);
        o->shard_retries[s] = t.retry_count;
        o->retry_count += t.retry_count;
        if (!failed && t.ok && !add_shard(o, &t)) {
            snprintf(t.status, sizeof t.status, "exhausted");
            snprintf(t.error, sizeof t.error, "out of memory");
            t.ok = false;
            lda_log(LDA_ERROR, g->r->request_id,
                    "out of memory putting the shards together", NULL);
        }
        if (!failed && !t.ok) { /* the first failing shard speaks */
            failed = true;
            memcpy(o->status, t.status, sizeof o->status);
            memcpy(o->error, t.error, sizeof o->error);
            json_decref(o->answer);
            o->answer = t.answer;
            t.answer = NULL;
            lda_seqlist_free(&o->seqs);
        }
        json_decref(t.answer);
        lda_seqlist_free(&t.seqs);
    }
    o->ok = !failed;
    if (o->ok)
        snprintf(o->status, sizeof o->status, "success");
}

/* services.<name>.shard_retries: each shard's retry count. */
static json_t *shard_retries_json(const run *g, int i)
{
    json_t *a = json_array();
    for (unsigned s = 0; a && s < g->shards; s++)
        if (json_array_append_new(
                a, json_integer((json_int_t)g->out[i].shard_retries[s]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* One "results" entry of the aggregate request: a valid answer as the
 * detector sent it (minus its sequences, which travel in binary), or an
 * "exhausted" entry; with the retry counts and the shard count. NULL on
 * OOM. */
static json_t *result_entry(run *g, int i)
{
    det_outcome *o = &g->out[i];
    json_t *e = o->answer;
    o->answer = NULL;
    if (!e)
        e = json_pack("{s:s,s:s,s:s,s:n,s:s,s:b}", "request_id",
                      g->r->request_id, "service_name", lda_svcs[i].name,
                      "status", o->status, "results", "error", o->error,
                      "final_status", 1);
    if (e &&
        (json_object_set_new(e, "retry_count",
                             json_integer((json_int_t)o->retry_count)) ||
         json_object_set_new(e, "shards",
                             json_integer((json_int_t)g->shards)) ||
         json_object_set_new(e, "shard_retries", shard_retries_json(g, i)))) {
        json_decref(e);
        e = NULL;
    }
    return e;
}

/* The binary aggregate request (lda_codec_agg_req_to_bin) plus the run
 * fields (docs/api.md#aggregate-request). False on OOM. */
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
    json_t *expected = json_array();
    for (int i = 0; expected && i < LDA_SVC_COUNT; i++)
        if (json_array_append_new(expected, json_string(lda_svcs[i].name)))
            break;
    json_t *head =
        results && expected
            ? json_pack("{s:s,s:O,s:I,s:I,s:o,s:s,s:s,s:o,s:o,s:O,s:o}",
                        "request_id", g->r->request_id, "expected_services",
                        expected, "event_count", (json_int_t)g->event_count,
                        "rejected_count", (json_int_t)g->rej.count, "rejected",
                        lda_runrec_rejected(&g->rej), "event_fingerprint",
                        g->fp_all, "started", started, "data_quality",
                        lda_runrec_quality(&g->quality), "input_name",
                        lda_runrec_str(g->input_name), "results", results,
                        "params", lda_runrec_params(&g->params))
            : NULL;
    json_decref(expected);
    json_decref(results);
    bool ok = head && lda_codec_agg_req_to_bin(head, lists, n, out) == 0;
    json_decref(head);
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        for (unsigned s = 0; s < g->shards; s++) {
            lda_call_free(&g->part[i][s].call); /* the answers are used up */
            lda_call_init(&g->part[i][s].call);
        }
    return ok;
}

/* Remove the detectors' cache entries of this run (same host): one per
 * shard called. */
static void forget_cached(const run *g)
{
    char key[65];
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        for (unsigned s = 0; s < g->shards; s++)
            if (g->part[i][s].called &&
                (!lda_param_cache_key(g->part[i][s].fp, &g->params, key) ||
                 lda_cache_forget(g->cfg->var_dir, lda_svcs[i].name,
                                  g->r->request_id, key) < 0))
                lda_log(LDA_WARN, g->r->request_id, "cache entry not removed",
                        json_pack("{s:s,s:s}", "service", lda_svcs[i].name,
                                  "detail", strerror(errno)));
}

/* The aggregator answered 200: completed, or why not. */
static void aggregate_answered(run *g, const lda_call *c, const json_t *j)
{
    const char *st = json_string_value(json_object_get(j, "status"));
    const char *err = json_string_value(json_object_get(j, "error"));
    json_t *m = json_object_get(j, "merged_count");
    g->merged = json_is_integer(m) && json_integer_value(m) > 0
                    ? (uint64_t)json_integer_value(m)
                    : 0;
    g->partial = json_is_true(json_object_get(j, "partial"));
    g->agg_ok = strcmp(st, "completed") == 0;
    if (g->agg_ok)
        return;
    bool dets_ok = true;
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        dets_ok = dets_ok && g->out[i].ok;
    /* validation_failed because of a detector is the detectors' failure;
       anything else is the aggregator's */
    g->agg_failed = strcmp(st, "validation_failed") != 0 || dets_ok;
    snprintf(g->agg_error, sizeof g->agg_error, "%s", err ? err : st);
    log_call_failure(g, c, g->agg_error);
}

/* The aggregator failed: unreachable, refused, or out of disk space. */
static void aggregate_failed(run *g, lda_call *c, const json_t *j)
{
    const char *err = json_string_value(json_object_get(j, "error"));
    g->agg_failed = true;
    if (c->http_status == 507) {
        /* not retried (lda_client): a full disk is said as it is, and the
           run's cache entries go, to give the space back */
        g->disk_full = true;
        snprintf(g->agg_error, sizeof g->agg_error,
                 "the server ran out of disk space");
        log_call_failure(g, c, g->agg_error);
        forget_cached(g);
        return;
    }
    char how[ERR_MAX];
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
    c->service = lda_svcs[LDA_SVC_AGGREGATE].program;
    c->path = lda_svcs[LDA_SVC_AGGREGATE].route;
    c->content_type = LDA_WIRE_AGG_CTYPE;
    c->request_id = g->r->request_id;
    c->trace = &g->r->trace;
    c->body = body.data;
    c->body_len = body.len;
    c->max_response = AGG_MAX_RESPONSE;
    lda_client_policy p = {g->cfg->algorithm_timeout, g->cfg->max_retries,
                           g->cfg->retry_backoff_base};
    lda_client_run(client, &c, 1, &p);
    lda_buf_free(&body);
    json_t *j = c->response.len
                    ? json_loadb(c->response.data, c->response.len, 0, NULL)
                    : NULL;
    if (c->state == LDA_CALL_SUCCESS && c->http_status == 200 &&
        json_is_string(json_object_get(j, "status")))
        aggregate_answered(g, c, j);
    else
        aggregate_failed(g, c, j);
    json_decref(j);
    lda_call_free(c);
}

/* The run's log line: counts and the time of each step. */
static void log_run(const run *g, bool done, json_t *failed)
{
    lda_log(done ? LDA_INFO : LDA_ERROR, g->r->request_id,
            done ? "run completed" : "run failed",
            json_pack("{s:I,s:I,s:I,s:b,s:O,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
                      "event_count", (json_int_t)g->event_count,
                      "rejected_count", (json_int_t)g->rej.count,
                      "aggregated_count", (json_int_t)(done ? g->merged : 0),
                      "partial", done && g->partial, "failed_services", failed,
                      "read_ms", ms_of(g->t0, g->t_read), "parse_ms",
                      ms_of(g->t_read, g->t_parsed), "detect_ms",
                      ms_of(g->t_parsed, g->t_detected), "aggregate_ms",
                      ms_of(g->t_detected, g->t_done), "total_ms",
                      ms_of(g->t0, g->t_done), "layering_ms",
                      (json_int_t)g->call_ms[LDA_SVC_LAYERING], "wash_ms",
                      (json_int_t)g->call_ms[LDA_SVC_WASH]));
}

/* The answer of a run that went through the detectors. */
static bool answer(run *g, lda_answer *out)
{
    lda_req *r = g->r;
    json_t *failed = json_array();
    json_t *services = json_object();
    char error[3 * ERR_MAX + 64];
    size_t el = 0;
    error[0] = '\0';
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        const det_outcome *o = &g->out[i];
        json_object_set_new(services, lda_svcs[i].name,
                            json_pack("{s:s,s:I,s:o,s:I,s:o*}", "status",
                                      o->status, "retry_count",
                                      (json_int_t)o->retry_count, "error",
                                      lda_runrec_str(o->error), "shards",
                                      (json_int_t)g->shards, "shard_retries",
                                      shard_retries_json(g, i)));
        if (!o->ok) {
            json_array_append_new(failed, json_string(lda_svcs[i].name));
            el += (size_t)snprintf(error + el, sizeof error - el, "%s%s: %s",
                                   el ? "; " : "", lda_svcs[i].name, o->error);
        }
    }
    if (g->agg_failed) {
        json_array_append_new(failed, json_string("aggregate"));
        snprintf(error + el, sizeof error - el, "%saggregate: %s",
                 el ? "; " : "", g->agg_error);
    }
    bool done = g->agg_ok;
    json_t *outputs = json_null();
    if (done)
        outputs = outputs_json(r->request_id);
    g->t_done = lda_mono_us();
    log_run(g, done, failed);
    unsigned retries[LDA_SVC_COUNT];
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        retries[i] = g->out[i].retry_count;
    lda_metrics_run(!done        ? LDA_RUN_FAILED
                    : g->partial ? LDA_RUN_PARTIAL
                                 : LDA_RUN_COMPLETED,
                    g->event_count, g->rej.count, retries);
    json_t *j = json_pack(
        "{s:s,s:s,s:I,s:I,s:o,s:I,s:b,s:o,s:o,s:o,s:o}", "request_id",
        r->request_id, "status", done ? "completed" : "failed", "event_count",
        (json_int_t)g->event_count, "rejected_count", (json_int_t)g->rej.count,
        "rejected", lda_runrec_rejected(&g->rej), "aggregated_count",
        (json_int_t)(done ? g->merged : 0), "partial", done && g->partial,
        "failed_services", failed, "services", services, "outputs", outputs,
        "error", lda_runrec_str(error));
    out->status = done ? 200 : g->disk_full ? 507 : 502;
    out->json = j;
    return true;
}

/* A detector its circuit keeps this run from calling. */
static void refused_by_circuit(run *g, int i)
{
    det_outcome *o = &g->out[i];
    snprintf(o->status, sizeof o->status, "circuit_open");
    snprintf(o->error, sizeof o->error,
             "not called: its circuit is open after repeated failures");
    lda_log(LDA_WARN, g->r->request_id, "service not called: circuit open",
            json_pack("{s:s}", "target", lda_svcs[i].name));
}

/* Tell each called detector's circuit how it ended: success, exhausted
 * (a failure), or anything else (the detector reported a failure of its
 * own: it answered, so it counts for nothing). */
static void report_circuits(const run *g)
{
    int64_t now = lda_now_us();
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        const det_outcome *o = &g->out[i];
        lda_breaker_outcome how = o->ok ? LDA_BREAKER_SUCCESS
                                  : strcmp(o->status, "exhausted") == 0
                                      ? LDA_BREAKER_FAILURE
                                      : LDA_BREAKER_OTHER;
        lda_circuit_leave(i, &circuit_policy, g->pass[i], g->entered[i], how,
                          g->r->request_id, now);
    }
}

/* Call every shard of every detector its circuit lets through, all at
 * once (each call retries on its own), and judge each detector. */
static void call_detectors(run *g)
{
    lda_call *calls[LDA_SVC_COUNT * LDA_SHARDS_MAX];
    size_t n = 0;
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        g->entered[i] = lda_now_us();
        g->pass[i] = lda_circuit_enter(i, &circuit_policy, g->r->request_id,
                                       g->entered[i]);
        if (g->pass[i] == LDA_BREAKER_REFUSED) {
            refused_by_circuit(g, i);
            continue;
        }
        for (unsigned s = 0; s < g->shards; s++) {
            det_part *p = &g->part[i][s];
            if (!p->called)
                continue;
            lda_call *c = &p->call;
            c->service = lda_svcs[i].name;
            c->path = g->det_path[i];
            c->content_type = LDA_WIRE_CTYPE;
            c->request_id = g->r->request_id;
            c->trace = &g->r->trace;
            c->fingerprint = p->fp;
            c->body = p->body.data;
            c->body_len = p->body.len;
            c->max_response = DETECT_MAX_RESPONSE;
            c->accept = LDA_WIRE_RES_CTYPE;
            c->on_final = on_detector_final;
            c->on_final_arg = &p->parsed;
            calls[n++] = c;
        }
    }
    lda_client_policy p = {g->cfg->algorithm_timeout, g->cfg->max_retries,
                           g->cfg->retry_backoff_base};
    lda_client_run(client, calls, n, &p);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        for (unsigned s = 0; s < g->shards; s++) {
            det_part *part = &g->part[i][s];
            lda_buf_free(&part->body);
            if (part->called && g->pass[i] != LDA_BREAKER_REFUSED &&
                part->call.elapsed_ms > g->call_ms[i])
                g->call_ms[i] = part->call.elapsed_ms;
        }
        if (g->pass[i] != LDA_BREAKER_REFUSED)
            judge_detector(g, i);
    }
    report_circuits(g);
}

static void run_init(run *g, const lda_config *cfg, lda_req *r)
{
    memset(g, 0, sizeof *g);
    g->cfg = cfg;
    g->r = r;
    g->t0 = r->t_start;
    g->started = lda_now_us();
    g->shards = cfg->shards;
    lda_set_init(&g->set);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        for (unsigned s = 0; s < g->shards; s++) { /* the parts in use */
            det_part *p = &g->part[i][s];
            lda_buf_init(&p->body);
            lda_call_init(&p->call);
            lda_seqlist_init(&p->parsed.seqs);
        }
        lda_seqlist_init(&g->out[i].seqs);
    }
}

static void run_free(run *g)
{
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        for (unsigned s = 0; s < g->shards; s++) {
            det_part *p = &g->part[i][s];
            json_decref(parsed_response(p)); /* joins a parse, if any */
            lda_seqlist_free(&p->parsed.seqs);
            lda_buf_free(&p->body);
            lda_call_free(&p->call);
        }
        lda_seqlist_free(&g->out[i].seqs);
        json_decref(g->out[i].answer);
    }
    lda_set_free(&g->set);
}

static bool orchestrate(const lda_config *cfg, lda_req *r, lda_answer *out,
                        lda_err *e)
{
    static run g; /* large (rejects, calls): off the stack */
    run_init(&g, cfg, r);
    lda_input in;
    bool ok = lda_input_read(cfg, r, &in, e);
    g.params = in.params;
    g.t_read = lda_mono_us();
    if (ok && prepare(&g, &in, out, e)) {
        g.t_parsed = lda_mono_us();
        call_detectors(&g);
        g.t_detected = lda_mono_us();
        aggregate(&g);
        ok = answer(&g, out);
    } else if (ok) {
        free(in.owned);
        ok = e->status == 0; /* stopped with an answer */
    }
    run_free(&g);
    return ok;
}

/* Before the body is read: hold the in-flight lock (see the top), refuse
 * while draining (503) and past the rate limit (429). */
static bool admit(const lda_config *cfg, lda_req *r, lda_err *e)
{
    while (flock(inflight_fd, LOCK_SH) < 0 && errno == EINTR)
        ;
    if (access(draining_path, F_OK) == 0) {
        lda_err_headers(e, "Retry-After: 5\r\n");
        return lda_err_set(e, 503, "the server is shutting down");
    }
    unsigned ra = 0;
    if (cfg->rate_limit_per_minute > 0 &&
        !lda_ratelimit_allow(r->remote_addr, cfg->rate_limit_per_minute,
                             lda_now_us(), &ra)) {
        lda_err_headers(e, "Retry-After: %u\r\n", ra ? ra : 1);
        return lda_err_set(e, 429, "rate limit exceeded");
    }
    return true;
}

/* After the answer has been sent: the run is no longer in flight. */
static void done(const lda_config *cfg, lda_req *r)
{
    (void)cfg;
    (void)r;
    flock(inflight_fd, LOCK_UN);
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
    lda_circuit_policy(cfg, &circuit_policy);
    client = lda_client_new(cfg->internal_url, cfg->internal_api_key);
    if (!client) {
        lda_log(LDA_ERROR, NULL, "cannot initialise the HTTP client", NULL);
        return -1;
    }
    return 0;
}

/* GET /api/params: the nine detection parameters and the server's
 * values (docs/api.md#get-apiparams). */
static bool params_list(const lda_config *cfg, lda_req *r, lda_answer *out,
                        lda_err *e)
{
    (void)r;
    out->json = lda_reqparams_list(&cfg->params);
    return out->json || lda_err_msg(e, LDA_MSG_NOMEM);
}

static const lda_media input_media[] = {
    {"text/csv", LDA_LIMIT_UPLOAD},
    {"multipart/form-data", LDA_LIMIT_UPLOAD},
    {"application/json", LDA_LIMIT_UPLOAD},
    {NULL, 0},
};

static const lda_route routes[] = {
    {"GET", "/api/health", LDA_KEY_NONE, NULL, NULL, NULL, health},
    {"GET", "/api/params", LDA_KEY_USER, NULL, NULL, NULL, params_list},
    {"POST", "/api/orchestrate", LDA_KEY_USER, input_media, admit, done,
     orchestrate},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

int main(void)
{
    lda_service svc = {
        .program = "orchestrate",
        .route = "/api/orchestrate",
        .key = LDA_KEY_USER,
        .routes = routes,
        .start = start,
    };
    int rc = lda_service_main(&svc);
    lda_client_free(client);
    return rc;
}
