/*
 * reference.h - a redis-server 7.0.15 started by the test itself, next to
 * the server under test, to compare replies command by command.
 *
 * ref_start() runs /usr/bin/redis-server on a free loopback port (no
 * persistence, a private temp dir as cwd), as a child that dies with the
 * test worker (PR_SET_PDEATHSIG), and waits until it answers PING; it
 * returns 0 when redis-server is not installed (the caller skips the
 * comparison). ref_stop() stops it by PID. One reference per worker.
 *
 * compare_lines() runs each line (arguments split on spaces) on both
 * connections and fails on the first pair of replies that differ in type or
 * content (recursively; doubles compared as text), naming the line.
 */
#ifndef SHARDIS_IT_REFERENCE_H
#define SHARDIS_IT_REFERENCE_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

int ref_start(void);
void ref_stop(void);
/* Starts the reference (skips the test when redis-server is missing) and
 * connects to it and to the server under test, both flushed. */
void ref_connect_both(redisContext **ref, redisContext **test);

bool replies_equal(const redisReply *a, const redisReply *b);
/* Runs `line` on both; returns true when the replies are equal, else
 * describes both into why (size bytes). */
bool compare_line(redisContext *ref, redisContext *test, const char *line, char *why, size_t size);
/* Every line of a NULL-terminated array; fails the test on a difference. */
void compare_lines(redisContext *ref, redisContext *test, const char *const *lines);

#endif
