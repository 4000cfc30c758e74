/* lda_event: field validators and the event set.
 *
 * lda_set_add() trims the seven fields, checks each with its validator in
 * column order (the first failure names the field), interns the
 * (account_id, product_id) group in an open-addressing hash table (seeded
 * per process from the CSPRNG, so crafted ids cannot force collisions) and
 * appends a fixed-size event. The validators are single passes without
 * library calls on the common path (upper-case words compare as one load;
 * prices take Clinger's exact fast path, strtod() only when it does not
 * apply), and the event array asks for huge pages (faulting 64 MB in 4 KiB
 * pages costs more than parsing them).
 *
 * lda_set_finish() orders events per group: a counting sort by group
 * (stable; the counts are kept by lda_set_add) gives a permutation that is
 * applied in place by following its cycles with a prefetching look-ahead
 * (skipped when it is the identity: events that arrive grouped);
 * then each group that is not already in time order is sorted stably by
 * timestamp through (ts, position) keys: insertion sort for the usual
 * nearly-sorted group, a merge sort when that would get slow. The pass
 * that checks a group's time order also counts its duplicate events
 * (lda_quality): equal events share a group and a timestamp. */
#include "lda_event.h"
#include "lda_mem.h"
#include "lda_time.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

_Static_assert(sizeof(lda_event) == 64, "an event is one cache line");

const char *const lda_side_names[2] = {"BUY", "SELL"};
const char *const lda_type_names[3] = {"ORDER_PLACED", "ORDER_CANCELLED",
                                       "TRADE_EXECUTED"};

/* ---- validators ------------------------------------------------------ */

lda_text lda_trim(lda_text t)
{
    while (t.n && (t.p[0] == ' ' || t.p[0] == '\t')) {
        t.p++;
        t.n--;
    }
    while (t.n && (t.p[t.n - 1] == ' ' || t.p[t.n - 1] == '\t'))
        t.n--;
    return t;
}

bool lda_valid_utf8(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* range of the second byte */
        if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0)
                lo = 0xA0; /* no overlongs */
            else if (c == 0xED)
                hi = 0x9F; /* no surrogates */
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0)
                lo = 0x90;
            else if (c == 0xF4)
                hi = 0x8F; /* <= U+10FFFF */
        } else
            return false;
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return false;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        i += len;
    }
    return true;
}

bool lda_valid_id(const char *s, size_t n)
{
    if (n == 0 || n > LDA_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return false;
    }
    return true;
}

/* s[0..n) equals the upper-case word w[0..n) ignoring ASCII case: what
 * strncasecmp() does in the C locale, without the call. */
static bool word_is(const char *s, const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - ('a' - 'A'));
        if (c != (unsigned char)w[i])
            return false;
    }
    return true;
}

/* Each word is first compared as it is usually written (upper case), which
 * the compiler does in a load or two, and only then case-insensitively. */
bool lda_parse_side(const char *s, size_t n, uint8_t *side)
{
    if (n == 3 && (memcmp(s, "BUY", 3) == 0 || word_is(s, "BUY", 3)))
        *side = LDA_BUY;
    else if (n == 4 && (memcmp(s, "SELL", 4) == 0 || word_is(s, "SELL", 4)))
        *side = LDA_SELL;
    else
        return false;
    return true;
}

