/*
 * test_cmd_string.c - unit tests for core/commands/cmd_string.c: the string command
 * handlers, called directly with a hand-built struct cmd_ctx (16 dbs, shard 0
 * of 1, a fixed clock) and checked byte for byte against the RESP Redis 7.0
 * sends for the same command.
 *
 * "now" starts at a fixed time (NOW) that tests move forward to make keys
 * expire. Keys of another type are made by creating a string entry and
 * relabelling it (see add_wrongtype).
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/base/resp.h"
#include "core/base/util.h"

#include "cmd_harness.h"

#define SYNTAX "-" ERR_SYNTAX "\r\n"
#define NOT_INTEGER "-" ERR_NOT_INTEGER "\r\n"
#define NOT_FLOAT "-" ERR_NOT_FLOAT "\r\n"
#define NIL2 "$-1\r\n"
#define NIL3 "_\r\n"
#define OK "+OK\r\n"

/* ---------------- the context and how to run a handler ---------------- */

TestSuite(cmd_string, .init = harness_setup, .fini = harness_teardown);

/* The live entry of key, as a client would see it at ctx.now_ms. */
static struct db_entry *find_live(const char *key)
{
    struct db_entry *e = find(key);
    return e && e->expire_at != 0 && e->expire_at <= ctx.now_ms ? NULL : e;
}

/* Asserts that key holds exactly the bytes val[0..len). */
static void assert_value_len(const char *key, const char *val, size_t len)
{
    struct db_entry *e = find_live(key);
    cr_assert_not_null(e, "key %s missing", key);
    cr_assert_eq(e->type, OBJ_STRING);
    char tmp[LONG_STR_SIZE];
    size_t got_len;
    const char *got = entry_string(e, tmp, &got_len);
    cr_assert_eq(got_len, len, "key %s: length %zu, expected %zu", key, got_len, len);
    cr_assert(memcmp(got, val, len) == 0, "key %s: value \"%.*s\", expected \"%.*s\"", key, (int)got_len, got, (int)len,
              val);
}

static void assert_value(const char *key, const char *val)
{
    assert_value_len(key, val, strlen(val));
}

static struct db_entry *add_key(const char *key, const char *val)
{
    struct db_entry *e = entry_new_string(key_hash(key, strlen(key)), key, strlen(key), val, strlen(val));
    db_insert(ctx.db, e);
    return e;
}

static struct db_entry *add_key_ttl(const char *key, const char *val, int64_t expire_at)
{
    struct db_entry *e = entry_new_string(key_hash(key, strlen(key)), key, strlen(key), val, strlen(val));
    e->expire_at = expire_at;
    db_insert(ctx.db, e);
    return e;
}

/*
 * A key of another type, for WRONGTYPE: no collection type exists yet, so an
 * empty string entry is relabelled OBJ_LIST with v.ptr NULL. entry_free and
 * entry_set_* must cope with it (object.c frees a collection's v.ptr only
 * when it is not NULL).
 */
static struct db_entry *add_wrongtype(const char *key)
{
    struct db_entry *e = entry_new_string(key_hash(key, strlen(key)), key, strlen(key), "", 0);
    e->type = OBJ_LIST;
    e->encoding = ENC_RAW;
    e->v.ptr = NULL;
    e->val_len = 0;
    db_insert(ctx.db, e);
    return e;
}

/* Asserts that key is still the untouched non-string add_wrongtype made. */
static void assert_still_wrongtype(const char *key)
{
    struct db_entry *e = find(key);
    cr_assert_not_null(e);
    cr_assert_eq(e->type, OBJ_LIST);
}

/* ---------------- SET ---------------- */

Test(cmd_string, set_and_get)
{
    EXPECT(OK, cmd_set, "SET", "k", "hello");
    assert_value("k", "hello");
    EXPECT("$5\r\nhello\r\n", cmd_get, "GET", "k");
    EXPECT(NIL2, cmd_get, "GET", "missing");
    ctx.resp = 3;
    EXPECT(NIL3, cmd_get, "GET", "missing");
    cr_assert_eq(stats.dirty, 1);
}

Test(cmd_string, set_binary_and_empty_values)
{
    const char *argv[] = {"SET", "bin", "a\0b\r\n"};
    size_t lens[] = {3, 3, 5};
    cr_assert_str_eq(run_args(cmd_set, 3, argv, lens), OK);
    assert_value_len("bin", "a\0b\r\n", 5);
    RUN(cmd_get, "GET", "bin");
    cr_assert_eq(out.len, strlen("$5\r\n") + 5 + 2);
    cr_assert(memcmp(out.data, "$5\r\na\0b\r\n\r\n", out.len) == 0);

    EXPECT(OK, cmd_set, "SET", "empty", "");
    EXPECT("$0\r\n\r\n", cmd_get, "GET", "empty");
}

Test(cmd_string, set_replaces_value_and_clears_ttl)
{
    add_key_ttl("k", "old", NOW + 100000);
    EXPECT(OK, cmd_set, "SET", "k", "new");
    assert_value("k", "new");
    cr_assert_eq(find("k")->expire_at, 0);
}

Test(cmd_string, set_keepttl_keeps_ttl)
{
    add_key_ttl("k", "old", NOW + 100000);
    EXPECT(OK, cmd_set, "SET", "k", "new", "KEEPTTL");
    assert_value("k", "new");
    cr_assert_eq(find("k")->expire_at, NOW + 100000);
    /* KEEPTTL on a new key: no TTL */
    EXPECT(OK, cmd_set, "SET", "fresh", "v", "keepttl");
    cr_assert_eq(find("fresh")->expire_at, 0);
}

Test(cmd_string, set_replaces_other_type)
{
    add_wrongtype("l");
    EXPECT(OK, cmd_set, "SET", "l", "now a string");
    assert_value("l", "now a string");
    EXPECT("$12\r\nnow a string\r\n", cmd_get, "GET", "l");
}

