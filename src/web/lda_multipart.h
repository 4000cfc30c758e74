/* lda_multipart: finds one part of a multipart/form-data body (RFC 7578)
 * by its form name, or walks every part, without copying: the part's bytes are a slice of the
 * body. The boundary comes from the Content-Type header. */
#ifndef LDA_MULTIPART_H
#define LDA_MULTIPART_H
#include <stdbool.h>
#include <stddef.h>
#include "lda_err.h"

/* Find the part named name. False with e: 400 "malformed multipart body"
 * (bad boundary, headers or framing) or 400 when no part has that name. */
bool lda_multipart_find(const char *content_type, const char *body, size_t len,
                        const char *name, const char **part, size_t *part_len,
                        lda_err *e);
/* The same, also giving the part's Content-Disposition filename as sent
 * (a slice of the body, not unquoted; *filename_len 0 when it has none). */
bool lda_multipart_file(const char *content_type, const char *body, size_t len,
                        const char *name, const char **part, size_t *part_len,
                        const char **filename, size_t *filename_len,
                        lda_err *e);

/* One part as lda_multipart_each gives it: slices of the body. */
typedef struct lda_multipart_part {
    const char *name;
    size_t name_len;
    const char *content;
    size_t len;
    const char *filename; /* as sent, not unquoted; filename_len 0: none */
    size_t filename_len;
} lda_multipart_part;

/* A part's visitor: 0 goes on, any other value stops the walk and is
 * returned (a negative one with e set). */
typedef int (*lda_multipart_fn)(const lda_multipart_part *p, void *arg,
                                lda_err *e);
/* Call fn on every part, in body order. 0 when all were visited, fn's
 * non-zero value, or -1 with e (400 "malformed multipart body"). */
int lda_multipart_each(const char *content_type, const char *body, size_t len,
                       lda_multipart_fn fn, void *arg, lda_err *e);
#endif
