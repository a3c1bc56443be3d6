/*
 * test_ring.c - unit tests for shards/ring.c, the SPSC ring between shard
 * threads.
 *
 * The threaded tests check the two promises ring.h makes: messages arrive in
 * order with none lost or duplicated, and what the producer wrote through a
 * pointer before pushing it is what the consumer reads after popping it (run
 * this file under -fsanitize=thread to have the second one checked for
 * races, not only for values). None of them depends on timing: threads spin
 * (yielding the CPU now and then) until the work is done, however slow the
 * machine is. Failures seen in worker threads are recorded and asserted on by
 * the test's main thread, because Criterion asserts only from there.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shards/ring.h"

#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

/* ThreadSanitizer makes every atomic access an order of magnitude slower;
 * it checks the same protocol with fewer messages. */
#ifdef UNDER_TSAN
#define STREAM_MESSAGES 1000000UL
#define MESH_MESSAGES 200000UL
#else
#define STREAM_MESSAGES 10000000UL
#define MESH_MESSAGES 2000000UL
#endif

/* Messages are small integers dressed as pointers; 0 would be NULL. */
static void *as_msg(uintptr_t v)
{
    return (void *)v;
}

static uintptr_t from_msg(void *p)
{
    return (uintptr_t)p;
}

/* Called after each failed push/pop: spin a little, then let the other
 * thread have the CPU (there may be fewer cores than spinning threads). */
static void backoff(unsigned *failures)
{
    if (++*failures % 64 == 0)
        sched_yield();
}

/* ---- single thread ---- */

Test(ring, capacity_rounds_up_to_power_of_two)
{
    static const struct {
        size_t asked, got;
    } cases[] = {{0, 2}, {1, 2}, {2, 2}, {3, 4}, {4, 4}, {5, 8}, {1000, 1024}, {1024, 1024}, {1025, 2048}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spsc_ring *r = ring_create(cases[i].asked);
        cr_assert_not_null(r);
        cr_assert_eq(ring_capacity(r), cases[i].got, "asked %zu", cases[i].asked);
        ring_destroy(r);
    }
    cr_assert_null(ring_create(SIZE_MAX), "impossible capacity must fail, not wrap");
    cr_assert_null(ring_create(SIZE_MAX / 2));
}

Test(ring, fill_then_empty)
{
    struct spsc_ring *r = ring_create(8);
    cr_assert_not_null(r);
    cr_assert(ring_empty(r));
    cr_assert_null(ring_pop(r));

    for (uintptr_t i = 1; i <= 8; i++) {
        cr_assert(ring_push(r, as_msg(i)), "push %lu into a ring of 8", (unsigned long)i);
        cr_assert_not(ring_empty(r));
    }
    /* Full: pushes fail and change nothing. */
    for (int attempt = 0; attempt < 3; attempt++)
        cr_assert_not(ring_push(r, as_msg(99)));

    for (uintptr_t i = 1; i <= 8; i++)
        cr_assert_eq(from_msg(ring_pop(r)), i);
    cr_assert_null(ring_pop(r));
    cr_assert(ring_empty(r));

    /* One free slot is enough for exactly one more push. */
    for (uintptr_t i = 1; i <= 8; i++)
        cr_assert(ring_push(r, as_msg(i)));
    cr_assert_eq(from_msg(ring_pop(r)), 1);
    cr_assert(ring_push(r, as_msg(9)));
    cr_assert_not(ring_push(r, as_msg(10)));
    for (uintptr_t i = 2; i <= 9; i++)
        cr_assert_eq(from_msg(ring_pop(r)), i);
    cr_assert_null(ring_pop(r));
    ring_destroy(r);
}

Test(ring, wraps_around_many_times)
{
    struct spsc_ring *r = ring_create(4);
    cr_assert_not_null(r);
    uintptr_t next_push = 1, next_pop = 1;
    /* Batches of every size from 1 to capacity, so head and tail cross the
     * end of the slot array at every offset. */
    for (int round = 0; round < 1000; round++) {
        size_t batch = (size_t)round % 4 + 1;
        for (size_t i = 0; i < batch; i++)
            cr_assert(ring_push(r, as_msg(next_push++)));
        if (batch == 4)
            cr_assert_not(ring_push(r, as_msg(next_push)));
        for (size_t i = 0; i < batch; i++)
            cr_assert_eq(from_msg(ring_pop(r)), next_pop++);
        cr_assert_null(ring_pop(r));
    }
    /* Interleaved, never full, never empty for long. */
    cr_assert(ring_push(r, as_msg(next_push++)));
    for (int i = 0; i < 10000; i++) {
        cr_assert(ring_push(r, as_msg(next_push++)));
        cr_assert_eq(from_msg(ring_pop(r)), next_pop++);
    }
    cr_assert_eq(from_msg(ring_pop(r)), next_pop++);
    cr_assert(ring_empty(r));
    ring_destroy(r);
}

