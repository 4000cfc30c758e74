/* test_report: docs/reports.md report bytes. lda_csv_put (RFC 4180 quoting of
 * , " CR LF; formula guard ' before = + - @ TAB CR, applied before
 * quoting), both reports from hand-built sequences (timestamps with and
 * without microseconds, %.2f / %.3f, empty cells for nulls, 0 cancels
 * for wash), pseudonymization (SHA-256 of salt ":" account, known
 * vectors), and the guard and quoting end to end from input ids. */
#include "lda_test.h"

#include <stdlib.h>
#include <string.h>

/* ---- lda_csv_put ----------------------------------------------------- */

static void put_is(const char *s, size_t n, bool guard, const char *want,
                   unsigned line)
{
    lda_buf b;
    lda_buf_init(&b);
    lda_buf_adds(&b, "[");
    lda_csv_put(&b, s, n, guard);
    lda_buf_adds(&b, "]");
    CU_assertImplementation(b.oom ? CU_FALSE : CU_TRUE, line, "no oom",
                            __FILE__, "", CU_FALSE);
    lda_assert_str(b.data, want, s, __FILE__, line);
    lda_buf_free(&b);
}
#define PUT(s, guard, want) put_is((s), strlen(s), (guard), (want), __LINE__)

static void test_quoting(void)
{
    PUT("abc", true, "[abc]");
    PUT("", true, "[]");
    PUT("a,b", true, "[\"a,b\"]");
    PUT("a\"b", true, "[\"a\"\"b\"]");
    PUT("\"", true, "[\"\"\"\"]");
    PUT("a\rb", true, "[\"a\rb\"]");
    PUT("a\nb", true, "[\"a\nb\"]");
    PUT("a\r\nb", false, "[\"a\r\nb\"]");
    PUT("a b;c'd", true, "[a b;c'd]"); /* nothing to quote */
    PUT("\xC3\xA9", true, "[\xC3\xA9]");
    /* only n bytes are written and examined */
    put_is("ab,c", 2, true, "[ab]", __LINE__);
    put_is("=x", 0, true, "[]", __LINE__);
}

static void test_formula_guard(void)
{
    PUT("=1+1", true, "['=1+1]");
    PUT("+1", true, "['+1]");
    PUT("-1", true, "['-1]");
    PUT("@SUM(A1)", true, "['@SUM(A1)]");
    PUT("\tx", true, "['\tx]");
    PUT("\rx", true, "[\"'\rx\"]"); /* guard, then quoting (CR) */
    PUT("=a,b", true, "[\"'=a,b\"]");
    PUT("=\"x\"", true, "[\"'=\"\"x\"\"\"]");
    PUT("-a\nb", true, "[\"'-a\nb\"]");
    /* only the first character triggers */
    PUT("a=b", true, "[a=b]");
    PUT(" =x", true, "[ =x]");
    PUT("'=x", true, "['=x]");
    PUT("%x", true, "[%x]");
    /* guard off: untouched apart from quoting */
    PUT("=1", false, "[=1]");
    PUT("-a,b", false, "[\"-a,b\"]");
}

/* ---- reports from hand-built sequences -------------------------------- */

#define T10 (1709287200LL * 1000000) /* 2024-03-01T10:00:00Z */


#define reports_of(l, o, sus, det) reports_at((l), (o), (sus), (det), __LINE__)

/* Rows in list order (the report functions print refs as given). */
static void reports_at(const lda_seqlist *l, const lda_report_opts *o,
                       const char *sus_rows, const char *det_rows,
                       unsigned line)
{
    lda_ref *refs = malloc((l->n ? l->n : 1) * sizeof *refs);
    CU_ASSERT_PTR_NOT_NULL_FATAL(refs);
    for (size_t i = 0; i < l->n; i++)
        refs[i] = (lda_ref){l, &l->v[i]};
    lda_buf sus, det, want;
    lda_buf_init(&sus);
    lda_buf_init(&det);
    lda_buf_init(&want);
    CU_ASSERT_EQUAL(lda_report_suspicious(refs, l->n, &sus), 0);
    CU_ASSERT_EQUAL(lda_report_detections(refs, l->n, o, &det), 0);
    lda_buf_adds(&want, LDA_SUS_HEADER);
    lda_buf_adds(&want, sus_rows);
    lda_assert_str(sus.data, want.data, "suspicious_accounts.csv", __FILE__,
                   line);
    lda_buf_reset(&want);
    lda_buf_adds(&want, LDA_DET_HEADER);
    lda_buf_adds(&want, det_rows);
    lda_assert_str(det.data, want.data, "detections.csv", __FILE__, line);
    lda_buf_free(&sus);
    lda_buf_free(&det);
    lda_buf_free(&want);
    free(refs);
}

