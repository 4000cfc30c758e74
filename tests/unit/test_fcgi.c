/* test_fcgi: lda_http (src/web/lda_http.c) over real FastCGI: every
 * request is sent by the test-side web server of lda_fcgi_peer.c to
 * libfcgi's FCGX_Accept_r, the handler under test runs on the lda_req, and
 * the CGI reply (header block and body) comes back as bytes. Covered: CGI
 * parameters read back (long names and values, records cut anywhere); the
 * body read whole (one record, many, past 64 KiB, without CONTENT_LENGTH),
 * refused past the limit (declared or actual), a short body; media types;
 * the reply's status line, headers, Content-Length and body, HEAD, JSON
 * and error replies, and that only the first reply is sent. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lda_buf.h"
#include "lda_fcgi_peer.h"
#include "lda_http.h"
#include "lda_service.h"
#include "lda_test.h"

/* The outcome of a body read, named as these tests compare it. */
typedef enum { BODY_OK, BODY_TOO_LARGE, BODY_IO, BODY_NOMEM } body_status;

/* lda_http_read_body, the body taken from the request. */
static body_status read_body(lda_req *r, size_t max, char **body, size_t *len)
{
    lda_err e;
    lda_err_init(&e);
    *body = NULL;
    *len = 0;
    if (!lda_http_read_body(r, max, &e))
        return e.status == 413   ? BODY_TOO_LARGE
               : e.status == 400 ? BODY_IO
                                 : BODY_NOMEM;
    *body = r->body;
    *len = r->body_len;
    r->body = NULL;
    return BODY_OK;
}

/* An answer of these bytes (copied), as a handler returns it. */
static void send_bytes(lda_req *r, int status, const char *ctype,
                       const char *headers, const void *body, size_t len)
{
    lda_answer a = {.status = status, .ctype = ctype};
    snprintf(a.headers, sizeof a.headers, "%s", headers ? headers : "");
    a.body = malloc(len ? len : 1);
    if (a.body)
        memcpy(a.body, body, len);
    a.len = a.body ? len : 0;
    lda_http_send_answer(r, &a);
}

static void send_json(lda_req *r, int status, json_t *j)
{
    lda_answer a = {.status = status, .json = j};
    if (!j) { /* what a failed json_pack leaves */
        lda_err e;
        lda_err_init(&e);
        lda_err_msg(&e, LDA_MSG_NOMEM);
        lda_http_send_error(r, &e);
        return;
    }
    lda_http_send_answer(r, &a);
}

static void send_error(lda_req *r, int status, const char *headers,
                       const char *msg)
{
    lda_err e;
    lda_err_init(&e);
    lda_err_set(&e, status, "%s", msg);
    if (headers)
        lda_err_headers(&e, "%s", headers);
    lda_http_send_error(r, &e);
}

/* A valid version-4 request id, sent as HTTP_X_REQUEST_ID. */
static const char rid[] = "123e4567-e89b-42d3-a456-426614174000";

/* n bytes of a pattern with every byte value, NUL and CR LF included. */
static char *pattern(size_t n)
{
    char *p = malloc(n ? n : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)((i * 31 + i / 251) & 0xFF);
    return p;
}

/* --- the reply, as the web server receives it ---------------------- */

/* Length of the CGI header block including its blank line; 0 when the
 * reply has none. */
static size_t head_len(const lda_buf *b)
{
    const char *e = b->len ? memmem(b->data, b->len, "\r\n\r\n", 4) : NULL;
    return e ? (size_t)(e - b->data) + 4 : 0;
}

/* The value of header `name` in the reply's header block, copied to out;
 * false when absent. Names are matched exactly (lda_http's spelling). */
static bool header(const lda_buf *b, const char *name, char *out, size_t size)
{
    size_t hl = head_len(b), nl = strlen(name);
    if (!hl)
        return false;
    const char *p = b->data, *end = b->data + hl;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol || eol == p)
            break;
        size_t ll = (size_t)(eol - p);
        if (ll > nl + 2 && !memcmp(p, name, nl) && !memcmp(p + nl, ": ", 2)) {
            snprintf(out, size, "%.*s", (int)(ll - nl - 2), p + nl + 2);
            return true;
        }
        p = eol + 2;
    }
    return false;
}

/* How many times s occurs in the reply. */
static int count(const lda_buf *b, const char *s)
{
    int n = 0;
    size_t sl = strlen(s);
    for (const char *p = b->data, *end = b->data + b->len;
         (p = memmem(p, (size_t)(end - p), s, sl)) != NULL; p += sl)
        n++;
    return n;
}

