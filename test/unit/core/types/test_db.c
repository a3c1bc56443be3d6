/*
 * test_db.c - unit tests for core/types/db.c: growth to a million keys with
 * incremental rehashing, deletes and shrinking, the SCAN guarantee (every
 * key present for the whole scan is returned, also while the table grows,
 * shrinks or is mid-rehash between cursor steps), the random picker, the
 * expiry vector (lazy and active expiry), db_replace, db_swap and db_clear.
 *
 * The table's internals are observed only through the public API:
 * db_rehash_step(db, 0) moves nothing and says whether a rehash is in
 * progress, and db_overhead_bytes() minus that of an empty db, divided by
 * the pointer size, is the number of buckets when no key has an expiry.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/types/db.h"
#include "core/types/object.h"

#define NOW 1700000000000LL

/* ---------------- helpers ---------------- */

static size_t key_of(char *buf, size_t size, const char *prefix, long i)
{
    return (size_t)snprintf(buf, size, "%s:%ld", prefix, i);
}

static uint64_t hash_of(const char *key, size_t len)
{
    return XXH3_64bits(key, len);
}

static struct db_entry *add(struct db *db, const char *prefix, long i, int64_t expire_at)
{
    char key[64];
    size_t len = key_of(key, sizeof(key), prefix, i);
    struct db_entry *e = entry_new_string(hash_of(key, len), key, len, "value", 5);
    e->expire_at = expire_at;
    db_insert(db, e);
    return e;
}

static struct db_entry *get(struct db *db, const char *prefix, long i)
{
    char key[64];
    size_t len = key_of(key, sizeof(key), prefix, i);
    return db_find(db, hash_of(key, len), key, len);
}

static int del(struct db *db, const char *prefix, long i)
{
    char key[64];
    size_t len = key_of(key, sizeof(key), prefix, i);
    return db_delete(db, hash_of(key, len), key, len);
}

static int is_rehashing(struct db *db)
{
    return db_rehash_step(db, 0);
}

static size_t empty_overhead(void)
{
    struct db *db = db_create();
    size_t n = db_overhead_bytes(db);
    db_destroy(db);
    return n;
}

/* Buckets of both tables; valid when no key has an expiry. */
static size_t buckets(struct db *db)
{
    return (db_overhead_bytes(db) - empty_overhead()) / sizeof(void *);
}

static void finish_rehash(struct db *db)
{
    while (db_rehash_step(db, 1000))
        ;
}

/* Parses "<prefix>:<n>" keys back into n; -1 for other keys. */
static long index_of(const struct db_entry *e, const char *prefix)
{
    size_t plen = strlen(prefix);
    if (e->key_len <= plen + 1 || memcmp(e->key, prefix, plen) != 0 || e->key[plen] != ':')
        return -1;
    long n = 0;
    for (size_t i = plen + 1; i < e->key_len; i++)
        n = n * 10 + (e->key[i] - '0');
    return n;
}

/* SCAN callback state: how many times each "s:<n>" key was returned. */
struct seen {
    const char *prefix;
    unsigned *count;
    long n;
    size_t visits;
};

static void count_visit(void *priv, void *entry)
{
    struct db_entry *e = entry;
    struct seen *s = priv;
    s->visits++;
    long i = index_of(e, s->prefix);
    if (i >= 0 && i < s->n)
        s->count[i]++;
}

static void assert_all_seen(const struct seen *s, long from, long to)
{
    for (long i = from; i < to; i++)
        cr_assert_geq(s->count[i], 1, "%s:%ld was never returned by the scan", s->prefix, i);
}

/* ---------------- growth, find, delete, shrink ---------------- */

