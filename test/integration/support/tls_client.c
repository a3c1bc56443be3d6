/*
 * tls_client.c - a blocking OpenSSL client whose replies hiredis's reader
 * parses, and the test certificates made with the openssl CLI (see
 * tls_client.h).
 */
#include "tls_client.h"
#include "fs.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct tclient {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    redisReader *reader;
};

/* No cr_assert here: certificates are made in the runner process, where an
 * assertion has no test to fail. */
static bool run(const char *dir, const char *command)
{
    char line[4096];
    snprintf(line, sizeof(line), "cd '%s' && %s >>openssl.log 2>&1", dir, command);
    int rc = system(line);
    if (rc != 0)
        fprintf(stderr, "test certificates: command failed (%d): %s (see %s/openssl.log)\n", rc, command, dir);
    return rc == 0;
}

/* A key and a certificate `name` with subject CN=cn signed by CA `ca`. */
static bool make_cert(const char *dir, const char *name, const char *cn, const char *ca)
{
    char c[2048];
    snprintf(c, sizeof(c),
             "openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout %s.key -out %s.csr "
             "-subj '/CN=%s'",
             name, name, cn);
    if (!run(dir, c))
        return false;
    snprintf(c, sizeof(c), "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > %s.ext", name);
    if (!run(dir, c))
        return false;
    snprintf(c, sizeof(c),
             "openssl x509 -req -in %s.csr -CA %s.crt -CAkey %s.key -CAcreateserial -days 2 -extfile %s.ext -out "
             "%s.crt",
             name, ca, ca, name, name);
    return run(dir, c);
}

static bool make_ca(const char *dir, const char *name, const char *cn)
{
    char c[1024];
    snprintf(c, sizeof(c),
             "openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -keyout %s.key -out "
             "%s.crt -days 2 -subj '/CN=%s'",
             name, name, cn);
    return run(dir, c);
}

bool tls_certs_create(struct tls_certs *k)
{
    memset(k, 0, sizeof(*k));
    snprintf(k->dir, sizeof(k->dir), "/tmp/shardis-tls-XXXXXX");
    if (!mkdtemp(k->dir)) {
        k->dir[0] = '\0';
        return false;
    }
    if (!make_ca(k->dir, "ca", "Shardis Test CA") || !make_ca(k->dir, "other_ca", "Other Test CA") ||
        !make_cert(k->dir, "server", "localhost", "ca") || !make_cert(k->dir, "client", "alice", "ca") ||
        !make_cert(k->dir, "other_client", "mallory", "other_ca") ||
        !make_cert(k->dir, "other_server", "localhost", "other_ca"))
        return false;
    tls_certs_paths(k, k->dir);
    return true;
}

void tls_certs_paths(struct tls_certs *k, const char *dir)
{
    if (k->dir != dir)
        snprintf(k->dir, sizeof(k->dir), "%s", dir);
#define P(field, file) snprintf(k->field, sizeof(k->field), "%s/%s", k->dir, file)
    P(ca, "ca.crt");
    P(server_crt, "server.crt");
    P(server_key, "server.key");
    P(client_crt, "client.crt");
    P(client_key, "client.key");
    P(other_ca, "other_ca.crt");
    P(other_client_crt, "other_client.crt");
    P(other_client_key, "other_client.key");
    P(other_server_crt, "other_server.crt");
    P(other_server_key, "other_server.key");
#undef P
}

void tls_certs_remove(struct tls_certs *k)
{
    if (!k->dir[0])
        return;
    remove_tree(k->dir);
    k->dir[0] = '\0';
}

static void ssl_reason(char *err, size_t errlen, const char *what)
{
    char detail[256] = "connection closed";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s", what, detail);
}

struct tclient *tclient_connect(int port, const char *ca, const char *cert, const char *key, int max_version, char *err,
                                size_t errlen)
{
    snprintf(err, errlen, "no error");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        snprintf(err, errlen, "connect: %s", strerror(errno));
        close(fd);
        return NULL;
    }
    struct tclient *t = calloc(1, sizeof(*t));
    t->fd = fd;
    t->ctx = SSL_CTX_new(TLS_client_method());
    cr_assert(t->ctx != NULL);
    if (max_version) {
        /* Old protocols are below the default security level: allow them
         * here so that it is the server that refuses. */
        SSL_CTX_set_security_level(t->ctx, 0);
        SSL_CTX_set_min_proto_version(t->ctx, TLS1_VERSION);
        SSL_CTX_set_max_proto_version(t->ctx, max_version);
        if (max_version < TLS1_2_VERSION)
            SSL_CTX_set_cipher_list(t->ctx, "DEFAULT:@SECLEVEL=0");
    }
    cr_assert(SSL_CTX_load_verify_locations(t->ctx, ca, NULL) == 1, "load CA %s", ca);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    if (cert) {
        cr_assert(SSL_CTX_use_certificate_chain_file(t->ctx, cert) == 1, "load %s", cert);
        cr_assert(SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) == 1, "load %s", key);
    }
    t->ssl = SSL_new(t->ctx);
    SSL_set_fd(t->ssl, fd);
    SSL_set_tlsext_host_name(t->ssl, "localhost");
    if (SSL_connect(t->ssl) != 1) {
        ssl_reason(err, errlen, "handshake");
        tclient_free(t);
        return NULL;
    }
    t->reader = redisReaderCreate();
    return t;
}

static bool send_formatted(struct tclient *t, const char *format, va_list ap)
{
    char *command = NULL;
    int len = redisvFormatCommand(&command, format, ap);
    cr_assert(len > 0);
    size_t written = 0;
    bool ok = SSL_write_ex(t->ssl, command, (size_t)len, &written) == 1 && written == (size_t)len;
    redisFreeCommand(command);
    ERR_clear_error();
    return ok;
}

bool tclient_send(struct tclient *t, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    bool ok = send_formatted(t, format, ap);
    va_end(ap);
    return ok;
}

redisReply *tclient_reply(struct tclient *t)
{
    for (;;) {
        void *reply = NULL;
        cr_assert(redisReaderGetReply(t->reader, &reply) == REDIS_OK, "protocol error in a reply");
        if (reply)
            return reply;
        char buf[16384];
        int n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n <= 0) {
            ERR_clear_error();
            return NULL;
        }
        redisReaderFeed(t->reader, buf, n);
    }
}

redisReply *tclient_cmd(struct tclient *t, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    bool ok = send_formatted(t, format, ap);
    va_end(ap);
    return ok ? tclient_reply(t) : NULL;
}

void tclient_free(struct tclient *t)
{
    if (!t)
        return;
    if (t->reader)
        redisReaderFree(t->reader);
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    close(t->fd);
    free(t);
}
