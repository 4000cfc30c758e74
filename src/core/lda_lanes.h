/* lda_lanes: per-group index arrays shared by the detectors (internal to
 * src/core). A group's events are split into six lanes, one per
 * (event type, side), each holding, in group order, the events' timestamps,
 * their positions in the group and prefix sums of their quantities. With
 * timestamps sorted inside a lane, "events of type T on side S between t0
 * and t1" is two binary searches and their quantity a subtraction. */
#ifndef LDA_LANES_H
#define LDA_LANES_H
#include <stddef.h>
#include <stdint.h>
#include "lda_event.h"
#include "lda_merge.h"
#include "lda_seq.h"

/* Exact sums of quantities over ranges, with no overflow (a sum of up to
 * LDA_EVENTS_MAX quantities of up to LDA_QTY_MAX exceeds 2^64 but not
 * 2^72). A prefix sum is kept in two parts: lo, the sum modulo 2^64
 * (unsigned arithmetic: it wraps, defined behaviour), and hi, how often lo
 * wrapped, modulo 256. The sum of a range is then the 72-bit difference
 * (hi, lo)[b] - (hi, lo)[a], exact because it is below 2^72. */
static inline void lda_sum_push(uint64_t *lo, uint8_t *hi, size_t k,
                                uint64_t q)
{
    lo[k + 1] = lo[k] + q;
    hi[k + 1] = (uint8_t)(hi[k] + (lo[k + 1] < lo[k]));
}

/* prefix[b] - prefix[a] for a <= b (the quantities a .. b-1): exact, or
 * UINT64_MAX when it is 2^64 - 1 or more. Such a total is too large to
 * report (the detectors answer failure: docs/api.md#detector-answer). */
static inline uint64_t lda_sum_range(const uint64_t *lo, const uint8_t *hi,
                                     size_t a, size_t b)
{
    uint64_t d = lo[b] - lo[a];
    uint8_t h = (uint8_t)(hi[b] - hi[a] - (lo[b] < lo[a]));
    return h || d == UINT64_MAX ? UINT64_MAX : d;
}

typedef struct lda_lane {
    const int64_t *ts;     /* n timestamps, non-decreasing */
    const uint32_t *pos;   /* n positions in the group */
    const uint64_t *cum;   /* n + 1 prefix sums of quantity (lda_sum_push) */
    const uint8_t *cum_hi; /* ... and their wraps */
    size_t n;
} lda_lane;

typedef struct lda_lanes {
    lda_lane lane[3][2]; /* [type][side] */
    int64_t *ts;         /* storage, sized for the largest group */
    uint32_t *pos;
    uint64_t *cum;
    uint8_t *cum_hi;
    size_t cap;
} lda_lanes;

/* Storage for groups of up to max_events events. False on OOM. */
bool lda_lanes_init(lda_lanes *l, size_t max_events);
void lda_lanes_free(lda_lanes *l);
/* Fill the lanes from group g of s. */
void lda_lanes_fill(lda_lanes *l, const lda_set *s, const lda_group *g);

/* First index in lane with ts >= t / with ts > t. */
size_t lda_lane_lower(const lda_lane *ln, int64_t t);
size_t lda_lane_upper(const lda_lane *ln, int64_t t);
/* Same, searching only [from, n). */
size_t lda_lane_upper_from(const lda_lane *ln, size_t from, int64_t t);

/* a + b without overflow (clamped); b >= 0. */
static inline int64_t lda_ts_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The evidence of one group's sequences (lda_seq has_ev): each detector
 * notes, per sequence it emits for the group, the range of its own indices
 * the sequence came from (a, b); after the group, lda_evid_mark() tells
 * which of them the merge keeps (lda_merge_keep), and only those get their
 * record numbers, gathered in rec and attached sorted. Storage grows to
 * the largest group's needs and is reused. */
typedef struct lda_evhit {
    size_t a, b; /* the detector's own index range of the sequence */
} lda_evhit;
typedef struct lda_evid {
    lda_evhit *hit; /* per sequence of the group */
    lda_span *span; /* lda_merge_keep's scratch */
    bool *keep;
    size_t n, hcap, scap, kcap;
    uint32_t *rec; /* record numbers of one sequence */
    size_t rcap;
} lda_evid;
void lda_evid_free(lda_evid *x);
/* Note the next sequence of the group. False on OOM. */
bool lda_evid_note(lda_evid *x, size_t a, size_t b);
/* Fill x->keep for v[0..x->n), the group's sequences. */
void lda_evid_mark(lda_evid *x, const lda_seq *v);
/* Room for n record numbers in x->rec. False on OOM. */
bool lda_evid_room(lda_evid *x, size_t n);
/* Sort x->rec[0..n) and attach it to q (of out). False on OOM. */
bool lda_evid_attach(lda_evid *x, lda_seqlist *out, lda_seq *q, size_t n);

/* Largest group of s, in events. */
size_t lda_max_group(const lda_set *s);

#endif
