/*
 * test_hll.c - HyperLogLog against a live server and against a redis-server
 * 7.0.15 the test starts itself: the same PFADDs must give the same PFCOUNT
 * and the same bytes (GET) in both, sparse and dense, for keys spread over
 * shards (PFCOUNT of several keys, PFMERGE); values written by Redis (GET
 * there, SET here) count the same here and keep changing the same way;
 * hll-sparse-max-bytes moves the promotion; wrong and corrupt values get
 * Redis's errors; PFDEBUG and PFSELFTEST. The fixtures are generated here
 * by the reference server, never checked in. Everything but the reference
 * comparison also passes against redis-server (SHARDIS_SERVER=redis-server).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "proc.h"
#include "server.h"

TestSuite(hll, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define HLL_WRONGTYPE "WRONGTYPE Key is not a valid HyperLogLog string value."
#define HLL_CORRUPT "INVALIDOBJ Corrupted HLL object detected"

static struct test_server reference;

/* A redis-server 7.0.15 on a free port (the fixtures' source). */
static redisContext *reference_start(void)
{
    const char *configured = getenv("SHARDIS_SERVER");
    char *saved = configured ? strdup(configured) : NULL;
    setenv("SHARDIS_SERVER", "/usr/bin/redis-server", 1);
    server_start(&reference);
    if (saved) {
        setenv("SHARDIS_SERVER", saved, 1);
        free(saved);
    }
    return client_connect_port(reference.port);
}

/* PFADD key with n elements "<prefix><from + i>" to both servers. */
static void pfadd_both(redisContext *a, redisContext *b, const char *key, const char *prefix, int from, int n)
{
    const char **argv = malloc(sizeof(char *) * (size_t)(n + 2));
    char **owned = malloc(sizeof(char *) * (size_t)n);
    argv[0] = "PFADD";
    argv[1] = key;
    for (int i = 0; i < n; i++) {
        owned[i] = malloc(48);
        snprintf(owned[i], 48, "%s%d", prefix, from + i);
        argv[i + 2] = owned[i];
    }
    redisReply *ra = cmd_argv(a, n + 2, argv, NULL), *rb = cmd_argv(b, n + 2, argv, NULL);
    cr_assert_eq(ra->type, REDIS_REPLY_INTEGER, "%s", describe_reply(ra));
    cr_assert_eq(ra->integer, rb->integer, "PFADD %s: %lld here, %lld in Redis", key, ra->integer, rb->integer);
    freeReplyObject(ra);
    freeReplyObject(rb);
    for (int i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(argv);
}

static void same_int(redisContext *a, redisContext *b, const char *what)
{
    redisReply *ra = cmd(a, what), *rb = cmd(b, what);
    cr_assert_eq(rb->type, REDIS_REPLY_INTEGER, "%s: %s", what, describe_reply(rb));
    cr_assert_eq(ra->type, REDIS_REPLY_INTEGER, "%s: %s", what, describe_reply(ra));
    cr_assert_eq(ra->integer, rb->integer, "%s: %lld here, %lld in Redis", what, ra->integer, rb->integer);
    freeReplyObject(ra);
    freeReplyObject(rb);
}

static void same_bytes(redisContext *a, const char *akey, redisContext *b, const char *bkey)
{
    redisReply *ra = cmd(a, "GET %s", akey), *rb = cmd(b, "GET %s", bkey);
    cr_assert_eq(ra->type, REDIS_REPLY_STRING, "%s", describe_reply(ra));
    cr_assert_eq(rb->type, REDIS_REPLY_STRING, "%s", describe_reply(rb));
    cr_assert_eq(ra->len, rb->len, "%s: %zu bytes here, %zu in Redis", akey, ra->len, rb->len);
    cr_assert_eq(memcmp(ra->str, rb->str, ra->len), 0, "%s: bytes differ from Redis's", akey);
    freeReplyObject(ra);
    freeReplyObject(rb);
}

Test(hll, same_counts_and_bytes_as_redis)
{
    redisContext *ref = reference_start(), *c = client_connect();
    /* three keys (on different shards with several threads), growing from
     * sparse to dense; overlapping elements */
    const char *keys[] = {"hll:a", "hll:b", "hll:c"};
    int sizes[] = {1, 9, 90, 400, 1500, 6000};
    int added = 0;
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        while (added < sizes[s]) {
            int n = sizes[s] - added < 100 ? sizes[s] - added : 100;
            pfadd_both(c, ref, keys[0], "el:", added, n);
            pfadd_both(c, ref, keys[1], "el:", added / 2, n);
            pfadd_both(c, ref, keys[2], "other:", added, n);
            added += n;
        }
        for (int k = 0; k < 3; k++) {
            char q[64];
            snprintf(q, sizeof(q), "PFCOUNT %s", keys[k]);
            same_int(c, ref, q);
            same_bytes(c, keys[k], ref, keys[k]); /* with the cached count */
        }
        same_int(c, ref, "PFCOUNT hll:a hll:b hll:c");
        same_int(c, ref, "PFCOUNT hll:a hll:c nosuch");
        /* PFMERGE into a destination on yet another shard */
        redisReply *r = cmd(c, "PFMERGE hll:dst%d hll:a hll:b hll:c", (int)s);
        assert_status(r, "OK");
        freeReplyObject(r);
        freeReplyObject(cmd(ref, "PFMERGE hll:dst%d hll:a hll:b hll:c", (int)s));
        char dst[32], q[64];
        snprintf(dst, sizeof(dst), "hll:dst%d", (int)s);
        same_bytes(c, dst, ref, dst);
        snprintf(q, sizeof(q), "PFCOUNT %s", dst);
        same_int(c, ref, q);
        same_int(c, ref, "PFCOUNT hll:a hll:b hll:c");
    }
    redisReply *r = cmd(c, "PFDEBUG ENCODING hll:a");
    assert_status(r, "dense");
    freeReplyObject(r);
    redisFree(c);
    redisFree(ref);
    cr_assert(server_stop(&reference));
}

