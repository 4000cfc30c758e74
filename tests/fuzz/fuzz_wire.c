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
 *            on the decoded events. */
#include <stdint.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
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
        lda_params p;
        lda_params_default(&p);
        lda_seqlist lay, wash;
        lda_seqlist_init(&lay);
        lda_seqlist_init(&wash);
        check_detectors(&set, &p, &lay, &wash);
        lda_seqlist_free(&lay);
        lda_seqlist_free(&wash);
    }
    lda_set_free(&set);
    return 0;
}
