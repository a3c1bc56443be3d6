/*
 * test_tracking.c - client-side caching (CLIENT TRACKING) against a real
 * server: RESP3 invalidation pushes for keys read on every shard and changed
 * from another connection (so, with several threads, other threads), REDIRECT
 * to a RESP2 client subscribed to __redis__:invalidate and a broken
 * redirect, BCAST with prefixes, OPTIN/OPTOUT with CLIENT CACHING, NOLOOP,
 * FLUSHALL's null, tracking-table-max-keys eviction, expiry, the
 * introspection (TRACKINGINFO, GETREDIR, CLIENT LIST flags, INFO) and the
 * clean-up at disconnect and RESET. Redis 7.0's error texts. Every test also
 * passes against redis-server 7.0.
 *
 * "No invalidation" is checked without waiting: the keys involved share a
 * hash tag (one shard), so a later change that must be reported is reported
 * after the one that must not, and the first push seen must be the later.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "resp3.h"
#include "server.h"

TestSuite(tracking, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

static void open_resp3(struct raw_session *s)
{
    raw_session_open(s, server_port());
    struct resp3 *v = raw_call(s, "HELLO", "3", NULL);
    cr_assert_eq(v->type, '%', "%s", resp3_describe(v));
    resp3_free(v);
}

static void raw_ok(struct raw_session *s, struct resp3 *v)
{
    (void)s; /* the session the reply came from, for readability at the call */
    cr_assert(resp3_is_text(v, '+', "OK"), "want OK, got %s", resp3_describe(v));
    resp3_free(v);
}

static void raw_err(struct resp3 *v, const char *text)
{
    cr_assert(v->type == '-' && !strcmp(v->str, text), "want -%s, got %s", text, resp3_describe(v));
    resp3_free(v);
}

/* The next push, which must be `>2 invalidate <array>`; returns it (the
 * caller frees). */
static struct resp3 *next_invalidate(struct raw_session *s)
{
    struct resp3 *v = raw_session_read(s);
    cr_assert(v->type == '>' && v->count == 2 && resp3_is_text(v->items[0], '$', "invalidate"),
              "want an invalidate push, got %s", resp3_describe(v));
    return v;
}

/* The next push invalidates exactly this one key. */
static void expect_invalidate_key(struct raw_session *s, const char *key)
{
    struct resp3 *v = next_invalidate(s);
    const struct resp3 *keys = v->items[1];
    cr_assert(keys->type == '*' && keys->count == 1 && resp3_is_text(keys->items[0], '$', key),
              "want invalidate [%s], got %s", key, resp3_describe(v));
    resp3_free(v);
}

static long long info_of(redisContext *c, const char *section, const char *field)
{
    char *info = info_text(c, section);
    char val[64];
    cr_assert(info_field(info, field, val, sizeof(val)), "no %s in INFO %s", field, section);
    free(info);
    return atoll(val);
}

/* Polls INFO until field is want (removals on other shards are detached). */
static void wait_info(redisContext *c, const char *section, const char *field, long long want)
{
    long long deadline = now_ms() + 10000, got;
    while ((got = info_of(c, section, field)) != want && now_ms() < deadline)
        sleep_ms(10);
    cr_assert_eq(got, want, "INFO %s: %lld, want %lld", field, got, want);
}

static long long client_id(redisContext *c)
{
    redisReply *r = cmd(c, "CLIENT ID");
    cr_assert(r->type == REDIS_REPLY_INTEGER);
    long long id = r->integer;
    freeReplyObject(r);
    return id;
}

/* The CLIENT LIST line of client id (copied into line), or 0 when absent. */
static int client_line(redisContext *c, long long id, char *line, size_t size)
{
    redisReply *r = cmd(c, "CLIENT LIST ID %lld", id);
    cr_assert(r->type == REDIS_REPLY_STRING, "%s", describe_reply(r));
    int found = r->len > 0;
    snprintf(line, size, "%s", r->str);
    freeReplyObject(r);
    return found;
}

static void line_field(const char *line, const char *field, char *out, size_t size)
{
    char pat[64];
    snprintf(pat, sizeof(pat), " %s=", field);
    const char *p = strstr(line, pat);
    cr_assert(p, "no %s in %s", field, line);
    p += strlen(pat);
    size_t n = strcspn(p, " \n");
    snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p);
}

