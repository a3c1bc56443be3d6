/*
 * client.c - hiredis connections, exact reply assertions and raw sockets for
 * the integration tests.
 *
 * Every check fails the current Criterion test with the caller's file and
 * line and a rendering of what the server actually sent. Memory on failure
 * paths is not reclaimed: the worker process ends with the test.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CMake build defines it; for stand-alone builds */
#endif
#include "client.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

#define DESCRIBE_SIZE 4096

long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long unix_time_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* ---- Connections ---- */

redisContext *client_connect_port(int port)
{
    struct timeval timeout = {.tv_sec = 10, .tv_usec = 0};
    redisContext *ctx = redisConnectWithTimeout("127.0.0.1", port, timeout);
    cr_assert(ctx != NULL, "redisConnect: out of memory");
    cr_assert(ctx->err == 0, "connect to 127.0.0.1:%d: %s", port, ctx->errstr);
    redisSetTimeout(ctx, timeout);
    return ctx;
}

redisContext *client_connect(void)
{
    return client_connect_port(server_port());
}

redisReply *cmd(redisContext *ctx, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    redisReply *reply = redisvCommand(ctx, format, args);
    va_end(args);
    cr_assert(reply != NULL, "command '%s': connection error: %s", format, ctx->errstr);
    return reply;
}

redisReply *cmd_argv(redisContext *ctx, int argc, const char **argv, const size_t *lens)
{
    redisReply *reply = redisCommandArgv(ctx, argc, argv, lens);
    cr_assert(reply != NULL, "command '%s': connection error: %s", argc > 0 ? argv[0] : "", ctx->errstr);
    return reply;
}

redisReply *next_reply(redisContext *ctx)
{
    void *reply = NULL;
    cr_assert(redisGetReply(ctx, &reply) == REDIS_OK && reply != NULL, "reading pipelined reply: %s", ctx->errstr);
    return reply;
}

/* ---- Rendering ---- */

const char *escape_bytes(const char *data, size_t len)
{
    static _Thread_local char out[DESCRIBE_SIZE]; /* worker threads describe replies too */
    size_t used = 0;
    for (size_t i = 0; i < len && used + 8 < sizeof(out); i++) {
        unsigned char c = (unsigned char)data[i];
        if (c == '\r')
            used += (size_t)snprintf(out + used, sizeof(out) - used, "\\r");
        else if (c == '\n')
            used += (size_t)snprintf(out + used, sizeof(out) - used, "\\n");
        else if (c == '"' || c == '\\')
            used += (size_t)snprintf(out + used, sizeof(out) - used, "\\%c", c);
        else if (c < 32 || c >= 127)
            used += (size_t)snprintf(out + used, sizeof(out) - used, "\\x%02x", c);
        else
            out[used++] = (char)c;
    }
    if (used + 8 >= sizeof(out))
        used += (size_t)snprintf(out + used, sizeof(out) - used, "...");
    out[used] = '\0';
    return out;
}

