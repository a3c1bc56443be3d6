/*
 * db.c - one database of one shard: a chained hash table of struct db_entry
 * keyed by the cached 64-bit hash, with incremental rehashing, Redis's
 * reverse-binary SCAN cursor, a random-entry picker, and the expiry vector.
 *
 * Owner: the shard thread. Nothing is locked; nothing is shared.
 *
 * The table (after Redis's dict.c):
 *   - Two bucket arrays t[0] and t[1], sizes powers of two (or 0 before the
 *     first insert). Bucket of an entry = hash & (size - 1). Chains are linked
 *     through entry->next, new entries at the head.
 *   - Not rehashing (rehash_index == -1): everything is in t[0], t[1] is empty.
 *   - Rehashing: buckets of t[0] below rehash_index are empty (moved to t[1]);
 *     new entries go to t[1]; lookups look in both. Every find, insert and
 *     delete moves one bucket, db_rehash_step moves more (the shard calls it
 *     when idle), so no single operation pays for a whole rehash. When t[0]
 *     is empty, t[1] becomes t[0].
 *   - Growth starts when an insert finds used >= size (load factor 1), to the
 *     next power of two above used; shrinking starts when a delete leaves the
 *     table less than 1/8 full, to the next power of two above used, never
 *     below DB_TABLE_MIN. Neither starts while a rehash is in progress.
 *
 * SCAN: the cursor is a bucket index whose bits are incremented from the top
 * (reverse binary). Because a bucket b of a table of size 2^k splits into the
 * buckets b, b + 2^k, ... of a bigger table, and those are exactly the
 * indexes the reversed increment visits next, a scan returns every entry
 * present from its start to its end at least once whatever resizes happen
 * between calls (entries may be returned more than once after a shrink).
 * During a rehash each step visits the cursor's bucket of the smaller table
 * and all its expansions in the bigger one, as dictScan does. db_scan never
 * rehashes, so the callback sees a stable table.
 *
 * Expiry vector: expires[0..expires_len) holds every linked entry whose
 * expire_at != 0, and entry->expire_slot is its index there. Removal swaps
 * the last element into the hole. Linking, unlinking, db_set_expire and
 * db_replace keep it exact; db_expire_cycle samples it at random (unless
 * DEBUG SET-ACTIVE-EXPIRE 0 switched the active cycle off process-wide).
 */
#include <assert.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "core/types/db.h"
#include "core/types/object.h"
#include "core/base/util.h"

/* Smallest bucket array: a table never shrinks below this. */
#define DB_TABLE_MIN 4
/* Shrink when fewer than 1 entry per this many buckets. */
#define DB_SHRINK_RATIO 8
/* A rehash step of n buckets gives up after visiting this many times n empty
 * buckets, so one call's cost stays bounded on a sparse table. */
#define DB_REHASH_EMPTY_VISITS 10
#define DB_EXPIRES_MIN_CAP 16

struct db_table {
    struct db_entry **buckets;
    size_t size; /* power of two, or 0 when not allocated */
    size_t used; /* entries linked in this table */
};

struct db {
    struct db_table t[2];
    ssize_t rehash_index; /* next bucket of t[0] to move; -1 when not rehashing */
    struct db_entry **expires;
    size_t expires_len;
    size_t expires_cap;
    uint64_t expired_count;    /* deleted by db_find_live (lazy expiry) */
    uint64_t rng;              /* xorshift state for db_random and sampling */
    struct db_cow *cow;        /* a snapshot in progress, else NULL */
    db_expire_hook *on_expire; /* told of each key deleted by expiry (the log) */
    void *expire_priv;
};

/*
 * Copy-on-write for snapshots. While a snapshot of this db is running, the
 * tables neither grow, shrink nor rehash, so every entry stays in the bucket
 * it was in at the cut. A bitmap per table says which buckets the snapshot
 * has serialized. Every operation that may change an entry (find, insert,
 * unlink, expiry, clear, swap) first serializes the not-yet-written buckets
 * the key hashes to: a bucket is always written as it was at the cut, and a
 * key inserted later never reaches the file. The walker (db_cow_step) writes
 * the remaining buckets in order. Extra memory: the bitmaps (1 bit a bucket)
 * and the serialized bytes not yet on disk.
 */
