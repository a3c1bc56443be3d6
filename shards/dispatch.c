/*
 * dispatch.c - routing commands to the shards that own their keys.
 *
 * The coordinator is the thread that owns the client. For each command it:
 *   1. finds the command, checks arity, hashes the keys once (the hashes go
 *      with the command and are reused by the owning shard's table);
 *   2. if every key is on its own shard and no earlier request of the client
 *      is still pending, runs the handler inline and writes the reply straight
 *      into the client's output (the fast path: no copy, no allocation);
 *   3. otherwise makes a struct request (arguments copied), queues it in the
 *      client's request FIFO and creates one sub-request per shard involved.
 *      Sub-requests for the own shard run at once; the others travel in
 *      batches (see shard.h). Replies leave in request order because only
 *      the head of the FIFO may write to the output.
 *
 * Ordering: sub-requests of one client to one shard travel in one FIFO ring,
 * so they run in the order sent. Commands that need several round trips
 * (cross-shard RENAME, COPY, MSETNX, LCS) are barriers: the client stops
 * parsing until they finish, so a later command cannot overtake a step.
 * These multi-step commands are not yet atomic against other clients; the
 * transaction layer (VLL, issue 3) will make them so.
 */
#include "shards/dispatch.h"
#include "shards/request.h"

#include "security/acl.h"
#include "persist/aof_log.h"
#include "security/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shards/blocking.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/base/log.h"
#include "core/types/object.h"
#include "persist/snapshot.h"
#include "shards/txn.h"
#include "core/base/util.h"

/* Engine command handlers (compared against), the eviction pass. */
#include "shards/engine_commands.h"
#include "shards/evict_pass.h"

/* A client stops parsing when this many requests are pending. */
#define MAX_PENDING_PER_CLIENT 512

enum custom_kind {
    CUSTOM_NONE,
    CUSTOM_SCAN,
    CUSTOM_MSETNX,
    CUSTOM_RENAME,
    CUSTOM_RENAMENX,
    CUSTOM_COPY,
    CUSTOM_GATHER,
    CUSTOM_INFO,
    CUSTOM_CLIENT_LIST,
    CUSTOM_CLIENT_KILL,
    CUSTOM_RESETSTAT,
    CUSTOM_CLIENT_UNBLOCK,
    CUSTOM_WATCH,
    CUSTOM_EXEC_ONE_HOP,
    CUSTOM_EXEC_PER_SHARD,
    CUSTOM_BLOCK_WAIT
};

static void request_finish(struct request *r);

/* ---------------- requests ---------------- */

/* A request with copies of the arguments, not yet in the client's FIFO
 * (commands queued by MULTI stay unlinked). */
static struct request *request_alloc(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
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
    return r;
}

static struct request *request_new(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
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

static void subs_free(struct request *r)
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

static void watched_free(struct watch_key *w, int n)
{
    for (int i = 0; i < n; i++)
        free(w[i].key);
    free(w);
}

static void txn_free(struct txn *tx);

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
    free(r);
}

static struct subreq *subs_alloc(struct request *r, int n)
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
    }
    return r->subs;
}

static void txn_tag_subs(struct request *r);
static void request_step_done(struct shard *s, struct request *r);

/* Sends every sub-request of the current step: remote ones into batches,
 * local ones run now (or wait for locks). Local completion may finish the
 * request, so nothing of r may be used after this call. */
static void subs_launch(struct shard *s, struct request *r)
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

/* ---------------- reply parsing for merges ---------------- */

/* Length of the RESP element at p (bulk, null, integer, simple, error). */
static size_t element_len(const char *p, size_t avail)
{
    const char *crlf = memchr(p, '\n', avail);
    if (!crlf)
        return avail;
    size_t head = crlf - p + 1;
    if (p[0] == '$') {
        long long n = strtoll(p + 1, NULL, 10);
        if (n < 0)
            return head;
        return head + n + 2;
    }
    return head;
}

static void merge_replies(struct request *r, struct buf *out)
{
    enum cmd_merge merge = r->cmd->merge;
    if (r->nsubs == 1) /* the whole command ran on one shard: its reply is final */
        merge = MERGE_NONE;
    /* An error from any shard wins (all shards see the same arguments). */
    for (int i = 0; i < r->nsubs; i++) {
        struct buf *b = &r->subs[i].out;
        if (b->len && b->data[0] == '-' && merge != MERGE_MGET) {
            buf_append(out, b->data, b->len);
            return;
        }
    }
    switch (merge) {
    case MERGE_NONE:
        if (out->len == 0) { /* take the sub-reply's storage: no copy */
            struct buf tmp = *out;
            *out = r->subs[0].out;
            r->subs[0].out = tmp;
        } else {
            buf_append(out, r->subs[0].out.data, r->subs[0].out.len);
        }
        break;
    case MERGE_SUM: {
        long long sum = 0;
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].out.len > 1)
                sum += strtoll(r->subs[i].out.data + 1, NULL, 10);
        reply_integer(out, sum);
        break;
    }
    case MERGE_OK:
        reply_ok(out);
        break;
    case MERGE_MGET: {
        /* Each shard answered its keys in argument order; walk the original
         * keys and take the next element of the key's shard. */
        size_t *pos = calloc(r->nsubs, sizeof(size_t));
        int *sub_of_shard = malloc(sizeof(int) * r->client->shard->srv->nshards);
        for (int i = 0; i < r->nsubs; i++)
            sub_of_shard[r->subs[i].shard] = i;
        reply_array(out, r->argc - 1);
        for (int a = 1; a < r->argc; a++) {
            struct buf *b = &r->subs[sub_of_shard[r->shard_of[a]]].out;
            size_t *p = &pos[sub_of_shard[r->shard_of[a]]];
            size_t n = element_len(b->data + *p, b->len - *p);
            buf_append(out, b->data + *p, n);
            *p += n;
        }
        free(pos);
        free(sub_of_shard);
        break;
    }
    case MERGE_CONCAT: {
        long long total = 0;
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].out.len > 1)
                total += strtoll(r->subs[i].out.data + 1, NULL, 10);
        reply_array(out, total);
        for (int i = 0; i < r->nsubs; i++) {
            struct buf *b = &r->subs[i].out;
            const char *nl = memchr(b->data, '\n', b->len);
            if (nl)
                buf_append(out, nl + 1, b->len - (nl + 1 - b->data));
        }
        break;
    }
    case MERGE_RANDOM: {
        int candidates[MAX_THREADS];
        int n = 0;
        for (int i = 0; i < r->nsubs; i++) {
            struct buf *b = &r->subs[i].out;
            if (b->len && !(b->data[0] == '_' || (b->data[0] == '$' && b->data[1] == '-')))
                candidates[n++] = i;
        }
        if (n == 0)
            reply_null(out, r->resp);
        else {
            struct buf *b = &r->subs[candidates[random() % n]].out;
            buf_append(out, b->data, b->len);
        }
        break;
    }
    case MERGE_CUSTOM:
        break;
    }
}

/* ---------------- building sub-requests ---------------- */

/* Splits the key arguments of r over their shards: one sub-request per shard
 * holding "name key [companions]..." for its keys. with_companions=0 keeps
 * only the keys (MSETNX's existence check). Returns the number of subs. */
