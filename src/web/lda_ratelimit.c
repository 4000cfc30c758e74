/* lda_ratelimit: per-client request counting shared across processes (see
 * lda_ratelimit.h). Each client has a file named by the hex SHA-256 of its
 * address (so no address text ever becomes a path) holding
 * "<minute> <count>"; it is read and rewritten under an exclusive flock.
 * The window is the current wall-clock minute. */
#include "lda_ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "lda_clock.h"
#include "lda_sha256.h"

#include "lda_file.h"
#include "lda_log.h"

static char rl_dir[4096];

int lda_ratelimit_init(const char *var_dir)
{
    if (snprintf(rl_dir, sizeof rl_dir, "%s/ratelimit", var_dir) >=
        (int)sizeof rl_dir) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return lda_file_mkdirs(rl_dir);
}

static bool client_path(const char *client, char *out, size_t n)
{
    char hex[65];
    if (!lda_sha256_of(client, strlen(client), hex))
        return false;
    int k = snprintf(out, n, "%s/%.32s", rl_dir, hex);
    return k > 0 && (size_t)k < n;
}

bool lda_ratelimit_allow(const char *client, uint64_t per_minute,
                         unsigned *retry_after)
{
    char path[4200];
    if (!per_minute || !client_path(client, path, sizeof path))
        return true;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0 || flock(fd, LOCK_EX) < 0) {
        lda_log(LDA_ERROR, NULL, "rate limit state unavailable",
                json_pack("{s:s}", "errno", strerror(errno)));
        if (fd >= 0)
            close(fd);
        return true;
    }
    time_t now = (time_t)(lda_now_us() / 1000000);
    uint64_t minute = (uint64_t)now / 60, stored = 0, count = 0;
    char buf[64] = {0};
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0 || sscanf(buf, "%" SCNu64 " %" SCNu64, &stored, &count) != 2 ||
        stored != minute)
        count = 0;
    bool allow = count < per_minute;
    if (allow) {
        int len = snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64 "\n",
                           minute, count + 1);
        if (pwrite(fd, buf, (size_t)len, 0) != len || ftruncate(fd, len) < 0)
            lda_log(LDA_ERROR, NULL, "rate limit state not saved", NULL);
    } else {
        *retry_after = (unsigned)(60 - (uint64_t)now % 60);
    }
    close(fd);
    return allow;
}
