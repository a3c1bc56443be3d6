/*
 * dispatch.c - the one entry point of a parsed command (dispatch_command):
 * lookup, arity, protected commands, AUTH/ACL, OOM, MISCONF and log-failure
 * refusals, commandstats; then the route:
 *   - the fast path: every key on this shard, nothing pending before it, no
 *     lock on its keys: the handler runs inline and writes straight into
 *     the client's output (no copy, no allocation);
 *   - otherwise a struct request (arguments copied, shards/request.c) goes
 *     to the shard of its keys, is split over shards, fans out to every
 *     shard (ROUTE_ALL), or runs as a multi-step command (multistep.c);
 *   - keys spanning shards, and commands that change the whole keyspace
 *     (CMD_GLOBAL_BARRIER), run as a transaction (txn_coordinator.c): their
 *     keys (or every shard) are locked first, so multi-key commands are
 *     atomic against other clients;
 *   - MULTI/EXEC/WATCH and queueing go to txn_exec.c.
 * Behaviour beyond the route is chosen by the command table (flags and
 * `engine`, core/commands/command.h), never by comparing handlers.
 *
 * Thread: the thread that owns the client (the coordinator). Other shards
 * are reached only through sub-requests (batches over the SPSC rings,
 * shards/shard.h); their replies come back to dispatch_sub_done.
 *
 * Ordering: sub-requests of one client to one shard travel in one FIFO ring,
 * so they run in the order sent; replies leave in request order because only
 * the head of the client's request FIFO writes to the output. A command that
 * needs several round trips pauses the client (barrier) until its locks are
 * held, so a later command cannot overtake it.
 */
#include "shards/dispatch.h"
#include "core/commands/command_rename.h"
#include "persist/aof_log.h"
#include "security/acl.h"
#include "shards/client_acl.h"
#include "shards/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/commands/command_rename.h"
#include "core/types/evict.h"
#include "persist/aof_log.h"
#include "persist/snapshot.h"
#include "security/acl.h"
#include "shards/blocking.h"
#include "shards/client_acl.h"
#include "shards/dispatch_internal.h"
#include "shards/engine_commands.h"
#include "shards/evict_pass.h"
#include "shards/pubsub.h"
#include "shards/request.h"
#include "shards/script.h"

#include "shards/tracking.h"
#include "shards/txn.h"
#include "shards/txn_coordinator.h"

static void reply_unknown_command(struct buf *out, int argc, const struct arg *argv)
{
    struct buf msg = {0};
    char head[200];
    snprintf(head, sizeof(head),
             "ERR unknown command '%.*s', with args beginning with: ", (int)(argv[0].len > 128 ? 128 : argv[0].len),
             argv[0].ptr);
    buf_append_str(&msg, head);
    for (int i = 1; i < argc && msg.len < 128; i++) {
        snprintf(head, sizeof(head), "'%.*s' ", (int)(argv[i].len > 128 ? 128 : argv[i].len), argv[i].ptr);
        buf_append_str(&msg, head);
    }
    buf_append_byte(&msg, '\0');
    reply_error(out, msg.data);
    buf_free(&msg);
}

/* An error reply: errorstats, and a failed call when the command ran. */
__attribute__((noinline, cold)) void dispatch_reply_counts_error(struct client *c, const struct buf *out, size_t before)
{
    shard_count_error(c->shard, out->data + before, out->len - before);
    if (c->shard->running_stat) /* the command ran and failed (else: rejected) */
        c->shard->running_stat->failed++;
}

void dispatch_reply_error(struct client *c, const char *msg)
{
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    reply_error(out, msg);
    reply_ready(c, req, out, before);
}

