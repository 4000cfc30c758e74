/* lda_service: the request loop and boundary every program shares (see
 * lda_service.h for the order of the checks).
 *
 * One request at a time per process (lighttpd runs several processes of a
 * program): accept, dispatch (prepare, health, key, failpoints, route,
 * admit, media type, body, handler), answer once -- the handler's answer or
 * the lda_err of whichever step refused -- then the route's done hook,
 * free the body, and between requests give memory back and sweep. */
#include "lda_service.h"

#include <openssl/crypto.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lda_circuit.h"
#include "lda_clock.h"
#include "lda_failpoint.h"
#include "lda_heap.h"
#include "lda_log.h"
#include "lda_metrics.h"
#include "lda_random.h"
#include "lda_sha256.h"
#include "lda_uuid.h"
#include "lda_validate.h"

static bool key_equal(const char *want, const char *got)
{
    char a[65], b[65];
    bool ok = lda_sha256_of(want, strlen(want), a) &&
              lda_sha256_of(got, strlen(got), b);
    return CRYPTO_memcmp(a, b, sizeof a) == 0 && ok;
}

bool lda_service_key_ok(const lda_config *cfg, lda_key_class k,
                        const char *presented)
{
    if (k == LDA_KEY_NONE)
        return true;
    if (k == LDA_KEY_METRICS)
        return !cfg->metrics_api_key ||
               (presented && key_equal(cfg->metrics_api_key, presented));
    const char *user = k == LDA_KEY_INTERNAL ? NULL : cfg->api_key;
    const char *inner = k == LDA_KEY_USER ? NULL : cfg->internal_api_key;
    if (k != LDA_KEY_INTERNAL && !user)
        return true; /* user routes without API_KEY */
    if (!presented || (!user && !inner))
        return false;
    /* Both comparisons always run: the time does not tell which matched. */
    bool ok_user = key_equal(user ? user : "", presented) && user;
    bool ok_inner = key_equal(inner ? inner : "", presented) && inner;
    return ok_user || ok_inner;
}

/* The key the request presents: X-API-Key, else an Authorization
 * bearer token; NULL when none. */
static const char *presented_key(const lda_req *r)
{
    const char *k = lda_http_param(r, "HTTP_X_API_KEY");
    const char *a = lda_http_param(r, "HTTP_AUTHORIZATION");
    if (k || !a || strncasecmp(a, "Bearer ", 7) != 0)
        return k;
    a += 7;
    while (*a == ' ')
        a++;
    return a;
}

/* GET /api/metrics, which every program answers: the host's metrics
 * (lda_metrics), the circuits as the configuration shows them. */
static bool metrics(const lda_config *cfg, lda_req *r, lda_answer *out,
                    lda_err *e)
{
    (void)r;
    lda_breaker_policy p;
    lda_circuit_policy(cfg, &p);
    lda_breaker_state st[LDA_SVC_COUNT];
    lda_circuit_shown(&p, st);
    lda_buf b;
    lda_buf_init(&b);
    if (!lda_metrics_write(st, &b)) {
        bool oom = b.oom;
        lda_buf_free(&b);
        return oom ? lda_err_msg(e, LDA_MSG_NOMEM)
                   : lda_err_set(e, 503, "metrics are not available");
    }
    out->ctype = LDA_METRICS_CTYPE;
    out->body = lda_buf_take(&b, &out->len);
    return true;
}

/* The routes of every program, after its own. */
static const lda_route builtin[] = {
    {"GET", "/api/metrics", LDA_KEY_METRICS, NULL, NULL, NULL, metrics},
    {NULL, NULL, 0, NULL, NULL, NULL, NULL},
};

/* The route tables of a program: its own, then the built-in ones. */
#define TABLES(svc) \
    { \
        (svc)->routes, builtin \
    }

