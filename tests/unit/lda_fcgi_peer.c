/* lda_fcgi_peer: a test-side FastCGI web server for one request (see
 * lda_fcgi_peer.h).
 *
 * The whole byte stream the peer sends (BEGIN_REQUEST, PARAMS, STDIN) is
 * encoded up front in the calling thread. The client socket is connected
 * there too (a unix-socket connect completes from the listen backlog), so
 * FCGX_Accept_r never waits for a thread that failed to start. The peer
 * thread then only moves bytes: poll() for both directions, send what is
 * left, receive and decode records until FCGI_END_REQUEST. It never calls
 * CUnit (not thread-safe); the caller reports its outcome. */
#include "lda_fcgi_peer.h"

#include <errno.h>
#include <fcgiapp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>


/* FastCGI 1.0 record types and constants (specification section 8). */
enum {
    FCGI_V1 = 1,
    FCGI_BEGIN_REQUEST = 1,
    FCGI_END_REQUEST = 3,
    FCGI_PARAMS = 4,
    FCGI_STDIN = 5,
    FCGI_STDOUT = 6,
    FCGI_STDERR = 7,
    FCGI_RESPONDER = 1,
    FCGI_REQUEST_COMPLETE = 0
};

#define PEER_REQUEST_ID 1
#define PEER_MAX_CONTENT 65535
#define PEER_TIMEOUT_MS 5000

/* One record: header, content, zero padding up to a multiple of 8. */
static void put_record(lda_buf *out, int type, const void *content, size_t n)
{
    static const unsigned char zeros[8];
    size_t pad = (8 - n % 8) % 8;
    unsigned char h[8] = {
        FCGI_V1,
        (unsigned char)type,
        (unsigned char)(PEER_REQUEST_ID >> 8),
        (unsigned char)(PEER_REQUEST_ID & 0xFF),
        (unsigned char)(n >> 8),
        (unsigned char)(n & 0xFF),
        (unsigned char)pad,
        0,
    };
    lda_buf_add(out, h, sizeof h);
    if (n)
        lda_buf_add(out, content, n);
    if (pad)
        lda_buf_add(out, zeros, pad);
}

/* A stream: records of at most chunk bytes, then the empty record that
 * ends it. */
static void put_stream(lda_buf *out, int type, const void *data, size_t n,
                       size_t chunk)
{
    const unsigned char *p = data;
    while (n) {
        size_t k = n < chunk ? n : chunk;
        put_record(out, type, p, k);
        p += k;
        n -= k;
    }
    put_record(out, type, NULL, 0);
}

/* A name-value length: one byte below 128, else four with the top bit
 * set (lengths up to 2^31 - 1). */
static void put_nv_length(lda_buf *b, size_t n)
{
    if (n < 128) {
        lda_buf_addc(b, (char)n);
        return;
    }
    unsigned char l[4] = {
        (unsigned char)(0x80 | ((n >> 24) & 0x7F)),
        (unsigned char)((n >> 16) & 0xFF),
        (unsigned char)((n >> 8) & 0xFF),
        (unsigned char)(n & 0xFF),
    };
    lda_buf_add(b, l, sizeof l);
}

/* Everything the web server sends for the request. */
static int encode_request(lda_buf *out, const char *const params[],
                          const void *body, size_t len, size_t chunk)
{
    unsigned char begin[8] = {0, FCGI_RESPONDER, 0 /* no keep-alive */};
    put_record(out, FCGI_BEGIN_REQUEST, begin, sizeof begin);
    lda_buf nv;
    lda_buf_init(&nv);
    for (size_t i = 0; params && params[i]; i += 2) {
        const char *name = params[i], *value = params[i + 1];
        if (!value) {
            fprintf(stderr, "fcgi peer: parameter %s has no value\n", name);
            lda_buf_free(&nv);
            return -1;
        }
        size_t nn = strlen(name), vn = strlen(value);
        put_nv_length(&nv, nn);
        put_nv_length(&nv, vn);
        lda_buf_add(&nv, name, nn);
        lda_buf_add(&nv, value, vn);
    }
    put_stream(out, FCGI_PARAMS, nv.data, nv.len, chunk);
    bool nv_oom = nv.oom;
    lda_buf_free(&nv);
    put_stream(out, FCGI_STDIN, body, len, chunk);
    if (out->oom || nv_oom) {
        fprintf(stderr, "fcgi peer: out of memory\n");
        return -1;
    }
    return 0;
}

