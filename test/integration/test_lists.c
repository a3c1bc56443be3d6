/*
 * test_lists.c - list commands against a live server, Redis 7.0 replies.
 *
 * Every scenario runs twice: with the default list-max-listpack-size (small
 * lists stay one listpack) and with CONFIG SET list-max-listpack-size 2
 * (every list of more than two elements is a quicklist of many nodes), so
 * both encodings and the conversions between them give the same replies.
 * OBJECT ENCODING answers "quicklist" for every list, as Redis 7.0 does,
 * whether the server holds it as one listpack or as linked nodes (the
 * conversions themselves are checked in test/unit/core/commands/test_cmd_list.c).
 *
 * Multi-key commands (LMOVE, RPOPLPUSH, LMPOP, BLPOP ...) use keys without
 * hash tags, so with several threads they usually span shards.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(lists, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

#define WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

/* Small nodes: every list of more than `fill` elements is a quicklist. */
static void small_nodes(redisContext *c, int fill)
{
    expect_status(cmd(c, "CONFIG SET list-max-listpack-size %d", fill), "OK");
}

/* ---------------- scenarios, run under both encodings ---------------- */

static void push_and_pop(redisContext *c)
{
    expect_int(cmd(c, "RPUSH l a b c"), 3);
    expect_int(cmd(c, "LPUSH l z y"), 5);
    expect_strs(cmd(c, "LRANGE l 0 -1"), 5, "y", "z", "a", "b", "c");
    expect_int(cmd(c, "LLEN l"), 5);
    expect_str(cmd(c, "LPOP l"), "y");
    expect_str(cmd(c, "RPOP l"), "c");
    expect_strs(cmd(c, "LPOP l 2"), 2, "z", "a");
    expect_strs(cmd(c, "RPOP l 5"), 1, "b");
    expect_int(cmd(c, "EXISTS l"), 0);
    expect_nil(cmd(c, "LPOP l"));
    expect_nil(cmd(c, "RPOP l 3")); /* null array */
    expect_nil(cmd(c, "LPOP l 0"));
    expect_int(cmd(c, "RPUSH l 1 2 3 4 5 6 7"), 7);
    expect_array_len(cmd(c, "LPOP l 0"), 0);
    expect_strs(cmd(c, "RPOP l 3"), 3, "7", "6", "5");
    expect_strs(cmd(c, "LPOP l 3"), 3, "1", "2", "3");
    expect_strs(cmd(c, "LRANGE l 0 -1"), 1, "4");
    expect_err(cmd(c, "LPOP l -1"), "ERR value is out of range, must be positive");
    expect_err(cmd(c, "RPOP l x"), "ERR value is out of range, must be positive");
    expect_err(cmd(c, "LPOP l 1 2"), "ERR wrong number of arguments for 'lpop' command");
    expect_int(cmd(c, "LLEN missing"), 0);

    /* pushx */
    expect_int(cmd(c, "LPUSHX nx a b"), 0);
    expect_int(cmd(c, "RPUSHX nx a"), 0);
    expect_int(cmd(c, "EXISTS nx"), 0);
    expect_int(cmd(c, "LPUSHX l a b"), 3);
    expect_int(cmd(c, "RPUSHX l c"), 4);
    expect_strs(cmd(c, "LRANGE l 0 -1"), 4, "b", "a", "4", "c");

    /* many elements, popped one by one from both ends */
    for (int i = 0; i < 300; i++)
        expect_int(cmd(c, "RPUSH many e%d", i), i + 1);
    for (int i = 0; i < 150; i++) {
        char want[16];
        snprintf(want, sizeof(want), "e%d", i);
        expect_str(cmd(c, "LPOP many"), want);
        snprintf(want, sizeof(want), "e%d", 299 - i);
        expect_str(cmd(c, "RPOP many"), want);
    }
    expect_int(cmd(c, "EXISTS many"), 0);
}

