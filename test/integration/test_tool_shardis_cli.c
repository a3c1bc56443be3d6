/*
 * test_tool_shardis_cli.c - shardis-cli against a real server: one-shot commands and
 * reply formatting (raw, --no-raw, RESP3, CSV), exit codes and stderr,
 * -x, -r, -u, commands from stdin, --pipe with errors, --scan, --latency,
 * --bigkeys, --stat, the interactive mode through a pseudo-terminal (history,
 * multi-line replies, help), and TLS against Debian's redis-server when it
 * has TLS.
 *
 * The tool is $SHARDIS_CLI_TOOL (set by CMake). Outputs are compared exactly.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fs.h"
#include "proc.h"
#include "server.h"

TestSuite(tool_cli, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

static const char *tool(void)
{
    const char *t = getenv("SHARDIS_CLI_TOOL");
    if (!t || !*t)
        cr_skip_test("SHARDIS_CLI_TOOL is not set");
    return t;
}

struct result {
    int status; /* exit status */
    char *out, *err;
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert(f != NULL, "open %s", path);
    size_t cap = 4096, len = 0, n;
    char *s = malloc(cap);
    while ((n = fread(s + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (cap - len < 2)
            s = realloc(s, cap *= 2);
    }
    s[len] = '\0';
    fclose(f);
    return s;
}

/* Runs `shardis-cli -p PORT <args>` with `input` on stdin (or /dev/null). */
static struct result run_port(int port, const char *args, const char *input)
{
    char in[] = "/tmp/shardis-tcli-in-XXXXXX", out[] = "/tmp/shardis-tcli-out-XXXXXX",
         err[] = "/tmp/shardis-tcli-err-XXXXXX";
    int fd = mkstemp(in);
    cr_assert(fd >= 0);
    if (input)
        cr_assert(write(fd, input, strlen(input)) == (ssize_t)strlen(input));
    close(fd);
    close(mkstemp(out));
    close(mkstemp(err));
    char command[8192];
    snprintf(command, sizeof(command), "'%s' -p %d %s <%s >%s 2>%s", tool(), port, args, in, out, err);
    int status = system(command);
    struct result r = {.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1, .out = slurp(out), .err = slurp(err)};
    unlink(in);
    unlink(out);
    unlink(err);
    return r;
}

static struct result run(const char *args, const char *input)
{
    return run_port(server_port(), args, input);
}

static void result_free(struct result *r)
{
    free(r->out);
    free(r->err);
}

/* Runs and expects exit status 0, stdout exactly `expected`, empty stderr. */
static void expect_out(const char *args, const char *input, const char *expected)
{
    struct result r = run(args, input);
    cr_assert(r.status == 0, "shardis-cli %s: status %d, stderr: %s", args, r.status, r.err);
    cr_assert(strcmp(r.out, expected) == 0, "shardis-cli %s:\nexpected \"%s\"\n     got \"%s\"", args,
              escape_bytes(expected, strlen(expected)), escape_bytes(r.out, strlen(r.out)));
    cr_assert(r.err[0] == '\0', "shardis-cli %s: unexpected stderr: %s", args, r.err);
    result_free(&r);
}

Test(tool_cli, raw_output_when_not_a_tty)
{
    expect_out("SET a b", NULL, "OK\n");
    expect_out("GET a", NULL, "b\n");
    expect_out("INCR n", NULL, "1\n");
    expect_out("GET missing", NULL, "\n");
    expect_out("RPUSH l a 'b c' d:e", NULL, "3\n");
    expect_out("LRANGE l 0 -1", NULL, "a\nb c\nd:e\n");
    expect_out("LRANGE nolist 0 -1", NULL, "\n");
    expect_out("HSET h f v", NULL, "1\n");
    expect_out("-3 HGETALL h", NULL, "f v\n");
    expect_out("MGET a missing n", NULL, "b\n\n1\n");
}

Test(tool_cli, formatted_output)
{
    /* escapes in commands read from stdin, quoted back in the reply */
    expect_out("--no-raw", "RPUSH l a 'b c' \"q\\\"\\n\\x01\"\nLRANGE l 0 -1\n",
               "(integer) 3\n1) \"a\"\n2) \"b c\"\n3) \"q\\\"\\n\\x01\"\n");
    expect_out("--no-raw INCR n", NULL, "(integer) 1\n");
    expect_out("--no-raw GET missing", NULL, "(nil)\n");
    expect_out("--no-raw SET k v", NULL, "OK\n");
    expect_out("--no-raw LRANGE nolist 0 -1", NULL, "(empty array)\n");
    /* RESP3: maps, sets, doubles, nested arrays */
    expect_out("HSET h f v g w", NULL, "2\n");
    expect_out("--no-raw -3 HGETALL h", NULL, "1# \"f\" => \"v\"\n2# \"g\" => \"w\"\n");
    expect_out("--no-raw -3 HGETALL noh", NULL, "(empty hash)\n");
    expect_out("SADD s x", NULL, "1\n");
    expect_out("--no-raw -3 SMEMBERS s", NULL, "1~ \"x\"\n");
    expect_out("--no-raw -3 SMEMBERS nos", NULL, "(empty set)\n");
    expect_out("ZADD z 1.5 a 2 b", NULL, "2\n");
    expect_out("--no-raw -3 ZSCORE z a", NULL, "(double) 1.5\n");
    expect_out("--no-raw -3 ZRANGE z 0 -1 WITHSCORES", NULL,
               "1) 1) \"a\"\n   2) (double) 1.5\n2) 1) \"b\"\n   2) (double) 2\n");
    expect_out("--no-raw ZRANGE z 0 -1 WITHSCORES", NULL, "1) \"a\"\n2) \"1.5\"\n3) \"b\"\n4) \"2\"\n");
    /* the index column widens past 9 and nested lines indent under it */
    expect_out("RPUSH ten 1 2 3 4 5 6 7 8 9 10", NULL, "10\n");
    struct result r = run("--no-raw LRANGE ten 0 -1", NULL);
    cr_assert(strstr(r.out, " 1) \"1\"\n 2) \"2\"\n") == r.out, "%s", r.out);
    cr_assert(strstr(r.out, "10) \"10\"\n") != NULL, "%s", r.out);
    result_free(&r);
}

Test(tool_cli, csv_output)
{
    expect_out("RPUSH l a 'b c'", NULL, "2\n");
    expect_out("--csv LRANGE l 0 -1", NULL, "\"a\",\"b c\"\n");
    expect_out("--csv GET missing", NULL, "NULL\n");
    expect_out("--csv INCR n", NULL, "1\n");
    struct result r = run("--csv NOSUCHCOMMAND", NULL);
    cr_assert(r.status == 1);
    cr_assert(strncmp(r.err, "ERROR,\"ERR unknown command", 26) == 0, "%s", r.err);
    result_free(&r);
}

Test(tool_cli, errors_and_exit_codes)
{
    struct result r = run("NOSUCHCOMMAND a", NULL);
    cr_assert(r.status == 1, "status %d", r.status);
    cr_assert(r.out[0] == '\0', "stdout: %s", r.out);
    cr_assert(strncmp(r.err, "ERR unknown command 'NOSUCHCOMMAND'", 35) == 0, "stderr: %s", r.err);
    result_free(&r);

    r = run("SET a", NULL);
    cr_assert(r.status == 1);
    cr_assert(strstr(r.err, "ERR wrong number of arguments for 'set' command") != NULL, "%s", r.err);
    result_free(&r);

    /* a port nobody listens on: find one by binding and closing */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    cr_assert(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    cr_assert(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
    int dead = ntohs(sa.sin_port);
    close(s);
    r = run_port(dead, "PING", NULL);
    cr_assert(r.status == 1);
    char want[128];
    snprintf(want, sizeof(want), "Could not connect to Redis at 127.0.0.1:%d: Connection refused\n", dead);
    cr_assert_str_eq(r.err, want);
    result_free(&r);

    r = run("--no-such-option PING", NULL);
    cr_assert(r.status == 1);
    cr_assert(strstr(r.err, "Unrecognized option") != NULL, "%s", r.err);
    result_free(&r);
}

Test(tool_cli, stdin_arg_repeat_and_uri)
{
    expect_out("-x SET fromstdin", "line one\nline two", "OK\n");
    redisContext *c = client_connect();
    expect_str(cmd(c, "GET fromstdin"), "line one\nline two");
    expect_out("-r 3 INCR counter", NULL, "1\n2\n3\n");
    expect_out("-r 2 -i 0.01 PING", NULL, "PONG\nPONG\n");

    char args[256];
    snprintf(args, sizeof(args), "-u redis://127.0.0.1:%d/3 SET in3 yes", server_port());
    expect_out(args, NULL, "OK\n");
    expect_out("-n 3 GET in3", NULL, "yes\n");
    expect_out("GET in3", NULL, "\n");
    redisFree(c);
}

Test(tool_cli, commands_from_stdin)
{
    struct result r = run("", "SET a 1\nINCR a\n\nNOSUCH\n  GET   \"a\"  \n");
    cr_assert(r.status == 1, "status %d", r.status);
    cr_assert_str_eq(r.out, "OK\n2\n2\n");
    cr_assert(strstr(r.err, "ERR unknown command 'NOSUCH'") != NULL, "%s", r.err);
    result_free(&r);
    expect_out("", "SET b 'quoted value'\nGET b\n", "OK\nquoted value\n");
}

Test(tool_cli, pipe_mode_counts_replies_and_errors)
{
    enum { COUNT = 2000 };
    size_t cap = COUNT * 64 + 256, len = 0;
    char *input = malloc(cap);
    for (int i = 0; i < COUNT; i++)
        len += (size_t)snprintf(input + len, cap - len, "*3\r\n$3\r\nSET\r\n$%d\r\npipe:%d\r\n$1\r\nv\r\n",
                                6 + (i >= 10) + (i >= 100) + (i >= 1000), i);
    struct result r = run("--pipe", input);
    cr_assert(r.status == 0, "status %d: %s", r.status, r.err);
    cr_assert_str_eq(r.out, "errors: 0, replies: 2000\n");
    cr_assert(strstr(r.err, "All data transferred. Waiting for the last reply...\n") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "Last reply received from server.\n") != NULL, "%s", r.err);
    result_free(&r);
    redisContext *c = client_connect();
    cr_assert_eq(dbsize(c), COUNT);

    /* two bad commands among good ones */
    len = (size_t)snprintf(input, cap,
                           "*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n*1\r\n$6\r\nNOSUCH\r\n*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"
                           "*2\r\n$4\r\nLPOP\r\n$6\r\npipe:1\r\n");
    r = run("--pipe", input);
    cr_assert(r.status == 1, "status %d", r.status);
    cr_assert_str_eq(r.out, "errors: 2, replies: 2\n");
    cr_assert(strstr(r.err, "ERR unknown command 'NOSUCH'") != NULL, "%s", r.err);
    cr_assert(strstr(r.err, "WRONGTYPE") != NULL, "%s", r.err);
    result_free(&r);
    expect_str(cmd(c, "GET ctr"), "2");
    redisFree(c);
    free(input);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(tool_cli, scan_mode)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 300; i++) {
        expect_status(cmd(c, "SET user:%d x", i), "OK");
        expect_status(cmd(c, "SET other:%d x", i), "OK");
    }
    expect_int(cmd(c, "RPUSH user:list a"), 1);
    struct result r = run("--scan --pattern 'user:*' --count 50", NULL);
    cr_assert(r.status == 0, "%s", r.err);
    char *lines[400];
    int n = 0;
    for (char *save = NULL, *t = strtok_r(r.out, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        cr_assert(n < 400);
        lines[n++] = t;
    }
    cr_assert_eq(n, 301, "keys: %d", n);
    qsort(lines, (size_t)n, sizeof(*lines), cmp_lines);
    for (int i = 1; i < n; i++)
        cr_assert(strcmp(lines[i - 1], lines[i]) != 0, "duplicate %s", lines[i]);
    for (int i = 0; i < n; i++)
        cr_assert(strncmp(lines[i], "user:", 5) == 0, "%s", lines[i]);
    result_free(&r);

    r = run("--scan --pattern 'user:*' --type list", NULL);
    cr_assert_str_eq(r.out, "user:list\n");
    result_free(&r);
    redisFree(c);
}

Test(tool_cli, latency_bigkeys_stat)
{
    struct result r = run("--latency -i 0.2", NULL);
    cr_assert(r.status == 0, "%s", r.err);
    long long min, max, samples;
    double avg;
    cr_assert(sscanf(r.out, "%lld %lld %lf %lld", &min, &max, &avg, &samples) == 4, "%s", r.out);
    cr_assert(samples >= 1 && min <= max, "%s", r.out);
    result_free(&r);

    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH biglist a b c d"), 4);
    expect_int(cmd(c, "RPUSH small a"), 1);
    expect_status(cmd(c, "SET str 12345"), "OK");
    expect_int(cmd(c, "HSET hh a 1 b 2"), 2);
    r = run("--bigkeys", NULL);
    cr_assert(r.status == 0, "%s", r.err);
    cr_assert(strstr(r.out, "Sampled 4 keys in the keyspace!") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "Biggest   list found '\"biglist\"' has 4 items") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "Biggest string found '\"str\"' has 5 bytes") != NULL, "%s", r.out);
    cr_assert(strstr(r.out, "2 lists with 5 items (50.00% of keys, avg size 2.50)") != NULL, "%s", r.out);
    result_free(&r);

    r = run("--stat -i 0.05 -r 2", NULL);
    cr_assert(r.status == 0, "%s", r.err);
    cr_assert(strstr(r.out, "keys       mem      clients") != NULL, "%s", r.out);
    cr_assert(strncmp(strstr(r.out, "connections") + strlen("connections          \n"), "4 ", 2) == 0, "%s", r.out);
    result_free(&r);
    redisFree(c);
}

