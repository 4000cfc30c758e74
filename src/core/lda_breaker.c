/* lda_breaker: circuit-breaker transitions (see lda_breaker.h). */
#include "lda_breaker.h"

static void open_at(lda_breaker *b, int64_t now_us)
{
    b->state = LDA_BREAKER_OPEN;
    b->failures = 0;
    b->opened_us = now_us;
    b->probe_us = 0;
}

lda_breaker_pass lda_breaker_enter(lda_breaker *b, const lda_breaker_policy *p,
                                   int64_t now_us)
{
    if (p->threshold == 0 || b->state == LDA_BREAKER_CLOSED)
        return LDA_BREAKER_CALL;
    if (b->state == LDA_BREAKER_OPEN && now_us - b->opened_us < p->open_us)
        return LDA_BREAKER_REFUSED;
    if (b->state == LDA_BREAKER_HALF_OPEN && b->probe_us != 0 &&
        now_us - b->probe_us < p->lease_us)
        return LDA_BREAKER_REFUSED; /* one probe at a time */
    b->state = LDA_BREAKER_HALF_OPEN;
    b->probe_us = now_us ? now_us : 1; /* 0 means "no probe" */
    return LDA_BREAKER_PROBE;
}

void lda_breaker_leave(lda_breaker *b, const lda_breaker_policy *p,
                       lda_breaker_pass pass, int64_t probe_start_us,
                       lda_breaker_outcome outcome, int64_t now_us)
{
    if (p->threshold == 0 || pass == LDA_BREAKER_REFUSED)
        return;
    if (pass == LDA_BREAKER_PROBE) {
        if (b->state != LDA_BREAKER_HALF_OPEN ||
            b->probe_us != (probe_start_us ? probe_start_us : 1))
            return; /* replaced after its lease */
        if (outcome == LDA_BREAKER_SUCCESS) {
            b->state = LDA_BREAKER_CLOSED;
            b->failures = 0;
            b->probe_us = 0;
        } else if (outcome == LDA_BREAKER_FAILURE) {
            open_at(b, now_us);
        } else {
            b->probe_us = 0; /* the next run probes */
        }
        return;
    }
    if (b->state != LDA_BREAKER_CLOSED)
        return;
    if (outcome == LDA_BREAKER_SUCCESS)
        b->failures = 0;
    else if (outcome == LDA_BREAKER_FAILURE && ++b->failures >= p->threshold)
        open_at(b, now_us);
}

lda_breaker_state lda_breaker_shown(const lda_breaker *b,
                                    const lda_breaker_policy *p,
                                    int64_t now_us)
{
    if (p->threshold == 0)
        return LDA_BREAKER_CLOSED;
    if (b->state == LDA_BREAKER_OPEN && now_us - b->opened_us >= p->open_us)
        return LDA_BREAKER_HALF_OPEN;
    return (lda_breaker_state)b->state;
}
