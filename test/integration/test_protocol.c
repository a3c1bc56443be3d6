/*
 * test_protocol.c - the RESP wire protocol on raw sockets: inline commands,
 * multibulk framing, protocol errors (exact texts, then a close), requests
 * split into tiny writes, garbage, and clients that vanish mid-request.
 *
 * After every abuse the server must keep serving: most tests finish by
 * checking that a fresh client still gets +PONG, and the harness fails the
 * test if the server died.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "model.h"
#include "server.h"

TestSuite(protocol, .init = server_suite_init, .fini = server_suite_fini, .timeout = 90);

#define RAW(s) (s), (sizeof(s) - 1)

static void expect_server_alive(void)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

/* Sends a request that must draw exactly `error` and then a close. */
static void expect_protocol_error(const char *request, size_t len, const char *error)
{
    struct raw_reply r = raw_roundtrip(server_port(), request, len);
    cr_assert(r.len == strlen(error) && memcmp(r.data, error, r.len) == 0, "request \"%s\": expected \"%s\"",
              escape_bytes(request, len > 200 ? 200 : len), error);
    cr_assert(r.closed, "the server kept the connection open after \"%s\"", error);
    raw_reply_free(&r);
}

Test(protocol, inline_commands)
{
    struct raw_reply r = raw_roundtrip(server_port(), RAW("PING\r\n"));
    expect_raw(&r, "+PONG\r\n");
    cr_assert(!r.closed);
    raw_reply_free(&r);

    r = raw_roundtrip(server_port(), RAW("SET a b\r\nGET a\r\nping\r\n"));
    expect_raw(&r, "+OK\r\n$1\r\nb\r\n+PONG\r\n");
    raw_reply_free(&r);

    /* Extra blanks, bare LF line ends and empty lines. */
    r = raw_roundtrip(server_port(), RAW("  PING  \r\nPING\n\r\n\r\nECHO   x\r\n"));
    expect_raw(&r, "+PONG\r\n+PONG\r\n$1\r\nx\r\n");
    raw_reply_free(&r);
}

Test(protocol, inline_quoted_arguments)
{
    struct raw_reply r = raw_roundtrip(server_port(), RAW("SET k \"hello world\"\r\nGET k\r\n"));
    expect_raw(&r, "+OK\r\n$11\r\nhello world\r\n");
    raw_reply_free(&r);

    r = raw_roundtrip(server_port(), RAW("SET k \"a\\x41\\n\\t\\\"\"\r\nGET k\r\n"));
    expect_raw(&r, "+OK\r\n$5\r\naA\n\t\"\r\n");
    raw_reply_free(&r);

    r = raw_roundtrip(server_port(), RAW("SET k 'it\\'s'\r\nGET k\r\n"));
    expect_raw(&r, "+OK\r\n$4\r\nit's\r\n");
    raw_reply_free(&r);

    r = raw_roundtrip(server_port(), RAW("SET k \"\"\r\nSTRLEN k\r\n"));
    expect_raw(&r, "+OK\r\n:0\r\n");
    raw_reply_free(&r);
}

Test(protocol, unbalanced_quotes)
{
    expect_protocol_error(RAW("SET k \"abc\r\n"), "-ERR Protocol error: unbalanced quotes in request\r\n");
    expect_protocol_error(RAW("SET k 'abc\r\n"), "-ERR Protocol error: unbalanced quotes in request\r\n");
    expect_protocol_error(RAW("SET k \"abc\"def\r\n"), "-ERR Protocol error: unbalanced quotes in request\r\n");
    expect_server_alive();
}

