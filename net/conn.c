/*
 * conn.c - client connections on a shard thread.
 *
 * Input: received chunks are appended to `in`; every complete command is
 * parsed (zero-copy) and dispatched at once; the parsed bytes are dropped
 * after the loop, so argv stays valid during dispatch. A parse hint (`needed`)
 * avoids rescanning a large bulk payload on every chunk.
 *
 * Output: replies are appended to `out` (directly, or via finished requests
 * in FIFO order). Once per loop iteration shard_flush_clients() hands `out`
 * to one io_uring send by swapping it with the idle `sending` buffer, so no
 * reply byte is copied on the way to the socket.
 */
#include "net/conn.h"
#include "shards/request.h"

#include "security/acl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "net/tls.h"
#include "shards/dispatch.h"
#include "shards/shard.h"

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

struct client *client_create(struct shard *s, int fd)
{
    struct client *c = calloc(1, sizeof(*c));
    c->fd = fd;
    c->shard = s;
    c->resp = 2;
    c->id = atomic_fetch_add(&s->srv->next_client_id, 1) + 1;
    c->ctime_ms = c->last_interaction_ms = s->now_ms;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (s->cfg->tcp_keepalive > 0) {
        int idle = s->cfg->tcp_keepalive;
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
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    atomic_fetch_add(&s->srv->connected_clients, 1);
    acl_session_init(&c->acl);
    c->protected_denied = acl_protected_mode_denies(server_config(s->srv), c->addr);
    return c;
}

/* Bytes of replies waiting for the socket (CLIENT LIST omem). */
static size_t output_pending(const struct client *c)
{
    return c->out.len + (c->sending.len - c->sending_off);
}

/* client-output-buffer-limit for the normal class (the server has no
 * replicas or Pub/Sub clients yet): over the hard limit, or over the soft
 * limit continuously for its seconds, the client is marked and closed by the
 * next shard_flush_clients, outside whatever command is running. */
void client_check_output_limit(struct client *c)
{
    const struct obuf_limit *l = &c->shard->cfg->obuf_limits[OBUF_NORMAL];
    if (!l->hard && !l->soft)
        return;
    size_t used = output_pending(c);
    int over = 0;
    if (l->hard && used >= (size_t)l->hard)
        over = 1;
    if (l->soft && used >= (size_t)l->soft) {
        int64_t now = c->shard->now_ms;
        if (!c->obuf_soft_since_ms)
            c->obuf_soft_since_ms = now;
        else if (now - c->obuf_soft_since_ms > l->soft_seconds * 1000)
            over = 1;
    } else {
        c->obuf_soft_since_ms = 0;
    }
    if (over && !c->obuf_close) {
        c->obuf_close = 1;
        server_log(LL_WARNING,
                   "Client id=%llu addr=%s laddr=%s name=%s omem=%zu cmd=%s scheduled to be closed ASAP for "
                   "overcoming of output buffer limits.",
                   (unsigned long long)c->id, c->addr, c->laddr, c->name ? c->name : "", used,
                   c->last_cmd ? c->last_cmd : "NULL");
    }
}

void client_link_flush(struct client *c)
{
    if (c->in_flush_list)
        return;
    c->in_flush_list = 1;
    c->flush_next = c->shard->flush_list;
    c->shard->flush_list = c;
}

void client_want_flush(struct client *c)
{
    if (c->closing)
        return;
    /* With appendfsync always, this output may follow from records not yet
     * durable: it leaves once the log is durable up to here. */
    c->log_tag = c->shard->log_appended;
    client_check_output_limit(c);
    client_link_flush(c);
}

void client_flush_done_requests(struct client *c)
{
    struct request *r;
    int moved = 0;
    while ((r = c->req_head) && r->done) {
        c->req_head = r->next;
        if (!c->req_head)
            c->req_tail = NULL;
        if (r->silent) {
            /* CLIENT REPLY OFF/SKIP when it was dispatched: nothing to send */
        } else if (c->out.len == 0 && r->reply.len > 256) {
            struct buf tmp = c->out; /* take the reply's storage, no copy */
            c->out = r->reply;
            r->reply = tmp;
        } else {
            buf_append(&c->out, r->reply.data, r->reply.len);
        }
        request_free(r);
        moved = 1;
    }
    if (moved) {
        c->reply_completed = 1;
        client_want_flush(c);
    }
}

void client_on_data(struct client *c, const char *data, size_t len)
{
    buf_append(&c->in, data, len);
    c->net_in += len;
    c->last_interaction_ms = c->shard->now_ms;
    if ((long long)c->in.len > c->shard->cfg->client_query_buffer_limit) {
        server_log(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
                   (unsigned long long)c->id, c->addr, c->in.len);
        client_close(c, 0);
        return;
    }
    if (c->needed && c->in.len < c->needed)
        return;
    client_process_input(c);
}

/* Pipelined input: before running the commands, walk up to PREFETCH_MAX of
 * them and ask the cache for the hash buckets, then the entries, of their
 * first key when it lives on this shard. A lookup in a table larger than the
 * cache is a chain of dependent misses; issuing them together overlaps them.
 * A hint only: nothing is executed or changed, a parse error is left to the
 * real loop. */
#define PREFETCH_MAX 32
static void prefetch_pipelined_keys(struct client *c, const struct resp_limits *limits)
{
    struct shard *s = c->shard;
    uint64_t hashes[PREFETCH_MAX];
    int n = 0;
    size_t off = 0;
    char err[160];
    struct db *db = s->dbs[c->dbid];
    while (n < PREFETCH_MAX && off < c->in.len) {
        size_t consumed = 0, needed = 0;
        enum resp_parse_result r = resp_parse_command(c->in.data + off, c->in.len - off, limits, &s->prefetch_cmd,
                                                      &consumed, &needed, err, sizeof(err));
        if (r == RESP_PARSE_INCOMPLETE || r == RESP_PARSE_ERROR)
            break;
        off += consumed;
        if (r == RESP_PARSE_EMPTY)
            continue;
        if (n == 0 && off >= c->in.len)
            return; /* a single command: nothing to overlap with */
        const struct resp_command *p = &s->prefetch_cmd;
        const struct command *cmd = command_lookup(p->argv[0].ptr, p->argv[0].len);
        if (!cmd || cmd->route != ROUTE_KEYS || cmd->first_key <= 0 || p->argc <= cmd->first_key)
            continue;
        const struct arg *key = &p->argv[cmd->first_key];
        uint64_t h = key_hash(key->ptr, key->len);
        if (s->srv->nshards > 1 && key_shard(key->ptr, key->len, h, s->srv->nshards) != s->id)
            continue;
        db_prefetch_bucket(db, h);
        hashes[n++] = h;
    }
    for (int i = 0; i < n; i++)
        db_prefetch_entry(db, hashes[i]);
}

void client_process_input(struct client *c)
{
    struct shard *s = c->shard;
    struct resp_limits limits = {.max_bulk_len = s->cfg->proto_max_bulk_len, .max_multibulk = 1024 * 1024 * 1024};
    size_t off = 0;
    char err[160];
    c->needed = 0;
    if (!c->paused)
        prefetch_pipelined_keys(c, &limits);
    while (!c->paused && !c->closing && !c->close_after_reply && off < c->in.len) {
        size_t consumed = 0, needed = 0;
        /* Before AUTH, requests stay small (Redis: 10 arguments, 16 KB bulks). */
        int unauth = acl_session_needs_auth(&c->acl);
        if (unauth) {
            limits.max_multibulk = 10;
            limits.max_bulk_len = 16384;
        } else {
            limits.max_multibulk = 1024 * 1024 * 1024;
            limits.max_bulk_len = s->cfg->proto_max_bulk_len;
        }
        enum resp_parse_result r = resp_parse_command(c->in.data + off, c->in.len - off, &limits, &c->parsed, &consumed,
                                                      &needed, err, sizeof(err));
        if (r == RESP_PARSE_INCOMPLETE) {
            c->needed = needed;
            break;
        }
        if (r == RESP_PARSE_ERROR) {
            server_log(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", err, (unsigned long long)c->id,
                       c->addr);
            char msg[200];
            if (unauth && strstr(err, "invalid multibulk length"))
                snprintf(err, sizeof(err), "Protocol error: unauthenticated multibulk length");
            else if (unauth && strstr(err, "invalid bulk length"))
                snprintf(err, sizeof(err), "Protocol error: unauthenticated bulk length");
            snprintf(msg, sizeof(msg), "ERR %s", err);
            dispatch_reply_error(c, msg);
            client_close(c, 1);
            off = c->in.len;
            break;
        }
        off += consumed;
        if (r == RESP_PARSE_EMPTY)
            continue;
        dispatch_command(c, c->parsed.argc, c->parsed.argv);
    }
    buf_consume(&c->in, off);
    if (c->in.len == 0 && c->in.cap > 64 * 1024) {
        buf_free(&c->in); /* do not keep a big query buffer around */
    }
}

void client_close(struct client *c, int after_reply)
{
    if (c->closing)
        return;
    if (after_reply) {
        c->close_after_reply = 1;
        client_want_flush(c);
        return;
    }
    c->closing = 1;
    dispatch_client_closing(c);
    /* Ends the multishot recv (it completes with 0) and any send. */
    shutdown(c->fd, SHUT_RDWR);
    client_maybe_free(c);
}

void client_maybe_free(struct client *c)
{
    if (!c->closing) {
        /* QUIT, protocol errors: close once everything is written. */
        if (c->close_after_reply && c->npending == 0 && !c->send_inflight && c->out.len == 0 && !tls_has_output(c))
            client_close(c, 0);
        return;
    }
    if (c->recv_inflight || c->send_inflight || c->npending)
        return;
    struct shard *s = c->shard;
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->in_flush_list) {
        struct client **pp = &s->flush_list;
        while (*pp && *pp != c)
            pp = &(*pp)->flush_next;
        if (*pp)
            *pp = c->flush_next;
    }
    if (c->in_held_list) {
        struct client **pp = &s->held_clients;
        while (*pp && *pp != c)
            pp = &(*pp)->held_next;
        if (*pp)
            *pp = c->held_next;
    }
    if (c->in_resume_list) {
        struct client **pp = &s->resume_list;
        while (*pp && *pp != c)
            pp = &(*pp)->resume_next;
        if (*pp)
            *pp = c->resume_next;
    }
    dispatch_client_freed(c);
    while (c->req_head) {
        struct request *r = c->req_head;
        c->req_head = r->next;
        request_free(r);
    }
    s->nclients--;
    atomic_fetch_sub(&s->srv->connected_clients, 1);
    buf_free(&c->in);
    buf_free(&c->out);
    buf_free(&c->sending);
    resp_command_free(&c->parsed);
    tls_client_free(c);
    free(c->name);
    free(c);
}