struct db_cow {
    db_cow_fn *fn;
    void *priv;
    unsigned char *done[2];
    size_t size[2];
    int table; /* walker position */
    size_t bucket;
    int complete; /* every bucket written: no more copies, resizing allowed */
};

static void out_of_memory(size_t size)
{
    fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
    abort();
}

static void *db_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        out_of_memory(n * size);
    return p;
}

static void *db_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size);
    if (!p)
        out_of_memory(size);
    return p;
}

static int is_rehashing(const struct db *db)
{
    return db->rehash_index != -1;
}

/* A snapshot needs the buckets to stay where they were at the cut. */
static int is_frozen(const struct db *db)
{
    return db->cow && !db->cow->complete;
}

static void cow_bucket(struct db *db, int t, size_t b)
{
    struct db_cow *cow = db->cow;
    unsigned char bit = (unsigned char)(1u << (b & 7));
    if (cow->done[t][b >> 3] & bit)
        return;
    cow->done[t][b >> 3] |= bit;
    for (struct db_entry *e = db->t[t].buckets[b]; e; e = e->next)
        cow->fn(cow->priv, e);
}

/* Before anything may change an entry with this hash: write its buckets. */
static inline void cow_touch(struct db *db, uint64_t hash)
{
    if (!db->cow || db->cow->complete)
        return;
    for (int t = 0; t <= 1; t++)
        if (db->cow->size[t])
            cow_bucket(db, t, hash & (db->cow->size[t] - 1));
}

/* xorshift64*: plenty for picking random buckets and slots. */
static uint64_t db_rand(struct db *db)
{
    uint64_t x = db->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    db->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t next_power(size_t n)
{
    size_t size = DB_TABLE_MIN;
    while (size < n)
        size <<= 1;
    return size;
}

static int entry_has_key(const struct db_entry *e, uint64_t hash, const char *key, size_t klen)
{
    return e->hash == hash && e->key_len == klen && memcmp(e->key, key, klen) == 0;
}

/* ---------------- creation ---------------- */

struct db *db_create(void)
{
    struct db *db = db_calloc(1, sizeof(*db));
    db->rehash_index = -1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* Any non-zero seed will do; mix in the address so dbs differ. */
    db->rng = ((uint64_t)(uintptr_t)db ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32)) | 1;
    return db;
}

void db_destroy(struct db *db)
{
    if (!db)
        return;
    db_cow_end(db);
    db_clear(db);
    free(db);
}

/* ---------------- rehashing ---------------- */

static void resize_if_needed(struct db *db);

/* Moves up to n non-empty buckets of t[0] into t[1] and finishes the rehash
 * when t[0] is empty. Returns 1 while the rehash is still in progress. */
static int rehash(struct db *db, int n)
{
    if (!is_rehashing(db))
        return 0;
    if (is_frozen(db))
        return 1;
    struct db_table *from = &db->t[0], *to = &db->t[1];
    size_t to_mask = to->size - 1;
    long empty_visits = (long)n * DB_REHASH_EMPTY_VISITS;
    size_t idx = (size_t)db->rehash_index;
    while (n-- > 0 && from->used != 0) {
        assert(idx < from->size);
        while (from->buckets[idx] == NULL) {
            idx++;
            if (--empty_visits == 0) {
                db->rehash_index = (ssize_t)idx;
                return 1;
            }
        }
        struct db_entry *e = from->buckets[idx];
        while (e) {
            struct db_entry *next = e->next;
            size_t b = e->hash & to_mask;
            e->next = to->buckets[b];
            to->buckets[b] = e;
            from->used--;
            to->used++;
            e = next;
        }
        from->buckets[idx] = NULL;
        idx++;
    }
    db->rehash_index = (ssize_t)idx;
    if (from->used != 0)
        return 1;
    free(from->buckets);
    *from = *to;
    memset(to, 0, sizeof(*to));
    db->rehash_index = -1;
    /* Operations during the rehash may have left the new table over- or
     * under-loaded; start the next resize now rather than on a later op. */
    resize_if_needed(db);
    return is_rehashing(db);
}

int db_rehash_step(struct db *db, int n)
{
    return rehash(db, n);
}

