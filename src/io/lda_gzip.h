/* lda_gzip: gzip input (RFC 1952), inflated with zlib in chunks under a
 * hard cap on the output (docs/input.md#compressed-input).
 *
 * Every way a CSV enters the product (an upload's body or multipart part,
 * an input_file, build/lda's file or standard input) may be gzip: the
 * caller looks for the magic bytes with lda_gzip_magic() and, when they
 * are there, inflates with one of the two functions below. Both accept
 * one gzip member or several concatenated (`gzip -c a b > c`); anything
 * after the last member that is not another member is corrupt data.
 *
 * The cap is the whole point: the output never grows past cap + 1 bytes
 * (the last byte only proves that there is more), so a "gzip bomb" costs
 * at most cap bytes of memory and the time to inflate cap bytes, however
 * much it would expand to. Errors are lda_err with safe words (zlib's own
 * message goes to the detail, for the log only):
 *   413 "decompressed input larger than MAX_UPLOAD_BYTES" (over the cap),
 *   400 "compressed input is truncated (the gzip stream ends early)",
 *   400 "compressed input is corrupt (not valid gzip data)",
 *   400 "compressed input cannot be read" (read error on the descriptor),
 *   500 "out of memory". */
#ifndef LDA_GZIP_H
#define LDA_GZIP_H
#include <stdbool.h>
#include <stddef.h>
#include "lda_err.h"

/* True when p[0..n) starts like a gzip member: 1f 8b, then method 8
 * (deflate, the only one gzip defines). A CSV can never start so (1f is a
 * control byte, 8b a stray UTF-8 continuation byte). */
bool lda_gzip_magic(const void *p, size_t n);

/* Inflate the gzip data src[0..n) into *out, a malloc'd buffer of *len
 * bytes plus a NUL (so at most cap + 1 bytes are allocated). True on
 * success, *out owned by the caller (an empty member gives *len 0). False
 * with e set as listed above, *out NULL. n 0 is "truncated". */
bool lda_gzip_inflate(const void *src, size_t n, size_t cap, char **out,
                      size_t *len, lda_err *e);

/* The same, reading the gzip data from fd (from its current offset to
 * its end; fd is left open) in 64 KiB chunks: memory is the output plus
 * one chunk, whatever the size of the compressed file. A descriptor
 * opened O_NONBLOCK that has nothing to read yet is waited for. */
bool lda_gzip_inflate_fd(int fd, size_t cap, char **out, size_t *len,
                         lda_err *e);
#endif
