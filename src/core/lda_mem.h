/* lda_mem: the small memory primitives every module would otherwise write
 * again: growing an array, comparing byte strings, hex encoding. */
#ifndef LDA_MEM_H
#define LDA_MEM_H
#include <stdbool.h>
#include <stddef.h>

/* Make room for need elements of elem bytes in the array *p of capacity
 * *cap (both updated), doubling from 16. False on overflow or OOM (*p is
 * then unchanged). */
bool lda_mem_grow(void **p, size_t *cap, size_t elem, size_t need);
/* memcmp order of two byte strings, a shorter prefix first: <0, 0, >0. */
int lda_mem_cmp(const char *a, size_t an, const char *b, size_t bn);
/* The 2n lowercase hex digits of p[0..n) and a NUL into out[2n + 1]. */
void lda_mem_hex(const unsigned char *p, size_t n, char *out);
#endif
