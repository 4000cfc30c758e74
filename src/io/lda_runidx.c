/* lda_runidx: the run history index (see lda_runidx.h).
 *
 * Reading goes backwards from the end of the file in 64 KiB chunks, so a
 * page of the newest runs costs a read of the file's tail, whatever its
 * length. A chunk is scanned from its end for RS bytes; the bytes before
 * the first RS of a chunk wait, in front of the next chunk read, for the RS
 * that starts their record. Nothing is parsed: every record starts with
 * {"request_id":"<36 bytes>" (the writer makes sure of it), a removal is
 * exactly {"request_id":"<id>","removed":true}, and a page is the records'
 * own bytes joined into {"runs":[...]}. */
#include "lda_runidx.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lda_buf.h"
#include "lda_file.h"
#include "lda_mem.h"

#define RS '\x1e'
#define CHUNK ((size_t)65536)

static const char id_prefix[] = "{\"request_id\":\"";
#define ID_AT (sizeof id_prefix - 1)
static const char removed_tail[] = "\",\"removed\":true}";
#define REMOVED_LEN (ID_AT + 36 + sizeof removed_tail - 1)

static bool index_path(const char *var_dir, const char *suffix, char *out,
                       size_t cap)
{
    int n = snprintf(out, cap, "%s/runs.index%s", var_dir, suffix);
    return n >= 0 && (size_t)n < cap;
}

/* Hold the index lock (shared or exclusive); its descriptor, or -1. */
static int lock_index(const char *var_dir, int how)
{
    char path[PATH_MAX];
    if (!index_path(var_dir, ".lock", path, sizeof path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    while (flock(fd, how) < 0)
        if (errno != EINTR) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    return fd;
}

static void unlock_index(int fd)
{
    int e = errno;
    close(fd); /* releases the flock */
    errno = e;
}

int lda_runidx_append(const char *var_dir, const json_t *entry)
{
    const char *id = json_string_value(json_object_get(entry, "request_id"));
    if (!id || strlen(id) != 36) {
        errno = EINVAL;
        return -1;
    }
    char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) {
        errno = ENOMEM;
        return -1;
    }
    size_t n = strlen(text);
    char path[PATH_MAX];
    int rc = -1;
    if (n < ID_AT || memcmp(text, id_prefix, ID_AT) != 0)
        errno = EINVAL; /* "request_id" must come first */
    else if (n + 2 > LDA_RUNIDX_REC_MAX)
        errno = EMSGSIZE;
    else if (!index_path(var_dir, "", path, sizeof path))
        errno = ENAMETOOLONG;
    else {
        /* one buffer, one write: RS, the text, LF */
        memmove(text + 1, text, n);
        text[0] = RS;
        char *rec = realloc(text, n + 2);
        if (rec) {
            text = rec;
            text[n + 1] = '\n';
        }
        int lk = rec ? lock_index(var_dir, LOCK_SH) : -1;
        int fd = lk < 0 ? -1
                        : open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                               0644);
        if (!rec)
            errno = ENOMEM;
        else if (fd >= 0) {
            ssize_t w = write(fd, text, n + 2);
            if (w == (ssize_t)(n + 2))
                rc = 0;
            else if (w >= 0)
                errno = EIO; /* cut short: readers skip the record */
            int e = errno;
            if (close(fd) < 0 && rc == 0)
                rc = -1;
            else
                errno = e;
        }
        if (lk >= 0)
            unlock_index(lk);
    }
    free(text);
    return rc;
}

int lda_runidx_remove(const char *var_dir, const char *id)
{
    json_t *j = json_pack("{s:s,s:b}", "request_id", id, "removed", 1);
    if (!j) {
        errno = ENOMEM;
        return -1;
    }
    int rc = lda_runidx_append(var_dir, j);
    json_decref(j);
    return rc;
}