Test(db, grows_to_a_million_keys)
{
    const long n = 1000000;
    struct db *db = db_create();
    cr_assert_eq(db_size(db), 0);
    cr_assert_null(get(db, "k", 0));
    int rehashes_seen = 0;
    for (long i = 0; i < n; i++) {
        add(db, "k", i, 0);
        if ((i & 1023) == 0 && is_rehashing(db))
            rehashes_seen++;
    }
    cr_assert_eq(db_size(db), (size_t)n);
    cr_assert_gt(rehashes_seen, 0, "growth never left a rehash in progress: it is not incremental");
    for (long i = 0; i < n; i++) {
        struct db_entry *e = get(db, "k", i);
        cr_assert_not_null(e, "k:%ld lost", i);
        cr_assert_eq(index_of(e, "k"), i);
    }
    cr_assert_null(get(db, "k", n));
    cr_assert_null(get(db, "other", 5));
    finish_rehash(db);
    size_t b = buckets(db);
    cr_assert_eq(b, (size_t)1 << 20, "1M keys at load factor <= 1 need 2^20 buckets, have %zu", b);
    db_destroy(db);
}

Test(db, deletes_and_shrinks)
{
    const long n = 100000;
    struct db *db = db_create();
    for (long i = 0; i < n; i++)
        add(db, "k", i, 0);
    finish_rehash(db);
    size_t full = buckets(db);
    cr_assert_geq(full, (size_t)n);

    /* Delete every odd key: still more than 1/8 full, no shrink. */
    for (long i = 1; i < n; i += 2)
        cr_assert_eq(del(db, "k", i), 1);
    cr_assert_eq(del(db, "k", 1), 0, "deleting twice");
    cr_assert_eq(db_size(db), (size_t)n / 2);
    finish_rehash(db);
    cr_assert_eq(buckets(db), full);
    for (long i = 0; i < n; i++)
        cr_assert_eq(get(db, "k", i) != NULL, i % 2 == 0, "k:%ld", i);

    /* Down to 1000 keys: the table shrinks, incrementally. */
    int shrink_seen = 0;
    for (long i = 0; i < n - 2000; i += 2) {
        cr_assert_eq(del(db, "k", i), 1);
        if (is_rehashing(db))
            shrink_seen = 1;
    }
    cr_assert(shrink_seen);
    cr_assert_eq(db_size(db), 1000);
    finish_rehash(db);
    size_t small = buckets(db);
    cr_assert_leq(small, 8 * 1000, "after shrinking %zu buckets for 1000 keys", small);
    cr_assert_geq(small, 1000, "load factor above 1 after shrinking");
    for (long i = n - 2000; i < n; i += 2)
        cr_assert_not_null(get(db, "k", i));

    /* Empty: back to the minimum table. */
    for (long i = n - 2000; i < n; i += 2)
        cr_assert_eq(del(db, "k", i), 1);
    finish_rehash(db);
    cr_assert_eq(db_size(db), 0);
    cr_assert_leq(buckets(db), 4);
    add(db, "k", 1, 0);
    cr_assert_not_null(get(db, "k", 1));
    db_destroy(db);
}

Test(db, operations_during_a_rehash_find_both_tables)
{
    struct db *db = db_create();
    long i = 0;
    while (i < 10 || !is_rehashing(db))
        add(db, "k", i++, 0);
    /* Mid-rehash: old keys in either table, new ones in the new table. */
    long total = i;
    for (long j = 0; j < total; j++)
        cr_assert_not_null(get(db, "k", j));
    struct db_entry *e = db_unlink(db, hash_of("k:3", 3), "k:3", 3);
    cr_assert_not_null(e);
    cr_assert_null(e->next, "an unlinked entry is detached from its chain");
    cr_assert_null(get(db, "k", 3));
    db_insert(db, e);
    cr_assert_eq(get(db, "k", 3), e);
    cr_assert_eq(db_size(db), (size_t)total);
    db_destroy(db);
}

Test(db, unlink_hands_over_ownership)
{
    struct db *a = db_create(), *b = db_create();
    add(a, "k", 1, NOW + 100);
    struct db_entry *e = db_unlink(a, hash_of("k:1", 3), "k:1", 3);
    cr_assert_not_null(e);
    cr_assert_eq(db_size(a), 0);
    cr_assert_eq(db_expires_size(a), 0);
    cr_assert_null(db_unlink(a, hash_of("k:1", 3), "k:1", 3));
    db_insert(b, e);
    cr_assert_eq(db_expires_size(b), 1);
    cr_assert_eq(get(b, "k", 1), e);
    db_destroy(a);
    db_destroy(b);
}

