/* lda_failpoint: the test-only failure switch. LDA_FAILPOINTS =
 * "prog:action[:count][:fp=HEX],..." arms an action for a program; count
 * (default 1, 0 = always) is shared by every process of the program through
 * a counter file under $LDA_VAR_DIR/failpoints/, updated under flock. With
 * fp=HEX (1 to 64 lowercase hex digits) the action fires only for requests
 * whose X-Event-Fingerprint starts with HEX: one shard of a run (README,
 * "Failpoints"). Inert when the variable is unset: lda_failpoint() is then
 * one branch. */
#ifndef LDA_FAILPOINT_H
#define LDA_FAILPOINT_H
#include <stdbool.h>

/* Parse LDA_FAILPOINTS for program prog. -1 when malformed. */
int lda_failpoint_init(const char *prog, const char *var_dir);
/* True when action is armed for this program and has a count left (the
 * count is consumed and "failpoint fired" is logged). */
bool lda_failpoint(const char *action, const char *request_id);
/* The same for a request with this X-Event-Fingerprint (NULL: none; an
 * entry with fp=HEX then never fires). */
bool lda_failpoint_for(const char *action, const char *request_id,
                       const char *fingerprint);
#endif
