/* lda_codec_res: the binary detector answer, what a detector sends when the
 * request's Accept names LDA_WIRE_RES_CTYPE (the orchestrator does;
 * docs/api.md#internal-binary-forms):
 *   body     = "LDARS1\n\0" varint(len) envelope seqlist?
 *   envelope = the detector's JSON answer without "results"
 *   seqlist  = the results (lda_wire.h), present iff status is "success"
 * A detector's cache entry is the same frame without "cached". */
#ifndef LDA_CODEC_RES_H
#define LDA_CODEC_RES_H
#include <stdbool.h>
#include <stddef.h>
#include "lda_buf.h"

#define LDA_WIRE_RES_CTYPE "application/x-lda-results"
/* Append the frame head: magic, varint(env_len), envelope. */
void lda_codec_res_frame(lda_buf *out, const char *env, size_t env_len);
/* Split a binary answer into its envelope and the offset of what follows.
 * false when body is not such a frame. */
bool lda_codec_res_split(const char *body, size_t len, const char **env,
                         size_t *env_len, size_t *rest);
#endif