/* A value written by Redis (sparse and dense) loaded here with SET. */
Test(hll, redis_written_values_count_the_same)
{
    redisContext *ref = reference_start(), *c = client_connect();
    int sizes[] = {5, 300, 3000};
    for (int s = 0; s < 3; s++) {
        char key[32];
        snprintf(key, sizeof(key), "r:%d", s);
        char prefix[16];
        snprintf(prefix, sizeof(prefix), "x%d:", s);
        for (int i = 0; i < sizes[s]; i += 100) {
            int n = sizes[s] - i < 100 ? sizes[s] - i : 100;
            char **argv = malloc(sizeof(char *) * (size_t)(n + 2));
            argv[0] = "PFADD";
            argv[1] = key;
            for (int j = 0; j < n; j++) {
                argv[j + 2] = malloc(32);
                snprintf(argv[j + 2], 32, "%s%d", prefix, i + j);
            }
            freeReplyObject(cmd_argv(ref, n + 2, (const char **)argv, NULL));
            for (int j = 0; j < n; j++)
                free(argv[j + 2]);
            free(argv);
        }
        /* Redis's bytes, with a stale cache (PFADD invalidated it) */
        redisReply *v = cmd(ref, "GET %s", key);
        cr_assert_eq(v->type, REDIS_REPLY_STRING);
        redisReply *r = cmd(c, "SET %s %b", key, v->str, v->len);
        assert_status(r, "OK");
        freeReplyObject(r);
        freeReplyObject(v);
        char q[64];
        snprintf(q, sizeof(q), "PFCOUNT %s", key);
        same_int(c, ref, q);
        same_bytes(c, key, ref, key); /* both wrote the same cached count */
        pfadd_both(c, ref, key, "more:", 0, 50);
        same_bytes(c, key, ref, key);
        same_int(c, ref, q);
        r = cmd(c, "PFDEBUG ENCODING %s", key);
        redisReply *rr = cmd(ref, "PFDEBUG ENCODING %s", key);
        cr_assert_str_eq(r->str, rr->str);
        freeReplyObject(r);
        freeReplyObject(rr);
    }
    redisFree(c);
    redisFree(ref);
    cr_assert(server_stop(&reference));
}

