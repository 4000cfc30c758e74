/* lda_seq: the sequence list. Four growable arrays (sequences, keys,
 * order timestamps, record numbers) and one text arena; keys are interned against the last
 * key only, which is enough because producers emit group by group. */
#include "lda_seq.h"
#include "lda_mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

const char *const lda_dtype_names[2] = {"LAYERING", "WASH_TRADING"};

void lda_seqlist_init(lda_seqlist *l)
{
    memset(l, 0, sizeof *l);
    lda_buf_init(&l->text);
}

void lda_seqlist_free(lda_seqlist *l)
{
    free(l->v);
    free(l->keys);
    free(l->orders);
    free(l->recs);
    lda_buf_free(&l->text);
    lda_seqlist_init(l);
}

static bool key_equals(const lda_seqlist *l, const lda_seqkey *k,
                       const char *acc, size_t acc_len, const char *prod,
                       size_t prod_len)
{
    return k->acc_len == acc_len && k->prod_len == prod_len &&
           memcmp(l->text.data + k->acc_off, acc, acc_len) == 0 &&
           memcmp(l->text.data + k->prod_off, prod, prod_len) == 0;
}

uint32_t lda_seqlist_key(lda_seqlist *l, const char *acc, size_t acc_len,
                         const char *prod, size_t prod_len)
{
    if (l->nkeys &&
        key_equals(l, &l->keys[l->nkeys - 1], acc, acc_len, prod, prod_len))
        return (uint32_t)(l->nkeys - 1);
    if (l->nkeys >= UINT32_MAX - 1 || acc_len > UINT32_MAX ||
        prod_len > UINT32_MAX ||
        !lda_mem_grow((void **)&l->keys, &l->kcap, sizeof *l->keys,
                      l->nkeys + 1))
        return UINT32_MAX;
    lda_seqkey *k = &l->keys[l->nkeys];
    k->acc_off = l->text.len;
    k->acc_len = (uint32_t)acc_len;
    lda_buf_add(&l->text, acc, acc_len);
    k->prod_off = l->text.len;
    k->prod_len = (uint32_t)prod_len;
    lda_buf_add(&l->text, prod, prod_len);
    if (l->text.oom)
        return UINT32_MAX;
    return (uint32_t)l->nkeys++;
}

lda_seq *lda_seqlist_push(lda_seqlist *l)
{
    if (!lda_mem_grow((void **)&l->v, &l->cap, sizeof *l->v, l->n + 1))
        return NULL;
    lda_seq *q = &l->v[l->n++];
    memset(q, 0, sizeof *q);
    q->side = LDA_SIDE_NULL;
    return q;
}

bool lda_seqlist_set_orders(lda_seqlist *l, lda_seq *q, const int64_t *ts,
                            size_t n)
{
    if (n > UINT32_MAX || !lda_mem_grow((void **)&l->orders, &l->ocap,
                                        sizeof *l->orders, l->norders + n))
        return false;
    if (n)
        memcpy(l->orders + l->norders, ts, n * sizeof *ts);
    q->orders_off = l->norders;
    q->norders = (uint32_t)n;
    l->norders += n;
    return true;
}

bool lda_seqlist_set_records(lda_seqlist *l, lda_seq *q, const uint32_t *rec,
                             size_t n)
{
    if (n > UINT32_MAX || !lda_mem_grow((void **)&l->recs, &l->rcap,
                                        sizeof *l->recs, l->nrecs + n))
        return false;
    if (n)
        memcpy(l->recs + l->nrecs, rec, n * sizeof *rec);
    q->recs_off = l->nrecs;
    q->nrecs = (uint32_t)n;
    q->has_ev = true;
    l->nrecs += n;
    return true;
}

bool lda_seqlist_reportable(const lda_seqlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].buy_qty > (uint64_t)INT64_MAX ||
            l->v[i].sell_qty > (uint64_t)INT64_MAX ||
            l->v[i].num_cancelled > (uint64_t)INT64_MAX)
            return false;
    return true;
}

bool lda_seqlist_append(lda_seqlist *dst, const lda_seqlist *src)
{
    for (size_t i = 0; i < src->n; i++) {
        const lda_seq *s = &src->v[i];
        const lda_seqkey *k = &src->keys[s->key];
        uint32_t key = lda_seqlist_key(dst, src->text.data + k->acc_off,
                                       k->acc_len,
                                       src->text.data + k->prod_off,
                                       k->prod_len);
        lda_seq *q = key == UINT32_MAX ? NULL : lda_seqlist_push(dst);
        if (!q)
            return false;
        *q = *s;
        q->key = key;
        q->orders_off = 0;
        if (s->norders && !lda_seqlist_set_orders(
                              dst, q, src->orders + s->orders_off, s->norders))
            return false;
        q->recs_off = 0;
        if (s->has_ev && !lda_seqlist_set_records(
                             dst, q, src->recs + s->recs_off, s->nrecs))
            return false;
    }
    return true;
}
