/*
 * test_snapshot.c - the snapshot format (persist/snapshot.c) and the
 * copy-on-write walk of core/types/db.c: every type and encoding survives a round
 * trip with its encoding and expiry; corrupted and truncated files are
 * refused (never a crash, never a silent acceptance); a value changed after
 * db_cow_begin is written as it was at the cut; the compact encodings and
 * LZ4 blocks of format version 2 round-trip, and version 1 files still load.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "core/base/config.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "persist/snapshot.h"

#include "cmd_harness.h"

TestSuite(snapshot, .init = harness_setup_cfg, .fini = harness_teardown);

struct dbctx {
    struct snap_writer *w;
    struct snap_buf *out;
    int dbid;
};

static void write_entry(void *priv, const struct db_entry *e)
{
    struct dbctx *d = priv;
    snap_writer_entry(d->w, d->dbid, e, d->out);
}

/* Serializes every db of `from` (a cut at the call) into out, with LZ4
 * blocks or without. */
static void snapshot_dbs_compress(struct db **from, struct snap_buf *out, int compress)
{
    struct snap_writer w;
    struct snap_header h = {SNAP_VERSION, 0, 1, NDBS, 7, NOW};
    cr_assert_eq(snap_writer_begin(&w, &h, out), 0);
    snap_writer_set_compression(&w, compress);
    struct dbctx ctxs[NDBS];
    for (int i = 0; i < NDBS; i++) {
        ctxs[i] = (struct dbctx){&w, out, i};
        db_cow_begin(from[i], write_entry, &ctxs[i]);
    }
    for (int i = 0; i < NDBS; i++) {
        db_cow_finish(from[i]);
        db_cow_end(from[i]);
    }
    snap_writer_end(&w, out);
}

static void snapshot_dbs(struct db **from, struct snap_buf *out)
{
    snapshot_dbs_compress(from, out, 1);
}

static struct db *loaded[NDBS];

static int put_loaded(void *priv, int dbid, struct db_entry *e)
{
    (void)priv;
    db_insert(loaded[dbid], e);
    return 0;
}

static void load_into_loaded(const struct snap_buf *b)
{
    for (int i = 0; i < NDBS; i++)
        loaded[i] = db_create();
    struct snap_load_result res;
    char err[256];
    int rc = snap_load_buffer(b->data, b->len, 0, put_loaded, NULL, &res, err, sizeof(err));
    cr_assert_eq(rc, 0, "load failed: %s at %llu", err, (unsigned long long)res.error_offset);
}

