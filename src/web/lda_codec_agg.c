/* lda_codec_agg: the aggregate request, JSON and binary (see
 * lda_codec_agg.h).
 *
 * Both forms end in one walk over a jansson tree (the binary form's head is
 * JSON; its sequences come from lda_wire). A malformed member stops the
 * walk with a 400; a validation failure is recorded once (the first) and
 * the walk goes on, so that a later malformed member still refuses the
 * request. */
#include "lda_codec_agg.h"
#include "lda_reqparams.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lda_codec_seq.h"
#include "lda_event.h"
#include "lda_time.h"
#include "lda_validate.h"
#include "lda_wire.h"

void lda_codec_agg_req_init(lda_agg_req *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < LDA_SVC_COUNT; i++) {
        lda_seqlist_init(&a->res[i].seqs);
        a->res[i].shards = 1;
    }
}

void lda_codec_agg_req_free(lda_agg_req *a)
{
    for (int i = 0; i < LDA_SVC_COUNT; i++)
        lda_seqlist_free(&a->res[i].seqs);
    json_decref(a->rejected);
    lda_codec_agg_req_init(a);
}

/* The detector index of a service name, or -1 (not a string, unknown). */
static int svc_index(const json_t *v)
{
    return json_is_string(v)
               ? lda_svc_detector(json_string_value(v), json_string_length(v))
               : -1;
}

