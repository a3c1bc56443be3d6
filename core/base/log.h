/*
 * log.h - Redis-style log lines: "pid:role dd Mon yyyy hh:mm:ss.mmm <level> msg".
 * Safe from every thread: each line is formatted into a local buffer and
 * written with one write(2), so lines from different threads never interleave.
 */
#ifndef SHARDIS_LOG_H
#define SHARDIS_LOG_H

#include "core/base/config.h"

/* Sets where logs go and the minimum level. Called at start-up and on CONFIG
 * SET loglevel (the level is an atomic). */
void log_configure(const char *logfile, int level);
void log_set_level(int level);
void server_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
