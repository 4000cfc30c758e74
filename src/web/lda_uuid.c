/* lda_uuid: UUID v4 (RFC 9562 §5.4) from 16 CSPRNG bytes (OpenSSL
 * RAND_bytes), version and variant bits set, printed in lowercase. */
#include "lda_uuid.h"

#include <openssl/rand.h>

bool lda_uuid_v4(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
    return true;
}
