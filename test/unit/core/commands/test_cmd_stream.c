/*
 * test_cmd_stream.c - unit tests for core/commands/cmd_stream.c on a private
 * db with a fixed clock: what each stream command gives the log (its effect
 * records: XADD with the id it chose, trimming as an explicit XTRIM,
 * XREADGROUP deliveries and XCLAIM/XAUTOCLAIM claims as XCLAIM with an
 * absolute TIME, NOACK reads as XGROUP SETID), that replaying those records
 * rebuilds the same stream and PEL, and the helpers the engine uses for
 * blocking reads (BLOCK parsing, '$' pinning, readiness of a key).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_harness.h"
#include "core/types/t_stream.h"

TestSuite(cmd_stream, .init = harness_setup_cfg, .fini = harness_teardown);

/* The effect records of the last runs, one line each, arguments joined by
 * spaces. */
static char effects[64][256];
static int neffects;

static void capture_effect(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens)
{
    (void)c;
    char *line = effects[neffects++ % 64];
    size_t n = 0;
    for (int i = 0; i < argc && n < 250; i++)
        n += (size_t)snprintf(line + n, 256 - n, "%s%.*s", i ? " " : "", (int)lens[i], argv[i]);
}

static void capture_command(struct cmd_ctx *c)
{
    const char *v[MAX_ARGS];
    size_t l[MAX_ARGS];
    for (int i = 0; i < c->argc && i < MAX_ARGS; i++) {
        v[i] = c->argv[i].ptr;
        l[i] = c->argv[i].len;
    }
    capture_effect(c, c->argc, v, l);
}

static int dummy_log;

/* Runs with the log on: effects are captured, and a command that logs none
 * of its own is recorded as its argv (what effect_log_command does). */
static const char *run_logged(cmd_handler *h, const char *const *argv)
{
    static const struct cmd_engine_ops ops = {.effect = capture_effect, .command_effect = capture_command};
    command_engine_install(&ops);
    ctx.aof = (struct aof_shard *)&dummy_log;
    ctx.effect_logged = 0;
    uint64_t dirty = stats.dirty;
    const char *r = run_argv(h, argv);
    effect_log_command(&ctx, dirty);
    ctx.aof = NULL;
    command_engine_install(NULL);
    return r;
}
#define LOGGED(handler, ...) run_logged(handler, (const char *const[]){__VA_ARGS__, NULL})

Test(cmd_stream, xadd_logs_the_id_it_chose_and_trimming_explicitly)
{
    neffects = 0;
    cr_assert_str_eq(LOGGED(cmd_xadd, "xadd", "s", "*", "f", "v"), "$15\r\n1700000000000-0\r\n");
    cr_assert_str_eq(effects[0], "XADD s 1700000000000-0 f v");
    cr_assert_str_eq(LOGGED(cmd_xadd, "xadd", "s", "1700000000000-*", "f", "w"), "$15\r\n1700000000000-1\r\n");
    cr_assert_str_eq(effects[1], "XADD s 1700000000000-1 f w");
    neffects = 0;
    cr_assert_str_eq(LOGGED(cmd_xadd, "xadd", "s", "MAXLEN", "1", "*", "f", "x"), "$15\r\n1700000000000-2\r\n");
    cr_assert_eq(neffects, 2);
    cr_assert_str_eq(effects[0], "XADD s 1700000000000-2 f x");
    cr_assert_str_eq(effects[1], "XTRIM s MINID = 1700000000000-2");
    neffects = 0;
    cr_assert_str_eq(LOGGED(cmd_xtrim, "xtrim", "s", "MAXLEN", "0"), ":1\r\n");
    cr_assert_str_eq(effects[0], "XTRIM s MAXLEN = 0");
    /* nothing trimmed: nothing logged */
    neffects = 0;
    cr_assert_str_eq(LOGGED(cmd_xtrim, "xtrim", "s", "MAXLEN", "0"), ":0\r\n");
    cr_assert_eq(neffects, 0);
}

