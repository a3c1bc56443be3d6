/*
 * ring.c - bounded lock-free single-producer single-consumer ring of
 * pointers, see ring.h.
 *
 * Layout and protocol:
 *
 *   - `tail` counts pushes and is written only by the producer; `head` counts
 *     pops and is written only by the consumer. Both run freely (they wrap
 *     modulo 2^64, never in practice); slot i lives at slots[i & mask]. The
 *     ring holds tail - head messages, 0 <= tail - head <= capacity.
 *   - The producer fills slots[tail & mask], then publishes with a release
 *     store of tail + 1. The consumer observes tail with an acquire load, so
 *     the slot and everything the producer wrote before pushing are visible
 *     when it reads the slot.
 *   - Symmetrically the consumer reads the slot, then frees it with a release
 *     store of head + 1; the producer observes head with an acquire load
 *     before it overwrites a slot, so the consumer's read happens-before the
 *     overwrite.
 *   - Each side keeps a private copy of the other side's index and reloads it
 *     only when that copy says "full" (producer) or "empty" (consumer). In a
 *     busy ring most operations therefore touch only their own cache line.
 *
 * Cache lines: line 1 holds tail and the producer's copy of head (written by
 * the producer only), line 2 holds head and the consumer's copy of tail
 * (written by the consumer only), line 3 onwards holds mask and the slots,
 * written by the producer and read by the consumer one slot at a time.
 * Nothing else shares these lines because the whole ring is allocated
 * aligned to a line.
 *
 * Threads: exactly one producer thread and one consumer thread per ring.
 */
#include "shards/ring.h"

#include <assert.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#define RING_CACHE_LINE 64

struct spsc_ring {
    /* producer's line */
    alignas(RING_CACHE_LINE) _Atomic size_t tail;
    size_t producer_head_copy;
    /* consumer's line */
    alignas(RING_CACHE_LINE) _Atomic size_t head;
    size_t consumer_tail_copy;
    /* read-only after creation, then the slots */
    alignas(RING_CACHE_LINE) size_t mask;
    void *slots[];
};

struct spsc_ring *ring_create(size_t capacity)
{
    size_t cap = 2;
    while (cap < capacity) {
        if (cap > SIZE_MAX / 2)
            return NULL;
        cap *= 2;
    }
    if (cap > (SIZE_MAX - sizeof(struct spsc_ring) - RING_CACHE_LINE) / sizeof(void *))
        return NULL;
    /* aligned_alloc wants a size that is a multiple of the alignment. */
    size_t bytes = sizeof(struct spsc_ring) + cap * sizeof(void *);
    bytes = (bytes + RING_CACHE_LINE - 1) & ~(size_t)(RING_CACHE_LINE - 1);
    struct spsc_ring *r = aligned_alloc(RING_CACHE_LINE, bytes);
    if (!r)
        return NULL;
    atomic_init(&r->tail, 0);
    atomic_init(&r->head, 0);
    r->producer_head_copy = 0;
    r->consumer_tail_copy = 0;
    r->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        r->slots[i] = NULL;
    return r;
}

void ring_destroy(struct spsc_ring *r)
{
    free(r);
}

bool ring_push(struct spsc_ring *r, void *msg)
{
    assert(msg != NULL); /* NULL is ring_pop's "empty" */
    /* Only this thread writes tail: a relaxed load reads our own last store. */
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    if (tail - r->producer_head_copy > r->mask) {
        r->producer_head_copy = atomic_load_explicit(&r->head, memory_order_acquire);
        if (tail - r->producer_head_copy > r->mask)
            return false;
    }
    r->slots[tail & r->mask] = msg;
    atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
    return true;
}

void *ring_pop(struct spsc_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    if (head == r->consumer_tail_copy) {
        r->consumer_tail_copy = atomic_load_explicit(&r->tail, memory_order_acquire);
        if (head == r->consumer_tail_copy)
            return NULL;
    }
    void *msg = r->slots[head & r->mask];
    atomic_store_explicit(&r->head, head + 1, memory_order_release);
    return msg;
}

bool ring_empty(struct spsc_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    r->consumer_tail_copy = atomic_load_explicit(&r->tail, memory_order_acquire);
    return head == r->consumer_tail_copy;
}

size_t ring_capacity(const struct spsc_ring *r)
{
    return r->mask + 1;
}
