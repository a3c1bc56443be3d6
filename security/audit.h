/*
 * audit.h - the audit log (`audit-log-file`, off by default): one line per
 * failed AUTH, ACL denial, ACL change, CONFIG SET, FLUSHALL/FLUSHDB and
 * SHUTDOWN, with the time, the client's address and user. Never a password:
 * callers pass only names and the event's non-secret detail.
 *
 * Lines are written with one write(2) of O_APPEND under a mutex: events are
 * rare (a client hammering wrong passwords is limited by
 * auth-max-failures-per-second), so no writer thread is needed.
 */
#ifndef SHARDIS_AUDIT_H
#define SHARDIS_AUDIT_H

struct client;
struct config;

/* Opens (or closes, for "") the file named by the configuration; -1 with a message. */
int audit_open(const char *path, char *err, unsigned long errlen);
void audit_close(void);
/* Appends one line; c may be NULL (server events). */
void audit_log(struct client *c, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
