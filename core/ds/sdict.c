/*
 * sdict.c - the hash table of byte-string keys behind the "hashtable"
 * encodings (see sdict.h). The same design as the keyspace table in db.c,
 * itself after Redis's dict.c:
 *
 *   - Two bucket arrays t[0] and t[1], sizes powers of two (0 before the
 *     first insert). Bucket of a node = hash & (size - 1); chains linked
 *     through node->next, new nodes at the head. The 64-bit hash is cached
 *     in the node, so a lookup compares hashes before bytes and rehashing
 *     never hashes a key again.
 *   - Not rehashing (rehash_index == -1): everything is in t[0].
 *   - Rehashing: buckets of t[0] below rehash_index are empty; new nodes go
 *     to t[1]; lookups look in both. Every find, add, unlink and random pick
 *     moves one bucket, so no single operation pays for a whole rehash. When
 *     t[0] is empty, t[1] becomes t[0].
 *   - Growth starts when an add finds used >= size (load factor 1), to the
 *     next power of two above used; shrinking starts when an unlink leaves
 *     the table less than 1/8 full (never below SDICT_TABLE_MIN). Neither
 *     starts while a rehash or an iterator is in progress.
 *   - While an iterator is open (iterators > 0) no rehash step runs and no
 *     resize starts, so the iterator's position stays meaningful; the
 *     iterator reads the next node before returning one, so the caller may
 *     unlink and free the returned node.
 *
 * SCAN: the reverse-binary cursor of dictScan (see db.c for why every node
 * present for the whole scan is returned at least once across resizes).
 *
 * Memory: node_bytes is the sum of malloc_usable_size of the linked nodes,
 * kept on every add and unlink, so sdict_mem is O(1).
 */
#include <assert.h>
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "core/ds/sdict.h"
#include "core/base/util.h"

#define SDICT_TABLE_MIN 4
#define SDICT_SHRINK_RATIO 8
#define SDICT_REHASH_EMPTY_VISITS 10

struct sdict_table {
    struct sdict_node **buckets;
    size_t size; /* power of two, or 0 */
    size_t used;
};

struct sdict {
    struct sdict_table t[2];
    ssize_t rehash_index; /* next bucket of t[0] to move; -1 when not rehashing */
    unsigned iterators;   /* open iterators: no rehash steps, no resizes */
    size_t node_bytes;    /* malloc_usable_size of every linked node */
    uint64_t rng;         /* xorshift state for sdict_random */
};

static void out_of_memory(size_t size)
{
    fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
    abort();
}

static void *sd_calloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        out_of_memory(n * size);
    return p;
}

static int is_rehashing(const struct sdict *d)
{
    return d->rehash_index != -1;
}

static uint64_t sd_rand(struct sdict *d)
{
    uint64_t x = d->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    d->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static size_t next_power(size_t n)
{
    size_t size = SDICT_TABLE_MIN;
    while (size < n)
        size <<= 1;
    return size;
}

static int node_has_key(const struct sdict_node *n, uint64_t hash, const char *key, size_t klen)
{
    return n->hash == hash && n->klen == klen && memcmp(n->key, key, klen) == 0;
}

struct sdict *sdict_new(void)
{
    struct sdict *d = sd_calloc(1, sizeof(*d));
    d->rehash_index = -1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    d->rng = ((uint64_t)(uintptr_t)d ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32)) | 1;
    return d;
}

void sdict_free(struct sdict *d, void (*free_value)(struct sdict_node *n))
{
    if (!d)
        return;
    for (int t = 0; t <= 1; t++) {
        struct sdict_table *tab = &d->t[t];
        for (size_t b = 0; b < tab->size; b++) {
            struct sdict_node *n = tab->buckets[b];
            while (n) {
                struct sdict_node *next = n->next;
                if (free_value)
                    free_value(n);
                free(n);
                n = next;
            }
        }
        free(tab->buckets);
    }
    free(d);
}

size_t sdict_size(const struct sdict *d)
{
    return d->t[0].used + d->t[1].used;
}

void sdict_node_free(struct sdict_node *n)
{
    free(n);
}

size_t sdict_mem(const struct sdict *d)
{
    return sizeof(*d) + (d->t[0].size + d->t[1].size) * sizeof(struct sdict_node *) + d->node_bytes;
}

/* ---------------- rehashing ---------------- */

static void resize_if_needed(struct sdict *d);

/* Moves up to n non-empty buckets of t[0] into t[1]; finishes the rehash
 * when t[0] is empty. */
