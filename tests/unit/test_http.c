/* test_http: the request side of lda_http that needs no connection --
 * CGI parameters, Content-Type matching and Accept parsing -- read from a
 * request whose FastCGI environment is a plain "NAME=value" array, as
 * libfcgi hands it over; and the error type every layer returns (lda_err):
 * its messages, prefixes, headers and status words. */
#include <string.h>

#include "lda_err.h"
#include "lda_http.h"
#include "lda_test.h"
#include "lda_trace.h"

/* A request whose environment is env (NULL-terminated). */
static lda_req req_with(char **env)
{
    lda_req r;
    memset(&r, 0, sizeof r);
    r.fcgx.envp = env;
    return r;
}

static void test_param(void)
{
    char *env[] = {"REQUEST_METHOD=POST", "HTTP_X_REQUEST_ID=", "EMPTY", NULL};
    lda_req r = req_with(env);
    CU_ASSERT_STRING_EQUAL(lda_http_param(&r, "REQUEST_METHOD"), "POST");
    CU_ASSERT_STRING_EQUAL(lda_http_param(&r, "HTTP_X_REQUEST_ID"), "");
    CU_ASSERT_PTR_NULL(lda_http_param(&r, "REQUEST"));
    CU_ASSERT_PTR_NULL(lda_http_param(&r, "CONTENT_TYPE"));
}

static void test_ctype(void)
{
    CU_ASSERT_TRUE(lda_http_ctype_is("text/csv", "text/csv"));
    CU_ASSERT_TRUE(lda_http_ctype_is("Text/CSV; charset=utf-8", "text/csv"));
    CU_ASSERT_TRUE(lda_http_ctype_is("  text/csv ;x=1", "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is("text/csvx", "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is("text/cs", "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is("text/csv,text/html", "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is("", "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is(NULL, "text/csv"));
    CU_ASSERT_FALSE(lda_http_ctype_is("multipart/form-data; boundary=text/csv",
                                      "text/csv"));
}

/* Does a request with this Accept header take mime? */
static bool accepts(const char *accept, const char *mime)
{
    char line[256];
    snprintf(line, sizeof line, "HTTP_ACCEPT=%s", accept);
    char *env[] = {line, NULL};
    lda_req r = req_with(accept ? env : env + 1);
    return lda_http_accepts(&r, mime);
}

static void test_accept(void)
{
    static const char m[] = "application/x-lda-results";
    CU_ASSERT_TRUE(accepts(m, m));
    CU_ASSERT_TRUE(accepts("Application/X-LDA-Results", m));
    CU_ASSERT_TRUE(accepts("application/json, application/x-lda-results", m));
    CU_ASSERT_TRUE(accepts("text/html,application/x-lda-results;q=0.5", m));
    CU_ASSERT_TRUE(accepts(" application/x-lda-results ; q=1 , */*", m));
    /* parsed, not searched: a quality of 0 refuses it, and the name inside
       a parameter or as part of a longer name is not the media type */
    CU_ASSERT_FALSE(accepts("application/x-lda-results;q=0", m));
    CU_ASSERT_FALSE(accepts("application/x-lda-results; Q=0.0", m));
    CU_ASSERT_FALSE(accepts("text/plain; note=application/x-lda-results", m));
    CU_ASSERT_FALSE(accepts("application/x-lda-resultsx", m));
    CU_ASSERT_FALSE(accepts("application/x-lda-result", m));
    CU_ASSERT_FALSE(accepts("*/*", m));
    CU_ASSERT_FALSE(accepts("", m));
    CU_ASSERT_FALSE(accepts(NULL, m));
}

static void test_err(void)
{
    lda_err e;
    lda_err_init(&e);
    CU_ASSERT_EQUAL(e.status, 0);
    CU_ASSERT_FALSE(lda_err_set(&e, 400, "events[%d]: %s", 3, "bad"));
    CU_ASSERT_EQUAL(e.status, 400);
    CU_ASSERT_STRING_EQUAL(e.msg, "events[3]: bad");
    lda_err_prefix(&e, "invalid event body: ");
    CU_ASSERT_STRING_EQUAL(e.msg, "invalid event body: events[3]: bad");
    CU_ASSERT_FALSE(lda_err_msg(&e, LDA_MSG_NOMEM));
    CU_ASSERT_EQUAL(e.status, 500);
    CU_ASSERT_STRING_EQUAL(e.msg, "out of memory");
    CU_ASSERT_FALSE(lda_err_msg(&e, LDA_MSG_METHOD));
    CU_ASSERT_EQUAL(e.status, 405);
    CU_ASSERT_FALSE(lda_err_headers(&e, "Allow: %s\r\n", "POST"));
    CU_ASSERT_STRING_EQUAL(e.headers, "Allow: POST\r\n");
    CU_ASSERT_FALSE(lda_err_detail(&e, "errno %d", 28));
    CU_ASSERT_STRING_EQUAL(e.detail, "errno 28");
    /* long words are cut, never overflow */
    char big[600];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lda_err_set(&e, 400, "%s", big);
    CU_ASSERT_EQUAL(strlen(e.msg), sizeof e.msg - 1);
    lda_err_prefix(&e, "p: ");
    CU_ASSERT_EQUAL(strlen(e.msg), sizeof e.msg - 1);
    CU_ASSERT_NSTRING_EQUAL(e.msg, "p: xxx", 6);
    CU_ASSERT_STRING_EQUAL(lda_err_status_text(413), "Payload Too Large");
    CU_ASSERT_STRING_EQUAL(lda_err_status_text(507), "Insufficient Storage");
    CU_ASSERT_STRING_EQUAL(lda_err_status_text(299), "Status");
}

static void test_trace(void)
{
    static const char ok[] =
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    CU_ASSERT_TRUE(lda_trace_valid(ok));
    CU_ASSERT_TRUE(lda_trace_valid(
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00"));
    static const char *const bad[] = {
        "",
        "garbage",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-011",
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CU_ASSERT_FALSE(lda_trace_valid(bad[i]));
    CU_ASSERT_FALSE(lda_trace_valid(NULL));
    lda_trace t, u;
    char h[LDA_TRACEPARENT_LEN + 1], c[LDA_TRACEPARENT_LEN + 1];
    lda_trace_begin(&t, ok); /* continued: same trace, a new span */
    CU_ASSERT_STRING_EQUAL(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
    CU_ASSERT_STRING_NOT_EQUAL(t.span_id, "00f067aa0ba902b7");
    lda_trace_header(&t, h);
    CU_ASSERT_TRUE(lda_trace_valid(h));
    CU_ASSERT_NSTRING_EQUAL(h + 36, t.span_id, 16);
    lda_trace_child(&t, c); /* a call: same trace, another span */
    CU_ASSERT_TRUE(lda_trace_valid(c));
    CU_ASSERT_NSTRING_EQUAL(c, h, 36);
    CU_ASSERT_NOT_EQUAL(memcmp(c + 36, h + 36, 16), 0);
    lda_trace_begin(&u, "garbage"); /* started */
    lda_trace_header(&u, h);
    CU_ASSERT_TRUE(lda_trace_valid(h));
    CU_ASSERT_STRING_NOT_EQUAL(u.trace_id, t.trace_id);
}

void lda_test_http(void)
{
    static const lda_test_case cases[] = {
        {"parameters", test_param},        {"Content-Type", test_ctype},
        {"Accept is parsed", test_accept}, {"lda_err", test_err},
        {"traceparent", test_trace},       {NULL, NULL},
    };
    lda_test_suite("http", cases, NULL, NULL, NULL, NULL);
}
