/*
 * object.h - the keyspace entry: one allocation per key holding the chain
 * link, the cached hash, the expiry, the key bytes and (for short strings)
 * the value bytes.
 *
 * Owner: the shard thread whose table holds the entry. An entry that has been
 * unlinked from its table (db_unlink) belongs to whoever holds the pointer; it
 * may travel to another shard inside a message (RENAME, COPY across shards),
 * which then inserts it into its own table.
 *
 * String encodings (as OBJECT ENCODING reports them):
 *   ENC_INT    - v.i holds the value; it was a canonical integer string of at
 *                most 20 characters (string2ll accepts it).
 *   ENC_EMBSTR - the value's val_len bytes follow the key inside the entry.
 *   ENC_RAW    - v.raw points to a separate malloc'd block of val_len bytes
 *                (capacity = malloc_usable_size), so APPEND/SETRANGE grow it
 *                in place.
 * Collections (list, hash, set, zset) keep their value behind v.ptr, in the
 * structure their encoding names; val_len is unused (0). Each type's module
 * provides the hooks declared at the end of this header (free, deep copy,
 * element count, memory), which the generic entry functions call.
 *
 * Layout invariants: key bytes start at e->key; an EMBSTR value starts at
 * e->key + e->key_len. Neither is NUL-terminated. expire_at is absolute unix
 * ms, 0 for "no expiry"; expire_slot is the entry's index in its db's expiry
 * vector and is meaningful only while expire_at != 0 and the entry is linked.
 */
#ifndef SHARDIS_OBJECT_H
#define SHARDIS_OBJECT_H

#include <stddef.h>
#include <stdint.h>

enum obj_type { OBJ_STRING = 0, OBJ_LIST = 1, OBJ_SET = 2, OBJ_ZSET = 3, OBJ_HASH = 4, OBJ_STREAM = 6 };
enum obj_encoding {
    ENC_RAW = 0,
    ENC_INT = 1,
    ENC_EMBSTR = 2,
    /* collections: v.ptr points at the structure the encoding names */
    ENC_LISTPACK = 3,  /* list, hash, set, zset: unsigned char * (core/ds/listpack.h) */
    ENC_QUICKLIST = 4, /* list: struct quicklist * (core/ds/quicklist.h) */
    ENC_INTSET = 5,    /* set: struct intset * (core/ds/intset.h) */
    ENC_HASHTABLE = 6, /* hash, set: struct sdict * (core/ds/sdict.h) */
    ENC_SKIPLIST = 7,  /* zset: struct zset * (core/ds/zset.h) */
    ENC_STREAM = 8,    /* stream: struct stream * (core/types/t_stream.h) */
};

/* Values up to this many bytes are embedded in the entry when created. */
#define OBJ_EMBSTR_MAX 128
/* Largest string value (SETRANGE/APPEND result): Redis's 512 MB. */
#define OBJ_STRING_MAX (512LL * 1024 * 1024)

struct db_entry {
    struct db_entry *next; /* hash chain */
    uint64_t hash;         /* key_hash() of the key */
    int64_t expire_at;     /* absolute ms, 0 = persistent */
    uint32_t key_len;
    uint32_t val_len; /* string length for EMBSTR/RAW */
    uint32_t type : 4;
    uint32_t encoding : 4;
    uint32_t lru : 24; /* LRU clock in seconds (mod 2^24), OBJECT IDLETIME */
    uint32_t expire_slot;
    union {
        int64_t i;
        char *raw;
        void *ptr;
    } v;
    char key[];
};

/* Creates a string entry for key/value, choosing INT, EMBSTR or RAW. The
 * caller owns the result (insert it with db_insert or free with entry_free). */
struct db_entry *entry_new_string(uint64_t hash, const char *key, size_t klen, const char *val, size_t vlen);
/* Creates an ENC_INT string entry. */
struct db_entry *entry_new_int(uint64_t hash, const char *key, size_t klen, long long v);
/* Frees an unlinked entry and its value. */
void entry_free(struct db_entry *e);
/* Deep copy with another key name (COPY, RENAME to another shard). expire_at
 * is copied; expire_slot is not meaningful in the copy. */
