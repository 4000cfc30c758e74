/* test_fields: the docs/input.md field validators of lda_event.h (trim, UTF-8,
 * ids, side, event_type, price, quantity) and lda_set_add's per-field
 * reasons, trimming and stored values. */
#include "lda_test.h"

#include <stdlib.h>
#include <string.h>

#include "lda_time.h"

/* ---- price ----------------------------------------------------------- */

static void price_ok(const char *s, double want, unsigned line)
{
    double v = -1;
    bool ok = lda_parse_price(s, strlen(s), &v);
    if (!ok || v != want)
        fprintf(stderr, "\ntest_fields.c:%u: price \"%s\" -> %s %.17g\n", line,
                s, ok ? "ok" : "rejected", v);
    CU_assertImplementation(ok && v == want ? CU_TRUE : CU_FALSE, line, s,
                            __FILE__, "", CU_FALSE);
}
#define PRICE_OK(s, want) price_ok((s), (want), __LINE__)

static void price_bad(const char *s, unsigned line)
{
    double v = -1;
    bool ok = lda_parse_price(s, strlen(s), &v);
    if (ok)
        fprintf(stderr, "\ntest_fields.c:%u: price \"%s\" accepted (%g)\n",
                line, s, v);
    CU_assertImplementation(ok ? CU_FALSE : CU_TRUE, line, s, __FILE__, "",
                            CU_FALSE);
}
#define PRICE_BAD(s) price_bad((s), __LINE__)

static void test_price(void)
{
    PRICE_OK("12", 12.0);
    PRICE_OK("12.5", 12.5);
    PRICE_OK("12.", 12.0);
    PRICE_OK(".5", 0.5);
    PRICE_OK("+.5", 0.5);
    PRICE_OK("1e3", 1000.0);
    PRICE_OK("1E3", 1000.0);
    PRICE_OK("1.2e3", 1200.0);
    PRICE_OK("1e+3", 1000.0);
    PRICE_OK("5e-1", 0.5);
    PRICE_OK("+5", 5.0);
    PRICE_OK("0.25", 0.25);
    PRICE_OK("007", 7.0);
    PRICE_OK("1.00000000000000000000000000000", 1.0); /* long text */
    PRICE_BAD("NaN");
    PRICE_BAD("nan");
    PRICE_BAD("Infinity");
    PRICE_BAD("inf");
    PRICE_BAD("+Infinity");
    PRICE_BAD("0x10");
    PRICE_BAD("0X1p3");
    PRICE_BAD("-1");
    PRICE_BAD("-0.5");
    PRICE_BAD("0"); /* not > 0 */
    PRICE_BAD("0.0");
    PRICE_BAD("+0");
    PRICE_BAD("0e5");
    PRICE_BAD(".");
    PRICE_BAD("+.");
    PRICE_BAD("e5");
    PRICE_BAD(".e5");
    PRICE_BAD("");
    PRICE_BAD("+");
    PRICE_BAD("1e");
    PRICE_BAD("1e+");
    PRICE_BAD("1.2.3");
    PRICE_BAD("1,5");
    PRICE_BAD("5 5");
    PRICE_BAD("++5");
    PRICE_BAD("$5");
    PRICE_BAD("5$");
    PRICE_BAD("1e400");  /* overflows to infinity */
    PRICE_BAD("1e-400"); /* underflows to 0 */
}

/* Every accepted price is the correctly rounded double of its text, the
 * value strtod() gives in the C locale. */
static void test_price_value(void)
{
    static const char *const t[] = {"0.1",
                                    "0.3",
                                    "1.1",
                                    "2.675",
                                    "0.000001",
                                    "123.456",
                                    "99999.99",
                                    "1e22",
                                    "1e23",
                                    "9007199254740993",
                                    "9007199254740992.5",
                                    "0.1000000000000000055511151231257827",
                                    "1234567890123456789012",
                                    "4.9e-324",
                                    "1.7976931348623157e308",
                                    "00000.0000012345",
                                    "7.07",
                                    "10.1",
                                    "64.64",
                                    ".000000000000000000000001"};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        double v = -1;
        bool ok = lda_parse_price(t[i], strlen(t[i]), &v);
        double want = strtod(t[i], NULL);
        if (!ok || v != want)
            fprintf(stderr,
                    "\ntest_fields.c: price \"%s\" -> %s %.17g, "
                    "want %.17g\n",
                    t[i], ok ? "ok" : "rejected", v, want);
        CU_ASSERT_TRUE(ok && v == want);
    }
}

/* ---- quantity -------------------------------------------------------- */

