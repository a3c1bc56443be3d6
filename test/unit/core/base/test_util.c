/*
 * test_util.c - unit tests for core/base/util.c: the number parsers and formatters
 * against the answers Redis 7.0 gives for the same text, the glob matcher
 * against Redis's KEYS/SCAN semantics, and the key-to-shard mapping (hash
 * tags, spread).
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/base/util.h"

/* ---- string2ll / string2ull / ll2string ---- */

static int parse_ll(const char *s, long long *v)
{
    return string2ll(s, strlen(s), v);
}

Test(string2ll, accepts_canonical_integers)
{
    static const struct {
        const char *text;
        long long value;
    } cases[] = {
        {"0", 0},
        {"1", 1},
        {"-1", -1},
        {"99", 99},
        {"-99", -99},
        {"9223372036854775807", LLONG_MAX},
        {"-9223372036854775808", LLONG_MIN},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long v = 12345;
        cr_assert_eq(parse_ll(cases[i].text, &v), 1, "\"%s\" refused", cases[i].text);
        cr_assert_eq(v, cases[i].value, "\"%s\" parsed as %lld", cases[i].text, v);
    }
}

Test(string2ll, refuses_what_redis_refuses)
{
    static const char *bad[] = {
        "",
        "-",
        "+1",
        " 1",
        "1 ",
        "01",
        "00",
        "-0",
        "-01",
        "1a",
        "a1",
        "1.0",
        "9223372036854775808",
        "-9223372036854775809",
        "18446744073709551616",
        "99999999999999999999",
        "-99999999999999999999",
        "000000000000000000001",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        long long v = 12345;
        cr_assert_eq(parse_ll(bad[i], &v), 0, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, 12345, "\"%s\" wrote the output on failure", bad[i]);
    }
}

Test(string2ll, respects_length_and_null_output)
{
    /* The length, not a NUL, ends the text. */
    long long v;
    cr_assert_eq(string2ll("123456", 3, &v), 1);
    cr_assert_eq(v, 123);
    cr_assert_eq(string2ll("12\0"
                           "3",
                           4, &v),
                 0);
    cr_assert_eq(string2ll("42", 2, NULL), 1);
}

Test(string2ull, strict_unsigned)
{
    unsigned long long v;
    cr_assert_eq(string2ull("18446744073709551615", 20, &v), 1);
    cr_assert_eq(v, ULLONG_MAX);
    cr_assert_eq(string2ull("0", 1, &v), 1);
    cr_assert_eq(v, 0);
    cr_assert_eq(string2ull("18446744073709551616", 20, &v), 0);
    cr_assert_eq(string2ull("-1", 2, &v), 0);
    cr_assert_eq(string2ull("+1", 2, &v), 0);
    cr_assert_eq(string2ull("01", 2, &v), 0);
    cr_assert_eq(string2ull("", 0, &v), 0);
}

Test(ll2string, round_trips_and_refuses_short_buffers)
{
    static const long long values[] = {0, 1, -1, 10, -10, 1234567890, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char buf[LONG_STR_SIZE], expect[64];
        int n = ll2string(buf, sizeof(buf), values[i]);
        snprintf(expect, sizeof(expect), "%lld", values[i]);
        cr_assert_str_eq(buf, expect);
        cr_assert_eq(n, (int)strlen(expect));
        long long back;
        cr_assert_eq(string2ll(buf, (size_t)n, &back), 1);
        cr_assert_eq(back, values[i]);
    }
    char small[3];
    cr_assert_eq(ll2string(small, sizeof(small), 123), 0);
    cr_assert_str_eq(small, "");
    cr_assert_eq(ll2string(small, sizeof(small), -12), 0);
    cr_assert_eq(ll2string(small, sizeof(small), 12), 2);
    cr_assert_str_eq(small, "12");

    char ubuf[LONG_STR_SIZE];
    cr_assert_eq(ull2string(ubuf, sizeof(ubuf), ULLONG_MAX), 20);
    cr_assert_str_eq(ubuf, "18446744073709551615");
}

