/*
 * test_cmd_hash.c - unit tests for core/commands/cmd_hash.c: the hash handlers called
 * directly with a hand-built struct cmd_ctx (cmd_harness.h), checked byte for
 * byte against the RESP Redis 7.0 sends, plus the encoding conversions at
 * each threshold and the per-type hooks (dup, len, mem, free).
 *
 * Thresholds are changed through a private copy of the default config that
 * ctx.cfg points at.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/base/config.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/base/resp.h"
#include "core/base/util.h"

#include "cmd_harness.h"

TestSuite(cmd_hash, .init = harness_setup_cfg, .fini = harness_teardown);

Test(cmd_hash, set_get_and_replies)
{
    EXPECT(":2\r\n", cmd_hset, "hset", "h", "a", "1", "b", "xy");
    EXPECT(":0\r\n", cmd_hset, "hset", "h", "a", "2");
    EXPECT("$1\r\n2\r\n", cmd_hget, "hget", "h", "a");
    EXPECT("$-1\r\n", cmd_hget, "hget", "h", "zz");
    EXPECT("$-1\r\n", cmd_hget, "hget", "nokey", "a");
    EXPECT("*3\r\n$1\r\n2\r\n$-1\r\n$2\r\nxy\r\n", cmd_hmget, "hmget", "h", "a", "zz", "b");
    EXPECT(":2\r\n", cmd_hlen, "hlen", "h");
    EXPECT(":2\r\n", cmd_hstrlen, "hstrlen", "h", "b");
    EXPECT(":1\r\n", cmd_hexists, "hexists", "h", "b");
    EXPECT(":0\r\n", cmd_hexists, "hexists", "h", "c");
    EXPECT("+OK\r\n", cmd_hmset, "hmset", "h", "c", "3");
    EXPECT("*6\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$2\r\nxy\r\n$1\r\nc\r\n$1\r\n3\r\n", cmd_hgetall, "hgetall", "h");
    EXPECT("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", cmd_hkeys, "hkeys", "h");
    EXPECT("*3\r\n$1\r\n2\r\n$2\r\nxy\r\n$1\r\n3\r\n", cmd_hvals, "hvals", "h");
    EXPECT("-ERR wrong number of arguments for 'hset' command\r\n", cmd_hset, "hset", "h", "a", "1", "b");
    EXPECT("-ERR wrong number of arguments for 'hmset' command\r\n", cmd_hmset, "HMSET", "h", "a");
    cr_assert_str_eq(encoding_of("h"), "listpack");

    ctx.resp = 3;
    RUN(cmd_hset, "hset", "h3", "x", "1");
    EXPECT("%1\r\n$1\r\nx\r\n$1\r\n1\r\n", cmd_hgetall, "hgetall", "h3");
    EXPECT("%0\r\n", cmd_hgetall, "hgetall", "nokey");
    EXPECT("*0\r\n", cmd_hkeys, "hkeys", "nokey");
    EXPECT("_\r\n", cmd_hget, "hget", "h3", "nope");
}

Test(cmd_hash, hsetnx_and_hdel)
{
    EXPECT(":1\r\n", cmd_hsetnx, "hsetnx", "h", "a", "1");
    EXPECT(":0\r\n", cmd_hsetnx, "hsetnx", "h", "a", "2");
    EXPECT("$1\r\n1\r\n", cmd_hget, "hget", "h", "a");
    EXPECT(":1\r\n", cmd_hset, "hset", "h", "b", "2");
    EXPECT(":0\r\n", cmd_hdel, "hdel", "nokey", "a");
    EXPECT(":1\r\n", cmd_hdel, "hdel", "h", "a", "a", "zz");
    cr_assert(find("h"));
    EXPECT(":1\r\n", cmd_hdel, "hdel", "h", "b");
    cr_assert_null(find("h"), "an empty hash is deleted");
}

Test(cmd_hash, wrongtype)
{
    struct db_entry *e = entry_new_string(key_hash("s", 1), "s", 1, "v", 1);
    db_insert(ctx.db, e);
    EXPECT(WRONGTYPE, cmd_hset, "hset", "s", "a", "1");
    EXPECT(WRONGTYPE, cmd_hget, "hget", "s", "a");
    EXPECT(WRONGTYPE, cmd_hdel, "hdel", "s", "a");
    EXPECT(WRONGTYPE, cmd_hgetall, "hgetall", "s");
    EXPECT(WRONGTYPE, cmd_hincrby, "hincrby", "s", "a", "1");
    EXPECT("-" ERR_NOT_INTEGER "\r\n", cmd_hincrby, "hincrby", "s", "a", "x");
    EXPECT(WRONGTYPE, cmd_hrandfield, "hrandfield", "s");
    EXPECT(WRONGTYPE, cmd_hscan, "hscan", "s", "0");
    EXPECT("-ERR invalid cursor\r\n", cmd_hscan, "hscan", "s", "x");
}

Test(cmd_hash, incr)
{
    EXPECT(":5\r\n", cmd_hincrby, "hincrby", "h", "n", "5");
    EXPECT(":-1\r\n", cmd_hincrby, "hincrby", "h", "n", "-6");
    EXPECT(":1\r\n", cmd_hset, "hset", "h", "max", "9223372036854775807");
    EXPECT("-ERR increment or decrement would overflow\r\n", cmd_hincrby, "hincrby", "h", "max", "1");
    EXPECT(":1\r\n", cmd_hset, "hset", "h", "s", "abc");
    EXPECT("-ERR hash value is not an integer\r\n", cmd_hincrby, "hincrby", "h", "s", "1");
    EXPECT("-ERR hash value is not a float\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "s", "1");
    EXPECT("$3\r\n1.5\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "f", "1.5");
    EXPECT("$1\r\n3\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "f", "1.5");
    EXPECT("$2\r\n-1\r\n", cmd_hget, "hget", "h", "n");
    EXPECT("-ERR value is NaN or Infinity\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "f", "inf");
    EXPECT("-ERR value is not a valid float\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "f", "x");
    EXPECT(":1\r\n", cmd_hset, "hset", "h", "i", "-inf");
    EXPECT("-ERR increment would produce NaN or Infinity\r\n", cmd_hincrbyfloat, "hincrbyfloat", "h", "i", "1");
}

Test(cmd_hash, converts_past_entries_and_value_thresholds)
{
    cfg.hash_max_listpack_entries = 3;
    cfg.hash_max_listpack_value = 4;
    EXPECT(":3\r\n", cmd_hset, "hset", "h", "a", "1", "b", "2", "c", "3");
    cr_assert_str_eq(encoding_of("h"), "listpack");
    EXPECT(":1\r\n", cmd_hset, "hset", "h", "d", "4");
    cr_assert_str_eq(encoding_of("h"), "hashtable");
    EXPECT(":4\r\n", cmd_hlen, "hlen", "h");
    EXPECT("$1\r\n3\r\n", cmd_hget, "hget", "h", "c");
    EXPECT(":4\r\n", cmd_hdel, "hdel", "h", "a", "b", "c", "d");
    cr_assert_null(find("h"));

    EXPECT(":1\r\n", cmd_hset, "hset", "v", "a", "1234");
    cr_assert_str_eq(encoding_of("v"), "listpack");
    EXPECT(":0\r\n", cmd_hset, "hset", "v", "a", "12345");
    cr_assert_str_eq(encoding_of("v"), "hashtable");
    EXPECT("$5\r\n12345\r\n", cmd_hget, "hget", "v", "a");
    /* A longer value reuses or replaces the blob. */
    EXPECT(":0\r\n", cmd_hset, "hset", "v", "a", "a much longer value than before");
    EXPECT("$31\r\na much longer value than before\r\n", cmd_hget, "hget", "v", "a");
    EXPECT(":31\r\n", cmd_hstrlen, "hstrlen", "v", "a");

    EXPECT(":1\r\n", cmd_hsetnx, "hsetnx", "k", "longfield", "x");
    cr_assert_str_eq(encoding_of("k"), "hashtable");
    EXPECT(":1\r\n", cmd_hincrby, "hincrby", "i", "longfield", "1");
    cr_assert_str_eq(encoding_of("i"), "hashtable");
}

