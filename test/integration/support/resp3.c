/*
 * resp3.c - RESP2/RESP3 reply parser and raw sessions for the integration
 * tests (see resp3.h for why hiredis is not enough).
 *
 * The parser is a straightforward recursive descent over a complete buffer:
 * it returns 0 ("need more") when a value is cut short, so a session simply
 * reads more and parses again from the start. Replies in tests are small, so
 * re-parsing costs nothing worth optimising.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* the CMake build defines it; for stand-alone builds */
#endif
#include "resp3.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"

#define SESSION_TIMEOUT_MS 10000
#define MAX_DEPTH 32

void resp3_free(struct resp3 *value)
{
    if (value == NULL)
        return;
    size_t n = (value->type == '%' || value->type == '|') ? value->count * 2 : value->count;
    for (size_t i = 0; i < n && value->items != NULL; i++)
        resp3_free(value->items[i]);
    free(value->items);
    free(value->str);
    free(value);
}

/* Finds the CRLF that ends the line starting at buf[pos]; returns its index or -1. */
static long find_crlf(const char *buf, size_t len, size_t pos)
{
    for (size_t i = pos; i + 1 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n')
            return (long)i;
    return -1;
}

static bool parse_ll(const char *text, size_t len, long long *out)
{
    if (len == 0 || len > 20)
        return false;
    char tmp[24];
    memcpy(tmp, text, len);
    tmp[len] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static long parse_at(const char *buf, size_t len, size_t pos, int depth, struct resp3 **out)
{
    if (depth > MAX_DEPTH)
        return -1;
    if (pos >= len)
        return 0;
    long eol = find_crlf(buf, len, pos + 1);
    if (eol < 0)
        return 0;
    struct resp3 *value = calloc(1, sizeof(*value));
    cr_assert(value != NULL);
    value->type = buf[pos];
    const char *line = buf + pos + 1;
    size_t line_len = (size_t)eol - pos - 1;
    size_t next = (size_t)eol + 2;

    switch (value->type) {
    case '+':
    case '-':
    case ',':
    case '(':
    case ':':
        value->str = strndup(line, line_len);
        value->len = line_len;
        if (value->type == ':' && !parse_ll(line, line_len, &value->integer))
            goto malformed;
        break;
    case '_':
        if (line_len != 0)
            goto malformed;
        break;
    case '#':
        if (line_len != 1 || (line[0] != 't' && line[0] != 'f'))
            goto malformed;
        value->integer = line[0] == 't';
        value->str = strndup(line, 1);
        value->len = 1;
        break;
    case '$':
    case '=':
    case '!': {
        long long n;
        if (!parse_ll(line, line_len, &n) || n < -1)
            goto malformed;
        if (n == -1) {
            value->null = true;
            break;
        }
        if (len < next + (size_t)n + 2) {
            resp3_free(value);
            return 0;
        }
        if (buf[next + n] != '\r' || buf[next + n + 1] != '\n')
            goto malformed;
        value->str = malloc((size_t)n + 1);
        memcpy(value->str, buf + next, (size_t)n);
        value->str[n] = '\0';
        value->len = (size_t)n;
        next += (size_t)n + 2;
        break;
    }
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        long long n;
        if (!parse_ll(line, line_len, &n) || n < -1)
            goto malformed;
        if (n == -1) {
            value->null = true;
            break;
        }
        size_t items = (value->type == '%' || value->type == '|') ? (size_t)n * 2 : (size_t)n;
        value->items = calloc(items ? items : 1, sizeof(*value->items));
        cr_assert(value->items != NULL);
        value->count = (size_t)n;
        for (size_t i = 0; i < items; i++) {
            long used = parse_at(buf, len, next, depth + 1, &value->items[i]);
            if (used <= 0) {
                resp3_free(value);
                return used;
            }
            next += (size_t)used;
        }
        break;
    }
    default:
        goto malformed;
    }
    *out = value;
    return (long)(next - pos);

malformed:
    resp3_free(value);
    return -1;
}

long resp3_parse(const char *buf, size_t len, struct resp3 **out)
{
    *out = NULL;
    return parse_at(buf, len, 0, 0, out);
}

const struct resp3 *resp3_map_get(const struct resp3 *map, const char *key)
{
    if (map == NULL || map->type != '%')
        return NULL;
    for (size_t i = 0; i < map->count; i++) {
        const struct resp3 *k = map->items[2 * i];
        if (k->str != NULL && strcmp(k->str, key) == 0)
            return map->items[2 * i + 1];
    }
    return NULL;
}

bool resp3_is_text(const struct resp3 *value, char type, const char *text)
{
    return value != NULL && value->type == type && !value->null && value->str != NULL && value->len == strlen(text) &&
           memcmp(value->str, text, value->len) == 0;
}

static void describe_into(const struct resp3 *value, char *out, size_t size, size_t *used, int depth)
{
#define EMIT(...)                                                                                                      \
    do {                                                                                                               \
        if (*used < size)                                                                                              \
            *used += (size_t)snprintf(out + *used, size - *used, __VA_ARGS__);                                         \
    } while (0)
    if (value == NULL) {
        EMIT("(none)");
        return;
    }
    if (value->null) {
        EMIT("%c-1", value->type);
        return;
    }
    switch (value->type) {
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        size_t n = (value->type == '%' || value->type == '|') ? value->count * 2 : value->count;
        EMIT("%c%zu[", value->type, value->count);
        for (size_t i = 0; i < n && depth < 4; i++) {
            if (i >= 30) {
                EMIT(" ...");
                break;
            }
            EMIT("%s", i == 0 ? "" : (value->type == '%' && i % 2) ? ": " : ", ");
            describe_into(value->items[i], out, size, used, depth + 1);
        }
        EMIT("]");
        break;
    }
    case '_':
        EMIT("_");
        break;
    default:
        EMIT("%c\"%s\"", value->type, escape_bytes(value->str, value->len));
    }
#undef EMIT
}

