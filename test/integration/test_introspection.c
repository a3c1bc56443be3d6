/*
 * test_introspection.c - what a server says about itself, as Redis 7.0 says
 * it: INFO's sections and fields (section arguments, the cluster section
 * client libraries read), INFO commandstats' calls / rejected_calls /
 * failed_calls and errorstats counted as Redis counts them, CONFIG
 * RESETSTAT, CLIENT LIST/INFO fields and the errors of CLIENT's
 * subcommands.
 *
 * Every test starts with CONFIG RESETSTAT where it reads counters, so the
 * tests of the suite (one server) do not depend on each other's order. The
 * expected values were checked against redis-server 7.0.15.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(introspection, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

static int count_of(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The cmdstat_<name> line's value ("" when absent). */
/* INFO with the arguments of `command` (several section names). */
static char *info_of(redisContext *c, const char *command)
{
    redisReply *r = cmd(c, command);
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "%s: %s", command, describe_reply(r));
    char *text = strndup(r->str, r->len);
    freeReplyObject(r);
    return text;
}

static void cmdstat(redisContext *c, const char *name, char *out, size_t size)
{
    char *info = info_text(c, "commandstats");
    char field[96];
    snprintf(field, sizeof(field), "cmdstat_%s", name);
    if (!info_field(info, field, out, size))
        out[0] = '\0';
    free(info);
}

static void expect_cmdstat_counts(redisContext *c, const char *name, const char *counts)
{
    char value[256];
    cmdstat(c, name, value, sizeof(value));
    /* calls=N,usec=..,usec_per_call=..,rejected_calls=R,failed_calls=F: compare all but the times */
    char calls[64] = "", tail[128] = "";
    const char *comma = strchr(value, ',');
    const char *rejected = strstr(value, "rejected_calls=");
    if (comma && rejected) {
        snprintf(calls, sizeof(calls), "%.*s", (int)(comma - value), value);
        snprintf(tail, sizeof(tail), "%s", rejected);
    }
    char got[200];
    snprintf(got, sizeof(got), "%s,%s", calls, tail);
    cr_assert_str_eq(got, counts, "cmdstat_%s: %s", name, value);
}

static void errorstat(redisContext *c, const char *code, char *out, size_t size)
{
    char *info = info_text(c, "errorstats");
    char field[64];
    snprintf(field, sizeof(field), "errorstat_%s", code);
    if (!info_field(info, field, out, size))
        out[0] = '\0';
    free(info);
}

Test(introspection, info_cluster_section_says_cluster_is_disabled)
{
    redisContext *c = client_connect();
    char *info = info_text(c, "cluster");
    cr_assert(has_line(info, "# Cluster"), "%s", info);
    cr_assert(has_line(info, "cluster_enabled:0"), "%s", info);
    cr_assert(!strstr(info, "# Server"), "%s", info);
    free(info);
    info = info_text(c, NULL);
    cr_assert(has_line(info, "cluster_enabled:0"), "default INFO lacks the cluster section: %s", info);
    free(info);
    redisFree(c);
}

