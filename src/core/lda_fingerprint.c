/* lda_fingerprint: SHA-256 of the canonical event lines (see the header).
 *
 * The sorted order of the lines is produced without sorting text: groups
 * are sorted by (account, product) bytewise (TAB sorts below every byte an
 * id may hold, so this equals the line order), events inside a group are
 * already in time order (the fixed-width timestamp makes that the line
 * order), and only runs of equal timestamps are sorted by their tails. */
#include "lda_fingerprint.h"
#include "lda_time.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define FLUSH_AT (64 * 1024)

typedef struct fp_ctx {
    const lda_set *s;
    EVP_MD_CTX *md;
    lda_buf line;            /* pending bytes for the digest */
    lda_buf tails;           /* tails of one equal-timestamp run */
    size_t *tail_off;        /* offsets of the run's tails in `tails` */
    size_t tail_cap;
    bool failed;
} fp_ctx;

static int cmp_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static int cmp_group(const void *pa, const void *pb, void *arg)
{
    const lda_set *s = arg;
    const lda_group *a = &s->groups[*(const uint32_t *)pa];
    const lda_group *b = &s->groups[*(const uint32_t *)pb];
    const char *t = s->text.data;
    int c = cmp_bytes(t + a->acc_off, a->acc_len, t + b->acc_off, b->acc_len);
    if (c)
        return c;
    return cmp_bytes(t + a->prod_off, a->prod_len, t + b->prod_off,
                     b->prod_len);
}

static void flush(fp_ctx *c, bool force)
{
    if (c->line.oom)
        c->failed = true;
    if (c->failed || (!force && c->line.len < FLUSH_AT))
        return;
    if (EVP_DigestUpdate(c->md, c->line.data, c->line.len) != 1)
        c->failed = true;
    lda_buf_reset(&c->line);
}

static void put_u64(lda_buf *b, uint64_t v)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[sizeof tmp - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    lda_buf_add(b, tmp + sizeof tmp - n, n);
}

/* The part of a line after the timestamp: SIDE TYPE qty price LF. */
static void put_tail(lda_buf *b, const lda_set *s, const lda_event *e)
{
    lda_buf_addc(b, '\t');
    lda_buf_adds(b, lda_side_names[e->side]);
    lda_buf_addc(b, '\t');
    lda_buf_adds(b, lda_type_names[e->type]);
    lda_buf_addc(b, '\t');
    put_u64(b, e->qty);
    lda_buf_addc(b, '\t');
    lda_buf_add(b, lda_set_str(s, e->price_off), e->price_len);
    lda_buf_addc(b, '\n');
}

static void put_head(fp_ctx *c, const lda_group *g, int64_t ts)
{
    char t[LDA_TIME_MAX];
    lda_buf_add(&c->line, lda_set_str(c->s, g->acc_off), g->acc_len);
    lda_buf_addc(&c->line, '\t');
    lda_buf_add(&c->line, lda_set_str(c->s, g->prod_off), g->prod_len);
    lda_buf_addc(&c->line, '\t');
    lda_buf_add(&c->line, t, lda_time_format_fixed(ts, t));
}

static int cmp_tail(const void *pa, const void *pb, void *arg)
{
    const lda_buf *tails = arg;
    size_t a = ((const size_t *)pa)[0], an = ((const size_t *)pa)[1] - a;
    size_t b = ((const size_t *)pb)[0], bn = ((const size_t *)pb)[1] - b;
    return cmp_bytes(tails->data + a, an, tails->data + b, bn);
}

/* Lines of the events [i, j) of g, which share one timestamp. */
static void put_run(fp_ctx *c, const lda_group *g, size_t i, size_t j)
{
    if (j - i == 1) {
        put_head(c, g, lda_group_ev(c->s, g, i)->ts);
        put_tail(&c->line, c->s, lda_group_ev(c->s, g, i));
        return;
    }
    size_t n = j - i;
    if (n * 2 > c->tail_cap) {
        size_t *p = realloc(c->tail_off, n * 2 * sizeof *p);
        if (!p) {
            c->failed = true;
            return;
        }
        c->tail_off = p;
        c->tail_cap = n * 2;
    }
    lda_buf_reset(&c->tails);
    for (size_t k = 0; k < n; k++) {
        c->tail_off[2 * k] = c->tails.len;
        put_tail(&c->tails, c->s, lda_group_ev(c->s, g, i + k));
        c->tail_off[2 * k + 1] = c->tails.len;
    }
    if (c->tails.oom) {
        c->failed = true;
        return;
    }
    qsort_r(c->tail_off, n, 2 * sizeof *c->tail_off, cmp_tail, &c->tails);
    for (size_t k = 0; k < n; k++) {
        put_head(c, g, lda_group_ev(c->s, g, i)->ts);
        lda_buf_add(&c->line, c->tails.data + c->tail_off[2 * k],
                    c->tail_off[2 * k + 1] - c->tail_off[2 * k]);
        flush(c, false);
    }
}

static void put_group(fp_ctx *c, const lda_group *g)
{
    for (size_t i = 0; i < g->count && !c->failed;) {
        int64_t ts = lda_group_ev(c->s, g, i)->ts;
        size_t j = i + 1;
        while (j < g->count && lda_group_ev(c->s, g, j)->ts == ts)
            j++;
        put_run(c, g, i, j);
        flush(c, false);
        i = j;
    }
}

int lda_fingerprint(const lda_set *s, char hex[65])
{
    fp_ctx c = {.s = s};
    lda_buf_init(&c.line);
    lda_buf_init(&c.tails);
    uint32_t *gs = malloc((s->ngroups ? s->ngroups : 1) * sizeof *gs);
    c.md = EVP_MD_CTX_new();
    c.failed = !gs || !c.md || EVP_DigestInit_ex(c.md, EVP_sha256(), NULL) != 1;
    if (!c.failed) {
        for (size_t g = 0; g < s->ngroups; g++)
            gs[g] = (uint32_t)g;
        qsort_r(gs, s->ngroups, sizeof *gs, cmp_group, (void *)s);
        for (size_t g = 0; g < s->ngroups && !c.failed; g++)
            put_group(&c, &s->groups[gs[g]]);
        flush(&c, true);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!c.failed && (EVP_DigestFinal_ex(c.md, md, &mdlen) != 1 || mdlen != 32))
        c.failed = true;
    if (!c.failed) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned i = 0; i < 32; i++) {
            hex[2 * i] = digits[md[i] >> 4];
            hex[2 * i + 1] = digits[md[i] & 15];
        }
        hex[64] = '\0';
    }
    EVP_MD_CTX_free(c.md);
    free(gs);
    free(c.tail_off);
    lda_buf_free(&c.line);
    lda_buf_free(&c.tails);
    return c.failed ? -1 : 0;
}
