/* fuzz_csv: libFuzzer target for the whole in-process pipeline.
 *
 * The input bytes are a CSV file (docs/input.md). They are loaded with
 * lda_csv_load (on a malloc'd copy of exactly the input size, so that a
 * read past its end is caught, and freed before the set is used), then, when the load succeeds, grouped
 * (lda_set_finish), fingerprinted, run through both detectors with the
 * default parameters, merged and written as both reports (detections.csv
 * with and without pseudonymization) — exactly what build/lda does.
 * After every stage invariants from docs/ are checked and a violation
 * abort()s, which libFuzzer reports as a crash:
 *   load     true, or false with e 400 or 413 and a one-line message
 *            (check_err); rejects.count + events <= data records (<= LF
 *            count), the kept rejects are the first min(count, 100) in
 *            increasing record order with one-line reasons; a refused
 *            header loads nothing; "no valid event in the input" only
 *            without allow_empty (set on inputs whose size has bit 1) and
 *            with no event loaded;
 *   finish   groups partition the events in exactly the order of
 *            docs/detection.md#conventions (groups by first appearance, a
 *            stable time sort inside each), every stored field valid
 *            again;
 *   fingerprint  64 lowercase hex, and equal to the fingerprint of the
 *            same events re-added in reverse order and another encoding
 *            (lower-case words, +0-padded quantities, +00:00 timestamps,
 *            padding blanks): the canonical form must not depend on either;
 *   detectors    the shape docs/detection.md guarantees for every
 *            sequence, and equality with the naive reference of
 *            fuzz_ref.h (docs/detection.md word for word),
 *            with the default parameters and (odd-sized inputs) with
 *            fuzz_params_loose();
 *   merge, reports  check_merge / check_report of fuzz_check.h;
 *   threads  lda_csv_load_par with 2..8 chunks (LDA_THREADS; the jobs run
 *            in reverse order on this thread, the order must not matter)
 *            gives exactly the one-pass load: outcome, message, events
 *            (every field, group, record number, price text), groups,
 *            rejects, quality; and lda_set_finish_par the same group
 *            order and duplicates as lda_set_finish. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "fuzz_ref.h"
#include "lda_csv.h"
#include "lda_detect.h"
#include "lda_fingerprint.h"
#include "lda_merge.h"
#include "lda_report.h"
#include "lda_time.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small enough that the 413 (too many events) is reachable within
 * -max_len. */
#define MAX_EVENTS 200

#define NO_EVENT "no valid event in the input"

static void check_load(bool ok, bool allow_empty, const lda_set *set,
                       const lda_rejects *rej, const lda_err *e, size_t lfs)
{
    if (!ok)
        check_err(e, (const int[]){400, 413}, 2);
    else
        CHECK(e->status == 0, "no error on success");
    CHECK(rej->kept ==
              (rej->count < LDA_REJECT_KEEP ? rej->count : LDA_REJECT_KEEP),
          "kept rejects = min(count, 100)");
    for (size_t i = 0; i < rej->kept; i++) {
        CHECK(rej->item[i].record >= 2 && rej->item[i].record <= lfs + 1,
              "reject record number in 2..records");
        CHECK(i == 0 || rej->item[i].record > rej->item[i - 1].record,
              "reject record numbers increasing");
        CHECK(one_line(rej->item[i].reason, LDA_REASON_MAX),
              "reject reason is one non-empty line");
    }
    /* The header ends with an LF if any data record follows it, and each
     * data record but the last ends with one. */
    CHECK(rej->count + set->n <= lfs, "rejects + events <= data records");
    if (ok)
        CHECK((allow_empty || set->n >= 1) && set->n <= MAX_EVENTS,
              "success means 1..max events (0..max with allow_empty)");
    bool no_event = !ok && !strcmp(e->msg, NO_EVENT);
    if (no_event)
        CHECK(e->status == 400 && !allow_empty && set->n == 0,
              "\"" NO_EVENT "\": 400, no event, not with allow_empty");
    if (!ok && e->status == 400 && !no_event)
        CHECK(set->n == 0 && rej->count == 0, "bad header loads nothing");
}

