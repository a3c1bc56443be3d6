/*
 * test_command.c - unit tests for core/commands/command.c: the command table's
 * invariants, lookup, key positions, the helpers handlers share, and the
 * COMMAND command's replies, checked byte for byte against what Redis 7.0.15
 * sends for the same request (captured from a real redis-server; only the
 * order of whole commands and of container subcommands may differ, which no
 * test below depends on).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "shards/engine_hooks.h"

#define NOW 1700000000000LL
#define MAX_ARGS 32

static struct db *db;
static struct buf out;
static struct shard_stats stats;
static struct cmd_ctx ctx;
static struct arg args[MAX_ARGS];
static uint64_t hashes[MAX_ARGS];

static void setup(void)
{
    engine_commands_install(); /* the table as the server has it: every handler bound */
    db = db_create();
    memset(&out, 0, sizeof(out));
    memset(&stats, 0, sizeof(stats));
    memset(&ctx, 0, sizeof(ctx));
    ctx.nshards = 1;
    ctx.db = db;
    ctx.dbs = &db;
    ctx.ndbs = 1;
    ctx.out = &out;
    ctx.resp = 2;
    ctx.now_ms = NOW;
    ctx.stats = &stats;
}

static void teardown(void)
{
    db_destroy(db);
    buf_free(&out);
}

TestSuite(command, .init = setup, .fini = teardown);

/* Fills args/hashes from a NULL-terminated list and returns argc. */
static int set_args(const char *const *argv)
{
    int argc = 0;
    while (argv[argc]) {
        cr_assert(argc < MAX_ARGS);
        args[argc].ptr = argv[argc];
        args[argc].len = strlen(argv[argc]);
        hashes[argc] = key_hash(args[argc].ptr, args[argc].len);
        argc++;
    }
    ctx.argc = argc;
    ctx.argv = args;
    ctx.hashes = hashes;
    return argc;
}

/* The reply as a NUL-terminated string, valid until the next run. */
static const char *reply_text(void)
{
    buf_append_byte(&out, '\0');
    out.len--;
    return out.data;
}

/* Runs COMMAND with the given arguments (argv[0] is "COMMAND") as the
 * dispatcher would: top-level arity first, then the handler. */
static const char *run_command(int resp, const char *const *argv)
{
    set_args(argv);
    ctx.resp = resp;
    ctx.cmd = command_lookup("command", 7);
    ctx.hashes = NULL;
    buf_reset(&out);
    cr_assert_not_null(ctx.cmd);
    if (!command_arity_ok(ctx.cmd, ctx.argc))
        reply_wrong_arity(&out, args[0].ptr, args[0].len);
    else
        cmd_command(&ctx);
    return reply_text();
}

#define COMMAND2(...) run_command(2, (const char *const[]){"COMMAND", __VA_ARGS__, NULL})
#define COMMAND3(...) run_command(3, (const char *const[]){"COMMAND", __VA_ARGS__, NULL})

static int table_size(void)
{
    int n = 0;
    while (command_table[n].name)
        n++;
    return n;
}

static int is_lower_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* ---------------- the table ---------------- */

Test(command, every_entry_has_a_handler_and_metadata)
{
    for (const struct command *cmd = command_table; cmd->name; cmd++) {
        cr_assert_not_null(cmd->handler, "%s", cmd->name);
        cr_assert_neq(cmd->arity, 0, "%s", cmd->name);
        cr_assert_not_null(cmd->summary, "%s", cmd->name);
        cr_assert_not_null(cmd->since, "%s", cmd->name);
        cr_assert_not_null(cmd->group, "%s", cmd->name);
        cr_assert_not_null(cmd->acl_categories, "%s", cmd->name);
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++) {
            cr_assert_eq(sub->handler, cmd->handler, "%s|%s", cmd->name, sub->name);
            cr_assert_eq(sub->route, cmd->route, "%s|%s", cmd->name, sub->name);
            cr_assert_neq(sub->arity, 0, "%s|%s", cmd->name, sub->name);
            cr_assert_not_null(sub->summary, "%s|%s", cmd->name, sub->name);
            cr_assert_null(sub->subcommands, "%s|%s", cmd->name, sub->name);
        }
        /* A container's keys are its subcommands' (OBJECT ENCODING key). */
        if (cmd->subcommands)
            cr_assert_eq(cmd->first_key, 0, "%s", cmd->name);
    }
}

