/* lda_err: the one error type (see lda_err.h). Plain formatting into fixed
 * buffers, truncated, never failing. */
#include "lda_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int status;
    const char *text;
} msgs[LDA_MSG_COUNT] = {
    [LDA_MSG_NOMEM] = {500, "out of memory"},
    [LDA_MSG_INTERNAL] = {500, "internal error"},
    [LDA_MSG_NOT_FOUND] = {404, "not found"},
    [LDA_MSG_METHOD] = {405, "method not allowed"},
    [LDA_MSG_UNAUTHORISED] = {401, "missing or invalid API key"},
    [LDA_MSG_BODY_INCOMPLETE] = {400, "incomplete request body"},
};

void lda_err_init(lda_err *e)
{
    e->status = 0;
    e->headers[0] = '\0';
    e->msg[0] = '\0';
    e->detail[0] = '\0';
}

bool lda_err_set(lda_err *e, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->status = status;
    return false;
}

bool lda_err_msg(lda_err *e, lda_msg m)
{
    return lda_err_set(e, msgs[m].status, "%s", msgs[m].text);
}

bool lda_err_detail(lda_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return false;
}

bool lda_err_headers(lda_err *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->headers, sizeof e->headers, fmt, ap);
    va_end(ap);
    return false;
}

void lda_err_prefix(lda_err *e, const char *prefix)
{
    char tmp[LDA_ERR_MSG_MAX];
    snprintf(tmp, sizeof tmp, "%s%s", prefix, e->msg);
    memcpy(e->msg, tmp, sizeof tmp);
}

const char *lda_err_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 507:
        return "Insufficient Storage";
    default:
        return "Status";
    }
}
