/*
 * shard.c - the shard thread: one io_uring ring, one loop.
 *
 * Loop iteration (design.md §2):
 *   1. reap every completion (accept, recv, send, wake-up);
 *      received bytes are parsed and dispatched at once;
 *   2. drain the inbound rings: run sub-requests sent by other threads and
 *      complete the ones that came back;
 *   3. timers (hz): active expiry with a bounded time slice, idle clients;
 *   4. push the batches built in this iteration (one per destination),
 *      queue the sends of every client with output, send wake-ups;
 *   5. submit everything with one io_uring_enter, waiting only when there is
 *      nothing left to do.
 *
 * user_data of every SQE is a pointer with a 3-bit tag in its low bits.
 */
#include "shards/shard.h"
#include "persist/snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "security/acl.h"
#include "persist/aof_log.h"
#include "shards/blocking.h"
#include "net/conn.h"
#include "shards/request.h"
#include "core/types/db.h"
#include "shards/dispatch.h"
#include "core/types/evict.h"
#include "core/base/log.h"
#include "core/base/resp.h"
#include "shards/ring.h"
#include "net/tls.h"
#include "shards/txn.h"
#include "core/base/util.h"

#include "shards/evict_pass.h" /* the eviction pass of the loop */

#define RING_ENTRIES 4096
#define CQ_ENTRIES 16384
#define SPSC_CAPACITY 4096
/* Provided receive buffers per shard. A buffer goes back to the ring as soon
 * as its bytes are copied into the client's input, so only the completions
 * of one loop iteration hold buffers; running out costs a re-armed recv
 * (ENOBUFS), not data. The ring hands buffers out in FIFO order, so every
 * one of them ends up resident: 128 x 16 KB keeps that at 2 MB per shard. */
#define RECV_BUF_COUNT 128
#define RECV_BUF_SIZE 16384
#define RECV_BGID 1

static inline uint64_t tagged(void *p, enum tag t)
{
    return (uint64_t)(uintptr_t)p | t;
}

static struct io_uring_sqe *get_sqe(struct shard *s)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (!sqe) {
        io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
    }
    return sqe;
}

/* ---------------- stats ---------------- */

/* Error codes as Redis 7 counts them: the first word of the reply when a
 * space ends it within 32 bytes, else ERR. */
void shard_count_error(struct shard *s, const char *reply, size_t len)
{
    char code[32];
    size_t n = 0;
    s->error_replies++;
    const char *sp = memchr(reply, ' ', len < 32 ? len : 32);
    if (sp && sp - reply > 1) {
        n = (size_t)(sp - reply - 1);
        memcpy(code, reply + 1, n);
    } else {
        n = 3;
        memcpy(code, "ERR", 3);
    }
    code[n] = '\0';
    for (int i = 0; i < s->nerrstats; i++) {
        if (!strcmp(s->errstats[i].code, code)) {
            s->errstats[i].count++;
            return;
        }
    }
    if (s->nerrstats < MAX_ERROR_CODES) {
        strcpy(s->errstats[s->nerrstats].code, code);
        s->errstats[s->nerrstats++].count = 1;
    }
}

struct latency_hist *shard_latency_hist_new(struct shard *s, ptrdiff_t slot)
{
    struct latency_hist *h = calloc(1, sizeof(*h));
    s->latency[slot] = h; /* NULL: statistics only, the sample is skipped */
    return h;
}

void shard_sample_rates(struct shard *s)
{
    uint64_t now_value[INST_KINDS] = {s->stats.commands, s->net_input_bytes, s->net_output_bytes};
    for (int k = 0; k < INST_KINDS; k++) {
        struct inst_metric *m = &s->inst[k];
        if (m->last_ms && s->now_ms - m->last_ms < 100)
            continue;
        if (m->last_ms && s->now_ms > m->last_ms && now_value[k] >= m->last_value) {
            m->rate[m->idx] = (now_value[k] - m->last_value) * 1000 / (uint64_t)(s->now_ms - m->last_ms);
            m->idx = (m->idx + 1) % INST_SAMPLES;
        }
        m->last_ms = s->now_ms;
        m->last_value = now_value[k];
    }
    if (s->id == 0)
        info_sample_memory();
}

static uint64_t inst_rate(const struct inst_metric *m)
{
    uint64_t sum = 0;
    for (int i = 0; i < INST_SAMPLES; i++)
        sum += m->rate[i];
    return sum / INST_SAMPLES;
}

void shard_reset_stats(struct shard *s)
{
    uint64_t dirty = s->stats.dirty; /* rdb_changes_since_last_save: not a statistic */
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.dirty = dirty;
    memset(s->cmdstats, 0, sizeof(struct command_stat) * (s->ncmdstats + 1));
    for (int i = 0; i <= s->ncmdstats; i++) {
        free(s->latency[i]);
        s->latency[i] = NULL;
    }
    s->nerrstats = 0;
    s->error_replies = 0;
    s->total_connections = s->rejected_connections = 0;
    s->net_input_bytes = s->net_output_bytes = 0;
    s->reads_processed = s->writes_processed = 0;
    s->expire_cycle_us = s->expire_time_cap_reached = 0;
    memset(s->inst, 0, sizeof(s->inst));
    uint64_t lazy = 0;
    for (int i = 0; i < s->ndbs; i++)
        lazy += db_expired_count(s->dbs[i]);
    s->expired_lazy_base = lazy;
}

/* Mean remaining TTL (ms) of up to 64 keys spread over db's expiry vector:
 * an estimate, as Redis's avg_ttl is. */
static long long sample_avg_ttl(struct db *db, int64_t now_ms)
{
    size_t n = db_expires_size(db);
    if (n == 0)
        return 0;
    size_t step = n > 64 ? n / 64 : 1;
    long double sum = 0;
    long long count = 0;
    for (size_t i = 0; i < n && count < 64; i += step) {
        const struct db_entry *e = db_expires_at(db, i);
        if (e && e->expire_at > now_ms) {
            sum += (long double)(e->expire_at - now_ms);
            count++;
        }
    }
    return count ? (long long)(sum / count) : 0;
}