static void run_inline(struct shard *s, struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                       const uint64_t *hashes, int with_client)
{
    struct request *req;
    struct buf *out = reply_target(c, cmd, argc, argv, &req);
    size_t before = out->len;
    struct cmd_ctx ctx;
    shard_init_ctx(s, &ctx, c->dbid, c->resp, out);
    ctx.argc = argc;
    ctx.argv = argv;
    ctx.hashes = hashes;
    ctx.cmd = cmd;
    ctx.client = with_client ? c : NULL;
    int64_t t0 = monotonic_us();
    uint64_t dirty = s->stats.dirty;
    /* A failing log (appendfsync always): a read of durable keys only does
     * not wait for it (see aof_read_is_durable). */
    int durable_read = __builtin_expect(s->log_failing, 0) && aof_read_is_durable(s->persist, cmd, argc, argv);
    uint64_t appended = s->log_appended, tag = c->log_tag;
    s->tracking_writer = c->id; /* NOLOOP (shards/tracking.c) */
    if (evict_command_allowed(&ctx))
        cmd->handler(&ctx);
    s->tracking_writer = 0;
    effect_log_command(&ctx, dirty);
    /* run_inline runs only the command dispatch_command counted: its stats
     * slot is s->running_stat. */
    shard_command_time(s, s->running_stat ? s->running_stat : shard_command_stat(s, cmd, argc, argv),
                       monotonic_us() - t0);
    s->stats.commands++;
    if (blocking_active(s->blocks)) {
        blocking_signal_command(s, c->dbid, cmd, argc, argv, hashes);
        blocking_serve(s);
    }
    durable_read &= s->log_appended == appended;
    if (durable_read && req)
        req->log_free = 1;
    reply_ready(c, req, out, before);
    if (durable_read)
        c->log_tag = tag; /* what it wrote needs nothing newer than what was there */
}

/* A blocking command outside MULTI: its deadline from the timeout argument
 * (the count-of-keys forms have it first, the others last). A bad timeout
 * does not block: the handler replies the error. */
static void block_prepare(struct shard *s, struct request *r)
{
    long long ms;
    if (r->cmd->flags & CMD_BLOCK_STREAM) { /* XREAD ... BLOCK ms: blocks only with the option */
        if (xread_block_timeout(r->argc, r->argv, &ms) <= 0)
            return;
    } else {
        const struct arg *t = r->cmd->keynum_arg ? &r->argv[1] : &r->argv[r->argc - 1];
        if (parse_block_timeout(t, &ms))
            return;
    }
    r->block = 1;
    /* A deadline past the end of time (Redis's sum would overflow) is forever. */
    r->block_deadline = ms == 0 ? 0 : ms > INT64_MAX - s->now_ms ? INT64_MAX : s->now_ms + ms;
}

/* INFO, CLIENT LIST/KILL/UNBLOCK and CONFIG RESETSTAT need every shard
 * (the engine of the command's table entry, or of its subcommand's: subcmd
 * is the subcommand's entry or NULL); other local commands run inline. Sets
 * *err to Redis's error text for bad CLIENT arguments, checked once here so
 * every shard sees valid ones. */
int local_custom_kind(const struct command *cmd, const struct command *subcmd, int argc, const struct arg *argv,
                      const char **err, char *msg, size_t msglen)
{
    *err = NULL;
    switch ((subcmd ? subcmd : cmd)->engine) {
    case ENGINE_INFO:
        return CUSTOM_INFO;
    case ENGINE_CLIENT_LIST:
        *err = client_list_check(argc, argv, msg, msglen);
        return CUSTOM_CLIENT_LIST;
    case ENGINE_CLIENT_KILL:
        *err = client_kill_check(argc, argv, msg, msglen);
        return CUSTOM_CLIENT_KILL;
    case ENGINE_CLIENT_UNBLOCK:
        *err = client_unblock_check(argc, argv, msg, msglen);
        return CUSTOM_CLIENT_UNBLOCK;
    case ENGINE_CLIENT_TRACKING:
        return CUSTOM_TRACKING;
    case ENGINE_RESETSTAT:
        return CUSTOM_RESETSTAT;
    default:
        return CUSTOM_NONE;
    }
}

