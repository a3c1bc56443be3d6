/*
 * cmd_server.c - connection and server commands: PING, ECHO, HELLO, QUIT,
 * RESET, SELECT, CLIENT, CONFIG, TIME, LASTSAVE, SAVE, BGSAVE,
 * BGREWRITEAOF, SHUTDOWN, DEBUG. INFO is in shards/cmd_info.c.
 *
 * Threads: the ROUTE_LOCAL ones run on the connection's thread with
 * c->client set and touch only that client, the shard's own state and
 * read-only (or atomically published) server state. SAVE, BGSAVE and
 * BGREWRITEAOF are ROUTE_ALL: they run on every shard, c->client NULL,
 * behind the global barrier the dispatcher set up (CMD_GLOBAL_BARRIER,
 * CMD_CUT) after it claimed the snapshot slot. CLIENT LIST/KILL/UNBLOCK and
 * CONFIG RESETSTAT are carried out on every shard by the dispatcher
 * (SUB_CLIENT_*, SUB_RESETSTAT); this file checks their arguments once
 * (client_*_check) on the client's thread.
 */
#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "core/base/server.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"
#include "core/types/object.h"
#include "net/conn.h"
#include "net/tls.h"
#include "persist/aof_log.h"
#include "persist/snapshot.h"
#include "security/acl.h"
#include "security/audit.h"
#include "shards/client_acl.h"
#include "shards/dispatch.h"
#include "shards/request.h"
#include "shards/shard.h"

/* The engine commands defined here, and the lazyfree thread's counters. */
#include "shards/engine_commands.h"
#include "shards/lazyfree.h"
#include "shards/pubsub.h"
#include "shards/tracking.h"

void cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        reply_wrong_arity(c->out, "ping", 4);
        return;
    }
    /* A subscribed RESP2 client gets an array, as Redis. */
    if (c->client && c->client->resp == 2 && pubsub_client_subscribed(c->client)) {
        reply_array(c->out, 2);
        reply_bulk_cstr(c->out, "pong");
        reply_bulk(c->out, c->argc == 2 ? c->argv[1].ptr : "", c->argc == 2 ? c->argv[1].len : 0);
    } else if (c->argc == 2) {
        reply_bulk(c->out, c->argv[1].ptr, c->argv[1].len);
    } else {
        reply_simple(c->out, "PONG");
    }
}

void cmd_echo(struct cmd_ctx *c)
{
    reply_bulk(c->out, c->argv[1].ptr, c->argv[1].len);
}

static int valid_client_name(const struct arg *a)
{
    for (size_t i = 0; i < a->len; i++)
        if (a->ptr[i] < '!' || a->ptr[i] > '~')
            return 0;
    return 1;
}

static void set_client_name(struct client *cl, const struct arg *a)
{
    free(cl->name);
    cl->name = NULL;
    if (a->len) {
        cl->name = malloc(a->len + 1);
        memcpy(cl->name, a->ptr, a->len);
        cl->name[a->len] = '\0';
    }
}

