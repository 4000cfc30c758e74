/* lda_time: docs/input.md timestamp parsing and docs/reports.md timestamp
 * formatting. Time is int64 microseconds since 1970-01-01T00:00:00Z (UTC). */
#ifndef LDA_TIME_H
#define LDA_TIME_H
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Longest text lda_time_format writes, plus the NUL. */
#define LDA_TIME_MAX 34

/* Parse an already-trimmed timestamp of length n. Returns true and sets *us
 * on success. Accepts YYYY-MM-DD('T'|'
 * ')HH:MM[:SS[.f{1,9}]][Z|z|±HH|±HHMM|±HH:MM]; fraction digits past the 6th
 * are truncated. The UTC result must lie in years 0000..9999 so it can be
 * formatted back. */
bool lda_time_parse(const char *s, size_t n, int64_t *us);

/* True when us lies in the range lda_time_parse accepts (years 0000..9999
 * UTC). For times that arrive as numbers (the binary internal form). */
bool lda_time_in_range(int64_t us);

/* Format per docs/reports.md: YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00 (fraction
 * only when the microseconds are non-zero). Returns the length written (NUL
 * added). */
size_t lda_time_format(int64_t us, char out[LDA_TIME_MAX]);

/* Always with 6 fraction digits and 'Z': fixed width, so byte order equals
 * time order. Used by the event fingerprint. Returns length. */
size_t lda_time_format_fixed(int64_t us, char out[LDA_TIME_MAX]);

#endif
