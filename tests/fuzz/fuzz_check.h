/* fuzz_check: invariant checks shared by the libFuzzer targets (header
 * only; each target is one program). CHECK() aborts with a message, which
 * libFuzzer reports as a crash. The merge and report checks state what
 * docs/detection.md#merge and docs/reports.md guarantee for any list of
 * sequences:
 *   check_finished, check_seqs  see their comments;
 *   check_err     a refusal of a decoder (lda_err): an expected status,
 *                 a one-line safe message, no reply headers;
 *   check_merge   report order (end, account, product, type, start), no
 *                 two kept sequences of one key overlap, every dropped
 *                 sequence lies inside a kept one of its key;
 *   check_report  CRLF-only lines, header + one line per sequence, the
 *                 right number of RFC 4180 fields per line (and 64 hex
 *                 pseudonyms when asked), ending with CRLF. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_buf.h"
#include "lda_detect.h"
#include "lda_err.h"
#include "lda_event.h"
#include "lda_merge.h"
#include "lda_report.h"
#include "lda_seq.h"

#define CHECK(cond, what) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "fuzz: invariant violated: %s (%s:%d)\n", what, \
                    __FILE__, __LINE__); \
            abort(); \
        } \
    } while (0)

/* s[0..cap) holds a NUL-terminated, non-empty line without controls. */
static inline bool one_line(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n == cap)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    return true;
}

/* e is a decoder's refusal: its status is one of the n in ok[] (an OOM,
 * 500, is not expected on a fuzz-sized input), its message one non-empty
 * line, and it asks for no extra reply headers. */
static inline void check_err(const lda_err *e, const int *ok, size_t n)
{
    bool known = false;
    for (size_t i = 0; i < n; i++)
        known = known || e->status == ok[i];
    if (!known)
        fprintf(stderr, "fuzz: status %d: %.*s\n", e->status,
                (int)sizeof e->msg, e->msg);
    CHECK(known, "error status (no OOM on a small input)");
    CHECK(one_line(e->msg, sizeof e->msg), "error is one non-empty line");
    CHECK(e->headers[0] == '\0', "a decoder sets no reply headers");
    CHECK(strnlen(e->detail, sizeof e->detail) < sizeof e->detail,
          "detail is NUL-terminated");
}

static inline int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

/* Compare the (account, product, type) keys of two sequences. */
static inline int cmp_key(const lda_seqlist *la, const lda_seq *a,
                          const lda_seqlist *lb, const lda_seq *b)
{
    const lda_seqkey *ka = &la->keys[a->key], *kb = &lb->keys[b->key];
    int c = cmp_bytes(la->text.data + ka->acc_off, ka->acc_len,
                      lb->text.data + kb->acc_off, kb->acc_len);
    if (!c)
        c = cmp_bytes(la->text.data + ka->prod_off, ka->prod_len,
                      lb->text.data + kb->prod_off, kb->prod_len);
    if (!c)
        c = (int)a->dtype - (int)b->dtype;
    return c;
}

static inline void check_merge(const lda_seqlist *const *lists, size_t nlists,
                               const lda_ref *m, size_t nm)
{
    size_t total = 0;
    for (size_t i = 0; i < nlists; i++)
        total += lists[i]->n;
    CHECK(nm <= total, "merge keeps at most its input");
    for (size_t i = 1; i < nm; i++) {
        const lda_seq *a = m[i - 1].seq, *b = m[i].seq;
        int c = a->end < b->end ? -1 : a->end > b->end;
        if (!c)
            c = cmp_key(m[i - 1].list, a, m[i].list, b);
        if (!c)
            c = a->start < b->start ? -1 : a->start > b->start;
        CHECK(c <= 0, "report order (end, account, product, type, start)");
    }
    for (size_t i = 0; i < nm; i++)
        for (size_t j = i + 1; j < nm; j++)
            if (!cmp_key(m[i].list, m[i].seq, m[j].list, m[j].seq))
                CHECK(m[i].seq->end < m[j].seq->start ||
                          m[j].seq->end < m[i].seq->start,
                      "kept sequences of one key do not overlap");
    for (size_t li = 0; li < nlists; li++)
        for (size_t k = 0; k < lists[li]->n; k++) {
            const lda_seq *d = &lists[li]->v[k];
            bool kept = false, covered = false;
            for (size_t i = 0; i < nm && !kept; i++) {
                kept = m[i].seq == d;
                if (!cmp_key(m[i].list, m[i].seq, lists[li], d) &&
                    m[i].seq->start <= d->start && d->start <= m[i].seq->end)
                    covered = true;
            }
            CHECK(kept || covered, "a dropped sequence lies in a kept one");
        }
}

