/*
 * test_cmd_keys.c - unit tests for core/commands/cmd_keys.c: the generic key and
 * expiry handlers, called directly with a hand-built struct cmd_ctx (16 dbs,
 * shard 0 of 1 unless a test says otherwise) and checked byte for byte
 * against the RESP Redis would send.
 *
 * "now" is a fixed clock (NOW); keys that must look expired get an
 * expire_at in the past and stay linked until a handler meets them.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/base/resp.h"
#include "core/base/util.h"

#include "cmd_harness.h"

TestSuite(cmd_keys, .init = harness_setup, .fini = harness_teardown);

static struct db_entry *add_key_ttl(struct db *db, const char *key, const char *val, int64_t expire_at)
{
    struct db_entry *e = entry_new_string(key_hash(key, strlen(key)), key, strlen(key), val, strlen(val));
    e->expire_at = expire_at;
    db_insert(db, e);
    return e;
}

static struct db_entry *add_key(struct db *db, const char *key, const char *val)
{
    return add_key_ttl(db, key, val, 0);
}

/* The string value of key in db, or NULL; copied into a static buffer. */
static const char *value_of(struct db *db, const char *key)
{
    static char copy[256];
    char tmp[LONG_STR_SIZE];
    size_t len;
    struct db_entry *e = find_in(db, key);
    if (!e)
        return NULL;
    const char *p = entry_string(e, tmp, &len);
    cr_assert(len < sizeof(copy));
    memcpy(copy, p, len);
    copy[len] = '\0';
    return copy;
}

/* ---- a tiny reader for "*n" arrays of bulk strings (KEYS, SCAN) ---- */

struct strlist {
    char **items;
    size_t count;
};

static void strlist_free(struct strlist *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

static long read_line_number(const char **p, char type)
{
    cr_assert_eq(**p, type, "expected '%c' at \"%.20s\"", type, *p);
    char *end;
    long n = strtol(*p + 1, &end, 10);
    cr_assert(end[0] == '\r' && end[1] == '\n');
    *p = end + 2;
    return n;
}

/* Parses an array of bulk strings at *p, advancing *p past it. */
static struct strlist read_bulk_array(const char **p)
{
    struct strlist l = {0};
    long n = read_line_number(p, '*');
    l.items = calloc(n ? (size_t)n : 1, sizeof(char *));
    for (long i = 0; i < n; i++) {
        long len = read_line_number(p, '$');
        l.items[i] = strndup(*p, (size_t)len);
        cr_assert((*p)[len] == '\r' && (*p)[len + 1] == '\n');
        *p += len + 2;
    }
    l.count = (size_t)n;
    return l;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted keys of a KEYS reply joined by spaces, e.g. "a b c". */
static const char *sorted_keys_reply(const char *reply)
{
    static char joined[4096];
    const char *p = reply;
    struct strlist l = read_bulk_array(&p);
    cr_assert_eq(*p, '\0', "trailing bytes after the array");
    qsort(l.items, l.count, sizeof(char *), cmp_str);
    joined[0] = '\0';
    for (size_t i = 0; i < l.count; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, l.items[i]);
    }
    strlist_free(&l);
    return joined;
}

/* Runs one SCAN call; returns the next cursor and the keys. */
static unsigned long long scan_once(const char *const *argv, struct strlist *keys)
{
    const char *p = run_argv(cmd_scan, argv);
    cr_assert_eq(read_line_number(&p, '*'), 2, "SCAN reply: %s", out.data);
    long len = read_line_number(&p, '$');
    char cursor_text[32];
    cr_assert(len > 0 && len < 32);
    memcpy(cursor_text, p, (size_t)len);
    cursor_text[len] = '\0';
    p += len + 2;
    *keys = read_bulk_array(&p);
    cr_assert_eq(*p, '\0');
    return strtoull(cursor_text, NULL, 10);
}

/* ================= DEL / UNLINK / EXISTS / TOUCH ================= */

Test(cmd_keys, del_counts_deleted_keys)
{
    add_key(ctx.db, "a", "1");
    add_key(ctx.db, "b", "2");
    add_key(ctx.db, "c", "3");
    EXPECT(":2\r\n", cmd_del, "del", "a", "b", "nosuch");
    cr_assert_null(find_in(ctx.db, "a"));
    cr_assert_null(find_in(ctx.db, "b"));
    cr_assert_not_null(find_in(ctx.db, "c"));
    cr_assert_eq(db_size(ctx.db), 1);
    cr_assert_geq(stats.dirty, 2, "key_modified counts dirty");
}

Test(cmd_keys, del_repeated_key_counts_once)
{
    add_key(ctx.db, "a", "1");
    EXPECT(":1\r\n", cmd_del, "del", "a", "a", "a");
}

Test(cmd_keys, unlink_uses_del_handler)
{
    add_key(ctx.db, "a", "1");
    EXPECT(":1\r\n", cmd_del, "unlink", "a");
    EXPECT(":0\r\n", cmd_del, "unlink", "a");
}

Test(cmd_keys, del_expired_key_is_not_counted)
{
    add_key_ttl(ctx.db, "gone", "x", NOW - 1);
    add_key_ttl(ctx.db, "edge", "x", NOW); /* expire_at == now: expired */
    EXPECT(":0\r\n", cmd_del, "del", "gone", "edge");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, del_only_touches_current_db)
{
    add_key(dbs[1], "a", "1");
    EXPECT(":0\r\n", cmd_del, "del", "a");
    cr_assert_not_null(find_in(dbs[1], "a"));
}

Test(cmd_keys, exists_counts_repeats)
{
    add_key(ctx.db, "a", "1");
    add_key(ctx.db, "b", "1");
    EXPECT(":3\r\n", cmd_exists, "exists", "a", "a", "b", "c");
    EXPECT(":0\r\n", cmd_exists, "exists", "nosuch");
}

Test(cmd_keys, exists_ignores_expired)
{
    add_key_ttl(ctx.db, "old", "1", NOW - 1000);
    add_key_ttl(ctx.db, "young", "1", NOW + 1000);
    EXPECT(":1\r\n", cmd_exists, "exists", "old", "young");
}

Test(cmd_keys, touch_counts_existing)
{
    add_key(ctx.db, "a", "1");
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT(":2\r\n", cmd_touch, "touch", "a", "a", "old", "nosuch");
}

Test(cmd_keys, touch_refreshes_idle_time_but_exists_does_not)
{
    struct db_entry *e = add_key(ctx.db, "a", "1");
    e->lru = lru_clock_now(NOW - 100 * 1000);
    EXPECT(":100\r\n", cmd_object, "object", "idletime", "a");
    EXPECT(":1\r\n", cmd_exists, "exists", "a");
    EXPECT("+string\r\n", cmd_type, "type", "a");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "a");
    EXPECT(":100\r\n", cmd_object, "object", "idletime", "a");
    EXPECT(":1\r\n", cmd_touch, "touch", "a");
    EXPECT(":0\r\n", cmd_object, "object", "idletime", "a");
}