Test(db, keys_with_equal_hashes_are_told_apart)
{
    /* Force collisions: same hash, different keys and lengths. */
    struct db *db = db_create();
    const char *keys[] = {"a", "b", "ab", "ba", "abc"};
    for (int i = 0; i < 5; i++)
        db_insert(db, entry_new_string(42, keys[i], strlen(keys[i]), keys[i], strlen(keys[i])));
    for (int i = 0; i < 5; i++) {
        struct db_entry *e = db_find(db, 42, keys[i], strlen(keys[i]));
        cr_assert_not_null(e);
        cr_assert_eq(e->key_len, strlen(keys[i]));
        cr_assert(memcmp(e->key, keys[i], e->key_len) == 0);
    }
    cr_assert_null(db_find(db, 42, "abd", 3));
    cr_assert_null(db_find(db, 43, "a", 1));
    cr_assert_eq(db_delete(db, 42, "ab", 2), 1);
    cr_assert_not_null(db_find(db, 42, "abc", 3));
    cr_assert_null(db_find(db, 42, "ab", 2));
    db_destroy(db);
}

/* ---------------- SCAN ---------------- */

static struct seen full_scan(struct db *db, const char *prefix, long n)
{
    struct seen s = {.prefix = prefix, .count = calloc((size_t)n, sizeof(unsigned)), .n = n};
    uint64_t cursor = 0;
    do {
        cursor = db_scan(db, cursor, count_visit, &s);
    } while (cursor != 0);
    return s;
}

Test(db, scan_of_a_stable_table_returns_every_key_once)
{
    struct db *db = db_create();
    struct seen s = full_scan(db, "k", 1);
    cr_assert_eq(s.visits, 0, "empty db");
    free(s.count);

    const long n = 5000;
    for (long i = 0; i < n; i++)
        add(db, "k", i, 0);
    finish_rehash(db);
    s = full_scan(db, "k", n);
    for (long i = 0; i < n; i++)
        cr_assert_eq(s.count[i], 1, "k:%ld returned %u times", i, s.count[i]);
    cr_assert_eq(s.visits, (size_t)n);
    free(s.count);
    db_destroy(db);
}

Test(db, scan_during_a_growing_rehash)
{
    struct db *db = db_create();
    long n = 0;
    while (n < 1000 || !is_rehashing(db))
        add(db, "k", n++, 0);
    /* A whole scan while the rehash is frozen half-way. */
    struct seen s = full_scan(db, "k", n);
    cr_assert(is_rehashing(db), "the scan itself must not rehash");
    assert_all_seen(&s, 0, n);
    free(s.count);

    /* A scan with the rehash advancing between steps, until it completes. */
    s = (struct seen){.prefix = "k", .count = calloc((size_t)n, sizeof(unsigned)), .n = n};
    uint64_t cursor = 0;
    do {
        cursor = db_scan(db, cursor, count_visit, &s);
        db_rehash_step(db, 3);
    } while (cursor != 0);
    assert_all_seen(&s, 0, n);
    free(s.count);
    db_destroy(db);
}

Test(db, scan_during_a_shrinking_rehash)
{
    struct db *db = db_create();
    const long n = 20000;
    for (long i = 0; i < n; i++)
        add(db, "k", i, 0);
    finish_rehash(db);
    long i = 0;
    while (!is_rehashing(db))
        cr_assert_eq(del(db, "k", i++), 1);
    struct seen s = full_scan(db, "k", n);
    assert_all_seen(&s, i, n);
    free(s.count);

    s = (struct seen){.prefix = "k", .count = calloc((size_t)n, sizeof(unsigned)), .n = n};
    uint64_t cursor = 0;
    do {
        cursor = db_scan(db, cursor, count_visit, &s);
        db_rehash_step(db, 1);
    } while (cursor != 0);
    assert_all_seen(&s, i, n);
    free(s.count);
    db_destroy(db);
}

