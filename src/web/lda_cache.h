/* lda_cache: the detectors' result cache (docs/api.md#detectors idempotency).
 * One file per (request_id, fingerprint) under $LDA_VAR_DIR/cache/<service>/,
 * written atomically, so every process of the program and a restarted process
 * see it; an entry older than CACHE_TTL_SECONDS is a miss and is removed. */
#ifndef LDA_CACHE_H
#define LDA_CACHE_H
#include <stddef.h>
#include <stdint.h>

/* Create the directory. 0, or -1 with errno. (Expired entries go in the
 * program's sweep, lda_service's, which also runs at start and logs what
 * it removed.) */
int lda_cache_init(const char *var_dir, const char *service);
/* Remove this process's expired entries (and stale temporary files):
 * regular files directly in the cache directory at least ttl_seconds old;
 * links, directories and dot files are left alone. A file that cannot be
 * removed is logged (warn, with the errno text) and the sweep goes on.
 * Returns how many were removed (0 before lda_cache_init). */
size_t lda_cache_sweep(uint64_t ttl_seconds);
/* Both keys must be validated (uuid, 64 hex). Returns the cached bytes
 * (malloc'd, NUL-terminated) or NULL on a miss. */
char *lda_cache_get(const char *request_id, const char *fingerprint,
                    uint64_t ttl_seconds, size_t *len);
/* 0, or -1 with errno. */
int lda_cache_put(const char *request_id, const char *fingerprint,
                  const char *data, size_t len);
/* Remove the entry of (request_id, fingerprint) from the cache of service
 * under var_dir, from any program (the orchestrator drops the entries of
 * a run that failed for lack of disk space). 0 (also when there was none),
 * or -1 with errno. */
int lda_cache_forget(const char *var_dir, const char *service,
                     const char *request_id, const char *fingerprint);
#endif
