/*
 * test_collections_xshard.c - multi-key collection commands whose keys live
 * on different shards: results, atomicity under concurrent clients, WATCH,
 * and moving whole collections between shards (RENAME, COPY, MOVE).
 *
 * Why: with 2 or more threads, SMOVE, LMOVE, SINTERSTORE or ZUNIONSTORE read
 * and write keys owned by several shard threads. The dispatcher gathers the
 * keys under the transaction locks, runs the command once and puts the
 * results back; these tests check that the results are Redis's, that no
 * client ever sees a half-done move (the total number of members across two
 * keys never changes), and that keys only read by a command do not break a
 * WATCH while written ones do.
 *
 * Key names are plain (no hash tags) so that they spread over the shards.
 * Worker threads never call Criterion assertions; they count problems in
 * atomics that the main thread checks after joining.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(xshard, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

Test(xshard, set_algebra_across_shards)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD xs:a 1 2 3 4 x"), 5);
    expect_int(cmd(c, "SADD xs:b 3 4 5 x"), 4);
    expect_int(cmd(c, "SADD xs:c 4 x 9"), 3);
    expect_str_set(cmd(c, "SINTER xs:a xs:b xs:c"), 2, "4", "x");
    expect_str_set(cmd(c, "SUNION xs:a xs:c"), 6, "1", "2", "3", "4", "x", "9");
    expect_str_set(cmd(c, "SDIFF xs:a xs:b"), 2, "1", "2");
    expect_int(cmd(c, "SINTERCARD 3 xs:a xs:b xs:c"), 2);
    expect_int(cmd(c, "SINTERSTORE xs:dst xs:a xs:b"), 3);
    expect_str_set(cmd(c, "SMEMBERS xs:dst"), 3, "3", "4", "x");
    expect_int(cmd(c, "SUNIONSTORE xs:dst xs:b xs:c"), 5);
    expect_int(cmd(c, "SCARD xs:dst"), 5);
    /* an empty result deletes the destination */
    expect_int(cmd(c, "SDIFFSTORE xs:dst xs:c xs:a"), 1);
    expect_int(cmd(c, "SINTERSTORE xs:dst xs:a xs:none"), 0);
    expect_int(cmd(c, "EXISTS xs:dst"), 0);
    /* the sources are untouched */
    expect_int(cmd(c, "SCARD xs:a"), 5);
    expect_int(cmd(c, "SCARD xs:b"), 4);
    /* SMOVE between shards */
    expect_int(cmd(c, "SMOVE xs:a xs:b 1"), 1);
    expect_int(cmd(c, "SMOVE xs:a xs:b nope"), 0);
    expect_int(cmd(c, "SISMEMBER xs:b 1"), 1);
    expect_int(cmd(c, "SISMEMBER xs:a 1"), 0);
    /* a wrong type anywhere is an error and changes nothing */
    expect_status(cmd(c, "SET xs:str v"), "OK");
    expect_err(cmd(c, "SUNIONSTORE xs:a xs:b xs:str"),
               "WRONGTYPE Operation against a key holding the wrong kind of value");
    expect_int(cmd(c, "SCARD xs:a"), 4);
    redisFree(c);
}