const char *resp3_describe(const struct resp3 *value)
{
    static char out[4096];
    size_t used = 0;
    out[0] = '\0';
    describe_into(value, out, sizeof(out), &used, 0);
    return out;
}

void raw_session_open(struct raw_session *session, int port)
{
    session->fd = raw_connect(port);
    session->cap = 4096;
    session->len = 0;
    session->buf = malloc(session->cap);
    cr_assert(session->buf != NULL);
}

void raw_session_close(struct raw_session *session)
{
    if (session->fd >= 0)
        close(session->fd);
    session->fd = -1;
    free(session->buf);
    session->buf = NULL;
}

struct resp3 *raw_session_read(struct raw_session *session)
{
    long long deadline = now_ms() + SESSION_TIMEOUT_MS;
    for (;;) {
        struct resp3 *value;
        long used = resp3_parse(session->buf, session->len, &value);
        cr_assert(used >= 0, "malformed RESP from the server: \"%s\"", escape_bytes(session->buf, session->len));
        if (used > 0) {
            memmove(session->buf, session->buf + used, session->len - (size_t)used);
            session->len -= (size_t)used;
            return value;
        }
        long long left = deadline - now_ms();
        cr_assert(left > 0, "no complete reply within %d ms; have \"%s\"", SESSION_TIMEOUT_MS,
                  escape_bytes(session->buf, session->len));
        struct pollfd pfd = {.fd = session->fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        if (session->len == session->cap) {
            session->cap *= 2;
            session->buf = realloc(session->buf, session->cap);
            cr_assert(session->buf != NULL);
        }
        ssize_t n = read(session->fd, session->buf + session->len, session->cap - session->len);
        if (n < 0 && errno == EINTR)
            continue;
        cr_assert(n > 0, "server closed the connection before a complete reply; have \"%s\"",
                  escape_bytes(session->buf, session->len));
        session->len += (size_t)n;
    }
}

struct resp3 *raw_call(struct raw_session *session, ...)
{
    const char *args[64];
    int argc = 0;
    va_list ap;
    va_start(ap, session);
    const char *arg;
    while ((arg = va_arg(ap, const char *)) != NULL) {
        cr_assert(argc < 64, "raw_call: too many arguments");
        args[argc++] = arg;
    }
    va_end(ap);

    size_t size = 32;
    for (int i = 0; i < argc; i++)
        size += strlen(args[i]) + 32;
    char *out = malloc(size);
    cr_assert(out != NULL);
    size_t used = (size_t)snprintf(out, size, "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        used += (size_t)snprintf(out + used, size - used, "$%zu\r\n%s\r\n", strlen(args[i]), args[i]);
    cr_assert(raw_send(session->fd, out, used), "raw_call: send failed: %s", strerror(errno));
    free(out);
    return raw_session_read(session);
}
