/*
 * test_cmd_set.c - unit tests for core/commands/cmd_set.c: the set handlers called
 * directly with a hand-built struct cmd_ctx (cmd_harness.h), checking the
 * RESP bytes Redis 7.0 sends, the encoding of the entry at every threshold
 * (Redis 7.2's rules), the per-type hooks (dup, len, mem) and the random
 * commands' invariants on sets big enough to take every strategy.
 *
 * Thresholds are changed through the harness's private struct config cfg
 * that ctx.cfg points at (a fresh copy of the defaults; tests edit fields).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands/command.h"
#include "core/base/config.h"
#include "core/types/db.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/types/object.h"
#include "core/base/resp.h"
#include "core/ds/sdict.h"
#include "core/base/util.h"

#include "cmd_harness.h"

TestSuite(cmd_set, .init = harness_setup_cfg, .fini = harness_teardown);

/* The encoding (ENC_*) of key, which must exist and be a set. */
static int set_encoding_of(const char *key)
{
    struct db_entry *e = must_find(key);
    cr_assert_eq(e->type, OBJ_SET);
    return e->encoding;
}

/* SADD key prefix<from> .. prefix<from+n-1>, one member per call. */
static void add_range(const char *key, const char *prefix, int from, int n)
{
    for (int i = from; i < from + n; i++) {
        char m[32];
        snprintf(m, sizeof(m), "%s%d", prefix, i);
        EXPECT(":1\r\n", cmd_sadd, "SADD", key, m);
    }
}

static long long scard(const char *key)
{
    const char *r = RUN(cmd_scard, "SCARD", key);
    cr_assert_eq(r[0], ':');
    return atoll(r + 1);
}

/* Counts the bulk strings of a flat array reply and checks each is a member
 * of key (when key is not NULL). Returns the element count. */
static long long check_members_reply(const char *reply, const char *key, int distinct)
{
    char *copy = strdup(reply);
    cr_assert(copy[0] == '*' || copy[0] == '~', "%s", reply);
    long long n = atoll(copy + 1);
    char *p = strstr(copy, "\r\n") + 2;
    char **seen = calloc((size_t)n + 1, sizeof(char *));
    for (long long i = 0; i < n; i++) {
        cr_assert_eq(*p, '$');
        long len = atol(p + 1);
        p = strstr(p, "\r\n") + 2;
        char *member = strndup(p, (size_t)len);
        p += len + 2;
        if (distinct) {
            for (long long j = 0; j < i; j++)
                cr_assert_str_neq(seen[j], member);
        }
        seen[i] = member;
    }
    for (long long i = 0; i < n; i++) {
        if (key) {
            char *saved = strdup(seen[i]);
            EXPECT(":1\r\n", cmd_sismember, "SISMEMBER", key, saved);
            free(saved);
        }
        free(seen[i]);
    }
    free(seen);
    free(copy);
    return n;
}

Test(cmd_set, sadd_replies_and_intset)
{
    EXPECT(":3\r\n", cmd_sadd, "SADD", "s", "3", "1", "2");
    EXPECT(":0\r\n", cmd_sadd, "SADD", "s", "1");
    cr_assert_eq(set_encoding_of("s"), ENC_INTSET);
    EXPECT("*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", cmd_smembers, "SMEMBERS", "s");
    EXPECT(":1\r\n", cmd_sismember, "SISMEMBER", "s", "2");
    EXPECT(":0\r\n", cmd_sismember, "SISMEMBER", "s", "+2");
    EXPECT("*3\r\n:1\r\n:0\r\n:0\r\n", cmd_smismember, "SMISMEMBER", "s", "3", "4", "x");
    EXPECT(":3\r\n", cmd_scard, "SCARD", "s");
    EXPECT(":0\r\n", cmd_scard, "SCARD", "nope");
    EXPECT("*0\r\n", cmd_smembers, "SMEMBERS", "nope");
    ctx.resp = 3;
    EXPECT("~0\r\n", cmd_smembers, "SMEMBERS", "nope");
    EXPECT("~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", cmd_smembers, "SMEMBERS", "s");
}