/* Record the first validation failure; always true (keep going). */
static bool invalid(lda_agg_req *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool invalid(lda_agg_req *a, const char *fmt, ...)
{
    if (a->invalid[0])
        return true;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(a->invalid, sizeof a->invalid, fmt, ap);
    va_end(ap);
    if (n < 0 || !a->invalid[0])
        snprintf(a->invalid, sizeof a->invalid, "invalid request");
    return true;
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

/* Where the sequences of successful services come from: NULL = each
 * entry's "results" member (JSON); else the binary seqlists after the
 * head, one per entry whose status is "success", in entry order. */
typedef struct agg_bin {
    const char *p;
    size_t n, pos;
} agg_bin;

/* The next binary seqlist into tmp, for an entry whose status is
 * "success". False with e set (400 "sequences: ...", or 500). */
static bool take_seqs(agg_bin *bin, lda_seqlist *tmp, lda_err *e)
{
    if (lda_wire_seqs_decode(bin->p, bin->n, &bin->pos, tmp, e))
        return true;
    if (e->status == 400)
        lda_err_prefix(e, "sequences: ");
    return false;
}

/* "shards" (1 .. LDA_SHARDS_MAX, default 1) and "shard_retries" (that many
 * counts adding up to retry_count; default [retry_count]) of an entry
 * whose retry_count is read. False (400) when malformed. */
static bool entry_shards(lda_agg_result *r, const char *name, const json_t *o,
                         lda_err *e)
{
    const json_t *sh = json_object_get(o, "shards");
    const json_t *sr = json_object_get(o, "shard_retries");
    r->shards = 1;
    r->shard_retries[0] = r->retry_count;
    if (sh && !json_is_null(sh)) {
        if (!json_is_integer(sh) || json_integer_value(sh) < 1 ||
            json_integer_value(sh) > LDA_SHARDS_MAX)
            return lda_err_set(e, 400, "%s: shards must be 1 to %d", name,
                               LDA_SHARDS_MAX);
        r->shards = (unsigned)json_integer_value(sh);
    }
    if (!sr || json_is_null(sr)) {
        if (r->shards != 1)
            return lda_err_set(e, 400, "%s: shard_retries is missing", name);
        return true;
    }
    uint64_t sum = 0;
    bool ok = json_is_array(sr) && json_array_size(sr) == r->shards;
    for (size_t i = 0; ok && i < r->shards; i++) {
        const json_t *v = json_array_get(sr, i);
        ok = json_is_integer(v) && json_integer_value(v) >= 0 &&
             (uint64_t)json_integer_value(v) <= r->retry_count - sum;
        if (ok) {
            r->shard_retries[i] = (uint64_t)json_integer_value(v);
            sum += r->shard_retries[i];
        }
    }
    if (!ok || sum != r->retry_count)
        return lda_err_set(e, 400,
                           "%s: shard_retries must be one count per shard, "
                           "adding up to retry_count",
                           name);
    return true;
}

/* The members of a result entry that are not its sequences. False (400)
 * when one is of the wrong type. */
static bool entry_fields(lda_agg_result *r, const char *name, const json_t *o,
                         lda_err *e)
{
    const json_t *st = json_object_get(o, "status");
    if (!json_is_string(st))
        return lda_err_set(e, 400, "%s: status must be a string", name);
    copy_str(r->status, sizeof r->status, st);
    r->success = strcmp(json_string_value(st), "success") == 0;
    const json_t *fs = json_object_get(o, "final_status");
    r->final_status = json_is_true(fs);
    if (fs && !json_is_boolean(fs))
        return lda_err_set(e, 400, "%s: final_status must be a boolean", name);
    const json_t *rc = json_object_get(o, "retry_count");
    if (rc && !json_is_null(rc)) {
        if (!json_is_integer(rc) || json_integer_value(rc) < 0)
            return lda_err_set(e, 400,
                               "%s: retry_count must be a non-negative "
                               "integer",
                               name);
        r->retry_count = (uint64_t)json_integer_value(rc);
    }
    if (!entry_shards(r, name, o, e))
        return false;
    const json_t *er = json_object_get(o, "error");
    if (er && !json_is_null(er)) {
        if (!json_is_string(er))
            return lda_err_set(e, 400, "%s: error must be a string or null",
                               name);
        copy_str(r->error, sizeof r->error, er);
        r->has_error = true;
    }
    return true;
}

/* The sequences of a successful entry: the binary list taken for it
 * (tmp, when bin), or its "results" member. */
static bool entry_seqs(lda_agg_result *r, const char *name, const json_t *o,
                       agg_bin *bin, lda_seqlist *tmp, lda_err *e)
{
    if (bin && json_object_get(o, "results"))
        return lda_err_set(e, 400, "%s: results must come after the head",
                           name);
    if (bin) {
        lda_seqlist t = r->seqs; /* take the decoded list */
        r->seqs = *tmp;
        *tmp = t;
        return true;
    }
    char prefix[48];
    snprintf(prefix, sizeof prefix, "%s.results", name);
    return lda_codec_seqlist_from_json(json_object_get(o, "results"), prefix,
                                       &r->seqs, e);
}

static bool other_request(const lda_agg_req *a, const json_t *rid)
{
    return rid && !json_is_null(rid) &&
           (!json_is_string(rid) || json_string_length(rid) != 36 ||
            strncasecmp(json_string_value(rid), a->request_id, 36) != 0);
}

/* One element of "results". */
static bool agg_entry(lda_agg_req *a, size_t i, const json_t *o, agg_bin *bin,
                      lda_err *e)
{
    if (!json_is_object(o))
        return lda_err_set(e, 400, "results[%zu]: must be an object", i);
    int s = svc_index(json_object_get(o, "service_name"));
    if (s < 0)
        return lda_err_set(e, 400,
                           "results[%zu].service_name: unknown service", i);
    const char *name = lda_svcs[s].name;
    const json_t *st = json_object_get(o, "status");
    /* A success entry's binary list is taken whatever else is wrong with
       the entry, so that the lists stay in step with the entries. */
    lda_seqlist tmp;
    lda_seqlist_init(&tmp);
    bool ok = !bin || !json_is_string(st) ||
              strcmp(json_string_value(st), "success") != 0 ||
              take_seqs(bin, &tmp, e);
    lda_agg_result *r = &a->res[s];
    if (ok && r->present) {
        invalid(a, "service %s appears more than once", name);
    } else if (ok) {
        r->present = true;
        if (other_request(a, json_object_get(o, "request_id")))
            invalid(a, "%s: request_id does not match", name);
        /* the results of a failed service are not used */
        ok = entry_fields(r, name, o, e) &&
             (!r->success || entry_seqs(r, name, o, bin, &tmp, e));
    }
    lda_seqlist_free(&tmp);
    return ok;
}

/* An optional count member; false (400) when present but not a count. */
static bool opt_count(const json_t *root, const char *k, bool *has,
                      uint64_t *v, lda_err *e)
{
    const json_t *j = json_object_get(root, k);
    if (!j || json_is_null(j))
        return true;
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return lda_err_set(e, 400, "%s must be a non-negative integer", k);
    *has = true;
    *v = (uint64_t)json_integer_value(j);
    return true;
}

static bool valid_rejected(const json_t *v)
{
    bool ok = json_is_array(v);
    for (size_t i = 0; ok && i < json_array_size(v); i++) {
        const json_t *r = json_array_get(v, i);
        const json_t *row = json_object_get(r, "row");
        ok = json_is_object(r) && json_is_integer(row) &&
             json_integer_value(row) > 0 &&
             json_is_string(json_object_get(r, "reason"));
    }
    return ok;
}

/* A non-negative integer member k of o into *v; false (400 naming
 * "data_quality.<path>") when absent or not one. */
static bool dq_count(const json_t *o, const char *path, const char *k,
                     uint64_t *v, lda_err *e)
{
    const json_t *j = json_object_get(o, k);
    if (!json_is_integer(j) || json_integer_value(j) < 0)
        return lda_err_set(e, 400,
                           "data_quality.%s%s must be a non-negative integer",
                           path, k);
    *v = (uint64_t)json_integer_value(j);
    return true;
}

/* A timestamp member k of o (or null: no events) into *ts. */
static bool dq_time(const json_t *o, const char *k, bool *has, int64_t *ts,
                    lda_err *e)
{
    const json_t *j = json_object_get(o, k);
    *has = j && !json_is_null(j);
    if (j && (json_is_null(j) || (json_is_string(j) &&
                                  lda_time_parse(json_string_value(j),
                                                 json_string_length(j), ts))))
        return true;
    return lda_err_set(e, 400, "data_quality.%s must be a timestamp or null",
                       k);
}

/* "data_quality" (docs/reports.md#data-quality): exactly its members, each
 * of its type; the figures must add up (the types to n, first <= last, a
 * timestamp exactly when there are events). */
static bool agg_quality(lda_agg_req *a, const json_t *v, lda_err *e)
{
    static const char *const keys[] = {
        "event_types", "accounts",        "products",      "out_of_order",
        "duplicates",  "first_timestamp", "last_timestamp"};
    lda_quality *q = &a->quality;
    const json_t *types = json_object_get(v, "event_types");
    if (!json_is_object(v))
        return lda_err_set(e, 400, "data_quality must be an object");
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!json_object_get(v, keys[i]))
            return lda_err_set(e, 400, "data_quality.%s is missing", keys[i]);
    if (json_object_size(v) != sizeof keys / sizeof *keys)
        return lda_err_set(e, 400, "data_quality has an unknown member");
    if (!json_is_object(types) || json_object_size(types) != 3)
        return lda_err_set(e, 400,
                           "data_quality.event_types must be an object of "
                           "the three event types");
    q->n = 0;
    for (int t = 0; t < 3; t++) {
        if (!dq_count(types, "event_types.", lda_type_names[t], &q->types[t],
                      e))
            return false;
        q->n += q->types[t];
    }
    bool has_first, has_last;
    if (!dq_count(v, "", "accounts", &q->accounts, e) ||
        !dq_count(v, "", "products", &q->products, e) ||
        !dq_count(v, "", "out_of_order", &q->out_of_order, e) ||
        !dq_count(v, "", "duplicates", &q->duplicates, e) ||
        !dq_time(v, "first_timestamp", &has_first, &q->first_ts, e) ||
        !dq_time(v, "last_timestamp", &has_last, &q->last_ts, e))
        return false;
    if (has_first != (q->n > 0) || has_last != (q->n > 0) ||
        (q->n && q->first_ts > q->last_ts))
        return lda_err_set(e, 400,
                           "data_quality.first_timestamp/last_timestamp do "
                           "not fit the events");
    a->has_quality = true;
    return true;
}

/* "input_name": the input's file name, 1..255 bytes of UTF-8 without
 * control characters, or null. */
static bool agg_input_name(lda_agg_req *a, const json_t *v, lda_err *e)
{
    size_t n = json_string_length(v);
    if (!json_is_string(v) || n == 0 || n >= sizeof a->input_name ||
        !lda_valid_id(json_string_value(v), n) ||
        !lda_valid_utf8(json_string_value(v), n))
        return lda_err_set(e, 400,
                           "input_name must be 1 to 255 bytes of UTF-8 "
                           "text, or null");
    memcpy(a->input_name, json_string_value(v), n + 1);
    return true;
}

/* "params": the run's detection parameters, every one of the nine, each
 * valid (lda_reqparams, as the orchestrator and detectors take them). */
static bool agg_params(lda_agg_req *a, const json_t *v, lda_err *e)
{
    lda_reqparams_seen seen = 0;
    lda_params_default(&a->params);
    if (!lda_reqparams_json(&a->params, &seen, v, e)) {
        lda_err_prefix(e, "params: ");
        return false;
    }
    if (!lda_reqparams_all(seen))
        return lda_err_set(e, 400, "params must hold all nine parameters");
    a->has_params = true;
    return true;
}

/* The optional run fields (docs/api.md#aggregate-request); false (400) when
 * one is of the wrong type. */
static bool agg_run_fields(lda_agg_req *a, const json_t *root, lda_err *e)
{
    if (!opt_count(root, "event_count", &a->has_event_count, &a->event_count,
                   e) ||
        !opt_count(root, "rejected_count", &a->has_rejected_count,
                   &a->rejected_count, e))
        return false;
    const json_t *v = json_object_get(root, "rejected");
    if (v && !json_is_null(v)) {
        if (!valid_rejected(v))
            return lda_err_set(e, 400,
                               "rejected must be an array of {row, reason}");
        a->rejected = json_incref((json_t *)v);
    }
    v = json_object_get(root, "event_fingerprint");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            !lda_valid_fingerprint(json_string_value(v),
                                   json_string_length(v)))
            return lda_err_set(e, 400,
                               "event_fingerprint must be 64 "
                               "lowercase hex digits");
        memcpy(a->fingerprint, json_string_value(v), 65);
    }
    v = json_object_get(root, "started");
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            !lda_time_parse(json_string_value(v), json_string_length(v),
                            &a->started))
            return lda_err_set(e, 400, "started must be a timestamp");
        a->has_started = true;
    }
    v = json_object_get(root, "data_quality");
    if (v && !json_is_null(v) && !agg_quality(a, v, e))
        return false;
    v = json_object_get(root, "params");
    if (v && !json_is_null(v) && !agg_params(a, v, e))
        return false;
    v = json_object_get(root, "input_name");
    return !v || json_is_null(v) || agg_input_name(a, v, e);
}

