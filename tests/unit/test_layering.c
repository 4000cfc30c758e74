/* test_layering: docs/detection.md#layering through the whole pipeline,
 * written as data: input CSV -> expected report rows (docs/reports.md). Every
 * case's derivation is in the comment above it; all timestamps are
 * 2024-03-01T10:00:SS UTC unless written out. Where the merge
 * (docs/detection.md#merge) would hide a wrong extra sequence (it overlaps the
 * right one), the raw detector output is checked as well. */
#include "lda_test.h"

#define D "2024-03-01T10:00:" /* input timestamp prefix */
#define O "2024-03-01T10:00:" /* report timestamp prefix */
#define Z "+00:00"

/* The shared shape: BUY orders :00 :01 :02 (100/200/300), BUY cancels
 * :03 :04 :05 (100/200/300), SELL trade :06 (50). */
#define BASE_ORDERS \
    D "00Z,A,P,BUY,10,100,ORDER_PLACED\n" D \
      "01Z,A,P,BUY,10,200,ORDER_PLACED\n" D \
      "02Z,A,P,BUY,10,300,ORDER_PLACED\n"
#define BASE_CANCELS \
    D "03Z,A,P,BUY,10,100,ORDER_CANCELLED\n" D \
      "04Z,A,P,BUY,10,200,ORDER_CANCELLED\n" D \
      "05Z,A,P,BUY,10,300,ORDER_CANCELLED\n"
#define BASE_ORDER_TS O "00" Z ";" O "01" Z ";" O "02" Z

/* start :00, orders :00-:02 (3, last :02); cancels in [:00, :07]: 3, lc
 * :05; first SELL trade in [:05, :07]: :06 -> end :06. Totals over
 * [:00, :06]: BUY cancels 3 / 600 = total_buy_qty, SELL trades 50 =
 * total_sell_qty. 6.000 s. */
static void test_basic_buy(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "06Z,A,P,SELL,9.9,50,TRADE_EXECUTED\n",
               "A,P,600,50,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n");
}

/* Mirror image on SELL: SELL cancels 10+20+30 = 60 -> total_sell_qty,
 * BUY trade 70 at :06.5 -> total_buy_qty; end has a fraction. */
static void test_basic_sell(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "00Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "01Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "02Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "03Z,A,P,SELL,10,10,ORDER_CANCELLED\n" D
                                "04Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
                                "05Z,A,P,SELL,10,30,ORDER_CANCELLED\n" D
                                "06.5Z,A,P,BUY,10,70,TRADE_EXECUTED\n",
               "A,P,70,60,3," O "06.500000" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.500,LAYERING\r\n");
}

/* Orders window: orders :00 :05 :10 (10 - 0 = 10 s, inclusive) -> 3;
 * cancels :11 :12 :13 <= :10 + 5; SELL trade :14 in [:13, :15]. */
static void test_orders_window_exact(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "05Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "10Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "11Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "12Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "13Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "14Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "A,P,3,5,3," O "14" Z ",LAYERING,,\r\n",
               "A,P," O "00" Z ";" O "05" Z ";" O "10" Z
               ",14.000,LAYERING\r\n");
}

/* Third order 1 us past the window: from :00 only :00 :05 (2), from :05
 * only :05 :10.000001 (2), then 1 -> nothing. */
static void test_orders_window_past(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "05Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "10.000001Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "11Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "12Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "13Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "14Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "", "");
}

/* Cancel window: last order :02, third cancel at :07 = :02 + 5 s
 * (inclusive) -> 3 cancels, lc :07; SELL trade :08 in [:07, :09]. */
static void test_cancel_window_exact(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS D
               "03Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "04Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "07Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "08Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "A,P,3,5,3," O "08" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",8.000,LAYERING\r\n");
}

/* Third cancel 1 us past :07 -> 2 cancels; later starts have 2 or 1
 * orders -> nothing. */
static void test_cancel_window_past(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS D
               "03Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "04Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "07.000001Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "08Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "", "");
}

/* Trade window: lc :05, trade at :07 = :05 + 2 s (inclusive). */
static void test_trade_window_exact(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "07Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "A,P,600,5,3," O "07" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",7.000,LAYERING\r\n");
}

static void test_trade_window_past(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "07.000001Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "", "");
}

