/*
 * cli_conn.c - shardis-cli's blocking connection and RESP2/RESP3 reply parser.
 */
#include "cli_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/base/buf.h"
#include "core/base/resp.h"

#define READ_CHUNK (64 * 1024)
#define MAX_DEPTH 64

void creply_free(struct creply *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->elements; i++)
        creply_free(r->element[i]);
    free(r->element);
    free(r->str);
    free(r);
}

/* ---- framing ------------------------------------------------------------ */

/* Scanner over p[0..len) continuing from the state in c. 1: the reply ends at
 * c->scan_pos; 0: more bytes needed; -1: protocol error. */
static int scan_reply(struct cconn *c, const char *p, size_t len)
{
    for (;;) {
        while (c->depth > 0 && c->remain[c->depth - 1] == 0)
            c->depth--;
        if (c->depth == 0 && c->started)
            return 1;
        size_t pos = c->scan_pos;
        if (pos >= len)
            return 0;
        const char *nl = memchr(p + pos, '\n', len - pos);
        if (!nl)
            return len - pos > 64 * 1024 * 1024 ? -1 : 0;
        size_t line_end = (size_t)(nl - p) + 1;
        if (line_end - pos < 3 || p[line_end - 2] != '\r')
            return -1;
        char type = p[pos];
        long long n = 0;
        int aggregate = 0, attribute = 0;
        switch (type) {
        case '+':
        case '-':
        case ':':
        case ',':
        case '#':
        case '_':
        case '(':
            break;
        case '$':
        case '=':
        case '!': {
            char *end;
            n = strtoll(p + pos + 1, &end, 10);
            if (end != p + line_end - 2 || n < -1)
                return -1;
            if (n >= 0) {
                if (len - line_end < (size_t)n + 2)
                    return 0;
                if (p[line_end + n] != '\r' || p[line_end + n + 1] != '\n')
                    return -1;
                line_end += (size_t)n + 2;
            }
            break;
        }
        case '*':
        case '%':
        case '~':
        case '>':
        case '|': {
            char *end;
            n = strtoll(p + pos + 1, &end, 10);
            if (end != p + line_end - 2 || n < -1 || n > (1LL << 40))
                return -1;
            if (n > 0) {
                aggregate = 1;
                if (type == '%' || type == '|')
                    n *= 2;
            }
            attribute = type == '|';
            break;
        }
        default:
            return -1;
        }
        c->scan_pos = line_end;
        if (attribute) {
            /* An attribute precedes the reply it describes: its elements are
             * extra, the element after it takes the parent's slot. */
            if (!aggregate)
                continue;
            if (c->depth == MAX_DEPTH)
                return -1;
            c->remain[c->depth++] = n;
            continue;
        }
        if (c->depth == 0)
            c->started = 1; /* the top-level reply (not an attribute before it) */
        else
            c->remain[c->depth - 1]--;
        if (aggregate) {
            if (c->depth == MAX_DEPTH)
                return -1;
            c->remain[c->depth++] = n;
        }
    }
}