static void start_send(struct shard *s, struct client *c)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&s->ring);
    if (!sqe) {
        io_uring_submit(&s->ring);
        sqe = io_uring_get_sqe(&s->ring);
    }
    io_uring_prep_send(sqe, c->fd, c->sending.data + c->sending_off, c->sending.len - c->sending_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)c | TAG_SEND);
    c->send_inflight = 1;
}

void shard_flush_clients(struct shard *s)
{
    while (s->flush_list) {
        struct client *c = s->flush_list;
        s->flush_list = c->flush_next;
        c->in_flush_list = 0;
        if (c->closing)
            continue;
        if (c->obuf_close) {
            client_close(c, 0);
            continue;
        }
        /* Replies written inline before a transaction that is still running
         * (MULTI's +OK and +QUEUED before an EXEC in flight) leave with the
         * transaction's reply: it completes without waiting for anything
         * else, and its completion flushes again. One send instead of two
         * saves kernel time on both ends; a completed reply, or a large
         * output, never waits. */
        if (c->barrier && !c->reply_completed && c->out.len < 16384 && !c->close_after_reply)
            continue;
        if (s->log_hold && c->log_tag > s->log_durable && !c->obuf_close) {
            if (!c->in_held_list) { /* appendfsync always: after the fsync */
                c->in_held_list = 1;
                c->held_next = s->held_clients;
                s->held_clients = c;
            }
            continue;
        }
        c->reply_completed = 0;
        if (c->tls && !c->send_inflight)
            tls_prepare_send(c); /* `out` becomes ciphertext */
        if (!c->send_inflight && c->out.len) {
            struct buf tmp = c->sending;
            c->sending = c->out;
            c->out = tmp;
            c->out.len = 0;
            c->sending_off = 0;
            start_send(s, c);
        } else if (!c->send_inflight) {
            client_maybe_free(c); /* close_after_reply with nothing left */
        }
    }
}

