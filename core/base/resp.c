/*
 * resp.c - RESP request parser and reply writer, see resp.h.
 *
 * Owner: whichever thread holds the bytes and the struct resp_command (the
 * connection's shard thread). Nothing here has state of its own.
 *
 * Parser. resp_parse_command() keeps no state between calls: it re-reads the
 * command from its first byte each time and either finds all of it or says
 * INCOMPLETE without consuming anything. To keep a large command from being
 * re-scanned on every read it reports, through *needed, a lower bound of the
 * command's total size: inside a bulk payload that is the end of the payload
 * plus 6 bytes ("$0\r\n\r\n", the smallest element) for every element still
 * to come.
 *
 * The parser follows Redis 7.0's processMultibulkBuffer/processInlineBuffer
 * and sdssplitargs, with these deliberate differences, all of which only make
 * the result independent of how the bytes were split into reads (a property
 * the fuzzer checks: a prefix of the input parses either as INCOMPLETE or
 * exactly as the whole input does):
 *   - A header line ("*N", "$N") or inline line is looked for only within its
 *     first RESP_MAX_LINE + 1 bytes. Redis fails a line once more than 64 KB
 *     arrived without its end, but accepts a longer one if its end happened to
 *     arrive in the same read.
 *   - "\r\n" is required where Redis only skips two bytes: after a header line
 *     ("invalid multibulk length" / "invalid bulk length" otherwise) and after
 *     a bulk payload (RESP_ERR_BULK_CRLF).
 *   - A NUL byte is an ordinary byte in header lines (so "*1\0\r\n" is an
 *     invalid length) and ends an inline line's arguments as it ends
 *     sdssplitargs' C string; Redis's strchr() would instead never see the
 *     line's end and wait until the 64 KB limit.
 *   - A header line is judged as soon as its "\r" arrives; Redis waits for
 *     one more byte. Same messages, one byte earlier.
 *
 * Storage of struct resp_command. Multibulk arguments point into the caller's
 * bytes (zero-copy). Inline arguments that had quotes are unescaped, so their
 * bytes must live somewhere the parser owns. The header gives resp_command
 * only argv and argv_cap, so cmd->argv is the tail of one heap block:
 *
 *     struct argv_block { size_t scratch_cap; struct arg argv[argv_cap]; }
 *     followed by scratch_cap bytes of scratch space for unescaped arguments.
 *
 * cmd->argv points at block->argv, the block is found again with offsetof,
 * and resp_command_free() frees the whole block. Consequently cmd->argv must
 * only ever be allocated by this file. Unescaped arguments are valid until the
 * next parse with the same cmd or resp_command_free(), like argv itself.
 *
 * Writer. Integers are formatted by hand (no snprintf on the hot path) and
 * each reply reserves its whole size in the buf once.
 */
#include "core/base/resp.h"
#include "core/base/util.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis's PROTO_INLINE_MAX_SIZE: longest header or inline line. */
#define RESP_MAX_LINE (64 * 1024)
/* Smallest element of a multibulk ("$0\r\n\r\n"), for the *needed bound. */
#define RESP_MIN_ELEMENT 6
/* argv arrays larger than this (1 MiB) are dropped before the next parse
 * rather than kept for the connection's lifetime. */
#define RESP_KEEP_ARGV (64 * 1024)
/* Redis preallocates at most this many argv entries before they arrive. */
#define RESP_PREALLOC_ARGV 1024

#define RESP_ERR_BULK_CRLF "Protocol error: expected '\\r\\n' after bulk"

/* ---- argv storage (see the comment at the top) ---- */

struct argv_block {
    size_t scratch_cap;
    struct arg argv[];
};

static struct argv_block *block_of(const struct resp_command *cmd)
{
    if (!cmd->argv)
        return NULL;
    return (struct argv_block *)((char *)cmd->argv - offsetof(struct argv_block, argv));
}

static char *scratch_of(const struct resp_command *cmd)
{
    return (char *)(cmd->argv + cmd->argv_cap);
}

/* Makes room for at least argv_need arguments and scratch_need scratch bytes.
 * Keeps argv[0, argv_cap) but not the scratch contents. Aborts when memory
 * runs out, like buf_reserve(). */
