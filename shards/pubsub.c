/*
 * pubsub.c - Pub/Sub and sharded Pub/Sub (see pubsub.h for the design).
 *
 * A client's subscriptions are three sets on its own thread (struct
 * pubsub_client): they give the counts of Redis's replies at once, and
 * a delivery checks them, so a message in flight after an UNSUBSCRIBE is
 * dropped. The registries (struct pubsub_shard) live on each shard: a
 * channel's subscribers on its home shard only, the patterns on every
 * shard. Registrations of SUBSCRIBE/PSUBSCRIBE/SSUBSCRIBE are sub-requests
 * of the command (its reply leaves once every registration is done, so a
 * PUBLISH sent after the reply reaches the subscriber); removals are
 * detached sub-requests (no reply is waited for).
 *
 * Thread: everything runs on the calling shard's own thread; other shards
 * are reached only through SUB_PUBSUB sub-requests over the rings.
 */
#include "shards/pubsub.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/ds/sdict.h"
#include "shards/client.h"
#include "shards/dispatch_internal.h"
#include "shards/mailbox.h"
#include "shards/request.h"
#include "shards/shard.h"

/* One subscriber as a registry keeps it: never a pointer across threads. */
struct subscriber {
    int thread;
    uint32_t slot; /* the client's index in its thread's table (struct pubsub_shard's slots) */
    uint64_t id;
};

/* A channel's (or pattern's) subscribers on its home shard. refs counts
 * its holders: the registry (1) and the fan-out jobs still sending a
 * message to it; a list with other holders is copied before it changes
 * (sublist_writable), so a job sends to exactly the subscribers it
 * counted. */
struct sublist {
    int n, cap;
    int refs;
    struct subscriber *v;
};

/* Receivers a shard writes or sends per loop iteration at most (frames of
 * its own clients plus entries of deliveries to other threads): a PUBLISH
 * to more, or one that finds earlier ones still queued, becomes a fan-out
 * job that the loop continues (pubsub_shard_pump). The trade-off: each
 * iteration ends with one send per subscriber that got something, so a
 * small budget means few frames per send (2048 delivered a third of what
 * 32768 does to 1,000 subscribers); 32768 frames take a few milliseconds. */
#define FANOUT_BUDGET 32768

/* What one PUBLISH fans out: the lists it counted (src[i], ai[i]: 0 the
 * channel's own, k >= 2 pattern args[k]), and how far it got. */
struct fanout_job {
    struct fanout_job *next;
    int kind;
    int nargs;        /* channel, message, matched patterns */
    struct arg *args; /* a queued job owns copies (one block) */
    int nsrc;         /* lists, each with one ref held by a queued job */
    struct sublist **src;
    uint64_t *ai;
    int at_src, at_i; /* the next receiver */
    uint64_t self_id; /* the publisher, which wrote its own frames (0: none) */
    int self_thread;
    long long count;     /* the PUBLISH reply */
    struct subreq *held; /* the PUBLISH whose reply waits for the last frame, or NULL */
};

struct pubsub_shard {
    struct sdict *reg[3]; /* enum pubsub_kind: name -> struct sublist * */
    /* This thread's clients with subscription sets, by slot (a delivery
     * names the slot and the id; a slot reused by another client has
     * another id). */
    struct client **slots;
    uint32_t nslots, slots_cap, *free_slots, nfree;
    struct fanout_job *jobs, *jobs_tail; /* FIFO: every delivery leaves in publish order */
    long long work;                      /* receivers handled in this loop iteration */
    /* Detached removals (a client closed or RESET) from each thread:
     * dels_in[t] counts those thread t has queued for this shard (written
     * by t only, read here), dels_applied[t] those run here. A PUBSUB
     * query waits until every removal queued before it arrived has run
     * (struct parked_query), so counts are exact once a disconnect can be
     * observed anywhere. */
    _Atomic uint64_t *dels_in;
    uint64_t *dels_applied;
    struct parked_query *parked, *parked_tail;
};

/* A PUBSUB CHANNELS/NUMSUB/NUMPAT part waiting for removals (want[t]:
 * dels_in[t] when it arrived). */
struct parked_query {
    struct parked_query *next;
    struct subreq *sub;
    uint64_t want[MAX_THREADS];
};

struct pubsub_client {
    struct sdict *set[3]; /* enum pubsub_kind: names, no value */
    uint32_t slot;
    /* Names removed since the sets were made (UNSUBSCRIBE, RESET): while
     * 0, every delivery for this client is for a name it still has. */
    uint64_t removed;
};

static const char *const subscribe_msg[3] = {"subscribe", "psubscribe", "ssubscribe"};
static const char *const unsubscribe_msg[3] = {"unsubscribe", "punsubscribe", "sunsubscribe"};

/* ---------------- registries ---------------- */

static void sublist_unref(struct sublist *l)
{
    if (l && --l->refs == 0) {
        free(l->v);
        free(l);
    }
}

static void sublist_free_node(struct sdict_node *n)
{
    sublist_unref(n->v.ptr);
}

/* The node's list, copied first when a fan-out job still holds it. */
static struct sublist *sublist_writable(struct sdict_node *n)
{
    struct sublist *l = n->v.ptr;
    if (!l || l->refs == 1)
        return l;
    struct sublist *copy = calloc(1, sizeof(*copy));
    copy->refs = 1;
    copy->n = copy->cap = l->n;
    copy->v = malloc(sizeof(*copy->v) * (size_t)(l->n ? l->n : 1));
    memcpy(copy->v, l->v, sizeof(*copy->v) * (size_t)l->n);
    l->refs--;
    n->v.ptr = copy;
    return copy;
}

static void fanout_job_free(struct fanout_job *j);
static void answer_parked_queries(struct shard *s);
static void publish_keyspace_event(struct shard *s, int type, const char *event, const char *key, size_t klen,
                                   int dbid);

