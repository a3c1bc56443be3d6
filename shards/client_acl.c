/*
 * client_acl.c - a client as the security layer sees it. See client_acl.h.
 *
 * Engine side (shards/): struct client is the engine's (shards/client.h).
 * Threads: the client's shard thread (client_acl_register: start-up).
 * Invariant: security reaches a struct client only through the functions
 * here; a client is closed for ACL reasons only by its own thread.
 */
#include "shards/client_acl.h"

#include <stdarg.h>
#include <stddef.h>

#include "security/audit.h"
#include "shards/client.h"

static void describe(void *conn, struct buf *out, int64_t now_ms)
{
    client_describe(conn, out, now_ms);
}

static void close_after_reply(struct client *c)
{
    client_close(c, 1);
}

void client_acl_caller(struct client *c, struct acl_caller *out)
{
    out->session = &c->acl;
    out->addr = c->conn.addr;
    out->in_multi = c->in_multi;
    out->describe = describe;
    out->conn = c;
}

static const struct acl_client_ops client_ops = {
    .caller = client_acl_caller,
    .close_after_reply = close_after_reply,
};

void client_acl_register(void)
{
    acl_register_client_ops(&client_ops);
}

void client_acl_refresh_clients(void *clients)
{
    for (struct client *c = clients; c; c = c->next)
        if (acl_session_refresh(&c->acl) < 0 && !c->conn.closing)
            client_close(c, 1); /* its user was deleted: Redis disconnects it */
}

void client_audit_log(struct client *c, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    audit_vlog(c ? c->conn.addr : NULL, c ? acl_session_user(&c->acl) : NULL, event, fmt, ap);
    va_end(ap);
}
