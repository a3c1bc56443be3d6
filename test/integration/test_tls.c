/*
 * test_tls.c - TLS listeners (tls-port) against a live server: handshakes with
 * the test CA, mutual TLS (tls-auth-clients yes / optional), protocol floor,
 * wrong-protocol clients on either port, redis-cli --tls, many clients,
 * large pipelined values, CONFIG GET/SET of the tls-* options.
 *
 * Certificates are generated once per run with the openssl CLI (ECDSA P-256,
 * fast) into a temp dir removed at the end; the directory reaches the test
 * workers through $SHARDIS_TLS_TEST_DIR. Each test gets its own server with a
 * plain port and a TLS port. Works against redis-server too (built with TLS):
 * the shardis-only checks skip there.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks.h"
#include "client.h"
#include "proc.h"
#include "server.h"
#include "tls_client.h"

static struct tls_certs certs;
static int tls_port;
static char tls_port_str[16];
static const char *args[SERVER_MAX_EXTRA_ARGS + 1];

/* Generated in the runner process before any test, removed after all. */
static struct tls_certs run_certs;
ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    if (tls_certs_create(&run_certs))
        setenv("SHARDIS_TLS_TEST_DIR", run_certs.dir, 1);
}
ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    tls_certs_remove(&run_certs);
}

/* The certificate paths in the run's directory (see tls_certs_create). */
static void load_certs(void)
{
    const char *dir = getenv("SHARDIS_TLS_TEST_DIR");
    cr_assert(dir && dir[0], "no test certificates (see the openssl error above)");
    memset(&certs, 0, sizeof(certs));
    tls_certs_paths(&certs, dir);
}

/* The TLS arguments of the servers started next: a free TLS port,
 * tls-auth-clients `auth`. */
static void set_tls_args(const char *auth)
{
    tls_port = free_port();
    snprintf(tls_port_str, sizeof(tls_port_str), "%d", tls_port);
    int n = 0;
    args[n++] = "--tls-port";
    args[n++] = tls_port_str;
    args[n++] = "--tls-cert-file";
    args[n++] = certs.server_crt;
    args[n++] = "--tls-key-file";
    args[n++] = certs.server_key;
    args[n++] = "--tls-ca-cert-file";
    args[n++] = certs.ca;
    args[n++] = "--tls-auth-clients";
    args[n++] = auth;
    args[n] = NULL;
    server_set_extra_args(args);
}

/* Restarts the test's server with tls-auth-clients `auth`. */
static void start_tls_server(const char *auth)
{
    struct test_server *s = server_current();
    server_stop(s);
    set_tls_args(auth);
    server_start(s);
}

static void tls_init(void)
{
    signal(SIGPIPE, SIG_IGN); /* writes to a connection the server refused */
    load_certs();
    set_tls_args("yes");
    server_suite_init();
}

TestSuite(tls, .init = tls_init, .fini = server_suite_fini, .timeout = 60);

static struct tclient *connect_ok(const char *cert, const char *key)
{
    char err[300];
    struct tclient *t = tclient_connect(tls_port, certs.ca, cert, key, 0, err, sizeof(err));
    cr_assert(t != NULL, "TLS connection refused: %s\n%s", err, server_log_tail(server_current()));
    return t;
}

/* The server refuses the connection: the handshake fails, or (TLS 1.3, where
 * the client's certificate is checked after the client finished) the first
 * command gets no reply. */
static void expect_refused(int port, const char *cert, const char *key, int max_version)
{
    char err[300];
    struct tclient *t = tclient_connect(port, certs.ca, cert, key, max_version, err, sizeof(err));
    if (!t)
        return;
    redisReply *r = tclient_cmd(t, "PING");
    cr_assert(r == NULL, "connection accepted, PING replied %s", describe_reply(r));
    tclient_free(t);
}

static void expect_works(struct tclient *t, const char *key)
{
    expect_status(tclient_cmd(t, "SET %s %s", key, key), "OK");
    expect_str(tclient_cmd(t, "GET %s", key), key);
}

Test(tls, handshake_with_client_certificate)
{
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    expect_status(tclient_cmd(t, "PING"), "PONG");
    expect_works(t, "tls:k1");
    /* Both ports serve the same data. */
    redisContext *c = client_connect();
    expect_str(cmd(c, "GET tls:k1"), "tls:k1");
    expect_status(cmd(c, "SET plain:k plain"), "OK");
    expect_str(tclient_cmd(t, "GET plain:k"), "plain");
    redisFree(c);
    tclient_free(t);
}

