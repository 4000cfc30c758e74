/* fuzz_numbers: libFuzzer target for the field validators of
 * docs/input.md#field-rules (lda_parse_price, lda_parse_quantity,
 * lda_parse_side, lda_parse_type, lda_valid_id, lda_valid_utf8, lda_trim)
 * and the report cell writer lda_csv_put (docs/reports.md#formula-guard
 * and #line-ends-and-quoting: formula guard, RFC 4180 quoting).
 *
 * Every validator runs on the whole input and its verdict is compared with
 * an independent reference written here from the docs text: POSIX regular
 * expressions for the price and quantity grammars (plus strtod/strtoull for
 * the values), a code-point decoder for strict UTF-8, byte loops for ids.
 * A cell written by lda_csv_put must decode (RFC 4180) back to the input,
 * with a leading ' exactly when the guard applies, and be quoted exactly
 * when it holds , " CR or LF.
 * Accepted prices must be finite and > 0, quantities 1..10^12. Any
 * disagreement aborts. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lda_csv.h"
#include "lda_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static regex_t price_re, qty_re;
static bool compiled;

static void fail(const char *what, const char *s, size_t n)
{
    fprintf(stderr, "fuzz_numbers: %s on %zu bytes: \"", what, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fprintf(stderr, c < 0x20 || c >= 0x7F ? "\\x%02x" : "%c", c);
    }
    fprintf(stderr, "\"\n");
    abort();
}

static void compile(void)
{
    if (compiled)
        return;
    if (regcomp(&price_re,
                "^[+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$",
                REG_EXTENDED | REG_NOSUB) ||
        regcomp(&qty_re, "^[+]?[0-9]+$", REG_EXTENDED | REG_NOSUB)) {
        fprintf(stderr, "fuzz_numbers: regcomp failed\n");
        abort();
    }
    compiled = true;
}

/* Strict UTF-8 by decoding: shortest form, no surrogates, <= U+10FFFF. */
static bool ref_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], len;
        unsigned long cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else
            return false;
        if (n - i < len)
            return false;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        static const unsigned long min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
    return true;
}

static bool ref_id(const unsigned char *s, size_t n)
{
    if (n < 1 || n > 256)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= 0x1F || s[i] == 0x7F)
            return false;
    return true;
}

/* Index of the word s equals case-insensitively, or -1. */
static int ref_word(const char *s, size_t n, const char *const *words, int nw)
{
    for (int k = 0; k < nw; k++) {
        size_t wl = strlen(words[k]);
        if (wl != n)
            continue;
        size_t i = 0;
        while (i < n && (s[i] == words[k][i] || (s[i] >= 'a' && s[i] <= 'z' &&
                                                 s[i] - 32 == words[k][i])))
            i++;
        if (i == n)
            return k;
    }
    return -1;
}

static void check_trim(const char *s, size_t n)
{
    lda_text t = lda_trim((lda_text){s, n}); /* s: exact copy */
    size_t lead = 0, tail = 0;
    while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
        lead++;
    while (tail < n - lead &&
           (s[n - 1 - tail] == ' ' || s[n - 1 - tail] == '\t'))
        tail++;
    if (t.p != s + lead || t.n != n - lead - tail)
        fail("lda_trim disagrees", s, n);
}

