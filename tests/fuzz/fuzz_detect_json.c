/* fuzz_detect_json: libFuzzer target for the detector request decoder
 * lda_codec_detect_req_from_json (src/web/lda_codec_detect.h, the JSON form
 * of docs/api.md#detector-request) and what a detector does with a decoded
 * request.
 *
 * The input bytes are the request body (an exact-size heap copy). Checks:
 *   decode   true, or false with e 400 or 413 (more than max_events; the
 *            set then holds at most max_events) and a one-line message
 *            (check_err); on true the request id is a lowercase version-4
 *            UUID, the fingerprint 64 lowercase hex, and every event
 *            valid;
 *   wire     the binary internal form of the set (orchestrator ->
 *            detector, lda_wire_encode) decoded with lda_wire_decode gives
 *            the same events: same count, same fingerprint; the
 *            TRADE_EXECUTED-only form (what detect-wash receives) gives
 *            exactly the trades, with the trades-only fingerprint;
 *   results  both detectors' sequences (shape checks, and equal to the
 *            docs/detection.md reference of fuzz_ref.h), written with
 *            lda_codec_seqlist_text (src/web/lda_codec_seq.h), parsed by
 *            jansson and decoded again with lda_codec_seqlist_from_json,
 *            come back identical (detector -> aggregator hop). */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "lda_codec_detect.h"
#include "lda_codec_seq.h"
#include "lda_csv.h"
#include "lda_fingerprint.h"
#include "lda_validate.h"
#include "lda_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 200

/* s encoded with mask and decoded: the masked events, the masked
 * fingerprint. */
static void check_wire_mask(const lda_set *s, unsigned mask)
{
    char want[65], got[65];
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += (mask >> s->ev[i].type) & 1u;
    lda_buf b;
    lda_buf_init(&b);
    CHECK(lda_wire_encode(s, mask, &b) == 0, "wire encode");
    lda_set t;
    lda_set_init(&t);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_wire_decode(b.data, b.len, MAX_EVENTS, &t, &e);
    if (!ok)
        fprintf(stderr, "fuzz_detect_json: wire decode: %d %s\n", e.status,
                e.msg);
    CHECK(ok, "our wire body decodes");
    CHECK(t.n == n, "wire: the masked events");
    CHECK(lda_set_finish(&t), "wire: finish");
    check_finished(&t);
    CHECK(lda_fingerprint_mask(s, mask, want) == 0 &&
              lda_fingerprint(&t, got) == 0 && memcmp(want, got, 65) == 0,
          "wire keeps the (masked) fingerprint");
    for (size_t i = 0; i < t.n; i++)
        CHECK((mask >> t.ev[i].type) & 1u, "wire: only masked types");
    lda_set_free(&t);
    lda_buf_free(&b);
}

static void check_events_wire(const lda_set *s)
{
    check_wire_mask(s, 7u);
    check_wire_mask(s, 1u << LDA_TRADE);
}

/* l -> JSON text -> l2: identical sequences in the same order. */
static void check_seq_json(const lda_seqlist *l)
{
    lda_buf text;
    lda_buf_init(&text);
    CHECK(lda_codec_seqlist_text(l, &text) == 0, "seqlist to JSON text");
    json_error_t jerr;
    json_t *back = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES,
                              &jerr);
    lda_buf_free(&text);
    CHECK(back != NULL, "our JSON parses");
    lda_seqlist l2;
    lda_seqlist_init(&l2);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_codec_seqlist_from_json(back, "results", &l2, &e);
    if (!ok)
        fprintf(stderr, "fuzz_detect_json: decode: %d %s\n", e.status, e.msg);
    CHECK(ok, "our results decode");
    CHECK(l2.n == l->n, "same number of sequences");
    for (size_t i = 0; i < l->n; i++)
        CHECK(same_seq(l, &l->v[i], &l2, &l2.v[i]),
              "sequence survives the JSON round trip");
    json_decref(back);
    lda_seqlist_free(&l2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    lda_detect_req req;
    memset(&req, 0x55, sizeof req);
    lda_set set;
    lda_set_init(&set);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_codec_detect_req_from_json(body, size, MAX_EVENTS, &req,
                                             &set, &e);
    free(body);
    if (!ok) {
        check_err(&e, (const int[]){400, 413}, 2);
        CHECK(set.n <= MAX_EVENTS, "at most max events, even on 413");
    }
    if (ok) {
        CHECK(e.status == 0, "no error on success");
        CHECK(req.request_id[36] == '\0' &&
                  !lda_valid_request_id(req.request_id, 36),
              "request id is a version-4 UUID");
        for (size_t i = 0; i < 36; i++)
            CHECK(!(req.request_id[i] >= 'A' && req.request_id[i] <= 'F'),
                  "request id lowercased");
        CHECK(req.fingerprint[64] == '\0' &&
                  lda_valid_fingerprint(req.fingerprint, 64),
              "fingerprint is 64 lowercase hex");
        CHECK(set.n <= MAX_EVENTS, "max events");
    }
    if (ok && set.n > 0) {
        CHECK(lda_set_finish(&set), "finish");
        check_finished(&set);
        check_events_wire(&set);
        lda_seqlist lay, wash;
        check_default_detectors(&set, &lay, &wash);
        check_seq_json(&lay);
        check_seq_json(&wash);
        lda_seqlist_free(&lay);
        lda_seqlist_free(&wash);
    }
    lda_set_free(&set);
    return 0;
}
