/* fuzz_config: libFuzzer target for lda_config_seconds, the parser of the
 * window variables (docs/configuration.md#detection-parameters and
 * #value-syntax: positive, possibly fractional seconds).
 *
 * The input bytes become one NUL-terminated string (an embedded NUL ends it,
 * as getenv() would). The verdict is compared with a reference: a plain
 * decimal (POSIX regex: digits with an optional fraction, or a fraction,
 * optional exponent; no sign, hex, blanks, inf or nan) whose value is in
 * (0, 3.2e9] (the documented ~100-year bound that keeps the detectors'
 * microsecond arithmetic from overflowing) and rounds to at least 1 us.
 * An accepted value must be llround(seconds * 1e6) and parsing must be
 * deterministic. The same text is also given to each of the nine per-run
 * parameters (lda_param_set): the windows must agree with the above, and
 * every accepted value must come back the same through the detectors'
 * query text (lda_param_query, read back with lda_param_set). Violations
 * abort. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_config.h"
#include "lda_param.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz_config: %s: \"%s\"\n", what, s);
    abort();
}

/* Every pair of lda_param_query's text of p, read back into a default
 * lda_params, gives p again. */
static void check_query(const lda_params *p, const char *s)
{
    lda_buf b;
    lda_buf_init(&b);
    lda_param_query(p, &b);
    lda_buf_addc(&b, '\0');
    if (b.oom)
        abort();
    lda_params q;
    lda_params_default(&q);
    char err[200], val[64];
    for (char *pair = b.data; pair && *pair;) {
        char *amp = strchr(pair, '&'), *eq = strchr(pair, '=');
        if (amp)
            *amp = '\0';
        size_t n = 0;
        for (const char *c = eq + 1; *c && n < sizeof val - 1; c++) {
            if (strncmp(c, "%2B", 3) == 0) {
                val[n++] = '+';
                c += 2;
            } else
                val[n++] = *c;
        }
        val[n] = '\0';
        if (!lda_param_set(&q, pair, (size_t)(eq - pair), val, err,
                           sizeof err))
            fail("query text refused", s);
        pair = amp ? amp + 1 : NULL;
    }
    if (memcmp(p, &q, sizeof q) != 0)
        fail("query text does not read back the same", s);
    lda_buf_free(&b);
}

/* s for each of the nine parameters. */
static void check_params(const char *s, bool seconds_ok)
{
    char err[200];
    for (size_t i = 0; i < LDA_PARAM_COUNT; i++) {
        const lda_param_def *d = &lda_param_defs[i];
        lda_params p;
        lda_params_default(&p);
        bool ok = lda_param_set(&p, d->name, strlen(d->name), s, err,
                                sizeof err);
        if (d->kind == LDA_PARAM_SECONDS && ok != seconds_ok)
            fail("lda_param_set and lda_config_seconds disagree", s);
        if (ok)
            check_query(&p, s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static regex_t re;
    static bool compiled;
    if (!compiled) {
        if (regcomp(&re, "^([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$",
                    REG_EXTENDED | REG_NOSUB))
            abort();
        compiled = true;
    }
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';

    bool want = false;
    int64_t want_us = 0;
    if (regexec(&re, s, 0, NULL, 0) == 0) {
        errno = 0;
        double v = strtod(s, NULL);
        if (errno == 0 && isfinite(v) && v > 0 && v <= 3.2e9) {
            want_us = llround(v * 1e6);
            want = want_us >= 1;
        }
    }
    int64_t us = -7, again = -7;
    bool ok = lda_config_seconds(s, &us);
    if (ok != want)
        fail(ok ? "accepted, reference rejects"
                : "rejected, reference accepts",
             s);
    if (ok) {
        if (us != want_us || us < 1 || us > 3200000000000000LL)
            fail("wrong microseconds", s);
        if (!lda_config_seconds(s, &again) || again != us)
            fail("not deterministic", s);
    }
    check_params(s, ok);
    free(s);
    return 0;
}
