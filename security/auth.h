/*
 * auth.h - password authentication of the default user (requirepass, AUTH,
 * HELLO ... AUTH).
 *
 * The password is kept in the published struct config (CONFIG GET requirepass
 * shows it, as Redis does) together with its SHA-256 digest; a login compares
 * the digest of what the client sent with the stored one in constant time.
 */
#ifndef SHARDIS_AUTH_H
#define SHARDIS_AUTH_H

#include <stddef.h>

struct config;
struct client;

/* Fills cfg->requirepass_sha from cfg->requirepass (called whenever it is set). */
void auth_hash_requirepass(struct config *cfg);
/* True when clients must authenticate before running commands. */
int auth_required(const struct config *cfg);
/* Checks username/password: 0 and marks the client authenticated on success,
 * -1 otherwise. username NULL means "default". */
int auth_check(const struct config *cfg, struct client *c, const char *user, size_t ulen, const char *pass,
               size_t plen);
/* Authenticates the client as `username` without a password (TLS client
 * certificates): 0 on success, -1 if no such user. Only "default" exists. */
int acl_login_user(struct client *c, const char *username);

#endif
