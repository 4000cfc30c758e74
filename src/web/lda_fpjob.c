/* lda_fpjob: a fingerprint on a second thread (see lda_fpjob.h). The
 * thread only reads the set and writes the job's own hex and rc; joining
 * it publishes both to the caller. With a par, the thread runs
 * lda_fingerprint_par, whose own helpers are joined before it returns. */
#include "lda_fpjob.h"
#include "lda_fingerprint.h"

static void *fpjob_run(void *arg)
{
    lda_fpjob *j = arg;
    j->rc = j->par && j->mask == LDA_FP_ALL
                ? lda_fingerprint_par(j->set, j->par, j->hex)
                : lda_fingerprint_mask(j->set, j->mask, j->hex);
    return NULL;
}

void lda_fpjob_start(lda_fpjob *j, const lda_set *s, unsigned mask,
                     const lda_par *par)
{
    j->set = s;
    j->mask = mask;
    j->par = par;
    j->hex[0] = '\0';
    j->rc = -1;
    j->threaded = s->n >= LDA_FPJOB_THREAD_MIN &&
                  pthread_create(&j->thread, NULL, fpjob_run, j) == 0;
}

int lda_fpjob_finish(lda_fpjob *j)
{
    if (j->threaded)
        pthread_join(j->thread, NULL);
    else
        fpjob_run(j);
    j->threaded = false;
    return j->rc;
}