void cmd_hello(struct cmd_ctx *c)
{
    struct client *cl = c->client;
    long long ver = cl->resp;
    int next = 1;
    if (c->argc >= 2) {
        if (!string2ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c->out, "ERR Protocol version is not an integer or out of range");
            return;
        }
        next = 2;
        if (ver < 2 || ver > 3) {
            reply_error(c->out, "NOPROTO unsupported protocol version");
            return;
        }
    }
    const struct arg *name = NULL, *auth_user = NULL, *auth_pass = NULL;
    for (int i = next; i < c->argc; i++) {
        int more = c->argc - i - 1;
        if (arg_is(&c->argv[i], "auth") && more >= 2) {
            auth_user = &c->argv[i + 1];
            auth_pass = &c->argv[i + 2];
            i += 2;
        } else if (arg_is(&c->argv[i], "setname") && more >= 1) {
            if (!valid_client_name(&c->argv[i + 1])) {
                reply_error(c->out, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            name = &c->argv[i + 1];
            i++;
        } else {
            reply_errorf(c->out, "ERR Syntax error in HELLO option '%.*s'", (int)c->argv[i].len, c->argv[i].ptr);
            return;
        }
    }
    if (auth_user) {
        char err[256];
        struct acl_caller who;
        client_acl_caller(cl, &who);
        if (acl_authenticate(&who, &c->argv[0], auth_user->ptr, auth_user->len, auth_pass->ptr, auth_pass->len, err,
                             sizeof(err)) < 0) {
            reply_error(c->out, err);
            if (acl_auth_failed(&who, c->cfg ? c->cfg->auth_max_failures_per_second : 10, c->now_ms))
                client_close(cl, 1);
            return;
        }
    } else if (acl_session_needs_auth(&cl->acl)) {
        reply_error(c->out, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                            "AUTH <user> <pass> option can be used to authenticate the client and select the "
                            "RESP protocol version at the same time");
        return;
    }
    if (name)
        set_client_name(cl, name);
    cl->resp = (int)ver;
    c->resp = (int)ver;
    reply_map(c->out, c->resp, 7);
    reply_bulk_cstr(c->out, "server");
    reply_bulk_cstr(c->out, "redis");
    reply_bulk_cstr(c->out, "version");
    reply_bulk_cstr(c->out, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c->out, "proto");
    reply_integer(c->out, ver);
    reply_bulk_cstr(c->out, "id");
    reply_integer(c->out, (long long)cl->id);
    reply_bulk_cstr(c->out, "mode");
    reply_bulk_cstr(c->out, "standalone");
    reply_bulk_cstr(c->out, "role");
    reply_bulk_cstr(c->out, "master");
    reply_bulk_cstr(c->out, "modules");
    reply_array(c->out, 0);
}

void cmd_quit(struct cmd_ctx *c)
{
    reply_ok(c->out);
    client_close(c->client, 1);
}

void cmd_reset(struct cmd_ctx *c)
{
    struct client *cl = c->client;
    pubsub_client_drop_all(cl);
    tracking_client_off(cl);
    cl->resp = 2;
    cl->dbid = 0;
    free(cl->name);
    cl->name = NULL;
    cl->no_evict = 0;
    cl->reply_mode = REPLY_ON;
    /* Back to the default user, authenticated only when it needs no
     * password, as Redis's clientSetDefaultAuth. */
    acl_session_init(&cl->acl);
    reply_simple(c->out, "RESET");
}

void cmd_select(struct cmd_ctx *c)
{
    long long id;
    if (!string2ll(c->argv[1].ptr, c->argv[1].len, &id)) {
        reply_error(c->out, ERR_NOT_INTEGER);
        return;
    }
    if (id < 0 || id >= c->ndbs) {
        reply_error(c->out, ERR_DB_INDEX);
        return;
    }
    c->client->dbid = (int)id;
    reply_ok(c->out);
}

static void reply_help(struct cmd_ctx *c, const char *cmdname, const char *const *lines)
{
    int n = 0;
    while (lines[n])
        n++;
    reply_array(c->out, n + 2);
    char head[128];
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", cmdname);
    reply_simple(c->out, head);
    for (int i = 0; i < n; i++)
        reply_simple(c->out, lines[i]);
    reply_simple(c->out, "HELP");
    reply_simple(c->out, "    Prints this help.");
}

static void reply_unknown_subcommand(struct cmd_ctx *c, const char *cmdname)
{
    reply_errorf(c->out, "ERR unknown subcommand '%.*s'. Try %s HELP.",
                 (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].ptr, cmdname);
}

void cmd_client(struct cmd_ctx *c)
{
    struct client *cl = c->client;
    const struct arg *sub = &c->argv[1];
    if (arg_is(sub, "id") && c->argc == 2) {
        reply_integer(c->out, (long long)cl->id);
    } else if (arg_is(sub, "setname") && c->argc == 3) {
        if (!valid_client_name(&c->argv[2])) {
            reply_error(c->out, "ERR Client names cannot contain spaces, newlines or special characters.");
            return;
        }
        set_client_name(cl, &c->argv[2]);
        reply_ok(c->out);
    } else if (arg_is(sub, "getname") && c->argc == 2) {
        if (cl->name)
            reply_bulk_cstr(c->out, cl->name);
        else
            reply_null(c->out, c->resp);
    } else if (arg_is(sub, "info") && c->argc == 2) {
        struct buf line = {0};
        client_describe_running(cl, &line, c->now_ms, c->argv, c->argc);
        reply_verbatim(c->out, c->resp, line.data, line.len, "txt");
        buf_free(&line);
    } else if (arg_is(sub, "reply") && c->argc == 3) {
        /* The dispatcher drops the replies (shards/dispatch.c); OFF and
         * SKIP reply nothing themselves, ON replies OK even after OFF. */
        if (arg_is(&c->argv[2], "on")) {
            cl->reply_mode = REPLY_ON;
            cl->reply_silent = 0;
            reply_ok(c->out);
        } else if (arg_is(&c->argv[2], "off")) {
            cl->reply_mode = REPLY_OFF;
        } else if (arg_is(&c->argv[2], "skip")) {
            if (cl->reply_mode != REPLY_OFF)
                cl->reply_mode = REPLY_SKIP_NEXT;
        } else {
            reply_error(c->out, ERR_SYNTAX);
        }
    } else if (arg_is(sub, "getredir") && c->argc == 2) {
        tracking_cmd_getredir(c);
    } else if (arg_is(sub, "trackinginfo") && c->argc == 2) {
        tracking_cmd_trackinginfo(c);
    } else if (arg_is(sub, "caching") && c->argc == 3) {
        tracking_cmd_caching(c);
    } else if (arg_is(sub, "no-evict") && c->argc == 3) {
        if (arg_is(&c->argv[2], "on") || arg_is(&c->argv[2], "off")) {
            cl->no_evict = arg_is(&c->argv[2], "on");
            reply_ok(c->out);
        } else
            reply_error(c->out, ERR_SYNTAX);
    } else if (arg_is(sub, "help") && c->argc == 2) {
        /* Redis 7.0's text for the subcommands that exist here. */
        static const char *const lines[] = {
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            NULL};
        reply_help(c, "CLIENT", lines);
    } else if (arg_is(sub, "list") || arg_is(sub, "kill")) {
        /* Reached only with wrong arguments: the dispatcher fans the valid
         * forms out to every shard. */
        reply_errorf(c->out, "ERR wrong number of arguments for 'client|%.*s' command", (int)sub->len, sub->ptr);
    } else {
        reply_unknown_subcommand(c, "CLIENT");
    }
}

static const char *client_type_check(const struct arg *v, char *msg, size_t msglen)
{
    if (arg_is(v, "normal") || arg_is(v, "master") || arg_is(v, "replica") || arg_is(v, "slave") || arg_is(v, "pubsub"))
        return NULL;
    snprintf(msg, msglen, "ERR Unknown client type '%.*s'", (int)(v->len > 128 ? 128 : v->len), v->ptr);
    return msg;
}

/* CLIENT UNBLOCK <id> [TIMEOUT|ERROR], as Redis 7.0 checks it. */
const char *client_unblock_check(int argc, const struct arg *argv, char *msg, size_t msglen)
{
    if (argc > 4) {
        snprintf(msg, msglen, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try CLIENT HELP.",
                 (int)argv[1].len, argv[1].ptr);
        return msg;
    }
    if (argc == 4 && !arg_is(&argv[3], "timeout") && !arg_is(&argv[3], "error"))
        return "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR";
    long long id;
    if (!string2ll(argv[2].ptr, argv[2].len, &id))
        return ERR_NOT_INTEGER;
    return NULL;
}

/* CLIENT LIST, CLIENT LIST TYPE <type> or CLIENT LIST ID <id> ... (Redis
 * 7.0: one filter; an ID that parses but names no client lists nothing). */
const char *client_list_check(int argc, const struct arg *argv, char *msg, size_t msglen)
{
    if (argc == 4 && arg_is(&argv[2], "type"))
        return client_type_check(&argv[3], msg, msglen);
    if (argc > 3 && arg_is(&argv[2], "id")) {
        for (int i = 3; i < argc; i++) {
            long long id;
            if (!string2ll(argv[i].ptr, argv[i].len, &id))
                return "ERR Invalid client ID";
        }
        return NULL;
    }
    return argc == 2 ? NULL : ERR_SYNTAX;
}

/* CLIENT KILL <addr> or CLIENT KILL <filter> <value> ...: checked once on
 * the client's thread, in Redis 7.0's order, before every shard applies
 * the filters (shards/shard.c). */
const char *client_kill_check(int argc, const struct arg *argv, char *msg, size_t msglen)
{
    if (argc == 3)
        return NULL;
    for (int i = 2; i < argc; i += 2) {
        int more = i + 1 < argc;
        const struct arg *opt = &argv[i], *v = &argv[i + (more ? 1 : 0)];
        if (!more) {
            return ERR_SYNTAX;
        } else if (arg_is(opt, "id")) {
            long long id;
            if (!string2ll(v->ptr, v->len, &id) || id < 1)
                return "ERR client-id should be greater than 0";
        } else if (arg_is(opt, "type")) {
            if (client_type_check(v, msg, msglen))
                return msg;
        } else if (arg_is(opt, "user")) {
            if (!acl_user_exists(v->ptr, v->len)) {
                snprintf(msg, msglen, "ERR No such user '%.*s'", (int)(v->len > 128 ? 128 : v->len), v->ptr);
                return msg;
            }
        } else if (arg_is(opt, "skipme")) {
            if (!arg_is(v, "yes") && !arg_is(v, "no"))
                return ERR_SYNTAX;
        } else if (!arg_is(opt, "addr") && !arg_is(opt, "laddr")) {
            return ERR_SYNTAX;
        }
    }
    return NULL;
}

/* ---------------- CONFIG ---------------- */

/* CONFIG SET k1 v1 k2 v2 ...: all or nothing, as Redis 7. Every name is
 * checked first (unknown, immutable, protected, given twice), then the values
 * are set one by one on a copy of the configuration; the first value that
 * fails discards the copy, so the values set before it are rolled back and
 * nothing was ever published. */
struct config_set_args {
    const struct arg *argv;
    int argc;
    char err[512];
};

static int apply_config_set(struct config *cfg, void *p)
{
    struct config_set_args *a = p;
    for (int i = 2; i + 1 < a->argc; i += 2) {
        char name[128];
        char *value = malloc(a->argv[i + 1].len + 1);
        snprintf(name, sizeof(name), "%.*s", (int)a->argv[i].len, a->argv[i].ptr);
        memcpy(value, a->argv[i + 1].ptr, a->argv[i + 1].len);
        value[a->argv[i + 1].len] = '\0';
        int idx = config_option_index(name);
        char reason[300];
        int rc = config_set_from_string(cfg, name, value, 1, reason, sizeof(reason));
        free(value);
        if (rc < 0) {
            snprintf(a->err, sizeof(a->err), "ERR CONFIG SET failed (possibly related to argument '%s') - %s",
                     config_option_name(idx), reason);
            return -1;
        }
    }
    /* New certificates, CA or protocol settings: a new TLS context for new connections. */
    for (int i = 2; i + 1 < a->argc; i += 2) {
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)a->argv[i].len, a->argv[i].ptr);
        if (tls_option_affects_context(name)) {
            char reason[300];
            if (tls_configure(cfg, reason, sizeof(reason)) < 0) {
                snprintf(a->err, sizeof(a->err), "ERR CONFIG SET failed (possibly related to argument '%.64s') - %s",
                         name, reason);
                return -1;
            }
            break;
        }
    }
    return 0;
}

