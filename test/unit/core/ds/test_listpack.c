/*
 * test_listpack.c - unit tests for core/ds/listpack.c: exact byte sizes of
 * Redis's entry encodings, round trips at every encoding boundary,
 * navigation in both directions, insert/replace/delete at head, middle and
 * tail, lp_find with skip, lp_merge, lp_validate on valid and corrupted
 * blocks, and a randomized run against an array-of-strings model.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/ds/listpack.h"

static unsigned char *append_cstr(unsigned char *lp, const char *s)
{
    return lp_append(lp, s, strlen(s));
}

/* The entry's bytes as a NUL-terminated string in out. */
static const char *entry_text(unsigned char *p, char *out, size_t outlen)
{
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *s = lp_get_str(p, buf, &len);
    cr_assert(len < outlen);
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

/* Size of a listpack holding exactly one element s/len. */
static size_t single_size(const char *s, size_t len)
{
    unsigned char *lp = lp_append(lp_new(), s, len);
    size_t bytes = lp_bytes(lp);
    cr_assert(lp_validate(lp, bytes));
    lp_free(lp);
    return bytes;
}

static size_t single_int_size(long long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%lld", v);
    return single_size(buf, (size_t)n);
}

Test(listpack, empty)
{
    unsigned char *lp = lp_new();
    cr_assert_eq(lp_bytes(lp), LP_EMPTY_BYTES);
    cr_assert_eq(lp_count(lp), 0);
    cr_assert_null(lp_first(lp));
    cr_assert_null(lp_last(lp));
    cr_assert_null(lp_seek(lp, 0));
    cr_assert_null(lp_seek(lp, -1));
    cr_assert(lp_validate(lp, lp_bytes(lp)));
    lp_free(lp);
}

Test(listpack, ten_small_ints_take_two_bytes_each)
{
    unsigned char *lp = lp_new();
    for (int i = 0; i < 10; i++) {
        char buf[4];
        int n = snprintf(buf, sizeof(buf), "%d", i * 11);
        lp = lp_append(lp, buf, (size_t)n);
    }
    cr_assert_eq(lp_bytes(lp), 10 * 2 + 9);
    cr_assert_eq(lp_count(lp), 10);
    lp_free(lp);
}

Test(listpack, integer_encoding_sizes)
{
    /* entry = encoding+data + 1 backlen byte, plus the 9 bytes of header/end */
    static const struct {
        long long v;
        size_t entry;
    } cases[] = {
        {0, 2},
        {127, 2},
        {128, 3},
        {-1, 3},
        {4095, 3},
        {-4096, 3},
        {4096, 4},
        {-4097, 4},
        {32767, 4},
        {-32768, 4},
        {32768, 5},
        {-32769, 5},
        {8388607, 5},
        {-8388608, 5},
        {8388608, 6},
        {-8388609, 6},
        {INT32_MAX, 6},
        {INT32_MIN, 6},
        {(long long)INT32_MAX + 1, 10},
        {(long long)INT32_MIN - 1, 10},
        {LLONG_MAX, 10},
        {LLONG_MIN, 10},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        cr_assert_eq(single_int_size(cases[i].v), cases[i].entry + 9, "value %lld: %zu bytes", cases[i].v,
                     single_int_size(cases[i].v));
}

Test(listpack, string_encoding_sizes)
{
    static const struct {
        size_t len;
        size_t entry;
    } cases[] = {
        {0, 2},                   /* 1 header + 0 + 1 backlen */
        {1, 3},                   /* "a" */
        {63, 1 + 63 + 1},         /* last 6-bit length */
        {64, 2 + 64 + 1},         /* first 12-bit length */
        {125, 2 + 125 + 1},       /* encoded 127: 1-byte backlen */
        {126, 2 + 126 + 2},       /* encoded 128: 2-byte backlen */
        {4095, 2 + 4095 + 2},     /* last 12-bit length */
        {4096, 5 + 4096 + 2},     /* first 32-bit length */
        {20000, 5 + 20000 + 3},   /* encoded 20005 >= 16383: 3-byte backlen */
        {300000, 5 + 300000 + 3}, /* < 2097151 */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = malloc(cases[i].len + 1);
        memset(s, 'x', cases[i].len);
        cr_assert_eq(single_size(s, cases[i].len), cases[i].entry + 9, "len %zu", cases[i].len);
        free(s);
    }
}

/* Every boundary value reads back as itself, first and last, both ways. */
Test(listpack, round_trip_at_boundaries)
{
    static const long long ints[] = {0,
                                     1,
                                     127,
                                     128,
                                     -1,
                                     -128,
                                     4095,
                                     4096,
                                     -4096,
                                     -4097,
                                     32767,
                                     32768,
                                     -32768,
                                     -32769,
                                     8388607,
                                     8388608,
                                     -8388608,
                                     -8388609,
                                     INT32_MAX,
                                     (long long)INT32_MAX + 1,
                                     INT32_MIN,
                                     (long long)INT32_MIN - 1,
                                     LLONG_MAX,
                                     LLONG_MIN,
                                     LLONG_MAX - 1,
                                     LLONG_MIN + 1};
    size_t nints = sizeof(ints) / sizeof(ints[0]);
    static const size_t lens[] = {0, 1, 62, 63, 64, 65, 125, 126, 127, 128, 4094, 4095, 4096, 4097, 70000};
    size_t nlens = sizeof(lens) / sizeof(lens[0]);

    unsigned char *lp = lp_new();
    for (size_t i = 0; i < nints; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof(buf), "%lld", ints[i]);
        lp = lp_append(lp, buf, (size_t)n);
        lp = lp_append_int(lp, ints[i]);
    }
    char *big = malloc(70001);
    for (size_t i = 0; i < 70000; i++)
        big[i] = (char)('a' + i % 26);
    for (size_t i = 0; i < nlens; i++)
        lp = lp_append(lp, big, lens[i]);
    /* Integer-looking strings that are not canonical stay strings. */
    static const char *not_ints[] = {"01",  "+1",   "-0", " 1", "1 ", "9223372036854775808", "-9223372036854775809",
                                     "1.0", "0x10", ""};
    size_t nnot = sizeof(not_ints) / sizeof(not_ints[0]);
    for (size_t i = 0; i < nnot; i++)
        lp = append_cstr(lp, not_ints[i]);

    size_t total = nints * 2 + nlens + nnot;
    cr_assert_eq(lp_count(lp), total);
    cr_assert(lp_validate(lp, lp_bytes(lp)));

    /* Forward. */
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < nints; i++) {
        struct lp_val v;
        for (int k = 0; k < 2; k++) {
            cr_assert_not_null(p);
            lp_get(p, &v);
            cr_assert_null(v.str);
            cr_assert_eq(v.ll, ints[i]);
            char want[32], got[32];
            snprintf(want, sizeof(want), "%lld", ints[i]);
            cr_assert_str_eq(entry_text(p, got, sizeof(got)), want);
            cr_assert(lp_eq(p, want, strlen(want)));
            p = lp_next(lp, p);
        }
    }
    for (size_t i = 0; i < nlens; i++) {
        struct lp_val v;
        lp_get(p, &v);
        cr_assert_not_null(v.str, "len %zu", lens[i]);
        cr_assert_eq(v.len, lens[i]);
        cr_assert(memcmp(v.str, big, lens[i]) == 0);
        cr_assert(lp_eq(p, big, lens[i]));
        p = lp_next(lp, p);
    }
    for (size_t i = 0; i < nnot; i++) {
        char got[32];
        cr_assert_str_eq(entry_text(p, got, sizeof(got)), not_ints[i]);
        struct lp_val v;
        lp_get(p, &v);
        cr_assert_not_null(v.str);
        p = lp_next(lp, p);
    }
    cr_assert_null(p);

    /* Backward: the same entries in reverse, reached through backlens. */
    size_t n = 0;
    for (p = lp_last(lp); p; p = lp_prev(lp, p))
        n++;
    cr_assert_eq(n, total);
    p = lp_last(lp);
    for (size_t i = nnot; i-- > 0;) {
        char got[32];
        cr_assert_str_eq(entry_text(p, got, sizeof(got)), not_ints[i]);
        p = lp_prev(lp, p);
    }
    for (size_t i = nlens; i-- > 0;) {
        struct lp_val v;
        lp_get(p, &v);
        cr_assert_eq(v.len, lens[i]);
        p = lp_prev(lp, p);
    }
    for (size_t i = nints; i-- > 0;) {
        for (int k = 0; k < 2; k++) {
            struct lp_val v;
            lp_get(p, &v);
            cr_assert_eq(v.ll, ints[i]);
            p = lp_prev(lp, p);
        }
    }
    cr_assert_null(p);
    free(big);
    lp_free(lp);
}

