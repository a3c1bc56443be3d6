/*
 * evict_pass.h - the engine's eviction pass (shards/evict_pass.c): deletes
 * keys over maxmemory, choosing between shards, on the policy side of
 * core/types/evict.h. Every function runs on the thread of the shard given.
 */
#ifndef SHARDIS_EVICT_PASS_H
#define SHARDIS_EVICT_PASS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/types/evict.h"

struct cmd_ctx;
struct shard;

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
