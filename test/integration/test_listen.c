/*
 * test_listen.c - the listening sockets: a second server started on the port
 * of a running one refuses to start, as redis-server does ("Address already
 * in use"), instead of sharing the port through SO_REUSEPORT and taking half
 * of the first server's connections. Passes against redis-server too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "server.h"

TestSuite(listen, .init = server_suite_init, .fini = server_suite_fini);

Test(listen, second_server_on_a_busy_port_refuses_to_start)
{
    char dir[] = "/tmp/shardis-listen-XXXXXX";
    cr_assert(mkdtemp(dir));
    char port[16];
    snprintf(port, sizeof(port), "%d", server_port());
    const char *args[] = {"--port", port};
    struct test_server_opts opts = {.dir = dir, .nargs = 2, .args = args};
    char log[2048];
    int status = server_run_expect_exit(&opts, log, sizeof(log));
    cr_assert(status != -1, "a second server started on port %s", port);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 0, "status %d, log: %s", status, log);
    cr_assert(strstr(log, "Address already in use"), "log: %s", log);
    /* The first server still has the port to itself and answers. */
    redisContext *c = client_connect();
    for (int i = 0; i < 20; i++)
        expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
    char path[300];
    snprintf(path, sizeof(path), "%s/server.log", dir);
    unlink(path);
    rmdir(dir);
}
