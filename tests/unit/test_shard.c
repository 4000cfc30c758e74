/* test_shard: runs split into shards (lda_shard, docs/api.md#shards).
 *
 * The shard hash against fixed FNV-1a 64 values, and its spread over many
 * ids. The selections of lda_wire_encode_sel / lda_fingerprint_sel: each
 * shard's body decodes to exactly its groups' events and its fingerprint
 * equals lda_fingerprint of a set built from just them; the shards' bodies
 * together decode to the whole set. Detecting every shard on its own and
 * putting the lists together (lda_seqlist_append) gives reports
 * byte-identical to the whole run, for several shard counts. The exact
 * 72-bit window sums (lda_sum_push / lda_sum_range) at and past 2^64, and
 * lda_seqlist_reportable at INT64_MAX. */
#include "lda_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_fingerprint.h"
#include "lda_lanes.h"
#include "lda_shard.h"
#include "lda_wire.h"

static void test_hash_values(void)
{
    /* FNV-1a 64 of "\0" (empty ids), computed independently */
    CU_ASSERT_EQUAL(lda_shard_hash("", 0, "", 0), 0xaf63bd4c8601b7dfULL);
    CU_ASSERT_EQUAL(lda_shard_hash("ACC1", 4, "PROD1", 5),
                    0x4f6446b2911db061ULL);
    CU_ASSERT_EQUAL(lda_shard_hash("A", 1, "B", 1), 0xfb029919a1274bf2ULL);
    CU_ASSERT_EQUAL(lda_shard_hash("ACC2", 4, "PROD1", 5),
                    0xcb2bf410a984cc6cULL);
    /* the 0 byte keeps (AB, C) and (A, BC) apart */
    CU_ASSERT_NOT_EQUAL(lda_shard_hash("AB", 2, "C", 1),
                        lda_shard_hash("A", 1, "BC", 2));
}

/* 6400 (account, product) pairs spread over 2..64 shards within 25 % of
 * the mean each. */
static void test_hash_spread(void)
{
    for (unsigned n = 2; n <= LDA_SHARDS_MAX; n *= 2) {
        unsigned count[LDA_SHARDS_MAX] = {0};
        for (int a = 0; a < 320; a++)
            for (int p = 0; p < 20; p++) {
                char acc[16], prod[16];
                int la = snprintf(acc, sizeof acc, "ACC%04d", a);
                int lp = snprintf(prod, sizeof prod, "SYM%02d", p);
                count[lda_shard_hash(acc, (size_t)la, prod, (size_t)lp) % n]++;
            }
        unsigned mean = 6400 / n;
        for (unsigned s = 0; s < n; s++)
            CU_ASSERT(count[s] * 4 >= mean * 3 && count[s] * 4 <= mean * 5);
    }
}

/* An input of 60 groups, each with a layering episode (three BUY orders,
 * three cancellations, a SELL trade) and alternating trades (a wash
 * episode), at times that differ per group. NUL-terminated, malloc'd. */
static char *many_groups_csv(void)
{
    lda_buf b;
    lda_buf_init(&b);
    lda_buf_adds(&b, LDA_CSV_HEADER);
    for (int a = 0; a < 20; a++)
        for (int p = 0; p < 3; p++) {
            int m = (a * 3 + p) % 50;
            char acc[16], prod[16];
            snprintf(acc, sizeof acc, "ACC%02d", a);
            snprintf(prod, sizeof prod, "SYM%d", p);
            static const char *const lay[] = {
                "ORDER_PLACED,BUY",    "ORDER_PLACED,BUY",
                "ORDER_PLACED,BUY",    "ORDER_CANCELLED,BUY",
                "ORDER_CANCELLED,BUY", "ORDER_CANCELLED,BUY",
                "TRADE_EXECUTED,SELL"};
            for (int k = 0; k < 7; k++) {
                const char *type = lay[k], *side = strchr(lay[k], ',') + 1;
                lda_buf_printf(&b,
                               "2025-01-02T10:%02d:%02d.000000Z,%s,%s,%s,"
                               "100.5,%d,%.*s\n",
                               m, k, acc, prod, side, 100 + k,
                               (int)(side - type - 1), type);
            }
            for (int k = 0; k < 6; k++)
                lda_buf_printf(&b,
                               "2025-01-02T11:%02d:%02d.000000Z,%s,%s,%s,"
                               "%d.25,5000,TRADE_EXECUTED\n",
                               m, k * 7, acc, prod, k % 2 ? "SELL" : "BUY",
                               100 + k);
        }
    CU_ASSERT_FATAL(!b.oom);
    size_t n;
    return lda_buf_take(&b, &n);
}