static bool is_get(const lda_req *r)
{
    return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

/* The path is <program route>/health. */
static bool is_health(const lda_service *svc, const lda_req *r)
{
    size_t n = strlen(svc->route);
    return strncmp(r->path, svc->route, n) == 0 &&
           strcmp(r->path + n, "/health") == 0;
}

static bool path_matches(const lda_route *rt, const char *path)
{
    size_t n = strlen(rt->path);
    return rt->path[n - 1] == '/' ? strncmp(path, rt->path, n) == 0
                                  : strcmp(path, rt->path) == 0;
}

static bool method_matches(const lda_route *rt, const lda_req *r)
{
    return strcmp(rt->method, "GET") == 0 ? is_get(r)
                                          : strcmp(rt->method, r->method) == 0;
}

/* The route of the request (NULL when none), and *by_path the first route
 * of its path whatever the method (NULL when no route has the path). */
static const lda_route *find_route(const lda_service *svc, const lda_req *r,
                                   const lda_route **by_path)
{
    const lda_route *tables[] = TABLES(svc);
    *by_path = NULL;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const lda_route *rt = tables[t]; rt->path; rt++) {
            if (!path_matches(rt, r->path))
                continue;
            if (!*by_path)
                *by_path = rt;
            if (method_matches(rt, r))
                return rt;
        }
    return NULL;
}

/* The key of the request: its route's; for a path with routes but not
 * this method, that path's (a public one excepted); else the program's. */
static lda_key_class key_of(const lda_service *svc, const lda_route *rt,
                            const lda_route *by_path)
{
    if (rt)
        return rt->key;
    if (by_path && by_path->key != LDA_KEY_NONE)
        return by_path->key;
    return svc->key;
}

/* 405 with Allow: the methods of the routes of this path. */
static bool not_allowed(const lda_service *svc, const lda_req *r, lda_err *e)
{
    const lda_route *tables[] = TABLES(svc);
    char allow[64] = "";
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const lda_route *rt = tables[t]; rt->path; rt++)
            if (path_matches(rt, r->path) && n < sizeof allow)
                n += (size_t)snprintf(
                    allow + n, sizeof allow - n, "%s%s", n ? ", " : "",
                    strcmp(rt->method, "GET") == 0 ? "GET, HEAD" : rt->method);
    lda_err_headers(e, "Allow: %s\r\n", allow);
    return lda_err_msg(e, LDA_MSG_METHOD);
}

/* The failpoints every program honours; false when one fired (the
 * request must be refused, or was dropped). */
static bool fire_generic(const lda_config *cfg, lda_req *r, lda_err *e)
{
    const char *fp = lda_http_param(r, "HTTP_X_EVENT_FINGERPRINT");
    if (lda_failpoint_for("exit", r->request_id, fp))
        _exit(1);
    if (lda_failpoint_for("hang", r->request_id, fp)) {
        /* Hold the request past every client timeout, then go away. */
        unsigned s = (unsigned)(cfg->algorithm_timeout * 2) + 5;
        sleep(s > 600 ? 600 : s);
        _exit(1);
    }
    if (lda_failpoint_for("http500", r->request_id, fp))
        return lda_err_set(e, 500, "injected failure");
    if (lda_failpoint_for("http429", r->request_id, fp)) {
        lda_err_headers(e, "Retry-After: 1\r\n");
        return lda_err_set(e, 429, "injected rate limit");
    }
    if (lda_failpoint_for("http400", r->request_id, fp))
        return lda_err_set(e, 400, "injected bad request");
    return true;
}

/* The accepted media type of the request's body, or NULL with a 415. */
static const lda_media *media_of(const lda_route *rt, const lda_req *r,
                                 lda_err *e)
{
    size_t count = 0;
    for (; rt->media[count].type; count++)
        if (lda_http_ctype_is(r->content_type, rt->media[count].type))
            return &rt->media[count];
    /* refused: the words list the types the route takes */
    char list[160] = "";
    size_t n = 0;
    for (size_t i = 0; i < count && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
                              i == 0           ? ""
                              : i + 1 == count ? " or "
                                               : ", ",
                              rt->media[i].type);
    lda_err_set(e, 415, "Content-Type must be %s", list);
    return NULL;
}

