/*
 * tls.c - TLS on a connection over memory BIOs (see tls.h and
 * docs/architecture.md "TLS"). Runs on the connection's thread, except
 * tls_configure (CONFIG SET, start-up), which only swaps the shared context.
 * Knows connections only (net/conn.h); what a handshake means to the
 * client (CN login, protected mode) is the engine's, told through the
 * service's handshake_done.
 */
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/base/config.h"
#include "core/base/log.h"
#include "net/conn.h"
#include "net/service.h"
#include "net/uring.h"

#define TLS_READ_CHUNK 16384

struct tls_conn {
    SSL *ssl;
    BIO *rbio, *wbio; /* owned by ssl */
    int handshake_done;
    int failed;
    char *cn; /* subject CN of the verified client certificate */
};

/* Contexts are never freed while the server runs: a thread may have loaded
 * the pointer just before a CONFIG SET replaced it. Replaced ones are few. */
struct ctx_node {
    SSL_CTX *ctx;
    char *key_pass;
    struct ctx_node *next;
};
static _Atomic(SSL_CTX *) current_ctx;
static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ctx_node *all_ctx;

static void openssl_error(const char *what, char *err, size_t errlen)
{
    char detail[256] = "unknown error";
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s", what, detail);
}

static int key_pass_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pass = u;
    if (!pass)
        return 0;
    int n = (int)strlen(pass);
    if (n > size)
        n = size;
    memcpy(buf, pass, n);
    return n;
}