static char *dup_bytes(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Builds the tree of a reply known to be complete and well framed. */
static struct creply *build(const char *p, size_t *pos)
{
    const char *line = p + *pos;
    const char *nl = strchr(line, '\n'); /* framed: every header ends with "\r\n" */
    size_t hlen = (size_t)(nl - line) - 2;
    size_t next = *pos + hlen + 3;
    struct creply *r = calloc(1, sizeof(*r));
    if (!r)
        abort();
    switch (line[0]) {
    case '+':
        r->type = CR_STATUS;
        break;
    case '-':
        r->type = CR_ERROR;
        break;
    case ',':
        r->type = CR_DOUBLE;
        break;
    case '(':
        r->type = CR_BIGNUM;
        break;
    case '_':
        r->type = CR_NIL;
        *pos = next;
        return r;
    case ':':
        r->type = CR_INTEGER;
        r->integer = strtoll(line + 1, NULL, 10);
        *pos = next;
        return r;
    case '#':
        r->type = CR_BOOL;
        r->integer = line[1] == 't';
        *pos = next;
        return r;
    case '$':
    case '=':
    case '!': {
        long long n = strtoll(line + 1, NULL, 10);
        *pos = next;
        if (n < 0) {
            r->type = CR_NIL;
            return r;
        }
        const char *body = p + next;
        *pos = next + (size_t)n + 2;
        r->type = line[0] == '$' ? CR_STRING : line[0] == '!' ? CR_ERROR : CR_VERB;
        if (r->type == CR_VERB && n >= 4 && body[3] == ':') {
            memcpy(r->vtype, body, 3);
            body += 4;
            n -= 4;
        }
        r->str = dup_bytes(body, (size_t)n);
        r->len = (size_t)n;
        return r;
    }
    default: { /* aggregates */
        long long n = strtoll(line + 1, NULL, 10);
        *pos = next;
        if (n < 0) {
            r->type = CR_NIL;
            return r;
        }
        if (line[0] == '|') { /* attribute: skipped, the reply follows */
            for (long long i = 0; i < 2 * n; i++)
                creply_free(build(p, pos));
            free(r);
            return build(p, pos);
        }
        r->type = line[0] == '*' ? CR_ARRAY : line[0] == '%' ? CR_MAP : line[0] == '~' ? CR_SET : CR_PUSH;
        if (line[0] == '%')
            n *= 2;
        r->elements = (size_t)n;
        r->element = n ? calloc((size_t)n, sizeof(*r->element)) : NULL;
        if (n && !r->element)
            abort();
        for (long long i = 0; i < n; i++)
            r->element[i] = build(p, pos);
        return r;
    }
    }
    r->str = dup_bytes(line + 1, hlen);
    r->len = hlen;
    *pos = next;
    return r;
}

int creply_parse(const char *p, size_t len, size_t *used, struct creply **out)
{
    struct cconn c;
    memset(&c, 0, sizeof(c));
    int rc = scan_reply(&c, p, len);
    if (rc != 1)
        return rc;
    /* build() relies on "\r" ending each header: the framed bytes are copied
     * with a terminator so strchr cannot run past them. */
    char *copy = dup_bytes(p, c.scan_pos);
    size_t pos = 0;
    *out = build(copy, &pos);
    free(copy);
    *used = c.scan_pos;
    return 1;
}

/* ---- connection --------------------------------------------------------- */

static void set_err(struct cconn *c, const char *fmt, const char *detail)
{
    snprintf(c->err, sizeof(c->err), fmt, detail);
}

static const char *ssl_error_text(void)
{
    unsigned long e = ERR_get_error();
    return e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown error" : "unknown error";
}

static int tls_setup(struct cconn *c, const char *host, const struct tls_options *tls, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) {
        snprintf(err, errlen, "Could not create SSL context: %s", ssl_error_text());
        return -1;
    }
    c->ssl_ctx = ctx;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (!tls->insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        int ok = (tls->cacert || tls->cacertdir) ? SSL_CTX_load_verify_locations(ctx, tls->cacert, tls->cacertdir)
                                                 : SSL_CTX_set_default_verify_paths(ctx);
        if (!ok) {
            snprintf(err, errlen, "Could not create SSL context: Invalid CA Certificate File/Directory");
            return -1;
        }
    }
    if (tls->cert || tls->key) {
        if (!tls->cert || !tls->key) {
            snprintf(err, errlen, "Could not create SSL context: --cert and --key go together");
            return -1;
        }
        if (SSL_CTX_use_certificate_chain_file(ctx, tls->cert) != 1) {
            snprintf(err, errlen, "Could not create SSL context: Invalid client certificate (%s)", ssl_error_text());
            return -1;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, tls->key, SSL_FILETYPE_PEM) != 1) {
            snprintf(err, errlen, "Could not create SSL context: Invalid private key (%s)", ssl_error_text());
            return -1;
        }
    }
    SSL *ssl = SSL_new(ctx);
    if (!ssl) {
        snprintf(err, errlen, "Could not create SSL connection: %s", ssl_error_text());
        return -1;
    }
    c->ssl = ssl;
    const char *sni = tls->sni ? tls->sni : host;
    if (sni)
        SSL_set_tlsext_host_name(ssl, sni);
    if (!tls->insecure && host && !tls->sni) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        /* An IP address is checked against the IP SANs, a name against the DNS ones. */
        if (!X509_VERIFY_PARAM_set1_ip_asc(param, host))
            X509_VERIFY_PARAM_set1_host(param, host, 0);
    }
    SSL_set_fd(ssl, c->fd);
    if (SSL_connect(ssl) != 1) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK)
            snprintf(err, errlen, "Could not negotiate a TLS connection: %s", X509_verify_cert_error_string(v));
        else
            snprintf(err, errlen, "Could not negotiate a TLS connection: %s", ssl_error_text());
        return -1;
    }
    return 0;
}

