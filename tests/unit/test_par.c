/* test_par: LDA_THREADS -- the thread pool (lda_pool) and everything that
 * runs on it gives what one thread gives. The parallel CSV reader
 * (lda_csv_load_par) is compared with the one-pass reader on inputs made to
 * cut badly: quoted line breaks at and across chunk edges, CRLF, quote-heavy
 * files, one quoted field longer than a chunk, stray and unterminated
 * quotes, blank lines, rejected rows on every chunk, too many events; the
 * comparison covers every event (fields, group ids, record number, price
 * text), the group table, the rejects (count, first 100 with numbers and
 * reasons), the data-quality figures and the error. Then the whole
 * pipeline (lda_set_finish_par, lda_analyse: fingerprint, both detectors,
 * reports) at 2, 3 and 8 threads against 1. */
#include "lda_test.h"

#include "lda_analyse.h"
#include "lda_fingerprint.h"
#include "lda_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the pool ---------------------------------------------------------- */

static void count_job(void *arg, size_t i)
{
    ((unsigned *)arg)[i]++;
}

static void test_pool_runs_each_job_once(void)
{
    static const unsigned threads[] = {1, 2, 3, 8};
    static const size_t jobs[] = {0, 1, 2, 5, 100, 1000};
    for (size_t t = 0; t < 4; t++)
        for (size_t j = 0; j < 6; j++) {
            unsigned hits[1000] = {0};
            lda_par par = lda_pool_par(threads[t]);
            lda_par_run(&par, jobs[j], count_job, hits);
            for (size_t i = 0; i < 1000; i++)
                CU_ASSERT_EQUAL(hits[i], i < jobs[j] ? 1u : 0u);
        }
    lda_par one = lda_pool_par(1);
    CU_ASSERT_PTR_NULL(one.run);
    CU_ASSERT_EQUAL(lda_par_threads(&one), 1);
    CU_ASSERT_EQUAL(lda_par_threads(NULL), 1);
    lda_par two = lda_pool_par(2);
    CU_ASSERT_EQUAL(lda_par_threads(&two), 2);
    CU_ASSERT(lda_pool_cpus() >= 1);
}

/* ---- the parallel reader against the one-pass reader ----------------- */

typedef struct got {
    bool ok;
    lda_err e;
    lda_set set;
    lda_rejects rej;
} got;

static void load_with(got *g, const char *text, size_t len, size_t max,
                      unsigned threads)
{
    lda_par par = lda_pool_par(threads);
    char *copy = malloc(len ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, text, len);
    memset(g, 0, sizeof *g);
    lda_set_init(&g->set);
    lda_err_init(&g->e);
    g->ok = lda_csv_load_par(copy, len, max, false, &par, &g->set, &g->rej,
                             &g->e);
    free(copy);
}

static bool same_text(const lda_set *a, size_t ao, size_t an, const lda_set *b,
                      size_t bo, size_t bn)
{
    return an == bn && memcmp(lda_set_str(a, ao), lda_set_str(b, bo), an) == 0;
}

static bool same_event(const lda_set *a, const lda_event *x, const lda_set *b,
                       const lda_event *y)
{
    return x->ts == y->ts && x->qty == y->qty && x->price == y->price &&
           x->group == y->group && x->rec == y->rec && x->side == y->side &&
           x->type == y->type && x->price_len == y->price_len &&
           memcmp(lda_event_price(a, x), lda_event_price(b, y),
                  x->price_len) == 0;
}

static bool same_quality(lda_quality a, lda_quality b)
{
    return a.types[0] == b.types[0] && a.types[1] == b.types[1] &&
           a.types[2] == b.types[2] && a.out_of_order == b.out_of_order &&
           a.duplicates == b.duplicates && a.accounts == b.accounts &&
           a.products == b.products && a.n == b.n &&
           (a.n == 0 || (a.first_ts == b.first_ts && a.last_ts == b.last_ts &&
                         a.prev_ts == b.prev_ts));
}

