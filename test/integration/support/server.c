/*
 * server.c - server processes for the integration tests.
 *
 * Owned by the test worker process (one Criterion worker per test, one test at
 * a time with --jobs 1). A server is started on a port the kernel just handed
 * out for a throw-away socket; if another process grabs that port in between,
 * the server fails to bind, says so in its log, and we retry with a new port.
 *
 * The server runs in a private temp dir (its cwd, so any file it writes stays
 * there) with stdout and stderr in <dir>/server.log. It is a direct child of
 * the worker with PR_SET_PDEATHSIG(SIGKILL): whatever happens to the worker
 * (assertion, crash, Criterion timeout), the server does not outlive it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CMake build defines it; for stand-alone builds */
#endif
#include "server.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "proc.h"

#define START_TIMEOUT_MS 10000
#define STOP_GRACE_MS 5000
#define START_ATTEMPTS 5
#define LOG_TAIL_BYTES 3000

/* The server of the current test. A file-scope variable because Criterion's
 * init/fini hooks take no argument; only this worker process touches it. */
static struct test_server current_server;

long raise_fd_limit(long want)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    rlim_t target = (rlim_t)want;
    if (limit.rlim_max != RLIM_INFINITY && target > limit.rlim_max)
        target = limit.rlim_max;
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= target)
        return limit.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)limit.rlim_cur;
    limit.rlim_cur = target;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        return -1;
    return (long)target;
}

const char *server_log_tail(const struct test_server *server)
{
    static char tail[LOG_TAIL_BYTES + 64];
    tail[0] = '\0';
    int fd = open(server->log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(tail, sizeof(tail), "(no log at %s)", server->log_path);
        return tail;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > LOG_TAIL_BYTES ? size - LOG_TAIL_BYTES : 0;
    ssize_t n = pread(fd, tail, LOG_TAIL_BYTES, from);
    close(fd);
    if (n <= 0) {
        snprintf(tail, sizeof(tail), "(empty log)");
        return tail;
    }
    tail[n] = '\0';
    return tail;
}

static bool log_says_port_taken(const struct test_server *server)
{
    const char *tail = server_log_tail(server);
    return strcasestr(tail, "address already in use") != NULL || strstr(tail, "EADDRINUSE") != NULL;
}

static const char *const *extra_args; /* server_set_extra_args */

void server_set_extra_args(const char *const *args)
{
    extra_args = args;
}

/* Builds argv for the server and execs it. Runs in the forked child: only
 * async-signal-safe calls plus exec; on failure it writes to the log and exits
 * with 127. */
static void exec_server(const struct test_server *server, const char *exe, pid_t parent)
{
    /* Die with the test worker. The check after it closes the race where the
     * parent died before prctl took effect. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(126);

    int log_fd = open(server->log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_fd = open("/dev/null", O_RDONLY);
    if (log_fd < 0 || null_fd < 0)
        _exit(127);
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    /* Criterion's pipes to the runner must not leak into the server. */
    close_range(3, ~0U, 0);
    if (chdir(server->dir) != 0)
        _exit(127);
    /* Sanitizer builds: the server may get stricter options (leak checks)
     * than the test process, whose failure paths may leak replies. */
    const char *server_asan = getenv("SHARDIS_SERVER_ASAN_OPTIONS");
    if (server_asan)
        setenv("ASAN_OPTIONS", server_asan, 1);

    char port[16], threads[16];
    snprintf(port, sizeof(port), "%d", server->port);
    snprintf(threads, sizeof(threads), "%d", server->threads);
    char *argv[16 + SERVER_MAX_EXTRA_ARGS + 1];
    int n = 0;
    if (server->is_redis) {
        char *base[] = {(char *)exe, "--port",
                        port,        "--bind",
                        "127.0.0.1", "--save",
                        "",          "--appendonly",
                        "no",        "--daemonize",
                        "no",        "--enable-debug-command",
                        "local",     "--enable-protected-configs",
                        "local"};
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
            argv[n++] = base[i];
    } else {
        /* Like Redis above: no snapshot at shutdown unless a test asks;
         * DEBUG and CONFIG SET dir/dbfilename allowed (off by default, as in
         * Redis 7; a test that checks the refusal appends "no"). */
        char *base[] = {(char *)exe, "--port",
                        port,        "--bind",
                        "127.0.0.1", "--threads",
                        threads,     "--loglevel",
                        "warning",   "--save",
                        "",          "--enable-debug-command",
                        "yes",       "--enable-protected-configs",
                        "yes"};
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
            argv[n++] = base[i];
    }
    for (int i = 0; i < server->nextra && n < 16 + SERVER_MAX_EXTRA_ARGS / 2; i++)
        argv[n++] = (char *)server->extra[i];
    for (int i = 0; extra_args && extra_args[i] && i < SERVER_MAX_EXTRA_ARGS / 2; i++)
        argv[n++] = (char *)extra_args[i];
    argv[n] = NULL;
    execv(exe, argv);
    static const char msg[] = "integration test: execv of the server failed\n";
    ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    _exit(127);
}

/* Polls until the server answers PING with +PONG. Returns 1 when ready, 0 when
 * the process exited (reaped, pid cleared, its wait status in *status), -1 on
 * timeout. */
static int wait_until_ready(struct test_server *server, int *status)
{
    long long deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        if (waitpid(server->pid, status, WNOHANG) == server->pid) {
            server->pid = 0;
            return 0;
        }
        struct timeval timeout = {.tv_sec = 0, .tv_usec = 500000};
        redisContext *ctx = redisConnectWithTimeout("127.0.0.1", server->port, timeout);
        if (ctx != NULL && ctx->err == 0) {
            redisSetTimeout(ctx, timeout);
            redisReply *reply = redisCommand(ctx, "PING");
            bool pong = reply != NULL && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, "PONG") == 0;
            if (reply != NULL)
                freeReplyObject(reply);
            redisFree(ctx);
            if (pong)
                return 1;
        } else if (ctx != NULL) {
            redisFree(ctx);
        }
        sleep_ms(20);
    }
    return -1;
}

