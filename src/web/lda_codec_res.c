/* lda_codec_res: the binary detector answer's frame (see lda_codec_res.h). */
#include "lda_codec_res.h"

#include <string.h>

#include "lda_wire.h"

static const char res_magic[8] = {'L', 'D', 'A', 'R', 'S', '1', '\n', 0};

void lda_codec_res_frame(lda_buf *out, const char *env, size_t env_len)
{
    lda_buf_add(out, res_magic, sizeof res_magic);
    lda_wire_add_varint(out, env_len);
    lda_buf_add(out, env, env_len);
}

bool lda_codec_res_split(const char *body, size_t len, const char **env,
                         size_t *env_len, size_t *rest)
{
    size_t pos = sizeof res_magic;
    uint64_t n;
    if (len < sizeof res_magic || memcmp(body, res_magic, sizeof res_magic) ||
        !lda_wire_get_varint(body, len, &pos, &n) || n > len - pos)
        return false;
    *env = body + pos;
    *env_len = (size_t)n;
    *rest = pos + (size_t)n;
    return true;
}