/* ---- string2ld / ld2string_human (INCRBYFLOAT) ---- */

/* What INCRBYFLOAT replies for `value` + `increment`, or NULL on a parse error. */
static const char *incrbyfloat(const char *value, const char *increment, char *out, size_t outlen)
{
    long double a, b;
    if (!string2ld(value, strlen(value), &a) || !string2ld(increment, strlen(increment), &b))
        return NULL;
    int n = ld2string_human(out, outlen, a + b);
    return n > 0 ? out : NULL;
}

Test(string2ld, incrbyfloat_examples_from_redis_docs)
{
    char out[MAX_LONG_DOUBLE_CHARS];
    cr_assert_str_eq(incrbyfloat("10.50", "0.1", out, sizeof(out)), "10.6");
    cr_assert_str_eq(incrbyfloat("10.5", "0.1", out, sizeof(out)), "10.6");
    cr_assert_str_eq(incrbyfloat("10.6", "-5", out, sizeof(out)), "5.6");
    cr_assert_str_eq(incrbyfloat("5.0e3", "2.0e2", out, sizeof(out)), "5200");
    cr_assert_str_eq(incrbyfloat("0", "3.0", out, sizeof(out)), "3");
    cr_assert_str_eq(incrbyfloat("1", "-1", out, sizeof(out)), "0");
}

