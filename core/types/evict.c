/*
 * evict.c - memory measurement, LRU/LFU clock in the entries, eviction pool.
 *
 * The eviction follows Redis's approximated LRU/LFU/TTL: each round samples
 * maxmemory-samples keys of every non-empty db of the shard (all keys or only
 * those with a TTL), scores them (idle time, inverted LFU counter, or inverted
 * expire time) and merges them into a pool of the best 16 candidates, kept
 * between rounds; the best candidate still present is evicted. The
 * pool is per shard thread: a key's name is copied into it, since the entry
 * may be gone by the time the candidate is used. Random policies pick a
 * random key of a random non-empty db.
 */
#include "core/types/evict.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef SHARDIS_JEMALLOC
#include <jemalloc/jemalloc.h>
#elif defined(__SANITIZE_ADDRESS__)
/* From the sanitizer runtime (its header is not always installed). */
extern size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#include "persist/aof_log.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/lazyfree.h"
#include "core/base/resp.h"
#include "shards/shard.h"
#include "shards/txn.h"

/* ---------------- memory measurement ---------------- */

#define MEASURE_INTERVAL_US 1000

static _Atomic size_t measured_bytes;
static _Atomic int64_t measured_at_us;       /* 0: never (the monotonic clock is far past it) */
static _Atomic size_t evicted_since_measure; /* bytes evicted after measured_bytes was taken */

#ifdef SHARDIS_JEMALLOC
/* jemalloc's per-thread counters (bytes ever allocated / freed by the
 * thread) are exact at every malloc and free, unlike stats.allocated which
 * lags behind the thread caches. Live bytes = a base taken at the first
 * registration + the sum over registered threads of allocated - freed; a
 * block allocated by one thread and freed by another cancels out in the sum. */
#define MAX_COUNTED_THREADS 1024
static uint64_t *thread_alloc[MAX_COUNTED_THREADS], *thread_dealloc[MAX_COUNTED_THREADS];
static _Atomic int counted_threads;
static long long counted_base;

void evict_thread_register(void)
{
    static __thread int registered;
    if (registered)
        return;
    registered = 1;
    uint64_t *a = NULL, *d = NULL;
    size_t sz = sizeof(a);
    if (mallctl("thread.allocatedp", &a, &sz, NULL, 0) != 0 || mallctl("thread.deallocatedp", &d, &sz, NULL, 0) != 0)
        return;
    if (atomic_load(&counted_threads) == 0) {
        /* first caller, the main thread before any other starts */
        uint64_t epoch = 1;
        size_t esz = sizeof(epoch);
        mallctl("epoch", &epoch, &esz, &epoch, esz);
        size_t allocated = 0;
        esz = sizeof(allocated);
        mallctl("stats.allocated", &allocated, &esz, NULL, 0);
        counted_base = (long long)allocated - (long long)(*a - *d);
    }
    int i = atomic_load(&counted_threads);
    while (i < MAX_COUNTED_THREADS && !atomic_compare_exchange_weak(&counted_threads, &i, i + 1))
        ;
    if (i >= MAX_COUNTED_THREADS)
        return;
    __atomic_store_n(&thread_dealloc[i], d, __ATOMIC_RELEASE);
    __atomic_store_n(&thread_alloc[i], a, __ATOMIC_RELEASE);
}

static size_t measure_allocated(void)
{
    long long sum = counted_base;
    int n = atomic_load(&counted_threads);
    for (int i = 0; i < n; i++) {
        uint64_t *a = __atomic_load_n(&thread_alloc[i], __ATOMIC_ACQUIRE);
        uint64_t *d = __atomic_load_n(&thread_dealloc[i], __ATOMIC_ACQUIRE);
        if (a && d)
            sum += (long long)(__atomic_load_n(a, __ATOMIC_RELAXED) - __atomic_load_n(d, __ATOMIC_RELAXED));
    }
    return sum > 0 ? (size_t)sum : 0;
}
#else
void evict_thread_register(void) {}

static size_t measure_allocated(void)
{
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#endif
}
#endif

size_t evict_measure_now(void)
{
    size_t v = measure_allocated();
    atomic_store_explicit(&evicted_since_measure, 0, memory_order_relaxed);
    atomic_store_explicit(&measured_bytes, v, memory_order_relaxed);
    return v;
}

