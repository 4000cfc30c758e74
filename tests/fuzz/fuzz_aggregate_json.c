/* fuzz_aggregate_json: libFuzzer target for the aggregate request decoder
 * lda_codec_agg_req_from_json (src/web/lda_codec_agg.h,
 * docs/api.md#aggregate-request) and the aggregator's work on a valid
 * request: merge (docs/detection.md#merge) and both reports
 * (docs/reports.md).
 *
 * The input bytes are the request body, parsed as the aggregator does
 * (json_loadb, JSON_REJECT_DUPLICATES). Checks:
 *   decode   true, or false with a 400 and a one-line message
 *            (check_err); on true the request id is a lowercase
 *            version-4 UUID, every fixed-size text (invalid, status,
 *            error, fingerprint) is NUL-terminated and valid UTF-8, the
 *            fingerprint empty or 64 lowercase hex, and every decoded
 *            sequence has valid ids and start <= end;
 *   round trip  each decoded result list, encoded again
 *            (lda_codec_seqlist_text, src/web/lda_codec_seq.h) and
 *            decoded, gives the same number of sequences;
 *   aggregate   when the request is valid (invalid == ""), the successful
 *            lists are merged and written as both reports, under the
 *            merge and report invariants of fuzz_check.h. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_check.h"
#include "lda_codec_agg.h"
#include "lda_codec_seq.h"
#include "lda_report.h"
#include "lda_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t cap, const char *what)
{
    size_t n = strnlen(s, cap);
    CHECK(n < cap, what);
    CHECK(lda_valid_utf8(s, n), what);
}

static void check_list(const lda_seqlist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        const lda_seq *q = &l->v[i];
        CHECK(q->key < l->nkeys, "key index");
        const lda_seqkey *k = &l->keys[q->key];
        CHECK(lda_valid_id(l->text.data + k->acc_off, k->acc_len) &&
                  lda_valid_id(l->text.data + k->prod_off, k->prod_len),
              "decoded ids valid");
        CHECK(q->start <= q->end, "decoded start <= end");
        CHECK(q->dtype == LDA_LAYERING || q->dtype == LDA_WASH, "type");
        CHECK(q->orders_off + q->norders <= l->norders, "orders in pool");
        CHECK(q->dtype == LDA_LAYERING
                  ? (q->side == LDA_BUY || q->side == LDA_SELL) &&
                        !q->has_alt && !q->has_pc
                  : q->side == LDA_SIDE_NULL && q->norders == 0 && q->has_alt,
              "nulls where docs/api.md#suspicious-sequence-json puts them");
    }
    lda_buf text;
    lda_buf_init(&text);
    CHECK(lda_codec_seqlist_text(l, &text) == 0, "encode decoded list");
    json_t *j = json_loadb(text.data, text.len, 0, NULL);
    lda_buf_free(&text);
    CHECK(j != NULL, "our JSON text parses");
    lda_seqlist l2;
    lda_seqlist_init(&l2);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_codec_seqlist_from_json(j, "results", &l2, &e);
    if (!ok)
        fprintf(stderr, "fuzz_aggregate_json: re-decode: %s\n", e.msg);
    CHECK(ok && l2.n == l->n, "decoded list round-trips");
    json_decref(j);
    lda_seqlist_free(&l2);
}

static void aggregate(const lda_agg_req *a)
{
    const lda_seqlist *lists[LDA_SVC_COUNT];
    size_t n = 0;
    for (int s = 0; s < LDA_SVC_COUNT; s++)
        if (a->res[s].present && a->res[s].success)
            lists[n++] = &a->res[s].seqs;
    check_merge_and_reports(lists, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *body = malloc(size ? size : 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    json_error_t jerr;
    json_t *root = json_loadb(body, size, JSON_REJECT_DUPLICATES, &jerr);
    free(body);
    if (!root)
        return 0;
    static lda_agg_req a;
    lda_codec_agg_req_init(&a);
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_codec_agg_req_from_json(root, &a, &e);
    json_decref(root); /* a must not point into the tree */
    if (!ok)
        check_err(&e, (const int[]){400}, 1);
    if (ok) {
        CHECK(e.status == 0, "no error on success");
        CHECK(a.request_id[36] == '\0' &&
                  !lda_valid_request_id(a.request_id, 36),
              "request id is a version-4 UUID");
        for (size_t i = 0; i < 36; i++)
            CHECK(!(a.request_id[i] >= 'A' && a.request_id[i] <= 'F'),
                  "request id lowercased");
        check_text(a.invalid, sizeof a.invalid, "invalid text");
        CHECK(a.fingerprint[0] == '\0' ||
                  (a.fingerprint[64] == '\0' &&
                   lda_valid_fingerprint(a.fingerprint, 64)),
              "fingerprint empty or 64 hex");
        CHECK(!a.rejected || json_is_array(a.rejected), "rejected array");
        for (int s = 0; s < LDA_SVC_COUNT; s++) {
            const lda_agg_result *r = &a.res[s];
            check_text(r->status, sizeof r->status, "status text");
            check_text(r->error, sizeof r->error, "error text");
            CHECK(!r->success || r->present, "success implies present");
            check_list(&r->seqs);
        }
        if (!a.invalid[0])
            aggregate(&a);
    }
    lda_codec_agg_req_free(&a);
    return 0;
}
