/*
 * test_resp.c - unit tests for core/base/resp.c.
 *
 * Parser: a set of sample commands (multibulk and inline, binary bulks with
 * NUL and CRLF inside, empty strings, Redis's inline quoting) is parsed whole,
 * cut at every byte, and streamed as a pipeline in every chunk size the way
 * the connection feeds it (honouring *needed). Every protocol error is checked
 * with Redis's exact message, and every prefix of an erroneous input must be
 * INCOMPLETE or the same error. Each parse works on an exactly sized heap copy
 * so that ASan catches any read past `len`.
 *
 * Writer: every reply_* function, byte-exact, in RESP2 and RESP3.
 */
#include <criterion/criterion.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"

#define BYTES(s) s, sizeof(s) - 1
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct resp_limits default_limits = {.max_bulk_len = 512LL * 1024 * 1024, .max_multibulk = INT_MAX};

/* Printable form of bytes for failure messages (caller frees). */
static char *escape(const char *p, size_t len)
{
    char *out = malloc(len * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') {
            memcpy(out + o, "\\r", 2);
            o += 2;
        } else if (c == '\n') {
            memcpy(out + o, "\\n", 2);
            o += 2;
        } else if (c < 32 || c >= 127 || c == '\\') {
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

/* One parse of an exactly sized heap copy of data[0, len). The copy stays
 * alive (argv may point into it) until parsed_done(). */
struct parsed {
    char *copy;
    enum resp_parse_result result;
    size_t consumed;
    size_t needed;
    char err[160];
};

static void parse_copy(struct parsed *p, const char *data, size_t len, const struct resp_limits *limits,
                       struct resp_command *cmd)
{
    p->copy = malloc(len ? len : 1);
    memcpy(p->copy, data, len);
    p->consumed = 12345;
    p->needed = 12345;
    strcpy(p->err, "(unset)");
    p->result = resp_parse_command(p->copy, len, limits, cmd, &p->consumed, &p->needed, p->err, sizeof(p->err));
}

static void parsed_done(struct parsed *p)
{
    free(p->copy);
    p->copy = NULL;
}

/* ---- sample commands ---- */

struct sample {
    const char *data;
    size_t len;
    enum resp_parse_result result; /* OK or EMPTY */
    int inline_form;
    int argc;
    struct arg argv[6];
};

static const struct sample samples[] = {
    /* multibulk */
    {BYTES("*1\r\n$4\r\nPING\r\n"), RESP_PARSE_OK, 0, 1, {{BYTES("PING")}}},
    {BYTES("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
     RESP_PARSE_OK,
     0,
     3,
     {{BYTES("SET")}, {BYTES("key")}, {BYTES("value")}}},
    {BYTES("*2\r\n$3\r\nGET\r\n$7\r\na\0b\r\nc\n\r\n"), RESP_PARSE_OK, 0, 2, {{BYTES("GET")}, {BYTES("a\0b\r\nc\n")}}},
    {BYTES("*3\r\n$0\r\n\r\n$0\r\n\r\n$1\r\nx\r\n"), RESP_PARSE_OK, 0, 3, {{BYTES("")}, {BYTES("")}, {BYTES("x")}}},
    {BYTES("*2\r\n$4\r\nECHO\r\n$6\r\n*1\r\n$0\r\n"), RESP_PARSE_OK, 0, 2, {{BYTES("ECHO")}, {BYTES("*1\r\n$0")}}},
    {BYTES("*2\r\n$4\r\nECHO\r\n$40\r\n0123456789\r\n0123456789\r\n0123456789\r\n0123\r\n"),
     RESP_PARSE_OK,
     0,
     2,
     {{BYTES("ECHO")}, {BYTES("0123456789\r\n0123456789\r\n0123456789\r\n0123")}}},
    {BYTES("*1\r\n$3\r\n\0\0\0\r\n"), RESP_PARSE_OK, 0, 1, {{BYTES("\0\0\0")}}},
    /* inline */
    {BYTES("PING\r\n"), RESP_PARSE_OK, 1, 1, {{BYTES("PING")}}},
    {BYTES("GET key\n"), RESP_PARSE_OK, 1, 2, {{BYTES("GET")}, {BYTES("key")}}},
    {BYTES("  SET   \"a b\"\t'c d'  \r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("SET")}, {BYTES("a b")}, {BYTES("c d")}}},
    {BYTES("ECHO \"\\x41\\x7a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"),
     RESP_PARSE_OK,
     1,
     2,
     {{BYTES("ECHO")}, {BYTES("Az\n\r\t\b\a\\\"q")}}},
    {BYTES("ECHO 'it\\'s' 'a\\b\"'\r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("ECHO")}, {BYTES("it's")}, {BYTES("a\\b\"")}}},
    {BYTES("ECHO \"\" ''\r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("ECHO")}, {BYTES("")}, {BYTES("")}}},
    {BYTES("ECHO a\"b c\" d'e'\r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("ECHO")}, {BYTES("ab c")}, {BYTES("de")}}},
    {BYTES("ECHO x\vy\f\r\n"), RESP_PARSE_OK, 1, 2, {{BYTES("ECHO")}, {BYTES("x\vy\f")}}},
    {BYTES("ECHO \"a\"\v'b'\f\r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("ECHO")}, {BYTES("a")}, {BYTES("b")}}},
    {BYTES("GET k\r\r\n"), RESP_PARSE_OK, 1, 2, {{BYTES("GET")}, {BYTES("k")}}},
    {BYTES("ECHO \"\\xZZ\\x4\"\n"), RESP_PARSE_OK, 1, 2, {{BYTES("ECHO")}, {BYTES("xZZx4")}}},
    {BYTES("ECHO \"\\xfF\\x00\"\n"), RESP_PARSE_OK, 1, 2, {{BYTES("ECHO")}, {BYTES("\xff\0")}}},
    {BYTES("ECHO $3 *1\r\n"), RESP_PARSE_OK, 1, 3, {{BYTES("ECHO")}, {BYTES("$3")}, {BYTES("*1")}}},
    /* sdssplitargs reads a C string: a NUL ends the arguments. */
    {BYTES("GET\0 k\r\n"), RESP_PARSE_OK, 1, 1, {{BYTES("GET")}}},
    /* commands that hold nothing */
    {BYTES("\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("  \t \v\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("\0junk\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("*0\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("*-1\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("*-100\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
    {BYTES("*-9223372036854775808\r\n"), RESP_PARSE_EMPTY, 0, 0, {{0}}},
};

static void check_sample(const struct sample *s, const struct parsed *p, const struct resp_command *cmd)
{
    char *text = escape(s->data, s->len);
    cr_assert_eq(p->result, s->result, "\"%s\": result %d, expected %d (%s)", text, p->result, s->result, p->err);
    cr_assert_eq(p->consumed, s->len, "\"%s\": consumed %zu of %zu", text, p->consumed, s->len);
    if (s->result == RESP_PARSE_OK) {
        cr_assert_eq(cmd->inline_form, s->inline_form, "\"%s\": inline_form", text);
        cr_assert_eq(cmd->argc, s->argc, "\"%s\": argc %d, expected %d", text, cmd->argc, s->argc);
        for (int i = 0; i < s->argc; i++) {
            char *got = escape(cmd->argv[i].ptr, cmd->argv[i].len);
            cr_assert(cmd->argv[i].len == s->argv[i].len &&
                          memcmp(cmd->argv[i].ptr, s->argv[i].ptr, s->argv[i].len) == 0,
                      "\"%s\": argv[%d] is \"%s\"", text, i, got);
            free(got);
        }
    }
    free(text);
}

Test(resp_parse, samples_parse_whole)
{
    struct resp_command cmd = {0};
    for (size_t i = 0; i < COUNT(samples); i++) {
        struct parsed p;
        parse_copy(&p, samples[i].data, samples[i].len, &default_limits, &cmd);
        check_sample(&samples[i], &p, &cmd);
        parsed_done(&p);
    }
    resp_command_free(&cmd);
}

Test(resp_parse, every_prefix_is_incomplete_and_needed_is_a_lower_bound)
{
    struct resp_command cmd = {0};
    for (size_t i = 0; i < COUNT(samples); i++) {
        const struct sample *s = &samples[i];
        char *text = escape(s->data, s->len);
        for (size_t k = 0; k < s->len; k++) {
            struct parsed p;
            parse_copy(&p, s->data, k, &default_limits, &cmd);
            cr_assert_eq(p.result, RESP_PARSE_INCOMPLETE, "\"%s\" cut at %zu: result %d (%s)", text, k, p.result,
                         p.err);
            cr_assert_eq(p.consumed, 0, "\"%s\" cut at %zu consumed %zu", text, k, p.consumed);
            cr_assert(p.needed == 0 || (p.needed > k && p.needed <= s->len), "\"%s\" cut at %zu: needed %zu", text, k,
                      p.needed);
            parsed_done(&p);
        }
        free(text);
    }
    resp_command_free(&cmd);
}

Test(resp_parse, does_not_consume_the_next_command)
{
    static const char next[] = "*1\r\n$4\r\nPING\r\nGET k\r\n";
    struct resp_command cmd = {0};
    for (size_t i = 0; i < COUNT(samples); i++) {
        const struct sample *s = &samples[i];
        for (size_t extra = 0; extra <= sizeof(next) - 1; extra++) {
            char *joined = malloc(s->len + extra + 1);
            memcpy(joined, s->data, s->len);
            memcpy(joined + s->len, next, extra);
            struct parsed p;
            parse_copy(&p, joined, s->len + extra, &default_limits, &cmd);
            check_sample(s, &p, &cmd);
            parsed_done(&p);
            free(joined);
        }
    }
    resp_command_free(&cmd);
}

Test(resp_parse, multibulk_arguments_point_into_the_input)
{
    struct resp_command cmd = {0};
    for (size_t i = 0; i < COUNT(samples); i++) {
        if (samples[i].inline_form || samples[i].result != RESP_PARSE_OK)
            continue;
        struct parsed p;
        parse_copy(&p, samples[i].data, samples[i].len, &default_limits, &cmd);
        for (int a = 0; a < cmd.argc; a++)
            cr_assert(cmd.argv[a].ptr >= p.copy && cmd.argv[a].ptr + cmd.argv[a].len <= p.copy + p.consumed);
        parsed_done(&p);
    }
    resp_command_free(&cmd);
}

Test(resp_parse, inline_plain_arguments_are_zero_copy_quoted_ones_are_not)
{
    static const char line[] = "SET plain \"quoted\" 'single' mid\"dle\"\r\n";
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, BYTES(line), &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 5);
    cr_assert_eq(cmd.argv[0].ptr, p.copy);
    cr_assert_eq(cmd.argv[1].ptr, p.copy + 4);
    const char *expect[] = {"SET", "plain", "quoted", "single", "middle"};
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(cmd.argv[i].len, strlen(expect[i]));
        cr_assert_eq(memcmp(cmd.argv[i].ptr, expect[i], cmd.argv[i].len), 0, "argv[%d]", i);
        if (i >= 2)
            cr_assert(cmd.argv[i].ptr < p.copy || cmd.argv[i].ptr >= p.copy + p.consumed,
                      "argv[%d] points into the input", i);
    }
    /* The unescaped bytes belong to cmd: they outlive the input. */
    memset(p.copy, 'X', p.consumed);
    cr_assert_eq(memcmp(cmd.argv[4].ptr, "middle", 6), 0);
    parsed_done(&p);
    resp_command_free(&cmd);
    cr_assert_null(cmd.argv);
    cr_assert_eq(cmd.argv_cap, 0);
}

/* ---- pipelines ---- */

struct stream {
    char *data;
    size_t len;
};

static struct stream all_samples_joined(void)
{
    struct stream s = {0};
    for (size_t i = 0; i < COUNT(samples); i++)
        s.len += samples[i].len;
    s.data = malloc(s.len);
    size_t off = 0;
    for (size_t i = 0; i < COUNT(samples); i++) {
        memcpy(s.data + off, samples[i].data, samples[i].len);
        off += samples[i].len;
    }
    return s;
}

Test(resp_parse, pipeline_in_one_buffer)
{
    struct stream s = all_samples_joined();
    struct resp_command cmd = {0};
    size_t off = 0;
    for (size_t i = 0; i < COUNT(samples); i++) {
        struct parsed p;
        parse_copy(&p, s.data + off, s.len - off, &default_limits, &cmd);
        check_sample(&samples[i], &p, &cmd);
        off += p.consumed;
        parsed_done(&p);
    }
    cr_assert_eq(off, s.len);
    free(s.data);
    resp_command_free(&cmd);
}

/* Feeds `s` to a simulated connection in reads that end at the offsets in
 * `cuts` (ascending, the last being s.len) and checks that exactly the sample
 * commands come out, in order. Like net/conn.c, it does not parse again while
 * fewer than *needed bytes are buffered. */
static void stream_through_connection(const struct stream *s, const size_t *cuts, size_t ncuts)
{
    struct buf in = {0};
    struct resp_command cmd = {0};
    size_t next_sample = 0, fed = 0, needed = 0;
    for (size_t c = 0; c < ncuts; c++) {
        buf_append(&in, s->data + fed, cuts[c] - fed);
        fed = cuts[c];
        if (needed && in.len < needed)
            continue;
        needed = 0;
        size_t off = 0;
        while (off < in.len) {
            struct parsed p;
            parse_copy(&p, in.data + off, in.len - off, &default_limits, &cmd);
            if (p.result == RESP_PARSE_INCOMPLETE) {
                needed = p.needed;
                parsed_done(&p);
                break;
            }
            cr_assert_lt(next_sample, COUNT(samples), "more commands than sent");
            check_sample(&samples[next_sample++], &p, &cmd);
            off += p.consumed;
            parsed_done(&p);
        }
        buf_consume(&in, off);
    }
    cr_assert_eq(next_sample, COUNT(samples), "%zu commands of %zu came out", next_sample, COUNT(samples));
    cr_assert_eq(in.len, 0);
    buf_free(&in);
    resp_command_free(&cmd);
}

Test(resp_parse, pipeline_streamed_in_every_chunk_size)
{
    struct stream s = all_samples_joined();
    size_t *cuts = malloc((s.len + 1) * sizeof(*cuts));
    for (size_t chunk = 1; chunk <= 17; chunk++) {
        size_t n = 0;
        for (size_t at = chunk; at < s.len; at += chunk)
            cuts[n++] = at;
        cuts[n++] = s.len;
        stream_through_connection(&s, cuts, n);
    }
    free(cuts);
    free(s.data);
}

Test(resp_parse, pipeline_split_in_two_at_every_byte)
{
    struct stream s = all_samples_joined();
    for (size_t k = 0; k <= s.len; k++) {
        size_t cuts[2] = {k, s.len};
        stream_through_connection(&s, cuts, 2);
    }
    free(s.data);
}

/* ---- errors ---- */

struct error_case {
    const char *data;
    size_t len;
    const char *message;
};

#define INVALID_MBULK "Protocol error: invalid multibulk length"
#define INVALID_BULK "Protocol error: invalid bulk length"
#define BULK_CRLF "Protocol error: expected '\\r\\n' after bulk"
#define UNBALANCED "Protocol error: unbalanced quotes in request"

static const struct error_case error_cases[] = {
    {BYTES("*abc\r\n"), INVALID_MBULK},
    {BYTES("*\r\n"), INVALID_MBULK},
    {BYTES("*+1\r\n"), INVALID_MBULK},
    {BYTES("*01\r\n"), INVALID_MBULK},
    {BYTES("*-0\r\n"), INVALID_MBULK},
    {BYTES("*1 \r\n"), INVALID_MBULK},
    {BYTES("* 1\r\n"), INVALID_MBULK},
    {BYTES("*1\0\r\n"), INVALID_MBULK},
    {BYTES("*2147483648\r\n"), INVALID_MBULK},
    {BYTES("*99999999999999999999\r\n"), INVALID_MBULK},
    {BYTES("*9223372036854775807\r\n"), INVALID_MBULK},
    {BYTES("*9223372036854775808\r\n"), INVALID_MBULK},
    {BYTES("*-9223372036854775809\r\n"), INVALID_MBULK},
    {BYTES("*-\r\n"), INVALID_MBULK},
    {BYTES("*1\rX$4\r\nPING\r\n"), INVALID_MBULK},
    {BYTES("*1\r\nGET\r\n"), "Protocol error: expected '$', got 'G'"},
    {BYTES("*1\r\n\r\n"), "Protocol error: expected '$', got ' '"},
    {BYTES("*1\r\n\n\r\n"), "Protocol error: expected '$', got ' '"},
    {BYTES("*1\r\n\0\r\n"), "Protocol error: expected '$', got ' '"},
    {BYTES("*2\r\n$3\r\nGET\r\n:1\r\n"), "Protocol error: expected '$', got ':'"},
    {BYTES("*1\r\n$-1\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$-0\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$abc\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$01\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$1x\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$ 1\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$+1\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$536870913\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$99999999999999999999\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$9223372036854775808\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$-9223372036854775808\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$3\rXGET\r\n"), INVALID_BULK},
    {BYTES("*1\r\n$3\r\nGETxx"), BULK_CRLF},
    {BYTES("*1\r\n$3\r\nGET\rx"), BULK_CRLF},
    {BYTES("*1\r\n$3\r\nGET\n\r"), BULK_CRLF},
    {BYTES("*2\r\n$3\r\nGET\r\n$1\r\nkk\r\n"), BULK_CRLF},
    {BYTES("\"unterminated\r\n"), UNBALANCED},
    {BYTES("'unterminated\r\n"), UNBALANCED},
    {BYTES("SET \"k\\\"\r\n"), UNBALANCED},
    {BYTES("SET \"k\\\r\n"), UNBALANCED},
    {BYTES("SET \"a\"b\r\n"), UNBALANCED},
    {BYTES("SET 'a'b\r\n"), UNBALANCED},
    {BYTES("SET \"a\"'b'\r\n"), UNBALANCED},
    {BYTES("SET \"a\0\"\r\n"), UNBALANCED},
};

/* Every prefix of an erroneous input must be INCOMPLETE or the same error:
 * more bytes never turn an error into something else. */
static void check_error_case(const char *data, size_t len, const char *message, const struct resp_limits *limits)
{
    struct resp_command cmd = {0};
    char *text = escape(data, len);
    for (size_t k = 0; k <= len; k++) {
        struct parsed p;
        parse_copy(&p, data, k, limits, &cmd);
        if (k == len)
            cr_assert_eq(p.result, RESP_PARSE_ERROR, "\"%s\": result %d", text, p.result);
        if (p.result == RESP_PARSE_ERROR)
            cr_assert_str_eq(p.err, message, "\"%s\" cut at %zu", text, k);
        else
            cr_assert_eq(p.result, RESP_PARSE_INCOMPLETE, "\"%s\" cut at %zu: result %d", text, k, p.result);
        cr_assert(p.result == RESP_PARSE_INCOMPLETE || p.consumed == 0);
        parsed_done(&p);
    }
    free(text);
    resp_command_free(&cmd);
}

Test(resp_parse, protocol_errors_have_redis_messages)
{
    for (size_t i = 0; i < COUNT(error_cases); i++)
        check_error_case(error_cases[i].data, error_cases[i].len, error_cases[i].message, &default_limits);
}

Test(resp_parse, error_after_valid_commands_in_a_pipeline)
{
    static const char pipeline[] = "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPINGxx";
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, BYTES(pipeline), &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(p.consumed, 6);
    size_t off = p.consumed;
    parsed_done(&p);
    parse_copy(&p, pipeline + off, sizeof(pipeline) - 1 - off, &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(p.consumed, 14);
    off += p.consumed;
    parsed_done(&p);
    parse_copy(&p, pipeline + off, sizeof(pipeline) - 1 - off, &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_ERROR);
    cr_assert_str_eq(p.err, BULK_CRLF);
    parsed_done(&p);
    resp_command_free(&cmd);
}

Test(resp_parse, errbuf_is_truncated_and_optional)
{
    struct resp_command cmd = {0};
    char small[10];
    memset(small, 'Z', sizeof(small));
    size_t consumed;
    cr_assert_eq(resp_parse_command(BYTES("*x\r\n"), &default_limits, &cmd, &consumed, NULL, small, 8),
                 RESP_PARSE_ERROR);
    cr_assert_str_eq(small, "Protoco");
    cr_assert_eq(small[8], 'Z');
    cr_assert_eq(resp_parse_command(BYTES("*x\r\n"), &default_limits, &cmd, NULL, NULL, NULL, 0), RESP_PARSE_ERROR);
    cr_assert_eq(resp_parse_command(BYTES("*1\r\n$1\r\nx\r\n"), NULL, &cmd, NULL, NULL, NULL, 0), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 1);
    resp_command_free(&cmd);
}

/* ---- limits ---- */

Test(resp_limits, bulk_longer_than_max_is_refused_before_its_bytes)
{
    struct resp_limits limits = {.max_bulk_len = 10, .max_multibulk = INT_MAX};
    check_error_case(BYTES("*1\r\n$11\r\n"), INVALID_BULK, &limits);
    check_error_case(BYTES("*2\r\n$3\r\nGET\r\n$11\r\n"), INVALID_BULK, &limits);

    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, BYTES("*1\r\n$10\r\n0123456789\r\n"), &limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(cmd.argv[0].len, 10);
    parsed_done(&p);
    resp_command_free(&cmd);
}

Test(resp_limits, multibulk_count_above_max_is_refused)
{
    struct resp_limits limits = {.max_bulk_len = 100, .max_multibulk = 3};
    check_error_case(BYTES("*4\r\n"), INVALID_MBULK, &limits);
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, BYTES("*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"), &limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 3);
    parsed_done(&p);
    resp_command_free(&cmd);

    /* A limit above INT_MAX is capped: argc is an int. */
    limits.max_multibulk = LLONG_MAX;
    check_error_case(BYTES("*2147483648\r\n"), INVALID_MBULK, &limits);
}

/* A line of `n` copies of `fill` after `prefix`. */
static char *long_line(const char *prefix, char fill, size_t n, const char *suffix, size_t *len)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    char *s = malloc(plen + n + slen);
    memcpy(s, prefix, plen);
    memset(s + plen, fill, n);
    memcpy(s + plen + n, suffix, slen);
    *len = plen + n + slen;
    return s;
}

static enum resp_parse_result parse_simple(const char *data, size_t len, struct resp_command *cmd, char *err)
{
    size_t consumed, needed;
    return resp_parse_command(data, len, &default_limits, cmd, &consumed, &needed, err, 160);
}

Test(resp_limits, inline_line_of_64k)
{
    struct resp_command cmd = {0};
    char err[160];
    size_t len;
    char *s = long_line("", 'a', 65536, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_INCOMPLETE);
    free(s);

    s = long_line("", 'a', 65537, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, "Protocol error: too big inline request");
    free(s);

    /* The limit is on the line itself, not on the buffer: the outcome does not
     * depend on whether the newline arrived in the same read. */
    s = long_line("", 'a', 65537, "\n", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, "Protocol error: too big inline request");
    free(s);

    s = long_line("", 'a', 65536, "\nPING\r\n", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 1);
    cr_assert_eq(cmd.argv[0].len, 65536);
    free(s);
    resp_command_free(&cmd);
}

Test(resp_limits, multibulk_count_line_of_64k)
{
    struct resp_command cmd = {0};
    char err[160];
    size_t len;
    /* "*" and 65535 more bytes: still waiting for the "\r". */
    char *s = long_line("*", '1', 65535, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_INCOMPLETE);
    free(s);
    s = long_line("*", '1', 65536, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, "Protocol error: too big mbulk count string");
    free(s);
    /* The line ended in time but is no number. */
    s = long_line("*", '1', 65535, "\r\n", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, INVALID_MBULK);
    free(s);
    resp_command_free(&cmd);
}

Test(resp_limits, bulk_count_line_of_64k)
{
    struct resp_command cmd = {0};
    char err[160];
    size_t len;
    char *s = long_line("*1\r\n$", '1', 65535, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_INCOMPLETE);
    free(s);
    s = long_line("*1\r\n$", '1', 65536, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, "Protocol error: too big bulk count string");
    free(s);
    s = long_line("*1\r\nX", 'x', 65536, "", &len);
    cr_assert_eq(parse_simple(s, len, &cmd, err), RESP_PARSE_ERROR);
    cr_assert_str_eq(err, "Protocol error: too big bulk count string");
    free(s);
    resp_command_free(&cmd);
}

/* ---- *needed ---- */

static size_t needed_for(const char *data, size_t len)
{
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, data, len, &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_INCOMPLETE);
    size_t needed = p.needed;
    parsed_done(&p);
    resp_command_free(&cmd);
    return needed;
}

Test(resp_parse, needed_reports_the_end_of_a_large_bulk)
{
    /* "*1\r\n" + "$100\r\n" + 100 bytes + "\r\n" */
    cr_assert_eq(needed_for(BYTES("*1\r\n$100\r\n")), 112);
    cr_assert_eq(needed_for(BYTES("*1\r\n$100\r\nabc")), 112);
    /* Two more elements of at least 6 bytes each follow. */
    cr_assert_eq(needed_for(BYTES("*3\r\n$100\r\nabc")), 124);
    cr_assert_eq(needed_for(BYTES("*3\r\n$100\r")), 124);
    /* Header complete, nothing of the elements yet. */
    cr_assert_eq(needed_for(BYTES("*3\r\n")), 4 + 18);
    cr_assert_eq(needed_for(BYTES("*3\r")), 4 + 18);
    /* Inside a bulk header: "$12" needs its CRLF and the payload's CRLF. */
    cr_assert_eq(needed_for(BYTES("*1\r\n$12")), 4 + 3 + 4);
    cr_assert_eq(needed_for(BYTES("*1\r\n$")), 4 + 6);
    /* Unknown: the count line or an inline line is not complete. */
    cr_assert_eq(needed_for(BYTES("*12")), 0);
    cr_assert_eq(needed_for(BYTES("GET k")), 0);
    cr_assert_eq(needed_for(BYTES("")), 0);
}

Test(resp_parse, huge_counts_do_not_allocate_ahead)
{
    /* A client announcing a billion arguments gets no billion-entry argv. */
    struct resp_limits limits = {.max_bulk_len = 512LL * 1024 * 1024, .max_multibulk = 1024 * 1024 * 1024};
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, BYTES("*1000000000\r\n$3\r\nSET\r\n"), &limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_INCOMPLETE);
    cr_assert_eq(p.needed, 13 + 9 + 6ULL * 999999999);
    cr_assert_leq(cmd.argv_cap, 1024);
    parsed_done(&p);
    resp_command_free(&cmd);
}

/* ---- argv storage reuse ---- */

static char *multibulk_of(int argc, size_t *len)
{
    struct buf b = {0};
    reply_array(&b, argc);
    for (int i = 0; i < argc; i++)
        reply_bulk_ll(&b, i);
    *len = b.len;
    return b.data;
}

Test(resp_parse, argv_storage_is_reused_and_big_arrays_are_dropped)
{
    struct resp_command cmd = {0};
    char err[160];
    size_t len;
    char *big = multibulk_of(70000, &len);
    cr_assert_eq(parse_simple(big, len, &cmd, err), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 70000);
    for (int i = 0; i < cmd.argc; i += 6999) {
        char digits[16];
        int n = snprintf(digits, sizeof(digits), "%d", i);
        cr_assert_eq(cmd.argv[i].len, (size_t)n);
        cr_assert_eq(memcmp(cmd.argv[i].ptr, digits, (size_t)n), 0);
    }
    free(big);

    /* An inline command with quoted (copied) arguments after a multibulk one,
     * and the other way round, reusing one resp_command. */
    cr_assert_eq(parse_simple(BYTES("SET \"a\\x00b\" 'c'\r\n"), &cmd, err), RESP_PARSE_OK);
    cr_assert_lt(cmd.argv_cap, 70000, "the big argv array was kept");
    cr_assert_eq(cmd.argc, 3);
    cr_assert_eq(cmd.argv[1].len, 3);
    cr_assert_eq(memcmp(cmd.argv[1].ptr, "a\0b", 3), 0);

    char *mid = multibulk_of(3000, &len);
    cr_assert_eq(parse_simple(mid, len, &cmd, err), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 3000);
    cr_assert_eq(cmd.inline_form, 0);
    cr_assert_eq(memcmp(cmd.argv[2999].ptr, "2999", 4), 0);
    free(mid);

    cr_assert_eq(parse_simple(BYTES("ECHO \"x y\"\n"), &cmd, err), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 2);
    cr_assert_eq(cmd.inline_form, 1);
    cr_assert_eq(memcmp(cmd.argv[1].ptr, "x y", 3), 0);
    resp_command_free(&cmd);
    resp_command_free(&cmd); /* twice is harmless */
}

Test(resp_parse, many_inline_arguments)
{
    /* 20000 quoted arguments: argv and scratch both grow. */
    struct buf b = {0};
    for (int i = 0; i < 20000; i++)
        buf_append_str(&b, i % 2 ? "\"q\" " : "p ");
    buf_append_str(&b, "\r\n");
    struct resp_command cmd = {0};
    char err[160];
    cr_assert_eq(parse_simple(b.data, b.len, &cmd, err), RESP_PARSE_OK);
    cr_assert_eq(cmd.argc, 20000);
    for (int i = 0; i < 20000; i++)
        cr_assert(cmd.argv[i].len == 1 && cmd.argv[i].ptr[0] == (i % 2 ? 'q' : 'p'));
    buf_free(&b);
    resp_command_free(&cmd);
}

/* ---- writer ---- */

static void expect_bytes(const struct buf *b, const char *expected, size_t len)
{
    char *got = escape(b->data ? b->data : "", b->len);
    char *want = escape(expected, len);
    cr_assert(b->len == len && memcmp(b->data, expected, len) == 0, "wrote \"%s\", expected \"%s\"", got, want);
    free(got);
    free(want);
}

#define EXPECT(b, literal) expect_bytes((b), BYTES(literal))

Test(resp_write, simple_strings_and_errors)
{
    struct buf b = {0};
    reply_simple(&b, "PONG");
    EXPECT(&b, "+PONG\r\n");
    buf_reset(&b);
    reply_simple_len(&b, "QUEUEDxx", 6);
    EXPECT(&b, "+QUEUED\r\n");
    buf_reset(&b);
    reply_simple(&b, "");
    EXPECT(&b, "+\r\n");
    buf_reset(&b);
    reply_ok(&b);
    EXPECT(&b, "+OK\r\n");
    buf_reset(&b);
    reply_error(&b, "ERR syntax error");
    EXPECT(&b, "-ERR syntax error\r\n");
    buf_reset(&b);
    reply_error(&b, "ERR bad\r\nthing\n");
    EXPECT(&b, "-ERR bad  thing \r\n");
    buf_reset(&b);
    reply_error(&b, "-WRONGTYPE Operation against a key holding the wrong kind of value");
    EXPECT(&b, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    buf_reset(&b);
    reply_errorf(&b, "ERR unknown command '%s', with args beginning with: %d", "FOO\r\n", 7);
    EXPECT(&b, "-ERR unknown command 'FOO  ', with args beginning with: 7\r\n");
    buf_free(&b);
}

Test(resp_write, long_formatted_error)
{
    char arg[1000];
    memset(arg, 'a', sizeof(arg) - 1);
    arg[sizeof(arg) - 1] = '\0';
    struct buf b = {0};
    reply_errorf(&b, "ERR %s!", arg);
    cr_assert_eq(b.len, 1 + 4 + 999 + 1 + 2);
    cr_assert_eq(memcmp(b.data, "-ERR aaa", 8), 0);
    cr_assert_eq(memcmp(b.data + b.len - 4, "a!\r\n", 4), 0);
    buf_free(&b);
}

Test(resp_write, integers)
{
    static const struct {
        long long v;
        const char *text;
    } cases[] = {
        {0, ":0\r\n"},
        {7, ":7\r\n"},
        {-1, ":-1\r\n"},
        {10, ":10\r\n"},
        {99, ":99\r\n"},
        {100, ":100\r\n"},
        {-12345, ":-12345\r\n"},
        {LLONG_MAX, ":9223372036854775807\r\n"},
        {LLONG_MIN, ":-9223372036854775808\r\n"},
    };
    struct buf b = {0};
    for (size_t i = 0; i < COUNT(cases); i++) {
        buf_reset(&b);
        reply_integer(&b, cases[i].v);
        expect_bytes(&b, cases[i].text, strlen(cases[i].text));
    }
    /* Every digit count and the edges of each power of ten, against printf. */
    unsigned long long p = 1;
    for (int digits = 0; digits < 19; digits++, p *= 10) {
        long long around[] = {(long long)p - 1, (long long)p, (long long)p + 1, (long long)(p * 5 + 3)};
        for (size_t j = 0; j < COUNT(around); j++) {
            for (int sign = -1; sign <= 1; sign += 2) {
                long long v = around[j] * sign;
                char want[32];
                int n = snprintf(want, sizeof(want), ":%lld\r\n", v);
                buf_reset(&b);
                reply_integer(&b, v);
                expect_bytes(&b, want, (size_t)n);
                n = snprintf(want, sizeof(want), "$%d\r\n%lld\r\n", snprintf(NULL, 0, "%lld", v), v);
                buf_reset(&b);
                reply_bulk_ll(&b, v);
                expect_bytes(&b, want, (size_t)n);
            }
        }
    }
    buf_free(&b);
}

Test(resp_write, bulk_strings)
{
    struct buf b = {0};
    reply_bulk(&b, "a\0b\r\n", 5);
    EXPECT(&b, "$5\r\na\0b\r\n\r\n");
    buf_reset(&b);
    reply_bulk(&b, NULL, 0);
    EXPECT(&b, "$0\r\n\r\n");
    buf_reset(&b);
    reply_bulk_cstr(&b, "hello");
    EXPECT(&b, "$5\r\nhello\r\n");
    buf_reset(&b);
    reply_bulk_cstr(&b, NULL);
    EXPECT(&b, "$-1\r\n");
    buf_reset(&b);
    reply_bulk_ll(&b, -42);
    EXPECT(&b, "$3\r\n-42\r\n");
    buf_reset(&b);
    reply_bulk_ll(&b, LLONG_MIN);
    EXPECT(&b, "$20\r\n-9223372036854775808\r\n");

    /* A large payload, appended after existing bytes. */
    buf_reset(&b);
    buf_append_str(&b, "+x\r\n");
    size_t n = 100000;
    char *payload = malloc(n);
    for (size_t i = 0; i < n; i++)
        payload[i] = (char)(i * 7);
    reply_bulk(&b, payload, n);
    cr_assert_eq(b.len, 4 + 9 + n + 2);
    cr_assert_eq(memcmp(b.data, "+x\r\n$100000\r\n", 13), 0);
    cr_assert_eq(memcmp(b.data + 13, payload, n), 0);
    cr_assert_eq(memcmp(b.data + 13 + n, "\r\n", 2), 0);
    free(payload);
    buf_free(&b);
}

Test(resp_write, aggregates_and_nulls_in_both_protocols)
{
    struct buf b = {0};
#define CASE(call, want)                                                                                               \
    do {                                                                                                               \
        buf_reset(&b);                                                                                                 \
        call;                                                                                                          \
        EXPECT(&b, want);                                                                                              \
    } while (0)
    CASE(reply_null(&b, 2), "$-1\r\n");
    CASE(reply_null(&b, 3), "_\r\n");
    CASE(reply_null_array(&b, 2), "*-1\r\n");
    CASE(reply_null_array(&b, 3), "_\r\n");
    CASE(reply_array(&b, 0), "*0\r\n");
    CASE(reply_array(&b, 3), "*3\r\n");
    CASE(reply_array(&b, -1), "*-1\r\n");
    CASE(reply_map(&b, 2, 3), "*6\r\n");
    CASE(reply_map(&b, 3, 3), "%3\r\n");
    CASE(reply_map(&b, 2, 0), "*0\r\n");
    CASE(reply_map(&b, 3, 0), "%0\r\n");
    CASE(reply_set(&b, 2, 5), "*5\r\n");
    CASE(reply_set(&b, 3, 5), "~5\r\n");
    CASE(reply_push(&b, 2, 3), "*3\r\n");
    CASE(reply_push(&b, 3, 3), ">3\r\n");
    CASE(reply_bool(&b, 2, 1), ":1\r\n");
    CASE(reply_bool(&b, 2, 0), ":0\r\n");
    CASE(reply_bool(&b, 3, 1), "#t\r\n");
    CASE(reply_bool(&b, 3, 0), "#f\r\n");
    CASE(reply_bool(&b, 3, 42), "#t\r\n");
    CASE(reply_bignum(&b, 2, "1234567890123456789012", 22), "$22\r\n1234567890123456789012\r\n");
    CASE(reply_bignum(&b, 3, "-1234567890123456789012", 23), "(-1234567890123456789012\r\n");
    CASE(reply_verbatim(&b, 2, "a\r\nb", 4, "txt"), "$4\r\na\r\nb\r\n");
    CASE(reply_verbatim(&b, 3, "a\r\nb", 4, "txt"), "=8\r\ntxt:a\r\nb\r\n");
    CASE(reply_verbatim(&b, 3, "# x", 3, "mkd"), "=7\r\nmkd:# x\r\n");
    CASE(reply_verbatim(&b, 3, "", 0, "txt"), "=4\r\ntxt:\r\n");
    CASE(reply_verbatim(&b, 3, "x", 1, NULL), "=5\r\ntxt:x\r\n");
    buf_free(&b);
}

Test(resp_write, doubles_in_both_protocols)
{
    static const struct {
        double d;
        const char *text;
    } cases[] = {
        {1.5, "1.5"},
        {3.0, "3"},
        {0.1, "0.10000000000000001"},
        {-0.0, "-0"},
        {0, "0"},
        {1e300, "1.0000000000000001e+300"},
        {-2.5e-10, "-2.5000000000000002e-10"},
        {1e17, "1e+17"},
        {3.14, "3.1400000000000001"},
        {INFINITY, "inf"},
        {-INFINITY, "-inf"},
        {NAN, "nan"},
        {-NAN, "nan"},
    };
    struct buf b = {0};
    for (size_t i = 0; i < COUNT(cases); i++) {
        char want[64];
        int n = snprintf(want, sizeof(want), ",%s\r\n", cases[i].text);
        buf_reset(&b);
        reply_double(&b, 3, cases[i].d);
        expect_bytes(&b, want, (size_t)n);
        n = snprintf(want, sizeof(want), "$%zu\r\n%s\r\n", strlen(cases[i].text), cases[i].text);
        buf_reset(&b);
        reply_double(&b, 2, cases[i].d);
        expect_bytes(&b, want, (size_t)n);
    }
    buf_free(&b);
}

Test(resp_write, replies_append_to_what_is_there)
{
    struct buf b = {0};
    reply_array(&b, 2);
    reply_bulk_cstr(&b, "a");
    reply_integer(&b, 1);
    reply_map(&b, 3, 1);
    reply_simple(&b, "k");
    reply_double(&b, 3, 2.5);
    EXPECT(&b, "*2\r\n$1\r\na\r\n:1\r\n%1\r\n+k\r\n,2.5\r\n");
    buf_free(&b);
}

/* Writer and parser agree: a command written with reply_array/reply_bulk
 * parses back to the same arguments. */
Test(resp_write, written_commands_parse_back)
{
    struct buf b = {0};
    const char *args[] = {"SET", "", "with\r\nnewline", "\0nul", "$1", "*1"};
    size_t lens[] = {3, 0, 13, 4, 2, 2};
    reply_array(&b, 6);
    for (int i = 0; i < 6; i++)
        reply_bulk(&b, args[i], lens[i]);
    struct resp_command cmd = {0};
    struct parsed p;
    parse_copy(&p, b.data, b.len, &default_limits, &cmd);
    cr_assert_eq(p.result, RESP_PARSE_OK);
    cr_assert_eq(p.consumed, b.len);
    cr_assert_eq(cmd.argc, 6);
    for (int i = 0; i < 6; i++)
        cr_assert(cmd.argv[i].len == lens[i] && memcmp(cmd.argv[i].ptr, args[i], lens[i]) == 0, "argv[%d]", i);
    parsed_done(&p);
    resp_command_free(&cmd);
    buf_free(&b);
}
