/* Unit tests for lda_client, the orchestrator's parallel HTTP client on
 * libcurl multi: success, retries of 5xx and 429 (Retry-After), final 4xx
 * and 507, exhaustion, per-attempt timeouts, connection failures, the
 * response cap, parallel calls, keep-alive reuse, and the request it
 * actually sends (method, path, headers, body).
 *
 * How: each test starts a tiny HTTP/1.1 server of its own on a free
 * 127.0.0.1 port (bind to port 0): a listener pthread plus one pthread per
 * connection. It answers requests in arrival order from a script of
 * canned answers (status, extra headers, body, an optional delay, or a
 * close without answering; an answer may be reserved for one path) and
 * records every request with the connection it came on, so the tests
 * check both what lda_client sent and what it made of the answers.
 * Timeouts and backoffs are tens of milliseconds; the one long wait is a
 * 1 s Retry-After. The client's log (stderr) goes to a file during each
 * batch; some tests check its lines. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lda_client.h"
#include "lda_clock.h"
#include "lda_test.h"

/* ---- the scripted server ---------------------------------------------- */

#define SRV_MAX_REQ 32
#define SRV_MAX_CONN 16
#define SRV_BUF 65536 /* request head */
#define SRV_MAX_BODY (4u << 20)

typedef struct answer {
    const char *path;    /* answer only this path; NULL = any */
    int status;          /* 0 = close the connection without answering */
    const char *headers; /* extra header lines, each ending in "\r\n" */
    const char *body;    /* NULL = `fill` bytes of 'x' */
    size_t fill;
    int delay_ms; /* before answering (or closing) */
} answer;

typedef struct request {
    char method[8];
    char path[128];
    char head[4096]; /* the header lines, NUL-terminated */
    char *body;      /* malloc'd, NUL-terminated */
    size_t body_len;
    size_t conn; /* connection number, 0 = first accepted */
} request;

struct server;

typedef struct conn_ctx {
    struct server *s;
    int fd;
    size_t index;
} conn_ctx;

typedef struct server {
    bool running;
    int lfd;
    int stop[2]; /* written once at stop: readable for ever */
    unsigned short port;
    pthread_t listener;
    pthread_mutex_t mu;
    const answer *script;
    size_t nscript;
    bool used[SRV_MAX_REQ];
    request req[SRV_MAX_REQ];
    size_t nreq;
    size_t unscripted; /* requests no answer was left for */
    int inflight, max_inflight;
    pthread_t conn_thr[SRV_MAX_CONN];
    conn_ctx conn[SRV_MAX_CONN];
    size_t nconn;
} server;

/* Wait until fd is readable: false on stop or after timeout_ms (-1 =
 * none). fd -1 = just wait (a stoppable sleep; true when it elapsed). */
static bool srv_wait(server *s, int fd, int timeout_ms)
{
    struct pollfd p[2] = {{s->stop[0], POLLIN, 0}, {fd, POLLIN, 0}};
    int r;
    do
        r = poll(p, fd < 0 ? 1 : 2, timeout_ms);
    while (r < 0 && errno == EINTR);
    if (r < 0 || p[0].revents)
        return false;
    return fd < 0 ? r == 0 : p[1].revents != 0;
}

/* Copy the value of header `name` (case-insensitive) from the header
 * lines in head into out; false when absent. */
static bool header_value(const char *head, const char *name, char *out,
                         size_t n)
{
    size_t nl = strlen(name);
    for (const char *line = head; *line;) {
        const char *eol = strstr(line, "\r\n");
        if (!eol)
            eol = line + strlen(line);
        if ((size_t)(eol - line) > nl && line[nl] == ':' &&
            strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)(eol - v), v);
            return true;
        }
        line = *eol ? eol + 2 : eol;
    }
    return false;
}

/* Parse the request line and header lines buf[0..hlen) into r. */
static bool parse_head(const char *buf, size_t hlen, request *r)
{
    memset(r, 0, sizeof *r);
    const char *eol = memmem(buf, hlen, "\r\n", 2);
    const char *sp1 = eol ? memchr(buf, ' ', (size_t)(eol - buf)) : NULL;
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1))
                          : NULL;
    if (!sp2)
        return false;
    snprintf(r->method, sizeof r->method, "%.*s", (int)(sp1 - buf), buf);
    snprintf(r->path, sizeof r->path, "%.*s", (int)(sp2 - sp1 - 1), sp1 + 1);
    snprintf(r->head, sizeof r->head, "%.*s",
             (int)(hlen - (size_t)(eol + 2 - buf)), eol + 2);
    return true;
}

