/*
 * shard.h - one shard thread: its io_uring ring, its listeners and
 * connections, its part of the keyspace (every database), its stats, and its
 * ends of the SPSC rings.
 *
 * The protocol between threads (see docs/architecture.md):
 *   - A coordinator (the thread that owns a connection) groups the
 *     sub-requests it creates in one loop iteration into one struct batch per
 *     destination shard and pushes the batch pointer into ring[from][to].
 *   - The destination runs every sub-request of the batch in order, writing
 *     each reply into the sub-request's own buffer, and pushes the same batch
 *     back into ring[to][from]. It never touches the request or the client.
 *   - The coordinator, on getting the batch back, completes the sub-requests
 *     and frees the batch. Batches a full ring cannot take wait in a per-
 *     destination overflow queue and are pushed first next iteration.
 *   - Wake-ups: a thread about to block sets `sleeping` and then re-checks its
 *     inbound rings; a producer that pushed into a ring checks the consumer's
 *     `sleeping` after a full fence and, if set, sends one IORING_OP_MSG_RING
 *     to the consumer's ring (once per destination per iteration).
 */
#ifndef SHARDIS_SHARD_H
#define SHARDIS_SHARD_H

#include <liburing.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/commands/command.h"
#include "core/base/resp.h"
#include "core/base/server.h"

struct client;
struct request;
struct persist_shard;

/* Low bits of an SQE's user_data: what completed. */
enum tag { TAG_ACCEPT = 1, TAG_RECV = 2, TAG_SEND = 3, TAG_WAKE = 4, TAG_IGNORE = 5, TAG_SNAP = 6, TAG_AOF = 7 };
#define TAG_MASK 7ULL

enum sub_op {
    SUB_HANDLER, /* run `handler` with argv */
    SUB_TAKE,    /* unlink argv[1], re-key it to argv[2]; entry in `entry` (RENAME) */
    SUB_DUP,     /* copy argv[1] as key argv[2] into `entry` (COPY, gather) */
    SUB_PUT,     /* insert `entry` (flags: PUT_REPLACE / PUT_NX); result 1/0 */
    SUB_INFO,    /* fill a struct shard_info */
    SUB_CLIENT_LIST,
    SUB_CLIENT_KILL,
    SUB_LOCK,           /* take a transaction's locks on this shard (see txn_part) */
    SUB_UNLOCK,         /* release them (`lock`) */
    SUB_EXEC,           /* MULTI/EXEC whose keys all live here: every command in one hop */
    SUB_WATCH,          /* register watchers of argv[1..]; versions into `out` */
    SUB_UNWATCH,        /* drop watchers of argv[1..] */
    SUB_UNBLOCK,        /* cancel the parked blocking sub whose block_seq is `result` (detached) */
    SUB_RESETSTAT,      /* CONFIG RESETSTAT: zero this shard's INFO counters */
    SUB_CLIENT_UNBLOCK, /* CLIENT UNBLOCK: unblock client argv[2] if it lives and blocks here */
};

/* Transaction flags of a sub-request (txflags). */
#define SUBF_TX 1       /* runs under its transaction's locks: no lock check */
#define SUBF_RELEASE 2  /* release `lock` on this shard after running */
#define SUBF_WAIT 4     /* SUB_LOCK: wait in the queue instead of failing */
#define SUBF_DETACHED 8 /* no request: the destination frees it after running */

#define PUT_REPLACE 1
#define PUT_NX 2
#define PUT_QUIET 4 /* SUB_PUT/SUB_TAKE: a key put back unchanged: no WATCH touch, no dirty */
#define PUT_TOUCH 8 /* SUB_PUT without entry: the key was deleted by the command (touch only) */

/* A watched key as the coordinator remembers it and a shard checks it. */
struct watch_key {
    int dbid;
    int shard;
    int live; /* the key existed and had not expired at WATCH time */
    uint64_t hash;
    uint64_t version; /* watch table version at WATCH time */
    size_t len;
    char *key;
};

/* One command of a transaction sent with SUB_EXEC. */
struct exec_cmd {
    const struct command *cmd;
    int argc;
    struct arg *argv;
    uint64_t *hashes;
};

struct lock_req;