/* ================= TYPE ================= */

Test(cmd_keys, type_of_string_and_missing)
{
    add_key(ctx.db, "s", "hello");
    add_key(ctx.db, "n", "12");
    EXPECT("+string\r\n", cmd_type, "type", "s");
    EXPECT("+string\r\n", cmd_type, "type", "n");
    EXPECT("+none\r\n", cmd_type, "type", "nosuch");
    ctx.resp = 3;
    EXPECT("+none\r\n", cmd_type, "type", "nosuch");
}

Test(cmd_keys, type_of_expired_is_none)
{
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT("+none\r\n", cmd_type, "type", "old");
    cr_assert_null(find_in(ctx.db, "old"), "lazily deleted");
}

/* ================= OBJECT ================= */

Test(cmd_keys, object_encoding)
{
    char big[OBJ_EMBSTR_MAX + 10];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    add_key(ctx.db, "int", "12345");
    add_key(ctx.db, "emb", "hello");
    add_key(ctx.db, "raw", big);
    EXPECT("$3\r\nint\r\n", cmd_object, "object", "encoding", "int");
    EXPECT("$6\r\nembstr\r\n", cmd_object, "OBJECT", "ENCODING", "emb");
    EXPECT("$3\r\nraw\r\n", cmd_object, "object", "Encoding", "raw");
}

Test(cmd_keys, object_missing_key_is_nil)
{
    EXPECT("$-1\r\n", cmd_object, "object", "encoding", "nosuch");
    EXPECT("$-1\r\n", cmd_object, "object", "refcount", "nosuch");
    EXPECT("$-1\r\n", cmd_object, "object", "idletime", "nosuch");
    EXPECT("$-1\r\n", cmd_object, "object", "freq", "nosuch");
    ctx.resp = 3;
    EXPECT("_\r\n", cmd_object, "object", "encoding", "nosuch");
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT("_\r\n", cmd_object, "object", "encoding", "old");
}

/* Redis 7.0 names: a list is a quicklist whatever its size, a set that is
 * not an intset is a hashtable (7.0 has no listpack lists or sets). */
Test(cmd_keys, object_encoding_uses_redis_70_names)
{
    RUN(cmd_rpush, "rpush", "small", "a", "b");
    cr_assert_str_eq(encoding_of("small"), "listpack");
    EXPECT("$9\r\nquicklist\r\n", cmd_object, "object", "encoding", "small");
    RUN(cmd_sadd, "sadd", "ints", "1", "2");
    EXPECT("$6\r\nintset\r\n", cmd_object, "object", "encoding", "ints");
    RUN(cmd_sadd, "sadd", "strs", "a", "b");
    cr_assert_str_eq(encoding_of("strs"), "listpack");
    EXPECT("$9\r\nhashtable\r\n", cmd_object, "object", "encoding", "strs");
    RUN(cmd_hset, "hset", "h", "f", "v");
    EXPECT("$8\r\nlistpack\r\n", cmd_object, "object", "encoding", "h");
    RUN(cmd_zadd, "zadd", "z", "1", "m");
    EXPECT("$8\r\nlistpack\r\n", cmd_object, "object", "encoding", "z");
}

/* Integers 0..9999 are Redis's shared objects (refcount INT_MAX) unless an
 * LRU/LFU policy with a maxmemory needs a clock per key. */
Test(cmd_keys, object_refcount_of_shared_integers)
{
    cfg = *config_defaults();
    ctx.cfg = &cfg;
    add_key(ctx.db, "zero", "0");
    add_key(ctx.db, "top", "9999");
    add_key(ctx.db, "big", "10000");
    add_key(ctx.db, "neg", "-1");
    add_key(ctx.db, "str", "abc");
    add_key(ctx.db, "pad", "01");
    EXPECT(":2147483647\r\n", cmd_object, "object", "refcount", "zero");
    EXPECT(":2147483647\r\n", cmd_object, "object", "refcount", "top");
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "big");
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "neg");
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "str");
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "pad");
    cfg.maxmemory_policy = MAXMEMORY_ALLKEYS_LRU;
    EXPECT(":2147483647\r\n", cmd_object, "object", "refcount", "zero"); /* no maxmemory: shared */
    cfg.maxmemory = 1 << 30;
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "zero");
    cfg.maxmemory_policy = MAXMEMORY_VOLATILE_TTL;
    EXPECT(":2147483647\r\n", cmd_object, "object", "refcount", "zero");
}

Test(cmd_keys, object_refcount_idletime_freq)
{
    struct db_entry *e = add_key(ctx.db, "k", "v");
    e->lru = lru_clock_now(NOW - 42 * 1000);
    EXPECT(":1\r\n", cmd_object, "object", "refcount", "k");
    EXPECT(":42\r\n", cmd_object, "object", "idletime", "k");
    EXPECT("-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
           "switching between policies at runtime LRU and LFU data will take some time to adjust.\r\n",
           cmd_object, "object", "freq", "k");
}

Test(cmd_keys, object_help)
{
    const char *expected = "*15\r\n"
                           "+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
                           "+ENCODING <key>\r\n"
                           "+    Return the kind of internal representation used in order to store the value\r\n"
                           "+    associated with a <key>.\r\n"
                           "+FREQ <key>\r\n"
                           "+    Return the access frequency index of the <key>. The returned integer is\r\n"
                           "+    proportional to the logarithm of the recent access frequency of the key.\r\n"
                           "+IDLETIME <key>\r\n"
                           "+    Return the idle time of the <key>, that is the approximated number of\r\n"
                           "+    seconds elapsed since the last access to the key.\r\n"
                           "+REFCOUNT <key>\r\n"
                           "+    Return the number of references of the value associated with the specified\r\n"
                           "+    <key>.\r\n"
                           "+HELP\r\n"
                           "+    Prints this help.\r\n";
    EXPECT(expected, cmd_object, "object", "help");
    EXPECT(expected, cmd_object, "object", "HeLp");
}

Test(cmd_keys, object_errors)
{
    EXPECT("-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n", cmd_object, "object", "foo");
    EXPECT("-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n", cmd_object, "object", "foo", "k");
    EXPECT("-ERR wrong number of arguments for 'object|encoding' command\r\n", cmd_object, "object", "encoding");
    EXPECT("-ERR wrong number of arguments for 'object|refcount' command\r\n", cmd_object, "object", "REFCOUNT", "a",
           "b");
    EXPECT("-ERR wrong number of arguments for 'object|help' command\r\n", cmd_object, "object", "help", "x");
}

