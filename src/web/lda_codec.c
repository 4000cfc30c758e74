/* lda_codec: JSON codecs of SPEC §5.2 (SuspiciousSequence, detector
 * request) and §5.3 (aggregate request).
 *
 * Sequences are encoded as text by a small fixed-shape writer (see below);
 * percentages are JSON reals written with %.17g, so they decode back to
 * the same double. Decoding walks an already-parsed jansson tree and is strict: every field
 * is checked for presence and type, nulls are accepted exactly where SPEC
 * §3 puts them, and the first problem is reported as a one-line message
 * that names the field by its JSON path ("results[3].side: ...") and never
 * echoes the offending value. Event fields go through lda_set_add(), the
 * same validators as the CSV input. */
#include "lda_codec.h"
#include "lda_time.h"
#include "lda_validate.h"
#include "lda_wire.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *const lda_svc_names[LDA_SVC_COUNT] = {"layering", "wash_trading"};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    if (n < 0)
        err[0] = '\0';
}

/* ---- SuspiciousSequence: encode ---------------------------------------
 * Written as text straight into a buffer: a detector may answer tens of
 * thousands of sequences, and a jansson tree costs some thirty allocations
 * per sequence to build, dump and free. The shape is fixed, so the writer
 * is short: strings escaped per RFC 8259 (ids are valid UTF-8 without
 * control characters once validated, but every byte below 0x20 is escaped
 * anyway), reals as %.17g (read back as the same double) with ".0" added
 * when that looks like an integer, so they stay JSON reals. */

static void put_str(lda_buf *b, const char *p, size_t n)
{
    size_t from = 0;
    lda_buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        lda_buf_add(b, p + from, i - from);
        if (c == '"' || c == '\\') {
            lda_buf_addc(b, '\\');
            lda_buf_addc(b, (char)c);
        } else
            lda_buf_printf(b, "\\u%04x", c);
        from = i + 1;
    }
    lda_buf_add(b, p + from, n - from);
    lda_buf_addc(b, '"');
}

static void put_time(lda_buf *b, int64_t us)
{
    char t[LDA_TIME_MAX];
    size_t n = lda_time_format(us, t);
    lda_buf_addc(b, '"');
    lda_buf_add(b, t, n);
    lda_buf_addc(b, '"');
}

/* False when v cannot be a JSON integer for an int64 reader. */
static bool put_count(lda_buf *b, uint64_t v)
{
    if (v > (uint64_t)INT64_MAX)
        return false;
    lda_buf_printf(b, "%llu", (unsigned long long)v);
    return true;
}

static void put_real(lda_buf *b, double x)
{
    char t[40];
    int n = snprintf(t, sizeof t, "%.17g", x);
    if (n <= 0 || (size_t)n >= sizeof t)
        n = 0;
    lda_buf_add(b, t, (size_t)n);
    if (!strpbrk(t, ".eE"))
        lda_buf_adds(b, ".0");
}

