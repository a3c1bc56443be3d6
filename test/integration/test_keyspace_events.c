/*
 * test_keyspace_events.c - keyspace notifications against a real server: a
 * subscriber on __keyspace@0__:* and __keyevent@0__:* while another
 * connection runs a script of commands of every family; the events of each
 * key, in order, and the keyevent messages must be what Redis 7.0 raises
 * for the same script (the test also passes against redis-server).
 *
 * Order: events of one key arrive in the order they happened; events of
 * different keys may arrive in another order with several threads (their
 * keys live on different shards), so the check is per key.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks.h"
#include "client.h"
#include "server.h"

TestSuite(keyspace_events, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define MAX_EVENTS 128

struct event {
    char key[32];
    char name[32];
};

struct seen {
    struct event space[MAX_EVENTS]; /* from __keyspace@0__:<key>, in arrival order */
    int nspace;
    struct event ev[MAX_EVENTS]; /* from __keyevent@0__:<event>, in arrival order */
    int nev;
};

static void record(struct seen *s, redisReply *r)
{
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 4, "want a pmessage, got %s", describe_reply(r));
    cr_assert_str_eq(r->element[0]->str, "pmessage");
    const char *ch = r->element[2]->str, *msg = r->element[3]->str;
    struct event *e;
    if (!strncmp(ch, "__keyspace@0__:", 15)) {
        cr_assert(s->nspace < MAX_EVENTS);
        e = &s->space[s->nspace++];
        snprintf(e->key, sizeof(e->key), "%s", ch + 15);
        snprintf(e->name, sizeof(e->name), "%s", msg);
    } else {
        cr_assert(!strncmp(ch, "__keyevent@0__:", 15), "unexpected channel %s", ch);
        cr_assert(s->nev < MAX_EVENTS);
        e = &s->ev[s->nev++];
        snprintf(e->key, sizeof(e->key), "%s", msg);
        snprintf(e->name, sizeof(e->name), "%s", ch + 15);
    }
    freeReplyObject(r);
}

/* The events of key, in arrival order, as "a b c". */
static void events_of(const struct event *list, int n, const char *key, char *out, size_t outlen)
{
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].key, key))
            used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? " " : "", list[i].name);
}

/* Same events, any order (keyevent channels of one key come from
 * different channels' home shards). */
static void sorted_events_of(const struct event *list, int n, const char *key, char *out, size_t outlen)
{
    const char *names[MAX_EVENTS];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(list[i].key, key))
            names[k++] = list[i].name;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    out[0] = '\0';
    size_t used = 0;
    for (int i = 0; i < k; i++)
        used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? " " : "", names[i]);
}

static void sort_words(const char *in, char *out, size_t outlen)
{
    struct event tmp[MAX_EVENTS];
    int n = 0;
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", in);
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        snprintf(tmp[n].key, sizeof(tmp[n].key), "k");
        snprintf(tmp[n].name, sizeof(tmp[n].name), "%s", w);
        n++;
    }
    sorted_events_of(tmp, n, "k", out, outlen);
}

struct expect {
    const char *key;
    const char *events; /* in order */
};

/* Every key's events, in the order Redis 7.0 raises them for the script below. */
static const struct expect expected[] = {
    {"s", "set setrange append expire persist rename_from"},
    {"s2", "rename_to del"},
    {"n", "incrby incrbyfloat del"},
    {"l", "rpush lpush lpop lset linsert lrem ltrim lpop del"},
    {"l2", "rpush del"},
    {"h", "hset hincrby hincrbyfloat hdel del"},
    {"st", "sadd srem srem spop del"},
    {"st2", "sadd del"},
    {"st3", "sinterstore del"},
    {"z", "zadd zincr zrem zremrangebyscore zpopmin del"},
    {"e", "set expire expired"},
};

