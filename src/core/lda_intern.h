/* lda_intern: the two hash tables behind event grouping (internal to
 * src/core).
 *
 * lda_strtab interns byte strings (account ids, product ids) into dense
 * ids, storing each string once in a caller's arena. lda_pairtab maps a
 * pair of ids to a dense value (the group). Grouping an event is then two
 * lookups in small, cache-friendly string tables (there are far fewer
 * accounts and products than groups) and one integer-keyed lookup, instead
 * of a string compare against a large table. Both use open addressing,
 * linear probing, load <= 1/2, and a hash seed the program sets once at
 * start from the CSPRNG (lda_random, src/io) so that crafted ids cannot force
 * collisions; the core itself draws no entropy. */
#ifndef LDA_INTERN_H
#define LDA_INTERN_H
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"

typedef struct lda_strtab {
    uint64_t *slots; /* hash tag << 32 | (id + 1); 0 = empty */
    size_t nslots;
    size_t *off;   /* id -> offset of the string in the arena */
    uint32_t *len; /* id -> length */
    size_t n, cap;
} lda_strtab;

typedef struct lda_pair {
    uint32_t a, b; /* the key */
    uint32_t v1;   /* value + 1; 0 = empty */
} lda_pair;

typedef struct lda_pairtab {
    lda_pair *slots;
    size_t nslots, n;
    lda_pair last; /* the previous answer: rows often repeat a group */
} lda_pairtab;

/* Set the hash seed of every table (before the first is used). */
void lda_intern_seed(uint64_t seed);

/* Id of p[0..n), added (copied into arena) when new. -1 on OOM. */
int64_t lda_strtab_intern(lda_strtab *t, lda_buf *arena, const char *p,
                          size_t n);
void lda_strtab_free(lda_strtab *t);

/* Value of (a, b); when absent, stores and returns `fresh`. -1 on OOM. */
int64_t lda_pairtab_get(lda_pairtab *t, uint32_t a, uint32_t b,
                        uint32_t fresh);
void lda_pairtab_free(lda_pairtab *t);

#endif
