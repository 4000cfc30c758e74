/* lda_wire: the binary internal form of an event set (format in the
 * header).
 *
 * Encoding walks the finished set group by group: a first pass over a
 * group counts its events in the mask (the group is skipped when none),
 * the second writes them. Each event is written straight into the output
 * buffer after one reserve of its largest size.
 *
 * Decoding is a cursor over the body. Every length is checked against what
 * is left before it is used, every varint against 10 bytes and overflow,
 * the event count against max_events and against what the body could hold
 * (each event takes at least 4 bytes), before anything is allocated for
 * it. Fields go through lda_set_group / lda_set_add_values, the validators
 * the CSV reader uses. */
#include "lda_wire.h"

#include <stdio.h>
#include <string.h>

static const char wire_magic[8] = {'L', 'D', 'A', 'E', 'V', '1', '\n', 0};

#define EVENT_MIN_BYTES 4      /* tag, time, quantity, price length */
#define VARINT_MAX 10
#define TIME_STEP_MAX ((uint64_t)1 << 62)
#define ALL_TYPES 7u           /* 1u << type for the three event types */

/* ---- encoding ---------------------------------------------------------- */

static size_t put_varint(char *out, uint64_t v)
{
    size_t i = 0;
    while (v >= 0x80) {
        out[i++] = (char)(v | 0x80);
        v >>= 7;
    }
    out[i++] = (char)v;
    return i;
}

static uint64_t zigzag(int64_t v)
{
    return v < 0 ? ~((uint64_t)v << 1) : (uint64_t)v << 1;
}

static void add_varint(lda_buf *b, uint64_t v)
{
    char tmp[VARINT_MAX];
    lda_buf_add(b, tmp, put_varint(tmp, v));
}

static void add_text(lda_buf *b, const char *p, size_t n)
{
    add_varint(b, n);
    lda_buf_add(b, p, n);
}

static size_t group_count(const lda_set *s, const lda_group *g, unsigned mask)
{
    if ((mask & ALL_TYPES) == ALL_TYPES)
        return g->count;
    size_t k = 0;
    for (size_t i = 0; i < g->count; i++)
        k += (mask >> lda_group_ev(s, g, i)->type) & 1u;
    return k;
}

/* One event, written in place; prev is the previous event's time in the
 * group, or NULL for the first. */
static void add_event(lda_buf *b, const lda_set *s, const lda_event *e,
                      const int64_t *prev)
{
    if (!lda_buf_reserve(b, 1 + 3 * VARINT_MAX + e->price_len))
        return;
    char *o = b->data + b->len;
    size_t k = 0;
    o[k++] = (char)(e->type | e->side << 2);
    k += put_varint(o + k, prev ? (uint64_t)(e->ts - *prev) : zigzag(e->ts));
    k += put_varint(o + k, e->qty);
    k += put_varint(o + k, e->price_len);
    memcpy(o + k, lda_event_price(s, e), e->price_len);
    b->len += k + e->price_len;
    b->data[b->len] = '\0';
}

int lda_wire_encode(const lda_set *s, unsigned mask, lda_buf *out)
{
    if (!s->finished)
        return -1;
    size_t nev = 0, ngr = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        size_t k = group_count(s, &s->groups[g], mask);
        nev += k;
        ngr += k > 0;
    }
    lda_buf_reserve(out, sizeof wire_magic + 2 * VARINT_MAX + nev * 16);
    lda_buf_add(out, wire_magic, sizeof wire_magic);
    add_varint(out, nev);
    add_varint(out, ngr);
    for (size_t gi = 0; gi < s->ngroups && !out->oom; gi++) {
        const lda_group *g = &s->groups[gi];
        size_t k = group_count(s, g, mask);
        if (k == 0)
            continue;
        add_text(out, lda_set_str(s, g->acc_off), g->acc_len);
        add_text(out, lda_set_str(s, g->prod_off), g->prod_len);
        add_varint(out, k);
        const int64_t *prev = NULL;
        for (size_t i = 0; i < g->count; i++) {
            const lda_event *e = lda_group_ev(s, g, i);
            if (!((mask >> e->type) & 1u))
                continue;
            add_event(out, s, e, prev);
            prev = &e->ts;
        }
    }
    return out->oom ? -1 : 0;
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct wire_rd {
    const unsigned char *p;
    size_t n, i;
} wire_rd;

