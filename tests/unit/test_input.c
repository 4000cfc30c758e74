/* test_input: compressed input and the words for an unusable header
 * (docs/input.md#compressed-input, #what-the-file-looks-like).
 *
 * lda_gzip: one table of cases, each a gzip stream built here with zlib
 * (whole, several members, truncated, corrupt, lying trailer, trailing
 * bytes, empty) and a cap, run through both entry points (memory and a
 * file descriptor) with the outcome and, on success, the exact bytes
 * checked; plus a bomb (64 MiB of zeros under a 1 MiB cap).
 * lda_csv_load: one table of inputs whose header is unusable and the words
 * that say what the file looks like, plus inputs that must keep the
 * ordinary messages (or load). */
#include "lda_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "lda_gzip.h"

/* A growable byte string. */
typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

static void append(bytes *b, const void *p, size_t n)
{
    unsigned char *q = realloc(b->p, b->n + n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(q);
    if (n)
        memcpy(q + b->n, p, n);
    b->p = q;
    b->n += n;
}

/* Append plain[0..n) as one gzip member. */
static void gz_member(bytes *b, const void *plain, size_t n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    CU_ASSERT_FATAL(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                 Z_DEFAULT_STRATEGY) == Z_OK);
    size_t room = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(room);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    z.next_in = (Bytef *)(uintptr_t)plain;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)room;
    CU_ASSERT_FATAL(deflate(&z, Z_FINISH) == Z_STREAM_END);
    append(b, out, room - z.avail_out);
    deflateEnd(&z);
    free(out);
}

/* n bytes of CSV-like text, the same every time. */
static char *plain_text(size_t n)
{
    char *p = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (i % 61 == 60) ? '\n' : (char)('a' + (x >> 16) % 26);
    }
    p[n] = '\0';
    return p;
}

typedef enum {
    WHOLE,     /* one member */
    MULTI,     /* three members: the text in three pieces */
    EMPTY_MEM, /* one member of nothing */
    NO_BYTES,  /* no bytes at all */
    TRUNC,     /* all but the last 5 bytes (in the trailer) */
    TRUNC_MID, /* the first half */
    TRUNC_HDR, /* the first 5 bytes (inside the header) */
    CORRUPT,   /* a byte in the middle of the deflate data flipped */
    BAD_CRC,   /* a byte of the CRC flipped */
    LIAR,      /* ISIZE trailer says 1 GiB */
    TRAILING,  /* a member, then "junk" */
    ZEROS,     /* a member, then zero padding */
} gz_kind;

typedef struct gz_case {
    const char *name;
    gz_kind kind;
    size_t plain; /* length of the text compressed */
    size_t cap;
    int status; /* 0 = inflates to the text */
} gz_case;

static const gz_case gz_cases[] = {
    {"one member", WHOLE, 100000, 1000000, 0},
    {"cap exactly the output", WHOLE, 100000, 100000, 0},
    {"cap one byte under the output", WHOLE, 100000, 99999, 413},
    {"cap 0, empty member", EMPTY_MEM, 0, 0, 0},
    {"cap 0, one byte", WHOLE, 1, 0, 413},
    {"larger than one output chunk", WHOLE, 300000, 300000, 0},
    {"three members", MULTI, 100000, 100000, 0},
    {"three members one over the cap", MULTI, 100000, 99999, 413},
    {"empty member", EMPTY_MEM, 0, 1000, 0},
    {"no bytes", NO_BYTES, 0, 1000, 400},
    {"truncated trailer", TRUNC, 100000, 1000000, 400},
    {"truncated in the middle", TRUNC_MID, 100000, 1000000, 400},
    {"truncated header", TRUNC_HDR, 100000, 1000000, 400},
    {"corrupt deflate data", CORRUPT, 100000, 1000000, 400},
    {"bad CRC", BAD_CRC, 100000, 1000000, 400},
    {"lying size trailer", LIAR, 100000, 1000000, 400},
    {"junk after the member", TRAILING, 1000, 1000000, 400},
    {"zeros after the member", ZEROS, 1000, 1000000, 400},
};

static bytes build(const gz_case *c, const char *text)
{
    bytes b = {NULL, 0};
    size_t third = c->plain / 3;
    switch (c->kind) {
    case MULTI:
        gz_member(&b, text, third);
        gz_member(&b, text + third, third);
        gz_member(&b, text + 2 * third, c->plain - 2 * third);
        break;
    case EMPTY_MEM:
        gz_member(&b, "", 0);
        break;
    case NO_BYTES:
        append(&b, "", 0);
        break;
    default:
        gz_member(&b, text, c->plain);
    }
    switch (c->kind) {
    case TRUNC:
        b.n -= 5;
        break;
    case TRUNC_MID:
        b.n /= 2;
        break;
    case TRUNC_HDR:
        b.n = 5;
        break;
    case CORRUPT:
        b.p[b.n / 2] ^= 0x55;
        break;
    case BAD_CRC:
        b.p[b.n - 8] ^= 1;
        break;
    case LIAR:
        memcpy(b.p + b.n - 4, "\0\0\0\x40", 4);
        break;
    case TRAILING:
        append(&b, "junk", 4);
        break;
    case ZEROS:
        append(&b, "\0\0\0\0\0\0\0\0", 8);
        break;
    default:
        break;
    }
    return b;
}

