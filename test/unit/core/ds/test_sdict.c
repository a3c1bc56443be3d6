/*
 * test_sdict.c - unit tests for core/ds/sdict.c: add/find/unlink with binary
 * keys, 100k elements with deletes while rehashes are in progress, SCAN
 * returning every element present for the whole scan while the table grows
 * and shrinks between calls, iteration with unlinking of the returned node
 * (rehash paused), sdict_random coverage, sdict_mem accounting, and a
 * randomized run against a sorted-array model.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/sdict.h"

static size_t key_of(char *buf, size_t i)
{
    return (size_t)snprintf(buf, 32, "key:%zu", i);
}

static struct sdict_node *add_i(struct sdict *d, size_t i, int *added)
{
    char k[32];
    size_t len = key_of(k, i);
    return sdict_add(d, k, len, added);
}

static struct sdict_node *find_i(struct sdict *d, size_t i)
{
    char k[32];
    size_t len = key_of(k, i);
    return sdict_find(d, k, len);
}

static int unlink_i(struct sdict *d, size_t i)
{
    char k[32];
    size_t len = key_of(k, i);
    struct sdict_node *n = sdict_unlink(d, k, len);
    if (!n)
        return 0;
    cr_assert_eq(n->klen, len);
    cr_assert(memcmp(n->key, k, len) == 0);
    sdict_node_free(n);
    return 1;
}

Test(sdict, add_find_unlink)
{
    struct sdict *d = sdict_new();
    cr_assert_eq(sdict_size(d), 0);
    cr_assert_null(sdict_find(d, "a", 1));
    cr_assert_null(sdict_unlink(d, "a", 1));
    cr_assert_null(sdict_random(d));
    int added;
    struct sdict_node *n = sdict_add(d, "a", 1, &added);
    cr_assert_eq(added, 1);
    cr_assert_eq(n->v.i, 0);
    n->v.i = 42;
    cr_assert_eq(sdict_add(d, "a", 1, &added), n);
    cr_assert_eq(added, 0);
    cr_assert_eq(sdict_find(d, "a", 1)->v.i, 42);
    /* Binary keys, the empty key, and prefixes are distinct. */
    sdict_add(d, "", 0, &added);
    cr_assert_eq(added, 1);
    sdict_add(d, "a\0b", 3, &added);
    cr_assert_eq(added, 1);
    sdict_add(d, "a\0", 2, NULL);
    cr_assert_eq(sdict_size(d), 4);
    cr_assert_not_null(sdict_find(d, "", 0));
    cr_assert_not_null(sdict_find(d, "a\0b", 3));
    cr_assert_null(sdict_find(d, "a\0c", 3));
    n = sdict_unlink(d, "a", 1);
    cr_assert_eq(n->v.i, 42);
    sdict_node_free(n);
    cr_assert_null(sdict_find(d, "a", 1));
    cr_assert_eq(sdict_size(d), 3);
    sdict_free(d, NULL);
}

static int freed_values;

static void count_free(struct sdict_node *n)
{
    freed_values++;
    free(n->v.ptr);
}

Test(sdict, free_calls_value_callback)
{
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < 100; i++)
        add_i(d, i, NULL)->v.ptr = malloc(10);
    freed_values = 0;
    sdict_free(d, count_free);
    cr_assert_eq(freed_values, 100);
    sdict_free(NULL, NULL);
}

Test(sdict, hundred_thousand_with_deletes_during_rehash)
{
    enum { N = 100000 };
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < N; i++) {
        int added;
        add_i(d, i, &added)->v.i = (int64_t)i;
        cr_assert_eq(added, 1);
        /* Delete every third key shortly after adding it, while the growth
         * rehashes triggered by the adds are still in progress. */
        if (i % 3 == 0 && i >= 10)
            cr_assert(unlink_i(d, i - 10));
    }
    size_t expect = N;
    for (size_t i = 0; i < N; i++) {
        struct sdict_node *n = find_i(d, i);
        /* key j was deleted when key j + 10 was added, if j + 10 % 3 == 0 */
        int gone = (i + 10) % 3 == 0 && i + 10 < N;
        expect -= gone;
        if (gone)
            cr_assert_null(n, "key %zu", i);
        else {
            cr_assert_not_null(n, "key %zu", i);
            cr_assert_eq(n->v.i, (int64_t)i);
        }
    }
    cr_assert_eq(sdict_size(d), expect);
    /* Now shrink: delete all but 100, checking a survivor as we go. */
    for (size_t i = 0; i < N; i++) {
        if (i < 100)
            continue;
        unlink_i(d, i);
        if (i % 1000 == 0)
            cr_assert_not_null(find_i(d, 1));
    }
    size_t left = 0;
    for (size_t i = 0; i < 100; i++)
        left += find_i(d, i) != NULL;
    cr_assert_eq(sdict_size(d), left);
    /* The table shrank back: far less than 100k buckets. */
    cr_assert_lt(sdict_mem(d), 64 * 1024);
    sdict_free(d, NULL);
}

struct seen {
    unsigned char *count; /* per key index */
    size_t max;
};