/* Record r and pick its answer (NULL = none left). */
static const answer *srv_take(server *s, request *r)
{
    const answer *a = NULL;
    pthread_mutex_lock(&s->mu);
    if (s->nreq < SRV_MAX_REQ)
        s->req[s->nreq++] = *r;
    else
        free(r->body);
    r->body = NULL;
    for (size_t i = 0; i < s->nscript && i < SRV_MAX_REQ; i++) {
        const answer *c = &s->script[i];
        if (!s->used[i] && (!c->path || strcmp(c->path, r->path) == 0)) {
            s->used[i] = true;
            a = c;
            break;
        }
    }
    if (!a)
        s->unscripted++;
    if (++s->inflight > s->max_inflight)
        s->max_inflight = s->inflight;
    pthread_mutex_unlock(&s->mu);
    return a;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Answer one request; false when the connection is to be closed. */
static bool srv_answer(server *s, int fd, const answer *a)
{
    static const answer unscripted = {NULL, 500, NULL, "unscripted", 0, 0};
    if (!a)
        a = &unscripted;
    if (a->delay_ms && !srv_wait(s, -1, a->delay_ms))
        return false;
    if (!a->status)
        return false;
    size_t blen = a->body ? strlen(a->body) : a->fill;
    char *fill = a->body ? NULL : malloc(blen ? blen : 1);
    if (fill)
        memset(fill, 'x', blen);
    char head[512];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d Canned\r\nContent-Length: %zu\r\n%s\r\n",
                      a->status, blen, a->headers ? a->headers : "");
    bool ok = (a->body || fill) && hl > 0 && (size_t)hl < sizeof head &&
              send_all(fd, head, (size_t)hl) &&
              send_all(fd, a->body ? a->body : fill, blen);
    free(fill);
    return ok;
}

static void *srv_conn(void *arg)
{
    conn_ctx *cx = arg;
    server *s = cx->s;
    char *buf = malloc(SRV_BUF);
    size_t len = 0;
    while (buf) {
        char *end;
        while (!(end = memmem(buf, len, "\r\n\r\n", 4))) {
            if (len == SRV_BUF || !srv_wait(s, cx->fd, -1))
                goto out;
            ssize_t n = recv(cx->fd, buf + len, SRV_BUF - len, 0);
            if (n <= 0)
                goto out;
            len += (size_t)n;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        request r;
        char cl[32] = "0";
        if (!parse_head(buf, hlen, &r))
            goto out;
        header_value(r.head, "Content-Length", cl, sizeof cl);
        size_t clen = strtoul(cl, NULL, 10);
        if (clen > SRV_MAX_BODY || !(r.body = malloc(clen + 1)))
            goto out;
        /* The body: what came with the head, then straight from the
           socket. */
        size_t have = len - hlen < clen ? len - hlen : clen;
        memcpy(r.body, buf + hlen, have);
        memmove(buf, buf + hlen + have, len - hlen - have);
        len -= hlen + have;
        while (have < clen) {
            ssize_t n = -1;
            if (srv_wait(s, cx->fd, -1))
                n = recv(cx->fd, r.body + have, clen - have, 0);
            if (n <= 0) {
                free(r.body);
                goto out;
            }
            have += (size_t)n;
        }
        r.body[clen] = '\0';
        r.body_len = clen;
        r.conn = cx->index;
        const answer *a = srv_take(s, &r);
        bool keep = srv_answer(s, cx->fd, a);
        pthread_mutex_lock(&s->mu);
        s->inflight--;
        pthread_mutex_unlock(&s->mu);
        if (!keep)
            break;
    }
out:
    free(buf);
    close(cx->fd);
    return NULL;
}

static void *srv_listen(void *arg)
{
    server *s = arg;
    while (srv_wait(s, s->lfd, -1)) {
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        if (s->nconn == SRV_MAX_CONN) {
            close(fd);
            continue;
        }
        conn_ctx *cx = &s->conn[s->nconn];
        cx->s = s;
        cx->fd = fd;
        cx->index = s->nconn;
        if (pthread_create(&s->conn_thr[s->nconn], NULL, srv_conn, cx))
            close(fd);
        else
            s->nconn++;
    }
    return NULL;
}

/* Start serving script[0..n) (it must outlive the server). 0 or -1. */
static int srv_start(server *s, const answer *script, size_t n)
{
    memset(s, 0, sizeof *s);
    s->script = script;
    s->nscript = n;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->lfd < 0)
        return -1;
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 16) ||
        getsockname(s->lfd, (struct sockaddr *)&a, &alen) ||
        pipe2(s->stop, O_CLOEXEC)) {
        close(s->lfd);
        return -1;
    }
    s->port = ntohs(a.sin_port);
    pthread_mutex_init(&s->mu, NULL);
    if (pthread_create(&s->listener, NULL, srv_listen, s)) {
        close(s->lfd);
        close(s->stop[0]);
        close(s->stop[1]);
        pthread_mutex_destroy(&s->mu);
        return -1;
    }
    s->running = true;
    return 0;
}