/* The names of a CONFIG SET, in order: the first that is unknown, immutable,
 * protected (and not allowed for this client) or given twice is the error,
 * with Redis's texts. Returns 0 when all may be set. */
static int config_set_check_names(struct cmd_ctx *c, const struct config *cfg)
{
    int *seen = malloc(sizeof(int) * (size_t)(c->argc / 2));
    int nseen = 0, rc = 0;
    for (int i = 2; i < c->argc; i += 2) {
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(c->argv[i].len > 100 ? 100 : c->argv[i].len), c->argv[i].ptr);
        int idx = c->argv[i].len > 100 ? -1 : config_option_index(name);
        if (idx < 0) {
            reply_errorf(c->out, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", name);
            rc = -1;
            break;
        }
        int flags = config_option_flags(idx);
        const char *why = NULL;
        if (!(flags & CONFIG_FLAG_MUTABLE))
            why = "can't set immutable config";
        else if ((flags & CONFIG_FLAG_PROTECTED) &&
                 !config_protected_action_allowed(cfg->enable_protected_configs,
                                                  c->client ? c->client->conn.addr : NULL))
            why = "can't set protected config";
        for (int j = 0; j < nseen && !why; j++)
            if (seen[j] == idx)
                why = "duplicate parameter";
        if (why) {
            reply_errorf(c->out, "ERR CONFIG SET failed (possibly related to argument '%s') - %s", name, why);
            rc = -1;
            break;
        }
        seen[nseen++] = idx;
    }
    free(seen);
    return rc;
}

