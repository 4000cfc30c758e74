/* lda_file: whole-file read, either copied or mapped (mmap PROT_READ with
 * MAP_POPULATE maps the page-cache pages in one go, with no copy and no
 * fault per page; mprotect then makes the private view writable, a page
 * being copied only if written), atomic write (write to a unique temporary
 * in the target's directory, fsync, rename over the target, fsync the
 * directory), a batch of such writes sharing their syncs, and mkdir -p. On
 * any failure the temporary is unlinked, so a reader sees either the old
 * file or the complete new one, never a part. */
#include "lda_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Open path read-only and stat it: the fd, or -1 with errno set. */
static int open_stat(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, st) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Fail with errno e after freeing buf. */
static int read_fail(char *buf, int e)
{
    free(buf);
    errno = e;
    return -1;
}

/* Read fd to its end into a buffer of at least cap bytes. */
static int read_to_end(int fd, size_t max, size_t cap, char **data,
                       size_t *len)
{
    size_t n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return read_fail(NULL, ENOMEM);
    for (;;) {
        if (n + 1 == cap) { /* more than announced */
            if (max && n >= max)
                return read_fail(buf, EFBIG);
            char *p = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!p)
                return read_fail(buf, ENOMEM);
            buf = p;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return read_fail(buf, errno);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

int lda_file_read_fd(int fd, size_t max, char **data, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode))
        return read_fail(NULL, EINVAL);
    if (max && (uintmax_t)st.st_size > max)
        return read_fail(NULL, EFBIG);
    return read_to_end(fd, max, (size_t)st.st_size + 1, data, len);
}

int lda_file_read_stream(int fd, size_t max, char **data, size_t *len)
{
    return read_to_end(fd, max, 1 << 16, data, len);
}

int lda_file_read(const char *path, size_t max, char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = lda_file_read_fd(fd, max, data, len);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

int lda_file_map(const char *path, size_t max, lda_filemap *m)
{
    memset(m, 0, sizeof *m);
    struct stat st;
    int fd = open_stat(path, &st);
    if (fd < 0)
        return -1;
    if (S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uintmax_t)st.st_size <= SIZE_MAX &&
        (!max || (size_t)st.st_size <= max)) {
        size_t n = (size_t)st.st_size;
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p != MAP_FAILED && mprotect(p, n, PROT_READ | PROT_WRITE) == 0) {
            close(fd);
            m->data = p;
            m->len = m->maplen = n;
            return 0;
        }
        if (p != MAP_FAILED)
            munmap(p, n);
    }
    close(fd);
    return lda_file_read(path, max, &m->data, &m->len);
}

void lda_file_unmap(lda_filemap *m)
{
    if (m->maplen)
        munmap(m->data, m->maplen);
    else
        free(m->data);
    memset(m, 0, sizeof *m);
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int fsync_dir_of(const char *path)
{
    char copy[PATH_MAX];
    if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -1;
    int rc = fsync(dfd);
    close(dfd);
    return rc;
}

int lda_file_write_atomic(const char *path, const void *data, size_t len)
{
    return lda_file_write(path, data, len,
                          LDA_WRITE_FSYNC | LDA_WRITE_DIRSYNC);
}

/* Create a unique temporary next to path (name in tmp) holding data, mode
 * 0640: its open fd, or -1 with errno set and nothing left behind. */
static int tmp_write(const char *path, char tmp[PATH_MAX], const void *data,
                     size_t len)
{
    if (snprintf(tmp, PATH_MAX, "%s.tmp.XXXXXX", path) >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fchmod(fd, 0640) < 0 || write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    return fd;
}

int lda_file_write(const char *path, const void *data, size_t len,
                   unsigned flags)
{
    char tmp[PATH_MAX];
    int fd = tmp_write(path, tmp, data, len);
    if (fd < 0)
        return -1;
    if ((flags & LDA_WRITE_FSYNC) && fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        errno = e;
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return (flags & LDA_WRITE_DIRSYNC) ? fsync_dir_of(path) : 0;
}

int lda_file_write_parts(const lda_file_part *parts, size_t n, size_t *failed)
{
    char tmp[LDA_FILE_PARTS_MAX][PATH_MAX];
    int fd[LDA_FILE_PARTS_MAX];
    size_t made = 0, renamed = 0, bad = 0;
    int e = 0;
    if (n == 0 || n > LDA_FILE_PARTS_MAX) {
        *failed = 0;
        errno = EINVAL;
        return -1;
    }
    /* Write every temporary and start its writeback, so that the fsyncs
       below find the data on its way and the first one's journal commit
       takes in the other files too. */
    for (; made < n; made++) {
        fd[made] = tmp_write(parts[made].path, tmp[made], parts[made].data,
                             parts[made].len);
        if (fd[made] < 0) {
            e = errno;
            bad = made;
            goto fail;
        }
#ifdef SYNC_FILE_RANGE_WRITE
        (void)sync_file_range(fd[made], 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    }
    for (size_t i = 0; i < n; i++)
        if (fsync(fd[i]) < 0) {
            e = errno;
            bad = i;
            goto fail;
        }
    for (size_t i = 0; i < n; i++) {
        int rc = close(fd[i]);
        fd[i] = -1;
        if (rc < 0) {
            e = errno;
            bad = i;
            goto fail;
        }
    }
    for (; renamed < n; renamed++)
        if (rename(tmp[renamed], parts[renamed].path) < 0) {
            e = errno;
            bad = renamed;
            goto fail;
        }
    if (fsync_dir_of(parts[n - 1].path) < 0) {
        *failed = n - 1;
        return -1;
    }
    return 0;
fail:
    for (size_t i = renamed; i < made; i++) {
        if (fd[i] >= 0)
            close(fd[i]);
        unlink(tmp[i]);
    }
    *failed = bad;
    errno = e;
    return -1;
}

int lda_file_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf) {
        errno = n ? ENAMETOOLONG : ENOENT;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0750) < 0 && errno != EEXIST)
            return -1;
        buf[i] = c;
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}
