/*
 * test_pubsub_stress.c - Pub/Sub under load, registered at 2 threads only
 * (CMakeLists.txt: files named *_stress): a PUBLISH fanned out to 10,000
 * subscribers while another client of the channel's home shard keeps being
 * served, and 100,000 subscribe-and-drop connections after which the
 * PUBSUB counts are back where they started and memory has not grown.
 * Assertions are on replies, bytes and counts, never on timing. Every test
 * also passes against redis-server 7.0 (started with --maxclients 10200).
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks.h"
#include "client.h"
#include "server.h"

static void stress_init(void)
{
    static const char *const args[] = {"--maxclients", "10200", NULL};
    server_set_extra_args(args);
    server_suite_init();
}

TestSuite(pubsub_stress, .init = stress_init, .fini = server_suite_fini, .timeout = 600);

/* Reads exactly want bytes (the socket has SO_RCVTIMEO) and compares. */
static void expect_bytes(int fd, const char *want, size_t len, int who)
{
    char buf[4096];
    cr_assert(len <= sizeof(buf));
    size_t got = 0;
    while (got < len) {
        ssize_t n = recv(fd, buf + got, len - got, 0);
        cr_assert(n > 0, "connection %d: %zu of %zu bytes, then %s", who, got, len, n == 0 ? "close" : "error");
        got += (size_t)n;
    }
    cr_assert(!memcmp(buf, want, len), "connection %d: %s", who, escape_bytes(buf, len));
}

static int connect_with_timeout(void)
{
    int fd = raw_connect(server_port());
    struct timeval tv = {.tv_sec = 120};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* PUBSUB NUMSUB of one channel. */
static long long int_reply_of_numsub(redisContext *c, const char *channel)
{
    redisReply *r = cmd(c, "PUBSUB NUMSUB %s", channel);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "%s", describe_reply(r));
    long long v = r->element[1]->integer;
    freeReplyObject(r);
    return v;
}

static void skip_without_fds(long want)
{
    struct rlimit limit;
    cr_assert(getrlimit(RLIMIT_NOFILE, &limit) == 0);
    if (limit.rlim_cur != RLIM_INFINITY && (long)limit.rlim_cur < want)
        cr_skip_test("RLIMIT_NOFILE is %llu (hard %llu): this test needs %ld descriptors",
                     (unsigned long long)limit.rlim_cur, (unsigned long long)limit.rlim_max, want);
}

/* 10,000 subscribers of one channel; a publisher pipelines messages to it
 * while another client runs INCRs on a key of the channel's home shard
 * (same hash tag). The fan-out goes in bounded stretches per loop
 * iteration: every subscriber gets every message once, in publish order,
 * every PUBLISH counts 10,000, and the other client's replies are right. */
#define FAN_SUBS 10000
#define FAN_MSGS 8
#define FAN_INCRS 200

Test(pubsub_stress, publish_to_10000_subscribers)
{
    skip_without_fds(FAN_SUBS + 100);
    int *fds = malloc(sizeof(int) * FAN_SUBS);
    const char sub[] = "*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\n{fan}\r\n";
    const char confirm[] = "*3\r\n$9\r\nsubscribe\r\n$5\r\n{fan}\r\n:1\r\n";
    for (int i = 0; i < FAN_SUBS; i++) {
        fds[i] = connect_with_timeout();
        cr_assert(raw_send(fds[i], sub, sizeof(sub) - 1));
    }
    for (int i = 0; i < FAN_SUBS; i++)
        expect_bytes(fds[i], confirm, sizeof(confirm) - 1, i);
    redisContext *pub = client_connect(), *other = client_connect();
    cr_assert_eq(int_reply_of_numsub(pub, "{fan}"), FAN_SUBS);
    for (int k = 0; k < FAN_MSGS; k++)
        redisAppendCommand(pub, "PUBLISH {fan} message-%d", k);
    int done = 0;
    while (!done)
        cr_assert(redisBufferWrite(pub, &done) == REDIS_OK);
    /* served while the fan-out runs (or after: no timing is asserted) */
    for (int j = 1; j <= FAN_INCRS; j++)
        expect_int(cmd(other, "INCR {fan}:n"), j);
    for (int k = 0; k < FAN_MSGS; k++)
        expect_int(next_reply(pub), FAN_SUBS);
    char want[4096];
    size_t len = 0;
    for (int k = 0; k < FAN_MSGS; k++)
        len += (size_t)snprintf(want + len, sizeof(want) - len,
                                "*3\r\n$7\r\nmessage\r\n$5\r\n{fan}\r\n$%d\r\nmessage-%d\r\n", k < 10 ? 9 : 10, k);
    for (int i = 0; i < FAN_SUBS; i++)
        expect_bytes(fds[i], want, len, i);
    for (int i = 0; i < FAN_SUBS; i++)
        close(fds[i]);
    free(fds);
    redisFree(pub);
    redisFree(other);
}

