/*
 * test_multi.c - MULTI / EXEC / DISCARD / WATCH / UNWATCH against a live
 * server, with the exact RESP2 replies of Redis 7.0.
 *
 * Why: in a thread-per-core server a transaction is the one place where a
 * connection's commands must run as a unit over keys owned by several shard
 * threads, and WATCH must notice writes made on any shard by any connection.
 * The tests pin down the reply protocol (+QUEUED, EXEC's array, nil for an
 * aborted optimistic transaction, EXECABORT), the error cases (nesting, EXEC or
 * DISCARD without MULTI, WATCH inside MULTI), what Redis does NOT do (runtime
 * errors inside EXEC do not roll back), and which writes break a WATCH (SET,
 * DEL, INCR, EXPIRE, RENAME, FLUSHDB, FLUSHALL, SWAPDB, expiry) and which do
 * not (other databases, already stale keys, untouched keys, keys watched by an
 * earlier transaction).
 *
 * Distinct key names spread over the shards when the server runs 2 or more
 * threads; the {user1} hash-tagged keys always share one. Concurrency
 * (isolation under load) is in test_isolation.c.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(multi, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

#define EXECABORT "EXECABORT Transaction discarded because of previous errors."

/* Runs a command given as one line of space-separated words (no quoting), so
 * that helpers can take a whole command as a parameter. Caller owns the
 * reply. */
static redisReply *cmd_line(redisContext *c, const char *line)
{
    char copy[512];
    const char *argv[32];
    size_t lens[32];
    int argc = 0;
    cr_assert(strlen(line) < sizeof(copy), "command line too long: %s", line);
    strcpy(copy, line);
    for (char *word = strtok(copy, " "); word != NULL; word = strtok(NULL, " ")) {
        cr_assert(argc < 32, "too many words: %s", line);
        argv[argc] = word;
        lens[argc] = strlen(word);
        argc++;
    }
    return cmd_argv(c, argc, argv, lens);
}

/* The element i of an EXEC reply. */
static redisReply *at(redisReply *exec, size_t i)
{
    cr_assert(i < exec->elements, "EXEC reply has %zu elements, wanted element %zu", exec->elements, i);
    return exec->element[i];
}

/* ---- Queueing and EXEC ---- */

/* Single-key commands on keys spread over the shards: with several threads
 * each shard runs its share of the block at once, and the replies must still
 * come back in queue order, errors included, with every command applied. */
Test(multi, single_key_commands_on_many_shards_reply_in_order)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET s:text abc"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    for (int i = 0; i < 12; i++)
        expect_status(cmd(c, "SET s:%d %d", i, i), "QUEUED");
    expect_status(cmd(c, "INCR s:text"), "QUEUED");
    for (int i = 11; i >= 0; i--)
        expect_status(cmd(c, "INCRBY s:%d %d", i, 100), "QUEUED");
    for (int i = 0; i < 12; i++)
        expect_status(cmd(c, "GET s:%d", i), "QUEUED");
    expect_status(cmd(c, "APPEND s:text def"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 38);
    for (int i = 0; i < 12; i++)
        assert_status(at(r, i), "OK");
    assert_err(at(r, 12), "ERR value is not an integer or out of range");
    for (int i = 11, k = 13; i >= 0; i--, k++)
        assert_int(at(r, k), 100 + i);
    for (int i = 0; i < 12; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%d", 100 + i);
        assert_str(at(r, 25 + i), want);
    }
    assert_int(at(r, 37), 6);
    freeReplyObject(r);
    expect_str(cmd(other, "GET s:7"), "107");
    expect_str(cmd(other, "GET s:text"), "abcdef");
    redisFree(other);
    redisFree(c);
}

