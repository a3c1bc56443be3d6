/*
 * test_strings.c - string commands against a live server, Redis 7.0 replies.
 *
 * Each test gets a fresh server (Criterion runs every test in its own worker
 * and the suite's init/fini start and stop the server there). Tests that need
 * a key of another type create a list and skip when the server has no list
 * commands yet.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(strings, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

static void require_list(redisContext *c, const char *key)
{
    if (!make_list(c, key))
        cr_skip_test("server has no list commands yet; WRONGTYPE needs a non-string key");
}

/* TTL of key in seconds (-2 missing, -1 no expiry). */
static long long ttl(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "TTL %s", key);
    assert_int(r, r->integer); /* type check */
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

static long long pttl(redisContext *c, const char *key)
{
    redisReply *r = cmd(c, "PTTL %s", key);
    assert_int(r, r->integer);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

Test(strings, set_and_get)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "GET missing"));
    expect_status(cmd(c, "SET k v"), "OK");
    expect_str(cmd(c, "GET k"), "v");
    expect_status(cmd(c, "SET k other"), "OK");
    expect_str(cmd(c, "GET k"), "other");
    expect_status(cmd(c, "SET empty %s", ""), "OK");
    expect_str(cmd(c, "GET empty"), "");
    expect_int(cmd(c, "EXISTS empty"), 1);
    redisFree(c);
}

Test(strings, set_binary_and_large_values)
{
    redisContext *c = client_connect();
    const char binary[] = "a\0b\r\nc\xff";
    expect_status(cmd(c, "SET bin %b", binary, sizeof(binary) - 1), "OK");
    expect_bulk(cmd(c, "GET bin"), binary, sizeof(binary) - 1);
    expect_int(cmd(c, "STRLEN bin"), (long long)sizeof(binary) - 1);

    size_t big_len = 1 << 20;
    char *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + i % 26);
    expect_status(cmd(c, "SET big %b", big, big_len), "OK");
    expect_bulk(cmd(c, "GET big"), big, big_len);
    expect_int(cmd(c, "STRLEN big"), (long long)big_len);
    free(big);
    redisFree(c);
}

Test(strings, set_ex_px_exat_pxat)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v EX 100"), "OK");
    long long t = ttl(c, "k");
    cr_assert(t >= 95 && t <= 100, "TTL after EX 100: %lld", t);

    expect_status(cmd(c, "SET k v PX 100000"), "OK");
    long long p = pttl(c, "k");
    cr_assert(p > 95000 && p <= 100000, "PTTL after PX 100000: %lld", p);

    long long at = unix_time_ms() / 1000 + 200;
    expect_status(cmd(c, "SET k v EXAT %lld", at), "OK");
    t = ttl(c, "k");
    cr_assert(t >= 195 && t <= 200, "TTL after EXAT now+200: %lld", t);
    expect_int(cmd(c, "EXPIRETIME k"), at);

    long long pat = unix_time_ms() + 300000;
    expect_status(cmd(c, "SET k v PXAT %lld", pat), "OK");
    expect_int(cmd(c, "PEXPIRETIME k"), pat);

    /* A plain SET clears the TTL. */
    expect_status(cmd(c, "SET k v"), "OK");
    expect_int(cmd(c, "TTL k"), -1);

    /* An absolute time in the past deletes the key right away. */
    expect_status(cmd(c, "SET past v PXAT 1000"), "OK");
    expect_nil(cmd(c, "GET past"));
    expect_int(cmd(c, "EXISTS past"), 0);
    redisFree(c);
}

Test(strings, set_short_px_expires)
{
    redisContext *c = client_connect();
    cr_assert(redisAppendCommand(c, "SET k v PX 200") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "GET k") == REDIS_OK);
    expect_status(next_reply(c), "OK");
    expect_str(next_reply(c), "v");
    long long deadline = now_ms() + 5000;
    redisReply *r;
    while ((r = cmd(c, "GET k"))->type != REDIS_REPLY_NIL && now_ms() < deadline) {
        freeReplyObject(r);
        sleep_ms(20);
    }
    expect_nil(r);
    redisFree(c);
}

