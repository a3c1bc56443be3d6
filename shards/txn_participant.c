/*
 * txn_participant.c - a shard's side of transactions and of the lock check
 * every sub-request passes: the lock table's requests (SUB_LOCK, SUB_UNLOCK,
 * SUBF_RELEASE), parked sub-requests run when their keys are granted, the
 * WATCH checks under the locks, and SUB_EXEC (a whole MULTI/EXEC on one
 * shard in one hop). The coordinator's side is shards/txn.c and
 * shards/dispatch.c.
 *
 * Runs on the shard's own thread, on sub-requests it received (or created,
 * when it is their coordinator too).
 *
 * Locks (shards/txn.h) are taken by SUB_LOCK for a transaction that spans
 * shards and released by SUB_UNLOCK or by the last sub-request of the
 * transaction (SUBF_RELEASE). Every other sub-request that touches keys
 * checks the lock table first; while no lock exists that check is one
 * compare (locktab_idle). A sub-request whose keys are locked, or queued for
 * by an earlier request, waits in the table's FIFO queue ("parked") and runs
 * when granted; its reply then goes back in a reply batch of its own.
 */
#include "shards/shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "persist/aof_log.h"
#include "shards/blocking.h"
#include "shards/evict_pass.h"
#include "shards/request.h"
#include "shards/tracking.h"
#include "shards/txn.h"

static struct lock_req *lockreq_new(int nkeys)
{
    struct lock_req *lr = calloc(1, sizeof(*lr) + (size_t)nkeys * (sizeof(uint64_t) + 1));
    if (!lr) {
        fprintf(stderr, "out of memory\n");
        abort();
    }
    lr->keys = (uint64_t *)(lr + 1);
    lr->modes = (unsigned char *)(lr->keys + nkeys);
    return lr;
}

/* Adds the keys of one command to lr (room for argc keys must exist). */
static void footprint_add(struct lock_req *lr, const struct command *cmd, int argc, const struct arg *argv,
                          const uint64_t *hashes)
{
    int small[16];
    int *pos = argc <= 16 ? small : malloc(sizeof(int) * argc);
    int n = command_key_positions(cmd, argc, argv, pos, argc);
    unsigned char mode = (cmd->flags & CMD_WRITE) ? LOCK_EXCL : LOCK_SHARED;
    for (int i = 0; i < n; i++) {
        int p = pos[i];
        uint64_t h = hashes && hashes[p] ? hashes[p] : key_hash(argv[p].ptr, argv[p].len);
        lr->keys[lr->nkeys] = h;
        lr->modes[lr->nkeys++] = mode;
    }
    if (n == 0)
        lr->global = 1; /* reads the whole keyspace: waits for every holder */
    if (pos != small)
        free(pos);
}

int shard_keys_locked(struct shard *s, const struct command *cmd, int argc, const struct arg *argv,
                      const uint64_t *hashes)
{
    if (locktab_idle(s->locks))
        return 0;
    if (argc < 16) { /* the common case: no allocation */
        struct lock_req lr = {0};
        uint64_t keys[16];
        unsigned char modes[16];
        lr.keys = keys;
        lr.modes = modes;
        footprint_add(&lr, cmd, argc, argv, hashes);
        return locktab_conflicts(s->locks, &lr);
    }
    struct lock_req *lr = lockreq_new(argc + 1);
    footprint_add(lr, cmd, argc, argv, hashes);
    int locked = locktab_conflicts(s->locks, lr);
    free(lr);
    return locked;
}

/* The keys a sub-request touches, for the lock check; NULL when it needs
 * none (transaction parts, INFO, CLIENT, UNWATCH). A command without keys
 * reads the whole keyspace (DBSIZE, KEYS, SCAN, RANDOMKEY): it waits, as a
 * parked global request, until no transaction holds a lock here, so it never
 * sees one half applied on this shard. */
