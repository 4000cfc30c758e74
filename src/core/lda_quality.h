/* lda_quality: the data-quality figures of a run's input
 * (docs/reports.md#data-quality), computed while the events are loaded,
 * with no pass of their own over the input or the events:
 *
 *   - per valid event, in file order, lda_quality_note() (called by the
 *     event set as it appends): count per type, out of order (earlier than
 *     the previous valid event), earliest and latest timestamp;
 *   - distinct accounts and products: the set's interning tables;
 *   - duplicates (equal to an earlier event in all seven parsed fields):
 *     when the set is put in group order, equal events end up in one group
 *     with one timestamp, i.e. in one run of equal timestamps; the pass that
 *     checks each group's time order (lda_set_finish) hands every such run
 *     (rare, and short in real data) to lda_quality_run_dups().
 *
 * Pure computation: no I/O, no allocation except a scratch array for a run
 * longer than 16 events. */
#ifndef LDA_QUALITY_H
#define LDA_QUALITY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lda_event;

typedef struct lda_quality {
    uint64_t types[3];     /* valid events per type (LDA_PLACED, ...) */
    uint64_t out_of_order; /* timestamp < the previous valid event's */
    uint64_t duplicates;   /* equal to an earlier event in all 7 fields */
    uint64_t accounts, products; /* distinct ids (lda_set_quality) */
    int64_t first_ts, last_ts;   /* earliest, latest (when n > 0) */
    int64_t prev_ts;             /* of the previous valid event */
    uint64_t n;                  /* valid events noted */
} lda_quality;

/* Note one valid event (timestamp ts in µs, type LDA_PLACED..LDA_TRADE),
 * in file order. */
static inline void lda_quality_note(lda_quality *q, int64_t ts, uint8_t type)
{
    if (q->n == 0) {
        q->first_ts = q->last_ts = ts;
    } else {
        q->out_of_order += ts < q->prev_ts;
        if (ts < q->first_ts)
            q->first_ts = ts;
        if (ts > q->last_ts)
            q->last_ts = ts;
    }
    q->prev_ts = ts;
    q->types[type < 3 ? type : 2]++;
    q->n++;
}

/* Add to *dups the events of ev[0..n) -- one group, all with the same
 * timestamp -- that equal an earlier one of them in side, type, quantity
 * and price (the group gives account and product). False on OOM (*dups
 * unchanged). */
bool lda_quality_run_dups(const struct lda_event *ev, size_t n,
                          uint64_t *dups);
#endif