/* ================= RENAME / RENAMENX ================= */

Test(cmd_keys, rename_basic)
{
    add_key(ctx.db, "a", "hello");
    EXPECT("+OK\r\n", cmd_rename, "rename", "a", "b");
    cr_assert_null(find_in(ctx.db, "a"));
    cr_assert_str_eq(value_of(ctx.db, "b"), "hello");
    EXPECT("+OK\r\n", cmd_rename, "rename", "b", "a-much-longer-key-name-than-before");
    cr_assert_str_eq(value_of(ctx.db, "a-much-longer-key-name-than-before"), "hello");
    EXPECT("+OK\r\n", cmd_rename, "rename", "a-much-longer-key-name-than-before", "s");
    cr_assert_str_eq(value_of(ctx.db, "s"), "hello");
    EXPECT("$6\r\nembstr\r\n", cmd_object, "object", "encoding", "s");
    EXPECT("+OK\r\n", cmd_rename, "rename", "s", "");
    cr_assert_str_eq(value_of(ctx.db, ""), "hello");
    cr_assert_eq(db_size(ctx.db), 1);
}

Test(cmd_keys, rename_keeps_raw_and_int_values)
{
    char big[OBJ_EMBSTR_MAX * 2];
    memset(big, 'v', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    add_key(ctx.db, "raw", big);
    add_key(ctx.db, "int", "-42");
    EXPECT("+OK\r\n", cmd_rename, "rename", "raw", "raw2");
    EXPECT("+OK\r\n", cmd_rename, "rename", "int", "int2");
    cr_assert_str_eq(value_of(ctx.db, "raw2"), big);
    cr_assert_str_eq(value_of(ctx.db, "int2"), "-42");
    EXPECT("$3\r\nraw\r\n", cmd_object, "object", "encoding", "raw2");
    EXPECT("$3\r\nint\r\n", cmd_object, "object", "encoding", "int2");
}

Test(cmd_keys, rename_missing_source)
{
    EXPECT("-ERR no such key\r\n", cmd_rename, "rename", "nosuch", "b");
    EXPECT("-ERR no such key\r\n", cmd_rename, "rename", "nosuch", "nosuch");
    EXPECT("-ERR no such key\r\n", cmd_renamenx, "renamenx", "nosuch", "b");
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT("-ERR no such key\r\n", cmd_rename, "rename", "old", "b");
}

Test(cmd_keys, rename_same_key)
{
    add_key_ttl(ctx.db, "a", "1", NOW + 5000);
    EXPECT("+OK\r\n", cmd_rename, "rename", "a", "a");
    EXPECT(":0\r\n", cmd_renamenx, "renamenx", "a", "a");
    cr_assert_str_eq(value_of(ctx.db, "a"), "1");
    EXPECT(":5000\r\n", cmd_pttl, "pttl", "a");
}

Test(cmd_keys, rename_overwrites_destination_and_its_ttl)
{
    add_key(ctx.db, "a", "new");
    add_key_ttl(ctx.db, "b", "old", NOW + 100000);
    EXPECT("+OK\r\n", cmd_rename, "rename", "a", "b");
    cr_assert_str_eq(value_of(ctx.db, "b"), "new");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "b");
    cr_assert_eq(db_size(ctx.db), 1);
    cr_assert_eq(db_expires_size(ctx.db), 0);
}

Test(cmd_keys, rename_moves_ttl)
{
    add_key_ttl(ctx.db, "a", "v", NOW + 100000);
    EXPECT("+OK\r\n", cmd_rename, "rename", "a", "b");
    EXPECT(":100\r\n", cmd_ttl, "ttl", "b");
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "a");
    cr_assert_eq(db_expires_size(ctx.db), 1);
}

Test(cmd_keys, rename_onto_expired_destination)
{
    add_key(ctx.db, "a", "v");
    add_key_ttl(ctx.db, "b", "stale", NOW - 1);
    EXPECT(":1\r\n", cmd_renamenx, "renamenx", "a", "b");
    cr_assert_str_eq(value_of(ctx.db, "b"), "v");
    EXPECT(":-1\r\n", cmd_pttl, "pttl", "b");
}

Test(cmd_keys, renamenx)
{
    add_key(ctx.db, "a", "1");
    add_key(ctx.db, "b", "2");
    EXPECT(":0\r\n", cmd_renamenx, "renamenx", "a", "b");
    cr_assert_str_eq(value_of(ctx.db, "a"), "1");
    cr_assert_str_eq(value_of(ctx.db, "b"), "2");
    EXPECT(":1\r\n", cmd_renamenx, "renamenx", "a", "c");
    cr_assert_null(find_in(ctx.db, "a"));
    cr_assert_str_eq(value_of(ctx.db, "c"), "1");
}

/* ================= COPY ================= */

Test(cmd_keys, copy_basic)
{
    add_key(ctx.db, "src", "foobar");
    EXPECT(":1\r\n", cmd_copy, "copy", "src", "dst");
    cr_assert_str_eq(value_of(ctx.db, "src"), "foobar");
    cr_assert_str_eq(value_of(ctx.db, "dst"), "foobar");
    cr_assert_eq(db_size(ctx.db), 2);
    /* independent copies */
    EXPECT(":1\r\n", cmd_del, "del", "src");
    cr_assert_str_eq(value_of(ctx.db, "dst"), "foobar");
}

Test(cmd_keys, copy_is_a_fresh_object)
{
    struct db_entry *e = add_key(ctx.db, "src", "v");
    e->lru = lru_clock_now(NOW - 500 * 1000);
    EXPECT(":1\r\n", cmd_copy, "copy", "src", "dst", "db", "3");
    ctx.db = dbs[3];
    ctx.dbid = 3;
    EXPECT(":0\r\n", cmd_object, "object", "idletime", "dst");
}

Test(cmd_keys, copy_existing_destination)
{
    add_key(ctx.db, "src", "new");
    add_key_ttl(ctx.db, "dst", "old", NOW + 1000);
    EXPECT(":0\r\n", cmd_copy, "copy", "src", "dst");
    cr_assert_str_eq(value_of(ctx.db, "dst"), "old");
    EXPECT(":1\r\n", cmd_copy, "copy", "src", "dst", "REPLACE");
    cr_assert_str_eq(value_of(ctx.db, "dst"), "new");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "dst");
    cr_assert_eq(db_expires_size(ctx.db), 0);
}

