/*
 * test_pubsub.c - Pub/Sub and sharded Pub/Sub against a real server:
 * publishers and subscribers on separate connections (so, with several
 * threads, on different threads), receiver counts with channels and
 * patterns, ordering of many messages, the RESP2 subscribed context, RESP3
 * push frames, clean-up on disconnect and RESET, PUBSUB introspection,
 * client-output-buffer-limit pubsub, ACL channel permissions. Every test
 * also passes against redis-server 7.0.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks.h"
#include "client.h"
#include "resp3.h"
#include "server.h"

TestSuite(pubsub, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* A (p|s)(un)subscribe reply or a message: an array of n elements whose
 * first is kind; the string elements compared when not NULL, the count
 * when >= 0. */
static void expect_frame3(redisReply *r, const char *kind, const char *name, long long count)
{
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "want %s frame, got %s", kind ? kind : "a",
              describe_reply(r));
    if (!kind) { /* any frame */
        freeReplyObject(r);
        return;
    }
    cr_assert_str_eq(r->element[0]->str, kind);
    if (name)
        cr_assert_str_eq(r->element[1]->str, name, "%s", describe_reply(r));
    else
        cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL, "%s", describe_reply(r));
    if (count >= 0) {
        cr_assert_eq(r->element[2]->type, REDIS_REPLY_INTEGER, "%s", describe_reply(r));
        cr_assert_eq(r->element[2]->integer, count, "%s", describe_reply(r));
    }
    freeReplyObject(r);
}

static void expect_message(redisReply *r, const char *kind, const char *channel, const char *msg)
{
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "want message, got %s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, kind);
    cr_assert_str_eq(r->element[1]->str, channel);
    cr_assert_str_eq(r->element[2]->str, msg);
    freeReplyObject(r);
}

static long long int_of(redisReply *r)
{
    cr_assert(r->type == REDIS_REPLY_INTEGER, "want integer, got %s", describe_reply(r));
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* PUBSUB NUMSUB/SHARDNUMSUB of one channel. */
static long long numsub(redisContext *c, const char *sub, const char *channel)
{
    redisReply *r = cmd(c, "PUBSUB %s %s", sub, channel);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "%s", describe_reply(r));
    long long v = r->element[1]->integer;
    freeReplyObject(r);
    return v;
}

static long long numpat(redisContext *c)
{
    return int_of(cmd(c, "PUBSUB NUMPAT"));
}

/* Polls until PUBSUB <sub> <channel> is want (removals are asynchronous). */
static void wait_numsub(redisContext *c, const char *sub, const char *channel, long long want)
{
    long long deadline = now_ms() + 5000, got;
    while ((got = numsub(c, sub, channel)) != want && now_ms() < deadline)
        sleep_ms(10);
    cr_assert_eq(got, want, "PUBSUB %s %s: %lld, want %lld", sub, channel, got, want);
}

Test(pubsub, subscribe_publish_message)
{
    redisContext *sub = client_connect(), *pub = client_connect();
    expect_frame3(cmd(sub, "SUBSCRIBE ch1 ch2"), "subscribe", "ch1", 1);
    expect_frame3(next_reply(sub), "subscribe", "ch2", 2);
    expect_int(cmd(pub, "PUBLISH ch1 hello"), 1);
    expect_int(cmd(pub, "PUBLISH nobody x"), 0);
    expect_int(cmd(pub, "PUBLISH ch2 world"), 1);
    expect_message(next_reply(sub), "message", "ch1", "hello");
    expect_message(next_reply(sub), "message", "ch2", "world");
    /* subscribing again counts once */
    expect_frame3(cmd(sub, "SUBSCRIBE ch1"), "subscribe", "ch1", 2);
    expect_int(cmd(pub, "PUBLISH ch1 again"), 1);
    expect_message(next_reply(sub), "message", "ch1", "again");
    expect_frame3(cmd(sub, "UNSUBSCRIBE ch1"), "unsubscribe", "ch1", 1);
    expect_frame3(cmd(sub, "UNSUBSCRIBE"), "unsubscribe", "ch2", 0);
    /* out of the context: normal commands again */
    expect_nil(cmd(sub, "GET k"));
    expect_int(cmd(pub, "PUBLISH ch1 x"), 0);
    redisFree(sub);
    redisFree(pub);
}

Test(pubsub, unsubscribe_without_subscriptions)
{
    redisContext *c = client_connect();
    expect_frame3(cmd(c, "UNSUBSCRIBE"), "unsubscribe", NULL, 0);
    expect_frame3(cmd(c, "PUNSUBSCRIBE"), "punsubscribe", NULL, 0);
    expect_frame3(cmd(c, "SUNSUBSCRIBE"), "sunsubscribe", NULL, 0);
    expect_frame3(cmd(c, "UNSUBSCRIBE never"), "unsubscribe", "never", 0);
    redisFree(c);
}

