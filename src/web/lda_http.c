/* lda_http: one FastCGI request and its answer (see lda_http.h).
 *
 * Under FastCGI the request's CGI parameters are read through
 * FCGX_GetParam, its body and answer through libfcgi's streams; under
 * plain CGI (r->cgi) the parameters are the process's environment (the
 * same NAME=value array) and the streams are stdin and stdout. The body is
 * read whole: CONTENT_LENGTH sizes the buffer up front when it is within
 * the limit (lighttpd always sends it for bodies it accepted), and a body
 * that grows past the limit anyway is refused. Answers are written with
 * either way: a CGI "Status:" line, Content-Type, X-Request-ID, the extra
 * headers, Content-Length and the body, flushed at once. */
#include "lda_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lda_clock.h"
#include "lda_log.h"
#include "lda_uuid.h"
#include "lda_validate.h"

/* The request's streams: FastCGI's, or under plain CGI the process's own
 * standard input and output. */
static int in_getc(lda_req *r)
{
    return r->cgi ? getchar() : FCGX_GetChar(r->fcgx.in);
}

static int in_read(lda_req *r, char *p, size_t n)
{
    if (r->cgi)
        return (int)fread(p, 1, n, stdin);
    return FCGX_GetStr(p, (int)n, r->fcgx.in);
}

static bool out_write(lda_req *r, const void *p, size_t n)
{
    if (r->cgi)
        return fwrite(p, 1, n, stdout) == n;
    return FCGX_PutStr(p, (int)n, r->fcgx.out) == (int)n;
}

/* Under CGI, what the client sent and no one read is read and dropped
 * before the answer: a web server that is still writing the body to a
 * process that no longer reads it would lose the answer. */
static void drain_input(lda_req *r)
{
    char buf[1 << 16];
    while (r->cgi && !r->body_read && fread(buf, 1, sizeof buf, stdin) > 0)
        ;
    r->body_read = true;
}

static void out_flush(lda_req *r)
{
    if (r->cgi)
        fflush(stdout);
    else
        FCGX_FFlush(r->fcgx.out);
}

const char *lda_http_param(const lda_req *r, const char *name)
{
    return FCGX_GetParam(name, r->fcgx.envp);
}

static bool parse_length(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return true; /* absent: no body */
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

static const char *param_or_empty(const lda_req *r, const char *name)
{
    const char *v = lda_http_param(r, name);
    return v ? v : "";
}

bool lda_http_prepare(lda_req *r, lda_err *e)
{
    r->status = 0;
    r->body_read = false;
    r->body = NULL;
    r->body_len = 0;
    r->t_start = r->t_body = lda_mono_us();
    r->method = param_or_empty(r, "REQUEST_METHOD");
    r->content_type = param_or_empty(r, "CONTENT_TYPE");
    r->remote_addr = param_or_empty(r, "REMOTE_ADDR");
    /* Only a version-4 UUID is taken as the request's id (never the nil
       UUID: it would name a run), in lower case once for every use. */
    const char *rid = lda_http_param(r, "HTTP_X_REQUEST_ID");
    if (rid && !lda_valid_request_id(rid, strlen(rid)))
        lda_valid_uuid_lower(rid, r->request_id);
    else if (!lda_uuid_v4(r->request_id))
        memcpy(r->request_id, "00000000-0000-4000-8000-000000000000", 37);
    lda_trace_begin(&r->trace, lda_http_param(r, "HTTP_TRACEPARENT"));
    lda_log_trace(&r->trace);
    const char *uri = param_or_empty(r, "REQUEST_URI");
    size_t n = strcspn(uri, "?");
    bool too_long = n >= sizeof r->path;
    if (too_long)
        n = 0;
    memcpy(r->path, uri, n);
    r->path[n] = '\0';
    r->content_length = 0;
    if (!parse_length(lda_http_param(r, "CONTENT_LENGTH"), &r->content_length))
        return lda_err_set(e, 400, "invalid Content-Length");
    if (too_long)
        return lda_err_set(e, 400, "request path too long");
    return true;
}

static bool too_large(lda_err *e)
{
    return lda_err_set(e, 413, "request body too large");
}

/* The buffer b (cap bytes, n used, one kept for the NUL) is full: read
 * one more byte to see whether the body goes on, and if so make room for
 * it (up to max). False with e when it goes on past max or on OOM; *more
 * says whether a byte was added. */
static bool body_more(lda_req *r, char **b, size_t *cap, size_t *n, size_t max,
                      bool *more, lda_err *e)
{
    int c = in_getc(r);
    *more = c != EOF;
    if (!*more)
        return true;
    if (*n >= max)
        return too_large(e);
    size_t ncap = *cap * 2 > max + 1 ? max + 1 : *cap * 2;
    char *nb = realloc(*b, ncap);
    if (!nb)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    *b = nb;
    *cap = ncap;
    nb[(*n)++] = (char)c;
    return true;
}

bool lda_http_read_body(lda_req *r, size_t max, lda_err *e)
{
    if (r->content_length > max)
        return too_large(e);
    if (max > SIZE_MAX - 1)
        max = SIZE_MAX - 1;
    size_t cap = (size_t)r->content_length + 1;
    if (cap < 4096)
        cap = 4096;
    if (cap > max + 1)
        cap = max + 1;
    char *b = malloc(cap);
    if (!b)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    size_t n = 0;
    for (;;) {
        bool more = true;
        if (n + 1 == cap && !body_more(r, &b, &cap, &n, max, &more, e)) {
            free(b);
            return false;
        }
        if (!more)
            break;
        size_t want = cap - 1 - n;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = want ? in_read(r, b + n, want) : 0;
        if (want && got <= 0)
            break;
        n += (size_t)(got > 0 ? got : 0);
    }
    if (r->content_length && n != r->content_length) {
        free(b);
        return lda_err_msg(e, LDA_MSG_BODY_INCOMPLETE);
    }
    b[n] = '\0';
    r->body = b;
    r->body_len = n;
    r->body_read = true;
    return true;
}

/* The media type at s (up to ';', ',' or white space) is mime. */
static bool media_is(const char *s, const char *mime, const char **end)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strcspn(s, ";, \t");
    *end = s + n;
    return n == strlen(mime) && strncasecmp(s, mime, n) == 0;
}

