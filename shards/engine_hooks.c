/*
 * engine_hooks.c - the engine's side of the change hook (struct
 * cmd_engine_ops, core/commands/command.h): what a command reports it
 * changed becomes WATCH touches (shards/txn.h) and append-only log records
 * (persist/aof_log.h) and keyspace events (handed to the shard's `notify`,
 * which the pub/sub step sets) and client-side caching invalidations
 * (shards/tracking.h: a changed key, a flush, an expired key). Replication
 * is to be added here, on the same reports.
 *
 * Threads: installed once on the main thread at start-up; the operations
 * run on the shard thread that runs the handler, on that shard's watch
 * table and log (c->watches, c->aof), which only that thread touches.
 * Invariant: a report costs one load and compare when nothing is watched
 * and the run is not logged, and one more while nothing is tracked.
 */
#include "shards/engine_hooks.h"

#include "core/base/server.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "persist/aof_log.h"
#include "shards/lazyfree.h"
#include "shards/shard.h"
#include "shards/tracking.h"
#include "shards/txn.h"

static void key_changed(struct cmd_ctx *c, int argi)
{
    if (c->watches && watchtab_count(c->watches)) /* before hashing: free when nothing is watched */
        watchtab_touch_watched(c->watches, c->dbid, arg_key_hash(c, argi), c->argv[argi].ptr, c->argv[argi].len);
    if (c->shard)
        tracking_touch(c->shard, c->argv[argi].ptr, c->argv[argi].len);
}

struct flush_probe {
    struct cmd_ctx *c;
    int other;
};

static int live_in(struct cmd_ctx *c, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct db_entry *e = db_find(c->dbs[dbid], hash, key, len);
    return e && (e->expire_at == 0 || e->expire_at > c->now_ms);
}

static int watched_key_exists(void *arg, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct flush_probe *p = arg;
    return live_in(p->c, dbid, hash, key, len) || (p->other >= 0 && live_in(p->c, p->other, hash, key, len));
}

/* A watched key that does not exist in the flushed/swapped dbs (or has
 * expired) is not touched, as in Redis. */
static void flushed(struct cmd_ctx *c, int dbid, int other)
{
    /* FLUSHDB and FLUSHALL (not SWAPDB): every tracking client gets a null
     * and the table empties, as Redis; each shard runs the flush and tells
     * its own thread's clients. */
    if (other < 0 && c->shard && c->shard->tracking)
        tracking_flushed(c->shard);
    if (!c->watches || !watchtab_count(c->watches))
        return;
    struct flush_probe p = {c, other};
    watchtab_touch_if(c->watches, dbid, watched_key_exists, &p);
    if (other >= 0 && other != dbid) {
        p.other = dbid;
        watchtab_touch_if(c->watches, other, watched_key_exists, &p);
    }
}

static void effect(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens)
{
    aof_append_strs(c->aof, c->dbid, argc, argv, lens);
}

static void command_effect(struct cmd_ctx *c)
{
    aof_append_args(c->aof, c->dbid, c->argc, c->argv);
}

/* Keyspace events: the handler checked the class against its config
 * snapshot; they go to the executing shard's publisher. A cross-shard
 * command gathered on its coordinator (shards/multistep.c) raises them
 * there, with the key's db. */
static void notify(struct cmd_ctx *c, int type, const char *event, const char *key, size_t klen, int dbid)
{
    struct shard *s = c->shard;
    if (s && s->notify)
        s->notify(s, type, event, key, klen, dbid);
}

void shard_notify_event(struct shard *s, int type, const char *event, const char *key, size_t klen, int dbid)
{
    if (s->notify && notify_class_enabled(s->cfg->notify_keyspace_events, type))
        s->notify(s, type, event, key, klen, dbid);
}

struct expire_notify {
    struct shard *s;
    int dbid;
};

/* Expiry deleted a key (lazily inside a command, or by the active cycle of
 * shards/cron.c): Redis raises "expired" in both cases. */
static void on_expire_notify(void *priv, const struct db_entry *e)
{
    struct expire_notify *h = priv;
    shard_notify_event(h->s, NOTIFY_EXPIRED, "expired", e->key, e->key_len, h->dbid);
    uint64_t writer = h->s->tracking_writer;
    h->s->tracking_writer = 0; /* nobody's change: NOLOOP does not hide it */
    tracking_touch(h->s, e->key, e->key_len);
    h->s->tracking_writer = writer;
}

void engine_hooks_shard_init(struct shard *s)
{
    struct expire_notify *h = xmalloc((size_t)s->ndbs * sizeof(*h));
    for (int i = 0; i < s->ndbs; i++) {
        h[i].s = s;
        h[i].dbid = i;
        db_set_expire_notify(s->dbs[i], on_expire_notify, &h[i]);
    }
    s->expire_notify = h;
}

/* CONFIG SET maxmemory-policy: the LRU/LFU field of entries created from
 * now on follows the new policy. */
static void config_published(const struct config *cfg)
{
    evict_set_policy(cfg->maxmemory_policy);
}

void engine_hooks_install(void)
{
    server_on_config_published(config_published);
    lazyfree_thread_install();
    static const struct cmd_engine_ops ops = {
        .key_changed = key_changed,
        .keys_flushed = flushed,
        .effect = effect,
        .command_effect = command_effect,
        .notify = notify,
    };
    command_engine_install(&ops);
}
