/*
 * test_geo.c - the GEO commands against a real server, compared reply for
 * reply with a redis-server 7.0.15 the test starts itself (support/
 * reference.h): a script of every command, option and error (RESP2 and
 * RESP3), 600 seeded random points searched by radius and by box, the
 * STORE forms with destinations spread over the shards, and a restart from
 * the append-only log (GEOADD is logged as the ZADD it did).
 *
 * Without /usr/bin/redis-server the comparisons are skipped; the log test
 * runs against shardis only.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "fs.h"
#include "proc.h"
#include "reference.h"
#include "resp3.h"
#include "server.h"

TestSuite(geo, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

/* Every command, option and error of the GEO family (redis-server 7.0.15 replies the same). */
static const char *const geo_script[] = {
    "geoadd Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania",
    "geoadd Sicily 200 100 x",
    "geoadd Sicily nx xx 1 1 a",
    "geoadd Sicily ch 13.361389 38.115556 Palermo 15 37 Foo",
    "geoadd Sicily xx ch 13.361389 38.115556 Palermo 15.1 37 Foo 1 1 NewOne",
    "geoadd Sicily nx 13.361389 38.115556 Palermo 16 37 Bar",
    "geoadd Sicily 1 2",
    "geoadd Sicily gt 1 2 c",
    "zrange Sicily 0 -1 withscores",
    "geopos Sicily Palermo nope Catania",
    "geopos nokey a",
    "geodist Sicily Palermo Catania",
    "geodist Sicily Palermo Catania km",
    "geodist Sicily Palermo Catania mi",
    "geodist Sicily Palermo Catania ft",
    "geodist Sicily Palermo Catania xx",
    "geodist Sicily Palermo nope",
    "geodist Sicily Palermo Catania km extra",
    "geohash Sicily Palermo Catania nope",
    "georadius Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC",
    "georadius Sicily 15 37 200 km WITHDIST",
    "georadius Sicily 15 37 200 km DESC",
    "georadius Sicily 15 37 200 km count 1",
    "georadius Sicily 15 37 200 km count 1 any",
    "georadius Sicily 15 37 200 km count 2 desc withdist",
    "georadiusbymember Sicily Palermo 200 km withdist",
    "georadiusbymember Sicily nope 200 km withdist",
    "georadiusbymember_ro Sicily Catania 300 mi withdist withcoord",
    "georadius_ro Sicily 15 37 200 km store x",
    "georadius Sicily 15 37 200 km store dst",
    "zrange dst 0 -1 withscores",
    "georadius Sicily 15 37 200 km storedist dst2",
    "zrange dst2 0 -1 withscores",
    "geosearch Sicily frommember Palermo byradius 200 km withdist withhash withcoord",
    "geosearch Sicily fromlonlat 15 37 bybox 400 400 km asc withdist",
    "geosearch Sicily fromlonlat 15 37 bybox 400 400 km desc withdist count 2",
    "geosearch Sicily fromlonlat 15 37 byradius 1 km",
    "geosearch Sicily fromlonlat 1 1 byradius 1 km any",
    "geosearch Sicily fromlonlat 1 1 byradius -1 km",
    "geosearch Sicily fromlonlat 1 1 bybox -1 2 km",
    "geosearch Sicily fromlonlat 1 1 bybox a 2 km",
    "geosearch Sicily fromlonlat 1 1 bybox 2 a km",
    "geosearch Sicily fromlonlat 1 1 byradius a km",
    "geosearch Sicily fromlonlat a 1 byradius 1 km",
    "geosearch Sicily fromlonlat 1 1 byradius 1 km count 0",
    "geosearch Sicily fromlonlat 1 1 byradius 1 km count -1",
    "geosearch Sicily frommember nope byradius 1 km",
    "geosearch Sicily frommember Palermo fromlonlat 1 1 byradius 1 km",
    "geosearch Sicily byradius 1 km bybox 1 1 km asc",
    "geosearch Sicily frommember Palermo byradius 1 km bybox 1 1 km",
    "geosearch Sicily frommember Palermo bybox 1 1 km byradius 1 km",
    "geosearch Sicily frommember Palermo byradius 1 km store x",
    "geosearch nokey frommember Palermo byradius 1 km",
    "geosearch nokey fromlonlat 1 1 byradius 1 km",
    "geosearch Sicily fromlonlat 1 1 byradius 1 km withdist storedist",
    "geosearchstore dst Sicily fromlonlat 15 37 byradius 200 km withdist",
    "geosearchstore dst Sicily fromlonlat 15 37 byradius 200 km",
    "zrange dst 0 -1 withscores",
    "geosearchstore dst Sicily fromlonlat 15 37 byradius 200 km storedist desc count 1",
    "zrange dst 0 -1 withscores",
    "geosearchstore dst Sicily fromlonlat 15 37 byradius 2 km storedist",
    "geoadd self 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 1 1 far",
    "geosearchstore self self fromlonlat 15 37 byradius 200 km",
    "zrange self 0 -1 withscores",
    "georadius self 15 37 200 km storedist self",
    "zrange self 0 -1 withscores",
    "rpush sl 3 1 2",
    "sort sl store sl",
    "lrange sl 0 -1",
    "exists dst",
    "geosearchstore dst nokey fromlonlat 15 37 byradius 2 km storedist",
    "geosearchstore dst nokey frommember nope byradius 2 km storedist",
    "set str x",
    "geoadd str 1 1 a",
    "geopos str a",
    "geosearch str fromlonlat 1 1 byradius 1 km",
    "geodist str a b",
    "geohash str a",
    "geoadd pts -0.1278 51.5074 London 2.3522 48.8566 Paris -3.7038 40.4168 Madrid 12.4964 41.9028 Rome 13.4050 "
    "52.5200 Berlin 179.9 0 E1 -179.9 0 W1 0 85 N 0 -85 S 100 85.05112878 Top 0 0 Zero",
    "geosearch pts fromlonlat 0 0 byradius 20000 km asc withdist withcoord withhash",
    "geosearch pts fromlonlat 180 0 byradius 100 km asc withdist withcoord",
    "geosearch pts fromlonlat 0 85 byradius 3000 km asc withdist withcoord",
    "geosearch pts fromlonlat 2 49 bybox 3000 2000 km asc withdist",
    "geosearch pts fromlonlat 2 -49 bybox 30000 20000 km asc withdist",
    "geosearch pts frommember Paris bybox 3000 2000 mi desc withdist",
    "geosearch pts frommember Paris byradius 0 m withdist",
    "geopos pts Top N S E1 W1 Zero",
    "geohash pts Top N S E1 W1 Zero London",
    "georadius pts 0 0 0 m",
    "georadius pts 2.3522 48.8566 10000 km count 3 any withdist",
    NULL,
};

