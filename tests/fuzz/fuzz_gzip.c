/* fuzz_gzip: libFuzzer target for the capped inflate (lda_gzip).
 *
 * The first input byte picks a cap (0 to 255 * 64 bytes); the rest is the
 * gzip data. It is inflated three ways: from memory with that cap, from a
 * descriptor (a memfd) with that cap, and from memory with a cap no input
 * of -max_len can reach (deflate expands at most ~1032:1). Checked:
 *   - memory and descriptor agree exactly (outcome, status, bytes);
 *   - an outcome is true, or false with 400, 413 or 500 and *out NULL;
 *     a true one has len <= cap and a NUL after the bytes;
 *   - against the uncapped run: when that one inflates to len <= cap, the
 *     capped one gives the same bytes; when to more, the capped one is
 *     413; when it fails with 400, the capped one is 400 or 413 (the cap
 *     may be reached before the fault);
 *   - every 400 message starts "compressed input is" (safe words). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lda_gzip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_gzip: check failed: %s\n", (what)); \
            abort(); \
        } \
    } while (0)

#define BIG_CAP ((size_t)64 << 20)

typedef struct outcome {
    bool ok;
    int status;
    char *out;
    size_t len;
} outcome;

static void checked(const outcome *o, size_t cap, const lda_err *e)
{
    if (o->ok) {
        CHECK(o->out && o->len <= cap && o->out[o->len] == '\0', "success");
        return;
    }
    CHECK(!o->out, "no output on failure");
    CHECK(o->status == 400 || o->status == 413 || o->status == 500, "status");
    if (o->status == 400)
        CHECK(strncmp(e->msg, "compressed input is", 19) == 0, "safe words");
}

static outcome from_mem(const uint8_t *p, size_t n, size_t cap)
{
    outcome o;
    lda_err e;
    lda_err_init(&e);
    o.ok = lda_gzip_inflate(p, n, cap, &o.out, &o.len, &e);
    o.status = e.status;
    checked(&o, cap, &e);
    return o;
}

static outcome from_fd(const uint8_t *p, size_t n, size_t cap)
{
    outcome o = {false, 500, NULL, 0};
    int fd = memfd_create("fuzz_gzip", MFD_CLOEXEC);
    CHECK(fd >= 0, "memfd_create");
    CHECK(n == 0 || write(fd, p, n) == (ssize_t)n, "write");
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek");
    lda_err e;
    lda_err_init(&e);
    o.ok = lda_gzip_inflate_fd(fd, cap, &o.out, &o.len, &e);
    o.status = e.status;
    close(fd);
    checked(&o, cap, &e);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t cap = (size_t)data[0] * 64;
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    outcome m = from_mem(p, n, cap), f = from_fd(p, n, cap),
            big = from_mem(p, n, BIG_CAP);
    CHECK(m.ok == f.ok && m.status == f.status && m.len == f.len &&
              (!m.ok || memcmp(m.out, f.out, m.len) == 0),
          "memory and descriptor agree");
    if (big.ok && big.len <= cap)
        CHECK(m.ok && m.len == big.len && memcmp(m.out, big.out, m.len) == 0,
              "same bytes under the cap");
    else if (big.ok)
        CHECK(!m.ok && m.status == 413, "over the cap is 413");
    else if (big.status == 400)
        CHECK(!m.ok && (m.status == 400 || m.status == 413),
              "a fault stays a fault");
    free(m.out);
    free(f.out);
    free(big.out);
    return 0;
}