static void storage_reserve(struct resp_command *cmd, size_t argv_need, size_t scratch_need)
{
    struct argv_block *block = block_of(cmd);
    size_t argv_cap = cmd->argv ? (size_t)cmd->argv_cap : 0;
    size_t scratch_cap = block ? block->scratch_cap : 0;
    if (argv_cap >= argv_need && scratch_cap >= scratch_need)
        return;
    if (argv_need > argv_cap)
        argv_cap = argv_need;
    if (scratch_need > scratch_cap)
        scratch_cap = scratch_need;
    size_t size = offsetof(struct argv_block, argv) + argv_cap * sizeof(struct arg) + scratch_cap;
    block = realloc(block, size);
    if (!block) {
        fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
        abort();
    }
    block->scratch_cap = scratch_cap;
    cmd->argv = block->argv;
    cmd->argv_cap = (int)argv_cap;
}

void resp_command_free(struct resp_command *cmd)
{
    free(block_of(cmd));
    cmd->argv = NULL;
    cmd->argv_cap = 0;
    cmd->argc = 0;
    cmd->inline_form = 0;
}

/* ---- parser helpers ---- */

static size_t add_saturated(size_t a, unsigned long long b)
{
    if (b > (unsigned long long)(SIZE_MAX - a))
        return SIZE_MAX;
    return a + (size_t)b;
}

/* Error text for the connection; errbuf may be NULL. */
static enum resp_parse_result parse_error(char *errbuf, size_t errbuf_len, const char *msg)
{
    if (errbuf && errbuf_len) {
        size_t n = strlen(msg);
        if (n >= errbuf_len)
            n = errbuf_len - 1;
        memcpy(errbuf, msg, n);
        errbuf[n] = '\0';
    }
    return RESP_PARSE_ERROR;
}

enum line_status { LINE_FOUND, LINE_INCOMPLETE, LINE_TOO_BIG };

/* Finds the terminator of the line that starts at data[start]. Only the first
 * RESP_MAX_LINE + 1 bytes are searched, so a line is refused as too big
 * exactly when Redis would refuse it on seeing those bytes, however they were
 * split into reads. */
static enum line_status find_line(const char *data, size_t len, size_t start, char terminator, size_t *at)
{
    size_t avail = len - start;
    size_t window = avail < RESP_MAX_LINE + 1 ? avail : RESP_MAX_LINE + 1;
    const char *p = memchr(data + start, terminator, window);
    if (p) {
        *at = (size_t)(p - data);
        return LINE_FOUND;
    }
    return avail > RESP_MAX_LINE ? LINE_TOO_BIG : LINE_INCOMPLETE;
}

/* ---- multibulk ---- */