static void ranges_and_indexes(redisContext *c)
{
    expect_int(cmd(c, "RPUSH l 0 1 2 3 4 5 6 7 8 9"), 10);
    expect_strs(cmd(c, "LRANGE l 0 2"), 3, "0", "1", "2");
    expect_strs(cmd(c, "LRANGE l -3 -1"), 3, "7", "8", "9");
    expect_strs(cmd(c, "LRANGE l -100 1"), 2, "0", "1");
    expect_strs(cmd(c, "LRANGE l 8 100"), 2, "8", "9");
    expect_array_len(cmd(c, "LRANGE l 5 4"), 0);
    expect_array_len(cmd(c, "LRANGE l 10 20"), 0);
    expect_array_len(cmd(c, "LRANGE l -100 -50"), 0);
    expect_array_len(cmd(c, "LRANGE missing 0 -1"), 0);
    expect_err(cmd(c, "LRANGE l x 1"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "LRANGE missing 0 y"), "ERR value is not an integer or out of range");

    expect_str(cmd(c, "LINDEX l 0"), "0");
    expect_str(cmd(c, "LINDEX l 7"), "7");
    expect_str(cmd(c, "LINDEX l -1"), "9");
    expect_str(cmd(c, "LINDEX l -10"), "0");
    expect_nil(cmd(c, "LINDEX l 10"));
    expect_nil(cmd(c, "LINDEX l -11"));
    expect_nil(cmd(c, "LINDEX missing x")); /* key checked first */
    expect_err(cmd(c, "LINDEX l x"), "ERR value is not an integer or out of range");

    expect_status(cmd(c, "LSET l 0 first"), "OK");
    expect_status(cmd(c, "LSET l -1 last"), "OK");
    expect_status(cmd(c, "LSET l 5 %s", "a-much-longer-value-than-before-to-change-sizes"), "OK");
    expect_strs(cmd(c, "LRANGE l 4 6"), 3, "4", "a-much-longer-value-than-before-to-change-sizes", "6");
    expect_strs(cmd(c, "LRANGE l 0 0"), 1, "first");
    expect_str(cmd(c, "LINDEX l 9"), "last");
    expect_err(cmd(c, "LSET l 10 x"), "ERR index out of range");
    expect_err(cmd(c, "LSET l -11 x"), "ERR index out of range");
    expect_err(cmd(c, "LSET missing 0 x"), "ERR no such key");
    expect_err(cmd(c, "LSET missing x x"), "ERR no such key");
    expect_err(cmd(c, "LSET l x x"), "ERR value is not an integer or out of range");
    expect_int(cmd(c, "LLEN l"), 10);
}

static void insert_remove_trim(redisContext *c)
{
    expect_int(cmd(c, "RPUSH l a b c b a"), 5);
    expect_int(cmd(c, "LINSERT l BEFORE b x"), 6);
    expect_int(cmd(c, "LINSERT l after a y"), 7);
    expect_strs(cmd(c, "LRANGE l 0 -1"), 7, "a", "y", "x", "b", "c", "b", "a");
    expect_int(cmd(c, "LINSERT l BEFORE nothere z"), -1);
    expect_int(cmd(c, "LINSERT missing BEFORE a z"), 0);
    expect_err(cmd(c, "LINSERT l MIDDLE a z"), "ERR syntax error");
    expect_err(cmd(c, "LINSERT missing MIDDLE a z"), "ERR syntax error");
    expect_int(cmd(c, "LINSERT l AFTER a last-after-first-a"), 8);
    expect_int(cmd(c, "LINSERT l BEFORE c before-c"), 9);
    expect_strs(cmd(c, "LRANGE l 0 -1"), 9, "a", "last-after-first-a", "y", "x", "b", "before-c", "c", "b", "a");

    expect_int(cmd(c, "LREM l 1 b"), 1);
    expect_int(cmd(c, "LREM l -1 a"), 1);
    expect_strs(cmd(c, "LRANGE l 0 -1"), 7, "a", "last-after-first-a", "y", "x", "before-c", "c", "b");
    expect_int(cmd(c, "LREM l 0 nothere"), 0);
    expect_int(cmd(c, "LREM missing 0 a"), 0);
    expect_err(cmd(c, "LREM l x a"), "ERR value is not an integer or out of range");
    expect_int(cmd(c, "RPUSH r x a x b x c x"), 7);
    expect_int(cmd(c, "LREM r 2 x"), 2);
    expect_strs(cmd(c, "LRANGE r 0 -1"), 5, "a", "b", "x", "c", "x");
    expect_int(cmd(c, "LREM r -1 x"), 1);
    expect_strs(cmd(c, "LRANGE r 0 -1"), 4, "a", "b", "x", "c");
    expect_int(cmd(c, "LREM r 0 x"), 1);
    expect_int(cmd(c, "LREM r 0 a"), 1);
    expect_int(cmd(c, "LREM r 0 b"), 1);
    expect_int(cmd(c, "LREM r 0 c"), 1);
    expect_int(cmd(c, "EXISTS r"), 0);
    /* integers compare by their text */
    expect_int(cmd(c, "RPUSH n 1 01 1 -1 100"), 5);
    expect_int(cmd(c, "LREM n 0 1"), 2);
    expect_strs(cmd(c, "LRANGE n 0 -1"), 3, "01", "-1", "100");

    expect_int(cmd(c, "RPUSH t 0 1 2 3 4 5 6 7 8 9"), 10);
    expect_status(cmd(c, "LTRIM t 1 -2"), "OK");
    expect_strs(cmd(c, "LRANGE t 0 -1"), 8, "1", "2", "3", "4", "5", "6", "7", "8");
    expect_status(cmd(c, "LTRIM t 2 100"), "OK");
    expect_strs(cmd(c, "LRANGE t 0 -1"), 6, "3", "4", "5", "6", "7", "8");
    expect_status(cmd(c, "LTRIM t -2 -1"), "OK");
    expect_strs(cmd(c, "LRANGE t 0 -1"), 2, "7", "8");
    expect_status(cmd(c, "LTRIM t 5 1"), "OK");
    expect_int(cmd(c, "EXISTS t"), 0);
    expect_status(cmd(c, "LTRIM missing 0 1"), "OK");
    expect_err(cmd(c, "LTRIM t x 1"), "ERR value is not an integer or out of range");
}

