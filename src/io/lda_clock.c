/* lda_clock: wall-clock time for run records (see lda_clock.h). */
#include "lda_clock.h"

#include <time.h>

#include "lda_time.h"

int64_t lda_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t lda_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

json_t *lda_time_json(int64_t us)
{
    char t[LDA_TIME_MAX];
    lda_time_format(us, t);
    return json_string(t);
}