static void qty_ok(const char *s, uint64_t want, unsigned line)
{
    uint64_t v = 0;
    bool ok = lda_parse_quantity(s, strlen(s), &v);
    CU_assertImplementation(ok && v == want ? CU_TRUE : CU_FALSE, line, s,
                            __FILE__, "", CU_FALSE);
}
#define QTY_OK(s, want) qty_ok((s), (want), __LINE__)

static void qty_bad(const char *s, unsigned line)
{
    uint64_t v = 0;
    CU_assertImplementation(lda_parse_quantity(s, strlen(s), &v) ? CU_FALSE
                                                                 : CU_TRUE,
                            line, s, __FILE__, "", CU_FALSE);
}
#define QTY_BAD(s) qty_bad((s), __LINE__)

static void test_quantity(void)
{
    QTY_OK("1", 1);
    QTY_OK("+5", 5);
    QTY_OK("007", 7);
    QTY_OK("1000000000000", 1000000000000ULL); /* 10^12 */
    QTY_OK("+1000000000000", 1000000000000ULL);
    QTY_OK("0001000000000000", 1000000000000ULL);
    QTY_BAD("1000000000001");              /* 10^12 + 1 */
    QTY_BAD("99999999999999999999999999"); /* no wrap-around */
    QTY_BAD("18446744073709551617");       /* 2^64 + 1 */
    QTY_BAD("0");
    QTY_BAD("+0");
    QTY_BAD("000");
    QTY_BAD("-1");
    QTY_BAD("1.5");
    QTY_BAD("1.0");
    QTY_BAD("1e3");
    QTY_BAD("0x10");
    QTY_BAD("");
    QTY_BAD("+");
    QTY_BAD("++1");
    QTY_BAD("5 0"); /* inner space */
    QTY_BAD(" 5");  /* the validator takes trimmed text */
    QTY_BAD("5 ");
    QTY_BAD("1,000");
    QTY_BAD("١"); /* Arabic-Indic digit one */
}

/* ---- side, type ------------------------------------------------------ */

