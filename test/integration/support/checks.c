/*
 * checks.c - typed reply checks and polls for the integration tests (see
 * checks.h).
 */
#include "checks.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"

long long int_reply(redisContext *c, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    redisReply *r = redisvCommand(c, format, ap);
    va_end(ap);
    cr_assert(r != NULL, "%s: connection error: %s", format, c->errstr);
    cr_assert(r->type == REDIS_REPLY_INTEGER, "%s: expected an integer, got %s", format, describe_reply(r));
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

void expect_encoding(redisContext *c, const char *key, const char *enc)
{
    expect_str(cmd(c, "OBJECT ENCODING %s", key), enc);
}

long long info_ll(redisContext *c, const char *section, const char *field)
{
    char *info = info_text(c, section);
    char value[64];
    cr_assert(info_field(info, field, value, sizeof(value)), "INFO %s lacks %s", section, field);
    free(info);
    return atoll(value);
}

long long wait_for_clients(redisContext *c, long long want, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long long n;
    while ((n = info_ll(c, "clients", "connected_clients")) != want && now_ms() < deadline)
        sleep_ms(20);
    return n;
}

void wait_blocked(redisContext *c, long long want, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    long long n;
    while ((n = info_ll(c, "clients", "blocked_clients")) != want) {
        cr_assert(now_ms() < deadline, "blocked_clients is %lld, expected %lld", n, want);
        sleep_ms(5);
    }
}

bool has_line(const char *text, const char *line)
{
    size_t len = strlen(line);
    for (const char *p = text; p != NULL && *p; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, line, len) == 0 && (p[len] == '\r' || p[len] == '\n' || p[len] == '\0'))
            return true;
    }
    return false;
}
