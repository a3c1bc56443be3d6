/*
 * shard.c - the shard thread: its set-up, its loop and the running of
 * sub-requests on its keyspace (its INFO counters: shards/stats.c).
 *
 * Loop iteration, all on the shard's own thread:
 *   1. reap every completion (accept, recv, send: net/; snapshot and log
 *      writes: persist/; wake-ups); received bytes are parsed and
 *      dispatched at once (shards/client.c);
 *   2. drain the inbound rings: run sub-requests sent by other threads and
 *      complete the ones that came back (shards/mailbox.c);
 *   3. timers (hz): active expiry with a bounded time slice, idle clients
 *      (shards/cron.c);
 *   4. push the batches built in this iteration (one per destination),
 *      queue the sends of every client with output, send wake-ups;
 *   5. submit everything with one io_uring_enter, waiting only when there is
 *      nothing left to do.
 *
 * Invariants: only this thread touches its struct shard, except `sleeping`
 * (read by producers to decide on a wake-up) and its ends of the SPSC
 * rings. user_data of every SQE is a pointer with a 3-bit tag in its low
 * bits (net/uring.h).
 */
#include "shards/shard.h"
#include "shards/persist_host.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/log.h"
#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "net/conn.h"
#include "net/listener.h"
#include "persist/aof_log.h"
#include "persist/snapshot.h"
#include "security/acl.h"
#include "shards/blocking.h"
#include "shards/client.h"
#include "shards/client_acl.h"
#include "shards/cron.h"
#include "shards/dispatch.h"
#include "shards/mailbox.h"
#include "shards/request.h"
#include "shards/ring.h"
#include "shards/txn.h"

#include "shards/evict_pass.h"
#include "shards/pubsub.h"
#include "shards/tracking.h"

#define SPSC_CAPACITY 4096

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

