/*
 * ring.h - bounded lock-free single-producer single-consumer ring of pointers.
 *
 * Exactly one thread pushes and exactly one other thread pops. The producer
 * publishes with a release store of `tail`, the consumer with a release store
 * of `head`; each side caches the other's index to avoid touching the shared
 * cache line on every operation. Head and tail live on separate cache lines.
 * A pushed pointer and everything written through it before the push are
 * visible to the consumer after it pops it (release/acquire).
 */
#ifndef SHARDIS_RING_H
#define SHARDIS_RING_H

#include <stdbool.h>
#include <stddef.h>

struct spsc_ring;

/* capacity is rounded up to a power of two (at least 2). NULL on failure. */
struct spsc_ring *ring_create(size_t capacity);
void ring_destroy(struct spsc_ring *r);
/* Producer side. Returns false when full. msg must not be NULL. */
bool ring_push(struct spsc_ring *r, void *msg);
/* Consumer side. Returns NULL when empty. */
void *ring_pop(struct spsc_ring *r);
/* Consumer side: true when nothing is waiting (acquire load of tail). */
bool ring_empty(struct spsc_ring *r);
size_t ring_capacity(const struct spsc_ring *r);

#endif
