/*
 * txn_exec.c - MULTI/EXEC/DISCARD/WATCH/UNWATCH/RESET and the queueing of
 * commands between MULTI and EXEC: the client's side of a transaction.
 *
 * Thread: the client's thread. The queue (c->queued) and the watched keys
 * (c->watched) belong to the client; EXEC moves both into its request.
 *
 * EXEC runs in one of three ways:
 *   one hop    every queued command and watched key on one shard: one
 *              SUB_EXEC there runs them all and checks the watched versions
 *              (reply: the replies, or watch_failed);
 *   per shard  each command on one shard (shards may differ): a transaction
 *              (shards/txn_coordinator.c) locks every key and watched key,
 *              then one SUB_EXEC per shard runs its share in queue order and
 *              releases its locks; the replies are put back in order;
 *   in turn    otherwise: under the transaction's locks the commands run one
 *              after the other through the normal machinery (a child request
 *              each, r->parent), the client paused until the end.
 * WATCH sends SUB_WATCH to the keys' shards (reply: each key's version);
 * UNWATCH, DISCARD and the end of EXEC send detached SUB_UNWATCH.
 *
 * Invariants: a queued command was checked (arity, ACL, ...) when it was
 * queued and is counted in commandstats when EXEC runs it; the client is
 * paused from EXEC until its locks are held (a one-hop EXEC, and one run in
 * turn, to its end: a SELECT inside changes the db of the commands parsed
 * after it); watched keys are unregistered exactly once.
 */
#include <stdlib.h>
#include <string.h>

#include "core/types/evict.h"
#include "shards/dispatch_internal.h"
#include "shards/evict_pass.h"
#include "shards/pubsub.h"
#include "shards/txn.h"
#include "shards/txn_coordinator.h"

/* ---------------- WATCH ---------------- */

/* Drops the watchers registered for these keys (no reply wanted: the
 * sub-requests are detached and freed where they run). */
void unwatch_keys(struct shard *s, const struct watch_key *w, int n)
{
    for (int i = 0; i < n; i++) {
        size_t size = sizeof(struct subreq) + 2 * sizeof(struct arg) + 2 * sizeof(uint64_t) + w[i].len;
        struct subreq *sub = calloc(1, size);
        struct arg *argv = (struct arg *)(sub + 1);
        uint64_t *hashes = (uint64_t *)(argv + 2);
        char *key = (char *)(hashes + 2);
        memcpy(key, w[i].key, w[i].len);
        argv[0].ptr = "unwatch";
        argv[0].len = 7;
        argv[1].ptr = key;
        argv[1].len = w[i].len;
        hashes[0] = 0;
        hashes[1] = w[i].hash;
        sub->op = SUB_UNWATCH;
        sub->txflags = SUBF_DETACHED;
        sub->shard = w[i].shard;
        sub->coord = s->id;
        sub->dbid = w[i].dbid;
        sub->argc = 2;
        sub->argv = argv;
        sub->hashes = hashes;
        if (sub->shard == s->id) {
            shard_accept_sub(s, sub);
            free(sub);
        } else {
            shard_send_sub(s, sub);
        }
    }
}

void client_unwatch_all(struct client *c)
{
    unwatch_keys(c->shard, c->watched, c->nwatched);
    watched_free(c->watched, c->nwatched);
    c->watched = NULL;
    c->nwatched = c->watched_cap = 0;
}

void client_discard_multi(struct client *c)
{
    for (int i = 0; i < c->nqueued; i++)
        request_free(c->queued[i]);
    free(c->queued);
    c->queued = NULL;
    c->nqueued = c->queued_cap = 0;
    c->in_multi = 0;
    c->multi_dirty = 0;
}

void dispatch_client_freed(struct client *c)
{
    client_discard_multi(c);
    client_unwatch_all(c);
}

