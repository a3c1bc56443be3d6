/*
 * engine_commands.h - handlers of the commands that run in the engine
 * (shards/cmd_server.c, INFO in shards/cmd_info.c; AUTH and ACL in
 * security/acl.c): they read the server, the client or several
 * shards, so they live above core/commands, which names them in its table
 * without linking them; shards/engine_commands.c binds them at start-up.
 *
 * Threads: as for every handler (core/commands/command.h): ROUTE_LOCAL ones
 * on the connection's thread, the others on the shard that runs them.
 */
#ifndef SHARDIS_ENGINE_COMMANDS_H
#define SHARDIS_ENGINE_COMMANDS_H

#include "core/commands/command.h"

cmd_handler cmd_ping, cmd_echo, cmd_hello, cmd_quit, cmd_reset, cmd_select, cmd_client, cmd_info, cmd_config, cmd_time,
    cmd_shutdown, cmd_debug, cmd_lastsave, cmd_save, cmd_bgsave, cmd_bgrewriteaof;
/* shards/cmd_dump.c */
cmd_handler cmd_dump, cmd_restore;

#endif