Test(introspection, info_takes_several_sections_and_the_special_words)
{
    redisContext *c = client_connect();
    char *info = info_of(c, "INFO server clients");
    cr_assert(has_line(info, "# Server") && has_line(info, "# Clients"), "%s", info);
    cr_assert(!strstr(info, "# Memory"), "%s", info);
    free(info);

    /* Section names are case-insensitive; commandstats is not a default one. */
    info = info_text(c, "CommandStats");
    cr_assert(strstr(info, "rejected_calls="), "%s", info);
    cr_assert(!strstr(info, "used_memory"), "%s", info);
    free(info);

    info = info_text(c, "default");
    cr_assert(!strstr(info, "rejected_calls"), "%s", info);
    cr_assert(strstr(info, "used_cpu_user") && strstr(info, "master_repl_offset"), "%s", info);
    free(info);

    /* "all" adds the non-default sections; a section named twice is printed once. */
    info = info_of(c, "INFO cpu all");
    cr_assert(strstr(info, "rejected_calls") && strstr(info, "used_memory"), "%s", info);
    cr_assert_eq(count_of(info, "used_cpu_user_children"), 1, "%s", info);
    free(info);

    info = info_of(c, "INFO cpu default");
    cr_assert(strstr(info, "used_memory") && !strstr(info, "rejected_calls"), "%s", info);
    cr_assert_eq(count_of(info, "used_cpu_user_children"), 1, "%s", info);
    free(info);

    info = info_text(c, "everything");
    static const char *const sections[] = {"# Server",       "# Clients",     "# Memory",  "# Persistence",
                                           "# Stats",        "# Replication", "# CPU",     "# Modules",
                                           "# Commandstats", "# Errorstats",  "# Cluster", "# Keyspace"};
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        cr_assert(has_line(info, sections[i]), "INFO everything lacks %s", sections[i]);
    free(info);

    info = info_text(c, "nosuchsection");
    cr_assert_str_eq(info, "");
    free(info);
    redisFree(c);
}