Test(cmd_string, set_nx_xx)
{
    EXPECT(NIL2, cmd_set, "SET", "k", "v", "XX");
    cr_assert_null(find("k"));
    EXPECT(OK, cmd_set, "SET", "k", "v1", "NX");
    assert_value("k", "v1");
    EXPECT(NIL2, cmd_set, "SET", "k", "v2", "nx");
    assert_value("k", "v1");
    EXPECT(OK, cmd_set, "SET", "k", "v3", "xx");
    assert_value("k", "v3");
    ctx.resp = 3;
    EXPECT(NIL3, cmd_set, "SET", "k", "v4", "NX");
    assert_value("k", "v3");
    /* the same option twice is accepted */
    EXPECT(OK, cmd_set, "SET", "k", "v5", "XX", "XX");
}

Test(cmd_string, set_option_conflicts_are_syntax_errors)
{
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "NX", "XX");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "XX", "NX");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "EX", "10", "PX", "100");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "PX", "100", "EX", "10");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "EXAT", "10", "PXAT", "100");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "EX", "10", "KEEPTTL");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "KEEPTTL", "PXAT", "10");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "PERSIST");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "EX");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "NX", "PX");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "FOO");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "NXX");
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "E");
    cr_assert_null(find("k"));
    /* the syntax is checked before the expiry value */
    EXPECT(SYNTAX, cmd_set, "SET", "k", "v", "EX", "0", "FOO");
}

Test(cmd_string, set_expire_forms)
{
    EXPECT(OK, cmd_set, "SET", "ex", "v", "EX", "10");
    cr_assert_eq(find("ex")->expire_at, NOW + 10000);
    EXPECT(OK, cmd_set, "SET", "px", "v", "px", "1500");
    cr_assert_eq(find("px")->expire_at, NOW + 1500);
    EXPECT(OK, cmd_set, "SET", "exat", "v", "ExAt", "1800000000");
    cr_assert_eq(find("exat")->expire_at, 1800000000000LL);
    EXPECT(OK, cmd_set, "SET", "pxat", "v", "PXAT", "1800000000123");
    cr_assert_eq(find("pxat")->expire_at, 1800000000123LL);
    /* the same form twice: the last value wins */
    EXPECT(OK, cmd_set, "SET", "twice", "v", "EX", "10", "EX", "20");
    cr_assert_eq(find("twice")->expire_at, NOW + 20000);
    /* options in any order, with NX */
    EXPECT(OK, cmd_set, "SET", "mixed", "v", "PX", "100", "NX");
    cr_assert_eq(find("mixed")->expire_at, NOW + 100);
}

Test(cmd_string, set_invalid_expire_times)
{
    const char *err = "-ERR invalid expire time in 'set' command\r\n";
    EXPECT(err, cmd_set, "SET", "k", "v", "EX", "0");
    EXPECT(err, cmd_set, "SET", "k", "v", "EX", "-1");
    EXPECT(err, cmd_set, "SET", "k", "v", "PX", "0");
    EXPECT(err, cmd_set, "SET", "k", "v", "EXAT", "0");
    EXPECT(err, cmd_set, "SET", "k", "v", "PXAT", "-5");
    /* seconds that overflow once multiplied by 1000 */
    EXPECT(err, cmd_set, "SET", "k", "v", "EX", "9223372036854776");
    EXPECT(err, cmd_set, "SET", "k", "v", "EXAT", "9223372036854776");
    /* relative times that overflow once added to now */
    EXPECT(err, cmd_set, "SET", "k", "v", "PX", "9223372036854775807");
    EXPECT(err, cmd_set, "SET", "k", "v", "EX", "9223372036854775");
    EXPECT(NOT_INTEGER, cmd_set, "SET", "k", "v", "EX", "ten");
    EXPECT(NOT_INTEGER, cmd_set, "SET", "k", "v", "PX", "1.5");
    EXPECT(NOT_INTEGER, cmd_set, "SET", "k", "v", "EX", "99999999999999999999");
    cr_assert_null(find("k"));
    /* the largest absolute time is fine */
    EXPECT(OK, cmd_set, "SET", "k", "v", "PXAT", "9223372036854775807");
    cr_assert_eq(find("k")->expire_at, LLONG_MAX);
    EXPECT(OK, cmd_set, "SET", "k2", "v", "EXAT", "9223372036854775");
    cr_assert_eq(find("k2")->expire_at, 9223372036854775000LL);
}

Test(cmd_string, set_absolute_time_in_the_past)
{
    EXPECT(OK, cmd_set, "SET", "new", "v", "EXAT", "1");
    cr_assert_null(find("new"));
    add_key("old", "v");
    EXPECT(OK, cmd_set, "SET", "old", "v2", "PXAT", "1699999999999");
    cr_assert_null(find("old"));
    /* exactly now counts as expired */
    EXPECT(OK, cmd_set, "SET", "now", "v", "PXAT", "1700000000000");
    cr_assert_null(find("now"));
    /* with GET the old value is still returned */
    add_key("g", "before");
    EXPECT("$6\r\nbefore\r\n", cmd_set, "SET", "g", "after", "GET", "EXAT", "1000");
    cr_assert_null(find("g"));
}

Test(cmd_string, set_expiry_makes_get_nil)
{
    EXPECT(OK, cmd_set, "SET", "k", "v", "EX", "1");
    EXPECT("$1\r\nv\r\n", cmd_get, "GET", "k");
    ctx.now_ms = NOW + 999;
    EXPECT("$1\r\nv\r\n", cmd_get, "GET", "k");
    ctx.now_ms = NOW + 1000;
    EXPECT(NIL2, cmd_get, "GET", "k");
    cr_assert_null(find("k"), "the lazy expiry deleted the key");
    /* an expired key counts as missing for NX */
    EXPECT(OK, cmd_set, "SET", "p", "v", "PX", "10");
    ctx.now_ms += 10;
    EXPECT(OK, cmd_set, "SET", "p", "again", "NX");
    assert_value("p", "again");
    cr_assert_eq(find("p")->expire_at, 0);
}