void pubsub_shard_init(struct shard *s)
{
    struct pubsub_shard *p = calloc(1, sizeof(*p));
    for (int k = 0; k < 3; k++)
        p->reg[k] = sdict_new();
    p->dels_in = calloc((size_t)s->srv->nshards, sizeof(*p->dels_in));
    p->dels_applied = calloc((size_t)s->srv->nshards, sizeof(*p->dels_applied));
    s->pubsub = p;
    s->notify = publish_keyspace_event;
}

void pubsub_shard_free(struct shard *s)
{
    struct pubsub_shard *p = s->pubsub;
    if (!p)
        return;
    while (p->jobs) { /* the shard stops: nobody waits for them */
        struct fanout_job *j = p->jobs;
        p->jobs = j->next;
        fanout_job_free(j);
    }
    while (p->parked) {
        struct parked_query *q = p->parked;
        p->parked = q->next;
        free(q);
    }
    free((void *)p->dels_in);
    free(p->dels_applied);
    for (int k = 0; k < 3; k++)
        sdict_free(p->reg[k], sublist_free_node);
    free(p->slots);
    free(p->free_slots);
    free(p);
    s->pubsub = NULL;
}

void pubsub_shard_counts(struct shard *s, long long *channels, long long *patterns, long long *shard_channels)
{
    struct pubsub_shard *p = s->pubsub;
    *channels = (long long)sdict_size(p->reg[PS_CHANNEL]);
    *patterns = (long long)sdict_size(p->reg[PS_PATTERN]);
    *shard_channels = (long long)sdict_size(p->reg[PS_SHARD]);
}

static void reg_add(struct pubsub_shard *p, int kind, const char *name, size_t len, int thread, uint32_t slot,
                    uint64_t id)
{
    int added;
    struct sdict_node *n = sdict_add(p->reg[kind], name, len, &added);
    struct sublist *l = n->v.ptr;
    if (added || !l) {
        l = calloc(1, sizeof(*l));
        l->refs = 1;
        n->v.ptr = l;
    }
    for (int i = 0; i < l->n; i++)
        if (l->v[i].id == id && l->v[i].thread == thread)
            return;
    l = sublist_writable(n);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->v = realloc(l->v, sizeof(*l->v) * (size_t)l->cap);
    }
    l->v[l->n++] = (struct subscriber){thread, slot, id};
}

static void reg_del(struct pubsub_shard *p, int kind, const char *name, size_t len, int thread, uint64_t id)
{
    struct sdict_node *n = sdict_find(p->reg[kind], name, len);
    if (!n)
        return;
    struct sublist *l = n->v.ptr;
    for (int i = 0; l && i < l->n; i++) {
        if (l->v[i].id == id && l->v[i].thread == thread) {
            l = sublist_writable(n);
            l->v[i] = l->v[--l->n]; /* order among subscribers does not matter */
            break;
        }
    }
    if (!l || l->n == 0) {
        n = sdict_unlink(p->reg[kind], name, len);
        sublist_free_node(n);
        sdict_node_free(n);
    }
}

static long long reg_count(struct pubsub_shard *p, int kind, const char *name, size_t len)
{
    struct sdict_node *n = sdict_find(p->reg[kind], name, len);
    return n && n->v.ptr ? ((struct sublist *)n->v.ptr)->n : 0;
}

/* ---------------- a client's sets ---------------- */

static struct client *client_by_slot(struct pubsub_shard *p, uint32_t slot, uint64_t id)
{
    struct client *c = slot < p->nslots ? p->slots[slot] : NULL;
    return c && c->id == id ? c : NULL;
}

static struct pubsub_client *client_sets(struct client *c)
{
    if (!c->ps) {
        struct pubsub_shard *p = c->shard->pubsub;
        c->ps = calloc(1, sizeof(*c->ps));
        for (int k = 0; k < 3; k++)
            c->ps->set[k] = sdict_new();
        uint32_t slot;
        if (p->nfree) {
            slot = p->free_slots[--p->nfree];
        } else {
            if (p->nslots == p->slots_cap) {
                p->slots_cap = p->slots_cap ? p->slots_cap * 2 : 64;
                p->slots = realloc(p->slots, sizeof(*p->slots) * p->slots_cap);
                p->free_slots = realloc(p->free_slots, sizeof(*p->free_slots) * p->slots_cap);
            }
            slot = p->nslots++;
        }
        p->slots[slot] = c;
        c->ps->slot = slot;
    }
    return c->ps;
}

void pubsub_client_counts(const struct client *c, long long *sub, long long *psub, long long *ssub)
{
    *sub = c->ps ? (long long)sdict_size(c->ps->set[PS_CHANNEL]) : 0;
    *psub = c->ps ? (long long)sdict_size(c->ps->set[PS_PATTERN]) : 0;
    *ssub = c->ps ? (long long)sdict_size(c->ps->set[PS_SHARD]) : 0;
}

int pubsub_client_subscribed(const struct client *c)
{
    long long a, b, d;
    pubsub_client_counts(c, &a, &b, &d);
    return a + b + d > 0;
}

/* The count in a (un)subscribe reply, as Redis: channels + patterns, or
 * the shard channels for the sharded kind. */
static long long reply_count(const struct pubsub_client *p, int kind)
{
    if (!p)
        return 0;
    if (kind == PS_SHARD)
        return (long long)sdict_size(p->set[PS_SHARD]);
    return (long long)(sdict_size(p->set[PS_CHANNEL]) + sdict_size(p->set[PS_PATTERN]));
}

static int home_of(struct shard *s, const char *name, size_t len)
{
    int n = s->srv->nshards;
    return n == 1 ? 0 : key_shard(name, len, key_hash(name, len), n);
}

/* A removal of (kind, name) of client id on shard t: run here, or sent as
 * a detached sub-request that carries its own copy of the name. */