struct db_entry *entry_dup_with_key(const struct db_entry *e, uint64_t hash, const char *key, size_t klen);

/* A string value's bytes: for ENC_INT it is formatted into tmp (at least
 * LONG_STR_SIZE bytes). Borrowed until the entry changes. */
const char *entry_string(const struct db_entry *e, char *tmp, size_t *len);
/* Makes the string value ENC_RAW with room for at least `cap` bytes, keeping
 * its bytes, and returns the writable data pointer. `*ep` may be replaced by
 * a new entry when the old one embedded the value: the function then calls
 * db_replace() on db, so callers must reload their pointer from *ep. */
struct db;
char *entry_string_make_raw(struct db *db, struct db_entry **ep, size_t cap);
/* Replaces the string value (SET on an existing key keeps the entry when it
 * can). May reallocate the entry as entry_string_make_raw does. */
void entry_set_string(struct db *db, struct db_entry **ep, const char *val, size_t vlen);
void entry_set_int(struct db *db, struct db_entry **ep, long long v);

/* Name of the type for TYPE; the name of the encoding we hold the value in. */
const char *entry_type_name(const struct db_entry *e);
const char *entry_encoding_name(const struct db_entry *e);
/* OBJECT ENCODING's answer: Redis 7.0's name for the value ("quicklist" for
 * every list, "hashtable" for a listpack set), else entry_encoding_name. */
const char *entry_object_encoding(const struct db_entry *e);

/* A new collection entry: type and encoding as given, v.ptr = value (the
 * entry takes ownership), no expiry. */
struct db_entry *entry_new_collection(uint64_t hash, const char *key, size_t klen, int type, int encoding, void *value);
/* Number of elements of a collection (1 for a string): lazyfree decides by it. */
size_t entry_element_count(const struct db_entry *e);

/* ---- per-type hooks, each defined by its type's module ----
 * free: frees the value behind e->v.ptr (not the entry).
 * dup: a deep copy of the value (same encoding), for COPY and cross-shard
 *      gathers; the copy's owner is the caller.
 * len: elements (list length, hash fields, set members, zset members).
 * mem: bytes the value uses, for MEMORY USAGE and INFO. */
void list_value_free(struct db_entry *e);
void *list_value_dup(const struct db_entry *e);
size_t list_value_len(const struct db_entry *e);
size_t list_value_mem(const struct db_entry *e);
void hash_value_free(struct db_entry *e);
void *hash_value_dup(const struct db_entry *e);
size_t hash_value_len(const struct db_entry *e);
size_t hash_value_mem(const struct db_entry *e);
/* Hash tables of hashes (ENC_HASHTABLE), for the snapshot format: a node's
 * value bytes (borrowed), and adding a field (0 when it already exists). */
struct sdict;
struct sdict_node;
const char *hash_node_value(const struct sdict_node *n, size_t *len);
int hash_table_add(struct sdict *d, const char *field, size_t flen, const char *val, size_t vlen);
void set_value_free(struct db_entry *e);
void *set_value_dup(const struct db_entry *e);
size_t set_value_len(const struct db_entry *e);
size_t set_value_mem(const struct db_entry *e);
void zset_value_free(struct db_entry *e);
void *zset_value_dup(const struct db_entry *e);
size_t zset_value_len(const struct db_entry *e);
size_t zset_value_mem(const struct db_entry *e);
void stream_value_free(struct db_entry *e);
void *stream_value_dup(const struct db_entry *e);
size_t stream_value_len(const struct db_entry *e);
size_t stream_value_mem(const struct db_entry *e);

/* LRU clock used for OBJECT IDLETIME: seconds, wrapping at 2^24. */
uint32_t lru_clock_now(int64_t now_ms);
/* Seconds since the entry was last touched. */
long long entry_idle_seconds(const struct db_entry *e, int64_t now_ms);

#endif
