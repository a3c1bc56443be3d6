/*
 * cmd_harness.h - the context unit tests of command handlers run in: 16
 * fresh databases, an output buffer, zeroed stats, RESP2, a fixed clock, as
 * a shard would set up a struct cmd_ctx (shard 0 of 1). Included by one test
 * file each (the statics are per test program); Criterion calls
 * harness_setup/harness_teardown around every test (or harness_setup_cfg,
 * which also points ctx.cfg at cfg, a private copy of the default config
 * that tests edit to move thresholds).
 *
 * A handler is run with RUN(handler, "cmd", "arg", ...), which returns its
 * reply as a NUL-terminated string valid until the next run, or checked with
 * EXPECT(reply, handler, "cmd", ...). find/find_in look a key up in ctx.db or
 * a given db; encoding_of names the encoding of a key that must exist.
 */
#ifndef SHARDIS_TEST_CMD_HARNESS_H
#define SHARDIS_TEST_CMD_HARNESS_H

#include <criterion/criterion.h>
#include <string.h>

#include "core/base/buf.h"
#include "core/commands/command.h"
#include "core/base/config.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/base/util.h"

#define NDBS 16
#define NOW 1700000000000LL
#define MAX_ARGS 32

#define WRONGTYPE "-" ERR_WRONGTYPE "\r\n"

static struct db *dbs[NDBS];
static struct buf out;
static struct shard_stats stats;
static struct cmd_ctx ctx;
static struct arg args[MAX_ARGS];
static uint64_t hashes[MAX_ARGS];
static struct config cfg;

static void harness_setup(void)
{
    for (int i = 0; i < NDBS; i++)
        dbs[i] = db_create();
    memset(&out, 0, sizeof(out));
    memset(&stats, 0, sizeof(stats));
    memset(&ctx, 0, sizeof(ctx));
    ctx.shard_id = 0;
    ctx.nshards = 1;
    ctx.dbs = dbs;
    ctx.ndbs = NDBS;
    ctx.dbid = 0;
    ctx.db = dbs[0];
    ctx.out = &out;
    ctx.resp = 2;
    ctx.now_ms = NOW;
    ctx.stats = &stats;
}

/* harness_setup, then ctx.cfg = &cfg with cfg a fresh copy of the defaults. */
static inline void harness_setup_cfg(void)
{
    harness_setup();
    cfg = *config_defaults();
    ctx.cfg = &cfg;
}

static void harness_teardown(void)
{
    for (int i = 0; i < NDBS; i++)
        db_destroy(dbs[i]);
    buf_free(&out);
}

/* Runs a handler on argv[0..argc) (argv[0] is the command name; lens may be
 * NULL for NUL-terminated arguments) and returns the reply as a
 * NUL-terminated string valid until the next run. Every argument gets its
 * key_hash, as the dispatcher gives key arguments theirs (handlers read only
 * the key positions), and ctx.modified/ctx.blocked start at 0 as they do for
 * each dispatched command. */
static inline const char *run_args(cmd_handler *h, int argc, const char *const *argv, const size_t *lens)
{
    cr_assert(argc <= MAX_ARGS);
    for (int i = 0; i < argc; i++) {
        args[i].ptr = argv[i];
        args[i].len = lens ? lens[i] : strlen(argv[i]);
        hashes[i] = key_hash(args[i].ptr, args[i].len);
    }
    ctx.argc = argc;
    ctx.argv = args;
    ctx.hashes = hashes;
    ctx.modified = 0;
    ctx.blocked = 0;
    buf_reset(&out);
    h(&ctx);
    buf_append_byte(&out, '\0');
    out.len--;
    return out.data;
}

/* run_args on a NULL-terminated argv of NUL-terminated arguments. */
static inline const char *run_argv(cmd_handler *h, const char *const *argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    return run_args(h, argc, argv, NULL);
}

#define RUN(handler, ...) run_argv(handler, (const char *const[]){__VA_ARGS__, NULL})
#define EXPECT(reply, handler, ...) cr_assert_str_eq(RUN(handler, __VA_ARGS__), reply)

/* The entry of key in db (expired or not), or NULL. */
static inline struct db_entry *find_in(struct db *db, const char *key)
{
    return db_find(db, key_hash(key, strlen(key)), key, strlen(key));
}

/* The entry of key in ctx.db (expired or not), or NULL. */
static inline struct db_entry *find(const char *key)
{
    return find_in(ctx.db, key);
}

/* The entry of key in ctx.db, asserting that there is one. */
static inline struct db_entry *must_find(const char *key)
{
    struct db_entry *e = find(key);
    cr_assert_not_null(e, "key %s missing", key);
    return e;
}

/* The encoding name (OBJECT ENCODING) of key, which must exist. */
static inline const char *encoding_of(const char *key)
{
    return entry_encoding_name(must_find(key));
}

#endif
