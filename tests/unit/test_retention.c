/* test_retention: the cache half of retention (CACHE_TTL_SECONDS), i.e.
 * lda_cache_sweep, the function the detectors' periodic sweep calls: which
 * files of a cache directory it removes (regular files at least the TTL
 * old, stale temporaries included), which it leaves (fresh entries, links
 * and their targets, directories, dot files, a future mtime), the count it
 * returns, and that a file it cannot remove is logged and skipped. Ages
 * are set with utimensat in a temporary var dir per suite run.
 *
 * The runs half (RUN_RETENTION_DAYS) and the interval stamp live as static
 * functions in src/services/aggregate.c and src/web/lda_service.c; they
 * are covered end to end by tests/integration/test_retention.py. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_cache.h"
#include "lda_file.h"
#include "lda_test.h"

#define TTL 3600

static char ret_tmp[64]; /* the var dir */
static char cdir[128];   /* its cache/layering */

static int ret_init(void)
{
    snprintf(ret_tmp, sizeof ret_tmp, "%s", "/tmp/lda-unit-ret-XXXXXX");
    if (!mkdtemp(ret_tmp))
        return -1;
    snprintf(cdir, sizeof cdir, "%s/cache/layering", ret_tmp);
    return 0;
}

static int ret_cleanup(void)
{
    char cmd[128];
    chmod(cdir, 0755); /* in case a test stopped half-way */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", ret_tmp);
    return system(cmd) == 0 ? 0 : -1;
}

/* dir/name into out (asserts it fits). */
static const char *in(char *out, size_t n, const char *dir, const char *name)
{
    int k = snprintf(out, n, "%s/%s", dir, name);
    CU_ASSERT_FATAL(k > 0 && (size_t)k < n);
    return out;
}

/* Create dir/name holding "x" with its mtime ago seconds in the past
 * (negative: in the future). */
static void file_aged(const char *dir, const char *name, long ago)
{
    char p[256];
    in(p, sizeof p, dir, name);
    CU_ASSERT_EQUAL_FATAL(lda_file_write(p, "x", 1, 0), 0);
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= ago;
    ts[1] = ts[0];
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, p, ts, 0), 0);
}

/* The age of a link itself (not its target) or a directory. */
static void age_nofollow(const char *path, long ago)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= ago;
    ts[1] = ts[0];
    CU_ASSERT_EQUAL_FATAL(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW),
                          0);
}

static bool present(const char *dir, const char *name)
{
    char p[256];
    struct stat st;
    return lstat(in(p, sizeof p, dir, name), &st) == 0;
}

/* A UUID.fingerprint entry name, numbered. */
static const char *entry(char out[128], int i)
{
    snprintf(out, 128,
             "123e4567-e89b-42d3-a456-42661417400%d."
             "%064d.json",
             i % 10, i);
    return out;
}

static void test_cache_sweep(void)
{
    char e1[128], e2[128], e3[128], e4[128], p[256], q[256];
    CU_ASSERT_EQUAL_FATAL(lda_cache_init(ret_tmp, "layering"), 0);
    CU_ASSERT_EQUAL(lda_cache_sweep(TTL), 0); /* empty */

    file_aged(cdir, entry(e1, 1), 2 * TTL);  /* expired */
    file_aged(cdir, entry(e2, 2), TTL + 5);  /* just expired */
    file_aged(cdir, entry(e3, 3), TTL - 60); /* fresh */
    file_aged(cdir, entry(e4, 4), -600);     /* clock set back */
    /* a temporary left by a crash between write and rename */
    file_aged(cdir, "x.json.tmp.AbC123", 2 * TTL);
    file_aged(cdir, ".keep", 2 * TTL); /* dot files stay */
    /* an old link to an old file outside: neither is touched */
    file_aged(ret_tmp, "outside.json", 2 * TTL);
    CU_ASSERT_EQUAL_FATAL(symlink(in(q, sizeof q, ret_tmp, "outside.json"),
                                  in(p, sizeof p, cdir, "link.json")),
                          0);
    age_nofollow(p, 2 * TTL);
    /* an old directory (with an old file in it) is not entered */
    CU_ASSERT_EQUAL_FATAL(mkdir(in(p, sizeof p, cdir, "sub"), 0755), 0);
    file_aged(p, "inner.json", 2 * TTL);
    age_nofollow(p, 2 * TTL);

    CU_ASSERT_EQUAL(lda_cache_sweep(TTL), 3);
    CU_ASSERT_FALSE(present(cdir, e1));
    CU_ASSERT_FALSE(present(cdir, e2));
    CU_ASSERT_FALSE(present(cdir, "x.json.tmp.AbC123"));
    CU_ASSERT_TRUE(present(cdir, e3));
    CU_ASSERT_TRUE(present(cdir, e4));
    CU_ASSERT_TRUE(present(cdir, ".keep"));
    CU_ASSERT_TRUE(present(cdir, "link.json"));
    CU_ASSERT_TRUE(present(ret_tmp, "outside.json"));
    CU_ASSERT_TRUE(present(cdir, "sub"));
    CU_ASSERT_TRUE(present(in(p, sizeof p, cdir, "sub"), "inner.json"));

    /* nothing more to do: 0; a shorter TTL takes the fresh one too */
    CU_ASSERT_EQUAL(lda_cache_sweep(TTL), 0);
    CU_ASSERT_EQUAL(lda_cache_sweep(60), 1);
    CU_ASSERT_FALSE(present(cdir, e3));
    CU_ASSERT_TRUE(present(cdir, e4));
}

