/*
 * client.h - clients and reply assertions for the integration tests.
 *
 * Two families of reply checks, both exact (type and content) and both
 * reporting the caller's file and line:
 *
 *   expect_*(reply, ...)  take ownership of a reply from cmd() and free it, so
 *                         a test reads `expect_int(cmd(c, "INCR x"), 1);`
 *   assert_*(reply, ...)  check without freeing: for elements of an aggregate
 *                         or for a reply the test keeps inspecting.
 *
 * expect_array() is the exception that returns the (checked) reply instead of
 * freeing it; the caller frees it with freeReplyObject().
 *
 * Raw sockets (raw_*) talk bytes to the server for protocol tests, bypassing
 * hiredis's encoder and parser.
 */
#ifndef SHARDIS_IT_CLIENT_H
#define SHARDIS_IT_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- Time ---- */

long long now_ms(void);       /* CLOCK_MONOTONIC in milliseconds */
long long unix_time_ms(void); /* CLOCK_REALTIME in milliseconds */
void sleep_ms(long ms);

/* ---- Connections ---- */

/* Connects to 127.0.0.1:port with a 10 s connect and command timeout; fails
 * the test when it cannot. Caller frees with redisFree(). */
redisContext *client_connect_port(int port);
/* Same, to the current test's server. */
redisContext *client_connect(void);

/* Runs one command (hiredis format string: %s string, %b binary with length,
 * %d int). Fails the test on an I/O error (the reply is NULL only then).
 * Caller owns the reply. */
redisReply *cmd(redisContext *ctx, const char *format, ...);
redisReply *cmd_argv(redisContext *ctx, int argc, const char **argv, const size_t *lens);
/* Reads the next reply of a pipeline (after redisAppendCommand). */
redisReply *next_reply(redisContext *ctx);

/* ---- Reply checks (see the header comment for expect_ vs assert_) ---- */

#define expect_status(reply, text) check_status(__FILE__, __LINE__, (reply), (text), true)
#define expect_int(reply, value) check_int(__FILE__, __LINE__, (reply), (value), true)
#define expect_str(reply, text) check_bulk(__FILE__, __LINE__, (reply), (text), strlen(text), true)
#define expect_bulk(reply, data, len) check_bulk(__FILE__, __LINE__, (reply), (data), (len), true)
#define expect_nil(reply) check_nil(__FILE__, __LINE__, (reply), true)
#define expect_err(reply, text) check_err(__FILE__, __LINE__, (reply), (text), false, true)
#define expect_err_prefix(reply, prefix) check_err(__FILE__, __LINE__, (reply), (prefix), true, true)
#define expect_double(reply, text) check_double(__FILE__, __LINE__, (reply), (text), true)
#define expect_array_len(reply, n) check_array_len(__FILE__, __LINE__, (reply), (n), true)
/* Returns the reply (an array of n elements); the caller frees it. */
#define expect_array(reply, n) check_array_len(__FILE__, __LINE__, (reply), (n), false)
/* Array of exactly n bulk strings in this order; a NULL argument means nil. */
#define expect_strs(reply, n, ...) check_strs(__FILE__, __LINE__, (reply), false, true, (n), __VA_ARGS__)
/* Array of exactly n bulk strings in any order (no duplicates expected). */
#define expect_str_set(reply, n, ...) check_strs(__FILE__, __LINE__, (reply), true, true, (n), __VA_ARGS__)

#define assert_status(reply, text) check_status(__FILE__, __LINE__, (reply), (text), false)
#define assert_int(reply, value) check_int(__FILE__, __LINE__, (reply), (value), false)
#define assert_str(reply, text) check_bulk(__FILE__, __LINE__, (reply), (text), strlen(text), false)
#define assert_bulk(reply, data, len) check_bulk(__FILE__, __LINE__, (reply), (data), (len), false)
#define assert_nil(reply) check_nil(__FILE__, __LINE__, (reply), false)
#define assert_err(reply, text) check_err(__FILE__, __LINE__, (reply), (text), false, false)
#define assert_err_prefix(reply, prefix) check_err(__FILE__, __LINE__, (reply), (prefix), true, false)
#define assert_array_len(reply, n) check_array_len(__FILE__, __LINE__, (reply), (n), false)
#define assert_strs(reply, n, ...) check_strs(__FILE__, __LINE__, (reply), false, false, (n), __VA_ARGS__)