/* CRLF-only lines, header + nlines, each with nfields RFC 4180 fields. */
static inline void check_report(const lda_buf *b, size_t nlines,
                                size_t nfields, bool pseudo)
{
    CHECK(!b->oom && b->len >= 2, "report written");
    CHECK(b->data[b->len - 2] == '\r' && b->data[b->len - 1] == '\n',
          "report ends with CRLF");
    size_t lines = 0, fields = 1, line_start = 0;
    bool inq = false;
    for (size_t i = 0; i < b->len; i++) {
        char c = b->data[i];
        if (c == '"')
            inq = !inq; /* "" toggles twice: still right */
        else if (c == ',' && !inq)
            fields++;
        else if (c == '\r' || c == '\n') {
            CHECK(!inq, "no line break inside a report field");
            CHECK(c == '\r' && i + 1 < b->len && b->data[i + 1] == '\n',
                  "only CRLF line ends");
            CHECK(fields == nfields, "field count per report line");
            if (pseudo && lines > 0) {
                CHECK(i - line_start > 65 && b->data[line_start + 64] == ',',
                      "pseudonym is 64 hex");
                for (size_t k = 0; k < 64; k++) {
                    char h = b->data[line_start + k];
                    CHECK((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'),
                          "pseudonym is lowercase hex");
                }
            }
            lines++;
            fields = 1;
            i++;
            line_start = i + 1;
        } else
            CHECK(c != '\0', "no NUL in a report");
    }
    CHECK(lines == nlines + 1, "header + one line per sequence");
}

/* A finished set: groups partition the events, each group time-ordered,
 * every stored field valid again. */
/* Merge lists[0..n), check the merge, write all three reports (plain and
 * pseudonymized detections) and check their shape. */
static inline void check_merge_and_reports(const lda_seqlist *const *lists,
                                           size_t n)
{
    lda_ref *m = NULL;
    size_t nm = 0;
    CHECK(lda_merge(lists, n, &m, &nm) == 0, "merge");
    check_merge(lists, n, m, nm);
    lda_buf sus, det, pdet;
    lda_buf_init(&sus);
    lda_buf_init(&det);
    lda_buf_init(&pdet);
    lda_report_opts plain = {false, NULL, 0};
    lda_report_opts pseudo = {true, "fuzz-salt", 9};
    CHECK(lda_report_suspicious(m, nm, &sus) == 0, "suspicious report");
    CHECK(lda_report_detections(m, nm, &plain, &det) == 0,
          "detections report");
    CHECK(lda_report_detections(m, nm, &pseudo, &pdet) == 0,
          "pseudonymized detections report");
    check_report(&sus, nm, 9, false);
    check_report(&det, nm, 5, false);
    check_report(&pdet, nm, 5, true);
    lda_buf_free(&sus);
    lda_buf_free(&det);
    lda_buf_free(&pdet);
    free(m);
}

static inline void check_finished(const lda_set *s)
{
    size_t total = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        const lda_group *gr = &s->groups[g];
        CHECK(gr->count >= 1, "no empty group");
        CHECK(gr->first == total, "groups are contiguous in order");
        CHECK(lda_valid_id(lda_set_str(s, gr->acc_off), gr->acc_len) &&
                  lda_valid_id(lda_set_str(s, gr->prod_off), gr->prod_len),
              "group ids valid");
        for (size_t i = 0; i < gr->count; i++) {
            const lda_event *e = lda_group_ev(s, gr, i);
            CHECK(e->group == g, "event belongs to its group");
            CHECK(i == 0 || lda_group_ev(s, gr, i - 1)->ts <= e->ts,
                  "group time-ordered");
            CHECK(e->side <= LDA_SELL && e->type <= LDA_TRADE, "side/type");
            CHECK(e->qty >= 1 && e->qty <= LDA_QTY_MAX, "quantity range");
            double p;
            CHECK(e->price_len >= 1 &&
                      lda_parse_price(lda_event_price(s, e), e->price_len,
                                      &p) &&
                      p == e->price && isfinite(p) && p > 0,
                  "price text re-parses to the stored price");
        }
        total += gr->count;
    }
    CHECK(total == s->n, "groups partition the events");
}