int lda_codec_seq_text(const lda_seqlist *l, const lda_seq *q, lda_buf *b)
{
    const lda_seqkey *k = &l->keys[q->key];
    const bool lay = q->dtype == LDA_LAYERING;
    lda_buf_adds(b, "{\"account_id\":");
    put_str(b, l->text.data + k->acc_off, k->acc_len);
    lda_buf_adds(b, ",\"product_id\":");
    put_str(b, l->text.data + k->prod_off, k->prod_len);
    lda_buf_adds(b, ",\"start_timestamp\":");
    put_time(b, q->start);
    lda_buf_adds(b, ",\"end_timestamp\":");
    put_time(b, q->end);
    lda_buf_adds(b, ",\"total_buy_qty\":");
    bool ok = put_count(b, q->buy_qty);
    lda_buf_adds(b, ",\"total_sell_qty\":");
    ok = ok && put_count(b, q->sell_qty);
    lda_buf_adds(b, ",\"detection_type\":\"");
    lda_buf_adds(b, lda_dtype_names[q->dtype]);
    lda_buf_adds(b, "\",\"side\":");
    lda_buf_adds(b, !lay || q->side == LDA_SIDE_NULL ? "null"
                    : q->side == LDA_BUY             ? "\"BUY\""
                                                     : "\"SELL\"");
    lda_buf_adds(b, ",\"num_cancelled_orders\":");
    if (lay)
        ok = ok && put_count(b, q->num_cancelled);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"alternation_percentage\":");
    if (!lay && q->has_alt)
        put_real(b, q->alt_pct);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"price_change_percentage\":");
    if (!lay && q->has_pc)
        put_real(b, q->pc_pct);
    else
        lda_buf_adds(b, "null");
    lda_buf_adds(b, ",\"order_timestamps\":");
    if (lay) {
        lda_buf_addc(b, '[');
        for (uint32_t i = 0; i < q->norders; i++) {
            if (i)
                lda_buf_addc(b, ',');
            put_time(b, l->orders[q->orders_off + i]);
        }
        lda_buf_addc(b, ']');
    } else
        lda_buf_adds(b, "null");
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
    const char *prefix;   /* "results" or "layering.results" ... */
    size_t idx;
    char *err;
    size_t errlen;
} dec;