/*
 * The SCAN guarantee under churn: "s:<n>" keys stay for the whole scan while
 * "c:<n>" keys are inserted and deleted between cursor steps, enough to make
 * the table grow several times and then shrink several times mid-scan.
 */
Test(db, scan_returns_keys_present_throughout_while_the_table_changes)
{
    const long stable = 3000;
    for (int phase = 0; phase < 2; phase++) {
        struct db *db = db_create();
        for (long i = 0; i < stable; i++)
            add(db, "s", i, 0);
        long churn_next = 0, churn_first = 0;
        if (phase == 1) {
            /* Start big so the churn can shrink the table mid-scan. */
            for (; churn_next < 200000; churn_next++)
                add(db, "c", churn_next, 0);
            finish_rehash(db);
        }
        struct seen s = {.prefix = "s", .count = calloc((size_t)stable, sizeof(unsigned)), .n = stable};
        size_t sizes_seen = 0, last_buckets = buckets(db);
        uint64_t cursor = 0;
        long steps = 0;
        do {
            cursor = db_scan(db, cursor, count_visit, &s);
            steps++;
            if (phase == 0) {
                /* Grow: many inserts, a few deletes, up to 100000 churn keys
                 * (unbounded growth would outrun the cursor forever), then
                 * as many inserts as deletes. */
                int inserts = churn_next - churn_first < 100000 ? 60 : 5;
                for (int k = 0; k < inserts; k++)
                    add(db, "c", churn_next++, 0);
                for (int k = 0; k < 10 && churn_first < churn_next; k++)
                    cr_assert_eq(del(db, "c", churn_first++), 1);
            } else {
                /* Shrink: many deletes, a few inserts. */
                for (int k = 0; k < 300 && churn_first < churn_next; k++)
                    cr_assert_eq(del(db, "c", churn_first++), 1);
                for (int k = 0; k < 5; k++)
                    add(db, "c", churn_next++, 0);
            }
            size_t b = buckets(db);
            if (b != last_buckets) {
                sizes_seen++;
                last_buckets = b;
            }
        } while (cursor != 0);
        /* Each resize changes the bucket count twice (second table
         * allocated, old one freed). Shrinking goes by factors of 8 or more,
         * so 200000 -> 3000 keys is two shrinks. */
        cr_assert_geq(sizes_seen, phase == 0 ? 8 : 3, "phase %d: the table did not resize during the scan", phase);
        assert_all_seen(&s, 0, stable);
        cr_log_info("scan phase %d: %ld steps, %zu table size changes, %zu entries visited", phase, steps, sizes_seen,
                    s.visits);
        free(s.count);
        db_destroy(db);
    }
}

/* ---------------- random ---------------- */

Test(db, random_returns_linked_entries_and_reaches_all)
{
    struct db *db = db_create();
    cr_assert_null(db_random(db));
    const long n = 100;
    for (long i = 0; i < n; i++)
        add(db, "k", i, 0);
    unsigned hits[100] = {0};
    for (int j = 0; j < 20000; j++) {
        struct db_entry *e = db_random(db);
        cr_assert_not_null(e);
        long i = index_of(e, "k");
        cr_assert(i >= 0 && i < n);
        cr_assert_eq(get(db, "k", i), e);
        hits[i]++;
    }
    for (long i = 0; i < n; i++)
        cr_assert_gt(hits[i], 0, "k:%ld never picked", i);

    /* Mid-rehash, and after most keys are gone. */
    long m = n;
    while (!is_rehashing(db))
        add(db, "k", m++, 0);
    for (int j = 0; j < 1000; j++) {
        struct db_entry *e = db_random(db);
        cr_assert_eq(get(db, "k", index_of(e, "k")), e);
    }
    for (long i = 1; i < m; i++)
        del(db, "k", i);
    for (int j = 0; j < 100; j++)
        cr_assert_eq(db_random(db), get(db, "k", 0));
    db_destroy(db);
}

/* ---------------- expiry ---------------- */

