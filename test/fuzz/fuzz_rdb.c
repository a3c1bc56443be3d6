/*
 * fuzz_rdb.c - libFuzzer target for Redis's RDB format (persist/rdb.c): the
 * file reader and the DUMP payload reader, the two ways untrusted RDB bytes
 * reach the server (--rdb-import, RESTORE).
 *
 * An input starting with "REDIS" is a file: read from an exactly sized heap
 * copy (ASan sees any read past the end) once building every key and once
 * with a `want` that skips every other key (the parallel import's path),
 * without the checksum check so mutations reach the parsers. Any other
 * input is a DUMP payload (its CRC is not checked, for the same reason).
 * Every value built is used through the type hooks (length, a deep copy,
 * our own DUMP of it, which must load back) before it is freed.
 * Properties: never a crash or a leak; an error has a message and an
 * offset within the input; our DUMP of an accepted value is accepted.
 *
 * Seeds: test/fuzz/rdb/seeds, written by redis-server 7.0.15 with
 * test/fuzz/rdb/make_seeds.py.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/types/object.h"
#include "persist/rdb.h"

static struct config cfg;

static void exercise(struct db_entry *e)
{
    (void)entry_element_count(e);
    struct db_entry *copy = entry_dup_with_key(e, e->hash, e->key, e->key_len);
    entry_free(copy);
    struct buf b = {0};
    rdb_dump_payload(&b, e, 1);
    if (rdb_payload_verify((unsigned char *)b.data, b.len) != 0)
        abort();
    char err[256];
    struct db_entry *back =
        rdb_payload_load((unsigned char *)b.data, b.len, e->key, e->key_len, &cfg, err, sizeof(err));
    if (!back)
        abort(); /* what we write must load */
    entry_free(back);
    buf_free(&b);
}

static int take(void *priv, int dbid, struct db_entry *e, long long idle, int freq)
{
    exercise(e);
    entry_free(e);
    return 0;
}

static int every_other(void *priv, const char *key, size_t klen, uint64_t hash)
{
    return (int)(hash & 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        config_init_defaults(&cfg);
        init = 1;
    }
    unsigned char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    char err[512] = "";
    if (size >= 5 && memcmp(buf, "REDIS", 5) == 0) {
        struct rdb_load_stats st;
        int rc = rdb_load_buffer(buf, size, &cfg, 0, NULL, NULL, take, NULL, &st, err, sizeof(err));
        if (rc < 0 && (err[0] == '\0' || st.error_offset > size))
            abort();
        int rc2 = rdb_load_buffer(buf, size, &cfg, 0, every_other, NULL, take, NULL, &st, err, sizeof(err));
        if (rc == 0 && rc2 != 0)
            abort(); /* skipping must accept what building accepted */
    } else {
        struct db_entry *e = rdb_payload_load(buf, size, "key", 3, &cfg, err, sizeof(err));
        if (e) {
            exercise(e);
            entry_free(e);
        } else if (err[0] == '\0') {
            abort();
        }
    }
    free(buf);
    return 0;
}
