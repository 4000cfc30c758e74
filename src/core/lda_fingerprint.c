/* lda_fingerprint: SHA-256 of the canonical event lines (see the header).
 *
 * The sorted order of the lines is produced without sorting text: the
 * groups the selection takes (lda_select: all, or one shard's) are sorted
 * by (account, product) bytewise (TAB sorts below every byte an
 * id may hold, so this equals the line order), events inside a group are
 * already in time order (the fixed-width timestamp makes that the line
 * order), and only runs of equal timestamps are sorted by their tails.
 * Lines are written straight into a 64 KiB staging buffer that is fed to
 * the digest whenever it fills. A usual line is built whole in one local
 * buffer first; its timestamp reuses the date of the previous line (same
 * day, as a rule) and writes the time of day from a digit-pair table. */
#include "lda_fingerprint.h"
#include "lda_mem.h"
#include "lda_sha256.h"
#include "lda_time.h"

#include <stdlib.h>
#include <string.h>

#define STAGE (64 * 1024)
#define TAIL_MAX 64 /* TAB SIDE TAB TYPE TAB qty TAB, no price */

/* One digest being fed: the lines of the events whose type is in mask. */
typedef struct fp_sink {
    lda_sha256 md;
    char *stage; /* STAGE bytes */
    size_t used;
    unsigned mask; /* event types included: 1u << type */
} fp_sink;

typedef struct fp_ctx {
    const lda_set *s;
    fp_sink sink;
    const char *prefix; /* "account TAB product TAB" of the group */
    size_t prefix_len;
    lda_buf tails;    /* tails of one equal-timestamp run */
    size_t *tail_off; /* [start, end, type] triples */
    size_t tail_cap;
    int64_t day;   /* the day whose date is in date[] */
    char date[11]; /* "YYYY-MM-DDT" of day */
    bool have_day;
    bool failed;
} fp_ctx;

static int cmp_group(const void *pa, const void *pb, void *arg)
{
    const lda_set *s = arg;
    const lda_group *a = &s->groups[*(const uint32_t *)pa];
    const lda_group *b = &s->groups[*(const uint32_t *)pb];
    const char *t = s->text.data;
    int c = lda_mem_cmp(t + a->acc_off, a->acc_len, t + b->acc_off,
                        b->acc_len);
    if (c)
        return c;
    return lda_mem_cmp(t + a->prod_off, a->prod_len, t + b->prod_off,
                       b->prod_len);
}

/* Feed bytes to one digest through its staging buffer. */
static void sink_add(fp_ctx *c, fp_sink *k, const char *p, size_t n)
{
    while (n && !c->failed) {
        if (k->used == STAGE) {
            lda_sha256_update(&k->md, k->stage, k->used);
            k->used = 0;
        }
        size_t m = STAGE - k->used < n ? STAGE - k->used : n;
        memcpy(k->stage + k->used, p, m);
        k->used += m;
        p += m;
        n -= m;
    }
}

/* One canonical line, in pieces, to the digest if it takes its type. */
static void emit_line(fp_ctx *c, unsigned type, const char *ts, size_t tsn,
                      const char *tail, size_t tailn, const char *price,
                      size_t pricen, bool newline)
{
    fp_sink *k = &c->sink;
    if (!(k->mask & (1u << type)))
        return;
    sink_add(c, k, c->prefix, c->prefix_len);
    sink_add(c, k, ts, tsn);
    sink_add(c, k, tail, tailn);
    sink_add(c, k, price, pricen);
    if (newline)
        sink_add(c, k, "\n", 1);
}

#define US_PER_DAY (86400LL * 1000000LL)
#define LINE_FAST 1024 /* lines up to this long are built whole */

