/* lda_time: timestamps. Parsing is a hand-written scanner over the fixed
 * grammar of docs/input.md (no strptime: it is locale- and libc-dependent);
 * calendar arithmetic uses the days-from-civil algorithm (proleptic
 * Gregorian), so any year 0000..9999 converts exactly without timegm().
 * The parser checks the fixed-width head YYYY-MM-DD?HH:MM position by
 * position and reads the usual six fraction digits in one step. */
#include "lda_time.h"

#include <string.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY (86400LL * US_PER_SEC)
/* UTC range that formats as a 4-digit year: 0000-01-01 .. 9999-12-31. */
#define MIN_US (-62167219200LL * US_PER_SEC)
#define MAX_US (253402300800LL * US_PER_SEC - 1)

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30,
                                31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Value of the two digits at s, or -1 when either is not a digit. */
static inline int two_digits(const char *s)
{
    unsigned a = (unsigned)(unsigned char)s[0] - '0';
    unsigned b = (unsigned)(unsigned char)s[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* Optional zone at s[i..len): Z z ±HH ±HHMM ±HH:MM, and nothing after it.
 * Offset in seconds. */
static bool parse_zone(const char *s, size_t len, size_t i, int64_t *off)
{
    *off = 0;
    if (i == len)
        return true;
    if (s[i] == 'Z' || s[i] == 'z')
        return i + 1 == len;
    if (s[i] != '+' && s[i] != '-')
        return false;
    int sign = s[i] == '-' ? -1 : 1, hh, mm = 0;
    i++;
    if (len - i < 2 || (hh = two_digits(s + i)) < 0)
        return false;
    i += 2;
    if (i < len) {
        if (s[i] == ':')
            i++;
        if (len - i < 2 || (mm = two_digits(s + i)) < 0)
            return false;
        i += 2;
    }
    if (i != len || hh > 23 || mm > 59)
        return false;
    *off = sign * (hh * 3600LL + mm * 60LL);
    return true;
}

/* The fixed-width head YYYY-MM-DD(T| )HH:MM is checked position by
 * position, then the optional :SS[.f{1,9}] and zone are scanned. */
bool lda_time_parse(const char *s, size_t len, int64_t *us)
{
    if (len < 16 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != ' ') || s[13] != ':')
        return false;
    int y1 = two_digits(s), y2 = two_digits(s + 2), mo = two_digits(s + 5),
        d = two_digits(s + 8), h = two_digits(s + 11), mi = two_digits(s + 14),
        sec = 0, frac = 0;
    if ((y1 | y2 | mo | d | h | mi) < 0)
        return false;
    int y = y1 * 100 + y2;
    size_t i = 16;
    if (i < len && s[i] == ':') {
        i++;
        if (len - i < 2 || (sec = two_digits(s + i)) < 0)
            return false;
        i += 2;
        if (i < len && s[i] == '.') {
            int nd = 0;
            i++;
            if (len - i >= 6) { /* the usual six digits at once */
                unsigned dg[6], bad = 0;
                for (int k = 0; k < 6; k++) {
                    dg[k] = (unsigned)(unsigned char)s[i + (size_t)k] - '0';
                    bad |= dg[k] > 9;
                }
                if (!bad) {
                    frac = (int)(dg[0] * 100000 + dg[1] * 10000 +
                                 dg[2] * 1000 + dg[3] * 100 + dg[4] * 10 +
                                 dg[5]);
                    nd = 6;
                    i += 6;
                }
            }
            while (i < len && s[i] >= '0' && s[i] <= '9') {
                if (nd < 6)
                    frac = frac * 10 + (s[i] - '0');
                nd++;
                i++;
            }
            if (nd < 1 || nd > 9)
                return false;
            for (; nd < 6; nd++)
                frac *= 10;
        }
    }
    int64_t off;
    if (!parse_zone(s, len, i, &off))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || sec > 59)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400LL + h * 3600LL +
                   mi * 60LL + sec - off;
    int64_t t = secs * US_PER_SEC + frac;
    if (t < MIN_US || t > MAX_US)
        return false;
    *us = t;
    return true;
}

bool lda_time_in_range(int64_t us)
{
    return us >= MIN_US && us <= MAX_US;
}

static void split(int64_t us, int *y, int *mo, int *d, int *h, int *mi, int *s,
                  int *frac)
{
    int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    civil_from_days(days, y, mo, d);
    int64_t secs = rem / US_PER_SEC;
    *frac = (int)(rem % US_PER_SEC);
    *h = (int)(secs / 3600);
    *mi = (int)(secs / 60 % 60);
    *s = (int)(secs % 60);
}

/* Write v as exactly n digits (v >= 0 and fits). */
static char *put_digits(char *p, int v, int n)
{
    for (int k = n - 1; k >= 0; k--) {
        p[k] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

/* Common body: YYYY-MM-DDTHH:MM:SS, then .ffffff when frac is shown. */
static char *put_datetime(int64_t us, char *p, bool always_frac)
{
    int y, mo, d, h, mi, s, frac;
    split(us, &y, &mo, &d, &h, &mi, &s, &frac);
    p = put_digits(p, y, 4);
    *p++ = '-';
    p = put_digits(p, mo, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, h, 2);
    *p++ = ':';
    p = put_digits(p, mi, 2);
    *p++ = ':';
    p = put_digits(p, s, 2);
    if (frac || always_frac) {
        *p++ = '.';
        p = put_digits(p, frac, 6);
    }
    return p;
}

size_t lda_time_format(int64_t us, char out[LDA_TIME_MAX])
{
    char *p = put_datetime(us, out, false);
    memcpy(p, "+00:00", 7);
    return (size_t)(p - out) + 6;
}

size_t lda_time_format_fixed(int64_t us, char out[LDA_TIME_MAX])
{
    char *p = put_datetime(us, out, true);
    memcpy(p, "Z", 2);
    return (size_t)(p - out) + 1;
}
