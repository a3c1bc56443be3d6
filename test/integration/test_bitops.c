/*
 * test_bitops.c - the bitmap commands against a live server: SETBIT,
 * GETBIT, BITCOUNT and BITPOS (BYTE and BIT ranges, negative indexes),
 * BITOP over keys spread across shards (checked against a model computed
 * here), BITFIELD and BITFIELD_RO (overflow modes, `#` offsets), the
 * offset limits and their errors, the "setbit" keyspace event, and a
 * differential run: the same random commands sent to this server and to a
 * redis-server 7.0.15 the test starts itself must get the same replies.
 * Everything passes against redis-server too (SHARDIS_SERVER=redis-server).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "client.h"
#include "fs.h"
#include "proc.h"
#include "server.h"

TestSuite(bitops, .init = server_suite_init, .fini = server_suite_fini, .timeout = 120);

#define OFFSET_ERR "ERR bit offset is not an integer or out of range"

Test(bitops, setbit_getbit_bitcount_bitpos)
{
    redisContext *c = client_connect();
    expect_int(cmd(c, "SETBIT b 7 1"), 0);
    expect_int(cmd(c, "SETBIT b 7 1"), 1);
    expect_str(cmd(c, "GET b"), "\x01");
    expect_int(cmd(c, "SETBIT b 0 1"), 0);
    expect_str(cmd(c, "GET b"), "\x81");
    expect_int(cmd(c, "GETBIT b 0"), 1);
    expect_int(cmd(c, "GETBIT b 1"), 0);
    expect_int(cmd(c, "GETBIT b 100000"), 0);
    expect_int(cmd(c, "GETBIT nokey 3"), 0);
    expect_int(cmd(c, "SETBIT b 23 1"), 0); /* grows with zero bytes */
    expect_int(cmd(c, "STRLEN b"), 3);
    expect_int(cmd(c, "BITCOUNT b"), 3);
    /* "foobar": the documented example */
    expect_status(cmd(c, "SET s foobar"), "OK");
    expect_int(cmd(c, "BITCOUNT s"), 26);
    expect_int(cmd(c, "BITCOUNT s 0 0"), 4);
    expect_int(cmd(c, "BITCOUNT s 1 1"), 6);
    expect_int(cmd(c, "BITCOUNT s 1 1 BYTE"), 6);
    expect_int(cmd(c, "BITCOUNT s 5 30 BIT"), 17);
    expect_int(cmd(c, "BITCOUNT s -2 -1"), 7);
    expect_int(cmd(c, "BITCOUNT s -1 -2"), 0);
    expect_int(cmd(c, "BITCOUNT s 0 -1 bit"), 26);
    expect_err(cmd(c, "BITCOUNT s 0 1 WORD"), "ERR syntax error");
    expect_err(cmd(c, "BITCOUNT s 0"), "ERR syntax error");
    expect_int(cmd(c, "BITCOUNT nokey"), 0);
    /* BITPOS */
    expect_status(cmd(c, "SET p %b", "\xff\xf0\x00", (size_t)3), "OK");
    expect_int(cmd(c, "BITPOS p 0"), 12);
    expect_status(cmd(c, "SET p %b", "\x00\xff\xf0", (size_t)3), "OK");
    expect_int(cmd(c, "BITPOS p 1 0"), 8);
    expect_int(cmd(c, "BITPOS p 1 2"), 16);
    expect_int(cmd(c, "BITPOS p 1 2 -1 BYTE"), 16);
    expect_int(cmd(c, "BITPOS p 1 7 15 BIT"), 8);
    expect_int(cmd(c, "BITPOS p 1 7 -3 BIT"), 8);
    expect_status(cmd(c, "SET ones %b", "\xff\xff\xff", (size_t)3), "OK");
    expect_int(cmd(c, "BITPOS ones 0"), 24);      /* no end: past the string */
    expect_int(cmd(c, "BITPOS ones 0 0 -1"), -1); /* an end given: not found */
    expect_int(cmd(c, "BITPOS nokey 0"), 0);
    expect_int(cmd(c, "BITPOS nokey 1"), -1);
    expect_err(cmd(c, "BITPOS p 2"), "ERR The bit argument must be 1 or 0.");
    /* an integer-encoded string is read as its digits */
    expect_status(cmd(c, "SET n 1"), "OK"); /* "1" is 0x31 */
    expect_int(cmd(c, "BITCOUNT n"), 3);
    expect_int(cmd(c, "GETBIT n 2"), 1);
    /* types */
    expect_int(cmd(c, "LPUSH l x"), 1);
    expect_err_prefix(cmd(c, "SETBIT l 0 1"), "WRONGTYPE");
    expect_err_prefix(cmd(c, "GETBIT l 0"), "WRONGTYPE");
    expect_err_prefix(cmd(c, "BITCOUNT l"), "WRONGTYPE");
    redisFree(c);
}