static enum resp_parse_result parse_multibulk(const char *data, size_t len, const struct resp_limits *limits,
                                              struct resp_command *cmd, size_t *consumed, size_t *needed, char *errbuf,
                                              size_t errbuf_len)
{
    size_t cr;
    enum line_status ls = find_line(data, len, 0, '\r', &cr);
    if (ls == LINE_TOO_BIG)
        return parse_error(errbuf, errbuf_len, "Protocol error: too big mbulk count string");
    if (ls == LINE_INCOMPLETE)
        return RESP_PARSE_INCOMPLETE;

    long long count;
    long long max_count = limits->max_multibulk < INT_MAX ? limits->max_multibulk : INT_MAX;
    if (!string2ll(data + 1, cr - 1, &count) || count > max_count)
        return parse_error(errbuf, errbuf_len, "Protocol error: invalid multibulk length");
    if (cr + 1 >= len) {
        *needed = add_saturated(cr + 2, count > 0 ? (unsigned long long)count * RESP_MIN_ELEMENT : 0);
        return RESP_PARSE_INCOMPLETE;
    }
    if (data[cr + 1] != '\n')
        return parse_error(errbuf, errbuf_len, "Protocol error: invalid multibulk length");
    size_t pos = cr + 2;
    if (count <= 0) {
        *consumed = pos;
        return RESP_PARSE_EMPTY;
    }

    int argc = (int)count;
    int prealloc = argc < RESP_PREALLOC_ARGV ? argc : RESP_PREALLOC_ARGV;
    storage_reserve(cmd, (size_t)(prealloc < 8 ? 8 : prealloc), 0);

    for (int i = 0; i < argc; i++) {
        /* Every element after this one needs at least RESP_MIN_ELEMENT bytes. */
        unsigned long long rest = (unsigned long long)(argc - i - 1) * RESP_MIN_ELEMENT;
        if (pos >= len) {
            *needed = add_saturated(pos, rest + RESP_MIN_ELEMENT);
            return RESP_PARSE_INCOMPLETE;
        }
        ls = find_line(data, len, pos, '\r', &cr);
        if (ls == LINE_TOO_BIG)
            return parse_error(errbuf, errbuf_len, "Protocol error: too big bulk count string");
        if (ls == LINE_INCOMPLETE) {
            /* What arrived is all header: the element also needs two CRLFs. */
            size_t element = len - pos + 4;
            *needed = add_saturated(pos, rest + (element > RESP_MIN_ELEMENT ? element : RESP_MIN_ELEMENT));
            return RESP_PARSE_INCOMPLETE;
        }
        if (data[pos] != '$') {
            char got = data[pos];
            /* Redis's reply turns a CR or LF into a space; do it here so the
             * message can also be logged. NUL would cut the message short. */
            if (got == '\r' || got == '\n' || got == '\0')
                got = ' ';
            char msg[64];
            snprintf(msg, sizeof(msg), "Protocol error: expected '$', got '%c'", got);
            return parse_error(errbuf, errbuf_len, msg);
        }
        long long bulk_len;
        if (!string2ll(data + pos + 1, cr - pos - 1, &bulk_len) || bulk_len < 0 || bulk_len > limits->max_bulk_len)
            return parse_error(errbuf, errbuf_len, "Protocol error: invalid bulk length");
        size_t payload = cr + 2;
        unsigned long long element_end = (unsigned long long)bulk_len + 2; /* from payload */
        if (cr + 1 >= len) {
            *needed = add_saturated(payload, element_end + rest);
            return RESP_PARSE_INCOMPLETE;
        }
        if (data[cr + 1] != '\n')
            return parse_error(errbuf, errbuf_len, "Protocol error: invalid bulk length");

        size_t avail = len - payload;
        if (avail <= (unsigned long long)bulk_len + 1) {
            if (avail == (unsigned long long)bulk_len + 1 && data[payload + bulk_len] != '\r')
                return parse_error(errbuf, errbuf_len, RESP_ERR_BULK_CRLF);
            *needed = add_saturated(payload, element_end + rest);
            return RESP_PARSE_INCOMPLETE;
        }
        if (data[payload + bulk_len] != '\r' || data[payload + bulk_len + 1] != '\n')
            return parse_error(errbuf, errbuf_len, RESP_ERR_BULK_CRLF);

        if (i == cmd->argv_cap) {
            size_t grow = (size_t)cmd->argv_cap * 2;
            storage_reserve(cmd, grow < (size_t)argc ? grow : (size_t)argc, 0);
        }
        cmd->argv[i].ptr = data + payload;
        cmd->argv[i].len = (size_t)bulk_len;
        pos = payload + (size_t)bulk_len + 2;
    }
    cmd->argc = argc;
    *consumed = pos;
    return RESP_PARSE_OK;
}

/* ---- inline ---- */

/* isspace() in the C locale: sdssplitargs skips these between arguments. */
static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends one byte of a quoted argument to scratch (or only counts it when
 * scratch is NULL). Plain arguments are never copied. */
static void emit(char *scratch, size_t *out, char byte)
{
    if (scratch)
        scratch[*out] = byte;
    (*out)++;
}

/* Splits line[0, n) into arguments with sdssplitargs' rules. With argv NULL it
 * only counts: *argc arguments and *scratch_len bytes of unescaped (quoted)
 * arguments. With argv set it fills argv (room for *argc entries, counted
 * before) and scratch. Plain arguments point into line; any argument that had
 * a quote is built in scratch. Returns -1 on unbalanced quotes. */