void shard_fill_info(struct shard *s, struct shard_info *info)
{
    memset(info, 0, sizeof(*info));
    info->shard = s->id;
    info->clients = s->nclients;
    info->total_connections = s->total_connections;
    info->rejected_connections = s->rejected_connections;
    info->net_input_bytes = s->net_input_bytes;
    info->net_output_bytes = s->net_output_bytes;
    info->stats = s->stats;
    info->txn_waiting = locktab_waiting(s->locks);
    info->txn_held = locktab_held(s->locks);
    info->watched_keys = watchtab_count(s->watches);
    info->ndbs = s->ndbs;
    for (int i = 0; i < s->ndbs; i++) {
        if (i < 64) {
            info->keys[i] = (long long)db_size(s->dbs[i]);
            info->expires[i] = (long long)db_expires_size(s->dbs[i]);
        }
        if (i < 64)
            info->avg_ttl[i] = sample_avg_ttl(s->dbs[i], s->now_ms);
        info->expired_lazy += db_expired_count(s->dbs[i]);
        info->db_overhead += db_overhead_bytes(s->dbs[i]);
    }
    info->expired_lazy -= info->expired_lazy >= s->expired_lazy_base ? s->expired_lazy_base : info->expired_lazy;
    for (int k = 0; k < INST_KINDS; k++)
        info->inst[k] = inst_rate(&s->inst[k]);
    info->reads_processed = s->reads_processed;
    info->writes_processed = s->writes_processed;
    info->error_replies = s->error_replies;
    info->expire_cycle_us = s->expire_cycle_us;
    info->expire_time_cap_reached = s->expire_time_cap_reached;
    for (struct client *c = s->clients; c; c = c->next) {
        info->blocked_clients += c->blocked != NULL && !c->closing;
        info->clients_in_timeout_table += c->blocked != NULL && !c->closing && c->blocked->block_deadline != 0;
        info->mem_clients_normal += c->in.cap + c->out.cap + c->sending.cap + sizeof(*c);
        if (c->in.cap > info->max_input_buffer)
            info->max_input_buffer = c->in.cap;
        if (c->out.len + c->sending.len > info->max_output_buffer)
            info->max_output_buffer = c->out.len + c->sending.len;
    }
}

void shard_init_ctx(struct shard *s, struct cmd_ctx *c, int dbid, int resp, struct buf *out)
{
    memset(c, 0, sizeof(*c));
    c->shard = s;
    c->shard_id = s->id;
    c->nshards = s->srv->nshards;
    c->dbs = s->dbs;
    c->ndbs = s->ndbs;
    c->dbid = dbid;
    c->db = s->dbs[dbid];
    c->out = out;
    c->resp = resp;
    c->now_ms = s->now_ms;
    c->stats = &s->stats;
    c->watches = s->watches;
    c->cfg = s->cfg;
    c->aof = s->log;
}

/* ---------------- sub-requests ---------------- */

/* CLIENT KILL's filters, already checked by the coordinator
 * (client_kill_check in shards/cmd_server.c): whether client c matches. */