Test(pubsub, counts_with_channel_and_patterns)
{
    redisContext *sub = client_connect(), *pub = client_connect();
    expect_frame3(cmd(sub, "SUBSCRIBE news.a"), "subscribe", "news.a", 1);
    expect_frame3(cmd(sub, "PSUBSCRIBE news.* n*"), "psubscribe", "news.*", 2);
    expect_frame3(next_reply(sub), "psubscribe", "n*", 3);
    expect_int(cmd(pub, "PUBLISH news.a x"), 3);
    expect_message(next_reply(sub), "message", "news.a", "x");
    int seen_news = 0, seen_n = 0;
    for (int i = 0; i < 2; i++) {
        redisReply *r = next_reply(sub);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4, "%s", describe_reply(r));
        cr_assert_str_eq(r->element[0]->str, "pmessage");
        cr_assert_str_eq(r->element[2]->str, "news.a");
        cr_assert_str_eq(r->element[3]->str, "x");
        seen_news += !strcmp(r->element[1]->str, "news.*");
        seen_n += !strcmp(r->element[1]->str, "n*");
        freeReplyObject(r);
    }
    cr_assert(seen_news == 1 && seen_n == 1);
    /* another subscriber on the pattern: counted as well */
    redisContext *sub2 = client_connect();
    expect_frame3(cmd(sub2, "PSUBSCRIBE news.*"), "psubscribe", "news.*", 1);
    expect_int(cmd(pub, "PUBLISH news.b y"), 3); /* two news.* and one n* */
    for (int i = 0; i < 2; i++) {
        redisReply *r = next_reply(sub);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4, "%s", describe_reply(r));
        cr_assert_str_eq(r->element[2]->str, "news.b");
        freeReplyObject(r);
    }
    expect_int(cmd(pub, "PUBLISH other z"), 0);
    cr_assert_eq(numpat(pub), 2);
    expect_frame3(cmd(sub, "PUNSUBSCRIBE n*"), "punsubscribe", "n*", 2);
    redisFree(sub);
    redisFree(sub2);
    long long deadline = now_ms() + 5000;
    while (numpat(pub) != 0 && now_ms() < deadline)
        sleep_ms(10);
    expect_int(cmd(pub, "PUBSUB NUMPAT"), 0);
    expect_int(cmd(pub, "PUBLISH news.a x"), 0);
    redisFree(pub);
}