Test(multi, exec_returns_replies_in_order_across_shards)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET pre existing"), "OK");

    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET a 1"), "QUEUED");
    expect_status(cmd(c, "SET b 2"), "QUEUED");
    expect_status(cmd(c, "INCR a"), "QUEUED");
    expect_status(cmd(c, "GET a"), "QUEUED");
    expect_status(cmd(c, "MSET c 3 d 4 e 5"), "QUEUED");
    expect_status(cmd(c, "MGET a b c d e nope pre"), "QUEUED");
    expect_status(cmd(c, "DEL b c nope pre"), "QUEUED");
    expect_status(cmd(c, "EXISTS a b c d e pre"), "QUEUED");
    expect_status(cmd(c, "INCRBY d 10"), "QUEUED");
    expect_status(cmd(c, "GET nope"), "QUEUED");

    /* Nothing is applied before EXEC. */
    expect_strs(cmd(other, "MGET a b c d e pre"), 6, NULL, NULL, NULL, NULL, NULL, "existing");
    expect_int(cmd(other, "DBSIZE"), 1);

    redisReply *r = expect_array(cmd(c, "EXEC"), 10);
    assert_status(at(r, 0), "OK");
    assert_status(at(r, 1), "OK");
    assert_int(at(r, 2), 2);
    assert_str(at(r, 3), "2");
    assert_status(at(r, 4), "OK");
    assert_strs(at(r, 5), 7, "2", "2", "3", "4", "5", NULL, "existing");
    assert_int(at(r, 6), 3);
    assert_int(at(r, 7), 3);
    assert_int(at(r, 8), 14);
    assert_nil(at(r, 9));
    freeReplyObject(r);

    expect_strs(cmd(other, "MGET a b c d e pre"), 6, "2", NULL, NULL, "14", "5", NULL);
    expect_int(cmd(other, "DBSIZE"), 3);
    /* The connection is back to normal: commands run at once. */
    expect_status(cmd(c, "SET f 6"), "OK");
    expect_str(cmd(c, "GET f"), "6");
    redisFree(other);
    redisFree(c);
}

Test(multi, exec_with_hash_tagged_keys)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET {user1}:a 10"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "INCRBY {user1}:a 5"), "QUEUED");
    expect_status(cmd(c, "SET {user1}:b hello"), "QUEUED");
    expect_status(cmd(c, "APPEND {user1}:b !"), "QUEUED");
    expect_status(cmd(c, "MGET {user1}:a {user1}:b {user1}:c"), "QUEUED");
    expect_status(cmd(c, "RENAME {user1}:a {user1}:c"), "QUEUED");
    expect_status(cmd(c, "MSET {user1}:d x {user1}:e y"), "QUEUED");
    expect_status(cmd(c, "GETSET {user1}:b bye"), "QUEUED");
    expect_status(cmd(c, "EXISTS {user1}:a {user1}:b {user1}:c {user1}:d {user1}:e"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 8);
    assert_int(at(r, 0), 15);
    assert_status(at(r, 1), "OK");
    assert_int(at(r, 2), 6);
    assert_strs(at(r, 3), 3, "15", "hello!", NULL);
    assert_status(at(r, 4), "OK");
    assert_status(at(r, 5), "OK");
    assert_str(at(r, 6), "hello!");
    assert_int(at(r, 7), 4);
    freeReplyObject(r);
    expect_strs(cmd(c, "MGET {user1}:a {user1}:b {user1}:c {user1}:d {user1}:e"), 5, NULL, "bye", "15", "x", "y");
    redisFree(c);
}

Test(multi, empty_transaction)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_array_len(cmd(c, "EXEC"), 0);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "DISCARD"), "OK");
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    redisFree(c);
}

Test(multi, select_inside_multi_applies_to_later_commands)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET k db0"), "QUEUED");
    expect_status(cmd(c, "SELECT 1"), "QUEUED");
    expect_status(cmd(c, "SET k db1"), "QUEUED");
    expect_status(cmd(c, "GET k"), "QUEUED");
    expect_status(cmd(c, "SELECT 0"), "QUEUED");
    expect_status(cmd(c, "GET k"), "QUEUED");
    expect_status(cmd(c, "SELECT 2"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 7);
    assert_status(at(r, 0), "OK");
    assert_status(at(r, 1), "OK");
    assert_status(at(r, 2), "OK");
    assert_str(at(r, 3), "db1");
    assert_status(at(r, 4), "OK");
    assert_str(at(r, 5), "db0");
    assert_status(at(r, 6), "OK");
    freeReplyObject(r);
    /* The last SELECT of the transaction stays in effect. */
    expect_nil(cmd(c, "GET k"));
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_str(cmd(c, "GET k"), "db1");
    expect_status(cmd(c, "SELECT 0"), "OK");
    expect_str(cmd(c, "GET k"), "db0");
    redisFree(c);
}

/* ---- Errors around MULTI ---- */

