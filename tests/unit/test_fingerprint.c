/* test_fingerprint: lda_fingerprint against the canonical form documented
 * in src/core/lda_fingerprint.h: one line per event (account TAB product
 * TAB UTC time with 6 digits and Z TAB SIDE TAB TYPE TAB quantity TAB
 * price text), sorted bytewise, SHA-256 hex. Row order, zone spelling
 * and case do not matter; quantity and price text do. */
#include "lda_test.h"

#include <string.h>

#include "lda_fingerprint.h"

/* Six events in assorted input forms. Their canonical lines, sorted
 * (TAB sorts before space, so "A<TAB>Q" < "A B<TAB>P"; "10.5" < "10.50"):
 *   A\tP\t2024-01-01T00:00:00.000000Z\tBUY\tORDER_PLACED\t100\t10.5
 *   A\tP\t2024-01-01T00:00:00.000000Z\tBUY\tORDER_PLACED\t100\t10.50
 *   A\tP\t2024-01-01T00:00:00.000000Z\tSELL\tORDER_PLACED\t100\t1e1
 *   A\tQ\t2024-01-01T00:00:00.500000Z\tBUY\tORDER_CANCELLED\t3\t.5
 *   A B\tP\t2023-12-31T23:59:59.999999Z\tBUY\tTRADE_EXECUTED\t1000000000000\t1.2e3
 *   B\tP\t2024-01-01T00:00:01.000000Z\tSELL\tTRADE_EXECUTED\t7\t+5
 * Expected value computed with (lines written with printf '%s\n' $'...'):
 *   LC_ALL=C sort lines.txt | sha256sum */
#define FP_SMALL \
    "33d7d641dbc63e9e0c0103735b5b33204d7b7da3430040cfa1912fe1375b2cf5"

#define R1 "2024-01-01T00:00:01Z,B,P,sell,+5,007,trade_executed\n"
#define R2 "2024-01-01T01:00:00+01:00,A,P,SELL,1e1,100,ORDER_PLACED\n"
#define R3 "2024-01-01 00:00,A,P,BUY,10.50,+100,ORDER_PLACED\n"
#define R4 "2024-01-01T00:00:00.5Z,A,Q,Buy,.5,3,Order_Cancelled\n"
#define R5 \
    "2023-12-31T23:59:59.9999999Z,A B,P,BUY,1.2e3,1000000000000," \
    "TRADE_EXECUTED\n"
#define R6 "2024-01-01T00:00:00.000000Z,A,P,BUY, 10.5 ,100,ORDER_PLACED\n"

/* Fingerprint of csv into hex (65 bytes); asserts the pipeline ran. */
static void fp_of(const char *csv, char hex[65], unsigned line)
{
    lda_run r;
    int rc = lda_test_run(&r, csv, NULL, NULL);
    CU_assertImplementation(rc == 0 ? CU_TRUE : CU_FALSE, line, "pipeline ran",
                            __FILE__, "", CU_FALSE);
    memcpy(hex, rc == 0 ? r.fp : "(failed)", rc == 0 ? 65 : 9);
    lda_test_run_free(&r);
}

static void test_known_value(void)
{
    char fp[65];
    fp_of(LDA_CSV_HEADER R1 R2 R3 R4 R5 R6, fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SMALL);
    /* lowercase hex, 64 digits */
    CU_ASSERT_EQUAL(strlen(fp), 64);
    CU_ASSERT_EQUAL(strspn(fp, "0123456789abcdef"), 64);
}

static void test_row_order(void)
{
    char fp[65];
    fp_of(LDA_CSV_HEADER R6 R5 R4 R3 R2 R1, fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SMALL);
    fp_of(LDA_CSV_HEADER R3 R1 R6 R2 R5 R4, fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SMALL);
    /* a different column order and extra columns change nothing */
    fp_of("quantity,event_type,note,timestamp,side,price,product_id,"
          "account_id\n"
          "7,TRADE_EXECUTED,x,2024-01-01T00:00:01Z,SELL,+5,P,B\n"
          "100,ORDER_PLACED,,2024-01-01T00:00:00Z,SELL,1e1,P,A\n"
          "100,ORDER_PLACED,,2024-01-01T00:00:00Z,BUY,10.50,P,A\n"
          "3,ORDER_CANCELLED,,2024-01-01T00:00:00.500Z,BUY,.5,Q,A\n"
          "1000000000000,TRADE_EXECUTED,,2023-12-31T23:59:59.999999Z,BUY,"
          "1.2e3,P,A B\n"
          "100,ORDER_PLACED,,2024-01-01T00:00:00Z,BUY,10.5,P,A\n",
          fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SMALL);
}

