/*
 * blocking.c - clients blocked on keys of one shard (see blocking.h); the
 * coordinator's side of a command blocked on several shards is
 * shards/block_wait.c.
 *
 * Thread: the shard thread that owns the keys; nothing here is shared. It
 * speaks with coordinators only by completing parked sub-requests (reply,
 * BLOCK_READY, BLOCK_TIMEOUT, BLOCK_CANCELLED) and by SUB_UNBLOCK, which
 * cancels a parked one by its block_seq.
 *
 * What a waiter waits for comes from the command table: CMD_BLOCK_SOURCE
 * (BLMOVE, BRPOPLPUSH wait on their source key only), CMD_BLOCK_ZSET (a
 * sorted set, else a list), CMD_BLOCK_STREAM (XREAD/XREADGROUP: a stream,
 * re-run whole, every waiter of a signalled key tried since readers take
 * nothing away, '$' pinned at park time, XREADGROUP also woken by the
 * deletion of its key); a write flagged CMD_OTHER_DB (MOVE, COPY) or
 * without keys (SWAPDB) may fill any waited key and signals them all.
 *
 * Layout: a small chained hash table of the keys that have waiters (struct
 * bkey, keyed by db, hash and bytes), each with a FIFO of waits; a parked
 * sub-request has one struct blocked holding one wait per distinct key of
 * it, and sits on the shard-wide list `all` (timeouts and cancels walk it:
 * they are rare next to the requests, and a list keeps parking O(keys)).
 *
 * Invariants:
 *   - a bkey exists while its FIFO is non-empty, or while it is on the
 *     ready list or being served (`busy`); it is freed when none holds;
 *   - a blocked is on `all` and each of its waits on its key's FIFO exactly
 *     while its sub is parked (sub->block_parked);
 *   - serving never completes a sub twice: a waiter leaves every FIFO before
 *     its sub is completed.
 */
#include "shards/blocking.h"

#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "shards/dispatch.h"
#include "shards/request.h"
#include "shards/shard.h"
#include "shards/txn.h"

struct bkey;
struct blocked;

struct bwait {
    struct bwait *prev, *next; /* the key's FIFO */
    struct bkey *key;
    struct blocked *owner;
};

struct bkey {
    struct bkey *chain;
    struct bkey *ready_next; /* the ready list, or the deferred list */
    struct bwait *head, *tail;
    uint64_t hash;
    int dbid;
    int ready;    /* on the ready list */
    int deferred; /* on the deferred list: its waiters wait for a transaction's locks */
    int busy;     /* being served: not freed when its FIFO empties */
    uint32_t klen;
    char bytes[];
};

struct blocked {
    struct blocked *prev, *next; /* the table's `all` list */
    struct subreq *sub;
    int nwaits;
    struct bwait waits[];
};

/* Cancels that found nothing parked: the sub may still be on its way (it
 * waited for a transaction lock), so the next park of that sequence number
 * is refused. Old entries are overwritten; a cancel for a sub that already
 * completed never matches anything. */
#define CANCELLED_REMEMBERED 64

struct block_table {
    size_t nparked; /* first member: blocking_active() reads it */
    uint64_t cancelled[CANCELLED_REMEMBERED];
    unsigned cancelled_next;
    size_t nkeys;
    size_t nbuckets; /* power of two */
    struct bkey **buckets;
    struct blocked *all;
    struct bkey *ready_head, *ready_tail;
    struct bkey *deferred_head; /* ready keys whose oldest waiter's keys are locked */
};

struct block_table *blocktab_new(void)
{
    struct block_table *t = calloc(1, sizeof(*t));
    t->nbuckets = 64;
    t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
    return t;
}

void blocktab_free(struct block_table *t)
{
    if (!t)
        return;
    struct blocked *b = t->all;
    while (b) {
        struct blocked *next = b->next;
        free(b);
        b = next;
    }
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct bkey *k = t->buckets[i];
        while (k) {
            struct bkey *next = k->chain;
            free(k);
            k = next;
        }
    }
    free(t->buckets);
    free(t);
}

