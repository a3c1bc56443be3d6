/*
 * test_expire.c - key expiry against a live server, Redis 7.0 replies.
 *
 * Timing rule: a test may wait a fixed time only where the wait itself is
 * the point (a key with a 100 ms TTL must be gone for GET once 300 ms have
 * passed). Everything that depends on the server's background work (active
 * expiry) is polled with generous limits, so a slow machine makes the test
 * slower, never red.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(expire, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

/* Polls DBSIZE until it equals `want` or timeout_ms passes; returns the last value. */
static long long wait_for_dbsize(redisContext *c, long long want, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long long n;
    while ((n = dbsize(c)) != want && now_ms() < deadline)
        sleep_ms(50);
    return n;
}

Test(expire, expire_ttl_pttl_persist)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "TTL nope"), -2);
    expect_int(cmd(c, "PTTL nope"), -2);
    expect_int(cmd(c, "EXPIRE nope 100"), 0);
    expect_int(cmd(c, "PERSIST nope"), 0);

    expect_status(cmd(c, "SET k v"), "OK");
    expect_int(cmd(c, "TTL k"), -1);
    expect_int(cmd(c, "PTTL k"), -1);
    expect_int(cmd(c, "PERSIST k"), 0);
    expect_int(cmd(c, "EXPIRE k 100"), 1);
    long long ttl = int_reply(c, "TTL %s", "k");
    cr_assert(ttl >= 95 && ttl <= 100, "TTL after EXPIRE 100: %lld", ttl);
    long long pttl = int_reply(c, "PTTL %s", "k");
    cr_assert(pttl > 95000 && pttl <= 100000, "PTTL after EXPIRE 100: %lld", pttl);
    expect_int(cmd(c, "PEXPIRE k 50000"), 1);
    pttl = int_reply(c, "PTTL %s", "k");
    cr_assert(pttl > 45000 && pttl <= 50000, "PTTL after PEXPIRE 50000: %lld", pttl);
    expect_int(cmd(c, "PERSIST k"), 1);
    expect_int(cmd(c, "TTL k"), -1);
    expect_int(cmd(c, "PERSIST k"), 0);
    expect_str(cmd(c, "GET k"), "v");
    redisFree(c);
}

Test(expire, expire_nx_xx_gt_lt)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v"), "OK");
    /* No TTL yet: XX and GT fail (no TTL counts as infinite), NX and LT work. */
    expect_int(cmd(c, "EXPIRE k 100 XX"), 0);
    expect_int(cmd(c, "EXPIRE k 100 GT"), 0);
    expect_int(cmd(c, "EXPIRE k 100 XX GT"), 0);
    expect_int(cmd(c, "TTL k"), -1);
    expect_int(cmd(c, "EXPIRE k 100 LT"), 1);
    expect_int(cmd(c, "PERSIST k"), 1);
    expect_int(cmd(c, "EXPIRE k 100 NX"), 1);
    /* TTL 100 now. */
    expect_int(cmd(c, "EXPIRE k 200 NX"), 0);
    expect_int(cmd(c, "EXPIRE k 50 XX"), 1);
    expect_int(cmd(c, "EXPIRE k 10 GT"), 0);
    expect_int(cmd(c, "EXPIRE k 500 LT"), 0);
    long long ttl = int_reply(c, "TTL %s", "k");
    cr_assert(ttl >= 45 && ttl <= 50, "TTL after the refused updates: %lld", ttl);
    expect_int(cmd(c, "EXPIRE k 500 GT"), 1);
    ttl = int_reply(c, "TTL %s", "k");
    cr_assert(ttl >= 495 && ttl <= 500, "TTL after GT 500: %lld", ttl);
    expect_int(cmd(c, "EXPIRE k 300 lt"), 1);
    ttl = int_reply(c, "TTL %s", "k");
    cr_assert(ttl >= 295 && ttl <= 300, "TTL after LT 300: %lld", ttl);
    expect_int(cmd(c, "PEXPIRE k 400000 XX GT"), 1);
    long long pttl = int_reply(c, "PTTL %s", "k");
    cr_assert(pttl > 395000 && pttl <= 400000, "PTTL after PEXPIRE XX GT: %lld", pttl);
    expect_int(cmd(c, "EXPIRE nope 100 NX"), 0);

    expect_err(cmd(c, "EXPIRE k 100 NX XX"), "ERR NX and XX, GT or LT options at the same time are not compatible");
    expect_err(cmd(c, "EXPIRE k 100 NX GT"), "ERR NX and XX, GT or LT options at the same time are not compatible");
    expect_err(cmd(c, "PEXPIRE k 100 NX LT"), "ERR NX and XX, GT or LT options at the same time are not compatible");
    expect_err(cmd(c, "EXPIRE k 100 GT LT"), "ERR GT and LT options at the same time are not compatible");
    expect_err(cmd(c, "EXPIRE k 100 FOO"), "ERR Unsupported option FOO");
    redisFree(c);
}