static void test_side(void)
{
    static const struct {
        const char *s;
        int want; /* -1 = rejected */
    } t[] = {{"BUY", LDA_BUY},   {"buy", LDA_BUY},   {"Buy", LDA_BUY},
             {"bUy", LDA_BUY},   {"SELL", LDA_SELL}, {"sell", LDA_SELL},
             {"sElL", LDA_SELL}, {"", -1},           {"B", -1},
             {"S", -1},          {"BUYS", -1},       {"BU", -1},
             {" BUY", -1},       {"BUY ", -1},       {"LONG", -1},
             {"HOLD", -1},       {"SELL\n", -1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t side = 99;
        bool ok = lda_parse_side(t[i].s, strlen(t[i].s), &side);
        CU_ASSERT_EQUAL(ok, t[i].want >= 0);
        if (t[i].want >= 0)
            CU_ASSERT_EQUAL(side, t[i].want);
    }
}

static void test_type(void)
{
    static const struct {
        const char *s;
        int want;
    } t[] = {{"ORDER_PLACED", LDA_PLACED},
             {"order_placed", LDA_PLACED},
             {"Order_Placed", LDA_PLACED},
             {"ORDER_CANCELLED", LDA_CANCELLED},
             {"order_cancelled", LDA_CANCELLED},
             {"TRADE_EXECUTED", LDA_TRADE},
             {"trade_EXECUTED", LDA_TRADE},
             {"", -1},
             {"ORDER_PLACE", -1},
             {"ORDER_CANCELED", -1}, /* US spelling is not the name */
             {"TRADE", -1},
             {"ORDER_MODIFIED", -1},
             {"ORDER PLACED", -1},
             {"TRADE_EXECUTED_", -1}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint8_t type = 99;
        bool ok = lda_parse_type(t[i].s, strlen(t[i].s), &type);
        CU_ASSERT_EQUAL(ok, t[i].want >= 0);
        if (t[i].want >= 0)
            CU_ASSERT_EQUAL(type, t[i].want);
    }
}

/* ---- ids, UTF-8, trim ------------------------------------------------ */

static void test_id(void)
{
    char big[300];
    memset(big, 'L', sizeof big);
    CU_ASSERT_TRUE(lda_valid_id("A", 1));
    CU_ASSERT_TRUE(lda_valid_id(big, 256));         /* 256 bytes */
    CU_ASSERT_FALSE(lda_valid_id(big, 257));        /* 257 bytes */
    CU_ASSERT_FALSE(lda_valid_id("", 0));           /* empty */
    CU_ASSERT_TRUE(lda_valid_id("a b", 3));         /* inner space ok */
    CU_ASSERT_TRUE(lda_valid_id("=A,\"x\"", 6));    /* guard is output's job */
    CU_ASSERT_TRUE(lda_valid_id("caf\xC3\xA9", 5)); /* UTF-8 bytes >= 0x80 */
    CU_ASSERT_TRUE(lda_valid_id("~", 1));           /* 0x7E */
    CU_ASSERT_FALSE(lda_valid_id("a\x01"
                                 "b",
                                 3));
    CU_ASSERT_FALSE(lda_valid_id("a\tb", 3)); /* TAB is a control */
    CU_ASSERT_FALSE(lda_valid_id("a\nb", 3));
    CU_ASSERT_FALSE(lda_valid_id("a\rb", 3));
    CU_ASSERT_FALSE(lda_valid_id("a\x1F", 2));
    CU_ASSERT_FALSE(lda_valid_id("\x7F", 1)); /* DEL */
    CU_ASSERT_FALSE(lda_valid_id("a\0b", 3)); /* NUL */
    /* a 256-byte id whose last byte is a control is still rejected */
    big[255] = '\x1B';
    CU_ASSERT_FALSE(lda_valid_id(big, 256));
}

static void test_utf8(void)
{
    CU_ASSERT_TRUE(lda_valid_utf8("", 0));
    CU_ASSERT_TRUE(lda_valid_utf8("plain ASCII", 11));
    CU_ASSERT_TRUE(lda_valid_utf8("\xC3\xA9", 2));         /* é */
    CU_ASSERT_TRUE(lda_valid_utf8("\xE2\x82\xAC", 3));     /* € */
    CU_ASSERT_TRUE(lda_valid_utf8("\xF0\x9F\x98\x80", 4)); /* U+1F600 */
    CU_ASSERT_TRUE(lda_valid_utf8("\xF4\x8F\xBF\xBF", 4)); /* U+10FFFF */
    CU_ASSERT_TRUE(lda_valid_utf8("\xEF\xBB\xBF", 3));     /* U+FEFF */
    CU_ASSERT_TRUE(lda_valid_utf8("\xED\x9F\xBF", 3));     /* U+D7FF */
    CU_ASSERT_FALSE(lda_valid_utf8("\xC3", 1));            /* truncated */
    CU_ASSERT_FALSE(lda_valid_utf8("\xE2\x82", 2));
    CU_ASSERT_FALSE(lda_valid_utf8("a\xA9", 2));    /* lone cont. */
    CU_ASSERT_FALSE(lda_valid_utf8("\xC0\xAF", 2)); /* overlong */
    CU_ASSERT_FALSE(lda_valid_utf8("\xC1\xBF", 2));
    CU_ASSERT_FALSE(lda_valid_utf8("\xE0\x80\xAF", 3));
    CU_ASSERT_FALSE(lda_valid_utf8("\xF0\x80\x80\xAF", 4));
    CU_ASSERT_FALSE(lda_valid_utf8("\xED\xA0\x80", 3));     /* surrogate */
    CU_ASSERT_FALSE(lda_valid_utf8("\xF4\x90\x80\x80", 4)); /* > 10FFFF */
    CU_ASSERT_FALSE(lda_valid_utf8("\xF5\x80\x80\x80", 4));
    CU_ASSERT_FALSE(lda_valid_utf8("\xFF\xFE", 2));
    CU_ASSERT_FALSE(lda_valid_utf8("\xE2\x28\xA1", 3)); /* bad 2nd */
    CU_ASSERT_FALSE(lda_valid_utf8("\xE2\x82\x28", 3)); /* bad 3rd */
    CU_ASSERT_FALSE(lda_valid_utf8("\xF0\x9F\x98", 3));
}

static void test_trim(void)
{
    lda_text t = lda_trim((lda_text){" \t a b \t", 8});
    CU_ASSERT_EQUAL(t.n, 3);
    CU_ASSERT_EQUAL(memcmp(t.p, "a b", 3), 0);
    t = lda_trim((lda_text){" \t\t ", 4});
    CU_ASSERT_EQUAL(t.n, 0);
    t = lda_trim((lda_text){"", 0});
    CU_ASSERT_EQUAL(t.n, 0);
    /* only spaces and tabs are blanks */
    t = lda_trim((lda_text){"\rx\n", 3});
    CU_ASSERT_EQUAL(t.n, 3);
}

/* ---- lda_set_add ----------------------------------------------------- */

static lda_text tx(const char *s)
{
    return (lda_text){s, strlen(s)};
}

/* Add one event from seven texts; returns the status, *reason set. */
static lda_status add(lda_set *s, const char *ts, const char *acc,
                      const char *prod, const char *side, const char *price,
                      const char *qty, const char *type, const char **reason)
{
    lda_fields f = {tx(ts),    tx(acc), tx(prod), tx(side),
                    tx(price), tx(qty), tx(type), (uint32_t)s->n + 2};
    *reason = NULL;
    return lda_set_add(s, &f, reason);
}

static bool starts(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static void reason_is(const char *ts, const char *acc, const char *prod,
                      const char *side, const char *price, const char *qty,
                      const char *type, const char *field, unsigned line)
{
    lda_set s;
    const char *reason;
    lda_set_init(&s);
    lda_status st = add(&s, ts, acc, prod, side, price, qty, type, &reason);
    bool ok = st == LDA_INVALID && starts(reason, field) && s.n == 0 &&
              !strchr(reason, '\n');
    if (!ok)
        fprintf(stderr,
                "\ntest_fields.c:%u: status %d reason \"%s\", want "
                "\"%s...\"\n",
                line, (int)st, reason ? reason : "(null)", field);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, field, __FILE__, "",
                            CU_FALSE);
    lda_set_free(&s);
}
#define REASON(ts, acc, prod, side, price, qty, type, field) \
    reason_is(ts, acc, prod, side, price, qty, type, field, __LINE__)

#define T0 "2024-01-01T00:00:00Z"

static void test_reasons(void)
{
    char a257[258];
    memset(a257, 'A', 257);
    a257[257] = '\0';
    REASON("2024-02-30T00:00:00Z", "A", "P", "BUY", "1", "1", "ORDER_PLACED",
           "timestamp: ");
    REASON("", "A", "P", "BUY", "1", "1", "ORDER_PLACED", "timestamp: ");
    REASON(T0, "", "P", "BUY", "1", "1", "ORDER_PLACED", "account_id: ");
    REASON(T0, "  \t ", "P", "BUY", "1", "1", "ORDER_PLACED", "account_id: ");
    REASON(T0, a257, "P", "BUY", "1", "1", "ORDER_PLACED", "account_id: ");
    REASON(T0, "A\x01", "P", "BUY", "1", "1", "ORDER_PLACED", "account_id: ");
    REASON(T0, "A", "", "BUY", "1", "1", "ORDER_PLACED", "product_id: ");
    REASON(T0, "A", a257, "BUY", "1", "1", "ORDER_PLACED", "product_id: ");
    REASON(T0, "A", "P\x7F", "BUY", "1", "1", "ORDER_PLACED", "product_id: ");
    REASON(T0, "A", "P", "HOLD", "1", "1", "ORDER_PLACED", "side: ");
    REASON(T0, "A", "P", "BUY", "NaN", "1", "ORDER_PLACED", "price: ");
    REASON(T0, "A", "P", "BUY", "0", "1", "ORDER_PLACED", "price: ");
    REASON(T0, "A", "P", "BUY", "1", "1.5", "ORDER_PLACED", "quantity: ");
    REASON(T0, "A", "P", "BUY", "1", "1000000000001", "ORDER_PLACED",
           "quantity: ");
    REASON(T0, "A", "P", "BUY", "1", "1", "ORDER_MODIFIED", "event_type: ");
    /* several bad fields: the first one in column order is named */
    REASON(T0, "A", "P", "HOLD", "NaN", "0", "X", "side: ");
}

static void test_add_trims_and_stores(void)
{
    lda_set s;
    const char *reason;
    lda_set_init(&s);
    CU_ASSERT_EQUAL(add(&s, " \t2024-01-01 00:00:00.5+01:00 ", "  ACC\t",
                        "\tPROD ", " sell ", " +12.50 ", "\t+007\t",
                        " trade_executed ", &reason),
                    LDA_OK);
    CU_ASSERT_PTR_NULL(reason);
    /* 29 characters: longer than the inline price buffer */
    CU_ASSERT_EQUAL(add(&s, T0, "ACC", "PROD", "BUY",
                        "1.000000000000000000000000001", "1000000000000",
                        "ORDER_PLACED", &reason),
                    LDA_OK);
    CU_ASSERT_EQUAL(add(&s, T0, "acc", "PROD", "buy", "3", "2",
                        "Order_Cancelled", &reason),
                    LDA_OK);
    CU_ASSERT_EQUAL_FATAL(s.n, 3);
    /* ids are exact byte strings: "acc" is another group than "ACC" */
    CU_ASSERT_EQUAL(s.ngroups, 2);
    const lda_event *e = &s.ev[0];
    CU_ASSERT_EQUAL(e->ts, 1704067200LL * 1000000 - 3600LL * 1000000 + 500000);
    CU_ASSERT_EQUAL(e->side, LDA_SELL);
    CU_ASSERT_EQUAL(e->type, LDA_TRADE);
    CU_ASSERT_EQUAL(e->qty, 7);
    CU_ASSERT_EQUAL(e->price, 12.5);
    CU_ASSERT_EQUAL(e->price_len, 6);
    CU_ASSERT_EQUAL(memcmp(lda_event_price(&s, e), "+12.50", 6), 0);
    CU_ASSERT_EQUAL(e->group, 0);
    const lda_group *g = &s.groups[0];
    CU_ASSERT_EQUAL(g->acc_len, 3);
    CU_ASSERT_EQUAL(memcmp(lda_set_str(&s, g->acc_off), "ACC", 3), 0);
    CU_ASSERT_EQUAL(g->prod_len, 4);
    CU_ASSERT_EQUAL(memcmp(lda_set_str(&s, g->prod_off), "PROD", 4), 0);
    e = &s.ev[1];
    CU_ASSERT_EQUAL(e->group, 0);
    CU_ASSERT_EQUAL(e->qty, 1000000000000ULL);
    CU_ASSERT_EQUAL(e->price_len, 29);
    CU_ASSERT_EQUAL(memcmp(lda_event_price(&s, e),
                           "1.000000000000000000000000001", 29),
                    0);
    e = &s.ev[2];
    CU_ASSERT_EQUAL(e->group, 1);
    CU_ASSERT_EQUAL(e->type, LDA_CANCELLED);
    CU_ASSERT_EQUAL(e->side, LDA_BUY);
    lda_set_free(&s);
}

static void test_finish_order(void)
{
    /* group order: groups by first appearance; within a group stable by
     * timestamp (equal timestamps keep input order) */
    lda_set s;
    const char *reason;
    lda_set_init(&s);
    add(&s, "2024-01-01T00:00:02Z", "B", "P", "BUY", "1", "1", "ORDER_PLACED",
        &reason);
    add(&s, "2024-01-01T00:00:01Z", "A", "P", "BUY", "1", "2", "ORDER_PLACED",
        &reason);
    add(&s, "2024-01-01T00:00:01Z", "B", "P", "BUY", "1", "3", "ORDER_PLACED",
        &reason);
    add(&s, "2024-01-01T00:00:00Z", "A", "P", "BUY", "1", "4", "ORDER_PLACED",
        &reason);
    add(&s, "2024-01-01T00:00:01Z", "B", "P", "BUY", "1", "5", "ORDER_PLACED",
        &reason);
    add(&s, "2024-01-01T00:00:01Z", "A", "P", "BUY", "1", "6", "ORDER_PLACED",
        &reason);
    CU_ASSERT_EQUAL_FATAL(s.n, 6);
    CU_ASSERT_TRUE_FATAL(lda_set_finish(&s));
    CU_ASSERT_EQUAL_FATAL(s.ngroups, 2);
    /* group 0 = B (appeared first): qty 3, 5 (01, input order), 1 (02) */
    static const uint64_t want[6] = {3, 5, 1, 4, 2, 6};
    for (size_t i = 0; i < 6; i++)
        CU_ASSERT_EQUAL(s.ev[i].qty, want[i]);
    CU_ASSERT_EQUAL(s.groups[0].first, 0);
    CU_ASSERT_EQUAL(s.groups[0].count, 3);
    CU_ASSERT_EQUAL(s.groups[1].first, 3);
    CU_ASSERT_EQUAL(s.groups[1].count, 3);
    CU_ASSERT_EQUAL(lda_group_ev(&s, &s.groups[1], 2)->qty, 6);
    lda_set_free(&s);
}

void lda_test_fields(void)
{
    static const lda_test_case cases[] = {
        {"price accepted and rejected forms", test_price},
        {"price equals strtod", test_price_value},
        {"quantity accepted and rejected forms", test_quantity},
        {"side, case-insensitive", test_side},
        {"event_type, case-insensitive", test_type},
        {"ids: empty, 256/257 bytes, controls", test_id},
        {"strict UTF-8", test_utf8},
        {"trim spaces and tabs", test_trim},
        {"lda_set_add reasons name the field", test_reasons},
        {"lda_set_add trims and stores", test_add_trims_and_stores},
        {"lda_set_finish group order, stable", test_finish_order},
        {NULL, NULL}};
    lda_test_suite("fields", cases, NULL, NULL, NULL, NULL);
}
