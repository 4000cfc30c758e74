/* lda_trace: W3C traceparent parsing and ids (see lda_trace.h). */
#include "lda_trace.h"

#include <stdio.h>
#include <string.h>

#include "lda_mem.h"
#include "lda_random.h"

/* n lowercase hex digits, not all '0'. */
static bool hex_id(const char *s, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
        nonzero = nonzero || c != '0';
    }
    return nonzero;
}

bool lda_trace_valid(const char *s)
{
    return s && strlen(s) == LDA_TRACEPARENT_LEN && memcmp(s, "00-", 3) == 0 &&
           hex_id(s + 3, 32) && s[35] == '-' && hex_id(s + 36, 16) &&
           s[52] == '-' && (hex_id(s + 53, 2) || memcmp(s + 53, "00", 2) == 0);
}

/* n random bytes as 2n hex digits into out; a zero id is never made. */
static void random_id(char *out, size_t n)
{
    unsigned char b[16] = {0};
    if (!lda_random_bytes(b, n))
        b[0] = 1; /* the CSPRNG failed: still a valid id */
    b[n - 1] |= 1;
    lda_mem_hex(b, n, out);
}

void lda_trace_begin(lda_trace *t, const char *traceparent)
{
    if (lda_trace_valid(traceparent)) {
        memcpy(t->trace_id, traceparent + 3, 32);
        t->trace_id[32] = '\0';
        memcpy(t->flags, traceparent + 53, 2);
        t->flags[2] = '\0';
    } else {
        random_id(t->trace_id, 16);
        memcpy(t->flags, "01", 3);
    }
    random_id(t->span_id, 8);
}

void lda_trace_header(const lda_trace *t, char *out)
{
    snprintf(out, LDA_TRACEPARENT_LEN + 1, "00-%s-%s-%s", t->trace_id,
             t->span_id, t->flags);
}

void lda_trace_child(const lda_trace *t, char *out)
{
    char span[17];
    random_id(span, 8);
    snprintf(out, LDA_TRACEPARENT_LEN + 1, "00-%s-%s-%s", t->trace_id, span,
             t->flags);
}
