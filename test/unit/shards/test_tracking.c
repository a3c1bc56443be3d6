/*
 * test_tracking.c - one shard's client-side caching tables (shards/
 * tracking.c) driven as the engine drives them: reads recorded per key and
 * client, a change that forgets the key and queues one message per
 * destination thread, flushes, BCAST prefixes registered through
 * SUB_TRACKING, and tracking-table-max-keys eviction with this shard's share
 * of the limit.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/config.h"
#include "core/base/server.h"
#include "shards/mailbox.h"
#include "shards/shard.h"
#include "shards/tracking.h"

static struct server srv;
static struct shard sh;
static struct config cfg;

static void setup(void)
{
    memset(&srv, 0, sizeof(srv));
    memset(&sh, 0, sizeof(sh));
    config_init_defaults(&cfg);
    srv.nshards = 2;
    sh.srv = &srv;
    sh.cfg = &cfg;
    sh.id = 0;
    sh.building = calloc(2, sizeof(*sh.building));
    tracking_shard_init(&sh);
}

/* Frees what the shard queued for thread t; returns how many messages. */
static int drain(int t)
{
    struct batch *b = sh.building[t];
    if (!b)
        return 0;
    int n = b->count;
    for (int i = 0; i < b->count; i++) {
        struct subreq *sub = b->items[i];
        cr_assert(sub->op == SUB_TRACKING && (sub->txflags & SUBF_DETACHED) && sub->shard == t);
        free(sub); /* detached: one allocation each */
    }
    free(b->items);
    free(b);
    sh.building[t] = NULL;
    return n;
}

static void teardown(void)
{
    drain(0);
    drain(1);
    tracking_shard_free(&sh);
    free(sh.building);
}

TestSuite(tracking, .init = setup, .fini = teardown);

/* Records a read-only command (words, NULL-terminated) for (thread, id). */
static void read_cmd(int thread, uint64_t id, const char **words)
{
    struct arg argv[16];
    int n = 0;
    for (; words[n]; n++)
        argv[n] = (struct arg){words[n], strlen(words[n])};
    const struct command *cmd = command_lookup(words[0], strlen(words[0]));
    cr_assert(cmd);
    tracking_remember(&sh, thread, id, cmd, n, argv);
}

static void get(int thread, uint64_t id, const char *key)
{
    const char *w[] = {"get", key, NULL};
    read_cmd(thread, id, w);
}

static void counts(long long keys, long long items, long long prefixes)
{
    long long k, i, p, c;
    tracking_shard_counts(&sh, &k, &i, &p, &c);
    cr_assert(k == keys && i == items && p == prefixes, "keys %lld items %lld prefixes %lld, want %lld %lld %lld", k, i,
              p, keys, items, prefixes);
}

Test(tracking, reads_recorded_once_per_client)
{
    cr_assert_eq(sh.tracking_armed, 0);
    get(1, 42, "a");
    get(1, 42, "a"); /* again: one item */
    get(0, 7, "a");
    const char *mget[] = {"mget", "b", "c", NULL};
    read_cmd(1, 42, mget);
    counts(3, 4, 0);
    cr_assert_eq(sh.tracking_armed, 1);
}

Test(tracking, change_forgets_key_and_batches_per_thread)
{
    get(1, 42, "a");
    get(1, 43, "b");
    get(1, 42, "c");
    get(0, 7, "a");
    tracking_key_changed(&sh, "a", 1);
    tracking_key_changed(&sh, "b", 1);
    tracking_key_changed(&sh, "zz", 2); /* not tracked: nothing */
    counts(1, 1, 0);
    tracking_flush(&sh); /* thread 0's entry is written here (no such client: dropped) */
    cr_assert_eq(drain(1), 1, "one message for thread 1 with its three invalidations");
    cr_assert_eq(drain(0), 0);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 0, "nothing queued twice");
    tracking_key_changed(&sh, "c", 1);
    counts(0, 0, 0);
    cr_assert_eq(sh.tracking_armed, 0, "an empty table costs the change hook one compare");
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 1);
}

Test(tracking, flush_empties_the_table)
{
    for (int i = 0; i < 50; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        get(1, (uint64_t)(i % 3), key);
    }
    counts(50, 50, 0);
    tracking_flushed(&sh);
    counts(0, 0, 0);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 0, "the nulls go to this thread's own clients only");
}

