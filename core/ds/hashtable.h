/*
 * hashtable.h - the one chained hash table with incremental rehashing that
 * serves the keyspace (core/types/db.c) and the "hashtable" encodings of
 * hashes, sets and sorted sets (core/ds/sdict.c).
 *
 * The table is intrusive: it stores pointers to the caller's own entries and
 * links them through the entry itself, so an entry costs the table one
 * pointer (its chain link) and nothing else. Every entry type must begin
 * with these two members, in this order (HASHTABLE_ENTRY_CHECK asserts it):
 *
 *     struct T *next;   the chain link, owned by the table
 *     uint64_t hash;    the key's 64-bit hash, set by the caller, never
 *                       changed while the entry is linked
 *
 * What the table needs to know of the entries beyond that comes through a
 * small table of callbacks (struct hashtable_type): comparing an entry's key
 * with a lookup key, hashing a key, and destroying an entry.
 *
 * Owner: one thread (the shard that owns the keys). Nothing is locked.
 *
 * Invariants:
 *   - Two bucket arrays t[0] and t[1] of power-of-two sizes (or none).
 *     Bucket of an entry = hash & (size - 1); new entries at the chain head.
 *   - Not rehashing: everything is in t[0]; t[1] has no buckets.
 *   - Rehashing: buckets of t[0] below rehash_index are empty (moved to
 *     t[1]); inserts go to t[1]; lookups look in both. Every find, insert,
 *     pop and random pick moves one bucket (hashtable_rehash_step moves
 *     more); when t[0] is empty t[1] becomes t[0].
 *   - Growth starts when an insert finds used >= size (load factor 1), to
 *     the next power of two above used; shrinking when a removal leaves the
 *     table less than 1/8 full, never below 4 buckets. Neither starts while
 *     a rehash is in progress.
 *   - While paused (hashtable_pause, an open iterator, a snapshot) no rehash
 *     step runs and no resize starts (except giving buckets to a table that
 *     has none), so every entry stays in its bucket.
 */
