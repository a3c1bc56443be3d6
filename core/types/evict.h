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
 * shard, which evicts in its loop (evict_shard_pass). evict.c "the global
 * choice" and docs/architecture.md "Limits and eviction" have the details.
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

struct cmd_ctx;
struct shard;

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

/*
 * Executing shard, before a denyoom command runs there: while the memory
 * figure is over maxmemory, evicts this shard's keys by the policy when its
 * candidate is the best of all shards, else wakes the better shards and
 * lets the command run (evicting its own past a small slack over the limit).
 * Returns 0 when the command may run, -1 when it must be refused
 * (noeviction, or nothing any shard may evict while over the limit); the
 * caller replies EVICT_OOM_ERROR.
 */
int evict_before_write(struct shard *s, const struct config *cfg, int64_t now_ms);

/*
 * Shard thread, once per loop iteration (reads s->cfg and s->now_ms): while
 * the server is over maxmemory, refreshes this shard's published candidate
 * and evicts while it is the best of all shards. Returns 1 when it stopped
 * at its per-pass bound with more to do (the loop must not sleep), else 0.
 * Costs one branch without maxmemory, one memory read under the limit.
 */
int evict_shard_pass(struct shard *s);

/* The score this shard last published (0 = none yet, 1 = nothing to evict,
 * higher = better candidate) under the current tag; for tests. */
uint64_t evict_published_rank(const struct shard *s);

/* Runs evict_before_write for a denyoom command about to run with context c
 * (nothing for other commands); when it must be refused, writes the OOM
 * error to c->out and returns 0. Returns 1 when the handler may run. */
int evict_command_allowed(struct cmd_ctx *c);

/* Deletes one key chosen for eviction on shard s (the only place a key is
 * evicted: a persistence log records the eviction as a DEL here). Returns the
 * approximate bytes released. */
size_t evict_key_delete(struct shard *s, int dbid, struct db_entry *e, const struct config *cfg);

#endif