Test(command, names_are_lowercase_short_and_unique)
{
    int n = table_size();
    for (int i = 0; i < n; i++) {
        const char *name = command_table[i].name;
        cr_assert(is_lower_name(name), "%s", name);
        cr_assert_lt(strlen(name), 32, "%s", name);
        for (int j = i + 1; j < n; j++)
            cr_assert_str_neq(name, command_table[j].name);
        for (const struct command *sub = command_table[i].subcommands; sub && sub->name; sub++) {
            cr_assert(is_lower_name(sub->name), "%s|%s", name, sub->name);
            for (const struct command *other = sub + 1; other->name; other++)
                cr_assert_str_neq(sub->name, other->name);
        }
    }
}

/* Categories are known ones, in Redis's order, and agree with the flags the
 * way Redis derives them (write => @write, fast <=> not @slow ...). */
static void check_categories(const char *name, const struct command *cmd)
{
    static const char *const order[] = {
        "keyspace", "read",   "write",       "set",       "sortedset",  "list",        "hash",
        "string",   "bitmap", "hyperloglog", "geo",       "stream",     "pubsub",      "admin",
        "fast",     "slow",   "blocking",    "dangerous", "connection", "transaction", "scripting"};
    const int ncat = (int)(sizeof(order) / sizeof(order[0]));
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", cmd->acl_categories);
    int last = -1, fast = 0, slow = 0, writes = 0, reads = 0, admin = 0;
    for (char *save = NULL, *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        cr_assert_eq(tok[0], '@', "%s: %s", name, tok);
        int k = 0;
        while (k < ncat && strcmp(order[k], tok + 1) != 0)
            k++;
        cr_assert_lt(k, ncat, "%s: unknown category %s", name, tok);
        cr_assert_gt(k, last, "%s: %s out of order", name, tok);
        last = k;
        fast |= !strcmp(tok, "@fast");
        slow |= !strcmp(tok, "@slow");
        writes |= !strcmp(tok, "@write");
        reads |= !strcmp(tok, "@read");
        admin |= !strcmp(tok, "@admin");
    }
    cr_assert(fast != slow, "%s: exactly one of @fast/@slow", name);
    cr_assert_eq(fast, !!(cmd->flags & CMD_FAST), "%s", name);
    cr_assert_eq(writes, !!(cmd->flags & CMD_WRITE), "%s", name);
    if (!strstr(cmd->acl_categories, "@scripting")) /* EVAL_RO is readonly without @read, as in Redis */
        cr_assert_eq(reads, !!(cmd->flags & CMD_READONLY), "%s", name);
    if (cmd->flags & CMD_ADMIN)
        cr_assert(admin, "%s", name);
}

Test(command, acl_categories_follow_redis_rules)
{
    for (const struct command *cmd = command_table; cmd->name; cmd++) {
        check_categories(cmd->name, cmd);
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++)
            check_categories(sub->name, sub);
    }
}

Test(command, routes_match_the_design)
{
    static const struct {
        const char *name;
        enum cmd_route route;
        enum cmd_merge merge;
    } expect[] = {
        {"get", ROUTE_KEYS, MERGE_NONE},      {"mset", ROUTE_KEYS, MERGE_OK},         {"mget", ROUTE_KEYS, MERGE_MGET},
        {"msetnx", ROUTE_CUSTOM, MERGE_NONE}, {"lcs", ROUTE_CUSTOM, MERGE_NONE},      {"del", ROUTE_KEYS, MERGE_SUM},
        {"unlink", ROUTE_KEYS, MERGE_SUM},    {"exists", ROUTE_KEYS, MERGE_SUM},      {"touch", ROUTE_KEYS, MERGE_SUM},
        {"rename", ROUTE_CUSTOM, MERGE_NONE}, {"copy", ROUTE_CUSTOM, MERGE_NONE},     {"keys", ROUTE_ALL, MERGE_CONCAT},
        {"scan", ROUTE_CUSTOM, MERGE_NONE},   {"randomkey", ROUTE_ALL, MERGE_RANDOM}, {"dbsize", ROUTE_ALL, MERGE_SUM},
        {"flushall", ROUTE_ALL, MERGE_OK},    {"swapdb", ROUTE_ALL, MERGE_OK},        {"info", ROUTE_LOCAL, MERGE_NONE},
        {"object", ROUTE_KEYS, MERGE_NONE},   {"ping", ROUTE_LOCAL, MERGE_NONE},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        const struct command *cmd = command_lookup(expect[i].name, strlen(expect[i].name));
        cr_assert_not_null(cmd, "%s", expect[i].name);
        cr_assert_eq(cmd->route, expect[i].route, "%s", expect[i].name);
        cr_assert_eq(cmd->merge, expect[i].merge, "%s", expect[i].name);
    }
    cr_assert_eq(command_lookup("unlink", 6)->handler, cmd_del);
    cr_assert_eq(command_lookup("substr", 6)->handler, cmd_getrange);
}

