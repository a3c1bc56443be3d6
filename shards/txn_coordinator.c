/*
 * txn_coordinator.c - the coordinator's side of cross-shard transactions
 * (see txn_coordinator.h for the phases): builds each shard's part (keys
 * and modes, watched keys, or the whole shard), sends SUB_LOCK (try all at
 * once, else in shard order), runs the body once every part is granted and
 * sends SUB_UNLOCK at the end.
 *
 * Thread: the thread that owns the client. It speaks with the shards only
 * through sub-requests (shards/shard.h): SUB_LOCK (reply: granted or not,
 * the lock_req to release later, whether a watched key changed),
 * SUB_UNLOCK, and the body's own sub-requests tagged SUBF_TX (run without
 * lock checks) and, for a one-step body, SUBF_RELEASE (the shard releases
 * its part after running it).
 *
 * Invariants: waits happen only in increasing shard order (no deadlock);
 * every granted part is released exactly once (by SUB_UNLOCK or by a
 * SUBF_RELEASE sub-request), before the reply leaves; a struct txn is
 * owned by its top-level request (an EXEC's queued commands share it).
 */
#include "shards/txn_coordinator.h"

#include <stdlib.h>

#include "persist/aof_log.h"
#include "shards/dispatch_internal.h"
#include "shards/txn.h"

struct txn *txn_new(int nshards)
{
    struct txn *tx = calloc(1, sizeof(*tx));
    tx->nshards = nshards;
    tx->parts = calloc(nshards, sizeof(struct txn_part));
    return tx;
}

void txn_free(struct txn *tx)
{
    if (!tx)
        return;
    for (int i = 0; i < tx->nshards; i++) {
        free(tx->parts[i].keys);
        free(tx->parts[i].modes);
        free(tx->parts[i].watch);
    }
    free(tx->parts);
    free(tx);
}

void txn_add_key(struct txn *tx, int shard, uint64_t hash, int mode)
{
    struct txn_part *p = &tx->parts[shard];
    p->used = 1;
    if (p->global)
        return;
    if (p->nkeys == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 8;
        p->keys = realloc(p->keys, sizeof(uint64_t) * p->cap);
        p->modes = realloc(p->modes, p->cap);
    }
    p->keys[p->nkeys] = hash;
    p->modes[p->nkeys++] = (unsigned char)mode;
}

void txn_add_global(struct txn *tx)
{
    for (int i = 0; i < tx->nshards; i++) {
        tx->parts[i].used = 1;
        tx->parts[i].global = 1;
        tx->parts[i].nkeys = 0;
    }
}

void txn_add_watch(struct txn *tx, const struct watch_key *w)
{
    struct txn_part *p = &tx->parts[w->shard];
    txn_add_key(tx, w->shard, w->hash, LOCK_SHARED);
    if (p->nwatch == p->watch_cap) {
        p->watch_cap = p->watch_cap ? p->watch_cap * 2 : 4;
        p->watch = realloc(p->watch, sizeof(struct watch_key) * p->watch_cap);
    }
    p->watch[p->nwatch++] = *w;
}

/* Adds the keys of one command (positions keypos, shards r->shard_of). */
void txn_add_command(struct txn *tx, const struct request *r, const int *keypos, int nkeys)
{
    int mode = (r->cmd->flags & CMD_WRITE) ? LOCK_EXCL : LOCK_SHARED;
    tx->writes |= (r->cmd->flags & CMD_WRITE) != 0;
    for (int k = 0; k < nkeys; k++)
        txn_add_key(tx, r->shard_of[keypos[k]], r->hashes[keypos[k]], mode);
}

static void txn_lock_sub(struct txn *tx, struct subreq *sub, int shard, int wait)
{
    struct txn_part *p = &tx->parts[shard];
    sub->shard = shard;
    sub->op = SUB_LOCK;
    sub->txflags = wait ? SUBF_WAIT : 0;
    sub->nlockkeys = p->global ? -1 : p->nkeys;
    sub->lockkeys = p->keys;
    sub->lockmodes = p->modes;
    sub->nwatch = p->nwatch;
    sub->watch = p->watch;
}

static void txn_start_body(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    txn_body_fn *body = tx->body;
    tx->phase = TXN_BODY;
    /* Its parts on several shards are logged as one transaction. */
    if (tx->writes && tx->nused > 1 && !tx->watch_failed)
        tx->log_id = aof_new_txn_id(s->persist);
    if (tx->watch_failed) {
        s->stats.txn_watch_aborts++;
        reply_null_array(&r->reply, r->resp);
        request_body_finished(s, r);
        return;
    }
    /* The locks are held: from here on the client's later commands cannot
     * overtake this transaction on its keys (they queue behind its locks,
     * and its body's sub-requests are sent before theirs), so the client
     * may go on parsing while the body runs: pipelined transactions overlap
     * one's locking with the previous one's body. Not for an EXEC run
     * command by command: a SELECT inside it changes the db of the
     * commands parsed after it. */
    if (r->client->barrier == r && !tx->hold_barrier && !r->block) {
        r->client->barrier = NULL;
        client_maybe_resume(r->client);
    }
    body(s, r);
}

