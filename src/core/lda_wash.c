/* lda_wash: the wash-trading detector, docs/detection.md#wash-trading.
 *
 * A group's trades are copied, in group order, into a scratch array with
 * prefix sums of BUY count, volume, BUY volume and side switches (the
 * volumes exact past 2^64: lda_sum_push / lda_sum_range, lda_lanes.h). The
 * window [s, e] of every trade s is found with a sliding end pointer (the
 * window end never moves back), and every window statistic is a
 * difference of two prefix sums: O(n) per group after the sort. The
 * windows the merge will keep then get their evidence (lda_evid): the
 * record numbers of their trades and their BUY and SELL counts. */
#include "lda_detect.h"
#include "lda_lanes.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct trade_view {
    int64_t *ts;
    double *price;
    uint32_t *rec;
    uint64_t *buys, *vol, *buyvol, *sw; /* prefix sums, n + 1 entries */
    uint8_t *vol_hi, *buyvol_hi; /* wraps of vol, buyvol (lda_lanes.h) */
    size_t n;
} trade_view;

static bool view_init(trade_view *v, size_t cap)
{
    size_t n = cap ? cap : 1;
    v->ts = malloc(n * sizeof *v->ts);
    v->price = malloc(n * sizeof *v->price);
    v->rec = malloc(n * sizeof *v->rec);
    v->buys = malloc((n + 1) * sizeof *v->buys);
    v->vol = malloc((n + 1) * sizeof *v->vol);
    v->buyvol = malloc((n + 1) * sizeof *v->buyvol);
    v->sw = malloc((n + 1) * sizeof *v->sw);
    v->vol_hi = malloc(n + 1);
    v->buyvol_hi = malloc(n + 1);
    return v->ts && v->price && v->rec && v->buys && v->vol && v->buyvol &&
           v->sw && v->vol_hi && v->buyvol_hi;
}

static void view_free(trade_view *v)
{
    free(v->ts);
    free(v->price);
    free(v->rec);
    free(v->buys);
    free(v->vol);
    free(v->buyvol);
    free(v->sw);
    free(v->vol_hi);
    free(v->buyvol_hi);
}

/* sw[k] = switches between adjacent trades among the first k trades. */
static void view_fill(trade_view *v, const lda_set *s, const lda_group *g)
{
    int prev = -1;
    v->n = 0;
    v->buys[0] = v->vol[0] = v->buyvol[0] = v->sw[0] = 0;
    v->vol_hi[0] = v->buyvol_hi[0] = 0;
    for (size_t i = 0; i < g->count; i++) {
        const lda_event *e = lda_group_ev(s, g, i);
        if (e->type != LDA_TRADE)
            continue;
        size_t k = v->n++;
        bool buy = e->side == LDA_BUY;
        v->ts[k] = e->ts;
        v->price[k] = e->price;
        v->rec[k] = e->rec;
        v->buys[k + 1] = v->buys[k] + buy;
        lda_sum_push(v->vol, v->vol_hi, k, e->qty);
        lda_sum_push(v->buyvol, v->buyvol_hi, k, buy ? e->qty : 0);
        v->sw[k + 1] = v->sw[k] + (prev >= 0 && prev != e->side);
        prev = e->side;
    }
}

typedef struct key_ctx {
    const lda_set *s;
    const lda_group *g;
    lda_seqlist *out;
    lda_evid *ev;
} key_ctx;

static uint32_t group_key(const key_ctx *c)
{
    return lda_seqlist_key(c->out, lda_set_str(c->s, c->g->acc_off),
                           c->g->acc_len, lda_set_str(c->s, c->g->prod_off),
                           c->g->prod_len);
}

