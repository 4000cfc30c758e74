/* fuzz_multipart: libFuzzer target for lda_multipart_find (the upload form
 * of POST /api/orchestrate, docs/api.md#orchestrate-input-forms: the CSV is
 * the part named "file").
 *
 * Two checks per input:
 * 1. Raw: the bytes up to the first LF are the Content-Type header (a
 *    NUL-terminated copy), the rest is the body (an exact-size heap copy so
 *    ASan sees any overread). The result is a part, or a 400 whose message
 *    is "malformed multipart body" or "multipart body has no \"file\"
 *    part" (no reply headers). A found part must be a slice of the body
 *    that starts right after a blank line (CRLF CRLF) and ends right before
 *    a CRLF "--" delimiter.
 * 2. Built: the whole input is the content of a "file" part in a
 *    well-formed body (after another part, with a filename and a
 *    Content-Type header, token or quoted boundary). Unless the input
 *    holds the delimiter itself, the parser must return exactly those
 *    bytes.
 * Violations abort. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_err.h"
#include "lda_multipart.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_multipart: %s (line %d)\n", what, \
                    __LINE__); \
            abort(); \
        } \
    } while (0)

static void raw(const uint8_t *data, size_t size)
{
    const uint8_t *lf = memchr(data, '\n', size);
    size_t cn = lf ? (size_t)(lf - data) : size;
    size_t bn = lf ? size - cn - 1 : 0;
    char *ctype = malloc(cn + 1);
    char *body = malloc(bn ? bn : 1);
    if (!ctype || !body) {
        free(ctype);
        free(body);
        return;
    }
    memcpy(ctype, data, cn);
    ctype[cn] = '\0';
    if (bn)
        memcpy(body, lf + 1, bn);
    const char *part = NULL;
    size_t plen = 0;
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_multipart_find(ctype, body, bn, "file", &part, &plen, &e);
    if (!ok)
        CHECK(e.status == 400 && e.headers[0] == '\0' &&
                  (!strcmp(e.msg, "malformed multipart body") ||
                   !strcmp(e.msg, "multipart body has no \"file\" part")),
              "error: 400, one of the two messages");
    if (ok) {
        CHECK(e.status == 0, "no error on success");
        CHECK(part >= body + 4 && plen <= bn && part + plen <= body + bn,
              "part is a slice of the body");
        CHECK(memcmp(part - 4, "\r\n\r\n", 4) == 0,
              "part starts after the header block");
        CHECK(bn - (size_t)(part - body) - plen >= 4 &&
                  memcmp(part + plen, "\r\n--", 4) == 0,
              "part ends at a delimiter");
    }
    free(ctype);
    free(body);
}

static void built(const uint8_t *data, size_t size)
{
    static const char B[] = "----fuzzB0undary7MA4YWxk";
    bool quoted = size & 1;
    char ctype[128];
    snprintf(ctype, sizeof ctype, "multipart/form-data; %sboundary=%s%s%s",
             quoted ? "charset=utf-8; " : "", quoted ? "\"" : "", B,
             quoted ? "\"" : "");
    char head[512];
    int hn = snprintf(head, sizeof head,
                      "preamble\r\n--%s\r\n"
                      "Content-Disposition: form-data; name=\"note\"\r\n\r\n"
                      "x\r\n--%s\r\n"
                      "Content-Disposition: form-data; name=\"file\"; "
                      "filename=\"t.csv\"\r\nContent-Type: text/csv\r\n\r\n",
                      B, B);
    char tail[64];
    int tn = snprintf(tail, sizeof tail, "\r\n--%s--\r\n", B);
    CHECK(hn > 0 && (size_t)hn < sizeof head && tn > 0 &&
              (size_t)tn < sizeof tail,
          "harness buffers");
    size_t len = (size_t)hn + size + (size_t)tn;
    char *body = malloc(len);
    if (!body)
        return;
    memcpy(body, head, (size_t)hn);
    if (size)
        memcpy(body + hn, data, size);
    memcpy(body + (size_t)hn + size, tail, (size_t)tn);
    /* A payload holding the delimiter ends the part early: skip those. */
    char delim[64];
    int dn = snprintf(delim, sizeof delim, "\r\n--%s", B);
    bool clean = !memmem(body + hn, size + (size_t)dn, delim, (size_t)dn) ||
                 (const char *)memmem(body + hn, size + (size_t)dn, delim,
                                      (size_t)dn) == body + hn + size;
    const char *part = NULL;
    size_t plen = 0;
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_multipart_find(ctype, body, len, "file", &part, &plen, &e);
    if (clean) {
        if (!ok)
            fprintf(stderr, "fuzz_multipart: %d %s\n", e.status, e.msg);
        CHECK(ok, "well-formed body: part found");
        CHECK(part == body + hn && plen == size,
              "well-formed body: exactly the payload");
    }
    free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    raw(data, size);
    built(data, size);
    return 0;
}