Test(command, count_is_the_number_of_top_level_entries)
{
    cr_assert_eq(command_count(), table_size());
    cr_assert_gt(command_count(), 0);
}

/* INFO commandstats: one slot per command and per subcommand, each named
 * as Redis names it ("get", "client|list"), every slot distinct. */
Test(command, stat_slots_cover_commands_and_subcommands)
{
    int total = 0;
    for (const struct command *cmd = command_table; cmd->name; cmd++) {
        total++;
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++)
            total++;
    }
    cr_assert_eq(command_stat_count(), total);
    char *seen = calloc((size_t)total, 1);
    char name[80], want[80];
    for (int i = 0; i < command_count(); i++) {
        const struct command *cmd = &command_table[i];
        command_stat_name(i, name, sizeof(name));
        cr_assert_str_eq(name, cmd->name);
        seen[i]++;
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++) {
            struct arg a = {.ptr = sub->name, .len = strlen(sub->name)};
            int slot = command_sub_stat_index(cmd, &a);
            cr_assert(slot >= command_count() && slot < total, "%s|%s: slot %d", cmd->name, sub->name, slot);
            seen[slot]++;
            command_stat_name(slot, name, sizeof(name));
            snprintf(want, sizeof(want), "%s|%s", cmd->name, sub->name);
            cr_assert_str_eq(name, want);
        }
        /* An unknown subcommand falls back to the container's own slot. */
        if (cmd->subcommands) {
            struct arg a = {.ptr = "NoSuchSub", .len = 9};
            cr_assert_eq(command_sub_stat_index(cmd, &a), i);
        }
    }
    for (int i = 0; i < total; i++)
        cr_assert_eq(seen[i], 1, "slot %d used %d times", i, seen[i]);
    free(seen);
    /* Case does not matter, as for lookups. */
    const struct command *client = command_lookup("client", 6);
    struct arg upper = {.ptr = "LIST", .len = 4};
    command_stat_name(command_sub_stat_index(client, &upper), name, sizeof(name));
    cr_assert_str_eq(name, "client|list");
}

/* ---------------- lookup ---------------- */

Test(command, lookup_finds_every_name_in_any_case)
{
    for (int i = 0; command_table[i].name; i++) {
        char lower[64], upper[64], mixed[64];
        size_t len = strlen(command_table[i].name);
        for (size_t j = 0; j <= len; j++) {
            char ch = command_table[i].name[j];
            char up = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;
            lower[j] = ch;
            upper[j] = up;
            mixed[j] = (j % 2) ? up : ch;
        }
        cr_assert_eq(command_lookup(lower, len), &command_table[i], "%s", lower);
        cr_assert_eq(command_lookup(upper, len), &command_table[i], "%s", upper);
        cr_assert_eq(command_lookup(mixed, len), &command_table[i], "%s", mixed);
    }
}

Test(command, lookup_rejects_unknown_names)
{
    cr_assert_null(command_lookup("gett", 4));
    cr_assert_null(command_lookup("ge", 2));
    cr_assert_null(command_lookup("", 0));
    cr_assert_null(command_lookup("get ", 4));
    cr_assert_null(command_lookup("get\0", 4));
    cr_assert_null(command_lookup("client|list", 11));
    cr_assert_null(command_lookup("xaddx", 5));
    char longname[200];
    memset(longname, 'a', sizeof(longname));
    cr_assert_null(command_lookup(longname, sizeof(longname)));
    /* The length, not the NUL, delimits the name. */
    cr_assert_not_null(command_lookup("getrange", 3));
    cr_assert_eq(command_lookup("getrange", 3), command_lookup("get", 3));
}

Test(command, lookup_sub_is_case_insensitive)
{
    const struct command *object = command_lookup("object", 6);
    const struct command *enc = command_lookup_sub(object, "EnCoDiNg", 8);
    cr_assert_not_null(enc);
    cr_assert_str_eq(enc->name, "encoding");
    cr_assert_eq(enc->arity, 3);
    cr_assert_eq(enc->first_key, 2);
    cr_assert_null(command_lookup_sub(object, "encodingx", 9));
    cr_assert_null(command_lookup_sub(object, "encod", 5));
    cr_assert_null(command_lookup_sub(command_lookup("get", 3), "x", 1));
    cr_assert_not_null(command_lookup_sub(command_lookup("client", 6), "LIST", 4));
    cr_assert_not_null(command_lookup_sub(command_lookup("config", 6), "get", 3));
    cr_assert_not_null(command_lookup_sub(command_lookup("command", 7), "getkeys", 7));
}