Test(introspection, info_everything_has_redis_fields)
{
    /* Every field name of redis-server 7.0.15's INFO everything (standalone,
     * no modules) that does not depend on the data. */
    static const char *const fields[] = {"redis_version",
                                         "redis_git_sha1",
                                         "redis_git_dirty",
                                         "redis_build_id",
                                         "redis_mode",
                                         "os",
                                         "arch_bits",
                                         "monotonic_clock",
                                         "multiplexing_api",
                                         "atomicvar_api",
                                         "gcc_version",
                                         "process_id",
                                         "process_supervised",
                                         "run_id",
                                         "tcp_port",
                                         "server_time_usec",
                                         "uptime_in_seconds",
                                         "uptime_in_days",
                                         "hz",
                                         "configured_hz",
                                         "lru_clock",
                                         "executable",
                                         "config_file",
                                         "io_threads_active",
                                         "connected_clients",
                                         "cluster_connections",
                                         "maxclients",
                                         "client_recent_max_input_buffer",
                                         "client_recent_max_output_buffer",
                                         "blocked_clients",
                                         "tracking_clients",
                                         "clients_in_timeout_table",
                                         "used_memory",
                                         "used_memory_human",
                                         "used_memory_rss",
                                         "used_memory_rss_human",
                                         "used_memory_peak",
                                         "used_memory_peak_human",
                                         "used_memory_peak_perc",
                                         "used_memory_overhead",
                                         "used_memory_startup",
                                         "used_memory_dataset",
                                         "used_memory_dataset_perc",
                                         "allocator_allocated",
                                         "allocator_active",
                                         "allocator_resident",
                                         "total_system_memory",
                                         "total_system_memory_human",
                                         "used_memory_lua",
                                         "used_memory_vm_eval",
                                         "used_memory_lua_human",
                                         "used_memory_scripts_eval",
                                         "number_of_cached_scripts",
                                         "number_of_functions",
                                         "number_of_libraries",
                                         "used_memory_vm_functions",
                                         "used_memory_vm_total",
                                         "used_memory_vm_total_human",
                                         "used_memory_functions",
                                         "used_memory_scripts",
                                         "used_memory_scripts_human",
                                         "maxmemory",
                                         "maxmemory_human",
                                         "maxmemory_policy",
                                         "allocator_frag_ratio",
                                         "allocator_frag_bytes",
                                         "allocator_rss_ratio",
                                         "allocator_rss_bytes",
                                         "rss_overhead_ratio",
                                         "rss_overhead_bytes",
                                         "mem_fragmentation_ratio",
                                         "mem_fragmentation_bytes",
                                         "mem_not_counted_for_evict",
                                         "mem_replication_backlog",
                                         "mem_total_replication_buffers",
                                         "mem_clients_slaves",
                                         "mem_clients_normal",
                                         "mem_cluster_links",
                                         "mem_aof_buffer",
                                         "mem_allocator",
                                         "active_defrag_running",
                                         "lazyfree_pending_objects",
                                         "lazyfreed_objects",
                                         "loading",
                                         "async_loading",
                                         "rdb_changes_since_last_save",
                                         "rdb_bgsave_in_progress",
                                         "rdb_last_save_time",
                                         "rdb_last_bgsave_status",
                                         "aof_enabled",
                                         "aof_rewrite_in_progress",
                                         "aof_last_write_status",
                                         "total_connections_received",
                                         "total_commands_processed",
                                         "instantaneous_ops_per_sec",
                                         "total_net_input_bytes",
                                         "total_net_output_bytes",
                                         "total_net_repl_input_bytes",
                                         "total_net_repl_output_bytes",
                                         "instantaneous_input_kbps",
                                         "instantaneous_output_kbps",
                                         "instantaneous_input_repl_kbps",
                                         "instantaneous_output_repl_kbps",
                                         "rejected_connections",
                                         "sync_full",
                                         "sync_partial_ok",
                                         "sync_partial_err",
                                         "expired_keys",
                                         "expired_stale_perc",
                                         "expired_time_cap_reached_count",
                                         "expire_cycle_cpu_milliseconds",
                                         "evicted_keys",
                                         "evicted_clients",
                                         "total_eviction_exceeded_time",
                                         "current_eviction_exceeded_time",
                                         "keyspace_hits",
                                         "keyspace_misses",
                                         "pubsub_channels",
                                         "pubsub_patterns",
                                         "pubsubshard_channels",
                                         "latest_fork_usec",
                                         "total_forks",
                                         "migrate_cached_sockets",
                                         "slave_expires_tracked_keys",
                                         "active_defrag_hits",
                                         "active_defrag_misses",
                                         "active_defrag_key_hits",
                                         "active_defrag_key_misses",
                                         "total_active_defrag_time",
                                         "current_active_defrag_time",
                                         "tracking_total_keys",
                                         "tracking_total_items",
                                         "tracking_total_prefixes",
                                         "unexpected_error_replies",
                                         "total_error_replies",
                                         "dump_payload_sanitizations",
                                         "total_reads_processed",
                                         "total_writes_processed",
                                         "io_threaded_reads_processed",
                                         "io_threaded_writes_processed",
                                         "reply_buffer_shrinks",
                                         "reply_buffer_expands",
                                         "role",
                                         "connected_slaves",
                                         "master_failover_state",
                                         "master_replid",
                                         "master_replid2",
                                         "master_repl_offset",
                                         "second_repl_offset",
                                         "repl_backlog_active",
                                         "repl_backlog_size",
                                         "repl_backlog_first_byte_offset",
                                         "repl_backlog_histlen",
                                         "used_cpu_sys",
                                         "used_cpu_user",
                                         "used_cpu_sys_children",
                                         "used_cpu_user_children",
                                         "used_cpu_sys_main_thread",
                                         "used_cpu_user_main_thread",
                                         "cluster_enabled"};
    redisContext *c = client_connect();
    char *info = info_text(c, "everything");
    char value[128];
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        cr_assert(info_field(info, fields[i], value, sizeof(value)), "INFO everything lacks %s", fields[i]);

    /* A standalone master's replication section. */
    cr_assert(has_line(info, "role:master") && has_line(info, "connected_slaves:0"), "%s", info);
    cr_assert(has_line(info, "master_replid2:0000000000000000000000000000000000000000"));
    cr_assert(info_field(info, "master_replid", value, sizeof(value)));
    cr_assert_eq(strlen(value), 40, "master_replid %s", value);
    for (int i = 0; i < 40; i++)
        cr_assert(isxdigit((unsigned char)value[i]) && !isupper((unsigned char)value[i]), "master_replid %s", value);
    char *again = info_text(c, "replication");
    char value2[128];
    cr_assert(info_field(again, "master_replid", value2, sizeof(value2)));
    cr_assert_str_eq(value, value2, "master_replid changed between two INFO calls");
    free(again);

    /* Real figures: the peak is at least what is used, the RSS is not 0. */
    cr_assert(info_field(info, "used_memory_peak", value, sizeof(value)));
    long long peak = atoll(value);
    cr_assert(info_field(info, "used_memory", value, sizeof(value)));
    cr_assert_geq(peak, atoll(value));
    cr_assert(info_field(info, "used_memory_rss", value, sizeof(value)));
    cr_assert_gt(atoll(value), 0);
    free(info);
    redisFree(c);
}