Test(geo, script_matches_redis)
{
    redisContext *ref, *test;
    ref_connect_both(&ref, &test);
    compare_lines(ref, test, geo_script);
    redisFree(ref);
    redisFree(test);
    ref_stop();
}

static bool resp3_equal(const struct resp3 *a, const struct resp3 *b)
{
    if (a->type != b->type || a->null != b->null || a->integer != b->integer || a->count != b->count ||
        a->len != b->len || (a->len && memcmp(a->str, b->str, a->len)))
        return false;
    size_t n = (a->type == '%' || a->type == '|') ? a->count * 2 : a->count;
    for (size_t i = 0; i < n; i++)
        if (!resp3_equal(a->items[i], b->items[i]))
            return false;
    return true;
}

/* Sends `line` (arguments split on spaces) as a RESP array. */
static void send_line(struct raw_session *s, const char *line)
{
    char out[4096], copy[1024];
    snprintf(copy, sizeof(copy), "%s", line);
    const char *args[64];
    int argc = 0;
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t && argc < 64; t = strtok_r(NULL, " ", &save))
        args[argc++] = t;
    int n = snprintf(out, sizeof(out), "*%d\r\n", argc);
    for (int i = 0; i < argc; i++)
        n += snprintf(out + n, sizeof(out) - (size_t)n, "$%zu\r\n%s\r\n", strlen(args[i]), args[i]);
    cr_assert(raw_send(s->fd, out, (size_t)n));
}