Test(db, expiry_vector_tracks_set_and_clear)
{
    struct db *db = db_create();
    for (long i = 0; i < 100; i++)
        add(db, "k", i, i < 30 ? NOW + 1000 + i : 0);
    cr_assert_eq(db_expires_size(db), 30);
    for (long i = 30; i < 50; i++)
        db_set_expire(db, get(db, "k", i), NOW + 5000);
    cr_assert_eq(db_expires_size(db), 50);
    db_set_expire(db, get(db, "k", 31), NOW + 6000); /* update, not add */
    cr_assert_eq(db_expires_size(db), 50);
    cr_assert_eq(get(db, "k", 31)->expire_at, NOW + 6000);
    for (long i = 0; i < 10; i++)
        db_set_expire(db, get(db, "k", i), 0);
    cr_assert_eq(db_expires_size(db), 40);
    cr_assert_eq(get(db, "k", 5)->expire_at, 0);
    db_set_expire(db, get(db, "k", 60), 0); /* clearing a persistent key */
    cr_assert_eq(db_expires_size(db), 40);
    for (long i = 10; i < 20; i++)
        cr_assert_eq(del(db, "k", i), 1);
    cr_assert_eq(db_expires_size(db), 30);

    /* Everything with a TTL is reachable through the vector: expiring all of
     * it leaves exactly the persistent keys. */
    size_t deleted = 0;
    while (db_expires_size(db) > 0)
        deleted += db_expire_cycle(db, INT64_MAX, 7);
    cr_assert_eq(deleted, 30);
    cr_assert_eq(db_size(db), 60);
    for (long i = 0; i < 100; i++)
        cr_assert_eq(get(db, "k", i) != NULL, i < 10 || i >= 50, "k:%ld", i);
    db_destroy(db);
}

Test(db, expire_cycle_deletes_only_expired_keys)
{
    struct db *db = db_create();
    const long n = 2000;
    for (long i = 0; i < n; i++)
        add(db, "k", i, i % 4 == 0 ? 0 : (i % 4 == 1 ? NOW - 1 : (i % 4 == 2 ? NOW : NOW + 1)));
    cr_assert_eq(db_expires_size(db), 1500);
    cr_assert_eq(db_expire_cycle(db, NOW, 0), 0);
    size_t deleted = 0;
    for (int round = 0; round < 10000 && db_expires_size(db) > 500; round++) {
        size_t d = db_expire_cycle(db, NOW, 20);
        cr_assert_leq(d, 20);
        deleted += d;
    }
    cr_assert_eq(deleted, 1000, "expire_at <= now is expired, later is not");
    cr_assert_eq(db_expires_size(db), 500);
    cr_assert_eq(db_expired_count(db), 0, "active deletions are returned, not counted in the db");
    for (long i = 0; i < n; i++) {
        struct db_entry *e = get(db, "k", i);
        cr_assert_eq(e != NULL, i % 4 == 0 || i % 4 == 3, "k:%ld", i);
    }
    /* Nothing left to expire at NOW. */
    for (int round = 0; round < 100; round++)
        cr_assert_eq(db_expire_cycle(db, NOW, 20), 0);
    db_destroy(db);
}

Test(db, find_live_expires_lazily_and_counts)
{
    struct db *db = db_create();
    add(db, "k", 1, NOW);
    add(db, "k", 2, NOW + 1);
    add(db, "k", 3, 0);
    cr_assert_not_null(db_find_live(db, hash_of("k:1", 3), "k:1", 3, NOW - 1));
    cr_assert_null(db_find_live(db, hash_of("k:1", 3), "k:1", 3, NOW));
    cr_assert_eq(db_expired_count(db), 1);
    cr_assert_eq(db_size(db), 2);
    cr_assert_eq(db_expires_size(db), 1);
    cr_assert_null(get(db, "k", 1), "the expired key is gone, not just hidden");
    cr_assert_not_null(db_find_live(db, hash_of("k:2", 3), "k:2", 3, NOW));
    cr_assert_not_null(db_find_live(db, hash_of("k:3", 3), "k:3", 3, INT64_MAX));
    cr_assert_null(db_find_live(db, hash_of("k:9", 3), "k:9", 3, NOW));
    cr_assert_eq(db_expired_count(db), 1, "a missing key is not counted");
    /* db_find ignores expiry. */
    cr_assert_not_null(get(db, "k", 2));
    cr_assert_null(db_find_live(db, hash_of("k:2", 3), "k:2", 3, NOW + 1));
    cr_assert_eq(db_expired_count(db), 2);
    cr_assert_eq(db_expires_size(db), 0);
    db_destroy(db);
}