/* Starts moving the entries into a table of new_size buckets. */
static void start_resize(struct db *db, size_t new_size)
{
    if (is_rehashing(db) || new_size == db->t[0].size)
        return;
    struct db_entry **buckets = db_calloc(new_size, sizeof(*buckets));
    if (db->t[0].size == 0 || db->t[0].used == 0) {
        /* Nothing to move: switch at once. */
        free(db->t[0].buckets);
        db->t[0].buckets = buckets;
        db->t[0].size = new_size;
        db->t[0].used = 0;
        return;
    }
    db->t[1].buckets = buckets;
    db->t[1].size = new_size;
    db->t[1].used = 0;
    db->rehash_index = 0;
}

static void shrink_if_needed(struct db *db);

static void grow_if_needed(struct db *db)
{
    if (is_rehashing(db) || (is_frozen(db) && db->t[0].size != 0))
        return;
    if (db->t[0].size == 0)
        start_resize(db, DB_TABLE_MIN);
    else if (db->t[0].used >= db->t[0].size)
        start_resize(db, next_power(db->t[0].used + 1));
}

static void shrink_if_needed(struct db *db)
{
    if (is_rehashing(db) || is_frozen(db) || db->t[0].size <= DB_TABLE_MIN)
        return;
    if (db->t[0].used * DB_SHRINK_RATIO < db->t[0].size)
        start_resize(db, next_power(db->t[0].used + 1));
}

static void resize_if_needed(struct db *db)
{
    grow_if_needed(db);
    shrink_if_needed(db);
}

/* ---------------- expiry vector ---------------- */

static void expires_add(struct db *db, struct db_entry *e)
{
    if (db->expires_len == db->expires_cap) {
        size_t cap = db->expires_cap ? db->expires_cap * 2 : DB_EXPIRES_MIN_CAP;
        db->expires = db_realloc(db->expires, cap * sizeof(*db->expires));
        db->expires_cap = cap;
    }
    e->expire_slot = (uint32_t)db->expires_len;
    db->expires[db->expires_len++] = e;
}

static void expires_remove(struct db *db, struct db_entry *e)
{
    size_t slot = e->expire_slot;
    assert(slot < db->expires_len && db->expires[slot] == e);
    struct db_entry *last = db->expires[--db->expires_len];
    db->expires[slot] = last;
    last->expire_slot = (uint32_t)slot;
    /* Give memory back after a mass expiry, with hysteresis (halve at 1/4). */
    if (db->expires_cap > DB_EXPIRES_MIN_CAP && db->expires_len < db->expires_cap / 4) {
        db->expires_cap /= 2;
        db->expires = db_realloc(db->expires, db->expires_cap * sizeof(*db->expires));
    }
}

/* ---------------- lookup, insert, unlink ---------------- */

/* The link (bucket head or a predecessor's next) that points at the entry
 * with this key, or NULL. Does not rehash. */
static struct db_entry **find_link(struct db *db, uint64_t hash, const char *key, size_t klen, int *table)
{
    for (int t = 0; t <= 1; t++) {
        struct db_table *tab = &db->t[t];
        if (tab->size == 0)
            break;
        struct db_entry **link = &tab->buckets[hash & (tab->size - 1)];
        for (struct db_entry *e = *link; e; link = &e->next, e = e->next) {
            if (entry_has_key(e, hash, key, klen)) {
                *table = t;
                return link;
            }
        }
        if (!is_rehashing(db))
            break;
    }
    return NULL;
}

/* The link that points at entry e, found by address in the bucket of hash
 * (passed separately so that e's fields are not read). */
static struct db_entry **find_link_by_ptr(struct db *db, const struct db_entry *e, uint64_t hash, int *table)
{
    for (int t = 0; t <= 1; t++) {
        struct db_table *tab = &db->t[t];
        if (tab->size == 0)
            break;
        struct db_entry **link = &tab->buckets[hash & (tab->size - 1)];
        for (; *link; link = &(*link)->next) {
            if (*link == e) {
                *table = t;
                return link;
            }
        }
        if (!is_rehashing(db))
            break;
    }
    return NULL;
}

