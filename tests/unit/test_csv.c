/* test_csv: the docs/input.md input reader (lda_csv_load): header variants and
 * whole-input refusals, BOM, CRLF/LF, blank lines, RFC 4180 quoting,
 * record numbering (header = record 1, blank lines are not records, a
 * quoted field spanning lines is one record) and per-record rejections
 * with their numbers and reasons. */
#include "lda_test.h"

#include <stdlib.h>
#include <string.h>

typedef struct loaded {
    lda_test_load st;
    char err[256];
    lda_rejects rej;
    lda_set set;
} loaded;

/* Load text (copied: the loader edits its buffer in place). */
static void load_max(loaded *l, const char *text, size_t len, size_t max)
{
    memset(l, 0, sizeof *l);
    lda_set_init(&l->set);
    char *buf = malloc(len ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf, text, len);
    l->st = lda_test_csv_load(buf, len, max, &l->set, &l->rej, l->err,
                              sizeof l->err);
    free(buf);
}

static void load(loaded *l, const char *text)
{
    load_max(l, text, strlen(text), 0);
}

static void unload(loaded *l)
{
    lda_set_free(&l->set);
}

/* Account id of event i (input order; the set is not finished). */
static void acc_is(const loaded *l, size_t i, const char *want, unsigned line)
{
    char got[300] = "(no event)";
    if (i < l->set.n) {
        const lda_group *g = &l->set.groups[l->set.ev[i].group];
        snprintf(got, sizeof got, "%.*s", (int)g->acc_len,
                 lda_set_str(&l->set, g->acc_off));
    }
    lda_assert_str(got, want, "account_id", __FILE__, line);
}
#define ACC_IS(l, i, want) acc_is((l), (i), (want), __LINE__)

static void prod_is(const loaded *l, size_t i, const char *want, unsigned line)
{
    char got[300] = "(no event)";
    if (i < l->set.n) {
        const lda_group *g = &l->set.groups[l->set.ev[i].group];
        snprintf(got, sizeof got, "%.*s", (int)g->prod_len,
                 lda_set_str(&l->set, g->prod_off));
    }
    lda_assert_str(got, want, "product_id", __FILE__, line);
}
#define PROD_IS(l, i, want) prod_is((l), (i), (want), __LINE__)

/* Rejected record k has number rec and a reason starting with why. */
static void rej_is(const loaded *l, size_t k, uint64_t rec, const char *why,
                   unsigned line)
{
    bool ok = k < l->rej.kept && l->rej.item[k].record == rec &&
              strncmp(l->rej.item[k].reason, why, strlen(why)) == 0;
    if (!ok)
        fprintf(stderr,
                "\ntest_csv.c:%u: reject %zu: %s record %llu "
                "\"%s\", want record %llu \"%s...\"\n",
                line, k, k < l->rej.kept ? "got" : "missing",
                k < l->rej.kept ? (unsigned long long)l->rej.item[k].record
                                : 0ULL,
                k < l->rej.kept ? l->rej.item[k].reason : "",
                (unsigned long long)rec, why);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, why, __FILE__, "",
                            CU_FALSE);
}
#define REJ_IS(l, k, rec, why) rej_is((l), (k), (rec), (why), __LINE__)

#define ROW_A "2024-01-01T00:00:00Z,A,P,BUY,10,1,ORDER_PLACED"
#define HEADER_NO_LF \
    "timestamp,account_id,product_id,side,price,quantity,event_type"

/* ---- header ---------------------------------------------------------- */

static void test_header_variants(void)
{
    loaded l;
    /* any order, any case, blanks around names, extra columns anywhere,
     * quoted names */
    load(&l, "note, Event_Type ,QUANTITY,\"price\",\tSide\t,product_id,"
             "Account_ID,TimeStamp,extra\n"
             "n1,trade_executed,42,9.5,sell,PR,AC,2024-01-01T00:00:01Z,x\n");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL_FATAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 0);
    ACC_IS(&l, 0, "AC");
    PROD_IS(&l, 0, "PR");
    CU_ASSERT_EQUAL(l.set.ev[0].qty, 42);
    CU_ASSERT_EQUAL(l.set.ev[0].price, 9.5);
    CU_ASSERT_EQUAL(l.set.ev[0].side, LDA_SELL);
    CU_ASSERT_EQUAL(l.set.ev[0].type, LDA_TRADE);
    CU_ASSERT_EQUAL(l.set.ev[0].ts, 1704067201LL * 1000000);
    unload(&l);

    /* an unrelated column may repeat; a trailing comma is one more
     * (empty-named) column that every record must then fill */
    load(&l, "x,x," HEADER_NO_LF ",\n"
             "1,2," ROW_A ",\n"
             "1,2," ROW_A "\n");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 1);
    REJ_IS(&l, 0, 3, "expected 10 fields, found 9");
    unload(&l);
}

