/*
 * bitmap.c - bit counting, searching, fields and BITOP over byte strings
 * (see bitmap.h for the bit order and the ownership rules).
 *
 * Threads: pure functions; the popcount implementation is picked on first
 * use (a relaxed store of a function pointer: every thread picks the same).
 *
 * Word at a time: the middle of a range is read 8 bytes per load (memcpy, so
 * any alignment is fine) and counted with one popcount per word, four words
 * per iteration; only the partial bytes at both ends are masked. A search
 * reads a window of 8 bytes as one big-endian word, masks the bits outside
 * the range and takes the leading-zero count, so the first matching bit of a
 * 1 MB string is found in 128 K loads at most.
 */
#include "core/ds/bitmap.h"

#include <string.h>

/* ---------------- popcount ---------------- */

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

static inline uint64_t load64_be(const unsigned char *p)
{
    return __builtin_bswap64(load64(p));
}

static inline uint64_t swar_popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (x * 0x0101010101010101ULL) >> 56;
}

static uint64_t popcount_words_swar(const unsigned char *p, size_t words)
{
    uint64_t total = 0;
    size_t i = 0;
    for (; i + 4 <= words; i += 4)
        total += swar_popcount64(load64(p + 8 * i)) + swar_popcount64(load64(p + 8 * i + 8)) +
                 swar_popcount64(load64(p + 8 * i + 16)) + swar_popcount64(load64(p + 8 * i + 24));
    for (; i < words; i++)
        total += swar_popcount64(load64(p + 8 * i));
    return total;
}

#if defined(__x86_64__)
__attribute__((target("popcnt"))) static uint64_t popcount_words_hw(const unsigned char *p, size_t words)
{
    uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0;
    size_t i = 0;
    for (; i + 4 <= words; i += 4) {
        t0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
        t1 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 8));
        t2 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 16));
        t3 += (uint64_t)__builtin_popcountll(load64(p + 8 * i + 24));
    }
    for (; i < words; i++)
        t0 += (uint64_t)__builtin_popcountll(load64(p + 8 * i));
    return t0 + t1 + t2 + t3;
}
#endif

typedef uint64_t popcount_words_fn(const unsigned char *p, size_t words);
static popcount_words_fn *popcount_words;

static popcount_words_fn *popcount_pick(void)
{
    popcount_words_fn *fn = __atomic_load_n(&popcount_words, __ATOMIC_RELAXED);
    if (fn)
        return fn;
    fn = popcount_words_swar;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("popcnt"))
        fn = popcount_words_hw;
#endif
    __atomic_store_n(&popcount_words, fn, __ATOMIC_RELAXED);
    return fn;
}

uint64_t bitmap_popcount(const unsigned char *p, size_t n)
{
    size_t words = n / 8;
    uint64_t total = words ? popcount_pick()(p, words) : 0;
    for (size_t i = words * 8; i < n; i++)
        total += swar_popcount64(p[i]);
    return total;
}

uint64_t bitmap_count(const unsigned char *p, uint64_t startbit, uint64_t endbit)
{
    uint64_t first = startbit >> 3, last = endbit >> 3;
    /* high bits of the first byte before startbit, low bits of the last
     * byte after endbit, are outside the range */
    unsigned first_mask = 0xffu >> (startbit & 7);
    unsigned last_mask = (0xff00u >> ((endbit & 7) + 1)) & 0xffu;
    if (first == last)
        return swar_popcount64(p[first] & first_mask & last_mask);
    uint64_t total = swar_popcount64(p[first] & first_mask) + swar_popcount64(p[last] & last_mask);
    return total + bitmap_popcount(p + first + 1, (size_t)(last - first - 1));
}

/* ---------------- search ---------------- */

int64_t bitmap_find(const unsigned char *p, size_t len, uint64_t startbit, uint64_t endbit, int bit)
{
    uint64_t pos = startbit;
    while (pos <= endbit) {
        uint64_t byte = pos >> 3;
        uint64_t w;
        if (byte + 8 <= len) {
            w = load64_be(p + byte);
        } else {
            w = 0;
            for (int i = 0; i < 8; i++)
                w = (w << 8) | (byte + (uint64_t)i < len ? p[byte + i] : 0);
        }
        if (!bit)
            w = ~w;
        uint64_t base = byte * 8;
        w &= ~0ULL >> (pos - base); /* bits before pos */
        if (endbit - base < 63)
            w &= ~(~0ULL >> (endbit - base + 1)); /* bits after endbit */
        if (w)
            return (int64_t)(base + (uint64_t)__builtin_clzll(w));
        pos = base + 64;
    }
    return -1;
}

/* ---------------- fields ---------------- */

