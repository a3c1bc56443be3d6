/*
 * tracking.c - client-side caching (see tracking.h for the design).
 *
 * Per shard (struct tracking_shard, its own thread only):
 *   keys      key -> struct holders: the (thread, client id) pairs of the
 *             tracking clients that read the key here since it last changed;
 *             as in Redis the pairs of a client that turned tracking off or
 *             went away stay until the key changes or is evicted (the
 *             delivery drops them), so a disconnect costs nothing here;
 *   prefixes  BCAST prefix -> struct holders, the same table on every shard;
 *   known     this thread's clients with tracking state (tracking clients
 *             and redirect targets): 8 id bytes -> struct client *;
 *   queue     per destination thread, the invalidations of this iteration
 *             (struct track_entry + their bytes); tracking_flush sends them
 *             as one detached SUB_TRACKING message per thread.
 *
 * Entries: TE_KEY and TE_BCAST carry a key changed on the sending shard
 * (aux: the client that changed it, for NOLOOP), TE_FLUSH a FLUSHDB or
 * FLUSHALL; TE_REDIR carries an encoded payload from a tracking client's
 * thread to its redirect client's thread (aux, thread: the tracking client);
 * TE_BROKEN tells a tracking client's thread that its redirect client is
 * gone (aux: the redirect id).
 *
 * tracking-table-max-keys: each shard keeps at most its share of the limit
 * (limit / threads, the first limit % threads shards one more), so the
 * whole table never holds more than the limit; entries over it are evicted
 * at random with their invalidations, 100 more per round while still over
 * (Redis's effort).
 */
#include "shards/tracking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/ds/sdict.h"
#include "shards/client.h"
#include "shards/dispatch_internal.h"
#include "shards/mailbox.h"
#include "shards/pubsub.h"
#include "shards/request.h"
#include "shards/shard.h"

struct holder {
    int thread;
    uint64_t id;
};

/* The readers of a key (or the clients of a prefix) beyond the first: up to
 * HOLDERS_LINEAR packed pairs in an array, then an open-addressing set
 * (linear probing, power-of-two capacity, at most half full), so a key that
 * many clients read costs one probe, not a scan. A packed pair is
 * HOLDER_USED | id << 8 | thread (0: an empty slot). */
struct holders {
    int n, cap;
    uint64_t v[]; /* one allocation with the header: one cache miss less per read */
};

#define HOLDERS_LINEAR 8
#define HOLDER_USED (1ULL << 63)

enum entry_kind { TE_KEY, TE_BCAST, TE_FLUSH, TE_REDIR, TE_BROKEN };

struct track_entry {
    uint64_t target, aux;
    uint32_t off, len;   /* key (TE_KEY, TE_BCAST) or RESP payload (TE_REDIR) in the bytes */
    uint32_t poff, plen; /* TE_BCAST: the matched prefix */
    int32_t thread;      /* TE_REDIR: the tracking client's thread */
    int32_t kind;
};

struct track_queue {
    struct track_entry *e;
    long long n, cap;
    struct buf bytes;
};

struct tracking_shard {
    struct sdict *keys;
    long long items;
    struct sdict *prefixes;
    struct sdict *known;
    int queued;
    unsigned evict_rounds;
    struct track_queue q[MAX_THREADS];
};

struct tracking_client {
    uint64_t redir;
    int redir_thread;
    struct sdict *prefixes; /* BCAST: names, no value */
};

/* One message to a thread: entries, then their bytes, in one block that
 * the receiver frees as a detached sub-request (sub is first). */
struct track_msg {
    struct subreq sub;
    long long n;
    struct track_entry e[];
};

static const char *const invalidate_channel = "__redis__:invalidate";

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        out_of_memory(n * size);
    return p;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size);
    if (!q)
        out_of_memory(size);
    return q;
}

/* ---------------- tables ---------------- */

static uint64_t pack(int thread, uint64_t id)
{
    return HOLDER_USED | id << 8 | (uint64_t)thread;
}

static struct holder unpack(uint64_t p)
{
    return (struct holder){(int)(p & 0xff), (p & ~HOLDER_USED) >> 8};
}

/* A node's value: one holder packed in the word itself (low bit set: id <<
 * 9 | thread << 1 | 1; the common case of a key one client reads costs no
 * allocation besides the node), or a struct holders *. */
static int single(const struct sdict_node *n)
{
    return (n->v.i & 1) != 0;
}

/* The slots to walk (holders_slot: a packed pair, or 0 for an empty one). */
static int holders_slots(const struct sdict_node *n)
{
    if (single(n))
        return 1;
    const struct holders *h = n->v.ptr;
    return !h ? 0 : h->cap <= HOLDERS_LINEAR ? h->n : h->cap;
}

static uint64_t holders_slot(const struct sdict_node *n, int i)
{
    if (single(n))
        return pack((int)(((uint64_t)n->v.i >> 1) & 0xff), (uint64_t)n->v.i >> 9);
    return ((const struct holders *)n->v.ptr)->v[i];
}

static int holders_count(const struct sdict_node *n)
{
    return single(n) ? 1 : n->v.ptr ? ((const struct holders *)n->v.ptr)->n : 0;
}

static void holders_free_node(struct sdict_node *n)
{
    if (single(n))
        return;
    free(n->v.ptr);
}

static struct holders *holders_new(int cap)
{
    struct holders *h = xcalloc(1, sizeof(*h) + sizeof(uint64_t) * (size_t)cap);
    h->cap = cap;
    return h;
}

void tracking_shard_init(struct shard *s)
{
    struct tracking_shard *t = xcalloc(1, sizeof(*t));
    t->keys = sdict_new();
    t->prefixes = sdict_new();
    t->known = sdict_new();
    s->tracking = t;
    s->tracking_armed = 0;
}

