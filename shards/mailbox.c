/*
 * mailbox.c - a shard's ends of the SPSC rings (see mailbox.h for the
 * protocol): building this iteration's batch per destination, pushing
 * batches (or queueing them while a ring is full), running the batches
 * other shards sent and sending them back, reply batches held until the log
 * is durable (appendfsync always), and the wake-ups of sleeping shards.
 *
 * Runs on the shard's own thread; the only state shared with other threads
 * is the rings themselves (single producer, single consumer) and the
 * consumers' `sleeping` flags (read after a full fence).
 */
#include "shards/mailbox.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "net/uring.h"
#include "persist/aof_log.h"
#include "shards/dispatch.h"
#include "shards/ring.h"
#include "shards/shard.h"

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
    return aof_read_is_durable(s->persist, cmd, sub->argc, sub->argv);
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

void mailbox_drain_inbound(struct shard *s, unsigned char *pushed)
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

void mailbox_flush_outgoing(struct shard *s, unsigned char *pushed)
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
        if (atomic_load_explicit(&d->sleeping, memory_order_relaxed))
            uring_prep_wake(&s->ring, d->ring_fd);
    }
}

void shard_wake(struct shard *s, int dst)
{
    struct shard *d = s->srv->shards[dst];
    atomic_thread_fence(memory_order_seq_cst); /* pairs with the sleeper's, as in mailbox_flush_outgoing */
    if (d != s && atomic_load_explicit(&d->sleeping, memory_order_relaxed)) {
        uring_prep_wake(&s->ring, d->ring_fd);
        io_uring_submit(&s->ring); /* now: not after the rest of this iteration */
    }
}

int mailbox_inbound_empty(struct shard *s)
{
    int n = s->srv->nshards;
    for (int from = 0; from < n; from++)
        if (from != s->id && !ring_empty(s->srv->rings[from * n + s->id]))
            return 0;
    return 1;
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
