/* test_evidence: the evidence behind each alert (docs/reports.md#alerts).
 * The detectors give records and observations to exactly the sequences
 * the merge keeps, and only to them (a dense group costs one list, not
 * one per window); the group-range form of the detectors appends to the
 * same output as a whole run; the evidence survives the binary and JSON
 * sequence forms; alerts.json's text (clauses, numbers, seconds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lda_alert.h"
#include "lda_codec_seq.h"
#include "lda_jsonw.h"
#include "lda_test.h"
#include "lda_wire.h"

/* A CSV of n trades of W/P alternating BUY/SELL one second apart (all in
 * one 30-minute window), 5000 each. */
static char *dense_wash(size_t n)
{
    lda_buf b;
    lda_buf_init(&b);
    lda_buf_adds(&b, LDA_CSV_HEADER);
    for (size_t i = 0; i < n; i++)
        lda_buf_printf(&b,
                       "2025-01-01T10:%02zu:%02zuZ,W,P,%s,10,5000,"
                       "TRADE_EXECUTED\n",
                       i / 60, i % 60, i % 2 ? "SELL" : "BUY");
    return b.oom ? NULL : lda_buf_take(&b, NULL);
}

/* Every sequence with evidence is one the merge keeps, and every kept one
 * has evidence. */
static void assert_evidence_is_kept(const lda_run *r)
{
    size_t with = 0, kept = 0;
    for (size_t i = 0; i < r->nmerged; i++) {
        CU_ASSERT(r->merged[i].seq->has_ev);
        kept++;
    }
    const lda_seqlist *lists[2] = {&r->lay, &r->wash};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            with += lists[l]->v[i].has_ev;
    CU_ASSERT_EQUAL(with, kept);
}

static void test_dense_group_one_list(void)
{
    char *csv = dense_wash(1200);
    CU_ASSERT_PTR_NOT_NULL_FATAL(csv);
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r, csv, NULL, NULL), 0);
    /* every window from trade 0 .. 1194 qualifies; one is kept */
    CU_ASSERT(r.wash.n > 1000);
    CU_ASSERT_EQUAL(r.nmerged, 1);
    CU_ASSERT_EQUAL(r.wash.nrecs, 1200); /* not one list per window */
    const lda_seq *q = r.merged[0].seq;
    CU_ASSERT(q->has_ev && q->nrecs == 1200);
    CU_ASSERT(q->obs_n[0] == 600 && q->obs_n[1] == 600);
    for (uint32_t i = 0; i < q->nrecs; i++)
        CU_ASSERT_EQUAL(r.wash.recs[q->recs_off + i], i + 2);
    assert_evidence_is_kept(&r);
    lda_test_run_free(&r);
    free(csv);
}

/* Layering: orders, the cancellations and trades of the totals; a
 * same-side trade and an event after the end are not records. */
static void test_layering_records(void)
{
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(
        lda_test_run(&r,
                     LDA_CSV_HEADER
                     "2025-01-01T10:00:00Z,A,P,SELL,10,100,ORDER_PLACED\n"
                     "2025-01-01T10:00:01Z,A,P,SELL,10,100,ORDER_PLACED\n"
                     "2025-01-01T10:00:02Z,A,P,BUY,10,7,TRADE_EXECUTED\n"
                     "2025-01-01T10:00:02Z,A,P,SELL,10,100,ORDER_PLACED\n"
                     "2025-01-01T10:00:03Z,A,P,SELL,10,9,TRADE_EXECUTED\n"
                     "2025-01-01T10:00:04Z,A,P,SELL,10,100,ORDER_CANCELLED\n"
                     "2025-01-01T10:00:05Z,A,P,SELL,10,100,ORDER_CANCELLED\n"
                     "2025-01-01T10:00:07Z,A,P,SELL,10,100,ORDER_CANCELLED\n"
                     "2025-01-01T10:00:08Z,A,P,BUY,10,50,TRADE_EXECUTED\n"
                     "2025-01-01T10:00:09Z,A,P,BUY,10,50,TRADE_EXECUTED\n",
                     NULL, NULL),
        0);
    CU_ASSERT_EQUAL_FATAL(r.lay.n, 1);
    const lda_seq *q = &r.lay.v[0];
    static const uint32_t want[] = {2, 3, 4, 5, 7, 8, 9, 10};
    CU_ASSERT_FATAL(q->has_ev);
    CU_ASSERT_EQUAL(q->nrecs, sizeof want / sizeof *want);
    CU_ASSERT(q->nrecs == sizeof want / sizeof *want &&
              memcmp(r.lay.recs + q->recs_off, want, sizeof want) == 0);
    CU_ASSERT_EQUAL(q->obs_n[0], 3);
    CU_ASSERT_EQUAL(q->obs_ts, lda_test_ts("2025-01-01T10:00:07Z"));
    assert_evidence_is_kept(&r);
    lda_test_run_free(&r);
}

