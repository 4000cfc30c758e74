/* lda_codec_seq: SuspiciousSequence in JSON (see lda_codec_seq.h).
 *
 * Sequences are encoded as text by a small fixed-shape writer (see below);
 * percentages are JSON reals written with %.17g, so they decode back to
 * the same double. Decoding walks an already-parsed jansson tree and is
 * strict: every field is checked for presence and type, nulls are accepted
 * exactly where docs/detection.md puts them, and the first problem is
 * reported as a one-line message that names the field by its JSON path
 * ("results[3].side: ...") and never echoes the offending value. */
#include "lda_codec_seq.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_event.h"
#include "lda_jsonw.h"
#include "lda_time.h"

/* ---- SuspiciousSequence: encode ---------------------------------------
 * Written as text straight into a buffer (lda_jsonw): a detector may
 * answer tens of thousands of sequences. */

/* ,"records":[...],"observed":{...} of a sequence with evidence. */
static bool put_evidence(lda_buf *b, const lda_seqlist *l, const lda_seq *q)
{
    lda_buf_adds(b, ",\"records\":[");
    for (uint32_t i = 0; i < q->nrecs; i++) {
        if (i)
            lda_buf_addc(b, ',');
        lda_buf_u64(b, l->recs[q->recs_off + i]);
    }
    bool ok = true;
    if (q->dtype == LDA_LAYERING) {
        lda_buf_adds(b, "],\"observed\":{\"cancellations\":");
        ok = lda_jsonw_count(b, q->obs_n[0]);
        lda_buf_adds(b, ",\"last_cancellation_timestamp\":");
        lda_jsonw_time(b, q->obs_ts);
    } else {
        lda_buf_adds(b, "],\"observed\":{\"buy_trades\":");
        ok = lda_jsonw_count(b, q->obs_n[0]);
        lda_buf_adds(b, ",\"sell_trades\":");
        ok = ok && lda_jsonw_count(b, q->obs_n[1]);
    }
    lda_buf_addc(b, '}');
    return ok;
}

int lda_codec_seq_text(const lda_seqlist *l, const lda_seq *q, lda_buf *b)
{
    const lda_seqkey *k = &l->keys[q->key];
    const bool lay = q->dtype == LDA_LAYERING;
    lda_buf_adds(b, "{\"account_id\":");
    lda_jsonw_str(b, l->text.data + k->acc_off, k->acc_len);
    lda_buf_adds(b, ",\"product_id\":");
    lda_jsonw_str(b, l->text.data + k->prod_off, k->prod_len);
    lda_buf_adds(b, ",\"start_timestamp\":");
    lda_jsonw_time(b, q->start);
    lda_buf_adds(b, ",\"end_timestamp\":");
    lda_jsonw_time(b, q->end);
    lda_buf_adds(b, ",\"total_buy_qty\":");
    bool ok = lda_jsonw_count(b, q->buy_qty);
    lda_buf_adds(b, ",\"total_sell_qty\":");
    ok = ok && lda_jsonw_count(b, q->sell_qty);
    lda_buf_adds(b, ",\"detection_type\":\"");
    lda_buf_adds(b, lda_dtype_names[q->dtype]);
    lda_buf_adds(b, "\",\"side\":");
    lda_buf_adds(b, !lay || q->side == LDA_SIDE_NULL ? "null"
                    : q->side == LDA_BUY             ? "\"BUY\""
                                                     : "\"SELL\"");
    lda_buf_adds(b, ",\"num_cancelled_orders\":");
    if (lay)
        ok = ok && lda_jsonw_count(b, q->num_cancelled);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"alternation_percentage\":");
    if (!lay && q->has_alt)
        lda_jsonw_real(b, q->alt_pct);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"price_change_percentage\":");
    if (!lay && q->has_pc)
        lda_jsonw_real(b, q->pc_pct);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"order_timestamps\":");
    if (lay) {
        lda_buf_addc(b, '[');
        for (uint32_t i = 0; i < q->norders; i++) {
            if (i)
                lda_buf_addc(b, ',');
            lda_jsonw_time(b, l->orders[q->orders_off + i]);
        }
        lda_buf_addc(b, ']');
    } else
        lda_buf_adds(b, "null");
    if (q->has_ev)
        ok = ok && put_evidence(b, l, q);
    lda_buf_addc(b, '}');
    return ok && !b->oom ? 0 : -1;
}

int lda_codec_seqlist_text(const lda_seqlist *l, lda_buf *b)
{
    lda_buf_reserve(b, 64 + l->n * 400);
    lda_buf_addc(b, '[');
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            lda_buf_addc(b, ',');
        if (lda_codec_seq_text(l, &l->v[i], b) < 0)
            return -1;
    }
    lda_buf_addc(b, ']');
    return b->oom ? -1 : 0;
}