static bool decode_into(const lda_buf *b, lda_set *d)
{
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_wire_decode(b->data, b->len, 0, d, &e);
    CU_ASSERT(ok);
    return ok;
}

/* One shard of one detector as the orchestrator and a detector see it:
 * encoded, decoded, fingerprinted both ways, detected. */
static void detect_shard(const lda_set *s, const lda_select *sel,
                         lda_seqlist *out, lda_set *all)
{
    lda_buf b;
    lda_buf_init(&b);
    size_t nev = 0;
    CU_ASSERT_EQUAL_FATAL(lda_wire_encode_sel(s, sel, &b, &nev), 0);
    lda_set d;
    lda_set_init(&d);
    if (decode_into(&b, &d)) {
        CU_ASSERT_EQUAL(d.n, nev);
        CU_ASSERT_FATAL(lda_set_finish(&d));
        for (size_t i = 0; i < d.n; i++) /* only its groups and types */
            CU_ASSERT((sel->mask >> d.ev[i].type) & 1u);
        char want[65], got[65];
        CU_ASSERT_EQUAL(lda_fingerprint_sel(s, sel, want), 0);
        CU_ASSERT_EQUAL(lda_fingerprint(&d, got), 0);
        CU_ASSERT_STRING_EQUAL(got, want);
        lda_params p;
        lda_params_default(&p);
        lda_seqlist l;
        lda_seqlist_init(&l);
        CU_ASSERT_EQUAL(sel->mask == LDA_FP_ALL
                            ? lda_detect_layering(&d, &p, &l)
                            : lda_detect_wash(&d, &p, &l),
                        0);
        CU_ASSERT(lda_seqlist_append(out, &l));
        lda_seqlist_free(&l);
    }
    if (all)
        decode_into(&b, all); /* the union of the shards' bodies */
    lda_set_free(&d);
    lda_buf_free(&b);
}

/* Reports of the merged lists, as the aggregator writes them. */
static void reports(const lda_seqlist *lay, const lda_seqlist *wash,
                    char **sus, char **det)
{
    const lda_seqlist *lists[2] = {lay, wash};
    lda_ref *refs;
    size_t n, len;
    CU_ASSERT_EQUAL_FATAL(lda_merge(lists, 2, &refs, &n), 0);
    lda_report_opts o = {false, NULL, 0};
    lda_buf a, b;
    lda_buf_init(&a);
    lda_buf_init(&b);
    CU_ASSERT_EQUAL(lda_report_suspicious(refs, n, &a), 0);
    CU_ASSERT_EQUAL(lda_report_detections(refs, n, &o, &b), 0);
    free(refs);
    *sus = lda_buf_take(&a, &len);
    *det = lda_buf_take(&b, &len);
}

static void test_shards_identical(void)
{
    char *csv = many_groups_csv();
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r, csv, NULL, NULL), 0);
    free(csv);
    CU_ASSERT(r.lay.n >= 60 && r.wash.n >= 60); /* both detect */
    static const unsigned counts[] = {1, 2, 3, 7, 64};
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
        unsigned n = counts[c];
        uint8_t *gs = lda_shard_groups(&r.set, n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(gs);
        for (size_t g = 0; g < r.set.ngroups; g++) {
            const lda_group *gr = &r.set.groups[g];
            CU_ASSERT_EQUAL(gs[g],
                            lda_shard_hash(lda_set_str(&r.set, gr->acc_off),
                                           gr->acc_len,
                                           lda_set_str(&r.set, gr->prod_off),
                                           gr->prod_len) %
                                n);
        }
        lda_seqlist lay, wash;
        lda_seqlist_init(&lay);
        lda_seqlist_init(&wash);
        lda_set all;
        lda_set_init(&all);
        for (unsigned s = 0; s < n; s++) {
            lda_select sl = {LDA_FP_ALL, gs, s}, sw = {1u << LDA_TRADE, gs, s};
            detect_shard(&r.set, &sl, &lay, &all);
            detect_shard(&r.set, &sw, &wash, NULL);
        }
        free(gs);
        /* the shards' bodies together are the whole set */
        CU_ASSERT_EQUAL(all.n, r.set.n);
        char fp[65];
        CU_ASSERT_FATAL(lda_set_finish(&all));
        CU_ASSERT_EQUAL(lda_fingerprint(&all, fp), 0);
        CU_ASSERT_STRING_EQUAL(fp, r.fp);
        lda_set_free(&all);
        CU_ASSERT_EQUAL(lay.n, r.lay.n);
        CU_ASSERT_EQUAL(wash.n, r.wash.n);
        char *sus, *det;
        reports(&lay, &wash, &sus, &det);
        LDA_ASSERT_STR(sus, r.sus);
        LDA_ASSERT_STR(det, r.det);
        free(sus);
        free(det);
        lda_seqlist_free(&lay);
        lda_seqlist_free(&wash);
    }
    lda_test_run_free(&r);
}