/* Detecting group ranges one after another appends exactly what one
 * whole run gives, evidence included. */
static void test_ranges_equal_whole(void)
{
    char *csv = dense_wash(300);
    lda_run r;
    CU_ASSERT_FATAL(csv && lda_test_run(&r, csv, NULL, NULL) == 0);
    lda_params p;
    lda_params_default(&p);
    for (int det = 0; det < 2; det++) {
        const lda_seqlist *whole = det ? &r.wash : &r.lay;
        lda_seqlist parts, all;
        lda_seqlist_init(&all);
        for (size_t g = 0; g <= r.set.ngroups; g++) {
            lda_seqlist_init(&parts);
            int rc = det ? lda_detect_wash_range(&r.set, &p, g, g + 1, &parts)
                         : lda_detect_layering_range(&r.set, &p, g, g + 1,
                                                     &parts);
            CU_ASSERT(rc == 0 && lda_seqlist_append(&all, &parts));
            lda_seqlist_free(&parts);
        }
        lda_buf a, b;
        lda_buf_init(&a);
        lda_buf_init(&b);
        CU_ASSERT(lda_wire_seqs_encode(whole, &a) == 0 &&
                  lda_wire_seqs_encode(&all, &b) == 0);
        CU_ASSERT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
        lda_buf_free(&a);
        lda_buf_free(&b);
        lda_seqlist_free(&all);
    }
    lda_test_run_free(&r);
    free(csv);
}

/* The evidence through the binary sequence form and the JSON form. */
static void test_forms_keep_evidence(void)
{
    char *csv = dense_wash(40);
    lda_run r;
    CU_ASSERT_FATAL(csv && lda_test_run(&r, csv, NULL, NULL) == 0);
    lda_buf bin, txt, again;
    lda_buf_init(&bin);
    lda_buf_init(&txt);
    lda_buf_init(&again);
    CU_ASSERT_FATAL(lda_wire_seqs_encode(&r.wash, &bin) == 0);
    lda_seqlist back;
    lda_seqlist_init(&back);
    lda_err e;
    lda_err_init(&e);
    size_t pos = 0;
    CU_ASSERT_FATAL(lda_wire_seqs_decode(bin.data, bin.len, &pos, &back, &e));
    CU_ASSERT_EQUAL(back.nrecs, 40);
    /* JSON text of the decoded list, decoded again, encodes to the same
     * binary bytes */
    CU_ASSERT_FATAL(lda_codec_seqlist_text(&back, &txt) == 0);
    json_error_t je;
    json_t *arr = json_loadb(txt.data, txt.len, 0, &je);
    lda_seqlist fromjson;
    lda_seqlist_init(&fromjson);
    CU_ASSERT_FATAL(arr && lda_codec_seqlist_from_json(arr, "results",
                                                       &fromjson, &e));
    CU_ASSERT(lda_wire_seqs_encode(&fromjson, &again) == 0 &&
              again.len == bin.len &&
              memcmp(again.data, bin.data, bin.len) == 0);
    /* records must ascend; observed goes with records */
    json_t *first = json_array_get(arr, 0);
    json_array_set_new(json_object_get(first, "records"), 1, json_integer(1));
    lda_seqlist bad;
    lda_seqlist_init(&bad);
    CU_ASSERT(!lda_codec_seqlist_from_json(arr, "results", &bad, &e));
    CU_ASSERT_STRING_EQUAL(e.msg, "results[0].records: must be ascending "
                                  "record numbers >= 2");
    json_object_del(first, "observed");
    lda_seqlist_free(&bad);
    lda_seqlist_init(&bad);
    CU_ASSERT(!lda_codec_seqlist_from_json(arr, "results", &bad, &e));
    lda_seqlist_free(&bad);
    json_decref(arr);
    lda_seqlist_free(&fromjson);
    lda_seqlist_free(&back);
    lda_buf_free(&bin);
    lda_buf_free(&txt);
    lda_buf_free(&again);
    lda_test_run_free(&r);
    free(csv);
}

