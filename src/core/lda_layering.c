/* lda_layering: the layering detector, docs/detection.md#layering, step for
 * step.
 *
 * For each group the lanes give, for an ORDER_PLACED at position i, its
 * rank r in the placed lane of its side; the window's orders are ranks
 * r..hi-1 (one binary search), the cancellations and the completing trade
 * are binary searches in the cancel and trade lanes, and the totals of
 * step 5 are prefix-sum differences. Each step of i costs O(log n).
 * After each group, the sequences the merge will keep get their evidence
 * (lda_evid): the record numbers of their orders, of the cancellations and
 * trades in their totals, and what step 3 counted. */
#include "lda_detect.h"
#include "lda_lanes.h"

void lda_params_default(lda_params *p)
{
    p->lay_orders_us = 10 * 1000000LL;
    p->lay_cancel_us = 5 * 1000000LL;
    p->lay_trade_us = 2 * 1000000LL;
    p->wash_window_us = 1800 * 1000000LL;
    p->wash_min_buys = 3;
    p->wash_min_sells = 3;
    p->wash_min_alt_pct = 60.0;
    p->wash_min_volume = 10000.0;
    p->wash_min_pc_pct = 1.0;
}

typedef struct layer_ctx {
    const lda_set *s;
    const lda_group *g;
    const lda_lanes *ln;
    const lda_params *p;
    lda_seqlist *out;
    lda_evid *ev;
    uint32_t key; /* UINT32_MAX until the group's first emit */
} layer_ctx;

/* Step 5: emit the sequence of orders [r, hi) of `side` in the placed
 * lane, completed by the trade at `end`. Returns false on OOM. */
static bool emit(layer_ctx *c, int side, size_t r, size_t hi, int64_t end)
{
    const lda_lane *placed = &c->ln->lane[LDA_PLACED][side];
    const lda_lane *cancel = &c->ln->lane[LDA_CANCELLED][side];
    const lda_lane *trade = &c->ln->lane[LDA_TRADE][!side];
    int64_t start = placed->ts[r];
    if (c->key == UINT32_MAX) {
        c->key = lda_seqlist_key(c->out, lda_set_str(c->s, c->g->acc_off),
                                 c->g->acc_len,
                                 lda_set_str(c->s, c->g->prod_off),
                                 c->g->prod_len);
        if (c->key == UINT32_MAX)
            return false;
    }
    lda_seq *q = lda_seqlist_push(c->out);
    if (!q)
        return false;
    size_t c0 = lda_lane_lower(cancel, start),
           c1 = lda_lane_upper(cancel, end);
    size_t t0 = lda_lane_lower(trade, start), t1 = lda_lane_upper(trade, end);
    uint64_t cancelled = lda_sum_range(cancel->cum, cancel->cum_hi, c0, c1);
    uint64_t traded = lda_sum_range(trade->cum, trade->cum_hi, t0, t1);
    q->key = c->key;
    q->dtype = LDA_LAYERING;
    q->side = (int8_t)side;
    q->start = start;
    q->end = end;
    q->num_cancelled = c1 - c0;
    q->buy_qty = side == LDA_BUY ? cancelled : traded;
    q->sell_qty = side == LDA_BUY ? traded : cancelled;
    return lda_evid_note(c->ev, r, hi) &&
           lda_seqlist_set_orders(c->out, q, placed->ts + r, hi - r);
}

/* Append the record numbers of lane entries [a, b) to c->ev->rec at *n. */
static void gather(layer_ctx *c, const lda_lane *ln, size_t a, size_t b,
                   size_t *n)
{
    for (size_t k = a; k < b; k++)
        c->ev->rec[(*n)++] = lda_group_ev(c->s, c->g, ln->pos[k])->rec;
}

/* The evidence of q, emitted for the orders [r, hi) of its side: records
 * of those orders, of the cancellations and trades of its totals (step 5),
 * and the cancellations step 3 counted with the latest of them. */
