/*
 * test_scripting.c - Lua scripting (EVAL, EVALSHA, EVAL_RO, SCRIPT ...)
 * against a real server: replies and error texts as Redis 7.0, scripts
 * whose keys are on one shard, on several, and keys a script did not
 * declare (computed names) on other shards, atomicity under concurrent
 * movers and readers, BUSY / SCRIPT KILL / UNKILLABLE / SHUTDOWN NOSAVE,
 * ACL inside scripts. Every test passes against redis-server too
 * ($SHARDIS_SERVER=/usr/bin/redis-server).
 *
 * Threads: the concurrent test's workers have their own connections and
 * never call Criterion assertions; they record the first problem and the
 * main thread asserts after joining. A reply that does not come within the
 * connection's 10 s timeout fails the test as a suspected deadlock.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "client.h"
#include "core/base/util.h"
#include "fs.h"
#include "server.h"

TestSuite(scripting, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* Two key names owned by different shards (any two with one thread or Redis). */
static void keys_on_two_shards(const char *prefix, char *a, char *b, size_t size)
{
    int n = server_is_redis() ? 1 : server_threads();
    snprintf(a, size, "%s:0", prefix);
    int sa = n > 1 ? key_shard(a, strlen(a), key_hash(a, strlen(a)), n) : 0;
    for (int i = 1; i < 1000; i++) {
        snprintf(b, size, "%s:%d", prefix, i);
        int sb = n > 1 ? key_shard(b, strlen(b), key_hash(b, strlen(b)), n) : 1;
        if (sb != sa)
            return;
    }
    cr_assert_fail("no two shards found");
}

Test(scripting, conversions_and_errors)
{
    redisContext *c = client_connect();
    expect_str(cmd(c, "EVAL %s 0", "return 'hello'"), "hello");
    expect_int(cmd(c, "EVAL %s 0", "return 3.99"), 3);
    expect_int(cmd(c, "EVAL %s 0", "return true"), 1);
    expect_nil(cmd(c, "EVAL %s 0", "return false"));
    expect_status(cmd(c, "EVAL %s 0", "return redis.status_reply('FINE')"), "FINE");
    expect_err(cmd(c, "EVAL %s 0", "return redis.error_reply('My Error')"), "My Error");
    expect_err(cmd(c, "EVAL %s 0", "return {err='My Error'}"), "My Error");
    redisReply *r = expect_array(cmd(c, "EVAL %s 0", "return {1,'two',{3},nil,5}"), 3);
    cr_assert_eq(r->element[0]->integer, 1);
    cr_assert_str_eq(r->element[1]->str, "two");
    cr_assert_eq(r->element[2]->elements, 1);
    freeReplyObject(r);
    expect_status(cmd(c, "SET s str"), "OK");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('incr','s')"),
                      "ERR value is not an integer or out of range script: ");
    expect_err(cmd(c, "EVAL %s 0", "return redis.call('incr','s')"),
               "ERR value is not an integer or out of range script: c243b9f46db13ba8f69da41b45a77708832babed, on "
               "@user_script:1.");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.pcall('incr','s')"),
                      "ERR value is not an integer or out of range");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return nosuch"),
                      "ERR user_script:1: Script attempted to access nonexistent global variable 'nosuch' script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "x = 1"), "ERR user_script:1: Attempt to modify a readonly table script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return os.time()"),
                      "ERR user_script:1: Script attempted to access nonexistent global variable 'os'");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('nosuch')"),
                      "ERR Unknown Redis command called from script script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('get')"),
                      "ERR Wrong number of args calling Redis command from script script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('subscribe', 'x')"),
                      "ERR This Redis command is not allowed from script script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return 'unterminated"),
                      "ERR Error compiling script (new function): user_script:1: unfinished string");
    expect_err(cmd(c, "EVAL %s -1", "return 1"), "ERR Number of keys can't be negative");
    expect_err(cmd(c, "EVAL %s 2 a", "return 1"), "ERR Number of keys can't be greater than number of args");
    expect_err(cmd(c, "EVAL %s x", "return 1"), "ERR value is not an integer or out of range");
    expect_str(cmd(c, "EVAL %s 0", "return redis.sha1hex('')"), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect_str(cmd(c, "EVAL %s 0", "return cjson.encode({a=1})"), "{\"a\":1}");
    expect_int(cmd(c, "EVAL %s 0", "return bit.bxor(5, 3)"), 6);
    /* shardis bounds a script's memory (256 MB per thread): a huge string
     * gets an error and the server goes on (Redis has no bound) */
    if (!server_is_redis()) {
        expect_err_prefix(cmd(c, "EVAL %s 0", "return #string.rep('x', 512*1024*1024)"), "ERR Error running script f_");
        expect_err_prefix(cmd(c, "EVAL %s 0", "local t = {} for i = 1, 1e9 do t[i] = i end return 1"),
                          "ERR Error running script f_");
        expect_status(cmd(c, "PING"), "PONG");
    }
    redisFree(c);
}

