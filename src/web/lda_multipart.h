/* lda_multipart: finds one part of a multipart/form-data body (RFC 7578)
 * by its form name, without copying: the part's bytes are a slice of the
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
#endif
