/* lda_test: shared helpers of the unit tests (see lda_test.h): suite
 * registration, the whole-pipeline runner behind the data-style detector
 * tests, and string assertions that show both texts (control characters
 * escaped) when they differ. */
#include "lda_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_fingerprint.h"
#include "lda_time.h"

void lda_test_suite(const char *name, const lda_test_case *cases,
                    int (*init)(void), int (*cleanup)(void),
                    void (*setup)(void), void (*teardown)(void))
{
    CU_pSuite s = CU_add_suite_with_setup_and_teardown(name, init, cleanup,
                                                       setup, teardown);
    if (!s)
        return; /* main() sees CU_get_error() */
    for (const lda_test_case *c = cases; c->name; c++)
        if (!CU_add_test(s, c->name, c->fn))
            return;
}

static void print_escaped(FILE *f, const char *s)
{
    if (!s) {
        fputs("(null)", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\n')
            fputs("\\n\n     ", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7F)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

void lda_assert_str(const char *actual, const char *expected, const char *what,
                    const char *file, unsigned line)
{
    bool ok = (!actual && !expected) ||
              (actual && expected && strcmp(actual, expected) == 0);
    if (!ok) {
        fprintf(stderr, "\n%s:%u: strings differ (%s)\n  expected ", file,
                line, what);
        print_escaped(stderr, expected);
        fputs("\n  actual   ", stderr);
        print_escaped(stderr, actual);
        fputc('\n', stderr);
    }
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, line, what, file, "",
                            CU_FALSE);
}

void lda_test_run_free(lda_run *r)
{
    lda_set_free(&r->set);
    lda_seqlist_free(&r->lay);
    lda_seqlist_free(&r->wash);
    free(r->merged);
    free(r->sus);
    free(r->det);
    r->merged = NULL;
    r->sus = r->det = NULL;
}

lda_test_load lda_test_csv_load(char *buf, size_t len, size_t max_events,
                                lda_set *set, lda_rejects *rej, char *err,
                                size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    bool ok = lda_csv_load(buf, len, max_events, false, set, rej, &e);
    snprintf(err, errlen, "%.*s", (int)(errlen ? errlen - 1 : 0), e.msg);
    if (ok)
        return LOAD_OK;
    if (e.status == 413)
        return LOAD_TOO_MANY;
    if (e.status == 500)
        return LOAD_NOMEM;
    return strcmp(e.msg, "no valid event in the input") == 0 ? LOAD_NO_EVENTS
                                                             : LOAD_BAD_HEADER;
}

int lda_test_run(lda_run *r, const char *csv, const lda_params *p,
                 const lda_report_opts *o)
{
    memset(r, 0, sizeof *r);
    lda_set_init(&r->set);
    lda_seqlist_init(&r->lay);
    lda_seqlist_init(&r->wash);
    size_t len = strlen(csv);
    char *buf = malloc(len + 1);
    if (!buf) {
        r->st = LOAD_NOMEM;
        return -1;
    }
    memcpy(buf, csv, len + 1);
    r->st = lda_test_csv_load(buf, len, 0, &r->set, &r->rej, r->err,
                              sizeof r->err);
    free(buf);
    if (r->st != LOAD_OK)
        return -1;
    lda_params def;
    if (!p) {
        lda_params_default(&def);
        p = &def;
    }
    lda_report_opts none = {false, NULL, 0};
    const lda_seqlist *lists[2] = {&r->lay, &r->wash};
    lda_buf sus, det;
    lda_buf_init(&sus);
    lda_buf_init(&det);
    int rc = -1;
    if (lda_set_finish(&r->set) && lda_fingerprint(&r->set, r->fp) == 0 &&
        lda_detect_layering(&r->set, p, &r->lay) == 0 &&
        lda_detect_wash(&r->set, p, &r->wash) == 0 &&
        lda_merge(lists, 2, &r->merged, &r->nmerged) == 0 &&
        lda_report_suspicious(r->merged, r->nmerged, &sus) == 0 &&
        lda_report_detections(r->merged, r->nmerged, o ? o : &none, &det) == 0)
        rc = 0;
    r->sus = lda_buf_take(&sus, NULL);
    r->det = lda_buf_take(&det, NULL);
    return rc;
}

static char *concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

void lda_expect_reports(const char *csv, const lda_params *p,
                        const char *sus_rows, const char *det_rows,
                        const char *file, unsigned line)
{
    lda_run r;
    int rc = lda_test_run(&r, csv, p, NULL);
    if (rc != 0)
        fprintf(stderr, "\n%s:%u: pipeline failed (load status %d: %s)\n",
                file, line, (int)r.st, r.err);
    CU_assertImplementation(rc == 0 ? CU_TRUE : CU_FALSE, line, "pipeline ran",
                            file, "", CU_FALSE);
    char *sus = concat(LDA_SUS_HEADER, sus_rows);
    char *det = concat(LDA_DET_HEADER, det_rows);
    CU_assertImplementation(sus && det ? CU_TRUE : CU_FALSE, line, "malloc",
                            file, "", CU_FALSE);
    if (rc == 0 && sus && det) {
        lda_assert_str(r.sus, sus, "suspicious_accounts.csv", file, line);
        lda_assert_str(r.det, det, "detections.csv", file, line);
    }
    free(sus);
    free(det);
    lda_test_run_free(&r);
}

int64_t lda_test_ts(const char *text)
{
    int64_t us = INT64_MIN;
    bool ok = lda_time_parse(text, strlen(text), &us);
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, __LINE__,
                            "lda_test_ts: timestamp parses", __FILE__, "",
                            CU_FALSE);
    return us;
}

lda_seq *lda_test_seq(lda_seqlist *l, const char *acc, const char *prod,
                      int dtype, int64_t start, int64_t end)
{
    uint32_t k = lda_seqlist_key(l, acc, strlen(acc), prod, strlen(prod));
    lda_seq *q = k == UINT32_MAX ? NULL : lda_seqlist_push(l);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    q->key = k;
    q->dtype = (uint8_t)dtype;
    q->start = start;
    q->end = end;
    return q;
}