Test(introspection, commandstats_count_rejected_and_failed_calls_as_redis)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    cr_assert_eq(info_ll(c, "stats", "total_error_replies"), 0);

    /* Refused before running: rejected, not called. */
    expect_err(cmd(c, "SET k"), "ERR wrong number of arguments for 'set' command");
    expect_status(cmd(c, "SET k1 v1"), "OK");
    expect_status(cmd(c, "SET k2 v2"), "OK");
    expect_cmdstat_counts(c, "set", "calls=2,rejected_calls=1,failed_calls=0");

    /* Ran and replied an error: called and failed. */
    expect_err_prefix(cmd(c, "LPUSH k1 x"), "WRONGTYPE");
    expect_cmdstat_counts(c, "lpush", "calls=1,rejected_calls=0,failed_calls=1");

    /* Subcommands count on their own; an unknown subcommand counts nowhere. */
    expect_err(cmd(c, "CLIENT KILL"), "ERR wrong number of arguments for 'client|kill' command");
    expect_err(cmd(c, "CLIENT KILL ID 0"), "ERR client-id should be greater than 0");
    expect_err(cmd(c, "CLIENT NOSUCH"), "ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.");
    expect_cmdstat_counts(c, "client|kill", "calls=1,rejected_calls=1,failed_calls=1");
    char value[256];
    cmdstat(c, "client", value, sizeof(value));
    cr_assert_str_eq(value, "", "cmdstat_client: %s", value);

    /* An unknown command: an error reply, no command counted. */
    expect_err_prefix(cmd(c, "NOSUCHCOMMAND a"), "ERR unknown command");

    char count[64];
    errorstat(c, "ERR", count, sizeof(count));
    cr_assert_str_eq(count, "count=5");
    errorstat(c, "WRONGTYPE", count, sizeof(count));
    cr_assert_str_eq(count, "count=1");
    cr_assert_eq(info_ll(c, "stats", "total_error_replies"), 6);

    /* RESETSTAT clears them all. */
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    char *info = info_text(c, "errorstats");
    cr_assert(!strstr(info, "errorstat_"), "%s", info);
    free(info);
    cmdstat(c, "set", value, sizeof(value));
    cr_assert_str_eq(value, "");
    cr_assert_eq(info_ll(c, "stats", "total_error_replies"), 0);
    redisFree(c);
}

