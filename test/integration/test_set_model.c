/*
 * test_set_model.c - a randomized model test of the set commands: thousands
 * of random SADD, SREM, SPOP, SRANDMEMBER, SISMEMBER, SMISMEMBER, SCARD,
 * SMEMBERS, SMOVE, SINTER, SINTERCARD, SUNION, SDIFF and their STOREs on a
 * few keys, each reply compared with an in-test model.
 *
 * The model: members come from a fixed universe of 64 (integers, short and
 * long strings), so a set is a 64-bit mask and every set operation is a
 * bitwise one. Replies are compared order-independently (a reply must hold
 * distinct members of the universe, exactly the expected mask). SPOP and
 * SRANDMEMBER are random: the model checks the reply is a valid choice
 * (right size, members of the set, distinct when they must be) and SPOP
 * removes from the model what the server returned.
 *
 * Runs twice: with the default thresholds (sets mostly compact) and with
 * thresholds forced low so sets convert between encodings all the time.
 * Key names carry no hash tag, so with several threads the multi-key
 * commands span shards. The seed is fixed per run and printed on failure.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(set_model, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define UNIVERSE 64
#define NKEYS 5
#define OPS 4000

static char universe[UNIVERSE][32];

static void universe_init(void)
{
    for (int i = 0; i < UNIVERSE; i++) {
        if (i < 24)
            snprintf(universe[i], sizeof(universe[i]), "%d", i - 4); /* -4 .. 19 */
        else if (i < 28)
            snprintf(universe[i], sizeof(universe[i]), "%lld", 100000LL * (i - 23) * (i - 23) * 1000000LL);
        else if (i < 48)
            snprintf(universe[i], sizeof(universe[i]), "m%d", i);
        else if (i < 56)
            snprintf(universe[i], sizeof(universe[i]), "a-longer-member-%d", i);
        else
            snprintf(universe[i], sizeof(universe[i]), "0%d", i); /* not integers: leading zero */
    }
}

static int member_index(const char *s, size_t len)
{
    for (int i = 0; i < UNIVERSE; i++) {
        if (strlen(universe[i]) == len && memcmp(universe[i], s, len) == 0)
            return i;
    }
    return -1;
}

static const char *keyname(int k)
{
    static const char *names[NKEYS] = {"set:a", "set:b", "set:c", "set:d", "set:e"};
    return names[k];
}

struct model {
    uint64_t sets[NKEYS];
    unsigned seed;
    int op;
};

static unsigned rnd(struct model *m)
{
    return (unsigned)rand_r(&m->seed);
}

/* The mask of an array reply of members; fails on duplicates or strangers
 * unless dups_ok (then the mask is of the distinct ones). */
static uint64_t reply_mask(struct model *m, redisReply *r, int dups_ok)
{
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "op %d: %s", m->op, describe_reply(r));
    uint64_t mask = 0;
    for (size_t i = 0; i < r->elements; i++) {
        redisReply *e = r->element[i];
        cr_assert_eq(e->type, REDIS_REPLY_STRING, "op %d", m->op);
        int idx = member_index(e->str, e->len);
        cr_assert(idx >= 0, "op %d: unknown member %s", m->op, e->str);
        cr_assert(dups_ok || !(mask & (1ULL << idx)), "op %d: duplicate %s", m->op, e->str);
        mask |= 1ULL << idx;
    }
    return mask;
}

static void expect_mask(struct model *m, redisReply *r, uint64_t want)
{
    uint64_t got = reply_mask(m, r, 0);
    cr_assert_eq(got, want, "op %d (seed %u): got %016llx want %016llx", m->op, m->seed, (unsigned long long)got,
                 (unsigned long long)want);
    freeReplyObject(r);
}

static void expect_integer(struct model *m, redisReply *r, long long want)
{
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer == want, "op %d: got %s want %lld", m->op, describe_reply(r),
              want);
    freeReplyObject(r);
}

/* argv builder: command, keys and members. */
struct argv {
    const char *v[32];
    char owned[4][24];
    int n;
};

static void arg(struct argv *a, const char *s)
{
    a->v[a->n++] = s;
}

static redisReply *run(redisContext *c, struct argv *a)
{
    return cmd_argv(c, a->n, a->v, NULL);
}

