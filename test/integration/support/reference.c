/*
 * reference.c - the reference redis-server of a test (see reference.h).
 *
 * Owned by the test worker process; the reference's pid lives here because
 * Criterion's hooks take no argument (as server.c's server).
 */
#include "reference.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "proc.h"

#define REF_EXE "/usr/bin/redis-server"

static pid_t ref_pid;
static char ref_dir[256];

static void ref_atexit(void)
{
    ref_stop();
}

int ref_start(void)
{
    if (access(REF_EXE, X_OK) != 0)
        return 0;
    temp_dir(ref_dir, sizeof(ref_dir), "ref");
    for (int attempt = 0; attempt < 5; attempt++) {
        int port = free_port();
        pid_t parent = getpid();
        pid_t pid = fork();
        cr_assert(pid >= 0, "fork");
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(126);
            int null_fd = open("/dev/null", O_RDWR);
            if (null_fd < 0 || chdir(ref_dir) != 0)
                _exit(127);
            dup2(null_fd, STDIN_FILENO);
            dup2(null_fd, STDOUT_FILENO);
            dup2(null_fd, STDERR_FILENO);
            close_range(3, ~0U, 0);
            char p[16];
            snprintf(p, sizeof(p), "%d", port);
            char *argv[] = {REF_EXE, "--port",       p,    "--bind",      "127.0.0.1", "--save",
                            "",      "--appendonly", "no", "--daemonize", "no",        NULL};
            execv(REF_EXE, argv);
            _exit(127);
        }
        ref_pid = pid;
        atexit(ref_atexit);
        long long deadline = now_ms() + 10000;
        while (now_ms() < deadline) {
            int status;
            if (waitpid(pid, &status, WNOHANG) == pid) {
                ref_pid = 0;
                break; /* port taken: try another */
            }
            struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
            redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, tv);
            bool pong = false;
            if (ctx && !ctx->err) {
                redisReply *r = redisCommand(ctx, "PING");
                pong = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
                if (r)
                    freeReplyObject(r);
            }
            if (ctx)
                redisFree(ctx);
            if (pong)
                return port;
            sleep_ms(20);
        }
        if (ref_pid) {
            kill(ref_pid, SIGKILL);
            waitpid(ref_pid, NULL, 0);
            ref_pid = 0;
        }
    }
    cr_assert_fail("the reference redis-server did not start");
    return 0;
}

void ref_stop(void)
{
    if (ref_pid > 0) {
        kill(ref_pid, SIGTERM);
        waitpid(ref_pid, NULL, 0);
        ref_pid = 0;
    }
    if (ref_dir[0]) {
        remove_tree(ref_dir);
        ref_dir[0] = '\0';
    }
}

bool replies_equal(const redisReply *a, const redisReply *b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case REDIS_REPLY_INTEGER:
        return a->integer == b->integer;
    case REDIS_REPLY_NIL:
        return true;
    case REDIS_REPLY_ARRAY:
        if (a->elements != b->elements)
            return false;
        for (size_t i = 0; i < a->elements; i++)
            if (!replies_equal(a->element[i], b->element[i]))
                return false;
        return true;
    default: /* strings, status, error */
        return a->len == b->len && (a->len == 0 || memcmp(a->str, b->str, a->len) == 0);
    }
}

static redisReply *run_line(redisContext *c, const char *line)
{
    char *copy = strdup(line);
    const char *argv[64];
    size_t lens[64];
    int argc = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok && argc < 64; tok = strtok_r(NULL, " ", &save)) {
        argv[argc] = tok;
        lens[argc++] = strlen(tok);
    }
    redisReply *r = cmd_argv(c, argc, argv, lens);
    free(copy);
    return r;
}

bool compare_line(redisContext *ref, redisContext *test, const char *line, char *why, size_t size)
{
    redisReply *a = run_line(ref, line);
    redisReply *b = run_line(test, line);
    bool same = replies_equal(a, b);
    if (!same) {
        char da[2048];
        snprintf(da, sizeof(da), "%s", describe_reply(a));
        snprintf(why, size, "%s\n  redis:   %s\n  shardis: %s", line, da, describe_reply(b));
    }
    freeReplyObject(a);
    freeReplyObject(b);
    return same;
}

void compare_lines(redisContext *ref, redisContext *test, const char *const *lines)
{
    char why[6000];
    for (int i = 0; lines[i]; i++)
        cr_assert(compare_line(ref, test, lines[i], why, sizeof(why)), "replies differ: %s", why);
}

void ref_connect_both(redisContext **ref, redisContext **test)
{
    int port = ref_start();
    if (port == 0)
        cr_skip_test("no /usr/bin/redis-server to compare with");
    *ref = client_connect_port(port);
    *test = client_connect();
    expect_status(cmd(*ref, "FLUSHALL"), "OK");
    expect_status(cmd(*test, "FLUSHALL"), "OK");
}
