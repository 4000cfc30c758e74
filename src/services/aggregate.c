/* aggregate.fcgi: the aggregator (docs/api.md#aggregate) and the run downloads
 * (docs/api.md#downloads). It owns $LDA_VAR_DIR/runs/.
 *
 * POST /api/aggregate: decode the docs/api.md#aggregate request (lda_codec;
 * JSON, or the binary form the orchestrator sends), apply the validation rules
 * (every expected service present once with a final status; all successful
 * unless ALLOW_PARTIAL_RESULTS), merge the successful services' sequences in
 * the order [layering, wash_trading] (lda_merge, docs/detection.md#merge),
 * build both reports in memory, then write the run directory:
 * suspicious_accounts.csv, detections.csv, run.json LAST, each atomically
 * (temporary, fsync, rename; the three fsyncs shared, see
 * lda_file_write_parts). A reader can therefore trust a report only once
 * run.json exists, and GET /api/runs/ serves a report only then. A validation
 * failure writes only run.json (status "validation_failed").
 *
 * Runs are immutable (docs/api.md#integrity): the run directory is claimed
 * with a plain mkdir, which only one request can win. A request whose
 * directory exists is never written: with the same event fingerprint it is a
 * replay and is answered from the run's run.json ("replayed": true; the
 * orchestrator may retry after a lost answer), otherwise it is 409. Only
 * INTERNAL_API_KEY opens this route (lda_service, internal_path). A failed
 * write removes whatever this request left (reports, run.json, the directory
 * it claimed) and answers 500 with safe words, or 507 when the disk is full
 * (the orchestrator does not retry that); the detail goes to the log.
 *
 * GET|HEAD /api/runs/<uuid>/<file>: serves the file whole (reports are
 * small next to the input), text/csv as an attachment or run.json as
 * application/json. Only API_KEY opens it, not INTERNAL_API_KEY.
 *
 * GET|HEAD /api/runs?limit=N&before=<id> (docs/api.md#run-history): the
 * run history, newest first, from the index $LDA_VAR_DIR/runs.index
 * (lda_runidx), which this program keeps: a "running" entry when a run
 * directory is claimed, the run's entry (lda_runrec_summary of its
 * run.json) once run.json is written, a removal when a failed write takes
 * the run back or retention removes it (then the index is compacted). A
 * page never looks at the run directories. Same key as the downloads.
 *
 * GET /api/runs/<a>/compare/<b> (docs/api.md#compare-two-runs): the two
 * runs' alerts.json matched on (account_id, product_id, detection_type,
 * detected_timestamp) by lda_compare: {"added": b's alerts not in a,
 * "removed": a's not in b, "unchanged": N}; 404 when a run or its
 * alerts.json is missing. Same key as the downloads.
 *
 * The run's detection parameters are the request's "params" (the
 * orchestrator sends the run's effective values), else the server's. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_clock.h"
#include "lda_alert.h"
#include "lda_codec_agg.h"
#include "lda_compare.h"
#include "lda_failpoint.h"
#include "lda_file.h"
#include "lda_http.h"
#include "lda_log.h"
#include "lda_mem.h"
#include "lda_merge.h"
#include "lda_wire.h"
#include "lda_report.h"
#include "lda_runidx.h"
#include "lda_runrec.h"
#include "lda_service.h"
#include "lda_time.h"
#include "lda_validate.h"

static const char f_sus[] = "suspicious_accounts.csv";
static const char f_det[] = "detections.csv";
static const char f_run[] = "run.json";
static const char f_alerts[] = "alerts.json";
enum { REP_SUS, REP_DET, REP_ALERTS, NREPORTS }; /* files before run.json */
static const char write_error[] = "could not write the run's reports";
static const char disk_error[] =
    "the server ran out of disk space while writing the run's reports";

/* dir/name into out; false when too long. */
static bool join(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < cap;
}

static bool run_dir(const lda_config *cfg, const char *id, char *out,
                    size_t cap)
{
    int n = snprintf(out, cap, "%s/runs/%s", cfg->var_dir, id);
    return n >= 0 && (size_t)n < cap;
}

/* ---- one aggregation ----------------------------------------------- */

typedef struct agg {
    const lda_config *cfg;
    lda_req *r;
    lda_agg_req a;
    int64_t received;
    int64_t t0, t_read, t_parsed, t_merged; /* lda_mono_us(), for the log */
    const char *status; /* "completed" | "validation_failed" */
    bool partial;
    size_t merged;
    uint64_t alerts[2];            /* report rows per type, once merged */
    char error[LDA_AGG_ERROR_MAX]; /* "" = null */
    char dir[PATH_MAX];
    bool claimed;   /* this request created dir */
    bool disk_full; /* a write failed with ENOSPC/EDQUOT */
} agg;

static bool failed(const agg *g, int s)
{
    return g->a.expected[s] && !g->a.res[s].success;
}