static void positions(redisContext *c)
{
    expect_int(cmd(c, "RPUSH l a b c 1 2 3 c c"), 8);
    expect_int(cmd(c, "LPOS l c"), 2);
    expect_int(cmd(c, "LPOS l c RANK 2"), 6);
    expect_int(cmd(c, "LPOS l c RANK -1"), 7);
    expect_int(cmd(c, "LPOS l c RANK -3"), 2);
    expect_nil(cmd(c, "LPOS l c RANK 4"));
    expect_nil(cmd(c, "LPOS l nothere"));
    expect_nil(cmd(c, "LPOS missing a"));
    expect_array_len(cmd(c, "LPOS missing a COUNT 0"), 0);
    redisReply *r = expect_array(cmd(c, "LPOS l c COUNT 0"), 3);
    assert_int(r->element[0], 2);
    assert_int(r->element[1], 6);
    assert_int(r->element[2], 7);
    freeReplyObject(r);
    r = expect_array(cmd(c, "LPOS l c COUNT 2 RANK -1"), 2);
    assert_int(r->element[0], 7);
    assert_int(r->element[1], 6);
    freeReplyObject(r);
    r = expect_array(cmd(c, "LPOS l c COUNT 0 RANK 2"), 2);
    assert_int(r->element[0], 6);
    assert_int(r->element[1], 7);
    freeReplyObject(r);
    expect_array_len(cmd(c, "LPOS l nothere COUNT 1"), 0);
    expect_nil(cmd(c, "LPOS l c MAXLEN 2"));
    expect_int(cmd(c, "LPOS l c MAXLEN 3"), 2);
    r = expect_array(cmd(c, "LPOS l c COUNT 0 MAXLEN 7"), 2);
    assert_int(r->element[0], 2);
    assert_int(r->element[1], 6);
    freeReplyObject(r);
    expect_int(cmd(c, "LPOS l 2"), 4);
    expect_err(cmd(c, "LPOS l c RANK 0"), "ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                                          "second ... or use negative to start from the end of the list");
    expect_err(cmd(c, "LPOS l c RANK x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "LPOS l c COUNT -1"), "ERR COUNT can't be negative");
    expect_err(cmd(c, "LPOS l c COUNT x"), "ERR COUNT can't be negative");
    expect_err(cmd(c, "LPOS l c MAXLEN -1"), "ERR MAXLEN can't be negative");
    expect_err(cmd(c, "LPOS l c FOO 1"), "ERR syntax error");
    expect_err(cmd(c, "LPOS l c COUNT"), "ERR syntax error");
    expect_err(cmd(c, "LPOS missing c RANK 0"), "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                                                "from the second ... or use negative to start from the end of the "
                                                "list");
}

static void moves(redisContext *c)
{
    expect_int(cmd(c, "RPUSH src a b c"), 3);
    expect_str(cmd(c, "LMOVE src dst LEFT RIGHT"), "a");
    expect_str(cmd(c, "LMOVE src dst RIGHT LEFT"), "c");
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 2, "c", "a");
    expect_str(cmd(c, "RPOPLPUSH src dst"), "b");
    expect_int(cmd(c, "EXISTS src"), 0);
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 3, "b", "c", "a");
    expect_nil(cmd(c, "LMOVE src dst LEFT LEFT"));
    expect_nil(cmd(c, "RPOPLPUSH src dst"));
    expect_err(cmd(c, "LMOVE dst src UP LEFT"), "ERR syntax error");
    expect_err(cmd(c, "LMOVE dst src LEFT DOWN"), "ERR syntax error");
    /* rotation */
    expect_str(cmd(c, "RPOPLPUSH dst dst"), "a");
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 3, "a", "b", "c");
    expect_str(cmd(c, "LMOVE dst dst LEFT RIGHT"), "a");
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 3, "b", "c", "a");
    expect_int(cmd(c, "RPUSH one x"), 1);
    expect_str(cmd(c, "LMOVE one one LEFT LEFT"), "x");
    expect_strs(cmd(c, "LRANGE one 0 -1"), 1, "x");
    /* wrong types: source first, destination only when the source has data */
    expect_status(cmd(c, "SET str v"), "OK");
    expect_err(cmd(c, "LMOVE str dst LEFT LEFT"), WRONGTYPE);
    expect_err(cmd(c, "LMOVE dst str LEFT LEFT"), WRONGTYPE);
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 3, "b", "c", "a");
    expect_nil(cmd(c, "LMOVE missing str LEFT LEFT"));
    expect_err(cmd(c, "RPOPLPUSH dst str"), WRONGTYPE);

    /* LMPOP */
    expect_int(cmd(c, "RPUSH m2 1 2 3 4 5"), 5);
    expect_nil(cmd(c, "LMPOP 2 m0 m1 LEFT"));
    redisReply *r = expect_array(cmd(c, "LMPOP 3 m0 m1 m2 LEFT"), 2);
    assert_str(r->element[0], "m2");
    assert_strs(r->element[1], 1, "1");
    freeReplyObject(r);
    r = expect_array(cmd(c, "LMPOP 2 m0 m2 RIGHT COUNT 3"), 2);
    assert_str(r->element[0], "m2");
    assert_strs(r->element[1], 3, "5", "4", "3");
    freeReplyObject(r);
    r = expect_array(cmd(c, "LMPOP 1 m2 left COUNT 10"), 2);
    assert_str(r->element[0], "m2");
    assert_strs(r->element[1], 1, "2");
    freeReplyObject(r);
    expect_int(cmd(c, "EXISTS m2"), 0);
    expect_err(cmd(c, "LMPOP 0 m2 LEFT"), "ERR numkeys should be greater than 0");
    expect_err(cmd(c, "LMPOP x m2 LEFT"), "ERR numkeys should be greater than 0");
    expect_err(cmd(c, "LMPOP 2 m2 LEFT"), "ERR syntax error");
    expect_err(cmd(c, "LMPOP 1 m2 UP"), "ERR syntax error");
    expect_err(cmd(c, "LMPOP 1 m2 LEFT COUNT 0"), "ERR count should be greater than 0");
    expect_err(cmd(c, "LMPOP 1 m2 LEFT COUNT x"), "ERR count should be greater than 0");
    expect_err(cmd(c, "LMPOP 1 m2 LEFT COUNT 1 COUNT 1"), "ERR syntax error");
    expect_err(cmd(c, "LMPOP 1 m2 LEFT FOO"), "ERR syntax error");
    expect_err(cmd(c, "LMPOP 2 m0 str LEFT"), WRONGTYPE);
    expect_int(cmd(c, "RPUSH m1 a"), 1);
    r = expect_array(cmd(c, "LMPOP 2 m1 str LEFT"), 2); /* served before meeting str */
    assert_str(r->element[0], "m1");
    freeReplyObject(r);
}