void db_prefetch_bucket(const struct db *db, uint64_t hash)
{
    for (int t = 0; t <= 1; t++) {
        const struct db_table *tab = &db->t[t];
        if (tab->size == 0)
            break;
        __builtin_prefetch(&tab->buckets[hash & (tab->size - 1)]);
        if (!is_rehashing(db))
            break;
    }
}

void db_prefetch_entry(const struct db *db, uint64_t hash)
{
    for (int t = 0; t <= 1; t++) {
        const struct db_table *tab = &db->t[t];
        if (tab->size == 0)
            break;
        const struct db_entry *e = tab->buckets[hash & (tab->size - 1)];
        if (e)
            __builtin_prefetch(e);
        if (!is_rehashing(db))
            break;
    }
}

struct db_entry *db_find(struct db *db, uint64_t hash, const char *key, size_t klen)
{
    cow_touch(db, hash);
    if (is_rehashing(db))
        rehash(db, 1);
    int table;
    struct db_entry **link = find_link(db, hash, key, klen, &table);
    return link ? *link : NULL;
}

/* Unlinks the entry *link of table t and fixes counts and the expiry vector. */
static struct db_entry *unlink_at(struct db *db, struct db_entry **link, int t)
{
    struct db_entry *e = *link;
    *link = e->next;
    e->next = NULL;
    db->t[t].used--;
    if (e->expire_at != 0)
        expires_remove(db, e);
    shrink_if_needed(db);
    return e;
}

struct db_entry *db_find_live(struct db *db, uint64_t hash, const char *key, size_t klen, int64_t now_ms)
{
    cow_touch(db, hash);
    if (is_rehashing(db))
        rehash(db, 1);
    int table = 0;
    struct db_entry **link = find_link(db, hash, key, klen, &table);
    if (!link)
        return NULL;
    struct db_entry *e = *link;
    if (e->expire_at == 0 || e->expire_at > now_ms)
        return e;
    if (db->on_expire)
        db->on_expire(db->expire_priv, e);
    entry_free(unlink_at(db, link, table));
    db->expired_count++;
    return NULL;
}

void db_insert(struct db *db, struct db_entry *e)
{
    cow_touch(db, e->hash);
    if (is_rehashing(db))
        rehash(db, 1);
    grow_if_needed(db);
    struct db_table *tab = &db->t[is_rehashing(db) ? 1 : 0];
    size_t b = e->hash & (tab->size - 1);
    e->next = tab->buckets[b];
    tab->buckets[b] = e;
    tab->used++;
    if (e->expire_at != 0)
        expires_add(db, e);
}

struct db_entry *db_unlink(struct db *db, uint64_t hash, const char *key, size_t klen)
{
    cow_touch(db, hash);
    if (is_rehashing(db))
        rehash(db, 1);
    int table;
    struct db_entry **link = find_link(db, hash, key, klen, &table);
    return link ? unlink_at(db, link, table) : NULL;
}

int db_delete(struct db *db, uint64_t hash, const char *key, size_t klen)
{
    struct db_entry *e = db_unlink(db, hash, key, klen);
    if (!e)
        return 0;
    entry_free(e);
    return 1;
}

/*
 * newer is a copy of old's block (object.c copies the header and the key,
 * so next, hash, expire_at and expire_slot are already right): only the link
 * that pointed at old and old's expiry slot are re-pointed, then old's block
 * is released with free(), not entry_free(), because its value (a RAW block)
 * now belongs to newer. old must still be allocated when this is called; a
 * realloc()'d-away address would be freed twice.
 */
void db_replace(struct db *db, struct db_entry *old, struct db_entry *newer)
{
    int table;
    struct db_entry **link = find_link_by_ptr(db, old, newer->hash, &table);
    assert(link != NULL);
    if (link) {
        *link = newer;
        if (newer->expire_at != 0) {
            assert(newer->expire_slot < db->expires_len && db->expires[newer->expire_slot] == old);
            db->expires[newer->expire_slot] = newer;
        }
    }
    free(old);
}

void db_set_expire(struct db *db, struct db_entry *e, int64_t when_ms)
{
    cow_touch(db, e->hash);
    if (e->expire_at == 0 && when_ms != 0) {
        e->expire_at = when_ms;
        expires_add(db, e);
    } else if (e->expire_at != 0 && when_ms == 0) {
        expires_remove(db, e);
        e->expire_at = 0;
    } else {
        e->expire_at = when_ms;
    }
}