Test(cmd_string, set_get_option)
{
    EXPECT(NIL2, cmd_set, "SET", "k", "v1", "GET");
    assert_value("k", "v1");
    EXPECT("$2\r\nv1\r\n", cmd_set, "SET", "k", "v2", "GET");
    assert_value("k", "v2");
    ctx.resp = 3;
    EXPECT(NIL3, cmd_set, "SET", "k3", "v", "get");
    assert_value("k3", "v");
}

Test(cmd_string, set_get_with_nx_xx)
{
    /* NX GET on an existing key: the old value, nothing set */
    add_key("k", "old");
    EXPECT("$3\r\nold\r\n", cmd_set, "SET", "k", "new", "NX", "GET");
    assert_value("k", "old");
    /* XX GET on a missing key: nil, nothing set */
    EXPECT(NIL2, cmd_set, "SET", "missing", "v", "GET", "XX");
    cr_assert_null(find("missing"));
    /* XX GET on an existing key: the old value, then set */
    EXPECT("$3\r\nold\r\n", cmd_set, "SET", "k", "new", "XX", "GET");
    assert_value("k", "new");
}

Test(cmd_string, set_get_on_wrong_type_sets_nothing)
{
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_set, "SET", "l", "v", "GET");
    assert_still_wrongtype("l");
    /* the expiry value is checked before the type */
    EXPECT("-ERR invalid expire time in 'set' command\r\n", cmd_set, "SET", "l", "v", "GET", "EX", "0");
    assert_still_wrongtype("l");
}

Test(cmd_string, set_encodings)
{
    EXPECT(OK, cmd_set, "SET", "int", "123");
    cr_assert_eq(find("int")->encoding, ENC_INT);
    cr_assert_eq(find("int")->v.i, 123);
    EXPECT("$3\r\n123\r\n", cmd_get, "GET", "int");
    EXPECT(OK, cmd_set, "SET", "neg", "-9223372036854775808");
    cr_assert_eq(find("neg")->encoding, ENC_INT);
    EXPECT("$20\r\n-9223372036854775808\r\n", cmd_get, "GET", "neg");
    /* not canonical integers: strings */
    EXPECT(OK, cmd_set, "SET", "lead0", "0123");
    cr_assert_neq(find("lead0")->encoding, ENC_INT);
    EXPECT(OK, cmd_set, "SET", "plus", "+1");
    cr_assert_neq(find("plus")->encoding, ENC_INT);
    EXPECT(OK, cmd_set, "SET", "short", "abc");
    cr_assert_eq(find("short")->encoding, ENC_EMBSTR);
    char big[OBJ_EMBSTR_MAX + 2];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    EXPECT(OK, cmd_set, "SET", "long", big);
    cr_assert_eq(find("long")->encoding, ENC_RAW);
    assert_value("long", big);
    /* SET over an INT with a string and back */
    EXPECT(OK, cmd_set, "SET", "int", "text");
    cr_assert_eq(find("int")->encoding, ENC_EMBSTR);
    assert_value("int", "text");
    EXPECT(OK, cmd_set, "SET", "int", "77");
    cr_assert_eq(find("int")->encoding, ENC_INT);
    assert_value("int", "77");
}

/* ---------------- SETNX, SETEX, PSETEX ---------------- */

Test(cmd_string, setnx)
{
    EXPECT(":1\r\n", cmd_setnx, "SETNX", "k", "v1");
    EXPECT(":0\r\n", cmd_setnx, "SETNX", "k", "v2");
    assert_value("k", "v1");
    add_wrongtype("l");
    EXPECT(":0\r\n", cmd_setnx, "SETNX", "l", "v");
    assert_still_wrongtype("l");
}

Test(cmd_string, setex_and_psetex)
{
    EXPECT(OK, cmd_setex, "SETEX", "k", "10", "v");
    assert_value("k", "v");
    cr_assert_eq(find("k")->expire_at, NOW + 10000);
    EXPECT(OK, cmd_psetex, "PSETEX", "p", "1500", "v");
    cr_assert_eq(find("p")->expire_at, NOW + 1500);
    /* replaces an existing key of any type */
    add_wrongtype("l");
    EXPECT(OK, cmd_setex, "SETEX", "l", "5", "s");
    assert_value("l", "s");
    cr_assert_eq(find("l")->expire_at, NOW + 5000);
    ctx.now_ms = NOW + 5000;
    EXPECT(NIL2, cmd_get, "GET", "l");
}

Test(cmd_string, setex_errors)
{
    EXPECT("-ERR invalid expire time in 'setex' command\r\n", cmd_setex, "SETEX", "k", "0", "v");
    EXPECT("-ERR invalid expire time in 'setex' command\r\n", cmd_setex, "SETEX", "k", "-10", "v");
    EXPECT("-ERR invalid expire time in 'setex' command\r\n", cmd_setex, "SETEX", "k", "9223372036854776", "v");
    EXPECT("-ERR invalid expire time in 'psetex' command\r\n", cmd_psetex, "PSETEX", "k", "0", "v");
    EXPECT("-ERR invalid expire time in 'psetex' command\r\n", cmd_psetex, "PSETEX", "k", "9223372036854775807", "v");
    EXPECT(NOT_INTEGER, cmd_setex, "SETEX", "k", "abc", "v");
    EXPECT(NOT_INTEGER, cmd_psetex, "PSETEX", "k", "", "v");
    cr_assert_null(find("k"));
}

/* ---------------- GETSET, GETDEL, GETEX ---------------- */

Test(cmd_string, getset)
{
    EXPECT(NIL2, cmd_getset, "GETSET", "k", "v1");
    assert_value("k", "v1");
    db_set_expire(ctx.db, find("k"), NOW + 1000);
    EXPECT("$2\r\nv1\r\n", cmd_getset, "GETSET", "k", "v2");
    assert_value("k", "v2");
    cr_assert_eq(find("k")->expire_at, 0, "GETSET clears the TTL");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_getset, "GETSET", "l", "v");
    assert_still_wrongtype("l");
}

