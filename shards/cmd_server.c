/*
 * cmd_server.c - connection and server commands: PING, ECHO, HELLO, QUIT,
 * RESET, SELECT, CLIENT, INFO (rendering; the dispatcher gathers the data of
 * every shard first), CONFIG, TIME, LASTSAVE, SHUTDOWN, DEBUG.
 *
 * All run on the connection's thread (ROUTE_LOCAL) with c->client set; they
 * touch only that client and read-only server state.
 */
#include <ctype.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#ifdef SHARDIS_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include "security/acl.h"
#include "persist/aof_log.h"
#include "security/audit.h"
#include "core/commands/command.h"
#include "core/base/config.h"
#include "net/conn.h"
#include "shards/request.h"
#include "shards/dispatch.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"
#include "core/base/log.h"
#include "core/types/object.h"
#include "core/base/server.h"
#include "shards/shard.h"
#include "persist/snapshot.h"
#include "net/tls.h"
#include "core/base/util.h"

/* The engine commands defined here, and the lazyfree thread's counters. */
#include "shards/engine_commands.h"
#include "shards/lazyfree.h"

void cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        reply_wrong_arity(c->out, "ping", 4);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c->out, c->argv[1].ptr, c->argv[1].len);
    else
        reply_simple(c->out, "PONG");
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
        if (acl_authenticate(cl, &c->argv[0], auth_user->ptr, auth_user->len, auth_pass->ptr, auth_pass->len, err,
                             sizeof(err)) < 0) {
            reply_error(c->out, err);
            acl_auth_failed(cl, c->cfg ? c->cfg->auth_max_failures_per_second : 10, c->now_ms);
            return;
        }
    } else if (acl_client_needs_auth(cl)) {
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
    cl->resp = 2;
    cl->dbid = 0;
    free(cl->name);
    cl->name = NULL;
    cl->no_evict = 0;
    cl->reply_mode = REPLY_ON;
    /* Back to the default user, authenticated only when it needs no
     * password, as Redis's clientSetDefaultAuth. */
    acl_client_init(cl);
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
        reply_integer(c->out, -1); /* client-side caching (tracking) is never on */
    } else if (arg_is(sub, "trackinginfo") && c->argc == 2) {
        reply_map(c->out, c->resp, 3);
        reply_bulk_cstr(c->out, "flags");
        reply_set(c->out, c->resp, 1);
        reply_bulk_cstr(c->out, "off");
        reply_bulk_cstr(c->out, "redirect");
        reply_integer(c->out, -1);
        reply_bulk_cstr(c->out, "prefixes");
        reply_array(c->out, 0);
    } else if (arg_is(sub, "caching") && c->argc == 3) {
        reply_error(c->out, "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
                            "OPTOUT mode enabled");
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

/* ---------------- INFO ----------------
 *
 * The dispatcher gathers every shard's struct shard_info (SUB_INFO) and
 * calls info_render on the client's thread. Sections and fields are Redis
 * 7.0's, in its order; a field that does not apply to shardis (Lua,
 * replication backlog, defragmentation, forks) is printed with the value a
 * standalone Redis without that activity prints. Our own additions: the
 * `threads` field, the transaction counters in Stats, and the `shards`
 * section. */

/* Memory figures sampled by shard 0's cron (info_sample_memory): the first
 * sample (used_memory_startup) and the peak. Process-wide like the
 * measurement itself (core/types/evict.c). */
static _Atomic size_t memory_startup;
static _Atomic size_t memory_peak;

static void note_memory(size_t used)
{
    size_t zero = 0;
    atomic_compare_exchange_strong(&memory_startup, &zero, used);
    size_t peak = atomic_load(&memory_peak);
    while (used > peak && !atomic_compare_exchange_weak(&memory_peak, &peak, used))
        ;
}

void info_sample_memory(void)
{
    note_memory(evict_used_memory(monotonic_us()));
}

static size_t process_rss(void)
{
    size_t rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long size, resident;
    if (fscanf(f, "%lu %lu", &size, &resident) == 2)
        rss = (size_t)resident * (size_t)sysconf(_SC_PAGESIZE);
    fclose(f);
    return rss;
}

/* The figure maxmemory is checked against (core/types/evict.h): jemalloc's
 * allocated bytes, the sanitizer allocator's under ASan, mallinfo2 else. */
static size_t allocated_bytes(void)
{
    return evict_measure_now();
}

/* jemalloc's allocated/active/resident bytes and version; zeros and "libc"
 * with another allocator (as Redis prints them). */
static void allocator_info(size_t *allocated, size_t *active, size_t *resident, char *name, size_t namelen)
{
    *allocated = *active = *resident = 0;
#ifdef SHARDIS_JEMALLOC
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    sz = sizeof(size_t);
    mallctl("stats.allocated", allocated, &sz, NULL, 0);
    mallctl("stats.active", active, &sz, NULL, 0);
    mallctl("stats.resident", resident, &sz, NULL, 0);
    const char *version = NULL;
    sz = sizeof(version);
    if (mallctl("version", &version, &sz, NULL, 0) == 0 && version) {
        /* "5.3.0-0-g54eaed1d8b56b1aa528be3bdd1877e59c56fa90c": the release part */
        size_t n = strcspn(version, "-");
        snprintf(name, namelen, "jemalloc-%.*s", (int)n, version);
    } else {
        snprintf(name, namelen, "jemalloc");
    }
#else
    snprintf(name, namelen, "libc");
#endif
}

static void human_bytes(char *out, size_t outlen, double n)
{
    static const char units[] = "KMGTP";
    if (n < 1024) {
        snprintf(out, outlen, "%lluB", (unsigned long long)n);
        return;
    }
    int u = 0;
    n /= 1024;
    while (n >= 1024 && u < 4) {
        n /= 1024;
        u++;
    }
    snprintf(out, outlen, "%.2f%c", n, units[u]);
}

/* Which sections INFO's arguments ask for (Redis 7: any number of section
 * names, case-insensitive, plus "default", "all" and "everything"). */
struct info_request {
    int all;
    int argc;
    const struct arg *argv;
};

static const char *const default_sections[] = {"server",      "clients", "memory",      "persistence", "stats",
                                               "replication", "cpu",     "module_list", "errorstats",  "cluster",
                                               "keyspace",    "shards",  NULL};

static int section_wanted(const struct info_request *q, const char *name)
{
    if (q->all)
        return 1;
    if (q->argc < 2) {
        for (int k = 0; default_sections[k]; k++)
            if (!strcmp(default_sections[k], name))
                return 1;
        return 0;
    }
    for (int i = 1; i < q->argc; i++) {
        if (arg_is(&q->argv[i], name))
            return 1;
        if (arg_is(&q->argv[i], "default"))
            for (int k = 0; default_sections[k]; k++)
                if (!strcmp(default_sections[k], name))
                    return 1;
    }
    return 0;
}

static void appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct buf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    buf_append(b, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Starts a section: a blank line before every section but the first. */
static int section_begin(struct buf *t, const struct info_request *q, const char *name, const char *title, int *any)
{
    if (!section_wanted(q, name))
        return 0;
    appendf(t, "%s# %s\r\n", *any ? "\r\n" : "", title);
    *any = 1;
    return 1;
}

/* Every shard's counters added up. */
struct info_totals {
    struct shard_stats stats;
    long long clients, blocked, in_timeout;
    uint64_t conns, rejected, in_bytes, out_bytes, lazy_expired, reads, writes, errors;
    uint64_t inst[INST_KINDS];
    uint64_t txn_waiting, txn_held, watched_keys, expire_cycle_us, expire_cap;
    size_t overhead, max_in, max_out, mem_clients;
};

static void info_sum(const struct shard_info *infos, int n, struct info_totals *t)
{
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < n; i++) {
        const struct shard_info *si = &infos[i];
        t->clients += si->clients;
        t->blocked += si->blocked_clients;
        t->in_timeout += si->clients_in_timeout_table;
        t->conns += si->total_connections;
        t->rejected += si->rejected_connections;
        t->in_bytes += si->net_input_bytes;
        t->out_bytes += si->net_output_bytes;
        t->lazy_expired += si->expired_lazy;
        t->reads += si->reads_processed;
        t->writes += si->writes_processed;
        t->errors += si->error_replies;
        for (int k = 0; k < INST_KINDS; k++)
            t->inst[k] += si->inst[k];
        t->overhead += si->db_overhead;
        t->mem_clients += si->mem_clients_normal;
        if (si->max_input_buffer > t->max_in)
            t->max_in = si->max_input_buffer;
        if (si->max_output_buffer > t->max_out)
            t->max_out = si->max_output_buffer;
        t->stats.commands += si->stats.commands;
        t->stats.keyspace_hits += si->stats.keyspace_hits;
        t->stats.keyspace_misses += si->stats.keyspace_misses;
        t->stats.expired_keys += si->stats.expired_keys;
        t->stats.evicted_keys += si->stats.evicted_keys;
        t->stats.dirty += si->stats.dirty;
        t->stats.hops_in += si->stats.hops_in;
        t->stats.hops_out += si->stats.hops_out;
        t->stats.txn_single_shard += si->stats.txn_single_shard;
        t->stats.txn_multi_shard += si->stats.txn_multi_shard;
        t->stats.txn_global += si->stats.txn_global;
        t->stats.txn_ordered += si->stats.txn_ordered;
        t->stats.txn_lock_waits += si->stats.txn_lock_waits;
        t->stats.txn_watch_aborts += si->stats.txn_watch_aborts;
        t->txn_waiting += si->txn_waiting;
        t->txn_held += si->txn_held;
        t->watched_keys += si->watched_keys;
        t->expire_cycle_us += si->expire_cycle_us;
        t->expire_cap += si->expire_time_cap_reached;
    }
}

static void info_server(struct buf *t, struct server *srv, const struct config *cfg)
{
    static const char build[] = "shardis-" SHARDIS_VERSION " " __VERSION__;
    struct utsname un;
    uname(&un);
    int64_t uptime = (monotonic_us() - srv->start_monotonic_us) / 1000000;
    appendf(t,
            "redis_version:%s\r\nshardis_version:%s\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n"
            "redis_build_id:%llx\r\nredis_mode:standalone\r\nos:%s %s %s\r\narch_bits:%d\r\n"
            "monotonic_clock:POSIX clock_gettime\r\nmultiplexing_api:io_uring\r\natomicvar_api:c11-builtin\r\n"
            "gcc_version:%d.%d.%d\r\nprocess_id:%d\r\nprocess_supervised:no\r\nrun_id:%s\r\ntcp_port:%d\r\n"
            "server_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\nhz:%d\r\n"
            "configured_hz:%d\r\nlru_clock:%u\r\nexecutable:%s\r\nconfig_file:%s\r\nio_threads_active:0\r\n"
            "threads:%d\r\n",
            REDIS_COMPAT_VERSION, SHARDIS_VERSION, (unsigned long long)key_hash(build, sizeof(build) - 1), un.sysname,
            un.release, un.machine, (int)sizeof(void *) * 8,
#ifdef __GNUC__
            __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
            0, 0, 0,
#endif
            (int)getpid(), srv->run_id, cfg->port, (long long)ustime(), (long long)uptime, (long long)uptime / 86400,
            cfg->hz, cfg->hz, lru_clock_now(mstime()), srv->executable, cfg->config_file, srv->nshards);
}

static void info_memory(struct buf *t, const struct config *cfg, const struct info_totals *tot)
{
    size_t used = allocated_bytes(), rss = process_rss();
    note_memory(used);
    size_t peak = atomic_load(&memory_peak), startup = atomic_load(&memory_startup);
    size_t allocated, active, resident;
    char allocator[64];
    allocator_info(&allocated, &active, &resident, allocator, sizeof(allocator));
    size_t overhead = startup + tot->overhead + tot->mem_clients;
    if (overhead > used)
        overhead = used;
    size_t dataset = used - overhead;
    size_t net = used > startup ? used - startup : 0;
    long pages = sysconf(_SC_PHYS_PAGES), pagesize = sysconf(_SC_PAGESIZE);
    size_t system_memory = pages > 0 && pagesize > 0 ? (size_t)pages * (size_t)pagesize : 0;
    char h_used[32], h_rss[32], h_peak[32], h_sys[32], h_max[32];
    human_bytes(h_used, sizeof(h_used), (double)used);
    human_bytes(h_rss, sizeof(h_rss), (double)rss);
    human_bytes(h_peak, sizeof(h_peak), (double)peak);
    human_bytes(h_sys, sizeof(h_sys), (double)system_memory);
    human_bytes(h_max, sizeof(h_max), (double)cfg->maxmemory);
    appendf(t,
            "used_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\nused_memory_rss_human:%s\r\n"
            "used_memory_peak:%zu\r\nused_memory_peak_human:%s\r\nused_memory_peak_perc:%.2f%%\r\n"
            "used_memory_overhead:%zu\r\nused_memory_startup:%zu\r\nused_memory_dataset:%zu\r\n"
            "used_memory_dataset_perc:%.2f%%\r\nallocator_allocated:%zu\r\nallocator_active:%zu\r\n"
            "allocator_resident:%zu\r\ntotal_system_memory:%zu\r\ntotal_system_memory_human:%s\r\n",
            used, h_used, rss, h_rss, peak, h_peak, peak ? (double)used * 100 / (double)peak : 0.0, overhead, startup,
            dataset, net ? (double)dataset * 100 / (double)net : 0.0, allocated, active, resident, system_memory,
            h_sys);
    /* No scripting engine and no functions exist: nothing is allocated for them. */
    appendf(t, "used_memory_lua:0\r\nused_memory_vm_eval:0\r\nused_memory_lua_human:0B\r\n"
               "used_memory_scripts_eval:0\r\nnumber_of_cached_scripts:0\r\nnumber_of_functions:0\r\n"
               "number_of_libraries:0\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:0\r\n"
               "used_memory_vm_total_human:0B\r\nused_memory_functions:0\r\nused_memory_scripts:0\r\n"
               "used_memory_scripts_human:0B\r\n");
    appendf(t,
            "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\nallocator_frag_ratio:%.2f\r\n"
            "allocator_frag_bytes:%lld\r\nallocator_rss_ratio:%.2f\r\nallocator_rss_bytes:%lld\r\n"
            "rss_overhead_ratio:%.2f\r\nrss_overhead_bytes:%lld\r\nmem_fragmentation_ratio:%.2f\r\n"
            "mem_fragmentation_bytes:%lld\r\nmem_not_counted_for_evict:0\r\nmem_replication_backlog:0\r\n"
            "mem_total_replication_buffers:0\r\nmem_clients_slaves:0\r\nmem_clients_normal:%zu\r\n"
            "mem_cluster_links:0\r\nmem_aof_buffer:0\r\nmem_allocator:%s\r\nactive_defrag_running:0\r\n"
            "lazyfree_pending_objects:%zu\r\nlazyfreed_objects:%zu\r\n",
            cfg->maxmemory, h_max, config_maxmemory_policy_name(cfg->maxmemory_policy),
            allocated ? (double)active / (double)allocated : 0.0, (long long)active - (long long)allocated,
            active ? (double)resident / (double)active : 0.0, (long long)resident - (long long)active,
            resident ? (double)rss / (double)resident : 0.0, resident ? (long long)rss - (long long)resident : 0,
            used ? (double)rss / (double)used : 0.0, (long long)rss - (long long)used, tot->mem_clients, allocator,
            lazyfree_pending(), lazyfree_freed());
}

static void info_stats(struct buf *t, const struct info_totals *tot)
{
    uint64_t expired = tot->stats.expired_keys + tot->lazy_expired;
    appendf(t,
            "total_connections_received:%llu\r\ntotal_commands_processed:%llu\r\ninstantaneous_ops_per_sec:%llu\r\n"
            "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\ntotal_net_repl_input_bytes:0\r\n"
            "total_net_repl_output_bytes:0\r\ninstantaneous_input_kbps:%.2f\r\ninstantaneous_output_kbps:%.2f\r\n"
            "instantaneous_input_repl_kbps:0.00\r\ninstantaneous_output_repl_kbps:0.00\r\n"
            "rejected_connections:%llu\r\nsync_full:0\r\nsync_partial_ok:0\r\nsync_partial_err:0\r\n"
            "expired_keys:%llu\r\nexpired_stale_perc:0.00\r\nexpired_time_cap_reached_count:%llu\r\n"
            "expire_cycle_cpu_milliseconds:%llu\r\nevicted_keys:%llu\r\nevicted_clients:0\r\n"
            "total_eviction_exceeded_time:0\r\ncurrent_eviction_exceeded_time:0\r\nkeyspace_hits:%llu\r\n"
            "keyspace_misses:%llu\r\n",
            (unsigned long long)tot->conns, (unsigned long long)tot->stats.commands,
            (unsigned long long)tot->inst[INST_OPS], (unsigned long long)tot->in_bytes,
            (unsigned long long)tot->out_bytes, (double)tot->inst[INST_NET_IN] / 1024,
            (double)tot->inst[INST_NET_OUT] / 1024, (unsigned long long)tot->rejected, (unsigned long long)expired,
            (unsigned long long)tot->expire_cap, (unsigned long long)(tot->expire_cycle_us / 1000),
            (unsigned long long)tot->stats.evicted_keys, (unsigned long long)tot->stats.keyspace_hits,
            (unsigned long long)tot->stats.keyspace_misses);
    /* No pub/sub, forks, MIGRATE, replicas, defragmentation or client
     * tracking exist here: Redis's figures without them. */
    appendf(t,
            "pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\nlatest_fork_usec:0\r\n"
            "total_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\n"
            "active_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
            "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:0\r\n"
            "tracking_total_items:0\r\ntracking_total_prefixes:0\r\nunexpected_error_replies:0\r\n"
            "total_error_replies:%llu\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:%llu\r\n"
            "total_writes_processed:%llu\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
            "reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
            (unsigned long long)tot->errors, (unsigned long long)tot->reads, (unsigned long long)tot->writes);
    /* Ours: cross-shard traffic and transactions (shards/txn.h): multi-key
     * commands and EXECs that ran in one hop, transactions that locked
     * several shards, global barriers, try-locks retried in shard order,
     * waits for a lock, EXECs aborted by WATCH, and what waits or holds
     * locks now. */
    appendf(t,
            "cross_shard_hops:%llu\r\ntxn_single_shard:%llu\r\ntxn_multi_shard:%llu\r\ntxn_global_barriers:%llu\r\n"
            "txn_ordered_retries:%llu\r\ntxn_lock_waits:%llu\r\ntxn_watch_aborts:%llu\r\n"
            "txn_queue_length:%llu\r\ntxn_holding_locks:%llu\r\nwatched_keys:%llu\r\n",
            (unsigned long long)tot->stats.hops_out, (unsigned long long)tot->stats.txn_single_shard,
            (unsigned long long)tot->stats.txn_multi_shard, (unsigned long long)tot->stats.txn_global,
            (unsigned long long)tot->stats.txn_ordered, (unsigned long long)tot->stats.txn_lock_waits,
            (unsigned long long)tot->stats.txn_watch_aborts, (unsigned long long)tot->txn_waiting,
            (unsigned long long)tot->txn_held, (unsigned long long)tot->watched_keys);
}

static void append_rusage(struct buf *t, const char *suffix, int who)
{
    struct rusage ru;
    if (getrusage(who, &ru) != 0)
        memset(&ru, 0, sizeof(ru));
    appendf(t, "used_cpu_sys%s:%ld.%06ld\r\nused_cpu_user%s:%ld.%06ld\r\n", suffix, (long)ru.ru_stime.tv_sec,
            (long)ru.ru_stime.tv_usec, suffix, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec);
}

static void info_commandstats(struct buf *t, const struct shard_info *infos, int n)
{
    int ncmd = command_stat_count();
    for (int k = 0; k < ncmd; k++) {
        struct command_stat sum = {0};
        for (int i = 0; i < n; i++) {
            sum.calls += infos[i].cmdstats[k].calls;
            sum.usec += infos[i].cmdstats[k].usec;
            sum.failed += infos[i].cmdstats[k].failed;
            sum.rejected += infos[i].cmdstats[k].rejected;
        }
        if (!sum.calls && !sum.failed && !sum.rejected)
            continue;
        char name[80];
        command_stat_name(k, name, sizeof(name));
        appendf(t, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,failed_calls=%llu\r\n", name,
                (unsigned long long)sum.calls, (unsigned long long)sum.usec,
                sum.calls ? (double)sum.usec / (double)sum.calls : 0.0, (unsigned long long)sum.rejected,
                (unsigned long long)sum.failed);
    }
}

static void info_errorstats(struct buf *t, const struct shard_info *infos, int n)
{
    struct error_stat *merged = calloc(MAX_ERROR_CODES, sizeof(*merged));
    int nm = 0;
    for (int i = 0; i < n && merged; i++) {
        for (int k = 0; k < infos[i].nerrstats; k++) {
            const struct error_stat *es = &infos[i].errstats[k];
            int j;
            for (j = 0; j < nm; j++)
                if (!strcmp(merged[j].code, es->code))
                    break;
            if (j == nm && nm < MAX_ERROR_CODES) {
                strcpy(merged[nm].code, es->code);
                merged[nm++].count = 0;
            }
            if (j < nm)
                merged[j].count += es->count;
        }
    }
    for (int j = 0; j < nm; j++)
        appendf(t, "errorstat_%s:count=%llu\r\n", merged[j].code, (unsigned long long)merged[j].count);
    free(merged);
}

/* The run time (ns) a latency_hist bucket stands for: its highest value. */
static uint64_t latency_bucket_value(int idx)
{
    if (idx < (1 << LAT_SUB_BITS))
        return (uint64_t)idx;
    int b = (idx >> LAT_SUB_BITS) + LAT_SUB_BITS - 1;
    uint64_t sub = (uint64_t)(idx & ((1 << LAT_SUB_BITS) - 1));
    return (((uint64_t)(1 << LAT_SUB_BITS) + sub + 1) << (b - LAT_SUB_BITS)) - 1;
}

/* latency_percentiles_usec_<cmd>:p50=..,p99=..,p99.9=.. from every shard's
 * histogram of that command (Redis's default percentiles). */
static void info_latencystats(struct buf *t, const struct shard_info *infos, int n)
{
    static const double percentiles[] = {50.0, 99.0, 99.9};
    int nslots = command_stat_count() + 1;
    struct latency_hist **merged = calloc((size_t)nslots, sizeof(*merged));
    for (int i = 0; i < n && merged; i++) {
        const char *p = (const char *)(infos[i].errstats + infos[i].nerrstats);
        for (int k = 0; k < infos[i].nlatency; k++, p += sizeof(struct latency_entry)) {
            struct latency_entry e;
            memcpy(&e, p, sizeof(e));
            if (e.slot < 0 || e.slot >= nslots)
                continue;
            if (!merged[e.slot] && !(merged[e.slot] = calloc(1, sizeof(struct latency_hist))))
                continue;
            for (int b = 0; b < LAT_BUCKETS; b++)
                merged[e.slot]->bucket[b] += e.hist.bucket[b];
        }
    }
    for (int slot = 0; merged && slot < nslots - 1; slot++) {
        const struct latency_hist *h = merged[slot];
        uint64_t count = 0;
        for (int b = 0; h && b < LAT_BUCKETS; b++)
            count += h->bucket[b];
        if (!count)
            continue;
        char name[80];
        command_stat_name(slot, name, sizeof(name));
        appendf(t, "latency_percentiles_usec_%s:", name);
        for (size_t p = 0; p < sizeof(percentiles) / sizeof(percentiles[0]); p++) {
            uint64_t want = (uint64_t)((percentiles[p] / 100.0) * (double)count + 0.5);
            if (want < 1)
                want = 1;
            uint64_t seen = 0;
            int b = 0;
            for (; b < LAT_BUCKETS - 1; b++) {
                seen += h->bucket[b];
                if (seen >= want)
                    break;
            }
            appendf(t, "%sp%g=%.3f", p ? "," : "", percentiles[p], (double)latency_bucket_value(b) / 1000.0);
        }
        appendf(t, "\r\n");
    }
    for (int slot = 0; merged && slot < nslots; slot++)
        free(merged[slot]);
    free(merged);
}

static void info_keyspace(struct buf *t, const struct shard_info *infos, int n)
{
    int ndbs = infos[0].ndbs < 64 ? infos[0].ndbs : 64;
    for (int d = 0; d < ndbs; d++) {
        long long keys = 0, expires = 0;
        long double ttl_sum = 0;
        for (int i = 0; i < n; i++) {
            keys += infos[i].keys[d];
            expires += infos[i].expires[d];
            ttl_sum += (long double)infos[i].avg_ttl[d] * infos[i].expires[d];
        }
        if (keys)
            appendf(t, "db%d:keys=%lld,expires=%lld,avg_ttl=%lld\r\n", d, keys, expires,
                    expires ? (long long)(ttl_sum / expires) : 0);
    }
}

void info_render(struct buf *out, int resp, const struct arg *argv, int argc, struct shard *coordinator,
                 const struct shard_info *infos, int n)
{
    struct server *srv = coordinator->srv;
    const struct config *cfg = server_config(srv);
    struct info_request q = {.argc = argc, .argv = argv};
    for (int i = 1; i < argc; i++)
        q.all |= arg_is(&argv[i], "all") || arg_is(&argv[i], "everything");
    struct info_totals tot;
    info_sum(infos, n, &tot);
    struct buf t = {0};
    int any = 0;
    if (section_begin(&t, &q, "server", "Server", &any))
        info_server(&t, srv, cfg);
    if (section_begin(&t, &q, "clients", "Clients", &any))
        appendf(&t,
                "connected_clients:%lld\r\ncluster_connections:0\r\nmaxclients:%lld\r\n"
                "client_recent_max_input_buffer:%zu\r\nclient_recent_max_output_buffer:%zu\r\n"
                "blocked_clients:%lld\r\ntracking_clients:0\r\nclients_in_timeout_table:%lld\r\n",
                tot.clients, cfg->maxclients, tot.max_in, tot.max_out, tot.blocked, tot.in_timeout);
    if (section_begin(&t, &q, "memory", "Memory", &any))
        info_memory(&t, cfg, &tot);
    if (section_begin(&t, &q, "persistence", "Persistence", &any)) {
        snap_info(srv, &t, tot.stats.dirty);
        aof_info(srv, &t);
    }
    if (section_begin(&t, &q, "stats", "Stats", &any))
        info_stats(&t, &tot);
    if (section_begin(&t, &q, "replication", "Replication", &any)) {
        /* A master without replicas; the replication id is stable for the
         * process (the run id, as a fresh Redis master's is random too). */
        long long backlog = 1048576;
        appendf(&t,
                "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:%s\r\n"
                "master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\n"
                "second_repl_offset:-1\r\nrepl_backlog_active:0\r\nrepl_backlog_size:%lld\r\n"
                "repl_backlog_first_byte_offset:0\r\nrepl_backlog_histlen:0\r\n",
                srv->run_id, backlog);
    }
    if (section_begin(&t, &q, "cpu", "CPU", &any)) {
        append_rusage(&t, "", RUSAGE_SELF);
        append_rusage(&t, "_children", RUSAGE_CHILDREN);
        /* Redis's main thread runs every command; here the thread of the
         * client that asked does its share. */
        append_rusage(&t, "_main_thread", RUSAGE_THREAD);
    }
    if (section_wanted(&q, "modules") || section_wanted(&q, "module_list")) {
        appendf(&t, "%s# Modules\r\n", any ? "\r\n" : "");
        any = 1;
    }
    if (section_begin(&t, &q, "commandstats", "Commandstats", &any))
        info_commandstats(&t, infos, n);
    if (section_begin(&t, &q, "errorstats", "Errorstats", &any))
        info_errorstats(&t, infos, n);
    if (section_begin(&t, &q, "latencystats", "Latencystats", &any))
        info_latencystats(&t, infos, n);
    if (section_begin(&t, &q, "cluster", "Cluster", &any))
        appendf(&t, "cluster_enabled:0\r\n");
    if (section_begin(&t, &q, "keyspace", "Keyspace", &any))
        info_keyspace(&t, infos, n);
    if (section_begin(&t, &q, "shards", "Shards", &any)) {
        appendf(&t, "shards:%d\r\n", n);
        for (int i = 0; i < n; i++) {
            long long keys = 0;
            for (int d = 0; d < infos[i].ndbs && d < 64; d++)
                keys += infos[i].keys[d];
            appendf(&t,
                    "shard%d:keys=%lld,ops=%llu,clients=%lld,hops_in=%llu,hops_out=%llu,batches_in=%llu,"
                    "batches_out=%llu,txn_queue=%llu,txn_locked=%llu,txn_lock_waits=%llu\r\n",
                    i, keys, (unsigned long long)infos[i].stats.commands, infos[i].clients,
                    (unsigned long long)infos[i].stats.hops_in, (unsigned long long)infos[i].stats.hops_out,
                    (unsigned long long)infos[i].stats.batches_in, (unsigned long long)infos[i].stats.batches_out,
                    (unsigned long long)infos[i].txn_waiting, (unsigned long long)infos[i].txn_held,
                    (unsigned long long)infos[i].stats.txn_lock_waits);
        }
    }
    reply_verbatim(out, resp, t.data ? t.data : "", t.len, "txt");
    buf_free(&t);
}

void cmd_info(struct cmd_ctx *c)
{
    /* Reached only if the dispatcher did not gather (never in practice). */
    struct shard_info info;
    shard_fill_info(c->shard, &info);
    info.cmdstats = c->shard->cmdstats;
    info.errstats = c->shard->errstats;
    info.nerrstats = c->shard->nerrstats;
    info.nlatency = 0;
    info_render(c->out, c->resp, c->argv, c->argc, c->shard, &info, 1);
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
                 !config_protected_action_allowed(cfg->enable_protected_configs, c->client ? c->client->addr : NULL))
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
            audit_log(c->client, "config-set", "parameter=%.*s", (int)(c->argv[i].len > 64 ? 64 : c->argv[i].len),
                      c->argv[i].ptr);
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
    if (snap_shard_begin(c->shard, err, sizeof(err)) < 0)
        reply_error(c->out, "ERR");
    else
        reply_ok(c->out);
}

void cmd_bgsave(struct cmd_ctx *c)
{
    char err[512];
    /* A part that cannot start is reported in INFO and the log, as a
     * failing fork child is in Redis; the reply is the same. */
    snap_shard_begin(c->shard, err, sizeof(err));
    reply_simple(c->out, "Background saving started");
}

/* BGREWRITEAOF runs on every shard under the global barrier, after the
 * dispatcher claimed the snapshot slot and listed the next segments
 * (aof_command_prepare): each shard cuts its log and starts its base. */
void cmd_bgrewriteaof(struct cmd_ctx *c)
{
    char err[512];
    snap_shard_begin(c->shard, err, sizeof(err));
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