static void send_del(struct shard *s, int t, int kind, uint64_t id, const char *name, size_t len)
{
    if (t == s->id) {
        reg_del(s->pubsub, kind, name, len, s->id, id);
        return;
    }
    struct subreq *sub = calloc(1, sizeof(*sub) + 2 * sizeof(struct arg) + len + 1);
    struct arg *a = (struct arg *)(sub + 1);
    char *bytes = (char *)(a + 2);
    memcpy(bytes, name, len);
    a[0] = (struct arg){"pubsub", 6};
    a[1] = (struct arg){bytes, len};
    sub->op = SUB_PUBSUB;
    sub->flags = PSOP_DEL;
    sub->split = kind;
    sub->txflags = SUBF_DETACHED;
    sub->shard = t;
    sub->coord = s->id;
    sub->result = (int64_t)id;
    sub->argc = 2;
    sub->argv = a;
    shard_send_sub(s, sub);
    /* Before anything this thread sends later (a CLIENT LIST without the
     * client, a CLIENT KILL count) can reach whoever then asks shard t. */
    atomic_fetch_add_explicit(&s->srv->shards[t]->pubsub->dels_in[s->id], 1, memory_order_release);
}

/* Removes (kind, name) from c's set and from the registries; 1 if it was there. */
static int client_remove(struct client *c, int kind, const char *name, size_t len)
{
    struct pubsub_client *p = c->ps;
    if (!p)
        return 0;
    struct sdict_node *n = sdict_unlink(p->set[kind], name, len);
    if (!n)
        return 0;
    p->removed++;
    struct shard *s = c->shard;
    if (kind == PS_PATTERN) {
        for (int t = 0; t < s->srv->nshards; t++)
            send_del(s, t, kind, c->id, n->key, n->klen);
    } else {
        send_del(s, home_of(s, n->key, n->klen), kind, c->id, n->key, n->klen);
    }
    sdict_node_free(n);
    return 1;
}

/* The names of one of c's sets (copies), to remove them while iterating. */
static int client_names(struct pubsub_client *p, int kind, char ***names, size_t **lens)
{
    int n = (int)sdict_size(p->set[kind]), i = 0;
    *names = malloc(sizeof(char *) * (size_t)(n ? n : 1));
    *lens = malloc(sizeof(size_t) * (size_t)(n ? n : 1));
    struct sdict_iter it;
    sdict_iter_init(&it, p->set[kind]);
    struct sdict_node *node;
    while ((node = sdict_iter_next(&it)) && i < n) {
        (*names)[i] = malloc(node->klen ? node->klen : 1);
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

void pubsub_client_drop_all(struct client *c)
{
    struct pubsub_client *p = c->ps;
    if (!p)
        return;
    for (int k = 0; k < 3; k++) {
        char **names;
        size_t *lens;
        int n = client_names(p, k, &names, &lens);
        for (int i = 0; i < n; i++)
            client_remove(c, k, names[i], lens[i]);
        free_names(names, lens, n);
    }
    p->removed++;
    if (!c->conn.closing)
        return; /* RESET: the (empty) sets stay, and with them `removed` */
    struct pubsub_shard *ps = c->shard->pubsub;
    for (int k = 0; k < 3; k++)
        sdict_free(p->set[k], NULL);
    ps->slots[p->slot] = NULL;
    ps->free_slots[ps->nfree++] = p->slot;
    free(p);
    c->ps = NULL;
}

/* ---------------- delivery ---------------- */

/* Writes the frames of one delivery into this thread's clients: args are
 * channel, message, then the matched patterns; entries are pairs (client
 * id, slot << 32 | argument index: 0 the channel's own subscribers, k >= 2
 * pattern k). */
static void deliver_local(struct shard *s, int kind, const struct arg *args, int nargs, const uint64_t *entries,
                          long long n)
{
    struct pubsub_shard *p = s->pubsub;
    /* The frame of each (argument index, RESP2 or RESP3): written once per
     * delivery, copied into every receiver's output. */
    struct buf small[8] = {{0}};
    struct buf *frames = nargs <= 4 ? small : calloc((size_t)nargs * 2, sizeof(struct buf));
    for (long long i = 0; i < n; i++) {
        struct client *c = client_by_slot(p, (uint32_t)(entries[2 * i + 1] >> 32), entries[2 * i]);
        if (!c || !c->ps || c->conn.closing || c->obuf_close)
            continue;
        uint64_t ai = entries[2 * i + 1] & 0xffffffffu;
        if (c->ps->removed && (ai == 0 ? !sdict_find(c->ps->set[kind], args[0].ptr, args[0].len)
                                       : !sdict_find(c->ps->set[PS_PATTERN], args[ai].ptr, args[ai].len)))
            continue; /* unsubscribed meanwhile */
        struct buf *f = &frames[2 * ai + (c->resp == 3)];
        if (!f->len) {
            if (ai == 0) {
                reply_push(f, c->resp, 3);
                reply_bulk_cstr(f, kind == PS_SHARD ? "smessage" : "message");
            } else {
                reply_push(f, c->resp, 4);
                reply_bulk_cstr(f, "pmessage");
                reply_bulk(f, args[ai].ptr, args[ai].len);
            }
            reply_bulk(f, args[0].ptr, args[0].len);
            reply_bulk(f, args[1].ptr, args[1].len);
        }
        /* Behind the replies still pending (a SUBSCRIBE waiting for another
         * shard's registration confirms before the messages that follow). */
        struct request *req;
        struct buf *out = reply_target(c, NULL, 0, NULL, &req);
        size_t before = out->len;
        buf_append(out, f->data, f->len);
        reply_ready(c, req, out, before); /* the flush checks client-output-buffer-limit pubsub */
    }
    for (int k = 0; k < 2 * nargs; k++)
        buf_free(&frames[k]);
    if (frames != small)
        free(frames);
}

struct dest {
    long long n, cap;
    uint64_t *e; /* pairs (id, argument index) */
};

static void dest_add(struct dest *d, uint64_t id, uint64_t ai)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->e = realloc(d->e, sizeof(uint64_t) * 2 * (size_t)d->cap);
    }
    d->e[2 * d->n] = id;
    d->e[2 * d->n + 1] = ai;
    d->n++;
}

/* Sends receivers of job j, from where it stopped, until the job ends or
 * budget receivers went: this thread's own subscribers are written now,
 * every other thread gets one delivery (channel, message, matched
 * patterns, pairs) for this stretch. Returns the receivers it handled. */