static int client_kill_matches(struct client *c, const struct arg *argv, int argc, uint64_t caller)
{
    if (argc == 3) /* CLIENT KILL addr:port: may kill the caller too */
        return strlen(c->addr) == argv[2].len && !memcmp(c->addr, argv[2].ptr, argv[2].len);
    int skipme = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        const struct arg *v = &argv[i + 1];
        if (arg_is(&argv[i], "id")) {
            long long id = 0;
            string2ll(v->ptr, v->len, &id);
            if ((uint64_t)id != c->id)
                return 0;
        } else if (arg_is(&argv[i], "addr")) {
            if (strlen(c->addr) != v->len || memcmp(c->addr, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "laddr")) {
            if (strlen(c->laddr) != v->len || memcmp(c->laddr, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "type")) {
            if (!arg_is(v, "normal")) /* no replica, master or pub/sub client exists */
                return 0;
        } else if (arg_is(&argv[i], "user")) {
            const char *user = acl_client_user(c);
            if (strlen(user) != v->len || memcmp(user, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "skipme")) {
            skipme = arg_is(v, "yes");
        }
    }
    return !(skipme && c->id == caller);
}

/* ---------------- transactions on this shard ----------------
 *
 * Locks (shards/txn.h) are taken by SUB_LOCK for a transaction that spans
 * shards and released by SUB_UNLOCK or by the last sub-request of the
 * transaction (SUBF_RELEASE). Every other sub-request that touches keys
 * checks the lock table first; while no lock exists that check is one
 * compare (locktab_idle). A sub-request whose keys are locked, or queued for
 * by an earlier request, waits in the table's FIFO queue ("parked") and runs
 * when granted; its reply then goes back in a reply batch of its own.
 */

static void shard_run_sub(struct shard *s, struct subreq *sub);

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

/* SUB_EXEC: a whole MULTI/EXEC on this shard, atomically. The replies are
 * written one after the other; the coordinator adds the array header. */
static void run_exec(struct shard *s, struct subreq *sub)
{
    if (watch_failed(s, sub->watch, sub->nwatch)) {
        sub->watch_failed = 1;
        return;
    }
    /* A transaction on one shard is logged whole or not at all (unless it
     * is a part of a multi-shard one, tagged by shard_accept_sub). */
    int own_txn = s->log && sub->ncmds > 1 && !sub->txn_id;
    if (own_txn)
        aof_txn_begin(s->log, aof_new_txn_id(s), 1);
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

/* A sub-request that waited is done: its reply goes to the coordinator. */
void shard_complete_late(struct shard *s, struct subreq *sub)
{
    if (sub->coord == s->id) {
        dispatch_sub_done(s, sub);
        return;
    }
    struct batch *b = s->replying[sub->coord];
    if (!b) {
        b = calloc(1, sizeof(*b));
        b->from = sub->coord; /* the coordinator reads it as its batch coming back */
        b->to = s->id;
        s->replying[sub->coord] = b;
    }
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = realloc(b->items, sizeof(*b->items) * b->cap);
    }
    b->items[b->count++] = sub;
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

static void shard_run_sub(struct shard *s, struct subreq *sub)
{
    struct db *db = s->dbs[sub->dbid];
    switch (sub->op) {
    case SUB_HANDLER: {
        struct cmd_ctx c;
        shard_init_ctx(s, &c, sub->dbid, sub->resp, &sub->out);
        c.argc = sub->argc;
        c.argv = sub->argv;
        c.hashes = sub->hashes;
        c.split = sub->split;
        c.cmd = sub->req->cmd; /* immutable while the request is in flight */
        if (sub->block_mode == BLOCK_NOTIFY) {
            /* A registration of a command blocked on keys of several shards:
             * data may have arrived since the coordinator looked. */
            for (int i = 1; i < sub->argc; i++)
                if (blocking_key_serves(s, sub, sub->dbid, sub->hashes[i], sub->argv[i].ptr, sub->argv[i].len)) {
                    sub->block_status = BLOCK_READY;
                    return;
                }
            blocking_park(s, sub); /* refused when cancelled: completes as such */
            return;
        }
        c.blocking = sub->block_mode == BLOCK_RUN;
        int64_t t0 = monotonic_us();
        uint64_t dirty = s->stats.dirty;
        if (evict_command_allowed(&c))
            sub->handler(&c);
        if (!c.blocked)
            effect_log_command(&c, dirty);
        shard_command_time(s, shard_command_stat(s, c.cmd, sub->argc, sub->argv), monotonic_us() - t0);
        if (c.blocked) {
            blocking_park(s, sub); /* refused when cancelled: completes as such */
            break;
        }
        s->stats.commands++;
        blocking_signal_command(s, sub->dbid, c.cmd, sub->argc, sub->argv, sub->hashes);
        break;
    }
    case SUB_TAKE: {
        struct db_entry *e = db_find_live(db, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len, s->now_ms);
        if (e) {
            db_unlink(db, e->hash, e->key, e->key_len);
            aof_append_del(s->log, sub->dbid, e->key, e->key_len); /* it leaves this shard */
            if (sub->argv[1].len == sub->argv[2].len && !memcmp(sub->argv[1].ptr, sub->argv[2].ptr, sub->argv[1].len)) {
                e->next = NULL; /* same name: the entry itself travels */
                sub->entry = e;
            } else {
                sub->entry = entry_dup_with_key(e, sub->hashes[2], sub->argv[2].ptr, sub->argv[2].len);
                entry_free(e);
            }
            if (!(sub->flags & PUT_QUIET)) {
                s->stats.dirty++;
                watchtab_touch(s->watches, sub->dbid, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len);
            }
        }
        break;
    }
    case SUB_DUP: {
        struct db_entry *e = db_find_live(db, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len, s->now_ms);
        if (e)
            sub->entry = entry_dup_with_key(e, sub->hashes[2], sub->argv[2].ptr, sub->argv[2].len);
        break;
    }
    case SUB_PUT: {
        struct db_entry *e = sub->entry;
        if (!e) { /* PUT_TOUCH: the command deleted this key */
            s->stats.dirty++;
            watchtab_touch(s->watches, sub->dbid, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len);
            break;
        }
        struct db_entry *old = db_find_live(db, e->hash, e->key, e->key_len, s->now_ms);
        if (old && (sub->flags & PUT_NX)) {
            sub->result = 0;
            break;
        }
        if (old)
            db_delete(db, e->hash, e->key, e->key_len);
        aof_append_entry(s->log, sub->dbid, e);
        db_insert(db, e);
        sub->entry = NULL;
        sub->result = 1;
        if (!(sub->flags & PUT_QUIET)) {
            s->stats.dirty++;
            watchtab_touch(s->watches, sub->dbid, e->hash, e->key, e->key_len);
        }
        blocking_signal(s, sub->dbid, e->hash, e->key, e->key_len);
        break;
    }
    case SUB_INFO: {
        struct shard_info info;
        shard_fill_info(s, &info);
        info.nerrstats = s->nerrstats;
        size_t base = sub->out.len;
        buf_append(&sub->out, &info, sizeof(info));
        buf_append(&sub->out, s->cmdstats, sizeof(struct command_stat) * (s->ncmdstats + 1));
        buf_append(&sub->out, s->errstats, sizeof(struct error_stat) * s->nerrstats);
        for (int i = 0; i <= s->ncmdstats; i++) {
            if (!s->latency[i])
                continue;
            struct latency_entry e = {.slot = i};
            e.hist = *s->latency[i];
            buf_append(&sub->out, &e, sizeof(e));
            info.nlatency++;
        }
        memcpy(sub->out.data + base + offsetof(struct shard_info, nlatency), &info.nlatency, sizeof(info.nlatency));
        break;
    }
    case SUB_RESETSTAT:
        shard_reset_stats(s);
        break;
    case SUB_CLIENT_UNBLOCK: {
        long long id = 0;
        string2ll(sub->argv[2].ptr, sub->argv[2].len, &id);
        int error = sub->argc == 4 && arg_is(&sub->argv[3], "error");
        sub->result = 0;
        for (struct client *c = s->clients; c; c = c->next)
            if (c->id == (uint64_t)id) {
                sub->result = dispatch_client_unblock(c, error);
                break;
            }
        break;
    }
    case SUB_CLIENT_LIST: {
        /* CLIENT LIST [TYPE normal] [ID id ...]: every shard applies the filter. */
        int want_none = 0;
        for (int i = 2; i + 1 < sub->argc; i++) {
            if (arg_is(&sub->argv[i], "type") && !arg_is(&sub->argv[i + 1], "normal"))
                want_none = 1;
        }
        for (struct client *c = s->clients; c && !want_none; c = c->next) {
            if (c->closing)
                continue;
            int keep = 1;
            for (int i = 2; i < sub->argc; i++) {
                if (arg_is(&sub->argv[i], "id")) {
                    keep = 0;
                    for (int j = i + 1; j < sub->argc; j++) {
                        long long id;
                        if (string2ll(sub->argv[j].ptr, sub->argv[j].len, &id) && (uint64_t)id == c->id)
                            keep = 1;
                    }
                    break;
                }
            }
            if (keep)
                client_describe_running(c, &sub->out, s->now_ms, c->id == (uint64_t)sub->result ? sub->argv : NULL,
                                        sub->argc);
        }
        break;
    }
    case SUB_CLIENT_KILL: {
        uint64_t caller = (uint64_t)sub->result;
        long long killed = 0;
        struct client *next;
        for (struct client *c = s->clients; c; c = next) {
            next = c->next; /* closing may free c */
            if (c->closing)
                continue;
            if (client_kill_matches(c, sub->argv, sub->argc, caller)) {
                killed++;
                client_close(c, c->id == caller);
            }
        }
        sub->result = killed;
        break;
    }
    case SUB_EXEC:
        run_exec(s, sub);
        break;
    case SUB_WATCH:
        for (int i = 1; i < sub->argc; i++) {
            const struct arg *k = &sub->argv[i];
            struct watch_key w = {.dbid = sub->dbid, .hash = sub->hashes[i]};
            w.version = watchtab_add(s->watches, sub->dbid, w.hash, k->ptr, k->len);
            w.live = key_live(s, sub->dbid, w.hash, k->ptr, k->len);
            buf_append(&sub->out, &w, sizeof(w));
        }
        break;
    case SUB_UNWATCH:
        for (int i = 1; i < sub->argc; i++)
            watchtab_remove(s->watches, sub->dbid, sub->hashes[i], sub->argv[i].ptr, sub->argv[i].len);
        break;
    case SUB_LOCK:
    case SUB_UNLOCK:
    case SUB_UNBLOCK:
        break; /* handled by shard_accept_sub */
    }
}

void shard_send_sub(struct shard *s, struct subreq *sub)
{
    struct batch *b = s->building[sub->shard];
    if (!b) {
        b = calloc(1, sizeof(*b));
        b->from = s->id;
        b->to = sub->shard;
        s->building[sub->shard] = b;
    }
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 16;
        b->items = realloc(b->items, sizeof(*b->items) * b->cap);
    }
    b->items[b->count++] = sub;
    s->stats.hops_out++;
}

static void batch_free(struct batch *b)
{
    free(b->items);
    free(b);
}

/* Pushes b into ring[s -> dst] or queues it when the ring is full. */
static void push_batch(struct shard *s, int dst, struct batch *b, unsigned char *pushed);

/* A sub-request that runs a read handler on keys that no record still
 * waiting for a failing log touches (appendfsync always), or that takes or
 * releases locks without checking watched keys (it reads no data). */
static int sub_reads_durable(struct shard *s, const struct subreq *sub)
{
    if ((sub->op == SUB_LOCK && sub->nwatch == 0) || sub->op == SUB_UNLOCK || sub->op == SUB_INFO)
        return 1;
    if (sub->op != SUB_HANDLER || sub->argc < 1)
        return 0;
    const struct command *cmd = command_lookup(sub->argv[0].ptr, sub->argv[0].len);
    if (!cmd || cmd->handler != sub->handler)
        return 0;
    return aof_read_is_durable(s, cmd, sub->argc, sub->argv);
}

/* A batch of replies going back to its coordinator: with appendfsync
 * always it waits until the records appended so far are durable (in order
 * with the replies held before it). needs is UINT64_MAX for that, or 0 for
 * a batch of reads of durable keys while the log fails: it leaves at once,
 * even past held batches. */
static void reply_batch(struct shard *s, int dst, struct batch *b, uint64_t needs, unsigned char *pushed)
{
    if (s->log_hold && needs == UINT64_MAX && (s->held_head || s->log_appended > s->log_durable)) {
        b->log_tag = s->log_appended;
        b->to = dst; /* not read by the coordinator once back: the destination */
        b->next = NULL;
        if (s->held_tail)
            s->held_tail->next = b;
        else
            s->held_head = b;
        s->held_tail = b;
        return;
    }
    push_batch(s, dst, b, pushed);
}

/* Reply batches whose records are durable now (or that no longer wait). */
static void release_held_batches(struct shard *s, unsigned char *pushed)
{
    while (s->held_head && (!s->log_hold || s->held_head->log_tag <= s->log_durable)) {
        struct batch *b = s->held_head;
        s->held_head = b->next;
        if (!s->held_head)
            s->held_tail = NULL;
        int dst = b->to;
        b->to = s->id;
        push_batch(s, dst, b, pushed);
    }
}

static void push_batch(struct shard *s, int dst, struct batch *b, unsigned char *pushed)
{
    struct spsc_ring *r = s->srv->rings[s->id * s->srv->nshards + dst];
    if (!s->overflow_head[dst] && ring_push(r, b)) {
        pushed[dst] = 1;
        return;
    }
    b->next = NULL;
    if (s->overflow_tail[dst])
        s->overflow_tail[dst]->next = b;
    else
        s->overflow_head[dst] = b;
    s->overflow_tail[dst] = b;
    s->pending_overflow++;
}

static void drain_inbound(struct shard *s, unsigned char *pushed)
{
    int n = s->srv->nshards;
    for (int from = 0; from < n; from++) {
        if (from == s->id)
            continue;
        struct spsc_ring *r = s->srv->rings[from * n + s->id];
        struct batch *b;
        int budget = 256;
        while (budget-- > 0 && (b = ring_pop(r))) {
            if (b->from == s->id) {
                /* Our batch came back: complete its sub-requests. */
                for (int i = 0; i < b->count; i++)
                    dispatch_sub_done(s, b->items[i]);
                batch_free(b);
            } else {
                s->stats.batches_in++;
                s->stats.hops_in += b->count;
                /* Sub-requests that wait for locks, and detached ones (no
                 * reply wanted), leave the batch; the rest go back in it. */
                int kept = 0;
                uint64_t needs = s->log_failing ? 0 : UINT64_MAX;
                for (int i = 0; i < b->count; i++) {
                    struct subreq *sub = b->items[i];
                    uint64_t appended = s->log_appended;
                    int durable_read = s->log_failing && sub_reads_durable(s, sub);
                    if (!shard_accept_sub(s, sub))
                        continue;
                    if (!durable_read || s->log_appended != appended)
                        needs = UINT64_MAX;
                    if (sub->txflags & SUBF_DETACHED)
                        free(sub);
                    else
                        b->items[kept++] = sub;
                }
                b->count = kept;
                if (kept)
                    reply_batch(s, from, b, needs, pushed);
                else
                    batch_free(b);
            }
        }
    }
}

static void flush_outgoing(struct shard *s, unsigned char *pushed)
{
    int n = s->srv->nshards;
    release_held_batches(s, pushed);
    for (int dst = 0; dst < n; dst++) {
        /* Older batches first, to keep per-destination order. */
        while (s->overflow_head[dst]) {
            struct batch *b = s->overflow_head[dst];
            if (!ring_push(s->srv->rings[s->id * n + dst], b))
                break;
            pushed[dst] = 1;
            s->overflow_head[dst] = b->next;
            if (!s->overflow_head[dst])
                s->overflow_tail[dst] = NULL;
            s->pending_overflow--;
        }
        if (s->building[dst]) {
            struct batch *b = s->building[dst];
            s->building[dst] = NULL;
            s->stats.batches_out++;
            push_batch(s, dst, b, pushed);
        }
        if (s->replying[dst]) {
            struct batch *b = s->replying[dst];
            s->replying[dst] = NULL;
            reply_batch(s, dst, b, UINT64_MAX, pushed);
        }
    }
    /* Wake the consumers that sleep. The fence pairs with the one a consumer
     * issues between setting `sleeping` and re-checking its rings. */
    atomic_thread_fence(memory_order_seq_cst);
    for (int dst = 0; dst < n; dst++) {
        if (!pushed[dst])
            continue;
        pushed[dst] = 0;
        struct shard *d = s->srv->shards[dst];
        if (atomic_load_explicit(&d->sleeping, memory_order_relaxed)) {
            struct io_uring_sqe *sqe = get_sqe(s);
            io_uring_prep_msg_ring(sqe, d->ring_fd, 0, tagged(NULL, TAG_WAKE), 0);
            sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
            io_uring_sqe_set_data64(sqe, tagged(NULL, TAG_IGNORE));
        }
    }
}

void shard_wake(struct shard *s, int dst)
{
    struct shard *d = s->srv->shards[dst];
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the sleeper's, as in flush_outgoing */
    if (d != s && atomic_load_explicit(&d->sleeping, memory_order_relaxed)) {
        struct io_uring_sqe *sqe = get_sqe(s);
        io_uring_prep_msg_ring(sqe, d->ring_fd, 0, tagged(NULL, TAG_WAKE), 0);
        sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
        io_uring_sqe_set_data64(sqe, tagged(NULL, TAG_IGNORE));
        io_uring_submit(&s->ring); /* now: not after the rest of this iteration */
    }
}

static int inbound_empty(struct shard *s)
{
    int n = s->srv->nshards;
    for (int from = 0; from < n; from++)
        if (from != s->id && !ring_empty(s->srv->rings[from * n + s->id]))
            return 0;
    return 1;
}

/* ---------------- networking ---------------- */

static void arm_accept(struct shard *s, struct listener *l)
{
    struct io_uring_sqe *sqe = get_sqe(s);
    io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, tagged(l, TAG_ACCEPT));
}

static void arm_recv(struct shard *s, struct client *c)
{
    struct io_uring_sqe *sqe = get_sqe(s);
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = RECV_BGID;
    io_uring_sqe_set_data64(sqe, tagged(c, TAG_RECV));
    c->recv_inflight = 1;
}

static void recycle_buffer(struct shard *s, unsigned bid)
{
    io_uring_buf_ring_add(s->buf_ring, s->buf_base + (size_t)bid * s->buf_size, s->buf_size, bid, s->buf_mask, 0);
    io_uring_buf_ring_advance(s->buf_ring, 1);
}

static int setup_buffers(struct shard *s)
{
    s->buf_count = RECV_BUF_COUNT;
    s->buf_size = RECV_BUF_SIZE;
    s->buf_mask = io_uring_buf_ring_mask(s->buf_count);
    size_t ring_bytes = s->buf_count * sizeof(struct io_uring_buf);
    void *ringmem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ringmem == MAP_FAILED)
        return -errno;
    s->buf_ring = ringmem;
    io_uring_buf_ring_init(s->buf_ring);
    struct io_uring_buf_reg reg = {
        .ring_addr = (uint64_t)(uintptr_t)ringmem, .ring_entries = s->buf_count, .bgid = RECV_BGID};
    int ret = io_uring_register_buf_ring(&s->ring, &reg, 0);
    if (ret)
        return ret;
    s->buf_base = malloc((size_t)s->buf_count * s->buf_size);
    if (!s->buf_base)
        return -ENOMEM;
    /* The ring hands out every buffer in turn, so all of them become
     * resident under load anyway: fault them in now, not on the request
     * path (and the server's RSS at start is what it will stay at). */
    memset(s->buf_base, 0, (size_t)s->buf_count * s->buf_size);
    for (unsigned i = 0; i < s->buf_count; i++)
        io_uring_buf_ring_add(s->buf_ring, s->buf_base + (size_t)i * s->buf_size, s->buf_size, i, s->buf_mask, i);
    io_uring_buf_ring_advance(s->buf_ring, s->buf_count);
    return 0;
}

