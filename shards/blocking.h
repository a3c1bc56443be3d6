/*
 * blocking.h - the clients blocked on keys of one shard (BLPOP, BLMOVE,
 * BZPOPMIN, BLMPOP, BZMPOP ...).
 *
 * Owner: the shard thread. A blocked command is a sub-request parked here
 * (shard_accept_sub returned 0 for it) until one of its keys receives data,
 * its deadline passes or its coordinator cancels it (client gone). Two kinds:
 *   BLOCK_RUN     every key of the command lives on this shard: when a key is
 *                 signalled the handler runs again here (with c->blocking
 *                 set); if it served, the sub completes with its reply, else
 *                 it stays parked.
 *   BLOCK_NOTIFY  the command's keys span shards: the sub is only a
 *                 registration; when one of its keys here is signalled it
 *                 completes at once (status BLOCK_READY) and the coordinator
 *                 runs the command again as a transaction.
 *
 * Fairness: each key has a FIFO of its waiters; a signalled key serves them
 * oldest first, so the client that blocked first is served first, and stops
 * at the first RUN waiter that blocks again (the key is empty). A key serves
 * only waiters of its type (BLPOP a list, BZPOPMIN a sorted set).
 *
 * Isolation: waiters are served between commands, never inside a transaction:
 * a waiter whose keys are locked waits for the release (its key is deferred),
 * so it sees what a whole EXEC or multi-shard command left, as in Redis.
 *
 * Signals come from the shard after a write command, a SUB_PUT or a served
 * waiter (BLMOVE pushes too): shard code calls blocking_signal for every key
 * the write touched, then blocking_serve. Nothing here costs anything while
 * no client is blocked on this shard (blocking_active is one load).
 */
#ifndef SHARDIS_BLOCKING_H
#define SHARDIS_BLOCKING_H

#include <stddef.h>
#include <stdint.h>

struct shard;
struct subreq;
struct command;
struct arg;
struct block_table;

enum block_mode { BLOCK_NONE = 0, BLOCK_RUN = 1, BLOCK_NOTIFY = 2 };
/* subreq->block_status once completed */
enum block_status { BLOCK_SERVED = 0, BLOCK_READY = 1, BLOCK_TIMEOUT = 2, BLOCK_CANCELLED = 3 };

struct block_table *blocktab_new(void);
/* Completes nothing: the shard is exiting and its coordinators are gone. */
void blocktab_free(struct block_table *t);
/* Number of parked sub-requests. */
size_t blocktab_count(const struct block_table *t);

/* Parks sub on its keys (positions from the command table, or for NOTIFY
 * subs argv[1..argc-1] are the keys) and returns 1; returns 0 with status
 * BLOCK_CANCELLED when its coordinator already cancelled it (the client
 * left while the sub waited for a lock): the caller completes it. */
int blocking_park(struct shard *s, struct subreq *sub);
/* A key of db dbid may have received data. */
void blocking_signal(struct shard *s, int dbid, uint64_t hash, const char *key, size_t klen);
/* Signals every key argument of a command that ran with these arguments. */
void blocking_signal_command(struct shard *s, int dbid, const struct command *cmd, int argc, const struct arg *argv,
                             const uint64_t *hashes);
/* Serves the waiters of the signalled keys whose keys no transaction holds
 * (the others wait for the next call: the shard calls it after it releases
 * locks). */
void blocking_serve(struct shard *s);
/* Can key (of db dbid) serve the blocked command of sub: it exists and holds
 * the type the command pops (a list, or a sorted set for BZ*)? */
int blocking_key_serves(struct shard *s, const struct subreq *sub, int dbid, uint64_t hash, const char *key,
                        size_t klen);
/* Completes the parked subs whose deadline is <= now_ms (all of them when
 * `all`) with BLOCK_TIMEOUT; returns the earliest remaining deadline, 0 for
 * none. */
int64_t blocking_expire(struct shard *s, int64_t now_ms, int all);
/* Completes the parked sub with this sequence number with BLOCK_CANCELLED;
 * if none is parked, remembers the number so that the sub is refused when
 * it parks later. */
void blocking_cancel(struct shard *s, uint64_t seq);

static inline int blocking_active(const struct block_table *t)
{
    return t && *(const size_t *)t != 0;
}

#endif