Test(xshard, lists_and_sorted_sets_across_shards)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH xs:l1 a b c"), 3);
    expect_str(cmd(c, "LMOVE xs:l1 xs:l2 LEFT RIGHT"), "a");
    expect_str(cmd(c, "RPOPLPUSH xs:l1 xs:l2"), "c");
    expect_strs(cmd(c, "LRANGE xs:l2 0 -1"), 2, "c", "a");
    expect_strs(cmd(c, "LRANGE xs:l1 0 -1"), 1, "b");
    redisReply *r = expect_array(cmd(c, "LMPOP 3 xs:none xs:l2 xs:l1 RIGHT COUNT 5"), 2);
    assert_str(r->element[0], "xs:l2");
    assert_strs(r->element[1], 2, "a", "c");
    freeReplyObject(r);
    expect_int(cmd(c, "EXISTS xs:l2"), 0);

    expect_int(cmd(c, "ZADD xs:z1 1 a 2 b 3 c"), 3);
    expect_int(cmd(c, "ZADD xs:z2 10 b 20 c 30 d"), 3);
    expect_int(cmd(c, "ZUNIONSTORE xs:zu 2 xs:z1 xs:z2 WEIGHTS 1 2"), 4);
    expect_strs(cmd(c, "ZRANGE xs:zu 0 -1 WITHSCORES"), 8, "a", "1", "b", "22", "c", "43", "d", "60");
    expect_int(cmd(c, "ZINTERSTORE xs:zi 2 xs:z1 xs:z2 AGGREGATE MAX"), 2);
    expect_strs(cmd(c, "ZRANGE xs:zi 0 -1 WITHSCORES"), 4, "b", "10", "c", "20");
    expect_strs(cmd(c, "ZDIFF 2 xs:z1 xs:z2"), 1, "a");
    expect_int(cmd(c, "ZINTERCARD 2 xs:z1 xs:z2"), 2);
    expect_int(cmd(c, "ZRANGESTORE xs:zr xs:z2 0 1"), 2);
    expect_strs(cmd(c, "ZRANGE xs:zr 0 -1"), 2, "b", "c");
    r = expect_array(cmd(c, "ZMPOP 2 xs:zempty xs:z1 MAX"), 2);
    assert_str(r->element[0], "xs:z1");
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(r->element[1]->elements, 1);
    assert_strs(r->element[1]->element[0], 2, "c", "3");
    freeReplyObject(r);
    redisFree(c);
}

Test(xshard, collections_move_between_shards_whole)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "HSET xs:h f1 v1 f2 v2"), 2);
    expect_status(cmd(c, "RENAME xs:h xs:h2"), "OK");
    expect_strs(cmd(c, "HMGET xs:h2 f1 f2"), 2, "v1", "v2");
    expect_int(cmd(c, "COPY xs:h2 xs:h3"), 1);
    expect_int(cmd(c, "HSET xs:h3 f3 v3"), 1);
    expect_int(cmd(c, "HLEN xs:h2"), 2); /* a deep copy */
    expect_int(cmd(c, "HLEN xs:h3"), 3);
    expect_status(cmd(c, "TYPE xs:h3"), "hash");
    expect_int(cmd(c, "RPUSH xs:list 1 2 3"), 3);
    expect_int(cmd(c, "COPY xs:list xs:list2"), 1);
    expect_int(cmd(c, "RPUSH xs:list2 4"), 4);
    expect_int(cmd(c, "LLEN xs:list"), 3);
    expect_int(cmd(c, "ZADD xs:zz 1 a"), 1);
    expect_status(cmd(c, "RENAME xs:zz xs:zz2"), "OK");
    expect_str(cmd(c, "ZSCORE xs:zz2 a"), "1");
    expect_int(cmd(c, "SADD xs:ss a b"), 2);
    expect_int(cmd(c, "MOVE xs:ss 3"), 1);
    expect_status(cmd(c, "SELECT 3"), "OK");
    expect_int(cmd(c, "SCARD xs:ss"), 2);
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_int(cmd(c, "DEL xs:h2 xs:h3 xs:list xs:list2 xs:zz2"), 5);
    redisFree(c);
}

/* A key a command only reads does not break a WATCH; its destination does. */
Test(xshard, watch_sees_only_written_keys)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_int(cmd(c, "SADD xs:w1 a b"), 2);
    expect_int(cmd(c, "SADD xs:w2 b c"), 2);
    expect_status(cmd(c, "WATCH xs:w1"), "OK");
    expect_int(cmd(other, "SINTERSTORE xs:wdst xs:w1 xs:w2"), 1);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SCARD xs:w1"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    assert_int(r->element[0], 2);
    freeReplyObject(r);
    expect_status(cmd(c, "WATCH xs:wdst"), "OK");
    expect_int(cmd(other, "SUNIONSTORE xs:wdst xs:w1 xs:w2"), 3);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SCARD xs:wdst"), "QUEUED");
    r = cmd(c, "EXEC");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "EXEC after the watched destination changed: %s", describe_reply(r));
    freeReplyObject(r);
    redisFree(c);
    redisFree(other);
}

/* ---- concurrency ---- */

enum { MEMBERS = 50, MOVERS = 3 };