/* The trade window starts at lc itself (lc <= ts), judged on timestamps:
 * a SELL trade at :05 listed before the :05 cancel still completes. */
static void test_trade_at_lc(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS D
               "03Z,A,P,BUY,10,100,ORDER_CANCELLED\n" D
               "04Z,A,P,BUY,10,200,ORDER_CANCELLED\n" D
               "05Z,A,P,SELL,10,5,TRADE_EXECUTED\n" D
               "05Z,A,P,BUY,10,300,ORDER_CANCELLED\n",
               "A,P,600,5,3," O "05" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",5.000,LAYERING\r\n");
}

/* A trade 1 us before lc does not complete. */
static void test_trade_before_lc(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "04.999999Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "", "");
}

/* Two orders are not enough; the same input with a third is detected. */
static void test_two_vs_three_orders(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D
               "00Z,A,P,BUY,10,100,ORDER_PLACED\n" D
               "01Z,A,P,BUY,10,200,ORDER_PLACED\n" BASE_CANCELS D
               "06Z,A,P,SELL,9.9,50,TRADE_EXECUTED\n",
               "", "");
    /* and two cancels are not enough either */
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS D
               "03Z,A,P,BUY,10,100,ORDER_CANCELLED\n" D
               "04Z,A,P,BUY,10,200,ORDER_CANCELLED\n" D
               "06Z,A,P,SELL,9.9,50,TRADE_EXECUTED\n",
               "", "");
}

/* Orders :01-:03; a cancel at :00.999999 is before start -> cancels in
 * [:01, :08] are :04 :05 only (2) -> nothing. */
static void test_cancel_before_first_order(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "00.999999Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "03Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "04Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "05Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "06Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "", "");
}

/* A cancel at exactly start counts (start <= ts), even listed before the
 * first order: cancels :01 :04 :05 -> lc :05, trade :06 -> [:01, :06]. */
static void test_cancel_at_start(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "01Z,A,P,BUY,10,7,ORDER_CANCELLED\n" D
                                "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "03Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "04Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "05Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
                                "06Z,A,P,SELL,10,5,TRADE_EXECUTED\n",
               "A,P,9,5,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," O "01" Z ";" O "02" Z ";" O "03" Z
               ",5.000,LAYERING\r\n");
}

/* A same-side (BUY) trade never completes a BUY layering. */
static void test_same_side_trade(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "06Z,A,P,BUY,10,50,TRADE_EXECUTED\n",
               "", "");
}

/* With a BUY trade :06 and a SELL trade :06.5, the SELL one completes
 * (end :06.5); the BUY trade's 999 counts in neither total. */
static void test_same_side_then_opposite(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "06Z,A,P,BUY,10,999,TRADE_EXECUTED\n" D
               "06.5Z,A,P,SELL,10,50,TRADE_EXECUTED\n",
               "A,P,600,50,3," O "06.500000" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.500,LAYERING\r\n");
}

/* The completing trade is the first in group order: SELL :06 (50) not
 * :06.5. Two SELL trades at :06 both fall in [start, end] -> 50 + 25. */
static void test_first_trade_completes(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS BASE_CANCELS D
               "06.5Z,A,P,SELL,10,1000,TRADE_EXECUTED\n" D
               "06Z,A,P,SELL,10,50,TRADE_EXECUTED\n" D
               "06Z,A,P,SELL,10,25,TRADE_EXECUTED\n",
               "A,P,600,75,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n");
}

/* Step 5 totals are over [start, end], not the step-3 window:
 *   orders :00 :01 :02 (last :02); cancels :03 (10) :04 (20) :07 (40)
 *   -> lc :07 (= :02 + 5); cancel :08 (80) is past :07 for step 3;
 *   SELL trade :01.5 (5) is before lc; SELL :09 (7) completes -> end :09.
 *   Over [:00, :09]: BUY cancels :03 :04 :07 :08 -> 4, 150; SELL trades
 *   :01.5 + :09 -> 12. Not counted: BUY cancel 09:59:59 (before start),
 *   BUY trade :02.5, SELL cancel :03.5, SELL trade :09.5 (after end). */