Test(tracking, resp3_invalidation_across_shards)
{
    enum { N = 32 };
    struct raw_session t;
    open_resp3(&t);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", NULL));
    redisContext *w = client_connect();
    fill_keys(w, "key:", N);
    char key[32], val[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key:%d", i);
        snprintf(val, sizeof(val), "%d", i);
        struct resp3 *v = raw_call(&t, "GET", key, NULL);
        cr_assert(resp3_is_text(v, '$', val), "%s", resp3_describe(v));
        resp3_free(v);
    }
    expect_int(cmd(w, "EXISTS unread"), 0); /* a key nobody read: no entry */
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), N);
    cr_assert_eq(info_of(w, "stats", "tracking_total_items"), N);
    cr_assert_eq(info_of(w, "clients", "tracking_clients"), 1);
    for (int i = 0; i < N; i++)
        expect_status(cmd(w, "SET key:%d changed", i), "OK");
    /* once each, from whichever shard owns it */
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        struct resp3 *v = next_invalidate(&t);
        cr_assert(v->items[1]->type == '*' && v->items[1]->count == 1, "%s", resp3_describe(v));
        int k = atoi(v->items[1]->items[0]->str + 4);
        cr_assert(k >= 0 && k < N && !seen[k], "%s", resp3_describe(v));
        seen[k] = 1;
        resp3_free(v);
    }
    /* the table forgot them at the change */
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), 0);
    cr_assert_eq(info_of(w, "stats", "tracking_total_items"), 0);
    /* a second change is not reported again (not read since) */
    expect_status(cmd(w, "SET key:{t}a 1"), "OK");
    struct resp3 *v = raw_call(&t, "GET", "key:{t}b", NULL);
    resp3_free(v);
    expect_status(cmd(w, "SET key:0 again"), "OK");
    expect_status(cmd(w, "SET key:{t}b 1"), "OK");
    expect_invalidate_key(&t, "key:{t}b");
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, multi_key_read_over_shards)
{
    /* SUNION over keys that live on different shards runs gathered on the
     * coordinator: every source key is recorded on its own shard */
    enum { N = 8 };
    struct raw_session t;
    open_resp3(&t);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", NULL));
    redisContext *w = client_connect();
    for (int i = 0; i < N; i++)
        expect_int(cmd(w, "SADD set%d m%d", i, i), 1);
    struct resp3 *v = raw_call(&t, "SUNION", "set0", "set1", "set2", "set3", "set4", "set5", "set6", "set7", NULL);
    cr_assert(v->type == '~' && v->count == N, "%s", resp3_describe(v));
    resp3_free(v);
    for (int i = 0; i < N; i++)
        expect_int(cmd(w, "SADD set%d x", i), 1);
    int seen[N] = {0};
    for (int i = 0; i < N; i++) {
        v = next_invalidate(&t);
        int k = atoi(v->items[1]->items[0]->str + 3);
        cr_assert(k >= 0 && k < N && !seen[k], "%s", resp3_describe(v));
        seen[k] = 1;
        resp3_free(v);
    }
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, own_change_after_reply)
{
    struct raw_session t;
    open_resp3(&t);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", NULL));
    resp3_free(raw_call(&t, "HSET", "h", "f", "1", NULL));
    resp3_free(raw_call(&t, "HGET", "h", "f", NULL));
    struct resp3 *v = raw_call(&t, "HDEL", "h", "f", NULL);
    cr_assert(v->type == ':' && v->integer == 1, "the reply comes first: %s", resp3_describe(v));
    resp3_free(v);
    expect_invalidate_key(&t, "h");
    raw_session_close(&t);
}