Test(strings, set_nx_xx)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "SET k v XX"));
    expect_int(cmd(c, "EXISTS k"), 0);
    expect_status(cmd(c, "SET k v NX"), "OK");
    expect_nil(cmd(c, "SET k v2 NX"));
    expect_str(cmd(c, "GET k"), "v");
    expect_status(cmd(c, "SET k v3 XX"), "OK");
    expect_str(cmd(c, "GET k"), "v3");
    /* Options are case-insensitive. */
    expect_nil(cmd(c, "SET k v4 nx"));
    expect_status(cmd(c, "SET k v5 xx"), "OK");
    expect_str(cmd(c, "GET k"), "v5");
    redisFree(c);
}

Test(strings, set_keepttl)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v EX 100"), "OK");
    expect_status(cmd(c, "SET k v2 KEEPTTL"), "OK");
    long long t = ttl(c, "k");
    cr_assert(t >= 95 && t <= 100, "TTL after KEEPTTL: %lld", t);
    expect_str(cmd(c, "GET k"), "v2");
    expect_status(cmd(c, "SET k v3"), "OK");
    expect_int(cmd(c, "TTL k"), -1);
    redisFree(c);
}

Test(strings, set_get_option)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "SET k v GET"));
    expect_str(cmd(c, "GET k"), "v");
    expect_str(cmd(c, "SET k v2 GET"), "v");
    expect_str(cmd(c, "GET k"), "v2");
    /* Redis 7.0: NX and GET combine; the old value is returned, nothing set. */
    expect_str(cmd(c, "SET k v3 NX GET"), "v2");
    expect_str(cmd(c, "GET k"), "v2");
    expect_nil(cmd(c, "SET fresh v NX GET"));
    expect_str(cmd(c, "GET fresh"), "v");
    expect_nil(cmd(c, "SET other v XX GET"));
    expect_int(cmd(c, "EXISTS other"), 0);
    expect_str(cmd(c, "SET k v4 XX GET EX 100"), "v2");
    long long t = ttl(c, "k");
    cr_assert(t >= 95 && t <= 100, "TTL after SET XX GET EX 100: %lld", t);
    redisFree(c);
}

Test(strings, set_errors)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "SET k"), "ERR wrong number of arguments for 'set' command");
    expect_err(cmd(c, "SET k v NX XX"), "ERR syntax error");
    expect_err(cmd(c, "SET k v EX 10 PX 100"), "ERR syntax error");
    expect_err(cmd(c, "SET k v EX 10 EXAT 100"), "ERR syntax error");
    expect_err(cmd(c, "SET k v KEEPTTL EX 10"), "ERR syntax error");
    expect_err(cmd(c, "SET k v EX"), "ERR syntax error");
    expect_err(cmd(c, "SET k v FOO"), "ERR syntax error");
    expect_err(cmd(c, "SET k v EX abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SET k v EX 0"), "ERR invalid expire time in 'set' command");
    expect_err(cmd(c, "SET k v EX -1"), "ERR invalid expire time in 'set' command");
    expect_err(cmd(c, "SET k v PX 0"), "ERR invalid expire time in 'set' command");
    expect_err(cmd(c, "SET k v PXAT 0"), "ERR invalid expire time in 'set' command");
    expect_err(cmd(c, "SET k v EX 9223372036854775807"), "ERR invalid expire time in 'set' command");
    expect_int(cmd(c, "EXISTS k"), 0);
    redisFree(c);
}

Test(strings, getset_getdel)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "GETSET k v"));
    expect_str(cmd(c, "GETSET k v2"), "v");
    expect_str(cmd(c, "GET k"), "v2");
    /* GETSET clears the TTL like SET. */
    expect_int(cmd(c, "EXPIRE k 100"), 1);
    expect_str(cmd(c, "GETSET k v3"), "v2");
    expect_int(cmd(c, "TTL k"), -1);

    expect_str(cmd(c, "GETDEL k"), "v3");
    expect_int(cmd(c, "EXISTS k"), 0);
    expect_nil(cmd(c, "GETDEL k"));
    expect_err(cmd(c, "GETDEL"), "ERR wrong number of arguments for 'getdel' command");
    redisFree(c);
}

