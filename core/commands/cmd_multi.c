/*
 * cmd_multi.c - MULTI, EXEC, DISCARD, WATCH, UNWATCH.
 *
 * These commands work on the client's transaction state (the queue of
 * commands, the watched keys) and on several shards at once, so the
 * dispatcher carries them out before any handler would run (dispatch_multi
 * and shards/txn_exec.c with shards/txn_coordinator.c, with the shard side in
 * shards/txn_participant.c and shards/txn.c). The handlers below are what a command
 * table needs; only UNWATCH is ever reached: when it was queued inside
 * MULTI, EXEC runs it as a plain command, and since EXEC forgets every
 * watched key anyway, its effect is the reply. The others cannot be queued,
 * and reaching them means the dispatcher has a bug: they say so.
 *
 * Threads: the connection's thread.
 */
#include "core/commands/command.h"
#include "core/base/resp.h"

void cmd_unwatch(struct cmd_ctx *c)
{
    reply_ok(c->out);
}

static void not_dispatched(struct cmd_ctx *c)
{
    reply_errorf(c->out, "ERR internal error: %s reached a shard instead of the dispatcher", c->cmd->name);
}

void cmd_multi(struct cmd_ctx *c)
{
    not_dispatched(c);
}

void cmd_exec(struct cmd_ctx *c)
{
    not_dispatched(c);
}

void cmd_discard(struct cmd_ctx *c)
{
    not_dispatched(c);
}

void cmd_watch(struct cmd_ctx *c)
{
    not_dispatched(c);
}
