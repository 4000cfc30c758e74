/* fuzz_wire: libFuzzer target for the binary internal form decoder
 * lda_wire_decode (what a detector does with the orchestrator's body).
 *
 * The input bytes are the body (an exact-size heap copy). Checks:
 *   decode   OK, INVALID with a one-line reason, or TOO_MANY (more than
 *            MAX_EVENTS); never a crash, a leak or a read past the body;
 *   set      on OK the finished set has SPEC §3's group order and every
 *            stored field valid (check_finished);
 *   re-encode  encoding the decoded set and decoding that gives the same
 *            fingerprint, and encoding is stable: a second round writes
 *            the same bytes;
 *   detectors  both detectors agree with the SPEC reference of fuzz_ref.h
 *            on the decoded events.
 * The same bytes are also read as a sequence list (lda_wire_seqs_decode:
 * on success it re-encodes to exactly the bytes it consumed) and as a
 * binary aggregate request (lda_codec_agg_req_from_bin: 0 or -1 with a
 * one-line error, never anything else). */
#include <stdint.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "lda_codec.h"
#include "lda_fingerprint.h"
#include "lda_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 200

static void reencode(const lda_set *s)
{
    char fp[65], fp2[65], err[160];
    lda_buf a, b;
    lda_set t;
    lda_buf_init(&a);
    lda_buf_init(&b);
    lda_set_init(&t);
    CHECK(lda_fingerprint(s, fp) == 0, "fingerprint");
    CHECK(lda_wire_encode(s, 7u, &a) == 0, "encode");
    CHECK(lda_wire_decode(a.data, a.len, 0, &t, err, sizeof err) ==
              LDA_WIRE_OK,
          "our body decodes");
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

static void as_seqs(const char *body, size_t size)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    size_t pos = 0;
    char err[160] = "";
    lda_wire_status st =
        lda_wire_seqs_decode(body, size, &pos, &l, err, sizeof err);
    CHECK(st == LDA_WIRE_OK || st == LDA_WIRE_INVALID, "seqs status");
    if (st == LDA_WIRE_INVALID)
        CHECK(one_line(err, sizeof err), "seqs error is one line");
    if (st == LDA_WIRE_OK) {
        CHECK(pos <= size, "seqs: consumed within the body");
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
        CHECK(lda_wire_seqs_decode(b.data, b.len, &p2, &l2, err,
                                   sizeof err) == LDA_WIRE_OK &&
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

    lda_agg_req a;
    lda_agg_req_init(&a);
    char aerr[LDA_AGG_ERROR_MAX] = "";
    int rc = lda_codec_agg_req_from_bin(body, size, &a, aerr, sizeof aerr);
    CHECK(rc == 0 || rc == -1, "aggregate status");
    if (rc == -1)
        CHECK(one_line(aerr, sizeof aerr), "aggregate error is one line");
    lda_agg_req_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    CHECK(body != NULL, "malloc");
    memcpy(body, data, size);
    lda_set set;
    lda_set_init(&set);
    char err[160] = "";
    lda_wire_status st =
        lda_wire_decode(body, size, MAX_EVENTS, &set, err, sizeof err);
    as_seqs(body, size);
    free(body);
    CHECK(st == LDA_WIRE_OK || st == LDA_WIRE_INVALID ||
              st == LDA_WIRE_TOO_MANY,
          "status (NOMEM on a small input)");
    if (st != LDA_WIRE_OK)
        CHECK(one_line(err, sizeof err), "error is one non-empty line");
    if (st == LDA_WIRE_OK) {
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