static void put_time(lda_buf *b, int64_t us, int form)
{
    char t[LDA_TIME_MAX];
    size_t n = form ? lda_time_format(us, t) : lda_time_format_fixed(us, t);
    lda_buf_add(b, t, n);
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static lda_text span(const lda_buf *b, size_t off, size_t n)
{
    return (lda_text){b->data + off, n};
}

/* Re-add every event of s in reverse group order, in another encoding, into
 * a fresh set; its fingerprint must equal hex. */
static void check_fingerprint_canonical(const lda_set *s, const char *hex)
{
    for (size_t i = 0; i < 64; i++)
        CHECK((hex[i] >= '0' && hex[i] <= '9') ||
                  (hex[i] >= 'a' && hex[i] <= 'f'),
              "fingerprint is lowercase hex");
    CHECK(hex[64] == '\0', "fingerprint is 64 chars");

    lda_set t;
    lda_set_init(&t);
    lda_buf b;
    lda_buf_init(&b);
    for (size_t k = s->n; k-- > 0;) {
        const lda_event *e = &s->ev[k];
        const lda_group *g = &s->groups[e->group];
        size_t o[8];
        lda_buf_reset(&b);
        o[0] = b.len;
        lda_buf_adds(&b, k & 1 ? " " : "");
        put_time(&b, e->ts, (int)(k & 1));
        o[1] = b.len;
        lda_buf_add(&b, lda_set_str(s, g->acc_off), g->acc_len);
        o[2] = b.len;
        lda_buf_add(&b, lda_set_str(s, g->prod_off), g->prod_len);
        o[3] = b.len;
        /* lower case the word when k is even */
        for (const char *w = lda_side_names[e->side]; *w; w++)
            lda_buf_addc(&b, k & 1 ? *w : lower(*w));
        o[4] = b.len;
        lda_buf_adds(&b, "\t");
        lda_buf_add(&b, lda_event_price(s, e), e->price_len);
        o[5] = b.len;
        lda_buf_printf(&b, "%s%llu", k & 1 ? "+00" : "",
                       (unsigned long long)e->qty);
        o[6] = b.len;
        for (const char *w = lda_type_names[e->type]; *w; w++)
            lda_buf_addc(&b, k & 1 ? lower(*w) : *w);
        lda_buf_adds(&b, " ");
        o[7] = b.len;
        CHECK(!b.oom, "buffer");
        lda_fields f = {
            span(&b, o[0], o[1] - o[0]), span(&b, o[1], o[2] - o[1]),
            span(&b, o[2], o[3] - o[2]), span(&b, o[3], o[4] - o[3]),
            span(&b, o[4], o[5] - o[4]), span(&b, o[5], o[6] - o[5]),
            span(&b, o[6], o[7] - o[6]), e->rec};
        const char *reason = NULL;
        lda_status st = lda_set_add(&t, &f, &reason);
        if (st != LDA_OK)
            fprintf(stderr, "fuzz_csv: re-add of event %zu: %s\n", k,
                    reason ? reason : "nomem");
        CHECK(st == LDA_OK, "a stored event re-encoded is valid again");
    }
    CHECK(lda_set_finish(&t), "finish (re-added)");
    CHECK(t.n == s->n && t.ngroups == s->ngroups, "same events, same groups");
    char hex2[65];
    CHECK(lda_fingerprint(&t, hex2) == 0, "fingerprint (re-added)");
    CHECK(memcmp(hex, hex2, 65) == 0,
          "fingerprint independent of row order and encoding");
    lda_buf_free(&b);
    lda_set_free(&t);
}

/* Grouping (docs/detection.md#conventions,
 * docs/input.md#row-order-and-grouping): groups in first-appearance order
 * (group indices are given in that order), each stably sorted by
 * timestamp. before[] is the event array in input order; compare with the
 * finished one. */
static void check_finish_order(const lda_event *before, const lda_set *s)
{
    lda_event *want = malloc((s->n ? s->n : 1) * sizeof *want);
    CHECK(want != NULL, "malloc");
    size_t k = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        size_t first = k;
        for (size_t i = 0; i < s->n; i++)
            if (before[i].group == g) {
                /* insertion: after every event with ts <= this one */
                size_t j = k++;
                while (j > first && want[j - 1].ts > before[i].ts) {
                    want[j] = want[j - 1];
                    j--;
                }
                want[j] = before[i];
            }
    }
    CHECK(k == s->n, "every event in a group");
    CHECK(memcmp(want, s->ev, s->n * sizeof *want) == 0,
          "group order, then stable time order");
    free(want);
}

static void pipeline(lda_set *set, bool loose)
{
    lda_event *before = malloc((set->n ? set->n : 1) * sizeof *before);
    CHECK(before != NULL, "malloc");
    memcpy(before, set->ev, set->n * sizeof *before);
    CHECK(lda_set_finish(set), "finish");
    check_finished(set);
    check_finish_order(before, set);
    free(before);
    char hex[65];
    CHECK(lda_fingerprint(set, hex) == 0, "fingerprint");
    check_fingerprint_canonical(set, hex);

    lda_params p;
    lda_params_default(&p);
    lda_seqlist lay, wash;
    lda_seqlist_init(&lay);
    lda_seqlist_init(&wash);
    check_detectors(set, &p, &lay, &wash);
    if (loose) {
        /* also the loose parameters: reference comparison only */
        lda_params lp;
        fuzz_params_loose(&lp);
        lda_seqlist l2, w2;
        lda_seqlist_init(&l2);
        lda_seqlist_init(&w2);
        check_detectors(set, &lp, &l2, &w2);
        lda_seqlist_free(&l2);
        lda_seqlist_free(&w2);
    }

    const lda_seqlist *lists[2] = {&lay, &wash};
    check_merge_and_reports(lists, 2);
    lda_seqlist_free(&lay);
    lda_seqlist_free(&wash);
}