static int split_inline(const char *line, size_t n, struct arg *argv, char *scratch, int *argc, size_t *scratch_len)
{
    size_t i = 0, out = 0;
    int count = 0;
    for (;;) {
        while (i < n && is_blank(line[i]))
            i++;
        if (i == n)
            break;
        size_t start = i, arg_start = out;
        int in_double = 0, in_single = 0, quoted = 0;
        for (;;) {
            if (in_double) {
                if (i == n)
                    return -1;
                if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && hex_value(line[i + 2]) >= 0 &&
                    hex_value(line[i + 3]) >= 0) {
                    emit(scratch, &out, (char)(hex_value(line[i + 2]) * 16 + hex_value(line[i + 3])));
                    i += 4;
                } else if (line[i] == '\\' && i + 1 < n) {
                    char c = line[i + 1];
                    switch (c) {
                    case 'n':
                        c = '\n';
                        break;
                    case 'r':
                        c = '\r';
                        break;
                    case 't':
                        c = '\t';
                        break;
                    case 'b':
                        c = '\b';
                        break;
                    case 'a':
                        c = '\a';
                        break;
                    default:
                        break;
                    }
                    emit(scratch, &out, c);
                    i += 2;
                } else if (line[i] == '"') {
                    /* A closing quote must be followed by a blank or the end. */
                    if (i + 1 < n && !is_blank(line[i + 1]))
                        return -1;
                    i++;
                    break;
                } else {
                    emit(scratch, &out, line[i]);
                    i++;
                }
            } else if (in_single) {
                if (i == n)
                    return -1;
                if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
                    emit(scratch, &out, '\'');
                    i += 2;
                } else if (line[i] == '\'') {
                    if (i + 1 < n && !is_blank(line[i + 1]))
                        return -1;
                    i++;
                    break;
                } else {
                    emit(scratch, &out, line[i]);
                    i++;
                }
            } else {
                if (i == n || line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r')
                    break;
                if (line[i] == '"' || line[i] == '\'') {
                    /* The quoted part ends the argument at its closing quote
                     * (a"b c" is "ab c"), so this happens once per argument;
                     * the plain bytes before it start the copy in scratch. */
                    for (size_t k = start; k < i; k++)
                        emit(scratch, &out, line[k]);
                    quoted = 1;
                    if (line[i] == '"')
                        in_double = 1;
                    else
                        in_single = 1;
                }
                i++;
            }
        }
        if (argv) {
            if (quoted) {
                argv[count].ptr = scratch + arg_start;
                argv[count].len = out - arg_start;
            } else {
                argv[count].ptr = line + start;
                argv[count].len = i - start;
            }
        }
        count++;
    }
    *argc = count;
    *scratch_len = out;
    return 0;
}

static enum resp_parse_result parse_inline(const char *data, size_t len, struct resp_command *cmd, size_t *consumed,
                                           char *errbuf, size_t errbuf_len)
{
    size_t newline;
    enum line_status ls = find_line(data, len, 0, '\n', &newline);
    if (ls == LINE_TOO_BIG)
        return parse_error(errbuf, errbuf_len, "Protocol error: too big inline request");
    if (ls == LINE_INCOMPLETE)
        return RESP_PARSE_INCOMPLETE;

    size_t line_len = newline;
    if (line_len > 0 && data[line_len - 1] == '\r')
        line_len--;
    /* sdssplitargs reads a C string: nothing after a NUL counts. */
    const char *nul = memchr(data, '\0', line_len);
    if (nul)
        line_len = (size_t)(nul - data);

    int argc;
    size_t scratch_len;
    if (split_inline(data, line_len, NULL, NULL, &argc, &scratch_len) < 0)
        return parse_error(errbuf, errbuf_len, "Protocol error: unbalanced quotes in request");
    *consumed = newline + 1;
    if (argc == 0)
        return RESP_PARSE_EMPTY;
    storage_reserve(cmd, (size_t)argc, scratch_len);
    split_inline(data, line_len, cmd->argv, scratch_of(cmd), &argc, &scratch_len);
    cmd->argc = argc;
    cmd->inline_form = 1;
    return RESP_PARSE_OK;
}