/* Everything the one-pass read and the read on `threads` threads gave is
 * equal, before and after both are finished (the parallel read's events
 * are only readable then: lda_set_adopt); returns how many assertions
 * failed (0). */
static int compare(got *a, got *b, unsigned threads)
{
    int bad = 0;
    bad += a->ok != b->ok || a->e.status != b->e.status ||
           strcmp(a->e.msg, b->e.msg) != 0;
    if (!a->ok || !b->ok)
        return bad;
    bad += a->set.n != b->set.n || a->set.ngroups != b->set.ngroups;
    if (!a->set.finished) /* (the first comparison with it) */
        bad += !same_quality(lda_set_quality(&a->set),
                             lda_set_quality(&b->set));
    lda_par par = lda_pool_par(threads);
    bad += !lda_set_finish(&a->set) || !lda_set_finish_par(&b->set, &par);
    for (size_t i = 0; !bad && i < a->set.n; i++)
        bad += !same_event(&a->set, &a->set.ev[i], &b->set, &b->set.ev[i]);
    for (size_t g = 0; !bad && g < a->set.ngroups; g++) {
        const lda_group *x = &a->set.groups[g], *y = &b->set.groups[g];
        bad += x->count != y->count || x->first != y->first ||
               !same_text(&a->set, x->acc_off, x->acc_len, &b->set, y->acc_off,
                          y->acc_len) ||
               !same_text(&a->set, x->prod_off, x->prod_len, &b->set,
                          y->prod_off, y->prod_len);
    }
    bad += a->rej.count != b->rej.count || a->rej.kept != b->rej.kept;
    for (size_t i = 0; !bad && i < a->rej.kept; i++)
        bad += a->rej.item[i].record != b->rej.item[i].record ||
               strcmp(a->rej.item[i].reason, b->rej.item[i].reason) != 0;
    bad += !same_quality(lda_set_quality(&a->set), lda_set_quality(&b->set));
    return bad;
}

/* The input read with 2, 3, 5 and 8 threads equals the one-pass read. */
static void expect_same(const char *text, size_t len, size_t max,
                        unsigned line)
{
    static const unsigned threads[] = {2, 3, 5, 8};
    got one;
    load_with(&one, text, len, max, 1);
    for (size_t t = 0; t < 4; t++) {
        got par;
        load_with(&par, text, len, max, threads[t]);
        int bad = compare(&one, &par, threads[t]);
        if (bad)
            fprintf(stderr, "\ntest_par.c:%u: %u threads differ\n", line,
                    threads[t]);
        CU_ASSERT_EQUAL(bad, 0);
        lda_set_free(&par.set);
    }
    lda_set_free(&one.set);
}
#define EXPECT_SAME(buf) expect_same((buf)->data, (buf)->len, 0, __LINE__)

/* A deterministic generator (xorshift) of records. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

enum {
    G_QUOTED_LF = 1, /* ids with a quoted line break */
    G_CRLF = 2,      /* CRLF line ends */
    G_QUOTES = 4,    /* every field quoted, ids with "" */
    G_BAD = 8,       /* invalid and malformed rows, blank lines */
};