static void test_step5_totals(void)
{
    LDA_EXPECT(LDA_CSV_HEADER
               "2024-03-01T09:59:59Z,A,P,BUY,10,1000,ORDER_CANCELLED\n" D
               "00Z,A,P,BUY,10,100,ORDER_PLACED\n" D
               "01Z,A,P,BUY,10,100,ORDER_PLACED\n" D
               "01.5Z,A,P,SELL,10,5,TRADE_EXECUTED\n" D
               "02Z,A,P,BUY,10,100,ORDER_PLACED\n" D
               "02.5Z,A,P,BUY,10,3000,TRADE_EXECUTED\n" D
               "03Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
               "03.5Z,A,P,SELL,10,4000,ORDER_CANCELLED\n" D
               "04Z,A,P,BUY,10,20,ORDER_CANCELLED\n" D
               "07Z,A,P,BUY,10,40,ORDER_CANCELLED\n" D
               "08Z,A,P,BUY,10,80,ORDER_CANCELLED\n" D
               "09Z,A,P,SELL,10,7,TRADE_EXECUTED\n" D
               "09.5Z,A,P,SELL,10,50000,TRADE_EXECUTED\n",
               "A,P,150,12,4," O "09" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",9.000,LAYERING\r\n");
}

/* Rows in any order give the same result (basic case, reversed). */
static void test_unsorted(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "06Z,A,P,SELL,9.9,50,TRADE_EXECUTED\n" D
                                "05Z,A,P,BUY,10,300,ORDER_CANCELLED\n" D
                                "02Z,A,P,BUY,10,300,ORDER_PLACED\n" D
                                "04Z,A,P,BUY,10,200,ORDER_CANCELLED\n" D
                                "00Z,A,P,BUY,10,100,ORDER_PLACED\n" D
                                "03Z,A,P,BUY,10,100,ORDER_CANCELLED\n" D
                                "01Z,A,P,BUY,10,200,ORDER_PLACED\n",
               "A,P,600,50,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n");
}

/* Ties keep input order. BUY orders :00 :01 :02, SELL orders :00 :01.5
 * :02.5, BUY cancels :03 :04 :05 (10 each), SELL cancels :03.5 :04.5
 * :05.5 (20 each), SELL trade :06 (7), BUY trade :06 (9).
 * BUY :00 listed first: i = BUY :00 -> BUY orders :00-:02, cancels lc
 *   :05, SELL trade :06 -> BUY sequence, buy 30 / sell 7; i = last + 1 =
 *   SELL :02.5 -> 1 order -> done.
 * SELL :00 listed first: i = SELL :00 -> SELL orders :00 :01.5 :02.5,
 *   lc :05.5, BUY trade :06 -> SELL sequence, buy 9 / sell 60; i jumps
 *   past the last SELL order -> done. */
#define TIE_REST \
    D "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D \
      "01.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D \
      "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D \
      "02.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D \
      "03Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D \
      "03.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D \
      "04Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D \
      "04.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D \
      "05Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D \
      "05.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D \
      "06Z,A,P,SELL,10,7,TRADE_EXECUTED\n" D \
      "06Z,A,P,BUY,10,9,TRADE_EXECUTED\n"

static void test_ties_keep_input_order(void)
{
    LDA_EXPECT(LDA_CSV_HEADER D "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "00Z,A,P,SELL,10,1,ORDER_PLACED\n" TIE_REST,
               "A,P,30,7,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n");
    LDA_EXPECT(LDA_CSV_HEADER D "00Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "00Z,A,P,BUY,10,1,ORDER_PLACED\n" TIE_REST,
               "A,P,9,60,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," O "00" Z ";" O "01.500000" Z ";" O "02.500000" Z
               ",6.000,LAYERING\r\n");
    /* shuffled, but SELL :00 still before BUY :00: same as the second */
    LDA_EXPECT(LDA_CSV_HEADER D "06Z,A,P,BUY,10,9,TRADE_EXECUTED\n" D
                                "05.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
                                "00Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "02.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "03Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
                                "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "04.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
                                "06Z,A,P,SELL,10,7,TRADE_EXECUTED\n" D
                                "01.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D
                                "04Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
                                "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D
                                "03.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
                                "05Z,A,P,BUY,10,10,ORDER_CANCELLED\n",
               "A,P,9,60,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," O "00" Z ";" O "01.500000" Z ";" O "02.500000" Z
               ",6.000,LAYERING\r\n");
}