Test(tls, mutual_tls_refuses_missing_or_foreign_certificate)
{
    expect_refused(tls_port, NULL, NULL, 0);
    expect_refused(tls_port, certs.other_client_crt, certs.other_client_key, 0);
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    expect_status(tclient_cmd(t, "PING"), "PONG");
    tclient_free(t);
}

Test(tls, optional_client_certificate)
{
    start_tls_server("optional");
    struct tclient *anon = connect_ok(NULL, NULL);
    expect_works(anon, "tls:anon");
    struct tclient *alice = connect_ok(certs.client_crt, certs.client_key);
    expect_works(alice, "tls:alice");
    /* A certificate that is presented is still verified. */
    expect_refused(tls_port, certs.other_client_crt, certs.other_client_key, 0);
    tclient_free(anon);
    tclient_free(alice);
}

Test(tls, no_client_authentication)
{
    start_tls_server("no");
    struct tclient *anon = connect_ok(NULL, NULL);
    expect_works(anon, "tls:anon");
    tclient_free(anon);
}

Test(tls, tls_1_1_refused_1_2_accepted)
{
    expect_refused(tls_port, certs.client_crt, certs.client_key, TLS1_1_VERSION);
    char err[300];
    struct tclient *t =
        tclient_connect(tls_port, certs.ca, certs.client_crt, certs.client_key, TLS1_2_VERSION, err, sizeof(err));
    cr_assert(t != NULL, "TLS 1.2 refused: %s", err);
    expect_works(t, "tls:12");
    tclient_free(t);
}

Test(tls, plaintext_client_on_tls_port_is_disconnected)
{
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    redisContext *plain = client_connect();
    struct raw_reply raw = raw_roundtrip(tls_port, "PING\r\n", 6);
    cr_assert(raw.closed, "the server kept a plaintext client on the TLS port");
    cr_assert(strstr(raw.data ? raw.data : "", "PONG") == NULL, "plaintext answered on the TLS port");
    raw_reply_free(&raw);
    expect_works(t, "tls:others1");
    expect_status(cmd(plain, "PING"), "PONG");
    redisFree(plain);
    tclient_free(t);
}

Test(tls, tls_client_on_plain_port_fails)
{
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    char err[300];
    struct tclient *wrong =
        tclient_connect(server_port(), certs.ca, certs.client_crt, certs.client_key, 0, err, sizeof(err));
    cr_assert(wrong == NULL, "a TLS handshake succeeded on the plain port");
    redisContext *plain = client_connect();
    expect_status(cmd(plain, "PING"), "PONG");
    expect_works(t, "tls:others2");
    redisFree(plain);
    tclient_free(t);
}

Test(tls, redis_cli_round_trip)
{
    if (system("redis-cli --help 2>&1 | grep -q -- --tls") != 0)
        cr_skip_test("redis-cli without TLS support");
    char line[2048];
    snprintf(line, sizeof(line),
             "redis-cli -p %d --tls --cacert %s --cert %s --key %s SET tls:cli 'hello tls' && "
             "redis-cli -p %d --tls --cacert %s --cert %s --key %s GET tls:cli",
             tls_port, certs.ca, certs.client_crt, certs.client_key, tls_port, certs.ca, certs.client_crt,
             certs.client_key);
    FILE *p = popen(line, "r");
    cr_assert(p != NULL);
    char out[256] = "";
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    cr_assert(pclose(p) == 0, "redis-cli failed: %s", out);
    cr_assert_str_eq(out, "OK\nhello tls\n");
}

#define NCLIENTS 200
Test(tls, two_hundred_concurrent_clients)
{
    raise_fd_limit(1024);
    struct tclient *cl[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++)
        cl[i] = connect_ok(certs.client_crt, certs.client_key);
    /* All connected at once; every round interleaves their commands. */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NCLIENTS; i++) {
            cr_assert(tclient_send(cl[i], "SET c:%d v%d:%d", i, i, round));
            cr_assert(tclient_send(cl[i], "INCR n:%d", i));
        }
        for (int i = 0; i < NCLIENTS; i++) {
            expect_status(tclient_reply(cl[i]), "OK");
            expect_int(tclient_reply(cl[i]), round + 1);
        }
        for (int i = 0; i < NCLIENTS; i++)
            cr_assert(tclient_send(cl[i], "GET c:%d", (i + 1) % NCLIENTS));
        for (int i = 0; i < NCLIENTS; i++) {
            char want[64];
            snprintf(want, sizeof(want), "v%d:%d", (i + 1) % NCLIENTS, round);
            expect_str(tclient_reply(cl[i]), want);
        }
    }
    for (int i = 0; i < NCLIENTS; i++)
        tclient_free(cl[i]);
}