static int dfail(const dec *d, const char *field, const char *what)
{
    seterr(d->err, d->errlen, "%s[%zu].%s: %s", d->prefix, d->idx, field,
           what);
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

static int get_id(const dec *d, const json_t *o, const char *k,
                  const char **p, size_t *n)
{
    const json_t *v = need(d, o, k);
    if (!v)
        return -1;
    if (!json_is_string(v))
        return dfail(d, k, "must be a string");
    *p = json_string_value(v);
    *n = json_string_length(v);
    if (!lda_valid_id(*p, *n))
        return dfail(d, k, "must be 1 to 256 bytes without control "
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
    if (!v || get_pct(d, v, "alternation_percentage", 0.0, 100.0,
                      &q->alt_pct) < 0)
        return -1;
    q->has_alt = true;
    v = need(d, o, "price_change_percentage");
    if (!v)
        return -1;
    if (json_is_null(v))
        return 0;
    if (get_pct(d, v, "price_change_percentage", 0.0, HUGE_VAL,
                &q->pc_pct) < 0)
        return -1;
    q->has_pc = true;
    return 0;
}

/* One sequence; 0, -1 invalid (err set), -3 OOM. */
static int dec_seq(const dec *d, const json_t *o, lda_seqlist *l,
                   int64_t **tsv, size_t *tscap)
{
    if (!json_is_object(o)) {
        seterr(d->err, d->errlen, "%s[%zu]: must be an object", d->prefix,
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
    int dtype = !ts                              ? -1
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
    if (rc < 0)
        l->n--;   /* drop the half-decoded sequence */
    return rc;
}

/* Decode arr into l; 0, -1 invalid, -3 OOM (err says so). */
static int dec_seqlist(const json_t *arr, lda_seqlist *l, const char *prefix,
                       char *err, size_t errlen)
{
    if (!json_is_array(arr)) {
        seterr(err, errlen, "%s: must be an array", prefix);
        return -1;
    }
    dec d = {prefix, 0, err, errlen};
    int64_t *tsv = NULL;
    size_t tscap = 0;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < json_array_size(arr); i++) {
        d.idx = i;
        rc = dec_seq(&d, json_array_get(arr, i), l, &tsv, &tscap);
    }
    free(tsv);
    if (rc == -3)
        seterr(err, errlen, "out of memory");
    return rc;
}

int lda_codec_seqlist_from_json(const json_t *arr, lda_seqlist *l, char *err,
                                size_t errlen)
{
    return dec_seqlist(arr, l, "results", err, errlen) == 0 ? 0 : -1;
}

/* ---- SPEC §5.2 detector request -------------------------------------- */

/* Copy a valid UUID, lowercased. */
static void copy_uuid(char out[37], const char *s)
{
    for (size_t i = 0; i < 36; i++)
        out[i] = (char)tolower((unsigned char)s[i]);
    out[36] = '\0';
}

/* The text of an event field: a JSON string as is; with num set, a JSON
 * integer in decimal, and (real_ok) a JSON real in the shortest %g form
 * that reads back as the same double. buf holds formatted numbers. */
static const char *field_text(const json_t *v, bool num, bool real_ok,
                              char *buf, size_t buflen, size_t *n)
{
    if (json_is_string(v)) {
        *n = json_string_length(v);
        return json_string_value(v);
    }
    if (num && json_is_integer(v)) {
        int k = snprintf(buf, buflen, "%" JSON_INTEGER_FORMAT,
                         json_integer_value(v));
        if (k < 0 || (size_t)k >= buflen)
            return NULL;
        *n = (size_t)k;
        return buf;
    }
    if (num && real_ok && json_is_real(v)) {
        double x = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
            int k = snprintf(buf, buflen, "%.*g", prec, x);
            if (k < 0 || (size_t)k >= buflen)
                return NULL;
            if (strtod(buf, NULL) == x || prec == 17) {
                *n = (size_t)k;
                return buf;
            }
        }
    }
    return NULL;
}

static const char *const ev_keys[7] = {"timestamp", "account_id",
                                       "product_id", "side",
                                       "price", "quantity",
                                       "event_type"};

/* One event object of "events" into set. 0; -1 with err (400); -3 OOM. */
static int dec_event(const json_t *e, size_t i, lda_set *set, char *err,
                     size_t errlen)
{
    if (!json_is_object(e)) {
        seterr(err, errlen, "events[%zu]: must be an object", i);
        return -1;
    }
    lda_text t[7];
    char pbuf[40], qbuf[32];
    for (int k = 0; k < 7; k++) {
        const json_t *v = json_object_get(e, ev_keys[k]);
        bool isprice = k == 4, isqty = k == 5;
        const char *p = NULL;
        size_t n = 0;
        if (v)
            p = field_text(v, isprice || isqty, isprice,
                           isprice ? pbuf : qbuf,
                           isprice ? sizeof pbuf : sizeof qbuf, &n);
        if (!p) {
            seterr(err, errlen, "events[%zu]: %s: %s", i, ev_keys[k],
                   !v       ? "missing"
                   : isprice ? "must be a string or a number"
                   : isqty   ? "must be an integer"
                             : "must be a string");
            return -1;
        }
        t[k].p = p;
        t[k].n = n;
    }
    lda_fields f = {t[0], t[1], t[2], t[3], t[4], t[5], t[6]};
    const char *reason = NULL;
    lda_status st = lda_set_add(set, &f, &reason);
    if (st == LDA_NOMEM) {
        seterr(err, errlen, "out of memory");
        return -3;
    }
    if (st != LDA_OK) {
        seterr(err, errlen, "events[%zu]: %s", i, reason);
        return -1;
    }
    return 0;
}

/* A JSON text walked value by value: the structural characters of the
 * top-level object and of its "events" array are read here, every key and
 * every value (one event, say) is decoded by jansson on its own, so no
 * tree of the whole document is ever built. */
typedef struct jwalk {
    const char *base, *p, *end;
    const char *bad;        /* where the text stopped being JSON, or NULL */
} jwalk;

static void jw_ws(jwalk *w)
{
    while (w->p < w->end &&
           (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
        w->p++;
}

/* Consume c (after white space); false (and w->bad) when it is not there. */
static bool jw_expect(jwalk *w, char c)
{
    jw_ws(w);
    if (w->p < w->end && *w->p == c) {
        w->p++;
        return true;
    }
    if (!w->bad)
        w->bad = w->p < w->end ? w->p + 1 : w->p;
    return false;
}

static bool jw_peek(jwalk *w, char c)
{
    jw_ws(w);
    return w->p < w->end && *w->p == c;
}

/* The next value, decoded by jansson; NULL (w->bad, or OOM in *oom). */
static json_t *jw_value(jwalk *w, bool *oom)
{
    json_error_t e;
    jw_ws(w);
    json_t *v = json_loadb(w->p, (size_t)(w->end - w->p),
                           JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
                               JSON_REJECT_DUPLICATES,
                           &e);
    if (v) {
        w->p += e.position;
        return v;
    }
    if (json_error_code(&e) == json_error_out_of_memory)
        *oom = true;
    else if (!w->bad)
        w->bad = w->p + (e.position > 0 ? e.position : 0);
    return NULL;
}

/* "invalid JSON (line L, column C)" for the text up to at, counted as
 * jansson counts: lines from 1, columns in characters up to and with the
 * one that failed. */
static void jw_syntax(const jwalk *w, const char *at, char *err,
                      size_t errlen)
{
    int line = 1, col = 0;
    for (const char *q = w->base; q < at && q < w->end; q++) {
        if (*q == '\n') {
            line++;
            col = 0;
        } else if (((unsigned char)*q & 0xC0) != 0x80) {
            col++;
        }
    }
    seterr(err, errlen, "invalid JSON (line %d, column %d)", line, col);
}

/* The old whole-tree answer for a body that is not a JSON object: jansson
 * says why it is not JSON, or it is JSON but not an object. */
static int detect_req_not_object(const char *body, size_t len, char *err,
                                 size_t errlen)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (root) {
        json_decref(root);
        seterr(err, errlen, "the request must be a JSON object");
        return -1;
    }
    if (json_error_code(&e) == json_error_out_of_memory) {
        seterr(err, errlen, "out of memory");
        return -3;
    }
    seterr(err, errlen, "invalid JSON (line %d, column %d)", e.line,
           e.column);
    return -1;
}

/* What the walk collected; the checks run once the text is read whole, in
 * the order the answers have always had. */
typedef struct detect_walk {
    json_t *id, *fp;
    bool events_array;
    size_t nevents;
    int event_rc;                     /* first bad event: -1, or 0 */
    char event_err[256];
} detect_walk;

/* The "events" value: an array walked element by element into set. */
static int walk_events(jwalk *w, uint64_t max_events, lda_set *set,
                       detect_walk *d)
{
    bool oom = false;
    if (!jw_peek(w, '[')) {
        json_t *v = jw_value(w, &oom);
        json_decref(v);
        return oom ? -3 : 0;
    }
    w->p++;
    d->events_array = true;
    if (jw_peek(w, ']')) {
        w->p++;
        return 0;
    }
    do {
        json_t *e = jw_value(w, &oom);
        if (!e)
            return oom ? -3 : 0;
        size_t i = d->nevents++;
        if (d->event_rc == 0 && (!max_events || d->nevents <= max_events)) {
            int rc = dec_event(e, i, set, d->event_err,
                               sizeof d->event_err);
            if (rc == -3) {
                json_decref(e);
                return -3;
            }
            d->event_rc = rc;
        }
        json_decref(e);
    } while (jw_peek(w, ',') && (w->p++, true));
    jw_expect(w, ']');
    return 0;
}

/* Walk the top-level object; 0 (w->bad set when it is not JSON) or -3. */
static int walk_detect_req(jwalk *w, uint64_t max_events, lda_set *set,
                           detect_walk *d)
{
    bool oom = false;
    json_t *seen = json_object();
    if (!seen)
        return -3;
    int rc = 0;
    w->p++;                                   /* '{' */
    if (jw_peek(w, '}')) {
        w->p++;
        goto done;
    }
    do {
        jw_ws(w);
        if (!jw_peek(w, '"')) {
            jw_expect(w, '"');
            break;
        }
        json_t *k = jw_value(w, &oom);
        const char *key = json_string_value(k);
        if (!key || json_object_get(seen, key) ||
            json_object_set_new(seen, key, json_null()) < 0) {
            if (key && !w->bad && json_object_get(seen, key))
                w->bad = w->p;                /* a repeated key */
            else if (key)
                oom = true;
            json_decref(k);
            break;
        }
        bool is_events = strcmp(key, "events") == 0;
        json_t **keep = strcmp(key, "request_id") == 0 ? &d->id
                        : strcmp(key, "event_fingerprint") == 0 ? &d->fp
                                                                : NULL;
        json_decref(k);
        if (!jw_expect(w, ':'))
            break;
        if (is_events) {
            if ((rc = walk_events(w, max_events, set, d)) < 0)
                break;
            continue;
        }
        json_t *v = jw_value(w, &oom);
        if (!v)
            break;
        if (keep)
            *keep = v;
        else
            json_decref(v);
    } while (!w->bad && jw_peek(w, ',') && (w->p++, true));
    if (!w->bad && !oom && rc == 0)
        jw_expect(w, '}');
done:
    json_decref(seen);
    if (!w->bad && !oom && rc == 0) {
        jw_ws(w);
        if (w->p < w->end)
            w->bad = w->p + 1;                /* text after the object */
    }
    return oom ? -3 : rc;
}

int lda_codec_detect_req_from_json(const char *body, size_t len,
                                   uint64_t max_events, lda_detect_req *out,
                                   lda_set *set, char *err, size_t errlen)
{
    jwalk w = {body, body, body + len, NULL};
    if (!jw_peek(&w, '{'))
        return detect_req_not_object(body, len, err, errlen);
    detect_walk d;
    memset(&d, 0, sizeof d);
    int rc = walk_detect_req(&w, max_events, set, &d);
    const json_t *id = d.id, *fp = d.fp;
    if (rc == -3)
        seterr(err, errlen, "out of memory");
    else if (w.bad) {
        jw_syntax(&w, w.bad, err, errlen);
        rc = -1;
    } else if (!json_is_string(id) ||
               !lda_valid_uuid(json_string_value(id),
                               json_string_length(id))) {
        seterr(err, errlen, "request_id: must be a UUID");
        rc = -1;
    } else if (!json_is_string(fp) ||
               !lda_valid_fingerprint(json_string_value(fp),
                                      json_string_length(fp))) {
        seterr(err, errlen,
               "event_fingerprint: must be 64 lowercase hex digits");
        rc = -1;
    } else if (!d.events_array) {
        seterr(err, errlen, "events: must be an array");
        rc = -1;
    } else if (max_events && d.nevents > max_events) {
        seterr(err, errlen, "more than %" PRIu64 " events", max_events);
        rc = -2;
    } else if (d.event_rc) {
        seterr(err, errlen, "%s", d.event_err);
        rc = d.event_rc;
    } else {
        copy_uuid(out->request_id, json_string_value(id));
        memcpy(out->fingerprint, json_string_value(fp), 64);
        out->fingerprint[64] = '\0';
    }
    json_decref(d.id);
    json_decref(d.fp);
    return rc;
}

/* ---- SPEC §5.3 aggregate request -------------------------------------- */

void lda_agg_req_init(lda_agg_req *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        lda_seqlist_init(&a->res[i].seqs);
}

void lda_agg_req_free(lda_agg_req *a)
{
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        lda_seqlist_free(&a->res[i].seqs);
    json_decref(a->rejected);
    lda_agg_req_init(a);
}

static int svc_index(const json_t *v)
{
    const char *s = json_string_value(v);
    for (int i = 0; s && i < LDA_SVC_COUNT; i++)
        if (strcmp(s, lda_svc_names[i]) == 0)
            return i;
    return -1;
}

/* Record the first validation failure; always returns 0 (keep going). */
static int invalid(lda_agg_req *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int invalid(lda_agg_req *a, const char *fmt, ...)
{
    if (a->invalid[0])
        return 0;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(a->invalid, sizeof a->invalid, fmt, ap);
    va_end(ap);
    if (n < 0 || !a->invalid[0])
        snprintf(a->invalid, sizeof a->invalid, "invalid request");
    return 0;
}

/* Copy a JSON string into a fixed buffer, truncated at a UTF-8 character
 * boundary. */
static void copy_str(char *dst, size_t cap, const json_t *v)
{
    size_t n = json_string_length(v);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, json_string_value(v), n);
    while (n && !lda_valid_utf8(dst, n))
        n--;
    dst[n] = '\0';
}

static int agg_entry(lda_agg_req *a, size_t i, const json_t *o,
                     lda_seqlist *ext);

/* Where the sequences of successful services come from: NULL = each
 * entry's "results" member (JSON); else the binary seqlists after the
 * head, one per entry whose status is "success", in entry order. */
typedef struct agg_bin {
    const char *p;
    size_t n, pos;
    char err[160];
    bool bad;                     /* malformed binary: the request is 400 */
} agg_bin;

/* The next binary seqlist, taken for an entry whose status is "success"
 * whatever else is wrong with the entry (so the lists stay in step), into
 * tmp. 0, -1 malformed (bin->bad), -3 OOM. */
static int agg_take_seqs(agg_bin *bin, const json_t *o, lda_seqlist *tmp)
{
    const char *st = json_string_value(json_object_get(o, "status"));
    if (!bin || !st || strcmp(st, "success") != 0)
        return 0;
    if (bin->bad)
        return -1;
    switch (lda_wire_seqs_decode(bin->p, bin->n, &bin->pos, tmp, bin->err,
                                 sizeof bin->err)) {
    case LDA_WIRE_OK:
        return 0;
    case LDA_WIRE_NOMEM:
        return -3;
    default:
        bin->bad = true;
        return -1;
    }
}

/* One element of "results"; 0, or -3 on OOM. Validation problems go to
 * a->invalid. */
static int agg_result(lda_agg_req *a, size_t i, const json_t *o,
                      agg_bin *bin)
{
    lda_seqlist tmp;
    lda_seqlist_init(&tmp);
    int t = agg_take_seqs(bin, o, &tmp);
    int rc = t < 0 ? t : agg_entry(a, i, o, bin ? &tmp : NULL);
    lda_seqlist_free(&tmp);
    return rc == -3 ? -3 : 0;
}

/* agg_result's checks of one entry; ext = its binary sequences, or NULL
 * for JSON. */
static int agg_entry(lda_agg_req *a, size_t i, const json_t *o,
                     lda_seqlist *ext)
{
    if (!json_is_object(o))
        return invalid(a, "results[%zu]: must be an object", i);
    const json_t *name = json_object_get(o, "service_name");
    int s = svc_index(name);
    if (s < 0)
        return invalid(a, "results[%zu].service_name: unknown service", i);
    lda_agg_result *r = &a->res[s];
    if (r->present)
        return invalid(a, "service %s appears more than once",
                       lda_svc_names[s]);
    r->present = true;
    const json_t *rid = json_object_get(o, "request_id");
    if (rid && !json_is_null(rid) &&
        (!json_is_string(rid) || json_string_length(rid) != 36 ||
         strncasecmp(json_string_value(rid), a->request_id, 36) != 0))
        return invalid(a, "%s: request_id does not match", lda_svc_names[s]);
    const json_t *st = json_object_get(o, "status");
    if (!json_is_string(st))
        return invalid(a, "%s: status must be a string", lda_svc_names[s]);
    copy_str(r->status, sizeof r->status, st);
    r->success = strcmp(json_string_value(st), "success") == 0;
    const json_t *fs = json_object_get(o, "final_status");
    r->final_status = json_is_true(fs);
    if (fs && !json_is_boolean(fs))
        return invalid(a, "%s: final_status must be a boolean",
                       lda_svc_names[s]);
    const json_t *rc = json_object_get(o, "retry_count");
    if (rc && !json_is_null(rc)) {
        if (!json_is_integer(rc) || json_integer_value(rc) < 0)
            return invalid(a, "%s: retry_count must be a non-negative "
                              "integer", lda_svc_names[s]);
        r->retry_count = (uint64_t)json_integer_value(rc);
    }
    const json_t *er = json_object_get(o, "error");
    if (er && !json_is_null(er)) {
        if (!json_is_string(er))
            return invalid(a, "%s: error must be a string or null",
                           lda_svc_names[s]);
        copy_str(r->error, sizeof r->error, er);
        r->has_error = true;
    }
    if (!r->success)
        return 0;   /* the results of a failed service are not used */
    if (ext) {
        if (json_object_get(o, "results"))
            return invalid(a, "%s: results must come after the head",
                           lda_svc_names[s]);
        lda_seqlist t = r->seqs;          /* take the decoded list */
        r->seqs = *ext;
        *ext = t;
        return 0;
    }
    char prefix[48], e[LDA_AGG_ERROR_MAX];
    snprintf(prefix, sizeof prefix, "%s.results", lda_svc_names[s]);
    int d = dec_seqlist(json_object_get(o, "results"), &r->seqs, prefix, e,
                        sizeof e);
    if (d == -3)
        return -3;
    if (d < 0)
        invalid(a, "%s", e);
    return 0;
}

/* The optional run fields (README, aggregator). */
static void agg_run_fields(lda_agg_req *a, const json_t *root)
{
    const json_t *v = json_object_get(root, "event_count");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            invalid(a, "event_count must be a non-negative integer");
        else {
            a->has_event_count = true;
            a->event_count = (uint64_t)json_integer_value(v);
        }
    }
    v = json_object_get(root, "rejected_count");
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v) || json_integer_value(v) < 0)
            invalid(a, "rejected_count must be a non-negative integer");
        else {
            a->has_rejected_count = true;
            a->rejected_count = (uint64_t)json_integer_value(v);
        }
    }
    v = json_object_get(root, "rejected");
    if (v && !json_is_null(v)) {
        bool ok = json_is_array(v);
        for (size_t i = 0; ok && i < json_array_size(v); i++) {
            const json_t *r = json_array_get(v, i);
            const json_t *row = json_object_get(r, "row");
            ok = json_is_object(r) && json_is_integer(row) &&
                 json_integer_value(row) > 0 &&
                 json_is_string(json_object_get(r, "reason"));
        }
        if (!ok)
            invalid(a, "rejected must be an array of {row, reason}");
        else
            a->rejected = json_incref((json_t *)v);
    }
    v = json_object_get(root, "event_fingerprint");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            !lda_valid_fingerprint(json_string_value(v),
                                   json_string_length(v)))
            invalid(a, "event_fingerprint must be 64 lowercase hex digits");
        else
            memcpy(a->fingerprint, json_string_value(v), 65);
    }
    v = json_object_get(root, "started");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            !lda_time_parse(json_string_value(v), json_string_length(v),
                            &a->started))
            invalid(a, "started must be a timestamp");
        else
            a->has_started = true;
    }
}

