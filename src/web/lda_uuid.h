/* lda_uuid: UUID v4 request ids from the CSPRNG (lda_random). */
#ifndef LDA_UUID_H
#define LDA_UUID_H
#include <stdbool.h>
/* Lowercase 8-4-4-4-12 form, NUL-terminated. False if the CSPRNG fails. */
bool lda_uuid_v4(char out[37]);
#endif
