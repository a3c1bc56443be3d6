/*
 * request.c - the life of a request (struct request, shards/request.h): its
 * allocation with copies of the arguments, its place in the client's FIFO,
 * the sub-requests of each step (built, launched, completed), the step
 * that follows, and its end (reply counted and flushed in order, client
 * resumed or freed).
 *
 * Thread: the thread that owns the client (the coordinator). A request is
 * never touched by another thread; other shards see only its sub-requests,
 * which travel in batches over the SPSC rings (shard_send_sub) and come back
 * to dispatch_sub_done on this thread. Sub-requests for this shard run at
 * once (shard_accept_sub) or wait there for a lock.
 *
 * Invariants:
 *   - r->pending counts the current step's sub-requests in flight; the step
 *     is done (request_step_done) exactly once, when it drops to 0;
 *   - only the head of the client's FIFO writes to its output, so replies
 *     leave in request order (client_flush_done_requests);
 *   - a request is freed only when done and no sub-request is in flight;
 *     a finished request may be freed at once: nothing of r is used after
 *     subs_launch or request_finish.
 */
#include "shards/request.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/types/db.h"
#include "persist/aof_log.h"
#include "shards/blocking.h"
#include "shards/dispatch_internal.h"
#include "shards/txn_coordinator.h"

/* A request with copies of the arguments, not yet in the client's FIFO
 * (commands queued by MULTI stay unlinked). */
struct request *request_alloc(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    size_t bytes = 0;
    for (int i = 0; i < argc; i++)
        bytes += argv[i].len;
    size_t size = sizeof(struct request) + argc * (sizeof(struct arg) + sizeof(uint64_t) + sizeof(int)) + bytes;
    struct request *r = calloc(1, size);
    if (!r) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    char *p = (char *)(r + 1);
    r->argv = (struct arg *)p;
    p += argc * sizeof(struct arg);
    r->hashes = (uint64_t *)p;
    p += argc * sizeof(uint64_t);
    r->shard_of = (int *)p;
    p += argc * sizeof(int);
    for (int i = 0; i < argc; i++) {
        memcpy(p, argv[i].ptr, argv[i].len);
        r->argv[i].ptr = p;
        r->argv[i].len = argv[i].len;
        r->shard_of[i] = -1;
        p += argv[i].len;
    }
    r->argc = argc;
    r->client = c;
    r->cmd = cmd;
    r->dbid = c->dbid;
    r->resp = c->resp;
    r->track_reads = c->tracking_reads; /* its read-only commands (EXEC's too) record their keys */
    return r;
}

struct request *request_new(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    struct request *r = request_alloc(c, cmd, argc, argv);
    if (c->req_tail)
        c->req_tail->next = r;
    else
        c->req_head = r;
    c->req_tail = r;
    c->npending++;
    r->silent = c->reply_silent;
    return r;
}

void subs_free(struct request *r)
{
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        if (sub->argv != r->argv)
            free(sub->argv);
        if (sub->hashes != r->hashes)
            free(sub->hashes);
        buf_free(&sub->out);
        if (sub->entry)
            entry_free(sub->entry);
    }
    if (r->subs != &r->one_sub)
        free(r->subs);
    r->subs = NULL;
    r->nsubs = 0;
}

void watched_free(struct watch_key *w, int n)
{
    for (int i = 0; i < n; i++)
        free(w[i].key);
    free(w);
}

void request_free(struct request *r)
{
    subs_free(r);
    if (r->entry)
        entry_free(r->entry);
    for (int i = 0; i < r->nqueued; i++)
        if (r->queued[i])
            request_free(r->queued[i]);
    free(r->queued);
    watched_free(r->watched, r->nwatched);
    free(r->exec_cmds);
    free(r->exec_ends);
    free(r->exec_slot);
    if (r->tx && !r->parent)
        txn_free(r->tx);
    buf_free(&r->reply);
    buf_free(&r->scan_keys);
    free(r->pinned);
    free(r);
}

struct subreq *subs_alloc(struct request *r, int n)
{
    subs_free(r);
    if (n == 1) {
        memset(&r->one_sub, 0, sizeof(r->one_sub));
        r->subs = &r->one_sub;
    } else {
        r->subs = calloc(n, sizeof(struct subreq));
    }
    r->nsubs = n;
    r->pending = n;
    for (int i = 0; i < n; i++) {
        r->subs[i].req = r;
        r->subs[i].dbid = r->dbid;
        r->subs[i].resp = r->resp;
        r->subs[i].handler = r->cmd->handler;
        r->subs[i].argv = r->argv;
        r->subs[i].hashes = r->hashes;
        r->subs[i].argc = r->argc;
        r->subs[i].coord = r->client->shard->id;
        r->subs[i].client_id = r->client->id;
        r->subs[i].track_reads = r->track_reads;
    }
    return r->subs;
}

/* Sends every sub-request of the current step: remote ones into batches,
 * local ones run now (or wait for locks). Local completion may finish the
 * request, so nothing of r may be used after this call. */
