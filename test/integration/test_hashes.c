/*
 * test_hashes.c - hash commands against a live server, Redis 7.0 replies.
 *
 * Most tests run their body twice: once with the default thresholds (small
 * hashes stay listpacks) and once after CONFIG SET hash-max-listpack-entries
 * 0, which makes every hash a hashtable from its first field, so both
 * encodings answer the same assertions. Replies whose order depends on the
 * hashtable's layout are compared as sets. Every assertion was checked
 * against redis-server 7.0.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "model.h"
#include "resp3.h"
#include "server.h"

TestSuite(hashes, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* Runs body with the default encoding thresholds, then (after FLUSHALL) with
 * every hash forced to the hashtable encoding. */
static void for_both_encodings(void (*body)(redisContext *c, const char *encoding))
{
    redisContext *c = client_connect();
    body(c, "listpack");
    expect_status(cmd(c, "FLUSHALL"), "OK");
    expect_status(cmd(c, "CONFIG SET hash-max-listpack-entries 0"), "OK");
    body(c, "hashtable");
    expect_status(cmd(c, "CONFIG SET hash-max-listpack-entries 128"), "OK");
    redisFree(c);
}

static void check_encoding(redisContext *c, const char *key, const char *encoding)
{
    expect_str(cmd(c, "OBJECT ENCODING %s", key), encoding);
}

static void body_set_get(redisContext *c, const char *encoding)
{
    expect_int(cmd(c, "HSET h a 1 b 2"), 2);
    check_encoding(c, "h", encoding);
    expect_int(cmd(c, "HSET h a 10 c 3"), 1);
    expect_str(cmd(c, "HGET h a"), "10");
    expect_str(cmd(c, "HGET h b"), "2");
    expect_nil(cmd(c, "HGET h zz"));
    expect_nil(cmd(c, "HGET missing a"));
    expect_status(cmd(c, "TYPE h"), "hash");
    expect_int(cmd(c, "HLEN h"), 3);
    expect_int(cmd(c, "HLEN missing"), 0);
    expect_status(cmd(c, "HMSET h d 4 e %s", ""), "OK");
    expect_str(cmd(c, "HGET h e"), "");
    expect_int(cmd(c, "HLEN h"), 5);

    redisReply *r = cmd(c, "HMGET h a zz e b");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4, "HMGET: %s", describe_reply(r));
    assert_str(r->element[0], "10");
    assert_nil(r->element[1]);
    assert_str(r->element[2], "");
    assert_str(r->element[3], "2");
    freeReplyObject(r);
    r = cmd(c, "HMGET missing a b");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "HMGET missing: %s", describe_reply(r));
    assert_nil(r->element[0]);
    assert_nil(r->element[1]);
    freeReplyObject(r);

    expect_int(cmd(c, "HSETNX h a 99"), 0);
    expect_str(cmd(c, "HGET h a"), "10");
    expect_int(cmd(c, "HSETNX h f 6"), 1);
    expect_int(cmd(c, "HSETNX new f 6"), 1);
    check_encoding(c, "new", encoding);
    expect_int(cmd(c, "HEXISTS h f"), 1);
    expect_int(cmd(c, "HEXISTS h zz"), 0);
    expect_int(cmd(c, "HEXISTS missing f"), 0);
    expect_int(cmd(c, "HSTRLEN h a"), 2);
    expect_int(cmd(c, "HSTRLEN h e"), 0);
    expect_int(cmd(c, "HSTRLEN h zz"), 0);
    expect_int(cmd(c, "HSTRLEN missing a"), 0);

    /* Binary fields and values, integers stored as strings. */
    const char bin[] = "a\0b\r\n";
    expect_int(cmd(c, "HSET h %b %b", bin, sizeof(bin) - 1, bin, sizeof(bin) - 1), 1);
    expect_bulk(cmd(c, "HGET h %b", bin, sizeof(bin) - 1), bin, sizeof(bin) - 1);
    expect_int(cmd(c, "HSET h n -123 big 123456789012345678901 z 007"), 3);
    expect_str(cmd(c, "HGET h n"), "-123");
    expect_str(cmd(c, "HGET h big"), "123456789012345678901");
    expect_str(cmd(c, "HGET h z"), "007");
    expect_int(cmd(c, "HSTRLEN h n"), 4);
}