size_t blocktab_count(const struct block_table *t)
{
    return t ? t->nparked : 0;
}

/* ---------------- keys ---------------- */

static size_t bucket_of(const struct block_table *t, uint64_t hash, int dbid)
{
    return (size_t)(hash ^ ((uint64_t)dbid * 0x9E3779B97F4A7C15ULL)) & (t->nbuckets - 1);
}

static struct bkey *bkey_find(struct block_table *t, int dbid, uint64_t hash, const char *key, size_t klen)
{
    for (struct bkey *k = t->buckets[bucket_of(t, hash, dbid)]; k; k = k->chain)
        if (k->hash == hash && k->dbid == dbid && k->klen == klen && !memcmp(k->bytes, key, klen))
            return k;
    return NULL;
}

static void grow(struct block_table *t)
{
    size_t n = t->nbuckets * 2;
    struct bkey **nb = calloc(n, sizeof(*nb));
    size_t old = t->nbuckets;
    struct bkey **ob = t->buckets;
    t->buckets = nb;
    t->nbuckets = n;
    for (size_t i = 0; i < old; i++) {
        struct bkey *k = ob[i];
        while (k) {
            struct bkey *next = k->chain;
            size_t b = bucket_of(t, k->hash, k->dbid);
            k->chain = nb[b];
            nb[b] = k;
            k = next;
        }
    }
    free(ob);
}

static struct bkey *bkey_get(struct block_table *t, int dbid, uint64_t hash, const char *key, size_t klen)
{
    struct bkey *k = bkey_find(t, dbid, hash, key, klen);
    if (k)
        return k;
    if (t->nkeys >= t->nbuckets)
        grow(t);
    k = calloc(1, sizeof(*k) + klen);
    k->hash = hash;
    k->dbid = dbid;
    k->klen = (uint32_t)klen;
    memcpy(k->bytes, key, klen);
    size_t b = bucket_of(t, hash, dbid);
    k->chain = t->buckets[b];
    t->buckets[b] = k;
    t->nkeys++;
    return k;
}

static void bkey_maybe_free(struct block_table *t, struct bkey *k)
{
    if (k->head || k->ready || k->deferred || k->busy)
        return;
    struct bkey **link = &t->buckets[bucket_of(t, k->hash, k->dbid)];
    while (*link != k)
        link = &(*link)->chain;
    *link = k->chain;
    t->nkeys--;
    free(k);
}

/* ---------------- what a waiter waits for ---------------- */

static int waits_on_source_only(const struct command *cmd)
{
    return (cmd->flags & CMD_BLOCK_SOURCE) != 0;
}

/* The type a key must hold to serve a blocked command (Redis serves a
 * ready key only to the clients blocked for its type). */
static int waited_type(const struct command *cmd)
{
    if (cmd->flags & CMD_BLOCK_STREAM)
        return OBJ_STREAM;
    return (cmd->flags & CMD_BLOCK_ZSET) ? OBJ_ZSET : OBJ_LIST;
}

/* XREADGROUP: a waiter served (with an error) when its key is deleted or
 * replaced by another type. */
static int wakes_on_delete(const struct command *cmd)
{
    return (cmd->flags & CMD_BLOCK_STREAM) && (cmd->flags & CMD_WRITE);
}

int blocking_key_serves(struct shard *s, const struct subreq *sub, int dbid, uint64_t hash, const char *key,
                        size_t klen)
{
    struct db_entry *e = db_find_live(s->dbs[dbid], hash, key, klen, s->now_ms);
    const struct request *r = sub->req;
    if (r->cmd->flags & CMD_BLOCK_STREAM) /* a stream serves when it has entries past the waiter's id */
        return xread_key_ready(e, r->argc, r->argv, key, klen);
    return e && e->type == waited_type(r->cmd);
}

/* XREAD ... $: the ids '$' stand for the stream's last id when the client
 * blocks (Redis resolves them then), so a parked XREAD gets its own argv
 * with those ids written out (freed with the sub: it is not r->argv). */
