/* lda_shard: the shard hash (see lda_shard.h). */
#include "lda_shard.h"

#include <stdlib.h>

#define FNV_OFFSET 14695981039346656037ULL
#define FNV_PRIME 1099511628211ULL

static uint64_t fnv1a(uint64_t h, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t lda_shard_hash(const char *acc, size_t acc_len, const char *prod,
                        size_t prod_len)
{
    uint64_t h = fnv1a(FNV_OFFSET, acc, acc_len);
    h = fnv1a(h, "", 1); /* the 0 byte between the two ids */
    return fnv1a(h, prod, prod_len);
}

uint8_t *lda_shard_groups(const lda_set *s, unsigned shards)
{
    uint8_t *out = malloc(s->ngroups ? s->ngroups : 1);
    if (!out || shards == 0 || shards > LDA_SHARDS_MAX) {
        free(out);
        return NULL;
    }
    for (size_t g = 0; g < s->ngroups; g++) {
        const lda_group *gr = &s->groups[g];
        out[g] = (uint8_t)(lda_shard_hash(lda_set_str(s, gr->acc_off),
                                          gr->acc_len,
                                          lda_set_str(s, gr->prod_off),
                                          gr->prod_len) %
                           shards);
    }
    return out;
}