typedef void scenario(redisContext *c);

static void run_both(scenario *fn)
{
    redisContext *c = client_connect();
    fn(c);
    expect_status(cmd(c, "FLUSHALL"), "OK");
    small_nodes(c, 2);
    fn(c);
    redisFree(c);
}

Test(lists, push_and_pop)
{
    run_both(push_and_pop);
}

Test(lists, ranges_and_indexes)
{
    run_both(ranges_and_indexes);
}

Test(lists, insert_remove_trim)
{
    run_both(insert_remove_trim);
}

Test(lists, positions)
{
    run_both(positions);
}

Test(lists, moves_and_lmpop)
{
    run_both(moves);
}

/* ---------------- types, binary data, encodings ---------------- */

Test(lists, wrong_type_everywhere)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s v"), "OK");
    expect_err(cmd(c, "LPUSH s a"), WRONGTYPE);
    expect_err(cmd(c, "RPUSH s a"), WRONGTYPE);
    expect_err(cmd(c, "LPUSHX s a"), WRONGTYPE);
    expect_err(cmd(c, "RPUSHX s a"), WRONGTYPE);
    expect_err(cmd(c, "LPOP s"), WRONGTYPE);
    expect_err(cmd(c, "RPOP s 2"), WRONGTYPE);
    expect_err(cmd(c, "LLEN s"), WRONGTYPE);
    expect_err(cmd(c, "LRANGE s 0 -1"), WRONGTYPE);
    expect_err(cmd(c, "LINDEX s 0"), WRONGTYPE);
    expect_err(cmd(c, "LINDEX s x"), WRONGTYPE);
    expect_err(cmd(c, "LSET s 0 x"), WRONGTYPE);
    expect_err(cmd(c, "LINSERT s BEFORE a b"), WRONGTYPE);
    expect_err(cmd(c, "LREM s 0 a"), WRONGTYPE);
    expect_err(cmd(c, "LTRIM s 0 1"), WRONGTYPE);
    expect_err(cmd(c, "LPOS s a"), WRONGTYPE);
    expect_err(cmd(c, "LMPOP 1 s LEFT"), WRONGTYPE);
    expect_err(cmd(c, "BLPOP s 0"), WRONGTYPE);
    expect_err(cmd(c, "BRPOP missing s 0"), WRONGTYPE);
    expect_err(cmd(c, "BLMOVE s d LEFT LEFT 0"), WRONGTYPE);
    expect_err(cmd(c, "BRPOPLPUSH s d 0"), WRONGTYPE);
    expect_err(cmd(c, "BLMPOP 0 1 s LEFT"), WRONGTYPE);
    expect_str(cmd(c, "GET s"), "v");
    expect_int(cmd(c, "RPUSH l a"), 1);
    expect_status(cmd(c, "TYPE l"), "list");
    expect_err(cmd(c, "GET l"), WRONGTYPE);
    redisFree(c);
}

