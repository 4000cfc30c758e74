/* fuzz_ref: naive reference detectors for the libFuzzer targets (header
 * only). They follow the words of docs/detection.md#layering and
 * docs/detection.md#wash-trading step by step with plain rescans (O(n^2)
 * per group: fine for fuzz-sized inputs), so the optimised detectors of
 * src/core (lanes, prefix sums, binary searches, sliding pointers) can be
 * compared with them sequence by sequence: same sequences, same order,
 * same fields, bit-identical doubles.
 *
 * fuzz_params_loose() is a second parameter set with tiny windows and
 * thresholds (1 buy, 1 sell, volume 1, ...) that reaches the boundaries
 * the defaults rarely do. */
#ifndef FUZZ_REF_H
#define FUZZ_REF_H
#include <math.h>

#include "fuzz_check.h"
#include "lda_detect.h"
#include "lda_event.h"
#include "lda_seq.h"

static inline void fuzz_params_loose(lda_params *p)
{
    p->lay_orders_us = 1500000; /* 1.5 s */
    p->lay_cancel_us = 1;
    p->lay_trade_us = 1;
    p->wash_window_us = 60000000; /* 1 min */
    p->wash_min_buys = 1;
    p->wash_min_sells = 1;
    p->wash_min_alt_pct = 0.001;
    p->wash_min_volume = 1.0;
    p->wash_min_pc_pct = 0.0001;
}

static inline uint32_t ref_key(const lda_set *s, const lda_group *g,
                               lda_seqlist *out)
{
    uint32_t k = lda_seqlist_key(out, lda_set_str(s, g->acc_off), g->acc_len,
                                 lda_set_str(s, g->prod_off), g->prod_len);
    CHECK(k != UINT32_MAX, "ref: key");
    return k;
}

/* docs/detection.md#layering, literally; the numbered steps are its
 * start order, orders window, cancellations, completing trade, emitted
 * sequence and totals, and where the walk continues. */
static inline void ref_layering(const lda_set *s, const lda_params *p,
                                lda_seqlist *out)
{
    int64_t *ots = malloc((s->n ? s->n : 1) * sizeof *ots);
    CHECK(ots != NULL, "ref: malloc");
    for (size_t gi = 0; gi < s->ngroups; gi++) {
        const lda_group *g = &s->groups[gi];
        const lda_event *e = lda_group_ev(s, g, 0);
        size_t m = g->count, i = 0;
        while (i < m) {
            /* 1 */
            if (e[i].type != LDA_PLACED) {
                i++;
                continue;
            }
            int side = e[i].side;
            int64_t start = e[i].ts;
            /* 2 */
            size_t norders = 0, last = i;
            for (size_t j = i; j < m && e[j].ts - start <= p->lay_orders_us;
                 j++)
                if (e[j].type == LDA_PLACED && e[j].side == side) {
                    ots[norders++] = e[j].ts;
                    last = j;
                }
            if (norders < 3) {
                i++;
                continue;
            }
            /* 3 */
            size_t ncancel = 0;
            int64_t lc = INT64_MIN;
            for (size_t k = 0; k < m; k++)
                if (e[k].type == LDA_CANCELLED && e[k].side == side &&
                    start <= e[k].ts &&
                    e[k].ts <= e[last].ts + p->lay_cancel_us) {
                    ncancel++;
                    if (e[k].ts > lc)
                        lc = e[k].ts;
                }
            if (ncancel < 3) {
                i++;
                continue;
            }
            /* 4 */
            size_t t = m;
            for (size_t k = 0; k < m && t == m; k++)
                if (e[k].type == LDA_TRADE && e[k].side != side &&
                    lc <= e[k].ts && e[k].ts <= lc + p->lay_trade_us)
                    t = k;
            if (t == m) {
                i++;
                continue;
            }
            /* 5 */
            int64_t end = e[t].ts;
            uint64_t nc = 0, cq = 0, tq = 0;
            for (size_t k = 0; k < m; k++) {
                if (e[k].ts < start || e[k].ts > end)
                    continue;
                if (e[k].type == LDA_CANCELLED && e[k].side == side) {
                    nc++;
                    cq += e[k].qty;
                } else if (e[k].type == LDA_TRADE && e[k].side != side)
                    tq += e[k].qty;
            }
            uint32_t key = ref_key(s, g, out);
            lda_seq *q = lda_seqlist_push(out);
            CHECK(q != NULL, "ref: push");
            q->key = key;
            q->dtype = LDA_LAYERING;
            q->side = (int8_t)side;
            q->start = start;
            q->end = end;
            q->num_cancelled = nc;
            q->buy_qty = side == LDA_BUY ? cq : tq;
            q->sell_qty = side == LDA_BUY ? tq : cq;
            CHECK(lda_seqlist_set_orders(out, q, ots, norders), "ref: orders");
            /* 6 */
            i = last + 1;
        }
    }
    free(ots);
}

/* docs/detection.md#wash-trading, literally (a window of one trade has no
 * alternation and never qualifies). */