Test(tracking, redirect_resp2_pubsub)
{
    redisContext *redir = client_connect(), *tr = client_connect(), *w = client_connect();
    long long rid = client_id(redir);
    redisReply *r = cmd(redir, "SUBSCRIBE __redis__:invalidate");
    freeReplyObject(r);
    expect_status(cmd(tr, "CLIENT TRACKING on REDIRECT %lld", rid), "OK");
    expect_int(cmd(tr, "CLIENT GETREDIR"), rid);
    char line[1024], field[64];
    cr_assert(client_line(w, client_id(tr), line, sizeof(line)));
    line_field(line, "flags", field, sizeof(field));
    cr_assert_str_eq(field, "t", "%s", line);
    line_field(line, "redir", field, sizeof(field));
    cr_assert_eq(atoll(field), rid, "%s", line);
    for (int i = 0; i < 8; i++) {
        expect_status(cmd(w, "SET rk%d v", i), "OK");
        expect_bulk(cmd(tr, "GET rk%d", i), "v", 1);
    }
    for (int i = 0; i < 8; i++)
        expect_int(cmd(w, "DEL rk%d", i), 1);
    int seen[8] = {0};
    for (int i = 0; i < 8; i++) {
        r = next_reply(redir);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3, "%s", describe_reply(r));
        cr_assert_str_eq(r->element[0]->str, "message");
        cr_assert_str_eq(r->element[1]->str, "__redis__:invalidate");
        cr_assert(r->element[2]->type == REDIS_REPLY_ARRAY && r->element[2]->elements == 1, "%s", describe_reply(r));
        int k = atoi(r->element[2]->element[0]->str + 2);
        cr_assert(k >= 0 && k < 8 && !seen[k], "%s", describe_reply(r));
        seen[k] = 1;
        freeReplyObject(r);
    }
    /* REDIRECT needs a client that exists; only one redirect */
    expect_err(cmd(tr, "CLIENT TRACKING on REDIRECT 999999"), "ERR The client ID you want redirect to does not exist");
    expect_err(cmd(tr, "CLIENT TRACKING on REDIRECT %lld REDIRECT %lld", rid, rid),
               "ERR A client can only redirect to a single other client");
    expect_err(cmd(tr, "CLIENT TRACKING on REDIRECT abc"), "ERR value is not an integer or out of range");
    expect_status(cmd(tr, "CLIENT TRACKING off"), "OK");
    expect_int(cmd(tr, "CLIENT GETREDIR"), -1);
    redisFree(redir);
    redisFree(tr);
    redisFree(w);
}

