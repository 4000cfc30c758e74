/* fuzz_config: libFuzzer target for lda_config_seconds, the parser of the
 * window variables (SPEC §6: positive, possibly fractional seconds).
 *
 * The input bytes become one NUL-terminated string (an embedded NUL ends it,
 * as getenv() would). An accepted value must be a whole number of
 * microseconds in 1..3.2e15 (the documented ~100-year bound that keeps the
 * detectors' microsecond arithmetic from overflowing), must start with a
 * digit or '.', and parsing must be deterministic. Violations abort. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t us = -7, again = -7;
    bool ok = lda_config_seconds(s, &us);
    if (ok) {
        if (us < 1 || us > 3200000000000000LL) {
            fprintf(stderr, "fuzz_config: \"%s\" -> %lld us out of range\n", s,
                    (long long)us);
            abort();
        }
        if (!((s[0] >= '0' && s[0] <= '9') || s[0] == '.')) {
            fprintf(stderr, "fuzz_config: accepted \"%s\" (bad first char)\n",
                    s);
            abort();
        }
        if (!lda_config_seconds(s, &again) || again != us) {
            fprintf(stderr, "fuzz_config: \"%s\" not deterministic\n", s);
            abort();
        }
    }
    free(s);
    return 0;
}
