/*
 * test_evict.c - unit tests for core/types/evict.c and shards/evict_pass.c: the LFU counter (logarithmic
 * increment, saturation, decay by lfu-decay-time), the LRU/LFU field of new
 * entries, and the eviction pool on a shard with real dbs: volatile policies
 * never pick a key without TTL, volatile-ttl picks the shortest TTLs,
 * allkeys-lru the longest idle keys, and noeviction evicts nothing.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/base/config.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "shards/evict_pass.h"
#include "core/types/object.h"
#include "shards/shard.h"
#include "shards/txn.h"

#define NOW 1700000000000LL

Test(evict, lfu_log_incr)
{
    /* At or below LFU_INIT_VAL every access counts. */
    cr_assert_eq(evict_lfu_log_incr(0, 10, 0.999), 1);
    cr_assert_eq(evict_lfu_log_incr(LFU_INIT_VAL, 10, 0.999), LFU_INIT_VAL + 1);
    /* Above it the probability is 1/((counter-5)*factor+1). */
    cr_assert_eq(evict_lfu_log_incr(15, 10, 0.5), 15);       /* p = 1/101 */
    cr_assert_eq(evict_lfu_log_incr(15, 10, 1.0 / 102), 16); /* r < p */
    cr_assert_eq(evict_lfu_log_incr(200, 0, 0.999), 201);    /* factor 0: always */
    cr_assert_eq(evict_lfu_log_incr(255, 0, 0.0), 255);      /* saturates */
}

Test(evict, lfu_counter_decays_by_minutes)
{
    struct config cfg;
    config_init_defaults(&cfg);
    cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LFU;
    cfg.lfu_log_factor = 0;
    evict_set_policy(cfg.maxmemory_policy);
    struct db_entry *e = entry_new_string(1, "k", 1, "v", 1);
    e->lru = evict_new_lru(NOW);
    cr_assert_eq(evict_lfu_counter(e, &cfg, NOW), LFU_INIT_VAL);
    for (int i = 0; i < 10; i++)
        evict_touch(e, &cfg, NOW);
    cr_assert_eq(evict_lfu_counter(e, &cfg, NOW), LFU_INIT_VAL + 10);
    cr_assert_eq(evict_lfu_counter(e, &cfg, NOW + 3 * 60000), LFU_INIT_VAL + 7); /* 1 per minute */
    cfg.lfu_decay_time = 0;                                                      /* never decays */
    cr_assert_eq(evict_lfu_counter(e, &cfg, NOW + 3 * 60000), LFU_INIT_VAL + 10);
    cfg.lfu_decay_time = 1;
    cr_assert_eq(evict_lfu_counter(e, &cfg, NOW + 100 * 60000), 0);
    entry_free(e);
    evict_set_policy(MAXMEMORY_NOEVICTION);
    cr_assert_eq(evict_new_lru(NOW), lru_clock_now(NOW));
}

/* A fake shard: only what the eviction reads (dbs, stats). */
static struct shard *shard_with(int ndbs)
{
    struct shard *s = calloc(1, sizeof(*s));
    s->ndbs = ndbs;
    s->dbs = calloc(ndbs, sizeof(*s->dbs));
    for (int i = 0; i < ndbs; i++)
        s->dbs[i] = db_create();
    return s;
}

static void shard_free(struct shard *s)
{
    for (int i = 0; i < s->ndbs; i++)
        db_destroy(s->dbs[i]);
    free(s->dbs);
    free(s);
}

static struct db_entry *add(struct shard *s, int dbid, const char *prefix, int i, int64_t expire_at, uint32_t lru)
{
    char key[64], val[200];
    int klen = snprintf(key, sizeof(key), "%s%d", prefix, i);
    memset(val, 'v', sizeof(val));
    struct db_entry *e = entry_new_string(XXH3_64bits(key, klen), key, klen, val, sizeof(val));
    e->expire_at = expire_at;
    e->lru = lru;
    db_insert(s->dbs[dbid], e);
    return e;
}

static int present(struct shard *s, int dbid, const char *prefix, int i)
{
    char key[64];
    int klen = snprintf(key, sizeof(key), "%s%d", prefix, i);
    return db_find(s->dbs[dbid], XXH3_64bits(key, klen), key, klen) != NULL;
}

