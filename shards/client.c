/*
 * client.c - the engine's side of a client connection, on its shard thread:
 * creating and freeing clients, parsing their input and handing commands to
 * dispatch, moving finished replies to the output in request order, the
 * flush of the thread's clients at the end of a loop iteration, output
 * buffer limits, CLIENT LIST lines and CLIENT KILL filters. Registered with
 * the network layer as its struct net_service (client_net_service).
 *
 * Input: the connection (net/conn.c) appends received chunks to `conn.in`;
 * every complete command is parsed (zero-copy) and dispatched at once; the
 * parsed bytes are dropped after the loop, so argv stays valid during
 * dispatch. A parse hint (`needed`) avoids rescanning a large bulk payload
 * on every chunk.
 *
 * Output: replies are appended to `conn.out` (directly, or via finished
 * requests in FIFO order). Once per loop iteration shard_flush_clients()
 * hands each waiting client's output to conn_flush (one io_uring send).
 */
#include "shards/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "net/tls.h"
#include "security/acl.h"
#include "shards/dispatch.h"
#include "shards/pubsub.h"
#include "shards/request.h"
#include "shards/shard.h"
#include "shards/tracking.h"

static struct client *client_create(struct shard *s, int fd)
{
    struct client *c = calloc(1, sizeof(*c));
    conn_init(&c->conn, &s->net, fd, s->cfg->tcp_keepalive);
    c->shard = s;
    c->resp = 2;
    c->id = atomic_fetch_add(&s->srv->next_client_id, 1) + 1;
    c->conn.id = c->id;
    c->ctime_ms = c->last_interaction_ms = s->now_ms;
    c->next = s->clients;
    if (s->clients)
        s->clients->prev = c;
    s->clients = c;
    s->nclients++;
    atomic_fetch_add(&s->srv->connected_clients, 1);
    acl_session_init(&c->acl);
    c->protected_denied = acl_protected_mode_denies(server_config(s->srv), c->conn.addr);
    return c;
}

/* client-output-buffer-limit of the client's class: pubsub while it has a
 * subscription, else normal (the server has no replicas yet): over the hard
 * limit, or over the soft limit continuously for its seconds, the client is
 * marked and closed by the next shard_flush_clients, outside whatever
 * command is running. */
void client_check_output_limit(struct client *c)
{
    int cls = c->ps && pubsub_client_subscribed(c) ? OBUF_PUBSUB : OBUF_NORMAL;
    const struct obuf_limit *l = &c->shard->cfg->obuf_limits[cls];
    if (!l->hard && !l->soft)
        return;
    size_t used = conn_output_pending(&c->conn);
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
                   (unsigned long long)c->id, c->conn.addr, c->conn.laddr, c->name ? c->name : "", used,
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
    if (c->conn.closing)
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
        } else if (c->conn.out.len == 0 && r->reply.len > 256) {
            struct buf tmp = c->conn.out; /* take the reply's storage, no copy */
            c->conn.out = r->reply;
            r->reply = tmp;
        } else {
            buf_append(&c->conn.out, r->reply.data, r->reply.len);
        }
        request_free(r);
        moved = 1;
    }
    if (moved) {
        c->reply_completed = 1;
        client_want_flush(c);
    }
}

