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

#include "client.h"
#include "server.h"

TestSuite(blocking, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

/* Waits until INFO clients reports `n` blocked clients (fails after 5 s). */
static void wait_blocked(redisContext *c, long n)
{
    long long deadline = now_ms() + 5000;
    for (;;) {
        char *info = info_text(c, "clients");
        char value[32] = "";
        bool found = info_field(info, "blocked_clients", value, sizeof(value));
        free(info);
        cr_assert(found, "INFO clients has no blocked_clients");
        if (atol(value) == n)
            return;
        cr_assert(now_ms() < deadline, "blocked_clients is %s, expected %ld", value, n);
        sleep_ms(5);
    }
}

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
    wait_blocked(c, 0);
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
    wait_blocked(pusher, 1);
    expect_int(cmd(pusher, "RPUSH bl:q hello"), 1);
    expect_strs(next_reply(waiter), 2, "bl:q", "hello");
    expect_int(cmd(pusher, "EXISTS bl:q"), 0);
    wait_blocked(pusher, 0);
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
    wait_blocked(pusher, 1);
    expect_int(cmd(pusher, "LPUSH bl:s4 v4"), 1);
    expect_strs(next_reply(waiter), 2, "bl:s4", "v4");
    expect_int(cmd(pusher, "EXISTS bl:s4"), 0);
    wait_blocked(pusher, 0);
    /* and again with sorted sets */
    cr_assert_eq(redisAppendCommand(waiter, "BZPOPMIN bl:z1 bl:z2 bl:z3 10"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1);
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
        wait_blocked(pusher, i + 1);
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
    wait_blocked(pusher, 1);
    send_cmd(b, "BRPOP %s %s", "bl:one", "10");
    wait_blocked(pusher, 2);
    expect_int(cmd(pusher, "LPUSH bl:one e1"), 1);
    expect_strs(next_reply(a), 2, "bl:one", "e1");
    wait_blocked(pusher, 1);
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
    wait_blocked(other, 1);
    redisFree(waiter);
    wait_blocked(other, 0);
    expect_int(cmd(other, "RPUSH bl:gone kept"), 1);
    expect_strs(cmd(other, "LRANGE bl:gone 0 -1"), 1, "kept");
    /* same for a waiter on keys of several shards */
    waiter = client_connect();
    cr_assert_eq(redisAppendCommand(waiter, "BLPOP bl:g1 bl:g2 bl:g3 0"), REDIS_OK);
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(other, 1);
    redisFree(waiter);
    wait_blocked(other, 0);
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
    wait_blocked(pusher, 1);
    cr_assert_eq(redisAppendCommand(first, "BLMOVE bl:a bl:b RIGHT LEFT 10"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(first, &done), REDIS_OK);
    wait_blocked(pusher, 2);
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
    wait_blocked(pusher, 1);
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
    wait_blocked(pusher, 1);
    expect_int(cmd(pusher, "RPUSH bl:mp2 a b c"), 3);
    redisReply *r = expect_array(next_reply(waiter), 2);
    assert_str(r->element[0], "bl:mp2");
    assert_strs(r->element[1], 2, "c", "b");
    freeReplyObject(r);
    cr_assert_eq(redisAppendCommand(waiter, "BZMPOP 10 2 bl:zp1 bl:zp2 MIN"), REDIS_OK);
    done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(waiter, &done), REDIS_OK);
    wait_blocked(pusher, 1);
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
    wait_blocked(pusher, 1);
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
    wait_blocked(pusher, WAITERS);
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
    wait_blocked(other, 1);
    expect_status(cmd(other, "SELECT 1"), "OK");
    expect_int(cmd(other, "RPUSH bl:sw from-db1"), 1);
    expect_status(cmd(other, "SWAPDB 0 1"), "OK");
    expect_strs(next_reply(waiter), 2, "bl:sw", "from-db1");
    expect_status(cmd(other, "SELECT 0"), "OK");
    expect_status(cmd(other, "FLUSHALL"), "OK");

    send_cmd(waiter, "BLPOP %s %s", "bl:mv", "10");
    wait_blocked(other, 1);
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
    wait_blocked(other, 1);
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
