/* lda_random: CSPRNG bytes and the core's hash seed (see lda_random.h). */
#include "lda_random.h"

#include <openssl/rand.h>
#include <stdint.h>

#include "lda_intern.h"

bool lda_random_bytes(void *p, size_t n)
{
    return n <= INT32_MAX && RAND_bytes(p, (int)n) == 1;
}

void lda_random_seed_core(void)
{
    uint64_t s;
    if (lda_random_bytes(&s, sizeof s))
        lda_intern_seed(s);
}