/* A limit `bytes` below what the process uses now: the eviction must free
 * about that much. */
static void limit_below_now(struct config *cfg, size_t bytes)
{
    size_t used = evict_measure_now();
    cr_assert(used > bytes);
    cfg->maxmemory = (long long)(used - bytes);
}

Test(evict, volatile_policies_never_pick_persistent_keys)
{
    evict_thread_register();
    const int policies[] = {MAXMEMORY_VOLATILE_LRU, MAXMEMORY_VOLATILE_LFU, MAXMEMORY_VOLATILE_RANDOM,
                            MAXMEMORY_VOLATILE_TTL};
    for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
        struct shard *s = shard_with(2);
        for (int i = 0; i < 100; i++) {
            add(s, i % 2, "p", i, 0, lru_clock_now(NOW));
            add(s, i % 2, "v", i, NOW + 1000000, lru_clock_now(NOW));
        }
        struct config cfg;
        config_init_defaults(&cfg);
        cfg.maxmemory_policy = policies[p];
        cfg.maxmemory = 1; /* always over: evicts everything it may */
        /* the first write evicts every volatile key and may run; the next,
         * with nothing left to evict, is refused */
        cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
        cr_assert_eq(evict_before_write(s, &cfg, NOW), -1, "policy %d: nothing to evict, must refuse", policies[p]);
        for (int i = 0; i < 100; i++) {
            cr_assert(present(s, i % 2, "p", i), "policy %d evicted persistent key p%d", policies[p], i);
            cr_assert(!present(s, i % 2, "v", i));
        }
        cr_assert_eq(s->stats.evicted_keys, 100);
        shard_free(s);
    }
}

Test(evict, volatile_ttl_picks_shortest_ttls)
{
    evict_thread_register();
    struct shard *s = shard_with(1);
    for (int i = 0; i < 400; i++)
        add(s, 0, "k", i, NOW + 1000 + (int64_t)i * 1000, lru_clock_now(NOW));
    struct config cfg;
    config_init_defaults(&cfg);
    cfg.maxmemory_policy = MAXMEMORY_VOLATILE_TTL;
    cfg.maxmemory_samples = 10;
    struct db_entry probe = {0};
    probe.key_len = 4;
    probe.val_len = 200;
    probe.encoding = ENC_RAW;
    limit_below_now(&cfg, 50 * evict_entry_bytes(&probe));
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    int evicted = 0, late = 0;
    for (int i = 0; i < 400; i++) {
        if (!present(s, 0, "k", i)) {
            evicted++;
            late += i >= 200;
        }
    }
    cr_assert(evicted >= 40 && evicted <= 60, "evicted %d keys for ~50 keys' bytes", evicted);
    cr_assert(late <= 2, "%d of the %d evicted keys were in the longer-TTL half", late, evicted);
    shard_free(s);
}

Test(evict, allkeys_lru_picks_idle_keys)
{
    evict_thread_register();
    struct shard *s = shard_with(1);
    for (int i = 0; i < 400; i++) /* k0 idle 400 s ... k399 idle 1 s */
        add(s, 0, "k", i, 0, lru_clock_now(NOW - (400 - i) * 1000LL));
    struct config cfg;
    config_init_defaults(&cfg);
    cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    cfg.maxmemory_samples = 10;
    struct db_entry probe = {0};
    probe.key_len = 4;
    probe.val_len = 200;
    probe.encoding = ENC_RAW;
    limit_below_now(&cfg, 50 * evict_entry_bytes(&probe));
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    int evicted = 0, recent = 0;
    for (int i = 0; i < 400; i++) {
        if (!present(s, 0, "k", i)) {
            evicted++;
            recent += i >= 200;
        }
    }
    cr_assert(evicted >= 40, "evicted %d", evicted);
    cr_assert(recent <= 2, "%d of the %d evicted keys were among the recently used half", recent, evicted);
    shard_free(s);
}

