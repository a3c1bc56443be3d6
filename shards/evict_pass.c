/*
 * evict_pass.c - the eviction pass of the engine: over maxmemory, chooses
 * which shard evicts (the global choice below), walks the shard's dbs for
 * candidates through the pool of core/types/evict.c and deletes them,
 * recording each eviction in the shard's log and as a WATCH modification.
 * Extracted from core/types/evict.c, which keeps the measurement, the
 * clocks, the scores and the pool.
 *
 * Threads: every function runs on the thread of the shard it is given (a
 * key is deleted only by its own shard); the published board is one atomic
 * per shard, written by that shard only and read by all.
 */
#include "shards/evict_pass.h"

#include <stdatomic.h>
#include <stdint.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"
#include "persist/aof_log.h"
#include "shards/shard.h"
#include "shards/tracking.h"
#include "shards/txn.h"

/* ---------------- the global choice ----------------
 *
 * Keys live on their shard, and only the shard's thread may delete them;
 * yet the policy is over the whole keyspace. Each shard publishes the score
 * of its pool's best candidate in its own slot of `board` (one writer per
 * slot: the shard's thread; a cache line each), tagged with the policy it
 * was computed under. A shard over the limit evicts its own candidate only
 * when no other shard published a better one; otherwise it leaves the
 * eviction to that shard, waking it if it sleeps, and the command runs. The
 * better shard evicts in its loop (evict_shard_pass), every iteration while
 * the server is over the limit, as long as its candidate stays the best.
 *
 * A slot whose tag is not the current policy is unknown (the shard has not
 * sampled since the start or the last CONFIG SET): the writer defers to it
 * too, and wakes it, so that it publishes. Ties evict on every tied shard.
 *
 * Fallback against starvation: the deferring writer lets memory exceed the
 * limit by at most `slack` (limit/32, between 256 KB and 2 MB); past it, it
 * evicts its own best candidates down to limit + slack, whatever the others
 * published (a better shard that does not run: a long command, a descheduled
 * thread). A writer with nothing to evict is refused only when no shard has
 * published anything (or when over the slack), as before.
 *
 * Random policies have no score: the writing shard evicts its own keys. */

#define EVICT_MAX_SHARDS 256 /* the `threads` maximum */
#define RANK_NONE 1          /* sampled, nothing this policy may evict */
#define RANK_TAG_SHIFT 60
#define RANK_MASK ((1ULL << RANK_TAG_SHIFT) - 1)
#define EVICT_BATCH 1024 /* keys per command or per loop pass */

struct board_slot {
    _Alignas(64) _Atomic uint64_t rank; /* tag (policy+1) << 60 | score + 1, or RANK_NONE; 0 = never */
};
static struct board_slot board[EVICT_MAX_SHARDS];
static __thread int64_t woken_at_ms[EVICT_MAX_SHARDS]; /* this thread's last wake-up of each shard */

static int sharded(const struct shard *s)
{
    return s->srv && s->srv->nshards > 1 && s->id >= 0 && s->id < EVICT_MAX_SHARDS;
}

static uint64_t rank_tag(int policy)
{
    return (uint64_t)(policy + 1) << RANK_TAG_SHIFT;
}

/* A pool score as published: RANK_NONE for no candidate, else above it. */
static uint64_t rank_of(uint64_t score)
{
    return score ? score + 1 : RANK_NONE;
}

static void publish(struct shard *s, int policy, uint64_t rank)
{
    if (sharded(s))
        atomic_store_explicit(&board[s->id].rank, rank_tag(policy) | rank, memory_order_relaxed);
}

uint64_t evict_published_rank(const struct shard *s)
{
    if (!sharded(s))
        return 0;
    return atomic_load_explicit(&board[s->id].rank, memory_order_relaxed) & RANK_MASK;
}

/* Whether another shard holds (or may hold: unknown) a better candidate
 * than `mine`. With wake set, wakes those shards. */
static int other_is_better(struct shard *s, int policy, uint64_t mine, int wake)
{
    int better = 0, n = s->srv->nshards < EVICT_MAX_SHARDS ? s->srv->nshards : EVICT_MAX_SHARDS;
    uint64_t tag = rank_tag(policy);
    for (int i = 0; i < n; i++) {
        if (i == s->id)
            continue;
        uint64_t v = atomic_load_explicit(&board[i].rank, memory_order_relaxed);
        if ((v & ~RANK_MASK) == tag && (v & RANK_MASK) <= mine)
            continue;
        better = 1;
        if (!wake)
            break;
        if (woken_at_ms[i] != s->now_ms) { /* once a millisecond at most */
            woken_at_ms[i] = s->now_ms;
            shard_wake(s, i);
        }
    }
    return better;
}

static size_t evict_slack(size_t limit)
{
    size_t slack = limit / 32;
    if (slack < 256 * 1024)
        slack = 256 * 1024;
    if (slack > 2 * 1024 * 1024)
        slack = 2 * 1024 * 1024;
    return slack;
}

/*
 * Evicts keys of shard s while `used` (the server's figure) is over `limit`
 * and this shard's candidate is the best published, at most EVICT_BATCH.
 * writer: before a denyoom command on s (may fall back past the slack), else
 * the loop pass (evicts only when best). Returns the keys evicted, or -1 for
 * a writer when the command must be refused (nothing to evict anywhere).
 */
