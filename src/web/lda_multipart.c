/* lda_multipart: locate one form field in a multipart/form-data body
 * (RFC 7578 / RFC 2046 docs/api.md#orchestrate) without copying (see
 * lda_multipart.h).
 *
 * The boundary parameter is taken from Content-Type (token or quoted,
 * 1..70 bytes). The body is a sequence of parts, each introduced by
 * CRLF "--" boundary (the first may start the body) and a CRLF, then
 * header lines up to an empty line, then content up to the next delimiter;
 * "--" after a delimiter closes the body. A part's name comes from its
 * Content-Disposition: form-data; name="..." header. */
#include "lda_multipart.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define BOUNDARY_MAX 70

typedef struct span {
    const char *p;
    size_t n;
} span;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Find parameter `key` in a header value "type; k=v; k2="v2"". */
static bool malformed(lda_err *e)
{
    return lda_err_set(e, 400, "malformed multipart body");
}

static bool find_param(const char *v, size_t vn, const char *key, span *out)
{
    size_t kl = strlen(key);
    size_t i = 0;
    /* skip the leading type/disposition token */
    while (i < vn && v[i] != ';') {
        if (v[i] == '"')
            return false;
        i++;
    }
    while (i < vn) {
        i++; /* the ';' */
        while (i < vn && is_blank(v[i]))
            i++;
        size_t ks = i;
        while (i < vn && v[i] != '=' && v[i] != ';' && !is_blank(v[i]))
            i++;
        size_t klen = i - ks;
        while (i < vn && is_blank(v[i]))
            i++;
        if (i >= vn || v[i] != '=')
            return false;
        i++;
        while (i < vn && is_blank(v[i]))
            i++;
        span val;
        if (i < vn && v[i] == '"') {
            size_t s = ++i;
            while (i < vn && v[i] != '"') {
                if (v[i] == '\\')
                    return false; /* escapes: not from browsers */
                i++;
            }
            if (i >= vn)
                return false;
            val = (span){v + s, i - s};
            i++;
        } else {
            size_t s = i;
            while (i < vn && v[i] != ';' && !is_blank(v[i]))
                i++;
            val = (span){v + s, i - s};
        }
        while (i < vn && is_blank(v[i]))
            i++;
        if (i < vn && v[i] != ';')
            return false;
        if (klen == kl && strncasecmp(v + ks, key, kl) == 0) {
            *out = val;
            return true;
        }
    }
    return false;
}

static bool boundary_of(const char *ctype, span *b)
{
    if (!ctype)
        return false;
    while (is_blank(*ctype))
        ctype++;
    static const char mt[] = "multipart/form-data";
    if (strncasecmp(ctype, mt, sizeof mt - 1) != 0)
        return false;
    if (!find_param(ctype, strlen(ctype), "boundary", b) || b->n == 0 ||
        b->n > BOUNDARY_MAX)
        return false;
    for (size_t i = 0; i < b->n; i++)
        if ((unsigned char)b->p[i] < 0x20 || (unsigned char)b->p[i] > 0x7e)
            return false;
    return true;
}

/* Headers [h, h+n): the value of Content-Disposition's name, if any, and
 * of its filename (n 0 when it has none). */
static int part_name(const char *h, size_t n, span *name, span *filename)
{
    filename->p = NULL;
    filename->n = 0;
    static const char cd[] = "content-disposition:";
    bool found = false;
    while (n) {
        const char *eol = memmem(h, n, "\r\n", 2);
        size_t ln = eol ? (size_t)(eol - h) : n;
        if (ln >= sizeof cd - 1 && strncasecmp(h, cd, sizeof cd - 1) == 0) {
            const char *v = h + sizeof cd - 1;
            size_t vn = ln - (sizeof cd - 1);
            while (vn && is_blank(*v))
                v++, vn--;
            if (vn < 9 || strncasecmp(v, "form-data", 9) != 0 || found)
                return -1;
            found = find_param(v, vn, "name", name);
            if (!found)
                return -1;
            if (!find_param(v, vn, "filename", filename))
                filename->n = 0;
        } else if (ln == 0 || !memchr(h, ':', ln)) {
            return -1;
        }
        if (!eol)
            break;
        h = eol + 2;
        n -= ln + 2;
    }
    return found ? 0 : -1;
}

bool lda_multipart_find(const char *content_type, const char *body, size_t len,
                        const char *name, const char **part, size_t *part_len,
                        lda_err *e)
{
    const char *fn;
    size_t fnl;
    return lda_multipart_file(content_type, body, len, name, part, part_len,
                              &fn, &fnl, e);
}

int lda_multipart_each(const char *content_type, const char *body, size_t len,
                       lda_multipart_fn fn, void *arg, lda_err *e)
{
    span b;
    if (!boundary_of(content_type, &b))
        return malformed(e) ? 0 : -1;
    char delim[4 + BOUNDARY_MAX]; /* CRLF "--" boundary */
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, b.p, b.n);
    size_t dn = 4 + b.n;

    /* First delimiter: at the very start, or after a preamble. */
    size_t pos;
    if (len >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0) {
        pos = dn - 2;
    } else {
        const char *d = memmem(body, len, delim, dn);
        if (!d)
            return malformed(e) ? 0 : -1;
        pos = (size_t)(d - body) + dn;
    }
    for (;;) {
        if (len - pos >= 2 && memcmp(body + pos, "--", 2) == 0)
            return 0; /* the close delimiter */
        while (pos < len && is_blank(body[pos]))
            pos++; /* transport padding */
        if (len - pos < 2 || memcmp(body + pos, "\r\n", 2) != 0)
            return malformed(e) ? 0 : -1;
        pos += 2;
        const char *hend = memmem(body + pos, len - pos, "\r\n\r\n", 4);
        span pname, fname;
        if (len - pos >= 2 && memcmp(body + pos, "\r\n", 2) == 0)
            return malformed(e) ? 0 : -1; /* a part needs headers */
        if (!hend || part_name(body + pos, (size_t)(hend - body) - pos, &pname,
                               &fname) < 0)
            return malformed(e) ? 0 : -1;
        const char *content = hend + 4;
        size_t cpos = (size_t)(content - body);
        const char *next = memmem(content, len - cpos, delim, dn);
        if (!next)
            return malformed(e) ? 0 : -1;
        lda_multipart_part part = {pname.p, pname.n,
                                   content, (size_t)(next - content),
                                   fname.p, fname.n};
        int rc = fn(&part, arg, e);
        if (rc != 0)
            return rc;
        pos = (size_t)(next - body) + dn;
    }
}

typedef struct finder {
    const char *name;
    lda_multipart_part found;
} finder;

static int find_part(const lda_multipart_part *p, void *arg, lda_err *e)
{
    (void)e;
    finder *f = arg;
    size_t nl = strlen(f->name);
    if (p->name_len != nl || memcmp(p->name, f->name, nl) != 0)
        return 0;
    f->found = *p;
    return 1;
}

bool lda_multipart_file(const char *content_type, const char *body, size_t len,
                        const char *name, const char **part, size_t *part_len,
                        const char **filename, size_t *filename_len,
                        lda_err *e)
{
    finder f = {name, {0}};
    int rc = lda_multipart_each(content_type, body, len, find_part, &f, e);
    if (rc < 0)
        return false;
    if (rc == 0)
        return lda_err_set(e, 400, "multipart body has no \"%s\" part", name);
    *part = f.found.content;
    *part_len = f.found.len;
    *filename = f.found.filename;
    *filename_len = f.found.filename_len;
    return true;
}