/* alerts.json: windows in seconds, numbers people read, no evidence for
 * a sequence that came without it. */
static void test_alert_text(void)
{
    lda_params p;
    lda_params_default(&p);
    p.lay_orders_us = 500000;  /* 0.5 s */
    p.lay_cancel_us = 2000001; /* 2.000001 s */
    p.lay_trade_us = 2000000;
    lda_seqlist l;
    lda_seqlist_init(&l);
    lda_seq *q = lda_test_seq(&l, "=A", "P\"Q", LDA_LAYERING, 1000000,
                              3500000);
    int64_t ts[3] = {1000000, 1200000, 1400000};
    uint32_t rec[4] = {2, 3, 9, 12};
    CU_ASSERT_FATAL(lda_seqlist_set_orders(&l, q, ts, 3) &&
                    lda_seqlist_set_records(&l, q, rec, 4));
    q->side = LDA_BUY;
    q->obs_n[0] = 3;
    q->obs_ts = 2500000;
    lda_seq *w = lda_test_seq(&l, "B", "P", LDA_WASH, 0, 60000000);
    w->has_alt = true;
    w->alt_pct = 100.0 * 5 / 6;
    lda_ref refs[2] = {{&l, &l.v[0]}, {&l, &l.v[1]}};
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_FATAL(lda_alert_text(refs, 2, &p, &b) == 0);
    lda_assert_str(
        b.data,
        "[\n{\"account_id\":\"=A\",\"product_id\":\"P\\\"Q\","
        "\"detection_type\":\"LAYERING\","
        "\"detected_timestamp\":\"1970-01-01T00:00:03.500000+00:00\","
        "\"records\":[2,3,9,12],\"evidence\":["
        "{\"clause\":\"same-side orders in 0.5 s\",\"observed\":3,"
        "\"threshold\":3},"
        "{\"clause\":\"same-side cancellations up to 2.000001 s after the "
        "last order\",\"observed\":3,\"threshold\":3},"
        "{\"clause\":\"opposite-side trade within 2 s of the last "
        "cancellation\",\"observed\":1,\"threshold\":2}]},\n"
        "{\"account_id\":\"B\",\"product_id\":\"P\",\"detection_type\":"
        "\"WASH_TRADING\",\"detected_timestamp\":\"1970-01-01T00:01:00+00:00\","
        "\"records\":[],\"evidence\":[]}\n]\n",
        "alerts.json", __FILE__, __LINE__);
    lda_buf_reset(&b);
    CU_ASSERT(lda_alert_text(refs, 0, &p, &b) == 0);
    lda_assert_str(b.data, "[]\n", "no alerts", __FILE__, __LINE__);
    lda_buf_free(&b);
    lda_seqlist_free(&l);
}

static void test_jsonw_num(void)
{
    static const struct {
        double x;
        const char *want;
    } cases[] = {{100.0, "100"},
                 {60.0, "60"},
                 {0.5, "0.5"},
                 {100.0 * 5 / 6, "83.33333333333333"},
                 {1.9999999999999927, "1.9999999999999927"},
                 {1e20, "1e+20"},
                 {1e300, "1e+300"},
                 {-2.5, "-2.5"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lda_buf b;
        lda_buf_init(&b);
        lda_jsonw_num(&b, cases[i].x);
        lda_assert_str(b.data ? b.data : "", cases[i].want, "number", __FILE__,
                       __LINE__);
        lda_buf_free(&b);
    }
}

void lda_test_evidence(void)
{
    static const lda_test_case cases[] = {
        {"a dense group: one kept window, one record list",
         test_dense_group_one_list},
        {"layering records: orders, counted cancellations, traded",
         test_layering_records},
        {"group ranges append to the whole run's output",
         test_ranges_equal_whole},
        {"evidence through the binary and JSON forms",
         test_forms_keep_evidence},
        {"alerts.json text", test_alert_text},
        {"numbers people read", test_jsonw_num},
        {NULL, NULL}};
    lda_test_suite("evidence", cases, NULL, NULL, NULL, NULL);
}
