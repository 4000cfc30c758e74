/* lda_svc: the one list of the product's programs
 * (docs/api.md#routes-and-programs). Everything that needs to know which
 * programs exist reads it: the detector program (its name, route, what it
 * runs), the orchestrator (whom it calls with which events, whom it asks for
 * health), the aggregate codec (the service names of docs/api.md#aggregate
 * "expected_services"), and the build (the Makefile takes the program names
 * from the table in lda_svc.c; keep each entry on one line).
 *
 * The detectors come first, in the order their results are merged; adding
 * a detector is one entry here plus its lda_detect_* function. */
#ifndef LDA_SVC_H
#define LDA_SVC_H
#include <stddef.h>
#include "lda_detect.h"

typedef int (*lda_detect_fn)(const lda_set *s, const lda_params *p,
                             lda_seqlist *out);

typedef struct lda_svc {
    const char *name;     /* service_name of the JSON forms: "layering" */
    const char *program;  /* cgi-bin/<program>.fcgi, logs, failpoints */
    const char *route;    /* "/api/detect/layering"; <route>/health */
    unsigned receives;    /* detectors: the event types they are sent
                              (1u << LDA_TRADE ...); 0 otherwise */
    lda_detect_fn detect; /* detectors only */
} lda_svc;

enum {
    LDA_SVC_LAYERING,
    LDA_SVC_WASH,
    LDA_SVC_COUNT, /* the detectors */
    LDA_SVC_AGGREGATE = LDA_SVC_COUNT,
    LDA_SVC_ORCHESTRATE,
    LDA_SVC_ALL /* every program */
};

extern const lda_svc lda_svcs[LDA_SVC_ALL];

/* The detector index of a service name (n bytes), or -1. */
int lda_svc_detector(const char *name, size_t n);
/* The entry of a program name, or NULL. */
const lda_svc *lda_svc_program(const char *program);
#endif
