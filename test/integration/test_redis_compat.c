/*
 * test_redis_compat.c - behaviours Redis 7.0's own TCL suite relies on
 * (docs/redis-suite.md), checked against a live server with our own
 * scenarios: the names OBJECT ENCODING gives, OBJECT REFCOUNT of shared
 * integers, DEBUG SET-ACTIVE-EXPIRE. Every test passes against redis-server
 * 7.0 too (SHARDIS_SERVER=/usr/bin/redis-server).
 *
 * Timing: waits are polls with generous limits; the one fixed wait (a key's
 * TTL running out) is the point of the test, not a synchronisation.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(redis_compat, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

/* Redis 7.0 has no listpack lists and no listpack sets: whatever encoding
 * the server holds them in, the names are 7.0's. */
Test(redis_compat, object_encoding_names_are_redis_70s)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH l a b c"), 3);
    expect_str(cmd(c, "OBJECT ENCODING l"), "quicklist");
    expect_int(cmd(c, "SADD si 1 2 3"), 3);
    expect_str(cmd(c, "OBJECT ENCODING si"), "intset");
    expect_int(cmd(c, "SADD si a"), 1);
    expect_str(cmd(c, "OBJECT ENCODING si"), "hashtable");
    expect_int(cmd(c, "SADD ss x y"), 2);
    expect_str(cmd(c, "OBJECT ENCODING ss"), "hashtable");
    expect_int(cmd(c, "SINTERSTORE dst ss ss"), 2);
    expect_str(cmd(c, "OBJECT ENCODING dst"), "hashtable");
    expect_int(cmd(c, "HSET h f v"), 1);
    expect_str(cmd(c, "OBJECT ENCODING h"), "listpack");
    expect_int(cmd(c, "ZADD z 1 m"), 1);
    expect_str(cmd(c, "OBJECT ENCODING z"), "listpack");
    /* COPY keeps the answer */
    expect_int(cmd(c, "COPY l l2"), 1);
    expect_str(cmd(c, "OBJECT ENCODING l2"), "quicklist");
    expect_int(cmd(c, "COPY ss ss2"), 1);
    expect_str(cmd(c, "OBJECT ENCODING ss2"), "hashtable");
    expect_status(cmd(c, "FLUSHALL"), "OK");
    redisFree(c);
}

/* INCR and SET of an integer in [0, 10000) give Redis's shared object. */
Test(redis_compat, shared_integers_refcount)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET n -1"), "OK");
    expect_int(cmd(c, "OBJECT REFCOUNT n"), 1);
    expect_int(cmd(c, "INCR n"), 0);
    expect_int(cmd(c, "OBJECT REFCOUNT n"), 2147483647);
    expect_status(cmd(c, "SET n 9998"), "OK");
    expect_int(cmd(c, "OBJECT REFCOUNT n"), 2147483647);
    expect_int(cmd(c, "INCR n"), 9999);
    expect_int(cmd(c, "OBJECT REFCOUNT n"), 2147483647);
    expect_int(cmd(c, "INCR n"), 10000);
    expect_int(cmd(c, "OBJECT REFCOUNT n"), 1);
    expect_status(cmd(c, "SET s abc"), "OK");
    expect_int(cmd(c, "OBJECT REFCOUNT s"), 1);
    expect_int(cmd(c, "RPUSH l 1"), 1);
    expect_int(cmd(c, "OBJECT REFCOUNT l"), 1);
    expect_status(cmd(c, "FLUSHALL"), "OK");
    redisFree(c);
}

/* DEBUG SET-ACTIVE-EXPIRE 0 keeps expired keys until they are accessed
 * (DBSIZE counts them); 1 lets the active cycle delete them again. */
Test(redis_compat, debug_set_active_expire)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 0"), "OK");
    for (int i = 0; i < 20; i++)
        expect_status(cmd(c, "SET k%d v PX 50", i), "OK");
    sleep_ms(300); /* the TTLs run out: the point of the test */
    /* several active cycles (hz 10) would have run by now */
    long long deadline = now_ms() + 300;
    while (now_ms() < deadline) {
        cr_assert_eq(dbsize(c), 20, "active expiry ran while switched off");
        sleep_ms(50);
    }
    expect_nil(cmd(c, "GET k0")); /* lazy expiry still works */
    cr_assert_eq(dbsize(c), 19);
    expect_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 1"), "OK");
    deadline = now_ms() + 20000;
    while (dbsize(c) != 0 && now_ms() < deadline)
        sleep_ms(50);
    cr_assert_eq(dbsize(c), 0, "active expiry did not resume");
    redisFree(c);
}

/* DEBUG SET-ACTIVE-EXPIRE reads its flag as atoi() does, and DEBUG's errors
 * are Redis's (DEBUG has no subcommand table: one text for an unknown
 * subcommand and for a wrong argument count). */
Test(redis_compat, debug_arguments_and_errors)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE foo"), "OK"); /* atoi: 0, off */
    expect_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE -1"), "OK");  /* atoi: -1, on */
    expect_status(cmd(c, "SET k v PX 1"), "OK");
    long long deadline = now_ms() + 20000;
    while (dbsize(c) != 0 && now_ms() < deadline)
        sleep_ms(50);
    cr_assert_eq(dbsize(c), 0, "active expiry is off after DEBUG SET-ACTIVE-EXPIRE -1");
    expect_err(cmd(c, "DEBUG SET-ACTIVE-EXPIRE"),
               "ERR unknown subcommand or wrong number of arguments for 'SET-ACTIVE-EXPIRE'. Try DEBUG HELP.");
    expect_err(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 1 2"),
               "ERR unknown subcommand or wrong number of arguments for 'SET-ACTIVE-EXPIRE'. Try DEBUG HELP.");
    expect_err(cmd(c, "DEBUG nosuch"),
               "ERR unknown subcommand or wrong number of arguments for 'nosuch'. Try DEBUG HELP.");
    expect_status(cmd(c, "DEBUG SET-ACTIVE-EXPIRE 1"), "OK");
    redisFree(c);
}