Test(protocol, multibulk_binary_safe)
{
    const char request[] = "*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$8\r\na\0b\r\nc\r\n\r\n"
                           "*2\r\n$3\r\nGET\r\n$3\r\nbin\r\n"
                           "*2\r\n$6\r\nSTRLEN\r\n$3\r\nbin\r\n";
    struct raw_reply r = raw_roundtrip(server_port(), request, sizeof(request) - 1);
    const char expected[] = "+OK\r\n$8\r\na\0b\r\nc\r\n\r\n:8\r\n";
    check_raw(__FILE__, __LINE__, &r, expected, sizeof(expected) - 1);
    raw_reply_free(&r);

    /* Empty arguments and a lower-case command name. */
    r = raw_roundtrip(server_port(), RAW("*3\r\n$3\r\nset\r\n$0\r\n\r\n$0\r\n\r\n*2\r\n$3\r\nget\r\n$0\r\n\r\n"));
    expect_raw(&r, "+OK\r\n$0\r\n\r\n");
    raw_reply_free(&r);

    redisContext *c = client_connect();
    expect_bulk(cmd(c, "GET bin"), "a\0b\r\nc\r\n", 8);
    redisFree(c);
}

Test(protocol, empty_and_null_multibulk_are_ignored)
{
    struct raw_reply r = raw_roundtrip(server_port(), RAW("*-1\r\n*0\r\nPING\r\n*0\r\n"));
    expect_raw(&r, "+PONG\r\n");
    cr_assert(!r.closed);
    raw_reply_free(&r);
}

Test(protocol, invalid_bulk_length)
{
    const char *error = "-ERR Protocol error: invalid bulk length\r\n";
    expect_protocol_error(RAW("*1\r\n$999999999999\r\n"), error);
    expect_protocol_error(RAW("*1\r\n$-1\r\n"), error);
    expect_protocol_error(RAW("*1\r\n$-5\r\n"), error);
    expect_protocol_error(RAW("*1\r\n$4x\r\n"), error);
    expect_protocol_error(RAW("*1\r\n$\r\n"), error);
    /* Above proto-max-bulk-len (512 MB). */
    expect_protocol_error(RAW("*2\r\n$3\r\nGET\r\n$536870913\r\n"), error);
    expect_server_alive();
}

Test(protocol, invalid_multibulk_length)
{
    const char *error = "-ERR Protocol error: invalid multibulk length\r\n";
    expect_protocol_error(RAW("*abc\r\n"), error);
    expect_protocol_error(RAW("*1x\r\n"), error);
    expect_protocol_error(RAW("*\r\n"), error);
    expect_protocol_error(RAW("*99999999999\r\n"), error);
    expect_server_alive();
}

Test(protocol, expected_dollar)
{
    expect_protocol_error(RAW("*1\r\nPING\r\n"), "-ERR Protocol error: expected '$', got 'P'\r\n");
    expect_protocol_error(RAW("*2\r\n$4\r\nECHO\r\n:5\r\n"), "-ERR Protocol error: expected '$', got ':'\r\n");
    /* Replies to earlier commands of the same packet come first. */
    struct raw_reply r = raw_roundtrip(server_port(), RAW("PING\r\n*1\r\n+x\r\n"));
    expect_raw(&r, "+PONG\r\n-ERR Protocol error: expected '$', got '+'\r\n");
    cr_assert(r.closed);
    raw_reply_free(&r);
    expect_server_alive();
}

Test(protocol, too_big_inline_and_counts)
{
    size_t len = 70000;
    char *big = malloc(len);
    memset(big, 'a', len);
    expect_protocol_error(big, len, "-ERR Protocol error: too big inline request\r\n");
    big[0] = '*';
    memset(big + 1, '1', len - 1);
    expect_protocol_error(big, len, "-ERR Protocol error: too big mbulk count string\r\n");
    memcpy(big, "*1\r\n$", 5);
    expect_protocol_error(big, len, "-ERR Protocol error: too big bulk count string\r\n");
    free(big);
    expect_server_alive();
}

Test(protocol, one_byte_writes)
{
    const char request[] = "*3\r\n$3\r\nSET\r\n$5\r\nslow!\r\n$11\r\nhello world\r\n"
                           "GET slow!\r\n";
    int fd = raw_connect(server_port());
    for (size_t i = 0; i < sizeof(request) - 1; i++) {
        cr_assert(raw_send(fd, request + i, 1), "send failed at byte %zu", i);
        sleep_ms(2);
    }
    struct raw_reply r = raw_read(fd, 5 + 18, 5000);
    expect_raw(&r, "+OK\r\n$11\r\nhello world\r\n");
    cr_assert(!r.closed);
    raw_reply_free(&r);
    close(fd);
}

