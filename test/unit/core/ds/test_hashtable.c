/*
 * test_hashtable.c - unit tests for the shared engine core/ds/hashtable.c,
 * with an entry type of the test's own (next, hash, integer key):
 * insert/find/pop while growing and shrinking with a rehash in progress,
 * removal and replacement by address, iteration (pauses the rehash, allows
 * unlinking the returned entry) while a rehash is half done, the SCAN
 * guarantee (every entry present for the whole scan returned at least once
 * while the table grows, shrinks or rehashes between steps), the random
 * pickers' coverage, reserve, clear with callbacks, and stats.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ds/hashtable.h"

struct tent {
    struct tent *next;
    uint64_t hash;
    uint64_t key;
};
HASHTABLE_ENTRY_CHECK(struct tent);

/* A mixing hash (splitmix64's finalizer): spreads consecutive keys. */
static uint64_t mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static int tent_eq(const void *entry, const void *key, size_t klen)
{
    (void)klen;
    return ((const struct tent *)entry)->key == *(const uint64_t *)key;
}

static uint64_t tent_hash(const void *key, size_t klen)
{
    (void)klen;
    return mix(*(const uint64_t *)key);
}

static long destroyed;

static void tent_destroy(void *entry)
{
    destroyed++;
    free(entry);
}

static const struct hashtable_type tent_type = {.key_eq = tent_eq, .hash = tent_hash, .destroy = tent_destroy};

static struct tent *ins(struct hashtable *ht, uint64_t k)
{
    struct tent *e = malloc(sizeof(*e));
    cr_assert_not_null(e);
    e->key = k;
    e->hash = hashtable_hash_key(ht, &k, sizeof(k));
    hashtable_insert(ht, e);
    return e;
}

static struct tent *find(struct hashtable *ht, uint64_t k)
{
    return hashtable_find(ht, mix(k), &k, sizeof(k));
}

static int del(struct hashtable *ht, uint64_t k)
{
    struct tent *e = hashtable_pop(ht, mix(k), &k, sizeof(k));
    if (!e)
        return 0;
    cr_assert_eq(e->key, k);
    cr_assert_null(e->next, "a popped entry is detached");
    free(e);
    return 1;
}

static void finish(struct hashtable *ht)
{
    while (hashtable_rehash_step(ht, 1000))
        ;
}

Test(hashtable, empty)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    cr_assert_eq(hashtable_size(&ht), 0);
    cr_assert_eq(hashtable_buckets(&ht), 0);
    cr_assert_null(find(&ht, 1));
    cr_assert_eq(del(&ht, 1), 0);
    cr_assert_null(hashtable_random(&ht));
    cr_assert_null(hashtable_fair_random(&ht));
    cr_assert_eq(hashtable_scan(&ht, 0, NULL, NULL), 0);
    struct hashtable_iter it;
    hashtable_iter_init(&it, &ht);
    cr_assert_null(hashtable_iter_next(&it));
    hashtable_iter_done(&it);
    hashtable_clear(&ht, NULL, NULL);
}

Test(hashtable, grow_and_shrink_with_operations_during_rehash)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    const uint64_t N = 100000;
    int saw_rehash = 0;
    for (uint64_t k = 0; k < N; k++) {
        ins(&ht, k);
        saw_rehash |= hashtable_is_rehashing(&ht);
        /* Entries inserted so far stay findable mid-rehash. */
        if (k % 997 == 0)
            for (uint64_t j = 0; j <= k; j += 101)
                cr_assert_not_null(find(&ht, j), "key %lu lost at %lu", (unsigned long)j, (unsigned long)k);
    }
    cr_assert(saw_rehash);
    cr_assert_eq(hashtable_size(&ht), N);
    /* Delete while a rehash is (probably) in progress: odd keys, then most. */
    for (uint64_t k = 1; k < N; k += 2)
        cr_assert_eq(del(&ht, k), 1);
    for (uint64_t k = 0; k < N; k++)
        cr_assert_eq(find(&ht, k) != NULL, k % 2 == 0);
    for (uint64_t k = 0; k < N - 100; k += 2)
        cr_assert_eq(del(&ht, k), 1);
    finish(&ht);
    cr_assert_eq(hashtable_size(&ht), 50);
    /* Shrunk: no more than 8 buckets an entry, and at least one. */
    cr_assert_leq(hashtable_buckets(&ht), 8 * 64);
    cr_assert_geq(hashtable_buckets(&ht), 50);
    for (uint64_t k = N - 100; k < N; k += 2)
        cr_assert_not_null(find(&ht, k));
    destroyed = 0;
    hashtable_clear(&ht, NULL, NULL);
    cr_assert_eq(destroyed, 50);
    cr_assert_eq(hashtable_size(&ht), 0);
    cr_assert_eq(hashtable_buckets(&ht), 0);
}

