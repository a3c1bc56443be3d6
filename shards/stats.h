/*
 * stats.h - what a shard counts for INFO: per-command calls, times and
 * latency histograms, error codes, instantaneous rates, and the struct
 * shard_info a shard fills for SUB_INFO (shards/stats.c).
 *
 * Owner: each shard counts into its own struct shard on its own thread;
 * other threads only see the copy a SUB_INFO reply carries.
 */
#ifndef SHARDIS_STATS_H
#define SHARDIS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/server.h"
#include "core/commands/command.h"

struct shard;

/* Per-command counters for INFO commandstats, one per command_stat_count()
 * slot (commands, then subcommands), as Redis 7 counts them: `calls` when
 * the command ran, `failed` when it ran and replied an error, `rejected`
 * when it was refused before running (arity, ACL, OOM, MISCONF, ...). */
struct command_stat {
    uint64_t calls;
    uint64_t usec;
    uint64_t failed;
    uint64_t rejected;
};

/* INFO latencystats: per command slot, a log-linear histogram of run
 * times in ns (measured in us): values below 32 exact, then 32 buckets per
 * power of two (3% wide), up to 2^40 ns; 9.3 KB. Allocated at a slot's first
 * timed call; copied behind the SUB_INFO reply for the coordinator. */
#define LAT_SUB_BITS 5
#define LAT_BUCKETS (37 << LAT_SUB_BITS)
struct latency_hist {
    uint64_t bucket[LAT_BUCKETS]; /* the count is their sum (INFO adds it up) */
};
struct latency_entry { /* one slot's histogram in the SUB_INFO reply */
    int32_t slot;
    int32_t pad;
    struct latency_hist hist;
};

/* Instantaneous rates (INFO instantaneous_*), Redis's method: every 100 ms
 * the shard cron samples a running counter; the rate is the mean of the
 * last INST_SAMPLES per-second rates. */
#define INST_SAMPLES 16
enum inst_metric_kind { INST_OPS, INST_NET_IN, INST_NET_OUT, INST_KINDS };
struct inst_metric {
    int64_t last_ms;
    uint64_t last_value;
    uint64_t rate[INST_SAMPLES];
    int idx;
};

#define MAX_ERROR_CODES 128
struct error_stat {
    char code[32];
    uint64_t count;
};

/* What a shard reports to INFO (SUB_INFO). Plain data, copied by value. */
struct shard_info {
    int shard;
    long long clients;
    long long blocked_clients; /* clients waiting in a blocking command */
    uint64_t total_connections;
    uint64_t rejected_connections;
    uint64_t net_input_bytes, net_output_bytes;
    struct shard_stats stats;
    uint64_t expired_lazy;
    uint64_t txn_waiting;                                              /* requests in the lock queue now */
    uint64_t txn_held;                                                 /* transactions holding locks here now */
    uint64_t watched_keys;                                             /* distinct keys watched here */
    long long pubsub_channels, pubsub_patterns, pubsub_shard_channels; /* homed here; patterns: every shard's table */
    long long tracking_keys, tracking_items, tracking_prefixes, tracking_clients; /* shards/tracking.h */
    int ndbs;
    long long keys[64]; /* first 64 dbs shown in INFO keyspace */
    long long expires[64];
    long long avg_ttl[64]; /* ms, estimated from a sample of the expiry vector */
    size_t db_overhead;
    size_t max_input_buffer, max_output_buffer;
    uint64_t inst[INST_KINDS]; /* per-second rates (struct inst_metric) */
    uint64_t reads_processed, writes_processed;
    long long clients_in_timeout_table; /* blocked clients with a deadline */
    size_t mem_clients_normal;          /* buffers of every client */
    uint64_t error_replies;             /* every error reply, counted or not in errstats */
    uint64_t expire_cycle_us, expire_time_cap_reached;
    /* Set by the coordinator: point into the bytes that follow this struct
     * in the SUB_INFO reply (command_count()+1 stats, then nerrstats). */
    const struct command_stat *cmdstats;
    const struct error_stat *errstats;
    int nerrstats;
    int nlatency; /* struct latency_entry records after the errstats */
};

static inline int latency_index(uint64_t ns)
{
    if (ns < (1u << LAT_SUB_BITS))
        return (int)ns;
    int b = 63 - __builtin_clzll(ns);
    if (b > 40)
        return LAT_BUCKETS - 1;
    return ((b - LAT_SUB_BITS + 1) << LAT_SUB_BITS) + (int)((ns >> (b - LAT_SUB_BITS)) & ((1u << LAT_SUB_BITS) - 1));
}

struct latency_hist *shard_latency_hist_new(struct shard *s, ptrdiff_t slot);
/* Shard cron: samples the instantaneous rates every 100 ms. */
void shard_sample_rates(struct shard *s);
/* CONFIG RESETSTAT on this shard. */
void shard_reset_stats(struct shard *s);
void shard_count_error(struct shard *s, const char *reply, size_t len);
void shard_fill_info(struct shard *s, struct shard_info *info);

#endif
