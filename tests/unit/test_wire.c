/* test_wire: the binary internal form (lda_wire).
 *
 * A set loaded from CSV is encoded for every type mask and decoded again:
 * the decoded set must hold exactly the masked events, in the same group
 * order, and have the masked fingerprint. One small body is checked byte
 * for byte against the format in lda_wire.h. Then hostile bodies: every
 * prefix of a valid body, a trailing byte, wrong counts, bad varints, tags,
 * ids, prices, quantities and times must each be refused with their reason,
 * and more events than allowed is TOO_MANY. Sequence lists (the results in
 * the binary aggregate request) round-trip bit for bit, and corrupt ones
 * are refused. */
#include "lda_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lda_fingerprint.h"
#include "lda_wire.h"

/* The decoders return false with an lda_err; the tests name the outcome
 * by its status (400 invalid, 413 too many, 500 out of memory), with the
 * message in err. */
enum { WIRE_OK, WIRE_INVALID, WIRE_TOO_MANY, WIRE_NOMEM };

static int outcome(bool ok, const lda_err *e, char *err, size_t errlen)
{
    if (ok)
        return WIRE_OK;
    size_t n = strnlen(e->msg, sizeof e->msg);
    if (errlen) {
        n = n < errlen ? n : errlen - 1;
        memcpy(err, e->msg, n);
        err[n] = '\0';
    }
    return e->status == 413   ? WIRE_TOO_MANY
           : e->status == 500 ? WIRE_NOMEM
                              : WIRE_INVALID;
}

static int wire_decode(const char *p, size_t n, uint64_t max, lda_set *set,
                       char *err, size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return outcome(lda_wire_decode(p, n, max, set, &e), &e, err, errlen);
}

static int seqs_decode(const char *p, size_t n, size_t *pos, lda_seqlist *l,
                       char *err, size_t errlen)
{
    lda_err e;
    lda_err_init(&e);
    return outcome(lda_wire_seqs_decode(p, n, pos, l, &e), &e, err, errlen);
}

/* Groups out of order, ties, a quoted id with a comma, a price longer than
 * the inline limit, times before 1970 and at both ends of the range. */
static const char *const wire_csv = LDA_CSV_HEADER
    "2025-01-01T00:00:02+01:00,\"a,\"\"1\",P,sell,1.5e2,+7,trade_executed\n"
    "2024-12-31T23:00:01Z,\"a,\"\"1\",P,BUY,100.00,3,ORDER_PLACED\n"
    "2025-01-01T00:00:00Z,B,Q,BUY,.5,1000000000000,ORDER_CANCELLED\n"
    "2024-12-31T23:00:01Z,\"a,\"\"1\",P,BUY,99,4,ORDER_CANCELLED\n"
    "1900-05-05T12:00:00.000001Z,B,Q,SELL,"
    "1.000000000000000000000000000001,9,TRADE_EXECUTED\n"
    "0000-01-01T00:00:00Z,Ω,Q,BUY,1,1,TRADE_EXECUTED\n"
    "9999-12-31T23:59:59.999999Z,Ω,Q,SELL,2,2,TRADE_EXECUTED\n"
    "2024-12-31T23:00:01Z,\"a,\"\"1\",P,SELL,98,5,TRADE_EXECUTED\n";

static bool load(const char *csv, lda_set *set)
{
    size_t n = strlen(csv);
    char *buf = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    memcpy(buf, csv, n + 1);
    lda_rejects rej;
    char err[128];
    lda_set_init(set);
    bool ok = lda_test_csv_load(buf, n, 0, set, &rej, err, sizeof err) ==
                  LOAD_OK &&
              rej.count == 0 && lda_set_finish(set);
    CU_ASSERT(ok);
    /* the set keeps no pointer into buf: ids and prices are copied */
    free(buf);
    return ok;
}

static bool same_text(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && memcmp(a, b, an) == 0;
}