static void srv_stop(server *s)
{
    if (!s->running)
        return;
    char b = 1;
    ssize_t w = write(s->stop[1], &b, 1);
    (void)w;
    pthread_join(s->listener, NULL);
    for (size_t i = 0; i < s->nconn; i++)
        pthread_join(s->conn_thr[i], NULL);
    close(s->lfd);
    close(s->stop[0]);
    close(s->stop[1]);
    for (size_t i = 0; i < s->nreq; i++)
        free(s->req[i].body);
    pthread_mutex_destroy(&s->mu);
    s->running = false;
}

static size_t srv_nreq(server *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->nreq;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* The first recorded request for path, or NULL. */
static const request *srv_find(server *s, const char *path)
{
    const request *r = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nreq && !r; i++)
        if (strcmp(s->req[i].path, path) == 0)
            r = &s->req[i];
    pthread_mutex_unlock(&s->mu);
    return r;
}

/* ---- fixture: one server, one client, up to 4 calls per test ------------ */

#define NCALLS 4

static server srv;
static lda_client *cli;
static char base_url[64];
static lda_call calls[NCALLS];
static char tmpdir[64];
static char log_path[128];
static char logtext[16384]; /* the client's log of the last batch */

static int client_init(void)
{
    strcpy(tmpdir, "/tmp/lda-unit-client-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(log_path, sizeof log_path, "%s/client.log", tmpdir);
    return 0;
}

static int client_cleanup(void)
{
    unlink(log_path);
    return rmdir(tmpdir);
}

static void client_setup(void)
{
    memset(&srv, 0, sizeof srv);
    cli = NULL;
    for (size_t i = 0; i < NCALLS; i++)
        lda_call_init(&calls[i]);
    logtext[0] = '\0';
}

static void client_teardown(void)
{
    lda_client_free(cli); /* closes its connections first */
    cli = NULL;
    for (size_t i = 0; i < NCALLS; i++)
        lda_call_free(&calls[i]);
    srv_stop(&srv);
}

/* Start the server on script and a client for it (api key may be NULL). */
static void start(const answer *script, size_t n, const char *key)
{
    CU_ASSERT_EQUAL_FATAL(srv_start(&srv, script, n), 0);
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u",
             (unsigned)srv.port);
    cli = lda_client_new(base_url, key);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
}

/* Make calls[i] a POST of body to path. */
static lda_call *post(size_t i, const char *path, const char *body)
{
    lda_call *c = &calls[i];
    c->service = "test";
    c->path = path;
    c->content_type = "application/json";
    c->body = body;
    c->body_len = strlen(body);
    return c;
}

/* Run calls[0..n) on c with stderr going to the log file (its text then
 * in logtext). Returns lda_client_run's result. */
