/*
 * fuzz_snapshot.c - libFuzzer target for the snapshot loader
 * (snap_load_buffer in persist/snapshot.c).
 *
 * The input is a snapshot file. It is loaded twice from an exactly sized
 * heap copy (ASan sees any read past the end):
 *   - without the checksum check, so mutations reach the record parser and
 *     the value validators (listpacks, intsets, quicklists, hash tables,
 *     skiplists); every entry built is inserted into a db and then used
 *     through the type hooks (length, memory, a deep copy) before the dbs
 *     are freed, so a value that passed validation but breaks an invariant
 *     shows up as a crash or an ASan report;
 *   - with the checksum: must not accept anything the first pass refused.
 * Properties: never a crash or leak; an error always has an offset <= len
 * and a message; an accepted file's trailer count equals the entries seen.
 *
 * Inputs that start without the magic get a valid header prepended half of
 * the time, so the fuzzer spends its time in the records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/types/db.h"
#include "core/types/object.h"
#include "persist/snapshot.h"

#define NDBS 4

struct sink {
    struct db *dbs[NDBS];
    uint64_t seen;
};

static int put(void *priv, int dbid, struct db_entry *e)
{
    struct sink *s = priv;
    s->seen++;
    if (dbid >= NDBS || db_find(s->dbs[dbid], e->hash, e->key, e->key_len)) {
        entry_free(e);
        return 0;
    }
    /* exercise the value through the generic hooks */
    (void)entry_element_count(e);
    struct db_entry *copy = entry_dup_with_key(e, e->hash, e->key, e->key_len);
    entry_free(copy);
    db_insert(s->dbs[dbid], e);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf;
    size_t len;
    if (size > 0 && (data[0] & 1) && (size < 8 || memcmp(data, SNAP_MAGIC, 8) != 0)) {
        /* a valid header, then the fuzzer's bytes as records */
        len = SNAP_HEADER_SIZE + size - 1;
        buf = malloc(len);
        /* bit 1 of the first byte picks the format version: 2 (blocks) or 1 */
        unsigned char version = (data[0] & 2) ? 1 : SNAP_VERSION;
        unsigned char h[SNAP_HEADER_SIZE] = {'S', 'H', 'R', 'D', 'S', 'N', 'A', 'P', version, 0, 0, 0,
                                             0,   0,   0,   0,   1,   0,   0,   0,   NDBS,    0, 0, 0};
        memcpy(buf, h, SNAP_HEADER_SIZE);
        memcpy(buf + SNAP_HEADER_SIZE, data + 1, size - 1);
    } else {
        len = size;
        buf = malloc(len ? len : 1);
        memcpy(buf, data, len);
    }
    struct sink s;
    memset(&s, 0, sizeof(s));
    for (int i = 0; i < NDBS; i++)
        s.dbs[i] = db_create();
    struct snap_load_result res;
    char err[256];
    err[0] = '\0';
    int rc = snap_load_buffer(buf, len, SNAP_LOAD_NO_CHECKSUM, put, &s, &res, err, sizeof(err));
    if (rc < 0) {
        if (res.error_offset > len || err[0] == '\0')
            abort();
    } else if (res.records != s.seen) {
        abort();
    }
    for (int i = 0; i < NDBS; i++)
        db_destroy(s.dbs[i]);
    int rc2 = snap_load_buffer(buf, len, SNAP_LOAD_VERIFY_ONLY, NULL, NULL, &res, err, sizeof(err));
    if (rc < 0 && rc2 == 0)
        abort();
    free(buf);
    return 0;
}
