/*
 * test_sets.c - set commands against a live server, Redis 7.0 replies.
 *
 * Every command is exercised on small sets (intset, listpack) and on sets
 * converted to a hash table, either by size or by CONFIG SET of the
 * thresholds. OBJECT ENCODING answers Redis 7.0's names: a set held as a
 * listpack (7.2's encoding, which shardis uses inside) is a "hashtable", as
 * every non-intset set is in 7.0; the conversions themselves are checked in
 * test/unit/core/commands/test_cmd_set.c. Everything must pass against redis-server too. Multi-key commands use plain
 * key names, which spread over shards when the server runs several threads.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "model.h"
#include "resp3.h"
#include "server.h"

TestSuite(sets, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* SADD key m0 .. m(n-1) where mi = prefix + i, in one command. */
static void sadd_range(redisContext *c, const char *key, const char *prefix, int from, int n)
{
    const char **argv = malloc(sizeof(char *) * (size_t)(n + 2));
    char **owned = malloc(sizeof(char *) * (size_t)n);
    argv[0] = "SADD";
    argv[1] = key;
    for (int i = 0; i < n; i++) {
        owned[i] = malloc(64);
        snprintf(owned[i], 64, "%s%d", prefix, from + i);
        argv[i + 2] = owned[i];
    }
    redisReply *r = cmd_argv(c, n + 2, argv, NULL);
    cr_assert_eq(r->type, REDIS_REPLY_INTEGER, "%s", describe_reply(r));
    freeReplyObject(r);
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(argv);
}

/* Whether every element of an array reply is a distinct member of `key`. */
static void assert_distinct_members(redisContext *c, redisReply *r, const char *key)
{
    for (size_t i = 0; i < r->elements; i++) {
        cr_assert_eq(r->element[i]->type, REDIS_REPLY_STRING);
        expect_int(cmd(c, "SISMEMBER %s %b", key, r->element[i]->str, r->element[i]->len), 1);
        for (size_t j = 0; j < i; j++)
            cr_assert(strcmp(r->element[i]->str, r->element[j]->str) != 0, "duplicate %s", r->element[i]->str);
    }
}

Test(sets, sadd_srem_scard_sismember)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD s 1 2 3 2"), 3);
    expect_int(cmd(c, "SADD s 3 4"), 1);
    expect_int(cmd(c, "SCARD s"), 4);
    expect_int(cmd(c, "SISMEMBER s 2"), 1);
    expect_int(cmd(c, "SISMEMBER s 02"), 0);
    expect_int(cmd(c, "SISMEMBER s x"), 0);
    expect_encoding(c, "s", "intset");
    expect_int(cmd(c, "SADD s x y"), 2);
    expect_encoding(c, "s", "hashtable");
    expect_int(cmd(c, "SISMEMBER s x"), 1);
    expect_int(cmd(c, "SISMEMBER s 4"), 1);
    expect_int(cmd(c, "SREM s 1 x nope"), 2);
    expect_int(cmd(c, "SCARD s"), 4);
    expect_int(cmd(c, "SREM s 2 3 4 y"), 4);
    expect_int(cmd(c, "EXISTS s"), 0);
    expect_int(cmd(c, "SREM s 1"), 0);
    expect_int(cmd(c, "SCARD s"), 0);
    expect_int(cmd(c, "SISMEMBER s 1"), 0);
    /* binary and empty members */
    expect_int(cmd(c, "SADD b %b %s", "a\0b", (size_t)3, ""), 2);
    expect_int(cmd(c, "SISMEMBER b %b", "a\0b", (size_t)3), 1);
    expect_int(cmd(c, "SISMEMBER b %s", ""), 1);
    expect_int(cmd(c, "SISMEMBER b a"), 0);
    redisFree(c);
}