/* The decoded set d holds exactly the events of s in mask, same order. */
static void assert_masked_copy(const lda_set *s, unsigned mask,
                               const lda_set *d)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const lda_event *e = &s->ev[i];
        if (!((mask >> e->type) & 1u))
            continue;
        CU_ASSERT_FATAL(k < d->n);
        const lda_event *f = &d->ev[k++];
        const lda_group *ge = &s->groups[e->group], *gf = &d->groups[f->group];
        CU_ASSERT(e->ts == f->ts && e->qty == f->qty && e->side == f->side &&
                  e->type == f->type && e->price == f->price);
        CU_ASSERT(same_text(lda_event_price(s, e), e->price_len,
                            lda_event_price(d, f), f->price_len));
        CU_ASSERT(same_text(lda_set_str(s, ge->acc_off), ge->acc_len,
                            lda_set_str(d, gf->acc_off), gf->acc_len));
        CU_ASSERT(same_text(lda_set_str(s, ge->prod_off), ge->prod_len,
                            lda_set_str(d, gf->prod_off), gf->prod_len));
    }
    CU_ASSERT_EQUAL(k, d->n);
}

static void test_round_trip(void)
{
    lda_set s;
    if (!load(wire_csv, &s))
        return;
    for (unsigned mask = 1; mask <= LDA_FP_ALL; mask++) {
        lda_buf b;
        lda_buf_init(&b);
        CU_ASSERT_EQUAL_FATAL(lda_wire_encode(&s, mask, &b), 0);
        lda_set d;
        lda_set_init(&d);
        char err[160] = "";
        CU_ASSERT_EQUAL(wire_decode(b.data, b.len, 0, &d, err, sizeof err),
                        WIRE_OK);
        CU_ASSERT_STRING_EQUAL(err, "");
        /* body order is group order already: finish must keep it */
        assert_masked_copy(&s, mask, &d);
        CU_ASSERT_FATAL(lda_set_finish(&d));
        assert_masked_copy(&s, mask, &d);
        char want[65], got[65];
        CU_ASSERT_EQUAL(lda_fingerprint_mask(&s, mask, want), 0);
        CU_ASSERT_EQUAL(lda_fingerprint(&d, got), 0);
        CU_ASSERT_STRING_EQUAL(got, want);
        lda_set_free(&d);
        lda_buf_free(&b);
    }
    lda_set_free(&s);
}

/* The documented layout, byte for byte. */
static void test_exact_bytes(void)
{
    lda_set s;
    if (!load(LDA_CSV_HEADER
              "1970-01-01T00:00:00.000001Z,A,P,SELL,1.5,300,TRADE_EXECUTED\n"
              "1970-01-01T00:00:00.000201Z,A,P,BUY,2,1,ORDER_CANCELLED\n"
              "1969-12-31T23:59:59.999999Z,B,P,BUY,3,2,ORDER_PLACED\n",
              &s))
        return;
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(lda_wire_encode(&s, LDA_FP_ALL, &b), 0);
    static const unsigned char want[] = {
        'L',  'D', 'A', 'E',  'V',  '2', '\n', 0,
        3,    2,                 /* events, groups */
        1,    'A', 1,   'P',  2, /* group A/P, 2 events */
        0x06, 2,   2,   0xAC, 0x02, 3,   '1',  '.',
        '5',                                  /* SELL|TRADE, zz(1),
                                                    record 2, 300 */
        0x01, 200, 1,   2,    1,    1,   '2', /* BUY|CANCELLED, +200 us, record +1 */
        1,    'B', 1,   'P',  1,              /* group B/P, 1 event */
        0x00, 1,   4,   2,    1,    '3', /* BUY|PLACED, zz(-1) = 1, record 4 */
    };
    CU_ASSERT_EQUAL(b.len, sizeof want);
    CU_ASSERT(b.len == sizeof want && memcmp(b.data, want, b.len) == 0);
    /* only the trades: group B has none and is left out */
    lda_buf_reset(&b);
    CU_ASSERT_EQUAL_FATAL(lda_wire_encode(&s, 1u << LDA_TRADE, &b), 0);
    static const unsigned char trades[] = {
        'L', 'D', 'A', 'E',  'V', '2', '\n', 0,    1, 1,   1,   'A',
        1,   'P', 1,   0x06, 2,   2,   0xAC, 0x02, 3, '1', '.', '5',
    };
    CU_ASSERT(b.len == sizeof trades && memcmp(b.data, trades, b.len) == 0);
    lda_buf_free(&b);
    lda_set_free(&s);
}