Test(string2ld, accepts_and_refuses_like_redis)
{
    long double v;
    cr_assert_eq(string2ld("1.5", 3, &v), 1);
    cr_assert(v == 1.5L);
    cr_assert_eq(string2ld("-.5", 3, &v), 1);
    cr_assert(v == -0.5L);
    cr_assert_eq(string2ld("1e3", 3, &v), 1);
    cr_assert(v == 1000.0L);
    cr_assert_eq(string2ld("+2", 2, &v), 1);
    cr_assert(v == 2.0L);
    /* strtold's "inf" passes; INCRBYFLOAT rejects the infinite sum itself. */
    cr_assert_eq(string2ld("inf", 3, &v), 1);
    cr_assert(isinf(v));

    static const char *bad[] = {"",     " 1",  "\t1",      "1 ",        "1x",        "nan",
                                "-nan", "NaN", "1e999999", "-1e999999", "1e-999999", "abc"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(string2ld(bad[i], strlen(bad[i]), &v), 0, "\"%s\" accepted", bad[i]);

    cr_assert_eq(string2ld("1\0"
                           "2",
                           3, &v),
                 0, "embedded NUL accepted");
    cr_assert_eq(string2ld("2.5junk", 3, &v), 1, "length not honoured");
    cr_assert(v == 2.5L);
}

Test(string2ld, length_limit)
{
    /* A long but valid number: "000...01.5". Redis's buffer holds
     * MAX_LONG_DOUBLE_CHARS - 1 characters plus the NUL. */
    size_t limit = MAX_LONG_DOUBLE_CHARS;
    char *text = malloc(limit + 1);
    cr_assert_not_null(text);
    memset(text, '0', limit);
    memcpy(text + limit - 4, "1.5", 3);
    long double v;
    cr_assert_eq(string2ld(text, limit - 1, &v), 1);
    cr_assert(v == 1.5L);
    cr_assert_eq(string2ld(text, limit, &v), 0);
    free(text);
}

Test(ld2string_human, formats)
{
    char buf[MAX_LONG_DOUBLE_CHARS];
    cr_assert_eq(ld2string_human(buf, sizeof(buf), 3.0L), 1);
    cr_assert_str_eq(buf, "3");
    ld2string_human(buf, sizeof(buf), -0.0L);
    cr_assert_str_eq(buf, "0");
    ld2string_human(buf, sizeof(buf), -2.5L);
    cr_assert_str_eq(buf, "-2.5");
    ld2string_human(buf, sizeof(buf), 100.0L);
    cr_assert_str_eq(buf, "100", "zeros before the point must stay");
    ld2string_human(buf, sizeof(buf), 1e20L);
    cr_assert_str_eq(buf, "100000000000000000000");
    /* Values too small for 17 decimals print as 0 in Redis too. */
    ld2string_human(buf, sizeof(buf), 1e-20L);
    cr_assert_str_eq(buf, "0");
    ld2string_human(buf, sizeof(buf), -1e-20L);
    cr_assert_str_eq(buf, "0");

    cr_assert_eq(ld2string_human(buf, sizeof(buf), (long double)INFINITY), 0);
    cr_assert_eq(ld2string_human(buf, sizeof(buf), -(long double)INFINITY), 0);
    cr_assert_eq(ld2string_human(buf, sizeof(buf), (long double)NAN), 0);

    char small[4];
    cr_assert_eq(ld2string_human(small, sizeof(small), 3.0L), 0, "\"3.00000000000000000\" does not fit");
}

/* ---- string2d / d2string ---- */

Test(string2d, accepts_and_refuses_like_redis)
{
    double v;
    cr_assert_eq(string2d("1.5", 3, &v), 1);
    cr_assert(v == 1.5);
    cr_assert_eq(string2d("inf", 3, &v), 1);
    cr_assert(isinf(v) && v > 0);
    cr_assert_eq(string2d("+inf", 4, &v), 1);
    cr_assert(isinf(v) && v > 0);
    cr_assert_eq(string2d("-inf", 4, &v), 1);
    cr_assert(isinf(v) && v < 0);
    cr_assert_eq(string2d("-0", 2, &v), 1);
    cr_assert(v == 0 && signbit(v));
    cr_assert_eq(string2d("4.9e-324", 8, &v), 1, "denormals are accepted");

    static const char *bad[] = {"", " 1", "\n1", "1 ", "1x", "nan", "-nan", "1e400", "-1e400", "1e-400", "x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(string2d(bad[i], strlen(bad[i]), &v), 0, "\"%s\" accepted", bad[i]);
    cr_assert_eq(string2d("7\0"
                          "1",
                          3, &v),
                 0, "embedded NUL accepted");
    cr_assert_eq(string2d("7.25xyz", 4, &v), 1, "length not honoured");
    cr_assert(v == 7.25);
}

Test(string2d, long_input_goes_through_the_heap_path)
{
    char text[600];
    memset(text, '0', sizeof(text));
    text[sizeof(text) - 1] = '7';
    double v;
    cr_assert_eq(string2d(text, sizeof(text), &v), 1);
    cr_assert(v == 7.0);
    text[0] = ' ';
    cr_assert_eq(string2d(text, sizeof(text), &v), 0);
}

static const char *d2s(double v)
{
    static char buf[MAX_D2STRING_CHARS];
    int n = d2string(buf, sizeof(buf), v);
    cr_assert_eq(n, (int)strlen(buf));
    return buf;
}

Test(d2string, formats_like_redis)
{
    cr_assert_str_eq(d2s(1.5), "1.5");
    cr_assert_str_eq(d2s(3.0), "3");
    cr_assert_str_eq(d2s(-3.0), "-3");
    cr_assert_str_eq(d2s(0.1), "0.10000000000000001");
    cr_assert_str_eq(d2s(INFINITY), "inf");
    cr_assert_str_eq(d2s(-INFINITY), "-inf");
    cr_assert_str_eq(d2s(NAN), "nan");
    cr_assert_str_eq(d2s(0.0), "0");
    cr_assert_str_eq(d2s(-0.0), "-0");
    cr_assert_str_eq(d2s(1e15), "1000000000000000");
    /* 2^52 itself is outside Redis's integer window: "%.17g". */
    cr_assert_str_eq(d2s(4503599627370495.0), "4503599627370495");
    cr_assert_str_eq(d2s(4503599627370496.0), "4503599627370496");
    cr_assert_str_eq(d2s(-4503599627370494.0), "-4503599627370494");
    cr_assert_str_eq(d2s(1e17), "1e+17");
    cr_assert_str_eq(d2s(1.5e300), "1.5000000000000001e+300");

    char tiny[2];
    cr_assert_eq(d2string(tiny, sizeof(tiny), 1.5), 0);
}

Test(d2string, round_trips_through_string2d)
{
    static const double values[] = {0.1, -2.75, 1e-300, 123456789.125, 1.7976931348623157e308, 5e-324};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char buf[MAX_D2STRING_CHARS];
        int n = d2string(buf, sizeof(buf), values[i]);
        double back;
        cr_assert_eq(string2d(buf, (size_t)n, &back), 1, "\"%s\" not parsed back", buf);
        cr_assert(back == values[i], "\"%s\" changed the value", buf);
    }
}

