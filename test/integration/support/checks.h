/*
 * checks.h - typed reply checks and polls for the integration tests, built
 * on client.h.
 *
 * Provides: int_reply() (the integer a command answers, the test fails on
 * any other reply), expect_encoding() (OBJECT ENCODING), info_ll() (a
 * numeric INFO field), wait_for_clients() / wait_blocked() (poll INFO
 * clients until a count is reached) and has_line() (a whole line of a
 * multi-line text such as INFO or CLIENT LIST).
 */
#ifndef SHARDIS_IT_CHECKS_H
#define SHARDIS_IT_CHECKS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

/* Runs the command (cmd() format) and returns its integer reply; fails the
 * test with the command and the reply when the reply is not an integer. */
long long int_reply(redisContext *c, const char *format, ...);

/* OBJECT ENCODING key is exactly enc. */
void expect_encoding(redisContext *c, const char *key, const char *enc);

/* The numeric value of `field` in INFO `section`; fails the test when the
 * field is absent. */
long long info_ll(redisContext *c, const char *section, const char *field);

/* Polls INFO clients until connected_clients is `want` or timeout_ms passed;
 * returns the last count seen (the caller asserts). */
long long wait_for_clients(redisContext *c, long long want, long timeout_ms);

/* Polls INFO clients until blocked_clients is `want`; fails the test when it
 * is not within timeout_ms. */
void wait_blocked(redisContext *c, long long want, long timeout_ms);

/* text holds `line` as a whole line (ended by \r, \n or the end of text). */
bool has_line(const char *text, const char *line);

#endif