/* Decode body[0..n) and expect status st with message msg (NULL = any). */
static void expect(const void *body, size_t n, uint64_t max, int st,
                   const char *msg, unsigned line)
{
    lda_set d;
    lda_set_init(&d);
    char err[160] = "";
    int got = wire_decode(body, n, max, &d, err, sizeof err);
    if (got != st || (msg && strcmp(err, msg) != 0))
        printf("\n  line %u: status %d (want %d), \"%s\"\n", line, (int)got,
               (int)st, err);
    CU_ASSERT_EQUAL(got, st);
    if (msg)
        CU_ASSERT_STRING_EQUAL(err, msg);
    lda_set_free(&d);
}
#define EXPECT(body, st, msg) \
    expect((body), sizeof(body) - 1, 0, (st), (msg), __LINE__)
#define BAD(body, msg) EXPECT(body, WIRE_INVALID, msg)

#define MAGIC "LDAEV2\n\0"
/* one group A/P with one event BUY|PLACED at t=0, quantity 1, price "1" */
#define GROUP1 "\1A\1P\1"
#define EVENT1 \
    "\0\0\2\1\1" \
    "1"

static void test_hostile(void)
{
    EXPECT(MAGIC "\1\1" GROUP1 EVENT1, WIRE_OK, "");
    EXPECT(MAGIC "\0\0", WIRE_OK, ""); /* no events at all */
    BAD("LDAEV1\n\0\0\0", "byte 0: not an lda event body");
    BAD("LDA", "byte 0: not an lda event body");
    BAD(MAGIC "\1\1" GROUP1 EVENT1 "x", "byte 21: data after the last group");
    BAD(MAGIC "\2\1" GROUP1 EVENT1, "byte 21: fewer events than announced");
    BAD(MAGIC "\x09\1" GROUP1 EVENT1, "byte 10: counts larger than the body");
    BAD(MAGIC "\1\2" GROUP1 EVENT1, "byte 10: counts larger than the body");
    BAD(MAGIC "\2\1\1A\1P\2" EVENT1 EVENT1 "\1\1" GROUP1 EVENT1,
        "byte 27: data after the last group");
    BAD(MAGIC "\1\1\1A\1P\0" EVENT1, "group 1: bad event count");
    BAD(MAGIC "\1\1\1A\1P\2" EVENT1 EVENT1, "group 1: bad event count");
    BAD(MAGIC "\1\1\0\1P\1" EVENT1, "group 1: account_id: empty");
    BAD(MAGIC "\1\1\1\x01\1P\1" EVENT1,
        "group 1: account_id: control character");
    BAD(MAGIC "\1\1\1A\1\xff\1" EVENT1, "group 1: product_id: invalid UTF-8");
    BAD(MAGIC "\1\1\1A\x7fP\1" EVENT1, "group 1: bad id");
    BAD(MAGIC "\1\1" GROUP1 "\x08\0\2\1\1"
              "1",
        "event 1: bad tag");
    BAD(MAGIC "\1\1" GROUP1 "\x03\0\2\1\1"
              "1",
        "event 1: bad tag");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\2\0\1"
              "1",
        "event 1: quantity: must be a whole number from 1 to 10^12");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\2\x81\xa0\x94\xa5\x8d\x1d\1"
              "1",
        "event 1: quantity: must be a whole number from 1 to 10^12");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\2\1\1"
              "0",
        "event 1: price: must be a finite decimal number > 0");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\2\1\0",
        "event 1: price: must be a finite decimal number > 0");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\2\1\2"
              "1",
        "event 1: truncated");
    /* an 11-byte varint, and one past 64 bits */
    BAD(MAGIC "\1\1" GROUP1 "\0\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\1\1\1"
              "1",
        "event 1: bad time");
    BAD(MAGIC "\1\1" GROUP1 "\0\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02\1\1"
              "1",
        "event 1: bad time");
    /* 10000-01-01 is out of range (zigzag of 253402300800000000) */
    BAD(MAGIC "\1\1" GROUP1 "\0\x80\x80\x9b\xc7\x99\x83\xa2\x84\x07\2\1\1"
              "1",
        "event 1: timestamp: not a valid timestamp");
    /* the second event 2^62 + 1 us after the first */
    BAD(MAGIC "\2\1\1A\1P\2" EVENT1
              "\0\x81\x80\x80\x80\x80\x80\x80\x80\x40\1\1"
              "1",
        "event 2: timestamp: not a valid timestamp");
    EXPECT(MAGIC "\2\1\1A\1P\2" EVENT1 EVENT1, WIRE_OK, "");
    /* record numbers: 2 .. 2^32 - 1, the first as is, then steps */
    BAD(MAGIC "\1\1" GROUP1 "\0\0\1\1\1"
              "1",
        "event 1: bad record number");
    BAD(MAGIC "\1\1" GROUP1 "\0\0\x80\x80\x80\x80\x10\1\1"
              "1",
        "event 1: bad record number");
    BAD(MAGIC "\2\1\1A\1P\2" EVENT1 "\0\0\1\1\1"
              "1",
        "event 2: bad record number");
    EXPECT(MAGIC "\2\1\1A\1P\2" EVENT1 "\0\0\2\1\1"
                 "1",
           WIRE_OK, "");
    /* the event count against max_events */
    static const char two[] = MAGIC "\2\1\1A\1P\2" EVENT1 EVENT1;
    expect(two, sizeof two - 1, 2, WIRE_OK, "", __LINE__);
    expect(two, sizeof two - 1, 1, WIRE_TOO_MANY, "more than 1 events",
           __LINE__);
}