Test(sets, encodings_and_conversions)
{
    redisContext *c = client_connect();
    /* an intset past set-max-intset-entries (512) becomes a table */
    sadd_range(c, "ints", "", 0, 512);
    expect_encoding(c, "ints", "intset");
    expect_int(cmd(c, "SADD ints 512"), 1);
    expect_encoding(c, "ints", "hashtable");
    expect_int(cmd(c, "SCARD ints"), 513);
    expect_int(cmd(c, "SISMEMBER ints 511"), 1);
    /* never back: removing members keeps the table */
    expect_int(cmd(c, "SREM ints 512 511"), 2);
    expect_encoding(c, "ints", "hashtable");

    /* a listpack past set-max-listpack-entries (128) or -value (64) */
    sadd_range(c, "strs", "m", 0, 128);
    expect_encoding(c, "strs", "hashtable");
    expect_int(cmd(c, "SADD strs extra"), 1);
    expect_encoding(c, "strs", "hashtable");
    expect_int(cmd(c, "SADD long a"), 1);
    expect_encoding(c, "long", "hashtable");
    char big[70];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    expect_int(cmd(c, "SADD long %s", big), 1);
    expect_encoding(c, "long", "hashtable");
    expect_int(cmd(c, "SISMEMBER long %s", big), 1);

    /* thresholds changed at run time */
    expect_status(cmd(c, "CONFIG SET set-max-intset-entries 4"), "OK");
    expect_int(cmd(c, "SADD small 1 2 3 4"), 4);
    expect_encoding(c, "small", "intset");
    expect_int(cmd(c, "SADD small 5"), 1);
    expect_encoding(c, "small", "hashtable");
    if (server_is_redis()) /* 7.0 has no set-max-listpack-* */
        goto done;
    expect_status(cmd(c, "CONFIG SET set-max-listpack-entries 4"), "OK");
    expect_int(cmd(c, "SADD lp a b c d"), 4);
    expect_encoding(c, "lp", "hashtable");
    expect_int(cmd(c, "SADD lp e"), 1);
    expect_encoding(c, "lp", "hashtable");
    expect_int(cmd(c, "SCARD lp"), 5);
    /* many members at once go straight to a table */
    expect_int(cmd(c, "SADD many a b c d e f"), 6);
    expect_encoding(c, "many", "hashtable");
done:
    redisFree(c);
}

Test(sets, smembers_and_smismember)
{
    redisContext *c = client_connect();
    expect_array_len(cmd(c, "SMEMBERS nope"), 0);
    expect_int(cmd(c, "SADD s 3 1 2"), 3);
    expect_strs(cmd(c, "SMEMBERS s"), 3, "1", "2", "3"); /* intsets are sorted */
    expect_int(cmd(c, "SADD t b a"), 2);
    expect_str_set(cmd(c, "SMEMBERS t"), 2, "a", "b");
    redisReply *r = expect_array(cmd(c, "SMISMEMBER s 1 x 3"), 3);
    assert_int(r->element[0], 1);
    assert_int(r->element[1], 0);
    assert_int(r->element[2], 1);
    freeReplyObject(r);
    r = expect_array(cmd(c, "SMISMEMBER nope a b"), 2);
    assert_int(r->element[0], 0);
    assert_int(r->element[1], 0);
    freeReplyObject(r);
    /* a big set */
    sadd_range(c, "big", "k", 0, 1000);
    r = expect_array(cmd(c, "SMEMBERS big"), 1000);
    assert_distinct_members(c, r, "big");
    freeReplyObject(r);
    redisFree(c);
}

Test(sets, resp3_set_replies)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD s a b"), 2);
    redisFree(c);
    struct raw_session rs;
    raw_session_open(&rs, server_port());
    struct resp3 *v = raw_call(&rs, "HELLO", "3", NULL);
    resp3_free(v);
    v = raw_call(&rs, "SMEMBERS", "s", NULL);
    cr_assert_eq(v->type, '~', "%s", resp3_describe(v));
    cr_assert_eq(v->count, 2);
    resp3_free(v);
    v = raw_call(&rs, "SMEMBERS", "nope", NULL);
    cr_assert(v->type == '~' && v->count == 0, "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SINTER", "s", "nope", NULL);
    cr_assert(v->type == '~' && v->count == 0, "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SPOP", "nope", "2", NULL);
    cr_assert(v->type == '~' && v->count == 0, "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SPOP", "nope", NULL);
    cr_assert_eq(v->type, '_', "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SRANDMEMBER", "s", "-3", NULL);
    cr_assert(v->type == '*' && v->count == 3, "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SUNION", "s", "nope", NULL);
    cr_assert(v->type == '~' && v->count == 2, "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&rs, "SPOP", "s", "1", NULL);
    cr_assert(v->type == '~' && v->count == 1, "%s", resp3_describe(v));
    resp3_free(v);
    raw_session_close(&rs);
}