Test(cmd_keys, copy_missing_source)
{
    EXPECT(":0\r\n", cmd_copy, "copy", "nosuch", "dst");
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT(":0\r\n", cmd_copy, "copy", "old", "dst");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, copy_keeps_ttl)
{
    add_key_ttl(ctx.db, "src", "v", NOW + 100000);
    add_key(ctx.db, "plain", "v");
    EXPECT(":1\r\n", cmd_copy, "copy", "src", "dst");
    EXPECT(":100000\r\n", cmd_pttl, "pttl", "dst");
    EXPECT(":100000\r\n", cmd_pttl, "pttl", "src");
    EXPECT(":1\r\n", cmd_copy, "copy", "plain", "dst2");
    EXPECT(":-1\r\n", cmd_pttl, "pttl", "dst2");
    cr_assert_eq(db_expires_size(ctx.db), 2);
}

Test(cmd_keys, copy_to_other_db)
{
    add_key_ttl(ctx.db, "k", "v", NOW + 3000);
    EXPECT(":1\r\n", cmd_copy, "copy", "k", "k", "DB", "10");
    cr_assert_str_eq(value_of(dbs[10], "k"), "v");
    cr_assert_eq(find_in(dbs[10], "k")->expire_at, NOW + 3000);
    cr_assert_eq(db_expires_size(dbs[10]), 1);
    cr_assert_str_eq(value_of(ctx.db, "k"), "v");
    EXPECT(":0\r\n", cmd_copy, "copy", "k", "k", "db", "10");
    add_key(ctx.db, "k2", "w");
    EXPECT(":1\r\n", cmd_copy, "copy", "k2", "k", "replace", "db", "10");
    cr_assert_str_eq(value_of(dbs[10], "k"), "w");
    cr_assert_eq(db_expires_size(dbs[10]), 0);
    EXPECT(":1\r\n", cmd_copy, "copy", "k2", "z", "db", "0");
    cr_assert_str_eq(value_of(ctx.db, "z"), "w");
}

Test(cmd_keys, copy_from_selected_db)
{
    ctx.dbid = 3;
    ctx.db = dbs[3];
    add_key(dbs[3], "k", "v");
    EXPECT(":1\r\n", cmd_copy, "copy", "k", "k", "db", "0");
    cr_assert_str_eq(value_of(dbs[0], "k"), "v");
    EXPECT("-ERR source and destination objects are the same\r\n", cmd_copy, "copy", "k", "k", "db", "3");
}

Test(cmd_keys, copy_errors)
{
    add_key(ctx.db, "k", "v");
    EXPECT("-ERR source and destination objects are the same\r\n", cmd_copy, "copy", "k", "k");
    EXPECT("-ERR source and destination objects are the same\r\n", cmd_copy, "copy", "nosuch", "nosuch");
    EXPECT("-ERR source and destination objects are the same\r\n", cmd_copy, "copy", "k", "k", "db", "0");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_copy, "copy", "k", "d", "db", "notanumber");
    EXPECT("-ERR DB index is out of range\r\n", cmd_copy, "copy", "k", "d", "db", "16");
    EXPECT("-ERR DB index is out of range\r\n", cmd_copy, "copy", "k", "d", "db", "-1");
    EXPECT("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", cmd_copy, "copy", "k", "d",
           "db", "99999999999");
    EXPECT("-ERR syntax error\r\n", cmd_copy, "copy", "k", "d", "db");
    EXPECT("-ERR syntax error\r\n", cmd_copy, "copy", "k", "d", "foo");
    EXPECT("-ERR syntax error\r\n", cmd_copy, "copy", "k", "d", "replace", "x");
    cr_assert_eq(db_size(ctx.db), 1);
}

/* ================= MOVE ================= */

Test(cmd_keys, move_basic)
{
    add_key(ctx.db, "k", "foobar");
    EXPECT(":1\r\n", cmd_move, "move", "k", "10");
    cr_assert_null(find_in(ctx.db, "k"));
    cr_assert_str_eq(value_of(dbs[10], "k"), "foobar");
    cr_assert_eq(db_size(ctx.db), 0);
    cr_assert_eq(db_size(dbs[10]), 1);
}

Test(cmd_keys, move_keeps_ttl)
{
    add_key_ttl(ctx.db, "k", "v", NOW + 100000);
    add_key(ctx.db, "plain", "v");
    EXPECT(":1\r\n", cmd_move, "move", "k", "5");
    EXPECT(":1\r\n", cmd_move, "move", "plain", "5");
    cr_assert_eq(db_expires_size(ctx.db), 0);
    cr_assert_eq(db_expires_size(dbs[5]), 1);
    cr_assert_eq(find_in(dbs[5], "k")->expire_at, NOW + 100000);
    cr_assert_eq(find_in(dbs[5], "plain")->expire_at, 0);
}

Test(cmd_keys, move_refused)
{
    add_key(ctx.db, "k", "mine");
    add_key(dbs[10], "k", "theirs");
    EXPECT(":0\r\n", cmd_move, "move", "k", "10");
    cr_assert_str_eq(value_of(ctx.db, "k"), "mine");
    cr_assert_str_eq(value_of(dbs[10], "k"), "theirs");
    EXPECT(":0\r\n", cmd_move, "move", "nosuch", "10");
    add_key_ttl(ctx.db, "old", "1", NOW - 1);
    EXPECT(":0\r\n", cmd_move, "move", "old", "10");
    cr_assert_null(find_in(dbs[10], "old"));
}

Test(cmd_keys, move_onto_expired_key_in_target)
{
    add_key(ctx.db, "k", "mine");
    add_key_ttl(dbs[2], "k", "stale", NOW - 1);
    EXPECT(":1\r\n", cmd_move, "move", "k", "2");
    cr_assert_str_eq(value_of(dbs[2], "k"), "mine");
    cr_assert_eq(db_size(dbs[2]), 1);
}

Test(cmd_keys, move_errors)
{
    add_key(ctx.db, "k", "v");
    EXPECT("-ERR source and destination objects are the same\r\n", cmd_move, "move", "k", "0");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_move, "move", "k", "notanumber");
    EXPECT("-ERR DB index is out of range\r\n", cmd_move, "move", "k", "16");
    EXPECT("-ERR DB index is out of range\r\n", cmd_move, "move", "k", "-1");
    EXPECT("-ERR value is out of range, value must between -2147483648 and 2147483647\r\n", cmd_move, "move", "k",
           "4294967296");
    cr_assert_not_null(find_in(ctx.db, "k"));
}

/* ================= KEYS ================= */

