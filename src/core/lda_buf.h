/* lda_buf: a growable byte buffer, the one output type of the core.
 * Appends never fail silently: on allocation failure the buffer is marked
 * failed (b->oom), later appends are no-ops, and the caller checks once. */
#ifndef LDA_BUF_H
#define LDA_BUF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct lda_buf {
    char *data; /* NUL-terminated while len < cap */
    size_t len;
    size_t cap;
    bool oom; /* an allocation failed; contents are incomplete */
} lda_buf;

void lda_buf_init(lda_buf *b);
void lda_buf_free(lda_buf *b);
void lda_buf_reset(lda_buf *b);                 /* len = 0, keeps memory */
bool lda_buf_reserve(lda_buf *b, size_t extra); /* room for extra more bytes */
void lda_buf_add(lda_buf *b, const void *p, size_t n);
void lda_buf_adds(lda_buf *b, const char *s);
void lda_buf_addc(lda_buf *b, char c);
void lda_buf_printf(lda_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* v in decimal (no printf: for numbers written by the million): into
 * out[0..20) without a NUL, returning the length; or appended to b. */
size_t lda_u64_dec(char *out, uint64_t v);
void lda_buf_u64(lda_buf *b, uint64_t v);
/* Detach the data (caller frees it); the buffer becomes empty. */
char *lda_buf_take(lda_buf *b, size_t *len);

#endif