static int run_on(lda_client *c, size_t n, double timeout_s, uint64_t retries,
                  double backoff_s)
{
    lda_client_policy p = {timeout_s, retries, backoff_s};
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
    lda_call *run[NCALLS];
    CU_ASSERT_FATAL(n <= sizeof run / sizeof *run);
    for (size_t i = 0; i < n; i++)
        run[i] = &calls[i];
    int rc = lda_client_run(c, run, n, &p);
    CU_ASSERT_FATAL(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    logtext[0] = '\0';
    FILE *f = fopen(log_path, "r");
    if (f) {
        size_t got = fread(logtext, 1, sizeof logtext - 1, f);
        logtext[got] = '\0';
        fclose(f);
    }
    return rc;
}

static int run(size_t n, double timeout_s, uint64_t retries, double backoff_s)
{
    return run_on(cli, n, timeout_s, retries, backoff_s);
}

/* Microseconds between attempt i and attempt i + 1 of c. */
static int64_t gap_us(const lda_call *c, unsigned i)
{
    return c->attempt_us[i + 1] - c->attempt_us[i];
}

static bool response_is(const lda_call *c, const char *text)
{
    return c->response.len == strlen(text) &&
           memcmp(c->response.data, text, c->response.len) == 0;
}

#define N(a) (sizeof(a) / sizeof *(a))

/* ---- tests ----------------------------------------------------------- */

/* The backoff schedule: base * 2^attempt, a longer Retry-After wins, both
 * capped at a day, nonsense bases wait 0. */
static void test_backoff_ms(void)
{
    const int64_t day = 24LL * 3600 * 1000;
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 0, 0), 1000);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 3, 0), 8000);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(0.05, 1, 0), 100);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 0, 5), 5000);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 4, 5), 16000);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 0, -3), 1000);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(1.0, 100, 0), day);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(0.0, 0, 10LL * 86400), day);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(-1.0, 2, 0), 0);
    CU_ASSERT_EQUAL(lda_client_backoff_ms(NAN, 2, 0), 0);
}