/* The peer thread's state. */
typedef struct peer {
    int fd;
    const unsigned char *out;
    size_t out_len, sent;
    lda_buf in; /* received, not yet decoded from `used` */
    size_t used;
    lda_buf *reply;
    bool ended; /* FCGI_END_REQUEST seen */
    uint32_t app_status;
    int protocol_status;
    char err[160];
} peer;

/* Decode the complete records received so far. -1 on a protocol error. */
static int decode(peer *p)
{
    while (!p->ended && p->in.len - p->used >= 8) {
        const unsigned char *h = (const unsigned char *)p->in.data + p->used;
        size_t n = (size_t)h[4] << 8 | h[5];
        size_t total = 8 + n + h[6];
        if (p->in.len - p->used < total)
            break;
        unsigned id = (unsigned)h[2] << 8 | h[3];
        const unsigned char *c = h + 8;
        if (h[0] != FCGI_V1 || id != PEER_REQUEST_ID) {
            snprintf(p->err, sizeof p->err,
                     "record of version %u, request id %u", h[0], id);
            return -1;
        }
        switch (h[1]) {
        case FCGI_STDOUT:
            lda_buf_add(p->reply, c, n);
            break;
        case FCGI_STDERR:
            fprintf(stderr, "fcgi peer: application stderr: %.*s\n", (int)n,
                    (const char *)c);
            break;
        case FCGI_END_REQUEST:
            if (n != 8) {
                snprintf(p->err, sizeof p->err,
                         "FCGI_END_REQUEST of %zu bytes", n);
                return -1;
            }
            p->app_status = (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 |
                            (uint32_t)c[2] << 8 | c[3];
            p->protocol_status = c[4];
            p->ended = true;
            break;
        default:
            snprintf(p->err, sizeof p->err, "unexpected record type %u", h[1]);
            return -1;
        }
        p->used += total;
    }
    return 0;
}

/* Send what is left and receive until FCGI_END_REQUEST (or failure:
 * p->err). */
static void peer_loop(peer *p)
{
    char tmp[16384];
    while (!p->ended) {
        struct pollfd pfd = {p->fd, POLLIN, 0};
        if (p->sent < p->out_len)
            pfd.events |= POLLOUT;
        int rc = poll(&pfd, 1, PEER_TIMEOUT_MS);
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc <= 0) {
            snprintf(p->err, sizeof p->err, "%s",
                     rc ? strerror(errno) : "timed out");
            return;
        }
        if (p->sent < p->out_len && (pfd.revents & (POLLOUT | POLLERR))) {
            ssize_t k = send(p->fd, p->out + p->sent, p->out_len - p->sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            if (k >= 0)
                p->sent += (size_t)k;
            else if (errno == EPIPE || errno == ECONNRESET)
                p->sent = p->out_len; /* it stopped reading: fine */
            else if (errno != EAGAIN && errno != EINTR) {
                snprintf(p->err, sizeof p->err, "send: %s", strerror(errno));
                return;
            }
        }
        if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t k = recv(p->fd, tmp, sizeof tmp, MSG_DONTWAIT);
            if (k == 0) {
                snprintf(p->err, sizeof p->err,
                         "connection closed before FCGI_END_REQUEST");
                return;
            }
            if (k < 0) {
                if (errno == EAGAIN || errno == EINTR)
                    continue;
                snprintf(p->err, sizeof p->err, "recv: %s", strerror(errno));
                return;
            }
            lda_buf_add(&p->in, tmp, (size_t)k);
            if (p->in.oom || p->reply->oom) {
                snprintf(p->err, sizeof p->err, "out of memory");
                return;
            }
            if (decode(p) < 0)
                return;
        }
    }
    if (p->protocol_status != FCGI_REQUEST_COMPLETE)
        snprintf(p->err, sizeof p->err, "protocol status %d",
                 p->protocol_status);
}

static void *peer_main(void *arg)
{
    peer *p = arg;
    peer_loop(p);
    /* Done, as a web server without keep-alive is: libfcgi's close waits
       (up to 2 s) for the end of our side after FCGI_END_REQUEST. On
       failure, the application's reads and writes end now instead of
       blocking on a peer that stopped. */
    shutdown(p->fd, p->err[0] ? SHUT_RDWR : SHUT_WR);
    return NULL;
}