Test(lists, binary_and_large_elements)
{
    redisContext *c = client_connect();
    const char bin[] = "a\0b\r\n\xff";
    size_t big_len = 1 << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + i % 26);
    expect_int(cmd(c, "RPUSH l %b %b small", bin, sizeof(bin) - 1, big, big_len), 3);
    expect_int(cmd(c, "LPUSH l %b", big, big_len), 4);
    expect_bulk(cmd(c, "LINDEX l 1"), bin, sizeof(bin) - 1);
    expect_bulk(cmd(c, "LINDEX l 2"), big, big_len);
    expect_encoding(c, "l", "quicklist");
    expect_int(cmd(c, "LPOS l %b", bin, sizeof(bin) - 1), 1);
    expect_int(cmd(c, "LINSERT l AFTER %b %b", bin, sizeof(bin) - 1, big, big_len), 5);
    expect_status(cmd(c, "LSET l -1 %b", big, big_len), "OK");
    expect_int(cmd(c, "LREM l 0 %b", big, big_len), 4);
    expect_bulk(cmd(c, "LPOP l"), bin, sizeof(bin) - 1);
    expect_int(cmd(c, "EXISTS l"), 0);
    expect_int(cmd(c, "RPUSH e %s", ""), 1);
    expect_str(cmd(c, "LPOP e"), "");
    free(big);
    redisFree(c);
}