/* ---- subscribe and drop, 100,000 times ---- */

#define CHURN_THREADS 4
#define CHURN_TOTAL 100000
#define CHURN_WARMUP 10000

struct churn {
    int port, thread, from, to;
    char error[512];
};

static int churn_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    struct timeval tv = {.tv_sec = 120};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* One thread's connections: each sends its (P|S)SUBSCRIBEs in one write,
 * reads the confirmations, and is dropped with a reset (no TIME_WAIT left
 * on either side). Errors go to c->error (no Criterion assert off the
 * main thread). */
static void *churn_run(void *arg)
{
    struct churn *c = arg;
    for (int i = c->from; i < c->to; i++) {
        int k = i % 32;
        char req[256], want[512], got[512];
        int rn = snprintf(req, sizeof(req), "SUBSCRIBE shared c%d_%d\r\nPSUBSCRIBE p%d*\r\nSSUBSCRIBE s%d\r\n",
                          c->thread, k, k, k);
        char ch[32], pat[32], sch[32];
        int chn = snprintf(ch, sizeof(ch), "c%d_%d", c->thread, k);
        int patn = snprintf(pat, sizeof(pat), "p%d*", k);
        int schn = snprintf(sch, sizeof(sch), "s%d", k);
        int wn =
            snprintf(want, sizeof(want),
                     "*3\r\n$9\r\nsubscribe\r\n$6\r\nshared\r\n:1\r\n*3\r\n$9\r\nsubscribe\r\n$%d\r\n%s\r\n:2\r\n"
                     "*3\r\n$10\r\npsubscribe\r\n$%d\r\n%s\r\n:3\r\n*3\r\n$10\r\nssubscribe\r\n$%d\r\n%s\r\n:1\r\n",
                     chn, ch, patn, pat, schn, sch);
        int fd = churn_connect(c->port);
        if (fd < 0) {
            snprintf(c->error, sizeof(c->error), "connection %d: connect failed", i);
            return NULL;
        }
        if (send(fd, req, (size_t)rn, MSG_NOSIGNAL) != rn) {
            snprintf(c->error, sizeof(c->error), "connection %d: send failed", i);
            close(fd);
            return NULL;
        }
        int have = 0;
        while (have < wn) {
            ssize_t n = recv(fd, got + have, (size_t)(wn - have), 0);
            if (n <= 0)
                break;
            have += (int)n;
        }
        if (have != wn || memcmp(got, want, (size_t)wn)) {
            snprintf(c->error, sizeof(c->error), "connection %d: got %d of %d bytes: %.*s", i, have, wn,
                     have > 200 ? 200 : have, got);
            close(fd);
            return NULL;
        }
        struct linger reset = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        close(fd);
    }
    return NULL;
}