Test(tls, pipelined_large_values)
{
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    enum { N = 16, SIZE = 100 * 1000 + 7 };
    char *val = malloc(SIZE);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < SIZE; j++)
            val[j] = (char)('a' + (i * 7 + j) % 26);
        cr_assert(tclient_send(t, "SET big:%d %b", i, val, (size_t)SIZE));
    }
    for (int i = 0; i < N; i++)
        cr_assert(tclient_send(t, "GET big:%d", i));
    for (int i = 0; i < N; i++)
        expect_status(tclient_reply(t), "OK");
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < SIZE; j++)
            val[j] = (char)('a' + (i * 7 + j) % 26);
        expect_bulk(tclient_reply(t), val, (size_t)SIZE);
    }
    free(val);
    tclient_free(t);
}

Test(tls, config_get_tls_options)
{
    redisContext *c = client_connect();
    redisReply *r = cmd(c, "CONFIG GET tls-port");
    cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    cr_assert_str_eq(r->element[1]->str, tls_port_str);
    freeReplyObject(r);
    struct {
        const char *name, *value;
    } want[] = {
        {"tls-auth-clients", "yes"},          {"tls-protocols", ""},
        {"tls-session-caching", "yes"},       {"tls-session-cache-size", "20480"},
        {"tls-session-cache-timeout", "300"}, {"tls-prefer-server-ciphers", "no"},
        {"tls-ca-cert-file", certs.ca},       {"tls-cert-file", certs.server_crt},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        r = cmd(c, "CONFIG GET %s", want[i].name);
        cr_assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "CONFIG GET %s: %s", want[i].name,
                  describe_reply(r));
        cr_assert_str_eq(r->element[1]->str, want[i].value, "%s", want[i].name);
        freeReplyObject(r);
    }
    redisFree(c);
}

Test(tls, config_set_certificate_reloads_for_new_connections)
{
    struct tclient *old = connect_ok(certs.client_crt, certs.client_key);
    redisContext *c = client_connect();
    expect_err_prefix(cmd(c, "CONFIG SET tls-cert-file %s/missing.crt", certs.dir), "ERR CONFIG SET failed");
    expect_works(old, "tls:before");
    expect_status(cmd(c, "CONFIG SET tls-cert-file %s tls-key-file %s", certs.other_server_crt, certs.other_server_key),
                  "OK");
    /* New connections get the new certificate (signed by the other CA). */
    char err[300];
    struct tclient *t =
        tclient_connect(tls_port, certs.other_ca, certs.client_crt, certs.client_key, 0, err, sizeof(err));
    cr_assert(t != NULL, "no handshake with the new certificate: %s", err);
    expect_works(t, "tls:after");
    struct tclient *stale =
        tclient_connect(tls_port, certs.ca, certs.client_crt, certs.client_key, 0, err, sizeof(err));
    cr_assert(stale == NULL, "the old certificate is still served");
    /* The connection made before keeps working. */
    expect_works(old, "tls:old");
    tclient_free(t);
    tclient_free(old);
    redisFree(c);
}

Test(tls, old_protocols_rejected_in_config)
{
    if (server_is_redis())
        cr_skip_test("Redis accepts TLSv1 and TLSv1.1 in tls-protocols");
    redisContext *c = client_connect();
    expect_err_prefix(cmd(c, "CONFIG SET tls-protocols TLSv1.1"), "ERR CONFIG SET failed");
    expect_status(cmd(c, "CONFIG SET tls-protocols TLSv1.3"), "OK");
    char err[300];
    struct tclient *t =
        tclient_connect(tls_port, certs.ca, certs.client_crt, certs.client_key, TLS1_2_VERSION, err, sizeof(err));
    cr_assert(t == NULL, "TLS 1.2 accepted with tls-protocols TLSv1.3");
    struct tclient *ok = connect_ok(certs.client_crt, certs.client_key);
    expect_works(ok, "tls:13");
    tclient_free(ok);
    redisFree(c);
}

/* tls-auth-clients-user CN: a verified client certificate logs the client in
 * as the ACL user its CN names (alice); plain clients still need AUTH. */
