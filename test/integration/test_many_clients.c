/*
 * test_many_clients.c - many clients at once: 1,000 concurrent connections, 8
 * threads hammering overlapping counters, connection churn, and writes by
 * one connection seen at once by another (connections land on different
 * shard threads through SO_REUSEPORT).
 *
 * Worker threads never call Criterion assertions (they abort only the test's
 * main thread); they record the first problem and the main thread asserts
 * after joining them.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "checks.h"
#include "client.h"
#include "model.h"
#include "server.h"

TestSuite(clients, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

static void flush_output(redisContext *c)
{
    int done = 0;
    while (!done)
        cr_assert(redisBufferWrite(c, &done) == REDIS_OK, "write: %s", c->errstr);
}

Test(clients, thousand_concurrent_connections)
{
    enum { CLIENTS = 1000 };
    struct rlimit limit;
    cr_assert(getrlimit(RLIMIT_NOFILE, &limit) == 0);
    /* server_start() already raised the soft limit as far as the hard one
     * allows; the server inherited it. */
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < 1100)
        cr_skip_test("RLIMIT_NOFILE is %llu (hard %llu): 1,000 connections need at least 1,100 descriptors",
                     (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max);

    redisContext *control = client_connect();
    redisContext **conns = calloc(CLIENTS, sizeof(*conns));
    for (int i = 0; i < CLIENTS; i++)
        conns[i] = client_connect();

    /* Every client has a request in flight before any reply is read. */
    for (int i = 0; i < CLIENTS; i++) {
        cr_assert(redisAppendCommand(conns[i], "SET client:%d value-%d", i, i) == REDIS_OK);
        flush_output(conns[i]);
    }
    for (int i = 0; i < CLIENTS; i++)
        expect_status(next_reply(conns[i]), "OK");
    for (int i = 0; i < CLIENTS; i++) {
        cr_assert(redisAppendCommand(conns[i], "GET client:%d", i) == REDIS_OK);
        flush_output(conns[i]);
    }
    for (int i = 0; i < CLIENTS; i++) {
        char value[32];
        snprintf(value, sizeof(value), "value-%d", i);
        expect_str(next_reply(conns[i]), value);
    }
    /* Each connection reads a key written by another one. */
    for (int i = 0; i < CLIENTS; i++) {
        char value[32];
        snprintf(value, sizeof(value), "value-%d", (i + 1) % CLIENTS);
        expect_str(cmd(conns[i], "GET client:%d", (i + 1) % CLIENTS), value);
    }
    expect_int(cmd(control, "DBSIZE"), CLIENTS);
    long long n = wait_for_clients(control, CLIENTS + 1, 10000);
    cr_assert_eq(n, CLIENTS + 1, "connected_clients is %lld with %d connections open", n, CLIENTS + 1);

    for (int i = 0; i < CLIENTS; i++)
        redisFree(conns[i]);
    free(conns);
    n = wait_for_clients(control, 1, 10000);
    cr_assert_eq(n, 1, "connected_clients is %lld after 1,000 clients left", n);
    expect_status(cmd(control, "PING"), "PONG");
    redisFree(control);
}

/* ---- 8 threads on shared counters ---- */

enum { THREADS = 8, OPS_PER_THREAD = 2000, COUNTERS = 50 };

struct worker {
    int index;
    int port;
    long long added[COUNTERS]; /* what this thread added to each counter */
    char error[512];           /* first problem seen, empty if none */
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct timeval timeout = {.tv_sec = 10, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", w->port, timeout);
    if (c == NULL || c->err) {
        snprintf(w->error, sizeof(w->error), "thread %d: connect: %s", w->index, c ? c->errstr : "oom");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, timeout);
    uint64_t state = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->index + 1);
    long long seen[COUNTERS]; /* highest value this connection has observed */
    for (int k = 0; k < COUNTERS; k++)
        seen[k] = 0;
    long long own = 0;