/* A string long enough for a 4-byte backlen (encoded length >= 2097151):
 * backward navigation must cross it. */
Test(listpack, four_byte_backlen)
{
    size_t big_len = 2100000;
    char *big = malloc(big_len);
    memset(big, 'b', big_len);
    unsigned char *lp = lp_new();
    lp = append_cstr(lp, "first");
    lp = lp_append(lp, big, big_len);
    lp = lp_append_int(lp, -1);
    cr_assert_eq(lp_bytes(lp), 9 + 7 + (5 + big_len + 4) + 3);
    cr_assert(lp_validate(lp, lp_bytes(lp)));
    unsigned char *p = lp_prev(lp, lp_last(lp));
    struct lp_val v;
    lp_get(p, &v);
    cr_assert_eq(v.len, big_len);
    p = lp_prev(lp, p);
    cr_assert(lp_eq(p, "first", 5));
    cr_assert_null(lp_prev(lp, p));
    cr_assert_eq(lp_seek(lp, -2), lp_seek(lp, 1));
    free(big);
    lp_free(lp);
}

static unsigned char *build(int n)
{
    unsigned char *lp = lp_new();
    for (int i = 0; i < n; i++) {
        char buf[16];
        int len = snprintf(buf, sizeof(buf), "e%d", i);
        lp = lp_append(lp, buf, (size_t)len);
    }
    return lp;
}