static void free_loaded(void)
{
    for (int i = 0; i < NDBS; i++)
        db_destroy(loaded[i]);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A reply with its lines sorted (set members, hash pairs joined). */
static char *sorted_reply(const char *reply, int pairs)
{
    char *copy = strdup(reply);
    char *lines[20000];
    int n = 0;
    for (char *save, *tok = strtok_r(copy, "\n", &save); tok && n < 20000; tok = strtok_r(NULL, "\n", &save))
        lines[n++] = tok;
    char *items[10000];
    int m = 0;
    /* skip the array header; items are "$len" + value lines */
    for (int i = 1; i + 1 < n; i += 2 * (pairs ? 2 : 1)) {
        char *item = malloc(strlen(lines[i + 1]) + (pairs ? strlen(lines[i + 3]) + 2 : 1));
        if (pairs)
            sprintf(item, "%s=%s", lines[i + 1], lines[i + 3]);
        else
            strcpy(item, lines[i + 1]);
        items[m++] = item;
    }
    qsort(items, m, sizeof(char *), cmp_str);
    size_t total = 32;
    for (int i = 0; i < m; i++)
        total += strlen(items[i]) + 1;
    char *res = malloc(total);
    int off = sprintf(res, "%d:", m);
    for (int i = 0; i < m; i++) {
        off += sprintf(res + off, "%s|", items[i]);
        free(items[i]);
    }
    free(copy);
    return res;
}

/* A canonical text of key's value in db (as the commands see it). */
static char *canon(struct db *db, const char *key)
{
    struct db *saved = ctx.db;
    ctx.db = db;
    struct db_entry *e = find_in(db, key);
    cr_assert_not_null(e, "key %s missing", key);
    char *res = NULL;
    switch (e->type) {
    case OBJ_STRING:
        res = strdup(RUN(cmd_get, "get", key));
        break;
    case OBJ_LIST:
        res = strdup(RUN(cmd_lrange, "lrange", key, "0", "-1"));
        break;
    case OBJ_SET:
        res = sorted_reply(RUN(cmd_smembers, "smembers", key), 0);
        break;
    case OBJ_HASH:
        res = sorted_reply(RUN(cmd_hgetall, "hgetall", key), 1);
        break;
    case OBJ_ZSET:
        res = strdup(RUN(cmd_zrange, "zrange", key, "0", "-1", "withscores"));
        break;
    case OBJ_STREAM:
        res = strdup(RUN(cmd_xinfo, "xinfo", "stream", key, "full", "count", "0"));
        break;
    }
    ctx.db = saved;
    return res;
}

static void fill_every_type(void)
{
    char a[64], b[64];
    RUN(cmd_set, "set", "int", "12345");
    RUN(cmd_set, "set", "negint", "-9223372036854775808");
    RUN(cmd_set, "set", "emb", "hello world");
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    big[100] = 'y';
    RUN(cmd_set, "set", "raw", big);
    RUN(cmd_set, "set", "empty", "");
    const size_t bin_lens[] = {3, 3, 5};
    run_args(cmd_set, 3, (const char *const[]){"set", "bin", "a\0\r\nb"}, bin_lens);
    RUN(cmd_rpush, "rpush", "smalllist", "a", "1", "-7", "zz");
    for (int i = 0; i < 5000; i++) {
        snprintf(a, sizeof(a), "element-%d", i);
        RUN(cmd_rpush, "rpush", "biglist", a);
    }
    RUN(cmd_sadd, "sadd", "intset", "1", "-5", "100000", "9223372036854775807");
    RUN(cmd_sadd, "sadd", "lpset", "a", "b", "c", "1");
    for (int i = 0; i < 300; i++) {
        snprintf(a, sizeof(a), "m%d", i);
        RUN(cmd_sadd, "sadd", "htset", a);
    }
    RUN(cmd_hset, "hset", "lphash", "f1", "v1", "f2", "2", "f3", "");
    for (int i = 0; i < 200; i++) {
        snprintf(a, sizeof(a), "field%d", i);
        snprintf(b, sizeof(b), "value%d", i * 7);
        RUN(cmd_hset, "hset", "hthash", a, b);
    }
    RUN(cmd_zadd, "zadd", "lpzset", "1", "a", "2.5", "b", "-inf", "c", "2.5", "a2");
    for (int i = 0; i < 300; i++) {
        snprintf(a, sizeof(a), "%d.25", i % 17);
        snprintf(b, sizeof(b), "member%d", i);
        RUN(cmd_zadd, "zadd", "slzset", a, b);
    }
    for (int i = 1; i <= 250; i++) { /* 3 nodes, entries with and without the master's fields */
        snprintf(a, sizeof(a), "%d-%d", i / 3 + 1, i % 3);
        snprintf(b, sizeof(b), "v%d", i);
        RUN(cmd_xadd, "xadd", "stream", a, i % 5 ? "f" : "other", b, "n", "1");
    }
    RUN(cmd_xdel, "xdel", "stream", "2-1", "40-0");
    RUN(cmd_xgroup, "xgroup", "create", "stream", "g1", "0");
    RUN(cmd_xgroup, "xgroup", "create", "stream", "g2", "$");
    RUN(cmd_xreadgroup, "xreadgroup", "group", "g1", "alice", "count", "7", "streams", "stream", ">");
    RUN(cmd_xreadgroup, "xreadgroup", "group", "g1", "bob", "count", "3", "streams", "stream", ">");
    RUN(cmd_xgroup, "xgroup", "createconsumer", "stream", "g2", "carol");
    RUN(cmd_pexpireat, "pexpireat", "emb", "1900000000000");
    RUN(cmd_pexpireat, "pexpireat", "biglist", "1900000000123");
    /* another db */
    ctx.db = dbs[5];
    ctx.dbid = 5;
    RUN(cmd_set, "set", "in5", "five");
    RUN(cmd_sadd, "sadd", "intset", "3");
    ctx.db = dbs[0];
    ctx.dbid = 0;
}

static const char *const all_keys[] = {"int",       "negint",  "emb",    "raw",    "empty", "bin",
                                       "smalllist", "biglist", "intset", "lpset",  "htset", "lphash",
                                       "hthash",    "lpzset",  "slzset", "stream", NULL};

Test(snapshot, round_trip_every_type_and_encoding)
{
    fill_every_type();
    cr_assert_str_eq(encoding_of("biglist"), "quicklist");
    cr_assert_str_eq(encoding_of("smalllist"), "listpack");
    cr_assert_str_eq(encoding_of("intset"), "intset");
    cr_assert_str_eq(encoding_of("lpset"), "listpack");
    cr_assert_str_eq(encoding_of("htset"), "hashtable");
    cr_assert_str_eq(encoding_of("hthash"), "hashtable");
    cr_assert_str_eq(encoding_of("slzset"), "skiplist");
    cr_assert_str_eq(encoding_of("lpzset"), "listpack");
    cr_assert_str_eq(encoding_of("stream"), "stream");
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    load_into_loaded(&b);
    for (int i = 0; all_keys[i]; i++) {
        struct db_entry *orig = find_in(dbs[0], all_keys[i]);
        struct db_entry *copy = find_in(loaded[0], all_keys[i]);
        cr_assert_not_null(copy, "%s not loaded", all_keys[i]);
        cr_assert_eq(copy->type, orig->type, "%s", all_keys[i]);
        cr_assert_str_eq(entry_encoding_name(copy), entry_encoding_name(orig), "%s", all_keys[i]);
        cr_assert_eq(copy->expire_at, orig->expire_at, "%s", all_keys[i]);
        char *x = canon(dbs[0], all_keys[i]), *y = canon(loaded[0], all_keys[i]);
        cr_assert_str_eq(y, x, "%s differs", all_keys[i]);
        free(x);
        free(y);
    }
    cr_assert_eq(db_size(loaded[0]), db_size(dbs[0]));
    cr_assert_eq(db_size(loaded[5]), 2);
    cr_assert_eq(db_expires_size(loaded[0]), 2);
    cr_assert_eq(find_in(loaded[0], "emb")->expire_at, 1900000000000LL);
    /* The loaded values work with the commands. */
    ctx.db = loaded[0];
    EXPECT(":5001\r\n", cmd_rpush, "rpush", "biglist", "more");
    EXPECT(":1\r\n", cmd_sadd, "sadd", "intset", "77");
    EXPECT("$6\r\nvalue7\r\n", cmd_hget, "hget", "hthash", "field1");
    EXPECT("$4\r\n2.25\r\n", cmd_zscore, "zscore", "slzset", "member2");
    ctx.db = dbs[0];
    free_loaded();
    snap_buf_free(&b);
}

Test(snapshot, header_and_trailer)
{
    RUN(cmd_set, "set", "k", "v");
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    cr_assert(memcmp(b.data, SNAP_MAGIC, 8) == 0);
    struct snap_load_result res;
    char err[256];
    cr_assert_eq(snap_load_buffer(b.data, b.len, SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err, sizeof(err)), 0);
    cr_assert_eq(res.records, 1);
    cr_assert_eq(res.header.epoch, 7);
    cr_assert_eq(res.header.ndbs, NDBS);
    cr_assert_eq(b.data[b.len - 17], SNAP_REC_END);
    snap_buf_free(&b);
}

Test(snapshot, empty_snapshot_loads)
{
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    struct snap_load_result res;
    char err[256];
    cr_assert_eq(snap_load_buffer(b.data, b.len, 0, NULL, NULL, &res, err, sizeof(err)), 0);
    cr_assert_eq(res.records, 0);
    snap_buf_free(&b);
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

Test(snapshot, random_corruption_is_detected)
{
    fill_every_type();
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    unsigned char *copy = malloc(b.len);
    char err[256];
    struct snap_load_result res;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(copy, b.data, b.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) {
            size_t pos = rnd() % b.len;
            unsigned char x = (unsigned char)(1 + rnd() % 255);
            copy[pos] ^= x;
        }
        /* With the checksum: always refused. */
        int rc = snap_load_buffer(copy, b.len, SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err, sizeof(err));
        cr_assert_eq(rc, -1, "corruption accepted (iteration %d)", iter);
        cr_assert(res.error_offset <= b.len);
        /* Without it the parser must still never crash or leak (ASan). */
        snap_load_buffer(copy, b.len, SNAP_LOAD_NO_CHECKSUM | SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err,
                         sizeof(err));
    }
    free(copy);
    snap_buf_free(&b);
}

Test(snapshot, truncation_is_detected)
{
    fill_every_type();
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    char err[256];
    struct snap_load_result res;
    for (size_t len = 0; len < b.len; len += 1 + len / 50) {
        int rc = snap_load_buffer(b.data, len, SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err, sizeof(err));
        cr_assert_eq(rc, -1, "truncated file of %zu bytes accepted", len);
        snap_load_buffer(b.data, len, SNAP_LOAD_NO_CHECKSUM | SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err,
                         sizeof(err));
    }
    snap_buf_free(&b);
}

/* The parser itself (no checksum) refuses structural damage with an offset. */
Test(snapshot, parser_reports_offsets)
{
    RUN(cmd_rpush, "rpush", "l", "a", "b");
    struct snap_buf b = {0};
    snapshot_dbs_compress(dbs, &b, 0);
    char err[256];
    struct snap_load_result res;
    /* one raw block after the header: kind, length, then SELECT 0 and the
     * record's op byte: make its type unknown */
    cr_assert_eq(b.data[SNAP_HEADER_SIZE], SNAP_BLOCK_RAW);
    size_t data_at = SNAP_HEADER_SIZE + 2;
    cr_assert_eq(b.data[data_at], SNAP_OP_SELECT);
    b.data[data_at + 2] = 0x3F;
    cr_assert_eq(snap_load_buffer(b.data, b.len, SNAP_LOAD_NO_CHECKSUM, NULL, NULL, &res, err, sizeof(err)), -1);
    cr_assert_eq(res.error_offset, data_at + 2, "offset %llu: %s", (unsigned long long)res.error_offset, err);
    cr_assert_eq(snap_load_buffer(b.data, b.len, 0, NULL, NULL, &res, err, sizeof(err)), -1);
    cr_assert(strstr(err, "checksum") != NULL, "%s", err);
    snap_buf_free(&b);
}

/* Keys like a benchmark's (a common prefix, integer values), some with an
 * expiry, over several blocks. */
static void fill_benchmark_like(int n)
{
    char k[64], v[64];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "key:%012d", i * 7);
        snprintf(v, sizeof(v), i % 3 ? "%d" : "value-%d", i);
        RUN(cmd_set, "set", k, v);
        if (i % 5 == 0)
            RUN(cmd_pexpireat, "pexpireat", k, "1900000000000");
    }
}