/* ---- stringmatchlen ---- */

struct glob_case {
    const char *pattern;
    const char *string;
    int nocase;
    int match;
};

Test(stringmatchlen, table)
{
    static const struct glob_case cases[] = {
        /* the KEYS documentation's examples */
        {"h?llo", "hello", 0, 1},
        {"h?llo", "hallo", 0, 1},
        {"h?llo", "hxllo", 0, 1},
        {"h?llo", "hllo", 0, 0},
        {"h*llo", "hllo", 0, 1},
        {"h*llo", "heeeello", 0, 1},
        {"h*llo", "hello world", 0, 0},
        {"h[ae]llo", "hello", 0, 1},
        {"h[ae]llo", "hallo", 0, 1},
        {"h[ae]llo", "hillo", 0, 0},
        {"h[^e]llo", "hallo", 0, 1},
        {"h[^e]llo", "hbllo", 0, 1},
        {"h[^e]llo", "hello", 0, 0},
        {"h[a-b]llo", "hallo", 0, 1},
        {"h[a-b]llo", "hbllo", 0, 1},
        {"h[a-b]llo", "hcllo", 0, 0},
        /* reversed ranges are swapped */
        {"h[b-a]llo", "hallo", 0, 1},
        {"[0-9]", "5", 0, 1},
        {"[0-9]", "a", 0, 0},
        {"[^0-9]", "a", 0, 1},
        /* stars */
        {"*", "anything", 0, 1},
        {"*", "", 0, 0}, /* Redis: the empty string never reaches a '*' */
        {"", "", 0, 1},
        {"", "a", 0, 0},
        {"a", "", 0, 0},
        {"a*", "a", 0, 1},
        {"a**", "a", 0, 1},
        {"a*b*c", "aXXbYYc", 0, 1},
        {"a*b*c", "aXXbYY", 0, 0},
        {"*.txt", "notes.txt", 0, 1},
        {"*.txt", "notes.txt.bak", 0, 0},
        {"**x", "abx", 0, 1},
        {"user:*:name", "user:1000:name", 0, 1},
        /* escapes */
        {"h\\*llo", "h*llo", 0, 1},
        {"h\\*llo", "hello", 0, 0},
        {"h\\?llo", "h?llo", 0, 1},
        {"h\\?llo", "hello", 0, 0},
        {"\\[a]", "[a]", 0, 1},
        {"\\[a]", "a", 0, 0},
        {"a\\", "a\\", 0, 1}, /* a trailing backslash matches itself */
        {"[\\]]", "]", 0, 1},
        {"[\\-]", "-", 0, 1},
        {"[a\\-z]", "b", 0, 0},
        {"[a\\-z]", "-", 0, 1},
        {"[\\^a]", "^", 0, 1},
        /* class edge cases */
        {"[abc", "a", 0, 1},  /* unterminated class still matches */
        {"[abc", "ab", 0, 0}, /* ...but consumes the rest of the pattern */
        {"[", "a", 0, 0},
        {"[^", "a", 0, 1},
        {"[]", "a", 0, 0},
        {"[a-]", "-", 0, 0}, /* "a-]" is the range ]..a, and the class is unterminated */
        {"[a-]", "]", 0, 1},
        {"[-a]", "-", 0, 1},
        {"[]a]", "a", 0, 0}, /* ']' right after '[' closes the class */
        /* case folding */
        {"HELLO", "hello", 0, 0},
        {"HELLO", "hello", 1, 1},
        {"h?LLO", "HeLlO", 1, 1},
        {"h[AE]llo", "HeLLO", 1, 1},
        {"h[A-C]llo", "hbllo", 1, 1},
        {"h[a-c]llo", "HBLLO", 1, 1},
        {"h[^E]llo", "hello", 1, 0},
        {"[\\E]", "e", 1, 0}, /* an escaped byte in a class compares exactly */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct glob_case *c = &cases[i];
        int got = stringmatchlen(c->pattern, strlen(c->pattern), c->string, strlen(c->string), c->nocase);
        cr_expect_eq(got, c->match, "pattern \"%s\" string \"%s\" nocase %d: got %d", c->pattern, c->string, c->nocase,
                     got);
    }
}

