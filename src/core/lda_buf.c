/* lda_buf: growable byte buffer. Capacity doubles; the first failed
 * allocation sets `oom` and turns every later append into a no-op, so
 * writers append freely and check once at the end. */
#include "lda_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lda_buf_init(lda_buf *b)
{
    memset(b, 0, sizeof *b);
}

void lda_buf_free(lda_buf *b)
{
    free(b->data);
    lda_buf_init(b);
}

void lda_buf_reset(lda_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

bool lda_buf_reserve(lda_buf *b, size_t extra)
{
    if (b->oom)
        return false;
    if (extra < b->cap - b->len) /* keeps one byte for the NUL */
        return true;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->oom = true;
        return false;
    }
    size_t want = b->len + extra + 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void lda_buf_add(lda_buf *b, const void *p, size_t n)
{
    if (!lda_buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void lda_buf_adds(lda_buf *b, const char *s)
{
    lda_buf_add(b, s, strlen(s));
}

void lda_buf_addc(lda_buf *b, char c)
{
    lda_buf_add(b, &c, 1);
}

void lda_buf_printf(lda_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if (!lda_buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t lda_u64_dec(char *out, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(out, tmp + sizeof tmp - n, n);
    return n;
}

void lda_buf_u64(lda_buf *b, uint64_t v)
{
    char tmp[24];
    lda_buf_add(b, tmp, lda_u64_dec(tmp, v));
}

char *lda_buf_take(lda_buf *b, size_t *len)
{
    char *p = b->data;
    if (len)
        *len = b->len;
    lda_buf_init(b);
    return p;
}
