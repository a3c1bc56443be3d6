/*
 * cmd_harness.h - the context unit tests of command handlers run in: 16
 * fresh databases, an output buffer, zeroed stats, RESP2, a fixed clock, as
 * a shard would set up a struct cmd_ctx (shard 0 of 1). Included by one test
 * file each (the statics are per test program); Criterion calls
 * harness_setup/harness_teardown around every test.
 */
#ifndef SHARDIS_TEST_CMD_HARNESS_H
#define SHARDIS_TEST_CMD_HARNESS_H

#include <string.h>

#include "buf.h"
#include "command.h"
#include "db.h"

#define NDBS 16
#define NOW 1700000000000LL
#define MAX_ARGS 32

static struct db *dbs[NDBS];
static struct buf out;
static struct shard_stats stats;
static struct cmd_ctx ctx;
static struct arg args[MAX_ARGS];
static uint64_t hashes[MAX_ARGS];

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

static void harness_teardown(void)
{
    for (int i = 0; i < NDBS; i++)
        db_destroy(dbs[i]);
    buf_free(&out);
}

#endif