static struct lock_req *sub_footprint(struct subreq *sub)
{
    if (sub->txflags & SUBF_TX)
        return NULL;
    if (sub->op == SUB_HANDLER) {
        struct lock_req *lr = lockreq_new(sub->argc + 1);
        footprint_add(lr, sub->req->cmd, sub->argc, sub->argv, sub->hashes);
        return lr;
    }
    if (sub->op == SUB_WATCH) { /* after a transaction of the client that holds these keys */
        struct lock_req *lr = lockreq_new(sub->argc);
        for (int i = 1; i < sub->argc; i++) {
            lr->keys[lr->nkeys] = sub->hashes[i];
            lr->modes[lr->nkeys++] = LOCK_SHARED;
        }
        return lr;
    }
    if (sub->op == SUB_EXEC) {
        int total = sub->nwatch;
        for (int i = 0; i < sub->ncmds; i++)
            total += sub->cmds[i].argc + 1;
        struct lock_req *lr = lockreq_new(total);
        for (int i = 0; i < sub->ncmds; i++)
            footprint_add(lr, sub->cmds[i].cmd, sub->cmds[i].argc, sub->cmds[i].argv, sub->cmds[i].hashes);
        for (int i = 0; i < sub->nwatch; i++) {
            lr->keys[lr->nkeys] = sub->watch[i].hash;
            lr->modes[lr->nkeys++] = LOCK_SHARED;
        }
        return lr;
    }
    return NULL;
}

static int key_live(struct shard *s, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct db_entry *e = db_find(s->dbs[dbid], hash, key, len);
    return e && (e->expire_at == 0 || e->expire_at > s->now_ms);
}

/* EXEC fails when a watched key was modified (its version moved) or when it
 * existed at WATCH time and has expired since (Redis 7). Returns 1 then. */
static int watch_failed(struct shard *s, const struct watch_key *w, int n)
{
    for (int i = 0; i < n; i++) {
        if (watchtab_version(s->watches, w[i].dbid, w[i].hash, w[i].key, w[i].len) != w[i].version)
            return 1;
        if (w[i].live && !key_live(s, w[i].dbid, w[i].hash, w[i].key, w[i].len))
            return 1;
    }
    return 0;
}

void shard_run_watch(struct shard *s, struct subreq *sub)
{
    for (int i = 1; i < sub->argc; i++) {
        const struct arg *k = &sub->argv[i];
        struct watch_key w = {.dbid = sub->dbid, .hash = sub->hashes[i]};
        w.version = watchtab_add(s->watches, sub->dbid, w.hash, k->ptr, k->len);
        w.live = key_live(s, sub->dbid, w.hash, k->ptr, k->len);
        buf_append(&sub->out, &w, sizeof(w));
    }
}

/* SUB_EXEC: a whole MULTI/EXEC on this shard, atomically. The replies are
 * written one after the other; the coordinator adds the array header. */
void shard_run_exec(struct shard *s, struct subreq *sub)
{
    if (watch_failed(s, sub->watch, sub->nwatch)) {
        sub->watch_failed = 1;
        return;
    }
    /* A transaction on one shard is logged whole or not at all (unless it
     * is a part of a multi-shard one, tagged by shard_accept_sub). */
    int own_txn = s->log && sub->ncmds > 1 && !sub->txn_id;
    if (own_txn)
        aof_txn_begin(s->log, aof_new_txn_id(s->persist), 1);
    for (int i = 0; i < sub->ncmds; i++) {
        const struct exec_cmd *ec = &sub->cmds[i];
        struct cmd_ctx c;
        shard_init_ctx(s, &c, sub->dbid, sub->resp, &sub->out);
        c.argc = ec->argc;
        c.argv = ec->argv;
        c.hashes = ec->hashes;
        c.cmd = ec->cmd;
        size_t before = sub->out.len;
        int64_t t0 = monotonic_us();
        uint64_t dirty = s->stats.dirty;
        if (evict_command_allowed(&c))
            ec->cmd->handler(&c);
        if (__builtin_expect(sub->track_reads, 0) && (ec->cmd->flags & CMD_READONLY))
            tracking_remember(s, sub->coord, sub->client_id, ec->cmd, ec->argc, ec->argv);
        effect_log_command(&c, dirty);
        struct command_stat *st = shard_command_stat(s, ec->cmd, ec->argc, ec->argv);
        shard_command_time(s, st, monotonic_us() - t0);
        if (sub->out.len > before && sub->out.data[before] == '-') {
            st->failed++;
            shard_count_error(s, sub->out.data + before, sub->out.len - before);
        }
        s->stats.commands++;
        if (sub->reply_ends)
            sub->reply_ends[i] = sub->out.len;
        blocking_signal_command(s, sub->dbid, ec->cmd, ec->argc, ec->argv, ec->hashes);
    }
    if (own_txn)
        aof_txn_end(s->log);
}

static void run_granted(struct shard *s, struct lock_req *granted);