/* A listening unix socket at dir/s (dir created); -1 on failure. */
static int listen_in(char *dir, struct sockaddr_un *sa)
{
    if (!mkdtemp(dir)) {
        fprintf(stderr, "fcgi peer: mkdtemp: %s\n", strerror(errno));
        return -1;
    }
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof sa->sun_path, "%s/s", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof *sa) != 0 ||
        listen(fd, 1) != 0) {
        fprintf(stderr, "fcgi peer: listen: %s\n", strerror(errno));
        if (fd >= 0)
            close(fd);
        unlink(sa->sun_path);
        rmdir(dir);
        return -1;
    }
    return fd;
}

/* Accept the request in this thread, run the handler, finish it. 0 when
 * the handler ran, -1 when it did not, -2 when nothing was accepted. */
static int serve(int lfd, lda_fcgi_handler *handler, void *arg)
{
    static lda_req r; /* large (path buffer); one run at a time */
    memset(&r, 0, sizeof r);
    if (FCGX_InitRequest(&r.fcgx, lfd, 0) != 0) {
        fprintf(stderr, "fcgi peer: FCGX_InitRequest failed\n");
        return -2;
    }
    if (FCGX_Accept_r(&r.fcgx) < 0) {
        fprintf(stderr, "fcgi peer: FCGX_Accept_r failed\n");
        FCGX_Free(&r.fcgx, 1);
        return -2;
    }
    lda_err e;
    lda_err_init(&e);
    int rc = lda_http_prepare(&r, &e) ? 0 : -1;
    if (rc != 0)
        fprintf(stderr, "fcgi peer: %s\n", e.msg);
    else if (handler)
        handler(&r, arg);
    FCGX_Finish_r(&r.fcgx);
    return rc;
}

int lda_fcgi_peer_run_chunked(const char *const params[], const void *body,
                              size_t len, size_t chunk,
                              lda_fcgi_handler *handler, void *arg,
                              lda_buf *reply)
{
    if (chunk < 1 || chunk > PEER_MAX_CONTENT) {
        fprintf(stderr, "fcgi peer: record size %zu not in 1..%d\n", chunk,
                PEER_MAX_CONTENT);
        return -1;
    }
    if (FCGX_Init() != 0) {
        fprintf(stderr, "fcgi peer: FCGX_Init failed\n");
        return -1;
    }
    lda_buf out;
    lda_buf_init(&out);
    if (encode_request(&out, params, body, len, chunk) != 0) {
        lda_buf_free(&out);
        return -1;
    }
    char dir[] = "/tmp/lda-unit-fcgi-XXXXXX";
    struct sockaddr_un sa;
    int lfd = listen_in(dir, &sa);
    int cfd = lfd < 0 ? -1 : socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = -1;
    if (cfd >= 0 && connect(cfd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        peer p = {.fd = cfd,
                  .out = (const unsigned char *)out.data,
                  .out_len = out.len,
                  .reply = reply};
        lda_buf_init(&p.in);
        pthread_t t;
        if (pthread_create(&t, NULL, peer_main, &p) == 0) {
            int served = serve(lfd, handler, arg);
            /* Wakes the peer if the request was never accepted. */
            if (served == -2)
                shutdown(cfd, SHUT_RDWR);
            pthread_join(t, NULL);
            if (p.err[0])
                fprintf(stderr, "fcgi peer: %s\n", p.err);
            rc = served == 0 && !p.err[0] ? 0 : -1;
        } else
            fprintf(stderr, "fcgi peer: pthread_create failed\n");
        lda_buf_free(&p.in);
    } else if (lfd >= 0)
        fprintf(stderr, "fcgi peer: connect: %s\n", strerror(errno));
    if (cfd >= 0)
        close(cfd);
    if (lfd >= 0) {
        close(lfd);
        unlink(sa.sun_path);
        rmdir(dir);
    }
    lda_buf_free(&out);
    return rc;
}

int lda_fcgi_peer_run(const char *const params[], const void *body, size_t len,
                      lda_fcgi_handler *handler, void *arg, lda_buf *reply)
{
    return lda_fcgi_peer_run_chunked(params, body, len, PEER_MAX_CONTENT,
                                     handler, arg, reply);
}