static int evict_round(struct shard *s, const struct config *cfg, int64_t now_ms, size_t limit, size_t used, int writer)
{
    int policy = cfg->maxmemory_policy;
    int global = sharded(s) && !evict_policy_random(policy);
    size_t slack = evict_slack(limit);
    /* A writer that deferred in this millisecond defers again without
     * sampling (the better shard was woken then): a pipeline of writes
     * costs one sample round a millisecond, not one per command. */
    static __thread int64_t deferred_at_ms = -1;
    if (writer && global && deferred_at_ms == now_ms && used <= limit + slack)
        return 0;
    int n = 0;
    while (n < EVICT_BATCH && used > limit) {
        int dbid = 0, slot = -1;
        struct db_entry *e;
        if (evict_policy_random(policy)) {
            e = evict_pick_random(s->dbs, s->ndbs, evict_policy_volatile(policy), &dbid);
        } else {
            e = evict_best_candidate(s, s->dbs, s->ndbs, cfg, now_ms, &dbid, &slot);
            uint64_t mine = rank_of(e ? evict_pool_score(slot) : 0);
            publish(s, policy, mine);
            if (global && other_is_better(s, policy, mine, 0)) {
                if (!writer)
                    return n; /* the better shard evicts */
                if (used <= limit + slack) {
                    other_is_better(s, policy, mine, 1); /* wake them */
                    deferred_at_ms = now_ms;
                    return n;
                }
                /* past the slack: our own candidate, down to limit + slack */
            }
        }
        if (!e) /* refused only when no shard had anything to give */
            return writer && n == 0 ? -1 : n;
        if (slot >= 0)
            evict_pool_forget(slot);
        size_t freed = evict_key_delete(s, dbid, e, cfg);
        evict_note_freed(freed);
        used = used > freed ? used - freed : 0;
        n++;
        /* The loop pass re-reads the figure (a few loads with jemalloc): the
         * writers go on meanwhile, and it keeps pace with them instead of
         * stopping at the figure it started from. Not when the lazyfree
         * thread frees the values: the figure drops only later, and
         * re-reading it would evict far more than needed. */
        if (!writer && !cfg->lazyfree_lazy_eviction)
            used = evict_used_memory(monotonic_us());
    }
    return n;
}

size_t evict_key_delete(struct shard *s, int dbid, struct db_entry *e, const struct config *cfg)
{
    size_t bytes = evict_entry_bytes(e);
    aof_append_del(s->log, dbid, e->key, e->key_len); /* replayed as a DEL */
    /* A modification for WATCH, as Redis's signalModifiedKey. A key already
     * expired is logically gone: its removal changes nothing (Redis 7 does
     * not fail EXEC for a key that was expired at WATCH and is deleted; one
     * that expired after WATCH fails it through the liveness check). */
    if (s->watches && (e->expire_at == 0 || e->expire_at > s->now_ms))
        watchtab_touch(s->watches, dbid, e->hash, e->key, e->key_len);
    struct db_entry *u = db_unlink(s->dbs[dbid], e->hash, e->key, e->key_len);
    shard_notify_event(s, NOTIFY_EVICTED, "evicted", u->key, u->key_len, dbid); /* before u is freed */
    if (s->tracking_armed) { /* an eviction is nobody's change: NOLOOP does not hide it */
        uint64_t writer = s->tracking_writer;
        s->tracking_writer = 0;
        tracking_key_changed(s, u->key, u->key_len);
        s->tracking_writer = writer;
    }
    if (cfg->lazyfree_lazy_eviction)
        lazyfree_entry(u);
    else
        entry_free(u);
    s->stats.evicted_keys++;
    return bytes;
}

int evict_before_write(struct shard *s, const struct config *cfg, int64_t now_ms)
{
    if (!cfg->maxmemory)
        return 0;
    size_t limit = (size_t)cfg->maxmemory;
    size_t used = evict_used_memory(monotonic_us());
    if (used <= limit)
        return 0;
    if (cfg->maxmemory_policy == MAXMEMORY_NOEVICTION)
        return -1;
    /* Bounded work per command, like Redis's eviction time limit: the rest is
     * done before the next write. The figure is the whole server's and may
     * include other threads' transient buffers (a pipeline being copied to
     * another shard): a shard that runs out of candidates after evicting some
     * lets the command run; the next write there is refused if it is still
     * over the limit with nothing left to evict anywhere. */
    return evict_round(s, cfg, now_ms, limit, used, 1) < 0 ? -1 : 0;
}

int evict_shard_pass(struct shard *s)
{
    const struct config *cfg = s->cfg;
    if (!cfg->maxmemory || cfg->maxmemory_policy == MAXMEMORY_NOEVICTION ||
        evict_policy_random(cfg->maxmemory_policy) || !sharded(s))
        return 0;
    size_t limit = (size_t)cfg->maxmemory;
    size_t used = evict_used_memory(monotonic_us());
    if (used <= limit)
        return 0;
    /* Not while a transaction holds keys here: its parts must see the keys
     * they locked. It publishes nothing new then; writers fall back past the
     * slack. */
    if (s->locks && !locktab_idle(s->locks))
        return 0;
    return evict_round(s, cfg, s->now_ms, limit, used, 0) >= EVICT_BATCH;
}

int evict_command_allowed(struct cmd_ctx *c)
{
    if (!c->cmd || !(c->cmd->flags & CMD_DENYOOM) || !c->shard)
        return 1;
    const struct config *cfg = ctx_config(c);
    if (!cfg->maxmemory || evict_before_write(c->shard, cfg, c->now_ms) == 0)
        return 1;
    reply_error(c->out, EVICT_OOM_ERROR);
    return 0;
}