Test(hashes, set_get_both_encodings)
{
    for_both_encodings(body_set_get);
}

static void body_del(redisContext *c, const char *encoding)
{
    expect_int(cmd(c, "HSET h a 1 b 2 c 3"), 3);
    check_encoding(c, "h", encoding);
    expect_int(cmd(c, "HDEL h a zz a"), 1);
    expect_int(cmd(c, "HLEN h"), 2);
    expect_int(cmd(c, "HDEL missing a"), 0);
    expect_int(cmd(c, "HDEL h b c"), 2);
    expect_int(cmd(c, "EXISTS h"), 0);
    expect_nil(cmd(c, "HGET h b"));

    /* The TTL survives field writes. */
    expect_int(cmd(c, "HSET t a 1"), 1);
    expect_int(cmd(c, "EXPIRE t 100"), 1);
    expect_int(cmd(c, "HSET t b 2"), 1);
    expect_int(cmd(c, "HDEL t a"), 1);
    expect_int(cmd(c, "HINCRBY t n 1"), 1);
    redisReply *r = cmd(c, "TTL t");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer > 90 && r->integer <= 100, "TTL: %s", describe_reply(r));
    freeReplyObject(r);
}

Test(hashes, hdel_deletes_empty_key_both_encodings)
{
    for_both_encodings(body_del);
}

static void body_getall(redisContext *c, const char *encoding)
{
    expect_int(cmd(c, "HSET h a 1 b 2 c 3"), 3);
    check_encoding(c, "h", encoding);
    expect_str_set(cmd(c, "HKEYS h"), 3, "a", "b", "c");
    expect_str_set(cmd(c, "HVALS h"), 3, "1", "2", "3");
    redisReply *r = cmd(c, "HGETALL h");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "HGETALL: %s", describe_reply(r));
    int seen = 0;
    for (size_t i = 0; i < 6; i += 2) {
        const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
        cr_assert(f[1] == '\0' && f[0] >= 'a' && f[0] <= 'c' && v[0] == '1' + (f[0] - 'a'), "pair %s=%s", f, v);
        seen |= 1 << (f[0] - 'a');
    }
    cr_assert_eq(seen, 7);
    freeReplyObject(r);
    expect_array_len(cmd(c, "HGETALL missing"), 0);
    expect_array_len(cmd(c, "HKEYS missing"), 0);
    expect_array_len(cmd(c, "HVALS missing"), 0);
}

Test(hashes, hkeys_hvals_hgetall_both_encodings)
{
    for_both_encodings(body_getall);
}

Test(hashes, listpack_order_is_insertion_order)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "HSET h z 1 y 2 x 3"), 3);
    expect_strs(cmd(c, "HKEYS h"), 3, "z", "y", "x");
    expect_strs(cmd(c, "HGETALL h"), 6, "z", "1", "y", "2", "x", "3");
    expect_int(cmd(c, "HDEL h y"), 1);
    expect_int(cmd(c, "HSET h y 4"), 1);
    expect_strs(cmd(c, "HVALS h"), 3, "1", "3", "4");
    redisFree(c);
}

