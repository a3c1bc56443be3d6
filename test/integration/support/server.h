/*
 * server.h - start and stop one server process per integration test.
 *
 * The server under test is the executable named by $SHARDIS_SERVER (set by
 * ctest to the freshly built shardis-server). When its basename is
 * "redis-server" it is started the way Redis expects, which lets every test be
 * validated against the reference implementation. $SHARDIS_THREADS picks the
 * shard thread count for shardis (default 2).
 *
 *   shardis: --port P --bind 127.0.0.1 --threads N --loglevel warning --save ""
 *            --enable-debug-command yes --enable-protected-configs yes
 *   redis:   --port P --bind 127.0.0.1 --save "" --appendonly no
 *            --daemonize no --enable-debug-command local
 *            --enable-protected-configs local
 *
 * (Redis 7 and shardis refuse DEBUG and CONFIG SET dir/dbfilename unless
 * enabled; the connection tests use DEBUG SLEEP, the persistence tests
 * CONFIG SET dir.)
 * The server's cwd is a private temp dir holding server.log; it is removed at
 * stop unless $SHARDIS_KEEP_LOGS is set and the server misbehaved.
 *
 * Lifetime: Criterion runs every test in its own worker process and calls the
 * suite's .init/.fini there, so server_suite_init()/server_suite_fini() give
 * each test a fresh server on a free loopback port. The server is a child of
 * the worker and gets SIGKILL if the worker dies (PR_SET_PDEATHSIG), so a
 * crashed or timed-out test never leaves a server behind. The state of the one
 * running server lives in server.c because Criterion's init/fini hooks take no
 * argument; tests read it through server_port() and friends. Criterion does
 * not call .fini for a test that calls cr_skip_test(), so server_suite_init()
 * also registers the stop with atexit(); stopping twice is harmless.
 */
#ifndef SHARDIS_IT_SERVER_H
#define SHARDIS_IT_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

/* One running server. Owned by the test worker process. */
struct test_server {
    pid_t pid;          /* 0 once stopped */
    int port;           /* loopback TCP port it listens on */
    int threads;        /* --threads passed to shardis (informational for Redis) */
    bool is_redis;      /* the reference redis-server, not shardis */
    char dir[256];      /* private temp dir: cwd of the server, holds the log */
    char log_path[300]; /* server's stdout+stderr */
    bool keep_dir;      /* the dir belongs to the test (server_start_opts): not removed at stop */
    int nextra;         /* extra command-line arguments (server_start_opts) */
    char extra[16][256];
};

/* Persistence tests restart a server on the same data: they give the dir
 * (created and removed by the test), a thread count (0: $SHARDIS_THREADS) and
 * extra arguments appended to the command line ("--save", "60 1", ...). */
struct test_server_opts {
    const char *dir;
    int threads;
    int nargs;
    const char *const *args;
};
void server_start_opts(struct test_server *server, const struct test_server_opts *opts);
/* Starts a server that is expected to refuse to start: waits up to 10 s for
 * it to exit and returns its wait status (-1 if it was still running: then
 * it is killed). The log's tail is copied into log. */
int server_run_expect_exit(const struct test_server_opts *opts, char *log, size_t loglen);
/* SIGKILL and reap (a crash); the dir stays. */
void server_kill9(struct test_server *server);

/* Starts the server named by $SHARDIS_SERVER on a free port and waits until it
 * answers PING (up to 10 s). Fails the current test with the log's tail when it
 * does not come up. Retries with another port when the chosen one was taken. */
void server_start(struct test_server *server);

/* Arguments appended to the command line of the servers started from now on
 * (NULL-terminated, at most SERVER_MAX_EXTRA_ARGS, not copied: keep them
 * alive), e.g. {"--tls-port", "7001", ..., NULL}; NULL for none. */
#define SERVER_MAX_EXTRA_ARGS 48
void server_set_extra_args(const char *const *args);

/* Stops the server by PID: SIGTERM, up to 5 s grace, then SIGKILL; reaps it
 * and removes its temp dir. Returns false (after printing the log's tail) when
 * the server had crashed on its own, died of a signal other than SIGTERM, or
 * ignored SIGTERM. Idempotent. */
bool server_stop(struct test_server *server);

/* The last lines of the server's log, for failure messages. Returns a static
 * buffer, valid until the next call. */
const char *server_log_tail(const struct test_server *server);

/* Criterion hooks: start the per-test server / stop it. server_suite_fini
 * aborts the worker (Criterion then reports the test as crashed, and the run
 * fails) when the server crashed during the test or would not stop. */
void server_suite_init(void);
void server_suite_fini(void);

/* The server started by server_suite_init(). */
struct test_server *server_current(void);
int server_port(void);
bool server_is_redis(void);
int server_threads(void);

/* Sets the soft RLIMIT_NOFILE to min(want, hard limit) and returns the new
 * soft limit. Child processes (the server) inherit it. */
long raise_fd_limit(long want);

#endif
