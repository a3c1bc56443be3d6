/*
 * cli_conn.h - shardis-cli's connection to a server: TCP or unix socket,
 * optionally TLS (OpenSSL), blocking; RESP2/RESP3 replies parsed into trees.
 *
 * Replies are framed by an incremental scanner (it remembers how far it got
 * and how many elements each open aggregate still needs), so a reply that
 * arrives in many reads is scanned once; the tree is built only when the
 * whole reply is in the buffer.
 */
#ifndef SHARDIS_CLI_CONN_H
#define SHARDIS_CLI_CONN_H

#include <stddef.h>

enum creply_type {
    CR_STRING,  /* $ */
    CR_ARRAY,   /* * */
    CR_INTEGER, /* : */
    CR_NIL,     /* $-1, *-1, _ */
    CR_STATUS,  /* + */
    CR_ERROR,   /* - and ! */
    CR_DOUBLE,  /* , (text kept in str) */
    CR_BOOL,    /* # */
    CR_MAP,     /* % (elements = 2 * pairs) */
    CR_SET,     /* ~ */
    CR_PUSH,    /* > */
    CR_BIGNUM,  /* ( (digits in str) */
    CR_VERB,    /* = (str without the "txt:" prefix; format in vtype) */
};

struct creply {
    enum creply_type type;
    long long integer; /* CR_INTEGER, CR_BOOL */
    char *str;         /* NUL-terminated copy for string-like types */
    size_t len;
    char vtype[4];
    size_t elements;
    struct creply **element;
};

void creply_free(struct creply *r);

struct tls_options {
    int enabled;
    const char *cacert, *cacertdir, *cert, *key, *sni;
    int insecure;
};

struct cconn {
    int fd;
    void *ssl; /* SSL *, NULL for plain */
    void *ssl_ctx;
    char *buf;
    size_t len, cap, pos; /* unread bytes are buf[pos..len) */
    /* scanner state for the reply starting at pos */
    size_t scan_pos;
    int depth;
    long long remain[64];
    int started;
    char err[256];
};

/* Connects; on failure returns NULL and writes redis-cli's message into err
 * ("Could not connect to Redis at HOST:PORT: Connection refused"). */
struct cconn *cconn_connect(const char *host, int port, const char *socket_path, const struct tls_options *tls,
                            char *err, size_t errlen);
void cconn_close(struct cconn *c);

/* Writes all of p; 0 or -1 (message in c->err). */
int cconn_write(struct cconn *c, const void *p, size_t len);
/* Nonblocking write for --pipe: bytes written, 0 when the socket is full, -1 on error. */
long cconn_write_some(struct cconn *c, const void *p, size_t len);
void cconn_set_nonblocking(struct cconn *c);
/* Encodes argv as a RESP array of bulk strings (the project's RESP writer) and writes it. */
int cconn_send_argv(struct cconn *c, int argc, char **argv, const size_t *lens);
/* Reads one whole reply (blocking). NULL on error/EOF (message in c->err). */
struct creply *cconn_read_reply(struct cconn *c);
/* Non-blocking variant for --pipe: reads what is available; returns 1 with
 * *out set when a reply is complete, 0 when more bytes are needed, -1 on error. */
int cconn_try_reply(struct cconn *c, struct creply **out);
/* Reads available bytes into the buffer: >0 bytes, 0 EOF, -1 error (EAGAIN: errno). */
long cconn_fill(struct cconn *c);
/* Sends the command and returns its reply (NULL on connection error). */
struct creply *cconn_command(struct cconn *c, int argc, char **argv, const size_t *lens);
/* Convenience: a command from NUL-terminated words. */
struct creply *cconn_commandv(struct cconn *c, int argc, const char **argv);

/* Parses one reply from p[0..len): 1 complete (*used bytes, *out tree), 0 incomplete, -1 protocol error. */
int creply_parse(const char *p, size_t len, size_t *used, struct creply **out);

#endif