Test(stringmatchlen, binary_and_not_nul_terminated)
{
    /* Lengths, not NULs, end both sides. */
    cr_assert_eq(stringmatchlen("a?c", 3, "a\0c", 3, 0), 1);
    cr_assert_eq(stringmatchlen("a*xyz", 2, "abc", 3, 0), 1);
    cr_assert_eq(stringmatchlen("abc", 3, "abcdef", 3, 0), 1);
    cr_assert_eq(stringmatchlen("[a", 2, "a]", 1, 0), 1);
    /* x86-64 Redis compares signed chars, so [a-\xff] is [\xff-a]. */
    cr_assert_eq(stringmatchlen("[a-\xff]", 5, "\xff", 1, 0), 1);
    cr_assert_eq(stringmatchlen("[a-\xff]", 5, "0", 1, 0), 1);
    cr_assert_eq(stringmatchlen("[a-\xff]", 5, "b", 1, 0), 0);
}

Test(stringmatchlen, adversarial_patterns_finish)
{
    /* Without the "give up" rule this is exponential (Redis CVE-2022-36021). */
    char string[4096], pattern[256];
    memset(string, 'a', sizeof(string));
    size_t p = 0;
    for (int i = 0; i < 40; i++) {
        pattern[p++] = 'a';
        pattern[p++] = '*';
    }
    pattern[p++] = 'b';
    cr_assert_eq(stringmatchlen(pattern, p, string, sizeof(string), 0), 0);

    /* Recursion is bounded: past 1000 nested stars the answer is "no". */
    size_t many = 3000;
    char *stars = malloc(many * 2);
    char *text = malloc(many);
    cr_assert(stars && text);
    for (size_t i = 0; i < many; i++) {
        stars[2 * i] = 'a';
        stars[2 * i + 1] = '*';
        text[i] = 'a';
    }
    cr_assert_eq(stringmatchlen(stars, many * 2, text, many, 0), 0);
    cr_assert_eq(stringmatchlen(stars, 200 * 2, text, many, 0), 1);
    free(stars);
    free(text);
}

/* ---- arg_is ---- */

Test(arg_is, ascii_case_insensitive)
{
    struct arg a = {"GeT", 3};
    cr_assert_eq(arg_is(&a, "get"), 1);
    cr_assert_eq(arg_is(&a, "GET"), 1);
    cr_assert_eq(arg_is(&a, "ge"), 0);
    cr_assert_eq(arg_is(&a, "gets"), 0);
    struct arg longer = {"GETX", 3}; /* not NUL-terminated where it ends */
    cr_assert_eq(arg_is(&longer, "get"), 1);
    struct arg empty = {"", 0};
    cr_assert_eq(arg_is(&empty, ""), 1);
    cr_assert_eq(arg_is(&empty, "x"), 0);
    struct arg bracket = {"[", 1}; /* '[' is 'A' - 32 + ..., not a letter */
    cr_assert_eq(arg_is(&bracket, "{"), 0);
}

