/* lda_cache: detector result cache on disk (see lda_cache.h).
 *
 * An entry is the detector's whole JSON response in
 * <var>/cache/<service>/<request_id>.<fingerprint>.json, written with
 * lda_file_write (temporary file, rename; no fsync: a cache may lose
 * entries in a crash), so a reader sees either no entry or a complete one. Its
 * age is its mtime; expired entries are deleted when looked up and swept
 * (lda_cache_sweep) when a process starts and then periodically (lda_service).
 */
#include "lda_cache.h"
#include "lda_clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lda_file.h"
#include "lda_log.h"

static char cache_dir[4096];

/* The entry's file in dir (a cache directory). */
static int path_in(char *out, size_t n, const char *dir,
                   const char *request_id, const char *fingerprint)
{
    int k = snprintf(out, n, "%s/%s.%s.json", dir, request_id, fingerprint);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

/* The entry's file in this process's cache directory. */
static int entry_path(char *out, size_t n, const char *request_id,
                      const char *fingerprint)
{
    return path_in(out, n, cache_dir, request_id, fingerprint);
}

/* The cache directory of a service: <var>/cache/<service>. */
static int service_dir(char *out, size_t n, const char *var_dir,
                       const char *service)
{
    int k = snprintf(out, n, "%s/cache/%s", var_dir, service);
    if (k < 0 || (size_t)k >= n) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* The entry is at least ttl seconds old, to the microsecond. The clock is
 * read in full (CLOCK_REALTIME), not with time(): that one is the coarse
 * clock, which can be a tick behind the fine-grained times a file system
 * may stamp, so a file written a moment ago could look as if from the
 * future (and a TTL of 0 would not expire it). A future mtime (clock set
 * back) is never expired. */
static bool expired(const struct stat *st, uint64_t ttl)
{
    int64_t now = lda_now_us();
    int64_t mtime = (int64_t)st->st_mtim.tv_sec * 1000000 +
                    st->st_mtim.tv_nsec / 1000;
    /* whole seconds of age: an entry of TTL 1 s lives a full second, not
       until the next second of the clock */
    return now >= mtime && (uint64_t)(now - mtime) / 1000000 >= ttl;
}

size_t lda_cache_sweep(uint64_t ttl)
{
    size_t n = 0;
    DIR *d = opendir(cache_dir);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode) || !expired(&st, ttl))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            n++;
        else if (errno != ENOENT) /* ENOENT: a lookup removed it first */
            lda_log(LDA_WARN, NULL, "retention: cache entry not removed",
                    json_pack("{s:s,s:s}", "entry", e->d_name, "detail",
                              strerror(errno)));
    }
    closedir(d);
    return n;
}

int lda_cache_init(const char *var_dir, const char *service)
{
    if (service_dir(cache_dir, sizeof cache_dir, var_dir, service) < 0 ||
        lda_file_mkdirs(cache_dir) < 0)
        return -1;
    return 0;
}

char *lda_cache_get(const char *request_id, const char *fingerprint,
                    uint64_t ttl_seconds, size_t *len)
{
    char path[4300];
    struct stat st;
    if (entry_path(path, sizeof path, request_id, fingerprint) < 0 ||
        stat(path, &st) < 0)
        return NULL;
    if (expired(&st, ttl_seconds)) {
        unlink(path);
        return NULL;
    }
    char *data;
    if (lda_file_read(path, 0, &data, len) < 0)
        return NULL;
    return data;
}

int lda_cache_put(const char *request_id, const char *fingerprint,
                  const char *data, size_t len)
{
    char path[4300];
    if (entry_path(path, sizeof path, request_id, fingerprint) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    /* Atomic for readers; no fsync: a lost entry is only recomputed, and a
       torn one (after a crash) fails to parse and counts as a miss. */
    return lda_file_write(path, data, len, 0);
}

int lda_cache_forget(const char *var_dir, const char *service,
                     const char *request_id, const char *fingerprint)
{
    char dir[4096], path[4300];
    if (service_dir(dir, sizeof dir, var_dir, service) < 0)
        return -1;
    if (path_in(path, sizeof path, dir, request_id, fingerprint) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}