static void pin_stream_ids(struct shard *s, struct subreq *sub)
{
    int dollar = 0;
    for (int i = 1; i < sub->argc; i++)
        dollar |= sub->argv[i].len == 1 && sub->argv[i].ptr[0] == '$';
    if (!dollar)
        return;
    size_t arr = sizeof(struct arg) * (size_t)sub->argc;
    struct arg *argv = malloc(arr + (size_t)XREAD_PIN_BYTES * (size_t)sub->argc);
    if (!argv)
        out_of_memory(arr);
    memcpy(argv, sub->argv, arr);
    xread_pin_last_ids(s->dbs[sub->dbid], s->now_ms, sub->argc, argv, (char *)argv + arr);
    if (sub->argv != sub->req->argv)
        free(sub->argv);
    sub->argv = argv;
}

/* Would running this waiter now cut into a transaction? Its keys are
 * locked (or queued for) by one that has not finished on this shard: it
 * waits until the locks are released, so it sees only whole transactions
 * (Redis serves blocked clients after the EXEC, never inside it). */
static int waiter_locked(struct shard *s, const struct subreq *sub)
{
    if (locktab_idle(s->locks))
        return 0;
    int pos_small[16];
    uint64_t keys_small[16];
    unsigned char modes_small[16];
    int big = sub->argc > 16;
    int *pos = big ? malloc(sizeof(int) * sub->argc) : pos_small;
    uint64_t *keys = big ? malloc(sizeof(uint64_t) * sub->argc) : keys_small;
    unsigned char *modes = big ? malloc(sub->argc) : modes_small;
    int n = command_key_positions(sub->req->cmd, sub->argc, sub->argv, pos, sub->argc);
    for (int i = 0; i < n; i++) {
        const struct arg *a = &sub->argv[pos[i]];
        keys[i] = sub->hashes && sub->hashes[pos[i]] ? sub->hashes[pos[i]] : (uint64_t)key_hash(a->ptr, a->len);
        modes[i] = LOCK_EXCL; /* every blocking command pops */
    }
    struct lock_req lr = {.nkeys = n, .keys = keys, .modes = modes};
    int locked = locktab_conflicts(s->locks, &lr);
    if (big) {
        free(pos);
        free(keys);
        free(modes);
    }
    return locked;
}

/* ---------------- parking ---------------- */

int blocking_park(struct shard *s, struct subreq *sub)
{
    struct block_table *t = s->blocks;
    for (unsigned i = 0; i < CANCELLED_REMEMBERED; i++) {
        if (sub->block_seq && t->cancelled[i] == sub->block_seq) {
            t->cancelled[i] = 0;
            sub->block_status = BLOCK_CANCELLED;
            return 0;
        }
    }
    if (sub->block_mode == BLOCK_RUN && (sub->req->cmd->flags & CMD_BLOCK_STREAM))
        pin_stream_ids(s, sub);
    int idx_small[16];
    int *idx = sub->argc <= 16 ? idx_small : malloc(sizeof(int) * sub->argc);
    int n = 0;
    if (sub->block_mode == BLOCK_NOTIFY) {
        for (int i = 1; i < sub->argc; i++)
            idx[n++] = i;
    } else if (waits_on_source_only(sub->req->cmd)) {
        idx[n++] = 1; /* BLMOVE/BRPOPLPUSH: a push to the destination serves nobody */
    } else {
        n = command_key_positions(sub->req->cmd, sub->argc, sub->argv, idx, sub->argc);
    }
    struct blocked *b = calloc(1, sizeof(*b) + sizeof(struct bwait) * (n ? n : 1));
    b->sub = sub;
    for (int i = 0; i < n; i++) {
        const struct arg *a = &sub->argv[idx[i]];
        uint64_t hash = sub->hashes && sub->hashes[idx[i]] ? sub->hashes[idx[i]] : (uint64_t)key_hash(a->ptr, a->len);
        struct bkey *k = bkey_get(t, sub->dbid, hash, a->ptr, a->len);
        int dup = 0; /* BLPOP a a 0: one wait per distinct key */
        for (int j = 0; j < b->nwaits; j++)
            dup |= b->waits[j].key == k;
        if (dup)
            continue;
        struct bwait *w = &b->waits[b->nwaits++];
        w->owner = b;
        w->key = k;
        w->prev = k->tail;
        w->next = NULL;
        if (k->tail)
            k->tail->next = w;
        else
            k->head = w;
        k->tail = w;
    }
    if (idx != idx_small)
        free(idx);
    b->next = t->all;
    if (t->all)
        t->all->prev = b;
    t->all = b;
    sub->block_parked = 1;
    t->nparked++;
    if (sub->block_deadline && (!s->block_deadline || sub->block_deadline < s->block_deadline))
        s->block_deadline = sub->block_deadline;
    return 1;
}

