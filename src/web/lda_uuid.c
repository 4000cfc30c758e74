/* lda_uuid: UUID v4 (RFC 9562 docs/api.md#downloads) from 16 CSPRNG bytes
 * (lda_random), version and variant bits set, printed in lowercase. */
#include "lda_uuid.h"

#include "lda_mem.h"
#include "lda_random.h"

bool lda_uuid_v4(char out[37])
{
    unsigned char b[16];
    if (!lda_random_bytes(b, sizeof b))
        return false;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        lda_mem_hex(b + i, 1, p);
        p += 2;
    }
    return true;
}
