/*
 * fuzz_resp.c - libFuzzer target for resp_parse_command().
 *
 * The input is treated as the bytes a client sent on one connection. It is
 * parsed as a pipeline (command after command) with Redis's default limits and
 * with small ones (so the limit paths are reached by short inputs), and for
 * every command the properties below are checked. Every parse sees an exactly
 * sized heap copy, so ASan reports any read past `len`.
 *
 *  - consumed <= len; OK and EMPTY consume at least one byte (the caller's
 *    loop always progresses); INCOMPLETE and ERROR consume nothing.
 *  - OK has argc >= 1; multibulk arguments lie inside the consumed bytes;
 *    every argument byte is readable.
 *  - INCOMPLETE: *needed is 0 or more than len.
 *  - Errors start with "Protocol error: " and hold no CR or LF.
 *  - Prefix stability (the parser is stateless, so a prefix is exactly what a
 *    connection sees before the rest arrives): a prefix parses as INCOMPLETE
 *    or exactly as the whole input does (same result, consumed bytes,
 *    arguments or message). In particular an INCOMPLETE prefix of a valid
 *    command never becomes an ERROR. When the whole is a command of c bytes,
 *    every shorter prefix is INCOMPLETE with *needed 0 or in (k, c].
 *  - Round trips: the arguments written back as a multibulk (reply_array +
 *    reply_bulk) and as an inline line with every byte "\xHH"-escaped parse
 *    to the same arguments.
 *  - Inputs are sometimes stretched past 64 KB by repeating their last byte,
 *    to reach the "too big" paths, with prefix checks around the 64 KB mark.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"

#define CHECK(cond, ...)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "fuzz_resp: check failed at line %d: %s: ", __LINE__, #cond);                              \
            fprintf(stderr, __VA_ARGS__);                                                                              \
            fputc('\n', stderr);                                                                                       \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

#define LINE_LIMIT (64 * 1024)

/* What one parse produced, in a form that outlives the parsed bytes. */
struct outcome {
    enum resp_parse_result result;
    size_t consumed;
    size_t needed;
    int inline_form;
    int argc;
    struct buf args; /* the arguments as a multibulk (reply_array + reply_bulk) */
    char err[160];
};

static void outcome_free(struct outcome *o)
{
    buf_free(&o->args);
}

static int outcome_equal(const struct outcome *a, const struct outcome *b)
{
    if (a->result != b->result || a->consumed != b->consumed)
        return 0;
    if (a->result == RESP_PARSE_ERROR)
        return strcmp(a->err, b->err) == 0;
    if (a->result == RESP_PARSE_OK)
        return a->argc == b->argc && a->inline_form == b->inline_form && a->args.len == b->args.len &&
               memcmp(a->args.data, b->args.data, a->args.len) == 0;
    return 1;
}

/* Parses an exactly sized copy of data[0, len) and checks the properties that
 * hold for any single parse. */