struct subreq {
    struct request *req; /* parent; only the coordinator touches it */
    enum sub_op op;
    int shard; /* destination */
    int coord; /* the coordinator (where the reply goes) */
    int txflags;
    struct lock_req *lock;   /* SUB_LOCK result / what SUB_UNLOCK and SUBF_RELEASE release */
    struct lock_req *parked; /* the shard's lock request while this sub waits */
    int nlockkeys;           /* SUB_LOCK: keys and modes to lock (global: nlockkeys == -1) */
    uint64_t *lockkeys;
    unsigned char *lockmodes;
    int nwatch; /* SUB_LOCK / SUB_EXEC: watched keys to check here */
    const struct watch_key *watch;
    int watch_failed; /* set by the shard */
    int ncmds;        /* SUB_EXEC */
    const struct exec_cmd *cmds;
    size_t *reply_ends; /* SUB_EXEC: if set, where each command's reply ends in `out` */
    int dbid;
    int resp;
    int split;
    int flags;
    cmd_handler *handler;
    int argc;
    struct arg *argv;
    uint64_t *hashes;
    int64_t result;
    struct db_entry *entry; /* moved/copied entry for TAKE/DUP/PUT */
    /* blocking commands (shards/blocking.h) */
    int block_mode;         /* enum block_mode: may park on its keys */
    int block_status;       /* enum block_status once completed */
    int block_parked;       /* set by the shard while parked */
    int64_t block_deadline; /* absolute ms, 0 = none */
    uint64_t block_seq;     /* identifies it for SUB_UNBLOCK */
    /* the multi-shard transaction this part belongs to, for the log (0 = none) */
    uint64_t txn_id;
    int txn_parts;
    struct buf out;
};

struct batch {
    int from, to;
    int count, cap;
    struct subreq **items;
    struct batch *next; /* overflow queue link */
    uint64_t log_tag;   /* a reply held until the log is durable up to here */
};

struct listener {
    int fd;
    int tls; /* accepts on tls-port */
    struct shard *shard;
    char addr[64];
};

/* Per-command counters for INFO commandstats, one per command_stat_count()
 * slot (commands, then subcommands), as Redis 7 counts them: `calls` when
 * the command ran, `failed` when it ran and replied an error, `rejected`
 * when it was refused before running (arity, ACL, OOM, MISCONF, ...). */
struct command_stat {
    uint64_t calls;
    uint64_t usec;
    uint64_t failed;
    uint64_t rejected;
};

/* INFO latencystats: per command slot, a log-linear histogram of run
 * times in ns (measured in us): values below 32 exact, then 32 buckets per
 * power of two (3% wide), up to 2^40 ns; 9.3 KB. Allocated at a slot's first
 * timed call; copied behind the SUB_INFO reply for the coordinator. */
#define LAT_SUB_BITS 5
#define LAT_BUCKETS (37 << LAT_SUB_BITS)
struct latency_hist {
    uint64_t bucket[LAT_BUCKETS]; /* the count is their sum (INFO adds it up) */
};
struct latency_entry { /* one slot's histogram in the SUB_INFO reply */
    int32_t slot;
    int32_t pad;
    struct latency_hist hist;
};

/* Instantaneous rates (INFO instantaneous_*), Redis's method: every 100 ms
 * the shard cron samples a running counter; the rate is the mean of the
 * last INST_SAMPLES per-second rates. */
#define INST_SAMPLES 16
enum inst_metric_kind { INST_OPS, INST_NET_IN, INST_NET_OUT, INST_KINDS };
struct inst_metric {
    int64_t last_ms;
    uint64_t last_value;
    uint64_t rate[INST_SAMPLES];
    int idx;
};

#define MAX_ERROR_CODES 128
struct error_stat {
    char code[32];
    uint64_t count;
};

/* What a shard reports to INFO (SUB_INFO). Plain data, copied by value. */
struct shard_info {
    int shard;
    long long clients;
    long long blocked_clients; /* clients waiting in a blocking command */
    uint64_t total_connections;
    uint64_t rejected_connections;
    uint64_t net_input_bytes, net_output_bytes;
    struct shard_stats stats;
    uint64_t expired_lazy;
    uint64_t txn_waiting;  /* requests in the lock queue now */
    uint64_t txn_held;     /* transactions holding locks here now */
    uint64_t watched_keys; /* distinct keys watched here */
    int ndbs;
    long long keys[64]; /* first 64 dbs shown in INFO keyspace */
    long long expires[64];
    long long avg_ttl[64]; /* ms, estimated from a sample of the expiry vector */
    size_t db_overhead;
    size_t max_input_buffer, max_output_buffer;
    uint64_t inst[INST_KINDS]; /* per-second rates (struct inst_metric) */
    uint64_t reads_processed, writes_processed;
    long long clients_in_timeout_table; /* blocked clients with a deadline */
    size_t mem_clients_normal;          /* buffers of every client */
    uint64_t error_replies;             /* every error reply, counted or not in errstats */
    uint64_t expire_cycle_us, expire_time_cap_reached;
    /* Set by the coordinator: point into the bytes that follow this struct
     * in the SUB_INFO reply (command_count()+1 stats, then nerrstats). */
    const struct command_stat *cmdstats;
    const struct error_stat *errstats;
    int nerrstats;
    int nlatency; /* struct latency_entry records after the errstats */
};

