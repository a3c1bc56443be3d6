/*
 * test_keys.c - generic keyspace commands against a live server, Redis 7.0
 * replies.
 *
 * Many tests use the 100 keys "k:0" .. "k:99": with 2 or more shard threads
 * they spread over every shard, so multi-key commands (DEL, EXISTS, KEYS,
 * SCAN, DBSIZE, FLUSHALL) must fan out and merge. Pairs of unrelated names
 * (src:N / dst:N, ten of them) exercise RENAME/COPY between shards; the
 * hash-tagged pair {u1}a / {u1}b always shares one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "model.h"
#include "server.h"

TestSuite(keys, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

Test(keys, del_exists_touch_unlink_many)
{
    redisContext *c = client_connect();
    fill_keys(c, "k:", 100);
    expect_int(cmd(c, "DBSIZE"), 100);
    expect_int(cmd_with_keys(c, "EXISTS", "k:", 100), 100);
    expect_int(cmd_with_keys(c, "TOUCH", "k:", 100), 100);
    /* 150 names, 100 of them exist. */
    expect_int(cmd_with_keys(c, "EXISTS", "k:", 150), 100);
    /* EXISTS counts a repeated key each time; DEL deletes it once. */
    expect_int(cmd(c, "EXISTS k:1 k:1 k:1 nope"), 3);
    expect_int(cmd(c, "DEL k:1 k:1 nope"), 1);
    expect_int(cmd(c, "EXISTS k:1"), 0);
    expect_int(cmd_with_keys(c, "DEL", "k:", 50), 49);
    expect_int(cmd(c, "DBSIZE"), 50);
    expect_int(cmd_with_keys(c, "UNLINK", "k:", 100), 50);
    expect_int(cmd(c, "DBSIZE"), 0);
    expect_int(cmd_with_keys(c, "EXISTS", "k:", 100), 0);
    expect_int(cmd_with_keys(c, "TOUCH", "k:", 100), 0);
    expect_int(cmd(c, "DEL nope"), 0);
    expect_int(cmd(c, "UNLINK nope1 nope2"), 0);
    expect_err(cmd(c, "DEL"), "ERR wrong number of arguments for 'del' command");
    expect_err(cmd(c, "UNLINK"), "ERR wrong number of arguments for 'unlink' command");
    expect_err(cmd(c, "EXISTS"), "ERR wrong number of arguments for 'exists' command");
    expect_err(cmd(c, "TOUCH"), "ERR wrong number of arguments for 'touch' command");
    redisFree(c);
}

Test(keys, type)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "TYPE nope"), "none");
    expect_status(cmd(c, "SET s v"), "OK");
    expect_status(cmd(c, "TYPE s"), "string");
    expect_status(cmd(c, "SET n 42"), "OK");
    expect_status(cmd(c, "TYPE n"), "string");
    if (make_list(c, "l"))
        expect_status(cmd(c, "TYPE l"), "list");
    expect_err(cmd(c, "TYPE"), "ERR wrong number of arguments for 'type' command");
    redisFree(c);
}

Test(keys, rename_basic)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "RENAME nope x"), "ERR no such key");
    expect_status(cmd(c, "SET a 1"), "OK");
    expect_status(cmd(c, "RENAME a b"), "OK");
    expect_int(cmd(c, "EXISTS a"), 0);
    expect_str(cmd(c, "GET b"), "1");
    /* Overwrites the destination. */
    expect_status(cmd(c, "SET c 3"), "OK");
    expect_status(cmd(c, "RENAME b c"), "OK");
    expect_str(cmd(c, "GET c"), "1");
    expect_int(cmd(c, "DBSIZE"), 1);
    /* Renaming a key to itself is fine. */
    expect_status(cmd(c, "RENAME c c"), "OK");
    expect_str(cmd(c, "GET c"), "1");
    /* The TTL travels with the value; a TTL on the old destination does not stay. */
    expect_status(cmd(c, "SET t v EX 100"), "OK");
    expect_status(cmd(c, "RENAME t t2"), "OK");
    long long ttl = int_reply(c, "TTL %s", "t2");
    cr_assert(ttl >= 95 && ttl <= 100, "TTL after RENAME: %lld", ttl);
    expect_status(cmd(c, "SET d v EX 100"), "OK");
    expect_status(cmd(c, "RENAME c d"), "OK");
    expect_int(cmd(c, "TTL d"), -1);
    expect_err(cmd(c, "RENAME a"), "ERR wrong number of arguments for 'rename' command");
    redisFree(c);
}

