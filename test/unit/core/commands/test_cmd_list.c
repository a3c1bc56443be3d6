/*
 * test_cmd_list.c - unit tests for core/commands/cmd_list.c: the list handlers called
 * directly with a hand-built struct cmd_ctx (cmd_harness.h) and checked byte
 * for byte against the RESP Redis 7.0 sends, plus what only a unit test can
 * see: the encoding of the entry, key_modified bits, and the blocking
 * contract (c->blocked set and no reply when nothing can be served).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/ds/quicklist.h"
#include "core/base/resp.h"
#include "core/base/util.h"

#include "cmd_harness.h"

#define NIL2 "$-1\r\n"
#define NULL_ARRAY2 "*-1\r\n"
#define OK "+OK\r\n"

TestSuite(cmd_list, .init = harness_setup, .fini = harness_teardown);

Test(cmd_list, push_pop_and_replies)
{
    EXPECT(":3\r\n", cmd_rpush, "rpush", "l", "a", "b", "12");
    cr_assert_eq(ctx.modified, 1u << 1);
    struct db_entry *e = find("l");
    cr_assert_eq(e->type, OBJ_LIST);
    cr_assert_eq(e->encoding, ENC_LISTPACK);
    EXPECT(":4\r\n", cmd_lpush, "lpush", "l", "z");
    EXPECT("*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$2\r\n12\r\n", cmd_lrange, "lrange", "l", "0", "-1");
    EXPECT("$2\r\n12\r\n", cmd_rpop, "rpop", "l");
    EXPECT("*2\r\n$1\r\nz\r\n$1\r\na\r\n", cmd_lpop, "lpop", "l", "2");
    EXPECT("*0\r\n", cmd_lpop, "lpop", "l", "0");
    cr_assert_eq(ctx.modified, 0);
    EXPECT("$1\r\nb\r\n", cmd_lpop, "lpop", "l");
    cr_assert_null(find("l"));
    cr_assert_eq(ctx.modified, 1u << 1);
    EXPECT(NIL2, cmd_lpop, "lpop", "l");
    EXPECT(NULL_ARRAY2, cmd_lpop, "lpop", "l", "1");
    ctx.resp = 3;
    EXPECT("_\r\n", cmd_rpop, "rpop", "l", "1");
    ctx.resp = 2;
    EXPECT(":0\r\n", cmd_lpushx, "lpushx", "l", "a");
    cr_assert_null(find("l"));
}

Test(cmd_list, wrongtype_and_errors)
{
    struct db_entry *s = entry_new_string(key_hash("s", 1), "s", 1, "v", 1);
    db_insert(ctx.db, s);
    EXPECT(WRONGTYPE, cmd_lpush, "lpush", "s", "a");
    EXPECT(WRONGTYPE, cmd_llen, "llen", "s");
    EXPECT(WRONGTYPE, cmd_blpop, "blpop", "missing", "s", "0");
    EXPECT("-ERR no such key\r\n", cmd_lset, "lset", "nokey", "0", "x");
    EXPECT("-ERR timeout is negative\r\n", cmd_blpop, "blpop", "s", "-1");
    EXPECT("-ERR wrong number of arguments for 'rpop' command\r\n", cmd_rpop, "rpop", "l", "1", "2");
}

Test(cmd_list, converts_to_quicklist_and_back)
{
    struct config cfg = *config_defaults();
    cfg.list_max_listpack_size = 4;
    ctx.cfg = &cfg;
    EXPECT(":4\r\n", cmd_rpush, "rpush", "l", "a", "b", "c", "d");
    cr_assert_eq(find("l")->encoding, ENC_LISTPACK);
    EXPECT(":5\r\n", cmd_rpush, "rpush", "l", "e");
    struct db_entry *e = find("l");
    cr_assert_eq(e->encoding, ENC_QUICKLIST);
    cr_assert_eq(((struct quicklist *)e->v.ptr)->len, 2);
    cr_assert(ql_check(e->v.ptr));
    cr_assert_eq(entry_element_count(e), 5);
    cr_assert(list_value_mem(e) > 0);
    /* a copy is deep and equal */
    struct db_entry *copy = entry_dup_with_key(e, key_hash("c", 1), "c", 1);
    db_insert(ctx.db, copy);
    EXPECT("*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n", cmd_lrange, "lrange", "c", "0", "-1");
    EXPECT("*3\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n", cmd_rpop, "rpop", "l", "3");
    cr_assert_eq(find("l")->encoding, ENC_LISTPACK); /* 2 <= 4 / 2 */
    EXPECT("$1\r\nb\r\n", cmd_lindex, "lindex", "l", "-1");
    ctx.cfg = NULL;
}