Test(cmd_set, intset_to_listpack_to_hashtable)
{
    EXPECT(":2\r\n", cmd_sadd, "SADD", "s", "1", "2");
    EXPECT(":1\r\n", cmd_sadd, "SADD", "s", "a");
    cr_assert_eq(set_encoding_of("s"), ENC_LISTPACK);
    add_range("s", "m", 0, 125); /* 128 members: still a listpack */
    cr_assert_eq(set_encoding_of("s"), ENC_LISTPACK);
    EXPECT(":1\r\n", cmd_sadd, "SADD", "s", "one-more");
    cr_assert_eq(set_encoding_of("s"), ENC_HASHTABLE);
    cr_assert_eq(scard("s"), 129);
    EXPECT(":1\r\n", cmd_sismember, "SISMEMBER", "s", "1");
    EXPECT(":1\r\n", cmd_sismember, "SISMEMBER", "s", "m124");
    /* never back */
    for (int i = 0; i < 125; i++) {
        char m[16];
        snprintf(m, sizeof(m), "m%d", i);
        EXPECT(":1\r\n", cmd_srem, "SREM", "s", m);
    }
    cr_assert_eq(set_encoding_of("s"), ENC_HASHTABLE);
}

Test(cmd_set, thresholds_at_their_edges)
{
    cfg.set_max_intset_entries = 3;
    cfg.set_max_listpack_entries = 3;
    cfg.set_max_listpack_value = 4;
    add_range("i", "", 0, 3);
    cr_assert_eq(set_encoding_of("i"), ENC_INTSET);
    add_range("i", "", 3, 1);
    cr_assert_eq(set_encoding_of("i"), ENC_HASHTABLE); /* an intset overflows into a table */

    EXPECT(":3\r\n", cmd_sadd, "SADD", "l", "a", "b", "cccc");
    cr_assert_eq(set_encoding_of("l"), ENC_LISTPACK);
    EXPECT(":1\r\n", cmd_sadd, "SADD", "l2", "ccccc"); /* longer than the value limit */
    cr_assert_eq(set_encoding_of("l2"), ENC_HASHTABLE);
    EXPECT(":1\r\n", cmd_sadd, "SADD", "l", "d");
    cr_assert_eq(set_encoding_of("l"), ENC_HASHTABLE);

    /* a hint bigger than the thresholds makes a table at once */
    EXPECT(":4\r\n", cmd_sadd, "SADD", "h", "1", "2", "3", "4");
    cr_assert_eq(set_encoding_of("h"), ENC_HASHTABLE);
    /* an intset getting a string it can hold as a listpack */
    EXPECT(":2\r\n", cmd_sadd, "SADD", "x", "1", "2");
    EXPECT(":1\r\n", cmd_sadd, "SADD", "x", "abc");
    cr_assert_eq(set_encoding_of("x"), ENC_LISTPACK);
    /* ... or not, when its integers are too wide for the value limit */
    EXPECT(":1\r\n", cmd_sadd, "SADD", "y", "123456");
    EXPECT(":1\r\n", cmd_sadd, "SADD", "y", "a");
    cr_assert_eq(set_encoding_of("y"), ENC_HASHTABLE);
}

Test(cmd_set, srem_deletes_empty_key_and_wrongtype)
{
    EXPECT(":2\r\n", cmd_sadd, "SADD", "s", "a", "b");
    EXPECT(":1\r\n", cmd_srem, "SREM", "s", "a", "zz");
    EXPECT(":1\r\n", cmd_srem, "SREM", "s", "b", "a");
    cr_assert_null(find("s"));
    EXPECT(":0\r\n", cmd_srem, "SREM", "s", "b");
    struct db_entry *e = entry_new_string(key_hash("str", 3), "str", 3, "v", 1);
    db_insert(ctx.db, e);
    EXPECT(WRONGTYPE, cmd_sadd, "SADD", "str", "a");
    EXPECT(WRONGTYPE, cmd_srem, "SREM", "str", "a");
    EXPECT(WRONGTYPE, cmd_scard, "SCARD", "str");
    EXPECT(WRONGTYPE, cmd_smembers, "SMEMBERS", "str");
    EXPECT(WRONGTYPE, cmd_sismember, "SISMEMBER", "str", "a");
    EXPECT(WRONGTYPE, cmd_smismember, "SMISMEMBER", "str", "a");
    EXPECT(WRONGTYPE, cmd_sinter, "SINTER", "nope", "str");
    EXPECT(WRONGTYPE, cmd_sunion, "SUNION", "str");
    EXPECT(WRONGTYPE, cmd_sscan, "SSCAN", "str", "0");
    EXPECT("-ERR invalid cursor\r\n", cmd_sscan, "SSCAN", "str", "x");
    EXPECT("*2\r\n$1\r\n0\r\n*0\r\n", cmd_sscan, "SSCAN", "nope", "0", "COUNT", "0");
}

