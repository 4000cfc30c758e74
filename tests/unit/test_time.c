/* test_time: docs/input.md timestamp parsing and docs/reports.md timestamp
 * formatting (lda_time). Expected microsecond values are whole seconds since
 * the epoch, worked out from the calendar (2024-01-01T00:00:00Z = 1704067200
 * s: 54 years of 365 days plus 13 leap days since 1970), times 10^6, plus the
 * fraction. */
#include "lda_test.h"

#include <string.h>

#include "lda_time.h"

#define S 1000000LL                  /* microseconds per second */
#define JAN1_2024 (1704067200LL * S) /* 2024-01-01T00:00:00Z */

static bool parse(const char *text, int64_t *us)
{
    *us = INT64_MIN;
    return lda_time_parse(text, strlen(text), us);
}

/* text must parse to want. */
static void ok_at(const char *text, int64_t want, unsigned line)
{
    int64_t us;
    bool ok = parse(text, &us);
    if (!ok || us != want)
        fprintf(stderr, "\ntest_time.c:%u: \"%s\" -> %s %lld, want %lld\n",
                line, text, ok ? "ok" : "rejected", (long long)us,
                (long long)want);
    CU_assertImplementation(ok && us == want ? CU_TRUE : CU_FALSE, line, text,
                            __FILE__, "", CU_FALSE);
}
#define OK_AT(text, want) ok_at((text), (want), __LINE__)

static void bad(const char *text, unsigned line)
{
    int64_t us;
    bool ok = parse(text, &us);
    if (ok)
        fprintf(stderr, "\ntest_time.c:%u: \"%s\" accepted (%lld)\n", line,
                text, (long long)us);
    CU_assertImplementation(ok ? CU_FALSE : CU_TRUE, line, text, __FILE__, "",
                            CU_FALSE);
}
#define BAD(text) bad((text), __LINE__)

static void test_zone_forms(void)
{
    /* every zone form naming the same instant, 2024-01-01T00:00:00Z */
    OK_AT("2024-01-01T00:00:00Z", JAN1_2024);
    OK_AT("2024-01-01T00:00:00z", JAN1_2024);
    OK_AT("2024-01-01T00:00:00", JAN1_2024);    /* no zone = UTC */
    OK_AT("2024-01-01 00:00:00", JAN1_2024);    /* one space */
    OK_AT("2024-01-01T01:00:00+01", JAN1_2024); /* ±HH */
    OK_AT("2023-12-31T23:00:00-01", JAN1_2024);
    OK_AT("2024-01-01T01:30:00+0130", JAN1_2024); /* ±HHMM */
    OK_AT("2023-12-31T22:30:00-0130", JAN1_2024);
    OK_AT("2024-01-01T01:30:00+01:30", JAN1_2024); /* ±HH:MM */
    OK_AT("2023-12-31T22:30:00-01:30", JAN1_2024);
    OK_AT("2024-01-01T00:00:00+00:00", JAN1_2024);
    OK_AT("2024-01-01T00:00:00-00:00", JAN1_2024);
    OK_AT("2024-01-01T23:59:00+23:59", JAN1_2024); /* zone 23:59 max */
    OK_AT("2023-12-31T00:01:00-23:59", JAN1_2024);
    /* a zone that moves the date back across a month end (leap day) */
    OK_AT("2024-03-01T05:00:00+06:00", 1709251200LL * S - 3600 * S);
}

static void test_minutes_only(void)
{
    /* HH:MM without seconds, with and without zones */
    OK_AT("2024-01-01T00:00", JAN1_2024);
    OK_AT("2024-01-01 00:00", JAN1_2024);
    OK_AT("2024-01-01T00:00Z", JAN1_2024);
    OK_AT("2024-01-01T12:34+01:00", JAN1_2024 + (11 * 3600 + 34 * 60) * S);
    OK_AT("2024-01-01T12:34-0100", JAN1_2024 + (13 * 3600 + 34 * 60) * S);
    /* a fraction needs seconds */
    BAD("2024-01-01T00:00.5");
    BAD("2024-01-01T00:00.5Z");
}

