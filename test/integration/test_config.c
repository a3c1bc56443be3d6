/*
 * test_config.c - CONFIG GET / SET at run time, as Redis 7.0 answers them:
 * several parameters at once (all or nothing, rolled back on the first bad
 * value), duplicates, immutable and protected options, several GET patterns,
 * hidden options, and every option settable to the value GET shows.
 * enable-protected-configs and enable-debug-command: refused by default
 * ("no"), allowed for loopback clients with "local".
 *
 * Each test runs against a fresh server (server_suite_init). The launcher
 * starts servers with DEBUG and the protected options allowed; the suites
 * that check the refusals append "no" (or "local"), which the command line
 * takes last. Runs against redis-server too (SHARDIS_SERVER=.../redis-server).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "server.h"

TestSuite(config, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* CONFIG GET name's value, copied into out. */
static void config_value(redisContext *c, const char *name, char *out, size_t outlen)
{
    redisReply *r = cmd(c, "CONFIG GET %s", name);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET %s: %s", name, describe_reply(r));
    snprintf(out, outlen, "%s", r->element[1]->str);
    freeReplyObject(r);
}

static int reply_has_key(const redisReply *r, const char *key)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (!strcmp(r->element[i]->str, key))
            return 1;
    return 0;
}

Test(config, set_with_multiple_args)
{
    redisContext *c = client_connect();
    char mm[64], backlog[64], save[256];
    config_value(c, "maxmemory", mm, sizeof(mm));
    config_value(c, "repl-backlog-size", backlog, sizeof(backlog));
    config_value(c, "save", save, sizeof(save));

    expect_status(cmd(c, "CONFIG SET maxmemory 10000001 repl-backlog-size 10000002 save %s", "3000 5"), "OK");
    char v[256];
    config_value(c, "maxmemory", v, sizeof(v));
    cr_assert_str_eq(v, "10000001");
    config_value(c, "repl-backlog-size", v, sizeof(v));
    cr_assert_str_eq(v, "10000002");
    config_value(c, "save", v, sizeof(v));
    cr_assert_str_eq(v, "3000 5");

    expect_status(cmd(c, "CONFIG SET maxmemory %s repl-backlog-size %s save %s", mm, backlog, save), "OK");
    config_value(c, "save", v, sizeof(v));
    cr_assert_str_eq(v, save);
    redisFree(c);
}

Test(config, set_rollback_on_set_error)
{
    redisContext *c = client_connect();
    char mmc[64], qbl[64];
    config_value(c, "maxmemory-clients", mmc, sizeof(mmc));
    config_value(c, "client-query-buffer-limit", qbl, sizeof(qbl));
    expect_status(cmd(c, "CONFIG SET maxmemory 10000002"), "OK");
    /* maxmemory is valid and comes first: it must not stay set */
    expect_err(cmd(c, "CONFIG SET maxmemory 10000001 maxmemory-clients 200%% client-query-buffer-limit invalid"),
               "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must "
               "be less or equal to 100");
    char v[64];
    config_value(c, "maxmemory", v, sizeof(v));
    cr_assert_str_eq(v, "10000002");
    config_value(c, "maxmemory-clients", v, sizeof(v));
    cr_assert_str_eq(v, mmc);
    config_value(c, "client-query-buffer-limit", v, sizeof(v));
    cr_assert_str_eq(v, qbl);

    /* a bad value after good ones, of other kinds */
    expect_err(cmd(c, "CONFIG SET hz 20 notify-keyspace-events Q"),
               "ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class "
               "character. Use 'Ag$lshzxeKEtmdn'.");
    config_value(c, "hz", v, sizeof(v));
    cr_assert_str_eq(v, "10");
    expect_status(cmd(c, "CONFIG SET maxmemory 0"), "OK");
    redisFree(c);
}

