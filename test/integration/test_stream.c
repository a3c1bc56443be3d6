/*
 * test_stream.c - streams against a real server: XADD id rules and errors,
 * a random model test of XADD/XDEL/XTRIM/XRANGE/XREVRANGE/XLEN against an
 * in-test model (small stream-node-max-entries so nodes split and empty all
 * the time), XREAD over streams on different shards, blocking XREAD and
 * XREADGROUP woken by XADD, by key deletion and by XGROUP DESTROY, and a
 * consumer group consumed by 8 consumers on 4 connections, each entry
 * delivered exactly once and the PEL empty after the acks; XCLAIM and
 * XAUTOCLAIM; the keyspace events of every stream command (on the key's
 * channel, where they arrive in order); lazy free of a big stream.
 *
 * Every test passes against redis-server 7.0.15 too, except the restart
 * test (shardis snapshot and log files, another thread count) and the lazy
 * free one (Redis frees a stream of few nodes at once), which skip
 * themselves there. Key names carry no hash tags, so with several threads
 * the streams of one command sit on different shards.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fs.h"
#include "proc.h"
#include "server.h"

TestSuite(stream, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* Renders a reply tree into out (for comparing whole replies). */
static void flatten(const redisReply *r, char *out, size_t size)
{
    size_t n = strlen(out);
    if (n >= size - 64)
        return;
    switch (r->type) {
    case REDIS_REPLY_ARRAY:
        snprintf(out + n, size - n, "[");
        for (size_t i = 0; i < r->elements; i++)
            flatten(r->element[i], out, size);
        n = strlen(out);
        snprintf(out + n, size - n, "]");
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(out + n, size - n, ":%lld ", r->integer);
        break;
    case REDIS_REPLY_NIL:
        snprintf(out + n, size - n, "nil ");
        break;
    default:
        snprintf(out + n, size - n, "%.*s ", (int)r->len, r->str);
        break;
    }
}

static char *render(redisReply *r)
{
    char *out = calloc(1, 1 << 20);
    flatten(r, out, 1 << 20);
    freeReplyObject(r);
    return out;
}