static void test_rows(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    /* LAYERING, whole seconds, three orders, nulls empty */
    lda_seq *q = lda_test_seq(&l, "=A", "P,1", LDA_LAYERING, T10,
                              T10 + 6000000);
    q->side = LDA_BUY;
    q->buy_qty = 600;
    q->sell_qty = 50;
    q->num_cancelled = 3;
    int64_t ord[3] = {T10, T10 + 1000000, T10 + 2000000};
    CU_ASSERT_TRUE_FATAL(lda_seqlist_set_orders(&l, q, ord, 3));
    /* WASH with microseconds, %.2f rounding, cancels forced to 0 */
    q = lda_test_seq(&l, "+B", "-Q", LDA_WASH, T10, T10 + 1234567);
    q->buy_qty = 7;
    q->sell_qty = 8;
    q->num_cancelled = 5; /* not shown for wash: 0 (docs) */
    q->has_alt = true;
    q->alt_pct = 200.0 / 3.0; /* 66.666... -> 66.67 */
    q->has_pc = true;
    q->pc_pct = 2.9411764705882426; /* -> 2.94 */
    /* WASH, price change null, 999 us -> 0.001 */
    q = lda_test_seq(&l, "@C", "\tR", LDA_WASH, T10 + 1, T10 + 1000);
    q->buy_qty = 1000000000000ULL;
    q->sell_qty = 1;
    q->has_alt = true;
    q->alt_pct = 100.0;
    /* LAYERING, CR and quote in ids, 1 us -> 0.000, SELL */
    q = lda_test_seq(&l, "\rD", "x\"y", LDA_LAYERING, T10 + 999999,
                     T10 + 1000000);
    q->side = LDA_SELL;
    q->buy_qty = 1;
    q->sell_qty = 2;
    q->num_cancelled = 4;
    int64_t one = T10 + 999999;
    CU_ASSERT_TRUE_FATAL(lda_seqlist_set_orders(&l, q, &one, 1));
    /* WASH, alternation 60 exactly, price change 1 exactly, 0 s */
    q = lda_test_seq(&l, "a\nb", "p", LDA_WASH, -1, -1);
    q->buy_qty = 3;
    q->sell_qty = 3;
    q->has_alt = true;
    q->alt_pct = 60.0;
    q->has_pc = true;
    q->pc_pct = 1.0;
    reports_of(&l, NULL,
               "'=A,\"P,1\",600,50,3,2024-03-01T10:00:06+00:00,LAYERING,,\r\n"
               "'+B,'-Q,7,8,0,2024-03-01T10:00:01.234567+00:00,WASH_TRADING,"
               "66.67,2.94\r\n"
               "'@C,'\tR,1000000000000,1,0,2024-03-01T10:00:00.001000+00:00,"
               "WASH_TRADING,100.00,\r\n"
               "\"'\rD\",\"x\"\"y\",1,2,4,2024-03-01T10:00:01+00:00,"
               "LAYERING,,\r\n"
               "\"a\nb\",p,3,3,0,1969-12-31T23:59:59.999999+00:00,"
               "WASH_TRADING,60.00,1.00\r\n",
               "'=A,\"P,1\",2024-03-01T10:00:00+00:00;"
               "2024-03-01T10:00:01+00:00;2024-03-01T10:00:02+00:00,6.000,"
               "LAYERING\r\n"
               "'+B,'-Q,,1.235,WASH_TRADING\r\n"
               "'@C,'\tR,,0.001,WASH_TRADING\r\n"
               "\"'\rD\",\"x\"\"y\",2024-03-01T10:00:00.999999+00:00,0.000,"
               "LAYERING\r\n"
               "\"a\nb\",p,,0.000,WASH_TRADING\r\n");
    lda_seqlist_free(&l);
}

/* Every trigger character, in account and in product, in both reports:
 * ' is added before the cell; CR also forces quoting. */
