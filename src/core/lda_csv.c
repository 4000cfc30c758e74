/* lda_csv: RFC 4180 input reader and report cell writer.
 *
 * The reader is one forward pass over a mutable buffer. A record is split
 * into field spans; a quoted field is unescaped in place ("" -> ") so every
 * span still points into the buffer and nothing is copied. Blanks before an
 * opening quote and after a closing quote are allowed (fields are trimmed
 * anyway); any other stray quote marks the record malformed, and the reader
 * resynchronises at the next line end outside quotes. The header (record 1)
 * maps the seven required columns; every later record is checked in this
 * order: quoting, field count, UTF-8, then the field validators.
 *
 * Speed: most records hold no quote, so each is first tried by read_plain(),
 * which finds the delimiters 16 bytes at a time (SSE2) without writing to
 * the buffer and also tells whether the record has a byte >= 0x80 (an
 * all-ASCII record needs no UTF-8 check); at the first quote it gives up
 * and read_record(), the general reader, reads the record instead. The
 * event array is reserved once from the input size. */
#include "lda_csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    COL_TS,
    COL_ACC,
    COL_PROD,
    COL_SIDE,
    COL_PRICE,
    COL_QTY,
    COL_TYPE,
    NCOLS
};
static const char *const col_names[NCOLS] = {
    "timestamp", "account_id", "product_id", "side",
    "price",     "quantity",   "event_type"};

typedef struct reader {
    const char *buf;
    size_t len, pos;
    uint64_t record; /* number of the current record */
} reader;

typedef struct record {
    lda_text *f; /* spans of the first `keep` fields */
    size_t keep; /* how many spans f[] can hold */
    bool grow;   /* header: grow f[] to hold every field */
    bool oom;
    size_t nfields;        /* fields seen (may exceed keep) */
    const char *malformed; /* quoting problem, or NULL */
    size_t start, end;     /* raw byte span, for the UTF-8 check */
    bool bad_utf8;         /* read_record: a field is not UTF-8 */
    size_t *toff; /* per kept field: offset in tmp when its p is NULL */
    char *tmp;    /* unescaped quoted fields that held "" */
    size_t tmplen, tmpcap;
} record;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Length of the line end at p (1 for LF, 2 for CRLF), 0 if none. */
static size_t line_end(const reader *r, size_t p)
{
    if (p < r->len && r->buf[p] == '\n')
        return 1;
    if (p + 1 < r->len && r->buf[p] == '\r' && r->buf[p + 1] == '\n')
        return 2;
    return 0;
}

/* Grow f[] and toff[] of the header record to keep entries. */
static void grow_fields(record *rec, size_t keep)
{
    lda_text *f = realloc(rec->f, keep * sizeof *f);
    if (f)
        rec->f = f;
    size_t *o = f ? realloc(rec->toff, keep * sizeof *o) : NULL;
    if (o) {
        rec->toff = o;
        rec->keep = keep;
    } else
        rec->oom = true;
}

/* Note a field: p[0..n), or when p is NULL tmp[off..off+n) (pointed to
 * when the record is complete: tmp may still move). */
static void note_field(record *rec, const char *p, size_t n, size_t off)
{
    if (rec->nfields == rec->keep && rec->grow && !rec->oom)
        grow_fields(rec, rec->keep ? rec->keep * 2 : 16);
    if (rec->nfields < rec->keep) {
        rec->f[rec->nfields].p = p;
        rec->f[rec->nfields].n = n;
        rec->toff[rec->nfields] = off;
    }
    rec->nfields++;
}

static void tmp_add(record *rec, const char *p, size_t n)
{
    if (n == 0)
        return;
    if (n > rec->tmpcap - rec->tmplen) {
        size_t cap = rec->tmpcap ? rec->tmpcap : 256;
        while (cap - rec->tmplen < n && cap < SIZE_MAX / 2)
            cap *= 2;
        char *t = cap - rec->tmplen >= n ? realloc(rec->tmp, cap) : NULL;
        if (!t) {
            rec->oom = true;
            return;
        }
        rec->tmp = t;
        rec->tmpcap = cap;
    }
    memcpy(rec->tmp + rec->tmplen, p, n);
    rec->tmplen += n;
}

