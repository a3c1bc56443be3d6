/*
 * test_isolation.c - isolation of multi-key commands and transactions under
 * concurrent clients.
 *
 * Why: a thread-per-core server splits the keyspace over shard threads, so
 * MSET, MGET, MSETNX, RENAME and MULTI/EXEC touch several owners at once. In
 * Redis every command and every EXEC is atomic; these tests hammer the server
 * from several connections (which land on different shard threads) and look
 * for the anomalies a non-atomic implementation shows:
 *
 *   torn_reads: MGET sees keys from two different MSETs, or an older
 *     MSET after a newer one;
 *   msetnx_all_or_nothing: a winning MSETNX partly overwritten, a losing one
 *     partly applied;
 *   rename_never_in_both_or_neither: EXISTS a b sees 0 or 2 during RENAME;
 *   bank_transfers: MULTI; DECRBY; INCRBY; EXEC seen half-done, or lost;
 *   watch_increments, watch_increments_two_keys: WATCH/MULTI/EXEC optimistic
 *     increments lose updates, or two keys written by one EXEC differ;
 *   random_mix_no_deadlock: cross-shard locking deadlocks or drops a reply
 *     (single- and multi-key commands, COPY, DBSIZE/KEYS, rare FLUSHDB and
 *     SWAPDB barriers, MULTI/EXEC with and without WATCH).
 *
 * Distinct key names spread over the shards (with 2 or more threads); the
 * tests use several of them so that at least some pairs cross shards.
 *
 * Threads: worker threads have their own hiredis connections (10 s connect and
 * command timeouts) and never call Criterion assertions (those only work in
 * the test's main thread). They record the first problem in a shared `struct
 * run` and stop; the main thread is the watchdog: it fails the test when no
 * worker has received any reply for WATCHDOG_MS ("deadlock suspected") or the
 * whole phase outlives PHASE_DEADLINE_MS, and asserts after joining. The
 * shared state is heap-allocated and never freed on the failure path because
 * a failing assertion leaves the test while workers may still run.
 *
 * Environment:
 *   TXN_TEST_OPS      operations of the torn-read test (default 100000); the
 *                     other tests scale from it. Lower it for slow builds
 *                     (ASan).
 *   TXN_TEST_SECONDS  duration of the random-mix test (default 3).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"
#include "model.h"

TestSuite(txn, .init = server_suite_init, .fini = server_suite_fini, .timeout = 240);

enum {
    WATCHDOG_MS = 8000,         /* no reply at all for this long: deadlock suspected */
    PHASE_DEADLINE_MS = 180000, /* a whole concurrent phase, however slow the build */
    MAX_THREADS = 16,
};

static long env_long(const char *name, long fallback, long minimum)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0')
        return fallback;
    char *end;
    long value = strtol(text, &end, 10);
    cr_assert(*end == '\0' && value >= minimum, "%s=%s: expected an integer >= %ld", name, text, minimum);
    return value;
}

static long total_ops(void)
{
    return env_long("TXN_TEST_OPS", 100000, 100);
}

/* ---- Shared state of one concurrent phase ---- */

struct run {
    int port;
    long long op_budget;  /* claim_op() hands out this many operations */
    long long end_ms;     /* time-bound phases: workers stop after this */
    atomic_llong claimed; /* operations handed out */
    atomic_llong replies; /* replies received by all workers: the watchdog's progress */
    atomic_int finished;  /* workers that have returned */
    atomic_bool stop;     /* set on the first error */
    pthread_mutex_t lock; /* guards error */
    char error[1024];     /* first problem, empty if none */
};

struct worker {
    struct run *run;
    int index;
    void *test; /* the test's own state */
};

static struct run *run_new(long long op_budget)
{
    struct run *run = calloc(1, sizeof(*run));
    cr_assert(run != NULL);
    run->port = server_port();
    run->op_budget = op_budget;
    run->end_ms = 0;
    pthread_mutex_init(&run->lock, NULL);
    return run;
}

/* Records the first problem (later ones are dropped) and stops every worker. */
__attribute__((format(printf, 2, 3))) static void run_fail(struct run *run, const char *format, ...)
{
    pthread_mutex_lock(&run->lock);
    if (run->error[0] == '\0') {
        va_list args;
        va_start(args, format);
        vsnprintf(run->error, sizeof(run->error), format, args);
        va_end(args);
    }
    pthread_mutex_unlock(&run->lock);
    atomic_store(&run->stop, true);
}

static bool run_stopped(struct run *run)
{
    return atomic_load(&run->stop);
}

/* Hands out one operation of the budget; false when it is used up, the time
 * is over, or the phase stopped. */
static bool claim_op(struct run *run)
{
    if (run_stopped(run))
        return false;
    if (run->end_ms != 0)
        return now_ms() < run->end_ms;
    return atomic_fetch_add(&run->claimed, 1) < run->op_budget;
}

