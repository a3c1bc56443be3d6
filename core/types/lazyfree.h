/*
 * lazyfree.h - freeing big values off the shard threads (UNLINK, FLUSHDB
 * ASYNC, and DEL/FLUSH when lazyfree-lazy-user-del/-flush say so).
 *
 * Freeing a collection of 10 million elements takes hundreds of
 * milliseconds; a shard thread that did it would stall every client of the
 * shard. As Redis's lazyfree, the value is unlinked by the shard (so the key
 * is gone at once for everybody) and handed to one background thread that
 * frees it. Small values (at most LAZYFREE_THRESHOLD elements) are freed at
 * once: handing them over would cost more than freeing them.
 *
 * Thread safety: the queue is the only shared state (a mutex and a
 * condition variable; the path is not hot). What is handed over is no
 * longer reachable from any shard, so the background thread owns it alone.
 */
#ifndef SHARDIS_LAZYFREE_H
#define SHARDIS_LAZYFREE_H

#include <stddef.h>

#include "core/types/db.h"
#include "core/types/object.h"

/* Redis's LAZYFREE_THRESHOLD: values with more elements go to the thread. */
#define LAZYFREE_THRESHOLD 64

/* Frees an unlinked entry, in the background when it is big. */
void lazyfree_entry(struct db_entry *e);
/* Empties db at once; its old contents are freed in the background. */
void lazyfree_db_clear(struct db *db);
/* Objects queued and not yet freed (INFO lazyfree_pending_objects). */
size_t lazyfree_pending(void);
/* Objects freed by the background thread since start (INFO lazyfreed_objects). */
size_t lazyfree_freed(void);
/* Waits until the queue is empty (tests, shutdown). */
void lazyfree_drain(void);

#endif
