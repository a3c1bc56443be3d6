/*
 * test_sort.c - SORT and SORT_RO against a real server, compared reply for
 * reply with a redis-server 7.0.15 the test starts (support/reference.h):
 * lists, sets and sorted sets, numeric and ALPHA, LIMIT, BY (nosort, weight
 * keys, hash fields), GET (#, keys, hash fields, several), STORE, errors;
 * with several threads the keys named by BY/GET and the STORE destination
 * are spread over the shards. Also: a SORT ... GET sees all the keys it
 * reads at one point while another client rewrites them (the global
 * barrier), the same inside MULTI/EXEC, the ACL rule of Redis 7.0 for
 * BY/GET, and a restart from the log after SORT ... STORE.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fs.h"
#include "proc.h"
#include "reference.h"
#include "server.h"

TestSuite(sort, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* Every form of SORT the tests of Redis use, and its errors. */
static const char *const sort_script[] = {
    "rpush l 3 1 2 10 5",
    "sort l",
    "sort l desc",
    "sort l limit 1 2",
    "sort l limit 0 -1",
    "sort l limit -5 2",
    "sort l limit 10 2",
    "sort l limit a 2",
    "sort l alpha",
    "sort l alpha desc limit 1 3",
    "set w_1 50",
    "set w_2 40",
    "set w_3 30",
    "set w_10 20",
    "set w_5 10",
    "sort l by w_*",
    "sort l by w_* desc",
    "sort l by w_* get # get w_*",
    "sort l by w_* get # get w_* get nokey_*",
    "sort l by nosort",
    "sort l by nosort desc",
    "sort l by nosort limit 1 2",
    "sort l by nosort desc limit 1 2",
    "sort l by nosort get w_*",
    "hset h_1 f a1",
    "hset h_2 f a2",
    "hset h_3 f a3",
    "hset h_10 f a10",
    "sort l by h_*->f alpha",
    "sort l by h_*->f alpha get h_*->f get # get h_*->g",
    "sort l by h_*->f",
    "sort l get h_*->",
    "sort l get h_",
    "sort l get #",
    "sort l store dst",
    "lrange dst 0 -1",
    "sort l by w_* get w_* store dst",
    "lrange dst 0 -1",
    "sort l by w_* get nokey_* store dst",
    "lrange dst 0 -1",
    "sort l by nosort store dst limit 0 0",
    "exists dst",
    "sort l store",
    "sort l foo",
    "sort_ro l store dst",
    "sort_ro l by w_* get w_*",
    "rpush bad a b c",
    "sort bad",
    "sort bad alpha",
    "sort bad by w_*",
    "sort bad by nosort",
    "set w_a 1",
    "set w_b x",
    "sort bad by w_*",
    "sadd s 5 3 9 1",
    "sort s",
    "sort s desc limit 1 2",
    "sort s by nosort store dst",
    "lrange dst 0 -1",
    "sadd s2 b a c",
    "sort s2 alpha",
    "sort s2 by nosort store dst",
    "lrange dst 0 -1",
    "zadd z 1 c 2 b 3 a",
    "sort z alpha",
    "sort z by nosort",
    "sort z by nosort desc",
    "sort z by nosort limit 1 1",
    "sort z by nosort desc limit 1 5",
    "set str x",
    "sort str",
    "sort nokey",
    "sort nokey store dst",
    "exists dst",
    "rpush f 1.5 1.10 -2 1e3 0x10",
    "sort f",
    "rpush f inf",
    "sort f",
    "rpush e 1 1.0 01 2",
    "sort e",
    "sort e desc",
    "sort l by w_* limit 0 2 get #",
    "set x_1 5",
    "set x_3 5",
    "set x_2 5",
    "rpush ties 3 1 2",
    "sort ties by x_* alpha",
    "sort ties by x_*",
    "sort ties by x_* desc",
    "sort ties by x_* alpha desc",
    NULL,
};

Test(sort, script_matches_redis)
{
    redisContext *ref, *test;
    ref_connect_both(&ref, &test);
    compare_lines(ref, test, sort_script);
    redisFree(ref);
    redisFree(test);
    ref_stop();
}

