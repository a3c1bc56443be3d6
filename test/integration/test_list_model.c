/*
 * test_list_model.c - randomized model test of the list commands: thousands
 * of random LPUSH/RPUSH/LPOP/RPOP (with and without COUNT)/LINSERT/LSET/
 * LREM/LTRIM/LRANGE/LINDEX/LPOS/LMOVE/LLEN on a few keys, each mirrored on
 * an in-test model (an array of strings per key), every reply compared.
 *
 * Runs with list-max-listpack-size 4 (quicklists of many small nodes, which
 * split, empty and turn back into listpacks all the time), with the default
 * (8 KB nodes; some elements are a few hundred bytes so lists still convert)
 * and with 1 (one element per node). Elements come from a small alphabet so
 * LINSERT/LREM/LPOS find matches, with integers among them (listpacks store
 * those as integers). The keys carry no hash tag: LMOVE between them spans
 * shards when the server runs several threads.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(list_model, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define NKEYS 3
#define MAX_ELEM 1500

struct mlist {
    char **v;
    size_t n, cap;
};

static const char *keys[NKEYS] = {"model:alpha", "model:beta", "model:gamma"};
static struct mlist lists[NKEYS];
static unsigned long long rng_state;
/* Out of 20 elements, how many come from the small set (the rest are 20 to
 * 1500 bytes long). */
static unsigned small_share = 16;

static unsigned rnd(unsigned n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((rng_state >> 33) % n);
}

static void ml_insert(struct mlist *l, size_t at, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
    }
    memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
    l->v[at] = strdup(s);
    l->n++;
}

static void ml_delete(struct mlist *l, size_t at)
{
    free(l->v[at]);
    memmove(l->v + at, l->v + at + 1, (l->n - at - 1) * sizeof(*l->v));
    l->n--;
}

static void ml_clear(struct mlist *l)
{
    while (l->n)
        ml_delete(l, l->n - 1);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
}

/* A random element: mostly from a small set (matches), sometimes long. */
static const char *random_element(char *buf)
{
    static const char *small[] = {"a",  "b",  "c",   "d",     "e",      "f",           "g",   "h",  "i",
                                  "j",  "k",  "l",   "m",     "n",      "o",           "p",   "1",  "2",
                                  "10", "-5", "300", "70000", "-70000", "12345678901", "foo", "x y"};
    unsigned k = rnd(20);
    if (k < small_share)
        return small[rnd(sizeof(small) / sizeof(small[0]))];
    size_t len = rnd(4) ? 20 + rnd(40) : 100 + rnd(MAX_ELEM - 100);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)('a' + rnd(3));
    buf[len] = '\0';
    return buf;
}

/* Normalised index of Redis's (negative from the end); -1 when out of range. */
static long norm_index(long idx, size_t n)
{
    if (idx < 0)
        idx += (long)n;
    return idx < 0 || (size_t)idx >= n ? -1 : idx;
}

static void check_range(redisContext *c, int k, long start, long end)
{
    struct mlist *l = &lists[k];
    long n = (long)l->n;
    long s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
    if (s < 0)
        s = 0;
    redisReply *r = cmd(c, "LRANGE %s %ld %ld", keys[k], start, end);
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "LRANGE: %s", describe_reply(r));
    if (s > e || s >= n) {
        cr_assert_eq(r->elements, 0);
    } else {
        if (e >= n)
            e = n - 1;
        cr_assert_eq(r->elements, (size_t)(e - s + 1), "LRANGE %ld %ld of %ld", start, end, n);
        for (long i = s; i <= e; i++)
            assert_str(r->element[i - s], l->v[i]);
    }
    freeReplyObject(r);
}

static void pop_model(redisContext *c, int k, int left)
{
    struct mlist *l = &lists[k];
    const char *name = left ? "LPOP" : "RPOP";
    if (rnd(2)) {
        if (l->n == 0) {
            expect_nil(cmd(c, "%s %s", name, keys[k]));
            return;
        }
        size_t at = left ? 0 : l->n - 1;
        expect_str(cmd(c, "%s %s", name, keys[k]), l->v[at]);
        ml_delete(l, at);
        return;
    }
    unsigned count = rnd(6);
    redisReply *r = cmd(c, "%s %s %u", name, keys[k], count);
    if (l->n == 0) {
        expect_nil(r);
        return;
    }
    size_t take = count < l->n ? count : l->n;
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "%s count: %s", name, describe_reply(r));
    cr_assert_eq(r->elements, take);
    for (size_t i = 0; i < take; i++) {
        size_t at = left ? 0 : l->n - 1;
        assert_str(r->element[i], l->v[at]);
        ml_delete(l, at);
    }
    freeReplyObject(r);
}

