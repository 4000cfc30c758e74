/* lda_param: the table of the nine detection parameters and their
 * validators (see lda_param.h). Values are written back as text with
 * enough digits that parsing the text gives the same value: seconds with
 * six decimals (they are whole microseconds), integers in full, numbers
 * whole below 1e15 without exponent, else with the fewest significant
 * digits that read back exactly (at most 17). */
#include "lda_param.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_sha256.h"

#define P(m) offsetof(lda_params, m)

const lda_param_def lda_param_defs[LDA_PARAM_COUNT] = {
    {"layering_orders_window_seconds", "LAYERING_ORDERS_WINDOW_SECONDS",
     LDA_PARAM_SECONDS, P(lay_orders_us), "10",
     "Layering: how long after an order the other orders of the layer may "
     "be placed"},
    {"layering_cancel_window_seconds", "LAYERING_CANCEL_WINDOW_SECONDS",
     LDA_PARAM_SECONDS, P(lay_cancel_us), "5",
     "Layering: how long after the last order of the layer the orders must "
     "be cancelled"},
    {"layering_trade_window_seconds", "LAYERING_TRADE_WINDOW_SECONDS",
     LDA_PARAM_SECONDS, P(lay_trade_us), "2",
     "Layering: how long after the last cancellation the opposite trade "
     "must follow"},
    {"wash_window_seconds", "WASH_WINDOW_SECONDS", LDA_PARAM_SECONDS,
     P(wash_window_us), "1800", "Wash trading: the length of the window"},
    {"wash_min_buy_trades", "WASH_MIN_BUY_TRADES", LDA_PARAM_INTEGER,
     P(wash_min_buys), "3", "Wash trading: the fewest buy trades in a window"},
    {"wash_min_sell_trades", "WASH_MIN_SELL_TRADES", LDA_PARAM_INTEGER,
     P(wash_min_sells), "3",
     "Wash trading: the fewest sell trades in a window"},
    {"wash_min_alternation_pct", "WASH_MIN_ALTERNATION_PCT", LDA_PARAM_NUMBER,
     P(wash_min_alt_pct), "60",
     "Wash trading: the lowest share of side changes between consecutive "
     "trades, in percent"},
    {"wash_min_volume", "WASH_MIN_VOLUME", LDA_PARAM_NUMBER,
     P(wash_min_volume), "10000",
     "Wash trading: the lowest traded volume (quantity x price) in a "
     "window"},
    {"wash_price_change_pct", "WASH_PRICE_CHANGE_PCT", LDA_PARAM_NUMBER,
     P(wash_min_pc_pct), "1",
     "Wash trading: a window whose price moves by this percent or more is "
     "not wash trading"},
};

const char *lda_param_kind_name(lda_param_kind k)
{
    return k == LDA_PARAM_SECONDS   ? "seconds"
           : k == LDA_PARAM_INTEGER ? "integer"
                                    : "number";
}

const lda_param_def *lda_param_find(const char *name, size_t n)
{
    for (size_t i = 0; i < LDA_PARAM_COUNT; i++)
        if (strlen(lda_param_defs[i].name) == n &&
            memcmp(lda_param_defs[i].name, name, n) == 0)
            return &lda_param_defs[i];
    return NULL;
}

