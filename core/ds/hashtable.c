/*
 * hashtable.c - the incremental-rehash engine shared by the keyspace
 * (core/types/db.c) and the collection tables (core/ds/sdict.c); see
 * hashtable.h for the design and its invariants.
 *
 * Owner: the thread that owns the table (a shard). The only state outside
 * a table is the thread-local random generator.
 *
 * Entries are the caller's structs; the engine reads and writes only their
 * first two words (the chain link and the cached hash), through memcpy
 * (hashtable_entry_next, hashtable_entry_hash, entry_set_next). The hot lookups and prefetches
 * are inline in hashtable.h.
 *
 * SCAN: the cursor is a bucket index whose bits are incremented from the top
 * (reverse binary). Because a bucket b of a table of size 2^k splits into the
 * buckets b, b + 2^k, ... of a bigger table, and those are exactly the
 * indexes the reversed increment visits next, a scan returns every entry
 * present from its start to its end at least once whatever resizes happen
 * between calls (entries may be returned more than once after a shrink).
 * During a rehash each step visits the cursor's bucket of the smaller table
 * and all its expansions in the bigger one.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/util.h"
#include "core/ds/hashtable.h"

/* Smallest bucket array: a table never shrinks below this. */
#define HT_MIN_EXP 2
/* Shrink when fewer than 1 entry per this many buckets. */
#define HT_SHRINK_RATIO 8
/* A rehash step of n buckets gives up after visiting this many times n empty
 * buckets, so one call's cost stays bounded on a sparse table. */
#define HT_REHASH_EMPTY_VISITS 10
/* hashtable_fair_random: entries gathered, and buckets walked once one is. */
#define HT_FAIR_SAMPLE 20
#define HT_FAIR_MAX_STEPS 200

/* ---------------- entry header access ---------------- */

static inline void entry_set_next(void *e, void *n)
{
    memcpy(e, &n, sizeof(n));
}

/* ---------------- helpers ---------------- */

static void *ht_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", n * size);
        abort();
    }
    return p;
}

static _Thread_local uint64_t rng_state;