static inline void ref_wash(const lda_set *s, const lda_params *p,
                            lda_seqlist *out)
{
    const lda_event **tr = malloc((s->n ? s->n : 1) * sizeof *tr);
    CHECK(tr != NULL, "ref: malloc");
    for (size_t gi = 0; gi < s->ngroups; gi++) {
        const lda_group *g = &s->groups[gi];
        size_t n = 0;
        for (size_t i = 0; i < g->count; i++)
            if (lda_group_ev(s, g, i)->type == LDA_TRADE)
                tr[n++] = lda_group_ev(s, g, i);
        for (size_t a = 0; a < n; a++) {
            size_t b = a;
            while (b + 1 < n && tr[b + 1]->ts <= tr[a]->ts + p->wash_window_us)
                b++;
            uint64_t buys = 0, sells = 0, bq = 0, sq = 0, switches = 0;
            for (size_t k = a; k <= b; k++) {
                if (tr[k]->side == LDA_BUY) {
                    buys++;
                    bq += tr[k]->qty;
                } else {
                    sells++;
                    sq += tr[k]->qty;
                }
                if (k > a && tr[k]->side != tr[k - 1]->side)
                    switches++;
            }
            size_t cnt = b - a + 1;
            if (cnt < 2 || buys < p->wash_min_buys ||
                sells < p->wash_min_sells ||
                !((double)(bq + sq) >= p->wash_min_volume))
                continue;
            double alt = 100.0 * (double)switches / (double)(cnt - 1);
            if (!(alt >= p->wash_min_alt_pct))
                continue;
            double pf = tr[a]->price, pl = tr[b]->price;
            double pc = fabs((pl - pf) / pf) * 100.0;
            uint32_t key = ref_key(s, g, out);
            lda_seq *q = lda_seqlist_push(out);
            CHECK(q != NULL, "ref: push");
            q->key = key;
            q->dtype = LDA_WASH;
            q->start = tr[a]->ts;
            q->end = tr[b]->ts;
            q->buy_qty = bq;
            q->sell_qty = sq;
            q->has_alt = true;
            q->alt_pct = alt;
            q->has_pc = pc >= p->wash_min_pc_pct;
            q->pc_pct = q->has_pc ? pc : 0.0;
        }
    }
    free(tr);
}

/* Field-by-field equality of two sequences (of possibly different lists). */
static inline bool same_seq(const lda_seqlist *la, const lda_seq *a,
                            const lda_seqlist *lb, const lda_seq *b)
{
    if (cmp_key(la, a, lb, b) || a->start != b->start || a->end != b->end ||
        a->buy_qty != b->buy_qty || a->sell_qty != b->sell_qty ||
        a->dtype != b->dtype || a->side != b->side ||
        a->has_alt != b->has_alt || a->has_pc != b->has_pc ||
        a->norders != b->norders)
        return false;
    if (a->dtype == LDA_LAYERING && a->num_cancelled != b->num_cancelled)
        return false;
    if (a->has_alt && a->alt_pct != b->alt_pct)
        return false;
    if (a->has_pc && a->pc_pct != b->pc_pct)
        return false;
    for (uint32_t i = 0; i < a->norders; i++)
        if (la->orders[a->orders_off + i] != lb->orders[b->orders_off + i])
            return false;
    return true;
}

static inline void print_seq(const char *who, const lda_seqlist *l,
                             const lda_seq *q)
{
    const lda_seqkey *k = &l->keys[q->key];
    fprintf(stderr,
            "  %s: %.*s/%.*s type %d side %d start %lld end %lld buy %llu "
            "sell %llu cancelled %llu orders %u alt %.17g pc %s%.17g\n",
            who, (int)k->acc_len, l->text.data + k->acc_off, (int)k->prod_len,
            l->text.data + k->prod_off, q->dtype, q->side, (long long)q->start,
            (long long)q->end, (unsigned long long)q->buy_qty,
            (unsigned long long)q->sell_qty,
            (unsigned long long)q->num_cancelled, q->norders, q->alt_pct,
            q->has_pc ? "" : "(null) ", q->pc_pct);
}

/* The detector's list must equal the reference's. */
static inline void check_same_list(const lda_seqlist *got,
                                   const lda_seqlist *want, const char *what)
{
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i <= n; i++) {
        bool ok = i < n ? same_seq(got, &got->v[i], want, &want->v[i])
                        : got->n == want->n;
        if (ok)
            continue;
        fprintf(stderr,
                "fuzz: %s differs from the docs reference at #%zu "
                "(detector %zu sequences, reference %zu)\n",
                what, i, got->n, want->n);
        if (i < got->n)
            print_seq("detector ", got, &got->v[i]);
        if (i < want->n)
            print_seq("reference", want, &want->v[i]);
        CHECK(false, "detector equals the docs/detection.md reference");
    }
}

/* Run both detectors and both references with p; compare; check shapes.
 * lay and wash receive the detectors' lists (initialised by the caller). */
static inline void check_detectors(const lda_set *s, const lda_params *p,
                                   lda_seqlist *lay, lda_seqlist *wash)
{
    CHECK(lda_detect_layering(s, p, lay) == 0, "layering");
    CHECK(lda_detect_wash(s, p, wash) == 0, "wash");
    check_seqs(lay, LDA_LAYERING, p);
    check_seqs(wash, LDA_WASH, p);
    lda_seqlist rl, rw;
    lda_seqlist_init(&rl);
    lda_seqlist_init(&rw);
    ref_layering(s, p, &rl);
    ref_wash(s, p, &rw);
    check_same_list(lay, &rl, "layering");
    check_same_list(wash, &rw, "wash");
    lda_seqlist_free(&rl);
    lda_seqlist_free(&rw);
}

/* check_detectors with the default parameters; lay and wash are
 * initialised here (free them after). */
static inline void check_default_detectors(const lda_set *s, lda_seqlist *lay,
                                           lda_seqlist *wash)
{
    lda_params p;
    lda_params_default(&p);
    lda_seqlist_init(lay);
    lda_seqlist_init(wash);
    check_detectors(s, &p, lay, wash);
}

#endif