Test(stream, xadd_ids_and_errors)
{
    redisContext *c = client_connect();
    expect_str(cmd(c, "XADD s 5-1 a 1"), "5-1");
    expect_str(cmd(c, "XADD s 5-* a 2"), "5-2");
    expect_str(cmd(c, "XADD s 6 a 3"), "6-0");
    expect_err(cmd(c, "XADD s 6-0 a 4"),
               "ERR The ID specified in XADD is equal or smaller than the target stream top item");
    expect_err(cmd(c, "XADD s 0-0 a 4"), "ERR The ID specified in XADD must be greater than 0-0");
    expect_err(cmd(c, "XADD s 1-x a 4"), "ERR Invalid stream ID specified as stream command argument");
    expect_err(cmd(c, "XADD s * a"), "ERR wrong number of arguments for 'xadd' command");
    expect_err(cmd(c, "XADD s MAXLEN 1 MINID 1 * a b"),
               "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
    expect_err(cmd(c, "XADD s MAXLEN 1 LIMIT 5 * a b"),
               "ERR syntax error, LIMIT cannot be used without the special ~ option");
    expect_err(cmd(c, "XADD s MAXLEN -1 * a b"), "ERR The MAXLEN argument must be >= 0.");
    expect_nil(cmd(c, "XADD nokey NOMKSTREAM * a b"));
    expect_int(cmd(c, "EXISTS nokey"), 0);
    expect_int(cmd(c, "XLEN s"), 3);
    expect_status(cmd(c, "TYPE s"), "stream");
    expect_str(cmd(c, "OBJECT ENCODING s"), "stream");
    expect_err(cmd(c, "XTRIM s"), "ERR wrong number of arguments for 'xtrim' command");
    expect_err(cmd(c, "XTRIM s FOO 1"), "ERR syntax error");
    expect_int(cmd(c, "XTRIM s MAXLEN 0"), 3);
    expect_int(cmd(c, "EXISTS s"), 1); /* an empty stream stays */
    expect_int(cmd(c, "XLEN s"), 0);
    char *info = render(cmd(c, "XINFO STREAM s"));
    cr_expect(strstr(info, "last-generated-id 6-0 ") != NULL, "%s", info);
    free(info);
    expect_status(cmd(c, "SET str x"), "OK");
    expect_err(cmd(c, "XADD str * a b"), "WRONGTYPE Operation against a key holding the wrong kind of value");
    expect_err(cmd(c, "XRANGE s (18446744073709551615-18446744073709551615 +"),
               "ERR invalid start ID for the interval");
    /* Redis's order of checks (found by a random command run against both) */
    expect_int(cmd(c, "XDEL nokey not-an-id"), 0);
    expect_str(cmd(c, "XADD s 7-1 a 1"), "7-1");
    expect_err(cmd(c, "XSETID s 0 ENTRIESADDED 0"),
               "ERR The ID specified in XSETID is smaller than the target stream top item");
    expect_err(cmd(c, "XPENDING s nogroup - + 10 consumer extra"),
               "NOGROUP No such key 's' or consumer group 'nogroup'");
    redisFree(c);
}

/* ---------------- random model ---------------- */

#define MODEL_MAX 4000

struct smodel {
    uint64_t ms[MODEL_MAX];
    int val[MODEL_MAX];
    int n;
    uint64_t last;
};

static void model_del(struct smodel *m, int k)
{
    memmove(m->ms + k, m->ms + k + 1, sizeof(m->ms[0]) * (size_t)(m->n - k - 1));
    memmove(m->val + k, m->val + k + 1, sizeof(m->val[0]) * (size_t)(m->n - k - 1));
    m->n--;
}

static void check_range(redisContext *c, struct smodel *m, int rev, uint64_t lo, uint64_t hi, int count)
{
    redisReply *r =
        rev ? cmd(c, "XREVRANGE m %llu %llu COUNT %d", (unsigned long long)hi, (unsigned long long)lo, count)
            : cmd(c, "XRANGE m %llu %llu COUNT %d", (unsigned long long)lo, (unsigned long long)hi, count);
    cr_assert(r && r->type == REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    size_t got = 0;
    for (int i = rev ? m->n - 1 : 0; rev ? i >= 0 : i < m->n; i += rev ? -1 : 1) {
        if (m->ms[i] < lo || m->ms[i] > hi)
            continue;
        if ((int)got == count)
            break;
        cr_assert(got < r->elements, "missing entry %llu", (unsigned long long)m->ms[i]);
        redisReply *e = r->element[got++];
        char want[64], val[32];
        snprintf(want, sizeof(want), "%llu-0", (unsigned long long)m->ms[i]);
        snprintf(val, sizeof(val), "%d", m->val[i]);
        cr_assert_str_eq(e->element[0]->str, want);
        cr_assert_eq(e->element[1]->elements, 4);
        cr_assert_str_eq(e->element[1]->element[3]->str, val);
    }
    cr_assert_eq(got, r->elements, "extra entries in %s", describe_reply(r));
    freeReplyObject(r);
}

Test(stream, random_model)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET stream-node-max-entries 7"), "OK");
    static struct smodel m;
    memset(&m, 0, sizeof(m));
    unsigned seed = 1234;
    for (int step = 0; step < 3000; step++) {
        int op = rand_r(&seed) % 20;
        if (op < 10 && m.n < MODEL_MAX) {
            uint64_t ms = m.last + 1 + (uint64_t)(rand_r(&seed) % 3);
            int v = rand_r(&seed);
            int fields = rand_r(&seed) % 2; /* same fields as the node's master or not */
            char id[32];
            snprintf(id, sizeof(id), "%llu-0", (unsigned long long)ms);
            expect_str(cmd(c, fields ? "XADD m %s f %d g %d" : "XADD m %s f %d h %d", id, v, v), id);
            m.ms[m.n] = ms;
            m.val[m.n] = v;
            m.n++;
            m.last = ms;
        } else if (op < 13 && m.n) {
            int k = rand_r(&seed) % m.n;
            expect_int(cmd(c, "XDEL m %llu-0 %llu-1", (unsigned long long)m.ms[k], (unsigned long long)m.ms[k]), 1);
            model_del(&m, k);
        } else if (op < 14 && m.n) {
            int keep = rand_r(&seed) % (m.n + 1);
            expect_int(cmd(c, "XTRIM m MAXLEN = %d", keep), m.n - keep);
            while (m.n > keep)
                model_del(&m, 0);
        } else if (op < 15 && m.n) {
            int k = rand_r(&seed) % m.n;
            uint64_t minid = m.ms[k];
            expect_int(cmd(c, "XTRIM m MINID %llu", (unsigned long long)minid), k);
            while (m.n && m.ms[0] < minid)
                model_del(&m, 0);
        } else if (op < 16) {
            /* approximate trimming removes whole nodes only: read back what it left */
            redisReply *r = cmd(c, "XTRIM m MAXLEN ~ %d", m.n / 2);
            cr_assert(r && r->type == REDIS_REPLY_INTEGER);
            for (long long i = 0; i < r->integer; i++)
                model_del(&m, 0);
            freeReplyObject(r);
        } else {
            uint64_t lo = m.last ? (uint64_t)rand_r(&seed) % (m.last + 1) : 0;
            uint64_t hi = lo + (uint64_t)(rand_r(&seed) % 40);
            check_range(c, &m, op % 2, lo, hi, 1 + rand_r(&seed) % 20);
        }
        if (step % 100 == 0) {
            expect_int(cmd(c, "XLEN m"), m.n);
            check_range(c, &m, 0, 0, UINT64_MAX / 2, MODEL_MAX);
        }
    }
    expect_int(cmd(c, "XLEN m"), m.n);
    check_range(c, &m, 1, 0, UINT64_MAX / 2, MODEL_MAX);
    redisFree(c);
}

/* ---------------- XREAD over shards ---------------- */

Test(stream, xread_several_streams)
{
    redisContext *c = client_connect();
    const char *keys[] = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"};
    for (int k = 0; k < 6; k++)
        for (int i = 1; i <= 3; i++)
            freeReplyObject(cmd(c, "XADD %s %d-%d n %d", keys[k], k + 1, i, i));
    redisReply *r = cmd(c, "XREAD COUNT 2 STREAMS alpha beta gamma delta epsilon zeta nosuch 0 1-2 3-3 0 5-1 0 0");
    char *got = render(r);
    cr_assert_str_eq(
        got, "[[alpha [[1-1 [n 1 ]][1-2 [n 2 ]]]][beta [[2-1 [n 1 ]][2-2 [n 2 ]]]][delta [[4-1 [n 1 ]][4-2 [n 2 ]]]]"
             "[epsilon [[5-2 [n 2 ]][5-3 [n 3 ]]]][zeta [[6-1 [n 1 ]][6-2 [n 2 ]]]]]");
    free(got);
    expect_nil(cmd(c, "XREAD STREAMS alpha beta $ $"));
    expect_err(cmd(c, "XREAD STREAMS alpha beta 0"),
               "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
    redisFree(c);
}

/* Sends what was appended to ctx without reading a reply. */
static void send_only(redisContext *ctx)
{
    int done = 0;
    while (!done)
        cr_assert_eq(redisBufferWrite(ctx, &done), REDIS_OK);
}

/* Waits until the server counts n blocked clients. */
static void wait_blocked(redisContext *c, int n)
{
    for (int i = 0; i < 2000; i++) {
        char v[32];
        char *info = info_text(c, "clients");
        int ok = info_field(info, "blocked_clients", v, sizeof(v)) && atoi(v) >= n;
        free(info);
        if (ok)
            return;
        sleep_ms(5);
    }
    cr_assert_fail("clients never blocked");
}

Test(stream, blocking_xread_across_shards)
{
    redisContext *c = client_connect(), *w1 = client_connect(), *w2 = client_connect();
    expect_str(cmd(c, "XADD one 1-1 a 1"), "1-1");
    redisAppendCommand(w1, "XREAD BLOCK 0 STREAMS one two three $ $ $");
    redisAppendCommand(w2, "XREAD BLOCK 0 STREAMS three 0");
    send_only(w1);
    send_only(w2);
    wait_blocked(c, 2);
    expect_str(cmd(c, "XADD three 3-1 b 2"), "3-1");
    char *got = render(next_reply(w1));
    cr_assert_str_eq(got, "[[three [[3-1 [b 2 ]]]]]");
    free(got);
    got = render(next_reply(w2));
    cr_assert_str_eq(got, "[[three [[3-1 [b 2 ]]]]]");
    free(got);
    /* a timeout answers nil; inside MULTI nothing blocks */
    expect_nil(cmd(c, "XREAD BLOCK 10 STREAMS one $"));
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "XREAD BLOCK 0 STREAMS one $"), "QUEUED");
    redisReply *r = cmd(c, "EXEC");
    cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 && r->element[0]->type == REDIS_REPLY_NIL, "%s",
              describe_reply(r));
    freeReplyObject(r);
    redisFree(w1);
    redisFree(w2);
    redisFree(c);
}