static void test_fractions(void)
{
    /* 1..6 digits scale to microseconds; 7..9 digits are truncated to 6,
     * never rounded */
    OK_AT("2024-01-01T00:00:00.1Z", JAN1_2024 + 100000);
    OK_AT("2024-01-01T00:00:00.12Z", JAN1_2024 + 120000);
    OK_AT("2024-01-01T00:00:00.123Z", JAN1_2024 + 123000);
    OK_AT("2024-01-01T00:00:00.1234Z", JAN1_2024 + 123400);
    OK_AT("2024-01-01T00:00:00.12345Z", JAN1_2024 + 123450);
    OK_AT("2024-01-01T00:00:00.123456Z", JAN1_2024 + 123456);
    OK_AT("2024-01-01T00:00:00.1234567Z", JAN1_2024 + 123456);
    OK_AT("2024-01-01T00:00:00.12345678Z", JAN1_2024 + 123456);
    OK_AT("2024-01-01T00:00:00.123456789Z", JAN1_2024 + 123456);
    OK_AT("2024-01-01T00:00:00.999999999Z", JAN1_2024 + 999999);
    OK_AT("2024-01-01T00:00:00.0000009Z", JAN1_2024);
    OK_AT("2024-01-01T00:00:00.000001", JAN1_2024 + 1);
    OK_AT("2024-01-01T00:00:00.5+01:00", JAN1_2024 - 3600 * S + 500000);
    OK_AT("2024-01-01 00:00:00.25-0030", JAN1_2024 + 1800 * S + 250000);
    BAD("2024-01-01T00:00:00.Z"); /* no fraction digit */
    BAD("2024-01-01T00:00:00.");
    BAD("2024-01-01T00:00:00.1234567890Z"); /* 10 digits */
    BAD("2024-01-01T00:00:00.1a");
}

static void test_calendar(void)
{
    /* leap years: 2024 and 2000 (divisible by 400) are leap, 1900 and
     * 2100 (by 100 only) and 2023 are not */
    OK_AT("2024-02-29T00:00:00Z", 1709164800LL * S); /* + 59 days */
    OK_AT("2000-02-29T00:00:00Z", 951782400LL * S);
    OK_AT("2024-03-01T00:00:00Z", 1709251200LL * S);
    OK_AT("1900-02-28T00:00:00Z", -2203977600LL * S);
    OK_AT("1900-03-01T00:00:00Z", -2203891200LL * S); /* day after 02-28 */
    OK_AT("1970-01-01T00:00:00Z", 0);
    OK_AT("1969-12-31T23:59:59.999999Z", -1);
    OK_AT("2023-04-30T00:00:00Z", 1682812800LL * S);
    OK_AT("2023-12-31T23:59:59Z", JAN1_2024 - S);
    OK_AT("2024-01-01T23:59:59Z", JAN1_2024 + 86399 * S);
    BAD("2024-02-30T00:00:00Z"); /* Feb 30 */
    BAD("2023-02-29T00:00:00Z"); /* Feb 29, non-leap */
    BAD("1900-02-29T00:00:00Z"); /* 1900 not leap */
    BAD("2100-02-29T00:00:00Z");
    BAD("2023-04-31T00:00:00Z");
    BAD("2023-06-31T00:00:00Z");
    BAD("2024-01-32T00:00:00Z");
    BAD("2024-01-00T00:00:00Z");
    BAD("2024-13-01T00:00:00Z"); /* month 13 */
    BAD("2024-00-01T00:00:00Z");
    BAD("2024-01-01T24:00:00Z"); /* hour 24 */
    BAD("2024-01-01T24:00");
    BAD("2024-01-01T00:60:00Z");   /* minute 60 */
    BAD("2024-01-01T00:00:60Z");   /* second 60 */
    BAD("2024-01-01T00:00:00+24"); /* zone 24 */
    BAD("2024-01-01T00:00:00+2400");
    BAD("2024-01-01T00:00:00-24:00");
    BAD("2024-01-01T00:00:00+00:60"); /* zone minute 60 */
    BAD("2024-01-01T00:00:00+0060");
}

static void test_range(void)
{
    /* the header's documented range: years 0000..9999 in UTC */
    OK_AT("9999-12-31T23:59:59.999999Z", 253402300799999999LL);
    OK_AT("0000-01-01T00:00:00Z", -62167219200LL * S);
    BAD("0000-01-01T00:00:00+00:01"); /* UTC is year -1 */
    BAD("9999-12-31T23:59:59-00:01"); /* UTC is year 10000 */
}