static void parse_one(const uint8_t *data, size_t len, const struct resp_limits *limits, struct resp_command *cmd,
                      struct outcome *out)
{
    char *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    memset(out, 0, sizeof(*out));
    out->consumed = (size_t)-1;
    out->needed = (size_t)-1;
    out->result = resp_parse_command(copy, len, limits, cmd, &out->consumed, &out->needed, out->err, sizeof(out->err));
    CHECK(out->result >= RESP_PARSE_OK && out->result <= RESP_PARSE_ERROR, "result %d", out->result);
    CHECK(out->consumed <= len, "consumed %zu > len %zu", out->consumed, len);
    switch (out->result) {
    case RESP_PARSE_OK:
        CHECK(out->consumed > 0, "OK consumed nothing");
        CHECK(cmd->argc >= 1 && cmd->argc <= cmd->argv_cap, "argc %d cap %d", cmd->argc, cmd->argv_cap);
        out->argc = cmd->argc;
        out->inline_form = cmd->inline_form;
        reply_array(&out->args, cmd->argc);
        for (int i = 0; i < cmd->argc; i++) {
            const struct arg *a = &cmd->argv[i];
            CHECK(a->ptr != NULL || a->len == 0, "argv[%d] NULL", i);
            if (!cmd->inline_form)
                CHECK(a->ptr >= copy && a->len <= out->consumed && a->ptr + a->len <= copy + out->consumed,
                      "argv[%d] outside the command", i);
            else
                CHECK(a->len < len, "inline argv[%d] longer than the line", i);
            reply_bulk(&out->args, a->ptr, a->len); /* reads every byte */
        }
        break;
    case RESP_PARSE_EMPTY:
        CHECK(out->consumed > 0, "EMPTY consumed nothing");
        break;
    case RESP_PARSE_INCOMPLETE:
        CHECK(out->consumed == 0, "INCOMPLETE consumed %zu", out->consumed);
        CHECK(out->needed == 0 || out->needed > len, "needed %zu with len %zu", out->needed, len);
        break;
    case RESP_PARSE_ERROR:
        CHECK(out->consumed == 0, "ERROR consumed %zu", out->consumed);
        CHECK(strncmp(out->err, "Protocol error: ", 16) == 0, "message \"%s\"", out->err);
        CHECK(strchr(out->err, '\r') == NULL && strchr(out->err, '\n') == NULL, "CR/LF in message");
        break;
    }
    free(copy);
}

/* Compares the parse of data[0, k) with the parse of the whole. */
static void check_prefix(const uint8_t *data, size_t k, const struct outcome *whole, const struct resp_limits *limits,
                         struct resp_command *cmd)
{
    struct outcome part;
    parse_one(data, k, limits, cmd, &part);
    int whole_is_command = whole->result == RESP_PARSE_OK || whole->result == RESP_PARSE_EMPTY;
    if (whole_is_command && k < whole->consumed) {
        CHECK(part.result == RESP_PARSE_INCOMPLETE, "prefix %zu of a %zu-byte command gave %d (%s)", k, whole->consumed,
              part.result, part.err);
        CHECK(part.needed == 0 || part.needed <= whole->consumed, "prefix %zu: needed %zu but the command has %zu", k,
              part.needed, whole->consumed);
    } else if (part.result != RESP_PARSE_INCOMPLETE) {
        CHECK(outcome_equal(&part, whole), "prefix %zu gave %d/%zu (%s), whole %d/%zu (%s)", k, part.result,
              part.consumed, part.err, whole->result, whole->consumed, whole->err);
    } else {
        CHECK(!whole_is_command, "prefix %zu INCOMPLETE after a whole command", k);
    }
    outcome_free(&part);
}

/* The arguments of an OK outcome, written back in both forms, must parse to
 * the same arguments. */
static void check_round_trips(const struct outcome *o, struct resp_command *cmd)
{
    static const struct resp_limits roomy = {.max_bulk_len = LLONG_MAX, .max_multibulk = INT_MAX};
    struct outcome again;
    parse_one((const uint8_t *)o->args.data, o->args.len, &roomy, cmd, &again);
    CHECK(again.result == RESP_PARSE_OK && again.consumed == o->args.len && again.inline_form == 0 &&
              again.args.len == o->args.len && memcmp(again.args.data, o->args.data, o->args.len) == 0,
          "multibulk round trip");
    outcome_free(&again);

    /* Inline: every byte as \xHH inside double quotes. The arguments come
     * from o->args, which stays alive while cmd points into it. */
    size_t consumed;
    CHECK(resp_parse_command(o->args.data, o->args.len, &roomy, cmd, &consumed, NULL, NULL, 0) == RESP_PARSE_OK,
          "reparse");
    struct buf line = {0};
    for (int i = 0; i < cmd->argc; i++) {
        static const char hex[] = "0123456789abcdef";
        const struct arg *a = &cmd->argv[i];
        buf_append(&line, i ? " \"" : "\"", i ? 2 : 1);
        for (size_t j = 0; j < a->len; j++) {
            unsigned char c = (unsigned char)a->ptr[j];
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            buf_append(&line, esc, 4);
        }
        buf_append_byte(&line, '"');
    }
    buf_append(&line, "\r\n", 2);
    if (line.len - 1 <= LINE_LIMIT) {
        parse_one((const uint8_t *)line.data, line.len, &roomy, cmd, &again);
        CHECK(again.result == RESP_PARSE_OK && again.consumed == line.len && again.inline_form == 1 &&
                  again.args.len == o->args.len && memcmp(again.args.data, o->args.data, o->args.len) == 0,
              "inline round trip");
        outcome_free(&again);
    }
    buf_free(&line);
}