static void describe_into(const redisReply *reply, char *out, size_t size, size_t *used, int depth)
{
#define EMIT(...)                                                                                                      \
    do {                                                                                                               \
        if (*used < size)                                                                                              \
            *used += (size_t)snprintf(out + *used, size - *used, __VA_ARGS__);                                         \
    } while (0)
    if (reply == NULL) {
        EMIT("(no reply)");
        return;
    }
    switch (reply->type) {
    case REDIS_REPLY_STATUS:
        EMIT("(status) %s", reply->str);
        break;
    case REDIS_REPLY_ERROR:
        EMIT("(error) %s", reply->str);
        break;
    case REDIS_REPLY_INTEGER:
        EMIT("(integer) %lld", reply->integer);
        break;
    case REDIS_REPLY_NIL:
        EMIT("(nil)");
        break;
    case REDIS_REPLY_STRING:
        EMIT("\"%s\"", escape_bytes(reply->str, reply->len));
        break;
#ifdef REDIS_REPLY_MAP /* hiredis >= 1.0 parses RESP3 */
    case REDIS_REPLY_DOUBLE:
        EMIT("(double) %s", reply->str);
        break;
    case REDIS_REPLY_BOOL:
        EMIT("(bool) %s", reply->integer ? "true" : "false");
        break;
    case REDIS_REPLY_VERB:
        EMIT("(verbatim %s) \"%s\"", reply->vtype, escape_bytes(reply->str, reply->len));
        break;
    case REDIS_REPLY_BIGNUM:
        EMIT("(bignum) %s", reply->str);
        break;
    case REDIS_REPLY_MAP:
    case REDIS_REPLY_SET:
    case REDIS_REPLY_PUSH:
    case REDIS_REPLY_ATTR:
#endif
    case REDIS_REPLY_ARRAY: {
        const char *kind = "array";
#ifdef REDIS_REPLY_MAP
        kind = reply->type == REDIS_REPLY_MAP    ? "map"
               : reply->type == REDIS_REPLY_SET  ? "set"
               : reply->type == REDIS_REPLY_PUSH ? "push"
               : reply->type == REDIS_REPLY_ATTR ? "attr"
                                                 : kind;
#endif
        EMIT("(%s of %zu) [", kind, reply->elements);
        for (size_t i = 0; i < reply->elements && depth < 4; i++) {
            if (i >= 20) {
                EMIT(", ...");
                break;
            }
            if (i > 0)
                EMIT(", ");
            describe_into(reply->element[i], out, size, used, depth + 1);
        }
        EMIT("]");
        break;
    }
    default:
        EMIT("(reply type %d)", reply->type);
    }
#undef EMIT
}

const char *describe_reply(const redisReply *reply)
{
    static _Thread_local char out[DESCRIBE_SIZE]; /* worker threads describe replies too */
    size_t used = 0;
    out[0] = '\0';
    describe_into(reply, out, sizeof(out), &used, 0);
    return out;
}

/* ---- Checks ---- */

void check_status(const char *file, int line, redisReply *reply, const char *text, bool consume)
{
    cr_assert(reply != NULL && reply->type == REDIS_REPLY_STATUS && strcmp(reply->str, text) == 0,
              "%s:%d: expected status %s, got %s", file, line, text, describe_reply(reply));
    if (consume)
        freeReplyObject(reply);
}

void check_int(const char *file, int line, redisReply *reply, long long value, bool consume)
{
    cr_assert(reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == value,
              "%s:%d: expected (integer) %lld, got %s", file, line, value, describe_reply(reply));
    if (consume)
        freeReplyObject(reply);
}

void check_bulk(const char *file, int line, redisReply *reply, const char *data, size_t len, bool consume)
{
    bool ok =
        reply != NULL && reply->type == REDIS_REPLY_STRING && reply->len == len && memcmp(reply->str, data, len) == 0;
    if (!ok) {
        char expected[DESCRIBE_SIZE];
        snprintf(expected, sizeof(expected), "%s", escape_bytes(data, len));
        cr_assert_fail("%s:%d: expected bulk \"%s\", got %s", file, line, expected, describe_reply(reply));
    }
    if (consume)
        freeReplyObject(reply);
}

void check_nil(const char *file, int line, redisReply *reply, bool consume)
{
    cr_assert(reply != NULL && reply->type == REDIS_REPLY_NIL, "%s:%d: expected (nil), got %s", file, line,
              describe_reply(reply));
    if (consume)
        freeReplyObject(reply);
}

void check_err(const char *file, int line, redisReply *reply, const char *text, bool prefix, bool consume)
{
    bool ok = reply != NULL && reply->type == REDIS_REPLY_ERROR &&
              (prefix ? strncmp(reply->str, text, strlen(text)) == 0 : strcmp(reply->str, text) == 0);
    cr_assert(ok, "%s:%d: expected error %s\"%s\", got %s", file, line, prefix ? "starting with " : "", text,
              describe_reply(reply));
    if (consume)
        freeReplyObject(reply);
}

