/* lda_detector: the one program body behind detect-layering.fcgi and
 * detect-wash.fcgi (SPEC §5.2): request decoding (the binary internal
 * form, CSV, or the JSON form), fingerprint check, the (request_id,
 * fingerprint) result cache, one detector run, the answer (JSON, or binary
 * when asked). Stateless apart from the cache. */
#ifndef LDA_DETECTOR_H
#define LDA_DETECTOR_H
#include <stdint.h>

/* kind: LDA_LAYERING or LDA_WASH (lda_seq.h). Returns the exit status. */
int lda_detector_main(uint8_t kind);
#endif
