/*
 * resp.h - RESP2/RESP3 request parser and reply writer.
 *
 * Parser: zero-copy. resp_parse_command() looks at the bytes a connection has
 * received so far and, when they hold one whole command, fills `cmd` with
 * pointers into those bytes (valid while the caller keeps the bytes unchanged)
 * and says how many bytes it used. It never reads past `len` and keeps no state
 * between calls, so a caller may call it again from the same offset after more
 * bytes arrive. Both the multibulk form ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") and
 * the inline form ("GET k\r\n", with Redis's quoting rules) are accepted.
 *
 * Writer: reply_* functions append one RESP value to a buf. Functions whose
 * encoding differs between RESP2 and RESP3 take the protocol version (2 or 3).
 * Error messages are passed without the leading '-' and must start with the
 * error code, as in Redis ("ERR syntax error", "WRONGTYPE Operation ...").
 *
 * Threads: no state; any thread parses or writes into bytes it owns.
 */
#ifndef SHARDIS_RESP_H
#define SHARDIS_RESP_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"

/* One argument of a command: borrowed bytes, not NUL-terminated. */
struct arg {
    const char *ptr;
    size_t len;
};

/* A parsed command. argv grows as needed and is reused between parses; the
 * owner frees it with resp_command_free(). */
struct resp_command {
    int argc;
    int argv_cap;
    struct arg *argv;
    int inline_form; /* 1 when parsed from the inline form */
};

struct resp_limits {
    long long max_bulk_len;  /* proto-max-bulk-len, default 512 MB */
    long long max_multibulk; /* largest accepted "*N", Redis: INT_MAX */
};

enum resp_parse_result {
    RESP_PARSE_OK = 0,     /* one command in cmd; *consumed bytes used */
    RESP_PARSE_EMPTY,      /* *consumed bytes held no command (blank line, "*0", "*-1"): skip them */
    RESP_PARSE_INCOMPLETE, /* need more bytes; nothing consumed */
    RESP_PARSE_ERROR,      /* protocol error; errbuf holds Redis's message */
};

/*
 * Parses the first command in data[0, len). errbuf (at least 128 bytes) gets
 * the error text on RESP_PARSE_ERROR, e.g. "Protocol error: invalid bulk
 * length", "Protocol error: invalid multibulk length", "Protocol error:
 * expected '$', got 'x'", "Protocol error: unbalanced quotes in request",
 * "Protocol error: too big inline request", "Protocol error: too big mbulk
 * count string". The connection is closed after such an error, as in Redis.
 * *needed, when not NULL, is set on RESP_PARSE_INCOMPLETE to a lower bound of
 * the total bytes the command needs (0 when unknown), so large bulk payloads
 * are not re-scanned on every read.
 */
enum resp_parse_result resp_parse_command(const char *data, size_t len, const struct resp_limits *limits,
                                          struct resp_command *cmd, size_t *consumed, size_t *needed, char *errbuf,
                                          size_t errbuf_len);
void resp_command_free(struct resp_command *cmd);

/* ---- reply writer ---- */
void reply_simple(struct buf *b, const char *s); /* +s */
void reply_simple_len(struct buf *b, const char *s, size_t len);
void reply_ok(struct buf *b);                     /* +OK */
void reply_error(struct buf *b, const char *msg); /* -msg; '\r' and '\n' in msg become spaces */
void reply_errorf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void reply_integer(struct buf *b, long long v); /* :v */
void reply_bulk(struct buf *b, const void *p, size_t len);
void reply_bulk_cstr(struct buf *b, const char *s);
void reply_bulk_ll(struct buf *b, long long v);           /* integer as bulk string */
void reply_null(struct buf *b, int resp);                 /* $-1 | _ */
void reply_null_array(struct buf *b, int resp);           /* *-1 | _ */
void reply_array(struct buf *b, long long n);             /* *n */
void reply_map(struct buf *b, int resp, long long pairs); /* %n | *2n */
void reply_set(struct buf *b, int resp, long long n);     /* ~n | *n */
void reply_push(struct buf *b, int resp, long long n);    /* >n | *n */
void reply_bool(struct buf *b, int resp, int v);          /* #t/#f | :1/:0 */
/* A double: RESP3 ",1.5" (",inf", ",-inf", ",nan"); RESP2 a bulk string
 * formatted like Redis's addReplyDouble (%.17g, "inf", "-inf"). */
void reply_double(struct buf *b, int resp, double d);
/* Verbatim text (INFO, CLIENT LIST...): RESP3 "=len\r\ntxt:...", RESP2 bulk. */
void reply_verbatim(struct buf *b, int resp, const char *p, size_t len, const char *ext3);
/* Big number (RESP3 "(", RESP2 bulk). */
void reply_bignum(struct buf *b, int resp, const char *digits, size_t len);

#endif
