/* lda_health: GET /api/health's look at the other programs: each one's
 * GET <route>/health (lda_svc) asked concurrently on the orchestrator's
 * HTTP client (2 s, no retry), plus the asking program itself, which is
 * healthy by construction (it is answering). Asking lighttpd for the
 * asker's own health from inside a request could queue behind that very
 * process and report a healthy program as down. */
#ifndef LDA_HEALTH_H
#define LDA_HEALTH_H
#include <jansson.h>
#include <stdbool.h>
#include "lda_client.h"

/* {"<program>": {"status": "healthy"|"unhealthy", "latency_ms", "error"?}}
 * for every program of lda_svcs, self among them; *all when every one is
 * healthy. NULL on OOM. */
json_t *lda_health_check(lda_client *c, const char *self,
                         const char *request_id, const lda_trace *trace,
                         bool *all);
#endif
