/* lda_breaker: the rules of a circuit breaker (docs/api.md#circuit-breaker),
 * as pure transitions on a small state; the clock is passed in. The
 * orchestrator keeps one state per detector service in the host's shared
 * file (lda_circuit, which serialises these calls across processes).
 *
 *   closed     every run calls the service. A run in which it ended
 *              exhausted is one failure, a success resets the count;
 *              `threshold` failures in a row open the circuit.
 *   open       runs do not call it (refused) for open_us; then
 *   half-open  exactly one run (the probe) calls it, the others are still
 *              refused: success closes the circuit, failure opens it
 *              again. A probe that never reports (its process died) is
 *              replaced after lease_us.
 * threshold 0 disables the breaker: every run calls, nothing is kept. */
#ifndef LDA_BREAKER_H
#define LDA_BREAKER_H
#include <stdbool.h>
#include <stdint.h>

typedef enum lda_breaker_state {
    LDA_BREAKER_CLOSED = 0, /* the values of the lda_circuit_state gauge */
    LDA_BREAKER_OPEN = 1,
    LDA_BREAKER_HALF_OPEN = 2
} lda_breaker_state;

/* One service's state; all zero is a closed circuit. */
typedef struct lda_breaker {
    uint32_t state;    /* lda_breaker_state */
    uint32_t failures; /* consecutive, while closed */
    int64_t opened_us; /* when it last opened */
    int64_t probe_us;  /* half-open: when the probe started, 0 = none */
} lda_breaker;

typedef struct lda_breaker_policy {
    uint64_t threshold; /* CIRCUIT_FAILURE_THRESHOLD; 0 = disabled */
    int64_t open_us;    /* CIRCUIT_OPEN_SECONDS */
    int64_t lease_us;   /* the longest a probe may take to report */
} lda_breaker_policy;

/* What a run may do. */
typedef enum lda_breaker_pass {
    LDA_BREAKER_CALL,   /* call it (closed, or the breaker is disabled) */
    LDA_BREAKER_PROBE,  /* call it as the one half-open run */
    LDA_BREAKER_REFUSED /* do not call it: the circuit is open */
} lda_breaker_pass;

/* How the service ended in the run. */
typedef enum lda_breaker_outcome {
    LDA_BREAKER_SUCCESS,
    LDA_BREAKER_FAILURE, /* exhausted */
    LDA_BREAKER_OTHER    /* neither (e.g. the service reported a failure
                            itself): counts for nothing */
} lda_breaker_outcome;

/* A run asks at now_us whether it may call the service; b is updated
 * (open -> half-open with this run as the probe). */
lda_breaker_pass lda_breaker_enter(lda_breaker *b, const lda_breaker_policy *p,
                                   int64_t now_us);
/* The run that was given pass (at probe_start_us: the now_us of its
 * enter) reports the outcome at now_us. A refused run reports nothing; a
 * probe that was replaced is not counted; a plain call that ends after
 * another run opened the circuit is not counted either. */
void lda_breaker_leave(lda_breaker *b, const lda_breaker_policy *p,
                       lda_breaker_pass pass, int64_t probe_start_us,
                       lda_breaker_outcome outcome, int64_t now_us);
/* The state to show at now_us: an open circuit whose time is over shows
 * half-open (the next run probes). */
lda_breaker_state lda_breaker_shown(const lda_breaker *b,
                                    const lda_breaker_policy *p,
                                    int64_t now_us);
#endif
