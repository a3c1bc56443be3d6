/*
 * aof_internal.h - state shared by aof_log.c (the running logs) and
 * aof_load.c (start-up). Not for other modules: they use aof_log.h.
 *
 * Owns: struct aof_seg and struct aof_shard (one shard's log writer,
 * reached from its struct persist_shard), struct aof_server (the logs of
 * the whole server, srv->aof).
 *
 * Threads: struct aof_shard and its segments belong to their shard's
 * thread. struct aof_server is written by the main thread at start-up
 * (aof_load.c, before the shard threads run: `shards` and the start_*
 * fields are read only then and by aof_shard_init), afterwards only through
 * its atomics or under `lock` (the manifest, a rewrite's bookkeeping).
 *
 * Invariants: a segment is closed when its last op is done and it is no
 * longer `cur`; `size` <= `alloc` unless no_prealloc; positions (written,
 * fsynced) never move back.
 */
#ifndef SHARDIS_AOF_INTERNAL_H
#define SHARDIS_AOF_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/commands/command.h"
#include "persist/manifest.h"

#define AOF_PATH_MAX (2 * CONFIG_PATH_MAX + 96)

struct persist_shard;
struct aof_op;

/* An open segment file; closed when the last op on it is done and it is
 * no longer the current one. */
struct aof_seg {
    int fd;
    uint64_t seq;
    uint64_t size;   /* bytes written or submitted, header included */
    uint64_t alloc;  /* file length: bytes past `size` are zeros written ahead */
    int no_prealloc; /* writing zeros ahead failed once: plain appends */
    int refs;
};

/* One shard's log (owned by the shard thread). */
struct aof_shard {
    struct persist_shard *p; /* the shard it writes for */
    struct aof_seg *cur;     /* NULL while not logging */
    char cur_path[AOF_PATH_MAX];
    struct buf pending; /* records of this iteration */
    struct aof_op *ops_head, *ops_tail;
    int fsync_policy; /* enum aof_fsync, from the config of the last flush */
    uint64_t written, fsynced;
    uint64_t older_bytes; /* log bytes in earlier segments since the base */
    int fsync_inflight;
    /* appendfsync always: an fsync of a write failed. Retried, its success
     * proves nothing (see aof_log.c), so output stays held (log_durable does
     * not move) until a rewrite has written the data set into new files. */
    int durable_blocked;
    int64_t fsync_retry_ms; /* after a failed everysec fsync: when to try again */
    /* appendfsync always with a failing log (*p->log_failing): hashes of the
     * keys that records not yet durable touch (open addressing, 0 = empty),
     * or risk_all for a record that touches any key (FLUSHALL, ...) */
    uint64_t *risk;
    size_t risk_cap, risk_used;
    int risk_all;
    int64_t fsync_backoff_ms; /* the wait after the next failure (doubles) */
    int64_t pending_since_ms; /* everysec / no: when the oldest pending record came */
    int64_t last_fsync_ms, last_retry_ms;
    /* the transaction whose part is running (aof_txn_begin) */
    uint64_t txn_id;
    uint16_t txn_parts;
    uint64_t txn_records;
    void *hooks; /* the dbs' expiry hooks (one per db) */
};

struct aof_server {
    pthread_mutex_t lock;
    char aofdir[AOF_PATH_MAX];
    char name[CONFIG_PATH_MAX]; /* appendfilename */
    char manifest_name[CONFIG_PATH_MAX + 16];
    struct manifest m; /* the generation on disk (under lock) */
    /* start-up (main thread): the shards' views, then the segment each
     * shard appends to first */
    struct persist_shard *shards[MAX_THREADS];
    int enabled_at_start;
    int start_fd[MAX_THREADS];
    uint64_t start_seq[MAX_THREADS];
    uint64_t start_size[MAX_THREADS];
    uint64_t start_alloc[MAX_THREADS];
    uint64_t start_older[MAX_THREADS];
    /* rewrite */
    _Atomic uint64_t next_seq[MAX_THREADS]; /* segment each shard cuts to */
    _Atomic int rewrite_in_progress;
    _Atomic int rewrite_scheduled;
    _Atomic int enable_pending; /* CONFIG SET appendonly yes: a rewrite turns the logs on */
    _Atomic int cut_failed;
    _Atomic int last_rewrite_ok;
    _Atomic long long last_rewrite_time_sec;
    _Atomic uint64_t rewrites;
    int64_t rewrite_start_ms;
    int64_t last_auto_try_ms;
    /* sizes and errors */
    _Atomic uint64_t log_bytes[MAX_THREADS]; /* each shard's log bytes since the base */
    _Atomic uint64_t base_size;
    _Atomic uint64_t size_at_rewrite;
    _Atomic int write_err[MAX_THREADS]; /* errno of a failing write, 0 = fine */
    /* A failed everysec fsync: fsync_err[shard] holds its errno (writes are
     * refused) until a rewrite that started after a retried fsync worked
     * (fsync_healed) has replaced the files (see aof_log.c). */
    _Atomic int fsync_err[MAX_THREADS];
    _Atomic int fsync_healed[MAX_THREADS];
    _Atomic uint64_t healed_at_rewrite; /* bit per shard: healed when the running rewrite started */
};

void aof_seg_path(const struct aof_server *as, int shard, uint64_t seq, char *out, size_t outlen);
void aof_seg_name(const struct aof_server *as, int shard, uint64_t seq, char *out, size_t outlen);
int aof_seg_create(const struct aof_server *as, int shard, uint64_t seq);
int aof_fsync_dir(const char *dir);
/* dir/file and path+ext into out (truncated to outlen). */
void aof_join(char *out, size_t outlen, const char *dir, const char *file);
void aof_join_ext(char *out, size_t outlen, const char *path, const char *ext);

#endif
