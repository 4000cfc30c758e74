/* lda_service: the request loop every program shares (see lda_service.h).
 *
 * One request at a time per process (lighttpd runs several processes of a
 * program): accept, read the request line and ids, answer health, check the
 * key, fire the generic failpoints, hand over to the program's handler,
 * finish. A handler that returns without replying gets a 500, so a client
 * is never left waiting. */
#include "lda_service.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <malloc.h>
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
#include <unistd.h>

#include "lda_failpoint.h"
#include "lda_log.h"
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
    const char *user = k == LDA_KEY_INTERNAL ? NULL : cfg->api_key;
    const char *inner = k == LDA_KEY_USER ? NULL : cfg->internal_api_key;
    if (k != LDA_KEY_INTERNAL && !user)
        return true;                  /* user routes without API_KEY */
    if (!presented || (!user && !inner))
        return false;
    /* Both comparisons always run: the time does not tell which matched. */
    bool ok_user = key_equal(user ? user : "", presented) && user;
    bool ok_inner = key_equal(inner ? inner : "", presented) && inner;
    return ok_user || ok_inner;
}

static bool parse_length(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s)
        return true;                  /* absent: no body */
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
    const char *v = lda_req_param(r, name);
    return v ? v : "";
}

/* Fill the request's fields; false when it is unusable (replied 400). */
static bool prepare(lda_req *r)
{
    r->replied = false;
    r->method = param_or_empty(r, "REQUEST_METHOD");
    r->content_type = param_or_empty(r, "CONTENT_TYPE");
    r->remote_addr = param_or_empty(r, "REMOTE_ADDR");
    /* Only a version-4 UUID is taken as the request's id (never the nil
       UUID: it would name a run), in lower case once for every use. */
    const char *rid = lda_req_param(r, "HTTP_X_REQUEST_ID");
    if (rid && lda_valid_run_id(rid, strlen(rid))) {
        for (size_t i = 0; i < 37; i++)
            r->request_id[i] = (char)tolower((unsigned char)rid[i]);
    } else if (!lda_uuid_v4(r->request_id)) {
        memcpy(r->request_id, "00000000-0000-4000-8000-000000000000", 37);
    }
    const char *uri = param_or_empty(r, "REQUEST_URI");
    size_t n = strcspn(uri, "?");
    r->path_too_long = n >= sizeof r->path;
    if (r->path_too_long)
        n = 0;
    memcpy(r->path, uri, n);
    r->path[n] = '\0';
    r->content_length = 0;
    if (!parse_length(lda_req_param(r, "CONTENT_LENGTH"),
                      &r->content_length)) {
        lda_reply_error(r, 400, "invalid Content-Length");
        return false;
    }
    if (r->path_too_long) {
        lda_reply_error(r, 400, "request path too long");
        return false;
    }
    return true;
}

static bool is_health(const lda_service *svc, const lda_req *r)
{
    size_t n = strlen(svc->route);
    return (strcmp(r->method, "GET") == 0 ||
            strcmp(r->method, "HEAD") == 0) &&
           strncmp(r->path, svc->route, n) == 0 &&
           strcmp(r->path + n, "/health") == 0;
}

/* The failpoints every program honours; true when one replied (or the
 * request must be dropped). */
static bool fire_generic(const lda_config *cfg, lda_req *r)
{
    if (lda_failpoint("exit", r->request_id))
        _exit(1);
    if (lda_failpoint("hang", r->request_id)) {
        /* Hold the request past every client timeout, then go away. */
        unsigned s = (unsigned)(cfg->algorithm_timeout * 2) + 5;
        sleep(s > 600 ? 600 : s);
        _exit(1);
    }
    if (lda_failpoint("http500", r->request_id)) {
        lda_reply_error(r, 500, "injected failure");
        return true;
    }
    if (lda_failpoint("http429", r->request_id)) {
        lda_reply_error_h(r, 429, "Retry-After: 1\r\n", "injected rate limit");
        return true;
    }
    if (lda_failpoint("http400", r->request_id)) {
        lda_reply_error(r, 400, "injected bad request");
        return true;
    }
    return false;
}

