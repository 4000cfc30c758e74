/* lda_analyse: the detectors as lda_par jobs (see the header).
 *
 * Jobs 0..m-1 are layering over the group ranges, m..2m-1 wash over the
 * same ranges. Range 0 of each detector writes to the caller's list
 * directly, the others to lists of their own that are appended
 * afterwards, in order. */
#include "lda_analyse.h"

#include <stdlib.h>

typedef struct analyse {
    const lda_set *s;
    const lda_params *p;
    size_t m;         /* ranges per detector */
    size_t *g;        /* m + 1 range bounds */
    lda_seqlist *out; /* 2m lists: [0] is lay, [m] is wash */
    int *rc;          /* 2m results */
} analyse;

static void analyse_job(void *arg, size_t i)
{
    analyse *a = arg;
    size_t k = i % a->m;
    a->rc[i] = i < a->m ? lda_detect_layering_range(a->s, a->p, a->g[k],
                                                    a->g[k + 1], &a->out[i])
                        : lda_detect_wash_range(a->s, a->p, a->g[k],
                                                a->g[k + 1], &a->out[i]);
}

/* Bounds of m ranges of groups of about equal event counts. */
static void cut_ranges(const lda_set *s, size_t m, size_t *g)
{
    size_t at = 0;
    g[0] = 0;
    for (size_t k = 1; k < m; k++) {
        size_t want = (size_t)((uint64_t)s->n * k / m);
        while (at < s->ngroups && s->groups[at].first < want)
            at++;
        g[k] = at;
    }
    g[m] = s->ngroups;
}

/* Run the jobs; lay and wash are out[0] and out[m] (moved in and back). */
static int run_jobs(analyse *a, const lda_par *par, lda_seqlist *lay,
                    lda_seqlist *wash)
{
    size_t m = a->m;
    int rc = 0;
    a->out[0] = *lay;
    a->out[m] = *wash;
    lda_par_run(par, 2 * m, analyse_job, a);
    for (size_t i = 0; i < 2 * m; i++)
        rc |= a->rc[i];
    for (size_t k = 1; k < m && rc == 0; k++)
        if (!lda_seqlist_append(&a->out[0], &a->out[k]) ||
            !lda_seqlist_append(&a->out[m], &a->out[m + k]))
            rc = -1;
    *lay = a->out[0];
    *wash = a->out[m];
    for (size_t k = 1; k < m; k++) {
        lda_seqlist_free(&a->out[k]);
        lda_seqlist_free(&a->out[m + k]);
    }
    return rc < 0 ? -1 : 0;
}

int lda_analyse(const lda_set *s, const lda_params *p, const lda_par *par,
                lda_seqlist *lay, lda_seqlist *wash)
{
    analyse a = {s, p, lda_par_threads(par), NULL, NULL, NULL};
    if (a.m > s->ngroups)
        a.m = s->ngroups ? s->ngroups : 1;
    a.g = malloc((a.m + 1) * sizeof *a.g);
    a.out = malloc(2 * a.m * sizeof *a.out);
    a.rc = calloc(2 * a.m, sizeof *a.rc);
    int rc = -1;
    if (a.g && a.out && a.rc) {
        for (size_t i = 0; i < 2 * a.m; i++)
            lda_seqlist_init(&a.out[i]);
        cut_ranges(s, a.m, a.g);
        rc = run_jobs(&a, par, lay, wash);
    }
    free(a.g);
    free(a.out);
    free(a.rc);
    return rc;
}