/* Version 2 is compact: varints, integer values as integers, shared key
 * prefixes, LZ4 blocks (version 1 took 35+ bytes a key here). Both ways
 * load the same data. */
Test(snapshot, compact_encodings_and_lz4_blocks_round_trip)
{
    const int n = 20000;
    fill_benchmark_like(n);
    struct snap_buf raw = {0}, lz = {0};
    snapshot_dbs_compress(dbs, &raw, 0);
    snapshot_dbs_compress(dbs, &lz, 1);
    cr_assert_eq(raw.data[SNAP_HEADER_SIZE], SNAP_BLOCK_RAW);
    cr_assert_eq(lz.data[SNAP_HEADER_SIZE], SNAP_BLOCK_LZ4);
    cr_assert_gt(raw.len, 2 * SNAP_BLOCK_SIZE, "one block only: %zu bytes", raw.len);
    cr_assert_lt(raw.len, (size_t)n * 16, "uncompressed: %zu bytes for %d keys", raw.len, n);
    cr_assert_lt(lz.len, raw.len * 3 / 4, "LZ4 %zu bytes, raw %zu", lz.len, raw.len);
    struct snap_buf *files[] = {&raw, &lz};
    for (int f = 0; f < 2; f++) {
        load_into_loaded(files[f]);
        cr_assert_eq(db_size(loaded[0]), (size_t)n);
        cr_assert_eq(db_expires_size(loaded[0]), (size_t)(n + 4) / 5);
        char k[64];
        for (int i = 0; i < n; i += 97) {
            snprintf(k, sizeof(k), "key:%012d", i * 7);
            char *x = canon(dbs[0], k), *y = canon(loaded[0], k);
            cr_assert_str_eq(y, x, "%s differs", k);
            free(x);
            free(y);
            cr_assert_eq(find_in(loaded[0], k)->expire_at, i % 5 == 0 ? 1900000000000LL : 0);
            cr_assert_str_eq(entry_encoding_name(find_in(loaded[0], k)), i % 3 ? "int" : "embstr");
        }
        free_loaded();
    }
    snap_buf_free(&raw);
    snap_buf_free(&lz);
}