static redisContext *worker_connect(struct worker *w)
{
    struct timeval timeout = {.tv_sec = 10, .tv_usec = 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", w->run->port, timeout);
    if (c == NULL || c->err) {
        run_fail(w->run, "thread %d: connect: %s", w->index, c ? c->errstr : "out of memory");
        if (c != NULL)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, timeout);
    return c;
}

/* Counts a reply for the watchdog, or records a missing one. */
static redisReply *worker_got(struct worker *w, redisContext *c, redisReply *reply, const char *what)
{
    if (reply == NULL) {
        run_fail(w->run, "thread %d: no reply to %s within 10 s (deadlock suspected?): %s", w->index, what, c->errstr);
        return NULL;
    }
    atomic_fetch_add(&w->run->replies, 1);
    return reply;
}

/* One command from a worker (hiredis format). NULL after recording the
 * error when no reply came. */
static redisReply *wcmd(struct worker *w, redisContext *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    redisReply *reply = redisvCommand(c, format, args);
    va_end(args);
    return worker_got(w, c, reply, format);
}

static redisReply *wcmd_argv(struct worker *w, redisContext *c, int argc, const char **argv)
{
    return worker_got(w, c, redisCommandArgv(c, argc, argv, NULL), argv[0]);
}

/* Reply checks for workers: true when the reply is as expected; otherwise the
 * problem is recorded. They do not free the reply. */
static bool wexpect_status(struct worker *w, const redisReply *r, const char *status, const char *what)
{
    if (r != NULL && r->type == REDIS_REPLY_STATUS && strcmp(r->str, status) == 0)
        return true;
    if (r != NULL)
        run_fail(w->run, "thread %d: %s: expected %s, got %s", w->index, what, status, describe_reply(r));
    return false;
}

static bool wexpect_int(struct worker *w, const redisReply *r, long long value, const char *what)
{
    if (r != NULL && r->type == REDIS_REPLY_INTEGER && r->integer == value)
        return true;
    if (r != NULL)
        run_fail(w->run, "thread %d: %s: expected (integer) %lld, got %s", w->index, what, value, describe_reply(r));
    return false;
}

/* Runs `command` and checks for +status; frees the reply. */
static bool wstatus(struct worker *w, redisContext *c, const char *status, const char *command)
{
    redisReply *r = wcmd(w, c, command);
    bool ok = wexpect_status(w, r, status, command);
    if (r != NULL)
        freeReplyObject(r);
    return ok;
}

static unsigned pick(uint64_t *state, unsigned n)
{
    return (unsigned)(xorshift_next(state) % n);
}

/* The first worker error, copied under the lock (workers may still run), or
 * "(none)". Valid until the next call. */
static const char *run_error_copy(struct run *run)
{
    static char copy[sizeof(run->error)];
    pthread_mutex_lock(&run->lock);
    snprintf(copy, sizeof(copy), "%s", run->error[0] ? run->error : "(none)");
    pthread_mutex_unlock(&run->lock);
    return copy;
}

/* Starts `count` workers running `body`, watches them, joins them and fails
 * the test on the first recorded problem. The workers array stays allocated
 * (the test may read results from it). */
static struct worker *run_workers(struct run *run, int count, void *(*body)(void *), void *test)
{
    cr_assert(count <= MAX_THREADS);
    struct worker *workers = calloc((size_t)count, sizeof(*workers));
    pthread_t *threads = calloc((size_t)count, sizeof(*threads));
    cr_assert(workers != NULL && threads != NULL);
    for (int i = 0; i < count; i++) {
        workers[i] = (struct worker){.run = run, .index = i, .test = test};
        cr_assert(pthread_create(&threads[i], NULL, body, &workers[i]) == 0, "pthread_create failed");
    }
    long long start = now_ms();
    long long last_replies = -1, last_progress = start;
    while (atomic_load(&run->finished) < count) {
        sleep_ms(20);
        long long now = now_ms(), replies = atomic_load(&run->replies);
        if (replies != last_replies) {
            last_replies = replies;
            last_progress = now;
        }
        if (now - last_progress > WATCHDOG_MS) {
            atomic_store(&run->stop, true);
            cr_assert_fail("deadlock suspected: no progress for %d s (no worker got a reply; %d of %d workers "
                           "still running, %lld replies so far). First worker error: %s",
                           WATCHDOG_MS / 1000, count - atomic_load(&run->finished), count, replies,
                           run_error_copy(run));
        }
        if (now - start > PHASE_DEADLINE_MS) {
            atomic_store(&run->stop, true);
            cr_assert_fail("phase did not finish within %d s (%lld replies so far). First worker error: %s",
                           PHASE_DEADLINE_MS / 1000, replies, run_error_copy(run));
        }
    }
    for (int i = 0; i < count; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    cr_assert(run->error[0] == '\0', "%s", run->error);
    return workers;
}

/* Every worker body ends with this (also on error paths). */
static void *worker_done(struct worker *w, redisContext *c)
{
    if (c != NULL)
        redisFree(c);
    atomic_fetch_add(&w->run->finished, 1);
    return NULL;
}

/* An argv of `command` followed by the keys "<prefix>0".."<prefix>(n-1)",
 * each followed by `value` when value is not NULL. Caller frees with
 * free_argv(). */
static const char **keys_argv(const char *command, const char *prefix, int n, const char *value, int *argc)
{
    int count = 1 + n * (value != NULL ? 2 : 1);
    const char **argv = calloc((size_t)count, sizeof(*argv));
    argv[0] = strdup(command);
    int used = 1;
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        argv[used++] = strdup(name);
        if (value != NULL)
            argv[used++] = strdup(value);
    }
    *argc = count;
    return argv;
}

static void free_argv(const char **argv, int argc)
{
    for (int i = 0; i < argc; i++)
        free((char *)argv[i]);
    free(argv);
}

/* ---- Torn reads: MSET vs MGET ---- */

enum { TORN_KEYS = 8, TORN_WRITERS = 3, TORN_READERS = 3 };

/* Parses "w<writer>:<version>" (or "init"). Returns false for anything else. */
static bool parse_version(const redisReply *r, int *writer, long long *version)
{
    if (r->type != REDIS_REPLY_STRING)
        return false;
    if (strcmp(r->str, "init") == 0) {
        *writer = -1;
        *version = 0;
        return true;
    }
    char tail;
    return sscanf(r->str, "w%d:%lld%c", writer, version, &tail) == 2 && *writer >= 0 && *writer < TORN_WRITERS;
}

static void *torn_writer(void *arg)
{
    struct worker *w = arg;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    for (long long version = 1; claim_op(w->run); version++) {
        char value[64];
        snprintf(value, sizeof(value), "w%d:%lld", w->index, version);
        int argc;
        const char **argv = keys_argv("MSET", "torn:", TORN_KEYS, value, &argc);
        redisReply *r = wcmd_argv(w, c, argc, argv);
        free_argv(argv, argc);
        bool ok = wexpect_status(w, r, "OK", "MSET");
        if (r != NULL)
            freeReplyObject(r);
        if (!ok)
            break;
    }
    return worker_done(w, c);
}

static void *torn_reader(void *arg)
{
    struct worker *w = arg;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    long long seen[TORN_WRITERS] = {0}; /* newest version of each writer this reader saw */
    int mget_argc, exists_argc;
    const char **mget = keys_argv("MGET", "torn:", TORN_KEYS, NULL, &mget_argc);
    const char **exists = keys_argv("EXISTS", "torn:", TORN_KEYS, NULL, &exists_argc);
    for (long long i = 0; claim_op(w->run); i++) {
        if (i % 8 == 7) {
            redisReply *r = wcmd_argv(w, c, exists_argc, exists);
            bool ok = wexpect_int(w, r, TORN_KEYS, "EXISTS torn:0..7");
            if (r != NULL)
                freeReplyObject(r);
            if (!ok)
                break;
            continue;
        }
        redisReply *r = wcmd_argv(w, c, mget_argc, mget);
        if (r == NULL)
            break;
        bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == TORN_KEYS;
        int writer = -1;
        long long version = 0;
        for (size_t k = 0; ok && k < r->elements; k++)
            ok = parse_version(r->element[k], &writer, &version) && strcmp(r->element[k]->str, r->element[0]->str) == 0;
        if (!ok) {
            run_fail(w->run, "reader %d: torn read: MGET torn:0..7 returned %s", w->index, describe_reply(r));
        } else if (writer >= 0 && version < seen[writer]) {
            run_fail(w->run, "reader %d: went back in time: saw w%d:%lld after w%d:%lld", w->index, writer, version,
                     writer, seen[writer]);
            ok = false;
        } else if (writer >= 0) {
            seen[writer] = version;
        }
        freeReplyObject(r);
        if (!ok)
            break;
    }
    free_argv(mget, mget_argc);
    free_argv(exists, exists_argc);
    return worker_done(w, c);
}

static void *torn_body(void *arg)
{
    struct worker *w = arg;
    return w->index < TORN_WRITERS ? torn_writer(arg) : torn_reader(arg);
}

Test(txn, torn_reads)
{
    redisContext *c = client_connect();
    for (int k = 0; k < TORN_KEYS; k++)
        expect_status(cmd(c, "SET torn:%d init", k), "OK");

    struct run *run = run_new(total_ops());
    /* Readers index TORN_WRITERS.., writers 0..TORN_WRITERS-1. */
    run_workers(run, TORN_WRITERS + TORN_READERS, torn_body, NULL);
    cr_assert(atomic_load(&run->replies) >= run->op_budget, "only %lld of %lld operations ran",
              (long long)atomic_load(&run->replies), run->op_budget);

    /* The final state is one writer's last MSET. */
    redisReply *r = expect_array(cmd_with_keys(c, "MGET", "torn:", TORN_KEYS), TORN_KEYS);
    for (int k = 0; k < TORN_KEYS; k++)
        cr_assert(r->element[k]->type == REDIS_REPLY_STRING && strcmp(r->element[k]->str, r->element[0]->str) == 0,
                  "final state is torn: %s", describe_reply(r));
    freeReplyObject(r);
    redisFree(c);
}

/* ---- MSETNX: all or nothing ---- */

/* Each round uses fresh keys nx:<round>:0..11. Thread t tries MSETNX on the
 * six keys starting at 3t (wrapping), so every set overlaps its two
 * neighbours' and is disjoint from the opposite one. A barrier starts the
 * threads of a round together. */
enum { NX_THREADS = 4, NX_KEYS = 12, NX_SET = 6, NX_STRIDE = 3 };

struct msetnx_test {
    int rounds;
    pthread_barrier_t barrier;
    int *result; /* [round * NX_THREADS + thread]: 1, 0, or -1 (no reply) */
};

static int nx_key(int thread, int i)
{
    return (thread * NX_STRIDE + i) % NX_KEYS;
}

static bool nx_in_set(int thread, int key)
{
    for (int i = 0; i < NX_SET; i++)
        if (nx_key(thread, i) == key)
            return true;
    return false;
}

static void *msetnx_body(void *arg)
{
    struct worker *w = arg;
    struct msetnx_test *t = w->test;
    redisContext *c = worker_connect(w);
    char value[16];
    snprintf(value, sizeof(value), "t%d", w->index);
    for (int round = 0; round < t->rounds; round++) {
        /* Every thread waits at every barrier, even after a problem, so
         * that no other thread is left waiting. */
        pthread_barrier_wait(&t->barrier);
        t->result[round * NX_THREADS + w->index] = -1;
        if (c == NULL || run_stopped(w->run))
            continue;
        const char *argv[1 + 2 * NX_SET];
        char names[NX_SET][32];
        argv[0] = "MSETNX";
        for (int i = 0; i < NX_SET; i++) {
            snprintf(names[i], sizeof(names[i]), "nx:%d:%d", round, nx_key(w->index, i));
            argv[1 + 2 * i] = names[i];
            argv[2 + 2 * i] = value;
        }
        redisReply *r = wcmd_argv(w, c, 1 + 2 * NX_SET, argv);
        if (r == NULL)
            continue;
        if (r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1))
            t->result[round * NX_THREADS + w->index] = (int)r->integer;
        else
            run_fail(w->run, "thread %d: MSETNX: expected 0 or 1, got %s", w->index, describe_reply(r));
        freeReplyObject(r);
    }
    return worker_done(w, c);
}

