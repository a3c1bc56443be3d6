/*
 * test_txn.c - unit tests for shards/txn.c: the per-shard lock table and the
 * WATCH table.
 *
 * Lock table: the hand-written tests pin down each rule of txn.h on a small
 * scene (the SHARED/EXCL matrix, FIFO without overtaking, grants of free keys
 * out of order, the order and kind of what a release returns, the global
 * barrier both ways, duplicate keys in one request, cancel, the counters).
 * The model test then drives the table with random requests over a handful
 * of lock names and compares every answer with a reference written from the
 * rules alone: which requests are granted at once, exactly which ones (and in
 * which order) a release or cancel grants, what locktab_conflicts says; after
 * every step it checks that no two holders conflict and that every waiter
 * conflicts with a holder or an earlier waiter, and at the end that releasing
 * the holders drains the queue (no lost wake-up).
 *
 * WATCH table: versions, refcounts, the monotonic clock across remove and
 * re-add, touch_if's filters, and keys told apart by db and by bytes.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shards/txn.h"

/* ---------------- lock table: helpers ---------------- */

/* A request from a spec such as "Xa Sb" (EXCL on a, SHARED on b) or "*" (the
 * whole shard). Lock names are the letters. Caller frees with free(). */
static struct lock_req *req(int hold, const char *spec)
{
    int n = 0;
    for (const char *p = spec; *p; p++)
        n += *p == 'S' || *p == 'X';
    struct lock_req *r = calloc(1, sizeof(*r) + (size_t)n * (sizeof(uint64_t) + 1));
    cr_assert_not_null(r);
    r->keys = (uint64_t *)(r + 1);
    r->modes = (unsigned char *)(r->keys + n);
    r->hold = hold;
    for (const char *p = spec; *p; p++) {
        if (*p == '*') {
            r->global = 1;
        } else if (*p == 'S' || *p == 'X') {
            r->modes[r->nkeys] = *p == 'X' ? LOCK_EXCL : LOCK_SHARED;
            r->keys[r->nkeys++] = (uint64_t)(unsigned char)p[1];
            p++;
        }
    }
    return r;
}

/* Asserts that `granted` is exactly the list want[0..n), in that order. */
static void expect_granted(struct lock_req *granted, struct lock_req **want, int n)
{
    int i = 0;
    for (struct lock_req *r = granted; r; r = r->next, i++) {
        cr_assert_lt(i, n, "more requests granted than expected");
        cr_assert_eq(r, want[i], "granted request %d is not the expected one", i);
    }
    cr_assert_eq(i, n, "%d requests granted, expected %d", i, n);
}

static void expect_counts(const struct lock_table *t, size_t held, size_t waiting)
{
    cr_assert_eq(locktab_held(t), held, "held %zu, expected %zu", locktab_held(t), held);
    cr_assert_eq(locktab_waiting(t), waiting, "waiting %zu, expected %zu", locktab_waiting(t), waiting);
    cr_assert_eq(locktab_idle(t), held == 0 && waiting == 0);
}

/* ---------------- lock table: rules ---------------- */