Test(cmd_keys, keys_patterns)
{
    const char *names[] = {"hello", "hallo", "hxllo", "hllo", "heeeello", "key_x", "key_y", "foo_a", "h*llo"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        add_key(ctx.db, names[i], "v");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "*")),
                     "foo_a h*llo hallo heeeello hello hllo hxllo key_x key_y");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h?llo")), "h*llo hallo hello hxllo");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h*llo")), "h*llo hallo heeeello hello hllo hxllo");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h[ae]llo")), "hallo hello");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h[^e]llo")), "h*llo hallo hxllo");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h[a-b]llo")), "hallo");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "h\\*llo")), "h*llo");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "key_*")), "key_x key_y");
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "KEY_*")), "");
    EXPECT("*1\r\n$5\r\nfoo_a\r\n", cmd_keys, "keys", "foo_a");
    EXPECT("*0\r\n", cmd_keys, "keys", "nomatch*");
}

Test(cmd_keys, keys_empty_db_and_other_db)
{
    EXPECT("*0\r\n", cmd_keys, "keys", "*");
    add_key(dbs[1], "k", "v");
    EXPECT("*0\r\n", cmd_keys, "keys", "*");
    ctx.db = dbs[1];
    ctx.dbid = 1;
    EXPECT("*1\r\n$1\r\nk\r\n", cmd_keys, "keys", "*");
}

Test(cmd_keys, keys_skips_expired)
{
    add_key(ctx.db, "live", "v");
    add_key_ttl(ctx.db, "future", "v", NOW + 1);
    add_key_ttl(ctx.db, "dead", "v", NOW - 1);
    cr_assert_str_eq(sorted_keys_reply(RUN(cmd_keys, "keys", "*")), "future live");
    EXPECT("*0\r\n", cmd_keys, "keys", "dead");
}

Test(cmd_keys, keys_many)
{
    char name[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "key:%d", i);
        add_key(ctx.db, name, "v");
    }
    const char *p = RUN(cmd_keys, "keys", "key:1*");
    struct strlist l = read_bulk_array(&p);
    cr_assert_eq(l.count, 1 + 10 + 100 + 1000); /* key:1, key:1x, key:1xx, key:1xxx */
    strlist_free(&l);
}

/* ================= SCAN ================= */

Test(cmd_keys, scan_full_iteration_returns_every_key)
{
    enum { N = 10000 };
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "key:%d", i);
        add_key(ctx.db, name, "v");
    }
    unsigned char *seen = calloc(N, 1);
    unsigned long long cursor = 0;
    int calls = 0;
    char cursor_text[32];
    do {
        snprintf(cursor_text, sizeof(cursor_text), "%llu", cursor);
        struct strlist keys;
        cursor = scan_once((const char *const[]){"scan", cursor_text, "COUNT", "10", NULL}, &keys);
        cr_assert_leq(keys.count, 10 * 10 + 64, "one call returns about COUNT keys");
        for (size_t i = 0; i < keys.count; i++) {
            int idx = atoi(keys.items[i] + 4);
            cr_assert(idx >= 0 && idx < N);
            seen[idx] = 1;
        }
        strlist_free(&keys);
        cr_assert_eq(cursor & (MAX_THREADS - 1), 0, "shard bits say shard 0");
        calls++;
        cr_assert_lt(calls, N, "SCAN terminates");
    } while (cursor != 0);
    for (int i = 0; i < N; i++)
        cr_assert(seen[i], "key:%d never returned", i);
    cr_assert_gt(calls, 100, "COUNT 10 needs many calls for 10000 keys");
    free(seen);
}

Test(cmd_keys, scan_default_count_and_small_db)
{
    add_key(ctx.db, "a", "1");
    add_key(ctx.db, "b", "2");
    struct strlist keys;
    unsigned long long next = scan_once((const char *const[]){"scan", "0", NULL}, &keys);
    cr_assert_eq(next, 0);
    cr_assert_eq(keys.count, 2);
    strlist_free(&keys);
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", cmd_scan, "scan", "0", "match", "nomatch");
}

Test(cmd_keys, scan_empty_db)
{
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", cmd_scan, "scan", "0");
    ctx.resp = 3;
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", cmd_scan, "scan", "0");
}

/* Scans the whole db with the given options and returns the sorted keys. */
static const char *scan_all(const char *opt1, const char *val1, const char *opt2, const char *val2)
{
    static char joined[4096];
    char cursor_text[32];
    unsigned long long cursor = 0;
    struct strlist all = {0};
    all.items = calloc(4096, sizeof(char *));
    do {
        snprintf(cursor_text, sizeof(cursor_text), "%llu", cursor);
        const char *argv[] = {"scan", cursor_text, "count", "3", opt1, val1, opt2, val2, NULL};
        struct strlist keys;
        cursor = scan_once(argv, &keys);
        for (size_t i = 0; i < keys.count; i++) {
            cr_assert_lt(all.count, 4096);
            all.items[all.count++] = keys.items[i];
        }
        free(keys.items);
    } while (cursor != 0);
    qsort(all.items, all.count, sizeof(char *), cmp_str);
    joined[0] = '\0';
    for (size_t i = 0; i < all.count; i++) {
        if (i && strcmp(all.items[i], all.items[i - 1]) == 0)
            continue; /* SCAN may repeat a key; the set is what counts */
        if (joined[0])
            strcat(joined, " ");
        strcat(joined, all.items[i]);
    }
    strlist_free(&all);
    return joined;
}

Test(cmd_keys, scan_match_and_type)
{
    char name[32];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "other:%d", i);
        add_key(ctx.db, name, "v");
    }
    add_key(ctx.db, "user:1", "a");
    add_key(ctx.db, "user:2", "b");
    add_key(ctx.db, "user:33", "c");
    cr_assert_str_eq(scan_all("match", "user:?", NULL, NULL), "user:1 user:2");
    cr_assert_str_eq(scan_all("MATCH", "user:*", "TYPE", "string"), "user:1 user:2 user:33");
    cr_assert_str_eq(scan_all("type", "STRING", "match", "user:3*"), "user:33");
    cr_assert_str_eq(scan_all("type", "list", NULL, NULL), "");
    cr_assert_str_eq(scan_all("type", "nosuchtype", NULL, NULL), "");
    cr_assert_str_eq(scan_all("match", "*", "match", "user:1"), "user:1"); /* the last MATCH wins */
}

Test(cmd_keys, scan_skips_expired)
{
    add_key(ctx.db, "live", "v");
    add_key_ttl(ctx.db, "dead", "v", NOW - 1);
    add_key_ttl(ctx.db, "dying", "v", NOW);
    add_key_ttl(ctx.db, "later", "v", NOW + 1);
    cr_assert_str_eq(scan_all(NULL, NULL, NULL, NULL), "later live");
}