Test(hll, sparse_max_bytes_and_pfdebug)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "PFADD h"), 1); /* created empty */
    expect_int(cmd(c, "PFADD h"), 0);
    expect_int(cmd(c, "PFCOUNT h"), 0);
    expect_str(cmd(c, "PFDEBUG DECODE h"), "Z:16384");
    expect_status(cmd(c, "PFDEBUG ENCODING h"), "sparse");
    expect_int(cmd(c, "STRLEN h"), 18);
    expect_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 40"), "OK");
    for (int i = 0; i < 20; i++)
        freeReplyObject(cmd(c, "PFADD h e%d", i));
    expect_status(cmd(c, "PFDEBUG ENCODING h"), "dense");
    expect_int(cmd(c, "STRLEN h"), 12304);
    expect_err(cmd(c, "PFDEBUG DECODE h"), "ERR HLL encoding is not sparse");
    expect_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 3000"), "OK");
    expect_int(cmd(c, "PFADD h2 a b c"), 1);
    expect_int(cmd(c, "PFDEBUG TODENSE h2"), 1);
    expect_int(cmd(c, "PFDEBUG TODENSE h2"), 0);
    expect_int(cmd(c, "PFCOUNT h2"), 3);
    redisReply *r = expect_array(cmd(c, "PFDEBUG GETREG h2"), 16384);
    long long nonzero = 0;
    for (size_t i = 0; i < r->elements; i++)
        nonzero += r->element[i]->integer != 0;
    cr_assert_eq(nonzero, 3);
    freeReplyObject(r);
    expect_err(cmd(c, "PFDEBUG ENCODING nosuch"), "ERR The specified key does not exist");
    expect_err(cmd(c, "PFDEBUG FOO h2"), "ERR Unknown PFDEBUG subcommand 'FOO'");
    expect_status(cmd(c, "PFSELFTEST"), "OK");
    redisFree(c);
}

Test(hll, wrong_and_corrupt_values)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET s notanhll"), "OK");
    expect_err(cmd(c, "PFADD s a"), HLL_WRONGTYPE);
    expect_err(cmd(c, "PFCOUNT s"), HLL_WRONGTYPE);
    expect_err(cmd(c, "PFMERGE d s"), HLL_WRONGTYPE);
    expect_status(cmd(c, "SET i 12345"), "OK");
    expect_err(cmd(c, "PFCOUNT i"), HLL_WRONGTYPE);
    expect_int(cmd(c, "LPUSH l a"), 1);
    expect_err_prefix(cmd(c, "PFADD l a"), "WRONGTYPE Operation against a key");
    /* a dense value of the wrong size */
    char dense[100] = "HYLL";
    expect_status(cmd(c, "SET d %b", dense, sizeof(dense)), "OK");
    expect_err(cmd(c, "PFCOUNT d"), HLL_WRONGTYPE);
    /* sparse opcodes that cover more than 16384 registers, with the cache
     * marked stale so PFCOUNT must read them */
    unsigned char bad[20] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x7f, 0xff, 0x80, 0x80};
    expect_status(cmd(c, "SET bad %b", bad, sizeof(bad)), "OK");
    expect_err(cmd(c, "PFCOUNT bad"), HLL_CORRUPT);
    expect_err(cmd(c, "PFCOUNT bad other"), HLL_CORRUPT);
    expect_err(cmd(c, "PFMERGE dst bad"), HLL_CORRUPT);
    expect_err(cmd(c, "PFDEBUG TODENSE bad"), HLL_CORRUPT);
    /* too few registers: adding into the uncovered part fails */
    unsigned char short_[18] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x40, 0x00};
    expect_status(cmd(c, "SET short %b", short_, sizeof(short_)), "OK");
    expect_err(cmd(c, "PFCOUNT short"), HLL_CORRUPT);
    redisFree(c);
}

/* PFCOUNT of several keys counts the union and writes nothing. */
Test(hll, union_count_writes_nothing)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "PFADD u:1 a b c"), 1);
    expect_int(cmd(c, "PFADD u:2 c d e"), 1);
    expect_int(cmd(c, "PFADD u:3 e f g"), 1);
    redisReply *before = cmd(c, "GET u:1");
    expect_int(cmd(c, "PFCOUNT u:1 u:2 u:3"), 7);
    redisReply *after = cmd(c, "GET u:1");
    cr_assert_eq(before->len, after->len);
    cr_assert_eq(memcmp(before->str, after->str, before->len), 0, "a union PFCOUNT changed a source");
    freeReplyObject(before);
    freeReplyObject(after);
    expect_status(cmd(c, "PFMERGE u:all u:1 u:2 u:3"), "OK");
    expect_int(cmd(c, "PFCOUNT u:all"), 7);
    expect_status(cmd(c, "PFMERGE u:all"), "OK"); /* the destination alone */
    expect_int(cmd(c, "PFCOUNT u:all"), 7);
    expect_status(cmd(c, "PFMERGE u:empty nosuch"), "OK");
    expect_int(cmd(c, "PFCOUNT u:empty"), 0);
    redisFree(c);
}