Test(command, arity)
{
    const struct command *get = command_lookup("get", 3);
    const struct command *mset = command_lookup("mset", 4);
    const struct command *ping = command_lookup("ping", 4);
    cr_assert_eq(get->arity, 2);
    cr_assert(command_arity_ok(get, 2));
    cr_assert_not(command_arity_ok(get, 1));
    cr_assert_not(command_arity_ok(get, 3));
    cr_assert_eq(mset->arity, -3);
    cr_assert(command_arity_ok(mset, 3));
    cr_assert(command_arity_ok(mset, 9));
    cr_assert_not(command_arity_ok(mset, 2));
    cr_assert(command_arity_ok(ping, 1));
    cr_assert_eq(command_lookup("set", 3)->arity, -3);
    cr_assert_eq(command_lookup("getex", 5)->arity, -2);
    cr_assert_eq(command_lookup("lcs", 3)->arity, -3);
    cr_assert_eq(command_lookup("expire", 6)->arity, -3);
    cr_assert_eq(command_lookup("copy", 4)->arity, -3);
    cr_assert_eq(command_lookup("flushall", 8)->arity, -1);
}

/* ---------------- key positions ---------------- */

static int positions(const char *const *argv, int *idx, int max)
{
    int argc = set_args(argv);
    const struct command *cmd = command_lookup(args[0].ptr, args[0].len);
    cr_assert_not_null(cmd);
    return command_key_positions(cmd, argc, args, idx, max);
}

#define POSITIONS(idx, max, ...) positions((const char *const[]){__VA_ARGS__, NULL}, idx, max)

Test(command, key_positions)
{
    int idx[MAX_ARGS];
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "MSET", "k1", "v1", "k2", "v2", "k3", "v3"), 3);
    cr_assert(idx[0] == 1 && idx[1] == 3 && idx[2] == 5);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "MGET", "a", "b", "c"), 3);
    cr_assert(idx[0] == 1 && idx[1] == 2 && idx[2] == 3);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "DEL", "a"), 1);
    cr_assert_eq(idx[0], 1);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "RENAME", "a", "b"), 2);
    cr_assert(idx[0] == 1 && idx[1] == 2);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "COPY", "a", "b", "DB", "3", "REPLACE"), 2);
    cr_assert(idx[0] == 1 && idx[1] == 2);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "SET", "k", "v", "EX", "10", "GET"), 1);
    cr_assert_eq(idx[0], 1);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "OBJECT", "ENCODING", "k"), 1);
    cr_assert_eq(idx[0], 2);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "object", "idletime", "k"), 1);
    cr_assert_eq(idx[0], 2);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "OBJECT", "HELP"), 0);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "OBJECT", "NOPE", "k"), 0);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "PING"), 0);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "KEYS", "*"), 0);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "SCAN", "0", "MATCH", "x"), 0);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "DBSIZE"), 0);
    /* An odd MSET routes by its complete pairs only: the dispatcher copies
     * each key's value, which "b" lacks. */
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "MSET", "a", "1", "b"), 1);
    cr_assert_eq(idx[0], 1);
    cr_assert_eq(POSITIONS(idx, MAX_ARGS, "MSETNX", "a"), 0);
    /* max bounds the output. */
    cr_assert_eq(POSITIONS(idx, 2, "DEL", "a", "b", "c", "d"), 2);
    cr_assert(idx[0] == 1 && idx[1] == 2);
}

/* ---------------- helpers ---------------- */

Test(command, arg_ll_or_reply)
{
    long long v = 0;
    set_args((const char *const[]){"INCRBY", "k", "-42", "4x", "007", NULL});
    cr_assert_eq(arg_ll_or_reply(&ctx, 2, &v, NULL), 1);
    cr_assert_eq(v, -42);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(arg_ll_or_reply(&ctx, 3, &v, NULL), 0);
    cr_assert_str_eq(reply_text(), "-ERR value is not an integer or out of range\r\n");
    buf_reset(&out);
    cr_assert_eq(arg_ll_or_reply(&ctx, 4, &v, "ERR invalid expire time in 'set' command"), 0);
    cr_assert_str_eq(reply_text(), "-ERR invalid expire time in 'set' command\r\n");
}

