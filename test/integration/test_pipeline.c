/*
 * test_pipeline.c - pipelined requests: many commands written before any
 * reply is read (hiredis redisAppendCommand, then redisGetReply per command).
 * Replies must come back complete and in request order even when the
 * commands go to different shards, mix single- and multi-key commands, fail,
 * or change the connection's database in between.
 *
 * The mixed test runs a seeded random sequence against a small model of the
 * keyspace (strings only), so every reply is known exactly in advance.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "model.h"
#include "server.h"

TestSuite(pipeline, .init = server_suite_init, .fini = server_suite_fini, .timeout = 90);

static void append(redisContext *c, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int rc = redisvAppendCommand(c, format, args);
    va_end(args);
    cr_assert(rc == REDIS_OK, "redisAppendCommand: %s", c->errstr);
}

Test(pipeline, ten_thousand_sets_then_gets)
{
    redisContext *c = client_connect();
    enum { N = 10000 };
    for (int i = 0; i < N; i++)
        append(c, "SET key:%d value:%d", i, i);
    for (int i = 0; i < N; i++)
        append(c, "GET key:%d", i);
    for (int i = 0; i < N; i++)
        expect_status(next_reply(c), "OK");
    for (int i = 0; i < N; i++) {
        char value[32];
        snprintf(value, sizeof(value), "value:%d", i);
        redisReply *r = next_reply(c);
        cr_assert(r->type == REDIS_REPLY_STRING && strcmp(r->str, value) == 0, "GET key:%d (reply %d): %s", i, N + i,
                  describe_reply(r));
        freeReplyObject(r);
    }
    expect_int(cmd(c, "DBSIZE"), N);
    redisFree(c);
}

Test(pipeline, errors_keep_their_place)
{
    redisContext *c = client_connect();
    append(c, "SET s text");
    append(c, "INCR s");
    append(c, "GET s");
    append(c, "NOSUCHCOMMAND x");
    append(c, "SET n 10");
    append(c, "GET");
    append(c, "INCRBY n 5");
    append(c, "SET k v EX 0");
    append(c, "GET n");
    expect_status(next_reply(c), "OK");
    expect_err(next_reply(c), "ERR value is not an integer or out of range");
    expect_str(next_reply(c), "text");
    expect_err(next_reply(c), "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' ");
    expect_status(next_reply(c), "OK");
    expect_err(next_reply(c), "ERR wrong number of arguments for 'get' command");
    expect_int(next_reply(c), 15);
    expect_err(next_reply(c), "ERR invalid expire time in 'set' command");
    expect_str(next_reply(c), "15");
    redisFree(c);
}

Test(pipeline, select_in_the_middle)
{
    redisContext *c = client_connect();
    for (int i = 0; i < 50; i++)
        append(c, "SET k:%d db0", i);
    append(c, "SELECT 1");
    for (int i = 0; i < 50; i++)
        append(c, "GET k:%d", i);
    for (int i = 0; i < 50; i++)
        append(c, "SET k:%d db1", i);
    append(c, "SELECT 0");
    for (int i = 0; i < 50; i++)
        append(c, "GET k:%d", i);
    append(c, "DBSIZE");

    for (int i = 0; i < 50; i++)
        expect_status(next_reply(c), "OK");
    expect_status(next_reply(c), "OK");
    for (int i = 0; i < 50; i++)
        expect_nil(next_reply(c));
    for (int i = 0; i < 50; i++)
        expect_status(next_reply(c), "OK");
    expect_status(next_reply(c), "OK");
    for (int i = 0; i < 50; i++)
        expect_str(next_reply(c), "db0");
    expect_int(next_reply(c), 50);
    expect_status(cmd(c, "SELECT 1"), "OK");
    expect_str(cmd(c, "GET k:7"), "db1");
    redisFree(c);
}

Test(pipeline, large_values)
{
    redisContext *c = client_connect();
    enum { COUNT = 50, SIZE = 100000 };
    char *value = malloc(SIZE);
    for (int i = 0; i < COUNT; i++) {
        memset(value, 'a' + i % 26, SIZE);
        append(c, "SET big:%d %b", i, value, (size_t)SIZE);
    }
    for (int i = 0; i < COUNT; i++)
        append(c, "GET big:%d", i);
    for (int i = 0; i < COUNT; i++)
        expect_status(next_reply(c), "OK");
    for (int i = 0; i < COUNT; i++) {
        memset(value, 'a' + i % 26, SIZE);
        expect_bulk(next_reply(c), value, SIZE);
    }
    free(value);
    redisFree(c);
}

/* ---- Mixed random pipeline against a model ---- */