Test(cmd_string, getdel)
{
    add_key("k", "v");
    EXPECT("$1\r\nv\r\n", cmd_getdel, "GETDEL", "k");
    cr_assert_null(find("k"));
    EXPECT(NIL2, cmd_getdel, "GETDEL", "k");
    add_key("n", "42");
    EXPECT("$2\r\n42\r\n", cmd_getdel, "GETDEL", "n");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_getdel, "GETDEL", "l");
    assert_still_wrongtype("l");
    ctx.resp = 3;
    EXPECT(NIL3, cmd_getdel, "GETDEL", "k");
}

Test(cmd_string, getex_without_options_is_get)
{
    add_key_ttl("k", "v", NOW + 5000);
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k");
    cr_assert_eq(find("k")->expire_at, NOW + 5000);
    EXPECT(NIL2, cmd_getex, "GETEX", "missing");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_getex, "GETEX", "l");
    EXPECT(WRONGTYPE, cmd_getex, "GETEX", "l", "EX", "10");
    /* the expiry value is checked after the type */
    EXPECT(WRONGTYPE, cmd_getex, "GETEX", "l", "EX", "0");
}

Test(cmd_string, getex_sets_expiry)
{
    add_key("k", "v");
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "EX", "100");
    cr_assert_eq(find("k")->expire_at, NOW + 100000);
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "px", "250");
    cr_assert_eq(find("k")->expire_at, NOW + 250);
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "EXAT", "1800000000");
    cr_assert_eq(find("k")->expire_at, 1800000000000LL);
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "PXAT", "1800000000001");
    cr_assert_eq(find("k")->expire_at, 1800000000001LL);
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "PERSIST");
    cr_assert_eq(find("k")->expire_at, 0);
    /* PERSIST on a key without TTL changes nothing */
    uint64_t dirty = stats.dirty;
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "PERSIST");
    cr_assert_eq(stats.dirty, dirty);
}

Test(cmd_string, getex_past_absolute_time_deletes)
{
    add_key("k", "v");
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "k", "EXAT", "1");
    cr_assert_null(find("k"));
    add_key("p", "v");
    EXPECT("$1\r\nv\r\n", cmd_getex, "GETEX", "p", "PXAT", "1700000000000");
    cr_assert_null(find("p"));
}

Test(cmd_string, getex_errors)
{
    add_key("k", "v");
    EXPECT("-ERR invalid expire time in 'getex' command\r\n", cmd_getex, "GETEX", "k", "EX", "0");
    EXPECT("-ERR invalid expire time in 'getex' command\r\n", cmd_getex, "GETEX", "k", "PX", "-1");
    EXPECT("-ERR invalid expire time in 'getex' command\r\n", cmd_getex, "GETEX", "k", "EX", "9223372036854776");
    EXPECT(NOT_INTEGER, cmd_getex, "GETEX", "k", "EX", "x");
    cr_assert_eq(find("k")->expire_at, 0);
    /* a missing key answers nil before the expiry value is looked at */
    EXPECT(NIL2, cmd_getex, "GETEX", "missing", "EX", "0");
    /* SET-only options and conflicts are syntax errors */
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "NX");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "XX");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "GET");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "KEEPTTL");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "EX", "10", "PERSIST");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "PERSIST", "PX", "10");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "EX", "10", "PXAT", "10");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "k", "EX");
    EXPECT(SYNTAX, cmd_getex, "GETEX", "missing", "BOGUS");
    cr_assert_eq(find("k")->expire_at, 0);
}

/* ---------------- MSET, MSETNX, MGET ---------------- */

Test(cmd_string, mset)
{
    add_key_ttl("a", "old", NOW + 1000);
    add_wrongtype("l");
    EXPECT(OK, cmd_mset, "MSET", "a", "1", "b", "two", "l", "three");
    assert_value("a", "1");
    assert_value("b", "two");
    assert_value("l", "three");
    cr_assert_eq(find("a")->expire_at, 0, "MSET clears the TTL");
    cr_assert_eq(stats.dirty, 3);
    /* a key given twice ends with its last value */
    EXPECT(OK, cmd_mset, "MSET", "d", "x", "d", "y");
    assert_value("d", "y");
    EXPECT("-ERR wrong number of arguments for 'mset' command\r\n", cmd_mset, "MSET", "a", "1", "b");
    EXPECT("-ERR wrong number of arguments for 'mset' command\r\n", cmd_mset, "MSET", "a");
    assert_value("a", "1");
}

Test(cmd_string, msetnx)
{
    EXPECT(":1\r\n", cmd_msetnx, "MSETNX", "a", "1", "b", "2");
    assert_value("a", "1");
    assert_value("b", "2");
    EXPECT(":0\r\n", cmd_msetnx, "MSETNX", "c", "3", "a", "x");
    cr_assert_null(find("c"), "nothing is set when one key exists");
    assert_value("a", "1");
    add_wrongtype("l");
    EXPECT(":0\r\n", cmd_msetnx, "MSETNX", "l", "x", "d", "4");
    cr_assert_null(find("d"));
    /* an expired key counts as missing */
    add_key_ttl("e", "old", NOW);
    EXPECT(":1\r\n", cmd_msetnx, "MSETNX", "e", "new");
    assert_value("e", "new");
    /* a key given twice ends with its last value */
    EXPECT(":1\r\n", cmd_msetnx, "MSETNX", "dup", "x", "dup", "y");
    assert_value("dup", "y");
    EXPECT("-ERR wrong number of arguments for 'msetnx' command\r\n", cmd_msetnx, "MSETNX", "a", "1", "b");
}

Test(cmd_string, mget)
{
    add_key("a", "1");
    add_key("b", "bee");
    add_wrongtype("l");
    EXPECT("*4\r\n$1\r\n1\r\n$-1\r\n$3\r\nbee\r\n$-1\r\n", cmd_mget, "MGET", "a", "missing", "b", "l");
    ctx.resp = 3;
    EXPECT("*3\r\n$1\r\n1\r\n_\r\n_\r\n", cmd_mget, "MGET", "a", "missing", "l");
}

Test(cmd_string, mget_split_writes_elements_only)
{
    add_key("a", "1");
    ctx.split = 1;
    EXPECT("$1\r\n1\r\n$-1\r\n", cmd_mget, "MGET", "a", "missing");
}