void tracking_shard_free(struct shard *s)
{
    struct tracking_shard *t = s->tracking;
    if (!t)
        return;
    sdict_free(t->keys, holders_free_node);
    sdict_free(t->prefixes, holders_free_node);
    sdict_free(t->known, NULL);
    for (int i = 0; i < MAX_THREADS; i++) {
        free(t->q[i].e);
        buf_free(&t->q[i].bytes);
    }
    free(t);
    s->tracking = NULL;
}

void tracking_shard_counts(struct shard *s, long long *keys, long long *items, long long *prefixes, long long *clients)
{
    struct tracking_shard *t = s->tracking;
    *keys = (long long)sdict_size(t->keys);
    *items = t->items;
    *prefixes = (long long)sdict_size(t->prefixes);
    /* Clients closing (QUIT, CLIENT KILL) no longer count, as in Redis
     * where they are gone by the next command. */
    long long n = 0;
    struct sdict_iter it;
    struct sdict_node *node;
    sdict_iter_init(&it, t->known);
    while ((node = sdict_iter_next(&it))) {
        const struct client *c = node->v.ptr;
        n += (c->tracking & TRACKING_ON) && !c->conn.closing && !c->conn.close_after_reply;
    }
    sdict_iter_done(&it);
    *clients = n;
}

static void rearm(struct shard *s)
{
    struct tracking_shard *t = s->tracking;
    s->tracking_armed = sdict_size(t->keys) || sdict_size(t->prefixes);
}

static size_t slot_of(uint64_t p, int cap)
{
    return (size_t)((p * 0x9E3779B97F4A7C15ULL) >> 32) & (size_t)(cap - 1);
}

/* Set mode: p into v (cap slots, not full); 1 when it was not there. */
static int set_insert(uint64_t *v, int cap, uint64_t p)
{
    for (size_t i = slot_of(p, cap);; i = (i + 1) & (size_t)(cap - 1)) {
        if (v[i] == p)
            return 0;
        if (!v[i]) {
            v[i] = p;
            return 1;
        }
    }
}

/* h rebuilt as a set of cap slots from its pairs (old layout), leaving out
 * `drop` (0: none); h is freed. */
static struct holders *holders_rebuild(struct holders *h, int cap, uint64_t drop)
{
    int slots = h->cap <= HOLDERS_LINEAR ? h->n : h->cap;
    struct holders *g = holders_new(cap);
    for (int i = 0; i < slots; i++)
        if (h->v[i] && h->v[i] != drop)
            g->n += set_insert(g->v, cap, h->v[i]);
    free(h);
    return g;
}

/* p into *hp (which may move); 1 when it was not there. */
static int holders_insert(struct holders **hp, uint64_t p)
{
    struct holders *h = *hp;
    if (h->cap <= HOLDERS_LINEAR) {
        for (int i = 0; i < h->n; i++)
            if (h->v[i] == p)
                return 0;
        if (h->n < HOLDERS_LINEAR) {
            if (h->n == h->cap) {
                int cap = h->cap * 2;
                h = xrealloc(h, sizeof(*h) + sizeof(uint64_t) * (size_t)cap);
                h->cap = cap;
                *hp = h;
            }
            h->v[h->n++] = p;
            return 1;
        }
        h = *hp = holders_rebuild(h, 4 * HOLDERS_LINEAR, 0);
    }
    if (2 * (h->n + 1) > h->cap)
        h = *hp = holders_rebuild(h, 2 * h->cap, 0);
    int added = set_insert(h->v, h->cap, p);
    h->n += added;
    return added;
}

/* Adds (thread, id) to the holders of name in d; 1 when it was not there. */
static int holders_add(struct sdict *d, const char *name, size_t len, int thread, uint64_t id)
{
    int added;
    struct sdict_node *n = sdict_add(d, name, len, &added);
    if (added || (!single(n) && !n->v.ptr)) {
        n->v.i = (int64_t)(id << 9 | (uint64_t)thread << 1 | 1);
        return 1;
    }
    uint64_t p = pack(thread, id);
    if (single(n)) {
        uint64_t one = holders_slot(n, 0);
        if (one == p)
            return 0;
        struct holders *h = holders_new(4);
        h->v[h->n++] = one;
        n->v.ptr = h;
    }
    struct holders *h = n->v.ptr;
    int inserted = holders_insert(&h, p);
    n->v.ptr = h;
    return inserted;
}

static void holders_del(struct sdict *d, const char *name, size_t len, int thread, uint64_t id)
{
    struct sdict_node *n = sdict_find(d, name, len);
    if (!n)
        return;
    uint64_t p = pack(thread, id);
    if (single(n)) {
        if (holders_slot(n, 0) == p) {
            n = sdict_unlink(d, name, len);
            sdict_node_free(n);
        }
        return;
    }
    struct holders *h = n->v.ptr;
    if (h && h->cap <= HOLDERS_LINEAR) {
        for (int i = 0; i < h->n; i++) {
            if (h->v[i] == p) {
                h->v[i] = h->v[--h->n];
                break;
            }
        }
    } else if (h) {
        h = n->v.ptr = holders_rebuild(h, h->cap, p); /* rare (BCAST off): no tombstones */
    }
    if (!h || h->n == 0) {
        n = sdict_unlink(d, name, len);
        holders_free_node(n);
        sdict_node_free(n);
    }
}

static struct client *known_client(struct shard *s, uint64_t id)
{
    struct sdict_node *n = sdict_find(s->tracking->known, (const char *)&id, sizeof(id));
    return n ? n->v.ptr : NULL;
}

