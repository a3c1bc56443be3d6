/*
 * log.c - see log.h. The log file descriptor and level are process-wide:
 * they are set at start-up (before any thread starts) and the level may be
 * changed later through an atomic, so no lock is needed.
 */
#include "core/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDOUT_FILENO;
static _Atomic int log_level = LL_NOTICE;

void log_configure(const char *logfile, int level)
{
    if (logfile && logfile[0]) {
        int fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            log_fd = fd;
        else
            fprintf(stderr, "Can't open the log file %s: %s\n", logfile, strerror(errno));
    }
    atomic_store(&log_level, level);
}

void log_set_level(int level)
{
    atomic_store(&log_level, level);
}

void server_log(int level, const char *fmt, ...)
{
    if (level < atomic_load_explicit(&log_level, memory_order_relaxed))
        return;
    static const char marks[] = ".-*#";
    char line[1024];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%d:M ", (int)getpid());
    n += (int)strftime(line + n, sizeof(line) - n, "%d %b %Y %H:%M:%S.", &tm);
    n += snprintf(line + n, sizeof(line) - n, "%03d %c ", (int)(tv.tv_usec / 1000), marks[level < 4 ? level : 3]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    n += m;
    if (n > (int)sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    ssize_t w = write(log_fd, line, n);
    (void)w;
}