static void test_header_missing(void)
{
    loaded l;
    load(&l, "timestamp,account_id,product_id,price,quantity,event_type\n"
             "2024-01-01T00:00:00Z,A,P,10,1,ORDER_PLACED\n");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "missing required column(s): side");
    CU_ASSERT_EQUAL(l.set.n, 0);
    unload(&l);

    load(&l, "account_id,product_id,quantity,sides,note\n"
             "A,P,1,BUY,x\n");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "missing required column(s): timestamp, side, "
                          "price, event_type");
    unload(&l);

    load(&l, "a,b\n1,2\n");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "missing required column(s): timestamp, "
                          "account_id, product_id, side, price, quantity, "
                          "event_type");
    unload(&l);

    /* a name is matched whole: "time stamp" is not timestamp */
    load(&l, "time stamp,account_id,product_id,side,price,quantity,"
             "event_type\n" ROW_A "\n");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "missing required column(s): timestamp");
    unload(&l);
}

static void test_header_duplicate(void)
{
    loaded l;
    load(&l, "timestamp,account_id,product_id,side,price,quantity,"
             "event_type, SIDE \n"
             "2024-01-01T00:00:00Z,A,P,BUY,10,1,ORDER_PLACED,BUY\n");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "column side appears more than once");
    CU_ASSERT_EQUAL(l.set.n, 0);
    unload(&l);
}

static void test_empty_inputs(void)
{
    loaded l;
    load(&l, "");
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    LDA_ASSERT_STR(l.err, "empty input: no header record");
    unload(&l);
    load(&l, "\n\r\n\n"); /* blank lines only */
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    unload(&l);
    load(&l, "\xEF\xBB\xBF"); /* a BOM only */
    CU_ASSERT_EQUAL(l.st, LOAD_BAD_HEADER);
    unload(&l);
    load(&l, LDA_CSV_HEADER); /* header only */
    CU_ASSERT_EQUAL(l.st, LOAD_NO_EVENTS);
    LDA_ASSERT_STR(l.err, "no valid event in the input");
    unload(&l);
    load(&l, LDA_CSV_HEADER "x,A,P,BUY,10,1,ORDER_PLACED\n"); /* none valid */
    CU_ASSERT_EQUAL(l.st, LOAD_NO_EVENTS);
    CU_ASSERT_EQUAL(l.rej.count, 1);
    REJ_IS(&l, 0, 2, "timestamp: ");
    unload(&l);
}

/* ---- file forms ------------------------------------------------------ */

static void test_bom_crlf_lf(void)
{
    loaded l;
    /* BOM + CRLF everywhere, no line end after the last record */
    load(&l, "\xEF\xBB\xBF"
             "timestamp,account_id,product_id,side,price,"
             "quantity,event_type\r\n" ROW_A "\r\n"
             "2024-01-01T00:00:01Z,B,P,SELL,10,2,TRADE_EXECUTED");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL_FATAL(l.set.n, 2);
    CU_ASSERT_EQUAL(l.rej.count, 0);
    /* CR is not left in the last field (event_type would not parse) */
    CU_ASSERT_EQUAL(l.set.ev[0].type, LDA_PLACED);
    CU_ASSERT_EQUAL(l.set.ev[1].type, LDA_TRADE);
    ACC_IS(&l, 1, "B");
    unload(&l);

    /* LF and CRLF mixed in one file */
    load(&l, "timestamp,account_id,product_id,side,price,quantity,"
             "event_type\n" ROW_A "\r\n" ROW_A "\n");
    CU_ASSERT_EQUAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 2);
    CU_ASSERT_EQUAL(l.rej.count, 0);
    unload(&l);

    /* a BOM is skipped only at the very start of the input: anywhere
     * else it is data (here it prefixes the timestamp, which then fails) */
    load(&l, LDA_CSV_HEADER "\xEF\xBB\xBF" ROW_A "\n");
    CU_ASSERT_EQUAL(l.st, LOAD_NO_EVENTS);
    REJ_IS(&l, 0, 2, "timestamp: ");
    unload(&l);
}