static const char *const script[] = {
    "SET s 1",
    "SETRANGE s 0 ab",
    "APPEND s z",
    "INCRBY n 5",
    "INCRBYFLOAT n 1.5",
    "EXPIRE s 100",
    "PERSIST s",
    "RENAME s s2",
    "GETDEL s2",
    "RPUSH l a b c",
    "LPUSH l z",
    "LPOP l",
    "LSET l 0 q",
    "LINSERT l BEFORE q w",
    "LREM l 1 w",
    "LTRIM l 0 0",
    "LMOVE l l2 LEFT RIGHT",
    "HSET h f v g w",
    "HINCRBY h n 1",
    "HINCRBYFLOAT h x 1.5",
    "HDEL h f g n x",
    "SADD st a b c",
    "SREM st a",
    "SMOVE st st2 b",
    "SPOP st",
    "SINTERSTORE st3 st2 st2",
    "ZADD z 1 a 2 b 3 c",
    "ZINCRBY z 1 a",
    "ZREM z a",
    "ZREMRANGEBYSCORE z 0 2",
    "ZPOPMIN z",
    "DEL l2 st2 st3 n",
    "SET e 1 PX 50",
};

/* Replies of commands that must not fail (the script's expectations
 * assume each step did what it says). */
static void run(redisContext *c, const char *line)
{
    redisReply *r = cmd(c, line);
    cr_assert(r && r->type != REDIS_REPLY_ERROR, "%s: %s", line, describe_reply(r));
    freeReplyObject(r);
}

Test(keyspace_events, every_family_raises_redis_events_per_key)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events KEA"), "OK");
    redisContext *sub = client_connect();
    redisReply *r = cmd(sub, "PSUBSCRIBE __keyspace@0__:* __keyevent@0__:*");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    freeReplyObject(r);
    r = next_reply(sub);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    freeReplyObject(r);

    for (size_t i = 0; i < sizeof(script) / sizeof(script[0]); i++)
        run(c, script[i]);
    sleep_ms(150);
    /* lazy expiry, if the active cycle has not got there first */
    redisReply *ex = cmd(c, "EXISTS e");
    cr_assert(ex && ex->type == REDIS_REPLY_INTEGER && ex->integer == 0, "%s", describe_reply(ex));
    freeReplyObject(ex);

    int want = 0;
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", expected[i].events);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            want++;
    }
    struct seen *s = calloc(1, sizeof(*s));
    while (s->nspace + s->nev < 2 * want)
        record(s, next_reply(sub));
    /* nothing more arrives */
    struct timeval tv = {.tv_sec = 0, .tv_usec = 300 * 1000};
    redisSetTimeout(sub, tv);
    void *extra = NULL;
    int rc = redisGetReply(sub, &extra);
    cr_assert(rc != REDIS_OK || !extra, "one event too many: %s", describe_reply(extra));

    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        char got[512], got_ev[512], want_sorted[512];
        events_of(s->space, s->nspace, expected[i].key, got, sizeof(got));
        cr_assert_str_eq(got, expected[i].events, "keyspace events of %s", expected[i].key);
        sorted_events_of(s->ev, s->nev, expected[i].key, got_ev, sizeof(got_ev));
        sort_words(expected[i].events, want_sorted, sizeof(want_sorted));
        cr_assert_str_eq(got_ev, want_sorted, "keyevent messages of %s", expected[i].key);
    }
    free(s);
    redisFree(sub);
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK");
    redisFree(c);
}

/* Classes filter: with only list events on (Kl), a string write raises
 * nothing and a list write raises its keyspace event only. */
Test(keyspace_events, classes_filter_events)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events Kl"), "OK");
    redisReply *g = cmd(c, "CONFIG GET notify-keyspace-events");
    cr_assert(g && g->type == REDIS_REPLY_ARRAY && g->elements == 2, "%s", describe_reply(g));
    cr_assert_str_eq(g->element[1]->str, "lK");
    freeReplyObject(g);
    redisContext *sub = client_connect();
    freeReplyObject(cmd(sub, "PSUBSCRIBE __key*__:*"));
    run(c, "SET str 1");
    run(c, "RPUSH lst a");
    redisReply *m = next_reply(sub);
    cr_assert(m && m->type == REDIS_REPLY_ARRAY && m->elements == 4, "%s", describe_reply(m));
    cr_assert_str_eq(m->element[2]->str, "__keyspace@0__:lst");
    cr_assert_str_eq(m->element[3]->str, "rpush");
    freeReplyObject(m);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 300 * 1000};
    redisSetTimeout(sub, tv);
    void *extra = NULL;
    int rc = redisGetReply(sub, &extra);
    cr_assert(rc != REDIS_OK || !extra, "an event of a class that is off: %s", describe_reply(extra));
    redisFree(sub);
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK");
    redisFree(c);
}