Test(sets, spop)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "SPOP nope"));
    expect_array_len(cmd(c, "SPOP nope 3"), 0);
    expect_err(cmd(c, "SPOP nope -1"), "ERR value is out of range, must be positive");
    expect_err(cmd(c, "SPOP nope abc"), "ERR value is out of range, must be positive");
    expect_err(cmd(c, "SPOP nope 1 2"), "ERR syntax error");
    expect_int(cmd(c, "SADD s only"), 1);
    expect_str(cmd(c, "SPOP s"), "only");
    expect_int(cmd(c, "EXISTS s"), 0);
    expect_int(cmd(c, "SADD s 1 2 3"), 3);
    expect_array_len(cmd(c, "SPOP s 0"), 0);
    expect_int(cmd(c, "SCARD s"), 3);
    redisReply *r = expect_array(cmd(c, "SPOP s 2"), 2);
    for (size_t i = 0; i < 2; i++)
        expect_int(cmd(c, "SISMEMBER s %s", r->element[i]->str), 0);
    freeReplyObject(r);
    expect_int(cmd(c, "SCARD s"), 1);
    expect_array_len(cmd(c, "SPOP s 5"), 1);
    expect_int(cmd(c, "EXISTS s"), 0);

    /* every strategy on every encoding: popped and kept partition the set */
    const char *prefixes[] = {"", "m"}; /* intset/table, listpack/table */
    int sizes[] = {20, 100, 600};
    int counts[] = {1, 3, 15, 19, 90, 550};
    for (int p = 0; p < 2; p++) {
        for (int si = 0; si < 3; si++) {
            for (int ci = 0; ci < 6; ci++) {
                int size = sizes[si], count = counts[ci];
                expect_int(cmd(c, "DEL p"), 0);
                sadd_range(c, "p", prefixes[p], 0, size);
                r = cmd(c, "SPOP p %d", count);
                int popped = count < size ? count : size;
                assert_array_len(r, (size_t)popped);
                for (size_t i = 0; i < r->elements; i++)
                    expect_int(cmd(c, "SADD seen %s", r->element[i]->str), 1);
                freeReplyObject(r);
                long long left = int_reply(c, "SCARD %s", "p");
                cr_assert_eq(left, size - popped, "size %d count %d", size, count);
                expect_int(cmd(c, "SINTERCARD 2 p seen"), 0);
                expect_int(cmd(c, "SUNIONSTORE seen seen p"), size);
                expect_int(cmd(c, "DEL seen"), 1);
                freeReplyObject(cmd(c, "DEL p"));
            }
        }
    }
    /* WRONGTYPE after the count check */
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "SPOP str"), WRONGTYPE);
    expect_err(cmd(c, "SPOP str 0"), WRONGTYPE);
    expect_err(cmd(c, "SPOP str -1"), "ERR value is out of range, must be positive");
    redisFree(c);
}

Test(sets, srandmember)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "SRANDMEMBER nope"));
    expect_array_len(cmd(c, "SRANDMEMBER nope 5"), 0);
    expect_array_len(cmd(c, "SRANDMEMBER nope -5"), 0);
    expect_err(cmd(c, "SRANDMEMBER nope abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SRANDMEMBER nope -9223372036854775808"),
               "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    expect_err(cmd(c, "SRANDMEMBER nope 1 2"), "ERR syntax error");
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "SRANDMEMBER str"), WRONGTYPE);
    expect_err(cmd(c, "SRANDMEMBER str 0"), WRONGTYPE);

    const char *prefixes[] = {"", "m"};
    int sizes[] = {10, 100, 1000};
    for (int p = 0; p < 2; p++) {
        for (int si = 0; si < 3; si++) {
            int size = sizes[si];
            freeReplyObject(cmd(c, "DEL r"));
            sadd_range(c, "r", prefixes[p], 0, size);
            redisReply *one = cmd(c, "SRANDMEMBER r");
            cr_assert_eq(one->type, REDIS_REPLY_STRING);
            expect_int(cmd(c, "SISMEMBER r %s", one->str), 1);
            freeReplyObject(one);
            expect_array_len(cmd(c, "SRANDMEMBER r 0"), 0);
            int counts[] = {1, 2, size / 10 + 1, size / 2, size - 1, size, size + 5};
            for (int ci = 0; ci < 7; ci++) {
                int count = counts[ci];
                redisReply *r = cmd(c, "SRANDMEMBER r %d", count);
                assert_array_len(r, (size_t)(count < size ? count : size));
                assert_distinct_members(c, r, "r");
                freeReplyObject(r);
            }
            /* negative: exactly |count| members, repetitions allowed */
            redisReply *r = cmd(c, "SRANDMEMBER r -%d", size * 2);
            assert_array_len(r, (size_t)size * 2);
            for (size_t i = 0; i < r->elements; i++)
                cr_assert_eq(r->element[i]->type, REDIS_REPLY_STRING);
            freeReplyObject(r);
            expect_int(cmd(c, "SCARD r"), size);
        }
    }
    /* a one-member set: every draw is that member */
    expect_int(cmd(c, "SADD one x"), 1);
    expect_strs(cmd(c, "SRANDMEMBER one -3"), 3, "x", "x", "x");
    redisFree(c);
}