static void test_quoted_fields(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         "2024-01-01T00:00:00Z,\"a,b\",P,BUY,10,1,ORDER_PLACED\n"
         "2024-01-01T00:00:00Z,\"say \"\"hi\"\"\",P,BUY,10,1,"
         "ORDER_PLACED\n"
         "\"2024-01-01T00:00:00Z\",\"\"\"\",\"P\",\"BUY\",\"10\",\"1\","
         "\"ORDER_PLACED\"\r\n"
         "2024-01-01T00:00:00Z,  \" padded \"  ,P,BUY,10,1,ORDER_PLACED\n"
         "2024-01-01T00:00:00Z,\"\",P,BUY,10,1,ORDER_PLACED\n");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL_FATAL(l.set.n, 4);
    ACC_IS(&l, 0, "a,b");
    ACC_IS(&l, 1, "say \"hi\"");
    ACC_IS(&l, 2, "\"");
    ACC_IS(&l, 3, "padded"); /* blanks around quotes; trimmed */
    CU_ASSERT_EQUAL(l.rej.count, 1);
    REJ_IS(&l, 0, 6, "account_id: "); /* "" is an empty id */
    unload(&l);
}

static void test_quoted_newlines_and_numbering(void)
{
    loaded l;
    /* record numbers: header 1; blank lines skipped; the quoted note
     * spanning three lines is the single record 4 */
    load(&l,
         "\n" /* blank */
         "timestamp,account_id,product_id,side,price,quantity,"
         "event_type,note\n"                                    /* 1 */
         ROW_A ",plain\n"                                       /* 2 */
         "\n"                                                   /* blank */
         "2024-01-01T00:00:00Z,A,P,LONG,10,1,ORDER_PLACED,x\n"  /* 3 */
         ROW_A ",\"multi\nline,\r\nnote\"\n"                    /* 4 */
         "\r\n\n"                                               /* blanks */
         "2024-01-01T00:00:00Z,A,P,BUY,10,0,ORDER_PLACED,x\r\n" /* 5 */
         ROW_A "\n"                                             /* 6 */
         ROW_A ",x,y\n"                                         /* 7 */
         ROW_A ",\"bad \xFF byte\"\n"                           /* 8 */
         "2024-01-01T00:00:00Z,\"two\nlines\",P,BUY,10,1,"
         "ORDER_PLACED,x\n"                                         /* 9 */
         "2024-01-01T00:00:00Z,B,P,SELL,10,5,TRADE_EXECUTED,last"); /* 10 */
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 3); /* records 2, 4, 10 */
    CU_ASSERT_EQUAL(l.rej.count, 6);
    CU_ASSERT_EQUAL(l.rej.kept, 6);
    REJ_IS(&l, 0, 3, "side: ");
    REJ_IS(&l, 1, 5, "quantity: ");
    REJ_IS(&l, 2, 6, "expected 8 fields, found 7");
    REJ_IS(&l, 3, 7, "expected 8 fields, found 9");
    REJ_IS(&l, 4, 8, "invalid UTF-8");
    REJ_IS(&l, 5, 9, "account_id: "); /* LF is a control character */
    CU_ASSERT_EQUAL(l.set.ev[2].qty, 5);
    ACC_IS(&l, 2, "B");
    unload(&l);
}

static void test_malformed_quoting(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         "2024-01-01T00:00:00Z,\"ab\"c,P,BUY,10,1,ORDER_PLACED\n"  /* 2 */
         "2024-01-01T00:00:00Z,a\"b,P,BUY,10,1,ORDER_PLACED\n"     /* 3 */
         ROW_A "\n"                                                /* 4 */
         "2024-01-01T00:00:00Z,\"open,P,BUY,10,1,ORDER_PLACED\n"); /* 5 */
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 3);
    REJ_IS(&l, 0, 2, "malformed quoting");
    REJ_IS(&l, 1, 3, "malformed quoting");
    REJ_IS(&l, 2, 5, "malformed quoting");
    unload(&l);
}

