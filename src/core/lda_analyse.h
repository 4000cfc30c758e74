/* lda_analyse: both detectors over a finished event set, spread over
 * threads (lda_par).
 *
 * Each detector runs over ranges of groups of about equal event counts
 * (lda_detect_*_range), one job per range. Every range detects into its
 * own list; the lists are appended in group order (lda_seqlist_append),
 * which gives exactly the one-pass lists. With one thread the jobs run in
 * that order in the calling thread. (The fingerprint is apart:
 * lda_fingerprint_par, or lda_fpwork beside these jobs.) */
#ifndef LDA_ANALYSE_H
#define LDA_ANALYSE_H
#include "lda_detect.h"
#include "lda_par.h"

/* The sequences of both detectors appended to lay and wash, on par. s
 * must be finished. 0, or -1 on OOM (the lists may then hold a part; free
 * them). */
int lda_analyse(const lda_set *s, const lda_params *p, const lda_par *par,
                lda_seqlist *lay, lda_seqlist *wash);

#endif