/* The kind of a ROUTE_CUSTOM command whose keys span shards (its engine). */
enum custom_kind custom_kind_of(const struct command *cmd)
{
    switch (cmd->engine) {
    case ENGINE_MSETNX:
        return CUSTOM_MSETNX;
    case ENGINE_RENAME:
        return CUSTOM_RENAME;
    case ENGINE_RENAMENX:
        return CUSTOM_RENAMENX;
    case ENGINE_COPY:
        return CUSTOM_COPY;
    case ENGINE_SORT: /* also gathers the keys its patterns name */
        return CUSTOM_SORT;
    default:
        return CUSTOM_GATHER;
    }
}

int sort_reads_patterns(const struct shard *s, const struct command *cmd, int argc, const struct arg *argv)
{
    return cmd->engine == ENGINE_SORT && s->srv->nshards > 1 && sort_needs_pattern_keys(argc, argv);
}

void body_custom(struct shard *s, struct request *r)
{
    custom_start(s, r, custom_kind_of(r->cmd));
}

static void body_sort(struct shard *s, struct request *r)
{
    custom_start(s, r, CUSTOM_SORT);
}

static void body_keys(struct shard *s, struct request *r)
{
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = all_keys(r, keypos, r->argc);
    r->tx->release_with_body = 1;
    split_by_shard(r, keypos, n, 1, r->cmd->handler, s);
    free(keypos);
    subs_launch(s, r);
}

void fan_out(struct shard *s, struct request *r)
{
    int n = s->srv->nshards;
    struct subreq *subs = subs_alloc(r, n);
    for (int i = 0; i < n; i++)
        subs[i].shard = i;
    subs_launch(s, r);
}

static void body_all(struct shard *s, struct request *r)
{
    r->tx->release_with_body = 1;
    fan_out(s, r);
}

/* A cut claimed without a client (a save rule, BGSAVE SCHEDULE, an automatic
 * or scheduled log rewrite, CONFIG SET appendonly yes): the shard's internal
 * client (fd -1, in no client list) sends BGSAVE or BGREWRITEAOF behind the
 * same global barrier as a client's, without the prepare step (the cron
 * claimed the slot). Its replies are dropped in request_finish. */
void dispatch_cut(struct shard *s, const char *command)
{
    struct client *c = s->internal_client;
    const struct command *cmd = command_lookup(command, strlen(command));
    struct arg argv[1] = {{command, strlen(command)}};
    struct request *r = request_new(c, cmd, 1, argv);
    struct txn *tx = txn_new(s->srv->nshards);
    txn_add_global(tx);
    txn_begin(s, r, tx, body_all);
}

/* Commands that change the whole keyspace run behind a global barrier. */
static int needs_barrier(const struct command *cmd)
{
    return (cmd->flags & CMD_GLOBAL_BARRIER) != 0;
}

/* Routes a keyed request whose hashes and shards are filled in: one shard,
 * split over shards, or a multi-step command; outside a transaction a
 * command whose keys span shards becomes one. */
void request_route_keys(struct shard *s, struct request *r, int target, int multi)
{
    struct client *c = r->client;
    if (!multi) {
        if (r->cmd->engine == ENGINE_SCAN && s->srv->nshards > 1) {
            r->shard_of[0] = target; /* argv[0] is never a key: its slot carries SCAN's shard */
            custom_start(s, r, CUSTOM_SCAN);
            return;
        }
        struct subreq *sub = subs_alloc(r, 1);
        sub->shard = target;
        if (r->block) {
            /* Parks on its shard when its keys are empty; the client reads
             * nothing more until it is served or times out. */
            sub->block_mode = BLOCK_RUN;
            sub->block_deadline = r->block_deadline;
            sub->block_seq = next_block_seq(s);
            c->paused = 1;
            c->barrier = r;
            c->blocked = r;
        }
        subs_launch(s, r);
        return;
    }
    int route_keys_body = r->cmd->route == ROUTE_KEYS;
    if (r->tx) { /* inside EXEC: the locks are held already */
        if (route_keys_body) {
            int *keypos = malloc(sizeof(int) * r->argc);
            int n = all_keys(r, keypos, r->argc);
            split_by_shard(r, keypos, n, 1, r->cmd->handler, s);
            free(keypos);
            subs_launch(s, r);
        } else {
            custom_start(s, r, custom_kind_of(r->cmd));
        }
        return;
    }
    c->paused = 1; /* barrier: see shards/txn_coordinator.h */
    c->barrier = r;
    txn_begin_command(s, r, route_keys_body ? body_keys : body_custom);
}

