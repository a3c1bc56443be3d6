/*
 * test_bitmap.c - unit tests for core/ds/bitmap.c against a naive bit-by-bit
 * model: counting and searching every (start, end) range of strings of
 * 0..40 bytes (so every alignment of both ends relative to the 8-byte words
 * and to the byte boundaries), fields of every width at every bit offset,
 * BITOP over sources of different lengths, and Redis's overflow rules at the
 * limits of every field width.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/bitmap.h"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int naive_bit(const unsigned char *p, size_t len, uint64_t pos)
{
    return pos / 8 < len ? (p[pos / 8] >> (7 - pos % 8)) & 1 : 0;
}

/* Random bytes, biased so long runs of 0x00 and 0xff appear (the search's
 * word skipping). */
static void fill(unsigned char *p, size_t len)
{
    int mode = (int)(rng() % 4);
    for (size_t i = 0; i < len; i++) {
        uint64_t r = rng();
        p[i] = mode == 0 ? (unsigned char)r : mode == 1 ? 0 : mode == 2 ? 0xff : (r % 7 == 0 ? (unsigned char)r : 0xff);
    }
}

Test(bitmap, count_every_range_and_alignment)
{
    unsigned char buf[48];
    for (size_t len = 1; len <= 40; len++) {
        for (int round = 0; round < 4; round++) {
            fill(buf, len);
            uint64_t bits = len * 8;
            cr_assert_eq(bitmap_popcount(buf, len), bitmap_count(buf, 0, bits - 1));
            for (uint64_t s = 0; s < bits; s += 1 + (len > 16 ? rng() % 3 : 0)) {
                uint64_t naive = 0;
                for (uint64_t e = s; e < bits; e++) {
                    naive += (uint64_t)naive_bit(buf, len, e);
                    cr_assert_eq(bitmap_count(buf, s, e), naive, "len %zu range %llu..%llu", len, (unsigned long long)s,
                                 (unsigned long long)e);
                }
            }
        }
    }
}

Test(bitmap, popcount_long_unaligned)
{
    /* word-at-a-time counting from every start alignment */
    size_t len = 1000;
    unsigned char *buf = malloc(len + 8);
    fill(buf, len + 8);
    for (size_t off = 0; off < 8; off++) {
        uint64_t naive = 0;
        for (size_t i = 0; i < len * 8; i++)
            naive += (uint64_t)naive_bit(buf + off, len, i);
        cr_assert_eq(bitmap_popcount(buf + off, len), naive);
    }
    free(buf);
}

Test(bitmap, find_every_range_and_alignment)
{
    unsigned char buf[48];
    for (size_t len = 1; len <= 40; len++) {
        for (int round = 0; round < 6; round++) {
            fill(buf, len);
            uint64_t bits = len * 8;
            for (int bit = 0; bit <= 1; bit++) {
                for (uint64_t s = 0; s < bits; s += 1 + (len > 16 ? rng() % 4 : 0)) {
                    int64_t first = -1;
                    /* walking e upwards, the answer for [s, e] is the first
                     * match at or after s, once e reaches it */
                    for (uint64_t e = s; e < bits; e++) {
                        if (first < 0 && naive_bit(buf, len, e) == bit)
                            first = (int64_t)e;
                        cr_assert_eq(bitmap_find(buf, len, s, e, bit), first, "len %zu bit %d range %llu..%llu", len,
                                     bit, (unsigned long long)s, (unsigned long long)e);
                    }
                }
            }
        }
    }
}

Test(bitmap, fields_every_width_and_offset)
{
    unsigned char buf[24], model[24];
    for (int bits = 1; bits <= 64; bits++) {
        for (uint64_t off = 0; off < 64; off++) {
            fill(buf, sizeof(buf));
            memcpy(model, buf, sizeof(buf));
            /* read: naive big-endian bit order */
            uint64_t want = 0;
            for (int i = 0; i < bits; i++)
                want = (want << 1) | (uint64_t)naive_bit(buf, sizeof(buf), off + (uint64_t)i);
            cr_assert_eq(bitmap_get_field(buf, sizeof(buf), off, bits), want);
            int64_t swant = bits < 64 && (want >> (bits - 1)) ? (int64_t)(want | (~0ULL << bits)) : (int64_t)want;
            cr_assert_eq(bitmap_get_signed_field(buf, sizeof(buf), off, bits), swant);
            /* past the end reads zeros */
            cr_assert_eq(bitmap_get_field(buf, off / 8, off, bits), 0);
            /* write: only the field's bits change */
            uint64_t v = rng();
            bitmap_set_field(buf, off, bits, v);
            for (uint64_t pos = 0; pos < sizeof(buf) * 8; pos++) {
                int expect = pos >= off && pos < off + (uint64_t)bits ? (int)((v >> (bits - 1 - (int)(pos - off))) & 1)
                                                                      : naive_bit(model, sizeof(model), pos);
                cr_assert_eq(naive_bit(buf, sizeof(buf), pos), expect, "bits %d off %llu pos %llu", bits,
                             (unsigned long long)off, (unsigned long long)pos);
            }
        }
    }
}