static void on_scan(void *priv, void *node)
{
    struct sdict_node *n = node;
    struct seen *s = priv;
    size_t i = (size_t)n->v.i;
    cr_assert_lt(i, s->max);
    if (s->count[i] < 255)
        s->count[i]++;
}

Test(sdict, scan_without_changes_returns_each_once)
{
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < 5000; i++)
        add_i(d, i, NULL)->v.i = (int64_t)i;
    struct seen s = {calloc(5000, 1), 5000};
    uint64_t cursor = 0;
    int steps = 0;
    do {
        cursor = sdict_scan(d, cursor, on_scan, &s);
        steps++;
    } while (cursor != 0);
    cr_assert_gt(steps, 1);
    for (size_t i = 0; i < 5000; i++)
        cr_assert_eq(s.count[i], 1, "key %zu seen %d times", i, s.count[i]);
    free(s.count);
    sdict_free(d, NULL);
}

/* Elements 0..999 stay for the whole scan; between cursor steps the table
 * grows to tens of thousands (many rehashes, scanned mid-rehash) and then
 * shrinks back. Every stable element must be returned. */
Test(sdict, scan_across_grow_and_shrink)
{
    enum { STABLE = 1000, EXTRA = 40000 };
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < STABLE; i++)
        add_i(d, i, NULL)->v.i = (int64_t)i;
    struct seen s = {calloc(STABLE + EXTRA, 1), STABLE + EXTRA};
    uint64_t cursor = 0;
    size_t next_extra = STABLE, step = 0;
    do {
        cursor = sdict_scan(d, cursor, on_scan, &s);
        step++;
        if (step < 60) {
            /* grow */
            for (int k = 0; k < 600 && next_extra < STABLE + EXTRA; k++, next_extra++)
                add_i(d, next_extra, NULL)->v.i = (int64_t)next_extra;
        } else {
            /* shrink: remove extras */
            for (int k = 0; k < 2000 && next_extra > STABLE; k++)
                unlink_i(d, --next_extra);
        }
    } while (cursor != 0);
    for (size_t i = 0; i < STABLE; i++)
        cr_assert_geq(s.count[i], 1, "stable key %zu not returned", i);
    free(s.count);
    sdict_free(d, NULL);
}

/* The same with a shrink first and growth afterwards. */
Test(sdict, scan_across_shrink_and_grow)
{
    enum { STABLE = 300, EXTRA = 30000 };
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < STABLE + EXTRA; i++)
        add_i(d, i, NULL)->v.i = (int64_t)i;
    struct seen s = {calloc(STABLE + EXTRA, 1), STABLE + EXTRA};
    uint64_t cursor = 0;
    size_t step = 0, removed = STABLE + EXTRA;
    do {
        cursor = sdict_scan(d, cursor, on_scan, &s);
        step++;
        if (step < 40) {
            for (int k = 0; k < 1000 && removed > STABLE; k++)
                unlink_i(d, --removed);
        } else if (step % 4 == 0) {
            for (int k = 0; k < 500 && removed < STABLE + EXTRA; k++, removed++)
                add_i(d, removed, NULL)->v.i = (int64_t)removed;
        }
    } while (cursor != 0);
    for (size_t i = 0; i < STABLE; i++)
        cr_assert_geq(s.count[i], 1, "stable key %zu not returned", i);
    free(s.count);
    sdict_free(d, NULL);
}

Test(sdict, iterator_visits_each_once_and_allows_unlink)
{
    enum { N = 20000 };
    struct sdict *d = sdict_new();
    /* Stop adding at a size that leaves a rehash in progress, so the
     * iterator has to cover both tables. */
    for (size_t i = 0; i < N; i++)
        add_i(d, i, NULL)->v.i = (int64_t)i;
    unsigned char *count = calloc(N, 1);
    struct sdict_iter it;
    sdict_iter_init(&it, d);
    struct sdict_node *n;
    size_t visited = 0;
    while ((n = sdict_iter_next(&it))) {
        size_t i = (size_t)n->v.i;
        count[i]++;
        visited++;
        if (i % 2 == 1) {
            struct sdict_node *u = sdict_unlink(d, n->key, n->klen);
            cr_assert_eq(u, n);
            sdict_node_free(u);
        }
        /* Lookups during the iteration must not move buckets. */
        if (i % 14 == 0)
            cr_assert_not_null(find_i(d, i));
    }
    sdict_iter_done(&it);
    cr_assert_eq(visited, N);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(count[i], 1);
    cr_assert_eq(sdict_size(d), N / 2);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(find_i(d, i) != NULL, i % 2 == 0);

    /* Unlinking everything through an iterator, then shrinking after. */
    size_t before = sdict_mem(d);
    sdict_iter_init(&it, d);
    while ((n = sdict_iter_next(&it)))
        sdict_node_free(sdict_unlink(d, n->key, n->klen));
    sdict_iter_done(&it);
    cr_assert_eq(sdict_size(d), 0);
    cr_assert_lt(sdict_mem(d), before);
    add_i(d, 5, NULL);
    for (size_t i = 0; i < 1000; i++)
        find_i(d, 5);
    cr_assert_lt(sdict_mem(d), 4096);
    free(count);
    sdict_free(d, NULL);
}