Test(sets, smove)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD src 1 2 a"), 3);
    expect_int(cmd(c, "SMOVE src dst 1"), 1);
    expect_int(cmd(c, "SISMEMBER dst 1"), 1);
    expect_encoding(c, "dst", "intset");
    expect_int(cmd(c, "SMOVE src dst nope"), 0);
    expect_int(cmd(c, "SMOVE nope dst 1"), 0);
    expect_int(cmd(c, "SMOVE src dst a"), 1);
    expect_encoding(c, "dst", "hashtable");
    expect_int(cmd(c, "SADD dst 2"), 1);
    /* already in the destination: removed from the source only */
    expect_int(cmd(c, "SMOVE src dst 2"), 1);
    expect_int(cmd(c, "EXISTS src"), 0);
    expect_int(cmd(c, "SCARD dst"), 3);
    /* same key: a membership test */
    expect_int(cmd(c, "SMOVE dst dst a"), 1);
    expect_int(cmd(c, "SMOVE dst dst zz"), 0);
    expect_int(cmd(c, "SCARD dst"), 3);
    /* types: a missing source wins over a wrong destination */
    expect_status(cmd(c, "SET str v"), "OK");
    expect_int(cmd(c, "SMOVE nope str 1"), 0);
    expect_err(cmd(c, "SMOVE dst str a"), WRONGTYPE);
    expect_err(cmd(c, "SMOVE str dst a"), WRONGTYPE);
    expect_int(cmd(c, "SISMEMBER dst a"), 1);
    /* a new destination takes a non-integer member */
    expect_int(cmd(c, "SMOVE dst fresh a"), 1);
    expect_encoding(c, "fresh", "hashtable");
    expect_strs(cmd(c, "SMEMBERS fresh"), 1, "a");
    redisFree(c);
}