bool lda_parse_type(const char *s, size_t n, uint8_t *type)
{
    if (n == 12 &&
        (memcmp(s, "ORDER_PLACED", 12) == 0 || word_is(s, "ORDER_PLACED", 12)))
        *type = LDA_PLACED;
    else if (n == 15 && (memcmp(s, "ORDER_CANCELLED", 15) == 0 ||
                         word_is(s, "ORDER_CANCELLED", 15)))
        *type = LDA_CANCELLED;
    else if (n == 14 && (memcmp(s, "TRADE_EXECUTED", 14) == 0 ||
                         word_is(s, "TRADE_EXECUTED", 14)))
        *type = LDA_TRADE;
    else
        return false;
    return true;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* The price grammar [+] (digits [. digits*] | . digits) [(e|E) [+|-]
 * digits], read in one pass that also gathers what the fast conversion
 * needs: the significant digits as an integer (exact while at most 19) and
 * the power of ten they are scaled by. */
typedef struct price_scan {
    uint64_t mant; /* significant digits, leading zeros dropped */
    int ndig;      /* how many went into mant */
    bool exact;    /* mant holds every significant digit */
    long exp10;    /* value = mant * 10^exp10, when exact */
} price_scan;

static bool price_grammar(const char *s, size_t n, price_scan *ps)
{
    size_t i = 0, mant = 0;
    ps->mant = 0;
    ps->ndig = 0;
    ps->exact = true;
    ps->exp10 = 0;
    if (i < n && s[i] == '+')
        i++;
    for (int frac = 0; frac < 2; frac++) {
        if (frac) {
            if (i >= n || s[i] != '.')
                break;
            i++;
        }
        while (i < n && is_digit(s[i])) {
            unsigned d = (unsigned)(s[i] - '0');
            if (ps->ndig == 0 && d == 0) {
                /* a leading zero: only its place counts */
            } else if (ps->ndig < 19) {
                ps->mant = ps->mant * 10 + d;
                ps->ndig++;
            } else
                ps->exact = false;
            ps->exp10 -= frac;
            i++;
            mant++;
        }
    }
    if (mant == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;
        long ev = 0;
        bool neg = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            neg = s[i++] == '-';
        while (i < n && is_digit(s[i])) {
            if (ev < 100000)
                ev = ev * 10 + (s[i] - '0');
            i++;
            exp++;
        }
        if (exp == 0)
            return false;
        ps->exp10 += neg ? -ev : ev;
    }
    return i == n;
}

/* Powers of ten that are exact doubles. */
static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

bool lda_parse_price(const char *s, size_t n, double *price)
{
    price_scan ps;
    double v;
    if (!price_grammar(s, n, &ps))
        return false;
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    /* Clinger's fast path: an integer below 2^53 and a power of ten up to
     * 1e22 are both exact doubles, so one IEEE multiplication or division
     * gives the correctly rounded value, the same double strtod() returns.
     * Anything else goes to strtod(). */
    if (ps.exact && ps.mant <= (UINT64_C(1) << 53) && ps.exp10 >= -22 &&
        ps.exp10 <= 22)
        v = ps.exp10 < 0 ? (double)ps.mant / pow10_exact[-ps.exp10]
                         : (double)ps.mant * pow10_exact[ps.exp10];
    else
#endif
    {
        char small[64];
        char *copy = n < sizeof small ? small : malloc(n + 1);
        if (!copy)
            return false;
        memcpy(copy, s, n);
        copy[n] = '\0';
        v = strtod(copy, NULL); /* the C locale: programs never set one */
        if (copy != small)
            free(copy);
    }
    if (!isfinite(v) || !(v > 0.0))
        return false;
    *price = v;
    return true;
}

bool lda_parse_quantity(const char *s, size_t n, uint64_t *qty)
{
    size_t i = 0;
    uint64_t v = 0;
    if (i < n && s[i] == '+')
        i++;
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > LDA_QTY_MAX)
            return false;
    }
    if (v < 1)
        return false;
    *qty = v;
    return true;
}

/* ---- the set --------------------------------------------------------- */

void lda_set_init(lda_set *s)
{
    memset(s, 0, sizeof *s);
    lda_buf_init(&s->text);
}

static void parts_free(lda_set *s);

void lda_set_free(lda_set *s)
{
    parts_free(s);
    free(s->ev);
    free(s->groups);
    lda_strtab_free(&s->accounts);
    lda_strtab_free(&s->products);
    lda_pairtab_free(&s->pairs);
    lda_buf_free(&s->text);
    lda_set_init(s);
}

