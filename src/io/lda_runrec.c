/* lda_runrec: run.json and its shared pieces (see lda_runrec.h). */
#include "lda_runrec.h"

#include <stdlib.h>

#include "lda_clock.h"
#include "lda_event.h"
#include "lda_seq.h"

json_t *lda_runrec_str(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *count_json(lda_count c)
{
    return c.known ? json_integer((json_int_t)c.n) : json_null();
}

json_t *lda_runrec_rejected(const lda_rejects *rej)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < rej->kept; i++)
        if (json_array_append_new(a, json_pack("{s:I,s:s}", "row",
                                               (json_int_t)rej->item[i].record,
                                               "reason",
                                               rej->item[i].reason)) < 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

json_t *lda_runrec_quality(const lda_quality *q)
{
    json_t *types = json_object();
    for (int t = 0; types && t < 3; t++)
        if (json_object_set_new(types, lda_type_names[t],
                                json_integer((json_int_t)q->types[t])) < 0) {
            json_decref(types);
            types = NULL;
        }
    if (!types)
        return NULL;
    return json_pack("{s:o,s:I,s:I,s:I,s:I,s:o,s:o}", "event_types", types,
                     "accounts", (json_int_t)q->accounts, "products",
                     (json_int_t)q->products, "out_of_order",
                     (json_int_t)q->out_of_order, "duplicates",
                     (json_int_t)q->duplicates, "first_timestamp",
                     q->n ? lda_time_json(q->first_ts) : json_null(),
                     "last_timestamp",
                     q->n ? lda_time_json(q->last_ts) : json_null());
}

json_t *lda_runrec_params(const lda_params *p)
{
    return json_pack(
        "{s:f,s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:f}",
        "layering_orders_window_seconds", (double)p->lay_orders_us / 1e6,
        "layering_cancel_window_seconds", (double)p->lay_cancel_us / 1e6,
        "layering_trade_window_seconds", (double)p->lay_trade_us / 1e6,
        "wash_window_seconds", (double)p->wash_window_us / 1e6,
        "wash_min_buy_trades", (json_int_t)p->wash_min_buys,
        "wash_min_sell_trades", (json_int_t)p->wash_min_sells,
        "wash_min_alternation_pct", p->wash_min_alt_pct, "wash_min_volume",
        p->wash_min_volume, "wash_price_change_pct", p->wash_min_pc_pct);
}

static json_t *alerts_json(const lda_count a[2])
{
    if (!a[0].known || !a[1].known)
        return json_null();
    return json_pack("{s:I,s:I}", lda_dtype_names[LDA_LAYERING],
                     (json_int_t)a[0].n, lda_dtype_names[LDA_WASH],
                     (json_int_t)a[1].n);
}

/* Set key to v (stolen) unless v is NULL: false then, or on OOM. */
static bool put(json_t *j, const char *key, json_t *v)
{
    return v && json_object_set_new(j, key, v) == 0;
}

json_t *lda_runrec_json(lda_runrec *r)
{
    json_t *rej = r->rejected ? r->rejected : json_array();
    json_t *j = json_pack(
        "{s:o,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "request_id",
        r->request_id ? json_string(r->request_id) : json_null(), "status",
        r->status, "partial", r->partial, "started", lda_time_json(r->started),
        "finished", r->finished ? lda_time_json(r->finished) : json_null(),
        "event_count", count_json(r->event_count), "rejected_count",
        count_json(r->rejected_count), "rejected", rej, "fingerprint",
        lda_runrec_str(r->fingerprint), "layering_count",
        count_json(r->layering_count), "wash_count", count_json(r->wash_count),
        "merged_count", (json_int_t)r->merged_count, "error",
        lda_runrec_str(r->error));
    bool ok = j != NULL && put(j, "alerts", alerts_json(r->alerts)) &&
              put(j, "input_name", lda_runrec_str(r->input_name)) &&
              put(j, "params",
                  r->params ? lda_runrec_params(r->params) : json_null());
    if (ok && r->quality)
        ok = put(j, "data_quality", lda_runrec_quality(r->quality));
    if (ok && r->services)
        ok = json_object_set(j, "services", r->services) == 0;
    if (ok && r->failed_services)
        ok = json_object_set(j, "failed_services", r->failed_services) == 0;
    json_decref(r->services);
    json_decref(r->failed_services);
    r->rejected = r->services = r->failed_services = NULL;
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

char *lda_runrec_dumps(const json_t *run)
{
    return run ? json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
}

char *lda_runrec_text(lda_runrec *r)
{
    json_t *j = lda_runrec_json(r);
    char *text = lda_runrec_dumps(j);
    json_decref(j);
    return text;
}

json_t *lda_runrec_summary(const json_t *run)
{
    static const char *const keys[] = {
        "request_id",     "status", "started", "finished",   "event_count",
        "rejected_count", "alerts", "params",  "input_name",
    };
    json_t *s = json_object();
    for (size_t i = 0; s && i < sizeof keys / sizeof *keys; i++) {
        json_t *v = json_object_get(run, keys[i]);
        if (json_object_set_new(s, keys[i], v ? json_incref(v) : json_null()) <
            0) {
            json_decref(s);
            s = NULL;
        }
    }
    return s;
}
