/*
 * test_maxmemory.c - maxmemory and its policies under a write load: used
 * memory stays near the limit, and the keys evicted are the ones the policy
 * names. Every test passes against redis-server 7.0.15 too.
 *
 * The limit is set relative to what the server uses once the test's first
 * keys are in (CONFIG SET maxmemory <used_memory now>), so the same test fits
 * Redis (about 1 MB at start) and shardis (a few MB of per-shard rings and
 * buffers). Then a pipelined write load of about as many bytes again forces
 * evictions.
 *
 * Tolerance: after the load, used_memory must be at most maxmemory plus 2 MB.
 * Redis checks memory before every write and overshoots by at most the
 * command being run plus its client buffers; shardis measures the process at
 * most once a millisecond (docs/architecture.md "Limits and eviction"), so a
 * pipeline can write for up to that millisecond before its evictions catch
 * up, and the query and reply buffers of a 50-command pipeline of 1 KB
 * values are counted too (~50 KB per connection, more while copies of it wait
 * for other shards).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(maxmemory, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define VALUE_SIZE 1000
#define BATCH 50
#define TOLERANCE (2LL * 1024 * 1024)

static long long used_memory(redisContext *c)
{
    return info_ll(c, "memory", "used_memory");
}

/* Writes keys <prefix>0..n-1 with VALUE_SIZE-byte values (and EX ttl when
 * ttl > 0) in pipelined batches; returns how many were refused with OOM
 * (fails on any other reply). */
static int write_load(redisContext *c, const char *prefix, int n, int ttl)
{
    static char value[VALUE_SIZE + 1];
    memset(value, 'v', VALUE_SIZE);
    int oom = 0;
    for (int base = 0; base < n; base += BATCH) {
        int m = n - base < BATCH ? n - base : BATCH;
        for (int i = 0; i < m; i++) {
            int rc = ttl > 0 ? redisAppendCommand(c, "SET %s%d %s EX %d", prefix, base + i, value, ttl)
                             : redisAppendCommand(c, "SET %s%d %s", prefix, base + i, value);
            cr_assert(rc == REDIS_OK);
        }
        for (int i = 0; i < m; i++) {
            redisReply *r = next_reply(c);
            if (r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "OOM ", 4))
                oom++;
            else
                cr_assert(r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK"), "SET: %s", describe_reply(r));
            freeReplyObject(r);
        }
    }
    return oom;
}

/* How many of <prefix>0..n-1 still exist. */
static int count_present(redisContext *c, const char *prefix, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert(redisAppendCommand(c, "EXISTS %s%d", prefix, i) == REDIS_OK);
    int present = 0;
    for (int i = 0; i < n; i++) {
        redisReply *r = next_reply(c);
        cr_assert(r->type == REDIS_REPLY_INTEGER, "EXISTS: %s", describe_reply(r));
        present += (int)r->integer;
        freeReplyObject(r);
    }
    return present;
}

/* Reads every key of the range (touches LRU/LFU). */
static void read_all(redisContext *c, const char *prefix, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert(redisAppendCommand(c, "GET %s%d", prefix, i) == REDIS_OK);
    for (int i = 0; i < n; i++)
        freeReplyObject(next_reply(c));
}

static void set_policy(redisContext *c, const char *policy, long long maxmemory)
{
    expect_status(cmd(c, "CONFIG SET maxmemory-policy %s", policy), "OK");
    char mm[32];
    snprintf(mm, sizeof(mm), "%lld", maxmemory);
    expect_status(cmd(c, "CONFIG SET maxmemory %s", mm), "OK");
}

static void assert_bounded(redisContext *c)
{
    long long limit = info_ll(c, "memory", "maxmemory");
    long long used = used_memory(c);
    cr_assert(used <= limit + TOLERANCE, "used_memory %lld > maxmemory %lld + %lld", used, limit, TOLERANCE);
}