Test(sdict, iterator_on_empty)
{
    struct sdict *d = sdict_new();
    struct sdict_iter it;
    sdict_iter_init(&it, d);
    cr_assert_null(sdict_iter_next(&it));
    sdict_iter_done(&it);
    cr_assert_eq(sdict_scan(d, 0, on_scan, NULL), 0);
    sdict_free(d, NULL);
}

Test(sdict, random_covers_all_roughly_uniformly)
{
    enum { N = 200, DRAWS = 200000 };
    struct sdict *d = sdict_new();
    for (size_t i = 0; i < N; i++)
        add_i(d, i, NULL)->v.i = (int64_t)i;
    unsigned *hits = calloc(N, sizeof(*hits));
    for (int k = 0; k < DRAWS; k++)
        hits[sdict_random(d)->v.i]++;
    unsigned expect = DRAWS / N;
    for (size_t i = 0; i < N; i++) {
        cr_assert_gt(hits[i], expect / 5, "key %zu drawn %u times", i, hits[i]);
        cr_assert_lt(hits[i], expect * 3, "key %zu drawn %u times", i, hits[i]);
    }
    /* Also while a rehash is in progress: every draw is a linked node. */
    for (size_t i = N; i < 5000; i++) {
        add_i(d, i, NULL)->v.i = (int64_t)i;
        struct sdict_node *n = sdict_random(d);
        cr_assert_eq(find_i(d, (size_t)n->v.i), n);
    }
    free(hits);
    sdict_free(d, NULL);
}

Test(sdict, reserve_then_add)
{
    struct sdict *d = sdict_new();
    sdict_reserve(d, 1000);
    size_t mem = sdict_mem(d);
    cr_assert_geq(mem, 1024 * sizeof(void *));
    for (size_t i = 0; i < 1000; i++)
        add_i(d, i, NULL);
    for (size_t i = 0; i < 1000; i++)
        cr_assert_not_null(find_i(d, i));
    /* No growth was needed: only the nodes were added. */
    cr_assert_lt(sdict_mem(d) - mem, 1000 * 64);
    sdict_free(d, NULL);
}

Test(sdict, mem_tracks_nodes)
{
    struct sdict *d = sdict_new();
    size_t empty = sdict_mem(d);
    for (size_t i = 0; i < 1000; i++)
        add_i(d, i, NULL);
    size_t full = sdict_mem(d);
    /* at least a node header + key per element and a bucket pointer each */
    cr_assert_geq(full - empty, 1000 * (offsetof(struct sdict_node, key) + 5 + sizeof(void *)));
    cr_assert_lt(full - empty, 1000 * 96);
    for (size_t i = 0; i < 1000; i++)
        unlink_i(d, i);
    cr_assert_lt(sdict_mem(d), empty + 4096);
    sdict_free(d, NULL);
}

/* ---------------- model test ---------------- */

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

Test(sdict, random_ops_against_sorted_array)
{
    enum { KEYS = 3000, OPS = 200000 };
    struct sdict *d = sdict_new();
    size_t *model = malloc(KEYS * sizeof(*model)), n = 0;
    srand(99);
    for (int op = 0; op < OPS; op++) {
        size_t k = (size_t)rand() % KEYS;
        size_t *pos = bsearch(&k, model, n, sizeof(*model), cmp_size);
        /* Phases: mostly adds, then mostly deletes, so the table grows and
         * shrinks several times. */
        int add_bias = (op / 20000) % 2 == 0 ? 70 : 30;
        int r = rand() % 100;
        if (r < add_bias) {
            int added;
            struct sdict_node *node = add_i(d, k, &added);
            cr_assert_eq(added, pos == NULL);
            if (added) {
                node->v.i = (int64_t)k;
                size_t at = 0;
                while (at < n && model[at] < k)
                    at++;
                memmove(&model[at + 1], &model[at], (n - at) * sizeof(*model));
                model[at] = k;
                n++;
            }
            cr_assert_eq(node->v.i, (int64_t)k);
        } else if (r < 95) {
            cr_assert_eq(unlink_i(d, k), pos != NULL);
            if (pos) {
                memmove(pos, pos + 1, (size_t)(&model[n] - pos - 1) * sizeof(*model));
                n--;
            }
        } else {
            struct sdict_node *node = find_i(d, k);
            cr_assert_eq(node != NULL, pos != NULL);
        }
        cr_assert_eq(sdict_size(d), n);
        if (op % 10007 == 0) {
            size_t *got = malloc((n + 1) * sizeof(*got)), g = 0;
            struct sdict_iter it;
            sdict_iter_init(&it, d);
            struct sdict_node *node;
            while ((node = sdict_iter_next(&it)))
                got[g++] = (size_t)node->v.i;
            sdict_iter_done(&it);
            cr_assert_eq(g, n);
            qsort(got, g, sizeof(*got), cmp_size);
            cr_assert(memcmp(got, model, n * sizeof(*got)) == 0);
            free(got);
        }
    }
    free(model);
    sdict_free(d, NULL);
}