/* Only LF and CRLF end a line: a lone CR is data (here a control
 * character in account_id), not a record break; a quote late in a long
 * record still makes it a quoted record. */
static void test_lone_cr_and_late_quote(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         "2024-01-01T00:00:00Z,A\rB,P,BUY,10,1,ORDER_PLACED\n"    /* 2 */
         "2024-01-01T00:00:00Z,A,P,BUY,10,1,\"ORDER_PLACED\"\r\n" /* 3 */
         "2024-01-01T00:00:00.123456789Z,LONG-ACCOUNT-NAME-0001,"
         "LONG-PRODUCT-NAME-0001,SELL,10,1,\"TRADE_\"\"X\"\n" /* 4 */
         "2024-01-01T00:00:00Z,A,P,BUY,10,1,ORDER_PLACED\r"); /* 5 */
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 3);
    REJ_IS(&l, 0, 2, "account_id: ");
    REJ_IS(&l, 1, 4, "event_type: ");
    REJ_IS(&l, 2, 5, "event_type: "); /* "ORDER_PLACED\r" */
    CU_ASSERT_EQUAL(l.set.n >= 1 ? l.set.ev[0].type : 99, LDA_PLACED);
    unload(&l);
}

static void test_field_count(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER "2024-01-01T00:00:00Z,A,P,BUY,10,1\n" /* 2 */
         ROW_A ",\n"                                              /* 3 */
                            ",,,,,,\n"                            /* 4 */
                            "x\n"                                 /* 5 */
         ROW_A "\n");                                             /* 6 */
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 4);
    REJ_IS(&l, 0, 2, "expected 7 fields, found 6");
    REJ_IS(&l, 1, 3, "expected 7 fields, found 8");
    REJ_IS(&l, 2, 4, "timestamp: "); /* 7 empty fields */
    REJ_IS(&l, 3, 5, "expected 7 fields, found 1");
    unload(&l);
}

static void test_invalid_utf8(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         "2024-01-01T00:00:00Z,A\xFF"
         "B,P,BUY,10,1,ORDER_PLACED\n"                                 /* 2 */
         "2024-01-01T00:00:00Z,A,P\xC3,BUY,10,1,ORDER_PLACED\n"        /* 3 */
         "2024-01-01T00:00:00Z,A,\xED\xA0\x80,BUY,10,1,ORDER_PLACED\n" /* 4 */
         "2024-01-01T00:00:00Z,caf\xC3\xA9,P,BUY,10,1,ORDER_PLACED\n"  /* 5 */
         "2024-01-01T00:00:00Z,\xE2\x82\xAC"
         "1,P,BUY,10,1,"
         "ORDER_PLACED\n"                                       /* 6 */
         "2024-01-01T00:00:00Z,A,P,BUY,10,1,ORDER_PLACED\xFF"); /* 7 */
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 2);
    CU_ASSERT_EQUAL(l.rej.count, 4);
    REJ_IS(&l, 0, 2, "invalid UTF-8");
    REJ_IS(&l, 1, 3, "invalid UTF-8");
    REJ_IS(&l, 2, 4, "invalid UTF-8");
    REJ_IS(&l, 3, 7, "invalid UTF-8"); /* last bytes of the input */
    ACC_IS(&l, 0, "caf\xC3\xA9");
    ACC_IS(&l, 1,
           "\xE2\x82\xAC"
           "1");
    unload(&l);
}

/* docs/input.md: input is UTF-8 and quoted fields follow RFC 4180, so a quoted
 * field holding valid UTF-8 must be accepted whatever character it ends
 * with. */
static void test_quoted_utf8(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         "2024-01-01T00:00:00Z,\"\xC3\xA9"
         "a\",P,BUY,10,1,ORDER_PLACED\n"
         "2024-01-01T00:00:00Z,\"caf\xC3\xA9\",P,BUY,10,1,ORDER_PLACED\n"
         "2024-01-01T00:00:00Z,A,\"\xE2\x82\xAC\",BUY,10,1,ORDER_PLACED\n"
         "2024-01-01T00:00:00Z,\"x,\xC3\xA9\",P,BUY,10,1,ORDER_PLACED\n");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.rej.count, 0);
    CU_ASSERT_EQUAL(l.set.n, 4);
    for (size_t k = 0; k < l.rej.kept; k++)
        fprintf(stderr,
                "\ntest_csv.c: quoted UTF-8 record %llu rejected: "
                "%s\n",
                (unsigned long long)l.rej.item[k].record,
                l.rej.item[k].reason);
    ACC_IS(&l, 0,
           "\xC3\xA9"
           "a");
    unload(&l);
}

