/*
 * intset.c - sorted array of distinct integers (see intset.h), Redis's
 * layout: <encoding: u32> <length: u32> <contents>, where encoding is the
 * width in bytes of every element (2, 4 or 8) and contents holds `length`
 * little-endian signed integers of that width in strictly ascending order.
 *
 * Invariants: the block is exactly intset_bytes() long; the width is the
 * narrowest that holds every element ever added (it is not narrowed again
 * on removal, as in Redis); no duplicates. Lookups are binary searches;
 * adds and removes memmove the tail and realloc once. Adding a value wider
 * than the current width upgrades every element in place from the back, and
 * the new value, being outside the old range, goes to one end.
 *
 * Threads: none of its own; an intset is used only by the shard thread that
 * owns the key holding it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/intset.h"

#include "core/base/util.h"

#define INTSET_ENC_INT16 ((uint32_t)sizeof(int16_t))
#define INTSET_ENC_INT32 ((uint32_t)sizeof(int32_t))
#define INTSET_ENC_INT64 ((uint32_t)sizeof(int64_t))

struct intset {
    uint32_t encoding; /* little-endian on disk and in memory */
    uint32_t length;
    unsigned char contents[];
};

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define LE16(x) __builtin_bswap16(x)
#define LE32(x) __builtin_bswap32(x)
#define LE64(x) __builtin_bswap64(x)
#else
#define LE16(x) (x)
#define LE32(x) (x)
#define LE64(x) (x)
#endif

static uint32_t get_encoding(const struct intset *is)
{
    return LE32(is->encoding);
}

static void set_encoding(struct intset *is, uint32_t enc)
{
    is->encoding = LE32(enc);
}

uint32_t intset_len(const struct intset *is)
{
    return LE32(is->length);
}

static void set_length(struct intset *is, uint32_t len)
{
    is->length = LE32(len);
}

static uint32_t value_encoding(int64_t v)
{
    if (v < INT32_MIN || v > INT32_MAX)
        return INTSET_ENC_INT64;
    if (v < INT16_MIN || v > INT16_MAX)
        return INTSET_ENC_INT32;
    return INTSET_ENC_INT16;
}

static int64_t get_encoded(const struct intset *is, uint32_t pos, uint32_t enc)
{
    const unsigned char *p = is->contents + (size_t)pos * enc;
    if (enc == INTSET_ENC_INT64) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return (int64_t)LE64(v);
    }
    if (enc == INTSET_ENC_INT32) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return (int32_t)LE32(v);
    }
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return (int16_t)LE16(v);
}

static void set_at(struct intset *is, uint32_t pos, int64_t value)
{
    uint32_t enc = get_encoding(is);
    unsigned char *p = is->contents + (size_t)pos * enc;
    if (enc == INTSET_ENC_INT64) {
        uint64_t v = LE64((uint64_t)value);
        memcpy(p, &v, sizeof(v));
    } else if (enc == INTSET_ENC_INT32) {
        uint32_t v = LE32((uint32_t)(int32_t)value);
        memcpy(p, &v, sizeof(v));
    } else {
        uint16_t v = LE16((uint16_t)(int16_t)value);
        memcpy(p, &v, sizeof(v));
    }
}

int64_t intset_get(const struct intset *is, uint32_t pos)
{
    return get_encoded(is, pos, get_encoding(is));
}

size_t intset_bytes(const struct intset *is)
{
    return sizeof(struct intset) + (size_t)intset_len(is) * get_encoding(is);
}

static struct intset *resize(struct intset *is, uint32_t len)
{
    size_t size = sizeof(struct intset) + (size_t)len * get_encoding(is);
    struct intset *n = realloc(is, size);
    if (!n)
        out_of_memory(size);
    return n;
}

struct intset *intset_new(void)
{
    struct intset *is = malloc(sizeof(*is));
    if (!is)
        out_of_memory(sizeof(*is));
    set_encoding(is, INTSET_ENC_INT16);
    set_length(is, 0);
    return is;
}

