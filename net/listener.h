/*
 * listener.h - a thread's listening sockets and their multishot accepts.
 *
 * Every thread opens its own socket per bind address and port with
 * SO_REUSEPORT, so the kernel spreads new connections over the threads; the
 * first thread first binds a probe socket without it, so that a port some
 * other process already listens on is refused as Redis refuses it.
 *
 * Owner: the thread of its struct net_loop (set up on the main thread
 * before that thread starts). An accepted socket goes to the service's
 * accept (net/service.h); a TLS listener's connection then gets its TLS
 * state and its recv is started here.
 */
#ifndef SHARDIS_LISTENER_H
#define SHARDIS_LISTENER_H

#include <stddef.h>

struct config;
struct io_uring_cqe;
struct net_loop;

struct listener {
    int fd;
    int tls; /* accepts on tls-port */
    struct net_loop *loop;
    char addr[64];
};

/* Opens the listeners of cfg's bind addresses on port and tls-port (0
 * disables either). first: the first thread (binds the probe sockets, logs
 * skipped optional addresses). Returns 0, or -1 with the reason in err. */
int listeners_open(struct net_loop *loop, const struct config *cfg, int first, char *err, size_t errlen);
/* Arms the multishot accept of every listener (the thread starts). */
void listeners_start(struct net_loop *loop);
/* Closes every listener: the thread stops accepting (shutdown). */
void listeners_close(struct net_loop *loop);
/* io_uring completion handler (TAG_ACCEPT). */
void listener_on_accept(struct listener *l, struct io_uring_cqe *cqe);

#endif