Test(txn, msetnx_all_or_nothing)
{
    struct msetnx_test *t = calloc(1, sizeof(*t));
    t->rounds = (int)(total_ops() / 50 > 20 ? total_ops() / 50 : 20);
    t->result = calloc((size_t)t->rounds * NX_THREADS, sizeof(int));
    cr_assert(t->result != NULL);
    pthread_barrier_init(&t->barrier, NULL, NX_THREADS);
    struct run *run = run_new(0);
    run_workers(run, NX_THREADS, msetnx_body, t);

    redisContext *c = client_connect();
    for (int round = 0; round < t->rounds; round++) {
        cr_assert(redisAppendCommand(c,
                                     "MGET nx:%d:0 nx:%d:1 nx:%d:2 nx:%d:3 nx:%d:4 nx:%d:5 nx:%d:6 nx:%d:7 nx:%d:8 "
                                     "nx:%d:9 nx:%d:10 nx:%d:11",
                                     round, round, round, round, round, round, round, round, round, round, round,
                                     round) == REDIS_OK);
    }
    long long winners_total = 0;
    for (int round = 0; round < t->rounds; round++) {
        redisReply *r = expect_array(next_reply(c), NX_KEYS);
        const int *result = &t->result[round * NX_THREADS];
        int owner[NX_KEYS]; /* thread whose id the key holds, -1 if unset */
        for (int k = 0; k < NX_KEYS; k++) {
            const redisReply *e = r->element[k];
            owner[k] = -1;
            if (e->type == REDIS_REPLY_NIL)
                continue;
            char tail;
            cr_assert(e->type == REDIS_REPLY_STRING && sscanf(e->str, "t%d%c", &owner[k], &tail) == 1 &&
                          owner[k] >= 0 && owner[k] < NX_THREADS,
                      "round %d: key nx:%d:%d holds %s", round, round, k, describe_reply(e));
            /* Only a successful MSETNX that covers the key may have set it. */
            cr_assert(result[owner[k]] == 1 && nx_in_set(owner[k], k),
                      "round %d: key %d holds t%d, whose MSETNX replied %d and %s the key; round: %s", round, k,
                      owner[k], result[owner[k]], nx_in_set(owner[k], k) ? "covers" : "does not cover",
                      describe_reply(r));
        }
        int winners = 0;
        for (int thread = 0; thread < NX_THREADS; thread++) {
            if (result[thread] == 1) {
                winners++;
                for (int i = 0; i < NX_SET; i++)
                    cr_assert(owner[nx_key(thread, i)] == thread,
                              "round %d: t%d's MSETNX replied 1 but key %d holds %s: %s", round, thread,
                              nx_key(thread, i), describe_reply(r->element[nx_key(thread, i)]), describe_reply(r));
            } else {
                /* It lost to someone: one of its keys holds another id. */
                bool blocked = false;
                for (int i = 0; i < NX_SET; i++)
                    blocked = blocked || (owner[nx_key(thread, i)] != -1 && owner[nx_key(thread, i)] != thread);
                cr_assert(blocked, "round %d: t%d's MSETNX replied %d but none of its keys is held by a winner: %s",
                          round, thread, result[thread], describe_reply(r));
            }
        }
        /* In any serial order the first MSETNX wins, the two sets overlapping
         * it lose and the one disjoint from it wins: exactly two winners. */
        cr_assert(winners == 2, "round %d: %d MSETNX calls replied 1, a serial order gives exactly 2: %s", round,
                  winners, describe_reply(r));
        winners_total += winners;
        freeReplyObject(r);
    }
    cr_log_info("msetnx: %d rounds, %lld winners", t->rounds, winners_total);
    redisFree(c);
}

