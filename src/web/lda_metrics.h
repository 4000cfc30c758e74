/* lda_metrics: the host's metrics (docs/api.md#metrics): what the programs
 * count, into this process's slot of the shared file (lda_shm) with
 * relaxed atomic adds -- no lock, no system call on the request path --
 * and the Prometheus text exposition (format 0.0.4) of the sums over every
 * slot, written by hand (no C client library does multi-process).
 *
 * Without a shared file (lda_shm_open failed, or unit tests) counting does
 * nothing. */
#ifndef LDA_METRICS_H
#define LDA_METRICS_H
#include <stdbool.h>
#include <stdint.h>
#include "lda_breaker.h"
#include "lda_buf.h"
#include "lda_shm.h"

/* The media type of the exposition. */
#define LDA_METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* The upper bounds of the duration buckets, microseconds: 1 ms to 60 s
 * (+Inf after them). */
#define LDA_METRICS_BOUNDS_US \
    { \
        1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, \
            1000000, 2500000, 5000000, 10000000, 30000000, 60000000 \
    }

/* One answer of this process: its HTTP status and how long it took from
 * acceptance to the answer sent. */
void lda_metrics_request(int status, int64_t duration_us);
/* One finished run of the orchestrator: its outcome, its valid events and
 * rejected records, and each detector's retries. */
void lda_metrics_run(lda_run_status st, uint64_t events, uint64_t rejected,
                     const unsigned retries[LDA_SVC_COUNT]);
/* The exposition of every family into out (appended); circuit[s] is the
 * state to show for detector service s. False when out ran out of memory
 * or there is no shared file. */
bool lda_metrics_write(const lda_breaker_state circuit[LDA_SVC_COUNT],
                       lda_buf *out);
#endif