void subs_launch(struct shard *s, struct request *r)
{
    int n = r->nsubs;
    struct subreq *subs = r->subs;
    if (r->tx)
        txn_tag_subs(r);
    /* One extra count holds the step open while local subs complete. */
    r->pending++;
    for (int i = 0; i < n; i++)
        if (subs[i].shard != s->id)
            shard_send_sub(s, &subs[i]);
    for (int i = 0; i < n; i++)
        if (subs[i].shard == s->id && shard_accept_sub(s, &subs[i]))
            r->pending--; /* cannot reach 0: the hold is still counted */
    if (--r->pending == 0)
        request_step_done(s, r);
}

/* ---------------- building sub-requests ---------------- */

/* Splits the key arguments of r over their shards: one sub-request per shard
 * holding "name key [companions]..." for its keys. with_companions=0 keeps
 * only the keys (MSETNX's existence check). Returns the number of subs. */
int split_by_shard(struct request *r, const int *keypos, int nkeys, int with_companions, cmd_handler *handler,
                   struct shard *s)
{
    int order[MAX_THREADS];
    int count[MAX_THREADS] = {0};
    int nsubs = 0;
    int step = with_companions ? (r->cmd->key_step > 0 ? r->cmd->key_step : 1) : 1;
    for (int k = 0; k < nkeys; k++) {
        int sh = r->shard_of[keypos[k]];
        if (count[sh]++ == 0)
            order[nsubs++] = sh;
    }
    struct subreq *subs = subs_alloc(r, nsubs);
    int sub_of[MAX_THREADS];
    for (int i = 0; i < nsubs; i++) {
        int sh = order[i];
        sub_of[sh] = i;
        subs[i].shard = sh;
        subs[i].handler = handler;
        subs[i].split = r->cmd->merge == MERGE_MGET;
        subs[i].argv = malloc(sizeof(struct arg) * (1 + count[sh] * step));
        subs[i].hashes = malloc(sizeof(uint64_t) * (1 + count[sh] * step));
        subs[i].argv[0] = r->argv[0];
        subs[i].hashes[0] = 0;
        subs[i].argc = 1;
    }
    for (int k = 0; k < nkeys; k++) {
        struct subreq *sub = &subs[sub_of[r->shard_of[keypos[k]]]];
        for (int j = 0; j < step; j++) {
            sub->argv[sub->argc] = r->argv[keypos[k] + j];
            sub->hashes[sub->argc] = j == 0 ? r->hashes[keypos[k]] : 0;
            sub->argc++;
        }
    }
    return nsubs;
}

struct subreq *single_sub(struct request *r, int shard, enum sub_op op, cmd_handler *handler)
{
    struct subreq *sub = subs_alloc(r, 1);
    sub->shard = shard;
    sub->op = op;
    sub->handler = handler;
    return sub;
}

/* Sub-request with its own small argv: name + the given arguments of r. */
void sub_set_args(struct subreq *sub, struct request *r, const int *idx, int n)
{
    sub->argv = malloc(sizeof(struct arg) * (n + 1));
    sub->hashes = malloc(sizeof(uint64_t) * (n + 1));
    sub->argv[0] = r->argv[0];
    sub->hashes[0] = 0;
    for (int i = 0; i < n; i++) {
        sub->argv[i + 1] = r->argv[idx[i]];
        sub->hashes[i + 1] = r->hashes[idx[i]];
    }
    sub->argc = n + 1;
}

/* ---------------- key positions ---------------- */

int all_keys(struct request *r, int *keypos, int max)
{
    return command_key_positions(r->cmd, r->argc, r->argv, keypos, max);
}

/* The key positions of r, each key once (the first position of equal
 * names): a command may name a key twice (SINTERSTORE a a b). Returns n. */
int distinct_keys(struct request *r, int *keypos)
{
    int n = all_keys(r, keypos, r->argc);
    int m = 0;
    for (int i = 0; i < n; i++) {
        const struct arg *a = &r->argv[keypos[i]];
        int seen = 0;
        for (int j = 0; j < m && !seen; j++) {
            const struct arg *b = &r->argv[keypos[j]];
            seen = a->len == b->len && !memcmp(a->ptr, b->ptr, a->len);
        }
        if (!seen)
            keypos[m++] = keypos[i];
    }
    return m;
}

/* The body is done and the locks released: a blocking command that found
 * nothing waits for its keys (unless its client is gone); anything else
 * is finished. */
void request_finish_or_wait(struct shard *s, struct request *r)
{
    if (r->block_retry) {
        if (!r->client->conn.closing) {
            block_wait_start(s, r);
            return;
        }
        r->block_retry = 0;
        reply_null_array(&r->reply, r->resp);
    }
    request_finish(r);
}

void request_body_finished(struct shard *s, struct request *r)
{
    if (r->queued || r->nwatched) { /* EXEC: its keys are no longer watched */
        unwatch_keys(s, r->watched, r->nwatched);
        watched_free(r->watched, r->nwatched);
        r->watched = NULL;
        r->nwatched = 0;
    }
    if (r->tx && !r->parent && txn_send_unlocks(s, r, TXN_UNLOCK))
        return;
    request_finish_or_wait(s, r);
}