void check_double(const char *file, int line, redisReply *reply, const char *text, bool consume)
{
    bool is_text = reply != NULL && reply->type == REDIS_REPLY_STRING;
#ifdef REDIS_REPLY_DOUBLE
    is_text = is_text || (reply != NULL && reply->type == REDIS_REPLY_DOUBLE);
#endif
    bool ok = is_text && reply->len == strlen(text) && memcmp(reply->str, text, reply->len) == 0;
    cr_assert(ok, "%s:%d: expected double %s, got %s", file, line, text, describe_reply(reply));
    if (consume)
        freeReplyObject(reply);
}

redisReply *check_array_len(const char *file, int line, redisReply *reply, size_t n, bool consume)
{
    cr_assert(reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == n,
              "%s:%d: expected an array of %zu elements, got %s", file, line, n, describe_reply(reply));
    if (consume) {
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

void check_strs(const char *file, int line, redisReply *reply, bool any_order, bool consume, size_t n, ...)
{
    check_array_len(file, line, reply, n, false);
    const char *expected[n > 0 ? n : 1];
    bool matched[n > 0 ? n : 1];
    va_list args;
    va_start(args, n);
    for (size_t i = 0; i < n; i++) {
        expected[i] = va_arg(args, const char *);
        matched[i] = false;
    }
    va_end(args);

    for (size_t i = 0; i < n; i++) {
        const redisReply *element = reply->element[i];
        bool ok = false;
        for (size_t j = any_order ? 0 : i; j < (any_order ? n : i + 1); j++) {
            if (matched[j])
                continue;
            if (expected[j] == NULL)
                ok = element->type == REDIS_REPLY_NIL;
            else
                ok = element->type == REDIS_REPLY_STRING && element->len == strlen(expected[j]) &&
                     memcmp(element->str, expected[j], element->len) == 0;
            if (ok) {
                matched[j] = true;
                break;
            }
        }
        if (!ok) {
            char got[DESCRIBE_SIZE];
            snprintf(got, sizeof(got), "%s", describe_reply(reply));
            if (any_order)
                cr_assert_fail("%s:%d: element %zu (%s) is not one of the expected strings; reply %s", file, line, i,
                               describe_reply(element), got);
            cr_assert_fail("%s:%d: element %zu: expected %s%s%s, reply %s", file, line, i, expected[i] ? "\"" : "",
                           expected[i] ? expected[i] : "(nil)", expected[i] ? "\"" : "", got);
        }
    }
    if (consume)
        freeReplyObject(reply);
}

/* ---- Helpers built on replies ---- */

bool make_list(redisContext *ctx, const char *key)
{
    redisReply *reply = cmd(ctx, "RPUSH %s element", key);
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "ERR unknown command", 19) == 0) {
        freeReplyObject(reply);
        return false;
    }
    expect_int(reply, 1);
    return true;
}

bool info_field(const char *info, const char *field, char *out, size_t size)
{
    size_t field_len = strlen(field);
    const char *line = info;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, field, field_len) == 0 && line[field_len] == ':') {
            const char *value = line + field_len + 1;
            size_t value_len = strcspn(value, "\r\n");
            if (value_len >= size)
                value_len = size - 1;
            memcpy(out, value, value_len);
            out[value_len] = '\0';
            return true;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return false;
}

char *info_text(redisContext *ctx, const char *section)
{
    redisReply *reply = section != NULL ? cmd(ctx, "INFO %s", section) : cmd(ctx, "INFO");
    cr_assert(reply->type == REDIS_REPLY_STRING, "INFO %s: expected a bulk string, got %s", section ? section : "",
              describe_reply(reply));
    char *text = strndup(reply->str, reply->len);
    freeReplyObject(reply);
    return text;
}