Test(cmd_set, spop_errors_and_small)
{
    EXPECT("-ERR value is out of range, must be positive\r\n", cmd_spop, "SPOP", "s", "-1");
    EXPECT("-ERR syntax error\r\n", cmd_spop, "SPOP", "s", "1", "2");
    EXPECT("$-1\r\n", cmd_spop, "SPOP", "s");
    EXPECT("*0\r\n", cmd_spop, "SPOP", "s", "1");
    EXPECT(":1\r\n", cmd_sadd, "SADD", "s", "7");
    EXPECT("*0\r\n", cmd_spop, "SPOP", "s", "0");
    EXPECT("$1\r\n7\r\n", cmd_spop, "SPOP", "s");
    cr_assert_null(find("s"));
    EXPECT(":2\r\n", cmd_sadd, "SADD", "s", "a", "b");
    check_members_reply(RUN(cmd_spop, "SPOP", "s", "10"), NULL, 1);
    cr_assert_null(find("s"));
}

/* SPOP count on sets of each encoding, sized so both strategies run: the
 * popped members and the remaining ones partition the original set. */
Test(cmd_set, spop_strategies_partition_the_set)
{
    const char *prefixes[] = {"", "m"};
    int sizes[] = {50, 400, 3000};
    int counts[] = {1, 10, 45, 49, 300, 2900};
    for (int p = 0; p < 2; p++) {
        for (int s = 0; s < 3; s++) {
            for (int k = 0; k < 6; k++) {
                if (counts[k] >= sizes[s])
                    continue;
                add_range("p", prefixes[p], 0, sizes[s]);
                char count[16];
                snprintf(count, sizeof(count), "%d", counts[k]);
                const char *r = RUN(cmd_spop, "SPOP", "p", count);
                char *copy = strdup(r);
                long long n = check_members_reply(copy, NULL, 1);
                cr_assert_eq(n, counts[k]);
                cr_assert_eq(scard("p"), sizes[s] - counts[k]);
                /* none of the popped is still there */
                char *q = strstr(copy, "\r\n") + 2;
                for (long long i = 0; i < n; i++) {
                    long len = atol(q + 1);
                    q = strstr(q, "\r\n") + 2;
                    char *member = strndup(q, (size_t)len);
                    q += len + 2;
                    EXPECT(":0\r\n", cmd_sismember, "SISMEMBER", "p", member);
                    free(member);
                }
                free(copy);
                struct db_entry *e = find("p");
                cr_assert_eq(entry_element_count(e), (size_t)(sizes[s] - counts[k]));
                db_delete(ctx.db, key_hash("p", 1), "p", 1);
            }
        }
    }
}

Test(cmd_set, srandmember_counts)
{
    EXPECT("-ERR value is not an integer or out of range\r\n", cmd_srandmember, "SRANDMEMBER", "s", "x");
    EXPECT("-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n",
           cmd_srandmember, "SRANDMEMBER", "s", "-9223372036854775808");
    EXPECT("*0\r\n", cmd_srandmember, "SRANDMEMBER", "s", "-3");
    EXPECT("$-1\r\n", cmd_srandmember, "SRANDMEMBER", "s");
    const char *prefixes[] = {"", "m"};
    int sizes[] = {20, 2000};
    for (int p = 0; p < 2; p++) {
        for (int s = 0; s < 2; s++) {
            add_range("r", prefixes[p], 0, sizes[s]);
            int counts[] = {1, 2, 7, sizes[s] / 2, sizes[s] - 1, sizes[s], sizes[s] * 2};
            for (int k = 0; k < 7; k++) {
                char count[16];
                snprintf(count, sizeof(count), "%d", counts[k]);
                long long n = check_members_reply(RUN(cmd_srandmember, "SRANDMEMBER", "r", count), "r", 1);
                cr_assert_eq(n, counts[k] < sizes[s] ? counts[k] : sizes[s]);
                snprintf(count, sizeof(count), "-%d", counts[k]);
                n = check_members_reply(RUN(cmd_srandmember, "SRANDMEMBER", "r", count), "r", 0);
                cr_assert_eq(n, counts[k]);
            }
            cr_assert_eq(scard("r"), sizes[s]);
            db_delete(ctx.db, key_hash("r", 1), "r", 1);
        }
    }
}