void client_on_send_complete(struct client *c, int res)
{
    struct shard *s = c->shard;
    c->send_inflight = 0;
    if (res < 0) {
        if (!c->closing)
            client_close(c, 0);
        client_maybe_free(c);
        return;
    }
    c->sending_off += res;
    c->net_out += res;
    s->net_output_bytes += res;
    s->writes_processed++;
    if (c->closing) {
        client_maybe_free(c);
        return;
    }
    if (c->sending_off < c->sending.len) {
        start_send(s, c);
        return;
    }
    c->sending.len = 0;
    c->sending_off = 0;
    if (c->sending.cap > 1024 * 1024)
        buf_free(&c->sending);
    if (c->out.len || tls_has_output(c))
        client_want_flush(c);
    else
        client_maybe_free(c);
}

/* CLIENT LIST / CLIENT INFO line, Redis 7.0's fields in its order. Redis's
 * reply buffer maps to `out` (rbs its capacity, rbp the larger of the two
 * buffers' use, obl its bytes); oll counts finished replies waiting behind
 * an unfinished one (Redis's reply list nodes); omem is what the output
 * buffer limit is checked against. argv (argc arguments) is the command the
 * client is running now (argv-mem), NULL for an idle client. */
void client_describe_running(struct client *c, struct buf *out, int64_t now_ms, const struct arg *argv, int argc)
{
    size_t argv_mem = 0, multi_mem = 0;
    for (int i = 0; argv && i < argc; i++)
        argv_mem += argv[i].len;
    /* While its EXEC runs the client is still in MULTI for Redis: the
     * queued commands moved to the EXEC request (its barrier). */
    const struct request *exec = c->barrier && c->barrier->queued ? c->barrier : NULL;
    int in_multi = c->in_multi || exec;
    int nqueued = exec ? exec->nqueued : c->nqueued;
    struct request *const *queued = exec ? exec->queued : c->queued;
    for (int q = 0; q < nqueued; q++) {
        if (!queued[q])
            continue; /* already run by the EXEC */
        multi_mem += sizeof(*queued[q]);
        for (int i = 0; i < queued[q]->argc; i++)
            multi_mem += queued[q]->argv[i].len;
    }
    int oll = 0;
    for (struct request *r = c->req_head; r; r = r->next)
        oll += r->done;
    char flags[8], *f = flags;
    if (in_multi)
        *f++ = 'x';
    if (c->blocked)
        *f++ = 'b';
    if (c->close_after_reply)
        *f++ = 'c';
    if (c->obuf_close)
        *f++ = 'A';
    if (c->no_evict)
        *f++ = 'e';
    if (f == flags)
        *f++ = 'N';
    *f = '\0';
    char line[1024];
    int n = snprintf(line, sizeof(line),
                     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=0 psub=0 ssub=0 "
                     "multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=%d "
                     "omem=%zu tot-mem=%zu events=r%s cmd=%s%s%s user=%s redir=-1 resp=%d\n",
                     (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
                     (long long)(now_ms - c->ctime_ms) / 1000, (long long)(now_ms - c->last_interaction_ms) / 1000,
                     flags, c->dbid, in_multi ? nqueued : -1, c->in.len, c->in.cap - c->in.len, argv_mem, multi_mem,
                     c->out.cap, c->out.len > c->sending.len ? c->out.len : c->sending.len, c->out.len, oll,
                     output_pending(c), c->in.cap + c->out.cap + c->sending.cap + sizeof(*c) + argv_mem + multi_mem,
                     c->send_inflight ? "w" : "", c->last_cmd ? c->last_cmd : "NULL", c->last_sub ? "|" : "",
                     c->last_sub ? c->last_sub : "", acl_session_user(&c->acl), c->resp);
    buf_append(out, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void client_describe(struct client *c, struct buf *out, int64_t now_ms)
{
    client_describe_running(c, out, now_ms, NULL, 0);
}