/* 1..max random distinct-or-not members; returns their mask. */
static uint64_t add_members(struct model *m, struct argv *a, int max)
{
    int n = 1 + (int)(rnd(m) % (unsigned)max);
    uint64_t mask = 0;
    for (int i = 0; i < n; i++) {
        /* favour integers half of the time so intsets appear */
        int idx = rnd(m) % 2 ? (int)(rnd(m) % 28) : (int)(rnd(m) % UNIVERSE);
        arg(a, universe[idx]);
        mask |= 1ULL << idx;
    }
    return mask;
}

static int popcount(uint64_t x)
{
    return __builtin_popcountll(x);
}

static int random_keys(struct model *m, struct argv *a, int *keys)
{
    int n = 1 + (int)(rnd(m) % 3);
    for (int i = 0; i < n; i++) {
        keys[i] = (int)(rnd(m) % NKEYS);
        arg(a, keyname(keys[i]));
    }
    return n;
}

static void run_model(unsigned seed)
{
    redisContext *c = client_connect();
    universe_init();
    struct model m;
    memset(&m, 0, sizeof(m));
    m.seed = seed;
    for (m.op = 0; m.op < OPS; m.op++) {
        struct argv a = {.n = 0};
        int k = (int)(rnd(&m) % NKEYS), keys[4];
        uint64_t *s = &m.sets[k];
        unsigned kind = rnd(&m) % 16;
        switch (kind) {
        case 0:
        case 1:
        case 2: { /* SADD */
            arg(&a, "SADD");
            arg(&a, keyname(k));
            uint64_t add = add_members(&m, &a, 8);
            expect_integer(&m, run(c, &a), popcount(add & ~*s));
            *s |= add;
            break;
        }
        case 3: { /* SREM */
            arg(&a, "SREM");
            arg(&a, keyname(k));
            uint64_t rem = add_members(&m, &a, 4);
            expect_integer(&m, run(c, &a), popcount(rem & *s));
            *s &= ~rem;
            break;
        }
        case 4: { /* SPOP [count] */
            arg(&a, "SPOP");
            arg(&a, keyname(k));
            if (rnd(&m) % 3 == 0) {
                redisReply *r = run(c, &a);
                if (!*s) {
                    cr_assert_eq(r->type, REDIS_REPLY_NIL, "op %d: %s", m.op, describe_reply(r));
                } else {
                    cr_assert_eq(r->type, REDIS_REPLY_STRING, "op %d: %s", m.op, describe_reply(r));
                    int idx = member_index(r->str, r->len);
                    cr_assert(idx >= 0 && (*s & (1ULL << idx)), "op %d: popped %s", m.op, r->str);
                    *s &= ~(1ULL << idx);
                }
                freeReplyObject(r);
            } else {
                int count = (int)(rnd(&m) % 12);
                snprintf(a.owned[0], sizeof(a.owned[0]), "%d", count);
                arg(&a, a.owned[0]);
                redisReply *r = run(c, &a);
                uint64_t got = reply_mask(&m, r, 0);
                int want = count < popcount(*s) ? count : popcount(*s);
                cr_assert_eq((int)r->elements, want, "op %d", m.op);
                cr_assert_eq(got & ~*s, 0, "op %d: popped a non-member", m.op);
                *s &= ~got;
                freeReplyObject(r);
            }
            break;
        }
        case 5: { /* SRANDMEMBER count */
            arg(&a, "SRANDMEMBER");
            arg(&a, keyname(k));
            int count = (int)(rnd(&m) % 25) - 12;
            snprintf(a.owned[0], sizeof(a.owned[0]), "%d", count);
            arg(&a, a.owned[0]);
            redisReply *r = run(c, &a);
            uint64_t got = reply_mask(&m, r, count < 0);
            int size = popcount(*s);
            int want = !size ? 0 : count < 0 ? -count : (count < size ? count : size);
            cr_assert_eq((int)r->elements, want, "op %d: SRANDMEMBER %d of %d", m.op, count, size);
            cr_assert_eq(got & ~*s, 0, "op %d", m.op);
            freeReplyObject(r);
            break;
        }
        case 6: { /* SISMEMBER / SMISMEMBER */
            int idx = (int)(rnd(&m) % UNIVERSE);
            expect_integer(&m, cmd(c, "SISMEMBER %s %s", keyname(k), universe[idx]), (*s >> idx) & 1);
            int i1 = (int)(rnd(&m) % UNIVERSE), i2 = (int)(rnd(&m) % UNIVERSE);
            redisReply *r = cmd(c, "SMISMEMBER %s %s %s", keyname(k), universe[i1], universe[i2]);
            cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "op %d", m.op);
            cr_assert_eq(r->element[0]->integer, (long long)((*s >> i1) & 1), "op %d", m.op);
            cr_assert_eq(r->element[1]->integer, (long long)((*s >> i2) & 1), "op %d", m.op);
            freeReplyObject(r);
            break;
        }
        case 7: /* SCARD, SMEMBERS */
            expect_integer(&m, cmd(c, "SCARD %s", keyname(k)), popcount(*s));
            expect_mask(&m, cmd(c, "SMEMBERS %s", keyname(k)), *s);
            break;
        case 8: { /* SMOVE */
            int d = (int)(rnd(&m) % NKEYS);
            int idx = rnd(&m) % 2 ? (int)(rnd(&m) % 28) : (int)(rnd(&m) % UNIVERSE);
            uint64_t bit = 1ULL << idx;
            expect_integer(&m, cmd(c, "SMOVE %s %s %s", keyname(k), keyname(d), universe[idx]), (*s & bit) != 0);
            if (*s & bit) {
                *s &= ~bit;
                m.sets[d] |= bit;
            }
            break;
        }
        case 9:
        case 10:
        case 11: { /* SINTER / SUNION / SDIFF */
            static const char *names[] = {"SINTER", "SUNION", "SDIFF"};
            int which = (int)kind - 9;
            arg(&a, names[which]);
            int n = random_keys(&m, &a, keys);
            uint64_t want = m.sets[keys[0]];
            for (int i = 1; i < n; i++) {
                if (which == 0)
                    want &= m.sets[keys[i]];
                else if (which == 1)
                    want |= m.sets[keys[i]];
                else
                    want &= ~m.sets[keys[i]];
            }
            expect_mask(&m, run(c, &a), want);
            break;
        }
        case 12:
        case 13:
        case 14: { /* *STORE */
            static const char *names[] = {"SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"};
            int which = (int)kind - 12;
            arg(&a, names[which]);
            arg(&a, keyname(k));
            int n = random_keys(&m, &a, keys);
            uint64_t want = m.sets[keys[0]];
            for (int i = 1; i < n; i++) {
                if (which == 0)
                    want &= m.sets[keys[i]];
                else if (which == 1)
                    want |= m.sets[keys[i]];
                else
                    want &= ~m.sets[keys[i]];
            }
            expect_integer(&m, run(c, &a), popcount(want));
            *s = want;
            break;
        }
        default: { /* SINTERCARD [LIMIT] */
            arg(&a, "SINTERCARD");
            snprintf(a.owned[0], sizeof(a.owned[0]), "%d", 1 + (int)(rnd(&m) % 3));
            arg(&a, a.owned[0]);
            int n = atoi(a.owned[0]);
            uint64_t want = ~0ULL;
            for (int i = 0; i < n; i++) {
                keys[i] = (int)(rnd(&m) % NKEYS);
                arg(&a, keyname(keys[i]));
                want &= m.sets[keys[i]];
            }
            long long card = popcount(want);
            if (rnd(&m) % 2) {
                int limit = (int)(rnd(&m) % 6);
                snprintf(a.owned[1], sizeof(a.owned[1]), "%d", limit);
                arg(&a, "LIMIT");
                arg(&a, a.owned[1]);
                if (limit && card > limit)
                    card = limit;
            }
            expect_integer(&m, run(c, &a), card);
            break;
        }
        }
        /* Every so often, the whole state. */
        if (m.op % 500 == 499) {
            for (int i = 0; i < NKEYS; i++) {
                expect_mask(&m, cmd(c, "SMEMBERS %s", keyname(i)), m.sets[i]);
                expect_integer(&m, cmd(c, "EXISTS %s", keyname(i)), m.sets[i] != 0);
            }
        }
    }
    redisFree(c);
}

Test(set_model, default_thresholds)
{
    run_model(12345);
}

Test(set_model, low_thresholds)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET set-max-intset-entries 3"), "OK");
    if (!server_is_redis()) { /* 7.0 has no set listpack */
        expect_status(cmd(c, "CONFIG SET set-max-listpack-entries 5"), "OK");
        expect_status(cmd(c, "CONFIG SET set-max-listpack-value 8"), "OK");
    }
    redisFree(c);
    run_model(777);
}

Test(set_model, zero_thresholds)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET set-max-intset-entries 0"), "OK");
    if (!server_is_redis()) {
        expect_status(cmd(c, "CONFIG SET set-max-listpack-entries 0"), "OK");
        expect_status(cmd(c, "CONFIG SET set-max-listpack-value 0"), "OK");
    }
    redisFree(c);
    run_model(4242);
}