static void on_accept(struct shard *s, struct listener *l, struct io_uring_cqe *cqe)
{
    if (!(cqe->flags & IORING_CQE_F_MORE) && !s->stopping)
        arm_accept(s, l);
    if (cqe->res < 0) {
        if (cqe->res != -ECANCELED)
            server_log(LL_VERBOSE, "Accepting client connection: %s", strerror(-cqe->res));
        return;
    }
    int fd = cqe->res;
    if (s->stopping) {
        close(fd);
        return;
    }
    /* The current configuration, not the iteration's snapshot: a CONFIG SET
     * maxclients that replied before this connection arrived applies to it
     * even when this thread read its snapshot earlier (preempted between). */
    long long maxclients = server_config(s->srv)->maxclients;
    if (atomic_load(&s->srv->connected_clients) >= maxclients) {
        /* Best effort, as Redis: on the TLS port no handshake was done, so
         * nothing can be written and the connection is just closed. */
        static const char msg[] = "-ERR max number of clients reached\r\n";
        if (!l->tls) {
            ssize_t w = send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            (void)w;
        }
        close(fd);
        s->rejected_connections++;
        return;
    }
    struct client *c = client_create(s, fd);
    if (c->protected_denied && !l->tls) {
        /* Protected mode refuses at accept, as Redis: the DENIED line goes
         * out before the client sent anything, then the socket closes. On
         * the TLS port it is sent once the handshake is done (tls.c). */
        struct buf line = {0};
        reply_error(&line, acl_denied_message);
        ssize_t w = send(fd, line.data, line.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w;
        buf_free(&line);
        s->rejected_connections++;
        client_close(c, 0);
        return;
    }
    s->total_connections++;
    if (l->tls && tls_client_attach(c) < 0) {
        server_log(LL_VERBOSE, "TLS not available for client id=%llu addr=%s", (unsigned long long)c->id, c->addr);
        client_close(c, 0);
        return;
    }
    arm_recv(s, c);
}

/* Input back-pressure (CLIENT_INPUT_HOLD_BYTES): a client that parses
 * nothing (paused) and has that much input waiting reads no more. */
static int input_must_hold(const struct client *c)
{
    return c->paused && c->in.len > CLIENT_INPUT_HOLD_BYTES;
}

/* Stops the client's multishot recv: cancelled by its user_data; chunks
 * already received still arrive and are kept, its last completion
 * (-ECANCELED, or data without F_MORE) is not re-armed while held. */
static void recv_hold(struct shard *s, struct client *c)
{
    c->recv_held = 1;
    struct io_uring_sqe *sqe = get_sqe(s);
    io_uring_prep_cancel64(sqe, tagged(c, TAG_RECV), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, tagged(NULL, TAG_IGNORE));
}

/* Called when the client may parse again (resume list) and at the end of
 * its stopped recv: reads again once the hold no longer applies. */
static void recv_maybe_release(struct shard *s, struct client *c)
{
    if (c->recv_held && !c->recv_inflight && !c->closing && !input_must_hold(c)) {
        c->recv_held = 0;
        arm_recv(s, c);
    }
}

static void on_recv(struct shard *s, struct client *c, struct io_uring_cqe *cqe)
{
    int res = cqe->res;
    if (res > 0) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        s->net_input_bytes += res;
        s->reads_processed++;
        if (!c->closing) {
            const char *data = s->buf_base + (size_t)bid * s->buf_size;
            if (c->tls)
                tls_on_recv(c, data, res);
            else
                client_on_data(c, data, res);
        }
        recycle_buffer(s, bid);
        if ((cqe->flags & IORING_CQE_F_MORE) && !c->recv_held && !c->closing && input_must_hold(c))
            recv_hold(s, c);
    }
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        c->recv_inflight = 0;
        if (c->recv_held && !c->closing) {
            if (res > 0 || res == -ECANCELED || res == -ENOBUFS) {
                recv_maybe_release(s, c); /* re-armed at once if it was resumed meanwhile */
            } else {
                c->recv_held = 0;
                client_close(c, 0); /* EOF or error; may free c */
                return;
            }
        } else if (!c->recv_held && !c->closing && input_must_hold(c) && (res > 0 || res == -ENOBUFS)) {
            c->recv_held = 1; /* ended by itself: not re-armed until resumed */
        } else if (res == -ENOBUFS && !c->closing) {
            arm_recv(s, c); /* buffers were returned above or will be soon */
        } else if (res > 0 && !c->closing) {
            arm_recv(s, c);
        } else if (!c->closing) {
            client_close(c, 0); /* EOF or error; may free c */
            return;
        }
    }
    client_maybe_free(c);
}

