/* lda_jsonw: the JSON text writer (see lda_jsonw.h). */
#include "lda_jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_time.h"

void lda_jsonw_str(lda_buf *b, const char *p, size_t n)
{
    size_t from = 0;
    lda_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        lda_buf_add(b, p + from, i - from);
        if (c == '"' || c == '\\') {
            lda_buf_addc(b, '\\');
            lda_buf_addc(b, (char)c);
        } else
            lda_buf_printf(b, "\\u%04x", c);
        from = i + 1;
    }
    lda_buf_add(b, p + from, n - from);
    lda_buf_addc(b, '"');
}

void lda_jsonw_time(lda_buf *b, int64_t us)
{
    char t[LDA_TIME_MAX];
    size_t n = lda_time_format(us, t);
    lda_buf_addc(b, '"');
    lda_buf_add(b, t, n);
    lda_buf_addc(b, '"');
}

bool lda_jsonw_count(lda_buf *b, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        return false;
    lda_buf_u64(b, v);
    return true;
}

void lda_jsonw_real(lda_buf *b, double x)
{
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", x);
    if (n <= 0 || (size_t)n >= sizeof t)
        n = 0;
    lda_buf_add(b, t, (size_t)n);
    if (!strpbrk(t, ".eE"))
        lda_buf_adds(b, ".0");
}


void lda_jsonw_num(lda_buf *b, double x)
{
    char t[40];
    int n = 0;
    if (fabs(x) < 9007199254740992.0 && x == (double)(long long)x) {
        if (x < 0)
            lda_buf_addc(b, '-');
        lda_buf_u64(b, (uint64_t)fabs(x));
        return;
    }
    /* any decimal of up to 15 digits reads back as itself: start there */
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(t, sizeof t, "%.*g", prec, x);
        if (n <= 0 || (size_t)n >= sizeof t)
            n = 0;
        else if (strtod(t, NULL) == x)
            break;
    }
    lda_buf_add(b, t, (size_t)n);
}