Test(scripting, evalsha_and_script_commands)
{
    redisContext *c = client_connect();
    const char *body = "return 'loaded'";
    const char *sha = "b534286061d4b9e4026607613b95c06c06015ae8";
    expect_err(cmd(c, "EVALSHA %s 0", sha), "NOSCRIPT No matching script. Please use EVAL.");
    expect_str(cmd(c, "SCRIPT LOAD %s", body), sha);
    redisReply *r = expect_array(cmd(c, "SCRIPT EXISTS %s %s", sha, "ffffffffffffffffffffffffffffffffffffffff"), 2);
    cr_assert_eq(r->element[0]->integer, 1);
    cr_assert_eq(r->element[1]->integer, 0);
    freeReplyObject(r);
    /* every connection (every thread) sees it */
    for (int i = 0; i < 8; i++) {
        redisContext *o = client_connect();
        expect_str(cmd(o, "EVALSHA %s 0", sha), "loaded");
        expect_str(cmd(o, "EVALSHA %s 0", "B534286061D4B9E4026607613B95C06C06015AE8"), "loaded");
        redisFree(o);
    }
    /* EVAL caches its script for EVALSHA on any thread */
    expect_int(cmd(c, "EVAL %s 0", "return 42"), 42);
    for (int i = 0; i < 4; i++) {
        redisContext *o = client_connect();
        expect_int(cmd(o, "EVALSHA %s 0", "1fa00e76656cc152ad327c13fe365858fd7be306"), 42);
        redisFree(o);
    }
    expect_status(cmd(c, "SCRIPT FLUSH"), "OK");
    for (int i = 0; i < 4; i++) {
        redisContext *o = client_connect();
        expect_err(cmd(o, "EVALSHA %s 0", sha), "NOSCRIPT No matching script. Please use EVAL.");
        redisFree(o);
    }
    expect_status(cmd(c, "SCRIPT FLUSH ASYNC"), "OK");
    expect_err(cmd(c, "SCRIPT FLUSH BAD"), "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
    expect_err(cmd(c, "SCRIPT KILL"), "NOTBUSY No scripts in execution right now.");
    expect_err_prefix(cmd(c, "SCRIPT LOAD %s", "return +"), "ERR Error compiling script (new function): ");
    r = cmd(c, "SCRIPT HELP");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements > 5);
    freeReplyObject(r);
    char *info = info_text(c, "memory");
    char v[64];
    cr_assert(info_field(info, "used_memory_lua", v, sizeof(v)));
    cr_assert(info_field(info, "number_of_cached_scripts", v, sizeof(v)));
    free(info);
    redisFree(c);
}