/* RESP3: coordinates are doubles, missing members nulls. */
Test(geo, resp3_matches_redis)
{
    static const char *const lines[] = {
        "FLUSHALL",
        "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania -0.1278 51.5074 London",
        "GEOPOS g Palermo nope London",
        "GEODIST g Palermo London km",
        "GEODIST g Palermo nope",
        "GEOHASH g Catania nope",
        "GEORADIUS g 15 37 200 km WITHCOORD WITHDIST WITHHASH ASC",
        "GEOSEARCH g FROMMEMBER London BYBOX 4000 4000 km WITHCOORD DESC",
        "GEOSEARCH nokey FROMLONLAT 0 0 BYRADIUS 1 km",
        NULL,
    };
    int port = ref_start();
    if (port == 0)
        cr_skip_test("no /usr/bin/redis-server to compare with");
    struct raw_session ref, test;
    raw_session_open(&ref, port);
    raw_session_open(&test, server_port());
    resp3_free(raw_call(&ref, "HELLO", "3", NULL));
    resp3_free(raw_call(&test, "HELLO", "3", NULL));
    for (int i = 0; lines[i]; i++) {
        send_line(&ref, lines[i]);
        send_line(&test, lines[i]);
        struct resp3 *a = raw_session_read(&ref), *b = raw_session_read(&test);
        char da[4096];
        snprintf(da, sizeof(da), "%s", resp3_describe(a));
        cr_assert(resp3_equal(a, b), "%s\n  redis:   %s\n  shardis: %s", lines[i], da, resp3_describe(b));
        resp3_free(a);
        resp3_free(b);
    }
    raw_session_close(&ref);
    raw_session_close(&test);
    ref_stop();
}

/* A small deterministic generator (the same points on every run). */
static unsigned long long rng_state = 0x9e3779b97f4a7c15ULL;
static double rnd(double lo, double hi)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (double)(rng_state >> 11) / (double)(1ULL << 53);
}

/* 600 points around Europe and around the antimeridian (a skiplist set),
 * searched 60 times by radius and by box, in every order. */
Test(geo, random_searches_match_redis)
{
    redisContext *ref, *test;
    ref_connect_both(&ref, &test);
    char line[4096];
    for (int batch = 0; batch < 12; batch++) {
        int n = snprintf(line, sizeof(line), "GEOADD pts");
        for (int i = 0; i < 50; i++) {
            int far = (batch + i) % 4 == 0;
            double lon = far ? rnd(175, 180) : rnd(-10, 30);
            double lat = far ? rnd(-60, 60) : rnd(35, 70);
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %.6f %.6f p%d", lon, lat, batch * 50 + i);
        }
        char why[6000];
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
    }
    static const char *const units[] = {"m", "km", "mi", "ft"};
    static const char *const orders[] = {"", " ASC", " DESC", " COUNT 5", " COUNT 7 DESC", " COUNT 3 ANY"};
    for (int q = 0; q < 60; q++) {
        double lon = q % 3 == 0 ? rnd(170, 180) : rnd(-10, 30), lat = rnd(30, 70);
        const char *unit = units[q % 4];
        double scale = unit[0] == 'm' && unit[1] == '\0' ? 1000.0 : unit[0] == 'f' ? 3280.0 : 1.0;
        const char *order = orders[q % 6];
        if (q % 2)
            snprintf(line, sizeof(line), "GEOSEARCH pts FROMLONLAT %.4f %.4f BYRADIUS %.1f %s%s WITHDIST WITHCOORD",
                     lon, lat, rnd(10, 800) * scale, unit, order);
        else
            snprintf(line, sizeof(line), "GEOSEARCH pts FROMLONLAT %.4f %.4f BYBOX %.1f %.1f %s%s WITHDIST WITHHASH",
                     lon, lat, rnd(10, 1500) * scale, rnd(10, 1500) * scale, unit, order);
        char why[6000];
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
    }
    redisFree(ref);
    redisFree(test);
    ref_stop();
}

