/* test_wash: docs/detection.md#wash-trading through the whole pipeline,
 * written as data: input CSV -> expected report rows. Trades are on 2024-03-02
 * from 09:00 UTC (prefix W below); each case's derivation is in its comment.
 * Alternation = 100 * switches / (n - 1); price change = fabs((p_last -
 * p_first) / p_first) * 100 in doubles, shown only when >= 1.0. */
#include "lda_test.h"

#define W "2024-03-02T09:" /* input timestamp prefix */
#define O "2024-03-02T09:" /* report timestamp prefix */
#define Z "+00:00"

/* B S B S B S one minute apart, 2000 each, prices 100 -> 101.
 * From 09:00: 6 trades, 3/3, 12000, switches 5/5 = 100 %, |101-100|/100
 * *100 = 1.0 exactly -> "1.00". From 09:01: S B S B S has 2 BUYs; later
 * windows are smaller -> one sequence [09:00, 09:05], 300 s. */
static void test_basic(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,SELL,100.5,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,BUY,100.2,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,100.7,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,BUY,100.4,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,101,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,1.00\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
}

/* Price change just under 1 %: 100 -> 100.99 = 0.99 -> empty cell. */
static void test_price_change_under(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,100.99,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
}

/* 10 -> 10.1 is 1 % in decimal, but in doubles (10.1 - 10) / 10 * 100 =
 * 0.9999999999999963 < 1.0 -> empty (the spec fixes the operation). */
static void test_price_change_double_rounding(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,10.1,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
}

/* A fall counts too (fabs): 100 -> 98 = 2.00; 64 -> 64.64 =
 * 1.0000000000000009 -> "1.00". */
static void test_price_change_fall(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,SELL,99,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,BUY,103,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,98,2000,TRADE_EXECUTED\n" W
                                "10:00Z,Y,P,SELL,64,2000,TRADE_EXECUTED\n" W
                                "11:00Z,Y,P,BUY,1,2000,TRADE_EXECUTED\n" W
                                "12:00Z,Y,P,SELL,1,2000,TRADE_EXECUTED\n" W
                                "13:00Z,Y,P,BUY,1,2000,TRADE_EXECUTED\n" W
                                "14:00Z,Y,P,SELL,1,2000,TRADE_EXECUTED\n" W
                                "15:00Z,Y,P,BUY,64.64,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,2.00\r\n"
               "Y,P,6000,6000,0," O "15:00" Z ",WASH_TRADING,100.00,1.00\r\n",
               "X,P,,300.000,WASH_TRADING\r\n"
               "Y,P,,300.000,WASH_TRADING\r\n");
}

/* Exactly 3 BUY and 3 SELL qualify (test_basic); one short on either
 * side does not (12500 volume, 100 % alternation otherwise). */
static void test_min_trades(void)
{
    LDA_EXPECT(LDA_CSV_HEADER /* 3 BUY, 2 SELL */
                   W "00:00Z,X,P,BUY,10,2500,TRADE_EXECUTED\n" W
                     "01:00Z,X,P,SELL,10,2500,TRADE_EXECUTED\n" W
                     "02:00Z,X,P,BUY,10,2500,TRADE_EXECUTED\n" W
                     "03:00Z,X,P,SELL,10,2500,TRADE_EXECUTED\n" W
                     "04:00Z,X,P,BUY,10,2500,TRADE_EXECUTED\n",
               "", "");
    LDA_EXPECT(LDA_CSV_HEADER /* 2 BUY, 3 SELL */
                   W "00:00Z,X,P,SELL,10,2500,TRADE_EXECUTED\n" W
                     "01:00Z,X,P,BUY,10,2500,TRADE_EXECUTED\n" W
                     "02:00Z,X,P,SELL,10,2500,TRADE_EXECUTED\n" W
                     "03:00Z,X,P,BUY,10,2500,TRADE_EXECUTED\n" W
                     "04:00Z,X,P,SELL,10,2500,TRADE_EXECUTED\n",
               "", "");
}

/* Volume exactly 10000 (1000+2000+1000+2000+1000+3000) qualifies: BUY
 * 3000, SELL 7000; constant price -> change 0 -> empty. With the last
 * trade 2999 (9999) nothing. */