/* No group selected: an empty body (nevents 0) and the fingerprint of no
 * event, SHA-256 of "". */
static void test_empty_selection(void)
{
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r,
                                       LDA_CSV_HEADER
                                       "2025-01-02T10:00:00Z,A,P,BUY,1,1,"
                                       "ORDER_PLACED\n",
                                       NULL, NULL),
                          0);
    uint8_t gs[1] = {1};
    lda_select sel = {LDA_FP_ALL, gs, 0};
    lda_buf b;
    lda_buf_init(&b);
    size_t nev = 99;
    CU_ASSERT_EQUAL(lda_wire_encode_sel(&r.set, &sel, &b, &nev), 0);
    CU_ASSERT_EQUAL(nev, 0);
    char hex[65];
    CU_ASSERT_EQUAL(lda_fingerprint_sel(&r.set, &sel, hex), 0);
    CU_ASSERT_STRING_EQUAL(
        hex,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    lda_buf_free(&b);
    lda_test_run_free(&r);
}

/* Appending copies keys, fields and order timestamps; appending to an
 * empty list gives the list itself. */
static void test_seqlist_append(void)
{
    lda_seqlist a, b;
    lda_seqlist_init(&a);
    lda_seqlist_init(&b);
    lda_seq *q = lda_test_seq(&a, "A", "P", LDA_LAYERING, 10, 20);
    int64_t ts[3] = {10, 12, 15};
    q->buy_qty = 7;
    q->num_cancelled = 3;
    q->side = LDA_BUY;
    CU_ASSERT_FATAL(lda_seqlist_set_orders(&a, q, ts, 3));
    q = lda_test_seq(&a, "A", "P", LDA_WASH, 30, 40);
    q->has_alt = true;
    q->alt_pct = 80.0;
    q = lda_test_seq(&b, "B", "Q", LDA_LAYERING, 50, 60);
    int64_t ts2[2] = {50, 55};
    CU_ASSERT_FATAL(lda_seqlist_set_orders(&b, q, ts2, 2));
    CU_ASSERT_FATAL(lda_seqlist_append(&b, &a));
    CU_ASSERT_EQUAL_FATAL(b.n, 3);
    CU_ASSERT_EQUAL(b.nkeys, 2);
    const lda_seq *s = &b.v[1];
    const lda_seqkey *k = &b.keys[s->key];
    CU_ASSERT(k->acc_len == 1 && b.text.data[k->acc_off] == 'A');
    CU_ASSERT(k->prod_len == 1 && b.text.data[k->prod_off] == 'P');
    CU_ASSERT(s->start == 10 && s->end == 20 && s->buy_qty == 7 &&
              s->num_cancelled == 3 && s->side == LDA_BUY);
    CU_ASSERT_EQUAL_FATAL(s->norders, 3);
    CU_ASSERT(b.orders[s->orders_off] == 10 &&
              b.orders[s->orders_off + 2] == 15);
    CU_ASSERT_EQUAL(b.v[0].norders, 2);
    CU_ASSERT_EQUAL(b.orders[b.v[0].orders_off + 1], 55);
    CU_ASSERT(b.v[2].key == s->key && b.v[2].dtype == LDA_WASH &&
              b.v[2].has_alt && b.v[2].alt_pct == 80.0);
    lda_seqlist e;
    lda_seqlist_init(&e);
    CU_ASSERT_FATAL(lda_seqlist_append(&e, &a));
    CU_ASSERT(e.n == 2 && e.nkeys == 1 && e.norders == 3);
    CU_ASSERT_FATAL(lda_seqlist_append(&e, &b));
    CU_ASSERT_EQUAL(e.n, 5);
    lda_seqlist_free(&e);
    lda_seqlist_free(&a);
    lda_seqlist_free(&b);
}