/* Scan an unquoted field from r->pos to the next ',' or line end. */
static size_t scan_plain(reader *r, record *rec)
{
    const char *b = r->buf;
    size_t p = r->pos;
    for (; p < r->len; p++) {
        char c = b[p];
        if (c == ',' || c == '\n')
            break;
        if (c == '\r' && p + 1 < r->len && b[p + 1] == '\n')
            break;
        if (c == '"' && !rec->malformed)
            rec->malformed =
                "malformed quoting: quote inside an unquoted field";
    }
    return p;
}

/* The content of the quoted field whose opening quote is at q, read
 * without writing to the buffer: the bytes between the quotes when they
 * hold no "" (the usual case: *off = its start in the buffer), else the
 * field unescaped ("" -> ") into rec->tmp (*in_tmp set, *off its offset
 * there). Returns the content's length; r->pos moves past the closing
 * quote. */
static size_t scan_quoted(reader *r, record *rec, size_t q, size_t *off,
                          bool *in_tmp)
{
    const char *b = r->buf;
    size_t rd = q + 1;
    *off = rd;
    *in_tmp = false;
    for (;;) {
        const char *hit = memchr(b + rd, '"', r->len - rd);
        size_t stop = hit ? (size_t)(hit - b) : r->len;
        if (*in_tmp)
            tmp_add(rec, b + rd, stop - rd);
        if (hit && stop + 1 < r->len && b[stop + 1] == '"') {
            if (!*in_tmp) {
                *in_tmp = true;
                *off = rec->tmplen;
                tmp_add(rec, b + q + 1, stop - (q + 1));
            }
            tmp_add(rec, "\"", 1);
            rd = stop + 2;
            continue;
        }
        if (!hit)
            rec->malformed = "malformed quoting: unterminated quoted field";
        r->pos = hit ? stop + 1 : r->len;
        return *in_tmp ? rec->tmplen - *off : stop - (q + 1);
    }
}

/* Point the fields held in tmp at it, now that it no longer moves. */
static void fix_tmp_fields(record *rec)
{
    size_t n = rec->nfields < rec->keep ? rec->nfields : rec->keep;
    if (!rec->tmplen || rec->oom)
        return;
    for (size_t i = 0; i < n; i++)
        if (!rec->f[i].p)
            rec->f[i].p = rec->tmp + rec->toff[i];
}

/* Read one record at r->pos (not at a blank line or the end). */
static void read_record(reader *r, record *rec)
{
    rec->nfields = 0;
    rec->malformed = NULL;
    rec->bad_utf8 = false;
    rec->tmplen = 0;
    rec->start = r->pos;
    for (;;) {
        size_t q = r->pos;
        while (q < r->len && is_blank(r->buf[q]))
            q++;
        if (q < r->len && r->buf[q] == '"') {
            size_t off;
            bool in_tmp;
            size_t n = scan_quoted(r, rec, q, &off, &in_tmp);
            const char *p = in_tmp ? rec->tmp : r->buf;
            note_field(rec, in_tmp ? NULL : r->buf + off, n, off);
            /* Unescaping only drops ASCII quotes, so the content is UTF-8
               exactly when the raw field was. */
            if (!rec->bad_utf8 && !rec->oom && !lda_valid_utf8(p + off, n))
                rec->bad_utf8 = true;
            while (r->pos < r->len && is_blank(r->buf[r->pos]))
                r->pos++;
            if (r->pos < r->len && r->buf[r->pos] != ',' &&
                !line_end(r, r->pos)) {
                if (!rec->malformed)
                    rec->malformed =
                        "malformed quoting: text after a closing quote";
                r->pos = scan_plain(r, rec);
            }
        } else {
            size_t end = scan_plain(r, rec);
            note_field(rec, r->buf + r->pos, end - r->pos, 0);
            if (!rec->bad_utf8 &&
                !lda_valid_utf8(r->buf + r->pos, end - r->pos))
                rec->bad_utf8 = true;
            r->pos = end;
        }
        if (r->pos < r->len && r->buf[r->pos] == ',') {
            r->pos++;
            continue;
        }
        rec->end = r->pos;
        r->pos += line_end(r, r->pos);
        fix_tmp_fields(rec);
        return;
    }
}