/* Assert header `name` of the reply is `value`. */
#define ASSERT_HEADER(b, name, value) \
    do { \
        char v_[256] = ""; \
        CU_ASSERT_TRUE(header((b), (name), v_, sizeof v_)); \
        LDA_ASSERT_STR(v_, (value)); \
    } while (0)

/* Assert the reply's body is exactly the n bytes at p. */
static void assert_body(const lda_buf *b, const void *p, size_t n)
{
    size_t hl = head_len(b);
    CU_ASSERT_TRUE(hl > 0);
    CU_ASSERT_EQUAL(b->len - hl, n);
    if (hl && b->len - hl == n && n)
        CU_ASSERT_EQUAL(memcmp(b->data + hl, p, n), 0);
}

/* --- parameters ------------------------------------------------------ */

#define NPARAM 9

typedef struct param_probe {
    const char *names[NPARAM];
    char values[NPARAM][320];
    bool present[NPARAM];
    char method[16], path[LDA_PATH_MAX], ctype[64], addr[32];
} param_probe;

static void h_params(lda_req *r, void *arg)
{
    param_probe *p = arg;
    for (int i = 0; i < NPARAM; i++) {
        const char *v = lda_http_param(r, p->names[i]);
        p->present[i] = v != NULL;
        snprintf(p->values[i], sizeof p->values[i], "%s", v ? v : "");
    }
    snprintf(p->method, sizeof p->method, "%s", r->method);
    snprintf(p->path, sizeof p->path, "%s", r->path);
    snprintf(p->ctype, sizeof p->ctype, "%s", r->content_type);
    snprintf(p->addr, sizeof p->addr, "%s", r->remote_addr);
    send_bytes(r, 200, "text/plain", NULL, "ok", 2);
}

static void test_params(void)
{
    char long_name[201], long_value[301];
    memset(long_name, 'N', 200);
    memcpy(long_name, "HTTP_X_", 7);
    long_name[200] = '\0';
    for (int i = 0; i < 300; i++)
        long_value[i] = (char)('a' + i % 26);
    long_value[300] = '\0';
    const char *const params[] = {
        "REQUEST_METHOD",
        "GET",
        "REQUEST_URI",
        "/api/runs/abc/run.json?x=1&y=2",
        "QUERY_STRING",
        "x=1&y=2",
        "CONTENT_TYPE",
        "application/json",
        "REMOTE_ADDR",
        "192.0.2.7",
        "HTTP_ACCEPT",
        "application/json, text/csv;q=0.9",
        "HTTP_X_REQUEST_ID",
        rid,
        "HTTP_X_EMPTY",
        "",
        "HTTP_X_LONG",
        long_value,
        long_name,
        "v",
        NULL,
    };
    /* Whole records, then 3-byte records: name-value pairs straddle. */
    static const size_t chunks[] = {65535, 3};
    for (size_t c = 0; c < 2; c++) {
        param_probe p = {
            .names = {"REQUEST_METHOD", "QUERY_STRING", "HTTP_ACCEPT",
                      "HTTP_X_REQUEST_ID", "HTTP_X_EMPTY", "HTTP_X_LONG",
                      long_name, "HTTP_X_ABSENT", "CONTENT_LENGTH"},
        };
        lda_buf reply;
        lda_buf_init(&reply);
        CU_ASSERT_EQUAL(lda_fcgi_peer_run_chunked(params, NULL, 0, chunks[c],
                                                  h_params, &p, &reply),
                        0);
        LDA_ASSERT_STR(p.values[0], "GET");
        LDA_ASSERT_STR(p.values[1], "x=1&y=2");
        LDA_ASSERT_STR(p.values[2], "application/json, text/csv;q=0.9");
        LDA_ASSERT_STR(p.values[3], rid);
        CU_ASSERT_TRUE(p.present[4]);
        LDA_ASSERT_STR(p.values[4], "");
        LDA_ASSERT_STR(p.values[5], long_value);
        LDA_ASSERT_STR(p.values[6], "v");
        CU_ASSERT_FALSE(p.present[7]);
        CU_ASSERT_FALSE(p.present[8]);
        LDA_ASSERT_STR(p.method, "GET");
        LDA_ASSERT_STR(p.path, "/api/runs/abc/run.json");
        LDA_ASSERT_STR(p.ctype, "application/json");
        LDA_ASSERT_STR(p.addr, "192.0.2.7");
        assert_body(&reply, "ok", 2);
        lda_buf_free(&reply);
    }
}

/* --- the body -------------------------------------------------------- */