#ifndef SHARDIS_HASHTABLE_H
#define SHARDIS_HASHTABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Compile-time check that an entry type starts with `next` then `hash`. */
#define HASHTABLE_ENTRY_CHECK(T)                                                                                       \
    _Static_assert(offsetof(T, next) == 0 && offsetof(T, hash) == sizeof(void *),                                      \
                   #T " must begin with its chain link `next` and then its `hash`")

/* 1 when the entry's key is key[0..klen). Called only for entries whose
 * cached hash equals the lookup's. */
typedef int hashtable_key_eq_fn(const void *entry, const void *key, size_t klen);

struct hashtable_type {
    hashtable_key_eq_fn *key_eq; /* required */
    /* The hash of a key (the one cached in entries). Optional: only for
     * hashtable_hash_key. */
    uint64_t (*hash)(const void *key, size_t klen);
    /* Frees an entry unlinked by hashtable_clear when no other function is
     * given there. Optional. */
    void (*destroy)(void *entry);
};

/* The table. Public so that users embed it (no allocation of its own);
 * its fields are the engine's. */
struct hashtable {
    const struct hashtable_type *type;
    void **buckets[2];
    size_t used[2];
    int64_t rehash_index; /* next bucket of t[0] to move; -1 when not rehashing */
    uint32_t paused;      /* pause count: no rehash steps, no resizes */
    int8_t exp[2];        /* log2 of each table's size; -1 when it has none */
};

void hashtable_init(struct hashtable *ht, const struct hashtable_type *type);
/* Unlinks every entry, calls fn(priv, entry) on each (type->destroy(entry)
 * when fn is NULL; nothing when both are NULL) and frees the buckets: the
 * table is empty and usable again. Ignores and keeps the pause count. */
void hashtable_clear(struct hashtable *ht, void (*fn)(void *priv, void *entry), void *priv);

static inline size_t hashtable_size(const struct hashtable *ht)
{
    return ht->used[0] + ht->used[1];
}
static inline int hashtable_is_rehashing(const struct hashtable *ht)
{
    return ht->rehash_index != -1;
}
/* Buckets of table t (0 or 1); 0 when it has none. */
static inline size_t hashtable_table_size(const struct hashtable *ht, int t)
{
    return ht->exp[t] < 0 ? 0 : (size_t)1 << ht->exp[t];
}
/* Buckets allocated in both tables (memory accounting: times a pointer). */
static inline size_t hashtable_buckets(const struct hashtable *ht)
{
    return hashtable_table_size(ht, 0) + hashtable_table_size(ht, 1);
}
uint64_t hashtable_hash_key(const struct hashtable *ht, const void *key, size_t klen);

/* An entry's chain link and cached hash (its first two words), read and
 * written through memcpy so that no type punning is involved: each is one
 * load or store. */
static inline void *hashtable_entry_next(const void *entry)
{
    void *n;
    memcpy(&n, entry, sizeof(n));
    return n;
}
static inline uint64_t hashtable_entry_hash(const void *entry)
{
    uint64_t h;
    memcpy(&h, (const char *)entry + sizeof(void *), sizeof(h));
    return h;
}

/* Moves up to n non-empty buckets of an in-progress rehash (gives up after
 * visiting 10n empty ones); returns 1 while a rehash is in progress (also
 * when paused). n == 0 only asks. */
int hashtable_rehash_step(struct hashtable *ht, int n);

/* The entry with this key, or NULL; changes nothing. eq is the type's
 * key_eq: inline so that a caller on a hot path who passes its comparator
 * by name gets it inlined (hashtable_find_with). */
static inline void *hashtable_lookup(const struct hashtable *ht, uint64_t hash, const void *key, size_t klen,
                                     hashtable_key_eq_fn *eq)
{
    if (ht->exp[0] < 0)
        return NULL;
    int tables = hashtable_is_rehashing(ht) ? 2 : 1;
    for (int t = 0; t < tables; t++) {
        void *e = ht->buckets[t][hash & (((size_t)1 << ht->exp[t]) - 1)];
        for (; e; e = hashtable_entry_next(e))
            if (hashtable_entry_hash(e) == hash && eq(e, key, klen))
                return e;
    }
    return NULL;
}
/* The entry with this key, or NULL. Moves one bucket of a rehash. */
static inline void *hashtable_find_with(struct hashtable *ht, uint64_t hash, const void *key, size_t klen,
                                        hashtable_key_eq_fn *eq)
{
    if (hashtable_is_rehashing(ht))
        hashtable_rehash_step(ht, 1);
    return hashtable_lookup(ht, hash, key, klen, eq);
}
static inline void *hashtable_find(struct hashtable *ht, uint64_t hash, const void *key, size_t klen)
{
    return hashtable_find_with(ht, hash, key, klen, ht->type->key_eq);
}
/* Links an entry whose key is absent (its hash already set). Moves one
 * bucket of a rehash and may start growing. */
void hashtable_insert(struct hashtable *ht, void *entry);
/* Unlinks the entry with this key and returns it (its `next` cleared), NULL
 * when absent. Moves one bucket of a rehash and may start shrinking. */
void *hashtable_pop(struct hashtable *ht, uint64_t hash, const void *key, size_t klen);
/* Unlinks this very entry (found by address); 1 when it was linked. Moves
 * no bucket; may start shrinking. */
int hashtable_remove_entry(struct hashtable *ht, void *entry);
/* Puts `newer` in the place of the linked `old` (found by address in the
 * bucket of newer's hash, which must equal old's; old's fields are not
 * read). 1 when old was linked. */
int hashtable_replace_entry(struct hashtable *ht, const void *old, void *newer);

/* Cache hints: the bucket slot(s) of a hash, then (later) the chain's first
 * entry. Change nothing. always_inline: a prefetch has no side effect GCC
 * respects, so a separate function of prefetches is taken for pure and its
 * calls dropped. */
__attribute__((always_inline)) static inline void hashtable_prefetch_bucket(const struct hashtable *ht, uint64_t hash)
{
    if (ht->exp[0] < 0)
        return;
    __builtin_prefetch(&ht->buckets[0][hash & (((size_t)1 << ht->exp[0]) - 1)]);
    if (hashtable_is_rehashing(ht))
        __builtin_prefetch(&ht->buckets[1][hash & (((size_t)1 << ht->exp[1]) - 1)]);
}
__attribute__((always_inline)) static inline void hashtable_prefetch_entry(const struct hashtable *ht, uint64_t hash)
{
    if (ht->exp[0] < 0)
        return;
    const void *e = ht->buckets[0][hash & (((size_t)1 << ht->exp[0]) - 1)];
    if (e)
        __builtin_prefetch(e);
    if (hashtable_is_rehashing(ht)) {
        e = ht->buckets[1][hash & (((size_t)1 << ht->exp[1]) - 1)];
        if (e)
            __builtin_prefetch(e);
    }
}
/* Sizes the table for n entries at once. No-op while rehashing or paused,
 * or when already that big. */
void hashtable_reserve(struct hashtable *ht, size_t n);
/* Pausing nests. Resuming the last pause starts any resize that became due. */
void hashtable_pause(struct hashtable *ht);
void hashtable_resume(struct hashtable *ht);

/* One step of a reverse-binary SCAN: calls fn on the entries of the
 * cursor's bucket (of each table while rehashing, with every expansion of
 * the smaller table's bucket in the bigger one) and returns the next cursor
 * (0: done). Every entry present for the whole scan is returned at least
 * once across any resizes between calls. fn must not change the table.
 * Does not rehash. */
typedef void hashtable_scan_fn(void *priv, void *entry);
uint64_t hashtable_scan(struct hashtable *ht, uint64_t cursor, hashtable_scan_fn *fn, void *priv);

/* A random entry (NULL when empty), after one rehash step: a random
 * non-empty bucket, then a random place in its chain (cheap; entries of
 * short chains come a little more often). */
void *hashtable_random(struct hashtable *ht);
/* A random entry chosen uniformly among the entries of consecutive buckets
 * from a random start (exactly uniform up to 20 entries, nearly so beyond;
 * chain lengths do not skew it); NULL when empty. One rehash step first. */
void *hashtable_fair_random(struct hashtable *ht);
/* The thread's pseudo-random generator (xorshift64*), for callers that
 * sample something of their own. */
uint64_t hashtable_rand(void);

/* Iteration over every entry: pauses the table from init to done, so the
 * table must not change during it except that the entry last returned may
 * be unlinked (and freed). */
struct hashtable_iter {
    struct hashtable *ht;
    int table;
    size_t bucket;
    void *next;
};
void hashtable_iter_init(struct hashtable_iter *it, struct hashtable *ht);
void *hashtable_iter_next(struct hashtable_iter *it);
void hashtable_iter_done(struct hashtable_iter *it);

/* Bucket-level access for a snapshot walking a paused table: the bucket
 * index of a hash in table t (which must have buckets), and a visit of one
 * bucket's chain (fn gets each entry; returns how many). */
static inline size_t hashtable_bucket_of(const struct hashtable *ht, int t, uint64_t hash)
{
    return hash & (hashtable_table_size(ht, t) - 1);
}
static inline int hashtable_bucket_is_empty(const struct hashtable *ht, int t, size_t b)
{
    return ht->buckets[t][b] == NULL;
}
size_t hashtable_visit_bucket(struct hashtable *ht, int t, size_t b, hashtable_scan_fn *fn, void *priv);

struct hashtable_stats {
    size_t size[2];   /* buckets of each table */
    size_t used[2];   /* entries in each table */
    size_t empty[2];  /* empty buckets */
    size_t max_chain; /* longest chain */
    int rehashing;
};
/* Walks every bucket: O(size), for DEBUG and tests. */
void hashtable_stats(const struct hashtable *ht, struct hashtable_stats *st);

#endif