bool lda_param_whole(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

bool lda_param_decimal(const char *s, double *out)
{
    /* Plain decimal only: strtod would also take hex ("0x10"). */
    if (!s || !((*s >= '0' && *s <= '9') || *s == '.') ||
        s[strspn(s, "0123456789.eE+-")] != '\0')
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool lda_param_seconds(const char *s, int64_t *us)
{
    double v;
    /* up to ~100 years, so microsecond arithmetic cannot overflow */
    if (!lda_param_decimal(s, &v) || !(v > 0) || v > 3.2e9)
        return false;
    int64_t r = llround(v * 1e6);
    if (r < 1)
        return false;
    *us = r;
    return true;
}

const char *lda_param_parse(const lda_param_def *d, const char *text,
                            lda_params *p)
{
    char *at = (char *)p + d->offset;
    if (d->kind == LDA_PARAM_SECONDS) {
        int64_t us;
        if (!lda_param_seconds(text, &us))
            return "must be a number of seconds > 0";
        memcpy(at, &us, sizeof us);
    } else if (d->kind == LDA_PARAM_INTEGER) {
        uint64_t v;
        if (!lda_param_whole(text, &v) || v == 0)
            return "must be a whole number > 0";
        memcpy(at, &v, sizeof v);
    } else {
        double v;
        if (!lda_param_decimal(text, &v) || !(v > 0))
            return "must be a number > 0";
        memcpy(at, &v, sizeof v);
    }
    return NULL;
}

bool lda_param_set(lda_params *p, const char *name, size_t nlen,
                   const char *text, char *err, size_t errlen)
{
    const lda_param_def *d = lda_param_find(name, nlen);
    const char *why = d ? lda_param_parse(d, text, p) : NULL;
    if (d && !why)
        return true;
    if (d) {
        snprintf(err, errlen, "%s: %s", d->name, why);
        return false;
    }
    char shown[65];
    size_t n = nlen < sizeof shown - 1 ? nlen : sizeof shown - 1;
    for (size_t i = 0; i < n; i++)
        shown[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ||
                           (unsigned char)name[i] >= 0x80 || name[i] == '"' ||
                           name[i] == '\\'
                       ? '?'
                       : name[i];
    shown[n] = '\0';
    snprintf(err, errlen, "unknown parameter: %s", shown);
    return false;
}

/* d's value in p as text that lda_param_parse reads back to the same
 * value. */
static void param_text(const lda_param_def *d, const lda_params *p,
                       char out[40])
{
    const char *at = (const char *)p + d->offset;
    if (d->kind == LDA_PARAM_SECONDS) {
        int64_t us;
        memcpy(&us, at, sizeof us);
        snprintf(out, 40, "%lld.%06lld", (long long)(us / 1000000),
                 (long long)(us % 1000000));
        /* drop trailing zeros, and the point when nothing follows */
        size_t n = strlen(out);
        while (out[n - 1] == '0')
            out[--n] = '\0';
        if (out[n - 1] == '.')
            out[n - 1] = '\0';
    } else if (d->kind == LDA_PARAM_INTEGER) {
        uint64_t v;
        memcpy(&v, at, sizeof v);
        snprintf(out, 40, "%llu", (unsigned long long)v);
    } else {
        double v;
        memcpy(&v, at, sizeof v);
        if (v == floor(v) && v < 1e15) { /* whole: no exponent */
            snprintf(out, 40, "%.0f", v);
            return;
        }
        int prec = 1; /* the shortest text that reads back exactly */
        do
            snprintf(out, 40, "%.*g", prec, v);
        while (prec++ < 17 && strtod(out, NULL) != v);
    }
}

void lda_param_query(const lda_params *p, lda_buf *b)
{
    char v[40];
    for (size_t i = 0; i < LDA_PARAM_COUNT; i++) {
        param_text(&lda_param_defs[i], p, v);
        lda_buf_printf(b, "%s%s=", i ? "&" : "", lda_param_defs[i].name);
        for (const char *c = v; *c; c++) /* "1e+20": '+' is a space there */
            if (*c == '+')
                lda_buf_adds(b, "%2B");
            else
                lda_buf_addc(b, *c);
    }
}

bool lda_param_cache_key(const char *fp, const lda_params *p, char key[65])
{
    lda_buf b;
    lda_buf_init(&b);
    lda_buf_adds(&b, fp);
    lda_buf_addc(&b, '?');
    lda_param_query(p, &b);
    bool ok = !b.oom && lda_sha256_of(b.data, b.len, key);
    lda_buf_free(&b);
    return ok;
}
