/* lda_validate: the named validators for every identifier that arrives over
 * HTTP: request ids, fingerprints, input file names, run download paths.
 * Each takes (pointer, length) and accepts only the exact form. */
#ifndef LDA_VALIDATE_H
#define LDA_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

#include "lda_err.h"

/* 8-4-4-4-12 hex digits (either case), 36 bytes. */
bool lda_valid_uuid(const char *s, size_t n);
/* The one validator of request and run ids: a UUID of version 4, RFC 4122
 * variant (so never the nil UUID), either case. NULL when s[0..n) is one,
 * else why not: "must be a UUID" or "must be a version-4 UUID". */
const char *lda_valid_request_id(const char *s, size_t n);
/* Copy a valid UUID s, lowercased, into out (NUL-terminated). */
void lda_valid_uuid_lower(const char *s, char out[37]);
/* 64 lowercase hex digits. */
bool lda_valid_fingerprint(const char *s, size_t n);
/* The input_file of POST /api/orchestrate: 1..255 bytes of letters,
 * digits, '.', '_', '-', not starting or ending with '.'. */
bool lda_valid_input_name(const char *s, size_t n);

/* Parse "/api/runs/<id>/<file>" (raw, undecoded path): id gets the
 * request id, lowercased, and *file one of "suspicious_accounts.csv",
 * "detections.csv", "run.json" (static strings). False with e: 400 when
 * the id is not a request id (lda_valid_request_id), 404 for any other
 * file. */
bool lda_valid_runs_path(const char *path, char id[37], const char **file,
                         lda_err *e);
#endif
