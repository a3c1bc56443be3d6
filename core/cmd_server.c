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

#include "acl.h"
#include "aof_log.h"
#include "audit.h"
#include "command.h"
#include "config.h"
#include "conn.h"
#include "dispatch.h"
#include "evict.h"
#include "lazyfree.h"
#include "log.h"
#include "server.h"
#include "shard.h"
#include "snapshot.h"
#include "tls.h"
#include "util.h"

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
        client_describe(cl, &line, c->now_ms);
        reply_verbatim(c->out, c->resp, line.data, line.len, "txt");
        buf_free(&line);
    } else if (arg_is(sub, "no-evict") && c->argc == 3) {
        if (arg_is(&c->argv[2], "on") || arg_is(&c->argv[2], "off"))
            reply_ok(c->out);
        else
            reply_error(c->out, ERR_SYNTAX);
    } else if (arg_is(sub, "help") && c->argc == 2) {
        static const char *const lines[] = {
            "ID",
            "    Return the ID of the current connection.",
            "GETNAME",
            "    Return the name of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are: ID <client-id>, ADDR <ip:port>, LADDR <ip:port>, TYPE normal, "
            "USER <username>, SKIPME (YES|NO), MAXAGE <maxage>.",
            "LIST [options ...]",
            "    Return information about client connections. Options: TYPE normal, ID <id> ...",
            "NO-EVICT (ON|OFF)",
            "    Accepted for compatibility; eviction does not exist yet.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
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

/* ---------------- INFO ---------------- */

static void rss_and_peak(size_t *rss, size_t *peak)
{
    *rss = *peak = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        unsigned long kb;
        if (sscanf(line, "VmRSS: %lu kB", &kb) == 1)
            *rss = kb * 1024;
        else if (sscanf(line, "VmHWM: %lu kB", &kb) == 1)
            *peak = kb * 1024;
    }
    fclose(f);
}

/* The figure maxmemory is checked against (core/evict.h): jemalloc's
 * allocated bytes, the sanitizer allocator's under ASan, mallinfo2 else. */
static size_t allocated_bytes(void)
{
    return evict_measure_now();
}

static void human_bytes(char *out, size_t outlen, double n)
{
    if (n < 1024)
        snprintf(out, outlen, "%lluB", (unsigned long long)n);
    else if (n < 1024.0 * 1024)
        snprintf(out, outlen, "%.2fK", n / 1024);
    else if (n < 1024.0 * 1024 * 1024)
        snprintf(out, outlen, "%.2fM", n / (1024 * 1024));
    else
        snprintf(out, outlen, "%.2fG", n / (1024.0 * 1024 * 1024));
}

static int section_wanted(const struct arg *argv, int argc, const char *name, int is_default)
{
    if (argc < 2)
        return is_default;
    for (int i = 1; i < argc; i++) {
        if (arg_is(&argv[i], name) || arg_is(&argv[i], "everything"))
            return 1;
        if (arg_is(&argv[i], "all") && strcmp(name, "commandstats") && strcmp(name, "latencystats"))
            return 1;
        if (arg_is(&argv[i], "all") && !strcmp(name, "commandstats"))
            return 0;
        if (arg_is(&argv[i], "default") && is_default)
            return 1;
    }
    return 0;
}

static void appendf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void appendf(struct buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    buf_append(b, tmp, n < (int)sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void info_render(struct buf *out, int resp, const struct arg *argv, int argc, struct shard *coordinator,
                 const struct shard_info *infos, int n)
{
    struct server *srv = coordinator->srv;
    const struct config *cfg = server_config(srv);
    struct buf t = {0};
    int64_t now = mstime();
    int64_t uptime = (monotonic_us() - srv->start_monotonic_us) / 1000000;
    int any = 0;
    struct shard_stats tot = {0};
    uint64_t txn_waiting = 0, txn_held = 0, watched_keys = 0;
    long long clients = 0;
    uint64_t conns = 0, rejected = 0, in_bytes = 0, out_bytes = 0, lazy_expired = 0;
    size_t overhead = 0, max_in = 0, max_out = 0;
    long long blocked = 0;
    for (int i = 0; i < n; i++) {
        const struct shard_info *si = &infos[i];
        clients += si->clients;
        blocked += si->blocked_clients;
        conns += si->total_connections;
        rejected += si->rejected_connections;
        in_bytes += si->net_input_bytes;
        out_bytes += si->net_output_bytes;
        lazy_expired += si->expired_lazy;
        overhead += si->db_overhead;
        if (si->max_input_buffer > max_in)
            max_in = si->max_input_buffer;
        if (si->max_output_buffer > max_out)
            max_out = si->max_output_buffer;
        tot.commands += si->stats.commands;
        tot.keyspace_hits += si->stats.keyspace_hits;
        tot.keyspace_misses += si->stats.keyspace_misses;
        tot.expired_keys += si->stats.expired_keys;
        tot.evicted_keys += si->stats.evicted_keys;
        tot.dirty += si->stats.dirty;
        tot.hops_in += si->stats.hops_in;
        tot.hops_out += si->stats.hops_out;
        tot.txn_single_shard += si->stats.txn_single_shard;
        tot.txn_multi_shard += si->stats.txn_multi_shard;
        tot.txn_global += si->stats.txn_global;
        tot.txn_ordered += si->stats.txn_ordered;
        tot.txn_lock_waits += si->stats.txn_lock_waits;
        tot.txn_watch_aborts += si->stats.txn_watch_aborts;
        txn_waiting += si->txn_waiting;
        txn_held += si->txn_held;
        watched_keys += si->watched_keys;
    }
    if (section_wanted(argv, argc, "server", 1)) {
        struct utsname un;
        uname(&un);
        appendf(&t,
                "# Server\r\nredis_version:%s\r\nshardis_version:%s\r\nredis_git_sha1:00000000\r\n"
                "redis_git_dirty:0\r\nredis_mode:standalone\r\nos:%s %s %s\r\narch_bits:64\r\n"
                "multiplexing_api:io_uring\r\ngcc_version:%d.%d.%d\r\nprocess_id:%d\r\nrun_id:%s\r\n"
                "tcp_port:%d\r\nserver_time_usec:%lld\r\nuptime_in_seconds:%lld\r\nuptime_in_days:%lld\r\n"
                "hz:%d\r\nexecutable:%s\r\nconfig_file:%s\r\nthreads:%d\r\n",
                REDIS_COMPAT_VERSION, SHARDIS_VERSION, un.sysname, un.release, un.machine,
#ifdef __GNUC__
                __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__,
#else
                0, 0, 0,
#endif
                (int)getpid(), srv->run_id, cfg->port, (long long)ustime(), (long long)uptime,
                (long long)uptime / 86400, cfg->hz, srv->executable, cfg->config_file, srv->nshards);
        any = 1;
    }
    if (section_wanted(argv, argc, "clients", 1)) {
        appendf(&t,
                "%s# Clients\r\nconnected_clients:%lld\r\nmaxclients:%lld\r\nclient_recent_max_input_buffer:%zu\r\n"
                "client_recent_max_output_buffer:%zu\r\nblocked_clients:%lld\r\n",
                any ? "\r\n" : "", clients, cfg->maxclients, max_in, max_out, blocked);
        any = 1;
    }
    if (section_wanted(argv, argc, "memory", 1)) {
        size_t used = allocated_bytes(), rss, peak;
        rss_and_peak(&rss, &peak);
        char h1[32], h2[32], h3[32], h4[32];
        human_bytes(h4, sizeof(h4), (double)cfg->maxmemory);
        human_bytes(h1, sizeof(h1), (double)used);
        human_bytes(h2, sizeof(h2), (double)rss);
        human_bytes(h3, sizeof(h3), (double)peak);
        appendf(&t,
                "%s# Memory\r\nused_memory:%zu\r\nused_memory_human:%s\r\nused_memory_rss:%zu\r\n"
                "used_memory_rss_human:%s\r\nused_memory_peak_rss:%zu\r\nused_memory_peak_rss_human:%s\r\n"
                "used_memory_overhead:%zu\r\nmem_fragmentation_ratio:%.2f\r\nmem_allocator:%s\r\n"
                "maxmemory:%lld\r\nmaxmemory_human:%s\r\nmaxmemory_policy:%s\r\n"
                "lazyfree_pending_objects:%zu\r\nlazyfreed_objects:%zu\r\n",
                any ? "\r\n" : "", used, h1, rss, h2, peak, h3, overhead, used ? (double)rss / used : 0.0,
#ifdef SHARDIS_JEMALLOC
                "jemalloc",
#else
                "libc",
#endif
                cfg->maxmemory, h4, config_maxmemory_policy_name(cfg->maxmemory_policy), lazyfree_pending(),
                lazyfree_freed());
        any = 1;
    }
    if (section_wanted(argv, argc, "persistence", 1)) {
        appendf(&t, "%s# Persistence\r\n", any ? "\r\n" : "");
        snap_info(srv, &t, tot.dirty);
        aof_info(srv, &t);
        any = 1;
    }
    if (section_wanted(argv, argc, "stats", 1)) {
        appendf(&t,
                "%s# Stats\r\ntotal_connections_received:%llu\r\ntotal_commands_processed:%llu\r\n"
                "total_net_input_bytes:%llu\r\ntotal_net_output_bytes:%llu\r\nrejected_connections:%llu\r\n"
                "expired_keys:%llu\r\nevicted_keys:%llu\r\nkeyspace_hits:%llu\r\nkeyspace_misses:%llu\r\n"
                "cross_shard_hops:%llu\r\n",
                any ? "\r\n" : "", (unsigned long long)conns, (unsigned long long)tot.commands,
                (unsigned long long)in_bytes, (unsigned long long)out_bytes, (unsigned long long)rejected,
                (unsigned long long)(tot.expired_keys + lazy_expired), (unsigned long long)tot.evicted_keys,
                (unsigned long long)tot.keyspace_hits, (unsigned long long)tot.keyspace_misses,
                (unsigned long long)tot.hops_out);
        /* Transactions (shards/txn.h): multi-key commands and EXECs that
         * ran in one hop, transactions that locked several shards, global
         * barriers, try-locks retried in shard order, waits for a lock,
         * EXECs aborted by WATCH, and what waits or holds locks now. */
        appendf(&t,
                "txn_single_shard:%llu\r\ntxn_multi_shard:%llu\r\ntxn_global_barriers:%llu\r\n"
                "txn_ordered_retries:%llu\r\ntxn_lock_waits:%llu\r\ntxn_watch_aborts:%llu\r\n"
                "txn_queue_length:%llu\r\ntxn_holding_locks:%llu\r\nwatched_keys:%llu\r\n",
                (unsigned long long)tot.txn_single_shard, (unsigned long long)tot.txn_multi_shard,
                (unsigned long long)tot.txn_global, (unsigned long long)tot.txn_ordered,
                (unsigned long long)tot.txn_lock_waits, (unsigned long long)tot.txn_watch_aborts,
                (unsigned long long)txn_waiting, (unsigned long long)txn_held, (unsigned long long)watched_keys);
        any = 1;
    }
    if (section_wanted(argv, argc, "replication", 1)) {
        appendf(&t,
                "%s# Replication\r\nrole:master\r\nconnected_slaves:0\r\nmaster_replid:%s\r\n"
                "master_repl_offset:0\r\n",
                any ? "\r\n" : "", srv->run_id);
        any = 1;
    }
    if (section_wanted(argv, argc, "cpu", 1)) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        appendf(&t, "%s# CPU\r\nused_cpu_sys:%ld.%06ld\r\nused_cpu_user:%ld.%06ld\r\n", any ? "\r\n" : "",
                (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, (long)ru.ru_utime.tv_sec,
                (long)ru.ru_utime.tv_usec);
        any = 1;
    }
    if (section_wanted(argv, argc, "commandstats", 0)) {
        appendf(&t, "%s# Commandstats\r\n", any ? "\r\n" : "");
        int ncmd = command_count();
        for (int k = 0; k < ncmd; k++) {
            uint64_t calls = 0, usec = 0;
            for (int i = 0; i < n; i++) {
                calls += infos[i].cmdstats[k].calls;
                usec += infos[i].cmdstats[k].usec;
            }
            if (!calls)
                continue;
            appendf(&t, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=0,failed_calls=0\r\n",
                    command_table[k].name, (unsigned long long)calls, (unsigned long long)usec, (double)usec / calls);
        }
        any = 1;
    }
    if (section_wanted(argv, argc, "errorstats", 1)) {
        appendf(&t, "%s# Errorstats\r\n", any ? "\r\n" : "");
        struct error_stat merged[MAX_ERROR_CODES * 4];
        int nm = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < infos[i].nerrstats; k++) {
                const struct error_stat *es = &infos[i].errstats[k];
                int j;
                for (j = 0; j < nm; j++)
                    if (!strcmp(merged[j].code, es->code))
                        break;
                if (j == nm && nm < MAX_ERROR_CODES * 4) {
                    strcpy(merged[nm].code, es->code);
                    merged[nm++].count = 0;
                }
                if (j < nm)
                    merged[j].count += es->count;
            }
        }
        for (int j = 0; j < nm; j++)
            appendf(&t, "errorstat_%s:count=%llu\r\n", merged[j].code, (unsigned long long)merged[j].count);
        any = 1;
    }
    if (section_wanted(argv, argc, "keyspace", 1)) {
        appendf(&t, "%s# Keyspace\r\n", any ? "\r\n" : "");
        int ndbs = infos[0].ndbs < 64 ? infos[0].ndbs : 64;
        for (int d = 0; d < ndbs; d++) {
            long long keys = 0, expires = 0;
            for (int i = 0; i < n; i++) {
                keys += infos[i].keys[d];
                expires += infos[i].expires[d];
            }
            if (keys)
                appendf(&t, "db%d:keys=%lld,expires=%lld,avg_ttl=0\r\n", d, keys, expires);
        }
        any = 1;
    }
    if (section_wanted(argv, argc, "shards", 1)) {
        appendf(&t, "%s# Shards\r\nshards:%d\r\n", any ? "\r\n" : "", n);
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
        any = 1;
    }
    (void)now;
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
    info_render(c->out, c->resp, c->argv, c->argc, c->shard, &info, 1);
}

/* ---------------- CONFIG ---------------- */

struct config_set_args {
    const struct arg *argv;
    int argc;
    char err[512];
};

static int apply_config_set(struct config *cfg, void *p)
{
    struct config_set_args *a = p;
    for (int i = 2; i + 1 < a->argc; i += 2) {
        char name[128], value[CONFIG_PATH_MAX];
        snprintf(name, sizeof(name), "%.*s", (int)a->argv[i].len, a->argv[i].ptr);
        snprintf(value, sizeof(value), "%.*s", (int)a->argv[i + 1].len, a->argv[i + 1].ptr);
        for (char *q = name; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        const char *values[CONFIG_MAX_BIND];
        int nvalues = 1;
        char words[CONFIG_PATH_MAX];
        values[0] = value;
        if (!strcmp(name, "bind")) {
            /* bind takes a space separated list */
            snprintf(words, sizeof(words), "%s", value);
            nvalues = 0;
            for (char *tok = strtok(words, " "); tok && nvalues < CONFIG_MAX_BIND; tok = strtok(NULL, " "))
                values[nvalues++] = tok;
        }
        if (config_set_option(cfg, name, values, nvalues, 1, a->err, sizeof(a->err)) < 0) {
            char reason[256];
            snprintf(reason, sizeof(reason), "%.200s", a->err);
            snprintf(a->err, sizeof(a->err), "ERR CONFIG SET failed (possibly related to argument '%.64s') - %s", name,
                     reason);
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

void cmd_config(struct cmd_ctx *c)
{
    struct server *srv = c->shard->srv;
    const struct arg *sub = &c->argv[1];
    if (arg_is(sub, "get") && c->argc >= 3) {
        config_get_reply(server_config(srv), c->out, c->resp, &c->argv[2], c->argc - 2);
    } else if (arg_is(sub, "set") && c->argc >= 4 && c->argc % 2 == 0) {
        struct config_set_args a = {.argv = c->argv, .argc = c->argc};
        int was_aof = server_config(srv)->appendonly;
        /* Unknown names first, with Redis's wording. */
        for (int i = 2; i < c->argc; i += 2) {
            char name[128];
            snprintf(name, sizeof(name), "%.*s", (int)c->argv[i].len, c->argv[i].ptr);
            if (!config_option_exists(name)) {
                reply_errorf(c->out, "ERR Unknown option or number of arguments for CONFIG SET - '%s'", name);
                return;
            }
        }
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
    if (arg_is(sub, "sleep") && c->argc == 3) {
        double secs;
        if (!string2d(c->argv[2].ptr, c->argv[2].len, &secs) || secs < 0) {
            reply_error(c->out, ERR_NOT_FLOAT);
            return;
        }
        struct timespec ts = {.tv_sec = (time_t)secs, .tv_nsec = (long)((secs - (time_t)secs) * 1e9)};
        nanosleep(&ts, NULL);
        reply_ok(c->out);
    } else if (arg_is(sub, "help") && c->argc == 2) {
        static const char *const lines[] = {"SLEEP <seconds>", "    Stop the server's thread for <seconds>.", NULL};
        reply_help(c, "DEBUG", lines);
    } else {
        reply_unknown_subcommand(c, "DEBUG");
    }
}
