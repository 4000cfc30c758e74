/* lda_merge: docs/detection.md#merge in two sorts.
 * 1. Sort references by (account, product, type, start, end, list, index):
 *    bytewise strings, and the list/index tail reproduces "first event in
 *    group order" because detectors emit in that order. One pass keeps a
 *    sequence only if its start is after the largest end kept so far for
 *    its key.
 * 2. Sort the kept ones by (end, account, product, type, start). */
#include "lda_merge.h"
#include "lda_mem.h"

#include <stdlib.h>
#include <string.h>

typedef struct mref {
    const lda_seqlist *list;
    const lda_seq *seq;
    size_t list_no; /* position of the list in the input */
} mref;

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

static int cmp_key(const mref *a, const mref *b)
{
    const lda_seqkey *ka = &a->list->keys[a->seq->key];
    const lda_seqkey *kb = &b->list->keys[b->seq->key];
    int c = lda_mem_cmp(a->list->text.data + ka->acc_off, ka->acc_len,
                        b->list->text.data + kb->acc_off, kb->acc_len);
    if (c)
        return c;
    c = lda_mem_cmp(a->list->text.data + ka->prod_off, ka->prod_len,
                    b->list->text.data + kb->prod_off, kb->prod_len);
    if (c)
        return c;
    return (int)a->seq->dtype - (int)b->seq->dtype;
}

static int cmp_collapse(const void *pa, const void *pb)
{
    const mref *a = pa, *b = pb;
    int c = cmp_key(a, b);
    if (!c)
        c = cmp_i64(a->seq->start, b->seq->start);
    if (!c)
        c = cmp_i64(a->seq->end, b->seq->end);
    if (!c)
        c = a->list_no < b->list_no ? -1 : a->list_no > b->list_no;
    if (!c)
        c = a->seq < b->seq ? -1 : a->seq > b->seq;
    return c;
}

static int cmp_report(const void *pa, const void *pb)
{
    const mref *a = pa, *b = pb;
    int c = cmp_i64(a->seq->end, b->seq->end);
    if (!c)
        c = cmp_key(a, b);
    if (!c)
        c = cmp_i64(a->seq->start, b->seq->start);
    if (!c)
        c = cmp_collapse(pa, pb);
    return c;
}

/* Step 2 for the next sequence of a key in collapse order (first: the
 * key's first): true when it is kept; *max_end follows what is kept. */
static bool collapse_keeps(int64_t start, int64_t end, bool first,
                           int64_t *max_end)
{
    if (!first && start <= *max_end)
        return false;
    if (first || end > *max_end)
        *max_end = end;
    return true;
}

static int cmp_span(const void *pa, const void *pb)
{
    const lda_span *a = pa, *b = pb;
    int c = cmp_i64(a->start, b->start);
    if (!c)
        c = cmp_i64(a->end, b->end);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

void lda_merge_keep(const lda_seq *v, size_t n, lda_span *span, bool *keep)
{
    for (size_t i = 0; i < n; i++)
        span[i] = (lda_span){v[i].start, v[i].end, i};
    qsort(span, n, sizeof *span, cmp_span);
    int64_t max_end = 0;
    for (size_t k = 0; k < n; k++)
        keep[span[k].i] = collapse_keeps(span[k].start, span[k].end, k == 0,
                                         &max_end);
}

int lda_merge(const lda_seqlist *const *lists, size_t nlists, lda_ref **out,
              size_t *nout)
{
    size_t total = 0, kept = 0;
    for (size_t l = 0; l < nlists; l++)
        total += lists[l]->n;
    mref *m = malloc((total ? total : 1) * sizeof *m);
    if (!m)
        return -1;
    for (size_t l = 0, k = 0; l < nlists; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            m[k++] = (mref){lists[l], &lists[l]->v[i], l};
    qsort(m, total, sizeof *m, cmp_collapse);
    int64_t max_end = 0;
    for (size_t i = 0; i < total; i++) {
        bool same_key = kept > 0 && cmp_key(&m[kept - 1], &m[i]) == 0;
        if (collapse_keeps(m[i].seq->start, m[i].seq->end, !same_key,
                           &max_end))
            m[kept++] = m[i];
    }
    qsort(m, kept, sizeof *m, cmp_report);
    lda_ref *r = malloc((kept ? kept : 1) * sizeof *r);
    if (!r) {
        free(m);
        return -1;
    }
    for (size_t i = 0; i < kept; i++)
        r[i] = (lda_ref){m[i].list, m[i].seq};
    free(m);
    *out = r;
    *nout = kept;
    return 0;
}

void lda_merge_count(const lda_ref *refs, size_t n, uint64_t out[2])
{
    out[0] = out[1] = 0;
    for (size_t i = 0; i < n; i++)
        out[refs[i].seq->dtype == LDA_WASH]++;
}