static bool agg_expected(lda_agg_req *a, const json_t *exp, lda_err *e)
{
    if (!json_is_array(exp))
        return lda_err_set(e, 400, "expected_services must be an array");
    if (json_array_size(exp) == 0)
        invalid(a, "expected_services is empty");
    for (size_t i = 0; i < json_array_size(exp); i++) {
        int s = svc_index(json_array_get(exp, i));
        if (s < 0)
            return lda_err_set(e, 400,
                               "expected_services[%zu]: unknown service", i);
        if (a->expected[s])
            invalid(a, "expected_services: %s is listed twice",
                    lda_svcs[s].name);
        a->expected[s] = true;
    }
    return true;
}

/* After every entry: each expected service once, with a final status. */
static void agg_complete(lda_agg_req *a)
{
    for (int s = 0; s < LDA_SVC_COUNT; s++) {
        const lda_agg_result *r = &a->res[s];
        const char *name = lda_svcs[s].name;
        if (a->expected[s] && !r->present)
            invalid(a, "service %s is missing", name);
        else if (!a->expected[s] && r->present)
            invalid(a, "service %s was not expected", name);
        else if (r->present && !r->final_status)
            invalid(a, "service %s has no final status", name);
    }
}

static bool agg_req(const json_t *root, lda_agg_req *a, agg_bin *bin,
                    lda_err *e)
{
    if (!json_is_object(root))
        return lda_err_set(e, 400, "the request must be a JSON object");
    const json_t *id = json_object_get(root, "request_id");
    const char *why = json_is_string(id)
                          ? lda_valid_request_id(json_string_value(id),
                                                 json_string_length(id))
                          : "must be a UUID";
    if (why)
        return lda_err_set(e, 400, "request_id: %s", why);
    lda_valid_uuid_lower(json_string_value(id), a->request_id);
    if (!agg_expected(a, json_object_get(root, "expected_services"), e))
        return false;
    const json_t *res = json_object_get(root, "results");
    if (!json_is_array(res))
        return lda_err_set(e, 400, "results must be an array");
    for (size_t i = 0; i < json_array_size(res); i++)
        if (!agg_entry(a, i, json_array_get(res, i), bin, e))
            return false;
    if (bin && bin->pos != bin->n)
        return lda_err_set(e, 400,
                           "sequences: byte %zu: data after the last "
                           "sequence list",
                           bin->pos);
    agg_complete(a);
    return agg_run_fields(a, root, e);
}

