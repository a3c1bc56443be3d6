/*
 * conn.c - connection I/O on the thread's io_uring: one multishot recv into
 * the provided buffers, one send at a time, input back-pressure, the socket's
 * shutdown and close. Runs on the thread that owns the connection.
 *
 * Input: each received chunk is copied into `in` (decrypted first on a TLS
 * connection) and its provided buffer goes back to the ring at once; the
 * service's input callback then parses what it can.
 *
 * Output: conn_flush swaps `out` with the idle `sending` buffer and sends
 * it; a short send continues from `sending_off`.
 */
#include "net/conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/service.h"
#include "net/tls.h"
#include "net/uring.h"

static void format_addr(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, outlen, "%s:%d", host, port);
}

void conn_init(struct conn *c, struct net_loop *loop, int fd, int keepalive)
{
    c->fd = fd;
    c->loop = loop;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (keepalive > 0) {
        int idle = keepalive;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        int intvl = idle / 3 > 0 ? idle / 3 : 1;
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, c->addr, sizeof(c->addr));
    len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        format_addr(&ss, c->laddr, sizeof(c->laddr));
}

/* The service's release, when it can have something to do: only a closing
 * connection, or one to close once its output is written, is ever freed.
 * Keeps the hot path at one indirect call per received chunk. */
static void conn_release(struct conn *c)
{
    if (c->closing || c->close_after_reply)
        c->loop->svc->release(c);
}

void conn_start_recv(struct conn *c)
{
    struct io_uring_sqe *sqe = uring_get_sqe(c->loop->ring);
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = URING_RECV_BGID;
    io_uring_sqe_set_data64(sqe, uring_tagged(c, TAG_RECV));
    c->recv_inflight = 1;
}

void conn_on_data(struct conn *c, const char *data, size_t len)
{
    buf_append(&c->in, data, len);
    c->net_in += len;
    c->loop->svc->input(c);
}

/* Input back-pressure (CONN_INPUT_HOLD_BYTES): a connection whose engine
 * parses nothing and that has that much input waiting reads no more. */
static int input_must_hold(struct conn *c)
{
    return c->in.len > CONN_INPUT_HOLD_BYTES && c->loop->svc->must_hold(c);
}

/* Stops the multishot recv: cancelled by its user_data; chunks already
 * received still arrive and are kept, its last completion (-ECANCELED, or
 * data without F_MORE) is not re-armed while held. */
static void recv_hold(struct conn *c)
{
    c->recv_held = 1;
    struct io_uring_sqe *sqe = uring_get_sqe(c->loop->ring);
    io_uring_prep_cancel64(sqe, uring_tagged(c, TAG_RECV), 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(sqe, uring_tagged(NULL, TAG_IGNORE));
}

/* Called when the engine may parse again and at the end of a stopped recv:
 * reads again once the hold no longer applies. */
void conn_recv_resume(struct conn *c)
{
    if (c->recv_held && !c->recv_inflight && !c->closing && !input_must_hold(c)) {
        c->recv_held = 0;
        conn_start_recv(c);
    }
}

void conn_on_recv(struct conn *c, struct io_uring_cqe *cqe)
{
    struct net_loop *loop = c->loop;
    int res = cqe->res;
    if (res > 0) {
        unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
        loop->net_input_bytes += res;
        loop->reads_processed++;
        if (!c->closing) {
            const char *data = uring_recv_buffer(loop, bid);
            if (c->tls)
                tls_on_recv(c, data, res);
            else
                conn_on_data(c, data, res);
        }
        uring_recycle_buffer(loop, bid);
        if ((cqe->flags & IORING_CQE_F_MORE) && !c->recv_held && !c->closing && input_must_hold(c))
            recv_hold(c);
    }
    if (!(cqe->flags & IORING_CQE_F_MORE)) {
        c->recv_inflight = 0;
        if (c->recv_held && !c->closing) {
            if (res > 0 || res == -ECANCELED || res == -ENOBUFS) {
                conn_recv_resume(c); /* re-armed at once if it was resumed meanwhile */
            } else {
                c->recv_held = 0;
                loop->svc->close(c, 0); /* EOF or error; may free c */
                return;
            }
        } else if (!c->recv_held && !c->closing && input_must_hold(c) && (res > 0 || res == -ENOBUFS)) {
            c->recv_held = 1; /* ended by itself: not re-armed until resumed */
        } else if (res == -ENOBUFS && !c->closing) {
            conn_start_recv(c); /* buffers were returned above or will be soon */
        } else if (res > 0 && !c->closing) {
            conn_start_recv(c);
        } else if (!c->closing) {
            loop->svc->close(c, 0); /* EOF or error; may free c */
            return;
        }
    }
    conn_release(c);
}

static void start_send(struct conn *c)
{
    struct io_uring_sqe *sqe = uring_get_sqe(c->loop->ring);
    io_uring_prep_send(sqe, c->fd, c->sending.data + c->sending_off, c->sending.len - c->sending_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, uring_tagged(c, TAG_SEND));
    c->send_inflight = 1;
}

int conn_flush(struct conn *c)
{
    if (c->tls && !c->send_inflight)
        tls_prepare_send(c); /* `out` becomes ciphertext */
    if (!c->send_inflight && c->out.len) {
        struct buf tmp = c->sending;
        c->sending = c->out;
        c->out = tmp;
        c->out.len = 0;
        c->sending_off = 0;
        start_send(c);
    }
    return c->send_inflight;
}

void conn_on_send_complete(struct conn *c, int res)
{
    struct net_loop *loop = c->loop;
    c->send_inflight = 0;
    if (res < 0) {
        if (!c->closing)
            loop->svc->close(c, 0);
        conn_release(c);
        return;
    }
    c->sending_off += res;
    c->net_out += res;
    loop->net_output_bytes += res;
    loop->writes_processed++;
    if (c->closing) {
        conn_release(c);
        return;
    }
    if (c->sending_off < c->sending.len) {
        start_send(c);
        return;
    }
    c->sending.len = 0;
    c->sending_off = 0;
    if (c->sending.cap > 1024 * 1024)
        buf_free(&c->sending);
    if (c->out.len || tls_has_output(c))
        loop->svc->want_flush(c);
    else
        conn_release(c);
}

void conn_shutdown(struct conn *c)
{
    c->closing = 1;
    shutdown(c->fd, SHUT_RDWR);
}

int conn_output_idle(const struct conn *c)
{
    return !c->send_inflight && c->out.len == 0 && !tls_has_output(c);
}

void conn_destroy(struct conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->sending);
    tls_conn_free(c);
}