static const char pairs[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

static void put2(char *p, unsigned v)
{
    memcpy(p, pairs + 2 * v, 2);
}

/* lda_time_format_fixed(us) (27 bytes) without its calendar arithmetic on
 * every line: events come in time order inside a group, so most lines share
 * the day of the previous one, whose "YYYY-MM-DDT" is kept; the time of day
 * is written with a digit-pair table. */
static size_t fmt_ts(fp_ctx *c, int64_t us, char *out)
{
    int64_t day = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        day--;
    }
    if (!c->have_day || day != c->day) {
        char t[LDA_TIME_MAX];
        if (lda_time_format_fixed(day * US_PER_DAY, t) != 27)
            return lda_time_format_fixed(us, out);
        memcpy(c->date, t, 11);
        c->day = day;
        c->have_day = true;
    }
    unsigned secs = (unsigned)(rem / 1000000),
             frac = (unsigned)(rem % 1000000);
    memcpy(out, c->date, 11);
    put2(out + 11, secs / 3600);
    out[13] = ':';
    put2(out + 14, secs / 60 % 60);
    out[16] = ':';
    put2(out + 17, secs % 60);
    out[19] = '.';
    put2(out + 20, frac / 10000);
    put2(out + 22, frac / 100 % 100);
    put2(out + 24, frac % 100);
    out[26] = 'Z';
    return 27;
}

static char *put_u64(char *p, uint64_t v)
{
    return p + lda_u64_dec(p, v);
}

/* TAB SIDE TAB TYPE TAB qty TAB at t (TAIL_MAX bytes); returns the
 * length. */
static size_t make_tail(char *t, const lda_event *e)
{
    static const size_t side_len[2] = {3, 4}, type_len[3] = {12, 15, 14};
    char *p = t;
    *p++ = '\t';
    memcpy(p, lda_side_names[e->side], side_len[e->side]);
    p += side_len[e->side];
    *p++ = '\t';
    memcpy(p, lda_type_names[e->type], type_len[e->type]);
    p += type_len[e->type];
    *p++ = '\t';
    p = put_u64(p, e->qty);
    *p++ = '\t';
    return (size_t)(p - t);
}

static void put_line(fp_ctx *c, const lda_event *e)
{
    size_t pn = e->price_len;
    const char *price = lda_event_price(c->s, e);
    if (c->prefix_len + 27 + TAIL_MAX + pn + 1 <= LINE_FAST) {
        /* The usual line: built whole, then copied to the digest. */
        char line[LINE_FAST], *p = line;
        memcpy(p, c->prefix, c->prefix_len);
        p += c->prefix_len;
        p += fmt_ts(c, e->ts, p);
        p += make_tail(p, e);
        memcpy(p, price, pn);
        p += pn;
        *p++ = '\n';
        if (c->sink.mask & (1u << e->type))
            sink_add(c, &c->sink, line, (size_t)(p - line));
        return;
    }
    char ts[LDA_TIME_MAX], t[TAIL_MAX + 1];
    size_t tn = make_tail(t, e);
    emit_line(c, e->type, ts, fmt_ts(c, e->ts, ts), t, tn, price, pn, true);
}

static int cmp_tail(const void *pa, const void *pb, void *arg)
{
    const lda_buf *tails = arg;
    size_t a = ((const size_t *)pa)[0], an = ((const size_t *)pa)[1] - a;
    size_t b = ((const size_t *)pb)[0], bn = ((const size_t *)pb)[1] - b;
    return lda_mem_cmp(tails->data + a, an, tails->data + b, bn);
}

/* Lines of the events [i, j) of g, which share one timestamp: their tails
 * (everything after the timestamp) sorted bytewise. A digest that takes
 * only some types gets the same order restricted to them. */