Test(strings, getex)
{
    redisContext *c = client_connect();
    expect_nil(cmd(c, "GETEX missing"));
    expect_nil(cmd(c, "GETEX missing EX 10"));
    expect_int(cmd(c, "EXISTS missing"), 0);

    expect_status(cmd(c, "SET k v"), "OK");
    expect_str(cmd(c, "GETEX k"), "v");
    expect_int(cmd(c, "TTL k"), -1);
    expect_str(cmd(c, "GETEX k EX 100"), "v");
    long long t = ttl(c, "k");
    cr_assert(t >= 95 && t <= 100, "TTL after GETEX EX 100: %lld", t);
    expect_str(cmd(c, "GETEX k PX 200000"), "v");
    long long p = pttl(c, "k");
    cr_assert(p > 195000 && p <= 200000, "PTTL after GETEX PX 200000: %lld", p);
    long long at = unix_time_ms() / 1000 + 300;
    expect_str(cmd(c, "GETEX k EXAT %lld", at), "v");
    expect_int(cmd(c, "EXPIRETIME k"), at);
    long long pat = unix_time_ms() + 400000;
    expect_str(cmd(c, "GETEX k PXAT %lld", pat), "v");
    expect_int(cmd(c, "PEXPIRETIME k"), pat);
    expect_str(cmd(c, "GETEX k PERSIST"), "v");
    expect_int(cmd(c, "TTL k"), -1);

    /* An absolute time in the past deletes the key after returning it. */
    expect_str(cmd(c, "GETEX k PXAT 1000"), "v");
    expect_int(cmd(c, "EXISTS k"), 0);

    expect_status(cmd(c, "SET k v"), "OK");
    expect_err(cmd(c, "GETEX k EX 0"), "ERR invalid expire time in 'getex' command");
    expect_err(cmd(c, "GETEX k PX -5"), "ERR invalid expire time in 'getex' command");
    expect_err(cmd(c, "GETEX k EX abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "GETEX k PERSIST EX 5"), "ERR syntax error");
    expect_err(cmd(c, "GETEX k EX 5 PX 5000"), "ERR syntax error");
    expect_err(cmd(c, "GETEX k FOO"), "ERR syntax error");
    expect_int(cmd(c, "TTL k"), -1);
    redisFree(c);
}

Test(strings, setnx_setex_psetex)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SETNX k v"), 1);
    expect_int(cmd(c, "SETNX k v2"), 0);
    expect_str(cmd(c, "GET k"), "v");

    expect_status(cmd(c, "SETEX s 100 v"), "OK");
    expect_str(cmd(c, "GET s"), "v");
    long long t = ttl(c, "s");
    cr_assert(t >= 95 && t <= 100, "TTL after SETEX 100: %lld", t);
    expect_status(cmd(c, "PSETEX p 100000 v"), "OK");
    long long p = pttl(c, "p");
    cr_assert(p > 95000 && p <= 100000, "PTTL after PSETEX 100000: %lld", p);

    expect_err(cmd(c, "SETEX s 0 v"), "ERR invalid expire time in 'setex' command");
    expect_err(cmd(c, "SETEX s -10 v"), "ERR invalid expire time in 'setex' command");
    expect_err(cmd(c, "PSETEX p 0 v"), "ERR invalid expire time in 'psetex' command");
    expect_err(cmd(c, "SETEX s abc v"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SETEX s 10"), "ERR wrong number of arguments for 'setex' command");
    /* The failed calls left the keys alone. */
    expect_str(cmd(c, "GET s"), "v");
    expect_str(cmd(c, "GET p"), "v");
    redisFree(c);
}

Test(strings, mset_mget)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "MSET a 1 b 2 {t}c 3 {t}d 4"), "OK");
    expect_strs(cmd(c, "MGET a b {t}c {t}d missing"), 5, "1", "2", "3", "4", NULL);
    expect_status(cmd(c, "MSET a 10 a 11"), "OK");
    expect_str(cmd(c, "GET a"), "11");
    expect_err(cmd(c, "MSET a"), "ERR wrong number of arguments for 'mset' command");
    expect_err(cmd(c, "MSET a 1 b"), "ERR wrong number of arguments for 'mset' command");
    expect_err(cmd(c, "MGET"), "ERR wrong number of arguments for 'mget' command");
    expect_str(cmd(c, "GET b"), "2");
    redisFree(c);
}