static void test_volume(void)
{
#define VOL_HEAD \
    LDA_CSV_HEADER \
    W "00:00Z,X,P,BUY,50,1000,TRADE_EXECUTED\n" W \
      "01:00Z,X,P,SELL,50,2000,TRADE_EXECUTED\n" W \
      "02:00Z,X,P,BUY,50,1000,TRADE_EXECUTED\n" W \
      "03:00Z,X,P,SELL,50,2000,TRADE_EXECUTED\n" W \
      "04:00Z,X,P,BUY,50,1000,TRADE_EXECUTED\n"
    LDA_EXPECT(VOL_HEAD W "05:00Z,X,P,SELL,50,3000,TRADE_EXECUTED\n",
               "X,P,3000,7000,0," O "05:00" Z ",WASH_TRADING,100.00,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
    LDA_EXPECT(VOL_HEAD W "05:00Z,X,P,SELL,50,2999,TRADE_EXECUTED\n", "", "");
#undef VOL_HEAD
}

/* Alternation: B B S S B S -> switches 0+1+0+1+1 = 3 of 5 = 60.00 %
 * (qualifies; from trade 2 only 2 BUYs). B B S S S B -> 2 of 5 = 40 %. */
static void test_alternation(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,60.00,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "01:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W
                                "02:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "04:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n",
               "", "");
}

/* One unit under each threshold through the parameters: the 60.00 %,
 * 10000-volume, 3/3 window of the cases above fails with 60.01 %,
 * 10001, 4 BUYs or 4 SELLs; and a 1.00 % change is hidden at 1.01 %. */
static void test_thresholds_from_params(void)
{
    static const char alt60[] = LDA_CSV_HEADER W
        "00:00Z,X,P,BUY,100,1000,TRADE_EXECUTED\n" W
        "01:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
        "02:00Z,X,P,SELL,100,1000,TRADE_EXECUTED\n" W
        "03:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
        "04:00Z,X,P,BUY,100,1000,TRADE_EXECUTED\n" W
        "05:00Z,X,P,SELL,101,3000,TRADE_EXECUTED\n";
    lda_params p;
    lda_params_default(&p);
    LDA_EXPECT_P(alt60, &p,
                 "X,P,4000,6000,0," O "05:00" Z ",WASH_TRADING,60.00,1.00\r\n",
                 "X,P,,300.000,WASH_TRADING\r\n");
    p.wash_min_alt_pct = 60.01;
    LDA_EXPECT_P(alt60, &p, "", "");
    lda_params_default(&p);
    p.wash_min_volume = 10001;
    LDA_EXPECT_P(alt60, &p, "", "");
    lda_params_default(&p);
    p.wash_min_buys = 4;
    LDA_EXPECT_P(alt60, &p, "", "");
    lda_params_default(&p);
    p.wash_min_sells = 4;
    LDA_EXPECT_P(alt60, &p, "", "");
    lda_params_default(&p);
    p.wash_min_pc_pct = 1.01;
    LDA_EXPECT_P(alt60, &p,
                 "X,P,4000,6000,0," O "05:00" Z ",WASH_TRADING,60.00,\r\n",
                 "X,P,,300.000,WASH_TRADING\r\n");
    /* and a 4-minute window keeps only what it reaches */
    lda_params_default(&p);
    p.wash_window_us = 4 * 60 * 1000000LL; /* 09:00-09:04: 3 BUY 2 SELL */
    LDA_EXPECT_P(alt60, &p, "", "");
}

/* 30-minute window, inclusive: B 09:00, S :06, B :12, S :18, B :24,
 * S 09:30:00.000000 -> 6 trades, 100 %, 1800 s. With the last at
 * 09:30:00.000001: from 09:00 3 BUY 2 SELL; from 09:06 2 BUYs -> none. */
static void test_window_boundary(void)
{
#define WIN_HEAD \
    LDA_CSV_HEADER \
    W "00:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W \
      "06:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W \
      "12:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W \
      "18:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W \
      "24:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n"
    LDA_EXPECT(WIN_HEAD W "30:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "30:00" Z ",WASH_TRADING,100.00,\r\n",
               "X,P,,1800.000,WASH_TRADING\r\n");
    LDA_EXPECT(WIN_HEAD W "30:00.000001Z,X,P,SELL,10,2000,TRADE_EXECUTED\n",
               "", "");
#undef WIN_HEAD
}

/* Every qualifying window is emitted; the merge keeps the earliest.
 * 8 alternating trades 09:00-09:07 (2000, price 100) then 6 more at
 * 10:00-10:05 (price 10 -> 10.2: 1.9999999999999927 -> "2.00").
 * Windows: from 09:00 (8 trades, 4/4, 16000), 09:01 (7, 3 BUY 4 SELL),
 * 09:02 (6, 3/3): 3 overlapping -> one row [09:00, 09:07], 420 s.
 * No window reaches from 09:0x to 10:00 (> 30 min). From 10:00: 3/3 ->
 * a second row. 4 detector sequences, 2 kept. */