Test(multi, exec_and_discard_without_multi)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_err(cmd(c, "DISCARD"), "ERR DISCARD without MULTI");
    /* The connection still works. */
    expect_status(cmd(c, "SET a 1"), "OK");
    expect_str(cmd(c, "GET a"), "1");
    redisFree(c);
}

Test(multi, nested_multi_is_an_error_and_the_transaction_survives)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET x 1"), "QUEUED");
    expect_err(cmd(c, "MULTI"), "ERR MULTI calls can not be nested");
    expect_status(cmd(c, "INCR x"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 2);
    assert_status(at(r, 0), "OK");
    assert_int(at(r, 1), 2);
    freeReplyObject(r);
    expect_str(cmd(c, "GET x"), "2");
    redisFree(c);
}

Test(multi, watch_inside_multi_is_an_error_and_the_transaction_survives)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_err(cmd(c, "WATCH x"), "ERR WATCH inside MULTI is not allowed");
    expect_status(cmd(c, "SET y 1"), "QUEUED");
    /* The refused WATCH watches nothing: a write to x does not abort EXEC. */
    expect_status(cmd(other, "SET x changed"), "OK");
    expect_status(cmd(c, "GET x"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 2);
    assert_status(at(r, 0), "OK");
    assert_str(at(r, 1), "changed");
    freeReplyObject(r);
    expect_str(cmd(c, "GET y"), "1");
    redisFree(other);
    redisFree(c);
}

Test(multi, discard_drops_queued_commands)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MSET k original n 5"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET k new"), "QUEUED");
    expect_status(cmd(c, "INCR n"), "QUEUED");
    expect_status(cmd(c, "DEL n"), "QUEUED");
    expect_status(cmd(c, "SET fresh 1"), "QUEUED");
    expect_status(cmd(c, "DISCARD"), "OK");
    expect_strs(cmd(c, "MGET k n fresh"), 3, "original", "5", NULL);
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_err(cmd(c, "DISCARD"), "ERR DISCARD without MULTI");
    /* Commands run at once again. */
    expect_status(cmd(c, "SET k after"), "OK");
    expect_str(cmd(c, "GET k"), "after");
    redisFree(c);
}

Test(multi, unknown_command_while_queueing_aborts_exec)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET keep old"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET a 1"), "QUEUED");
    expect_err_prefix(cmd(c, "NOSUCHCOMMAND a b"), "ERR unknown command");
    /* Later commands are still accepted for queueing. */
    expect_status(cmd(c, "SET keep new"), "QUEUED");
    expect_status(cmd(c, "MSET b 2 c 3"), "QUEUED");
    expect_err(cmd(c, "EXEC"), EXECABORT);
    expect_strs(cmd(other, "MGET a b c keep"), 4, NULL, NULL, NULL, "old");
    expect_int(cmd(other, "DBSIZE"), 1);
    /* The transaction is over. */
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_status(cmd(c, "SET a 1"), "OK");
    redisFree(other);
    redisFree(c);
}

Test(multi, wrong_arity_while_queueing_aborts_exec)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET a 1"), "QUEUED");
    expect_err(cmd(c, "GET"), "ERR wrong number of arguments for 'get' command");
    expect_status(cmd(c, "INCR counter"), "QUEUED");
    expect_err(cmd(c, "SET onlykey"), "ERR wrong number of arguments for 'set' command");
    expect_status(cmd(c, "SET b 2"), "QUEUED");
    expect_err(cmd(c, "EXEC"), EXECABORT);
    expect_strs(cmd(c, "MGET a b counter"), 3, NULL, NULL, NULL);
    expect_int(cmd(c, "DBSIZE"), 0);
    expect_err(cmd(c, "DISCARD"), "ERR DISCARD without MULTI");
    redisFree(c);
}

/* Redis 7.0 checks only the arity when it queues: MSET a 1 b (arity -3
 * passes) is queued, and its odd pair count is its error inside EXEC's
 * array; the other commands run. On one shard (hash tag), on several, and
 * inside an EXEC that runs command by command (a command spans shards). */
