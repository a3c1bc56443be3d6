/*
 * conn.h - a connection's I/O: its socket, the bytes received and not yet
 * parsed, the replies not yet sent, the recv and send in flight on the
 * thread's io_uring, its TLS state, and the closing of its socket.
 *
 * What the bytes mean is not known here: the engine's struct client
 * (shards/client.h) embeds a struct conn, parses `in`, appends replies to
 * `out`, and is called through the thread's struct net_service
 * (net/service.h), which gets the struct conn back (container_of).
 *
 * Owner: the thread that accepted the connection; nothing else touches it.
 *
 * Output: the engine appends to `out`; conn_flush hands `out` to one send
 * by swapping it with the idle `sending` buffer, so no reply byte is copied
 * on the way to the socket. At most one send and one (multishot) recv are
 * in flight.
 *
 * Lifetime: conn_destroy runs only once the socket was shut down
 * (`closing`) and no recv or send is in flight (conn_io_busy); after each
 * of its I/Os ends the connection calls the service's release, which frees
 * it when nothing else refers to it.
 */
#ifndef SHARDIS_CONN_H
#define SHARDIS_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"

struct io_uring_cqe;
struct net_loop;
struct tls_conn;

/* Input back-pressure: when a connection's unparsed input passes this many
 * bytes and the engine says it parses nothing (service must_hold), its recv
 * stops; the socket's buffer then pushes back on the sender (TCP flow
 * control). Reading resumes with conn_recv_resume. */
#define CONN_INPUT_HOLD_BYTES (256 * 1024)

struct conn {
    int fd;
    struct net_loop *loop;
    uint64_t id; /* the engine's client id, for log lines */

    struct buf in;      /* received bytes not yet parsed */
    struct buf out;     /* replies not yet handed to a send */
    struct buf sending; /* bytes of the send in flight */
    size_t sending_off;
    int send_inflight;
    int recv_inflight;
    int recv_held;         /* input back-pressure: the recv is stopped (or being cancelled) */
    int close_after_reply; /* close once the output is written (QUIT, protocol error, TLS close_notify) */
    int closing;           /* socket shut down, waiting for the I/O in flight to end */

    char addr[64];
    char laddr[64];
    uint64_t net_in, net_out;
    struct tls_conn *tls; /* accepted on a TLS listener (net/tls.h), else NULL */
};

/* Sets up c for an accepted socket: TCP options (keepalive: seconds, 0 =
 * off), peer and local addresses. */
void conn_init(struct conn *c, struct net_loop *loop, int fd, int keepalive);
/* Starts the connection's multishot recv (after accept). */
void conn_start_recv(struct conn *c);
/* A received plaintext chunk: appended to `in`, then the service's input. */
void conn_on_data(struct conn *c, const char *data, size_t len);
/* io_uring completion handlers (TAG_RECV, TAG_SEND). */
void conn_on_recv(struct conn *c, struct io_uring_cqe *cqe);
void conn_on_send_complete(struct conn *c, int res);
/* Reads again after input back-pressure, once it no longer applies. */
void conn_recv_resume(struct conn *c);
/* Hands `out` to a send (through TLS first). Returns 1 when a send is in
 * flight, 0 when there was nothing to send. */
int conn_flush(struct conn *c);
/* Shuts the socket down: ends the multishot recv (it completes with 0) and
 * any send. Sets `closing`. */
void conn_shutdown(struct conn *c);
/* True while a recv or send is in flight (the conn must not be freed). */
static inline int conn_io_busy(const struct conn *c)
{
    return c->recv_inflight || c->send_inflight;
}
/* True when no output waits anywhere (nothing in flight, `out` and the TLS
 * records empty). */
int conn_output_idle(const struct conn *c);
/* Bytes of replies waiting for the socket (CLIENT LIST omem, output limits). */
static inline size_t conn_output_pending(const struct conn *c)
{
    return c->out.len + (c->sending.len - c->sending_off);
}
/* Closes the socket and frees the buffers and TLS state (not c itself). */
void conn_destroy(struct conn *c);

#endif