/* The fast path for the common record: no quote anywhere in it. Splits the
 * record at r->pos at ',' up to the line end (LF, or CRLF: the CR is not
 * part of the last field; a lone CR is data) without writing to the buffer,
 * exactly as read_record() would. Returns false, with nothing consumed, as
 * soon as it meets a '"': read_record() then reads the record. *high is
 * set when a byte >= 0x80 may be in the record (it may also be set by
 * bytes just past it), i.e. when the UTF-8 check has anything to do.
 *
 * With SSE2 (every x86-64) it classifies 16 bytes at a time: one compare
 * per special byte, a bit mask, then one step per delimiter found. */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Close a quote-free record: its last field [f0, end), nf fields before
 * it; the next record starts at next. */
static inline void plain_done(reader *r, record *rec, size_t nf, size_t f0,
                              size_t end, size_t next)
{
    if (nf < rec->keep) {
        rec->f[nf].p = r->buf + f0;
        rec->f[nf].n = end - f0;
    }
    rec->nfields = nf + 1;
    rec->start = r->pos;
    rec->end = end;
    rec->malformed = NULL;
    r->pos = next;
}

static bool read_plain(reader *r, record *rec, bool *high)
{
    const unsigned char *b = (const unsigned char *)r->buf;
    size_t p = r->pos, f0 = p, len = r->len, nf = 0, keep = rec->keep;
    lda_text *f = rec->f;
    unsigned hi = 0;
#if defined(__SSE2__)
    const __m128i comma = _mm_set1_epi8(','), lf = _mm_set1_epi8('\n'),
                  dq = _mm_set1_epi8('"');
    for (; p + 16 <= len; p += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + p));
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, lf)),
            _mm_cmpeq_epi8(v, dq)));
        hi |= (unsigned)_mm_movemask_epi8(v);
        for (; m; m &= m - 1) {
            size_t q = p + (size_t)__builtin_ctz(m);
            if (b[q] == ',') {
                if (nf < keep) {
                    f[nf].p = r->buf + f0;
                    f[nf].n = q - f0;
                }
                nf++;
                f0 = q + 1;
                continue;
            }
            if (b[q] == '"')
                return false;
            size_t end = q > f0 && b[q - 1] == '\r' ? q - 1 : q;
            plain_done(r, rec, nf, f0, end, q + 1);
            *high = hi != 0;
            return true;
        }
    }
#endif
    for (; p < len; p++) {
        unsigned char c = b[p];
        hi |= c & 0x80;
        if (c == ',') {
            if (nf < keep) {
                f[nf].p = r->buf + f0;
                f[nf].n = p - f0;
            }
            nf++;
            f0 = p + 1;
        } else if (c == '"')
            return false;
        else if (c == '\n')
            break;
    }
    size_t end = p < len && p > f0 && b[p - 1] == '\r' ? p - 1 : p;
    plain_done(r, rec, nf, f0, end, p < len ? p + 1 : len);
    *high = hi != 0;
    return true;
}

/* Skip blank lines; false at the end of the input. */
static bool next_record(reader *r)
{
    for (;;) {
        if (r->pos >= r->len)
            return false;
        size_t n = line_end(r, r->pos);
        if (!n)
            break;
        r->pos += n;
    }
    r->record++;
    return true;
}

static void reject(lda_rejects *rej, uint64_t recno, const char *reason)
{
    rej->count++;
    if (rej->kept >= LDA_REJECT_KEEP)
        return;
    lda_reject *it = &rej->item[rej->kept++];
    it->record = recno;
    snprintf(it->reason, sizeof it->reason, "%s", reason);
}

/* Map header fields to the required columns. */
static bool resolve_header(const record *rec, size_t col[NCOLS], lda_err *e)
{
    size_t seen[NCOLS] = {0};
    for (size_t i = 0; i < rec->nfields; i++) {
        lda_text t = lda_trim(rec->f[i]);
        for (int k = 0; k < NCOLS; k++)
            if (strlen(col_names[k]) == t.n &&
                strncasecmp(t.p, col_names[k], t.n) == 0) {
                if (seen[k]++)
                    return lda_err_set(e, 400,
                                       "column %s appears more than once",
                                       col_names[k]);
                col[k] = i;
            }
    }
    char missing[128] = "";
    size_t used = 0;
    for (int k = 0; k < NCOLS; k++)
        if (!seen[k] && used < sizeof missing)
            used += (size_t)snprintf(missing + used, sizeof missing - used,
                                     "%s %s", used ? "," : "", col_names[k]);
    if (used)
        return lda_err_set(e, 400, "missing required column(s):%s", missing);
    return true;
}