struct cconn *cconn_connect(const char *host, int port, const char *socket_path, const struct tls_options *tls,
                            char *err, size_t errlen)
{
    struct cconn *c = calloc(1, sizeof(*c));
    if (!c)
        abort();
    c->fd = -1;
    if (socket_path) {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(socket_path) >= sizeof(sa.sun_path)) {
            snprintf(err, errlen, "Could not connect to Redis at %s: path too long", socket_path);
            free(c);
            return NULL;
        }
        strcpy(sa.sun_path, socket_path);
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            snprintf(err, errlen, "Could not connect to Redis at %s: %s", socket_path, strerror(errno));
            cconn_close(c);
            return NULL;
        }
    } else {
        char portstr[16];
        snprintf(portstr, sizeof(portstr), "%d", port);
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(host, portstr, &hints, &res);
        if (gai != 0) {
            snprintf(err, errlen, "Could not connect to Redis at %s:%d: %s", host, port, gai_strerror(gai));
            free(c);
            return NULL;
        }
        int saved = ECONNREFUSED;
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (c->fd < 0) {
                saved = errno;
                continue;
            }
            if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
                break;
            saved = errno;
            close(c->fd);
            c->fd = -1;
        }
        freeaddrinfo(res);
        if (c->fd < 0) {
            snprintf(err, errlen, "Could not connect to Redis at %s:%d: %s", host, port, strerror(saved));
            free(c);
            return NULL;
        }
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (tls && tls->enabled && tls_setup(c, socket_path ? NULL : host, tls, err, errlen) < 0) {
        cconn_close(c);
        return NULL;
    }
    return c;
}

void cconn_close(struct cconn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->ssl_ctx)
        SSL_CTX_free(c->ssl_ctx);
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    free(c);
}

int cconn_write(struct cconn *c, const void *p, size_t len)
{
    const char *s = p;
    while (len > 0) {
        ssize_t n;
        if (c->ssl) {
            n = SSL_write(c->ssl, s, len > (1 << 30) ? (1 << 30) : (int)len);
            if (n <= 0) {
                set_err(c, "TLS write error: %s", ssl_error_text());
                return -1;
            }
        } else {
            n = send(c->fd, s, len, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                set_err(c, "%s", strerror(errno));
                return -1;
            }
        }
        s += n;
        len -= (size_t)n;
    }
    return 0;
}

long cconn_write_some(struct cconn *c, const void *p, size_t len)
{
    if (c->ssl) {
        SSL_set_mode(c->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        int n = SSL_write(c->ssl, p, len > (1 << 30) ? (1 << 30) : (int)len);
        if (n > 0)
            return n;
        int e = SSL_get_error(c->ssl, n);
        if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
            return 0;
        set_err(c, "TLS write error: %s", ssl_error_text());
        return -1;
    }
    for (;;) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        set_err(c, "%s", strerror(errno));
        return -1;
    }
}