Test(cmd_keys, scan_errors)
{
    EXPECT("-ERR invalid cursor\r\n", cmd_scan, "scan", "abc");
    EXPECT("-ERR invalid cursor\r\n", cmd_scan, "scan", "18446744073709551616");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "count", "0");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "count", "-5");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_scan, "scan", "0", "count", "ten");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "count");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "match");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "type");
    EXPECT("-ERR syntax error\r\n", cmd_scan, "scan", "0", "foo", "bar");
    EXPECT("-ERR invalid cursor\r\n", cmd_scan, "scan", "x", "foo");
}

Test(cmd_keys, scan_huge_count_is_fine)
{
    add_key(ctx.db, "a", "1");
    EXPECT("*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n", cmd_scan, "scan", "0", "count", "9223372036854775807");
}

Test(cmd_keys, scan_cursor_encodes_shard)
{
    /* shard 1 of 3: its first cursor is 1; when its table is done the reply
     * names shard 2's first cursor (2); a partial step keeps shard bits 1. */
    ctx.shard_id = 1;
    ctx.nshards = 3;
    add_key(ctx.db, "a", "1");
    EXPECT("*2\r\n$1\r\n2\r\n*1\r\n$1\r\na\r\n", cmd_scan, "scan", "1");

    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "k%d", i);
        add_key(ctx.db, name, "v");
    }
    unsigned long long cursor = 1;
    size_t total = 0;
    int calls = 0;
    char cursor_text[32];
    for (;;) {
        snprintf(cursor_text, sizeof(cursor_text), "%llu", cursor);
        struct strlist keys;
        cursor = scan_once((const char *const[]){"scan", cursor_text, "count", "5", NULL}, &keys);
        total += keys.count;
        strlist_free(&keys);
        calls++;
        cr_assert_lt(calls, 5000);
        if (cursor == 2)
            break; /* hand-over to shard 2 */
        cr_assert_eq(cursor & (MAX_THREADS - 1), 1, "cursor %llu keeps shard 1", cursor);
        cr_assert_gt(cursor >> SCAN_SHARD_BITS, 0);
    }
    cr_assert_geq(total, 1001);
    cr_assert_gt(calls, 10);

    /* the last shard ends the scan with "0" */
    ctx.shard_id = 2;
    db_clear(ctx.db);
    add_key(ctx.db, "z", "1");
    EXPECT("*2\r\n$1\r\n0\r\n*1\r\n$1\r\nz\r\n", cmd_scan, "scan", "2");
}

/* ================= RANDOMKEY / DBSIZE ================= */

Test(cmd_keys, randomkey)
{
    EXPECT("$-1\r\n", cmd_randomkey, "randomkey");
    ctx.resp = 3;
    EXPECT("_\r\n", cmd_randomkey, "randomkey");
    ctx.resp = 2;
    add_key(ctx.db, "only", "v");
    EXPECT("$4\r\nonly\r\n", cmd_randomkey, "randomkey");
    add_key(ctx.db, "foo", "v");
    int seen_only = 0, seen_foo = 0;
    for (int i = 0; i < 200; i++) {
        const char *r = RUN(cmd_randomkey, "randomkey");
        if (strcmp(r, "$4\r\nonly\r\n") == 0)
            seen_only = 1;
        else if (strcmp(r, "$3\r\nfoo\r\n") == 0)
            seen_foo = 1;
        else
            cr_assert_fail("unexpected reply %s", r);
    }
    cr_assert(seen_only && seen_foo);
}

Test(cmd_keys, randomkey_skips_and_deletes_expired)
{
    char name[32];
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "dead%d", i);
        add_key_ttl(ctx.db, name, "v", NOW - 1);
    }
    EXPECT("$-1\r\n", cmd_randomkey, "randomkey");
    cr_assert_eq(db_size(ctx.db), 0);
    for (int i = 0; i < 50; i++) {
        snprintf(name, sizeof(name), "dead%d", i);
        add_key_ttl(ctx.db, name, "v", NOW - 1);
    }
    add_key(ctx.db, "alive", "v");
    EXPECT("$5\r\nalive\r\n", cmd_randomkey, "randomkey");
}

Test(cmd_keys, dbsize)
{
    EXPECT(":0\r\n", cmd_dbsize, "dbsize");
    add_key(ctx.db, "a", "v");
    add_key(ctx.db, "b", "v");
    add_key(dbs[1], "c", "v");
    EXPECT(":2\r\n", cmd_dbsize, "dbsize");
    ctx.db = dbs[1];
    ctx.dbid = 1;
    EXPECT(":1\r\n", cmd_dbsize, "dbsize");
}

/* ================= FLUSHDB / FLUSHALL / SWAPDB ================= */

Test(cmd_keys, flushdb)
{
    add_key(ctx.db, "a", "v");
    add_key_ttl(ctx.db, "b", "v", NOW + 1000);
    add_key(dbs[1], "c", "v");
    EXPECT("+OK\r\n", cmd_flushdb, "flushdb");
    cr_assert_eq(db_size(ctx.db), 0);
    cr_assert_eq(db_expires_size(ctx.db), 0);
    cr_assert_eq(db_size(dbs[1]), 1);
    add_key(ctx.db, "a", "v");
    EXPECT("+OK\r\n", cmd_flushdb, "flushdb", "ASYNC");
    cr_assert_eq(db_size(ctx.db), 0);
    add_key(ctx.db, "a", "v");
    EXPECT("+OK\r\n", cmd_flushdb, "flushdb", "sync");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, flush_errors)
{
    add_key(ctx.db, "a", "v");
    EXPECT("-ERR syntax error\r\n", cmd_flushdb, "flushdb", "now");
    EXPECT("-ERR syntax error\r\n", cmd_flushdb, "flushdb", "async", "sync");
    EXPECT("-ERR syntax error\r\n", cmd_flushall, "flushall", "lazy");
    EXPECT("-ERR syntax error\r\n", cmd_flushall, "flushall", "sync", "sync");
    cr_assert_eq(db_size(ctx.db), 1);
}

Test(cmd_keys, flushall)
{
    for (int i = 0; i < NDBS; i++)
        add_key(dbs[i], "k", "v");
    EXPECT("+OK\r\n", cmd_flushall, "flushall");
    for (int i = 0; i < NDBS; i++)
        cr_assert_eq(db_size(dbs[i]), 0);
    add_key(dbs[7], "k", "v");
    EXPECT("+OK\r\n", cmd_flushall, "flushall", "Async");
    cr_assert_eq(db_size(dbs[7]), 0);
}

