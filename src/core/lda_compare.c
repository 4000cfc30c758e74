/* lda_compare: one-to-one matching of two alert lists on their identity
 * (see lda_compare.h). Both index arrays are sorted by identity, ties by
 * position, so equal identities pair up in list order. */
#include "lda_compare.h"

#include <stdlib.h>
#include <string.h>

static int id_cmp(const lda_alert_id *x, const lda_alert_id *y)
{
    for (int k = 0; k < 4; k++) {
        int c = strcmp(x->part[k], y->part[k]);
        if (c)
            return c;
    }
    return 0;
}

/* qsort has no context argument: the list being sorted. */
static _Thread_local const lda_alert_id *sorting;

static int idx_cmp(const void *p, const void *q)
{
    size_t i = *(const size_t *)p, j = *(const size_t *)q;
    int c = id_cmp(&sorting[i], &sorting[j]);
    return c ? c : (i > j) - (i < j);
}

/* The positions 0..n-1 of l sorted by identity; NULL on OOM (or n 0). */
static size_t *sorted(const lda_alert_id *l, size_t n)
{
    size_t *ix = n ? malloc(n * sizeof *ix) : NULL;
    for (size_t i = 0; ix && i < n; i++)
        ix[i] = i;
    if (ix) {
        sorting = l;
        qsort(ix, n, sizeof *ix, idx_cmp);
        sorting = NULL;
    }
    return ix;
}

int lda_compare_alerts(const lda_alert_id *a, size_t na, const lda_alert_id *b,
                       size_t nb, bool *matched_a, bool *matched_b,
                       size_t *unchanged)
{
    size_t *ia = sorted(a, na), *ib = sorted(b, nb);
    *unchanged = 0;
    if ((na && !ia) || (nb && !ib)) {
        free(ia);
        free(ib);
        return -1;
    }
    for (size_t i = 0; i < na; i++)
        matched_a[i] = false;
    for (size_t j = 0; j < nb; j++)
        matched_b[j] = false;
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        int c = id_cmp(&a[ia[i]], &b[ib[j]]);
        if (c == 0) {
            matched_a[ia[i++]] = true;
            matched_b[ib[j++]] = true;
            ++*unchanged;
        } else if (c < 0) {
            i++;
        } else {
            j++;
        }
    }
    free(ia);
    free(ib);
    return 0;
}
