/*
 * test_zset.c - unit tests for core/ds/zset.c, the skip list with spans and its
 * member index: ranks, rank lookups and score/lex range queries checked
 * against a sorted array of the same random data after inserts, deletes and
 * score updates; the list's structural invariants (spans, backward links,
 * tail, dict) are verified after every batch.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/zset.h"

struct elem {
    char m[16];
    size_t len;
    double score;
    int live;
};

static int cmp_elem(const void *a, const void *b)
{
    const struct elem *x = a, *y = b;
    if (x->score != y->score)
        return x->score < y->score ? -1 : 1;
    return zset_member_cmp(x->m, x->len, y->m, y->len);
}

/* Spans, backward links, tail, length and the member index agree. */
static void check_invariants(struct zset *z)
{
    unsigned long n = 0;
    struct zset_node *prev = NULL;
    for (struct zset_node *x = zset_first(z); x; x = zset_next(x)) {
        n++;
        cr_assert_eq(x->backward, prev);
        cr_assert_eq(zset_node_rank(z, x), n);
        cr_assert_eq(zset_node_by_rank(z, n), x);
        double s;
        cr_assert(zset_score(z, x->member->key, x->member->klen, &s));
        cr_assert_eq(s, x->score);
        if (prev)
            cr_assert(prev->score < x->score ||
                      (prev->score == x->score &&
                       zset_member_cmp(prev->member->key, prev->member->klen, x->member->key, x->member->klen) < 0));
        prev = x;
    }
    cr_assert_eq(zset_last(z), prev);
    cr_assert_eq(n, zset_length(z));
    cr_assert_eq(sdict_size(z->dict), n);
    /* Every level's spans add up to the length. */
    for (int i = 0; i < z->level; i++) {
        unsigned long total = 0;
        for (struct zset_node *x = z->header; x; x = x->level[i].forward)
            total += x->level[i].forward ? x->level[i].span : 0;
        struct zset_node *last = z->header;
        while (last->level[i].forward)
            last = last->level[i].forward;
        cr_assert_eq(total, last == z->header ? 0 : zset_node_rank(z, last));
    }
}

/* Sorted live elements of the model into out; returns the count. */
static int model_sorted(struct elem *model, int n, struct elem *out)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (model[i].live)
            out[k++] = model[i];
    qsort(out, (size_t)k, sizeof(*out), cmp_elem);
    return k;
}

Test(zset, empty)
{
    struct zset *z = zset_new();
    cr_assert_eq(zset_length(z), 0);
    cr_assert_null(zset_first(z));
    cr_assert_null(zset_last(z));
    cr_assert_null(zset_node_by_rank(z, 1));
    cr_assert_eq(zset_rank(z, "a", 1), 0);
    cr_assert_eq(zset_remove(z, "a", 1), 0);
    struct zset_score_range r = {-1e300, 1e300, 0, 0};
    cr_assert_null(zset_first_in_score_range(z, &r));
    cr_assert_null(zset_last_in_score_range(z, &r));
    zset_free(z);
}

Test(zset, order_by_score_then_member)
{
    struct zset *z = zset_new();
    cr_assert_eq(zset_set(z, "b", 1, 1), 1);
    cr_assert_eq(zset_set(z, "a", 1, 1), 1);
    cr_assert_eq(zset_set(z, "ab", 2, 1), 1);
    cr_assert_eq(zset_set(z, "z", 1, 0), 1);
    cr_assert_eq(zset_set(z, "a", 1, 1), 0);
    const char *want[] = {"z", "a", "ab", "b"};
    int i = 0;
    for (struct zset_node *x = zset_first(z); x; x = zset_next(x), i++)
        cr_assert(x->member->klen == strlen(want[i]) && memcmp(x->member->key, want[i], x->member->klen) == 0);
    cr_assert_eq(i, 4);
    cr_assert_eq(zset_rank(z, "ab", 2), 3);
    /* moving a member re-sorts it */
    cr_assert_eq(zset_set(z, "z", 1, 5), 0);
    cr_assert_eq(zset_rank(z, "z", 1), 4);
    cr_assert_eq(zset_set(z, "b", 1, 0.5), 0);
    cr_assert_eq(zset_rank(z, "b", 1), 1);
    check_invariants(z);
    zset_free(z);
}