Test(protocol, large_value_in_small_chunks)
{
    size_t value_len = 1 << 20;
    char header[64];
    int header_len = snprintf(header, sizeof(header), "*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%zu\r\n", value_len);
    char *value = malloc(value_len);
    for (size_t i = 0; i < value_len; i++)
        value[i] = (char)(i * 31 + 7);
    int fd = raw_connect(server_port());
    cr_assert(raw_send(fd, header, (size_t)header_len));
    for (size_t off = 0; off < value_len; off += 1000)
        cr_assert(raw_send(fd, value + off, value_len - off < 1000 ? value_len - off : 1000));
    cr_assert(raw_send(fd, "\r\n", 2));
    struct raw_reply r = raw_read(fd, 5, 10000);
    expect_raw(&r, "+OK\r\n");
    raw_reply_free(&r);
    close(fd);

    redisContext *c = client_connect();
    expect_bulk(cmd(c, "GET big"), value, value_len);
    redisFree(c);
    free(value);
}

Test(protocol, random_garbage)
{
    enum { ROUNDS = 100 };
    uint64_t state = 0x5eed5eed12345678ULL;
    int fds[ROUNDS];
    bool done[ROUNDS] = {false};
    size_t got[ROUNDS] = {0};
    char first[ROUNDS];
    char buf[65536];

    /* All rounds at once, each on its own connection, so that the test takes
     * as long as the slowest round, not the sum. Every round ends in CRLF:
     * the server must answer with an error or close the connection. The
     * garbage has no NUL bytes: Redis finds inline line ends with strchr(),
     * so a NUL before the newline makes it wait for more input instead of
     * answering (see random_garbage_with_nul_bytes). */
    for (int i = 0; i < ROUNDS; i++) {
        size_t len = 1024 + xorshift_next(&state) % 3073;
        char *garbage = malloc(len + 2);
        for (size_t j = 0; j < len; j++) {
            char byte;
            while ((byte = (char)xorshift_next(&state)) == '\0') {
            }
            garbage[j] = byte;
        }
        memcpy(garbage + len, "\r\n", 2);
        fds[i] = raw_connect(server_port());
        raw_send(fds[i], garbage, len + 2); /* may fail once the server closed: fine */
        free(garbage);
    }
    long long deadline = now_ms() + 10000;
    int remaining = ROUNDS;
    while (remaining > 0 && now_ms() < deadline) {
        struct pollfd pfds[ROUNDS];
        int map[ROUNDS], n = 0;
        for (int i = 0; i < ROUNDS; i++) {
            if (!done[i]) {
                pfds[n] = (struct pollfd){.fd = fds[i], .events = POLLIN};
                map[n++] = i;
            }
        }
        if (poll(pfds, (nfds_t)n, 100) <= 0)
            continue;
        for (int k = 0; k < n; k++) {
            if (!(pfds[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int i = map[k];
            ssize_t r = recv(fds[i], buf, sizeof(buf), 0);
            if (r > 0) {
                if (got[i] == 0)
                    first[i] = buf[0];
                got[i] += (size_t)r;
                if (first[i] == '-') {
                    done[i] = true; /* an error reply: that is all we ask */
                    remaining--;
                }
            } else {
                done[i] = true; /* closed or reset */
                remaining--;
            }
        }
    }
    for (int i = 0; i < ROUNDS; i++) {
        cr_assert(done[i], "garbage round %d: no error and no close within 10 s (%zu bytes, first '%c')", i, got[i],
                  got[i] ? first[i] : '?');
        cr_assert(got[i] == 0 || first[i] == '-', "garbage round %d: reply starts with '%c', not an error", i,
                  first[i]);
        close(fds[i]);
    }
    expect_server_alive();
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET after-garbage ok"), "OK");
    expect_str(cmd(c, "GET after-garbage"), "ok");
    redisFree(c);
}

Test(protocol, random_garbage_with_nul_bytes)
{
    /* Any byte at all; whether the server answers is up to it (Redis waits
     * for a newline it cannot see past a NUL). It must survive and serve. */
    enum { ROUNDS = 30 };
    uint64_t state = 0xfeedface0badcafeULL;
    int fds[ROUNDS];
    for (int i = 0; i < ROUNDS; i++) {
        size_t len = 1024 + xorshift_next(&state) % 3073;
        char *garbage = malloc(len);
        for (size_t j = 0; j < len; j++)
            garbage[j] = (char)xorshift_next(&state);
        fds[i] = raw_connect(server_port());
        raw_send(fds[i], garbage, len);
        free(garbage);
    }
    sleep_ms(100);
    for (int i = 0; i < ROUNDS; i++)
        close(fds[i]);
    expect_server_alive();
}

/* 10,000 SETs as one buffer of RESP. Caller frees. */
static char *big_pipeline(size_t *len)
{
    size_t cap = 10000 * 64, used = 0;
    char *buf = malloc(cap);
    for (int i = 0; i < 10000; i++) {
        char key[16], value[16];
        int key_len = snprintf(key, sizeof(key), "p:%d", i);
        int value_len = snprintf(value, sizeof(value), "%d", i);
        used += (size_t)snprintf(buf + used, cap - used, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", key_len, key,
                                 value_len, value);
    }
    *len = used;
    return buf;
}

Test(protocol, disconnect_mid_pipeline)
{
    size_t len;
    char *pipeline = big_pipeline(&len);
    /* 1: half the pipeline, cut in the middle of a command, then close. */
    int fd = raw_connect(server_port());
    raw_send(fd, pipeline, len / 2 + 7);
    close(fd);
    /* 2: all of it, never read a reply, close. */
    fd = raw_connect(server_port());
    raw_send(fd, pipeline, len);
    close(fd);
    /* 3: all of it, then reset the connection (SO_LINGER 0) while the server
     * is still writing replies. */
    fd = raw_connect(server_port());
    raw_send(fd, pipeline, len);
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
    close(fd);
    free(pipeline);

    redisContext *c = client_connect();
    expect_status(cmd(c, "PING"), "PONG");
    expect_status(cmd(c, "SET other works"), "OK");
    expect_str(cmd(c, "GET other"), "works");
    /* Whatever got applied is whole: every present key has its own value. */
    long long n = dbsize(c);
    cr_assert(n >= 1 && n <= 10001, "DBSIZE %lld", n);
    redisReply *r = cmd_with_keys(c, "MGET", "p:", 10000);
    assert_array_len(r, 10000);
    for (int i = 0; i < 10000; i++) {
        redisReply *e = r->element[i];
        if (e->type == REDIS_REPLY_NIL)
            continue;
        char value[16];
        snprintf(value, sizeof(value), "%d", i);
        assert_str(e, value);
    }
    freeReplyObject(r);
    redisFree(c);
}

Test(protocol, unterminated_command_then_close)
{
    const char *partials[] = {
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhel", /* inside a bulk */
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5",        /* inside a length */
        "*3\r\n",                                  /* after the count */
        "SET k inline-without-newline",            /* inline */
    };
    for (size_t i = 0; i < sizeof(partials) / sizeof(partials[0]); i++) {
        int fd = raw_connect(server_port());
        cr_assert(raw_send(fd, partials[i], strlen(partials[i])));
        struct raw_reply r = raw_read(fd, 0, 200);
        cr_assert(r.len == 0, "a partial command got a reply: %s", escape_bytes(r.data, r.len));
        raw_reply_free(&r);
        close(fd);
    }
    redisContext *c = client_connect();
    expect_int(cmd(c, "EXISTS k"), 0);
    expect_status(cmd(c, "PING"), "PONG");
    redisFree(c);
}

Test(protocol, pipelined_mixed_inline_and_multibulk)
{
    struct raw_reply r = raw_roundtrip(
        server_port(), RAW("SET x 1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nx\r\nINCR x\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n"));
    expect_raw(&r, "+OK\r\n:2\r\n:3\r\n$1\r\n3\r\n");
    raw_reply_free(&r);
}
