/*
 * listener.c - listening sockets and accepts (see listener.h). Runs on the
 * thread of the listener's loop, except listeners_open (set-up, before that
 * thread starts).
 */
#include "net/listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "net/conn.h"
#include "net/service.h"
#include "net/tls.h"
#include "net/uring.h"

static void arm_accept(struct listener *l)
{
    struct io_uring_sqe *sqe = uring_get_sqe(l->loop->ring);
    io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, uring_tagged(l, TAG_ACCEPT));
}

void listener_on_accept(struct listener *l, struct io_uring_cqe *cqe)
{
    struct net_loop *loop = l->loop;
    if (!(cqe->flags & IORING_CQE_F_MORE) && !loop->stopping)
        arm_accept(l);
    if (cqe->res < 0) {
        if (cqe->res != -ECANCELED)
            server_log(LL_VERBOSE, "Accepting client connection: %s", strerror(-cqe->res));
        return;
    }
    int fd = cqe->res;
    if (loop->stopping) {
        close(fd);
        return;
    }
    struct conn *c = loop->svc->accept(loop, fd, l->tls);
    if (!c)
        return;
    if (l->tls && tls_conn_attach(c) < 0) {
        server_log(LL_VERBOSE, "TLS not available for client id=%llu addr=%s", (unsigned long long)c->id, c->addr);
        loop->svc->close(c, 0);
        return;
    }
    conn_start_recv(c);
}

static int open_listener(struct net_loop *loop, const char *addr, int port, int tls, int backlog, int probe_first,
                         char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sslen;
    memset(&ss, 0, sizeof(ss));
    int family;
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) {
            snprintf(err, errlen, "Invalid bind address '%s'", addr);
            return -EINVAL;
        }
        sslen = sizeof(*a);
        family = AF_INET6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(port);
        if (!strcmp(addr, "*"))
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) {
            snprintf(err, errlen, "Invalid bind address '%s'", addr);
            return -EINVAL;
        }
        sslen = sizeof(*a);
        family = AF_INET;
    }
    int one = 1;
    if (probe_first) {
        /* SO_REUSEPORT would let this server share a port another process
         * of the same user already listens on (the kernel then spreads the
         * connections over both servers). Redis refuses to start there:
         * the first thread first binds a probe socket without it, which
         * fails with EADDRINUSE while anyone listens on the port. */
        int probe = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0)
            return -errno;
        setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (family == AF_INET6)
            setsockopt(probe, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(probe, (struct sockaddr *)&ss, sslen) < 0) {
            int e = errno;
            snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(e));
            close(probe);
            return -e;
        }
        close(probe);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sslen) < 0 || listen(fd, backlog) < 0) {
        int e = errno;
        snprintf(err, errlen, "Could not create server TCP listening socket %s:%d: %s", addr, port, strerror(e));
        close(fd);
        return -e;
    }
    struct listener *l = &loop->listeners[loop->nlisteners++];
    l->fd = fd;
    l->loop = loop;
    l->tls = tls;
    snprintf(l->addr, sizeof(l->addr), "%s", addr);
    return 0;
}

int listeners_open(struct net_loop *loop, const struct config *cfg, int first, char *err, size_t errlen)
{
    loop->listeners = calloc(2 * cfg->nbind, sizeof(*loop->listeners)); /* plain and TLS */
    /* port 0 disables the plain listeners, tls-port 0 the TLS ones. */
    for (int i = 0; i < 2 * cfg->nbind; i++) {
        int tls = i >= cfg->nbind;
        int port = tls ? cfg->tls_port : cfg->port;
        if (port == 0)
            continue;
        const char *addr = cfg->bind[i % cfg->nbind];
        int optional = addr[0] == '-';
        if (optional)
            addr++;
        char msg[256];
        int ret = open_listener(loop, addr, port, tls, cfg->tcp_backlog, first, msg, sizeof(msg));
        if (ret < 0) {
            if (optional && (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT || ret == -EPROTONOSUPPORT)) {
                if (first)
                    server_log(LL_NOTICE, "Skipping optional bind address %s: %s", addr, strerror(-ret));
                continue;
            }
            snprintf(err, errlen, "%s", msg);
            return -1;
        }
    }
    if (loop->nlisteners == 0) {
        snprintf(err, errlen, "Failed listening on any bind address");
        return -1;
    }
    return 0;
}

void listeners_start(struct net_loop *loop)
{
    for (int i = 0; i < loop->nlisteners; i++)
        arm_accept(&loop->listeners[i]);
}

void listeners_close(struct net_loop *loop)
{
    loop->stopping = 1;
    for (int i = 0; i < loop->nlisteners; i++) {
        close(loop->listeners[i].fd);
        loop->listeners[i].fd = -1;
    }
}
