/* lda_http: one FastCGI request as the programs see it, and the replies
 * they send. A request is read through named accessors; a body is read once,
 * whole, into memory, refused past a limit. Every reply carries
 * X-Request-ID; error replies are {"error": <safe words>, "request_id"}. */
#ifndef LDA_HTTP_H
#define LDA_HTTP_H
#include <fcgiapp.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LDA_PATH_MAX 1024

typedef struct lda_req {
    FCGX_Request fcgx;
    const char *method;        /* REQUEST_METHOD, "" when absent */
    char path[LDA_PATH_MAX];   /* REQUEST_URI up to '?', not decoded */
    bool path_too_long;
    const char *content_type;  /* CONTENT_TYPE, "" when absent */
    const char *remote_addr;   /* REMOTE_ADDR, "" when absent */
    uint64_t content_length;   /* CONTENT_LENGTH, 0 when absent */
    char request_id[37];       /* incoming X-Request-ID if a UUID, else new */
    bool replied;
} lda_req;

/* A CGI parameter of the request, e.g. "HTTP_X_EVENT_FINGERPRINT";
 * NULL when absent. */
const char *lda_req_param(const lda_req *r, const char *name);

typedef enum {
    LDA_BODY_OK = 0,
    LDA_BODY_TOO_LARGE,    /* longer than max: reply 413 */
    LDA_BODY_IO,           /* short read: client went away */
    LDA_BODY_NOMEM
} lda_body_status;

/* Read the whole body into a malloc'd NUL-terminated buffer. */
lda_body_status lda_req_body(lda_req *r, size_t max, char **body,
                             size_t *len);

/* True when the media type of ctype (parameters ignored, any case) is
 * mime, e.g. lda_ctype_is(r->content_type, "text/csv"). */
bool lda_ctype_is(const char *ctype, const char *mime);

/* Send status, Content-Type, X-Request-ID, extra_headers (complete
 * "Name: value\r\n" lines, or NULL) and the body. Once per request. */
void lda_reply(lda_req *r, int status, const char *ctype,
               const char *extra_headers, const void *body, size_t len);
/* JSON reply; steals j (NULL j = out of memory: a 500). */
void lda_reply_json(lda_req *r, int status, json_t *j);
/* {"error": msg, "request_id": id}. msg must be safe to show. */
void lda_reply_error(lda_req *r, int status, const char *msg);
/* Same, with extra headers (e.g. "Retry-After: 3\r\n"). */
void lda_reply_error_h(lda_req *r, int status, const char *extra_headers,
                       const char *msg);

#endif