bool lda_http_ctype_is(const char *ctype, const char *mime)
{
    const char *end;
    return ctype && media_is(ctype, mime, &end) && *end != ',';
}

/* The q parameter of the media range whose parameters start at p (up to
 * the next ','): 1 when absent. */
static double quality(const char *p)
{
    const char *stop = p + strcspn(p, ",");
    for (const char *q = p; q < stop; q++) {
        if (*q != ';')
            continue;
        q++;
        while (*q == ' ' || *q == '\t')
            q++;
        if ((*q == 'q' || *q == 'Q') && q[1] == '=')
            return strtod(q + 2, NULL);
    }
    return 1.0;
}

bool lda_http_accepts(const lda_req *r, const char *mime)
{
    const char *a = lda_http_param(r, "HTTP_ACCEPT");
    while (a && *a) {
        const char *end;
        if (media_is(a, mime, &end) && quality(end) > 0)
            return true;
        a = strchr(a, ',');
        if (a)
            a++;
    }
    return false;
}

static void put_reply(lda_req *r, int status, const char *ctype,
                      const char *extra_headers, const void *body, size_t len)
{
    if (r->status)
        return;
    r->status = status;
    drain_input(r);
    char head[600], tp[LDA_TRACEPARENT_LEN + 1];
    lda_trace_header(&r->trace, tp);
    int n = snprintf(head, sizeof head,
                     "Status: %d %s\r\nContent-Type: %s\r\n"
                     "X-Request-ID: %s\r\ntraceparent: %s\r\n"
                     "Cache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n"
                     "Content-Length: %zu\r\n",
                     status, lda_err_status_text(status), ctype, r->request_id,
                     tp, len);
    if (n < 0 || (size_t)n >= sizeof head)
        return;
    out_write(r, head, (size_t)n);
    if (extra_headers)
        out_write(r, extra_headers, strlen(extra_headers));
    out_write(r, "\r\n", 2);
    const char *p = body;
    bool head_only = strcmp(r->method, "HEAD") == 0;
    while (len && !head_only) {
        int k = len > (1u << 30) ? (1 << 30) : (int)len;
        if (!out_write(r, p, (size_t)k))
            break;
        p += k;
        len -= (size_t)k;
    }
    /* Send it now: what the program frees afterwards (a big request) need
       not delay the caller, which has the whole answer (Content-Length). */
    out_flush(r);
}

void lda_http_send_answer(lda_req *r, lda_answer *a)
{
    const char *h = a->headers[0] ? a->headers : NULL;
    int status = a->status ? a->status : 200;
    if (a->json) {
        char *text = json_dumps(a->json, JSON_COMPACT);
        json_decref(a->json);
        a->json = NULL;
        if (!text) {
            lda_err e;
            lda_err_init(&e);
            lda_err_msg(&e, LDA_MSG_NOMEM);
            lda_http_send_error(r, &e);
            return;
        }
        put_reply(r, status, "application/json", h, text, strlen(text));
        free(text);
        return;
    }
    put_reply(r, status, a->ctype ? a->ctype : "application/json", h, a->body,
              a->len);
    free(a->body);
    a->body = NULL;
}

void lda_http_send_error(lda_req *r, const lda_err *e)
{
    json_t *j = json_pack("{s:s,s:s}", "error", e->msg, "request_id",
                          r->request_id);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!text) {
        static const char oom[] = "{\"error\":\"out of memory\"}";
        put_reply(r, 500, "application/json", NULL, oom, sizeof oom - 1);
        return;
    }
    put_reply(r, e->status, "application/json",
              e->headers[0] ? e->headers : NULL, text, strlen(text));
    free(text);
}

bool lda_http_query_next(const char **q, lda_query_pair *p)
{
    while (*q && **q) {
        const char *s = *q;
        size_t n = strcspn(s, "&");
        *q = s + n + (s[n] == '&');
        if (n == 0)
            continue; /* "a=1&&b=2" */
        const char *eq = memchr(s, '=', n);
        p->name = s;
        p->name_len = eq ? (size_t)(eq - s) : n;
        p->value = eq ? eq + 1 : NULL;
        p->value_len = eq ? n - p->name_len - 1 : 0;
        return true;
    }
    return false;
}

int lda_http_query_param(const char *q, const char *name, char *out,
                         size_t cap)
{
    size_t nl = strlen(name);
    int found = 0;
    lda_query_pair p;
    while (lda_http_query_next(&q, &p)) {
        if (p.name_len != nl || memcmp(p.name, name, nl) != 0)
            continue;
        if (found || !p.value || p.value_len >= cap)
            return -1;
        memcpy(out, p.value, p.value_len);
        out[p.value_len] = '\0';
        found = 1;
    }
    return found;
}

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

bool lda_http_query_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < n ? hex_digit(s[i + 1]) : -1;
            int lo = i + 2 < n ? hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return false;
            c = hi * 16 + lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= cap)
            return false;
        out[o++] = (char)c;
    }
    if (cap == 0)
        return false;
    out[o] = '\0';
    return true;
}