/* ---- RENAME between shards ---- */

/* Pair p is ren:a<p> / ren:b<p> holding "v<p>"; worker p < REN_PAIRS renames
 * it back and forth, the others read random pairs. */
enum { REN_PAIRS = 4, REN_READERS = 2 };

static void *rename_body(void *arg)
{
    struct worker *w = arg;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    if (w->index < REN_PAIRS) {
        int p = w->index;
        for (bool at_a = true; claim_op(w->run); at_a = !at_a) {
            redisReply *r =
                at_a ? wcmd(w, c, "RENAME ren:a%d ren:b%d", p, p) : wcmd(w, c, "RENAME ren:b%d ren:a%d", p, p);
            bool ok = wexpect_status(w, r, "OK", at_a ? "RENAME a b" : "RENAME b a");
            if (r != NULL)
                freeReplyObject(r);
            if (!ok)
                break;
        }
        return worker_done(w, c);
    }
    uint64_t random = 0x9e3779b97f4a7c15ULL * (uint64_t)(w->index + 1);
    for (long long i = 0; claim_op(w->run); i++) {
        int p = (int)pick(&random, REN_PAIRS);
        if (i % 4 == 3) {
            redisReply *r = wcmd(w, c, "MGET ren:a%d ren:b%d", p, p);
            if (r == NULL)
                break;
            char value[16];
            snprintf(value, sizeof(value), "v%d", p);
            bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2;
            int present = 0;
            for (size_t k = 0; ok && k < 2; k++) {
                const redisReply *e = r->element[k];
                if (e->type == REDIS_REPLY_STRING && strcmp(e->str, value) == 0)
                    present++;
                else if (e->type != REDIS_REPLY_NIL)
                    ok = false;
            }
            if (!ok || present != 1)
                run_fail(w->run, "reader %d: MGET ren:a%d ren:b%d during RENAME: %s (want exactly one \"%s\")",
                         w->index, p, p, describe_reply(r), value);
            freeReplyObject(r);
            if (!ok || present != 1)
                break;
        } else {
            redisReply *r = wcmd(w, c, "EXISTS ren:a%d ren:b%d", p, p);
            char what[64];
            snprintf(what, sizeof(what), "EXISTS ren:a%d ren:b%d during RENAME", p, p);
            bool ok = wexpect_int(w, r, 1, what);
            if (r != NULL)
                freeReplyObject(r);
            if (!ok)
                break;
        }
    }
    return worker_done(w, c);
}