/* c gets its tracking state and is findable on its thread by id. */
static struct tracking_client *client_state(struct client *c)
{
    if (!c->trk) {
        c->trk = xcalloc(1, sizeof(*c->trk));
        int added;
        struct sdict_node *n = sdict_add(c->shard->tracking->known, (const char *)&c->id, sizeof(c->id), &added);
        n->v.ptr = c;
    }
    return c->trk;
}

/* ---------------- the queue ---------------- */

static struct track_entry *queue_entry(struct shard *s, int thread, int kind, uint64_t target, uint64_t aux,
                                       const char *bytes, size_t len)
{
    struct tracking_shard *t = s->tracking;
    struct track_queue *q = &t->q[thread];
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->e = xrealloc(q->e, sizeof(*q->e) * (size_t)q->cap);
    }
    struct track_entry *e = &q->e[q->n];
    memset(e, 0, sizeof(*e));
    /* The same key for several clients of one thread: its bytes once. */
    if (q->n && q->e[q->n - 1].len == len && (kind == TE_KEY || kind == TE_BCAST) &&
        (q->e[q->n - 1].kind == TE_KEY || q->e[q->n - 1].kind == TE_BCAST) &&
        !memcmp(q->bytes.data + q->e[q->n - 1].off, bytes, len)) {
        e->off = q->e[q->n - 1].off;
    } else {
        e->off = (uint32_t)q->bytes.len;
        buf_append(&q->bytes, bytes, len);
    }
    q->n++;
    e->len = (uint32_t)len;
    e->kind = kind;
    e->target = target;
    e->aux = aux;
    t->queued = 1;
    return e;
}

/* The pairs of key go (their invalidations are queued); the key is
 * forgotten. */
static void invalidate_key(struct shard *s, const char *key, size_t klen, uint64_t writer)
{
    struct tracking_shard *t = s->tracking;
    struct sdict_node *n = sdict_unlink(t->keys, key, klen);
    if (!n)
        return;
    int slots = holders_slots(n);
    for (int i = 0; i < slots; i++) {
        uint64_t p = holders_slot(n, i);
        if (!p)
            continue;
        struct holder h = unpack(p);
        queue_entry(s, h.thread, TE_KEY, h.id, writer, n->key, n->klen);
    }
    t->items -= holders_count(n);
    holders_free_node(n);
    sdict_node_free(n);
}

void tracking_key_changed(struct shard *s, const char *key, size_t klen)
{
    struct tracking_shard *t = s->tracking;
    uint64_t writer = s->tracking_writer;
    if (sdict_size(t->prefixes)) {
        struct sdict_iter it;
        struct sdict_node *n;
        sdict_iter_init(&it, t->prefixes);
        while ((n = sdict_iter_next(&it))) {
            if (n->klen > klen || memcmp(n->key, key, n->klen))
                continue;
            int slots = holders_slots(n);
            for (int i = 0; i < slots; i++) {
                uint64_t p = holders_slot(n, i);
                if (!p)
                    continue;
                struct holder h = unpack(p);
                struct track_entry *e = queue_entry(s, h.thread, TE_BCAST, h.id, writer, key, klen);
                struct track_queue *q = &t->q[h.thread];
                e->poff = (uint32_t)q->bytes.len;
                e->plen = n->klen;
                buf_append(&q->bytes, n->key, n->klen);
            }
        }
        sdict_iter_done(&it);
    }
    invalidate_key(s, key, klen, writer);
    rearm(s);
}

void tracking_flushed(struct shard *s)
{
    struct tracking_shard *t = s->tracking;
    sdict_free(t->keys, holders_free_node);
    t->keys = sdict_new();
    t->items = 0;
    rearm(s);
    struct sdict_iter it;
    struct sdict_node *n;
    sdict_iter_init(&it, t->known);
    while ((n = sdict_iter_next(&it))) {
        struct client *c = n->v.ptr;
        if (c->tracking & TRACKING_ON)
            queue_entry(s, s->id, TE_FLUSH, c->id, 0, "", 0);
    }
    sdict_iter_done(&it);
}

/* ---------------- recording reads ---------------- */

static size_t max_keys_share(struct shard *s)
{
    long long max = s->cfg->tracking_table_max_keys;
    if (max <= 0)
        return (size_t)-1;
    long long n = s->srv->nshards;
    return (size_t)(max / n + (s->id < max % n ? 1 : 0));
}

/* Evicts random keys (with their invalidations) while over the share, at
 * most effort of them; 1 when still over. */
static int limit_keys(struct shard *s, int effort)
{
    struct tracking_shard *t = s->tracking;
    size_t share = max_keys_share(s);
    while (sdict_size(t->keys) > share && effort-- > 0) {
        struct sdict_node *n = sdict_random(t->keys);
        if (!n)
            break;
        char small[128];
        size_t len = n->klen;
        char *key = len <= sizeof(small) ? small : xmalloc(len);
        memcpy(key, n->key, len);
        invalidate_key(s, key, len, 0);
        if (key != small)
            free(key);
    }
    rearm(s);
    return sdict_size(t->keys) > share;
}

void tracking_remember_keys(struct shard *s, int thread, uint64_t id, const struct arg *argv, const int *keypos,
                            int nkeys)
{
    struct tracking_shard *t = s->tracking;
    for (int k = 0; k < nkeys; k++)
        t->items += holders_add(t->keys, argv[keypos[k]].ptr, argv[keypos[k]].len, thread, id);
    if (nkeys) {
        s->tracking_armed = 1;
        if (sdict_size(t->keys) > max_keys_share(s))
            limit_keys(s, 100);
    }
}

void tracking_remember(struct shard *s, int thread, uint64_t id, const struct command *cmd, int argc,
                       const struct arg *argv)
{
    if (cmd->engine == ENGINE_PUBSUB)
        return; /* shard channels are keys in the table, not cached data (as Redis) */
    int small[16];
    int *pos = argc <= 16 ? small : xmalloc(sizeof(int) * (size_t)argc);
    int n = command_key_positions(cmd, argc, argv, pos, argc);
    tracking_remember_keys(s, thread, id, argv, pos, n);
    if (pos != small)
        free(pos);
}