/* Ask for transparent huge pages on the 2 MiB-aligned interior of a large
 * block: the event array is written once, front to back, and faulting it
 * in 4 KiB at a time is a large part of the cost of a big load. A hint
 * only; nothing depends on it. */
static void hint_huge(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t b = ((uintptr_t)p + n) & ~(huge - 1);
    if (n >= huge && b > a)
        madvise((void *)a, b - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)n;
#endif
}

/* malloc() for a scratch array that is read at random: 2 MiB-aligned and
 * on huge pages when it is large, so that random reads do not also miss
 * the TLB. Freed with free(). */
static void *alloc_big(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < huge)
        return malloc(n);
    if (n > SIZE_MAX - huge)
        return NULL;
    void *p = aligned_alloc(huge, (n + huge - 1) & ~(huge - 1));
    if (p)
        hint_huge(p, (n + huge - 1) & ~(huge - 1));
    return p;
}

static bool grow_events(lda_set *s, size_t need)
{
    size_t cap = s->cap;
    if (!lda_mem_grow((void **)&s->ev, &s->cap, sizeof *s->ev, need))
        return false;
    if (s->cap != cap)
        hint_huge(s->ev, s->cap * sizeof *s->ev);
    return true;
}

bool lda_set_reserve(lda_set *s, size_t n)
{
    return grow_events(s, n);
}

static size_t text_put(lda_set *s, lda_text t)
{
    size_t off = s->text.len;
    lda_buf_add(&s->text, t.p, t.n);
    return off;
}

/* Index of the (acc, prod) group, created if new; -1 on OOM. */
static int64_t intern_group(lda_set *s, lda_text acc, lda_text prod)
{
    int64_t a = lda_strtab_intern(&s->accounts, &s->text, acc.p, acc.n);
    int64_t p = lda_strtab_intern(&s->products, &s->text, prod.p, prod.n);
    if (a < 0 || p < 0)
        return -1;
    int64_t g = lda_pairtab_get(&s->pairs, (uint32_t)a, (uint32_t)p,
                                (uint32_t)s->ngroups);
    if (g < 0 || (size_t)g < s->ngroups)
        return g;
    if (!lda_mem_grow((void **)&s->groups, &s->gcap, sizeof *s->groups,
                      s->ngroups + 1))
        return -1;
    lda_group *gr = &s->groups[s->ngroups];
    memset(gr, 0, sizeof *gr);
    gr->acc_off = s->accounts.off[a];
    gr->acc_len = s->accounts.len[a];
    gr->prod_off = s->products.off[p];
    gr->prod_len = s->products.len[p];
    return (int64_t)s->ngroups++;
}

/* lda_trim(), skipping the call for the usual field with nothing to trim. */
static inline lda_text trim_in(lda_text t)
{
    if (t.n && (t.p[0] == ' ' || t.p[0] == '\t' || t.p[t.n - 1] == ' ' ||
                t.p[t.n - 1] == '\t'))
        return lda_trim(t);
    return t;
}

/* The reason the (account, product) pair is invalid, or NULL. */
static const char *check_ids(lda_text acc, lda_text prod)
{
    if (acc.n == 0)
        return "account_id: empty";
    if (!lda_valid_id(acc.p, acc.n))
        return acc.n > LDA_ID_MAX ? "account_id: longer than 256 bytes"
                                  : "account_id: control character";
    if (prod.n == 0)
        return "product_id: empty";
    if (!lda_valid_id(prod.p, prod.n))
        return prod.n > LDA_ID_MAX ? "product_id: longer than 256 bytes"
                                   : "product_id: control character";
    return NULL;
}

