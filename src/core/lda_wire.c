/* lda_wire: the binary internal form of an event set (format in the
 * header).
 *
 * Encoding walks the finished set group by group: a first pass over a
 * selected group counts its events in the mask (the group is skipped when
 * none, or when the selection leaves it out),
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
#include "lda_time.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static const char wire_magic[8] = {'L', 'D', 'A', 'E', 'V', '2', '\n', 0};

#define EVENT_MIN_BYTES 5 /* tag, time, record, quantity, price length */
#define VARINT_MAX 10
#define SEQ_MIN_BYTES 8 /* key, type, 2 times, 2 counts, 2 fields */
#define TIME_STEP_MAX ((uint64_t)1 << 62)
#define ALL_TYPES 7u /* 1u << type for the three event types */

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

void lda_wire_add_varint(lda_buf *b, uint64_t v)
{
    char tmp[VARINT_MAX];
    lda_buf_add(b, tmp, put_varint(tmp, v));
}

#define add_varint lda_wire_add_varint

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

/* One event, written in place; prev is the previous event of the group,
 * or NULL for the first. */
static void add_event(lda_buf *b, const lda_set *s, const lda_event *e,
                      const lda_event *prev)
{
    if (!lda_buf_reserve(b, 1 + 4 * VARINT_MAX + e->price_len))
        return;
    char *o = b->data + b->len;
    size_t k = 0;
    o[k++] = (char)(e->type | e->side << 2);
    k += put_varint(o + k,
                    prev ? (uint64_t)(e->ts - prev->ts) : zigzag(e->ts));
    k += put_varint(o + k,
                    prev ? zigzag((int64_t)e->rec - prev->rec) : e->rec);
    k += put_varint(o + k, e->qty);
    k += put_varint(o + k, e->price_len);
    memcpy(o + k, lda_event_price(s, e), e->price_len);
    b->len += k + e->price_len;
    b->data[b->len] = '\0';
}

int lda_wire_encode_sel(const lda_set *s, const lda_select *sel, lda_buf *out,
                        size_t *nevents)
{
    if (!s->finished)
        return -1;
    size_t nev = 0, ngr = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        size_t k = lda_select_group(sel, g)
                       ? group_count(s, &s->groups[g], sel->mask)
                       : 0;
        nev += k;
        ngr += k > 0;
    }
    if (nevents)
        *nevents = nev;
    lda_buf_reserve(out, sizeof wire_magic + 2 * VARINT_MAX + nev * 16);
    lda_buf_add(out, wire_magic, sizeof wire_magic);
    add_varint(out, nev);
    add_varint(out, ngr);
    for (size_t gi = 0; gi < s->ngroups && !out->oom; gi++) {
        const lda_group *g = &s->groups[gi];
        size_t k = lda_select_group(sel, gi) ? group_count(s, g, sel->mask)
                                             : 0;
        if (k == 0)
            continue;
        add_text(out, lda_set_str(s, g->acc_off), g->acc_len);
        add_text(out, lda_set_str(s, g->prod_off), g->prod_len);
        add_varint(out, k);
        const lda_event *prev = NULL;
        for (size_t i = 0; i < g->count; i++) {
            const lda_event *e = lda_group_ev(s, g, i);
            if (!((sel->mask >> e->type) & 1u))
                continue;
            add_event(out, s, e, prev);
            prev = e;
        }
    }
    return out->oom ? -1 : 0;
}

