/*
 * engine_hooks.h - the engine's side of core/commands' change hook and the
 * binding of engine command handlers into the command table.
 *
 * Owns nothing at run time: both installs run once on the main thread at
 * start-up (shards/main.c), before any shard thread starts, and are
 * idempotent. Unit tests that need the engine behaviour (log records, WATCH
 * touches, engine handlers found through the table) call them too.
 */
#ifndef SHARDIS_ENGINE_HOOKS_H
#define SHARDIS_ENGINE_HOOKS_H

/* Installs struct cmd_engine_ops (core/commands/command.h): a key changed by
 * a command touches its WATCH version, effects become log records; and the
 * configuration listener of core/base/server.c (eviction policy); and the
 * lazyfree thread as the background freeing of core/types/lazyfree.c. */
void engine_hooks_install(void);

/* Binds the handlers that live in shards/ and security/ into the command
 * table (command_bind_handler). Exits when the table lacks one of them. */
void engine_commands_install(void);

#endif
