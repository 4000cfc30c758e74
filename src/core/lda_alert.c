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

/* The clauses, in the order they are written; their texts depend only on
 * the run's parameters and are made once per file. */
enum {
    C_ORDERS,
    C_CANCELS,
    C_TRADE,
    C_BUYS,
    C_SELLS,
    C_VOLUME,
    C_ALT,
    C_PRICE,
    NCLAUSES
};
static const char *const clause_fmt[NCLAUSES] = {
    "same-side orders in %s s",
    "same-side cancellations up to %s s after the last order",
    "opposite-side trade within %s s of the last cancellation",
    "BUY trades in %s s",
    "SELL trades in %s s",
    "volume in %s s",
    "alternation %% in %s s",
    "price change %% in %s s"};

typedef struct texts {
    char c[NCLAUSES][96]; /* JSON-ready: no quote or backslash in them */
} texts;

/* A value of a clause: an integer (is_int, n) or a real (x). */
typedef struct num {
    bool is_int;
    uint64_t n;
    double x;
} num;

static num num_int(uint64_t n)
{
    return (num){true, n, 0.0};
}

static num num_real(double x)
{
    return (num){false, 0, x};
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

static void make_texts(texts *t, const lda_params *p)
{
    const int64_t window[NCLAUSES] = {p->lay_orders_us,  p->lay_cancel_us,
                                      p->lay_trade_us,   p->wash_window_us,
                                      p->wash_window_us, p->wash_window_us,
                                      p->wash_window_us, p->wash_window_us};
    for (int i = 0; i < NCLAUSES; i++) {
        char w[32];
        seconds(w, sizeof w, window[i]);
        snprintf(t->c[i], sizeof t->c[i], clause_fmt[i], w);
    }
}

static void put_num(lda_buf *b, num v)
{
    if (v.is_int)
        lda_buf_u64(b, v.n);
    else
        lda_jsonw_num(b, v.x);
}

/* One clause object; first: no comma before it. */
static void clause(lda_buf *b, const texts *t, int which, num observed,
                   num threshold)
{
    lda_buf_adds(b, which == C_ORDERS || which == C_BUYS ? "{\"clause\":\""
                                                         : ",{\"clause\":\"");
    lda_buf_adds(b, t->c[which]);
    lda_buf_adds(b, "\",\"observed\":");
    put_num(b, observed);
    lda_buf_adds(b, ",\"threshold\":");
    put_num(b, threshold);
    lda_buf_addc(b, '}');
}

static void layering(lda_buf *b, const texts *t, const lda_seq *q,
                     const lda_params *p)
{
    clause(b, t, C_ORDERS, num_int(q->norders), num_int(3));
    clause(b, t, C_CANCELS, num_int(q->obs_n[0]), num_int(3));
    clause(b, t, C_TRADE, num_real((double)(q->end - q->obs_ts) / 1e6),
           num_real((double)p->lay_trade_us / 1e6));
}

static void wash(lda_buf *b, const texts *t, const lda_seq *q,
                 const lda_params *p)
{
    clause(b, t, C_BUYS, num_int(q->obs_n[0]), num_int(p->wash_min_buys));
    clause(b, t, C_SELLS, num_int(q->obs_n[1]), num_int(p->wash_min_sells));
    /* each total is at most INT64_MAX (checked): no overflow */
    clause(b, t, C_VOLUME, num_int(q->buy_qty + q->sell_qty),
           num_real(p->wash_min_volume));
    clause(b, t, C_ALT, num_real(q->alt_pct), num_real(p->wash_min_alt_pct));
    if (q->has_pc)
        clause(b, t, C_PRICE, num_real(q->pc_pct),
               num_real(p->wash_min_pc_pct));
}

static void put_alert(lda_buf *b, const texts *t, const lda_seqlist *l,
                      const lda_seq *q, const lda_params *p)
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
    for (uint32_t i = 0; q->has_ev && i < q->nrecs; i++) {
        if (i)
            lda_buf_addc(b, ',');
        lda_buf_u64(b, l->recs[q->recs_off + i]);
    }
    lda_buf_adds(b, "],\"evidence\":[");
    if (q->has_ev && q->dtype == LDA_LAYERING)
        layering(b, t, q, p);
    else if (q->has_ev)
        wash(b, t, q, p);
    lda_buf_adds(b, "]}");
}

int lda_alert_text(const lda_ref *refs, size_t n, const lda_params *p,
                   lda_buf *out)
{
    texts t;
    make_texts(&t, p);
    lda_buf_adds(out, n ? "[\n" : "[]\n");
    for (size_t i = 0; i < n && !out->oom; i++) {
        const lda_seq *q = refs[i].seq;
        if (q->buy_qty > (uint64_t)INT64_MAX ||
            q->sell_qty > (uint64_t)INT64_MAX)
            return -1;
        put_alert(out, &t, refs[i].list, q, p);
        lda_buf_adds(out, i + 1 < n ? ",\n" : "\n]\n");
    }
    return out->oom ? -1 : 0;
}