/* 300 elements, weights and hash fields on every shard, sorted every way. */
Test(sort, many_keys_match_redis)
{
    redisContext *ref, *test;
    ref_connect_both(&ref, &test);
    char line[256], why[8000];
    for (int i = 0; i < 300; i++) {
        int v = (i * 7919) % 1000;
        snprintf(line, sizeof(line), "RPUSH big %d", v);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        snprintf(line, sizeof(line), "ZADD zbig %d m%d", (i * 31) % 97, v);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        if (i % 3) {
            snprintf(line, sizeof(line), "SET wt_%d %d", v, (v * 13) % 101);
            cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        }
        if (i % 4) {
            snprintf(line, sizeof(line), "HSET obj_%d name n%03d", v, (v * 17) % 89);
            cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        }
    }
    static const char *const lines[] = {
        "SORT big",
        "SORT big DESC LIMIT 10 20",
        "SORT big BY wt_*",
        "SORT big BY wt_* DESC GET # GET wt_* GET obj_*->name",
        "SORT big BY obj_*->name ALPHA GET obj_*->name GET #",
        "SORT big BY wt_* DESC LIMIT 5 30 GET #",
        "SORT big BY obj_*->name ALPHA DESC GET #",
        "SORT big BY nosort GET wt_* LIMIT 100 10",
        "SORT big BY wt_* STORE out1",
        "LRANGE out1 0 -1",
        "SORT big BY wt_* GET obj_*->name GET wt_* STORE out2",
        "LRANGE out2 0 -1",
        "SORT_RO big BY wt_* GET obj_*->name",
        "SORT zbig BY nosort GET #",
        "SORT zbig BY nosort DESC LIMIT 3 9",
        "SORT zbig BY obj_*->name",
        "SORT zbig ALPHA LIMIT 0 10 STORE out3",
        "LRANGE out3 0 -1",
        NULL,
    };
    compare_lines(ref, test, lines);
    redisFree(ref);
    redisFree(test);
    ref_stop();
}

/* A writer sets every weight key to the same value (MSET: all or none),
 * over and over; every SORT ... GET reads all of them at one point, so the
 * values in one reply are all equal. */
#define SNAP_KEYS 16
#define SNAP_ROUNDS 300

static void *rewrite_weights(void *arg)
{
    (void)arg;
    redisContext *c = client_connect();
    for (int round = 1; round <= SNAP_ROUNDS; round++) {
        char line[1024];
        int n = snprintf(line, sizeof(line), "MSET");
        for (int k = 0; k < SNAP_KEYS; k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " val_%d %d", k, round);
        redisReply *r = cmd(c, line);
        freeReplyObject(r);
    }
    redisReply *r = cmd(c, "SET writer_done 1");
    freeReplyObject(r);
    redisFree(c);
    return NULL;
}

static void check_one_point(redisContext *c, const char *sort_cmd, int in_multi)
{
    redisReply *r;
    if (in_multi) {
        expect_status(cmd(c, "MULTI"), "OK");
        expect_status(cmd(c, sort_cmd), "QUEUED");
        redisReply *exec = cmd(c, "EXEC");
        cr_assert_eq(exec->type, REDIS_REPLY_ARRAY);
        cr_assert_eq(exec->elements, 1);
        r = exec->element[0];
        exec->element[0] = NULL;
        exec->elements = 0;
        freeReplyObject(exec);
    } else {
        r = cmd(c, sort_cmd);
    }
    cr_assert_eq(r->type, REDIS_REPLY_ARRAY, "%s", describe_reply(r));
    cr_assert_eq(r->elements, SNAP_KEYS);
    for (size_t i = 1; i < r->elements; i++)
        cr_assert_str_eq(r->element[i]->str, r->element[0]->str, "%s saw two points: %s", sort_cmd, describe_reply(r));
    freeReplyObject(r);
}

