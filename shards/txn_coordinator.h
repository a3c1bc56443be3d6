/*
 * txn_coordinator.h - the coordinator's side of a cross-shard transaction:
 * a command whose keys span shards, an EXEC, or a global barrier (FLUSHALL,
 * SWAPDB, SAVE ...) locks its keys on every shard involved, runs its body,
 * then unlocks.
 *
 * Transaction code, one home, all in shards/txn*:
 *   txn.c/.h             the participant's tables (lock table, WATCH table),
 *                        owned by each shard thread;
 *   txn_coordinator.c/.h the locking protocol run by the client's thread;
 *   txn_exec.c           MULTI queueing, WATCH and EXEC (the client's side of
 *                        a transaction, built on the coordinator).
 * The participant's handling of SUB_LOCK, SUB_UNLOCK and SUB_EXEC is in
 * shards/shard.c (it runs there with the shard's other sub-requests).
 *
 * Thread: the thread that owns the client (the coordinator). A struct txn
 * belongs to one request (r->tx) and is read by no other thread; the
 * shards see only what its sub-requests carry (key hashes, modes, watched
 * keys, the opaque struct lock_req they granted).
 */
#ifndef SHARDIS_TXN_COORDINATOR_H
#define SHARDIS_TXN_COORDINATOR_H

#include <stdint.h>

#include "core/commands/command.h"
#include "shards/request.h"
#include "shards/shard.h"

/*
 * Phases:
 *
 *   TXN_TRY      SUB_LOCK to every shard involved at once; each shard grants
 *                its part only if no holder or earlier waiter conflicts, and
 *                checks the watched keys it holds. All granted: TXN_BODY.
 *   TXN_BACKOFF  some shard refused: release what was granted, then
 *   TXN_ORDERED  lock shard by shard in increasing shard id, waiting in each
 *                shard's FIFO queue. Waits happen only in this order (a try
 *                never waits), so no cycle of waits, hence no deadlock; FIFO
 *                queues without overtaking mean no starvation.
 *   TXN_BODY     the command runs through the normal machinery; its
 *                sub-requests carry SUBF_TX (no lock check). A one-step body
 *                releases each shard's locks with its sub-request there
 *                (SUBF_RELEASE), so MSET/MGET across shards cost two hops.
 *   TXN_UNLOCK   SUB_UNLOCK to the shards still locked, then the reply.
 *
 * The client is paused (barrier) until the locks are held, so none of its
 * later commands can overtake the transaction: afterwards they queue behind
 * its locks (see txn_start_body).
 */
enum txn_phase { TXN_TRY, TXN_BACKOFF, TXN_ORDERED, TXN_BODY, TXN_UNLOCK };

/* What runs once the locks are held. */
typedef void txn_body_fn(struct shard *s, struct request *r);

struct txn_part {
    int used;
    int global;
    int nkeys, cap;
    uint64_t *keys;
    unsigned char *modes;
    int nwatch, watch_cap;
    struct watch_key *watch; /* shallow copies: key bytes stay in the request */
    struct lock_req *lock;   /* held on that shard; opaque here */
};

struct txn {
    enum txn_phase phase;
    int nshards;
    struct txn_part *parts; /* [nshards] */
    int order[MAX_THREADS]; /* shards involved, increasing */
    int nused;
    int next; /* TXN_ORDERED: index into order */
    int watch_failed;
    int release_with_body;
    int hold_barrier; /* the client stays paused while the body runs (EXEC command by command) */
    int writes;       /* some command of it writes: its parts are logged as one */
    uint64_t log_id;  /* its id in the logs (0 until the body starts) */
    txn_body_fn *body;
};

struct txn *txn_new(int nshards);
void txn_free(struct txn *tx);
/* The parts: a key of a shard in LOCK_SHARED or LOCK_EXCL mode, every shard
 * whole (global barrier), a watched key (checked under its shard's lock),
 * the keys of one command (positions keypos, shards r->shard_of). */
void txn_add_key(struct txn *tx, int shard, uint64_t hash, int mode);
void txn_add_global(struct txn *tx);
void txn_add_watch(struct txn *tx, const struct watch_key *w);
void txn_add_command(struct txn *tx, const struct request *r, const int *keypos, int nkeys);
/* Starts the transaction of r (its parts filled in); the body runs once the
 * locks are held. */
void txn_begin(struct shard *s, struct request *r, struct txn *tx, txn_body_fn *body);
/* Starts a transaction that locks the keys of r's command. */
void txn_begin_command(struct shard *s, struct request *r, txn_body_fn *body);
/* Tags the sub-requests of a body step (no lock check; a one-step body
 * releases with them). */
void txn_tag_subs(struct request *r);
/* A locking or unlocking step of r is done (request_step_done). */
void txn_continue(struct shard *s, struct request *r);
/* Sends SUB_UNLOCK to the shards still locked and enters `phase`; returns 0
 * when none is locked. */
int txn_send_unlocks(struct shard *s, struct request *r, enum txn_phase phase);

#endif