int lda_wire_encode(const lda_set *s, unsigned mask, lda_buf *out)
{
    lda_select all = {mask, NULL, 0};
    return lda_wire_encode_sel(s, &all, out, NULL);
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
            return false; /* past 64 bits */
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

/* A 400 "<what> <where>: <why>"; returns false. */
static bool bad(lda_err *e, const char *what, uint64_t where, const char *why)
{
    return lda_err_set(e, 400, "%s %llu: %s", what, (unsigned long long)where,
                       why);
}

/* The record number of an event: the group's first as is, then a zigzag
 * step from the previous event's (*prev); false when out of range. */
static bool rd_record(wire_rd *r, bool first, uint32_t *prev)
{
    uint64_t z;
    if (!rd_varint(r, &z))
        return false;
    int64_t rec = first ? (z > LDA_RECORD_MAX ? -1 : (int64_t)z)
                        : (z >> 1 > LDA_RECORD_MAX ? -1
                           : z & 1 ? (int64_t)*prev - (int64_t)(z >> 1) - 1
                                   : (int64_t)*prev + (int64_t)(z >> 1));
    if (rec < 2 || rec > (int64_t)LDA_RECORD_MAX)
        return false;
    *prev = (uint32_t)rec;
    return true;
}

/* One event of the group gid; prev_ts and prev_rec are the previous
 * event's time and record (unset for the group's first). */
static bool rd_event(wire_rd *r, lda_set *set, uint32_t gid, int64_t *prev_ts,
                     uint32_t *prev_rec, bool first, uint64_t idx, lda_err *e)
{
    lda_values v;
    uint64_t t;
    const char *why;
    if (r->i == r->n)
        return bad(e, "event", idx, "truncated");
    unsigned tag = r->p[r->i++];
    if (tag & ~7u || (tag & 3u) > LDA_TRADE)
        return bad(e, "event", idx, "bad tag");
    v.type = (uint8_t)(tag & 3u);
    v.side = (uint8_t)(tag >> 2);
    if (!rd_varint(r, &t))
        return bad(e, "event", idx, "bad time");
    if (first)
        v.ts = (int64_t)(t >> 1) ^ -(int64_t)(t & 1);
    else if (t > TIME_STEP_MAX) /* past any valid time; no overflow */
        return bad(e, "event", idx, "timestamp: not a valid timestamp");
    else
        v.ts = *prev_ts + (int64_t)t;
    if (!rd_record(r, first, prev_rec))
        return bad(e, "event", idx, "bad record number");
    v.rec = *prev_rec;
    if (!rd_varint(r, &v.qty))
        return bad(e, "event", idx, "bad quantity");
    if (!rd_text(r, UINT32_MAX, &v.price))
        return bad(e, "event", idx, "truncated");
    lda_status st = lda_set_add_values(set, gid, &v, &why);
    if (st == LDA_NOMEM)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    if (st != LDA_OK)
        return bad(e, "event", idx, why);
    *prev_ts = v.ts;
    return true;
}

bool lda_wire_decode(const char *p, size_t n, uint64_t max_events,
                     lda_set *set, lda_err *e)
{
    wire_rd r = {(const unsigned char *)p, n, 0};
    uint64_t nev, ngr, done = 0;
    if (n < sizeof wire_magic || memcmp(p, wire_magic, sizeof wire_magic))
        return bad(e, "byte", 0, "not an lda event body");
    r.i = sizeof wire_magic;
    if (!rd_varint(&r, &nev) || !rd_varint(&r, &ngr))
        return bad(e, "byte", r.i, "truncated header");
    if (max_events && nev > max_events)
        return lda_err_set(e, 413, "more than %llu events",
                           (unsigned long long)max_events);
    if (nev > (n - r.i) / EVENT_MIN_BYTES || ngr > nev)
        return bad(e, "byte", r.i, "counts larger than the body");
    if (!lda_set_reserve(set, nev ? (size_t)nev : 1))
        return lda_err_msg(e, LDA_MSG_NOMEM);
    for (uint64_t gi = 1; gi <= ngr; gi++) {
        lda_text acc, prod;
        uint64_t count;
        const char *why;
        if (!rd_text(&r, LDA_ID_MAX, &acc) || !rd_text(&r, LDA_ID_MAX, &prod))
            return bad(e, "group", gi, "bad id");
        if (!rd_varint(&r, &count) || count == 0 || count > nev - done)
            return bad(e, "group", gi, "bad event count");
        int64_t g = lda_set_group(set, acc, prod, &why);
        if (g == -2)
            return lda_err_msg(e, LDA_MSG_NOMEM);
        if (g < 0)
            return bad(e, "group", gi, why);
        int64_t prev = 0;
        uint32_t prev_rec = 0;
        for (uint64_t k = 0; k < count; k++) {
            if (!rd_event(&r, set, (uint32_t)g, &prev, &prev_rec, k == 0,
                          done + 1, e))
                return false;
            done++;
        }
    }
    if (done != nev)
        return bad(e, "byte", r.i, "fewer events than announced");
    if (r.i != r.n)
        return bad(e, "byte", r.i, "data after the last group");
    return true;
}

bool lda_wire_get_varint(const char *p, size_t n, size_t *pos, uint64_t *v)
{
    wire_rd r = {(const unsigned char *)p, n, *pos};
    uint64_t x;
    if (*pos > n || !rd_varint(&r, &x))
        return false;
    *v = x;
    *pos = r.i;
    return true;
}

/* ---- sequences --------------------------------------------------------- */

static void add_double(lda_buf *b, double x)
{
    uint64_t u;
    unsigned char o[8];
    memcpy(&u, &x, sizeof u);
    for (int i = 0; i < 8; i++)
        o[i] = (unsigned char)(u >> (8 * i));
    lda_buf_add(b, o, sizeof o);
}

/* evidence = byte 0, or byte 1 varint(n) record{n} observations */
static void add_evidence(lda_buf *b, const lda_seqlist *l, const lda_seq *q)
{
    lda_buf_addc(b, (char)q->has_ev);
    if (!q->has_ev)
        return;
    add_varint(b, q->nrecs);
    uint32_t prev = 0;
    for (uint32_t i = 0; i < q->nrecs; i++) {
        uint32_t r = l->recs[q->recs_off + i];
        add_varint(b, r - prev);
        prev = r;
    }
    add_varint(b, q->obs_n[0]);
    if (q->dtype == LDA_LAYERING)
        add_varint(b, zigzag(q->obs_ts - q->start));
    else
        add_varint(b, q->obs_n[1]);
}

static void add_seq(lda_buf *b, const lda_seqlist *l, const lda_seq *q,
                    bool same_key)
{
    const lda_seqkey *k = &l->keys[q->key];
    if (same_key)
        add_varint(b, 0);
    else {
        add_text(b, l->text.data + k->acc_off, k->acc_len);
        add_text(b, l->text.data + k->prod_off, k->prod_len);
    }
    lda_buf_addc(b, (char)q->dtype);
    add_varint(b, zigzag(q->start));
    add_varint(b, (uint64_t)(q->end - q->start));
    add_varint(b, q->buy_qty);
    add_varint(b, q->sell_qty);
    if (q->dtype == LDA_LAYERING) {
        lda_buf_addc(b, (char)(q->side == LDA_SELL));
        add_varint(b, q->num_cancelled);
        add_varint(b, q->norders);
        int64_t prev = q->start;
        for (uint32_t i = 0; i < q->norders; i++) {
            int64_t t = l->orders[q->orders_off + i];
            add_varint(b, zigzag(t - prev));
            prev = t;
        }
    } else {
        add_double(b, q->alt_pct);
        lda_buf_addc(b, (char)q->has_pc);
        if (q->has_pc)
            add_double(b, q->pc_pct);
    }
    add_evidence(b, l, q);
}

int lda_wire_seqs_encode(const lda_seqlist *l, lda_buf *out)
{
    add_varint(out, l->n);
    for (size_t i = 0; i < l->n; i++)
        add_seq(out, l, &l->v[i], i > 0 && l->v[i].key == l->v[i - 1].key);
    return out->oom ? -1 : 0;
}

static bool rd_byte(wire_rd *r, unsigned *c)
{
    if (r->i == r->n)
        return false;
    *c = r->p[r->i++];
    return true;
}

static bool rd_double(wire_rd *r, double *x)
{
    uint64_t u = 0;
    if (r->n - r->i < 8)
        return false;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)r->p[r->i + (size_t)i] << (8 * i);
    r->i += 8;
    memcpy(x, &u, sizeof u);
    return true;
}

