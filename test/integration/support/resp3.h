/*
 * resp3.h - a small RESP2/RESP3 reply parser and raw sessions for tests.
 *
 * Debian 12 ships hiredis 0.14, which predates RESP3: it cannot parse the
 * map, null, double, boolean, set, verbatim or big-number types a server
 * sends after HELLO 3. Tests that speak RESP3 use a raw_session (one TCP
 * connection with an input buffer) and get replies as a tree of struct resp3,
 * keeping the exact wire type of every value.
 */
#ifndef SHARDIS_IT_RESP3_H
#define SHARDIS_IT_RESP3_H

#include <stdbool.h>
#include <stddef.h>

/* One parsed value. Owned by its parent; the root is freed with resp3_free. */
struct resp3 {
    char type;            /* the wire type byte: + - : $ * % ~ > _ , # ( = | ! */
    bool null;            /* RESP2 null bulk ($-1) or null array (*-1) */
    char *str;            /* text of + - $ , ( = ! (NUL-terminated), and of : and # */
    size_t len;           /* length of str */
    long long integer;    /* value of : ; 1/0 for # */
    size_t count;         /* elements of * ~ > ; pairs of % | */
    struct resp3 **items; /* count elements, or 2*count (key, value, ...) for % | */
};

/* Parses one value from buf[0, len). Returns the bytes it used, 0 when the
 * value is not complete yet, -1 when the bytes are not valid RESP. On success
 * *out is a tree the caller frees with resp3_free. */
long resp3_parse(const char *buf, size_t len, struct resp3 **out);
void resp3_free(struct resp3 *value);

/* The value stored under string key `key` in a map (%), or NULL. Borrowed. */
const struct resp3 *resp3_map_get(const struct resp3 *map, const char *key);
/* Whether value is a string-like (+ $ = ,) with exactly this text. */
bool resp3_is_text(const struct resp3 *value, char type, const char *text);
/* Renders a value for messages; static buffer, valid until the next call. */
const char *resp3_describe(const struct resp3 *value);

/* A raw connection that sends commands as RESP arrays and parses replies. */
struct raw_session {
    int fd;
    char *buf;
    size_t len;
    size_t cap;
};

/* Connects to 127.0.0.1:port; fails the test when it cannot. */
void raw_session_open(struct raw_session *session, int port);
void raw_session_close(struct raw_session *session);
/* Sends a command (NULL-terminated list of C-string arguments) and returns its
 * reply; fails the test on timeout (10 s), close or malformed input. Caller
 * frees with resp3_free. */
struct resp3 *raw_call(struct raw_session *session, ...);
/* Reads the next reply without sending anything. */
struct resp3 *raw_session_read(struct raw_session *session);

#endif
