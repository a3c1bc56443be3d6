/*
 * mailbox.h - what shard threads send each other: sub-requests, grouped in
 * batches, over the N x N SPSC rings (shards/ring.h), and the wake-ups of
 * threads that sleep.
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
 *
 * Owner: a batch belongs to the thread that holds it: its coordinator while
 * it is built and after it came back, its destination in between. A
 * sub-request's `req` is only touched by the coordinator.
 */
#ifndef SHARDIS_MAILBOX_H
#define SHARDIS_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/commands/command.h"

struct shard;
struct request;
struct lock_req;

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
    SUB_PUBSUB,         /* Pub/Sub: register, remove, publish, deliver, list (shards/pubsub.h; `flags`) */
    SUB_TRACKING,       /* client-side caching: invalidations, prefixes, redirect lookup (shards/tracking.h) */
};

/* Transaction flags of a sub-request (txflags). */
#define SUBF_TX 1         /* runs under its transaction's locks: no lock check */
#define SUBF_RELEASE 2    /* release `lock` on this shard after running */
#define SUBF_WAIT 4       /* SUB_LOCK: wait in the queue instead of failing */
#define SUBF_DETACHED 8   /* no request: the destination frees it after running */
#define SUBF_SYNC 16      /* a script's call under the global barrier: its coordinator waits for it (shards/script.c) */
#define SUBF_SYNC_DONE 32 /* set when a SUBF_SYNC sub-request is back */
#define SUBF_NO_OOM 64    /* a script's call that maxmemory does not stop (allow-oom, or it wrote already) */

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
    const struct command *cmd; /* SUB_HANDLER: the command run, when not the request's (a script's call) */
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
    /* the client that sent it (NOLOOP), and whether the keys of its
     * read-only commands are recorded for that client's tracking */
    uint64_t client_id;
    int track_reads;
    struct buf out;
};

struct batch {
    int from, to;
    int count, cap;
    struct subreq **items;
    struct batch *next; /* overflow queue link */
    uint64_t log_tag;   /* a reply held until the log is durable up to here */
};

/* Used by dispatch: queue a sub-request for its destination shard. */
void shard_send_sub(struct shard *s, struct subreq *sub);
/* Wakes shard dst at once (one io_uring_enter) if it sleeps, with no
 * message: it runs one loop iteration (core/types/evict.c, to have it evict). */
void shard_wake(struct shard *s, int dst);
/* A sub-request that was parked (locks, blocking) is done: its reply goes to
 * its coordinator (directly when that is this shard). */
void shard_complete_late(struct shard *s, struct subreq *sub);

/* Loop steps (shard.c): runs the sub-requests of the batches other shards
 * sent and completes the ones that came back; pushes this iteration's
 * batches and wakes their sleeping destinations (pushed: per destination,
 * whether something was pushed, reset here); whether no batch waits in an
 * inbound ring (before sleeping). */
void mailbox_drain_inbound(struct shard *s, unsigned char *pushed);
void mailbox_flush_outgoing(struct shard *s, unsigned char *pushed);
int mailbox_inbound_empty(struct shard *s);

#endif
