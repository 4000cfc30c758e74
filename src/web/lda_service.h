/* lda_service: the life cycle and the request boundary every program
 * shares, under FastCGI (a loop of requests) or plain CGI (fd 0 is no
 * FastCGI socket: one request from the environment and stdin, then exit).
 *
 * A program declares, in one table, every route it serves: method, path,
 * which key opens it, the bodies it accepts with their limits, and its
 * handler. A key is presented as X-API-Key, or as "Authorization: Bearer
 * <key>" (what a Prometheus scrape config sends). lda_service_main() loads and validates the configuration (exit
 * 1 with a log line when invalid), then accepts requests one at a time and
 * for each, in this order:
 *   400  a Content-Length that is not a number, a path too long;
 *   200  GET|HEAD <program route>/health, answered here (405 otherwise);
 *        (GET /api/metrics, the host's metrics, is a route of every
 *        program, after its own: it goes through the checks below);
 *   401  the key of the route (constant time; docs/api.md#keys-per-route);
 *        the generic failpoints (http500, http429, http400, hang, exit);
 *   404  no route has this path; 405 (with Allow) none has this method;
 *        the route's admit hook (rate limit, draining), if any;
 *   415  a Content-Type the route does not take;
 *   413  a body past the route's limit (400 when cut short);
 * then the handler, which parses and acts, and returns an answer or an
 * lda_err; this file sends either, once, and then calls the route's done
 * hook. Nothing else in a program writes to the client. Every answer is
 * counted (lda_metrics: status and duration) once it has been sent; the
 * host's shared file (lda_shm) is mapped at start. */
#ifndef LDA_SERVICE_H
#define LDA_SERVICE_H
#include <stdbool.h>
#include "lda_config.h"
#include "lda_err.h"
#include "lda_http.h"

/* Which key opens a route (docs/api.md#keys-per-route). */
typedef enum lda_key_class {
    LDA_KEY_NONE,             /* open to all */
    LDA_KEY_USER,             /* API_KEY; open when API_KEY is unset */
    LDA_KEY_USER_OR_INTERNAL, /* the same, and INTERNAL_API_KEY too */
    LDA_KEY_INTERNAL,         /* INTERNAL_API_KEY only; closed when unset */
    LDA_KEY_METRICS           /* METRICS_API_KEY; open when it is unset */
} lda_key_class;

/* The limit on a body, and the words of its 413. */
typedef enum lda_limit {
    LDA_LIMIT_UPLOAD,      /* MAX_UPLOAD_BYTES: a user's upload */
    LDA_LIMIT_INTERNAL,    /* MAX_UPLOAD_BYTES: the orchestrator's forms */
    LDA_LIMIT_INTERNAL_X2, /* twice that: events as CSV may be longer than
                              the upload they came from */
    LDA_LIMIT_JSON         /* MAX_JSON_BODY_BYTES: JSON decoded as a whole */
} lda_limit;

/* One accepted Content-Type of a route. */
typedef struct lda_media {
    const char *type; /* "text/csv" (parameters and case ignored) */
    lda_limit limit;
} lda_media;

typedef bool (*lda_handler)(const lda_config *cfg, lda_req *r, lda_answer *out,
                            lda_err *e);

typedef struct lda_route {
    const char *method; /* "POST", or "GET" (which takes HEAD too) */
    const char *path;   /* exact, or a prefix when it ends in '/' */
    lda_key_class key;
    const lda_media *media; /* bodies taken, ended by {NULL}; NULL: the
                                 route reads no body */
    /* Optional: before the body is read; false refuses the request. */
    bool (*admit)(const lda_config *cfg, lda_req *r, lda_err *e);
    /* Optional: after the answer has been sent, whenever admit ran. */
    void (*done)(const lda_config *cfg, lda_req *r);
    lda_handler handle; /* r->body holds the body when media is set */
} lda_route;

typedef struct lda_service {
    const char *program;     /* program name (logs, failpoints, health) */
    const char *route;       /* GET <route>/health is answered by the loop */
    lda_key_class key;       /* the key of paths no route has */
    const lda_route *routes; /* ended by a route with a NULL path */
    /* Once per process after the configuration is loaded; -1 = cannot
       start. Optional. */
    int (*start)(const lda_config *cfg);
    /* Optional: remove what has expired (cache entries, old runs) and
       return how many; called at start and then at most every
       LDA_SWEEP_SECONDS by one process of the program at a time. */
    size_t (*sweep)(const lda_config *cfg);
    const char *sweep_what; /* for the log: "cache", "runs" */
} lda_service;

int lda_service_main(const lda_service *svc);

/* One accepted request of svc: dispatch it (the checks above, then the
 * route's handler) and send the one answer, then run the route's done
 * hook. lda_service_main's loop calls it for every request; a test may
 * call it on a request of its own. */
void lda_service_serve(const lda_service *svc, const lda_config *cfg,
                       lda_req *r);

/* Constant-time check of a presented key (NULL: none) against the keys
 * of class k. Both comparisons always run. */
bool lda_service_key_ok(const lda_config *cfg, lda_key_class k,
                        const char *presented);
#endif
