/*
 * test_intset.c - unit tests for core/ds/intset.c: Redis's byte sizes (8-byte
 * header, 2/4/8-byte elements), ordering, duplicates, upgrades at the
 * 16/32/64-bit limits in both directions, removal, dup, validation of
 * corrupted blocks, and a randomized run against a sorted-array model.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/intset.h"

static void assert_sorted_contents(const struct intset *is, const int64_t *want, uint32_t n)
{
    cr_assert_eq(intset_len(is), n);
    for (uint32_t i = 0; i < n; i++)
        cr_assert_eq(intset_get(is, i), want[i], "pos %u: %lld != %lld", i, (long long)intset_get(is, i),
                     (long long)want[i]);
    cr_assert(intset_validate(is, intset_bytes(is)));
}

Test(intset, empty)
{
    struct intset *is = intset_new();
    cr_assert_eq(intset_len(is), 0);
    cr_assert_eq(intset_bytes(is), 8);
    cr_assert_not(intset_find(is, 0));
    int removed = 7;
    is = intset_remove(is, 0, &removed);
    cr_assert_eq(removed, 0);
    cr_assert(intset_validate(is, 8));
    intset_free(is);
}

Test(intset, ten_small_ints_take_two_bytes_each)
{
    struct intset *is = intset_new();
    for (int i = 10; i > 0; i--) {
        int added;
        is = intset_add(is, i * 100, &added);
        cr_assert_eq(added, 1);
    }
    cr_assert_eq(intset_bytes(is), 8 + 10 * 2);
    int64_t want[10];
    for (int i = 0; i < 10; i++)
        want[i] = (i + 1) * 100;
    assert_sorted_contents(is, want, 10);
    int added;
    is = intset_add(is, 500, &added);
    cr_assert_eq(added, 0);
    cr_assert_eq(intset_len(is), 10);
    intset_free(is);
}

Test(intset, widths_at_limits)
{
    static const struct {
        int64_t v;
        size_t width;
    } cases[] = {
        {0, 2},
        {INT16_MAX, 2},
        {INT16_MIN, 2},
        {(int64_t)INT16_MAX + 1, 4},
        {(int64_t)INT16_MIN - 1, 4},
        {INT32_MAX, 4},
        {INT32_MIN, 4},
        {(int64_t)INT32_MAX + 1, 8},
        {(int64_t)INT32_MIN - 1, 8},
        {INT64_MAX, 8},
        {INT64_MIN, 8},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct intset *is = intset_add(intset_new(), cases[i].v, NULL);
        cr_assert_eq(intset_bytes(is), 8 + cases[i].width, "value %lld", (long long)cases[i].v);
        cr_assert_eq(intset_get(is, 0), cases[i].v);
        cr_assert(intset_find(is, cases[i].v));
        intset_free(is);
    }
}

Test(intset, upgrade_keeps_order_positive_and_negative)
{
    struct intset *is = intset_new();
    is = intset_add(is, 5, NULL);
    is = intset_add(is, -7, NULL);
    is = intset_add(is, 300, NULL);
    /* positive upgrade to 32 bits: appended */
    is = intset_add(is, 100000, NULL);
    cr_assert_eq(intset_bytes(is), 8 + 4 * 4);
    int64_t want1[] = {-7, 5, 300, 100000};
    assert_sorted_contents(is, want1, 4);
    /* negative upgrade to 64 bits: prepended */
    is = intset_add(is, INT64_MIN, NULL);
    cr_assert_eq(intset_bytes(is), 8 + 5 * 8);
    int64_t want2[] = {INT64_MIN, -7, 5, 300, 100000};
    assert_sorted_contents(is, want2, 5);
    is = intset_add(is, INT64_MAX, NULL);
    is = intset_add(is, 0, NULL);
    int64_t want3[] = {INT64_MIN, -7, 0, 5, 300, 100000, INT64_MAX};
    assert_sorted_contents(is, want3, 7);
    /* Removal does not narrow the width (as Redis). */
    is = intset_remove(is, INT64_MIN, NULL);
    is = intset_remove(is, INT64_MAX, NULL);
    cr_assert_eq(intset_bytes(is), 8 + 5 * 8);
    intset_free(is);
}

Test(intset, find_wider_than_encoding_is_absent)
{
    struct intset *is = intset_add(intset_new(), 1, NULL);
    cr_assert_not(intset_find(is, 65537));
    cr_assert_not(intset_find(is, (int64_t)1 << 40));
    int removed;
    /* 65537 truncated to 16 bits is 1: must not remove 1 */
    is = intset_remove(is, 65537, &removed);
    cr_assert_eq(removed, 0);
    cr_assert(intset_find(is, 1));
    intset_free(is);
}

Test(intset, remove_head_middle_tail)
{
    struct intset *is = intset_new();
    for (int i = 1; i <= 5; i++)
        is = intset_add(is, i, NULL);
    int removed;
    is = intset_remove(is, 1, &removed);
    cr_assert_eq(removed, 1);
    is = intset_remove(is, 3, &removed);
    cr_assert_eq(removed, 1);
    is = intset_remove(is, 5, &removed);
    cr_assert_eq(removed, 1);
    is = intset_remove(is, 5, &removed);
    cr_assert_eq(removed, 0);
    int64_t want[] = {2, 4};
    assert_sorted_contents(is, want, 2);
    cr_assert_eq(intset_bytes(is), 8 + 2 * 2);
    intset_free(is);
}

