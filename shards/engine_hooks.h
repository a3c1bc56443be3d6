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

#include <stddef.h>

/* Installs struct cmd_engine_ops (core/commands/command.h): a key changed by
 * a command touches its WATCH version, effects become log records; and the
 * configuration listener of core/base/server.c (eviction policy); and the
 * lazyfree thread as the background freeing of core/types/lazyfree.c. */
void engine_hooks_install(void);

struct shard;

/* Where a shard's keyspace events go: the pub/sub step sets struct shard's
 * `notify` to its publisher (one line at shard set-up); NULL (the default)
 * drops them. Called on the shard's thread with an event whose class is
 * enabled in s->cfg (or in the running command's config snapshot). type is
 * the NOTIFY_* class bit, event Redis 7.0's name ("lpush", "expired" ...). */
typedef void shard_notify_fn(struct shard *s, int type, const char *event, const char *key, size_t klen, int dbid);

/* Raises one event on s outside a command (eviction): checks the class
 * against s->cfg, then calls s->notify. */
void shard_notify_event(struct shard *s, int type, const char *event, const char *key, size_t klen, int dbid);

/* Gives each db of s the expiry hook that raises "expired" (lazy and active
 * expiry alike) on s. Shard set-up, after the dbs are created; the state
 * lives as long as the shard. */
void engine_hooks_shard_init(struct shard *s);

/* Binds the handlers that live in shards/ and security/ into the command
 * table (command_bind_handler). Exits when the table lacks one of them. */
void engine_commands_install(void);

#endif
