/* lda_seq: suspicious sequences (docs/detection.md) as produced by the
 * detectors, decoded from detector JSON by the aggregator, merged and
 * reported.
 *
 * An lda_seqlist owns its strings: each sequence names a key (account_id,
 * product_id) interned in the list, and LAYERING order timestamps live in
 * one shared pool, as do the record numbers of the sequences that carry
 * their evidence (alerts.json). Sequences keep the order they were added in (the
 * detectors add them in group order); the merge relies on that. */
#ifndef LDA_SEQ_H
#define LDA_SEQ_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"

enum { LDA_LAYERING = 0, LDA_WASH = 1 };
#define LDA_SIDE_NULL (-1)

typedef struct lda_seq {
    int64_t start, end; /* microseconds UTC */
    uint64_t buy_qty, sell_qty;
    uint64_t num_cancelled; /* LAYERING only */
    double alt_pct, pc_pct; /* WASH only; pc_pct valid if has_pc */
    size_t orders_off;      /* LAYERING: timestamps in list->orders */
    uint32_t norders;
    uint32_t key;  /* index into list->keys */
    uint8_t dtype; /* LDA_LAYERING / LDA_WASH */
    int8_t side;   /* LDA_BUY / LDA_SELL / LDA_SIDE_NULL */
    bool has_alt, has_pc;
    /* The evidence of docs/reports.md#alerts, set (has_ev) by the detectors
     * on the sequences the merge will keep, carried by every form: */
    bool has_ev;
    uint32_t nrecs;    /* input record numbers behind it, ascending, */
    size_t recs_off;   /* in list->recs */
    uint64_t obs_n[2]; /* LAYERING: [0] cancellations step 3 counted;
                          WASH: BUY trades, SELL trades of the window */
    int64_t obs_ts;    /* LAYERING: the latest of those cancellations */
} lda_seq;

typedef struct lda_seqkey {
    size_t acc_off, prod_off; /* in list->text */
    uint32_t acc_len, prod_len;
} lda_seqkey;

typedef struct lda_seqlist {
    lda_seq *v;
    size_t n, cap;
    lda_seqkey *keys;
    size_t nkeys, kcap;
    int64_t *orders;
    size_t norders, ocap;
    uint32_t *recs;
    size_t nrecs, rcap;
    lda_buf text;
} lda_seqlist;

void lda_seqlist_init(lda_seqlist *l);
void lda_seqlist_free(lda_seqlist *l);
/* Intern (account, product); reuses the last key when equal. Returns the
 * key index, or UINT32_MAX on OOM. */
uint32_t lda_seqlist_key(lda_seqlist *l, const char *acc, size_t acc_len,
                         const char *prod, size_t prod_len);
/* Append a zeroed sequence (side = LDA_SIDE_NULL); NULL on OOM. */
lda_seq *lda_seqlist_push(lda_seqlist *l);
/* Give q (the last pushed) its order timestamps. False on OOM. */
bool lda_seqlist_set_orders(lda_seqlist *l, lda_seq *q, const int64_t *ts,
                            size_t n);
/* Give q (a sequence of l) its evidence records rec[0..n) (ascending) and
 * set has_ev; the observations are the caller's to set. False on OOM. */
bool lda_seqlist_set_records(lda_seqlist *l, lda_seq *q, const uint32_t *rec,
                             size_t n);
/* Append a copy of every sequence of src to dst, in src's order (keys
 * interned in dst, order timestamps and records copied): the orchestrator puts the
 * shards' lists of one service together this way. False on OOM (dst then
 * holds a prefix of src's sequences; free it). */
bool lda_seqlist_append(lda_seqlist *dst, const lda_seqlist *src);

/* True when every count of l is at most INT64_MAX, so that it fits a JSON
 * integer an int64 reader takes (a sum over millions of quantities of up
 * to 10^12 each can pass it; one of 2^64 or more is UINT64_MAX). Otherwise
 * a total is too large to report and the run fails with those words. */
bool lda_seqlist_reportable(const lda_seqlist *l);

extern const char *const lda_dtype_names[2]; /* "LAYERING", "WASH_TRADING" */

#endif