/* SRANDMEMBER on a hash table draws every member about equally often, one
 * per call (sdict_random) and with a negative count (a table of the nodes);
 * a random bucket then a random chain place drew members sharing a chain
 * half as often. 12 members in 16 buckets, 12000 draws: 1000 expected each,
 * standard deviation about 29, bounds more than 10 deviations wide. */
Test(cmd_set, srandmember_is_uniform_on_a_hashtable)
{
    cfg.set_max_listpack_entries = 0;
    enum { MEMBERS = 12, DRAWS = 12000 };
    add_range("s", "m", 0, MEMBERS);
    cr_assert_eq(set_encoding_of("s"), ENC_HASHTABLE);
    int one_by_one[MEMBERS] = {0}, by_count[MEMBERS] = {0};
    for (int i = 0; i < DRAWS; i++) {
        const char *r = RUN(cmd_srandmember, "SRANDMEMBER", "s");
        cr_assert(r[0] == '$' && r[4] == 'm', "%s", r);
        one_by_one[atoi(r + 5)]++;
    }
    const char *r = RUN(cmd_srandmember, "SRANDMEMBER", "s", "-12000");
    cr_assert_eq(atoll(r + 1), DRAWS);
    const char *p = strstr(r, "\r\n") + 2;
    for (int i = 0; i < DRAWS; i++) {
        p = strstr(p, "\r\n") + 2; /* past "$<len>": the member "m<n>" */
        cr_assert_eq(*p, 'm');
        by_count[atoi(p + 1)]++;
        p = strstr(p, "\r\n") + 2;
    }
    for (int i = 0; i < MEMBERS; i++) {
        cr_assert(one_by_one[i] > 700 && one_by_one[i] < 1300, "m%d drawn %d times of %d", i, one_by_one[i], DRAWS);
        cr_assert(by_count[i] > 700 && by_count[i] < 1300, "m%d drawn %d times of %d", i, by_count[i], DRAWS);
    }
}

Test(cmd_set, smove)
{
    EXPECT(":2\r\n", cmd_sadd, "SADD", "a", "1", "x");
    EXPECT(":1\r\n", cmd_smove, "SMOVE", "a", "b", "1");
    cr_assert_eq(set_encoding_of("b"), ENC_INTSET);
    EXPECT(":1\r\n", cmd_smove, "SMOVE", "a", "c", "x");
    cr_assert_null(find("a"));
    cr_assert_eq(set_encoding_of("c"), ENC_LISTPACK);
    EXPECT(":0\r\n", cmd_smove, "SMOVE", "a", "c", "x");
    EXPECT(":1\r\n", cmd_smove, "SMOVE", "c", "c", "x");
    EXPECT(":0\r\n", cmd_smove, "SMOVE", "c", "c", "y");
}

Test(cmd_set, store_results_take_the_smallest_encoding)
{
    add_range("big", "", 0, 1000);
    cr_assert_eq(set_encoding_of("big"), ENC_HASHTABLE);
    add_range("big2", "", 990, 1000);
    EXPECT(":10\r\n", cmd_sinterstore, "SINTERSTORE", "d", "big", "big2");
    cr_assert_eq(set_encoding_of("d"), ENC_INTSET);
    EXPECT(":1\r\n", cmd_sadd, "SADD", "strs", "a");
    EXPECT(":11\r\n", cmd_sunionstore, "SUNIONSTORE", "u", "d", "strs");
    cr_assert_eq(set_encoding_of("u"), ENC_LISTPACK);
    EXPECT(":990\r\n", cmd_sdiffstore, "SDIFFSTORE", "df", "big", "big2");
    cr_assert_eq(set_encoding_of("df"), ENC_HASHTABLE);
    EXPECT(":0\r\n", cmd_sdiffstore, "SDIFFSTORE", "df", "d", "big");
    cr_assert_null(find("df"));
    EXPECT(":0\r\n", cmd_sintercard, "SINTERCARD", "2", "d", "strs");
    EXPECT(":10\r\n", cmd_sintercard, "SINTERCARD", "2", "d", "big");
    EXPECT(":3\r\n", cmd_sintercard, "SINTERCARD", "2", "d", "big", "LIMIT", "3");
    EXPECT("-ERR numkeys should be greater than 0\r\n", cmd_sintercard, "SINTERCARD", "0", "d");
    EXPECT("-ERR Number of keys can't be greater than number of args\r\n", cmd_sintercard, "SINTERCARD", "3", "d", "x");
    EXPECT("-ERR LIMIT can't be negative\r\n", cmd_sintercard, "SINTERCARD", "1", "d", "LIMIT", "-2");
    EXPECT("-ERR syntax error\r\n", cmd_sintercard, "SINTERCARD", "1", "d", "LIMIT");
}