typedef struct body_probe {
    size_t max;
    bool ran;
    body_status st;
    char *body;
    size_t len;
} body_probe;

/* Read the body with the probe's limit; answer 413 when it is refused,
 * as the programs do, to show a reply still goes out. */
static void h_body(lda_req *r, void *arg)
{
    body_probe *b = arg;
    b->ran = true;
    b->st = read_body(r, b->max, &b->body, &b->len);
    if (b->st == BODY_TOO_LARGE)
        send_error(r, 413, NULL, "request body too large");
    else
        send_bytes(r, 200, "text/plain", NULL, "ok", 2);
}

/* POST len bytes of body (records of chunk bytes) with CONTENT_LENGTH cl
 * (NULL: none) to h_body with limit max. The reply is checked for 200 or
 * 413 to match the status; b->body is the caller's to free. */
static void post(const char *cl, const void *body, size_t len, size_t chunk,
                 size_t max, body_probe *b)
{
    const char *const params[] = {
        "REQUEST_METHOD",
        "POST",
        "REQUEST_URI",
        "/api/detect/wash",
        "CONTENT_TYPE",
        "text/csv",
        "HTTP_X_REQUEST_ID",
        rid,
        cl ? "CONTENT_LENGTH" : NULL,
        cl,
        NULL,
    };
    memset(b, 0, sizeof *b);
    b->max = max;
    lda_buf reply;
    lda_buf_init(&reply);
    CU_ASSERT_EQUAL(lda_fcgi_peer_run_chunked(params, body, len, chunk, h_body,
                                              b, &reply),
                    0);
    CU_ASSERT_TRUE(b->ran);
    CU_ASSERT_PTR_NOT_NULL(reply.data);
    if (reply.data)
        CU_ASSERT_EQUAL(strncmp(reply.data,
                                b->st == BODY_TOO_LARGE
                                    ? "Status: 413 Payload Too Large\r\n"
                                    : "Status: 200 OK\r\n",
                                b->st == BODY_TOO_LARGE ? 31 : 16),
                        0);
    lda_buf_free(&reply);
}

/* Assert the probe read exactly the n bytes at p, NUL-terminated. */
static void assert_read(body_probe *b, const char *p, size_t n)
{
    CU_ASSERT_EQUAL(b->st, BODY_OK);
    CU_ASSERT_PTR_NOT_NULL(b->body);
    CU_ASSERT_EQUAL(b->len, n);
    if (b->body && b->len == n) {
        CU_ASSERT_EQUAL(memcmp(b->body, p, n), 0);
        CU_ASSERT_EQUAL(b->body[n], '\0');
    }
    free(b->body);
}

/* Assert the probe was refused with st and given nothing. */
static void assert_refused(body_probe *b, body_status st)
{
    CU_ASSERT_EQUAL(b->st, st);
    CU_ASSERT_PTR_NULL(b->body);
    CU_ASSERT_EQUAL(b->len, 0);
    free(b->body);
}

static void test_body_small(void)
{
    body_probe b;
    post("11", "hello world", 11, 65535, 1024, &b);
    assert_read(&b, "hello world", 11);
    /* No body at all: an empty string, not NULL. */
    post(NULL, NULL, 0, 65535, 1024, &b);
    assert_read(&b, "", 0);
    post("0", NULL, 0, 65535, 0, &b);
    assert_read(&b, "", 0);
}

static void test_body_records(void)
{
    char *p = pattern(1000);
    body_probe b;
    post("1000", p, 1000, 7, 4096, &b);
    assert_read(&b, p, 1000);
    post("300", p, 300, 1, 4096, &b);
    assert_read(&b, p, 300);
    free(p);
}

static void test_body_large(void)
{
    size_t n = 200000;
    char *p = pattern(n);
    body_probe b;
    post("200000", p, n, 65535, 1 << 20, &b);
    assert_read(&b, p, n);
    post("70000", p, 70000, 4093, 1 << 20, &b);
    assert_read(&b, p, 70000);
    /* Without CONTENT_LENGTH the buffer grows as the body arrives. */
    post(NULL, p, n, 65535, 1 << 20, &b);
    assert_read(&b, p, n);
    free(p);
}