enum resp_parse_result resp_parse_command(const char *data, size_t len, const struct resp_limits *limits,
                                          struct resp_command *cmd, size_t *consumed, size_t *needed, char *errbuf,
                                          size_t errbuf_len)
{
    static const struct resp_limits default_limits = {.max_bulk_len = 512LL * 1024 * 1024, .max_multibulk = INT_MAX};
    size_t consumed_unused, needed_unused;
    if (!consumed)
        consumed = &consumed_unused;
    if (!needed)
        needed = &needed_unused;
    if (!limits)
        limits = &default_limits;
    *consumed = 0;
    *needed = 0;
    if (cmd->argv && cmd->argv_cap > RESP_KEEP_ARGV)
        resp_command_free(cmd);
    cmd->argc = 0;
    cmd->inline_form = 0;
    if (len == 0)
        return RESP_PARSE_INCOMPLETE;
    if (data[0] == '*')
        return parse_multibulk(data, len, limits, cmd, consumed, needed, errbuf, errbuf_len);
    return parse_inline(data, len, cmd, consumed, errbuf, errbuf_len);
}

/* ---- writer ---- */

/* Longest decimal long long ("-9223372036854775808") */
#define LL_DIGITS_MAX 20

static const char digit_pairs[] = "00010203040506070809"
                                  "10111213141516171819"
                                  "20212223242526272829"
                                  "30313233343536373839"
                                  "40414243444546474849"
                                  "50515253545556575859"
                                  "60616263646566676869"
                                  "70717273747576777879"
                                  "80818283848586878889"
                                  "90919293949596979899";