static void body_incr(redisContext *c, const char *encoding)
{
    expect_int(cmd(c, "HINCRBY h n 5"), 5);
    check_encoding(c, "h", encoding);
    expect_int(cmd(c, "HINCRBY h n -7"), -2);
    expect_str(cmd(c, "HGET h n"), "-2");
    expect_err(cmd(c, "HINCRBY h n x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "HINCRBY h n 1.5"), "ERR value is not an integer or out of range");
    expect_int(cmd(c, "HSET h s abc f 1.5 sp %s big 9223372036854775807", " 1"), 4);
    expect_err(cmd(c, "HINCRBY h s 1"), "ERR hash value is not an integer");
    expect_err(cmd(c, "HINCRBY h f 1"), "ERR hash value is not an integer");
    expect_err(cmd(c, "HINCRBY h sp 1"), "ERR hash value is not an integer");
    expect_err(cmd(c, "HINCRBY h big 1"), "ERR increment or decrement would overflow");
    expect_int(cmd(c, "HINCRBY h big -1"), 9223372036854775806LL);
    expect_int(cmd(c, "HSET h small -9223372036854775808"), 1);
    expect_err(cmd(c, "HINCRBY h small -1"), "ERR increment or decrement would overflow");
    expect_int(cmd(c, "HINCRBY h small 0"), (long long)(-9223372036854775807LL - 1));

    expect_str(cmd(c, "HINCRBYFLOAT h fl 10.5"), "10.5");
    expect_str(cmd(c, "HINCRBYFLOAT h fl 0.1"), "10.6");
    expect_str(cmd(c, "HINCRBYFLOAT h fl -5.6"), "5");
    expect_str(cmd(c, "HINCRBYFLOAT h fl 5.0e3"), "5005");
    expect_str(cmd(c, "HGET h fl"), "5005");
    expect_str(cmd(c, "HINCRBYFLOAT h n 1.5"), "-0.5");
    expect_str(cmd(c, "HINCRBYFLOAT h f 1"), "2.5");
    expect_err(cmd(c, "HINCRBYFLOAT h s 1"), "ERR hash value is not a float");
    expect_err(cmd(c, "HINCRBYFLOAT h sp 1"), "ERR hash value is not a float");
    expect_err(cmd(c, "HINCRBYFLOAT h fl x"), "ERR value is not a valid float");
    expect_err(cmd(c, "HINCRBYFLOAT h fl inf"), "ERR value is NaN or Infinity");
    expect_err(cmd(c, "HINCRBYFLOAT h fl -inf"), "ERR value is NaN or Infinity");
    expect_err(cmd(c, "HINCRBYFLOAT h fl nan"), "ERR value is not a valid float");
    expect_int(cmd(c, "HSET h i inf"), 1);
    expect_err(cmd(c, "HINCRBYFLOAT h i 1"), "ERR increment would produce NaN or Infinity");
    expect_str(cmd(c, "HINCRBYFLOAT new g 1.10"), "1.1");
    check_encoding(c, "new", encoding);
    expect_str(cmd(c, "HINCRBYFLOAT new g -1.10"), "0");
}

Test(hashes, hincrby_hincrbyfloat_both_encodings)
{
    for_both_encodings(body_incr);
}

Test(hashes, wrong_type_and_arity)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s v"), "OK");
    expect_err(cmd(c, "HSET s a 1"), WRONGTYPE);
    expect_err(cmd(c, "HMSET s a 1"), WRONGTYPE);
    expect_err(cmd(c, "HSETNX s a 1"), WRONGTYPE);
    expect_err(cmd(c, "HGET s a"), WRONGTYPE);
    expect_err(cmd(c, "HMGET s a"), WRONGTYPE);
    expect_err(cmd(c, "HDEL s a"), WRONGTYPE);
    expect_err(cmd(c, "HLEN s"), WRONGTYPE);
    expect_err(cmd(c, "HSTRLEN s a"), WRONGTYPE);
    expect_err(cmd(c, "HEXISTS s a"), WRONGTYPE);
    expect_err(cmd(c, "HKEYS s"), WRONGTYPE);
    expect_err(cmd(c, "HVALS s"), WRONGTYPE);
    expect_err(cmd(c, "HGETALL s"), WRONGTYPE);
    expect_err(cmd(c, "HINCRBY s a 1"), WRONGTYPE);
    expect_err(cmd(c, "HINCRBYFLOAT s a 1"), WRONGTYPE);
    expect_err(cmd(c, "HRANDFIELD s"), WRONGTYPE);
    expect_err(cmd(c, "HRANDFIELD s 2"), WRONGTYPE);
    expect_err(cmd(c, "HSCAN s 0"), WRONGTYPE);
    /* The increment is checked before the type. */
    expect_err(cmd(c, "HINCRBY s a x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "HINCRBYFLOAT s a x"), "ERR value is not a valid float");
    /* HSCAN: cursor first, then the type, then the options. */
    expect_err(cmd(c, "HSCAN s x"), "ERR invalid cursor");
    expect_err(cmd(c, "HSCAN s 0 foo"), WRONGTYPE);

    expect_err(cmd(c, "HSET h a"), "ERR wrong number of arguments for 'hset' command");
    expect_err(cmd(c, "HSET h a 1 b"), "ERR wrong number of arguments for 'hset' command");
    expect_err(cmd(c, "HMSET h a 1 b"), "ERR wrong number of arguments for 'hmset' command");
    expect_err(cmd(c, "HGET h"), "ERR wrong number of arguments for 'hget' command");
    expect_err(cmd(c, "HDEL h"), "ERR wrong number of arguments for 'hdel' command");
    expect_int(cmd(c, "EXISTS h"), 0);
    expect_str(cmd(c, "GET s"), "v");
    redisFree(c);
}

Test(hashes, conversion_thresholds)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET hash-max-listpack-entries 4"), "OK");
    expect_status(cmd(c, "CONFIG SET hash-max-listpack-value 8"), "OK");
    expect_int(cmd(c, "HSET h a 1 b 2 c 3 d 4"), 4);
    check_encoding(c, "h", "listpack");
    expect_int(cmd(c, "HSET h e 5"), 1);
    check_encoding(c, "h", "hashtable");
    expect_int(cmd(c, "HLEN h"), 5);
    expect_str(cmd(c, "HGET h a"), "1");
    /* Never converted back. */
    expect_int(cmd(c, "HDEL h a b c d"), 4);
    check_encoding(c, "h", "hashtable");

    expect_int(cmd(c, "HSET v f 12345678"), 1);
    check_encoding(c, "v", "listpack");
    expect_int(cmd(c, "HSET v f 123456789"), 0);
    check_encoding(c, "v", "hashtable");
    expect_str(cmd(c, "HGET v f"), "123456789");

    expect_int(cmd(c, "HSET k 123456789 x"), 1);
    check_encoding(c, "k", "hashtable");
    expect_int(cmd(c, "HSETNX n 123456789 x"), 1);
    check_encoding(c, "n", "hashtable");
    redisFree(c);
}

Test(hashes, large_hash_converted)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 1000; i++)
        cr_assert(redisAppendCommand(c, "HSET big f%d v%d", i, i) == REDIS_OK);
    for (int i = 0; i < 1000; i++)
        expect_int(next_reply(c), 1);
    check_encoding(c, "big", "hashtable");
    expect_int(cmd(c, "HLEN big"), 1000);
    expect_str(cmd(c, "HGET big f777"), "v777");
    expect_array_len(cmd(c, "HKEYS big"), 1000);
    expect_array_len(cmd(c, "HGETALL big"), 2000);
    for (int i = 0; i < 1000; i += 2)
        cr_assert(redisAppendCommand(c, "HDEL big f%d", i) == REDIS_OK);
    for (int i = 0; i < 1000; i += 2)
        expect_int(next_reply(c), 1);
    expect_int(cmd(c, "HLEN big"), 500);
    expect_int(cmd(c, "HEXISTS big f2"), 0);
    expect_int(cmd(c, "HEXISTS big f3"), 1);
    expect_int(cmd(c, "COPY big big2"), 1);
    expect_int(cmd(c, "HLEN big2"), 500);
    expect_str(cmd(c, "HGET big2 f999"), "v999");
    redisFree(c);
}