/* Validate all fields into ev; the reason names the first bad field. */
static const char *validate(const lda_fields *f, lda_event *ev, lda_text *acc,
                            lda_text *prod, lda_text *price)
{
    lda_text t = trim_in(f->ts);
    if (!lda_time_parse(t.p, t.n, &ev->ts))
        return "timestamp: not a valid timestamp";
    const char *why;
    *acc = trim_in(f->account);
    *prod = trim_in(f->product);
    if ((why = check_ids(*acc, *prod)))
        return why;
    t = trim_in(f->side);
    if (!lda_parse_side(t.p, t.n, &ev->side))
        return "side: must be BUY or SELL";
    *price = trim_in(f->price);
    if (!lda_parse_price(price->p, price->n, &ev->price))
        return "price: must be a finite decimal number > 0";
    t = trim_in(f->quantity);
    if (!lda_parse_quantity(t.p, t.n, &ev->qty))
        return "quantity: must be a whole number from 1 to 10^12";
    t = trim_in(f->type);
    if (!lda_parse_type(t.p, t.n, &ev->type))
        return "event_type: must be ORDER_PLACED, ORDER_CANCELLED or "
               "TRADE_EXECUTED";
    return NULL;
}

/* Append ev (fields set but group and price text) to group g. */
static lda_status append_event(lda_set *s, uint32_t g, lda_event *ev,
                               lda_text price, const char **reason)
{
    if (s->finished || s->nparts || price.n > UINT32_MAX ||
        s->n >= UINT32_MAX - 1) {
        *reason = "too large";
        return LDA_INVALID;
    }
    if (!grow_events(s, s->n + 1))
        return LDA_NOMEM;
    ev->group = g;
    s->groups[g].count++;
    ev->price_len = (uint32_t)price.n;
    if (price.n <= LDA_PRICE_INLINE)
        memcpy(ev->ptext.inl, price.p, price.n);
    else
        ev->ptext.off = text_put(s, price);
    if (s->text.oom)
        return LDA_NOMEM;
    s->ev[s->n++] = *ev;
    lda_quality_note(&s->quality, ev->ts, ev->type);
    return LDA_OK;
}

lda_status lda_set_add(lda_set *s, const lda_fields *f, const char **reason)
{
    lda_event ev;
    lda_text acc, prod, price;
    memset(&ev, 0, sizeof ev);
    *reason = validate(f, &ev, &acc, &prod, &price);
    if (!*reason && f->rec < 2)
        *reason = "record: not a data record number";
    if (*reason)
        return LDA_INVALID;
    ev.rec = f->rec;
    int64_t g = intern_group(s, acc, prod);
    if (g < 0)
        return LDA_NOMEM;
    return append_event(s, (uint32_t)g, &ev, price, reason);
}

int64_t lda_set_group(lda_set *s, lda_text account, lda_text product,
                      const char **reason)
{
    *reason = check_ids(account, product);
    if (!*reason && !lda_valid_utf8(account.p, account.n))
        *reason = "account_id: invalid UTF-8";
    if (!*reason && !lda_valid_utf8(product.p, product.n))
        *reason = "product_id: invalid UTF-8";
    if (*reason)
        return -1;
    int64_t g = intern_group(s, account, product);
    return g < 0 ? -2 : g;
}

lda_status lda_set_add_values(lda_set *s, uint32_t group, const lda_values *v,
                              const char **reason)
{
    lda_event ev;
    memset(&ev, 0, sizeof ev);
    *reason = NULL;
    if (!lda_time_in_range(v->ts))
        *reason = "timestamp: not a valid timestamp";
    else if (v->side > LDA_SELL)
        *reason = "side: must be BUY or SELL";
    else if (!lda_parse_price(v->price.p, v->price.n, &ev.price))
        *reason = "price: must be a finite decimal number > 0";
    else if (v->qty < 1 || v->qty > LDA_QTY_MAX)
        *reason = "quantity: must be a whole number from 1 to 10^12";
    else if (v->type > LDA_TRADE)
        *reason = "event_type: must be ORDER_PLACED, ORDER_CANCELLED or "
                  "TRADE_EXECUTED";
    else if (group >= s->ngroups)
        *reason = "unknown group";
    else if (v->rec < 2)
        *reason = "record: not a data record number";
    if (*reason)
        return LDA_INVALID;
    ev.ts = v->ts;
    ev.qty = v->qty;
    ev.side = v->side;
    ev.type = v->type;
    ev.rec = v->rec;
    return append_event(s, group, &ev, v->price, reason);
}