static int agg_req(const json_t *root, lda_agg_req *a, agg_bin *bin,
                   char *err, size_t errlen)
{
    if (!json_is_object(root)) {
        seterr(err, errlen, "the request must be a JSON object");
        return -1;
    }
    const json_t *id = json_object_get(root, "request_id");
    if (!json_is_string(id) ||
        !lda_valid_uuid(json_string_value(id), json_string_length(id))) {
        seterr(err, errlen, "request_id: must be a UUID");
        return -1;
    }
    copy_uuid(a->request_id, json_string_value(id));

    const json_t *exp = json_object_get(root, "expected_services");
    if (!json_is_array(exp))
        invalid(a, "expected_services must be an array");
    else if (json_array_size(exp) == 0)
        invalid(a, "expected_services is empty");
    for (size_t i = 0; json_is_array(exp) && i < json_array_size(exp); i++) {
        int s = svc_index(json_array_get(exp, i));
        if (s < 0)
            invalid(a, "expected_services[%zu]: unknown service", i);
        else if (a->expected[s])
            invalid(a, "expected_services: %s is listed twice",
                    lda_svc_names[s]);
        else
            a->expected[s] = true;
    }
    const json_t *res = json_object_get(root, "results");
    if (!json_is_array(res))
        invalid(a, "results must be an array");
    for (size_t i = 0; json_is_array(res) && i < json_array_size(res); i++)
        if (agg_result(a, i, json_array_get(res, i), bin) < 0) {
            seterr(err, errlen, "out of memory");
            return -3;
        }
    if (bin && !bin->bad && bin->pos != bin->n) {
        bin->bad = true;
        snprintf(bin->err, sizeof bin->err, "byte %zu: data after the last "
                 "sequence list", bin->pos);
    }
    if (bin && bin->bad) {
        seterr(err, errlen, "sequences: %s", bin->err);
        return -1;
    }
    for (int s = 0; s < LDA_SVC_COUNT; s++) {
        const lda_agg_result *r = &a->res[s];
        if (a->expected[s] && !r->present)
            invalid(a, "service %s is missing", lda_svc_names[s]);
        else if (!a->expected[s] && r->present)
            invalid(a, "service %s was not expected", lda_svc_names[s]);
        else if (r->present && !r->final_status)
            invalid(a, "service %s has no final status", lda_svc_names[s]);
    }
    agg_run_fields(a, root);
    return 0;
}