static void rehash(struct sdict *d, int n)
{
    if (!is_rehashing(d) || d->iterators)
        return;
    struct sdict_table *from = &d->t[0], *to = &d->t[1];
    size_t to_mask = to->size - 1;
    long empty_visits = (long)n * SDICT_REHASH_EMPTY_VISITS;
    size_t idx = (size_t)d->rehash_index;
    while (n-- > 0 && from->used != 0) {
        assert(idx < from->size);
        while (from->buckets[idx] == NULL) {
            idx++;
            if (--empty_visits == 0) {
                d->rehash_index = (ssize_t)idx;
                return;
            }
        }
        struct sdict_node *e = from->buckets[idx];
        while (e) {
            struct sdict_node *next = e->next;
            size_t b = e->hash & to_mask;
            e->next = to->buckets[b];
            to->buckets[b] = e;
            from->used--;
            to->used++;
            e = next;
        }
        from->buckets[idx] = NULL;
        idx++;
    }
    d->rehash_index = (ssize_t)idx;
    if (from->used != 0)
        return;
    free(from->buckets);
    *from = *to;
    memset(to, 0, sizeof(*to));
    d->rehash_index = -1;
    resize_if_needed(d);
}

static void start_resize(struct sdict *d, size_t new_size)
{
    if (is_rehashing(d) || new_size == d->t[0].size)
        return;
    /* An open iterator's position would be lost by moving nodes; an empty
     * table has none to lose (and must get buckets before an add). */
    if (d->iterators && d->t[0].used != 0)
        return;
    struct sdict_node **buckets = sd_calloc(new_size, sizeof(*buckets));
    if (d->t[0].size == 0 || d->t[0].used == 0) {
        free(d->t[0].buckets);
        d->t[0].buckets = buckets;
        d->t[0].size = new_size;
        d->t[0].used = 0;
        return;
    }
    d->t[1].buckets = buckets;
    d->t[1].size = new_size;
    d->t[1].used = 0;
    d->rehash_index = 0;
}

static void grow_if_needed(struct sdict *d)
{
    if (is_rehashing(d))
        return;
    if (d->t[0].size == 0)
        start_resize(d, SDICT_TABLE_MIN);
    else if (d->t[0].used >= d->t[0].size)
        start_resize(d, next_power(d->t[0].used + 1));
}

static void shrink_if_needed(struct sdict *d)
{
    if (is_rehashing(d) || d->t[0].size <= SDICT_TABLE_MIN)
        return;
    if (d->t[0].used * SDICT_SHRINK_RATIO < d->t[0].size)
        start_resize(d, next_power(d->t[0].used + 1));
}

static void resize_if_needed(struct sdict *d)
{
    grow_if_needed(d);
    shrink_if_needed(d);
}

void sdict_reserve(struct sdict *d, size_t n)
{
    if (is_rehashing(d) || d->iterators || n <= d->t[0].size)
        return;
    start_resize(d, next_power(n));
}

/* ---------------- lookup, add, unlink ---------------- */

/* The link pointing at the node with this key, or NULL. */
static struct sdict_node **find_link(struct sdict *d, uint64_t hash, const char *key, size_t klen, int *table)
{
    for (int t = 0; t <= 1; t++) {
        struct sdict_table *tab = &d->t[t];
        if (tab->size == 0)
            break;
        struct sdict_node **link = &tab->buckets[hash & (tab->size - 1)];
        for (struct sdict_node *n = *link; n; link = &n->next, n = n->next) {
            if (node_has_key(n, hash, key, klen)) {
                *table = t;
                return link;
            }
        }
        if (!is_rehashing(d))
            break;
    }
    return NULL;
}

struct sdict_node *sdict_find(struct sdict *d, const char *key, size_t klen)
{
    if (sdict_size(d) == 0)
        return NULL;
    if (is_rehashing(d))
        rehash(d, 1);
    int table;
    struct sdict_node **link = find_link(d, key_hash(key, klen), key, klen, &table);
    return link ? *link : NULL;
}

struct sdict_node *sdict_add(struct sdict *d, const char *key, size_t klen, int *added)
{
    if (is_rehashing(d))
        rehash(d, 1);
    uint64_t hash = key_hash(key, klen);
    int table;
    struct sdict_node **link = find_link(d, hash, key, klen, &table);
    if (link) {
        if (added)
            *added = 0;
        return *link;
    }
    grow_if_needed(d);
    size_t size = offsetof(struct sdict_node, key) + klen;
    struct sdict_node *n = malloc(size);
    if (!n)
        out_of_memory(size);
    n->hash = hash;
    n->v.i = 0;
    n->klen = (uint32_t)klen;
    memcpy(n->key, key, klen);
    struct sdict_table *tab = &d->t[is_rehashing(d) ? 1 : 0];
    size_t b = hash & (tab->size - 1);
    n->next = tab->buckets[b];
    tab->buckets[b] = n;
    tab->used++;
    d->node_bytes += malloc_usable_size(n);
    if (added)
        *added = 1;
    return n;
}

struct sdict_node *sdict_unlink(struct sdict *d, const char *key, size_t klen)
{
    if (sdict_size(d) == 0)
        return NULL;
    if (is_rehashing(d))
        rehash(d, 1);
    int table;
    struct sdict_node **link = find_link(d, key_hash(key, klen), key, klen, &table);
    if (!link)
        return NULL;
    struct sdict_node *n = *link;
    *link = n->next;
    n->next = NULL;
    d->t[table].used--;
    d->node_bytes -= malloc_usable_size(n);
    if (!d->iterators)
        shrink_if_needed(d);
    return n;
}