/* What an input whose header is unusable looks like, when it is
 * recognisably not comma-separated UTF-8 text (docs/input.md#what-the-
 * file-looks-like): a compressed file or archive, UTF-16/32, or fields
 * separated by ';', tabs or '|'. The words replace the header error; NULL
 * when nothing is recognised. Looks only at the first bytes and the first
 * line (at most 64 KiB), before the header is parsed (which edits it). */
static const char *const compressed[][2] = {
    {"\x1f\x8b", "this looks like a gzip file, not CSV text: decompress it "
                 "first"},
    {"PK\x03\x04", "this looks like a zip archive (an .xlsx workbook is "
                   "one), not CSV text: export or extract the CSV first"},
    {"BZh", "this looks like a bzip2 file, not CSV text: decompress it "
            "first (only gzip is decompressed)"},
    {"\xfd\x37\x7a\x58\x5a", "this looks like an xz file, not CSV text: "
                             "decompress it first (only gzip is "
                             "decompressed)"},
    {"\x28\xb5\x2f\xfd", "this looks like a zstd file, not CSV text: "
                         "decompress it first (only gzip is decompressed)"},
};

/* Required names in line[0..n) split at sep (blanks, CR and quotes
 * around each piece ignored). */
static int names_split_by(const char *line, size_t n, char sep)
{
    int found = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && line[j] != sep)
            j++;
        size_t a = i, b = j;
        while (a < b && strchr(" \t\r\"", line[a]))
            a++;
        while (b > a && strchr(" \t\r\"", line[b - 1]))
            b--;
        for (int k = 0; k < NCOLS; k++)
            if (strlen(col_names[k]) == b - a &&
                strncasecmp(line + a, col_names[k], b - a) == 0)
                found++;
        i = j + 1;
    }
    return found;
}

static const char *sniff_separator(const char *line, size_t n)
{
    static const char seps[] = {';', '\t', '|'};
    static const char *const words[] = {
        "fields seem separated by ';', not ',': save the file as "
        "comma-separated CSV",
        "fields seem separated by tabs, not ',': save the file as "
        "comma-separated CSV",
        "fields seem separated by '|', not ',': save the file as "
        "comma-separated CSV",
    };
    size_t commas = 0, count[3] = {0};
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            count[k] += line[i] == seps[k];
    commas = (size_t)(memchr(line, ',', n) != NULL);
    int comma_names = names_split_by(line, n, ','), best = -1, best_names = 0;
    for (int k = 0; k < 3; k++) {
        int m = count[k] ? names_split_by(line, n, seps[k]) : 0;
        if (count[k] && (best < 0 || m > best_names ||
                         (m == best_names && count[k] > count[best]))) {
            best = k;
            best_names = m;
        }
    }
    if (best < 0)
        return NULL;
    if (best_names > comma_names || (!commas && count[best] >= 2))
        return words[best];
    return NULL;
}

static const char *sniff(const char *buf, size_t len)
{
    for (size_t k = 0; k < sizeof compressed / sizeof compressed[0]; k++) {
        size_t m = strlen(compressed[k][0]);
        if (len >= m && memcmp(buf, compressed[k][0], m) == 0)
            return compressed[k][1];
    }
    if (len >= 4 && (memcmp(buf, "\xff\xfe\0\0", 4) == 0 ||
                     memcmp(buf, "\0\0\xfe\xff", 4) == 0))
        return "the file is UTF-32, not UTF-8: save it as UTF-8";
    if (len >= 2 &&
        (memcmp(buf, "\xff\xfe", 2) == 0 || memcmp(buf, "\xfe\xff", 2) == 0))
        return "the file is UTF-16, not UTF-8: save it as UTF-8";
    size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const char *line = buf + skip;
    size_t n = len - skip < 65536 ? len - skip : 65536, nul = 0;
    const char *lf = memchr(line, '\n', n);
    if (lf)
        n = (size_t)(lf - line);
    for (size_t i = 0; i < n; i++)
        nul += line[i] == '\0';
    if (nul > 0 && nul * 4 >= n)
        return "the file seems to be UTF-16 (its first line is full of NUL "
               "bytes), not UTF-8: save it as UTF-8";
    return sniff_separator(line, n);
}