Test(strings, mset_many_keys_across_shards)
{
    redisContext *c = client_connect();
    const char *argv[201];
    size_t lens[201];
    char names[100][16], values[100][16];
    argv[0] = "MSET";
    lens[0] = 4;
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "k:%d", i);
        snprintf(values[i], sizeof(values[i]), "v%d", i * 7);
        argv[1 + 2 * i] = names[i];
        lens[1 + 2 * i] = strlen(names[i]);
        argv[2 + 2 * i] = values[i];
        lens[2 + 2 * i] = strlen(values[i]);
    }
    expect_status(cmd_argv(c, 201, argv, lens), "OK");

    const char *get_argv[102];
    size_t get_lens[102];
    get_argv[0] = "MGET";
    get_lens[0] = 4;
    for (int i = 0; i < 100; i++) {
        get_argv[1 + i] = names[i];
        get_lens[1 + i] = strlen(names[i]);
    }
    get_argv[101] = "nope";
    get_lens[101] = 4;
    redisReply *r = expect_array(cmd_argv(c, 102, get_argv, get_lens), 101);
    for (int i = 0; i < 100; i++)
        assert_str(r->element[i], values[i]);
    assert_nil(r->element[100]);
    freeReplyObject(r);
    expect_int(cmd(c, "DBSIZE"), 100);
    redisFree(c);
}

Test(strings, msetnx_all_or_nothing)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "MSETNX a 1 b 2"), 1);
    expect_strs(cmd(c, "MGET a b"), 2, "1", "2");
    /* b exists: nothing is set, not even c. */
    expect_int(cmd(c, "MSETNX c 3 b 20 d 4"), 0);
    expect_int(cmd(c, "EXISTS c d"), 0);
    expect_str(cmd(c, "GET b"), "2");
    /* Keys on different shards and hash-tagged keys. */
    expect_int(cmd(c, "MSETNX {u1}x 1 {u1}y 2 key:zz 3 other:qq 4"), 1);
    expect_strs(cmd(c, "MGET {u1}x {u1}y key:zz other:qq"), 4, "1", "2", "3", "4");
    expect_int(cmd(c, "MSETNX fresh:1 1 fresh:2 2 other:qq 5"), 0);
    expect_int(cmd(c, "EXISTS fresh:1 fresh:2"), 0);
    expect_str(cmd(c, "GET other:qq"), "4");
    expect_err(cmd(c, "MSETNX a"), "ERR wrong number of arguments for 'msetnx' command");
    expect_err(cmd(c, "MSETNX a 1 b"), "ERR wrong number of arguments for 'msetnx' command");
    redisFree(c);
}

Test(strings, mget_wrong_type_is_nil)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s v"), "OK");
    require_list(c, "l");
    expect_strs(cmd(c, "MGET s l missing"), 3, "v", NULL, NULL);
    redisFree(c);
}

Test(strings, append_strlen)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "STRLEN k"), 0);
    expect_int(cmd(c, "APPEND k foo"), 3);
    expect_int(cmd(c, "APPEND k bar"), 6);
    expect_str(cmd(c, "GET k"), "foobar");
    expect_int(cmd(c, "STRLEN k"), 6);
    expect_int(cmd(c, "APPEND k %s", ""), 6);
    /* APPEND to an integer-encoded value works on its text. */
    expect_status(cmd(c, "SET n 12"), "OK");
    expect_int(cmd(c, "APPEND n 34"), 4);
    expect_str(cmd(c, "GET n"), "1234");
    expect_int(cmd(c, "INCR n"), 1235);
    expect_int(cmd(c, "STRLEN n"), 4);
    /* Binary-safe append. */
    expect_int(cmd(c, "APPEND b %b", "\0\r\n", (size_t)3), 3);
    expect_int(cmd(c, "APPEND b %b", "x\0", (size_t)2), 5);
    expect_bulk(cmd(c, "GET b"), "\0\r\nx\0", 5);
    redisFree(c);
}