/* WATCH's registrations came back: remember the versions. */
void watch_done(struct request *r)
{
    struct client *c = r->client;
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        const struct watch_key *got = (const struct watch_key *)sub->out.data;
        for (int k = 1; k < sub->argc; k++) {
            if (c->nwatched == c->watched_cap) {
                c->watched_cap = c->watched_cap ? c->watched_cap * 2 : 8;
                c->watched = realloc(c->watched, sizeof(struct watch_key) * c->watched_cap);
            }
            struct watch_key *w = &c->watched[c->nwatched++];
            memcpy(w, &got[k - 1], sizeof(*w));
            w->shard = sub->shard;
            w->len = sub->argv[k].len;
            w->key = malloc(w->len ? w->len : 1);
            memcpy(w->key, sub->argv[k].ptr, w->len);
        }
    }
    reply_ok(&r->reply);
}

/* ---------------- EXEC ---------------- */

static void exec_start_child(struct shard *s, struct request *r, struct request *q);

/* Runs the queued commands one after the other (each may take hops);
 * a command that finishes at once continues the loop, one in flight
 * resumes it from exec_child_done. */
void exec_continue(struct shard *s, struct request *r)
{
    if (r->exec_looping)
        return;
    r->exec_looping = 1;
    while (r->next_queued < r->nqueued) {
        r->exec_child_pending = 1;
        exec_start_child(s, r, r->queued[r->next_queued]);
        if (r->exec_child_pending) {
            r->exec_looping = 0;
            return;
        }
    }
    r->exec_looping = 0;
    request_body_finished(s, r);
}

void exec_child_done(struct request *q)
{
    struct request *r = q->parent;
    struct shard *s = r->client->shard;
    subs_free(q);
    if (q->reply.len && q->reply.data[0] == '-') {
        shard_count_error(s, q->reply.data, q->reply.len);
        shard_command_stat(s, q->cmd, q->argc, q->argv)->failed++;
    }
    buf_append(&r->reply, q->reply.data, q->reply.len);
    r->queued[r->next_queued++] = NULL;
    request_free(q);
    r->exec_child_pending = 0;
    exec_continue(s, r);
}

/* The one shard all key arguments of q live on; -1 when q has no key,
 * -2 when its keys span shards or it is not a keyed command. */
static int command_shard(const struct request *q)
{
    if (q->cmd->route != ROUTE_KEYS && q->cmd->route != ROUTE_CUSTOM)
        return -2;
    int target = -1;
    for (int a = 0; a < q->argc; a++) {
        if (q->shard_of[a] < 0)
            continue;
        if (target >= 0 && target != q->shard_of[a])
            return -2;
        target = q->shard_of[a];
    }
    return target;
}

/* EXEC whose every command has its keys on one shard (shards may differ
 * between commands), under the locks: commands on different shards touch
 * different keys, so each shard runs its share at once, in queue order, in
 * one SUB_EXEC that also releases its locks; the coordinator puts the
 * replies back in order. Two round trips in all, like a cross-shard MSET. */
static void body_exec_per_shard(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    int n = r->nqueued;
    int count[MAX_THREADS] = {0}, first[MAX_THREADS], next[MAX_THREADS], sub_of[MAX_THREADS];
    int *shard_of_cmd = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        shard_of_cmd[i] = command_shard(r->queued[i]);
        count[shard_of_cmd[i]]++;
    }
    int groups = 0, at = 0;
    for (int k = 0; k < tx->nused; k++) {
        int sh = tx->order[k];
        if (!count[sh])
            continue;
        first[sh] = next[sh] = at;
        at += count[sh];
        sub_of[sh] = groups++;
    }
    r->exec_cmds = calloc(n, sizeof(struct exec_cmd));
    r->exec_ends = calloc(n, sizeof(size_t));
    r->exec_slot = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        struct request *q = r->queued[i];
        int slot = next[shard_of_cmd[i]]++;
        r->exec_cmds[slot] = (struct exec_cmd){q->cmd, q->argc, q->argv, q->hashes};
        r->exec_slot[i] = slot;
        shard_command_stat(s, q->cmd, q->argc, q->argv)->calls++;
    }
    struct subreq *subs = subs_alloc(r, groups);
    for (int k = 0; k < tx->nused; k++) {
        int sh = tx->order[k];
        if (!count[sh])
            continue;
        struct subreq *sub = &subs[sub_of[sh]];
        sub->shard = sh;
        sub->op = SUB_EXEC;
        sub->cmds = &r->exec_cmds[first[sh]];
        sub->ncmds = count[sh];
        sub->reply_ends = &r->exec_ends[first[sh]];
    }
    free(shard_of_cmd);
    tx->release_with_body = 1;
    r->aux = CUSTOM_EXEC_PER_SHARD;
    subs_launch(s, r);
}

