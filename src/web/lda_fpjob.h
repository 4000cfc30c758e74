/* lda_fpjob: an event fingerprint (lda_fingerprint_mask) computed on a
 * second thread while the caller goes on with other work on the same set.
 * The set must be finished and must not change until lda_fpjob_finish.
 * Small sets (and a failed pthread_create) are fingerprinted inline by
 * lda_fpjob_finish instead: a thread is only worth it for big ones. The
 * orchestrator overlaps its full fingerprint with encoding the detector
 * bodies; a detector overlaps checking the fingerprint with detecting.
 * Both give the full fingerprint an lda_par of every thread
 * (lda_fpjob_start): its text is built on one thread and hashed on
 * another (lda_fingerprint_par) while the caller's own work takes the
 * rest, so the longest step of either program is no longer one stream of
 * work on one core. */
#ifndef LDA_FPJOB_H
#define LDA_FPJOB_H
#include <pthread.h>
#include <stdbool.h>
#include "lda_event.h"
#include "lda_par.h"

#define LDA_FPJOB_THREAD_MIN 65536 /* events */

typedef struct lda_fpjob {
    const lda_set *set;
    unsigned mask;
    const lda_par *par; /* lda_fingerprint_par's, for LDA_FP_ALL; or NULL */
    char hex[65];       /* the fingerprint, after lda_fpjob_finish */
    int rc;
    bool threaded;
    pthread_t thread;
} lda_fpjob;

/* Start the fingerprint of s's events whose type is in mask. When mask is
 * LDA_FP_ALL and par is not NULL, the job runs lda_fingerprint_par on par
 * (which must outlive the job); the value is the same. */
void lda_fpjob_start(lda_fpjob *j, const lda_set *s, unsigned mask,
                     const lda_par *par);
/* Wait for (or compute) the fingerprint: 0, or -1 on OOM / OpenSSL
 * failure. */
int lda_fpjob_finish(lda_fpjob *j);

#endif
