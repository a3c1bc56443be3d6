/*
 * util.c - number parsing/formatting, glob matching, clocks and key hashing,
 * see util.h.
 *
 * Everything here is a pure function of its arguments (the clocks excepted),
 * so any thread may call it. The parsers and formatters follow Redis 7.0's
 * util.c rule for rule because clients see their results directly: whether
 * "+1" or "01" is an integer, how INCRBYFLOAT prints 10.6, which keys a
 * pattern selects. Where Redis reads one byte past the end of an sds (relying
 * on its NUL terminator), we check the length instead: our arguments point
 * into receive buffers and are not NUL-terminated. The results are the same.
 *
 * Sharding: a key belongs to fastrange(xxh3(tag), nshards), where tag is the
 * Redis Cluster hash tag when there is one, else the whole key. Keys that
 * share a tag therefore live on one shard, which is what multi-key commands
 * rely on.
 */
#include "core/base/util.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

/* ---- integers ---- */

/*
 * Parses the digits of an unsigned decimal with Redis's strictness: at least
 * one digit, first digit 1-9 unless the whole text is "0", digits only, no
 * overflow of unsigned long long. Returns 1 on success.
 */
static int parse_strict_digits(const char *s, size_t len, unsigned long long *out)
{
    if (len == 0)
        return 0;
    if (len == 1 && s[0] == '0') {
        *out = 0;
        return 1;
    }
    if (s[0] < '1' || s[0] > '9')
        return 0;
    unsigned long long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        unsigned digit = (unsigned)(s[i] - '0');
        if (v > ULLONG_MAX / 10)
            return 0;
        v *= 10;
        if (v > ULLONG_MAX - digit)
            return 0;
        v += digit;
    }
    *out = v;
    return 1;
}

int string2ll(const char *s, size_t len, long long *value)
{
    /* Redis refuses anything as long as LONG_STR_SIZE before looking at it:
     * the longest valid text, "-9223372036854775808", is 20 bytes. */
    if (len == 0 || len >= LONG_STR_SIZE)
        return 0;
    int negative = s[0] == '-';
    unsigned long long magnitude;
    /* "-0" is refused: after the sign the first digit must be 1-9. */
    if (negative) {
        if (len == 1 || s[1] == '0')
            return 0;
    }
    if (!parse_strict_digits(s + negative, len - (size_t)negative, &magnitude))
        return 0;
    long long result;
    if (negative) {
        if (magnitude > (unsigned long long)LLONG_MAX + 1)
            return 0;
        /* -(LLONG_MAX + 1) is representable although +(LLONG_MAX + 1) is not. */
        result = magnitude == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN : -(long long)magnitude;
    } else {
        if (magnitude > (unsigned long long)LLONG_MAX)
            return 0;
        result = (long long)magnitude;
    }
    if (value)
        *value = result;
    return 1;
}

int string2ull(const char *s, size_t len, unsigned long long *value)
{
    unsigned long long v;
    if (len >= LONG_STR_SIZE)
        return 0;
    if (!parse_strict_digits(s, len, &v))
        return 0;
    if (value)
        *value = v;
    return 1;
}