Test(tracking, redirect_broken)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *redir = client_connect(), *w = client_connect();
    long long rid = client_id(redir);
    char idbuf[32];
    snprintf(idbuf, sizeof(idbuf), "%lld", rid);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "REDIRECT", idbuf, NULL));
    resp3_free(raw_call(&t, "GET", "bk", NULL));
    redisFree(redir);
    char line[1024];
    long long deadline = now_ms() + 10000;
    while (client_line(w, rid, line, sizeof(line)) && now_ms() < deadline)
        sleep_ms(10);
    expect_status(cmd(w, "SET bk 1"), "OK");
    struct resp3 *v = raw_session_read(&t);
    cr_assert(v->type == '>' && v->count == 2 && resp3_is_text(v->items[0], '$', "tracking-redir-broken") &&
                  v->items[1]->type == ':' && v->items[1]->integer == rid,
              "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&t, "CLIENT", "TRACKINGINFO", NULL);
    const struct resp3 *flags = resp3_map_get(v, "flags");
    cr_assert(flags && flags->count == 2 && resp3_is_text(flags->items[0], '$', "on") &&
                  resp3_is_text(flags->items[1], '$', "broken_redirect"),
              "%s", resp3_describe(v));
    cr_assert(resp3_map_get(v, "redirect")->integer == rid);
    resp3_free(v);
    v = raw_call(&t, "CLIENT", "INFO", NULL);
    cr_assert(v->str && strstr(v->str, " flags=tR "), "%s", resp3_describe(v));
    resp3_free(v);
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, bcast_prefixes)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:", "PREFIX", "b:", NULL));
    /* every shard has them before the reply */
    cr_assert_eq(info_of(w, "stats", "tracking_total_prefixes"), 2);
    struct resp3 *v = raw_call(&t, "CLIENT", "TRACKINGINFO", NULL);
    const struct resp3 *p = resp3_map_get(v, "prefixes");
    cr_assert(p && p->count == 2 && resp3_is_text(p->items[0], '$', "a:") && resp3_is_text(p->items[1], '$', "b:"),
              "%s", resp3_describe(v));
    const struct resp3 *flags = resp3_map_get(v, "flags");
    cr_assert(flags->count == 2 && resp3_is_text(flags->items[1], '$', "bcast"), "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&t, "CLIENT", "INFO", NULL);
    cr_assert(v->str && strstr(v->str, " flags=tB "), "%s", resp3_describe(v));
    resp3_free(v);
    /* nothing read: every change under a prefix is reported */
    expect_status(cmd(w, "MSET a:1 x b:2 x c:3 x a:4 x"), "OK");
    int got[5] = {0}, total = 0;
    while (total < 3) {
        v = next_invalidate(&t);
        const struct resp3 *keys = v->items[1];
        for (size_t i = 0; i < keys->count; i++) {
            const char *k = keys->items[i]->str;
            cr_assert(k[0] == 'a' || k[0] == 'b', "%s", resp3_describe(v));
            int n = k[2] - '0';
            cr_assert(!got[n], "%s", resp3_describe(v));
            got[n] = 1;
            total++;
        }
        resp3_free(v);
    }
    cr_assert(got[1] && got[2] && got[4]);
    /* c:{t}1 matches no prefix; a:{t}2 is on the same shard, after it */
    expect_status(cmd(w, "SET c:{t}1 x"), "OK");
    expect_status(cmd(w, "SET a:{t}2 x"), "OK");
    expect_invalidate_key(&t, "a:{t}2");
    /* errors as Redis 7.0 */
    raw_err(raw_call(&t, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a:x", NULL),
            "ERR Prefix 'a:x' overlaps with an existing prefix 'a:'. Prefixes for a single client must not overlap.");
    raw_err(raw_call(&t, "CLIENT", "TRACKING", "on", NULL),
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then "
            "re-enabling it with a different mode.");
    /* more prefixes */
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "d:", NULL));
    cr_assert_eq(info_of(w, "stats", "tracking_total_prefixes"), 3);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "off", NULL));
    wait_info(w, "stats", "tracking_total_prefixes", 0);
    raw_session_close(&t);

    redisContext *c = client_connect();
    expect_err(cmd(c, "CLIENT TRACKING on PREFIX a"), "ERR PREFIX option requires BCAST mode to be enabled");
    expect_err(cmd(c, "CLIENT TRACKING on BCAST OPTIN"), "ERR OPTIN and OPTOUT are not compatible with BCAST");
    expect_err(cmd(c, "CLIENT TRACKING on BCAST PREFIX ab PREFIX a"),
               "ERR Prefix 'ab' overlaps with another provided prefix 'a'. Prefixes for a single client must not "
               "overlap.");
    expect_err(cmd(c, "CLIENT TRACKING on OPTIN OPTOUT"), "ERR You can't specify both OPTIN mode and OPTOUT mode");
    expect_err(cmd(c, "CLIENT TRACKING maybe"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT TRACKING on FOO"), "ERR syntax error");
    expect_err(cmd(c, "CLIENT TRACKING"), "ERR wrong number of arguments for 'client|tracking' command");
    redisFree(c);
    redisFree(w);
}

Test(tracking, bcast_disconnect_cleans_up)
{
    redisContext *w = client_connect();
    for (int i = 0; i < 5; i++) {
        redisContext *c = client_connect();
        expect_status(cmd(c, "CLIENT TRACKING on BCAST PREFIX p%d: PREFIX q%d:", i, i), "OK");
        redisFree(c);
    }
    wait_info(w, "stats", "tracking_total_prefixes", 0);
    wait_info(w, "clients", "tracking_clients", 0);
    redisFree(w);
}

Test(tracking, optin_optout)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "OPTIN", NULL));
    resp3_free(raw_call(&t, "GET", "x{o}", NULL)); /* not cached */
    raw_ok(&t, raw_call(&t, "CLIENT", "CACHING", "yes", NULL));
    struct resp3 *v = raw_call(&t, "CLIENT", "TRACKINGINFO", NULL);
    const struct resp3 *flags = resp3_map_get(v, "flags");
    cr_assert(flags->count == 3 && resp3_is_text(flags->items[2], '$', "caching-yes"), "%s", resp3_describe(v));
    resp3_free(v);
    raw_ok(&t, raw_call(&t, "CLIENT", "CACHING", "yes", NULL));
    resp3_free(raw_call(&t, "GET", "y{o}", NULL)); /* cached */
    resp3_free(raw_call(&t, "GET", "z{o}", NULL)); /* CACHING lapsed: not cached */
    expect_status(cmd(w, "SET x{o} 1"), "OK");
    expect_status(cmd(w, "SET z{o} 1"), "OK");
    expect_status(cmd(w, "SET y{o} 1"), "OK");
    expect_invalidate_key(&t, "y{o}");
    raw_err(raw_call(&t, "CLIENT", "CACHING", "no", NULL),
            "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.");
    raw_err(raw_call(&t, "CLIENT", "TRACKING", "on", "OPTOUT", NULL),
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
            "re-enabling it with a different mode.");
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "off", NULL));
    raw_err(raw_call(&t, "CLIENT", "CACHING", "yes", NULL),
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode "
            "enabled");

    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "OPTOUT", NULL));
    raw_ok(&t, raw_call(&t, "CLIENT", "CACHING", "no", NULL));
    resp3_free(raw_call(&t, "GET", "x{o}", NULL)); /* not cached */
    resp3_free(raw_call(&t, "GET", "y{o}", NULL)); /* cached */
    expect_status(cmd(w, "SET x{o} 2"), "OK");
    expect_status(cmd(w, "SET y{o} 2"), "OK");
    expect_invalidate_key(&t, "y{o}");
    raw_err(raw_call(&t, "CLIENT", "CACHING", "yes", NULL),
            "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.");
    raw_err(raw_call(&t, "CLIENT", "CACHING", "maybe", NULL), "ERR syntax error");
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, noloop)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "NOLOOP", NULL));
    resp3_free(raw_call(&t, "GET", "k{n}", NULL));
    resp3_free(raw_call(&t, "GET", "j{n}", NULL));
    raw_ok(&t, raw_call(&t, "SET", "k{n}", "mine", NULL)); /* its own change: no push */
    expect_status(cmd(w, "SET j{n} theirs"), "OK");
    expect_invalidate_key(&t, "j{n}");
    raw_session_close(&t);

    /* BCAST + NOLOOP: its own keys are left out of the messages */
    open_resp3(&t);
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP", "PREFIX", "n:", NULL));
    raw_ok(&t, raw_call(&t, "SET", "n:{n}mine", "1", NULL));
    expect_status(cmd(w, "SET n:{n}theirs 1"), "OK");
    expect_invalidate_key(&t, "n:{n}theirs");
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, flushall_null_once_per_client)
{
    enum { N = 4 };
    struct raw_session t[N];
    redisContext *redir = client_connect(), *tr = client_connect(), *w = client_connect();
    long long rid = client_id(redir);
    freeReplyObject(cmd(redir, "SUBSCRIBE __redis__:invalidate"));
    expect_status(cmd(tr, "CLIENT TRACKING on REDIRECT %lld", rid), "OK");
    for (int i = 0; i < N; i++) {
        open_resp3(&t[i]);
        if (i == N - 1)
            raw_ok(&t[i], raw_call(&t[i], "CLIENT", "TRACKING", "on", "BCAST", NULL));
        else
            raw_ok(&t[i], raw_call(&t[i], "CLIENT", "TRACKING", "on", NULL));
        resp3_free(raw_call(&t[i], "GET", "fk", NULL));
    }
    expect_status(cmd(w, "FLUSHALL"), "OK");
    for (int i = 0; i < N; i++) {
        struct resp3 *v = next_invalidate(&t[i]);
        cr_assert(v->items[1]->type == '_', "want a null, got %s", resp3_describe(v));
        resp3_free(v);
    }
    redisReply *r = next_reply(redir);
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[2]->type == REDIS_REPLY_NIL, "%s",
              describe_reply(r));
    freeReplyObject(r);
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), 0);
    /* one null each: the next push is a key again */
    resp3_free(raw_call(&t[0], "GET", "after", NULL));
    expect_status(cmd(w, "SET after 1"), "OK");
    expect_invalidate_key(&t[0], "after");
    /* FLUSHDB too */
    expect_status(cmd(w, "FLUSHDB"), "OK");
    struct resp3 *v = next_invalidate(&t[1]);
    cr_assert(v->items[1]->type == '_', "%s", resp3_describe(v));
    resp3_free(v);
    for (int i = 0; i < N; i++)
        raw_session_close(&t[i]);
    redisFree(redir);
    redisFree(tr);
    redisFree(w);
}

