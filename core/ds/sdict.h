/*
 * sdict.h - a hash table of byte-string keys, the "hashtable" encoding of
 * large hashes (field -> value), sets (member) and sorted sets (member ->
 * score, next to the skip list).
 *
 * Each element is one node: chain link, cached 64-bit hash, key length, the
 * key bytes inline, and one value word the owner uses as it likes (a value
 * blob pointer for hashes, nothing for sets, the score or a skip-list node
 * for sorted sets). The table is the shared engine (core/ds/hashtable.h),
 * as for the keyspace: growth and shrinking are incremental, every operation
 * moves a few buckets of an in-progress rehash, so no single command pays
 * for rehashing millions of elements. SCAN uses Redis's reverse-binary
 * cursor (every element present for the whole scan is returned at least
 * once, even across resizes).
 *
 * Ownership: the table owns its nodes; values referenced from v are the
 * caller's (sdict_free takes a callback to free them). Not thread-safe: it
 * belongs to the shard thread that owns the key.
 */
#ifndef SHARDIS_SDICT_H
#define SHARDIS_SDICT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ds/hashtable.h"

/* Begins with `next` and `hash`, as the engine requires. */
struct sdict_node {
    struct sdict_node *next;
    uint64_t hash;
    union {
        void *ptr;
        double d;
        int64_t i;
    } v;
    uint32_t klen;
    char key[];
};

struct sdict;

struct sdict *sdict_new(void);
/* Frees the table and every node; free_value (may be NULL) is called for each
 * node first. */
void sdict_free(struct sdict *d, void (*free_value)(struct sdict_node *n));
size_t sdict_size(const struct sdict *d);
/* Sizes the table for n elements at once (e.g. before converting a listpack
 * of n entries), so the adds that follow do not rehash. No-op while
 * rehashing or iterating, or when the table is already big enough. */
void sdict_reserve(struct sdict *d, size_t n);

struct sdict_node *sdict_find(struct sdict *d, const char *key, size_t klen);
/* Finds key, or adds a node for it with v zeroed. *added is 1 when added. */
struct sdict_node *sdict_add(struct sdict *d, const char *key, size_t klen, int *added);
/* Unlinks the node for key and returns it (the caller frees it with
 * sdict_node_free after dealing with its value); NULL when absent. */
struct sdict_node *sdict_unlink(struct sdict *d, const char *key, size_t klen);
void sdict_node_free(struct sdict_node *n);

/* A random node, chosen uniformly among the members of a few consecutive
 * buckets from a random start (exactly uniform up to 20 members, nearly so
 * beyond; chain lengths do not skew it); NULL when empty. */
struct sdict_node *sdict_random(struct sdict *d);
/* Many draws with repetition (SRANDMEMBER/HRANDFIELD with a negative
 * count): when `draws` is at least an eighth of the size, returns an array
 * of every node (the caller frees it; draw out[i] for a uniform i, O(1)
 * each); else NULL and the caller uses sdict_random per draw (each costs a
 * walk over a few buckets). */
struct sdict_node **sdict_draw_table(struct sdict *d, unsigned long long draws);

/* Visits the nodes of one cursor step; returns the next cursor (0: done).
 * fn must not change the table. */
/* fn(priv, node): node is a struct sdict_node * (the table's own callback type). */
typedef hashtable_scan_fn sdict_scan_fn;
uint64_t sdict_scan(struct sdict *d, uint64_t cursor, sdict_scan_fn *fn, void *priv);

/* Iteration over every node. The table must not change during it, except
 * that the node last returned may be unlinked (and freed) by the caller. No
 * rehash steps run while an iterator is open. */
struct sdict_iter {
    struct hashtable_iter h;
};
void sdict_iter_init(struct sdict_iter *it, struct sdict *d);
struct sdict_node *sdict_iter_next(struct sdict_iter *it);
void sdict_iter_done(struct sdict_iter *it);

/* Bytes used by buckets and nodes (not the values), for MEMORY USAGE. */
size_t sdict_mem(const struct sdict *d);

#endif
