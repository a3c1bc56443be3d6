/*
 * test_pubsub.c - one shard's Pub/Sub registries (shards/pubsub.c) driven
 * through SUB_PUBSUB sub-requests as the mailbox runs them: registrations
 * and removals, duplicate registrations, NUMSUB and CHANNELS answers, the
 * receivers' count of a PUBLISH with a channel and matching patterns, and
 * the one delivery per destination thread it queues.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/server.h"
#include "shards/mailbox.h"
#include "shards/pubsub.h"
#include "shards/shard.h"

static struct server srv;
static struct shard sh;

static void setup(void)
{
    memset(&srv, 0, sizeof(srv));
    memset(&sh, 0, sizeof(sh));
    srv.nshards = 2;
    sh.srv = &srv;
    sh.id = 0;
    sh.building = calloc(2, sizeof(*sh.building));
    pubsub_shard_init(&sh);
}

static void teardown(void)
{
    pubsub_shard_free(&sh);
    for (int t = 0; t < 2; t++) {
        struct batch *b = sh.building[t];
        if (!b)
            continue;
        for (int i = 0; i < b->count; i++)
            free(b->items[i]); /* detached: one allocation each */
        free(b->items);
        free(b);
    }
    free(sh.building);
}

TestSuite(pubsub, .init = setup, .fini = teardown);

/* Runs one SUB_PUBSUB with argv = words (NULL-terminated); returns result. */
static long long run(struct subreq *sub, int op, int kind, int thread, uint64_t id, const char **words)
{
    static struct arg argv[16];
    int n = 0;
    for (; words[n]; n++)
        argv[n] = (struct arg){words[n], strlen(words[n])};
    memset(sub, 0, sizeof(*sub));
    sub->op = SUB_PUBSUB;
    sub->flags = op;
    sub->split = kind;
    sub->coord = thread;
    sub->result = (int64_t)id;
    sub->argc = n;
    sub->argv = argv;
    pubsub_run_sub(&sh, sub);
    return sub->result;
}

static void reg(int op, int kind, int thread, uint64_t id, const char *name)
{
    struct subreq sub;
    const char *w[] = {"x", name, NULL};
    run(&sub, op, kind, thread, id, w);
}

static long long numsub(int kind, const char *name)
{
    struct subreq sub;
    const char *w[] = {"pubsub", "numsub", name, NULL};
    run(&sub, PSOP_NUMSUB, kind, 0, 0, w);
    long long v;
    cr_assert_eq(sub.out.len, sizeof(v));
    memcpy(&v, sub.out.data, sizeof(v));
    buf_free(&sub.out);
    return v;
}

Test(pubsub, add_remove_counts)
{
    reg(PSOP_ADD, PS_CHANNEL, 1, 42, "news");
    reg(PSOP_ADD, PS_CHANNEL, 1, 42, "news"); /* again: counted once */
    reg(PSOP_ADD, PS_CHANNEL, 0, 7, "news");
    reg(PSOP_ADD, PS_CHANNEL, 0, 7, "sport");
    reg(PSOP_ADD, PS_SHARD, 0, 7, "news"); /* a separate registry */
    cr_assert_eq(numsub(PS_CHANNEL, "news"), 2);
    cr_assert_eq(numsub(PS_CHANNEL, "sport"), 1);
    cr_assert_eq(numsub(PS_CHANNEL, "none"), 0);
    cr_assert_eq(numsub(PS_SHARD, "news"), 1);
    long long ch, pat, sch;
    pubsub_shard_counts(&sh, &ch, &pat, &sch);
    cr_assert(ch == 2 && pat == 0 && sch == 1);

    struct subreq sub;
    const char *list[] = {"pubsub", "channels", "n*", NULL};
    cr_assert_eq(run(&sub, PSOP_LIST, PS_CHANNEL, 0, 0, list), 1);
    cr_assert_eq(sub.out.len, strlen("$4\r\nnews\r\n"));
    cr_assert(!memcmp(sub.out.data, "$4\r\nnews\r\n", sub.out.len));
    buf_free(&sub.out);

    reg(PSOP_DEL, PS_CHANNEL, 1, 42, "news");
    reg(PSOP_DEL, PS_CHANNEL, 1, 42, "news"); /* not there any more: nothing */
    reg(PSOP_DEL, PS_CHANNEL, 9, 9, "sport"); /* someone else: nothing */
    cr_assert_eq(numsub(PS_CHANNEL, "news"), 1);
    cr_assert_eq(numsub(PS_CHANNEL, "sport"), 1);
    reg(PSOP_DEL, PS_CHANNEL, 0, 7, "news");
    reg(PSOP_DEL, PS_CHANNEL, 0, 7, "sport");
    reg(PSOP_DEL, PS_SHARD, 0, 7, "news");
    pubsub_shard_counts(&sh, &ch, &pat, &sch);
    cr_assert(ch == 0 && pat == 0 && sch == 0, "the channels without subscribers are gone");
}

Test(pubsub, publish_counts_channel_and_patterns)
{
    reg(PSOP_ADD, PS_CHANNEL, 1, 42, "news.a");
    reg(PSOP_ADD, PS_PATTERN, 1, 42, "news.*");
    reg(PSOP_ADD, PS_PATTERN, 1, 42, "n*");
    reg(PSOP_ADD, PS_PATTERN, 1, 43, "x*");    /* does not match */
    reg(PSOP_ADD, PS_CHANNEL, 0, 7, "news.a"); /* this thread: written here (no such client: dropped) */
    struct subreq sub;
    const char *pub[] = {"publish", "news.a", "hello", NULL};
    cr_assert_eq(run(&sub, PSOP_PUBLISH, PS_CHANNEL, 0, 0, pub), 4, "2 channel subscribers + 2 patterns");
    /* one delivery for thread 1 carrying its three receivers */
    struct batch *b = sh.building[1];
    cr_assert(b && b->count == 1);
    struct subreq *d = b->items[0];
    cr_assert(d->flags == PSOP_DELIVER && (d->txflags & SUBF_DETACHED) && d->shard == 1);
    cr_assert_eq(d->result, 3);
    cr_assert_eq(d->argc, 4, "channel, message and the two matched patterns");
    cr_assert(d->argv[0].len == 6 && !memcmp(d->argv[0].ptr, "news.a", 6));
    cr_assert(d->argv[1].len == 5 && !memcmp(d->argv[1].ptr, "hello", 5));
    cr_assert_eq(d->hashes[0], 42);
    cr_assert_eq(d->hashes[1], 0, "first the channel's own message");
    cr_assert(d->hashes[3] >= 2 && d->hashes[5] >= 2 && d->hashes[3] != d->hashes[5]);
    cr_assert(sh.building[0] == NULL, "nothing is sent to itself");

    /* sharded: no patterns */
    reg(PSOP_ADD, PS_SHARD, 1, 42, "news.a");
    cr_assert_eq(run(&sub, PSOP_PUBLISH, PS_SHARD, 0, 0, pub), 1);
    cr_assert_eq(b->count, 2);
    cr_assert_eq(b->items[1]->argc, 2);
    const char *none[] = {"publish", "zzz", "m", NULL};
    cr_assert_eq(run(&sub, PSOP_PUBLISH, PS_CHANNEL, 0, 0, none), 0);
    cr_assert_eq(b->count, 2);
}