Test(pubsub, resp2_subscribed_context)
{
    redisContext *c = client_connect();
    expect_frame3(cmd(c, "SUBSCRIBE ch"), "subscribe", "ch", 1);
    expect_err(cmd(c, "GET k"), "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                                "RESET are allowed in this context");
    expect_err(cmd(c, "CLIENT ID"), "ERR Can't execute 'client|id': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                                    "QUIT / RESET are allowed in this context");
    expect_strs(cmd(c, "PING"), 2, "pong", "");
    expect_strs(cmd(c, "PING hi"), 2, "pong", "hi");
    expect_frame3(cmd(c, "SSUBSCRIBE s"), "ssubscribe", "s", 1);
    expect_frame3(cmd(c, "UNSUBSCRIBE"), "unsubscribe", "ch", 0);
    /* still in the context through the shard channel */
    expect_err_prefix(cmd(c, "GET k"), "ERR Can't execute 'get'");
    expect_frame3(cmd(c, "SUNSUBSCRIBE"), "sunsubscribe", "s", 0);
    expect_status(cmd(c, "PING"), "PONG");
    expect_frame3(cmd(c, "PSUBSCRIBE p*"), "psubscribe", "p*", 1);
    expect_status(cmd(c, "RESET"), "RESET");
    expect_status(cmd(c, "PING"), "PONG");
    redisContext *o = client_connect();
    long long deadline = now_ms() + 5000;
    while (numpat(o) != 0 && now_ms() < deadline)
        sleep_ms(10);
    expect_int(cmd(o, "PUBSUB NUMPAT"), 0);
    redisFree(o);
    redisFree(c);
}

Test(pubsub, resp3_push_frames)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    struct resp3 *v = raw_call(&s, "HELLO", "3", NULL);
    cr_assert_eq(v->type, '%');
    resp3_free(v);
    v = raw_call(&s, "SUBSCRIBE", "ch", NULL);
    cr_assert(v->type == '>' && v->count == 3, "%s", resp3_describe(v));
    cr_assert(resp3_is_text(v->items[0], '$', "subscribe") && resp3_is_text(v->items[1], '$', "ch"));
    cr_assert(v->items[2]->type == ':' && v->items[2]->integer == 1);
    resp3_free(v);
    /* normal commands work in RESP3 while subscribed */
    v = raw_call(&s, "GET", "k", NULL);
    cr_assert_eq(v->type, '_', "%s", resp3_describe(v));
    resp3_free(v);
    redisContext *pub = client_connect();
    expect_int(cmd(pub, "PUBLISH ch m1"), 1);
    v = raw_session_read(&s);
    cr_assert(v->type == '>' && v->count == 3, "%s", resp3_describe(v));
    cr_assert(resp3_is_text(v->items[0], '$', "message") && resp3_is_text(v->items[1], '$', "ch") &&
                  resp3_is_text(v->items[2], '$', "m1"),
              "%s", resp3_describe(v));
    resp3_free(v);
    /* the exact bytes of a push frame */
    expect_int(cmd(pub, "PUBLISH ch m2"), 1);
    const char *want = ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nm2\r\n";
    long long deadline = now_ms() + 5000;
    while (s.len < strlen(want) && now_ms() < deadline) {
        struct raw_reply r = raw_read(s.fd, strlen(want) - s.len, 5000);
        memcpy(s.buf + s.len, r.data, r.len);
        s.len += r.len;
        raw_reply_free(&r);
    }
    cr_assert(s.len == strlen(want) && !memcmp(s.buf, want, s.len), "%s", escape_bytes(s.buf, s.len));
    s.len = 0;
    v = raw_call(&s, "UNSUBSCRIBE", NULL);
    cr_assert(v->type == '>' && v->count == 3 && resp3_is_text(v->items[0], '$', "unsubscribe"), "%s",
              resp3_describe(v));
    resp3_free(v);
    raw_session_close(&s);
    redisFree(pub);
}

/* 4 subscribers x 2 publishers x N messages: each subscriber gets every
 * message once, in each publisher's order. */
#define NSUB 4
#define NPUB 2
#define NMSG 10000

Test(pubsub, many_messages_in_order)
{
    redisContext *subs[NSUB], *pubs[NPUB];
    for (int i = 0; i < NSUB; i++) {
        subs[i] = client_connect();
        expect_frame3(cmd(subs[i], "SUBSCRIBE stream"), "subscribe", "stream", 1);
    }
    for (int p = 0; p < NPUB; p++)
        pubs[p] = client_connect();
    long long next[NSUB][NPUB] = {{0}};
    long long received[NSUB] = {0};
    const int batch = 500;
    for (int k = 0; k < NMSG; k += batch) {
        for (int p = 0; p < NPUB; p++)
            for (int j = k; j < k + batch; j++)
                redisAppendCommand(pubs[p], "PUBLISH stream %d:%d", p, j);
        for (int p = 0; p < NPUB; p++)
            for (int j = k; j < k + batch; j++)
                expect_int(next_reply(pubs[p]), NSUB);
        for (int i = 0; i < NSUB; i++) {
            while (received[i] < (long long)NPUB * (k + batch)) {
                redisReply *r = next_reply(subs[i]);
                cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "%s", describe_reply(r));
                cr_assert_str_eq(r->element[0]->str, "message");
                int p, j;
                cr_assert(sscanf(r->element[2]->str, "%d:%d", &p, &j) == 2);
                cr_assert(p >= 0 && p < NPUB);
                cr_assert_eq(j, next[i][p], "subscriber %d, publisher %d: got %d, want %lld", i, p, j, next[i][p]);
                next[i][p]++;
                received[i]++;
                freeReplyObject(r);
            }
        }
    }
    for (int i = 0; i < NSUB; i++)
        for (int p = 0; p < NPUB; p++)
            cr_assert_eq(next[i][p], NMSG);
    for (int i = 0; i < NSUB; i++)
        redisFree(subs[i]);
    for (int p = 0; p < NPUB; p++)
        redisFree(pubs[p]);
}