Test(scripting, read_only_and_flags)
{
    redisContext *c = client_connect();
    expect_err_prefix(cmd(c, "EVAL_RO %s 1 k", "return redis.call('set', KEYS[1], 'v')"),
                      "ERR Write commands are not allowed from read-only scripts. script: ");
    expect_status(cmd(c, "SET k v"), "OK");
    expect_str(cmd(c, "EVAL_RO %s 1 k", "return redis.call('get', KEYS[1])"), "v");
    expect_err_prefix(cmd(c, "EVAL %s 1 k", "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 'w')"),
                      "ERR Write commands are not allowed from read-only scripts. script: ");
    expect_str(cmd(c, "EVAL %s 1 k", "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])"), "v");
    expect_err(cmd(c, "EVAL_RO %s 1 k", "#!lua\nreturn 1"),
               "ERR Can not execute a script with write flag using *_ro command.");
    expect_err(cmd(c, "EVAL %s 0", "#!lua flags=bogus\nreturn 1"), "ERR Unexpected flag in script shebang: bogus");
    expect_err(cmd(c, "EVAL %s 0", "#!python\nreturn 1"), "ERR Unexpected engine in script shebang: #!python");
    expect_int(cmd(c, "EVAL %s 0", "#!lua flags=allow-oom,allow-stale,no-cluster\nreturn 7"), 7);
    redisFree(c);
}

Test(scripting, keys_on_one_and_several_shards)
{
    redisContext *c = client_connect();
    char a[64], b[64];
    keys_on_two_shards("k", a, b, sizeof(a));
    /* one shard, declared; run it several times (the engine learns) */
    for (int i = 1; i <= 5; i++)
        expect_int(cmd(c, "EVAL %s 1 %s", "return redis.call('incr', KEYS[1])", a), i);
    /* hash-tagged keys share a shard */
    expect_int(cmd(c, "EVAL %s 2 {u}x {u}y", "redis.call('set', KEYS[1], 1) return redis.call('incr', KEYS[2])"), 1);
    /* declared keys on two shards */
    for (int i = 0; i < 3; i++)
        expect_status(cmd(c, "EVAL %s 2 %s %s",
                          "redis.call('set', KEYS[1], 'x') redis.call('set', KEYS[2], 'y') return {ok='OK'}", a, b),
                      "OK");
    expect_strs(cmd(c, "MGET %s %s", a, b), 2, "x", "y");
    /* undeclared keys on another shard: computed names */
    expect_status(cmd(c, "SET other:%s v1", b), "OK");
    for (int i = 0; i < 3; i++)
        expect_str(cmd(c, "EVAL %s 1 %s %s",
                       "redis.call('set', KEYS[1], 'z') return redis.call('GET', 'other:' .. ARGV[1])", a, b),
                   "v1");
    expect_str(cmd(c, "GET %s", a), "z");
    /* no keys at all, keys everywhere; multi-key commands spanning shards */
    expect_int(cmd(c, "EVAL %s 0 %s %s", "return redis.call('del', ARGV[1], ARGV[2], 'nokey')", a, b), 2);
    expect_status(cmd(c, "EVAL %s 0 %s %s", "return redis.call('mset', ARGV[1], '1', ARGV[2], '2')", a, b), "OK");
    expect_strs(cmd(c, "EVAL %s 0 %s %s", "return redis.call('mget', ARGV[1], ARGV[2], 'nokey')", a, b), 3, "1", "2",
                NULL);
    expect_int(cmd(c, "EVAL %s 0", "return redis.call('exists', 'other:' .. 'nothing')"), 0);
    /* a one-shard script that later strays to another shard before writing */
    const char *maybe = "if ARGV[1] ~= '' then return redis.call('get', ARGV[1]) end return redis.call('get', KEYS[1])";
    for (int i = 0; i < 3; i++)
        expect_str(cmd(c, "EVAL %s 1 %s %s", maybe, a, ""), "1");
    expect_str(cmd(c, "EVAL %s 1 %s %s", maybe, a, b), "2");
    expect_str(cmd(c, "EVAL %s 1 %s %s", maybe, a, b), "2");
    /* SELECT inside a script */
    expect_int(cmd(c, "EVAL %s 0", "redis.call('select', 5) redis.call('set', 'in5', 'v') return 1"), 1);
    expect_status(cmd(c, "SELECT 5"), "OK");
    expect_str(cmd(c, "GET in5"), "v");
    /* MULTI/EXEC containing EVAL */
    expect_status(cmd(c, "MULTI"), "OK");
    expect_status(cmd(c, "EVAL %s 1 %s", "return redis.call('incr', KEYS[1])", a), "QUEUED");
    redisReply *r = expect_array(cmd(c, "EXEC"), 1);
    cr_assert_eq(r->element[0]->integer, 1, "%s", describe_reply(r));
    freeReplyObject(r);
    redisFree(c);
}