static bool give_evidence(layer_ctx *c, lda_seq *q, size_t r, size_t hi)
{
    const lda_lane *placed = &c->ln->lane[LDA_PLACED][q->side];
    const lda_lane *cancel = &c->ln->lane[LDA_CANCELLED][q->side];
    const lda_lane *trade = &c->ln->lane[LDA_TRADE][!q->side];
    size_t c0 = lda_lane_lower(cancel, q->start),
           c1 = lda_lane_upper(cancel, q->end);
    size_t t0 = lda_lane_lower(trade, q->start),
           t1 = lda_lane_upper(trade, q->end);
    size_t rule = lda_lane_upper(cancel, lda_ts_add(placed->ts[hi - 1],
                                                    c->p->lay_cancel_us));
    size_t n = 0;
    if (!lda_evid_room(c->ev, (hi - r) + (c1 - c0) + (t1 - t0)))
        return false;
    gather(c, placed, r, hi, &n);
    gather(c, cancel, c0, c1, &n);
    gather(c, trade, t0, t1, &n);
    q->obs_n[0] = rule - c0;
    q->obs_ts = cancel->ts[rule - 1];
    return lda_evid_attach(c->ev, c->out, q, n);
}

/* Evidence for the group's sequences out->v[k0..] the merge keeps. */
static bool group_evidence(layer_ctx *c, size_t k0)
{
    if (!c->ev->n)
        return true;
    lda_evid_mark(c->ev, c->out->v + k0);
    for (size_t k = 0; k < c->ev->n; k++)
        if (c->ev->keep[k] && !give_evidence(c, &c->out->v[k0 + k],
                                             c->ev->hit[k].a, c->ev->hit[k].b))
            return false;
    return true;
}

/* Steps 2-4 for the order at rank r of `side`. Returns the position of
 * the last collected order when a sequence was emitted, -1 when none, -2
 * on OOM. */
static int64_t try_window(layer_ctx *c, int side, size_t r)
{
    const lda_lane *placed = &c->ln->lane[LDA_PLACED][side];
    const lda_lane *cancel = &c->ln->lane[LDA_CANCELLED][side];
    const lda_lane *trade = &c->ln->lane[LDA_TRADE][!side];
    int64_t start = placed->ts[r];
    size_t hi = lda_lane_upper_from(placed, r,
                                    lda_ts_add(start, c->p->lay_orders_us));
    if (hi - r < 3)
        return -1;
    int64_t last_ts = placed->ts[hi - 1];
    size_t c0 = lda_lane_lower(cancel, start);
    size_t c1 = lda_lane_upper(cancel,
                               lda_ts_add(last_ts, c->p->lay_cancel_us));
    if (c1 < c0 + 3)
        return -1;
    int64_t lc = cancel->ts[c1 - 1];
    size_t k = lda_lane_lower(trade, lc);
    if (k == trade->n || trade->ts[k] > lda_ts_add(lc, c->p->lay_trade_us))
        return -1;
    if (!emit(c, side, r, hi, trade->ts[k]))
        return -2;
    return placed->pos[hi - 1];
}

static int detect_group(layer_ctx *c)
{
    size_t rank[2] = {0, 0}; /* next unvisited rank per side */
    size_t k0 = c->out->n;
    c->ev->n = 0;
    for (size_t i = 0; i < c->g->count;) {
        const lda_event *e = lda_group_ev(c->s, c->g, i);
        if (e->type != LDA_PLACED) {
            i++;
            continue;
        }
        const lda_lane *placed = &c->ln->lane[LDA_PLACED][e->side];
        size_t r = rank[e->side];
        while (placed->pos[r] < i) /* i only moves forward */
            r++;
        rank[e->side] = r;
        int64_t last = try_window(c, e->side, r);
        if (last == -2)
            return -1;
        i = last >= 0 ? (size_t)last + 1 : i + 1;
    }
    return group_evidence(c, k0) ? 0 : -1;
}

int lda_detect_layering_range(const lda_set *s, const lda_params *p, size_t g0,
                              size_t g1, lda_seqlist *out)
{
    lda_lanes ln;
    lda_evid ev = {0};
    if (!lda_lanes_init(&ln, lda_max_group(s)))
        return -1;
    int rc = 0;
    for (size_t g = g0; g < g1 && g < s->ngroups && rc == 0; g++) {
        layer_ctx c = {s, &s->groups[g], &ln, p, out, &ev, UINT32_MAX};
        lda_lanes_fill(&ln, s, c.g);
        rc = detect_group(&c);
    }
    lda_evid_free(&ev);
    lda_lanes_free(&ln);
    return rc;
}

int lda_detect_layering(const lda_set *s, const lda_params *p,
                        lda_seqlist *out)
{
    return lda_detect_layering_range(s, p, 0, s->ngroups, out);
}