Test(tracking, max_keys_eviction)
{
    enum { N = 20 };
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", NULL));
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "mk%d", i);
        resp3_free(raw_call(&t, "GET", key, NULL));
    }
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), N);
    expect_status(cmd(w, "CONFIG SET tracking-table-max-keys 1"), "OK");
    /* Redis keeps exactly 1; shardis at most 1 (each shard its share) */
    long long deadline = now_ms() + 10000, left;
    while ((left = info_of(w, "stats", "tracking_total_keys")) > 1 && now_ms() < deadline)
        sleep_ms(10);
    cr_assert(left <= 1, "tracking_total_keys %lld", left);
    int seen[N] = {0};
    for (int i = 0; i < N - left; i++) {
        struct resp3 *v = next_invalidate(&t);
        int k = atoi(v->items[1]->items[0]->str + 2);
        cr_assert(k >= 0 && k < N && !seen[k], "%s", resp3_describe(v));
        seen[k] = 1;
        resp3_free(v);
    }
    redisReply *r = cmd(w, "CONFIG GET tracking-table-max-keys");
    cr_assert(r->elements == 2 && !strcmp(r->element[1]->str, "1"), "%s", describe_reply(r));
    freeReplyObject(r);
    expect_status(cmd(w, "CONFIG SET tracking-table-max-keys 0"), "OK"); /* unlimited */
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "mk%d", i);
        resp3_free(raw_call(&t, "GET", key, NULL));
    }
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), N);
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, expiry_invalidates)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", NULL));
    expect_status(cmd(w, "SET ek v PX 50"), "OK");
    resp3_free(raw_call(&t, "GET", "ek", NULL));
    expect_invalidate_key(&t, "ek"); /* the active expiry cycle deletes it */
    raw_session_close(&t);
    redisFree(w);
}