static void describe_status(int status, char *out, size_t size)
{
    if (WIFEXITED(status))
        snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(out, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(out, size, "status 0x%x", status);
}

static void start_in(struct test_server *server, const struct test_server_opts *opts);

void server_start(struct test_server *server)
{
    start_in(server, NULL);
}

void server_start_opts(struct test_server *server, const struct test_server_opts *opts)
{
    start_in(server, opts);
}

static void start_in(struct test_server *server, const struct test_server_opts *opts)
{
    const char *configured = getenv("SHARDIS_SERVER");
    cr_assert(configured != NULL && configured[0] != '\0',
              "SHARDIS_SERVER is not set: point it at shardis-server (or /usr/bin/redis-server)");
    /* Absolute (the server runs in its own dir) but not symlink-resolved:
     * /usr/bin/redis-server is a link to redis-check-rdb, and Redis picks its
     * mode from argv[0]. */
    char exe[PATH_MAX];
    char cwd[PATH_MAX / 2];
    if (configured[0] == '/')
        snprintf(exe, sizeof(exe), "%s", configured);
    else
        snprintf(exe, sizeof(exe), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", configured);
    cr_assert(access(exe, X_OK) == 0, "SHARDIS_SERVER=%s: %s", configured, strerror(errno));

    memset(server, 0, sizeof(*server));
    char exe_copy[PATH_MAX];
    snprintf(exe_copy, sizeof(exe_copy), "%s", exe);
    server->is_redis = strcmp(basename(exe_copy), "redis-server") == 0;
    server->threads = env_threads();

    if (opts && opts->dir) {
        snprintf(server->dir, sizeof(server->dir), "%s", opts->dir);
        server->keep_dir = true;
    } else {
        temp_dir(server->dir, sizeof(server->dir), "it");
    }
    if (opts && opts->threads > 0)
        server->threads = opts->threads;
    for (int i = 0; opts && i < opts->nargs && i < 16; i++) {
        snprintf(server->extra[i], sizeof(server->extra[i]), "%s", opts->args[i]);
        server->nextra = i + 1;
    }
    snprintf(server->log_path, sizeof(server->log_path), "%s/server.log", server->dir);

    /* The clients test opens 1,000 connections; the server inherits this. */
    raise_fd_limit(16384);

    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
        server->port = free_port();
        pid_t parent = getpid();
        fflush(NULL);
        pid_t pid = fork();
        cr_assert(pid >= 0, "fork: %s", strerror(errno));
        if (pid == 0)
            exec_server(server, exe, parent);
        server->pid = pid;

        int status = 0;
        int ready = wait_until_ready(server, &status);
        if (ready == 1)
            return;
        if (ready == 0 && log_says_port_taken(server) && attempt < START_ATTEMPTS) {
            unlink(server->log_path);
            continue;
        }
        if (ready < 0) {
            kill(server->pid, SIGKILL);
            waitpid(server->pid, NULL, 0);
            server->pid = 0;
        }
        /* Criterion does not run .fini or atexit handlers after a failed
         * .init: clean up here, after copying the log's tail. */
        static char tail[LOG_TAIL_BYTES + 64];
        snprintf(tail, sizeof(tail), "%s", server_log_tail(server));
        char why[128] = "timeout";
        if (ready == 0)
            describe_status(status, why, sizeof(why));
        if (getenv("SHARDIS_KEEP_LOGS") == NULL && !server->keep_dir)
            remove_tree(server->dir);
        cr_assert_fail("%s did not answer PING on port %d within %d ms (%s); log tail:\n%s", exe, server->port,
                       START_TIMEOUT_MS, why, tail);
    }
}

bool server_stop(struct test_server *server)
{
    if (server->pid == 0) {
        if (!server->keep_dir)
            remove_tree(server->dir);
        server->dir[0] = '\0';
        return true;
    }
    bool clean = true;
    char why[128];
    int status = 0;
    pid_t pid = server->pid;

    if (waitpid(pid, &status, WNOHANG) == pid) {
        describe_status(status, why, sizeof(why));
        fprintf(stderr, "server (pid %d, port %d) died during the test: %s; log tail:\n%s\n", pid, server->port, why,
                server_log_tail(server));
        clean = false;
    } else {
        kill(pid, SIGTERM);
        long long deadline = now_ms() + STOP_GRACE_MS;
        pid_t reaped = 0;
        while ((reaped = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < deadline)
            sleep_ms(10);
        if (reaped != pid) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fprintf(stderr, "server (pid %d, port %d) ignored SIGTERM for %d ms; killed; log tail:\n%s\n", pid,
                    server->port, STOP_GRACE_MS, server_log_tail(server));
            clean = false;
        } else if (!server->is_redis && WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            describe_status(status, why, sizeof(why));
            fprintf(stderr, "server (pid %d, port %d) did not exit cleanly on SIGTERM: %s; log tail:\n%s\n", pid,
                    server->port, why, server_log_tail(server));
            clean = false;
        } else if (WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM) {
            describe_status(status, why, sizeof(why));
            fprintf(stderr, "server (pid %d, port %d) crashed on SIGTERM: %s; log tail:\n%s\n", pid, server->port, why,
                    server_log_tail(server));
            clean = false;
        }
    }
    server->pid = 0;
    if (server->keep_dir) {
        server->dir[0] = '\0';
    } else if (clean || getenv("SHARDIS_KEEP_LOGS") == NULL) {
        remove_tree(server->dir);
        server->dir[0] = '\0';
    } else {
        fprintf(stderr, "server files kept in %s\n", server->dir);
    }
    return clean;
}

static void stop_at_exit(void)
{
    if (current_server.pid != 0 || current_server.dir[0] != '\0')
        server_stop(&current_server);
}

void server_suite_init(void)
{
    static bool registered;
    if (!registered) {
        atexit(stop_at_exit);
        registered = true;
    }
    server_start(&current_server);
}

void server_suite_fini(void)
{
    if (!server_stop(&current_server)) {
        /* Assertions in .fini do not fail a Criterion test; a crash does. */
        fflush(NULL);
        abort();
    }
}

struct test_server *server_current(void)
{
    return &current_server;
}

int server_port(void)
{
    return current_server.port;
}

bool server_is_redis(void)
{
    return current_server.is_redis;
}

int server_threads(void)
{
    return current_server.threads;
}

void server_kill9(struct test_server *server)
{
    if (server->pid == 0)
        return;
    kill(server->pid, SIGKILL);
    waitpid(server->pid, NULL, 0);
    server->pid = 0;
}

int server_run_expect_exit(const struct test_server_opts *opts, char *log, size_t loglen)
{
    struct test_server server;
    memset(&server, 0, sizeof(server));
    const char *configured = getenv("SHARDIS_SERVER");
    cr_assert(configured != NULL && configured[0] != '\0', "SHARDIS_SERVER is not set");
    char exe[PATH_MAX], cwd[PATH_MAX / 2];
    if (configured[0] == '/')
        snprintf(exe, sizeof(exe), "%s", configured);
    else
        snprintf(exe, sizeof(exe), "%s/%s", getcwd(cwd, sizeof(cwd)) ? cwd : ".", configured);
    server.threads = opts->threads > 0 ? opts->threads : env_threads();
    snprintf(server.dir, sizeof(server.dir), "%s", opts->dir);
    server.keep_dir = true;
    for (int i = 0; i < opts->nargs && i < 16; i++) {
        snprintf(server.extra[i], sizeof(server.extra[i]), "%s", opts->args[i]);
        server.nextra = i + 1;
    }
    snprintf(server.log_path, sizeof(server.log_path), "%s/server.log", server.dir);
    unlink(server.log_path);
    server.port = free_port();
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0)
        exec_server(&server, exe, parent);
    int status = -1;
    long long deadline = now_ms() + START_TIMEOUT_MS;
    while (now_ms() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = 0;
            break;
        }
        sleep_ms(10);
    }
    if (pid != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        status = -1;
    }
    snprintf(log, loglen, "%s", server_log_tail(&server));
    return status;
}