static void test_body_limit(void)
{
    char *p = pattern(10000);
    body_probe b;
    /* Exactly the limit is accepted, declared or not, whatever the limit
       (a full buffer is probed for one more byte before it is refused). */
    post("100", p, 100, 65535, 100, &b);
    assert_read(&b, p, 100);
    post(NULL, p, 100, 65535, 100, &b);
    assert_read(&b, p, 100);
    post("4094", p, 4094, 65535, 4094, &b);
    assert_read(&b, p, 4094);
    post("4095", p, 4095, 65535, 4095, &b);
    assert_read(&b, p, 4095);
    post(NULL, p, 4096, 65535, 4096, &b);
    assert_read(&b, p, 4096);
    post("8192", p, 8192, 4093, 8192, &b);
    assert_read(&b, p, 8192);
    post(NULL, p, 8193, 4093, 8192, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    /* CONTENT_LENGTH over the limit: refused before reading. */
    post("101", p, 101, 65535, 100, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    post("99999999999999999", NULL, 0, 65535, 1 << 20, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    free(p);
}

static void test_body_longer_than_declared(void)
{
    char *p = pattern(70000);
    body_probe b;
    /* Declared within the limit, the body past it: refused. */
    post("10", p, 5000, 65535, 100, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    post("10", p, 10000, 1000, 5000, &b); /* the growing buffer */
    assert_refused(&b, BODY_TOO_LARGE);
    post("10", p, 200, 65535, 100, &b); /* all in the first read */
    assert_refused(&b, BODY_TOO_LARGE);
    /* Undeclared, past the limit by one byte, and far past. */
    post(NULL, p, 101, 65535, 100, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    post(NULL, p, 4097, 65535, 4096, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    post(NULL, p, 70000, 65535, 65536, &b);
    assert_refused(&b, BODY_TOO_LARGE);
    /* Longer than declared but within the limit: not the body that was
       announced, an I/O error. */
    post("10", p, 20, 65535, 100, &b);
    assert_refused(&b, BODY_IO);
    free(p);
}

static void test_body_short(void)
{
    char *p = pattern(70000);
    body_probe b;
    post("100", p, 40, 65535, 1024, &b);
    assert_refused(&b, BODY_IO);
    post("70000", p, 65536, 4096, 1 << 20, &b);
    assert_refused(&b, BODY_IO);
    post("1", NULL, 0, 65535, 1024, &b);
    assert_refused(&b, BODY_IO);
    free(p);
}

/* --- media types ----------------------------------------------------- */

static bool ctype_seen;

static void h_ctype(lda_req *r, void *arg)
{
    (void)arg;
    ctype_seen = lda_http_ctype_is(r->content_type, "application/json") &&
                 !lda_http_ctype_is(r->content_type, "text/csv");
    send_bytes(r, 200, "text/plain", NULL, "ok", 2);
}

static void test_ctype(void)
{
    static const struct {
        const char *ctype, *mime;
        bool is;
    } cases[] = {
        {"text/csv", "text/csv", true},
        {"text/csv; charset=utf-8", "text/csv", true},
        {"text/csv;charset=utf-8", "text/csv", true},
        {"TEXT/CSV", "text/csv", true},
        {"Text/Csv; Charset=UTF-8", "text/csv", true},
        {"  text/csv", "text/csv", true},
        {"\ttext/csv ; q=1", "text/csv", true},
        {"text/csv ", "text/csv", true},
        {"multipart/form-data; boundary=XyZ", "multipart/form-data", true},
        {"text/csvx", "text/csv", false},
        {"text/cs", "text/csv", false},
        {"text/csv,text/plain", "text/csv", false},
        {"xtext/csv", "text/csv", false},
        {"text/plain", "text/csv", false},
        {"application/json", "application/jsonp", false},
        {"", "text/csv", false},
        {NULL, "text/csv", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        bool is = lda_http_ctype_is(cases[i].ctype, cases[i].mime);
        if (is != cases[i].is)
            fprintf(stderr, "\nlda_http_ctype_is(\"%s\", \"%s\") is %d\n",
                    cases[i].ctype ? cases[i].ctype : "(null)", cases[i].mime,
                    is);
        CU_ASSERT_EQUAL(is, cases[i].is);
    }
    /* And as a program sees it, from the request's CONTENT_TYPE. */
    const char *const params[] = {
        "REQUEST_METHOD",
        "POST",
        "CONTENT_TYPE",
        " Application/JSON; charset=utf-8",
        NULL,
    };
    lda_buf reply;
    lda_buf_init(&reply);
    ctype_seen = false;
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(params, NULL, 0, h_ctype, NULL, &reply),
                    0);
    CU_ASSERT_TRUE(ctype_seen);
    lda_buf_free(&reply);
}

/* --- replies --------------------------------------------------------- */

typedef struct reply_probe {
    const char *body;
    size_t len;
    bool replied_before, replied_after;
} reply_probe;

static void h_reply(lda_req *r, void *arg)
{
    reply_probe *p = arg;
    p->replied_before = r->status != 0;
    send_bytes(r, 200, "text/csv; charset=utf-8",
               "X-One: 1\r\nContent-Disposition: attachment\r\n", p->body,
               p->len);
    p->replied_after = r->status != 0;
}

/* Send a request with method to h_reply answering the len bytes at body. */
static void reply_to(const char *method, const char *body, size_t len,
                     lda_buf *reply)
{
    const char *const params[] = {
        "REQUEST_METHOD",    method, "REQUEST_URI", "/api/runs",
        "HTTP_X_REQUEST_ID", rid,    NULL,
    };
    reply_probe p = {body, len, true, false};
    lda_buf_init(reply);
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(params, NULL, 0, h_reply, &p, reply), 0);
    CU_ASSERT_FALSE(p.replied_before);
    CU_ASSERT_TRUE(p.replied_after);
}

static void test_reply(void)
{
    char *p = pattern(1000);
    lda_buf reply;
    reply_to("GET", p, 1000, &reply);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 200 OK\r\n", 16), 0);
    CU_ASSERT_EQUAL(count(&reply, "Status: "), 1);
    ASSERT_HEADER(&reply, "Content-Type", "text/csv; charset=utf-8");
    ASSERT_HEADER(&reply, "X-Request-ID", rid);
    ASSERT_HEADER(&reply, "Content-Length", "1000");
    ASSERT_HEADER(&reply, "Cache-Control", "no-store");
    ASSERT_HEADER(&reply, "X-Content-Type-Options", "nosniff");
    ASSERT_HEADER(&reply, "X-One", "1");
    ASSERT_HEADER(&reply, "Content-Disposition", "attachment");
    assert_body(&reply, p, 1000);
    lda_buf_free(&reply);
    free(p);
}

static void test_reply_large(void)
{
    size_t n = 300000;
    char *p = pattern(n);
    lda_buf reply;
    reply_to("GET", p, n, &reply);
    ASSERT_HEADER(&reply, "Content-Length", "300000");
    assert_body(&reply, p, n);
    lda_buf_free(&reply);
    /* An empty body: Content-Length 0, nothing after the headers. */
    reply_to("GET", "", 0, &reply);
    ASSERT_HEADER(&reply, "Content-Length", "0");
    assert_body(&reply, "", 0);
    lda_buf_free(&reply);
    free(p);
}

static void test_reply_head(void)
{
    char *p = pattern(123);
    lda_buf reply;
    reply_to("HEAD", p, 123, &reply);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 200 OK\r\n", 16), 0);
    ASSERT_HEADER(&reply, "Content-Length", "123");
    ASSERT_HEADER(&reply, "X-Request-ID", rid);
    ASSERT_HEADER(&reply, "X-One", "1");
    assert_body(&reply, "", 0);
    lda_buf_free(&reply);
    free(p);
}

typedef struct error_probe {
    int status;
    const char *extra, *msg;
} error_probe;

static void h_error(lda_req *r, void *arg)
{
    const error_probe *e = arg;
    if (e->extra)
        send_error(r, e->status, e->extra, e->msg);
    else
        send_error(r, e->status, NULL, e->msg);
}

/* Send a request answered with the error e; the reply is the caller's. */
static void error_reply(const error_probe *e, lda_buf *reply)
{
    const char *const params[] = {
        "REQUEST_METHOD", "POST", "HTTP_X_REQUEST_ID", rid, NULL,
    };
    lda_buf_init(reply);
    CU_ASSERT_EQUAL(
        lda_fcgi_peer_run(params, NULL, 0, h_error, (void *)e, reply), 0);
}

/* Assert the reply's body is {"error": msg, "request_id": rid} and
 * nothing else, with a matching Content-Length. */
static void assert_error_body(const lda_buf *reply, const char *msg)
{
    size_t hl = head_len(reply);
    CU_ASSERT_TRUE_FATAL(hl > 0);
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", reply->len - hl);
    ASSERT_HEADER(reply, "Content-Length", cl);
    ASSERT_HEADER(reply, "Content-Type", "application/json");
    json_error_t err;
    json_t *j = json_loadb(reply->data + hl, reply->len - hl, 0, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_TRUE(json_is_object(j));
    CU_ASSERT_EQUAL(json_object_size(j), 2);
    LDA_ASSERT_STR(json_string_value(json_object_get(j, "error")), msg);
    LDA_ASSERT_STR(json_string_value(json_object_get(j, "request_id")), rid);
    json_decref(j);
}

static void test_reply_error(void)
{
    lda_buf reply;
    error_probe e = {404, NULL, "no such run"};
    error_reply(&e, &reply);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 404 Not Found\r\n", 23), 0);
    ASSERT_HEADER(&reply, "X-Request-ID", rid);
    assert_error_body(&reply, "no such run");
    lda_buf_free(&reply);
    /* A message that needs JSON escaping. */
    e = (error_probe){400, NULL, "bad \"field\"\\\n\ttab"};
    error_reply(&e, &reply);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 400 Bad Request\r\n", 25), 0);
    assert_error_body(&reply, "bad \"field\"\\\n\ttab");
    lda_buf_free(&reply);
    /* With extra headers. */
    e = (error_probe){429, "Retry-After: 3\r\n", "too many requests"};
    error_reply(&e, &reply);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(
        strncmp(reply.data, "Status: 429 Too Many Requests\r\n", 31), 0);
    ASSERT_HEADER(&reply, "Retry-After", "3");
    assert_error_body(&reply, "too many requests");
    lda_buf_free(&reply);
}

static void h_json(lda_req *r, void *arg)
{
    json_t *j = arg ? json_pack("{s:i,s:[b],s:s}", "a", 1, "b", 1, "c",
                                "\xc3\xa9")
                    : NULL;
    send_json(r, 201, j);
}

static void test_reply_json(void)
{
    const char *const params[] = {"REQUEST_METHOD", "GET", "HTTP_X_REQUEST_ID",
                                  rid, NULL};
    static const char want[] = "{\"a\":1,\"b\":[true],\"c\":\"\xc3\xa9\"}";
    lda_buf reply;
    lda_buf_init(&reply);
    CU_ASSERT_EQUAL(
        lda_fcgi_peer_run(params, NULL, 0, h_json, (void *)want, &reply), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 201 ", 12), 0);
    ASSERT_HEADER(&reply, "Content-Type", "application/json");
    char cl[32];
    snprintf(cl, sizeof cl, "%zu", sizeof want - 1);
    ASSERT_HEADER(&reply, "Content-Length", cl);
    assert_body(&reply, want, sizeof want - 1);
    lda_buf_free(&reply);
    /* No JSON (out of memory): a 500 with the JSON error body. */
    lda_buf_init(&reply);
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(params, NULL, 0, h_json, NULL, &reply),
                    0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(
        strncmp(reply.data, "Status: 500 Internal Server Error\r\n", 35), 0);
    ASSERT_HEADER(&reply, "Content-Type", "application/json");
    assert_error_body(&reply, "out of memory");
    lda_buf_free(&reply);
}

static void h_twice(lda_req *r, void *arg)
{
    (void)arg;
    send_bytes(r, 200, "text/plain", "X-First: yes\r\n", "first", 5);
    send_bytes(r, 200, "text/plain", "X-Second: yes\r\n", "second", 6);
    send_error(r, 500, NULL, "second");
    send_json(r, 201, json_pack("{s:s}", "third", "reply"));
}

static void test_reply_once(void)
{
    const char *const params[] = {
        "REQUEST_METHOD", "GET", "HTTP_X_REQUEST_ID", rid, NULL,
    };
    lda_buf reply;
    lda_buf_init(&reply);
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(params, NULL, 0, h_twice, NULL, &reply),
                    0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reply.data);
    CU_ASSERT_EQUAL(count(&reply, "Status: "), 1);
    CU_ASSERT_EQUAL(strncmp(reply.data, "Status: 200 OK\r\n", 16), 0);
    CU_ASSERT_EQUAL(count(&reply, "X-Second"), 0);
    CU_ASSERT_EQUAL(count(&reply, "third"), 0);
    ASSERT_HEADER(&reply, "X-First", "yes");
    assert_body(&reply, "first", 5);
    lda_buf_free(&reply);
}

/* ---- the boundary: lda_service_serve on a route table of its own --- */

static int admitted, finished;

static bool b_admit(const lda_config *cfg, lda_req *r, lda_err *e)
{
    (void)cfg;
    admitted++;
    if (lda_http_param(r, "HTTP_X_BUSY")) {
        lda_err_headers(e, "Retry-After: 7\r\n");
        return lda_err_set(e, 429, "busy");
    }
    return true;
}

static void b_done(const lda_config *cfg, lda_req *r)
{
    (void)cfg;
    (void)r;
    finished++;
}

/* Echo the body's length; "fail" as the body is a handler's 400. */
static bool b_post(const lda_config *cfg, lda_req *r, lda_answer *out,
                   lda_err *e)
{
    (void)cfg;
    if (r->body_len == 4 && memcmp(r->body, "fail", 4) == 0)
        return lda_err_set(e, 400, "the handler refused it");
    out->status = 201;
    out->json = json_pack("{s:I}", "len", (json_int_t)r->body_len);
    return true;
}

static bool b_get(const lda_config *cfg, lda_req *r, lda_answer *out,
                  lda_err *e)
{
    (void)cfg;
    (void)e;
    out->json = json_pack("{s:s}", "path", r->path);
    return true;
}

static const lda_media b_media[] = {
    {"text/csv", LDA_LIMIT_UPLOAD},
    {"application/json", LDA_LIMIT_JSON},
    {NULL, 0},
};

static const lda_route b_routes[] = {
    {"POST", "/api/x", LDA_KEY_USER, b_media, b_admit, b_done, b_post},
    {"GET", "/api/x/files/", LDA_KEY_USER, NULL, NULL, NULL, b_get},
    {"GET", "/api/open", LDA_KEY_NONE, NULL, NULL, NULL, b_get},
    {"POST", "/api/inner", LDA_KEY_INTERNAL, b_media, NULL, NULL, b_post},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

static const lda_service b_svc = {
    .program = "prog",
    .route = "/api/x",
    .key = LDA_KEY_USER,
    .routes = b_routes,
};

static lda_config b_cfg;

static void h_serve(lda_req *r, void *arg)
{
    (void)arg;
    lda_service_serve(&b_svc, &b_cfg, r);
}

/* One request to the table: method, path, key (NULL: none), content type
 * (NULL: none), body; the answer in reply (reset first). */
static void serve_one(const char *method, const char *path, const char *key,
                      const char *ctype, const char *body, lda_buf *reply)
{
    char cl[32];
    size_t len = body ? strlen(body) : 0;
    snprintf(cl, sizeof cl, "%zu", len);
    const char *params[16];
    size_t n = 0;
    params[n++] = "REQUEST_METHOD";
    params[n++] = method;
    params[n++] = "REQUEST_URI";
    params[n++] = path;
    params[n++] = "HTTP_X_REQUEST_ID";
    params[n++] = rid;
    params[n++] = "CONTENT_LENGTH";
    params[n++] = cl;
    if (key) {
        params[n++] = "HTTP_X_API_KEY";
        params[n++] = key;
    }
    if (ctype) {
        params[n++] = "CONTENT_TYPE";
        params[n++] = ctype;
    }
    params[n] = NULL;
    lda_buf_reset(reply);
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(params, body, len, h_serve, NULL, reply),
                    0);
}

/* The reply's status line starts "Status: <status> ". */
static bool status_is(const lda_buf *b, int status)
{
    char want[32];
    int k = snprintf(want, sizeof want, "Status: %d ", status);
    return b->data && b->len >= (size_t)k && memcmp(b->data, want, k) == 0;
}

#define ASSERT_ERROR(b, status, msg) \
    do { \
        CU_ASSERT_TRUE(status_is((b), (status))); \
        assert_error_body((b), (msg)); \
    } while (0)

static void boundary_setup(void)
{
    memset(&b_cfg, 0, sizeof b_cfg);
    b_cfg.api_key = "user-key";
    b_cfg.internal_api_key = "inner-key";
    b_cfg.max_upload_bytes = 16;
    b_cfg.max_json_body_bytes = 8;
    admitted = finished = 0;
}

/* Health, the key before anything about the route, 404 and 405. */
static void test_boundary_routes(void)
{
    boundary_setup();
    lda_buf r;
    lda_buf_init(&r);
    serve_one("GET", "/api/x/health", NULL, NULL, NULL, &r);
    CU_ASSERT_TRUE(status_is(&r, 200));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.data, "\"service\":\"prog\""));
    serve_one("POST", "/api/x/health", "user-key", NULL, NULL, &r);
    ASSERT_ERROR(&r, 405, "method not allowed");
    ASSERT_HEADER(&r, "Allow", "GET, HEAD");
    serve_one("GET", "/api/nowhere", NULL, NULL, NULL, &r);
    ASSERT_ERROR(&r, 401, "missing or invalid API key");
    ASSERT_HEADER(&r, "WWW-Authenticate", "X-API-Key");
    serve_one("GET", "/api/nowhere", "user-key", NULL, NULL, &r);
    ASSERT_ERROR(&r, 404, "not found");
    serve_one("GET", "/api/x", NULL, NULL, NULL, &r);
    ASSERT_ERROR(&r, 401, "missing or invalid API key");
    serve_one("GET", "/api/x", "user-key", NULL, NULL, &r);
    ASSERT_ERROR(&r, 405, "method not allowed");
    ASSERT_HEADER(&r, "Allow", "POST");
    serve_one("HEAD", "/api/x/files/a", "user-key", NULL, NULL, &r);
    CU_ASSERT_TRUE(status_is(&r, 200));
    CU_ASSERT_EQUAL(r.len, head_len(&r)); /* HEAD: no body */
    serve_one("GET", "/api/open", NULL, NULL, NULL, &r);
    CU_ASSERT_TRUE(status_is(&r, 200));
    serve_one("POST", "/api/open", NULL, NULL, NULL, &r); /* not public */
    ASSERT_ERROR(&r, 401, "missing or invalid API key");
    serve_one("POST", "/api/inner", "user-key", "text/csv", "a", &r);
    ASSERT_ERROR(&r, 401, "missing or invalid API key");
    serve_one("POST", "/api/inner", "inner-key", "text/csv", "a", &r);
    CU_ASSERT_TRUE(status_is(&r, 201));
    serve_one("GET", "/api/inner", "user-key", NULL, NULL, &r);
    ASSERT_ERROR(&r, 401, "missing or invalid API key");
    CU_ASSERT_EQUAL(admitted, 0);
    lda_buf_free(&r);
}

/* Admission, media types, limits, the handler's answer and error, and
 * the done hook after each admitted request. */
static void test_boundary_bodies(void)
{
    boundary_setup();
    lda_buf r;
    lda_buf_init(&r);
    serve_one("POST", "/api/x", "user-key", "text/csv", "a,b\n", &r);
    CU_ASSERT_TRUE(status_is(&r, 201));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.data, "{\"len\":4}"));
    serve_one("POST", "/api/x", "user-key", "text/plain", "x", &r);
    ASSERT_ERROR(&r, 415, "Content-Type must be text/csv or application/json");
    serve_one("POST", "/api/x", "user-key", "text/csv", "0123456789abcdef",
              &r);
    CU_ASSERT_TRUE(status_is(&r, 201)); /* exactly the limit */
    serve_one("POST", "/api/x", "user-key", "text/csv", "0123456789abcdefg",
              &r);
    ASSERT_ERROR(&r, 413, "request body larger than MAX_UPLOAD_BYTES");
    serve_one("POST", "/api/x", "user-key", "application/json", "[1,2,3,4]",
              &r);
    ASSERT_ERROR(&r, 413, "JSON body larger than MAX_JSON_BODY_BYTES");
    serve_one("POST", "/api/x", "user-key", "text/csv", "fail", &r);
    ASSERT_ERROR(&r, 400, "the handler refused it");
    CU_ASSERT_EQUAL(admitted, 6);
    CU_ASSERT_EQUAL(finished, 6);
    lda_buf_reset(&r);
    const char *const busy[] = {"REQUEST_METHOD",
                                "POST",
                                "REQUEST_URI",
                                "/api/x",
                                "HTTP_X_REQUEST_ID",
                                rid,
                                "HTTP_X_API_KEY",
                                "user-key",
                                "HTTP_X_BUSY",
                                "1",
                                "CONTENT_TYPE",
                                "text/plain",
                                NULL};
    CU_ASSERT_EQUAL(lda_fcgi_peer_run(busy, "x", 1, h_serve, NULL, &r), 0);
    ASSERT_ERROR(&r, 429, "busy"); /* admit before 415 */
    ASSERT_HEADER(&r, "Retry-After", "7");
    CU_ASSERT_EQUAL(finished, 7);
    lda_buf_free(&r);
}

void lda_test_fcgi(void)
{
    static const lda_test_case cases[] = {
        {"params read back", test_params},
        {"body small and empty", test_body_small},
        {"body in many records", test_body_records},
        {"body past 64 KiB", test_body_large},
        {"body limit", test_body_limit},
        {"body longer than declared", test_body_longer_than_declared},
        {"body shorter than declared", test_body_short},
        {"media types", test_ctype},
        {"reply", test_reply},
        {"reply past 64 KiB and empty", test_reply_large},
        {"reply to HEAD", test_reply_head},
        {"error replies", test_reply_error},
        {"JSON replies", test_reply_json},
        {"one reply per request", test_reply_once},
        {"boundary: routes, keys, 404/405", test_boundary_routes},
        {"boundary: admit, 415, 413, handler", test_boundary_bodies},
        {NULL, NULL},
    };
    lda_test_suite("fcgi", cases, NULL, NULL, NULL, NULL);
}
