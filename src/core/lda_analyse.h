/* lda_analyse: everything a run computes from a finished event set -- the
 * fingerprint and both detectors -- spread over threads (lda_par).
 *
 * The work is cut into jobs: the fingerprint (one job: SHA-256 is one
 * stream), then each detector over ranges of groups of about equal event
 * counts (lda_detect_*_range). Every range detects into its own list; the
 * lists are appended in group order (lda_seqlist_append), which gives
 * exactly the one-pass lists. With one thread the jobs run in that order
 * in the calling thread. */
#ifndef LDA_ANALYSE_H
#define LDA_ANALYSE_H
#include "lda_detect.h"
#include "lda_par.h"

/* Fingerprint of s (when fp is not NULL; lda_fingerprint) and the
 * sequences of both detectors appended to lay and wash, on par. s must be
 * finished. 0, or -1 on OOM (the lists may then hold a part; free them). */
int lda_analyse(const lda_set *s, const lda_params *p, const lda_par *par,
                char fp[65], lda_seqlist *lay, lda_seqlist *wash);

#endif
