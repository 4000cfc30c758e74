/* lda_circuit: lda_breaker on the host's shared file (see lda_circuit.h). */
#include "lda_circuit.h"

#include <math.h>

#include "lda_clock.h"
#include "lda_log.h"
#include "lda_shm.h"
#include "lda_svc.h"

#define DAY_US (86400 * (int64_t)1000000)

void lda_circuit_policy(const lda_config *cfg, lda_breaker_policy *p)
{
    p->threshold = cfg->circuit_failure_threshold;
    p->open_us = (int64_t)llround(cfg->circuit_open_seconds * 1e6);
    /* attempts * timeout + the backoffs between them (base * (2^r - 1)),
       counted in seconds up to a day, plus a minute */
    double r = cfg->max_retries > 30 ? 30 : (double)cfg->max_retries;
    double s = cfg->algorithm_timeout * (r + 1) +
               cfg->retry_backoff_base * (pow(2, r) - 1) + 60;
    p->lease_us = s > 86400 ? DAY_US : (int64_t)llround(s * 1e6);
}

const char *lda_circuit_name(lda_breaker_state st)
{
    return st == LDA_BREAKER_OPEN        ? "open"
           : st == LDA_BREAKER_HALF_OPEN ? "half-open"
                                         : "closed";
}

static void log_change(int s, uint32_t from, const lda_breaker *b,
                       const char *request_id)
{
    if (from == b->state)
        return;
    lda_log(b->state == LDA_BREAKER_OPEN ? LDA_WARN : LDA_INFO, request_id,
            "circuit changed",
            json_pack("{s:s,s:s,s:s}", "target", lda_svcs[s].name, "from",
                      lda_circuit_name((lda_breaker_state)from), "to",
                      lda_circuit_name((lda_breaker_state)b->state)));
}

/* Whether circuit s is closed with no failure counted (no lock). */
static bool clean(const lda_shm *shm, int s)
{
    return atomic_load_explicit(&shm->circuit_dirty[s],
                                memory_order_acquire) == 0;
}

/* After a transition, under the lock. */
static void mark(lda_shm *shm, int s)
{
    const lda_breaker *b = &shm->circuit[s];
    atomic_store_explicit(&shm->circuit_dirty[s],
                          b->state != LDA_BREAKER_CLOSED || b->failures != 0,
                          memory_order_release);
}

lda_breaker_pass lda_circuit_enter(int s, const lda_breaker_policy *p,
                                   const char *request_id, int64_t now_us)
{
    lda_shm *shm = lda_shm_get();
    if (!shm || p->threshold == 0 || clean(shm, s))
        return LDA_BREAKER_CALL;
    lda_shm_lock(s, true);
    lda_breaker *b = &shm->circuit[s];
    uint32_t from = b->state;
    lda_breaker_pass pass = lda_breaker_enter(b, p, now_us);
    lda_breaker after = *b;
    mark(shm, s);
    lda_shm_lock(s, false);
    log_change(s, from, &after, request_id);
    return pass;
}

void lda_circuit_leave(int s, const lda_breaker_policy *p,
                       lda_breaker_pass pass, int64_t entered_us,
                       lda_breaker_outcome o, const char *request_id,
                       int64_t now_us)
{
    lda_shm *shm = lda_shm_get();
    if (!shm || p->threshold == 0 || pass == LDA_BREAKER_REFUSED ||
        (pass == LDA_BREAKER_CALL && o == LDA_BREAKER_SUCCESS &&
         clean(shm, s)))
        return; /* nothing to change */
    lda_shm_lock(s, true);
    lda_breaker *b = &shm->circuit[s];
    uint32_t from = b->state;
    lda_breaker_leave(b, p, pass, entered_us, o, now_us);
    lda_breaker after = *b;
    mark(shm, s);
    lda_shm_lock(s, false);
    log_change(s, from, &after, request_id);
}

void lda_circuit_shown(const lda_breaker_policy *p,
                       lda_breaker_state st[LDA_SVC_COUNT])
{
    lda_shm *shm = lda_shm_get();
    int64_t now = lda_now_us();
    for (int s = 0; s < LDA_SVC_COUNT; s++) {
        lda_breaker b = {0};
        if (shm && !clean(shm, s)) {
            lda_shm_lock(s, true);
            b = shm->circuit[s];
            lda_shm_lock(s, false);
        }
        st[s] = lda_breaker_shown(&b, p, now);
    }
}
