/*
 * test_acl.c - the ACL rule parser and checks without a server: every rule
 * kind, Redis's descriptions (ACL LIST), command/category/subcommand bits,
 * read/write key patterns, glob matching, error texts, and random rule
 * strings (an error or a valid user, never a crash).
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "security/acl.h"
#include "core/commands/command.h"
#include "core/base/config.h"
#include "shards/client.h"

static struct acl_user *user_with(const char *rules)
{
    struct acl_user *u = acl_user_new_scratch("u");
    char copy[1024];
    snprintf(copy, sizeof(copy), "%s", rules);
    char err[300];
    for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
        cr_assert_eq(acl_user_apply_rule(u, w, strlen(w), err, sizeof(err)), 0, "rule %s: %s", w, err);
    return u;
}

static void expect_describe(const char *rules, const char *want)
{
    struct acl_user *u = user_with(rules);
    struct buf out = {0};
    acl_user_describe(u, &out);
    buf_append(&out, "", 1);
    cr_assert_str_eq(out.data, want, "rules: %s", rules);
    buf_free(&out);
    acl_user_free_scratch(u);
}

static const struct command *lookup(const char *name)
{
    const struct command *c = command_lookup(name, strlen(name));
    cr_assert(c != NULL, "%s", name);
    return c;
}

Test(acl, describe_like_redis)
{
    expect_describe("", "u off resetchannels -@all");
    expect_describe("on >pw ~k* +get +@string -set &ch*",
                    "u on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* resetchannels &ch* "
                    "-@all +@string -set");
    expect_describe("on nopass %R~r* %W~w* +@all", "u on nopass %R~r* %W~w* resetchannels +@all");
    expect_describe("on nopass allkeys allchannels allcommands", "u on nopass ~* &* +@all");
    expect_describe("on nopass ~a* %RW~a* +get +get -get", "u on nopass ~a* resetchannels -@all");
    expect_describe("on >a >b <a", "u on #3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d "
                                   "resetchannels -@all");
    expect_describe("on nopass ~x +@all reset", "u off sanitize-payload resetchannels -@all");
    expect_describe("skip-sanitize-payload", "u off skip-sanitize-payload resetchannels -@all");
    expect_describe("skip-sanitize-payload sanitize-payload", "u off sanitize-payload resetchannels -@all");
}

/* Command rules are printed from the permissions, not from the rules given,
 * as Redis 7.0 does: every expected string below is what redis-server
 * 7.0.15 prints for the same rules (ACL LIST, after "user u off"). Redis
 * prints several single-command rules in its command dict's hash order,
 * which changes with each process, so each case has at most one of them or
 * only categories. */