Test(config, set_refusals_name_the_first_bad_parameter)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "CONFIG SET maxmemory 10000001 maxmemory 10000002"),
               "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter");
    expect_err(cmd(c, "CONFIG SET daemonize yes"),
               "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config");
    /* the first problem in argument order wins */
    expect_err(cmd(c, "CONFIG SET daemonize yes foo bar"),
               "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config");
    expect_err(cmd(c, "CONFIG SET foo bar daemonize yes"),
               "ERR Unknown option or number of arguments for CONFIG SET - 'foo'");
    expect_err(cmd(c, "CONFIG SET maxmemory 1 foo"), "ERR syntax error");
    expect_err(cmd(c, "CONFIG SET maxmemory"), "ERR wrong number of arguments for 'config|set' command");
    /* nothing of a refused command was applied */
    char v[64];
    config_value(c, "maxmemory", v, sizeof(v));
    cr_assert_str_eq(v, "0");
    /* Redis's value errors */
    expect_err(
        cmd(c, "CONFIG SET hz abc"),
        "ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer");
    expect_err(cmd(c, "CONFIG SET maxmemory -5"),
               "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value");
    expect_err(cmd(c, "CONFIG SET slowlog-log-slower-than -2"),
               "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be "
               "between -1 and 9223372036854775807 inclusive");
    expect_err(cmd(c, "CONFIG SET appendonly maybe"),
               "ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or 'no'");
    expect_err(cmd(c, "CONFIG SET repl-diskless-load bogus"),
               "ERR CONFIG SET failed (possibly related to argument 'repl-diskless-load') - argument(s) must be one of "
               "the following: disabled, on-empty-db, swapdb");
    expect_err(cmd(c, "CONFIG SET shutdown-on-sigint %s", "save nosave"),
               "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - shutdown options SAVE and "
               "NOSAVE can't be used simultaneously");
    expect_err(cmd(c, "CONFIG SET oom-score-adj-values %s", "1 2 3000"),
               "ERR CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - Invalid "
               "oom-score-adj-values, elements must be between -2000 and 2000.");
    expect_err(cmd(c, "CONFIG SET proc-title-template {nosuchvariable}"),
               "ERR CONFIG SET failed (possibly related to argument 'proc-title-template') - template format is "
               "invalid or contains unknown variables");
    redisFree(c);
}

Test(config, get_multiple_args)
{
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "CONFIG GET maxmemory maxmemory* bind *of");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements % 2 == 0, "%s", describe_reply(r));
    /* no name twice */
    for (size_t i = 0; i < r->elements; i += 2)
        for (size_t j = i + 2; j < r->elements; j += 2)
            cr_assert(strcmp(r->element[i]->str, r->element[j]->str), "%s twice", r->element[i]->str);
    cr_assert(reply_has_key(r, "slaveof") && reply_has_key(r, "replicaof"), "name and alias: %s", describe_reply(r));
    cr_assert(reply_has_key(r, "maxmemory") && reply_has_key(r, "maxmemory-samples") &&
                  reply_has_key(r, "maxmemory-clients"),
              "%s", describe_reply(r));
    cr_assert(reply_has_key(r, "bind"));
    freeReplyObject(r);

    /* a hidden option answers to its exact name only */
    r = cmd(c, "CONFIG GET *");
    cr_assert(!reply_has_key(r, "key-load-delay"));
    cr_assert(reply_has_key(r, "always-show-logo") && reply_has_key(r, "notify-keyspace-events"));
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET key-load-delay");
    cr_assert(reply_has_key(r, "key-load-delay"), "%s", describe_reply(r));
    freeReplyObject(r);
    redisFree(c);
}

Test(config, values_read_back_as_redis_shows_them)
{
    redisContext *c = client_connect();
    char v[256];
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events KEA"), "OK");
    config_value(c, "notify-keyspace-events", v, sizeof(v));
    cr_assert_str_eq(v, "AKE");
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events Ex$"), "OK");
    config_value(c, "notify-keyspace-events", v, sizeof(v));
    cr_assert_str_eq(v, "$xE");
    expect_status(cmd(c, "CONFIG SET maxmemory-clients 50%%"), "OK");
    config_value(c, "maxmemory-clients", v, sizeof(v));
    cr_assert_str_eq(v, "50%");
    expect_status(cmd(c, "CONFIG SET oom-score-adj relative"), "OK");
    config_value(c, "oom-score-adj", v, sizeof(v));
    cr_assert_str_eq(v, "yes");
    expect_status(cmd(c, "CONFIG SET shutdown-on-sigint %s", "nosave now force"), "OK");
    config_value(c, "shutdown-on-sigint", v, sizeof(v));
    cr_assert_str_eq(v, "nosave now force");
    expect_status(cmd(c, "CONFIG SET latency-tracking-info-percentiles %s", "50 99.99 100"), "OK");
    config_value(c, "latency-tracking-info-percentiles", v, sizeof(v));
    cr_assert_str_eq(v, "50 99.99 100");
    expect_status(cmd(c, "CONFIG SET hll-sparse-max-bytes 1k stream-node-max-bytes 1kb"), "OK");
    config_value(c, "hll-sparse-max-bytes", v, sizeof(v));
    cr_assert_str_eq(v, "1000");
    config_value(c, "stream-node-max-bytes", v, sizeof(v));
    cr_assert_str_eq(v, "1024");
    /* an alias and its name are one option */
    expect_status(cmd(c, "CONFIG SET lua-time-limit 100"), "OK");
    config_value(c, "busy-reply-threshold", v, sizeof(v));
    cr_assert_str_eq(v, "100");
    expect_status(cmd(c, "CONFIG SET hz 100000"), "OK");
    config_value(c, "hz", v, sizeof(v));
    cr_assert_str_eq(v, "500");
    redisFree(c);
}