Test(strings, getrange_substr)
{
    redisContext *c = client_connect();
    expect_str(cmd(c, "GETRANGE missing 0 -1"), "");
    expect_status(cmd(c, "SET s hello"), "OK");
    expect_str(cmd(c, "GETRANGE s 0 -1"), "hello");
    expect_str(cmd(c, "GETRANGE s 1 3"), "ell");
    expect_str(cmd(c, "GETRANGE s -3 -1"), "llo");
    expect_str(cmd(c, "GETRANGE s -100 100"), "hello");
    expect_str(cmd(c, "GETRANGE s 5 10"), "");
    expect_str(cmd(c, "GETRANGE s 3 1"), "");
    expect_str(cmd(c, "GETRANGE s 0 0"), "h");
    expect_str(cmd(c, "SUBSTR s 1 3"), "ell");
    expect_status(cmd(c, "SET n 12345"), "OK");
    expect_str(cmd(c, "GETRANGE n 1 2"), "23");
    expect_err(cmd(c, "GETRANGE s a 1"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "GETRANGE s 0"), "ERR wrong number of arguments for 'getrange' command");
    redisFree(c);
}

Test(strings, setrange)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s hello"), "OK");
    expect_int(cmd(c, "SETRANGE s 1 EL"), 5);
    expect_str(cmd(c, "GET s"), "hELlo");
    expect_int(cmd(c, "SETRANGE s 4 OWORLD"), 10);
    expect_str(cmd(c, "GET s"), "hELlOWORLD");
    /* Padding with zero bytes, on a new key and past the end. */
    expect_int(cmd(c, "SETRANGE m 3 abc"), 6);
    expect_bulk(cmd(c, "GET m"), "\0\0\0abc", 6);
    expect_int(cmd(c, "SETRANGE m 8 z"), 9);
    expect_bulk(cmd(c, "GET m"), "\0\0\0abc\0\0z", 9);
    /* Empty value: length of the current value, nothing created. */
    expect_int(cmd(c, "SETRANGE s 100 %s", ""), 10);
    expect_int(cmd(c, "SETRANGE none 5 %s", ""), 0);
    expect_int(cmd(c, "EXISTS none"), 0);
    /* On an integer-encoded value. */
    expect_status(cmd(c, "SET n 1234"), "OK");
    expect_int(cmd(c, "SETRANGE n 1 x"), 4);
    expect_str(cmd(c, "GET n"), "1x34");

    expect_err(cmd(c, "SETRANGE s -1 x"), "ERR offset is out of range");
    expect_err(cmd(c, "SETRANGE s abc x"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "SETRANGE s 536870912 x"), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_err(cmd(c, "SETRANGE big 536870911 xy"), "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
    expect_int(cmd(c, "EXISTS big"), 0);
    expect_str(cmd(c, "GET s"), "hELlOWORLD");
    redisFree(c);
}

Test(strings, incr_decr)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "INCR n"), 1);
    expect_int(cmd(c, "INCR n"), 2);
    expect_int(cmd(c, "DECR n"), 1);
    expect_int(cmd(c, "INCRBY n 10"), 11);
    expect_int(cmd(c, "DECRBY n 20"), -9);
    expect_int(cmd(c, "INCRBY n -1"), -10);
    expect_str(cmd(c, "GET n"), "-10");
    expect_int(cmd(c, "DECR fresh"), -1);
    expect_int(cmd(c, "DECRBY fresh2 5"), -5);
    expect_status(cmd(c, "SET s %s", " 1"), "OK");
    expect_err(cmd(c, "INCR s"), "ERR value is not an integer or out of range");
    /* INCR keeps the TTL. */
    expect_status(cmd(c, "SET t 5 EX 100"), "OK");
    expect_int(cmd(c, "INCR t"), 6);
    long long t = ttl(c, "t");
    cr_assert(t >= 95 && t <= 100, "TTL after INCR: %lld", t);
    redisFree(c);
}