/* A 200 is final at once with its body captured and nothing logged. */
static void test_success(void)
{
    static const answer script[] = {
        {NULL, 200, "Content-Type: application/json\r\n", "{\"ok\":true}", 0,
         0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/api/x", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->http_status, 200);
    CU_ASSERT_EQUAL(c->retry_count, 0);
    CU_ASSERT_EQUAL(c->attempts, 1);
    CU_ASSERT_TRUE(response_is(c, "{\"ok\":true}"));
    CU_ASSERT_STRING_EQUAL(c->error, "");
    CU_ASSERT(c->elapsed_ms >= 0 && c->elapsed_ms < 2000);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 1);
    CU_ASSERT_STRING_EQUAL(logtext, "");
}

/* What goes over the wire: method, path after the base URL (a trailing
 * slash of the base dropped), X-Request-ID, X-Event-Fingerprint,
 * X-API-Key, Content-Type, Accept (default application/json), no
 * "Expect: 100-continue", and a body with NUL bytes sent exactly. A GET
 * has no body and no Content-Type. An empty API key sends no header. */
static void test_request_sent(void)
{
    static const answer script[] = {
        {"/api/detect?x=1", 200, NULL, "posted", 0, 0},
        {"/api/health", 200, NULL, "got", 0, 0},
        {"/api/nokey", 200, NULL, "nokey", 0, 0},
    };
    static const char body[] = "a\0b\r\n\0z";
    static const char fp[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    CU_ASSERT_EQUAL_FATAL(srv_start(&srv, script, N(script)), 0);
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u/",
             (unsigned)srv.port);
    cli = lda_client_new(base_url, "s3cret");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cli);

    lda_call *p = &calls[0];
    p->service = "layering";
    p->path = "/api/detect?x=1";
    p->content_type = "application/x-lda-wire";
    p->accept = "application/x-lda-wire";
    p->request_id = "req-0001";
    p->fingerprint = fp;
    p->body = body;
    p->body_len = sizeof body - 1;
    lda_call *g = &calls[1];
    g->path = "/api/health";
    g->get = true;
    CU_ASSERT_EQUAL(run(2, 2, 0, 0.01), 0);
    CU_ASSERT_EQUAL(p->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(g->state, LDA_CALL_SUCCESS);
    CU_ASSERT_TRUE(response_is(p, "posted"));
    CU_ASSERT_TRUE(response_is(g, "got"));

    char v[128];
    const request *r = srv_find(&srv, "/api/detect?x=1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(r->method, "POST");
    CU_ASSERT_TRUE(header_value(r->head, "X-Request-ID", v, sizeof v) &&
                   strcmp(v, "req-0001") == 0);
    CU_ASSERT_TRUE(header_value(r->head, "X-Event-Fingerprint", v, sizeof v) &&
                   strcmp(v, fp) == 0);
    CU_ASSERT_TRUE(header_value(r->head, "X-API-Key", v, sizeof v) &&
                   strcmp(v, "s3cret") == 0);
    CU_ASSERT_TRUE(header_value(r->head, "Content-Type", v, sizeof v) &&
                   strcmp(v, "application/x-lda-wire") == 0);
    CU_ASSERT_TRUE(header_value(r->head, "Accept", v, sizeof v) &&
                   strcmp(v, "application/x-lda-wire") == 0);
    CU_ASSERT_TRUE(header_value(r->head, "Content-Length", v, sizeof v) &&
                   strcmp(v, "7") == 0);
    CU_ASSERT_FALSE(header_value(r->head, "Expect", v, sizeof v));
    CU_ASSERT_EQUAL(r->body_len, sizeof body - 1);
    CU_ASSERT_TRUE(r->body_len == sizeof body - 1 &&
                   memcmp(r->body, body, sizeof body - 1) == 0);

    r = srv_find(&srv, "/api/health");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_STRING_EQUAL(r->method, "GET");
    CU_ASSERT_EQUAL(r->body_len, 0);
    CU_ASSERT_TRUE(header_value(r->head, "Accept", v, sizeof v) &&
                   strcmp(v, "application/json") == 0);
    CU_ASSERT_TRUE(header_value(r->head, "X-API-Key", v, sizeof v));
    CU_ASSERT_FALSE(header_value(r->head, "Content-Type", v, sizeof v));
    CU_ASSERT_FALSE(header_value(r->head, "X-Request-ID", v, sizeof v));
    CU_ASSERT_FALSE(header_value(r->head, "X-Event-Fingerprint", v, sizeof v));

    /* A client with an empty key sends none; a POST without a content
       type is application/octet-stream. */
    lda_client *nokey = lda_client_new(base_url, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(nokey);
    lda_call_free(&calls[0]);
    lda_call_init(&calls[0]);
    calls[0].path = "/api/nokey";
    calls[0].body = "x";
    calls[0].body_len = 1;
    CU_ASSERT_EQUAL(run_on(nokey, 1, 2, 0, 0.01), 0);
    lda_client_free(nokey);
    CU_ASSERT_TRUE(response_is(&calls[0], "nokey"));
    r = srv_find(&srv, "/api/nokey");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_FALSE(header_value(r->head, "X-API-Key", v, sizeof v));
    CU_ASSERT_TRUE(header_value(r->head, "Content-Type", v, sizeof v) &&
                   strcmp(v, "application/octet-stream") == 0);
    CU_ASSERT_EQUAL(srv.unscripted, 0);
}

/* A body over 1 MiB (where libcurl would otherwise send "Expect:
 * 100-continue" and wait up to a second for an interim answer this server
 * never sends) goes at once, whole and unchanged. */
static void test_large_body(void)
{
    static const answer script[] = {
        {NULL, 200, NULL, "got it", 0, 0},
    };
    enum { BIG = (3u << 20) / 2 };
    start(script, N(script), NULL);
    char *big = malloc(BIG);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (char)('a' + i % 26);
    lda_call *c = post(0, "/big", "");
    c->body = big;
    c->body_len = BIG;
    int rc = run(1, 2, 0, 0.01);
    const request *r = srv_find(&srv, "/big");
    char v[64];
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_TRUE(response_is(c, "got it"));
    CU_ASSERT(c->elapsed_ms < 900);
    CU_ASSERT_PTR_NOT_NULL(r);
    if (r) {
        CU_ASSERT_FALSE(header_value(r->head, "Expect", v, sizeof v));
        CU_ASSERT_EQUAL(r->body_len, BIG);
        CU_ASSERT_TRUE(r->body_len == BIG && memcmp(r->body, big, BIG) == 0);
    }
    free(big);
}

/* A 503 is retried after the backoff; the response is the last attempt's
 * body alone; the retry is logged with its reason. */
static void test_retry_503(void)
{
    static const answer script[] = {
        {NULL, 503, NULL, "busy", 0, 0},
        {NULL, 200, NULL, "ok", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    c->request_id = "req-503";
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.05), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->http_status, 200);
    CU_ASSERT_EQUAL(c->retry_count, 1);
    CU_ASSERT_EQUAL(c->attempts, 2);
    CU_ASSERT_TRUE(response_is(c, "ok"));
    CU_ASSERT_STRING_EQUAL(c->error, "");
    CU_ASSERT(gap_us(c, 0) >= 50000);
    CU_ASSERT(gap_us(c, 0) < 1000000);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext, "\"msg\":\"retrying call\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext, "\"reason\":\"HTTP 503\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext, "\"request_id\":\"req-503\""));
}

/* A 429's Retry-After (1 s) wins over a 10 ms backoff. */
static void test_retry_after_429(void)
{
    static const answer script[] = {
        {NULL, 429, "Retry-After: 1\r\n", "slow down", 0, 0},
        {NULL, 200, NULL, "ok", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->retry_count, 1);
    CU_ASSERT_EQUAL(c->attempts, 2);
    CU_ASSERT_TRUE(response_is(c, "ok"));
    CU_ASSERT(gap_us(c, 0) >= 1000000);
    CU_ASSERT(gap_us(c, 0) < 3000000);
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext, "\"wait_ms\":1000"));
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
}