Test(cmd_set, hooks_dup_len_mem)
{
    add_range("i", "", 0, 10);
    add_range("l", "m", 0, 10);
    add_range("h", "m", 0, 300);
    const char *keys[] = {"i", "l", "h"};
    int encodings[] = {ENC_INTSET, ENC_LISTPACK, ENC_HASHTABLE};
    size_t sizes[] = {10, 10, 300};
    for (int k = 0; k < 3; k++) {
        struct db_entry *e = find(keys[k]);
        cr_assert_eq(e->encoding, encodings[k]);
        cr_assert_eq(set_value_len(e), sizes[k]);
        cr_assert_gt(set_value_mem(e), 0);
        struct db_entry *copy = entry_dup_with_key(e, key_hash("copy", 4), "copy", 4);
        cr_assert_eq(copy->encoding, e->encoding);
        cr_assert_eq(entry_element_count(copy), sizes[k]);
        db_insert(ctx.db, copy);
        EXPECT(":1\r\n", cmd_sadd, "SADD", "copy", "new");
        cr_assert_eq(scard(keys[k]), (long long)sizes[k]);
        db_delete(ctx.db, key_hash("copy", 4), "copy", 4);
    }
    /* 10 small integers: an intset of 2-byte members */
    cr_assert_leq(set_value_mem(find("i")), 8 + 10 * 2);
}

Test(cmd_set, sscan_table_returns_everything)
{
    add_range("h", "k", 0, 500);
    char cursor[32] = "0";
    long long total = 0;
    int calls = 0;
    do {
        const char *r = RUN(cmd_sscan, "SSCAN", "h", cursor, "COUNT", "20");
        cr_assert(strncmp(r, "*2\r\n$", 5) == 0, "%s", r);
        const char *p = strstr(r + 4, "\r\n") + 2;
        const char *end = strstr(p, "\r\n");
        snprintf(cursor, sizeof(cursor), "%.*s", (int)(end - p), p);
        total += check_members_reply(end + 2, NULL, 1);
        calls++;
    } while (strcmp(cursor, "0") != 0);
    cr_assert_geq(total, 500); /* a member may come twice across a resize, never zero times */
    cr_assert_gt(calls, 1);
    const char *r = RUN(cmd_sscan, "SSCAN", "h", "0", "MATCH", "k49?", "COUNT", "10000");
    cr_assert_eq(check_members_reply(strstr(r + 4, "\r\n*") + 2, "h", 1), 10);
}

/* A destination that has expired is absent: an empty result does not count
 * as deleting it (no key_modified), as Redis's lookup before setKey. */
Test(cmd_set, store_to_expired_destination)
{
    EXPECT(":1\r\n", cmd_sadd, "SADD", "a", "1");
    EXPECT(":1\r\n", cmd_sadd, "SADD", "d", "1");
    db_set_expire(ctx.db, find("d"), NOW - 1);
    ctx.modified = 0;
    EXPECT(":0\r\n", cmd_sinterstore, "SINTERSTORE", "d", "a", "nope");
    cr_assert_null(find("d"));
    cr_assert_eq(ctx.modified & (1ULL << 1), 0);
    EXPECT(":1\r\n", cmd_sadd, "SADD", "d", "1");
    db_set_expire(ctx.db, find("d"), NOW - 1);
    ctx.modified = 0;
    EXPECT(":0\r\n", cmd_sdiffstore, "SDIFFSTORE", "d", "a", "a");
    cr_assert_null(find("d"));
    cr_assert_eq(ctx.modified & (1ULL << 1), 0);
}
