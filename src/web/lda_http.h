/* lda_http: one FastCGI request as the programs see it, and the bytes of
 * its answer. A request is read through named accessors; its body is read
 * once, whole, into memory, refused past a limit. An answer is built by a
 * handler as an lda_answer (or an lda_err) and sent by lda_service, once,
 * through lda_http_send; every answer carries X-Request-ID, error bodies are
 * {"error": <safe words>, "request_id"}. */
#ifndef LDA_HTTP_H
#define LDA_HTTP_H
#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_err.h"
#include "lda_trace.h"

#define LDA_PATH_MAX 1024

typedef struct lda_req {
    FCGX_Request fcgx;
    const char *method;       /* REQUEST_METHOD, "" when absent */
    char path[LDA_PATH_MAX];  /* REQUEST_URI up to '?', not decoded */
    const char *content_type; /* CONTENT_TYPE, "" when absent */
    const char *remote_addr;  /* REMOTE_ADDR, "" when absent */
    uint64_t content_length;  /* CONTENT_LENGTH, 0 when absent */
    char request_id[37];      /* incoming X-Request-ID if a v4 UUID (in
                                  lower case), else a new one */
    lda_trace trace;          /* its traceparent, continued or new */
    char *body;               /* the body (NUL-terminated), read before
                                  the handler runs when the route takes
                                  one; a handler may take it (and free it
                                  itself): set body to NULL */
    size_t body_len;
    int64_t t_start; /* lda_mono_us() when it was accepted ... */
    int64_t t_body;  /* ... and when its body had been read */
    int status;      /* the status sent; 0 until the answer is sent */
    bool cgi;        /* plain CGI: environ, stdin, stdout */
    bool body_read;  /* the body has been read (or dropped) */
} lda_req;

/* What a handler answers; lda_service sends it and frees what it holds. */
typedef struct lda_answer {
    int status;        /* 0 = 200 */
    const char *ctype; /* NULL = "application/json" */
    char headers[256]; /* extra "Name: value\r\n" lines, or "" */
    json_t *json;      /* the body as JSON (compact), or NULL ... */
    char *body;        /* ... the body bytes (malloc'd) */
    size_t len;
} lda_answer;

/* Fill the request's fields from its CGI parameters (method, path up to
 * '?', content type, client address, Content-Length, the request id: the
 * X-Request-ID when it is a version-4 UUID, lowercased, else a new one) and
 * note the time. False with e (400) when Content-Length is not a number or
 * the path is too long. */
bool lda_http_prepare(lda_req *r, lda_err *e);

/* A CGI parameter of the request, e.g. "HTTP_X_EVENT_FINGERPRINT";
 * NULL when absent. */
const char *lda_http_param(const lda_req *r, const char *name);

/* One pair of a query string (application/x-www-form-urlencoded), as
 * slices of the string, not decoded. */
typedef struct lda_query_pair {
    const char *name, *value; /* value NULL: "name" without '=' */
    size_t name_len, value_len;
} lda_query_pair;

/* The next non-empty pair of *q (advanced past it and its '&'); false at
 * the end (q NULL or ""). The one query-string parser of the project. */
bool lda_http_query_next(const char **q, lda_query_pair *p);
/* The value of query parameter name in q (raw, not decoded) into out (cap
 * bytes, NUL-terminated): 0 absent, 1 found, -1 repeated, without a value,
 * or too long. */
int lda_http_query_param(const char *q, const char *name, char *out,
                         size_t cap);
/* Percent-decode s[0..n) ('+' is a space) into out (cap bytes,
 * NUL-terminated). False when a '%' is not followed by two hex digits,
 * the result holds a NUL, or it does not fit. */
bool lda_http_query_decode(const char *s, size_t n, char *out, size_t cap);

/* Read the whole body into r->body (malloc'd, NUL-terminated). False with
 * e set: 413 "request body too large" past max (by Content-Length or by
 * what arrived), 400 when the client sent less than it announced, 500 out
 * of memory. */
bool lda_http_read_body(lda_req *r, size_t max, lda_err *e);

/* True when the media type of ctype (parameters ignored, any case) is
 * mime, e.g. lda_http_ctype_is(r->content_type, "text/csv"). */
bool lda_http_ctype_is(const char *ctype, const char *mime);
/* True when the request's Accept header lists mime itself (not a
 * wildcard) with a quality above 0. */
bool lda_http_accepts(const lda_req *r, const char *mime);

/* Send a as the answer: status, Content-Type, X-Request-ID, the extra
 * headers and the body (not for HEAD), flushed at once. Once per request:
 * later sends do nothing. Frees what a holds; a JSON body that cannot be
 * encoded becomes a 500. */
void lda_http_send_answer(lda_req *r, lda_answer *a);
/* Send e as {"error": msg, "request_id": id} with its status and headers. */
void lda_http_send_error(lda_req *r, const lda_err *e);
#endif