/* Starts the transaction of r (its parts filled in); the body runs once the
 * locks are held. */
void txn_begin(struct shard *s, struct request *r, struct txn *tx, txn_body_fn *body)
{
    r->tx = tx;
    tx->body = body;
    tx->nused = 0;
    int global = 0;
    for (int i = 0; i < tx->nshards; i++) {
        if (tx->parts[i].used)
            tx->order[tx->nused++] = i;
        global |= tx->parts[i].global;
    }
    if (tx->nused == 0) {
        txn_start_body(s, r);
        return;
    }
    if (tx->nused > 1)
        s->stats.txn_multi_shard++;
    if (global)
        s->stats.txn_global++;
    tx->phase = TXN_TRY;
    struct subreq *subs = subs_alloc(r, tx->nused);
    for (int i = 0; i < tx->nused; i++)
        txn_lock_sub(tx, &subs[i], tx->order[i], 0);
    subs_launch(s, r);
}

/* Starts a transaction that locks the keys of r's command. */
void txn_begin_command(struct shard *s, struct request *r, txn_body_fn *body)
{
    struct txn *tx = txn_new(s->srv->nshards);
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = all_keys(r, keypos, r->argc);
    txn_add_command(tx, r, keypos, n);
    free(keypos);
    txn_begin(s, r, tx, body);
}

static void txn_lock_next(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    struct subreq *sub = subs_alloc(r, 1);
    txn_lock_sub(tx, sub, tx->order[tx->next], 1);
    subs_launch(s, r);
}

/* Sub-requests of the body: no lock check; a one-step body releases. */
void txn_tag_subs(struct request *r)
{
    struct txn *tx = r->tx;
    if (tx->phase != TXN_BODY)
        return;
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        sub->txflags |= SUBF_TX;
        sub->txn_id = tx->log_id;
        sub->txn_parts = tx->nused;
        struct txn_part *p = &tx->parts[sub->shard];
        if (tx->release_with_body && !r->parent && p->lock) {
            sub->txflags |= SUBF_RELEASE;
            sub->lock = p->lock;
            p->lock = NULL;
        }
    }
}

/* A locking or unlocking step is done. */
void txn_continue(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    switch (tx->phase) {
    case TXN_TRY: {
        int all = 1;
        for (int i = 0; i < r->nsubs; i++) {
            struct subreq *sub = &r->subs[i];
            if (sub->result == 1) {
                tx->parts[sub->shard].lock = sub->lock;
                sub->lock = NULL;
                tx->watch_failed |= sub->watch_failed;
            } else {
                all = 0;
            }
        }
        if (all) {
            txn_start_body(s, r);
            return;
        }
        s->stats.txn_ordered++;
        tx->watch_failed = 0;
        if (txn_send_unlocks(s, r, TXN_BACKOFF)) /* release what was granted */
            return;
        tx->phase = TXN_ORDERED; /* nothing to release */
        tx->next = 0;
        txn_lock_next(s, r);
        return;
    }
    case TXN_BACKOFF:
        tx->phase = TXN_ORDERED;
        tx->next = 0;
        txn_lock_next(s, r);
        return;
    case TXN_ORDERED: {
        struct subreq *sub = &r->subs[0];
        tx->parts[sub->shard].lock = sub->lock;
        sub->lock = NULL;
        tx->watch_failed |= sub->watch_failed;
        if (++tx->next < tx->nused) {
            txn_lock_next(s, r);
            return;
        }
        txn_start_body(s, r);
        return;
    }
    case TXN_UNLOCK:
        request_finish_or_wait(s, r);
        return;
    case TXN_BODY:
        break;
    }
}

/* Sends SUB_UNLOCK to the shards still locked and enters `phase` (back-off
 * after a refused try, or the final unlock); returns 0 when none is locked. */
int txn_send_unlocks(struct shard *s, struct request *r, enum txn_phase phase)
{
    struct txn *tx = r->tx;
    int locked = 0;
    for (int i = 0; i < tx->nused; i++)
        locked += tx->parts[tx->order[i]].lock != NULL;
    if (!locked)
        return 0;
    tx->phase = phase;
    struct subreq *subs = subs_alloc(r, locked);
    int k = 0;
    for (int i = 0; i < tx->nused; i++) {
        struct txn_part *p = &tx->parts[tx->order[i]];
        if (!p->lock)
            continue;
        subs[k].shard = tx->order[i];
        subs[k].op = SUB_UNLOCK;
        subs[k].lock = p->lock;
        if (phase == TXN_UNLOCK) {
            subs[k].txn_id = tx->log_id;
            subs[k].txn_parts = tx->nused;
        }
        p->lock = NULL;
        k++;
    }
    subs_launch(s, r);
    return 1;
}