/* net_service input: bytes were appended to conn.in. */
static void svc_input(struct conn *conn)
{
    struct client *c = client_of(conn);
    c->last_interaction_ms = c->shard->now_ms;
    if ((long long)c->conn.in.len > c->shard->cfg->client_query_buffer_limit) {
        server_log(LL_WARNING, "Closing client that reached max query buffer length: id=%llu addr=%s (qbuf=%zu)",
                   (unsigned long long)c->id, c->conn.addr, c->conn.in.len);
        client_close(c, 0);
        return;
    }
    if (c->needed && c->conn.in.len < c->needed)
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
    while (n < PREFETCH_MAX && off < c->conn.in.len) {
        size_t consumed = 0, needed = 0;
        enum resp_parse_result r = resp_parse_command(c->conn.in.data + off, c->conn.in.len - off, limits,
                                                      &s->prefetch_cmd, &consumed, &needed, err, sizeof(err));
        if (r == RESP_PARSE_INCOMPLETE || r == RESP_PARSE_ERROR)
            break;
        off += consumed;
        if (r == RESP_PARSE_EMPTY)
            continue;
        if (n == 0 && off >= c->conn.in.len)
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
    while (!c->paused && !c->conn.closing && !c->conn.close_after_reply && off < c->conn.in.len) {
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
        enum resp_parse_result r = resp_parse_command(c->conn.in.data + off, c->conn.in.len - off, &limits, &c->parsed,
                                                      &consumed, &needed, err, sizeof(err));
        if (r == RESP_PARSE_INCOMPLETE) {
            c->needed = needed;
            break;
        }
        if (r == RESP_PARSE_ERROR) {
            server_log(LL_VERBOSE, "Protocol error (%s) from client: id=%llu addr=%s", err, (unsigned long long)c->id,
                       c->conn.addr);
            char msg[200];
            if (unauth && strstr(err, "invalid multibulk length"))
                snprintf(err, sizeof(err), "Protocol error: unauthenticated multibulk length");
            else if (unauth && strstr(err, "invalid bulk length"))
                snprintf(err, sizeof(err), "Protocol error: unauthenticated bulk length");
            snprintf(msg, sizeof(msg), "ERR %s", err);
            dispatch_reply_error(c, msg);
            client_close(c, 1);
            off = c->conn.in.len;
            break;
        }
        off += consumed;
        if (r == RESP_PARSE_EMPTY)
            continue;
        dispatch_command(c, c->parsed.argc, c->parsed.argv);
    }
    buf_consume(&c->conn.in, off);
    if (c->conn.in.len == 0 && c->conn.in.cap > 64 * 1024) {
        buf_free(&c->conn.in); /* do not keep a big query buffer around */
    }
}

void client_close(struct client *c, int after_reply)
{
    if (c->conn.closing)
        return;
    if (after_reply) {
        c->conn.close_after_reply = 1;
        client_want_flush(c);
        return;
    }
    c->conn.closing = 1;
    dispatch_client_closing(c);
    pubsub_client_drop_all(c); /* before anything can report it gone (PUBSUB counts: shards/pubsub.c) */
    /* Ends the multishot recv (it completes with 0) and any send. */
    conn_shutdown(&c->conn);
    client_maybe_free(c);
}

void client_maybe_free(struct client *c)
{
    if (!c->conn.closing) {
        /* QUIT, protocol errors: close once everything is written. */
        if (c->conn.close_after_reply && c->npending == 0 && conn_output_idle(&c->conn))
            client_close(c, 0);
        return;
    }
    if (conn_io_busy(&c->conn) || c->npending)
        return;
    struct shard *s = c->shard;
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
    pubsub_client_drop_all(c); /* its registrations on the home shards go */
    tracking_client_free(c);   /* its BCAST prefixes on every shard go; its keys' pairs lapse */
    while (c->req_head) {
        struct request *r = c->req_head;
        c->req_head = r->next;
        request_free(r);
    }
    s->nclients--;
    atomic_fetch_sub(&s->srv->connected_clients, 1);
    conn_destroy(&c->conn); /* closes the socket */
    resp_command_free(&c->parsed);
    free(c->name);
    free(c);
}

void shard_flush_clients(struct shard *s)
{
    while (s->flush_list) {
        struct client *c = s->flush_list;
        s->flush_list = c->flush_next;
        c->in_flush_list = 0;
        if (c->conn.closing)
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
        if (c->barrier && !c->reply_completed && c->conn.out.len < 16384 && !c->conn.close_after_reply)
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
        if (!conn_flush(&c->conn))
            client_maybe_free(c); /* close_after_reply with nothing left */
    }
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
    char flags[16], *f = flags;
    long long nsub, npsub, nssub;
    pubsub_client_counts(c, &nsub, &npsub, &nssub);
    if (nsub + npsub + nssub)
        *f++ = 'P';
    if (in_multi)
        *f++ = 'x';
    if (c->blocked)
        *f++ = 'b';
    f = tracking_client_flags(c, f);
    if (c->conn.close_after_reply)
        *f++ = 'c';
    if (c->obuf_close)
        *f++ = 'A';
    if (c->no_evict)
        *f++ = 'e';
    if (f == flags)
        *f++ = 'N';
    *f = '\0';
    const struct conn *k = &c->conn;
    char line[1024];
    int n = snprintf(
        line, sizeof(line),
        "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%lld psub=%lld ssub=%lld "
        "multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=%zu rbs=%zu rbp=%zu obl=%zu oll=%d "
        "omem=%zu tot-mem=%zu events=r%s cmd=%s%s%s user=%s redir=%lld resp=%d\n",
        (unsigned long long)c->id, c->conn.addr, c->conn.laddr, c->conn.fd, c->name ? c->name : "",
        (long long)(now_ms - c->ctime_ms) / 1000, (long long)(now_ms - c->last_interaction_ms) / 1000, flags, c->dbid,
        nsub, npsub, nssub, in_multi ? nqueued : -1, k->in.len, k->in.cap - k->in.len, argv_mem, multi_mem, k->out.cap,
        k->out.len > k->sending.len ? k->out.len : k->sending.len, k->out.len, oll, conn_output_pending(k),
        k->in.cap + k->out.cap + k->sending.cap + sizeof(*c) + argv_mem + multi_mem, k->send_inflight ? "w" : "",
        c->last_cmd ? c->last_cmd : "NULL", c->last_sub ? "|" : "", c->last_sub ? c->last_sub : "",
        acl_session_user(&c->acl), tracking_client_redir(c), c->resp);
    buf_append(out, line, n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void client_describe(struct client *c, struct buf *out, int64_t now_ms)
{
    client_describe_running(c, out, now_ms, NULL, 0);
}

/* CLIENT KILL's filters, already checked by the coordinator
 * (client_kill_check in shards/cmd_server.c): whether client c matches. */
int client_kill_matches(struct client *c, const struct arg *argv, int argc, uint64_t caller)
{
    if (argc == 3) /* CLIENT KILL addr:port: may kill the caller too */
        return strlen(c->conn.addr) == argv[2].len && !memcmp(c->conn.addr, argv[2].ptr, argv[2].len);
    int skipme = 1;
    for (int i = 2; i + 1 < argc; i += 2) {
        const struct arg *v = &argv[i + 1];
        if (arg_is(&argv[i], "id")) {
            long long id = 0;
            string2ll(v->ptr, v->len, &id);
            if ((uint64_t)id != c->id)
                return 0;
        } else if (arg_is(&argv[i], "addr")) {
            if (strlen(c->conn.addr) != v->len || memcmp(c->conn.addr, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "laddr")) {
            if (strlen(c->conn.laddr) != v->len || memcmp(c->conn.laddr, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "type")) {
            /* no replica or master client exists; a subscribed one is pubsub */
            if (!arg_is(v, pubsub_client_subscribed(c) ? "pubsub" : "normal"))
                return 0;
        } else if (arg_is(&argv[i], "user")) {
            const char *user = acl_session_user(&c->acl);
            if (strlen(user) != v->len || memcmp(user, v->ptr, v->len))
                return 0;
        } else if (arg_is(&argv[i], "skipme")) {
            skipme = arg_is(v, "yes");
        }
    }
    return !(skipme && c->id == caller);
}

void client_resume(struct client *c)
{
    client_process_input(c);
    conn_recv_resume(&c->conn);
    client_maybe_free(c);
}

/* ---------------- the network layer's service (net/service.h) ---------------- */

static struct conn *svc_accept(struct net_loop *loop, int fd, int tls)
{
    struct shard *s = shard_of_loop(loop);
    /* The current configuration, not the iteration's snapshot: a CONFIG SET
     * maxclients that replied before this connection arrived applies to it
     * even when this thread read its snapshot earlier (preempted between). */
    long long maxclients = server_config(s->srv)->maxclients;
    if (atomic_load(&s->srv->connected_clients) >= maxclients) {
        /* Best effort, as Redis: on the TLS port no handshake was done, so
         * nothing can be written and the connection is just closed. */
        static const char msg[] = "-ERR max number of clients reached\r\n";
        if (!tls) {
            ssize_t w = send(fd, msg, sizeof(msg) - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
            (void)w;
        }
        close(fd);
        s->rejected_connections++;
        return NULL;
    }
    struct client *c = client_create(s, fd);
    if (c->protected_denied && !tls) {
        /* Protected mode refuses at accept, as Redis: the DENIED line goes
         * out before the client sent anything, then the socket closes. On
         * the TLS port it is sent once the handshake is done
         * (svc_handshake_done). */
        struct buf line = {0};
        reply_error(&line, acl_denied_message);
        ssize_t w = send(fd, line.data, line.len, MSG_DONTWAIT | MSG_NOSIGNAL);
        (void)w;
        buf_free(&line);
        s->rejected_connections++;
        client_close(c, 0);
        return NULL;
    }
    s->total_connections++;
    return &c->conn;
}

/* Input back-pressure (CONN_INPUT_HOLD_BYTES): a client that parses
 * nothing (paused) reads no more. */
static int svc_must_hold(struct conn *conn)
{
    return client_of(conn)->paused;
}

static void svc_close(struct conn *conn, int after_reply)
{
    client_close(client_of(conn), after_reply);
}

static void svc_want_flush(struct conn *conn)
{
    client_want_flush(client_of(conn));
}

static void svc_release(struct conn *conn)
{
    client_maybe_free(client_of(conn));
}

/* tls-auth-clients-user CN: a verified client certificate logs the client in
 * as the ACL user its CN names (no such user, or a disabled one: the client
 * stays as it was, usually unauthenticated when a password is required).
 * Protected mode: Redis answers a TLS client once its handshake is done,
 * over TLS, and closes (plain clients: at accept). */
static void svc_handshake_done(struct conn *conn, const char *cn)
{
    struct client *c = client_of(conn);
    if (cn && c->shard->cfg->tls_auth_clients_user && acl_login_user(&c->acl, cn) < 0)
        server_log(LL_VERBOSE, "TLS client id=%llu addr=%s: certificate CN=%s names no enabled ACL user",
                   (unsigned long long)c->id, c->conn.addr, cn);
    if (c->protected_denied) {
        reply_error(&c->conn.out, acl_denied_message); /* nothing is pending yet */
        client_close(c, 1);
    }
}

const struct net_service client_net_service = {
    .accept = svc_accept,
    .input = svc_input,
    .must_hold = svc_must_hold,
    .close = svc_close,
    .want_flush = svc_want_flush,
    .release = svc_release,
    .handshake_done = svc_handshake_done,
};
