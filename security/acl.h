/*
 * acl.h - users, passwords and permissions (AUTH, HELLO AUTH, ACL), with
 * Redis 7.0's rules and error texts; the per-connection security state
 * (struct acl_session); the AUTH failure limit; protected mode.
 *
 * Layer: security, above core/ and below net/. A connection (struct client,
 * net/conn.h) is never dereferenced here: it embeds a struct acl_session,
 * passes its identity in a struct acl_caller, and registers at start-up the
 * few operations that ACL's own command handlers need of it
 * (acl_register_client_ops).
 *
 * Threads: the user table is shared by every shard thread and changes
 * rarely (ACL SETUSER/DELUSER/LOAD, CONFIG SET requirepass). It is published
 * as an immutable snapshot behind an atomic pointer with a version number,
 * like struct config: a writer (under a mutex) builds a new table and
 * publishes it; the replaced table and the users that left it are freed once
 * every shard thread has passed a loop iteration after the change
 * (acl_thread_checkpoint), so a reader on the command path never locks and
 * never sees freed memory. A session is touched only by its connection's
 * thread.
 *
 * Invariant: a session's `user` is a user of the table of version `version`,
 * which is not freed before the session's thread passes a checkpoint after a
 * newer table was published; by then (or at its next check, whichever comes
 * first) the session has looked its user up again by name in the newer
 * table (a deleted user's clients are disconnected, as in Redis).
 */
#ifndef SHARDIS_ACL_H
#define SHARDIS_ACL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/commands/command.h"

struct client; /* net/conn.h: only ever a pointer here (cmd_ctx.client) */
struct acl_user;

/* The security state of one connection (embedded in struct client as
 * `acl`): who it is logged in as. */
struct acl_session {
    const struct acl_user *user; /* NULL until authenticated */
    const char *user_name;       /* for CLIENT LIST before AUTH: a literal,
                                  * never a pointer into a user (reclaimed) */
    uint64_t version;            /* user table version `user` was resolved in */
};

/* A connection as a check sees it: its session and identity, filled by the
 * connection layer for one call (nothing is kept). */
struct acl_caller {
    struct acl_session *session;
    const char *addr; /* "ip:port": AUTH failure limit, audit log */
    int in_multi;     /* ACL LOG context "multi" rather than "toplevel" */
    /* ACL LOG client-info: writes the connection's CLIENT LIST line (called
     * only when an entry is made); NULL leaves it empty. */
    void (*describe)(void *conn, struct buf *out, int64_t now_ms);
    void *conn;
};

/* AUTH and ACL run here and get their client as cmd_ctx.client, a struct
 * client of net/ (above this layer). The connection layer registers, at
 * start-up before any client exists, how to describe one and how to close
 * one after its reply (the AUTH failure limit). */
struct acl_client_ops {
    void (*caller)(struct client *c, struct acl_caller *out);
    void (*close_after_reply)(struct client *c);
};
void acl_register_client_ops(const struct acl_client_ops *ops);

/* At start-up, after the configuration is loaded: the default user (from
 * requirepass), `user` directives, then the aclfile; the rename-command
 * directives (core/commands/command_rename.h). -1 with a message. */
int acl_init(const struct config *cfg, char *err, size_t errlen);
/* Frees every table and user (exit). */
void acl_shutdown(void);

/* Called by every shard thread once per loop iteration, at a point where it
 * holds no pointer into the user table other than its sessions' users: after
 * a table change it calls refresh_sessions(arg), which must call
 * acl_session_refresh on every session of the thread (and close the
 * connections whose user is gone, as Redis), then publishes that the thread
 * has left the older tables, which lets them be freed. refresh_sessions may
 * be NULL for a thread without sessions. The first call registers the
 * thread. One atomic load otherwise. */
void acl_thread_checkpoint(void (*refresh_sessions)(void *arg), void *arg);
/* Tables and users replaced but not freed yet (tests, diagnostics). */
size_t acl_retired_count(void);

/* A new connection, or RESET: authenticated as "default" when that user
 * needs no password and is on; otherwise not authenticated yet. */
void acl_session_init(struct acl_session *s);
/* Re-resolves the session's user in the current table when the table moved:
 * 0, or -1 when its user was deleted (the connection must be closed). */
int acl_session_refresh(struct acl_session *s);

/*
 * The check before dispatch, on the connection's thread. Returns 0 when the
 * command may run; otherwise writes the error line (without "-") into err and
 * returns 1 (NOAUTH/NOPERM: reply and go on) or 2 (the client's user was
 * deleted or disabled: close the connection). A denial is logged in ACL LOG
 * and the audit log with who's identity.
 */
int acl_check(const struct acl_caller *who, const struct command *cmd, const struct command *sub, int argc,
              const struct arg *argv, char *err, size_t errlen);
/* True when a command needs no check at all for this session (default user
 * with every permission): one load and two compares. */
int acl_session_unrestricted(const struct acl_session *s);
/* True when the session's user may read every key (allkeys, ~* or %R~*):
 * SORT's BY and GET patterns need it, as in Redis 7.0. */
int acl_session_reads_all_keys(const struct acl_session *s);

/* Authenticates who's session as `user` with `pass` (AUTH, HELLO AUTH). 0, or
 * -1 with Redis's WRONGPASS text in err (also logged in ACL LOG and the audit
 * log). */
int acl_authenticate(const struct acl_caller *who, const struct arg *cmdname, const char *user, size_t ulen,
                     const char *pass, size_t plen, char *err, size_t errlen);
/* After a failed AUTH or HELLO AUTH, whose error reply is written: counts
 * the failure for who's source address and, beyond `limit` failures of that
 * address in the current second, returns 1: the caller closes the connection
 * after the reply. The right password is never refused (see acl.c). */
int acl_auth_failed(const struct acl_caller *who, long long limit, int64_t now_ms);
/* Logs the session in as `username` without a password (TLS client
 * certificates). 0, or -1 when no such user is on. */
int acl_login_user(struct acl_session *s, const char *username);
/* Name of the session's user, for CLIENT LIST and the audit log. */
const char *acl_session_user(const struct acl_session *s);
/* True when a user of that name exists now (CLIENT KILL USER). */
int acl_user_exists(const char *name, size_t len);
/* True while an unauthenticated client must be kept to small requests. */
int acl_session_needs_auth(const struct acl_session *s);

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
