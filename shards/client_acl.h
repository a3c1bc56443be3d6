/*
 * client_acl.h - a client as the security layer sees it: the glue between
 * struct client (shards/client.h) and security/ (acl.h, audit.h), which sits
 * below net/ and shards/ and never dereferences a struct client.
 *
 * Threads: every function runs on the client's own shard thread, except
 * client_acl_register (start-up, before the shard threads). Invariant: what is
 * handed to security (struct acl_caller) borrows the client's fields for the
 * duration of one call; security keeps no pointer to a client.
 */
#ifndef SHARDIS_CLIENT_ACL_H
#define SHARDIS_CLIENT_ACL_H

#include "security/acl.h"

struct client;

/* Registers with security how AUTH and ACL read their client (start-up,
 * after acl_init, before any client exists). */
void client_acl_register(void);
/* The session and identity of c, for acl_check, acl_authenticate and
 * acl_auth_failed. */
void client_acl_caller(struct client *c, struct acl_caller *out);
/* acl_thread_checkpoint's refresh for a shard: `clients` is the head of the
 * shard's client list (struct client *); re-resolves every client's user and
 * closes, after their replies, the clients whose user was deleted. */
void client_acl_refresh_clients(void *clients);
/* audit_log with c's address and user (c NULL: a server event). */
void client_audit_log(struct client *c, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