/* ---------------- completion ---------------- */

void dispatch_sub_done(struct shard *s, struct subreq *sub)
{
    if (sub->txflags & SUBF_SYNC) { /* a script waits for it (shards/script.c) */
        sub->txflags |= SUBF_SYNC_DONE;
        return;
    }
    struct request *r = sub->req;
    if (sub->block_mode != BLOCK_NONE) {
        sub->block_mode = BLOCK_NONE; /* back: no shard holds it now */
        /* One shard has data for a command blocked on several: call the
         * other registrations back. */
        if (sub->block_status == BLOCK_READY && r->pending > 1)
            block_cancel_parked(s, r);
    }
    if (--r->pending > 0)
        return;
    request_step_done(s, r);
}

/* Every sub-request of the current step is done: take the next step of the
 * transaction, of the EXEC, or of the multi-step command, or finish. */
void request_step_done(struct shard *s, struct request *r)
{
    if (r->tx && !r->parent && r->tx->phase != TXN_BODY) {
        txn_continue(s, r); /* locking or unlocking */
        return;
    }
    if (r->queued && r->aux == CUSTOM_NONE) {
        exec_continue(s, r);
        return;
    }
    if (r->aux != CUSTOM_NONE) {
        if (!custom_continue(s, r))
            return;
    } else if (r->block && r->nsubs == 1 &&
               (r->subs[0].block_status == BLOCK_TIMEOUT || r->subs[0].block_status == BLOCK_CANCELLED)) {
        if (r->unblocked == 2 && r->subs[0].block_status == BLOCK_CANCELLED)
            reply_error(&r->reply, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        else
            reply_null_array(&r->reply, r->resp); /* the timeout reply of every blocking command */
    } else {
        merge_replies(r, &r->reply);
    }
    if (r->client->blocked == r)
        r->client->blocked = NULL;
    request_body_finished(s, r);
}

/* A paused client parses again (from the loop's resume list) once no
 * barrier holds it and its backlog is small. */
void client_maybe_resume(struct client *c)
{
    struct shard *s = c->shard;
    if (c->paused && !c->barrier && c->npending < MAX_PENDING_PER_CLIENT / 2) {
        c->paused = 0;
        if (!c->in_resume_list) {
            c->in_resume_list = 1;
            c->resume_next = s->resume_list;
            s->resume_list = c;
        }
    }
}

void request_finish(struct request *r)
{
    if (r->parent) {
        exec_child_done(r);
        return;
    }
    struct client *c = r->client;
    struct shard *s = c->shard;
    /* This thread's log fails (appendfsync always): a read answered by
     * other shards only (which held it as long as it needed their logs)
     * needs nothing of ours; replies that leave together leave without
     * waiting for our log when each of them is such. */
    int failing = __builtin_expect(s->log_failing, 0);
    if (failing) {
        r->log_free = !(r->cmd->flags & CMD_WRITE) && (!r->tx || !r->tx->writes) && !r->block && r->nsubs > 0;
        for (int i = 0; r->log_free && i < r->nsubs; i++) {
            const struct subreq *sub = &r->subs[i];
            const struct command *cmd = sub->argc > 0 ? command_lookup(sub->argv[0].ptr, sub->argv[0].len) : NULL;
            /* a part run here: its keys are not at risk now, so they were
             * not when it ran (the set only grows while the log fails). The
             * handler check is generic, not a choice by command: the part
             * must run the handler its name says (not a step's helper such
             * as MSETNX's EXISTS) for that command's key specs to apply. */
            r->log_free = sub->op == SUB_INFO ||
                          (sub->op == SUB_HANDLER && cmd && cmd->handler == sub->handler &&
                           (sub->shard != s->id || aof_read_is_durable(s->persist, cmd, sub->argc, sub->argv)));
        }
    }
    uint64_t tag = c->log_tag;
    subs_free(r);
    if (r->reply.len && r->reply.data[0] == '-') {
        shard_count_error(s, r->reply.data, r->reply.len);
        if (r->cmd)
            shard_command_stat(s, r->cmd, r->argc, r->argv)->failed++;
    }
    r->done = 1;
    c->npending--;
    /* Its reply goes out in this iteration: the client is not idle now (the
     * `timeout` check must not close it between the end of a long request,
     * a served BLPOP say, and the send of its reply). */
    c->last_interaction_ms = s->now_ms;
    if (c->barrier == r)
        c->barrier = NULL;
    if (c == s->internal_client) { /* a cut's request (dispatch_cut): nobody reads the reply */
        while ((r = c->req_head) && r->done) {
            c->req_head = r->next;
            if (!c->req_head)
                c->req_tail = NULL;
            request_free(r);
        }
        return;
    }
    int all_free = failing;
    for (struct request *q = c->req_head; all_free && q && q->done; q = q->next)
        all_free = q->log_free;
    client_flush_done_requests(c); /* may free r */
    if (all_free)
        c->log_tag = tag; /* the replies that left need no record of ours */
    client_maybe_resume(c);
    client_maybe_free(c);
}