/* Only a 429's Retry-After counts: a 503 with one retries on the backoff
 * (lda_client.h: "a 429's Retry-After wins if longer"). */
static void test_retry_after_503_ignored(void)
{
    static const answer script[] = {
        {NULL, 503, "Retry-After: 5\r\n", "busy", 0, 0},
        {NULL, 200, NULL, "ok", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->retry_count, 1);
    CU_ASSERT(gap_us(c, 0) < 1000000);
}

/* A 400 and a 507 are final at once: no retry though retries are left,
 * the status, error and body of the answer kept. */
static void test_rejected(void)
{
    static const answer script[] = {
        {"/a", 400, NULL, "{\"error\":\"bad\"}", 0, 0},
        {"/b", 507, NULL, "{\"error\":\"full\"}", 0, 0},
        {"/a", 200, NULL, "spare", 0, 0},
        {"/b", 200, NULL, "spare", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *a = post(0, "/a", "{}");
    lda_call *b = post(1, "/b", "{}");
    CU_ASSERT_EQUAL(run(2, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(a->state, LDA_CALL_REJECTED);
    CU_ASSERT_EQUAL(a->http_status, 400);
    CU_ASSERT_EQUAL(a->retry_count, 0);
    CU_ASSERT_EQUAL(a->attempts, 1);
    CU_ASSERT_STRING_EQUAL(a->error, "HTTP 400");
    CU_ASSERT_TRUE(response_is(a, "{\"error\":\"bad\"}"));
    CU_ASSERT_EQUAL(b->state, LDA_CALL_REJECTED);
    CU_ASSERT_EQUAL(b->http_status, 507);
    CU_ASSERT_EQUAL(b->retry_count, 0);
    CU_ASSERT_STRING_EQUAL(b->error, "HTTP 507");
    CU_ASSERT_TRUE(response_is(b, "{\"error\":\"full\"}"));
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
    CU_ASSERT_PTR_NULL(strstr(logtext, "retrying call"));
}

/* 503 on every attempt: 1 + max_retries attempts on a doubling backoff,
 * then EXHAUSTED with the last status; a fourth answer is never asked. */
static void test_exhausted(void)
{
    static const answer script[] = {
        {NULL, 503, NULL, "busy 1", 0, 0},
        {NULL, 503, NULL, "busy 2", 0, 0},
        {NULL, 503, NULL, "busy 3", 0, 0},
        {NULL, 200, NULL, "too late", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 2, 0.04), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_EXHAUSTED);
    CU_ASSERT_EQUAL(c->http_status, 503);
    CU_ASSERT_EQUAL(c->retry_count, 2);
    CU_ASSERT_EQUAL(c->attempts, 3);
    CU_ASSERT_STRING_EQUAL(c->error, "HTTP 503");
    CU_ASSERT_TRUE(response_is(c, "busy 3"));
    CU_ASSERT(gap_us(c, 0) >= 40000);
    CU_ASSERT(gap_us(c, 1) >= 80000);
    CU_ASSERT(c->elapsed_ms >= 120);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 3);
}

/* Nothing listening: connection refused is retryable, then EXHAUSTED with
 * no HTTP status. */
static void test_refused(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CU_ASSERT_FATAL(fd >= 0);
    struct sockaddr_in a = {0};
    socklen_t alen = sizeof a;
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
                    getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
    close(fd); /* a port nobody listens on */
    snprintf(base_url, sizeof base_url, "http://127.0.0.1:%u",
             (unsigned)ntohs(a.sin_port));
    cli = lda_client_new(base_url, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 1, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_EXHAUSTED);
    CU_ASSERT_EQUAL(c->http_status, 0);
    CU_ASSERT_EQUAL(c->attempts, 2);
    CU_ASSERT_STRING_EQUAL(c->error, "connection refused");
}

/* An unusable URL is a local failure: REJECTED at once. */
static void test_bad_url(void)
{
    cli = lda_client_new("nosuchscheme://127.0.0.1:1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(cli);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_REJECTED);
    CU_ASSERT_EQUAL(c->attempts, 1);
    CU_ASSERT_EQUAL(c->retry_count, 0);
    CU_ASSERT_STRING_NOT_EQUAL(c->error, "");
}

/* A connection closed without an answer is retried. */
static void test_closed(void)
{
    static const answer script[] = {
        {NULL, 0, NULL, NULL, 0, 0},
        {NULL, 200, NULL, "ok", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->retry_count, 1);
    CU_ASSERT_TRUE(response_is(c, "ok"));
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext,
                                  "connection closed without a response"));
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
}

/* The timeout is per attempt: two attempts of 0.2 s against a server that
 * takes 2 s, then EXHAUSTED "timed out after 0.2 s", well before 2 s. */
static void test_timeout(void)
{
    static const answer script[] = {
        {NULL, 200, NULL, "late", 0, 2000},
        {NULL, 200, NULL, "late", 0, 2000},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 0.2, 1, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_EXHAUSTED);
    CU_ASSERT_EQUAL(c->http_status, 0);
    CU_ASSERT_EQUAL(c->attempts, 2);
    CU_ASSERT_EQUAL(c->response.len, 0);
    CU_ASSERT_STRING_EQUAL(c->error, "timed out after 0.2 s");
    CU_ASSERT(gap_us(c, 0) >= 200000);
    CU_ASSERT(c->elapsed_ms >= 400 && c->elapsed_ms < 1500);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
}

/* A timed-out attempt is retried and the retry may succeed. */
static void test_timeout_then_ok(void)
{
    static const answer script[] = {
        {NULL, 200, NULL, "late", 0, 2000},
        {NULL, 200, NULL, "ok", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 0.2, 1, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(c->retry_count, 1);
    CU_ASSERT_TRUE(response_is(c, "ok"));
    CU_ASSERT(c->elapsed_ms >= 200 && c->elapsed_ms < 1500);
    CU_ASSERT_PTR_NOT_NULL(strstr(logtext, "timed out after 0.2 s"));
}

/* A body over max_response is REJECTED at once ("response too large");
 * one exactly at the cap is accepted whole. */
static void test_response_cap(void)
{
    static const answer script[] = {
        {NULL, 200, NULL, NULL, 4096, 0},
        {NULL, 200, NULL, NULL, 4096, 0},
        {NULL, 200, NULL, "spare", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    c->max_response = 4095;
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_REJECTED);
    CU_ASSERT_EQUAL(c->retry_count, 0);
    CU_ASSERT_EQUAL(c->attempts, 1);
    CU_ASSERT_STRING_EQUAL(c->error, "response too large");
    CU_ASSERT(c->response.len <= 4095);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 1);

    c->max_response = 4096; /* the same call again: results reset */
    CU_ASSERT_EQUAL(run(1, 2, 3, 0.01), 0);
    CU_ASSERT_EQUAL(c->state, LDA_CALL_SUCCESS);
    CU_ASSERT_STRING_EQUAL(c->error, "");
    CU_ASSERT_EQUAL(c->response.len, 4096);
    CU_ASSERT_TRUE(c->response.len == 4096 && c->response.data[0] == 'x' &&
                   c->response.data[4095] == 'x');
    CU_ASSERT_EQUAL(srv_nreq(&srv), 2);
}

/* on_final: record the order in which calls became final. */
static size_t final_order[NCALLS];
static size_t nfinal;

static void on_final(lda_call *c, void *arg)
{
    (void)arg;
    if (nfinal < NCALLS)
        final_order[nfinal] = (size_t)(c - calls);
    nfinal++;
}

/* Calls run in parallel: two 300 ms answers are in flight at once and the
 * batch takes well under 600 ms; a third call's 503-and-retry meanwhile
 * is final first (its wait does not hold the others, nor theirs it), and
 * on_final runs once per call. */
static void test_parallel(void)
{
    static const answer script[] = {
        {"/slow1", 200, NULL, "one", 0, 300},
        {"/slow2", 200, NULL, "two", 0, 300},
        {"/quick", 503, NULL, "busy", 0, 0},
        {"/quick", 200, NULL, "three", 0, 0},
    };
    start(script, N(script), NULL);
    post(0, "/slow1", "{}");
    post(1, "/slow2", "{}");
    post(2, "/quick", "{}");
    nfinal = 0;
    for (size_t i = 0; i < 3; i++)
        calls[i].on_final = on_final;
    int64_t t0 = lda_mono_us();
    CU_ASSERT_EQUAL(run(3, 2, 3, 0.05), 0);
    int64_t took = lda_mono_us() - t0;
    CU_ASSERT_EQUAL(calls[0].state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(calls[1].state, LDA_CALL_SUCCESS);
    CU_ASSERT_EQUAL(calls[2].state, LDA_CALL_SUCCESS);
    CU_ASSERT_TRUE(response_is(&calls[0], "one"));
    CU_ASSERT_TRUE(response_is(&calls[1], "two"));
    CU_ASSERT_TRUE(response_is(&calls[2], "three"));
    CU_ASSERT_EQUAL(calls[2].retry_count, 1);
    CU_ASSERT(calls[2].elapsed_ms < 250);
    CU_ASSERT(took >= 300000 && took < 550000);
    CU_ASSERT(calls[0].elapsed_ms >= 300);
    CU_ASSERT(calls[1].elapsed_ms >= 300);
    CU_ASSERT(srv.max_inflight >= 2);
    CU_ASSERT_EQUAL(nfinal, 3);
    CU_ASSERT_EQUAL(final_order[0], 2);
    CU_ASSERT_EQUAL(srv_nreq(&srv), 4);
}

/* The connection outlives the batch: a second batch on the same client
 * reuses it (the header's keep-alive promise). */
static void test_keepalive(void)
{
    static const answer script[] = {
        {NULL, 200, NULL, "first", 0, 0},
        {NULL, 200, NULL, "second", 0, 0},
    };
    start(script, N(script), NULL);
    lda_call *c = post(0, "/r", "{}");
    CU_ASSERT_EQUAL(run(1, 2, 0, 0.01), 0);
    CU_ASSERT_TRUE(response_is(c, "first"));
    CU_ASSERT_EQUAL(run(1, 2, 0, 0.01), 0);
    CU_ASSERT_TRUE(response_is(c, "second"));
    CU_ASSERT_EQUAL_FATAL(srv_nreq(&srv), 2);
    CU_ASSERT_EQUAL(srv.req[0].conn, srv.req[1].conn);
}

void lda_test_client(void)
{
    static const lda_test_case cases[] = {
        {"backoff schedule", test_backoff_ms},
        {"200: body captured", test_success},
        {"request method, headers and body", test_request_sent},
        {"1.5 MiB body without Expect", test_large_body},
        {"503 retried then 200", test_retry_503},
        {"429 Retry-After honoured", test_retry_after_429},
        {"503 Retry-After not honoured", test_retry_after_503_ignored},
        {"400 and 507 final at once", test_rejected},
        {"exhausted after max retries", test_exhausted},
        {"connection refused", test_refused},
        {"unusable URL", test_bad_url},
        {"closed without an answer", test_closed},
        {"timeout per attempt", test_timeout},
        {"timeout then success", test_timeout_then_ok},
        {"response size cap", test_response_cap},
        {"parallel calls", test_parallel},
        {"keep-alive across batches", test_keepalive},
        {NULL, NULL},
    };
    lda_test_suite("client", cases, client_init, client_cleanup, client_setup,
                   client_teardown);
}