/* lda_csv_put round trip, with and without the guard. */
static void check_cell(const char *s, size_t n)
{
    bool special = false;
    for (size_t i = 0; i < n; i++)
        special |= s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    for (int guard = 0; guard < 2; guard++) {
        bool tick = guard && n > 0 && s[0] != '\0' &&
                    strchr("=+-@\t\r", s[0]) != NULL;
        lda_buf b;
        lda_buf_init(&b);
        lda_csv_put(&b, s, n, guard);
        if (b.oom)
            fail("lda_csv_put: out of memory", s, n);
        const char *c = b.data ? b.data : "";
        size_t cn = b.len, k = 0;
        char *dec = malloc(cn + 1);
        if (!dec)
            abort();
        bool quoted = cn > 0 && c[0] == '"';
        if (quoted != special)
            fail("cell quoted iff it holds , \" CR LF", s, n);
        if (quoted) {
            if (cn < 2 || c[cn - 1] != '"')
                fail("quoted cell not closed", s, n);
            for (size_t i = 1; i + 1 < cn; i++) {
                if (c[i] == '"') {
                    if (i + 2 >= cn || c[i + 1] != '"')
                        fail("lone quote inside a quoted cell", s, n);
                    i++;
                }
                dec[k++] = c[i];
            }
        } else {
            memcpy(dec, c, cn);
            k = cn;
        }
        size_t want = n + (tick ? 1 : 0);
        if (k != want || (tick && dec[0] != '\'') ||
            memcmp(dec + (tick ? 1 : 0), s, n) != 0)
            fail("cell does not decode to the (guarded) text", s, n);
        free(dec);
        lda_buf_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compile();
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0'; /* for the references only */
    /* The validators get an exact-size heap copy: ASan sees any overread. */
    char *x = malloc(size ? size : 1);
    if (!x) {
        free(s);
        return 0;
    }
    memcpy(x, data, size);
    bool has_nul = memchr(s, '\0', size) != NULL;

    /* price */
    double price = -1.0;
    bool p_ok = lda_parse_price(x, size, &price);
    bool p_gram = !has_nul && regexec(&price_re, s, 0, NULL, 0) == 0;
    double p_ref = p_gram ? strtod(s, NULL) : 0.0;
    bool p_want = p_gram && isfinite(p_ref) && p_ref > 0.0;
    if (p_ok != p_want)
        fail(p_ok ? "price accepted, reference rejects"
                  : "price rejected, reference accepts",
             s, size);
    if (p_ok && (!isfinite(price) || !(price > 0.0) || price != p_ref))
        fail("price value wrong", s, size);

    /* quantity */
    uint64_t qty = 0;
    bool q_ok = lda_parse_quantity(x, size, &qty);
    bool q_want = false;
    unsigned long long q_ref = 0;
    if (!has_nul && regexec(&qty_re, s, 0, NULL, 0) == 0) {
        errno = 0;
        q_ref = strtoull(s + (s[0] == '+'), NULL, 10);
        q_want = errno == 0 && q_ref >= 1 && q_ref <= 1000000000000ULL;
    }
    if (q_ok != q_want)
        fail(q_ok ? "quantity accepted, reference rejects"
                  : "quantity rejected, reference accepts",
             s, size);
    if (q_ok && (qty < 1 || qty > LDA_QTY_MAX || qty != q_ref))
        fail("quantity value wrong", s, size);

    /* side and event type */
    static const char *const sides[2] = {"BUY", "SELL"};
    static const char *const types[3] = {"ORDER_PLACED", "ORDER_CANCELLED",
                                         "TRADE_EXECUTED"};
    uint8_t side = 9, type = 9;
    bool sd_ok = lda_parse_side(x, size, &side);
    int sd_ref = ref_word(s, size, sides, 2);
    if (sd_ok != (sd_ref >= 0) || (sd_ok && side != sd_ref))
        fail("side disagrees", s, size);
    bool ty_ok = lda_parse_type(x, size, &type);
    int ty_ref = ref_word(s, size, types, 3);
    if (ty_ok != (ty_ref >= 0) || (ty_ok && type != ty_ref))
        fail("event_type disagrees", s, size);
    if (sd_ok && strcmp(lda_side_names[side], sides[side]))
        fail("side name table", s, size);
    if (ty_ok && strcmp(lda_type_names[type], types[type]))
        fail("type name table", s, size);

    /* ids, UTF-8, trimming */
    if (lda_valid_id(x, size) != ref_id(data, size))
        fail("lda_valid_id disagrees", s, size);
    if (lda_valid_utf8(x, size) != ref_utf8(data, size))
        fail("lda_valid_utf8 disagrees", s, size);
    check_trim(x, size);
    check_cell(x, size);

    free(x);
    free(s);
    return 0;
}
