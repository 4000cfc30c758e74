/* lda_event: validated events and the event set (docs/input.md,
 * docs/detection.md grouping).
 *
 * An lda_set holds events plus an interned table of (account_id,
 * product_id) groups. Strings live once in the set's text arena (each id
 * once, price text once per event); events are fixed-size records that
 * point into it by offset, so a million events cost ~64 MB. Events are
 * appended in input order; lda_set_finish() then reorders them (in place
 * on one thread, else gathered into a fresh array) into group order:
 * grouped by group (first-appearance order), and within a group stably
 * sorted by timestamp (ties keep input order), so every later pass over a
 * group reads memory sequentially. Events that arrive already in that
 * order (the binary internal form) are left in place. Sets read apart on
 * several threads are adopted whole instead (lda_set_adopt) and their
 * events scattered straight into group order by the finish: a parallel
 * read copies each event once and touches no memory for a join in input
 * order (first touches of fresh pages are much of what a load costs).
 * Every field is checked by a named validator before it is stored. The set
 * also keeps the data-quality figures of what it was given (lda_quality):
 * per event as it is added, duplicates when it is finished. */
#ifndef LDA_EVENT_H
#define LDA_EVENT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lda_buf.h"
#include "lda_intern.h"
#include "lda_par.h"
#include "lda_quality.h"

enum { LDA_BUY = 0, LDA_SELL = 1 };
enum { LDA_PLACED = 0, LDA_CANCELLED = 1, LDA_TRADE = 2 };

#define LDA_ID_MAX 256               /* bytes, account_id / product_id */
#define LDA_QTY_MAX 1000000000000ULL /* 10^12 */
/* Events of one set at most (MAX_EVENTS is capped at it): positions inside
 * a group are 32-bit, and any sum of this many quantities is below 2^72,
 * which the detectors' exact sums rely on (lda_lanes.h). */
#define LDA_EVENTS_MAX 1000000000ULL /* 10^9 */

typedef struct lda_text {
    const char *p;
    size_t n;
} lda_text;

#define LDA_PRICE_INLINE 24 /* price texts up to this long live inline */

/* One event: 64 bytes, one cache line. The price text (trimmed, as given)
 * is stored inline when short, else in set->text; read it with
 * lda_event_price(). */
typedef struct lda_event {
    int64_t ts; /* microseconds UTC */
    uint64_t qty;
    double price;
    uint32_t group; /* index into set->groups */
    uint32_t price_len;
    union {
        char inl[LDA_PRICE_INLINE];
        size_t off; /* in set->text when price_len > LDA_PRICE_INLINE */
    } ptext;
    uint8_t side; /* LDA_BUY / LDA_SELL */
    uint8_t type; /* LDA_PLACED / LDA_CANCELLED / LDA_TRADE */
    uint32_t rec; /* input record number (header = 1), >= 2 */
} lda_event;

typedef struct lda_group {
    size_t acc_off, prod_off; /* in set->text */
    uint32_t acc_len, prod_len;
    uint32_t first; /* after finish: index of its first event */
    uint32_t count; /* events in the group */
} lda_group;

typedef struct lda_set {
    lda_event *ev; /* input order; group order after finish */
    size_t n, cap;
    lda_group *groups; /* first-appearance order */
    size_t ngroups, gcap;
    lda_buf text; /* arena for ids and price texts */
    lda_strtab accounts, products;
    lda_pairtab pairs;      /* (account id, product id) -> group */
    lda_quality quality;    /* noted per event; duplicates by finish */
    struct lda_part *parts; /* adopted, not yet gathered (lda_set_adopt) */
    size_t nparts;
    bool finished;
} lda_set;

/* The seven required fields of one record, raw (may carry blanks), and
 * the record's number in its input (header = 1; alerts.json "records"). */
typedef struct lda_fields {
    lda_text ts, account, product, side, price, quantity, type;
    uint32_t rec;
} lda_fields;
/* Record numbers are 32-bit: an input of more records is refused. */
#define LDA_RECORD_MAX UINT32_MAX

typedef enum { LDA_OK = 0, LDA_INVALID = 1, LDA_NOMEM = 2 } lda_status;