Test(stream, blocking_xreadgroup_wakes)
{
    redisContext *c = client_connect(), *w = client_connect();
    expect_status(cmd(c, "XGROUP CREATE q g $ MKSTREAM"), "OK");
    redisAppendCommand(w, "XREADGROUP GROUP g alice BLOCK 0 STREAMS q >");
    send_only(w);
    wait_blocked(c, 1);
    expect_str(cmd(c, "XADD q 1-1 job 1"), "1-1");
    char *got = render(next_reply(w));
    cr_assert_str_eq(got, "[[q [[1-1 [job 1 ]]]]]");
    free(got);
    got = render(cmd(c, "XPENDING q g - + 10 alice"));
    cr_assert(strncmp(got, "[[1-1 alice ", 12) == 0, "%s", got);
    free(got);
    /* XGROUP DESTROY and DEL wake it with Redis 7.0's errors */
    redisAppendCommand(w, "XREADGROUP GROUP g alice BLOCK 0 STREAMS q >");
    send_only(w);
    wait_blocked(c, 1);
    expect_int(cmd(c, "XGROUP DESTROY q g"), 1);
    expect_err(next_reply(w), "NOGROUP the consumer group this client was blocked on no longer exists");
    expect_status(cmd(c, "XGROUP CREATE q g $"), "OK");
    redisAppendCommand(w, "XREADGROUP GROUP g alice BLOCK 0 STREAMS q >");
    send_only(w);
    wait_blocked(c, 1);
    expect_int(cmd(c, "DEL q"), 1);
    expect_err(next_reply(w), "UNBLOCKED the stream key no longer exists");
    /* several streams (on different shards with several threads) */
    const char *qs[] = {"qa", "qb", "qc", "qd"};
    for (int i = 0; i < 4; i++)
        expect_status(cmd(c, "XGROUP CREATE %s g $ MKSTREAM", qs[i]), "OK");
    redisAppendCommand(w, "XREADGROUP GROUP g bob COUNT 5 BLOCK 0 STREAMS qa qb qc qd > > > >");
    send_only(w);
    wait_blocked(c, 1);
    expect_str(cmd(c, "XADD qc 7-1 job 7"), "7-1");
    got = render(next_reply(w));
    cr_assert_str_eq(got, "[[qc [[7-1 [job 7 ]]]]]");
    free(got);
    got = render(cmd(c, "XPENDING qc g"));
    cr_assert_str_eq(got, "[:1 7-1 7-1 [[bob 1 ]]]");
    free(got);
    got = render(cmd(c, "XPENDING qa g"));
    cr_assert_str_eq(got, "[:0 nil nil nil ]");
    free(got);
    /* the same errors when the streams span shards */
    redisAppendCommand(w, "XREADGROUP GROUP g bob BLOCK 0 STREAMS qa qb qc qd > > > >");
    send_only(w);
    wait_blocked(c, 1);
    expect_int(cmd(c, "XGROUP DESTROY qd g"), 1);
    expect_err(next_reply(w), "NOGROUP the consumer group this client was blocked on no longer exists");
    expect_status(cmd(c, "XGROUP CREATE qd g $"), "OK");
    redisAppendCommand(w, "XREADGROUP GROUP g bob BLOCK 0 STREAMS qa qb qc qd > > > >");
    send_only(w);
    wait_blocked(c, 1);
    expect_int(cmd(c, "DEL qb"), 1);
    expect_err(next_reply(w), "UNBLOCKED the stream key no longer exists");
    redisFree(w);
    redisFree(c);
}

