/* lda: the in-process runner. `lda INPUT.csv OUTDIR` (INPUT "-": standard
 * input) runs the whole pipeline of docs/input.md, docs/detection.md and
 * docs/reports.md in one process -- parse, group, both detectors, merge,
 * reports -- and writes OUTDIR/suspicious_accounts.csv,
 * OUTDIR/detections.csv, OUTDIR/alerts.json and OUTDIR/run.json, each
 * atomically. It is the
 * reference the server's output is compared with, and the benchmark
 * baseline. `--param name=value` (repeatable) overrides one of the nine
 * detection parameters for this run (lda_param). A gzip input (by its
 * magic bytes) is inflated first, at most MAX_UPLOAD_BYTES of it
 * (lda_gzip). Exit 0 on success, 1 with a one-line reason when the input is
 * unusable, 2 on usage, configuration or I/O errors. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lda_alert.h"
#include "lda_analyse.h"
#include "lda_clock.h"
#include "lda_config.h"
#include "lda_csv.h"
#include "lda_detect.h"
#include "lda_file.h"
#include "lda_fingerprint.h"
#include "lda_gzip.h"
#include "lda_heap.h"
#include "lda_merge.h"
#include "lda_param.h"
#include "lda_pool.h"
#include "lda_random.h"
#include "lda_report.h"
#include "lda_runrec.h"
#include "lda_time.h"

typedef struct run {
    const lda_config *cfg;
    lda_par par; /* LDA_THREADS */
    const char *outdir;
    const char *input_name; /* the input's file name; NULL for stdin */
    lda_set set;
    lda_rejects rej;
    lda_seqlist lay, wash;
    lda_ref *merged;
    size_t nmerged;
    char fingerprint[65];
    int64_t started;
    char error[256];
} run;