/* What CONFIG GET * shows, CONFIG SET takes back unchanged (Redis's
 * "CONFIG sanity" test), for every option that may change at run time. */
Test(config, every_option_takes_back_its_own_value)
{
    redisContext *c = client_connect();
    redisReply *all = cmd(c, "CONFIG GET *");
    cr_assert(all->type == REDIS_REPLY_ARRAY && all->elements > 2 * 150, "%s", describe_reply(all));
    for (size_t i = 0; i + 1 < all->elements; i += 2) {
        const char *k = all->element[i]->str, *v = all->element[i + 1]->str;
        redisReply *r = cmd(c, "CONFIG SET %s %s", k, v);
        if (r->type == REDIS_REPLY_ERROR && strstr(r->str, "immutable")) {
            freeReplyObject(r);
            continue;
        }
        cr_assert(r->type == REDIS_REPLY_STATUS, "CONFIG SET %s '%s': %s", k, v, describe_reply(r));
        freeReplyObject(r);
        char now[4096];
        config_value(c, k, now, sizeof(now));
        cr_assert_str_eq(now, v, "%s changed from '%s' to '%s'", k, v, now);
    }
    freeReplyObject(all);
    redisFree(c);
}

/* ---- enable-protected-configs / enable-debug-command ---- */

static void start_with(const char *protected_configs, const char *debug_command)
{
    static const char *args[5];
    args[0] = "--enable-protected-configs";
    args[1] = protected_configs;
    args[2] = "--enable-debug-command";
    args[3] = debug_command;
    args[4] = NULL;
    server_set_extra_args(args);
    server_suite_init();
}

static void start_refusing(void)
{
    start_with("no", "no");
}

static void start_local(void)
{
    start_with("local", "local");
}

static const char debug_refused[] =
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a "
    "local connection, otherwise you need to set this option in the configuration file, and then restart the server.";

TestSuite(config_protected, .init = start_refusing, .fini = server_suite_fini, .timeout = 60);

Test(config_protected, dir_dbfilename_and_debug_refused_by_default)
{
    redisContext *c = client_connect();
    char dir[1024];
    config_value(c, "dir", dir, sizeof(dir));
    expect_err(cmd(c, "CONFIG SET dir /tmp"),
               "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
    expect_err(cmd(c, "CONFIG SET dbfilename x.rdb"),
               "ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config");
    /* with another, valid parameter: nothing is set */
    expect_err(cmd(c, "CONFIG SET maxmemory 12345678 dir /tmp"),
               "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config");
    char v[1024];
    config_value(c, "maxmemory", v, sizeof(v));
    cr_assert_str_eq(v, "0");
    config_value(c, "dir", v, sizeof(v));
    cr_assert_str_eq(v, dir);
    config_value(c, "dbfilename", v, sizeof(v));
    cr_assert_str_eq(v, "dump.rdb");
    expect_err(cmd(c, "DEBUG HELP"), debug_refused);
    expect_err(cmd(c, "DEBUG SLEEP 0"), debug_refused);
    /* set at start only */
    expect_err(cmd(c, "CONFIG SET enable-protected-configs yes"),
               "ERR CONFIG SET failed (possibly related to argument 'enable-protected-configs') - can't set immutable "
               "config");
    expect_err(cmd(c, "CONFIG SET enable-debug-command yes"),
               "ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - can't set immutable "
               "config");
    config_value(c, "enable-debug-command", v, sizeof(v));
    cr_assert_str_eq(v, "no");
    redisFree(c);
}

TestSuite(config_local, .init = start_local, .fini = server_suite_fini, .timeout = 60);

/* The tests connect from 127.0.0.1: a local connection. */
Test(config_local, loopback_client_may_set_protected_configs_and_debug)
{
    redisContext *c = client_connect();
    expect_status(cmd(c, "CONFIG SET dbfilename other.rdb"), "OK");
    char v[1024];
    config_value(c, "dbfilename", v, sizeof(v));
    cr_assert_str_eq(v, "other.rdb");
    expect_status(cmd(c, "DEBUG SLEEP 0"), "OK");
    config_value(c, "enable-protected-configs", v, sizeof(v));
    cr_assert_str_eq(v, "local");
    redisFree(c);
}