/* Window sums past 2^64: exact below it, UINT64_MAX from 2^64 - 1 on,
 * over wraps of lo and of hi. */
static void test_exact_sums(void)
{
    enum { N = 40 };
    uint64_t lo[N + 1];
    uint8_t hi[N + 1];
    lo[0] = 0;
    hi[0] = 0;
    for (size_t k = 0; k < N; k++) /* 0.9 * 2^63 each */
        lda_sum_push(lo, hi, k, 8301034833169298227ULL);
    CU_ASSERT_EQUAL(lda_sum_range(lo, hi, 5, 5), 0);
    CU_ASSERT_EQUAL(lda_sum_range(lo, hi, 3, 4), 8301034833169298227ULL);
    CU_ASSERT_EQUAL(lda_sum_range(lo, hi, 3, 5), 16602069666338596454ULL);
    CU_ASSERT_EQUAL(lda_sum_range(lo, hi, 3, 6), UINT64_MAX); /* > 2^64 */
    CU_ASSERT_EQUAL(lda_sum_range(lo, hi, 0, N), UINT64_MAX);
    for (size_t a = 0; a + 2 <= N; a++) /* across every wrap of lo */
        CU_ASSERT_EQUAL(lda_sum_range(lo, hi, a, a + 2),
                        16602069666338596454ULL);
    /* exactly 2^64 - 1 and 2^64 */
    uint64_t l2[3] = {0};
    uint8_t h2[3] = {0};
    lda_sum_push(l2, h2, 0, 18446744073709551615ULL); /* 2^64 - 1 */
    lda_sum_push(l2, h2, 1, 1);                       /* 2^64 */
    CU_ASSERT_EQUAL(lda_sum_range(l2, h2, 0, 1), UINT64_MAX);
    CU_ASSERT_EQUAL(lda_sum_range(l2, h2, 0, 2), UINT64_MAX);
    CU_ASSERT_EQUAL(lda_sum_range(l2, h2, 1, 2), 1);
    /* 50 million quantities of LDA_QTY_MAX: 5 * 10^19, lo wrapped twice */
    uint64_t big_lo = 0, prev;
    uint8_t big_hi = 0;
    for (uint64_t k = 0; k < 50000000; k++) {
        prev = big_lo;
        big_lo += LDA_QTY_MAX;
        big_hi = (uint8_t)(big_hi + (big_lo < prev));
    }
    uint64_t l3[2] = {0, big_lo};
    uint8_t h3[2] = {0, big_hi};
    CU_ASSERT_EQUAL(big_hi, 2); /* 5 * 10^19 = 2 * 2^64 + ... */
    CU_ASSERT_EQUAL(lda_sum_range(l3, h3, 0, 1), UINT64_MAX);
}

static void test_reportable(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    lda_seq *q = lda_test_seq(&l, "A", "P", LDA_WASH, 1, 2);
    q->buy_qty = (uint64_t)INT64_MAX;
    q->sell_qty = (uint64_t)INT64_MAX;
    CU_ASSERT_TRUE(lda_seqlist_reportable(&l));
    q->sell_qty = (uint64_t)INT64_MAX + 1;
    CU_ASSERT_FALSE(lda_seqlist_reportable(&l));
    q->sell_qty = UINT64_MAX; /* a saturated sum */
    CU_ASSERT_FALSE(lda_seqlist_reportable(&l));
    lda_seqlist_free(&l);
}

void lda_test_shard(void)
{
    static const lda_test_case cases[] = {
        {"hash: fixed FNV-1a 64 values", test_hash_values},
        {"hash: spread over 2..64 shards", test_hash_spread},
        {"shards: bodies, fingerprints, reports identical",
         test_shards_identical},
        {"shards: an empty selection", test_empty_selection},
        {"lda_seqlist_append", test_seqlist_append},
        {"exact 72-bit window sums", test_exact_sums},
        {"totals too large to report", test_reportable},
        {NULL, NULL},
    };
    lda_test_suite("shard", cases, NULL, NULL, NULL, NULL);
}