/* t + the zigzag-coded step z, when the result is a valid time. */
static bool step_time(int64_t t, uint64_t z, int64_t *out)
{
    uint64_t mag = z >> 1;
    if (mag > TIME_STEP_MAX)
        return false;
    *out = z & 1 ? t - (int64_t)mag - 1 : t + (int64_t)mag;
    return lda_time_in_range(*out);
}

/* The key of the next sequence: a new (account, product) or, with a zero
 * length, the previous sequence's. UINT32_MAX - 1 = invalid, UINT32_MAX =
 * OOM. */
static uint32_t rd_seq_key(wire_rd *r, lda_seqlist *l)
{
    lda_text acc, prod;
    size_t at = r->i;
    uint64_t n;
    if (!rd_varint(r, &n))
        return UINT32_MAX - 1;
    if (n == 0)
        return l->n ? l->v[l->n - 1].key : UINT32_MAX - 1;
    r->i = at;
    if (!rd_text(r, LDA_ID_MAX, &acc) || !rd_text(r, LDA_ID_MAX, &prod) ||
        !lda_valid_id(acc.p, acc.n) || !lda_valid_utf8(acc.p, acc.n) ||
        !lda_valid_id(prod.p, prod.n) || !lda_valid_utf8(prod.p, prod.n))
        return UINT32_MAX - 1;
    return lda_seqlist_key(l, acc.p, acc.n, prod.p, prod.n);
}

/* The LAYERING fields of q; false when invalid. -1 on OOM via *oom. */
static bool rd_layering(wire_rd *r, lda_seqlist *l, lda_seq *q, bool *oom)
{
    unsigned side;
    uint64_t nc, no;
    if (!rd_byte(r, &side) || side > 1 || !rd_varint(r, &nc) ||
        nc > (uint64_t)INT64_MAX || !rd_varint(r, &no) || no > r->n - r->i ||
        no > UINT32_MAX)
        return false;
    q->side = (int8_t)(side ? LDA_SELL : LDA_BUY);
    q->num_cancelled = nc;
    int64_t *ts = malloc((no ? (size_t)no : 1) * sizeof *ts);
    if (!ts) {
        *oom = true;
        return false;
    }
    int64_t prev = q->start;
    bool ok = true;
    for (uint64_t i = 0; ok && i < no; i++) {
        uint64_t z;
        ok = rd_varint(r, &z) && step_time(prev, z, &ts[i]);
        if (ok)
            prev = ts[i];
    }
    if (ok && !lda_seqlist_set_orders(l, q, ts, (size_t)no)) {
        *oom = true;
        ok = false;
    }
    free(ts);
    return ok;
}