Test(maxmemory, config_and_info)
{
    redisContext *c = client_connect();
    expect_strs(cmd(c, "CONFIG GET maxmemory-policy"), 2, "maxmemory-policy", "noeviction");
    expect_strs(cmd(c, "CONFIG GET maxmemory-samples"), 2, "maxmemory-samples", "5");
    expect_strs(cmd(c, "CONFIG GET lfu-log-factor"), 2, "lfu-log-factor", "10");
    expect_strs(cmd(c, "CONFIG GET lfu-decay-time"), 2, "lfu-decay-time", "1");
    expect_status(cmd(c, "CONFIG SET maxmemory 100mb"), "OK");
    expect_strs(cmd(c, "CONFIG GET maxmemory"), 2, "maxmemory", "104857600");
    expect_status(cmd(c, "CONFIG SET maxmemory-policy ALLKEYS-LFU"), "OK");
    expect_strs(cmd(c, "CONFIG GET maxmemory-policy"), 2, "maxmemory-policy", "allkeys-lfu");
    expect_err_prefix(cmd(c, "CONFIG SET maxmemory-policy lru"), "ERR CONFIG SET failed");
    expect_err_prefix(cmd(c, "CONFIG SET maxmemory-samples 0"), "ERR CONFIG SET failed");
    expect_status(cmd(c, "CONFIG SET maxmemory-eviction-tenacity 20"), "OK");
    char *info = info_text(c, "memory");
    char v[64];
    cr_assert(info_field(info, "maxmemory", v, sizeof(v)) && !strcmp(v, "104857600"));
    cr_assert(info_field(info, "maxmemory_human", v, sizeof(v)) && !strcmp(v, "100.00M"), "%s", v);
    cr_assert(info_field(info, "maxmemory_policy", v, sizeof(v)) && !strcmp(v, "allkeys-lfu"));
    free(info);
    cr_assert(info_ll(c, "stats", "evicted_keys") == 0);
    redisFree(c);
}

Test(maxmemory, noeviction_refuses_writes_serves_reads_and_del)
{
    redisContext *c = client_connect();
    fill_keys(c, "k", 100);
    expect_status(cmd(c, "CONFIG SET maxmemory 1"), "OK");
    const char *oom = "OOM command not allowed when used memory > 'maxmemory'.";
    expect_err(cmd(c, "SET k1 x"), oom);
    expect_err(cmd(c, "SET newkey x"), oom);
    expect_err(cmd(c, "INCR k2"), oom);
    expect_err(cmd(c, "RPUSH list a"), oom);
    expect_str(cmd(c, "GET k3"), "3");
    expect_int(cmd(c, "DEL k3"), 1);
    expect_int(cmd(c, "EXPIRE k4 100"), 1); /* not denyoom */
    expect_int(cmd(c, "DBSIZE"), 99);
    /* inside MULTI the refusal happens at queueing and EXEC aborts */
    expect_status(cmd(c, "MULTI"), "OK");
    expect_err(cmd(c, "SET k5 x"), oom);
    expect_err_prefix(cmd(c, "EXEC"), "EXECABORT");
    expect_status(cmd(c, "CONFIG SET maxmemory 0"), "OK");
    expect_status(cmd(c, "SET k1 x"), "OK");
    cr_assert(info_ll(c, "stats", "evicted_keys") == 0);
    redisFree(c);
}

Test(maxmemory, noeviction_under_load_stays_bounded)
{
    redisContext *c = client_connect();
    write_load(c, "base", 500, 0);
    set_policy(c, "noeviction", used_memory(c) + 1024 * 1024);
    int oom = write_load(c, "more", 4000, 0);
    cr_assert(oom > 0, "no write was refused");
    assert_bounded(c);
    cr_assert(count_present(c, "base", 500) == 500);
    redisFree(c);
}

Test(maxmemory, allkeys_lru_keeps_recently_read_keys)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET maxmemory-samples 10"), "OK");
    write_load(c, "cold", 2000, 0);
    write_load(c, "hot", 200, 0);
    /* The LRU clock counts seconds (Redis's resolution is 1 s too): the
     * cold keys must be at least a tick older than the reads of hot keys. */
    sleep_ms(1100);
    read_all(c, "hot", 200);
    set_policy(c, "allkeys-lru", used_memory(c));
    cr_assert(write_load(c, "new", 1000, 0) == 0);
    assert_bounded(c);
    int hot = count_present(c, "hot", 200), cold = count_present(c, "cold", 2000);
    cr_assert(info_ll(c, "stats", "evicted_keys") > 0);
    cr_assert(hot >= 180, "only %d of 200 recently read keys survived (cold: %d of 2000)", hot, cold);
    cr_assert(cold <= 1600, "%d of 2000 cold keys survived", cold);
    redisFree(c);
}