Test(pubsub, disconnect_removes_subscriptions)
{
    enum { N = 20 };
    redisContext *cs[N];
    for (int i = 0; i < N; i++) {
        cs[i] = client_connect();
        char name[32];
        snprintf(name, sizeof(name), "gone%d", i);
        expect_frame3(cmd(cs[i], "SUBSCRIBE %s gone", name), "subscribe", name, 1);
    }
    for (int i = 0; i < N; i++) {
        expect_frame3(next_reply(cs[i]), "subscribe", "gone", 2);
        expect_frame3(cmd(cs[i], "PSUBSCRIBE gone*"), "psubscribe", "gone*", 3);
        expect_frame3(cmd(cs[i], "SSUBSCRIBE sgone"), "ssubscribe", "sgone", 1);
    }
    redisContext *o = client_connect();
    expect_int(cmd(o, "PUBLISH gone x"), 2 * N);
    expect_int(cmd(o, "SPUBLISH sgone x"), N);
    cr_assert_eq(numsub(o, "NUMSUB", "gone"), N);
    cr_assert_eq(numsub(o, "SHARDNUMSUB", "sgone"), N);
    expect_int(cmd(o, "PUBSUB NUMPAT"), 1);
    redisReply *r = cmd(o, "PUBSUB CHANNELS");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == N + 1, "%s", describe_reply(r));
    freeReplyObject(r);
    char *info = info_text(o, "stats");
    char v[32];
    cr_assert(info_field(info, "pubsub_channels", v, sizeof(v)) && atoi(v) == N + 1, "%s", v);
    cr_assert(info_field(info, "pubsub_patterns", v, sizeof(v)) && atoi(v) == 1, "%s", v);
    cr_assert(info_field(info, "pubsubshard_channels", v, sizeof(v)) && atoi(v) == 1, "%s", v);
    free(info);
    for (int i = 0; i < N; i++)
        redisFree(cs[i]);
    wait_numsub(o, "NUMSUB", "gone", 0);
    wait_numsub(o, "SHARDNUMSUB", "sgone", 0);
    long long deadline = now_ms() + 5000;
    while (numpat(o) != 0 && now_ms() < deadline)
        sleep_ms(10);
    expect_int(cmd(o, "PUBSUB NUMPAT"), 0);
    deadline = now_ms() + 5000;
    for (;;) {
        r = cmd(o, "PUBSUB CHANNELS");
        size_t n = r->elements;
        freeReplyObject(r);
        if (n == 0 || now_ms() > deadline)
            break;
        sleep_ms(10);
    }
    expect_array_len(cmd(o, "PUBSUB CHANNELS"), 0);
    expect_array_len(cmd(o, "PUBSUB SHARDCHANNELS"), 0);
    expect_int(cmd(o, "PUBLISH gone x"), 0);
    info = info_text(o, "stats");
    cr_assert(info_field(info, "pubsub_channels", v, sizeof(v)) && atoi(v) == 0, "%s", v);
    cr_assert(info_field(info, "pubsub_patterns", v, sizeof(v)) && atoi(v) == 0, "%s", v);
    free(info);
    redisFree(o);
}

Test(pubsub, sharded_pubsub)
{
    redisContext *ss = client_connect(), *cs = client_connect(), *pub = client_connect();
    expect_frame3(cmd(ss, "SSUBSCRIBE s1 s2"), "ssubscribe", "s1", 1);
    expect_frame3(next_reply(ss), "ssubscribe", "s2", 2);
    expect_frame3(cmd(cs, "SUBSCRIBE s1"), "subscribe", "s1", 1);
    expect_frame3(cmd(cs, "PSUBSCRIBE s*"), "psubscribe", "s*", 2);
    expect_int(cmd(pub, "SPUBLISH s1 hi"), 1);
    expect_message(next_reply(ss), "smessage", "s1", "hi");
    expect_int(cmd(pub, "PUBLISH s1 ho"), 2);
    expect_message(next_reply(cs), "message", "s1", "ho");
    redisReply *r = next_reply(cs);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && !strcmp(r->element[0]->str, "pmessage"), "%s",
              describe_reply(r));
    freeReplyObject(r);
    cr_assert_eq(numsub(pub, "SHARDNUMSUB", "s1"), 1);
    cr_assert_eq(numsub(pub, "SHARDNUMSUB", "s2"), 1);
    cr_assert_eq(numsub(pub, "SHARDNUMSUB", "s3"), 0);
    cr_assert_eq(numsub(pub, "NUMSUB", "s1"), 1);
    expect_err_prefix(cmd(ss, "GET x"), "ERR Can't execute 'get'");
    expect_frame3(cmd(ss, "SUNSUBSCRIBE s1"), "sunsubscribe", "s1", 1);
    expect_int(cmd(pub, "SPUBLISH s1 gone"), 0);
    expect_int(cmd(pub, "SPUBLISH s2 here"), 1);
    expect_message(next_reply(ss), "smessage", "s2", "here");
    redisFree(ss);
    redisFree(cs);
    redisFree(pub);
}

