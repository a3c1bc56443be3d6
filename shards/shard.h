/*
 * shard.h - one shard thread's state: its io_uring ring and network loop
 * (net/uring.h: receive buffers, listeners), its clients (shards/client.h),
 * its part of the keyspace (every database), its stats, its lock, watch and
 * block tables, its ends of the SPSC rings, and its persistence state.
 *
 * Owner: the shard's own thread. Set up on the main thread before the
 * thread starts (shards_start); after that other threads read only what
 * they need to wake it (`sleeping`, `ring_fd`: mailbox.c) or what their own
 * heads say they read (eviction, snapshots); none writes to it.
 *
 * The sub-requests and batches threads exchange, and the protocol between
 * them, are in shards/mailbox.h.
 */
#ifndef SHARDIS_SHARD_H
#define SHARDIS_SHARD_H

#include <liburing.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/resp.h"
#include "core/base/server.h"
#include "core/commands/command.h"
#include "net/uring.h"
#include "shards/engine_hooks.h"
#include "shards/mailbox.h"
#include "shards/stats.h"

struct client;
struct request;
struct persist_shard;
struct pubsub_shard;
struct tracking_shard;

struct shard {
    int id;
    struct server *srv;
    pthread_t thread;
    struct io_uring ring; /* the thread's one ring: net/ (net.ring points here), persist/, wake-ups */
    int ring_fd;
    _Atomic int sleeping;
    const struct config *cfg; /* snapshot for the current iteration */
    int64_t now_ms;

    /* keyspace */
    struct db **dbs;
    int ndbs;
    struct shard_stats stats;
    struct command_stat *cmdstats;
    int ncmdstats;
    struct error_stat errstats[MAX_ERROR_CODES];
    int nerrstats;
    uint64_t error_replies;
    struct command_stat *running_stat; /* the command being dispatched (dispatch_command) */
    struct latency_hist **latency;     /* [ncmdstats + 1], NULL until a slot's first timed call */
    struct inst_metric inst[INST_KINDS];
    uint64_t expired_lazy_base; /* lazy expirations before CONFIG RESETSTAT */
    uint64_t expire_cycle_us, expire_time_cap_reached;
    int expire_db_cursor;
    int64_t last_cron_ms;

    /* network: ring, receive buffers, listeners, byte counters (net/uring.h) */
    struct net_loop net;
    struct client *clients; /* every client of this thread */
    long long nclients;
    struct client *flush_list;  /* clients with output waiting for a send */
    struct client *resume_list; /* clients that stopped parsing and may continue */
    uint64_t total_connections, rejected_connections;

    struct resp_command prefetch_cmd; /* scratch for prefetch_pipelined_keys */

    /* transactions (shards/txn.h) */
    struct lock_table *locks;
    struct watch_table *watches;
    struct block_table *blocks; /* clients blocked on keys of this shard (shards/blocking.h) */
    uint64_t block_seq;         /* last block_seq given to a blocking sub coordinated here */
    int64_t block_deadline;     /* earliest deadline of a parked blocking sub, 0 = none */
    struct batch **replying;    /* [nshards] replies of sub-requests that waited for locks */

    /* dispatch */
    struct batch **building; /* [nshards] batch being filled this iteration */
    struct batch **overflow_head, **overflow_tail;
    int pending_overflow;
    int stopping;
    int idle; /* stopping and without clients (counted in srv->idle_shards) */