static void prefix_op(int op, int thread, uint64_t id, const char *prefix)
{
    struct arg argv[2] = {{"client", 6}, {prefix, strlen(prefix)}};
    struct subreq sub;
    memset(&sub, 0, sizeof(sub));
    sub.op = SUB_TRACKING;
    sub.flags = op;
    sub.coord = thread;
    sub.result = (int64_t)id;
    sub.argc = 2;
    sub.argv = argv;
    tracking_run_sub(&sh, &sub);
}

Test(tracking, bcast_prefixes)
{
    prefix_op(TOP_PREFIX_ADD, 1, 42, "user:");
    prefix_op(TOP_PREFIX_ADD, 1, 43, "user:");
    prefix_op(TOP_PREFIX_ADD, 1, 43, "");
    counts(0, 0, 2);
    cr_assert_eq(sh.tracking_armed, 1, "prefixes arm the change hook");
    tracking_key_changed(&sh, "user:1", 6); /* never read, still reported */
    tracking_key_changed(&sh, "other", 5);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 1);
    prefix_op(TOP_PREFIX_DEL, 1, 42, "user:");
    prefix_op(TOP_PREFIX_DEL, 1, 43, "user:");
    prefix_op(TOP_PREFIX_DEL, 1, 43, "");
    prefix_op(TOP_PREFIX_DEL, 1, 43, "never");
    counts(0, 0, 0);
    cr_assert_eq(sh.tracking_armed, 0);
    tracking_key_changed(&sh, "user:1", 6);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 0);
}

Test(tracking, max_keys_share_and_eviction)
{
    /* 3 over 2 shards: shard 0 keeps 2, shard 1 keeps 1 */
    cfg.tracking_table_max_keys = 3;
    for (int i = 0; i < 10; i++) {
        char key[16];
        snprintf(key, sizeof(key), "k%d", i);
        get(1, 42, key);
        long long k, it, p, c;
        tracking_shard_counts(&sh, &k, &it, &p, &c);
        cr_assert(k <= 2, "keys %lld", k);
    }
    counts(2, 2, 0);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 1, "the 8 evicted keys' invalidations in one message");
    sh.id = 1;
    cfg.tracking_table_max_keys = 1;
    tracking_flush(&sh); /* shard 1's share of 1 over 2 shards is 0 */
    counts(0, 0, 0);
    sh.id = 0;
    cfg.tracking_table_max_keys = 0; /* unlimited */
    for (int i = 0; i < 500; i++) {
        char key[16];
        snprintf(key, sizeof(key), "u%d", i);
        get(1, 42, key);
    }
    counts(500, 500, 0);
    /* over the limit by far: evicted with growing effort, a round per call
     * (4 over 2 shards: this one keeps 2) */
    cfg.tracking_table_max_keys = 4;
    int rounds = 0;
    long long k = 500, it, p, c;
    while (k > 2 && rounds < 10) {
        tracking_flush(&sh);
        tracking_shard_counts(&sh, &k, &it, &p, &c);
        rounds++;
    }
    cr_assert_eq(k, 2, "keys %lld after %d rounds", k, rounds);
    cr_assert(rounds > 1, "100 the first round, more the next");
}

Test(tracking, many_readers_of_one_key)
{
    /* past the small array: the set keeps each (thread, id) once */
    for (int round = 0; round < 2; round++)
        for (uint64_t id = 1; id <= 100; id++)
            get((int)(id % 2), id, "hot");
    counts(1, 100, 0);
    for (uint64_t id = 1; id <= 40; id++)
        prefix_op(TOP_PREFIX_ADD, 1, id, "p:");
    for (uint64_t id = 1; id <= 40; id++)
        prefix_op(TOP_PREFIX_ADD, 1, id, "p:");
    counts(1, 100, 1);
    for (uint64_t id = 1; id <= 39; id++)
        prefix_op(TOP_PREFIX_DEL, 1, id, "p:");
    counts(1, 100, 1);
    prefix_op(TOP_PREFIX_DEL, 1, 40, "p:");
    counts(1, 100, 0);
    tracking_key_changed(&sh, "hot", 3);
    counts(0, 0, 0);
    tracking_flush(&sh);
    cr_assert_eq(drain(1), 1, "the 50 readers of thread 1 in one message");
}