static void gen_record(lda_buf *b, uint64_t *s, unsigned how, size_t i)
{
    const char *eol = how & G_CRLF ? "\r\n" : "\n";
    unsigned r = (unsigned)(rnd(s) % 100);
    char acc[64], ts[64];
    snprintf(ts, sizeof ts, "2024-01-01T10:%02u:%02u.%03uZ",
             (unsigned)(i / 60 % 60), (unsigned)(i % 60), r);
    if (how & G_QUOTED_LF && r < 40)
        snprintf(acc, sizeof acc, "\"A%u\nline%s\"", r % 7, r < 5 ? eol : "");
    else if (how & G_QUOTES)
        snprintf(acc, sizeof acc, "\"A\"\"%u\"\"\"", r % 7);
    else
        snprintf(acc, sizeof acc, "A%u", r % 7);
    const char *side = r % 2 ? "BUY" : "SELL",
               *type = r % 3 ? "ORDER_PLACED" : "TRADE_EXECUTED";
    char line[512];
    if (how & G_QUOTES)
        snprintf(line, sizeof line,
                 "\"%s\" , %s ,\"P%u\",\"%s\",\"%u.%02u\",\"%u\",\"%s\"%s", ts,
                 acc, r % 3, side, 10 + r % 5, r, 1 + r, type, eol);
    else
        snprintf(line, sizeof line, "%s,%s,P%u,%s,%u.%02u,%u,%s%s", ts, acc,
                 r % 3, side, 10 + r % 5, r, 1 + r, type, eol);
    lda_buf_add(b, line, strlen(line));
    if (how & G_BAD && r % 7 == 0) {
        static const char *const bad[] = {
            "nope,A1,P1,BUY,1,1,TRADE_EXECUTED",
            "x,y",
            "a,b\"c,d,e,f,g,h",
            "2024-01-01T10:00:00Z,A1,P1,BUY,1,1,TRADE_EXECUTED,extra",
            "2024-01-01T10:00:00Z,\"A1\"x,P1,BUY,1,1,TRADE_EXECUTED",
            "",
            "2024-01-01T10:00:00Z,A1,P1,BUY,-1,1,TRADE_EXECUTED"};
        const char *x = bad[rnd(s) % 7];
        lda_buf_add(b, x, strlen(x));
        lda_buf_add(b, eol, strlen(eol));
        if (r % 2)
            lda_buf_add(b, eol, strlen(eol)); /* a blank line */
    }
}

static void gen(lda_buf *b, unsigned how, size_t n, uint64_t seed)
{
    uint64_t s = seed | 1;
    lda_buf_reset(b);
    const char *h = how & G_CRLF ? "timestamp,account_id,product_id,side,"
                                   "price,quantity,event_type\r\n"
                                 : LDA_CSV_HEADER;
    lda_buf_add(b, h, strlen(h));
    for (size_t i = 0; i < n; i++)
        gen_record(b, &s, how, i);
}

static void test_chunks_generated(void)
{
    lda_buf b;
    lda_buf_init(&b);
    for (unsigned how = 0; how < 16; how++)
        for (size_t n = 1; n <= 400; n = n * 3 + 1) {
            gen(&b, how, n, how * 1000 + n);
            CU_ASSERT_FALSE_FATAL(b.oom);
            EXPECT_SAME(&b);
        }
    lda_buf_free(&b);
}

/* Every cut point: a quoted field with line breaks placed so that each
 * chunk edge falls inside it at some size of the padding before it. */
static void test_chunk_edge_inside_quotes(void)
{
    lda_buf b;
    lda_buf_init(&b);
    for (size_t pad = 0; pad < 120; pad += 7) {
        lda_buf_reset(&b);
        lda_buf_add(&b, LDA_CSV_HEADER, strlen(LDA_CSV_HEADER));
        for (size_t i = 0; i < pad; i++)
            lda_buf_add(&b, "2024-01-01T10:00:00Z,A,P,BUY,1,1,ORDER_PLACED\n",
                        46);
        /* one record whose account id is a long quoted text of lines,
         * itself shaped like records (a wrong cut reads them as such) */
        lda_buf_add(&b, "2024-01-01T10:00:01Z,\"", 22);
        for (size_t i = 0; i < 40 + pad; i++)
            lda_buf_add(&b, "\n2024-01-01T10:00:00Z,B,P,BUY,1,1,\"\"x", 37);
        lda_buf_add(&b, "\",P,SELL,2,2,TRADE_EXECUTED\n", 28);
        for (size_t i = 0; i < 30; i++)
            lda_buf_add(&b,
                        "2024-01-01T10:00:02Z,C,P,BUY,1,1,ORDER_PLACED\r\n",
                        47);
        CU_ASSERT_FALSE_FATAL(b.oom);
        EXPECT_SAME(&b);
    }
    /* an unterminated quote to the end of the input */
    lda_buf_add(&b, "2024-01-01T10:00:03Z,\"D\n\n\n", 26);
    for (size_t i = 0; i < 50; i++)
        lda_buf_add(&b, "2024-01-01T10:00:02Z,C,P,BUY,1,1,ORDER_PLACED\n", 46);
    EXPECT_SAME(&b);
    lda_buf_free(&b);
}