/* ---- atomicity under concurrency ---- */

enum { TOTAL = 1000, WORKERS = 6 };

struct conc {
    int port;
    char a[64], b[64];
    long long end_ms;
    atomic_llong ops;
    atomic_bool stop;
    pthread_mutex_t lock;
    char error[512];
};

struct conc_worker {
    struct conc *run;
    int index;
};

static void conc_fail(struct conc *run, const char *fmt, const char *what)
{
    pthread_mutex_lock(&run->lock);
    if (!run->error[0])
        snprintf(run->error, sizeof(run->error), fmt, what);
    pthread_mutex_unlock(&run->lock);
    atomic_store(&run->stop, true);
}

static long long reply_number(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return atoll(r->str);
    return -1;
}

static void *conc_main(void *arg)
{
    struct conc_worker *w = arg;
    struct conc *run = w->run;
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", run->port, tv);
    if (!c || c->err) {
        conc_fail(run, "connect: %s", c ? c->errstr : "oom");
        return NULL;
    }
    redisSetTimeout(c, tv);
    const char *move_declared =
        "redis.call('decrby', KEYS[1], ARGV[1]) redis.call('incrby', KEYS[2], ARGV[1]) return 1";
    const char *move_undeclared =
        "redis.call('decrby', KEYS[1], ARGV[1]) redis.call('incrby', ARGV[2], ARGV[1]) return 1";
    const char *move_nokeys = "redis.call('incrby', ARGV[1], 3) redis.call('decrby', ARGV[2], 3) return 1";
    const char *sum_declared = "return redis.call('get', KEYS[1]) + redis.call('get', KEYS[2])";
    const char *sum_undeclared = "return redis.call('get', KEYS[1]) + redis.call('get', 'acct' .. ARGV[1])";
    long long i = 0;
    while (!atomic_load(&run->stop) && now_ms() < run->end_ms) {
        redisReply *r = NULL;
        long long sum = -2;
        switch ((w->index + i++) % 7) {
        case 0:
            r = redisCommand(c, "EVAL %s 2 %s %s %d", move_declared, run->a, run->b, (int)(i % 5) + 1);
            break;
        case 1:
            r = redisCommand(c, "EVAL %s 1 %s %d %s", move_undeclared, run->b, (int)(i % 3) + 1, run->a);
            break;
        case 2:
            r = redisCommand(c, "EVAL %s 0 %s %s", move_nokeys, run->a, run->b);
            break;
        case 3:
            r = redisCommand(c, "EVAL %s 2 %s %s", sum_declared, run->a, run->b);
            if (r && r->type == REDIS_REPLY_INTEGER)
                sum = r->integer;
            break;
        case 4:
            r = redisCommand(c, "EVAL %s 1 %s %s", sum_undeclared, run->a, run->b + 4);
            if (r && r->type == REDIS_REPLY_INTEGER)
                sum = r->integer;
            break;
        case 5:
            r = redisCommand(c, "MGET %s %s", run->a, run->b);
            if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
                sum = reply_number(r->element[0]) + reply_number(r->element[1]);
            break;
        case 6: {
            redisAppendCommand(c, "MULTI");
            redisAppendCommand(c, "INCRBY %s 7", run->a);
            redisAppendCommand(c, "DECRBY %s 7", run->b);
            redisAppendCommand(c, "EXEC");
            for (int k = 0; k < 4; k++) {
                if (r)
                    freeReplyObject(r);
                r = NULL;
                if (redisGetReply(c, (void **)&r) != REDIS_OK)
                    r = NULL;
                if (!r)
                    break;
            }
            break;
        }
        }
        if (!r) {
            conc_fail(run, "no reply within 10 s (deadlock suspected): %s", c->errstr);
            break;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            conc_fail(run, "error reply: %s", r->str);
            freeReplyObject(r);
            break;
        }
        if (sum != -2 && sum != TOTAL) {
            char msg[64];
            snprintf(msg, sizeof(msg), "%lld", sum);
            conc_fail(run, "sum seen %s, expected 1000", msg);
        }
        freeReplyObject(r);
        atomic_fetch_add(&run->ops, 1);
    }
    redisFree(c);
    return NULL;
}

