/* lda_codec_detect: the JSON form of a detector request (see
 * lda_codec_detect.h), walked value by value.
 *
 * Event fields go through lda_set_add(), the same validators as the CSV
 * input; the first problem is one line naming the event by its index
 * ("events[12]: price: ..."), never echoing the value. */
#include "lda_codec_detect.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_validate.h"

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

static const char *const ev_keys[7] = {"timestamp", "account_id", "product_id",
                                       "side",      "price",      "quantity",
                                       "event_type"};

/* The input record number of events[i]: its optional "record" member, by
 * default i + 2 (the record the event would be in a CSV file with a
 * header and no rejected row). False when "record" is not such a number. */
static bool event_record(const json_t *v, size_t i, uint32_t *rec)
{
    json_int_t n = v ? (json_is_integer(v) ? json_integer_value(v) : 0)
                     : (json_int_t)(i < LDA_RECORD_MAX - 1 ? i + 2 : 0);
    if (n < 2 || (uint64_t)n > LDA_RECORD_MAX)
        return false;
    *rec = (uint32_t)n;
    return true;
}

/* One event object of "events" into set. 0; -1 with err (400); -3 OOM. */
static int dec_event(const json_t *e, size_t i, lda_set *set, lda_err *err)
{
    if (!json_is_object(e)) {
        lda_err_set(err, 400, "events[%zu]: must be an object", i);
        return -1;
    }
    lda_text t[7];
    char pbuf[40] = "", qbuf[32] = "";
    for (int k = 0; k < 7; k++) {
        const json_t *v = json_object_get(e, ev_keys[k]);
        bool isprice = k == 4, isqty = k == 5;
        const char *p = NULL;
        size_t n = 0;
        if (v)
            p = field_text(v, isprice || isqty, isprice, isprice ? pbuf : qbuf,
                           isprice ? sizeof pbuf : sizeof qbuf, &n);
        if (!p) {
            lda_err_set(err, 400, "events[%zu]: %s: %s", i, ev_keys[k],
                        !v        ? "missing"
                        : isprice ? "must be a string or a number"
                        : isqty   ? "must be an integer"
                                  : "must be a string");
            return -1;
        }
        t[k].p = p;
        t[k].n = n;
    }
    uint32_t rec;
    if (!event_record(json_object_get(e, "record"), i, &rec)) {
        lda_err_set(err, 400,
                    "events[%zu]: record: must be an integer from "
                    "2 to 4294967295",
                    i);
        return -1;
    }
    lda_fields f = {t[0], t[1], t[2], t[3], t[4], t[5], t[6], rec};
    const char *reason = NULL;
    lda_status st = lda_set_add(set, &f, &reason);
    if (st == LDA_NOMEM) {
        lda_err_msg(err, LDA_MSG_NOMEM);
        return -3;
    }
    if (st != LDA_OK) {
        lda_err_set(err, 400, "events[%zu]: %s", i, reason);
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
    const char *bad; /* where the text stopped being JSON, or NULL */
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
static void jw_syntax(const jwalk *w, const char *at, lda_err *err)
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
    lda_err_set(err, 400, "invalid JSON (line %d, column %d)", line, col);
}

/* The old whole-tree answer for a body that is not a JSON object: jansson
 * says why it is not JSON, or it is JSON but not an object. */
static int detect_req_not_object(const char *body, size_t len, lda_err *err)
{
    json_error_t e;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (root) {
        json_decref(root);
        lda_err_set(err, 400, "the request must be a JSON object");
        return -1;
    }
    if (json_error_code(&e) == json_error_out_of_memory) {
        lda_err_msg(err, LDA_MSG_NOMEM);
        return -3;
    }
    lda_err_set(err, 400, "invalid JSON (line %d, column %d)", e.line,
                e.column);
    return -1;
}

/* What the walk collected; the checks run once the text is read whole, in
 * the order the answers have always had. */
typedef struct detect_walk {
    json_t *id, *fp;
    bool events_array;
    size_t nevents;
    int event_rc; /* first bad event: -1, or 0 */
    lda_err event_err;
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
            int rc = dec_event(e, i, set, &d->event_err);
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
    w->p++; /* '{' */
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
                w->bad = w->p; /* a repeated key */
            else if (key)
                oom = true;
            json_decref(k);
            break;
        }
        bool is_events = strcmp(key, "events") == 0;
        json_t **keep = strcmp(key, "request_id") == 0          ? &d->id
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
            w->bad = w->p + 1; /* text after the object */
    }
    return oom ? -3 : rc;
}

bool lda_codec_detect_req_from_json(const char *body, size_t len,
                                    uint64_t max_events, lda_detect_req *out,
                                    lda_set *set, lda_err *err)
{
    jwalk w = {body, body, body + len, NULL};
    if (!jw_peek(&w, '{'))
        return detect_req_not_object(body, len, err) == 0;
    detect_walk d;
    memset(&d, 0, sizeof d);
    int rc = walk_detect_req(&w, max_events, set, &d);
    const json_t *id = d.id, *fp = d.fp;
    const char *why;
    if (rc == -3)
        lda_err_msg(err, LDA_MSG_NOMEM);
    else if (w.bad) {
        jw_syntax(&w, w.bad, err);
        rc = -1;
    } else if ((why = json_is_string(id)
                          ? lda_valid_request_id(json_string_value(id),
                                                 json_string_length(id))
                          : "must be a UUID")) {
        lda_err_set(err, 400, "request_id: %s", why);
        rc = -1;
    } else if (!json_is_string(fp) ||
               !lda_valid_fingerprint(json_string_value(fp),
                                      json_string_length(fp))) {
        lda_err_set(err, 400,
                    "event_fingerprint: must be 64 lowercase hex digits");
        rc = -1;
    } else if (!d.events_array) {
        lda_err_set(err, 400, "events: must be an array");
        rc = -1;
    } else if (max_events && d.nevents > max_events) {
        lda_err_set(err, 413, "more than %" PRIu64 " events", max_events);
        rc = -2;
    } else if (d.event_rc) {
        *err = d.event_err;
        rc = d.event_rc;
    } else {
        lda_valid_uuid_lower(json_string_value(id), out->request_id);
        memcpy(out->fingerprint, json_string_value(fp), 64);
        out->fingerprint[64] = '\0';
    }
    json_decref(d.id);
    json_decref(d.fp);
    return rc == 0;
}