/* tls-protocols: a space separated subset of TLSv1.2 and TLSv1.3 ("" = both). */
static int parse_protocols(const char *spec, int *min, int *max, char *err, size_t errlen)
{
    int want12 = 0, want13 = 0;
    char words[CONFIG_PATH_MAX];
    snprintf(words, sizeof(words), "%s", spec);
    int any = 0;
    for (char *save = NULL, *tok = strtok_r(words, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        any = 1;
        if (!strcasecmp(tok, "TLSv1.2"))
            want12 = 1;
        else if (!strcasecmp(tok, "TLSv1.3"))
            want13 = 1;
        else if (!strcasecmp(tok, "TLSv1") || !strcasecmp(tok, "TLSv1.1")) {
            snprintf(err, errlen, "Protocol %s is too old and not supported (use TLSv1.2 or TLSv1.3)", tok);
            return -1;
        } else {
            snprintf(err, errlen, "Invalid tls-protocols specified: %s", tok);
            return -1;
        }
    }
    if (!any)
        want12 = want13 = 1;
    *min = want12 ? TLS1_2_VERSION : TLS1_3_VERSION;
    *max = want13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    return 0;
}

static SSL_CTX *build_ctx(const struct config *cfg, char **key_pass, char *err, size_t errlen)
{
    int min, max;
    if (parse_protocols(cfg->tls_protocols, &min, &max, err, errlen) < 0)
        return NULL;
    if (!cfg->tls_cert_file[0] || !cfg->tls_key_file[0]) {
        snprintf(err, errlen, "Failed to configure TLS: tls-cert-file and tls-key-file must be set");
        return NULL;
    }
    if (cfg->tls_auth_clients != TLS_AUTH_CLIENTS_NO && !cfg->tls_ca_cert_file[0] && !cfg->tls_ca_cert_dir[0]) {
        snprintf(err, errlen,
                 "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or "
                 "tls-auth-clients are enabled!");
        return NULL;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        openssl_error("Failed to create TLS context", err, errlen);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, min);
    SSL_CTX_set_max_proto_version(ctx, max);
    long opts = SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION;
    if (cfg->tls_prefer_server_ciphers)
        opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
    if (!cfg->tls_session_caching)
        opts |= SSL_OP_NO_TICKET;
    SSL_CTX_set_options(ctx, opts);
    /* Idle connections give their 16 KB record buffers back. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (cfg->tls_session_caching) {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
        SSL_CTX_sess_set_cache_size(ctx, cfg->tls_session_cache_size);
        SSL_CTX_set_timeout(ctx, cfg->tls_session_cache_timeout);
        static const unsigned char sid_ctx[] = "shardis";
        SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    }
    *key_pass = cfg->tls_key_file_pass[0] ? strdup(cfg->tls_key_file_pass) : NULL;
    SSL_CTX_set_default_passwd_cb(ctx, key_pass_cb);
    SSL_CTX_set_default_passwd_cb_userdata(ctx, *key_pass);
    char what[CONFIG_PATH_MAX + 64];
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) <= 0) {
        snprintf(what, sizeof(what), "Failed to load certificate: %s", cfg->tls_cert_file);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) <= 0) {
        snprintf(what, sizeof(what), "Failed to load private key: %s", cfg->tls_key_file);
        goto fail;
    }
    if (!SSL_CTX_check_private_key(ctx)) {
        snprintf(what, sizeof(what), "Private key %s does not match the certificate", cfg->tls_key_file);
        goto fail;
    }
    if ((cfg->tls_ca_cert_file[0] || cfg->tls_ca_cert_dir[0]) &&
        SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_cert_file[0] ? cfg->tls_ca_cert_file : NULL,
                                      cfg->tls_ca_cert_dir[0] ? cfg->tls_ca_cert_dir : NULL) <= 0) {
        snprintf(what, sizeof(what), "Failed to configure CA certificate(s) file/directory");
        goto fail;
    }
    if (cfg->tls_ciphers[0] && !SSL_CTX_set_cipher_list(ctx, cfg->tls_ciphers)) {
        snprintf(what, sizeof(what), "Failed to configure ciphers: %s", cfg->tls_ciphers);
        goto fail;
    }
    if (cfg->tls_ciphersuites[0] && !SSL_CTX_set_ciphersuites(ctx, cfg->tls_ciphersuites)) {
        snprintf(what, sizeof(what), "Failed to configure ciphersuites: %s", cfg->tls_ciphersuites);
        goto fail;
    }
    int mode = SSL_VERIFY_NONE;
    if (cfg->tls_auth_clients == TLS_AUTH_CLIENTS_YES)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (cfg->tls_auth_clients == TLS_AUTH_CLIENTS_OPTIONAL)
        mode = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, mode, NULL);
    return ctx;
fail:
    openssl_error(what, err, errlen);
    SSL_CTX_free(ctx);
    free(*key_pass);
    *key_pass = NULL;
    return NULL;
}

int tls_configure(const struct config *cfg, char *err, size_t errlen)
{
    if (cfg->tls_port == 0)
        return 0; /* no TLS listener: nothing uses a context */
    char *key_pass = NULL;
    SSL_CTX *ctx = build_ctx(cfg, &key_pass, err, errlen);
    if (!ctx)
        return -1;
    struct ctx_node *n = malloc(sizeof(*n));
    n->ctx = ctx;
    n->key_pass = key_pass;
    pthread_mutex_lock(&ctx_lock);
    n->next = all_ctx;
    all_ctx = n;
    atomic_store_explicit(&current_ctx, ctx, memory_order_release);
    pthread_mutex_unlock(&ctx_lock);
    return 0;
}

int tls_option_affects_context(const char *name)
{
    return !strncasecmp(name, "tls-", 4) && strcasecmp(name, "tls-port") && strcasecmp(name, "tls-auth-clients-user");
}

int tls_conn_attach(struct conn *c)
{
    SSL_CTX *ctx = atomic_load_explicit(&current_ctx, memory_order_acquire);
    if (!ctx)
        return -1;
    struct tls_conn *t = calloc(1, sizeof(*t));
    t->ssl = SSL_new(ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
        SSL_free(t->ssl);
        BIO_free(t->rbio);
        BIO_free(t->wbio);
        free(t);
        return -1;
    }
    /* An empty read BIO means "wait for more", not end of stream. */
    BIO_set_mem_eof_return(t->rbio, -1);
    BIO_set_mem_eof_return(t->wbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    SSL_set_accept_state(t->ssl);
    c->tls = t;
    return 0;
}

static void handshake_done(struct conn *c)
{
    struct tls_conn *t = c->tls;
    t->handshake_done = 1;
    X509 *peer = SSL_get1_peer_certificate(t->ssl);
    if (!peer)
        return;
    if (SSL_get_verify_result(t->ssl) == X509_V_OK) {
        char cn[256];
        int n = X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof(cn));
        if (n > 0 && (size_t)n < sizeof(cn))
            t->cn = strdup(cn);
    }
    X509_free(peer);
}

/* A fatal TLS error: log it, send what the engine queued (the alert), close. */
static void tls_fail(struct conn *c, const char *stage, int ssl_err)
{
    struct tls_conn *t = c->tls;
    char detail[256] = "";
    unsigned long e = ERR_peek_error();
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    else if (ssl_err == SSL_ERROR_SYSCALL)
        snprintf(detail, sizeof(detail), "unexpected end of stream");
    else
        snprintf(detail, sizeof(detail), "SSL error %d", ssl_err);
    long vr = SSL_get_verify_result(t->ssl);
    server_log(LL_VERBOSE, "TLS %s failed: %s%s%s (id=%llu addr=%s)", stage, detail, vr != X509_V_OK ? ": " : "",
               vr != X509_V_OK ? X509_verify_cert_error_string(vr) : "", (unsigned long long)c->id, c->addr);
    ERR_clear_error();
    t->failed = 1;
    c->loop->svc->close(c, 1);
}

void tls_on_recv(struct conn *c, const char *data, size_t len)
{
    struct tls_conn *t = c->tls;
    if (t->failed || c->close_after_reply)
        return;
    if (BIO_write(t->rbio, data, (int)len) != (int)len) {
        tls_fail(c, "read buffer", SSL_ERROR_SSL);
        return;
    }
    if (!t->handshake_done) {
        int r = SSL_do_handshake(t->ssl);
        if (r != 1) {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ) {
                if (tls_has_output(c))
                    c->loop->svc->want_flush(c);
                return;
            }
            tls_fail(c, "handshake", e);
            return;
        }
        handshake_done(c);
        /* The engine may log the client in by its certificate's CN, or
         * refuse it (protected mode): then it replies and closes. */
        c->loop->svc->handshake_done(c, t->cn);
        if (c->close_after_reply || c->closing)
            return;
    }
    char buf[TLS_READ_CHUNK];
    while (!c->closing && !c->close_after_reply) {
        int n = SSL_read(t->ssl, buf, sizeof(buf));
        if (n > 0) {
            conn_on_data(c, buf, n);
            continue;
        }
        int e = SSL_get_error(t->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) { /* close_notify: finish the replies, then close */
            c->loop->svc->close(c, 1);
            break;
        }
        tls_fail(c, "read", e);
        return;
    }
    if (tls_has_output(c))
        c->loop->svc->want_flush(c);
}

