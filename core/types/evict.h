/*
 * evict.h - maxmemory: how much memory the server uses, the LRU/LFU clock
 * kept in each entry, and the eviction of keys before a write.
 *
 * Memory is measured for the whole process: with jemalloc, the sum of its
 * exact per-thread allocated/freed counters over the server's threads (read
 * at every check); under ASan the sanitizer allocator's count and otherwise
 * mallinfo2, at most once a millisecond, the bytes every shard evicted since
 * being subtracted from the last figure. A key is deleted only by its own
 * shard's thread, but the choice approximates the policy over the whole
 * keyspace: each shard publishes its best candidate's score (one atomic
 * per shard, written by that shard only); a shard over the limit evicts
 * when its candidate is the best published, else leaves it to the better
 * shard, which evicts in its loop (evict_shard_pass). That pass is the
 * engine's (shards/evict_pass.h, "the global choice" there); this header
 * has the policy side: the measurement, the clocks, the scores and the pool.
 * docs/architecture.md "Limits and eviction" has the details.
 *
 * The entry's 24-bit `lru` field holds, as in Redis, either the LRU clock in
 * seconds (LRU and non-LFU policies) or 16 bits of minutes of the last
 * decrement plus an 8-bit logarithmic access counter (LFU policies).
 */
#ifndef SHARDIS_EVICT_H
#define SHARDIS_EVICT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/types/object.h"

struct db;

#define EVICT_OOM_ERROR "OOM command not allowed when used memory > 'maxmemory'."
#define LFU_INIT_VAL 5

/* Counts the calling thread's allocations in the measurement (jemalloc):
 * called by main() first, then by every thread that allocates or frees
 * data (shard threads, the lazyfree thread). */
void evict_thread_register(void);
/* Bytes the server has allocated now (the estimate described above). */
size_t evict_used_memory(int64_t now_us);
/* Bytes measured right now (INFO), refreshing the estimate. */
size_t evict_measure_now(void);

static inline int evict_policy_is_lfu(int policy)
{
    return policy == MAXMEMORY_ALLKEYS_LFU || policy == MAXMEMORY_VOLATILE_LFU;
}

/* Publishes the policy for entries created without a config at hand. */
void evict_set_policy(int policy);
/* The lru field of a new entry (LRU clock or LFU initial counter). */
uint32_t evict_new_lru(int64_t now_ms);
/* An access to e: refreshes the LRU clock or bumps the LFU counter. */
void evict_touch(struct db_entry *e, const struct config *cfg, int64_t now_ms);
/* LFU: the counter decayed to now_ms (OBJECT FREQ). */
unsigned evict_lfu_counter(const struct db_entry *e, const struct config *cfg, int64_t now_ms);
/* LFU: one logarithmic increment of counter (unit tests). */
unsigned evict_lfu_log_incr(unsigned counter, int log_factor, double r);

/* Approximate bytes an entry holds (header, key, value). */
size_t evict_entry_bytes(const struct db_entry *e);

/* Client side, before dispatching a denyoom command: true when the command
 * must be refused with EVICT_OOM_ERROR (over the limit under noeviction). */
int evict_refuse_write(const struct config *cfg, int64_t now_ms);

/* ---- the pool and the scores, for the engine's eviction pass
 * (shards/evict_pass.c); shard thread only ---- */

/* Policies over the keys with a TTL only / choosing at random. */
int evict_policy_volatile(int policy);
int evict_policy_random(int policy);
/* A random key of db (of its keys with a TTL when vol), NULL when none. */
struct db_entry *evict_sample(struct db *db, int vol);
/* Random policies: a random key of a random non-empty db of dbs[0..ndbs). */
struct db_entry *evict_pick_random(struct db *const *dbs, int ndbs, int vol, int *dbid_out);
/* Pool policies: samples one round of every non-empty db of dbs[0..ndbs)
 * into this thread's pool (which belongs to `owner` under the policy: a new
 * owner or policy starts from an empty pool) and returns the best candidate
 * still present, its db in *dbid_out and its pool slot in *slot_out (left
 * in the pool until evict_pool_forget), or NULL when none qualifies. */
struct db_entry *evict_best_candidate(const void *owner, struct db *const *dbs, int ndbs, const struct config *cfg,
                                      int64_t now_ms, int *dbid_out, int *slot_out);
/* The score of a pool slot (higher = better candidate; below 2^59). */
uint64_t evict_pool_score(int slot);
/* Empties a pool slot (its key was evicted). */
void evict_pool_forget(int slot);
/* Bytes an eviction freed, subtracted from the memory figure until the next
 * measurement (without jemalloc). */
void evict_note_freed(size_t bytes);

#endif