Test(cmd_keys, swapdb)
{
    add_key(dbs[0], "a", "zero");
    add_key(dbs[1], "b", "one");
    add_key(dbs[1], "c", "one");
    EXPECT("+OK\r\n", cmd_swapdb, "swapdb", "0", "1");
    cr_assert_eq(db_size(dbs[0]), 2);
    cr_assert_eq(db_size(dbs[1]), 1);
    cr_assert_str_eq(value_of(dbs[0], "b"), "one");
    cr_assert_str_eq(value_of(dbs[1], "a"), "zero");
    /* the handler reads through c->db, which now shows the swapped content */
    EXPECT(":2\r\n", cmd_dbsize, "dbsize");
    EXPECT("+OK\r\n", cmd_swapdb, "swapdb", "1", "1");
    cr_assert_eq(db_size(dbs[1]), 1);
    EXPECT("+OK\r\n", cmd_swapdb, "swapdb", "15", "0");
    cr_assert_eq(db_size(dbs[15]), 2);
    cr_assert_eq(db_size(dbs[0]), 0);
}

Test(cmd_keys, swapdb_errors)
{
    EXPECT("-ERR invalid first DB index\r\n", cmd_swapdb, "swapdb", "x", "1");
    EXPECT("-ERR invalid first DB index\r\n", cmd_swapdb, "swapdb", "x", "y");
    EXPECT("-ERR invalid second DB index\r\n", cmd_swapdb, "swapdb", "0", "y");
    EXPECT("-ERR invalid first DB index\r\n", cmd_swapdb, "swapdb", "99999999999", "0");
    EXPECT("-ERR DB index is out of range\r\n", cmd_swapdb, "swapdb", "0", "16");
    EXPECT("-ERR DB index is out of range\r\n", cmd_swapdb, "swapdb", "-1", "0");
}

/* ================= EXPIRE family ================= */

Test(cmd_keys, expire_sets_ttl)
{
    add_key(ctx.db, "k", "v");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "100");
    cr_assert_eq(find_in(ctx.db, "k")->expire_at, NOW + 100000);
    cr_assert_eq(db_expires_size(ctx.db), 1);
    EXPECT(":100\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":100000\r\n", cmd_pttl, "pttl", "k");
    EXPECT(":1\r\n", cmd_pexpire, "pexpire", "k", "1500");
    cr_assert_eq(find_in(ctx.db, "k")->expire_at, NOW + 1500);
    EXPECT(":1\r\n", cmd_expireat, "expireat", "k", "1800000000");
    cr_assert_eq(find_in(ctx.db, "k")->expire_at, 1800000000000LL);
    EXPECT(":1\r\n", cmd_pexpireat, "pexpireat", "k", "1800000000123");
    cr_assert_eq(find_in(ctx.db, "k")->expire_at, 1800000000123LL);
    EXPECT(":1800000000\r\n", cmd_expiretime, "expiretime", "k");
    EXPECT(":1800000000123\r\n", cmd_pexpiretime, "pexpiretime", "k");
    cr_assert_eq(db_expires_size(ctx.db), 1);
}

Test(cmd_keys, expire_missing_key)
{
    EXPECT(":0\r\n", cmd_expire, "expire", "nosuch", "100");
    EXPECT(":0\r\n", cmd_pexpire, "pexpire", "nosuch", "100");
    EXPECT(":0\r\n", cmd_expireat, "expireat", "nosuch", "1");
    EXPECT(":0\r\n", cmd_pexpireat, "pexpireat", "nosuch", "1");
    add_key_ttl(ctx.db, "old", "v", NOW - 1);
    EXPECT(":0\r\n", cmd_expire, "expire", "old", "100");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, expire_in_the_past_deletes)
{
    add_key(ctx.db, "a", "v");
    add_key(ctx.db, "b", "v");
    add_key(ctx.db, "c", "v");
    add_key(ctx.db, "d", "v");
    add_key(ctx.db, "e", "v");
    EXPECT(":1\r\n", cmd_expire, "expire", "a", "-1");
    EXPECT(":1\r\n", cmd_pexpire, "pexpire", "b", "0");
    EXPECT(":1\r\n", cmd_expireat, "expireat", "c", "100");
    EXPECT(":1\r\n", cmd_pexpireat, "pexpireat", "d", "1700000000000"); /* == now */
    EXPECT(":1\r\n", cmd_expire, "expire", "e", "0");
    cr_assert_eq(db_size(ctx.db), 0);
    cr_assert_eq(db_expires_size(ctx.db), 0);
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "a");
}

Test(cmd_keys, expire_nx_xx)
{
    add_key(ctx.db, "k", "v");
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "100", "XX");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "100", "NX");
    EXPECT(":100\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "200", "nx");
    EXPECT(":100\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "200", "xx");
    EXPECT(":200\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_pexpire, "pexpire", "k", "-5", "nx"); /* NX refuses before the past check */
    cr_assert_not_null(find_in(ctx.db, "k"));
    EXPECT(":1\r\n", cmd_pexpire, "pexpire", "k", "-5", "xx");
    cr_assert_null(find_in(ctx.db, "k"));
}

Test(cmd_keys, expire_gt_lt)
{
    add_key(ctx.db, "k", "v");
    /* no TTL counts as infinite: GT never wins, LT always does */
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "100", "GT");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "100", "LT");
    EXPECT(":100\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "200", "LT");
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "100", "LT"); /* equal is not less */
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "100", "GT"); /* nor greater */
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "50", "lt");
    EXPECT(":50\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "10", "gt");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "300", "gt");
    EXPECT(":300\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":1\r\n", cmd_pexpireat, "pexpireat", "k", "1700000400000", "XX", "GT");
    EXPECT(":400\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_pexpireat, "pexpireat", "k", "1700000500000", "XX", "LT");
    EXPECT(":1\r\n", cmd_expireat, "expireat", "k", "1700000200", "LT", "XX");
    EXPECT(":200\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "-1", "LT"); /* into the past: deleted */
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "k");
}

Test(cmd_keys, expire_option_errors)
{
    add_key(ctx.db, "k", "v");
    const char *nx_msg = "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n";
    EXPECT(nx_msg, cmd_expire, "expire", "k", "100", "NX", "XX");
    EXPECT(nx_msg, cmd_expire, "expire", "k", "100", "nx", "gt");
    EXPECT(nx_msg, cmd_pexpire, "pexpire", "k", "100", "LT", "NX");
    EXPECT("-ERR GT and LT options at the same time are not compatible\r\n", cmd_expire, "expire", "k", "100", "GT",
           "LT");
    EXPECT("-ERR Unsupported option foo\r\n", cmd_expire, "expire", "k", "100", "foo");
    EXPECT("-ERR Unsupported option Bar\r\n", cmd_expireat, "expireat", "k", "100", "NX", "Bar");
    /* options are checked before the time */
    EXPECT("-ERR Unsupported option foo\r\n", cmd_expire, "expire", "k", "abc", "foo");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_expire, "expire", "k", "abc");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_pexpire, "pexpire", "k", "1.5");
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_expire, "expire", "k", "99999999999999999999");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "k");
    /* XX and GT together are allowed */
    EXPECT(":0\r\n", cmd_expire, "expire", "k", "100", "XX", "GT");
}