static void churn_all(int from, int to)
{
    pthread_t th[CHURN_THREADS];
    struct churn cs[CHURN_THREADS];
    int per = (to - from) / CHURN_THREADS;
    for (int t = 0; t < CHURN_THREADS; t++) {
        cs[t] = (struct churn){.port = server_port(), .thread = t, .from = from + t * per, .to = from + (t + 1) * per};
        cr_assert(pthread_create(&th[t], NULL, churn_run, &cs[t]) == 0);
    }
    for (int t = 0; t < CHURN_THREADS; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < CHURN_THREADS; t++)
        cr_assert(!cs[t].error[0], "thread %d: %s", t, cs[t].error);
}

static void expect_frame(redisReply *r, const char *kind, long long count)
{
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && !strcmp(r->element[0]->str, kind) &&
                  r->element[2]->integer == count,
              "%s", describe_reply(r));
    freeReplyObject(r);
}

static long long info_number(redisContext *c, const char *section, const char *field)
{
    char *info = info_text(c, section);
    char v[64];
    cr_assert(info_field(info, field, v, sizeof(v)), "INFO %s has no %s", section, field);
    free(info);
    return atoll(v);
}

/* Polls until the server reports only want clients (every drop is known). */
static void wait_clients(redisContext *c, long long want)
{
    long long deadline = now_ms() + 60000, got;
    while ((got = info_number(c, "clients", "connected_clients")) != want && now_ms() < deadline)
        sleep_ms(10);
    cr_assert_eq(got, want, "connected_clients %lld, want %lld", got, want);
}

/* The counts, asked once, with no polling: exact as soon as the server
 * no longer reports the dropped clients. */
static void expect_baseline_counts(redisContext *o)
{
    expect_strs(cmd(o, "PUBSUB CHANNELS"), 1, "shared");
    expect_strs(cmd(o, "PUBSUB SHARDCHANNELS"), 1, "skeep");
    expect_int(cmd(o, "PUBSUB NUMPAT"), 1);
    redisReply *r = cmd(o, "PUBSUB NUMSUB shared c0_0 c3_31");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "%s", describe_reply(r));
    cr_assert(r->element[1]->integer == 1 && r->element[3]->integer == 0 && r->element[5]->integer == 0, "%s",
              describe_reply(r));
    freeReplyObject(r);
    r = cmd(o, "PUBSUB SHARDNUMSUB s0 s31 skeep");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 6, "%s", describe_reply(r));
    cr_assert(r->element[1]->integer == 0 && r->element[3]->integer == 0 && r->element[5]->integer == 1, "%s",
              describe_reply(r));
    freeReplyObject(r);
}

Test(pubsub_stress, subscribe_and_drop_100000_times)
{
    redisContext *keeper = client_connect(), *o = client_connect();
    expect_frame(cmd(keeper, "SUBSCRIBE shared"), "subscribe", 1);
    expect_frame(cmd(keeper, "PSUBSCRIBE keep*"), "psubscribe", 2);
    expect_frame(cmd(keeper, "SSUBSCRIBE skeep"), "ssubscribe", 1);
    long long clients = info_number(o, "clients", "connected_clients");
    churn_all(0, CHURN_WARMUP);
    wait_clients(o, clients);
    expect_baseline_counts(o);
    long long before = info_number(o, "memory", "used_memory");
    churn_all(CHURN_WARMUP, CHURN_TOTAL);
    wait_clients(o, clients);
    expect_baseline_counts(o);
    long long after = info_number(o, "memory", "used_memory");
    cr_log_info("used_memory %lld after the warm-up, %lld after 100,000 drops", before, after);
    /* 90,000 drops: a leak of 12 bytes each would pass 1 MB */
    cr_assert(after <= before + 1024 * 1024, "used_memory %lld after the warm-up, %lld after 100,000 drops", before,
              after);
    /* the keeper still receives */
    expect_int(cmd(o, "PUBLISH shared x"), 1);
    expect_strs(next_reply(keeper), 3, "message", "shared", "x");
    redisFree(keeper);
    redisFree(o);
}