Test(pubsub, pubsub_channels_and_numsub)
{
    redisContext *a = client_connect(), *b = client_connect(), *o = client_connect();
    expect_frame3(cmd(a, "SUBSCRIBE a1 a2 b1"), "subscribe", "a1", 1);
    expect_frame3(next_reply(a), "subscribe", "a2", 2);
    expect_frame3(next_reply(a), "subscribe", "b1", 3);
    expect_frame3(cmd(b, "SUBSCRIBE a1"), "subscribe", "a1", 1);
    expect_str_set(cmd(o, "PUBSUB CHANNELS"), 3, "a1", "a2", "b1");
    expect_str_set(cmd(o, "PUBSUB CHANNELS a*"), 2, "a1", "a2");
    expect_array_len(cmd(o, "PUBSUB CHANNELS zz*"), 0);
    redisReply *r = cmd(o, "PUBSUB NUMSUB a1 b1 x");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "a1");
    cr_assert_eq(r->element[1]->integer, 2);
    cr_assert_str_eq(r->element[2]->str, "b1");
    cr_assert_eq(r->element[3]->integer, 1);
    cr_assert_str_eq(r->element[4]->str, "x");
    cr_assert_eq(r->element[5]->integer, 0);
    freeReplyObject(r);
    expect_array_len(cmd(o, "PUBSUB NUMSUB"), 0);
    r = cmd(o, "PUBSUB HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements > 4, "%s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    freeReplyObject(r);
    redisFree(a);
    redisFree(b);
    redisFree(o);
}

Test(pubsub, client_list_fields)
{
    redisContext *c = client_connect(), *o = client_connect();
    expect_status(cmd(c, "CLIENT SETNAME subber"), "OK");
    expect_frame3(cmd(c, "SUBSCRIBE x y"), "subscribe", "x", 1);
    expect_frame3(next_reply(c), "subscribe", "y", 2);
    expect_frame3(cmd(c, "PSUBSCRIBE p*"), "psubscribe", "p*", 3);
    expect_frame3(cmd(c, "SSUBSCRIBE s"), "ssubscribe", "s", 1);
    redisReply *r = cmd(o, "CLIENT LIST");
    cr_assert_eq(r->type, REDIS_REPLY_STRING);
    const char *line = strstr(r->str, "name=subber");
    cr_assert(line, "%s", r->str);
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char buf[1024];
    snprintf(buf, sizeof(buf), "%.*s", (int)n, line);
    cr_assert(strstr(buf, " flags=P ") && strstr(buf, " sub=2 psub=1 ssub=1 "), "%s", buf);
    line = strstr(r->str, "cmd=client|list");
    cr_assert(line, "%s", r->str);
    freeReplyObject(r);
    r = cmd(o, "CLIENT LIST TYPE pubsub");
    cr_assert(r->type == REDIS_REPLY_STRING && strstr(r->str, "name=subber") && !strstr(r->str, "cmd=client|list"),
              "%s", describe_reply(r));
    freeReplyObject(r);
    r = cmd(o, "CLIENT LIST TYPE normal");
    cr_assert(r->type == REDIS_REPLY_STRING && !strstr(r->str, "name=subber") && strstr(r->str, "cmd=client|list"),
              "%s", describe_reply(r));
    freeReplyObject(r);
    expect_frame3(cmd(c, "UNSUBSCRIBE"), NULL, NULL, -1);
    redisFree(c);
    redisFree(o);
}

/* A subscriber that never reads is closed by client-output-buffer-limit
 * pubsub; another keeps receiving. */
Test(pubsub, slow_subscriber_is_closed)
{
    redisContext *o = client_connect();
    expect_status(cmd(o, "CONFIG SET client-output-buffer-limit %s", "pubsub 262144 131072 60"), "OK");
    int slow = raw_connect(server_port());
    int small = 4096;
    setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    const char *subcmd = "*2\r\n$9\r\nSUBSCRIBE\r\n$3\r\nbig\r\n";
    cr_assert(raw_send(slow, subcmd, strlen(subcmd)));
    struct raw_reply rr = raw_read(slow, 30, 5000);
    cr_assert(rr.len >= 30, "%s", escape_bytes(rr.data, rr.len));
    raw_reply_free(&rr);
    redisContext *good = client_connect();
    expect_frame3(cmd(good, "SUBSCRIBE big"), "subscribe", "big", 1);
    static char payload[10000];
    memset(payload, 'x', sizeof(payload) - 1);
    long long last = 2;
    for (int k = 0; k < 300; k++) {
        for (int j = 0; j < 10; j++)
            redisAppendCommand(o, "PUBLISH big %s", payload);
        for (int j = 0; j < 10; j++)
            last = int_of(next_reply(o));
        for (int j = 0; j < 10; j++) {
            redisReply *r = next_reply(good);
            cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->len == sizeof(payload) - 1,
                      "%s", describe_reply(r));
            freeReplyObject(r);
        }
    }
    /* 3 MB were published: the slow one is gone, the good one stays */
    long long deadline = now_ms() + 5000;
    while ((last = int_of(cmd(o, "PUBLISH big tail"))) != 1 && now_ms() < deadline) {
        expect_message(next_reply(good), "message", "big", "tail");
        sleep_ms(10);
    }
    cr_assert_eq(last, 1);
    expect_message(next_reply(good), "message", "big", "tail");
    wait_numsub(o, "NUMSUB", "big", 1);
    close(slow);
    redisFree(good);
    redisFree(o);
}

