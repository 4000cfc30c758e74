/* lda_clock: the wall clock, read in one place, as the microseconds UTC the
 * core uses, and its docs/reports.md text as a JSON string (run.json,
 * responses); and the monotonic clock the programs time their steps with
 * (logs). */
#ifndef LDA_CLOCK_H
#define LDA_CLOCK_H
#include <jansson.h>
#include <stdint.h>

/* Microseconds since 1970-01-01T00:00:00Z (CLOCK_REALTIME). */
int64_t lda_now_us(void);
/* Microseconds of CLOCK_MONOTONIC (durations only). */
int64_t lda_mono_us(void);
/* us in the docs/reports.md format as a new JSON string (NULL on OOM). */
json_t *lda_time_json(int64_t us);
#endif