Test(sets, sinter_sintercard_sinterstore)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD a 1 2 3 4 x y"), 6);
    expect_int(cmd(c, "SADD b 2 3 4 5 y"), 5);
    expect_int(cmd(c, "SADD c 3 4 y z"), 4);
    expect_str_set(cmd(c, "SINTER a b c"), 3, "3", "4", "y");
    expect_str_set(cmd(c, "SINTER a"), 6, "1", "2", "3", "4", "x", "y");
    expect_array_len(cmd(c, "SINTER a nope"), 0);
    expect_str_set(cmd(c, "SINTER a a"), 6, "1", "2", "3", "4", "x", "y");
    expect_int(cmd(c, "SINTERCARD 3 a b c"), 3);
    expect_int(cmd(c, "SINTERCARD 3 a b c LIMIT 2"), 2);
    expect_int(cmd(c, "SINTERCARD 3 a b c LIMIT 0"), 3);
    expect_int(cmd(c, "SINTERCARD 2 a nope"), 0);
    expect_int(cmd(c, "SINTERCARD 1 a limit 10"), 6);
    expect_err(cmd(c, "SINTERCARD 0 a"), "ERR numkeys should be greater than 0");
    expect_err(cmd(c, "SINTERCARD abc a"), "ERR numkeys should be greater than 0");
    expect_err(cmd(c, "SINTERCARD 3 a b"), "ERR Number of keys can't be greater than number of args");
    expect_err(cmd(c, "SINTERCARD 1 a LIMIT -1"), "ERR LIMIT can't be negative");
    expect_err(cmd(c, "SINTERCARD 1 a LIMIT x"), "ERR LIMIT can't be negative");
    expect_err(cmd(c, "SINTERCARD 1 a LIMIT"), "ERR syntax error");
    expect_err(cmd(c, "SINTERCARD 1 a foo 1"), "ERR syntax error");

    expect_int(cmd(c, "SINTERSTORE d a b c"), 3);
    expect_str_set(cmd(c, "SMEMBERS d"), 3, "3", "4", "y");
    expect_encoding(c, "d", "hashtable");
    expect_int(cmd(c, "SINTERSTORE d a b"), 4);
    expect_int(cmd(c, "SINTERSTORE ints a b c"), 3);
    expect_int(cmd(c, "SREM ints y"), 1);
    expect_int(cmd(c, "SINTERSTORE ints2 ints a"), 2);
    expect_encoding(c, "ints2", "intset");
    /* an empty result deletes the destination, whatever it held */
    expect_status(cmd(c, "SET str v"), "OK");
    expect_int(cmd(c, "SINTERSTORE str a nope"), 0);
    expect_int(cmd(c, "EXISTS str"), 0);
    expect_int(cmd(c, "SINTERSTORE d a z"), 0);
    expect_int(cmd(c, "EXISTS d"), 0);
    /* the destination may be a source; its TTL goes */
    expect_int(cmd(c, "EXPIRE a 100"), 1);
    expect_int(cmd(c, "SINTERSTORE a a b"), 4);
    expect_int(cmd(c, "TTL a"), -1);
    expect_str_set(cmd(c, "SMEMBERS a"), 4, "2", "3", "4", "y");

    /* WRONGTYPE anywhere, even after a missing key; the destination is not checked */
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "SINTER nope str"), WRONGTYPE);
    expect_err(cmd(c, "SINTERCARD 2 nope str"), WRONGTYPE);
    expect_err(cmd(c, "SINTERSTORE d a str"), WRONGTYPE);
    expect_int(cmd(c, "SINTERSTORE str a b"), 4);
    expect_int(cmd(c, "SCARD str"), 4);

    /* big sets on both sides */
    sadd_range(c, "big1", "", 0, 2000);
    sadd_range(c, "big2", "", 1500, 2000);
    expect_int(cmd(c, "SINTERCARD 2 big1 big2"), 500);
    expect_int(cmd(c, "SINTERSTORE bigi big1 big2"), 500);
    expect_encoding(c, "bigi", "intset");
    expect_int(cmd(c, "SISMEMBER bigi 1500"), 1);
    expect_int(cmd(c, "SISMEMBER bigi 1499"), 0);
    redisReply *r = expect_array(cmd(c, "SINTER big2 big1"), 500);
    freeReplyObject(r);
    redisFree(c);
}