void shard_run_sub(struct shard *s, struct subreq *sub)
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
        c.cmd = sub->cmd ? sub->cmd : sub->req->cmd; /* immutable while the request is in flight */
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
        s->tracking_writer = sub->client_id;
        if ((sub->txflags & SUBF_NO_OOM) || evict_command_allowed(&c))
            sub->handler(&c);
        s->tracking_writer = 0;
        /* A tracking client's read: recorded in the same step, no write between. */
        if (__builtin_expect(sub->track_reads, 0) && !c.blocked && (c.cmd->flags & CMD_READONLY))
            tracking_remember(s, sub->coord, sub->client_id, c.cmd, sub->argc, sub->argv);
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
                tracking_touch(s, sub->argv[1].ptr, sub->argv[1].len);
            }
        }
        break;
    }
    case SUB_DUP: {
        struct db_entry *e = db_find_live(db, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len, s->now_ms);
        if (e)
            sub->entry = entry_dup_with_key(e, sub->hashes[2], sub->argv[2].ptr, sub->argv[2].len);
        /* A read gathered on the coordinator (SUNION ... over shards, LCS):
         * its key is recorded here, where the copy was taken. */
        if (__builtin_expect(sub->track_reads, 0) && (sub->req->cmd->flags & CMD_READONLY)) {
            int pos = 1;
            tracking_remember_keys(s, sub->coord, sub->client_id, sub->argv, &pos, 1);
        }
        break;
    }
    case SUB_PUT: {
        struct db_entry *e = sub->entry;
        if (!e) { /* PUT_TOUCH: the command deleted this key */
            s->stats.dirty++;
            watchtab_touch(s->watches, sub->dbid, sub->hashes[1], sub->argv[1].ptr, sub->argv[1].len);
            tracking_touch(s, sub->argv[1].ptr, sub->argv[1].len);
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
            tracking_touch(s, e->key, e->key_len);
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
        int want_none = 0, want_type = -1; /* 0 normal, 1 pubsub */
        for (int i = 2; i + 1 < sub->argc; i++) {
            if (arg_is(&sub->argv[i], "type")) {
                want_type = arg_is(&sub->argv[i + 1], "pubsub");
                want_none = !want_type && !arg_is(&sub->argv[i + 1], "normal");
            }
        }
        for (struct client *c = s->clients; c && !want_none; c = c->next) {
            if (c->conn.closing || (want_type >= 0 && pubsub_client_subscribed(c) != want_type))
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
            if (c->conn.closing)
                continue;
            if (client_kill_matches(c, sub->argv, sub->argc, caller)) {
                killed++;
                client_close(c, c->id == caller);
            }
        }
        sub->result = killed;
        break;
    }
    case SUB_PUBSUB:
        pubsub_run_sub(s, sub);
        break;
    case SUB_TRACKING:
        tracking_run_sub(s, sub);
        break;
    case SUB_EXEC:
        s->tracking_writer = sub->client_id;
        shard_run_exec(s, sub);
        s->tracking_writer = 0;
        break;
    case SUB_WATCH:
        shard_run_watch(s, sub);
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

/* ---------------- the thread ---------------- */

/* Completions: the network's to net/, the persistence's to persist/;
 * wake-ups only end the wait. */
/* Each completion is marked seen before it is handled: a handler may run a
 * script that polls the ring again while it runs long (shard_poll_busy),
 * and that nested pass must start after the completion being handled. */
static void process_cqes(struct shard *s)
{
    struct io_uring_cqe *cqe;
    while (io_uring_peek_cqe(&s->ring, &cqe) == 0 && cqe) {
        struct io_uring_cqe done = *cqe;
        io_uring_cqe_seen(&s->ring, cqe);
        cqe = &done;
        uint64_t ud = cqe->user_data;
        void *p = (void *)(uintptr_t)(ud & ~TAG_MASK);
        switch ((enum tag)(ud & TAG_MASK)) {
        case TAG_ACCEPT:
            listener_on_accept(p, cqe);
            break;
        case TAG_RECV:
            conn_on_recv(p, cqe);
            break;
        case TAG_SEND:
            conn_on_send_complete(p, cqe->res);
            break;
        case TAG_SNAP:
            snap_shard_cqe(s->persist, p, cqe->res);
            break;
        case TAG_AOF:
            aof_shard_cqe(s->persist, p, cqe->res);
            break;
        case TAG_WAKE:
        case TAG_IGNORE:
            break;
        }
    }
}

void shard_poll_busy(struct shard *s)
{
    s->now_ms = mstime();
    process_cqes(s);
    shard_flush_clients(s);
    io_uring_submit(&s->ring);
}

static void shard_stop(struct shard *s)
{
    s->stopping = 1;
    blocking_expire(s, s->now_ms, 1); /* blocked clients get their timeout reply */
    s->block_deadline = 0;
    listeners_close(&s->net);
}

static void *shard_main(void *arg)
{
    struct shard *s = arg;
    evict_thread_register();
    aof_shard_init(s->persist);
    /* Sends the cuts nobody sent; in no client list, never connected. */
    s->internal_client = calloc(1, sizeof(struct client));
    s->internal_client->conn.fd = -1;
    s->internal_client->conn.loop = &s->net;
    s->internal_client->shard = s;
    s->internal_client->resp = 2;
    int n = s->srv->nshards;
    unsigned char *pushed = calloc(n, 1);
    listeners_start(&s->net);
    int64_t drain_deadline = 0;
    for (;;) {
        s->cfg = server_config(s->srv);
        s->now_ms = mstime();
        acl_thread_checkpoint(client_acl_refresh_clients, s->clients); /* frees replaced ACL tables (acl.h) */
        process_cqes(s);
        mailbox_drain_inbound(s, pushed);
        /* Clients that stopped parsing (back-pressure, barriers) resume. */
        while (s->resume_list) {
            struct client *c = s->resume_list;
            s->resume_list = c->resume_next;
            c->in_resume_list = 0;
            client_resume(c);
        }
        if (s->now_ms - s->last_cron_ms >= 1000 / s->cfg->hz) {
            s->last_cron_ms = s->now_ms;
            shard_cron(s);
        }
        if (s->block_deadline && s->block_deadline <= s->now_ms)
            s->block_deadline = blocking_expire(s, s->now_ms, 0);
        int fanout_busy = pubsub_shard_pump(s); /* big PUBLISHes: a bounded stretch each iteration */
        int evict_busy = evict_shard_pass(s);   /* over maxmemory: evicts when ours is the best candidate */
        aof_shard_flush(s->persist);            /* group commit: this iteration's records */
        tracking_flush(s);                      /* this iteration's invalidations: one message per thread */
        mailbox_flush_outgoing(s, pushed);
        shard_flush_clients(s);
        int snap_busy = snap_shard_pump(s->persist); /* after the replies: they leave first */

        if (atomic_load(&s->srv->shutdown_requested) && !s->stopping) {
            shard_stop(s);
            drain_deadline = s->now_ms + 2000;
            for (struct client *c = s->clients; c; c = c->next)
                if (!c->conn.closing)
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
        if (s->pending_overflow || s->resume_list || snap_busy || evict_busy || fanout_busy) {
            io_uring_submit(&s->ring);
            continue;
        }
        atomic_store_explicit(&s->sleeping, 1, memory_order_relaxed);
        atomic_thread_fence(memory_order_seq_cst);
        if (!mailbox_inbound_empty(s)) {
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
    aof_shard_finish(s->persist);
    shard_final_cut(s);
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
    engine_hooks_shard_init(s);
    s->ncmdstats = command_stat_count();
    s->cmdstats = calloc(s->ncmdstats + 1, sizeof(struct command_stat));
    s->latency = calloc(s->ncmdstats + 1, sizeof(*s->latency));
    s->building = calloc(srv->nshards, sizeof(*s->building));
    s->replying = calloc(srv->nshards, sizeof(*s->replying));
    s->locks = locktab_create();
    s->watches = watchtab_create();
    s->blocks = blocktab_new();
    pubsub_shard_init(s);
    tracking_shard_init(s);
    if (!s->locks || !s->watches) {
        snprintf(err, errlen, "Out of memory creating the transaction tables");
        return -1;
    }
    s->overflow_head = calloc(srv->nshards, sizeof(*s->overflow_head));
    s->overflow_tail = calloc(srv->nshards, sizeof(*s->overflow_tail));
    s->now_ms = mstime();

    s->net.svc = &client_net_service;
    if (uring_setup(&s->net, &s->ring, err, errlen) < 0)
        return -1;
    s->ring_fd = s->ring.ring_fd;
    return listeners_open(&s->net, cfg, id == 0, err, errlen);
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
    struct persist_shard **views = calloc(n, sizeof(*views));
    for (int i = 0; i < n; i++)
        views[i] = shard_persist_attach(srv->shards[i]);
    int loaded = aof_load_at_startup(srv, views, err, sizeof(err));
    free(views);
    if (loaded < 0) {
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
