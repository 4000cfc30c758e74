/* lda_pool: pthreads runner of lda_par jobs (see the header).
 *
 * A run shares one struct among its threads: the job, its argument, the
 * job count and an atomic next-index counter. Helpers are created per run
 * (a run is a whole parse or a whole grouping, milliseconds at least, so
 * the ~20 µs a thread costs to start does not show) and joined before the
 * call returns, so nothing lingers between requests of a FastCGI program
 * and no job can run after its data is freed. */
#include "lda_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct pool_run {
    lda_job_fn job;
    void *arg;
    size_t njobs;
    atomic_size_t next;
} pool_run;

static void take_jobs(pool_run *pr)
{
    for (;;) {
        size_t i = atomic_fetch_add(&pr->next, 1);
        if (i >= pr->njobs)
            return;
        pr->job(pr->arg, i);
    }
}

static void *helper(void *p)
{
    take_jobs(p);
    return NULL;
}

static void pool_run_jobs(const lda_par *par, size_t njobs, lda_job_fn job,
                          void *arg)
{
    pool_run pr = {job, arg, njobs, 0};
    pthread_t tid[LDA_POOL_MAX];
    size_t want = par->threads < LDA_POOL_MAX ? par->threads : LDA_POOL_MAX,
           started = 0;
    atomic_init(&pr.next, 0);
    if (want > njobs)
        want = njobs;
    while (started + 1 < want &&
           pthread_create(&tid[started], NULL, helper, &pr) == 0)
        started++;
    take_jobs(&pr);
    for (size_t i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
}

static void pool_relax(void)
{
    sched_yield();
}

lda_par lda_pool_par(unsigned threads)
{
    lda_par p = {threads ? threads : 1, threads > 1 ? pool_run_jobs : NULL,
                 threads > 1 ? pool_relax : NULL};
    return p;
}

unsigned lda_pool_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > LDA_POOL_MAX ? LDA_POOL_MAX : (unsigned)n;
}