static void assert_contents(unsigned char *lp, const char **want, size_t n)
{
    cr_assert(lp_validate(lp, lp_bytes(lp)));
    cr_assert_eq(lp_count(lp), n);
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < n; i++) {
        char got[512];
        cr_assert_not_null(p);
        cr_assert_str_eq(entry_text(p, got, sizeof(got)), want[i], "index %zu", i);
        p = lp_next(lp, p);
    }
    cr_assert_null(p);
    p = lp_last(lp);
    for (size_t i = n; i-- > 0;) {
        char got[512];
        cr_assert_str_eq(entry_text(p, got, sizeof(got)), want[i], "reverse index %zu", i);
        p = lp_prev(lp, p);
    }
    cr_assert_null(p);
}

Test(listpack, seek_both_ends)
{
    unsigned char *lp = build(101);
    for (long i = 0; i < 101; i++) {
        char want[16], got[16];
        snprintf(want, sizeof(want), "e%ld", i);
        cr_assert_str_eq(entry_text(lp_seek(lp, i), got, sizeof(got)), want);
        cr_assert_str_eq(entry_text(lp_seek(lp, i - 101), got, sizeof(got)), want);
    }
    cr_assert_null(lp_seek(lp, 101));
    cr_assert_null(lp_seek(lp, -102));
    lp_free(lp);
}

Test(listpack, prepend_and_insert)
{
    unsigned char *lp = lp_new();
    lp = append_cstr(lp, "b");
    lp = lp_prepend(lp, "a", 1);
    lp = append_cstr(lp, "d");
    unsigned char *p = lp_seek(lp, 2), *np;
    lp = lp_insert(lp, p, "c", 1, LP_BEFORE, &np);
    char got[16];
    cr_assert_str_eq(entry_text(np, got, sizeof(got)), "c");
    lp = lp_insert(lp, lp_seek(lp, -1), "12345", 5, LP_AFTER, &np);
    cr_assert_eq(lp_next(lp, np), NULL);
    const char *want[] = {"a", "b", "c", "d", "12345"};
    assert_contents(lp, want, 5);
    lp_free(lp);
}