static void serve(const lda_service *svc, const lda_config *cfg, lda_req *r)
{
    if (!prepare(r))
        return;
    if (is_health(svc, r)) {
        lda_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "healthy",
                                         "service", svc->name));
        return;
    }
    bool is_public = svc->public_path &&
                     (strcmp(r->method, "GET") == 0 ||
                      strcmp(r->method, "HEAD") == 0) &&
                     strcmp(r->path, svc->public_path) == 0;
    lda_key_class k = svc->internal_path &&
                              strcmp(r->path, svc->internal_path) == 0
                          ? LDA_KEY_INTERNAL
                          : svc->key;
    if (!is_public &&
        !lda_service_key_ok(cfg, k, lda_req_param(r, "HTTP_X_API_KEY"))) {
        lda_log(LDA_WARN, r->request_id, "unauthorised request",
                json_pack("{s:s,s:s}", "path", r->path, "client",
                          r->remote_addr));
        lda_reply_error_h(r, 401, "WWW-Authenticate: X-API-Key\r\n",
                          "missing or invalid API key");
        return;
    }
    if (fire_generic(cfg, r))
        return;
    svc->handle(cfg, r);
    if (!r->replied) {
        lda_log(LDA_ERROR, r->request_id, "handler did not reply", NULL);
        lda_reply_error(r, 500, "internal error");
    }
}

/* Large buffers (bodies, event arrays) come from the heap, and freed memory
 * stays there for the next request: a fresh mmap per request costs a page
 * fault and a zeroed page for every 4 KiB touched, on every request. */
static void keep_heap(void)
{
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_TOP_PAD, 64 << 20);
}

/* After a request that grew the heap past HEAP_KEEP_MAX (an unusually
 * large body), give the free part back to the system, keeping HEAP_PAD
 * for the next request: a program returns near its usual size. */
#define HEAP_KEEP_MAX ((size_t)256 << 20)
#define HEAP_PAD ((size_t)64 << 20)

static void give_back_heap(void)
{
    struct mallinfo2 mi = mallinfo2();
    if (mi.arena + mi.hblkhd > HEAP_KEEP_MAX)
        malloc_trim(HEAP_PAD);
}

/* The periodic sweep (retention): at most once per LDA_SWEEP_SECONDS per
 * program, whichever of its processes comes first. The mtime of
 * $LDA_VAR_DIR/run/sweep-<program> says when the last sweep started; the
 * process that takes its flock (without waiting) and finds it old enough
 * touches it and sweeps. Between requests, never during one. */
static void maybe_sweep(const lda_service *svc, const lda_config *cfg)
{
    static time_t next;               /* this process's own next look */
    time_t now = time(NULL);
    if (!svc->sweep || now < next)
        return;
    next = now + (time_t)cfg->sweep_seconds;
    char path[PATH_MAX];
    int k = snprintf(path, sizeof path, "%s/run/sweep-%s", cfg->var_dir,
                     svc->name);
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
    close(fd);                        /* releases the lock */
}

int lda_service_main(const lda_service *svc)
{
    static lda_config cfg;
    char err[256];
    lda_log_init(svc->name);
    if (lda_config_load(&cfg, err, sizeof err) < 0) {
        lda_log(LDA_ERROR, NULL, "invalid configuration",
                json_pack("{s:s}", "detail", err));
        return 1;
    }
    if (lda_failpoint_init(svc->name, cfg.var_dir) < 0) {
        lda_log(LDA_ERROR, NULL, "invalid LDA_FAILPOINTS", NULL);
        return 1;
    }
    lda_random_seed_core();
    if (svc->start && svc->start(&cfg) < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    keep_heap();
    if (FCGX_Init() != 0)
        return 1;
    static lda_req r;
    if (FCGX_InitRequest(&r.fcgx, 0, 0) != 0)
        return 1;
    lda_log(LDA_INFO, NULL, "started", json_pack("{s:i}", "pid", getpid()));
    maybe_sweep(svc, &cfg);
    while (FCGX_Accept_r(&r.fcgx) >= 0) {
        serve(svc, &cfg, &r);
        FCGX_Finish_r(&r.fcgx);
        give_back_heap();
        maybe_sweep(svc, &cfg);
    }
    FCGX_Free(&r.fcgx, 1);
    return 0;
}
