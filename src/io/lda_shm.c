/* lda_shm: the host's shared file (see lda_shm.h). */
#include "lda_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lda_file.h"

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
               "counters in shared memory need lock-free atomics");

#define SHM_MAGIC 0x324d48532d41444cull /* "LDA-SHM2" */

static lda_shm *shm;
static int shm_fd = -1;
static int my_slot = -1;

/* A write lock (or the test of one) on the byte at off, owned by the open
 * file description: it stays while this process lives, and only here. */
static int ofd_lock(int fd, int cmd, short type, off_t off)
{
    struct flock l = {
        .l_type = type, .l_whence = SEEK_SET, .l_start = off, .l_len = 1};
    int rc;
    while ((rc = fcntl(fd, cmd, &l)) < 0 && errno == EINTR)
        ;
    return rc < 0 ? -1 : l.l_type;
}

static off_t slot_off(int i)
{
    return (off_t)(offsetof(lda_shm, slot) + (size_t)i * sizeof(lda_shm_slot));
}

static off_t circuit_off(int s)
{
    return (off_t)(offsetof(lda_shm, circuit) +
                   (size_t)s * sizeof(lda_breaker));
}

/* A new, complete file at tmp (zero counts, closed circuits). */
static int make_file(const char *tmp)
{
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    uint64_t head[2] = {SHM_MAGIC, sizeof(lda_shm)};
    if (ftruncate(fd, (off_t)sizeof(lda_shm)) < 0 ||
        pwrite(fd, head, sizeof head, 0) != (ssize_t)sizeof head) {
        int err = errno;
        close(fd);
        unlink(tmp);
        errno = err;
        return -1;
    }
    return fd;
}

/* Open path, creating it (without ever exposing a partial file) or
 * replacing one of another layout. */
static int open_file(const char *path)
{
    char tmp[PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
        int fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
            uint64_t head[2];
            if (pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
                head[0] == SHM_MAGIC && head[1] == sizeof(lda_shm))
                return fd;
            close(fd);
            int nfd = make_file(tmp); /* another layout: replace it */
            if (nfd < 0)
                return -1;
            if (rename(tmp, path) == 0)
                return nfd;
            close(nfd);
            unlink(tmp);
            return -1;
        }
        if (errno != ENOENT)
            return -1;
        fd = make_file(tmp);
        if (fd < 0)
            return -1;
        int rc = link(tmp, path); /* fails if another process won */
        unlink(tmp);
        if (rc == 0)
            return fd;
        close(fd);
        if (errno != EEXIST)
            return -1;
    }
    errno = EAGAIN;
    return -1;
}

/* The first slot of program that no live process holds (a never used
 * one taken for it), locked; else a slot of program to share; -1 when
 * none at all. */
static int claim_slot(int program)
{
    uint32_t want = (uint32_t)program + 1;
    int shared = -1;
    for (int i = 0; i < LDA_SHM_SLOTS; i++) {
        lda_shm_slot *s = &shm->slot[i];
        uint32_t p = atomic_load(&s->program);
        if (p != 0 && p != want)
            continue;
        if (p == want && shared < 0)
            shared = i;
        if (ofd_lock(shm_fd, F_OFD_SETLK, F_WRLCK, slot_off(i)) < 0)
            continue;
        if (p == 0 && !atomic_compare_exchange_strong(&s->program, &p, want) &&
            p != want) {
            ofd_lock(shm_fd, F_OFD_SETLK, F_UNLCK, slot_off(i));
            continue;
        }
        atomic_store(&s->pid, (uint32_t)getpid());
        return i;
    }
    return shared;
}

bool lda_shm_open(const char *var_dir, int program)
{
    char dir[PATH_MAX], path[PATH_MAX];
    int n = snprintf(dir, sizeof dir, "%s/run", var_dir);
    int m = snprintf(path, sizeof path, "%s/host.shm", dir);
    if (n < 0 || m < 0 || (size_t)m >= sizeof path) {
        errno = ENAMETOOLONG;
        return false;
    }
    if (lda_file_mkdirs(dir) < 0 || (shm_fd = open_file(path)) < 0)
        return false;
    void *p = mmap(NULL, sizeof(lda_shm), PROT_READ | PROT_WRITE, MAP_SHARED,
                   shm_fd, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        close(shm_fd);
        shm_fd = -1;
        errno = err;
        return false;
    }
    shm = p;
    my_slot = claim_slot(program);
    return true;
}

lda_shm *lda_shm_get(void)
{
    return shm;
}

lda_shm_slot *lda_shm_mine(void)
{
    return shm && my_slot >= 0 ? &shm->slot[my_slot] : NULL;
}

bool lda_shm_live(int i, pid_t *pid)
{
    if (!shm)
        return false;
    *pid = (pid_t)atomic_load(&shm->slot[i].pid);
    if (i == my_slot)
        return true;
    /* our own locks never conflict with a test: my_slot is answered above */
    return ofd_lock(shm_fd, F_OFD_GETLK, F_WRLCK, slot_off(i)) == F_WRLCK;
}

void lda_shm_lock(int s, bool lock)
{
    if (shm)
        ofd_lock(shm_fd, F_OFD_SETLKW, lock ? F_WRLCK : F_UNLCK,
                 circuit_off(s));
}