/* ---- adopt: sets read apart (lda_csv_load_par) ----------------------- */

/* One adopted set: its events in input order, and where they go. */
struct lda_part {
    lda_set set;   /* its events and its own tables */
    uint32_t *map; /* its group g is the adopter's group map[g] */
    uint32_t *cur; /* at finish: the next place of its group g's events */
    uint32_t rec_delta;
    size_t text_base; /* its text arena starts here in the adopter's */
};

static void parts_free(lda_set *s)
{
    for (size_t k = 0; k < s->nparts; k++) {
        lda_set_free(&s->parts[k].set);
        free(s->parts[k].map);
        free(s->parts[k].cur);
    }
    free(s->parts);
    s->parts = NULL;
    s->nparts = 0;
}

/* dst's quality after the events noted in part were noted after its own;
 * first_ts is the first of part's events' timestamp. */
static void join_quality(lda_quality *q, const lda_quality *p, int64_t first)
{
    if (p->n == 0)
        return;
    if (q->n == 0) {
        *q = *p;
        return;
    }
    q->out_of_order += p->out_of_order + (first < q->prev_ts);
    if (p->first_ts < q->first_ts)
        q->first_ts = p->first_ts;
    if (p->last_ts > q->last_ts)
        q->last_ts = p->last_ts;
    q->prev_ts = p->prev_ts;
    for (int t = 0; t < 3; t++)
        q->types[t] += p->types[t];
    q->n += p->n;
}

/* map[g] = dst's group for part's group g, interning it; false on OOM. */
static bool join_groups(lda_set *dst, const lda_set *part, uint32_t *map)
{
    for (size_t g = 0; g < part->ngroups; g++) {
        const lda_group *pg = &part->groups[g];
        lda_text acc = {lda_set_str(part, pg->acc_off), pg->acc_len};
        lda_text prod = {lda_set_str(part, pg->prod_off), pg->prod_len};
        int64_t m = intern_group(dst, acc, prod);
        if (m < 0)
            return false;
        map[g] = (uint32_t)m;
        dst->groups[m].count += pg->count;
    }
    return true;
}

/* Part p as if its events were added to dst now (but the events). */
static bool adopt_part(lda_set *dst, struct lda_part *p)
{
    const lda_set *part = &p->set;
    size_t ng = part->ngroups ? part->ngroups : 1;
    p->text_base = dst->text.len;
    p->map = malloc(ng * sizeof *p->map);
    p->cur = malloc(ng * sizeof *p->cur);
    lda_buf_add(&dst->text, part->text.data, part->text.len);
    if (!p->map || !p->cur || dst->text.oom || !join_groups(dst, part, p->map))
        return false;
    if (part->n)
        join_quality(&dst->quality, &part->quality, part->ev[0].ts);
    dst->n += part->n;
    return true;
}

bool lda_set_adopt(lda_set *dst, lda_set *parts, size_t n,
                   const uint32_t *rec_delta)
{
    dst->parts = calloc(n ? n : 1, sizeof *dst->parts);
    if (!dst->parts)
        return false;
    dst->nparts = n;
    for (size_t k = 0; k < n; k++) {
        dst->parts[k].set = parts[k];
        dst->parts[k].rec_delta = rec_delta[k];
        lda_set_init(&parts[k]);
        if (!adopt_part(dst, &dst->parts[k]))
            return false;
    }
    return true;
}

/* ---- finish: group order ------------------------------------------- */

#if defined(__GNUC__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

/* Move events so that ev[i] = old ev[order[i]], following the cycles of
 * the permutation in place (order[] is consumed as the visited mark). Each
 * move reads an event at a random place; a second cursor runs AHEAD steps
 * ahead along the cycle and prefetches the events it will need, so the
 * reads overlap instead of waiting for each other. */
