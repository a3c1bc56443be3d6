/*
 * util.h - small pure helpers shared by every layer: number parsing and
 * formatting with Redis's exact rules, glob matching, clocks, key hashing.
 * Nothing here has state; every function is safe from any thread.
 */
#ifndef SHARDIS_UTIL_H
#define SHARDIS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/resp.h"

#define LONG_STR_SIZE 21
#define MAX_LONG_DOUBLE_CHARS 5 * 1024
#define MAX_D2STRING_CHARS 128

/* Strict integer parse like Redis's string2ll: no spaces, no '+', no leading
 * zeros (except "0"), fits in long long. Returns 1 on success, 0 otherwise. */
int string2ll(const char *s, size_t len, long long *value);
/* Same, but for unsigned 64-bit (SCAN cursors). */
int string2ull(const char *s, size_t len, unsigned long long *value);
/* Redis's string2ld (INCRBYFLOAT): strtold over the whole string, no spaces,
 * rejects nan. Returns 1 on success. */
int string2ld(const char *s, size_t len, long double *value);
/* Redis's string2d (scores, timeouts): strtod over the whole string, rejects
 * nan and leading spaces; accepts "inf", "+inf", "-inf". Returns 1 on success. */
int string2d(const char *s, size_t len, double *value);

/* Writes v in decimal; returns the length (without the NUL it also writes). */
int ll2string(char *dst, size_t dstlen, long long v);
int ull2string(char *dst, size_t dstlen, unsigned long long v);
/* Redis's ld2string in LD_STR_HUMAN mode (INCRBYFLOAT): "%.17Lf" with
 * trailing zeros and a trailing '.' removed; "-0" becomes "0"; inf refused
 * (returns 0). Returns the length. */
int ld2string_human(char *buf, size_t len, long double value);
/* Redis's d2string: "%.17g" for finite values, "inf", "-inf", "nan"; integral
 * values in the safe range are written without exponent ("3", not "3e+00").
 * Returns the length. */
int d2string(char *buf, size_t len, double value);

/* The next cursor of Redis's reverse-binary SCAN over a power-of-two table
 * of mask+1 buckets: the masked bits are incremented from the top, so a scan
 * visits every bucket once and stays correct while the table grows or
 * shrinks between calls (core/ds/hashtable.c). 0 when done. */
uint64_t scan_cursor_next(uint64_t v, uint64_t mask);

/* Glob-style match exactly like Redis's stringmatchlen (*, ?, [a-z], [^x], \x). */
int stringmatchlen(const char *pattern, size_t patternlen, const char *string, size_t stringlen, int nocase);

/* Case-insensitive comparison of an argument with a literal (ASCII). */
int arg_is(const struct arg *a, const char *literal);

/* Wall clock in ms / us since the epoch; monotonic clock in us. */
int64_t mstime(void);
int64_t ustime(void);
int64_t monotonic_us(void);

/* xxh3_64 of the whole key: the hash the shard's table uses. */
uint64_t key_hash(const char *key, size_t len);
/* The shard that owns a key: fastrange(xxh3(tag), nshards), where tag is the
 * part between the first '{' and the following '}' when non-empty, else the
 * whole key (then `hash` is reused instead of hashing again). */
int key_shard(const char *key, size_t len, uint64_t hash, int nshards);

/* Allocation failure: one line on stderr, then abort (as Redis's zmalloc
 * out-of-memory handler). For allocations the server cannot go on without. */
__attribute__((noreturn, cold)) void out_of_memory(size_t size);
/* malloc that never returns NULL (out_of_memory instead). */
void *xmalloc(size_t size);

#endif
