/*
 * dispatch_internal.h - what the dispatcher's files share; nothing outside
 * them includes it:
 *   dispatch.c         the entry point (dispatch_command): checks, the inline
 *                      fast path, routing by key shard;
 *   request.c          the life cycle of a request and its sub-requests
 *                      (shards/request.h);
 *   merge.c            one reply from the replies of several shards;
 *   multistep.c        cross-shard multi-step commands, SCAN, every-shard
 *                      keyless commands (INFO ...);
 *   block_wait.c       a blocking command whose keys span shards;
 *   txn_coordinator.c  the locking protocol of cross-shard transactions
 *                      (shards/txn_coordinator.h);
 *   txn_exec.c         MULTI queueing, WATCH, EXEC.
 *
 * Thread: everything here runs on the thread that owns the client (the
 * coordinator of its requests). Other threads are reached only through
 * sub-requests (shards/shard.h: shard_send_sub, dispatch_sub_done).
 */
#ifndef SHARDIS_DISPATCH_INTERNAL_H
#define SHARDIS_DISPATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/util.h"
#include "core/commands/command.h"
#include "shards/dispatch.h"
#include "shards/request.h"
#include "shards/shard.h"

/* A client stops parsing when this many requests are pending. */
#define MAX_PENDING_PER_CLIENT 512

/* r->aux: which multi-step machinery drives a request (CUSTOM_NONE: one
 * step, replies merged as the command table says). */
enum custom_kind {
    CUSTOM_NONE,
    CUSTOM_SCAN,
    CUSTOM_MSETNX,
    CUSTOM_RENAME,
    CUSTOM_RENAMENX,
    CUSTOM_COPY,
    CUSTOM_GATHER,
    CUSTOM_INFO,
    CUSTOM_CLIENT_LIST,
    CUSTOM_CLIENT_KILL,
    CUSTOM_RESETSTAT,
    CUSTOM_CLIENT_UNBLOCK,
    CUSTOM_WATCH,
    CUSTOM_EXEC_ONE_HOP,
    CUSTOM_EXEC_PER_SHARD,
    CUSTOM_BLOCK_WAIT,
    CUSTOM_PUBSUB,  /* Pub/Sub registrations, PUBLISH, PUBSUB queries (shards/pubsub.c) */
    CUSTOM_SORT,    /* SORT with BY/GET patterns: gathers the keys they name (behind the global barrier) */
    CUSTOM_SCRIPT,  /* a script hop to the shard of its keys (shards/script.c) */
    CUSTOM_TRACKING /* CLIENT TRACKING: redirect lookup, BCAST prefixes (shards/tracking.c) */
};

/* ---- dispatch.c ---- */

/* An error reply: errorstats, and a failed call when the command ran. */
void dispatch_reply_counts_error(struct client *c, const struct buf *out, size_t before);
/* INFO, CLIENT LIST/KILL/UNBLOCK and CONFIG RESETSTAT need every shard
 * (subcmd: the subcommand's table entry or NULL); *err is set for bad
 * CLIENT arguments. CUSTOM_NONE: the command runs inline. */
int local_custom_kind(const struct command *cmd, const struct command *subcmd, int argc, const struct arg *argv,
                      const char **err, char *msg, size_t msglen);
/* Routes a keyed request whose hashes and shards are filled in. */
void request_route_keys(struct shard *s, struct request *r, int target, int multi);
/* One sub-request per shard, each running r's command. */
void fan_out(struct shard *s, struct request *r);
/* The kind of a ROUTE_CUSTOM command whose keys span shards (its engine). */
enum custom_kind custom_kind_of(const struct command *cmd);
/* SORT/SORT_RO whose BY/GET patterns name keys, with several shards: it
 * runs as CUSTOM_SORT behind a global lock (dispatch, EXEC). */
int sort_reads_patterns(const struct shard *s, const struct command *cmd, int argc, const struct arg *argv);
/* The body of a multi-step command's transaction. */
void body_custom(struct shard *s, struct request *r);

/* Where a reply that is ready now goes: straight to the output when nothing
 * is pending before it, else a finished request keeps it in order. */
static inline struct buf *reply_target(struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                                       struct request **req)
{
    *req = NULL;
    if (!c->req_head)
        return &c->conn.out;
    *req = request_new(c, cmd, argc, argv);
    return &(*req)->reply;
}

/* Inlined: every inline command's reply passes here. */
static inline __attribute__((always_inline)) void reply_ready(struct client *c, struct request *req, struct buf *out,
                                                              size_t before)
{
    if (out->len > before && out->data[before] == '-')
        dispatch_reply_counts_error(c, out, before);
    if (__builtin_expect(c->reply_silent, 0))
        out->len = before; /* CLIENT REPLY OFF/SKIP */
    if (req) {
        req->silent = c->reply_silent; /* CLIENT REPLY ON may have changed it */
        req->done = 1;
        c->npending--;
        client_flush_done_requests(c);
    } else {
        client_want_flush(c);
    }
}