/* ---- SuspiciousSequence: decode --------------------------------------- */

typedef struct dec {
    const char *prefix; /* "results" or "layering.results" ... */
    size_t idx;
    lda_err *e;
} dec;

static int dfail(const dec *d, const char *field, const char *what)
{
    lda_err_set(d->e, 400, "%s[%zu].%s: %s", d->prefix, d->idx, field, what);
    return -1;
}

/* The member k of o, or NULL with an error when absent. */
static const json_t *need(const dec *d, const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    if (!v)
        dfail(d, k, "missing");
    return v;
}

static int get_time(const dec *d, const json_t *o, const char *k, int64_t *us)
{
    const json_t *v = need(d, o, k);
    if (!v)
        return -1;
    if (!json_is_string(v))
        return dfail(d, k, "must be a string");
    if (!lda_time_parse(json_string_value(v), json_string_length(v), us))
        return dfail(d, k, "invalid timestamp");
    return 0;
}

static int get_count(const dec *d, const json_t *o, const char *k,
                     uint64_t *out)
{
    const json_t *v = need(d, o, k);
    if (!v)
        return -1;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return dfail(d, k, "must be a non-negative integer");
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int get_id(const dec *d, const json_t *o, const char *k, const char **p,
                  size_t *n)
{
    const json_t *v = need(d, o, k);
    if (!v)
        return -1;
    if (!json_is_string(v))
        return dfail(d, k, "must be a string");
    *p = json_string_value(v);
    *n = json_string_length(v);
    if (!lda_valid_id(*p, *n))
        return dfail(d, k,
                     "must be 1 to 256 bytes without control "
                     "characters");
    return 0;
}

static int must_null(const dec *d, const json_t *o, const char *k)
{
    const json_t *v = need(d, o, k);
    if (!v)
        return -1;
    return json_is_null(v) ? 0 : dfail(d, k, "must be null for this type");
}

/* A percentage: a number in [lo, hi]. */
static int get_pct(const dec *d, const json_t *v, const char *k, double lo,
                   double hi, double *out)
{
    if (!json_is_number(v))
        return dfail(d, k, "must be a number");
    double x = json_number_value(v);
    if (!isfinite(x) || x < lo || x > hi)
        return dfail(d, k, "out of range");
    *out = x;
    return 0;
}

/* Fields of LAYERING sequences: side, num_cancelled_orders, orders. */
static int dec_layering(const dec *d, const json_t *o, lda_seqlist *l,
                        lda_seq *q, int64_t **tsv, size_t *tscap)
{
    const json_t *v = need(d, o, "side");
    if (!v)
        return -1;
    const char *s = json_string_value(v);
    if (s && strcmp(s, "BUY") == 0)
        q->side = LDA_BUY;
    else if (s && strcmp(s, "SELL") == 0)
        q->side = LDA_SELL;
    else
        return dfail(d, "side", "must be \"BUY\" or \"SELL\"");
    if (get_count(d, o, "num_cancelled_orders", &q->num_cancelled) < 0 ||
        must_null(d, o, "alternation_percentage") < 0 ||
        must_null(d, o, "price_change_percentage") < 0)
        return -1;
    const json_t *a = need(d, o, "order_timestamps");
    if (!a)
        return -1;
    if (!json_is_array(a))
        return dfail(d, "order_timestamps", "must be an array");
    size_t n = json_array_size(a);
    if (n > UINT32_MAX)
        return dfail(d, "order_timestamps", "too long");
    if (n > *tscap) {
        int64_t *p = realloc(*tsv, n * sizeof *p);
        if (!p)
            return -3;
        *tsv = p;
        *tscap = n;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(a, i);
        if (!json_is_string(t) ||
            !lda_time_parse(json_string_value(t), json_string_length(t),
                            &(*tsv)[i])) {
            char f[48];
            snprintf(f, sizeof f, "order_timestamps[%zu]", i);
            return dfail(d, f, "invalid timestamp");
        }
    }
    return lda_seqlist_set_orders(l, q, *tsv, n) ? 0 : -3;
}

static int dec_wash(const dec *d, const json_t *o, lda_seq *q)
{
    if (must_null(d, o, "side") < 0 ||
        must_null(d, o, "num_cancelled_orders") < 0 ||
        must_null(d, o, "order_timestamps") < 0)
        return -1;
    const json_t *v = need(d, o, "alternation_percentage");
    if (!v ||
        get_pct(d, v, "alternation_percentage", 0.0, 100.0, &q->alt_pct) < 0)
        return -1;
    q->has_alt = true;
    v = need(d, o, "price_change_percentage");
    if (!v)
        return -1;
    if (json_is_null(v))
        return 0;
    if (get_pct(d, v, "price_change_percentage", 0.0, HUGE_VAL, &q->pc_pct) <
        0)
        return -1;
    q->has_pc = true;
    return 0;
}

/* The observations of "observed" (put_evidence) into q. */
static int dec_observed(const dec *d, const json_t *o, lda_seq *q)
{
    if (!json_is_object(o))
        return dfail(d, "observed", "must be an object");
    if (q->dtype == LDA_LAYERING)
        return get_count(d, o, "cancellations", &q->obs_n[0]) < 0 ||
                       get_time(d, o, "last_cancellation_timestamp",
                                &q->obs_ts) < 0
                   ? -1
                   : 0;
    return get_count(d, o, "buy_trades", &q->obs_n[0]) < 0 ||
                   get_count(d, o, "sell_trades", &q->obs_n[1]) < 0
               ? -1
               : 0;
}

/* "records" and "observed" (both or neither): the evidence of q. */
static int dec_evidence(const dec *d, const json_t *o, lda_seqlist *l,
                        lda_seq *q)
{
    const json_t *a = json_object_get(o, "records");
    const json_t *ob = json_object_get(o, "observed");
    if (!a && !ob)
        return 0;
    if (!a || !json_is_array(a))
        return dfail(d, "records", "must be an array with \"observed\"");
    if (!ob || dec_observed(d, ob, q) < 0)
        return ob ? -1 : dfail(d, "observed", "missing");
    size_t n = json_array_size(a);
    uint32_t *rec = malloc((n ? n : 1) * sizeof *rec);
    if (!rec)
        return -3;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        json_int_t x = json_is_integer(v) ? json_integer_value(v) : 0;
        if (x < 2 || (uint64_t)x > LDA_RECORD_MAX ||
            (i && (uint32_t)x < rec[i - 1])) {
            free(rec);
            return dfail(d, "records",
                         "must be ascending record numbers >= 2");
        }
        rec[i] = (uint32_t)x;
    }
    bool ok = lda_seqlist_set_records(l, q, rec, n);
    free(rec);
    return ok ? 0 : -3;
}