/* An lda_par runner that runs the jobs backwards on this thread. */
static void run_backwards(const lda_par *par, size_t njobs, lda_job_fn job,
                          void *arg)
{
    (void)par;
    while (njobs--)
        job(arg, njobs);
}

static bool same_event(const lda_set *a, const lda_event *x, const lda_set *b,
                       const lda_event *y)
{
    return x->ts == y->ts && x->qty == y->qty && x->price == y->price &&
           x->group == y->group && x->rec == y->rec && x->side == y->side &&
           x->type == y->type && x->price_len == y->price_len &&
           !memcmp(lda_event_price(a, x), lda_event_price(b, y), x->price_len);
}

/* a and b hold the same groups, quality and (when events: both are
 * finished, or read in one pass) events. */
static void check_same_sets(const lda_set *a, const lda_set *b, bool events)
{
    CHECK(a->n == b->n && a->ngroups == b->ngroups, "same event and groups");
    for (size_t i = 0; events && i < a->n; i++)
        CHECK(same_event(a, &a->ev[i], b, &b->ev[i]), "same events");
    for (size_t g = 0; g < a->ngroups; g++) {
        const lda_group *x = &a->groups[g], *y = &b->groups[g];
        CHECK(x->count == y->count && x->acc_len == y->acc_len &&
                  x->prod_len == y->prod_len &&
                  !memcmp(lda_set_str(a, x->acc_off),
                          lda_set_str(b, y->acc_off), x->acc_len) &&
                  !memcmp(lda_set_str(a, x->prod_off),
                          lda_set_str(b, y->prod_off), x->prod_len),
              "same groups");
    }
    lda_quality p = lda_set_quality(a), q = lda_set_quality(b);
    CHECK(p.n == q.n && p.types[0] == q.types[0] && p.types[1] == q.types[1] &&
              p.types[2] == q.types[2] && p.out_of_order == q.out_of_order &&
              p.duplicates == q.duplicates && p.accounts == q.accounts &&
              p.products == q.products &&
              (!p.n || (p.first_ts == q.first_ts && p.last_ts == q.last_ts)),
          "same quality");
}

/* The load in chunks into ps equals the one-pass load (ok, e, set, rej). */
static void check_parallel(const uint8_t *data, size_t size, bool allow_empty,
                           bool ok, const lda_err *e, lda_set *set,
                           const lda_rejects *rej, lda_set *ps)
{
    static lda_rejects prej;
    lda_par par = {2 + (unsigned)(size % 7), run_backwards, NULL};
    lda_err pe;
    lda_err_init(&pe);
    bool pok = lda_csv_load_par((const char *)data, size, MAX_EVENTS,
                                allow_empty, &par, ps, &prej, &pe);
    CHECK(pok == ok && pe.status == e->status && !strcmp(pe.msg, e->msg),
          "same outcome at any thread count");
    CHECK(prej.count == rej->count && prej.kept == rej->kept,
          "same reject count");
    for (size_t i = 0; i < rej->kept; i++)
        CHECK(prej.item[i].record == rej->item[i].record &&
                  !strcmp(prej.item[i].reason, rej->item[i].reason),
              "same rejects");
    if (ok) /* ps's events are readable once it is finished */
        check_same_sets(set, ps, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    size_t lfs = 0;
    for (size_t i = 0; i < size; i++)
        lfs += data[i] == '\n';

    static lda_rejects rej;
    bool allow_empty = size & 2;
    lda_err e;
    lda_err_init(&e);
    lda_set set;
    lda_set_init(&set);
    bool ok = lda_csv_load(buf, size, MAX_EVENTS, allow_empty, &set, &rej, &e);
    check_load(ok, allow_empty, &set, &rej, &e, lfs);
    free(buf); /* the set must not point into the input */
    lda_set ps;
    lda_set_init(&ps);
    check_parallel(data, size, allow_empty, ok, &e, &set, &rej, &ps);
    if (ok && set.n > 0) {
        pipeline(&set, size & 1); /* finishes set */
        lda_par par = {2 + (unsigned)(size % 5), run_backwards, NULL};
        CHECK(lda_set_finish_par(&ps, &par), "finish_par");
        check_same_sets(&set, &ps, true);
        for (size_t g = 0; g < set.ngroups; g++)
            CHECK(set.groups[g].first == ps.groups[g].first,
                  "same group order");
    }
    lda_set_free(&ps);
    lda_set_free(&set);
    return 0;
}
