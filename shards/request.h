/*
 * request.h - one command of a client on its way through the engine: the
 * copy of its arguments, its sub-requests on other shards, the state of a
 * multi-step command, of a transaction (EXEC) and of a blocking command.
 *
 * Owner: the thread of the client's connection. Other shards reach a request
 * only through its sub-requests' buffers (shards/shard.h, struct subreq);
 * it is freed when its reply has moved to the client's output and no
 * sub-request is in flight (`pending` 0).
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
    int64_t block_deadline; /* absolute ms, 0 = forever */

    int silent;    /* CLIENT REPLY OFF/SKIP: the reply is dropped, not sent */
    int unblocked; /* CLIENT UNBLOCK: 1 reply the timeout, 2 the UNBLOCKED error */
};

#endif
