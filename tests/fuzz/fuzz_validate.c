/* fuzz_validate: libFuzzer target for the validators of identifiers that
 * arrive over HTTP (src/web/lda_validate.h) and lda_http_ctype_is
 * (src/web/lda_http.h).
 *
 * Each validator's verdict on the input is compared with a reference
 * written here from docs/api.md (#request-ids, #detector-request,
 * #orchestrate-input-forms, #downloads): UUID 8-4-4-4-12 hex; a request id
 * a version-4 UUID (version nibble '4' at index 14, variant 8, 9, a or b in
 * either case at index 19; lda_valid_request_id gives the reason otherwise);
 * 64 lowercase hex fingerprint; input_file a bare name of letters, digits,
 * '.', '_', '-' not starting or ending with '.' (and never a path: no '/',
 * no "..", no NUL). lda_valid_runs_path must accept exactly
 * "/api/runs/" + version-4 UUID + "/" + one of the three file names (id
 * lowercased), refuse any path whose id is not a version-4 UUID with 400
 * "run id must be a UUID", and any other with 404 "no such file".
 * Violations abort. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lda_err.h"
#include "lda_http.h"
#include "lda_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz_validate: %s (line %d)\n", what, __LINE__); \
            abort(); \
        } \
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

static bool ref_v4(const char *s, size_t n)
{
    return ref_uuid(s, n) && s[14] == '4' &&
           (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b' ||
            s[19] == 'A' || s[19] == 'B');
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
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
                    "0123456789._-",
                    s[i]) ||
            s[i] == '\0')
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
    return strchr("; \t", c[n]) != NULL; /* also matches the NUL */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *x = malloc(size ? size : 1); /* exact size: ASan-checked */
    char *z = malloc(size + 1);        /* NUL-terminated */
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

    const char *why = lda_valid_request_id(x, size);
    CHECK(!why == ref_v4(z, size), "lda_valid_request_id");
    if (why)
        CHECK(!strcmp(why, ref_uuid(z, size) ? "must be a version-4 UUID"
                                             : "must be a UUID"),
              "lda_valid_request_id reason");

    /* The path as a NUL-terminated string (an embedded NUL ends it). */
    static const char *const files[] = {"suspicious_accounts.csv",
                                        "detections.csv", "run.json"};
    size_t zl = strlen(z);
    bool id_ok = zl >= 46 && strncmp(z, "/api/runs/", 10) == 0 &&
                 ref_v4(z + 10, 36) && (z[46] == '/' || z[46] == '\0');
    const char *want_file = NULL;
    for (size_t i = 0; id_ok && z[46] == '/' && i < 3; i++)
        if (!strcmp(z + 47, files[i]))
            want_file = files[i];
    char id[37] = "";
    const char *file = NULL;
    lda_err e;
    lda_err_init(&e);
    bool rok = lda_valid_runs_path(z, id, &file, &e);
    if (!id_ok)
        CHECK(!rok && e.status == 400 &&
                  !strcmp(e.msg, "run id must be a UUID"),
              "runs path: 400 unless the id is a version-4 UUID");
    else if (!want_file)
        CHECK(!rok && e.status == 404 && !strcmp(e.msg, "no such file"),
              "runs path: 404 for any other file");
    else
        CHECK(rok && e.status == 0 && file && !strcmp(file, want_file),
              "runs path: /api/runs/<v4 uuid>/<one of the three> is "
              "accepted");
    if (!rok)
        CHECK(e.headers[0] == '\0', "runs path: no reply headers");
    if (id_ok) {
        CHECK(strlen(id) == 36, "runs path id is 36 bytes");
        for (size_t i = 0; i < 36; i++)
            CHECK(id[i] == lower(z[10 + i]),
                  "runs path id is the uuid after /api/runs/, lowercased");
    }

    static const char *const mimes[] = {"text/csv", "multipart/form-data",
                                        "application/json"};
    for (size_t i = 0; i < 3; i++)
        CHECK(lda_http_ctype_is(z, mimes[i]) == ref_ctype(z, mimes[i]),
              "lda_http_ctype_is");

    free(x);
    free(z);
    return 0;
}