Test(introspection, commandstats_inside_multi_exec)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    /* An error inside EXEC's array fails its command, not EXEC. */
    expect_status(cmd(c, "SET {t}s v"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET {t}a b"), "QUEUED");
    expect_status(cmd(c, "LPUSH {t}s x"), "QUEUED");
    redisReply *r = cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_ERROR, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_cmdstat_counts(c, "set", "calls=2,rejected_calls=0,failed_calls=0");
    expect_cmdstat_counts(c, "lpush", "calls=1,rejected_calls=0,failed_calls=1");
    expect_cmdstat_counts(c, "exec", "calls=1,rejected_calls=0,failed_calls=0");
    expect_cmdstat_counts(c, "multi", "calls=1,rejected_calls=0,failed_calls=0");

    /* A queued arity error is rejected; EXEC then aborts and fails. */
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_err(cmd(c, "SET"), "ERR wrong number of arguments for 'set' command");
    expect_err(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of previous errors.");
    expect_cmdstat_counts(c, "set", "calls=0,rejected_calls=1,failed_calls=0");
    expect_cmdstat_counts(c, "exec", "calls=1,rejected_calls=0,failed_calls=1");
    char count[64];
    errorstat(c, "EXECABORT", count, sizeof(count));
    cr_assert_str_eq(count, "count=1");
    errorstat(c, "ERR", count, sizeof(count));
    cr_assert_str_eq(count, "count=1");

    /* EXEC without MULTI ran and failed. */
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_cmdstat_counts(c, "exec", "calls=2,rejected_calls=0,failed_calls=2");
    cr_assert_eq(info_ll(c, "stats", "total_error_replies"), 3);
    redisFree(c);
}

Test(introspection, commandstats_oom_is_a_rejection)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    expect_status(cmd(c, "CONFIG SET maxmemory 1"), "OK");
    expect_err_prefix(cmd(c, "SET a b"), "OOM");
    expect_status(cmd(c, "CONFIG SET maxmemory 0"), "OK");
    expect_cmdstat_counts(c, "set", "calls=0,rejected_calls=1,failed_calls=0");
    char count[64];
    errorstat(c, "OOM", count, sizeof(count));
    cr_assert_str_eq(count, "count=1");
    redisFree(c);
}

Test(introspection, commandstats_count_commands_on_every_shard)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    /* Keys spread over the shards: each command counts once, wherever it ran. */
    for (int i = 0; i < 20; i++) {
        redisReply *r = cmd(c, "SET key:%d %d", i, i);
        freeReplyObject(r);
    }
    redisReply *r = cmd(c, "MGET key:1 key:2 key:3 key:4 key:5");
    freeReplyObject(r);
    expect_cmdstat_counts(c, "set", "calls=20,rejected_calls=0,failed_calls=0");
    expect_cmdstat_counts(c, "mget", "calls=1,rejected_calls=0,failed_calls=0");
    redisFree(c);
}

Test(introspection, keyspace_avg_ttl_and_clients_in_timeout_table)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SELECT 5"), "OK");
    expect_status(cmd(c, "FLUSHDB"), "OK");
    expect_status(cmd(c, "SET t1 v EX 1000"), "OK");
    expect_status(cmd(c, "SET t2 v EX 1000"), "OK");
    expect_status(cmd(c, "SET p v"), "OK");
    char *info = info_text(c, "keyspace");
    char value[128];
    cr_assert(info_field(info, "db5", value, sizeof(value)), "%s", info);
    long long keys = -1, expires = -1, avg = -1;
    cr_assert_eq(sscanf(value, "keys=%lld,expires=%lld,avg_ttl=%lld", &keys, &expires, &avg), 3, "%s", value);
    cr_assert_eq(keys, 3);
    cr_assert_eq(expires, 2);
    /* Redis estimates it in its expiry cycle (0 until the cycle sampled
     * the db); shardis samples the expiry vector when INFO asks. */
    if (!server_is_redis())
        cr_assert(avg > 900000 && avg <= 1000000, "avg_ttl %lld", avg);
    free(info);

    /* A client blocked with a timeout is in the timeout table; one blocked forever is not. */
    redisContext *b1 = client_connect();
    redisContext *b2 = client_connect();
    cr_assert(redisAppendCommand(b1, "BLPOP nolist:1 1000") == REDIS_OK);
    cr_assert(redisAppendCommand(b2, "BLPOP nolist:2 0") == REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert(redisBufferWrite(b1, &done) == REDIS_OK);
    done = 0;
    while (!done)
        cr_assert(redisBufferWrite(b2, &done) == REDIS_OK);
    long long deadline = now_ms() + 10000;
    while (info_ll(c, "clients", "blocked_clients") != 2 && now_ms() < deadline)
        sleep_ms(10);
    cr_assert_eq(info_ll(c, "clients", "blocked_clients"), 2);
    cr_assert_eq(info_ll(c, "clients", "clients_in_timeout_table"), 1);
    redisFree(b1);
    redisFree(b2);
    expect_status(cmd(c, "FLUSHDB"), "OK");
    redisFree(c);
}

