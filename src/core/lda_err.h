/* lda_err: the one error type of the product. An error is an HTTP status,
 * words safe to show to whoever sent the request, and a detail for the log
 * only. Every layer that can refuse something (decoders, the request
 * boundary, the handlers) fills an lda_err and returns false; exactly one
 * function (lda_service's reply) turns it into an answer, so a message never
 * carries a path, a library's text or a stack: those go to the detail.
 *
 * The words the programs share live in one table (lda_err_msg); words of a
 * single decoder are written where the decoder finds the fault. */
#ifndef LDA_ERR_H
#define LDA_ERR_H
#include <stdbool.h>

#define LDA_ERR_MSG_MAX 256
#define LDA_ERR_DETAIL_MAX 256

typedef struct lda_err {
    int status;                      /* HTTP status; 0 = no error */
    char headers[128];               /* extra reply headers: complete
                                         "Name: value\r\n" lines (Allow,
                                         Retry-After), or "" */
    char msg[LDA_ERR_MSG_MAX];       /* safe to show */
    char detail[LDA_ERR_DETAIL_MAX]; /* for the log, "" when none */
} lda_err;

/* The shared messages. */
typedef enum lda_msg {
    LDA_MSG_NOMEM,           /* 500 "out of memory" */
    LDA_MSG_INTERNAL,        /* 500 "internal error" */
    LDA_MSG_NOT_FOUND,       /* 404 "not found" */
    LDA_MSG_METHOD,          /* 405 "method not allowed" */
    LDA_MSG_UNAUTHORISED,    /* 401 "missing or invalid API key" */
    LDA_MSG_BODY_INCOMPLETE, /* 400 "incomplete request body" */
    LDA_MSG_COUNT
} lda_msg;

/* An empty error (status 0). */
void lda_err_init(lda_err *e);
/* Set status and printf-style safe words; always returns false, so that a
 * decoder can `return lda_err_set(e, 400, "...")`. */
bool lda_err_set(lda_err *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set one of the shared messages with its status; returns false. */
bool lda_err_msg(lda_err *e, lda_msg m);
/* Set the log-only detail (printf-style); returns false. */
bool lda_err_detail(lda_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set the extra reply headers (printf-style, complete lines); returns
 * false. */
bool lda_err_headers(lda_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Put prefix in front of the message ("invalid event body: " + msg). */
void lda_err_prefix(lda_err *e, const char *prefix);
/* The status line text of an HTTP status ("Not Found"); "Status" when
 * unknown. */
const char *lda_err_status_text(int status);
#endif
