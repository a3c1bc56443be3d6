/*
 * test_idmap.c - unit tests for core/ds/idmap.c, the ordered id map behind
 * stream nodes and PELs: ordering by (ms, seq) as 128-bit numbers, seeks at
 * and between keys, duplicates refused, removal at both ends and in the
 * middle, growth and shrinking, and a randomized run against a sorted-array
 * model with appends, front removals and random inserts/removals.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/idmap.h"

Test(idmap, orders_by_ms_then_seq)
{
    struct idmap m;
    idmap_init(&m);
    cr_assert(idmap_insert(&m, 2, 0, (void *)3));
    cr_assert(idmap_insert(&m, 1, UINT64_MAX, (void *)2));
    cr_assert(idmap_insert(&m, 1, 0, (void *)1));
    cr_assert(idmap_insert(&m, UINT64_MAX, UINT64_MAX, (void *)4));
    cr_assert_not(idmap_insert(&m, 1, 0, (void *)9), "duplicate refused");
    cr_assert_eq(idmap_size(&m), 4);
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq((uintptr_t)idmap_at(&m, i)->val, i + 1);
    cr_assert_eq(idmap_seek_ge(&m, 1, 1), 1);
    cr_assert_eq(idmap_seek_ge(&m, 0, 0), 0);
    cr_assert_eq(idmap_seek_le(&m, 1, 5), 0);
    cr_assert_eq(idmap_seek_le(&m, 2, 0), 2);
    cr_assert_eq(idmap_seek_le(&m, 0, 5), -1);
    cr_assert_eq(idmap_find(&m, 1, UINT64_MAX), (void *)2);
    cr_assert_null(idmap_find(&m, 1, 1));
    cr_assert_eq(idmap_remove(&m, 1, 0), (void *)1);
    cr_assert_null(idmap_remove(&m, 1, 0));
    cr_assert_eq(idmap_size(&m), 3);
    idmap_clear(&m, NULL);
    cr_assert_eq(idmap_size(&m), 0);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

Test(idmap, random_model)
{
    enum { N = 4000 };
    uint64_t *model = malloc(sizeof(uint64_t) * N * 4);
    size_t n = 0;
    struct idmap m;
    idmap_init(&m);
    srand(7);
    uint64_t next = 1000;
    for (int step = 0; step < 40000; step++) {
        int op = rand() % 10;
        if (op < 4) { /* append */
            next += 1 + (uint64_t)(rand() % 3);
            cr_assert(idmap_insert(&m, next >> 4, next & 15, (void *)(uintptr_t)next));
            model[n++] = next;
        } else if (op < 6 && n) { /* remove the first */
            cr_assert_eq((uintptr_t)idmap_remove_at(&m, 0), model[0]);
            memmove(model, model + 1, (n - 1) * sizeof(*model));
            n--;
        } else if (op < 8 && n < (size_t)N * 3) { /* insert anywhere */
            uint64_t k = (uint64_t)rand() % (next + 1);
            int added = idmap_insert(&m, k >> 4, k & 15, (void *)(uintptr_t)k);
            int present = bsearch(&k, model, n, sizeof(*model), cmp_u64) != NULL;
            cr_assert_eq(added, !present);
            if (added) {
                model[n++] = k;
                qsort(model, n, sizeof(*model), cmp_u64);
            }
        } else if (n) { /* remove anywhere */
            size_t i = (size_t)rand() % n;
            uint64_t k = model[i];
            cr_assert_eq((uintptr_t)idmap_remove(&m, k >> 4, k & 15), k);
            memmove(model + i, model + i + 1, (n - i - 1) * sizeof(*model));
            n--;
        }
        if (step % 97 == 0 || n < 3) {
            cr_assert_eq(idmap_size(&m), n);
            for (size_t i = 0; i < n; i++) {
                struct idmap_item *it = idmap_at(&m, i);
                cr_assert_eq((it->ms << 4) | it->seq, model[i], "step %d pos %zu", step, i);
            }
        }
    }
    idmap_clear(&m, NULL);
    free(model);
}