Test(stream, blocked_consumers_served_in_order)
{
    redisContext *c = client_connect(), *w1 = client_connect(), *w2 = client_connect();
    expect_status(cmd(c, "XGROUP CREATE fq g $ MKSTREAM"), "OK");
    redisAppendCommand(w1, "XREADGROUP GROUP g first COUNT 1 BLOCK 0 STREAMS fq >");
    send_only(w1);
    wait_blocked(c, 1);
    redisAppendCommand(w2, "XREADGROUP GROUP g second COUNT 1 BLOCK 0 STREAMS fq >");
    send_only(w2);
    wait_blocked(c, 2);
    expect_str(cmd(c, "XADD fq 1-1 n 1"), "1-1");
    char *got = render(next_reply(w1));
    cr_assert_str_eq(got, "[[fq [[1-1 [n 1 ]]]]]");
    free(got);
    wait_blocked(c, 1); /* the second one still waits: the entry went to the first */
    expect_str(cmd(c, "XADD fq 2-1 n 2"), "2-1");
    got = render(next_reply(w2));
    cr_assert_str_eq(got, "[[fq [[2-1 [n 2 ]]]]]");
    free(got);
    /* a timeout on streams of several shards answers nil */
    expect_nil(cmd(c, "XREAD BLOCK 30 STREAMS fq other third $ $ $"));
    expect_nil(cmd(c, "XREADGROUP GROUP g third BLOCK 30 STREAMS fq >"));
    redisFree(w1);
    redisFree(w2);
    redisFree(c);
}

