/* lda_log: docs/api.md#logs logs: one JSON object per line on stderr
 * (the web server's error log): ts, level, service, request_id, trace_id
 * and span_id (while a request is served), msg, then the given fields. */
#ifndef LDA_LOG_H
#define LDA_LOG_H
#include <jansson.h>
#include "lda_trace.h"

typedef enum { LDA_INFO = 0, LDA_WARN, LDA_ERROR } lda_level;

void lda_log_init(const char *service);
/* The trace of the request being served (NULL: none): its trace_id and
 * span_id go into every line until it is cleared. */
void lda_log_trace(const lda_trace *t);
/* fields: an object whose members are added (stolen; may be NULL).
 * request_id may be NULL. */
void lda_log(lda_level lv, const char *request_id, const char *msg,
             json_t *fields);
#endif
