/* lda_validate: the named validators for every identifier that arrives over
 * HTTP: request ids, fingerprints, input file names, run download paths.
 * Each takes (pointer, length) and accepts only the exact form. */
#ifndef LDA_VALIDATE_H
#define LDA_VALIDATE_H
#include <stdbool.h>
#include <stddef.h>

/* 8-4-4-4-12 hex digits (either case), 36 bytes. */
bool lda_valid_uuid(const char *s, size_t n);
/* A run id: a UUID of version 4, RFC 4122 variant (so never the nil UUID),
 * either case. */
bool lda_valid_run_id(const char *s, size_t n);
/* 64 lowercase hex digits. */
bool lda_valid_fingerprint(const char *s, size_t n);
/* SPEC §5.1 input_file: 1..255 bytes of letters, digits, '.', '_', '-',
 * not starting or ending with '.'. */
bool lda_valid_input_name(const char *s, size_t n);

typedef enum {
    LDA_RUNS_OK = 0,
    LDA_RUNS_BAD_ID,      /* 400 */
    LDA_RUNS_NO_FILE      /* 404: not one of the three files */
} lda_runs_status;
/* Parse "/api/runs/<uuid>/<file>" (raw, undecoded path). On LDA_RUNS_OK
 * id gets the uuid and *file one of "suspicious_accounts.csv",
 * "detections.csv", "run.json" (static strings). */
lda_runs_status lda_runs_path_parse(const char *path, char id[37],
                                    const char **file);
#endif
