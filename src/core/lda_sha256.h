/* lda_sha256: SHA-256 in one place (OpenSSL EVP underneath), as the
 * 64 lowercase hex digits everything here uses: the event fingerprint,
 * pseudonyms, key comparison, rate-limit file names. */
#ifndef LDA_SHA256_H
#define LDA_SHA256_H
#include <stdbool.h>
#include <stddef.h>

typedef struct lda_sha256 {
    void *md;    /* EVP_MD_CTX */
    bool failed; /* an OpenSSL call failed: the digest is lost */
} lda_sha256;

/* Start a digest; false (and nothing to free) when OpenSSL cannot. */
bool lda_sha256_init(lda_sha256 *h);
/* Add p[0..n); a failure is remembered for lda_sha256_hex. */
void lda_sha256_update(lda_sha256 *h, const void *p, size_t n);
/* Finish into hex[65] and free the context; false when any step failed
 * (hex then holds ""). */
bool lda_sha256_hex(lda_sha256 *h, char hex[65]);
/* One-shot digest of p[0..n). */
bool lda_sha256_of(const void *p, size_t n, char hex[65]);
#endif
