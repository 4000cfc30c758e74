/* lda_jsonw: the JSON text writer shared by every fixed-shape JSON the
 * project writes by hand (the SuspiciousSequence form, alerts.json): a
 * jansson tree costs some thirty allocations per object to build, dump and
 * free, and these shapes are fixed. Strings are escaped per RFC 8259
 * (every byte below 0x20, '"' and '\\'); reals are %.17g, which reads back
 * as the same double, with ".0" added when that looks like an integer so
 * they stay JSON reals. */
#ifndef LDA_JSONW_H
#define LDA_JSONW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"

/* The JSON string of p[0..n) (valid UTF-8). */
void lda_jsonw_str(lda_buf *b, const char *p, size_t n);
/* A timestamp in report text (lda_time_format), as a JSON string. */
void lda_jsonw_time(lda_buf *b, int64_t us);
/* An integer; false (nothing written) when above INT64_MAX, which a JSON
 * reader with int64 integers (jansson) could not read back. */
bool lda_jsonw_count(lda_buf *b, uint64_t v);
/* A finite double as a JSON real. */
void lda_jsonw_real(lda_buf *b, double x);
/* A finite double for text people read: a whole number below 2^53 as an
 * integer (100, not 1e+02 or 100.0), else the shortest %.Ng (N = 15..17;
 * %g drops trailing zeros, so 0.5 stays 0.5) that reads back as the same
 * double (83.33333333333333, not
 * 83.333333333333329). */
void lda_jsonw_num(lda_buf *b, double x);

#endif