Test(maxmemory, allkeys_lfu_keeps_frequently_read_keys)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK");
    expect_status(cmd(c, "CONFIG SET maxmemory-samples 10"), "OK");
    write_load(c, "cold", 2000, 0);
    write_load(c, "hot", 200, 0);
    for (int i = 0; i < 5; i++)
        read_all(c, "hot", 200);
    set_policy(c, "allkeys-lfu", used_memory(c));
    cr_assert(write_load(c, "new", 1000, 0) == 0);
    assert_bounded(c);
    int hot = count_present(c, "hot", 200), cold = count_present(c, "cold", 2000);
    int fresh = count_present(c, "new", 1000);
    cr_assert(hot >= 180, "only %d of 200 frequently read keys survived (cold: %d of 2000)", hot, cold);
    /* new keys start with the same counter as the never-read cold ones: the
     * evictions fall on both */
    cr_assert(cold + fresh <= 2600, "%d cold and %d new keys survived", cold, fresh);
    redisFree(c);
}

Test(maxmemory, allkeys_random_stays_bounded)
{
    redisContext *c = client_connect();
    write_load(c, "a", 2000, 0);
    set_policy(c, "allkeys-random", used_memory(c));
    cr_assert(write_load(c, "b", 3000, 0) == 0);
    assert_bounded(c);
    long long evicted = info_ll(c, "stats", "evicted_keys");
    cr_assert(evicted >= 1000, "evicted_keys %lld", evicted);
    cr_assert(count_present(c, "a", 2000) < 2000);
    redisFree(c);
}

/* volatile-*: persistent keys are never evicted; when no volatile key is
 * left, writes are refused. */
static void volatile_policy(const char *policy)
{
    redisContext *c = client_connect();
    write_load(c, "persist", 500, 0);
    write_load(c, "vol", 1500, 1000);
    set_policy(c, policy, used_memory(c));
    int oom = write_load(c, "newvol", 1000, 1000);
    cr_assert(oom == 0, "%s: %d writes refused; evicted_keys %lld, dbsize %lld, used_memory %lld, maxmemory %lld",
              policy, oom, info_ll(c, "stats", "evicted_keys"), dbsize(c), used_memory(c),
              info_ll(c, "memory", "maxmemory"));
    assert_bounded(c);
    cr_assert(info_ll(c, "stats", "evicted_keys") > 0);
    cr_assert(count_present(c, "persist", 500) == 500, "%s evicted a key without TTL", policy);
    /* Persistent writes once the volatile keys are gone: refused. */
    oom = write_load(c, "newpersist", 4000, 0);
    cr_assert(oom > 0, "%s: persistent writes past the limit were all accepted", policy);
    cr_assert(count_present(c, "persist", 500) == 500);
    assert_bounded(c);
    redisFree(c);
}

Test(maxmemory, volatile_lru_leaves_persistent_keys)
{
    volatile_policy("volatile-lru");
}

Test(maxmemory, volatile_lfu_leaves_persistent_keys)
{
    volatile_policy("volatile-lfu");
}

Test(maxmemory, volatile_random_leaves_persistent_keys)
{
    volatile_policy("volatile-random");
}

Test(maxmemory, volatile_ttl_evicts_shortest_ttl_first)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET maxmemory-samples 10"), "OK");
    write_load(c, "persist", 200, 0);
    write_load(c, "short", 1500, 1000);
    write_load(c, "long", 1500, 100000);
    set_policy(c, "volatile-ttl", used_memory(c));
    cr_assert(write_load(c, "new", 1000, 100000) == 0);
    assert_bounded(c);
    int s = count_present(c, "short", 1500), l = count_present(c, "long", 1500);
    cr_assert(count_present(c, "persist", 200) == 200);
    cr_assert(l >= 1200, "long-TTL keys evicted: %d of 1500 left (short: %d)", l, s);
    cr_assert(s <= 1000, "short-TTL keys kept: %d of 1500", s);
    redisFree(c);
}

Test(maxmemory, object_freq_and_idletime_follow_the_policy)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v"), "OK");
    expect_err_prefix(cmd(c, "OBJECT FREQ k"), "ERR An LFU maxmemory policy is not selected");
    expect_int(cmd(c, "OBJECT IDLETIME k"), 0);
    expect_status(cmd(c, "CONFIG SET maxmemory-policy allkeys-lfu"), "OK");
    expect_status(cmd(c, "CONFIG SET lfu-log-factor 0"), "OK"); /* every access counts */
    expect_status(cmd(c, "SET f v"), "OK");
    expect_int(cmd(c, "OBJECT FREQ f"), 5); /* LFU_INIT_VAL */
    for (int i = 0; i < 3; i++)
        expect_str(cmd(c, "GET f"), "v");
    expect_int(cmd(c, "OBJECT FREQ f"), 8);
    expect_err_prefix(cmd(c, "OBJECT IDLETIME f"), "ERR An LFU maxmemory policy is selected");
    redisFree(c);
}