/* Emit the window [a, b] if it qualifies. False on OOM. */
static bool check_window(const trade_view *v, size_t a, size_t b,
                         const lda_params *p, const key_ctx *kc)
{
    lda_seqlist *out = kc->out;
    uint64_t n = b - a + 1;
    uint64_t buys = v->buys[b + 1] - v->buys[a], sells = n - buys;
    uint64_t vol = lda_sum_range(v->vol, v->vol_hi, a, b + 1);
    if (buys < p->wash_min_buys || sells < p->wash_min_sells ||
        !((double)vol >= p->wash_min_volume) || n < 2)
        return true;
    /* switches between a and b: pairs (k-1, k) for k in a+1..b */
    uint64_t switches = v->sw[b + 1] - v->sw[a + 1];
    double alt = 100.0 * (double)switches / (double)(n - 1);
    if (!(alt >= p->wash_min_alt_pct))
        return true;
    uint32_t k = group_key(kc);
    lda_seq *q = k == UINT32_MAX ? NULL : lda_seqlist_push(out);
    if (!q || !lda_evid_note(kc->ev, a, b))
        return false;
    double pc = fabs((v->price[b] - v->price[a]) / v->price[a]) * 100.0;
    q->key = k;
    q->dtype = LDA_WASH;
    q->start = v->ts[a];
    q->end = v->ts[b];
    q->buy_qty = lda_sum_range(v->buyvol, v->buyvol_hi, a, b + 1);
    /* a total of 2^64 - 1 or more stays UINT64_MAX (too large to report) */
    q->sell_qty = vol == UINT64_MAX ? UINT64_MAX : vol - q->buy_qty;
    q->has_alt = true;
    q->alt_pct = alt;
    q->has_pc = pc >= p->wash_min_pc_pct;
    q->pc_pct = q->has_pc ? pc : 0.0;
    return true;
}

/* Evidence for the group's windows out->v[k0..] the merge keeps. */
static bool group_evidence(const trade_view *v, const key_ctx *kc, size_t k0)
{
    lda_evid *ev = kc->ev;
    if (!ev->n)
        return true;
    lda_evid_mark(ev, kc->out->v + k0);
    for (size_t k = 0; k < ev->n; k++) {
        if (!ev->keep[k])
            continue;
        size_t a = ev->hit[k].a, b = ev->hit[k].b, n = b - a + 1;
        lda_seq *q = &kc->out->v[k0 + k];
        if (!lda_evid_room(ev, n))
            return false;
        memcpy(ev->rec, v->rec + a, n * sizeof *ev->rec);
        q->obs_n[0] = v->buys[b + 1] - v->buys[a];
        q->obs_n[1] = n - q->obs_n[0];
        if (!lda_evid_attach(ev, kc->out, q, n))
            return false;
    }
    return true;
}

/* Every window of the group of kc. False on OOM. */
static bool detect_group(const trade_view *v, const lda_params *p,
                         const key_ctx *kc)
{
    size_t k0 = kc->out->n, e = 0;
    kc->ev->n = 0;
    for (size_t a = 0; a < v->n; a++) {
        int64_t limit = lda_ts_add(v->ts[a], p->wash_window_us);
        if (e < a)
            e = a;
        while (e + 1 < v->n && v->ts[e + 1] <= limit)
            e++;
        if (!check_window(v, a, e, p, kc))
            return false;
    }
    return group_evidence(v, kc, k0);
}

int lda_detect_wash_range(const lda_set *s, const lda_params *p, size_t g0,
                          size_t g1, lda_seqlist *out)
{
    trade_view v;
    lda_evid ev = {0};
    int rc = 0;
    if (!view_init(&v, lda_max_group(s))) {
        view_free(&v);
        return -1;
    }
    for (size_t g = g0; g < g1 && g < s->ngroups && rc == 0; g++) {
        key_ctx kc = {s, &s->groups[g], out, &ev};
        view_fill(&v, s, kc.g);
        if (!detect_group(&v, p, &kc))
            rc = -1;
    }
    lda_evid_free(&ev);
    view_free(&v);
    return rc;
}

int lda_detect_wash(const lda_set *s, const lda_params *p, lda_seqlist *out)
{
    return lda_detect_wash_range(s, p, 0, s->ngroups, out);
}