Test(keys, rename_across_shards_and_hash_tags)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 10; i++) {
        expect_status(cmd(c, "SET src:%d value-%d", i, i), "OK");
        expect_status(cmd(c, "RENAME src:%d dst:%d", i, i), "OK");
        expect_int(cmd(c, "EXISTS src:%d", i), 0);
        char value[32];
        snprintf(value, sizeof(value), "value-%d", i);
        expect_str(cmd(c, "GET dst:%d", i), value);
    }
    expect_int(cmd(c, "DBSIZE"), 10);
    expect_status(cmd(c, "SET {u1}a x"), "OK");
    expect_status(cmd(c, "RENAME {u1}a {u1}b"), "OK");
    expect_nil(cmd(c, "GET {u1}a"));
    expect_str(cmd(c, "GET {u1}b"), "x");
    redisFree(c);
}

Test(keys, renamenx)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "RENAMENX nope x"), "ERR no such key");
    expect_status(cmd(c, "MSET a 1 b 2"), "OK");
    expect_int(cmd(c, "RENAMENX a b"), 0);
    expect_strs(cmd(c, "MGET a b"), 2, "1", "2");
    expect_int(cmd(c, "RENAMENX a c"), 1);
    expect_strs(cmd(c, "MGET a c"), 2, NULL, "1");
    expect_int(cmd(c, "RENAMENX c c"), 0);
    for (int i = 0; i < 10; i++) {
        expect_status(cmd(c, "SET src:%d %d", i, i), "OK");
        expect_int(cmd(c, "RENAMENX src:%d dst:%d", i, i), 1);
        expect_status(cmd(c, "SET src:%d again", i), "OK");
        expect_int(cmd(c, "RENAMENX src:%d dst:%d", i, i), 0);
        char value[16];
        snprintf(value, sizeof(value), "%d", i);
        expect_strs(cmd(c, "MGET src:%d dst:%d", i, i), 2, "again", value);
    }
    expect_status(cmd(c, "SET {u1}a x"), "OK");
    expect_int(cmd(c, "RENAMENX {u1}a {u1}b"), 1);
    expect_str(cmd(c, "GET {u1}b"), "x");
    redisFree(c);
}

Test(keys, copy)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "COPY nope x"), 0);
    expect_int(cmd(c, "EXISTS x"), 0);
    expect_status(cmd(c, "SET a hello EX 100"), "OK");
    expect_int(cmd(c, "COPY a b"), 1);
    expect_strs(cmd(c, "MGET a b"), 2, "hello", "hello");
    long long ttl = int_reply(c, "TTL %s", "b");
    cr_assert(ttl >= 95 && ttl <= 100, "TTL of a copy: %lld", ttl);
    /* The copy is independent. */
    expect_int(cmd(c, "APPEND b !"), 6);
    expect_str(cmd(c, "GET a"), "hello");
    /* Existing destination: 0 unless REPLACE. */
    expect_status(cmd(c, "SET c other"), "OK");
    expect_int(cmd(c, "COPY a c"), 0);
    expect_str(cmd(c, "GET c"), "other");
    expect_int(cmd(c, "COPY a c REPLACE"), 1);
    expect_str(cmd(c, "GET c"), "hello");
    expect_err(cmd(c, "COPY a a"), "ERR source and destination objects are the same");
    expect_err(cmd(c, "COPY a x FOO"), "ERR syntax error");
    expect_err(cmd(c, "COPY a"), "ERR wrong number of arguments for 'copy' command");

    for (int i = 0; i < 10; i++) {
        expect_status(cmd(c, "SET src:%d %d", i, i), "OK");
        expect_int(cmd(c, "COPY src:%d dst:%d", i, i), 1);
        char value[16];
        snprintf(value, sizeof(value), "%d", i);
        expect_strs(cmd(c, "MGET src:%d dst:%d", i, i), 2, value, value);
    }
    expect_status(cmd(c, "SET {u1}a x"), "OK");
    expect_int(cmd(c, "COPY {u1}a {u1}b"), 1);
    expect_strs(cmd(c, "MGET {u1}a {u1}b"), 2, "x", "x");
    redisFree(c);
}