Test(hashtable, remove_and_replace_by_address)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    struct tent *e[64];
    for (uint64_t k = 0; k < 64; k++)
        e[k] = ins(&ht, k);
    cr_assert_eq(hashtable_remove_entry(&ht, e[10]), 1);
    cr_assert_null(e[10]->next);
    cr_assert_eq(hashtable_remove_entry(&ht, e[10]), 0);
    free(e[10]);
    struct tent *copy = malloc(sizeof(*copy));
    *copy = *e[20];
    cr_assert_eq(hashtable_replace_entry(&ht, e[20], copy), 1);
    free(e[20]);
    cr_assert_eq(find(&ht, 20), copy);
    cr_assert_null(find(&ht, 10));
    cr_assert_eq(hashtable_size(&ht), 63);
    hashtable_clear(&ht, NULL, NULL);
}

static void count_visit(void *priv, void *entry)
{
    unsigned char *seen = priv;
    seen[((struct tent *)entry)->key]++;
}

Test(hashtable, iteration_during_rehash_pauses_it_and_allows_unlink)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    uint64_t k = 0;
    /* Insert until a growth starts, then a few more (into the new table). */
    while (!hashtable_is_rehashing(&ht) || hashtable_size(&ht) < 1000)
        ins(&ht, k++);
    const uint64_t n = k;
    unsigned char *seen = calloc(n, 1);
    struct hashtable_stats before, after;
    hashtable_stats(&ht, &before);
    cr_assert(before.rehashing);
    struct hashtable_iter it;
    hashtable_iter_init(&it, &ht);
    for (struct tent *e; (e = hashtable_iter_next(&it)) != NULL;) {
        seen[e->key]++;
        /* Lookups and steps do not move entries under the iterator. */
        cr_assert(hashtable_rehash_step(&ht, 100));
        cr_assert_not_null(find(&ht, e->key));
        if (e->key % 3 == 0) {
            cr_assert_eq(hashtable_remove_entry(&ht, e), 1);
            free(e);
        }
    }
    hashtable_stats(&ht, &after);
    cr_assert_eq(after.size[0], before.size[0]);
    cr_assert_eq(after.size[1], before.size[1]);
    hashtable_iter_done(&it);
    for (uint64_t i = 0; i < n; i++) {
        cr_assert_eq(seen[i], 1, "key %lu seen %u times", (unsigned long)i, seen[i]);
        cr_assert_eq(find(&ht, i) != NULL, i % 3 != 0);
    }
    finish(&ht);
    cr_assert_eq(hashtable_size(&ht), n - (n + 2) / 3);
    free(seen);
    hashtable_clear(&ht, NULL, NULL);
}

/* Scans from cursor 0 to the end, calling change(i) between steps; returns
 * in seen[] how often each key came back. */
static void scan_with(struct hashtable *ht, unsigned char *seen, void (*change)(struct hashtable *, int), int steps)
{
    uint64_t cursor = 0;
    int i = 0;
    do {
        cursor = hashtable_scan(ht, cursor, count_visit, seen);
        change(ht, i++);
        cr_assert_lt(i, steps, "scan does not end");
    } while (cursor != 0);
}

#define STABLE 2000 /* keys 0..STABLE-1 stay for the whole scan */

static void grow_a_lot(struct hashtable *ht, int i)
{
    /* Keys above STABLE arrive during the first 50 steps: the table grows
     * several times (then stops, so the scan can end). */
    for (int j = 0; j < 200 && i < 50; j++)
        ins(ht, STABLE + (uint64_t)i * 200 + (uint64_t)j);
}

static void shrink_a_lot(struct hashtable *ht, int i)
{
    /* Keys above STABLE leave, with rehash steps: the table shrinks. */
    for (int j = 0; j < 400 && i < 300; j++)
        del(ht, STABLE + (uint64_t)i * 400 + (uint64_t)j);
    hashtable_rehash_step(ht, 3);
}

static void check_stable_seen(const unsigned char *seen)
{
    for (uint64_t k = 0; k < STABLE; k++)
        cr_assert_geq(seen[k], 1, "key %lu missed by the scan", (unsigned long)k);
}

Test(hashtable, scan_returns_every_stable_entry_while_growing)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    for (uint64_t k = 0; k < STABLE; k++)
        ins(&ht, k);
    finish(&ht);
    unsigned char *seen = calloc(STABLE + 200 * 50, 1);
    scan_with(&ht, seen, grow_a_lot, 100000);
    check_stable_seen(seen);
    free(seen);
    hashtable_clear(&ht, NULL, NULL);
}

