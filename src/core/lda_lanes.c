/* lda_lanes: builds the six (type, side) lanes of one group in two passes
 * (count, then place) over one shared allocation sized for the largest
 * group, so the detectors allocate once per run, not once per group. */
#include "lda_lanes.h"
#include "lda_mem.h"

#include <stdlib.h>
#include <string.h>

bool lda_lanes_init(lda_lanes *l, size_t max_events)
{
    memset(l, 0, sizeof *l);
    size_t n = max_events ? max_events : 1;
    l->ts = malloc(n * sizeof *l->ts);
    l->pos = malloc(n * sizeof *l->pos);
    l->cum = malloc((n + 6) * sizeof *l->cum);
    l->cum_hi = malloc(n + 6);
    l->cap = n;
    if (!l->ts || !l->pos || !l->cum || !l->cum_hi) {
        lda_lanes_free(l);
        return false;
    }
    return true;
}

void lda_lanes_free(lda_lanes *l)
{
    free(l->ts);
    free(l->pos);
    free(l->cum);
    free(l->cum_hi);
    memset(l, 0, sizeof *l);
}

void lda_lanes_fill(lda_lanes *l, const lda_set *s, const lda_group *g)
{
    size_t count[3][2] = {{0}}, at[3][2], cumat[3][2], off = 0;
    for (size_t i = 0; i < g->count; i++) {
        const lda_event *e = lda_group_ev(s, g, i);
        count[e->type][e->side]++;
    }
    for (int t = 0; t < 3; t++)
        for (int sd = 0; sd < 2; sd++) {
            lda_lane *ln = &l->lane[t][sd];
            size_t k = (size_t)(t * 2 + sd);
            at[t][sd] = off;
            cumat[t][sd] = off + k; /* each lane has n + 1 sums */
            ln->ts = l->ts + off;
            ln->pos = l->pos + off;
            ln->cum = l->cum + off + k;
            ln->cum_hi = l->cum_hi + off + k;
            ln->n = count[t][sd];
            l->cum[off + k] = 0;
            l->cum_hi[off + k] = 0;
            off += count[t][sd];
        }
    for (size_t i = 0; i < g->count; i++) {
        const lda_event *e = lda_group_ev(s, g, i);
        size_t k = at[e->type][e->side]++;
        size_t c = cumat[e->type][e->side]++;
        l->ts[k] = e->ts;
        l->pos[k] = (uint32_t)i;
        lda_sum_push(l->cum, l->cum_hi, c, e->qty);
    }
}

size_t lda_lane_lower(const lda_lane *ln, int64_t t)
{
    size_t lo = 0, hi = ln->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ln->ts[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t lda_lane_upper_from(const lda_lane *ln, size_t from, int64_t t)
{
    size_t lo = from, hi = ln->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ln->ts[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t lda_lane_upper(const lda_lane *ln, int64_t t)
{
    return lda_lane_upper_from(ln, 0, t);
}

size_t lda_max_group(const lda_set *s)
{
    size_t m = 0;
    for (size_t g = 0; g < s->ngroups; g++)
        if (s->groups[g].count > m)
            m = s->groups[g].count;
    return m;
}

void lda_evid_free(lda_evid *x)
{
    free(x->hit);
    free(x->span);
    free(x->keep);
    free(x->rec);
    memset(x, 0, sizeof *x);
}

bool lda_evid_note(lda_evid *x, size_t a, size_t b)
{
    size_t need = x->n + 1;
    if (!lda_mem_grow((void **)&x->hit, &x->hcap, sizeof *x->hit, need) ||
        !lda_mem_grow((void **)&x->span, &x->scap, sizeof *x->span, need) ||
        !lda_mem_grow((void **)&x->keep, &x->kcap, sizeof *x->keep, need))
        return false;
    x->hit[x->n++] = (lda_evhit){a, b};
    return true;
}

void lda_evid_mark(lda_evid *x, const lda_seq *v)
{
    lda_merge_keep(v, x->n, x->span, x->keep);
}

bool lda_evid_room(lda_evid *x, size_t n)
{
    return lda_mem_grow((void **)&x->rec, &x->rcap, sizeof *x->rec, n);
}

static int cmp_u32(const void *pa, const void *pb)
{
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    return (a > b) - (a < b);
}

bool lda_evid_attach(lda_evid *x, lda_seqlist *out, lda_seq *q, size_t n)
{
    qsort(x->rec, n, sizeof *x->rec, cmp_u32);
    return lda_seqlist_set_records(out, q, x->rec, n);
}