static long long fanout_run(struct shard *s, struct fanout_job *j, long long budget)
{
    int nsh = s->srv->nshards;
    struct dest dests[MAX_THREADS];
    memset(dests, 0, sizeof(struct dest) * (size_t)nsh);
    long long done = 0;
    while (j->at_src < j->nsrc && done < budget) {
        const struct sublist *l = j->src[j->at_src];
        uint64_t ai = j->ai[j->at_src];
        for (; j->at_i < l->n && done < budget; j->at_i++, done++) {
            const struct subscriber *who = &l->v[j->at_i];
            if (who->id != j->self_id || who->thread != j->self_thread)
                dest_add(&dests[who->thread], who->id, (uint64_t)who->slot << 32 | ai);
        }
        if (j->at_i == l->n) {
            j->at_src++;
            j->at_i = 0;
        }
    }
    size_t bytes = 0;
    for (int i = 0; i < j->nargs; i++)
        bytes += j->args[i].len;
    for (int t = 0; t < nsh; t++) {
        struct dest *d = &dests[t];
        if (!d->n)
            continue;
        if (t == s->id) {
            deliver_local(s, j->kind, j->args, j->nargs, d->e, d->n);
        } else {
            size_t ids = sizeof(uint64_t) * 2 * (size_t)d->n;
            struct subreq *dl = calloc(1, sizeof(*dl) + sizeof(struct arg) * (size_t)j->nargs + ids + bytes + 1);
            struct arg *a = (struct arg *)(dl + 1);
            uint64_t *e = (uint64_t *)(a + j->nargs);
            char *b = (char *)(e + 2 * d->n);
            memcpy(e, d->e, ids);
            for (int i = 0; i < j->nargs; i++) {
                memcpy(b, j->args[i].ptr, j->args[i].len);
                a[i] = (struct arg){b, j->args[i].len};
                b += j->args[i].len;
            }
            dl->op = SUB_PUBSUB;
            dl->flags = PSOP_DELIVER;
            dl->split = j->kind;
            dl->txflags = SUBF_DETACHED;
            dl->shard = t;
            dl->coord = s->id;
            dl->argc = j->nargs;
            dl->argv = a;
            dl->hashes = e;
            dl->result = d->n;
            shard_send_sub(s, dl);
        }
        free(d->e);
    }
    return done;
}

static void fanout_job_free(struct fanout_job *j)
{
    for (int i = 0; i < j->nsrc; i++)
        sublist_unref(j->src[i]);
    free(j->src);
    free(j->ai);
    free(j->args);
    free(j);
}

/* A job that sent its last receiver: the PUBLISH it held replies now
 * (behind this iteration's deliveries to the publisher's thread, which
 * leave first: mailbox_flush_outgoing sends new batches before replies). */
static void fanout_job_end(struct shard *s, struct fanout_job *j)
{
    struct subreq *held = j->held;
    if (held) {
        held->result = j->count;
        held->block_parked = 0;
        shard_complete_late(s, held);
    }
    fanout_job_free(j);
}

/* PUBLISH / SPUBLISH on the channel's home shard: counts the receivers
 * (the reply, in sub->result) and fans the message out. Small fan-outs go
 * at once; one that would pass this iteration's budget, or that would
 * overtake jobs still queued, becomes a job the loop continues, holding
 * the lists it counted (copy-on-write) and, for a client's PUBLISH, its
 * reply, so a publisher cannot run far ahead of its deliveries. */
static void publish_home(struct shard *s, struct subreq *sub)
{
    struct pubsub_shard *p = s->pubsub;
    int kind = sub->split;
    struct fanout_job j = {.kind = kind, .self_id = (uint64_t)sub->result, .self_thread = sub->coord};
    int cap = 4;
    j.args = malloc(sizeof(struct arg) * (size_t)cap);
    j.src = malloc(sizeof(*j.src) * (size_t)cap);
    j.ai = malloc(sizeof(*j.ai) * (size_t)cap);
    j.args[0] = sub->argv[1];
    j.args[1] = sub->argv[2];
    j.nargs = 2;
    struct sdict_node *node = sdict_find(p->reg[kind], j.args[0].ptr, j.args[0].len);
    if (node && node->v.ptr && ((struct sublist *)node->v.ptr)->n) {
        j.src[j.nsrc] = node->v.ptr;
        j.ai[j.nsrc++] = 0;
        j.count += ((struct sublist *)node->v.ptr)->n;
    }
    if (kind == PS_CHANNEL && sdict_size(p->reg[PS_PATTERN])) {
        struct sdict_iter it;
        sdict_iter_init(&it, p->reg[PS_PATTERN]);
        while ((node = sdict_iter_next(&it))) {
            struct sublist *l = node->v.ptr;
            if (!l || !l->n || !stringmatchlen(node->key, node->klen, j.args[0].ptr, j.args[0].len, 0))
                continue;
            if (j.nargs == cap) {
                cap *= 2;
                j.args = realloc(j.args, sizeof(struct arg) * (size_t)cap);
                j.src = realloc(j.src, sizeof(*j.src) * (size_t)cap);
                j.ai = realloc(j.ai, sizeof(*j.ai) * (size_t)cap);
            }
            j.args[j.nargs] = (struct arg){node->key, node->klen};
            j.src[j.nsrc] = l;
            j.ai[j.nsrc++] = (uint64_t)j.nargs++;
            j.count += l->n;
        }
        sdict_iter_done(&it);
    }
    sub->result = j.count;
    if (!p->jobs && p->work + j.count <= FANOUT_BUDGET) {
        p->work += fanout_run(s, &j, j.count);
        free(j.args);
        free(j.src);
        free(j.ai);
        return;
    }
    /* Queued: its own copies of the names and a ref on every list. */
    struct fanout_job *q = malloc(sizeof(*q));
    *q = j;
    size_t bytes = 0;
    for (int i = 0; i < j.nargs; i++)
        bytes += j.args[i].len;
    q->args = malloc(sizeof(struct arg) * (size_t)j.nargs + bytes + 1);
    char *b = (char *)(q->args + j.nargs);
    for (int i = 0; i < j.nargs; i++) {
        memcpy(b, j.args[i].ptr, j.args[i].len);
        q->args[i] = (struct arg){b, j.args[i].len};
        b += j.args[i].len;
    }
    free(j.args);
    for (int i = 0; i < q->nsrc; i++)
        q->src[i]->refs++;
    if (!(sub->txflags & SUBF_DETACHED) && sub->req) {
        q->held = sub;
        sub->block_parked = 1; /* leaves its batch; fanout_job_end completes it */
    }
    q->next = NULL;
    if (p->jobs_tail)
        p->jobs_tail->next = q;
    else
        p->jobs = q;
    p->jobs_tail = q;
}