Test(listpack, replace_grows_and_shrinks)
{
    unsigned char *lp = build(3);
    char big[300];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    unsigned char *np;
    lp = lp_insert(lp, lp_seek(lp, 1), big, strlen(big), LP_REPLACE, &np);
    cr_assert_eq(np, lp_seek(lp, 1));
    const char *want1[] = {"e0", big, "e2"};
    assert_contents(lp, want1, 3);
    lp = lp_insert(lp, lp_seek(lp, 1), "7", 1, LP_REPLACE, &np);
    const char *want2[] = {"e0", "7", "e2"};
    assert_contents(lp, want2, 3);
    cr_assert_eq(lp_bytes(lp), 9 + 4 + 2 + 4);
    lp = lp_insert(lp, lp_seek(lp, 0), "x", 1, LP_REPLACE, NULL);
    lp = lp_insert(lp, lp_seek(lp, 2), "-5000", 5, LP_REPLACE, NULL);
    const char *want3[] = {"x", "7", "-5000"};
    assert_contents(lp, want3, 3);
    lp_free(lp);
}

Test(listpack, insert_from_own_bytes)
{
    unsigned char *lp = lp_new();
    char s[200];
    memset(s, 'q', sizeof(s));
    lp = lp_append(lp, s, sizeof(s));
    struct lp_val v;
    lp_get(lp_first(lp), &v);
    /* v.str points into the block that lp_append reallocates. */
    lp = lp_append(lp, (const char *)v.str, v.len);
    lp = lp_prepend(lp, (const char *)v.str + 0, 0);
    cr_assert_eq(lp_count(lp), 3);
    unsigned char *p = lp_seek(lp, 2);
    cr_assert(lp_eq(p, s, sizeof(s)));
    lp_free(lp);
}

Test(listpack, insert_int_and_dup)
{
    unsigned char *lp = build(2);
    unsigned char *np;
    lp = lp_insert_int(lp, lp_first(lp), -1, LP_BEFORE, &np);
    cr_assert_eq(np, lp_first(lp));
    lp = lp_insert_int(lp, lp_seek(lp, 1), LLONG_MAX, LP_AFTER, NULL);
    lp = lp_insert_int(lp, lp_last(lp), 7, LP_REPLACE, &np);
    cr_assert_eq(np, lp_last(lp));
    lp = lp_insert_int(lp, lp_last(lp), 4096, LP_AFTER, NULL);
    const char *want[] = {"-1", "e0", "9223372036854775807", "7", "4096"};
    assert_contents(lp, want, 5);
    unsigned char *copy = lp_dup(lp);
    lp_free(lp);
    assert_contents(copy, want, 5);
    lp_free(copy);
}

/* Blocks of random bytes behind a plausible header: the validator must
 * never crash, and anything it accepts must be walkable. */
Test(listpack_validate, random_blocks)
{
    srand(11);
    unsigned char block[64];
    int accepted = 0;
    for (int round = 0; round < 200000; round++) {
        size_t n = LP_EMPTY_BYTES + (size_t)rand() % (sizeof(block) - LP_EMPTY_BYTES + 1);
        for (size_t i = 0; i < n; i++)
            block[i] = (unsigned char)rand();
        /* Bias the bytes toward small encodings so that some blocks pass. */
        for (size_t i = 8; i < n; i++)
            if (rand() % 2)
                block[i] &= 0x7F;
        block[0] = (unsigned char)n;
        block[1] = block[2] = block[3] = 0;
        block[n - 1] = 0xFF;
        uint32_t count = 0;
        /* guess the count by walking as the validator would not: try several */
        for (uint32_t guess = 0; guess < 8; guess++) {
            block[4] = (unsigned char)guess;
            block[5] = block[6] = block[7] = 0;
            if (lp_validate(block, n)) {
                accepted++;
                count = 0;
                for (unsigned char *p = lp_first(block); p; p = lp_next(block, p)) {
                    char buf[LONG_STR_SIZE];
                    size_t len;
                    lp_get_str(p, buf, &len);
                    count++;
                }
                cr_assert_eq(count, guess);
            }
        }
    }
    cr_assert_gt(accepted, 0);
}