static void body_exec(struct shard *s, struct request *r)
{
    reply_array(&r->reply, r->nqueued);
    exec_continue(s, r);
}

/* The SUB_EXEC of a one-hop EXEC is back: its replies, or nil when a
 * watched key changed. */
void exec_reply_one_hop(struct shard *s, struct request *r, struct buf *out)
{
    struct subreq *sub = &r->subs[0];
    if (sub->watch_failed) {
        s->stats.txn_watch_aborts++;
        reply_null_array(out, r->resp);
    } else {
        reply_array(out, r->nqueued);
        buf_append(out, sub->out.data, sub->out.len);
    }
}

/* Each shard of a per-shard EXEC wrote its commands' replies in queue
 * order; put them back in the transaction's order. */
void exec_reply_per_shard(const struct request *r, struct buf *out)
{
    reply_array(out, r->nqueued);
    for (int i = 0; i < r->nqueued; i++) {
        int slot = r->exec_slot[i];
        for (int g = 0; g < r->nsubs; g++) {
            const struct subreq *sub = &r->subs[g];
            int first = (int)(sub->cmds - r->exec_cmds);
            if (slot < first || slot >= first + sub->ncmds)
                continue;
            size_t from = slot == first ? 0 : r->exec_ends[slot - 1];
            buf_append(out, sub->out.data + from, r->exec_ends[slot] - from);
            break;
        }
    }
}

/* Runs one command of an EXEC (q, queued by MULTI) under the EXEC's locks. */
static void exec_start_child(struct shard *s, struct request *r, struct request *q)
{
    struct client *c = r->client;
    const struct command *cmd = q->cmd;
    q->parent = r;
    q->tx = r->tx;
    q->dbid = c->dbid; /* SELECT earlier in the transaction applies */
    q->resp = c->resp;
    shard_command_stat(s, cmd, q->argc, q->argv)->calls++;
    s->stats.commands += cmd->route == ROUTE_LOCAL;
    if (!key_groups_ok(cmd, q->argc)) { /* MSET a 1 b queued: its error is its reply */
        reply_wrong_arity(&q->reply, cmd->name, strlen(cmd->name));
        request_finish(q);
        return;
    }
    if (cmd->engine == ENGINE_PUBSUB) {
        pubsub_exec_child(s, q);
        return;
    }
    if (cmd->route == ROUTE_LOCAL) {
        const char *err;
        char msg[200];
        const struct command *subcmd =
            cmd->subcommands && q->argc >= 2 ? command_lookup_sub(cmd, q->argv[1].ptr, q->argv[1].len) : NULL;
        enum custom_kind kind = local_custom_kind(cmd, subcmd, q->argc, q->argv, &err, msg, sizeof(msg));
        if (err) {
            reply_error(&q->reply, err);
        } else if (kind != CUSTOM_NONE) {
            custom_start(s, q, kind);
            return;
        } else {
            struct cmd_ctx ctx;
            shard_init_ctx(s, &ctx, q->dbid, q->resp, &q->reply);
            ctx.argc = q->argc;
            ctx.argv = q->argv;
            ctx.cmd = cmd;
            ctx.client = c;
            uint64_t dirty = s->stats.dirty;
            if (evict_command_allowed(&ctx))
                cmd->handler(&ctx);
            effect_log_command(&ctx, dirty);
        }
        request_finish(q);
        return;
    }
    if (cmd->route == ROUTE_ALL) {
        fan_out(s, q);
        return;
    }
    if (sort_reads_patterns(s, cmd, q->argc, q->argv)) { /* under the EXEC's global part */
        custom_start(s, q, CUSTOM_SORT);
        return;
    }
    int target = command_shard(q), multi = target == -2;
    if (target == -1) { /* keyless (SCAN): the cursor names the shard */
        int *keypos = malloc(sizeof(int) * q->argc);
        uint64_t *h = malloc(sizeof(uint64_t) * q->argc);
        int *sh = malloc(sizeof(int) * q->argc);
        route_keys(s, cmd, q->argc, q->argv, keypos, h, sh, &target, &multi);
        free(keypos);
        free(h);
        free(sh);
    }
    request_route_keys(s, q, target, multi);
}