/* Multi-shard commands and MULTI/EXEC: RENAME, RENAMENX, COPY (also to
 * another db), MOVE, SMOVE and LMOVE whose two keys live on different
 * shards at 2 and 4 threads (ra/rb1, rc/rd1, rd1/re3, ca/cb, ca/cc, sa/sb,
 * ta/tb3, tl/tm1, ts/ts2), then the same kinds inside one transaction. The
 * events of every key of every db, in order, are what redis-server 7.0.15
 * published for this script. */
static const struct expect multi_shard_expected[] = {
    {"0:ra", "set rename_from"},
    {"0:rb1", "rename_to"},
    {"0:rc", "set rename_from"},
    {"0:rd1", "set rename_to rename_from"},
    {"0:re3", "rename_to"},
    {"0:ca", "set"},
    {"0:cb", "copy_to copy_to"},
    {"1:cc", "copy_to"},
    {"0:ma", "set move_from"},
    {"1:ma", "move_to"},
    {"0:sa", "sadd srem srem del"},
    {"0:sb", "sadd sadd"},
    {"0:ta", "set rename_from"},
    {"0:tb3", "rename_to del"},
    {"0:tl", "lpush lpop"},
    {"0:tm1", "lpush"},
    {"0:ts", "sadd srem del"},
    {"0:ts2", "sadd"},
    {"0:tc", "copy_to"},
    {"0:tn", "incrby del"},
};

static const char *const multi_shard_script[] = {
    "SET ra 1",           "RENAME ra rb1",
    "SET rc 1",           "SET rd1 2",
    "RENAME rc rd1",      "RENAMENX rd1 re3",
    "SET ca v",           "COPY ca cb",
    "COPY ca cb REPLACE", "COPY ca cc DB 1",
    "SET ma 1",           "MOVE ma 1",
    "SADD sa x y",        "SMOVE sa sb x",
    "SMOVE sa sb y",      "MULTI",
    "SET ta 1",           "RENAME ta tb3",
    "LPUSH tl a b",       "LMOVE tl tm1 LEFT LEFT",
    "SADD ts m",          "SMOVE ts ts2 m",
    "COPY tm1 tc",        "INCR tn",
    "DEL tb3 tn",         "EXEC",
};

Test(keyspace_events, multi_shard_commands_and_transactions_raise_redis_events)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events KEA"), "OK");
    redisContext *sub = client_connect();
    redisReply *r = cmd(sub, "PSUBSCRIBE __keyspace@*__:*");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    freeReplyObject(r);
    for (size_t i = 0; i < sizeof(multi_shard_script) / sizeof(multi_shard_script[0]); i++)
        run(c, multi_shard_script[i]);
    int want = 0;
    size_t nkeys = sizeof(multi_shard_expected) / sizeof(multi_shard_expected[0]);
    for (size_t i = 0; i < nkeys; i++) {
        char copy[256];
        snprintf(copy, sizeof(copy), "%s", multi_shard_expected[i].events);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            want++;
    }
    struct event *got = calloc(MAX_EVENTS, sizeof(*got));
    cr_assert(want <= MAX_EVENTS);
    for (int n = 0; n < want; n++) {
        redisReply *m = next_reply(sub);
        cr_assert(m && m->type == REDIS_REPLY_ARRAY && m->elements == 4, "%s", describe_reply(m));
        int db = -1, at = 0;
        cr_assert(sscanf(m->element[2]->str, "__keyspace@%d__:%n", &db, &at) == 1 && at > 0, "%s", m->element[2]->str);
        snprintf(got[n].key, sizeof(got[n].key), "%d:%s", db, m->element[2]->str + at);
        snprintf(got[n].name, sizeof(got[n].name), "%s", m->element[3]->str);
        freeReplyObject(m);
    }
    struct timeval tv = {.tv_sec = 0, .tv_usec = 300 * 1000};
    redisSetTimeout(sub, tv);
    void *extra = NULL;
    int rc = redisGetReply(sub, &extra);
    cr_assert(rc != REDIS_OK || !extra, "one event too many: %s", describe_reply(extra));
    for (size_t i = 0; i < nkeys; i++) {
        char events[512];
        events_of(got, want, multi_shard_expected[i].key, events, sizeof(events));
        cr_assert_str_eq(events, multi_shard_expected[i].events, "keyspace events of %s", multi_shard_expected[i].key);
    }
    free(got);
    redisFree(sub);
    expect_status(cmd(c, "FLUSHALL"), "OK");
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK");
    redisFree(c);
}