static void one_point_run(int in_multi)
{
    redisContext *c = client_connect();
    char line[1024];
    int n = snprintf(line, sizeof(line), "RPUSH ids");
    for (int k = 0; k < SNAP_KEYS; k++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %d", k);
    expect_int(cmd(c, line), SNAP_KEYS);
    n = snprintf(line, sizeof(line), "MSET");
    for (int k = 0; k < SNAP_KEYS; k++)
        n += snprintf(line + n, sizeof(line) - (size_t)n, " val_%d 0", k);
    expect_status(cmd(c, line), "OK");
    pthread_t writer;
    cr_assert_eq(pthread_create(&writer, NULL, rewrite_weights, NULL), 0);
    int sorts = 0;
    for (;;) {
        check_one_point(c, "SORT ids BY nosort GET val_*", in_multi);
        sorts++;
        redisReply *done = cmd(c, "EXISTS writer_done");
        int finished = done->integer == 1;
        freeReplyObject(done);
        if (finished && sorts >= 20)
            break;
    }
    pthread_join(writer, NULL);
    check_one_point(c, "SORT ids BY val_* GET val_*", in_multi);
    redisFree(c);
}

Test(sort, get_reads_every_key_at_one_point)
{
    one_point_run(0);
}

Test(sort, get_reads_every_key_at_one_point_in_exec)
{
    one_point_run(1);
}

/* Redis 7.0: BY and GET patterns need read access to every key. */
Test(sort, acl_needs_read_access_to_every_key)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH mylist 2 1"), 2);
    expect_status(cmd(c, "SET v1 1"), "OK");
    expect_status(cmd(c, "ACL SETUSER sorter on nopass +sort +sort_ro ~mylist ~v*"), "OK");
    expect_status(cmd(c, "AUTH sorter x"), "OK");
    expect_strs(cmd(c, "SORT mylist"), 2, "1", "2");
    expect_strs(cmd(c, "SORT mylist BY nosort"), 2, "2", "1");
    expect_err(cmd(c, "SORT mylist BY v*"), "ERR BY option of SORT denied due to insufficient ACL permissions.");
    expect_err(cmd(c, "SORT mylist GET v*"), "ERR GET option of SORT denied due to insufficient ACL permissions.");
    expect_err(cmd(c, "SORT_RO mylist GET #"), "ERR GET option of SORT denied due to insufficient ACL permissions.");
    expect_err(cmd(c, "SORT mylist LIMIT x 1 BY v*"), "ERR value is not an integer or out of range");
    expect_status(cmd(c, "AUTH default x"), "OK");
    expect_status(cmd(c, "ACL SETUSER sorter resetkeys ~mylist %%R~*"), "OK");
    expect_status(cmd(c, "AUTH sorter x"), "OK");
    expect_strs(cmd(c, "SORT mylist BY v* GET #"), 2, "2", "1"); /* v2 missing: weight 0 */
    redisFree(c);
}

/* SORT ... STORE is logged as the list it stored (DEL + RPUSH): after a
 * restart the destination is the same even though the weights changed. */
Test(sort, store_survives_a_restart)
{
    if (env_is_redis())
        cr_skip_test("shardis log files only");
    char dir[256];
    temp_dir(dir, sizeof(dir), "sort-log");
    struct test_server srv;
    const char *args[] = {"--appendonly", "yes", "--appendfsync", "always"};
    struct test_server_opts o = {dir, 0, 4, args};
    server_start_opts(&srv, &o);
    redisContext *c = client_connect_port(srv.port);
    expect_int(cmd(c, "RPUSH src c a b"), 3);
    expect_status(cmd(c, "MSET w_a 3 w_b 2 w_c 1 g_a A g_b B"), "OK");
    expect_int(cmd(c, "SORT src BY w_* GET # GET g_* STORE dst"), 6);
    expect_int(cmd(c, "SORT src ALPHA STORE dst2"), 3);
    expect_int(cmd(c, "SORT src BY nosort LIMIT 5 5 STORE dst2"), 0); /* an empty result deletes it */
    expect_status(cmd(c, "MSET w_a 1 w_c 3"), "OK");
    redisFree(c);
    cr_assert(server_stop(&srv));
    server_start_opts(&srv, &o);
    c = client_connect_port(srv.port);
    expect_strs(cmd(c, "LRANGE dst 0 -1"), 6, "c", "", "b", "B", "a", "A");
    expect_int(cmd(c, "EXISTS dst2"), 0);
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}

static long long global_barriers(redisContext *c)
{
    char *info = info_text(c, "stats");
    char v[32];
    cr_assert(info_field(info, "txn_global_barriers", v, sizeof(v)));
    free(info);
    return atoll(v);
}

/* Patterns carrying the source's hash tag name keys of the source's shard:
 * no global barrier; other patterns take one when there are several
 * shards. */
Test(sort, hash_tagged_patterns_take_no_barrier)
{
    if (env_is_redis())
        cr_skip_test("shardis counters");
    redisContext *c = client_connect();
    expect_int(cmd(c, "RPUSH {u}:ids 2 1 3"), 3);
    expect_status(cmd(c, "MSET {u}:w_1 3 {u}:w_2 2 {u}:w_3 1 {u}:n_1 one"), "OK");
    long long before = global_barriers(c);
    expect_strs(cmd(c, "SORT {u}:ids BY {u}:w_* GET # GET {u}:n_*"), 6, "3", NULL, "2", NULL, "1", "one");
    expect_int(cmd(c, "SORT {u}:ids BY {u}:w_* STORE elsewhere"), 3);
    expect_strs(cmd(c, "LRANGE elsewhere 0 -1"), 3, "3", "2", "1");
    cr_assert_eq(global_barriers(c), before);
    expect_strs(cmd(c, "SORT {u}:ids BY w_*"), 3, "1", "2", "3");
    cr_assert_eq(global_barriers(c), before + (server_threads() > 1));
    redisFree(c);
}