/* Takes b off every FIFO and the list, and frees it; the sub is no longer
 * parked (its caller completes it). */
static void unpark(struct block_table *t, struct blocked *b)
{
    for (int i = 0; i < b->nwaits; i++) {
        struct bwait *w = &b->waits[i];
        struct bkey *k = w->key;
        if (w->prev)
            w->prev->next = w->next;
        else
            k->head = w->next;
        if (w->next)
            w->next->prev = w->prev;
        else
            k->tail = w->prev;
        bkey_maybe_free(t, k);
    }
    if (b->prev)
        b->prev->next = b->next;
    else
        t->all = b->next;
    if (b->next)
        b->next->prev = b->prev;
    b->sub->block_parked = 0;
    t->nparked--;
    free(b);
}

/* ---------------- signals and serving ---------------- */

static void mark_ready(struct block_table *t, struct bkey *k)
{
    if (k->ready || k->deferred || !k->head) /* a deferred key is tried at the next blocking_serve */
        return;
    k->ready = 1;
    k->ready_next = NULL;
    if (t->ready_tail)
        t->ready_tail->ready_next = k;
    else
        t->ready_head = k;
    t->ready_tail = k;
}

static void signal_all(struct block_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++)
        for (struct bkey *k = t->buckets[i]; k; k = k->chain)
            mark_ready(t, k);
}

void blocking_signal(struct shard *s, int dbid, uint64_t hash, const char *key, size_t klen)
{
    struct block_table *t = s->blocks;
    if (!blocking_active(t))
        return;
    struct bkey *k = bkey_find(t, dbid, hash, key, klen);
    if (k)
        mark_ready(t, k);
}

void blocking_signal_command(struct shard *s, int dbid, const struct command *cmd, int argc, const struct arg *argv,
                             const uint64_t *hashes)
{
    if (cmd->subcommands && argc >= 2) { /* XGROUP DESTROY/SETID: the subcommand writes */
        const struct command *sub = command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
        if (sub)
            cmd = sub;
    }
    if (!blocking_active(s->blocks) || !(cmd->flags & CMD_WRITE))
        return;
    int idx_small[16];
    int *idx = argc <= 16 ? idx_small : malloc(sizeof(int) * argc);
    int n = command_key_positions(cmd, argc, argv, idx, argc);
    if (n == 0 || (cmd->flags & CMD_OTHER_DB)) {
        /* SWAPDB (no keys), MOVE and COPY ... DB (keys land in another db):
         * every waiting key may have data now; those that have none block
         * again when their handlers run. */
        signal_all(s->blocks);
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        const struct arg *a = &argv[idx[i]];
        uint64_t hash = hashes && hashes[idx[i]] ? hashes[idx[i]] : (uint64_t)key_hash(a->ptr, a->len);
        blocking_signal(s, dbid, hash, a->ptr, a->len);
    }
    if (idx != idx_small)
        free(idx);
}

/*
 * Runs a RUN waiter's handler again for the ready key k; 1 when it served
 * (reply in sub->out). As Redis 7.0 serves a blocked client from the key
 * that became ready, the handler sees that key alone among its keys
 * (BLPOP a b 0 served by b: "BLPOP b 0"; BLMPOP 0 2 a b LEFT: "BLMPOP 0 1 b
 * LEFT"), so another of its keys that now holds a string does not turn the
 * pop into WRONGTYPE. BLMOVE/BRPOPLPUSH have one source: run as they are.
 */