Test(keys, copy_to_other_db)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET a v"), "OK");
    expect_int(cmd(c, "COPY a a DB 1"), 1);
    expect_int(cmd(c, "COPY a b DB 1"), 1);
    expect_int(cmd(c, "EXISTS b"), 0);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_strs(cmd(c, "MGET a b"), 2, "v", "v");
    expect_status(cmd(c, "SET a changed"), "OK");
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_int(cmd(c, "COPY a a DB 1"), 0);
    expect_int(cmd(c, "COPY a a DB 1 REPLACE"), 1);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_str(cmd(c, "GET a"), "v");
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_err(cmd(c, "COPY a b DB 16"), "ERR DB index is out of range");
    expect_err(cmd(c, "COPY a b DB -1"), "ERR DB index is out of range");
    expect_err(cmd(c, "COPY a b DB x"), "ERR value is not an integer or out of range");
    redisFree(c);
}

Test(keys, move)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "MOVE nope 1"), 0);
    expect_status(cmd(c, "SET a v EX 100"), "OK");
    expect_int(cmd(c, "MOVE a 1"), 1);
    expect_int(cmd(c, "EXISTS a"), 0);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_str(cmd(c, "GET a"), "v");
    long long ttl = int_reply(c, "TTL %s", "a");
    cr_assert(ttl >= 95 && ttl <= 100, "TTL after MOVE: %lld", ttl);
    /* The destination exists: nothing moves. */
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_status(cmd(c, "SET a other"), "OK");
    expect_int(cmd(c, "MOVE a 1"), 0);
    expect_str(cmd(c, "GET a"), "other");
    expect_err(cmd(c, "MOVE a 0"), "ERR source and destination objects are the same");
    expect_err(cmd(c, "MOVE a 16"), "ERR DB index is out of range");
    expect_err(cmd(c, "MOVE a x"), "ERR value is not an integer or out of range");
    redisFree(c);
}

Test(keys, keys_patterns)
{
    redisContext *c = client_connect();
    expect_array_len(cmd(c, "KEYS *"), 0);
    expect_status(cmd(c, "MSET hello 1 hallo 2 hxllo 3 hllo 4 heeeello 5 k*x 6 a[b 7"), "OK");
    expect_str_set(cmd(c, "KEYS *"), 7, "hello", "hallo", "hxllo", "hllo", "heeeello", "k*x", "a[b");
    expect_str_set(cmd(c, "KEYS h?llo"), 3, "hello", "hallo", "hxllo");
    expect_str_set(cmd(c, "KEYS h*llo"), 5, "hello", "hallo", "hxllo", "hllo", "heeeello");
    expect_str_set(cmd(c, "KEYS h[ae]llo"), 2, "hello", "hallo");
    expect_str_set(cmd(c, "KEYS h[^e]llo"), 2, "hallo", "hxllo");
    expect_str_set(cmd(c, "KEYS h[a-b]llo"), 1, "hallo");
    expect_str_set(cmd(c, "KEYS k\\*x"), 1, "k*x");
    expect_str_set(cmd(c, "KEYS a\\[b"), 1, "a[b");
    expect_str_set(cmd(c, "KEYS hello"), 1, "hello");
    expect_array_len(cmd(c, "KEYS nomatch*"), 0);

    fill_keys(c, "k:", 100);
    redisReply *r = expect_array(cmd(c, "KEYS k:*"), 100);
    bool seen[100] = {false};
    for (size_t i = 0; i < r->elements; i++) {
        cr_assert_eq(r->element[i]->type, REDIS_REPLY_STRING);
        int n = atoi(r->element[i]->str + 2);
        cr_assert(strncmp(r->element[i]->str, "k:", 2) == 0 && n >= 0 && n < 100 && !seen[n],
                  "unexpected or repeated key %s", r->element[i]->str);
        seen[n] = true;
    }
    freeReplyObject(r);
    expect_str_set(cmd(c, "KEYS k:1?"), 10, "k:10", "k:11", "k:12", "k:13", "k:14", "k:15", "k:16", "k:17", "k:18",
                   "k:19");
    redisFree(c);
}

