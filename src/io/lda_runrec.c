/* lda_runrec: run.json and its shared pieces (see lda_runrec.h). */
#include "lda_runrec.h"

#include <stdlib.h>

#include "lda_clock.h"

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

char *lda_runrec_text(lda_runrec *r)
{
    json_t *rej = r->rejected ? r->rejected : json_array();
    json_t *j = json_pack(
        "{s:o,s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "request_id",
        r->request_id ? json_string(r->request_id) : json_null(), "status",
        r->status, "partial", r->partial, "started", lda_time_json(r->started),
        "finished", lda_time_json(r->finished), "event_count",
        count_json(r->event_count), "rejected_count",
        count_json(r->rejected_count), "rejected", rej, "fingerprint",
        lda_runrec_str(r->fingerprint), "layering_count",
        count_json(r->layering_count), "wash_count", count_json(r->wash_count),
        "merged_count", (json_int_t)r->merged_count, "error",
        lda_runrec_str(r->error));
    bool ok = j != NULL;
    if (ok && r->services)
        ok = json_object_set(j, "services", r->services) == 0;
    if (ok && r->failed_services)
        ok = json_object_set(j, "failed_services", r->failed_services) == 0;
    json_decref(r->services);
    json_decref(r->failed_services);
    r->rejected = r->services = r->failed_services = NULL;
    char *text = ok ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return text;
}