/* Field validators: each takes trimmed text. */
lda_text lda_trim(lda_text t);                /* spaces and tabs */
bool lda_valid_utf8(const char *s, size_t n); /* strict UTF-8 */
bool lda_valid_id(const char *s, size_t n);   /* 1..256 bytes, no controls */
bool lda_parse_side(const char *s, size_t n, uint8_t *side);
bool lda_parse_type(const char *s, size_t n, uint8_t *type);
bool lda_parse_price(const char *s, size_t n, double *price);
bool lda_parse_quantity(const char *s, size_t n, uint64_t *qty);

void lda_set_init(lda_set *s);
void lda_set_free(lda_set *s);
/* Validate and append one event. On LDA_INVALID, *reason is a static
 * one-line text naming the first invalid field, e.g. "price: ...". */
lda_status lda_set_add(lda_set *s, const lda_fields *f, const char **reason);
/* The same for an event whose fields arrive as numbers (lda_wire): first
 * the group, from the two ids (validated and interned like lda_set_add's;
 * here also checked to be UTF-8, which the CSV reader checks per record),
 * then each event of it. lda_set_group returns the group's index, -1 with
 * *reason when an id is invalid, -2 on OOM. */
typedef struct lda_values {
    int64_t ts;         /* microseconds UTC, lda_time_in_range() */
    uint64_t qty;       /* 1 .. LDA_QTY_MAX */
    lda_text price;     /* decimal text, lda_parse_price() */
    uint8_t side, type; /* LDA_BUY/LDA_SELL, LDA_PLACED/.../LDA_TRADE */
    uint32_t rec;       /* input record number, 2 .. LDA_RECORD_MAX */
} lda_values;
int64_t lda_set_group(lda_set *s, lda_text account, lda_text product,
                      const char **reason);
lda_status lda_set_add_values(lda_set *s, uint32_t group, const lda_values *v,
                              const char **reason);
/* Make room for n events in all (a hint: adding never needs it). False on
 * OOM. */
bool lda_set_reserve(lda_set *s, size_t n);
/* Take over n sets read apart from consecutive parts of one input
 * (parts[k]'s record numbers shifted by rec_delta[k]) as if their events
 * had been added to dst one after the other: dst's groups (first-appearance
 * order), count n and quality figures are those at once; the events
 * themselves stay where they are and lda_set_finish*() moves them straight
 * into group order (no copy in input order first). Until then dst->ev is
 * not to be read and nothing may be added. dst must be empty (a fresh
 * set); each parts[k] is left empty. False on OOM (dst is then only fit
 * for lda_set_free()). */
bool lda_set_adopt(lda_set *dst, lda_set *parts, size_t n,
                   const uint32_t *rec_delta);
/* Reorder the events into group order (see above). Returns false on OOM;
 * no event may be added after it; once more on a finished set, nothing. */
bool lda_set_finish(lda_set *s);
/* The same, the per-group time sort and duplicate count of ranges of
 * groups run on par (the result is identical). */
bool lda_set_finish_par(lda_set *s, const lda_par *par);

/* The data-quality figures of the events added so far (lda_quality.h),
 * with the distinct account and product counts; duplicates are counted
 * by lda_set_finish(), so they are 0 before it. */
lda_quality lda_set_quality(const lda_set *s);

static inline const char *lda_set_str(const lda_set *s, size_t off)
{
    return s->text.data + off;
}
/* The price text of e (price_len bytes, not NUL-terminated). */
static inline const char *lda_event_price(const lda_set *s, const lda_event *e)
{
    return e->price_len <= LDA_PRICE_INLINE ? e->ptext.inl
                                            : s->text.data + e->ptext.off;
}
/* The i-th event of group g in group order (valid after finish). */
static inline const lda_event *lda_group_ev(const lda_set *s,
                                            const lda_group *g, size_t i)
{
    return &s->ev[g->first + i];
}

extern const char *const lda_side_names[2]; /* "BUY", "SELL" */
extern const char *const lda_type_names[3]; /* "ORDER_PLACED", ... */

#endif