/* Read the body within the media type's limit. */
static bool read_body(const lda_config *cfg, lda_req *r, const lda_media *m,
                      lda_err *e)
{
    static const char *const too_large[] = {
        [LDA_LIMIT_UPLOAD] = "request body larger than MAX_UPLOAD_BYTES",
        [LDA_LIMIT_INTERNAL] = "request body too large",
        [LDA_LIMIT_INTERNAL_X2] = "request body too large",
        [LDA_LIMIT_JSON] = "JSON body larger than MAX_JSON_BODY_BYTES",
    };
    uint64_t max = m->limit == LDA_LIMIT_JSON ? cfg->max_json_body_bytes
                                              : cfg->max_upload_bytes;
    if (m->limit == LDA_LIMIT_INTERNAL_X2)
        max = max > UINT64_MAX / 2 ? UINT64_MAX : max * 2;
    if (max > SIZE_MAX - 1)
        max = SIZE_MAX - 1;
    if (lda_http_read_body(r, (size_t)max, e))
        return true;
    if (e->status == 413)
        lda_err_set(e, 413, "%s", too_large[m->limit]);
    return false;
}

/* Everything up to and with the handler; false with e when refused. */
static bool dispatch(const lda_service *svc, const lda_config *cfg, lda_req *r,
                     const lda_route **admitted, lda_answer *out, lda_err *e)
{
    if (!lda_http_prepare(r, e))
        return false;
    if (is_health(svc, r)) {
        if (!is_get(r)) {
            lda_err_headers(e, "Allow: GET, HEAD\r\n");
            return lda_err_msg(e, LDA_MSG_METHOD);
        }
        out->json = json_pack("{s:s,s:s}", "status", "healthy", "service",
                              svc->program);
        return true;
    }
    const lda_route *by_path, *rt = find_route(svc, r, &by_path);
    if (!lda_service_key_ok(cfg, key_of(svc, rt, by_path), presented_key(r))) {
        lda_log(LDA_WARN, r->request_id, "unauthorised request",
                json_pack("{s:s,s:s}", "path", r->path, "client",
                          r->remote_addr));
        lda_err_headers(e, "WWW-Authenticate: X-API-Key\r\n");
        return lda_err_msg(e, LDA_MSG_UNAUTHORISED);
    }
    if (!fire_generic(cfg, r, e))
        return false;
    if (!rt)
        return by_path ? not_allowed(svc, r, e)
                       : lda_err_msg(e, LDA_MSG_NOT_FOUND);
    *admitted = rt;
    if (rt->admit && !rt->admit(cfg, r, e))
        return false;
    const lda_media *m = rt->media ? media_of(rt, r, e) : NULL;
    if (rt->media && (!m || !read_body(cfg, r, m, e)))
        return false;
    r->t_body = lda_mono_us();
    return rt->handle(cfg, r, out, e);
}

void lda_service_serve(const lda_service *svc, const lda_config *cfg,
                       lda_req *r)
{
    lda_answer out = {0};
    lda_err e;
    lda_err_init(&e);
    const lda_route *admitted = NULL;
    if (dispatch(svc, cfg, r, &admitted, &out, &e)) {
        lda_http_send_answer(r, &out);
    } else {
        if (!e.status) {
            lda_log(LDA_ERROR, r->request_id,
                    "handler failed without a "
                    "reason",
                    NULL);
            lda_err_msg(&e, LDA_MSG_INTERNAL);
        }
        if (e.detail[0])
            lda_log(e.status >= 500 ? LDA_ERROR : LDA_WARN, r->request_id,
                    e.msg,
                    json_pack("{s:i,s:s}", "status", e.status, "detail",
                              e.detail));
        json_decref(out.json);
        free(out.body);
        lda_http_send_error(r, &e);
    }
    lda_metrics_request(r->status, lda_mono_us() - r->t_start);
    if (admitted && admitted->done)
        admitted->done(cfg, r);
    free(r->body);
    r->body = NULL;
    lda_log_trace(NULL);
}