/* Read and resolve the header; the record struct is sized for it. */
static bool load_header(reader *r, record *rec, size_t col[NCOLS],
                        size_t *ncols, lda_err *e)
{
    if (!next_record(r))
        return lda_err_set(e, 400, "empty input: no header record");
    rec->grow = true;
    read_record(r, rec);
    rec->grow = false;
    if (rec->oom)
        return lda_err_msg(e, LDA_MSG_NOMEM);
    if (rec->malformed)
        return lda_err_set(e, 400, "header: %s", rec->malformed);
    *ncols = rec->nfields;
    return resolve_header(rec, col, e);
}

/* Skip blank lines from p; the first record start at or after p, or len. */
static size_t skip_blank_lines(const reader *r, size_t p)
{
    size_t n;
    while ((n = line_end(r, p)))
        p += n;
    return p;
}

/* The next record of a chunk: false at the end of the input or at a record
 * that starts at or after to (r->pos is then at its start). */
static bool next_in_chunk(reader *r, size_t to)
{
    r->pos = skip_blank_lines(r, r->pos);
    if (r->pos >= r->len || r->pos >= to)
        return false;
    r->record++;
    return true;
}

/* The seven fields of the record just read, checked as a whole (quoting,
 * field count, UTF-8): NULL with *f filled, or the reason to reject it. */
static const char *record_fields(const reader *r, const record *rec,
                                 bool quoted, bool high,
                                 const size_t col[NCOLS], size_t ncols,
                                 lda_fields *f, char why[LDA_REASON_MAX])
{
    if (rec->malformed)
        return rec->malformed;
    if (rec->nfields != ncols) {
        snprintf(why, LDA_REASON_MAX, "expected %zu fields, found %zu", ncols,
                 rec->nfields);
        return why;
    }
    if (quoted ? rec->bad_utf8
               : high && !lda_valid_utf8(r->buf + rec->start,
                                         rec->end - rec->start))
        return "invalid UTF-8";
    lda_fields g = {rec->f[col[COL_TS]],    rec->f[col[COL_ACC]],
                    rec->f[col[COL_PROD]],  rec->f[col[COL_SIDE]],
                    rec->f[col[COL_PRICE]], rec->f[col[COL_QTY]],
                    rec->f[col[COL_TYPE]],  (uint32_t)r->record};
    *f = g;
    return NULL;
}

/* What a part of the input is read with: the columns, the limit, where
 * its records go. */
typedef struct load_args {
    const size_t *col;
    size_t ncols, max_events;
    lda_set *set;
    lda_rejects *rej;
} load_args;

/* Read the records that start in [r->pos, to). */
static bool load_records(reader *r, record *rec, size_t to, const load_args *a,
                         lda_err *e)
{
    size_t added = 0;
    while (next_in_chunk(r, to)) {
        bool high = true, quoted = false;
        if (r->record > LDA_RECORD_MAX)
            return lda_err_set(e, 413, "more than %lu records",
                               (unsigned long)LDA_RECORD_MAX);
        if (!read_plain(r, rec, &high)) {
            read_record(r, rec);
            quoted = true;
        }
        if (rec->oom)
            return lda_err_msg(e, LDA_MSG_NOMEM);
        lda_fields f;
        char why[LDA_REASON_MAX];
        const char *reason = record_fields(r, rec, quoted, high, a->col,
                                           a->ncols, &f, why);
        if (reason) {
            reject(a->rej, r->record, reason);
            continue;
        }
        lda_status st = lda_set_add(a->set, &f, &reason);
        if (st == LDA_NOMEM)
            return lda_err_msg(e, LDA_MSG_NOMEM);
        if (st == LDA_INVALID) {
            reject(a->rej, r->record, reason);
            continue;
        }
        if (a->max_events && ++added > a->max_events)
            return lda_err_set(e, 413, "more than %zu events", a->max_events);
    }
    return true;
}

/* Room for as many events as len bytes of input can hold (a record with
 * seven valid fields takes at least 41 bytes), so the event array is
 * allocated once. Only the part written is ever touched. */
static size_t room(size_t len, size_t max_events)
{
    size_t most = len / 41 + 1;
    if (max_events && most > max_events + 1)
        most = max_events + 1;
    return most;
}

