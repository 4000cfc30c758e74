/* lda_fingerprint: the event fingerprint, SHA-256 (OpenSSL EVP) over a
 * canonical sorted form of the events, so the same multiset of events gives
 * the same fingerprint whatever the row order or the encoding it came in.
 *
 * Canonical form: one line per event,
 *   account_id TAB product_id TAB YYYY-MM-DDTHH:MM:SS.ffffffZ TAB SIDE TAB
 *   EVENT_TYPE TAB quantity TAB price LF
 * (timestamp in UTC with always 6 fraction digits, SIDE and EVENT_TYPE upper
 * case, quantity in decimal without sign or leading zeros, price the trimmed
 * text as given), the lines sorted bytewise (LC_ALL=C sort), concatenated.
 * No field can hold TAB or LF, so the form is unambiguous. The fingerprint
 * is the lowercase hex digest: LC_ALL=C sort lines.txt | sha256sum. */
#ifndef LDA_FINGERPRINT_H
#define LDA_FINGERPRINT_H
#include "lda_event.h"
#include "lda_par.h"
#include "lda_shard.h"

/* s must be finished. Returns 0, or -1 on OOM or OpenSSL failure. */
int lda_fingerprint(const lda_set *s, char hex[65]);

/* The fingerprint of only the events whose type bit (1u << type) is in
 * mask, e.g. 1u << LDA_TRADE for the trades sent to the wash detector. It
 * equals lda_fingerprint() of a set holding just those events. */
#define LDA_FP_ALL 7u
int lda_fingerprint_mask(const lda_set *s, unsigned mask, char hex[65]);
/* The fingerprint of the events sel selects (type mask, and the groups of
 * one shard when sel->group_shard; lda_shard.h). It equals lda_fingerprint()
 * of a set holding just those events: what a detector that receives them
 * checks. */
int lda_fingerprint_sel(const lda_set *s, const lda_select *sel, char hex[65]);

/* lda_fingerprint() on par: the canonical text is cut into pieces (between
 * groups, or between runs of equal timestamps inside a big group, ~350 KB
 * each); every thread of par builds the next piece into one of a few
 * buffers, or feeds the built pieces to the digest in order when no other
 * thread does (one thread at a time hashes): the same bytes in the same
 * order, so the same value. With two threads one mostly hashes while the
 * other builds. One thread, or a small set: lda_fingerprint. */
int lda_fingerprint_par(const lda_set *s, const lda_par *par, char hex[65]);

/* lda_fingerprint_par in three steps, for a caller whose threads join the
 * work when their own jobs are done: new (NULL on OOM; s finished, not
 * changed until end), help (on any number of threads at once, or one after
 * another; returns when every piece is hashed), end (after every help has
 * returned: the value, 0, or -1 on OOM; frees w, NULL too). par only
 * lends its relax() to a thread that waits for another. */
typedef struct lda_fpwork lda_fpwork;
lda_fpwork *lda_fpwork_new(const lda_set *s, const lda_par *par);
void lda_fpwork_help(lda_fpwork *w);
int lda_fpwork_end(lda_fpwork *w, char hex[65]);

#endif
