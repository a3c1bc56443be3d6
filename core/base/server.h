/*
 * server.h - the process-wide, read-mostly part of the server: the shard
 * array, the N x N SPSC rings, the published configuration and a few
 * counters that really are global (client ids, connected clients).
 *
 * Ownership: everything here is written once at start-up before the shard
 * threads start, except the fields marked atomic. No thread mutates another
 * thread's shard through this structure; it only finds the rings and ring
 * file descriptors to send messages and wake-ups.
 */
#ifndef SHARDIS_SERVER_H
#define SHARDIS_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "core/base/config.h"

#define SHARDIS_VERSION "0.1.0"
/* What INFO and HELLO report as redis_version: the Redis API level we follow. */
#define REDIS_COMPAT_VERSION "7.0.15"

struct shard;
struct spsc_ring;
struct snap_server;
struct aof_server;

struct retired_config {
    struct config *cfg;
    struct retired_config *next;
};

struct server {
    int nshards;
    struct shard **shards;
    struct spsc_ring **rings; /* rings[from * nshards + to] */
    _Atomic(struct config *) config;
    _Atomic(struct retired_config *) retired;
    _Atomic int shutdown_requested;
    _Atomic int shutdown_exit_code;
    _Atomic int idle_shards; /* shards that finished their clients during shutdown */
    int64_t start_time_ms;
    int64_t start_monotonic_us;
    char run_id[41];
    char executable[1024];
    _Atomic uint64_t next_client_id;
    _Atomic long long connected_clients;
    _Atomic int64_t lastsave_unix;
    struct snap_server *snap; /* snapshot state (persist/snapshot_engine.c), set before threads start */
    struct aof_server *aof;   /* append-only logs (persist/aof_log.c), set before threads start */
};

/* The one server of this process (set in main before threads start). */
extern struct server *the_server;

static inline const struct config *server_config(struct server *srv)
{
    return atomic_load_explicit(&srv->config, memory_order_acquire);
}

/* Replaces the configuration with a modified copy: calls edit(copy, arg); when
 * it returns 0 the copy is published (retrying if another thread published
 * meanwhile). Returns edit's result. */
int server_update_config(struct server *srv, int (*edit)(struct config *cfg, void *arg), void *arg);
/* Called with each configuration server_update_config publishes, on the
 * publishing thread, right after it is published (the engine tells the
 * eviction policy: shards/engine_hooks.c). Set once at start-up; NULL: none. */
void server_on_config_published(void (*fn)(const struct config *cfg));

/* Asks every shard to stop (SIGTERM, SHUTDOWN). */
void server_request_shutdown(struct server *srv, int exit_code);

#endif