struct shard {
    int id;
    struct server *srv;
    pthread_t thread;
    struct io_uring ring;
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
    uint64_t reads_processed, writes_processed; /* recv and send completions */
    uint64_t expired_lazy_base;                 /* lazy expirations before CONFIG RESETSTAT */
    uint64_t expire_cycle_us, expire_time_cap_reached;
    int expire_db_cursor;
    int64_t last_cron_ms;

    /* network */
    struct listener *listeners;
    int nlisteners;
    struct io_uring_buf_ring *buf_ring;
    char *buf_base;
    unsigned buf_count, buf_size, buf_mask;
    struct client *clients; /* every client of this thread */
    long long nclients;
    struct client *flush_list;  /* clients with output waiting for a send */
    struct client *resume_list; /* clients that stopped parsing and may continue */
    uint64_t total_connections, rejected_connections;
    uint64_t net_input_bytes, net_output_bytes;
    int recv_rearm_needed; /* some multishot recv ended for lack of buffers */

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
    struct snap_job *snap;       /* this shard's part of a running snapshot, else NULL */
    struct persist_shard *persist; /* persist/'s view of this shard (shards/persist_host.c) */
    struct aof_shard *aof;       /* the log state (persist/aof_log.c) */
    struct aof_shard *log;       /* == aof while logging, else NULL: what a ctx appends to */
    uint64_t log_appended;       /* log position: bytes of records appended so far */
    uint64_t log_durable;        /* output produced at or before this position may leave */
    int log_hold;                /* appendfsync always: output waits for log_durable */
    int log_failing;             /* always, and a log write or fsync failed: reads of other keys go on */
    int log_lazy;                /* records wait for a bigger write (not always): the loop sleeps 1 ms at most */
    struct client *held_clients; /* clients whose output waits for the log */
    struct batch *held_head, *held_tail; /* reply batches that wait for the log */
    struct client *internal_client;      /* sends the cuts nobody sent (dispatch_cut) */
    uint64_t next_txn_id;
};

/* Starts every shard thread; returns 0 or -1 with a message logged. */
int shards_start(struct server *srv);
/* Waits for every shard thread to exit. */
void shards_join(struct server *srv);

/* Wakes shard dst at once (one io_uring_enter) if it sleeps, with no
 * message: it runs one loop iteration (core/types/evict.c, to have it evict). */
void shard_wake(struct shard *s, int dst);
/* Used by dispatch: queue a sub-request for its destination shard. */
void shard_send_sub(struct shard *s, struct subreq *sub);
/* Runs one sub-request on this shard (local or from a batch), or parks it
 * when its keys are locked by a transaction. Returns 1 when the reply is in
 * the sub-request, 0 when it waits: the shard completes it later (through
 * dispatch_sub_done for its own requests, else by a reply batch). */
int shard_accept_sub(struct shard *s, struct subreq *sub);
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
struct latency_hist *shard_latency_hist_new(struct shard *s, ptrdiff_t slot);

static inline int latency_index(uint64_t ns)
{
    if (ns < (1u << LAT_SUB_BITS))
        return (int)ns;
    int b = 63 - __builtin_clzll(ns);
    if (b > 40)
        return LAT_BUCKETS - 1;
    return ((b - LAT_SUB_BITS + 1) << LAT_SUB_BITS) + (int)((ns >> (b - LAT_SUB_BITS)) & ((1u << LAT_SUB_BITS) - 1));
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
/* Shard cron: samples the instantaneous rates every 100 ms. */
void shard_sample_rates(struct shard *s);
/* CONFIG RESETSTAT on this shard. */
void shard_reset_stats(struct shard *s);
void shard_count_error(struct shard *s, const char *reply, size_t len);
void shard_fill_info(struct shard *s, struct shard_info *info);
/* Sets up a ctx to run on this shard. */
void shard_init_ctx(struct shard *s, struct cmd_ctx *c, int dbid, int resp, struct buf *out);
/* A sub-request that was parked (locks, blocking) is done: its reply goes to
 * its coordinator (directly when that is this shard). */
void shard_complete_late(struct shard *s, struct subreq *sub);

#endif
