/*
 * test_limits.c - connection limits: maxclients, the idle timeout,
 * client-output-buffer-limit (a client that never reads its replies is
 * disconnected and the server's memory stays bounded), the query buffer
 * limit and proto-max-bulk-len, all changed at run time with CONFIG SET.
 * Every test passes against redis-server 7.0.15 too.
 *
 * Closes happen asynchronously: tests poll (INFO connected_clients, a read
 * that sees EOF) with generous deadlines instead of sleeping fixed times.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "server.h"

TestSuite(limits, .init = server_suite_init, .fini = server_suite_fini, .timeout = 60);

static long long info_ll(redisContext *c, const char *section, const char *field)
{
    char *info = info_text(c, section);
    char value[64];
    cr_assert(info_field(info, field, value, sizeof(value)), "INFO %s lacks %s", section, field);
    free(info);
    return atoll(value);
}

static long long wait_for_clients(redisContext *c, long long want, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long long n;
    while ((n = info_ll(c, "clients", "connected_clients")) != want && now_ms() < deadline)
        sleep_ms(20);
    return n;
}

/* Reads and discards until the peer closes; false when timeout_ms passes
 * first. */
static bool drain_until_closed(int fd, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    char buf[65536];
    while (now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
            return true;
    }
    return false;
}

Test(limits, maxclients_refuses_the_next_client)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET maxclients 3"), "OK");
    expect_strs(cmd(c, "CONFIG GET maxclients"), 2, "maxclients", "3");
    redisContext *c2 = client_connect();
    redisContext *c3 = client_connect();
    expect_status(cmd(c2, "PING"), "PONG");
    expect_status(cmd(c3, "PING"), "PONG");
    int fd = raw_connect(server_port());
    struct raw_reply r = raw_read(fd, 0, 5000);
    expect_raw(&r, "-ERR max number of clients reached\r\n");
    cr_assert(r.closed, "the refused connection stays open");
    raw_reply_free(&r);
    close(fd);
    /* the others keep working; a freed place can be taken again */
    expect_status(cmd(c3, "PING"), "PONG");
    redisFree(c3);
    cr_assert_eq(wait_for_clients(c, 2, 5000), 2);
    redisContext *c4 = client_connect();
    expect_status(cmd(c4, "PING"), "PONG");
    cr_assert(info_ll(c, "stats", "rejected_connections") >= 1);
    redisFree(c4);
    redisFree(c2);
    redisFree(c);
}

Test(limits, idle_timeout_closes_idle_clients_only)
{
    redisContext *c = client_connect();
    redisContext *busy = client_connect();
    int idle = raw_connect(server_port());
    int blocked = raw_connect(server_port());
    static const char ping[] = "*1\r\n$4\r\nPING\r\n";
    cr_assert(raw_send(idle, ping, sizeof(ping) - 1));
    struct raw_reply r = raw_read(idle, 7, 5000);
    expect_raw(&r, "+PONG\r\n");
    raw_reply_free(&r);
    static const char blpop[] = "*3\r\n$5\r\nBLPOP\r\n$5\r\nqueue\r\n$1\r\n0\r\n";
    cr_assert(raw_send(blocked, blpop, sizeof(blpop) - 1));
    cr_assert_eq(wait_for_clients(c, 4, 5000), 4);
    long long blocked_n = 0;
    for (long long deadline = now_ms() + 5000; now_ms() < deadline && blocked_n != 1; sleep_ms(20))
        blocked_n = info_ll(c, "clients", "blocked_clients");
    cr_assert_eq(blocked_n, 1);

    expect_status(cmd(c, "CONFIG SET timeout 1"), "OK");
    /* The idle client goes within a few seconds; the busy ones stay. */
    bool closed = false;
    for (long long deadline = now_ms() + 8000; now_ms() < deadline && !closed;) {
        expect_status(cmd(busy, "PING"), "PONG");
        expect_status(cmd(c, "PING"), "PONG");
        struct pollfd p = {.fd = idle, .events = POLLIN};
        if (poll(&p, 1, 100) > 0) {
            char b[16];
            closed = recv(idle, b, sizeof(b), 0) <= 0;
        }
    }
    cr_assert(closed, "the idle client was not closed");
    expect_status(cmd(busy, "PING"), "PONG");
    /* The blocked client was not timed out: it gets its element. */
    expect_int(cmd(busy, "RPUSH queue x"), 1);
    static const char popped[] = "*2\r\n$5\r\nqueue\r\n$1\r\nx\r\n";
    r = raw_read(blocked, sizeof(popped) - 1, 5000);
    expect_raw(&r, popped);
    raw_reply_free(&r);
    expect_status(cmd(c, "CONFIG SET timeout 0"), "OK");
    close(idle);
    close(blocked);
    redisFree(busy);
    redisFree(c);
}