/* ---------------- consumer groups ---------------- */

#define CG_ENTRIES 6000

Test(stream, consumer_group_exactly_once)
{
    redisContext *c = client_connect();
    for (int i = 0; i < CG_ENTRIES; i += 100) {
        for (int j = 0; j < 100; j++)
            redisAppendCommand(c, "XADD jobs * n %d", i + j);
        for (int j = 0; j < 100; j++)
            freeReplyObject(next_reply(c));
    }
    expect_status(cmd(c, "XGROUP CREATE jobs workers 0"), "OK");
    redisContext *conn[4];
    for (int i = 0; i < 4; i++)
        conn[i] = client_connect();
    static unsigned char seen[CG_ENTRIES];
    memset(seen, 0, sizeof(seen));
    int delivered = 0, rounds = 0;
    while (delivered < CG_ENTRIES && rounds++ < 10000) {
        /* 8 consumers, two per connection, pipelined so reads interleave */
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 2; k++)
                redisAppendCommand(conn[i], "XREADGROUP GROUP workers c%d COUNT 17 STREAMS jobs >", i * 2 + k);
        for (int i = 0; i < 4; i++) {
            redisReply *rs[2] = {next_reply(conn[i]), next_reply(conn[i])};
            int acks = 0;
            for (int k = 0; k < 2; k++) {
                redisReply *r = rs[k];
                if (r->type == REDIS_REPLY_NIL)
                    continue;
                redisReply *entries = r->element[0]->element[1];
                for (size_t e = 0; e < entries->elements; e++) {
                    int n = atoi(entries->element[e]->element[1]->element[1]->str);
                    cr_assert(n >= 0 && n < CG_ENTRIES);
                    cr_assert_eq(seen[n], 0, "entry %d delivered twice", n);
                    seen[n] = 1;
                    delivered++;
                    redisAppendCommand(conn[i], "XACK jobs workers %s", entries->element[e]->element[0]->str);
                    acks++;
                }
            }
            for (int a = 0; a < acks; a++)
                expect_int(next_reply(conn[i]), 1);
            freeReplyObject(rs[0]);
            freeReplyObject(rs[1]);
        }
    }
    cr_assert_eq(delivered, CG_ENTRIES);
    char *got = render(cmd(c, "XPENDING jobs workers"));
    cr_assert_str_eq(got, "[:0 nil nil nil ]");
    free(got);
    got = render(cmd(c, "XINFO GROUPS jobs"));
    char want[200];
    snprintf(want, sizeof(want), "[[name workers consumers :8 pending :0 last-delivered-id ");
    cr_assert(strncmp(got, want, strlen(want)) == 0, "%s", got);
    cr_assert(strstr(got, "entries-read :6000 lag :0 ") != NULL, "%s", got);
    free(got);
    for (int i = 0; i < 4; i++)
        redisFree(conn[i]);
    redisFree(c);
}