static void process_cqes(struct shard *s)
{
    struct io_uring_cqe *cqe;
    unsigned head, count = 0;
    io_uring_for_each_cqe(&s->ring, head, cqe)
    {
        count++;
        uint64_t ud = cqe->user_data;
        void *p = (void *)(uintptr_t)(ud & ~TAG_MASK);
        switch ((enum tag)(ud & TAG_MASK)) {
        case TAG_ACCEPT:
            on_accept(s, p, cqe);
            break;
        case TAG_RECV:
            on_recv(s, p, cqe);
            break;
        case TAG_SEND:
            client_on_send_complete(p, cqe->res);
            break;
        case TAG_SNAP:
            snap_shard_cqe(s, p, cqe->res);
            break;
        case TAG_AOF:
            aof_shard_cqe(s, p, cqe->res);
            break;
        case TAG_WAKE:
        case TAG_IGNORE:
            break;
        }
    }
    io_uring_cq_advance(&s->ring, count);
}

static int open_listener(struct shard *s, const char *addr, int port, int tls, int backlog, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof(ss));
    int family;
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) {
            snprintf(err, errlen, "Invalid bind address '%s'", addr);
            return -EINVAL;
        }
        sslen = sizeof(*a);
        family = AF_INET6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        if (!strcmp(addr, "*"))
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) {
            snprintf(err, errlen, "Invalid bind address '%s'", addr);
            return -EINVAL;
        }
        sslen = sizeof(*a);
        family = AF_INET;
    }
    int one = 1;
    if (s->id == 0) {
        /* SO_REUSEPORT would let this server share a port another process
         * of the same user already listens on (the kernel then spreads the
         * connections over both servers). Redis refuses to start there:
         * the first shard first binds a probe socket without it, which
         * fails with EADDRINUSE while anyone listens on the port. */
        int probe = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0)
            return -errno;
        setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6)
            setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(probe, (struct sockaddr *)&ss, sslen) < 0) {
            int e = errno;
            snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(e));
            close(probe);
            return -e;
        }
        close(probe);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(e));
        close(fd);
        return -e;
    }
    struct listener *l = &s->listeners[s->nlisteners++];
    l->fd = fd;
    l->shard = s;
    l->tls = tls;
    snprintf(l->addr, sizeof(l->addr), "%s", addr);
    return 0;
}

