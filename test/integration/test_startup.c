/*
 * test_startup.c - start-up and shutdown of the server process itself:
 * configuration errors stop the start with a message naming the option (and
 * the file line), SHUTDOWN and SIGTERM end the process with exit code 0.
 * shardis-only (the messages and options are ours); skipped on redis-server.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "server.h"

static const char *server_exe(void)
{
    const char *exe = getenv("SHARDIS_SERVER");
    cr_assert(exe, "SHARDIS_SERVER is not set");
    return exe;
}

static int is_redis_exe(void)
{
    const char *exe = server_exe();
    const char *base = strrchr(exe, '/');
    return strcmp(base ? base + 1 : exe, "redis-server") == 0;
}

/* Runs the server with argv (NULL-terminated, without argv[0]), which must
 * refuse to start; returns its exit status and what it printed. */
static int run_refused(char *const *args, char *out, size_t outlen)
{
    int pipefd[2];
    cr_assert(pipe(pipefd) == 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        dup2(pipefd[1], STDOUT_FILENO);
        dup2(pipefd[1], STDERR_FILENO);
        close(pipefd[0]);
        char *argv[16];
        int n = 0;
        argv[n++] = (char *)server_exe();
        for (int i = 0; args[i] && n < 15; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    close(pipefd[1]);
    size_t len = 0;
    ssize_t r;
    /* A server that wrongly starts would keep the pipe open: bound the wait. */
    for (int waited = 0; waited < 100; waited++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            while ((r = read(pipefd[0], out + len, outlen - 1 - len)) > 0)
                len += r;
            out[len] = '\0';
            close(pipefd[0]);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(50 * 1000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(pipefd[0]);
    cr_assert_fail("the server started although its configuration is invalid");
    return -1;
}

Test(startup, unknown_option_is_refused)
{
    if (is_redis_exe())
        cr_skip_test("shardis-only");
    char out[4096];
    char *args[] = {"--port", "0", "--no-such-option", "1", NULL};
    int code = run_refused(args, out, sizeof(out));
    cr_assert(code != 0, "exit code %d", code);
    cr_assert(strstr(out, "no-such-option"), "message does not name the option: %s", out);
}

Test(startup, bad_value_is_refused)
{
    if (is_redis_exe())
        cr_skip_test("shardis-only");
    char out[4096];
    char *args[] = {"--port", "notaport", NULL};
    int code = run_refused(args, out, sizeof(out));
    cr_assert(code != 0, "exit code %d", code);
    /* Redis's format: the line as read, then Redis's reason */
    cr_assert(strstr(out, ">>> 'port") && strstr(out, "notaport") &&
                  strstr(out, "argument couldn't be parsed into an integer"),
              "message: %s", out);

    char *args2[] = {"--threads", "0", NULL};
    code = run_refused(args2, out, sizeof(out));
    cr_assert(code != 0 && strstr(out, "threads"), "threads 0: %s", out);
}

Test(startup, config_file_error_names_line)
{
    if (is_redis_exe())
        cr_skip_test("shardis-only");
    char path[] = "/tmp/shardis-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char *text = "# a comment\nport 0\nmaxclients lots\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char out[4096];
    char *args[] = {path, NULL};
    int code = run_refused(args, out, sizeof(out));
    unlink(path);
    cr_assert(code != 0, "exit code %d", code);
    cr_assert(strstr(out, "line 3") && strstr(out, "maxclients"), "message: %s", out);

    char *missing[] = {"/nonexistent/shardis.conf", NULL};
    code = run_refused(missing, out, sizeof(out));
    cr_assert(code != 0 && strstr(out, "/nonexistent/shardis.conf"), "missing file: %s", out);
}

TestSuite(shutdown, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

Test(shutdown, shutdown_command_exits_zero)
{
    if (server_is_redis())
        cr_skip_test("shardis-only");
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET k v"), "OK");
    /* A second client with a request in flight keeps getting its reply. */
    redisContext *d = client_connect();
    expect_str(cmd(d, "GET k"), "v");
    redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");
    cr_assert(r == NULL, "SHUTDOWN replied instead of closing the connection");
    struct test_server *srv = server_current();
    int status = 0;
    pid_t got = 0;
    for (int i = 0; i < 100 && got != srv->pid; i++) {
        got = waitpid(srv->pid, &status, WNOHANG);
        if (got != srv->pid)
            usleep(50 * 1000);
    }
    cr_assert(got == srv->pid, "the server did not exit after SHUTDOWN");
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
    srv->pid = 0;
    redisFree(c);
    redisFree(d);
}
