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

#include <stdatomic.h>
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
    lda_buf *out;  /* a piece of lda_fingerprint_par: lines go here */
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
    if (c->out) {
        lda_buf_add(c->out, p, n);
        c->failed = c->failed || c->out->oom;
        return;
    }
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

/* The lines of the events [i0, i1) of g (i0 and i1 at the edges of runs
 * of equal timestamps). */
static void put_group(fp_ctx *c, const lda_group *g, size_t i0, size_t i1,
                      lda_buf *prefix)
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
    for (size_t i = i0; i < i1 && !c->failed;) {
        const lda_event *e = lda_group_ev(c->s, g, i);
        size_t j = i + 1;
        while (j < i1 && lda_group_ev(c->s, g, j)->ts == e->ts)
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
            put_group(&c, &s->groups[gs[g]], 0, s->groups[gs[g]].count,
                      &prefix);
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

/* ---- lda_fingerprint_par ------------------------------------------------ */

#define PIECE_EVENTS 4096 /* events per piece, about 350 KB of lines */
#define RING 8            /* pieces built and not yet hashed, at most */

/* A piece of the canonical text: from event e0 of sorted group g0 to event
 * e1 of sorted group g1 (exclusive; e1 = 0 means up to the end of g1 - 1).
 * Cuts inside a group fall between runs of equal timestamps. */
typedef struct fp_piece {
    size_t g0, e0, g1, e1;
} fp_piece;

/* The work shared by every thread: piece i is built into buf[i % RING]
 * (ready[i % RING] = i + 1 once built) and hashed in order by whichever
 * thread holds `hashing`; a piece may be claimed for building only when
 * the one before it in its buffer is hashed. */
struct lda_fpwork {
    const lda_set *s;
    const lda_par *par;
    const uint32_t *gs; /* the groups in line order */
    fp_piece *piece;
    size_t npieces;
    lda_buf buf[RING];
    atomic_size_t ready[RING];
    atomic_size_t next;   /* the next piece to claim for building */
    atomic_size_t hashed; /* pieces hashed */
    atomic_flag hashing;
    atomic_bool failed;
    lda_sha256 md;
    bool md_ok;
};

/* Cut the sorted groups into pieces; returns how many (at most cap). */
static size_t cut_pieces(const lda_set *s, const uint32_t *gs, fp_piece *pc,
                         size_t cap)
{
    size_t n = 0, g = 0, e = 0;
    while (g < s->ngroups && n < cap) {
        fp_piece p = {g, e, g, 0};
        size_t room = PIECE_EVENTS;
        while (g < s->ngroups && room) {
            const lda_group *gr = &s->groups[gs[g]];
            if (gr->count - e <= room) {
                room -= gr->count - e;
                g++, e = 0;
                continue;
            }
            size_t j = e + room; /* cut inside the group, at a run edge */
            while (j < gr->count && lda_group_ev(s, gr, j)->ts ==
                                        lda_group_ev(s, gr, j - 1)->ts)
                j++;
            if (j == gr->count)
                g++, j = 0;
            e = j;
            room = 0;
        }
        p.g1 = g;
        p.e1 = e;
        pc[n++] = p;
    }
    return g < s->ngroups ? 0 : n;
}

/* Build the lines of piece k into out. */
static bool build_piece(const lda_fpwork *fp, const fp_piece *p, lda_buf *out)
{
    fp_ctx c = {.s = fp->s, .out = out};
    c.sink.mask = LDA_FP_ALL;
    lda_buf prefix;
    lda_buf_init(&prefix);
    lda_buf_init(&c.tails);
    lda_buf_reset(out);
    for (size_t g = p->g0; g <= p->g1 && g < fp->s->ngroups && !c.failed;
         g++) {
        const lda_group *gr = &fp->s->groups[fp->gs[g]];
        size_t i0 = g == p->g0 ? p->e0 : 0;
        size_t i1 = g == p->g1 ? p->e1 : gr->count;
        if (i1 > i0)
            put_group(&c, gr, i0, i1, &prefix);
    }
    free(c.tail_off);
    lda_buf_free(&prefix);
    lda_buf_free(&c.tails);
    return !c.failed;
}

/* Hash the built pieces from `hashed` on, in order, if no other thread
 * does; true when it hashed any. */
static bool hash_ready(lda_fpwork *fp)
{
    size_t h = atomic_load(&fp->hashed);
    if (h == fp->npieces || atomic_load(&fp->ready[h % RING]) != h + 1 ||
        atomic_flag_test_and_set(&fp->hashing))
        return false;
    h = atomic_load(&fp->hashed); /* only the holder moves it */
    bool any = false;
    while (h < fp->npieces && atomic_load(&fp->ready[h % RING]) == h + 1) {
        const lda_buf *b = &fp->buf[h % RING];
        lda_sha256_update(&fp->md, b->data, b->len);
        atomic_store(&fp->hashed, ++h);
        any = true;
    }
    atomic_flag_clear(&fp->hashing);
    return any;
}

/* Claim and build the next piece if its buffer is free; true when built
 * (or failed: then every thread stops). */
static bool build_next(lda_fpwork *fp)
{
    size_t i = atomic_load(&fp->next);
    if (i >= fp->npieces || i >= atomic_load(&fp->hashed) + RING ||
        !atomic_compare_exchange_strong(&fp->next, &i, i + 1))
        return false;
    if (!build_piece(fp, &fp->piece[i], &fp->buf[i % RING]))
        atomic_store(&fp->failed, true);
    atomic_store(&fp->ready[i % RING], i + 1);
    return true;
}

/* One thread's share: hash what is ready, else build the next piece, else
 * wait for the thread that builds the piece to hash (or hashes the piece
 * whose buffer is wanted), until every piece is hashed. One thread alone
 * builds and hashes by turns, so helpers may also run one after the
 * other. */
void lda_fpwork_help(lda_fpwork *fp)
{
    while (!atomic_load(&fp->failed) && atomic_load(&fp->hashed) < fp->npieces)
        if (!hash_ready(fp) && !build_next(fp))
            lda_par_relax(fp->par);
}

lda_fpwork *lda_fpwork_new(const lda_set *s, const lda_par *par)
{
    size_t cap = s->n / PIECE_EVENTS + 2;
    lda_fpwork *fp = calloc(1, sizeof *fp);
    if (!fp)
        return NULL;
    fp->s = s;
    fp->par = par;
    for (size_t i = 0; i < RING; i++) {
        lda_buf_init(&fp->buf[i]);
        atomic_init(&fp->ready[i], 0);
    }
    atomic_init(&fp->next, 0);
    atomic_init(&fp->hashed, 0);
    atomic_flag_clear(&fp->hashing);
    uint32_t *gs = malloc((s->ngroups ? s->ngroups : 1) * sizeof *gs);
    fp->gs = gs;
    fp->piece = malloc(cap * sizeof *fp->piece);
    fp->md_ok = lda_sha256_init(&fp->md);
    bool ok = gs && fp->piece && fp->md_ok;
    if (ok) {
        for (size_t g = 0; g < s->ngroups; g++)
            gs[g] = (uint32_t)g;
        qsort_r(gs, s->ngroups, sizeof *gs, cmp_group, (void *)s);
        fp->npieces = cut_pieces(s, gs, fp->piece, cap);
    }
    atomic_init(&fp->failed, !ok || (s->n > 0 && fp->npieces == 0));
    return fp;
}

int lda_fpwork_end(lda_fpwork *fp, char hex[65])
{
    if (!fp)
        return -1;
    bool ok = !atomic_load(&fp->failed);
    if (fp->md_ok)
        ok = lda_sha256_hex(&fp->md, hex) && ok;
    for (size_t i = 0; i < RING; i++)
        lda_buf_free(&fp->buf[i]);
    free((void *)fp->gs);
    free(fp->piece);
    free(fp);
    return ok ? 0 : -1;
}

static void fpwork_job(void *arg, size_t k)
{
    (void)k;
    lda_fpwork_help(arg);
}

int lda_fingerprint_par(const lda_set *s, const lda_par *par, char hex[65])
{
    size_t threads = lda_par_threads(par);
    if (threads <= 1 || s->n < 2 * PIECE_EVENTS)
        return lda_fingerprint(s, hex);
    lda_fpwork *fp = lda_fpwork_new(s, par);
    if (fp)
        lda_par_run(par, threads, fpwork_job, fp);
    return lda_fpwork_end(fp, hex);
}