Test(multi, mset_with_a_missing_value_fails_at_exec_not_at_queue_time)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "MSET {q}a 1 {q}b"), "QUEUED");
    expect_status(cmd(c, "MSETNX {q}a 1 {q}b"), "QUEUED");
    expect_status(cmd(c, "SET {q}c 1"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 3);
    assert_err(at(r, 0), "ERR wrong number of arguments for 'mset' command");
    assert_err(at(r, 1), "ERR wrong number of arguments for 'msetnx' command");
    assert_status(at(r, 2), "OK");
    freeReplyObject(r);

    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "MSET qa 1 qb 2 qc 3 qd"), "QUEUED");
    expect_status(cmd(c, "MSETNX qa 1 qb 2 qc"), "QUEUED");
    expect_status(cmd(c, "SET qe 1"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 3);
    assert_err(at(r, 0), "ERR wrong number of arguments for 'mset' command");
    assert_err(at(r, 1), "ERR wrong number of arguments for 'msetnx' command");
    assert_status(at(r, 2), "OK");
    freeReplyObject(r);

    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "MSET qa 1 qb 2 qc"), "QUEUED");
    expect_status(cmd(c, "MSET qa 1 qb 2 qc 3"), "QUEUED");
    expect_status(cmd(c, "MGET qa qb qc qd qe"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 3);
    assert_err(at(r, 0), "ERR wrong number of arguments for 'mset' command");
    assert_status(at(r, 1), "OK");
    assert_strs(at(r, 2), 5, "1", "2", "3", NULL, "1");
    freeReplyObject(r);
    expect_int(cmd(c, "DBSIZE"), 5);
    /* outside MULTI it is refused at once */
    expect_err(cmd(c, "MSET x 1 y"), "ERR wrong number of arguments for 'mset' command");
    redisFree(c);
}

Test(multi, runtime_errors_do_not_roll_back)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s abc"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET a 1"), "QUEUED");
    expect_status(cmd(c, "INCR s"), "QUEUED");
    expect_status(cmd(c, "INCR a"), "QUEUED");
    expect_status(cmd(c, "RENAME nope x"), "QUEUED");
    expect_status(cmd(c, "SET b 2"), "QUEUED");
    expect_status(cmd(c, "GET s"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 6);
    assert_status(at(r, 0), "OK");
    assert_err(at(r, 1), "ERR value is not an integer or out of range");
    assert_int(at(r, 2), 2);
    assert_err(at(r, 3), "ERR no such key");
    assert_status(at(r, 4), "OK");
    assert_str(at(r, 5), "abc");
    freeReplyObject(r);
    expect_strs(cmd(c, "MGET a b s x"), 4, "2", "2", "abc", NULL);
    redisFree(c);
}

/* ---- WATCH ---- */

/* c watches `key` (holding whatever the caller set up), `other` runs
 * `modify` (a command line that must not fail), then c runs a transaction that
 * would set `key` and a marker key: EXEC must reply nil and apply nothing. */
static void expect_watch_broken_by(redisContext *c, redisContext *other, const char *key, const char *modify)
{
    expect_int(cmd(c, "DEL txn-marker"), 0);
    expect_status(cmd(c, "WATCH %s", key), "OK");
    redisReply *m = cmd_line(other, modify);
    cr_assert(m->type != REDIS_REPLY_ERROR, "%s: %s", modify, describe_reply(m));
    freeReplyObject(m);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET %s from-txn", key), "QUEUED");
    expect_status(cmd(c, "SET txn-marker 1"), "QUEUED");
    redisReply *r = cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_NIL, "WATCH %s; %s; EXEC: expected (nil), got %s", key, modify, describe_reply(r));
    freeReplyObject(r);
    expect_int(cmd(c, "EXISTS txn-marker"), 0);
    redisReply *v = cmd(c, "GET %s", key);
    cr_assert(!(v->type == REDIS_REPLY_STRING && strcmp(v->str, "from-txn") == 0), "the aborted transaction wrote %s",
              key);
    freeReplyObject(v);
}

/* Same set-up, but EXEC must run the transaction. */
static void expect_watch_intact_after(redisContext *c, redisContext *other, const char *key, const char *modify)
{
    expect_status(cmd(c, "WATCH %s", key), "OK");
    if (modify != NULL) {
        redisReply *m = cmd_line(other, modify);
        cr_assert(m->type != REDIS_REPLY_ERROR, "%s: %s", modify, describe_reply(m));
        freeReplyObject(m);
    }
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET %s from-txn", key), "QUEUED");
    redisReply *r = cmd(c, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_STATUS &&
                  strcmp(r->element[0]->str, "OK") == 0,
              "WATCH %s; %s; EXEC: expected [OK], got %s", key, modify ? modify : "(nothing)", describe_reply(r));
    freeReplyObject(r);
    expect_str(cmd(c, "GET %s", key), "from-txn");
}