static void record_free(record *rec)
{
    free(rec->f);
    free(rec->toff);
    free(rec->tmp);
}

/* ---- the parallel load ------------------------------------------------ */

/* One chunk of the records after the header: those that start in
 * [from, to). from is a guess (just after a line feed) until the chunk
 * before it is read: it is right when that chunk stopped exactly where this
 * one started (at the first record start at or after from), and is read
 * again from where that chunk stopped otherwise (a quoted field held a line
 * break across the guess). Events go to the chunk's own set; record
 * numbers count from 2 and are shifted when the sets are adopted
 * (lda_set_adopt). */
typedef struct chunk {
    size_t from, to;
    size_t stop;      /* where reading stopped: a record start >= to, or len */
    uint64_t records; /* records read */
    lda_set set;
    lda_rejects rej;
    lda_err e;
    bool ok;
} chunk;

typedef struct par_load {
    const char *buf;
    size_t len, ncols, keep, max_events;
    size_t col[NCOLS];
    chunk *ch;
} par_load;

/* Read chunk k from p (into a fresh set and reject list). */
static void read_chunk(par_load *pl, chunk *k, size_t p)
{
    reader r = {pl->buf, pl->len, p, 1};
    record rec;
    memset(&rec, 0, sizeof rec);
    lda_set_free(&k->set);
    k->rej.count = 0;
    k->rej.kept = 0;
    lda_err_init(&k->e);
    load_args a = {pl->col, pl->ncols, pl->max_events, &k->set, &k->rej};
    rec.grow = true;
    grow_fields(&rec, pl->keep);
    rec.grow = false;
    k->ok = !rec.oom && lda_set_reserve(&k->set, room(k->to - p, 0))
                ? load_records(&r, &rec, k->to, &a, &k->e)
                : lda_err_msg(&k->e, LDA_MSG_NOMEM);
    k->stop = r.pos;
    k->records = r.record - 1;
    record_free(&rec);
}

static void chunk_job(void *arg, size_t i)
{
    par_load *pl = arg;
    read_chunk(pl, &pl->ch[i], pl->ch[i].from);
}

/* Cut [p, len) into n chunks just after line feeds. */
static void cut_chunks(par_load *pl, size_t p, size_t n)
{
    size_t from = p;
    for (size_t k = 0; k < n; k++) {
        size_t to = pl->len;
        if (k + 1 < n) {
            size_t guess = p + (pl->len - p) / n * (k + 1);
            const char *lf = guess < from ? NULL
                                          : memchr(pl->buf + guess, '\n',
                                                   pl->len - guess);
            to = guess < from ? from : lf ? (size_t)(lf - pl->buf) + 1 : to;
        }
        pl->ch[k].from = from;
        pl->ch[k].to = to;
        lda_set_init(&pl->ch[k].set);
        from = to;
    }
}

/* Append chunk k's rejects to rej, record numbers shifted by delta. */
static void join_rejects(lda_rejects *rej, const lda_rejects *part,
                         uint64_t delta)
{
    rej->count += part->count;
    for (size_t i = 0; i < part->kept && rej->kept < LDA_REJECT_KEEP; i++) {
        rej->item[rej->kept] = part->item[i];
        rej->item[rej->kept++].record += delta;
    }
}

/* Verify the chunks in order (reading again the one that started at a
 * wrong place) and join them into set (empty: lda_set_adopt) and rej. 0
 * done; -1 when any chunk failed or the whole would break a limit (set and
 * rej unchanged: the caller then reads the input in one pass, which
 * reports it exactly as always); -2 out of memory while joining. */