Test(introspection, client_kill_with_illegal_arguments)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "CLIENT KILL"), "ERR wrong number of arguments for 'client|kill' command");
    expect_err(cmd(c, "CLIENT KILL ID 10 wrong_arg"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT KILL ID str"), "ERR client-id should be greater than 0");
    expect_err(cmd(c, "CLIENT KILL ID -1"), "ERR client-id should be greater than 0");
    expect_err(cmd(c, "CLIENT KILL ID 0"), "ERR client-id should be greater than 0");
    expect_err(cmd(c, "CLIENT KILL TYPE wrong_type"), "ERR Unknown client type 'wrong_type'");
    expect_err(cmd(c, "CLIENT KILL USER wrong_user"), "ERR No such user 'wrong_user'");
    expect_err(cmd(c, "CLIENT KILL SKIPME yes_or_no"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT KILL ADDR"), "ERR No such client");    /* the old form: ADDR is an address */
    expect_err(cmd(c, "CLIENT KILL MAXAGE 10"), "ERR syntax error"); /* Redis 7.2's, not 7.0's */
    expect_err(cmd(c, "CLIENT KILL 1.2.3.4:5"), "ERR No such client");
    /* Nothing was killed on the way. */
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

Test(introspection, client_kill_by_user)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "ACL SETUSER killme on >pw +@all ~*"), "OK");
    redisContext *victims[4];
    for (int i = 0; i < 4; i++) {
        victims[i] = client_connect();
        expect_status(cmd(victims[i], "AUTH killme pw"), "OK");
    }
    redisContext *bystander = client_connect();
    expect_int(cmd(c, "CLIENT KILL USER killme"), 4);
    for (int i = 0; i < 4; i++) {
        cr_assert(redisCommand(victims[i], "PING") == NULL, "a client of the killed user still answers");
        redisFree(victims[i]);
    }
    expect_status(cmd(bystander, "PING"), "PONG");
    expect_int(cmd(c, "CLIENT KILL USER killme"), 0);
    expect_int(cmd(c, "ACL DELUSER killme"), 1);
    redisFree(bystander);
    redisFree(c);
}

Test(introspection, client_list_fields_and_filters)
{
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "CLIENT INFO");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "%s", describe_reply(r));
    /* Redis 7.0's fields, in its order. */
    static const char *const names[] = {"id",        "addr",     "laddr",     "fd",   "name", "age",   "idle",
                                        "flags",     "db",       "sub",       "psub", "ssub", "multi", "qbuf",
                                        "qbuf-free", "argv-mem", "multi-mem", "rbs",  "rbp",  "obl",   "oll",
                                        "omem",      "tot-mem",  "events",    "cmd",  "user", "redir", "resp"};
    const char *p = r->str;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        cr_assert(!strncmp(p, names[i], n) && p[n] == '=', "field %zu is not %s in %s", i, names[i], r->str);
        p = strchr(p, ' ');
        if (i + 1 < sizeof(names) / sizeof(names[0]))
            cr_assert_not_null(p, "%s", r->str);
        if (p)
            p++;
    }
    /* The running command: its arguments (CLIENT INFO = 10 bytes) and name. */
    cr_assert(strstr(r->str, " flags=N ") && strstr(r->str, " multi=-1 ") && strstr(r->str, " argv-mem=10 ") &&
                  strstr(r->str, " obl=0 oll=0 omem=0 ") && strstr(r->str, " cmd=client|info ") &&
                  strstr(r->str, " redir=-1 resp=2"),
              "%s", r->str);
    freeReplyObject(r);

    /* Queued commands show in multi= and multi-mem=, flag x. */
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET abc defg"), "QUEUED");
    expect_status(cmd(c, "CLIENT INFO"), "QUEUED");
    r = cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY);
    cr_assert(strstr(r->element[1]->str, " flags=x ") && strstr(r->element[1]->str, " multi=2 "), "%s",
              r->element[1]->str);
    freeReplyObject(r);

    r = cmd(c, "CLIENT ID");
    long long id = r->integer;
    freeReplyObject(r);
    r = cmd(c, "CLIENT LIST ID %lld", id);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "id=%lld ", id);
    cr_assert(r->type == REDIS_REPLY_STRING && !strncmp(r->str, prefix, strlen(prefix)) &&
                  strstr(r->str, " cmd=client|list "),
              "%s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(c, "CLIENT LIST ID 0");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 0, "%s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(c, "CLIENT LIST TYPE pubsub");
    cr_assert(r->type == REDIS_REPLY_STRING && r->len == 0, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_err(cmd(c, "CLIENT LIST ID abc"), "ERR Invalid client ID");
    expect_err(cmd(c, "CLIENT LIST ID"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT LIST TYPE"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT LIST TYPE foo"), "ERR Unknown client type 'foo'");
    expect_err(cmd(c, "CLIENT LIST TYPE normal ID 1"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT LIST foo"), "ERR syntax error");
    redisFree(c);
}

Test(introspection, client_tracking_queries_without_tracking)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "CLIENT GETREDIR"), -1);
    redisReply *r = cmd(c, "CLIENT TRACKINGINFO");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "flags");
    cr_assert(r->element[1]->elements == 1 && !strcmp(r->element[1]->element[0]->str, "off"));
    cr_assert_str_eq(r->element[2]->str, "redirect");
    cr_assert_eq(r->element[3]->integer, -1);
    cr_assert_str_eq(r->element[4]->str, "prefixes");
    cr_assert_eq(r->element[5]->elements, 0);
    freeReplyObject(r);
    expect_err(cmd(c, "CLIENT CACHING yes"), "ERR CLIENT CACHING can be called only when the client is in tracking "
                                             "mode with OPTIN or OPTOUT mode enabled");
    expect_err(cmd(c, "CLIENT GETREDIR x"), "ERR wrong number of arguments for 'client|getredir' command");
    /* NO-EVICT shows as flag e. */
    expect_status(cmd(c, "CLIENT NO-EVICT on"), "OK");
    redisReply *info = cmd(c, "CLIENT INFO");
    cr_assert(strstr(info->str, " flags=e "), "%s", info->str);
    freeReplyObject(info);
    expect_status(cmd(c, "CLIENT NO-EVICT off"), "OK");
    info = cmd(c, "CLIENT INFO");
    cr_assert(strstr(info->str, " flags=N "), "%s", info->str);
    freeReplyObject(info);
    expect_err(cmd(c, "CLIENT NO-EVICT maybe"), "ERR syntax error");
    redisFree(c);
}

