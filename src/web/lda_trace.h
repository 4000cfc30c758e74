/* lda_trace: W3C Trace Context (`traceparent`) for one request: the trace
 * it belongs to and this hop's span (docs/api.md#trace-context). A valid
 * incoming `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>` is
 * continued; anything else starts a new trace -- never an error. Ids come
 * from the CSPRNG (lda_random). Every answer carries the hop's traceparent,
 * every sibling call a child span of it, every log line of the request its
 * trace_id and span_id (lda_log). */
#ifndef LDA_TRACE_H
#define LDA_TRACE_H
#include <stdbool.h>

#define LDA_TRACEPARENT_LEN 55

typedef struct lda_trace {
    char trace_id[33]; /* 32 lowercase hex digits */
    char span_id[17];  /* this hop's span, 16 lowercase hex digits */
    char flags[3];     /* as received, "01" for a new trace */
} lda_trace;

/* True when s is a traceparent this code continues: version 00, lowercase
 * hex ids that are not all zeros, exactly 55 characters. */
bool lda_trace_valid(const char *s);
/* Continue traceparent (NULL or invalid: start a new trace) with a new
 * span id for this hop. */
void lda_trace_begin(lda_trace *t, const char *traceparent);
/* The traceparent of this hop (answers): out[LDA_TRACEPARENT_LEN + 1]. */
void lda_trace_header(const lda_trace *t, char *out);
/* A traceparent for a call this hop makes: same trace, a new span id. */
void lda_trace_child(const lda_trace *t, char *out);
#endif
