/*
 * persist_shard.h - what the persistence layer knows of one shard: the view
 * the engine (shards/) hands down at start-up, the callbacks it registers,
 * and persist's own per-shard state (the log writer, the running snapshot
 * part).
 *
 * Owns: struct persist_shard. The engine fills the "handed down" part
 * (shards/persist_host.c) before the loaders run and the shard threads
 * start; persist never writes it, except the log positions and `log`, which
 * are the engine's fields that persist keeps up to date (see below).
 *
 * Threads: one view per shard. The loaders (main thread, before the shard
 * threads start) read id and dbs only; everything else is touched by the
 * shard's own thread (aof_shard_*, snap_shard_*), never by another one.
 *
 * Invariants: the pointers stay valid as long as the shard lives; dbs is
 * the shard's array (its entries may change, the array does not); persist
 * queues SQEs on `ring` only from the shard's thread, tagging their
 * user_data with tag_aof / tag_snap in the bits of tag_mask (the pointer
 * above them is 8-aligned).
 */
#ifndef SHARDIS_PERSIST_SHARD_H
#define SHARDIS_PERSIST_SHARD_H

#include <stdint.h>

struct server;
struct config;
struct db;
struct io_uring;
struct shard_stats;
struct aof_shard;
struct snap_job;

/* What persist asks of the engine (registered by shards/). */
struct persist_host_ops {
    /* The log is durable up to *log_durable (or output no longer waits:
     * *log_hold is 0): output held for it may leave. */
    void (*release_held)(void *host);
};

struct persist_shard {
    /* ---- handed down by the engine, fixed after start-up ---- */
    int id;
    struct server *srv; /* nshards, the published config, srv->aof / srv->snap */
    struct db **dbs;
    int ndbs;
    struct io_uring *ring; /* the shard's ring: persist's writes and fsyncs */
    uint64_t tag_aof, tag_snap, tag_mask;
    const int64_t *now_ms;           /* the loop's clock */
    const struct config *const *cfg; /* the loop iteration's config snapshot */
    const int *stopping;             /* the shard is shutting down */
    const struct shard_stats *stats; /* dirty (save rules), commands + hops_out (snapshot pacing) */
    const struct persist_host_ops *ops;
    void *host; /* the engine's shard, passed back to ops */

    /* ---- the engine's log positions, written by persist ----
     * Output produced at log position p may leave once *log_durable >= p
     * (only while *log_hold: appendfsync always). */
    uint64_t *log_appended; /* bytes of records appended so far */
    uint64_t *log_durable;
    int *log_hold;
    int *log_failing;       /* always, and a write or fsync failed */
    int *log_lazy;          /* records wait for a bigger write: the loop sleeps 1 ms at most */
    struct aof_shard **log; /* the writer while logging, else NULL: what commands append to */

    /* ---- persist's own state (shard thread) ---- */
    struct aof_shard *aof; /* the log writer (persist/aof_log.c) */
    struct snap_job *snap; /* this shard's part of a running snapshot, else NULL */
    uint64_t next_txn_id;  /* aof_new_txn_id */
};

#endif
