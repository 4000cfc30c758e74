/* fuzz_detect_json: libFuzzer target for the detector request decoder
 * lda_codec_detect_req_from_json (SPEC §5.2, JSON form) and what a
 * detector does with a decoded request.
 *
 * The input bytes are the request body (an exact-size heap copy). Checks:
 *   decode   the result is 0, -1 (with a one-line error) or -2 (more than
 *            max_events); on 0 the request id is a lowercase UUID, the
 *            fingerprint 64 lowercase hex, and every event valid;
 *   events CSV  the internal CSV form of the set (orchestrator -> detector,
 *            lda_codec_events_csv) read back with lda_csv_load gives the
 *            same events: no reject, same count, same fingerprint; the
 *            TRADE_EXECUTED-only form (what detect-wash receives) gives
 *            exactly the trades;
 *   results  both detectors' sequences (shape checks, and equal to the
 *            SPEC reference of fuzz_ref.h), encoded with
 *            lda_codec_seqlist_to_json, dumped to text and decoded again
 *            with lda_codec_seqlist_from_json, come back identical
 *            (detector -> aggregator hop). */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "lda_codec.h"
#include "lda_csv.h"
#include "lda_fingerprint.h"
#include "lda_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 200

/* Load csv (len bytes) into a fresh set; returns the status. */
static lda_load_status reload(const lda_buf *csv, lda_set *out,
                              lda_rejects *rej)
{
    char *copy = malloc(csv->len ? csv->len : 1);
    CHECK(copy != NULL, "malloc");
    memcpy(copy, csv->data, csv->len);
    char err[256];
    lda_set_init(out);
    lda_load_status st = lda_csv_load(copy, csv->len, 0, out, rej, err,
                                      sizeof err);
    free(copy);
    return st;
}

static void check_events_csv(const lda_set *s)
{
    static lda_rejects rej;
    char hex[65], hex2[65];
    CHECK(lda_fingerprint(s, hex) == 0, "fingerprint");

    lda_buf csv;
    lda_buf_init(&csv);
    CHECK(lda_codec_events_csv(s, 7u, &csv) == 0, "events csv");
    lda_set t;
    CHECK(reload(&csv, &t, &rej) == LDA_LOAD_OK, "events csv loads");
    CHECK(rej.count == 0 && t.n == s->n, "events csv: every event, no reject");
    CHECK(lda_set_finish(&t) && lda_fingerprint(&t, hex2) == 0,
          "events csv: fingerprint");
    CHECK(memcmp(hex, hex2, 65) == 0, "events csv keeps the fingerprint");
    lda_set_free(&t);

    size_t trades = 0;
    for (size_t i = 0; i < s->n; i++)
        trades += s->ev[i].type == LDA_TRADE;
    lda_buf_reset(&csv);
    CHECK(lda_codec_events_csv(s, 1u << LDA_TRADE, &csv) == 0,
          "trades csv");
    lda_load_status st = reload(&csv, &t, &rej);
    CHECK(trades ? st == LDA_LOAD_OK && t.n == trades && rej.count == 0
                 : st == LDA_LOAD_NO_EVENTS,
          "trades csv holds exactly the trades");
    for (size_t i = 0; i < t.n; i++)
        CHECK(t.ev[i].type == LDA_TRADE, "trades csv: only trades");
    lda_set_free(&t);
    lda_buf_free(&csv);
}

/* l -> JSON text -> l2: identical sequences in the same order. */
static void check_seq_json(const lda_seqlist *l)
{
    json_t *j = lda_codec_seqlist_to_json(l);
    CHECK(j != NULL, "seqlist to json");
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    CHECK(text != NULL, "json_dumps");
    json_error_t jerr;
    json_t *back = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    CHECK(back != NULL, "our JSON parses");
    lda_seqlist l2;
    lda_seqlist_init(&l2);
    char err[256] = "";
    int rc = lda_codec_seqlist_from_json(back, &l2, err, sizeof err);
    if (rc)
        fprintf(stderr, "fuzz_detect_json: decode: %s\n", err);
    CHECK(rc == 0, "our results decode");
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
    char err[256] = "";
    int rc = lda_codec_detect_req_from_json(body, size, MAX_EVENTS, &req,
                                            &set, err, sizeof err);
    free(body);
    CHECK(rc == 0 || rc == -1 || rc == -2, "status (OOM on a small input)");
    if (rc != 0)
        CHECK(one_line(err, sizeof err), "error is one non-empty line");
    if (rc == 0) {
        CHECK(req.request_id[36] == '\0' &&
                  lda_valid_uuid(req.request_id, 36),
              "request id is a UUID");
        for (size_t i = 0; i < 36; i++)
            CHECK(!(req.request_id[i] >= 'A' && req.request_id[i] <= 'F'),
                  "request id lowercased");
        CHECK(req.fingerprint[64] == '\0' &&
                  lda_valid_fingerprint(req.fingerprint, 64),
              "fingerprint is 64 lowercase hex");
        CHECK(set.n <= MAX_EVENTS, "max events");
    }
    if (rc == 0 && set.n > 0) {
        CHECK(lda_set_finish(&set), "finish");
        check_finished(&set);
        check_events_csv(&set);
        lda_params p;
        lda_params_default(&p);
        lda_seqlist lay, wash;
        lda_seqlist_init(&lay);
        lda_seqlist_init(&wash);
        check_detectors(&set, &p, &lay, &wash);
        check_seq_json(&lay);
        check_seq_json(&wash);
        lda_seqlist_free(&lay);
        lda_seqlist_free(&wash);
    }
    lda_set_free(&set);
    return 0;
}
