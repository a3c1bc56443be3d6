/*
 * t_hash.h - the hash type (extracted from core/commands/cmd_hash.c): its
 * two encodings, field lookups and updates, conversion, iteration, and the
 * per-type hooks of object.h. The commands are in core/commands/cmd_hash.c.
 *
 * Encodings (e->encoding of an OBJ_HASH entry, e->v.ptr):
 *   ENC_LISTPACK  - an unsigned char * listpack of field, value, field,
 *                   value, ... (core/ds/listpack.h). Lookups are linear, which
 *                   is what makes it compact: Redis's choice for small hashes.
 *   ENC_HASHTABLE - a struct sdict * (core/ds/sdict.h): node key = field, node
 *                   v.ptr = a struct hash_blob (u32 length + bytes), one
 *                   malloc per value and nothing else.
 * A hash stays a listpack while it has at most hash-max-listpack-entries
 * fields and every field and value is at most hash-max-listpack-value bytes;
 * the first write that breaks either limit converts it once, and it never
 * converts back (as Redis).
 *
 * Threads: the shard thread that owns the key (or the thread that owns an
 * unlinked value: snapshot loading); nothing here is shared.
 */
#ifndef SHARDIS_T_HASH_H
#define SHARDIS_T_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/util.h"
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/types/object.h"

/* A value of a hashtable-encoded hash: its length and bytes in one block. */
struct hash_blob {
    uint32_t len;
    char data[];
};

/* Number of fields. */
size_t hash_length(const struct db_entry *e);

/*
 * The value of field f: *v points at its bytes (for a listpack integer, at
 * tmp, which must hold LONG_STR_SIZE bytes), borrowed until the hash changes.
 * Returns 0 when the field does not exist.
 */
int hash_get(struct db_entry *e, const char *f, size_t flen, char *tmp, const char **v, size_t *vlen);

/* Whether field f exists. */
int hash_exists(struct db_entry *e, const char *f, size_t flen);

/*
 * Sets field f to v, converting the hash to a hashtable first when f or v is
 * longer than hash-max-listpack-value, or afterwards when it has more than
 * hash-max-listpack-entries fields. Returns 1 when the field is new.
 */
int hash_set(const struct config *cfg, struct db_entry *e, const char *f, size_t flen, const char *v, size_t vlen);
/* Removes field f; returns 1 when it existed. */
int hash_delete(struct db_entry *e, const char *f, size_t flen);

/*
 * Iteration over the pairs of a hash that does not change meanwhile:
 *   struct hash_iter hi;
 *   hash_iter_init(&hi, e);
 *   while (hash_iter_next(&hi)) { ... hash_iter_field / hash_iter_value ... }
 *   hash_iter_done(&hi);
 * The bytes returned are borrowed until the next hash_iter_next.
 */
struct hash_iter {
    struct db_entry *e;
    unsigned char *p; /* listpack: the current field entry */
    int started;
    struct sdict_iter it;
    struct sdict_node *node;
    char kbuf[LONG_STR_SIZE], vbuf[LONG_STR_SIZE];
};

void hash_iter_init(struct hash_iter *hi, struct db_entry *e);
int hash_iter_next(struct hash_iter *hi);
const char *hash_iter_field(struct hash_iter *hi, size_t *len);
const char *hash_iter_value(struct hash_iter *hi, size_t *len);
void hash_iter_done(struct hash_iter *hi);

/* The per-type hooks (hash_value_free, _dup, _len, _mem) and the hash table
 * accessors of the snapshot format (hash_node_value, hash_table_add) are
 * declared in core/types/object.h. */

#endif