Test(cmd_keys, expire_overflow_errors)
{
    add_key(ctx.db, "k", "v");
    EXPECT("-ERR invalid expire time in 'expire' command\r\n", cmd_expire, "expire", "k", "9223372036854775807");
    EXPECT("-ERR invalid expire time in 'expire' command\r\n", cmd_expire, "expire", "k", "-9223372036854775808");
    EXPECT("-ERR invalid expire time in 'expire' command\r\n", cmd_expire, "expire", "k", "9223372036854770");
    EXPECT("-ERR invalid expire time in 'pexpire' command\r\n", cmd_pexpire, "pexpire", "k", "9223372036854775807");
    EXPECT("-ERR invalid expire time in 'expireat' command\r\n", cmd_expireat, "expireat", "k", "9223372036854776");
    /* PEXPIREAT adds nothing: the largest value is accepted */
    EXPECT(":1\r\n", cmd_pexpireat, "pexpireat", "k", "9223372036854775807");
    EXPECT(":9223372036854775807\r\n", cmd_pexpiretime, "pexpiretime", "k");
    cr_assert_not_null(find_in(ctx.db, "k"));
}

Test(cmd_keys, ttl_rounding)
{
    add_key_ttl(ctx.db, "a", "v", NOW + 1499);
    add_key_ttl(ctx.db, "b", "v", NOW + 1500);
    add_key_ttl(ctx.db, "c", "v", NOW + 1);
    add_key_ttl(ctx.db, "d", "v", NOW + 499);
    EXPECT(":1\r\n", cmd_ttl, "ttl", "a");
    EXPECT(":2\r\n", cmd_ttl, "ttl", "b");
    EXPECT(":0\r\n", cmd_ttl, "ttl", "c");
    EXPECT(":1\r\n", cmd_pttl, "pttl", "c");
    EXPECT(":0\r\n", cmd_ttl, "ttl", "d");
    EXPECT(":1499\r\n", cmd_pttl, "pttl", "a");
    EXPECT(":1700000002\r\n", cmd_expiretime, "expiretime", "b"); /* 1700000001.5 rounds up */
    EXPECT(":1700000001\r\n", cmd_expiretime, "expiretime", "a");
    EXPECT(":1700000001499\r\n", cmd_pexpiretime, "pexpiretime", "a");
}

Test(cmd_keys, ttl_missing_and_persistent)
{
    add_key(ctx.db, "p", "v");
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "nosuch");
    EXPECT(":-2\r\n", cmd_pttl, "pttl", "nosuch");
    EXPECT(":-2\r\n", cmd_expiretime, "expiretime", "nosuch");
    EXPECT(":-2\r\n", cmd_pexpiretime, "pexpiretime", "nosuch");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "p");
    EXPECT(":-1\r\n", cmd_pttl, "pttl", "p");
    EXPECT(":-1\r\n", cmd_expiretime, "expiretime", "p");
    EXPECT(":-1\r\n", cmd_pexpiretime, "pexpiretime", "p");
}

Test(cmd_keys, ttl_of_expired_key)
{
    add_key_ttl(ctx.db, "old", "v", NOW);
    EXPECT(":-2\r\n", cmd_pttl, "pttl", "old");
    add_key_ttl(ctx.db, "old", "v", NOW - 10);
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "old");
    add_key_ttl(ctx.db, "old", "v", NOW - 10);
    EXPECT(":-2\r\n", cmd_pexpiretime, "pexpiretime", "old");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, persist)
{
    add_key_ttl(ctx.db, "k", "v", NOW + 1000);
    add_key(ctx.db, "p", "v");
    EXPECT(":1\r\n", cmd_persist, "persist", "k");
    EXPECT(":-1\r\n", cmd_ttl, "ttl", "k");
    cr_assert_eq(db_expires_size(ctx.db), 0);
    EXPECT(":0\r\n", cmd_persist, "persist", "k");
    EXPECT(":0\r\n", cmd_persist, "persist", "p");
    EXPECT(":0\r\n", cmd_persist, "persist", "nosuch");
    add_key_ttl(ctx.db, "old", "v", NOW - 1);
    EXPECT(":0\r\n", cmd_persist, "persist", "old");
    cr_assert_null(find_in(ctx.db, "old"));
}

Test(cmd_keys, expired_keys_are_invisible_everywhere)
{
    add_key_ttl(ctx.db, "ghost", "boo", NOW - 1);
    cr_assert_eq(db_size(ctx.db), 1, "still linked until met");
    EXPECT("*0\r\n", cmd_keys, "keys", "*");
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", cmd_scan, "scan", "0");
    EXPECT(":0\r\n", cmd_exists, "exists", "ghost");
    EXPECT("+none\r\n", cmd_type, "type", "ghost");
    EXPECT(":-2\r\n", cmd_ttl, "ttl", "ghost");
    add_key_ttl(ctx.db, "ghost", "boo", NOW - 1);
    EXPECT("$-1\r\n", cmd_randomkey, "randomkey");
    cr_assert_eq(db_size(ctx.db), 0);
}

Test(cmd_keys, handlers_use_the_selected_db)
{
    ctx.db = dbs[4];
    ctx.dbid = 4;
    add_key(dbs[4], "k", "v");
    add_key(dbs[0], "k", "zero");
    EXPECT(":1\r\n", cmd_expire, "expire", "k", "10");
    EXPECT(":10\r\n", cmd_ttl, "ttl", "k");
    EXPECT(":0\r\n", cmd_move, "move", "k", "0"); /* db 0 has its own k */
    EXPECT(":1\r\n", cmd_move, "move", "k", "1");
    cr_assert_eq(db_size(dbs[4]), 0);
    cr_assert_eq(find_in(dbs[1], "k")->expire_at, NOW + 10000);
    cr_assert_eq(find_in(dbs[0], "k")->expire_at, 0);
    cr_assert_str_eq(value_of(dbs[0], "k"), "zero");
}
