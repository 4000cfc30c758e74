/* lda_multipart: finds one part of a multipart/form-data body (RFC 7578)
 * by its form name, without copying: the part's bytes are a slice of the
 * body. The boundary comes from the Content-Type header. */
#ifndef LDA_MULTIPART_H
#define LDA_MULTIPART_H
#include <stddef.h>

typedef enum {
    LDA_MP_OK = 0,
    LDA_MP_MALFORMED,     /* bad boundary, headers or framing */
    LDA_MP_NO_PART        /* well-formed, but no part with that name */
} lda_mp_status;

lda_mp_status lda_multipart_find(const char *content_type, const char *body,
                                 size_t len, const char *name,
                                 const char **part, size_t *part_len);
#endif