/* Every proper prefix of a valid body is refused; nothing crashes. */
static void test_prefixes(void)
{
    lda_set s;
    if (!load(wire_csv, &s))
        return;
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(lda_wire_encode(&s, LDA_FP_ALL, &b), 0);
    unsigned refused = 0;
    for (size_t n = 0; n < b.len; n++) {
        lda_set d;
        lda_set_init(&d);
        char err[160];
        refused += wire_decode(b.data, n, 0, &d, err, sizeof err) ==
                   WIRE_INVALID;
        lda_set_free(&d);
    }
    CU_ASSERT_EQUAL(refused, b.len);
    lda_buf_free(&b);
    lda_set_free(&s);
}

/* A group sent twice (not what the encoder writes) still decodes to the
 * same events: finish regroups them. */
static void test_repeated_group(void)
{
    static const char body[] = MAGIC "\3\3"
                                     "\1A\1P\1"
                                     "\0\x04\2\1\1"
                                     "1" /* A/P at 2 us */
                                     "\1B\1P\1"
                                     "\0\0\3\1\1"
                                     "1" /* B/P at 0 */
                                     "\1A\1P\1"
                                     "\0\x02\4\1\1"
                                     "2"; /* A/P at 1 us */
    lda_set d;
    lda_set_init(&d);
    char err[160] = "";
    CU_ASSERT_EQUAL_FATAL(
        wire_decode(body, sizeof body - 1, 0, &d, err, sizeof err), WIRE_OK);
    CU_ASSERT_FATAL(lda_set_finish(&d));
    CU_ASSERT_EQUAL(d.ngroups, 2);
    CU_ASSERT_EQUAL(d.groups[0].count, 2);
    CU_ASSERT(d.ev[0].ts == 1 && d.ev[1].ts == 2 && d.ev[2].ts == 0);
    lda_set s;
    if (load(LDA_CSV_HEADER
             "1970-01-01T00:00:00.000002Z,A,P,BUY,1,1,ORDER_PLACED\n"
             "1970-01-01T00:00:00Z,B,P,BUY,1,1,ORDER_PLACED\n"
             "1970-01-01T00:00:00.000001Z,A,P,BUY,2,1,ORDER_PLACED\n",
             &s)) {
        char want[65], got[65];
        CU_ASSERT_EQUAL(lda_fingerprint(&s, want), 0);
        CU_ASSERT_EQUAL(lda_fingerprint(&d, got), 0);
        CU_ASSERT_STRING_EQUAL(got, want);
        lda_set_free(&s);
    }
    lda_set_free(&d);
}

/* ---- sequences ---------------------------------------------------------- */

