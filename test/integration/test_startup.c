/*
 * test_startup.c - start-up and shutdown of the server process itself:
 * configuration errors stop the start with a message naming the option (and
 * the file line), SHUTDOWN and SIGTERM end the process with exit code 0.
 * Real redis.conf files start the server: Debian's /etc/redis/redis.conf and
 * the directives of Redis's own test suite; CONFIG REWRITE keeps them.
 * The error-message tests are shardis-only (the messages are ours); the
 * start-up tests also pass on redis-server.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "proc.h"
#include "server.h"

static const char *server_exe(void)
{
    const char *exe = getenv("SHARDIS_SERVER");
    cr_assert(exe, "SHARDIS_SERVER is not set");
    return exe;
}

static int is_redis_exe(void)
{
    server_exe(); /* set */
    return env_is_redis();
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

Test(startup, unknown_directive_in_file_names_line)
{
    if (is_redis_exe())
        cr_skip_test("shardis-only");
    char path[] = "/tmp/shardis-conf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    /* Redis directives that have no effect here pass; a word that is no
     * Redis directive stops the start at its line. */
    const char *text = "# a comment\n"
                       "always-show-logo no\n"
                       "oom-score-adj-values 0 200 800\n"
                       "\n"
                       "no-such-directive yes\n";
    cr_assert(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    char out[4096];
    char *args[] = {path, "--port", "0", NULL};
    int code = run_refused(args, out, sizeof(out));
    unlink(path);
    cr_assert(code != 0, "exit code %d", code);
    cr_assert(strstr(out, "FATAL CONFIG FILE ERROR") && strstr(out, "at line 5") &&
                  strstr(out, ">>> 'no-such-directive yes'") &&
                  strstr(out, "Bad directive or wrong number of arguments"),
              "message: %s", out);

    /* the same word on the command line */
    char *cli[] = {"--port", "0", "--always-show-logo", "yes", "--no-such-directive", "yes", NULL};
    code = run_refused(cli, out, sizeof(out));
    cr_assert(code != 0 && strstr(out, ">>> 'no-such-directive \"yes\"'") &&
                  strstr(out, "Bad directive or wrong number of arguments"),
              "message: %s", out);
}

/* ---- servers started from a configuration file ---- */

struct file_server {
    pid_t pid;
    int port;
    char dir[64]; /* private temp dir: cwd of the server, holds out.log */
};

/* Runs the server with args (without argv[0]) in s->dir, which the caller
 * created, and waits until it answers PING. Fails the test with what it
 * printed when it exits or does not answer within 10 s. */
static void file_server_start(struct file_server *s, char *const *args)
{
    pid_t parent = getpid();
    s->pid = fork();
    cr_assert(s->pid >= 0);
    if (s->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent || chdir(s->dir) != 0)
            _exit(126);
        int log = open("out.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log < 0)
            _exit(127);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        char *argv[32];
        int n = 0;
        argv[n++] = (char *)server_exe();
        for (int i = 0; args[i] && n < 31; i++)
            argv[n++] = args[i];
        argv[n] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    char logpath[128], out[4096];
    snprintf(logpath, sizeof(logpath), "%s/out.log", s->dir);
    for (long long deadline = now_ms() + 10000; now_ms() < deadline; sleep_ms(50)) {
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            s->pid = 0;
            read_text(logpath, out, sizeof(out));
            cr_assert_fail("the server exited (status %d) instead of starting: %s", status, out);
        }
        struct timeval timeout = {.tv_sec = 0, .tv_usec = 500000};
        redisContext *c = redisConnectWithTimeout("127.0.0.1", s->port, timeout);
        int pong = 0;
        if (c && !c->err) {
            redisSetTimeout(c, timeout);
            redisReply *r = redisCommand(c, "PING");
            pong = r && r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "PONG");
            if (r)
                freeReplyObject(r);
        }
        if (c)
            redisFree(c);
        if (pong)
            return;
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
    read_text(logpath, out, sizeof(out));
    cr_assert_fail("the server did not answer PING within 10 s: %s", out);
}

/* SIGTERM, then waits (SIGKILL after 10 s); the exit must be clean. */
static void file_server_stop(struct file_server *s)
{
    if (!s->pid)
        return;
    kill(s->pid, SIGTERM);
    int status = 0;
    pid_t got = 0;
    for (long long deadline = now_ms() + 10000; now_ms() < deadline && got != s->pid; sleep_ms(20))
        got = waitpid(s->pid, &status, WNOHANG);
    if (got != s->pid) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
    cr_assert(got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "exit status %d", status);
}

static void config_expect(redisContext *c, const char *name, const char *value)
{
    redisReply *r = cmd(c, "CONFIG GET %s", name);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET %s: %s", name, describe_reply(r));
    cr_assert_str_eq(r->element[1]->str, value, "%s", name);
    freeReplyObject(r);
}

/* Debian's /etc/redis/redis.conf (installed with redis-server by
 * scripts/install-deps.sh), with only port, dir and daemonize changed on the
 * command line, as a user switching from Redis would run it. */
Test(startup, debian_redis_conf_starts, .timeout = 60)
{
    const char *conf = "/etc/redis/redis.conf";
    cr_assert(access(conf, R_OK) == 0, "%s is missing: scripts/install-deps.sh installs redis-server", conf);
    struct file_server s = {.port = free_port()};
    snprintf(s.dir, sizeof(s.dir), "/tmp/shardis-debian-XXXXXX");
    cr_assert(mkdtemp(s.dir));
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    char *args[] = {(char *)conf, "--port", port, "--dir", s.dir, "--daemonize", "no", NULL};
    file_server_start(&s, args);
    redisContext *c = client_connect_port(s.port);
    /* values of the file, directives that mean nothing here included */
    config_expect(c, "dir", s.dir);
    config_expect(c, "daemonize", "no");
    config_expect(c, "always-show-logo", "no");
    config_expect(c, "oom-score-adj-values", "0 200 800");
    config_expect(c, "proc-title-template", "{title} {listen-addr} {server-mode}");
    config_expect(c, "notify-keyspace-events", "");
    config_expect(c, "repl-diskless-load", "disabled");
    config_expect(c, "stream-node-max-entries", "100");
    config_expect(c, "client-output-buffer-limit",
                  "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    /* Redis 7's defaults for what the file leaves out */
    config_expect(c, "enable-debug-command", "no");
    expect_err_prefix(cmd(c, "CONFIG SET dir /tmp"), "ERR CONFIG SET failed (possibly related to argument 'dir')");
    expect_status(cmd(c, "SET k v"), "OK");
    expect_str(cmd(c, "GET k"), "v");
    redisFree(c);
    file_server_stop(&s);
    remove_tree(s.dir);
}

/* The directives of Redis's own test-suite default configuration
 * (tests/assets/default.conf), written out here. */
Test(startup, redis_test_suite_default_config_starts, .timeout = 60)
{
    struct file_server s = {.port = free_port()};
    snprintf(s.dir, sizeof(s.dir), "/tmp/shardis-default-XXXXXX");
    cr_assert(mkdtemp(s.dir));
    char conf[128], text[2048];
    snprintf(conf, sizeof(conf), "%s/test.conf", s.dir);
    snprintf(text, sizeof(text),
             "# what Redis's test suite starts its servers with\n"
             "always-show-logo yes\nnotify-keyspace-events KEA\ndaemonize no\npidfile %s/server.pid\n"
             "port 6379\ntimeout 0\nbind 127.0.0.1\nloglevel verbose\nlogfile ''\ndatabases 16\n"
             "latency-monitor-threshold 1\nrepl-diskless-sync-delay 0\n\nsave 900 1\n\n"
             "rdbcompression yes\ndbfilename dump.rdb\ndir ./\n\n"
             "slave-serve-stale-data yes\nappendonly no\nappendfsync everysec\nno-appendfsync-on-rewrite no\n"
             "activerehashing yes\n\n"
             "enable-protected-configs yes\nenable-debug-command yes\nenable-module-command yes\n\n"
             "propagation-error-behavior panic\n",
             s.dir);
    FILE *f = fopen(conf, "w");
    cr_assert(f && fputs(text, f) >= 0 && fclose(f) == 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    char *args[] = {conf, "--port", port, "--dir", s.dir, "--daemonize", "no", NULL};
    file_server_start(&s, args);
    redisContext *c = client_connect_port(s.port);
    config_expect(c, "notify-keyspace-events", "AKE");
    config_expect(c, "latency-monitor-threshold", "1");
    config_expect(c, "replica-serve-stale-data", "yes");
    config_expect(c, "propagation-error-behavior", "panic");
    config_expect(c, "save", "900 1");
    config_expect(c, "enable-module-command", "yes");
    /* what the file allows */
    expect_status(cmd(c, "DEBUG SLEEP 0"), "OK");
    expect_status(cmd(c, "CONFIG SET dbfilename other.rdb"), "OK");
    redisFree(c);
    file_server_stop(&s);
    remove_tree(s.dir);
}

/* CONFIG REWRITE keeps the directives that have no effect here, writes an
 * alias's line under the option's name, and the server starts again from the
 * file with the same values. */
Test(startup, config_rewrite_keeps_redis_directives, .timeout = 60)
{
    struct file_server s = {.port = free_port()};
    snprintf(s.dir, sizeof(s.dir), "/tmp/shardis-rewrite-XXXXXX");
    cr_assert(mkdtemp(s.dir));
    char conf[128];
    snprintf(conf, sizeof(conf), "%s/test.conf", s.dir);
    FILE *f = fopen(conf, "w");
    cr_assert(f &&
              fputs("always-show-logo yes\n"
                    "hll-sparse-max-bytes 1000\n"
                    "slaveof 127.0.0.1 9\n"
                    "notify-keyspace-events Ex\n"
                    "proc-title-template \"{title} {port}\"\n",
                    f) >= 0 &&
              fclose(f) == 0);
    char port[16];
    snprintf(port, sizeof(port), "%d", s.port);
    char *args[] = {conf, "--port", port, "--dir", s.dir, "--daemonize", "no", "--save", "", NULL};
    file_server_start(&s, args);
    redisContext *c = client_connect_port(s.port);
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events KEA hll-sparse-max-bytes 2000 slowlog-max-len 7"), "OK");
    expect_status(cmd(c, "CONFIG REWRITE"), "OK");
    redisFree(c);
    file_server_stop(&s);

    char text[8192];
    read_text(conf, text, sizeof(text));
    cr_assert(strstr(text, "always-show-logo yes\n"), "%s", text);
    cr_assert(!strstr(text, "slaveof") && strstr(text, "replicaof 127.0.0.1 9\n"), "%s", text);
    cr_assert(!strstr(text, "replicaof 127.0.0.1 9\nreplicaof"), "%s", text);

    char *again[] = {conf, NULL};
    file_server_start(&s, again);
    c = client_connect_port(s.port);
    config_expect(c, "notify-keyspace-events", "AKE");
    config_expect(c, "hll-sparse-max-bytes", "2000");
    config_expect(c, "slowlog-max-len", "7");
    config_expect(c, "always-show-logo", "yes");
    config_expect(c, "slaveof", "127.0.0.1 9");
    config_expect(c, "proc-title-template", "{title} {port}");
    redisFree(c);
    file_server_stop(&s);
    remove_tree(s.dir);
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