void tracking_before_command(struct client *c)
{
    unsigned f = c->tracking;
    c->tracking_reads = (f & TRACKING_ON) && !(f & TRACKING_BCAST) &&
                        !((f & TRACKING_OPTIN) && !(f & TRACKING_CACHING)) &&
                        !((f & TRACKING_OPTOUT) && (f & TRACKING_CACHING));
}

void tracking_after_command(struct client *c)
{
    if (c->tracking & TRACKING_CACHING_FRESH)
        c->tracking &= ~TRACKING_CACHING_FRESH;
    else if (!c->in_multi)
        c->tracking &= ~TRACKING_CACHING;
}

/* ---------------- delivery ---------------- */

static void write_push(struct client *c, const char *head, size_t hlen, const char *payload, size_t plen)
{
    struct request *req;
    struct buf *out = reply_target(c, NULL, 0, NULL, &req);
    size_t before = out->len;
    buf_append(out, head, hlen);
    buf_append(out, payload, plen);
    reply_ready(c, req, out, before);
}

/* The redirect client r gets a payload: a push in RESP3, a message on
 * __redis__:invalidate when it is subscribed in RESP2, else nothing (as
 * Redis). */
static void write_redirected(struct client *r, const char *payload, size_t len)
{
    if (r->conn.closing)
        return;
    struct buf head = {0};
    if (r->resp >= 3) {
        reply_push(&head, 3, 2);
        reply_bulk_cstr(&head, "invalidate");
    } else if (pubsub_client_subscribed(r)) {
        reply_array(&head, 3);
        reply_bulk_cstr(&head, "message");
        reply_bulk_cstr(&head, invalidate_channel);
    } else {
        return;
    }
    write_push(r, head.data, head.len, payload, len);
    buf_free(&head);
}

static void mark_broken(struct client *c)
{
    c->tracking |= TRACKING_BROKEN_REDIR;
    if (c->resp >= 3 && !c->conn.closing) {
        struct buf b = {0};
        reply_push(&b, 3, 2);
        reply_bulk_cstr(&b, "tracking-redir-broken");
        reply_integer(&b, (long long)c->trk->redir);
        write_push(c, b.data, b.len, "", 0);
        buf_free(&b);
    }
}

/* A tracking client of this thread is told that its keys (payload) are
 * invalid: on its own connection (RESP3), or through its redirect client,
 * which may live on another thread. */
static void send_invalidation(struct shard *s, struct client *c, const char *payload, size_t len)
{
    struct tracking_client *tc = c->trk;
    if (tc->redir) {
        if (tc->redir_thread == s->id) {
            struct client *r = known_client(s, tc->redir);
            if (!r)
                mark_broken(c);
            else
                write_redirected(r, payload, len);
        } else {
            struct track_entry *e = queue_entry(s, tc->redir_thread, TE_REDIR, tc->redir, c->id, payload, len);
            e->thread = s->id;
        }
        return;
    }
    if (c->resp >= 3 && !c->conn.closing) {
        struct buf head = {0};
        reply_push(&head, 3, 2);
        reply_bulk_cstr(&head, "invalidate");
        write_push(c, head.data, head.len, payload, len);
        buf_free(&head);
    }
}

static struct client *tracking_target(struct shard *s, uint64_t id)
{
    struct client *c = known_client(s, id);
    return c && (c->tracking & TRACKING_ON) && !c->conn.closing ? c : NULL;
}

struct bcast_sort {
    const struct track_entry *e;
    const char *bytes;
    long long idx;
};