Test(txn, rename_never_in_both_or_neither)
{
    redisContext *c = client_connect();
    for (int p = 0; p < REN_PAIRS; p++)
        expect_status(cmd(c, "SET ren:a%d v%d", p, p), "OK");
    struct run *run = run_new(total_ops() / 4);
    run_workers(run, REN_PAIRS + REN_READERS, rename_body, NULL);
    for (int p = 0; p < REN_PAIRS; p++)
        expect_int(cmd(c, "EXISTS ren:a%d ren:b%d", p, p), 1);
    expect_int(cmd(c, "DBSIZE"), REN_PAIRS);
    redisFree(c);
}

/* ---- Bank transfers in MULTI/EXEC ---- */

enum { BANK_ACCOUNTS = 10, BANK_TRANSFERRERS = 3, BANK_INITIAL = 1000 };

struct bank_test {
    long long delta[BANK_TRANSFERRERS][BANK_ACCOUNTS]; /* what each transferrer moved */
    atomic_llong checks;
};

static bool bank_sum(const redisReply *r, long long *sum)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements != BANK_ACCOUNTS)
        return false;
    *sum = 0;
    for (size_t k = 0; k < r->elements; k++) {
        char *end;
        if (r->element[k]->type != REDIS_REPLY_STRING)
            return false;
        *sum += strtoll(r->element[k]->str, &end, 10);
        if (*end != '\0')
            return false;
    }
    return true;
}

static void *bank_body(void *arg)
{
    struct worker *w = arg;
    struct bank_test *t = w->test;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    if (w->index == BANK_TRANSFERRERS) { /* the checker */
        int argc;
        const char **argv = keys_argv("MGET", "acct:", BANK_ACCOUNTS, NULL, &argc);
        while (claim_op(w->run)) {
            redisReply *r = wcmd_argv(w, c, argc, argv);
            if (r == NULL)
                break;
            long long sum;
            bool ok = bank_sum(r, &sum) && sum == BANK_ACCOUNTS * BANK_INITIAL;
            if (!ok)
                run_fail(w->run, "checker: MGET of all accounts during transfers: %s (sum must stay %d)",
                         describe_reply(r), BANK_ACCOUNTS * BANK_INITIAL);
            freeReplyObject(r);
            if (!ok)
                break;
            atomic_fetch_add(&t->checks, 1);
        }
        free_argv(argv, argc);
        return worker_done(w, c);
    }
    uint64_t random = 0x2545F4914F6CDD1DULL * (uint64_t)(w->index + 7);
    while (claim_op(w->run)) {
        int from = (int)pick(&random, BANK_ACCOUNTS);
        int to = (int)pick(&random, BANK_ACCOUNTS - 1);
        if (to >= from)
            to++;
        int amount = 1 + (int)pick(&random, 50);
        if (!wstatus(w, c, "OK", "MULTI"))
            break;
        redisReply *r = wcmd(w, c, "DECRBY acct:%d %d", from, amount);
        bool ok = wexpect_status(w, r, "QUEUED", "DECRBY in MULTI");
        if (r != NULL)
            freeReplyObject(r);
        if (!ok)
            break;
        r = wcmd(w, c, "INCRBY acct:%d %d", to, amount);
        ok = wexpect_status(w, r, "QUEUED", "INCRBY in MULTI");
        if (r != NULL)
            freeReplyObject(r);
        if (!ok)
            break;
        r = wcmd(w, c, "EXEC");
        if (r == NULL)
            break;
        ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_INTEGER &&
             r->element[1]->type == REDIS_REPLY_INTEGER;
        if (!ok)
            run_fail(w->run, "thread %d: EXEC of a transfer: expected two integers, got %s", w->index,
                     describe_reply(r));
        freeReplyObject(r);
        if (!ok)
            break;
        t->delta[w->index][from] -= amount;
        t->delta[w->index][to] += amount;
    }
    return worker_done(w, c);
}