static json_t *failed_services(const agg *g)
{
    json_t *arr = json_array();
    for (int s = 0; arr && s < LDA_SVC_COUNT; s++)
        if (failed(g, s) &&
            json_array_append_new(arr, json_string(lda_svcs[s].name)) < 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static json_t *services_json(const agg *g)
{
    json_t *o = json_object();
    for (int s = 0; o && s < LDA_SVC_COUNT; s++) {
        const lda_agg_result *res = &g->a.res[s];
        if (!g->a.expected[s] && !res->present)
            continue;
        json_t *sr = json_array();
        for (unsigned k = 0; sr && k < res->shards; k++)
            if (json_array_append_new(
                    sr, json_integer((json_int_t)res->shard_retries[k]))) {
                json_decref(sr);
                sr = NULL;
            }
        json_t *v = json_pack(
            "{s:s,s:I,s:o,s:I,s:o*}", "status",
            res->present ? res->status : "missing", "retry_count",
            (json_int_t)res->retry_count, "error",
            res->has_error ? json_string(res->error) : json_null(), "shards",
            (json_int_t)res->shards, "shard_retries", sr);
        if (!v || json_object_set_new(o, lda_svcs[s].name, v) < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static void log_errno(agg *g, const char *step, const char *path, int e)
{
    if (e == ENOSPC || e == EDQUOT)
        g->disk_full = true;
    lda_log(LDA_ERROR, g->a.request_id, "run write failed",
            json_pack("{s:s,s:s,s:s}", "step", step, "path", path, "detail",
                      strerror(e)));
}

/* Unlink dir/name; ENOENT is fine. */
static void remove_file(agg *g, const char *name)
{
    char path[PATH_MAX];
    if (join(path, sizeof path, g->dir, name) && unlink(path) < 0 &&
        errno != ENOENT)
        log_errno(g, "cleanup", path, errno);
}

/* Append the history entry of run (its run.json object) to the index;
 * a failure is logged, the run stands. */
static void index_run(const agg *g, const json_t *run)
{
    json_t *entry = run ? lda_runrec_summary(run) : NULL;
    if (!entry || lda_runidx_append(g->cfg->var_dir, entry) < 0)
        lda_log(LDA_WARN, g->a.request_id, "run history not updated",
                json_pack("{s:s}", "detail",
                          entry ? strerror(errno) : "out of memory"));
    json_decref(entry);
}

/* After a failed write: leave no trace of the run this request claimed
 * (never touch a directory it did not create), in the history neither. */
static void remove_run(agg *g)
{
    if (!g->claimed)
        return;
    if (lda_runidx_remove(g->cfg->var_dir, g->a.request_id) < 0)
        lda_log(LDA_WARN, g->a.request_id, "run history not updated",
                json_pack("{s:s}", "detail", strerror(errno)));
    remove_file(g, f_sus);
    remove_file(g, f_det);
    remove_file(g, f_run);
    if (rmdir(g->dir) < 0)
        log_errno(g, "cleanup", g->dir, errno);
    g->claimed = false;
}

/* One write step; failpoint fp makes it fail as ENOSPC. */
static int write_step(agg *g, const char *fp, const char *name,
                      const char *data, size_t len)
{
    char path[PATH_MAX];
    int e;
    if (!join(path, sizeof path, g->dir, name))
        e = ENAMETOOLONG;
    else if (lda_failpoint(fp, g->a.request_id))
        e = ENOSPC;
    /* Each file is fsync'd before its rename; the directory once, after
       run.json, the last rename, which makes all three renames durable. */
    else if (lda_file_write(path, data, len,
                            name == f_run ? LDA_WRITE_FSYNC | LDA_WRITE_DIRSYNC
                                          : LDA_WRITE_FSYNC) == 0)
        return 0;
    else
        e = errno;
    log_errno(g, name, path, e);
    return -1;
}

/* Claim the run directory: 0 created (ours), 1 it exists already, -1
 * failed (logged). */
static int claim_dir(agg *g)
{
    int e;
    if (!run_dir(g->cfg, g->a.request_id, g->dir, sizeof g->dir))
        e = ENAMETOOLONG;
    else if (lda_failpoint("enospc-mkdir", g->a.request_id))
        e = ENOSPC;
    else if (mkdir(g->dir, 0755) == 0) {
        g->claimed = true;
        return 0;
    } else if (errno == EEXIST)
        return 1;
    else
        e = errno;
    log_errno(g, "mkdir", g->dir, e);
    return -1;
}

/* run.json as an object, or NULL (logged) on OOM. finished: false for the
 * entry of a run being written (status "running", no finish time). */
static json_t *run_json(const agg *g, bool finished)
{
    const lda_agg_req *a = &g->a;
    bool done = strcmp(g->status, "completed") == 0;
    const lda_agg_result *lay = &a->res[LDA_SVC_LAYERING];
    const lda_agg_result *wash = &a->res[LDA_SVC_WASH];
    lda_runrec rec = {
        .request_id = a->request_id,
        .status = g->status,
        .partial = g->partial,
        .started = a->has_started ? a->started : g->received,
        .finished = finished ? lda_now_us() : 0,
        .event_count = {a->has_event_count, a->event_count},
        .rejected_count = {a->has_rejected_count, a->rejected_count},
        .rejected = a->rejected ? json_incref(a->rejected) : json_array(),
        .fingerprint = a->fingerprint,
        .layering_count = {done && lay->success, lay->seqs.n},
        .wash_count = {done && wash->success, wash->seqs.n},
        .merged_count = g->merged,
        .alerts = {{done, g->alerts[0]}, {done, g->alerts[1]}},
        .error = g->error,
        .input_name = a->input_name,
        .params = a->has_params ? &a->params : &g->cfg->params,
        .quality = a->has_quality ? &a->quality : NULL,
        .services = services_json(g),
        .failed_services = failed_services(g),
    };
    json_t *j = rec.rejected && rec.services && rec.failed_services
                    ? lda_runrec_json(&rec)
                    : NULL;
    if (!j) {
        json_decref(rec.rejected);
        json_decref(rec.services);
        json_decref(rec.failed_services);
        lda_log(LDA_ERROR, g->a.request_id, "out of memory", NULL);
    }
    return j;
}

/* run.json's text (malloc'd), or NULL (logged) on OOM. */
static char *run_json_text(const json_t *run)
{
    char *text = lda_runrec_dumps(run);
    if (run && !text)
        lda_log(LDA_ERROR, NULL, "out of memory", NULL);
    return text;
}

/* The run is claimed: it shows in the history as "running". */
static void index_claimed(agg *g)
{
    const char *status = g->status;
    g->status = "running";
    json_t *run = run_json(g, false);
    g->status = status;
    index_run(g, run);
    json_decref(run);
}

static int write_run_json(agg *g)
{
    json_t *run = run_json(g, true);
    char *text = run_json_text(run);
    int rc = text ? write_step(g, "enospc-runjson", f_run, text, strlen(text))
                  : -1;
    if (rc == 0)
        index_run(g, run);
    free(text);
    json_decref(run);
    return rc;
}

/* A completed run's files in one lda_file_write_parts batch (one shared
 * journal commit instead of one per file), run.json renamed last. The
 * failpoints of the write steps are checked first, in order. */
static int write_reports(agg *g, const lda_buf rep[NREPORTS])
{
    static const char *const fps[NREPORTS + 1] = {
        "enospc-suspicious", "enospc-detections", "enospc-alerts",
        "enospc-runjson"};
    const char *const names[NREPORTS + 1] = {f_sus, f_det, f_alerts, f_run};
    char paths[NREPORTS + 1][PATH_MAX];
    json_t *run = run_json(g, true);
    char *text = run_json_text(run);
    if (!text) {
        json_decref(run);
        return -1;
    }
    lda_file_part parts[NREPORTS + 1];
    int rc = 0;
    for (int i = 0; i <= NREPORTS && rc == 0; i++) {
        parts[i] = i < NREPORTS
                       ? (lda_file_part){paths[i], rep[i].data, rep[i].len}
                       : (lda_file_part){paths[i], text, strlen(text)};
        int e = !join(paths[i], sizeof paths[i], g->dir, names[i])
                    ? ENAMETOOLONG
                : lda_failpoint(fps[i], g->a.request_id) ? ENOSPC
                                                         : 0;
        if (e) {
            log_errno(g, names[i], paths[i], e);
            rc = -1;
        }
    }
    size_t bad = 0;
    if (rc == 0 && lda_file_write_parts(parts, NREPORTS + 1, &bad) < 0) {
        log_errno(g, names[bad], paths[bad], errno);
        rc = -1;
    }
    if (rc == 0)
        index_run(g, run);
    free(text);
    json_decref(run);
    return rc;
}

/* Merge the successful services and build the reports. -1 on OOM. */
static int build_reports(agg *g, lda_buf rep[NREPORTS])
{
    const lda_seqlist *lists[LDA_SVC_COUNT];
    size_t n = 0;
    for (int s = 0; s < LDA_SVC_COUNT; s++)
        if (g->a.expected[s] && g->a.res[s].success)
            lists[n++] = &g->a.res[s].seqs;
    lda_ref *refs = NULL;
    size_t nrefs = 0;
    const lda_config *c = g->cfg;
    lda_report_opts o = {c->pseudonymize, c->salt,
                         c->salt ? strlen(c->salt) : 0};
    int rc = -1;
    if (lda_merge(lists, n, &refs, &nrefs) == 0 &&
        lda_report_suspicious(refs, nrefs, &rep[REP_SUS]) == 0 &&
        lda_report_detections(refs, nrefs, &o, &rep[REP_DET]) == 0 &&
        lda_alert_text(refs, nrefs,
                       g->a.has_params ? &g->a.params : &c->params,
                       &rep[REP_ALERTS]) == 0)
        rc = 0;
    g->merged = nrefs;
    if (refs)
        lda_merge_count(refs, nrefs, g->alerts);
    free(refs);
    return rc;
}

/* The docs/api.md#aggregate rules past the codec's own checks: success unless
 * partial. */
static void check_success(agg *g)
{
    if (g->a.invalid[0])
        return;
    char names[64] = "";
    size_t nfail = 0, nok = 0;
    for (int s = 0; s < LDA_SVC_COUNT; s++) {
        if (!g->a.expected[s])
            continue;
        if (g->a.res[s].success) {
            nok++;
            continue;
        }
        size_t k = strlen(names);
        snprintf(names + k, sizeof names - k, "%s%s", nfail ? ", " : "",
                 lda_svcs[s].name);
        nfail++;
    }
    if (nfail && !g->cfg->allow_partial)
        snprintf(g->a.invalid, sizeof g->a.invalid,
                 "service%s not successful: %s (partial results are not "
                 "allowed)",
                 nfail > 1 ? "s" : "", names);
    else if (nok == 0)
        snprintf(g->a.invalid, sizeof g->a.invalid,
                 "no service was successful");
    else
        g->partial = nfail > 0;
}

/* The aggregator's answer: the run's status, as docs/api.md shows it. */
static bool answer_result(agg *g, int status, lda_answer *out)
{
    out->status = status;
    out->json = json_pack("{s:s,s:s,s:I,s:o,s:b,s:o}", "request_id",
                          g->a.request_id, "status", g->status, "merged_count",
                          (json_int_t)g->merged, "failed_services",
                          failed_services(g), "partial", g->partial, "error",
                          lda_runrec_str(g->error));
    return true;
}

/* A write failed: nothing of the run stays; 507 when the disk is full. */
static bool write_failure(agg *g, lda_answer *out)
{
    remove_run(g);
    g->status = "failed";
    g->partial = false;
    g->merged = 0;
    snprintf(g->error, sizeof g->error, "%s",
             g->disk_full ? disk_error : write_error);
    return answer_result(g, g->disk_full ? 507 : 500, out);
}

static bool validation_failed(agg *g, lda_answer *out)
{
    g->status = "validation_failed";
    g->partial = false;
    g->merged = 0;
    snprintf(g->error, sizeof g->error, "%s", g->a.invalid);
    lda_log(LDA_WARN, g->a.request_id, "aggregate validation failed",
            json_pack("{s:s}", "error", g->error));
    if (write_run_json(g) < 0)
        return write_failure(g, out);
    return answer_result(g, 200, out);
}

/* The run exists: a replay of the same events is answered from its
 * run.json (nothing is written), anything else is 409. */
static bool existing_run(agg *g, lda_answer *out, lda_err *e)
{
    char path[PATH_MAX];
    char *text = NULL;
    size_t len = 0;
    json_t *j = NULL;
    if (join(path, sizeof path, g->dir, f_run) &&
        lda_file_read(path, 0, &text, &len) == 0)
        j = json_loadb(text, len, 0, NULL);
    free(text);
    const char *fp = json_string_value(json_object_get(j, "fingerprint"));
    const char *st = json_string_value(json_object_get(j, "status"));
    if (!fp || !st || !g->a.fingerprint[0] ||
        strcmp(fp, g->a.fingerprint) != 0) {
        lda_log(LDA_WARN, g->a.request_id, "aggregate refused: run exists",
                json_pack("{s:b}", "readable", j != NULL));
        json_decref(j);
        return lda_err_set(e, 409, "%s",
                           j ? "a run with this request id already exists "
                               "with other events"
                             : "a run with this request id is being "
                               "written");
    }
    json_t *nul = json_null();
    json_t *m = json_object_get(j, "merged_count");
    json_t *fs = json_object_get(j, "failed_services");
    json_t *er = json_object_get(j, "error");
    out->json = json_pack("{s:s,s:s,s:I,s:O,s:b,s:O,s:b}", "request_id",
                          g->a.request_id, "status", st, "merged_count",
                          json_is_integer(m) ? json_integer_value(m)
                                             : (json_int_t)0,
                          "failed_services", fs ? fs : nul, "partial",
                          json_is_true(json_object_get(j, "partial")), "error",
                          er ? er : nul, "replayed", 1);
    json_decref(j);
    lda_log(LDA_INFO, g->a.request_id, "aggregate replayed", NULL);
    return true;
}

static void log_completed(const agg *g)
{
    json_t *fs = failed_services(g);
    int64_t now = lda_mono_us();
    lda_log(LDA_INFO, g->a.request_id, "aggregated",
            json_pack("{s:I,s:b,s:o,s:I,s:I,s:I,s:I}", "merged_count",
                      (json_int_t)g->merged, "partial", g->partial,
                      "failed_services", fs ? fs : json_null(), "read_ms",
                      (json_int_t)((g->t_read - g->t0) / 1000), "parse_ms",
                      (json_int_t)((g->t_parsed - g->t_read) / 1000),
                      "merge_ms",
                      (json_int_t)((g->t_merged - g->t_parsed) / 1000),
                      "write_ms", (json_int_t)((now - g->t_merged) / 1000)));
}

static bool complete(agg *g, lda_answer *out, lda_err *e)
{
    lda_buf rep[NREPORTS];
    for (int i = 0; i < NREPORTS; i++)
        lda_buf_init(&rep[i]);
    g->status = "completed";
    bool ok;
    if (build_reports(g, rep) < 0) {
        lda_log(LDA_ERROR, g->a.request_id, "out of memory", NULL);
        ok = lda_err_msg(e, LDA_MSG_NOMEM);
    } else if ((g->t_merged = lda_mono_us()) < 0 ||
               write_reports(g, rep) < 0) {
        ok = write_failure(g, out);
    } else {
        log_completed(g);
        ok = answer_result(g, 200, out);
    }
    for (int i = 0; i < NREPORTS; i++)
        lda_buf_free(&rep[i]);
    return ok;
}

/* Parse: the request in either form into g->a. */
static bool parse(const lda_req *r, agg *g, lda_err *e)
{
    if (lda_http_ctype_is(r->content_type, LDA_WIRE_AGG_CTYPE))
        return lda_codec_agg_req_from_bin(r->body, r->body_len, &g->a, e);
    json_error_t jerr;
    json_t *root = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES,
                              &jerr);
    if (!root)
        return lda_err_set(e, 400, "invalid JSON (line %d, column %d)",
                           jerr.line, jerr.column);
    bool ok = lda_codec_agg_req_from_json(root, &g->a, e);
    json_decref(root);
    return ok;
}

/* Act: claim the run and write it, or answer from the one that exists. */
static bool act(agg *g, lda_answer *out, lda_err *e)
{
    check_success(g);
    int c = claim_dir(g);
    if (c < 0)
        return write_failure(g, out);
    if (c > 0)
        return existing_run(g, out, e);
    index_claimed(g);
    if (g->a.invalid[0])
        return validation_failed(g, out);
    return complete(g, out, e);
}

static bool aggregate(const lda_config *cfg, lda_req *r, lda_answer *out,
                      lda_err *e)
{
    static agg g; /* PATH_MAX and error buffers: keep off the stack */
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    g.received = lda_now_us();
    g.t0 = r->t_start;
    g.t_read = r->t_body;
    lda_codec_agg_req_init(&g.a);
    bool ok = parse(r, &g, e);
    free(r->body); /* decoded: the body is not needed */
    r->body = NULL;
    g.t_parsed = lda_mono_us();
    if (!ok && e->status == 400)
        lda_log(LDA_WARN, r->request_id, "bad aggregate request",
                json_pack("{s:s}", "error", e->msg));
    else if (!ok)
        lda_log(LDA_ERROR, r->request_id, "out of memory", NULL);
    if (ok) {
        memcpy(r->request_id, g.a.request_id, 37);
        ok = act(&g, out, e);
    }
    lda_codec_agg_req_free(&g.a);
    return ok;
}

/* ---- compare -------------------------------------------------------- */

static const char compare_seg[] = "/compare/";

/* "/api/runs/<a>/compare/<b>": the two ids, lowercased. 0 when path is
 * not of that shape (another runs path), 1 when it is, -1 (e 400) when it
 * is but an id is not a request id. */
static int compare_path(const char *path, char a[37], char b[37], lda_err *e)
{
    static const char prefix[] = "/api/runs/";
    size_t pl = sizeof prefix - 1, cl = sizeof compare_seg - 1;
    if (strncmp(path, prefix, pl) != 0)
        return 0;
    const char *p = path + pl, *slash = strchr(p, '/');
    if (!slash || strncmp(slash, compare_seg, cl) != 0)
        return 0;
    const char *q = slash + cl;
    if (lda_valid_request_id(p, (size_t)(slash - p)) ||
        lda_valid_request_id(q, strlen(q))) {
        lda_err_set(e, 400, "run id must be a UUID");
        return -1;
    }
    lda_valid_uuid_lower(p, a);
    lda_valid_uuid_lower(q, b);
    return 1;
}

/* Run id's alerts.json, parsed, once its run.json exists; NULL with e
 * (404 no run or no alerts.json, 500 unreadable or not an array of
 * alerts). */
static json_t *load_alerts(const lda_config *cfg, const char *id, lda_err *e)
{
    char dir[PATH_MAX], runjson[PATH_MAX], path[PATH_MAX];
    struct stat st;
    if (!run_dir(cfg, id, dir, sizeof dir) ||
        !join(runjson, sizeof runjson, dir, f_run) ||
        !join(path, sizeof path, dir, f_alerts) || stat(runjson, &st) < 0) {
        lda_err_set(e, 404, "run not found: %s", id);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    if (lda_file_read(path, 0, &text, &len) < 0) {
        if (errno == ENOENT)
            lda_err_set(e, 404, "run %s has no alerts.json", id);
        else {
            lda_err_detail(e, "cannot read %s: %s", path, strerror(errno));
            lda_err_set(e, 500, "could not read the file");
        }
        return NULL;
    }
    json_t *j = json_loadb(text, len, 0, NULL);
    free(text);
    if (!json_is_array(j)) {
        json_decref(j);
        lda_err_detail(e, "%s is not a JSON array", path);
        lda_err_set(e, 500, "could not read the file");
        return NULL;
    }
    return j;
}

/* The identities of the alerts of l into ids; false when one is not an
 * object with the four texts. */
static bool alert_ids(const json_t *l, lda_alert_id *ids)
{
    static const char *const keys[4] = {
        "account_id", "product_id", "detection_type", "detected_timestamp"};
    for (size_t i = 0; i < json_array_size(l); i++)
        for (int k = 0; k < 4; k++) {
            ids[i].part[k] = json_string_value(
                json_object_get(json_array_get(l, i), keys[k]));
            if (!ids[i].part[k])
                return false;
        }
    return true;
}

/* The alerts of l not matched, in l's order. NULL on OOM. */
static json_t *unmatched(const json_t *l, const bool *matched)
{
    json_t *out = json_array();
    for (size_t i = 0; out && i < json_array_size(l); i++)
        if (!matched[i] && json_array_append(out, json_array_get(l, i)) < 0) {
            json_decref(out);
            out = NULL;
        }
    return out;
}

/* {"added","removed","unchanged"} of alert lists la (run a), lb (run b);
 * NULL with e on OOM or a malformed alert (500). */
static json_t *compare_lists(const json_t *la, const json_t *lb, lda_err *e)
{
    size_t na = json_array_size(la), nb = json_array_size(lb), same = 0;
    lda_alert_id *ids = malloc((na + nb + 1) * sizeof *ids);
    bool *m = malloc(na + nb + 1);
    json_t *res = NULL;
    if (!ids || !m)
        lda_err_msg(e, LDA_MSG_NOMEM);
    else if (!alert_ids(la, ids) || !alert_ids(lb, ids + na)) {
        lda_err_detail(e, "an alert without its identity");
        lda_err_set(e, 500, "could not read the file");
    } else if (lda_compare_alerts(ids, na, ids + na, nb, m, m + na, &same) < 0)
        lda_err_msg(e, LDA_MSG_NOMEM);
    else if (!(res = json_pack("{s:o,s:o,s:I}", "added", unmatched(lb, m + na),
                               "removed", unmatched(la, m), "unchanged",
                               (json_int_t)same)))
        lda_err_msg(e, LDA_MSG_NOMEM);
    free(ids);
    free(m);
    return res;
}

/* GET /api/runs/<a>/compare/<b> (docs/api.md#compare-two-runs): b's
 * alerts not in a (added), a's not in b (removed), and how many are in
 * both, matched on their identity (lda_compare). */
static bool compare(const lda_config *cfg, const char *a, const char *b,
                    lda_answer *out, lda_err *e)
{
    json_t *la = load_alerts(cfg, a, e);
    json_t *lb = la ? load_alerts(cfg, b, e) : NULL;
    if (lb)
        out->json = compare_lists(la, lb, e);
    json_decref(la);
    json_decref(lb);
    return out->json != NULL;
}

/* ---- downloads ------------------------------------------------------ */

/* GET|HEAD /api/runs/<id>/<file>: the file whole, once run.json exists. */
static bool runs(const lda_config *cfg, lda_req *r, lda_answer *out,
                 lda_err *e)
{
    char id[37], other[37];
    const char *file = NULL;
    int cmp = compare_path(r->path, id, other, e);
    if (cmp != 0)
        return cmp > 0 && compare(cfg, id, other, out, e);
    if (!lda_valid_runs_path(r->path, id, &file, e))
        return false;
    char dir[PATH_MAX], runjson[PATH_MAX], path[PATH_MAX];
    struct stat st;
    /* A report counts only once its run.json exists (written last). */
    if (!run_dir(cfg, id, dir, sizeof dir) ||
        !join(runjson, sizeof runjson, dir, f_run) ||
        !join(path, sizeof path, dir, file) || stat(runjson, &st) < 0)
        return lda_err_set(e, 404, "run not found");
    if (lda_file_read(path, 0, &out->body, &out->len) < 0) {
        if (errno == ENOENT)
            return lda_err_set(e, 404, "file not found for this run");
        lda_err_detail(e, "cannot read %s: %s", path, strerror(errno));
        return lda_err_set(e, 500, "could not read the file");
    }
    if (strcmp(file, f_run) == 0 || strcmp(file, f_alerts) == 0) {
        out->ctype = "application/json";
    } else {
        out->ctype = "text/csv; charset=utf-8";
        snprintf(out->headers, sizeof out->headers,
                 "Content-Disposition: attachment; filename=\"%s\"\r\n", file);
    }
    return true;
}

/* ---- history -------------------------------------------------------- */

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 1000

/* Every parameter of q is limit or before; false (400) otherwise. */
static bool known_params(const char *q, lda_err *e)
{
    lda_query_pair p;
    while (lda_http_query_next(&q, &p))
        if (!p.value ||
            !((p.name_len == 5 && memcmp(p.name, "limit", 5) == 0) ||
              (p.name_len == 6 && memcmp(p.name, "before", 6) == 0)))
            return lda_err_set(e, 400,
                               "unknown query parameter (only limit and "
                               "before are taken)");
    return true;
}

/* GET /api/runs?limit=N&before=<id>: the history, newest first, from the
 * index (lda_runidx): never a look at the run directories. */
static bool history(const lda_config *cfg, lda_req *r, lda_answer *out,
                    lda_err *e)
{
    const char *q = lda_http_param(r, "QUERY_STRING");
    char lim[16], bef[40], before[37];
    size_t limit = HISTORY_DEFAULT;
    if (!known_params(q, e))
        return false;
    int hl = lda_http_query_param(q, "limit", lim, sizeof lim);
    if (hl < 0)
        return lda_err_set(e, 400,
                           "limit must be a whole number from 1 to "
                           "1000, given once");
    if (hl > 0) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(lim, &end, 10);
        if (!isdigit((unsigned char)lim[0]) || *end || errno || v < 1 ||
            v > HISTORY_MAX)
            return lda_err_set(e, 400,
                               "limit must be a whole number from 1 "
                               "to 1000, given once");
        limit = (size_t)v;
    }
    int hb = lda_http_query_param(q, "before", bef, sizeof bef);
    if (hb < 0 || (hb > 0 && lda_valid_request_id(bef, strlen(bef))))
        return lda_err_set(e, 400,
                           "before must be a run id (a version-4 "
                           "UUID), given once");
    if (hb > 0)
        lda_valid_uuid_lower(bef, before);
    lda_buf page;
    lda_buf_init(&page);
    int rc = lda_runidx_list(cfg->var_dir, hb > 0 ? before : NULL, limit,
                             &page);
    if (rc == 0) {
        out->body = lda_buf_take(&page, &out->len);
        out->ctype = "application/json";
        return true;
    }
    lda_buf_free(&page);
    if (rc > 0)
        return lda_err_set(e, 404, "before: no such run in the history");
    lda_err_detail(e, "run history unreadable: %s", strerror(errno));
    return lda_err_set(e, 500, "could not read the run history");
}

/* ---- retention ------------------------------------------------------ */

#define ABANDONED_S 86400 /* a run directory without run.json */

/* Remove the run directory name of dirfd runs (its files, then itself).
 * True when it is gone. */
static bool remove_run_dir(int runs, const char *name)
{
    int fd = openat(runs, name,
                    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    if (!d) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(dirfd(d), e->d_name, 0);
    closedir(d);
    if (unlinkat(runs, name, AT_REMOVEDIR) == 0)
        return true;
    lda_log(LDA_WARN, NULL, "retention: run not removed",
            json_pack("{s:s,s:s}", "run", name, "detail", strerror(errno)));
    return false;
}

/* RUN_RETENTION_DAYS: remove runs whose run.json is older than that, and
 * directories without run.json (a crashed write) older than a day. Only
 * direct subdirectories named by a UUID are looked at; links are never
 * followed. Returns how many runs were removed. */
static size_t sweep_runs(const lda_config *cfg)
{
    if (cfg->run_retention_days == 0)
        return 0;
    char dir[PATH_MAX];
    int k = snprintf(dir, sizeof dir, "%s/runs", cfg->var_dir);
    DIR *d = k < 0 || (size_t)k >= sizeof dir ? NULL : opendir(dir);
    if (!d)
        return 0;
    time_t now = (time_t)(lda_now_us() / 1000000);
    uint64_t keep = cfg->run_retention_days * 86400;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat ds, rs;
        char rj[NAME_MAX + 16];
        if (!lda_valid_uuid(e->d_name, strlen(e->d_name)) ||
            fstatat(dirfd(d), e->d_name, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(ds.st_mode))
            continue;
        snprintf(rj, sizeof rj, "%s/%s", e->d_name, f_run);
        bool has_run = fstatat(dirfd(d), rj, &rs, AT_SYMLINK_NOFOLLOW) == 0;
        const struct stat *st = has_run ? &rs : &ds;
        uint64_t limit = has_run ? keep : ABANDONED_S;
        if (now > st->st_mtime && (uint64_t)(now - st->st_mtime) >= limit &&
            remove_run_dir(dirfd(d), e->d_name)) {
            n++;
            if (lda_runidx_remove(cfg->var_dir, e->d_name) < 0)
                lda_log(LDA_WARN, e->d_name, "run history not updated",
                        json_pack("{s:s}", "detail", strerror(errno)));
        }
    }
    closedir(d);
    /* the removals drop out of the index, with every superseded record */
    if (n && lda_runidx_compact(cfg->var_dir) < 0)
        lda_log(LDA_WARN, NULL, "run history not compacted",
                json_pack("{s:s}", "detail", strerror(errno)));
    return n;
}

/* ---- program -------------------------------------------------------- */

typedef struct dated {
    int64_t t; /* finished, else started */
    json_t *entry;
} dated;

static int dated_cmp(const void *pa, const void *pb)
{
    const dated *a = pa, *b = pb;
    return (a->t > b->t) - (a->t < b->t);
}

/* When the history is indexed for the first time (a var dir from before
 * the index): the entry of every run that has a run.json, oldest first.
 * Once, at start, by the process that creates the index. */
static json_t *existing_entries(void *arg)
{
    const lda_config *cfg = arg;
    char dir[PATH_MAX];
    int k = snprintf(dir, sizeof dir, "%s/runs", cfg->var_dir);
    DIR *d = k < 0 || (size_t)k >= sizeof dir ? NULL : opendir(dir);
    dated *v = NULL;
    size_t n = 0, cap = 0;
    bool oom = false;
    struct dirent *e;
    while (d && !oom && (e = readdir(d))) {
        char rj[PATH_MAX], *text = NULL;
        size_t len;
        struct stat ds;
        if (!lda_valid_uuid(e->d_name, strlen(e->d_name)) ||
            fstatat(dirfd(d), e->d_name, &ds, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISDIR(ds.st_mode))
            continue;
        int m = snprintf(rj, sizeof rj, "%s/%s/%s", dir, e->d_name, f_run);
        json_t *run = m > 0 && (size_t)m < sizeof rj &&
                              lda_file_read(rj, (size_t)1 << 24, &text,
                                            &len) == 0
                          ? json_loadb(text, len, 0, NULL)
                          : NULL;
        free(text);
        json_t *entry = json_is_object(run) ? lda_runrec_summary(run) : NULL;
        const char *t = json_string_value(json_object_get(run, "finished"));
        if (!t)
            t = json_string_value(json_object_get(run, "started"));
        dated one = {0, entry};
        if (entry && (!t || !lda_time_parse(t, strlen(t), &one.t)))
            one.t = 0;
        if (entry && !lda_mem_grow((void **)&v, &cap, sizeof *v, n + 1)) {
            json_decref(entry);
            oom = true;
        } else if (entry)
            v[n++] = one;
        json_decref(run);
    }
    if (d)
        closedir(d);
    if (n)
        qsort(v, n, sizeof *v, dated_cmp);
    json_t *all = oom ? NULL : json_array();
    for (size_t i = 0; i < n; i++)
        if (all && json_array_append(all, v[i].entry) < 0) {
            json_decref(all);
            all = NULL;
        }
    for (size_t i = 0; i < n; i++)
        json_decref(v[i].entry);
    free(v);
    if (!all)
        errno = ENOMEM;
    return all;
}

static int start(const lda_config *cfg)
{
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s/runs", cfg->var_dir);
    if (n < 0 || (size_t)n >= sizeof dir || lda_file_mkdirs(dir) < 0) {
        lda_log(LDA_ERROR, NULL, "cannot create the runs directory",
                json_pack("{s:s,s:s}", "path", cfg->var_dir, "detail",
                          strerror(errno)));
        return -1;
    }
    /* a var dir from before the history: index the runs it has, once */
    if (lda_runidx_init(cfg->var_dir, existing_entries, (void *)cfg) < 0)
        lda_log(LDA_WARN, NULL, "run history not created",
                json_pack("{s:s}", "detail", strerror(errno)));
    return 0;
}

static const lda_media agg_media[] = {
    {"application/json", LDA_LIMIT_JSON},
    {LDA_WIRE_AGG_CTYPE, LDA_LIMIT_INTERNAL},
    {NULL, 0},
};

static const lda_route routes[] = {
    {"POST", "/api/aggregate", LDA_KEY_INTERNAL, agg_media, NULL, NULL,
     aggregate},
    {"GET", "/api/runs", LDA_KEY_USER, NULL, NULL, NULL, history},
    {"GET", "/api/runs/", LDA_KEY_USER, NULL, NULL, NULL, runs},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

int main(void)
{
    static const lda_service svc = {
        .program = "aggregate",
        .route = "/api/aggregate",
        .key = LDA_KEY_USER,
        .routes = routes,
        .start = start,
        .sweep = sweep_runs,
        .sweep_what = "runs",
    };
    return lda_service_main(&svc);
}
