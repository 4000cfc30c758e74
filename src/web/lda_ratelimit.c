/* lda_ratelimit: per-client request counting shared across processes (see
 * lda_ratelimit.h). Each client has a file named by the hex SHA-256 of its
 * address (so no address text ever becomes a path) holding its counts per
 * second of the last 61 seconds (a fixed-size binary ring); it is read and
 * rewritten under an exclusive flock. */
#include "lda_ratelimit.h"

#include <errno.h>
#include <fcntl.h>
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

/* The per-client state: requests counted per second of the clock, a ring
 * of WINDOW_S + 1 slots, so that a request counts for 61 whole seconds:
 * no 60 s span, wherever it starts, holds more than the limit. */
#define WINDOW_S 60
#define SLOTS (WINDOW_S + 1)

typedef struct rl_state {
    uint64_t sec[SLOTS]; /* the second a slot counts, 0 = empty */
    uint32_t count[SLOTS];
} rl_state;

/* Requests of the window ending at second now; *oldest its first second
 * that still counts (0 when none). */
static uint64_t in_window(const rl_state *st, uint64_t now, uint64_t *oldest)
{
    uint64_t total = 0;
    *oldest = 0;
    for (int i = 0; i < SLOTS; i++) {
        if (!st->count[i] || st->sec[i] + SLOTS <= now || st->sec[i] > now)
            continue;
        total += st->count[i];
        if (!*oldest || st->sec[i] < *oldest)
            *oldest = st->sec[i];
    }
    return total;
}

bool lda_ratelimit_allow(const char *client, uint64_t per_minute,
                         int64_t now_us, unsigned *retry_after)
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
    rl_state st;
    if (pread(fd, &st, sizeof st, 0) != (ssize_t)sizeof st)
        memset(&st, 0, sizeof st); /* new, or an older format */
    uint64_t now = now_us > 0 ? (uint64_t)now_us / 1000000 : 0, oldest;
    bool allow = in_window(&st, now, &oldest) < per_minute;
    if (allow) {
        int i = (int)(now % SLOTS);
        if (st.sec[i] != now)
            st.count[i] = 0;
        st.sec[i] = now;
        st.count[i]++;
        if (pwrite(fd, &st, sizeof st, 0) != (ssize_t)sizeof st)
            lda_log(LDA_ERROR, NULL, "rate limit state not saved", NULL);
    } else {
        /* when the oldest second that counts leaves the window */
        *retry_after = (unsigned)(oldest + SLOTS - now);
    }
    close(fd);
    return allow;
}