Test(txn, bank_transfers)
{
    redisContext *c = client_connect();
    for (int a = 0; a < BANK_ACCOUNTS; a++)
        expect_status(cmd(c, "SET acct:%d %d", a, BANK_INITIAL), "OK");
    struct bank_test *t = calloc(1, sizeof(*t));
    struct run *run = run_new(total_ops() / 8);
    run_workers(run, BANK_TRANSFERRERS + 1, bank_body, t);
    cr_assert(atomic_load(&t->checks) > 0, "the checker never ran");

    redisReply *r = expect_array(cmd_with_keys(c, "MGET", "acct:", BANK_ACCOUNTS), BANK_ACCOUNTS);
    long long sum = 0;
    for (int a = 0; a < BANK_ACCOUNTS; a++) {
        long long want = BANK_INITIAL;
        for (int thread = 0; thread < BANK_TRANSFERRERS; thread++)
            want += t->delta[thread][a];
        char text[32];
        snprintf(text, sizeof(text), "%lld", want);
        cr_assert(r->element[a]->type == REDIS_REPLY_STRING && strcmp(r->element[a]->str, text) == 0,
                  "acct:%d is %s, the transfers that succeeded add up to %s", a, describe_reply(r->element[a]), text);
        sum += want;
    }
    cr_assert_eq(sum, BANK_ACCOUNTS * BANK_INITIAL);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- WATCH-based optimistic increments ---- */

enum { WATCH_CLIENTS = 4, MAX_ATTEMPTS_PER_INCREMENT = 10000 };

struct watch_test {
    int increments; /* per client */
    bool shadow;    /* also keep counter-shadow equal to counter */
    atomic_llong attempts;
};

/* One WATCH/GET/MULTI/SET/EXEC attempt. Returns 1 when EXEC ran, 0 when it
 * replied nil (retry), -1 after recording a problem. */
static int watch_attempt(struct worker *w, redisContext *c, bool shadow)
{
    if (!wstatus(w, c, "OK", shadow ? "WATCH counter counter-shadow" : "WATCH counter"))
        return -1;
    redisReply *r = wcmd(w, c, "MGET counter counter-shadow");
    if (r == NULL)
        return -1;
    long long value = 0;
    bool ok = r->type == REDIS_REPLY_ARRAY && r->elements == 2;
    if (ok && r->element[0]->type == REDIS_REPLY_STRING)
        value = atoll(r->element[0]->str);
    else if (ok)
        ok = r->element[0]->type == REDIS_REPLY_NIL;
    if (ok && shadow) {
        /* Both are written by the same EXEC, so MGET never sees them differ. */
        const redisReply *a = r->element[0], *b = r->element[1];
        ok = a->type == b->type && (a->type == REDIS_REPLY_NIL || strcmp(a->str, b->str) == 0);
    }
    if (!ok)
        run_fail(w->run, "thread %d: MGET counter counter-shadow: %s", w->index, describe_reply(r));
    freeReplyObject(r);
    if (!ok)
        return -1;
    if (!wstatus(w, c, "OK", "MULTI"))
        return -1;
    size_t queued = shadow ? 2 : 1;
    for (size_t i = 0; i < queued; i++) {
        r = wcmd(w, c, "SET %s %lld", i == 0 ? "counter" : "counter-shadow", value + 1);
        ok = wexpect_status(w, r, "QUEUED", "SET in MULTI");
        if (r != NULL)
            freeReplyObject(r);
        if (!ok)
            return -1;
    }
    r = wcmd(w, c, "EXEC");
    if (r == NULL)
        return -1;
    int outcome;
    bool all_ok = r->type == REDIS_REPLY_ARRAY && r->elements == queued;
    for (size_t i = 0; all_ok && i < queued; i++)
        all_ok = r->element[i]->type == REDIS_REPLY_STATUS && strcmp(r->element[i]->str, "OK") == 0;
    if (r->type == REDIS_REPLY_NIL) {
        outcome = 0;
    } else if (all_ok) {
        outcome = 1;
    } else {
        run_fail(w->run, "thread %d: EXEC of a watched increment: %s", w->index, describe_reply(r));
        outcome = -1;
    }
    freeReplyObject(r);
    return outcome;
}

static void *watch_body(void *arg)
{
    struct worker *w = arg;
    struct watch_test *t = w->test;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    for (int done = 0; done < t->increments && !run_stopped(w->run); done++) {
        int attempts = 0, outcome;
        do {
            attempts++;
            outcome = watch_attempt(w, c, t->shadow);
        } while (outcome == 0 && attempts < MAX_ATTEMPTS_PER_INCREMENT && !run_stopped(w->run));
        atomic_fetch_add(&t->attempts, attempts);
        if (outcome == 0 && attempts >= MAX_ATTEMPTS_PER_INCREMENT)
            run_fail(w->run, "thread %d: livelock suspected: %d WATCH/EXEC attempts in a row replied nil", w->index,
                     attempts);
        if (outcome != 1)
            break;
    }
    return worker_done(w, c);
}

static void run_watch_increments(bool shadow)
{
    struct watch_test *t = calloc(1, sizeof(*t));
    t->increments = (int)(total_ops() / 400 > 5 ? total_ops() / 400 : 5);
    t->shadow = shadow;
    struct run *run = run_new(0);
    run_workers(run, WATCH_CLIENTS, watch_body, t);
    cr_log_info("%d increments took %lld attempts", WATCH_CLIENTS * t->increments,
                (long long)atomic_load(&t->attempts));

    redisContext *c = client_connect();
    char want[32];
    snprintf(want, sizeof(want), "%d", WATCH_CLIENTS * t->increments);
    if (shadow)
        expect_strs(cmd(c, "MGET counter counter-shadow"), 2, want, want);
    else
        expect_strs(cmd(c, "MGET counter counter-shadow"), 2, want, NULL);
    redisFree(c);
}

Test(txn, watch_increments)
{
    run_watch_increments(false);
}

Test(txn, watch_increments_two_keys)
{
    run_watch_increments(true);
}

/* ---- Random mix: no deadlock, every command answered ---- */

/* Commands over the 16 keys mix:0..15, whose values are always integers. A
 * server that locks shards for multi-key commands and transactions in
 * inconsistent orders deadlocks here (MSET a b vs MSET b a, RENAME a b vs
 * RENAME b a, transactions over overlapping keys). */
enum { MIX_THREADS = 4, MIX_KEYS = 16, MIX_MAX_SUBSET = 6, MIX_MAX_QUEUED = 5 };

enum mix_kind {
    MIX_SET,
    MIX_GET,
    MIX_INCR,
    MIX_MSET,
    MIX_MGET,
    MIX_DEL,
    MIX_RENAME,
    MIX_MSETNX,
    MIX_EXISTS,
    MIX_COPY,    /* COPY a b REPLACE: moves a value between shards */
    MIX_DBSIZE,  /* keyless: waits for the shard's transactions */
    MIX_KEYSCMD, /* KEYS: keyless, too */
    MIX_FLUSHDB, /* global barrier (rare) */
    MIX_SWAPDB,  /* global barrier (rare) */
    MIX_KINDS
};

struct mix_command {
    enum mix_kind kind;
    int keys; /* number of keys named */
    int argc;
    const char *argv[2 + 2 * MIX_MAX_SUBSET];
    char words[2 + 2 * MIX_MAX_SUBSET][24];
};

static void mix_word(struct mix_command *m, const char *format, long long value)
{
    snprintf(m->words[m->argc], sizeof(m->words[m->argc]), format, value);
    m->argv[m->argc] = m->words[m->argc];
    m->argc++;
}

/* Distinct random key indexes, n of them. */
static void mix_subset(uint64_t *random, int *out, int n)
{
    int all[MIX_KEYS];
    for (int i = 0; i < MIX_KEYS; i++)
        all[i] = i;
    for (int i = 0; i < n; i++) {
        int j = i + (int)pick(random, (unsigned)(MIX_KEYS - i));
        int tmp = all[i];
        all[i] = all[j];
        all[j] = tmp;
        out[i] = all[i];
    }
}

static void mix_build(uint64_t *random, struct mix_command *m)
{
    static const char *const names[MIX_KINDS] = {"SET",    "GET",    "INCR", "MSET",   "MGET", "DEL",     "RENAME",
                                                 "MSETNX", "EXISTS", "COPY", "DBSIZE", "KEYS", "FLUSHDB", "SWAPDB"};
    m->kind = (enum mix_kind)pick(random, MIX_KINDS);
    if ((m->kind == MIX_FLUSHDB || m->kind == MIX_SWAPDB) && pick(random, 20) != 0)
        m->kind = MIX_GET; /* barriers stay rare, or the keyspace stays empty */
    m->argv[0] = names[m->kind];
    m->argc = 1;
    int keys[MIX_MAX_SUBSET];
    switch (m->kind) {
    case MIX_DBSIZE:
    case MIX_FLUSHDB:
        m->keys = 0;
        return;
    case MIX_KEYSCMD:
        m->keys = 0;
        m->argv[m->argc++] = "mix:*";
        return;
    case MIX_SWAPDB:
        m->keys = 0;
        m->argv[m->argc++] = "0";
        m->argv[m->argc++] = "1";
        return;
    case MIX_COPY:
        m->keys = 2;
        break;
    case MIX_SET:
    case MIX_GET:
    case MIX_INCR:
        m->keys = 1;
        break;
    case MIX_RENAME:
        m->keys = 2;
        break;
    default:
        m->keys = 1 + (int)pick(random, MIX_MAX_SUBSET);
    }
    mix_subset(random, keys, m->keys);
    if (m->kind == MIX_RENAME && pick(random, 8) == 0)
        keys[1] = keys[0]; /* RENAME k k */
    if (m->kind == MIX_COPY && keys[1] == keys[0])
        keys[1] = (keys[0] + 1) % MIX_KEYS; /* COPY k k is an error */
    bool with_values = m->kind == MIX_SET || m->kind == MIX_MSET || m->kind == MIX_MSETNX;
    for (int i = 0; i < m->keys; i++) {
        mix_word(m, "mix:%lld", keys[i]);
        if (with_values)
            mix_word(m, "%lld", (long long)pick(random, 1000));
    }
    if (m->kind == MIX_COPY)
        m->argv[m->argc++] = "REPLACE";
}

/* NULL when `r` is a valid reply to `m`, else what is wrong. */
static const char *mix_check(const struct mix_command *m, const redisReply *r)
{
    switch (m->kind) {
    case MIX_SET:
    case MIX_MSET:
    case MIX_FLUSHDB:
    case MIX_SWAPDB:
        return r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0 ? NULL : "expected +OK";
    case MIX_COPY:
        return r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1) ? NULL : "expected 0 or 1";
    case MIX_DBSIZE:
        return r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= MIX_KEYS
                   ? NULL
                   : "expected an integer between 0 and the number of keys";
    case MIX_KEYSCMD:
        if (r->type != REDIS_REPLY_ARRAY || r->elements > MIX_KEYS)
            return "expected an array of at most every key";
        return NULL;
    case MIX_GET:
        return r->type == REDIS_REPLY_NIL || r->type == REDIS_REPLY_STRING ? NULL : "expected a bulk string or nil";
    case MIX_INCR:
        return r->type == REDIS_REPLY_INTEGER ? NULL : "expected an integer (values are always integers)";
    case MIX_MGET:
        if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)m->keys)
            return "expected an array with one element per key";
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type != REDIS_REPLY_NIL && r->element[i]->type != REDIS_REPLY_STRING)
                return "expected bulk strings or nils";
        return NULL;
    case MIX_DEL:
    case MIX_EXISTS:
        return r->type == REDIS_REPLY_INTEGER && r->integer >= 0 && r->integer <= m->keys
                   ? NULL
                   : "expected an integer between 0 and the number of keys";
    case MIX_MSETNX:
        return r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1) ? NULL : "expected 0 or 1";
    case MIX_RENAME:
        if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0)
            return NULL;
        return r->type == REDIS_REPLY_ERROR && strcmp(r->str, "ERR no such key") == 0 ? NULL
                                                                                      : "expected +OK or no such key";
    default:
        return "unknown kind";
    }
}

