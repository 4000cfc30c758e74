/* lda_merge: docs/detection.md#merge. Collapses overlapping sequences of one
 * (account, product, detection_type) onto the earliest and orders the kept
 * ones for the reports. Deterministic: ties fall back to the position of a
 * sequence in its list, then to the list's position in the input. */
#ifndef LDA_MERGE_H
#define LDA_MERGE_H
#include <stddef.h>
#include <stdint.h>
#include "lda_seq.h"

typedef struct lda_ref {
    const lda_seqlist *list;
    const lda_seq *seq;
} lda_ref;

/* Merge the sequences of lists[0..nlists). On success (0) *out is a malloc'd
 * array of *nout references in report order (caller frees); -1 on OOM. */
int lda_merge(const lda_seqlist *const *lists, size_t nlists, lda_ref **out,
              size_t *nout);

/* Step 2 of the merge for the sequences of ONE (account, product, type)
 * as their detector emitted them, v[0..n) (the detectors use it to give
 * evidence only to what the merge will keep): keep[i] is set when the
 * merge keeps v[i]. span is scratch room for n entries. */
typedef struct lda_span {
    int64_t start, end;
    size_t i;
} lda_span;
void lda_merge_keep(const lda_seq *v, size_t n, lda_span *span, bool *keep);

/* The report rows of refs[0..n) per detection type: out[LDA_LAYERING],
 * out[LDA_WASH] (run.json "alerts"). */
void lda_merge_count(const lda_ref *refs, size_t n, uint64_t out[2]);

#endif