Test(strings, incr_errors_and_overflow)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s abc"), "OK");
    expect_err(cmd(c, "INCR s"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "DECR s"), "ERR value is not an integer or out of range");
    expect_status(cmd(c, "SET f 1.5"), "OK");
    expect_err(cmd(c, "INCR f"), "ERR value is not an integer or out of range");
    expect_status(cmd(c, "SET big 9223372036854775808"), "OK");
    expect_err(cmd(c, "INCR big"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "INCRBY n abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "INCRBY n 1.5"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "INCRBY n 9223372036854775808"), "ERR value is not an integer or out of range");

    expect_status(cmd(c, "SET max 9223372036854775807"), "OK");
    expect_err(cmd(c, "INCR max"), "ERR increment or decrement would overflow");
    expect_err(cmd(c, "INCRBY max 1"), "ERR increment or decrement would overflow");
    expect_int(cmd(c, "INCRBY max -1"), 9223372036854775806LL);
    expect_status(cmd(c, "SET min -9223372036854775808"), "OK");
    expect_err(cmd(c, "DECR min"), "ERR increment or decrement would overflow");
    expect_err(cmd(c, "DECRBY min 1"), "ERR increment or decrement would overflow");
    expect_err(cmd(c, "DECRBY min -9223372036854775808"), "ERR decrement would overflow");
    expect_str(cmd(c, "GET min"), "-9223372036854775808");
    expect_err(cmd(c, "INCR"), "ERR wrong number of arguments for 'incr' command");
    expect_err(cmd(c, "INCRBY n"), "ERR wrong number of arguments for 'incrby' command");
    redisFree(c);
}

Test(strings, incrbyfloat)
{
    redisContext *c = client_connect();
    expect_str(cmd(c, "INCRBYFLOAT f 3"), "3");
    expect_status(cmd(c, "SET f 10.5"), "OK");
    expect_str(cmd(c, "INCRBYFLOAT f 0.1"), "10.6");
    expect_str(cmd(c, "INCRBYFLOAT f -5"), "5.6");
    expect_str(cmd(c, "GET f"), "5.6");
    expect_status(cmd(c, "SET f 5.0e3"), "OK");
    expect_str(cmd(c, "INCRBYFLOAT f 2.0e2"), "5200");
    expect_str(cmd(c, "INCRBYFLOAT i 1.5"), "1.5");
    expect_str(cmd(c, "INCRBYFLOAT i -1.5"), "0");
    expect_status(cmd(c, "SET n 7"), "OK");
    expect_str(cmd(c, "INCRBYFLOAT n 0.25"), "7.25");

    expect_status(cmd(c, "SET s abc"), "OK");
    expect_err(cmd(c, "INCRBYFLOAT s 1"), "ERR value is not a valid float");
    expect_err(cmd(c, "INCRBYFLOAT f abc"), "ERR value is not a valid float");
    expect_err(cmd(c, "INCRBYFLOAT f inf"), "ERR increment would produce NaN or Infinity");
    expect_str(cmd(c, "GET f"), "5200");
    redisFree(c);
}

Test(strings, lcs)
{
    redisContext *c = client_connect();
    /* The examples of the LCS page of the Redis docs. */
    expect_status(cmd(c, "MSET key1 ohmytext key2 mynewtext"), "OK");
    expect_str(cmd(c, "LCS key1 key2"), "mytext");
    expect_int(cmd(c, "LCS key1 key2 LEN"), 6);

    /* IDX: [ "matches", [ [[4,7],[5,8]], [[2,3],[0,1]] ], "len", 6 ] */
    redisReply *r = expect_array(cmd(c, "LCS key1 key2 IDX"), 4);
    assert_str(r->element[0], "matches");
    redisReply *matches = assert_array_len(r->element[1], 2);
    const long long ranges[2][4] = {{4, 7, 5, 8}, {2, 3, 0, 1}};
    for (int m = 0; m < 2; m++) {
        redisReply *match = assert_array_len(matches->element[m], 2);
        for (int side = 0; side < 2; side++) {
            redisReply *range = assert_array_len(match->element[side], 2);
            assert_int(range->element[0], ranges[m][side * 2]);
            assert_int(range->element[1], ranges[m][side * 2 + 1]);
        }
    }
    assert_str(r->element[2], "len");
    assert_int(r->element[3], 6);
    freeReplyObject(r);

    r = expect_array(cmd(c, "LCS key1 key2 IDX MINMATCHLEN 4"), 4);
    matches = assert_array_len(r->element[1], 1);
    redisReply *match = assert_array_len(matches->element[0], 2);
    assert_int(assert_array_len(match->element[0], 2)->element[0], 4);
    assert_int(match->element[0]->element[1], 7);
    assert_int(assert_array_len(match->element[1], 2)->element[0], 5);
    assert_int(match->element[1]->element[1], 8);
    assert_int(r->element[3], 6);
    freeReplyObject(r);

    r = expect_array(cmd(c, "LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN"), 4);
    matches = assert_array_len(r->element[1], 1);
    match = assert_array_len(matches->element[0], 3);
    assert_int(match->element[0]->element[0], 4);
    assert_int(match->element[0]->element[1], 7);
    assert_int(match->element[1]->element[0], 5);
    assert_int(match->element[1]->element[1], 8);
    assert_int(match->element[2], 4);
    assert_str(r->element[2], "len");
    assert_int(r->element[3], 6);
    freeReplyObject(r);

    /* Missing keys are empty strings. */
    expect_str(cmd(c, "LCS key1 missing"), "");
    expect_int(cmd(c, "LCS missing1 missing2 LEN"), 0);
    expect_err(cmd(c, "LCS key1 key2 LEN IDX"), "ERR If you want both the length and indexes, please just use IDX.");
    expect_err(cmd(c, "LCS key1 key2 FOO"), "ERR syntax error");
    redisFree(c);
}

Test(strings, lcs_on_list_errors)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s abc"), "OK");
    require_list(c, "l");
    expect_err(cmd(c, "LCS s l"), "ERR The specified keys must contain string values");
    redisFree(c);
}

