/*
 * audit.c - the audit log: the file descriptor and the line format. See
 * audit.h.
 *
 * Threads: audit_open/audit_close run at start-up and exit; audit_vlog on
 * any thread. audit_fd changes and each line's write happen under
 * audit_lock; the unlocked test at the top of audit_vlog only skips the work
 * while the log is off. Invariant: a line is built whole on the caller's
 * stack and written with one write(2).
 */
#include "security/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int audit_fd = -1;
static pthread_mutex_t audit_lock = PTHREAD_MUTEX_INITIALIZER;

int audit_open(const char *path, char *err, unsigned long errlen)
{
    pthread_mutex_lock(&audit_lock);
    if (audit_fd >= 0)
        close(audit_fd);
    audit_fd = -1;
    int rc = 0;
    if (path && *path) {
        audit_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (audit_fd < 0) {
            snprintf(err, errlen, "Can't open the audit log file '%s': %s", path, strerror(errno));
            rc = -1;
        }
    }
    pthread_mutex_unlock(&audit_lock);
    return rc;
}

void audit_close(void)
{
    char err[8];
    audit_open(NULL, err, sizeof(err));
}

void audit_vlog(const char *addr, const char *user, const char *event, const char *fmt, va_list ap)
{
    if (audit_fd < 0)
        return;
    char line[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
    n += snprintf(line + n, sizeof(line) - (size_t)n, ".%03ldZ event=%s addr=%s user=%s ", ts.tv_nsec / 1000000, event,
                  addr ? addr : "-", user ? user : "-");
    if (n < (int)sizeof(line))
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    for (int i = 0; i < n; i++) /* one event, one line */
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n++] = '\n';
    pthread_mutex_lock(&audit_lock);
    if (audit_fd >= 0 && write(audit_fd, line, (size_t)n) < 0) {
        /* nothing better to do: the log itself is the report */
    }
    pthread_mutex_unlock(&audit_lock);
}

void audit_log(const char *addr, const char *user, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    audit_vlog(addr, user, event, fmt, ap);
    va_end(ap);
}