struct scan_seen {
    bool *seen;
    int n;
    char *other_seen;
    size_t returned;
};

static void scan_visit(const redisReply *keys, void *arg)
{
    struct scan_seen *s = arg;
    for (size_t i = 0; i < keys->elements; i++) {
        redisReply *key = keys->element[i];
        cr_assert_eq(key->type, REDIS_REPLY_STRING, "SCAN key is %s", describe_reply(key));
        if (strncmp(key->str, "k:", 2) == 0) {
            int index = atoi(key->str + 2);
            cr_assert(index >= 0 && index < s->n, "SCAN returned %s", key->str);
            s->seen[index] = true;
        } else if (s->other_seen != NULL) {
            *s->other_seen = 1;
        }
        s->returned++;
    }
}

/* Counts the keys of one SCAN TYPE list call: only k:list may come back. */
static void count_lists(const redisReply *keys, void *arg)
{
    for (size_t i = 0; i < keys->elements; i++) {
        assert_str(keys->element[i], "k:list");
        ++*(size_t *)arg;
    }
}

/* Runs a full SCAN with an optional "option value" pair (MATCH, TYPE); marks seen[i] for every
 * returned "k:i" and returns the number of keys returned in total (with
 * repeats). Fails on anything that is not a well-formed SCAN reply. */
static size_t scan_keys(redisContext *c, const char *option, const char *value, bool *seen, int n, char *other_seen)
{
    struct scan_seen s = {.seen = seen, .n = n, .other_seen = other_seen};
    char options[128];
    if (option != NULL)
        snprintf(options, sizeof(options), "COUNT 10 %s %s", option, value);
    else
        snprintf(options, sizeof(options), "COUNT 10");
    scan_all(c, "SCAN", options, scan_visit, &s);
    return s.returned;
}

Test(keys, scan_full_iteration)
{
    redisContext *c = client_connect();
    /* Empty keyspace: one call, cursor 0. */
    redisReply *r = expect_array(cmd(c, "SCAN 0"), 2);
    assert_str(r->element[0], "0");
    assert_array_len(r->element[1], 0);
    freeReplyObject(r);

    fill_keys(c, "k:", 1000);
    bool seen[1000] = {false};
    size_t returned = scan_keys(c, NULL, NULL, seen, 1000, NULL);
    for (int i = 0; i < 1000; i++)
        cr_assert(seen[i], "SCAN never returned k:%d", i);
    cr_assert(returned >= 1000, "SCAN returned %zu keys for 1000", returned);
    redisFree(c);
}

Test(keys, scan_match_and_type)
{
    redisContext *c = client_connect();
    fill_keys(c, "k:", 1000);
    expect_status(cmd(c, "MSET other:1 x other:2 y"), "OK");
    bool have_list = make_list(c, "k:list");

    /* MATCH k:1* : k:1, k:10-19, k:100-199 = 111 keys. */
    bool seen[1000] = {false};
    char other = 0;
    scan_keys(c, "MATCH", "k:1*", seen, 1000, &other);
    cr_assert(!other, "SCAN MATCH k:1* returned a key that does not match");
    for (int i = 0; i < 1000; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%d", i);
        cr_assert_eq(seen[i], name[0] == '1', "SCAN MATCH k:1* and k:%d: seen=%d", i, seen[i]);
    }

    /* TYPE string: every string key, never the list. */
    memset(seen, 0, sizeof(seen));
    other = 0;
    size_t returned = scan_keys(c, "TYPE", "string", seen, 1000, &other);
    for (int i = 0; i < 1000; i++)
        cr_assert(seen[i], "SCAN TYPE string never returned k:%d", i);
    cr_assert(other, "SCAN TYPE string did not return other:1/other:2");
    cr_assert(returned >= 1002, "SCAN TYPE string returned %zu", returned);

    if (have_list) {
        size_t lists = 0;
        scan_all(c, "SCAN", "TYPE list COUNT 100", count_lists, &lists);
        cr_assert(lists >= 1, "SCAN TYPE list missed k:list");
    }

    expect_err(cmd(c, "SCAN x"), "ERR invalid cursor");
    expect_err(cmd(c, "SCAN 0 COUNT 0"), "ERR syntax error");
    expect_err(cmd(c, "SCAN 0 COUNT x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SCAN 0 TYPE"), "ERR syntax error");
    expect_err(cmd(c, "SCAN 0 FOO bar"), "ERR syntax error");
    redisFree(c);
}

