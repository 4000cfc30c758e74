/* fuzz_wire: libFuzzer target for the binary internal form decoder
 * lda_wire_decode (src/core/lda_wire.h, docs/api.md#internal-binary-forms:
 * what a detector does with the orchestrator's body).
 *
 * The input bytes are the body (an exact-size heap copy). Checks:
 *   decode   true, or false with e 400 (invalid) or 413 (more than
 *            MAX_EVENTS) and a one-line message (check_err); never a
 *            crash, a leak or a read past the body;
 *   set      on success the finished set has the group order of
 *            docs/detection.md#conventions and every stored field valid
 *            (check_finished);
 *   re-encode  encoding the decoded set and decoding that gives the same
 *            fingerprint, and encoding is stable: a second round writes
 *            the same bytes;
 *   detectors  both detectors agree with the docs/detection.md reference
 *            of fuzz_ref.h on the decoded events.
 * The same bytes are also read as a sequence list (lda_wire_seqs_decode:
 * true, or 400 with a one-line message; on success it re-encodes to bytes
 * that decode to as many sequences, and encoding is stable), as a binary
 * aggregate request (lda_codec_agg_req_from_bin, src/web/lda_codec_agg.h:
 * true, or 400 with a one-line message, never anything else) and as a
 * binary detector answer (lda_codec_res_split, src/web/lda_codec_res.h:
 * the envelope is a slice of the body; what follows it is read as a
 * sequence list, as the orchestrator does). */
#include <stdint.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "lda_codec_agg.h"
#include "lda_codec_res.h"
#include "lda_fingerprint.h"
#include "lda_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 200

static void reencode(const lda_set *s)
{
    char fp[65], fp2[65];
    lda_buf a, b;
    lda_set t;
    lda_buf_init(&a);
    lda_buf_init(&b);
    lda_set_init(&t);
    CHECK(lda_fingerprint(s, fp) == 0, "fingerprint");
    CHECK(lda_wire_encode(s, 7u, &a) == 0, "encode");
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_wire_decode(a.data, a.len, 0, &t, &e);
    if (!ok)
        fprintf(stderr, "fuzz_wire: re-decode: %d %s\n", e.status, e.msg);
    CHECK(ok, "our body decodes");
    CHECK(t.n == s->n, "same events");
    CHECK(lda_set_finish(&t) && lda_fingerprint(&t, fp2) == 0 &&
              memcmp(fp, fp2, 65) == 0,
          "same fingerprint");
    CHECK(lda_wire_encode(&t, 7u, &b) == 0, "encode again");
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0,
          "encoding is stable");
    lda_set_free(&t);
    lda_buf_free(&a);
    lda_buf_free(&b);
}

/* body[start..size) read as one sequence list. */
static void seqlist_at(const char *body, size_t size, size_t start)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    size_t pos = start;
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_wire_seqs_decode(body, size, &pos, &l, &e);
    if (!ok)
        check_err(&e, (const int[]){400}, 1);
    if (ok) {
        CHECK(e.status == 0, "seqs: no error on success");
        CHECK(pos >= start && pos <= size, "seqs: consumed within the body");
        for (size_t i = 0; i < l.n; i++)
            CHECK(l.v[i].start <= l.v[i].end &&
                      l.v[i].orders_off + l.v[i].norders <= l.norders,
                  "seqs: decoded sequence is sane");
        lda_buf b;
        lda_buf_init(&b);
        CHECK(lda_wire_seqs_encode(&l, &b) == 0, "seqs encode");
        lda_seqlist l2;
        lda_seqlist_init(&l2);
        size_t p2 = 0;
        CHECK(lda_wire_seqs_decode(b.data, b.len, &p2, &l2, &e) &&
                  p2 == b.len && l2.n == l.n,
              "seqs: our encoding decodes");
        lda_buf c;
        lda_buf_init(&c);
        CHECK(lda_wire_seqs_encode(&l2, &c) == 0 && c.len == b.len &&
                  memcmp(c.data, b.data, b.len) == 0,
              "seqs: encoding is stable");
        lda_buf_free(&b);
        lda_buf_free(&c);
        lda_seqlist_free(&l2);
    }
    lda_seqlist_free(&l);
}

static void as_seqs(const char *body, size_t size)
{
    seqlist_at(body, size, 0);

    lda_agg_req a;
    lda_codec_agg_req_init(&a);
    lda_err e;
    lda_err_init(&e);
    if (!lda_codec_agg_req_from_bin(body, size, &a, &e))
        check_err(&e, (const int[]){400}, 1);
    else
        CHECK(e.status == 0, "aggregate: no error on success");
    lda_codec_agg_req_free(&a);

    const char *env = NULL;
    size_t env_len = 0, rest = 0;
    if (lda_codec_res_split(body, size, &env, &env_len, &rest)) {
        CHECK(env >= body && env_len <= size &&
                  (size_t)(env - body) + env_len == rest && rest <= size,
              "answer: the envelope is a slice of the body");
        lda_buf f;
        lda_buf_init(&f);
        lda_codec_res_frame(&f, env, env_len);
        const char *env2 = NULL;
        size_t env2_len = 0, rest2 = 0;
        CHECK(!f.oom &&
                  lda_codec_res_split(f.data, f.len, &env2, &env2_len,
                                      &rest2) &&
                  env2_len == env_len && rest2 == f.len &&
                  memcmp(env2, env, env_len) == 0,
              "answer: the envelope framed again splits back");
        lda_buf_free(&f);
        if (rest < size)
            seqlist_at(body, size, rest);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    CHECK(body != NULL, "malloc");
    memcpy(body, data, size);
    lda_set set;
    lda_set_init(&set);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_wire_decode(body, size, MAX_EVENTS, &set, &e);
    as_seqs(body, size);
    free(body);
    if (!ok)
        check_err(&e, (const int[]){400, 413}, 2);
    if (ok) {
        CHECK(e.status == 0, "no error on success");
        CHECK(set.n <= MAX_EVENTS, "max events");
        CHECK(lda_set_finish(&set), "finish");
        check_finished(&set);
        reencode(&set);
        lda_seqlist lay, wash;
        check_default_detectors(&set, &lay, &wash);
        lda_seqlist_free(&lay);
        lda_seqlist_free(&wash);
    }
    lda_set_free(&set);
    return 0;
}
