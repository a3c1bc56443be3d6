/*
 * evict.c - memory measurement, LRU/LFU clock in the entries, eviction pool:
 * the policy side of maxmemory. The pass that walks a shard's dbs, chooses
 * between shards and deletes keys (logging them, touching WATCH) is the
 * engine's: shards/evict_pass.c.
 *
 * Threads: the measurement is process-wide (atomics; any thread); the pool
 * is per thread (__thread), used by the shard thread that evicts; the
 * clocks run on whichever thread touches an entry, which is its shard's.
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

#include "core/types/db.h"

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

void evict_note_freed(size_t bytes)
{
    atomic_fetch_add_explicit(&evicted_since_measure, bytes, memory_order_relaxed);
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
    case OBJ_STREAM:
        n += stream_value_mem(e);
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
static __thread const void *pool_owner;
static __thread int pool_policy;

static void slot_clear(struct pool_slot *p)
{
    if (p->score && p->klen > POOL_KEY_INLINE)
        free(p->key);
    p->key = NULL;
    p->score = 0;
}

static void pool_adopt(const void *owner, int policy)
{
    if (pool_owner == owner && pool_policy == policy)
        return;
    for (int i = 0; i < POOL_SIZE; i++)
        slot_clear(&pool[i]);
    pool_owner = owner;
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

uint64_t evict_pool_score(int slot)
{
    return pool[slot].score;
}

void evict_pool_forget(int slot)
{
    slot_clear(&pool[slot]);
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

int evict_policy_volatile(int policy)
{
    return policy == MAXMEMORY_VOLATILE_LRU || policy == MAXMEMORY_VOLATILE_LFU ||
           policy == MAXMEMORY_VOLATILE_RANDOM || policy == MAXMEMORY_VOLATILE_TTL;
}

int evict_policy_random(int policy)
{
    return policy == MAXMEMORY_ALLKEYS_RANDOM || policy == MAXMEMORY_VOLATILE_RANDOM;
}

struct db_entry *evict_sample(struct db *db, int vol)
{
    return vol ? db_random_volatile(db) : db_random(db);
}

struct db_entry *evict_pick_random(struct db *const *dbs, int ndbs, int vol, int *dbid_out)
{
    int n = 0;
    for (int i = 0; i < ndbs; i++)
        n += (vol ? db_expires_size(dbs[i]) : db_size(dbs[i])) > 0;
    if (!n)
        return NULL;
    int pickn = (int)(thread_random() * n);
    for (int i = 0; i < ndbs; i++) {
        if ((vol ? db_expires_size(dbs[i]) : db_size(dbs[i])) == 0)
            continue;
        if (pickn-- == 0) {
            *dbid_out = i;
            return evict_sample(dbs[i], vol);
        }
    }
    return NULL;
}

struct db_entry *evict_best_candidate(const void *owner, struct db *const *dbs, int ndbs, const struct config *cfg,
                                      int64_t now_ms, int *dbid_out, int *slot_out)
{
    int vol = evict_policy_volatile(cfg->maxmemory_policy);
    pool_adopt(owner, cfg->maxmemory_policy);
    for (int tries = 0; tries < 16; tries++) {
        int any = 0;
        for (int i = 0; i < ndbs; i++) {
            struct db *db = dbs[i];
            if ((vol ? db_expires_size(db) : db_size(db)) == 0)
                continue;
            any = 1;
            for (int k = 0; k < cfg->maxmemory_samples; k++) {
                struct db_entry *e = evict_sample(db, vol);
                if (e)
                    pool_insert(candidate_score(e, cfg, now_ms), i, e);
            }
        }
        if (!any)
            return NULL;
        for (int j; (j = pool_best()) >= 0;) {
            struct pool_slot *p = &pool[j];
            struct db_entry *e = p->dbid < ndbs ? db_find(dbs[p->dbid], p->hash, p->key, p->klen) : NULL;
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

int evict_refuse_write(const struct config *cfg, int64_t now_ms)
{
    (void)now_ms;
    if (!cfg->maxmemory || cfg->maxmemory_policy != MAXMEMORY_NOEVICTION)
        return 0;
    return evict_used_memory(now_us_monotonic()) > (size_t)cfg->maxmemory;
}