void check_status(const char *file, int line, redisReply *reply, const char *text, bool consume);
void check_int(const char *file, int line, redisReply *reply, long long value, bool consume);
void check_bulk(const char *file, int line, redisReply *reply, const char *data, size_t len, bool consume);
void check_nil(const char *file, int line, redisReply *reply, bool consume);
void check_err(const char *file, int line, redisReply *reply, const char *text, bool prefix, bool consume);
/* A RESP2 bulk string or RESP3 double whose text is exactly `text`. */
void check_double(const char *file, int line, redisReply *reply, const char *text, bool consume);
redisReply *check_array_len(const char *file, int line, redisReply *reply, size_t n, bool consume);
void check_strs(const char *file, int line, redisReply *reply, bool any_order, bool consume, size_t n, ...);

/* Renders a reply for failure messages ("(integer) 3", "\"abc\"", "[...]").
 * Returns a thread-local buffer, valid until the next call. */
const char *describe_reply(const redisReply *reply);

/* ---- Helpers built on replies ---- */

/* Creates a list `key` with one element through RPUSH. Returns false when the
 * server does not know list commands yet ("ERR unknown command"), so that
 * WRONGTYPE tests can skip on a server without lists. */
bool make_list(redisContext *ctx, const char *key);

/* The value of `field` ("field:value" line) in an INFO reply text, copied into
 * out. Returns false when the field is absent. */
bool info_field(const char *info, const char *field, char *out, size_t size);
/* INFO <section> as a C string; caller frees with free(). */
char *info_text(redisContext *ctx, const char *section);
/* Sets keys "<prefix>0" .. "<prefix>(n-1)" to "0" .. "n-1" in one pipeline
 * and checks every +OK. */
void fill_keys(redisContext *ctx, const char *prefix, int n);
/* Runs `command <prefix>0 .. <prefix>(n-1)` (DEL, EXISTS, MGET, ...). */
redisReply *cmd_with_keys(redisContext *ctx, const char *command, const char *prefix, int n);
/* DBSIZE of the current database. */
long long dbsize(redisContext *ctx);

/* ---- Raw sockets ---- */

struct raw_reply {
    char *data; /* NUL-terminated for convenience; may contain NULs */
    size_t len;
    bool closed; /* the server closed (or reset) the connection */
};

/* A blocking TCP socket to 127.0.0.1:port; fails the test when it cannot
 * connect. Caller closes it. */
int raw_connect(int port);
/* Writes all bytes (MSG_NOSIGNAL). Returns false if the peer is gone. */
bool raw_send(int fd, const void *bytes, size_t len);
/* Reads from fd. want > 0: until `want` bytes arrived (then waits 50 ms more
 * so that unexpected extra bytes are seen too), the peer closes, or timeout_ms
 * passes. want == 0: until the peer closes, timeout_ms passes, or 300 ms pass
 * without data once some data has arrived. Caller frees with raw_reply_free. */
struct raw_reply raw_read(int fd, size_t want, int timeout_ms);
/* Connects, sends bytes, reads what comes back (raw_read with want == 0 and a
 * 5 s timeout), closes. */
struct raw_reply raw_roundtrip(int port, const void *bytes, size_t len);
void raw_reply_free(struct raw_reply *reply);
/* C-escaped rendering of bytes for messages; thread-local buffer. */
const char *escape_bytes(const char *data, size_t len);

/* The raw reply is exactly `text` (whole reply, byte for byte). */
#define expect_raw(raw, text) check_raw(__FILE__, __LINE__, (raw), (text), strlen(text))
void check_raw(const char *file, int line, const struct raw_reply *raw, const char *text, size_t len);

#endif