/* The shape docs/detection.md (#emitted-sequence-and-totals,
 * #wash-sequence-fields) guarantees for every detected sequence. */
static inline void check_seqs(const lda_seqlist *l, int dtype,
                              const lda_params *p)
{
    for (size_t i = 0; i < l->n; i++) {
        const lda_seq *q = &l->v[i];
        CHECK(q->dtype == dtype, "detection type");
        CHECK(q->key < l->nkeys, "key index");
        const lda_seqkey *k = &l->keys[q->key];
        CHECK(lda_valid_id(l->text.data + k->acc_off, k->acc_len) &&
                  lda_valid_id(l->text.data + k->prod_off, k->prod_len),
              "sequence ids valid");
        CHECK(q->start <= q->end, "start <= end");
        if (dtype == LDA_LAYERING) {
            CHECK(q->side == LDA_BUY || q->side == LDA_SELL, "layering side");
            CHECK(q->norders >= 3, ">= 3 orders");
            CHECK(q->orders_off + q->norders <= l->norders, "orders in pool");
            const int64_t *ts = l->orders + q->orders_off;
            CHECK(ts[0] == q->start, "first order is the start");
            for (uint32_t j = 1; j < q->norders; j++)
                CHECK(ts[j - 1] <= ts[j] &&
                          ts[j] - q->start <= p->lay_orders_us,
                      "orders sorted, inside the orders window");
            CHECK(q->end - ts[q->norders - 1] <=
                      p->lay_cancel_us + p->lay_trade_us,
                  "trade within cancel + trade window of the last order");
            CHECK(q->num_cancelled >= 3, ">= 3 cancellations");
            uint64_t cq = q->side == LDA_BUY ? q->buy_qty : q->sell_qty;
            uint64_t tq = q->side == LDA_BUY ? q->sell_qty : q->buy_qty;
            CHECK(cq >= q->num_cancelled && tq >= 1, "layering totals");
            CHECK(!q->has_alt && !q->has_pc, "layering has no percentages");
        } else {
            CHECK(q->side == LDA_SIDE_NULL && q->norders == 0, "wash nulls");
            CHECK(q->end - q->start <= p->wash_window_us, "wash window");
            CHECK(q->buy_qty >= p->wash_min_buys &&
                      q->sell_qty >= p->wash_min_sells,
                  "wash >= 3 buys and sells (qty >= 1 each)");
            CHECK((double)(q->buy_qty + q->sell_qty) >= p->wash_min_volume,
                  "wash volume");
            CHECK(q->has_alt && q->alt_pct >= p->wash_min_alt_pct &&
                      q->alt_pct <= 100.0,
                  "wash alternation");
            CHECK(!q->has_pc ||
                      (isfinite(q->pc_pct) && q->pc_pct >= p->wash_min_pc_pct),
                  "wash price change");
        }
    }
}

#endif