Test(cmd_list, lmove_rotates_and_creates)
{
    EXPECT(":2\r\n", cmd_rpush, "rpush", "l", "a", "b");
    EXPECT("$1\r\nb\r\n", cmd_rpoplpush, "rpoplpush", "l", "l");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\na\r\n", cmd_lrange, "lrange", "l", "0", "-1");
    EXPECT("$1\r\nb\r\n", cmd_lmove, "lmove", "l", "d", "LEFT", "RIGHT");
    cr_assert_eq(ctx.modified, (1u << 1) | (1u << 2));
    EXPECT("$1\r\na\r\n", cmd_lmove, "lmove", "l", "d", "left", "left");
    cr_assert_null(find("l"));
    EXPECT("*2\r\n$1\r\na\r\n$1\r\nb\r\n", cmd_lrange, "lrange", "d", "0", "-1");
}

Test(cmd_list, blocking_contract)
{
    /* nothing to serve, blocking allowed: no reply, blocked set */
    ctx.blocking = 1;
    EXPECT("", cmd_blpop, "blpop", "a", "b", "0");
    cr_assert_eq(ctx.blocked, 1);
    EXPECT("", cmd_blmove, "blmove", "a", "b", "LEFT", "LEFT", "0");
    cr_assert_eq(ctx.blocked, 1);
    EXPECT("", cmd_blmpop, "blmpop", "0", "2", "a", "b", "LEFT");
    cr_assert_eq(ctx.blocked, 1);
    EXPECT("", cmd_brpoplpush, "brpoplpush", "a", "b", "1.5");
    cr_assert_eq(ctx.blocked, 1);
    /* argument errors are replied even when it could block */
    EXPECT("-ERR timeout is not a float or out of range\r\n", cmd_brpop, "brpop", "a", "x");
    cr_assert_eq(ctx.blocked, 0);
    /* data: served as the non-blocking form */
    EXPECT(":2\r\n", cmd_rpush, "rpush", "b", "x", "y");
    EXPECT("*2\r\n$1\r\nb\r\n$1\r\ny\r\n", cmd_brpop, "brpop", "a", "b", "0");
    cr_assert_eq(ctx.blocked, 0);
    EXPECT("*2\r\n$1\r\nb\r\n*1\r\n$1\r\nx\r\n", cmd_blmpop, "blmpop", "0", "2", "a", "b", "LEFT", "COUNT", "9");
    cr_assert_null(find("b"));
    /* cannot block: Redis's timeout replies */
    ctx.blocking = 0;
    EXPECT(NULL_ARRAY2, cmd_blpop, "blpop", "a", "0");
    EXPECT(NULL_ARRAY2, cmd_blmpop, "blmpop", "0", "1", "a", "RIGHT");
    EXPECT(NIL2, cmd_blmove, "blmove", "a", "b", "RIGHT", "LEFT", "0");
    EXPECT(NIL2, cmd_brpoplpush, "brpoplpush", "a", "b", "0");
    cr_assert_eq(ctx.blocked, 0);
}

Test(cmd_list, lpos_and_linsert)
{
    EXPECT(":5\r\n", cmd_rpush, "rpush", "l", "a", "b", "a", "c", "a");
    EXPECT(":2\r\n", cmd_lpos, "lpos", "l", "a", "RANK", "2");
    EXPECT("*2\r\n:4\r\n:2\r\n", cmd_lpos, "lpos", "l", "a", "RANK", "-1", "COUNT", "2");
    EXPECT(":4\r\n", cmd_lpos, "lpos", "l", "a", "RANK", "-9223372036854775808");
    EXPECT("*3\r\n:4\r\n:2\r\n:0\r\n", cmd_lpos, "lpos", "l", "a", "RANK", "-9223372036854775808", "COUNT", "2");
    EXPECT(":6\r\n", cmd_linsert, "linsert", "l", "BEFORE", "c", "x");
    EXPECT(":3\r\n", cmd_lpos, "lpos", "l", "x");
    EXPECT(":-1\r\n", cmd_linsert, "linsert", "l", "AFTER", "zz", "x");
    EXPECT(":3\r\n", cmd_lrem, "lrem", "l", "0", "a");
    EXPECT(OK, cmd_ltrim, "ltrim", "l", "1", "1");
    EXPECT("*1\r\n$1\r\nx\r\n", cmd_lrange, "lrange", "l", "0", "-1");
}
