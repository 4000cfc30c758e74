/* test_merge: docs/detection.md#merge on hand-built sequence lists
 * (lda_merge): the collapse of overlapping sequences of one (account, product,
 * type) onto the earliest (start <= the largest end *kept*), independence of
 * other products / accounts / types, bytewise string order, the equal
 * start-and-end tie (earlier in group order = earlier in its list, then
 * earlier list), and the report order (end, account, product, type, start).
 * Each sequence carries a tag in buy_qty to identify it. */
#include "lda_test.h"

#include <stdlib.h>
#include <string.h>

static void push(lda_seqlist *l, const char *acc, const char *prod, int dtype,
                 int64_t start, int64_t end, uint64_t tag)
{
    lda_test_seq(l, acc, prod, dtype, start, end)->buy_qty = tag;
}

/* Merge lists and assert the kept tags, in report order. */
static void expect_tags(const lda_seqlist *const *lists, size_t n,
                        const uint64_t *want, size_t nwant, unsigned line)
{
    lda_ref *out = NULL;
    size_t nout = 0;
    int rc = lda_merge(lists, n, &out, &nout);
    bool ok = rc == 0 && nout == nwant;
    for (size_t i = 0; ok && i < nout; i++)
        ok = out[i].seq->buy_qty == want[i];
    if (!ok) {
        fprintf(stderr, "\ntest_merge.c:%u: kept tags", line);
        for (size_t i = 0; rc == 0 && i < nout; i++)
            fprintf(stderr, " %llu", (unsigned long long)out[i].seq->buy_qty);
        fprintf(stderr, ", want");
        for (size_t i = 0; i < nwant; i++)
            fprintf(stderr, " %llu", (unsigned long long)want[i]);
        fputc('\n', stderr);
    }
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, "merged tags",
                            __FILE__, "", CU_FALSE);
    free(out);
}
#define EXPECT_TAGS(lists, n, ...) \
    do { \
        static const uint64_t want_[] = {__VA_ARGS__}; \
        expect_tags((lists), (n), want_, sizeof want_ / sizeof want_[0], \
                    __LINE__); \
    } while (0)

/* [10,20] kept (max 20); [15,25] 15 <= 20 dropped; [20,30] 20 <= 20
 * dropped (inclusive) and does not raise the max; [21,22] kept (max 22);
 * [22,40] dropped; [41,41] kept. Pushed out of order. */
static void test_collapse(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    push(&l, "A", "P", LDA_WASH, 22, 40, 5);
    push(&l, "A", "P", LDA_WASH, 20, 30, 3);
    push(&l, "A", "P", LDA_WASH, 41, 41, 6);
    push(&l, "A", "P", LDA_WASH, 10, 20, 1);
    push(&l, "A", "P", LDA_WASH, 21, 22, 4);
    push(&l, "A", "P", LDA_WASH, 15, 25, 2);
    const lda_seqlist *lists[] = {&l};
    EXPECT_TAGS(lists, 1, 1, 4, 6);
    lda_seqlist_free(&l);
}

/* Sorted by (start, end), so of two equal starts the shorter one is the
 * earliest and is kept; the longer one then does not raise the max. */
static void test_collapse_long(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    push(&l, "A", "P", LDA_LAYERING, 0, 100, 1);
    push(&l, "A", "P", LDA_LAYERING, 50, 60, 2);
    push(&l, "A", "P", LDA_LAYERING, 100, 100, 3);
    push(&l, "A", "P", LDA_LAYERING, 101, 105, 4);
    push(&l, "A", "P", LDA_LAYERING, 0, 50, 5); /* same start, shorter */
    const lda_seqlist *lists[] = {&l};
    /* [0,50] kept (max 50); [0,100] 0 <= 50 dropped; [50,60] 50 <= 50
     * dropped; [100,100] kept (max 100); [101,105] kept */
    EXPECT_TAGS(lists, 1, 5, 3, 4);
    lda_seqlist_free(&l);
}

/* Other types, products and accounts never suppress each other. Same
 * start 10: layering A/P [10,20] and wash A/P [15,25] both stay, as do
 * A/Q [12,20] and B/P [11,20]. Report order: end 20: A/P LAYERING,
 * A/Q, B/P; then end 25: A/P WASH. */
static void test_independent_keys(void)
{
    lda_seqlist lay, wash;
    lda_seqlist_init(&lay);
    lda_seqlist_init(&wash);
    push(&lay, "B", "P", LDA_LAYERING, 11, 20, 4);
    push(&lay, "A", "Q", LDA_LAYERING, 12, 20, 3);
    push(&lay, "A", "P", LDA_LAYERING, 10, 20, 1);
    push(&wash, "A", "P", LDA_WASH, 15, 25, 2);
    const lda_seqlist *lists[] = {&lay, &wash};
    EXPECT_TAGS(lists, 2, 1, 3, 4, 2);
    lda_seqlist_free(&lay);
    lda_seqlist_free(&wash);
}

/* Interleaved keys: A/Q [5,50] does not shield A/P [21,25] from A/P
 * [10,20]'s max. */
