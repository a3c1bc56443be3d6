/*
 * cmd_info.c - INFO: the sections and fields of Redis 7.0 rendered from
 * every shard's figures, and the process-wide memory samples.
 *
 * Thread: info_render runs on the client's thread once the dispatcher has
 * gathered every shard's struct shard_info (SUB_INFO, shards/multistep.c);
 * it reads those copies, the coordinator shard's own state and read-only
 * server state, never another shard's memory. info_sample_memory runs in
 * shard 0's cron; the samples it writes are atomics read by any thread.
 * cmd_info (the handler) is reached only if the dispatcher did not gather.
 */
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
#include "shards/dispatch.h"
#include "shards/lazyfree.h"
#include "shards/request.h"
#include "shards/script.h"

#include "shards/shard.h"

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
    long long pubsub_channels, pubsub_patterns, pubsub_shard_channels;
    long long tracking_keys, tracking_items, tracking_prefixes, tracking_clients;
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
        t->pubsub_channels += si->pubsub_channels;
        t->pubsub_shard_channels += si->pubsub_shard_channels;
        if (si->pubsub_patterns > t->pubsub_patterns) /* every shard holds the whole pattern table */
            t->pubsub_patterns = si->pubsub_patterns;
        t->tracking_keys += si->tracking_keys;
        t->tracking_items += si->tracking_items;
        t->tracking_clients += si->tracking_clients;
        if (si->tracking_prefixes > t->tracking_prefixes) /* every shard holds the whole prefix table */
            t->tracking_prefixes = si->tracking_prefixes;
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
    /* Scripting (shards/script.c): every thread's interpreter, the shared cache, the libraries. */
    {
        size_t lua = script_memory_total(), scripts = script_cache_bytes();
        long long libs, funcs = script_function_count(&libs);
        char h_lua[32], h_scripts[32], h_total[32];
        human_bytes(h_lua, sizeof(h_lua), (double)lua);
        human_bytes(h_scripts, sizeof(h_scripts), (double)scripts);
        human_bytes(h_total, sizeof(h_total), (double)lua);
        appendf(t,
                "used_memory_lua:%zu\r\nused_memory_vm_eval:%zu\r\nused_memory_lua_human:%s\r\n"
                "used_memory_scripts_eval:%zu\r\nnumber_of_cached_scripts:%lld\r\nnumber_of_functions:%lld\r\n"
                "number_of_libraries:%lld\r\nused_memory_vm_functions:0\r\nused_memory_vm_total:%zu\r\n"
                "used_memory_vm_total_human:%s\r\nused_memory_functions:0\r\nused_memory_scripts:%zu\r\n"
                "used_memory_scripts_human:%s\r\n",
                lua, lua, h_lua, scripts, script_cached_count(), funcs, libs, lua, h_total, scripts, h_scripts);
    }
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
    appendf(t, "pubsub_channels:%lld\r\npubsub_patterns:%lld\r\npubsubshard_channels:%lld\r\n", tot->pubsub_channels,
            tot->pubsub_patterns, tot->pubsub_shard_channels);
    /* No forks, MIGRATE, replicas or defragmentation exist here: Redis's
     * figures without them. Tracking: the shards' tables (prefixes: the
     * table every shard holds). */
    appendf(t,
            "latest_fork_usec:0\r\n"
            "total_forks:0\r\nmigrate_cached_sockets:0\r\nslave_expires_tracked_keys:0\r\nactive_defrag_hits:0\r\n"
            "active_defrag_misses:0\r\nactive_defrag_key_hits:0\r\nactive_defrag_key_misses:0\r\n"
            "total_active_defrag_time:0\r\ncurrent_active_defrag_time:0\r\ntracking_total_keys:%lld\r\n"
            "tracking_total_items:%lld\r\ntracking_total_prefixes:%lld\r\nunexpected_error_replies:0\r\n"
            "total_error_replies:%llu\r\ndump_payload_sanitizations:0\r\ntotal_reads_processed:%llu\r\n"
            "total_writes_processed:%llu\r\nio_threaded_reads_processed:0\r\nio_threaded_writes_processed:0\r\n"
            "reply_buffer_shrinks:0\r\nreply_buffer_expands:0\r\n",
            tot->tracking_keys, tot->tracking_items, tot->tracking_prefixes, (unsigned long long)tot->errors,
            (unsigned long long)tot->reads, (unsigned long long)tot->writes);
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
                "blocked_clients:%lld\r\ntracking_clients:%lld\r\nclients_in_timeout_table:%lld\r\n",
                tot.clients, cfg->maxclients, tot.max_in, tot.max_out, tot.blocked, tot.tracking_clients,
                tot.in_timeout);
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