/* The cursor and the key names of one SCAN reply (the caller frees r). */
static redisReply *scan_once(redisContext *c, const char *args, const char **cursor)
{
    char line[128]; /* hiredis splits a format string at spaces: the words become arguments */
    snprintf(line, sizeof(line), "SCAN %s", args);
    cr_assert(!strchr(line, '%'));
    redisReply *r = cmd(c, line);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING &&
                  r->element[1]->type == REDIS_REPLY_ARRAY,
              "malformed SCAN reply %s", describe_reply(r));
    *cursor = r->element[0]->str;
    return r;
}

static bool reply_has(const redisReply *keys, const char *name)
{
    for (size_t i = 0; i < keys->elements; i++)
        if (!strcmp(keys->element[i]->str, name))
            return true;
    return false;
}

/* A keyspace smaller than COUNT comes back in one SCAN with cursor 0, as
 * in Redis: one call goes on to the next shards until COUNT is reached
 * (with MATCH and TYPE too). */
Test(keys, scan_small_keyspace_in_one_call)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SELECT 9"), "OK");
    expect_status(cmd(c, "MSET a 1 b 2 c 3"), "OK");
    const char *cursor;
    const char *forms[] = {"0", "0 COUNT 1000", "0 COUNT 3", "0 TYPE string", "0 MATCH *"};
    for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
        redisReply *r = scan_once(c, forms[f], &cursor);
        cr_assert_str_eq(cursor, "0", "SCAN %s: cursor %s", forms[f], cursor);
        cr_assert_eq(r->element[1]->elements, 3, "SCAN %s: %s", forms[f], describe_reply(r));
        cr_assert(reply_has(r->element[1], "a") && reply_has(r->element[1], "b") && reply_has(r->element[1], "c"));
        freeReplyObject(r);
    }
    redisReply *r = scan_once(c, "0 MATCH b", &cursor);
    cr_assert_str_eq(cursor, "0");
    cr_assert_eq(r->element[1]->elements, 1);
    assert_str(r->element[1]->element[0], "b");
    freeReplyObject(r);
    r = scan_once(c, "0 TYPE list COUNT 100", &cursor);
    cr_assert_str_eq(cursor, "0");
    cr_assert_eq(r->element[1]->elements, 0);
    freeReplyObject(r);
    expect_status(cmd(c, "SELECT 8"), "OK");
    r = scan_once(c, "0", &cursor);
    cr_assert_str_eq(cursor, "0");
    cr_assert_eq(r->element[1]->elements, 0);
    freeReplyObject(r);

    /* 300 keys, COUNT 1000: all in one call, cursor 0; with MATCH too. */
    expect_status(cmd(c, "SELECT 10"), "OK");
    fill_keys(c, "k:", 300);
    r = scan_once(c, "0 COUNT 1000", &cursor);
    cr_assert_str_eq(cursor, "0");
    cr_assert_eq(r->element[1]->elements, 300, "%zu keys", r->element[1]->elements);
    freeReplyObject(r);
    r = scan_once(c, "0 COUNT 1000 MATCH k:1*", &cursor);
    cr_assert_str_eq(cursor, "0");
    cr_assert_eq(r->element[1]->elements, 111, "%zu keys", r->element[1]->elements); /* 1, 10-19, 100-199 */
    freeReplyObject(r);

    /* COUNT 1: the iteration still returns every key and ends. */
    bool seen[300] = {false};
    char cur[32] = "0";
    int rounds = 0;
    do {
        char args[64];
        snprintf(args, sizeof(args), "%s COUNT 1", cur);
        r = scan_once(c, args, &cursor);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            int idx = atoi(r->element[1]->element[i]->str + 2);
            cr_assert(idx >= 0 && idx < 300);
            seen[idx] = true;
        }
        snprintf(cur, sizeof(cur), "%s", cursor);
        freeReplyObject(r);
        cr_assert(++rounds < 100000, "SCAN does not terminate");
    } while (strcmp(cur, "0") != 0);
    for (int i = 0; i < 300; i++)
        cr_assert(seen[i], "SCAN COUNT 1 never returned k:%d", i);
    redisFree(c);
}

