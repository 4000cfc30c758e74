/* lda_fcgi_peer: the web server's half of one FastCGI connection, for unit
 * tests of code that takes an lda_req (lda_http.c and its callers).
 *
 * lda_fcgi_peer_run() listens on a unix socket in a fresh temporary
 * directory, connects to it, and from a second thread plays the web
 * server: FCGI_BEGIN_REQUEST (responder, no keep-alive), the parameters as
 * FCGI_PARAMS records and an empty one, the body as FCGI_STDIN records and
 * an empty one, while it collects every FCGI_STDOUT record up to
 * FCGI_END_REQUEST. The calling thread meanwhile accepts the request with
 * FCGX_Accept_r, fills the lda_req fields (lda_http_prepare, as
 * lda_service does), runs the handler, calls FCGX_Finish_r and joins the peer, which
 * shuts its side down after FCGI_END_REQUEST (libfcgi's close waits for
 * that, up to 2 s).
 *
 * The records are encoded here from the FastCGI 1.0 specification, not by
 * libfcgi: 8-byte headers, contents padded to a multiple of 8, name-value
 * pairs with 1-byte lengths below 128 and 4-byte lengths above. Sending and
 * receiving are interleaved (poll), so a handler may write a large reply
 * before, or without, reading a large body. Every wait is bounded (5 s).
 *
 * Not thread-safe: one run at a time (CUnit tests run one at a time). */
#ifndef LDA_FCGI_PEER_H
#define LDA_FCGI_PEER_H
#include <stddef.h>

#include "lda_buf.h"
#include "lda_http.h"

/* The handler run on the accepted request; it may reply, or not. */
typedef void lda_fcgi_handler(lda_req *r, void *arg);

/* Send one request with the CGI parameters params ({name, value, ...,
 * NULL}; NULL = none) and the len bytes of body, run handler(r, arg) on it
 * and append the bytes of the FCGI_STDOUT stream (CGI header block and
 * body) to reply. The PARAMS and STDIN streams are cut into records of
 * at most 65535 content bytes. Returns 0 when the exchange completed
 * (FCGI_END_REQUEST with FCGI_REQUEST_COMPLETE), -1 otherwise, with a
 * line on stderr saying why. */
int lda_fcgi_peer_run(const char *const params[], const void *body, size_t len,
                      lda_fcgi_handler *handler, void *arg, lda_buf *reply);

/* The same with the PARAMS and STDIN streams cut into records of at most
 * chunk content bytes (1..65535; a name-value pair may straddle two
 * records, as the specification allows). */
int lda_fcgi_peer_run_chunked(const char *const params[], const void *body,
                              size_t len, size_t chunk,
                              lda_fcgi_handler *handler, void *arg,
                              lda_buf *reply);

#endif