/* The STORE forms write destinations that live on other shards than the
 * source (with several threads some of these names do): the same sets as
 * Redis's, and the source untouched. */
Test(geo, store_destinations_on_other_shards)
{
    redisContext *ref, *test;
    ref_connect_both(&ref, &test);
    char why[6000];
    const char *add = "GEOADD src 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 2.3522 48.8566 Paris "
                      "12.4964 41.9028 Rome";
    cr_assert(compare_line(ref, test, add, why, sizeof(why)), "%s", why);
    for (int i = 0; i < 8; i++) {
        char line[256];
        const char *form[4] = {"GEOSEARCHSTORE dst%d src FROMMEMBER Rome BYRADIUS 1000 km",
                               "GEOSEARCHSTORE dst%d src FROMLONLAT 14 38 BYBOX 900 900 km STOREDIST COUNT 2",
                               "GEORADIUS src 14 38 2000 km STORE dst%d",
                               "GEORADIUSBYMEMBER src Paris 1200 km STOREDIST dst%d"};
        snprintf(line, sizeof(line), form[i % 4], i);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        snprintf(line, sizeof(line), "ZRANGE dst%d 0 -1 WITHSCORES", i);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        /* an empty result deletes the destination */
        snprintf(line, sizeof(line), "GEOSEARCHSTORE dst%d src FROMLONLAT 0 0 BYRADIUS 1 m", i);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
        snprintf(line, sizeof(line), "EXISTS dst%d", i);
        cr_assert(compare_line(ref, test, line, why, sizeof(why)), "%s", why);
    }
    cr_assert(compare_line(ref, test, "ZRANGE src 0 -1 WITHSCORES", why, sizeof(why)), "%s", why);
    redisFree(ref);
    redisFree(test);
    ref_stop();
}

/* GEOADD is logged as the ZADD it ran, GEOSEARCHSTORE as its result: after a
 * restart from the log the sets are the same, scores to the bit. */
Test(geo, restart_from_the_log)
{
    if (env_is_redis())
        cr_skip_test("shardis log files only");
    char dir[256];
    temp_dir(dir, sizeof(dir), "geo-log");
    struct test_server srv;
    const char *args[] = {"--appendonly", "yes", "--appendfsync", "always"};
    struct test_server_opts o = {dir, 0, 4, args};
    server_start_opts(&srv, &o);
    redisContext *c = client_connect_port(srv.port);
    expect_int(cmd(c, "GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"), 2);
    expect_int(cmd(c, "GEOADD g XX CH 13.5 38 Palermo 1 1 Nowhere"), 1);
    expect_int(cmd(c, "GEOSEARCHSTORE near g FROMLONLAT 15 37 BYRADIUS 300 km STOREDIST"), 2);
    redisReply *before_g = cmd(c, "ZRANGE g 0 -1 WITHSCORES");
    redisReply *before_near = cmd(c, "ZRANGE near 0 -1 WITHSCORES");
    cr_assert_eq(before_g->elements, 4);
    redisFree(c);
    cr_assert(server_stop(&srv));
    server_start_opts(&srv, &o);
    c = client_connect_port(srv.port);
    redisReply *after_g = cmd(c, "ZRANGE g 0 -1 WITHSCORES");
    redisReply *after_near = cmd(c, "ZRANGE near 0 -1 WITHSCORES");
    cr_assert(replies_equal(before_g, after_g), "g: %s", describe_reply(after_g));
    cr_assert(replies_equal(before_near, after_near), "near: %s", describe_reply(after_near));
    freeReplyObject(before_g);
    freeReplyObject(before_near);
    freeReplyObject(after_g);
    freeReplyObject(after_near);
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}
