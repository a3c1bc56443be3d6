/*
 * test_collections_random.c - random, mostly wrong, collection commands must
 * never take the server down.
 *
 * Why: the collection handlers parse dozens of options (COUNT, LIMIT,
 * WEIGHTS, BYSCORE, RANK, numkeys ...) from untrusted input; an overflow or
 * an unchecked index is a crash for every client. This test sends tens of
 * thousands of commands built from the collection command names and a pool
 * of edge values (LLONG_MIN/MAX, 2^64, inf, nan, "(1", "[a", empty strings,
 * option words) and random key names, on several connections at once, and
 * requires a well-formed reply to each one and a live server at the end.
 * (The ASan/UBSan run of `make test` makes it a memory-safety check too.)
 * Blocking commands get 1 ms timeouts so they cannot stall the test.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(collections_random, .init = server_suite_init, .fini = server_suite_fini, .timeout = 180);

static const char *const names[] = {"lpush",
                                    "rpush",
                                    "lpushx",
                                    "rpushx",
                                    "lpop",
                                    "rpop",
                                    "llen",
                                    "lrange",
                                    "lindex",
                                    "lset",
                                    "linsert",
                                    "lrem",
                                    "ltrim",
                                    "lpos",
                                    "lmove",
                                    "rpoplpush",
                                    "lmpop",
                                    "blpop",
                                    "brpop",
                                    "blmove",
                                    "brpoplpush",
                                    "blmpop",
                                    "hset",
                                    "hsetnx",
                                    "hget",
                                    "hmset",
                                    "hmget",
                                    "hdel",
                                    "hlen",
                                    "hstrlen",
                                    "hexists",
                                    "hkeys",
                                    "hvals",
                                    "hgetall",
                                    "hincrby",
                                    "hincrbyfloat",
                                    "hrandfield",
                                    "hscan",
                                    "sadd",
                                    "srem",
                                    "smembers",
                                    "sismember",
                                    "smismember",
                                    "scard",
                                    "spop",
                                    "srandmember",
                                    "smove",
                                    "sinter",
                                    "sintercard",
                                    "sinterstore",
                                    "sunion",
                                    "sunionstore",
                                    "sdiff",
                                    "sdiffstore",
                                    "sscan",
                                    "zadd",
                                    "zrem",
                                    "zscore",
                                    "zmscore",
                                    "zincrby",
                                    "zcard",
                                    "zcount",
                                    "zlexcount",
                                    "zrange",
                                    "zrangebyscore",
                                    "zrevrangebyscore",
                                    "zrangebylex",
                                    "zrevrangebylex",
                                    "zrevrange",
                                    "zrangestore",
                                    "zrank",
                                    "zrevrank",
                                    "zpopmin",
                                    "zpopmax",
                                    "zmpop",
                                    "bzpopmin",
                                    "bzpopmax",
                                    "bzmpop",
                                    "zrandmember",
                                    "zunion",
                                    "zinter",
                                    "zdiff",
                                    "zunionstore",
                                    "zinterstore",
                                    "zdiffstore",
                                    "zintercard",
                                    "zremrangebyscore",
                                    "zremrangebyrank",
                                    "zremrangebylex",
                                    "zscan",
                                    "del",
                                    "unlink",
                                    "copy",
                                    "rename",
                                    "type",
                                    "object",
                                    "move",
                                    "expire"};

static const char *const values[] = {"0",
                                     "1",
                                     "-1",
                                     "2",
                                     "3",
                                     "10",
                                     "-10",
                                     "100",
                                     "9223372036854775807",
                                     "-9223372036854775808",
                                     "18446744073709551616",
                                     "inf",
                                     "-inf",
                                     "+inf",
                                     "nan",
                                     "(1",
                                     "[a",
                                     "(a",
                                     "-",
                                     "+",
                                     "1.5",
                                     "1e300",
                                     "",
                                     "LEFT",
                                     "RIGHT",
                                     "COUNT",
                                     "LIMIT",
                                     "WITHSCORES",
                                     "BYSCORE",
                                     "BYLEX",
                                     "REV",
                                     "NX",
                                     "XX",
                                     "GT",
                                     "LT",
                                     "CH",
                                     "INCR",
                                     "WEIGHTS",
                                     "AGGREGATE",
                                     "SUM",
                                     "MIN",
                                     "MAX",
                                     "RANK",
                                     "MAXLEN",
                                     "MATCH",
                                     "*",
                                     "WITHVALUES",
                                     "BEFORE",
                                     "AFTER",
                                     "ENCODING",
                                     "0.5",
                                     "-0.5",
                                     "4294967296",
                                     "65536"};

static const char *const keys[] = {"rk:1", "rk:2", "rk:3", "rk:4", "{rt}a", "{rt}b"};

#define NAMES (sizeof(names) / sizeof(names[0]))
#define VALUES (sizeof(values) / sizeof(values[0]))
#define KEYS (sizeof(keys) / sizeof(keys[0]))

struct worker {
    int port;
    unsigned seed;
    int commands;
    atomic_int *failures;
    char error[256];
};

static int is_blocking(const char *name)
{
    return name[0] == 'b';
}

static void *run(void *arg)
{
    struct worker *w = arg;
    redisContext *c = client_connect_port(w->port);
    if (!c) {
        snprintf(w->error, sizeof(w->error), "cannot connect");
        atomic_fetch_add(w->failures, 1);
        return NULL;
    }
    const char *argv[12];
    for (int i = 0; i < w->commands; i++) {
        const char *name = names[rand_r(&w->seed) % NAMES];
        int argc = 0;
        argv[argc++] = name;
        if (is_blocking(name)) {
            /* keys, then a 1 ms timeout where each form expects it */
            if (!strcmp(name, "blmpop") || !strcmp(name, "bzmpop")) {
                argv[argc++] = "0.001";
                argv[argc++] = "2";
                argv[argc++] = keys[rand_r(&w->seed) % KEYS];
                argv[argc++] = keys[rand_r(&w->seed) % KEYS];
                argv[argc++] = name[1] == 'l' ? "LEFT" : "MIN";
            } else if (!strcmp(name, "blmove")) {
                argv[argc++] = keys[rand_r(&w->seed) % KEYS];
                argv[argc++] = keys[rand_r(&w->seed) % KEYS];
                argv[argc++] = "LEFT";
                argv[argc++] = "RIGHT";
                argv[argc++] = "0.001";
            } else {
                int n = 1 + rand_r(&w->seed) % 2;
                for (int k = 0; k < n; k++)
                    argv[argc++] = keys[rand_r(&w->seed) % KEYS];
                argv[argc++] = "0.001";
            }
        } else {
            int n = rand_r(&w->seed) % 9;
            for (int k = 0; k < n; k++)
                argv[argc++] =
                    rand_r(&w->seed) % 10 < 6 ? values[rand_r(&w->seed) % VALUES] : keys[rand_r(&w->seed) % KEYS];
        }
        redisReply *r = redisCommandArgv(c, argc, argv, NULL);
        if (!r) {
            snprintf(w->error, sizeof(w->error), "no reply to command %d (%s): %s", i, name, c->errstr);
            atomic_fetch_add(w->failures, 1);
            break;
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

Test(collections_random, never_crashes)
{
    enum { WORKERS = 3 };
    atomic_int failures = 0;
    struct worker w[WORKERS];
    pthread_t t[WORKERS];
    const char *env = getenv("RANDOM_TEST_COMMANDS");
    int commands = env ? atoi(env) : 6000;
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (struct worker){
            .port = server_port(), .seed = 12345u + (unsigned)i, .commands = commands, .failures = &failures};
        cr_assert_eq(pthread_create(&t[i], NULL, run, &w[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < WORKERS; i++)
        cr_assert_eq(w[i].error[0], '\0', "worker %d: %s", i, w[i].error);
    cr_assert_eq(atomic_load(&failures), 0);
    redisContext *c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}