void cconn_set_nonblocking(struct cconn *c)
{
    int fl = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
}

int cconn_send_argv(struct cconn *c, int argc, char **argv, const size_t *lens)
{
    struct buf b;
    memset(&b, 0, sizeof(b));
    reply_array(&b, argc);
    for (int i = 0; i < argc; i++)
        reply_bulk(&b, argv[i], lens ? lens[i] : strlen(argv[i]));
    int rc = cconn_write(c, b.data, b.len);
    buf_free(&b);
    return rc;
}

long cconn_fill(struct cconn *c)
{
    if (c->pos > 0 && c->pos == c->len) {
        c->scan_pos -= c->pos; /* the scanner is between replies here or mid-way in none */
        c->pos = c->len = 0;
    } else if (c->pos > (1 << 20) && c->pos > c->len / 2) {
        memmove(c->buf, c->buf + c->pos, c->len - c->pos);
        c->len -= c->pos;
        c->scan_pos -= c->pos;
        c->pos = 0;
    }
    if (c->cap - c->len < READ_CHUNK) {
        size_t ncap = c->cap ? c->cap * 2 : 2 * READ_CHUNK;
        while (ncap - c->len < READ_CHUNK)
            ncap *= 2;
        char *nb = realloc(c->buf, ncap + 1);
        if (!nb)
            abort();
        c->buf = nb;
        c->cap = ncap;
    }
    for (;;) {
        ssize_t n;
        if (c->ssl) {
            n = SSL_read(c->ssl, c->buf + c->len, (int)(c->cap - c->len));
            if (n <= 0) {
                int e = SSL_get_error(c->ssl, (int)n);
                if (e == SSL_ERROR_WANT_READ) {
                    errno = EAGAIN;
                    return -1;
                }
                if (e == SSL_ERROR_ZERO_RETURN)
                    return 0;
                if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
                    return 0;
                set_err(c, "TLS read error: %s", ssl_error_text());
                errno = EIO;
                return -1;
            }
        } else {
            n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    set_err(c, "%s", strerror(errno));
                return -1;
            }
            if (n == 0)
                return 0;
        }
        c->len += (size_t)n;
        return n;
    }
}

/* A reply is complete in the buffer: build it and reset the scanner. */
static struct creply *take_reply(struct cconn *c)
{
    char saved = c->buf[c->scan_pos];
    c->buf[c->scan_pos] = '\0'; /* build() stops at the framed end */
    size_t pos = c->pos;
    struct creply *r = build(c->buf, &pos);
    c->buf[c->scan_pos] = saved;
    c->pos = c->scan_pos;
    c->depth = 0;
    c->started = 0;
    return r;
}

int cconn_try_reply(struct cconn *c, struct creply **out)
{
    if (c->scan_pos < c->pos)
        c->scan_pos = c->pos;
    int rc = scan_reply(c, c->buf ? c->buf : "", c->len);
    if (rc < 0) {
        set_err(c, "%s", "Protocol error");
        return -1;
    }
    if (rc == 1) {
        *out = take_reply(c);
        return 1;
    }
    return 0;
}

struct creply *cconn_read_reply(struct cconn *c)
{
    for (;;) {
        struct creply *r;
        int rc = cconn_try_reply(c, &r);
        if (rc < 0)
            return NULL;
        if (rc == 1)
            return r;
        long n = cconn_fill(c);
        if (n == 0) {
            set_err(c, "%s", "Server closed the connection");
            return NULL;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                continue;
            if (!c->err[0])
                set_err(c, "%s", strerror(errno));
            return NULL;
        }
    }
}

struct creply *cconn_command(struct cconn *c, int argc, char **argv, const size_t *lens)
{
    if (cconn_send_argv(c, argc, argv, lens) < 0)
        return NULL;
    return cconn_read_reply(c);
}

struct creply *cconn_commandv(struct cconn *c, int argc, const char **argv)
{
    return cconn_command(c, argc, (char **)argv, NULL);
}