Test(zset, lex_ranges)
{
    struct zset *z = zset_new();
    const char *m[] = {"a", "b", "c", "d", "e"};
    for (int i = 0; i < 5; i++)
        zset_set(z, m[i], 1, 0);
    struct zset_lex_range r = {.min = "b", .minlen = 1, .max = "d", .maxlen = 1, .minex = 1};
    cr_assert_eq(zset_first_in_lex_range(z, &r)->member->key[0], 'c');
    cr_assert_eq(zset_last_in_lex_range(z, &r)->member->key[0], 'd');
    r.maxex = 1;
    cr_assert_eq(zset_last_in_lex_range(z, &r)->member->key[0], 'c');
    struct zset_lex_range all = {.min_kind = ZLEX_MINUS, .max_kind = ZLEX_PLUS};
    cr_assert_eq(zset_first_in_lex_range(z, &all)->member->key[0], 'a');
    cr_assert_eq(zset_last_in_lex_range(z, &all)->member->key[0], 'e');
    struct zset_lex_range none = {.min_kind = ZLEX_PLUS, .max_kind = ZLEX_MINUS};
    cr_assert_null(zset_first_in_lex_range(z, &none));
    struct zset_lex_range gap = {.min = "c", .minlen = 1, .max = "c", .maxlen = 1, .minex = 1};
    cr_assert(zset_lex_range_empty(&gap));
    cr_assert_null(zset_first_in_lex_range(z, &gap));
    zset_free(z);
}

/* Random inserts, updates and deletes against a model array; ranks and range
 * queries compared with the sorted model after every batch. */
Test(zset, random_against_sorted_model)
{
    enum { N = 600, ROUNDS = 20000 };
    static struct elem model[N], sorted[N];
    srand(12345);
    for (int i = 0; i < N; i++)
        model[i].len = (size_t)snprintf(model[i].m, sizeof(model[i].m), "m%d", i);
    struct zset *z = zset_new();
    for (int round = 0; round < ROUNDS; round++) {
        int i = rand() % N;
        int op = rand() % 10;
        if (op < 6) {
            double score = (double)(rand() % 50); /* many ties: member order matters */
            int added = zset_set(z, model[i].m, model[i].len, score);
            cr_assert_eq(added, !model[i].live);
            model[i].live = 1;
            model[i].score = score;
        } else {
            cr_assert_eq(zset_remove(z, model[i].m, model[i].len), model[i].live);
            model[i].live = 0;
        }
        if (round % 1000 != 999)
            continue;
        check_invariants(z);
        int k = model_sorted(model, N, sorted);
        cr_assert_eq((int)zset_length(z), k);
        for (int r = 0; r < k; r++) {
            cr_assert_eq(zset_rank(z, sorted[r].m, sorted[r].len), (unsigned long)r + 1);
            struct zset_node *x = zset_node_by_rank(z, (unsigned long)r + 1);
            cr_assert_eq(x->score, sorted[r].score);
        }
        for (int q = 0; q < 50; q++) {
            struct zset_score_range range = {rand() % 55 - 2, rand() % 55 - 2, rand() % 2, rand() % 2};
            int first = -1, last = -1;
            for (int r = 0; r < k; r++)
                if (zset_score_gte_min(sorted[r].score, &range) && zset_score_lte_max(sorted[r].score, &range)) {
                    if (first < 0)
                        first = r;
                    last = r;
                }
            struct zset_node *f = zset_first_in_score_range(z, &range);
            struct zset_node *l = zset_last_in_score_range(z, &range);
            if (first < 0) {
                cr_assert_null(f);
                cr_assert_null(l);
            } else {
                cr_assert_eq(zset_node_rank(z, f), (unsigned long)first + 1);
                cr_assert_eq(zset_node_rank(z, l), (unsigned long)last + 1);
            }
        }
    }
    struct zset *copy = zset_dup(z);
    check_invariants(copy);
    cr_assert_eq(zset_length(copy), zset_length(z));
    for (struct zset_node *a = zset_first(z), *b = zset_first(copy); a; a = zset_next(a), b = zset_next(b)) {
        cr_assert_eq(a->score, b->score);
        cr_assert_eq(a->member->klen, b->member->klen);
        cr_assert(memcmp(a->member->key, b->member->key, a->member->klen) == 0);
    }
    cr_assert_gt(zset_mem(z), zset_length(z) * sizeof(struct zset_node));
    zset_free(copy);
    zset_free(z);
}

Test(zset, infinite_scores)
{
    struct zset *z = zset_new();
    zset_set(z, "pos", 3, 1.0 / 0.0);
    zset_set(z, "neg", 3, -1.0 / 0.0);
    zset_set(z, "zero", 4, 0);
    cr_assert_eq(zset_rank(z, "neg", 3), 1);
    cr_assert_eq(zset_rank(z, "pos", 3), 3);
    struct zset_score_range r = {-1.0 / 0.0, 1.0 / 0.0, 1, 1};
    cr_assert_eq(zset_first_in_score_range(z, &r)->score, 0);
    cr_assert_eq(zset_last_in_score_range(z, &r)->score, 0);
    zset_free(z);
}
