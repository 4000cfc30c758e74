/* lda_runrec: the run record, run.json, built in one place for build/lda
 * and the aggregator, and the JSON pieces the programs share with it: the
 * rejected-rows array of an answer and optional strings. The record is
 * written with sorted keys and two-space indentation; its keys are
 * documented in docs/reports.md#runjson. */
#ifndef LDA_RUNREC_H
#define LDA_RUNREC_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "lda_csv.h"

/* A count that may be unknown (written as null). */
typedef struct lda_count {
    bool known;
    uint64_t n;
} lda_count;

typedef struct lda_runrec {
    const char *request_id; /* NULL: null (build/lda has none) */
    const char *status;     /* "completed", "failed", ... */
    bool partial;
    int64_t started, finished; /* microseconds UTC */
    lda_count event_count, rejected_count;
    json_t *rejected;        /* [{"row","reason"}] (stolen); NULL: [] */
    const char *fingerprint; /* NULL or "": null */
    lda_count layering_count, wash_count;
    uint64_t merged_count;
    const char *error;       /* NULL or "": null */
    json_t *services;        /* stolen; NULL: no "services" key */
    json_t *failed_services; /* stolen; NULL: no "failed_services" key */
} lda_runrec;

/* run.json's text (malloc'd, NUL-terminated), or NULL on OOM. Takes the
 * references r holds either way. */
char *lda_runrec_text(lda_runrec *r);
/* The rejected rows kept by the loader: [{"row": n, "reason": "..."}]. */
json_t *lda_runrec_rejected(const lda_rejects *rej);
/* s as a JSON string, or null when s is NULL or "". */
json_t *lda_runrec_str(const char *s);
#endif