static void test_trimmed_fields(void)
{
    loaded l;
    load(&l, LDA_CSV_HEADER
         " 2024-01-01T00:00:00Z\t,\t A ,  P  ,  buy , 10 ,\t+5\t, "
         "order_placed \n"
         "2024-01-01T00:00:00Z,A,P,BUY,10,5 0,ORDER_PLACED\n");
    CU_ASSERT_EQUAL_FATAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL_FATAL(l.set.n, 1);
    ACC_IS(&l, 0, "A");
    PROD_IS(&l, 0, "P");
    CU_ASSERT_EQUAL(l.set.ev[0].qty, 5);
    CU_ASSERT_EQUAL(l.set.ev[0].price_len, 2);
    REJ_IS(&l, 0, 3, "quantity: ");
    unload(&l);
}

static void test_reject_limit(void)
{
    /* 150 invalid records (2..151) and one valid (152): all counted, the
     * first 100 kept */
    lda_buf b;
    lda_buf_init(&b);
    lda_buf_adds(&b, LDA_CSV_HEADER);
    for (int i = 0; i < 150; i++)
        lda_buf_adds(&b, "2024-01-01T00:00:00Z,A,P,BUY,NaN,1,ORDER_PLACED\n");
    lda_buf_adds(&b, ROW_A "\n");
    CU_ASSERT_FALSE_FATAL(b.oom);
    loaded l;
    load_max(&l, b.data, b.len, 0);
    CU_ASSERT_EQUAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 1);
    CU_ASSERT_EQUAL(l.rej.count, 150);
    CU_ASSERT_EQUAL(l.rej.kept, LDA_REJECT_KEEP);
    REJ_IS(&l, 0, 2, "price: ");
    REJ_IS(&l, 99, 101, "price: ");
    unload(&l);
    lda_buf_free(&b);
}

static void test_max_events(void)
{
    static const char in[] = LDA_CSV_HEADER ROW_A
        "\n" ROW_A "\n"
        "x,A,P,BUY,10,1,ORDER_PLACED\n" ROW_A "\n";
    loaded l;
    load_max(&l, in, sizeof in - 1, 3); /* 3 valid, 1 invalid: fits */
    CU_ASSERT_EQUAL(l.st, LOAD_OK);
    CU_ASSERT_EQUAL(l.set.n, 3);
    unload(&l);
    load_max(&l, in, sizeof in - 1, 2);
    CU_ASSERT_EQUAL(l.st, LOAD_TOO_MANY);
    LDA_ASSERT_STR(l.err, "more than 2 events");
    unload(&l);
}

void lda_test_csv(void)
{
    static const lda_test_case cases[] = {
        {"header: order, case, blanks, extra columns", test_header_variants},
        {"header: missing columns all named", test_header_missing},
        {"header: duplicate required column", test_header_duplicate},
        {"empty, blank, header-only inputs", test_empty_inputs},
        {"BOM, CRLF, LF, no final line end", test_bom_crlf_lf},
        {"quoted fields: comma, quotes, blanks", test_quoted_fields},
        {"record numbers across quoted newlines and blank lines",
         test_quoted_newlines_and_numbering},
        {"malformed quoting rejected per record", test_malformed_quoting},
        {"lone CR is data; late quote", test_lone_cr_and_late_quote},
        {"field-count mismatch", test_field_count},
        {"invalid UTF-8 rejected, valid kept", test_invalid_utf8},
        {"quoted field ending in a multi-byte character", test_quoted_utf8},
        {"fields trimmed of spaces and tabs", test_trimmed_fields},
        {"first 100 rejects kept, all counted", test_reject_limit},
        {"max_events", test_max_events},
        {NULL, NULL}};
    lda_test_suite("csv", cases, NULL, NULL, NULL, NULL);
}