Test(locks, shared_exclusive_matrix)
{
    static const struct {
        const char *held, *asked;
        int compatible;
    } cases[] = {
        {"Sa", "Sa", 1}, {"Sa", "Xa", 0}, {"Xa", "Sa", 0},       {"Xa", "Xa", 0},
        {"Xa", "Xb", 1}, {"Sa", "Xb", 1}, {"Xa Sb", "Sb Sc", 1}, {"Xa Sb", "Sc Xb", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lock_table *t = locktab_create();
        cr_assert_not_null(t);
        struct lock_req *h = req(1, cases[i].held), *r = req(1, cases[i].asked);
        cr_assert_eq(locktab_try(t, h), 1);
        cr_assert_eq(h->state, LOCK_STATE_HELD);
        cr_assert_eq(locktab_conflicts(t, r), !cases[i].compatible, "%s then %s", cases[i].held, cases[i].asked);
        cr_assert_eq(locktab_try(t, r), cases[i].compatible, "%s then %s", cases[i].held, cases[i].asked);
        if (cases[i].compatible) {
            cr_assert_eq(r->state, LOCK_STATE_HELD);
            expect_counts(t, 2, 0);
            cr_assert_null(locktab_release(t, r));
        } else {
            cr_assert_eq(r->state, LOCK_STATE_NONE, "a failed try changes nothing");
            cr_assert_eq(r->waited, 0);
            expect_counts(t, 1, 0);
        }
        cr_assert_null(locktab_release(t, h));
        cr_assert_eq(h->state, LOCK_STATE_NONE);
        expect_counts(t, 0, 0);
        cr_assert_eq(locktab_names(t), 0);
        free(h);
        free(r);
        locktab_destroy(t);
    }
}

Test(locks, earlier_conflicting_waiter_is_not_overtaken)
{
    struct lock_table *t = locktab_create();
    struct lock_req *s1 = req(1, "Sa"), *x = req(1, "Xa"), *s2 = req(1, "Sa");
    cr_assert_eq(locktab_acquire(t, s1), 1);
    cr_assert_eq(locktab_acquire(t, x), 0);
    cr_assert_eq(x->state, LOCK_STATE_WAITING);
    cr_assert_eq(x->waited, 1);
    /* s2 is compatible with the holder s1 but not with the waiting x. */
    cr_assert(locktab_conflicts(t, s2));
    cr_assert_eq(locktab_try(t, s2), 0);
    cr_assert_eq(s2->state, LOCK_STATE_NONE);
    cr_assert_eq(locktab_acquire(t, s2), 0);
    expect_counts(t, 1, 2);

    /* Releasing s1 grants x only: s2 now conflicts with the holder x. */
    expect_granted(locktab_release(t, s1), (struct lock_req *[]){x}, 1);
    cr_assert_eq(x->state, LOCK_STATE_HELD);
    cr_assert_eq(s2->state, LOCK_STATE_WAITING);
    expect_counts(t, 1, 1);

    expect_granted(locktab_release(t, x), (struct lock_req *[]){s2}, 1);
    cr_assert_eq(s2->state, LOCK_STATE_HELD);
    cr_assert_null(locktab_release(t, s2));
    expect_counts(t, 0, 0);
    free(s1);
    free(x);
    free(s2);
    locktab_destroy(t);
}

Test(locks, free_keys_are_granted_past_waiters)
{
    struct lock_table *t = locktab_create();
    struct lock_req *xa = req(1, "Xa"), *wa = req(1, "Sa"), *b = req(1, "Xb");
    cr_assert_eq(locktab_acquire(t, xa), 1);
    cr_assert_eq(locktab_acquire(t, wa), 0);
    cr_assert_not(locktab_conflicts(t, b));
    cr_assert_eq(locktab_acquire(t, b), 1, "b is free: granted although a request waits");
    cr_assert_eq(b->waited, 0);
    expect_counts(t, 2, 1);

    /* In a release pass: wa2 still waits for a, the later wb gets b. */
    struct lock_req *wa2 = req(1, "Xa"), *wb = req(1, "Sb");
    cr_assert_eq(locktab_acquire(t, wa2), 0);
    cr_assert_eq(locktab_acquire(t, wb), 0);
    expect_granted(locktab_release(t, b), (struct lock_req *[]){wb}, 1);
    cr_assert_eq(wa->state, LOCK_STATE_WAITING);
    cr_assert_eq(wa2->state, LOCK_STATE_WAITING);
    expect_counts(t, 2, 2);

    expect_granted(locktab_release(t, xa), (struct lock_req *[]){wa}, 1);
    expect_granted(locktab_release(t, wa), (struct lock_req *[]){wa2}, 1);
    cr_assert_null(locktab_release(t, wa2));
    cr_assert_null(locktab_release(t, wb));
    expect_counts(t, 0, 0);
    cr_assert_eq(locktab_names(t), 0);
    free(xa);
    free(wa);
    free(b);
    free(wa2);
    free(wb);
    locktab_destroy(t);
}

Test(locks, still_waiting_waiter_blocks_later_ones_in_a_release_pass)
{
    struct lock_table *t = locktab_create();
    struct lock_req *ha = req(1, "Xa"), *hb = req(1, "Xb");
    struct lock_req *w1 = req(1, "Xa Xb"), *w2 = req(1, "Sb"), *w3 = req(1, "Sc");
    cr_assert_eq(locktab_acquire(t, ha), 1);
    cr_assert_eq(locktab_acquire(t, hb), 1);
    cr_assert_eq(locktab_acquire(t, w1), 0);
    cr_assert_eq(locktab_acquire(t, w2), 0);
    cr_assert_eq(locktab_acquire(t, w3), 1);

    /* b is free now, but w1 (still waiting for a) asked for it first. */
    cr_assert_null(locktab_release(t, hb));
    cr_assert_eq(w2->state, LOCK_STATE_WAITING);
    expect_granted(locktab_release(t, ha), (struct lock_req *[]){w1}, 1);
    expect_granted(locktab_release(t, w1), (struct lock_req *[]){w2}, 1);
    cr_assert_null(locktab_release(t, w2));
    cr_assert_null(locktab_release(t, w3));
    expect_counts(t, 0, 0);
    free(ha);
    free(hb);
    free(w1);
    free(w2);
    free(w3);
    locktab_destroy(t);
}

Test(locks, release_returns_granted_in_queue_order_and_parked_do_not_hold)
{
    struct lock_table *t = locktab_create();
    struct lock_req *h = req(1, "Xa");
    struct lock_req *p1 = req(0, "Sa"), *w = req(1, "Sa Sb"), *p2 = req(0, "Xb"), *p3 = req(0, "Sa");
    cr_assert_eq(locktab_acquire(t, h), 1);
    cr_assert_eq(locktab_acquire(t, p1), 0);
    cr_assert_eq(locktab_acquire(t, w), 0);
    cr_assert_eq(locktab_acquire(t, p2), 0, "p2 conflicts with the waiting w on b");
    cr_assert_eq(locktab_acquire(t, p3), 0);
    expect_counts(t, 1, 4);

    /* p2 conflicts with w, which becomes a holder in this pass. */
    expect_granted(locktab_release(t, h), (struct lock_req *[]){p1, w, p3}, 3);
    cr_assert_eq(p1->state, LOCK_STATE_NONE);
    cr_assert_eq(p3->state, LOCK_STATE_NONE);
    cr_assert_eq(w->state, LOCK_STATE_HELD);
    cr_assert_eq(p2->state, LOCK_STATE_WAITING);
    cr_assert(p1->waited && w->waited && p3->waited);
    expect_counts(t, 1, 1);

    expect_granted(locktab_release(t, w), (struct lock_req *[]){p2}, 1);
    cr_assert_eq(p2->state, LOCK_STATE_NONE);
    expect_counts(t, 0, 0);
    cr_assert_eq(locktab_names(t), 0);

    /* A parked request that is granted at once changes nothing either. */
    cr_assert_eq(locktab_acquire(t, p1), 1);
    cr_assert_eq(p1->state, LOCK_STATE_NONE);
    expect_counts(t, 0, 0);
    free(h);
    free(p1);
    free(w);
    free(p2);
    free(p3);
    locktab_destroy(t);
}

Test(locks, release_list_may_be_walked_while_calling_the_table)
{
    struct lock_table *t = locktab_create();
    struct lock_req *h = req(1, "Xa"), *p = req(0, "Sa"), *w = req(1, "Sa"), *later = req(1, "Xa");
    cr_assert_eq(locktab_acquire(t, h), 1);
    cr_assert_eq(locktab_acquire(t, p), 0);
    cr_assert_eq(locktab_acquire(t, w), 0);
    cr_assert_eq(locktab_acquire(t, later), 0);
    struct lock_req *granted = locktab_release(t, h);
    struct lock_req *seen[2];
    int n = 0;
    while (granted) {
        struct lock_req *r = granted;
        granted = r->next;
        cr_assert_lt(n, 2);
        seen[n++] = r;
        if (r->hold)
            expect_granted(locktab_release(t, r), (struct lock_req *[]){later}, 1);
    }
    cr_assert_eq(n, 2);
    cr_assert_eq(seen[0], p);
    cr_assert_eq(seen[1], w);
    cr_assert_eq(later->state, LOCK_STATE_HELD);
    cr_assert_null(locktab_release(t, later));
    expect_counts(t, 0, 0);
    free(h);
    free(p);
    free(w);
    free(later);
    locktab_destroy(t);
}

Test(locks, global_conflicts_both_ways)
{
    struct lock_table *t = locktab_create();
    struct lock_req *g = req(1, "*"), *k = req(1, "Sa"), *g2 = req(1, "*");

    /* A held global lock blocks every key and every other global. */
    cr_assert_eq(locktab_acquire(t, g), 1);
    cr_assert(locktab_conflicts(t, k));
    cr_assert(locktab_conflicts(t, g2));
    cr_assert_eq(locktab_try(t, k), 0);
    cr_assert_eq(locktab_acquire(t, g2), 0);
    cr_assert_eq(locktab_acquire(t, k), 0);
    expect_counts(t, 1, 2);
    expect_granted(locktab_release(t, g), (struct lock_req *[]){g2}, 1);
    cr_assert_eq(k->state, LOCK_STATE_WAITING, "k waits behind the global g2");
    expect_granted(locktab_release(t, g2), (struct lock_req *[]){k}, 1);

    /* A held key blocks a global, and a waiting global blocks later keys,
     * even keys nobody holds. */
    struct lock_req *other = req(1, "Xz");
    cr_assert_eq(locktab_acquire(t, g), 0);
    cr_assert(locktab_conflicts(t, other));
    cr_assert_eq(locktab_acquire(t, other), 0);
    cr_assert(locktab_conflicts(t, g2), "a global conflicts with the earlier waiters");
    expect_counts(t, 1, 2);
    expect_granted(locktab_release(t, k), (struct lock_req *[]){g}, 1);
    cr_assert_eq(other->state, LOCK_STATE_WAITING);
    expect_granted(locktab_release(t, g), (struct lock_req *[]){other}, 1);

    /* A global queued behind a key waiter is not granted before it. */
    struct lock_req *kw = req(1, "Sz");
    cr_assert_eq(locktab_acquire(t, kw), 0);
    cr_assert_eq(locktab_acquire(t, g), 0);
    expect_granted(locktab_release(t, other), (struct lock_req *[]){kw}, 1);
    cr_assert_eq(g->state, LOCK_STATE_WAITING);
    expect_granted(locktab_release(t, kw), (struct lock_req *[]){g}, 1);
    cr_assert_null(locktab_release(t, g));
    expect_counts(t, 0, 0);
    free(g);
    free(k);
    free(g2);
    free(other);
    free(kw);
    locktab_destroy(t);
}

Test(locks, parked_global_is_granted_and_leaves)
{
    struct lock_table *t = locktab_create();
    struct lock_req *h = req(1, "Sa"), *g = req(0, "*"), *k = req(1, "Sb");
    cr_assert_eq(locktab_acquire(t, h), 1);
    cr_assert_eq(locktab_acquire(t, g), 0);
    cr_assert_eq(locktab_acquire(t, k), 0);
    /* g does not hold: k is granted in the same pass, after it. */
    expect_granted(locktab_release(t, h), (struct lock_req *[]){g, k}, 2);
    cr_assert_eq(g->state, LOCK_STATE_NONE);
    expect_counts(t, 1, 0);
    cr_assert_null(locktab_release(t, k));
    expect_counts(t, 0, 0);
    free(h);
    free(g);
    free(k);
    locktab_destroy(t);
}

Test(locks, duplicate_keys_in_one_request)
{
    struct lock_table *t = locktab_create();
    /* MSET a 1 a 2, and a read and a write of one key. */
    struct lock_req *mset = req(1, "Xa Xa"), *mixed = req(1, "Sb Xb Sb"), *reader = req(1, "Sa Sa");
    cr_assert_eq(locktab_acquire(t, mset), 1);
    cr_assert_eq(locktab_acquire(t, mixed), 1);
    cr_assert_eq(locktab_names(t), 2);
    struct lock_req *sb = req(1, "Sb");
    cr_assert(locktab_conflicts(t, sb), "the EXCL occurrence of b counts");
    cr_assert_eq(locktab_acquire(t, reader), 0);

    /* Waiting with duplicates, then granted in a pass: the request must not
     * see its own occurrences. */
    struct lock_req *dupw = req(1, "Xb Sb Xb");
    cr_assert_eq(locktab_acquire(t, dupw), 0);
    expect_granted(locktab_release(t, mixed), (struct lock_req *[]){dupw}, 1);
    expect_granted(locktab_release(t, mset), (struct lock_req *[]){reader}, 1);
    cr_assert_null(locktab_release(t, dupw));
    cr_assert_not(locktab_conflicts(t, sb));
    cr_assert_null(locktab_release(t, reader));
    expect_counts(t, 0, 0);
    cr_assert_eq(locktab_names(t), 0, "release undid every occurrence");
    free(mset);
    free(mixed);
    free(reader);
    free(sb);
    free(dupw);
    locktab_destroy(t);
}

Test(locks, cancel_unblocks_later_waiters)
{
    struct lock_table *t = locktab_create();
    struct lock_req *h = req(1, "Xa"), *w1 = req(1, "Xa Xb"), *w2 = req(1, "Sb"), *g = req(1, "*");
    cr_assert_eq(locktab_acquire(t, h), 1);
    cr_assert_eq(locktab_acquire(t, w1), 0);
    cr_assert_eq(locktab_acquire(t, w2), 0);
    expect_granted(locktab_cancel(t, w1), (struct lock_req *[]){w2}, 1);
    cr_assert_eq(w1->state, LOCK_STATE_NONE);
    expect_counts(t, 2, 0);

    /* Cancelling the only waiter grants nothing. */
    cr_assert_eq(locktab_acquire(t, g), 0);
    cr_assert_null(locktab_cancel(t, g));
    expect_counts(t, 2, 0);
    cr_assert_null(locktab_release(t, h));
    cr_assert_null(locktab_release(t, w2));
    expect_counts(t, 0, 0);
    cr_assert_eq(locktab_names(t), 0);
    free(h);
    free(w1);
    free(w2);
    free(g);
    locktab_destroy(t);
}

Test(locks, counters_follow_holders_and_waiters)
{
    struct lock_table *t = locktab_create();
    cr_assert(locktab_idle(t));
    expect_counts(t, 0, 0);
    struct lock_req *r[6];
    for (int i = 0; i < 3; i++) {
        r[i] = req(1, "Sa");
        cr_assert_eq(locktab_acquire(t, r[i]), 1);
        expect_counts(t, (size_t)i + 1, 0);
    }
    r[3] = req(1, "Xa");
    r[4] = req(1, "Sb");
    r[5] = req(0, "Sa");
    cr_assert_eq(locktab_acquire(t, r[3]), 0);
    cr_assert_eq(locktab_acquire(t, r[4]), 1);
    cr_assert_eq(locktab_acquire(t, r[5]), 0);
    expect_counts(t, 4, 2);
    cr_assert_eq(locktab_names(t), 2);
    cr_assert_null(locktab_release(t, r[0]));
    cr_assert_null(locktab_release(t, r[1]));
    expect_counts(t, 2, 2);
    expect_granted(locktab_release(t, r[2]), (struct lock_req *[]){r[3]}, 1);
    expect_counts(t, 2, 1);
    expect_granted(locktab_release(t, r[3]), (struct lock_req *[]){r[5]}, 1);
    expect_counts(t, 1, 0);
    cr_assert_not(locktab_idle(t));
    cr_assert_null(locktab_release(t, r[4]));
    cr_assert(locktab_idle(t));
    cr_assert_eq(locktab_names(t), 0);
    for (int i = 0; i < 6; i++)
        free(r[i]);
    locktab_destroy(t);
}

/* Lock names that differ only in their high bits must not pile up in one
 * probe run; the map also has to grow and shrink back. */
Test(locks, many_names_grow_and_shrink)
{
    enum { N = 20000 };
    struct lock_table *t = locktab_create();
    struct lock_req *big = calloc(1, sizeof(*big));
    uint64_t *keys = malloc(sizeof(uint64_t) * N);
    unsigned char *modes = malloc(N);
    for (int i = 0; i < N; i++) {
        keys[i] = (uint64_t)i << 40;
        modes[i] = i % 2 ? LOCK_EXCL : LOCK_SHARED;
    }
    big->keys = keys;
    big->modes = modes;
    big->nkeys = N;
    big->hold = 1;
    cr_assert_eq(locktab_acquire(t, big), 1);
    cr_assert_eq(locktab_names(t), N);

    uint64_t probe_key;
    unsigned char probe_mode;
    struct lock_req probe = {.nkeys = 1, .keys = &probe_key, .modes = &probe_mode, .hold = 1};
    for (int i = 0; i < N; i++) {
        probe_key = keys[i];
        probe_mode = LOCK_SHARED;
        cr_assert_eq(locktab_conflicts(t, &probe), i % 2, "name %d", i);
        probe_mode = LOCK_EXCL;
        cr_assert(locktab_conflicts(t, &probe), "name %d", i);
    }
    probe_key = (uint64_t)N << 40;
    cr_assert_not(locktab_conflicts(t, &probe));
    cr_assert_eq(locktab_acquire(t, &probe), 1);

    cr_assert_null(locktab_release(t, big));
    cr_assert_eq(locktab_names(t), 1);
    cr_assert_eq(probe.state, LOCK_STATE_HELD);
    cr_assert_null(locktab_release(t, &probe));
    cr_assert_eq(locktab_names(t), 0);
    /* Still usable after shrinking. */
    cr_assert_eq(locktab_acquire(t, big), 1);
    cr_assert_null(locktab_release(t, big));
    expect_counts(t, 0, 0);
    free(keys);
    free(modes);
    free(big);
    locktab_destroy(t);
}

/* ---------------- lock table: random requests against a model ---------------- */

#define MODEL_MAX_KEYS 4
#define MODEL_MAX_LIVE 48

struct model_req {
    struct lock_req r; /* first: the table hands back &r */
    uint64_t keys[MODEL_MAX_KEYS];
    unsigned char modes[MODEL_MAX_KEYS];
};

struct model {
    struct lock_table *t;
    struct model_req *holders[MODEL_MAX_LIVE * 2];
    int nholders;
    struct model_req *waiters[MODEL_MAX_LIVE * 2]; /* queue order */
    int nwaiters;
    uint64_t rng;
    unsigned seed;
    int step;
};

/* Lock names: a few, so requests collide often; 0 and hashes equal in their
 * low bits included. */
static const uint64_t model_names[] = {0, 1, 7, 1ULL << 32, 5ULL << 32, UINT64_MAX};

static uint64_t next_random(struct model *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

static unsigned random_below(struct model *m, unsigned n)
{
    return (unsigned)(next_random(m) % n);
}

static struct model_req *random_req(struct model *m)
{
    struct model_req *q = calloc(1, sizeof(*q));
    cr_assert_not_null(q);
    q->r.keys = q->keys;
    q->r.modes = q->modes;
    q->r.owner = q;
    q->r.hold = random_below(m, 4) != 0;
    if (random_below(m, 25) == 0) {
        q->r.global = 1;
        return q;
    }
    q->r.nkeys = 1 + (int)random_below(m, MODEL_MAX_KEYS);
    for (int i = 0; i < q->r.nkeys; i++) {
        q->keys[i] = model_names[random_below(m, sizeof(model_names) / sizeof(model_names[0]))];
        q->modes[i] = random_below(m, 3) == 0 ? LOCK_EXCL : LOCK_SHARED;
    }
    return q;
}

/* The compatibility rule of txn.h, pair by pair, occurrence by occurrence. */
static int model_pair_conflicts(const struct lock_req *a, const struct lock_req *b)
{
    if (a->global || b->global)
        return 1;
    for (int i = 0; i < a->nkeys; i++)
        for (int j = 0; j < b->nkeys; j++)
            if (a->keys[i] == b->keys[j] && (a->modes[i] == LOCK_EXCL || b->modes[j] == LOCK_EXCL))
                return 1;
    return 0;
}

static int conflicts_with_any(const struct lock_req *r, struct model_req **set, int n)
{
    for (int i = 0; i < n; i++)
        if (model_pair_conflicts(r, &set[i]->r))
            return 1;
    return 0;
}

/* A new request has to wait when it conflicts with any holder or waiter. */
static int model_must_wait(const struct model *m, const struct lock_req *r)
{
    return conflicts_with_any(r, (struct model_req **)m->holders, m->nholders) ||
           conflicts_with_any(r, (struct model_req **)m->waiters, m->nwaiters);
}

static void check_invariants(struct model *m)
{
    cr_assert_eq(locktab_held(m->t), (size_t)m->nholders, "seed %u step %d", m->seed, m->step);
    cr_assert_eq(locktab_waiting(m->t), (size_t)m->nwaiters, "seed %u step %d", m->seed, m->step);
    cr_assert_eq(locktab_idle(m->t), m->nholders == 0 && m->nwaiters == 0);
    for (int i = 0; i < m->nholders; i++) {
        cr_assert_eq(m->holders[i]->r.state, LOCK_STATE_HELD);
        for (int j = i + 1; j < m->nholders; j++)
            cr_assert_not(model_pair_conflicts(&m->holders[i]->r, &m->holders[j]->r),
                          "two holders conflict (seed %u step %d)", m->seed, m->step);
    }
    for (int i = 0; i < m->nwaiters; i++) {
        const struct lock_req *w = &m->waiters[i]->r;
        cr_assert_eq(w->state, LOCK_STATE_WAITING);
        cr_assert(conflicts_with_any(w, m->holders, m->nholders) || conflicts_with_any(w, m->waiters, i),
                  "waiter %d waits for nothing: a lost wake-up (seed %u step %d)", i, m->seed, m->step);
    }
    if (m->nholders == 0 && m->nwaiters == 0)
        cr_assert_eq(locktab_names(m->t), 0, "seed %u step %d", m->seed, m->step);
}

/* The grant pass by the rules: after a release or cancel, compares what the
 * table granted with what the model grants, then frees the parked ones. */
static void check_pass(struct model *m, struct lock_req *granted)
{
    int keep = 0;
    for (int i = 0; i < m->nwaiters; i++) {
        struct model_req *w = m->waiters[i];
        if (conflicts_with_any(&w->r, m->holders, m->nholders) || conflicts_with_any(&w->r, m->waiters, keep)) {
            m->waiters[keep++] = w;
            continue;
        }
        cr_assert_eq(granted, &w->r, "waiter %d should be the next granted (seed %u step %d)", i, m->seed, m->step);
        granted = granted->next;
        if (w->r.hold) {
            cr_assert_eq(w->r.state, LOCK_STATE_HELD);
            m->holders[m->nholders++] = w;
        } else {
            cr_assert_eq(w->r.state, LOCK_STATE_NONE);
            free(w);
        }
    }
    m->nwaiters = keep;
    cr_assert_null(granted, "more granted than the model grants (seed %u step %d)", m->seed, m->step);
}

static void model_release(struct model *m, int i)
{
    struct model_req *h = m->holders[i];
    m->holders[i] = m->holders[--m->nholders];
    struct lock_req *granted = locktab_release(m->t, &h->r);
    cr_assert_eq(h->r.state, LOCK_STATE_NONE);
    free(h);
    check_pass(m, granted);
}

static void model_cancel(struct model *m, int i)
{
    struct model_req *w = m->waiters[i];
    memmove(&m->waiters[i], &m->waiters[i + 1], sizeof(m->waiters[0]) * (size_t)(m->nwaiters - i - 1));
    m->nwaiters--;
    struct lock_req *granted = locktab_cancel(m->t, &w->r);
    cr_assert_eq(w->r.state, LOCK_STATE_NONE);
    free(w);
    check_pass(m, granted);
}

static void model_new(struct model *m, int use_try)
{
    struct model_req *q = random_req(m);
    int must_wait = model_must_wait(m, &q->r);
    cr_assert_eq(locktab_conflicts(m->t, &q->r), must_wait, "seed %u step %d", m->seed, m->step);
    int got = use_try ? locktab_try(m->t, &q->r) : locktab_acquire(m->t, &q->r);
    cr_assert_eq(got, !must_wait, "seed %u step %d", m->seed, m->step);
    if (!must_wait && q->r.hold) {
        cr_assert_eq(q->r.state, LOCK_STATE_HELD);
        m->holders[m->nholders++] = q;
    } else if (must_wait && !use_try) {
        cr_assert_eq(q->r.state, LOCK_STATE_WAITING);
        cr_assert_eq(q->r.waited, 1);
        m->waiters[m->nwaiters++] = q;
    } else {
        cr_assert_eq(q->r.state, LOCK_STATE_NONE);
        free(q);
    }
}

static void run_model(unsigned seed, int steps)
{
    struct model m = {.t = locktab_create(), .rng = 0x9E3779B97F4A7C15ULL ^ seed, .seed = seed};
    cr_assert_not_null(m.t);
    for (m.step = 0; m.step < steps; m.step++) {
        unsigned op = random_below(&m, 100);
        int live = m.nholders + m.nwaiters;
        if (live >= MODEL_MAX_LIVE && m.nholders > 0)
            op = 60; /* make room: release */
        if (op < 35 && live < MODEL_MAX_LIVE)
            model_new(&m, 0);
        else if (op < 45 && live < MODEL_MAX_LIVE)
            model_new(&m, 1);
        else if (op < 85 && m.nholders > 0)
            model_release(&m, (int)random_below(&m, (unsigned)m.nholders));
        else if (op < 95 && m.nwaiters > 0)
            model_cancel(&m, (int)random_below(&m, (unsigned)m.nwaiters));
        else if (op >= 95) {
            struct model_req *probe = random_req(&m);
            cr_assert_eq(locktab_conflicts(m.t, &probe->r), model_must_wait(&m, &probe->r), "seed %u step %d", seed,
                         m.step);
            free(probe);
        }
        check_invariants(&m);
    }
    /* Releasing every holder, including those it makes, drains the queue. */
    while (m.nholders > 0) {
        model_release(&m, 0);
        check_invariants(&m);
    }
    cr_assert_eq(m.nwaiters, 0, "seed %u: requests left waiting with no holder", seed);
    cr_assert(locktab_idle(m.t));
    cr_assert_eq(locktab_names(m.t), 0);
    locktab_destroy(m.t);
}

Test(locks, random_requests_match_the_model)
{
    for (unsigned seed = 1; seed <= 40; seed++)
        run_model(seed, 5000);
}

/* ---------------- WATCH table ---------------- */

/* Any fixed hash works (FNV-1a here): the table compares bytes. */
static uint64_t hash_bytes(const char *key, size_t len)
{
    uint64_t x = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        x = (x ^ (unsigned char)key[i]) * 1099511628211ULL;
    return x;
}

static uint64_t h(const char *key)
{
    return hash_bytes(key, strlen(key));
}

#define W(key) h(key), key, strlen(key)

Test(watch, add_version_touch_remove)
{
    struct watch_table *t = watchtab_create();
    cr_assert_not_null(t);
    cr_assert_eq(watchtab_count(t), 0);
    cr_assert_eq(watchtab_version(t, 0, W("k")), 0, "nobody watches k");

    uint64_t v = watchtab_add(t, 0, W("k"));
    cr_assert_neq(v, 0, "a watched key's version is never 0");
    cr_assert_eq(watchtab_version(t, 0, W("k")), v);
    cr_assert_eq(watchtab_count(t), 1);

    watchtab_touch(t, 0, W("k"));
    uint64_t v2 = watchtab_version(t, 0, W("k"));
    cr_assert_gt(v2, v);
    watchtab_touch(t, 0, W("k"));
    cr_assert_gt(watchtab_version(t, 0, W("k")), v2);

    watchtab_remove(t, 0, W("k"));
    cr_assert_eq(watchtab_count(t), 0);
    cr_assert_eq(watchtab_version(t, 0, W("k")), 0);
    watchtab_remove(t, 0, W("k")); /* unknown: ignored */
    cr_assert_eq(watchtab_count(t), 0);
    watchtab_destroy(t);
}

Test(watch, refcount_keeps_the_entry_and_its_version)
{
    struct watch_table *t = watchtab_create();
    uint64_t v = watchtab_add(t, 0, W("k"));
    cr_assert_eq(watchtab_add(t, 0, W("k")), v, "a second watcher sees the same version");
    cr_assert_eq(watchtab_count(t), 1);
    watchtab_touch(t, 0, W("k"));
    uint64_t touched = watchtab_version(t, 0, W("k"));
    cr_assert_gt(touched, v);
    cr_assert_eq(watchtab_add(t, 0, W("k")), touched);

    watchtab_remove(t, 0, W("k"));
    watchtab_remove(t, 0, W("k"));
    cr_assert_eq(watchtab_count(t), 1);
    cr_assert_eq(watchtab_version(t, 0, W("k")), touched, "the last watcher still sees its version");
    watchtab_remove(t, 0, W("k"));
    cr_assert_eq(watchtab_count(t), 0);
    watchtab_destroy(t);
}

Test(watch, touching_an_unwatched_key_changes_nothing)
{
    struct watch_table *t = watchtab_create();
    watchtab_touch(t, 0, W("nobody")); /* empty table */
    cr_assert_eq(watchtab_count(t), 0);
    uint64_t v = watchtab_add(t, 0, W("k"));
    watchtab_touch(t, 0, W("other"));
    watchtab_touch(t, 1, W("k"));
    watchtab_touch_watched(t, 0, W("other"));
    cr_assert_eq(watchtab_version(t, 0, W("k")), v);
    cr_assert_eq(watchtab_version(t, 0, W("other")), 0);
    cr_assert_eq(watchtab_count(t), 1);
    watchtab_destroy(t); /* frees the entries still watched */
}

Test(watch, versions_only_grow_across_remove_and_add)
{
    struct watch_table *t = watchtab_create();
    uint64_t v = watchtab_add(t, 0, W("k"));
    for (int i = 0; i < 3; i++)
        watchtab_touch(t, 0, W("k"));
    uint64_t last = watchtab_version(t, 0, W("k"));
    watchtab_remove(t, 0, W("k"));
    uint64_t again = watchtab_add(t, 0, W("k"));
    cr_assert_geq(again, last, "re-added at the current clock, never below an old version");
    cr_assert_gt(again, v);
    /* A key watched later starts at the clock, not below any touch. */
    watchtab_touch(t, 0, W("k"));
    uint64_t other = watchtab_add(t, 0, W("fresh"));
    cr_assert_geq(other, watchtab_version(t, 0, W("k")));
    watchtab_destroy(t);
}

struct touch_probe {
    const char *only; /* predicate: bump just this key */
    int calls;
    int seen_db[3];
};

static int touch_only(void *arg, int dbid, uint64_t hash, const char *key, size_t len)
{
    struct touch_probe *p = arg;
    p->calls++;
    p->seen_db[dbid]++;
    cr_assert_eq(hash, hash_bytes(key, len), "the hash given to watchtab_add is passed through");
    return len == strlen(p->only) && memcmp(key, p->only, len) == 0;
}

Test(watch, touch_if_filters_by_db_and_predicate)
{
    struct watch_table *t = watchtab_create();
    uint64_t a0 = watchtab_add(t, 0, W("a"));
    uint64_t b0 = watchtab_add(t, 0, W("b"));
    uint64_t a1 = watchtab_add(t, 1, W("a"));
    uint64_t c2 = watchtab_add(t, 2, W("c"));

    struct touch_probe p = {.only = "a"};
    watchtab_touch_if(t, 0, touch_only, &p);
    cr_assert_eq(p.calls, 2, "only db 0's keys are offered");
    cr_assert_eq(p.seen_db[0], 2);
    cr_assert_gt(watchtab_version(t, 0, W("a")), a0);
    cr_assert_eq(watchtab_version(t, 0, W("b")), b0);
    cr_assert_eq(watchtab_version(t, 1, W("a")), a1, "db 1 is not touched by a flush of db 0");

    uint64_t a0_now = watchtab_version(t, 0, W("a"));
    memset(&p, 0, sizeof(p));
    p.only = "a";
    watchtab_touch_if(t, -1, touch_only, &p);
    cr_assert_eq(p.calls, 4, "-1 offers every db");
    cr_assert(p.seen_db[0] == 2 && p.seen_db[1] == 1 && p.seen_db[2] == 1);
    cr_assert_gt(watchtab_version(t, 0, W("a")), a0_now);
    cr_assert_gt(watchtab_version(t, 1, W("a")), a1);
    cr_assert_eq(watchtab_version(t, 0, W("b")), b0);
    cr_assert_eq(watchtab_version(t, 2, W("c")), c2);
    watchtab_destroy(t);
}

Test(watch, same_key_in_two_dbs_and_equal_hashes_are_distinct)
{
    struct watch_table *t = watchtab_create();
    uint64_t v0 = watchtab_add(t, 0, W("k"));
    uint64_t v1 = watchtab_add(t, 1, W("k"));
    cr_assert_eq(watchtab_count(t), 2);
    watchtab_touch(t, 1, W("k"));
    cr_assert_eq(watchtab_version(t, 0, W("k")), v0);
    cr_assert_gt(watchtab_version(t, 1, W("k")), v1);
    watchtab_remove(t, 1, W("k"));
    cr_assert_eq(watchtab_version(t, 0, W("k")), v0);
    cr_assert_eq(watchtab_version(t, 1, W("k")), 0);

    /* Two keys forced onto one hash, and keys that are prefixes. */
    uint64_t x = watchtab_add(t, 0, 42, "x", 1);
    uint64_t y = watchtab_add(t, 0, 42, "xy", 2);
    watchtab_touch(t, 0, 42, "xy", 2);
    cr_assert_eq(watchtab_version(t, 0, 42, "x", 1), x);
    cr_assert_gt(watchtab_version(t, 0, 42, "xy", 2), y);
    cr_assert_eq(watchtab_version(t, 0, 42, "xyz", 3), 0);
    cr_assert_eq(watchtab_count(t), 3);
    watchtab_destroy(t);
}

Test(watch, many_keys_grow_and_shrink)
{
    enum { N = 5000 };
    struct watch_table *t = watchtab_create();
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        watchtab_add(t, i % 16, (uint64_t)i << 48, key, strlen(key));
    }
    cr_assert_eq(watchtab_count(t), N);
    for (int i = 0; i < N; i += 2) {
        snprintf(key, sizeof(key), "key:%d", i);
        watchtab_touch(t, i % 16, (uint64_t)i << 48, key, strlen(key));
    }
    uint64_t untouched = watchtab_add(t, 0, W("probe"));
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        uint64_t v = watchtab_version(t, i % 16, (uint64_t)i << 48, key, strlen(key));
        if (i % 2)
            cr_assert_lt(v, untouched, "key %d was never touched", i);
        else
            cr_assert_gt(v, 1, "key %d was touched", i);
        cr_assert_eq(watchtab_version(t, (i + 1) % 16, (uint64_t)i << 48, key, strlen(key)), 0);
        watchtab_remove(t, i % 16, (uint64_t)i << 48, key, strlen(key));
    }
    cr_assert_eq(watchtab_count(t), 1);
    cr_assert_eq(watchtab_version(t, 0, W("probe")), untouched);
    watchtab_remove(t, 0, W("probe"));
    cr_assert_eq(watchtab_count(t), 0);
    watchtab_destroy(t);
}
