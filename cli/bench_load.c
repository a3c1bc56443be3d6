/*
 * bench_load.c - the load generator of shardis-benchmark.
 *
 * One worker thread per --threads, each owning its clients (connections) and
 * one io_uring. The loop follows liburing's examples: fill the clients that
 * may send, queue one send per client that has bytes and no send in flight
 * and one recv per client without a recv in flight, submit once and wait
 * (bounded by the next scheduled send or the deadline), then reap the CQEs in
 * a batch. Replies are counted with a RESP2/RESP3 length scanner (no values
 * are built), each matched to the oldest outstanding request of its client.
 *
 * Closed loop (default): a client sends a batch of --pipeline requests and
 * sends the next batch when all replies arrived, as redis-benchmark does;
 * latency runs from the moment the batch was queued.
 * Open loop (--rate): every client has its own clock schedule (interval =
 * clients / rate, phases spread evenly), sends whatever is due regardless of
 * outstanding replies, and latency runs from the *intended* send time, so a
 * stalled server shows up as latency instead of as fewer samples
 * (coordinated omission corrected).
 *
 * TLS connections use a plain poll() loop with nonblocking OpenSSL reads and
 * writes instead of io_uring (OpenSSL owns the socket I/O); the request and
 * reply bookkeeping is the same code.
 *
 * Commands are encoded with the project's RESP writer (reply_array +
 * reply_bulk write "*N" and "$len" exactly as a client must).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "core/base/buf.h"
#include "core/base/resp.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- RESP reply scanner ---- */

static long line_end(const char *p, size_t len)
{
    const char *nl = memchr(p, '\n', len);
    if (nl == NULL)
        return 0;
    if (nl == p || nl[-1] != '\r')
        return -1;
    return (long)(nl - p) + 1;
}

static int parse_count(const char *p, long linelen, long long *out)
{
    /* p[0] is the type byte, the line ends with \r\n */
    char *end;
    errno = 0;
    long long v = strtoll(p + 1, &end, 10);
    if (errno != 0 || end != p + linelen - 2 || end == p + 1)
        return -1;
    *out = v;
    return 0;
}

static long reply_length_depth(const char *p, size_t len, int *is_error, int depth)
{
    if (len == 0)
        return 0;
    if (depth > 64)
        return -1;
    long line = line_end(p, len);
    if (line <= 0)
        return line;
    long long n;
    switch (p[0]) {
    case '-':
        *is_error = 1;
        return line;
    case '+':
    case ':':
    case '_':
    case ',':
    case '#':
    case '(':
        return line;
    case '!':
    case '$':
    case '=':
        if (parse_count(p, line, &n) < 0)
            return -1;
        if (p[0] == '!')
            *is_error = 1;
        if (n < 0)
            return line;
        if ((size_t)line + (size_t)n + 2 > len)
            return 0;
        return line + (long)n + 2;
    case '*':
    case '~':
    case '>':
    case '%':
    case '|': {
        if (parse_count(p, line, &n) < 0)
            return -1;
        if (p[0] == '%' || p[0] == '|')
            n *= 2;
        size_t off = (size_t)line;
        int ignored = 0;
        for (long long i = 0; i < n; i++) {
            long r = reply_length_depth(p + off, len - off, &ignored, depth + 1);
            if (r <= 0)
                return r;
            off += (size_t)r;
        }
        if (p[0] == '|') { /* an attribute precedes the actual reply */
            long r = reply_length_depth(p + off, len - off, is_error, depth + 1);
            if (r <= 0)
                return r;
            off += (size_t)r;
        }
        return (long)off;
    }
    default:
        return -1;
    }
}

long bench_reply_length(const char *p, size_t len, int *is_error)
{
    *is_error = 0;
    return reply_length_depth(p, len, is_error, 0);
}

