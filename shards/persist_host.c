/*
 * persist_host.c - what the engine hands down to persist/ (see
 * persist/persist_shard.h): the view of a shard, the callbacks persist
 * calls back into the engine, and the final cut at shutdown (a global
 * rendezvous of the shards: engine work, not persist's).
 *
 * Threads: shard_persist_attach runs on the main thread before the shard
 * threads start. release_held runs on the shard's own thread (called by
 * persist from the shard's loop). shard_final_cut runs on every shard's
 * thread after its loop, and meets the others under final_lock.
 *
 * Invariants: a view lives as long as its shard; persist writes only the
 * log positions and `log` in it; the final cut starts only when every
 * shard has stopped its loop and abandoned its part of any running
 * snapshot, and exactly one shard claims the snapshot slot for it.
 */
#include "shards/persist_host.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/base/log.h"
#include "core/base/server.h"
#include "persist/persist_shard.h"
#include "persist/snapshot.h"
#include "shards/client.h"
#include "shards/shard.h"
#include "shards/txn.h"

/* The log is durable up to s->log_durable (or output no longer waits):
 * the clients whose output waited for it may send. Reply batches held for
 * the log are released by the loop (flush_outgoing). */
static void release_held(void *host)
{
    struct shard *s = host;
    struct client **pp = &s->held_clients;
    while (*pp) {
        struct client *c = *pp;
        if (c->log_tag <= s->log_durable || !s->log_hold) {
            *pp = c->held_next;
            c->in_held_list = 0;
            client_link_flush(c);
        } else {
            pp = &c->held_next;
        }
    }
}

static const struct persist_host_ops host_ops = {
    .release_held = release_held,
};

struct persist_shard *shard_persist_attach(struct shard *s)
{
    struct persist_shard *p = calloc(1, sizeof(*p));
    p->id = s->id;
    p->srv = s->srv;
    p->dbs = s->dbs;
    p->ndbs = s->ndbs;
    p->ring = &s->ring;
    p->tag_aof = TAG_AOF;
    p->tag_snap = TAG_SNAP;
    p->tag_mask = TAG_MASK;
    p->now_ms = &s->now_ms;
    p->cfg = &s->cfg;
    p->stopping = &s->stopping;
    p->stats = &s->stats;
    p->ops = &host_ops;
    p->host = s;
    p->log_appended = &s->log_appended;
    p->log_durable = &s->log_durable;
    p->log_hold = &s->log_hold;
    p->log_failing = &s->log_failing;
    p->log_lazy = &s->log_lazy;
    p->log = &s->log;
    s->persist = p;
    return p;
}

/* ---------------- the final cut (shutdown) ---------------- */

static pthread_mutex_t final_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t final_cond = PTHREAD_COND_INITIALIZER;
static int final_arrived; /* under final_lock: shards at the rendezvous */
static int final_claimed; /* under final_lock: the slot is claimed */

void shard_final_cut(struct shard *s)
{
    snap_shard_abandon(s->persist);
    if (!snap_shutdown_save_wanted(s->srv))
        return;
    /* Wait for every shard: then no loop runs and no part of the abandoned
     * snapshot can still finish. */
    pthread_mutex_lock(&final_lock);
    final_arrived++;
    pthread_cond_broadcast(&final_cond);
    while (final_arrived < s->srv->nshards)
        pthread_cond_wait(&final_cond, &final_lock);
    if (!final_claimed) {
        final_claimed = 1;
        snap_prepare_final(s->srv);
    }
    pthread_mutex_unlock(&final_lock);
    /* Every loop has stopped: the cut is one point unless the drain
     * deadline ended a loop while a transaction still held locks here. */
    if (!locktab_idle(s->locks))
        server_log(LL_WARNING,
                   "Shard %d stopped with a transaction still running: the final snapshot may hold part of it", s->id);
    char err[512];
    snap_shard_begin(s->persist, err, sizeof(err));
}