Test(bitops, offsets_and_limits)
{
    redisContext *c = client_connect();
    expect_err(cmd(c, "SETBIT k -1 1"), OFFSET_ERR);
    expect_err(cmd(c, "SETBIT k x 1"), OFFSET_ERR);
    expect_err(cmd(c, "SETBIT k 4294967296 1"), OFFSET_ERR); /* 512 MB */
    expect_err(cmd(c, "GETBIT k 4294967296"), OFFSET_ERR);
    expect_err(cmd(c, "SETBIT k 0 2"), "ERR bit is not an integer or out of range");
    expect_err(cmd(c, "SETBIT k 0 x"), "ERR bit is not an integer or out of range");
    expect_int(cmd(c, "EXISTS k"), 0);
    /* the limit follows proto-max-bulk-len */
    expect_status(cmd(c, "CONFIG SET proto-max-bulk-len 1048576"), "OK");
    expect_err(cmd(c, "SETBIT k 8388608 1"), OFFSET_ERR);
    expect_int(cmd(c, "SETBIT k 8388607 1"), 0);
    expect_int(cmd(c, "STRLEN k"), 1048576);
    expect_int(cmd(c, "BITCOUNT k"), 1);
    expect_int(cmd(c, "BITPOS k 1"), 8388607);
    expect_err(cmd(c, "BITFIELD k SET u8 #1048576 1"), OFFSET_ERR);
    expect_status(cmd(c, "CONFIG SET proto-max-bulk-len 536870912"), "OK");
    redisFree(c);
}

/* BITOP over keys that land on different shards with several threads. */
Test(bitops, bitop_across_shards)
{
    redisContext *c = client_connect();
    const char *names[] = {"src:a", "src:b", "src:c", "src:d", "src:e"};
    unsigned char vals[5][40];
    size_t lens[5] = {40, 17, 33, 1, 0};
    uint64_t seed = 12345;
    for (int i = 0; i < 5; i++) {
        for (size_t j = 0; j < lens[i]; j++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            vals[i][j] = (unsigned char)(seed >> 56);
        }
        if (lens[i])
            expect_status(cmd(c, "SET %s %b", names[i], vals[i], lens[i]), "OK");
    }
    const char *ops[] = {"AND", "OR", "XOR"};
    for (int o = 0; o < 3; o++) {
        redisReply *r = cmd(c, "BITOP %s dst:%d src:a src:b src:c src:d src:e", ops[o], o);
        assert_int(r, 40);
        freeReplyObject(r);
        unsigned char want[40];
        for (size_t j = 0; j < 40; j++) {
            unsigned acc = vals[0][j];
            for (int i = 1; i < 5; i++) {
                unsigned b = j < lens[i] ? vals[i][j] : 0;
                acc = o == 0 ? acc & b : o == 1 ? acc | b : acc ^ b;
            }
            want[j] = (unsigned char)acc;
        }
        r = cmd(c, "GET dst:%d", o);
        assert_bulk(r, (const char *)want, 40);
        freeReplyObject(r);
    }
    expect_int(cmd(c, "BITOP NOT dst:not src:b"), 17);
    unsigned char notb[17];
    for (int j = 0; j < 17; j++)
        notb[j] = (unsigned char)~vals[1][j];
    expect_bulk(cmd(c, "GET dst:not"), (const char *)notb, 17);
    /* the destination among the sources, its TTL cleared */
    expect_int(cmd(c, "EXPIRE dst:not 1000"), 1);
    expect_int(cmd(c, "BITOP OR dst:not dst:not src:d"), 17);
    expect_int(cmd(c, "TTL dst:not"), -1);
    /* only missing sources: the destination is deleted */
    expect_int(cmd(c, "BITOP AND dst:0 nosuch:1 nosuch:2"), 0);
    expect_int(cmd(c, "EXISTS dst:0"), 0);
    expect_err(cmd(c, "BITOP NOT dst src:a src:b"), "ERR BITOP NOT must be called with a single source key.");
    expect_err(cmd(c, "BITOP NAND dst src:a"), "ERR syntax error");
    expect_int(cmd(c, "SADD set x"), 1);
    expect_err_prefix(cmd(c, "BITOP OR dst:1 src:a set"), "WRONGTYPE");
    expect_int(cmd(c, "EXISTS dst:1"), 1); /* unchanged by the failed BITOP */
    redisFree(c);
}