void cmd_config(struct cmd_ctx *c)
{
    struct server *srv = c->shard->srv;
    const struct arg *sub = &c->argv[1];
    if (arg_is(sub, "get") && c->argc >= 3) {
        config_get_reply(server_config(srv), c->out, c->resp, &c->argv[2], c->argc - 2);
    } else if (arg_is(sub, "set") && c->argc >= 4) {
        if (c->argc % 2) {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
        struct config_set_args a = {.argv = c->argv, .argc = c->argc};
        int was_aof = server_config(srv)->appendonly;
        if (config_set_check_names(c, server_config(srv)) < 0)
            return;
        if (server_update_config(srv, apply_config_set, &a) < 0) {
            reply_error(c->out, a.err);
            return;
        }
        log_set_level(server_config(srv)->loglevel);
        if (was_aof != server_config(srv)->appendonly)
            aof_config_changed(srv, was_aof, server_config(srv)->appendonly);
        for (int i = 2; i < c->argc; i += 2) {
            if (arg_is(&c->argv[i], "requirepass"))
                acl_set_requirepass(server_config(srv)->requirepass);
            /* never the value: it may be a password */
            client_audit_log(c->client, "config-set", "parameter=%.*s",
                             (int)(c->argv[i].len > 64 ? 64 : c->argv[i].len), c->argv[i].ptr);
        }
        reply_ok(c->out);
    } else if (arg_is(sub, "rewrite") && c->argc == 2) {
        char err[512];
        if (config_rewrite(server_config(srv), err, sizeof(err)) < 0)
            reply_error(c->out, err);
        else
            reply_ok(c->out);
    } else if (arg_is(sub, "help") && c->argc == 2) {
        static const char *const lines[] = {"GET <pattern>",
                                            "    Return parameters matching the glob-like <pattern> and their values.",
                                            "SET <directive> <value>",
                                            "    Set the configuration <directive> to <value>.",
                                            "REWRITE",
                                            "    Rewrite the configuration file.",
                                            NULL};
        reply_help(c, "CONFIG", lines);
    } else if (arg_is(sub, "get") || arg_is(sub, "set") || arg_is(sub, "rewrite")) {
        reply_errorf(c->out, "ERR wrong number of arguments for 'config|%.*s' command", (int)sub->len, sub->ptr);
    } else {
        reply_unknown_subcommand(c, "CONFIG");
    }
}

/* ---------------- misc ---------------- */

void cmd_time(struct cmd_ctx *c)
{
    int64_t us = ustime();
    reply_array(c->out, 2);
    reply_bulk_ll(c->out, us / 1000000);
    reply_bulk_ll(c->out, us % 1000000);
}

void cmd_lastsave(struct cmd_ctx *c)
{
    reply_integer(c->out, atomic_load(&c->shard->srv->lastsave_unix));
}

/* SAVE and BGSAVE run on every shard under the global barrier, after the
 * dispatcher claimed the snapshot slot (snap_command_prepare). */
void cmd_save(struct cmd_ctx *c)
{
    char err[512];
    if (snap_shard_begin(c->shard->persist, err, sizeof(err)) < 0)
        reply_error(c->out, "ERR");
    else
        reply_ok(c->out);
}

void cmd_bgsave(struct cmd_ctx *c)
{
    char err[512];
    /* A part that cannot start is reported in INFO and the log, as a
     * failing fork child is in Redis; the reply is the same. */
    snap_shard_begin(c->shard->persist, err, sizeof(err));
    reply_simple(c->out, "Background saving started");
}

/* BGREWRITEAOF runs on every shard under the global barrier, after the
 * dispatcher claimed the snapshot slot and listed the next segments
 * (aof_command_prepare): each shard cuts its log and starts its base. */
void cmd_bgrewriteaof(struct cmd_ctx *c)
{
    char err[512];
    snap_shard_begin(c->shard->persist, err, sizeof(err));
    reply_simple(c->out, "Background append only file rewriting started");
}

void cmd_shutdown(struct cmd_ctx *c)
{
    int save = -1, abort_flag = 0;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "now") || arg_is(&c->argv[i], "force")) {
            continue;
        } else if (arg_is(&c->argv[i], "nosave") || arg_is(&c->argv[i], "save")) {
            int want = arg_is(&c->argv[i], "save");
            if (save >= 0 && save != want) {
                reply_error(c->out, ERR_SYNTAX);
                return;
            }
            save = want;
        } else if (arg_is(&c->argv[i], "abort")) {
            abort_flag = 1;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (abort_flag) {
        /* ABORT goes alone; a shutdown here is never left pending. */
        reply_error(c->out, c->argc != 2 ? ERR_SYNTAX : "ERR No shutdown in progress.");
        return;
    }
    /* Without SAVE/NOSAVE: save when save rules are configured, as Redis. */
    if (save < 0)
        save = server_config(c->shard->srv)->nsave > 0;
    server_log(LL_WARNING, "User requested shutdown...");
    snap_request_shutdown_save(c->shard->srv, save);
    server_request_shutdown(c->shard->srv, 0);
    /* Like Redis: no reply, the connection is closed. */
    client_close(c->client, 1);
}

