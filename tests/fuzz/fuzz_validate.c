/* fuzz_validate: libFuzzer target for the validators of identifiers that
 * arrive over HTTP (src/web/lda_validate.h) and lda_ctype_is
 * (src/web/lda_http.h).
 *
 * Each validator's verdict on the input is compared with a reference
 * written here from SPEC §5.1 / §5.2 / §5.4: UUID 8-4-4-4-12 hex, 64
 * lowercase hex fingerprint, input_file a bare name of letters, digits,
 * '.', '_', '-' not starting or ending with '.' (and never a path: no '/',
 * no "..", no NUL). A /api/runs/ path accepted as OK must be exactly
 * "/api/runs/" + uuid + "/" + one of the three file names. Violations
 * abort. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lda_http.h"
#include "lda_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                  \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_validate: %s (line %d)\n", what,         \
                    __LINE__);                                             \
            abort();                                                       \
        }                                                                  \
    } while (0)

static bool hexc(char c, bool upper_ok)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (upper_ok && c >= 'A' && c <= 'F');
}

static bool ref_uuid(const char *s, size_t n)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    if (n != sizeof shape - 1)
        return false;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == '-' ? s[i] != '-' : !hexc(s[i], true))
            return false;
    return true;
}

static bool ref_fp(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!hexc(s[i], false))
            return false;
    return true;
}

static bool ref_name(const char *s, size_t n)
{
    if (n < 1 || n > 255 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                    "0123456789._-", s[i]) || s[i] == '\0')
            return false;
    return true;
}

static bool ref_ctype(const char *c, const char *mime)
{
    while (*c == ' ' || *c == '\t')
        c++;
    size_t n = strlen(mime);
    if (strlen(c) < n || strncasecmp(c, mime, n))
        return false;
    return strchr("; \t", c[n]) != NULL;   /* also matches the NUL */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *x = malloc(size ? size : 1);     /* exact size: ASan-checked */
    char *z = malloc(size + 1);            /* NUL-terminated */
    if (!x || !z) {
        free(x);
        free(z);
        return 0;
    }
    memcpy(x, data, size);
    memcpy(z, data, size);
    z[size] = '\0';

    CHECK(lda_valid_uuid(x, size) == ref_uuid(z, size), "lda_valid_uuid");
    CHECK(lda_valid_fingerprint(x, size) == ref_fp(z, size),
          "lda_valid_fingerprint");
    bool name = lda_valid_input_name(x, size);
    CHECK(name == ref_name(z, size), "lda_valid_input_name");
    if (name)
        CHECK(!memchr(z, '/', size) && !memchr(z, '\0', size) &&
                  strcmp(z, "..") && strcmp(z, "."),
              "input name is never a path");

    char id[37] = "";
    const char *file = NULL;
    lda_runs_status rs = lda_runs_path_parse(z, id, &file);
    CHECK(rs == LDA_RUNS_OK || rs == LDA_RUNS_BAD_ID || rs == LDA_RUNS_NO_FILE,
          "runs status");
    if (rs != LDA_RUNS_BAD_ID)
        CHECK(strncmp(z, "/api/runs/", 10) == 0 && ref_uuid(id, strlen(id)) &&
                  memcmp(z + 10, id, 36) == 0,
              "runs path id is the uuid after /api/runs/");
    if (rs == LDA_RUNS_OK) {
        CHECK(file && (!strcmp(file, "suspicious_accounts.csv") ||
                       !strcmp(file, "detections.csv") ||
                       !strcmp(file, "run.json")),
              "runs file is one of the three");
        CHECK(strlen(z) == 47 + strlen(file) && z[46] == '/' &&
                  !strcmp(z + 47, file),
              "runs path is exactly /api/runs/<uuid>/<file>");
    }

    static const char *const mimes[] = {"text/csv", "multipart/form-data",
                                        "application/json"};
    for (size_t i = 0; i < 3; i++)
        CHECK(lda_ctype_is(z, mimes[i]) == ref_ctype(z, mimes[i]),
              "lda_ctype_is");

    free(x);
    free(z);
    return 0;
}