/* ---------------- replace, swap, clear ---------------- */

/* What object.c does when an entry's inline part changes size. */
static struct db_entry *moved_copy(const struct db_entry *e)
{
    size_t size = offsetof(struct db_entry, key) + e->key_len + e->val_len;
    struct db_entry *copy = malloc(size);
    memcpy(copy, e, size);
    return copy;
}

Test(db, replace_repoints_chain_and_expiry_slot)
{
    for (int with_expiry = 0; with_expiry <= 1; with_expiry++) {
        struct db *db = db_create();
        /* Same hash for all three, so the replaced one sits mid-chain. */
        const char *keys[] = {"first", "middle", "last"};
        for (int i = 0; i < 3; i++) {
            struct db_entry *e = entry_new_string(7, keys[i], strlen(keys[i]), "embedded", 8);
            e->expire_at = with_expiry ? NOW + 10 * (i + 1) : 0;
            db_insert(db, e);
        }
        struct db_entry *old = db_find(db, 7, "middle", 6);
        struct db_entry *newer = moved_copy(old);
        db_replace(db, old, newer); /* frees old */
        cr_assert_eq(db_find(db, 7, "middle", 6), newer);
        cr_assert_not_null(db_find(db, 7, "first", 5));
        cr_assert_not_null(db_find(db, 7, "last", 4));
        cr_assert_eq(db_size(db), 3);
        if (with_expiry) {
            cr_assert_eq(db_expires_size(db), 3);
            /* The active cycle must reach newer through its slot. */
            size_t deleted = 0;
            for (int round = 0; round < 1000 && db_expires_size(db) > 1; round++)
                deleted += db_expire_cycle(db, NOW + 20, 3);
            cr_assert_eq(deleted, 2);
            cr_assert_null(db_find(db, 7, "middle", 6));
            cr_assert_null(db_find(db, 7, "first", 5));
            cr_assert_not_null(db_find(db, 7, "last", 4));
            cr_assert_eq(db_expires_size(db), 1);
        } else {
            cr_assert_eq(db_expires_size(db), 0);
            cr_assert_eq(db_delete(db, 7, "middle", 6), 1);
        }
        db_destroy(db);
    }
}

Test(db, replace_during_a_rehash)
{
    struct db *db = db_create();
    long n = 0;
    while (n < 100 || !is_rehashing(db))
        add(db, "k", n++, NOW + 50);
    /* Replace every entry, whichever table it is in right now. */
    for (long i = 0; i < n; i++) {
        struct db_entry *old = get(db, "k", i);
        struct db_entry *newer = moved_copy(old);
        db_replace(db, old, newer);
        cr_assert_eq(get(db, "k", i), newer);
    }
    finish_rehash(db);
    size_t deleted = 0;
    while (db_expires_size(db) > 0)
        deleted += db_expire_cycle(db, NOW + 50, 16);
    cr_assert_eq(deleted, (size_t)n);
    cr_assert_eq(db_size(db), 0);
    db_destroy(db);
}