Test(multi, watch_untouched_key_executes)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_watch_intact_after(c, other, "w", NULL);
    /* Writes to other keys, reads of the watched one, and a DEL of a missing
     * key do not count as modifications. */
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_watch_intact_after(c, other, "w", "SET unrelated 1");
    expect_watch_intact_after(c, other, "w", "GET w");
    expect_watch_intact_after(c, other, "w", "MGET w unrelated");
    expect_watch_intact_after(c, other, "w", "EXISTS w");
    expect_int(cmd(c, "DEL missing"), 0);
    expect_watch_intact_after(c, other, "missing", "DEL missing");
    redisFree(other);
    redisFree(c);
}

Test(multi, watch_broken_by_writes_of_another_client)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    static const char *const writes[] = {
        "SET w 2",
        "DEL w",
        "INCR w",
        "EXPIRE w 100",
        "PEXPIRE w 100000",
        "APPEND w x",
        "MSET a 1 w 3",
        "GETSET w 4",
        "SET w 1 KEEPTTL",
        "UNLINK w",
        "RENAME src w",
        "RENAME w moved",
        "COPY src w REPLACE",
        "GETDEL w",
        "INCRBYFLOAT w 0.5",
        "SETRANGE w 0 9",
        "PERSIST w",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        expect_status(cmd(c, "FLUSHALL"), "OK");
        expect_status(cmd(c, "SET w 1"), "OK");
        expect_status(cmd(c, "SET src from-src"), "OK");
        if (strcmp(writes[i], "PERSIST w") == 0)
            expect_int(cmd(c, "EXPIRE w 100"), 1);
        expect_watch_broken_by(c, other, "w", writes[i]);
    }
    redisFree(other);
    redisFree(c);
}

Test(multi, watch_broken_by_flushdb_and_flushall)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_watch_broken_by(c, other, "w", "FLUSHDB");
    expect_int(cmd(c, "EXISTS w"), 0);
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_watch_broken_by(c, other, "w", "FLUSHALL");
    expect_int(cmd(c, "EXISTS w"), 0);
    redisFree(other);
    redisFree(c);
}

Test(multi, watch_missing_key_then_created)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    static const char *const creates[] = {"SET w created", "MSET x 1 w 2", "INCR w",    "SETNX w 1",
                                          "RENAME src w",  "APPEND w abc", "COPY src w"};
    for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
        expect_status(cmd(c, "FLUSHALL"), "OK");
        expect_status(cmd(c, "SET src from-src"), "OK");
        expect_watch_broken_by(c, other, "w", creates[i]);
        expect_int(cmd(c, "EXISTS w"), 1);
    }
    redisFree(other);
    redisFree(c);
}