Test(tls, certificate_cn_logs_in_as_acl_user)
{
    if (server_is_redis())
        cr_skip_test("tls-auth-clients-user came with Redis 7.2; Debian's redis-server 7.0 lacks it");
    struct test_server *s = server_current();
    server_stop(s);
    set_tls_args("yes");
    int n = 0;
    while (args[n])
        n++;
    args[n++] = "--tls-auth-clients-user";
    args[n++] = "CN";
    args[n++] = "--user";
    args[n++] = "alice on nopass ~cert:* +@all";
    args[n] = NULL;
    server_set_extra_args(args);
    server_start(s);
    /* a password only now: the harness's start-up PING has no AUTH */
    redisContext *admin = client_connect();
    expect_status(cmd(admin, "CONFIG SET requirepass pw"), "OK");
    redisFree(admin);

    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    expect_str(tclient_cmd(t, "ACL WHOAMI"), "alice");
    expect_status(tclient_cmd(t, "SET cert:k v"), "OK");
    expect_err(tclient_cmd(t, "GET other"),
               "NOPERM this user has no permissions to access one of the keys used as arguments");
    tclient_free(t);

    redisContext *c = client_connect();
    expect_err(cmd(c, "GET cert:k"), "NOAUTH Authentication required.");
    expect_status(cmd(c, "AUTH pw"), "OK");
    expect_str(cmd(c, "GET cert:k"), "v");
    redisFree(c);
}

/* maxclients on the TLS port: Redis writes its error before any handshake,
 * which on a TLS connection writes nothing, and closes. No plaintext bytes
 * may reach a TLS client; a TLS client sees its handshake fail. */
Test(tls, maxclients_on_tls_port_closes_without_plaintext)
{
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    redisContext *plain = client_connect();
    expect_status(cmd(plain, "CONFIG SET maxclients 2"), "OK");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tls_port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    struct raw_reply raw = raw_read(fd, 0, 10000);
    cr_assert(raw.closed, "the refused TLS connection stays open");
    cr_assert_eq(raw.len, 0, "plaintext on the TLS port: %s", escape_bytes(raw.data, raw.len));
    raw_reply_free(&raw);
    close(fd);
    char err[300];
    struct tclient *refused =
        tclient_connect(tls_port, certs.ca, certs.client_crt, certs.client_key, 0, err, sizeof(err));
    cr_assert(refused == NULL, "a TLS client got past maxclients");
    cr_assert(info_ll(plain, "stats", "rejected_connections") >= 2);
    /* the connected clients keep working; a freed place can be taken again */
    expect_works(t, "tls:maxclients");
    tclient_free(t);
    cr_assert_eq(wait_for_clients(plain, 1, 10000), 1);
    t = connect_ok(certs.client_crt, certs.client_key);
    expect_works(t, "tls:maxclients2");
    expect_status(cmd(plain, "CONFIG SET maxclients 10000"), "OK");
    tclient_free(t);
    redisFree(plain);
}

/* Protected mode on the TLS port: as Redis, the DENIED line is sent once the
 * handshake is done, over TLS, then the connection closes; the client sends
 * no command. 127.0.0.2 is remote to protected mode (only 127.0.0.1 and ::1
 * are local, as in Redis). */
Test(tls, protected_mode_denies_over_tls_after_handshake)
{
    redisContext *plain = client_connect();
    expect_status(cmd(plain, "CONFIG SET protected-mode yes"), "OK");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in src = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.2", &src.sin_addr);
    cr_assert(bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0);
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)tls_port)};
    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
    cr_assert(connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    cr_assert(SSL_CTX_load_verify_locations(ctx, certs.ca, NULL) == 1);
    cr_assert(SSL_CTX_use_certificate_file(ctx, certs.client_crt, SSL_FILETYPE_PEM) == 1);
    cr_assert(SSL_CTX_use_PrivateKey_file(ctx, certs.client_key, SSL_FILETYPE_PEM) == 1);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    cr_assert(SSL_connect(ssl) == 1, "handshake failed");
    char buf[4096];
    size_t len = 0;
    for (;;) {
        int n = SSL_read(ssl, buf + len, (int)(sizeof(buf) - 1 - len));
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    cr_assert(len > 50 && !strncmp(buf, "-DENIED Redis is running in protected mode because", 50), "%s",
              escape_bytes(buf, len));
    cr_assert(!strcmp(buf + len - 2, "\r\n") && !memchr(buf, '\n', len - 1), "one line: %s", escape_bytes(buf, len));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    /* local TLS clients are served */
    struct tclient *t = connect_ok(certs.client_crt, certs.client_key);
    expect_works(t, "tls:protected");
    tclient_free(t);
    redisFree(plain);
}