Test(expire, expireat_pexpireat_expiretime)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "EXPIRETIME nope"), -2);
    expect_int(cmd(c, "PEXPIRETIME nope"), -2);
    expect_int(cmd(c, "EXPIREAT nope 9999999999"), 0);
    expect_status(cmd(c, "SET k v"), "OK");
    expect_int(cmd(c, "EXPIRETIME k"), -1);
    expect_int(cmd(c, "PEXPIRETIME k"), -1);

    long long at = unix_time_ms() / 1000 + 1000;
    expect_int(cmd(c, "EXPIREAT k %lld", at), 1);
    expect_int(cmd(c, "EXPIRETIME k"), at);
    expect_int(cmd(c, "PEXPIRETIME k"), at * 1000);
    long long ttl = int_reply(c, "TTL %s", "k");
    cr_assert(ttl >= 995 && ttl <= 1000, "TTL after EXPIREAT now+1000: %lld", ttl);

    long long pat = unix_time_ms() + 2000123;
    expect_int(cmd(c, "PEXPIREAT k %lld", pat), 1);
    expect_int(cmd(c, "PEXPIRETIME k"), pat);
    /* EXPIRETIME rounds to the nearest second. */
    expect_int(cmd(c, "EXPIRETIME k"), (pat + 500) / 1000);

    expect_int(cmd(c, "EXPIREAT k %lld NX", at), 0);
    expect_int(cmd(c, "EXPIREAT k %lld GT", at), 0);
    expect_int(cmd(c, "EXPIREAT k %lld LT", at), 1);
    expect_int(cmd(c, "EXPIRETIME k"), at);
    expect_int(cmd(c, "PEXPIREAT k %lld XX", pat), 1);
    expect_int(cmd(c, "PEXPIRETIME k"), pat);
    redisFree(c);
}

Test(expire, past_or_negative_times_delete)
{
    redisContext *c = client_connect();
    const char *forms[] = {"EXPIRE k -1", "PEXPIRE k 0", "EXPIREAT k 1", "PEXPIREAT k 1000", "EXPIRE k 0"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        expect_status(cmd(c, "SET k v"), "OK");
        redisReply *r = cmd(c, forms[i]);
        cr_assert(r->type == REDIS_REPLY_INTEGER && r->integer == 1, "%s: %s", forms[i], describe_reply(r));
        freeReplyObject(r);
        expect_int(cmd(c, "EXISTS k"), 0);
        expect_nil(cmd(c, "GET k"));
        expect_int(cmd(c, "TTL k"), -2);
    }
    expect_int(cmd(c, "DBSIZE"), 0);
    redisFree(c);
}

Test(expire, errors)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v"), "OK");
    expect_err(cmd(c, "EXPIRE k abc"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "EXPIRE k 1.5"), "ERR value is not an integer or out of range");
    expect_err(cmd(c, "EXPIRE k 9223372036854775807"), "ERR invalid expire time in 'expire' command");
    expect_err(cmd(c, "PEXPIRE k 9223372036854775807"), "ERR invalid expire time in 'pexpire' command");
    expect_err(cmd(c, "EXPIREAT k 9223372036854775807"), "ERR invalid expire time in 'expireat' command");
    expect_err(cmd(c, "EXPIRE k"), "ERR wrong number of arguments for 'expire' command");
    expect_err(cmd(c, "TTL"), "ERR wrong number of arguments for 'ttl' command");
    expect_err(cmd(c, "PERSIST"), "ERR wrong number of arguments for 'persist' command");
    expect_err(cmd(c, "EXPIRETIME"), "ERR wrong number of arguments for 'expiretime' command");
    expect_int(cmd(c, "TTL k"), -1);
    redisFree(c);
}

Test(expire, lazy_expiry_on_access)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v"), "OK");
    expect_status(cmd(c, "SET p v"), "OK");
    expect_int(cmd(c, "PEXPIRE k 100"), 1);
    /* One write for both, so that p's TTL cannot run out in between. */
    cr_assert(redisAppendCommand(c, "PEXPIRE p 200") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "PERSIST p") == REDIS_OK);
    expect_int(next_reply(c), 1);
    expect_int(next_reply(c), 1);
    sleep_ms(300);
    expect_nil(cmd(c, "GET k"));
    expect_int(cmd(c, "EXISTS k"), 0);
    expect_int(cmd(c, "TTL k"), -2);
    expect_str(cmd(c, "GET p"), "v");
    redisFree(c);
}