/* Seconds since `key` was last touched (OBJECT IDLETIME does not touch it). */
static long long idle_seconds(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "OBJECT IDLETIME %s", key);
    cr_assert(r->type == REDIS_REPLY_INTEGER, "OBJECT IDLETIME %s: %s", key, describe_reply(r));
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* Polls until `key` has been idle for at least `seconds` (the LRU clock
 * counts seconds: keys written after that are strictly younger). */
static void wait_idle(redisContext *c, const char *key, long long seconds)
{
    long long deadline = now_ms() + 30000;
    while (idle_seconds(c, key) < seconds) {
        cr_assert(now_ms() < deadline, "%s never became %lld s idle", key, seconds);
        sleep_ms(100);
    }
}

/* An evicted key counts as modified for WATCH, as in Redis (the eviction
 * signals the key like a write): EXEC fails. The watched key is the oldest
 * one, and the write load goes on until it is gone, so the test does not
 * depend on which sample the eviction draws. */
Test(maxmemory, evicted_watched_key_fails_exec)
{
    redisContext *c = client_connect(), *w = client_connect();
    expect_status(cmd(c, "SET watched v"), "OK");
    write_load(c, "old", 200, 0);
    wait_idle(c, "watched", 2);
    expect_status(cmd(w, "WATCH watched"), "OK");
    set_policy(c, "allkeys-lru", used_memory(c));
    int written = 0;
    for (;;) {
        redisReply *r = cmd(c, "EXISTS watched");
        cr_assert(r->type == REDIS_REPLY_INTEGER);
        long long exists = r->integer;
        freeReplyObject(r);
        if (!exists)
            break;
        cr_assert(written < 100000, "watched key not evicted after %d writes (evicted_keys %lld)", written,
                  info_ll(c, "stats", "evicted_keys"));
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "fill%d:", written);
        cr_assert(write_load(c, prefix, BATCH, 0) == 0);
        written += BATCH;
    }
    expect_status(cmd(w, "MULTI"), "OK");
    expect_status(cmd(w, "GET watched"), "QUEUED");
    expect_nil(cmd(w, "EXEC"));
    /* and a key watched after that is not disturbed by evictions of others */
    expect_status(cmd(w, "SET mine v"), "OK");
    expect_status(cmd(w, "WATCH mine"), "OK");
    expect_status(cmd(w, "MULTI"), "OK");
    expect_status(cmd(w, "GET mine"), "QUEUED");
    expect_strs(cmd(w, "EXEC"), 1, "v");
    redisFree(w);
    redisFree(c);
}

/* Keys per shard from INFO shards (shardis only), in counts[0..n-1]. */
static int shard_key_counts(redisContext *c, long long *counts, int max)
{
    char *info = info_text(c, "shards");
    char field[32], value[256];
    int n = 0;
    for (; n < max; n++) {
        snprintf(field, sizeof(field), "shard%d", n);
        if (!info_field(info, field, value, sizeof(value)))
            break;
        cr_assert(strncmp(value, "keys=", 5) == 0, "%s:%s", field, value);
        counts[n] = atoll(value + 5);
    }
    free(info);
    return n;
}

/* The shard that holds `key` (0 on Redis and with one thread). */
static int shard_of_key(redisContext *c, const char *key)
{
    if (server_is_redis() || server_threads() < 2)
        return 0;
    long long before[256], after[256];
    int n = shard_key_counts(c, before, 256);
    expect_status(cmd(c, "SET %s x", key), "OK");
    cr_assert_eq(shard_key_counts(c, after, 256), n);
    expect_int(cmd(c, "DEL %s", key), 1);
    for (int i = 0; i < n; i++)
        if (after[i] == before[i] + 1)
            return i;
    cr_assert_fail("no shard got %s", key);
    return -1;
}

/* Two hash tags on two different shards (when there are two). */
static void tags_on_two_shards(redisContext *c, char *hot, char *cold, size_t size)
{
    snprintf(hot, size, "{hot}");
    int hot_shard = shard_of_key(c, "{hot}probe");
    for (int i = 0; i < 1000; i++) {
        snprintf(cold, size, "{cold%d}", i);
        char probe[64];
        snprintf(probe, sizeof(probe), "%sprobe", cold);
        if (server_is_redis() || server_threads() < 2 || shard_of_key(c, probe) != hot_shard)
            return;
    }
    cr_assert_fail("no tag found on another shard than {hot}");
}

