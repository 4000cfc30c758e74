/* lda_http: one FastCGI request and its reply (see lda_http.h).
 *
 * The request's CGI parameters are read through FCGX_GetParam. The body is
 * read whole: CONTENT_LENGTH sizes the buffer up front when it is within
 * the limit (lighttpd always sends it for bodies it accepted), and a body
 * that grows past the limit anyway is refused. Replies are written with
 * FCGX_PutStr: a CGI "Status:" line, Content-Type, X-Request-ID, the extra
 * headers, Content-Length and the body, flushed at once. */
#include "lda_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *lda_req_param(const lda_req *r, const char *name)
{
    return FCGX_GetParam(name, r->fcgx.envp);
}

lda_body_status lda_req_body(lda_req *r, size_t max, char **body,
                             size_t *len)
{
    *body = NULL;
    *len = 0;
    if (r->content_length > max)
        return LDA_BODY_TOO_LARGE;
    size_t cap = (size_t)r->content_length + 1;
    if (cap < 4096)
        cap = 4096;
    char *b = malloc(cap);
    if (!b)
        return LDA_BODY_NOMEM;
    size_t n = 0;
    for (;;) {
        if (n + 1 == cap) {
            if (n >= max) {
                free(b);
                return LDA_BODY_TOO_LARGE;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(b, ncap);
            if (!nb) {
                free(b);
                return LDA_BODY_NOMEM;
            }
            b = nb;
            cap = ncap;
        }
        size_t want = cap - 1 - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = FCGX_GetStr(b + n, (int)want, r->fcgx.in);
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    if (n > max) {
        free(b);
        return LDA_BODY_TOO_LARGE;
    }
    if (r->content_length && n != r->content_length) {
        free(b);
        return LDA_BODY_IO;
    }
    b[n] = '\0';
    *body = b;
    *len = n;
    return LDA_BODY_OK;
}

bool lda_ctype_is(const char *ctype, const char *mime)
{
    if (!ctype)
        return false;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    size_t n = strlen(mime);
    if (strncasecmp(ctype, mime, n) != 0)
        return false;
    char c = ctype[n];
    return c == '\0' || c == ';' || c == ' ' || c == '\t';
}

static const char *status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

void lda_reply(lda_req *r, int status, const char *ctype,
               const char *extra_headers, const void *body, size_t len)
{
    if (r->replied)
        return;
    r->replied = true;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "Status: %d %s\r\nContent-Type: %s\r\n"
                     "X-Request-ID: %s\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Content-Length: %zu\r\n",
                     status, status_text(status), ctype, r->request_id, len);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    FCGX_PutStr(head, n, r->fcgx.out);
    if (extra_headers)
        FCGX_PutS(extra_headers, r->fcgx.out);
    FCGX_PutStr("\r\n", 2, r->fcgx.out);
    const char *p = body;
    bool head_only = strcmp(r->method, "HEAD") == 0;
    while (len && !head_only) {
        int k = len > (1u << 30) ? (1 << 30) : (int)len;
        if (FCGX_PutStr(p, k, r->fcgx.out) != k)
            break;
        p += k;
        len -= (size_t)k;
    }
    /* Send it now: the handler's cleanup (freeing a big request) need not
       delay the caller, which has the whole answer (Content-Length). */
    FCGX_FFlush(r->fcgx.out);
}

/* Send j (stolen) as the JSON body; a 500 when it cannot be encoded. */
static void reply_json_h(lda_req *r, int status, const char *extra_headers,
                         json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        lda_reply(r, 500, "application/json", NULL, oom, sizeof oom - 1);
        return;
    }
    lda_reply(r, status, "application/json", extra_headers, text,
              strlen(text));
    free(text);
}

void lda_reply_json(lda_req *r, int status, json_t *j)
{
    reply_json_h(r, status, NULL, j);
}

void lda_reply_error_h(lda_req *r, int status, const char *extra_headers,
                       const char *msg)
{
    reply_json_h(r, status, extra_headers,
                 json_pack("{s:s,s:s}", "error", msg, "request_id",
                           r->request_id));
}

void lda_reply_error(lda_req *r, int status, const char *msg)
{
    lda_reply_error_h(r, status, NULL, msg);
}
