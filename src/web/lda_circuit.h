/* lda_circuit: the circuit breaker of each detector service
 * (docs/api.md#circuit-breaker), one state per service in the host's
 * shared file (lda_shm), so every orchestrator process of the host sees
 * and changes the same circuit. Each step is an lda_breaker transition
 * made under the service's lock in that file; changes of state are
 * logged. Without the shared file every circuit is closed. */
#ifndef LDA_CIRCUIT_H
#define LDA_CIRCUIT_H
#include "lda_breaker.h"
#include "lda_config.h"
#include "lda_svc.h"

/* The policy of the configuration: CIRCUIT_FAILURE_THRESHOLD,
 * CIRCUIT_OPEN_SECONDS, and a probe's lease (the longest one detector call
 * can take with its retries, plus a minute). */
void lda_circuit_policy(const lda_config *cfg, lda_breaker_policy *p);
/* May a run call detector service s now? (lda_breaker_enter) */
lda_breaker_pass lda_circuit_enter(int s, const lda_breaker_policy *p,
                                   const char *request_id, int64_t now_us);
/* The run reports how service s ended (lda_breaker_leave). */
void lda_circuit_leave(int s, const lda_breaker_policy *p,
                       lda_breaker_pass pass, int64_t entered_us,
                       lda_breaker_outcome o, const char *request_id,
                       int64_t now_us);
/* The state of every detector service to show now (lda_breaker_shown):
 * st[s] for service s. */
void lda_circuit_shown(const lda_breaker_policy *p,
                       lda_breaker_state st[LDA_SVC_COUNT]);
/* Its name in health answers: "closed", "open", "half-open". */
const char *lda_circuit_name(lda_breaker_state st);
#endif
