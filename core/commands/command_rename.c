/*
 * command_rename.c - rename-command over the command table. See
 * command_rename.h.
 *
 * Threads: command_apply_renames runs at start-up, before the shard threads
 * exist; command_lookup_renamed runs on every shard thread for every
 * command and only reads `renames`. Invariant: `renames` holds one entry per
 * directive, each naming a command of command_table (its new name, or ""
 * when it was hidden).
 */
#include "core/commands/command_rename.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rename {
    char from[64], to[64];
    const struct command *cmd;
};
static struct rename *renames;
static int nrenames;

int command_apply_renames(const char *lines, char *err, size_t errlen)
{
    free(renames);
    renames = NULL;
    nrenames = 0;
    if (!lines || !*lines)
        return 0;
    char *copy = strdup(lines);
    for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *w[2];
        int n = 0;
        for (char *wsave = NULL, *t = strtok_r(line, " \t\r\n", &wsave); t && n < 2;
             t = strtok_r(NULL, " \t\r\n", &wsave))
            w[n++] = t;
        if (n < 1)
            continue;
        const struct command *cmd = command_lookup(w[0], strlen(w[0]));
        if (!cmd) {
            snprintf(err, errlen, "No such command in rename-command");
            free(copy);
            return -1;
        }
        renames = realloc(renames, (size_t)(nrenames + 1) * sizeof(*renames));
        struct rename *r = &renames[nrenames++];
        snprintf(r->from, sizeof(r->from), "%s", cmd->name);
        snprintf(r->to, sizeof(r->to), "%s", n >= 2 && strcmp(w[1], "\"\"") ? w[1] : "");
        r->cmd = cmd;
    }
    free(copy);
    return 0;
}

const struct command *command_lookup_renamed(const char *name, size_t len)
{
    if (!nrenames)
        return command_lookup(name, len);
    for (int i = 0; i < nrenames; i++)
        if (renames[i].to[0] && strlen(renames[i].to) == len && !strncasecmp(renames[i].to, name, len))
            return renames[i].cmd;
    const struct command *cmd = command_lookup(name, len);
    for (int i = 0; cmd && i < nrenames; i++)
        if (renames[i].cmd == cmd)
            return NULL;
    return cmd;
}
