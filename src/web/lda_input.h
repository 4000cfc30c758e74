/* lda_input: the input CSV of POST /api/orchestrate, from any of its three
 * forms (docs/api.md#orchestrate-input-forms): the body itself (text/csv),
 * the "file" part of a multipart/form-data body, or {"input_file":
 * "<name>.csv"} naming a regular file of LDA_INPUT_DIR, which is read only
 * when it resolves (links followed) to a file inside that directory. */
#ifndef LDA_INPUT_H
#define LDA_INPUT_H
#include <stdbool.h>
#include <stddef.h>
#include "lda_config.h"
#include "lda_err.h"
#include "lda_http.h"

typedef struct lda_input {
    char *owned; /* the malloc'd buffer to free ... */
    char *csv;   /* ... and the CSV inside it (writable: the loader
                         works in place) */
    size_t len;
} lda_input;

/* The CSV of the request, whose body has been read (the request's body is
 * taken: r->body becomes NULL). False with e: 400 (malformed multipart,
 * bad input_file), 404 (no such input file), 413 (file larger than
 * MAX_UPLOAD_BYTES), 500. */
bool lda_input_read(const lda_config *cfg, lda_req *r, lda_input *in,
                    lda_err *e);
#endif