Test(intset, dup_is_deep)
{
    struct intset *is = intset_new();
    for (int i = 0; i < 100; i++)
        is = intset_add(is, i * 1000, NULL);
    struct intset *copy = intset_dup(is);
    cr_assert_eq(intset_bytes(copy), intset_bytes(is));
    cr_assert(memcmp(copy, is, intset_bytes(is)) == 0);
    is = intset_remove(is, 0, NULL);
    cr_assert(intset_find(copy, 0));
    cr_assert_eq(intset_len(copy), 100);
    intset_free(is);
    intset_free(copy);
}

Test(intset_validate, rejects_garbage)
{
    struct intset *is = intset_new();
    for (int i = 0; i < 10; i++)
        is = intset_add(is, i * 3, NULL);
    size_t n = intset_bytes(is);
    cr_assert(intset_validate(is, n));
    cr_assert_not(intset_validate(is, n - 1));
    cr_assert_not(intset_validate(is, n + 2));
    cr_assert_not(intset_validate(is, 4));
    cr_assert_not(intset_validate(NULL, n));
    unsigned char *c = malloc(n);
    memcpy(c, is, n);
    c[0] = 3; /* bad width */
    cr_assert_not(intset_validate((struct intset *)c, n));
    memcpy(c, is, n);
    c[0] = 4; /* width 4 with 10 elements: size mismatch */
    cr_assert_not(intset_validate((struct intset *)c, n));
    memcpy(c, is, n);
    c[4] = 11; /* length */
    cr_assert_not(intset_validate((struct intset *)c, n));
    memcpy(c, is, n);
    memcpy(c + 8 + 2, c + 8, 2); /* duplicate */
    cr_assert_not(intset_validate((struct intset *)c, n));
    memcpy(c, is, n);
    c[8 + 9 * 2] = 0; /* last element 27 -> 0: out of order */
    cr_assert_not(intset_validate((struct intset *)c, n));
    /* random corruption never crashes; anything accepted is sorted */
    srand(3);
    for (int round = 0; round < 20000; round++) {
        memcpy(c, is, n);
        c[rand() % n] ^= (unsigned char)(1 + rand() % 255);
        size_t len = round % 5 == 0 ? (size_t)rand() % (n + 1) : n;
        if (!intset_validate((struct intset *)c, len))
            continue;
        const struct intset *v = (const struct intset *)c;
        for (uint32_t i = 1; i < intset_len(v); i++)
            cr_assert_lt(intset_get(v, i - 1), intset_get(v, i));
    }
    free(c);
    intset_free(is);
}

/* ---------------- model test ---------------- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int64_t random_value(void)
{
    switch (rand() % 4) {
    case 0:
        return rand() % 200 - 100;
    case 1:
        return rand() % 70000 - 35000;
    case 2:
        return (int64_t)rand() * (rand() % 2 ? 1 : -1);
    default:
        return (int64_t)(((uint64_t)rand() << 33) ^ (uint64_t)rand());
    }
}

Test(intset, random_ops_against_sorted_array)
{
    enum { OPS = 30000, MAX = 4000 };
    srand(2024);
    for (int phase = 0; phase < 3; phase++) {
        struct intset *is = intset_new();
        int64_t *model = malloc(MAX * sizeof(*model));
        uint32_t n = 0;
        for (int op = 0; op < OPS; op++) {
            /* phase 0: 16-bit values only, phase 1: up to 32, phase 2: all */
            int64_t v = random_value();
            if (phase == 0)
                v = (int16_t)v;
            else if (phase == 1)
                v = (int32_t)v;
            if (op % 3 == 0 && n > 0)
                v = model[(uint32_t)rand() % n]; /* hit existing values too */
            int64_t *pos = bsearch(&v, model, n, sizeof(*model), cmp_i64);
            if (rand() % 100 < 60 && n < MAX) {
                int added;
                is = intset_add(is, v, &added);
                cr_assert_eq(added, pos == NULL);
                if (added) {
                    uint32_t at = n;
                    while (at > 0 && model[at - 1] > v)
                        at--;
                    memmove(&model[at + 1], &model[at], (n - at) * sizeof(*model));
                    model[at] = v;
                    n++;
                }
            } else {
                int removed;
                is = intset_remove(is, v, &removed);
                cr_assert_eq(removed, pos != NULL);
                if (pos) {
                    memmove(pos, pos + 1, (size_t)(&model[n] - pos - 1) * sizeof(*model));
                    n--;
                }
            }
            cr_assert_eq(intset_find(is, v), bsearch(&v, model, n, sizeof(*model), cmp_i64) != NULL);
            if (op % 1001 == 0)
                assert_sorted_contents(is, model, n);
        }
        assert_sorted_contents(is, model, n);
        free(model);
        intset_free(is);
    }
}