Test(limits, output_buffer_limit_config)
{
    redisContext *c = client_connect();
    expect_strs(cmd(c, "CONFIG GET client-output-buffer-limit"), 2, "client-output-buffer-limit",
                "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    expect_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1mb 512kb 10 pubsub 4mb 2mb 30"), "OK");
    expect_strs(cmd(c, "CONFIG GET client-output-buffer-limit"), 2, "client-output-buffer-limit",
                "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 4194304 2097152 30");
    expect_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "replica 1gb 0 0"), "OK");
    expect_strs(cmd(c, "CONFIG GET client-output-buffer-limit"), 2, "client-output-buffer-limit",
                "normal 1048576 524288 10 slave 1073741824 0 0 pubsub 4194304 2097152 30");
    expect_err_prefix(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 1mb 512kb"), "ERR CONFIG SET failed");
    expect_err_prefix(cmd(c, "CONFIG SET client-output-buffer-limit %s", "bogus 1 1 1"), "ERR CONFIG SET failed");
    expect_err_prefix(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal x 1 1"), "ERR CONFIG SET failed");
    redisFree(c);
}

/* A client that pipelines GETs of a 100 KB value and never reads: about 40
 * MB of replies. Over the 1 MB hard limit it is disconnected; the server's
 * memory does not grow by the replies; others are served throughout. */
static void never_reading_client(const char *limits)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", limits), "OK");
    enum { VALUE = 100 * 1000, GETS = 400 };
    char *value = malloc(VALUE);
    memset(value, 'x', VALUE);
    expect_status(cmd(c, "SET big %b", value, (size_t)VALUE), "OK");
    free(value);
    long long before = info_ll(c, "memory", "used_memory");

    int fd = raw_connect(server_port());
    static const char get[] = "*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n";
    size_t len = (sizeof(get) - 1) * GETS;
    char *pipeline = malloc(len);
    for (int i = 0; i < GETS; i++)
        memcpy(pipeline + i * (sizeof(get) - 1), get, sizeof(get) - 1);
    cr_assert(raw_send(fd, pipeline, len));
    free(pipeline);
    cr_assert_eq(wait_for_clients(c, 1, 10000), 1, "the client that does not read was not disconnected");
    long long after = info_ll(c, "memory", "used_memory");
    cr_assert(after < before + 8 * 1024 * 1024, "used_memory grew from %lld to %lld", before, after);
    long long max_out = info_ll(c, "clients", "client_recent_max_output_buffer");
    cr_assert(max_out >= 0);
    cr_assert(drain_until_closed(fd, 10000), "the socket was not closed");
    close(fd);
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

Test(limits, output_buffer_hard_limit_disconnects_a_client_that_never_reads)
{
    never_reading_client("normal 1mb 0 0");
}

Test(limits, output_buffer_soft_limit_disconnects_after_its_seconds)
{
    never_reading_client("normal 0 256kb 1");
}

Test(limits, output_buffer_within_limits_keeps_the_client)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET client-output-buffer-limit %s", "normal 16mb 8mb 10"), "OK");
    char *value = malloc(300000);
    memset(value, 'y', 300000);
    expect_status(cmd(c, "SET v %b", value, (size_t)300000), "OK");
    /* A reader that reads: 20 x 300 KB replies in one pipeline stay under
     * the hard limit even if none had been read yet. */
    for (int i = 0; i < 20; i++)
        cr_assert(redisAppendCommand(c, "GET v") == REDIS_OK);
    for (int i = 0; i < 20; i++)
        expect_bulk(next_reply(c), value, 300000);
    free(value);
    expect_status(cmd(c, "PING"), "PONG");
    char *list = NULL;
    redisReply *r = cmd(c, "CLIENT LIST");
    cr_assert(r->type == REDIS_REPLY_STRING);
    list = r->str;
    cr_assert(strstr(list, " omem=") && strstr(list, " qbuf="), "CLIENT LIST: %s", list);
    freeReplyObject(r);
    redisFree(c);
}

Test(limits, query_buffer_limit_closes_the_client)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET client-query-buffer-limit 1mb"), "OK");
    expect_strs(cmd(c, "CONFIG GET client-query-buffer-limit"), 2, "client-query-buffer-limit", "1048576");
    expect_err_prefix(cmd(c, "CONFIG SET client-query-buffer-limit 1000"), "ERR CONFIG SET failed");
    int fd = raw_connect(server_port());
    /* an inline command without its newline keeps growing the buffer */
    size_t len = 2 * 1024 * 1024;
    char *junk = malloc(len);
    memset(junk, 'a', len);
    raw_send(fd, junk, len); /* may fail half way: the server closed */
    free(junk);
    cr_assert(drain_until_closed(fd, 10000), "the connection survived 2 MB of query buffer");
    close(fd);
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

Test(limits, proto_max_bulk_len_at_run_time)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET proto-max-bulk-len 2mb"), "OK");
    expect_strs(cmd(c, "CONFIG GET proto-max-bulk-len"), 2, "proto-max-bulk-len", "2097152");
    int fd = raw_connect(server_port());
    static const char big[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n";
    cr_assert(raw_send(fd, big, sizeof(big) - 1));
    struct raw_reply r = raw_read(fd, 0, 5000);
    expect_raw(&r, "-ERR Protocol error: invalid bulk length\r\n");
    cr_assert(r.closed);
    raw_reply_free(&r);
    close(fd);
    /* at the limit it is accepted */
    size_t n = 2 * 1024 * 1024;
    char *v = malloc(n);
    memset(v, 'z', n);
    expect_status(cmd(c, "SET k %b", v, n), "OK");
    free(v);
    expect_int(cmd(c, "STRLEN k"), (long long)n);
    redisFree(c);
}

Test(limits, tcp_keepalive_config)
{
    redisContext *c = client_connect();
    expect_strs(cmd(c, "CONFIG GET tcp-keepalive"), 2, "tcp-keepalive", "300");
    expect_status(cmd(c, "CONFIG SET tcp-keepalive 60"), "OK");
    expect_strs(cmd(c, "CONFIG GET tcp-keepalive"), 2, "tcp-keepalive", "60");
    redisContext *c2 = client_connect();
    expect_status(cmd(c2, "PING"), "PONG");
    redisFree(c2);
    redisFree(c);
}