Test(bitmap, bitop_against_model)
{
    unsigned char srcbuf[4][80], out[80];
    for (int round = 0; round < 400; round++) {
        size_t n = 1 + rng() % 4, lens[4], maxlen = 0;
        const unsigned char *srcs[4];
        enum bitmap_op op = (enum bitmap_op)(rng() % 4);
        if (op == BITMAP_NOT)
            n = 1;
        for (size_t i = 0; i < n; i++) {
            lens[i] = rng() % 80;
            if (rng() % 5 == 0)
                lens[i] = 0; /* a missing key */
            fill(srcbuf[i], lens[i]);
            srcs[i] = lens[i] ? srcbuf[i] : NULL;
            if (lens[i] > maxlen)
                maxlen = lens[i];
        }
        bitmap_op(op, srcs, lens, n, out, maxlen);
        for (size_t j = 0; j < maxlen; j++) {
            unsigned char acc = j < lens[0] ? srcs[0][j] : 0;
            if (op == BITMAP_NOT)
                acc = (unsigned char)~acc;
            for (size_t i = 1; i < n; i++) {
                unsigned char b = j < lens[i] ? srcs[i][j] : 0;
                acc = op == BITMAP_AND ? acc & b : op == BITMAP_OR ? acc | b : acc ^ b;
            }
            cr_assert_eq(out[j], acc, "round %d op %d byte %zu", round, op, j);
        }
    }
}

Test(bitmap, overflow_rules)
{
    uint64_t u;
    int64_t s;
    /* unsigned 8 bits */
    cr_assert_eq(bitfield_unsigned_add(250, 10, 8, 0, &u), 1);
    cr_assert_eq(u, 4);
    cr_assert_eq(bitfield_unsigned_add(250, 10, 8, 1, &u), 1);
    cr_assert_eq(u, 255);
    cr_assert_eq(bitfield_unsigned_add(5, -10, 8, 1, &u), 1);
    cr_assert_eq(u, 0);
    cr_assert_eq(bitfield_unsigned_add(5, -10, 8, 0, &u), 1);
    cr_assert_eq(u, 251);
    cr_assert_eq(bitfield_unsigned_add(5, 250, 8, 0, &u), 0);
    cr_assert_eq(u, 255);
    /* SET of a negative value into an unsigned field */
    cr_assert_eq(bitfield_unsigned_add((uint64_t)-1, 0, 8, 1, &u), 1);
    cr_assert_eq(u, 255);
    /* unsigned 63 bits at the top */
    cr_assert_eq(bitfield_unsigned_add((1ULL << 63) - 1, 1, 63, 1, &u), 1);
    cr_assert_eq(u, (1ULL << 63) - 1);
    /* signed */
    cr_assert_eq(bitfield_signed_add(127, 1, 8, 0, &s), 1);
    cr_assert_eq(s, -128);
    cr_assert_eq(bitfield_signed_add(127, 1, 8, 1, &s), 1);
    cr_assert_eq(s, 127);
    cr_assert_eq(bitfield_signed_add(-128, -1, 8, 1, &s), 1);
    cr_assert_eq(s, -128);
    cr_assert_eq(bitfield_signed_add(-128, -1, 8, 0, &s), 1);
    cr_assert_eq(s, 127);
    cr_assert_eq(bitfield_signed_add(INT64_MAX, 1, 64, 0, &s), 1);
    cr_assert_eq(s, INT64_MIN);
    cr_assert_eq(bitfield_signed_add(INT64_MIN, -1, 64, 1, &s), 1);
    cr_assert_eq(s, INT64_MIN);
    cr_assert_eq(bitfield_signed_add(-3, 1, 1, 0, &s), 1); /* i1 holds -1..0 */
    cr_assert_eq(s, 0);
    cr_assert_eq(bitfield_signed_add(0, -1, 1, 0, &s), 0);
    cr_assert_eq(s, -1);
}