Test(command, arg_double_and_long_double_or_reply)
{
    double d = 0;
    long double ld = 0;
    set_args((const char *const[]){"INCRBYFLOAT", "1.5", "abc", "-inf", NULL});
    cr_assert_eq(arg_double_or_reply(&ctx, 1, &d, NULL), 1);
    cr_assert_float_eq(d, 1.5, 1e-12);
    cr_assert_eq(arg_ld_or_reply(&ctx, 1, &ld, NULL), 1);
    cr_assert_float_eq((double)ld, 1.5, 1e-12);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(arg_double_or_reply(&ctx, 2, &d, NULL), 0);
    cr_assert_str_eq(reply_text(), "-ERR value is not a valid float\r\n");
    buf_reset(&out);
    cr_assert_eq(arg_ld_or_reply(&ctx, 2, &ld, NULL), 0);
    cr_assert_str_eq(reply_text(), "-ERR value is not a valid float\r\n");
    buf_reset(&out);
    cr_assert_eq(arg_double_or_reply(&ctx, 3, &d, NULL), 1);
    cr_assert_eq(arg_double_or_reply(&ctx, 2, &d, "ERR min or max is not a float"), 0);
    cr_assert_str_eq(reply_text(), "-ERR min or max is not a float\r\n");
}

Test(command, reply_wrong_arity_lowercases_the_name)
{
    reply_wrong_arity(&out, "GeT", 3);
    cr_assert_str_eq(reply_text(), "-ERR wrong number of arguments for 'get' command\r\n");
    buf_reset(&out);
    reply_wrong_arity(&out, "CONFIG|GET", 10);
    cr_assert_str_eq(reply_text(), "-ERR wrong number of arguments for 'config|get' command\r\n");
}

static struct db_entry *insert_string(const char *key, const char *val, int64_t expire_at)
{
    struct db_entry *e = entry_new_string(key_hash(key, strlen(key)), key, strlen(key), val, strlen(val));
    e->expire_at = expire_at;
    e->lru = 0;
    db_insert(db, e);
    return e;
}

Test(command, lookup_read_counts_and_touches)
{
    insert_string("k", "v", 0);
    set_args((const char *const[]){"GET", "k", NULL});
    struct db_entry *e = lookup_read(&ctx, 1);
    cr_assert_not_null(e);
    cr_assert_eq(e->lru, lru_clock_now(NOW) & 0xFFFFFF);
    cr_assert_eq(stats.keyspace_hits, 1);
    cr_assert_eq(stats.keyspace_misses, 0);

    set_args((const char *const[]){"GET", "missing", NULL});
    cr_assert_null(lookup_read(&ctx, 1));
    cr_assert_eq(stats.keyspace_hits, 1);
    cr_assert_eq(stats.keyspace_misses, 1);

    /* Without precomputed hashes the helper hashes the argument itself. */
    set_args((const char *const[]){"GET", "k", NULL});
    ctx.hashes = NULL;
    cr_assert_eq(lookup_read(&ctx, 1), e);
}

Test(command, lookup_read_expires_lazily)
{
    insert_string("old", "v", NOW - 1);
    insert_string("fresh", "v", NOW + 1000);
    set_args((const char *const[]){"GET", "old", "fresh", NULL});
    cr_assert_null(lookup_read(&ctx, 1));
    cr_assert_eq(stats.keyspace_misses, 1);
    cr_assert_eq(db_size(db), 1);
    cr_assert_not_null(lookup_read(&ctx, 2));
}

Test(command, lookup_write_does_not_count)
{
    struct db_entry *e = insert_string("k", "v", 0);
    insert_string("gone", "v", NOW);
    set_args((const char *const[]){"APPEND", "k", "gone", NULL});
    cr_assert_eq(lookup_write(&ctx, 1), e);
    cr_assert_eq(e->lru, lru_clock_now(NOW) & 0xFFFFFF);
    cr_assert_null(lookup_write(&ctx, 2));
    cr_assert_eq(stats.keyspace_hits, 0);
    cr_assert_eq(stats.keyspace_misses, 0);
    cr_assert_eq(db_size(db), 1);

    struct db *other = db_create();
    cr_assert_null(lookup_write_db(&ctx, other, 1));
    db_destroy(other);

    key_modified(&ctx, 1);
    key_modified(&ctx, 1);
    cr_assert_eq(stats.dirty, 2);
}

/* ---------------- COMMAND ---------------- */

static const char get_info_resp2[] =
    "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n+@fast\r\n"
    "*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$"
    "5\r\nindex\r\n"
    "$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n"
    "*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n";

Test(command, count)
{
    char expect[32];
    snprintf(expect, sizeof(expect), ":%d\r\n", command_count());
    cr_assert_str_eq(COMMAND2("COUNT"), expect);
    cr_assert_str_eq(COMMAND2("count", "x"), "-ERR wrong number of arguments for 'command|count' command\r\n");
}

Test(command, info_get_resp2)
{
    char expect[1024];
    snprintf(expect, sizeof(expect), "*1\r\n%s", get_info_resp2);
    cr_assert_str_eq(COMMAND2("INFO", "get"), expect);
    /* Unknown names are nil, in place. */
    snprintf(expect, sizeof(expect), "*3\r\n$-1\r\n%s$-1\r\n", get_info_resp2);
    cr_assert_str_eq(COMMAND2("info", "nosuch", "GET", "get|x"), expect);
}