Test(cmd_stream, group_reads_log_claims_and_replay_rebuilds_the_pel)
{
    RUN(cmd_xadd, "xadd", "s", "1-1", "f", "1");
    RUN(cmd_xadd, "xadd", "s", "2-1", "f", "2");
    RUN(cmd_xadd, "xadd", "s", "3-1", "f", "3");
    RUN(cmd_xgroup, "xgroup", "create", "s", "g", "0");
    neffects = 0;
    LOGGED(cmd_xreadgroup, "xreadgroup", "group", "g", "alice", "count", "2", "streams", "s", ">");
    cr_assert_eq(neffects, 3);
    cr_assert_str_eq(effects[0], "XGROUP CREATECONSUMER s g alice");
    cr_assert_str_eq(effects[1], "XCLAIM s g alice 0 1-1 TIME 1700000000000 RETRYCOUNT 1 FORCE JUSTID LASTID 1-1");
    cr_assert_str_eq(effects[2], "XCLAIM s g alice 0 2-1 TIME 1700000000000 RETRYCOUNT 1 FORCE JUSTID LASTID 2-1");
    neffects = 0;
    LOGGED(cmd_xreadgroup, "xreadgroup", "group", "g", "bob", "noack", "streams", "s", ">");
    cr_assert_eq(neffects, 2);
    cr_assert_str_eq(effects[0], "XGROUP CREATECONSUMER s g bob");
    cr_assert_str_eq(effects[1], "XGROUP SETID s g 3-1 ENTRIESREAD 3");
    ctx.now_ms = NOW + 5000;
    neffects = 0;
    LOGGED(cmd_xclaim, "xclaim", "s", "g", "bob", "1000", "1-1");
    cr_assert_str_eq(effects[0], "XCLAIM s g bob 0 1-1 TIME 1700000005000 RETRYCOUNT 2 FORCE JUSTID LASTID 3-1");
    char *before = strdup(RUN(cmd_xpending, "xpending", "s", "g", "-", "+", "10"));
    char *info = strdup(RUN(cmd_xinfo, "xinfo", "groups", "s"));

    /* replay the deterministic commands and the effects into db 1 */
    ctx.db = dbs[1];
    ctx.dbid = 1;
    RUN(cmd_xadd, "xadd", "s", "1-1", "f", "1");
    RUN(cmd_xadd, "xadd", "s", "2-1", "f", "2");
    RUN(cmd_xadd, "xadd", "s", "3-1", "f", "3");
    RUN(cmd_xgroup, "xgroup", "create", "s", "g", "0");
    ctx.now_ms = NOW + 99999; /* replay happens later: the records carry the times */
    RUN(cmd_xgroup, "xgroup", "createconsumer", "s", "g", "alice");
    RUN(cmd_xclaim, "xclaim", "s", "g", "alice", "0", "1-1", "TIME", "1700000000000", "RETRYCOUNT", "1", "FORCE",
        "JUSTID", "LASTID", "1-1");
    RUN(cmd_xclaim, "xclaim", "s", "g", "alice", "0", "2-1", "TIME", "1700000000000", "RETRYCOUNT", "1", "FORCE",
        "JUSTID", "LASTID", "2-1");
    RUN(cmd_xgroup, "xgroup", "createconsumer", "s", "g", "bob");
    RUN(cmd_xgroup, "xgroup", "setid", "s", "g", "3-1", "ENTRIESREAD", "3");
    RUN(cmd_xclaim, "xclaim", "s", "g", "bob", "0", "1-1", "TIME", "1700000005000", "RETRYCOUNT", "2", "FORCE",
        "JUSTID", "LASTID", "3-1");
    ctx.now_ms = NOW + 5000;
    cr_assert_str_eq(RUN(cmd_xpending, "xpending", "s", "g", "-", "+", "10"), before);
    cr_assert_str_eq(RUN(cmd_xinfo, "xinfo", "groups", "s"), info);
    free(before);
    free(info);
}

Test(cmd_stream, blocking_helpers)
{
    long long ms;
    struct arg a[8];
    const char *words[] = {"XREAD", "COUNT", "2", "BLOCK", "150", "STREAMS", "s", "$"};
    for (int i = 0; i < 8; i++)
        a[i] = (struct arg){words[i], strlen(words[i])};
    cr_assert_eq(xread_block_timeout(8, a, &ms), 1);
    cr_assert_eq(ms, 150);
    cr_assert_eq(xread_block_timeout(3, (struct arg[]){{"XREAD", 5}, {"STREAMS", 7}, {"s", 1}}, &ms), -1);
    cr_assert_eq(
        xread_block_timeout(5, (struct arg[]){{"XREAD", 5}, {"BLOCK", 5}, {"-1", 2}, {"STREAMS", 7}, {"s", 1}}, &ms),
        0);
    /* '$' becomes the last id as of now */
    RUN(cmd_xadd, "xadd", "s", "5-5", "f", "v");
    char storage[XREAD_PIN_BYTES * 8];
    cr_assert_eq(xread_pin_last_ids(ctx.db, NOW, 8, a, storage), 1);
    cr_assert_eq(a[7].len, 3);
    cr_assert(memcmp(a[7].ptr, "5-5", 3) == 0);
    struct db_entry *e = find("s");
    cr_assert_not(xread_key_ready(e, 8, a, "s", 1), "nothing after 5-5 yet");
    RUN(cmd_xadd, "xadd", "s", "6-0", "f", "v");
    cr_assert(xread_key_ready(e, 8, a, "s", 1));
    /* XREADGROUP: ready when the group is behind, or gone (told with an error) */
    const char *gw[] = {"XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"};
    struct arg g[9];
    for (int i = 0; i < 9; i++)
        g[i] = (struct arg){gw[i], strlen(gw[i])};
    cr_assert(xread_key_ready(e, 9, g, "s", 1), "no group: served with NOGROUP");
    RUN(cmd_xgroup, "xgroup", "create", "s", "g", "$");
    cr_assert_not(xread_key_ready(e, 9, g, "s", 1));
    RUN(cmd_xadd, "xadd", "s", "7-0", "f", "v");
    cr_assert(xread_key_ready(e, 9, g, "s", 1));
    cr_assert(xread_key_ready(NULL, 9, g, "s", 1), "a deleted key wakes an XREADGROUP");
    cr_assert_not(xread_key_ready(NULL, 8, a, "s", 1));
}