/* ---------------- cron ---------------- */

static void shard_cron(struct shard *s)
{
    evict_set_policy(s->cfg->maxmemory_policy);
    /* Active expiry: sample each db's expiry vector within a time budget of
     * 25% of the tick, like Redis's slow cycle, repeating while a sample
     * finds more than a quarter expired. */
    int64_t budget_us = 250000 / s->cfg->hz;
    int64_t start = monotonic_us();
    shard_sample_rates(s);
    for (int k = 0; k < s->ndbs; k++) {
        int i = (s->expire_db_cursor + k) % s->ndbs;
        struct db *db = s->dbs[i];
        if (db_expires_size(db) == 0)
            continue;
        for (;;) {
            size_t deleted = db_expire_cycle(db, s->now_ms, 20);
            s->stats.expired_keys += deleted;
            if (deleted < 5 || monotonic_us() - start > budget_us)
                break;
        }
        if (monotonic_us() - start > budget_us) {
            s->expire_db_cursor = i;
            s->expire_time_cap_reached++;
            break;
        }
    }
    s->expire_cycle_us += (uint64_t)(monotonic_us() - start);
    for (int i = 0; i < s->ndbs; i++)
        db_rehash_step(s->dbs[i], 100);
    /* Cuts nobody sent (save rules, automatic rewrites, CONFIG SET
     * appendonly yes) run behind the global barrier as BGSAVE does. */
    if (snap_shard_cron(s))
        dispatch_cut(s, "bgsave");
    if (aof_shard_cron(s))
        dispatch_cut(s, "bgrewriteaof");
    /* Soft output limits expire with time, not only when output grows. */
    if (s->cfg->obuf_limits[OBUF_NORMAL].soft) {
        for (struct client *c = s->clients; c; c = c->next) {
            if (c->closing || !c->obuf_soft_since_ms)
                continue;
            client_check_output_limit(c);
            if (c->obuf_close)
                client_want_flush(c); /* closed by the flush */
        }
    }
    /* Idle clients (`timeout`). Never a client blocked on keys (Redis
     * exempts CLIENT_BLOCKED), nor one with a request in flight. A request
     * that ends refreshes last_interaction_ms (dispatch.c request_finish), as
     * Redis refreshes it when it writes a reply: a client served after a
     * long BLPOP is not idle in the iteration its reply is produced (this
     * cron runs before the iteration's sends are queued). */
    long long timeout = s->cfg->timeout;
    if (timeout > 0) {
        struct client *next;
        for (struct client *c = s->clients; c; c = next) {
            next = c->next; /* closing may free c */
            if (!c->closing && !c->blocked && c->npending == 0 && s->now_ms - c->last_interaction_ms > timeout * 1000) {
                server_log(LL_VERBOSE, "Closing idle client");
                client_close(c, 0);
            }
        }
    }
}

