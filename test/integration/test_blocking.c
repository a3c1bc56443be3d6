/*
 * test_blocking.c - the blocking list and sorted-set commands (BLPOP, BRPOP,
 * BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP) against a live
 * server, with Redis 7.0's replies.
 *
 * Why: a blocked client waits on keys that a shard thread owns while its
 * connection lives on another thread (or keys on several shards at once);
 * the wake-up must reach it from whichever thread writes the key, exactly
 * one waiter gets each element, the longest-waiting one first, and a waiter
 * that times out or disconnects must neither hang nor swallow an element.
 *
 * Waiting clients send their command with redisAppendCommand and read the
 * reply later; wait_blocked() polls INFO clients' blocked_clients so a push
 * is only made once the waiters are really parked. Key names are distinct
 * (no hash tags), so with 2 or 4 threads they spread over the shards.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(blocking, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

/* Sends a command without reading its reply. */
static void send_cmd(redisContext *c, const char *fmt, const char *a, const char *b)
{
    cr_assert_eq(redisAppendCommand(c, fmt, a, b), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(c, &done), REDIS_OK);
}

Test(blocking, data_present_is_served_at_once)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH bl:a x y"), 2);
    expect_strs(cmd(c, "BLPOP bl:none bl:a 0"), 2, "bl:a", "x");
    expect_strs(cmd(c, "BRPOP bl:a 0"), 2, "bl:a", "y");
    expect_int(cmd(c, "EXISTS bl:a"), 0);
    expect_int(cmd(c, "ZADD bl:z 1 one 2 two"), 2);
    redisReply *r = expect_array(cmd(c, "BZPOPMIN bl:z 0"), 3);
    assert_str(r->element[0], "bl:z");
    assert_str(r->element[1], "one");
    assert_str(r->element[2], "1");
    freeReplyObject(r);
    redisFree(c);
}

Test(blocking, timeout_replies_nil)
{
    redisContext *c = client_connect();
    long long t0 = now_ms();
    redisReply *r = cmd(c, "BLPOP bl:empty1 bl:empty2 0.2");
    long long elapsed = now_ms() - t0;
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "BLPOP timeout: %s", describe_reply(r));
    freeReplyObject(r);
    cr_assert_geq(elapsed, 150, "BLPOP returned after %lld ms, before its 200 ms timeout", elapsed);
    r = cmd(c, "BZPOPMAX bl:emptyz 0.05");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "BZPOPMAX timeout: %s", describe_reply(r));
    freeReplyObject(r);
    /* a fraction of a millisecond rounds up to 1 ms (Redis: ceill), it is
     * not "block forever" */
    r = cmd(c, "BLPOP bl:empty3 0.0001");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "BLPOP 0.0001: %s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(c, "BLMPOP 0.001 2 bl:empty4 bl:empty5 LEFT");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "BLMPOP 0.001: %s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(c, "BLMOVE bl:e1 bl:e2 LEFT RIGHT 0.05");
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "BLMOVE timeout: %s", describe_reply(r));
    freeReplyObject(r);
    /* the connection works normally afterwards */
    expect_status(cmd(c, "PING"), "PONG");
    wait_blocked(c, 0, 5000);
    redisFree(c);
}

