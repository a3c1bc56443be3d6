/*
 * lazyfree.h - the engine's background freeing thread (shards/lazyfree.c):
 * big values unlinked by UNLINK, FLUSHDB ASYNC, lazy eviction ... are freed
 * there, off the shard threads. What goes to it is decided in
 * core/types/lazyfree.h.
 *
 * Threads: lazyfree_thread_install once at start-up (main thread, or a
 * unit test's setup); the counters are atomics any thread may read.
 */
#ifndef SHARDIS_SHARDS_LAZYFREE_H
#define SHARDIS_SHARDS_LAZYFREE_H

#include <stddef.h>

/* Makes lazyfree_entry/lazyfree_db_clear hand big values to the thread
 * (started on first use). Before it they are freed at once. */
void lazyfree_thread_install(void);
/* Objects queued and not yet freed (INFO lazyfree_pending_objects). */
size_t lazyfree_pending(void);
/* Objects freed by the background thread since start (INFO lazyfreed_objects). */
size_t lazyfree_freed(void);
/* Waits until the queue is empty (tests, shutdown). */
void lazyfree_drain(void);

#endif
