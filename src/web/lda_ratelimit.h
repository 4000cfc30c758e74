/* lda_ratelimit: RATE_LIMIT_PER_MINUTE per client address, shared by every
 * orchestrator process: a sliding window -- no 60 s span, also across a
 * minute of the clock, holds more than the limit -- counted per second in a
 * small file per client (hashed name) under $LDA_VAR_DIR/ratelimit/, under
 * flock. A request counts for 61 whole seconds (the second it arrived in
 * and the 60 after), which errs on the side of the limit. */
#ifndef LDA_RATELIMIT_H
#define LDA_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

int lda_ratelimit_init(const char *var_dir);
/* True when the client may run at now_us (lda_now_us(); counted);
 * otherwise false and *retry_after is the seconds until its oldest
 * counted request leaves the window (>= 1). Errors fail open (allowed)
 * and are logged. */
bool lda_ratelimit_allow(const char *client, uint64_t per_minute,
                         int64_t now_us, unsigned *retry_after);
#endif
