/* detect-wash.fcgi: POST /api/detect/wash (SPEC §3.2, §5.2). The program
 * body is shared with detect-layering: see src/web/lda_detector.c. */
#include "lda_detector.h"
#include "lda_seq.h"

int main(void)
{
    return lda_detector_main(LDA_WASH);
}