/* A process start: lda_cache_init, then the program's first sweep (which
 * lda_service runs at start; a CGI process is one start per request). */
static void test_cache_init_sweeps(void)
{
    char e1[128], e2[128];
    file_aged(cdir, entry(e1, 5), 2 * TTL);
    file_aged(cdir, entry(e2, 6), 10);
    CU_ASSERT_EQUAL_FATAL(lda_cache_init(ret_tmp, "layering"), 0);
    CU_ASSERT_TRUE(present(cdir, e1)); /* init removes nothing ... */
    CU_ASSERT_EQUAL(lda_cache_sweep(TTL), 1);
    CU_ASSERT_FALSE(present(cdir, e1));
    CU_ASSERT_TRUE(present(cdir, e2));
}

/* Run the sweep with stderr (the log) going to a file; the log's text in
 * log (NUL-terminated, truncated to n - 1). Returns the sweep's count. */
static size_t sweep_logged(uint64_t ttl, char *log, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "%s/sweep.log", ret_tmp);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) >= 0);
    close(fd);
    size_t removed = lda_cache_sweep(ttl);
    fflush(stderr);
    CU_ASSERT_FATAL(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    char *data;
    size_t len;
    log[0] = '\0';
    if (lda_file_read(path, 0, &data, &len) == 0) {
        snprintf(log, n, "%s", data);
        free(data);
    }
    return removed;
}

/* A file the sweep cannot remove is logged with the errno text and the
 * sweep goes on with the others (a later sweep takes it). Needs a
 * permission the process lacks, so it is checked only when not root. */
static void test_cache_sweep_failure(void)
{
    char e1[128], log[2048];
    CU_ASSERT_EQUAL_FATAL(lda_cache_init(ret_tmp, "layering"), 0);
    if (geteuid() == 0)
        return; /* root may remove anything: not testable */
    file_aged(cdir, entry(e1, 7), 2 * TTL);
    CU_ASSERT_EQUAL_FATAL(chmod(cdir, 0555), 0);
    CU_ASSERT_EQUAL(sweep_logged(TTL, log, sizeof log), 0);
    CU_ASSERT_EQUAL(chmod(cdir, 0755), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "retention: cache entry not removed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, strerror(EACCES)));
    CU_ASSERT_PTR_NOT_NULL(strstr(log, e1));
    CU_ASSERT_TRUE(present(cdir, e1));
    CU_ASSERT_EQUAL(lda_cache_sweep(TTL), 1);
    CU_ASSERT_FALSE(present(cdir, e1));
}

/* A sweep that removed everything logs nothing itself (the count goes to
 * the caller, which logs "retention sweep"). */
static void test_cache_sweep_quiet(void)
{
    char e1[128], log[2048];
    CU_ASSERT_EQUAL_FATAL(lda_cache_init(ret_tmp, "layering"), 0);
    file_aged(cdir, entry(e1, 8), 2 * TTL);
    CU_ASSERT_EQUAL(sweep_logged(TTL, log, sizeof log), 1);
    CU_ASSERT_STRING_EQUAL(log, "");
}

void lda_test_retention(void)
{
    static const lda_test_case cases[] = {
        {"cache sweep: what goes, what stays", test_cache_sweep},
        {"cache init sweeps", test_cache_init_sweeps},
        {"cache sweep: a failure is logged, the rest go",
         test_cache_sweep_failure},
        {"cache sweep: quiet when all went", test_cache_sweep_quiet},
        {NULL, NULL},
    };
    lda_test_suite("retention", cases, ret_init, ret_cleanup, NULL, NULL);
}
