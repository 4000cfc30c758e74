/* lda_fpjob: an event fingerprint (lda_fingerprint_mask) computed on a
 * second thread while the caller goes on with other work on the same set.
 * The set must be finished and must not change until lda_fpjob_finish.
 * Small sets (and a failed pthread_create) are fingerprinted inline by
 * lda_fpjob_finish instead: a thread is only worth it for big ones. The
 * orchestrator overlaps its full fingerprint with encoding the detector
 * bodies; a detector overlaps checking the fingerprint with detecting. */
#ifndef LDA_FPJOB_H
#define LDA_FPJOB_H
#include <pthread.h>
#include <stdbool.h>
#include "lda_event.h"

#define LDA_FPJOB_THREAD_MIN 65536 /* events */

typedef struct lda_fpjob {
    const lda_set *set;
    unsigned mask;
    char hex[65]; /* the fingerprint, after lda_fpjob_finish */
    int rc;
    bool threaded;
    pthread_t thread;
} lda_fpjob;

void lda_fpjob_start(lda_fpjob *j, const lda_set *s, unsigned mask);
/* Wait for (or compute) the fingerprint: 0, or -1 on OOM / OpenSSL
 * failure. */
int lda_fpjob_finish(lda_fpjob *j);

#endif
