/* detect-layering.fcgi: POST /api/detect/layering (SPEC §3.1, §5.2). The
 * program body is shared with detect-wash: see src/web/lda_detector.c. */
#include "lda_detector.h"
#include "lda_seq.h"

int main(void)
{
    return lda_detector_main(LDA_LAYERING);
}