Test(multi, watch_key_modified_by_the_same_client_before_multi)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_status(cmd(c, "SET w 2"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET w 3"), "QUEUED");
    expect_nil(cmd(c, "EXEC"));
    expect_str(cmd(c, "GET w"), "2");
    redisFree(c);
}

Test(multi, watch_several_keys_on_different_shards)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    enum { KEYS = 8 };
    for (int modified = 0; modified < KEYS; modified++) {
        fill_keys(c, "wk:", KEYS);
        redisReply *w = cmd_with_keys(c, "WATCH", "wk:", KEYS);
        expect_status(w, "OK");
        expect_status(cmd(other, "SET wk:%d changed", modified), "OK");
        expect_status(cmd(c, "MULTI"), "OK");
        for (int i = 0; i < KEYS; i++)
            expect_status(cmd(c, "SET wk:%d from-txn", i), "QUEUED");
        expect_nil(cmd(c, "EXEC"));
        for (int i = 0; i < KEYS; i++) {
            char value[16];
            snprintf(value, sizeof(value), "%d", i);
            expect_str(cmd(c, "GET wk:%d", i), i == modified ? "changed" : value);
        }
    }
    /* WATCH calls accumulate. */
    expect_status(cmd(c, "WATCH wk:0"), "OK");
    expect_status(cmd(c, "WATCH wk:1 wk:2"), "OK");
    expect_status(cmd(other, "SET wk:2 again"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET wk:0 from-txn"), "QUEUED");
    expect_nil(cmd(c, "EXEC"));
    expect_str(cmd(c, "GET wk:0"), "0");
    /* All watched, none modified: EXEC runs. */
    redisReply *w = cmd_with_keys(c, "WATCH", "wk:", KEYS);
    expect_status(w, "OK");
    expect_status(cmd(other, "SET unrelated 1"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "MSET wk:0 a wk:7 b"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    assert_status(at(r, 0), "OK");
    freeReplyObject(r);
    expect_strs(cmd(c, "MGET wk:0 wk:7"), 2, "a", "b");
    redisFree(other);
    redisFree(c);
}

Test(multi, unwatch_clears_watched_keys)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "MSET w 1 v 1"), "OK");
    expect_status(cmd(c, "WATCH w v"), "OK");
    expect_status(cmd(c, "UNWATCH"), "OK");
    expect_status(cmd(other, "MSET w 2 v 2"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "2");
    freeReplyObject(r);
    /* UNWATCH without WATCH is fine; inside MULTI it is queued. */
    expect_status(cmd(c, "UNWATCH"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "UNWATCH"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_status(at(r, 0), "OK");
    freeReplyObject(r);
    redisFree(other);
    redisFree(c);
}

Test(multi, exec_discard_and_execabort_end_the_watch)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET w 1"), "OK");

    /* After a successful EXEC. */
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "1");
    freeReplyObject(r);
    expect_status(cmd(other, "SET w 2"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "2");
    freeReplyObject(r);

    /* After an EXEC that failed because of the watch. */
    expect_watch_broken_by(c, other, "w", "SET w 3");
    expect_status(cmd(other, "SET w 4"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "4");
    freeReplyObject(r);

    /* After DISCARD. */
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "DISCARD"), "OK");
    expect_status(cmd(other, "SET w 5"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "5");
    freeReplyObject(r);

    /* After EXECABORT. */
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_err_prefix(cmd(c, "NOSUCHCOMMAND"), "ERR unknown command");
    expect_err(cmd(c, "EXEC"), EXECABORT);
    expect_status(cmd(other, "SET w 6"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_str(at(r, 0), "6");
    freeReplyObject(r);
    redisFree(other);
    redisFree(c);
}

Test(multi, watched_key_expiring_before_exec_aborts)
{
    redisContext *c = client_connect();
    /* The key is alive when watched and expires (nobody touches it) before
     * EXEC: Redis 7 counts the expiry as a modification. */
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_int(cmd(c, "PEXPIRE w 100"), 1);
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_int(cmd(c, "EXISTS w"), 1);
    sleep_ms(250); /* the TTL is wall-clock time, not background work */
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET w from-txn"), "QUEUED");
    expect_nil(cmd(c, "EXEC"));
    expect_int(cmd(c, "EXISTS w"), 0);
    redisFree(c);
}

Test(multi, watching_an_already_expired_key_does_not_abort)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    /* Expired before WATCH (whether or not the server has reclaimed it yet):
     * logically missing then and at EXEC, so no modification. */
    expect_status(cmd(c, "SET w 1 PX 10"), "OK");
    sleep_ms(60);
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET w"), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    assert_nil(at(r, 0));
    freeReplyObject(r);

    /* Same when another client's read reclaims the stale key in between. */
    expect_status(cmd(c, "SET w 1 PX 10"), "OK");
    sleep_ms(60);
    expect_status(cmd(c, "WATCH w"), "OK");
    expect_nil(cmd(other, "GET w"));
    expect_int(cmd(other, "EXISTS w"), 0);
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET w from-txn"), "QUEUED");
    r = expect_array(cmd(c, "EXEC"), 1);
    assert_status(at(r, 0), "OK");
    freeReplyObject(r);
    expect_str(cmd(c, "GET w"), "from-txn");
    redisFree(other);
    redisFree(c);
}

Test(multi, writes_in_another_db_do_not_break_the_watch)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_status(cmd(other, "SELECT 9"), "OK");
    /* Same key name, other database. */
    expect_watch_intact_after(c, other, "w", "SET w in-db9");
    expect_watch_intact_after(c, other, "w", "DEL w");
    /* FLUSHDB of db 9 while w does not exist there... */
    expect_watch_intact_after(c, other, "w", "FLUSHDB");
    /* ...and while it does: only keys watched in db 9 are touched. */
    expect_status(cmd(other, "SET w in-db9"), "OK");
    expect_watch_intact_after(c, other, "w", "FLUSHDB");
    expect_int(cmd(other, "EXISTS w"), 0);
    expect_str(cmd(c, "GET w"), "from-txn");
    redisFree(other);
    redisFree(c);
}

Test(multi, flush_does_not_break_the_watch_of_a_missing_key)
{
    /* Redis 7 touches only watched keys that exist in the flushed db. */
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    expect_status(cmd(c, "SET unrelated 1"), "OK");
    expect_watch_intact_after(c, other, "w", "FLUSHALL");
    expect_int(cmd(c, "DEL w"), 1);
    expect_status(cmd(c, "SET unrelated 1"), "OK");
    expect_watch_intact_after(c, other, "w", "FLUSHDB");
    expect_int(cmd(c, "DBSIZE"), 1);
    redisFree(other);
    redisFree(c);
}

Test(multi, swapdb_touches_watched_keys)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    /* The watched key exists in db 0: swapping it away is a modification. */
    expect_status(cmd(c, "SET w 1"), "OK");
    expect_watch_broken_by(c, other, "w", "SWAPDB 0 1");
    expect_int(cmd(c, "EXISTS w"), 0);
    /* Now w exists only in db 1: swapping it in is a modification too. */
    expect_watch_broken_by(c, other, "w", "SWAPDB 0 1");
    expect_str(cmd(c, "GET w"), "1");
    /* A watched key that exists in neither db is not touched. */
    expect_status(cmd(c, "SET other-key x"), "OK");
    expect_watch_intact_after(c, other, "nowhere", "SWAPDB 0 1");
    expect_str(cmd(c, "GET nowhere"), "from-txn");
    expect_int(cmd(c, "EXISTS w other-key"), 0);
    redisFree(other);
    redisFree(c);
}

Test(multi, arity_errors_of_transaction_commands)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "MULTI extra"), "ERR wrong number of arguments for 'multi' command");
    expect_err(cmd(c, "WATCH"), "ERR wrong number of arguments for 'watch' command");
    /* Neither started anything. */
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_status(cmd(c, "SET a 1"), "OK");
    /* A rejected EXEC discards the transaction, inside MULTI or not. */
    expect_err(cmd(c, "EXEC x"),
               "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "SET a 2"), "QUEUED");
    expect_err(cmd(c, "EXEC x"),
               "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_str(cmd(c, "GET a"), "1");
    redisFree(c);
}

/* RENAME, RENAMENX and COPY onto a watched key break the watch, also when
 * the source lives on another shard (the value then moves between shards):
 * sixteen sources make sure some do, whatever the thread count. */
Test(multi, rename_and_copy_onto_a_watched_key_break_the_watch)
{
    redisContext *c = client_connect();
    redisContext *other = client_connect();
    const char *moves[] = {"RENAME", "RENAMENX", "COPY"};
    for (int m = 0; m < 3; m++) {
        for (int i = 0; i < 16; i++) {
            freeReplyObject(cmd(c, "DEL dst src:%d", i));
            expect_status(cmd(other, "SET src:%d v%d", i, i), "OK");
            expect_status(cmd(c, "WATCH dst"), "OK");
            redisReply *r = cmd(other, "%s src:%d dst", moves[m], i);
            cr_assert(r->type != REDIS_REPLY_ERROR, "%s src:%d dst: %s", moves[m], i, describe_reply(r));
            freeReplyObject(r);
            expect_status(cmd(c, "MULTI"), "OK");
            expect_status(cmd(c, "PING"), "QUEUED");
            redisReply *exec = cmd(c, "EXEC");
            cr_assert(exec->type == REDIS_REPLY_NIL, "%s src:%d dst onto a watched key: EXEC gave %s, wanted nil",
                      moves[m], i, describe_reply(exec));
            freeReplyObject(exec);
            char want[16];
            snprintf(want, sizeof(want), "v%d", i);
            expect_str(cmd(c, "GET dst"), want);
        }
    }
    redisFree(other);
    redisFree(c);
}

/* A pipelined client's later commands see its earlier cross-shard
 * transaction whole: GETs of every key, DBSIZE, and a WATCH sent after the
 * MSET (which must not count the MSET as a change). */
Test(multi, pipelined_commands_see_the_clients_earlier_transaction)
{
    redisContext *c = client_connect();
    for (int round = 1; round <= 50; round++) {
        redisAppendCommand(c, "MSET p:0 %d p:1 %d p:2 %d p:3 %d p:4 %d p:5 %d p:6 %d p:7 %d", round, round, round,
                           round, round, round, round, round);
        for (int k = 0; k < 8; k++)
            redisAppendCommand(c, "GET p:%d", k);
        redisAppendCommand(c, "DBSIZE");
        redisAppendCommand(c, "WATCH p:3 p:6");
        redisAppendCommand(c, "MSET p:0 x%d p:5 x%d", round, round);
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "GET p:6");
        redisAppendCommand(c, "EXEC");
        redisAppendCommand(c, "RENAME p:1 q:1");
        redisAppendCommand(c, "DBSIZE");
        redisAppendCommand(c, "GET q:1");
        redisAppendCommand(c, "EXISTS p:1");
        redisAppendCommand(c, "DEL q:1");
        expect_status(next_reply(c), "OK");
        char want[16];
        snprintf(want, sizeof(want), "%d", round);
        for (int k = 0; k < 8; k++)
            expect_str(next_reply(c), want);
        expect_int(next_reply(c), 8);
        expect_status(next_reply(c), "OK");
        expect_status(next_reply(c), "OK");
        expect_status(next_reply(c), "OK");
        expect_status(next_reply(c), "QUEUED");
        redisReply *r = expect_array(next_reply(c), 1);
        assert_str(at(r, 0), want);
        freeReplyObject(r);
        expect_status(next_reply(c), "OK");
        expect_int(next_reply(c), 8);
        expect_str(next_reply(c), want);
        expect_int(next_reply(c), 0);
        expect_int(next_reply(c), 1);
    }
    redisFree(c);
}