Test(expire, expired_keys_are_invisible)
{
    redisContext *c = client_connect();
    fill_keys(c, "k:", 100);
    for (int i = 0; i < 50; i++)
        expect_int(cmd(c, "PEXPIRE k:%d 100", i), 1);
    sleep_ms(300);
    /* Whether or not active expiry got to them, no read may show them. */
    expect_int(cmd_with_keys(c, "EXISTS", "k:", 50), 0);
    redisReply *r = cmd_with_keys(c, "MGET", "k:", 100);
    assert_array_len(r, 100);
    for (int i = 0; i < 100; i++) {
        if (i < 50) {
            assert_nil(r->element[i]);
        } else {
            char value[16];
            snprintf(value, sizeof(value), "%d", i);
            assert_str(r->element[i], value);
        }
    }
    freeReplyObject(r);
    expect_array_len(cmd(c, "KEYS k:*"), 50);
    redisReply *keys = expect_array(cmd(c, "KEYS *"), 50);
    for (size_t i = 0; i < keys->elements; i++)
        cr_assert(atoi(keys->element[i]->str + 2) >= 50, "KEYS returned expired key %s", keys->element[i]->str);
    freeReplyObject(keys);
    for (int round = 0; round < 20; round++) {
        r = cmd(c, "RANDOMKEY");
        cr_assert(r->type == REDIS_REPLY_STRING && atoi(r->str + 2) >= 50, "RANDOMKEY returned %s", describe_reply(r));
        freeReplyObject(r);
    }
    cr_assert_eq(wait_for_dbsize(c, 50, 5000), 50, "DBSIZE did not settle at 50");
    redisFree(c);
}

Test(expire, active_expiry_single_key)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET keep v"), "OK");
    expect_status(cmd(c, "SET k v"), "OK");
    expect_int(cmd(c, "PEXPIRE k 100"), 1);
    /* Never touch k again: only the server's own expiry cycle can remove it. */
    long long n = wait_for_dbsize(c, 1, 5000);
    cr_assert_eq(n, 1, "DBSIZE is still %lld 5 s after a 100 ms TTL: no active expiry", n);
    expect_str(cmd(c, "GET keep"), "v");
    redisFree(c);
}

Test(expire, active_expiry_many_keys_on_all_shards)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET keep v"), "OK");
    for (int i = 0; i < 1000; i++)
        cr_assert(redisAppendCommand(c, "SET k:%d %d PX %d", i, i, 100 + i % 200) == REDIS_OK);
    for (int i = 0; i < 1000; i++)
        expect_status(next_reply(c), "OK");
    /* Same in another database: expiry must cover all of them. */
    expect_status(cmd(c, "SELECT 5"), "OK");
    for (int i = 0; i < 100; i++)
        cr_assert(redisAppendCommand(c, "SET k:%d %d PX 150", i, i) == REDIS_OK);
    for (int i = 0; i < 100; i++)
        expect_status(next_reply(c), "OK");
    long long n = wait_for_dbsize(c, 0, 10000);
    cr_assert_eq(n, 0, "db 5 still holds %lld keys 10 s after their TTL", n);
    expect_status(cmd(c, "SELECT 0"), "OK");
    n = wait_for_dbsize(c, 1, 10000);
    cr_assert_eq(n, 1, "db 0 still holds %lld keys 10 s after their TTL (1 expected)", n);
    expect_str(cmd(c, "GET keep"), "v");

    char *info = info_text(c, "stats");
    char value[64];
    cr_assert(info_field(info, "expired_keys", value, sizeof(value)), "INFO stats has no expired_keys");
    cr_assert_str_eq(value, "1100", "expired_keys");
    free(info);
    redisFree(c);
}

Test(expire, overwrite_and_rename_keep_or_drop_ttl)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v PX 100"), "OK");
    expect_status(cmd(c, "SET k v2"), "OK");
    sleep_ms(300);
    expect_str(cmd(c, "GET k"), "v2");
    cr_assert(redisAppendCommand(c, "PEXPIRE k 200") == REDIS_OK);
    cr_assert(redisAppendCommand(c, "RENAME k k2") == REDIS_OK);
    expect_int(next_reply(c), 1);
    expect_status(next_reply(c), "OK");
    sleep_ms(400);
    expect_nil(cmd(c, "GET k2"));
    expect_int(cmd(c, "DBSIZE"), 0);
    redisFree(c);
}