Test(listpack, delete_head_middle_tail)
{
    unsigned char *lp = build(5);
    unsigned char *next;
    lp = lp_delete(lp, lp_first(lp), &next);
    char got[16];
    cr_assert_str_eq(entry_text(next, got, sizeof(got)), "e1");
    lp = lp_delete(lp, lp_seek(lp, 1), &next);
    cr_assert_str_eq(entry_text(next, got, sizeof(got)), "e3");
    lp = lp_delete(lp, lp_last(lp), &next);
    cr_assert_null(next);
    const char *want[] = {"e1", "e3"};
    assert_contents(lp, want, 2);
    lp = lp_delete(lp, lp_first(lp), NULL);
    lp = lp_delete(lp, lp_first(lp), &next);
    cr_assert_null(next);
    cr_assert_eq(lp_bytes(lp), LP_EMPTY_BYTES);
    assert_contents(lp, NULL, 0);
    lp_free(lp);
}

Test(listpack, delete_range)
{
    unsigned char *lp = build(10);
    lp = lp_delete_range(lp, 2, 3); /* e2 e3 e4 */
    const char *want1[] = {"e0", "e1", "e5", "e6", "e7", "e8", "e9"};
    assert_contents(lp, want1, 7);
    lp = lp_delete_range(lp, -2, 100); /* e8 e9, count clipped */
    const char *want2[] = {"e0", "e1", "e5", "e6", "e7"};
    assert_contents(lp, want2, 5);
    lp = lp_delete_range(lp, 0, 1);
    lp = lp_delete_range(lp, 10, 1); /* out of range: unchanged */
    lp = lp_delete_range(lp, 0, 0);
    const char *want3[] = {"e1", "e5", "e6", "e7"};
    assert_contents(lp, want3, 4);
    lp = lp_delete_range(lp, 0, 4);
    assert_contents(lp, NULL, 0);
    lp_free(lp);
}

Test(listpack, merge)
{
    unsigned char *a = build(3), *b = lp_new();
    b = append_cstr(b, "x");
    b = lp_append_int(b, -70000);
    size_t b_bytes = lp_bytes(b);
    a = lp_merge(a, b);
    const char *want[] = {"e0", "e1", "e2", "x", "-70000"};
    assert_contents(a, want, 5);
    cr_assert_eq(lp_bytes(b), b_bytes);
    unsigned char *empty = lp_new();
    a = lp_merge(a, empty);
    assert_contents(a, want, 5);
    empty = lp_merge(empty, a);
    assert_contents(empty, want, 5);
    lp_free(a);
    lp_free(b);
    lp_free(empty);
}

Test(listpack, find_with_skip)
{
    /* field/value pairs where values equal other fields' names */
    unsigned char *lp = lp_new();
    const char *pairs[] = {"f1", "f2", "f2", "100", "100", "v", "-3", "f1"};
    for (size_t i = 0; i < 8; i++)
        lp = append_cstr(lp, pairs[i]);
    unsigned char *p = lp_find(lp, lp_first(lp), "f2", 2, 1);
    cr_assert_eq(p, lp_seek(lp, 2), "must skip the value at index 1");
    p = lp_find(lp, lp_first(lp), "100", 3, 1);
    cr_assert_eq(p, lp_seek(lp, 4));
    p = lp_find(lp, lp_first(lp), "-3", 2, 1);
    cr_assert_eq(p, lp_seek(lp, 6));
    cr_assert_null(lp_find(lp, lp_first(lp), "v", 1, 1));
    cr_assert_eq(lp_find(lp, lp_first(lp), "v", 1, 0), lp_seek(lp, 5));
    cr_assert_null(lp_find(lp, lp_first(lp), "0100", 4, 0));
    cr_assert_null(lp_find(lp, lp_first(lp), "f", 1, 0));
    /* Starting in the middle, and from a value position. */
    cr_assert_eq(lp_find(lp, lp_seek(lp, 1), "100", 3, 1), lp_seek(lp, 3));
    cr_assert_eq(lp_find(lp, lp_seek(lp, 3), "f1", 2, 0), lp_seek(lp, 7));
    cr_assert_null(lp_find(lp, NULL, "f1", 2, 0));
    /* skip 2: triples */
    cr_assert_null(lp_find(lp, lp_first(lp), "f2", 2, 2));
    cr_assert_eq(lp_find(lp, lp_first(lp), "100", 3, 2), lp_seek(lp, 3));
    lp_free(lp);
}