static int rerun(struct shard *s, struct subreq *sub, const struct bkey *k)
{
    const struct command *cmd = sub->req->cmd;
    struct arg small_argv[16];
    uint64_t small_hashes[16];
    struct arg *argv = sub->argv;
    uint64_t *hashes = sub->hashes;
    int argc = sub->argc;
    long long numkeys = 0;
    int big = sub->argc > 16;
    /* XREAD/XREADGROUP run again as they are: their ids go with their keys */
    if (!waits_on_source_only(cmd) && !(cmd->flags & CMD_BLOCK_STREAM)) {
        argv = big ? malloc(sizeof(struct arg) * sub->argc) : small_argv;
        hashes = big ? calloc(sub->argc, sizeof(uint64_t)) : small_hashes;
        if (!big)
            memset(small_hashes, 0, sizeof(small_hashes));
        const struct arg key = {.ptr = k->bytes, .len = k->klen};
        if (cmd->keynum_arg) { /* name timeout numkeys key... rest */
            int kn = cmd->keynum_arg;
            if (!string2ll(sub->argv[kn].ptr, sub->argv[kn].len, &numkeys) || numkeys < 1 ||
                numkeys > sub->argc - kn - 1) {
                memcpy(argv, sub->argv, sizeof(struct arg) * sub->argc); /* cannot happen: it parked */
                if (sub->hashes)
                    memcpy(hashes, sub->hashes, sizeof(uint64_t) * sub->argc);
            } else {
                argc = 0;
                for (int i = 0; i < kn; i++)
                    argv[argc++] = sub->argv[i];
                argv[argc++] = (struct arg){.ptr = "1", .len = 1};
                hashes[argc] = k->hash;
                argv[argc++] = key;
                for (int i = kn + 1 + (int)numkeys; i < sub->argc; i++)
                    argv[argc++] = sub->argv[i];
            }
        } else { /* name key... timeout */
            argv[0] = sub->argv[0];
            argv[1] = key;
            hashes[1] = k->hash;
            argv[2] = sub->argv[sub->argc - 1];
            argc = 3;
        }
    }
    struct cmd_ctx c;
    shard_init_ctx(s, &c, sub->dbid, sub->resp, &sub->out);
    c.argc = argc;
    c.argv = argv;
    c.hashes = hashes;
    c.cmd = cmd;
    c.blocking = 2;
    size_t before = sub->out.len;
    uint64_t dirty = s->stats.dirty;
    sub->handler(&c);
    int served = !c.blocked;
    if (served) {
        effect_log_command(&c, dirty);
        s->stats.commands++;
        /* It wrote (popped, maybe pushed elsewhere: BLMOVE): wake those keys. */
        blocking_signal_command(s, sub->dbid, cmd, argc, argv, hashes);
    } else {
        sub->out.len = before;
    }
    if (argv != sub->argv && big) {
        free(argv);
        free(hashes);
    }
    return served;
}

/* Subs served or notified are completed only after the whole pass: a
 * completion delivered to a local coordinator may start its next step at
 * once (park again, cancel, write), which must not see a FIFO mid-walk. */
struct done_list {
    struct subreq **items;
    int n, cap;
};

static void done_add(struct done_list *d, struct subreq *sub)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->items = realloc(d->items, sizeof(*d->items) * d->cap);
    }
    d->items[d->n++] = sub;
}

/*
 * Serves the waiters of the ready keys. A waiter is served by a key only
 * when the key holds its type (BLPOP: a list); a key that was written and
 * then deleted, or replaced by another type, serves nobody and its waiters
 * stay blocked, as in Redis. A waiter whose keys a transaction holds is
 * not run now: the key is deferred and tried again at the next call (the
 * shard calls this after every release of locks), so a waiter never sees
 * the middle of an EXEC or a multi-shard command.
 */
