/*
 * engine_commands.c - binds the handlers of engine commands (shards/
 * cmd_server.c) and of ACL/AUTH (security/acl.c) into core/commands' table,
 * which names those commands but cannot link them (a layer may not call
 * above itself).
 *
 * Thread: the main thread at start-up (shards/main.c), before any shard
 * thread reads the table; unit tests call it from their setup. Invariant:
 * after engine_commands_install every table entry and subcommand has a
 * handler (a missing name is a build mistake: it aborts).
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/commands/command.h"
#include "security/acl.h"
#include "shards/engine_commands.h"
#include "shards/engine_hooks.h"
#include "shards/pubsub.h"
#include "shards/script.h"

static const struct {
    const char *name;
    cmd_handler *handler;
} engine_commands[] = {
    {"acl", cmd_acl},
    {"auth", cmd_auth},
    {"bgrewriteaof", cmd_bgrewriteaof},
    {"bgsave", cmd_bgsave},
    {"client", cmd_client},
    {"config", cmd_config},
    {"debug", cmd_debug},
    {"dump", cmd_dump},
    {"echo", cmd_echo},
    {"hello", cmd_hello},
    {"info", cmd_info},
    {"lastsave", cmd_lastsave},
    {"ping", cmd_ping},
    {"quit", cmd_quit},
    {"reset", cmd_reset},
    {"restore", cmd_restore},
    {"save", cmd_save},
    {"select", cmd_select},
    {"shutdown", cmd_shutdown},
    {"time", cmd_time},
    /* Pub/Sub: the dispatcher runs them (ENGINE_PUBSUB, shards/pubsub.c) */
    {"subscribe", cmd_pubsub},
    {"unsubscribe", cmd_pubsub},
    {"psubscribe", cmd_pubsub},
    {"punsubscribe", cmd_pubsub},
    {"publish", cmd_pubsub},
    {"ssubscribe", cmd_pubsub},
    {"sunsubscribe", cmd_pubsub},
    {"spublish", cmd_pubsub},
    /* Scripting (shards/script.c; EVAL is placed by script_dispatch) */
    {"eval", cmd_eval},
    {"evalsha", cmd_eval},
    {"eval_ro", cmd_eval},
    {"evalsha_ro", cmd_eval},
    {"script", cmd_script},
    {"fcall", cmd_eval},
    {"fcall_ro", cmd_eval},
    {"function", cmd_function},
    {"pubsub", cmd_pubsub},
};

void engine_commands_install(void)
{
    for (size_t i = 0; i < sizeof(engine_commands) / sizeof(engine_commands[0]); i++) {
        if (!command_bind_handler(engine_commands[i].name, engine_commands[i].handler)) {
            fprintf(stderr, "engine command %s is not in the command table\n", engine_commands[i].name);
            abort();
        }
    }
}