/* Both encodings answer the same after the same writes, and the hooks give
 * the same element count and a faithful deep copy. */
Test(cmd_hash, hooks_in_both_encodings)
{
    for (int round = 0; round < 2; round++) {
        cfg.hash_max_listpack_entries = round == 0 ? 128 : 0;
        const char *key = round == 0 ? "lp" : "ht";
        for (int i = 0; i < 50; i++) {
            char f[16], v[16];
            snprintf(f, sizeof(f), "f%d", i);
            snprintf(v, sizeof(v), "%d", i * 7);
            EXPECT(":1\r\n", cmd_hset, "hset", key, f, v);
        }
        struct db_entry *e = find(key);
        cr_assert_str_eq(entry_encoding_name(e), round == 0 ? "listpack" : "hashtable");
        cr_assert_eq(entry_element_count(e), 50);
        cr_assert_gt(hash_value_mem(e), 50 * 2);
        struct db_entry *copy = entry_dup_with_key(e, key_hash("copy", 4), "copy", 4);
        db_insert(ctx.db, copy);
        EXPECT(":50\r\n", cmd_hlen, "hlen", "copy");
        EXPECT("$3\r\n343\r\n", cmd_hget, "hget", "copy", "f49");
        EXPECT(":1\r\n", cmd_hdel, "hdel", key, "f49");
        EXPECT("$3\r\n343\r\n", cmd_hget, "hget", "copy", "f49");
        db_delete(ctx.db, key_hash("copy", 4), "copy", 4);
    }
}

