/* lda_gzip: capped, chunked gzip inflate (see lda_gzip.h).
 *
 * One loop (inflate_all) serves both sources: a source hands zlib the
 * next chunk of compressed bytes (a slice of memory, or a read() into a
 * 64 KiB buffer), the output buffer grows by doubling but never past
 * cap + 1 bytes, and inflate() is called until the source is dry. At
 * Z_STREAM_END with input left the stream is reset for the next member
 * (zlib then checks its header: non-gzip bytes are a data error). The
 * first allocation is sized from the last member's ISIZE trailer (the
 * uncompressed size mod 2^32) when it is within the cap and within what
 * deflate can expand the input to, so a typical single-member file is
 * inflated without a copy; a lying trailer costs nothing more than the
 * cap allows. */
#include "lda_gzip.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZLIB_CONST
#include <zlib.h>

#define CHUNK (64u * 1024u)
#define MIN_OUT ((size_t)CHUNK)

/* Where the compressed bytes come from. */
typedef struct source {
    const unsigned char *mem; /* memory source: the rest of it ... */
    size_t left;
    int fd; /* ... or a descriptor (>= 0) read into buf */
    unsigned char *buf;
    bool eof;
    int err; /* errno of a failed read */
} source;

typedef struct sink {
    char *data;
    size_t len, room; /* room: allocated bytes, at most cap + 1 */
    size_t cap;
} sink;

bool lda_gzip_magic(const void *p, size_t n)
{
    const unsigned char *b = p;
    return n >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8;
}

/* Give zlib the next chunk; false when the source is dry (or failed). */
static bool refill(source *s, z_stream *z)
{
    if (s->fd < 0) {
        if (!s->left)
            return false;
        size_t n = s->left < UINT_MAX ? s->left : UINT_MAX;
        z->next_in = s->mem;
        z->avail_in = (uInt)n;
        s->mem += n;
        s->left -= n;
        return true;
    }
    while (!s->eof) {
        ssize_t r = read(s->fd, s->buf, CHUNK);
        if (r > 0) {
            z->next_in = s->buf;
            z->avail_in = (uInt)r;
            return true;
        }
        if (r == 0)
            s->eof = true;
        else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            struct pollfd p = {.fd = s->fd, .events = POLLIN};
            (void)poll(&p, 1, -1);
        } else if (errno != EINTR) {
            s->err = errno;
            s->eof = true;
        }
    }
    return false;
}

/* Make room for more output: double, at least MIN_OUT, at most cap + 1.
 * False on OOM. Called only when the sink is full and below cap + 1. */
static bool grow(sink *k)
{
    size_t most = k->cap + 1, room = k->room * 2;
    if (room < MIN_OUT)
        room = MIN_OUT;
    if (room > most || room < k->room)
        room = most;
    char *p = realloc(k->data, room);
    if (!p)
        return false;
    k->data = p;
    k->room = room;
    return true;
}

static bool too_big(lda_err *e)
{
    lda_err_detail(e, "inflated output passed the cap");
    return lda_err_set(e, 413,
                       "decompressed input larger than "
                       "MAX_UPLOAD_BYTES");
}

static bool truncated(lda_err *e)
{
    return lda_err_set(e, 400,
                       "compressed input is truncated (the gzip "
                       "stream ends early)");
}

static bool corrupt(const z_stream *z, lda_err *e)
{
    lda_err_detail(e, "inflate: %s", z->msg ? z->msg : "data error");
    return lda_err_set(e, 400,
                       "compressed input is corrupt (not valid gzip data)");
}