/* ---------------- the thread ---------------- */

static void shard_stop(struct shard *s)
{
    s->stopping = 1;
    blocking_expire(s, s->now_ms, 1); /* blocked clients get their timeout reply */
    s->block_deadline = 0;
    for (int i = 0; i < s->nlisteners; i++) {
        close(s->listeners[i].fd);
        s->listeners[i].fd = -1;
    }
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    evict_thread_register();
    aof_shard_init(s);
    /* Sends the cuts nobody sent; in no client list, never connected. */
    s->internal_client = calloc(1, sizeof(struct client));
    s->internal_client->fd = -1;
    s->internal_client->shard = s;
    s->internal_client->resp = 2;
    int n = s->srv->nshards;
    unsigned char *pushed = calloc(n, 1);
    for (int i = 0; i < s->nlisteners; i++)
        arm_accept(s, &s->listeners[i]);
    int64_t drain_deadline = 0;
    for (;;) {
        s->cfg = server_config(s->srv);
        s->now_ms = mstime();
        acl_thread_checkpoint(s->clients); /* frees replaced ACL tables (acl.h) */
        process_cqes(s);
        drain_inbound(s, pushed);
        /* Clients that stopped parsing (back-pressure, barriers) resume. */
        while (s->resume_list) {
            struct client *c = s->resume_list;
            s->resume_list = c->resume_next;
            c->in_resume_list = 0;
            client_process_input(c);
            recv_maybe_release(s, c);
            client_maybe_free(c);
        }
        if (s->now_ms - s->last_cron_ms >= 1000 / s->cfg->hz) {
            s->last_cron_ms = s->now_ms;
            shard_cron(s);
        }
        if (s->block_deadline && s->block_deadline <= s->now_ms)
            s->block_deadline = blocking_expire(s, s->now_ms, 0);
        int evict_busy = evict_shard_pass(s); /* over maxmemory: evicts when ours is the best candidate */
        aof_shard_flush(s);                   /* group commit: this iteration's records */
        flush_outgoing(s, pushed);
        shard_flush_clients(s);
        int snap_busy = snap_shard_pump(s); /* after the replies: they leave first */

        if (atomic_load(&s->srv->shutdown_requested) && !s->stopping) {
            shard_stop(s);
            drain_deadline = s->now_ms + 2000;
            for (struct client *c = s->clients; c; c = c->next)
                if (!c->closing)
                    client_close(c, 1);
        }
        if (s->stopping) {
            /* A shard without clients starts no request, so once every shard
             * is idle nothing is in flight anywhere; until then keep serving
             * the sub-requests other shards still send. */
            if (!s->idle && !s->clients && !s->internal_client->npending && !s->pending_overflow && !s->held_head) {
                s->idle = 1;
                atomic_fetch_add(&s->srv->idle_shards, 1);
            }
            if ((s->idle && atomic_load(&s->srv->idle_shards) == n) || s->now_ms > drain_deadline)
                break;
        }

        /* Sleep only when no work is queued anywhere for us. */
        int64_t next_cron = s->last_cron_ms + 1000 / s->cfg->hz - s->now_ms;
        if (s->block_deadline && s->block_deadline - s->now_ms < next_cron)
            next_cron = s->block_deadline - s->now_ms;
        if (next_cron < 1 || s->log_lazy)
            next_cron = 1;
        if (s->pending_overflow || s->resume_list || snap_busy || evict_busy) {
            io_uring_submit(&s->ring);
            continue;
        }
        atomic_store_explicit(&s->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (!inbound_empty(s)) {
            atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
            io_uring_submit(&s->ring);
            continue;
        }
        struct __kernel_timespec ts = {.tv_sec = next_cron / 1000, .tv_nsec = (next_cron % 1000) * 1000000};
        struct io_uring_cqe *cqe;
        int ret = io_uring_submit_and_wait_timeout(&s->ring, &cqe, 1, &ts, NULL);
        (void)ret;
        atomic_store_explicit(&s->sleeping, 0, memory_order_relaxed);
    }
    /* Let other shards finish what they hold of ours before we go. */
    free(pushed);
    aof_shard_finish(s);
    snap_shard_finish_blocking(s);
    if (!s->internal_client->npending)
        free(s->internal_client);
    return NULL;
}

static int shard_setup(struct server *srv, struct shard *s, int id, char *err, size_t errlen)
{
    const struct config *cfg = server_config(srv);
    s->id = id;
    s->srv = srv;
    s->cfg = cfg;
    s->ndbs = cfg->databases;
    s->dbs = calloc(s->ndbs, sizeof(*s->dbs));
    for (int i = 0; i < s->ndbs; i++)
        s->dbs[i] = db_create();
    s->ncmdstats = command_stat_count();
    s->cmdstats = calloc(s->ncmdstats + 1, sizeof(struct command_stat));
    s->latency = calloc(s->ncmdstats + 1, sizeof(*s->latency));
    s->building = calloc(srv->nshards, sizeof(*s->building));
    s->replying = calloc(srv->nshards, sizeof(*s->replying));
    s->locks = locktab_create();
    s->watches = watchtab_create();
    s->blocks = blocktab_new();
    if (!s->locks || !s->watches) {
        snprintf(err, errlen, "Out of memory creating the transaction tables");
        return -1;
    }
    s->overflow_head = calloc(srv->nshards, sizeof(*s->overflow_head));
    s->overflow_tail = calloc(srv->nshards, sizeof(*s->overflow_tail));
    s->listeners = calloc(2 * cfg->nbind, sizeof(*s->listeners)); /* plain and TLS */
    s->now_ms = mstime();

    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = CQ_ENTRIES;
    int ret = io_uring_queue_init_params(RING_ENTRIES, &s->ring, &p);
    if (ret == -EINVAL) {
        memset(&p, 0, sizeof(p));
        ret = io_uring_queue_init_params(RING_ENTRIES, &s->ring, &p);
    }
    if (ret < 0) {
        const char *hint;
        if (ret == -ENOSYS)
            hint = "the kernel has no io_uring (Linux 6.1 or newer is needed)";
        else if (ret == -EPERM)
            hint = "io_uring is disabled: set the sysctl kernel.io_uring_disabled=0, or allow io_uring in the "
                   "seccomp profile of the container (docker: --security-opt seccomp=unconfined)";
        else if (ret == -ENOMEM)
            hint = "the locked-memory limit is too low: raise it (ulimit -l) for the io_uring rings";
        else
            hint = "check the kernel version (6.1+), kernel.io_uring_disabled and seccomp";
        snprintf(err, errlen, "Can't set up io_uring: %s. shardis needs io_uring: %s.", strerror(-ret), hint);
        return -1;
    }
    s->ring_fd = s->ring.ring_fd;
    ret = setup_buffers(s);
    if (ret < 0) {
        snprintf(err, errlen,
                 "Can't register the io_uring provided-buffer ring: %s (Linux 5.19+ with IORING_REGISTER_PBUF_RING "
                 "is needed)",
                 strerror(-ret));
        return -1;
    }
    /* port 0 disables the plain listeners, tls-port 0 the TLS ones. */
    for (int i = 0; i < 2 * cfg->nbind; i++) {
        int tls = i >= cfg->nbind;
        int port = tls ? cfg->tls_port : cfg->port;
        if (port == 0)
            continue;
        const char *addr = cfg->bind[i % cfg->nbind];
        int optional = addr[0] == '-';
        if (optional)
            addr++;
        char msg[256];
        ret = open_listener(s, addr, port, tls, cfg->tcp_backlog, msg, sizeof(msg));
        if (ret < 0) {
            if (optional && (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT || ret == -EPROTONOSUPPORT)) {
                if (id == 0)
                    server_log(LL_NOTICE, "Skipping optional bind address %s: %s", addr, strerror(-ret));
                continue;
            }
            snprintf(err, errlen, "%s", msg);
            return -1;
        }
    }
    if (s->nlisteners == 0) {
        snprintf(err, errlen, "Failed listening on any bind address");
        return -1;
    }
    return 0;
}

int shards_start(struct server *srv)
{
    int n = srv->nshards;
    srv->shards = calloc(n, sizeof(*srv->shards));
    srv->rings = calloc((size_t)n * n, sizeof(*srv->rings));
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j)
                srv->rings[i * n + j] = ring_create(SPSC_CAPACITY);
    char err[512];
    for (int i = 0; i < n; i++) {
        srv->shards[i] = calloc(1, sizeof(struct shard));
        if (shard_setup(srv, srv->shards[i], i, err, sizeof(err)) < 0) {
            server_log(LL_WARNING, "%s", err);
            return -1;
        }
    }
    /* The data (append-only logs, or the last snapshot), loaded into the
     * shards before they serve anyone. */
    if (aof_load_at_startup(srv, err, sizeof(err)) < 0) {
        server_log(LL_WARNING, "%s", err);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&srv->shards[i]->thread, NULL, shard_main, srv->shards[i]) != 0) {
            server_log(LL_WARNING, "Can't start shard thread %d: %s", i, strerror(errno));
            return -1;
        }
        char name[16];
        snprintf(name, sizeof(name), "shard-%d", i % 1000);
        pthread_setname_np(srv->shards[i]->thread, name);
    }
    return 0;
}

void shards_join(struct server *srv)
{
    for (int i = 0; i < srv->nshards; i++)
        pthread_join(srv->shards[i]->thread, NULL);
}
