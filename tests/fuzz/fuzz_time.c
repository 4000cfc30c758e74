/* fuzz_time: libFuzzer target for lda_time_parse / lda_time_format.
 *
 * The input bytes are one timestamp text. When the parser accepts it, the
 * value must lie in 0000-01-01..9999-12-31 UTC, and both formatters must
 * produce text that parses back to exactly the same microsecond value (the
 * reports and the fingerprint rely on this round trip). Any violation
 * aborts, which libFuzzer reports as a crash. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_US (-62167219200LL * 1000000LL)
#define MAX_US (253402300800LL * 1000000LL - 1)

static void fail(const char *what, const char *text, size_t n)
{
    fprintf(stderr, "fuzz_time: %s: \"%.*s\"\n", what, (int)n, text);
    abort();
}

/* The text must parse back to us. */
static void roundtrip(int64_t us, const char *text, size_t n)
{
    int64_t back;
    if (n == 0 || n >= LDA_TIME_MAX || strlen(text) != n)
        fail("formatted length wrong", text, n < LDA_TIME_MAX ? n : 0);
    if (!lda_time_parse(text, n, &back))
        fail("formatted time does not parse", text, n);
    if (back != us)
        fail("formatted time parses to another value", text, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Own heap copy, so reads past size are caught by ASan. */
    char *s = malloc(size ? size : 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    int64_t us;
    if (lda_time_parse(s, size, &us)) {
        if (us < MIN_US || us > MAX_US)
            fail("accepted time outside 0000..9999", s, size);
        char out[LDA_TIME_MAX];
        size_t n = lda_time_format(us, out);
        roundtrip(us, out, n);
        /* docs/reports.md#timestamps: +00:00 zone, fraction only when
         * non-zero. */
        if (n < 25 || memcmp(out + n - 6, "+00:00", 6) != 0 ||
            (us % 1000000 == 0) != (n == 25))
            fail("lda_time_format shape", out, n);
        n = lda_time_format_fixed(us, out);
        if (n != 27 || out[26] != 'Z')
            fail("lda_time_format_fixed shape", out, n);
        roundtrip(us, out, n);
        /* Whole-second check: a value that is a whole second must not
         * carry a fraction and vice versa (already covered above); also the
         * parse of the input must be deterministic. */
        int64_t again;
        if (!lda_time_parse(s, size, &again) || again != us)
            fail("parse not deterministic", s, size);
    }
    free(s);
    return 0;
}