enum { KEYS = 200, OPS = 5000 };

/* What the model expects for one reply. */
struct expected {
    enum { EXP_STATUS, EXP_INT, EXP_BULK, EXP_NIL, EXP_ERR, EXP_BULKS } kind;
    long long integer;
    char text[64];
    int count;         /* EXP_BULKS: number of elements */
    char items[3][64]; /* EXP_BULKS: values, "" with present[i] false = nil */
    bool present[3];
};

struct model {
    bool exists[KEYS];
    char value[KEYS][64];
};

/* Redis accepts a value as an integer only in canonical form (string2ll). */
static bool canonical_int(const char *s, long long *out)
{
    if (*s == '\0' || strlen(s) > 20)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    char back[32];
    snprintf(back, sizeof(back), "%lld", v);
    if (strcmp(back, s) != 0)
        return false;
    *out = v;
    return true;
}

/* Key names: half plain ("k:17"), half hash-tagged pairs ("{t5}17"). */
static void key_name(int key, char *out, size_t size)
{
    if (key % 2 == 0)
        snprintf(out, size, "k:%d", key);
    else
        snprintf(out, size, "{t%d}%d", key % 10, key);
}

static void check_expected(int index, const char *request, redisReply *r, const struct expected *e)
{
    bool ok = false;
    switch (e->kind) {
    case EXP_STATUS:
        ok = r->type == REDIS_REPLY_STATUS && strcmp(r->str, e->text) == 0;
        break;
    case EXP_INT:
        ok = r->type == REDIS_REPLY_INTEGER && r->integer == e->integer;
        break;
    case EXP_BULK:
        ok = r->type == REDIS_REPLY_STRING && strcmp(r->str, e->text) == 0;
        break;
    case EXP_NIL:
        ok = r->type == REDIS_REPLY_NIL;
        break;
    case EXP_ERR:
        ok = r->type == REDIS_REPLY_ERROR && strcmp(r->str, e->text) == 0;
        break;
    case EXP_BULKS:
        ok = r->type == REDIS_REPLY_ARRAY && (int)r->elements == e->count;
        for (int i = 0; ok && i < e->count; i++)
            ok = e->present[i]
                     ? (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, e->items[i]) == 0)
                     : r->element[i]->type == REDIS_REPLY_NIL;
        break;
    }
    cr_assert(ok, "pipelined reply %d to \"%s\" is %s (kind %d, text \"%s\", int %lld expected)", index, request,
              describe_reply(r), e->kind, e->text, e->integer);
}