/* ---------------- APPEND, STRLEN ---------------- */

Test(cmd_string, append)
{
    /* the docs' example */
    EXPECT(":5\r\n", cmd_append, "APPEND", "mykey", "Hello");
    EXPECT(":11\r\n", cmd_append, "APPEND", "mykey", " World");
    EXPECT("$11\r\nHello World\r\n", cmd_get, "GET", "mykey");
    cr_assert_eq(find("mykey")->encoding, ENC_RAW);
    EXPECT(":11\r\n", cmd_append, "APPEND", "mykey", "");
    assert_value("mykey", "Hello World");
    /* appending to a missing key with an empty value creates it */
    EXPECT(":0\r\n", cmd_append, "APPEND", "empty", "");
    assert_value("empty", "");
}

Test(cmd_string, append_encoding_transitions)
{
    EXPECT(OK, cmd_set, "SET", "n", "123");
    cr_assert_eq(find("n")->encoding, ENC_INT);
    EXPECT(":5\r\n", cmd_append, "APPEND", "n", "45");
    cr_assert_eq(find("n")->encoding, ENC_RAW);
    assert_value("n", "12345");
    /* even an empty APPEND makes an integer RAW, as in Redis */
    EXPECT(OK, cmd_set, "SET", "m", "678");
    EXPECT(":3\r\n", cmd_append, "APPEND", "m", "");
    cr_assert_eq(find("m")->encoding, ENC_RAW);
    assert_value("m", "678");
    /* a new key created by APPEND is encoded as SET would */
    EXPECT(":2\r\n", cmd_append, "APPEND", "fresh", "42");
    cr_assert_eq(find("fresh")->encoding, ENC_INT);
    EXPECT(":2\r\n", cmd_append, "APPEND", "s", "ab");
    cr_assert_eq(find("s")->encoding, ENC_EMBSTR);
    /* an embedded value becomes RAW */
    EXPECT(":3\r\n", cmd_append, "APPEND", "s", "c");
    cr_assert_eq(find("s")->encoding, ENC_RAW);
    assert_value("s", "abc");
}

Test(cmd_string, append_many_times_keeps_ttl)
{
    add_key_ttl("k", "", NOW + 60000);
    char expect[4096];
    size_t len = 0;
    for (int i = 0; i < 1000; i++) {
        char piece[8];
        int n = snprintf(piece, sizeof(piece), "%d,", i % 10);
        memcpy(expect + len, piece, (size_t)n);
        len += (size_t)n;
        char reply[32];
        snprintf(reply, sizeof(reply), ":%zu\r\n", len);
        EXPECT(reply, cmd_append, "APPEND", "k", piece);
    }
    assert_value_len("k", expect, len);
    cr_assert_eq(find("k")->expire_at, NOW + 60000);
}

Test(cmd_string, append_wrongtype)
{
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_append, "APPEND", "l", "x");
    assert_still_wrongtype("l");
}

Test(cmd_string, strlen)
{
    EXPECT(":0\r\n", cmd_strlen, "STRLEN", "missing");
    add_key("s", "Hello world");
    EXPECT(":11\r\n", cmd_strlen, "STRLEN", "s");
    EXPECT(OK, cmd_set, "SET", "n", "-12345");
    EXPECT(":6\r\n", cmd_strlen, "STRLEN", "n");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_strlen, "STRLEN", "l");
}

/* ---------------- GETRANGE, SETRANGE ---------------- */

Test(cmd_string, getrange_docs_examples)
{
    add_key("mykey", "This is a string");
    EXPECT("$4\r\nThis\r\n", cmd_getrange, "GETRANGE", "mykey", "0", "3");
    EXPECT("$3\r\ning\r\n", cmd_getrange, "GETRANGE", "mykey", "-3", "-1");
    EXPECT("$16\r\nThis is a string\r\n", cmd_getrange, "GETRANGE", "mykey", "0", "-1");
    EXPECT("$6\r\nstring\r\n", cmd_getrange, "GETRANGE", "mykey", "10", "100");
}

Test(cmd_string, getrange_index_rules)
{
    add_key("k", "Hello");
    EXPECT("$0\r\n\r\n", cmd_getrange, "GETRANGE", "k", "-1", "-5");
    EXPECT("$0\r\n\r\n", cmd_getrange, "GETRANGE", "k", "3", "1");
    EXPECT("$0\r\n\r\n", cmd_getrange, "GETRANGE", "k", "5", "10");
    EXPECT("$5\r\nHello\r\n", cmd_getrange, "GETRANGE", "k", "-100", "100");
    EXPECT("$1\r\nH\r\n", cmd_getrange, "GETRANGE", "k", "-100", "-100");
    EXPECT("$1\r\nH\r\n", cmd_getrange, "GETRANGE", "k", "0", "-100");
    EXPECT("$1\r\no\r\n", cmd_getrange, "GETRANGE", "k", "4", "4");
    EXPECT("$2\r\nlo\r\n", cmd_getrange, "GETRANGE", "k", "-2", "9223372036854775807");
    EXPECT("$5\r\nHello\r\n", cmd_getrange, "GETRANGE", "k", "-9223372036854775808", "-1");
    /* integer-encoded values */
    EXPECT(OK, cmd_set, "SET", "n", "1234");
    EXPECT("$2\r\n23\r\n", cmd_getrange, "GETRANGE", "n", "1", "2");
    /* missing and empty values */
    EXPECT("$0\r\n\r\n", cmd_getrange, "GETRANGE", "missing", "0", "-1");
    add_key("e", "");
    EXPECT("$0\r\n\r\n", cmd_getrange, "GETRANGE", "e", "0", "-1");
    /* SUBSTR is the same handler */
    EXPECT("$3\r\nell\r\n", cmd_getrange, "SUBSTR", "k", "1", "3");
}

Test(cmd_string, getrange_errors)
{
    add_key("k", "Hello");
    EXPECT(NOT_INTEGER, cmd_getrange, "GETRANGE", "k", "a", "1");
    EXPECT(NOT_INTEGER, cmd_getrange, "GETRANGE", "k", "0", "1.0");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_getrange, "GETRANGE", "l", "0", "1");
    /* the indexes are checked before the key */
    EXPECT(NOT_INTEGER, cmd_getrange, "GETRANGE", "l", "x", "1");
}

