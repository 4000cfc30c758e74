/* lda_sha256: SHA-256 as hex through OpenSSL's EVP interface (see
 * lda_sha256.h). A pure computation: no I/O. */
#include "lda_sha256.h"

#include <openssl/evp.h>

#include "lda_mem.h"

bool lda_sha256_init(lda_sha256 *h)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    h->md = md;
    h->failed = !md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1;
    if (h->failed) {
        EVP_MD_CTX_free(md);
        h->md = NULL;
    }
    return !h->failed;
}

void lda_sha256_update(lda_sha256 *h, const void *p, size_t n)
{
    if (!h->failed && n && EVP_DigestUpdate(h->md, p, n) != 1)
        h->failed = true;
}

bool lda_sha256_hex(lda_sha256 *h, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    bool ok = !h->failed && EVP_DigestFinal_ex(h->md, md, &len) == 1 &&
              len == 32;
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
    if (ok)
        lda_mem_hex(md, 32, hex);
    else
        hex[0] = '\0';
    return ok;
}

bool lda_sha256_of(const void *p, size_t n, char hex[65])
{
    lda_sha256 h;
    if (!lda_sha256_init(&h)) {
        hex[0] = '\0';
        return false;
    }
    lda_sha256_update(&h, p, n);
    return lda_sha256_hex(&h, hex);
}
