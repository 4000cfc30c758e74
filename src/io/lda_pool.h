/* lda_pool: the thread pool behind lda_par (src/core/lda_par.h): runs N
 * jobs over pthreads and joins them.
 *
 * Each lda_par_run() starts at most threads - 1 helper threads (never more
 * than there are jobs), the calling thread works too, and every thread takes
 * the next job index from one atomic counter until none is left; then the
 * helpers are joined. A helper that cannot be started is simply not there:
 * the remaining threads (at least the caller) run every job, so a run never
 * fails. No thread outlives the call. */
#ifndef LDA_POOL_H
#define LDA_POOL_H
#include "lda_par.h"

#define LDA_POOL_MAX 256 /* LDA_THREADS at most */

/* An lda_par that runs jobs on up to threads threads (1: the calling
 * thread only, in index order). */
lda_par lda_pool_par(unsigned threads);

/* The number of online CPUs (at least 1, at most LDA_POOL_MAX). */
unsigned lda_pool_cpus(void);

#endif
