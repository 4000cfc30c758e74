/* lda_par: how pure code asks for work to be spread over threads without
 * knowing about threads (src/core does no I/O and starts nothing).
 *
 * A caller that may run in parallel (the CSV reader, the grouping, the
 * detectors' drivers) splits its work into njobs independent jobs and hands
 * them to lda_par_run(). An lda_par with run == NULL, or threads <= 1, runs
 * the jobs one after another in the calling thread, in index order: that
 * is the single-threaded path. The thread pool (src/io/lda_pool.h) fills
 * in run. Jobs must not depend on each other's order; every job has
 * finished when lda_par_run() returns. */
#ifndef LDA_PAR_H
#define LDA_PAR_H
#include <stddef.h>

typedef void (*lda_job_fn)(void *arg, size_t i);

typedef struct lda_par {
    unsigned threads; /* how many threads the runner may use; <= 1: one */
    /* Run job(arg, i) for every i in [0, njobs) and return when all are
     * done; NULL: in the calling thread. */
    void (*run)(const struct lda_par *par, size_t njobs, lda_job_fn job,
                void *arg);
    /* Called by a job that waits for another job's progress (a spin
     * loop): lets the other run; NULL: nothing (the wait only spins). */
    void (*relax)(void);
} lda_par;

/* Give way while waiting for another job (see relax). */
static inline void lda_par_relax(const lda_par *par)
{
    if (par && par->relax)
        par->relax();
}

/* Threads par may use (1 for NULL). */
static inline unsigned lda_par_threads(const lda_par *par)
{
    return par && par->run && par->threads > 1 ? par->threads : 1;
}

/* Run jobs 0..njobs-1 (see above). */
static inline void lda_par_run(const lda_par *par, size_t njobs,
                               lda_job_fn job, void *arg)
{
    if (lda_par_threads(par) > 1 && njobs > 1) {
        par->run(par, njobs, job, arg);
        return;
    }
    for (size_t i = 0; i < njobs; i++)
        job(arg, i);
}

#endif