Test(introspection, latencystats_per_command)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    expect_status(cmd(c, "DEBUG SLEEP 0.05"), "OK");
    expect_status(cmd(c, "SET lat v"), "OK");
    char *info = info_text(c, "latencystats");
    char value[256];
    cr_assert(has_line(info, "# Latencystats"), "%s", info);
    cr_assert(info_field(info, "latency_percentiles_usec_debug", value, sizeof(value)), "%s", info);
    double p50 = 0, p99 = 0, p999 = 0;
    cr_assert_eq(sscanf(value, "p50=%lf,p99=%lf,p99.9=%lf", &p50, &p99, &p999), 3, "%s", value);
    /* One call of at least 50 ms: every percentile is that call (within the
     * histogram's 3%). */
    cr_assert(p50 >= 50000 * 0.97 && p50 == p99 && p99 == p999, "%s", value);
    cr_assert(info_field(info, "latency_percentiles_usec_set", value, sizeof(value)), "%s", info);
    free(info);
    info = info_text(c, NULL);
    cr_assert(!strstr(info, "latency_percentiles"), "latencystats is not a default section: %s", info);
    free(info);
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    info = info_text(c, "latencystats");
    cr_assert(!strstr(info, "latency_percentiles_usec_debug"), "%s", info);
    free(info);
    redisFree(c);
}