Test(evict, noeviction_and_no_limit_evict_nothing)
{
    evict_thread_register();
    struct shard *s = shard_with(1);
    for (int i = 0; i < 10; i++)
        add(s, 0, "k", i, 0, 0);
    struct config cfg;
    config_init_defaults(&cfg);
    cfg.maxmemory = 1;
    cr_assert_eq(evict_before_write(s, &cfg, NOW), -1);
    cr_assert(evict_refuse_write(&cfg, NOW));
    cfg.maxmemory = 0;
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    cr_assert(!evict_refuse_write(&cfg, NOW));
    cr_assert_eq(db_size(s->dbs[0]), 10);
    shard_free(s);
}

/* An evicted key counts as modified for WATCH (Redis signals it like a
 * write): its version in the shard's watch table moves, so EXEC's version
 * check fails, not only its check that a key alive at WATCH still is. */
Test(evict, eviction_touches_watched_keys)
{
    evict_thread_register();
    struct shard *s = shard_with(1);
    s->watches = watchtab_create();
    struct db_entry *e = add(s, 0, "k", 0, 0, lru_clock_now(NOW - 100000));
    uint64_t hash = e->hash;
    uint64_t before = watchtab_add(s->watches, 0, hash, "k0", 2);
    struct config cfg;
    config_init_defaults(&cfg);
    cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    cfg.maxmemory = 1; /* always over: evicts the only key */
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    cr_assert(!present(s, 0, "k", 0));
    cr_assert_eq(s->stats.evicted_keys, 1);
    cr_assert_neq(watchtab_version(s->watches, 0, hash, "k0", 2), before, "eviction left the WATCH version as it was");
    watchtab_destroy(s->watches);
    shard_free(s);
}

/* Two fake shards of one fake server (nothing sleeps, so no wake-up is
 * sent): what each sees of the other's published candidate. */
struct two_shards {
    struct server srv;
    struct shard *shards[2];
    struct config cfg;
};

static void two_shards_init(struct two_shards *t, int policy)
{
    memset(t, 0, sizeof(*t));
    config_init_defaults(&t->cfg);
    t->cfg.maxmemory_policy = policy;
    t->cfg.maxmemory_samples = 10;
    t->srv.nshards = 2;
    t->srv.shards = t->shards;
    for (int i = 0; i < 2; i++) {
        t->shards[i] = shard_with(1);
        t->shards[i]->id = i;
        t->shards[i]->srv = &t->srv;
        t->shards[i]->cfg = &t->cfg;
        t->shards[i]->now_ms = NOW;
    }
}

static int count_present(struct shard *s, const char *prefix, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += present(s, 0, prefix, i);
    return k;
}

Test(evict, the_shard_with_the_idlest_keys_evicts)
{
    evict_thread_register();
    struct two_shards t;
    two_shards_init(&t, MAXMEMORY_ALLKEYS_LRU);
    struct shard *writer = t.shards[0], *other = t.shards[1];
    for (int i = 0; i < 200; i++) {
        add(writer, 0, "recent", i, 0, lru_clock_now(NOW - 1000));
        add(other, 0, "idle", i, 0, lru_clock_now(NOW - 500000 + i * 1000LL));
    }
    struct db_entry probe = {0};
    probe.key_len = 8;
    probe.val_len = 200;
    probe.encoding = ENC_RAW;
    limit_below_now(&t.cfg, 50 * evict_entry_bytes(&probe));
    /* The other shard has not published yet: the writer leaves it the
     * choice and lets its command run. */
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW), 0);
    cr_assert_eq(writer->stats.evicted_keys, 0);
    cr_assert_gt(evict_published_rank(writer), 1, "the writer published no candidate");
    /* The other shard's loop pass finds its candidates the best and evicts
     * (the exact figure is re-read: jemalloc size classes free more than the
     * estimate, so fewer than 50 keys may do). */
    cr_assert_eq(evict_shard_pass(other), 0);
    cr_assert_geq(other->stats.evicted_keys, 30, "evicted %llu", (unsigned long long)other->stats.evicted_keys);
    cr_assert_gt(evict_published_rank(other), evict_published_rank(writer));
    cr_assert_eq(count_present(writer, "recent", 200), 200);
    /* Once the other shard is known to hold the idlest keys, the writer
     * still defers (within the slack), and the other evicts again. (A later
     * millisecond: within the one it deferred in, it defers unsampled.) */
    uint64_t before = other->stats.evicted_keys;
    limit_below_now(&t.cfg, 20 * evict_entry_bytes(&probe));
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW + 1), 0);
    cr_assert_eq(writer->stats.evicted_keys, 0);
    cr_assert_eq(evict_shard_pass(other), 0);
    cr_assert_gt(other->stats.evicted_keys, before);
    /* Past the slack (limit 1: far over) the writer falls back to its own
     * keys although the other's are idler. */
    t.cfg.maxmemory = 1;
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW), 0);
    cr_assert_eq(writer->stats.evicted_keys, 200);
    /* The pass of a shard whose candidate is not the best evicts nothing:
     * here the writer's slot says "nothing left", so the other evicts. */
    before = other->stats.evicted_keys;
    cr_assert_eq(evict_shard_pass(other), 0);
    cr_assert_eq(count_present(other, "idle", 200), 0);
    cr_assert_eq(other->stats.evicted_keys, 200);
    /* Nothing left anywhere: the write is refused. */
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW), -1);
    shard_free(writer);
    shard_free(other);
}