Test(strings, wrongtype_on_list)
{
    redisContext *c = client_connect();
    require_list(c, "l");
    const char *wrongtype = "WRONGTYPE Operation against a key holding the wrong kind of value";
    expect_err(cmd(c, "GET l"), wrongtype);
    expect_err(cmd(c, "GETSET l x"), wrongtype);
    expect_err(cmd(c, "GETDEL l"), wrongtype);
    expect_err(cmd(c, "GETEX l"), wrongtype);
    expect_err(cmd(c, "SET l x GET"), wrongtype);
    expect_err(cmd(c, "APPEND l x"), wrongtype);
    expect_err(cmd(c, "STRLEN l"), wrongtype);
    expect_err(cmd(c, "GETRANGE l 0 1"), wrongtype);
    expect_err(cmd(c, "SETRANGE l 0 x"), wrongtype);
    expect_err(cmd(c, "INCR l"), wrongtype);
    expect_err(cmd(c, "DECRBY l 2"), wrongtype);
    expect_err(cmd(c, "INCRBYFLOAT l 1.5"), wrongtype);
    /* None of the failures changed the list. */
    expect_status(cmd(c, "TYPE l"), "list");
    /* SETNX sees an existing key of any type; SET replaces it. */
    expect_int(cmd(c, "SETNX l x"), 0);
    expect_status(cmd(c, "SET l x"), "OK");
    expect_status(cmd(c, "TYPE l"), "string");
    expect_str(cmd(c, "GET l"), "x");
    redisFree(c);
}

/* Regression: an MGET whose keys all live on one shard that is not the
 * connection's own was merged as if split, giving a malformed reply. Hash
 * tags put both keys on one shard; 32 tags cover every shard of 4. */
Test(strings, mget_of_one_remote_shard)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 32; i++) {
        expect_status(cmd(c, "MSET {tag%d}a %d {tag%d}b %d", i, i, i, i), "OK");
        char value[16];
        snprintf(value, sizeof(value), "%d", i);
        expect_strs(cmd(c, "MGET {tag%d}a {tag%d}b", i, i), 2, value, value);
    }
    redisFree(c);
}