Test(pubsub, acl_channel_permissions)
{
    redisContext *admin = client_connect(), *c = client_connect();
    expect_status(cmd(admin, "ACL SETUSER u on >pw ~* +@all resetchannels &allowed*"), "OK");
    expect_status(cmd(c, "AUTH u pw"), "OK");
    const char *noperm = "NOPERM this user has no permissions to access one of the channels used as arguments";
    expect_err(cmd(c, "PUBLISH other x"), noperm);
    expect_err(cmd(c, "SPUBLISH other x"), noperm);
    expect_err(cmd(c, "SUBSCRIBE allowed1 other"), noperm);
    expect_err(cmd(c, "SSUBSCRIBE other"), noperm);
    expect_err(cmd(c, "PSUBSCRIBE allowed1*"), noperm); /* a pattern must equal an allowed one */
    expect_int(cmd(c, "PUBLISH allowed1 x"), 0);
    expect_int(cmd(admin, "PUBLISH other x"), 0);
    expect_frame3(cmd(c, "SUBSCRIBE allowed1"), "subscribe", "allowed1", 1);
    expect_int(cmd(admin, "PUBLISH allowed1 y"), 1);
    expect_message(next_reply(c), "message", "allowed1", "y");
    redisFree(c);
    redisFree(admin);
}

/* CLIENT REPLY OFF silences replies, not pushes: the (un)subscribe
 * confirmations and the messages still arrive, as in Redis (its
 * CLIENT_PUSHING). */
Test(pubsub, reply_off_keeps_subscribe_confirmations_and_messages)
{
    int fd = raw_connect(server_current()->port);
    const char req[] = "CLIENT REPLY OFF\r\nSUBSCRIBE rch\r\n";
    cr_assert(raw_send(fd, req, sizeof(req) - 1));
    const char want[] = "*3\r\n$9\r\nsubscribe\r\n$3\r\nrch\r\n:1\r\n";
    struct raw_reply raw = raw_read(fd, sizeof(want) - 1, 5000);
    check_raw(__FILE__, __LINE__, &raw, want, sizeof(want) - 1);
    raw_reply_free(&raw);
    redisContext *pub = client_connect();
    expect_int(cmd(pub, "PUBLISH rch hi"), 1);
    const char msg[] = "*3\r\n$7\r\nmessage\r\n$3\r\nrch\r\n$2\r\nhi\r\n";
    raw = raw_read(fd, sizeof(msg) - 1, 5000);
    check_raw(__FILE__, __LINE__, &raw, msg, sizeof(msg) - 1);
    raw_reply_free(&raw);
    redisFree(pub);
    close(fd);
}

/* The bytes of a pipelined transaction of Pub/Sub commands, as Redis 7.0
 * answers them: (P)SUBSCRIBE and PUBLISH are queued and run at EXEC; the
 * publisher's own messages come before its PUBLISH count inside the EXEC
 * array (which counts commands, not frames); SSUBSCRIBE is refused inside
 * MULTI (Redis's DENY BLOCKING). `push` is '*' in RESP2, '>' in RESP3. */
static void multi_pubsub_script(int fd, char push)
{
    const char req[] = "MULTI\r\nSUBSCRIBE a b\r\nPUBLISH a x\r\nPSUBSCRIBE a*\r\nPUBLISH a y\r\nPUBSUB NUMSUB a\r\n"
                       "UNSUBSCRIBE a\r\nUNSUBSCRIBE b\r\nPUNSUBSCRIBE a*\r\nSSUBSCRIBE s\r\nSUNSUBSCRIBE s\r\n"
                       "PUBLISH a z\r\nEXEC\r\nPING\r\n";
    cr_assert(raw_send(fd, req, sizeof(req) - 1));
    char want[2048];
    int n = snprintf(want, sizeof(want),
                     "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                     "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*11\r\n"
                     "%c3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n%c3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
                     "%c3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n:1\r\n"
                     "%c3\r\n$10\r\npsubscribe\r\n$2\r\na*\r\n:3\r\n"
                     "%c3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\ny\r\n%c4\r\n$8\r\npmessage\r\n$2\r\na*\r\n$1\r\na\r\n"
                     "$1\r\ny\r\n:2\r\n"
                     "*2\r\n$1\r\na\r\n:1\r\n"
                     "%c3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:2\r\n%c3\r\n$11\r\nunsubscribe\r\n$1\r\nb\r\n:1\r\n"
                     "%c3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n"
                     "-ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client\r\n"
                     "%c3\r\n$12\r\nsunsubscribe\r\n$1\r\ns\r\n:0\r\n:0\r\n+PONG\r\n",
                     push, push, push, push, push, push, push, push, push, push);
    struct raw_reply raw = raw_read(fd, (size_t)n, 10000);
    check_raw(__FILE__, __LINE__, &raw, want, (size_t)n);
    raw_reply_free(&raw);
}

