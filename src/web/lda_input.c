/* lda_input: the orchestrator's input in its three forms (see
 * lda_input.h). A name from input_file is validated (a bare file name),
 * resolved with realpath(), checked to stay inside the resolved input
 * directory, then opened without following a last link and read whole,
 * within MAX_UPLOAD_BYTES. Problems are answered in safe words; the
 * details (errno text) go to the log through the error's detail.
 *
 * Compressed input (docs/input.md#compressed-input): a body sent with
 * Content-Encoding: gzip is inflated first, whatever its form; then the
 * CSV itself (the text/csv body, the multipart "file" part, the
 * input_file) is inflated when it starts with the gzip magic bytes, so a
 * .csv.gz works in every form without any label. Every inflate is capped
 * at MAX_UPLOAD_BYTES of output (lda_gzip). */
#include "lda_input.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lda_clock.h"
#include "lda_event.h"
#include "lda_file.h"
#include "lda_gzip.h"
#include "lda_log.h"
#include "lda_multipart.h"
#include "lda_reqparams.h"
#include "lda_validate.h"

static bool not_found(lda_err *e)
{
    return lda_err_set(e, 404, "input file not found");
}

static size_t upload_cap(const lda_config *cfg)
{
    uint64_t max = cfg->max_upload_bytes;
    return max > SIZE_MAX - 2 ? SIZE_MAX - 2 : (size_t)max;
}

/* One line per inflated input: what it was and what it took. */
static void log_inflated(const lda_req *r, const char *what, size_t from,
                         size_t to, int64_t t0)
{
    lda_log(LDA_INFO, r->request_id, "input inflated",
            json_pack("{s:s,s:I,s:I,s:f}", "what", what, "compressed_bytes",
                      (json_int_t)from, "bytes", (json_int_t)to, "inflate_ms",
                      (double)(lda_mono_us() - t0) / 1000.0));
}

/* When in's CSV is gzip (by its magic bytes), replace it with its
 * inflated bytes; the compressed buffer is freed either way. False with e
 * (400 corrupt or truncated, 413 over the cap, 500) and nothing owned. */
static bool unwrap(const lda_config *cfg, const lda_req *r, const char *what,
                   lda_input *in, lda_err *e)
{
    if (!lda_gzip_magic(in->csv, in->len))
        return true;
    char *out;
    size_t n;
    int64_t t0 = lda_mono_us();
    bool ok = lda_gzip_inflate(in->csv, in->len, upload_cap(cfg), &out, &n, e);
    if (ok)
        log_inflated(r, what, in->len, n, t0);
    free(in->owned);
    in->owned = in->csv = ok ? out : NULL;
    in->len = ok ? n : 0;
    return ok;
}

/* The request's Content-Encoding: 0 none (or identity), 1 gzip (or
 * x-gzip), -1 anything else (several codings included). */
static int body_coding(const lda_req *r)
{
    const char *v = lda_http_param(r, "HTTP_CONTENT_ENCODING");
    if (!v)
        return 0;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (n == 0 || (n == 8 && strncasecmp(v, "identity", 8) == 0))
        return 0;
    if ((n == 4 && strncasecmp(v, "gzip", 4) == 0) ||
        (n == 6 && strncasecmp(v, "x-gzip", 6) == 0))
        return 1;
    return -1;
}

/* A body sent with Content-Encoding: gzip, inflated in place of the
 * body. False with e (and the body freed). */
static bool decode_body(const lda_config *cfg, const lda_req *r, char **body,
                        size_t *len, lda_err *e)
{
    int coding = body_coding(r);
    if (coding == 0)
        return true;
    if (coding < 0) {
        free(*body);
        *body = NULL;
        return lda_err_set(e, 415, "Content-Encoding must be gzip (or none)");
    }
    if (!lda_gzip_magic(*body, *len)) {
        free(*body);
        *body = NULL;
        return lda_err_set(e, 400,
                           "the body is not gzip data, but "
                           "Content-Encoding says gzip");
    }
    lda_input in = {.owned = *body, .csv = *body, .len = *len};
    *body = NULL;
    if (!unwrap(cfg, r, "body", &in, e))
        return false;
    *body = in.owned;
    *len = in.len;
    return true;
}

/* The name of the uploaded file as the client gave it (n bytes at p),
 * without any directory (some clients send a whole path), into in->name
 * when it is 1..255 bytes of UTF-8 without control characters; else the
 * name stays unknown (""). */