/* An LZ4 block whose sizes do not match its data is refused at the
 * block's offset, even without the checksum. */
Test(snapshot, damaged_lz4_block_is_refused)
{
    fill_benchmark_like(3000);
    struct snap_buf b = {0};
    snapshot_dbs(dbs, &b);
    cr_assert_eq(b.data[SNAP_HEADER_SIZE], SNAP_BLOCK_LZ4);
    char err[256];
    struct snap_load_result res;
    /* the decoded length (a varint) one more than the data holds */
    unsigned char *copy = malloc(b.len);
    memcpy(copy, b.data, b.len);
    copy[SNAP_HEADER_SIZE + 1] ^= 1;
    cr_assert_eq(snap_load_buffer(copy, b.len, SNAP_LOAD_NO_CHECKSUM, NULL, NULL, &res, err, sizeof(err)), -1);
    cr_assert_eq(res.error_offset, SNAP_HEADER_SIZE, "offset %llu: %s", (unsigned long long)res.error_offset, err);
    cr_assert(strstr(err, "LZ4") != NULL || strstr(err, "block") != NULL, "%s", err);
    /* the compressed data cut short: the block claims more than the file */
    cr_assert_eq(
        snap_load_buffer(b.data, SNAP_HEADER_SIZE + 200, SNAP_LOAD_NO_CHECKSUM, NULL, NULL, &res, err, sizeof(err)),
        -1);
    free(copy);
    snap_buf_free(&b);
}