    for (int op = 0; op < OPS_PER_THREAD && w->error[0] == '\0'; op++) {
        int key = (int)(xorshift_next(&state) % COUNTERS);
        unsigned kind = (unsigned)(xorshift_next(&state) % 4);
        redisReply *r;
        if (kind == 0) {
            r = redisCommand(c, "INCR counter:%d", key);
            if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer <= seen[key]) {
                snprintf(w->error, sizeof(w->error), "thread %d op %d: INCR counter:%d -> %s (seen %lld)", w->index, op,
                         key, r ? describe_reply(r) : c->errstr, seen[key]);
            } else {
                w->added[key] += 1;
                seen[key] = r->integer;
            }
        } else if (kind == 1) {
            r = redisCommand(c, "INCRBY counter:%d 7", key);
            if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer < seen[key] + 7) {
                snprintf(w->error, sizeof(w->error), "thread %d op %d: INCRBY counter:%d 7 -> %s (seen %lld)", w->index,
                         op, key, r ? describe_reply(r) : c->errstr, seen[key]);
            } else {
                w->added[key] += 7;
                seen[key] = r->integer;
            }
        } else if (kind == 2) {
            /* Reads never go back in time on one connection. */
            r = redisCommand(c, "GET counter:%d", key);
            long long value = r && r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0;
            bool ok = r != NULL && (r->type == REDIS_REPLY_NIL ? seen[key] == 0
                                                               : r->type == REDIS_REPLY_STRING && value >= seen[key]);
            if (!ok)
                snprintf(w->error, sizeof(w->error), "thread %d op %d: GET counter:%d -> %s (seen %lld)", w->index, op,
                         key, r ? describe_reply(r) : c->errstr, seen[key]);
            else if (r->type == REDIS_REPLY_STRING)
                seen[key] = value;
        } else {
            /* A private counter: its INCRs come back strictly in sequence. */
            r = redisCommand(c, "INCR own:%d", w->index);
            if (r == NULL || r->type != REDIS_REPLY_INTEGER || r->integer != own + 1)
                snprintf(w->error, sizeof(w->error), "thread %d op %d: INCR own:%d -> %s (expected %lld)", w->index, op,
                         w->index, r ? describe_reply(r) : c->errstr, own + 1);
            else
                own++;
        }
        if (r != NULL)
            freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

Test(clients, eight_threads_shared_counters_exact)
{
    struct worker workers[THREADS];
    pthread_t threads[THREADS];
    memset(workers, 0, sizeof(workers));
    for (int t = 0; t < THREADS; t++) {
        workers[t].index = t;
        workers[t].port = server_port();
        cr_assert(pthread_create(&threads[t], NULL, worker_main, &workers[t]) == 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(threads[t], NULL);
    for (int t = 0; t < THREADS; t++)
        cr_assert(workers[t].error[0] == '\0', "%s", workers[t].error);

    redisContext *c = client_connect();
    for (int k = 0; k < COUNTERS; k++) {
        long long total = 0;
        for (int t = 0; t < THREADS; t++)
            total += workers[t].added[k];
        if (total == 0) {
            expect_nil(cmd(c, "GET counter:%d", k));
        } else {
            char value[32];
            snprintf(value, sizeof(value), "%lld", total);
            expect_str(cmd(c, "GET counter:%d", k), value);
        }
    }
    redisFree(c);
}

Test(clients, connection_churn)
{
    redisContext *control = client_connect();
    for (int i = 0; i < 1000; i++) {
        redisContext *c = client_connect();
        if (i % 10 == 0)
            expect_status(cmd(c, "SET churn:%d x", i), "OK");
        else
            expect_status(cmd(c, "PING"), "PONG");
        redisFree(c);
    }
    expect_int(cmd(control, "DBSIZE"), 100);
    long long n = wait_for_clients(control, 1, 10000);
    cr_assert_eq(n, 1, "connected_clients is %lld after the churn", n);
    redisFree(control);
}

Test(clients, writes_are_visible_across_connections)
{
    enum { PAIRS = 16 };
    redisContext *writers[PAIRS], *readers[PAIRS];
    for (int i = 0; i < PAIRS; i++) {
        writers[i] = client_connect();
        readers[i] = client_connect();
    }
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < PAIRS; i++) {
            expect_status(cmd(writers[i], "SET shared:%d r%d", (i + round) % 100, round), "OK");
            char value[16];
            snprintf(value, sizeof(value), "r%d", round);
            expect_str(cmd(readers[i], "GET shared:%d", (i + round) % 100), value);
            expect_int(cmd(readers[i], "DEL shared:%d", (i + round) % 100), 1);
            expect_nil(cmd(writers[i], "GET shared:%d", (i + round) % 100));
        }
    }
    for (int i = 0; i < PAIRS; i++) {
        redisFree(writers[i]);
        redisFree(readers[i]);
    }
}
