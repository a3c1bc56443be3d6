/*
 * service.h - how the network layer calls up: the callbacks the engine
 * (shards/client.c) registers for its connections. net/ includes nothing
 * above itself; everything it must ask or tell the engine goes through one
 * struct net_service per thread (struct net_loop's `svc`).
 *
 * This interface is also where another I/O back end plugs in: an epoll loop
 * would call the same callbacks from its readiness events, and the engine
 * would not change.
 *
 * Cost: one indirect call per accepted socket, per received chunk (input),
 * per completed send that leaves output or nothing behind (want_flush,
 * release), none per byte.
 *
 * Every callback runs on the thread that owns the connection, from its
 * loop's completion handling; any of them may close the connection, and
 * release may free it (the caller touches it no more afterwards).
 */
#ifndef SHARDIS_NET_SERVICE_H
#define SHARDIS_NET_SERVICE_H

#include <stddef.h>

struct conn;
struct net_loop;

struct net_service {
    /* A listener accepted socket fd (tls: on the TLS port). Returns the
     * connection the engine made for it, or NULL when it refused it (it
     * closed fd, or is closing the connection). */
    struct conn *(*accept)(struct net_loop *loop, int fd, int tls);
    /* Plaintext bytes were appended to c->in. */
    void (*input)(struct conn *c);
    /* Input back-pressure: nonzero while the engine wants no more input read
     * (asked only once c->in holds more than CONN_INPUT_HOLD_BYTES). */
    int (*must_hold)(struct conn *c);
    /* The connection must close: EOF, socket error, TLS failure or
     * close_notify (after_reply: once the pending replies are written). */
    void (*close)(struct conn *c, int after_reply);
    /* Output waits in c->out (TLS records, the rest of a send): schedule a
     * conn_flush. */
    void (*want_flush)(struct conn *c);
    /* An I/O of c ended: free it if nothing refers to it any more. */
    void (*release)(struct conn *c);
    /* TLS handshake done; cn is the verified client certificate's CN or
     * NULL. The engine may log the client in, or reply and close. */
    void (*handshake_done)(struct conn *c, const char *cn);
};

#endif
