/* lda_runrec: the run record, run.json, built in one place for build/lda
 * and the aggregator, and the JSON pieces the programs share with it: the
 * rejected-rows array of an answer, optional strings, the data-quality
 * figures and the detection parameters, and the run's history entry
 * (GET /api/runs, lda_runidx). The record is written with sorted keys and
 * two-space indentation; its keys are documented in docs/reports.md#runjson. */
#ifndef LDA_RUNREC_H
#define LDA_RUNREC_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "lda_csv.h"
#include "lda_detect.h"
#include "lda_quality.h"

/* A count that may be unknown (written as null). */
typedef struct lda_count {
    bool known;
    uint64_t n;
} lda_count;

typedef struct lda_runrec {
    const char *request_id; /* NULL: null (build/lda has none) */
    const char *status;     /* "completed", "failed", ... */
    bool partial;
    int64_t started, finished; /* microseconds UTC; finished 0: null */
    lda_count event_count, rejected_count;
    json_t *rejected;        /* [{"row","reason"}] (stolen); NULL: [] */
    const char *fingerprint; /* NULL or "": null */
    lda_count layering_count, wash_count;
    uint64_t merged_count;
    lda_count alerts[2];        /* report rows per type (LDA_LAYERING, ..) */
    const char *error;          /* NULL or "": null */
    const char *input_name;     /* NULL or "": null */
    const lda_params *params;   /* NULL: null */
    const lda_quality *quality; /* NULL: no "data_quality" key */
    json_t *services;           /* stolen; NULL: no "services" key */
    json_t *failed_services;    /* stolen; NULL: no "failed_services" key */
} lda_runrec;

/* run.json as a JSON object, or NULL on OOM. Takes the references r holds
 * either way. */
json_t *lda_runrec_json(lda_runrec *r);
/* run.json's text (malloc'd, NUL-terminated), or NULL on OOM. Takes the
 * references r holds either way. */
char *lda_runrec_text(lda_runrec *r);
/* The text of a run.json object as run.json is written (sorted keys,
 * two-space indentation); NULL when run is NULL or on OOM. */
char *lda_runrec_dumps(const json_t *run);
/* The history entry of a run (docs/api.md#run-history) from its run.json
 * object: request_id, status, started, finished, event_count,
 * rejected_count, alerts, params, input_name (absent members: null). A
 * new object, or NULL on OOM. */
json_t *lda_runrec_summary(const json_t *run);
/* The rejected rows kept by the loader: [{"row": n, "reason": "..."}]. */
json_t *lda_runrec_rejected(const lda_rejects *rej);
/* s as a JSON string, or null when s is NULL or "". */
json_t *lda_runrec_str(const char *s);
/* run.json's "data_quality" object (docs/reports.md#data-quality): the
 * aggregate request carries the same object. NULL on OOM. */
json_t *lda_runrec_quality(const lda_quality *q);
/* run.json's "params": the nine detection variables of docs/config.md in
 * lower case, windows in seconds. NULL on OOM. */
json_t *lda_runrec_params(const lda_params *p);
#endif