/* ---- interactive mode through a pseudo-terminal ------------------------- */

struct pty {
    pid_t pid;
    int fd;
    char out[65536];
    size_t len;
};

static void pty_read_until(struct pty *p, const char *needle, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        p->out[p->len] = '\0';
        if (strstr(p->out, needle))
            return;
        long long left = deadline - now_ms();
        cr_assert(left > 0, "pty: no \"%s\" in: %s", needle, escape_bytes(p->out, p->len));
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        ssize_t n = read(p->fd, p->out + p->len, sizeof(p->out) - 1 - p->len);
        if (n <= 0)
            continue;
        p->len += (size_t)n;
    }
}

static void pty_send(struct pty *p, const char *s)
{
    p->len = 0; /* look for what follows this input only */
    cr_assert(write(p->fd, s, strlen(s)) == (ssize_t)strlen(s));
}

static void pty_start(struct pty *p, const char *histfile, int port)
{
    memset(p, 0, sizeof(*p));
    struct winsize ws = {.ws_row = 40, .ws_col = 200};
    p->pid = forkpty(&p->fd, NULL, NULL, &ws);
    cr_assert(p->pid >= 0);
    if (p->pid == 0) {
        char portstr[16];
        snprintf(portstr, sizeof(portstr), "%d", port);
        setenv("SHARDISCLI_HISTFILE", histfile, 1);
        setenv("TERM", "xterm", 1);
        execl(tool(), tool(), "-p", portstr, (char *)NULL);
        _exit(127);
    }
}