Test(keys, randomkey)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "RANDOMKEY"));
    expect_status(cmd(c, "SET only v"), "OK");
    expect_str(cmd(c, "RANDOMKEY"), "only");
    fill_keys(c, "k:", 100);
    for (int round = 0; round < 20; round++) {
        redisReply *r = cmd(c, "RANDOMKEY");
        cr_assert(r->type == REDIS_REPLY_STRING, "RANDOMKEY: %s", describe_reply(r));
        bool known = strcmp(r->str, "only") == 0;
        if (!known && strncmp(r->str, "k:", 2) == 0) {
            int n = atoi(r->str + 2);
            char expected[16];
            snprintf(expected, sizeof(expected), "k:%d", n);
            known = n >= 0 && n < 100 && strcmp(expected, r->str) == 0;
        }
        cr_assert(known, "RANDOMKEY returned an unknown key %s", r->str);
        freeReplyObject(r);
    }
    expect_err(cmd(c, "RANDOMKEY x"), "ERR wrong number of arguments for 'randomkey' command");
    redisFree(c);
}

Test(keys, dbsize_flushdb_flushall)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "DBSIZE"), 0);
    fill_keys(c, "k:", 100);
    expect_int(cmd(c, "DBSIZE"), 100);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_int(cmd(c, "DBSIZE"), 0);
    fill_keys(c, "k:", 10);
    expect_int(cmd(c, "DBSIZE"), 10);
    expect_status(cmd(c, "FLUSHDB"), "OK");
    expect_int(cmd(c, "DBSIZE"), 0);
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_int(cmd(c, "DBSIZE"), 100);
    expect_status(cmd(c, "FLUSHDB SYNC"), "OK");
    expect_int(cmd(c, "DBSIZE"), 0);
    expect_nil(cmd(c, "GET k:5"));
    fill_keys(c, "k:", 100);
    expect_status(cmd(c, "FLUSHDB ASYNC"), "OK");
    expect_int(cmd(c, "DBSIZE"), 0);
    expect_err(cmd(c, "FLUSHDB FOO"), "ERR syntax error");
    expect_err(cmd(c, "DBSIZE x"), "ERR wrong number of arguments for 'dbsize' command");
    redisFree(c);
}

Test(keys, flushall_sync_async)
{
    redisContext *c = client_connect();
    const char *variants[] = {"FLUSHALL", "FLUSHALL SYNC", "FLUSHALL ASYNC"};
    for (int v = 0; v < 3; v++) {
        fill_keys(c, "k:", 100);
        expect_status(cmd(c, "SELECT 3"), "OK");
        fill_keys(c, "k:", 20);
        expect_status(cmd(c, "SELECT 0"), "OK");
        expect_status(cmd(c, variants[v]), "OK");
        expect_int(cmd(c, "DBSIZE"), 0);
        expect_int(cmd_with_keys(c, "EXISTS", "k:", 100), 0);
        expect_status(cmd(c, "SELECT 3"), "OK");
        expect_int(cmd(c, "DBSIZE"), 0);
        expect_status(cmd(c, "SELECT 0"), "OK");
    }
    expect_err(cmd(c, "FLUSHALL FOO"), "ERR syntax error");
    redisFree(c);
}

Test(keys, swapdb)
{
    redisContext *c = client_connect();
    fill_keys(c, "k:", 100);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_status(cmd(c, "SET only1 x"), "OK");
    expect_status(cmd(c, "SWAPDB 0 1"), "OK");
    /* This connection is still on db 1, which now holds the old db 0. */
    expect_int(cmd(c, "DBSIZE"), 100);
    expect_str(cmd(c, "GET k:42"), "42");
    expect_nil(cmd(c, "GET only1"));
    redisContext *other = client_connect();
    expect_int(cmd(other, "DBSIZE"), 1);
    expect_str(cmd(other, "GET only1"), "x");
    redisFree(other);
    expect_status(cmd(c, "SWAPDB 1 1"), "OK");
    expect_int(cmd(c, "DBSIZE"), 100);
    expect_err(cmd(c, "SWAPDB 0 16"), "ERR DB index is out of range");
    expect_err(cmd(c, "SWAPDB x 1"), "ERR invalid first DB index");
    expect_err(cmd(c, "SWAPDB 0 x"), "ERR invalid second DB index");
    expect_err(cmd(c, "SWAPDB 0"), "ERR wrong number of arguments for 'swapdb' command");
    redisFree(c);
}