static void assert_same_seqs(const lda_seqlist *x, const lda_seqlist *y)
{
    CU_ASSERT_EQUAL_FATAL(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        const lda_seq *a = &x->v[i], *b = &y->v[i];
        const lda_seqkey *ka = &x->keys[a->key], *kb = &y->keys[b->key];
        CU_ASSERT(a->start == b->start && a->end == b->end &&
                  a->buy_qty == b->buy_qty && a->sell_qty == b->sell_qty &&
                  a->dtype == b->dtype && a->side == b->side &&
                  a->has_alt == b->has_alt && a->has_pc == b->has_pc);
        CU_ASSERT(a->dtype != LDA_LAYERING ||
                  a->num_cancelled == b->num_cancelled);
        CU_ASSERT(!a->has_alt || memcmp(&a->alt_pct, &b->alt_pct, 8) == 0);
        CU_ASSERT(!a->has_pc || memcmp(&a->pc_pct, &b->pc_pct, 8) == 0);
        CU_ASSERT_EQUAL_FATAL(a->norders, b->norders);
        CU_ASSERT(a->norders == 0 ||
                  memcmp(x->orders + a->orders_off, y->orders + b->orders_off,
                         a->norders * sizeof(int64_t)) == 0);
        CU_ASSERT(same_text(x->text.data + ka->acc_off, ka->acc_len,
                            y->text.data + kb->acc_off, kb->acc_len));
        CU_ASSERT(same_text(x->text.data + ka->prod_off, ka->prod_len,
                            y->text.data + kb->prod_off, kb->prod_len));
    }
}

#define T_MIN (-62167219200LL * 1000000)     /* 0000-01-01T00:00:00Z */
#define T_MAX (253402300800LL * 1000000 - 1) /* 9999-12-31T23:59:59.999999Z */

/* Layering with orders before and after start, wash with and without a
 * price change, repeated keys, the extremes of every field. */
static void make_seqs(lda_seqlist *l)
{
    static const int64_t orders[3] = {5, -7, 5000000};
    lda_seq *q = lda_test_seq(l, "ACC\"1", "Ω", LDA_LAYERING, 0, 8000000);
    q->side = LDA_SELL;
    q->buy_qty = 1;
    q->sell_qty = INT64_MAX;
    q->num_cancelled = 3;
    CU_ASSERT_FATAL(lda_seqlist_set_orders(l, q, orders, 3));
    q = lda_test_seq(l, "ACC\"1", "Ω", LDA_WASH, T_MIN, T_MAX);
    q->has_alt = true;
    q->alt_pct = 100.0 / 3;
    q->has_pc = true;
    q->pc_pct = 1e300;
    q = lda_test_seq(l, "B", "Q", LDA_WASH, T_MAX, T_MAX);
    q->has_alt = true;
    q->alt_pct = 4.9406564584124654e-324;
    q = lda_test_seq(l, "B", "Q", LDA_LAYERING, -1, 0);
    q->side = LDA_BUY;
}

static void test_seqs_round_trip(void)
{
    lda_seqlist l, back, none;
    lda_seqlist_init(&l);
    lda_seqlist_init(&back);
    lda_seqlist_init(&none);
    make_seqs(&l);
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(lda_wire_seqs_encode(&l, &b), 0);
    CU_ASSERT_EQUAL_FATAL(lda_wire_seqs_encode(&none, &b), 0);
    size_t pos = 0;
    char err[160] = "";
    CU_ASSERT_EQUAL(seqs_decode(b.data, b.len, &pos, &back, err, sizeof err),
                    WIRE_OK);
    assert_same_seqs(&l, &back);
    /* the empty list is the single byte after it */
    CU_ASSERT_EQUAL(pos, b.len - 1);
    CU_ASSERT_EQUAL(seqs_decode(b.data, b.len, &pos, &none, err, sizeof err),
                    WIRE_OK);
    CU_ASSERT(pos == b.len && none.n == 0);
    /* every proper prefix of the first list is refused */
    unsigned refused = 0, total = 0;
    for (size_t n = 0; n + 1 < b.len; n++, total++) {
        lda_seqlist t;
        lda_seqlist_init(&t);
        size_t p = 0;
        refused += seqs_decode(b.data, n, &p, &t, err, sizeof err) ==
                   WIRE_INVALID;
        lda_seqlist_free(&t);
    }
    CU_ASSERT_EQUAL(refused, total);
    lda_buf_free(&b);
    lda_seqlist_free(&l);
    lda_seqlist_free(&back);
    lda_seqlist_free(&none);
}