Test(stream, claim_and_autoclaim)
{
    redisContext *c = client_connect();
    for (int i = 1; i <= 5; i++)
        freeReplyObject(cmd(c, "XADD cl %d-0 f %d", i, i));
    expect_status(cmd(c, "XGROUP CREATE cl g 0"), "OK");
    freeReplyObject(cmd(c, "XREADGROUP GROUP g a COUNT 5 STREAMS cl >"));
    expect_int(cmd(c, "XDEL cl 2-0"), 1);
    char *got = render(cmd(c, "XCLAIM cl g b 0 1-0 2-0 JUSTID"));
    cr_assert_str_eq(got, "[1-0 ]");
    free(got);
    got = render(cmd(c, "XAUTOCLAIM cl g b 0 0 COUNT 2 JUSTID"));
    cr_assert_str_eq(got, "[4-0 [1-0 3-0 ][]]");
    free(got);
    got = render(cmd(c, "XPENDING cl g"));
    cr_assert_str_eq(got, "[:4 1-0 5-0 [[a 2 ][b 2 ]]]");
    free(got);
    expect_int(cmd(c, "XGROUP DELCONSUMER cl g a"), 2);
    expect_int(cmd(c, "XACK cl g 1-0 3-0 9-0"), 2);
    expect_int(cmd(c, "XGROUP CREATECONSUMER cl g z"), 1);
    got = render(cmd(c, "XINFO CONSUMERS cl g"));
    const char *want = "[[name b pending :0 idle :";
    cr_assert(strncmp(got, want, strlen(want)) == 0, "%s", got);
    free(got);
    expect_err(cmd(c, "XCLAIM cl nog b 0 1-0"), "NOGROUP No such key 'cl' or consumer group 'nog'");
    redisFree(c);
}

/* ---------------- restarts (shardis files) ---------------- */