Test(blocking, bad_timeouts_and_wrong_type)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "BLPOP bl:k -1"), "ERR timeout is negative");
    expect_err(cmd(c, "BLPOP bl:k abc"), "ERR timeout is not a float or out of range");
    expect_err(cmd(c, "BZPOPMIN bl:k nan"), "ERR timeout is not a float or out of range");
    expect_err(cmd(c, "BLMPOP -2 1 bl:k LEFT"), "ERR timeout is negative");
    expect_status(cmd(c, "SET bl:str v"), "OK");
    expect_err(cmd(c, "BLPOP bl:str 1"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    expect_err(cmd(c, "BZPOPMIN bl:str 1"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    redisFree(c);
}

Test(blocking, push_from_another_client_wakes_the_waiter)
{
    redisContext *waiter = client_connect();
    redisContext *pusher = client_connect();
    send_cmd(waiter, "BLPOP %s %s", "bl:q", "10");
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "RPUSH bl:q hello"), 1);
    expect_strs(next_reply(waiter), 2, "bl:q", "hello");
    expect_int(cmd(pusher, "EXISTS bl:q"), 0);
    wait_blocked(pusher, 0, 5000);
    redisFree(waiter);
    redisFree(pusher);
}

/* BLPOP on keys that live on different shards (with 2+ threads): data on
 * any of them wakes the waiter, which gets the key that has data. */
Test(blocking, keys_on_several_shards)
{
    redisContext *waiter = client_connect();
    redisContext *pusher = client_connect();
    cr_assert_eq(redisAppendCommand(waiter, "BLPOP bl:s1 bl:s2 bl:s3 bl:s4 bl:s5 10"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "LPUSH bl:s4 v4"), 1);
    expect_strs(next_reply(waiter), 2, "bl:s4", "v4");
    expect_int(cmd(pusher, "EXISTS bl:s4"), 0);
    wait_blocked(pusher, 0, 5000);
    /* and again with sorted sets */
    cr_assert_eq(redisAppendCommand(waiter, "BZPOPMIN bl:z1 bl:z2 bl:z3 10"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "ZADD bl:z3 5 m"), 1);
    redisReply *r = expect_array(next_reply(waiter), 3);
    assert_str(r->element[0], "bl:z3");
    assert_str(r->element[1], "m");
    assert_str(r->element[2], "5");
    freeReplyObject(r);
    redisFree(waiter);
    redisFree(pusher);
}

/* Three clients block on one key in turn; three elements pushed at once go
 * to them in the order they blocked. */
Test(blocking, longest_waiting_client_is_served_first)
{
    redisContext *w[3];
    redisContext *pusher = client_connect();
    for (int i = 0; i < 3; i++) {
        w[i] = client_connect();
        send_cmd(w[i], "BLPOP %s %s", "bl:fair", "10");
        wait_blocked(pusher, i + 1, 5000);
    }
    expect_int(cmd(pusher, "RPUSH bl:fair first second third"), 3);
    expect_strs(next_reply(w[0]), 2, "bl:fair", "first");
    expect_strs(next_reply(w[1]), 2, "bl:fair", "second");
    expect_strs(next_reply(w[2]), 2, "bl:fair", "third");
    expect_int(cmd(pusher, "EXISTS bl:fair"), 0);
    for (int i = 0; i < 3; i++)
        redisFree(w[i]);
    redisFree(pusher);
}

/* One element for two waiters: exactly one gets it, the other keeps
 * waiting and gets the next one. */
Test(blocking, each_element_goes_to_one_waiter)
{
    redisContext *a = client_connect();
    redisContext *b = client_connect();
    redisContext *pusher = client_connect();
    send_cmd(a, "BRPOP %s %s", "bl:one", "10");
    wait_blocked(pusher, 1, 5000);
    send_cmd(b, "BRPOP %s %s", "bl:one", "10");
    wait_blocked(pusher, 2, 5000);
    expect_int(cmd(pusher, "LPUSH bl:one e1"), 1);
    expect_strs(next_reply(a), 2, "bl:one", "e1");
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "LPUSH bl:one e2"), 1);
    expect_strs(next_reply(b), 2, "bl:one", "e2");
    redisFree(a);
    redisFree(b);
    redisFree(pusher);
}

Test(blocking, inside_multi_does_not_block)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "BLPOP bl:m1 0"), "QUEUED");
    expect_status(cmd(c, "BZPOPMIN bl:m2 0"), "QUEUED");
    expect_status(cmd(c, "BLMOVE bl:m3 bl:m4 LEFT LEFT 0"), "QUEUED");
    expect_status(cmd(c, "RPUSH bl:m5 v"), "QUEUED");
    expect_status(cmd(c, "BLPOP bl:m5 0"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 5);
    cr_assert_eq(r->element[0]->type, REDIS_REPLY_NIL, "BLPOP in MULTI: %s", describe_reply(r->element[0]));
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL, "BZPOPMIN in MULTI: %s", describe_reply(r->element[1]));
    cr_assert_eq(r->element[2]->type, REDIS_REPLY_NIL, "BLMOVE in MULTI: %s", describe_reply(r->element[2]));
    assert_int(r->element[3], 1);
    assert_strs(r->element[4], 2, "bl:m5", "v");
    freeReplyObject(r);
    redisFree(c);
}