Test(pipeline, mixed_commands_over_shards_in_order)
{
    redisContext *c = client_connect();
    struct model *m = calloc(1, sizeof(*m));
    struct expected *want = calloc(OPS, sizeof(*want));
    char(*requests)[160] = calloc(OPS, sizeof(*requests));
    uint64_t state = 0xc0ffee1234abcdefULL;

    for (int op = 0; op < OPS; op++) {
        int key = (int)(xorshift_next(&state) % KEYS);
        char name[32];
        key_name(key, name, sizeof(name));
        struct expected *e = &want[op];
        unsigned kind = (unsigned)(xorshift_next(&state) % 10);
        long long n;
        switch (kind) {
        case 0:
        case 1: { /* SET: an integer or a word */
            char value[32];
            if (xorshift_next(&state) % 2)
                snprintf(value, sizeof(value), "%d", (int)(xorshift_next(&state) % 1000));
            else
                snprintf(value, sizeof(value), "w%d", (int)(xorshift_next(&state) % 1000));
            append(c, "SET %s %s", name, value);
            snprintf(requests[op], sizeof(requests[op]), "SET %s %s", name, value);
            m->exists[key] = true;
            snprintf(m->value[key], sizeof(m->value[key]), "%s", value);
            e->kind = EXP_STATUS;
            snprintf(e->text, sizeof(e->text), "OK");
            break;
        }
        case 2:
        case 3: /* GET */
            append(c, "GET %s", name);
            snprintf(requests[op], sizeof(requests[op]), "GET %s", name);
            if (m->exists[key]) {
                e->kind = EXP_BULK;
                snprintf(e->text, sizeof(e->text), "%s", m->value[key]);
            } else {
                e->kind = EXP_NIL;
            }
            break;
        case 4:
        case 5: /* INCR */
            append(c, "INCR %s", name);
            snprintf(requests[op], sizeof(requests[op]), "INCR %s", name);
            if (!m->exists[key]) {
                m->exists[key] = true;
                snprintf(m->value[key], sizeof(m->value[key]), "1");
                e->kind = EXP_INT;
                e->integer = 1;
            } else if (canonical_int(m->value[key], &n)) {
                snprintf(m->value[key], sizeof(m->value[key]), "%lld", n + 1);
                e->kind = EXP_INT;
                e->integer = n + 1;
            } else {
                e->kind = EXP_ERR;
                snprintf(e->text, sizeof(e->text), "ERR value is not an integer or out of range");
            }
            break;
        case 6: /* DEL */
            append(c, "DEL %s", name);
            snprintf(requests[op], sizeof(requests[op]), "DEL %s", name);
            e->kind = EXP_INT;
            e->integer = m->exists[key] ? 1 : 0;
            m->exists[key] = false;
            break;
        case 7: { /* APPEND a digit: may turn a number into a non-canonical one */
            int digit = (int)(xorshift_next(&state) % 10);
            size_t len = m->exists[key] ? strlen(m->value[key]) : 0;
            if (len >= 18) {
                /* Keep values well inside long long range: restart the value. */
                append(c, "SET %s %d", name, digit);
                snprintf(requests[op], sizeof(requests[op]), "SET %s %d", name, digit);
                snprintf(m->value[key], sizeof(m->value[key]), "%d", digit);
                e->kind = EXP_STATUS;
                snprintf(e->text, sizeof(e->text), "OK");
                break;
            }
            append(c, "APPEND %s %d", name, digit);
            snprintf(requests[op], sizeof(requests[op]), "APPEND %s %d", name, digit);
            if (!m->exists[key]) {
                m->exists[key] = true;
                m->value[key][0] = '\0';
            }
            snprintf(m->value[key] + len, sizeof(m->value[key]) - len, "%d", digit);
            e->kind = EXP_INT;
            e->integer = (long long)len + 1;
            break;
        }
        case 8: { /* MGET of three keys on (probably) different shards */
            int keys[3] = {key, (int)(xorshift_next(&state) % KEYS), (int)(xorshift_next(&state) % KEYS)};
            char names[3][32];
            for (int i = 0; i < 3; i++)
                key_name(keys[i], names[i], sizeof(names[i]));
            append(c, "MGET %s %s %s", names[0], names[1], names[2]);
            snprintf(requests[op], sizeof(requests[op]), "MGET %s %s %s", names[0], names[1], names[2]);
            e->kind = EXP_BULKS;
            e->count = 3;
            for (int i = 0; i < 3; i++) {
                e->present[i] = m->exists[keys[i]];
                snprintf(e->items[i], sizeof(e->items[i]), "%s", m->exists[keys[i]] ? m->value[keys[i]] : "");
            }
            break;
        }
        default: { /* MSET of two keys, usually on two shards */
            int other = (int)(xorshift_next(&state) % KEYS);
            char other_name[32];
            key_name(other, other_name, sizeof(other_name));
            int v1 = (int)(xorshift_next(&state) % 100), v2 = (int)(xorshift_next(&state) % 100);
            append(c, "MSET %s %d %s %d", name, v1, other_name, v2);
            snprintf(requests[op], sizeof(requests[op]), "MSET %s %d %s %d", name, v1, other_name, v2);
            m->exists[key] = true;
            snprintf(m->value[key], sizeof(m->value[key]), "%d", v1);
            m->exists[other] = true;
            snprintf(m->value[other], sizeof(m->value[other]), "%d", v2);
            e->kind = EXP_STATUS;
            snprintf(e->text, sizeof(e->text), "OK");
            break;
        }
        }
    }
    for (int op = 0; op < OPS; op++)
        check_expected(op, requests[op], next_reply(c), &want[op]);

    /* The final state, read back without pipelining. */
    long long present = 0;
    for (int key = 0; key < KEYS; key++) {
        char name[32];
        key_name(key, name, sizeof(name));
        if (m->exists[key]) {
            present++;
            expect_str(cmd(c, "GET %s", name), m->value[key]);
        } else {
            expect_nil(cmd(c, "GET %s", name));
        }
    }
    expect_int(cmd(c, "DBSIZE"), present);
    free(requests);
    free(want);
    free(m);
    redisFree(c);
}