    /* persistence */
    struct persist_shard *persist; /* persist/'s view of this shard (shards/persist_host.c) */
    struct aof_shard *log;         /* == aof while logging, else NULL: what a ctx appends to */
    uint64_t log_appended;         /* log position: bytes of records appended so far */
    uint64_t log_durable;          /* output produced at or before this position may leave */
    int log_hold;                  /* appendfsync always: output waits for log_durable */
    int log_failing;               /* always, and a log write or fsync failed: reads of other keys go on */
    int log_lazy;                  /* records wait for a bigger write (not always): the loop sleeps 1 ms at most */
    struct client *held_clients;   /* clients whose output waits for the log */
    struct batch *held_head, *held_tail; /* reply batches that wait for the log */
    struct client *internal_client;      /* sends the cuts nobody sent (dispatch_cut) */
    /* Keyspace events (shards/engine_hooks.h): the publisher, NULL until
     * the pub/sub step sets one; the dbs' expiry hooks' state. */
    shard_notify_fn *notify;
    struct expire_notify *expire_notify;
    struct pubsub_shard *pubsub; /* Pub/Sub registries (shards/pubsub.c) */
    struct script_shard *script; /* Lua interpreter and scripts (shards/script.c), NULL until first used */

    /* Client-side caching (shards/tracking.c): the tables; whether anything
     * is tracked here (the change hook's test); the client whose command
     * runs now (NOLOOP), 0 outside a client's command. */
    struct tracking_shard *tracking;
    int tracking_armed;
    uint64_t tracking_writer;
};

/* The shard whose network loop is loop (net/service.h callbacks). */
static inline struct shard *shard_of_loop(struct net_loop *loop)
{
    return (struct shard *)((char *)loop - offsetof(struct shard, net));
}

/* Starts every shard thread; returns 0 or -1 with a message logged. */
int shards_start(struct server *srv);
/* Waits for every shard thread to exit. */
void shards_join(struct server *srv);

/* Runs one sub-request on this shard (local or from a batch), or parks it
 * when its keys are locked by a transaction. Returns 1 when the reply is in
 * the sub-request, 0 when it waits: the shard completes it later (through
 * dispatch_sub_done for its own requests, else by a reply batch). */
int shard_accept_sub(struct shard *s, struct subreq *sub);
/* SUB_EXEC and SUB_WATCH on this shard (txn_participant.c). */
void shard_run_exec(struct shard *s, struct subreq *sub);
void shard_run_watch(struct shard *s, struct subreq *sub);
/* Runs one sub-request whose keys are free (shard.c; shard_accept_sub
 * checks the locks first). */
void shard_run_sub(struct shard *s, struct subreq *sub);
/* True when the keys of a command about to run inline on this shard are
 * locked (or queued for) by a transaction: it must go through
 * shard_accept_sub instead. Costs one compare while no lock exists. */
int shard_keys_locked(struct shard *s, const struct command *cmd, int argc, const struct arg *argv,
                      const uint64_t *hashes);
/* The per-command stats slot of a command; a container's (CLIENT, CONFIG,
 * ...) counts per subcommand (argv[1]) as Redis 7 does. Inline: it is on
 * every command's path. */
static inline struct command_stat *shard_command_stat(struct shard *s, const struct command *cmd, int argc,
                                                      const struct arg *argv)
{
    ptrdiff_t idx = cmd - command_table;
    if (__builtin_expect(cmd->subcommands != NULL, 0) && argc >= 2)
        idx = command_sub_stat_index(cmd, &argv[1]);
    if (idx < 0 || idx >= s->ncmdstats)
        idx = s->ncmdstats; /* the spare slot */
    return &s->cmdstats[idx];
}
/* Adds one run of usec microseconds to a command's stats (usec and its
 * latency histogram). Inline: it is on every command's path. */
static inline void shard_command_time(struct shard *s, struct command_stat *st, int64_t usec)
{
    st->usec += (uint64_t)usec;
    ptrdiff_t slot = st - s->cmdstats;
    struct latency_hist *h = s->latency[slot];
    if (__builtin_expect(h == NULL, 0) && !(h = shard_latency_hist_new(s, slot)))
        return;
    h->bucket[latency_index(usec > 0 ? (uint64_t)usec * 1000 : 0)]++;
}
/* A script runs long on this thread: serves the network once (completions,
 * input, sends) so its clients get BUSY and SCRIPT KILL gets in. */
void shard_poll_busy(struct shard *s);
/* Sets up a ctx to run on this shard. */
void shard_init_ctx(struct shard *s, struct cmd_ctx *c, int dbid, int resp, struct buf *out);
#endif