static int join_chunks(par_load *pl, size_t n, size_t first_record,
                       lda_set *set, lda_rejects *rej)
{
    reader r = {pl->buf, pl->len, 0, 0};
    uint64_t base = first_record - 1; /* records before chunk k */
    size_t added = 0;
    for (size_t k = 0; k < n; k++) {
        chunk *c = &pl->ch[k];
        if (k > 0 && pl->ch[k - 1].stop != skip_blank_lines(&r, c->from))
            read_chunk(pl, c, pl->ch[k - 1].stop);
        if (!c->ok || base + c->records > LDA_RECORD_MAX ||
            added + c->set.n >= UINT32_MAX - 1)
            return -1;
        base += c->records;
        added += c->set.n;
    }
    if (pl->max_events && added > pl->max_events)
        return -1;
    lda_set *parts = malloc(n * sizeof *parts);
    uint32_t *delta = malloc(n * sizeof *delta);
    base = first_record - 1;
    for (size_t k = 0; parts && delta && k < n; k++) {
        parts[k] = pl->ch[k].set; /* chunk record 2 is record base + 1 */
        delta[k] = (uint32_t)(base - 1);
        lda_set_init(&pl->ch[k].set);
        join_rejects(rej, &pl->ch[k].rej, base - 1);
        base += pl->ch[k].records;
    }
    bool ok = parts && delta && lda_set_adopt(set, parts, n, delta);
    for (size_t k = 0; parts && k < n; k++)
        lda_set_free(&parts[k]);
    free(parts);
    free(delta);
    return ok ? 0 : -2;
}

/* Read the records after the header (at r->pos) in n chunks on par into
 * set, which must be empty: 0 done, -1 not done (the caller reads them in
 * one pass), -2 out of memory. */
static int load_parallel(const reader *r, const record *hdr,
                         const size_t col[NCOLS], size_t ncols,
                         size_t max_events, const lda_par *par, size_t n,
                         lda_set *set, lda_rejects *rej)
{
    par_load pl = {r->buf, r->len, ncols, hdr->keep, max_events, {0}, NULL};
    memcpy(pl.col, col, sizeof pl.col);
    if (set->n || set->ngroups || set->nparts ||
        !(pl.ch = calloc(n, sizeof *pl.ch)))
        return -1;
    cut_chunks(&pl, r->pos, n);
    lda_par_run(par, n, chunk_job, &pl);
    int rc = join_chunks(&pl, n, r->record + 1, set, rej);
    for (size_t k = 0; k < n; k++)
        lda_set_free(&pl.ch[k].set);
    free(pl.ch);
    return rc;
}

bool lda_csv_load(char *buf, size_t len, size_t max_events, bool allow_empty,
                  lda_set *set, lda_rejects *rej, lda_err *e)
{
    return lda_csv_load_par(buf, len, max_events, allow_empty, NULL, set, rej,
                            e);
}

bool lda_csv_load_par(const char *buf, size_t len, size_t max_events,
                      bool allow_empty, const lda_par *par, lda_set *set,
                      lda_rejects *rej, lda_err *e)
{
    reader r = {buf, len, 0, 0};
    record rec;
    size_t col[NCOLS] = {0}, ncols = 0, before = set->n;
    memset(&rec, 0, sizeof rec);
    rej->count = 0;
    rej->kept = 0;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        r.pos = 3;
    const char *looks = sniff(buf, len);
    bool ok = load_header(&r, &rec, col, &ncols, e);
    if (!ok && e->status == 400 && looks)
        lda_err_set(e, 400, "%s", looks);
    size_t n = lda_par_threads(par);
    int par_rc = -1;
    if (ok && n > 1 && (len - r.pos) / n >= LDA_CSV_CHUNK_MIN)
        par_rc = load_parallel(&r, &rec, col, ncols, max_events, par, n, set,
                               rej);
    if (par_rc == -2)
        ok = lda_err_msg(e, LDA_MSG_NOMEM);
    else if (ok && par_rc < 0) {
        load_args a = {col, ncols, max_events, set, rej};
        ok = (lda_set_reserve(set, set->n + room(len, max_events)) ||
              lda_err_msg(e, LDA_MSG_NOMEM)) &&
             load_records(&r, &rec, len, &a, e);
    }
    record_free(&rec);
    if (ok && !allow_empty && set->n == before)
        return lda_err_set(e, 400, "no valid event in the input");
    return ok;
}

void lda_csv_put(lda_buf *b, const char *s, size_t n, bool guard)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    bool tick = guard && n > 0 && s[0] != '\0' && strchr("=+-@\t\r", s[0]);
    if (quote)
        lda_buf_addc(b, '"');
    if (tick)
        lda_buf_addc(b, '\'');
    if (!quote) {
        lda_buf_add(b, s, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            lda_buf_addc(b, '"');
        lda_buf_addc(b, s[i]);
    }
    lda_buf_addc(b, '"');
}