Test(scripting, atomic_moves_between_shards)
{
    struct conc *run = calloc(1, sizeof(*run));
    run->port = server_port();
    pthread_mutex_init(&run->lock, NULL);
    /* "acct" + suffix: the undeclared reader computes the second name */
    keys_on_two_shards("acct", run->a, run->b, sizeof(run->a));
    redisContext *c = client_connect();
    expect_status(cmd(c, "SET %s %d", run->a, TOTAL / 2), "OK");
    expect_status(cmd(c, "SET %s %d", run->b, TOTAL / 2), "OK");
    run->end_ms = now_ms() + 2500;
    pthread_t th[WORKERS];
    struct conc_worker ws[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        ws[i].run = run;
        ws[i].index = i;
        pthread_create(&th[i], NULL, conc_main, &ws[i]);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    cr_assert(run->error[0] == '\0', "%s", run->error);
    cr_assert_gt(atomic_load(&run->ops), WORKERS);
    redisReply *r = expect_array(cmd(c, "MGET %s %s", run->a, run->b), 2);
    cr_assert_eq(reply_number(r->element[0]) + reply_number(r->element[1]), TOTAL);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- long scripts ---- */

struct looper {
    int port;
    const char *script;
    const char *key;
    redisReply *reply;
};

static void *loop_main(void *arg)
{
    struct looper *l = arg;
    struct timeval tv = {60, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", l->port, tv);
    redisSetTimeout(c, tv);
    l->reply = redisCommand(c, "EVAL %s 1 %s", l->script, l->key);
    redisFree(c);
    return NULL;
}

/* Polls with PING until the server answers BUSY. */
static void wait_busy(redisContext *c)
{
    for (;;) {
        redisReply *r = cmd(c, "PING");
        int busy = r->type == REDIS_REPLY_ERROR && !strncmp(r->str, "BUSY ", 5);
        cr_assert(busy || r->type == REDIS_REPLY_STATUS, "%s", describe_reply(r));
        freeReplyObject(r);
        if (busy)
            return;
        sleep_ms(5);
    }
}

Test(scripting, busy_and_script_kill)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET busy-reply-threshold 50"), "OK");
    struct looper l = {server_port(), "local i = 0 while true do i = i + 1 end", "loopkey", NULL};
    pthread_t th;
    pthread_create(&th, NULL, loop_main, &l);
    wait_busy(c);
    expect_err_prefix(cmd(c, "GET loopkey"), "BUSY Redis is busy running a script.");
    expect_status(cmd(c, "SCRIPT KILL"), "OK");
    pthread_join(th, NULL);
    cr_assert(l.reply && l.reply->type == REDIS_REPLY_ERROR, "%s", l.reply ? describe_reply(l.reply) : "no reply");
    cr_assert(strstr(l.reply->str, "Script killed by user with SCRIPT KILL...") != NULL, "%s", l.reply->str);
    freeReplyObject(l.reply);
    expect_status(cmd(c, "PING"), "PONG");
    /* a script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server */
    struct looper w = {server_port(), "redis.call('set', KEYS[1], 'v') while true do end", "wkey", NULL};
    pthread_create(&th, NULL, loop_main, &w);
    wait_busy(c);
    expect_err_prefix(cmd(c, "SCRIPT KILL"), "UNKILLABLE Sorry the script already executed write commands");
    redisAppendCommand(c, "SHUTDOWN NOSAVE");
    redisReply *r = NULL;
    redisGetReply(c, (void **)&r);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    int status;
    struct test_server *srv = server_current();
    waitpid(srv->pid, &status, 0);
    srv->pid = 0;
    cr_assert(WIFEXITED(status), "status %d", status);
    pthread_join(th, NULL);
    if (w.reply)
        freeReplyObject(w.reply);
}

Test(scripting, acl_inside_scripts)
{
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "ACL SETUSER bob on >pw ~allowed* +@all -set"), "OK");
    redisContext *c = client_connect();
    expect_status(cmd(c, "AUTH bob pw"), "OK");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('set', 'allowed1', 'v')"),
                      "ERR The user executing the script can't run this command or subcommand script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.call('get', 'secret')"),
                      "ERR The user executing the script can't access at least one of the keys mentioned in the "
                      "command arguments script: ");
    expect_err_prefix(cmd(c, "EVAL %s 0", "return redis.pcall('get', 'secret')"),
                      "ERR The user executing the script can't access at least one of the keys");
    expect_int(cmd(c, "EVAL %s 0", "return redis.call('incr', 'allowed2')"), 1);
    expect_int(cmd(c, "EVAL %s 0", "return redis.acl_check_cmd('set', 'allowed1', 'v') and 1 or 0"), 0);
    expect_int(cmd(c, "EVAL %s 0", "return redis.acl_check_cmd('get', 'allowed1') and 1 or 0"), 1);
    redisFree(c);
    redisFree(admin);
}