static int bcast_cmp(const void *a, const void *b)
{
    const struct bcast_sort *x = a, *y = b;
    if (x->e->target != y->e->target)
        return x->e->target < y->e->target ? -1 : 1;
    size_t pl = x->e->plen < y->e->plen ? x->e->plen : y->e->plen;
    int d = memcmp(x->bytes + x->e->poff, y->bytes + y->e->poff, pl);
    if (d || x->e->plen != y->e->plen)
        return d ? d : x->e->plen < y->e->plen ? -1 : 1;
    size_t kl = x->e->len < y->e->len ? x->e->len : y->e->len;
    d = memcmp(x->bytes + x->e->off, y->bytes + y->e->off, kl);
    if (d || x->e->len != y->e->len)
        return d ? d : x->e->len < y->e->len ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int same_prefix(const struct bcast_sort *x, const struct bcast_sort *y)
{
    return x->e->target == y->e->target && x->e->plen == y->e->plen &&
           !memcmp(x->bytes + x->e->poff, y->bytes + y->e->poff, x->e->plen);
}

static int same_key(const struct bcast_sort *x, const struct bcast_sort *y)
{
    return same_prefix(x, y) && x->e->len == y->e->len &&
           !memcmp(x->bytes + x->e->off, y->bytes + y->e->off, x->e->len);
}

/* BCAST: one message per client and prefix with the keys that changed (each
 * once, sorted as Redis's radix tree gives them); NOLOOP leaves out the
 * keys the client itself changed last. */
static void deliver_bcast(struct shard *s, struct bcast_sort *v, long long n)
{
    qsort(v, (size_t)n, sizeof(*v), bcast_cmp);
    struct buf payload = {0};
    for (long long i = 0; i < n;) {
        long long j = i;
        while (j < n && same_prefix(&v[i], &v[j]))
            j++;
        struct client *c = tracking_target(s, v[i].e->target);
        if (c && (c->tracking & TRACKING_BCAST)) {
            long long count = 0;
            struct buf keys = {0};
            for (long long k = i; k < j; k++) {
                if (k + 1 < j && same_key(&v[k], &v[k + 1]))
                    continue; /* the last change of the key decides */
                if ((c->tracking & TRACKING_NOLOOP) && v[k].e->aux == c->id)
                    continue;
                reply_bulk(&keys, v[k].bytes + v[k].e->off, v[k].e->len);
                count++;
            }
            if (count) {
                buf_reset(&payload);
                reply_array(&payload, count);
                buf_append(&payload, keys.data, keys.len);
                send_invalidation(s, c, payload.data, payload.len);
            }
            buf_free(&keys);
        }
        i = j;
    }
    buf_free(&payload);
}

static void deliver(struct shard *s, const struct track_entry *e, long long n, const char *bytes)
{
    struct bcast_sort *bc = NULL;
    long long nb = 0;
    struct buf payload = {0};
    for (long long i = 0; i < n; i++) {
        struct client *c;
        switch ((enum entry_kind)e[i].kind) {
        case TE_KEY:
            c = tracking_target(s, e[i].target);
            if (!c || (c->tracking & TRACKING_BCAST) || ((c->tracking & TRACKING_NOLOOP) && e[i].aux == c->id))
                break;
            buf_reset(&payload);
            reply_array(&payload, 1);
            reply_bulk(&payload, bytes + e[i].off, e[i].len);
            send_invalidation(s, c, payload.data, payload.len);
            break;
        case TE_FLUSH:
            c = tracking_target(s, e[i].target);
            if (!c)
                break;
            buf_reset(&payload);
            reply_null(&payload, c->resp); /* the tracking client's null, as Redis */
            send_invalidation(s, c, payload.data, payload.len);
            break;
        case TE_BCAST:
            if (!bc)
                bc = xmalloc(sizeof(*bc) * (size_t)n);
            bc[nb++] = (struct bcast_sort){&e[i], bytes, i};
            break;
        case TE_REDIR:
            c = known_client(s, e[i].target);
            if (c && !c->conn.closing) {
                write_redirected(c, bytes + e[i].off, e[i].len);
            } else if (e[i].thread == s->id) {
                struct client *o = tracking_target(s, e[i].aux);
                if (o && o->trk->redir == e[i].target)
                    mark_broken(o);
            } else {
                queue_entry(s, e[i].thread, TE_BROKEN, e[i].aux, e[i].target, "", 0);
            }
            break;
        case TE_BROKEN:
            c = tracking_target(s, e[i].target);
            if (c && c->trk->redir == e[i].aux)
                mark_broken(c);
            break;
        }
    }
    if (nb)
        deliver_bcast(s, bc, nb);
    free(bc);
    buf_free(&payload);
}

static void send_queue(struct shard *s, int dest, struct track_queue *q)
{
    size_t ents = sizeof(struct track_entry) * (size_t)q->n;
    struct track_msg *m = xcalloc(1, sizeof(*m) + ents + q->bytes.len + 1);
    m->n = q->n;
    memcpy(m->e, q->e, ents);
    if (q->bytes.len)
        memcpy((char *)m->e + ents, q->bytes.data, q->bytes.len);
    m->sub.op = SUB_TRACKING;
    m->sub.flags = TOP_DELIVER;
    m->sub.txflags = SUBF_DETACHED;
    m->sub.shard = dest;
    m->sub.coord = s->id;
    shard_send_sub(s, &m->sub);
}

void tracking_flush(struct shard *s)
{
    struct tracking_shard *t = s->tracking;
    if (__builtin_expect(s->tracking_armed, 0) && sdict_size(t->keys) > max_keys_share(s)) {
        if (limit_keys(s, 100 * (int)(t->evict_rounds + 1)))
            t->evict_rounds++;
        else
            t->evict_rounds = 0;
    }
    int nsh = s->srv->nshards;
    while (t->queued) {
        t->queued = 0;
        struct track_queue *lq = &t->q[s->id];
        if (lq->n) {
            struct track_queue local = *lq;
            memset(lq, 0, sizeof(*lq));
            deliver(s, local.e, local.n, local.bytes.data);
            free(local.e);
            buf_free(&local.bytes);
        }
        for (int d = 0; d < nsh; d++) {
            struct track_queue *q = &t->q[d];
            if (d == s->id || !q->n)
                continue;
            send_queue(s, d, q);
            q->n = 0;
            buf_reset(&q->bytes);
        }
        if (lq->n)
            t->queued = 1;
    }
}

/* ---------------- a client's state ---------------- */

/* A TOP_PREFIX_ADD sub-request of a CLIENT TRACKING request: the names
 * for client id (its argv is freed by subs_free). */
static void fill_prefix_sub(struct subreq *sub, int op, uint64_t id, char **names, const size_t *lens, int n)
{
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += lens[i];
    sub->argv = xmalloc(sizeof(struct arg) * (size_t)(n + 1) + bytes + 1);
    char *b = (char *)(sub->argv + n + 1);
    sub->argv[0] = (struct arg){"client", 6};
    for (int i = 0; i < n; i++) {
        memcpy(b, names[i], lens[i]);
        sub->argv[i + 1] = (struct arg){b, lens[i]};
        b += lens[i];
    }
    sub->argc = n + 1;
    sub->op = SUB_TRACKING;
    sub->flags = op;
    sub->result = (int64_t)id;
}

static int set_names(struct sdict *d, char ***names, size_t **lens)
{
    int n = (int)sdict_size(d), i = 0;
    *names = xmalloc(sizeof(char *) * (size_t)(n ? n : 1));
    *lens = xmalloc(sizeof(size_t) * (size_t)(n ? n : 1));
    struct sdict_iter it;
    struct sdict_node *node;
    sdict_iter_init(&it, d);
    while ((node = sdict_iter_next(&it)) && i < n) {
        (*names)[i] = xmalloc(node->klen + 1);
        memcpy((*names)[i], node->key, node->klen);
        (*lens)[i++] = node->klen;
    }
    sdict_iter_done(&it);
    return i;
}

static void free_names(char **names, size_t *lens, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(lens);
}

static void prefix_run(struct shard *s, int op, int thread, uint64_t id, const struct arg *names, int n)
{
    struct tracking_shard *t = s->tracking;
    for (int i = 0; i < n; i++) {
        if (op == TOP_PREFIX_ADD)
            holders_add(t->prefixes, names[i].ptr, names[i].len, thread, id);
        else
            holders_del(t->prefixes, names[i].ptr, names[i].len, thread, id);
    }
    rearm(s);
}

/* A detached removal of names for client id on shard d: one block (the
 * receiver frees the sub-request, and the names with it). */
static void send_prefix_del(struct shard *s, int d, uint64_t id, char **names, const size_t *lens, int n)
{
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += lens[i];
    struct subreq *sub = xcalloc(1, sizeof(*sub) + sizeof(struct arg) * (size_t)(n + 1) + bytes + 1);
    struct arg *a = (struct arg *)(sub + 1);
    char *b = (char *)(a + n + 1);
    a[0] = (struct arg){"client", 6};
    for (int i = 0; i < n; i++) {
        memcpy(b, names[i], lens[i]);
        a[i + 1] = (struct arg){b, lens[i]};
        b += lens[i];
    }
    sub->argc = n + 1;
    sub->argv = a;
    sub->op = SUB_TRACKING;
    sub->flags = TOP_PREFIX_DEL;
    sub->result = (int64_t)id;
    sub->txflags = SUBF_DETACHED;
    sub->shard = d;
    sub->coord = s->id;
    shard_send_sub(s, sub);
}

void tracking_client_off(struct client *c)
{
    if (!(c->tracking & TRACKING_ON)) {
        c->tracking = 0;
        c->tracking_reads = 0;
        return;
    }
    struct shard *s = c->shard;
    struct tracking_client *tc = c->trk;
    if ((c->tracking & TRACKING_BCAST) && tc->prefixes) {
        char **names;
        size_t *lens;
        int n = set_names(tc->prefixes, &names, &lens);
        for (int d = 0; d < s->srv->nshards && n; d++) {
            if (d == s->id) {
                struct arg *a = xmalloc(sizeof(struct arg) * (size_t)n);
                for (int i = 0; i < n; i++)
                    a[i] = (struct arg){names[i], lens[i]};
                prefix_run(s, TOP_PREFIX_DEL, s->id, c->id, a, n);
                free(a);
                continue;
            }
            send_prefix_del(s, d, c->id, names, lens, n);
        }
        free_names(names, lens, n);
        sdict_free(tc->prefixes, NULL);
        tc->prefixes = NULL;
    }
    tc->redir = 0;
    c->tracking = 0;
    c->tracking_reads = 0;
}

void tracking_client_free(struct client *c)
{
    tracking_client_off(c);
    if (!c->trk)
        return;
    struct sdict_node *n = sdict_unlink(c->shard->tracking->known, (const char *)&c->id, sizeof(c->id));
    if (n)
        sdict_node_free(n);
    free(c->trk);
    c->trk = NULL;
}

/* ---------------- CLIENT TRACKING ---------------- */

struct tracking_args {
    int on, off;
    int has_redir;
    long long redir;
    int redir_pos; /* argument index of REDIRECT's value */
    unsigned options;
    int nprefix;
    int *prefix; /* argument indexes */
    const char *err;
    int err_pos;
    char msg[512];
};

/* CLIENT TRACKING (on|off) [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
 * [OPTOUT] [NOLOOP], parsed as Redis 7.0 does; the first error and where. */
static void parse_args(int argc, const struct arg *argv, struct tracking_args *a)
{
    memset(a, 0, sizeof(*a));
    a->prefix = xmalloc(sizeof(int) * (size_t)(argc + 1));
    for (int j = 3; j < argc && !a->err; j++) {
        int more = argc - 1 - j;
        if (arg_is(&argv[j], "redirect") && more) {
            j++;
            if (a->has_redir && a->redir != 0) {
                a->err = "ERR A client can only redirect to a single other client";
            } else if (!string2ll(argv[j].ptr, argv[j].len, &a->redir)) {
                a->err = ERR_NOT_INTEGER;
            } else {
                a->has_redir = 1;
                a->redir_pos = j;
            }
        } else if (arg_is(&argv[j], "bcast")) {
            a->options |= TRACKING_BCAST;
        } else if (arg_is(&argv[j], "optin")) {
            a->options |= TRACKING_OPTIN;
        } else if (arg_is(&argv[j], "optout")) {
            a->options |= TRACKING_OPTOUT;
        } else if (arg_is(&argv[j], "noloop")) {
            a->options |= TRACKING_NOLOOP;
        } else if (arg_is(&argv[j], "prefix") && more) {
            a->prefix[a->nprefix++] = ++j;
        } else {
            a->err = ERR_SYNTAX;
        }
        if (a->err)
            a->err_pos = j;
    }
    if (!a->err) {
        a->on = arg_is(&argv[2], "on");
        a->off = arg_is(&argv[2], "off");
        if (!a->on && !a->off) {
            a->err = ERR_SYNTAX;
            a->err_pos = argc;
        }
    }
}

static int prefixes_overlap(const char *a, size_t alen, const char *b, size_t blen)
{
    return memcmp(a, b, alen < blen ? alen : blen) == 0;
}

/* The checks of ON against the client's state; NULL when it may go on. */
static const char *check_on(struct client *c, const struct request *r, struct tracking_args *a)
{
    unsigned f = c->tracking, o = a->options;
    if (!(o & TRACKING_BCAST) && a->nprefix)
        return "ERR PREFIX option requires BCAST mode to be enabled";
    if ((f & TRACKING_ON) && !!(f & TRACKING_BCAST) != !!(o & TRACKING_BCAST))
        return "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then "
               "re-enabling it with a different mode.";
    if ((o & TRACKING_BCAST) && (o & (TRACKING_OPTIN | TRACKING_OPTOUT)))
        return "ERR OPTIN and OPTOUT are not compatible with BCAST";
    if ((o & TRACKING_OPTIN) && (o & TRACKING_OPTOUT))
        return "ERR You can't specify both OPTIN mode and OPTOUT mode";
    if (((o & TRACKING_OPTIN) && (f & TRACKING_OPTOUT)) || ((o & TRACKING_OPTOUT) && (f & TRACKING_OPTIN)))
        return "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
               "re-enabling it with a different mode.";
    if (!(o & TRACKING_BCAST))
        return NULL;
    struct sdict *own = c->trk ? c->trk->prefixes : NULL;
    for (int i = 0; i < a->nprefix; i++) {
        const struct arg *p = &r->argv[a->prefix[i]];
        if (own) {
            struct sdict_iter it;
            struct sdict_node *n;
            const char *hit = NULL;
            size_t hitlen = 0;
            sdict_iter_init(&it, own);
            while ((n = sdict_iter_next(&it)))
                if (!hit && prefixes_overlap(n->key, n->klen, p->ptr, p->len)) {
                    hit = n->key;
                    hitlen = n->klen;
                }
            sdict_iter_done(&it);
            if (hit) {
                snprintf(a->msg, sizeof(a->msg),
                         "ERR Prefix '%.*s' overlaps with an existing prefix '%.*s'. Prefixes for a single client must "
                         "not overlap.",
                         (int)(p->len > 200 ? 200 : p->len), p->ptr, (int)(hitlen > 200 ? 200 : hitlen), hit);
                return a->msg;
            }
        }
        for (int j = i + 1; j < a->nprefix; j++) {
            const struct arg *q = &r->argv[a->prefix[j]];
            if (prefixes_overlap(p->ptr, p->len, q->ptr, q->len)) {
                snprintf(a->msg, sizeof(a->msg),
                         "ERR Prefix '%.*s' overlaps with another provided prefix '%.*s'. Prefixes for a single client "
                         "must not overlap.",
                         (int)(p->len > 200 ? 200 : p->len), p->ptr, (int)(q->len > 200 ? 200 : q->len), q->ptr);
                return a->msg;
            }
        }
    }
    return NULL;
}

enum { TSTEP_FIND = 0, TSTEP_APPLY = 1 };

/* Checks and carries out CLIENT TRACKING once the redirect's thread is
 * known (-1: not found, or no REDIRECT). Writes the reply into r->reply;
 * returns the number of prefix registrations to wait for (subs of r). */
static int tracking_apply(struct shard *s, struct request *r, int redir_thread)
{
    struct client *c = r->client;
    struct tracking_args a;
    parse_args(r->argc, r->argv, &a);
    const char *err = NULL;
    if (a.has_redir && (!a.err || a.redir_pos < a.err_pos) && redir_thread < 0)
        err = "ERR The client ID you want redirect to does not exist";
    else if (a.err)
        err = a.err;
    else if (a.on)
        err = check_on(c, r, &a);
    if (err) {
        reply_error(&r->reply, err);
        free(a.prefix);
        return 0;
    }
    if (a.off) {
        tracking_client_off(c);
        reply_ok(&r->reply);
        free(a.prefix);
        return 0;
    }
    struct tracking_client *tc = client_state(c);
    c->tracking =
        (c->tracking & ~(TRACKING_BROKEN_REDIR | TRACKING_BCAST | TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP)) |
        TRACKING_ON | (a.options & (TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP | TRACKING_BCAST));
    tc->redir = a.has_redir ? (uint64_t)a.redir : 0;
    tc->redir_thread = redir_thread;
    int nsubs = 0;
    if (a.options & TRACKING_BCAST) {
        if (!tc->prefixes)
            tc->prefixes = sdict_new();
        /* The new prefixes (the empty one without PREFIX), registered on
         * every shard before the reply. */
        int n = 0;
        char **names = xmalloc(sizeof(char *) * (size_t)(a.nprefix + 1));
        size_t *lens = xmalloc(sizeof(size_t) * (size_t)(a.nprefix + 1));
        int np = a.nprefix ? a.nprefix : 1;
        for (int i = 0; i < np; i++) {
            const char *p = a.nprefix ? r->argv[a.prefix[i]].ptr : "";
            size_t plen = a.nprefix ? r->argv[a.prefix[i]].len : 0;
            int added;
            sdict_add(tc->prefixes, p, plen, &added);
            if (added) {
                names[n] = (char *)p;
                lens[n++] = plen;
            }
        }
        if (n) {
            int nsh = s->srv->nshards;
            struct subreq *subs = subs_alloc(r, nsh);
            for (int d = 0; d < nsh; d++) {
                subs[d].shard = d;
                fill_prefix_sub(&subs[d], TOP_PREFIX_ADD, c->id, names, lens, n);
            }
            nsubs = nsh;
        }
        free(names);
        free(lens);
    }
    reply_ok(&r->reply);
    free(a.prefix);
    return nsubs;
}

void tracking_start(struct shard *s, struct request *r)
{
    struct tracking_args a;
    parse_args(r->argc, r->argv, &a);
    int find = a.has_redir && (!a.err || a.redir_pos < a.err_pos);
    free(a.prefix);
    if (find) {
        int nsh = s->srv->nshards;
        struct subreq *subs = subs_alloc(r, nsh);
        for (int d = 0; d < nsh; d++) {
            subs[d].shard = d;
            subs[d].op = SUB_TRACKING;
            subs[d].flags = TOP_FIND;
            subs[d].result = (int64_t)a.redir;
        }
        r->step = TSTEP_FIND;
        return;
    }
    r->step = TSTEP_APPLY;
    tracking_apply(s, r, -1);
}

int tracking_request_done(struct shard *s, struct request *r, struct buf *out)
{
    (void)out;
    if (r->step == TSTEP_FIND) {
        int thread = -1;
        for (int i = 0; i < r->nsubs; i++)
            if (r->subs[i].result == -1)
                thread = r->subs[i].shard;
        r->step = TSTEP_APPLY;
        if (tracking_apply(s, r, thread)) {
            subs_launch(s, r);
            return 0;
        }
        return 1;
    }
    return 1;
}

void tracking_run_sub(struct shard *s, struct subreq *sub)
{
    switch ((enum tracking_op)sub->flags) {
    case TOP_DELIVER: {
        struct track_msg *m = (struct track_msg *)sub;
        deliver(s, m->e, m->n, (const char *)(m->e + m->n));
        break;
    }
    case TOP_FIND: { /* is client `result` here? -1 yes (it becomes known here), else 0 */
        uint64_t id = (uint64_t)sub->result;
        sub->result = 0;
        for (struct client *c = s->clients; c; c = c->next) {
            if (c->id == id && !c->conn.closing) {
                client_state(c);
                sub->result = -1;
                break;
            }
        }
        break;
    }
    case TOP_PREFIX_ADD:
    case TOP_PREFIX_DEL:
        prefix_run(s, sub->flags, sub->coord, (uint64_t)sub->result, sub->argv + 1, sub->argc - 1);
        break;
    }
}

/* ---------------- CLIENT CACHING, GETREDIR, TRACKINGINFO, LIST ---------------- */

void tracking_cmd_caching(struct cmd_ctx *c)
{
    struct client *cl = c->client;
    if (!(cl->tracking & TRACKING_ON)) {
        reply_error(c->out, "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or "
                            "OPTOUT mode enabled");
        return;
    }
    if (arg_is(&c->argv[2], "yes")) {
        if (!(cl->tracking & TRACKING_OPTIN)) {
            reply_error(c->out, "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
            return;
        }
    } else if (arg_is(&c->argv[2], "no")) {
        if (!(cl->tracking & TRACKING_OPTOUT)) {
            reply_error(c->out, "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
            return;
        }
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    cl->tracking |= TRACKING_CACHING | TRACKING_CACHING_FRESH;
    reply_ok(c->out);
}

long long tracking_client_redir(const struct client *c)
{
    return (c->tracking & TRACKING_ON) ? (long long)c->trk->redir : -1;
}

void tracking_cmd_getredir(struct cmd_ctx *c)
{
    reply_integer(c->out, tracking_client_redir(c->client));
}

static int name_cmp(const void *a, const void *b)
{
    const struct arg *x = a, *y = b;
    size_t l = x->len < y->len ? x->len : y->len;
    int d = memcmp(x->ptr, y->ptr, l);
    return d ? d : (x->len > y->len) - (x->len < y->len);
}

void tracking_cmd_trackinginfo(struct cmd_ctx *c)
{
    struct client *cl = c->client;
    unsigned f = cl->tracking;
    const char *flags[8];
    int n = 0;
    flags[n++] = (f & TRACKING_ON) ? "on" : "off";
    if (f & TRACKING_BCAST)
        flags[n++] = "bcast";
    if (f & TRACKING_OPTIN) {
        flags[n++] = "optin";
        if (f & TRACKING_CACHING)
            flags[n++] = "caching-yes";
    }
    if (f & TRACKING_OPTOUT) {
        flags[n++] = "optout";
        if (f & TRACKING_CACHING)
            flags[n++] = "caching-no";
    }
    if (f & TRACKING_NOLOOP)
        flags[n++] = "noloop";
    if (f & TRACKING_BROKEN_REDIR)
        flags[n++] = "broken_redirect";
    reply_map(c->out, c->resp, 3);
    reply_bulk_cstr(c->out, "flags");
    reply_set(c->out, c->resp, n);
    for (int i = 0; i < n; i++)
        reply_bulk_cstr(c->out, flags[i]);
    reply_bulk_cstr(c->out, "redirect");
    reply_integer(c->out, tracking_client_redir(cl));
    reply_bulk_cstr(c->out, "prefixes");
    struct sdict *own = cl->trk && (f & TRACKING_BCAST) ? cl->trk->prefixes : NULL;
    long long np = own ? (long long)sdict_size(own) : 0;
    reply_array(c->out, np);
    if (np) {
        struct arg *v = xmalloc(sizeof(*v) * (size_t)np);
        long long i = 0;
        struct sdict_iter it;
        struct sdict_node *node;
        sdict_iter_init(&it, own);
        while ((node = sdict_iter_next(&it)) && i < np)
            v[i++] = (struct arg){node->key, node->klen};
        sdict_iter_done(&it);
        qsort(v, (size_t)i, sizeof(*v), name_cmp);
        for (long long k = 0; k < i; k++)
            reply_bulk(c->out, v[k].ptr, v[k].len);
        free(v);
    }
}

char *tracking_client_flags(const struct client *c, char *f)
{
    if (c->tracking & TRACKING_ON)
        *f++ = 't';
    if (c->tracking & TRACKING_BROKEN_REDIR)
        *f++ = 'R';
    if (c->tracking & TRACKING_BCAST)
        *f++ = 'B';
    return f;
}