Test(introspection, client_reply_off_on_skip)
{
    redisContext *c = client_connect();
    /* OFF: nothing comes back, not even errors, until ON (which answers). */
    cr_assert(redisAppendCommand(c, "CLIENT REPLY OFF") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PING pong") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "SET") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "MGET a{1} b{2} c{3}") == REDIS_OK); /* several shards: a request */
    cr_assert(redisAppendCommand(c, "CLIENT REPLY ON") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PING pong3") == REDIS_OK);
    expect_status(next_reply(c), "OK");
    expect_str(next_reply(c), "pong3");
    /* SKIP: only the next command's reply is dropped. */
    cr_assert(redisAppendCommand(c, "CLIENT REPLY SKIP") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PING pong") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PING pong2") == REDIS_OK);
    expect_str(next_reply(c), "pong2");
    /* ON right after SKIP answers and clears it. */
    cr_assert(redisAppendCommand(c, "CLIENT REPLY SKIP") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "CLIENT REPLY ON") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PING") == REDIS_OK);
    expect_status(next_reply(c), "OK");
    expect_status(next_reply(c), "PONG");
    expect_err(cmd(c, "CLIENT REPLY maybe"), "ERR syntax error");
    redisFree(c);
}

Test(introspection, client_unblock)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG RESETSTAT"), "OK");
    redisContext *b = client_connect();
    redisReply *r = cmd(b, "CLIENT ID");
    long long id = r->integer;
    freeReplyObject(r);
    expect_int(cmd(c, "CLIENT UNBLOCK %lld", id), 0); /* not blocked */

    /* TIMEOUT (the default): the blocked command replies as on timeout. */
    cr_assert(redisAppendCommand(b, "BLPOP unblock:list 0") == REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert(redisBufferWrite(b, &done) == REDIS_OK);
    wait_blocked(c, 1, 10000);
    expect_int(cmd(c, "CLIENT UNBLOCK %lld", id), 1);
    r = next_reply(b);
    cr_assert(r && r->type == REDIS_REPLY_NIL, "%s", describe_reply(r));
    freeReplyObject(r);

    /* ERROR, on keys of several shards: the UNBLOCKED error. */
    cr_assert(redisAppendCommand(b, "BLPOP unblock:a unblock:b unblock:c unblock:d 0") == REDIS_OK);
    done = 0;
    while (!done)
        cr_assert(redisBufferWrite(b, &done) == REDIS_OK);
    wait_blocked(c, 1, 10000);
    expect_int(cmd(c, "CLIENT UNBLOCK %lld ERROR", id), 1);
    expect_err(next_reply(b), "UNBLOCKED client unblocked via CLIENT UNBLOCK");
    expect_status(cmd(b, "PING"), "PONG"); /* the client goes on */
    /* Redis 7.0 counts both unblocked calls as failed, the TIMEOUT one too. */
    expect_cmdstat_counts(c, "blpop", "calls=2,rejected_calls=0,failed_calls=2");
    char count[64];
    errorstat(c, "UNBLOCKED", count, sizeof(count));
    cr_assert_str_eq(count, "count=1");

    expect_err(cmd(c, "CLIENT UNBLOCK abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "CLIENT UNBLOCK 1 maybe"), "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
    expect_err(cmd(c, "client unblock 1 timeout x"),
               "ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.");
    redisFree(b);
    redisFree(c);
}