/* ---- random numbers and keys ---- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r) /* splitmix64 */
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_unit(struct rng *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/*
 * Zipf over ranks 1..n with exponent s by rejection-inversion (Hörmann and
 * Derflinger, 1996): O(1) per sample, no table, any s > 0. H is an integral
 * of the density h(x) = x^-s; a uniform point of H's range is inverted,
 * rounded to the nearest rank, and accepted unless it falls into the small
 * region where the continuous hat exceeds the discrete mass.
 */
struct zipf {
    double s, n;
    double h_x1, h_n, threshold;
};

static double expm1_over(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1.0 + x / 2.0;
}

static double log1p_over(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1.0 - x / 2.0;
}

static double zipf_H(const struct zipf *z, double x)
{
    double lx = log(x);
    return expm1_over((1.0 - z->s) * lx) * lx;
}

static double zipf_h(const struct zipf *z, double x)
{
    return exp(-z->s * log(x));
}

static double zipf_H_inverse(const struct zipf *z, double x)
{
    double t = x * (1.0 - z->s);
    if (t < -1.0)
        t = -1.0;
    return exp(log1p_over(t) * x);
}

static void zipf_init(struct zipf *z, double s, long long n)
{
    z->s = s;
    z->n = (double)n;
    z->h_x1 = zipf_H(z, 1.5) - 1.0;
    z->h_n = zipf_H(z, z->n + 0.5);
    z->threshold = 2.0 - zipf_H_inverse(z, zipf_H(z, 2.5) - zipf_h(z, 2.0));
}

static long long zipf_sample(const struct zipf *z, struct rng *r)
{
    for (;;) {
        double u = z->h_n + rng_unit(r) * (z->h_x1 - z->h_n);
        double x = zipf_H_inverse(z, u);
        double k = floor(x + 0.5);
        if (k < 1)
            k = 1;
        if (k > z->n)
            k = z->n;
        if (k - x <= z->threshold || u >= zipf_H(z, k + 0.5) - zipf_h(z, k))
            return (long long)k - 1; /* rank 1 (hottest) is key 0 */
    }
}

struct keygen {
    enum key_pattern pattern;
    long long n;
    long long next; /* sequential */
    struct zipf zipf;
    struct rng *rng;
};

static long long key_next(struct keygen *k)
{
    switch (k->pattern) {
    case KEYS_SEQUENTIAL: {
        long long v = k->next;
        k->next = v + 1 >= k->n ? 0 : v + 1;
        return v;
    }
    case KEYS_ZIPF:
        return zipf_sample(&k->zipf, k->rng);
    case KEYS_GAUSSIAN: { /* mean n/2, standard deviation n/6 (memtier's default) */
        for (;;) {
            double u1 = rng_unit(k->rng), u2 = rng_unit(k->rng);
            if (u1 <= 0)
                continue;
            double g = sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
            double v = (double)k->n / 2.0 + g * (double)k->n / 6.0;
            if (v >= 0 && v < (double)k->n)
                return (long long)v;
        }
    }
    case KEYS_UNIFORM:
    default:
        return (long long)(rng_next(k->rng) % (uint64_t)k->n);
    }
}

/* ---- connections ---- */

struct client {
    int fd;
    SSL *ssl;
    struct buf out;     /* requests queued, not yet handed to a send */
    struct buf sending; /* bytes owned by the send in flight */
    size_t sending_off;
    int send_busy, recv_busy;
    char *in; /* received bytes not yet parsed */
    size_t in_len, in_cap;
    uint64_t *times; /* FIFO: send (or intended send) time of each outstanding request */
    size_t times_head, times_len, times_cap;
    double next_send; /* open loop: intended time of the next request, us */
    int dead;
};

struct worker {
    const struct bench_config *cfg;
    const struct bench_test *test;
    int index;
    int nclients;
    int first_client; /* global index, for open-loop phases */
    struct client *clients;
    struct io_uring ring;
    int ring_ready;
    SSL_CTX *ssl_ctx;
    struct rng rng;
    struct keygen keys;
    long long remaining; /* requests still to send; -1: unbounded (duration) */
    uint64_t start_us, deadline_us;
    double rate_interval_us; /* per client, open loop */
    uint64_t pick;           /* template interleaving counter */
    int *schedule;           /* template index for each slot of a weight cycle */
    int schedule_len;
    char *data; /* 'x' * data_max */
    struct buf scratch;
    /* results, read by the main thread while running (relaxed) */
    struct hdr *hist;
    uint64_t completed, errors, sent;
    uint64_t sent_per_template[BENCH_MAX_TEMPLATES];
    char first_error[BENCH_ERROR_LEN];
    char fatal[BENCH_ERROR_LEN];
    int failed;
    pthread_t thread;
    pthread_barrier_t *start_barrier;
    int *connect_failed; /* shared: any worker failed to connect */
    uint64_t *shared_start;
    uint64_t end_us;
    int finished;
};

static SSL_CTX *tls_context(const struct bench_config *cfg, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        snprintf(err, errlen, "TLS: cannot create context");
        return NULL;
    }
    if (cfg->tls_insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        if (cfg->cacert ? SSL_CTX_load_verify_locations(ctx, cfg->cacert, NULL) != 1
                        : SSL_CTX_set_default_verify_paths(ctx) != 1) {
            snprintf(err, errlen, "TLS: cannot load CA certificates%s%s", cfg->cacert ? " from " : "",
                     cfg->cacert ? cfg->cacert : "");
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    if (cfg->cert != NULL) {
        if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, cfg->key ? cfg->key : cfg->cert, SSL_FILETYPE_PEM) != 1) {
            snprintf(err, errlen, "TLS: cannot load client certificate/key %s", cfg->cert);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

static int connect_socket(const struct bench_config *cfg, char *err, size_t errlen)
{
    int fd = -1;
    if (cfg->socket_path != NULL) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg->socket_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            snprintf(err, errlen, "Could not connect to Redis at %s: %s", cfg->socket_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        return fd;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", cfg->port);
    int rc = getaddrinfo(cfg->host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "Could not connect to Redis at %s:%d: %s", cfg->host, cfg->port, gai_strerror(rc));
        return -1;
    }
    int saved = 0;
    for (struct addrinfo *a = res; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, errlen, "Could not connect to Redis at %s:%d: %s", cfg->host, cfg->port, strerror(saved));
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static int conn_write_all(int fd, SSL *ssl, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = ssl ? SSL_write(ssl, p, (int)len) : write(fd, p, len);
        if (n <= 0) {
            if (!ssl && n < 0 && errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends `len` bytes and reads `nreplies` replies synchronously; the first
 * error reply's text goes to err. Returns 0, -1 on I/O error, -2 on an error
 * reply. */
static int conn_roundtrip(int fd, SSL *ssl, const char *cmds, size_t len, int nreplies, char *err, size_t errlen)
{
    if (conn_write_all(fd, ssl, cmds, len) < 0) {
        snprintf(err, errlen, "write failed: %s", strerror(errno));
        return -1;
    }
    struct buf in = {0};
    int status = 0;
    while (nreplies > 0) {
        int is_error;
        long r = bench_reply_length(in.data ? in.data : "", in.len, &is_error);
        if (r < 0) {
            snprintf(err, errlen, "protocol error in the server's reply");
            status = -1;
            break;
        }
        if (r > 0) {
            if (is_error && status == 0) {
                size_t n = (size_t)r > 2 ? (size_t)r - 2 : 0; /* drop \r\n */
                snprintf(err, errlen, "%.*s", (int)(n > 1 ? n - 1 : 0), in.data + 1);
                status = -2;
            }
            buf_consume(&in, (size_t)r);
            nreplies--;
            continue;
        }
        char *dst = buf_reserve(&in, 16384);
        ssize_t n = ssl ? SSL_read(ssl, dst, 16384) : read(fd, dst, 16384);
        if (n <= 0) {
            snprintf(err, errlen, "Server closed the connection");
            status = -1;
            break;
        }
        in.len += (size_t)n;
    }
    buf_free(&in);
    return status;
}

/* Opens and prepares one connection; 0 or -1 with err. */
static int client_open(const struct bench_config *cfg, SSL_CTX *ssl_ctx, int *fd_out, SSL **ssl_out, char *err,
                       size_t errlen)
{
    int fd = connect_socket(cfg, err, errlen);
    if (fd < 0)
        return -1;
    SSL *ssl = NULL;
    if (ssl_ctx != NULL) {
        ssl = SSL_new(ssl_ctx);
        SSL_set_fd(ssl, fd);
        const char *sni = cfg->sni ? cfg->sni : cfg->host;
        if (sni != NULL)
            SSL_set_tlsext_host_name(ssl, sni);
        if (SSL_connect(ssl) != 1) {
            unsigned long e = ERR_get_error();
            snprintf(err, errlen, "TLS handshake with the server failed: %s",
                     e ? ERR_reason_error_string(e) : "connection closed");
            SSL_free(ssl);
            close(fd);
            return -1;
        }
    }
    struct buf setup = {0};
    int n = 0;
    if (cfg->resp3) {
        int argc = 2 + (cfg->password ? 3 : 0);
        reply_array(&setup, argc);
        reply_bulk_cstr(&setup, "HELLO");
        reply_bulk_cstr(&setup, "3");
        if (cfg->password) {
            reply_bulk_cstr(&setup, "AUTH");
            reply_bulk_cstr(&setup, cfg->user ? cfg->user : "default");
            reply_bulk_cstr(&setup, cfg->password);
        }
        n++;
    } else if (cfg->password) {
        reply_array(&setup, cfg->user ? 3 : 2);
        reply_bulk_cstr(&setup, "AUTH");
        if (cfg->user)
            reply_bulk_cstr(&setup, cfg->user);
        reply_bulk_cstr(&setup, cfg->password);
        n++;
    }
    if (cfg->dbnum != 0) {
        reply_array(&setup, 2);
        reply_bulk_cstr(&setup, "SELECT");
        reply_bulk_ll(&setup, cfg->dbnum);
        n++;
    }
    if (n > 0) {
        char reply_err[BENCH_ERROR_LEN];
        int rc = conn_roundtrip(fd, ssl, setup.data, setup.len, n, reply_err, sizeof(reply_err));
        if (rc != 0) {
            snprintf(err, errlen, "Connection setup (%s%s%s) failed: %s", cfg->resp3 ? "HELLO 3" : "",
                     cfg->password && !cfg->resp3 ? "AUTH" : "", cfg->dbnum ? " SELECT" : "", reply_err);
            buf_free(&setup);
            if (ssl)
                SSL_free(ssl);
            close(fd);
            return -1;
        }
    }
    buf_free(&setup);
    *fd_out = fd;
    *ssl_out = ssl;
    return 0;
}

int bench_exec(const struct bench_config *cfg, const char *commands, size_t len, int nreplies, char *err, size_t errlen)
{
    SSL_CTX *ctx = NULL;
    if (cfg->tls && (ctx = tls_context(cfg, err, errlen)) == NULL)
        return -1;
    int fd;
    SSL *ssl;
    int rc = client_open(cfg, ctx, &fd, &ssl, err, errlen);
    if (rc == 0) {
        rc = conn_roundtrip(fd, ssl, commands, len, nreplies, err, errlen) == 0 ? 0 : -1;
        if (ssl) {
            SSL_shutdown(ssl);
            SSL_free(ssl);
        }
        close(fd);
    }
    if (ctx)
        SSL_CTX_free(ctx);
    return rc;
}

/* ---- requests ---- */

static void times_push(struct client *c, uint64_t t)
{
    if (c->times_len == c->times_cap) {
        size_t cap = c->times_cap ? c->times_cap * 2 : 64;
        uint64_t *nt = malloc(cap * sizeof(*nt));
        if (nt == NULL)
            abort();
        for (size_t i = 0; i < c->times_len; i++)
            nt[i] = c->times[(c->times_head + i) % c->times_cap];
        free(c->times);
        c->times = nt;
        c->times_head = 0;
        c->times_cap = cap;
    }
    c->times[(c->times_head + c->times_len) % c->times_cap] = t;
    c->times_len++;
}

static uint64_t times_pop(struct client *c)
{
    uint64_t t = c->times[c->times_head];
    c->times_head = (c->times_head + 1) % c->times_cap;
    c->times_len--;
    return t;
}

static void append_number(struct buf *b, long long v)
{
    char digits[32];
    int n = snprintf(digits, sizeof(digits), "%012lld", v);
    buf_append(b, digits, (size_t)n);
}

/* Appends one request of template t to out. */
static void encode_request(struct worker *w, const struct bench_template *t, struct buf *out)
{
    if (t->inline_text != NULL) {
        buf_append_str(out, t->inline_text);
        return;
    }
    if (t->encoded != NULL) {
        buf_append(out, t->encoded, t->encoded_len);
        return;
    }
    const struct bench_config *cfg = w->cfg;
    reply_array(out, t->argc);
    for (int i = 0; i < t->argc; i++) {
        const struct template_arg *a = &t->args[i];
        size_t data_len = cfg->data_min;
        if (cfg->data_max > cfg->data_min)
            data_len += rng_next(&w->rng) % (cfg->data_max - cfg->data_min + 1);
        if (a->nparts == 1 && a->parts[0].kind == PART_DATA) {
            reply_bulk(out, w->data, data_len);
            continue;
        }
        if (a->nparts == 1 && a->parts[0].kind == PART_LITERAL) {
            reply_bulk(out, a->parts[0].text, a->parts[0].len);
            continue;
        }
        buf_reset(&w->scratch);
        for (int p = 0; p < a->nparts; p++) {
            const struct arg_part *part = &a->parts[p];
            switch (part->kind) {
            case PART_LITERAL:
                buf_append(&w->scratch, part->text, part->len);
                break;
            case PART_KEY:
                buf_append(&w->scratch, "key:", 4);
                /* fallthrough */
            case PART_RAND_INT:
                if (cfg->keyspace > 0)
                    append_number(&w->scratch, key_next(&w->keys));
                else
                    buf_append(&w->scratch, "__rand_int__", 12);
                break;
            case PART_DATA:
                buf_append(&w->scratch, w->data, data_len);
                break;
            }
        }
        reply_bulk(out, w->scratch.data, w->scratch.len);
    }
}

static void queue_request(struct worker *w, struct client *c, uint64_t t)
{
    int ti = w->schedule[w->pick++ % (uint64_t)w->schedule_len];
    encode_request(w, &w->test->templates[ti], &c->out);
    times_push(c, t);
    w->sent_per_template[ti]++;
    __atomic_store_n(&w->sent, w->sent + 1, __ATOMIC_RELAXED);
    if (w->remaining > 0)
        w->remaining--;
}

static int may_send(struct worker *w, uint64_t now)
{
    return w->remaining != 0 && (w->deadline_us == 0 || now < w->deadline_us);
}

/* Queues what client c may send now. */
static void client_fill(struct worker *w, struct client *c, uint64_t now)
{
    if (c->dead)
        return;
    if (w->rate_interval_us > 0) {
        while (c->next_send <= (double)now && may_send(w, now)) {
            queue_request(w, c, (uint64_t)c->next_send);
            c->next_send += w->rate_interval_us;
        }
        return;
    }
    if (c->times_len != 0)
        return;
    for (int i = 0; i < w->cfg->pipeline && may_send(w, now); i++)
        queue_request(w, c, now);
}

static void set_first_error(char *dst, const char *reply, size_t len)
{
    if (dst[0] != '\0')
        return;
    size_t n = len > 3 ? len - 3 : 0; /* type byte and \r\n */
    if (n >= BENCH_ERROR_LEN)
        n = BENCH_ERROR_LEN - 1;
    memcpy(dst, reply + 1, n);
    dst[n] = '\0';
}

/* Matches complete replies in c->in with outstanding requests. Returns -1 on
 * a protocol error or a reply nobody asked for. */
static int client_parse(struct worker *w, struct client *c, uint64_t now)
{
    size_t off = 0;
    while (off < c->in_len) {
        int is_error;
        long r = bench_reply_length(c->in + off, c->in_len - off, &is_error);
        if (r == 0)
            break;
        if (r > 0 && c->in[off] == '>') { /* RESP3 push (e.g. invalidation): not a reply */
            off += (size_t)r;
            continue;
        }
        if (r < 0 || c->times_len == 0) {
            snprintf(w->fatal, sizeof(w->fatal), "%s",
                     r < 0 ? "Protocol error in a server reply" : "Unexpected reply from the server");
            return -1;
        }
        uint64_t t = times_pop(c);
        hdr_record(w->hist, now > t ? now - t : 0);
        if (is_error) {
            if (w->first_error[0] == '\0')
                set_first_error(w->first_error, c->in + off, (size_t)r);
            __atomic_store_n(&w->errors, w->errors + 1, __ATOMIC_RELAXED);
        }
        __atomic_store_n(&w->completed, w->completed + 1, __ATOMIC_RELAXED);
        off += (size_t)r;
    }
    if (off > 0) {
        memmove(c->in, c->in + off, c->in_len - off);
        c->in_len -= off;
    }
    if (c->in_len == c->in_cap) {
        c->in_cap *= 2;
        c->in = realloc(c->in, c->in_cap);
        if (c->in == NULL)
            abort();
    }
    return 0;
}

static int worker_busy(struct worker *w)
{
    for (int i = 0; i < w->nclients; i++) {
        struct client *c = &w->clients[i];
        if (!c->dead && (c->times_len > 0 || c->out.len > 0 || c->send_busy))
            return 1;
    }
    return 0;
}

/* How long the loop may sleep: until the next open-loop send or deadline. */
static uint64_t wait_budget_us(struct worker *w, uint64_t now)
{
    uint64_t budget = 100000;
    if (w->deadline_us != 0 && now < w->deadline_us && w->deadline_us - now < budget)
        budget = w->deadline_us - now;
    if (w->rate_interval_us > 0 && may_send(w, now)) {
        for (int i = 0; i < w->nclients; i++) {
            double d = w->clients[i].next_send - (double)now;
            if (d < 0)
                d = 0;
            if ((uint64_t)d < budget)
                budget = (uint64_t)d;
        }
    }
    return budget;
}

/* After the deadline, outstanding replies get this long to arrive. */
#define DRAIN_US 5000000u

/* An SQE, submitting what is queued when the submission queue is full. */
static struct io_uring_sqe *get_sqe(struct io_uring *ring)
{
    struct io_uring_sqe *sqe;
    while ((sqe = io_uring_get_sqe(ring)) == NULL)
        io_uring_submit(ring);
    return sqe;
}

/* user_data: client index << 1 | (1 for recv, 0 for send) */
static int uring_loop(struct worker *w)
{
    for (;;) {
        uint64_t now = now_us();
        for (int i = 0; i < w->nclients; i++) {
            struct client *c = &w->clients[i];
            client_fill(w, c, now);
            if (c->dead)
                continue;
            if (!c->send_busy && c->out.len > 0) {
                struct buf tmp = c->sending;
                c->sending = c->out;
                c->out = tmp;
                buf_reset(&c->out);
                c->sending_off = 0;
                struct io_uring_sqe *sqe = get_sqe(&w->ring);
                io_uring_prep_send(sqe, c->fd, c->sending.data, c->sending.len, MSG_NOSIGNAL);
                io_uring_sqe_set_data64(sqe, (uint64_t)i << 1);
                c->send_busy = 1;
            }
            if (!c->recv_busy) {
                struct io_uring_sqe *sqe = get_sqe(&w->ring);
                io_uring_prep_recv(sqe, c->fd, c->in + c->in_len, c->in_cap - c->in_len, 0);
                io_uring_sqe_set_data64(sqe, ((uint64_t)i << 1) | 1);
                c->recv_busy = 1;
            }
        }
        if (!may_send(w, now) && !worker_busy(w))
            return 0;
        if (w->deadline_us != 0 && now > w->deadline_us + DRAIN_US)
            return 0; /* replies that never came are simply not counted */
        uint64_t budget = wait_budget_us(w, now);
        struct __kernel_timespec ts = {.tv_sec = (long long)(budget / 1000000u),
                                       .tv_nsec = (long long)(budget % 1000000u) * 1000};
        struct io_uring_cqe *cqe;
        int rc = io_uring_submit_and_wait_timeout(&w->ring, &cqe, 1, &ts, NULL);
        if (rc < 0 && rc != -ETIME && rc != -EINTR) {
            snprintf(w->fatal, sizeof(w->fatal), "io_uring wait failed: %s", strerror(-rc));
            return -1;
        }
        now = now_us();
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&w->ring, head, cqe)
        {
            seen++;
            uint64_t ud = io_uring_cqe_get_data64(cqe);
            struct client *c = &w->clients[ud >> 1];
            int res = cqe->res;
            if (ud & 1) {
                c->recv_busy = 0;
                if (res <= 0) {
                    snprintf(w->fatal, sizeof(w->fatal), "Server closed the connection%s%s", res < 0 ? ": " : "",
                             res < 0 ? strerror(-res) : "");
                    io_uring_cq_advance(&w->ring, seen);
                    return -1;
                }
                c->in_len += (size_t)res;
                if (client_parse(w, c, now) < 0) {
                    io_uring_cq_advance(&w->ring, seen);
                    return -1;
                }
            } else {
                if (res < 0) {
                    snprintf(w->fatal, sizeof(w->fatal), "Write to the server failed: %s", strerror(-res));
                    io_uring_cq_advance(&w->ring, seen);
                    return -1;
                }
                c->sending_off += (size_t)res;
                if (c->sending_off < c->sending.len) {
                    struct io_uring_sqe *sqe = get_sqe(&w->ring);
                    io_uring_prep_send(sqe, c->fd, c->sending.data + c->sending_off, c->sending.len - c->sending_off,
                                       MSG_NOSIGNAL);
                    io_uring_sqe_set_data64(sqe, ud);
                } else {
                    c->send_busy = 0;
                    buf_reset(&c->sending);
                }
            }
        }
        io_uring_cq_advance(&w->ring, seen);
    }
}

/* TLS: OpenSSL does the socket I/O, so a poll() loop over nonblocking SSLs. */
static int tls_loop(struct worker *w)
{
    struct pollfd *pfds = calloc((size_t)w->nclients, sizeof(*pfds));
    if (pfds == NULL)
        abort();
    int status = 0;
    for (;;) {
        uint64_t now = now_us();
        int progress = 0;
        for (int i = 0; i < w->nclients; i++) {
            struct client *c = &w->clients[i];
            client_fill(w, c, now);
            while (c->out.len > 0) {
                int n = SSL_write(c->ssl, c->out.data, (int)c->out.len);
                if (n <= 0) {
                    int e = SSL_get_error(c->ssl, n);
                    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                        break;
                    snprintf(w->fatal, sizeof(w->fatal), "TLS write to the server failed");
                    status = -1;
                    goto out;
                }
                buf_consume(&c->out, (size_t)n);
                progress = 1;
            }
            for (;;) {
                int n = SSL_read(c->ssl, c->in + c->in_len, (int)(c->in_cap - c->in_len));
                if (n <= 0) {
                    int e = SSL_get_error(c->ssl, n);
                    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
                        break;
                    snprintf(w->fatal, sizeof(w->fatal), "Server closed the connection");
                    status = -1;
                    goto out;
                }
                c->in_len += (size_t)n;
                progress = 1;
                if (client_parse(w, c, now_us()) < 0) {
                    status = -1;
                    goto out;
                }
            }
            pfds[i].fd = c->fd;
            pfds[i].events = POLLIN | (c->out.len > 0 ? POLLOUT : 0);
        }
        if (!may_send(w, now) && !worker_busy(w))
            break;
        if (w->deadline_us != 0 && now > w->deadline_us + DRAIN_US)
            break;
        if (!progress) {
            uint64_t budget = wait_budget_us(w, now);
            poll(pfds, (nfds_t)w->nclients, (int)((budget + 999) / 1000));
        }
    }
out:
    free(pfds);
    return status;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    const struct bench_config *cfg = w->cfg;
    char err[BENCH_ERROR_LEN] = "";
    int ok = 1;
    if (cfg->tls && (w->ssl_ctx = tls_context(cfg, err, sizeof(err))) == NULL)
        ok = 0;
    for (int i = 0; ok && i < w->nclients; i++) {
        struct client *c = &w->clients[i];
        if (client_open(cfg, w->ssl_ctx, &c->fd, &c->ssl, err, sizeof(err)) < 0) {
            ok = 0;
            break;
        }
        if (c->ssl) {
            /* SSL_write may then be retried with a grown buffer, and writes
             * what fits; the poll loop needs nonblocking sockets */
            SSL_set_mode(c->ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
            fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
        }
    }
    if (ok && !cfg->tls) {
        /* room for a send, a recv and a resent partial send per client */
        unsigned entries = (unsigned)w->nclients * 4 + 16;
        int rc = io_uring_queue_init(entries < 16384 ? entries : 16384, &w->ring, 0);
        if (rc < 0) {
            snprintf(err, sizeof(err), "io_uring_queue_init failed: %s", strerror(-rc));
            ok = 0;
        } else {
            w->ring_ready = 1;
        }
    }
    if (!ok) {
        snprintf(w->fatal, sizeof(w->fatal), "%s", err);
        __atomic_store_n(w->connect_failed, 1, __ATOMIC_RELAXED);
    }
    pthread_barrier_wait(w->start_barrier); /* every worker connected (or failed) */
    pthread_barrier_wait(w->start_barrier); /* main set the start time */
    if (__atomic_load_n(w->connect_failed, __ATOMIC_RELAXED)) {
        w->failed = !ok;
        __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
        return NULL;
    }
    w->start_us = *w->shared_start;
    if (cfg->duration_s > 0)
        w->deadline_us = w->start_us + (uint64_t)(cfg->duration_s * 1e6);
    for (int i = 0; i < w->nclients; i++) /* spread open-loop phases over one interval */
        w->clients[i].next_send =
            (double)w->start_us + w->rate_interval_us * (double)(w->first_client + i) / (double)cfg->clients_total;
    int rc = cfg->tls ? tls_loop(w) : uring_loop(w);
    if (rc < 0)
        w->failed = 1;
    w->end_us = now_us();
    __atomic_store_n(&w->finished, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* ---- one test run ---- */

static void worker_free(struct worker *w)
{
    for (int i = 0; i < w->nclients; i++) {
        struct client *c = &w->clients[i];
        if (c->ssl != NULL)
            SSL_free(c->ssl);
        if (c->fd >= 0)
            close(c->fd);
        buf_free(&c->out);
        buf_free(&c->sending);
        free(c->in);
        free(c->times);
    }
    if (w->ring_ready)
        io_uring_queue_exit(&w->ring);
    if (w->ssl_ctx)
        SSL_CTX_free(w->ssl_ctx);
    free(w->clients);
    free(w->schedule);
    free(w->data);
    buf_free(&w->scratch);
    free(w->hist);
}

static uint64_t total_completed(struct worker *workers, int n)
{
    uint64_t sum = 0;
    for (int i = 0; i < n; i++)
        sum += __atomic_load_n(&workers[i].completed, __ATOMIC_RELAXED);
    return sum;
}

static void sleep_us(uint64_t us)
{
    struct timespec ts = {.tv_sec = (time_t)(us / 1000000u), .tv_nsec = (long)(us % 1000000u) * 1000};
    nanosleep(&ts, NULL);
}

int bench_run(const struct bench_config *base, const struct bench_test *test, double rate, long long requests,
              double duration_s, struct bench_result *result)
{
    memset(result, 0, sizeof(*result));
    struct bench_config cfg = *base;
    cfg.rate = rate;
    cfg.requests = requests;
    cfg.duration_s = duration_s;
    int nthreads = cfg.threads;
    struct worker *workers = calloc((size_t)nthreads, sizeof(*workers));
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
    int connect_failed = 0;
    uint64_t start = 0;
    int weight_total = 0;
    for (int t = 0; t < test->ntemplates; t++)
        weight_total += test->templates[t].weight;

    int first_client = 0;
    long long requests_left = requests;
    for (int i = 0; i < nthreads; i++) {
        struct worker *w = &workers[i];
        w->cfg = &cfg;
        w->test = test;
        w->index = i;
        w->nclients = cfg.clients_total / nthreads + (i < cfg.clients_total % nthreads);
        w->first_client = first_client;
        first_client += w->nclients;
        w->clients = calloc((size_t)w->nclients, sizeof(*w->clients));
        for (int c = 0; c < w->nclients; c++) {
            w->clients[c].fd = -1;
            w->clients[c].in_cap = 16384;
            w->clients[c].in = malloc(16384);
        }
        w->rng.s = 0x5eed0000u + (uint64_t)i * 7919u + (uint64_t)now_us();
        w->keys.pattern = cfg.pattern;
        w->keys.n = cfg.keyspace > 0 ? cfg.keyspace : 1;
        w->keys.next = cfg.keyspace > 0 ? cfg.keyspace / nthreads * i : 0;
        w->keys.rng = &w->rng;
        if (cfg.pattern == KEYS_ZIPF)
            zipf_init(&w->keys.zipf, cfg.zipf_s, w->keys.n);
        if (duration_s > 0) {
            w->remaining = -1;
        } else {
            /* requests split in proportion to the worker's clients */
            long long share = i == nthreads - 1 ? requests_left
                                                : requests * w->nclients / (cfg.clients_total ? cfg.clients_total : 1);
            w->remaining = share;
            requests_left -= share;
        }
        w->rate_interval_us = rate > 0 ? (double)cfg.clients_total * 1e6 / rate : 0;
        w->schedule_len = weight_total;
        w->schedule = malloc((size_t)weight_total * sizeof(int));
        for (int t = 0, k = 0; t < test->ntemplates; t++)
            for (int j = 0; j < test->templates[t].weight; j++)
                w->schedule[k++] = t;
        w->data = malloc(cfg.data_max + 1);
        memset(w->data, 'x', cfg.data_max + 1);
        w->hist = hdr_new();
        w->start_barrier = &barrier;
        w->connect_failed = &connect_failed;
        w->shared_start = &start;
        if (w->clients == NULL || w->schedule == NULL || w->data == NULL || w->hist == NULL)
            abort();
        pthread_create(&w->thread, NULL, worker_main, w);
    }
    pthread_barrier_wait(&barrier);
    start = now_us();
    pthread_barrier_wait(&barrier);

    /* sample once a second: throughput series and progress line */
    size_t series_cap = 64;
    result->per_second = calloc(series_cap, sizeof(uint64_t));
    uint64_t last_total = 0, next_tick = start + 1000000u;
    struct hdr *snap_prev = hdr_new(), *snap_now = hdr_new(), *interval = hdr_new();
    int progress_shown = 0;
    for (;;) {
        int all_done = 1;
        for (int i = 0; i < nthreads; i++)
            if (!__atomic_load_n(&workers[i].finished, __ATOMIC_ACQUIRE))
                all_done = 0;
        if (all_done || connect_failed)
            break;
        uint64_t now = now_us();
        if (now < next_tick) {
            sleep_us(next_tick - now < 10000 ? next_tick - now : 10000);
            continue;
        }
        uint64_t total = total_completed(workers, nthreads);
        if ((size_t)result->nseconds == series_cap) {
            series_cap *= 2;
            result->per_second = realloc(result->per_second, series_cap * sizeof(uint64_t));
        }
        result->per_second[result->nseconds++] = total - last_total;
        if (cfg.progress) {
            hdr_reset(snap_now);
            for (int i = 0; i < nthreads; i++)
                hdr_add_live(snap_now, workers[i].hist);
            hdr_diff(interval, snap_now, snap_prev);
            struct hdr *tmp = snap_prev;
            snap_prev = snap_now;
            snap_now = tmp;
            fprintf(stderr, "\r%s: %ds elapsed, %llu requests, %.0f ops/s, p99 %.3f ms        ", test->name,
                    result->nseconds, (unsigned long long)total, (double)(total - last_total),
                    (double)hdr_percentile(interval, 99) / 1000.0);
            progress_shown = 1;
        }
        last_total = total;
        next_tick += 1000000u;
    }
    if (progress_shown)
        fprintf(stderr, "\r%*s\r", 100, "");
    free(snap_prev);
    free(snap_now);
    free(interval);

    result->hist = hdr_new();
    uint64_t end = start;
    int rc = 0;
    for (int i = 0; i < nthreads; i++) {
        struct worker *w = &workers[i];
        pthread_join(w->thread, NULL);
        hdr_add(result->hist, w->hist);
        result->sent += w->sent;
        result->completed += w->completed;
        result->errors += w->errors;
        for (int t = 0; t < test->ntemplates && t < BENCH_MAX_TEMPLATES; t++)
            result->sent_per_template[t] += w->sent_per_template[t];
        if (result->first_error[0] == '\0' && w->first_error[0] != '\0')
            snprintf(result->first_error, sizeof(result->first_error), "%s", w->first_error);
        if (w->failed && !result->failed) {
            result->failed = 1;
            snprintf(result->fatal_error, sizeof(result->fatal_error), "%s", w->fatal);
            rc = -1;
        }
        if (w->end_us > end)
            end = w->end_us;
        worker_free(w);
    }
    result->elapsed_s = (double)(end - start) / 1e6;
    result->ops_per_sec = result->elapsed_s > 0 ? (double)result->completed / result->elapsed_s : 0;
    result->offered_rate = rate;
    pthread_barrier_destroy(&barrier);
    free(workers);
    return rc;
}

void bench_result_free(struct bench_result *result)
{
    free(result->hist);
    free(result->per_second);
    memset(result, 0, sizeof(*result));
}
