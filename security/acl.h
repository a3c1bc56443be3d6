/*
 * acl.h - users, passwords and permissions (AUTH, HELLO AUTH, ACL), with
 * Redis 7.0's rules and error texts; rename-command; protected mode.
 *
 * The user table is shared by every shard thread and changes rarely (ACL
 * SETUSER/DELUSER/LOAD, CONFIG SET requirepass). It is published as an
 * immutable snapshot behind an atomic pointer with a version number, like
 * struct config: a writer (under a mutex) builds a new table and publishes
 * it; the replaced table and the users that left it are freed once every
 * shard thread has passed a loop iteration after the change
 * (acl_thread_checkpoint), so a reader on the command path never locks and
 * never sees freed memory. A client remembers its user and the
 * table version it was resolved in; when the version moves, it looks its
 * user up again by name (a deleted user's clients are disconnected, as in
 * Redis).
 */
#ifndef SHARDIS_ACL_H
#define SHARDIS_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/commands/command.h"

struct client;
struct acl_user;

/* At start-up, after the configuration is loaded: the default user (from
 * requirepass), `user` directives, then the aclfile. -1 with a message. */
int acl_init(const struct config *cfg, char *err, size_t errlen);
/* Frees every table and user (exit). */
void acl_shutdown(void);

/* Called by every shard thread once per loop iteration, at a point where
 * it holds no pointer into the user table other than its clients' users
 * (`clients`: the thread's client list): after a table change, re-resolves
 * those users (closing the clients of deleted users, as Redis) and
 * publishes that the thread has left the older tables, which lets them be
 * freed. The first call registers the thread. One atomic load otherwise. */
void acl_thread_checkpoint(struct client *clients);
/* Tables and users replaced but not freed yet (tests, diagnostics). */
size_t acl_retired_count(void);

/* A new connection: authenticated as "default" when that user needs no
 * password and is on; otherwise not authenticated yet. */
void acl_client_init(struct client *c);

/*
 * The check before dispatch, on the connection's thread. Returns 0 when the
 * command may run; otherwise writes the error line (without "-") into err and
 * returns 1 (NOAUTH/NOPERM: reply and go on) or 2 (the client's user was
 * deleted or disabled: close the connection).
 */
int acl_check(struct client *c, const struct command *cmd, const struct command *sub, int argc, const struct arg *argv,
              char *err, size_t errlen);
/* True when a command needs no check at all for this client (default user
 * with every permission): one load and two compares. */
int acl_client_unrestricted(struct client *c);

/* Authenticates c as `user` with `pass` (AUTH, HELLO AUTH). 0, or -1 with
 * Redis's WRONGPASS text in err (also logged in ACL LOG and the audit log). */
int acl_authenticate(struct client *c, const struct arg *cmdname, const char *user, size_t ulen, const char *pass,
                     size_t plen, char *err, size_t errlen);
/* After a failed AUTH or HELLO AUTH, whose error reply is written: counts
 * the failure for the client's source address and, beyond `limit` failures
 * of that address in the current second, closes the client after the reply
 * (returns 1). The right password is never refused (see acl.c). */
int acl_auth_failed(struct client *c, long long limit, int64_t now_ms);
/* Logs c in as `username` without a password (TLS client certificates). */
int acl_login_user(struct client *c, const char *username);
/* Name of the client's user, for CLIENT LIST and the audit log. */
const char *acl_client_user(const struct client *c);
/* True when a user of that name exists now (CLIENT KILL USER). */
int acl_user_exists(const char *name, size_t len);
/* True while an unauthenticated client must be kept to small requests. */
int acl_client_needs_auth(const struct client *c);

/* CONFIG SET requirepass: the default user's password follows it. */
void acl_set_requirepass(const char *pass);

/* protected-mode: whether a client from `addr` (text form "ip:port") must be
 * refused with Redis's DENIED message. */
int acl_protected_mode_denies(const struct config *cfg, const char *addr);
extern const char acl_denied_message[];

/* The rule parser, exported for tests and the fuzz target: applies one rule
 * to a scratch user; 0 or -1 with Redis's message in err. */
struct acl_user *acl_user_new_scratch(const char *name);
int acl_user_apply_rule(struct acl_user *u, const char *rule, size_t len, char *err, size_t errlen);
void acl_user_describe(const struct acl_user *u, struct buf *out);
int acl_user_can_run(const struct acl_user *u, const struct command *cmd, const struct command *sub);
/* Key check: 0 allowed; flags = KS_* key-spec flags of the access. */
int acl_user_key_allowed(const struct acl_user *u, const char *key, size_t len, int read, int write);
void acl_user_free_scratch(struct acl_user *u);
/* Glob match of Redis (stringmatchlen). */
int acl_glob_match(const char *pat, size_t plen, const char *s, size_t slen, int nocase);

cmd_handler cmd_auth, cmd_acl;

#endif