#define ERR_NOREPLICAS "NOREPLICAS Not enough good replicas to write."

static inline __attribute__((always_inline)) void dispatch_one(struct client *c, int argc, const struct arg *argv);

/* INFO commandstats: a command refused before it runs counts in
 * rejected_calls; one that runs counts in calls, and in failed_calls when
 * it replies an error (s->running_stat, read by reply_ready, while it is
 * dispatched; request_finish for replies that come later). */
void dispatch_command(struct client *c, int argc, const struct arg *argv)
{
    /* s->running_stat is NULL between commands (calloc, then reset below). */
    struct shard *s = c->shard;
    /* CLIENT REPLY: the replies of this command are dropped (the CLIENT
     * REPLY handler may change the mode, and c->reply_silent, itself);
     * c->reply_silent is 0 between commands. */
    if (__builtin_expect(c->reply_mode != REPLY_ON, 0))
        c->reply_silent = c->reply_mode == REPLY_OFF || c->reply_mode == REPLY_SKIP;
    /* CLIENT TRACKING: whether this command's reads are recorded (OPTIN,
     * OPTOUT, CACHING); c->tracking_reads is 0 while tracking is off. */
    if (__builtin_expect(c->tracking != 0, 0))
        tracking_before_command(c);
    dispatch_one(c, argc, argv);
    if (__builtin_expect(c->tracking != 0, 0))
        tracking_after_command(c);
    s->running_stat = NULL;
    if (__builtin_expect(c->reply_mode != REPLY_ON, 0) || c->reply_silent) {
        if (c->reply_mode == REPLY_SKIP)
            c->reply_mode = REPLY_ON;
        else if (c->reply_mode == REPLY_SKIP_NEXT)
            c->reply_mode = REPLY_SKIP;
        c->reply_silent = 0;
    }
}

/* CMD_PROTECTED: DEBUG and MODULE run only when their enable-<name>-command
 * option allows it (yes, or local for a local connection). Replies Redis's
 * error and returns 1 when refused. Only DEBUG exists in this server. */
static __attribute__((cold, noinline)) int protected_command_refused(struct client *c, const struct command *cmd)
{
    int debug = strcmp(cmd->name, "debug") == 0;
    int mode = debug ? c->shard->cfg->enable_debug_command : c->shard->cfg->enable_module_command;
    if (config_protected_action_allowed(mode, c->conn.addr))
        return 0;
    char msg[300];
    snprintf(msg, sizeof(msg),
             "ERR %s command not allowed. If the enable-%s-command option is set to \"local\", you can run it from a "
             "local connection, otherwise you need to set this option in the configuration file, and then restart the "
             "server.",
             debug ? "DEBUG" : "MODULE", debug ? "debug" : "module");
    dispatch_reply_error(c, msg);
    return 1;
}

/* Inlined into dispatch_command: a call costs ~70 instructions per command
 * (see route_keys). */