static void permute(lda_event *ev, uint32_t *order, size_t n)
{
    enum { AHEAD = 12 };
    for (size_t start = 0; start < n; start++) {
        if (order[start] == UINT32_MAX || order[start] == start)
            continue;
        lda_event held = ev[start];
        size_t dst = start, ahead = start;
        for (int k = 0; k < AHEAD && (ahead = order[ahead]) != start; k++)
            PREFETCH(&ev[ahead]);
        for (;;) {
            size_t src = order[dst];
            order[dst] = UINT32_MAX;
            if (src == start) {
                ev[dst] = held;
                break;
            }
            if (ahead != start) {
                ahead = order[ahead];
                PREFETCH(&ev[ahead]);
            }
            ev[dst] = ev[src];
            dst = src;
        }
    }
}

typedef struct ts_key {
    int64_t ts;
    uint32_t pos; /* place in the group before sorting */
} ts_key;

static bool key_less(const ts_key *a, const ts_key *b)
{
    return a->ts < b->ts || (a->ts == b->ts && a->pos < b->pos);
}

/* Sort k[0..n) by (ts, pos) with tmp[0..n): insertion sort while the input
 * is nearly sorted (the usual case: rows a little out of order), a bottom-up
 * merge sort when that gets too slow. (ts, pos) is a total order, so the
 * result is the stable time order whichever way it was reached. */
static void sort_keys(ts_key *k, ts_key *tmp, size_t n)
{
    size_t budget = 8 * n + 64, i;
    for (i = 1; i < n; i++) {
        ts_key x = k[i];
        size_t j = i;
        while (j > 0 && key_less(&x, &k[j - 1]) && budget) {
            k[j] = k[j - 1];
            j--;
            budget--;
        }
        k[j] = x;
        if (!budget)
            break;
    }
    if (i >= n)
        return;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = key_less(&k[b], &k[a]) ? k[b++] : k[a++];
            while (a < mid)
                tmp[o++] = k[a++];
            while (b < hi)
                tmp[o++] = k[b++];
        }
        memcpy(k, tmp, n * sizeof *k);
    }
}

/* Stable sort of the n events at ev by time, through keys (the events
 * themselves move once). keys/tmp hold n entries, order n indexes. */
static void sort_group(lda_event *ev, size_t n, ts_key *keys, ts_key *tmp,
                       uint32_t *order)
{
    for (size_t i = 0; i < n; i++) {
        keys[i].ts = ev[i].ts;
        keys[i].pos = (uint32_t)i;
    }
    sort_keys(keys, tmp, n);
    for (size_t i = 0; i < n; i++)
        order[i] = keys[i].pos;
    permute(ev, order, n);
}

/* 1 when the group's events ev[0..n) are in time order, each run of
 * equal timestamps then handed to lda_quality_run_dups() (duplicates added
 * to *dups); 0 when they are not (nothing added); -1 on OOM. */
static int scan_group(const lda_event *ev, size_t n, uint64_t *dups)
{
    uint64_t d = 0;
    size_t i = 1;
    while (i < n) {
        if (ev[i].ts > ev[i - 1].ts) {
            i++;
            continue;
        }
        if (ev[i].ts < ev[i - 1].ts)
            return 0;
        size_t a = i - 1, b = i + 1;
        while (b < n && ev[b].ts == ev[a].ts)
            b++;
        if (!lda_quality_run_dups(ev + a, b - a, &d))
            return -1;
        i = b;
    }
    *dups += d;
    return 1;
}

lda_quality lda_set_quality(const lda_set *s)
{
    lda_quality q = s->quality;
    q.accounts = s->accounts.n;
    q.products = s->products.n;
    return q;
}

/* True when every group's events are already contiguous and the groups
 * come in index (first-appearance) order: the counting sort's permutation
 * is then the identity. */