void fill_keys(redisContext *ctx, const char *prefix, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert(redisAppendCommand(ctx, "SET %s%d %d", prefix, i, i) == REDIS_OK, "redisAppendCommand failed");
    for (int i = 0; i < n; i++)
        expect_status(next_reply(ctx), "OK");
}

redisReply *cmd_with_keys(redisContext *ctx, const char *command, const char *prefix, int n)
{
    const char **argv = calloc((size_t)n + 1, sizeof(*argv));
    size_t *lens = calloc((size_t)n + 1, sizeof(*lens));
    char *names = calloc((size_t)n, 64);
    cr_assert(argv != NULL && lens != NULL && names != NULL);
    argv[0] = command;
    lens[0] = strlen(command);
    for (int i = 0; i < n; i++) {
        char *name = names + (size_t)i * 64;
        snprintf(name, 64, "%s%d", prefix, i);
        argv[i + 1] = name;
        lens[i + 1] = strlen(name);
    }
    redisReply *reply = cmd_argv(ctx, n + 1, argv, lens);
    free(argv);
    free(lens);
    free(names);
    return reply;
}

long long dbsize(redisContext *ctx)
{
    redisReply *reply = cmd(ctx, "DBSIZE");
    cr_assert(reply->type == REDIS_REPLY_INTEGER, "DBSIZE: expected an integer, got %s", describe_reply(reply));
    long long n = reply->integer;
    freeReplyObject(reply);
    return n;
}

/* ---- Raw sockets ---- */

int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert(connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0, "connect to port %d: %s", port,
              strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

bool raw_send(int fd, const void *bytes, size_t len)
{
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

struct raw_reply raw_read(int fd, size_t want, int timeout_ms)
{
    struct raw_reply out = {.data = NULL, .len = 0, .closed = false};
    size_t capacity = 4096;
    out.data = malloc(capacity + 1);
    cr_assert(out.data != NULL);
    long long deadline = now_ms() + timeout_ms;
    long long linger_until = 0; /* after `want` bytes: a short wait for extras */
    for (;;) {
        long long now = now_ms();
        long long until = linger_until ? linger_until : deadline;
        if (want == 0 && out.len > 0 && now + 300 < until)
            until = now + 300; /* quiet period once data has started */
        if (now >= until)
            break;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, (int)(until - now));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready <= 0) {
            if (want == 0 && out.len > 0)
                break;
            if (linger_until || now_ms() >= deadline)
                break;
            continue;
        }
        if (out.len == capacity) {
            capacity *= 2;
            out.data = realloc(out.data, capacity + 1);
            cr_assert(out.data != NULL);
        }
        ssize_t n = recv(fd, out.data + out.len, capacity - out.len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            out.closed = true;
            break;
        }
        out.len += (size_t)n;
        if (want > 0 && out.len >= want && !linger_until)
            linger_until = now_ms() + 50;
    }
    out.data[out.len] = '\0';
    return out;
}

struct raw_reply raw_roundtrip(int port, const void *bytes, size_t len)
{
    int fd = raw_connect(port);
    raw_send(fd, bytes, len); /* a server that closes early makes this fail; the reply tells */
    struct raw_reply reply = raw_read(fd, 0, 5000);
    close(fd);
    return reply;
}

void raw_reply_free(struct raw_reply *reply)
{
    free(reply->data);
    reply->data = NULL;
    reply->len = 0;
}

void check_raw(const char *file, int line, const struct raw_reply *raw, const char *text, size_t len)
{
    if (raw->len == len && memcmp(raw->data, text, len) == 0)
        return;
    char expected[DESCRIBE_SIZE];
    snprintf(expected, sizeof(expected), "%s", escape_bytes(text, len));
    cr_assert_fail("%s:%d: expected raw reply \"%s\", got \"%s\"%s", file, line, expected,
                   escape_bytes(raw->data, raw->len), raw->closed ? " (then closed)" : "");
}
