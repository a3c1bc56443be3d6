/*
 * command_rename.h - rename-command: the name a client uses for a command
 * when the configuration renamed it (or hid it by renaming it to "").
 *
 * Owner: the command table (core/commands). The renames are set once at
 * start-up, before any shard thread runs (command_apply_renames, called by
 * acl_init), and are only read afterwards, by every shard thread, without a
 * lock. Invariant: with no rename-command directive the lookup is exactly
 * command_lookup.
 */
#ifndef SHARDIS_COMMAND_RENAME_H
#define SHARDIS_COMMAND_RENAME_H

#include <stddef.h>

#include "core/commands/command.h"

/* Applies the rename-command directives of the configuration ("name
 * new-name" per line; "" hides the command). 0, or -1 with a message. */
int command_apply_renames(const char *lines, char *err, size_t errlen);
/* The command a client's name refers to: NULL when unknown or renamed away. */
const struct command *command_lookup_renamed(const char *name, size_t len);

#endif