/* Counts the elements of a HRANDFIELD/HSCAN reply array header "*n". */
static long long array_header(const char *reply)
{
    cr_assert(reply[0] == '*', "not an array: %s", reply);
    return atoll(reply + 1);
}

Test(cmd_hash, hrandfield_counts)
{
    for (int round = 0; round < 2; round++) {
        cfg.hash_max_listpack_entries = round == 0 ? 128 : 0;
        const char *key = round == 0 ? "lp" : "ht";
        for (int i = 0; i < 30; i++) {
            char f[16];
            snprintf(f, sizeof(f), "f%d", i);
            RUN(cmd_hset, "hset", key, f, "v");
        }
        cr_assert_eq(array_header(RUN(cmd_hrandfield, "hrandfield", key, "5")), 5);
        cr_assert_eq(array_header(RUN(cmd_hrandfield, "hrandfield", key, "25")), 25);
        cr_assert_eq(array_header(RUN(cmd_hrandfield, "hrandfield", key, "100")), 30);
        cr_assert_eq(array_header(RUN(cmd_hrandfield, "hrandfield", key, "-100")), 100);
        cr_assert_eq(array_header(RUN(cmd_hrandfield, "hrandfield", key, "5", "withvalues")), 10);
        ctx.resp = 3;
        cr_assert(strncmp(RUN(cmd_hrandfield, "hrandfield", key, "-2", "WITHVALUES"), "*2\r\n*2\r\n$", 9) == 0);
        ctx.resp = 2;
        cr_assert(strncmp(RUN(cmd_hrandfield, "hrandfield", key), "$", 1) == 0);
    }
    EXPECT("*0\r\n", cmd_hrandfield, "hrandfield", "nokey", "3");
    EXPECT("$-1\r\n", cmd_hrandfield, "hrandfield", "nokey");
    EXPECT("-ERR syntax error\r\n", cmd_hrandfield, "hrandfield", "nokey", "3", "x");
}

/* HSCAN over a hashtable with a small COUNT returns every field exactly once
 * when nothing changes during the scan. */
