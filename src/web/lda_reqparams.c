/* lda_reqparams: per-run parameters from a request (see lda_reqparams.h).
 * Every form ends in lda_reqparams_one, which bounds the text, checks for
 * a repeat and calls lda_param_set: one validator for every form. */
#include "lda_reqparams.h"

#include <stdio.h>
#include <string.h>

#include "lda_http.h"
#include "lda_param.h"

#define VALUE_MAX 64 /* longer values are not numbers we take */

bool lda_reqparams_one(lda_params *p, lda_reqparams_seen *seen,
                       const char *name, size_t nlen, const char *text,
                       size_t vlen, lda_err *e)
{
    char v[VALUE_MAX], err[160];
    size_t n = vlen < sizeof v - 1 ? vlen : 0; /* too long: "" is invalid */
    memcpy(v, text, n);
    v[n] = '\0';
    if (n != vlen || memchr(v, '\0', n))
        v[0] = '\0';
    const lda_param_def *d = lda_param_find(name, nlen);
    unsigned bit = d ? 1u << (unsigned)(d - lda_param_defs) : 0;
    if (d && (*seen & bit))
        return lda_err_set(e, 400, "%s: given more than once", d->name);
    if (!lda_param_set(p, name, nlen, v, err, sizeof err))
        return lda_err_set(e, 400, "%s", err);
    *seen |= bit;
    return true;
}

bool lda_reqparams_query(lda_params *p, lda_reqparams_seen *seen,
                         const char *q, lda_err *e)
{
    lda_query_pair qp;
    char name[VALUE_MAX], v[VALUE_MAX];
    while (lda_http_query_next(&q, &qp)) {
        if (!lda_http_query_decode(qp.name, qp.name_len, name, sizeof name))
            snprintf(name, sizeof name, "%.*s",
                     (int)(qp.name_len < 40 ? qp.name_len : 40), qp.name);
        if (!qp.value ||
            !lda_http_query_decode(qp.value, qp.value_len, v, sizeof v))
            v[0] = '\0';
        if (!lda_reqparams_one(p, seen, name, strlen(name), v, strlen(v), e))
            return false;
    }
    return true;
}

bool lda_reqparams_json(lda_params *p, lda_reqparams_seen *seen,
                        const json_t *o, lda_err *e)
{
    if (!json_is_object(o))
        return lda_err_set(e, 400, "params must be an object");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        char num[VALUE_MAX];
        const char *text = "";
        if (json_is_string(v))
            text = json_string_value(v);
        else if (json_is_integer(v))
            snprintf(num, sizeof num, "%lld",
                     (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(num, sizeof num, "%.17g", json_real_value(v));
        if (json_is_number(v))
            text = num;
        size_t tl = json_is_string(v) ? json_string_length(v) : strlen(text);
        if (!lda_reqparams_one(p, seen, k, strlen(k), text, tl, e))
            return false;
    }
    return true;
}

bool lda_reqparams_all(lda_reqparams_seen seen)
{
    return seen == (1u << LDA_PARAM_COUNT) - 1;
}

/* d's value in p as a JSON number. */
static json_t *value_json(const lda_param_def *d, const lda_params *p)
{
    const char *at = (const char *)p + d->offset;
    if (d->kind == LDA_PARAM_SECONDS) {
        int64_t us;
        memcpy(&us, at, sizeof us);
        return us % 1000000 == 0 ? json_integer((json_int_t)(us / 1000000))
                                 : json_real((double)us / 1e6);
    }
    if (d->kind == LDA_PARAM_INTEGER) {
        uint64_t v;
        memcpy(&v, at, sizeof v);
        return json_integer((json_int_t)v);
    }
    double v;
    memcpy(&v, at, sizeof v);
    return json_real(v);
}

json_t *lda_reqparams_list(const lda_params *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < LDA_PARAM_COUNT; i++) {
        const lda_param_def *d = &lda_param_defs[i];
        if (json_array_append_new(
                a, json_pack("{s:s,s:s,s:s,s:o,s:s}", "name", d->name, "env",
                             d->env, "type", lda_param_kind_name(d->kind),
                             "value", value_json(d, p), "description",
                             d->description)) < 0) {
            json_decref(a);
            a = NULL;
        }
    }
    return a ? json_pack("{s:o}", "params", a) : NULL;
}
