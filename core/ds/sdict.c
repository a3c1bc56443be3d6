/*
 * sdict.c - the hash table of byte-string keys behind the "hashtable"
 * encodings (see sdict.h): a thin user of the shared engine
 * (core/ds/hashtable.c), which owns buckets, rehashing, SCAN, random picks
 * and iteration. This file owns the nodes: their layout (next, hash, value
 * word, key inline), their allocation, and the memory count.
 *
 * Owner: the shard thread that owns the key the table belongs to.
 *
 * Invariants: every linked node was allocated by sdict_add with its key's
 * key_hash; node_bytes is the sum of malloc_usable_size of the linked nodes,
 * kept on every add and unlink, so sdict_mem is O(1).
 */
#include <malloc.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/ds/hashtable.h"
#include "core/ds/sdict.h"

HASHTABLE_ENTRY_CHECK(struct sdict_node);

struct sdict {
    struct hashtable ht;
    size_t node_bytes; /* malloc_usable_size of every linked node */
};

static int node_key_eq(const void *entry, const void *key, size_t klen)
{
    const struct sdict_node *n = entry;
    return n->klen == klen && memcmp(n->key, key, klen) == 0;
}

static uint64_t node_hash(const void *key, size_t klen)
{
    return key_hash(key, klen);
}

static void node_destroy(void *entry)
{
    free(entry);
}

static const struct hashtable_type sdict_type = {
    .key_eq = node_key_eq,
    .hash = node_hash,
    .destroy = node_destroy,
};

struct sdict *sdict_new(void)
{
    struct sdict *d = malloc(sizeof(*d));
    if (!d)
        out_of_memory(sizeof(*d));
    hashtable_init(&d->ht, &sdict_type);
    d->node_bytes = 0;
    return d;
}

static void free_with_value(void *priv, void *entry)
{
    void (*free_value)(struct sdict_node *) = *(void (**)(struct sdict_node *))priv;
    free_value(entry);
    free(entry);
}

void sdict_free(struct sdict *d, void (*free_value)(struct sdict_node *n))
{
    if (!d)
        return;
    if (free_value)
        hashtable_clear(&d->ht, free_with_value, &free_value);
    else
        hashtable_clear(&d->ht, NULL, NULL);
    free(d);
}

size_t sdict_size(const struct sdict *d)
{
    return hashtable_size(&d->ht);
}

void sdict_node_free(struct sdict_node *n)
{
    free(n);
}

size_t sdict_mem(const struct sdict *d)
{
    return sizeof(*d) + hashtable_buckets(&d->ht) * sizeof(struct sdict_node *) + d->node_bytes;
}

void sdict_reserve(struct sdict *d, size_t n)
{
    hashtable_reserve(&d->ht, n);
}

struct sdict_node *sdict_find(struct sdict *d, const char *key, size_t klen)
{
    if (sdict_size(d) == 0)
        return NULL;
    return hashtable_find_with(&d->ht, key_hash(key, klen), key, klen, node_key_eq);
}

struct sdict_node *sdict_add(struct sdict *d, const char *key, size_t klen, int *added)
{
    uint64_t hash = key_hash(key, klen);
    struct sdict_node *n = hashtable_find_with(&d->ht, hash, key, klen, node_key_eq);
    if (n) {
        if (added)
            *added = 0;
        return n;
    }
    size_t size = offsetof(struct sdict_node, key) + klen;
    n = malloc(size);
    if (!n)
        out_of_memory(size);
    n->hash = hash;
    n->v.i = 0;
    n->klen = (uint32_t)klen;
    memcpy(n->key, key, klen);
    hashtable_insert(&d->ht, n);
    d->node_bytes += malloc_usable_size(n);
    if (added)
        *added = 1;
    return n;
}

struct sdict_node *sdict_unlink(struct sdict *d, const char *key, size_t klen)
{
    if (sdict_size(d) == 0)
        return NULL;
    struct sdict_node *n = hashtable_pop(&d->ht, key_hash(key, klen), key, klen);
    if (n)
        d->node_bytes -= malloc_usable_size(n);
    return n;
}

struct sdict_node *sdict_random(struct sdict *d)
{
    return hashtable_fair_random(&d->ht);
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

uint64_t sdict_scan(struct sdict *d, uint64_t cursor, sdict_scan_fn *fn, void *priv)
{
    return hashtable_scan(&d->ht, cursor, fn, priv);
}

void sdict_iter_init(struct sdict_iter *it, struct sdict *d)
{
    hashtable_iter_init(&it->h, &d->ht);
}

struct sdict_node *sdict_iter_next(struct sdict_iter *it)
{
    return hashtable_iter_next(&it->h);
}

void sdict_iter_done(struct sdict_iter *it)
{
    hashtable_iter_done(&it->h);
}
