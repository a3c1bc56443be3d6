/*
 * test_hll.c - unit tests for core/ds/hll.c: Redis's header and empty
 * sparse value, dense register access at every register, the sparse value
 * against a register model while elements are added (opcodes always cover
 * 16384 registers, registers equal the model's), promotion to dense (a
 * register above 32, and growth past hll-sparse-max-bytes), sparse and
 * dense estimates agreeing, merges, and corrupt values detected without
 * reading out of bounds. Exact agreement with redis-server (PFCOUNT and
 * bytes) is checked by test/integration/test_hll.c, which starts one.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/hll.h"

static unsigned char *grow(void *priv, size_t need);

struct test_value {
    struct hll_value v;
    size_t cap;
};

static unsigned char *grow(void *priv, size_t need)
{
    struct test_value *t = priv;
    if (need > t->cap) {
        t->v.p = realloc(t->v.p, need);
        t->cap = need;
    }
    return t->v.p;
}

static void value_init_sparse(struct test_value *t, size_t sparse_max)
{
    t->cap = HLL_SPARSE_EMPTY_SIZE;
    t->v.p = malloc(t->cap);
    t->v.len = HLL_SPARSE_EMPTY_SIZE;
    t->v.reserve = grow;
    t->v.priv = t;
    t->v.sparse_max = sparse_max;
    hll_init_sparse(t->v.p);
}

/* Every register of a value, through the merge function. */
static void registers_of(const struct test_value *t, uint8_t *regs)
{
    memset(regs, 0, HLL_REGISTERS);
    cr_assert_eq(hll_merge_registers(regs, t->v.p, t->v.len), 0);
}

Test(hll, empty_value_is_redis_bytes)
{
    unsigned char v[HLL_SPARSE_EMPTY_SIZE];
    hll_init_sparse(v);
    const unsigned char want[HLL_SPARSE_EMPTY_SIZE] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0,    0,
                                                       0,   0,   0,   0,   0, 0, 0, 0x7f, 0xff};
    cr_assert_eq(memcmp(v, want, sizeof(want)), 0);
    cr_assert(hll_is_valid(v, sizeof(v)));
    cr_assert(hll_cache_valid(v));
    cr_assert_eq(hll_count(v, sizeof(v), NULL), 0);
    char *text = hll_sparse_describe(v, sizeof(v));
    cr_assert_str_eq(text, "Z:16384");
    free(text);
}

Test(hll, header_checks)
{
    unsigned char v[HLL_DENSE_SIZE] = {0};
    memcpy(v, "HYLL", 4);
    cr_assert(hll_is_valid(v, HLL_DENSE_SIZE));
    cr_assert_not(hll_is_valid(v, HLL_DENSE_SIZE - 1)); /* dense of the wrong size */
    cr_assert_not(hll_is_valid(v, 15));                 /* shorter than the header */
    v[4] = 2;
    cr_assert_not(hll_is_valid(v, HLL_DENSE_SIZE)); /* unknown encoding */
    v[4] = 0;
    v[0] = 'h';
    cr_assert_not(hll_is_valid(v, HLL_DENSE_SIZE));
    /* cache: little endian, top bit marks it stale */
    hll_cache_set(v, 0x0102030405060708ULL);
    cr_assert_eq(v[8], 0x08);
    cr_assert_eq(v[15], 0x01);
    cr_assert(hll_cache_valid(v));
    cr_assert_eq(hll_cache_get(v), 0x0102030405060708ULL);
    hll_cache_invalidate(v);
    cr_assert_not(hll_cache_valid(v));
}

Test(hll, dense_registers_every_index)
{
    unsigned char *regs = calloc(1, HLL_DENSE_SIZE - HLL_HDR_SIZE);
    uint8_t *model = malloc(HLL_REGISTERS);
    for (int round = 0; round < 3; round++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            model[i] = (uint8_t)((i * 7 + round * 13) % 64);
            hll_dense_set(regs, i, model[i]);
        }
        for (long i = 0; i < HLL_REGISTERS; i++)
            cr_assert_eq(hll_dense_get(regs, i), model[i], "register %ld", i);
    }
    free(model);
    free(regs);
}

Test(hll, murmur_and_pattern)
{
    /* the tail bytes and whole words both enter the hash */
    cr_assert_neq(hll_murmur64a("abcdefgh", 8, 0xadc83b19), hll_murmur64a("abcdefgi", 8, 0xadc83b19));
    cr_assert_neq(hll_murmur64a("abcdefghi", 9, 0xadc83b19), hll_murmur64a("abcdefghj", 9, 0xadc83b19));
    cr_assert_neq(hll_murmur64a("", 0, 0xadc83b19), hll_murmur64a("", 0, 1));
    for (int i = 0; i < 1000; i++) {
        long index;
        int count = hll_pattern(&i, sizeof(i), &index);
        cr_assert(index >= 0 && index < HLL_REGISTERS);
        cr_assert(count >= 1 && count <= HLL_Q + 1);
    }
}

/* Adds n elements to a sparse value (promoting when it must) and to a
 * dense one and a model; checks registers and estimates agree. */