void intset_free(struct intset *is)
{
    free(is);
}

struct intset *intset_dup(const struct intset *is)
{
    size_t size = intset_bytes(is);
    struct intset *n = malloc(size);
    if (!n)
        out_of_memory(size);
    memcpy(n, is, size);
    return n;
}

/* Binary search: 1 and *pos = index when found, else 0 and *pos = where v
 * would be inserted. */
static int search(const struct intset *is, int64_t v, uint32_t *pos)
{
    uint32_t len = intset_len(is);
    if (len == 0) {
        *pos = 0;
        return 0;
    }
    /* Values outside the range go to an end without a search (the common
     * case of ascending inserts). */
    if (v > intset_get(is, len - 1)) {
        *pos = len;
        return 0;
    }
    if (v < intset_get(is, 0)) {
        *pos = 0;
        return 0;
    }
    uint32_t lo = 0, hi = len; /* answer in [lo, hi) */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int64_t cur = intset_get(is, mid);
        if (cur == v) {
            *pos = mid;
            return 1;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return 0;
}

int intset_find(const struct intset *is, int64_t v)
{
    uint32_t pos;
    return value_encoding(v) <= get_encoding(is) && search(is, v, &pos);
}

/* Widens every element to the encoding of v and adds v, which lies outside
 * the current range (it does not fit the old width). */
static struct intset *upgrade_and_add(struct intset *is, int64_t v)
{
    uint32_t old_enc = get_encoding(is), len = intset_len(is);
    int prepend = v < 0;
    set_encoding(is, value_encoding(v));
    is = resize(is, len + 1);
    /* From the back, so no element is overwritten before it is read. */
    for (uint32_t i = len; i-- > 0;)
        set_at(is, i + (uint32_t)prepend, get_encoded(is, i, old_enc));
    set_at(is, prepend ? 0 : len, v);
    set_length(is, len + 1);
    return is;
}

struct intset *intset_add(struct intset *is, int64_t v, int *added)
{
    if (added)
        *added = 1;
    if (value_encoding(v) > get_encoding(is))
        return upgrade_and_add(is, v);
    uint32_t pos, len = intset_len(is);
    if (search(is, v, &pos)) {
        if (added)
            *added = 0;
        return is;
    }
    if (len == UINT32_MAX) {
        if (added)
            *added = 0;
        return is;
    }
    is = resize(is, len + 1);
    uint32_t enc = get_encoding(is);
    memmove(is->contents + (size_t)(pos + 1) * enc, is->contents + (size_t)pos * enc, (size_t)(len - pos) * enc);
    set_at(is, pos, v);
    set_length(is, len + 1);
    return is;
}

struct intset *intset_remove(struct intset *is, int64_t v, int *removed)
{
    uint32_t pos;
    if (value_encoding(v) > get_encoding(is) || !search(is, v, &pos)) {
        if (removed)
            *removed = 0;
        return is;
    }
    uint32_t len = intset_len(is), enc = get_encoding(is);
    memmove(is->contents + (size_t)pos * enc, is->contents + (size_t)(pos + 1) * enc, (size_t)(len - pos - 1) * enc);
    set_length(is, len - 1);
    if (removed)
        *removed = 1;
    return resize(is, len - 1);
}

int intset_validate(const struct intset *is, size_t bytes)
{
    if (!is || bytes < sizeof(struct intset))
        return 0;
    uint32_t enc = get_encoding(is);
    if (enc != INTSET_ENC_INT16 && enc != INTSET_ENC_INT32 && enc != INTSET_ENC_INT64)
        return 0;
    uint32_t len = intset_len(is);
    if ((uint64_t)len * enc != (uint64_t)(bytes - sizeof(struct intset)))
        return 0;
    for (uint32_t i = 1; i < len; i++)
        if (get_encoded(is, i - 1, enc) >= get_encoded(is, i, enc))
            return 0;
    return 1;
}