uint64_t bitmap_get_field(const unsigned char *p, size_t len, uint64_t offset, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < bits; i++) {
        uint64_t pos = offset + (uint64_t)i, byte = pos >> 3;
        unsigned b = byte < len ? (p[byte] >> (7 - (pos & 7))) & 1 : 0;
        v = (v << 1) | b;
    }
    return v;
}

int64_t bitmap_get_signed_field(const unsigned char *p, size_t len, uint64_t offset, int bits)
{
    uint64_t v = bitmap_get_field(p, len, offset, bits);
    if (bits < 64 && (v & (1ULL << (bits - 1))))
        v |= ~0ULL << bits; /* sign extension */
    return (int64_t)v;
}

void bitmap_set_field(unsigned char *p, uint64_t offset, int bits, uint64_t value)
{
    for (int i = 0; i < bits; i++) {
        uint64_t pos = offset + (uint64_t)i;
        unsigned b = (value >> (bits - 1 - i)) & 1;
        unsigned char mask = (unsigned char)(1u << (7 - (pos & 7)));
        if (b)
            p[pos >> 3] |= mask;
        else
            p[pos >> 3] &= (unsigned char)~mask;
    }
}

/*
 * Redis's overflow rules, condition for condition (including how its int64
 * differences wrap around for a SET value far outside the field): an
 * unsigned field overflows above 2^bits - 1 and underflows below 0; a signed
 * one leaves [-2^(bits-1), 2^(bits-1) - 1].
 */
int bitfield_unsigned_add(uint64_t value, int64_t incr, int bits, int sat, uint64_t *result)
{
    uint64_t max = bits == 64 ? UINT64_MAX : (1ULL << bits) - 1;
    int64_t maxincr = (int64_t)(max - value);
    int64_t minincr = (int64_t)(0 - value);
    uint64_t wrapped = (value + (uint64_t)incr) & max;
    if (value > max || (incr > 0 && incr > maxincr)) {
        *result = sat ? max : wrapped;
        return 1;
    }
    if (incr < 0 && incr < minincr) {
        *result = sat ? 0 : wrapped;
        return 1;
    }
    *result = wrapped;
    return 0;
}

int bitfield_signed_add(int64_t value, int64_t incr, int bits, int sat, int64_t *result)
{
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)((1ULL << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t maxincr = (int64_t)((uint64_t)max - (uint64_t)value);
    int64_t minincr = (int64_t)((uint64_t)min - (uint64_t)value);
    uint64_t c = (uint64_t)value + (uint64_t)incr;
    if (bits < 64) {
        uint64_t mask = ~0ULL << bits;
        if (c & (1ULL << (bits - 1)))
            c |= mask;
        else
            c &= ~mask;
    }
    int64_t wrapped = (int64_t)c;
    if (value > max || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr)) {
        *result = sat ? max : wrapped;
        return 1;
    }
    if (value < min || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr)) {
        *result = sat ? min : wrapped;
        return 1;
    }
    *result = wrapped;
    return 0;
}

/* ---------------- BITOP ---------------- */

void bitmap_op(enum bitmap_op op, const unsigned char *const *srcs, const size_t *lens, size_t n, unsigned char *out,
               size_t maxlen)
{
    size_t minlen = maxlen;
    for (size_t i = 0; i < n; i++)
        if (lens[i] < minlen)
            minlen = lens[i];
    /* where every source has bytes: a word at a time */
    size_t j = 0;
    if (n > 0 && minlen >= 8) {
        size_t words = minlen / 8;
        memcpy(out, srcs[0], words * 8);
        for (size_t w = 0; w < words; w++) {
            uint64_t acc = load64(out + 8 * w);
            switch (op) {
            case BITMAP_AND:
                for (size_t i = 1; i < n; i++)
                    acc &= load64(srcs[i] + 8 * w);
                break;
            case BITMAP_OR:
                for (size_t i = 1; i < n; i++)
                    acc |= load64(srcs[i] + 8 * w);
                break;
            case BITMAP_XOR:
                for (size_t i = 1; i < n; i++)
                    acc ^= load64(srcs[i] + 8 * w);
                break;
            case BITMAP_NOT:
                acc = ~acc;
                break;
            }
            memcpy(out + 8 * w, &acc, sizeof(acc));
        }
        j = words * 8;
    }
    /* the tail, and the bytes past a shorter source's end (zeros) */
    for (; j < maxlen; j++) {
        unsigned char acc = j < lens[0] ? srcs[0][j] : 0;
        if (op == BITMAP_NOT)
            acc = (unsigned char)~acc;
        for (size_t i = 1; i < n; i++) {
            unsigned char b = j < lens[i] ? srcs[i][j] : 0;
            if (op == BITMAP_AND)
                acc &= b;
            else if (op == BITMAP_OR)
                acc |= b;
            else if (op == BITMAP_XOR)
                acc ^= b;
        }
        out[j] = acc;
    }
}