/* Opposite-side orders inside a detected sequence are skipped (i =
 * last + 1). BUY orders :00 :01 :02 interleaved with SELL orders :00.5
 * :01.5 :02.5; BUY cancels :03-:05 (10 each), SELL cancels :03.5-:05.5
 * (20 each), SELL trade :06 (7), BUY trade :06.5 (9).
 * i = BUY :00 -> BUY sequence [:00, :06], buy 30 / sell 7; i = SELL
 * :02.5 -> 1 SELL order -> done. Had i restarted at SELL :00.5, a SELL
 * sequence [:00.5, :06.5] would exist (the merge would then hide it, so
 * the detector output is checked). */
static void test_skip_opposite_after_detection(void)
{
    static const char in[] = LDA_CSV_HEADER D
        "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "00.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D
        "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "01.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D
        "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "02.5Z,A,P,SELL,10,1,ORDER_PLACED\n" D
        "03Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
        "03.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
        "04Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
        "04.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
        "05Z,A,P,BUY,10,10,ORDER_CANCELLED\n" D
        "05.5Z,A,P,SELL,10,20,ORDER_CANCELLED\n" D
        "06Z,A,P,SELL,10,7,TRADE_EXECUTED\n" D
        "06.5Z,A,P,BUY,10,9,TRADE_EXECUTED\n";
    LDA_EXPECT(in, "A,P,30,7,3," O "06" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n");
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r, in, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.lay.n, 1);
    if (r.lay.n >= 1) {
        CU_ASSERT_EQUAL(r.lay.v[0].side, LDA_BUY);
        CU_ASSERT_EQUAL(r.lay.v[0].start, lda_test_ts(D "00Z"));
        CU_ASSERT_EQUAL(r.lay.v[0].end, lda_test_ts(D "06Z"));
    }
    lda_test_run_free(&r);
}

/* Orders are not reused. BUY orders :00 :01 :02 :11 :20 :21 :22, BUY
 * cancels :03 :04 :05 :12 :13 :14 :23 :24 :25 (1 each), SELL trades
 * :06 :15 :26 (1 each).
 * i = :00: orders in [:00, :10] = :00 :01 :02; cancels [:00, :07] =
 *   3, lc :05; trade :06 -> [:00, :06] buy 3 / sell 1. i = after :02.
 * next order :11: orders in [:11, :21] = :11 :20 :21; cancels in
 *   [:11, :26] = :12 :13 :14 :23 :24 :25 (6), lc :25; trade :26 ->
 *   [:11, :26]: cancels 6, SELL trades :15 :26 = 2. i = after :21.
 * :22 alone -> done. Two sequences (reusing :01 :02 would give a third,
 * [:01, :15], which the merge would hide: checked on the detector). */
static void test_orders_not_reused(void)
{
    static const char in[] = LDA_CSV_HEADER D
        "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "02Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "03Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "04Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "05Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "06Z,A,P,SELL,10,1,TRADE_EXECUTED\n" D
        "11Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "12Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "13Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "14Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "15Z,A,P,SELL,10,1,TRADE_EXECUTED\n" D
        "20Z,A,P,BUY,10,1,ORDER_PLACED\n" D "21Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "22Z,A,P,BUY,10,1,ORDER_PLACED\n" D
        "23Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "24Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "25Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
        "26Z,A,P,SELL,10,1,TRADE_EXECUTED\n";
    LDA_EXPECT(in,
               "A,P,3,1,3," O "06" Z ",LAYERING,,\r\n"
               "A,P,6,2,6," O "26" Z ",LAYERING,,\r\n",
               "A,P," BASE_ORDER_TS ",6.000,LAYERING\r\n"
               "A,P," O "11" Z ";" O "20" Z ";" O "21" Z
               ",15.000,LAYERING\r\n");
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r, in, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.lay.n, 2);
    if (r.lay.n == 2) {
        CU_ASSERT_EQUAL(r.lay.v[0].start, lda_test_ts(D "00Z"));
        CU_ASSERT_EQUAL(r.lay.v[0].norders, 3);
        CU_ASSERT_EQUAL(r.lay.v[1].start, lda_test_ts(D "11Z"));
        CU_ASSERT_EQUAL(r.lay.v[1].end, lda_test_ts(D "26Z"));
        CU_ASSERT_EQUAL(r.lay.v[1].norders, 3);
    }
    lda_test_run_free(&r);
}

