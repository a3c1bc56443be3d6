/*
 * request.h - one command of a client on its way through the engine: the
 * copy of its arguments, its sub-requests on other shards, the state of a
 * multi-step command, of a transaction (EXEC) and of a blocking command;
 * and its life cycle (shards/request.c).
 *
 * Owner: the thread of the client's connection (the coordinator). Other
 * shards reach a request only through its sub-requests' buffers
 * (shards/shard.h, struct subreq), which travel over the SPSC rings and
 * come back to dispatch_sub_done; it is freed when its reply has moved to
 * the client's output and no sub-request is in flight (`pending` 0).
 */
#ifndef SHARDIS_REQUEST_H
#define SHARDIS_REQUEST_H

#include <stdint.h>

#include "core/base/buf.h"
#include "core/commands/command.h"
#include "shards/shard.h"

/* A command of a client whose reply cannot be written straight away, either
 * because it runs on other shards or because an earlier one is still pending. */
struct request {
    struct request *next;
    struct client *client;
    const struct command *cmd;
    int argc;
    struct arg *argv; /* copies owned by the request */
    uint64_t *hashes;
    int *shard_of; /* shard of each key argument, -1 otherwise */
    int dbid, resp;
    int done;
    int pending; /* sub-requests of the current step in flight */
    int step;    /* for multi-step commands */
    int nsubs;
    struct subreq *subs;    /* current step's sub-requests */
    struct subreq one_sub;  /* storage of `subs` when a step has one (the common case) */
    long long aux;          /* per-command state between steps */
    char scratch[32];       /* per-command bytes between steps (SCAN cursor) */
    char scan_count[24];    /* SCAN on the next shard: the COUNT still wanted */
    long long scan_nkeys;   /* SCAN: keys gathered from the shards visited so far */
    struct buf scan_keys;   /* SCAN: their RESP elements */
    char *pinned;           /* XREAD BLOCK across shards: bytes of the ids its '$' became (argv points here) */
    struct db_entry *entry; /* entry carried between steps (RENAME, COPY) */
    int64_t start_us;
    struct buf reply;
    int log_free; /* its reply needs no log record that is not durable (set while a log fails) */

    /* transactions (shards/txn.h, docs/architecture.md) */
    struct txn *tx;          /* locks held for this request (owned unless `parent`) */
    struct request *parent;  /* EXEC that runs this queued command */
    struct request **queued; /* EXEC: the transaction's commands, run in order */
    int nqueued;
    int next_queued;           /* EXEC: index of the command running now */
    struct watch_key *watched; /* EXEC: the client's watched keys, checked under the locks */
    int nwatched;
    struct exec_cmd *exec_cmds; /* EXEC run by SUB_EXEC: the commands, grouped by shard */
    size_t *exec_ends;          /* EXEC per shard: where each command's reply ends */
    int *exec_slot;             /* EXEC per shard: queued command i is exec_cmds[exec_slot[i]] */
    int exec_looping;           /* EXEC: exec_continue is on the stack */
    int exec_child_pending;     /* EXEC: the running command has not finished */

    /* blocking commands (shards/blocking.h) */
    int block;              /* may block: not in MULTI and the timeout parsed */
    int block_retry;        /* the gathered run found nothing: wait, then run again */
    int block_woken;        /* a registration reported data: the next gathered run is a waiter's re-run */
    int64_t block_deadline; /* absolute ms, 0 = forever */

    int silent;      /* CLIENT REPLY OFF/SKIP: the reply is dropped, not sent */
    int track_reads; /* a tracking client's: the shards record the keys of its read-only commands (tracking.h) */
    int unblocked;   /* CLIENT UNBLOCK: 1 reply the timeout, 2 the UNBLOCKED error */
};

/* ---- life cycle (shards/request.c; the client's thread only) ---- */

/* A request with copies of the arguments, not in the client's FIFO (a
 * command queued by MULTI); request_new also appends it to the FIFO. */
struct request *request_alloc(struct client *c, const struct command *cmd, int argc, const struct arg *argv);
struct request *request_new(struct client *c, const struct command *cmd, int argc, const struct arg *argv);
/* (request_free, used outside the dispatcher, is declared in dispatch.h.) */
void subs_free(struct request *r);
void watched_free(struct watch_key *w, int n);
/* The sub-requests of the next step: n of them, each running r's handler
 * on r's arguments until the caller changes them. */
struct subreq *subs_alloc(struct request *r, int n);
/* Sends every sub-request of the current step (remote ones into batches,
 * local ones run now or wait for locks). Nothing of r may be used after
 * this call: local completion may finish and free it. */
void subs_launch(struct shard *s, struct request *r);
/* One sub-request per shard holding "name key [companions]..." for its keys
 * (with_companions 0: the keys only). Returns the number of subs. */
int split_by_shard(struct request *r, const int *keypos, int nkeys, int with_companions, cmd_handler *handler,
                   struct shard *s);
struct subreq *single_sub(struct request *r, int shard, enum sub_op op, cmd_handler *handler);
/* The sub-request's own argv: name + the arguments idx[0..n) of r. */
void sub_set_args(struct subreq *sub, struct request *r, const int *idx, int n);
/* Key positions of r (every one, or each key name once). */
int all_keys(struct request *r, int *keypos, int max);
int distinct_keys(struct request *r, int *keypos);
/* Every sub-request of the current step is back: next step or finish. */
void request_step_done(struct shard *s, struct request *r);
/* The body is done: unwatch (EXEC), unlock (transaction), then finish or
 * wait for a blocking command's keys. */
void request_body_finished(struct shard *s, struct request *r);
void request_finish_or_wait(struct shard *s, struct request *r);
/* The reply is final: counts it, flushes the FIFO, may free r and c. */
void request_finish(struct request *r);
/* A paused client parses again once no barrier holds it and its backlog is
 * small. */
void client_maybe_resume(struct client *c);

#endif