static void test_overlap_and_separate(void)
{
    static const char in[] = LDA_CSV_HEADER W
        "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
        "01:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
        "02:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
        "03:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
        "04:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
        "05:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
        "06:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
        "07:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:00:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:01:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:02:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:03:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:04:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n"
        "2024-03-02T10:05:00Z,X,P,SELL,10.2,2000,TRADE_EXECUTED\n";
    LDA_EXPECT(in,
               "X,P,8000,8000,0," O "07:00" Z ",WASH_TRADING,100.00,\r\n"
               "X,P,6000,6000,0,2024-03-02T10:05:00" Z
               ",WASH_TRADING,100.00,2.00\r\n",
               "X,P,,420.000,WASH_TRADING\r\n"
               "X,P,,300.000,WASH_TRADING\r\n");
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(lda_test_run(&r, in, NULL, NULL), 0);
    CU_ASSERT_EQUAL(r.wash.n, 4);
    CU_ASSERT_EQUAL(r.nmerged, 2);
    if (r.wash.n == 4) {
        /* emission order = group order of the window's first trade */
        CU_ASSERT_EQUAL(r.wash.v[0].start, lda_test_ts(W "00:00Z"));
        CU_ASSERT_EQUAL(r.wash.v[0].end, lda_test_ts(W "07:00Z"));
        CU_ASSERT_EQUAL(r.wash.v[1].start, lda_test_ts(W "01:00Z"));
        CU_ASSERT_EQUAL(r.wash.v[1].buy_qty, 6000);
        CU_ASSERT_EQUAL(r.wash.v[1].sell_qty, 8000);
        CU_ASSERT_EQUAL(r.wash.v[2].start, lda_test_ts(W "02:00Z"));
        CU_ASSERT_EQUAL(r.wash.v[3].start,
                        lda_test_ts("2024-03-02T10:00:00Z"));
        CU_ASSERT_EQUAL(r.wash.v[0].side, LDA_SIDE_NULL);
        CU_ASSERT_EQUAL(r.wash.v[0].norders, 0);
        CU_ASSERT_TRUE(r.wash.v[0].has_alt);
        CU_ASSERT_FALSE(r.wash.v[0].has_pc);
    }
    lda_test_run_free(&r);
}

/* Orders and cancels between the trades change nothing (trades only):
 * the basic case with noise, and the layering detector finds nothing
 * (at most 2 orders per side). */
static void test_trades_only(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
                                "00:30Z,X,P,BUY,100,50000,ORDER_PLACED\n" W
                                "01:00Z,X,P,SELL,100.5,2000,TRADE_EXECUTED\n" W
                                "01:30Z,X,P,BUY,100,50000,ORDER_PLACED\n" W
                                "01:40Z,X,P,SELL,100,50000,ORDER_CANCELLED\n" W
                                "02:00Z,X,P,BUY,100.2,2000,TRADE_EXECUTED\n" W
                                "03:00Z,X,P,SELL,100.7,2000,TRADE_EXECUTED\n" W
                                "03:30Z,X,P,SELL,100,50000,ORDER_PLACED\n" W
                                "04:00Z,X,P,BUY,100.4,2000,TRADE_EXECUTED\n" W
                                "05:00Z,X,P,SELL,101,2000,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,1.00\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
}

/* Equal timestamps keep input order, which decides the alternation:
 * B,S at 09:00 then B S B S -> B S B S B S = 100 %; S,B at 09:00 ->
 * S B B S B S = 4 of 5 = 80 % (from the second trade: B B S B S has 2
 * SELLs). Prices 100 ... 101 either way -> 1.00. */
static void test_ties(void)
{
#define TIE_TAIL \
    W "01:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W \
      "02:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W \
      "03:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W \
      "04:00Z,X,P,SELL,101,2000,TRADE_EXECUTED\n"
    LDA_EXPECT(LDA_CSV_HEADER W
               "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
               "00:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" TIE_TAIL,
               "X,P,6000,6000,0," O "04:00" Z ",WASH_TRADING,100.00,1.00\r\n",
               "X,P,,240.000,WASH_TRADING\r\n");
    LDA_EXPECT(LDA_CSV_HEADER W
               "00:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
               "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" TIE_TAIL,
               "X,P,6000,6000,0," O "04:00" Z ",WASH_TRADING,80.00,1.00\r\n",
               "X,P,,240.000,WASH_TRADING\r\n");
#undef TIE_TAIL
}