/* ---------------- random ---------------- */

/*
 * A random bucket and a random place in its chain favour members of short
 * chains (one alone in its bucket comes twice as often as one of a chain of
 * two), which HRANDFIELD/SRANDMEMBER/SPOP callers see as a skewed
 * distribution. As Redis's dictGetFairRandomKey does, we gather the members
 * of consecutive buckets from a random start, up to SDICT_FAIR_SAMPLE of
 * them, and choose one of those uniformly: a dict of at most that many
 * members is then sampled exactly uniformly, a bigger one very nearly so.
 * The walk stops after SDICT_FAIR_MAX_STEPS buckets once it holds a member,
 * so a sparse table costs a bounded number of steps.
 */
#define SDICT_FAIR_SAMPLE 20
#define SDICT_FAIR_MAX_STEPS 200

struct sdict_node *sdict_random(struct sdict *d)
{
    if (sdict_size(d) == 0)
        return NULL;
    if (is_rehashing(d))
        rehash(d, 1);
    int tables = is_rehashing(d) ? 2 : 1;
    size_t span = d->t[0].size;
    if (tables == 2 && d->t[1].size > span)
        span = d->t[1].size;
    size_t mask = span - 1; /* sizes are powers of two */
    size_t idx = (size_t)sd_rand(d) & mask;
    struct sdict_node *sample[SDICT_FAIR_SAMPLE];
    size_t n = 0;
    for (size_t steps = 0; steps < span && n < SDICT_FAIR_SAMPLE; steps++, idx = (idx + 1) & mask) {
        if (n > 0 && steps >= SDICT_FAIR_MAX_STEPS)
            break;
        for (int t = 0; t < tables; t++) {
            /* buckets of t[0] below rehash_index are empty */
            if (idx >= d->t[t].size || (t == 0 && tables == 2 && idx < (size_t)d->rehash_index))
                continue;
            for (struct sdict_node *e = d->t[t].buckets[idx]; e && n < SDICT_FAIR_SAMPLE; e = e->next)
                sample[n++] = e;
        }
    }
    return sample[sd_rand(d) % n];
}

struct sdict_node **sdict_draw_table(struct sdict *d, unsigned long long draws)
{
    size_t size = sdict_size(d);
    if (size == 0 || draws < size / 8)
        return NULL;
    struct sdict_node **all = malloc(size * sizeof(*all));
    if (!all)
        out_of_memory(size * sizeof(*all));
    struct sdict_iter it;
    sdict_iter_init(&it, d);
    size_t i = 0;
    for (struct sdict_node *n; (n = sdict_iter_next(&it)) != NULL;)
        all[i++] = n;
    sdict_iter_done(&it);
    return all;
}

/* ---------------- scan ---------------- */

static void scan_bucket(struct sdict_node *n, sdict_scan_fn *fn, void *priv)
{
    while (n) {
        struct sdict_node *next = n->next;
        fn(priv, n);
        n = next;
    }
}

uint64_t sdict_scan(struct sdict *d, uint64_t cursor, sdict_scan_fn *fn, void *priv)
{
    if (sdict_size(d) == 0)
        return 0;
    uint64_t v = cursor;
    if (!is_rehashing(d)) {
        uint64_t mask = d->t[0].size - 1;
        scan_bucket(d->t[0].buckets[v & mask], fn, priv);
        return scan_cursor_next(v, mask);
    }
    const struct sdict_table *small = &d->t[0], *big = &d->t[1];
    if (small->size > big->size) {
        small = &d->t[1];
        big = &d->t[0];
    }
    uint64_t m0 = small->size - 1, m1 = big->size - 1;
    scan_bucket(small->buckets[v & m0], fn, priv);
    do {
        scan_bucket(big->buckets[v & m1], fn, priv);
        v = scan_cursor_next(v, m1);
    } while (v & (m0 ^ m1));
    return v;
}

/* ---------------- iteration ---------------- */

void sdict_iter_init(struct sdict_iter *it, struct sdict *d)
{
    it->d = d;
    it->table = 0;
    it->bucket = 0;
    it->next = NULL;
    d->iterators++;
}

struct sdict_node *sdict_iter_next(struct sdict_iter *it)
{
    struct sdict *d = it->d;
    while (!it->next) {
        if (it->table > 1)
            return NULL;
        struct sdict_table *tab = &d->t[it->table];
        if (it->bucket >= tab->size) {
            /* t[1] holds nodes only while rehashing (no rehash step or
             * resize starts while we are open, so this is stable). */
            it->table = (it->table == 0 && is_rehashing(d)) ? 1 : 2;
            it->bucket = 0;
            continue;
        }
        it->next = tab->buckets[it->bucket++];
    }
    struct sdict_node *n = it->next;
    it->next = n->next;
    return n;
}

void sdict_iter_done(struct sdict_iter *it)
{
    struct sdict *d = it->d;
    assert(d->iterators > 0);
    if (--d->iterators == 0)
        shrink_if_needed(d); /* unlinks during the iteration may have left it sparse */
}
