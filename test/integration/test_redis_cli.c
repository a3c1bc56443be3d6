/*
 * test_redis_cli.c - the real redis-cli against the server: one-shot commands,
 * --pipe mass insertion, --scan, -n, -x. redis-cli prints in its "raw" form
 * when stdout is not a terminal (a pipe here), so outputs are exact strings.
 *
 * The CLI is $SHARDIS_CLI if set, else redis-cli from PATH; without one the
 * tests skip.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "proc.h"
#include "server.h"

TestSuite(cli, .init = server_suite_init, .fini = server_suite_fini, .timeout = 90);

/* The redis-cli to run; skips the test when there is none. */
static const char *cli_path(void)
{
    static char found[512];
    const char *configured = getenv("SHARDIS_CLI");
    if (configured != NULL && configured[0] != '\0')
        return configured;
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path != NULL ? path : "/usr/bin:/bin");
    for (char *save = NULL, *dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        snprintf(found, sizeof(found), "%s/redis-cli", dir);
        if (access(found, X_OK) == 0)
            return found;
    }
    cr_skip_test("redis-cli is not installed (set SHARDIS_CLI to use another)");
}

/* Runs `redis-cli -h 127.0.0.1 -p PORT <args>` through the shell, with stdin
 * from `input_file` when not NULL. Returns its stdout+stderr (caller frees)
 * and fails the test when it does not exit with status 0. */
static char *run_cli(const char *args, const char *input_file)
{
    char command[4096];
    snprintf(command, sizeof(command), "'%s' -h 127.0.0.1 -p %d %s %s%s 2>&1", cli_path(), server_port(), args,
             input_file ? "< " : "", input_file ? input_file : "");
    int status;
    char *out = run_capture(command, &status);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s exited with status 0x%x; output:\n%s", command, status,
              out);
    return out;
}

static void expect_cli(const char *args, const char *expected)
{
    char *out = run_cli(args, NULL);
    cr_assert(strcmp(out, expected) == 0, "redis-cli %s: expected \"%s\", got \"%s\"", args, expected,
              escape_bytes(out, strlen(out)));
    free(out);
}

Test(cli, one_shot_commands)
{
    expect_cli("SET a b", "OK\n");
    expect_cli("GET a", "b\n");
    expect_cli("INCR x", "1\n");
    expect_cli("INCR x", "2\n");
    expect_cli("GET missing", "\n");
    expect_cli("EXISTS a x missing", "2\n");
    expect_cli("MGET a missing x", "b\n\n2\n");
    expect_cli("SET 'with space' 'hello world'", "OK\n");
    expect_cli("GET 'with space'", "hello world\n");
    expect_cli("INCR a", "ERR value is not an integer or out of range\n\n");
    expect_cli("PING", "PONG\n");

    redisContext *c = client_connect();
    expect_str(cmd(c, "GET a"), "b");
    expect_str(cmd(c, "GET x"), "2");
    expect_str(cmd(c, "GET %s", "with space"), "hello world");
    redisFree(c);
}

Test(cli, database_and_stdin_options)
{
    expect_cli("-n 2 SET a in-db-2", "OK\n");
    expect_cli("-n 2 GET a", "in-db-2\n");
    expect_cli("GET a", "\n");

    char input[] = "/tmp/shardis-cli-stdin-XXXXXX";
    int fd = mkstemp(input);
    cr_assert(fd >= 0);
    cr_assert(write(fd, "from stdin", 10) == 10);
    close(fd);
    char *out = run_cli("-x SET fromstdin", input);
    unlink(input);
    cr_assert_str_eq(out, "OK\n");
    free(out);

    redisContext *c = client_connect();
    expect_str(cmd(c, "GET fromstdin"), "from stdin");
    expect_status(cmd(c, "SELECT 2"), "OK");
    expect_str(cmd(c, "GET a"), "in-db-2");
    redisFree(c);
}

Test(cli, pipe_mass_insertion)
{
    enum { COUNT = 10000 };
    char path[] = "/tmp/shardis-cli-pipe-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *file = fdopen(fd, "w");
    for (int i = 0; i < COUNT; i++) {
        char key[32], value[32];
        int key_len = snprintf(key, sizeof(key), "mass:%d", i);
        int value_len = snprintf(value, sizeof(value), "v%d", i);
        fprintf(file, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", key_len, key, value_len, value);
    }
    fclose(file);
    char *out = run_cli("--pipe", path);
    unlink(path);
    cr_assert(strstr(out, "All data transferred. Waiting for the last reply...\n") != NULL, "redis-cli --pipe: %s",
              out);
    cr_assert(strstr(out, "errors: 0, replies: 10000\n") != NULL, "redis-cli --pipe: %s", out);
    free(out);

    redisContext *c = client_connect();
    expect_int(cmd(c, "DBSIZE"), COUNT);
    expect_str(cmd(c, "GET mass:0"), "v0");
    expect_str(cmd(c, "GET mass:9999"), "v9999");
    redisFree(c);
}

Test(cli, pipe_reports_errors)
{
    char path[] = "/tmp/shardis-cli-pipe-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char input[] = "*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$3\r\nabc\r\n"
                         "*2\r\n$4\r\nINCR\r\n$1\r\ns\r\n"
                         "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n";
    cr_assert(write(fd, input, sizeof(input) - 1) == (ssize_t)(sizeof(input) - 1));
    close(fd);
    /* redis-cli --pipe exits with status 1 when a reply was an error. */
    char shell[4096];
    snprintf(shell, sizeof(shell), "'%s' -h 127.0.0.1 -p %d --pipe < %s 2>&1", cli_path(), server_port(), path);
    FILE *pipe = popen(shell, "r");
    char out[4096];
    size_t len = fread(out, 1, sizeof(out) - 1, pipe);
    out[len] = '\0';
    int status = pclose(pipe);
    unlink(path);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "redis-cli --pipe with an error exited 0x%x: %s", status,
              out);
    cr_assert(strstr(out, "ERR value is not an integer or out of range") != NULL, "%s", out);
    cr_assert(strstr(out, "errors: 1, replies: 3\n") != NULL, "%s", out);
}

Test(cli, scan_with_pattern)
{
    redisContext *c = client_connect();
    fill_keys(c, "k:", 100);
    fill_keys(c, "other:", 10);
    redisFree(c);

    char *out = run_cli("--scan --pattern 'k:*'", NULL);
    bool seen[100] = {false};
    int lines = 0;
    for (char *save = NULL, *line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        cr_assert(strncmp(line, "k:", 2) == 0, "--scan --pattern 'k:*' printed %s", line);
        int n = atoi(line + 2);
        cr_assert(n >= 0 && n < 100, "--scan printed %s", line);
        seen[n] = true;
        lines++;
    }
    for (int i = 0; i < 100; i++)
        cr_assert(seen[i], "--scan never printed k:%d", i);
    cr_assert(lines >= 100, "--scan printed %d lines", lines);
    free(out);
}
