/*
 * test_cmd_zset.c - unit tests for core/commands/cmd_zset.c: handlers called directly
 * with a hand-built struct cmd_ctx (cmd_harness.h) and checked byte for byte
 * against the RESP Redis 7.0 sends; the encoding each command leaves behind;
 * the blocking contract of BZPOPMIN/BZMPOP (c->blocking / c->blocked);
 * key_modified bits; deletion of emptied keys. The full command surface is
 * covered against a live server in test/integration/test_zsets.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/ds/listpack.h"
#include "core/types/object.h"
#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/ds/zset.h"

#include "cmd_harness.h"

TestSuite(cmd_zset, .init = harness_setup, .fini = harness_teardown);

static void add_string(const char *key)
{
    db_insert(ctx.db, entry_new_string(key_hash(key, strlen(key)), key, strlen(key), "v", 1));
}

Test(cmd_zset, zadd_and_readers_resp2)
{
    EXPECT(":3\r\n", cmd_zadd, "zadd", "z", "1", "a", "2.5", "b", "-inf", "c");
    cr_assert_eq(ctx.modified, 1u << 1);
    EXPECT("$3\r\n2.5\r\n", cmd_zscore, "zscore", "z", "b");
    EXPECT("$4\r\n-inf\r\n", cmd_zscore, "zscore", "z", "c");
    EXPECT("$-1\r\n", cmd_zscore, "zscore", "z", "nope");
    EXPECT("*2\r\n$1\r\n1\r\n$-1\r\n", cmd_zmscore, "zmscore", "z", "a", "x");
    EXPECT(":3\r\n", cmd_zcard, "zcard", "z");
    EXPECT(":0\r\n", cmd_zrank, "zrank", "z", "c");
    EXPECT(":0\r\n", cmd_zrevrank, "zrevrank", "z", "b");
    EXPECT("*4\r\n$1\r\nc\r\n$4\r\n-inf\r\n$1\r\na\r\n$1\r\n1\r\n", cmd_zrange, "zrange", "z", "0", "1", "withscores");
    EXPECT(":0\r\n", cmd_zadd, "zadd", "z", "1", "a");
    cr_assert_eq(ctx.modified, 0);
    EXPECT(":1\r\n", cmd_zadd, "zadd", "z", "ch", "3", "a");
    cr_assert_eq(find("z")->encoding, ENC_LISTPACK);
}

Test(cmd_zset, resp3_doubles_and_pairs)
{
    ctx.resp = 3;
    RUN(cmd_zadd, "zadd", "z", "1", "a", "2.5", "b");
    EXPECT(",2.5\r\n", cmd_zscore, "zscore", "z", "b");
    EXPECT("_\r\n", cmd_zscore, "zscore", "z", "x");
    EXPECT("*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n", cmd_zrange, "zrange", "z", "0", "-1",
           "withscores");
    EXPECT("*2\r\n$1\r\na\r\n,1\r\n", cmd_zpopmin, "zpopmin", "z");
    EXPECT("*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n", cmd_zpopmax, "zpopmax", "z", "1");
    cr_assert_null(find("z"));
}

Test(cmd_zset, errors_in_redis_order)
{
    add_string("s");
    EXPECT("-ERR syntax error\r\n", cmd_zadd, "zadd", "s", "1");
    EXPECT("-ERR XX and NX options at the same time are not compatible\r\n", cmd_zadd, "zadd", "s", "nx", "xx", "1",
           "a");
    EXPECT("-ERR value is not a valid float\r\n", cmd_zadd, "zadd", "s", "x", "a");
    EXPECT(WRONGTYPE, cmd_zadd, "zadd", "s", "1", "a");
    EXPECT("-ERR min or max is not a float\r\n", cmd_zcount, "zcount", "s", "a", "1");
    EXPECT(WRONGTYPE, cmd_zcount, "zcount", "s", "0", "1");
    EXPECT(WRONGTYPE, cmd_zrange, "zrange", "s", "0", "1");
    EXPECT("-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n", cmd_zrange,
           "zrange", "s", "0", "1", "limit", "0", "1");
    RUN(cmd_zadd, "zadd", "z", "1", "a");
    EXPECT("$3\r\ninf\r\n", cmd_zadd, "zadd", "z", "incr", "inf", "a");
    EXPECT("-ERR resulting score is not a number (NaN)\r\n", cmd_zadd, "zadd", "z", "incr", "-inf", "a");
    EXPECT("-ERR resulting score is not a number (NaN)\r\n", cmd_zincrby, "zincrby", "z", "-inf", "a");
    EXPECT("$3\r\ninf\r\n", cmd_zscore, "zscore", "z", "a");
}

Test(cmd_zset, conversion_past_the_limits)
{
    char score[16], member[16];
    for (int i = 0; i < 129; i++) {
        snprintf(score, sizeof(score), "%d", i);
        snprintf(member, sizeof(member), "m%03d", i);
        RUN(cmd_zadd, "zadd", "z", score, member);
        cr_assert_eq(find("z")->encoding, i < 128 ? ENC_LISTPACK : ENC_SKIPLIST);
    }
    EXPECT(":129\r\n", cmd_zcard, "zcard", "z");
    EXPECT(":64\r\n", cmd_zrank, "zrank", "z", "m064");
    EXPECT("*1\r\n$4\r\nm128\r\n", cmd_zrevrange, "zrevrange", "z", "0", "0");
    /* a store of a small range is a listpack again */
    EXPECT(":3\r\n", cmd_zrangestore, "zrangestore", "d", "z", "0", "2");
    cr_assert_eq(find("d")->encoding, ENC_LISTPACK);
    cr_assert_eq(ctx.modified, 1u << 1);
    char big[100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    RUN(cmd_zadd, "zadd", "w", "1", big);
    cr_assert_eq(find("w")->encoding, ENC_SKIPLIST);
    /* hooks */
    struct db_entry *e = find("z");
    cr_assert_eq(entry_element_count(e), 129);
    void *copy = zset_value_dup(e);
    cr_assert_eq(zset_length(copy), 129);
    zset_free(copy);
    cr_assert_gt(zset_value_mem(e), 129 * 16);
}

