/* lda_runidx: the run history index, $LDA_VAR_DIR/runs.index
 * (docs/api.md#run-history), so that GET /api/runs lists runs without
 * looking at any run directory.
 *
 * The file is a sequence of records in the RFC 7464 style: RS (0x1E), one
 * compact JSON object, LF. A record is a run's history entry (the summary
 * of lda_runrec_summary, "request_id" first) or a removal, {"request_id":
 * id, "removed": true}. A run's latest record is its state and its place:
 * the aggregator appends one when it claims a run directory (status
 * "running") and one when run.json is written (or a removal when it takes
 * the run back), retention appends removals and then compacts the file.
 *
 * Concurrency: every record is one write() to a descriptor opened with
 * O_APPEND, which the kernel does not interleave with other appends, by
 * any process, while holding a shared flock on runs.index.lock;
 * compaction holds it exclusively and replaces the file by rename(), so an
 * append lands either before it (and is kept) or in the new file. Readers
 * take no lock. A record cut short (a crash in the middle of a write) is
 * ignored: it lacks its LF, or does not parse, and the RS of the next
 * record starts afresh. Records are not fsync'd: run.json stays the
 * record of a run; the index is what lists it. */
#ifndef LDA_RUNIDX_H
#define LDA_RUNIDX_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "lda_buf.h"

#define LDA_RUNIDX_REC_MAX 8192 /* bytes of one record, RS and LF included */

/* Append entry (an object whose first member is a 36-byte string
 * "request_id") as one record. 0, or -1 with errno (EINVAL for a bad
 * entry, EMSGSIZE past LDA_RUNIDX_REC_MAX, ENOMEM). */
int lda_runidx_append(const char *var_dir, const json_t *entry);
/* Append the removal of run id (36 bytes). 0 or -1 with errno. */
int lda_runidx_remove(const char *var_dir, const char *id);
/* Rewrite the index with only each run's latest record, runs removed
 * left out, in the same order (temporary file, fsync, rename). 0, or -1
 * with errno (the index is then unchanged). */
int lda_runidx_compact(const char *var_dir);

/* When the index does not exist yet (a var dir from before it): create it
 * from entries[0..n) (history entries, oldest first), written whole
 * (temporary file, fsync, rename) under the exclusive lock, so that of
 * several processes starting together one creates it and the others find
 * it. entries is called only then, and returns a new array (NULL on OOM,
 * errno set). 0 (created, or it existed), or -1 with errno. */
int lda_runidx_init(const char *var_dir, json_t *(*entries)(void *arg),
                    void *arg);

/* One page of the history, newest first, appended to out as the JSON text
 * {"runs":[...]}: up to limit (>= 1) entries, each the bytes of a history
 * entry as appended, after the run before (NULL: from the newest). 0; 1
 * when before is not in the history; -1 with errno on a read error or OOM
 * (out then holds no usable text). A missing index is an empty history. */
int lda_runidx_list(const char *var_dir, const char *before, size_t limit,
                    lda_buf *out);
#endif