int lda_runidx_init(const char *var_dir, json_t *(*entries)(void *arg),
                    void *arg)
{
    char path[PATH_MAX];
    struct stat st;
    if (!index_path(var_dir, "", path, sizeof path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (stat(path, &st) == 0)
        return 0;
    int lk = lock_index(var_dir, LOCK_EX);
    if (lk < 0)
        return -1;
    int rc = 0;
    if (stat(path, &st) < 0) { /* still missing, now that it is ours */
        json_t *all = entries(arg);
        lda_buf out;
        lda_buf_init(&out);
        for (size_t i = 0; all && i < json_array_size(all); i++) {
            char *t = json_dumps(json_array_get(all, i),
                                 JSON_COMPACT | JSON_PRESERVE_ORDER);
            size_t n = t ? strlen(t) : 0;
            if (!t)
                out.oom = true;
            else if (n >= ID_AT && memcmp(t, id_prefix, ID_AT) == 0 &&
                     n + 2 <= LDA_RUNIDX_REC_MAX) {
                lda_buf_addc(&out, RS);
                lda_buf_add(&out, t, n);
                lda_buf_addc(&out, '\n');
            }
            free(t);
        }
        if (!all || out.oom) {
            errno = ENOMEM;
            rc = -1;
        } else
            rc = lda_file_write(path, out.len ? out.data : "", out.len,
                                LDA_WRITE_FSYNC | LDA_WRITE_DIRSYNC);
        json_decref(all);
        lda_buf_free(&out);
    }
    unlock_index(lk);
    return rc;
}

/* ---- reading backwards ------------------------------------------------ */

/* Called with each complete record's JSON text (RS and LF stripped), newest
 * first: 0 go on, 1 stop, -1 fail (errno set). */
typedef int (*rec_fn)(const char *p, size_t n, void *arg);

/* The record at p[0..n) (after its RS), if complete (ends in LF): its
 * text without the LF. */
static int visit(const char *p, size_t n, rec_fn fn, void *arg)
{
    if (n < 2 || p[n - 1] != '\n' || n > LDA_RUNIDX_REC_MAX)
        return 0; /* cut short or oversized: not a record */
    return fn(p, n - 1, arg);
}

/* Every record of the file at fd, newest first, until fn stops. */
static int scan_back(int fd, rec_fn fn, void *arg)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -1;
    char *buf = malloc(CHUNK + LDA_RUNIDX_REC_MAX);
    if (!buf) {
        errno = ENOMEM;
        return -1;
    }
    off_t pos = st.st_size;
    size_t frag = 0;      /* bytes kept at buf[CHUNK..CHUNK+frag) */
    bool garbage = false; /* the bytes before frag end an overlong record */
    int rc = 0;
    while (pos > 0 && rc == 0) {
        size_t c = pos < (off_t)CHUNK ? (size_t)pos : CHUNK;
        pos -= (off_t)c;
        char *start = buf + CHUNK - c;
        ssize_t got = pread(fd, start, c, pos);
        if (got != (ssize_t)c) {
            if (got >= 0)
                errno = EIO; /* the file shrank: compacted meanwhile */
            rc = -1;
            break;
        }
        size_t end = c + frag; /* the region is start[0..end) */
        for (size_t i = end; i-- > 0 && rc == 0;) {
            if (start[i] != RS)
                continue;
            if (!garbage)
                rc = visit(start + i + 1, end - i - 1, fn, arg);
            garbage = false;
            end = i;
        }
        if (rc)
            break;
        if (end > LDA_RUNIDX_REC_MAX) { /* no RS in sight: skip it all */
            garbage = true;
            end = 0;
        }
        memmove(buf + CHUNK, start, end);
        frag = end;
    }
    free(buf);
    return rc < 0 ? -1 : 0;
}

/* The run id of a record (a JSON object starting with the id), or false
 * when it is not one of ours. */
static bool rec_id(const char *p, size_t n, char id[37])
{
    if (n < ID_AT + 38 || memcmp(p, id_prefix, ID_AT) != 0 ||
        p[ID_AT + 36] != '"' || p[n - 1] != '}')
        return false;
    memcpy(id, p + ID_AT, 36);
    id[36] = '\0';
    return strcspn(id, "\"\\") == 36;
}

/* The record is a removal. */
static bool rec_removed(const char *p, size_t n)
{
    return n == REMOVED_LEN &&
           memcmp(p + ID_AT + 36, removed_tail, sizeof removed_tail - 1) == 0;
}

/* Mark id seen; false when it was already (or on OOM: *oom). */
static bool first_sight(json_t *seen, const char *id, bool *oom)
{
    if (json_object_get(seen, id))
        return false;
    if (json_object_set_new(seen, id, json_true()) < 0)
        *oom = true;
    return !*oom;
}

typedef struct lister {
    const char *before; /* NULL: from the newest */
    bool past;          /* before has been passed */
    bool before_gone;   /* before's latest record is a removal */
    size_t limit, listed;
    lda_buf *out; /* the page so far */
    json_t *seen;
    bool oom;
} lister;

static int list_one(const char *p, size_t n, void *arg)
{
    lister *l = arg;
    char id[37];
    if (!rec_id(p, n, id) || !first_sight(l->seen, id, &l->oom))
        return l->oom ? (errno = ENOMEM, -1) : 0;
    bool is_before = !l->past && strcmp(id, l->before) == 0;
    if (!l->past && !is_before)
        return 0;
    if (rec_removed(p, n)) {
        l->before_gone = is_before;
        return is_before; /* a removed before is not in the history */
    }
    if (is_before) {
        l->past = true;
        return 0;
    }
    if (l->listed++)
        lda_buf_addc(l->out, ',');
    lda_buf_add(l->out, p, n);
    if (l->out->oom) {
        errno = ENOMEM;
        return -1;
    }
    return l->listed >= l->limit;
}

int lda_runidx_list(const char *var_dir, const char *before, size_t limit,
                    lda_buf *out)
{
    char path[PATH_MAX];
    if (!index_path(var_dir, "", path, sizeof path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    lister l = {before, before == NULL, false, limit, 0,
                out,    json_object(),  false};
    lda_buf_adds(out, "{\"runs\":[");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (!l.seen) {
        errno = ENOMEM;
        rc = -1;
    } else if (fd < 0 && errno != ENOENT)
        rc = -1;
    else if (fd >= 0)
        rc = scan_back(fd, list_one, &l);
    if (fd >= 0)
        close(fd);
    json_decref(l.seen);
    lda_buf_adds(out, "]}");
    if (rc == 0 && out->oom) {
        errno = ENOMEM;
        rc = -1;
    }
    if (rc == 0 && before && (!l.past || l.before_gone))
        return 1;
    return rc;
}

/* ---- compaction ------------------------------------------------------- */

typedef struct keeper {
    lda_buf text; /* kept records, newest first, each ending in LF */
    size_t *ends; /* end of each in text */
    size_t n, cap;
    json_t *seen;
    bool oom;
} keeper;

static int keep_one(const char *p, size_t n, void *arg)
{
    keeper *k = arg;
    char id[37];
    if (!rec_id(p, n, id) || !first_sight(k->seen, id, &k->oom))
        return k->oom ? (errno = ENOMEM, -1) : 0;
    if (rec_removed(p, n))
        return 0;
    if (!lda_mem_grow((void **)&k->ends, &k->cap, sizeof *k->ends, k->n + 1)) {
        errno = ENOMEM;
        return -1;
    }
    lda_buf_addc(&k->text, RS);
    lda_buf_add(&k->text, p, n);
    lda_buf_addc(&k->text, '\n');
    k->ends[k->n++] = k->text.len;
    if (k->text.oom) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int lda_runidx_compact(const char *var_dir)
{
    char path[PATH_MAX];
    if (!index_path(var_dir, "", path, sizeof path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int lk = lock_index(var_dir, LOCK_EX);
    if (lk < 0)
        return -1;
    keeper k = {.seen = json_object()};
    lda_buf_init(&k.text);
    lda_buf out;
    lda_buf_init(&out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = -1;
    if (!k.seen)
        errno = ENOMEM;
    else if (fd < 0)
        rc = errno == ENOENT ? 0 : -1;
    else if (scan_back(fd, keep_one, &k) == 0) {
        /* record i spans [i ? ends[i-1] : 0, ends[i]); write them back in
           reverse: the newest was collected first */
        for (size_t i = k.n; i-- > 0;) {
            size_t a = i ? k.ends[i - 1] : 0;
            lda_buf_add(&out, k.text.data + a, k.ends[i] - a);
        }
        if (out.oom)
            errno = ENOMEM;
        else
            rc = lda_file_write(path, out.len ? out.data : "", out.len,
                                LDA_WRITE_FSYNC | LDA_WRITE_DIRSYNC);
    }
    if (fd >= 0)
        close(fd);
    json_decref(k.seen);
    free(k.ends);
    lda_buf_free(&k.text);
    lda_buf_free(&out);
    unlock_index(lk);
    return rc;
}