static char *stream_state(redisContext *c)
{
    char *a = render(cmd(c, "XRANGE p - +"));
    char *b = render(cmd(c, "XPENDING p g - + 1000"));
    char *d = render(cmd(c, "XINFO GROUPS p"));
    char *e = render(cmd(c, "XINFO STREAM p"));
    size_t n = strlen(a) + strlen(b) + strlen(d) + strlen(e) + 1;
    char *out = malloc(n);
    snprintf(out, n, "%s%s%s%s", a, b, d, e);
    free(a);
    free(b);
    free(d);
    free(e);
    return out;
}

static void fill_stream(redisContext *c)
{
    for (int i = 0; i < 300; i++)
        freeReplyObject(cmd(c, "XADD p * f %d g x", i));
    expect_status(cmd(c, "XGROUP CREATE p g 0"), "OK");
    freeReplyObject(cmd(c, "XREADGROUP GROUP g c1 COUNT 20 STREAMS p >"));
    freeReplyObject(cmd(c, "XREADGROUP GROUP g c2 NOACK COUNT 5 STREAMS p >"));
    redisReply *r = cmd(c, "XRANGE p - + COUNT 30");
    for (size_t i = 0; i < r->elements; i += 7) /* some pending, some not, some acked */
        freeReplyObject(cmd(c, i % 2 ? "XDEL p %s" : "XACK p g %s", r->element[i]->element[0]->str));
    freeReplyObject(r);
    freeReplyObject(cmd(c, "XADD p MAXLEN = 250 * f last"));
}