bool lda_codec_agg_req_from_json(const json_t *root, lda_agg_req *a,
                                 lda_err *e)
{
    return agg_req(root, a, NULL, e);
}

static const char agg_magic[8] = {'L', 'D', 'A', 'A', 'G', '1', '\n', 0};

bool lda_codec_agg_req_from_bin(const char *body, size_t len, lda_agg_req *a,
                                lda_err *e)
{
    size_t pos = sizeof agg_magic;
    uint64_t hl;
    if (len < sizeof agg_magic || memcmp(body, agg_magic, sizeof agg_magic) ||
        !lda_wire_get_varint(body, len, &pos, &hl) || hl > len - pos)
        return lda_err_set(e, 400, "not an aggregate body");
    json_error_t jerr;
    json_t *root = json_loadb(body + pos, (size_t)hl, JSON_REJECT_DUPLICATES,
                              &jerr);
    if (!root)
        return lda_err_set(e, 400, "invalid JSON head (line %d, column %d)",
                           jerr.line, jerr.column);
    agg_bin bin = {body, len, pos + (size_t)hl};
    bool ok = agg_req(root, a, &bin, e);
    json_decref(root);
    return ok;
}

int lda_codec_agg_req_to_bin(const json_t *head,
                             const lda_seqlist *const lists[], size_t nlists,
                             lda_buf *out)
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