size_t db_size(const struct db *db)
{
    return db->t[0].used + db->t[1].used;
}

size_t db_expires_size(const struct db *db)
{
    return db->expires_len;
}

uint64_t db_expired_count(const struct db *db)
{
    return db->expired_count;
}

const struct db_entry *db_expires_at(const struct db *db, size_t i)
{
    return i < db->expires_len ? db->expires[i] : NULL;
}

/* ---------------- SCAN ---------------- */

static void scan_bucket(struct db_entry *e, db_scan_fn *fn, void *priv)
{
    while (e) {
        struct db_entry *next = e->next;
        fn(priv, e);
        e = next;
    }
}

uint64_t db_scan(struct db *db, uint64_t cursor, db_scan_fn *fn, void *priv)
{
    if (db_size(db) == 0)
        return 0;
    uint64_t v = cursor;
    if (!is_rehashing(db)) {
        uint64_t mask = db->t[0].size - 1;
        scan_bucket(db->t[0].buckets[v & mask], fn, priv);
        return scan_cursor_next(v, mask);
    }
    const struct db_table *small = &db->t[0], *big = &db->t[1];
    if (small->size > big->size) {
        small = &db->t[1];
        big = &db->t[0];
    }
    uint64_t m0 = small->size - 1, m1 = big->size - 1;
    scan_bucket(small->buckets[v & m0], fn, priv);
    /* Then every bucket of the bigger table that the small one's bucket
     * expands into: the indexes that agree with v on the low bits of m0. */
    do {
        scan_bucket(big->buckets[v & m1], fn, priv);
        v = scan_cursor_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---------------- random ---------------- */

struct db_entry *db_random(struct db *db)
{
    if (db_size(db) == 0)
        return NULL;
    if (is_rehashing(db))
        rehash(db, 1);
    struct db_entry *head = NULL;
    do {
        if (is_rehashing(db)) {
            /* Buckets below rehash_index of t[0] are empty: skip them. */
            size_t s0 = db->t[0].size, first = (size_t)db->rehash_index;
            size_t idx = first + (size_t)(db_rand(db) % (s0 + db->t[1].size - first));
            head = idx >= s0 ? db->t[1].buckets[idx - s0] : db->t[0].buckets[idx];
        } else {
            head = db->t[0].buckets[db_rand(db) & (db->t[0].size - 1)];
        }
    } while (!head);
    cow_touch(db, head->hash);
    size_t len = 0;
    for (struct db_entry *e = head; e; e = e->next)
        len++;
    size_t pick = (size_t)(db_rand(db) % len);
    while (pick--)
        head = head->next;
    return head;
}

/* ---------------- active expiry ---------------- */

/*
 * Samples min(samples, expires_len) random slots, as Redis's active cycle
 * samples its expires dict, and deletes the entries that are due. The
 * deletions are returned, not added to db_expired_count: the shard counts
 * them itself (stats.expired_keys), and INFO adds the two counts.
 */
struct db_entry *db_random_volatile(struct db *db)
{
    if (db->expires_len == 0)
        return NULL;
    return db->expires[db_rand(db) % db->expires_len];
}

/* DEBUG SET-ACTIVE-EXPIRE: one switch for the whole process (every shard's
 * cycle reads it), written only by that debugging command. The only mutable
 * global of this file, relaxed: a cycle that starts just after the switch
 * flips may still run once. */
static _Atomic int active_expire_enabled = 1;

void db_set_active_expire(int enabled)
{
    atomic_store_explicit(&active_expire_enabled, enabled != 0, memory_order_relaxed);
}

int db_active_expire(void)
{
    return atomic_load_explicit(&active_expire_enabled, memory_order_relaxed);
}

size_t db_expire_cycle(struct db *db, int64_t now_ms, size_t samples)
{
    if (!db_active_expire())
        return 0;
    if (samples > db->expires_len)
        samples = db->expires_len;
    size_t deleted = 0;
    while (samples-- > 0 && db->expires_len > 0) {
        struct db_entry *e = db->expires[db_rand(db) % db->expires_len];
        if (e->expire_at > now_ms)
            continue;
        cow_touch(db, e->hash);
        int table = 0;
        struct db_entry **link = find_link_by_ptr(db, e, e->hash, &table);
        assert(link != NULL);
        if (db->on_expire)
            db->on_expire(db->expire_priv, e);
        entry_free(unlink_at(db, link, table));
        deleted++;
    }
    return deleted;
}

/* ---------------- whole-db operations ---------------- */

/*
 * Frees every entry synchronously: FLUSHDB/FLUSHALL on a very large db
 * blocks the shard for the time it takes to free each entry (about 20-30 ns
 * a key). A lazy-free variant would hand the old tables to a background
 * thread instead.
 */
void db_clear(struct db *db)
{
    db_cow_finish(db);
    for (int t = 0; t <= 1; t++) {
        struct db_table *tab = &db->t[t];
        for (size_t i = 0; i < tab->size && tab->used > 0; i++) {
            struct db_entry *e = tab->buckets[i];
            while (e) {
                struct db_entry *next = e->next;
                entry_free(e);
                tab->used--;
                e = next;
            }
        }
        free(tab->buckets);
        memset(tab, 0, sizeof(*tab));
    }
    db->rehash_index = -1;
    free(db->expires);
    db->expires = NULL;
    db->expires_len = 0;
    db->expires_cap = 0;
}

void db_swap(struct db *a, struct db *b)
{
    /* Each db keeps its own snapshot state (it knows its db index); both
     * are written out first, so their contents may move. */
    db_cow_finish(a);
    db_cow_finish(b);
    struct db tmp = *a;
    *a = *b;
    *b = tmp;
    struct db_cow *cow = a->cow;
    a->cow = b->cow;
    b->cow = cow;
    /* The expiry hook names the db's index: it stays too. */
    db_expire_hook *fn = a->on_expire;
    void *priv = a->expire_priv;
    a->on_expire = b->on_expire;
    a->expire_priv = b->expire_priv;
    b->on_expire = fn;
    b->expire_priv = priv;
}

void db_set_expire_hook(struct db *db, db_expire_hook *fn, void *priv)
{
    db->on_expire = fn;
    db->expire_priv = priv;
}

/* ---------------- snapshot copy-on-write ---------------- */

void db_cow_begin(struct db *db, db_cow_fn *fn, void *priv)
{
    assert(!db->cow);
    struct db_cow *cow = db_calloc(1, sizeof(*cow));
    cow->fn = fn;
    cow->priv = priv;
    for (int t = 0; t <= 1; t++) {
        cow->size[t] = db->t[t].used ? db->t[t].size : 0;
        if (cow->size[t])
            cow->done[t] = db_calloc(cow->size[t] / 8 + 1, 1);
    }
    cow->complete = cow->size[0] == 0 && cow->size[1] == 0;
    db->cow = cow;
}

int db_cow_step(struct db *db, size_t nbuckets)
{
    struct db_cow *cow = db->cow;
    if (!cow || cow->complete)
        return 0;
    while (nbuckets > 0 && cow->table <= 1) {
        if (cow->bucket >= cow->size[cow->table]) {
            cow->table++;
            cow->bucket = 0;
            continue;
        }
        if (db->t[cow->table].buckets[cow->bucket])
            nbuckets--;
        cow_bucket(db, cow->table, cow->bucket++);
    }
    if (cow->table > 1) {
        cow->complete = 1;
        for (int t = 0; t <= 1; t++) {
            free(cow->done[t]);
            cow->done[t] = NULL;
        }
        return 0;
    }
    return 1;
}

void db_cow_finish(struct db *db)
{
    while (db_cow_step(db, SIZE_MAX))
        ;
}

void db_cow_end(struct db *db)
{
    struct db_cow *cow = db->cow;
    if (!cow)
        return;
    for (int t = 0; t <= 1; t++)
        free(cow->done[t]);
    free(cow);
    db->cow = NULL;
    resize_if_needed(db);
}

size_t db_overhead_bytes(const struct db *db)
{
    return sizeof(*db) + (db->t[0].size + db->t[1].size) * sizeof(struct db_entry *) +
           db->expires_cap * sizeof(struct db_entry *);
}