static void release_lock(struct shard *s, struct lock_req *lr)
{
    struct lock_req *granted = locktab_release(s->locks, lr);
    free(lr);
    if (granted)
        run_granted(s, granted); /* serves blocked clients at its end */
    else if (blocking_active(s->blocks))
        blocking_serve(s); /* waiters deferred behind this transaction */
}

/* A SUB_LOCK got its locks: check the watched keys under them. */
static void lock_granted(struct shard *s, struct subreq *sub, struct lock_req *lr)
{
    sub->lock = lr;
    sub->result = 1;
    sub->watch_failed = watch_failed(s, sub->watch, sub->nwatch);
}

/* Acts on the requests a release granted, in queue order: a transaction's
 * lock is now held, a parked command runs. Every one of them runs before
 * any reply is delivered: delivering one to a local coordinator may start
 * its next step at once, which may release and grant again, and a lock
 * granted then must not see a parked command of this list still unrun (it
 * left the table when it was granted). Parked commands never carry
 * SUBF_RELEASE: transaction parts skip the lock check. */
static void run_granted(struct shard *s, struct lock_req *granted)
{
    struct subreq *small[16];
    struct subreq **done = small;
    int n = 0, cap = 16;
    while (granted) {
        struct lock_req *lr = granted;
        granted = lr->next;
        struct subreq *sub = lr->owner;
        sub->parked = NULL;
        if (lr->hold) {
            lock_granted(s, sub, lr);
        } else {
            free(lr);
            shard_run_sub(s, sub);
            if (sub->block_parked)
                continue; /* a blocking command found nothing: parked on its keys */
        }
        if (n == cap) {
            cap *= 2;
            if (done == small) {
                done = malloc(sizeof(*done) * cap);
                memcpy(done, small, sizeof(small));
            } else {
                done = realloc(done, sizeof(*done) * cap);
            }
        }
        done[n++] = sub;
    }
    for (int i = 0; i < n; i++)
        shard_complete_late(s, done[i]);
    if (done != small)
        free(done);
    blocking_serve(s);
}

int shard_accept_sub(struct shard *s, struct subreq *sub)
{
    if (sub->op == SUB_LOCK) {
        int n = sub->nlockkeys < 0 ? 0 : sub->nlockkeys;
        struct lock_req *lr = lockreq_new(n);
        lr->global = sub->nlockkeys < 0;
        lr->nkeys = n;
        if (n) {
            memcpy(lr->keys, sub->lockkeys, sizeof(uint64_t) * n);
            memcpy(lr->modes, sub->lockmodes, n);
        }
        lr->hold = 1;
        lr->owner = sub;
        if (sub->txflags & SUBF_WAIT) {
            if (!locktab_acquire(s->locks, lr)) {
                s->stats.txn_lock_waits++;
                sub->parked = lr;
                return 0;
            }
        } else if (!locktab_try(s->locks, lr)) {
            free(lr);
            sub->result = 0;
            return 1;
        }
        lock_granted(s, sub, lr);
        return 1;
    }
    if (sub->op == SUB_UNBLOCK) {
        blocking_cancel(s, (uint64_t)sub->result);
        return 1;
    }
    if (sub->op == SUB_UNLOCK) {
        struct lock_req *lr = sub->lock;
        sub->lock = NULL;
        if (sub->txn_id && s->log) { /* this shard's part of a logged transaction ends */
            aof_txn_begin(s->log, sub->txn_id, sub->txn_parts);
            aof_txn_end(s->log);
        }
        if (lr)
            release_lock(s, lr);
        return 1;
    }
    if (!locktab_idle(s->locks)) {
        struct lock_req *lr = sub_footprint(sub);
        if (lr) {
            lr->owner = sub;
            if (!locktab_acquire(s->locks, lr)) {
                s->stats.txn_lock_waits++;
                sub->parked = lr;
                return 0;
            }
            free(lr);
        }
    }
    if (sub->txn_id && s->log)
        aof_txn_begin(s->log, sub->txn_id, sub->txn_parts);
    shard_run_sub(s, sub);
    if (sub->txn_id && s->log) {
        if (sub->txflags & SUBF_RELEASE)
            aof_txn_end(s->log); /* the part ends with its locks */
        else
            aof_txn_begin(s->log, 0, 0);
    }
    if (sub->txflags & SUBF_RELEASE) {
        struct lock_req *lr = sub->lock;
        sub->lock = NULL;
        if (lr)
            release_lock(s, lr);
    }
    if (blocking_active(s->blocks))
        blocking_serve(s);
    return !sub->block_parked;
}