static void le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v)
{
    le32(p, (uint32_t)v);
    le32(p + 4, (uint32_t)(v >> 32));
}

/* Files of format version 1 (written before compact encodings) load. */
Test(snapshot, version_1_files_still_load)
{
    unsigned char f[256];
    size_t n = 0;
    memcpy(f, SNAP_MAGIC, 8);
    le32(f + 8, 1);     /* version */
    le32(f + 12, 0);    /* shard */
    le32(f + 16, 1);    /* shards */
    le32(f + 20, NDBS); /* databases */
    le64(f + 24, 3);    /* epoch */
    le64(f + 32, NOW);
    n = SNAP_HEADER_SIZE;
    /* "abc" = "hello" in db 3, expiring */
    f[n++] = SNAP_REC_ENTRY;
    f[n++] = OBJ_STRING;
    f[n++] = ENC_EMBSTR;
    f[n++] = 0;
    le32(f + n, 3);
    n += 4;
    le64(f + n, 1900000000000ULL);
    n += 8;
    le32(f + n, 3);
    memcpy(f + n + 4, "abc", 3);
    n += 7;
    le32(f + n, 5);
    memcpy(f + n + 4, "hello", 5);
    n += 9;
    /* "num" = 42 in db 0 */
    f[n++] = SNAP_REC_ENTRY;
    f[n++] = OBJ_STRING;
    f[n++] = ENC_INT;
    f[n++] = 0;
    le32(f + n, 0);
    n += 4;
    le64(f + n, 0);
    n += 8;
    le32(f + n, 3);
    memcpy(f + n + 4, "num", 3);
    n += 7;
    le32(f + n, 2);
    memcpy(f + n + 4, "42", 2);
    n += 6;
    f[n++] = SNAP_REC_END;
    le64(f + n, 2);
    n += 8;
    le64(f + n, XXH3_64bits(f, n));
    n += 8;
    struct snap_buf b = {f, n, sizeof(f)};
    load_into_loaded(&b);
    struct db_entry *e = find_in(loaded[3], "abc");
    cr_assert_not_null(e);
    cr_assert_eq(e->expire_at, 1900000000000LL);
    char *v = canon(loaded[3], "abc");
    cr_assert_str_eq(v, "$5\r\nhello\r\n");
    free(v);
    cr_assert_str_eq(entry_encoding_name(find_in(loaded[0], "num")), "int");
    free_loaded();
}

