/*
 * block_wait.c - a blocking command (BLPOP, BLMOVE, BZPOPMIN ...) whose keys
 * span shards, on the coordinator's side. The parked waits themselves are
 * each shard's (shards/blocking.c); a command whose keys are on one shard
 * parks there directly (BLOCK_RUN, see request_route_keys).
 *
 * Thread: the client's thread. Protocol: one BLOCK_NOTIFY registration per
 * shard holding some of the keys (a sub-request that stays parked on that
 * shard, with the deadline); the first shard whose key gets data completes
 * its registration (BLOCK_READY), the others are called back with a
 * detached SUB_UNBLOCK naming the registration's block_seq; once every
 * registration is back the command runs again as a transaction over its
 * keys (gathered, shards/multistep.c) and, finding nothing, registers again.
 *
 * Invariants: c->blocked is the client's one waiting request; a
 * registration is cancelled at most once (block_mode goes back to
 * BLOCK_NONE when its sub-request returns); block_seq ids are unique per
 * process (the shard id in the top 16 bits).
 */
#include <stdlib.h>

#include "shards/blocking.h"
#include "shards/dispatch_internal.h"
#include "shards/txn_coordinator.h"

/* Sends SUB_UNBLOCK for every sub of r's step that may still be parked
 * (client gone, or another shard already reported data). A local cancel
 * completes its sub at once, which may finish the step and free r: the
 * step is held open (pending) until every local cancel is done. r may be
 * freed when this returns. */
void block_cancel_parked(struct shard *s, struct request *r)
{
    uint64_t small[8];
    uint64_t *local = r->nsubs <= 8 ? small : malloc(sizeof(uint64_t) * r->nsubs);
    int nlocal = 0;
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        if (sub->block_mode == BLOCK_NONE)
            continue; /* back already */
        if (sub->shard == s->id) {
            local[nlocal++] = sub->block_seq;
            continue;
        }
        struct subreq *cancel = calloc(1, sizeof(*cancel));
        cancel->op = SUB_UNBLOCK;
        cancel->shard = sub->shard;
        cancel->coord = s->id;
        cancel->txflags = SUBF_DETACHED;
        cancel->result = (int64_t)sub->block_seq;
        shard_send_sub(s, cancel);
    }
    r->pending++;
    for (int i = 0; i < nlocal; i++)
        blocking_cancel(s, local[i]);
    if (local != small)
        free(local);
    if (--r->pending == 0)
        request_step_done(s, r);
}

uint64_t next_block_seq(struct shard *s)
{
    return ((uint64_t)s->id << 48) | (++s->block_seq & ((1ULL << 48) - 1));
}

/*
 * A blocking command whose keys span shards found nothing: register on each
 * shard holding some of its keys (BLOCK_NOTIFY subs, one per shard). The
 * first shard whose key gets data completes its registration; the others
 * are then cancelled, and once all are back the command runs again as a
 * transaction (block_wait_done). Timeouts are each shard's: every
 * registration carries the deadline.
 */
void block_wait_start(struct shard *s, struct request *r)
{
    r->block_retry = 0;
    if (r->tx) {
        txn_free(r->tx);
        r->tx = NULL;
    }
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = split_by_shard(r, keypos, distinct_keys(r, keypos), 0, r->cmd->handler, s);
    free(keypos);
    for (int i = 0; i < n; i++) {
        struct subreq *sub = &r->subs[i];
        sub->block_mode = BLOCK_NOTIFY;
        sub->block_deadline = r->block_deadline;
        sub->block_seq = next_block_seq(s);
    }
    r->aux = CUSTOM_BLOCK_WAIT;
    r->step = 0;
    r->client->blocked = r;
    subs_launch(s, r);
}

/* Every registration is back: run again, or reply the timeout. */
int block_wait_done(struct shard *s, struct request *r, struct buf *out)
{
    struct client *c = r->client;
    int ready = 0;
    for (int i = 0; i < r->nsubs; i++)
        ready |= r->subs[i].block_status == BLOCK_READY;
    if (c->blocked == r)
        c->blocked = NULL;
    if (c->conn.closing || !ready || r->unblocked) {
        /* every registration timed out on its shard, or was cancelled */
        if (r->unblocked == 2)
            reply_error(out, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        else
            reply_null_array(out, r->resp);
        return 1;
    }
    r->aux = CUSTOM_NONE;
    r->block_woken = 1; /* handlers see cmd_ctx.blocking == 2, as a re-run on one shard */
    txn_begin_command(s, r, body_custom);
    return 0;
}

void dispatch_client_closing(struct client *c)
{
    struct request *r = c->blocked;
    if (!r)
        return;
    /* A local cancel may finish the request at once, and a finished last
     * request frees a closing client: hold it until the caller is done. */
    c->npending++;
    block_cancel_parked(c->shard, r);
    c->npending--;
}

int dispatch_client_unblock(struct client *c, int error)
{
    struct request *r = c->blocked;
    if (!r || c->conn.closing || r->unblocked)
        return 0;
    r->unblocked = error ? 2 : 1;
    /* Redis 7.0 counts every CLIENT UNBLOCK as a failed call of the
     * blocked command (the ERROR form's reply is not counted again). */
    if (!error)
        shard_command_stat(c->shard, r->cmd, r->argc, r->argv)->failed++;
    c->npending++; /* as dispatch_client_closing: the cancel may finish r at once */
    block_cancel_parked(c->shard, r);
    c->npending--;
    return 1;
}
