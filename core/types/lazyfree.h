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
 * This layer decides what is freed later and detaches it; the thread that
 * frees it belongs to the engine (shards/lazyfree.c), which installs itself
 * as the background hook at start-up. Without one (pure unit tests) every
 * value is freed at once, on the calling thread.
 *
 * Threads: lazyfree_entry/lazyfree_db_clear run on the shard thread that
 * unlinked the value. Invariant: what is handed over is no longer reachable
 * from any shard, so the background thread owns it alone.
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
/* The engine's background freeing: takes ownership of one unlinked entry
 * (e, db NULL) or of a whole detached db (db, e NULL). Set once at start-up
 * before any shard thread runs; NULL (the default) frees at once. */
typedef void lazyfree_background_fn(struct db_entry *e, struct db *db);
void lazyfree_set_background(lazyfree_background_fn *fn);

#endif