Test(lists, encodings_and_conversions)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH l a b c"), 3);
    expect_encoding(c, "l", "quicklist");
    expect_int(cmd(c, "RPUSH l %s", "a value that will not fit in a small listpack node"), 4);
    expect_encoding(c, "l", "quicklist");
    small_nodes(c, 4);
    expect_int(cmd(c, "RPUSH l e"), 5);
    expect_encoding(c, "l", "quicklist");
    for (int i = 0; i < 20; i++)
        expect_int(cmd(c, "LPUSH l %d", i), 6 + i);
    expect_encoding(c, "l", "quicklist");
    expect_status(cmd(c, "LTRIM l 0 1"), "OK"); /* one node of 2 <= 4 / 2 */
    expect_encoding(c, "l", "quicklist");
    expect_strs(cmd(c, "LRANGE l 0 -1"), 2, "19", "18");
    /* size-limited nodes: 4 KB (-1) */
    small_nodes(c, -1);
    char value[601];
    memset(value, 'v', 600);
    value[600] = '\0';
    for (int i = 0; i < 10; i++)
        expect_int(cmd(c, "RPUSH s %s", value), i + 1);
    expect_encoding(c, "s", "quicklist");
    for (int i = 0; i < 7; i++)
        expect_str(cmd(c, "RPOP s"), value);
    expect_encoding(c, "s", "quicklist"); /* one listpack inside: 3 x 600 bytes < 2 KB */
    /* the default: 8 KB */
    small_nodes(c, -2);
    for (int i = 0; i < 2000; i++)
        cr_assert_eq(redisAppendCommand(c, "RPUSH big element-%d", i), REDIS_OK);
    for (int i = 0; i < 2000; i++)
        expect_int(next_reply(c), i + 1);
    expect_encoding(c, "big", "quicklist");
    expect_str(cmd(c, "LINDEX big 1234"), "element-1234");
    expect_strs(cmd(c, "LRANGE big 998 1001"), 4, "element-998", "element-999", "element-1000", "element-1001");
    expect_status(cmd(c, "LTRIM big 0 9"), "OK");
    expect_encoding(c, "big", "quicklist");
    /* COPY and RENAME carry both encodings */
    expect_int(cmd(c, "COPY s s2"), 1);
    expect_strs(cmd(c, "LRANGE s2 0 0"), 1, value);
    redisFree(c);
}

/* ---------------- blocking forms when they need not block ---------------- */

Test(lists, blocking_forms_with_data_or_in_multi)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH a 1 2 3"), 3);
    expect_strs(cmd(c, "BLPOP missing a 0"), 2, "a", "1");
    expect_strs(cmd(c, "BRPOP missing a 0"), 2, "a", "3");
    expect_str(cmd(c, "BLMOVE a b LEFT RIGHT 0"), "2");
    expect_int(cmd(c, "EXISTS a"), 0);
    expect_str(cmd(c, "BRPOPLPUSH b a 0"), "2");
    redisReply *r = expect_array(cmd(c, "BLMPOP 0 2 b a RIGHT COUNT 5"), 2);
    assert_str(r->element[0], "a");
    assert_strs(r->element[1], 1, "2");
    freeReplyObject(r);
    expect_nil(cmd(c, "BLPOP a 0.05"));
    expect_nil(cmd(c, "BLMOVE a b LEFT LEFT 0.05"));
    expect_nil(cmd(c, "BLMPOP 0.05 1 a LEFT"));
    expect_err(cmd(c, "BLPOP a -1"), "ERR timeout is negative");
    expect_err(cmd(c, "BLPOP a x"), "ERR timeout is not a float or out of range");
    expect_err(cmd(c, "BLMOVE a b UP LEFT x"), "ERR syntax error");
    expect_err(cmd(c, "BLMPOP x 0 a LEFT"), "ERR numkeys should be greater than 0");
    expect_err(cmd(c, "BLMPOP x 1 a LEFT"), "ERR timeout is not a float or out of range");
    expect_err(cmd(c, "BLMPOP 0 1 a LEFT COUNT 0"), "ERR count should be greater than 0");

    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "BLPOP a 0"), "QUEUED");
    expect_status(cmd(c, "BRPOPLPUSH a b 0"), "QUEUED");
    expect_status(cmd(c, "BLMOVE a b LEFT LEFT 0"), "QUEUED");
    expect_status(cmd(c, "BLMPOP 0 1 a LEFT"), "QUEUED");
    expect_status(cmd(c, "RPUSH a x"), "QUEUED");
    expect_status(cmd(c, "BLPOP a 0"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 6);
    assert_nil(r->element[0]);
    assert_nil(r->element[1]);
    assert_nil(r->element[2]);
    assert_nil(r->element[3]);
    assert_int(r->element[4], 1);
    assert_strs(r->element[5], 2, "a", "x");
    freeReplyObject(r);
    redisFree(c);
}
