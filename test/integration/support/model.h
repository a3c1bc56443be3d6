/*
 * model.h - dumps of a server's whole data set and the load and random
 * generators the model and persistence tests drive servers with.
 *
 * Provides: dump_all() (every key of databases 0-3 as one comparable text,
 * for "the data after a restart is the data before"), MSET writer threads
 * (cross-shard MSET groups sent without a pause, whose groups must later be
 * found whole or not at all) and xorshift_next() (a seeded 64-bit generator,
 * the same sequence on every run).
 */
#ifndef SHARDIS_IT_MODEL_H
#define SHARDIS_IT_MODEL_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Dumps ---- */

/* How dump_all writes each key besides its db, name, type and value. */
enum dump_flags {
    DUMP_TTL_MINUTES = 0,  /* PTTL in whole minutes (-1/-2 as they are) */
    DUMP_EXPIRE_AT = 1,    /* PEXPIRETIME in ms instead (exact) */
    DUMP_ENCODING = 2,     /* OBJECT ENCODING */
    DUMP_HASH_LOOKUPS = 4, /* hashes also by HKEYS, and every field read back by HGET must match HGETALL */
    DUMP_HEX = 8,          /* values in hex; else C-escaped (escape_bytes: readable, cut when long) */
};

/* Every key of databases 0 to 3 in name order, one line a key
 * ("\n<db> <key> <type> [encoding] ttl=<minutes>:<value>" or
 * "... <expire-at ms>:<value>"); collections as their elements, each followed
 * by ',' (sets and hashes sorted, lists and zsets in their order). Leaves
 * db 0 selected. Caller frees. */
char *dump_all(redisContext *c, unsigned flags);

/* ---- Iterations ---- */

/* Walks one whole SCAN-family iteration: sends "<command> <cursor>
 * <options>" (command "SCAN", "HSCAN key", "SSCAN key" ...; options such as
 * "COUNT 10 MATCH k:*" or ""; words without spaces or '%') from cursor 0
 * until the server answers cursor 0, checks that every reply is [cursor,
 * array] and hands each call's array to visit. Fails the test after 100,000
 * calls. Returns the number of calls. */
int scan_all(redisContext *c, const char *command, const char *options,
             void (*visit)(const redisReply *items, void *arg), void *arg);

/* ---- MSET writers ---- */

/* Keys of one MSET group: "{t<k>}g<id>[:<n>]", k = 0..MSET_GROUP_KEYS-1, so
 * with several shards every group spans them. */
#define MSET_GROUP_KEYS 8

struct mset_writer {
    int port;
    int id;
    size_t pad;         /* value "<id>-<n>-" followed by pad 'p's; 0: "<id>-<n>" */
    bool key_per_group; /* keys end in ":<n>" (each group new keys); else one key set a writer */
    volatile int *stop; /* the thread ends once *stop is set */
    long long sent;     /* groups 0 .. sent-1 were sent (read it after the join) */
    pthread_t thread;
};

/* Starts n writers (ids 0..n-1) against port, 16 pipelined MSETs at a time,
 * until *stop is set; *stop is cleared first. A writer that loses its
 * connection (the server was killed) ends quietly. */
void mset_writers_start(struct mset_writer *w, int n, int port, volatile int *stop, size_t pad, bool key_per_group);

/* Sets *stop and joins the n writers. */
void mset_writers_join(struct mset_writer *w, int n);

/* ---- Random ---- */

/* xorshift64* step: advances *state (never 0) and returns the next value. */
uint64_t xorshift_next(uint64_t *state);

#endif