Test(listpack, eq_compares_decimal_form)
{
    unsigned char *lp = lp_new();
    lp = lp_append_int(lp, 42);
    lp = append_cstr(lp, "042");
    cr_assert(lp_eq(lp_first(lp), "42", 2));
    cr_assert_not(lp_eq(lp_first(lp), "042", 3));
    cr_assert_not(lp_eq(lp_first(lp), "42 ", 3));
    cr_assert(lp_eq(lp_last(lp), "042", 3));
    cr_assert_not(lp_eq(lp_last(lp), "42", 2));
    lp_free(lp);
}

/* ---------------- validation ---------------- */

static unsigned char *sample(void)
{
    unsigned char *lp = lp_new();
    lp = append_cstr(lp, "hello");
    lp = lp_append_int(lp, 5);
    lp = lp_append_int(lp, -300);
    lp = lp_append_int(lp, 100000);
    lp = lp_append_int(lp, LLONG_MIN);
    char s[200];
    memset(s, 's', sizeof(s));
    lp = lp_append(lp, s, sizeof(s));
    return lp;
}

Test(listpack_validate, rejects_bad_headers)
{
    unsigned char *lp = sample();
    size_t n = lp_bytes(lp);
    cr_assert(lp_validate(lp, n));
    cr_assert_not(lp_validate(lp, n - 1));
    cr_assert_not(lp_validate(lp, 5));
    cr_assert_not(lp_validate(NULL, n));
    unsigned char *c = malloc(n);
    memcpy(c, lp, n);
    c[4]++; /* count */
    cr_assert_not(lp_validate(c, n));
    memcpy(c, lp, n);
    c[n - 1] = 0; /* end marker */
    cr_assert_not(lp_validate(c, n));
    memcpy(c, lp, n);
    c[8] = 0xF7; /* unused encoding */
    cr_assert_not(lp_validate(c, n));
    memcpy(c, lp, n);
    c[8] = 0xFF; /* end marker inside */
    cr_assert_not(lp_validate(c, n));
    memcpy(c, lp, n);
    c[8 + 6]++; /* backlen of "hello" */
    cr_assert_not(lp_validate(c, n));
    /* "12" stored as a string: structurally fine, but never produced. */
    unsigned char forged[] = {0, 0, 0, 0, 1, 0, 0, 0, 0x82, '1', '2', 3, 0xFF};
    forged[0] = sizeof(forged);
    cr_assert_not(lp_validate(forged, sizeof(forged)));
    forged[10] = 'x';
    cr_assert(lp_validate(forged, sizeof(forged)));
    free(c);
    lp_free(lp);
}

/* Random corruption never crashes the validator, and whatever it accepts can
 * be walked both ways and read. */
Test(listpack_validate, random_corruption)
{
    unsigned char *lp = sample();
    size_t n = lp_bytes(lp);
    unsigned char *c = malloc(n);
    srand(7);
    int accepted = 0;
    for (int round = 0; round < 20000; round++) {
        memcpy(c, lp, n);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++)
            c[rand() % n] ^= (unsigned char)(1 + rand() % 255);
        size_t len = (round % 10 == 0) ? (size_t)rand() % n : n;
        if (!lp_validate(c, len))
            continue;
        accepted++;
        uint32_t count = 0;
        for (unsigned char *p = lp_first(c); p; p = lp_next(c, p)) {
            char buf[LONG_STR_SIZE];
            size_t l;
            lp_get_str(p, buf, &l);
            count++;
        }
        cr_assert_eq(count, lp_count(c));
        for (unsigned char *p = lp_last(c); p; p = lp_prev(c, p))
            count--;
        cr_assert_eq(count, 0);
    }
    /* Flips inside string data stay valid, so some rounds must pass. */
    cr_assert_gt(accepted, 0);
    free(c);
    lp_free(lp);
}

/* ---------------- model test ---------------- */

#define MODEL_MAX 600

struct model {
    char *v[MODEL_MAX];
    size_t len[MODEL_MAX];
    size_t n;
};