Test(scripting, functions)
{
    redisContext *c = client_connect();
    const char *lib =
        "#!lua name=mylib\n"
        "redis.register_function('getk', function(keys, args) return redis.call('get', keys[1]) end)\n"
        "redis.register_function{function_name='echo', callback=function(keys, args) return args[1] end,"
        " flags={'no-writes'}, description='says it'}\n"
        "redis.register_function('setother', function(keys, args)"
        " redis.call('set', keys[1], args[2]) return redis.call('set', 'other:' .. args[1], args[2]) end)";
    expect_str(cmd(c, "FUNCTION LOAD %s", lib), "mylib");
    expect_err(cmd(c, "FUNCTION LOAD %s", lib), "ERR Library 'mylib' already exists");
    expect_str(cmd(c, "FUNCTION LOAD REPLACE %s", lib), "mylib");
    expect_err(cmd(c, "FUNCTION LOAD %s", "return 1"), "ERR Missing library metadata");
    expect_err(cmd(c, "FUNCTION LOAD %s", "#!lua name=empty\nreturn 1"), "ERR No functions registered");
    expect_err(cmd(c, "FUNCTION LOAD %s", "#!lua name=dup\nredis.register_function('getk', function() return 1 end)"),
               "ERR Function getk already exists");
    expect_err_prefix(cmd(c, "FUNCTION LOAD %s", "#!lua name=bad\nreturn 'x"),
                      "ERR Error compiling function: user_function:2:");
    expect_status(cmd(c, "SET k v"), "OK");
    /* every connection (thread) sees the library */
    for (int i = 0; i < 6; i++) {
        redisContext *o = client_connect();
        expect_str(cmd(o, "FCALL getk 1 k"), "v");
        expect_str(cmd(o, "FCALL_RO echo 0 hi"), "hi");
        redisFree(o);
    }
    expect_err(cmd(c, "FCALL nosuch 0"), "ERR Function not found");
    expect_err(cmd(c, "FCALL_RO getk 1 k"), "ERR Can not execute a script with write flag using *_ro command.");
    /* undeclared keys on other shards work from functions too */
    expect_status(cmd(c, "FCALL setother 1 mine x val"), "OK");
    expect_strs(cmd(c, "MGET mine other:x"), 2, "val", "val");
    expect_str(
        cmd(c, "FUNCTION LOAD %s", "#!lua name=failing\nredis.register_function('boom', function() return nosuch end)"),
        "failing");
    redisReply *r = cmd(c, "FCALL boom 0");
    cr_assert(r->type == REDIS_REPLY_ERROR &&
                  strstr(r->str, "Script attempted to access nonexistent global variable 'nosuch' script: boom, on "
                                 "@user_function:2."),
              "%s", describe_reply(r));
    freeReplyObject(r);
    r = expect_array(cmd(c, "FUNCTION LIST LIBRARYNAME my*"), 1);
    cr_assert_eq(r->element[0]->elements, 6, "%s", describe_reply(r));
    freeReplyObject(r);
    expect_status(cmd(c, "FUNCTION DELETE failing"), "OK");
    expect_err(cmd(c, "FUNCTION DELETE failing"), "ERR Library not found");
    expect_err(cmd(c, "FCALL boom 0"), "ERR Function not found");
    /* a library whose code never ends fails its load; the server goes on */
    r = cmd(c, "FUNCTION LOAD %s", "#!lua name=loop\nlocal a = 1 while 1 do a = a + 1 end");
    cr_assert(r->type == REDIS_REPLY_ERROR && strstr(r->str, "FUNCTION LOAD timeout"), "%s", describe_reply(r));
    freeReplyObject(r);
    expect_status(cmd(c, "PING"), "PONG");
    expect_status(cmd(c, "FUNCTION FLUSH"), "OK");
    expect_err(cmd(c, "FCALL getk 1 k"), "ERR Function not found");
    r = expect_array(cmd(c, "FUNCTION LIST"), 0);
    freeReplyObject(r);
    redisFree(c);
}

