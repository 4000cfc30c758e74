/* lda_random: the programs' one source of entropy, OpenSSL's CSPRNG
 * (RAND_bytes): request ids (lda_uuid) and the interning hash seed. */
#ifndef LDA_RANDOM_H
#define LDA_RANDOM_H
#include <stdbool.h>
#include <stddef.h>

/* Fill p[0..n) with random bytes; false when the CSPRNG fails. */
bool lda_random_bytes(void *p, size_t n);
/* Seed the core's hash tables (lda_intern_seed) from the CSPRNG, once per
 * process, before any input is read; a failure keeps the constant seed. */
void lda_random_seed_core(void);
#endif