void blocking_serve(struct shard *s)
{
    struct block_table *t = s->blocks;
    if (!t)
        return;
    while (t->deferred_head) { /* their locks may be gone: try again */
        struct bkey *k = t->deferred_head;
        t->deferred_head = k->ready_next;
        k->deferred = 0;
        mark_ready(t, k);
        bkey_maybe_free(t, k);
    }
    struct bkey *deferred = NULL; /* deferred in this call: on t->deferred_head at the end */
    while (t->ready_head) {
        struct done_list done = {0};
        while (t->ready_head) {
            struct bkey *k = t->ready_head;
            t->ready_head = k->ready_next;
            if (!t->ready_head)
                t->ready_tail = NULL;
            k->ready = 0;
            k->busy = 1;
            struct bwait *w = k->head;
            while (w) {
                struct bwait *next = w->next;
                struct blocked *b = w->owner;
                struct subreq *sub = b->sub;
                struct db_entry *e = db_find_live(s->dbs[k->dbid], k->hash, k->bytes, k->klen, s->now_ms);
                if (!e && !wakes_on_delete(sub->req->cmd)) {
                    w = next; /* nothing here for it (an XREADGROUP is told its key is gone) */
                    continue;
                }
                if (e && e->type != waited_type(sub->req->cmd) && !wakes_on_delete(sub->req->cmd)) {
                    w = next; /* blocked for another type: stays blocked */
                    continue;
                }
                if (sub->block_mode == BLOCK_NOTIFY) {
                    /* Tell the coordinator and go on with the others: it
                     * may find the key empty again, then it parks anew. */
                    unpark(t, b);
                    sub->block_status = BLOCK_READY;
                    done_add(&done, sub);
                } else if (waiter_locked(s, sub)) {
                    if (!k->deferred) {
                        k->deferred = 1;
                        k->ready_next = deferred;
                        deferred = k;
                    }
                    break; /* after the transaction: FIFO order is kept */
                } else if (rerun(s, sub, k)) {
                    unpark(t, b);
                    sub->block_status = BLOCK_SERVED;
                    done_add(&done, sub);
                } else if (sub->req->cmd->flags & CMD_BLOCK_STREAM) {
                    /* stream readers wait for different ids and groups and
                     * take nothing away: a later one may still be served */
                } else {
                    break; /* the key has nothing for the oldest waiter */
                }
                w = next;
            }
            k->busy = 0;
            bkey_maybe_free(t, k);
        }
        for (int i = 0; i < done.n; i++)
            shard_complete_late(s, done.items[i]);
        free(done.items);
    }
    while (deferred) {
        struct bkey *k = deferred;
        deferred = k->ready_next;
        k->ready_next = t->deferred_head;
        t->deferred_head = k;
    }
}

int64_t blocking_expire(struct shard *s, int64_t now_ms, int all)
{
    struct block_table *t = s->blocks;
    int64_t earliest = 0;
    if (!blocking_active(t))
        return 0;
    struct done_list done = {0};
    struct blocked *b = t->all;
    while (b) {
        struct blocked *next = b->next;
        struct subreq *sub = b->sub;
        if (all || (sub->block_deadline && sub->block_deadline <= now_ms)) {
            unpark(t, b);
            sub->block_status = BLOCK_TIMEOUT;
            done_add(&done, sub);
        } else if (sub->block_deadline && (!earliest || sub->block_deadline < earliest)) {
            earliest = sub->block_deadline;
        }
        b = next;
    }
    for (int i = 0; i < done.n; i++)
        shard_complete_late(s, done.items[i]);
    free(done.items);
    return earliest;
}

void blocking_cancel(struct shard *s, uint64_t seq)
{
    struct block_table *t = s->blocks;
    for (struct blocked *b = t->all; b; b = b->next) {
        if (b->sub->block_seq == seq) {
            struct subreq *sub = b->sub;
            unpark(t, b);
            sub->block_status = BLOCK_CANCELLED;
            shard_complete_late(s, sub);
            return;
        }
    }
    t->cancelled[t->cancelled_next++ % CANCELLED_REMEMBERED] = seq;
}