Test(cmd_string, setrange_docs_examples)
{
    add_key("key1", "Hello World");
    EXPECT(":11\r\n", cmd_setrange, "SETRANGE", "key1", "6", "Redis");
    assert_value("key1", "Hello Redis");
    EXPECT(":11\r\n", cmd_setrange, "SETRANGE", "key2", "6", "Redis");
    assert_value_len("key2", "\0\0\0\0\0\0Redis", 11);
    cr_assert_eq(find("key2")->encoding, ENC_RAW);
}

Test(cmd_string, setrange_grows_pads_and_keeps_ttl)
{
    add_key_ttl("k", "abc", NOW + 1000);
    EXPECT(":3\r\n", cmd_setrange, "SETRANGE", "k", "1", "X");
    assert_value("k", "aXc");
    EXPECT(":5\r\n", cmd_setrange, "SETRANGE", "k", "2", "YYY");
    assert_value("k", "aXYYY");
    EXPECT(":8\r\n", cmd_setrange, "SETRANGE", "k", "7", "Z");
    assert_value_len("k", "aXYYY\0\0Z", 8);
    cr_assert_eq(find("k")->expire_at, NOW + 1000);
    /* on an integer */
    EXPECT(OK, cmd_set, "SET", "n", "1234");
    EXPECT(":4\r\n", cmd_setrange, "SETRANGE", "n", "0", "9");
    assert_value("n", "9234");
    cr_assert_eq(find("n")->encoding, ENC_RAW);
}

Test(cmd_string, setrange_empty_value)
{
    EXPECT(":0\r\n", cmd_setrange, "SETRANGE", "missing", "10", "");
    cr_assert_null(find("missing"), "an empty value creates nothing");
    add_key("k", "hello");
    uint64_t dirty = stats.dirty;
    EXPECT(":5\r\n", cmd_setrange, "SETRANGE", "k", "100", "");
    assert_value("k", "hello");
    cr_assert_eq(stats.dirty, dirty);
}

Test(cmd_string, setrange_errors)
{
    add_key("k", "hello");
    EXPECT("-ERR offset is out of range\r\n", cmd_setrange, "SETRANGE", "k", "-1", "x");
    EXPECT(NOT_INTEGER, cmd_setrange, "SETRANGE", "k", "one", "x");
    const char *too_long = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    EXPECT(too_long, cmd_setrange, "SETRANGE", "k", "536870912", "x");
    EXPECT(too_long, cmd_setrange, "SETRANGE", "missing", "536870912", "x");
    EXPECT(too_long, cmd_setrange, "SETRANGE", "missing", "9223372036854775807", "x");
    cr_assert_null(find("missing"));
    /* an empty value never hits the size limit */
    EXPECT(":0\r\n", cmd_setrange, "SETRANGE", "missing", "536870912", "");
    assert_value("k", "hello");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_setrange, "SETRANGE", "l", "0", "x");
    EXPECT(WRONGTYPE, cmd_setrange, "SETRANGE", "l", "0", "");
    /* the offset is checked before the key */
    EXPECT("-ERR offset is out of range\r\n", cmd_setrange, "SETRANGE", "l", "-1", "x");
    assert_still_wrongtype("l");
}

/* ---------------- INCR, DECR, INCRBY, DECRBY ---------------- */

Test(cmd_string, incr_decr)
{
    EXPECT(":1\r\n", cmd_incr, "INCR", "n");
    cr_assert_eq(find("n")->encoding, ENC_INT);
    EXPECT(":2\r\n", cmd_incr, "INCR", "n");
    EXPECT(":1\r\n", cmd_decr, "DECR", "n");
    EXPECT(":-1\r\n", cmd_decr, "DECR", "m");
    /* the docs' examples */
    add_key("mykey", "10");
    EXPECT(":11\r\n", cmd_incr, "INCR", "mykey");
    EXPECT("$2\r\n11\r\n", cmd_get, "GET", "mykey");
    EXPECT(":15\r\n", cmd_incrby, "INCRBY", "mykey", "4");
    EXPECT(":12\r\n", cmd_decrby, "DECRBY", "mykey", "3");
    EXPECT(":22\r\n", cmd_decrby, "DECRBY", "mykey", "-10");
    EXPECT(":-78\r\n", cmd_incrby, "INCRBY", "mykey", "-100");
    assert_value("mykey", "-78");
}

Test(cmd_string, incr_on_embstr_integer_and_ttl)
{
    /* an integer stored as a string (here via SETRANGE's RAW) still counts */
    EXPECT(":2\r\n", cmd_setrange, "SETRANGE", "r", "0", "41");
    cr_assert_eq(find("r")->encoding, ENC_RAW);
    EXPECT(":42\r\n", cmd_incr, "INCR", "r");
    assert_value("r", "42");
    add_key_ttl("t", "5", NOW + 1000);
    EXPECT(":6\r\n", cmd_incr, "INCR", "t");
    cr_assert_eq(find("t")->expire_at, NOW + 1000, "INCR keeps the TTL");
    /* an expired counter starts again from 0 */
    ctx.now_ms = NOW + 1000;
    EXPECT(":1\r\n", cmd_incr, "INCR", "t");
    cr_assert_eq(find("t")->expire_at, 0);
}

Test(cmd_string, incr_errors)
{
    add_key("s", "abc");
    EXPECT(NOT_INTEGER, cmd_incr, "INCR", "s");
    add_key("sp", " 1");
    EXPECT(NOT_INTEGER, cmd_incr, "INCR", "sp");
    add_key("f", "1.5");
    EXPECT(NOT_INTEGER, cmd_incrby, "INCRBY", "f", "1");
    add_key("big", "9223372036854775808");
    EXPECT(NOT_INTEGER, cmd_incr, "INCR", "big");
    add_key("empty", "");
    EXPECT(NOT_INTEGER, cmd_decr, "DECR", "empty");
    assert_value("s", "abc");
    EXPECT(NOT_INTEGER, cmd_incrby, "INCRBY", "n", "x");
    EXPECT(NOT_INTEGER, cmd_decrby, "DECRBY", "n", "1e3");
    cr_assert_null(find("n"));
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_incr, "INCR", "l");
    EXPECT(WRONGTYPE, cmd_decrby, "DECRBY", "l", "1");
    /* the increment is checked before the key */
    EXPECT(NOT_INTEGER, cmd_incrby, "INCRBY", "l", "x");
    assert_still_wrongtype("l");
}