/* Groups are separate: cancels of account B or product Q do not count
 * for A/P, and ids are exact bytes ("a" is not "A"). */
static void test_groups_separate(void)
{
    LDA_EXPECT(LDA_CSV_HEADER BASE_ORDERS D
               "03Z,B,P,BUY,10,1,ORDER_CANCELLED\n" D
               "04Z,A,Q,BUY,10,1,ORDER_CANCELLED\n" D
               "05Z,a,P,BUY,10,1,ORDER_CANCELLED\n" D
               "03.5Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "04.5Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D
               "06Z,A,P,SELL,10,1,TRADE_EXECUTED\n",
               "", "");
}

/* Parameters: windows of 1 s / 0.5 s / 0.25 s. Orders :00 :00.5 :01
 * (1 s), cancels :01.2 :01.3 :01.5 (= :01 + 0.5), trade :01.75
 * (= :01.5 + 0.25), each exactly at its bound; the same with the trade
 * 1 us later finds nothing. */
static void test_params(void)
{
    lda_params p;
    lda_params_default(&p);
    p.lay_orders_us = 1000000;
    p.lay_cancel_us = 500000;
    p.lay_trade_us = 250000;
#define PARAM_HEAD \
    LDA_CSV_HEADER \
    D "00Z,A,P,BUY,10,1,ORDER_PLACED\n" D \
      "00.5Z,A,P,BUY,10,1,ORDER_PLACED\n" D \
      "01Z,A,P,BUY,10,1,ORDER_PLACED\n" D \
      "01.2Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D \
      "01.3Z,A,P,BUY,10,1,ORDER_CANCELLED\n" D \
      "01.5Z,A,P,BUY,10,1,ORDER_CANCELLED\n"
    LDA_EXPECT_P(PARAM_HEAD D "01.75Z,A,P,SELL,10,4,TRADE_EXECUTED\n", &p,
                 "A,P,3,4,3," O "01.750000" Z ",LAYERING,,\r\n",
                 "A,P," O "00" Z ";" O "00.500000" Z ";" O "01" Z
                 ",1.750,LAYERING\r\n");
    LDA_EXPECT_P(PARAM_HEAD D "01.750001Z,A,P,SELL,10,4,TRADE_EXECUTED\n", &p,
                 "", "");
    /* a smaller orders window drops the third order */
    p.lay_orders_us = 999999;
    LDA_EXPECT_P(PARAM_HEAD D "01.75Z,A,P,SELL,10,4,TRADE_EXECUTED\n", &p, "",
                 "");
#undef PARAM_HEAD
}

void lda_test_layering(void)
{
    static const lda_test_case cases[] = {
        {"basic BUY", test_basic_buy},
        {"basic SELL, totals swapped", test_basic_sell},
        {"orders window exactly 10 s", test_orders_window_exact},
        {"orders window + 1 us", test_orders_window_past},
        {"cancel window exactly 5 s", test_cancel_window_exact},
        {"cancel window + 1 us", test_cancel_window_past},
        {"trade window exactly 2 s", test_trade_window_exact},
        {"trade window + 1 us", test_trade_window_past},
        {"trade at lc completes", test_trade_at_lc},
        {"trade 1 us before lc does not", test_trade_before_lc},
        {"2 vs 3 orders, 2 cancels", test_two_vs_three_orders},
        {"cancel before the first order", test_cancel_before_first_order},
        {"cancel at start counts", test_cancel_at_start},
        {"same-side trade does not complete", test_same_side_trade},
        {"same-side trade then opposite", test_same_side_then_opposite},
        {"first trade in group order completes", test_first_trade_completes},
        {"step 5 totals over [start, end]", test_step5_totals},
        {"unsorted input", test_unsorted},
        {"ties keep input order", test_ties_keep_input_order},
        {"opposite-side orders skipped", test_skip_opposite_after_detection},
        {"orders not reused", test_orders_not_reused},
        {"groups separate, ids exact", test_groups_separate},
        {"window parameters", test_params},
        {NULL, NULL}};
    lda_test_suite("layering", cases, NULL, NULL, NULL, NULL);
}