static const char *mix_describe(const struct mix_command *m)
{
    static _Thread_local char text[256];
    size_t used = 0;
    text[0] = '\0';
    for (int i = 0; i < m->argc && used < sizeof(text); i++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%s%s", i ? " " : "", m->argv[i]);
    return text;
}

struct mix_test {
    atomic_llong commands;
    atomic_llong transactions;
};

static void *mix_body(void *arg)
{
    struct worker *w = arg;
    struct mix_test *t = w->test;
    redisContext *c = worker_connect(w);
    if (c == NULL)
        return worker_done(w, NULL);
    uint64_t random = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(w->index + 1) * 0x100000001b3ULL);
    while (claim_op(w->run)) {
        if (pick(&random, 4) == 0) { /* a transaction */
            struct mix_command queued[MIX_MAX_QUEUED];
            int n = 1 + (int)pick(&random, MIX_MAX_QUEUED);
            bool watched = pick(&random, 3) == 0;
            if (watched) { /* then EXEC may answer nil */
                redisReply *wr =
                    wcmd(w, c, "WATCH mix:%d mix:%d", (int)pick(&random, MIX_KEYS), (int)pick(&random, MIX_KEYS));
                bool wok = wexpect_status(w, wr, "OK", "WATCH");
                if (wr != NULL)
                    freeReplyObject(wr);
                if (!wok)
                    break;
            }
            if (!wstatus(w, c, "OK", "MULTI"))
                break;
            bool ok = true;
            for (int i = 0; ok && i < n; i++) {
                mix_build(&random, &queued[i]);
                redisReply *r = wcmd_argv(w, c, queued[i].argc, queued[i].argv);
                ok = wexpect_status(w, r, "QUEUED", mix_describe(&queued[i]));
                if (r != NULL)
                    freeReplyObject(r);
            }
            if (!ok)
                break;
            redisReply *r = wcmd(w, c, "EXEC");
            if (r == NULL)
                break;
            if (watched && r->type == REDIS_REPLY_NIL) { /* a watched key changed: nothing ran */
                freeReplyObject(r);
                atomic_fetch_add(&t->transactions, 1);
                continue;
            }
            if (r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n) {
                run_fail(w->run, "thread %d: EXEC of %d commands: %s", w->index, n, describe_reply(r));
                ok = false;
            }
            for (int i = 0; ok && i < n; i++) {
                const char *problem = mix_check(&queued[i], r->element[i]);
                if (problem != NULL) {
                    run_fail(w->run, "thread %d: in EXEC, %s: %s, got %s", w->index, mix_describe(&queued[i]), problem,
                             describe_reply(r->element[i]));
                    ok = false;
                }
            }
            freeReplyObject(r);
            if (!ok)
                break;
            atomic_fetch_add(&t->transactions, 1);
            continue;
        }
        struct mix_command m;
        mix_build(&random, &m);
        redisReply *r = wcmd_argv(w, c, m.argc, m.argv);
        if (r == NULL)
            break;
        const char *problem = mix_check(&m, r);
        if (problem != NULL)
            run_fail(w->run, "thread %d: %s: %s, got %s", w->index, mix_describe(&m), problem, describe_reply(r));
        freeReplyObject(r);
        if (problem != NULL)
            break;
        atomic_fetch_add(&t->commands, 1);
    }
    return worker_done(w, c);
}

