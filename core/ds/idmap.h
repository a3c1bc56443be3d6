/*
 * idmap.h - an ordered map from 128-bit stream ids (ms, seq) to pointers:
 * the index of a stream's listpack nodes (key = the node's master id) and
 * the pending entries lists of consumer groups and consumers.
 *
 * Why not a radix tree: Redis keys its rax by the 16-byte big-endian id, so
 * the tree's order is the ids' numeric order. Every key of our maps is such
 * an id, so a sorted array of (ms, seq, value) items gives the same order
 * and the same lookups (binary search, O(log n)) with 24 bytes per item and
 * no per-node allocation. The access pattern of streams makes the array's
 * weak spot rare: entries are appended at the tail (XADD, XREADGROUP '>'
 * deliveries) and removed at the head (trimming, in-order XACK). The array
 * is a deque: `head` items of room before the first item, so removing the
 * first item and appending the last are O(1) amortized; only an insert or
 * removal in the middle (XDEL emptying a middle node, XCLAIM of an old id,
 * an out-of-order XACK) moves the items behind it (a memmove of 24 bytes
 * per item, toward the nearer end).
 *
 * Ownership: the map owns its array, never the values; idmap_clear calls
 * the given destructor for each value. Threads: none shared; the map
 * belongs to the thread that owns its stream.
 */
#ifndef SHARDIS_IDMAP_H
#define SHARDIS_IDMAP_H

#include <stddef.h>
#include <stdint.h>

struct idmap_item {
    uint64_t ms, seq;
    void *val;
};

struct idmap {
    struct idmap_item *items; /* cap slots; the live ones are [head, head + count) */
    size_t head, count, cap;
};

static inline int idmap_cmp(uint64_t ams, uint64_t aseq, uint64_t bms, uint64_t bseq)
{
    if (ams != bms)
        return ams < bms ? -1 : 1;
    if (aseq != bseq)
        return aseq < bseq ? -1 : 1;
    return 0;
}

void idmap_init(struct idmap *m);
/* Frees the array (and each value with free_val when not NULL); the map is
 * empty and usable afterwards. */
void idmap_clear(struct idmap *m, void (*free_val)(void *));
static inline size_t idmap_size(const struct idmap *m)
{
    return m->count;
}
/* The i-th item in id order (0 <= i < size); valid until the next change. */
static inline struct idmap_item *idmap_at(const struct idmap *m, size_t i)
{
    return &m->items[m->head + i];
}
/* Position of the first item >= (ms, seq): size when none. */
size_t idmap_seek_ge(const struct idmap *m, uint64_t ms, uint64_t seq);
/* Position of the last item <= (ms, seq): -1 when none. */
long idmap_seek_le(const struct idmap *m, uint64_t ms, uint64_t seq);
/* The value stored under (ms, seq), or NULL. */
void *idmap_find(const struct idmap *m, uint64_t ms, uint64_t seq);
/* Inserts (ms, seq) -> val; 0 (nothing changed) when the id is present. */
int idmap_insert(struct idmap *m, uint64_t ms, uint64_t seq, void *val);
/* Removes the i-th item and returns its value. */
void *idmap_remove_at(struct idmap *m, size_t i);
/* Removes (ms, seq); returns its value or NULL when absent. */
void *idmap_remove(struct idmap *m, uint64_t ms, uint64_t seq);
/* Bytes the map's array uses. */
size_t idmap_mem(const struct idmap *m);

#endif
