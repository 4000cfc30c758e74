/* lda_csv: the RFC 4180 reader for the input (docs/input.md) and the cell
 * writer for the reports (docs/reports.md).
 *
 * lda_csv_load() walks the buffer once without writing to it: it splits
 * records (quoted fields may hold commas, quotes and line breaks),
 * unescapes quoted fields that hold "" into a scratch buffer, resolves the
 * header, and feeds each record's seven fields to lda_set_add().
 * lda_csv_load_par() does the same with the records cut into chunks read
 * concurrently (lda_par), joined in input order: the set, the rejects and
 * every figure are exactly those of the one-pass read. A bad record is counted and kept (first LDA_REJECT_KEEP) in
 * lda_rejects with its record number and reason; it never stops the load. */
#ifndef LDA_CSV_H
#define LDA_CSV_H
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_err.h"
#include "lda_event.h"
#include "lda_par.h"

#define LDA_REJECT_KEEP 100
#define LDA_REASON_MAX 96

typedef struct lda_reject {
    uint64_t record; /* header is record 1 */
    char reason[LDA_REASON_MAX];
} lda_reject;

typedef struct lda_rejects {
    uint64_t count; /* all rejected records */
    size_t kept;    /* entries used in item[] */
    lda_reject item[LDA_REJECT_KEEP];
} lda_rejects;

/* Input bytes per chunk at least, for lda_csv_load_par() to cut. */
#define LDA_CSV_CHUNK_MIN 64

/* Parse buf[0..len) (not modified) into set (appended, not finished);
 * every rejected record goes to rej with its record number and reason, and
 * never stops the load. max_events 0 = unlimited. False with e set, a
 * one-line message safe to show: 400 when the input is unusable as a whole
 * (empty, a malformed header, a missing or repeated column, or -- unless
 * allow_empty -- no valid event, "no valid event in the input"), 413 for
 * more than max_events valid events, 500 out of memory. */
bool lda_csv_load(char *buf, size_t len, size_t max_events, bool allow_empty,
                  lda_set *set, lda_rejects *rej, lda_err *e);
/* The same, the records after the header read in lda_par_threads(par)
 * chunks at once (when each gets LDA_CSV_CHUNK_MIN bytes): the records are
 * cut just after line feeds; a chunk whose start turns out to lie inside a
 * quoted field (the chunk before it read past it) is read again from the
 * right place; the chunks' sets are adopted in order (lda_set_adopt: set
 * must then be empty, and its events are readable once it is finished).
 * Whatever fails or breaks a limit in a chunk makes it read the input in
 * one pass instead, so every result and every error is lda_csv_load()'s. */
bool lda_csv_load_par(const char *buf, size_t len, size_t max_events,
                      bool allow_empty, const lda_par *par, lda_set *set,
                      lda_rejects *rej, lda_err *e);

/* Append one report cell: formula guard (leading ' before = + - @ TAB CR)
 * when guard is set, then RFC 4180 quoting when it holds , " CR or LF. */
void lda_csv_put(lda_buf *b, const char *s, size_t n, bool guard);

#endif