Test(bitops, bitfield)
{
    redisContext *c = client_connect();
    redisReply *r = expect_array(cmd(c, "BITFIELD bf SET i8 0 100 GET i8 0 INCRBY i8 0 100 GET u4 0"), 4);
    assert_int(r->element[0], 0);
    assert_int(r->element[1], 100);
    assert_int(r->element[2], -56); /* WRAP */
    assert_int(r->element[3], 12);
    freeReplyObject(r);
    r = expect_array(cmd(c, "BITFIELD bf OVERFLOW SAT INCRBY i8 0 -200 OVERFLOW FAIL INCRBY i8 0 -1 GET i8 0"), 3);
    assert_int(r->element[0], -128);
    cr_assert_eq(r->element[1]->type, REDIS_REPLY_NIL);
    assert_int(r->element[2], -128);
    freeReplyObject(r);
    /* # offsets are in units of the type's width */
    r = expect_array(cmd(c, "BITFIELD bf2 SET u8 #1 255 GET u8 8 GET u16 #0"), 3);
    assert_int(r->element[0], 0);
    assert_int(r->element[1], 255);
    assert_int(r->element[2], 255);
    freeReplyObject(r);
    r = expect_array(cmd(c, "BITFIELD bf2 SET i64 0 -1 GET i64 0 GET u63 0"), 3);
    assert_int(r->element[1], -1);
    assert_int(r->element[2], 9223372036854775807LL);
    freeReplyObject(r);
    r = expect_array(cmd(c, "BITFIELD_RO bf2 GET u8 0 GET i4 4"), 2);
    assert_int(r->element[0], 255);
    assert_int(r->element[1], -1);
    freeReplyObject(r);
    expect_array_len(cmd(c, "BITFIELD nokey"), 0);
    expect_err(cmd(c, "BITFIELD_RO bf2 SET u8 0 1"), "ERR BITFIELD_RO only supports the GET subcommand");
    expect_err(cmd(c, "BITFIELD bf2 GET u64 0"),
               "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    expect_err(cmd(c, "BITFIELD bf2 GET i65 0"),
               "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
    expect_err(cmd(c, "BITFIELD bf2 OVERFLOW MAYBE"), "ERR Invalid OVERFLOW type specified");
    expect_err(cmd(c, "BITFIELD bf2 GET u8"), "ERR syntax error");
    expect_err(cmd(c, "BITFIELD bf2 SET u8 -1 1"), OFFSET_ERR);
    redisFree(c);
}

Test(bitops, setbit_keyspace_event)
{
    redisContext *c = client_connect(), *sub = client_connect();
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events KEA"), "OK");
    freeReplyObject(cmd(sub, "SUBSCRIBE __keyevent@0__:setbit"));
    expect_int(cmd(c, "SETBIT ev 3 1"), 0);
    expect_int(cmd(c, "SETBIT ev 3 1"), 1); /* no change: no event */
    redisReply *r = expect_array(cmd(c, "BITFIELD ev SET u8 8 1"), 1);
    freeReplyObject(r);
    for (int i = 0; i < 2; i++) {
        redisReply *m = next_reply(sub);
        cr_assert(m && m->type == REDIS_REPLY_ARRAY && m->elements == 3, "%s", describe_reply(m));
        cr_assert_str_eq(m->element[2]->str, "ev");
        freeReplyObject(m);
    }
    expect_status(cmd(c, "CONFIG SET notify-keyspace-events %s", ""), "OK");
    redisFree(sub);
    redisFree(c);
}

/* ---- the same random commands against redis-server ---- */

static struct test_server reference;

/* A redis-server 7.0.15 on a free port, for the differential runs. */
static void reference_start(void)
{
    const char *configured = getenv("SHARDIS_SERVER");
    char *saved = configured ? strdup(configured) : NULL;
    setenv("SHARDIS_SERVER", "/usr/bin/redis-server", 1);
    server_start(&reference);
    if (saved) {
        setenv("SHARDIS_SERVER", saved, 1);
        free(saved);
    }
}

static int replies_equal(const redisReply *a, const redisReply *b)
{
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case REDIS_REPLY_INTEGER:
        return a->integer == b->integer;
    case REDIS_REPLY_NIL:
        return 1;
    case REDIS_REPLY_ARRAY:
        if (a->elements != b->elements)
            return 0;
        for (size_t i = 0; i < a->elements; i++)
            if (!replies_equal(a->element[i], b->element[i]))
                return 0;
        return 1;
    default:
        return a->len == b->len && memcmp(a->str, b->str, a->len) == 0;
    }
}

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(uint64_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state % n;
}