/* 413 (more events than allowed), in a chunk or only in the whole, and an
 * input of a few bytes (one chunk), and a header-only input. */
static void test_chunks_limits(void)
{
    lda_buf b;
    lda_buf_init(&b);
    gen(&b, G_BAD, 300, 7);
    for (size_t max = 1; max < 400; max += 37)
        expect_same(b.data, b.len, max, __LINE__);
    const char *small = LDA_CSV_HEADER "2024-01-01T10:00:00Z,A,P,BUY,1,1,"
                                       "ORDER_PLACED\n";
    expect_same(small, strlen(small), 0, __LINE__);
    got g;
    load_with(&g, LDA_CSV_HEADER, strlen(LDA_CSV_HEADER), 0, 8);
    CU_ASSERT_FALSE(g.ok);
    lda_set_free(&g.set);
    lda_buf_free(&b);
}

/* ---- the whole pipeline ----------------------------------------------- */

typedef struct piped {
    char fp[65];
    lda_buf sus, det;
    lda_quality q;
} piped;

static void pipeline(const lda_buf *in, unsigned threads, piped *out)
{
    lda_par par = lda_pool_par(threads);
    got g;
    lda_seqlist lay, wash;
    lda_params p;
    lda_params_default(&p);
    lda_ref *merged = NULL;
    size_t nmerged = 0;
    lda_seqlist_init(&lay);
    lda_seqlist_init(&wash);
    lda_buf_init(&out->sus);
    lda_buf_init(&out->det);
    load_with(&g, in->data, in->len, 0, threads);
    CU_ASSERT_TRUE_FATAL(g.ok);
    CU_ASSERT_TRUE_FATAL(lda_set_finish_par(&g.set, &par));
    CU_ASSERT_EQUAL_FATAL(lda_analyse(&g.set, &p, &par, &lay, &wash), 0);
    CU_ASSERT_EQUAL_FATAL(lda_fingerprint_par(&g.set, &par, out->fp), 0);
    const lda_seqlist *lists[2] = {&lay, &wash};
    CU_ASSERT_EQUAL_FATAL(lda_merge(lists, 2, &merged, &nmerged), 0);
    lda_report_opts o = {false, NULL, 0};
    CU_ASSERT_EQUAL(lda_report_suspicious(merged, nmerged, &out->sus), 0);
    CU_ASSERT_EQUAL(lda_report_detections(merged, nmerged, &o, &out->det), 0);
    out->q = lda_set_quality(&g.set);
    free(merged);
    lda_seqlist_free(&lay);
    lda_seqlist_free(&wash);
    lda_set_free(&g.set);
}

/* Layering patterns (docs/detection.md: three orders, their cancels,
 * an opposite trade) for accounts L0..L(n-1), spread over the input. */
static void add_layering(lda_buf *b, size_t n)
{
    static const char *const rows[] = {
        "BUY,141.20,5000,ORDER_PLACED",    "BUY,141.18,4000,ORDER_PLACED",
        "BUY,141.17,6000,ORDER_PLACED",    "BUY,141.20,5000,ORDER_CANCELLED",
        "BUY,141.18,4000,ORDER_CANCELLED", "BUY,141.17,6000,ORDER_CANCELLED",
        "SELL,141.05,10000,TRADE_EXECUTED"};
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < 7; k++) {
            char line[128];
            int m = snprintf(line, sizeof line,
                             "2025-10-26T%02zu:%02zu:%02zuZ,L%zu,IBM,%s\n",
                             i % 24, i % 60, 10 + k, i, rows[k]);
            lda_buf_add(b, line, (size_t)m);
        }
}