static void sparse_dense_model_run(size_t sparse_max, int n, int *promoted_at)
{
    struct test_value s, d;
    value_init_sparse(&s, sparse_max);
    value_init_sparse(&d, sparse_max);
    cr_assert_eq(hll_to_dense(&d.v), 0);
    cr_assert_eq(d.v.len, HLL_DENSE_SIZE);
    uint8_t *model = calloc(HLL_REGISTERS, 1), *regs = malloc(HLL_REGISTERS);
    *promoted_at = -1;
    for (int i = 0; i < n; i++) {
        char ele[32];
        int len = snprintf(ele, sizeof(ele), "element:%d", i);
        long index;
        int count = hll_pattern(ele, (size_t)len, &index);
        int changed = count > model[index];
        if (changed)
            model[index] = (uint8_t)count;
        cr_assert_eq(hll_add(&s.v, ele, (size_t)len), changed);
        cr_assert_eq(hll_add(&d.v, ele, (size_t)len), changed);
        if (*promoted_at < 0 && hll_encoding(s.v.p) == HLL_DENSE)
            *promoted_at = i;
        if (hll_encoding(s.v.p) == HLL_SPARSE)
            cr_assert_leq(s.v.len, sparse_max);
        if (i % 97 == 0 || i == n - 1) {
            registers_of(&s, regs);
            cr_assert_eq(memcmp(regs, model, HLL_REGISTERS), 0, "after %d elements", i + 1);
            int invalid = 0;
            cr_assert_eq(hll_count(s.v.p, s.v.len, &invalid), hll_count(d.v.p, d.v.len, NULL));
            cr_assert_eq(invalid, 0);
            cr_assert_eq(hll_count_raw(model), hll_count(d.v.p, d.v.len, NULL));
        }
    }
    free(model);
    free(regs);
    free(s.v.p);
    free(d.v.p);
}

Test(hll, sparse_follows_model_and_promotes_by_size)
{
    int promoted_at;
    sparse_dense_model_run(3000, 5000, &promoted_at);
    cr_assert(promoted_at > 0, "a 5000-element HLL outgrows 3000 sparse bytes");
    int small_promoted;
    sparse_dense_model_run(200, 300, &small_promoted);
    cr_assert(small_promoted > 0 && small_promoted < promoted_at, "a smaller hll-sparse-max-bytes promotes sooner");
}

Test(hll, promotes_on_register_above_32)
{
    struct test_value s;
    value_init_sparse(&s, 3000);
    cr_assert_eq(hll_set(&s.v, 100, 32), 1);
    cr_assert_eq(hll_encoding(s.v.p), HLL_SPARSE);
    cr_assert_eq(hll_set(&s.v, 100, 32), 0);
    cr_assert_eq(hll_set(&s.v, 200, 33), 1);
    cr_assert_eq(hll_encoding(s.v.p), HLL_DENSE);
    cr_assert_eq(s.v.len, HLL_DENSE_SIZE);
    cr_assert_eq(hll_dense_get(s.v.p + HLL_HDR_SIZE, 100), 32);
    cr_assert_eq(hll_dense_get(s.v.p + HLL_HDR_SIZE, 200), 33);
    free(s.v.p);
}

Test(hll, sparse_opcodes_split_and_merge)
{
    struct test_value s;
    value_init_sparse(&s, 3000);
    hll_set(&s.v, 0, 3);
    hll_set(&s.v, 1, 3);
    hll_set(&s.v, 100, 5);
    hll_set(&s.v, 16383, 1);
    char *text = hll_sparse_describe(s.v.p, s.v.len);
    cr_assert_str_eq(text, "v:3,2 Z:98 v:5,1 Z:16282 v:1,1");
    free(text);
    hll_set(&s.v, 2, 3);
    hll_set(&s.v, 3, 3);
    hll_set(&s.v, 4, 3); /* a VAL run holds at most 4 registers */
    text = hll_sparse_describe(s.v.p, s.v.len);
    cr_assert_str_eq(text, "v:3,4 v:3,1 Z:95 v:5,1 Z:16282 v:1,1");
    free(text);
    free(s.v.p);
}

Test(hll, merge_takes_the_maximum)
{
    struct test_value a, b;
    value_init_sparse(&a, 3000);
    value_init_sparse(&b, 3000);
    hll_set(&a.v, 10, 4);
    hll_set(&b.v, 10, 2);
    hll_set(&b.v, 11, 7);
    cr_assert_eq(hll_to_dense(&b.v), 0);
    uint8_t *max = calloc(HLL_REGISTERS, 1);
    cr_assert_eq(hll_merge_registers(max, a.v.p, a.v.len), 0);
    cr_assert_eq(hll_merge_registers(max, b.v.p, b.v.len), 0);
    cr_assert_eq(max[10], 4);
    cr_assert_eq(max[11], 7);
    cr_assert_eq(max[12], 0);
    free(max);
    free(a.v.p);
    free(b.v.p);
}

Test(hll, corrupt_sparse_detected)
{
    uint8_t *max = calloc(HLL_REGISTERS, 1);
    struct test_value s;
    value_init_sparse(&s, 3000);
    /* runs cover more than 16384 registers */
    s.v.p = grow(&s, 20);
    s.v.p[18] = 0x80; /* VAL 1 x1 */
    s.v.len = 19;
    int invalid = 0;
    hll_count(s.v.p, s.v.len, &invalid);
    cr_assert_eq(invalid, 1);
    cr_assert_eq(hll_merge_registers(max, s.v.p, s.v.len), -1);
    cr_assert_eq(hll_to_dense(&s.v), -1);
    cr_assert_eq(hll_encoding(s.v.p), HLL_SPARSE);
    /* too few registers */
    s.v.p[16] = 0x00;
    s.v.len = 17;
    invalid = 0;
    hll_count(s.v.p, s.v.len, &invalid);
    cr_assert_eq(invalid, 1);
    cr_assert_eq(hll_set(&s.v, 5000, 3), -1);
    /* a truncated XZERO */
    s.v.p[16] = 0x7f;
    invalid = 0;
    hll_count(s.v.p, s.v.len, &invalid);
    cr_assert_eq(invalid, 1);
    free(s.v.p);
    free(max);
}

Test(hll, selftest_passes)
{
    char err[128] = "";
    cr_assert_eq(hll_selftest(err, sizeof(err)), 0, "%s", err);
}