Test(evict, the_pass_leaves_the_eviction_to_a_better_shard)
{
    evict_thread_register();
    struct two_shards t;
    two_shards_init(&t, MAXMEMORY_ALLKEYS_LRU);
    struct shard *a = t.shards[0], *b = t.shards[1];
    for (int i = 0; i < 100; i++) {
        add(a, 0, "idle", i, 0, lru_clock_now(NOW - 500000));
        add(b, 0, "recent", i, 0, lru_clock_now(NOW - 1000));
    }
    struct db_entry probe = {0};
    probe.key_len = 8;
    probe.val_len = 200;
    probe.encoding = ENC_RAW;
    limit_below_now(&t.cfg, 20 * evict_entry_bytes(&probe));
    /* a publishes its (idler) candidate by writing; b has not published
     * yet, so a defers to it */
    cr_assert_eq(evict_before_write(a, &t.cfg, NOW), 0);
    cr_assert_eq(a->stats.evicted_keys, 0);
    /* b's pass publishes and sees a's better candidate: evicts nothing */
    cr_assert_eq(evict_shard_pass(b), 0);
    cr_assert_eq(b->stats.evicted_keys, 0);
    cr_assert_gt(evict_published_rank(a), evict_published_rank(b));
    /* a's next write (a later millisecond) evicts its own */
    cr_assert_eq(evict_before_write(a, &t.cfg, NOW + 1), 0);
    cr_assert_geq(a->stats.evicted_keys, 15);
    cr_assert_eq(b->stats.evicted_keys, 0);
    cr_assert_eq(count_present(b, "recent", 100), 100);
    shard_free(a);
    shard_free(b);
}

Test(evict, a_writer_with_nothing_to_evict_defers_to_a_shard_that_has)
{
    evict_thread_register();
    struct two_shards t;
    two_shards_init(&t, MAXMEMORY_VOLATILE_LRU);
    struct shard *writer = t.shards[0], *other = t.shards[1];
    for (int i = 0; i < 50; i++) {
        add(writer, 0, "persist", i, 0, lru_clock_now(NOW));
        add(other, 0, "vol", i, NOW + 1000000, lru_clock_now(NOW));
    }
    struct db_entry probe = {0};
    probe.key_len = 5;
    probe.val_len = 200;
    probe.encoding = ENC_RAW;
    limit_below_now(&t.cfg, 10 * evict_entry_bytes(&probe));
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW), 0, "refused while another shard has volatile keys");
    cr_assert_eq(evict_published_rank(writer), 1);
    cr_assert_eq(evict_shard_pass(other), 0);
    cr_assert_gt(other->stats.evicted_keys, 0);
    cr_assert_eq(count_present(writer, "persist", 50), 50);
    /* every volatile key gone, still over: refused */
    t.cfg.maxmemory = 1;
    cr_assert_eq(evict_shard_pass(other), 0);
    cr_assert_eq(count_present(other, "vol", 50), 0);
    cr_assert_eq(evict_before_write(writer, &t.cfg, NOW), -1);
    cr_assert_eq(count_present(writer, "persist", 50), 50);
    shard_free(writer);
    shard_free(other);
}
