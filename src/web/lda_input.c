/* lda_input: the orchestrator's input in its three forms (see
 * lda_input.h). A name from input_file is validated (a bare file name),
 * resolved with realpath(), checked to stay inside the resolved input
 * directory, then opened without following a last link and read whole,
 * within MAX_UPLOAD_BYTES. Problems are answered in safe words; the
 * details (errno text) go to the log through the error's detail. */
#include "lda_input.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lda_file.h"
#include "lda_multipart.h"
#include "lda_validate.h"

static bool not_found(lda_err *e)
{
    return lda_err_set(e, 404, "input file not found");
}

/* {"input_file": "name"} -> name (a valid bare file name). */
static bool input_name(const char *body, size_t len, char name[256],
                       lda_err *e)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *v = json_is_object(j) && json_object_size(j) == 1
                    ? json_object_get(j, "input_file")
                    : NULL;
    bool ok = json_is_string(v);
    size_t n = ok ? json_string_length(v) : 0;
    bool valid = ok && lda_valid_input_name(json_string_value(v), n);
    if (valid)
        memcpy(name, json_string_value(v), n + 1);
    json_decref(j);
    if (!ok)
        return lda_err_set(e, 400,
                           "body must be {\"input_file\": \"<name>.csv\"}");
    if (!valid)
        return lda_err_set(e, 400,
                           "input_file must be a bare file name "
                           "(letters, digits, '.', '_', '-')");
    return true;
}

/* The real path of name inside the input directory, into real. */
static bool resolve(const lda_config *cfg, const char *name,
                    char real[PATH_MAX], lda_err *e)
{
    char dir[PATH_MAX], path[PATH_MAX];
    if (!realpath(cfg->input_dir, dir)) {
        lda_err_detail(e, "input directory unusable: %s", strerror(errno));
        return not_found(e);
    }
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return lda_err_set(e, 400, "input_file name too long");
    if (!realpath(path, real)) {
        int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            return not_found(e);
        lda_err_detail(e, "input file %s unusable: %s", name, strerror(err));
        return lda_err_set(e, 400, "input file cannot be read");
    }
    size_t dl = strlen(dir);
    if (strncmp(real, dir, dl) != 0 ||
        !(real[dl] == '/' || (dl == 1 && dir[0] == '/'))) {
        lda_err_detail(e, "input file %s is outside the directory", name);
        return lda_err_set(e, 400,
                           "input_file is outside the input directory");
    }
    return true;
}

/* The whole of the resolved file, within MAX_UPLOAD_BYTES. */
static bool read_file(const lda_config *cfg, const char *name,
                      const char *real, lda_input *in, lda_err *e)
{
    int fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT)
            return not_found(e);
        return lda_err_set(e, 400, "%s",
                           errno == ELOOP
                               ? "input_file is outside the input directory"
                               : "input file cannot be read");
    }
    uint64_t max = cfg->max_upload_bytes;
    int rc = lda_file_read_fd(fd,
                              max > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max,
                              &in->owned, &in->len);
    int err = errno;
    close(fd);
    if (rc == 0) {
        in->csv = in->owned;
        return true;
    }
    if (err == EFBIG)
        return lda_err_set(e, 413, "input file larger than MAX_UPLOAD_BYTES");
    lda_err_detail(e, "input file %s unreadable: %s", name, strerror(err));
    return lda_err_set(e, 400, "input_file must name a readable regular file");
}

static bool input_file(const lda_config *cfg, const char *body, size_t len,
                       lda_input *in, lda_err *e)
{
    char name[256];
    static char real[PATH_MAX];
    return input_name(body, len, name, e) && resolve(cfg, name, real, e) &&
           read_file(cfg, name, real, in, e);
}

bool lda_input_read(const lda_config *cfg, lda_req *r, lda_input *in,
                    lda_err *e)
{
    char *body = r->body;
    size_t len = r->body_len;
    r->body = NULL;
    in->owned = in->csv = NULL;
    in->len = 0;
    if (lda_http_ctype_is(r->content_type, "text/csv")) {
        in->owned = in->csv = body;
        in->len = len;
        return true;
    }
    if (lda_http_ctype_is(r->content_type, "multipart/form-data")) {
        const char *part;
        if (!lda_multipart_find(r->content_type, body, len, "file", &part,
                                &in->len, e)) {
            free(body);
            return false;
        }
        in->owned = body;
        in->csv = body + (part - body);
        return true;
    }
    bool ok = input_file(cfg, body, len, in, e);
    free(body);
    return ok;
}