/* XPENDING's idle field: replace with a fixed text so states compare. */
static void assert_same(const char *after, const char *before)
{
    size_t i = 0;
    while (after[i] && after[i] == before[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    cr_assert(after[i] == 0 && before[i] == 0, "differs at %zu: after ...%.120s before ...%.120s", i, after + from,
              before + from);
}

static void mask_idle(char *s)
{
    /* entries look like "[<id> <consumer> :<idle> :<count> ]": the idle
     * digits become one 'X' */
    for (char *p = s; (p = strstr(p, " :")) != NULL; p++) {
        char *q = p + 2;
        while (*q >= '0' && *q <= '9')
            q++;
        if (q > p + 2 && *q == ' ' && q[1] == ':') {
            p[2] = 'X';
            memmove(p + 3, q, strlen(q) + 1);
        }
    }
}

Test(stream, restart_with_other_thread_count)
{
    if (env_is_redis())
        cr_skip_test("shardis snapshot and log files only");
    char dir[256];
    temp_dir(dir, sizeof(dir), "stream-restart");
    struct test_server srv;
    const char *args[] = {"--appendonly", "yes", "--appendfsync", "always"};
    struct test_server_opts o = {dir, 2, 4, args};
    server_start_opts(&srv, &o);
    redisContext *c = client_connect_port(srv.port);
    fill_stream(c);
    char *before = stream_state(c);
    mask_idle(before);
    redisFree(c);
    server_kill9(&srv); /* the log must carry it all */
    o.threads = 4;
    server_start_opts(&srv, &o);
    c = client_connect_port(srv.port);
    char *after = stream_state(c);
    mask_idle(after);
    assert_same(after, before);
    free(after);
    expect_status(cmd(c, "SAVE"), "OK");
    redisFree(c);
    server_stop(&srv);
    const char *noaof[] = {"--appendonly", "no"};
    struct test_server_opts o2 = {dir, 1, 2, noaof};
    server_start_opts(&srv, &o2);
    c = client_connect_port(srv.port);
    after = stream_state(c);
    mask_idle(after);
    assert_same(after, before);
    free(after);
    free(before);
    redisFree(c);
    server_stop(&srv);
    remove_tree(dir);
}

/* ---------------- keyspace events and lazy free ---------------- */

/* The next reply of ctx if one arrives within ms, else NULL. */
static redisReply *try_read(redisContext *ctx, int ms)
{
    void *r = NULL;
    long long until = now_ms() + ms;
    for (;;) {
        cr_assert_eq(redisGetReplyFromReader(ctx, &r), REDIS_OK);
        if (r)
            return r;
        long long left = until - now_ms();
        if (left <= 0)
            return NULL;
        struct pollfd p = {.fd = ctx->fd, .events = POLLIN};
        if (poll(&p, 1, (int)left) > 0)
            cr_assert_eq(redisBufferRead(ctx), REDIS_OK);
    }
}

Test(stream, keyspace_events)
{
    redisContext *c = client_connect(), *sub = client_connect();
    /* one channel (the key's): its events arrive in order */
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events Kt"), "OK");
    freeReplyObject(cmd(sub, "SUBSCRIBE __keyspace@0__:ev"));
    /* The new config and the subscription reach the key's thread a moment
     * later: add until an event arrives, then drain up to a marker. */
    for (int i = 0;; i++) {
        freeReplyObject(cmd(c, "XADD ev * warm %d", i));
        redisReply *r = try_read(sub, 50);
        if (r) {
            freeReplyObject(r);
            break;
        }
        cr_assert(i < 400, "no keyspace event arrived");
    }
    expect_status(cmd(c, "XGROUP CREATE ev marker $"), "OK");
    for (;;) {
        redisReply *r = next_reply(sub);
        int marker = strcmp(r->element[2]->str, "xgroup-create") == 0;
        freeReplyObject(r);
        if (marker)
            break;
    }
    expect_int(cmd(c, "DEL ev"), 1);
    expect_str(cmd(c, "XADD ev 1-1 a b"), "1-1");
    expect_str(cmd(c, "XADD ev MAXLEN 1 2-1 a b"), "2-1");
    expect_int(cmd(c, "XDEL ev 2-1"), 1);
    expect_status(cmd(c, "XGROUP CREATE ev g $"), "OK");
    expect_int(cmd(c, "XGROUP CREATECONSUMER ev g c"), 1);
    expect_int(cmd(c, "XGROUP DELCONSUMER ev g c"), 0);
    expect_status(cmd(c, "XGROUP SETID ev g 0"), "OK");
    expect_int(cmd(c, "XGROUP DESTROY ev g"), 1);
    expect_status(cmd(c, "XSETID ev 5-5"), "OK");
    expect_str(cmd(c, "XADD ev 6-1 a b"), "6-1");
    expect_int(cmd(c, "XTRIM ev MAXLEN 0"), 1);
    const char *want[] = {"xadd",
                          "xadd",
                          "xtrim",
                          "xdel",
                          "xgroup-create",
                          "xgroup-createconsumer",
                          "xgroup-delconsumer",
                          "xgroup-setid",
                          "xgroup-destroy",
                          "xsetid",
                          "xadd",
                          "xtrim"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        redisReply *r = next_reply(sub);
        cr_assert(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3, "%s", describe_reply(r));
        cr_assert_str_eq(r->element[1]->str, "__keyspace@0__:ev");
        cr_assert_str_eq(r->element[2]->str, want[i], "event %zu: %s", i, r->element[2]->str);
        freeReplyObject(r);
    }
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK");
    redisFree(sub);
    redisFree(c);
}

Test(stream, unlink_big_stream_frees_in_background)
{
    if (env_is_redis())
        cr_skip_test("Redis frees a stream of few nodes at once");
    redisContext *c = client_connect();
    for (int i = 0; i < 2000; i++)
        redisAppendCommand(c, "XADD big * f %d", i);
    for (int i = 0; i < 2000; i++)
        freeReplyObject(next_reply(c));
    expect_int(cmd(c, "UNLINK big"), 1);
    expect_int(cmd(c, "EXISTS big"), 0);
    for (int i = 0; i < 2000; i++) {
        char v[32];
        char *info = info_text(c, "memory");
        int done = info_field(info, "lazyfreed_objects", v, sizeof(v)) && atoll(v) >= 1;
        free(info);
        if (done)
            break;
        cr_assert(i < 1999, "the stream was never freed in the background");
        sleep_ms(5);
    }
    redisFree(c);
}
