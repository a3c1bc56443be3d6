/*
 * auth.c - requirepass and the AUTH command (see auth.h).
 */
#include "auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "command.h"
#include "config.h"
#include "conn.h"
#include "resp.h"
#include "shard.h"
#include "util.h"

static void sha256(const char *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;
    EVP_Digest(data, len, out, &n, EVP_sha256(), NULL);
}

void auth_hash_requirepass(struct config *cfg)
{
    sha256(cfg->requirepass, strlen(cfg->requirepass), cfg->requirepass_sha);
}

int auth_required(const struct config *cfg)
{
    return cfg->requirepass[0] != '\0';
}

int auth_check(const struct config *cfg, struct client *c, const char *user, size_t ulen, const char *pass,
               size_t plen)
{
    if (user && !(ulen == 7 && !memcmp(user, "default", 7)))
        return -1;
    if (auth_required(cfg)) {
        unsigned char got[32];
        sha256(pass, plen, got);
        if (CRYPTO_memcmp(got, cfg->requirepass_sha, sizeof(got)) != 0)
            return -1;
    }
    if (c)
        c->authenticated = 1;
    return 0;
}

int acl_login_user(struct client *c, const char *username)
{
    if (strcmp(username, "default") != 0)
        return -1;
    c->authenticated = 1;
    return 0;
}

void cmd_auth(struct cmd_ctx *c)
{
    const struct config *cfg = c->client->shard->cfg;
    if (c->argc > 3) {
        reply_error(c->out, "ERR syntax error");
        return;
    }
    if (c->argc == 2 && !auth_required(cfg)) {
        reply_error(c->out, "ERR AUTH <password> called without any password configured for the default user. "
                            "Are you sure your configuration is correct?");
        return;
    }
    const struct arg *user = c->argc == 3 ? &c->argv[1] : NULL;
    const struct arg *pass = &c->argv[c->argc - 1];
    if (auth_check(cfg, c->client, user ? user->ptr : NULL, user ? user->len : 0, pass->ptr, pass->len) != 0) {
        reply_error(c->out, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    reply_ok(c->out);
}
