/* lda_detect: the two detectors of docs/detection.md#layering (layering) and
 * docs/detection.md#wash-trading (wash trading), and their parameters
 * (docs/configuration.md).
 *
 * Both read a finished lda_set (events grouped by (account, product) and
 * time-sorted) and append sequences to an lda_seqlist, group by group, in
 * group order. Both cost O(n log n) per group whatever the density: each
 * group is split into per-(type, side) index arrays with timestamp and
 * quantity prefix sums, so every window is a binary search or a sliding
 * pointer, never a rescan. */
#ifndef LDA_DETECT_H
#define LDA_DETECT_H
#include <stdint.h>
#include "lda_event.h"
#include "lda_seq.h"

typedef struct lda_params {
    int64_t lay_orders_us;   /* LAYERING_ORDERS_WINDOW_SECONDS (10) */
    int64_t lay_cancel_us;   /* LAYERING_CANCEL_WINDOW_SECONDS (5) */
    int64_t lay_trade_us;    /* LAYERING_TRADE_WINDOW_SECONDS (2) */
    int64_t wash_window_us;  /* WASH_WINDOW_SECONDS (1800) */
    uint64_t wash_min_buys;  /* WASH_MIN_BUY_TRADES (3) */
    uint64_t wash_min_sells; /* WASH_MIN_SELL_TRADES (3) */
    double wash_min_alt_pct; /* WASH_MIN_ALTERNATION_PCT (60) */
    double wash_min_volume;  /* WASH_MIN_VOLUME (10000) */
    double wash_min_pc_pct;  /* WASH_PRICE_CHANGE_PCT (1) */
} lda_params;

void lda_params_default(lda_params *p);

/* 0 on success, -1 on OOM (out may then hold a part of the results). The
 * sequences the merge will keep carry their evidence (lda_seq has_ev). */
int lda_detect_layering(const lda_set *s, const lda_params *p,
                        lda_seqlist *out);
int lda_detect_wash(const lda_set *s, const lda_params *p, lda_seqlist *out);
/* The same over the groups [g0, g1) only: appending the results of
 * consecutive ranges in order gives exactly the whole run's. */
int lda_detect_layering_range(const lda_set *s, const lda_params *p, size_t g0,
                              size_t g1, lda_seqlist *out);
int lda_detect_wash_range(const lda_set *s, const lda_params *p, size_t g0,
                          size_t g1, lda_seqlist *out);

#endif
