/*
 * test_notify_engine.c - the engine's side of keyspace events
 * (shards/engine_hooks.c): a handler's event reaches the executing shard's
 * `notify` function, expiry (lazy and active) raises "expired" through the
 * dbs' hooks that engine_hooks_shard_init sets, eviction raises "evicted",
 * each only when its class is enabled in the shard's config, and nothing
 * happens while the shard has no `notify` function.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/base/config.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/object.h"
#include "shards/engine_hooks.h"
#include "shards/evict_pass.h"
#include "shards/shard.h"

#define NOW 1700000000000LL

static char events[1024];

static void record(struct shard *s, int type, const char *event, const char *key, size_t klen, int dbid)
{
    (void)s;
    (void)type;
    size_t n = strlen(events);
    snprintf(events + n, sizeof(events) - n, "%s%s:%.*s@%d", n ? " " : "", event, (int)klen, key, dbid);
}

static const char *taken(void)
{
    static char copy[sizeof(events)];
    memcpy(copy, events, sizeof(events));
    events[0] = '\0';
    return copy;
}

static struct config cfg;

/* A fake shard with what the hooks read: dbs, config, clock, stats. */
static struct shard *shard_new(int ndbs)
{
    struct shard *s = calloc(1, sizeof(*s));
    s->ndbs = ndbs;
    s->dbs = calloc(ndbs, sizeof(*s->dbs));
    for (int i = 0; i < ndbs; i++)
        s->dbs[i] = db_create();
    config_init_defaults(&cfg);
    cfg.notify_keyspace_events = config_keyspace_events_parse("KEA");
    s->cfg = &cfg;
    s->now_ms = NOW;
    engine_hooks_shard_init(s);
    s->notify = record;
    events[0] = '\0';
    return s;
}

static void shard_free(struct shard *s)
{
    for (int i = 0; i < s->ndbs; i++)
        db_destroy(s->dbs[i]);
    free(s->dbs);
    free(s->expire_notify);
    free(s);
}

static void add(struct shard *s, int dbid, const char *key, int64_t expire_at)
{
    size_t klen = strlen(key);
    struct db_entry *e = entry_new_string(XXH3_64bits(key, klen), key, klen, "v", 1);
    e->expire_at = expire_at;
    db_insert(s->dbs[dbid], e);
}

Test(notify_engine, expiry_raises_expired_on_the_owning_db)
{
    struct shard *s = shard_new(4);
    add(s, 2, "a", NOW + 10);
    add(s, 3, "b", NOW + 10);
    cr_assert_eq(db_expire_cycle(s->dbs[2], NOW + 100, 20), 1);
    cr_assert_str_eq(taken(), "expired:a@2");
    cr_assert_null(db_find_live(s->dbs[3], XXH3_64bits("b", 1), "b", 1, NOW + 100)); /* lazy */
    cr_assert_str_eq(taken(), "expired:b@3");
    /* SWAPDB keeps the hook with the index */
    add(s, 0, "c", NOW + 10);
    db_swap(s->dbs[0], s->dbs[1]);
    cr_assert_eq(db_expire_cycle(s->dbs[1], NOW + 100, 20), 1);
    cr_assert_str_eq(taken(), "expired:c@1");
    /* class x off, or K and E off: nothing */
    cfg.notify_keyspace_events = config_keyspace_events_parse("KEg");
    add(s, 0, "d", NOW + 10);
    cr_assert_eq(db_expire_cycle(s->dbs[0], NOW + 100, 20), 1);
    cfg.notify_keyspace_events = config_keyspace_events_parse("x");
    add(s, 0, "d", NOW + 10);
    cr_assert_eq(db_expire_cycle(s->dbs[0], NOW + 100, 20), 1);
    cr_assert_str_eq(taken(), "");
    shard_free(s);
}

Test(notify_engine, eviction_raises_evicted)
{
    evict_thread_register();
    struct shard *s = shard_new(2);
    add(s, 1, "k", 0);
    cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    cfg.maxmemory = 1; /* always over: evicts the only key */
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    cr_assert_eq(s->stats.evicted_keys, 1);
    cr_assert_str_eq(taken(), "evicted:k@1");
    cfg.notify_keyspace_events = config_keyspace_events_parse("KEA");
    cfg.notify_keyspace_events &= ~NOTIFY_EVICTED;
    add(s, 0, "j", 0);
    cr_assert_eq(evict_before_write(s, &cfg, NOW), 0);
    cr_assert_eq(s->stats.evicted_keys, 2);
    cr_assert_str_eq(taken(), "");
    shard_free(s);
}

Test(notify_engine, handler_events_reach_the_executing_shard)
{
    engine_hooks_install();
    struct shard *s = shard_new(2);
    struct buf out = {0};
    struct cmd_ctx c;
    memset(&c, 0, sizeof(c));
    c.shard = s;
    c.nshards = 1;
    c.dbs = s->dbs;
    c.ndbs = s->ndbs;
    c.dbid = 1;
    c.db = s->dbs[1];
    c.out = &out;
    c.resp = 2;
    c.now_ms = NOW;
    c.stats = &s->stats;
    c.cfg = &cfg;
    struct arg argv[3] = {{"rpush", 5}, {"l", 1}, {"a", 1}};
    c.argc = 3;
    c.argv = argv;
    cmd_rpush(&c);
    cr_assert_str_eq(taken(), "rpush:l@1");
    s->notify = NULL; /* no publisher: dropped */
    cmd_rpush(&c);
    cr_assert_str_eq(taken(), "");
    buf_free(&out);
    shard_free(s);
    command_engine_install(NULL);
}