/* ---- one producer, one consumer ---- */

struct stream {
    struct spsc_ring *ring;
    unsigned long count;
    /* results, written by the consumer */
    unsigned long received;
    unsigned long first_bad_index; /* 0 when all good */
    uintptr_t first_bad_value;
};

static void *stream_producer(void *arg)
{
    struct stream *s = arg;
    unsigned failures = 0;
    for (uintptr_t i = 1; i <= s->count; i++) {
        while (!ring_push(s->ring, as_msg(i)))
            backoff(&failures);
    }
    return NULL;
}

static void *stream_consumer(void *arg)
{
    struct stream *s = arg;
    unsigned failures = 0;
    for (uintptr_t expect = 1; expect <= s->count; expect++) {
        void *m;
        while ((m = ring_pop(s->ring)) == NULL)
            backoff(&failures);
        if (from_msg(m) != expect && s->first_bad_index == 0) {
            s->first_bad_index = expect;
            s->first_bad_value = from_msg(m);
        }
        s->received++;
    }
    return NULL;
}

Test(ring, two_threads_keep_order_and_lose_nothing, .timeout = 120)
{
    struct stream s = {.ring = ring_create(1024), .count = STREAM_MESSAGES};
    cr_assert_not_null(s.ring);
    pthread_t producer, consumer;
    cr_assert_eq(pthread_create(&consumer, NULL, stream_consumer, &s), 0);
    cr_assert_eq(pthread_create(&producer, NULL, stream_producer, &s), 0);
    pthread_join(producer, NULL);
    pthread_join(consumer, NULL);

    cr_assert_eq(s.first_bad_index, 0, "message %lu arrived as %lu", s.first_bad_index,
                 (unsigned long)s.first_bad_value);
    cr_assert_eq(s.received, s.count);
    cr_assert(ring_empty(s.ring), "a message beyond the last one appeared");
    cr_assert_null(ring_pop(s.ring));
    ring_destroy(s.ring);
}

/* Pointers to memory the producer filled just before pushing: the consumer
 * must see every byte (release on push, acquire on pop). */
struct payload {
    unsigned long seq;
    unsigned char bytes[48];
};

struct payload_stream {
    struct spsc_ring *ring;
    unsigned long count;
    unsigned long corrupted;
    unsigned long out_of_order;
};

static void *payload_producer(void *arg)
{
    struct payload_stream *s = arg;
    unsigned failures = 0;
    for (unsigned long i = 0; i < s->count; i++) {
        struct payload *p = malloc(sizeof(*p));
        if (!p)
            abort(); /* the test cannot continue meaningfully */
        p->seq = i;
        memset(p->bytes, (int)(i & 0xff), sizeof(p->bytes));
        while (!ring_push(s->ring, p))
            backoff(&failures);
    }
    return NULL;
}

static void *payload_consumer(void *arg)
{
    struct payload_stream *s = arg;
    unsigned failures = 0;
    for (unsigned long i = 0; i < s->count; i++) {
        struct payload *p;
        while ((p = ring_pop(s->ring)) == NULL)
            backoff(&failures);
        if (p->seq != i)
            s->out_of_order++;
        for (size_t b = 0; b < sizeof(p->bytes); b++) {
            if (p->bytes[b] != (unsigned char)(p->seq & 0xff)) {
                s->corrupted++;
                break;
            }
        }
        free(p);
    }
    return NULL;
}

Test(ring, payload_written_before_push_is_visible_after_pop, .timeout = 120)
{
    struct payload_stream s = {.ring = ring_create(16), .count = 200000};
    cr_assert_not_null(s.ring);
    pthread_t producer, consumer;
    cr_assert_eq(pthread_create(&consumer, NULL, payload_consumer, &s), 0);
    cr_assert_eq(pthread_create(&producer, NULL, payload_producer, &s), 0);
    pthread_join(producer, NULL);
    pthread_join(consumer, NULL);
    cr_assert_eq(s.out_of_order, 0);
    cr_assert_eq(s.corrupted, 0);
    cr_assert(ring_empty(s.ring));
    ring_destroy(s.ring);
}

/* ---- a 2x2 mesh, as between two shard threads ---- */