/* One WASH sequence, byte for byte; then single-field corruptions. */
static void test_seqs_hostile(void)
{
    lda_seqlist l;
    lda_seqlist_init(&l);
    lda_seq *q = lda_test_seq(&l, "A", "P", LDA_WASH, 1, 3);
    q->has_alt = true;
    q->alt_pct = 50.0;
    lda_buf b;
    lda_buf_init(&b);
    CU_ASSERT_EQUAL_FATAL(lda_wire_seqs_encode(&l, &b), 0);
    static const unsigned char want[] = {
        1, 1, 'A', 1, 'P', 1,                /* count, key, WASH */
        2, 2, 0,   0,                        /* zz(1), +2, buy 0, sell 0 */
        0, 0, 0,   0, 0,   0, 0x49, 0x40, 0, /* 50.0, no price change */
        0,                                   /* no evidence */
    };
    CU_ASSERT(b.len == sizeof want && memcmp(b.data, want, b.len) == 0);
    lda_buf_free(&b);
    lda_seqlist_free(&l);

    struct {
        size_t at;
        unsigned char v;
    } edits[] = {
        {1, 0},     /* "same key" with no previous sequence */
        {2, 0x01},  /* control character in the account */
        {4, 0xff},  /* invalid UTF-8 in the product */
        {5, 2},     /* detection type */
        {17, 0x7f}, /* alternation 0x7f49... = 1.4e306 */
        {16, 0xf0}, /* alternation 0x40f0... = 65536 */
        {17, 0xc0}, /* alternation 0xc049... = -50 */
        {18, 2},    /* price-change flag */
    };
    for (size_t k = 0; k < sizeof edits / sizeof *edits; k++) {
        unsigned char body[sizeof want];
        memcpy(body, want, sizeof want);
        body[edits[k].at] = edits[k].v;
        lda_seqlist t;
        lda_seqlist_init(&t);
        size_t pos = 0;
        char err[160] = "";
        int st = seqs_decode((const char *)body, sizeof body, &pos, &t, err,
                             sizeof err);
        if (st != WIRE_INVALID)
            printf("\n  edit %zu accepted\n", k);
        CU_ASSERT_EQUAL(st, WIRE_INVALID);
        CU_ASSERT_STRING_EQUAL(err, "sequence 1: invalid or truncated");
        CU_ASSERT_EQUAL(t.n, 0);
        lda_seqlist_free(&t);
    }
    /* values no detector makes, written by the encoder, refused */
    for (int k = 0; k < 4; k++) {
        lda_seqlist w, t;
        lda_seqlist_init(&w);
        lda_seqlist_init(&t);
        q = lda_test_seq(&w, "A", "P", LDA_WASH, 0, 0);
        q->has_alt = true;
        q->alt_pct = k == 0 ? NAN : k == 1 ? nextafter(100.0, 200.0) : 50.0;
        q->has_pc = k >= 2;
        q->pc_pct = k == 2 ? -0.5 : INFINITY;
        lda_buf_init(&b);
        CU_ASSERT_EQUAL(lda_wire_seqs_encode(&w, &b), 0);
        size_t p = 0;
        char e[160];
        CU_ASSERT_EQUAL(seqs_decode(b.data, b.len, &p, &t, e, sizeof e),
                        WIRE_INVALID);
        lda_buf_free(&b);
        lda_seqlist_free(&w);
        lda_seqlist_free(&t);
    }
    /* a count larger than the bytes could hold */
    static const char many[] = "\x7f"
                               "\1A\1P\1";
    lda_seqlist t;
    lda_seqlist_init(&t);
    size_t pos = 0;
    char err[160];
    CU_ASSERT_EQUAL(seqs_decode(many, sizeof many - 1, &pos, &t, err,
                                sizeof err),
                    WIRE_INVALID);
    CU_ASSERT_STRING_EQUAL(err, "byte 0: more sequences than bytes");
    lda_seqlist_free(&t);
}

void lda_test_wire(void)
{
    static const lda_test_case cases[] = {
        {"encode/decode round trip for every mask", test_round_trip},
        {"exact bytes", test_exact_bytes},
        {"hostile bodies are refused with a reason", test_hostile},
        {"every prefix of a body is refused", test_prefixes},
        {"a repeated group is regrouped", test_repeated_group},
        {"sequences: round trip, prefixes", test_seqs_round_trip},
        {"sequences: exact bytes, corrupt fields", test_seqs_hostile},
        {NULL, NULL},
    };
    lda_test_suite("wire", cases, NULL, NULL, NULL, NULL);
}