static inline __attribute__((always_inline)) void dispatch_one(struct client *c, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    if (__builtin_expect(c->protected_denied, 0)) {
        dispatch_reply_error(c, acl_denied_message);
        client_close(c, 1);
        return;
    }
    const struct command *cmd = command_lookup_renamed(argv[0].ptr, argv[0].len);
    if (!cmd) {
        c->multi_dirty |= c->in_multi;
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_unknown_command(out, argc, argv);
        reply_ready(c, req, out, before);
        return;
    }
    /* MSET-like commands: keys with companions must come in whole groups,
     * checked before any shard runs a part. Inside MULTI that check waits
     * for EXEC (Redis 7.0 queues MSET a 1 b: only the arity is checked at
     * queue time, the pairs when it runs). */
    if (!command_arity_ok(cmd, argc) || (!c->in_multi && !key_groups_ok(cmd, argc))) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        if (cmd->engine == ENGINE_EXEC) {
            /* Redis: a rejected EXEC discards the transaction. */
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(
                c, "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
            return;
        }
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_wrong_arity(out, argv[0].ptr, argv[0].len);
        reply_ready(c, req, out, before);
        return;
    }
    /* Container commands (CLIENT, CONFIG, COMMAND, OBJECT): the subcommand
     * has its own arity, checked here like Redis 7 does. */
    const struct command *subcmd = NULL;
    if (cmd->subcommands && argc >= 2) {
        subcmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        char msg[400];
        if (!subcmd) {
            char upper[32];
            size_t k = 0;
            for (; cmd->name[k] && k < sizeof(upper) - 1; k++)
                upper[k] = (char)(cmd->name[k] >= 'a' && cmd->name[k] <= 'z' ? cmd->name[k] - 32 : cmd->name[k]);
            upper[k] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr, upper);
        } else if (!command_arity_ok(subcmd, argc)) {
            snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s|%s' command", cmd->name, subcmd->name);
        }
        if (!subcmd || !command_arity_ok(subcmd, argc)) {
            c->multi_dirty |= c->in_multi;
            if (subcmd) /* an unknown subcommand counts nowhere, as in Redis */
                shard_command_stat(s, cmd, argc, argv)->rejected++;
            dispatch_reply_error(c, msg);
            return;
        }
    }
    /* Protected commands (DEBUG: enable-debug-command), as Redis: after the
     * arity checks, before AUTH and ACL. */
    if (__builtin_expect(cmd->flags & CMD_PROTECTED, 0) && protected_command_refused(c, cmd)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        return;
    }
    /* AUTH and ACL: one load and two compares for an unrestricted user */
    if (!acl_session_unrestricted(&c->acl)) {
        char err[300];
        struct acl_caller who;
        client_acl_caller(c, &who);
        int denied = acl_check(&who, cmd, subcmd, argc, argv, err, sizeof(err));
        if (denied) {
            c->multi_dirty |= c->in_multi;
            shard_command_stat(s, cmd, argc, argv)->rejected++;
            dispatch_reply_error(c, err);
            if (denied == 2)
                client_close(c, 1);
            return;
        }
        /* SORT's BY/GET patterns read keys no ACL check sees: Redis 7.0
         * wants read access to every key for them. */
        if (__builtin_expect(cmd->engine == ENGINE_SORT, 0) && !acl_session_reads_all_keys(&c->acl)) {
            struct buf msg = {0};
            if (!sort_access_or_reply(argc, argv, &msg)) {
                c->multi_dirty |= c->in_multi;
                shard_command_stat(s, cmd, argc, argv)->rejected++;
                /* "-ERR ...\r\n" without its framing */
                char text[160];
                size_t n = msg.len > 3 ? msg.len - 3 : 0;
                if (n >= sizeof(text))
                    n = sizeof(text) - 1;
                memcpy(text, msg.data ? msg.data + 1 : "", n);
                text[n] = '\0';
                buf_free(&msg);
                dispatch_reply_error(c, text);
                return;
            }
            buf_free(&msg);
        }
    }
    /* RESP2 and subscribed: only the Pub/Sub context's commands (Redis's
     * check comes after ACL too). */
    if (__builtin_expect(c->ps != NULL, 0) && pubsub_context_refused(c, cmd, subcmd)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        return;
    }
    if (__builtin_expect(cmd->flags & CMD_AUDIT, 0))
        client_audit_log(c, "admin", "command=%s", cmd->name);
    if ((cmd->flags & CMD_DENYOOM) && evict_refuse_write(s->cfg, s->now_ms)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        dispatch_reply_error(c, EVICT_OOM_ERROR);
        return;
    }
    /* stop-writes-on-bgsave-error: after a failed snapshot, commands that
     * may write (and PING, as Redis 7.0) get MISCONF until a save works. */
    if ((cmd->flags & (CMD_WRITE | CMD_MISCONF)) && snap_writes_refused(s->srv)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        dispatch_reply_error(c, ERR_MISCONF);
        return;
    }
    /* A failing log write: writes wait until it works again (as Redis). */
    const char *aof_err;
    if ((cmd->flags & CMD_WRITE) && aof_writes_refused(s->srv, &aof_err)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        uint64_t tag = c->log_tag;
        struct request *tail = c->req_tail;
        dispatch_reply_error(c, aof_err);
        if (s->log_failing) { /* the refusal depends on no record */
            c->log_tag = tag;
            if (c->req_tail && c->req_tail != tail)
                c->req_tail->log_free = 1;
        }
        return;
    }
    /* min-replicas-to-write with min-replicas-max-lag: writes need that many
     * good replicas, as Redis's checkGoodReplicasStatus. shardis has none yet
     * (replication: issue 20), so it accepts no write while it is set. EXEC
     * counts as a write when it queued one and discards the transaction. */
    if (((cmd->flags & CMD_WRITE) || cmd->engine == ENGINE_EXEC) &&
        __builtin_expect(s->cfg->min_replicas_to_write > 0, 0) && s->cfg->min_replicas_max_lag > 0 &&
        ((cmd->flags & CMD_WRITE) || queued_write(c))) {
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        if (cmd->engine == ENGINE_EXEC) {
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(c, "EXECABORT Transaction discarded because of: " ERR_NOREPLICAS);
        } else {
            c->multi_dirty |= c->in_multi;
            dispatch_reply_error(c, ERR_NOREPLICAS);
        }
        return;
    }
    int busy = script_busy_refuses(s, cmd, subcmd, argc, argv);
    if (__builtin_expect(busy, 0) && !c->in_multi) {
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        dispatch_reply_error(c, busy == 2 ? ERR_BUSY_FUNCTION : ERR_BUSY_SCRIPT);
        return;
    }
    c->commands++;
    c->last_cmd = cmd->name;
    c->last_sub = subcmd ? subcmd->name : NULL;
    /* A command queued by MULTI is counted when EXEC runs it. */
    if (!(c->in_multi && !runs_inside_multi(cmd))) {
        s->running_stat = shard_command_stat(s, cmd, argc, argv);
        s->running_stat->calls++;
    }
    if (__builtin_expect(cmd->engine == ENGINE_PUBSUB, 0) && !c->in_multi) { /* inside MULTI: queued */
        pubsub_dispatch(c, cmd, subcmd, argc, argv);
        goto out;
    }
    if ((c->in_multi || (cmd->route == ROUTE_LOCAL && is_transaction_command(cmd))) &&
        dispatch_multi(c, cmd, argc, argv))
        goto out;
    if (__builtin_expect(cmd->engine == ENGINE_SCRIPT, 0)) {
        script_dispatch(c, cmd, argc, argv);
        goto out;
    }

    if (cmd->route == ROUTE_LOCAL) {
        const char *err;
        char msg[200];
        enum custom_kind kind = local_custom_kind(cmd, subcmd, argc, argv, &err, msg, sizeof(msg));
        if (err) {
            dispatch_reply_error(c, err);
            return;
        }
        if (kind == CUSTOM_NONE) {
            run_inline(s, c, cmd, argc, argv, NULL, 1);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        custom_start(s, r, kind);
        return;
    }

    if (cmd->route == ROUTE_ALL) {
        int n = s->srv->nshards;
        if (cmd->flags & CMD_CUT) {
            /* One snapshot at a time: claim the slot (and fix the epoch)
             * before the barrier; the shards take the cut under it. */
            const char *reply;
            int is_error;
            int go = cmd->engine == ENGINE_BGREWRITEAOF
                         ? aof_command_prepare(s->srv, &reply, &is_error)
                         : snap_command_prepare(s->srv, cmd->engine == ENGINE_SAVE, argc, argv, &reply, &is_error);
            if (!go) {
                if (is_error) {
                    dispatch_reply_error(c, reply);
                } else {
                    struct request *req;
                    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
                    size_t before = out->len;
                    reply_simple(out, reply);
                    reply_ready(c, req, out, before);
                }
                return;
            }
        }
        if (needs_barrier(cmd) && (n > 1 || !locktab_idle(s->locks))) {
            struct request *r = request_new(c, cmd, argc, argv);
            c->paused = 1;
            c->barrier = r;
            struct txn *tx = txn_new(n);
            txn_add_global(tx);
            tx->writes = (cmd->flags & CMD_WRITE) != 0;
            txn_begin(s, r, tx, body_all);
            return;
        }
        if (n == 1 && !shard_keys_locked(s, cmd, argc, argv, NULL)) {
            run_inline(s, c, cmd, argc, argv, NULL, 0);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        fan_out(s, r);
        return;
    }

    /* ROUTE_KEYS / ROUTE_CUSTOM: hash the keys once. */
    int keypos_small[16];
    int *keypos = argc <= 16 ? keypos_small : malloc(sizeof(int) * argc);
    uint64_t hashes_small[16];
    uint64_t *hashes = argc <= 16 ? hashes_small : malloc(sizeof(uint64_t) * argc);
    int shard_small[16];
    int *shard_of = argc <= 16 ? shard_small : malloc(sizeof(int) * argc);
    int target, multi;
    int nkeys = route_keys(s, cmd, argc, argv, keypos, hashes, shard_of, &target, &multi);
    if (sort_reads_patterns(s, cmd, argc, argv)) {
        /* SORT ... BY/GET pattern: the keys it reads are known only from
         * the source's elements; gathered behind the global barrier. */
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * argc);
        c->paused = 1;
        c->barrier = r;
        struct txn *tx = txn_new(s->srv->nshards);
        txn_add_global(tx);
        tx->writes = (cmd->flags & CMD_WRITE) != 0;
        txn_begin(s, r, tx, body_sort);
        goto cleanup;
    }
    if (!multi && nkeys > 1)
        s->stats.txn_single_shard++;
    int scan_remote = nkeys == 0 && cmd->engine == ENGINE_SCAN && s->srv->nshards > 1;
    if (!multi && !scan_remote && target == s->id && !(cmd->flags & CMD_BLOCKING) &&
        (locktab_idle(s->locks) || !shard_keys_locked(s, cmd, argc, argv, hashes))) {
        run_inline(s, c, cmd, argc, argv, hashes, 0);
        /* A read of a tracking client: its keys are recorded here, their
         * shard (one predictable branch for every other client). */
        if (__builtin_expect(c->tracking_reads, 0) && (cmd->flags & CMD_READONLY))
            tracking_remember_keys(s, s->id, c->id, argv, keypos, nkeys);
    } else {
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * argc);
        if ((cmd->flags & CMD_BLOCKING) && nkeys > 0)
            block_prepare(s, r);
        request_route_keys(s, r, target, multi);
    }
cleanup:
    if (keypos != keypos_small)
        free(keypos);
    if (hashes != hashes_small)
        free(hashes);
    if (shard_of != shard_small)
        free(shard_of);
out:
    if (c->npending >= MAX_PENDING_PER_CLIENT)
        c->paused = 1;
}