/* ---- clocks ---- */

Test(clocks, consistent_units)
{
    int64_t ms = mstime();
    int64_t us = ustime();
    /* After 2020 and consistent with each other (ms read first). */
    cr_assert_gt(ms, 1577836800000LL);
    cr_assert_geq(us / 1000, ms);
    int64_t m1 = monotonic_us();
    int64_t m2 = monotonic_us();
    cr_assert_geq(m2, m1);
}

/* ---- key hashing and sharding ---- */

static int shard_of(const char *key, int nshards)
{
    return key_shard(key, strlen(key), key_hash(key, strlen(key)), nshards);
}

static int shard_of_hash(uint64_t h, int nshards)
{
    return (int)(((unsigned __int128)h * (unsigned)nshards) >> 64);
}

Test(key_hash, is_xxh3)
{
    cr_assert_eq(key_hash("foo", 3), XXH3_64bits("foo", 3));
    cr_assert_eq(key_hash("", 0), XXH3_64bits("", 0));
}

Test(key_shard, hash_tags_follow_redis_cluster)
{
    for (int n = 2; n <= 64; n *= 2) {
        cr_assert_eq(shard_of("{user1000}.following", n), shard_of("{user1000}.followers", n));
        cr_assert_eq(shard_of("{user1000}.following", n), shard_of_hash(XXH3_64bits("user1000", 8), n));
    }
    /* Empty first tag: the whole key is hashed, i.e. the given hash is used. */
    const char *k = "foo{}{bar}";
    uint64_t h = XXH3_64bits(k, strlen(k));
    for (int n = 2; n <= 64; n++)
        cr_assert_eq(key_shard(k, strlen(k), h, n), shard_of_hash(h, n));
    /* The tag runs from the first '{' to the first '}' after it. */
    k = "foo{{bar}}zap";
    for (int n = 2; n <= 64; n++)
        cr_assert_eq(shard_of(k, n), shard_of_hash(XXH3_64bits("{bar", 4), n));
    k = "foo{bar}{zap}";
    for (int n = 2; n <= 64; n++)
        cr_assert_eq(shard_of(k, n), shard_of_hash(XXH3_64bits("bar", 3), n));
    /* No closing brace, or no brace: the whole key. */
    static const char *whole[] = {"foo{bar", "foo}bar{", "plain", "", "{"};
    for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
        k = whole[i];
        h = XXH3_64bits(k, strlen(k));
        for (int n = 2; n <= 64; n++)
            cr_assert_eq(key_shard(k, strlen(k), h, n), shard_of_hash(h, n), "key \"%s\"", k);
    }
    /* The tag must be inside the key's length. */
    cr_assert_eq(key_shard("ab{x}", 3, 7, 4), shard_of_hash(7, 4));
}

Test(key_shard, single_shard_and_range)
{
    cr_assert_eq(shard_of("anything", 1), 0);
    cr_assert_eq(key_shard("k", 1, UINT64_MAX, 7), 6);
    cr_assert_eq(key_shard("k", 1, 0, 7), 0);
}

Test(key_shard, spreads_keys_evenly)
{
    enum { KEYS = 100000, SHARDS = 4 };
    int count[SHARDS] = {0};
    for (int i = 0; i < KEYS; i++) {
        char key[32];
        int n = snprintf(key, sizeof(key), "key:%d", i);
        int s = key_shard(key, (size_t)n, key_hash(key, (size_t)n), SHARDS);
        cr_assert(s >= 0 && s < SHARDS);
        count[s]++;
    }
    /* Each shard within 5% (relative) of its fair share. */
    for (int s = 0; s < SHARDS; s++) {
        cr_expect(count[s] >= KEYS / SHARDS * 95 / 100 && count[s] <= KEYS / SHARDS * 105 / 100,
                  "shard %d got %d of %d keys", s, count[s], KEYS);
    }
}