static void one_step(redisContext *c)
{
    char buf[MAX_ELEM + 1], buf2[MAX_ELEM + 1];
    int k = (int)rnd(NKEYS);
    struct mlist *l = &lists[k];
    const char *key = keys[k];
    unsigned op = rnd(18);
    switch (op >= 14 ? 0 : op) {
    case 0:
    case 1: { /* LPUSH / RPUSH of 1..2 (most frequent: lists grow to hundreds) */
        int left = rnd(2);
        const char *e1 = random_element(buf), *e2 = random_element(buf2);
        if (rnd(2)) {
            expect_int(cmd(c, "%s %s %s", left ? "LPUSH" : "RPUSH", key, e1), (long long)l->n + 1);
            ml_insert(l, left ? 0 : l->n, e1);
        } else {
            expect_int(cmd(c, "%s %s %s %s", left ? "LPUSH" : "RPUSH", key, e1, e2), (long long)l->n + 2);
            ml_insert(l, left ? 0 : l->n, e1);
            ml_insert(l, left ? 0 : l->n, e2);
        }
        break;
    }
    case 2:
        pop_model(c, k, 1);
        break;
    case 3:
        pop_model(c, k, 0);
        break;
    case 4: { /* LINSERT */
        int after = rnd(2);
        const char *pivot = random_element(buf), *elem = random_element(buf2);
        redisReply *r = cmd(c, "LINSERT %s %s %s %s", key, after ? "AFTER" : "BEFORE", pivot, elem);
        if (l->n == 0) {
            expect_int(r, 0);
            break;
        }
        size_t i = 0;
        while (i < l->n && strcmp(l->v[i], pivot) != 0)
            i++;
        if (i == l->n) {
            expect_int(r, -1);
            break;
        }
        ml_insert(l, i + (size_t)after, elem);
        expect_int(r, (long long)l->n);
        break;
    }
    case 5: { /* LSET */
        long idx = (long)rnd((unsigned)l->n * 2 + 2) - (long)l->n - 1;
        const char *elem = random_element(buf);
        redisReply *r = cmd(c, "LSET %s %ld %s", key, idx, elem);
        long at = norm_index(idx, l->n);
        if (l->n == 0) {
            expect_err(r, "ERR no such key");
        } else if (at < 0) {
            expect_err(r, "ERR index out of range");
        } else {
            expect_status(r, "OK");
            free(l->v[at]);
            l->v[at] = strdup(elem);
        }
        break;
    }
    case 6: { /* LREM */
        long count = (long)rnd(5) - 2;
        const char *elem = random_element(buf);
        long removed = 0;
        if (count >= 0) {
            for (size_t i = 0; i < l->n;) {
                if (strcmp(l->v[i], elem) == 0 && (count == 0 || removed < count)) {
                    ml_delete(l, i);
                    removed++;
                } else {
                    i++;
                }
            }
        } else {
            for (size_t i = l->n; i-- > 0;) {
                if (strcmp(l->v[i], elem) == 0 && removed < -count) {
                    ml_delete(l, i);
                    removed++;
                }
            }
        }
        expect_int(cmd(c, "LREM %s %ld %s", key, count, elem), removed);
        break;
    }
    case 7: { /* LTRIM, rarely: it empties lists */
        if (rnd(4))
            break;
        long n = (long)l->n;
        long start = (long)rnd((unsigned)n + 3) - 2, end = (long)rnd((unsigned)n + 3) - 2 + (n > 4 ? n / 2 : 0);
        expect_status(cmd(c, "LTRIM %s %ld %ld", key, start, end), "OK");
        long s = start < 0 ? start + n : start, e = end < 0 ? end + n : end;
        if (s < 0)
            s = 0;
        if (s > e || s >= n) {
            while (l->n)
                ml_delete(l, l->n - 1);
        } else {
            if (e >= n)
                e = n - 1;
            while ((long)l->n > e + 1)
                ml_delete(l, l->n - 1);
            for (long i = 0; i < s; i++)
                ml_delete(l, 0);
        }
        break;
    }
    case 8: { /* LRANGE */
        long n = (long)l->n + 2;
        check_range(c, k, (long)rnd((unsigned)n * 2) - n, (long)rnd((unsigned)n * 2) - n);
        break;
    }
    case 9: { /* LINDEX */
        long idx = (long)rnd((unsigned)l->n * 2 + 2) - (long)l->n - 1;
        long at = norm_index(idx, l->n);
        if (at < 0)
            expect_nil(cmd(c, "LINDEX %s %ld", key, idx));
        else
            expect_str(cmd(c, "LINDEX %s %ld", key, idx), l->v[at]);
        break;
    }
    case 10: { /* LPOS [RANK r] [COUNT n] [MAXLEN m] */
        const char *elem = random_element(buf);
        long rank = rnd(3) ? 1 : (long)rnd(5) - 2;
        if (rank == 0)
            rank = -1;
        long count = rnd(2) ? -1 : (long)rnd(4);
        long maxlen = rnd(3) ? 0 : (long)rnd((unsigned)l->n + 2);
        /* expected matches */
        long found[64];
        long nfound = 0, matches = 0;
        long n = (long)l->n;
        for (long scanned = 0; scanned < n && (maxlen == 0 || scanned < maxlen); scanned++) {
            long i = rank > 0 ? scanned : n - 1 - scanned;
            if (strcmp(l->v[i], elem) != 0)
                continue;
            matches++;
            if (matches < (rank > 0 ? rank : -rank))
                continue;
            found[nfound++] = i;
            if (count == -1 || (count && nfound >= count) || nfound == 64)
                break;
        }
        redisReply *r = count == -1
                            ? cmd(c, "LPOS %s %s RANK %ld MAXLEN %ld", key, elem, rank, maxlen)
                            : cmd(c, "LPOS %s %s RANK %ld MAXLEN %ld COUNT %ld", key, elem, rank, maxlen, count);
        if (count == -1) {
            if (nfound)
                expect_int(r, found[0]);
            else
                expect_nil(r);
        } else {
            cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "LPOS: %s", describe_reply(r));
            if (nfound < 64) {
                cr_assert_eq(r->elements, (size_t)nfound, "LPOS: %s", describe_reply(r));
                for (long i = 0; i < nfound; i++)
                    assert_int(r->element[i], found[i]);
            }
            freeReplyObject(r);
        }
        break;
    }
    case 11: { /* LMOVE */
        int k2 = (int)rnd(NKEYS);
        int from_left = rnd(2), to_left = rnd(2);
        redisReply *r =
            cmd(c, "LMOVE %s %s %s %s", key, keys[k2], from_left ? "LEFT" : "RIGHT", to_left ? "LEFT" : "RIGHT");
        if (l->n == 0) {
            expect_nil(r);
            break;
        }
        size_t at = from_left ? 0 : l->n - 1;
        char *moved = strdup(l->v[at]);
        expect_str(r, moved);
        ml_delete(l, at);
        ml_insert(&lists[k2], to_left ? 0 : lists[k2].n, moved);
        free(moved);
        break;
    }
    case 12:
        expect_int(cmd(c, "LLEN %s", key), (long long)l->n);
        break;
    case 13:
        expect_int(cmd(c, "EXISTS %s", key), l->n > 0);
        break;
    }
}

static void model_run(int fill, unsigned small, unsigned long long seed, int steps)
{
    small_share = small;
    redisContext *c = client_connect();
    if (fill != -2)
        expect_status(cmd(c, "CONFIG SET list-max-listpack-size %d", fill), "OK");
    rng_state = seed;
    for (int step = 0; step < steps; step++)
        one_step(c);
    for (int k = 0; k < NKEYS; k++) {
        check_range(c, k, 0, -1);
        ml_clear(&lists[k]);
    }
    redisFree(c);
}

Test(list_model, small_nodes_of_four)
{
    model_run(4, 16, 1, 4000);
}

Test(list_model, default_eight_kb_nodes)
{
    model_run(-2, 8, 2, 4000); /* long elements: lists pass 8 KB */
}

Test(list_model, one_element_per_node)
{
    model_run(1, 16, 3, 2000);
}
