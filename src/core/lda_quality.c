/* lda_quality: duplicates within a run of equal timestamps (see
 * lda_quality.h). A short run is compared pairwise; a long one (only
 * crafted or broken input has one) is sorted by its remaining fields so
 * that equal events become neighbours: O(n log n) whatever the input. */
#include "lda_quality.h"

#include <stdlib.h>
#include <string.h>

#include "lda_event.h"

#define PAIRWISE_MAX 16

typedef struct dup_key {
    uint64_t qty;
    double price; /* finite, > 0: == is bit equality */
    uint8_t side, type;
} dup_key;

static bool same(const lda_event *a, const lda_event *b)
{
    return a->qty == b->qty && a->price == b->price && a->side == b->side &&
           a->type == b->type;
}

static int key_cmp(const void *pa, const void *pb)
{
    const dup_key *a = pa, *b = pb;
    if (a->qty != b->qty)
        return a->qty < b->qty ? -1 : 1;
    if (a->price != b->price)
        return a->price < b->price ? -1 : 1;
    if (a->side != b->side)
        return a->side < b->side ? -1 : 1;
    return (int)a->type - (int)b->type;
}

bool lda_quality_run_dups(const struct lda_event *ev, size_t n, uint64_t *dups)
{
    uint64_t d = 0;
    if (n <= PAIRWISE_MAX) {
        for (size_t j = 1; j < n; j++)
            for (size_t i = 0; i < j; i++)
                if (same(&ev[i], &ev[j])) {
                    d++;
                    break;
                }
        *dups += d;
        return true;
    }
    dup_key *k = malloc(n * sizeof *k);
    if (!k)
        return false;
    for (size_t i = 0; i < n; i++) {
        memset(&k[i], 0, sizeof k[i]);
        k[i].qty = ev[i].qty;
        k[i].price = ev[i].price;
        k[i].side = ev[i].side;
        k[i].type = ev[i].type;
    }
    qsort(k, n, sizeof *k, key_cmp);
    for (size_t i = 1; i < n; i++)
        d += key_cmp(&k[i - 1], &k[i]) == 0;
    free(k);
    *dups += d;
    return true;
}