static void note_name(lda_input *in, const char *p, size_t n)
{
    for (size_t i = n; i > 0; i--)
        if (p[i - 1] == '/' || p[i - 1] == '\\') {
            p += i;
            n -= i;
            break;
        }
    if (n > 0 && n < sizeof in->name && lda_valid_id(p, n) &&
        lda_valid_utf8(p, n)) {
        memcpy(in->name, p, n);
        in->name[n] = '\0';
    }
}

/* {"input_file": "name", "params": {...}} -> name (a valid bare file
 * name), and the parameters (optional) into in. */
static bool input_name(const char *body, size_t len, char name[256],
                       lda_input *in, lda_reqparams_seen *seen, lda_err *e)
{
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *prm = json_object_get(j, "params");
    json_t *v = json_is_object(j) && json_object_size(j) == 1 + (prm != NULL)
                    ? json_object_get(j, "input_file")
                    : NULL;
    bool ok = json_is_string(v);
    if (ok && prm && !lda_reqparams_json(&in->params, seen, prm, e)) {
        json_decref(j);
        return false;
    }
    size_t n = ok ? json_string_length(v) : 0;
    bool valid = ok && lda_valid_input_name(json_string_value(v), n);
    if (valid)
        memcpy(name, json_string_value(v), n + 1);
    json_decref(j);
    if (!ok)
        return lda_err_set(e, 400,
                           "body must be {\"input_file\": \"<name>.csv\"} "
                           "(and optionally \"params\": {...})");
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
static bool read_file(const lda_config *cfg, const lda_req *r,
                      const char *name, const char *real, lda_input *in,
                      lda_err *e)
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
    unsigned char head[3];
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        pread(fd, head, sizeof head, 0) == (ssize_t)sizeof head &&
        lda_gzip_magic(head, sizeof head)) {
        int64_t t0 = lda_mono_us();
        bool ok = lda_gzip_inflate_fd(fd, upload_cap(cfg), &in->owned,
                                      &in->len, e);
        if (ok)
            log_inflated(r, "input_file", (size_t)st.st_size, in->len, t0);
        close(fd);
        in->csv = in->owned;
        return ok;
    }
    int rc = lda_file_read_fd(fd, upload_cap(cfg), &in->owned, &in->len);
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

static bool input_file(const lda_config *cfg, const lda_req *r,
                       const char *body, size_t len, lda_input *in,
                       lda_reqparams_seen *seen, lda_err *e)
{
    char name[256];
    static char real[PATH_MAX];
    if (!input_name(body, len, name, in, seen, e))
        return false;
    note_name(in, name, strlen(name));
    return resolve(cfg, name, real, e) && read_file(cfg, r, name, real, in, e);
}

typedef struct form_params {
    lda_input *in;
    lda_reqparams_seen *seen;
} form_params;

/* A multipart form field (a part without a filename) other than "file":
 * a parameter. Other file parts are ignored, as they always were. */
static int form_field(const lda_multipart_part *p, void *arg, lda_err *e)
{
    form_params *f = arg;
    if ((p->name_len == 4 && memcmp(p->name, "file", 4) == 0) ||
        p->filename_len > 0)
        return 0;
    return lda_reqparams_one(&f->in->params, f->seen, p->name, p->name_len,
                             p->content, p->len, e)
               ? 0
               : -1;
}

bool lda_input_read(const lda_config *cfg, lda_req *r, lda_input *in,
                    lda_err *e)
{
    char *body = r->body;
    size_t len = r->body_len;
    r->body = NULL;
    in->owned = in->csv = NULL;
    in->len = 0;
    in->name[0] = '\0';
    in->params = cfg->params;
    lda_reqparams_seen seen = 0;
    if (!lda_reqparams_query(&in->params, &seen,
                             lda_http_param(r, "QUERY_STRING"), e)) {
        free(body);
        return false;
    }
    if (!decode_body(cfg, r, &body, &len, e))
        return false;
    if (lda_http_ctype_is(r->content_type, "text/csv")) {
        in->owned = in->csv = body;
        in->len = len;
        return unwrap(cfg, r, "csv", in, e);
    }
    if (lda_http_ctype_is(r->content_type, "multipart/form-data")) {
        const char *part, *fname;
        size_t fnl;
        form_params fp = {in, &seen};
        if (lda_multipart_each(r->content_type, body, len, form_field, &fp,
                               e) < 0 ||
            !lda_multipart_file(r->content_type, body, len, "file", &part,
                                &in->len, &fname, &fnl, e)) {
            free(body);
            return false;
        }
        note_name(in, fname, fnl);
        in->owned = body;
        in->csv = body + (part - body);
        return unwrap(cfg, r, "file part", in, e);
    }
    bool ok = input_file(cfg, r, body, len, in, &seen, e);
    free(body);
    return ok;
}
