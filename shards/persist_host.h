/*
 * persist_host.h - the engine's side of the persistence layer: each shard
 * hands persist/ a view of itself (struct persist_shard) and the callbacks
 * persist needs (struct persist_host_ops), and runs the final cut at
 * shutdown.
 *
 * Threads: shard_persist_attach on the main thread in shards_start, before
 * the loaders run and the shard threads start; shard_final_cut on each
 * shard's thread after its loop.
 */
#ifndef SHARDIS_PERSIST_HOST_H
#define SHARDIS_PERSIST_HOST_H

struct shard;
struct persist_shard;

/* Builds s's view for persist/ (s->persist) from s's fields: the pointers
 * in it point into s, which outlives it. */
struct persist_shard *shard_persist_attach(struct shard *s);

/* At exit, after the loop: abandons this shard's part of a running
 * snapshot and, when SHUTDOWN / SIGTERM asked for a save, waits for every
 * shard and writes this shard's part of the final snapshot (the cut is
 * the point where every loop has stopped). */
void shard_final_cut(struct shard *s);

#endif