struct hscan_seen {
    char *seen; /* seen[n]: field f<n> was returned */
    int max;
    int distinct;
};

static void hscan_visit(const redisReply *items, void *arg)
{
    struct hscan_seen *s = arg;
    cr_assert(items->elements % 2 == 0);
    for (size_t i = 0; i < items->elements; i += 2) {
        int n = atoi(items->element[i]->str + 1);
        cr_assert(n >= 0 && n < s->max, "field %s", items->element[i]->str);
        cr_assert_eq(atoi(items->element[i + 1]->str + 1), n);
        if (!s->seen[n]++)
            s->distinct++;
    }
}

/* HSCAN until the cursor is 0; returns how many distinct fields were seen
 * (fields must be f<number> below max) and checks each value is v<number>. */
static int hscan_distinct(redisContext *c, const char *key, const char *extra, int max)
{
    struct hscan_seen s = {.seen = calloc((size_t)max, 1), .max = max};
    char command[128];
    snprintf(command, sizeof(command), "HSCAN %s", key);
    scan_all(c, command, extra, hscan_visit, &s);
    free(s.seen);
    return s.distinct;
}

Test(hashes, hscan)
{
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "HSCAN missing 0 MATCH x COUNT 5");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "HSCAN missing: %s", describe_reply(r));
    assert_str(r->element[0], "0");
    assert_array_len(r->element[1], 0);
    freeReplyObject(r);
    expect_int(cmd(c, "HSET small f1 v1 f2 v2 f10 v10"), 3);
    /* A listpack comes whole, with cursor 0, whatever the cursor and COUNT. */
    r = cmd(c, "HSCAN small 0 COUNT 1");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    assert_str(r->element[0], "0");
    assert_strs(r->element[1], 6, "f1", "v1", "f2", "v2", "f10", "v10");
    freeReplyObject(r);
    r = cmd(c, "HSCAN small 0 MATCH f1*");
    assert_str(r->element[0], "0");
    assert_strs(r->element[1], 4, "f1", "v1", "f10", "v10");
    freeReplyObject(r);
    expect_err(cmd(c, "HSCAN small 0 COUNT 0"), "ERR syntax error");
    expect_err(cmd(c, "HSCAN small 0 COUNT x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "HSCAN small 0 MATCH"), "ERR syntax error");
    expect_err(cmd(c, "HSCAN small 0 NOVALUES"), "ERR syntax error");
    expect_err(cmd(c, "HSCAN small %s", " 1"), "ERR invalid cursor");
    expect_err(cmd(c, "HSCAN small 1x"), "ERR invalid cursor");
    expect_err(cmd(c, "HSCAN small 18446744073709551616"), "ERR invalid cursor");
    /* strtoul's forms are cursors, as in Redis 7.0. */
    r = cmd(c, "HSCAN small -1");
    assert_str(r->element[0], "0");
    freeReplyObject(r);
    r = cmd(c, "HSCAN small +1");
    assert_str(r->element[0], "0");
    freeReplyObject(r);
    cr_assert_eq(hscan_distinct(c, "small", "", 20), 3);

    for (int i = 0; i < 500; i++)
        cr_assert(redisAppendCommand(c, "HSET big f%d v%d", i, i) == REDIS_OK);
    for (int i = 0; i < 500; i++)
        expect_int(next_reply(c), 1);
    cr_assert_eq(hscan_distinct(c, "big", "", 500), 500);
    cr_assert_eq(hscan_distinct(c, "big", "COUNT 7", 500), 500);
    cr_assert_eq(hscan_distinct(c, "big", "COUNT 1000", 500), 500);
    /* f1, f10..f19, f100..f199 */
    cr_assert_eq(hscan_distinct(c, "big", "MATCH f1* COUNT 50", 500), 111);
    redisFree(c);
}

/* Checks a HRANDFIELD reply: n elements (2n strings with values), each a
 * field of h (f<number> below size, with value v<number>), distinct when
 * unique. */
static void check_random(redisReply *r, size_t n, int withvalues, int unique, int size)
{
    size_t step = withvalues ? 2 : 1;
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == n * step, "HRANDFIELD: %s", describe_reply(r));
    char *seen = calloc((size_t)size, 1);
    for (size_t i = 0; i < r->elements; i += step) {
        cr_assert_eq(r->element[i]->type, REDIS_REPLY_STRING);
        int k = atoi(r->element[i]->str + 1);
        cr_assert(k >= 0 && k < size, "field %s", r->element[i]->str);
        if (withvalues)
            cr_assert_eq(atoi(r->element[i + 1]->str + 1), k);
        cr_assert(!unique || !seen[k], "repeated field %s", r->element[i]->str);
        seen[k] = 1;
    }
    free(seen);
    freeReplyObject(r);
}

