/*
 * command.c - the command table, command lookup, the helpers every handler
 * uses (keyspace lookups, argument parsing, the arity error) and COMMAND,
 * which describes the table to clients.
 *
 * Ownership: everything here is constant data shared by every thread, except
 * the lookup index, which is built once under pthread_once on first use and
 * read-only afterwards, so any thread may read it without locks, and the
 * handlers of engine commands and the engine's change hook (struct
 * cmd_engine_ops), which the engine sets once at start-up on the main thread
 * (command_bind_handler, command_engine_install) before any other thread
 * starts. This file never calls above core/commands: what a handler changed
 * reaches the log and WATCH through the installed hook.
 *
 * The table's metadata (arity, flags, key positions, ACL categories, summary,
 * since, group) is what Redis 7.0 reports in COMMAND INFO and COMMAND DOCS;
 * route and merge are ours and tell the dispatcher (shards/dispatch.c) how to
 * run a command whose keys may live on several shards. Details that only
 * COMMAND reports (complexity, tips, key specs, deprecation) live in a second
 * table, command_docs, keyed by full name ("client|list"): struct command has
 * no fields for them and the request path never needs them.
 *
 * Invariants for whoever edits the tables (test/unit/shards/test_command.c checks
 * them all):
 *   - names are lower case, unique, shorter than COMMAND_NAME_MAX bytes;
 *   - a subcommand array ends with {.name = NULL}; a subcommand uses its parent's
 *     handler and route; a container's own first_key is 0 (its subcommands
 *     say where the keys are, see command_key_positions);
 *   - shard_command_stat() indexes counters by position in command_table, so
 *     command_lookup returns pointers into it, never copies;
 *   - every command and subcommand has a command_docs row, whose key specs
 *     cover every key position first_key/last_key/key_step give.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/commands/command.h"

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"
#include "core/types/object.h"

/* Longest command name + 1; longer names cannot be commands. */
#define COMMAND_NAME_MAX 32

/* ------------------------------------------------------------------------ */
/* The table                                                                 */
/* ------------------------------------------------------------------------ */

/* Engine commands: their handlers are above this layer (shards/cmd_server.c,
 * shards/cmd_info.c, security/acl.c). The table keeps their names readable; each is a NULL
 * handler here until the engine binds it (command_bind_handler). */
#define cmd_acl NULL
#define cmd_auth NULL
#define cmd_bgrewriteaof NULL
#define cmd_bgsave NULL
#define cmd_client NULL
#define cmd_config NULL
#define cmd_debug NULL
#define cmd_dump NULL
#define cmd_echo NULL
#define cmd_hello NULL
#define cmd_info NULL
#define cmd_lastsave NULL
#define cmd_ping NULL
#define cmd_pubsub NULL
#define cmd_quit NULL
#define cmd_reset NULL
#define cmd_restore NULL
#define cmd_save NULL
#define cmd_select NULL
#define cmd_shutdown NULL
#define cmd_time NULL

/* Subcommand arrays first: the table points at them. Entries are Redis 7.0's
 * metadata; route and merge are described in command.h. */
/* clang-format off */
static struct command function_subcommands[] = {
    {.name = "delete", .arity = 3, .flags = CMD_WRITE | CMD_NOSCRIPT, .acl_categories = "@write @slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Delete a function by name", .since = "7.0.0",
     .group = "scripting"},
    {.name = "flush", .arity = -2, .flags = CMD_WRITE | CMD_NOSCRIPT, .acl_categories = "@write @slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Deleting all functions", .since = "7.0.0",
     .group = "scripting"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Show helpful text about the different subcommands",
     .since = "7.0.0", .group = "scripting"},
    {.name = "kill", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Kill the function currently in execution.",
     .since = "7.0.0", .group = "scripting"},
    {.name = "list", .arity = -2, .flags = CMD_NOSCRIPT, .acl_categories = "@slow @scripting", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .summary = "List information about all the functions", .since = "7.0.0",
     .group = "scripting"},
    {.name = "load", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT,
     .acl_categories = "@write @slow @scripting", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .summary = "Create a function with the given arguments (name, code, description)", .since = "7.0.0",
     .group = "scripting"},
    {.name = "stats", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Return information about the function currently running (name, description, duration)",
     .since = "7.0.0", .group = "scripting"},
    {.name = NULL},
};