Test(txn, random_mix_no_deadlock)
{
    long seconds = env_long("TXN_TEST_SECONDS", 3, 1);
    struct mix_test *t = calloc(1, sizeof(*t));
    struct run *run = run_new(0);
    run->end_ms = now_ms() + seconds * 1000;
    run_workers(run, MIX_THREADS, mix_body, t);
    cr_log_info("random mix: %lld commands, %lld transactions in %ld s", (long long)atomic_load(&t->commands),
                (long long)atomic_load(&t->transactions), seconds);
    cr_assert(atomic_load(&t->commands) > 0 && atomic_load(&t->transactions) > 0, "the mix ran nothing");

    redisContext *c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    long long keys = dbsize(c);
    cr_assert(keys >= 0 && keys <= MIX_KEYS, "DBSIZE %lld after a mix over %d keys", keys, MIX_KEYS);
    redisReply *r = expect_array(cmd_with_keys(c, "MGET", "mix:", MIX_KEYS), MIX_KEYS);
    long long present = 0;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        char *end = NULL;
        if (e->type == REDIS_REPLY_STRING)
            strtoll(e->str, &end, 10);
        cr_assert(e->type == REDIS_REPLY_NIL || (e->type == REDIS_REPLY_STRING && end != e->str && *end == '\0'),
                  "mix:%zu holds %s", i, describe_reply(e));
        present += e->type == REDIS_REPLY_STRING;
    }
    cr_assert_eq(present, keys, "MGET finds %lld keys, DBSIZE says %lld", present, keys);
    freeReplyObject(r);
    redisFree(c);
}