/* Counts the fields "f<n>" of a RESP2 array reply of bulk strings. */
static void count_fields(const char *reply, int draws, int *counts, int nfields)
{
    const char *p = strstr(reply, "\r\n") + 2;
    for (int i = 0; i < draws; i++) {
        cr_assert_eq(*p, '$');
        p = strstr(p, "\r\n") + 2; /* the field: "f<n>" */
        cr_assert_eq(*p, 'f');
        int idx = atoi(p + 1);
        cr_assert(idx >= 0 && idx < nfields);
        counts[idx]++;
        p = strstr(p, "\r\n") + 2;
    }
}

/* HRANDFIELD on a hash table draws every field about equally often, whatever
 * the chains its fields share (a random bucket then a random chain position
 * favoured fields alone in their bucket: with 12 fields in 16 buckets some
 * chain almost surely holds two, and each of those came about half as
 * often). Both paths: one draw per call (sdict_random) and a negative count
 * (a table of the nodes). 12000 draws: 1000 expected per field, standard
 * deviation about 29, so the bounds are more than 10 deviations wide. */
Test(cmd_hash, hrandfield_is_uniform_on_a_hashtable)
{
    cfg.hash_max_listpack_entries = 0;
    enum { FIELDS = 12, DRAWS = 12000 };
    for (int i = 0; i < FIELDS; i++) {
        char f[16];
        snprintf(f, sizeof(f), "f%d", i);
        EXPECT(":1\r\n", cmd_hset, "hset", "h", f, "v");
    }
    cr_assert_str_eq(encoding_of("h"), "hashtable");
    int one_by_one[FIELDS] = {0}, by_count[FIELDS] = {0};
    for (int i = 0; i < DRAWS; i++) {
        const char *r = RUN(cmd_hrandfield, "hrandfield", "h");
        cr_assert(r[0] == '$' && r[4] == 'f', "%s", r);
        one_by_one[atoi(r + 5)]++;
    }
    const char *r = RUN(cmd_hrandfield, "hrandfield", "h", "-12000");
    cr_assert_eq(array_header(r), DRAWS);
    count_fields(r, DRAWS, by_count, FIELDS);
    for (int i = 0; i < FIELDS; i++) {
        cr_assert(one_by_one[i] > 700 && one_by_one[i] < 1300, "f%d drawn %d times of %d", i, one_by_one[i], DRAWS);
        cr_assert(by_count[i] > 700 && by_count[i] < 1300, "f%d drawn %d times of %d", i, by_count[i], DRAWS);
    }
}

Test(cmd_hash, hscan_hashtable_cursor)
{
    cfg.hash_max_listpack_entries = 0;
    for (int i = 0; i < 200; i++) {
        char f[16];
        snprintf(f, sizeof(f), "f%d", i);
        RUN(cmd_hset, "hset", "h", f, "v");
    }
    int seen[200] = {0};
    char cursor[32] = "0";
    int total = 0, rounds = 0;
    do {
        /* Lines: *2, $len, cursor, *n, then $len/field/$len/value per pair. */
        char *reply = strdup(RUN(cmd_hscan, "hscan", "h", cursor, "COUNT", "5"));
        char *lines[1024];
        int nlines = 0;
        for (char *save, *l = strtok_r(reply, "\r\n", &save); l && nlines < 1024; l = strtok_r(NULL, "\r\n", &save))
            lines[nlines++] = l;
        cr_assert(nlines >= 4 && strcmp(lines[0], "*2") == 0);
        snprintf(cursor, sizeof(cursor), "%s", lines[2]);
        int n = atoi(lines[3] + 1);
        cr_assert_eq(nlines, 4 + 2 * n);
        for (int i = 0; i < n; i += 2) {
            const char *field = lines[5 + 2 * i];
            cr_assert(field[0] == 'f', "field %s", field);
            seen[atoi(field + 1)]++;
            total++;
        }
        free(reply);
        cr_assert(++rounds < 1000);
    } while (strcmp(cursor, "0") != 0);
    cr_assert_eq(total, 200);
    for (int i = 0; i < 200; i++)
        cr_assert_eq(seen[i], 1, "field f%d seen %d times", i, seen[i]);
}
