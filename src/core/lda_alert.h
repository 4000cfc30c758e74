/* lda_alert: alerts.json (docs/reports.md#alerts), the evidence behind each
 * row of suspicious_accounts.csv.
 *
 * One object per merged sequence, in report order: the ids (raw), the
 * detection type, the detected timestamp (report text), the input record
 * numbers of the events behind it and the evidence clauses, one per rule
 * of docs/detection.md the alert met, each with what was observed and the
 * threshold of the run's parameters. Records and the observations behind
 * the clauses come from the detectors (lda_seq has_ev); a sequence without
 * them (an aggregate request that did not carry them) has empty lists. */
#ifndef LDA_ALERT_H
#define LDA_ALERT_H
#include <stddef.h>
#include "lda_buf.h"
#include "lda_detect.h"
#include "lda_merge.h"

/* Append alerts.json for refs[0..n) (lda_merge's report order) under p.
 * 0, or -1 on OOM or a count above INT64_MAX. */
int lda_alert_text(const lda_ref *refs, size_t n, const lda_params *p,
                   lda_buf *out);

#endif
