/*
 * db.h - one database (of 16) of one shard: a chained hash table keyed by the
 * cached xxh3 hash (the shared engine, core/ds/hashtable.h), plus a vector of
 * the entries that have an expiry.
 *
 * Owner: the shard thread. Nothing here is thread-safe; nothing needs to be.
 *
 * Growth is incremental, as Redis's dict: when the load factor reaches 1 a
 * second table twice the size is allocated and every later operation moves a
 * few buckets (db_rehash_step moves more when the shard is idle), so no
 * single operation pays for a full rehash. Lookups look in both tables while
 * a rehash is in progress. The table shrinks (also incrementally) when it is
 * less than 1/8 full.
 *
 * SCAN uses Redis's reverse-binary cursor, which returns every entry present
 * for the whole scan at least once even while the table grows or shrinks.
 *
 * The expiry vector holds every linked entry with expire_at != 0; the entry
 * knows its index (expire_slot), so add/remove are O(1) and the active expiry
 * cycle samples it at random.
 */
#ifndef SHARDIS_DB_H
#define SHARDIS_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/ds/hashtable.h"
#include "core/types/object.h"

struct db;

struct db *db_create(void);
/* Frees the db and every entry in it. */
void db_destroy(struct db *db);

/* Finds an entry by hash and key, ignoring expiry. NULL when absent. */
struct db_entry *db_find(struct db *db, uint64_t hash, const char *key, size_t klen);
/* Like db_find, but an entry whose expire_at <= now_ms is deleted (counted in
 * db_expired_count) and NULL returned: the lazy half of expiry. */
struct db_entry *db_find_live(struct db *db, uint64_t hash, const char *key, size_t klen, int64_t now_ms);
/* Cache hints for a lookup that will come soon (pipelined commands):
 * db_prefetch_bucket loads the bucket slot, db_prefetch_entry (called later,
 * once the slot had time to arrive) loads the first entry of the chain.
 * Neither changes anything. */
void db_prefetch_bucket(const struct db *db, uint64_t hash);
void db_prefetch_entry(const struct db *db, uint64_t hash);
/* Links e (whose key must not be present) into the table; registers it in the
 * expiry vector when e->expire_at != 0. Takes ownership. */
void db_insert(struct db *db, struct db_entry *e);
/* Unlinks the entry with this key and returns it (caller owns it, frees it
 * with entry_free or inserts it elsewhere); NULL when absent. */
struct db_entry *db_unlink(struct db *db, uint64_t hash, const char *key, size_t klen);
/* Unlinks and frees; returns 1 when the key existed. */
int db_delete(struct db *db, uint64_t hash, const char *key, size_t klen);
/* Swaps a linked entry for a reallocated copy of itself (same key and hash);
 * `old` must no longer be used after the call, nor freed by the caller. */
void db_replace(struct db *db, struct db_entry *old, struct db_entry *newer);

/* Sets or clears (when_ms == 0) a linked entry's expiry. */
void db_set_expire(struct db *db, struct db_entry *e, int64_t when_ms);

size_t db_size(const struct db *db);
/* Sizes the key table for n keys at once (a loader that knows the count: no
 * rehash while it inserts). No-op when already that big. */
void db_reserve(struct db *db, size_t n);
size_t db_expires_size(const struct db *db);
/* Number of keys deleted lazily because they had expired (db_find_live);
 * the active cycle reports its deletions through its return value. */
uint64_t db_expired_count(const struct db *db);
/* The i-th entry of the expiry vector (i < db_expires_size), for sampling
 * (INFO avg_ttl). */
const struct db_entry *db_expires_at(const struct db *db, size_t i);

/* Calls fn for the entries of one cursor step and returns the next cursor
 * (0 when the scan is complete). Expired entries are still visited; the
 * caller filters them. fn must not modify the table. */
/* fn(priv, entry): entry is a struct db_entry * (the table's own callback type). */
typedef hashtable_scan_fn db_scan_fn;
uint64_t db_scan(struct db *db, uint64_t cursor, db_scan_fn *fn, void *priv);

/* A random entry (for RANDOMKEY), NULL when empty. Expired ones may be
 * returned; the caller checks. */
struct db_entry *db_random(struct db *db);
/* A random entry among those with an expiry (eviction), NULL when none. */
struct db_entry *db_random_volatile(struct db *db);

/* Active expiry: samples up to `samples` entries of the expiry vector and
 * deletes those expired at now_ms; returns how many it deleted. */
size_t db_expire_cycle(struct db *db, int64_t now_ms, size_t samples);
/* DEBUG SET-ACTIVE-EXPIRE 0|1: switches the active cycle off (every
 * db_expire_cycle call deletes nothing) or on, for every shard of the
 * process; lazy expiry on access is not affected. On at start. */
void db_set_active_expire(int enabled);
int db_active_expire(void);

/* Moves up to n buckets of an in-progress rehash; returns 1 while more remain. */
int db_rehash_step(struct db *db, int n);

/* Called with each entry that expiry deletes (lazily or by the active
 * cycle), before it is freed: the append-only log records a DEL. */
typedef void db_expire_hook(void *priv, const struct db_entry *e);
void db_set_expire_hook(struct db *db, db_expire_hook *fn, void *priv);
/* A second hook, called after the first with each entry expiry deletes (the
 * engine raises the keyspace event "expired" on it). Like the first it stays
 * with the db's index across db_swap. */
void db_set_expire_notify(struct db *db, db_expire_hook *fn, void *priv);

/* Deletes every entry. */
void db_clear(struct db *db);
/* Exchanges the contents of two dbs (SWAPDB on one shard). */
void db_swap(struct db *a, struct db *b);

/* Copy-on-write for a snapshot (see db.c): from db_cow_begin until
 * db_cow_end, fn(priv, e) is called exactly once for every entry present at
 * the call to db_cow_begin, with its value as it was then: either by the
 * walker db_cow_step (up to nbuckets non-empty buckets a call; returns 1
 * while buckets remain) or just before an operation may change the entry.
 * Entries added later are never passed. fn must not modify the db. While
 * buckets remain the table does not resize. db_cow_finish writes the rest
 * at once (FLUSHDB, SWAPDB, shutdown). */
typedef void db_cow_fn(void *priv, const struct db_entry *e);
void db_cow_begin(struct db *db, db_cow_fn *fn, void *priv);
int db_cow_step(struct db *db, size_t nbuckets);
void db_cow_finish(struct db *db);
void db_cow_end(struct db *db);

/* Approximate bytes used by the table structure itself (buckets), for INFO. */
size_t db_overhead_bytes(const struct db *db);

#endif
