/* lda_fpjob: a fingerprint on a second thread (see lda_fpjob.h). The
 * thread only reads the set and writes the job's own hex and rc; joining
 * it publishes both to the caller. */
#include "lda_fpjob.h"
#include "lda_fingerprint.h"

static void *fpjob_run(void *arg)
{
    lda_fpjob *j = arg;
    j->rc = lda_fingerprint_mask(j->set, j->mask, j->hex);
    return NULL;
}

void lda_fpjob_start(lda_fpjob *j, const lda_set *s, unsigned mask)
{
    j->set = s;
    j->mask = mask;
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