Test(cmd_string, incr_overflow)
{
    const char *overflow = "-ERR increment or decrement would overflow\r\n";
    add_key("max", "9223372036854775807");
    EXPECT(overflow, cmd_incr, "INCR", "max");
    EXPECT(overflow, cmd_incrby, "INCRBY", "max", "1");
    EXPECT(overflow, cmd_decrby, "DECRBY", "max", "-1");
    EXPECT(":-1\r\n", cmd_incrby, "INCRBY", "max", "-9223372036854775808");
    add_key("min", "-9223372036854775808");
    EXPECT(overflow, cmd_decr, "DECR", "min");
    EXPECT(overflow, cmd_incrby, "INCRBY", "min", "-1");
    EXPECT(":-1\r\n", cmd_incrby, "INCRBY", "min", "9223372036854775807");
    assert_value("min", "-1");
    EXPECT("-ERR decrement would overflow\r\n", cmd_decrby, "DECRBY", "min", "-9223372036854775808");
    EXPECT(":-9223372036854775807\r\n", cmd_decrby, "DECRBY", "zero", "9223372036854775807");
}

/* ---------------- INCRBYFLOAT ---------------- */

Test(cmd_string, incrbyfloat_docs_examples)
{
    EXPECT(OK, cmd_set, "SET", "mykey", "10.50");
    EXPECT("$4\r\n10.6\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "mykey", "0.1");
    EXPECT("$3\r\n5.6\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "mykey", "-5");
    assert_value("mykey", "5.6");
    EXPECT(OK, cmd_set, "SET", "mykey", "5.0e3");
    EXPECT("$4\r\n5200\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "mykey", "2.0e2");
    EXPECT("$4\r\n5200\r\n", cmd_get, "GET", "mykey");
}

Test(cmd_string, incrbyfloat_values)
{
    EXPECT("$3\r\n1.5\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "new", "1.5");
    cr_assert_eq(find("new")->type, OBJ_STRING);
    EXPECT(OK, cmd_set, "SET", "n", "10");
    cr_assert_eq(find("n")->encoding, ENC_INT);
    EXPECT("$4\r\n10.5\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "n", "0.5");
    EXPECT("$2\r\n11\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "n", "0.5");
    /* -0 is written as 0 */
    EXPECT("$1\r\n0\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "z", "-0");
    EXPECT("$1\r\n3\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "i", "3");
    add_key_ttl("t", "1", NOW + 1000);
    EXPECT("$3\r\n1.1\r\n", cmd_incrbyfloat, "INCRBYFLOAT", "t", "0.1");
    cr_assert_eq(find("t")->expire_at, NOW + 1000, "INCRBYFLOAT keeps the TTL");
}

Test(cmd_string, incrbyfloat_errors)
{
    add_key("s", "abc");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "s", "1");
    add_key("sp", " 1.5");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "sp", "1");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "n", "x");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "n", "nan");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "n", "");
    cr_assert_null(find("n"));
    const char *naninf = "-ERR increment would produce NaN or Infinity\r\n";
    EXPECT(naninf, cmd_incrbyfloat, "INCRBYFLOAT", "n", "inf");
    EXPECT(naninf, cmd_incrbyfloat, "INCRBYFLOAT", "n", "-inf");
    cr_assert_null(find("n"));
    add_key("big", "1e4932");
    EXPECT(naninf, cmd_incrbyfloat, "INCRBYFLOAT", "big", "1e4932");
    add_wrongtype("l");
    EXPECT(WRONGTYPE, cmd_incrbyfloat, "INCRBYFLOAT", "l", "1");
    /* the key's type and value are checked before the increment */
    EXPECT(WRONGTYPE, cmd_incrbyfloat, "INCRBYFLOAT", "l", "x");
    EXPECT(NOT_FLOAT, cmd_incrbyfloat, "INCRBYFLOAT", "s", "x");
    assert_value("s", "abc");
}

/* ---------------- LCS ---------------- */

#define LCS_DOCS_IDX_MATCHES                                                                                           \
    "*2\r\n"                                                                                                           \
    "*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"                                                                       \
    "*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"

Test(cmd_string, lcs_docs_examples)
{
    EXPECT(OK, cmd_mset, "MSET", "key1", "ohmytext", "key2", "mynewtext");
    EXPECT("$6\r\nmytext\r\n", cmd_lcs, "LCS", "key1", "key2");
    EXPECT(":6\r\n", cmd_lcs, "LCS", "key1", "key2", "LEN");
    EXPECT("*4\r\n$7\r\nmatches\r\n" LCS_DOCS_IDX_MATCHES "$3\r\nlen\r\n:6\r\n", cmd_lcs, "LCS", "key1", "key2", "IDX");
    EXPECT("*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n", cmd_lcs, "LCS",
           "key1", "key2", "IDX", "MINMATCHLEN", "4");
    EXPECT("*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n", cmd_lcs,
           "LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN");
}

Test(cmd_string, lcs_idx_resp3_is_a_map)
{
    add_key("key1", "ohmytext");
    add_key("key2", "mynewtext");
    ctx.resp = 3;
    EXPECT("%2\r\n$7\r\nmatches\r\n" LCS_DOCS_IDX_MATCHES "$3\r\nlen\r\n:6\r\n", cmd_lcs, "LCS", "key1", "key2", "idx");
    EXPECT("%2\r\n$7\r\nmatches\r\n*2\r\n"
           "*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
           "*3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n"
           "$3\r\nlen\r\n:6\r\n",
           cmd_lcs, "LCS", "key1", "key2", "WITHMATCHLEN", "IDX");
}

Test(cmd_string, lcs_edge_cases)
{
    add_key("a", "foo");
    add_key("b", "fao");
    EXPECT("$2\r\nfo\r\n", cmd_lcs, "LCS", "a", "b");
    /* missing keys are empty strings */
    EXPECT("$0\r\n\r\n", cmd_lcs, "LCS", "a", "missing");
    EXPECT(":0\r\n", cmd_lcs, "LCS", "missing", "other", "LEN");
    EXPECT("*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n", cmd_lcs, "LCS", "missing", "a", "IDX");
    /* a key with itself */
    EXPECT("$3\r\nfoo\r\n", cmd_lcs, "LCS", "a", "a");
    EXPECT("*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:0\r\n:2\r\n*2\r\n:0\r\n:2\r\n$3\r\nlen\r\n:3\r\n", cmd_lcs, "LCS",
           "a", "a", "IDX");
    /* integer-encoded values */
    EXPECT(OK, cmd_set, "SET", "n1", "12345");
    EXPECT(OK, cmd_set, "SET", "n2", "1395");
    EXPECT("$3\r\n135\r\n", cmd_lcs, "LCS", "n1", "n2");
    /* MINMATCHLEN: a negative value is 0, a later one replaces an earlier one */
    EXPECT("*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:2\r\n:2\r\n*2\r\n:2\r\n:2\r\n"
           "*2\r\n*2\r\n:0\r\n:0\r\n*2\r\n:0\r\n:0\r\n$3\r\nlen\r\n:2\r\n",
           cmd_lcs, "LCS", "a", "b", "IDX", "MINMATCHLEN", "-5");
    EXPECT("*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:2\r\n", cmd_lcs, "LCS", "a", "b", "IDX", "MINMATCHLEN", "1",
           "MINMATCHLEN", "2");
    /* WITHMATCHLEN and MINMATCHLEN are accepted (and ignored) without IDX */
    EXPECT("$2\r\nfo\r\n", cmd_lcs, "LCS", "a", "b", "WITHMATCHLEN", "MINMATCHLEN", "3");
    EXPECT(":2\r\n", cmd_lcs, "LCS", "a", "b", "LEN", "LEN");
}

Test(cmd_string, lcs_errors)
{
    add_key("a", "foo");
    add_key("b", "fao");
    EXPECT("-ERR If you want both the length and indexes, please just use IDX.\r\n", cmd_lcs, "LCS", "a", "b", "LEN",
           "IDX");
    EXPECT(SYNTAX, cmd_lcs, "LCS", "a", "b", "BOGUS");
    EXPECT(SYNTAX, cmd_lcs, "LCS", "a", "b", "MINMATCHLEN");
    EXPECT(NOT_INTEGER, cmd_lcs, "LCS", "a", "b", "MINMATCHLEN", "x");
    add_wrongtype("l");
    const char *not_strings = "-ERR The specified keys must contain string values\r\n";
    EXPECT(not_strings, cmd_lcs, "LCS", "l", "a");
    EXPECT(not_strings, cmd_lcs, "LCS", "a", "l");
    /* the types are checked before the options */
    EXPECT(not_strings, cmd_lcs, "LCS", "a", "l", "BOGUS");
}

Test(cmd_string, lcs_longer_strings)
{
    /* a run that reaches the start of one string is closed there */
    add_key("a", "xxabcdef");
    add_key("b", "abcdefyy");
    EXPECT("$6\r\nabcdef\r\n", cmd_lcs, "LCS", "a", "b");
    EXPECT("*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:2\r\n:7\r\n*2\r\n:0\r\n:5\r\n$3\r\nlen\r\n:6\r\n", cmd_lcs, "LCS",
           "a", "b", "IDX");
    /* a few hundred bytes each: still the right length */
    char s1[401], s2[401];
    for (int i = 0; i < 400; i++) {
        s1[i] = (char)('a' + i % 7);
        s2[i] = (char)('a' + i % 5);
    }
    s1[400] = s2[400] = '\0';
    add_key("long1", s1);
    add_key("long2", s2);
    const char *len_reply = RUN(cmd_lcs, "LCS", "long1", "long2", "LEN");
    long long n = strtoll(len_reply + 1, NULL, 10);
    cr_assert(n > 0 && n <= 400);
    char bulk_head[32];
    snprintf(bulk_head, sizeof(bulk_head), "$%lld\r\n", n);
    const char *str_reply = RUN(cmd_lcs, "LCS", "long1", "long2");
    cr_assert(strncmp(str_reply, bulk_head, strlen(bulk_head)) == 0);
}

/* ---------------- bookkeeping ---------------- */

Test(cmd_string, reads_count_hits_and_misses)
{
    add_key("k", "v");
    RUN(cmd_get, "GET", "k");
    RUN(cmd_get, "GET", "nope");
    RUN(cmd_mget, "MGET", "k", "nope", "k");
    cr_assert_eq(stats.keyspace_hits, 3);
    cr_assert_eq(stats.keyspace_misses, 2);
    cr_assert_eq(stats.dirty, 0);
}

Test(cmd_string, errors_change_nothing)
{
    add_key("k", "v");
    RUN(cmd_set, "SET", "k", "x", "NX", "XX");
    RUN(cmd_set, "SET", "k", "x", "EX", "0");
    RUN(cmd_incr, "INCR", "k");
    RUN(cmd_incrbyfloat, "INCRBYFLOAT", "k", "1");
    RUN(cmd_setrange, "SETRANGE", "k", "-1", "x");
    RUN(cmd_mset, "MSET", "k");
    cr_assert_eq(stats.dirty, 0);
    assert_value("k", "v");
}

Test(cmd_string, works_in_another_db)
{
    ctx.dbid = 5;
    ctx.db = dbs[5];
    EXPECT(OK, cmd_set, "SET", "k", "five");
    cr_assert_null(db_find(dbs[0], key_hash("k", 1), "k", 1));
    EXPECT("$4\r\nfive\r\n", cmd_get, "GET", "k");
}