Test(sets, sunion_sdiff_and_stores)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD a 1 2 3 x"), 4);
    expect_int(cmd(c, "SADD b 3 4 x y"), 4);
    expect_int(cmd(c, "SADD c 4 9"), 2);
    expect_str_set(cmd(c, "SUNION a b c"), 7, "1", "2", "3", "4", "9", "x", "y");
    expect_str_set(cmd(c, "SUNION a nope"), 4, "1", "2", "3", "x");
    expect_array_len(cmd(c, "SUNION nope nope2"), 0);
    expect_str_set(cmd(c, "SDIFF a b"), 2, "1", "2");
    expect_str_set(cmd(c, "SDIFF a b c nope"), 2, "1", "2");
    expect_str_set(cmd(c, "SDIFF b a"), 2, "4", "y");
    expect_str_set(cmd(c, "SDIFF b a c"), 1, "y");
    expect_array_len(cmd(c, "SDIFF a a"), 0);
    expect_array_len(cmd(c, "SDIFF nope a"), 0);
    expect_str_set(cmd(c, "SDIFF a nope"), 4, "1", "2", "3", "x");

    expect_int(cmd(c, "SUNIONSTORE u a b c"), 7);
    expect_int(cmd(c, "SCARD u"), 7);
    expect_int(cmd(c, "SUNIONSTORE ui a c"), 6);
    expect_int(cmd(c, "SDIFFSTORE ints ui b"), 3);
    expect_str_set(cmd(c, "SMEMBERS ints"), 3, "1", "2", "9");
    expect_encoding(c, "ints", "intset");
    expect_int(cmd(c, "SDIFFSTORE d b a"), 2);
    expect_encoding(c, "d", "hashtable");
    expect_int(cmd(c, "SDIFFSTORE d a a"), 0);
    expect_int(cmd(c, "EXISTS d"), 0);
    expect_int(cmd(c, "SUNIONSTORE d nope"), 0);
    expect_int(cmd(c, "EXISTS d"), 0);
    expect_status(cmd(c, "SET str v"), "OK");
    expect_int(cmd(c, "SDIFFSTORE str c a"), 2);
    expect_str_set(cmd(c, "SMEMBERS str"), 2, "4", "9");
    expect_int(cmd(c, "SUNIONSTORE a a c"), 6);

    expect_status(cmd(c, "SET s2 v"), "OK");
    expect_err(cmd(c, "SUNION nope s2"), WRONGTYPE);
    expect_err(cmd(c, "SDIFF a s2"), WRONGTYPE);
    expect_err(cmd(c, "SDIFF nope s2"), WRONGTYPE);
    expect_err(cmd(c, "SUNIONSTORE d a s2"), WRONGTYPE);
    expect_err(cmd(c, "SDIFFSTORE d a s2"), WRONGTYPE);
    expect_int(cmd(c, "EXISTS d"), 0);

    /* big sets: both difference algorithms, tables in and out */
    sadd_range(c, "big1", "k", 0, 3000);
    sadd_range(c, "big2", "k", 1000, 3000);
    sadd_range(c, "small", "k", 0, 10);
    expect_int(cmd(c, "SUNIONSTORE bu big1 big2"), 4000);
    expect_encoding(c, "bu", "hashtable");
    expect_int(cmd(c, "SDIFFSTORE bd big1 big2"), 1000);
    expect_int(cmd(c, "SDIFFSTORE bd2 big2 big1 small"), 1000);
    expect_int(cmd(c, "SDIFFSTORE bd3 small big1"), 0);
    expect_int(cmd(c, "SDIFFSTORE bd3 big1 small"), 2990);
    expect_int(cmd(c, "SISMEMBER bd3 k9"), 0);
    expect_int(cmd(c, "SISMEMBER bd3 k10"), 1);
    redisReply *r = expect_array(cmd(c, "SDIFF big1 big2"), 1000);
    freeReplyObject(r);
    r = expect_array(cmd(c, "SUNION big1 big2 small"), 4000);
    freeReplyObject(r);
    redisFree(c);
}

/* Collects a full SSCAN of key (MATCH when match is set, COUNT when count > 0) into the set
 * `into` on the server and returns the number of calls made. */
struct sscan_into {
    redisContext *c;
    const char *into;
};

static void sscan_visit(const redisReply *items, void *arg)
{
    struct sscan_into *s = arg;
    for (size_t i = 0; i < items->elements; i++)
        freeReplyObject(cmd(s->c, "SADD %s %b", s->into, items->element[i]->str, items->element[i]->len));
}

static int sscan_all(redisContext *c, const char *key, const char *match, int count, const char *into)
{
    char command[128], options[128];
    snprintf(command, sizeof(command), "SSCAN %s", key);
    if (match)
        snprintf(options, sizeof(options), "MATCH %s COUNT %d", match, count);
    else if (count)
        snprintf(options, sizeof(options), "COUNT %d", count);
    else
        options[0] = '\0';
    struct sscan_into s = {c, into};
    return scan_all(c, command, options, sscan_visit, &s);
}

