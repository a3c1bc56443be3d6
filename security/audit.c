/*
 * audit.c - the audit log. See audit.h.
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

#include "security/acl.h"
#include "shards/client.h"

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

void audit_log(struct client *c, const char *event, const char *fmt, ...)
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
                  c ? c->conn.addr : "-", c ? acl_client_user(c) : "-");
    va_list ap;
    va_start(ap, fmt);
    if (n < (int)sizeof(line))
        n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
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