static bool in_group_order(const lda_set *s)
{
    uint32_t cur = 0;
    for (size_t i = 0; i < s->n; i++) {
        uint32_t g = s->ev[i].group;
        if (g != cur && !(g == cur + 1 && i > 0))
            return false;
        cur = g;
    }
    return true;
}

/* The per-group pass of finish over the groups [g0, g1): time order (a
 * stable sort where needed, with scratch of its own) and duplicates, so
 * ranges run concurrently. */
typedef struct sort_range {
    lda_set *s;
    size_t g0, g1;
    uint64_t dups;
    bool ok;
} sort_range;

static void sort_range_job(void *arg, size_t i)
{
    sort_range *r = (sort_range *)arg + i;
    ts_key *keys = NULL;
    uint32_t *order = NULL;
    size_t most = 0;
    r->ok = true;
    r->dups = 0;
    for (size_t g = r->g0; g < r->g1; g++)
        if (r->s->groups[g].count > most)
            most = r->s->groups[g].count;
    for (size_t g = r->g0; g < r->g1 && r->ok; g++) {
        lda_group *gr = &r->s->groups[g];
        lda_event *ev = r->s->ev + gr->first;
        int sorted = scan_group(ev, gr->count, &r->dups);
        if (sorted == 0 && !keys) {
            keys = malloc(2 * most * sizeof *keys);
            order = malloc(most * sizeof *order);
        }
        if (sorted == 0 && (!keys || !order))
            sorted = -1;
        else if (sorted == 0) {
            sort_group(ev, gr->count, keys, keys + most, order);
            sorted = scan_group(ev, gr->count, &r->dups);
        }
        r->ok = sorted > 0;
    }
    free(keys);
    free(order);
}

/* Split the groups into at most n ranges of about equal event counts. */
static size_t split_groups(const lda_set *s, sort_range *r, size_t n)
{
    size_t k = 0, g = 0;
    for (; k < n && g < s->ngroups; k++) {
        size_t want = (size_t)((uint64_t)s->n * (k + 1) / n);
        r[k].g0 = g;
        while (g < s->ngroups &&
               (g == r[k].g0 || s->groups[g].first < want || k + 1 == n))
            g++;
        r[k].g1 = g;
    }
    return k;
}

/* The parallel form of permute(): part k of `parts` of a fresh array is
 * gathered from the old one (random reads, prefetched; sequential writes),
 * so the parts are independent. */
typedef struct gather {
    lda_event *dst;
    const lda_event *src;
    const uint32_t *order;
    size_t n, parts;
} gather;

static void gather_job(void *arg, size_t k)
{
    const gather *g = arg;
    size_t a = g->n * k / g->parts, b = g->n * (k + 1) / g->parts;
    for (size_t i = a; i < b; i++) {
        if (i + 16 < b)
            PREFETCH(&g->src[g->order[i + 16]]);
        g->dst[i] = g->src[g->order[i]];
    }
}

/* Put the events in the order order[] gives: in place (permute) on one
 * thread, or gathered into a fresh array on par's threads (the old one is
 * freed; when the fresh one cannot be had, in place). */
static void reorder(lda_set *s, uint32_t *order, const lda_par *par)
{
    size_t parts = lda_par_threads(par);
    lda_event *ev = parts > 1 ? alloc_big(s->n * sizeof *ev) : NULL;
    if (!ev) {
        permute(s->ev, order, s->n);
        return;
    }
    gather g = {ev, s->ev, order, s->n, parts};
    lda_par_run(par, parts, gather_job, &g);
    free(s->ev);
    s->ev = ev;
    s->cap = s->n;
}

/* Counting sort by group (stable: input order inside a group): the first
 * event of each group, and the events moved into group order. */