/* A client that disconnects while blocked is forgotten: a later push is
 * not popped for it, the element stays in the list. */
Test(blocking, disconnect_while_blocked_loses_nothing)
{
    redisContext *waiter = client_connect();
    redisContext *other = client_connect();
    send_cmd(waiter, "BLPOP %s %s", "bl:gone", "0");
    wait_blocked(other, 1, 5000);
    redisFree(waiter);
    wait_blocked(other, 0, 5000);
    expect_int(cmd(other, "RPUSH bl:gone kept"), 1);
    expect_strs(cmd(other, "LRANGE bl:gone 0 -1"), 1, "kept");
    /* same for a waiter on keys of several shards */
    waiter = client_connect();
    cr_assert_eq(redisAppendCommand(waiter, "BLPOP bl:g1 bl:g2 bl:g3 0"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(other, 1, 5000);
    redisFree(waiter);
    wait_blocked(other, 0, 5000);
    expect_int(cmd(other, "RPUSH bl:g2 kept2"), 1);
    expect_int(cmd(other, "LLEN bl:g2"), 1);
    redisFree(other);
}

/* BLMOVE a->b and b->c wait; a push to a travels to c. */
Test(blocking, blmove_chain)
{
    redisContext *first = client_connect();
    redisContext *second = client_connect();
    redisContext *pusher = client_connect();
    cr_assert_eq(redisAppendCommand(second, "BLMOVE bl:b bl:c LEFT RIGHT 10"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(second, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    cr_assert_eq(redisAppendCommand(first, "BLMOVE bl:a bl:b RIGHT LEFT 10"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(first, &done), REDIS_OK);
    wait_blocked(pusher, 2, 5000);
    expect_int(cmd(pusher, "RPUSH bl:a item"), 1);
    expect_str(next_reply(first), "item");
    expect_str(next_reply(second), "item");
    expect_int(cmd(pusher, "EXISTS bl:a bl:b"), 0);
    expect_strs(cmd(pusher, "LRANGE bl:c 0 -1"), 1, "item");
    /* BRPOPLPUSH is BLMOVE RIGHT LEFT */
    cr_assert_eq(redisAppendCommand(first, "BRPOPLPUSH bl:d bl:c 10"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(first, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "RPUSH bl:d one two"), 2);
    expect_str(next_reply(first), "two");
    expect_strs(cmd(pusher, "LRANGE bl:c 0 -1"), 2, "two", "item");
    expect_strs(cmd(pusher, "LRANGE bl:d 0 -1"), 1, "one");
    redisFree(first);
    redisFree(second);
    redisFree(pusher);
}

Test(blocking, blmpop_and_bzmpop)
{
    redisContext *waiter = client_connect();
    redisContext *pusher = client_connect();
    cr_assert_eq(redisAppendCommand(waiter, "BLMPOP 10 2 bl:mp1 bl:mp2 RIGHT COUNT 2"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "RPUSH bl:mp2 a b c"), 3);
    redisReply *r = expect_array(next_reply(waiter), 2);
    assert_str(r->element[0], "bl:mp2");
    assert_strs(r->element[1], 2, "c", "b");
    freeReplyObject(r);
    cr_assert_eq(redisAppendCommand(waiter, "BZMPOP 10 2 bl:zp1 bl:zp2 MIN"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "ZADD bl:zp1 3 c 1 a 2 b"), 3);
    r = expect_array(next_reply(waiter), 2);
    assert_str(r->element[0], "bl:zp1");
    redisReply *pairs = r->element[1];
    cr_assert_eq(pairs->type, REDIS_REPLY_ARRAY);
    cr_assert_eq(pairs->elements, 1);
    assert_strs(pairs->element[0], 2, "a", "1");
    freeReplyObject(r);
    redisFree(waiter);
    redisFree(pusher);
}

/* A blocked client reads nothing more until it is served: the PING it sent
 * after BLPOP is answered after the BLPOP's reply. */
Test(blocking, later_commands_wait_for_the_blocked_one)
{
    redisContext *waiter = client_connect();
    redisContext *pusher = client_connect();
    cr_assert_eq(redisAppendCommand(waiter, "BLPOP bl:order 10"), REDIS_OK);
    cr_assert_eq(redisAppendCommand(waiter, "PING"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1, 5000);
    expect_int(cmd(pusher, "RPUSH bl:order x"), 1);
    expect_strs(next_reply(waiter), 2, "bl:order", "x");
    expect_status(next_reply(waiter), "PONG");
    redisFree(waiter);
    redisFree(pusher);
}

/* Many waiters on many keys, pushed from several connections: every
 * element is delivered exactly once. */
Test(blocking, many_waiters_every_element_once)
{
    enum { WAITERS = 20 };
    redisContext *w[WAITERS];
    redisContext *pusher = client_connect();
    char key[32];
    for (int i = 0; i < WAITERS; i++) {
        w[i] = client_connect();
        snprintf(key, sizeof(key), "bl:many%d", i % 5);
        send_cmd(w[i], "BLPOP %s %s", key, "10");
    }
    wait_blocked(pusher, WAITERS, 5000);
    for (int i = 0; i < WAITERS; i++) {
        char val[32];
        snprintf(key, sizeof(key), "bl:many%d", i % 5);
        snprintf(val, sizeof(val), "v%d", i);
        redisReply *r = cmd(pusher, "RPUSH %s %s", key, val);
        cr_assert_eq(r->type, REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    int seen[WAITERS] = {0};
    for (int i = 0; i < WAITERS; i++) {
        redisReply *r = expect_array(next_reply(w[i]), 2);
        int v = atoi(r->element[1]->str + 1);
        cr_assert(v >= 0 && v < WAITERS && !seen[v], "element %s delivered twice or unknown", r->element[1]->str);
        seen[v] = 1;
        freeReplyObject(r);
        redisFree(w[i]);
    }
    for (int k = 0; k < 5; k++) {
        snprintf(key, sizeof(key), "bl:many%d", k);
        redisReply *r = cmd(pusher, "EXISTS %s", key);
        assert_int(r, 0);
        freeReplyObject(r);
    }
    redisFree(pusher);
}

/* Data that arrives in the waiter's db by SWAPDB or MOVE wakes it too. */
Test(blocking, swapdb_and_move_wake_waiters)
{
    redisContext *waiter = client_connect();
    redisContext *other = client_connect();
    send_cmd(waiter, "BLPOP %s %s", "bl:sw", "10");
    wait_blocked(other, 1, 5000);
    expect_status(cmd(other, "SELECT 1"), "OK");
    expect_int(cmd(other, "RPUSH bl:sw from-db1"), 1);
    expect_status(cmd(other, "SWAPDB 0 1"), "OK");
    expect_strs(next_reply(waiter), 2, "bl:sw", "from-db1");
    expect_status(cmd(other, "SELECT 0"), "OK");
    expect_status(cmd(other, "FLUSHALL"), "OK");

    send_cmd(waiter, "BLPOP %s %s", "bl:mv", "10");
    wait_blocked(other, 1, 5000);
    expect_status(cmd(other, "SELECT 2"), "OK");
    expect_int(cmd(other, "RPUSH bl:mv moved"), 1);
    expect_int(cmd(other, "MOVE bl:mv 0"), 1);
    expect_strs(next_reply(waiter), 2, "bl:mv", "moved");
    redisFree(waiter);
    redisFree(other);
}

/* CLIENT LIST marks a blocked client with the b flag. */
Test(blocking, client_list_flags_blocked_client)
{
    redisContext *waiter = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(waiter, "CLIENT SETNAME blocked-one"), "OK");
    send_cmd(waiter, "BLPOP %s %s", "bl:cl", "10");
    wait_blocked(other, 1, 5000);
    redisReply *r = cmd(other, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "%s", describe_reply(r));
    const char *line = strstr(r->str, "name=blocked-one");
    cr_assert(line, "no line for the blocked client in %s", r->str);
    const char *start = line;
    while (start > r->str && start[-1] != '\n')
        start--;
    const char *flags = strstr(start, " flags=");
    cr_assert(flags && flags < strchr(start, '\n'), "no flags in %s", start);
    cr_assert_eq(flags[7], 'b', "blocked client's flags: %.20s", flags + 7);
    freeReplyObject(r);
    expect_int(cmd(other, "RPUSH bl:cl x"), 1);
    expect_strs(next_reply(waiter), 2, "bl:cl", "x");
    redisFree(waiter);
    redisFree(other);
}

/* The shard that owns `key` (INFO shards keys= grows when it is set); -1
 * on a server without INFO shards (Redis). */
static int key_shard(redisContext *c, const char *key)
{
    long long before[64] = {0}, after[64] = {0};
    int n = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1)
            expect_status(cmd(c, "SET %s probe", key), "OK");
        char *info = info_text(c, "shards");
        long long *counts = pass ? after : before;
        n = 0;
        for (const char *p = strstr(info, "\nshard"); p && n < 64; p = strstr(p + 1, "\nshard")) {
            int idx;
            long long keys;
            if (sscanf(p + 1, "shard%d:keys=%lld", &idx, &keys) == 2 && idx == n)
                counts[n++] = keys;
        }
        free(info);
    }
    expect_int(cmd(c, "DEL %s", key), 1);
    for (int i = 0; i < n; i++)
        if (after[i] == before[i] + 1)
            return i;
    return -1;
}

/* A name "<prefix><i>" owned by a shard other than `not_shard` (any when
 * there is one shard). */
static void key_elsewhere(redisContext *c, const char *prefix, int not_shard, char *out, size_t size)
{
    for (int i = 0; i < 200; i++) {
        snprintf(out, size, "%s%d", prefix, i);
        int sh = key_shard(c, out);
        if (sh < 0 || sh != not_shard)
            return;
    }
    cr_assert_fail("no key off shard %d", not_shard);
}

/*
 * Blocked clients see only what a whole EXEC left (Redis serves them after
 * EXEC): a key pushed, deleted and replaced by a string inside one EXEC
 * wakes nobody, and two pushes in one EXEC serve the head of the final list.
 * `other` is "" for an EXEC on one shard; else a key on another shard that
 * a spanning command in the block names, so EXEC runs command by command
 * under its locks.
 */
static void exec_result_only(const char *k, const char *z, const char *m, const char *other)
{
    redisContext *c = client_connect();
    redisContext *wl = client_connect();
    redisContext *wz = client_connect();
    redisContext *wm = client_connect();
    redisContext *wmz = client_connect();
    char zm[64];
    snprintf(zm, sizeof(zm), "%s:mpop", z);
    send_cmd(wl, "BLPOP %s %s", k, "0");
    send_cmd(wz, "BZPOPMIN %s %s", z, "0");
    cr_assert_eq(redisAppendCommand(wm, "BLMOVE %s %s:dst LEFT RIGHT 0", m, m), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(wm, &done), REDIS_OK);
    cr_assert_eq(redisAppendCommand(wmz, "BZMPOP 0 1 %s MIN", zm), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(wmz, &done), REDIS_OK);
    wait_blocked(c, 4, 5000);

    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "LPUSH %s a", k), "QUEUED");
    expect_status(cmd(c, "ZADD %s 1 a", z), "QUEUED");
    expect_status(cmd(c, "LPUSH %s a", m), "QUEUED");
    expect_status(cmd(c, "ZADD %s 1 a", zm), "QUEUED");
    if (*other)
        expect_status(cmd(c, "EXISTS %s %s", k, other), "QUEUED");
    expect_status(cmd(c, "DEL %s %s %s %s", k, z, m, zm), "QUEUED");
    expect_status(cmd(c, "SET %s foo", k), "QUEUED");
    expect_status(cmd(c, "SET %s foo", z), "QUEUED");
    expect_status(cmd(c, "SET %s foo", m), "QUEUED");
    expect_status(cmd(c, "SET %s foo", zm), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), *other ? 10 : 9);
    assert_int(r->element[0], 1); /* nobody took the element in the middle */
    assert_int(r->element[*other ? 5 : 4], 4);
    freeReplyObject(r);
    /* Nobody was woken: the first reply each waiter gets is for the
     * values pushed now. */
    expect_int(cmd(c, "DEL %s %s %s %s", k, z, m, zm), 4);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "RPUSH %s b", k), "QUEUED");
    expect_status(cmd(c, "RPUSH %s c", k), "QUEUED");
    if (*other)
        expect_status(cmd(c, "EXISTS %s %s", k, other), "QUEUED");
    expect_status(cmd(c, "LPUSH %s d", k), "QUEUED");
    expect_status(cmd(c, "ZADD %s 2 b", z), "QUEUED");
    expect_status(cmd(c, "ZADD %s 1 c", z), "QUEUED");
    expect_status(cmd(c, "RPUSH %s b", m), "QUEUED");
    expect_status(cmd(c, "ZADD %s 3 b", zm), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), *other ? 8 : 7);
    freeReplyObject(r);
    expect_strs(next_reply(wl), 2, k, "d"); /* the head of [d, b, c], not b */
    r = expect_array(next_reply(wz), 3);
    assert_str(r->element[0], z);
    assert_str(r->element[1], "c");
    freeReplyObject(r);
    expect_str(next_reply(wm), "b");
    r = expect_array(next_reply(wmz), 2);
    assert_str(r->element[0], zm);
    freeReplyObject(r);
    char dst[80];
    snprintf(dst, sizeof(dst), "%s:dst", m);
    expect_strs(cmd(c, "LRANGE %s 0 -1", dst), 1, "b");
    expect_strs(cmd(c, "LRANGE %s 0 -1", k), 2, "b", "c");
    wait_blocked(c, 0, 5000);
    redisFree(wl);
    redisFree(wz);
    redisFree(wm);
    redisFree(wmz);
    redisFree(c);
}

Test(blocking, waiters_see_only_the_result_of_an_exec_on_one_shard)
{
    exec_result_only("{bx}k", "{bx}z", "{bx}m", "");
}

Test(blocking, waiters_see_only_the_result_of_an_exec_across_shards)
{
    redisContext *c = client_connect();
    int sh = key_shard(c, "{by}k");
    if (sh < 0 || server_threads() < 2) {
        redisFree(c);
        cr_skip_test("one shard");
    }
    char other[64];
    key_elsewhere(c, "bl:other", sh, other, sizeof(other));
    redisFree(c);
    exec_result_only("{by}k", "{by}z", "{by}m", other);
}

/* Redis's "$pop: with 0.001 timeout should not block indefinitely" and the
 * float edge cases of Redis 7.0's timeout parsing: (long long)ceill(s *
 * 1000), negative below 0. */
Test(blocking, sub_millisecond_and_float_timeouts)
{
    redisContext *c = client_connect();
    const char *pops[] = {"BLPOP bl:t1 0.001",
                          "BRPOP bl:t1 0.001",
                          "BLMPOP 0.001 1 bl:t1 LEFT COUNT 1",
                          "BLMPOP 0.001 1 bl:t1 RIGHT COUNT 1",
                          "BZPOPMIN bl:t2 0.001",
                          "BZMPOP 0.001 1 bl:t2 MIN"};
    for (size_t i = 0; i < sizeof(pops) / sizeof(pops[0]); i++) {
        redisContext *rd = client_connect();
        cr_assert_eq(redisAppendCommand(rd, pops[i]), REDIS_OK);
        int done = 0;
        while (!done)
            cr_assert_eq(redisBufferWrite(rd, &done), REDIS_OK);
        wait_blocked(c, 0, 5000);
        redisReply *r = next_reply(rd);
        cr_assert_eq(r->type, REDIS_REPLY_NIL, "%s: %s", pops[i], describe_reply(r));
        freeReplyObject(r);
        redisFree(rd);
    }
    /* beyond a long long: Redis says negative */
    expect_err(cmd(c, "BLPOP bl:t1 inf"), "ERR timeout is negative");
    expect_err(cmd(c, "BLPOP bl:t1 1e300"), "ERR timeout is negative");
    expect_err(cmd(c, "BZPOPMIN bl:t1 9.3e15"), "ERR timeout is negative");
    expect_err(cmd(c, "BLPOP bl:t1 -0.002"), "ERR timeout is negative");
    /* -0.0001 rounds up to 0: block forever, as Redis */
    redisContext *w = client_connect();
    send_cmd(w, "BLPOP %s %s", "bl:t3", "-0.0001");
    wait_blocked(c, 1, 5000);
    expect_int(cmd(c, "RPUSH bl:t3 v"), 1);
    expect_strs(next_reply(w), 2, "bl:t3", "v");
    redisFree(w);
    redisFree(c);
}

/* Sends a whole command line without reading its reply. */
static void send_line(redisContext *c, const char *line)
{
    cr_assert(!strchr(line, '%'));
    cr_assert_eq(redisAppendCommand(c, line), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(c, &done), REDIS_OK);
}

/* Redis 7.0 serves a blocked client from the key that became ready: another
 * of its keys that now holds a string does not make it WRONGTYPE (the keys
 * share a hash tag: one shard). */
Test(blocking, served_from_the_ready_key_when_another_key_changed_type)
{
    redisContext *c = client_connect();
    redisContext *w = client_connect();
    send_line(w, "BLPOP {rk}a {rk}b 0");
    wait_blocked(c, 1, 5000);
    expect_status(cmd(c, "SET {rk}a foo"), "OK");
    expect_int(cmd(c, "RPUSH {rk}b x"), 1);
    expect_strs(next_reply(w), 2, "{rk}b", "x");

    expect_int(cmd(c, "DEL {rk}a"), 1);
    send_line(w, "BLMPOP 0 2 {rk}a {rk}c LEFT COUNT 5");
    wait_blocked(c, 1, 5000);
    expect_status(cmd(c, "SET {rk}a foo"), "OK");
    expect_int(cmd(c, "RPUSH {rk}c x y"), 2);
    redisReply *r = expect_array(next_reply(w), 2);
    assert_str(r->element[0], "{rk}c");
    assert_strs(r->element[1], 2, "x", "y");
    freeReplyObject(r);

    expect_int(cmd(c, "DEL {rk}a"), 1);
    send_line(w, "BZPOPMIN {rk}a {rk}z 0");
    wait_blocked(c, 1, 5000);
    expect_status(cmd(c, "SET {rk}a foo"), "OK");
    expect_int(cmd(c, "ZADD {rk}z 1 m"), 1);
    r = expect_array(next_reply(w), 3);
    assert_str(r->element[0], "{rk}z");
    assert_str(r->element[1], "m");
    freeReplyObject(r);

    expect_int(cmd(c, "DEL {rk}a"), 1);
    send_line(w, "BZMPOP 0 2 {rk}a {rk}z2 MAX");
    wait_blocked(c, 1, 5000);
    expect_status(cmd(c, "SET {rk}a foo"), "OK");
    expect_int(cmd(c, "ZADD {rk}z2 1 m 2 n"), 2);
    r = expect_array(next_reply(w), 2);
    assert_str(r->element[0], "{rk}z2");
    freeReplyObject(r);
    expect_strs(cmd(c, "ZRANGE {rk}z2 0 -1"), 1, "m");
    redisFree(w);
    redisFree(c);
}