static bool rd_varint(wire_rd *r, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned k = 0; k < VARINT_MAX; k++) {
        if (r->i == r->n)
            return false;
        unsigned c = r->p[r->i++];
        if (k == VARINT_MAX - 1 && c > 1)
            return false;                    /* past 64 bits */
        x |= (uint64_t)(c & 0x7F) << (7 * k);
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

static bool rd_text(wire_rd *r, size_t max, lda_text *t)
{
    uint64_t len;
    if (!rd_varint(r, &len) || len > max || len > r->n - r->i)
        return false;
    t->p = (const char *)r->p + r->i;
    t->n = (size_t)len;
    r->i += (size_t)len;
    return true;
}

static lda_wire_status bad(char *err, size_t errlen, const char *what,
                           uint64_t where, const char *why)
{
    snprintf(err, errlen, "%s %llu: %s", what, (unsigned long long)where,
             why);
    return LDA_WIRE_INVALID;
}

/* One event of the group gid; prev_ts is the previous event's time or
 * NULL for the group's first. */
static lda_wire_status rd_event(wire_rd *r, lda_set *set, uint32_t gid,
                                int64_t *prev_ts, bool first, uint64_t idx,
                                char *err, size_t errlen)
{
    lda_values v;
    uint64_t t;
    const char *why;
    if (r->i == r->n)
        return bad(err, errlen, "event", idx, "truncated");
    unsigned tag = r->p[r->i++];
    if (tag & ~7u || (tag & 3u) > LDA_TRADE)
        return bad(err, errlen, "event", idx, "bad tag");
    v.type = (uint8_t)(tag & 3u);
    v.side = (uint8_t)(tag >> 2);
    if (!rd_varint(r, &t))
        return bad(err, errlen, "event", idx, "bad time");
    if (first)
        v.ts = (int64_t)(t >> 1) ^ -(int64_t)(t & 1);
    else if (t > TIME_STEP_MAX)       /* past any valid time; no overflow */
        return bad(err, errlen, "event", idx,
                   "timestamp: not a valid timestamp");
    else
        v.ts = *prev_ts + (int64_t)t;
    if (!rd_varint(r, &v.qty))
        return bad(err, errlen, "event", idx, "bad quantity");
    if (!rd_text(r, UINT32_MAX, &v.price))
        return bad(err, errlen, "event", idx, "truncated");
    lda_status st = lda_set_add_values(set, gid, &v, &why);
    if (st == LDA_NOMEM)
        return LDA_WIRE_NOMEM;
    if (st != LDA_OK)
        return bad(err, errlen, "event", idx, why);
    *prev_ts = v.ts;
    return LDA_WIRE_OK;
}

lda_wire_status lda_wire_decode(const char *p, size_t n, uint64_t max_events,
                                lda_set *set, char *err, size_t errlen)
{
    wire_rd r = {(const unsigned char *)p, n, 0};
    uint64_t nev, ngr, done = 0;
    if (n < sizeof wire_magic || memcmp(p, wire_magic, sizeof wire_magic))
        return bad(err, errlen, "byte", 0, "not an lda event body");
    r.i = sizeof wire_magic;
    if (!rd_varint(&r, &nev) || !rd_varint(&r, &ngr))
        return bad(err, errlen, "byte", r.i, "truncated header");
    if (max_events && nev > max_events) {
        snprintf(err, errlen, "more than %llu events",
                 (unsigned long long)max_events);
        return LDA_WIRE_TOO_MANY;
    }
    if (nev > (n - r.i) / EVENT_MIN_BYTES || ngr > nev)
        return bad(err, errlen, "byte", r.i, "counts larger than the body");
    if (!lda_set_reserve(set, nev ? (size_t)nev : 1))
        return LDA_WIRE_NOMEM;
    for (uint64_t gi = 1; gi <= ngr; gi++) {
        lda_text acc, prod;
        uint64_t count;
        const char *why;
        if (!rd_text(&r, LDA_ID_MAX, &acc) || !rd_text(&r, LDA_ID_MAX, &prod))
            return bad(err, errlen, "group", gi, "bad id");
        if (!rd_varint(&r, &count) || count == 0 || count > nev - done)
            return bad(err, errlen, "group", gi, "bad event count");
        int64_t g = lda_set_group(set, acc, prod, &why);
        if (g == -2)
            return LDA_WIRE_NOMEM;
        if (g < 0)
            return bad(err, errlen, "group", gi, why);
        int64_t prev = 0;
        for (uint64_t k = 0; k < count; k++) {
            lda_wire_status st = rd_event(&r, set, (uint32_t)g, &prev, k == 0,
                                          done + 1, err, errlen);
            if (st != LDA_WIRE_OK)
                return st;
            done++;
        }
    }
    if (done != nev)
        return bad(err, errlen, "byte", r.i, "fewer events than announced");
    if (r.i != r.n)
        return bad(err, errlen, "byte", r.i, "data after the last group");
    return LDA_WIRE_OK;
}