Test(acl, describe_commands_from_permissions)
{
    static const char *const cases[][2] = {
        {"+@set +@hash -@geo", "-@all +@set +@hash"},
        {"+get +@string -set", "-@all +@string -set"},
        {"+@all -get", "+@all -get"},
        {"+@all -@set", "+@all -@set"},
        {"+@read +@write", "-@all +@write +@read"},
        {"+client|list +client", "-@all +client"},
        {"+client -client|kill", "-@all +client -client|kill"},
        {"+@all -config|set", "+@all -config|set"},
        {"+@hash -hset +hset", "-@all +@hash"},
        {"+@hash -hget +hget", "-@all +@hash"},
        {"+@hash -@hash", "-@all"},
        {"+@admin", "-@all +@admin"},
        {"+@fast", "-@all +@fast"},
        {"+@set -sadd -@set +sadd", "-@all +sadd"},
        {"+acl", "-@all +acl"},
        {"-@all +@all -@all +get", "-@all +get"},
        {"+@all -@all", "-@all"},
        {"+@all -@read +get", "+@all -@read +get"},
        {"+@all +get", "+@all"},
        {"-@all -get", "-@all"},
        {"+@sortedset +@set", "-@all +@sortedset +@set"},
        {"+@transaction", "-@all +@transaction"},
        {"+@transaction -exec", "-@all +@transaction -exec"},
        {"+@connection", "-@all +@connection"},
        {"+@blocking", "-@all +@blocking"},
        {"+@all -@dangerous", "+@all -@dangerous"},
        {"+@all -@admin +config|get", "+@all -@admin +config|get"},
        {"+@all -@keyspace -@string", "+@all -@keyspace -@string"},
        {"+@all -client|kill -client", "+@all -client"},
        {"+@all -client +client|list", "+@all -client +client|list"},
        {"allcommands -@set", "+@all -@set"},
        {"nocommands +@set -sadd", "-@all +@set -sadd"},
        {"+@all -@all +@read", "-@all +@read"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char rules[256], want[512];
        snprintf(rules, sizeof(rules), "%s", cases[i][0]);
        snprintf(want, sizeof(want), "u off resetchannels %s", cases[i][1]);
        expect_describe(rules, want);
    }
}

Test(acl, commands_categories_subcommands)
{
    struct acl_user *u = user_with("on nopass allkeys +@string +config|get -append");
    cr_assert(acl_user_can_run(u, lookup("get"), NULL));
    cr_assert(!acl_user_can_run(u, lookup("append"), NULL));
    cr_assert(!acl_user_can_run(u, lookup("lpush"), NULL));
    const struct command *config = lookup("config");
    cr_assert(acl_user_can_run(u, config, command_lookup_sub(config, "get", 3)));
    cr_assert(!acl_user_can_run(u, config, command_lookup_sub(config, "set", 3)));
    acl_user_free_scratch(u);
    u = user_with("+config");
    cr_assert(acl_user_can_run(u, config, command_lookup_sub(config, "set", 3)));
    acl_user_free_scratch(u);
}

Test(acl, key_patterns)
{
    struct acl_user *u = user_with("%R~r* %W~w* ~b?th");
    cr_assert(acl_user_key_allowed(u, "r1", 2, 1, 0));
    cr_assert(!acl_user_key_allowed(u, "r1", 2, 0, 1));
    cr_assert(acl_user_key_allowed(u, "w1", 2, 0, 1));
    cr_assert(!acl_user_key_allowed(u, "w1", 2, 1, 1));
    cr_assert(acl_user_key_allowed(u, "both", 4, 1, 1));
    cr_assert(!acl_user_key_allowed(u, "other", 5, 1, 0));
    /* a key touched without access or update (neither flag) needs any pattern match */
    cr_assert(acl_user_key_allowed(u, "r9", 2, 0, 0));
    acl_user_free_scratch(u);
    cr_assert(acl_glob_match("a[bc]*", 6, "acx", 3, 0));
    cr_assert(!acl_glob_match("a[bc]*", 6, "adx", 3, 0));
}

Test(acl, rule_errors)
{
    struct acl_user *u = acl_user_new_scratch("e");
    char err[300];
    const char *bad[] = {"badrule", "+nosuchcmd", "-@nosuchcat", "#abc", "%X~k", "%R", "(~x)", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
        cr_assert_eq(acl_user_apply_rule(u, bad[i], strlen(bad[i]), err, sizeof(err)), -1, "%s accepted", bad[i]);
    cr_assert_eq(acl_user_apply_rule(u, "<notset", 7, err, sizeof(err)), -1);
    cr_assert_str_eq(err, "Password not found");
    cr_assert_eq(acl_user_apply_rule(u, "allkeys", 7, err, sizeof(err)), 0);
    cr_assert_eq(acl_user_apply_rule(u, "~x*", 3, err, sizeof(err)), -1);
    cr_assert(strstr(err, "'allkeys' flag") != NULL, "%s", err);
    acl_user_free_scratch(u);
}

Test(acl, random_rules_never_crash)
{
    static const char *const pieces[] = {
        "on", "off", ">",     "<",      "#",         "!",          "~",           "%R~", "%W~", "%RW~", "&",
        "+",  "-",   "@",     "all",    "get",       "config|get", "string",      "*",   "?",   "[",    "]",
        "\\", "|",   "reset", "nopass", "resetkeys", "allkeys",    "allchannels", "x",   "0"};
    srand(11);
    struct acl_user *u = acl_user_new_scratch("f");
    char err[300];
    for (int i = 0; i < 100000; i++) {
        char rule[64] = "";
        int n = rand() % 4 + 1;
        for (int k = 0; k < n; k++)
            strncat(rule, pieces[rand() % (sizeof(pieces) / sizeof(*pieces))], sizeof(rule) - strlen(rule) - 1);
        int rc = acl_user_apply_rule(u, rule, strlen(rule), err, sizeof(err));
        cr_assert(rc == 0 || rc == -1);
        if (i % 1000 == 0) {
            struct buf out = {0};
            acl_user_describe(u, &out);
            buf_free(&out);
            acl_user_key_allowed(u, "key", 3, 1, 1);
        }
    }
    acl_user_free_scratch(u);
}

/* The printed command rules, applied to a fresh user, give the same
 * permissions (so ACL SAVE then ACL LOAD keeps them): checked on random
 * sequences of category, command and subcommand rules. */
Test(acl, described_command_rules_rebuild_the_same_permissions)
{
    static const char *const rules[] = {
        "+@all",       "-@all",       "+@read",     "-@read",        "+@write",     "-@write", "+@admin",
        "-@admin",     "+@string",    "-@string",   "+@set",         "-@set",       "+@fast",  "-@fast",
        "+@slow",      "-@dangerous", "+@keyspace", "+get",          "-get",        "+config", "-config",
        "+config|get", "-config|set", "+client",    "-client|kill",  "+acl|whoami", "-acl",    "+@connection",
        "-@blocking",  "+lpush",      "-sadd",      "+@transaction", "-exec"};
    srand(7);
    for (int round = 0; round < 300; round++) {
        struct acl_user *u = acl_user_new_scratch("u");
        char err[300];
        int n = rand() % 8 + 1;
        for (int k = 0; k < n; k++) {
            const char *r = rules[rand() % (sizeof(rules) / sizeof(*rules))];
            cr_assert_eq(acl_user_apply_rule(u, r, strlen(r), err, sizeof(err)), 0, "%s: %s", r, err);
        }
        struct buf first = {0};
        acl_user_describe(u, &first);
        buf_append(&first, "", 1);
        /* "u off resetchannels <command rules>" */
        const char *cmds = strstr(first.data, "resetchannels ") + strlen("resetchannels ");
        struct acl_user *again = acl_user_new_scratch("u");
        char copy[8192];
        snprintf(copy, sizeof(copy), "%s", cmds);
        for (char *save = NULL, *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
            cr_assert_eq(acl_user_apply_rule(again, w, strlen(w), err, sizeof(err)), 0, "%s: %s", w, err);
        struct buf second = {0};
        acl_user_describe(again, &second);
        buf_append(&second, "", 1);
        cr_assert_str_eq(second.data, first.data);
        static const char *const probes[] = {"get", "set", "config", "client", "acl", "lpush", "sadd", "exec", "del"};
        for (size_t p = 0; p < sizeof(probes) / sizeof(*probes); p++) {
            const struct command *c = lookup(probes[p]);
            cr_assert_eq(acl_user_can_run(u, c, NULL), acl_user_can_run(again, c, NULL), "%s after %s", probes[p],
                         first.data);
            for (const struct command *sub = c->subcommands; sub && sub->name; sub++)
                cr_assert_eq(acl_user_can_run(u, c, sub), acl_user_can_run(again, c, sub), "%s|%s after %s", probes[p],
                             sub->name, first.data);
        }
        buf_free(&first);
        buf_free(&second);
        acl_user_free_scratch(u);
        acl_user_free_scratch(again);
    }
}

/* ---- reclaiming replaced tables (epoch-based) ---- */

struct idle_reader {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int step; /* 0 registered nothing yet; 1 registered; 2 asked to pass; 3 passed; 4 asked to exit */
};

static void reader_wait_for(struct idle_reader *r, int step)
{
    while (r->step < step)
        pthread_cond_wait(&r->cond, &r->lock);
}

static void reader_set(struct idle_reader *r, int step)
{
    r->step = step;
    pthread_cond_broadcast(&r->cond);
}

/* A shard thread that registers, then sleeps in its loop until told to go
 * round once (acl_thread_checkpoint), then sleeps again. */
static void *idle_reader_main(void *arg)
{
    struct idle_reader *r = arg;
    acl_thread_checkpoint(NULL);
    pthread_mutex_lock(&r->lock);
    reader_set(r, 1);
    reader_wait_for(r, 2);
    pthread_mutex_unlock(&r->lock);
    acl_thread_checkpoint(NULL);
    pthread_mutex_lock(&r->lock);
    reader_set(r, 3);
    reader_wait_for(r, 4);
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

Test(acl, replaced_tables_freed_once_every_reader_passed)
{
    char err[256];
    cr_assert_eq(acl_init(config_defaults(), err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(acl_retired_count(), 0, "nothing is held without readers");
    acl_thread_checkpoint(NULL); /* this thread is a reader too */
    struct idle_reader r = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, idle_reader_main, &r), 0);
    pthread_mutex_lock(&r.lock);
    reader_wait_for(&r, 1);
    pthread_mutex_unlock(&r.lock);

    /* every change retires the table and the replaced default user; an idle
     * reader holds them all back */
    for (int i = 0; i < 100; i++) {
        char pass[32];
        snprintf(pass, sizeof(pass), "pw%d", i);
        acl_set_requirepass(pass);
        acl_thread_checkpoint(NULL);
    }
    cr_assert_eq(acl_retired_count(), 200);

    /* once it went round its loop, the next change frees all but what the
     * change itself replaced */
    pthread_mutex_lock(&r.lock);
    reader_set(&r, 2);
    reader_wait_for(&r, 3);
    pthread_mutex_unlock(&r.lock);
    acl_set_requirepass("last");
    cr_assert_eq(acl_retired_count(), 2);
    /* this thread passing it is not enough: the other reader has not */
    acl_thread_checkpoint(NULL);
    cr_assert_eq(acl_retired_count(), 2);
    acl_set_requirepass("");
    cr_assert_eq(acl_retired_count(), 4, "the other reader has not seen the last two tables");

    pthread_mutex_lock(&r.lock);
    reader_set(&r, 4);
    pthread_mutex_unlock(&r.lock);
    pthread_join(th, NULL);
    acl_shutdown();
}

/* A client's user is re-resolved at the checkpoint, so that it never points
 * into a table that may be freed. */
Test(acl, checkpoint_moves_clients_to_the_current_table)
{
    char err[256];
    cr_assert_eq(acl_init(config_defaults(), err, sizeof(err)), 0, "%s", err);
    acl_thread_checkpoint(NULL);
    struct client c;
    memset(&c, 0, sizeof(c));
    acl_client_init(&c);
    cr_assert(!acl_client_needs_auth(&c));
    const struct acl_user *before = c.user;
    acl_set_requirepass("secret"); /* replaces the default user */
    acl_thread_checkpoint(&c);
    cr_assert(c.user != NULL && c.user != before, "the client still points at the replaced user");
    cr_assert_str_eq(acl_client_user(&c), "default");
    acl_set_requirepass("");
    acl_thread_checkpoint(&c);
    cr_assert_eq(acl_retired_count(), 0, "a single reader that passed everything holds nothing");
    acl_shutdown();
}