/* The periodic sweep (retention): at most once per LDA_SWEEP_SECONDS per
 * program, whichever of its processes comes first. The mtime of
 * $LDA_VAR_DIR/run/sweep-<program> says when the last sweep started; the
 * process that takes its flock (without waiting) and finds it old enough
 * touches it and sweeps. Between requests, never during one. */
static void maybe_sweep(const lda_service *svc, const lda_config *cfg)
{
    static time_t next; /* this process's own next look */
    time_t now = (time_t)(lda_now_us() / 1000000);
    if (!svc->sweep || now < next)
        return;
    next = now + (time_t)cfg->sweep_seconds;
    char path[PATH_MAX];
    int k = snprintf(path, sizeof path, "%s/run/sweep-%s", cfg->var_dir,
                     svc->program);
    if (k < 0 || (size_t)k >= sizeof path)
        return;
    bool created = true;
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        created = false;
        fd = open(path, O_RDWR | O_CLOEXEC);
    }
    if (fd < 0)
        return;
    struct stat st;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
        (created || now < st.st_mtime ||
         (uint64_t)(now - st.st_mtime) >= cfg->sweep_seconds)) {
        futimens(fd, NULL);
        size_t n = svc->sweep(cfg);
        if (n)
            lda_log(LDA_INFO, NULL, "retention sweep",
                    json_pack("{s:s,s:I}", "what", svc->sweep_what, "removed",
                              (json_int_t)n));
    }
    close(fd); /* releases the lock */
}

int lda_service_main(const lda_service *svc)
{
    static lda_config cfg;
    char err[256];
    lda_log_init(svc->program);
    if (lda_config_load(&cfg, err, sizeof err) < 0) {
        lda_log(LDA_ERROR, NULL, "invalid configuration",
                json_pack("{s:s}", "detail", err));
        return 1;
    }
    if (lda_failpoint_init(svc->program, cfg.var_dir) < 0) {
        lda_log(LDA_ERROR, NULL, "invalid LDA_FAILPOINTS", NULL);
        return 1;
    }
    lda_random_seed_core();
    const lda_svc *me = lda_svc_program(svc->program);
    if (!me || !lda_shm_open(cfg.var_dir, (int)(me - lda_svcs)))
        lda_log(LDA_WARN, NULL, "no shared state: metrics and circuits off",
                json_pack("{s:s}", "detail", strerror(errno)));
    if (svc->start && svc->start(&cfg) < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    lda_heap_keep();
    if (FCGX_Init() != 0)
        return 1;
    static lda_req r;
    if (FCGX_IsCGI()) {
        /* Plain CGI (fd 0 is no FastCGI socket): one request from the
           environment and stdin, answered on stdout, then exit. */
        r.cgi = true;
        r.fcgx.envp = environ;
        lda_service_serve(svc, &cfg, &r);
        fflush(stdout);
        maybe_sweep(svc, &cfg);
        return 0;
    }
    if (FCGX_InitRequest(&r.fcgx, 0, 0) != 0)
        return 1;
    lda_log(LDA_INFO, NULL, "started", json_pack("{s:i}", "pid", getpid()));
    maybe_sweep(svc, &cfg);
    while (FCGX_Accept_r(&r.fcgx) >= 0) {
        lda_service_serve(svc, &cfg, &r);
        FCGX_Finish_r(&r.fcgx);
        lda_heap_give_back();
        maybe_sweep(svc, &cfg);
    }
    FCGX_Free(&r.fcgx, 1);
    return 0;
}