static unsigned count_digits(unsigned long long v)
{
    unsigned n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Writes v in decimal at dst; returns the number of bytes written. */
static size_t write_ull(char *dst, unsigned long long v)
{
    unsigned n = count_digits(v);
    char *p = dst + n;
    while (v >= 100) {
        unsigned pair = (unsigned)(v % 100) * 2;
        v /= 100;
        p -= 2;
        p[0] = digit_pairs[pair];
        p[1] = digit_pairs[pair + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = digit_pairs[v * 2];
        p[1] = digit_pairs[v * 2 + 1];
    } else {
        *--p = (char)('0' + v);
    }
    return n;
}

static size_t write_ll(char *dst, long long v)
{
    if (v < 0) {
        *dst = '-';
        return 1 + write_ull(dst + 1, 0ULL - (unsigned long long)v);
    }
    return write_ull(dst, (unsigned long long)v);
}

/* "<type><v>\r\n", the header of integers, arrays, maps, sets, pushes. */
static void write_header_ll(struct buf *b, char type, long long v)
{
    char *p = buf_reserve(b, 1 + LL_DIGITS_MAX + 2);
    char *start = p;
    *p++ = type;
    p += write_ll(p, v);
    *p++ = '\r';
    *p++ = '\n';
    b->len += (size_t)(p - start);
}

/* "<type><payload>\r\n" in one reservation. */
static void write_line(struct buf *b, char type, const char *payload, size_t len)
{
    char *p = buf_reserve(b, 1 + len + 2);
    p[0] = type;
    memcpy(p + 1, payload, len);
    p[1 + len] = '\r';
    p[2 + len] = '\n';
    b->len += len + 3;
}

/* "$<len>\r\n<prefix><payload>\r\n" where the bulk holds prefix then payload. */
static void write_bulk(struct buf *b, char type, const char *prefix, size_t prefix_len, const void *payload, size_t len)
{
    size_t total = prefix_len + len;
    char *p = buf_reserve(b, 1 + LL_DIGITS_MAX + 2 + total + 2);
    char *start = p;
    *p++ = type;
    p += write_ull(p, total);
    *p++ = '\r';
    *p++ = '\n';
    if (prefix_len) {
        memcpy(p, prefix, prefix_len);
        p += prefix_len;
    }
    if (len) {
        memcpy(p, payload, len);
        p += len;
    }
    *p++ = '\r';
    *p++ = '\n';
    b->len += (size_t)(p - start);
}

void reply_simple(struct buf *b, const char *s)
{
    write_line(b, '+', s, strlen(s));
}

void reply_simple_len(struct buf *b, const char *s, size_t len)
{
    write_line(b, '+', s, len);
}

void reply_ok(struct buf *b)
{
    buf_append(b, "+OK\r\n", 5);
}

/* A stray leading '-' is dropped so the reply never starts with "--". */
void reply_error(struct buf *b, const char *msg)
{
    if (msg[0] == '-')
        msg++;
    size_t len = strlen(msg);
    char *p = buf_reserve(b, 1 + len + 2);
    p[0] = '-';
    for (size_t i = 0; i < len; i++) {
        char c = msg[i];
        p[1 + i] = (c == '\r' || c == '\n') ? ' ' : c;
    }
    p[1 + len] = '\r';
    p[2 + len] = '\n';
    b->len += len + 3;
}

void reply_errorf(struct buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        reply_error(b, "ERR error formatting the error message");
        return;
    }
    if ((size_t)n < sizeof(small)) {
        reply_error(b, small);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        fprintf(stderr, "shardis: out of memory allocating %d bytes\n", n + 1);
        abort();
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    reply_error(b, big);
    free(big);
}

void reply_integer(struct buf *b, long long v)
{
    write_header_ll(b, ':', v);
}

void reply_bulk(struct buf *b, const void *p, size_t len)
{
    write_bulk(b, '$', NULL, 0, p, len);
}

/* NULL writes a RESP2 null bulk ("$-1"), which RESP3 clients also accept. */
void reply_bulk_cstr(struct buf *b, const char *s)
{
    if (!s) {
        buf_append(b, "$-1\r\n", 5);
        return;
    }
    write_bulk(b, '$', NULL, 0, s, strlen(s));
}

void reply_bulk_ll(struct buf *b, long long v)
{
    char digits[LL_DIGITS_MAX];
    size_t n = write_ll(digits, v);
    write_bulk(b, '$', NULL, 0, digits, n);
}

void reply_null(struct buf *b, int resp)
{
    if (resp >= 3)
        buf_append(b, "_\r\n", 3);
    else
        buf_append(b, "$-1\r\n", 5);
}

void reply_null_array(struct buf *b, int resp)
{
    if (resp >= 3)
        buf_append(b, "_\r\n", 3);
    else
        buf_append(b, "*-1\r\n", 5);
}

void reply_array(struct buf *b, long long n)
{
    write_header_ll(b, '*', n);
}

void reply_map(struct buf *b, int resp, long long pairs)
{
    if (resp >= 3)
        write_header_ll(b, '%', pairs);
    else
        write_header_ll(b, '*', pairs * 2);
}

void reply_set(struct buf *b, int resp, long long n)
{
    write_header_ll(b, resp >= 3 ? '~' : '*', n);
}

void reply_push(struct buf *b, int resp, long long n)
{
    write_header_ll(b, resp >= 3 ? '>' : '*', n);
}

void reply_bool(struct buf *b, int resp, int v)
{
    if (resp >= 3)
        buf_append(b, v ? "#t\r\n" : "#f\r\n", 4);
    else
        buf_append(b, v ? ":1\r\n" : ":0\r\n", 4);
}

void reply_double(struct buf *b, int resp, double d)
{
    char text[32];
    size_t len;
    if (isnan(d)) {
        /* glibc would print "-nan" for a negative NaN. */
        memcpy(text, "nan", 3);
        len = 3;
    } else if (isinf(d)) {
        len = d > 0 ? 3 : 4;
        memcpy(text, d > 0 ? "inf" : "-inf", len);
    } else {
        len = (size_t)snprintf(text, sizeof(text), "%.17g", d);
    }
    if (resp >= 3)
        write_line(b, ',', text, len);
    else
        write_bulk(b, '$', NULL, 0, text, len);
}

/* ext3 is the three-letter format ("txt", "mkd"); NULL means "txt". */
void reply_verbatim(struct buf *b, int resp, const char *p, size_t len, const char *ext3)
{
    if (resp < 3) {
        write_bulk(b, '$', NULL, 0, p, len);
        return;
    }
    char prefix[4] = {'t', 'x', 't', ':'};
    if (ext3) {
        size_t n = strnlen(ext3, 3);
        memcpy(prefix, ext3, n);
        memset(prefix + n, ' ', 3 - n);
    }
    write_bulk(b, '=', prefix, sizeof(prefix), p, len);
}

void reply_bignum(struct buf *b, int resp, const char *digits, size_t len)
{
    if (resp >= 3)
        write_line(b, '(', digits, len);
    else
        write_bulk(b, '$', NULL, 0, digits, len);
}