Test(tracking, reset_and_disconnect)
{
    struct raw_session t;
    open_resp3(&t);
    redisContext *w = client_connect();
    raw_ok(&t, raw_call(&t, "CLIENT", "TRACKING", "on", "OPTIN", NULL));
    cr_assert_eq(info_of(w, "clients", "tracking_clients"), 1);
    struct resp3 *v = raw_call(&t, "RESET", NULL);
    cr_assert(resp3_is_text(v, '+', "RESET"), "%s", resp3_describe(v));
    resp3_free(v);
    v = raw_call(&t, "CLIENT", "TRACKINGINFO", NULL); /* RESP2 again after RESET */
    cr_assert(v->type == '*' && v->count == 6, "%s", resp3_describe(v));
    cr_assert(v->items[1]->count == 1 && resp3_is_text(v->items[1]->items[0], '$', "off"), "%s", resp3_describe(v));
    cr_assert(v->items[3]->integer == -1);
    resp3_free(v);
    cr_assert_eq(info_of(w, "clients", "tracking_clients"), 0);
    raw_session_close(&t);

    /* a tracking client that goes away: its pairs lapse when the keys change */
    redisContext *c = client_connect();
    expect_status(cmd(c, "CLIENT TRACKING on"), "OK");
    for (int i = 0; i < 10; i++)
        expect_nil(cmd(c, "GET dk%d", i));
    cr_assert_eq(info_of(w, "stats", "tracking_total_items"), 10);
    redisFree(c);
    wait_info(w, "clients", "tracking_clients", 0);
    for (int i = 0; i < 10; i++)
        expect_status(cmd(w, "SET dk%d v", i), "OK");
    cr_assert_eq(info_of(w, "stats", "tracking_total_keys"), 0);
    cr_assert_eq(info_of(w, "stats", "tracking_total_items"), 0);
    redisFree(w);
}
