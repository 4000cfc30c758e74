/* lda_service: the life cycle every FastCGI program shares. main() fills an
 * lda_service and calls lda_service_main(), which loads and validates the
 * configuration (exit 1 with a log line when invalid), then accepts requests
 * one at a time and for each: reads method, path and X-Request-ID; answers
 * GET <route>/health itself; checks the key of the route's class (SPEC
 * §5.6, constant time);
 * fires the generic failpoints (http500, http429, http400, hang, exit); and
 * hands the request to the program's handler, which must reply. */
#ifndef LDA_SERVICE_H
#define LDA_SERVICE_H
#include <stdbool.h>
#include "lda_config.h"
#include "lda_http.h"

/* Which key a route takes (README, "Keys per route"). */
typedef enum lda_key_class {
    LDA_KEY_USER,          /* API_KEY; open when API_KEY is unset */
    LDA_KEY_USER_OR_INTERNAL, /* the same, and INTERNAL_API_KEY too */
    LDA_KEY_INTERNAL       /* INTERNAL_API_KEY only; closed when unset */
} lda_key_class;

typedef struct lda_service {
    const char *name;      /* program name: "detect-wash" (logs, failpoints,
                              health) */
    const char *route;     /* "/api/detect/wash"; the loop answers
                              GET <route>/health */
    const char *public_path; /* GET/HEAD of this path needs no key either
                              (the handler answers it): "/api/health" */
    lda_key_class key;     /* the key the program's routes take ... */
    const char *internal_path; /* ... except this path, which takes only
                              INTERNAL_API_KEY: "/api/aggregate" */
    /* Once per process after the configuration is loaded; -1 = cannot
       start. Optional. */
    int (*start)(const lda_config *cfg);
    /* Optional: remove what has expired (cache entries, old runs) and
       return how many; called at start and then at most every
       LDA_SWEEP_SECONDS by one process of the program at a time. */
    size_t (*sweep)(const lda_config *cfg);
    const char *sweep_what;   /* for the log: "cache", "runs" */
    /* Every other request (already authorised). Must reply. */
    void (*handle)(const lda_config *cfg, lda_req *r);
} lda_service;

int lda_service_main(const lda_service *svc);

/* Constant-time check of a presented key (NULL: none) against the keys
 * of class k (SPEC §5.6, §5.6a). Both comparisons always run. */
bool lda_service_key_ok(const lda_config *cfg, lda_key_class k,
                        const char *presented);
#endif
