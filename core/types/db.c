/*
 * db.c - one database of one shard: the keyspace table of struct db_entry
 * (the shared engine, core/ds/hashtable.h: incremental rehash, Redis's
 * reverse-binary SCAN cursor, random picks), the expiry vector, lazy and
 * active expiry, and the snapshot's copy-on-write.
 *
 * Owner: the shard thread. Nothing is locked; nothing is shared.
 *
 * The table: entries are chained through entry->next and keyed by their
 * cached hash (db_entry begins with next and hash, as the engine requires);
 * callers pass the hash they computed. Every find, insert and delete moves
 * one bucket of an in-progress rehash, db_rehash_step moves more (the shard
 * calls it when idle). db_scan never rehashes, so the callback sees a stable
 * table.
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

#include "core/base/util.h"
#include "core/ds/hashtable.h"
#include "core/types/db.h"
#include "core/types/object.h"

#define DB_EXPIRES_MIN_CAP 16

HASHTABLE_ENTRY_CHECK(struct db_entry);

struct db {
    struct hashtable ht;
    struct db_entry **expires;
    size_t expires_len;
    size_t expires_cap;
    uint64_t expired_count;    /* deleted by db_find_live (lazy expiry) */
    struct db_cow *cow;        /* a snapshot in progress, else NULL */
    db_expire_hook *on_expire; /* told of each key deleted by expiry (the log) */
    void *expire_priv;
    db_expire_hook *on_expire_notify; /* told after the log (keyspace "expired" events) */
    void *notify_priv;
};

static int entry_key_eq(const void *entry, const void *key, size_t klen)
{
    const struct db_entry *e = entry;
    return e->key_len == klen && memcmp(e->key, key, klen) == 0;
}

static void entry_destroy(void *entry)
{
    entry_free(entry);
}

static uint64_t entry_key_hash(const void *key, size_t klen)
{
    return key_hash(key, klen);
}

static const struct hashtable_type db_type = {
    .key_eq = entry_key_eq,
    .hash = entry_key_hash,
    .destroy = entry_destroy,
};