Test(command, info_get_resp3)
{
    cr_assert_str_eq(
        COMMAND3("INFO", "get"),
        "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n"
        "+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n"
        "$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
        "$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n");
    cr_assert_str_eq(COMMAND3("INFO", "nosuch"), "*1\r\n_\r\n");
}

Test(command, info_mset_and_subcommands)
{
    /* MSET: step 2 and tips. */
    cr_assert_str_eq(
        COMMAND2("INFO", "mset"),
        "*1\r\n*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n*3\r\n+@write\r\n"
        "+@string\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n$29\r\nresponse_policy:all_succeeded\r\n"
        "*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\n"
        "index\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n"
        "$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n$5\r\nlimit\r\n:0\r\n*0\r\n");
    /* A subcommand by its full name, in any case. */
    cr_assert_str_eq(
        COMMAND2("INFO", "CONFIG|GET"),
        "*1\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n"
        ":0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0\r\n");
    /* A container: no flags, @slow, its subcommands nested. */
    const char *object = COMMAND2("INFO", "object");
    const char *head = "*1\r\n*10\r\n$6\r\nobject\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*5\r\n";
    cr_assert_eq(strncmp(object, head, strlen(head)), 0, "%s", object);
    cr_assert_not_null(strstr(object, "$15\r\nobject|encoding\r\n:3\r\n*1\r\n+readonly\r\n:2\r\n:2\r\n:1\r\n"));
}

Test(command, command_without_arguments_lists_every_command)
{
    char *all = strdup(run_command(2, (const char *const[]){"COMMAND", NULL}));
    char head[32];
    snprintf(head, sizeof(head), "*%d\r\n*10\r\n", command_count());
    cr_assert_eq(strncmp(all, head, strlen(head)), 0);
    cr_assert_not_null(strstr(all, get_info_resp2));
    /* COMMAND INFO without names is the same list. */
    cr_assert_str_eq(COMMAND2("INFO"), all);
    free(all);
}

Test(command, docs)
{
    cr_assert_str_eq(COMMAND2("DOCS", "get"),
                     "*2\r\n$3\r\nget\r\n*8\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n"
                     "1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
    cr_assert_str_eq(COMMAND3("DOCS", "nosuch", "Get"),
                     "%1\r\n$3\r\nget\r\n%4\r\n$7\r\nsummary\r\n$22\r\nGet the value of a key\r\n$5\r\nsince\r\n$5\r\n"
                     "1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$4\r\nO(1)\r\n");
    cr_assert_str_eq(COMMAND3("DOCS", "nosuch"), "%0\r\n");
    /* Deprecation, as Redis reports it for SUBSTR. */
    cr_assert_str_eq(
        COMMAND3("DOCS", "substr"),
        "%1\r\n$6\r\nsubstr\r\n%7\r\n$7\r\nsummary\r\n$45\r\nGet a substring of the string stored at a key\r\n"
        "$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nstring\r\n$10\r\ncomplexity\r\n$231\r\nO(N) where N "
        "is the length of the returned string. The complexity is ultimately determined by the returned "
        "length, but because creating a substring from an existing string is very cheap, it can be "
        "considered O(1) for small strings.\r\n$9\r\ndoc_flags\r\n~1\r\n+deprecated\r\n$16\r\n"
        "deprecated_since\r\n$5\r\n2.0.0\r\n$11\r\nreplaced_by\r\n$10\r\n`GETRANGE`\r\n");
    /* A container's docs nest its subcommands'. */
    const char *config = COMMAND3("DOCS", "config");
    cr_assert_not_null(strstr(config, "$11\r\nsubcommands\r\n%5\r\n"), "%s",
                       config); /* get help resetstat rewrite set */
    cr_assert_not_null(strstr(config, "$10\r\nconfig|get\r\n%4\r\n$7\r\nsummary\r\n"), "%s", config);
}

Test(command, list_and_filters)
{
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "PATTERN", "getr*"), "*1\r\n$8\r\ngetrange\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "filterby", "pattern", "OBJECT|*"),
                     "*5\r\n$15\r\nobject|encoding\r\n$11\r\nobject|freq\r\n$11\r\nobject|help\r\n$15\r\n"
                     "object|idletime\r\n$15\r\nobject|refcount\r\n");
    /* Categories by bare name, any case; subcommands count on their own. */
    /* A new @dangerous command adds its name here (any order: the table's
     * order changes as families are added). */
    static const char *const dangerous[] = {
        "keys",           "flushdb",         "flushall",       "swapdb",     "client|kill",
        "client|list",    "client|no-evict", "client|unblock", "info",       "acl|deluser",
        "acl|dryrun",     "acl|getuser",     "acl|list",       "acl|load",   "acl|log",
        "acl|save",       "acl|setuser",     "acl|users",      "config|get", "config|resetstat",
        "config|rewrite", "config|set",      "shutdown",       "debug",      "lastsave",
        "save",           "bgsave",          "bgrewriteaof",   "pfdebug",    "pfselftest",
        "sort",           "sort_ro",         "restore",
    };
    size_t ndangerous = sizeof dangerous / sizeof dangerous[0];
    const char *listed = COMMAND2("LIST", "FILTERBY", "ACLCAT", "Dangerous");
    char count_line[32];
    snprintf(count_line, sizeof count_line, "*%zu\r\n", ndangerous);
    cr_assert(strncmp(listed, count_line, strlen(count_line)) == 0, "%s", listed);
    for (size_t i = 0; i < ndangerous; i++) {
        char item[64];
        snprintf(item, sizeof item, "\r\n$%zu\r\n%s\r\n", strlen(dangerous[i]), dangerous[i]);
        cr_assert_not_null(strstr(listed, item), "%s missing from %s", dangerous[i], listed);
    }
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "ACLCAT", "@string"), "*0\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "ACLCAT", "nosuch"), "*0\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "MODULE", "x"), "*0\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "OTHER", "x"), "-ERR syntax error\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "FILTERBY", "PATTERN"), "-ERR syntax error\r\n");
    cr_assert_str_eq(COMMAND2("LIST", "x"), "-ERR syntax error\r\n");

    /* Without a filter: every command, each followed by its subcommands. */
    const char *all = COMMAND2("LIST");
    int total = command_count();
    for (const struct command *cmd = command_table; cmd->name; cmd++)
        for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++)
            total++;
    char head[96];
    snprintf(head, sizeof(head), "*%d\r\n$%zu\r\n%s\r\n", total, strlen(command_table[0].name), command_table[0].name);
    cr_assert_eq(strncmp(all, head, strlen(head)), 0, "%s", all);
    cr_assert_not_null(strstr(all, "$6\r\nclient\r\n$14\r\nclient|caching\r\n$14\r\nclient|getname\r\n"));
}