/* min-replicas-to-write (with min-replicas-max-lag, 10 by default): without
 * that many good replicas, and shardis has no replicas yet, every write is
 * refused with NOREPLICAS, queued or not; reads still run. An EXEC that
 * queued a write before the setting changed is refused as a whole and its
 * transaction discarded. Setting it back to 0 lets writes through again. */
Test(multi, min_replicas_to_write_refuses_writes)
{
    redisContext *c = client_connect();
    redisContext *admin = client_connect();
    expect_status(cmd(c, "SET nr:k 1"), "OK");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "INCR nr:k"), "QUEUED");
    expect_status(cmd(c, "GET nr:k"), "QUEUED");
    expect_status(cmd(admin, "CONFIG SET min-replicas-to-write 2"), "OK");
    expect_err(cmd(c, "EXEC"), "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas "
                               "to write.");
    expect_err(cmd(c, "EXEC"), "ERR EXEC without MULTI");
    expect_str(cmd(c, "GET nr:k"), "1");

    expect_err(cmd(c, "SET nr:k 2"), "NOREPLICAS Not enough good replicas to write.");
    expect_err(cmd(c, "DEL nr:k"), "NOREPLICAS Not enough good replicas to write.");
    expect_status(cmd(c, "MULTI"), "OK");
    expect_err(cmd(c, "SET nr:k 3"), "NOREPLICAS Not enough good replicas to write.");
    expect_status(cmd(c, "GET nr:k"), "QUEUED");
    expect_err(cmd(c, "EXEC"), EXECABORT);
    /* A transaction of reads runs. */
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "GET nr:k"), "QUEUED");
    redisReply *r = check_array_len(__FILE__, __LINE__, cmd(c, "EXEC"), 1, false);
    check_bulk(__FILE__, __LINE__, r->element[0], "1", 1, false);
    freeReplyObject(r);

    /* min-replicas-max-lag 0 turns the check off, as in Redis. */
    expect_status(cmd(admin, "CONFIG SET min-replicas-max-lag 0"), "OK");
    expect_status(cmd(c, "SET nr:k 4"), "OK");
    expect_status(cmd(admin, "CONFIG SET min-replicas-max-lag 10"), "OK");
    expect_err(cmd(c, "SET nr:k 5"), "NOREPLICAS Not enough good replicas to write.");
    expect_status(cmd(admin, "CONFIG SET min-replicas-to-write 0"), "OK");
    expect_status(cmd(c, "SET nr:k 6"), "OK");
    expect_str(cmd(c, "GET nr:k"), "6");
    expect_int(cmd(c, "DEL nr:k"), 1);
    redisFree(admin);
    redisFree(c);
}
