/* lda_shard: how a run is split into shards (docs/api.md#shards).
 *
 * A group (account_id, product_id) goes to shard
 *   FNV-1a-64(account bytes, one 0 byte, product bytes) % shards.
 * The hash is stable (the same on every host and build) and pure: no I/O,
 * no seed. Detection is independent per group, so every shard is detected
 * on its own and the shards' sequence lists, put together, are the
 * sequences of the whole run.
 *
 * An lda_select names part of a finished set: the events whose type bit
 * (1u << type) is in mask and, when group_shard is given, whose group is
 * in shard `shard`. lda_wire_encode_sel and lda_fingerprint_sel take one. */
#ifndef LDA_SHARD_H
#define LDA_SHARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_event.h"

#define LDA_SHARDS_MAX 64 /* LDA_SHARDS is 1 .. this */

/* FNV-1a 64 over acc, a 0 byte, prod. */
uint64_t lda_shard_hash(const char *acc, size_t acc_len, const char *prod,
                        size_t prod_len);

/* The shard of every group of s: out[g] for g < s->ngroups, each
 * lda_shard_hash(...) % shards. shards is 1 .. LDA_SHARDS_MAX. malloc'd,
 * NULL on OOM. */
uint8_t *lda_shard_groups(const lda_set *s, unsigned shards);

typedef struct lda_select {
    unsigned mask;              /* event types: 1u << type */
    const uint8_t *group_shard; /* per group (lda_shard_groups), or NULL:
                                   every group */
    unsigned shard;             /* the groups taken when group_shard */
} lda_select;

/* Whether the selection takes group g. */
static inline bool lda_select_group(const lda_select *sel, size_t g)
{
    return !sel->group_shard || sel->group_shard[g] == sel->shard;
}

#endif
