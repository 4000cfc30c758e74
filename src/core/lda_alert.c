/* lda_alert: alerts.json and its evidence clauses (see lda_alert.h).
 *
 * The clauses restate docs/detection.md's rules with the run's values:
 *   LAYERING      same-side orders in W s           orders     >= 3
 *                 same-side cancellations up to C s after the last order
 *                                                   count      >= 3
 *                 opposite-side trade within T s of the last cancellation
 *                                                   seconds    <= T
 *   WASH_TRADING  BUY trades in W s, SELL trades in W s   >= the minimums
 *                 volume in W s, alternation %             >= the minimums
 *                 price change % (only when reported)      >= the bonus
 * The text is written by hand (lda_jsonw), one alert per line. */
#include "lda_alert.h"

#include <stdio.h>
#include <string.h>

#include "lda_jsonw.h"
#include "lda_time.h"

#define LDA_CLAUSES_MAX 5

/* A value of a clause: an integer (is_int, n) or a real (x). */
typedef struct lda_num {
    bool is_int;
    uint64_t n;
    double x;
} lda_num;

typedef struct lda_clause {
    char text[96]; /* e.g. "same-side orders in 10 s" */
    lda_num observed, threshold;
} lda_clause;

static lda_num num_int(uint64_t n)
{
    return (lda_num){true, n, 0.0};
}

static lda_num num_real(double x)
{
    return (lda_num){false, 0, x};
}

/* Microseconds as seconds text: "10", "0.5", "2.000001". */
static void seconds(char *out, size_t n, int64_t us)
{
    long long s = (long long)(us / 1000000), f = (long long)(us % 1000000);
    if (!f) {
        snprintf(out, n, "%lld", s);
        return;
    }
    int digits = 6;
    while (f % 10 == 0) {
        f /= 10;
        digits--;
    }
    snprintf(out, n, "%lld.%0*lld", s, digits, f);
}

static void clause(lda_clause *c, const char *fmt, int64_t window_us,
                   lda_num observed, lda_num threshold)
{
    char w[32];
    seconds(w, sizeof w, window_us);
    snprintf(c->text, sizeof c->text, fmt, w);
    c->observed = observed;
    c->threshold = threshold;
}

static size_t layering(const lda_seq *q, const lda_params *p, lda_clause *c)
{
    clause(&c[0], "same-side orders in %s s", p->lay_orders_us,
           num_int(q->norders), num_int(3));
    clause(&c[1], "same-side cancellations up to %s s after the last order",
           p->lay_cancel_us, num_int(q->obs_n[0]), num_int(3));
    clause(&c[2], "opposite-side trade within %s s of the last cancellation",
           p->lay_trade_us, num_real((double)(q->end - q->obs_ts) / 1e6),
           num_real((double)p->lay_trade_us / 1e6));
    return 3;
}

static size_t wash(const lda_seq *q, const lda_params *p, lda_clause *c)
{
    uint64_t vol = q->buy_qty + q->sell_qty; /* each <= INT64_MAX */
    clause(&c[0], "BUY trades in %s s", p->wash_window_us,
           num_int(q->obs_n[0]), num_int(p->wash_min_buys));
    clause(&c[1], "SELL trades in %s s", p->wash_window_us,
           num_int(q->obs_n[1]), num_int(p->wash_min_sells));
    clause(&c[2], "volume in %s s", p->wash_window_us, num_int(vol),
           num_real(p->wash_min_volume));
    clause(&c[3], "alternation %% in %s s", p->wash_window_us,
           num_real(q->alt_pct), num_real(p->wash_min_alt_pct));
    if (!q->has_pc)
        return 4;
    clause(&c[4], "price change %% in %s s", p->wash_window_us,
           num_real(q->pc_pct), num_real(p->wash_min_pc_pct));
    return 5;
}

/* The clauses q met under p into out; returns how many (0 without
 * evidence). */
static size_t clauses(const lda_seq *q, const lda_params *p,
                      lda_clause out[LDA_CLAUSES_MAX])
{
    if (!q->has_ev)
        return 0;
    return q->dtype == LDA_LAYERING ? layering(q, p, out) : wash(q, p, out);
}

static void put_num(lda_buf *b, lda_num v)
{
    if (v.is_int)
        lda_buf_printf(b, "%llu", (unsigned long long)v.n);
    else
        lda_jsonw_num(b, v.x);
}

static void put_alert(lda_buf *b, const lda_seqlist *l, const lda_seq *q,
                      const lda_params *p)
{
    const lda_seqkey *k = &l->keys[q->key];
    lda_buf_adds(b, "{\"account_id\":");
    lda_jsonw_str(b, l->text.data + k->acc_off, k->acc_len);
    lda_buf_adds(b, ",\"product_id\":");
    lda_jsonw_str(b, l->text.data + k->prod_off, k->prod_len);
    lda_buf_adds(b, ",\"detection_type\":\"");
    lda_buf_adds(b, lda_dtype_names[q->dtype]);
    lda_buf_adds(b, "\",\"detected_timestamp\":");
    lda_jsonw_time(b, q->end);
    lda_buf_adds(b, ",\"records\":[");
    for (uint32_t i = 0; q->has_ev && i < q->nrecs; i++)
        lda_buf_printf(b, i ? ",%lu" : "%lu",
                       (unsigned long)l->recs[q->recs_off + i]);
    lda_buf_adds(b, "],\"evidence\":[");
    lda_clause c[LDA_CLAUSES_MAX];
    size_t n = clauses(q, p, c);
    for (size_t i = 0; i < n; i++) {
        lda_buf_adds(b, i ? ",{\"clause\":" : "{\"clause\":");
        lda_jsonw_str(b, c[i].text, strlen(c[i].text));
        lda_buf_adds(b, ",\"observed\":");
        put_num(b, c[i].observed);
        lda_buf_adds(b, ",\"threshold\":");
        put_num(b, c[i].threshold);
        lda_buf_addc(b, '}');
    }
    lda_buf_adds(b, "]}");
}

int lda_alert_text(const lda_ref *refs, size_t n, const lda_params *p,
                   lda_buf *out)
{
    lda_buf_adds(out, n ? "[\n" : "[]\n");
    for (size_t i = 0; i < n && !out->oom; i++) {
        const lda_seq *q = refs[i].seq;
        if (q->buy_qty > (uint64_t)INT64_MAX ||
            q->sell_qty > (uint64_t)INT64_MAX)
            return -1;
        put_alert(out, refs[i].list, q, p);
        lda_buf_adds(out, i + 1 < n ? ",\n" : "\n]\n");
    }
    return out->oom ? -1 : 0;
}
