/* lda_ratelimit: RATE_LIMIT_PER_MINUTE per client address, shared by every
 * orchestrator process: a fixed one-minute window counted in a small file
 * per client (hashed name) under $LDA_VAR_DIR/ratelimit/, under flock. */
#ifndef LDA_RATELIMIT_H
#define LDA_RATELIMIT_H
#include <stdbool.h>
#include <stdint.h>

int lda_ratelimit_init(const char *var_dir);
/* True when the client may run now (and counts it); otherwise false and
 * *retry_after is the seconds until the window ends (>= 1). Errors fail
 * open (allowed) and are logged. */
bool lda_ratelimit_allow(const char *client, uint64_t per_minute,
                         unsigned *retry_after);
#endif