static bool rd_wash(wire_rd *r, lda_seq *q)
{
    unsigned has_pc;
    if (!rd_double(r, &q->alt_pct) || !isfinite(q->alt_pct) ||
        q->alt_pct < 0.0 || q->alt_pct > 100.0 || !rd_byte(r, &has_pc) ||
        has_pc > 1)
        return false;
    q->has_alt = true;
    q->has_pc = has_pc;
    return !has_pc || (rd_double(r, &q->pc_pct) && isfinite(q->pc_pct) &&
                       q->pc_pct >= 0.0);
}

/* The evidence of q (add_evidence); false when invalid, *oom on OOM. */
static bool rd_evidence(wire_rd *r, lda_seqlist *l, lda_seq *q, bool *oom)
{
    unsigned has;
    uint64_t n, x, obs0 = 0, obs1 = 0;
    if (!rd_byte(r, &has) || has > 1)
        return false;
    if (!has)
        return true;
    if (!rd_varint(r, &n) || n > r->n - r->i)
        return false;
    uint32_t *rec = malloc((n ? (size_t)n : 1) * sizeof *rec);
    if (!rec) {
        *oom = true;
        return false;
    }
    uint64_t prev = 0;
    bool ok = true;
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = rd_varint(r, &x) && x <= LDA_RECORD_MAX - prev &&
             (prev += x) >= 2;
        if (ok)
            rec[i] = (uint32_t)prev;
    }
    ok = ok && rd_varint(r, &obs0) && obs0 <= (uint64_t)INT64_MAX &&
         rd_varint(r, &obs1) &&
         (q->dtype == LDA_LAYERING ? step_time(q->start, obs1, &q->obs_ts)
                                   : obs1 <= (uint64_t)INT64_MAX);
    if (ok && !lda_seqlist_set_records(l, q, rec, (size_t)n))
        *oom = true;
    free(rec);
    q->obs_n[0] = obs0;
    q->obs_n[1] = q->dtype == LDA_LAYERING ? 0 : obs1;
    return ok && !*oom;
}

/* One sequence appended to l: 0, -1 invalid, -2 out of memory. */
static int rd_seq(wire_rd *r, lda_seqlist *l)
{
    uint32_t key = rd_seq_key(r, l);
    if (key == UINT32_MAX)
        return -2;
    if (key == UINT32_MAX - 1)
        return -1;
    unsigned dtype;
    uint64_t zs, d, buy, sell;
    int64_t start, end;
    if (!rd_byte(r, &dtype) || dtype > LDA_WASH || !rd_varint(r, &zs) ||
        !step_time(0, zs, &start) || !rd_varint(r, &d) || d > TIME_STEP_MAX ||
        !lda_time_in_range(end = start + (int64_t)d) || !rd_varint(r, &buy) ||
        buy > (uint64_t)INT64_MAX || !rd_varint(r, &sell) ||
        sell > (uint64_t)INT64_MAX)
        return -1;
    lda_seq *q = lda_seqlist_push(l);
    if (!q)
        return -2;
    q->key = key;
    q->dtype = (uint8_t)dtype;
    q->start = start;
    q->end = end;
    q->buy_qty = buy;
    q->sell_qty = sell;
    bool oom = false;
    if ((dtype == LDA_LAYERING ? rd_layering(r, l, q, &oom) : rd_wash(r, q)) &&
        rd_evidence(r, l, &l->v[l->n - 1], &oom))
        return 0;
    l->n--; /* drop the half-read sequence */
    return oom ? -2 : -1;
}

bool lda_wire_seqs_decode(const char *p, size_t n, size_t *pos, lda_seqlist *l,
                          lda_err *e)
{
    wire_rd r = {(const unsigned char *)p, n, *pos};
    uint64_t count;
    if (*pos > n || !rd_varint(&r, &count))
        return bad(e, "byte", *pos, "truncated sequence list");
    if (count > (n - r.i) / SEQ_MIN_BYTES)
        return bad(e, "byte", *pos, "more sequences than bytes");
    for (uint64_t i = 1; i <= count; i++) {
        int st = rd_seq(&r, l);
        if (st == -2)
            return lda_err_msg(e, LDA_MSG_NOMEM);
        if (st < 0)
            return bad(e, "sequence", i, "invalid or truncated");
    }
    *pos = r.i;
    return true;
}