Test(command, getkeys)
{
    cr_assert_str_eq(COMMAND2("GETKEYS", "MSET", "a", "1", "b", "2"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    /* Redis names the trailing key of an odd MSET too (routing does not). */
    cr_assert_str_eq(COMMAND2("GETKEYS", "MSET", "a", "1", "b"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "set", "k", "v", "EX", "10"), "*1\r\n$1\r\nk\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "rename", "a", "b"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "OBJECT", "encoding", "k"), "*1\r\n$1\r\nk\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "nosuch", "x"), "-ERR Invalid command specified\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "OBJECT", "nope", "k"), "-ERR Invalid command specified\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "PING", "x"), "-ERR The command has no key arguments\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "OBJECT", "HELP"), "-ERR The command has no key arguments\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "GET", "a", "b"),
                     "-ERR Invalid number of arguments specified for command\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYS", "GET"), "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

Test(command, getkeysandflags)
{
    cr_assert_str_eq(COMMAND2("GETKEYSANDFLAGS", "SET", "k", "v"), "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n+OW\r\n+update\r\n");
    cr_assert_str_eq(COMMAND2("GETKEYSANDFLAGS", "set", "k", "v", "NX", "get"),
                     "*1\r\n*2\r\n$1\r\nk\r\n*3\r\n+RW\r\n+access\r\n+update\r\n");
    cr_assert_str_eq(
        COMMAND3("GETKEYSANDFLAGS", "RENAME", "a", "b"),
        "*2\r\n*2\r\n$1\r\na\r\n~3\r\n+RW\r\n+access\r\n+delete\r\n*2\r\n$1\r\nb\r\n~2\r\n+OW\r\n+update\r\n");
}

/* Every keyed command and subcommand has docs and a key spec covering each of
 * its keys: GETKEYSANDFLAGS finds flags for all of them. */