static void random_value(char *buf, size_t *len)
{
    int kind = rand() % 6;
    if (kind == 0) {
        long long v = (long long)(((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 10) ^ (uint64_t)rand());
        if (rand() % 2)
            v = ~v;
        *len = (size_t)snprintf(buf, 32, "%lld", v >> (rand() % 63));
    } else if (kind == 1) {
        *len = (size_t)snprintf(buf, 32, "%d", rand() % 9000 - 4500);
    } else {
        static const size_t sizes[] = {0, 5, 63, 64, 130, 4095, 4096, 5000};
        size_t l = kind == 2 ? sizes[rand() % 8] : (size_t)(rand() % 20);
        for (size_t i = 0; i < l; i++)
            buf[i] = (char)('!' + rand() % 90);
        *len = l;
    }
}

static void model_check(unsigned char *lp, struct model *m)
{
    cr_assert(lp_validate(lp, lp_bytes(lp)));
    cr_assert_eq(lp_count(lp), m->n);
    unsigned char *p = lp_first(lp);
    for (size_t i = 0; i < m->n; i++) {
        char buf[LONG_STR_SIZE];
        size_t len;
        const char *s = lp_get_str(p, buf, &len);
        cr_assert_eq(len, m->len[i], "index %zu", i);
        cr_assert(memcmp(s, m->v[i], len) == 0, "index %zu", i);
        p = lp_next(lp, p);
    }
    cr_assert_null(p);
}

Test(listpack, random_ops_against_model)
{
    srand(12345);
    struct model m = {.n = 0};
    unsigned char *lp = lp_new();
    char *buf = malloc(6000);
    for (int op = 0; op < 20000; op++) {
        size_t len;
        random_value(buf, &len);
        int kind = rand() % 8;
        size_t idx = m.n ? (size_t)rand() % m.n : 0;
        if (m.n >= MODEL_MAX - 1 && kind < 4)
            kind = 4 + kind % 4;
        if (kind <= 3 || m.n == 0) {
            /* insert at idx (before), after idx, append or prepend */
            size_t at;
            if (m.n == 0 || kind == 2) {
                lp = lp_append(lp, buf, len);
                at = m.n;
            } else if (kind == 3) {
                lp = lp_prepend(lp, buf, len);
                at = 0;
            } else if (kind == 0) {
                lp = lp_insert(lp, lp_seek(lp, (long)idx), buf, len, LP_BEFORE, NULL);
                at = idx;
            } else {
                lp = lp_insert(lp, lp_seek(lp, (long)idx), buf, len, LP_AFTER, NULL);
                at = idx + 1;
            }
            memmove(&m.v[at + 1], &m.v[at], (m.n - at) * sizeof(m.v[0]));
            memmove(&m.len[at + 1], &m.len[at], (m.n - at) * sizeof(m.len[0]));
            m.v[at] = malloc(len + 1);
            memcpy(m.v[at], buf, len);
            m.len[at] = len;
            m.n++;
        } else if (kind == 4) {
            lp = lp_insert(lp, lp_seek(lp, -(long)(m.n - idx)), buf, len, LP_REPLACE, NULL);
            free(m.v[idx]);
            m.v[idx] = malloc(len + 1);
            memcpy(m.v[idx], buf, len);
            m.len[idx] = len;
        } else if (kind == 5 || kind == 6) {
            unsigned long cnt = kind == 5 ? 1 : (unsigned long)(rand() % 4);
            if (kind == 5)
                lp = lp_delete(lp, lp_seek(lp, (long)idx), NULL);
            else
                lp = lp_delete_range(lp, (long)idx, cnt);
            if (idx + cnt > m.n)
                cnt = m.n - idx;
            for (size_t i = idx; i < idx + cnt; i++)
                free(m.v[i]);
            memmove(&m.v[idx], &m.v[idx + cnt], (m.n - idx - cnt) * sizeof(m.v[0]));
            memmove(&m.len[idx], &m.len[idx + cnt], (m.n - idx - cnt) * sizeof(m.len[0]));
            m.n -= cnt;
        } else {
            /* find: the first index equal to a present element */
            unsigned char *p = lp_find(lp, lp_first(lp), m.v[idx], m.len[idx], 0);
            size_t first = 0;
            while (!(m.len[first] == m.len[idx] && memcmp(m.v[first], m.v[idx], m.len[idx]) == 0))
                first++;
            cr_assert_eq(p, lp_seek(lp, (long)first));
        }
        if (op % 97 == 0 || m.n < 5)
            model_check(lp, &m);
    }
    model_check(lp, &m);
    for (size_t i = 0; i < m.n; i++)
        free(m.v[i]);
    free(buf);
    lp_free(lp);
}
