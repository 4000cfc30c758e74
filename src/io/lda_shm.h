/* lda_shm: the host's shared state, one memory-mapped file
 * ($LDA_VAR_DIR/run/host.shm) that every process of every program maps:
 * the metrics of each process (docs/api.md#metrics) and the circuit of
 * each detector service (docs/api.md#circuit-breaker).
 *
 * Metrics live in per-process slots: a process claims a free slot of its
 * program at start (an OFD write lock on the slot's first byte, held for
 * the process's life and dropped by the kernel when it dies), and then
 * counts into it with relaxed atomic adds, no lock on the request path. A
 * slot that outlives its process keeps its counts, and the next process of
 * the same program that claims it goes on from them: sums over all slots
 * are the host's totals and survive any process restart (and a server
 * restart within the same var dir). When every slot of the program is
 * held, a process shares one (atomics keep the counts exact).
 *
 * The circuits are changed under a short OFD lock on their own bytes
 * (lda_shm_lock); a flag per circuit lets the usual case (closed, nothing
 * failed) go by without it. The file is created atomically (link of a complete
 * temporary); a file of another layout (an older build) is replaced by a
 * new one, whose counts start at zero. */
#ifndef LDA_SHM_H
#define LDA_SHM_H
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "lda_breaker.h"
#include "lda_svc.h"

#define LDA_SHM_SLOTS 256
#define LDA_SHM_CODE_MIN 100 /* HTTP statuses 100..599 are counted */
#define LDA_SHM_CODES 500
#define LDA_SHM_BUCKETS 16 /* request duration buckets, the last +Inf */

/* The run outcomes of lda_runs_total{status}. */
typedef enum lda_run_status {
    LDA_RUN_COMPLETED,
    LDA_RUN_PARTIAL,
    LDA_RUN_FAILED,
    LDA_RUN_STATUSES
} lda_run_status;

typedef _Atomic uint64_t lda_counter;

/* One process's counts. */
typedef struct lda_shm_slot {
    _Atomic uint32_t program; /* 1 + index in lda_svcs; 0 = never used */
    _Atomic uint32_t pid;     /* its last owner */
    lda_counter requests[LDA_SHM_CODES];  /* answers by status code */
    lda_counter buckets[LDA_SHM_BUCKETS]; /* answers by duration (each
                                             in its own bucket only) */
    lda_counter duration_us;              /* the sum of the durations */
    lda_counter runs[LDA_RUN_STATUSES];
    lda_counter events;   /* valid events of finished runs */
    lda_counter rejected; /* rejected records of finished runs */
    lda_counter retries[LDA_SVC_COUNT];
} lda_shm_slot;

typedef struct lda_shm {
    uint64_t magic;
    uint64_t size; /* sizeof(lda_shm): the layout */
    lda_breaker circuit[LDA_SVC_COUNT];
    /* 0 while circuit[s] is closed with no failure counted: then a run
       may call, and a success changes nothing, without the lock. Written
       under the lock, read without it. */
    _Atomic uint32_t circuit_dirty[LDA_SVC_COUNT];
    lda_shm_slot slot[LDA_SHM_SLOTS];
} lda_shm;

/* Map the host's file under var_dir (creating it and run/ if needed) and
 * claim a slot for program (an index in lda_svcs). Once per process;
 * false with errno when the file cannot be used (the program then runs
 * without metrics and circuits). */
bool lda_shm_open(const char *var_dir, int program);
/* The mapped file, NULL when lda_shm_open failed or was not called. */
lda_shm *lda_shm_get(void);
/* This process's slot, NULL likewise. */
lda_shm_slot *lda_shm_mine(void);
/* True when slot i is held by a live process (this one included); its
 * owner's pid in *pid. */
bool lda_shm_live(int i, pid_t *pid);
/* Lock (true) / unlock (false) the circuit of detector service s, waiting
 * for the lock. */
void lda_shm_lock(int s, bool lock);
#endif