/* EXEC: every key of the queued commands and of WATCH on one shard runs in
 * one hop (SUB_EXEC); otherwise a transaction locks them all first. */
static void exec_start(struct shard *s, struct request *r)
{
    /* One hop when every command and every watched key is on one shard;
     * per shard when each command is on one shard. */
    int one = -1, one_hop = 1, per_shard = r->nqueued > 0;
    for (int i = 0; i < r->nqueued; i++) {
        int sh = command_shard(r->queued[i]);
        const struct request *q = r->queued[i];
        if (sh < 0 || sort_reads_patterns(s, q->cmd, q->argc, q->argv))
            one_hop = per_shard = 0;
        else if (one < 0)
            one = sh;
        else if (one != sh)
            one_hop = 0;
    }
    for (int i = 0; i < r->nwatched && one_hop; i++) {
        if (one < 0)
            one = r->watched[i].shard;
        else if (one != r->watched[i].shard)
            one_hop = 0;
    }
    if (r->nqueued == 0 && r->nwatched == 0) {
        reply_array(&r->reply, 0);
        request_body_finished(s, r);
        return;
    }
    if (one_hop && one >= 0) {
        s->stats.txn_single_shard++;
        r->exec_cmds = calloc(r->nqueued ? r->nqueued : 1, sizeof(struct exec_cmd));
        for (int i = 0; i < r->nqueued; i++) {
            struct request *q = r->queued[i];
            r->exec_cmds[i] = (struct exec_cmd){q->cmd, q->argc, q->argv, q->hashes};
            shard_command_stat(s, q->cmd, q->argc, q->argv)->calls++;
        }
        r->aux = CUSTOM_EXEC_ONE_HOP;
        struct subreq *sub = single_sub(r, one, SUB_EXEC, NULL);
        sub->ncmds = r->nqueued;
        sub->cmds = r->exec_cmds;
        sub->nwatch = r->nwatched;
        sub->watch = r->watched;
        subs_launch(s, r);
        return;
    }
    struct txn *tx = txn_new(s->srv->nshards);
    for (int i = 0; i < r->nqueued; i++) {
        struct request *q = r->queued[i];
        if (q->cmd->route == ROUTE_ALL || sort_reads_patterns(s, q->cmd, q->argc, q->argv)) {
            txn_add_global(tx);
            tx->writes |= (q->cmd->flags & CMD_WRITE) != 0;
            continue;
        }
        int *keypos = malloc(sizeof(int) * (q->argc + 1));
        int n = command_key_positions(q->cmd, q->argc, q->argv, keypos, q->argc);
        txn_add_command(tx, q, keypos, n);
        free(keypos);
    }
    for (int i = 0; i < r->nwatched; i++)
        txn_add_watch(tx, &r->watched[i]);
    tx->hold_barrier = !per_shard; /* a SELECT inside changes the db of the commands parsed after it */
    txn_begin(s, r, tx, per_shard ? body_exec_per_shard : body_exec);
}