Test(keys, select)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k db0"), "OK");
    for (int db = 1; db < 16; db++) {
        expect_status(cmd(c, "SELECT %d", db), "OK");
        expect_nil(cmd(c, "GET k"));
        expect_status(cmd(c, "SET k db%d", db), "OK");
    }
    for (int db = 0; db < 16; db++) {
        char value[16];
        snprintf(value, sizeof(value), "db%d", db);
        expect_status(cmd(c, "SELECT %d", db), "OK");
        expect_str(cmd(c, "GET k"), value);
        expect_int(cmd(c, "DBSIZE"), 1);
    }
    /* The database is per connection. */
    redisContext *other = client_connect();
    expect_str(cmd(other, "GET k"), "db0");
    redisFree(other);
    expect_err(cmd(c, "SELECT 16"), "ERR DB index is out of range");
    expect_err(cmd(c, "SELECT -1"), "ERR DB index is out of range");
    expect_err(cmd(c, "SELECT x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SELECT"), "ERR wrong number of arguments for 'select' command");
    /* A failed SELECT leaves the current database alone. */
    expect_str(cmd(c, "GET k"), "db15");
    redisFree(c);
}

Test(keys, object_encoding)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET i 12345"), "OK");
    expect_str(cmd(c, "OBJECT ENCODING i"), "int");
    expect_status(cmd(c, "SET neg -42"), "OK");
    expect_str(cmd(c, "OBJECT ENCODING neg"), "int");
    expect_status(cmd(c, "SET e abc"), "OK");
    expect_str(cmd(c, "OBJECT ENCODING e"), "embstr");
    /* Redis embeds strings of up to 44 bytes; shardis embeds up to 128 bytes
     * (OBJ_EMBSTR_MAX) in the key's own allocation. */
    int embstr_max = server_is_redis() ? 44 : 128;
    char value[256];
    memset(value, 'a', sizeof(value));
    expect_status(cmd(c, "SET emax %b", value, (size_t)embstr_max), "OK");
    expect_str(cmd(c, "OBJECT ENCODING emax"), "embstr");
    expect_status(cmd(c, "SET r %b", value, (size_t)embstr_max + 1), "OK");
    expect_str(cmd(c, "OBJECT ENCODING r"), "raw");
    /* Modified strings become raw. */
    expect_int(cmd(c, "APPEND e x"), 4);
    expect_str(cmd(c, "OBJECT ENCODING e"), "raw");
    /* INCR results are integers again. */
    expect_int(cmd(c, "INCR i"), 12346);
    expect_str(cmd(c, "OBJECT ENCODING i"), "int");
    /* A leading zero or space keeps a number a string. */
    expect_status(cmd(c, "SET z 0123"), "OK");
    expect_str(cmd(c, "OBJECT ENCODING z"), "embstr");
    expect_nil(cmd(c, "OBJECT ENCODING nope"));
    redisFree(c);
}

Test(keys, object_idletime_refcount_help)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s abc"), "OK");
    redisReply *r = cmd(c, "OBJECT IDLETIME s");
    cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= 2, "OBJECT IDLETIME: %s",
              describe_reply(r));
    freeReplyObject(r);
    expect_int(cmd(c, "OBJECT REFCOUNT s"), 1);
    expect_nil(cmd(c, "OBJECT IDLETIME nope"));
    expect_nil(cmd(c, "OBJECT REFCOUNT nope"));

    r = expect_array(cmd(c, "OBJECT HELP"), 15);
    assert_status(r->element[0], "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    assert_status(r->element[1], "ENCODING <key>");
    assert_status(r->element[13], "HELP");
    assert_status(r->element[14], "    Prints this help.");
    freeReplyObject(r);
    expect_err(cmd(c, "OBJECT FOO s"), "ERR unknown subcommand 'FOO'. Try OBJECT HELP.");
    expect_err(cmd(c, "OBJECT"), "ERR wrong number of arguments for 'object' command");
    redisFree(c);
}