/* One case through one entry point. */
static void check(const gz_case *c, const char *text, bool ok, char *out,
                  size_t len, const lda_err *e, const char *how)
{
    bool good = c->status == 0
                    ? ok && len == c->plain && out &&
                          memcmp(out, text, len) == 0 && out[len] == '\0'
                    : !ok && e->status == c->status && !out;
    if (!good)
        fprintf(stderr,
                "\ntest_input: gzip case \"%s\" (%s): ok %d, len %zu, "
                "status %d \"%s\"\n",
                c->name, how, ok, len, e->status, e->msg);
    CU_ASSERT(good);
    if (!ok && c->status == 400) /* safe words: never zlib's message */
        CU_ASSERT(strstr(e->msg, "compressed input is") == e->msg);
    if (!ok && c->status == 413)
        LDA_ASSERT_STR(e->msg,
                       "decompressed input larger than MAX_UPLOAD_BYTES");
}

static void test_gzip_cases(void)
{
    char *text = plain_text(300000);
    for (size_t i = 0; i < sizeof gz_cases / sizeof gz_cases[0]; i++) {
        const gz_case *c = &gz_cases[i];
        bytes b = build(c, text);
        if (c->kind != NO_BYTES)
            CU_ASSERT(lda_gzip_magic(b.p, b.n) || c->kind == TRUNC_HDR);

        char *out = NULL;
        size_t len = 0;
        lda_err e;
        lda_err_init(&e);
        bool ok = lda_gzip_inflate(b.p, b.n, c->cap, &out, &len, &e);
        check(c, text, ok, out, len, &e, "memory");
        free(out);

        FILE *f = tmpfile();
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        CU_ASSERT(fwrite(b.p, 1, b.n, f) == b.n);
        CU_ASSERT(fflush(f) == 0);
        CU_ASSERT(lseek(fileno(f), 0, SEEK_SET) == 0);
        lda_err_init(&e);
        out = NULL;
        ok = lda_gzip_inflate_fd(fileno(f), c->cap, &out, &len, &e);
        check(c, text, ok, out, len, &e, "descriptor");
        free(out);
        fclose(f);
        free(b.p);
    }
    free(text);
}

/* 64 MiB of zeros (about 64 KiB compressed) under a 1 MiB cap: 413 after
 * inflating no more than the cap. */
static void test_gzip_bomb(void)
{
    size_t n = 64u << 20;
    char *zeros = calloc(n, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zeros);
    bytes b = {NULL, 0};
    gz_member(&b, zeros, n);
    free(zeros);
    CU_ASSERT(b.n < n / 500);
    char *out = NULL;
    size_t len = 0;
    lda_err e;
    lda_err_init(&e);
    CU_ASSERT_FALSE(lda_gzip_inflate(b.p, b.n, 1u << 20, &out, &len, &e));
    CU_ASSERT_EQUAL(e.status, 413);
    CU_ASSERT_PTR_NULL(out);
    free(b.p);
}

static void test_gzip_magic(void)
{
    CU_ASSERT(lda_gzip_magic("\x1f\x8b\x08", 3));
    CU_ASSERT_FALSE(lda_gzip_magic("\x1f\x8b", 2));
    CU_ASSERT_FALSE(lda_gzip_magic("\x1f\x8b\x07", 3)); /* not deflate */
    CU_ASSERT_FALSE(lda_gzip_magic("timestamp", 9));
    CU_ASSERT_FALSE(lda_gzip_magic("", 0));
}

/* What an unusable header looks like. */
typedef struct diag_case {
    const char *name;
    const char *in;
    size_t len; /* 0 = strlen(in) */
    const char *want;
} diag_case;

#define HDR7 "timestamp,account_id,product_id,side,price,quantity,event_type"
#define ROW "2024-01-01T00:00:00Z,A,P,BUY,10,1,ORDER_PLACED"
#define SEMI_MSG \
    "fields seem separated by ';', not ',': save the file as " \
    "comma-separated CSV"
#define TAB_MSG \
    "fields seem separated by tabs, not ',': save the file as " \
    "comma-separated CSV"
#define U16_MSG "the file is UTF-16, not UTF-8: save it as UTF-8"
#define MISSING_ALL \
    "missing required column(s): timestamp, account_id, product_id, " \
    "side, price, quantity, event_type"

/* UTF-16LE of "timestamp,account_id\n" (no byte-order mark). */
static const char u16le[] = "t\0i\0m\0e\0s\0t\0a\0m\0p\0,\0a\0c\0c\0o\0u\0n\0"
                            "t\0_\0i\0d\0\n\0";