static int pty_wait(struct pty *p)
{
    int status = -1;
    for (int i = 0; i < 500; i++) {
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            close(p->fd);
            return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        char sink[4096];
        struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
        if (poll(&pfd, 1, 10) > 0 && read(p->fd, sink, sizeof(sink)) < 0)
            sleep_ms(10);
    }
    kill(p->pid, SIGKILL);
    waitpid(p->pid, &status, 0);
    close(p->fd);
    cr_assert_fail("shardis-cli did not exit");
    return -1;
}

Test(tool_cli, interactive_history_and_multiline_reply)
{
    char dir[] = "/tmp/shardis-tcli-home-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char hist[300];
    snprintf(hist, sizeof(hist), "%s/history", dir);
    char prompt[64];
    snprintf(prompt, sizeof(prompt), "127.0.0.1:%d> ", server_port());

    struct pty p;
    pty_start(&p, hist, server_port());
    pty_read_until(&p, prompt, 10000);
    pty_send(&p, "RPUSH il x \"y z\"\r");
    pty_read_until(&p, "(integer) 2", 5000);
    pty_send(&p, "LRANGE il 0 -1\r");
    pty_read_until(&p, "1) \"x\"\r\n2) \"y z\"", 5000);
    /* up-arrow recalls LRANGE; RPUSH again would answer 4 */
    pty_send(&p, "\x1b[A\r");
    pty_read_until(&p, "1) \"x\"\r\n2) \"y z\"", 5000);
    pty_send(&p, "GET nothing\r");
    pty_read_until(&p, "(nil)", 5000);
    pty_send(&p, "NOSUCH\r");
    pty_read_until(&p, "(error) ERR unknown command 'NOSUCH'", 5000);
    pty_send(&p, "SELECT 2\r");
    char prompt2[64];
    snprintf(prompt2, sizeof(prompt2), "127.0.0.1:%d[2]> ", server_port());
    pty_read_until(&p, prompt2, 5000);
    pty_send(&p, "help get\r");
    pty_read_until(&p, "summary:", 5000);
    pty_send(&p, "AUTH secret\r");
    pty_read_until(&p, "(error)", 5000);
    pty_send(&p, "quit\r");
    cr_assert_eq(pty_wait(&p), 0);

    char *h = slurp(hist);
    /* libedit's file encodes spaces as \\040 */
    cr_assert(strstr(h, "LRANGE\\040il\\0400\\040-1") != NULL, "history: %s", h);
    cr_assert(strstr(h, "RPUSH\\040il") != NULL, "history: %s", h);
    cr_assert(strstr(h, "secret") == NULL, "AUTH must not be in the history: %s", h);
    free(h);

    /* a new session finds the history: up-arrow twice gives the GET before quit... */
    pty_start(&p, hist, server_port());
    pty_read_until(&p, prompt, 10000);
    pty_send(&p, "\x1b[A\x1b[A\r"); /* quit, SELECT? no: help get, SELECT 2... the 2nd newest is "help get" */
    pty_read_until(&p, "summary:", 5000);
    pty_send(&p, "quit\r");
    cr_assert_eq(pty_wait(&p), 0);

    remove_tree(dir);
}