Test(pubsub, pubsub_commands_inside_multi_resp2)
{
    int fd = raw_connect(server_port());
    multi_pubsub_script(fd, '*');
    close(fd);
}

Test(pubsub, pubsub_commands_inside_multi_resp3)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    struct resp3 *v = raw_call(&s, "HELLO", "3", NULL);
    cr_assert_eq(v->type, '%');
    resp3_free(v);
    cr_assert_eq(s.len, 0);
    multi_pubsub_script(s.fd, '>');
    raw_session_close(&s);
}

/* A subscription made by EXEC stays: other clients' messages arrive and,
 * in RESP2, the client is in the subscribed context. DISCARD subscribes
 * nothing. */
Test(pubsub, subscribe_inside_multi_stays_after_exec)
{
    redisContext *sub = client_connect(), *pub = client_connect();
    expect_status(cmd(sub, "MULTI"), "OK");
    expect_status(cmd(sub, "SUBSCRIBE never"), "QUEUED");
    expect_status(cmd(sub, "DISCARD"), "OK");
    expect_int(cmd(pub, "PUBLISH never x"), 0);
    expect_status(cmd(sub, "MULTI"), "OK");
    expect_status(cmd(sub, "SUBSCRIBE m1"), "QUEUED");
    expect_status(cmd(sub, "SET k v"), "QUEUED");
    expect_status(cmd(sub, "PSUBSCRIBE m*"), "QUEUED");
    redisReply *r = cmd(sub, "EXEC");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "%s", describe_reply(r));
    cr_assert(r->element[0]->type == REDIS_REPLY_ARRAY && !strcmp(r->element[0]->element[0]->str, "subscribe"));
    cr_assert(r->element[1]->type == REDIS_REPLY_STATUS && !strcmp(r->element[1]->str, "OK"));
    cr_assert(r->element[2]->type == REDIS_REPLY_ARRAY && !strcmp(r->element[2]->element[0]->str, "psubscribe"));
    cr_assert_eq(r->element[2]->element[2]->integer, 2);
    freeReplyObject(r);
    expect_int(cmd(pub, "PUBLISH m1 hello"), 2);
    expect_message(next_reply(sub), "message", "m1", "hello");
    r = next_reply(sub);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && !strcmp(r->element[0]->str, "pmessage"), "%s",
              describe_reply(r));
    freeReplyObject(r);
    expect_err_prefix(cmd(sub, "GET k"), "ERR Can't execute 'get'");
    cr_assert_eq(numsub(pub, "NUMSUB", "m1"), 1);
    expect_str(cmd(pub, "GET k"), "v");
    redisFree(sub);
    redisFree(pub);
}

/* RESP3: a client subscribed to a channel that it publishes to gets the
 * message push before its PUBLISH reply, as Redis writes it into the
 * publisher's output first; also behind a pipelined reply, through a
 * pattern, and for channels homed on every thread. */
