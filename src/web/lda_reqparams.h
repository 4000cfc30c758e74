/* lda_reqparams: the per-run detection parameters of a request
 * (docs/api.md#per-run-thresholds) in each form they come in -- query
 * string pairs, multipart form fields, a JSON object of numbers or
 * strings -- read onto a copy of the server's lda_params with lda_param's
 * one validator; and GET /api/params's list. A parameter given twice is
 * refused; every refusal is a 400 naming the parameter ("wash_min_volume:
 * must be a number > 0", "unknown parameter: foo"). */
#ifndef LDA_REQPARAMS_H
#define LDA_REQPARAMS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include "lda_detect.h"
#include "lda_err.h"

/* What has been set so far (one bit per lda_param_defs entry). */
typedef unsigned lda_reqparams_seen;

/* Set name (nlen bytes) to text (vlen bytes, not NUL-terminated) in p.
 * False with e (400) when unknown, invalid, or already in *seen. */
bool lda_reqparams_one(lda_params *p, lda_reqparams_seen *seen,
                       const char *name, size_t nlen, const char *text,
                       size_t vlen, lda_err *e);
/* Every pair of query string q (percent-decoded) as a parameter. */
bool lda_reqparams_query(lda_params *p, lda_reqparams_seen *seen,
                         const char *q, lda_err *e);
/* Every member of JSON object o (a number or a string) as a parameter;
 * e 400 also when o is not an object or a value is neither. */
bool lda_reqparams_json(lda_params *p, lda_reqparams_seen *seen,
                        const json_t *o, lda_err *e);
/* True when every parameter is in seen. */
bool lda_reqparams_all(lda_reqparams_seen seen);

/* {"params":[{"name","env","type","value","description"}, ...]} in the
 * table's order, value from p (GET /api/params). NULL on OOM. */
json_t *lda_reqparams_list(const lda_params *p);
#endif