/* One sequence; 0, -1 invalid (err set), -3 OOM. */
static int dec_seq(const dec *d, const json_t *o, lda_seqlist *l,
                   int64_t **tsv, size_t *tscap)
{
    if (!json_is_object(o)) {
        lda_err_set(d->e, 400, "%s[%zu]: must be an object", d->prefix,
                    d->idx);
        return -1;
    }
    const char *acc, *prod;
    size_t acc_n, prod_n;
    int64_t start, end;
    uint64_t buy, sell;
    if (get_id(d, o, "account_id", &acc, &acc_n) < 0 ||
        get_id(d, o, "product_id", &prod, &prod_n) < 0 ||
        get_time(d, o, "start_timestamp", &start) < 0 ||
        get_time(d, o, "end_timestamp", &end) < 0 ||
        get_count(d, o, "total_buy_qty", &buy) < 0 ||
        get_count(d, o, "total_sell_qty", &sell) < 0)
        return -1;
    if (end < start)
        return dfail(d, "end_timestamp", "before start_timestamp");
    const json_t *t = need(d, o, "detection_type");
    if (!t)
        return -1;
    const char *ts = json_string_value(t);
    int dtype = !ts                               ? -1
                : strcmp(ts, "LAYERING") == 0     ? LDA_LAYERING
                : strcmp(ts, "WASH_TRADING") == 0 ? LDA_WASH
                                                  : -1;
    if (dtype < 0)
        return dfail(d, "detection_type",
                     "must be \"LAYERING\" or \"WASH_TRADING\"");
    uint32_t key = lda_seqlist_key(l, acc, acc_n, prod, prod_n);
    if (key == UINT32_MAX)
        return -3;
    lda_seq *q = lda_seqlist_push(l);
    if (!q)
        return -3;
    q->key = key;
    q->start = start;
    q->end = end;
    q->buy_qty = buy;
    q->sell_qty = sell;
    q->dtype = (uint8_t)dtype;
    int rc = dtype == LDA_LAYERING ? dec_layering(d, o, l, q, tsv, tscap)
                                   : dec_wash(d, o, q);
    if (rc == 0)
        rc = dec_evidence(d, o, l, &l->v[l->n - 1]);
    if (rc < 0)
        l->n--; /* drop the half-decoded sequence */
    return rc;
}

bool lda_codec_seqlist_from_json(const json_t *arr, const char *prefix,
                                 lda_seqlist *l, lda_err *e)
{
    if (!json_is_array(arr))
        return lda_err_set(e, 400, "%s: must be an array", prefix);
    dec d = {prefix, 0, e};
    int64_t *tsv = NULL;
    size_t tscap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
        d.idx = i;
        rc = dec_seq(&d, json_array_get(arr, i), l, &tsv, &tscap);
    }
    free(tsv);
    if (rc == -3)
        lda_err_msg(e, LDA_MSG_NOMEM);
    return rc == 0;
}