int lda_codec_agg_req_from_json(const json_t *root, lda_agg_req *a,
                                char *err, size_t errlen)
{
    return agg_req(root, a, NULL, err, errlen);
}

static const char agg_magic[8] = {'L', 'D', 'A', 'A', 'G', '1', '\n', 0};

int lda_codec_agg_req_from_bin(const char *body, size_t len, lda_agg_req *a,
                               char *err, size_t errlen)
{
    size_t pos = sizeof agg_magic;
    uint64_t hl;
    if (len < sizeof agg_magic || memcmp(body, agg_magic, sizeof agg_magic) ||
        !lda_wire_get_varint(body, len, &pos, &hl) || hl > len - pos) {
        seterr(err, errlen, "not an aggregate body");
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body + pos, (size_t)hl, JSON_REJECT_DUPLICATES,
                              &jerr);
    if (!root) {
        seterr(err, errlen, "invalid JSON head (line %d, column %d)",
               jerr.line, jerr.column);
        return -1;
    }
    agg_bin bin = {body, len, pos + (size_t)hl, "", false};
    int rc = agg_req(root, a, &bin, err, errlen);
    json_decref(root);
    return rc;
}

int lda_codec_agg_req_to_bin(const json_t *head,
                             const lda_seqlist *const lists[],
                             size_t nlists, lda_buf *out)
{
    char *h = json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!h)
        return -1;
    size_t hl = strlen(h);
    lda_buf_add(out, agg_magic, sizeof agg_magic);
    lda_wire_add_varint(out, hl);
    lda_buf_add(out, h, hl);
    free(h);
    for (size_t i = 0; i < nlists; i++)
        if (lda_wire_seqs_encode(lists[i], out) < 0)
            return -1;
    return out->oom ? -1 : 0;
}

/* ---- binary detector answer ------------------------------------------- */

static const char res_magic[8] = {'L', 'D', 'A', 'R', 'S', '1', '\n', 0};

void lda_codec_res_frame(lda_buf *out, const char *env, size_t env_len)
{
    lda_buf_add(out, res_magic, sizeof res_magic);
    lda_wire_add_varint(out, env_len);
    lda_buf_add(out, env, env_len);
}

bool lda_codec_res_split(const char *body, size_t len, const char **env,
                         size_t *env_len, size_t *rest)
{
    size_t pos = sizeof res_magic;
    uint64_t n;
    if (len < sizeof res_magic || memcmp(body, res_magic, sizeof res_magic) ||
        !lda_wire_get_varint(body, len, &pos, &n) || n > len - pos)
        return false;
    *env = body + pos;
    *env_len = (size_t)n;
    *rest = pos + (size_t)n;
    return true;
}
