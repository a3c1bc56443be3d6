/*
 * script.h - Lua scripting in the engine: EVAL, EVALSHA, EVAL_RO,
 * EVALSHA_RO and SCRIPT (shards/script.c; the interpreter and the Redis
 * conversions are core/script/). Where a script runs and how it stays
 * atomic is in docs/architecture.md, "Scripting".
 *
 * Threads: each shard thread owns its interpreter (struct script_shard,
 * created on first use). The script cache (SHA1 -> body) is shared by
 * every thread behind a mutex that only a miss of a thread's own compiled
 * copy, SCRIPT LOAD/EXISTS/FLUSH take; the busy flags read by other
 * threads (SCRIPT KILL, BUSY replies) are atomics.
 */
#ifndef SHARDIS_SCRIPT_H
#define SHARDIS_SCRIPT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/commands/command.h"

struct shard;
struct client;
struct request;

/* Engine command handlers (shards/engine_commands.c binds them): EVAL and
 * its forms when EXEC or a hop runs them on a shard, SCRIPT. */
cmd_handler cmd_eval, cmd_script, cmd_function;

/* EVAL and its forms from a client (dispatch_command, after MULTI
 * queueing): checks, placement, run or hop or global barrier. */
void script_dispatch(struct client *c, const struct command *cmd, int argc, const struct arg *argv);
/* The hop of a one-shard script came back (custom_continue,
 * CUSTOM_SCRIPT): returns 1 when r's reply is written, 0 when the script
 * runs again under the global barrier. */
int script_hop_done(struct shard *s, struct request *r);
/* A command from a client of shard s while a script runs long on some
 * shard: 1 when it must get the BUSY error (it is not allowed while busy
 * and the script holds the shard its keys are on, or its own thread, or
 * every shard under the global barrier): 1 for an EVAL, 2 for a function
 * (their BUSY texts differ). One load while no script is busy. */
int script_busy_refuses_slow(struct shard *s, const struct command *cmd, const struct command *subcmd, int argc,
                             const struct arg *argv);
/* Shards whose script is past busy-reply-threshold (shards/script.c). */
extern _Atomic int script_busy_shards;
/* Inlined: it is on every command's path (one relaxed load). */
static inline int script_busy_refuses(struct shard *s, const struct command *cmd, const struct command *subcmd,
                                      int argc, const struct arg *argv)
{
    if (__builtin_expect(atomic_load_explicit(&script_busy_shards, memory_order_relaxed) == 0, 1))
        return 0;
    return script_busy_refuses_slow(s, cmd, subcmd, argc, argv);
}
/* INFO: the interpreters' memory and the cached scripts. */
size_t script_memory_total(void);
long long script_cached_count(void);
size_t script_cache_bytes(void);
/* Registered functions; *libraries gets the libraries' count. */
long long script_function_count(long long *libraries);
/* The thread's interpreter goes away (thread exit). */
void script_shard_free(struct shard *s);

#define ERR_BUSY_SCRIPT "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
#define ERR_BUSY_FUNCTION "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."

#endif
