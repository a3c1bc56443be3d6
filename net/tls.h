/*
 * tls.h - TLS on the io_uring connections (net/conn.h), with OpenSSL memory BIOs.
 *
 * A connection accepted on a TLS listener gets a struct tls_conn. The
 * ciphertext its recv completions deliver goes into the SSL's read BIO;
 * SSL_read hands the plaintext to the normal input path (conn_on_data).
 * Replies are written to `out` as plaintext like any connection's; just
 * before the send,
 * tls_prepare_send() runs them through SSL_write and replaces `out` with the
 * ciphertext of the write BIO (handshake records included), which the normal
 * io_uring send writes. Nothing here blocks: a handshake advances by one step
 * per received chunk.
 *
 * The SSL_CTX is shared by all threads (OpenSSL contexts are thread-safe
 * once built). It is built at start from the configuration and rebuilt by
 * CONFIG SET of a tls-* option; a rebuilt context serves new connections,
 * existing ones keep theirs (SSL objects hold a reference).
 *
 * Owner of a tls_conn: the thread of its connection (net/conn.h).
 */
#ifndef SHARDIS_TLS_H
#define SHARDIS_TLS_H

#include <stddef.h>

struct conn;
struct config;

/* Builds the server context from cfg when TLS is configured (tls-port set).
 * Returns 0, or -1 with Redis-style wording in err; the previous context
 * stays in use on failure. Called at start and by CONFIG SET. */
int tls_configure(const struct config *cfg, char *err, size_t errlen);

/* True when a CONFIG SET of `name` must rebuild the context. */
int tls_option_affects_context(const char *name);

/* Accept path of a TLS listener: gives the connection its TLS state. -1
 * when there is no context (the caller closes the connection). */
int tls_conn_attach(struct conn *c);

/* A received ciphertext chunk: advances the handshake (the service's
 * handshake_done when it completes), feeds the plaintext to conn_on_data,
 * asks for a flush when records wait to be sent. A TLS error closes the
 * connection (after sending the alert) with a verbose log. */
void tls_on_recv(struct conn *c, const char *data, size_t len);

/* Before a send: encrypts c->out and replaces it with the pending ciphertext. */
void tls_prepare_send(struct conn *c);

/* True when ciphertext waits in the write BIO (handshake, alerts). */
int tls_has_output(const struct conn *c);

/* The client certificate's CN, once the handshake checked it; NULL without one. */
const char *tls_conn_cn(const struct conn *c);

/* Frees the connection's TLS state (the connection is being freed). */
void tls_conn_free(struct conn *c);

#endif