static void body_hrandfield(redisContext *c, const char *encoding)
{
    for (int i = 0; i < 20; i++)
        expect_int(cmd(c, "HSET h f%d v%d", i, i), 1);
    check_encoding(c, "h", encoding);
    redisReply *r = cmd(c, "HRANDFIELD h");
    cr_assert(r->type == REDIS_REPLY_STRING && r->str[0] == 'f', "HRANDFIELD: %s", describe_reply(r));
    freeReplyObject(r);
    expect_nil(cmd(c, "HRANDFIELD missing"));
    expect_array_len(cmd(c, "HRANDFIELD missing 3"), 0);
    expect_array_len(cmd(c, "HRANDFIELD missing -3 WITHVALUES"), 0);
    expect_array_len(cmd(c, "HRANDFIELD h 0"), 0);
    expect_array_len(cmd(c, "HRANDFIELD h 0 WITHVALUES"), 0);
    for (int round = 0; round < 20; round++) {
        check_random(cmd(c, "HRANDFIELD h 1"), 1, 0, 1, 20);
        check_random(cmd(c, "HRANDFIELD h 3"), 3, 0, 1, 20);
        check_random(cmd(c, "HRANDFIELD h 3 WITHVALUES"), 3, 1, 1, 20);
        check_random(cmd(c, "HRANDFIELD h 15 withvalues"), 15, 1, 1, 20);
        check_random(cmd(c, "HRANDFIELD h 20"), 20, 0, 1, 20);
        check_random(cmd(c, "HRANDFIELD h 100 WITHVALUES"), 20, 1, 1, 20);
        check_random(cmd(c, "HRANDFIELD h -5"), 5, 0, 0, 20);
        check_random(cmd(c, "HRANDFIELD h -50 WITHVALUES"), 50, 1, 0, 20);
    }
    expect_err(cmd(c, "HRANDFIELD h x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "HRANDFIELD h 1 foo"), "ERR syntax error");
    expect_err(cmd(c, "HRANDFIELD h 1 WITHVALUES x"), "ERR syntax error");
    expect_err(cmd(c, "HRANDFIELD h -9223372036854775808"),
               "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
    expect_err(cmd(c, "HRANDFIELD h 9223372036854775807 WITHVALUES"), "ERR value is out of range");
    expect_err(cmd(c, "HRANDFIELD h -4611686018427387904 WITHVALUES"), "ERR value is out of range");
    /* The count is parsed before the key is looked at. */
    expect_err(cmd(c, "HRANDFIELD missing x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "HRANDFIELD missing 1 foo"), "ERR syntax error");
}

Test(hashes, hrandfield_both_encodings)
{
    for_both_encodings(body_hrandfield);
}

Test(hashes, hrandfield_sparse_on_large_hash)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 300; i++)
        cr_assert(redisAppendCommand(c, "HSET h f%d v%d", i, i) == REDIS_OK);
    for (int i = 0; i < 300; i++)
        expect_int(next_reply(c), 1);
    for (int round = 0; round < 10; round++) {
        check_random(cmd(c, "HRANDFIELD h 10 WITHVALUES"), 10, 1, 1, 300);
        check_random(cmd(c, "HRANDFIELD h 150"), 150, 0, 1, 300);
        check_random(cmd(c, "HRANDFIELD h -400"), 400, 0, 0, 300);
    }
    redisFree(c);
}

Test(hashes, resp3_replies)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    struct resp3 *r = raw_call(&s, "HELLO", "3", NULL);
    resp3_free(r);
    r = raw_call(&s, "HSET", "h", "a", "1", "b", "2", NULL);
    cr_assert(r->type == ':' && r->integer == 2, "HSET: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "HGETALL", "h", NULL);
    cr_assert(r->type == '%' && r->count == 2, "HGETALL: %s", resp3_describe(r));
    cr_assert(resp3_is_text(resp3_map_get(r, "a"), '$', "1"));
    cr_assert(resp3_is_text(resp3_map_get(r, "b"), '$', "2"));
    resp3_free(r);
    r = raw_call(&s, "HGETALL", "missing", NULL);
    cr_assert(r->type == '%' && r->count == 0, "HGETALL missing: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "HGET", "h", "zz", NULL);
    cr_assert(r->type == '_', "HGET nil: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "HRANDFIELD", "h", "2", "WITHVALUES", NULL);
    cr_assert(r->type == '*' && r->count == 2, "HRANDFIELD: %s", resp3_describe(r));
    for (size_t i = 0; i < 2; i++)
        cr_assert(r->items[i]->type == '*' && r->items[i]->count == 2, "pair: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "HRANDFIELD", "h", "-3", "WITHVALUES", NULL);
    cr_assert(r->type == '*' && r->count == 3, "HRANDFIELD -3: %s", resp3_describe(r));
    for (size_t i = 0; i < 3; i++)
        cr_assert(r->items[i]->type == '*' && r->items[i]->count == 2, "pair: %s", resp3_describe(r));
    resp3_free(r);
    r = raw_call(&s, "HRANDFIELD", "h", "-3", NULL);
    cr_assert(r->type == '*' && r->count == 3 && r->items[0]->type == '$', "HRANDFIELD -3: %s", resp3_describe(r));
    resp3_free(r);
    raw_session_close(&s);
}

static void body_keyspace(redisContext *c, const char *encoding)
{
    expect_int(cmd(c, "HSET src a 1 b 2"), 2);
    /* src and the other names hash to different shards on most thread counts. */
    expect_int(cmd(c, "COPY src dst"), 1);
    check_encoding(c, "dst", encoding);
    expect_int(cmd(c, "HSET dst c 3"), 1);
    expect_int(cmd(c, "HLEN src"), 2);
    expect_int(cmd(c, "HLEN dst"), 3);
    expect_status(cmd(c, "RENAME dst moved"), "OK");
    expect_int(cmd(c, "EXISTS dst"), 0);
    expect_str(cmd(c, "HGET moved c"), "3");
    check_encoding(c, "moved", encoding);
    expect_int(cmd(c, "DEL moved"), 1);
    expect_int(cmd(c, "EXISTS moved"), 0);
    expect_int(cmd(c, "EXPIREAT src 1"), 1);
    expect_int(cmd(c, "EXISTS src"), 0);
    expect_int(cmd(c, "HLEN src"), 0);
    expect_int(cmd(c, "HSET src x 1"), 1);
    expect_int(cmd(c, "TTL src"), -1);
}

Test(hashes, copy_rename_del_expire_both_encodings)
{
    for_both_encodings(body_keyspace);
}