Test(cmd_zset, emptied_keys_are_deleted)
{
    RUN(cmd_zadd, "zadd", "z", "1", "a", "2", "b");
    EXPECT(":2\r\n", cmd_zrem, "zrem", "z", "a", "b", "c");
    cr_assert_null(find("z"));
    cr_assert_eq(ctx.modified, 1u << 1);
    RUN(cmd_zadd, "zadd", "z", "1", "a", "2", "b");
    EXPECT(":2\r\n", cmd_zremrangebyscore, "zremrangebyscore", "z", "-inf", "+inf");
    cr_assert_null(find("z"));
    RUN(cmd_zadd, "zadd", "z", "0", "a", "0", "b");
    EXPECT(":2\r\n", cmd_zremrangebylex, "zremrangebylex", "z", "-", "+");
    cr_assert_null(find("z"));
    EXPECT(":0\r\n", cmd_zadd, "zadd", "z", "xx", "1", "a");
    cr_assert_null(find("z"));
    EXPECT("$-1\r\n", cmd_zadd, "zadd", "z", "xx", "incr", "1", "a");
    cr_assert_null(find("z"));
}

Test(cmd_zset, blocking_contract)
{
    ctx.blocking = 1;
    EXPECT("", cmd_bzpopmin, "bzpopmin", "a", "b", "0");
    cr_assert_eq(ctx.blocked, 1);
    EXPECT("", cmd_bzmpop, "bzmpop", "0", "2", "a", "b", "min");
    cr_assert_eq(ctx.blocked, 1);
    EXPECT("-ERR timeout is negative\r\n", cmd_bzpopmin, "bzpopmin", "a", "-1");
    cr_assert_eq(ctx.blocked, 0);
    RUN(cmd_zadd, "zadd", "b", "1", "x", "2", "y");
    EXPECT("*3\r\n$1\r\nb\r\n$1\r\ny\r\n$1\r\n2\r\n", cmd_bzpopmax, "bzpopmax", "a", "b", "0");
    cr_assert_eq(ctx.blocked, 0);
    cr_assert_eq(ctx.modified, 1u << 2);
    EXPECT("*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\nx\r\n$1\r\n1\r\n", cmd_bzmpop, "bzmpop", "0", "2", "a", "b", "min",
           "count", "3");
    cr_assert_null(find("b"));
    ctx.blocking = 0; /* inside MULTI, or the timeout ran out */
    EXPECT("*-1\r\n", cmd_bzpopmin, "bzpopmin", "a", "0");
    EXPECT("*-1\r\n", cmd_bzmpop, "bzmpop", "0", "1", "a", "max");
    ctx.resp = 3;
    EXPECT("_\r\n", cmd_bzpopmin, "bzpopmin", "a", "0");
}

Test(cmd_zset, set_operations)
{
    RUN(cmd_zadd, "zadd", "a", "1", "x", "2", "y");
    RUN(cmd_zadd, "zadd", "b", "10", "y", "20", "z");
    EXPECT("*6\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\ny\r\n$2\r\n12\r\n$1\r\nz\r\n$2\r\n20\r\n", cmd_zunion, "zunion", "2", "a",
           "b", "withscores");
    EXPECT("*2\r\n$1\r\ny\r\n$2\r\n10\r\n", cmd_zinter, "zinter", "2", "a", "b", "aggregate", "max", "withscores");
    EXPECT("*1\r\n$1\r\nx\r\n", cmd_zdiff, "zdiff", "2", "a", "b");
    EXPECT(":1\r\n", cmd_zinterstore, "zinterstore", "d", "2", "a", "b", "weights", "2", "0.5");
    EXPECT("$1\r\n9\r\n", cmd_zscore, "zscore", "d", "y");
    EXPECT(":1\r\n", cmd_zintercard, "zintercard", "2", "a", "b");
    EXPECT("-ERR weight value is not a float\r\n", cmd_zunion, "zunion", "2", "a", "b", "weights", "1", "x");
    EXPECT("-ERR at least 1 input key is needed for 'zunionstore' command\r\n", cmd_zunionstore, "zunionstore", "d",
           "0", "a");
}