/* Merge tie (docs/detection.md#merge.2): two BUY trades at 09:00 give two
 * windows with the same start and end; the one whose first trade is earlier in
 * group order (input order) is kept. Input B@10 x1000, B@20 x3000, then S B S
 * B S (2000, price 10):
 *   window 1: B B S B S B S: BUY 1000+3000+2000+2000 = 8000, SELL 6000,
 *   switches 5/6 = 83.33 %, price 10 -> 10: empty. Kept.
 *   window 2: B S B S B S: 7000 / 6000, 100 %, |10-20|/20 = 50.00.
 * Swapped (B@20 x3000 first): window 1: 8000 / 6000, 83.33 %, 50.00
 *   kept; window 2 (B@10 x1000): 5000 / 6000 = 11000, 100 %: dropped. */
static void test_equal_start_end_tie(void)
{
#define EQ_TAIL \
    W "01:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W \
      "02:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W \
      "03:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n" W \
      "04:00Z,X,P,BUY,10,2000,TRADE_EXECUTED\n" W \
      "05:00Z,X,P,SELL,10,2000,TRADE_EXECUTED\n"
    LDA_EXPECT(LDA_CSV_HEADER W
               "00:00Z,X,P,BUY,10,1000,TRADE_EXECUTED\n" W
               "00:00Z,X,P,BUY,20,3000,TRADE_EXECUTED\n" EQ_TAIL,
               "X,P,8000,6000,0," O "05:00" Z ",WASH_TRADING,83.33,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
    LDA_EXPECT(LDA_CSV_HEADER W
               "00:00Z,X,P,BUY,20,3000,TRADE_EXECUTED\n" W
               "00:00Z,X,P,BUY,10,1000,TRADE_EXECUTED\n" EQ_TAIL,
               "X,P,8000,6000,0," O "05:00" Z ",WASH_TRADING,83.33,50.00\r\n",
               "X,P,,300.000,WASH_TRADING\r\n");
#undef EQ_TAIL
}

/* Layering and wash of one group never suppress each other; rows are
 * ordered by end: the layering (end 10:00:06) after the wash (09:05). */
static void test_with_layering(void)
{
    LDA_EXPECT(LDA_CSV_HEADER W
               "00:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
               "01:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
               "02:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
               "03:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n" W
               "04:00Z,X,P,BUY,100,2000,TRADE_EXECUTED\n" W
               "05:00Z,X,P,SELL,100,2000,TRADE_EXECUTED\n"
               "2024-03-02T10:00:00Z,X,P,SELL,100,1,ORDER_PLACED\n"
               "2024-03-02T10:00:01Z,X,P,SELL,100,1,ORDER_PLACED\n"
               "2024-03-02T10:00:02Z,X,P,SELL,100,1,ORDER_PLACED\n"
               "2024-03-02T10:00:03Z,X,P,SELL,100,5,ORDER_CANCELLED\n"
               "2024-03-02T10:00:04Z,X,P,SELL,100,5,ORDER_CANCELLED\n"
               "2024-03-02T10:00:05Z,X,P,SELL,100,5,ORDER_CANCELLED\n"
               "2024-03-02T10:00:06Z,X,P,BUY,100,8,TRADE_EXECUTED\n",
               "X,P,6000,6000,0," O "05:00" Z ",WASH_TRADING,100.00,\r\n"
               "X,P,8,15,3,2024-03-02T10:00:06" Z ",LAYERING,,\r\n",
               "X,P,,300.000,WASH_TRADING\r\n"
               "X,P,2024-03-02T10:00:00" Z ";2024-03-02T10:00:01" Z
               ";2024-03-02T10:00:02" Z ",6.000,LAYERING\r\n");
}

void lda_test_wash(void)
{
    static const lda_test_case cases[] = {
        {"basic 3/3, 100 %, 1.00 %", test_basic},
        {"price change 0.99 % -> empty", test_price_change_under},
        {"price change in doubles (10 -> 10.1)",
         test_price_change_double_rounding},
        {"price fall, 1.0000000000000009", test_price_change_fall},
        {"3/3 trades vs one short", test_min_trades},
        {"volume 10000 vs 9999", test_volume},
        {"alternation 60 % vs 40 %", test_alternation},
        {"thresholds one unit over via params", test_thresholds_from_params},
        {"30-minute window boundary", test_window_boundary},
        {"overlapping windows merged, separate kept",
         test_overlap_and_separate},
        {"orders and cancels ignored", test_trades_only},
        {"ties keep input order", test_ties},
        {"equal start and end: earlier kept", test_equal_start_end_tie},
        {"wash and layering of one group", test_with_layering},
        {NULL, NULL}};
    lda_test_suite("wash", cases, NULL, NULL, NULL, NULL);
}