static void test_pipeline_threads(void)
{
    lda_buf b;
    lda_buf_init(&b);
    for (unsigned how = 0; how < 16; how += 3) {
        gen(&b, how, 3000, 99 + how);
        add_layering(&b, 40);
        piped one;
        pipeline(&b, 1, &one);
        CU_ASSERT(one.sus.len > strlen(LDA_SUS_HEADER)); /* it detects */
        for (unsigned t = 2; t <= 8; t *= 2) {
            piped par;
            pipeline(&b, t + (t == 4), &par);
            CU_ASSERT_STRING_EQUAL(one.fp, par.fp);
            CU_ASSERT(one.sus.len == par.sus.len &&
                      memcmp(one.sus.data, par.sus.data, one.sus.len) == 0);
            CU_ASSERT(one.det.len == par.det.len &&
                      memcmp(one.det.data, par.det.data, one.det.len) == 0);
            CU_ASSERT(same_quality(one.q, par.q));
            lda_buf_free(&par.sus);
            lda_buf_free(&par.det);
        }
        lda_buf_free(&one.sus);
        lda_buf_free(&one.det);
    }
    lda_buf_free(&b);
}

/* lda_fingerprint_par cuts the canonical text into pieces between groups
 * and, inside one huge group, between runs of equal timestamps: a set of
 * 100k events in small groups and one group of 160k events with 40
 * events per timestamp fingerprints the same at 2, 3 and 8 threads. */
static void test_fingerprint_pieces(void)
{
    lda_buf b;
    lda_buf_init(&b);
    gen(&b, G_QUOTES, 100000, 5);
    for (size_t i = 0; i < 160000; i++) {
        char line[128];
        int m = snprintf(line, sizeof line,
                         "2025-10-26T10:%02zu:%02zu.%03zuZ,D,P,%s,1.%zu,%zu,"
                         "%s\n",
                         i / 40 / 60000 % 60, i / 40 / 1000 % 60,
                         i / 40 % 1000, i % 2 ? "BUY" : "SELL", i % 7,
                         1 + i % 5, i % 3 ? "ORDER_PLACED" : "TRADE_EXECUTED");
        lda_buf_add(&b, line, (size_t)m);
    }
    CU_ASSERT_FALSE_FATAL(b.oom);
    got g;
    load_with(&g, b.data, b.len, 0, 1);
    CU_ASSERT_TRUE_FATAL(g.ok);
    CU_ASSERT_TRUE_FATAL(lda_set_finish(&g.set));
    CU_ASSERT(g.set.n > 200000);
    char one[65], par[65];
    CU_ASSERT_EQUAL_FATAL(lda_fingerprint(&g.set, one), 0);
    for (unsigned t = 2; t <= 8; t++) {
        lda_par p = lda_pool_par(t);
        memset(par, 0, sizeof par);
        CU_ASSERT_EQUAL(lda_fingerprint_par(&g.set, &p, par), 0);
        CU_ASSERT_STRING_EQUAL(par, one);
    }
    lda_set_free(&g.set);
    lda_buf_free(&b);
}

void lda_test_par(void)
{
    static const lda_test_case cases[] = {
        {"pool: every job once, at 1/2/3/8 threads",
         test_pool_runs_each_job_once},
        {"csv chunks: generated inputs equal the one-pass read",
         test_chunks_generated},
        {"csv chunks: edges inside quoted line breaks, unterminated quote",
         test_chunk_edge_inside_quotes},
        {"csv chunks: MAX_EVENTS, tiny and header-only inputs",
         test_chunks_limits},
        {"pipeline: fingerprint, reports, quality at 2/3/8 threads",
         test_pipeline_threads},
        {"fingerprint: pieces across groups and inside a huge group",
         test_fingerprint_pieces},
        {NULL, NULL}};
    lda_test_suite("par", cases, NULL, NULL, NULL, NULL);
}
