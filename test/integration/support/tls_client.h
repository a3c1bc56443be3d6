/*
 * tls_client.h - a small blocking OpenSSL client for the TLS integration tests,
 * and the test certificates (generated with the openssl CLI at test time).
 *
 * Replies are parsed with hiredis's reader, so the expect_* checks of
 * client.h apply to them. Every socket has 10 s send/receive timeouts: a
 * server that stops answering fails the test instead of hanging it.
 */
#ifndef SHARDIS_IT_TLS_CLIENT_H
#define SHARDIS_IT_TLS_CLIENT_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

/* Certificates in a private temp dir: ca (CA), server (CN=localhost, IP
 * 127.0.0.1, signed by ca), client (CN=alice, signed by ca), other_ca and
 * other_client (CN=mallory, signed by other_ca), other_server (CN=localhost,
 * signed by other_ca). Paths are absolute. */
struct tls_certs {
    char dir[256];
    char ca[300], server_crt[300], server_key[300];
    char client_crt[300], client_key[300];
    char other_ca[300], other_client_crt[300], other_client_key[300];
    char other_server_crt[300], other_server_key[300];
};

/* Generates the certificates. false (reason on stderr) when openssl fails;
 * never asserts, so it may run outside a test (a Criterion report hook). */
bool tls_certs_create(struct tls_certs *certs);
/* Fills in the paths of the certificates tls_certs_create made in dir (a
 * process that did not create them, e.g. a test worker given the dir). */
void tls_certs_paths(struct tls_certs *certs, const char *dir);
/* Removes the directory. */
void tls_certs_remove(struct tls_certs *certs);

struct tclient;

/* Connects to 127.0.0.1:port and completes the handshake, trusting `ca`,
 * presenting cert/key when not NULL, offering at most `max_version`
 * (0 = library default, e.g. TLS1_1_VERSION). Returns NULL when the TCP
 * connection or the handshake fails (the reason in err). */
struct tclient *tclient_connect(int port, const char *ca, const char *cert, const char *key, int max_version, char *err,
                                size_t errlen);
/* Sends one command (hiredis format) without waiting. false on error. */
bool tclient_send(struct tclient *t, const char *format, ...);
/* Reads the next reply; NULL when the connection failed or closed. */
redisReply *tclient_reply(struct tclient *t);
/* send + reply. */
redisReply *tclient_cmd(struct tclient *t, const char *format, ...);
void tclient_free(struct tclient *t);

#endif
