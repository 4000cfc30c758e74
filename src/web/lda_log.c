/* lda_log: JSON-line logs on stderr (docs/api.md#logs). Each line is built
 * whole and written with one write(2) so lines from the processes sharing
 * lighttpd's error log never interleave. */
#include "lda_log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lda_clock.h"
#include "lda_time.h"

static const char *log_service = "lda";

static const lda_trace *log_trace;

void lda_log_init(const char *service)
{
    log_service = service;
}

void lda_log_trace(const lda_trace *t)
{
    log_trace = t;
}

void lda_log(lda_level lv, const char *request_id, const char *msg,
             json_t *fields)
{
    static const char *const levels[] = {"info", "warn", "error"};
    char ts[LDA_TIME_MAX];
    lda_time_format(lda_now_us(), ts);
    json_t *o = json_object();
    if (o) {
        json_object_set_new(o, "ts", json_string(ts));
        json_object_set_new(o, "level", json_string(levels[lv]));
        json_object_set_new(o, "service", json_string(log_service));
        json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
        json_object_set_new(o, "request_id",
                            request_id ? json_string(request_id)
                                       : json_null());
        if (log_trace) {
            json_object_set_new(o, "trace_id",
                                json_string(log_trace->trace_id));
            json_object_set_new(o, "span_id", json_string(log_trace->span_id));
        }
        json_object_set_new(o, "msg", json_string(msg));
        if (fields)
            json_object_update(o, fields);
    }
    json_decref(fields);
    char *line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!line)
        return;
    size_t n = strlen(line);
    char *buf = realloc(line, n + 2);
    if (buf) {
        buf[n] = '\n';
        ssize_t w = write(STDERR_FILENO, buf, n + 1);
        (void)w;
        free(buf);
    } else {
        free(line);
    }
}