static void test_changes(void)
{
    char fp[65];
    /* quantity 100 -> 101 in one row */
    fp_of(LDA_CSV_HEADER R1 R2 R3 R4 R5
          "2024-01-01T00:00:00.000000Z,A,P,BUY, 10.5 ,101,ORDER_PLACED\n",
          fp, __LINE__);
    CU_ASSERT_EQUAL(strlen(fp), 64);
    CU_ASSERT_STRING_NOT_EQUAL(fp, FP_SMALL);
    /* price text 1e1 -> 10: same number, other text */
    fp_of(
        LDA_CSV_HEADER R1
        "2024-01-01T01:00:00+01:00,A,P,SELL,10,100,ORDER_PLACED\n" R3 R4 R5 R6,
        fp, __LINE__);
    CU_ASSERT_STRING_NOT_EQUAL(fp, FP_SMALL);
    /* one microsecond later */
    fp_of(LDA_CSV_HEADER R1 R2 R3
          "2024-01-01T00:00:00.500001Z,A,Q,Buy,.5,3,Order_Cancelled\n" R5 R6,
          fp, __LINE__);
    CU_ASSERT_STRING_NOT_EQUAL(fp, FP_SMALL);
    /* a duplicated row is one more line */
    fp_of(LDA_CSV_HEADER R1 R2 R3 R4 R5 R6 R6, fp, __LINE__);
    CU_ASSERT_STRING_NOT_EQUAL(fp, FP_SMALL);
    /* side swapped */
    fp_of(
        LDA_CSV_HEADER
        "2024-01-01T00:00:01Z,B,P,BUY,+5,007,trade_executed\n" R2 R3 R4 R5 R6,
        fp, __LINE__);
    CU_ASSERT_STRING_NOT_EQUAL(fp, FP_SMALL);
    /* rejected rows are not events: adding one changes nothing */
    fp_of(LDA_CSV_HEADER R1 R2 R3 R4 R5 R6
          "2024-01-01T00:00:00Z,A,P,BUY,NaN,1,ORDER_PLACED\n",
          fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SMALL);
}

/* A single event (one line, nothing to sort):
 *   printf 'X\tY\t1970-01-01T00:00:00.000001Z\tBUY\tTRADE_EXECUTED\t1\t1\n' \
 *     | sha256sum */
#define FP_SINGLE \
    "7cea7254d40b560f18a0d276afe1a0e546a658439c4af2bf778f2ecabf1823d1"

static void test_single(void)
{
    char fp[65];
    fp_of(LDA_CSV_HEADER
          "1970-01-01T00:00:00.000001Z,X,Y,BUY,1,1,TRADE_EXECUTED\n",
          fp, __LINE__);
    LDA_ASSERT_STR(fp, FP_SINGLE);
}

/* lda_fingerprint_mask: only the events whose type bit is set.
 * Trades of the small case, sorted:
 *   printf '%s\n' $'A B\tP\t2023-12-31T23:59:59.999999Z\tBUY\tTRADE_EXECUTED\t1000000000000\t1.2e3' \
 *     $'B\tP\t2024-01-01T00:00:01.000000Z\tSELL\tTRADE_EXECUTED\t7\t+5' | LC_ALL=C sort | sha256sum
 * No event at all: printf '' | sha256sum */
#define FP_TRADES \
    "b0722d3c9fd59544f6572e467de0b5f83184c6fc81126050afee2a520924f4bb"
#define FP_NOTHING \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_mask(void)
{
    lda_run r;
    char hex[65], only[65];
    CU_ASSERT_EQUAL_FATAL(
        lda_test_run(&r, LDA_CSV_HEADER R1 R2 R3 R4 R5 R6, NULL, NULL), 0);
    CU_ASSERT_EQUAL(lda_fingerprint_mask(&r.set, 1u << LDA_TRADE, hex), 0);
    LDA_ASSERT_STR(hex, FP_TRADES);
    CU_ASSERT_EQUAL(lda_fingerprint_mask(&r.set, LDA_FP_ALL, hex), 0);
    LDA_ASSERT_STR(hex, FP_SMALL);
    CU_ASSERT_EQUAL(lda_fingerprint_mask(&r.set, 0, hex), 0);
    LDA_ASSERT_STR(hex, FP_NOTHING);
    /* orders and cancels only == the fingerprint of a set holding just
     * those rows (R2 R3 R4 R6; three of them share one timestamp) */
    CU_ASSERT_EQUAL(
        lda_fingerprint_mask(&r.set,
                             (1u << LDA_PLACED) | (1u << LDA_CANCELLED), hex),
        0);
    fp_of(LDA_CSV_HEADER R6 R4 R3 R2, only, __LINE__);
    LDA_ASSERT_STR(hex, only);
    CU_ASSERT_STRING_NOT_EQUAL(hex, FP_SMALL);
    lda_test_run_free(&r);
}

void lda_test_fingerprint(void)
{
    static const lda_test_case cases[] = {
        {"equals LC_ALL=C sort | sha256sum", test_known_value},
        {"row and column order do not matter", test_row_order},
        {"quantity, price text, time, side matter", test_changes},
        {"single event", test_single},
        {"type mask", test_mask},
        {NULL, NULL}};
    lda_test_suite("fingerprint", cases, NULL, NULL, NULL, NULL);
}