/* ---- TLS against Debian's redis-server ---------------------------------- */

Test(tool_cli, tls_round_trip_with_redis_server)
{
    if (access("/usr/bin/redis-server", X_OK) != 0 || system("command -v openssl >/dev/null") != 0)
        cr_skip_test("needs /usr/bin/redis-server and openssl");
    char dir[] = "/tmp/shardis-tcli-tls-XXXXXX";
    cr_assert(mkdtemp(dir) != NULL);
    char gen[2048];
    snprintf(gen, sizeof(gen),
             "cd '%s' && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=testca -keyout ca.key "
             "-out ca.crt 2>/dev/null && openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key "
             "-out server.csr 2>/dev/null && printf 'subjectAltName=IP:127.0.0.1\\n' > ext && openssl x509 -req "
             "-in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ext -out server.crt "
             "2>/dev/null",
             dir);
    cr_assert(system(gen) == 0, "openssl failed");
    int port = free_port();
    char cert[400], key[400], ca[400], portstr[16];
    snprintf(cert, sizeof(cert), "%s/server.crt", dir);
    snprintf(key, sizeof(key), "%s/server.key", dir);
    snprintf(ca, sizeof(ca), "%s/ca.crt", dir);
    snprintf(portstr, sizeof(portstr), "%d", port);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execl("/usr/bin/redis-server", "redis-server", "--port", "0", "--tls-port", portstr, "--bind", "127.0.0.1",
              "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no",
              "--save", "", "--dir", dir, (char *)NULL);
        _exit(127);
    }
    /* wait until it accepts TLS */
    char args[1200];
    snprintf(args, sizeof(args), "--tls --cacert '%s' PING", ca);
    struct result r = {0};
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        r = run_port(port, args, NULL);
        up = r.status == 0;
        if (!up) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                result_free(&r);
                remove_tree(dir);
                cr_skip_test("redis-server was built without TLS");
            }
            result_free(&r);
            sleep_ms(50);
        }
    }
    cr_assert(up, "TLS redis-server did not come up");
    cr_assert_str_eq(r.out, "PONG\n");
    result_free(&r);
    snprintf(args, sizeof(args), "--tls --cacert '%s' SET tlskey value", ca);
    r = run_port(port, args, NULL);
    cr_assert_str_eq(r.out, "OK\n");
    result_free(&r);
    snprintf(args, sizeof(args), "-u rediss://127.0.0.1:%d --cacert '%s' GET tlskey", port, ca);
    r = run_port(port, args, NULL);
    cr_assert_str_eq(r.out, "value\n", "%s", r.err);
    result_free(&r);
    /* without the CA the certificate is not trusted */
    r = run_port(port, "--tls PING", NULL);
    cr_assert(r.status == 1);
    cr_assert(strstr(r.err, "Could not negotiate a TLS connection") != NULL, "%s", r.err);
    result_free(&r);
    r = run_port(port, "--tls --insecure PING", NULL);
    cr_assert_str_eq(r.out, "PONG\n");
    result_free(&r);
    /* plaintext to the TLS port fails cleanly */
    r = run_port(port, "PING", NULL);
    cr_assert(r.status == 1);
    result_free(&r);

    kill(pid, SIGTERM);
    int st;
    waitpid(pid, &st, 0);
    remove_tree(dir);
}