size_t evict_used_memory(int64_t now_us)
{
#ifdef SHARDIS_JEMALLOC
    (void)now_us;
    return measure_allocated(); /* cheap: a few loads per thread */
#endif
    int64_t at = atomic_load_explicit(&measured_at_us, memory_order_relaxed);
    /* One thread measures per interval; the others use its figure. */
    if (now_us - at >= MEASURE_INTERVAL_US &&
        atomic_compare_exchange_strong_explicit(&measured_at_us, &at, now_us, memory_order_relaxed,
                                                memory_order_relaxed))
        return evict_measure_now();
    size_t used = atomic_load_explicit(&measured_bytes, memory_order_relaxed);
    size_t gone = atomic_load_explicit(&evicted_since_measure, memory_order_relaxed);
    return gone < used ? used - gone : 0;
}

static int64_t now_us_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------------- LRU clock and LFU counter ---------------- */

static _Atomic int lfu_mode;

void evict_set_policy(int policy)
{
    atomic_store_explicit(&lfu_mode, evict_policy_is_lfu(policy), memory_order_relaxed);
}

static uint32_t lfu_minutes(int64_t now_ms)
{
    return (uint32_t)((now_ms / 60000) & 0xffff);
}

uint32_t evict_new_lru(int64_t now_ms)
{
    if (atomic_load_explicit(&lfu_mode, memory_order_relaxed))
        return (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL;
    return lru_clock_now(now_ms);
}

unsigned evict_lfu_log_incr(unsigned counter, int log_factor, double r)
{
    if (counter >= 255)
        return 255;
    double base = (double)counter - LFU_INIT_VAL;
    if (base < 0)
        base = 0;
    double p = 1.0 / (base * log_factor + 1);
    return r < p ? counter + 1 : counter;
}

unsigned evict_lfu_counter(const struct db_entry *e, const struct config *cfg, int64_t now_ms)
{
    uint32_t ldt = e->lru >> 8, counter = e->lru & 0xff;
    uint32_t now = lfu_minutes(now_ms);
    uint32_t elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
    uint32_t periods = cfg->lfu_decay_time ? elapsed / (uint32_t)cfg->lfu_decay_time : 0;
    return periods > counter ? 0 : counter - periods;
}

/* xorshift per thread: the LFU increment's coin. */
static double thread_random(void)
{
    static __thread uint64_t x = 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (double)(x >> 11) / (double)(1ULL << 53);
}

void evict_touch(struct db_entry *e, const struct config *cfg, int64_t now_ms)
{
    if (!evict_policy_is_lfu(cfg->maxmemory_policy)) {
        e->lru = lru_clock_now(now_ms);
        return;
    }
    unsigned counter = evict_lfu_counter(e, cfg, now_ms);
    counter = evict_lfu_log_incr(counter, cfg->lfu_log_factor, thread_random());
    e->lru = (lfu_minutes(now_ms) << 8) | counter;
}

/* ---------------- entry size ---------------- */

size_t evict_entry_bytes(const struct db_entry *e)
{
    size_t n = offsetof(struct db_entry, key) + e->key_len;
    switch (e->type) {
    case OBJ_STRING:
        if (e->encoding != ENC_INT)
            n += e->val_len;
        break;
    case OBJ_LIST:
        n += list_value_mem(e);
        break;
    case OBJ_HASH:
        n += hash_value_mem(e);
        break;
    case OBJ_SET:
        n += set_value_mem(e);
        break;
    case OBJ_ZSET:
        n += zset_value_mem(e);
        break;
    }
    return n;
}

/* ---------------- the pool ---------------- */

#define POOL_SIZE 16
#define POOL_KEY_INLINE 48

struct pool_slot {
    uint64_t score; /* higher = better candidate; 0 = empty */
    uint64_t hash;
    int dbid;
    size_t klen;
    char *key; /* inline or malloc'd */
    char inline_key[POOL_KEY_INLINE];
};

/* One pool per shard thread, unordered; score 0 = empty. It belongs to
 * pool_owner under pool_policy: another shard on this thread (unit tests)
 * or another policy (CONFIG SET) starts from an empty pool, since scores of
 * different policies do not compare. */
static __thread struct pool_slot pool[POOL_SIZE];
static __thread const struct shard *pool_owner;
static __thread int pool_policy;

static void slot_clear(struct pool_slot *p)
{
    if (p->score && p->klen > POOL_KEY_INLINE)
        free(p->key);
    p->key = NULL;
    p->score = 0;
}

static void pool_adopt(const struct shard *s, int policy)
{
    if (pool_owner == s && pool_policy == policy)
        return;
    for (int i = 0; i < POOL_SIZE; i++)
        slot_clear(&pool[i]);
    pool_owner = s;
    pool_policy = policy;
}

static void slot_set(struct pool_slot *p, uint64_t score, int dbid, const struct db_entry *e)
{
    p->hash = e->hash;
    p->dbid = dbid;
    p->klen = e->key_len;
    if (e->key_len <= POOL_KEY_INLINE) {
        p->key = p->inline_key;
    } else {
        p->key = malloc(e->key_len);
        if (!p->key)
            return; /* stays empty */
    }
    memcpy(p->key, e->key, e->key_len);
    p->score = score;
}

/* Offers a candidate: it takes an empty slot, or replaces the worst one when
 * it is better. Sixteen slots: a linear pass is cheaper than keeping order. */
static void pool_insert(uint64_t score, int dbid, const struct db_entry *e)
{
    int empty = -1, worst = -1;
    for (int i = 0; i < POOL_SIZE; i++) {
        struct pool_slot *p = &pool[i];
        if (!p->score) {
            empty = i;
            continue;
        }
        if (p->hash == e->hash && p->dbid == dbid && p->klen == e->key_len && !memcmp(p->key, e->key, e->key_len)) {
            p->score = score; /* already there: refresh its score */
            return;
        }
        if (worst < 0 || p->score < pool[worst].score)
            worst = i;
    }
    if (empty >= 0) {
        slot_set(&pool[empty], score, dbid, e);
    } else if (score > pool[worst].score) {
        slot_clear(&pool[worst]);
        slot_set(&pool[worst], score, dbid, e);
    }
}

/* The best candidate's slot, -1 when the pool is empty. */
static int pool_best(void)
{
    int best = -1;
    for (int i = 0; i < POOL_SIZE; i++)
        if (pool[i].score && (best < 0 || pool[i].score > pool[best].score))
            best = i;
    return best;
}

/* Scores are below 2^59 and do not depend on when they were taken (except
 * LFU's slow decay), so that the shards' best scores compare with each
 * other (see "the global choice" below): LRU scores the second of the last
 * access (older = higher), volatile-ttl the expire time (sooner = higher). */
#define SCORE_BASE (1ULL << 59)

static uint64_t candidate_score(const struct db_entry *e, const struct config *cfg, int64_t now_ms)
{
    switch (cfg->maxmemory_policy) {
    case MAXMEMORY_ALLKEYS_LFU:
    case MAXMEMORY_VOLATILE_LFU:
        return 256 - evict_lfu_counter(e, cfg, now_ms);
    case MAXMEMORY_VOLATILE_TTL:
        return SCORE_BASE - (uint64_t)e->expire_at;
    default: {
        long long accessed = now_ms / 1000 - entry_idle_seconds(e, now_ms);
        return SCORE_BASE - (uint64_t)(accessed > 0 ? accessed : 0);
    }
    }
}

static int policy_volatile(int policy)
{
    return policy == MAXMEMORY_VOLATILE_LRU || policy == MAXMEMORY_VOLATILE_LFU ||
           policy == MAXMEMORY_VOLATILE_RANDOM || policy == MAXMEMORY_VOLATILE_TTL;
}

static int policy_random(int policy)
{
    return policy == MAXMEMORY_ALLKEYS_RANDOM || policy == MAXMEMORY_VOLATILE_RANDOM;
}

static struct db_entry *sample(struct db *db, int vol)
{
    return vol ? db_random_volatile(db) : db_random(db);
}

/* Random policies: a random key of a random non-empty db of this shard. */
static struct db_entry *pick_random(struct shard *s, int vol, int *dbid_out)
{
    int n = 0;
    for (int i = 0; i < s->ndbs; i++)
        n += (vol ? db_expires_size(s->dbs[i]) : db_size(s->dbs[i])) > 0;
    if (!n)
        return NULL;
    int pickn = (int)(thread_random() * n);
    for (int i = 0; i < s->ndbs; i++) {
        if ((vol ? db_expires_size(s->dbs[i]) : db_size(s->dbs[i])) == 0)
            continue;
        if (pickn-- == 0) {
            *dbid_out = i;
            return sample(s->dbs[i], vol);
        }
    }
    return NULL;
}

/* Pool policies: samples one round of every non-empty db into the pool and
 * returns this shard's best candidate still present (left in the pool at
 * *slot_out until evict_key_delete), or NULL when none qualifies. */
static struct db_entry *best_candidate(struct shard *s, const struct config *cfg, int64_t now_ms, int *dbid_out,
                                       int *slot_out)
{
    int vol = policy_volatile(cfg->maxmemory_policy);
    pool_adopt(s, cfg->maxmemory_policy);
    for (int tries = 0; tries < 16; tries++) {
        int any = 0;
        for (int i = 0; i < s->ndbs; i++) {
            struct db *db = s->dbs[i];
            if ((vol ? db_expires_size(db) : db_size(db)) == 0)
                continue;
            any = 1;
            for (int k = 0; k < cfg->maxmemory_samples; k++) {
                struct db_entry *e = sample(db, vol);
                if (e)
                    pool_insert(candidate_score(e, cfg, now_ms), i, e);
            }
        }
        if (!any)
            return NULL;
        for (int j; (j = pool_best()) >= 0;) {
            struct pool_slot *p = &pool[j];
            struct db_entry *e = p->dbid < s->ndbs ? db_find(s->dbs[p->dbid], p->hash, p->key, p->klen) : NULL;
            if (e && (!vol || e->expire_at)) {
                *dbid_out = p->dbid;
                *slot_out = j;
                return e;
            }
            slot_clear(p); /* gone since it was sampled */
        }
    }
    return NULL;
}

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
    int global = sharded(s) && !policy_random(policy);
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
        if (policy_random(policy)) {
            e = pick_random(s, policy_volatile(policy), &dbid);
        } else {
            e = best_candidate(s, cfg, now_ms, &dbid, &slot);
            uint64_t mine = rank_of(e ? pool[slot].score : 0);
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
            slot_clear(&pool[slot]);
        size_t freed = evict_key_delete(s, dbid, e, cfg);
        atomic_fetch_add_explicit(&evicted_since_measure, freed, memory_order_relaxed);
        used = used > freed ? used - freed : 0;
        n++;
        /* The loop pass re-reads the figure (a few loads with jemalloc): the
         * writers go on meanwhile, and it keeps pace with them instead of
         * stopping at the figure it started from. Not when the lazyfree
         * thread frees the values: the figure drops only later, and
         * re-reading it would evict far more than needed. */
        if (!writer && !cfg->lazyfree_lazy_eviction)
            used = evict_used_memory(now_us_monotonic());
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
    if (cfg->lazyfree_lazy_eviction)
        lazyfree_entry(u);
    else
        entry_free(u);
    s->stats.evicted_keys++;
    return bytes;
}

int evict_refuse_write(const struct config *cfg, int64_t now_ms)
{
    (void)now_ms;
    if (!cfg->maxmemory || cfg->maxmemory_policy != MAXMEMORY_NOEVICTION)
        return 0;
    return evict_used_memory(now_us_monotonic()) > (size_t)cfg->maxmemory;
}

int evict_before_write(struct shard *s, const struct config *cfg, int64_t now_ms)
{
    if (!cfg->maxmemory)
        return 0;
    size_t limit = (size_t)cfg->maxmemory;
    size_t used = evict_used_memory(now_us_monotonic());
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
    if (!cfg->maxmemory || cfg->maxmemory_policy == MAXMEMORY_NOEVICTION || policy_random(cfg->maxmemory_policy) ||
        !sharded(s))
        return 0;
    size_t limit = (size_t)cfg->maxmemory;
    size_t used = evict_used_memory(now_us_monotonic());
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