/* A script's effects reach the log (never the script): after kill -9 and a
 * restart with another thread count, every acknowledged script's writes are
 * there (appendfsync always), the cross-shard ones included. */
Test(scripting_log, effects_survive_kill9, .timeout = 120)
{
    if (server_is_redis())
        cr_skip_test("shardis log files only");
    char dir[256];
    temp_dir(dir, sizeof(dir), "scripting-log");
    int t = server_threads(), other = t == 1 ? 4 : 1;
    static const char *args[] = {"--appendonly", "yes", "--appendfsync", "always"};
    struct test_server srv;
    struct test_server_opts o = {dir, t, 4, args};
    server_start_opts(&srv, &o);
    redisContext *c = client_connect_port(srv.port);
    char a[64], b[64];
    keys_on_two_shards("logk", a, b, sizeof(a));
    for (int i = 0; i < 20; i++) {
        expect_int(cmd(c, "EVAL %s 1 %s %s",
                       "redis.call('incrby', KEYS[1], 2) redis.call('incrby', ARGV[1], 3) "
                       "redis.call('rpush', 'list:' .. ARGV[1], 'x') return 1",
                       a, b),
                   1);
        expect_int(cmd(c, "EVAL %s 1 %s", "return redis.call('incr', KEYS[1])", "solo"), i + 1);
    }
    /* a random value is logged as the value written, not as the script */
    redisReply *r = cmd(c, "EVAL %s 0", "redis.call('set', 'r', math.random(1000000)) return redis.call('get', 'r')");
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "%s", describe_reply(r));
    char rv[32];
    snprintf(rv, sizeof(rv), "%s", r->str);
    freeReplyObject(r);
    redisFree(c);
    server_kill9(&srv);
    struct test_server_opts o2 = {dir, other, 2, args};
    server_start_opts(&srv, &o2);
    c = client_connect_port(srv.port);
    expect_strs(cmd(c, "MGET %s %s solo r", a, b), 4, "40", "60", "20", rv);
    expect_int(cmd(c, "LLEN list:%s", b), 20);
    redisFree(c);
    server_stop(&srv);
    remove_tree(dir);
}