static const char *rnd_index(char *buf)
{
    static const char *fixed[] = {"0",  "1",  "7",  "8",  "9",  "15", "16",  "63",
                                  "64", "65", "-1", "-2", "-8", "-9", "-100"};
    if (rnd(3) == 0) {
        snprintf(buf, 16, "%d", (int)rnd(400) - 200);
        return buf;
    }
    return fixed[rnd(sizeof(fixed) / sizeof(fixed[0]))];
}

Test(bitops, same_replies_as_redis)
{
    reference_start();
    redisContext *here = client_connect(), *ref = client_connect_port(reference.port);
    const char *keys[] = {"bk:0", "bk:1", "bk:2", "bk:3", "bk:4"};
    char a1[24], a2[24], a3[24], a4[24], a5[24];
    for (int i = 0; i < 3000; i++) {
        const char *argv[16];
        int argc = 0;
        const char *k = keys[rnd(5)];
        switch (rnd(9)) {
        case 0:
            snprintf(a1, sizeof(a1), "%d", (int)rnd(300));
            argv[argc++] = "SETBIT", argv[argc++] = k, argv[argc++] = a1, argv[argc++] = rnd(2) ? "1" : "0";
            break;
        case 1:
            snprintf(a1, sizeof(a1), "%d", (int)rnd(320));
            argv[argc++] = "GETBIT", argv[argc++] = k, argv[argc++] = a1;
            break;
        case 2:
            argv[argc++] = "BITCOUNT", argv[argc++] = k, argv[argc++] = rnd_index(a1), argv[argc++] = rnd_index(a2);
            if (rnd(2))
                argv[argc++] = rnd(2) ? "BIT" : "BYTE";
            break;
        case 3:
            argv[argc++] = "BITPOS", argv[argc++] = k, argv[argc++] = rnd(2) ? "1" : "0";
            if (rnd(4)) {
                argv[argc++] = rnd_index(a1);
                if (rnd(2)) {
                    argv[argc++] = rnd_index(a2);
                    if (rnd(2))
                        argv[argc++] = rnd(2) ? "BIT" : "BYTE";
                }
            }
            break;
        case 4: {
            static const char *ops[] = {"AND", "OR", "XOR", "NOT"};
            const char *op = ops[rnd(4)];
            argv[argc++] = "BITOP", argv[argc++] = op, argv[argc++] = k;
            int n = op[0] == 'N' ? 1 : 1 + (int)rnd(4);
            for (int j = 0; j < n; j++)
                argv[argc++] = keys[rnd(5)];
            break;
        }
        case 5: {
            static const char *types[] = {"u1", "i1", "u7", "i8", "u16", "i33", "u63", "i64"};
            static const char *ovf[] = {"WRAP", "SAT", "FAIL"};
            snprintf(a1, sizeof(a1), "%d", (int)rnd(200));
            snprintf(a2, sizeof(a2), "#%d", (int)rnd(8));
            snprintf(a3, sizeof(a3), "%lld", (long long)rnd(2000) - 1000);
            snprintf(a4, sizeof(a4), "%d", (int)rnd(100));
            snprintf(a5, sizeof(a5), "%lld", rnd(2) ? 9223372036854775807LL : (long long)rnd(300) - 150);
            argv[argc++] = "BITFIELD", argv[argc++] = k, argv[argc++] = "OVERFLOW", argv[argc++] = ovf[rnd(3)];
            argv[argc++] = rnd(2) ? "INCRBY" : "SET", argv[argc++] = types[rnd(8)], argv[argc++] = rnd(2) ? a1 : a2;
            argv[argc++] = rnd(2) ? a3 : a5;
            argv[argc++] = "GET", argv[argc++] = types[rnd(8)], argv[argc++] = a4;
            break;
        }
        case 6:
            argv[argc++] = "GET", argv[argc++] = k;
            break;
        case 7:
            argv[argc++] = "SET", argv[argc++] = k, argv[argc++] = rnd(2) ? "12345" : "hello bits";
            break;
        default:
            argv[argc++] = rnd(8) ? "STRLEN" : "DEL", argv[argc++] = k;
            break;
        }
        redisReply *ra = cmd_argv(here, argc, argv, NULL), *rb = cmd_argv(ref, argc, argv, NULL);
        if (!replies_equal(ra, rb)) {
            char line[256] = "";
            for (int j = 0; j < argc; j++) {
                strncat(line, argv[j], sizeof(line) - strlen(line) - 2);
                strncat(line, " ", sizeof(line) - strlen(line) - 1);
            }
            char want[512];
            snprintf(want, sizeof(want), "%s", describe_reply(rb));
            cr_assert_fail("command %d: %s\n here: %s\n redis: %s", i, line, describe_reply(ra), want);
        }
        freeReplyObject(ra);
        freeReplyObject(rb);
    }
    redisFree(here);
    redisFree(ref);
    cr_assert(server_stop(&reference));
}