static struct command script_subcommands[] = {
    {.name = "debug", .arity = 3, .flags = CMD_NOSCRIPT, .acl_categories = "@slow @scripting", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .summary = "Set the debug mode for executed scripts.", .since = "3.2.0", .group = "scripting"},
    {.name = "exists", .arity = -3, .flags = CMD_NOSCRIPT, .acl_categories = "@slow @scripting", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .summary = "Check existence of scripts in the script cache.", .since = "2.6.0",
     .group = "scripting"},
    {.name = "flush", .arity = -2, .flags = CMD_NOSCRIPT, .acl_categories = "@slow @scripting", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .summary = "Remove all the scripts from the script cache.", .since = "2.6.0",
     .group = "scripting"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0", .group = "scripting"},
    {.name = "kill", .arity = 2, .flags = CMD_NOSCRIPT | CMD_ALLOW_BUSY, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .summary = "Kill the script currently in execution.", .since = "2.6.0", .group = "scripting"},
    {.name = "load", .arity = 3, .flags = CMD_NOSCRIPT | CMD_STALE, .acl_categories = "@slow @scripting",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .summary = "Load the specified Lua script into the script cache.",
     .since = "2.6.0", .group = "scripting"},
    {.name = NULL},
};

static struct command client_subcommands[] = {
    {.name = "caching", .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Instruct the server about tracking or not keys in the next request", .since = "6.0.0",
     .group = "connection"},
    {.name = "getname", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Get the current connection name", .since = "2.6.9", .group = "connection"},
    {.name = "getredir", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Get tracking notifications redirection client ID if any", .since = "6.0.0", .group = "connection"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "connection"},
    {.name = "id", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Returns the client ID for the current connection", .since = "5.0.0", .group = "connection"},
    {.name = "info", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Returns information about the current client connection.", .since = "6.2.0", .group = "connection"},
    {.name = "kill", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_client, .engine = ENGINE_CLIENT_KILL, .summary = "Kill the connection of a client", .since = "2.4.0", .group = "connection"},
    {.name = "list", .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_client, .engine = ENGINE_CLIENT_LIST, .summary = "Get the list of client connections", .since = "2.4.0", .group = "connection"},
    {.name = "no-evict", .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_client, .summary = "Set client eviction mode for the current connection", .since = "7.0.0",
     .group = "connection"},
    {.name = "reply", .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Instruct the server whether to reply to commands", .since = "3.2.0", .group = "connection"},
    {.name = "setname", .arity = 3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Set the current connection name", .since = "2.6.9", .group = "connection"},
    {.name = "unblock", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_client, .engine = ENGINE_CLIENT_UNBLOCK, .summary = "Unblock a client blocked in a blocking command from a different connection",
     .since = "5.0.0", .group = "connection"},
    {.name = "tracking", .arity = -3, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .engine = ENGINE_CLIENT_TRACKING, .summary = "Enable or disable server assisted client side caching support",
     .since = "6.0.0", .group = "connection"},
    {.name = "trackinginfo", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@slow @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_client,
     .summary = "Return information about server assisted client side caching for the current connection",
     .since = "6.2.0", .group = "connection"},
    {.name = NULL}, /* terminator */
};

/* ACL subcommands (security/acl.c) */
static struct command acl_subcommands[] = {
    {.name = "cat", .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "List the ACL categories or the commands inside a category", .since = "6.0.0", .group = "server"},
    {.name = "deluser", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Remove the specified ACL users and the associated rules", .since = "6.0.0", .group = "server"},
    {.name = "dryrun", .arity = -4, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Returns whether the user can execute the given command without executing the command.", .since = "7.0.0", .group = "server"},
    {.name = "genpass", .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Generate a pseudorandom secure password to use for ACL users", .since = "6.0.0", .group = "server"},
    {.name = "getuser", .arity = 3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Get the rules for a specific ACL user", .since = "6.0.0", .group = "server"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Show helpful text about the different subcommands", .since = "6.0.0", .group = "server"},
    {.name = "list", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "List the current ACL rules in ACL config file format", .since = "6.0.0", .group = "server"},
    {.name = "load", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Reload the ACLs from the configured ACL file", .since = "6.0.0", .group = "server"},
    {.name = "log", .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "List latest events denied because of ACLs in place", .since = "6.0.0", .group = "server"},
    {.name = "save", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Save the current ACL rules in the configured ACL file", .since = "6.0.0", .group = "server"},
    {.name = "setuser", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Modify or create the rules for a specific ACL user", .since = "6.0.0", .group = "server"},
    {.name = "users", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "List the username of all the configured ACL rules", .since = "6.0.0", .group = "server"},
    {.name = "whoami", .arity = 2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_acl, .summary = "Return the name of the user associated to the current connection", .since = "6.0.0", .group = "server"},
    {.name = NULL},
};

static struct command pubsub_subcommands[] = {
    {.name = "channels", .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "List active channels", .since = "2.8.0",
     .group = "pubsub"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Show helpful text about the different subcommands", .since = "6.2.0",
     .group = "pubsub"},
    {.name = "numpat", .arity = 2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Get the count of unique patterns pattern subscriptions", .since = "2.8.0",
     .group = "pubsub"},
    {.name = "numsub", .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Get the count of subscribers for channels", .since = "2.8.0",
     .group = "pubsub"},
    {.name = "shardchannels", .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "List active shard channels", .since = "7.0.0",
     .group = "pubsub"},
    {.name = "shardnumsub", .arity = -2, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Get the count of subscribers for shard channels", .since = "7.0.0",
     .group = "pubsub"},
    {0},
};
static struct command config_subcommands[] = {
    {.name = "get", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_config,
     .summary = "Get the values of configuration parameters", .since = "2.0.0", .group = "server"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_config, .summary = "Show helpful text about the different subcommands",
     .since = "5.0.0", .group = "server"},
    /* The dispatcher runs RESETSTAT on every shard (shards/multistep.c). */
    {.name = "resetstat", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_config, .engine = ENGINE_RESETSTAT,
     .summary = "Reset the stats returned by INFO", .since = "2.0.0", .group = "server"},
    {.name = "rewrite", .arity = 2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_config,
     .summary = "Rewrite the configuration file with the in memory configuration", .since = "2.8.0", .group = "server"},
    {.name = "set", .arity = -4, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_config,
     .summary = "Set configuration parameters to the given values", .since = "2.0.0", .group = "server"},
    {.name = NULL}, /* terminator */
};

static struct command command_subcommands[] = {
    {.name = "count", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command, .summary = "Get total number of Redis commands",
     .since = "2.8.13", .group = "server"},
    {.name = "docs", .arity = -2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Get array of specific Redis command documentation", .since = "7.0.0", .group = "server"},
    {.name = "getkeys", .arity = -4, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Extract keys given a full Redis command", .since = "2.8.13", .group = "server"},
    {.name = "getkeysandflags", .arity = -4, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Extract keys and access flags given a full Redis command", .since = "7.0.0", .group = "server"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "server"},
    {.name = "info", .arity = -2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Get array of specific Redis command details, or all when no argument is given.", .since = "2.8.13",
     .group = "server"},
    {.name = "list", .arity = -2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command,
     .summary = "Get an array of Redis command names", .since = "7.0.0", .group = "server"},
    {.name = NULL}, /* terminator */
};

static struct command object_subcommands[] = {
    {.name = "encoding", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @read @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_object,
     .summary = "Inspect the internal encoding of a Redis object", .since = "2.2.3", .group = "generic"},
    {.name = "freq", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @read @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_object,
     .summary = "Get the logarithmic access frequency counter of a Redis object", .since = "4.0.0", .group = "generic"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@keyspace @slow",
     .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_object,
     .summary = "Show helpful text about the different subcommands", .since = "6.2.0", .group = "generic"},
    {.name = "idletime", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @read @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_object,
     .summary = "Get the time since a Redis object was last accessed", .since = "2.2.3", .group = "generic"},
    {.name = "refcount", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @read @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_object,
     .summary = "Get the number of references to the value of the key", .since = "2.2.3", .group = "generic"},
    {.name = NULL}, /* terminator */
};

static struct command xgroup_subcommands[] = {
    {.name = "create", .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Create a consumer group.", .since = "5.0.0", .group = "stream"},
    {.name = "createconsumer", .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Create a consumer in a consumer group.", .since = "6.2.0", .group = "stream"},
    {.name = "delconsumer", .arity = 5, .flags = CMD_WRITE, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Delete a consumer from a consumer group.", .since = "5.0.0", .group = "stream"},
    {.name = "destroy", .arity = 4, .flags = CMD_WRITE, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Destroy a consumer group.", .since = "5.0.0", .group = "stream"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, 
     .acl_categories = "@stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "stream"},
    {.name = "setid", .arity = -5, .flags = CMD_WRITE, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xgroup,
     .summary = "Set a consumer group to an arbitrary last delivered ID value.", .since = "5.0.0", .group = "stream"},
    {.name = NULL}, /* terminator */
};

static struct command xinfo_subcommands[] = {
    {.name = "consumers", .arity = 4, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xinfo,
     .summary = "List the consumers in a consumer group", .since = "5.0.0", .group = "stream"},
    {.name = "groups", .arity = 3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xinfo,
     .summary = "List the consumer groups of a stream", .since = "5.0.0", .group = "stream"},
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, 
     .acl_categories = "@stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xinfo,
     .summary = "Show helpful text about the different subcommands", .since = "5.0.0", .group = "stream"},
    {.name = "stream", .arity = -3, .flags = CMD_READONLY, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xinfo,
     .summary = "Get information about a stream", .since = "5.0.0", .group = "stream"},
    {.name = NULL}, /* terminator */
};

struct command command_table[] = {
    /* ---- strings ---- */
    {.name = "set", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_set,
     .summary = "Set the string value of a key", .since = "1.0.0", .group = "string"},
    {.name = "get", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_get,
     .summary = "Get the value of a key", .since = "1.0.0", .group = "string"},
    {.name = "getset", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_getset, .summary = "Set the string value of a key and return its old value", .since = "1.0.0",
     .group = "string"},
    {.name = "getdel", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_getdel,
     .summary = "Get the value of a key and delete the key", .since = "6.2.0", .group = "string"},
    {.name = "getex", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_getex,
     .summary = "Get the value of a key and optionally set its expiration", .since = "6.2.0", .group = "string"},
    {.name = "setnx", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_setnx, .summary = "Set the value of a key, only if the key does not exist", .since = "1.0.0",
     .group = "string"},
    {.name = "setex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_setex,
     .summary = "Set the value and expiration of a key", .since = "2.0.0", .group = "string"},
    {.name = "psetex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_psetex,
     .summary = "Set the value and expiration in milliseconds of a key", .since = "2.6.0", .group = "string"},
    {.name = "append", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_append, .summary = "Append a value to a key", .since = "2.0.0", .group = "string"},
    {.name = "strlen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_strlen,
     .summary = "Get the length of the value stored in a key", .since = "2.2.0", .group = "string"},
    {.name = "getrange", .arity = 4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_getrange,
     .summary = "Get a substring of the string stored at a key", .since = "2.4.0", .group = "string"},
    {.name = "substr", .arity = 4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_getrange,
     .summary = "Get a substring of the string stored at a key", .since = "1.0.0", .group = "string"},
    {.name = "setrange", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @string @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_setrange,
     .summary = "Overwrite part of a string at key starting at the specified offset", .since = "2.2.0",
     .group = "string"},
    {.name = "incr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_incr, .summary = "Increment the integer value of a key by one", .since = "1.0.0",
     .group = "string"},
    {.name = "decr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_decr, .summary = "Decrement the integer value of a key by one", .since = "1.0.0",
     .group = "string"},
    {.name = "incrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_incrby, .summary = "Increment the integer value of a key by the given amount", .since = "1.0.0",
     .group = "string"},
    {.name = "decrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_decrby, .summary = "Decrement the integer value of a key by the given number", .since = "1.0.0",
     .group = "string"},
    {.name = "incrbyfloat", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1,
     .key_step = 1, .acl_categories = "@write @string @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_incrbyfloat, .summary = "Increment the float value of a key by the given amount", .since = "2.6.0",
     .group = "string"},
    {.name = "mset", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
     .acl_categories = "@write @string @slow", .route = ROUTE_KEYS, .merge = MERGE_OK, .handler = cmd_mset,
     .summary = "Set multiple keys to multiple values", .since = "1.0.1", .group = "string"},
    {.name = "mget", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@read @string @fast", .route = ROUTE_KEYS, .merge = MERGE_MGET, .handler = cmd_mget,
     .summary = "Get the values of all the given keys", .since = "1.0.0", .group = "string"},
    {.name = "msetnx", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 2,
     .acl_categories = "@write @string @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_msetnx, .engine = ENGINE_MSETNX,
     .summary = "Set multiple keys to multiple values, only if none of the keys exist", .since = "1.0.1",
     .group = "string"},
    {.name = "lcs", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@read @string @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_lcs,
     .summary = "Find longest common substring", .since = "7.0.0", .group = "string"},
    /* ---- bitmaps (cmd_bitops.c) ---- */
    {.name = "setbit", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @bitmap @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_setbit,
     .summary = "Sets or clears the bit at offset in the string value stored at key", .since = "2.2.0", .group = "bitmap"},
    {.name = "getbit", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @bitmap @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_getbit,
     .summary = "Returns the bit value at offset in the string value stored at key", .since = "2.2.0", .group = "bitmap"},
    {.name = "bitcount", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @bitmap @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_bitcount,
     .summary = "Count set bits in a string", .since = "2.6.0", .group = "bitmap"},
    {.name = "bitpos", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @bitmap @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_bitpos,
     .summary = "Find first bit set or clear in a string", .since = "2.8.7", .group = "bitmap"},
    {.name = "bitop", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 2, .last_key = -1, .key_step = 1,
     .acl_categories = "@write @bitmap @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_bitop,
     .summary = "Perform bitwise operations between strings", .since = "2.6.0", .group = "bitmap"},
    {.name = "bitfield", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @bitmap @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_bitfield,
     .summary = "Perform arbitrary bitfield integer operations on strings", .since = "3.2.0", .group = "bitmap"},
    {.name = "bitfield_ro", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @bitmap @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_bitfield_ro,
     .summary = "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
     .since = "6.0.0", .group = "bitmap"},
    /* ---- HyperLogLog (cmd_hll.c) ---- */
    {.name = "pfadd", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hyperloglog @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_pfadd,
     .summary = "Adds the specified elements to the specified HyperLogLog.", .since = "2.8.9", .group = "hyperloglog"},
    {.name = "pfcount", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@read @hyperloglog @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_pfcount,
     .summary = "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
     .since = "2.8.9", .group = "hyperloglog"},
    {.name = "pfmerge", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@write @hyperloglog @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_pfmerge,
     .summary = "Merge N different HyperLogLogs into a single one.", .since = "2.8.9", .group = "hyperloglog"},
    {.name = "pfdebug", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_ADMIN, .first_key = 2, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @hyperloglog @admin @slow @dangerous", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_pfdebug, .summary = "Internal commands for debugging HyperLogLog values", .since = "2.8.9",
     .group = "hyperloglog"},
    {.name = "pfselftest", .arity = 1, .flags = CMD_ADMIN, .acl_categories = "@hyperloglog @admin @slow @dangerous",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_pfselftest,
     .summary = "An internal command for testing HyperLogLog values", .since = "2.8.9", .group = "hyperloglog"},
    /* ---- keys ---- */
    {.name = "del", .arity = -2, .flags = CMD_WRITE, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@keyspace @write @slow", .route = ROUTE_KEYS, .merge = MERGE_SUM, .handler = cmd_del,
     .summary = "Delete a key", .since = "1.0.0", .group = "generic"},
    {.name = "unlink", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_SUM, .handler = cmd_del,
     .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
     .since = "4.0.0", .group = "generic"},
    {.name = "exists", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_SUM, .handler = cmd_exists,
     .summary = "Determine if a key exists", .since = "1.0.0", .group = "generic"},
    {.name = "touch", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_SUM, .handler = cmd_touch,
     .summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     .since = "3.2.1", .group = "generic"},
    {.name = "type", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_type,
     .summary = "Determine the type stored at key", .since = "1.0.0", .group = "generic"},
    {.name = "object", .arity = -2, .acl_categories = "@slow", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_object, .summary = "A container for object introspection commands", .since = "2.2.3",
     .group = "generic", .subcommands = object_subcommands},
    {.name = "expire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_expire,
     .summary = "Set a key's time to live in seconds", .since = "1.0.0", .group = "generic"},
    {.name = "pexpire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_pexpire,
     .summary = "Set a key's time to live in milliseconds", .since = "2.6.0", .group = "generic"},
    {.name = "expireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_expireat,
     .summary = "Set the expiration for a key as a UNIX timestamp", .since = "1.2.0", .group = "generic"},
    {.name = "pexpireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_pexpireat,
     .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds", .since = "2.6.0",
     .group = "generic"},
    {.name = "ttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_ttl,
     .summary = "Get the time to live for a key in seconds", .since = "1.0.0", .group = "generic"},
    {.name = "pttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_pttl,
     .summary = "Get the time to live for a key in milliseconds", .since = "2.6.0", .group = "generic"},
    {.name = "expiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_expiretime,
     .summary = "Get the expiration Unix timestamp for a key", .since = "7.0.0", .group = "generic"},
    {.name = "pexpiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_pexpiretime,
     .summary = "Get the expiration Unix timestamp for a key in milliseconds", .since = "7.0.0", .group = "generic"},
    {.name = "persist", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_persist,
     .summary = "Remove the expiration from a key", .since = "2.2.0", .group = "generic"},
    {.name = "move", .arity = 3, .flags = CMD_WRITE | CMD_FAST | CMD_OTHER_DB, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_move,
     .summary = "Move a key to another database", .since = "1.0.0", .group = "generic"},
    {.name = "rename", .arity = 3, .flags = CMD_WRITE, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @write @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_rename, .engine = ENGINE_RENAME,
     .summary = "Rename a key", .since = "1.0.0", .group = "generic"},
    {.name = "renamenx", .arity = 3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @write @fast", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_renamenx, .engine = ENGINE_RENAMENX,
     .summary = "Rename a key, only if the new key does not exist", .since = "1.0.0", .group = "generic"},
    {.name = "copy", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_OTHER_DB, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@keyspace @write @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_copy, .engine = ENGINE_COPY,
     .summary = "Copy a key", .since = "6.2.0", .group = "generic"},
    /* DUMP/RESTORE: Redis's payloads (persist/rdb.h), handlers in shards/cmd_dump.c */
    {.name = "dump", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @read @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_dump,
     .summary = "Return a serialized version of the value stored at the specified key.", .since = "2.6.0", .group = "generic"},
    {.name = "restore", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@keyspace @write @slow @dangerous", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_restore,
     .summary = "Create a key using the provided serialized value, previously obtained using DUMP.", .since = "2.6.0", .group = "generic"},
    {.name = "keys", .arity = 2, .flags = CMD_READONLY, .acl_categories = "@keyspace @read @slow @dangerous",
     .route = ROUTE_ALL, .merge = MERGE_CONCAT, .handler = cmd_keys,
     .summary = "Find all keys matching the given pattern", .since = "1.0.0", .group = "generic"},
    {.name = "scan", .arity = -2, .flags = CMD_READONLY, .acl_categories = "@keyspace @read @slow",
     .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_scan, .engine = ENGINE_SCAN, .summary = "Incrementally iterate the keys space",
     .since = "2.8.0", .group = "generic"},
    {.name = "randomkey", .arity = 1, .flags = CMD_READONLY, .acl_categories = "@keyspace @read @slow",
     .route = ROUTE_ALL, .merge = MERGE_RANDOM, .handler = cmd_randomkey,
     .summary = "Return a random key from the keyspace", .since = "1.0.0", .group = "generic"},
    {.name = "dbsize", .arity = 1, .flags = CMD_READONLY | CMD_FAST, .acl_categories = "@keyspace @read @fast",
     .route = ROUTE_ALL, .merge = MERGE_SUM, .handler = cmd_dbsize,
     .summary = "Return the number of keys in the selected database", .since = "1.0.0", .group = "server"},
    {.name = "flushdb", .arity = -1, .flags = CMD_WRITE | CMD_GLOBAL_BARRIER | CMD_AUDIT, .acl_categories = "@keyspace @write @slow @dangerous",
     .route = ROUTE_ALL, .merge = MERGE_OK, .handler = cmd_flushdb,
     .summary = "Remove all keys from the current database", .since = "1.0.0", .group = "server"},
    {.name = "flushall", .arity = -1, .flags = CMD_WRITE | CMD_GLOBAL_BARRIER | CMD_AUDIT, .acl_categories = "@keyspace @write @slow @dangerous",
     .route = ROUTE_ALL, .merge = MERGE_OK, .handler = cmd_flushall, .summary = "Remove all keys from all databases",
     .since = "1.0.0", .group = "server"},
    {.name = "swapdb", .arity = 3, .flags = CMD_WRITE | CMD_FAST | CMD_GLOBAL_BARRIER, .acl_categories = "@keyspace @write @fast @dangerous",
     .route = ROUTE_ALL, .merge = MERGE_OK, .handler = cmd_swapdb, .summary = "Swaps two Redis databases",
     .since = "4.0.0", .group = "server"},
    /* ---- transactions (carried out by the dispatcher: shards/txn_exec.c) ---- */
    {.name = "multi", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_RUNS_IN_MULTI,
     .acl_categories = "@fast @transaction", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_multi, .engine = ENGINE_MULTI,
     .summary = "Mark the start of a transaction block", .since = "1.2.0", .group = "transactions"},
    {.name = "exec", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG | CMD_RUNS_IN_MULTI,
     .acl_categories = "@slow @transaction", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_exec, .engine = ENGINE_EXEC,
     .summary = "Execute all commands issued after MULTI", .since = "1.2.0", .group = "transactions"},
    {.name = "discard", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_RUNS_IN_MULTI,
     .acl_categories = "@fast @transaction", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_discard, .engine = ENGINE_DISCARD,
     .summary = "Discard all commands issued after MULTI", .since = "2.0.0", .group = "transactions"},
    {.name = "watch", .arity = -2, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY | CMD_RUNS_IN_MULTI,
     .first_key = 1, .last_key = -1, .key_step = 1, .acl_categories = "@fast @transaction", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_watch, .engine = ENGINE_WATCH,
     .summary = "Watch the given keys to determine execution of the MULTI/EXEC block", .since = "2.2.0",
     .group = "transactions"},
    {.name = "unwatch", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY,
     .acl_categories = "@fast @transaction", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_unwatch, .engine = ENGINE_UNWATCH,
     .summary = "Forget about all watched keys", .since = "2.2.0", .group = "transactions"},
    /* ---- server and connection ---- */
    {.name = "ping", .arity = -1, .flags = CMD_FAST | CMD_MISCONF | CMD_SUBSCRIBED_OK, .acl_categories = "@fast @connection", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_ping, .summary = "Ping the server", .since = "1.0.0", .group = "connection"},
    {.name = "echo", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .acl_categories = "@fast @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_echo, .summary = "Echo the given string",
     .since = "1.0.0", .group = "connection"},
    {.name = "hello", .arity = -1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     .acl_categories = "@fast @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_hello,
     .summary = "Handshake with Redis", .since = "6.0.0", .group = "connection"},
    {.name = "quit", .arity = -1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_RUNS_IN_MULTI | CMD_SUBSCRIBED_OK,
     .acl_categories = "@fast @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_quit,
     .summary = "Close the connection", .since = "1.0.0", .group = "connection"},
    {.name = "reset", .arity = 1,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY | CMD_RUNS_IN_MULTI | CMD_SUBSCRIBED_OK,
     .acl_categories = "@fast @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_reset, .engine = ENGINE_RESET,
     .summary = "Reset the connection", .since = "6.2.0", .group = "connection"},
    /* ---- Pub/Sub (shards/pubsub.c) ---- */
    {.name = "subscribe", .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Listen for messages published to the given channels", .since = "2.0.0",
     .group = "pubsub"},
    {.name = "unsubscribe", .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Stop listening for messages posted to the given channels", .since = "2.0.0",
     .group = "pubsub"},
    {.name = "psubscribe", .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Listen for messages published to channels matching the given patterns", .since = "2.0.0",
     .group = "pubsub"},
    {.name = "punsubscribe", .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Stop listening for messages posted to channels matching the given patterns", .since = "2.0.0",
     .group = "pubsub"},
    {.name = "publish", .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE, .acl_categories = "@pubsub @fast", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Post a message to a channel", .since = "2.0.0",
     .group = "pubsub"},
    {.name = "ssubscribe", .arity = -2, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Listen for messages published to the given shard channels", .since = "7.0.0",
     .group = "pubsub"},
    {.name = "sunsubscribe", .arity = -1, .flags = CMD_PUBSUB | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SUBSCRIBED_OK, .acl_categories = "@pubsub @slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Stop listening for messages posted to the given shard channels", .since = "7.0.0",
     .group = "pubsub"},
    {.name = "spublish", .arity = 3, .flags = CMD_PUBSUB | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_MAY_REPLICATE, .acl_categories = "@pubsub @fast", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .summary = "Post a message to a shard channel", .since = "7.0.0",
     .group = "pubsub"},
    {.name = "pubsub", .arity = -2, .flags = 0, .acl_categories = "@slow", .route = ROUTE_LOCAL,
     .merge = MERGE_NONE, .handler = cmd_pubsub, .engine = ENGINE_PUBSUB, .subcommands = pubsub_subcommands, .summary = "A container for Pub/Sub commands", .since = "2.8.0",
     .group = "pubsub"},
    {.name = "select", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .acl_categories = "@fast @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_select,
     .summary = "Change the selected database for the current connection", .since = "1.0.0", .group = "connection"},
    {.name = "eval", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Execute a Lua script server side", .since = "2.6.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "evalsha", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Execute a Lua script server side", .since = "2.6.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "eval_ro", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Execute a read-only Lua script server side", .since = "7.0.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "evalsha_ro", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Execute a read-only Lua script server side", .since = "7.0.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "fcall", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Invoke a function", .since = "7.0.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "fcall_ro", .arity = -3, .flags = CMD_NOSCRIPT | CMD_SKIP_MONITOR | CMD_STALE | CMD_READONLY | CMD_MOVABLE_KEYS,
     .acl_categories = "@slow @scripting", .route = ROUTE_CUSTOM, .merge = MERGE_NONE,
     .summary = "Invoke a read-only function", .since = "7.0.0", .group = "scripting", .keynum_arg = 2,
     .engine = ENGINE_SCRIPT},
    {.name = "function", .arity = -2, .acl_categories = "@slow", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .summary = "A container for function commands", .since = "7.0.0",
     .group = "scripting", .subcommands = function_subcommands},
    {.name = "script", .arity = -2, .acl_categories = "@slow", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .summary = "A container for Lua scripts management commands", .since = "2.6.0",
     .group = "scripting", .subcommands = script_subcommands},
    {.name = "client", .arity = -2, .acl_categories = "@slow", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_client, .summary = "A container for client connection commands", .since = "2.4.0",
     .group = "connection", .subcommands = client_subcommands},
    {.name = "info", .arity = -1, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @dangerous",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_info, .engine = ENGINE_INFO,
     .summary = "Get information and statistics about the server", .since = "1.0.0", .group = "server"},
    {.name = "auth", .arity = -2,
     .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY,
     .acl_categories = "@fast @connection", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_auth,
     .summary = "Authenticate to the server", .since = "1.0.0", .group = "connection"},
    {.name = "acl", .arity = -2, .acl_categories = "@slow", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_acl, .summary = "A container for Access List Control commands", .since = "6.0.0",
     .group = "server", .subcommands = acl_subcommands},
    {.name = "config", .arity = -2, .acl_categories = "@slow", .route = ROUTE_LOCAL, .merge = MERGE_NONE,
     .handler = cmd_config, .summary = "A container for server configuration commands", .since = "2.0.0",
     .group = "server", .subcommands = config_subcommands},
    {.name = "time", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .acl_categories = "@fast",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_time, .summary = "Return the current server time",
     .since = "2.6.0", .group = "server"},
    {.name = "shutdown", .arity = -1,
     .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY | CMD_AUDIT,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_shutdown,
     .summary = "Synchronously save the dataset to disk and then shut down the server", .since = "1.0.0",
     .group = "server"},
    {.name = "debug", .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_PROTECTED,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_debug,
     .summary = "A container for debugging commands", .since = "1.0.0", .group = "server"},
    {.name = "command", .arity = -1, .flags = CMD_LOADING | CMD_STALE, .acl_categories = "@slow @connection",
     .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_command, .summary = "Get array of Redis command details",
     .since = "2.8.13", .group = "server", .subcommands = command_subcommands},
    {.name = "lastsave", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST,
     .acl_categories = "@admin @fast @dangerous", .route = ROUTE_LOCAL, .merge = MERGE_NONE, .handler = cmd_lastsave,
     .summary = "Get the UNIX time stamp of the last successful save to disk", .since = "1.0.0", .group = "server"},
    /* Snapshots run on every shard behind a global barrier (one cut); the
     * dispatcher claims the snapshot slot first (snap_command_prepare). */
    {.name = "save", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI | CMD_GLOBAL_BARRIER | CMD_CUT,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_ALL, .merge = MERGE_NONE, .handler = cmd_save, .engine = ENGINE_SAVE,
     .summary = "Synchronously save the dataset to disk", .since = "1.0.0", .group = "server"},
    {.name = "bgsave", .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI | CMD_GLOBAL_BARRIER | CMD_CUT,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_ALL, .merge = MERGE_NONE, .handler = cmd_bgsave, .engine = ENGINE_BGSAVE,
     .summary = "Asynchronously save the dataset to disk", .since = "1.0.0", .group = "server"},
    /* A log rewrite: the same barrier and snapshot, as each shard's base. */
    {.name = "bgrewriteaof", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI | CMD_GLOBAL_BARRIER | CMD_CUT,
     .acl_categories = "@admin @slow @dangerous", .route = ROUTE_ALL, .merge = MERGE_NONE, .handler = cmd_bgrewriteaof, .engine = ENGINE_BGREWRITEAOF,
     .summary = "Asynchronously rewrite the append-only file", .since = "1.0.0", .group = "server"},
    /* ---- collections: lists, hashes, sets, sorted sets (issue 4) ---- */
    {.name = "lpush", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lpush,
     .summary = "Prepend one or multiple elements to a list", .since = "1.0.0", .group = "list"},
    {.name = "rpush", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_rpush,
     .summary = "Append one or multiple elements to a list", .since = "1.0.0", .group = "list"},
    {.name = "lpushx", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lpushx,
     .summary = "Prepend an element to a list, only if the list exists", .since = "2.2.0", .group = "list"},
    {.name = "rpushx", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_rpushx,
     .summary = "Append an element to a list, only if the list exists", .since = "2.2.0", .group = "list"},
    {.name = "lpop", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lpop,
     .summary = "Remove and get the first elements in a list", .since = "1.0.0", .group = "list"},
    {.name = "rpop", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_rpop,
     .summary = "Remove and get the last elements in a list", .since = "1.0.0", .group = "list"},
    {.name = "llen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @list @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_llen,
     .summary = "Get the length of a list", .since = "1.0.0", .group = "list"},
    {.name = "lrange", .arity = 4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lrange,
     .summary = "Get a range of elements from a list", .since = "1.0.0", .group = "list"},
    {.name = "lindex", .arity = 3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lindex,
     .summary = "Get an element from a list by its index", .since = "1.0.0", .group = "list"},
    {.name = "lset", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lset,
     .summary = "Set the value of an element in a list by its index", .since = "1.0.0", .group = "list"},
    {.name = "linsert", .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_linsert,
     .summary = "Insert an element before or after another element in a list", .since = "2.2.0", .group = "list"},
    {.name = "lrem", .arity = 4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lrem,
     .summary = "Remove elements from a list", .since = "1.0.0", .group = "list"},
    {.name = "ltrim", .arity = 4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_ltrim,
     .summary = "Trim a list to the specified range", .since = "1.0.0", .group = "list"},
    {.name = "lpos", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @list @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_lpos,
     .summary = "Return the index of matching elements on a list", .since = "6.0.6", .group = "list"},
    {.name = "lmove", .arity = 5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_lmove,
     .summary = "Pop an element from a list, push it to another list and return it", .since = "6.2.0", .group = "list"},
    {.name = "rpoplpush", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @list @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_rpoplpush,
     .summary = "Remove the last element in a list, prepend it to another list and return it", .since = "1.2.0", .group = "list"},
    {.name = "lmpop", .arity = -4, .flags = CMD_WRITE | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@write @list @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_lmpop,
     .summary = "Pop elements from a list", .since = "7.0.0", .group = "list", .keynum_arg = 1},
    {.name = "blpop", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, .first_key = 1, .last_key = -2, .key_step = 1,
     .acl_categories = "@write @list @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_blpop,
     .summary = "Remove and get the first element in a list, or block until one is available", .since = "2.0.0", .group = "list"},
    {.name = "brpop", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING, .first_key = 1, .last_key = -2, .key_step = 1,
     .acl_categories = "@write @list @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_brpop,
     .summary = "Remove and get the last element in a list, or block until one is available", .since = "2.0.0", .group = "list"},
    {.name = "blmove", .arity = 6, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING | CMD_BLOCK_SOURCE, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @list @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_blmove,
     .summary = "Pop an element from a list, push it to another list and return it; or block until one is available", .since = "6.2.0", .group = "list"},
    {.name = "brpoplpush", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_NOSCRIPT | CMD_BLOCKING | CMD_BLOCK_SOURCE, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @list @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_brpoplpush,
     .summary = "Pop an element from a list, push it to another list and return it; or block until one is available", .since = "2.2.0", .group = "list"},
    {.name = "blmpop", .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@write @list @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_blmpop,
     .summary = "Pop elements from a list, or block until one is available", .since = "7.0.0", .group = "list", .keynum_arg = 2},
    {.name = "hset", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hset,
     .summary = "Set the string value of a hash field", .since = "2.0.0", .group = "hash"},
    {.name = "hsetnx", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hsetnx,
     .summary = "Set the value of a hash field, only if the field does not exist", .since = "2.0.0", .group = "hash"},
    {.name = "hget", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hget,
     .summary = "Get the value of a hash field", .since = "2.0.0", .group = "hash"},
    {.name = "hmset", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hmset,
     .summary = "Set multiple hash fields to multiple values", .since = "2.0.0", .group = "hash"},
    {.name = "hmget", .arity = -3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hmget,
     .summary = "Get the values of all the given hash fields", .since = "2.0.0", .group = "hash"},
    {.name = "hdel", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hdel,
     .summary = "Delete one or more hash fields", .since = "2.0.0", .group = "hash"},
    {.name = "hlen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hlen,
     .summary = "Get the number of fields in a hash", .since = "2.0.0", .group = "hash"},
    {.name = "hstrlen", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hstrlen,
     .summary = "Get the length of the value of a hash field", .since = "3.2.0", .group = "hash"},
    {.name = "hexists", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hexists,
     .summary = "Determine if a hash field exists", .since = "2.0.0", .group = "hash"},
    {.name = "hkeys", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hkeys,
     .summary = "Get all the fields in a hash", .since = "2.0.0", .group = "hash"},
    {.name = "hvals", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hvals,
     .summary = "Get all the values in a hash", .since = "2.0.0", .group = "hash"},
    {.name = "hgetall", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hgetall,
     .summary = "Get all the fields and values in a hash", .since = "2.0.0", .group = "hash"},
    {.name = "hincrby", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hincrby,
     .summary = "Increment the integer value of a hash field by the given number", .since = "2.0.0", .group = "hash"},
    {.name = "hincrbyfloat", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @hash @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hincrbyfloat,
     .summary = "Increment the float value of a hash field by the given amount", .since = "2.6.0", .group = "hash"},
    {.name = "hrandfield", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hrandfield,
     .summary = "Get one or multiple random fields from a hash", .since = "6.2.0", .group = "hash"},
    {.name = "hscan", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @hash @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_hscan,
     .summary = "Incrementally iterate hash fields and associated values", .since = "2.8.0", .group = "hash"},
    {.name = "sadd", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_sadd,
     .summary = "Add one or more members to a set", .since = "1.0.0", .group = "set"},
    {.name = "srem", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_srem,
     .summary = "Remove one or more members from a set", .since = "1.0.0", .group = "set"},
    {.name = "smembers", .arity = 2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_smembers,
     .summary = "Get all the members in a set", .since = "1.0.0", .group = "set"},
    {.name = "sismember", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_sismember,
     .summary = "Determine if a given value is a member of a set", .since = "1.0.0", .group = "set"},
    {.name = "smismember", .arity = -3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_smismember,
     .summary = "Returns the membership associated with the given elements for a set", .since = "6.2.0", .group = "set"},
    {.name = "scard", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_scard,
     .summary = "Get the number of members in a set", .since = "1.0.0", .group = "set"},
    {.name = "spop", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @set @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_spop,
     .summary = "Remove and return one or multiple random members from a set", .since = "1.0.0", .group = "set"},
    {.name = "srandmember", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_srandmember,
     .summary = "Get one or multiple random members from a set", .since = "1.0.0", .group = "set"},
    {.name = "smove", .arity = 4, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @set @fast", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_smove,
     .summary = "Move a member from one set to another", .since = "1.0.0", .group = "set"},
    {.name = "sinter", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sinter,
     .summary = "Intersect multiple sets", .since = "1.0.0", .group = "set"},
    {.name = "sintercard", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sintercard,
     .summary = "Intersect multiple sets and return the cardinality of the result", .since = "7.0.0", .group = "set", .keynum_arg = 1},
    {.name = "sinterstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@write @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sinterstore,
     .summary = "Intersect multiple sets and store the resulting set in a key", .since = "1.0.0", .group = "set"},
    {.name = "sunion", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sunion,
     .summary = "Add multiple sets", .since = "1.0.0", .group = "set"},
    {.name = "sunionstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@write @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sunionstore,
     .summary = "Add multiple sets and store the resulting set in a key", .since = "1.0.0", .group = "set"},
    {.name = "sdiff", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sdiff,
     .summary = "Subtract multiple sets", .since = "1.0.0", .group = "set"},
    {.name = "sdiffstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = -1, .key_step = 1,
     .acl_categories = "@write @set @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sdiffstore,
     .summary = "Subtract multiple sets and store the resulting set in a key", .since = "1.0.0", .group = "set"},
    {.name = "sscan", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_sscan,
     .summary = "Incrementally iterate Set elements", .since = "2.8.0", .group = "set"},
    {.name = "zadd", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zadd,
     .summary = "Add one or more members to a sorted set, or update its score if it already exists", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zrem", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrem,
     .summary = "Remove one or more members from a sorted set", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zscore", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zscore,
     .summary = "Get the score associated with the given member in a sorted set", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zmscore", .arity = -3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zmscore,
     .summary = "Get the score associated with the given members in a sorted set", .since = "6.2.0", .group = "sorted-set"},
    {.name = "zincrby", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zincrby,
     .summary = "Increment the score of a member in a sorted set", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zcard", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zcard,
     .summary = "Get the number of members in a sorted set", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zcount", .arity = 4, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zcount,
     .summary = "Count the members in a sorted set with scores within the given values", .since = "2.0.0", .group = "sorted-set"},
    {.name = "zlexcount", .arity = 4, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zlexcount,
     .summary = "Count the number of members in a sorted set between a given lexicographical range", .since = "2.8.9", .group = "sorted-set"},
    {.name = "zrange", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrange,
     .summary = "Return a range of members in a sorted set", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zrangebyscore", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrangebyscore,
     .summary = "Return a range of members in a sorted set, by score", .since = "1.0.5", .group = "sorted-set"},
    {.name = "zrevrangebyscore", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrevrangebyscore,
     .summary = "Return a range of members in a sorted set, by score, with scores ordered from high to low", .since = "2.2.0", .group = "sorted-set"},
    {.name = "zrangebylex", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrangebylex,
     .summary = "Return a range of members in a sorted set, by lexicographical range", .since = "2.8.9", .group = "sorted-set"},
    {.name = "zrevrangebylex", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrevrangebylex,
     .summary = "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.", .since = "2.8.9", .group = "sorted-set"},
    {.name = "zrevrange", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrevrange,
     .summary = "Return a range of members in a sorted set, by index, with scores ordered from high to low", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zrangestore", .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zrangestore,
     .summary = "Store a range of members from sorted set into another key", .since = "6.2.0", .group = "sorted-set"},
    {.name = "zrank", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrank,
     .summary = "Determine the index of a member in a sorted set", .since = "2.0.0", .group = "sorted-set"},
    {.name = "zrevrank", .arity = 3, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrevrank,
     .summary = "Determine the index of a member in a sorted set, with scores ordered from high to low", .since = "2.0.0", .group = "sorted-set"},
    {.name = "zpopmin", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zpopmin,
     .summary = "Remove and return members with the lowest scores in a sorted set", .since = "5.0.0", .group = "sorted-set"},
    {.name = "zpopmax", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zpopmax,
     .summary = "Remove and return members with the highest scores in a sorted set", .since = "5.0.0", .group = "sorted-set"},
    {.name = "zmpop", .arity = -4, .flags = CMD_WRITE | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zmpop,
     .summary = "Remove and return members with scores in a sorted set", .since = "7.0.0", .group = "sorted-set", .keynum_arg = 1},
    {.name = "bzpopmin", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST | CMD_BLOCK_ZSET, .first_key = 1, .last_key = -2, .key_step = 1,
     .acl_categories = "@write @sortedset @fast @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_bzpopmin,
     .summary = "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available", .since = "5.0.0", .group = "sorted-set"},
    {.name = "bzpopmax", .arity = -3, .flags = CMD_WRITE | CMD_NOSCRIPT | CMD_BLOCKING | CMD_FAST | CMD_BLOCK_ZSET, .first_key = 1, .last_key = -2, .key_step = 1,
     .acl_categories = "@write @sortedset @fast @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_bzpopmax,
     .summary = "Remove and return the member with the highest score from one or more sorted sets, or block until one is available", .since = "5.0.0", .group = "sorted-set"},
    {.name = "bzmpop", .arity = -5, .flags = CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS | CMD_BLOCK_ZSET, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@write @sortedset @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_bzmpop,
     .summary = "Remove and return members with scores in a sorted set or block until one is available", .since = "7.0.0", .group = "sorted-set", .keynum_arg = 2},
    {.name = "zrandmember", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zrandmember,
     .summary = "Get one or multiple random elements from a sorted set", .since = "6.2.0", .group = "sorted-set"},
    {.name = "zunion", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zunion,
     .summary = "Add multiple sorted sets", .since = "6.2.0", .group = "sorted-set", .keynum_arg = 1},
    {.name = "zinter", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zinter,
     .summary = "Intersect multiple sorted sets", .since = "6.2.0", .group = "sorted-set", .keynum_arg = 1},
    {.name = "zdiff", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zdiff,
     .summary = "Subtract multiple sorted sets", .since = "6.2.0", .group = "sorted-set", .keynum_arg = 1},
    {.name = "zunionstore", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zunionstore,
     .summary = "Add multiple sorted sets and store the resulting sorted set in a new key", .since = "2.0.0", .group = "sorted-set", .keynum_arg = 2},
    {.name = "zinterstore", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zinterstore,
     .summary = "Intersect multiple sorted sets and store the resulting sorted set in a new key", .since = "2.0.0", .group = "sorted-set", .keynum_arg = 2},
    {.name = "zdiffstore", .arity = -4, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zdiffstore,
     .summary = "Subtract multiple sorted sets and store the resulting sorted set in a new key", .since = "6.2.0", .group = "sorted-set", .keynum_arg = 2},
    {.name = "zintercard", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_zintercard,
     .summary = "Intersect multiple sorted sets and return the cardinality of the result", .since = "7.0.0", .group = "sorted-set", .keynum_arg = 1},
    {.name = "zremrangebyscore", .arity = 4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zremrangebyscore,
     .summary = "Remove all members in a sorted set within the given scores", .since = "1.2.0", .group = "sorted-set"},
    {.name = "zremrangebyrank", .arity = 4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zremrangebyrank,
     .summary = "Remove all members in a sorted set within the given indexes", .since = "2.0.0", .group = "sorted-set"},
    {.name = "zremrangebylex", .arity = 4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zremrangebylex,
     .summary = "Remove all members in a sorted set between the given lexicographical range", .since = "2.8.9", .group = "sorted-set"},
    {.name = "zscan", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @sortedset @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_zscan,
     .summary = "Incrementally iterate sorted sets elements and associated scores", .since = "2.8.0", .group = "sorted-set"},
    {.name = "geoadd", .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_geoadd,
     .summary = "Add one or more geospatial items in the geospatial index represented using a sorted set", .since = "3.2.0", .group = "geo"},
    {.name = "geodist", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_geodist,
     .summary = "Returns the distance between two members of a geospatial index", .since = "3.2.0", .group = "geo"},
    {.name = "geohash", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_geohash,
     .summary = "Returns members of a geospatial index as standard geohash strings", .since = "3.2.0", .group = "geo"},
    {.name = "geopos", .arity = -2, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_geopos,
     .summary = "Returns longitude and latitude of members of a geospatial index", .since = "3.2.0", .group = "geo"},
    {.name = "georadius", .arity = -6, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @geo @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_georadius, .getkeys = geo_radius_keys,
     .summary = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", .since = "3.2.0", .group = "geo"},
    {.name = "georadius_ro", .arity = -6, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_georadius_ro,
     .summary = "A read-only variant for GEORADIUS", .since = "3.2.10", .group = "geo"},
    {.name = "georadiusbymember", .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @geo @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_georadiusbymember, .getkeys = geo_radius_keys,
     .summary = "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", .since = "3.2.0", .group = "geo"},
    {.name = "georadiusbymember_ro", .arity = -5, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_georadiusbymember_ro,
     .summary = "A read-only variant for GEORADIUSBYMEMBER", .since = "3.2.10", .group = "geo"},
    {.name = "geosearch", .arity = -7, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @geo @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_geosearch,
     .summary = "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", .since = "6.2.0", .group = "geo"},
    {.name = "geosearchstore", .arity = -8, .flags = CMD_WRITE | CMD_DENYOOM, .first_key = 1, .last_key = 2, .key_step = 1,
     .acl_categories = "@write @geo @slow", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_geosearchstore,
     .summary = "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", .since = "6.2.0", .group = "geo"},
    {.name = "sort", .arity = -2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @set @sortedset @list @slow @dangerous", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sort, .getkeys = sort_command_keys, .engine = ENGINE_SORT,
     .summary = "Sort the elements in a list, set or sorted set", .since = "1.0.0", .group = "generic"},
    {.name = "sort_ro", .arity = -2, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @set @sortedset @list @slow @dangerous", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_sort_ro, .getkeys = sort_command_keys, .engine = ENGINE_SORT,
     .summary = "Sort the elements in a list, set or sorted set. Read-only variant of SORT.", .since = "7.0.0", .group = "generic"},

    {.name = "xadd", .arity = -5, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xadd,
     .summary = "Appends a new entry to a stream", .since = "5.0.0", .group = "stream"},
    {.name = "xlen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xlen,
     .summary = "Return the number of entries in a stream", .since = "5.0.0", .group = "stream"},
    {.name = "xrange", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xrange,
     .summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval", .since = "5.0.0", .group = "stream"},
    {.name = "xrevrange", .arity = -4, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xrevrange,
     .summary = "Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE", .since = "5.0.0", .group = "stream"},
    {.name = "xdel", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xdel,
     .summary = "Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.", .since = "5.0.0", .group = "stream"},
    {.name = "xtrim", .arity = -4, .flags = CMD_WRITE, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xtrim,
     .summary = "Trims the stream to (approximately if '~' is passed) a certain size", .since = "5.0.0", .group = "stream"},
    {.name = "xread", .arity = -4, .flags = CMD_READONLY | CMD_BLOCKING | CMD_MOVABLE_KEYS | CMD_BLOCK_STREAM, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@read @stream @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_xread,
     .summary = "Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.", .since = "5.0.0", .group = "stream", .keynum_arg = KEYNUM_STREAMS},
    {.name = "xreadgroup", .arity = -7, .flags = CMD_WRITE | CMD_BLOCKING | CMD_MOVABLE_KEYS | CMD_BLOCK_STREAM, .first_key = 0, .last_key = 0, .key_step = 0,
     .acl_categories = "@write @stream @slow @blocking", .route = ROUTE_CUSTOM, .merge = MERGE_NONE, .handler = cmd_xreadgroup,
     .summary = "Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.", .since = "5.0.0", .group = "stream", .keynum_arg = KEYNUM_STREAMS},
    {.name = "xsetid", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xsetid,
     .summary = "An internal command for replicating stream values", .since = "5.0.0", .group = "stream"},
    {.name = "xack", .arity = -4, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xack,
     .summary = "Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.", .since = "5.0.0", .group = "stream"},
    {.name = "xpending", .arity = -3, .flags = CMD_READONLY, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@read @stream @slow", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xpending,
     .summary = "Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.", .since = "5.0.0", .group = "stream"},
    {.name = "xclaim", .arity = -6, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xclaim,
     .summary = "Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.", .since = "5.0.0", .group = "stream"},
    {.name = "xautoclaim", .arity = -6, .flags = CMD_WRITE | CMD_FAST, .first_key = 1, .last_key = 1, .key_step = 1,
     .acl_categories = "@write @stream @fast", .route = ROUTE_KEYS, .merge = MERGE_NONE, .handler = cmd_xautoclaim,
     .summary = "Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.", .since = "6.2.0", .group = "stream"},
    {.name = "xgroup", .arity = -2, .acl_categories = "@slow", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_xgroup, .summary = "A container for consumer groups commands", .since = "5.0.0",
     .group = "stream", .subcommands = xgroup_subcommands},
    {.name = "xinfo", .arity = -2, .acl_categories = "@slow", .route = ROUTE_KEYS, .merge = MERGE_NONE,
     .handler = cmd_xinfo, .summary = "A container for stream introspection commands", .since = "5.0.0",
     .group = "stream", .subcommands = xinfo_subcommands},
    {.name = NULL}, /* terminator */
};
/* clang-format on */
#undef cmd_acl
#undef cmd_auth
#undef cmd_bgrewriteaof
#undef cmd_bgsave
#undef cmd_client
#undef cmd_config
#undef cmd_debug
#undef cmd_dump
#undef cmd_echo
#undef cmd_hello
#undef cmd_info
#undef cmd_lastsave
#undef cmd_ping
#undef cmd_quit
#undef cmd_reset
#undef cmd_restore
#undef cmd_save
#undef cmd_select
#undef cmd_shutdown
#undef cmd_time

int command_bind_handler(const char *name, cmd_handler *handler)
{
    for (struct command *cmd = command_table; cmd->name; cmd++) {
        if (strcmp(cmd->name, name) != 0)
            continue;
        cmd->handler = handler;
        /* the subcommand arrays are this file's writable statics */
        for (struct command *sub = (struct command *)cmd->subcommands; sub && sub->name; sub++)
            if (!sub->handler)
                sub->handler = handler;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* What only COMMAND INFO / COMMAND DOCS report                              */
/* ------------------------------------------------------------------------ */

/* Key spec flags, in the order Redis 7.0 lists them. */
enum key_spec_flags {
    KS_RO = 1 << 0,
    KS_RW = 1 << 1,
    KS_OW = 1 << 2,
    KS_RM = 1 << 3,
    KS_ACCESS = 1 << 4,
    KS_UPDATE = 1 << 5,
    KS_INSERT = 1 << 6,
    KS_DELETE = 1 << 7,
    KS_NOT_KEY = 1 << 8,
    KS_INCOMPLETE = 1 << 9,
    KS_VARIABLE_FLAGS = 1 << 10,
};
static const char *const key_spec_flag_names[] = {
    "RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key", "incomplete", "variable_flags"};

enum doc_flags { DOC_DEPRECATED = 1 << 0, DOC_SYSCMD = 1 << 1 };

/* A key spec whose search begins at argument `index`. Two kinds, as Redis
 * reports them:
 *   range  (keynum 0): lastkey is relative to index (negative: counted from
 *          the end), then keystep and limit;
 *   keynum (keynum 1): argument index + keynumidx holds the number of keys,
 *          which start at index + firstkey, keystep apart (ZUNIONSTORE).
 * With `keyword` the search begins after that keyword, looked for from
 * argument `index` (startfrom); a range with limit L then takes the first
 * 1/L of what follows (XREAD: the keys before the ids). */
struct key_spec {
    const char *notes;
    uint32_t flags; /* enum key_spec_flags */
    int index;
    int lastkey, keystep, limit;
    int keynum;
    int keynumidx, firstkey;
    const char *keyword; /* begin_search by keyword from `index` (XREAD's STREAMS), else by index */
};

#define MAX_TIPS 3
#define MAX_KEY_SPECS 2

struct command_doc {
    const char *fullname; /* "get", "client|list" */
    const char *complexity;
    uint32_t doc_flags; /* enum doc_flags */
    const char *deprecated_since;
    const char *replaced_by;
    const char *tips[MAX_TIPS + 1]; /* NULL-terminated */
    int nspecs;
    struct key_spec specs[MAX_KEY_SPECS];
    /* For a spec flagged KS_VARIABLE_FLAGS: the flags this command line
     * gives its key (SET ... GET reads the old value). */
    uint32_t (*variable_key_flags)(const struct arg *argv, int argc);
};

static uint32_t set_key_flags(const struct arg *argv, int argc);
static uint32_t bitfield_key_flags(const struct arg *argv, int argc);

/* fullname, complexity, doc flags, deprecated since, replaced by, tips, key specs */
/* clang-format off */
static const struct command_doc command_docs[] = {
    {.fullname = "set", .complexity = "O(1)", .nspecs = 1,
     .specs = {{"RW and ACCESS due to the optional `GET` argument",
                KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, 1, 0, 1, 0}},
     .variable_key_flags = set_key_flags},
    {.fullname = "get", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "getset", .complexity = "O(1)", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0",
     .replaced_by = "`SET` with the `!GET` argument", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "getdel", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "getex", .complexity = "O(1)", .nspecs = 1,
     .specs = {{"RW and UPDATE because it changes the TTL", KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "setnx", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_OW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "setex", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "psetex", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "append",
     .complexity = "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already "
                   "present value is of any size, since the dynamic string library used by Redis will double the free "
                   "space available on every reallocation.", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "strlen", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "getrange",
     .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the "
                   "returned length, but because creating a substring from an existing string is very cheap, it can "
                   "be considered O(1) for small strings.", .nspecs = 1,
     .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "substr",
     .complexity = "O(N) where N is the length of the returned string. The complexity is ultimately determined by the "
                   "returned length, but because creating a substring from an existing string is very cheap, it can "
                   "be considered O(1) for small strings.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "2.0.0",
     .replaced_by = "`GETRANGE`", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "setrange",
     .complexity = "O(1), not counting the time taken to copy the new string in place. Usually, this string is very "
                   "small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length "
                   "of the value argument.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "incr", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "decr", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "incrby", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "decrby", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "incrbyfloat", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "mset", .complexity = "O(N) where N is the number of keys to set.",
     .tips = {"request_policy:multi_shard", "response_policy:all_succeeded"}, .nspecs = 1,
     .specs = {{NULL, KS_OW | KS_UPDATE, 1, -1, 2, 0}}},
    {.fullname = "mget", .complexity = "O(N) where N is the number of keys to retrieve.",
     .tips = {"request_policy:multi_shard"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, -1, 1, 0}}},
    {.fullname = "msetnx", .complexity = "O(N) where N is the number of keys to set.",
     .tips = {"request_policy:multi_shard", "response_policy:agg_min"}, .nspecs = 1,
     .specs = {{NULL, KS_OW | KS_INSERT, 1, -1, 2, 0}}},
    {.fullname = "lcs", .complexity = "O(N*M) where N and M are the lengths of s1 and s2, respectively", .nspecs = 1,
     .specs = {{NULL, KS_RO | KS_ACCESS, 1, 1, 1, 0}}},
    {.fullname = "setbit", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "getbit", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "bitcount", .complexity = "O(N)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "bitpos", .complexity = "O(N)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "bitop", .complexity = "O(N)", .nspecs = 2,
     .specs = {{NULL, KS_OW | KS_UPDATE, 2, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 3, -1, 1, 0}}},
    {.fullname = "bitfield", .complexity = "O(1) for each subcommand specified", .nspecs = 1,
     .specs = {{"This command allows both access and modification of the key",
                KS_RW | KS_ACCESS | KS_UPDATE | KS_VARIABLE_FLAGS, 1, 0, 1, 0}},
     .variable_key_flags = bitfield_key_flags},
    {.fullname = "bitfield_ro", .complexity = "O(1) for each subcommand specified", .nspecs = 1,
     .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "pfadd", .complexity = "O(1) to add every element.", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "pfcount",
     .complexity = "O(1) with a very small average constant time when called with a single key. O(N) with N being the "
                   "number of keys, and much bigger constant times, when called with multiple keys.", .nspecs = 1,
     .specs = {{"RW because it may change the internal representation of the key, and propagate to replicas",
                KS_RW | KS_ACCESS, 1, -1, 1, 0}}},
    {.fullname = "pfmerge", .complexity = "O(N) to merge N HyperLogLogs, but with high constant times.", .nspecs = 2,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_INSERT, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, -1, 1, 0}}},
    {.fullname = "pfdebug", .complexity = "N/A", .doc_flags = DOC_SYSCMD, .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "pfselftest", .complexity = "N/A", .doc_flags = DOC_SYSCMD},
    {.fullname = "del",
     .complexity = "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other "
                   "than a string, the individual complexity for this key is O(M) where M is the number of elements "
                   "in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
     .tips = {"request_policy:multi_shard", "response_policy:agg_sum"}, .nspecs = 1,
     .specs = {{NULL, KS_RM | KS_DELETE, 1, -1, 1, 0}}},
    {.fullname = "unlink",
     .complexity = "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different "
                   "thread in order to reclaim memory, where N is the number of allocations the deleted objects where "
                   "composed of.", .tips = {"request_policy:multi_shard", "response_policy:agg_sum"}, .nspecs = 1,
     .specs = {{NULL, KS_RM | KS_DELETE, 1, -1, 1, 0}}},
    {.fullname = "exists", .complexity = "O(N) where N is the number of keys to check.",
     .tips = {"request_policy:multi_shard", "response_policy:agg_sum"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 1, -1, 1, 0}}},
    {.fullname = "touch", .complexity = "O(N) where N is the number of keys that will be touched.",
     .tips = {"request_policy:multi_shard", "response_policy:agg_sum"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 1, -1, 1, 0}}},
    {.fullname = "type", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "object", .complexity = "Depends on subcommand."},
    {.fullname = "object|encoding", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 2, 0, 1, 0}}},
    {.fullname = "object|freq", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 2, 0, 1, 0}}},
    {.fullname = "object|help", .complexity = "O(1)"},
    {.fullname = "object|idletime", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 2, 0, 1, 0}}},
    {.fullname = "object|refcount", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO, 2, 0, 1, 0}}},
    {.fullname = "expire", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "pexpire", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "expireat", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "pexpireat", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "ttl", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "pttl", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1,
     .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "expiretime", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "pexpiretime", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "persist", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "move", .complexity = "O(1)", .nspecs = 1,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "rename", .complexity = "O(1)", .nspecs = 2,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_OW | KS_UPDATE, 2, 0, 1, 0}}},
    {.fullname = "renamenx", .complexity = "O(1)", .nspecs = 2,
     .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_OW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "copy",
     .complexity = "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
     .nspecs = 2, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}, {NULL, KS_OW | KS_UPDATE, 2, 0, 1, 0}}},
    {.fullname = "dump", .complexity = "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
     .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "restore", .complexity = "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
     .nspecs = 1, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "keys",
     .complexity = "O(N) with N being the number of keys in the database, under the assumption that the key names in "
                   "the database and the given pattern have limited length.",
     .tips = {"request_policy:all_shards", "nondeterministic_output_order"}},
    {.fullname = "scan",
     .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor "
                   "to return back to 0. N is the number of elements inside the collection.",
     .tips = {"nondeterministic_output", "request_policy:special"}},
    {.fullname = "randomkey", .complexity = "O(1)", .tips = {"request_policy:all_shards", "nondeterministic_output"}},
    {.fullname = "dbsize", .complexity = "O(1)", .tips = {"request_policy:all_shards", "response_policy:agg_sum"}},
    {.fullname = "flushdb", .complexity = "O(N) where N is the number of keys in the selected database",
     .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}},
    {.fullname = "flushall", .complexity = "O(N) where N is the total number of keys in all databases",
     .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}},
    {.fullname = "swapdb",
     .complexity = "O(N) where N is the count of clients watching or blocking on keys from both databases."},
    {.fullname = "multi", .complexity = "O(1)"},
    {.fullname = "exec", .complexity = "Depends on commands in the transaction"},
    {.fullname = "discard", .complexity = "O(N), when N is the number of queued commands"},
    {.fullname = "watch", .complexity = "O(1) for every key.", .nspecs = 1, .specs = {{NULL, KS_RO, 1, -1, 1, 0}}},
    {.fullname = "unwatch", .complexity = "O(1)"},
    {.fullname = "ping", .complexity = "O(1)", .tips = {"request_policy:all_shards", "response_policy:all_succeeded"}},
    {.fullname = "echo", .complexity = "O(1)"},
    {.fullname = "hello", .complexity = "O(1)"},
    {.fullname = "quit", .complexity = "O(1)"},
    {.fullname = "reset", .complexity = "O(1)"},
    {.fullname = "subscribe", .complexity = "O(N) where N is the number of channels to subscribe to."},
    {.fullname = "unsubscribe", .complexity = "O(N) where N is the number of clients already subscribed to a channel."},
    {.fullname = "psubscribe", .complexity = "O(N) where N is the number of patterns the client is already subscribed to."},
    {.fullname = "punsubscribe", .complexity = "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client)."},
    {.fullname = "publish", .complexity = "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client)."},
    {.fullname = "ssubscribe", .complexity = "O(N) where N is the number of shard channels to subscribe to."},
    {.fullname = "sunsubscribe", .complexity = "O(N) where N is the number of clients already subscribed to a shard channel."},
    {.fullname = "spublish", .complexity = "O(N) where N is the number of clients subscribed to the receiving shard channel."},
    {.fullname = "pubsub", .complexity = "Depends on subcommand."},
    {.fullname = "pubsub|channels", .complexity = "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)"},
    {.fullname = "pubsub|help", .complexity = "O(1)"},
    {.fullname = "pubsub|numpat", .complexity = "O(1)"},
    {.fullname = "pubsub|numsub", .complexity = "O(N) for the NUMSUB subcommand, where N is the number of requested channels"},
    {.fullname = "pubsub|shardchannels", .complexity = "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels)."},
    {.fullname = "pubsub|shardnumsub", .complexity = "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels"},
    {.fullname = "select", .complexity = "O(1)"},
    {.fullname = "eval", .complexity = "Depends on the script that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", KS_RW | KS_ACCESS | KS_UPDATE, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "evalsha", .complexity = "Depends on the script that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", KS_RW | KS_ACCESS | KS_UPDATE, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "eval_ro", .complexity = "Depends on the script that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "evalsha_ro", .complexity = "Depends on the script that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "fcall", .complexity = "Depends on the function that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RW and UPDATE", KS_RW | KS_ACCESS | KS_UPDATE, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "fcall_ro", .complexity = "Depends on the function that is executed.", .nspecs = 1,
     .specs = {{"We cannot tell how the keys will be used so we assume the worst, RO and ACCESS", KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "function", .complexity = "Depends on subcommand."},
    {.fullname = "function|delete", .complexity = "O(1)"},
    {.fullname = "function|flush", .complexity = "O(N) where N is the number of functions deleted"},
    {.fullname = "function|help", .complexity = "O(1)"},
    {.fullname = "function|kill", .complexity = "O(1)"},
    {.fullname = "function|list", .complexity = "O(N) where N is the number of functions"},
    {.fullname = "function|load", .complexity = "O(1) (considering compilation time is redundant)"},
    {.fullname = "function|stats", .complexity = "O(1)"},
    {.fullname = "script", .complexity = "Depends on subcommand."},
    {.fullname = "script|debug", .complexity = "O(1)"},
    {.fullname = "script|exists", .complexity = "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation)."},
    {.fullname = "script|flush", .complexity = "O(N) with N being the number of scripts in cache"},
    {.fullname = "script|help", .complexity = "O(1)"},
    {.fullname = "script|kill", .complexity = "O(1)"},
    {.fullname = "script|load", .complexity = "O(N) with N being the length in bytes of the script body."},
    {.fullname = "client", .complexity = "Depends on subcommand."},
    {.fullname = "client|caching", .complexity = "O(1)"},
    {.fullname = "client|getname", .complexity = "O(1)"},
    {.fullname = "client|getredir", .complexity = "O(1)"},
    {.fullname = "client|help", .complexity = "O(1)"},
    {.fullname = "client|id", .complexity = "O(1)"},
    {.fullname = "client|info", .complexity = "O(1)", .tips = {"nondeterministic_output"}},
    {.fullname = "client|kill", .complexity = "O(N) where N is the number of client connections"},
    {.fullname = "client|list", .complexity = "O(N) where N is the number of client connections",
     .tips = {"nondeterministic_output"}},
    {.fullname = "client|no-evict", .complexity = "O(1)"},
    {.fullname = "client|reply", .complexity = "O(1)"},
    {.fullname = "client|setname", .complexity = "O(1)"},
    {.fullname = "client|tracking", .complexity = "O(1). Some options may introduce additional complexity."},
    {.fullname = "client|trackinginfo", .complexity = "O(1)"},
    {.fullname = "client|unblock", .complexity = "O(log N) where N is the number of client connections"},
    {.fullname = "info", .complexity = "O(1)",
     .tips = {"nondeterministic_output", "request_policy:all_shards", "response_policy:special"}},
    {.fullname = "auth", .complexity = "O(N) where N is the number of passwords defined for the user"},
    {.fullname = "acl", .complexity = "Depends on subcommand."},
    {.fullname = "acl|cat", .complexity = "O(1) since the categories and commands are a fixed set."},
    {.fullname = "acl|deluser", .complexity = "O(1) amortized time considering the typical user."},
    {.fullname = "acl|dryrun", .complexity = "O(1)."},
    {.fullname = "acl|genpass", .complexity = "O(1)"},
    {.fullname = "acl|getuser", .complexity = "O(N). Where N is the number of password, command and pattern rules that the user has."},
    {.fullname = "acl|help", .complexity = "O(1)"},
    {.fullname = "acl|list", .complexity = "O(N). Where N is the number of configured users."},
    {.fullname = "acl|load", .complexity = "O(N). Where N is the number of configured users."},
    {.fullname = "acl|log", .complexity = "O(N) with N being the number of entries shown."},
    {.fullname = "acl|save", .complexity = "O(N). Where N is the number of configured users."},
    {.fullname = "acl|setuser", .complexity = "O(N). Where N is the number of rules provided."},
    {.fullname = "acl|users", .complexity = "O(N). Where N is the number of configured users."},
    {.fullname = "acl|whoami", .complexity = "O(1)"},
    {.fullname = "config", .complexity = "Depends on subcommand."},
    {.fullname = "config|get", .complexity = "O(N) when N is the number of configuration parameters provided"},
    {.fullname = "config|help", .complexity = "O(1)"},
    {.fullname = "config|resetstat", .complexity = "O(1)"},
    {.fullname = "config|rewrite", .complexity = "O(1)"},
    {.fullname = "config|set", .complexity = "O(N) when N is the number of configuration parameters provided",
     .tips = {"request_policy:all_nodes", "response_policy:all_succeeded"}},
    {.fullname = "time", .complexity = "O(1)", .tips = {"nondeterministic_output"}},
    {.fullname = "shutdown",
     .complexity = "O(N) when saving, where N is the total number of keys in all databases when saving data, "
                   "otherwise O(1)"},
    {.fullname = "debug", .complexity = "Depends on subcommand.", .doc_flags = DOC_SYSCMD},
    {.fullname = "command", .complexity = "O(N) where N is the total number of Redis commands",
     .tips = {"nondeterministic_output_order"}},
    {.fullname = "command|count", .complexity = "O(1)"},
    {.fullname = "command|docs", .complexity = "O(N) where N is the number of commands to look up",
     .tips = {"nondeterministic_output_order"}},
    {.fullname = "command|getkeys", .complexity = "O(N) where N is the number of arguments to the command"},
    {.fullname = "command|getkeysandflags", .complexity = "O(N) where N is the number of arguments to the command"},
    {.fullname = "command|help", .complexity = "O(1)"},
    {.fullname = "command|info", .complexity = "O(N) where N is the number of commands to look up",
     .tips = {"nondeterministic_output_order"}},
    {.fullname = "command|list", .complexity = "O(N) where N is the total number of Redis commands",
     .tips = {"nondeterministic_output_order"}},
    {.fullname = "lastsave", .complexity = "O(1)", .tips = {"nondeterministic_output"}},
    {.fullname = "save", .complexity = "O(N) where N is the total number of keys in all databases"},
    {.fullname = "bgsave", .complexity = "O(1)"},
    {.fullname = "bgrewriteaof", .complexity = "O(1)"},
    {.fullname = "lpush", .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "rpush", .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "lpushx", .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "rpushx", .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "lpop", .complexity = "O(N) where N is the number of elements returned", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "rpop", .complexity = "O(N) where N is the number of elements returned", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "llen", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "lrange", .complexity = "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "lindex", .complexity = "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "lset", .complexity = "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "linsert", .complexity = "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "lrem", .complexity = "O(N+M) where N is the length of the list and M is the number of elements removed.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "ltrim", .complexity = "O(N) where N is the number of elements to be removed by the operation.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "lpos", .complexity = "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "lmove", .complexity = "O(1)", .nspecs = 2, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "rpoplpush", .complexity = "O(1)", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`LMOVE` with the `RIGHT` and `LEFT` arguments", .nspecs = 2, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "lmpop", .complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "blpop", .complexity = "O(N) where N is the number of provided keys.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1, 0}}},
    {.fullname = "brpop", .complexity = "O(N) where N is the number of provided keys.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1, 0}}},
    {.fullname = "blmove", .complexity = "O(1)", .nspecs = 2, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "brpoplpush", .complexity = "O(1)", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`BLMOVE` with the `RIGHT` and `LEFT` arguments", .nspecs = 2, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "blmpop", .complexity = "O(N+M) where N is the number of provided keys and M is the number of elements returned.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "hset", .complexity = "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "hsetnx", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "hget", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hmset", .complexity = "O(N) where N is the number of fields being set.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "4.0.0", .replaced_by = "`HSET` with multiple field-value pairs", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "hmget", .complexity = "O(N) where N is the number of fields being requested.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hdel", .complexity = "O(N) where N is the number of fields to be removed.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "hlen", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "hstrlen", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "hexists", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "hkeys", .complexity = "O(N) where N is the size of the hash.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hvals", .complexity = "O(N) where N is the size of the hash.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hgetall", .complexity = "O(N) where N is the size of the hash.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hincrby", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "hincrbyfloat", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "hrandfield", .complexity = "O(N) where N is the number of fields returned", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "hscan", .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "sadd", .complexity = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 1, 0, 1, 0}}},
    {.fullname = "srem", .complexity = "O(N) where N is the number of members to be removed.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "smembers", .complexity = "O(N) where N is the set cardinality.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "sismember", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "smismember", .complexity = "O(N) where N is the number of elements being checked for membership", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "scard", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "spop", .complexity = "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "srandmember", .complexity = "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "smove", .complexity = "O(1)", .nspecs = 2, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}, {NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "sinter", .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, -1, 1, 0}}},
    {.fullname = "sintercard", .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "sinterstore", .complexity = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", .nspecs = 2, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, -1, 1, 0}}},
    {.fullname = "sunion", .complexity = "O(N) where N is the total number of elements in all given sets.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, -1, 1, 0}}},
    {.fullname = "sunionstore", .complexity = "O(N) where N is the total number of elements in all given sets.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, -1, 1, 0}}},
    {.fullname = "sdiff", .complexity = "O(N) where N is the total number of elements in all given sets.", .tips = {"nondeterministic_output_order"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, -1, 1, 0}}},
    {.fullname = "sdiffstore", .complexity = "O(N) where N is the total number of elements in all given sets.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, -1, 1, 0}}},
    {.fullname = "sscan", .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zadd", .complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "zrem", .complexity = "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "zscore", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zmscore", .complexity = "O(N) where N is the number of members being requested.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zincrby", .complexity = "O(log(N)) where N is the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "zcard", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "zcount", .complexity = "O(log(N)) with N being the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zlexcount", .complexity = "O(log(N)) with N being the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrange", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrangebyscore", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with the `BYSCORE` argument", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrevrangebyscore", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with the `REV` and `BYSCORE` arguments", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrangebylex", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with the `BYLEX` argument", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrevrangebylex", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with the `REV` and `BYLEX` arguments", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrevrange", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`ZRANGE` with the `REV` argument", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrangestore", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "zrank", .complexity = "O(log(N))", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zrevrank", .complexity = "O(log(N))", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zpopmin", .complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "zpopmax", .complexity = "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "zmpop", .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "bzpopmin", .complexity = "O(log(N)) with N being the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1, 0}}},
    {.fullname = "bzpopmax", .complexity = "O(log(N)) with N being the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 1, -2, 1, 0}}},
    {.fullname = "bzmpop", .complexity = "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_ACCESS | KS_DELETE, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zrandmember", .complexity = "O(N) where N is the number of elements returned", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zunion", .complexity = "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zinter", .complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zdiff", .complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zunionstore", .complexity = "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zinterstore", .complexity = "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zdiffstore", .complexity = "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "xadd", .complexity = "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{"UPDATE instead of INSERT because of the optional trimming feature", KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "xlen", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO, 1, 0, 1, 0}}},
    {.fullname = "xrange", .complexity = "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "xrevrange", .complexity = "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "xdel", .complexity = "O(1) for each single item to delete in the stream, regardless of the stream size.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "xtrim", .complexity = "O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "xread", .complexity = "For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, -1, 1, 2, .keyword = "STREAMS"}}},
    {.fullname = "xreadgroup", .complexity = "For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 4, -1, 1, 2, .keyword = "STREAMS"}}},
    {.fullname = "xsetid", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "xack", .complexity = "O(1) for each message ID processed.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "xpending", .complexity = "O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "xclaim", .complexity = "O(log N) with N being the number of messages in the PEL of the consumer group.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "xautoclaim", .complexity = "O(1) if COUNT is small.", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "xgroup", .complexity = "Depends on subcommand."},
    {.fullname = "xgroup|create", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "xgroup|createconsumer", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_INSERT, 2, 0, 1, 0}}},
    {.fullname = "xgroup|delconsumer", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 2, 0, 1, 0}}},
    {.fullname = "xgroup|destroy", .complexity = "O(N) where N is the number of entries in the group's pending entries list (PEL).", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 2, 0, 1, 0}}},
    {.fullname = "xgroup|help", .complexity = "O(1)"},
    {.fullname = "xgroup|setid", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 2, 0, 1, 0}}},
    {.fullname = "xinfo", .complexity = "Depends on subcommand."},
    {.fullname = "xinfo|consumers", .complexity = "O(1)", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "xinfo|groups", .complexity = "O(1)", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "xinfo|help", .complexity = "O(1)"},
    {.fullname = "xinfo|stream", .complexity = "O(N) with N being the number of returned items for the subcommands CONSUMERS and GROUPS. The STREAM subcommand is O(log N) with N being the number of items in the stream.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "zintercard", .complexity = "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, .keynum = 1, .keynumidx = 0, .firstkey = 1, .keystep = 1}}},
    {.fullname = "zremrangebyscore", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "zremrangebyrank", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "zremrangebylex", .complexity = "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_DELETE, 1, 0, 1, 0}}},
    {.fullname = "geoadd", .complexity = "O(log(N)) for each item added, where N is the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RW | KS_UPDATE, 1, 0, 1, 0}}},
    {.fullname = "geodist", .complexity = "O(log(N))", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "geohash", .complexity = "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "geopos", .complexity = "O(N) where N is the number of members requested.", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "georadius", .complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument", .nspecs = 2, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}, {"the STORE destination, found by the getkeys function (Redis: keyword STORE)", KS_OW | KS_UPDATE | KS_INCOMPLETE, 2, -1, 1, 0}}},
    {.fullname = "georadius_ro", .complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`GEOSEARCH` with the `BYRADIUS` argument", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "georadiusbymember", .complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments", .nspecs = 2, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}, {"the STORE destination, found by the getkeys function (Redis: keyword STORE)", KS_OW | KS_UPDATE | KS_INCOMPLETE, 2, -1, 1, 0}}},
    {.fullname = "georadiusbymember_ro", .complexity = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", .doc_flags = DOC_DEPRECATED, .deprecated_since = "6.2.0", .replaced_by = "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "geosearch", .complexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "geosearchstore", .complexity = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", .nspecs = 2, .specs = {{NULL, KS_OW | KS_UPDATE, 1, 0, 1, 0}, {NULL, KS_RO | KS_ACCESS, 2, 0, 1, 0}}},
    {.fullname = "sort", .complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", .nspecs = 2, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}, {"the STORE destination, found by the getkeys function (Redis: keyword STORE)", KS_OW | KS_UPDATE | KS_INCOMPLETE, 2, -1, 1, 0}}},
    {.fullname = "sort_ro", .complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).", .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
    {.fullname = "zscan", .complexity = "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..", .tips = {"nondeterministic_output"}, .nspecs = 1, .specs = {{NULL, KS_RO | KS_ACCESS, 1, 0, 1, 0}}},
};
/* clang-format on */

/* ------------------------------------------------------------------------ */
/* Lookup                                                                    */
/* ------------------------------------------------------------------------ */

/* Open addressing over the lowercased name's FNV-1a hash; at most half full,
 * so a probe sequence is short and always ends at an empty slot. */
#define INDEX_SLOTS 1024

struct command_index {
    int count;                         /* top-level commands */
    int stat_count;                    /* commands and subcommands (INFO commandstats slots) */
    int sub_base[INDEX_SLOTS / 2];     /* stats slot of a command's first subcommand */
    uint16_t slot[INDEX_SLOTS];        /* position in command_table + 1; 0 = empty */
    uint8_t name_len[INDEX_SLOTS / 2]; /* by position in command_table */
};

static struct command_index command_index;
static pthread_once_t command_index_once = PTHREAD_ONCE_INIT;

static uint32_t name_hash_step(uint32_t h, unsigned char ch)
{
    return (h ^ ch) * 16777619u;
}

static void command_index_build(void)
{
    int n = 0;
    while (command_table[n].name)
        n++;
    /* Our own invariant, broken only by editing the table: grow INDEX_SLOTS. */
    if (n > INDEX_SLOTS / 2)
        abort();
    for (int i = 0; i < n; i++) {
        const char *name = command_table[i].name;
        size_t len = strlen(name);
        if (len >= COMMAND_NAME_MAX)
            abort();
        uint32_t h = 2166136261u;
        for (size_t j = 0; j < len; j++)
            h = name_hash_step(h, (unsigned char)name[j]);
        uint32_t slot = h & (INDEX_SLOTS - 1);
        while (command_index.slot[slot])
            slot = (slot + 1) & (INDEX_SLOTS - 1);
        command_index.slot[slot] = (uint16_t)(i + 1);
        command_index.name_len[i] = (uint8_t)len;
    }
    command_index.count = n;
    /* Stats slots: the commands in table order, then each container's
     * subcommands after it, in the order of its array. */
    int slot = n;
    for (int i = 0; i < n; i++) {
        command_index.sub_base[i] = slot;
        for (const struct command *sub = command_table[i].subcommands; sub && sub->name; sub++)
            slot++;
    }
    command_index.stat_count = slot;
}

const struct command *command_lookup(const char *name, size_t len)
{
    char lower[COMMAND_NAME_MAX];
    if (len == 0 || len >= COMMAND_NAME_MAX)
        return NULL;
    pthread_once(&command_index_once, command_index_build);

    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (unsigned char)(ch + ('a' - 'A'));
        lower[i] = (char)ch;
        h = name_hash_step(h, ch);
    }
    for (uint32_t slot = h & (INDEX_SLOTS - 1); command_index.slot[slot]; slot = (slot + 1) & (INDEX_SLOTS - 1)) {
        int pos = command_index.slot[slot] - 1;
        if (command_index.name_len[pos] == len && memcmp(command_table[pos].name, lower, len) == 0)
            return &command_table[pos];
    }
    return NULL;
}

const struct command *command_lookup_sub(const struct command *parent, const char *name, size_t len)
{
    if (!parent || !parent->subcommands)
        return NULL;
    for (const struct command *sub = parent->subcommands; sub->name; sub++)
        if (strlen(sub->name) == len && strncasecmp(sub->name, name, len) == 0)
            return sub;
    return NULL;
}

int command_count(void)
{
    pthread_once(&command_index_once, command_index_build);
    return command_index.count;
}

int command_stat_count(void)
{
    pthread_once(&command_index_once, command_index_build);
    return command_index.stat_count;
}

int command_sub_stat_index(const struct command *cmd, const struct arg *subname)
{
    pthread_once(&command_index_once, command_index_build);
    int top = (int)(cmd - command_table);
    const struct command *sub = command_lookup_sub(cmd, subname->ptr, subname->len);
    if (!sub)
        return top; /* rejected before running: only the unknown-subcommand path */
    return command_index.sub_base[top] + (int)(sub - cmd->subcommands);
}

size_t command_stat_name(int idx, char *buf, size_t size)
{
    pthread_once(&command_index_once, command_index_build);
    if (idx < 0 || idx >= command_index.stat_count)
        return (size_t)snprintf(buf, size, "unknown");
    if (idx < command_index.count)
        return (size_t)snprintf(buf, size, "%s", command_table[idx].name);
    int top = command_index.count - 1;
    while (top > 0 && command_index.sub_base[top] > idx)
        top--;
    return (size_t)snprintf(buf, size, "%s|%s", command_table[top].name,
                            command_table[top].subcommands[idx - command_index.sub_base[top]].name);
}

/*
 * Keys are at first_key, first_key + key_step, ... up to last_key (negative:
 * counted back from argc), as Redis's legacy key range; positions at or past
 * argc are ignored, so a short argv yields fewer keys rather than garbage.
 *
 * whole_groups: a key counts only when its companions (MSET's value) are
 * there too. The dispatcher needs that: it copies each key's group into the
 * sub-command of the key's shard, so "MSET a 1 b" must route as the one-key
 * command it can run (where the handler replies the arity error, and nothing
 * is set on any shard, as in Redis). COMMAND GETKEYS reports what Redis does
 * instead: a and b.
 */
static int key_range_positions(const struct command *cmd, int argc, int *idx, int max, int whole_groups)
{
    if (cmd->first_key <= 0)
        return 0;
    int last = cmd->last_key >= 0 ? cmd->last_key : argc + cmd->last_key;
    int step = cmd->key_step > 0 ? cmd->key_step : 1;
    int need = whole_groups ? step : 1; /* arguments from the key on that must exist */
    int n = 0;
    for (int j = cmd->first_key; j <= last && j + need <= argc && n < max; j += step)
        idx[n++] = j;
    return n;
}

/* The keys counted by argv[keynum_arg] (ZUNIONSTORE, LMPOP, SINTERCARD):
 * none when the count is not a positive integer or names more keys than
 * there are arguments; the command then runs where it is and its handler
 * replies the error. */
static int keynum_positions(const struct command *cmd, int argc, const struct arg *argv, int *idx, int max)
{
    long long n;
    int at = cmd->keynum_arg;
    if (at == KEYNUM_STREAMS) {
        /* XREAD/XREADGROUP: the first half of what follows the first
         * STREAMS argument (Redis's xreadGetKeys); none when unbalanced. */
        int from = 0;
        for (int j = 1; j < argc; j++)
            if (arg_is(&argv[j], "streams")) {
                from = j + 1;
                break;
            }
        if (!from || (argc - from) % 2 || argc == from)
            return 0;
        int count = 0;
        for (int j = from; j < from + (argc - from) / 2 && count < max; j++)
            idx[count++] = j;
        return count;
    }
    if (at >= argc || !string2ll(argv[at].ptr, argv[at].len, &n) || n <= 0 || n > argc - at - 1)
        return 0;
    int count = 0;
    for (int j = at + 1; j <= at + n && count < max; j++)
        idx[count++] = j;
    return count;
}

/*
 * A container (OBJECT) has no keys of its own: the subcommand named by
 * argv[1] says where they are, and an unknown subcommand has none, so it runs
 * locally and its handler replies the error.
 *
 * CMD_MOVABLE_KEYS: the commands whose keys are counted by an argument have
 * keynum_arg (keynum_positions); the range (first_key..last_key) gives the
 * fixed keys before the count, such as ZUNIONSTORE's destination.
 */
int command_key_positions(const struct command *cmd, int argc, const struct arg *argv, int *idx, int max)
{
    if (cmd->subcommands) {
        if (argc < 2)
            return 0;
        cmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        if (!cmd)
            return 0;
    }
    if (cmd->getkeys)
        return cmd->getkeys(argc, argv, idx, max);
    int n = key_range_positions(cmd, argc, idx, max, 1);
    if (cmd->keynum_arg)
        n += keynum_positions(cmd, argc, argv, idx + n, max - n);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Helpers for handlers                                                      */
/* ------------------------------------------------------------------------ */

/* The dispatcher hashes key arguments once (c->hashes); an argument it did
 * not hash (a ctx built without hashes, a handler looking up a non-key
 * argument) is hashed here. */
uint64_t arg_key_hash(const struct cmd_ctx *c, int argi)
{
    if (c->hashes && c->hashes[argi])
        return c->hashes[argi];
    return key_hash(c->argv[argi].ptr, c->argv[argi].len);
}

int delete_key_arg(struct cmd_ctx *c, int argi)
{
    const struct arg *k = &c->argv[argi];
    struct db_entry *e = db_unlink(c->db, arg_key_hash(c, argi), k->ptr, k->len);
    if (!e)
        return 0;
    if (ctx_config(c)->lazyfree_lazy_server_del)
        lazyfree_entry(e);
    else
        entry_free(e);
    return 1;
}

static struct db_entry *lookup_read_generic(struct cmd_ctx *c, int argi, int notify_miss);

struct db_entry *lookup_read(struct cmd_ctx *c, int argi)
{
    return lookup_read_generic(c, argi, 1);
}

struct db_entry *lookup_read_nonotify(struct cmd_ctx *c, int argi)
{
    return lookup_read_generic(c, argi, 0);
}

static struct db_entry *lookup_read_generic(struct cmd_ctx *c, int argi, int notify_miss)
{
    const struct arg *key = &c->argv[argi];
    struct db_entry *e = db_find_live(c->db, arg_key_hash(c, argi), key->ptr, key->len, c->now_ms);
    if (e) {
        evict_touch(e, ctx_config(c), c->now_ms);
        if (c->stats)
            c->stats->keyspace_hits++;
    } else {
        if (c->stats)
            c->stats->keyspace_misses++;
        if (notify_miss) /* as Redis, where it counts a miss */
            notify_keyspace_event(c, NOTIFY_KEY_MISS, "keymiss", argi);
    }
    return e;
}

/* Writes do not count as keyspace hits or misses, but like Redis's
 * lookupKeyWrite they refresh the access clock: OBJECT IDLETIME after SETRANGE
 * or APPEND is 0 in Redis too. */
struct db_entry *lookup_write_db(struct cmd_ctx *c, struct db *db, int argi)
{
    const struct arg *key = &c->argv[argi];
    struct db_entry *e = db_find_live(db, arg_key_hash(c, argi), key->ptr, key->len, c->now_ms);
    if (e)
        evict_touch(e, ctx_config(c), c->now_ms);
    return e;
}

struct db_entry *lookup_write(struct cmd_ctx *c, int argi)
{
    return lookup_write_db(c, c->db, argi);
}

/* The engine's side of the change hook (command.h); all NULL until
 * command_engine_install. A copy, not a pointer: one load per call. */
static struct cmd_engine_ops engine_ops;

void command_engine_install(const struct cmd_engine_ops *ops)
{
    if (ops)
        engine_ops = *ops;
    else
        memset(&engine_ops, 0, sizeof(engine_ops));
}

void effect_log(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens)
{
    c->effect_logged = 1;
    if (c->aof && engine_ops.effect)
        engine_ops.effect(c, argc, argv, lens);
}

void effect_key_expiry(struct cmd_ctx *c, int argi)
{
    c->effect_logged = 1;
    if (!c->aof)
        return;
    const struct arg *k = &c->argv[argi];
    struct db_entry *e = db_find(c->db, arg_key_hash(c, argi), k->ptr, k->len);
    char num[32];
    const char *argv[3] = {"DEL", k->ptr, num};
    size_t lens[3] = {3, k->len, 0};
    int argc = 2;
    if (e && e->expire_at) {
        argv[0] = "PEXPIREAT";
        lens[0] = 9;
        lens[2] = (size_t)snprintf(num, sizeof(num), "%lld", (long long)e->expire_at);
        argc = 3;
    } else if (e) {
        argv[0] = "PERSIST";
        lens[0] = 7;
    }
    effect_log(c, argc, argv, lens);
}

void effect_set_pxat(struct cmd_ctx *c, int argi, const char *val, size_t len, int64_t when)
{
    c->effect_logged = 1;
    if (!c->aof)
        return;
    char num[32];
    const char *argv[5] = {"SET", c->argv[argi].ptr, val, "PXAT", num};
    size_t lens[5] = {3, c->argv[argi].len, len, 4, (size_t)snprintf(num, sizeof(num), "%lld", (long long)when)};
    effect_log(c, 5, argv, lens);
}

void effect_log_command(struct cmd_ctx *c, uint64_t dirty_before)
{
    if (c->aof && !c->effect_logged && c->stats && c->stats->dirty != dirty_before && engine_ops.command_effect)
        engine_ops.command_effect(c);
}

void key_modified(struct cmd_ctx *c, int argi)
{
    if (c->stats)
        c->stats->dirty++;
    if (argi < 64)
        c->modified |= 1ULL << argi;
    if (engine_ops.key_changed)
        engine_ops.key_changed(c, argi);
}

void notify_keyspace_event_raise(struct cmd_ctx *c, int type, const char *event, const char *key, size_t klen, int dbid)
{
    if (engine_ops.notify)
        engine_ops.notify(c, type, event, key, klen, dbid);
}

const struct config *ctx_config(const struct cmd_ctx *c)
{
    return c->cfg ? c->cfg : config_defaults();
}

const char *parse_block_timeout(const struct arg *a, long long *timeout_ms)
{
    long double secs;
    if (!string2ld(a->ptr, a->len, &secs) || isnan(secs))
        return "ERR timeout is not a float or out of range";
    /* Redis 7.0: (long long)ceill(secs * 1000), then "negative" below 0. So
     * 0.0001 is 1 ms (not "forever"), -0.0001 rounds to 0 (forever), and a
     * value beyond a long long (inf, 1e300) converts to LLONG_MIN on x86-64,
     * which Redis reports as negative. */
    long double ms = ceill(secs * 1000.0L);
    if (!(ms < 9223372036854775808.0L) || !(ms > -9223372036854775808.0L) || ms < 0)
        return "ERR timeout is negative";
    *timeout_ms = (long long)ms;
    return NULL;
}

/* Redis 7.0's parseScanCursorOrReply: strtoul over the whole argument, so
 * "", "+1" and "-1" (which wraps) are cursors too; a leading space, trailing
 * bytes or overflow are not. */
int scan_cursor_or_reply(struct cmd_ctx *c, int argi, unsigned long long *cursor)
{
    const struct arg *a = &c->argv[argi];
    char buf[64];
    if (a->len >= sizeof(buf) || (a->len > 0 && isspace((unsigned char)a->ptr[0])))
        goto invalid;
    memcpy(buf, a->ptr, a->len);
    buf[a->len] = '\0';
    char *end;
    errno = 0;
    *cursor = strtoull(buf, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        goto invalid;
    return 1;
invalid:
    reply_error(c->out, ERR_INVALID_CURSOR);
    return 0;
}

int scan_match_count_or_reply(struct cmd_ctx *c, int first, struct scan_options *o)
{
    o->match = NULL;
    o->match_len = 0;
    o->count = 10;
    for (int j = first; j < c->argc; j += 2) {
        int has_value = j + 1 < c->argc;
        if (arg_is(&c->argv[j], "count") && has_value) {
            if (!arg_ll_or_reply(c, j + 1, &o->count, NULL))
                return 0;
            if (o->count < 1) {
                reply_error(c->out, ERR_SYNTAX);
                return 0;
            }
        } else if (arg_is(&c->argv[j], "match") && has_value) {
            const struct arg *p = &c->argv[j + 1];
            int match_all = p->len == 1 && p->ptr[0] == '*';
            o->match = match_all ? NULL : p->ptr;
            o->match_len = match_all ? 0 : p->len;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

int scan_options_or_reply(struct cmd_ctx *c, struct scan_options *o)
{
    return scan_cursor_or_reply(c, 2, &o->cursor) && scan_match_count_or_reply(c, 3, o);
}

int arg_timeout_or_reply(struct cmd_ctx *c, int argi, long long *timeout_ms)
{
    const char *err = parse_block_timeout(&c->argv[argi], timeout_ms);
    if (err) {
        reply_error(c->out, err);
        return 0;
    }
    return 1;
}

void keys_flushed(struct cmd_ctx *c, int dbid, int other)
{
    if (engine_ops.keys_flushed)
        engine_ops.keys_flushed(c, dbid, other);
}

int arg_ll_or_reply(struct cmd_ctx *c, int argi, long long *v, const char *errmsg)
{
    if (string2ll(c->argv[argi].ptr, c->argv[argi].len, v))
        return 1;
    reply_error(c->out, errmsg ? errmsg : ERR_NOT_INTEGER);
    return 0;
}

int arg_double_or_reply(struct cmd_ctx *c, int argi, double *v, const char *errmsg)
{
    if (string2d(c->argv[argi].ptr, c->argv[argi].len, v))
        return 1;
    reply_error(c->out, errmsg ? errmsg : ERR_NOT_FLOAT);
    return 0;
}

int arg_ld_or_reply(struct cmd_ctx *c, int argi, long double *v, const char *errmsg)
{
    if (string2ld(c->argv[argi].ptr, c->argv[argi].len, v))
        return 1;
    reply_error(c->out, errmsg ? errmsg : ERR_NOT_FLOAT);
    return 0;
}

/* Redis 7 names the command by its lower-case full name ("get",
 * "config|get") whatever case the client used. */
void reply_wrong_arity(struct buf *out, const char *name, size_t len)
{
    char lower[128];
    if (len > sizeof(lower))
        len = sizeof(lower);
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        lower[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + ('a' - 'A')) : ch;
    }
    reply_errorf(out, "ERR wrong number of arguments for '%.*s' command", (int)len, lower);
}

/* ------------------------------------------------------------------------ */
/* COMMAND                                                                   */
/* ------------------------------------------------------------------------ */

/* Command flags in the order Redis 7.0 lists them in COMMAND INFO. */
static const struct {
    uint32_t flag;
    const char *name;
} command_flag_names[] = {
    {CMD_WRITE, "write"},
    {CMD_READONLY, "readonly"},
    {CMD_DENYOOM, "denyoom"},
    {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"},
    {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"},
    {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_ASKING, "asking"},
    {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},
    {CMD_MAY_REPLICATE, "may_replicate"},
    {CMD_NO_MULTI, "no_multi"},
    {CMD_MOVABLE_KEYS, "movablekeys"},
    {CMD_ALLOW_BUSY, "allow_busy"},
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* "parent|name" or "name" into buf (at least 2 * COMMAND_NAME_MAX bytes). */
static size_t command_full_name(const struct command *cmd, const struct command *parent, char *buf, size_t size)
{
    int n = parent ? snprintf(buf, size, "%s|%s", parent->name, cmd->name) : snprintf(buf, size, "%s", cmd->name);
    return n < 0 ? 0 : (size_t)n >= size ? size - 1 : (size_t)n;
}

static void reply_command_name(struct buf *out, const struct command *cmd, const struct command *parent)
{
    char full[2 * COMMAND_NAME_MAX];
    size_t len = command_full_name(cmd, parent, full, sizeof(full));
    reply_bulk(out, full, len);
}

static const struct command_doc *command_doc_of(const struct command *cmd, const struct command *parent)
{
    char full[2 * COMMAND_NAME_MAX];
    command_full_name(cmd, parent, full, sizeof(full));
    for (size_t i = 0; i < ARRAY_LEN(command_docs); i++)
        if (strcmp(command_docs[i].fullname, full) == 0)
            return &command_docs[i];
    return NULL;
}

int command_key_specs_rw(const struct command *cmd, const struct command *parent, int *index, int *rw, int max)
{
    const struct command_doc *d = command_doc_of(cmd, parent);
    int n = 0;
    for (int i = 0; d && i < d->nspecs && n < max; i++, n++) {
        uint32_t f = d->specs[i].flags;
        index[n] = d->specs[i].index;
        rw[n] = ((f & KS_ACCESS) ? 1 : 0) | ((f & (KS_INSERT | KS_DELETE | KS_UPDATE)) ? 2 : 0) |
                ((f & KS_VARIABLE_FLAGS) ? 4 : 0);
    }
    return n;
}

static long long subcommand_count(const struct command *cmd)
{
    long long n = 0;
    for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++)
        n++;
    return n;
}

/* Steps through the space-separated "@category" words of an acl_categories
 * string: returns 0 at the end, else points cat and len at the next word and advances p. */
static int next_category(const char **p, const char **cat, size_t *len)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return 0;
    *cat = s;
    while (*s && *s != ' ')
        s++;
    *len = (size_t)(s - *cat);
    *p = s;
    return 1;
}

static void reply_categories(struct buf *out, int resp, const char *cats)
{
    const char *p = cats ? cats : "", *cat;
    size_t len;
    long long n = 0;
    while (next_category(&p, &cat, &len))
        n++;
    reply_set(out, resp, n);
    p = cats ? cats : "";
    while (next_category(&p, &cat, &len))
        reply_simple_len(out, cat, len);
}

/* True when cats holds "@name" (name compared without case, as ACL does). */
static int has_category(const char *cats, const char *name, size_t name_len)
{
    const char *p = cats ? cats : "", *cat;
    size_t len;
    while (next_category(&p, &cat, &len))
        if (len == name_len + 1 && cat[0] == '@' && strncasecmp(cat + 1, name, name_len) == 0)
            return 1;
    return 0;
}

static void reply_flag_set(struct buf *out, int resp, uint32_t flags)
{
    long long n = 0;
    for (size_t i = 0; i < ARRAY_LEN(command_flag_names); i++)
        if (flags & command_flag_names[i].flag)
            n++;
    reply_set(out, resp, n);
    for (size_t i = 0; i < ARRAY_LEN(command_flag_names); i++)
        if (flags & command_flag_names[i].flag)
            reply_simple(out, command_flag_names[i].name);
}

static void reply_key_spec_flags(struct buf *out, int resp, uint32_t flags)
{
    long long n = 0;
    for (size_t i = 0; i < ARRAY_LEN(key_spec_flag_names); i++)
        if (flags & (1u << i))
            n++;
    reply_set(out, resp, n);
    for (size_t i = 0; i < ARRAY_LEN(key_spec_flag_names); i++)
        if (flags & (1u << i))
            reply_simple(out, key_spec_flag_names[i]);
}

static void reply_key_spec(struct buf *out, int resp, const struct key_spec *ks)
{
    reply_map(out, resp, ks->notes ? 4 : 3);
    if (ks->notes) {
        reply_bulk_cstr(out, "notes");
        reply_bulk_cstr(out, ks->notes);
    }
    reply_bulk_cstr(out, "flags");
    reply_key_spec_flags(out, resp, ks->flags);
    reply_bulk_cstr(out, "begin_search");
    reply_map(out, resp, 2);
    reply_bulk_cstr(out, "type");
    if (ks->keyword) {
        reply_bulk_cstr(out, "keyword");
        reply_bulk_cstr(out, "spec");
        reply_map(out, resp, 2);
        reply_bulk_cstr(out, "keyword");
        reply_bulk_cstr(out, ks->keyword);
        reply_bulk_cstr(out, "startfrom");
        reply_integer(out, ks->index);
    } else {
        reply_bulk_cstr(out, "index");
        reply_bulk_cstr(out, "spec");
        reply_map(out, resp, 1);
        reply_bulk_cstr(out, "index");
        reply_integer(out, ks->index);
    }
    reply_bulk_cstr(out, "find_keys");
    reply_map(out, resp, 2);
    reply_bulk_cstr(out, "type");
    if (ks->keynum) {
        reply_bulk_cstr(out, "keynum");
        reply_bulk_cstr(out, "spec");
        reply_map(out, resp, 3);
        reply_bulk_cstr(out, "keynumidx");
        reply_integer(out, ks->keynumidx);
        reply_bulk_cstr(out, "firstkey");
        reply_integer(out, ks->firstkey);
        reply_bulk_cstr(out, "keystep");
        reply_integer(out, ks->keystep);
        return;
    }
    reply_bulk_cstr(out, "range");
    reply_bulk_cstr(out, "spec");
    reply_map(out, resp, 3);
    reply_bulk_cstr(out, "lastkey");
    reply_integer(out, ks->lastkey);
    reply_bulk_cstr(out, "keystep");
    reply_integer(out, ks->keystep);
    reply_bulk_cstr(out, "limit");
    reply_integer(out, ks->limit);
}

/* One COMMAND INFO entry: [name, arity, flags, first, last, step, categories,
 * tips, key specs, subcommands], with Redis 7.0's set/array types. */
static void reply_command_info(struct buf *out, int resp, const struct command *cmd, const struct command *parent)
{
    const struct command_doc *doc = command_doc_of(cmd, parent);
    reply_array(out, 10);
    reply_command_name(out, cmd, parent);
    reply_integer(out, cmd->arity);
    reply_flag_set(out, resp, cmd->flags);
    reply_integer(out, cmd->first_key);
    reply_integer(out, cmd->last_key);
    reply_integer(out, cmd->key_step);
    reply_categories(out, resp, cmd->acl_categories);

    long long ntips = 0;
    while (doc && ntips < MAX_TIPS && doc->tips[ntips])
        ntips++;
    reply_set(out, resp, ntips);
    for (long long i = 0; i < ntips; i++)
        reply_bulk_cstr(out, doc->tips[i]);

    int nspecs = doc ? doc->nspecs : 0;
    reply_set(out, resp, nspecs);
    for (int i = 0; i < nspecs; i++)
        reply_key_spec(out, resp, &doc->specs[i]);

    if (cmd->subcommands) {
        reply_array(out, subcommand_count(cmd));
        for (const struct command *sub = cmd->subcommands; sub->name; sub++)
            reply_command_info(out, resp, sub, cmd);
    } else {
        reply_set(out, resp, 0);
    }
}

/* One COMMAND DOCS map. History and arguments are not reported. */
static void reply_command_docs(struct buf *out, int resp, const struct command *cmd, const struct command *parent)
{
    const struct command_doc *doc = command_doc_of(cmd, parent);
    long long fields = 1; /* group, always */
    fields += cmd->summary != NULL;
    fields += cmd->since != NULL;
    if (doc) {
        fields += doc->complexity != NULL;
        fields += doc->doc_flags != 0;
        fields += doc->deprecated_since != NULL;
        fields += doc->replaced_by != NULL;
    }
    fields += cmd->subcommands != NULL;

    reply_map(out, resp, fields);
    if (cmd->summary) {
        reply_bulk_cstr(out, "summary");
        reply_bulk_cstr(out, cmd->summary);
    }
    if (cmd->since) {
        reply_bulk_cstr(out, "since");
        reply_bulk_cstr(out, cmd->since);
    }
    reply_bulk_cstr(out, "group");
    reply_bulk_cstr(out, cmd->group ? cmd->group : "module");
    if (doc && doc->complexity) {
        reply_bulk_cstr(out, "complexity");
        reply_bulk_cstr(out, doc->complexity);
    }
    if (doc && doc->doc_flags) {
        reply_bulk_cstr(out, "doc_flags");
        reply_set(out, resp, (doc->doc_flags & DOC_DEPRECATED ? 1 : 0) + (doc->doc_flags & DOC_SYSCMD ? 1 : 0));
        if (doc->doc_flags & DOC_DEPRECATED)
            reply_simple(out, "deprecated");
        if (doc->doc_flags & DOC_SYSCMD)
            reply_simple(out, "syscmd");
    }
    if (doc && doc->deprecated_since) {
        reply_bulk_cstr(out, "deprecated_since");
        reply_bulk_cstr(out, doc->deprecated_since);
    }
    if (doc && doc->replaced_by) {
        reply_bulk_cstr(out, "replaced_by");
        reply_bulk_cstr(out, doc->replaced_by);
    }
    if (cmd->subcommands) {
        reply_bulk_cstr(out, "subcommands");
        reply_map(out, resp, subcommand_count(cmd));
        for (const struct command *sub = cmd->subcommands; sub->name; sub++) {
            reply_command_name(out, sub, cmd);
            reply_command_docs(out, resp, sub, cmd);
        }
    }
}

/* "name" or "parent|sub" (COMMAND INFO / DOCS arguments); NULL if unknown. */
static const struct command *lookup_full_name(const struct arg *a, const struct command **parent)
{
    *parent = NULL;
    const char *bar = memchr(a->ptr, '|', a->len);
    if (!bar)
        return command_lookup(a->ptr, a->len);
    const struct command *base = command_lookup(a->ptr, (size_t)(bar - a->ptr));
    const char *rest = bar + 1;
    size_t rest_len = a->len - (size_t)(rest - a->ptr);
    if (!base || !base->subcommands || memchr(rest, '|', rest_len))
        return NULL;
    *parent = base;
    return command_lookup_sub(base, rest, rest_len);
}

/* COMMAND LIST FILTERBY ... */
enum list_filter_kind { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

struct list_filter {
    enum list_filter_kind kind;
    const struct arg *arg;
};

static int list_filter_match(const struct list_filter *f, const struct command *cmd, const struct command *parent)
{
    switch (f->kind) {
    case FILTER_NONE:
        return 1;
    case FILTER_MODULE:
        return 0; /* no modules */
    case FILTER_ACLCAT:
        return has_category(cmd->acl_categories, f->arg->ptr, f->arg->len);
    case FILTER_PATTERN: {
        char full[2 * COMMAND_NAME_MAX];
        size_t len = command_full_name(cmd, parent, full, sizeof(full));
        return stringmatchlen(f->arg->ptr, f->arg->len, full, len, 1);
    }
    }
    return 0;
}

/* Writes the names that pass the filter (out != NULL) or only counts them;
 * subcommands follow their parent, as in Redis. */
static long long command_list_walk(struct buf *out, const struct list_filter *f)
{
    long long n = 0;
    for (const struct command *cmd = command_table; cmd->name; cmd++) {
        if (list_filter_match(f, cmd, NULL)) {
            if (out)
                reply_command_name(out, cmd, NULL);
            n++;
        }
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++) {
            if (list_filter_match(f, sub, cmd)) {
                if (out)
                    reply_command_name(out, sub, cmd);
                n++;
            }
        }
    }
    return n;
}

static void command_list(struct cmd_ctx *c)
{
    struct list_filter f = {FILTER_NONE, NULL};
    for (int i = 2; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "filterby") && c->argc - 1 - i == 2) {
            const struct arg *kind = &c->argv[i + 1];
            if (arg_is(kind, "module")) {
                f.kind = FILTER_MODULE;
            } else if (arg_is(kind, "aclcat")) {
                f.kind = FILTER_ACLCAT;
            } else if (arg_is(kind, "pattern")) {
                f.kind = FILTER_PATTERN;
            } else {
                reply_error(c->out, ERR_SYNTAX);
                return;
            }
            f.arg = &c->argv[i + 2];
            i += 2;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    reply_array(c->out, command_list_walk(NULL, &f));
    command_list_walk(c->out, &f);
}

/* The command a full command line names, as Redis's lookupCommand: the
 * subcommand named by argv[1] when the command is a container. */
static const struct command *lookup_command_line(const struct arg *argv, int argc, const struct command **parent)
{
    *parent = NULL;
    const struct command *base = command_lookup(argv[0].ptr, argv[0].len);
    if (!base || argc == 1 || !base->subcommands)
        return base;
    *parent = base;
    return command_lookup_sub(base, argv[1].ptr, argv[1].len);
}

/* SET's key is written, and read only with GET (its key spec says
 * "variable_flags"; Redis resolves them per call the same way). */
static uint32_t set_key_flags(const struct arg *argv, int argc)
{
    for (int i = 3; i < argc; i++)
        if (arg_is(&argv[i], "get"))
            return KS_RW | KS_ACCESS | KS_UPDATE;
    return KS_OW | KS_UPDATE;
}

/* BITFIELD reads its key unless a SET or INCRBY (or a syntax error) comes
 * before the end, as Redis's bitfieldGetKeys decides. */
static uint32_t bitfield_key_flags(const struct arg *argv, int argc)
{
    for (int i = 2; i < argc; i++) {
        int remargs = argc - i - 1;
        if (arg_is(&argv[i], "get") && remargs >= 2)
            i += 2;
        else if ((arg_is(&argv[i], "set") || arg_is(&argv[i], "incrby")) && remargs >= 3)
            return KS_RW | KS_ACCESS | KS_UPDATE;
        else if (arg_is(&argv[i], "overflow") && remargs >= 1)
            i += 1;
        else
            return KS_RW | KS_ACCESS | KS_UPDATE;
    }
    return KS_RO | KS_ACCESS;
}

/* The flags of the key at argument pos: those of the key spec that covers it. */
static uint32_t key_flags_at(const struct command *cmd, const struct command_doc *doc, const struct arg *argv, int argc,
                             int pos)
{
    for (int i = 0; doc && i < doc->nspecs; i++) {
        const struct key_spec *ks = &doc->specs[i];
        int first = ks->index, last, step = ks->keystep > 0 ? ks->keystep : 1;
        if (ks->keynum) {
            long long n;
            int at = ks->index + ks->keynumidx;
            if (at >= argc || !string2ll(argv[at].ptr, argv[at].len, &n) || n <= 0 || n > argc)
                continue;
            first = ks->index + ks->firstkey;
            last = first + (int)(n - 1) * step;
        } else if (ks->keyword) {
            first = 0;
            for (int j = ks->index; j < argc && !first; j++)
                if (arg_is(&argv[j], ks->keyword))
                    first = j + 1;
            if (!first)
                continue;
            last = ks->lastkey >= 0 ? first + ks->lastkey : argc + ks->lastkey;
            if (ks->limit > 1)
                last = first + (last - first + 1) / ks->limit - 1;
        } else {
            last = ks->lastkey >= 0 ? ks->index + ks->lastkey : argc + ks->lastkey;
        }
        if (pos < first || pos > last || (pos - first) % step)
            continue;
        if ((ks->flags & KS_VARIABLE_FLAGS) && doc->variable_key_flags)
            return doc->variable_key_flags(argv, argc);
        return ks->flags;
    }
    return 0;
}

/* COMMAND GETKEYS / GETKEYSANDFLAGS <full command line> */
static void command_getkeys(struct cmd_ctx *c, int with_flags)
{
    int argc = c->argc - 2;
    const struct arg *argv = c->argv + 2;
    const struct command *parent;
    const struct command *cmd = lookup_command_line(argv, argc, &parent);
    if (!cmd) {
        reply_error(c->out, "ERR Invalid command specified");
        return;
    }
    if (cmd->first_key <= 0 && !cmd->keynum_arg) {
        reply_error(c->out, "ERR The command has no key arguments");
        return;
    }
    if (!command_arity_ok(cmd, argc)) {
        reply_error(c->out, "ERR Invalid number of arguments specified for command");
        return;
    }
    int *idx = malloc(sizeof(int) * (size_t)argc);
    if (!idx)
        abort(); /* as buf: an allocation failure is not survivable */
    int n;
    if (cmd->getkeys) {
        n = cmd->getkeys(argc, argv, idx, argc);
    } else {
        n = key_range_positions(cmd, argc, idx, argc, 0);
        if (cmd->keynum_arg)
            n += keynum_positions(cmd, argc, argv, idx + n, argc - n);
    }
    if (n == 0) {
        reply_error(c->out, "ERR Invalid arguments specified for command");
    } else {
        const struct command_doc *doc = with_flags ? command_doc_of(cmd, parent) : NULL;
        reply_array(c->out, n);
        for (int i = 0; i < n; i++) {
            if (with_flags) {
                reply_array(c->out, 2);
                reply_bulk(c->out, argv[idx[i]].ptr, argv[idx[i]].len);
                /* getkeys' keys after the first: a STORE destination */
                uint32_t flags = cmd->getkeys && i > 0 ? KS_OW | KS_UPDATE : key_flags_at(cmd, doc, argv, argc, idx[i]);
                reply_key_spec_flags(c->out, c->resp, flags);
            } else {
                reply_bulk(c->out, argv[idx[i]].ptr, argv[idx[i]].len);
            }
        }
    }
    free(idx);
}

static const char *const command_help[] = {
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all commands.",
    "COUNT",
    "    Return the total number of commands in this server.",
    "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
    "    Return a list of all commands in this server, optionally filtered.",
    "INFO [<command-name> ...]",
    "    Return details about multiple commands.",
    "    If no command names are given, details for all commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full command.",
    "HELP",
    "    Prints this help.",
};

/*
 * COMMAND [COUNT | INFO [name ...] | DOCS [name ...] | LIST [FILTERBY ...] |
 * GETKEYS cmd ... | GETKEYSANDFLAGS cmd ... | HELP]
 *
 * Replies are Redis 7.0's, in table order (Redis's order is its hash table's,
 * which no client can rely on). Runs on the connection's thread but needs
 * nothing from the connection except the protocol version.
 */
void cmd_command(struct cmd_ctx *c)
{
    if (c->argc == 1) {
        reply_array(c->out, command_count());
        for (const struct command *cmd = command_table; cmd->name; cmd++)
            reply_command_info(c->out, c->resp, cmd, NULL);
        return;
    }

    const struct arg *name = &c->argv[1];
    const struct command *self = command_lookup("command", 7);
    const struct command *sub = command_lookup_sub(self, name->ptr, name->len);
    if (!sub) {
        int shown = name->len > 128 ? 128 : (int)name->len;
        reply_errorf(c->out, "ERR unknown subcommand '%.*s'. Try COMMAND HELP.", shown, name->ptr);
        return;
    }
    if (!command_arity_ok(sub, c->argc)) {
        char full[2 * COMMAND_NAME_MAX];
        size_t len = command_full_name(sub, self, full, sizeof(full));
        reply_wrong_arity(c->out, full, len);
        return;
    }

    if (!strcmp(sub->name, "count")) {
        reply_integer(c->out, command_count());
    } else if (!strcmp(sub->name, "info")) {
        if (c->argc == 2) {
            reply_array(c->out, command_count());
            for (const struct command *cmd = command_table; cmd->name; cmd++)
                reply_command_info(c->out, c->resp, cmd, NULL);
            return;
        }
        reply_array(c->out, c->argc - 2);
        for (int i = 2; i < c->argc; i++) {
            const struct command *parent;
            const struct command *cmd = lookup_full_name(&c->argv[i], &parent);
            if (cmd)
                reply_command_info(c->out, c->resp, cmd, parent);
            else
                reply_null(c->out, c->resp);
        }
    } else if (!strcmp(sub->name, "docs")) {
        if (c->argc == 2) {
            reply_map(c->out, c->resp, command_count());
            for (const struct command *cmd = command_table; cmd->name; cmd++) {
                reply_command_name(c->out, cmd, NULL);
                reply_command_docs(c->out, c->resp, cmd, NULL);
            }
            return;
        }
        /* Unknown names are left out, so count the known ones first. */
        long long found = 0;
        for (int i = 2; i < c->argc; i++) {
            const struct command *parent;
            found += lookup_full_name(&c->argv[i], &parent) != NULL;
        }
        reply_map(c->out, c->resp, found);
        for (int i = 2; i < c->argc; i++) {
            const struct command *parent;
            const struct command *cmd = lookup_full_name(&c->argv[i], &parent);
            if (!cmd)
                continue;
            reply_command_name(c->out, cmd, parent);
            reply_command_docs(c->out, c->resp, cmd, parent);
        }
    } else if (!strcmp(sub->name, "list")) {
        command_list(c);
    } else if (!strcmp(sub->name, "getkeys")) {
        command_getkeys(c, 0);
    } else if (!strcmp(sub->name, "getkeysandflags")) {
        command_getkeys(c, 1);
    } else {
        reply_array(c->out, (long long)ARRAY_LEN(command_help));
        for (size_t i = 0; i < ARRAY_LEN(command_help); i++)
            reply_simple(c->out, command_help[i]);
    }
}