/* Hashes the key arguments once: keypos, hashes[argc], shard_of[argc].
 * Inlined: it is on every command's path (a call costs ~70 instructions of
 * argument passing and register saving per command, measured with
 * callgrind).
 * Returns the number of keys; *target is the shard of the first key (or of
 * SCAN's cursor, or this shard), *multi whether keys span shards. */
static inline __attribute__((always_inline)) int route_keys(struct shard *s, const struct command *cmd, int argc,
                                                            const struct arg *argv, int *keypos, uint64_t *hashes,
                                                            int *shard_of, int *target, int *multi)
{
    int nshards = s->srv->nshards;
    int nkeys = command_key_positions(cmd, argc, argv, keypos, argc);
    *target = -1;
    *multi = 0;
    for (int i = 0; i < argc; i++) {
        hashes[i] = 0;
        shard_of[i] = -1;
    }
    for (int k = 0; k < nkeys; k++) {
        int p = keypos[k];
        hashes[p] = key_hash(argv[p].ptr, argv[p].len);
        shard_of[p] = nshards == 1 ? 0 : key_shard(argv[p].ptr, argv[p].len, hashes[p], nshards);
        if (*target < 0)
            *target = shard_of[p];
        else if (*target != shard_of[p])
            *multi = 1;
    }
    if (nkeys == 0) {
        *target = s->id;
        if (cmd->engine == ENGINE_SCAN && argc >= 2) { /* the cursor names the shard */
            unsigned long long cursor;
            if (string2ull(argv[1].ptr, argv[1].len, &cursor) && (int)(cursor & (MAX_THREADS - 1)) < nshards)
                *target = (int)(cursor & (MAX_THREADS - 1));
        }
    }
    return nkeys;
}

/* MSET, MSETNX: the keys and their values come in whole groups (a run-time
 * check in Redis, "wrong number of arguments"); split_by_shard needs it. */
static inline int key_groups_ok(const struct command *cmd, int argc)
{
    return !(cmd->last_key == -1 && cmd->key_step > 1 && (argc - cmd->first_key) % cmd->key_step != 0);
}

/* ---- merge.c ---- */

/* The reply of a one-step request from its sub-replies (command's `merge`). */
void merge_replies(struct request *r, struct buf *out);

/* ---- multistep.c ---- */

/* Starts the first step of kind; custom_continue takes the next one when a
 * step is back and returns 1 when the reply is written. */
void custom_start(struct shard *s, struct request *r, enum custom_kind kind);
int custom_continue(struct shard *s, struct request *r);
/* ---- block_wait.c ---- */

/* Blocking across shards: wait on every shard of r's keys; call back the
 * registrations still parked (r may be freed on return); the id of a
 * registration. */
void block_wait_start(struct shard *s, struct request *r);
void block_cancel_parked(struct shard *s, struct request *r);
uint64_t next_block_seq(struct shard *s);
/* Every registration is back: run again, or reply the timeout (1). */
int block_wait_done(struct shard *s, struct request *r, struct buf *out);

/* ---- txn_exec.c ---- */

/* Commands that run at once even between MULTI and EXEC (Redis's list). */
static inline int runs_inside_multi(const struct command *cmd)
{
    return (cmd->flags & CMD_RUNS_IN_MULTI) != 0;
}

/* MULTI, EXEC, DISCARD, WATCH, UNWATCH, RESET: carried out by dispatch_multi. */
static inline int is_transaction_command(const struct command *cmd)
{
    return cmd->engine >= ENGINE_MULTI && cmd->engine <= ENGINE_RESET;
}

/* MULTI, EXEC, DISCARD, WATCH, UNWATCH and queueing inside MULTI. Returns 1
 * when the command was handled here. */
int dispatch_multi(struct client *c, const struct command *cmd, int argc, const struct arg *argv);
/* Whether the client's open transaction queued a write command. */
int queued_write(const struct client *c);
void client_discard_multi(struct client *c);
void client_unwatch_all(struct client *c);
/* Drops the watchers registered for these keys (detached SUB_UNWATCH). */
void unwatch_keys(struct shard *s, const struct watch_key *w, int n);
/* WATCH's registrations came back: remember the versions. */
void watch_done(struct request *r);
/* EXEC run in turn: the next queued command; a queued command finished. */
void exec_continue(struct shard *s, struct request *r);
void exec_child_done(struct request *q);
/* The final replies of a one-hop and of a per-shard EXEC. */
void exec_reply_one_hop(struct shard *s, struct request *r, struct buf *out);
void exec_reply_per_shard(const struct request *r, struct buf *out);

#endif