static void put_run(fp_ctx *c, const lda_group *g, size_t i, size_t j)
{
    size_t n = j - i;
    if (n * 3 > c->tail_cap) {
        size_t *p = realloc(c->tail_off, n * 3 * sizeof *p);
        if (!p) {
            c->failed = true;
            return;
        }
        c->tail_off = p;
        c->tail_cap = n * 3;
    }
    lda_buf_reset(&c->tails);
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        const lda_event *e = lda_group_ev(c->s, g, i + k);
        char t[TAIL_MAX];
        if (!(c->sink.mask & (1u << e->type)))
            continue;
        c->tail_off[3 * m] = c->tails.len;
        lda_buf_add(&c->tails, t, make_tail(t, e));
        lda_buf_add(&c->tails, lda_event_price(c->s, e), e->price_len);
        lda_buf_addc(&c->tails, '\n');
        c->tail_off[3 * m + 1] = c->tails.len;
        c->tail_off[3 * m++ + 2] = e->type;
    }
    if (c->tails.oom) {
        c->failed = true;
        return;
    }
    qsort_r(c->tail_off, m, 3 * sizeof *c->tail_off, cmp_tail, &c->tails);
    char ts[LDA_TIME_MAX];
    size_t tsn = fmt_ts(c, lda_group_ev(c->s, g, i)->ts, ts);
    for (size_t k = 0; k < m; k++) {
        const size_t *o = &c->tail_off[3 * k];
        emit_line(c, (unsigned)o[2], ts, tsn, c->tails.data + o[0],
                  o[1] - o[0], "", 0, false);
    }
}

static void put_group(fp_ctx *c, const lda_group *g, lda_buf *prefix)
{
    lda_buf_reset(prefix);
    lda_buf_add(prefix, lda_set_str(c->s, g->acc_off), g->acc_len);
    lda_buf_addc(prefix, '\t');
    lda_buf_add(prefix, lda_set_str(c->s, g->prod_off), g->prod_len);
    lda_buf_addc(prefix, '\t');
    if (prefix->oom) {
        c->failed = true;
        return;
    }
    c->prefix = prefix->data;
    c->prefix_len = prefix->len;
    for (size_t i = 0; i < g->count && !c->failed;) {
        const lda_event *e = lda_group_ev(c->s, g, i);
        size_t j = i + 1;
        while (j < g->count && lda_group_ev(c->s, g, j)->ts == e->ts)
            j++;
        if (j == i + 1) {
            if (c->sink.mask & (1u << e->type))
                put_line(c, e);
        } else
            put_run(c, g, i, j);
        i = j;
    }
}

int lda_fingerprint(const lda_set *s, char hex[65])
{
    return lda_fingerprint_mask(s, LDA_FP_ALL, hex);
}

int lda_fingerprint_mask(const lda_set *s, unsigned mask, char hex[65])
{
    lda_select all = {mask, NULL, 0};
    return lda_fingerprint_sel(s, &all, hex);
}

int lda_fingerprint_sel(const lda_set *s, const lda_select *sel, char hex[65])
{
    fp_ctx c = {.s = s};
    fp_sink *k = &c.sink;
    lda_buf prefix;
    lda_buf_init(&prefix);
    lda_buf_init(&c.tails);
    uint32_t *gs = malloc((s->ngroups ? s->ngroups : 1) * sizeof *gs);
    k->mask = sel->mask;
    k->stage = malloc(STAGE);
    bool md_ok = lda_sha256_init(&k->md);
    c.failed = !gs || !k->stage || !md_ok;
    if (!c.failed) {
        size_t ng = 0;
        for (size_t g = 0; g < s->ngroups; g++)
            if (lda_select_group(sel, g))
                gs[ng++] = (uint32_t)g;
        qsort_r(gs, ng, sizeof *gs, cmp_group, (void *)s);
        for (size_t g = 0; g < ng && !c.failed; g++)
            put_group(&c, &s->groups[gs[g]], &prefix);
    }
    if (md_ok) {
        if (!c.failed)
            lda_sha256_update(&k->md, k->stage, k->used);
        c.failed = !lda_sha256_hex(&k->md, hex) || c.failed;
    }
    free(k->stage);
    free(gs);
    free(c.tail_off);
    lda_buf_free(&prefix);
    lda_buf_free(&c.tails);
    return c.failed ? -1 : 0;
}