Test(db, swap_exchanges_contents)
{
    struct db *a = db_create(), *b = db_create();
    for (long i = 0; i < 1000; i++)
        add(a, "a", i, i % 2 ? NOW + 1 : 0);
    for (long i = 0; i < 10; i++)
        add(b, "b", i, 0);
    db_swap(a, b);
    cr_assert_eq(db_size(a), 10);
    cr_assert_eq(db_size(b), 1000);
    cr_assert_eq(db_expires_size(a), 0);
    cr_assert_eq(db_expires_size(b), 500);
    cr_assert_not_null(get(a, "b", 3));
    cr_assert_null(get(a, "a", 3));
    cr_assert_not_null(get(b, "a", 3));
    /* The expiry vector travelled with its entries. */
    size_t deleted = 0;
    while (db_expires_size(b) > 0)
        deleted += db_expire_cycle(b, NOW + 1, 20);
    cr_assert_eq(deleted, 500);
    cr_assert_eq(db_size(b), 500);
    db_swap(a, a);
    cr_assert_eq(db_size(a), 10);
    db_destroy(a);
    db_destroy(b);
}

Test(db, clear_frees_everything_and_stays_usable)
{
    struct db *db = db_create();
    long n = 0;
    while (n < 5000 || !is_rehashing(db)) {
        add(db, "k", n, n % 3 ? 0 : NOW);
        n++;
    }
    db_clear(db);
    cr_assert_eq(db_size(db), 0);
    cr_assert_eq(db_expires_size(db), 0);
    cr_assert_eq(is_rehashing(db), 0);
    cr_assert_eq(db_overhead_bytes(db), empty_overhead());
    cr_assert_null(get(db, "k", 1));
    cr_assert_eq(db_scan(db, 0, count_visit, &(struct seen){.prefix = "k"}), 0);
    add(db, "k", 1, NOW);
    cr_assert_not_null(get(db, "k", 1));
    cr_assert_eq(db_expires_size(db), 1);
    db_destroy(db);
}

/* ---------------- memory per key ---------------- */

/*
 * The benchmark shape: 16-byte keys, 32-byte values. Reports the entry's
 * allocation (malloc_usable_size: what the allocator handed out, without its
 * own header) plus the key's share of the bucket arrays, and asserts the
 * entry itself is the 96 bytes the layout promises (48 header + 16 + 32).
 */
Test(db, bytes_per_key_for_16_byte_keys_and_32_byte_values)
{
    const long n = 1000000;
    struct db *db = db_create();
    char value[33];
    memset(value, 'v', 32);
    value[32] = '\0';
    size_t usable = 0;
    for (long i = 0; i < n; i++) {
        char key[32];
        snprintf(key, sizeof(key), "key:%012ld", i);
        struct db_entry *e = entry_new_string(hash_of(key, 16), key, 16, value, 32);
        cr_assert_eq(e->encoding, ENC_EMBSTR);
        usable += malloc_usable_size(e);
        db_insert(db, e);
    }
    finish_rehash(db);
    double per_entry = (double)usable / (double)n;
    double per_bucket_share = (double)(db_overhead_bytes(db) - empty_overhead()) / (double)n;
    cr_log_info("16B key + 32B value: entry %.1f B usable (96 requested), buckets %.1f B/key, total %.1f B/key",
                per_entry, per_bucket_share, per_entry + per_bucket_share);
    cr_assert_leq(per_entry, 104.0);
    cr_assert_leq(per_bucket_share, 16.0);
    db_destroy(db);
}

/* Prefetch hints must be safe on an empty table, during a rehash and for
 * absent keys, and must not change anything. */
Test(db, prefetch_hints_change_nothing)
{
    struct db *db = db_create();
    db_prefetch_bucket(db, 42);
    db_prefetch_entry(db, 42);
    char key[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "pf:%d", i);
        uint64_t h = XXH3_64bits(key, n);
        db_prefetch_bucket(db, h);
        db_prefetch_entry(db, h);
        db_insert(db, entry_new_string(h, key, n, "v", 1));
    }
    for (int i = 0; i < 6000; i++) {
        int n = snprintf(key, sizeof(key), "pf:%d", i);
        uint64_t h = XXH3_64bits(key, n);
        db_prefetch_bucket(db, h);
        db_prefetch_entry(db, h);
        cr_assert_eq(db_find(db, h, key, n) != NULL, i < 5000);
    }
    cr_assert_eq(db_size(db), 5000);
    db_destroy(db);
}