static void test_syntax(void)
{
    BAD("");
    BAD("2024-01-01");
    BAD("2024-01-01T");
    BAD("2024-01-01T00");
    BAD("2024-01-01T00:");
    BAD("2024-01-01T0:00");
    BAD("2024-1-01T00:00");
    BAD("24-01-01T00:00");
    BAD("2024/01/01T00:00");
    BAD("2024-01-01t00:00:00"); /* only T or one space */
    BAD("2024-01-01_00:00:00");
    BAD("2024-01-01  00:00:00"); /* two spaces */
    BAD("2024-01-01T00:00:0");
    BAD("2024-01-01T00:00:00ZZ");
    BAD("2024-01-01T00:00:00UTC");
    BAD("2024-01-01T00:00:00+1");
    BAD("2024-01-01T00:00:00+013");
    BAD("2024-01-01T00:00:00+01:");
    BAD("2024-01-01T00:00:00+01:0");
    BAD("2024-01-01T00:00:00+01:00Z");
    BAD("2024-01-01T00:00:00+01:00:00");
    BAD("2024-01-01T00:00:00 +01:00");
    BAD("2024-01-01T00:00:00Z "); /* the parser takes trimmed text */
    BAD(" 2024-01-01T00:00:00Z");
    BAD("2024-01-01T00:00:00\n");
    BAD("1704067200");
    BAD("２０２４-01-01T00:00:00Z"); /* non-ASCII digits */
}

static void fmt_is(int64_t us, const char *want, unsigned line)
{
    char out[LDA_TIME_MAX];
    memset(out, 'X', sizeof out);
    size_t n = lda_time_format(us, out);
    lda_assert_str(out, want, "lda_time_format", __FILE__, line);
    CU_assertImplementation(n == strlen(want) ? CU_TRUE : CU_FALSE, line,
                            "lda_time_format length", __FILE__, "", CU_FALSE);
}

static void fixed_is(int64_t us, const char *want, unsigned line)
{
    char out[LDA_TIME_MAX];
    memset(out, 'X', sizeof out);
    size_t n = lda_time_format_fixed(us, out);
    lda_assert_str(out, want, "lda_time_format_fixed", __FILE__, line);
    CU_assertImplementation(n == strlen(want) ? CU_TRUE : CU_FALSE, line,
                            "lda_time_format_fixed length", __FILE__, "",
                            CU_FALSE);
}

static void test_format(void)
{
    /* docs/reports.md: UTC, +00:00, .ffffff only when the microseconds are
     * non-zero */
    fmt_is(0, "1970-01-01T00:00:00+00:00", __LINE__);
    fmt_is(1, "1970-01-01T00:00:00.000001+00:00", __LINE__);
    fmt_is(-1, "1969-12-31T23:59:59.999999+00:00", __LINE__);
    fmt_is(JAN1_2024, "2024-01-01T00:00:00+00:00", __LINE__);
    fmt_is(JAN1_2024 + 123456, "2024-01-01T00:00:00.123456+00:00", __LINE__);
    fmt_is(JAN1_2024 + 500000, "2024-01-01T00:00:00.500000+00:00", __LINE__);
    fmt_is(1709164800LL * S + 86399 * S, "2024-02-29T23:59:59+00:00",
           __LINE__);
    fmt_is(-2203891200LL * S, "1900-03-01T00:00:00+00:00", __LINE__);
    fmt_is(253402300799999999LL, "9999-12-31T23:59:59.999999+00:00", __LINE__);
    fmt_is(-62167219200LL * S, "0000-01-01T00:00:00+00:00", __LINE__);
    /* fixed form (fingerprint): always 6 digits and Z */
    fixed_is(0, "1970-01-01T00:00:00.000000Z", __LINE__);
    fixed_is(JAN1_2024 + 7, "2024-01-01T00:00:00.000007Z", __LINE__);
    fixed_is(-1, "1969-12-31T23:59:59.999999Z", __LINE__);
}

static void test_round_trip(void)
{
    /* parsed in a zone, written back in UTC */
    int64_t us;
    char out[LDA_TIME_MAX];
    CU_ASSERT_TRUE(parse("2024-02-29T23:30:00.1234567-01:00", &us));
    lda_time_format(us, out);
    LDA_ASSERT_STR(out, "2024-03-01T00:30:00.123456+00:00");
    CU_ASSERT_TRUE(parse("2024-03-01 00:15+0030", &us));
    lda_time_format(us, out);
    LDA_ASSERT_STR(out, "2024-02-29T23:45:00+00:00");
}

void lda_test_time(void)
{
    static const lda_test_case cases[] = {
        {"zone forms", test_zone_forms},
        {"HH:MM without seconds", test_minutes_only},
        {"fractions 1-9 digits, truncated", test_fractions},
        {"calendar checks and leap years", test_calendar},
        {"year range 0000-9999", test_range},
        {"syntax rejects", test_syntax},
        {"format (docs/reports.md)", test_format},
        {"parse then format", test_round_trip},
        {NULL, NULL}};
    lda_test_suite("time", cases, NULL, NULL, NULL, NULL);
}