Test(command, every_key_has_flags_and_every_command_has_docs)
{
    for (const struct command *cmd = command_table; cmd->name; cmd++) {
        const struct command *subs[32];
        int nsubs = 0;
        if (cmd->subcommands)
            for (const struct command *sub = cmd->subcommands; sub->name; sub++)
                subs[nsubs++] = sub;
        else
            subs[nsubs++] = cmd;
        for (int s = 0; s < nsubs; s++) {
            const struct command *c = subs[s];
            char full[64];
            snprintf(full, sizeof(full), "%s%s%s", cmd->subcommands ? cmd->name : "", cmd->subcommands ? "|" : "",
                     c->name);
            const char *docs = COMMAND2("DOCS", full);
            cr_assert_not_null(strstr(docs, "complexity"), "%s: %s", full, docs);
            if (c->first_key <= 0)
                continue;
            /* The shortest argv the arity allows (plus one argument when the
             * last key counts from the end, so every key form is met). */
            const char *argv[MAX_ARGS] = {"COMMAND", "GETKEYSANDFLAGS"};
            int argc = 2, n = c->arity > 0 ? c->arity : -c->arity + (c->last_key < 0);
            if (cmd->subcommands)
                argv[argc++] = cmd->name;
            argv[argc++] = c->name;
            while (argc - 2 < n)
                argv[argc++] = "x";
            argv[argc] = NULL;
            const char *reply = run_command(2, argv);
            cr_assert_eq(reply[0], '*', "%s: %s", full, reply);
            cr_assert_null(strstr(reply, "*0\r\n"), "%s: a key without flags: %s", full, reply);
        }
    }
}

Test(command, help_and_errors)
{
    const char *help = COMMAND2("HELP");
    cr_assert_eq(strncmp(help, "*20\r\n+COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n", 72), 0,
                 "%s", help);
    cr_assert_str_eq(COMMAND2("HELP", "x"), "-ERR wrong number of arguments for 'command|help' command\r\n");
    cr_assert_str_eq(COMMAND2("nope"), "-ERR unknown subcommand 'nope'. Try COMMAND HELP.\r\n");
    cr_assert_str_eq(COMMAND2("GetKeys"), "-ERR wrong number of arguments for 'command|getkeys' command\r\n");
}

/* ---------------- the change hook (struct cmd_engine_ops) ---------------- */

static struct {
    int key_changed, flushed, effects, command_effects;
    int last_argi, flush_dbid, flush_other;
} seen;

static void fake_key_changed(struct cmd_ctx *c, int argi)
{
    seen.key_changed++;
    seen.last_argi = argi;
}

static void fake_flushed(struct cmd_ctx *c, int dbid, int other)
{
    seen.flushed++;
    seen.flush_dbid = dbid;
    seen.flush_other = other;
}

static void fake_effect(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens)
{
    seen.effects++;
}

static void fake_command_effect(struct cmd_ctx *c)
{
    seen.command_effects++;
}

Test(command, reports_reach_the_installed_engine_ops)
{
    static const struct cmd_engine_ops ops = {
        .key_changed = fake_key_changed,
        .keys_flushed = fake_flushed,
        .effect = fake_effect,
        .command_effect = fake_command_effect,
    };
    memset(&seen, 0, sizeof(seen));
    set_args((const char *const[]){"SET", "k", "v", NULL});

    /* nothing installed: the reports only count */
    key_modified(&ctx, 1);
    keys_flushed(&ctx, 0, -1);
    cr_assert_eq(stats.dirty, 1);
    cr_assert_eq(ctx.modified, 1ULL << 1);

    command_engine_install(&ops);
    key_modified(&ctx, 1);
    cr_assert_eq(seen.key_changed, 1);
    cr_assert_eq(seen.last_argi, 1);
    cr_assert_eq(stats.dirty, 2, "dirty is counted before the engine hears of it");
    keys_flushed(&ctx, 3, 5);
    cr_assert_eq(seen.flushed, 1);
    cr_assert_eq(seen.flush_dbid, 3);
    cr_assert_eq(seen.flush_other, 5);

    /* effects reach the engine only for a run that is recorded (c->aof) */
    const char *argv[] = {"DEL", "k"};
    const size_t lens[] = {3, 1};
    effect_log(&ctx, 2, argv, lens);
    effect_log_command(&ctx, 0);
    cr_assert_eq(seen.effects, 0);
    cr_assert_eq(seen.command_effects, 0);
    cr_assert(ctx.effect_logged, "an effect was reported, recorded or not");

    ctx.aof = (struct aof_shard *)&seen; /* opaque to core/commands: only tested for NULL */
    ctx.effect_logged = 0;
    effect_log_command(&ctx, stats.dirty);
    cr_assert_eq(seen.command_effects, 0, "nothing changed: no record");
    effect_log_command(&ctx, 0);
    cr_assert_eq(seen.command_effects, 1);
    effect_log(&ctx, 2, argv, lens);
    cr_assert_eq(seen.effects, 1);
    effect_log_command(&ctx, 0);
    cr_assert_eq(seen.command_effects, 1, "the handler logged its own effect: the argv is not recorded");
    ctx.aof = NULL;

    command_engine_install(NULL);
    key_modified(&ctx, 1);
    cr_assert_eq(seen.key_changed, 1);
}