int ull2string(char *dst, size_t dstlen, unsigned long long v)
{
    char tmp[LONG_STR_SIZE];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    /* Like Redis: no room for the digits and the NUL means "0 bytes written". */
    if (n >= dstlen) {
        if (dstlen > 0)
            dst[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = tmp[n - 1 - i];
    dst[n] = '\0';
    return (int)n;
}

int ll2string(char *dst, size_t dstlen, long long v)
{
    if (v >= 0)
        return ull2string(dst, dstlen, (unsigned long long)v);
    /* The magnitude of LLONG_MIN only fits in the unsigned type. */
    unsigned long long magnitude = (unsigned long long)(-(v + 1)) + 1;
    if (dstlen < 2) {
        if (dstlen > 0)
            dst[0] = '\0';
        return 0;
    }
    int n = ull2string(dst + 1, dstlen - 1, magnitude);
    if (n == 0) {
        dst[0] = '\0';
        return 0;
    }
    dst[0] = '-';
    return n + 1;
}

/* ---- floating point ---- */

int string2ld(const char *s, size_t len, long double *value)
{
    /* Same bound as Redis's stack buffer of MAX_LONG_DOUBLE_CHARS bytes,
     * which must also hold the NUL strtold needs. */
    char buf[MAX_LONG_DOUBLE_CHARS];
    if (len == 0 || len >= sizeof(buf))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';

    /* strtold would skip leading spaces; Redis does not accept them. */
    if (isspace((unsigned char)buf[0]))
        return 0;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != len)
        return 0; /* trailing garbage or an embedded NUL */
    /* Overflow to infinity and underflow to zero are errors; a denormal result
     * (ERANGE but neither) is accepted, as in Redis. Literal "inf" is not an
     * error here: INCRBYFLOAT refuses the infinite result afterwards. */
    if (errno == ERANGE && (isinf(v) || v == 0))
        return 0;
    if (errno == EINVAL || isnan(v))
        return 0;
    if (value)
        *value = v;
    return 1;
}

int string2d(const char *s, size_t len, double *value)
{
    /* Redis parses the NUL-terminated sds in place and has no length limit;
     * we copy, to the stack for ordinary lengths. */
    char small[128];
    char *buf = small;
    if (len == 0)
        return 0;
    if (len >= sizeof(small)) {
        buf = malloc(len + 1);
        if (!buf)
            return 0;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';

    int ok = 0;
    if (!isspace((unsigned char)buf[0])) {
        char *end;
        errno = 0;
        double v = strtod(buf, &end);
        ok = (size_t)(end - buf) == len && !(errno == ERANGE && (isinf(v) || v == 0)) && !isnan(v);
        if (ok && value)
            *value = v;
    }
    if (buf != small)
        free(buf);
    return ok;
}

int ld2string_human(char *buf, size_t len, long double value)
{
    if (len == 0)
        return 0;
    if (isinf(value) || isnan(value)) {
        buf[0] = '\0';
        return 0;
    }
    /* 17 digits after the point: with the x87 80-bit long double this prints
     * most short decimals the way the user typed them (10.5 + 0.1 = 10.6). */
    int n = snprintf(buf, len, "%.17Lf", value);
    if (n < 0 || (size_t)n + 1 > len) {
        buf[0] = '\0';
        return 0;
    }
    size_t l = (size_t)n;
    if (memchr(buf, '.', l)) {
        while (buf[l - 1] == '0')
            l--;
        if (buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    buf[l] = '\0';
    return (int)l;
}

/* snprintf into buf; 0 (and an empty string) when the text does not fit. */
static int format_fitting(char *buf, size_t len, const char *text)
{
    size_t n = strlen(text);
    if (n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    memcpy(buf, text, n + 1);
    return (int)n;
}

int d2string(char *buf, size_t len, double value)
{
    if (isnan(value))
        return format_fitting(buf, len, "nan");
    if (isinf(value))
        return format_fitting(buf, len, value < 0 ? "-inf" : "inf");
    if (value == 0)
        return format_fitting(buf, len, signbit(value) ? "-0" : "0");

    /* Redis prints integral values strictly between -(2^52 - 1) and 2^52
     * through the integer formatter, so 3.0 is "3" and not "3.0000000000000000".
     * The bounds are Redis's own (asymmetric) ones. */
    const double min = -4503599627370495.0;
    const double max = 4503599627370496.0;
    if (value > min && value < max && value == (double)(long long)value)
        return ll2string(buf, len, (long long)value);

    int n = snprintf(buf, len, "%.17g", value);
    if (n < 0 || (size_t)n >= len) {
        if (len > 0)
            buf[0] = '\0';
        return 0;
    }
    return n;
}

/* ---- glob matching ---- */

/* ASCII only: Redis never sets LC_CTYPE, so its tolower() is the C locale's. */
static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * Redis compares pattern and key bytes as plain `char`, which is signed on
 * x86-64 (and unsigned on arm64). Only range classes that mix ASCII and
 * bytes >= 0x80, such as "[a-\xff]", notice the difference; we give the
 * x86-64 answer, the platform nearly every Redis runs on.
 */
static int byte_value(char c)
{
    return (signed char)c;
}

/*
 * The matcher proper. `give_up` is set once some '*' has tried the rest of
 * the pattern at every position of the rest of the string without success:
 * an earlier '*' consuming more bytes cannot help then, because it would need
 * the same rest to match starting even later. This keeps patterns like
 * "a*a*a*a*b" linear-ish instead of exponential. `depth` bounds the recursion
 * (one level per '*'), as Redis does since 7.0.15: past 1000 the answer is
 * "no match".
 */
static int glob_match(const char *pattern, size_t plen, const char *string, size_t slen, int nocase, int *give_up,
                      int depth)
{
    if (depth > 1000)
        return 0;

    while (plen && slen) {
        switch (pattern[0]) {
        case '*':
            while (plen >= 2 && pattern[1] == '*') {
                pattern++;
                plen--;
            }
            if (plen == 1)
                return 1; /* a trailing '*' takes the rest of the string */
            while (slen) {
                if (glob_match(pattern + 1, plen - 1, string, slen, nocase, give_up, depth + 1))
                    return 1;
                if (*give_up)
                    return 0;
                string++;
                slen--;
            }
            *give_up = 1;
            return 0;
        case '?':
            string++;
            slen--;
            break;
        case '[': {
            pattern++;
            plen--;
            int negate = plen > 0 && pattern[0] == '^';
            if (negate) {
                pattern++;
                plen--;
            }
            int match = 0;
            for (;;) {
                if (plen == 0) {
                    /* Unterminated class: step back so that the common
                     * "advance one pattern byte" below ends exactly at the
                     * end of the pattern. */
                    pattern--;
                    plen++;
                    break;
                }
                if (plen >= 2 && pattern[0] == '\\') {
                    /* Escaped byte inside a class: always case-sensitive. */
                    pattern++;
                    plen--;
                    if (pattern[0] == string[0])
                        match = 1;
                } else if (pattern[0] == ']') {
                    break;
                } else if (plen >= 3 && pattern[1] == '-') {
                    int start = byte_value(pattern[0]);
                    int end = byte_value(pattern[2]);
                    int c = byte_value(string[0]);
                    if (start > end) {
                        int t = start;
                        start = end;
                        end = t;
                    }
                    if (nocase) {
                        start = ascii_lower(start);
                        end = ascii_lower(end);
                        c = ascii_lower(c);
                    }
                    pattern += 2;
                    plen -= 2;
                    if (c >= start && c <= end)
                        match = 1;
                } else if (nocase ? ascii_lower(byte_value(pattern[0])) == ascii_lower(byte_value(string[0]))
                                  : pattern[0] == string[0]) {
                    match = 1;
                }
                pattern++;
                plen--;
            }
            if (negate)
                match = !match;
            if (!match)
                return 0;
            string++;
            slen--;
            break;
        }
        case '\\':
            /* A trailing lone backslash matches itself. */
            if (plen >= 2) {
                pattern++;
                plen--;
            }
            /* fall through */
        default:
            if (nocase ? ascii_lower(byte_value(pattern[0])) != ascii_lower(byte_value(string[0]))
                       : pattern[0] != string[0])
                return 0;
            string++;
            slen--;
            break;
        }
        pattern++;
        plen--;
        if (slen == 0) {
            /* Trailing stars match the empty rest of the string. */
            while (plen && pattern[0] == '*') {
                pattern++;
                plen--;
            }
            break;
        }
    }
    /* An empty string against "*" ends here with plen == 1: no match, as in
     * Redis (KEYS and SCAN special-case the pattern "*" before matching). */
    return plen == 0 && slen == 0;
}

int stringmatchlen(const char *pattern, size_t patternlen, const char *string, size_t stringlen, int nocase)
{
    int give_up = 0;
    return glob_match(pattern, patternlen, string, stringlen, nocase, &give_up, 0);
}

int arg_is(const struct arg *a, const char *literal)
{
    size_t n = strlen(literal);
    if (a->len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (ascii_lower((unsigned char)a->ptr[i]) != ascii_lower((unsigned char)literal[i]))
            return 0;
    }
    return 1;
}

/* ---- clocks ---- */

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t mstime(void)
{
    return ustime() / 1000;
}

int64_t ustime(void)
{
    return clock_us(CLOCK_REALTIME);
}

int64_t monotonic_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

/* ---- key hashing ---- */

uint64_t key_hash(const char *key, size_t len)
{
    return XXH3_64bits(key, len);
}

int key_shard(const char *key, size_t len, uint64_t hash, int nshards)
{
    if (nshards <= 1)
        return 0;
    /* Redis Cluster's hash tag: the bytes between the first '{' and the first
     * '}' after it, when there is at least one. "foo{}{bar}" has no tag (the
     * first braces are empty) and "foo{{bar}}" has the tag "{bar". */
    const char *open = len ? memchr(key, '{', len) : NULL;
    if (open) {
        size_t after = (size_t)(open - key) + 1;
        const char *close = memchr(open + 1, '}', len - after);
        if (close && close > open + 1)
            hash = XXH3_64bits(open + 1, (size_t)(close - open - 1));
    }
    /* Lemire's fastrange: the high half of hash * n is uniform on [0, n)
     * without a division. */
    return (int)(uint32_t)(((unsigned __int128)hash * (uint32_t)nshards) >> 64);
}

static uint64_t reverse_bits(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
}

uint64_t scan_cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = reverse_bits(v);
    v++;
    return reverse_bits(v);
}

void out_of_memory(size_t size)
{
    fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size);
    if (!p)
        out_of_memory(size);
    return p;
}
