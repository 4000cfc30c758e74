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
 * deterministic. Violations abort. */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s)
{
    fprintf(stderr, "fuzz_config: %s: \"%s\"\n", what, s);
    abort();
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
    free(s);
    return 0;
}