Test(pubsub, resp3_self_publish_push_before_reply)
{
    struct raw_session s;
    raw_session_open(&s, server_port());
    struct resp3 *v = raw_call(&s, "HELLO", "3", NULL);
    cr_assert_eq(v->type, '%');
    resp3_free(v);
    cr_assert_eq(s.len, 0);
    for (int i = 0; i < 16; i++) {
        char req[256], want[512];
        int rn = snprintf(req, sizeof(req), "SUBSCRIBE self%d\r\nGET nokey\r\nPUBLISH self%d m%d\r\n", i, i, i);
        int len = i < 10 ? 5 : 6;
        int wn = snprintf(want, sizeof(want),
                          ">3\r\n$9\r\nsubscribe\r\n$%d\r\nself%d\r\n:%d\r\n_\r\n"
                          ">3\r\n$7\r\nmessage\r\n$%d\r\nself%d\r\n$%d\r\nm%d\r\n:1\r\n",
                          len, i, i + 1, len, i, i < 10 ? 2 : 3, i);
        cr_assert(raw_send(s.fd, req, (size_t)rn));
        struct raw_reply raw = raw_read(s.fd, (size_t)wn, 10000);
        check_raw(__FILE__, __LINE__, &raw, want, (size_t)wn);
        raw_reply_free(&raw);
    }
    /* a pattern of its own as well: message, then pmessage, then the count */
    const char req[] = "PSUBSCRIBE self1*\r\nPUBLISH self1 p\r\n";
    cr_assert(raw_send(s.fd, req, sizeof(req) - 1));
    const char want[] = ">3\r\n$10\r\npsubscribe\r\n$6\r\nself1*\r\n:17\r\n"
                        ">3\r\n$7\r\nmessage\r\n$5\r\nself1\r\n$1\r\np\r\n"
                        ">4\r\n$8\r\npmessage\r\n$6\r\nself1*\r\n$5\r\nself1\r\n$1\r\np\r\n:2\r\n";
    struct raw_reply raw = raw_read(s.fd, sizeof(want) - 1, 10000);
    check_raw(__FILE__, __LINE__, &raw, want, sizeof(want) - 1);
    raw_reply_free(&raw);
    /* another subscriber is counted and served as before */
    redisContext *other = client_connect();
    expect_frame3(cmd(other, "SUBSCRIBE self2"), "subscribe", "self2", 1);
    const char req2[] = "PUBLISH self2 both\r\n";
    cr_assert(raw_send(s.fd, req2, sizeof(req2) - 1));
    const char want2[] = ">3\r\n$7\r\nmessage\r\n$5\r\nself2\r\n$4\r\nboth\r\n:2\r\n";
    raw = raw_read(s.fd, sizeof(want2) - 1, 10000);
    check_raw(__FILE__, __LINE__, &raw, want2, sizeof(want2) - 1);
    raw_reply_free(&raw);
    expect_message(next_reply(other), "message", "self2", "both");
    redisFree(other);
    raw_session_close(&s);
}

/* PUBSUB counts are exact as soon as the disconnect is known: CLIENT KILL
 * pipelined with the PUBSUB queries (the kill is a barrier; the victims'
 * removals run on the home shards before a query that follows), and RESET
 * followed by the client's own query. (A PUBLISH's receiver count is not
 * held back this way: docs/architecture.md, "Pub/sub".) */
Test(pubsub, counts_exact_right_after_kill_and_reset)
{
    redisContext *o = client_connect();
    for (int round = 0; round < 20; round++) {
        enum { N = 4 };
        redisContext *subs[N];
        long long ids[N];
        for (int i = 0; i < N; i++) {
            subs[i] = client_connect();
            ids[i] = int_of(cmd(subs[i], "CLIENT ID"));
            char ch[32], pat[32], sch[32];
            snprintf(ch, sizeof(ch), "kc%d", round);
            snprintf(pat, sizeof(pat), "kp%d*", round);
            snprintf(sch, sizeof(sch), "ks%d", round);
            expect_frame3(cmd(subs[i], "SUBSCRIBE %s kshared", ch), "subscribe", ch, 1);
            expect_frame3(next_reply(subs[i]), "subscribe", "kshared", 2);
            expect_frame3(cmd(subs[i], "PSUBSCRIBE %s", pat), "psubscribe", pat, 3);
            expect_frame3(cmd(subs[i], "SSUBSCRIBE %s", sch), "ssubscribe", sch, 1);
        }
        for (int i = 0; i < N; i++)
            redisAppendCommand(o, "CLIENT KILL ID %lld", ids[i]);
        redisAppendCommand(o, "PUBSUB NUMSUB kshared kc%d", round);
        redisAppendCommand(o, "PUBSUB NUMPAT");
        redisAppendCommand(o, "PUBSUB CHANNELS");
        redisAppendCommand(o, "PUBSUB SHARDCHANNELS");
        for (int i = 0; i < N; i++)
            expect_int(next_reply(o), 1);
        redisReply *r = next_reply(o);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 4 && r->element[1]->integer == 0 &&
                      r->element[3]->integer == 0,
                  "round %d: %s", round, describe_reply(r));
        freeReplyObject(r);
        expect_int(next_reply(o), 0);
        expect_array_len(next_reply(o), 0);
        expect_array_len(next_reply(o), 0);
        for (int i = 0; i < N; i++)
            redisFree(subs[i]);
    }
    /* RESET, then the same client's own queries */
    redisContext *c = client_connect();
    expect_frame3(cmd(c, "SUBSCRIBE rs1"), "subscribe", "rs1", 1);
    expect_frame3(cmd(c, "PSUBSCRIBE rp*"), "psubscribe", "rp*", 2);
    redisAppendCommand(c, "RESET");
    redisAppendCommand(c, "PUBSUB NUMSUB rs1");
    redisAppendCommand(c, "PUBSUB NUMPAT");
    expect_status(next_reply(c), "RESET");
    redisReply *r = next_reply(c);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->integer == 0, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_int(next_reply(c), 0);
    redisFree(c);
    redisFree(o);
}