/*
 * Two threads and four rings: rings[from][to], including each thread's ring
 * to itself, as in the server's N x N layout. Each thread sends
 * MESH_MESSAGES to each destination while draining what is sent to it. The
 * rings are tiny, so pushes fail all the time; a thread whose push fails
 * pops before retrying, which is what keeps two threads that wait on each
 * other's rings from deadlocking (the server loop does the same).
 */
#define MESH_THREADS 2
#define MESH_RING_CAPACITY 4

struct mesh {
    struct spsc_ring *rings[MESH_THREADS][MESH_THREADS];
    unsigned long count; /* per ordered pair */
};

struct mesh_thread {
    struct mesh *mesh;
    int self;
    unsigned long received[MESH_THREADS];
    unsigned long out_of_order;
    unsigned long push_failures;
};

/* Message = (sequence number + 1, source thread), packed so it is never 0. */
static void *mesh_msg(unsigned long seq, int from)
{
    return as_msg(((uintptr_t)(seq + 1) << 1) | (uintptr_t)from);
}

static int mesh_drain(struct mesh_thread *t)
{
    int popped = 0;
    for (int from = 0; from < MESH_THREADS; from++) {
        void *m;
        /* A bounded batch per source keeps the sources fair. */
        for (int n = 0; n < 32 && (m = ring_pop(t->mesh->rings[from][t->self])) != NULL; n++) {
            uintptr_t v = from_msg(m);
            int source = (int)(v & 1);
            unsigned long seq = (unsigned long)(v >> 1) - 1;
            if (source != from || seq != t->received[from])
                t->out_of_order++;
            t->received[from]++;
            popped++;
        }
    }
    return popped;
}

static void *mesh_worker(void *arg)
{
    struct mesh_thread *t = arg;
    struct mesh *mesh = t->mesh;
    unsigned long sent[MESH_THREADS] = {0};
    unsigned failures = 0;
    for (;;) {
        int done = 1, progress = 0;
        for (int to = 0; to < MESH_THREADS; to++) {
            /* Bursts longer than the ring: a burst stops at the first
             * failed push and the thread goes on to drain. */
            for (int burst = 0; burst < 2 * MESH_RING_CAPACITY && sent[to] < mesh->count; burst++) {
                if (!ring_push(mesh->rings[t->self][to], mesh_msg(sent[to], t->self))) {
                    t->push_failures++;
                    break;
                }
                sent[to]++;
                progress = 1;
            }
            if (sent[to] < mesh->count)
                done = 0;
        }
        progress |= mesh_drain(t) > 0;
        for (int from = 0; from < MESH_THREADS; from++) {
            if (t->received[from] < mesh->count)
                done = 0;
        }
        if (done)
            return NULL;
        if (!progress)
            backoff(&failures);
    }
}

Test(ring, mesh_of_two_threads_does_not_deadlock, .timeout = 120)
{
    struct mesh mesh = {.count = MESH_MESSAGES};
    for (int i = 0; i < MESH_THREADS; i++) {
        for (int j = 0; j < MESH_THREADS; j++) {
            mesh.rings[i][j] = ring_create(MESH_RING_CAPACITY);
            cr_assert_not_null(mesh.rings[i][j]);
        }
    }
    struct mesh_thread threads[MESH_THREADS];
    pthread_t ids[MESH_THREADS];
    for (int i = 0; i < MESH_THREADS; i++) {
        threads[i] = (struct mesh_thread){.mesh = &mesh, .self = i};
        cr_assert_eq(pthread_create(&ids[i], NULL, mesh_worker, &threads[i]), 0);
    }
    for (int i = 0; i < MESH_THREADS; i++)
        pthread_join(ids[i], NULL);

    unsigned long push_failures = 0;
    for (int i = 0; i < MESH_THREADS; i++) {
        cr_assert_eq(threads[i].out_of_order, 0, "thread %d saw messages out of order", i);
        for (int from = 0; from < MESH_THREADS; from++)
            cr_assert_eq(threads[i].received[from], mesh.count, "thread %d from %d", i, from);
        push_failures += threads[i].push_failures;
    }
    /* A burst into a thread's own ring, which only that thread drains,
     * always overflows it: the retry path ran, whatever the scheduling. */
    cr_assert_gt(push_failures, 0);
    for (int i = 0; i < MESH_THREADS; i++) {
        for (int j = 0; j < MESH_THREADS; j++) {
            cr_assert(ring_empty(mesh.rings[i][j]));
            ring_destroy(mesh.rings[i][j]);
        }
    }
}