Test(sets, sscan)
{
    redisContext *c = client_connect();
    redisReply *r = expect_array(cmd(c, "SSCAN nope 0"), 2);
    assert_str(r->element[0], "0");
    assert_array_len(r->element[1], 0);
    freeReplyObject(r);
    r = expect_array(cmd(c, "SSCAN nope 0 COUNT 0"), 2); /* options are not read for a missing key */
    freeReplyObject(r);
    expect_err(cmd(c, "SSCAN nope abc"), "ERR invalid cursor");
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "SSCAN str 0"), WRONGTYPE);

    expect_int(cmd(c, "SADD s 1 2 3 10"), 4);
    r = expect_array(cmd(c, "SSCAN s 0 MATCH 1*"), 2);
    assert_str(r->element[0], "0");
    cr_assert_eq(r->element[1]->elements, 2);
    freeReplyObject(r);
    /* cursors follow strtoul: "", "+1" and "-1" are accepted */
    const char *odd_cursors[] = {"", "+1", "-1"};
    for (int i = 0; i < 3; i++) {
        r = expect_array(cmd(c, "SSCAN s %s", odd_cursors[i]), 2);
        assert_str(r->element[0], "0");
        freeReplyObject(r);
    }
    expect_err(cmd(c, "SSCAN s 1x"), "ERR invalid cursor");
    expect_err(cmd(c, "SSCAN s 0 COUNT 0"), "ERR syntax error");
    expect_err(cmd(c, "SSCAN s 0 COUNT x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SSCAN s 0 MATCH"), "ERR syntax error");
    expect_err(cmd(c, "SSCAN s 0 FOO bar"), "ERR syntax error");
    expect_int(cmd(c, "SADD l a b c"), 3);
    if (!server_is_redis()) { /* a listpack (7.2) is returned whole */
        r = expect_array(cmd(c, "SSCAN l 0 COUNT 1"), 2);
        assert_str(r->element[0], "0");
        cr_assert_eq(r->element[1]->elements, 3);
        freeReplyObject(r);
    }

    sadd_range(c, "big", "k", 0, 1000);
    int calls = sscan_all(c, "big", NULL, 0, "got");
    cr_assert(calls > 1);
    expect_int(cmd(c, "SCARD got"), 1000);
    expect_int(cmd(c, "SDIFFSTORE extra got big"), 0);
    sscan_all(c, "big", "k1??", 50, "got2");
    expect_int(cmd(c, "SCARD got2"), 100);
    sscan_all(c, "big", NULL, 5000, "got3");
    expect_int(cmd(c, "SCARD got3"), 1000);
    redisFree(c);
}

Test(sets, wrongtype_everywhere)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "SADD str a"), WRONGTYPE);
    expect_err(cmd(c, "SREM str a"), WRONGTYPE);
    expect_err(cmd(c, "SMEMBERS str"), WRONGTYPE);
    expect_err(cmd(c, "SISMEMBER str a"), WRONGTYPE);
    expect_err(cmd(c, "SMISMEMBER str a"), WRONGTYPE);
    expect_err(cmd(c, "SCARD str"), WRONGTYPE);
    expect_str(cmd(c, "GET str"), "v");
    expect_int(cmd(c, "SADD s a"), 1);
    expect_err(cmd(c, "GET s"), WRONGTYPE);
    expect_status(cmd(c, "TYPE s"), "set");
    expect_err(cmd(c, "SADD s"), "ERR wrong number of arguments for 'sadd' command");
    expect_err(cmd(c, "SCARD"), "ERR wrong number of arguments for 'scard' command");
    redisFree(c);
}

Test(sets, copy_rename_del)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SADD ints 1 2 3"), 3);
    expect_int(cmd(c, "SADD strs a b"), 2);
    sadd_range(c, "tab", "k", 0, 300);
    const char *keys[] = {"ints", "strs", "tab"};
    for (int i = 0; i < 3; i++) {
        expect_int(cmd(c, "COPY %s %s-copy", keys[i], keys[i]), 1);
        long long n = int_reply(c, "SCARD %s", keys[i]);
        expect_int(cmd(c, "SCARD %s-copy", keys[i]), n);
        expect_int(cmd(c, "SADD %s-copy newmember", keys[i]), 1);
        expect_int(cmd(c, "SISMEMBER %s newmember", keys[i]), 0);
        expect_status(cmd(c, "RENAME %s-copy %s-moved", keys[i], keys[i]), "OK");
        expect_int(cmd(c, "SCARD %s-moved", keys[i]), n + 1);
        expect_int(cmd(c, "DEL %s-moved", keys[i]), 1);
    }
    expect_int(cmd(c, "UNLINK tab"), 1);
    expect_int(cmd(c, "EXISTS tab"), 0);
    redisFree(c);
}