static const diag_case diag_cases[] = {
    {"semicolons",
     "timestamp;account_id;product_id;side;price;quantity;"
     "event_type\n2024-01-01T00:00:00Z;A;P;BUY;10,5;1;"
     "ORDER_PLACED\n",
     0, SEMI_MSG},
    {"semicolons, quoted names",
     "\"timestamp\";\"account_id\";\"product_id\";\"side\"\n1;2;3;4\n", 0,
     SEMI_MSG},
    {"semicolons after a UTF-8 BOM",
     "\xEF\xBB\xBFtimestamp;account_id;side\r\n1;2;3\r\n", 0, SEMI_MSG},
    {"semicolons, unknown names", "a;b;c\n1;2;3\n", 0, SEMI_MSG},
    {"tabs",
     "timestamp\taccount_id\tproduct_id\tside\tprice\tquantity\t"
     "event_type\n",
     0, TAB_MSG},
    {"bars", "timestamp|account_id|product_id\n", 0,
     "fields seem separated by '|', not ',': save the file as "
     "comma-separated CSV"},
    {"UTF-16LE with BOM", "\xff\xfet\0i\0m\0e\0", 10, U16_MSG},
    {"UTF-16BE with BOM", "\xfe\xff\0t\0i\0m\0e", 10, U16_MSG},
    {"UTF-16LE without BOM", u16le, sizeof u16le - 1,
     "the file seems to be UTF-16 (its first line is full of NUL bytes), "
     "not UTF-8: save it as UTF-8"},
    {"UTF-32LE with BOM", "\xff\xfe\0\0t\0\0\0", 8,
     "the file is UTF-32, not UTF-8: save it as UTF-8"},
    {"gzip", "\x1f\x8b\x08\0\0\0\0\0\0\x03\"x\n", 13,
     "this looks like a gzip file, not CSV text: decompress it first"},
    {"zip or xlsx", "PK\x03\x04\x14\0\x06\0", 8,
     "this looks like a zip archive (an .xlsx workbook is one), not CSV "
     "text: export or extract the CSV first"},
    {"bzip2", "BZh91AY&SY", 0,
     "this looks like a bzip2 file, not CSV text: decompress it first "
     "(only gzip is decompressed)"},
    {"xz", "\xfd\x37\x7a\x58\x5a\0\0", 7,
     "this looks like an xz file, not CSV text: decompress it first (only "
     "gzip is decompressed)"},
    {"zstd", "\x28\xb5\x2f\xfd\x04", 5,
     "this looks like a zstd file, not CSV text: decompress it first (only "
     "gzip is decompressed)"},
    /* the ordinary words stay where nothing is recognised */
    {"commas, names unknown", "a,b\n1,2\n", 0, MISSING_ALL},
    {"commas, a ';' inside a name",
     "timestamp,account_id,product_id,side,price,quantity,note;x\n", 0,
     "missing required column(s): event_type"},
    {"one unknown name", "hello\nworld\n", 0, MISSING_ALL},
    {"repeated column", HDR7 ",side\n", 0,
     "column side appears more than once"},
    {"empty", "", 0, "empty input: no header record"},
    /* loads: a separator or NUL in data rows changes nothing */
    {"valid, ';' in an ignored column", HDR7 ",note\n" ROW ",a;b;c\n", 0,
     NULL},
};

static void test_diagnostics(void)
{
    for (size_t i = 0; i < sizeof diag_cases / sizeof diag_cases[0]; i++) {
        const diag_case *c = &diag_cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        char *buf = malloc(len + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        memcpy(buf, c->in, len);
        lda_set set;
        lda_set_init(&set);
        static lda_rejects rej;
        char err[256] = "";
        lda_test_load st = lda_test_csv_load(buf, len, 0, &set, &rej, err,
                                             sizeof err);
        if (c->want) {
            if (st != LOAD_BAD_HEADER || strcmp(err, c->want) != 0)
                fprintf(stderr, "\ntest_input: case \"%s\"\n", c->name);
            CU_ASSERT_EQUAL(st, LOAD_BAD_HEADER);
            LDA_ASSERT_STR(err, c->want);
        } else {
            if (st != LOAD_OK)
                fprintf(stderr, "\ntest_input: case \"%s\": %s\n", c->name,
                        err);
            CU_ASSERT_EQUAL(st, LOAD_OK);
        }
        lda_set_free(&set);
        free(buf);
    }
}

void lda_test_input(void)
{
    static const lda_test_case cases[] = {
        {"gzip cases (memory and descriptor)", test_gzip_cases},
        {"gzip bomb stops at the cap", test_gzip_bomb},
        {"gzip magic", test_gzip_magic},
        {"what an unusable header looks like", test_diagnostics},
        {NULL, NULL},
    };
    lda_test_suite("input", cases, NULL, NULL, NULL, NULL);
}