int pubsub_shard_pump(struct shard *s)
{
    struct pubsub_shard *p = s->pubsub;
    if (p->parked)
        answer_parked_queries(s);
    while (p->jobs && p->work < FANOUT_BUDGET) {
        struct fanout_job *j = p->jobs;
        p->work += fanout_run(s, j, FANOUT_BUDGET - p->work);
        if (j->at_src < j->nsrc)
            break;
        p->jobs = j->next;
        if (!p->jobs)
            p->jobs_tail = NULL;
        fanout_job_end(s, j);
    }
    p->work = 0;
    return p->jobs != NULL;
}

/* PUBSUB CHANNELS/SHARDCHANNELS [pattern] (bulk names, count in result),
 * NUMSUB/SHARDNUMSUB (one count per channel homed here, else 0), NUMPAT
 * (this shard's copy of the pattern table). */
static void run_query(struct shard *s, struct subreq *sub)
{
    struct pubsub_shard *p = s->pubsub;
    int kind = sub->split;
    if (sub->flags == PSOP_LIST) {
        const struct arg *pat = sub->argc == 3 ? &sub->argv[2] : NULL;
        struct sdict_iter it;
        struct sdict_node *node;
        sub->result = 0;
        sdict_iter_init(&it, p->reg[kind]);
        while ((node = sdict_iter_next(&it))) {
            if (pat && !stringmatchlen(pat->ptr, pat->len, node->key, node->klen, 0))
                continue;
            reply_bulk(&sub->out, node->key, node->klen);
            sub->result++;
        }
        sdict_iter_done(&it);
    } else if (sub->flags == PSOP_NUMSUB) {
        for (int i = 2; i < sub->argc; i++) {
            long long n = reg_count(p, kind, sub->argv[i].ptr, sub->argv[i].len);
            buf_append(&sub->out, &n, sizeof(n));
        }
    } else {
        sub->result = (int64_t)sdict_size(p->reg[PS_PATTERN]);
    }
}

static int removals_applied(const struct pubsub_shard *p, const uint64_t *want, int n)
{
    for (int t = 0; t < n; t++)
        if (p->dels_applied[t] < want[t])
            return 0;
    return 1;
}

/* Parks a query while removals queued for this shard before it arrived
 * are still on their way (pubsub_shard_pump answers it). */
static int query_parked(struct shard *s, struct subreq *sub)
{
    struct pubsub_shard *p = s->pubsub;
    int n = s->srv->nshards;
    uint64_t want[MAX_THREADS];
    for (int t = 0; t < n; t++)
        want[t] = atomic_load_explicit(&p->dels_in[t], memory_order_acquire);
    if (removals_applied(p, want, n))
        return 0;
    struct parked_query *q = calloc(1, sizeof(*q));
    q->sub = sub;
    memcpy(q->want, want, sizeof(uint64_t) * (size_t)n);
    if (p->parked_tail)
        p->parked_tail->next = q;
    else
        p->parked = q;
    p->parked_tail = q;
    sub->block_parked = 1; /* leaves its batch; completed late */
    return 1;
}

