/* lda_compare: the set difference behind GET /api/runs/<a>/compare/<b>
 * (docs/api.md#compare-two-runs). An alert's identity is its account_id,
 * product_id, detection_type and detected_timestamp (four texts); the two
 * runs' alerts are matched one to one on it (a multiset: an identity that
 * appears twice in a and once in b leaves one of a's unmatched), by
 * sorting index arrays of both and walking them together, O(n log n). */
#ifndef LDA_COMPARE_H
#define LDA_COMPARE_H
#include <stdbool.h>
#include <stddef.h>

typedef struct lda_alert_id {
    const char *part[4]; /* account, product, type, detected timestamp;
                            NUL-terminated */
} lda_alert_id;

/* Match a[0..na) against b[0..nb): matched_a[i] is set true when a[i] has
 * a match in b, matched_b[j] likewise (both arrays are written whole), and
 * *unchanged is the number of matched pairs. So removed = the unmatched of
 * a, added = the unmatched of b, each in its own order. 0, or -1 on OOM. */
int lda_compare_alerts(const lda_alert_id *a, size_t na, const lda_alert_id *b,
                       size_t nb, bool *matched_a, bool *matched_b,
                       size_t *unchanged);
#endif