static int write_out(const run *r, const char *name, const char *data,
                     size_t len)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", r->outdir, name) >=
            (int)sizeof path ||
        lda_file_write_atomic(path, data, len) < 0) {
        fprintf(stderr, "lda: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_run_json(const run *r, bool ok)
{
    uint64_t alerts[2];
    lda_merge_count(r->merged, r->nmerged, alerts);
    lda_quality q = lda_set_quality(&r->set);
    lda_runrec rec = {
        .status = ok ? "completed" : "failed",
        .started = r->started,
        .finished = lda_now_us(),
        .event_count = {true, r->set.n},
        .rejected_count = {true, r->rej.count},
        .rejected = lda_runrec_rejected(&r->rej),
        .fingerprint = ok ? r->fingerprint : NULL,
        .layering_count = {true, r->lay.n},
        .wash_count = {true, r->wash.n},
        .merged_count = r->nmerged,
        .alerts = {{ok, alerts[0]}, {ok, alerts[1]}},
        .error = ok ? NULL : r->error,
        .input_name = r->input_name,
        .params = &r->cfg->params,
        .quality = &q,
    };
    char *text = rec.rejected ? lda_runrec_text(&rec) : NULL;
    if (!text) {
        fprintf(stderr, "lda: out of memory\n");
        return -1;
    }
    int rc = write_out(r, "run.json", text, strlen(text));
    free(text);
    return rc;
}

/* Parse the input; 0, 1 when unusable (r->error says why), 2 on I/O. */
static int load_input(run *r, const char *path)
{
    lda_filemap in = {0};
    bool from_stdin = strcmp(path, "-") == 0;
    if (from_stdin ? lda_file_read_stream(0, 0, &in.data, &in.len) < 0
                   : lda_file_map(path, 0, &in) < 0) {
        fprintf(stderr, "lda: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    lda_err e;
    lda_err_init(&e);
    if (lda_gzip_magic(in.data, in.len)) { /* a .gz file: by its magic */
        lda_filemap plain = {0};
        size_t cap = (size_t)(r->cfg->max_upload_bytes < SIZE_MAX - 2
                                  ? r->cfg->max_upload_bytes
                                  : SIZE_MAX - 2);
        bool inflated = lda_gzip_inflate(in.data, in.len, cap, &plain.data,
                                         &plain.len, &e);
        lda_file_unmap(&in);
        if (!inflated && e.status == 500) {
            fprintf(stderr, "lda: out of memory\n");
            return 2;
        }
        if (!inflated) { /* corrupt, truncated, too big: unusable */
            snprintf(r->error, sizeof r->error, "%s", e.msg);
            return 1;
        }
        in = plain;
    }
    bool ok = lda_csv_load_par(in.data, in.len, r->cfg->max_events, false,
                               &r->par, &r->set, &r->rej, &e);
    lda_file_unmap(&in);
    snprintf(r->error, sizeof r->error, "%s", e.msg);
    if (!ok && e.status == 500) {
        fprintf(stderr, "lda: out of memory\n");
        return 2;
    }
    return ok ? 0 : 1;
}

static int write_reports(const run *r)
{
    lda_report_opts o = {r->cfg->pseudonymize, r->cfg->salt,
                         r->cfg->salt ? strlen(r->cfg->salt) : 0};
    lda_buf sus, det, alerts;
    lda_buf_init(&sus);
    lda_buf_init(&det);
    lda_buf_init(&alerts);
    int rc = -1;
    if (lda_report_suspicious(r->merged, r->nmerged, &sus) < 0 ||
        lda_report_detections(r->merged, r->nmerged, &o, &det) < 0 ||
        lda_alert_text(r->merged, r->nmerged, &r->cfg->params, &alerts) < 0)
        fprintf(stderr, "lda: out of memory\n");
    else if (write_out(r, "suspicious_accounts.csv", sus.data, sus.len) == 0 &&
             write_out(r, "detections.csv", det.data, det.len) == 0 &&
             write_out(r, "alerts.json", alerts.data, alerts.len) == 0)
        rc = 0;
    lda_buf_free(&sus);
    lda_buf_free(&det);
    lda_buf_free(&alerts);
    return rc;
}

/* Both detectors (over group ranges on par), the merge, and the three
 * reports: 0; 1 when a total is too large to report (r->error says so);
 * 2 on OOM or I/O. */
static int detect_and_report(run *r, const lda_par *par)
{
    const lda_seqlist *lists[2] = {&r->lay, &r->wash};
    if (lda_analyse(&r->set, &r->cfg->params, par, &r->lay, &r->wash) < 0 ||
        lda_merge(lists, 2, &r->merged, &r->nmerged) < 0) {
        fprintf(stderr, "lda: out of memory\n");
        return 2;
    }
    if (!lda_seqlist_reportable(&r->lay) ||
        !lda_seqlist_reportable(&r->wash)) {
        /* as the detectors answer (docs/api.md#detector-answer) */
        snprintf(r->error, sizeof r->error, "a total is too large to report");
        fprintf(stderr, "lda: %s\n", r->error);
        return 1;
    }
    return write_reports(r) == 0 ? 0 : 2;
}

/* What follows the grouping, as jobs on every thread: job 0 is
 * detect_and_report() (its detectors over ranges of groups on half of the
 * threads), the others share the fingerprint (lda_fpwork; only run.json,
 * written last, needs it): one job per thread left, and one more that the
 * thread of job 0 takes when it is done. With one thread they run one
 * after the other. */
typedef struct tail {
    run *r;
    lda_par half; /* detect_and_report()'s */
    lda_fpwork *fp;
    int rc;
} tail;

static void tail_job(void *arg, size_t i)
{
    tail *t = arg;
    if (i == 0)
        t->rc = detect_and_report(t->r, &t->half);
    else if (t->fp)
        lda_fpwork_help(t->fp);
}

/* Group, then tail_job()s, then run.json: 0, 1 or 2 as main returns. */
static int finish_run(run *r)
{
    unsigned n = lda_par_threads(&r->par);
    if (!lda_set_finish_par(&r->set, &r->par)) {
        fprintf(stderr, "lda: out of memory\n");
        return 2;
    }
    tail t = {r, lda_pool_par(n / 2), lda_fpwork_new(&r->set, &r->par), 0};
    lda_par_run(&r->par, 2 + n - n / 2, tail_job, &t);
    bool fp_ok = lda_fpwork_end(t.fp, r->fingerprint) == 0;
    if (!fp_ok && t.rc != 2)
        fprintf(stderr, "lda: out of memory\n");
    if (!fp_ok || t.rc == 2)
        return 2;
    return write_run_json(r, t.rc == 0) == 0 ? t.rc : 2;
}

/* The --param name=value options (docs/api.md#per-run-thresholds) into
 * cfg's params, and the two operands left into pos. 0, or 2 with the
 * reason on standard error. */
static int parse_args(int argc, char **argv, lda_config *cfg,
                      const char *pos[2])
{
    int n = 0;
    char err[256];
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--param") == 0 && i + 1 < argc) {
            const char *nv = argv[++i], *eq = strchr(nv, '=');
            if (!eq) {
                fprintf(stderr, "lda: --param takes name=value\n");
                return 2;
            }
            if (!lda_param_set(&cfg->params, nv, (size_t)(eq - nv), eq + 1,
                               err, sizeof err)) {
                fprintf(stderr, "lda: %s\n", err);
                return 2;
            }
        } else if (n < 2 && strcmp(argv[i], "--param") != 0) {
            pos[n++] = argv[i];
        } else {
            n = 3;
        }
    }
    if (n != 2) {
        fprintf(stderr,
                "usage: lda [--param name=value]... INPUT.csv|- OUTDIR\n");
        return 2;
    }
    return 0;
}

int main(int argc, char **argv)
{
    lda_heap_keep();
    lda_config cfg;
    char err[256];
    if (lda_config_load(&cfg, err, sizeof err) < 0) {
        fprintf(stderr, "lda: %s\n", err);
        return 2;
    }
    const char *pos[2];
    if (parse_args(argc, argv, &cfg, pos) != 0)
        return 2;
    argv[1] = (char *)pos[0]; /* the operands, wherever they were */
    argv[2] = (char *)pos[1];
    lda_random_seed_core();
    const char *slash = strrchr(argv[1], '/');
    run r = {.cfg = &cfg,
             .par = lda_pool_par(cfg.threads),
             .outdir = argv[2],
             .input_name = strcmp(argv[1], "-") == 0 ? NULL
                           : slash                   ? slash + 1
                                                     : argv[1],
             .started = lda_now_us()};
    lda_set_init(&r.set);
    lda_seqlist_init(&r.lay);
    lda_seqlist_init(&r.wash);
    int rc = 2;
    if (lda_file_mkdirs(r.outdir) < 0)
        fprintf(stderr, "lda: cannot create %s: %s\n", r.outdir,
                strerror(errno));
    else if ((rc = load_input(&r, argv[1])) == 1) {
        fprintf(stderr, "lda: %s\n", r.error);
        write_run_json(&r, false);
    } else if (rc == 0)
        rc = finish_run(&r);
    free(r.merged);
    lda_seqlist_free(&r.lay);
    lda_seqlist_free(&r.wash);
    lda_set_free(&r.set);
    return rc;
}