/*
 * Copy-on-write for snapshots. While a snapshot of this db is running, the
 * table is paused (it neither grows, shrinks nor rehashes), so every entry
 * stays in the bucket it was in at the cut. A bitmap per table says which
 * buckets the snapshot has serialized. Every operation that may change an
 * entry (find, insert, unlink, expiry, clear, swap) first serializes the
 * not-yet-written buckets the key hashes to: a bucket is always written as
 * it was at the cut, and a key inserted later never reaches the file. The
 * walker (db_cow_step) writes the remaining buckets in order. Extra memory:
 * the bitmaps (1 bit a bucket) and the serialized bytes not yet on disk.
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

static void cow_visit(void *priv, void *entry)
{
    struct db_cow *cow = priv;
    cow->fn(cow->priv, entry);
}

/* Writes bucket b of table t unless already written. */
static void cow_bucket(struct db *db, int t, size_t b)
{
    struct db_cow *cow = db->cow;
    unsigned char bit = (unsigned char)(1u << (b & 7));
    if (cow->done[t][b >> 3] & bit)
        return;
    cow->done[t][b >> 3] |= bit;
    hashtable_visit_bucket(&db->ht, t, b, cow_visit, cow);
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

/* ---------------- creation ---------------- */

struct db *db_create(void)
{
    struct db *db = db_calloc(1, sizeof(*db));
    hashtable_init(&db->ht, &db_type);
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

int db_rehash_step(struct db *db, int n)
{
    return hashtable_rehash_step(&db->ht, n);
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

void db_prefetch_bucket(const struct db *db, uint64_t hash)
{
    hashtable_prefetch_bucket(&db->ht, hash);
}

void db_prefetch_entry(const struct db *db, uint64_t hash)
{
    hashtable_prefetch_entry(&db->ht, hash);
}

struct db_entry *db_find(struct db *db, uint64_t hash, const char *key, size_t klen)
{
    cow_touch(db, hash);
    return hashtable_find_with(&db->ht, hash, key, klen, entry_key_eq);
}

/* Unlinks a linked entry and takes it out of the expiry vector. */
static void unlink_entry(struct db *db, struct db_entry *e)
{
    int linked = hashtable_remove_entry(&db->ht, e);
    assert(linked);
    (void)linked;
    if (e->expire_at != 0)
        expires_remove(db, e);
}

/* Deletes an entry that expiry found due: tells the hook, unlinks, frees. */
static void expire_entry(struct db *db, struct db_entry *e)
{
    if (db->on_expire)
        db->on_expire(db->expire_priv, e);
    if (db->on_expire_notify)
        db->on_expire_notify(db->notify_priv, e);
    unlink_entry(db, e);
    entry_free(e);
}

struct db_entry *db_find_live(struct db *db, uint64_t hash, const char *key, size_t klen, int64_t now_ms)
{
    struct db_entry *e = db_find(db, hash, key, klen);
    if (!e || e->expire_at == 0 || e->expire_at > now_ms)
        return e;
    expire_entry(db, e);
    db->expired_count++;
    return NULL;
}

void db_insert(struct db *db, struct db_entry *e)
{
    cow_touch(db, e->hash);
    hashtable_insert(&db->ht, e);
    if (e->expire_at != 0)
        expires_add(db, e);
}

struct db_entry *db_unlink(struct db *db, uint64_t hash, const char *key, size_t klen)
{
    cow_touch(db, hash);
    struct db_entry *e = hashtable_pop(&db->ht, hash, key, klen);
    if (e && e->expire_at != 0)
        expires_remove(db, e);
    return e;
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
    int linked = hashtable_replace_entry(&db->ht, old, newer);
    assert(linked);
    if (linked && newer->expire_at != 0) {
        assert(newer->expire_slot < db->expires_len && db->expires[newer->expire_slot] == old);
        db->expires[newer->expire_slot] = newer;
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

void db_reserve(struct db *db, size_t n)
{
    hashtable_reserve(&db->ht, n);
}

size_t db_size(const struct db *db)
{
    return hashtable_size(&db->ht);
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

/* ---------------- SCAN and random ---------------- */

uint64_t db_scan(struct db *db, uint64_t cursor, db_scan_fn *fn, void *priv)
{
    return hashtable_scan(&db->ht, cursor, fn, priv);
}

struct db_entry *db_random(struct db *db)
{
    struct db_entry *e = hashtable_random(&db->ht);
    if (e)
        cow_touch(db, e->hash);
    return e;
}

struct db_entry *db_random_volatile(struct db *db)
{
    if (db->expires_len == 0)
        return NULL;
    return db->expires[hashtable_rand() % db->expires_len];
}

/* ---------------- active expiry ---------------- */

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

/*
 * Samples min(samples, expires_len) random slots, as Redis's active cycle
 * samples its expires dict, and deletes the entries that are due. The
 * deletions are returned, not added to db_expired_count: the shard counts
 * them itself (stats.expired_keys), and INFO adds the two counts.
 */
size_t db_expire_cycle(struct db *db, int64_t now_ms, size_t samples)
{
    if (!db_active_expire())
        return 0;
    if (samples > db->expires_len)
        samples = db->expires_len;
    size_t deleted = 0;
    while (samples-- > 0 && db->expires_len > 0) {
        struct db_entry *e = db->expires[hashtable_rand() % db->expires_len];
        if (e->expire_at > now_ms)
            continue;
        cow_touch(db, e->hash);
        expire_entry(db, e);
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
    hashtable_clear(&db->ht, NULL, NULL);
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
    fn = a->on_expire_notify;
    priv = a->notify_priv;
    a->on_expire_notify = b->on_expire_notify;
    a->notify_priv = b->notify_priv;
    b->on_expire_notify = fn;
    b->notify_priv = priv;
}

void db_set_expire_hook(struct db *db, db_expire_hook *fn, void *priv)
{
    db->on_expire = fn;
    db->expire_priv = priv;
}

void db_set_expire_notify(struct db *db, db_expire_hook *fn, void *priv)
{
    db->on_expire_notify = fn;
    db->notify_priv = priv;
}

/* ---------------- snapshot copy-on-write ---------------- */

void db_cow_begin(struct db *db, db_cow_fn *fn, void *priv)
{
    assert(!db->cow);
    struct db_cow *cow = db_calloc(1, sizeof(*cow));
    cow->fn = fn;
    cow->priv = priv;
    for (int t = 0; t <= 1; t++) {
        cow->size[t] = db->ht.used[t] ? hashtable_table_size(&db->ht, t) : 0;
        if (cow->size[t])
            cow->done[t] = db_calloc(cow->size[t] / 8 + 1, 1);
    }
    cow->complete = cow->size[0] == 0 && cow->size[1] == 0;
    db->cow = cow;
    if (!cow->complete)
        hashtable_pause(&db->ht);
}

/* Every bucket written: the table may move entries again. */
static void cow_complete(struct db *db)
{
    struct db_cow *cow = db->cow;
    cow->complete = 1;
    for (int t = 0; t <= 1; t++) {
        free(cow->done[t]);
        cow->done[t] = NULL;
    }
    hashtable_resume(&db->ht);
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
        if (!hashtable_bucket_is_empty(&db->ht, cow->table, cow->bucket))
            nbuckets--;
        cow_bucket(db, cow->table, cow->bucket++);
    }
    if (cow->table > 1) {
        cow_complete(db);
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
    int paused = !cow->complete;
    for (int t = 0; t <= 1; t++)
        free(cow->done[t]);
    free(cow);
    db->cow = NULL;
    if (paused)
        hashtable_resume(&db->ht);
}

size_t db_overhead_bytes(const struct db *db)
{
    return sizeof(*db) + hashtable_buckets(&db->ht) * sizeof(struct db_entry *) +
           db->expires_cap * sizeof(struct db_entry *);
}