void cmd_debug(struct cmd_ctx *c)
{
    const struct arg *sub = &c->argv[1];
    /* enable-debug-command is checked by the dispatcher (CMD_PROTECTED). */
    if (arg_is(sub, "sleep") && c->argc == 3) {
        double secs;
        if (!string2d(c->argv[2].ptr, c->argv[2].len, &secs) || secs < 0) {
            reply_error(c->out, ERR_NOT_FLOAT);
            return;
        }
        struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (time_t)secs) * 1e9)};
        nanosleep(&ts, NULL);
        reply_ok(c->out);
    } else if (arg_is(sub, "set-active-expire") && c->argc == 3) {
        /* Redis reads the flag with atoi(): blanks, a sign, then digits;
         * on when that number is not 0 ("foo" is 0, "-1" and "1x" are on). */
        const struct arg *a = &c->argv[2];
        size_t i = 0;
        while (i < a->len && isspace((unsigned char)a->ptr[i]))
            i++;
        if (i < a->len && (a->ptr[i] == '-' || a->ptr[i] == '+'))
            i++;
        int on = 0;
        for (; i < a->len && a->ptr[i] >= '0' && a->ptr[i] <= '9'; i++)
            on |= a->ptr[i] != '0';
        db_set_active_expire(on);
        reply_ok(c->out);
    } else if (arg_is(sub, "help") && c->argc == 2) {
        static const char *const lines[] = {
            "SET-ACTIVE-EXPIRE <0|1>",
            "    Setting it to 0 disables expiring keys in background when they are not",
            "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
            "    default.",
            "SLEEP <seconds>",
            "    Stop the server's thread for <seconds>.",
            NULL};
        reply_help(c, "DEBUG", lines);
    } else {
        /* DEBUG has no subcommand table in Redis: its own syntax error */
        reply_errorf(c->out, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.",
                     (int)(c->argv[1].len > 128 ? 128 : c->argv[1].len), c->argv[1].ptr);
    }
}
