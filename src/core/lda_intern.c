/* lda_intern: string and id-pair interning tables; see the header. Ids are
 * short, so the hash reads whole words (the tail as one overlapping word)
 * and the equality check compares two words instead of calling memcmp. */
#include "lda_intern.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The hash seed: a constant until the program sets its own. */
static uint64_t seed = 0x243F6A8885A308D3ULL;

void lda_intern_seed(uint64_t s)
{
    seed = s;
}

static uint64_t hash_seed(void)
{
    return seed;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t load8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return w;
}

/* The last n bytes (n < 8) as a word, without a variable-length memcpy. */
static uint64_t load_tail(const char *p, size_t n)
{
    uint64_t w = 0;
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        w = (uint64_t)a << 32 | b;
    } else if (n) {
        w = (uint64_t)(unsigned char)p[0] << 16 |
            (uint64_t)(unsigned char)p[n / 2] << 8 | (unsigned char)p[n - 1];
    }
    return w;
}

/* Whole 8-byte words, then the rest read as one (possibly overlapping)
 * word; the length is mixed in, so the overlap cannot make two strings of
 * different lengths collide systematically. */
static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = hash_seed() ^ n;
    size_t len = n;
    while (n > 8) {
        h = mix(h ^ load8(p)) + 0x9E3779B97F4A7C15ULL;
        p += 8;
        n -= 8;
    }
    uint64_t w = len >= 8 ? load8(p + n - 8) : load_tail(p, n);
    return mix(h ^ w ^ 0x5851F42D4C957F2DULL);
}

/* a[0..n) == b[0..n), inline for short ids. */
static bool same_bytes(const char *a, const char *b, size_t n)
{
    if (n >= 8 && n <= 16)
        return load8(a) == load8(b) && load8(a + n - 8) == load8(b + n - 8);
    return memcmp(a, b, n) == 0;
}

/* ---- strings ---------------------------------------------------------- */

static bool strtab_grow(lda_strtab *t)
{
    size_t nslots = t->nslots ? t->nslots * 2 : 256;
    uint64_t *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->nslots; i++) {
        uint64_t s = t->slots[i];
        if (!s)
            continue;
        /* the tag is the hash's high half; probe from a rehash of it */
        size_t k = mix(s >> 32) & (nslots - 1);
        while (slots[k])
            k = (k + 1) & (nslots - 1);
        slots[k] = s;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return true;
}

static bool strtab_reserve(lda_strtab *t)
{
    if (t->n < t->cap)
        return true;
    size_t cap = t->cap ? t->cap * 2 : 64;
    size_t *off = realloc(t->off, cap * sizeof *off);
    if (!off)
        return false;
    t->off = off;
    uint32_t *len = realloc(t->len, cap * sizeof *len);
    if (!len)
        return false;
    t->len = len;
    t->cap = cap;
    return true;
}

int64_t lda_strtab_intern(lda_strtab *t, lda_buf *arena, const char *p,
                          size_t n)
{
    if ((t->n + 1) * 2 > t->nslots && !strtab_grow(t))
        return -1;
    uint64_t tag = hash_bytes(p, n) >> 32;
    size_t k = mix(tag) & (t->nslots - 1);
    for (; t->slots[k]; k = (k + 1) & (t->nslots - 1)) {
        uint64_t s = t->slots[k];
        size_t id = (uint32_t)s - 1;
        if ((s >> 32) == tag && t->len[id] == n &&
            same_bytes(arena->data + t->off[id], p, n))
            return (int64_t)id;
    }
    if (t->n >= UINT32_MAX - 1 || n > UINT32_MAX || !strtab_reserve(t))
        return -1;
    t->off[t->n] = arena->len;
    t->len[t->n] = (uint32_t)n;
    lda_buf_add(arena, p, n);
    if (arena->oom)
        return -1;
    t->slots[k] = tag << 32 | (t->n + 1);
    return (int64_t)t->n++;
}

void lda_strtab_free(lda_strtab *t)
{
    free(t->slots);
    free(t->off);
    free(t->len);
    memset(t, 0, sizeof *t);
}

/* ---- id pairs --------------------------------------------------------- */

static int64_t pairtab_find(lda_pairtab *t, uint32_t a, uint32_t b,
                            uint32_t fresh);

static size_t pair_slot(uint32_t a, uint32_t b, size_t nslots)
{
    return mix(((uint64_t)a << 32 | b) ^ hash_seed()) & (nslots - 1);
}

static bool pairtab_grow(lda_pairtab *t)
{
    size_t nslots = t->nslots ? t->nslots * 2 : 1024;
    lda_pair *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < t->nslots; i++) {
        lda_pair *p = &t->slots[i];
        if (!p->v1)
            continue;
        size_t k = pair_slot(p->a, p->b, nslots);
        while (slots[k].v1)
            k = (k + 1) & (nslots - 1);
        slots[k] = *p;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = nslots;
    return true;
}

int64_t lda_pairtab_get(lda_pairtab *t, uint32_t a, uint32_t b, uint32_t fresh)
{
    if (t->last.v1 && t->last.a == a && t->last.b == b)
        return (int64_t)t->last.v1 - 1;
    int64_t v = pairtab_find(t, a, b, fresh);
    if (v >= 0)
        t->last = (lda_pair){a, b, (uint32_t)v + 1};
    return v;
}

static int64_t pairtab_find(lda_pairtab *t, uint32_t a, uint32_t b,
                            uint32_t fresh)
{
    if ((t->n + 1) * 2 > t->nslots && !pairtab_grow(t))
        return -1;
    size_t k = pair_slot(a, b, t->nslots);
    for (; t->slots[k].v1; k = (k + 1) & (t->nslots - 1))
        if (t->slots[k].a == a && t->slots[k].b == b)
            return (int64_t)t->slots[k].v1 - 1;
    if (fresh >= UINT32_MAX)
        return -1;
    t->slots[k] = (lda_pair){a, b, fresh + 1};
    t->n++;
    return fresh;
}

void lda_pairtab_free(lda_pairtab *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}