/* ---- the log replays bitmaps and HyperLogLogs to the same bytes ---- */

TestSuite(bitops_log, .timeout = 120);

Test(bitops_log, restart_replays_same_bytes)
{
    char dir[256];
    temp_dir(dir, sizeof(dir), "bitslog");
    const char *args[] = {"--appendonly", "yes"};
    struct test_server_opts o = {dir, 0, 2, args};
    struct test_server srv;
    server_start_opts(&srv, &o);
    redisContext *c = client_connect_port(srv.port);
    const char *keys[] = {"lb:a", "lb:b", "lb:c", "lb:d", "lb:e", "lh:1", "lh:2", "lh:3"};
    expect_int(cmd(c, "SETBIT lb:a 100 1"), 0);
    expect_status(cmd(c, "SET lb:b foobar"), "OK");
    expect_int(cmd(c, "BITOP XOR lb:c lb:a lb:b"), 13); /* across shards with several threads */
    redisReply *r = expect_array(cmd(c, "BITFIELD lb:d SET u8 #3 200 INCRBY i5 100 7"), 2);
    freeReplyObject(r);
    expect_int(cmd(c, "SETBIT lb:e 9 1"), 0);
    for (int i = 0; i < 40; i++) {
        char **argv = malloc(sizeof(char *) * 52);
        argv[0] = "PFADD";
        argv[1] = "lh:1";
        for (int j = 0; j < 50; j++) {
            argv[j + 2] = malloc(24);
            snprintf(argv[j + 2], 24, "e%d", i * 50 + j);
        }
        freeReplyObject(cmd_argv(c, 52, (const char **)argv, NULL));
        for (int j = 0; j < 50; j++)
            free(argv[j + 2]);
        free(argv);
    }
    expect_int(cmd(c, "PFADD lh:2 a b c"), 1);
    freeReplyObject(cmd(c, "PFCOUNT lh:1")); /* the cached count is part of the bytes */
    expect_status(cmd(c, "PFMERGE lh:3 lh:1 lh:2"), "OK");
    redisReply *before[8];
    for (int i = 0; i < 8; i++) {
        before[i] = cmd(c, "GET %s", keys[i]);
        cr_assert_eq(before[i]->type, REDIS_REPLY_STRING, "%s: %s", keys[i], describe_reply(before[i]));
    }
    redisFree(c);
    cr_assert(server_stop(&srv));
    server_start_opts(&srv, &o);
    c = client_connect_port(srv.port);
    for (int i = 0; i < 8; i++) {
        redisReply *after = cmd(c, "GET %s", keys[i]);
        cr_assert_eq(after->type, REDIS_REPLY_STRING, "%s after restart: %s", keys[i], describe_reply(after));
        cr_assert_eq(after->len, before[i]->len, "%s", keys[i]);
        cr_assert_eq(memcmp(after->str, before[i]->str, after->len), 0, "%s changed across the restart", keys[i]);
        freeReplyObject(after);
        freeReplyObject(before[i]);
    }
    redisFree(c);
    cr_assert(server_stop(&srv));
    remove_tree(dir);
}