static void answer_parked_queries(struct shard *s)
{
    struct pubsub_shard *p = s->pubsub;
    struct parked_query **pp = &p->parked, *last = NULL;
    while (*pp) {
        struct parked_query *q = *pp;
        if (!removals_applied(p, q->want, s->srv->nshards)) {
            last = q;
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        run_query(s, q->sub);
        q->sub->block_parked = 0;
        shard_complete_late(s, q->sub);
        free(q);
    }
    p->parked_tail = last;
}

void pubsub_run_sub(struct shard *s, struct subreq *sub)
{
    struct pubsub_shard *p = s->pubsub;
    int kind = sub->split;
    switch ((enum pubsub_op)sub->flags) {
    case PSOP_ADD:
        for (int i = 1; i < sub->argc; i++)
            reg_add(p, kind, sub->argv[i].ptr, sub->argv[i].len, sub->coord, (uint32_t)sub->ncmds,
                    (uint64_t)sub->result);
        break;
    case PSOP_DEL:
        for (int i = 1; i < sub->argc; i++)
            reg_del(p, kind, sub->argv[i].ptr, sub->argv[i].len, sub->coord, (uint64_t)sub->result);
        if (sub->txflags & SUBF_DETACHED)
            p->dels_applied[sub->coord]++;
        break;
    case PSOP_PUBLISH:
        publish_home(s, sub);
        break;
    case PSOP_DELIVER:
        deliver_local(s, kind, sub->argv, sub->argc, sub->hashes, sub->result);
        break;
    case PSOP_LIST:
    case PSOP_NUMSUB:
    case PSOP_NUMPAT:
        if (!query_parked(s, sub))
            run_query(s, sub);
        break;
    }
}

/* ---------------- keyspace events ---------------- */

/* A PUBLISH without a client: run here when this shard is the channel's
 * home, else sent detached to the home shard (it frees the sub-request). */
static void publish_detached(struct shard *s, const char *ch, size_t chlen, const char *msg, size_t mlen)
{
    struct subreq *sub = calloc(1, sizeof(*sub) + 3 * sizeof(struct arg) + chlen + mlen + 1);
    if (!sub)
        out_of_memory(sizeof(*sub) + chlen + mlen);
    struct arg *a = (struct arg *)(sub + 1);
    char *bytes = (char *)(a + 3);
    memcpy(bytes, ch, chlen);
    memcpy(bytes + chlen, msg, mlen);
    a[0] = (struct arg){"publish", 7};
    a[1] = (struct arg){bytes, chlen};
    a[2] = (struct arg){bytes + chlen, mlen};
    sub->op = SUB_PUBSUB;
    sub->flags = PSOP_PUBLISH;
    sub->split = PS_CHANNEL;
    sub->argc = 3;
    sub->argv = a;
    sub->shard = home_of(s, ch, chlen);
    sub->coord = s->id;
    if (sub->shard == s->id) {
        publish_home(s, sub);
        free(sub);
        return;
    }
    sub->txflags = SUBF_DETACHED;
    shard_send_sub(s, sub);
}

/* The shard's keyspace-event publisher (struct shard's `notify`, see
 * shards/engine_hooks.h), as Redis's notifyKeyspaceEvent: with K the event
 * goes to __keyspace@<db>__:<key>, with E the key goes to
 * __keyevent@<db>__:<event>. It runs on the key's own shard, so one key's
 * events reach every subscriber in the order they happened (the home
 * shard's FIFO ring, as for a client's PUBLISH). The class was checked by
 * the caller. */
static void publish_keyspace_event(struct shard *s, int type, const char *event, const char *key, size_t klen, int dbid)
{
    (void)type;
    int flags = s->cfg->notify_keyspace_events;
    size_t elen = strlen(event);
    char head[64];
    if (flags & NOTIFY_KEYSPACE) {
        int n = snprintf(head, sizeof(head), "__keyspace@%d__:", dbid);
        char *ch = xmalloc((size_t)n + klen);
        memcpy(ch, head, (size_t)n);
        memcpy(ch + n, key, klen);
        publish_detached(s, ch, (size_t)n + klen, event, elen);
        free(ch);
    }
    if (flags & NOTIFY_KEYEVENT) {
        int n = snprintf(head, sizeof(head), "__keyevent@%d__:", dbid);
        char *ch = xmalloc((size_t)n + elen);
        memcpy(ch, head, (size_t)n);
        memcpy(ch + n, event, elen);
        publish_detached(s, ch, (size_t)n + elen, key, klen);
        free(ch);
    }
}

/* ---------------- commands ---------------- */

void cmd_pubsub(struct cmd_ctx *c)
{
    reply_error(c->out, "ERR Pub/Sub commands run only from a client connection");
}

int pubsub_context_refused(struct client *c, const struct command *cmd, const struct command *sub)
{
    if (c->resp != 2 || !c->ps || !pubsub_client_subscribed(c) || (cmd->flags & CMD_SUBSCRIBED_OK))
        return 0;
    char msg[300];
    snprintf(msg, sizeof(msg),
             "ERR Can't execute '%s%s%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
             "in this context",
             cmd->name, sub ? "|" : "", sub ? sub->name : "");
    dispatch_reply_error(c, msg);
    return 1;
}

/* Request modes (r->scratch[0]) for pubsub_request_done. */
enum { MODE_REPLIED = 1, MODE_PUBLISH, MODE_LIST, MODE_NUMSUB, MODE_NUMPAT };

/* Sends r's registrations or removals (op): names[i] goes to shard home[i]
 * (nshards: every shard; -1: nowhere), one sub-request per shard whose argv
 * is one block with the names' bytes (subs_free frees it). r replies once
 * every shard ran its part; with no part it finishes at once. */
static void launch_regs(struct shard *s, struct request *r, int op, int kind, uint64_t id, uint32_t slot,
                        const struct arg *names, const int *home, int n)
{
    int nsh = s->srv->nshards;
    int count[MAX_THREADS] = {0};
    size_t bytes[MAX_THREADS] = {0};
    for (int i = 0; i < n; i++) {
        for (int t = 0; t < nsh; t++) {
            if (home[i] == t || home[i] == nsh) {
                count[t]++;
                bytes[t] += names[i].len;
            }
        }
    }
    int nsubs = 0;
    for (int t = 0; t < nsh; t++)
        nsubs += count[t] > 0;
    if (nsubs) {
        struct subreq *subs = subs_alloc(r, nsubs);
        int j = 0;
        for (int t = 0; t < nsh; t++) {
            if (!count[t])
                continue;
            struct subreq *sub = &subs[j++];
            sub->shard = t;
            sub->op = SUB_PUBSUB;
            sub->flags = op;
            sub->split = kind;
            sub->result = (int64_t)id;
            /* PSOP_ADD: where the client's thread finds it (ncmds: a field
             * only SUB_EXEC reads otherwise; dbid is read by every sub) */
            sub->ncmds = (int)slot;
            sub->hashes = NULL;
            sub->argv = malloc(sizeof(struct arg) * (size_t)(count[t] + 1) + bytes[t] + 1);
            char *b = (char *)(sub->argv + count[t] + 1);
            sub->argv[0] = (struct arg){"pubsub", 6};
            sub->argc = 1;
            for (int i = 0; i < n; i++) {
                if (home[i] == t || home[i] == nsh) {
                    memcpy(b, names[i].ptr, names[i].len);
                    sub->argv[sub->argc++] = (struct arg){b, names[i].len};
                    b += names[i].len;
                }
            }
        }
    }
    subs_launch(s, r);
}

/* The request a Pub/Sub command replies through: a new one in the
 * client's FIFO (from the dispatcher), or q, the command's child request
 * when an EXEC runs it (its reply goes into the EXEC's array). */
static struct request *pubsub_request(struct client *c, struct request *q, const struct command *cmd, int argc,
                                      const struct arg *argv, int mode)
{
    struct request *r = q ? q : request_new(c, cmd, argc, argv);
    r->aux = CUSTOM_PUBSUB;
    r->scratch[0] = mode;
    return r;
}

static void do_subscribe(struct client *c, struct request *q, const struct command *cmd, int kind, int argc,
                         const struct arg *argv)
{
    /* Its confirmations are pushes: as in Redis, CLIENT REPLY OFF/SKIP does
     * not silence them (Redis's CLIENT_PUSHING). */
    if (!q)
        c->reply_silent = 0;
    struct shard *s = c->shard;
    struct pubsub_client *p = client_sets(c);
    struct request *r = pubsub_request(c, q, cmd, argc, argv, MODE_REPLIED);
    argc = r->argc;
    int *home = calloc((size_t)(argc > 1 ? argc : 2), sizeof(int));
    for (int i = 1; i < argc; i++) {
        int added;
        sdict_add(p->set[kind], r->argv[i].ptr, r->argv[i].len, &added);
        home[i] = !added ? -1 : kind == PS_PATTERN ? s->srv->nshards : home_of(s, r->argv[i].ptr, r->argv[i].len);
        reply_push(&r->reply, r->resp, 3);
        reply_bulk_cstr(&r->reply, subscribe_msg[kind]);
        reply_bulk(&r->reply, r->argv[i].ptr, r->argv[i].len);
        reply_integer(&r->reply, reply_count(p, kind));
    }
    launch_regs(s, r, PSOP_ADD, kind, c->id, p->slot, r->argv + 1, home + 1, argc - 1);
    free(home);
}

/* The reply leaves once the home shards removed the names, so a PUBLISH
 * sent after it no longer counts this client. */
static void do_unsubscribe(struct client *c, struct request *q, const struct command *cmd, int kind, int argc,
                           const struct arg *argv)
{
    /* Its confirmations are pushes: as in Redis, CLIENT REPLY OFF/SKIP does
     * not silence them (Redis's CLIENT_PUSHING). */
    if (!q)
        c->reply_silent = 0;
    struct shard *s = c->shard;
    struct request *r = pubsub_request(c, q, cmd, argc, argv, MODE_REPLIED);
    argc = r->argc;
    int n = 0;
    char **copies = NULL;
    size_t *lens = NULL;
    struct arg *names;
    if (argc == 1) {
        if (c->ps)
            n = client_names(c->ps, kind, &copies, &lens);
        names = malloc(sizeof(struct arg) * (size_t)(n ? n : 1));
        for (int i = 0; i < n; i++)
            names[i] = (struct arg){copies[i], lens[i]};
    } else {
        n = argc - 1;
        names = malloc(sizeof(struct arg) * (size_t)n);
        memcpy(names, r->argv + 1, sizeof(struct arg) * (size_t)n);
    }
    int *home = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    for (int i = 0; i < n; i++) {
        struct sdict_node *node = c->ps ? sdict_unlink(c->ps->set[kind], names[i].ptr, names[i].len) : NULL;
        if (node)
            c->ps->removed++;
        home[i] = !node ? -1 : kind == PS_PATTERN ? s->srv->nshards : home_of(s, names[i].ptr, names[i].len);
        if (node)
            sdict_node_free(node);
        reply_push(&r->reply, r->resp, 3);
        reply_bulk_cstr(&r->reply, unsubscribe_msg[kind]);
        reply_bulk(&r->reply, names[i].ptr, names[i].len);
        reply_integer(&r->reply, reply_count(c->ps, kind));
    }
    if (n == 0) {
        reply_push(&r->reply, r->resp, 3);
        reply_bulk_cstr(&r->reply, unsubscribe_msg[kind]);
        reply_null(&r->reply, r->resp);
        reply_integer(&r->reply, reply_count(c->ps, kind));
    }
    launch_regs(s, r, PSOP_DEL, kind, c->id, 0, names, home, n);
    free(home);
    free(names);
    if (copies)
        free_names(copies, lens, n);
}

/* The frames of a PUBLISH for the publisher itself, written into its
 * request's reply ahead of the count, as Redis writes them into the
 * publisher's output before the reply: "message" when it is subscribed to
 * the channel, one "pmessage" per pattern of its own that matches. Its
 * sets are the ones the home shard's registry reflects when the PUBLISH
 * runs there (the registrations and removals sent before it travel the
 * same FIFO ring). Returns the number of frames. */
static int self_frames(struct client *c, struct request *r, int kind)
{
    struct pubsub_client *p = c->ps;
    const struct arg *ch = &r->argv[1], *msg = &r->argv[2];
    int n = 0;
    if (!p)
        return 0;
    if (sdict_find(p->set[kind], ch->ptr, ch->len)) {
        reply_push(&r->reply, r->resp, 3);
        reply_bulk_cstr(&r->reply, kind == PS_SHARD ? "smessage" : "message");
        reply_bulk(&r->reply, ch->ptr, ch->len);
        reply_bulk(&r->reply, msg->ptr, msg->len);
        n++;
    }
    if (kind == PS_CHANNEL && sdict_size(p->set[PS_PATTERN])) {
        struct sdict_iter it;
        struct sdict_node *node;
        sdict_iter_init(&it, p->set[PS_PATTERN]);
        while ((node = sdict_iter_next(&it))) {
            if (!stringmatchlen(node->key, node->klen, ch->ptr, ch->len, 0))
                continue;
            reply_push(&r->reply, r->resp, 4);
            reply_bulk_cstr(&r->reply, "pmessage");
            reply_bulk(&r->reply, node->key, node->klen);
            reply_bulk(&r->reply, ch->ptr, ch->len);
            reply_bulk(&r->reply, msg->ptr, msg->len);
            n++;
        }
        sdict_iter_done(&it);
    }
    return n;
}

static void do_publish(struct client *c, struct request *q, const struct command *cmd, int kind, int argc,
                       const struct arg *argv)
{
    struct shard *s = c->shard;
    struct request *r = pubsub_request(c, q, cmd, argc, argv, MODE_PUBLISH);
    struct subreq *sub = subs_alloc(r, 1);
    sub->shard = home_of(s, r->argv[1].ptr, r->argv[1].len);
    sub->op = SUB_PUBSUB;
    sub->flags = PSOP_PUBLISH;
    sub->split = kind;
    /* the home shard counts the publisher but leaves its frames to us */
    sub->result = self_frames(c, r, kind) ? (int64_t)c->id : 0;
    subs_launch(s, r);
}

static const char *const pubsub_help[] = {
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
};

static void do_pubsub(struct client *c, struct request *q, const struct command *cmd, const struct command *subcmd,
                      int argc, const struct arg *argv)
{
    struct shard *s = c->shard;
    const char *name = subcmd ? subcmd->name : "";
    if (!strcmp(name, "help")) {
        struct request *r = pubsub_request(c, q, cmd, argc, argv, MODE_REPLIED);
        size_t n = sizeof(pubsub_help) / sizeof(pubsub_help[0]);
        reply_array(&r->reply, (long long)n);
        for (size_t i = 0; i < n; i++)
            reply_simple(&r->reply, pubsub_help[i]);
        subs_launch(s, r); /* no part: replies now */
        return;
    }
    if (!strcmp(name, "numpat")) { /* this thread's copy of the pattern table, once its removals ran */
        struct request *r = pubsub_request(c, q, cmd, argc, argv, MODE_NUMPAT);
        struct subreq *sub = subs_alloc(r, 1);
        sub->shard = s->id;
        sub->op = SUB_PUBSUB;
        sub->flags = PSOP_NUMPAT;
        sub->split = PS_PATTERN;
        subs_launch(s, r);
        return;
    }
    int list = !strcmp(name, "channels") || !strcmp(name, "shardchannels");
    if (list && argc > 3) {
        char msg[200];
        snprintf(msg, sizeof(msg), "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try PUBSUB HELP.",
                 (int)(argv[1].len > 128 ? 128 : argv[1].len), argv[1].ptr);
        if (!q) {
            dispatch_reply_error(c, msg);
            return;
        }
        reply_error(&q->reply, msg);
        pubsub_request(c, q, cmd, argc, argv, MODE_REPLIED);
        subs_launch(s, q);
        return;
    }
    struct request *r = pubsub_request(c, q, cmd, argc, argv, list ? MODE_LIST : MODE_NUMSUB);
    int nsh = s->srv->nshards;
    struct subreq *subs = subs_alloc(r, nsh);
    for (int t = 0; t < nsh; t++) {
        subs[t].shard = t;
        subs[t].op = SUB_PUBSUB;
        subs[t].flags = list ? PSOP_LIST : PSOP_NUMSUB;
        subs[t].split = !strcmp(name, "channels") || !strcmp(name, "numsub") ? PS_CHANNEL : PS_SHARD;
    }
    subs_launch(s, r);
}

/* One Pub/Sub command, through its own request (q NULL) or an EXEC's child q. */
static void run_command(struct client *c, struct request *q, const struct command *cmd, const struct command *sub,
                        int argc, const struct arg *argv)
{
    const char *n = cmd->name;
    if (!strcmp(n, "subscribe"))
        do_subscribe(c, q, cmd, PS_CHANNEL, argc, argv);
    else if (!strcmp(n, "psubscribe"))
        do_subscribe(c, q, cmd, PS_PATTERN, argc, argv);
    else if (!strcmp(n, "ssubscribe"))
        do_subscribe(c, q, cmd, PS_SHARD, argc, argv);
    else if (!strcmp(n, "unsubscribe"))
        do_unsubscribe(c, q, cmd, PS_CHANNEL, argc, argv);
    else if (!strcmp(n, "punsubscribe"))
        do_unsubscribe(c, q, cmd, PS_PATTERN, argc, argv);
    else if (!strcmp(n, "sunsubscribe"))
        do_unsubscribe(c, q, cmd, PS_SHARD, argc, argv);
    else if (!strcmp(n, "publish"))
        do_publish(c, q, cmd, PS_CHANNEL, argc, argv);
    else if (!strcmp(n, "spublish"))
        do_publish(c, q, cmd, PS_SHARD, argc, argv);
    else
        do_pubsub(c, q, cmd, sub, argc, argv);
}

void pubsub_dispatch(struct client *c, const struct command *cmd, const struct command *sub, int argc,
                     const struct arg *argv)
{
    run_command(c, NULL, cmd, sub, argc, argv);
}

void pubsub_exec_child(struct shard *s, struct request *q)
{
    (void)s;
    struct client *c = q->client;
    const struct command *cmd = q->cmd;
    /* Its parts are no part of the transaction: no lock, no log record. */
    q->tx = NULL;
    if (!strcmp(cmd->name, "ssubscribe")) {
        /* Redis 7.0: MULTI makes the client CLIENT_DENY_BLOCKING, which
         * SSUBSCRIBE refuses (SUBSCRIBE and PSUBSCRIBE make an exception
         * for MULTI, SSUBSCRIBE does not). */
        reply_error(&q->reply, "ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
        request_finish(q);
        return;
    }
    const struct command *sub =
        cmd->subcommands && q->argc >= 2 ? command_lookup_sub(cmd, q->argv[1].ptr, q->argv[1].len) : NULL;
    run_command(c, q, cmd, sub, q->argc, q->argv);
}

void pubsub_request_done(struct shard *s, struct request *r)
{
    (void)s;
    struct buf *out = &r->reply;
    switch (r->scratch[0]) {
    case MODE_PUBLISH:
    case MODE_NUMPAT:
        reply_integer(out, r->subs[0].result);
        break;
    case MODE_LIST: {
        long long total = 0;
        for (int i = 0; i < r->nsubs; i++)
            total += r->subs[i].result;
        reply_array(out, total);
        for (int i = 0; i < r->nsubs; i++)
            buf_append(out, r->subs[i].out.data, r->subs[i].out.len);
        break;
    }
    case MODE_NUMSUB:
        reply_array(out, 2LL * (r->argc - 2));
        for (int k = 2; k < r->argc; k++) {
            long long total = 0;
            for (int i = 0; i < r->nsubs; i++) {
                long long v;
                memcpy(&v, r->subs[i].out.data + sizeof(long long) * (size_t)(k - 2), sizeof(v));
                total += v;
            }
            reply_bulk(out, r->argv[k].ptr, r->argv[k].len);
            reply_integer(out, total);
        }
        break;
    default: /* the (un)subscribe replies were written when it was sent */
        break;
    }
}