uint64_t hashtable_rand(void)
{
    uint64_t x = rng_state;
    if (x == 0) {
        /* Any non-zero seed will do; mix in the thread's address space. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        x = ((uint64_t)(uintptr_t)&rng_state ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32)) | 1;
    }
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int8_t exp_for(size_t n)
{
    int8_t e = HT_MIN_EXP;
    while (((size_t)1 << e) < n)
        e++;
    return e;
}

static inline size_t tsize(const struct hashtable *ht, int t)
{
    return hashtable_table_size(ht, t);
}

/* Tables a lookup must look in: 2 while rehashing, else 1 (0 if none). */
static inline int tables(const struct hashtable *ht)
{
    return hashtable_is_rehashing(ht) ? 2 : (ht->exp[0] >= 0);
}

void hashtable_init(struct hashtable *ht, const struct hashtable_type *type)
{
    memset(ht, 0, sizeof(*ht));
    ht->type = type;
    ht->rehash_index = -1;
    ht->exp[0] = ht->exp[1] = -1;
}

uint64_t hashtable_hash_key(const struct hashtable *ht, const void *key, size_t klen)
{
    return ht->type->hash(key, klen);
}

void hashtable_clear(struct hashtable *ht, void (*fn)(void *priv, void *entry), void *priv)
{
    void (*destroy)(void *) = ht->type->destroy;
    for (int t = 0; t <= 1; t++) {
        size_t size = tsize(ht, t);
        for (size_t b = 0; b < size && ht->used[t] > 0; b++) {
            void *e = ht->buckets[t][b];
            while (e) {
                void *next = hashtable_entry_next(e);
                if (fn)
                    fn(priv, e);
                else if (destroy)
                    destroy(e);
                ht->used[t]--;
                e = next;
            }
        }
        free(ht->buckets[t]);
        ht->buckets[t] = NULL;
        ht->used[t] = 0;
        ht->exp[t] = -1;
    }
    ht->rehash_index = -1;
}

/* ---------------- resizing and rehashing ---------------- */

static void resize_if_needed(struct hashtable *ht);

/* Moves up to n non-empty buckets of t[0] into t[1] and finishes the rehash
 * when t[0] is empty. */
static void rehash(struct hashtable *ht, int n)
{
    if (!hashtable_is_rehashing(ht) || ht->paused)
        return;
    void **from = ht->buckets[0], **to = ht->buckets[1];
    size_t from_size = tsize(ht, 0), to_mask = tsize(ht, 1) - 1;
    long empty_visits = (long)n * HT_REHASH_EMPTY_VISITS;
    size_t idx = (size_t)ht->rehash_index;
    while (n-- > 0 && ht->used[0] != 0) {
        assert(idx < from_size);
        while (from[idx] == NULL) {
            idx++;
            if (--empty_visits == 0) {
                ht->rehash_index = (int64_t)idx;
                return;
            }
        }
        void *e = from[idx];
        while (e) {
            void *next = hashtable_entry_next(e);
            size_t b = hashtable_entry_hash(e) & to_mask;
            entry_set_next(e, to[b]);
            to[b] = e;
            ht->used[0]--;
            ht->used[1]++;
            e = next;
        }
        from[idx] = NULL;
        idx++;
    }
    (void)from_size;
    ht->rehash_index = (int64_t)idx;
    if (ht->used[0] != 0)
        return;
    free(from);
    ht->buckets[0] = to;
    ht->used[0] = ht->used[1];
    ht->exp[0] = ht->exp[1];
    ht->buckets[1] = NULL;
    ht->used[1] = 0;
    ht->exp[1] = -1;
    ht->rehash_index = -1;
    /* Operations during the rehash may have left the new table over- or
     * under-loaded; start the next resize now rather than on a later op. */
    resize_if_needed(ht);
}

int hashtable_rehash_step(struct hashtable *ht, int n)
{
    if (n > 0)
        rehash(ht, n);
    return hashtable_is_rehashing(ht);
}

/* Starts moving the entries into a table of 2^exp buckets. */
static void start_resize(struct hashtable *ht, int8_t exp)
{
    if (hashtable_is_rehashing(ht) || exp == ht->exp[0])
        return;
    void **buckets = ht_calloc((size_t)1 << exp, sizeof(*buckets));
    if (ht->used[0] == 0) {
        /* Nothing to move: switch at once. */
        free(ht->buckets[0]);
        ht->buckets[0] = buckets;
        ht->exp[0] = exp;
        return;
    }
    ht->buckets[1] = buckets;
    ht->exp[1] = exp;
    ht->used[1] = 0;
    ht->rehash_index = 0;
}

static void grow_if_needed(struct hashtable *ht)
{
    if (hashtable_is_rehashing(ht) || (ht->paused && ht->exp[0] >= 0))
        return;
    if (ht->exp[0] < 0)
        start_resize(ht, HT_MIN_EXP);
    else if (ht->used[0] >= tsize(ht, 0))
        start_resize(ht, exp_for(ht->used[0] + 1));
}

static void shrink_if_needed(struct hashtable *ht)
{
    if (hashtable_is_rehashing(ht) || ht->paused || ht->exp[0] <= HT_MIN_EXP)
        return;
    if (ht->used[0] * HT_SHRINK_RATIO < tsize(ht, 0))
        start_resize(ht, exp_for(ht->used[0] + 1));
}

static void resize_if_needed(struct hashtable *ht)
{
    grow_if_needed(ht);
    shrink_if_needed(ht);
}

void hashtable_reserve(struct hashtable *ht, size_t n)
{
    if (hashtable_is_rehashing(ht) || ht->paused || n <= tsize(ht, 0))
        return;
    start_resize(ht, exp_for(n));
}

void hashtable_pause(struct hashtable *ht)
{
    ht->paused++;
}

void hashtable_resume(struct hashtable *ht)
{
    assert(ht->paused > 0);
    if (--ht->paused == 0)
        resize_if_needed(ht); /* removals while paused may have left it sparse */
}

/* ---------------- lookup, insert, removal ---------------- */

/* The link (bucket slot or a predecessor's `next`) that points at the entry
 * with this key, or, when `entry` is given, at that very entry (found by
 * address in the bucket of hash, its fields unread); NULL when there is
 * none. *table says which table. Does not rehash. */
static void **find_link(struct hashtable *ht, uint64_t hash, const void *key, size_t klen, const void *entry,
                        int *table)
{
    int n = tables(ht);
    for (int t = 0; t < n; t++) {
        void **link = &ht->buckets[t][hash & (tsize(ht, t) - 1)];
        for (void *e = *link; e; link = (void **)e, e = hashtable_entry_next(e)) {
            if (entry ? e == entry : hashtable_entry_hash(e) == hash && ht->type->key_eq(e, key, klen)) {
                *table = t;
                return link;
            }
        }
    }
    return NULL;
}

/* A link is a bucket slot or an entry's first word: read and written
 * through memcpy, as entry_next does, so that either kind is fine. */
static inline void set_link(void **link, void *value)
{
    memcpy(link, &value, sizeof(value));
}

static inline void *get_link(void **link)
{
    void *v;
    memcpy(&v, link, sizeof(v));
    return v;
}

void hashtable_insert(struct hashtable *ht, void *entry)
{
    int t = 1;
    if (hashtable_is_rehashing(ht))
        rehash(ht, 1);
    if (!hashtable_is_rehashing(ht)) {
        if (ht->exp[0] < 0 || ht->used[0] >= tsize(ht, 0))
            grow_if_needed(ht);
        t = hashtable_is_rehashing(ht) ? 1 : 0;
    }
    size_t b = hashtable_entry_hash(entry) & (tsize(ht, t) - 1);
    entry_set_next(entry, ht->buckets[t][b]);
    ht->buckets[t][b] = entry;
    ht->used[t]++;
}

static void *unlink_at(struct hashtable *ht, void **link, int t)
{
    void *e = get_link(link);
    set_link(link, hashtable_entry_next(e));
    entry_set_next(e, NULL);
    ht->used[t]--;
    shrink_if_needed(ht);
    return e;
}

void *hashtable_pop(struct hashtable *ht, uint64_t hash, const void *key, size_t klen)
{
    if (hashtable_is_rehashing(ht))
        rehash(ht, 1);
    int table;
    void **link = find_link(ht, hash, key, klen, NULL, &table);
    return link ? unlink_at(ht, link, table) : NULL;
}

int hashtable_remove_entry(struct hashtable *ht, void *entry)
{
    int table;
    void **link = find_link(ht, hashtable_entry_hash(entry), NULL, 0, entry, &table);
    if (!link)
        return 0;
    unlink_at(ht, link, table);
    return 1;
}

int hashtable_replace_entry(struct hashtable *ht, const void *old, void *newer)
{
    int table;
    void **link = find_link(ht, hashtable_entry_hash(newer), NULL, 0, old, &table);
    if (!link)
        return 0;
    set_link(link, newer);
    return 1;
}

/* ---------------- SCAN ---------------- */

static size_t visit_chain(void *e, hashtable_scan_fn *fn, void *priv)
{
    size_t n = 0;
    while (e) {
        void *next = hashtable_entry_next(e);
        fn(priv, e);
        n++;
        e = next;
    }
    return n;
}

size_t hashtable_visit_bucket(struct hashtable *ht, int t, size_t b, hashtable_scan_fn *fn, void *priv)
{
    return visit_chain(ht->buckets[t][b], fn, priv);
}

uint64_t hashtable_scan(struct hashtable *ht, uint64_t cursor, hashtable_scan_fn *fn, void *priv)
{
    if (hashtable_size(ht) == 0)
        return 0;
    uint64_t v = cursor;
    if (!hashtable_is_rehashing(ht)) {
        uint64_t mask = tsize(ht, 0) - 1;
        visit_chain(ht->buckets[0][v & mask], fn, priv);
        return scan_cursor_next(v, mask);
    }
    int small = tsize(ht, 0) <= tsize(ht, 1) ? 0 : 1, big = 1 - small;
    uint64_t m0 = tsize(ht, small) - 1, m1 = tsize(ht, big) - 1;
    visit_chain(ht->buckets[small][v & m0], fn, priv);
    /* Then every bucket of the bigger table that the small one's bucket
     * expands into: the indexes that agree with v on the low bits of m0. */
    do {
        visit_chain(ht->buckets[big][v & m1], fn, priv);
        v = scan_cursor_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---------------- random ---------------- */

void *hashtable_random(struct hashtable *ht)
{
    if (hashtable_size(ht) == 0)
        return NULL;
    if (hashtable_is_rehashing(ht))
        rehash(ht, 1);
    void *head;
    do {
        if (hashtable_is_rehashing(ht)) {
            /* Buckets below rehash_index of t[0] are empty: skip them. */
            size_t s0 = tsize(ht, 0), first = (size_t)ht->rehash_index;
            size_t idx = first + (size_t)(hashtable_rand() % (s0 + tsize(ht, 1) - first));
            head = idx >= s0 ? ht->buckets[1][idx - s0] : ht->buckets[0][idx];
        } else {
            head = ht->buckets[0][hashtable_rand() & (tsize(ht, 0) - 1)];
        }
    } while (!head);
    size_t len = 0;
    for (void *e = head; e; e = hashtable_entry_next(e))
        len++;
    size_t pick = (size_t)(hashtable_rand() % len);
    while (pick--)
        head = hashtable_entry_next(head);
    return head;
}

/*
 * A random bucket and a random place in its chain favour entries of short
 * chains (one alone in its bucket comes twice as often as one of a chain of
 * two). As Redis's dictGetFairRandomKey does, this gathers the entries of
 * consecutive buckets from a random start, up to HT_FAIR_SAMPLE of them, and
 * chooses one uniformly. The walk stops after HT_FAIR_MAX_STEPS buckets once
 * it holds an entry, so a sparse table costs a bounded number of steps.
 */
void *hashtable_fair_random(struct hashtable *ht)
{
    if (hashtable_size(ht) == 0)
        return NULL;
    if (hashtable_is_rehashing(ht))
        rehash(ht, 1);
    int ntables = hashtable_is_rehashing(ht) ? 2 : 1;
    size_t span = tsize(ht, 0);
    if (ntables == 2 && tsize(ht, 1) > span)
        span = tsize(ht, 1);
    size_t mask = span - 1;
    size_t idx = (size_t)hashtable_rand() & mask;
    void *sample[HT_FAIR_SAMPLE];
    size_t n = 0;
    for (size_t steps = 0; steps < span && n < HT_FAIR_SAMPLE; steps++, idx = (idx + 1) & mask) {
        if (n > 0 && steps >= HT_FAIR_MAX_STEPS)
            break;
        for (int t = 0; t < ntables; t++) {
            /* buckets of t[0] below rehash_index are empty */
            if (idx >= tsize(ht, t) || (t == 0 && ntables == 2 && idx < (size_t)ht->rehash_index))
                continue;
            for (void *e = ht->buckets[t][idx]; e && n < HT_FAIR_SAMPLE; e = hashtable_entry_next(e))
                sample[n++] = e;
        }
    }
    return sample[hashtable_rand() % n];
}

/* ---------------- iteration ---------------- */

void hashtable_iter_init(struct hashtable_iter *it, struct hashtable *ht)
{
    it->ht = ht;
    it->table = 0;
    it->bucket = 0;
    it->next = NULL;
    hashtable_pause(ht);
}

void *hashtable_iter_next(struct hashtable_iter *it)
{
    struct hashtable *ht = it->ht;
    while (!it->next) {
        if (it->table > 1)
            return NULL;
        if (it->bucket >= tsize(ht, it->table)) {
            /* t[1] holds entries only while rehashing (paused: stable). */
            it->table = (it->table == 0 && hashtable_is_rehashing(ht)) ? 1 : 2;
            it->bucket = 0;
            continue;
        }
        it->next = ht->buckets[it->table][it->bucket++];
    }
    void *e = it->next;
    it->next = hashtable_entry_next(e);
    return e;
}

void hashtable_iter_done(struct hashtable_iter *it)
{
    hashtable_resume(it->ht);
}

/* ---------------- stats ---------------- */

void hashtable_stats(const struct hashtable *ht, struct hashtable_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->rehashing = hashtable_is_rehashing(ht);
    for (int t = 0; t <= 1; t++) {
        st->size[t] = tsize(ht, t);
        st->used[t] = ht->used[t];
        for (size_t b = 0; b < st->size[t]; b++) {
            size_t len = 0;
            for (const void *e = ht->buckets[t][b]; e; e = hashtable_entry_next(e))
                len++;
            if (len == 0)
                st->empty[t]++;
            if (len > st->max_chain)
                st->max_chain = len;
        }
    }
}