static int split_by_shard(struct request *r, const int *keypos, int nkeys, int with_companions, cmd_handler *handler,
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

static struct subreq *single_sub(struct request *r, int shard, enum sub_op op, cmd_handler *handler)
{
    struct subreq *sub = subs_alloc(r, 1);
    sub->shard = shard;
    sub->op = op;
    sub->handler = handler;
    return sub;
}

/* Sub-request with its own small argv: name + the given arguments of r. */
static void sub_set_args(struct subreq *sub, struct request *r, const int *idx, int n)
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

/* ---------------- the multi-step commands ---------------- */

static int all_keys(struct request *r, int *keypos, int max)
{
    return command_key_positions(r->cmd, r->argc, r->argv, keypos, max);
}

/* The key positions of r, each key once (the first position of equal
 * names): a command may name a key twice (SINTERSTORE a a b). Returns n. */
static int distinct_keys(struct request *r, int *keypos)
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

/* Did the handler change the key named at position p (any position with
 * the same name counts; positions past 63 are assumed changed)? */
static int key_changed(const struct request *r, uint64_t modified, int p)
{
    const struct arg *a = &r->argv[p];
    for (int i = 1; i < r->argc; i++) {
        const struct arg *b = &r->argv[i];
        if (b->len != a->len || memcmp(a->ptr, b->ptr, a->len) || r->shard_of[i] < 0)
            continue;
        if (i >= 64 || (modified & (1ULL << i)))
            return 1;
    }
    return 0;
}

static void block_wait_start(struct shard *s, struct request *r);
static void request_finish_or_wait(struct shard *s, struct request *r);
typedef void txn_body_fn(struct shard *s, struct request *r);
struct txn;
static void txn_begin(struct shard *s, struct request *r, struct txn *tx, txn_body_fn *body);
static void txn_begin_command(struct shard *s, struct request *r, txn_body_fn *body);

/*
 * The gathered keys are here: run the handler over a private db holding
 * them. A read is done. A write puts every key back on its shard (changed
 * ones touch WATCH and count as dirty there, unchanged ones go back
 * quietly; a key the command deleted is only touched). A blocking command
 * that found nothing puts everything back unchanged and, once the locks
 * are released, waits for one of its keys (block_wait_start).
 */
static int gather_run(struct shard *s, struct request *r, struct buf *out)
{
    struct db *tmp = db_create();
    for (int i = 0; i < r->nsubs; i++) {
        struct db_entry *e = r->subs[i].entry;
        r->subs[i].entry = NULL;
        if (e && !db_find(tmp, e->hash, e->key, e->key_len))
            db_insert(tmp, e);
        else if (e)
            entry_free(e);
    }
    struct cmd_ctx c;
    shard_init_ctx(s, &c, r->dbid, r->resp, out);
    c.db = tmp;
    c.watches = NULL; /* the keys' own shards are touched when they go back */
    c.aof = NULL;     /* and logged there (SUB_TAKE / SUB_PUT) */
    c.argc = r->argc;
    c.argv = r->argv;
    c.hashes = r->hashes;
    c.cmd = r->cmd;
    c.blocking = r->block && (r->block_deadline == 0 || s->now_ms < r->block_deadline);
    size_t before = out->len;
    r->cmd->handler(&c);
    if (c.blocked) {
        out->len = before;
        c.modified = 0;
        r->block_retry = 1;
    }
    if (!(r->cmd->flags & CMD_WRITE)) {
        db_destroy(tmp);
        return 1;
    }
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = distinct_keys(r, keypos);
    struct db_entry **back = calloc(n ? n : 1, sizeof(*back));
    int *changed = malloc(sizeof(int) * (n ? n : 1));
    int nput = 0;
    for (int i = 0; i < n; i++) {
        const struct arg *a = &r->argv[keypos[i]];
        back[i] = db_unlink(tmp, r->hashes[keypos[i]], a->ptr, a->len);
        changed[i] = key_changed(r, c.modified, keypos[i]);
        nput += back[i] || changed[i];
    }
    db_destroy(tmp);
    struct subreq *subs = nput ? subs_alloc(r, nput) : NULL;
    int k = 0;
    for (int i = 0; i < n && nput; i++) {
        if (!back[i] && !changed[i])
            continue;
        int pair[2] = {keypos[i], keypos[i]};
        subs[k].shard = r->shard_of[keypos[i]];
        subs[k].op = SUB_PUT;
        subs[k].entry = back[i];
        subs[k].flags = back[i] ? PUT_REPLACE | (changed[i] ? 0 : PUT_QUIET) : PUT_TOUCH;
        sub_set_args(&subs[k], r, pair, 2);
        k++;
    }
    free(changed);
    free(back);
    free(keypos);
    if (nput == 0)
        return 1;
    r->step = 1;
    subs_launch(s, r);
    return 0;
}

/* Sends SUB_UNBLOCK for every sub of r's step that may still be parked
 * (client gone, or another shard already reported data). A local cancel
 * completes its sub at once, which may finish the step and free r: the
 * step is held open (pending) until every local cancel is done. r may be
 * freed when this returns. */
static void block_cancel_parked(struct shard *s, struct request *r)
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

static uint64_t next_block_seq(struct shard *s)
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
static void block_wait_start(struct shard *s, struct request *r)
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

static void body_custom(struct shard *s, struct request *r);

/* Every registration is back: run again, or reply the timeout. */
static int block_wait_done(struct shard *s, struct request *r, struct buf *out)
{
    struct client *c = r->client;
    int ready = 0;
    for (int i = 0; i < r->nsubs; i++)
        ready |= r->subs[i].block_status == BLOCK_READY;
    if (c->blocked == r)
        c->blocked = NULL;
    if (c->closing || !ready || r->unblocked) {
        /* every registration timed out on its shard, or was cancelled */
        if (r->unblocked == 2)
            reply_error(out, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        else
            reply_null_array(out, r->resp);
        return 1;
    }
    r->aux = CUSTOM_NONE;
    txn_begin_command(s, r, body_custom);
    return 0;
}

static void custom_start(struct shard *s, struct request *r, enum custom_kind kind)
{
    r->aux = kind;
    r->step = 0;
    switch (kind) {
    case CUSTOM_MSETNX: {
        int *keypos = malloc(sizeof(int) * r->argc);
        int n = all_keys(r, keypos, r->argc);
        split_by_shard(r, keypos, n, 0, cmd_exists, s);
        free(keypos);
        break;
    }
    case CUSTOM_RENAME:
    case CUSTOM_RENAMENX: {
        /* Step 0: do the source and the destination exist? */
        struct subreq *subs = subs_alloc(r, 2);
        int src = 1, dst = 2;
        subs[0].shard = r->shard_of[1];
        subs[0].handler = cmd_exists;
        sub_set_args(&subs[0], r, &src, 1);
        subs[1].shard = r->shard_of[2];
        subs[1].handler = cmd_exists;
        sub_set_args(&subs[1], r, &dst, 1);
        break;
    }
    case CUSTOM_COPY: {
        struct subreq *sub = single_sub(r, r->shard_of[1], SUB_DUP, NULL);
        (void)sub;
        break;
    }
    case CUSTOM_GATHER: {
        /* Every distinct key comes here: copied for a read, moved out of
         * its shard for a write (and put back after the run). */
        int *keypos = malloc(sizeof(int) * r->argc);
        int n = distinct_keys(r, keypos);
        int write = (r->cmd->flags & CMD_WRITE) != 0;
        struct subreq *subs = subs_alloc(r, n);
        for (int i = 0; i < n; i++) {
            int pair[2] = {keypos[i], keypos[i]};
            subs[i].shard = r->shard_of[keypos[i]];
            subs[i].op = write ? SUB_TAKE : SUB_DUP;
            subs[i].flags = PUT_QUIET;
            sub_set_args(&subs[i], r, pair, 2);
        }
        free(keypos);
        break;
    }
    case CUSTOM_INFO:
    case CUSTOM_CLIENT_LIST:
    case CUSTOM_CLIENT_KILL:
    case CUSTOM_CLIENT_UNBLOCK:
    case CUSTOM_RESETSTAT: {
        int n = s->srv->nshards;
        struct subreq *subs = subs_alloc(r, n);
        enum sub_op op = kind == CUSTOM_INFO             ? SUB_INFO
                         : kind == CUSTOM_CLIENT_LIST    ? SUB_CLIENT_LIST
                         : kind == CUSTOM_RESETSTAT      ? SUB_RESETSTAT
                         : kind == CUSTOM_CLIENT_UNBLOCK ? SUB_CLIENT_UNBLOCK
                                                         : SUB_CLIENT_KILL;
        for (int i = 0; i < n; i++) {
            subs[i].shard = i;
            subs[i].op = op;
            subs[i].result = (int64_t)r->client->id; /* CLIENT KILL SKIPME */
        }
        break;
    }
    case CUSTOM_SCAN: {
        struct subreq *sub = single_sub(r, r->shard_of[0] >= 0 ? r->shard_of[0] : s->id, SUB_HANDLER, cmd_scan);
        (void)sub;
        break;
    }
    case CUSTOM_WATCH:
    case CUSTOM_EXEC_ONE_HOP:
    case CUSTOM_EXEC_PER_SHARD:
    case CUSTOM_BLOCK_WAIT:
    case CUSTOM_NONE:
        break;
    }
    subs_launch(s, r);
}

static long long sub_integer(const struct subreq *sub)
{
    if (sub->out.len > 1 && sub->out.data[0] == ':')
        return strtoll(sub->out.data + 1, NULL, 10);
    return 0;
}

static int sub_error(const struct subreq *sub, struct buf *out)
{
    if (sub->out.len && sub->out.data[0] == '-') {
        buf_append(out, sub->out.data, sub->out.len);
        return 1;
    }
    return 0;
}

/* Parses COPY's options for the cross-shard path; replies and returns -1 on
 * error. */
static int copy_options(struct request *r, int ndbs, int *dbid, int *replace)
{
    *dbid = r->dbid;
    *replace = 0;
    for (int i = 3; i < r->argc; i++) {
        if (arg_is(&r->argv[i], "replace")) {
            *replace = 1;
        } else if (arg_is(&r->argv[i], "db") && i + 1 < r->argc) {
            long long v;
            if (!string2ll(r->argv[i + 1].ptr, r->argv[i + 1].len, &v)) {
                reply_error(&r->reply, ERR_NOT_INTEGER);
                return -1;
            }
            if (v < 0 || v >= ndbs || v > INT32_MAX) {
                reply_error(&r->reply, ERR_DB_INDEX);
                return -1;
            }
            *dbid = (int)v;
            i++;
        } else {
            reply_error(&r->reply, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

static void watch_done(struct request *r);

/* The COUNT of a SCAN's arguments (valid: its first shard checked them). */
static long long scan_count_arg(const struct request *r, int *pos)
{
    long long count = 10;
    *pos = -1;
    for (int j = 2; j + 1 < r->argc; j += 2) {
        if (arg_is(&r->argv[j], "count") && string2ll(r->argv[j + 1].ptr, r->argv[j + 1].len, &count))
            *pos = j + 1;
    }
    return count;
}

/*
 * SCAN across shards: the cursor's low bits name a shard. One call goes on
 * to the next shards while each shard's table was finished in this call
 * and fewer than COUNT keys were found, asking the next shard for the
 * COUNT still wanted; the keys of all the shards visited are returned
 * together with the last cursor. So a keyspace smaller than COUNT comes
 * back in one call with cursor 0, as in Redis, and the guarantee holds (a
 * call that goes on is what the client's next call would do). Work per call
 * stays bounded: a shard only hands over when it ran out of keys.
 */
static int scan_continue(struct shard *s, struct request *r, struct buf *out)
{
    struct subreq *done = &r->subs[0];
    const char *p = done->out.data;
    size_t len = done->out.len;
    unsigned long long next = 0;
    long long nkeys = -1;
    const char *keys = NULL;
    if (len > 4 && p[0] == '*') {
        const char *q = memchr(p, '\n', len); /* "$n\r\n" */
        q = q ? memchr(q + 1, '\n', len - (q + 1 - p)) : NULL;
        const char *cur = q ? q + 1 : NULL;
        const char *end = cur ? memchr(cur, '\r', len - (cur - p)) : NULL;
        if (end && string2ull(cur, end - cur, &next) && end + 2 < p + len && end[2] == '*') {
            const char *arr = end + 3;
            const char *arr_end = memchr(arr, '\r', len - (arr - p));
            if (arr_end && string2ll(arr, arr_end - arr, &nkeys))
                keys = arr_end + 2;
        }
    }
    if (nkeys < 0 || !keys) { /* an error (bad cursor or option): the first shard's */
        buf_append(out, p, len);
        return 1;
    }
    buf_append(&r->scan_keys, keys, len - (size_t)(keys - p));
    r->scan_nkeys += nkeys;
    int count_pos;
    long long count = scan_count_arg(r, &count_pos);
    if (next != 0 && (next >> SCAN_SHARD_BITS) == 0 && (int)next < s->srv->nshards && r->scan_nkeys < count) {
        int clen = snprintf(r->scratch, sizeof(r->scratch), "%llu", next);
        int nlen = snprintf(r->scan_count, sizeof(r->scan_count), "%lld", count - r->scan_nkeys);
        struct subreq *sub = single_sub(r, (int)next, SUB_HANDLER, cmd_scan);
        int argc = r->argc + (count_pos < 0 ? 2 : 0);
        sub->argv = malloc(sizeof(struct arg) * argc);
        sub->hashes = calloc(argc, sizeof(uint64_t));
        memcpy(sub->argv, r->argv, sizeof(struct arg) * r->argc);
        sub->argv[1].ptr = r->scratch;
        sub->argv[1].len = clen;
        if (count_pos < 0) {
            count_pos = r->argc + 1;
            sub->argv[r->argc].ptr = "count";
            sub->argv[r->argc].len = 5;
        }
        sub->argv[count_pos].ptr = r->scan_count;
        sub->argv[count_pos].len = nlen;
        sub->argc = argc;
        subs_launch(s, r);
        return 0;
    }
    char tmp[32];
    int clen = snprintf(tmp, sizeof(tmp), "%llu", next);
    reply_array(out, 2);
    reply_bulk(out, tmp, (size_t)clen);
    reply_array(out, r->scan_nkeys);
    buf_append(out, r->scan_keys.data ? r->scan_keys.data : "", r->scan_keys.len);
    return 1;
}

/* Called when every sub-request of the current step is done. Either launches
 * the next step or writes the final reply. Returns 1 when finished. */
static int custom_continue(struct shard *s, struct request *r)
{
    struct buf *out = &r->reply;
    switch ((enum custom_kind)r->aux) {
    case CUSTOM_MSETNX:
        if (r->step == 0) {
            long long exists = 0;
            for (int i = 0; i < r->nsubs; i++) {
                if (sub_error(&r->subs[i], out))
                    return 1;
                exists += sub_integer(&r->subs[i]);
            }
            if (exists) {
                reply_integer(out, 0);
                return 1;
            }
            int *keypos = malloc(sizeof(int) * r->argc);
            int n = all_keys(r, keypos, r->argc);
            split_by_shard(r, keypos, n, 1, cmd_mset, s);
            free(keypos);
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        for (int i = 0; i < r->nsubs; i++)
            if (sub_error(&r->subs[i], out))
                return 1;
        reply_integer(out, 1);
        return 1;

    case CUSTOM_RENAME:
    case CUSTOM_RENAMENX: {
        int nx = r->aux == CUSTOM_RENAMENX;
        if (r->step == 0) {
            if (sub_error(&r->subs[0], out) || sub_error(&r->subs[1], out))
                return 1;
            if (sub_integer(&r->subs[0]) == 0) {
                reply_error(out, ERR_NO_SUCH_KEY);
                return 1;
            }
            if (nx && sub_integer(&r->subs[1]) > 0) {
                reply_integer(out, 0);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[1], SUB_TAKE, NULL);
            int idx[2] = {1, 2};
            sub_set_args(sub, r, idx, 2);
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        if (r->step == 1) {
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            if (!e) {
                reply_error(out, ERR_NO_SUCH_KEY);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[2], SUB_PUT, NULL);
            sub->entry = e;
            sub->flags = nx ? PUT_NX : PUT_REPLACE;
            r->step = 2;
            subs_launch(s, r);
            return 0;
        }
        if (r->step == 2) {
            if (r->subs[0].result == 1) {
                if (nx)
                    reply_integer(out, 1);
                else
                    reply_ok(out);
                return 1;
            }
            /* RENAMENX lost a race for the destination: give the value back
             * to the source key, then report 0 like a plain NX failure. */
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            struct db_entry *back = entry_dup_with_key(e, r->hashes[1], r->argv[1].ptr, r->argv[1].len);
            entry_free(e);
            struct subreq *sub = single_sub(r, r->shard_of[1], SUB_PUT, NULL);
            sub->entry = back;
            sub->flags = PUT_NX;
            r->step = 3;
            subs_launch(s, r);
            return 0;
        }
        if (r->subs[0].result != 1)
            server_log(LL_WARNING, "RENAMENX: source key was recreated during a cross-shard rename; value dropped");
        reply_integer(out, 0);
        return 1;
    }

    case CUSTOM_COPY:
        if (r->step == 0) {
            struct db_entry *e = r->subs[0].entry;
            r->subs[0].entry = NULL;
            if (!e) {
                reply_integer(out, 0);
                return 1;
            }
            int dbid, replace;
            if (copy_options(r, s->ndbs, &dbid, &replace) < 0) {
                entry_free(e);
                return 1;
            }
            struct subreq *sub = single_sub(r, r->shard_of[2], SUB_PUT, NULL);
            sub->entry = e;
            sub->dbid = dbid;
            sub->flags = replace ? PUT_REPLACE : PUT_NX;
            r->step = 1;
            subs_launch(s, r);
            return 0;
        }
        reply_integer(out, r->subs[0].result == 1);
        return 1;

    case CUSTOM_GATHER:
        if (r->step == 0)
            return gather_run(s, r, out);
        return 1; /* the keys are back on their shards */
    case CUSTOM_BLOCK_WAIT:
        return block_wait_done(s, r, out);

    case CUSTOM_SCAN:
        return scan_continue(s, r, out);

    case CUSTOM_INFO: {
        struct shard_info *infos = malloc(sizeof(struct shard_info) * r->nsubs);
        for (int i = 0; i < r->nsubs; i++) {
            const char *p = r->subs[i].out.data;
            memcpy(&infos[i], p, sizeof(struct shard_info));
            /* The stats arrays follow the struct in the same buffer; the
             * buffer lives until the subs are freed after rendering. */
            infos[i].cmdstats = (const struct command_stat *)(p + sizeof(struct shard_info));
            infos[i].errstats = (const struct error_stat *)(p + sizeof(struct shard_info) +
                                                            sizeof(struct command_stat) * (command_stat_count() + 1));
        }
        info_render(out, r->resp, r->argv, r->argc, s, infos, r->nsubs);
        free(infos);
        return 1;
    }

    case CUSTOM_CLIENT_LIST: {
        struct buf text = {0};
        for (int i = 0; i < r->nsubs; i++)
            buf_append(&text, r->subs[i].out.data, r->subs[i].out.len);
        reply_verbatim(out, r->resp, text.data ? text.data : "", text.len, "txt");
        buf_free(&text);
        return 1;
    }

    case CUSTOM_RESETSTAT:
        reply_ok(out);
        return 1;

    case CUSTOM_CLIENT_UNBLOCK: {
        long long unblocked = 0;
        for (int i = 0; i < r->nsubs; i++)
            unblocked += r->subs[i].result;
        reply_integer(out, unblocked);
        return 1;
    }

    case CUSTOM_CLIENT_KILL: {
        long long killed = 0;
        for (int i = 0; i < r->nsubs; i++)
            killed += r->subs[i].result;
        if (r->argc == 3) { /* old form: CLIENT KILL addr:port */
            if (killed == 0)
                reply_error(out, "ERR No such client");
            else
                reply_ok(out);
        } else {
            reply_integer(out, killed);
        }
        return 1;
    }
    case CUSTOM_WATCH:
        watch_done(r);
        return 1;

    case CUSTOM_EXEC_ONE_HOP: {
        struct subreq *sub = &r->subs[0];
        if (sub->watch_failed) {
            s->stats.txn_watch_aborts++;
            reply_null_array(out, r->resp);
        } else {
            reply_array(out, r->nqueued);
            buf_append(out, sub->out.data, sub->out.len);
        }
        return 1;
    }
    case CUSTOM_EXEC_PER_SHARD: {
        /* Each shard wrote its commands' replies in queue order; put them
         * back in the transaction's order. */
        reply_array(out, r->nqueued);
        for (int i = 0; i < r->nqueued; i++) {
            int slot = r->exec_slot[i];
            for (int g = 0; g < r->nsubs; g++) {
                struct subreq *sub = &r->subs[g];
                int first = (int)(sub->cmds - r->exec_cmds);
                if (slot < first || slot >= first + sub->ncmds)
                    continue;
                size_t from = slot == first ? 0 : r->exec_ends[slot - 1];
                buf_append(out, sub->out.data + from, r->exec_ends[slot] - from);
                break;
            }
        }
        return 1;
    }
    case CUSTOM_NONE:
        break;
    }
    return 1;
}

/* ---------------- transactions (the coordinator's side) ----------------
 *
 * A command or an EXEC whose keys live on several shards runs as a
 * transaction (design.md §4; the shard side is in shard.c and txn.c):
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
    int writes;      /* some command of it writes: its parts are logged as one */
    uint64_t log_id; /* its id in the logs (0 until the body starts) */
    txn_body_fn *body;
};

static struct txn *txn_new(int nshards)
{
    struct txn *tx = calloc(1, sizeof(*tx));
    tx->nshards = nshards;
    tx->parts = calloc(nshards, sizeof(struct txn_part));
    return tx;
}

static void txn_free(struct txn *tx)
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

static void txn_add_key(struct txn *tx, int shard, uint64_t hash, int mode)
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

static void txn_add_global(struct txn *tx)
{
    for (int i = 0; i < tx->nshards; i++) {
        tx->parts[i].used = 1;
        tx->parts[i].global = 1;
        tx->parts[i].nkeys = 0;
    }
}

static void txn_add_watch(struct txn *tx, const struct watch_key *w)
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
static void txn_add_command(struct txn *tx, const struct request *r, const int *keypos, int nkeys)
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

static void request_body_finished(struct shard *s, struct request *r);
static void client_maybe_resume(struct client *c);
static void body_exec(struct shard *s, struct request *r);

static void txn_start_body(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    txn_body_fn *body = tx->body;
    tx->phase = TXN_BODY;
    /* Its parts on several shards are logged as one transaction. */
    if (tx->writes && tx->nused > 1 && !tx->watch_failed)
        tx->log_id = aof_new_txn_id(s);
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
    if (r->client->barrier == r && body != body_exec && !r->block) {
        r->client->barrier = NULL;
        client_maybe_resume(r->client);
    }
    body(s, r);
}

/* Starts the transaction of r (its parts filled in); the body runs once the
 * locks are held. */
static void txn_begin(struct shard *s, struct request *r, struct txn *tx, txn_body_fn *body)
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
static void txn_begin_command(struct shard *s, struct request *r, txn_body_fn *body)
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
static void txn_tag_subs(struct request *r)
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

static int txn_send_unlocks(struct shard *s, struct request *r, enum txn_phase phase);

/* A locking or unlocking step is done. */
static void txn_continue(struct shard *s, struct request *r)
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
static int txn_send_unlocks(struct shard *s, struct request *r, enum txn_phase phase)
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

/* ---------------- WATCH ---------------- */

/* Drops the watchers registered for these keys (no reply wanted: the
 * sub-requests are detached and freed where they run). */
static void unwatch_keys(struct shard *s, const struct watch_key *w, int n)
{
    for (int i = 0; i < n; i++) {
        size_t size = sizeof(struct subreq) + 2 * sizeof(struct arg) + 2 * sizeof(uint64_t) + w[i].len;
        struct subreq *sub = calloc(1, size);
        struct arg *argv = (struct arg *)(sub + 1);
        uint64_t *hashes = (uint64_t *)(argv + 2);
        char *key = (char *)(hashes + 2);
        memcpy(key, w[i].key, w[i].len);
        argv[0].ptr = "unwatch";
        argv[0].len = 7;
        argv[1].ptr = key;
        argv[1].len = w[i].len;
        hashes[0] = 0;
        hashes[1] = w[i].hash;
        sub->op = SUB_UNWATCH;
        sub->txflags = SUBF_DETACHED;
        sub->shard = w[i].shard;
        sub->coord = s->id;
        sub->dbid = w[i].dbid;
        sub->argc = 2;
        sub->argv = argv;
        sub->hashes = hashes;
        if (sub->shard == s->id) {
            shard_accept_sub(s, sub);
            free(sub);
        } else {
            shard_send_sub(s, sub);
        }
    }
}

static void client_unwatch_all(struct client *c)
{
    unwatch_keys(c->shard, c->watched, c->nwatched);
    watched_free(c->watched, c->nwatched);
    c->watched = NULL;
    c->nwatched = c->watched_cap = 0;
}

static void client_discard_multi(struct client *c)
{
    for (int i = 0; i < c->nqueued; i++)
        request_free(c->queued[i]);
    free(c->queued);
    c->queued = NULL;
    c->nqueued = c->queued_cap = 0;
    c->in_multi = 0;
    c->multi_dirty = 0;
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
    if (!r || c->closing || r->unblocked)
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

void dispatch_client_freed(struct client *c)
{
    client_discard_multi(c);
    client_unwatch_all(c);
}

/* WATCH's registrations came back: remember the versions. */
static void watch_done(struct request *r)
{
    struct client *c = r->client;
    for (int i = 0; i < r->nsubs; i++) {
        struct subreq *sub = &r->subs[i];
        const struct watch_key *got = (const struct watch_key *)sub->out.data;
        for (int k = 1; k < sub->argc; k++) {
            if (c->nwatched == c->watched_cap) {
                c->watched_cap = c->watched_cap ? c->watched_cap * 2 : 8;
                c->watched = realloc(c->watched, sizeof(struct watch_key) * c->watched_cap);
            }
            struct watch_key *w = &c->watched[c->nwatched++];
            memcpy(w, &got[k - 1], sizeof(*w));
            w->shard = sub->shard;
            w->len = sub->argv[k].len;
            w->key = malloc(w->len ? w->len : 1);
            memcpy(w->key, sub->argv[k].ptr, w->len);
        }
    }
    reply_ok(&r->reply);
}

/* ---------------- EXEC ---------------- */

static void exec_start_child(struct shard *s, struct request *r, struct request *q);

/* Runs the queued commands one after the other (each may take hops);
 * a command that finishes at once continues the loop, one in flight
 * resumes it from exec_child_done. */
static void exec_continue(struct shard *s, struct request *r)
{
    if (r->exec_looping)
        return;
    r->exec_looping = 1;
    while (r->next_queued < r->nqueued) {
        r->exec_child_pending = 1;
        exec_start_child(s, r, r->queued[r->next_queued]);
        if (r->exec_child_pending) {
            r->exec_looping = 0;
            return;
        }
    }
    r->exec_looping = 0;
    request_body_finished(s, r);
}

static void exec_child_done(struct request *q)
{
    struct request *r = q->parent;
    struct shard *s = r->client->shard;
    subs_free(q);
    if (q->reply.len && q->reply.data[0] == '-') {
        shard_count_error(s, q->reply.data, q->reply.len);
        shard_command_stat(s, q->cmd, q->argc, q->argv)->failed++;
    }
    buf_append(&r->reply, q->reply.data, q->reply.len);
    r->queued[r->next_queued++] = NULL;
    request_free(q);
    r->exec_child_pending = 0;
    exec_continue(s, r);
}

/* The one shard all key arguments of q live on; -1 when q has no key,
 * -2 when its keys span shards or it is not a keyed command. */
static int command_shard(const struct request *q)
{
    if (q->cmd->route != ROUTE_KEYS && q->cmd->route != ROUTE_CUSTOM)
        return -2;
    int target = -1;
    for (int a = 0; a < q->argc; a++) {
        if (q->shard_of[a] < 0)
            continue;
        if (target >= 0 && target != q->shard_of[a])
            return -2;
        target = q->shard_of[a];
    }
    return target;
}

/* EXEC whose every command has its keys on one shard (shards may differ
 * between commands), under the locks: commands on different shards touch
 * different keys, so each shard runs its share at once, in queue order, in
 * one SUB_EXEC that also releases its locks; the coordinator puts the
 * replies back in order. Two round trips in all, like a cross-shard MSET. */
static void body_exec_per_shard(struct shard *s, struct request *r)
{
    struct txn *tx = r->tx;
    int n = r->nqueued;
    int count[MAX_THREADS] = {0}, first[MAX_THREADS], next[MAX_THREADS], sub_of[MAX_THREADS];
    int *shard_of_cmd = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        shard_of_cmd[i] = command_shard(r->queued[i]);
        count[shard_of_cmd[i]]++;
    }
    int groups = 0, at = 0;
    for (int k = 0; k < tx->nused; k++) {
        int sh = tx->order[k];
        if (!count[sh])
            continue;
        first[sh] = next[sh] = at;
        at += count[sh];
        sub_of[sh] = groups++;
    }
    r->exec_cmds = calloc(n, sizeof(struct exec_cmd));
    r->exec_ends = calloc(n, sizeof(size_t));
    r->exec_slot = malloc(sizeof(int) * n);
    for (int i = 0; i < n; i++) {
        struct request *q = r->queued[i];
        int slot = next[shard_of_cmd[i]]++;
        r->exec_cmds[slot] = (struct exec_cmd){q->cmd, q->argc, q->argv, q->hashes};
        r->exec_slot[i] = slot;
        shard_command_stat(s, q->cmd, q->argc, q->argv)->calls++;
    }
    struct subreq *subs = subs_alloc(r, groups);
    for (int k = 0; k < tx->nused; k++) {
        int sh = tx->order[k];
        if (!count[sh])
            continue;
        struct subreq *sub = &subs[sub_of[sh]];
        sub->shard = sh;
        sub->op = SUB_EXEC;
        sub->cmds = &r->exec_cmds[first[sh]];
        sub->ncmds = count[sh];
        sub->reply_ends = &r->exec_ends[first[sh]];
    }
    free(shard_of_cmd);
    tx->release_with_body = 1;
    r->aux = CUSTOM_EXEC_PER_SHARD;
    subs_launch(s, r);
}

static void body_exec(struct shard *s, struct request *r)
{
    reply_array(&r->reply, r->nqueued);
    exec_continue(s, r);
}

/* The body is done and the locks released: a blocking command that found
 * nothing waits for its keys (unless its client is gone); anything else
 * is finished. */
static void request_finish_or_wait(struct shard *s, struct request *r)
{
    if (r->block_retry) {
        if (!r->client->closing) {
            block_wait_start(s, r);
            return;
        }
        r->block_retry = 0;
        reply_null_array(&r->reply, r->resp);
    }
    request_finish(r);
}

static void request_body_finished(struct shard *s, struct request *r)
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

static void txn_continue(struct shard *s, struct request *r);
static void exec_continue(struct shard *s, struct request *r);
static void request_body_finished(struct shard *s, struct request *r);

/* Every sub-request of the current step is done: take the next step of the
 * transaction, of the EXEC, or of the multi-step command, or finish. */
static void request_step_done(struct shard *s, struct request *r)
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

static void exec_child_done(struct request *child);

/* A paused client parses again (from the loop's resume list) once no
 * barrier holds it and its backlog is small. */
static void client_maybe_resume(struct client *c)
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

static void request_finish(struct request *r)
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
             * not when it ran (the set only grows while the log fails) */
            r->log_free =
                sub->op == SUB_INFO || (sub->op == SUB_HANDLER && cmd && cmd->handler == sub->handler &&
                                        (sub->shard != s->id || aof_read_is_durable(s, cmd, sub->argc, sub->argv)));
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

/* ---------------- entry point ---------------- */

static void reply_unknown_command(struct buf *out, int argc, const struct arg *argv)
{
    struct buf msg = {0};
    char head[200];
    snprintf(head, sizeof(head),
             "ERR unknown command '%.*s', with args beginning with: ", (int)(argv[0].len > 128 ? 128 : argv[0].len),
             argv[0].ptr);
    buf_append_str(&msg, head);
    for (int i = 1; i < argc && msg.len < 128; i++) {
        snprintf(head, sizeof(head), "'%.*s' ", (int)(argv[i].len > 128 ? 128 : argv[i].len), argv[i].ptr);
        buf_append_str(&msg, head);
    }
    buf_append_byte(&msg, '\0');
    reply_error(out, msg.data);
    buf_free(&msg);
}

/* Where a reply that is ready now goes: straight to the output when nothing
 * is pending before it, else a finished request keeps it in order. */
static struct buf *reply_target(struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                                struct request **req)
{
    *req = NULL;
    if (!c->req_head)
        return &c->out;
    *req = request_new(c, cmd, argc, argv);
    return &(*req)->reply;
}

/* An error reply: errorstats, and a failed call when the command ran. */
static __attribute__((noinline, cold)) void reply_counts_error(struct client *c, const struct buf *out, size_t before)
{
    shard_count_error(c->shard, out->data + before, out->len - before);
    if (c->shard->running_stat) /* the command ran and failed (else: rejected) */
        c->shard->running_stat->failed++;
}

/* Inlined: every inline command's reply passes here. */
static inline __attribute__((always_inline)) void reply_ready(struct client *c, struct request *req, struct buf *out,
                                                              size_t before)
{
    if (out->len > before && out->data[before] == '-')
        reply_counts_error(c, out, before);
    if (__builtin_expect(c->reply_silent, 0))
        out->len = before; /* CLIENT REPLY OFF/SKIP */
    if (req) {
        req->silent = c->reply_silent; /* CLIENT REPLY ON may have changed it */
        req->done = 1;
        c->npending--;
        client_flush_done_requests(c);
    } else {
        client_want_flush(c);
    }
}

void dispatch_reply_error(struct client *c, const char *msg)
{
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    reply_error(out, msg);
    reply_ready(c, req, out, before);
}

static void run_inline(struct shard *s, struct client *c, const struct command *cmd, int argc, const struct arg *argv,
                       const uint64_t *hashes, int with_client)
{
    struct request *req;
    struct buf *out = reply_target(c, cmd, argc, argv, &req);
    size_t before = out->len;
    struct cmd_ctx ctx;
    shard_init_ctx(s, &ctx, c->dbid, c->resp, out);
    ctx.argc = argc;
    ctx.argv = argv;
    ctx.hashes = hashes;
    ctx.cmd = cmd;
    ctx.client = with_client ? c : NULL;
    int64_t t0 = monotonic_us();
    uint64_t dirty = s->stats.dirty;
    /* A failing log (appendfsync always): a read of durable keys only does
     * not wait for it (see aof_read_is_durable). */
    int durable_read = __builtin_expect(s->log_failing, 0) && aof_read_is_durable(s, cmd, argc, argv);
    uint64_t appended = s->log_appended, tag = c->log_tag;
    if (evict_command_allowed(&ctx))
        cmd->handler(&ctx);
    effect_log_command(&ctx, dirty);
    /* run_inline runs only the command dispatch_command counted: its stats
     * slot is s->running_stat. */
    shard_command_time(s, s->running_stat ? s->running_stat : shard_command_stat(s, cmd, argc, argv),
                       monotonic_us() - t0);
    s->stats.commands++;
    if (blocking_active(s->blocks)) {
        blocking_signal_command(s, c->dbid, cmd, argc, argv, hashes);
        blocking_serve(s);
    }
    durable_read &= s->log_appended == appended;
    if (durable_read && req)
        req->log_free = 1;
    reply_ready(c, req, out, before);
    if (durable_read)
        c->log_tag = tag; /* what it wrote needs nothing newer than what was there */
}

/* A blocking command outside MULTI: its deadline from the timeout argument
 * (the count-of-keys forms have it first, the others last). A bad timeout
 * does not block: the handler replies the error. */
static void block_prepare(struct shard *s, struct request *r)
{
    const struct arg *t = r->cmd->keynum_arg ? &r->argv[1] : &r->argv[r->argc - 1];
    long long ms;
    if (parse_block_timeout(t, &ms))
        return;
    r->block = 1;
    /* A deadline past the end of time (Redis's sum would overflow) is forever. */
    r->block_deadline = ms == 0 ? 0 : ms > INT64_MAX - s->now_ms ? INT64_MAX : s->now_ms + ms;
}

static enum custom_kind custom_kind_of(const struct command *cmd)
{
    if (cmd->handler == cmd_msetnx)
        return CUSTOM_MSETNX;
    if (cmd->handler == cmd_rename)
        return CUSTOM_RENAME;
    if (cmd->handler == cmd_renamenx)
        return CUSTOM_RENAMENX;
    if (cmd->handler == cmd_copy)
        return CUSTOM_COPY;
    return CUSTOM_GATHER;
}

/* INFO and CLIENT LIST/KILL need every shard; other local commands run
 * inline. Replies an error and returns -1 for bad CLIENT LIST filters. */
static int local_custom_kind(const struct command *cmd, int argc, const struct arg *argv, const char **err, char *msg,
                             size_t msglen)
{
    enum custom_kind kind = CUSTOM_NONE;
    *err = NULL;
    if (cmd->handler == cmd_info)
        kind = CUSTOM_INFO;
    else if (cmd->handler == cmd_client && argc >= 2 && arg_is(&argv[1], "list"))
        kind = CUSTOM_CLIENT_LIST;
    else if (cmd->handler == cmd_client && argc >= 3 && arg_is(&argv[1], "kill"))
        kind = CUSTOM_CLIENT_KILL;
    else if (cmd->handler == cmd_config && argc == 2 && arg_is(&argv[1], "resetstat"))
        kind = CUSTOM_RESETSTAT;
    else if (cmd->handler == cmd_client && argc >= 3 && arg_is(&argv[1], "unblock")) {
        kind = CUSTOM_CLIENT_UNBLOCK;
        *err = client_unblock_check(argc, argv, msg, msglen);
    }
    if (kind == CUSTOM_CLIENT_KILL)
        *err = client_kill_check(argc, argv, msg, msglen);
    if (kind == CUSTOM_CLIENT_LIST) /* checked once here, so every shard sees valid filters */
        *err = client_list_check(argc, argv, msg, msglen);
    return kind;
}

/* Hashes the key arguments once: keypos, hashes[argc], shard_of[argc].
 * Inlined: it is on every command's path (a call costs ~70 instructions of
 * argument passing and register saving per command, measured with
 * callgrind).
 * Returns the number of keys; *target is the shard of the first key (or of
 * SCAN's cursor, or this shard), *multi whether keys span shards. */
static inline __attribute__((always_inline)) int route_keys(struct shard *s, const struct command *cmd, int argc,
                                                            const struct arg *argv, int *keypos, uint64_t *hashes,
                                                            int *shard_of, int *target, int *multi)
{
    int nshards = s->srv->nshards;
    int nkeys = command_key_positions(cmd, argc, argv, keypos, argc);
    *target = -1;
    *multi = 0;
    for (int i = 0; i < argc; i++) {
        hashes[i] = 0;
        shard_of[i] = -1;
    }
    for (int k = 0; k < nkeys; k++) {
        int p = keypos[k];
        hashes[p] = key_hash(argv[p].ptr, argv[p].len);
        shard_of[p] = nshards == 1 ? 0 : key_shard(argv[p].ptr, argv[p].len, hashes[p], nshards);
        if (*target < 0)
            *target = shard_of[p];
        else if (*target != shard_of[p])
            *multi = 1;
    }
    if (nkeys == 0) {
        *target = s->id;
        if (cmd->handler == cmd_scan && argc >= 2) { /* the cursor names the shard */
            unsigned long long cursor;
            if (string2ull(argv[1].ptr, argv[1].len, &cursor) && (int)(cursor & (MAX_THREADS - 1)) < nshards)
                *target = (int)(cursor & (MAX_THREADS - 1));
        }
    }
    return nkeys;
}

static void body_keys(struct shard *s, struct request *r)
{
    int *keypos = malloc(sizeof(int) * r->argc);
    int n = all_keys(r, keypos, r->argc);
    r->tx->release_with_body = 1;
    split_by_shard(r, keypos, n, 1, r->cmd->handler, s);
    free(keypos);
    subs_launch(s, r);
}

static void body_custom(struct shard *s, struct request *r)
{
    custom_start(s, r, custom_kind_of(r->cmd));
}

static void fan_out(struct shard *s, struct request *r)
{
    int n = s->srv->nshards;
    struct subreq *subs = subs_alloc(r, n);
    for (int i = 0; i < n; i++)
        subs[i].shard = i;
    subs_launch(s, r);
}

static void body_all(struct shard *s, struct request *r)
{
    r->tx->release_with_body = 1;
    fan_out(s, r);
}

/* MSET, MSETNX: the keys and their values come in whole groups (a run-time
 * check in Redis, "wrong number of arguments"); split_by_shard needs it. */
static int key_groups_ok(const struct command *cmd, int argc)
{
    return !(cmd->last_key == -1 && cmd->key_step > 1 && (argc - cmd->first_key) % cmd->key_step != 0);
}

/* A cut claimed without a client (a save rule, BGSAVE SCHEDULE, an automatic
 * or scheduled log rewrite, CONFIG SET appendonly yes): the shard's internal
 * client (fd -1, in no client list) sends BGSAVE or BGREWRITEAOF behind the
 * same global barrier as a client's, without the prepare step (the cron
 * claimed the slot). Its replies are dropped in request_finish. */
void dispatch_cut(struct shard *s, const char *command)
{
    struct client *c = s->internal_client;
    const struct command *cmd = command_lookup(command, strlen(command));
    struct arg argv[1] = {{command, strlen(command)}};
    struct request *r = request_new(c, cmd, 1, argv);
    struct txn *tx = txn_new(s->srv->nshards);
    txn_add_global(tx);
    txn_begin(s, r, tx, body_all);
}

/* Commands that change the whole keyspace run behind a global barrier. */
static int needs_barrier(const struct command *cmd)
{
    return cmd->handler == cmd_flushall || cmd->handler == cmd_flushdb || cmd->handler == cmd_swapdb ||
           cmd->handler == cmd_save || cmd->handler == cmd_bgsave || cmd->handler == cmd_bgrewriteaof;
}

/* Routes a keyed request whose hashes and shards are filled in: one shard,
 * split over shards, or a multi-step command; outside a transaction a
 * command whose keys span shards becomes one. */
static void request_route_keys(struct shard *s, struct request *r, int target, int multi)
{
    struct client *c = r->client;
    if (!multi) {
        if (r->cmd->handler == cmd_scan && s->srv->nshards > 1) {
            r->shard_of[0] = target; /* argv[0] is never a key: its slot carries SCAN's shard */
            custom_start(s, r, CUSTOM_SCAN);
            return;
        }
        struct subreq *sub = subs_alloc(r, 1);
        sub->shard = target;
        if (r->block) {
            /* Parks on its shard when its keys are empty; the client reads
             * nothing more until it is served or times out. */
            sub->block_mode = BLOCK_RUN;
            sub->block_deadline = r->block_deadline;
            sub->block_seq = next_block_seq(s);
            c->paused = 1;
            c->barrier = r;
            c->blocked = r;
        }
        subs_launch(s, r);
        return;
    }
    int route_keys_body = r->cmd->route == ROUTE_KEYS;
    if (r->tx) { /* inside EXEC: the locks are held already */
        if (route_keys_body) {
            int *keypos = malloc(sizeof(int) * r->argc);
            int n = all_keys(r, keypos, r->argc);
            split_by_shard(r, keypos, n, 1, r->cmd->handler, s);
            free(keypos);
            subs_launch(s, r);
        } else {
            custom_start(s, r, custom_kind_of(r->cmd));
        }
        return;
    }
    c->paused = 1; /* barrier: see the transactions section */
    c->barrier = r;
    txn_begin_command(s, r, route_keys_body ? body_keys : body_custom);
}

/* Runs one command of an EXEC (q, queued by MULTI) under the EXEC's locks. */
static void exec_start_child(struct shard *s, struct request *r, struct request *q)
{
    struct client *c = r->client;
    const struct command *cmd = q->cmd;
    q->parent = r;
    q->tx = r->tx;
    q->dbid = c->dbid; /* SELECT earlier in the transaction applies */
    q->resp = c->resp;
    shard_command_stat(s, cmd, q->argc, q->argv)->calls++;
    s->stats.commands += cmd->route == ROUTE_LOCAL;
    if (!key_groups_ok(cmd, q->argc)) { /* MSET a 1 b queued: its error is its reply */
        reply_wrong_arity(&q->reply, cmd->name, strlen(cmd->name));
        request_finish(q);
        return;
    }
    if (cmd->route == ROUTE_LOCAL) {
        const char *err;
        char msg[200];
        enum custom_kind kind = local_custom_kind(cmd, q->argc, q->argv, &err, msg, sizeof(msg));
        if (err) {
            reply_error(&q->reply, err);
        } else if (kind != CUSTOM_NONE) {
            custom_start(s, q, kind);
            return;
        } else {
            struct cmd_ctx ctx;
            shard_init_ctx(s, &ctx, q->dbid, q->resp, &q->reply);
            ctx.argc = q->argc;
            ctx.argv = q->argv;
            ctx.cmd = cmd;
            ctx.client = c;
            uint64_t dirty = s->stats.dirty;
            if (evict_command_allowed(&ctx))
                cmd->handler(&ctx);
            effect_log_command(&ctx, dirty);
        }
        request_finish(q);
        return;
    }
    if (cmd->route == ROUTE_ALL) {
        fan_out(s, q);
        return;
    }
    int target = command_shard(q), multi = target == -2;
    if (target == -1) { /* keyless (SCAN): the cursor names the shard */
        int *keypos = malloc(sizeof(int) * q->argc);
        uint64_t *h = malloc(sizeof(uint64_t) * q->argc);
        int *sh = malloc(sizeof(int) * q->argc);
        route_keys(s, cmd, q->argc, q->argv, keypos, h, sh, &target, &multi);
        free(keypos);
        free(h);
        free(sh);
    }
    request_route_keys(s, q, target, multi);
}

/* EXEC: every key of the queued commands and of WATCH on one shard runs in
 * one hop (SUB_EXEC); otherwise a transaction locks them all first. */
static void exec_start(struct shard *s, struct request *r)
{
    /* One hop when every command and every watched key is on one shard;
     * per shard when each command is on one shard. */
    int one = -1, one_hop = 1, per_shard = r->nqueued > 0;
    for (int i = 0; i < r->nqueued; i++) {
        int sh = command_shard(r->queued[i]);
        if (sh < 0)
            one_hop = per_shard = 0;
        else if (one < 0)
            one = sh;
        else if (one != sh)
            one_hop = 0;
    }
    for (int i = 0; i < r->nwatched && one_hop; i++) {
        if (one < 0)
            one = r->watched[i].shard;
        else if (one != r->watched[i].shard)
            one_hop = 0;
    }
    if (r->nqueued == 0 && r->nwatched == 0) {
        reply_array(&r->reply, 0);
        request_body_finished(s, r);
        return;
    }
    if (one_hop && one >= 0) {
        s->stats.txn_single_shard++;
        r->exec_cmds = calloc(r->nqueued ? r->nqueued : 1, sizeof(struct exec_cmd));
        for (int i = 0; i < r->nqueued; i++) {
            struct request *q = r->queued[i];
            r->exec_cmds[i] = (struct exec_cmd){q->cmd, q->argc, q->argv, q->hashes};
            shard_command_stat(s, q->cmd, q->argc, q->argv)->calls++;
        }
        r->aux = CUSTOM_EXEC_ONE_HOP;
        struct subreq *sub = single_sub(r, one, SUB_EXEC, NULL);
        sub->ncmds = r->nqueued;
        sub->cmds = r->exec_cmds;
        sub->nwatch = r->nwatched;
        sub->watch = r->watched;
        subs_launch(s, r);
        return;
    }
    struct txn *tx = txn_new(s->srv->nshards);
    for (int i = 0; i < r->nqueued; i++) {
        struct request *q = r->queued[i];
        if (q->cmd->route == ROUTE_ALL) {
            txn_add_global(tx);
            tx->writes |= (q->cmd->flags & CMD_WRITE) != 0;
            continue;
        }
        int *keypos = malloc(sizeof(int) * (q->argc + 1));
        int n = command_key_positions(q->cmd, q->argc, q->argv, keypos, q->argc);
        txn_add_command(tx, q, keypos, n);
        free(keypos);
    }
    for (int i = 0; i < r->nwatched; i++)
        txn_add_watch(tx, &r->watched[i]);
    txn_begin(s, r, tx, per_shard ? body_exec_per_shard : body_exec);
}

/* Commands that run at once even between MULTI and EXEC (Redis's list). */
static int runs_inside_multi(const struct command *cmd)
{
    cmd_handler *h = cmd->handler;
    return h == cmd_exec || h == cmd_discard || h == cmd_multi || h == cmd_watch || h == cmd_quit || h == cmd_reset;
}

static int is_transaction_command(const struct command *cmd)
{
    cmd_handler *h = cmd->handler;
    return h == cmd_multi || h == cmd_exec || h == cmd_discard || h == cmd_watch || h == cmd_unwatch || h == cmd_reset;
}

/* MULTI, EXEC, DISCARD, WATCH, UNWATCH and queueing inside MULTI. Returns 1
 * when the command was handled here. */
#define ERR_NOREPLICAS "NOREPLICAS Not enough good replicas to write."

/* Whether the client's open transaction queued a write command. */
static int queued_write(const struct client *c)
{
    for (int i = 0; c->in_multi && i < c->nqueued; i++)
        if (c->queued[i]->cmd->flags & CMD_WRITE)
            return 1;
    return 0;
}

static int dispatch_multi(struct client *c, const struct command *cmd, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    cmd_handler *h = cmd->handler;
    if (c->in_multi && !runs_inside_multi(cmd)) {
        if (cmd->flags & CMD_NO_MULTI) {
            shard_command_stat(s, cmd, argc, argv)->rejected++;
            c->multi_dirty = 1;
            dispatch_reply_error(c, "ERR Command not allowed inside a transaction");
            return 1;
        }
        struct request *q = request_alloc(c, cmd, argc, argv);
        int *keypos = malloc(sizeof(int) * (argc + 1));
        int target, multi;
        if (cmd->route == ROUTE_KEYS || cmd->route == ROUTE_CUSTOM)
            route_keys(s, cmd, argc, argv, keypos, q->hashes, q->shard_of, &target, &multi);
        free(keypos);
        if (c->nqueued == c->queued_cap) {
            c->queued_cap = c->queued_cap ? c->queued_cap * 2 : 8;
            c->queued = realloc(c->queued, sizeof(*c->queued) * c->queued_cap);
        }
        c->queued[c->nqueued++] = q;
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_simple(out, "QUEUED");
        reply_ready(c, req, out, before);
        return 1;
    }
    if (h == cmd_multi) {
        if (c->in_multi) {
            dispatch_reply_error(c, "ERR MULTI calls can not be nested");
            return 1;
        }
        c->in_multi = 1;
    } else if (h == cmd_discard) {
        if (!c->in_multi) {
            dispatch_reply_error(c, "ERR DISCARD without MULTI");
            return 1;
        }
        client_discard_multi(c);
        client_unwatch_all(c);
    } else if (h == cmd_unwatch) {
        client_unwatch_all(c);
    } else if (h == cmd_reset) {
        client_discard_multi(c);
        client_unwatch_all(c);
        return 0; /* RESET itself runs inline */
    } else if (h == cmd_watch) {
        if (c->in_multi) {
            dispatch_reply_error(c, "ERR WATCH inside MULTI is not allowed");
            return 1;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        int *keypos = malloc(sizeof(int) * argc);
        int target, multi;
        int n = route_keys(s, cmd, argc, argv, keypos, r->hashes, r->shard_of, &target, &multi);
        split_by_shard(r, keypos, n, 0, NULL, s);
        free(keypos);
        for (int i = 0; i < r->nsubs; i++)
            r->subs[i].op = SUB_WATCH;
        r->aux = CUSTOM_WATCH;
        c->paused = 1; /* a pipelined EXEC must see these keys watched */
        c->barrier = r;
        subs_launch(s, r);
        return 1;
    } else if (h == cmd_exec) {
        if (!c->in_multi) {
            dispatch_reply_error(c, "ERR EXEC without MULTI");
            return 1;
        }
        if (c->multi_dirty) {
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
            return 1;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        r->queued = c->queued;
        r->nqueued = c->nqueued;
        r->watched = c->watched;
        r->nwatched = c->nwatched;
        if (!r->queued)
            r->queued = calloc(1, sizeof(*r->queued)); /* marks r as an EXEC */
        c->queued = NULL;
        c->nqueued = c->queued_cap = 0;
        c->watched = NULL;
        c->nwatched = c->watched_cap = 0;
        c->in_multi = 0;
        c->paused = 1; /* barrier: the transaction runs before anything later */
        c->barrier = r;
        exec_start(s, r);
        return 1;
    } else {
        return 0;
    }
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    reply_ok(out);
    reply_ready(c, req, out, before);
    return 1;
}

static inline __attribute__((always_inline)) void dispatch_one(struct client *c, int argc, const struct arg *argv);

/* INFO commandstats: a command refused before it runs counts in
 * rejected_calls; one that runs counts in calls, and in failed_calls when
 * it replies an error (s->running_stat, read by reply_ready, while it is
 * dispatched; request_finish for replies that come later). */
void dispatch_command(struct client *c, int argc, const struct arg *argv)
{
    /* s->running_stat is NULL between commands (calloc, then reset below). */
    struct shard *s = c->shard;
    /* CLIENT REPLY: the replies of this command are dropped (the CLIENT
     * REPLY handler may change the mode, and c->reply_silent, itself);
     * c->reply_silent is 0 between commands. */
    if (__builtin_expect(c->reply_mode != REPLY_ON, 0))
        c->reply_silent = c->reply_mode == REPLY_OFF || c->reply_mode == REPLY_SKIP;
    dispatch_one(c, argc, argv);
    s->running_stat = NULL;
    if (__builtin_expect(c->reply_mode != REPLY_ON, 0) || c->reply_silent) {
        if (c->reply_mode == REPLY_SKIP)
            c->reply_mode = REPLY_ON;
        else if (c->reply_mode == REPLY_SKIP_NEXT)
            c->reply_mode = REPLY_SKIP;
        c->reply_silent = 0;
    }
}

/* CMD_PROTECTED: DEBUG and MODULE run only when their enable-<name>-command
 * option allows it (yes, or local for a local connection). Replies Redis's
 * error and returns 1 when refused. Only DEBUG exists in this server. */
static __attribute__((cold, noinline)) int protected_command_refused(struct client *c, const struct command *cmd)
{
    int debug = strcmp(cmd->name, "debug") == 0;
    int mode = debug ? c->shard->cfg->enable_debug_command : c->shard->cfg->enable_module_command;
    if (config_protected_action_allowed(mode, c->addr))
        return 0;
    char msg[300];
    snprintf(msg, sizeof(msg),
             "ERR %s command not allowed. If the enable-%s-command option is set to \"local\", you can run it from a "
             "local connection, otherwise you need to set this option in the configuration file, and then restart the "
             "server.",
             debug ? "DEBUG" : "MODULE", debug ? "debug" : "module");
    dispatch_reply_error(c, msg);
    return 1;
}

/* Inlined into dispatch_command: a call costs ~70 instructions per command
 * (see route_keys). */
static inline __attribute__((always_inline)) void dispatch_one(struct client *c, int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    if (__builtin_expect(c->protected_denied, 0)) {
        dispatch_reply_error(c, acl_denied_message);
        client_close(c, 1);
        return;
    }
    const struct command *cmd = acl_lookup_command(argv[0].ptr, argv[0].len);
    if (!cmd) {
        c->multi_dirty |= c->in_multi;
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_unknown_command(out, argc, argv);
        reply_ready(c, req, out, before);
        return;
    }
    /* MSET-like commands: keys with companions must come in whole groups,
     * checked before any shard runs a part. Inside MULTI that check waits
     * for EXEC (Redis 7.0 queues MSET a 1 b: only the arity is checked at
     * queue time, the pairs when it runs). */
    if (!command_arity_ok(cmd, argc) || (!c->in_multi && !key_groups_ok(cmd, argc))) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        if (cmd->handler == cmd_exec) {
            /* Redis: a rejected EXEC discards the transaction. */
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(
                c, "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
            return;
        }
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        reply_wrong_arity(out, argv[0].ptr, argv[0].len);
        reply_ready(c, req, out, before);
        return;
    }
    /* Container commands (CLIENT, CONFIG, COMMAND, OBJECT): the subcommand
     * has its own arity, checked here like Redis 7 does. */
    const struct command *subcmd = NULL;
    if (cmd->subcommands && argc >= 2) {
        subcmd = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        char msg[400];
        if (!subcmd) {
            char upper[32];
            size_t k = 0;
            for (; cmd->name[k] && k < sizeof(upper) - 1; k++)
                upper[k] = (char)(cmd->name[k] >= 'a' && cmd->name[k] <= 'z' ? cmd->name[k] - 32 : cmd->name[k]);
            upper[k] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr, upper);
        } else if (!command_arity_ok(subcmd, argc)) {
            snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s|%s' command", cmd->name, subcmd->name);
        }
        if (!subcmd || !command_arity_ok(subcmd, argc)) {
            c->multi_dirty |= c->in_multi;
            if (subcmd) /* an unknown subcommand counts nowhere, as in Redis */
                shard_command_stat(s, cmd, argc, argv)->rejected++;
            dispatch_reply_error(c, msg);
            return;
        }
    }
    /* Protected commands (DEBUG: enable-debug-command), as Redis: after the
     * arity checks, before AUTH and ACL. */
    if (__builtin_expect(cmd->flags & CMD_PROTECTED, 0) && protected_command_refused(c, cmd)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        return;
    }
    /* AUTH and ACL: one load and two compares for an unrestricted user */
    if (!acl_client_unrestricted(c)) {
        char err[300];
        int denied = acl_check(c, cmd, subcmd, argc, argv, err, sizeof(err));
        if (denied) {
            c->multi_dirty |= c->in_multi;
            shard_command_stat(s, cmd, argc, argv)->rejected++;
            dispatch_reply_error(c, err);
            if (denied == 2)
                client_close(c, 1);
            return;
        }
    }
    if (__builtin_expect(cmd->handler == cmd_flushall || cmd->handler == cmd_flushdb || cmd->handler == cmd_shutdown,
                         0))
        audit_log(c, "admin", "command=%s", cmd->name);
    if ((cmd->flags & CMD_DENYOOM) && evict_refuse_write(s->cfg, s->now_ms)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        dispatch_reply_error(c, EVICT_OOM_ERROR);
        return;
    }
    /* stop-writes-on-bgsave-error: after a failed snapshot, commands that
     * may write (and PING, as Redis 7.0) get MISCONF until a save works. */
    if (((cmd->flags & CMD_WRITE) || cmd->handler == cmd_ping) && snap_writes_refused(s->srv)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        dispatch_reply_error(c, ERR_MISCONF);
        return;
    }
    /* A failing log write: writes wait until it works again (as Redis). */
    const char *aof_err;
    if ((cmd->flags & CMD_WRITE) && aof_writes_refused(s->srv, &aof_err)) {
        c->multi_dirty |= c->in_multi;
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        uint64_t tag = c->log_tag;
        struct request *tail = c->req_tail;
        dispatch_reply_error(c, aof_err);
        if (s->log_failing) { /* the refusal depends on no record */
            c->log_tag = tag;
            if (c->req_tail && c->req_tail != tail)
                c->req_tail->log_free = 1;
        }
        return;
    }
    /* min-replicas-to-write with min-replicas-max-lag: writes need that many
     * good replicas, as Redis's checkGoodReplicasStatus. shardis has none yet
     * (replication: issue 20), so it accepts no write while it is set. EXEC
     * counts as a write when it queued one and discards the transaction. */
    if (((cmd->flags & CMD_WRITE) || cmd->handler == cmd_exec) &&
        __builtin_expect(s->cfg->min_replicas_to_write > 0, 0) && s->cfg->min_replicas_max_lag > 0 &&
        ((cmd->flags & CMD_WRITE) || queued_write(c))) {
        shard_command_stat(s, cmd, argc, argv)->rejected++;
        if (cmd->handler == cmd_exec) {
            client_discard_multi(c);
            client_unwatch_all(c);
            dispatch_reply_error(c, "EXECABORT Transaction discarded because of: " ERR_NOREPLICAS);
        } else {
            c->multi_dirty |= c->in_multi;
            dispatch_reply_error(c, ERR_NOREPLICAS);
        }
        return;
    }
    c->commands++;
    c->last_cmd = cmd->name;
    c->last_sub = subcmd ? subcmd->name : NULL;
    /* A command queued by MULTI is counted when EXEC runs it. */
    if (!(c->in_multi && !runs_inside_multi(cmd))) {
        s->running_stat = shard_command_stat(s, cmd, argc, argv);
        s->running_stat->calls++;
    }
    if ((c->in_multi || (cmd->route == ROUTE_LOCAL && is_transaction_command(cmd))) &&
        dispatch_multi(c, cmd, argc, argv))
        goto out;

    if (cmd->route == ROUTE_LOCAL) {
        const char *err;
        char msg[200];
        enum custom_kind kind = local_custom_kind(cmd, argc, argv, &err, msg, sizeof(msg));
        if (err) {
            dispatch_reply_error(c, err);
            return;
        }
        if (kind == CUSTOM_NONE) {
            run_inline(s, c, cmd, argc, argv, NULL, 1);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        custom_start(s, r, kind);
        return;
    }

    if (cmd->route == ROUTE_ALL) {
        int n = s->srv->nshards;
        if (cmd->handler == cmd_save || cmd->handler == cmd_bgsave || cmd->handler == cmd_bgrewriteaof) {
            /* One snapshot at a time: claim the slot (and fix the epoch)
             * before the barrier; the shards take the cut under it. */
            const char *reply;
            int is_error;
            int go = cmd->handler == cmd_bgrewriteaof
                         ? aof_command_prepare(s->srv, &reply, &is_error)
                         : snap_command_prepare(s->srv, cmd->handler == cmd_save, argc, argv, &reply, &is_error);
            if (!go) {
                if (is_error) {
                    dispatch_reply_error(c, reply);
                } else {
                    struct request *req;
                    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
                    size_t before = out->len;
                    reply_simple(out, reply);
                    reply_ready(c, req, out, before);
                }
                return;
            }
        }
        if (needs_barrier(cmd) && (n > 1 || !locktab_idle(s->locks))) {
            struct request *r = request_new(c, cmd, argc, argv);
            c->paused = 1;
            c->barrier = r;
            struct txn *tx = txn_new(n);
            txn_add_global(tx);
            tx->writes = (cmd->flags & CMD_WRITE) != 0;
            txn_begin(s, r, tx, body_all);
            return;
        }
        if (n == 1 && !shard_keys_locked(s, cmd, argc, argv, NULL)) {
            run_inline(s, c, cmd, argc, argv, NULL, 0);
            return;
        }
        struct request *r = request_new(c, cmd, argc, argv);
        fan_out(s, r);
        return;
    }

    /* ROUTE_KEYS / ROUTE_CUSTOM: hash the keys once. */
    int keypos_small[16];
    int *keypos = argc <= 16 ? keypos_small : malloc(sizeof(int) * argc);
    uint64_t hashes_small[16];
    uint64_t *hashes = argc <= 16 ? hashes_small : malloc(sizeof(uint64_t) * argc);
    int shard_small[16];
    int *shard_of = argc <= 16 ? shard_small : malloc(sizeof(int) * argc);
    int target, multi;
    int nkeys = route_keys(s, cmd, argc, argv, keypos, hashes, shard_of, &target, &multi);
    if (!multi && nkeys > 1)
        s->stats.txn_single_shard++;
    int scan_remote = nkeys == 0 && cmd->handler == cmd_scan && s->srv->nshards > 1;
    if (!multi && !scan_remote && target == s->id && !(cmd->flags & CMD_BLOCKING) &&
        (locktab_idle(s->locks) || !shard_keys_locked(s, cmd, argc, argv, hashes))) {
        run_inline(s, c, cmd, argc, argv, hashes, 0);
    } else {
        struct request *r = request_new(c, cmd, argc, argv);
        memcpy(r->hashes, hashes, sizeof(uint64_t) * argc);
        memcpy(r->shard_of, shard_of, sizeof(int) * argc);
        if ((cmd->flags & CMD_BLOCKING) && nkeys > 0)
            block_prepare(s, r);
        request_route_keys(s, r, target, multi);
    }
    if (keypos != keypos_small)
        free(keypos);
    if (hashes != hashes_small)
        free(hashes);
    if (shard_of != shard_small)
        free(shard_of);
out:
    if (c->npending >= MAX_PENDING_PER_CLIENT)
        c->paused = 1;
}
