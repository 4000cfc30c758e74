/* lda_validate: exact-form validators for ids and names that arrive over
 * HTTP (see lda_validate.h). Each checks every byte; none decodes. */
#include "lda_validate.h"

#include <ctype.h>
#include <string.h>

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

bool lda_valid_uuid(const char *s, size_t n)
{
    if (n != 36)
        return false;
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !is_hex(s[i]))
            return false;
    }
    return true;
}

const char *lda_valid_request_id(const char *s, size_t n)
{
    if (!lda_valid_uuid(s, n))
        return "must be a UUID";
    if (s[14] != '4' || !strchr("89abAB", s[19]))
        return "must be a version-4 UUID";
    return NULL;
}

void lda_valid_uuid_lower(const char *s, char out[37])
{
    for (size_t i = 0; i < 36; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[36] = '\0';
}

bool lda_valid_fingerprint(const char *s, size_t n)
{
    if (n != 64)
        return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

bool lda_valid_input_name(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static const char *const run_files[] = {
    "suspicious_accounts.csv", "detections.csv", "run.json", "alerts.json"};

bool lda_valid_runs_path(const char *path, char id[37], const char **file,
                         lda_err *e)
{
    static const char prefix[] = "/api/runs/";
    size_t pl = sizeof prefix - 1;
    if (strncmp(path, prefix, pl) != 0)
        return lda_err_set(e, 400, "run id must be a UUID");
    const char *p = path + pl;
    const char *slash = strchr(p, '/');
    size_t idn = slash ? (size_t)(slash - p) : strlen(p);
    if (lda_valid_request_id(p, idn))
        return lda_err_set(e, 400, "run id must be a UUID");
    lda_valid_uuid_lower(p, id);
    for (size_t i = 0; slash && i < sizeof run_files / sizeof *run_files; i++)
        if (strcmp(slash + 1, run_files[i]) == 0) {
            *file = run_files[i];
            return true;
        }
    return lda_err_set(e, 404, "no such file");
}