Test(hashtable, scan_returns_every_stable_entry_while_shrinking)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    const uint64_t extra = 400 * 300;
    for (uint64_t k = 0; k < STABLE + extra; k++)
        ins(&ht, k);
    finish(&ht);
    unsigned char *seen = calloc(STABLE + extra, 1);
    scan_with(&ht, seen, shrink_a_lot, 100000);
    check_stable_seen(seen);
    free(seen);
    hashtable_clear(&ht, NULL, NULL);
}

static void nothing(struct hashtable *ht, int i)
{
    (void)ht;
    (void)i;
}

Test(hashtable, scan_of_a_table_mid_rehash_returns_each_once)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    uint64_t k = 0;
    while (!hashtable_is_rehashing(&ht) || hashtable_size(&ht) < 3000)
        ins(&ht, k++);
    cr_assert(hashtable_is_rehashing(&ht));
    unsigned char *seen = calloc(k, 1);
    scan_with(&ht, seen, nothing, 1 << 20);
    for (uint64_t i = 0; i < k; i++)
        cr_assert_eq(seen[i], 1, "key %lu seen %u times", (unsigned long)i, seen[i]);
    free(seen);
    hashtable_clear(&ht, NULL, NULL);
}

Test(hashtable, random_pickers_cover_every_entry)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    const uint64_t N = 200;
    for (uint64_t k = 0; k < N; k++)
        ins(&ht, k);
    unsigned *plain = calloc(N, sizeof(*plain)), *fair = calloc(N, sizeof(*fair));
    const int draws = 200000;
    for (int i = 0; i < draws; i++) {
        plain[((struct tent *)hashtable_random(&ht))->key]++;
        fair[((struct tent *)hashtable_fair_random(&ht))->key]++;
    }
    for (uint64_t k = 0; k < N; k++) {
        cr_assert_gt(plain[k], 0, "hashtable_random never picked %lu", (unsigned long)k);
        /* Expected 1000 each; the fair picker stays well within 2x. */
        cr_assert_gt(fair[k], 500, "fair picker: %lu drawn %u times", (unsigned long)k, fair[k]);
        cr_assert_lt(fair[k], 2000, "fair picker: %lu drawn %u times", (unsigned long)k, fair[k]);
    }
    /* Also mid-rehash: every pick is a linked entry. */
    uint64_t k = N;
    while (!hashtable_is_rehashing(&ht))
        ins(&ht, k++);
    for (int i = 0; i < 1000; i++) {
        struct tent *e = hashtable_random(&ht);
        cr_assert_eq(find(&ht, e->key), e);
        e = hashtable_fair_random(&ht);
        cr_assert_eq(find(&ht, e->key), e);
    }
    free(plain);
    free(fair);
    hashtable_clear(&ht, NULL, NULL);
}

Test(hashtable, reserve_sizes_once)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    hashtable_reserve(&ht, 1000);
    cr_assert_eq(hashtable_buckets(&ht), 1024);
    for (uint64_t k = 0; k < 1000; k++) {
        ins(&ht, k);
        cr_assert(!hashtable_is_rehashing(&ht));
    }
    cr_assert_eq(hashtable_buckets(&ht), 1024);
    hashtable_clear(&ht, NULL, NULL);
}

static void clear_cb(void *priv, void *entry)
{
    (*(long *)priv)++;
    free(entry);
}

Test(hashtable, clear_with_callback_and_stats)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    for (uint64_t k = 0; k < 5000; k++)
        ins(&ht, k);
    struct hashtable_stats st;
    hashtable_stats(&ht, &st);
    cr_assert_eq(st.used[0] + st.used[1], 5000);
    cr_assert_eq(st.size[0] + st.size[1], hashtable_buckets(&ht));
    cr_assert_geq(st.max_chain, 1);
    long n = 0;
    destroyed = 0;
    hashtable_clear(&ht, clear_cb, &n);
    cr_assert_eq(n, 5000);
    cr_assert_eq(destroyed, 0, "the callback replaces type->destroy");
    /* Usable again. */
    ins(&ht, 7);
    cr_assert_not_null(find(&ht, 7));
    hashtable_clear(&ht, NULL, NULL);
}

Test(hashtable, pause_blocks_steps_and_shrinks)
{
    struct hashtable ht;
    hashtable_init(&ht, &tent_type);
    for (uint64_t k = 0; k < 4096; k++)
        ins(&ht, k);
    finish(&ht);
    size_t buckets = hashtable_buckets(&ht);
    hashtable_pause(&ht);
    for (uint64_t k = 0; k < 4090; k++)
        cr_assert_eq(del(&ht, k), 1);
    cr_assert_eq(hashtable_buckets(&ht), buckets, "no shrink while paused");
    hashtable_resume(&ht);
    cr_assert(hashtable_is_rehashing(&ht), "resume starts the due shrink");
    finish(&ht);
    cr_assert_lt(hashtable_buckets(&ht), 64);
    hashtable_clear(&ht, NULL, NULL);
}