/* Parses the command at data[0, len) and checks it against its prefixes.
 * Returns the bytes consumed (0 when the pipeline ends here). */
static size_t check_command(const uint8_t *data, size_t len, const struct resp_limits *limits, struct resp_command *cmd,
                            struct resp_command *scratch_cmd, int sparse)
{
    struct outcome whole;
    parse_one(data, len, limits, cmd, &whole);

    /* Every prefix for short inputs; for long ones the start, a spread, the
     * region around the command's end and around the 64 KB line limit. */
    if (!sparse && len <= 512) {
        for (size_t k = 0; k < len; k++)
            check_prefix(data, k, &whole, limits, scratch_cmd);
    } else {
        size_t step = len / 64 + 1;
        for (size_t k = 0; k < len && k < 16; k++)
            check_prefix(data, k, &whole, limits, scratch_cmd);
        for (size_t k = 16; k < len; k += step)
            check_prefix(data, k, &whole, limits, scratch_cmd);
        size_t marks[] = {whole.consumed, LINE_LIMIT, LINE_LIMIT + 5};
        for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++)
            for (size_t k = marks[m] > 3 ? marks[m] - 3 : 0; k <= marks[m] + 2 && k < len; k++)
                check_prefix(data, k, &whole, limits, scratch_cmd);
    }

    size_t consumed = 0;
    if (whole.result == RESP_PARSE_OK)
        check_round_trips(&whole, cmd);
    if (whole.result == RESP_PARSE_OK || whole.result == RESP_PARSE_EMPTY)
        consumed = whole.consumed;
    outcome_free(&whole);
    return consumed;
}

static void check_pipeline(const uint8_t *data, size_t size, const struct resp_limits *limits, int sparse)
{
    struct resp_command cmd = {0}, prefix_cmd = {0};
    size_t off = 0;
    int commands = 0;
    while (off < size) {
        size_t used = check_command(data + off, size - off, limits, &cmd, &prefix_cmd, sparse);
        if (used == 0)
            break;
        CHECK(used <= size - off, "consumed past the end");
        off += used;
        CHECK(++commands <= (int)size, "more commands than bytes");
        if (sparse && commands >= 4)
            break;
    }
    resp_command_free(&cmd);
    resp_command_free(&prefix_cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct resp_limits redis_limits = {.max_bulk_len = 512LL * 1024 * 1024, .max_multibulk = INT_MAX};
    static const struct resp_limits small_limits = {.max_bulk_len = 16, .max_multibulk = 8};
    check_pipeline(data, size, &redis_limits, 0);
    check_pipeline(data, size, &small_limits, 0);

    /* Now and then: the same bytes stretched past the 64 KB line limit. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    if (size > 0 && size < LINE_LIMIT && (h & 15) == 0) {
        size_t big = LINE_LIMIT + 16;
        uint8_t *stretched = malloc(big);
        memcpy(stretched, data, size);
        memset(stretched + size, data[size - 1], big - size);
        check_pipeline(stretched, big, &redis_limits, 1);
        free(stretched);
    }
    return 0;
}