/* Whether the client's open transaction queued a write command. */
int queued_write(const struct client *c)
{
    for (int i = 0; c->in_multi && i < c->nqueued; i++)
        if (c->queued[i]->cmd->flags & CMD_WRITE)
            return 1;
    return 0;
}

/* MULTI, EXEC, DISCARD, WATCH, UNWATCH and queueing inside MULTI. Returns 1
 * when the command was handled here. */
int dispatch_multi(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    enum cmd_engine h = cmd->engine;
    if (c->in_multi && !runs_inside_multi(cmd)) {
        if (cmd->flags & CMD_NO_MULTI) {
            shard_command_stat(s, cmd, argc, argv)->rejected++;
            c->multi_dirty = 1;
            dispatch_reply_error(c, "ERR Command not allowed inside a transaction");
            return 1;
        }
        struct request *q = request_alloc(c, cmd, argc, argv);
        int *keypos = malloc(sizeof(int) * (argc + 1));
        int target, multi;
        if (cmd->route == ROUTE_KEYS || cmd->route == ROUTE_CUSTOM)
            route_keys(s, cmd, argc, argv, keypos, q->hashes, q->shard_of, &target, &multi);
        free(keypos);
        if (c->nqueued == c->queued_cap) {
            c->queued_cap = c->queued_cap ? c->queued_cap * 2 : 8;
            c->queued = realloc(c->queued, sizeof(*c->queued) * c->queued_cap);
        }
        c->queued[c->nqueued++] = q;
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_simple(out, "QUEUED");
        reply_ready(c, req, out, before);
        return 1;
    }
    if (h == ENGINE_MULTI) {
        if (c->in_multi) {
            dispatch_reply_error(c, "ERR MULTI calls can not be nested");
            return 1;
        }
        c->in_multi = 1;
    } else if (h == ENGINE_DISCARD) {
        if (!c->in_multi) {
            dispatch_reply_error(c, "ERR DISCARD without MULTI");
            return 1;
        }
        client_discard_multi(c);
        client_unwatch_all(c);
    } else if (h == ENGINE_UNWATCH) {
        client_unwatch_all(c);
    } else if (h == ENGINE_RESET) {
        client_discard_multi(c);
        client_unwatch_all(c);
        return 0; /* RESET itself runs inline */
    } else if (h == ENGINE_WATCH) {
        if (c->in_multi) {
            dispatch_reply_error(c, "ERR WATCH inside MULTI is not allowed");
            return 1;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        int *keypos = malloc(sizeof(int) * argc);
        int target, multi;
        int n = route_keys(s, cmd, argc, argv, keypos, r->hashes, r->shard_of, &target, &multi);
        split_by_shard(r, keypos, n, 0, NULL, s);
        free(keypos);
        for (int i = 0; i < r->nsubs; i++)
            r->subs[i].op = SUB_WATCH;
        r->aux = CUSTOM_WATCH;
        c->paused = 1; /* a pipelined EXEC must see these keys watched */
        c->barrier = r;
        subs_launch(s, r);
        return 1;
    } else if (h == ENGINE_EXEC) {
        if (!c->in_multi) {
            dispatch_reply_error(c, "ERR EXEC without MULTI");
            return 1;
        }
        if (c->multi_dirty) {
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
            return 1;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        r->queued = c->queued;
        r->nqueued = c->nqueued;
        r->watched = c->watched;
        r->nwatched = c->nwatched;
        if (!r->queued)
            r->queued = calloc(1, sizeof(*r->queued)); /* marks r as an EXEC */
        c->queued = NULL;
        c->nqueued = c->queued_cap = 0;
        c->watched = NULL;
        c->nwatched = c->watched_cap = 0;
        c->in_multi = 0;
        c->paused = 1; /* barrier: the transaction runs before anything later */
        c->barrier = r;
        exec_start(s, r);
        return 1;
    } else {
        return 0;
    }
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    reply_ok(out);
    reply_ready(c, req, out, before);
    return 1;
}