static void test_guard_matrix(void)
{
    static const struct {
        const char *id;   /* id as stored */
        const char *cell; /* expected cell */
    } t[] = {{"=x", "'=x"}, {"+x", "'+x"},     {"-x", "'-x"},
             {"@x", "'@x"}, {"\tx", "'\tx"},   {"\rx", "\"'\rx\""},
             {"x=", "x="},  {"x,=", "\"x,=\""}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        for (int as_prod = 0; as_prod < 2; as_prod++) {
            lda_seqlist l;
            lda_seqlist_init(&l);
            const char *acc = as_prod ? "A" : t[i].id;
            const char *prod = as_prod ? t[i].id : "P";
            lda_test_seq(&l, acc, prod, LDA_WASH, T10, T10);
            char head[64], sus[256], det[256];
            snprintf(head, sizeof head, "%s,%s", as_prod ? "A" : t[i].cell,
                     as_prod ? t[i].cell : "P");
            snprintf(sus, sizeof sus,
                     "%s,0,0,0,2024-03-01T10:00:00+00:00,"
                     "WASH_TRADING,,\r\n",
                     head);
            snprintf(det, sizeof det, "%s,,0.000,WASH_TRADING\r\n", head);
            reports_of(&l, NULL, sus, det);
            lda_seqlist_free(&l);
        }
}

static void test_durations(void)
{
    /* %.3f of (end - start) / 1e6 */
    static const struct {
        int64_t us;
        const char *want;
    } t[] = {{0, "0.000"},
             {1, "0.000"},
             {499, "0.000"},
             {999, "0.001"},
             {1000, "0.001"},
             {1234567, "1.235"},
             {1800000000, "1800.000"},
             {86400000001LL, "86400.000"}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lda_seqlist l;
        lda_seqlist_init(&l);
        lda_test_seq(&l, "A", "P", LDA_WASH, T10, T10 + t[i].us);
        char det[128];
        snprintf(det, sizeof det, "A,P,,%s,WASH_TRADING\r\n", t[i].want);
        lda_report_opts o = {false, NULL, 0};
        lda_ref ref = {&l, &l.v[0]};
        lda_buf b, want;
        lda_buf_init(&b);
        lda_buf_init(&want);
        CU_ASSERT_EQUAL(lda_report_detections(&ref, 1, &o, &b), 0);
        lda_buf_adds(&want, LDA_DET_HEADER);
        lda_buf_adds(&want, det);
        LDA_ASSERT_STR(b.data, want.data);
        lda_buf_free(&b);
        lda_buf_free(&want);
        lda_seqlist_free(&l);
    }
}

static void test_header_only(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    reports_of(&l, NULL, "", "");
    lda_seqlist_free(&l);
}

/* ---- pseudonymization ------------------------------------------------ */

/* printf 'salt:ACC' | sha256sum */
#define SHA_SALT_ACC \
    "6a241a11c204096b869e0e22c4f5882743337c44a4289038a73d1acd931abc94"
/* printf 's3cret:=X' | sha256sum */
#define SHA_S3CRET_EQX \
    "6f33eaa8d5a827d48f7df90e372b022121f497f0b03900f70f0c28e4e9e020a3"
/* printf 'salt:' | sha256sum */
#define SHA_SALT_EMPTY \
    "e7732745bfeae4fb5e58d25ca041407bb7c7a6597d4b5070d2b5b268cf30d03e"
/* printf 'k:a,b' | sha256sum */
#define SHA_K_AB \
    "8723493862ed2ddbde42a92316f30ec40f1a32f84afd986abaf3f6e6af295e88"

static void test_pseudonym_vectors(void)
{
    char hex[65];
    memset(hex, 'X', sizeof hex);
    CU_ASSERT_TRUE(lda_pseudonym("salt", 4, "ACC", 3, hex));
    LDA_ASSERT_STR(hex, SHA_SALT_ACC);
    CU_ASSERT_TRUE(lda_pseudonym("s3cret", 6, "=X", 2, hex));
    LDA_ASSERT_STR(hex, SHA_S3CRET_EQX);
    CU_ASSERT_TRUE(lda_pseudonym("salt", 4, "", 0, hex));
    LDA_ASSERT_STR(hex, SHA_SALT_EMPTY);
    CU_ASSERT_TRUE(lda_pseudonym("k", 1, "a,b", 3, hex));
    LDA_ASSERT_STR(hex, SHA_K_AB);
}

static void test_pseudonymized_detections(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    lda_seq *q = lda_test_seq(&l, "ACC", "=P", LDA_WASH, T10, T10 + 300000000);
    q->buy_qty = q->sell_qty = 6000;
    q->has_alt = true;
    q->alt_pct = 100;
    /* detections.csv only: the account becomes the hex digest; the
     * product keeps its guard; suspicious_accounts.csv is unchanged */
    static const char sus[] = "ACC,'=P,6000,6000,0,2024-03-01T10:05:00+00:00,"
                              "WASH_TRADING,100.00,\r\n";
    lda_report_opts salt = {true, "salt", 4};
    reports_of(&l, &salt, sus, SHA_SALT_ACC ",'=P,,300.000,WASH_TRADING\r\n");
    /* pseudonymize off: the salt is ignored */
    lda_report_opts off = {false, "salt", 4};
    reports_of(&l, &off, sus, "ACC,'=P,,300.000,WASH_TRADING\r\n");
    lda_seqlist_free(&l);

    /* the digest is of the raw id ("=X"), never of the guarded cell */
    lda_seqlist_init(&l);
    q = lda_test_seq(&l, "=X", "P", LDA_LAYERING, T10, T10 + 6000000);
    q->side = LDA_BUY;
    q->num_cancelled = 3;
    int64_t ord[1] = {T10};
    CU_ASSERT_TRUE_FATAL(lda_seqlist_set_orders(&l, q, ord, 1));
    lda_report_opts s3 = {true, "s3cret", 6};
    reports_of(&l, &s3, "'=X,P,0,0,3,2024-03-01T10:00:06+00:00,LAYERING,,\r\n",
               SHA_S3CRET_EQX ",P,2024-03-01T10:00:00+00:00,6.000,"
                              "LAYERING\r\n");
    lda_seqlist_free(&l);
}

/* ---- end to end from input ids --------------------------------------- */

#define W "2024-03-02T09:"
#define WASH6(acc, prod) \
    W "00:00Z," acc "," prod ",BUY,100,2000,TRADE_EXECUTED\n" W "01:00Z," acc \
      "," prod ",SELL,100,2000,TRADE_EXECUTED\n" W "02:00Z," acc "," prod \
      ",BUY,100,2000,TRADE_EXECUTED\n" W "03:00Z," acc "," prod \
      ",SELL,100,2000,TRADE_EXECUTED\n" W "04:00Z," acc "," prod \
      ",BUY,100,2000,TRADE_EXECUTED\n" W "05:00Z," acc "," prod \
      ",SELL,100,2000,TRADE_EXECUTED\n"
#define ROW(acc, prod) \
    acc "," prod ",6000,6000,0,2024-03-02T09:05:00+00:00,WASH_TRADING," \
        "100.00,\r\n"
#define DROW(acc, prod) acc "," prod ",,300.000,WASH_TRADING\r\n"

/* Input ids (quoted in the input where they hold , or ") come out
 * guarded and quoted. A quoted id is trimmed too: " =C" is "=C". All
 * rows end at 09:05, so they are in bytewise account order:
 * "+A" < "-2+3" < "=C" < "=HYPERLINK(1)" < "@B" < "a b". */
static void test_end_to_end_guard(void)
{
    LDA_EXPECT(LDA_CSV_HEADER WASH6("=HYPERLINK(1)", "\"@SUM(1,2)\"")
                   WASH6("-2+3", "\"P\"\"Q\"") WASH6("+A", "P")
                       WASH6("@B", "-") WASH6("a b", "\"x,y\"")
                           WASH6("\" =C\"", "P"),
               ROW("'+A", "P") ROW("'-2+3", "\"P\"\"Q\"") ROW("'=C", "P")
                   ROW("'=HYPERLINK(1)", "\"'@SUM(1,2)\"") ROW("'@B", "'-")
                       ROW("a b", "\"x,y\""),
               DROW("'+A", "P") DROW("'-2+3", "\"P\"\"Q\"") DROW("'=C", "P")
                   DROW("'=HYPERLINK(1)", "\"'@SUM(1,2)\"") DROW("'@B", "'-")
                       DROW("a b", "\"x,y\""));
}

static void test_end_to_end_pseudonym(void)
{
    lda_report_opts o = {true, "salt", 4};
    lda_run r;
    CU_ASSERT_EQUAL_FATAL(
        lda_test_run(&r, LDA_CSV_HEADER WASH6("ACC", "P"), NULL, &o), 0);
    LDA_ASSERT_STR(r.sus, LDA_SUS_HEADER ROW("ACC", "P"));
    LDA_ASSERT_STR(r.det, LDA_DET_HEADER DROW(SHA_SALT_ACC, "P"));
    lda_test_run_free(&r);
}

void lda_test_report(void)
{
    static const lda_test_case cases[] = {
        {"RFC 4180 quoting", test_quoting},
        {"formula guard on each trigger", test_formula_guard},
        {"rows: timestamps, %.2f, %.3f, nulls", test_rows},
        {"guard on every trigger, account and product", test_guard_matrix},
        {"durations %.3f", test_durations},
        {"no sequences: headers only", test_header_only},
        {"pseudonym SHA-256 vectors", test_pseudonym_vectors},
        {"pseudonymized detections.csv", test_pseudonymized_detections},
        {"guard and quoting from input ids", test_end_to_end_guard},
        {"pseudonymized run end to end", test_end_to_end_pseudonym},
        {NULL, NULL}};
    lda_test_suite("report", cases, NULL, NULL, NULL, NULL);
}