static void test_interleaved_keys(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    push(&l, "A", "P", LDA_WASH, 10, 20, 1);
    push(&l, "A", "Q", LDA_WASH, 5, 50, 2);
    push(&l, "A", "P", LDA_WASH, 21, 25, 3);
    push(&l, "A", "P", LDA_WASH, 18, 19, 4); /* inside [10,20]: dropped */
    const lda_seqlist *lists[] = {&l};
    EXPECT_TAGS(lists, 1, 1, 3, 2);
    lda_seqlist_free(&l);
}

/* Bytewise order (not case-folded, not locale): "B" 0x42 < "_" 0x5F <
 * "a" 0x61 < "ab" < "\xC3\xA9" (é); products likewise. All end 20. */
static void test_bytewise_order(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    push(&l, "\xC3\xA9", "P", LDA_WASH, 10, 20, 5);
    push(&l, "ab", "P", LDA_WASH, 10, 20, 4);
    push(&l, "a", "p", LDA_WASH, 10, 20, 32);
    push(&l, "a", "P", LDA_WASH, 10, 20, 31);
    push(&l, "_", "P", LDA_WASH, 10, 20, 2);
    push(&l, "B", "P", LDA_WASH, 10, 20, 1);
    const lda_seqlist *lists[] = {&l};
    EXPECT_TAGS(lists, 1, 1, 2, 31, 32, 4, 5);
    lda_seqlist_free(&l);
}

/* Report order is by end first: the row ending first comes first even
 * with a later account; equal end -> account -> product -> type. */
static void test_report_order(void)
{
    lda_seqlist lay, wash;
    lda_seqlist_init(&lay);
    lda_seqlist_init(&wash);
    push(&wash, "A", "P", LDA_WASH, 1, 30, 4);
    push(&wash, "Z", "P", LDA_WASH, 1, 10, 1);
    push(&lay, "A", "P", LDA_LAYERING, 5, 30, 3);
    push(&lay, "M", "P", LDA_LAYERING, 29, 29, 2);
    const lda_seqlist *lists[] = {&wash, &lay};
    /* end 10: Z; end 29: M; end 30: A/P LAYERING, then A/P WASH */
    EXPECT_TAGS(lists, 2, 1, 2, 3, 4);
    lda_seqlist_free(&lay);
    lda_seqlist_free(&wash);
}

/* Equal start and end: the earlier in group order (= pushed earlier in
 * its list) is kept; across lists, the earlier list. */
static void test_equal_tie(void)
{
    lda_seqlist a, b;
    lda_seqlist_init(&a);
    lda_seqlist_init(&b);
    push(&a, "A", "P", LDA_WASH, 10, 20, 2);
    push(&a, "A", "P", LDA_WASH, 10, 20, 1);
    const lda_seqlist *one[] = {&a};
    EXPECT_TAGS(one, 1, 2);
    push(&b, "A", "P", LDA_WASH, 10, 20, 7);
    const lda_seqlist *ab[] = {&a, &b};
    EXPECT_TAGS(ab, 2, 2);
    const lda_seqlist *ba[] = {&b, &a};
    EXPECT_TAGS(ba, 2, 7);
    lda_seqlist_free(&a);
    lda_seqlist_free(&b);
}

static void test_empty(void)
{
    lda_seqlist a, b;
    lda_seqlist_init(&a);
    lda_seqlist_init(&b);
    const lda_seqlist *lists[] = {&a, &b};
    lda_ref *out = NULL;
    size_t nout = 99;
    CU_ASSERT_EQUAL(lda_merge(lists, 2, &out, &nout), 0);
    CU_ASSERT_EQUAL(nout, 0);
    free(out);
    out = NULL;
    nout = 99;
    CU_ASSERT_EQUAL(lda_merge(lists, 0, &out, &nout), 0);
    CU_ASSERT_EQUAL(nout, 0);
    free(out);
}

/* The references point at the caller's lists and sequences. */
static void test_refs(void)
{
    lda_seqlist a, b;
    lda_seqlist_init(&a);
    lda_seqlist_init(&b);
    push(&a, "A", "P", LDA_LAYERING, 1, 2, 1);
    push(&b, "A", "P", LDA_WASH, 0, 1, 2);
    const lda_seqlist *lists[] = {&a, &b};
    lda_ref *out = NULL;
    size_t nout = 0;
    CU_ASSERT_EQUAL_FATAL(lda_merge(lists, 2, &out, &nout), 0);
    CU_ASSERT_EQUAL_FATAL(nout, 2);
    CU_ASSERT_PTR_EQUAL(out[0].list, &b);
    CU_ASSERT_PTR_EQUAL(out[0].seq, &b.v[0]);
    CU_ASSERT_PTR_EQUAL(out[1].list, &a);
    CU_ASSERT_PTR_EQUAL(out[1].seq, &a.v[0]);
    free(out);
    lda_seqlist_free(&a);
    lda_seqlist_free(&b);
}

void lda_test_merge(void)
{
    static const lda_test_case cases[] = {
        {"collapse onto earliest, largest kept end", test_collapse},
        {"collapse under a long kept sequence", test_collapse_long},
        {"types, products, accounts independent", test_independent_keys},
        {"interleaved keys", test_interleaved_keys},
        {"bytewise string order", test_bytewise_order},
        {"report order (end, acc, prod, type, start)", test_report_order},
        {"equal start and end tie", test_equal_tie},
        {"empty input", test_empty},
        {"references into the lists", test_refs},
        {NULL, NULL}};
    lda_test_suite("merge", cases, NULL, NULL, NULL, NULL);
}