void tls_prepare_send(struct conn *c)
{
    struct tls_conn *t = c->tls;
    if (c->out.len && t->handshake_done && !t->failed) {
        size_t written = 0;
        if (!SSL_write_ex(t->ssl, c->out.data, c->out.len, &written) || written != c->out.len) {
            server_log(LL_VERBOSE, "TLS write failed for client id=%llu addr=%s", (unsigned long long)c->id, c->addr);
            ERR_clear_error();
            t->failed = 1;
            c->loop->svc->close(c, 1);
        }
    }
    c->out.len = 0;
    size_t pending = BIO_ctrl_pending(t->wbio);
    if (pending) {
        char *dst = buf_reserve(&c->out, pending);
        size_t got = 0;
        if (BIO_read_ex(t->wbio, dst, pending, &got))
            c->out.len += got;
    }
}

int tls_has_output(const struct conn *c)
{
    return c->tls && BIO_ctrl_pending(c->tls->wbio) > 0;
}

const char *tls_conn_cn(const struct conn *c)
{
    return c->tls ? c->tls->cn : NULL;
}

void tls_conn_free(struct conn *c)
{
    struct tls_conn *t = c->tls;
    if (!t)
        return;
    SSL_free(t->ssl);
    free(t->cn);
    free(t);
    c->tls = NULL;
}
