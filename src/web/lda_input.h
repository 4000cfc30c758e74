/* lda_input: the input CSV of POST /api/orchestrate, from any of its three
 * forms (docs/api.md#orchestrate-input-forms): the body itself (text/csv),
 * the "file" part of a multipart/form-data body, or {"input_file":
 * "<name>.csv"} naming a regular file of LDA_INPUT_DIR, which is read only
 * when it resolves (links followed) to a file inside that directory.
 * Compressed input (docs/input.md#compressed-input): a body with
 * Content-Encoding: gzip is inflated before anything else, and the CSV of
 * any form is inflated when it starts with the gzip magic bytes; output
 * capped at MAX_UPLOAD_BYTES (lda_gzip).
 * Per-run detection parameters (docs/api.md#per-run-thresholds, read by
 * lda_reqparams) come as the query string's pairs (any form), the
 * multipart form fields (parts without a filename) other than "file", or
 * the JSON form's "params"
 * object. */
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
    lda_params params; /* the run's detection parameters: the server's,
                          with those of the request over them */
    char name[256];    /* the file name when known (multipart filename,
                       input_file), else "": 1..255 bytes of UTF-8 with
                       no control character, without a directory */
} lda_input;

/* The CSV of the request, whose body has been read (the request's body is
 * taken: r->body becomes NULL), inflated when it is gzip, and the run's
 * parameters (in->params). False with e
 * (and nothing left to free): 400 (malformed multipart, bad input_file,
 * corrupt or truncated gzip, Content-Encoding gzip on a body that is not),
 * 404 (no such input file; also a bad or unknown parameter), 413 (file, or inflated input, larger than
 * MAX_UPLOAD_BYTES), 415 (a Content-Encoding other than gzip), 500. */
bool lda_input_read(const lda_config *cfg, lda_req *r, lda_input *in,
                    lda_err *e);
#endif
