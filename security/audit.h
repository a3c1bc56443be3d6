/*
 * audit.h - the audit log (`audit-log-file`, off by default): one line per
 * failed AUTH, ACL denial, ACL change, CONFIG SET, FLUSHALL/FLUSHDB and
 * SHUTDOWN, with the time, the client's address and user. Never a password:
 * callers pass only names and the event's non-secret detail.
 *
 * Layer: security. The caller passes the identity it prints (address and
 * user name); nothing here knows a connection.
 *
 * Threads: any (every shard thread, and start-up). Lines are written with one
 * write(2) of O_APPEND under a mutex: events are rare (a client hammering
 * wrong passwords is limited by auth-max-failures-per-second), so no writer
 * thread is needed. Invariant: one event is one line, never split or
 * interleaved with another.
 */
#ifndef SHARDIS_AUDIT_H
#define SHARDIS_AUDIT_H

#include <stdarg.h>

/* Opens (or closes, for "") the file named by the configuration; -1 with a message. */
int audit_open(const char *path, char *err, unsigned long errlen);
void audit_close(void);
/* Appends one line for the client at `addr` logged in as `user`; both NULL
 * (printed "-") for a server event. */
void audit_log(const char *addr, const char *user, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void audit_vlog(const char *addr, const char *user, const char *event, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