/* Copy-on-write: values changed, keys deleted or added after the cut do not
 * change what the snapshot holds. */
static struct snap_buf cow_out;
static struct snap_writer cow_w;

Test(snapshot, copy_on_write_keeps_the_cut)
{
    char k[32];
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key%d", i);
        RUN(cmd_set, "set", k, "old");
    }
    RUN(cmd_rpush, "rpush", "list", "a", "b");
    struct snap_header h = {SNAP_VERSION, 0, 1, NDBS, 1, NOW};
    snap_writer_begin(&cow_w, &h, &cow_out);
    struct dbctx ctxs[NDBS];
    for (int i = 0; i < NDBS; i++) {
        ctxs[i] = (struct dbctx){&cow_w, &cow_out, i};
        db_cow_begin(dbs[i], write_entry, &ctxs[i]);
    }
    db_cow_step(dbs[0], 10); /* part written before the changes */
    for (int i = 0; i < 2000; i += 2) {
        snprintf(k, sizeof(k), "key%d", i);
        RUN(cmd_set, "set", k, "new");
    }
    for (int i = 1; i < 2000; i += 10) {
        snprintf(k, sizeof(k), "key%d", i);
        RUN(cmd_del, "del", k);
    }
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "added%d", i);
        RUN(cmd_set, "set", k, "x");
    }
    RUN(cmd_rpush, "rpush", "list", "c");
    RUN(cmd_flushdb, "flushdb"); /* writes the rest of db 0 first */
    for (int i = 0; i < NDBS; i++) {
        db_cow_finish(dbs[i]);
        db_cow_end(dbs[i]);
    }
    snap_writer_end(&cow_w, &cow_out);
    load_into_loaded(&cow_out);
    cr_assert_eq(db_size(loaded[0]), 2001);
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "key%d", i);
        char *v = canon(loaded[0], k);
        cr_assert_str_eq(v, "$3\r\nold\r\n", "%s", k);
        free(v);
    }
    char *l = canon(loaded[0], "list");
    cr_assert_str_eq(l, "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    free(l);
    free_loaded();
    snap_buf_free(&cow_out);
}

Test(snapshot, table_does_not_resize_during_cow_and_resizes_after)
{
    char k[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        RUN(cmd_set, "set", k, "v");
    }
    struct snap_buf out2 = {0};
    struct snap_writer w;
    struct snap_header h = {SNAP_VERSION, 0, 1, NDBS, 1, NOW};
    snap_writer_begin(&w, &h, &out2);
    struct dbctx c0 = {&w, &out2, 0};
    db_cow_begin(dbs[0], write_entry, &c0);
    size_t before = db_overhead_bytes(dbs[0]);
    for (int i = 100; i < 5000; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        RUN(cmd_set, "set", k, "v");
    }
    cr_assert_eq(db_overhead_bytes(dbs[0]) - before < 64 * 1024, 1); /* only the expiry vector may move */
    db_cow_finish(dbs[0]);
    db_cow_end(dbs[0]);
    snap_writer_end(&w, &out2);
    for (int i = 0; i < 200; i++)
        db_rehash_step(dbs[0], 1000);
    cr_assert_gt(db_overhead_bytes(dbs[0]), before);
    struct snap_load_result res;
    char err[256];
    cr_assert_eq(snap_load_buffer(out2.data, out2.len, SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err, sizeof(err)), 0);
    cr_assert_eq(res.records, 100);
    snap_buf_free(&out2);
}