static void group_order(lda_set *s, uint32_t *order, const lda_par *par)
{
    uint32_t pos = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        s->groups[g].first = pos;
        pos += s->groups[g].count;
        s->groups[g].count = 0;
    }
    if (in_group_order(s)) {
        for (size_t g = 0; g < s->ngroups; g++)
            s->groups[g].count = (uint32_t)((g + 1 < s->ngroups
                                                 ? s->groups[g + 1].first
                                                 : pos) -
                                            s->groups[g].first);
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        lda_group *g = &s->groups[s->ev[i].group];
        order[g->first + g->count++] = (uint32_t)i;
    }
    reorder(s, order, par);
}

bool lda_set_finish(lda_set *s)
{
    return lda_set_finish_par(s, NULL);
}

/* The adopted parts' events moved into a fresh array in group order
 * (lda_set_adopt): part k's events of a group go after those of parts
 * before it, in their order, so each part is one job (sequential reads,
 * writes spread over its groups' places). */
static void scatter_job(void *arg, size_t k)
{
    lda_set *s = arg;
    struct lda_part *p = &s->parts[k];
    for (size_t i = 0; i < p->set.n; i++) {
        lda_event e = p->set.ev[i];
        uint32_t g = e.group;
        e.group = p->map[g];
        e.rec += p->rec_delta;
        if (e.price_len > LDA_PRICE_INLINE)
            e.ptext.off += p->text_base;
        s->ev[p->cur[g]++] = e;
    }
}

/* Group order for a set of adopted parts: each group's first place, each
 * part's places for its groups, then scatter_job() on par. */
static bool gather_parts(lda_set *s, const lda_par *par)
{
    lda_event *ev = alloc_big((s->n ? s->n : 1) * sizeof *ev);
    if (!ev)
        return false;
    uint32_t pos = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        s->groups[g].first = pos;
        pos += s->groups[g].count;
        s->groups[g].count = 0;
    }
    for (size_t k = 0; k < s->nparts; k++) {
        const struct lda_part *p = &s->parts[k];
        for (size_t g = 0; g < p->set.ngroups; g++) {
            lda_group *to = &s->groups[p->map[g]];
            p->cur[g] = to->first + to->count;
            to->count += p->set.groups[g].count;
        }
    }
    free(s->ev);
    s->ev = ev;
    s->cap = s->n;
    lda_par_run(par, s->nparts, scatter_job, s);
    parts_free(s);
    return true;
}

/* Group order for events added one by one: a counting sort (the group
 * counts are recounted when they do not add up). */
static bool group_added(lda_set *s, const lda_par *par)
{
    size_t total = 0;
    uint32_t *order = alloc_big((s->n ? s->n : 1) * sizeof *order);
    if (!order)
        return false;
    for (size_t g = 0; g < s->ngroups; g++)
        total += s->groups[g].count;
    if (total != s->n) {
        for (size_t g = 0; g < s->ngroups; g++)
            s->groups[g].count = 0;
        for (size_t i = 0; i < s->n; i++)
            s->groups[s->ev[i].group].count++;
    }
    group_order(s, order, par);
    free(order);
    return true;
}

/* Then each group stably by time where it is not already, and the
 * duplicates, over ranges of groups on par. */
static bool sort_groups(lda_set *s, const lda_par *par)
{
    size_t n = lda_par_threads(par);
    sort_range *r = calloc(n, sizeof *r);
    if (!r)
        return false;
    n = split_groups(s, r, n);
    for (size_t k = 0; k < n; k++)
        r[k].s = s;
    lda_par_run(par, n, sort_range_job, r);
    bool ok = true;
    uint64_t dups = 0;
    for (size_t k = 0; k < n; k++) {
        ok = ok && r[k].ok;
        dups += r[k].dups;
    }
    s->quality.duplicates = dups;
    free(r);
    return ok;
}

bool lda_set_finish_par(lda_set *s, const lda_par *par)
{
    if (s->finished)
        return true;
    bool ok = s->nparts ? gather_parts(s, par) : group_added(s, par);
    s->finished = ok && sort_groups(s, par);
    return s->finished;
}