struct shared {
    atomic_int stop;
    atomic_long moves;
    atomic_long checks;
    atomic_long bad; /* a check that saw a total other than MEMBERS */
    atomic_long errors;
    int port;
    int lists; /* 0: SMOVE between sets, 1: LMOVE between lists */
};

static void *mover(void *arg)
{
    struct shared *sh = arg;
    redisContext *c = client_connect_port(sh->port);
    if (!c) {
        atomic_fetch_add(&sh->errors, 1);
        return NULL;
    }
    unsigned seed = (unsigned)(uintptr_t)&c;
    while (!atomic_load(&sh->stop)) {
        redisReply *r;
        int dir = rand_r(&seed) & 1;
        if (sh->lists)
            r = redisCommand(c, dir ? "LMOVE xs:ca xs:cb LEFT RIGHT" : "LMOVE xs:cb xs:ca RIGHT LEFT");
        else
            r = redisCommand(c, dir ? "SMOVE xs:ca xs:cb m%d" : "SMOVE xs:cb xs:ca m%d", rand_r(&seed) % MEMBERS);
        if (!r || r->type == REDIS_REPLY_ERROR)
            atomic_fetch_add(&sh->errors, 1);
        if (!r)
            break;
        freeReplyObject(r);
        atomic_fetch_add(&sh->moves, 1);
    }
    redisFree(c);
    return NULL;
}

static void *checker(void *arg)
{
    struct shared *sh = arg;
    redisContext *c = client_connect_port(sh->port);
    if (!c) {
        atomic_fetch_add(&sh->errors, 1);
        return NULL;
    }
    const char *count = sh->lists ? "LLEN" : "SCARD";
    while (!atomic_load(&sh->stop)) {
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "%s xs:ca", count);
        redisAppendCommand(c, "%s xs:cb", count);
        redisAppendCommand(c, "EXEC");
        redisReply *r = NULL;
        for (int i = 0; i < 4; i++) {
            if (r)
                freeReplyObject(r);
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                atomic_fetch_add(&sh->errors, 1);
                redisFree(c);
                return NULL;
            }
        }
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
            atomic_fetch_add(&sh->errors, 1);
        else if (r->element[0]->integer + r->element[1]->integer != MEMBERS)
            atomic_fetch_add(&sh->bad, 1);
        freeReplyObject(r);
        atomic_fetch_add(&sh->checks, 1);
    }
    redisFree(c);
    return NULL;
}

static void run_movers(int lists)
{
    redisContext *c = client_connect();
    for (int i = 0; i < MEMBERS; i++) {
        redisReply *r = lists ? cmd(c, "RPUSH xs:ca m%d", i) : cmd(c, "SADD xs:ca m%d", i);
        cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s", describe_reply(r));
        freeReplyObject(r);
    }
    struct shared *sh = calloc(1, sizeof(*sh));
    sh->port = server_port();
    sh->lists = lists;
    pthread_t t[MOVERS + 1];
    for (int i = 0; i < MOVERS; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, mover, sh), 0);
    cr_assert_eq(pthread_create(&t[MOVERS], NULL, checker, sh), 0);
    long long deadline = now_ms() + 1500;
    while (now_ms() < deadline)
        sleep_ms(50);
    atomic_store(&sh->stop, 1);
    for (int i = 0; i <= MOVERS; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(atomic_load(&sh->errors), 0, "%ld errors", atomic_load(&sh->errors));
    cr_assert_eq(atomic_load(&sh->bad), 0, "%ld of %ld checks saw a total other than %d (moves: %ld)",
                 atomic_load(&sh->bad), atomic_load(&sh->checks), MEMBERS, atomic_load(&sh->moves));
    cr_assert_gt(atomic_load(&sh->moves), 0);
    cr_assert_gt(atomic_load(&sh->checks), 0);
    const char *count = lists ? "LLEN" : "SCARD";
    redisReply *a = cmd(c, "%s xs:ca", count);
    redisReply *b = cmd(c, "%s xs:cb", count);
    cr_assert_eq(a->integer + b->integer, MEMBERS);
    freeReplyObject(a);
    freeReplyObject(b);
    free(sh);
    redisFree(c);
}

Test(xshard, concurrent_smove_never_loses_or_duplicates)
{
    run_movers(0);
}

Test(xshard, concurrent_lmove_never_loses_or_duplicates)
{
    run_movers(1);
}