/* The policy is over the whole keyspace, not per shard: the recently read
 * keys live on one shard (hash tag), the idle ones on another, and every
 * write goes to the first. A per-shard choice evicts the writing shard's
 * own keys, hot ones included; Redis, and shardis, evict the idle keys of
 * the other shard. After each pipelined batch a DBSIZE (every shard answers,
 * after the eviction pass of its loop) lets the other shard catch up, so the
 * writer never goes past its slack and falls back to its own keys: the
 * result does not depend on thread scheduling. */
Test(maxmemory, allkeys_lru_evicts_idle_keys_of_another_shard_first)
{
    redisContext *c = client_connect();
    char hot[32], cold[32], prefix[64], last[64];
    tags_on_two_shards(c, hot, cold, sizeof(hot));
    expect_status(cmd(c, "CONFIG SET maxmemory-samples 10"), "OK");
    snprintf(prefix, sizeof(prefix), "%sc:", cold);
    write_load(c, prefix, 3000, 0);
    snprintf(last, sizeof(last), "%sc:2999", cold);
    wait_idle(c, last, 2); /* every cold key is older than the hot ones */
    snprintf(prefix, sizeof(prefix), "%sh:", hot);
    write_load(c, prefix, 300, 0);
    set_policy(c, "allkeys-lru", used_memory(c));
    for (int b = 0; b < 30; b++) {
        snprintf(prefix, sizeof(prefix), "%sn%d:", hot, b);
        cr_assert(write_load(c, prefix, BATCH, 0) == 0);
        dbsize(c);
    }
    assert_bounded(c);
    snprintf(prefix, sizeof(prefix), "%sh:", hot);
    int hot_left = count_present(c, prefix, 300);
    snprintf(prefix, sizeof(prefix), "%sc:", cold);
    int cold_left = count_present(c, prefix, 3000);
    cr_log_info("hot keys left: %d of 300, idle keys left: %d of 3000", hot_left, cold_left);
    cr_assert(info_ll(c, "stats", "evicted_keys") >= 1000, "evicted_keys %lld", info_ll(c, "stats", "evicted_keys"));
    cr_assert(hot_left >= 285, "only %d of 300 hot keys survived (idle keys of the other shard: %d of 3000 left)",
              hot_left, cold_left);
    cr_assert(cold_left <= 2000, "%d of 3000 idle keys survived", cold_left);
    redisFree(c);
}

/* The same for volatile-ttl: the keys that expire soonest are on the other
 * shard; the writing shard's own soonest are the hot keys (the new keys it
 * receives expire later still). */
Test(maxmemory, volatile_ttl_evicts_soonest_keys_of_another_shard_first)
{
    redisContext *c = client_connect();
    char hot[32], cold[32], prefix[64];
    tags_on_two_shards(c, hot, cold, sizeof(hot));
    expect_status(cmd(c, "CONFIG SET maxmemory-samples 10"), "OK");
    snprintf(prefix, sizeof(prefix), "%sc:", cold);
    write_load(c, prefix, 3000, 1000);
    snprintf(prefix, sizeof(prefix), "%sh:", hot);
    write_load(c, prefix, 300, 100000);
    set_policy(c, "volatile-ttl", used_memory(c));
    for (int b = 0; b < 30; b++) {
        snprintf(prefix, sizeof(prefix), "%sn%d:", hot, b);
        cr_assert(write_load(c, prefix, BATCH, 100000 + b) == 0);
        dbsize(c);
    }
    assert_bounded(c);
    snprintf(prefix, sizeof(prefix), "%sh:", hot);
    int hot_left = count_present(c, prefix, 300);
    snprintf(prefix, sizeof(prefix), "%sc:", cold);
    int cold_left = count_present(c, prefix, 3000);
    cr_log_info("hot keys left: %d of 300, soon-expiring keys left: %d of 3000", hot_left, cold_left);
    cr_assert(hot_left >= 285,
              "only %d of 300 later-expiring keys survived (soon-expiring keys of the other shard: %d of 3000 left)",
              hot_left, cold_left);
    cr_assert(cold_left <= 2000, "%d of 3000 soon-expiring keys survived", cold_left);
    redisFree(c);
}