/* The inflate loop. True with k->data[0..len) and a NUL. */
static bool inflate_all(source *s, sink *k, lda_err *e)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    bool ok = false, ended = false;
    for (;;) {
        if (z.avail_in == 0 && !refill(s, &z)) {
            if (s->err) {
                lda_err_detail(e, "read: %s", strerror(s->err));
                lda_err_set(e, 400, "compressed input cannot be read");
            } else if (ended) /* every member complete */
                ok = true;
            else
                truncated(e);
            break;
        }
        if (ended) { /* more input after a member: the next member */
            inflateReset(&z);
            ended = false;
        }
        if (k->len == k->room) {
            if (k->room == k->cap + 1) {
                too_big(e);
                break;
            }
            if (!grow(k)) {
                lda_err_msg(e, LDA_MSG_NOMEM);
                break;
            }
        }
        size_t room = k->room - k->len;
        z.next_out = (Bytef *)k->data + k->len;
        z.avail_out = room < UINT_MAX ? (uInt)room : UINT_MAX;
        uInt before = z.avail_out;
        int rc = inflate(&z, Z_NO_FLUSH);
        k->len += before - z.avail_out;
        if (rc == Z_STREAM_END)
            ended = true;
        else if (rc == Z_MEM_ERROR) {
            lda_err_msg(e, LDA_MSG_NOMEM);
            break;
        } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT ||
                   rc == Z_STREAM_ERROR) {
            corrupt(&z, e);
            break;
        }
        /* Z_OK / Z_BUF_ERROR: more input or more room, both handled at
         * the top of the loop. */
    }
    inflateEnd(&z);
    if (ok && k->len > k->cap) /* the last member ended at cap + 1 */
        ok = too_big(e);
    if (ok && k->len == k->room && !grow(k))
        ok = lda_err_msg(e, LDA_MSG_NOMEM);
    if (ok)
        k->data[k->len] = '\0';
    return ok;
}

/* First allocation: the ISIZE hint + 1, when deflate could reach it
 * from n compressed bytes (at most ~1032:1) and it fits the cap; else
 * MIN_OUT (or the cap + 1, when smaller). */
static bool start_sink(sink *k, size_t cap, uint32_t isize, size_t n,
                       lda_err *e)
{
    memset(k, 0, sizeof *k);
    k->cap = cap < SIZE_MAX - 2 ? cap : SIZE_MAX - 2;
    size_t room = MIN_OUT;
    if (n >= 18 && isize >= room && isize / 1032 <= n)
        room = (size_t)isize + 1;
    if (room > k->cap + 1)
        room = k->cap + 1;
    k->data = malloc(room);
    if (!k->data)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    k->room = room;
    return true;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static bool finish(sink *k, bool ok, char **out, size_t *len)
{
    if (!ok) {
        free(k->data);
        *out = NULL;
        *len = 0;
        return false;
    }
    if (k->room > k->len + 1 + MIN_OUT) { /* give back a generous hint */
        char *p = realloc(k->data, k->len + 1);
        if (p)
            k->data = p;
    }
    *out = k->data;
    *len = k->len;
    return true;
}

bool lda_gzip_inflate(const void *src, size_t n, size_t cap, char **out,
                      size_t *len, lda_err *e)
{
    source s = {.mem = src, .left = n, .fd = -1};
    sink k;
    /* A gzip member is at least 18 bytes; its last 4 are ISIZE. */
    if (!start_sink(&k, cap,
                    n >= 18 ? le32((const unsigned char *)src + n - 4) : 0,
                    n >= 18, e)) {
        *out = NULL;
        *len = 0;
        return false;
    }
    return finish(&k, inflate_all(&s, &k, e), out, len);
}

bool lda_gzip_inflate_fd(int fd, size_t cap, char **out, size_t *len,
                         lda_err *e)
{
    *out = NULL;
    *len = 0;
    unsigned char tail[4];
    struct stat st;
    bool have = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                st.st_size >= 18 && pread(fd, tail, 4, st.st_size - 4) == 4;
    source s = {.fd = fd, .buf = malloc(CHUNK)};
    sink k;
    if (!s.buf)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    if (!start_sink(&k, cap, have ? le32(tail) : 0,
                    have ? (size_t)st.st_size : 0, e)) {
        free(s.buf);
        return false;
    }
    bool ok = inflate_all(&s, &k, e);
    free(s.buf);
    return finish(&k, ok, out, len);
}
