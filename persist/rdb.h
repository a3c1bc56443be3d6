/*
 * rdb.h - Redis's RDB format (up to version 10, Redis 7.0): the value codec
 * DUMP and RESTORE speak, the reader of whole dump.rdb files (start-up
 * import) and the writer of Redis-compatible files (export).
 *
 * Format (our words; the spec is in docs/architecture.md, "RDB codec"):
 *   file     "REDIS" + 4 ASCII digits of version, then opcodes and records,
 *            EOF (0xFF) and, from version 5, the CRC64 (Jones, reflected,
 *            as Redis) of every byte before it, little-endian (0 = none).
 *   record   [EXPIRETIME_MS u64 | EXPIRETIME u32] [IDLE len | FREQ u8]
 *            type-byte key-string value
 *   opcodes  SELECTDB len, RESIZEDB len len, AUX string string,
 *            MODULE_AUX (refused), FUNCTION2 string (skipped, see below)
 *   payload  (DUMP) type-byte value u16 version u64 crc64, little-endian
 * Lengths are 6/14/32/64-bit big-endian prefixes; strings are raw, integer
 * encoded (int8/16/32) or LZF compressed. Values come as the encoding Redis
 * wrote (quicklist of listpacks, listpack, intset, or plain lists of
 * elements; older files ziplists and zipmaps; streams as listpack nodes
 * with groups, PEL and consumers, types 15 and 19) and are rebuilt into our
 * own structures with the encodings our config picks.
 *
 * Untrusted input: every length, count, offset and nested blob (ziplist,
 * listpack, intset, zipmap) is bounds-checked before it is read, duplicates
 * and empty collections are refused, so a hostile payload or file gets an
 * error, never a crash or an out-of-bounds read (deep sanitization, as Redis
 * with sanitize-dump-payload yes).
 *
 * Threads: every function is pure and may run on any thread; values built
 * are owned by the caller.
 */
#ifndef SHARDIS_RDB_H
#define SHARDIS_RDB_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/types/object.h"

#define RDB_VERSION 10

/* value types */
#define RDB_TYPE_STRING 0
#define RDB_TYPE_LIST 1
#define RDB_TYPE_SET 2
#define RDB_TYPE_ZSET 3
#define RDB_TYPE_HASH 4
#define RDB_TYPE_ZSET_2 5
#define RDB_TYPE_MODULE 6
#define RDB_TYPE_MODULE_2 7
#define RDB_TYPE_HASH_ZIPMAP 9
#define RDB_TYPE_LIST_ZIPLIST 10
#define RDB_TYPE_SET_INTSET 11
#define RDB_TYPE_ZSET_ZIPLIST 12
#define RDB_TYPE_HASH_ZIPLIST 13
#define RDB_TYPE_LIST_QUICKLIST 14
#define RDB_TYPE_STREAM_LISTPACKS 15
#define RDB_TYPE_HASH_LISTPACK 16
#define RDB_TYPE_ZSET_LISTPACK 17
#define RDB_TYPE_LIST_QUICKLIST_2 18
#define RDB_TYPE_STREAM_LISTPACKS_2 19

/* opcodes */
#define RDB_OPCODE_FUNCTION2 245
#define RDB_OPCODE_FUNCTION 246
#define RDB_OPCODE_MODULE_AUX 247
#define RDB_OPCODE_IDLE 248
#define RDB_OPCODE_FREQ 249
#define RDB_OPCODE_AUX 250
#define RDB_OPCODE_RESIZEDB 251
#define RDB_OPCODE_EXPIRETIME_MS 252
#define RDB_OPCODE_EXPIRETIME 253
#define RDB_OPCODE_SELECTDB 254
#define RDB_OPCODE_EOF 255

/* ---------------- building blocks ---------------- */

/* CRC64 with Jones's polynomial, reflected, as Redis's crc64(crc, p, n):
 * start with crc 0. */
uint64_t rdb_crc64(uint64_t crc, const void *p, size_t n);

/* LZF (the format Redis's strings use). Compress returns the compressed
 * length, or 0 when it does not fit in outlen bytes. Decompress returns 0
 * when `in` expands to exactly outlen bytes, -1 when it is malformed or has
 * any other length; it never reads or writes outside the given buffers. */
size_t rdb_lzf_compress(const void *in, size_t inlen, void *out, size_t outlen);
int rdb_lzf_decompress(const void *in, size_t inlen, void *out, size_t outlen);

/* ---------------- writer ---------------- */

/* Appends the value of e as Redis 7.0 writes it: type byte, then value
 * (strings LZF-compressed above 20 bytes when `compress`). */
void rdb_write_value(struct buf *out, const struct db_entry *e, int compress);
/* A DUMP payload: rdb_write_value + RDB version (u16 LE) + CRC64 (u64 LE). */
void rdb_dump_payload(struct buf *out, const struct db_entry *e, int compress);

/* A whole file, written in order: begin (header and AUX fields), then
 * entries (a SELECTDB is written whenever dbid changes), then end (EOF and
 * CRC64). The writer's crc covers every byte appended through it; the caller
 * may drain `out` between calls. */
struct rdb_writer {
    uint64_t crc;
    int dbid; /* current db, -1 before the first entry */
    int compress;
    uint64_t keys;
};
void rdb_writer_begin(struct rdb_writer *w, struct buf *out, int compress, int64_t now_ms);
void rdb_writer_entry(struct rdb_writer *w, struct buf *out, int dbid, const struct db_entry *e);
void rdb_writer_end(struct rdb_writer *w, struct buf *out);

/* ---------------- reader ---------------- */

/* Checks a DUMP payload's footer as Redis does: at least 10 bytes, version
 * at most RDB_VERSION, CRC64 matching. 0 or -1. */
int rdb_payload_verify(const unsigned char *p, size_t len);
/* Builds the value of a verified payload as key (hash = key_hash of it).
 * Returns the entry (caller owns it) or NULL with a reason in err. */
struct db_entry *rdb_payload_load(const unsigned char *p, size_t len, const char *key, size_t klen,
                                  const struct config *cfg, char *err, size_t errlen);

/* Reading a whole file held in memory.
 * resize (may be NULL) hears RESIZEDB hints.
 * want(priv, key, klen, hash): 1 to build this key's value, 0 to skip it
 * (its bytes are still walked and bounds-checked); NULL builds every key.
 * fn(priv, dbid, e, idle, freq) (NULL: built, then freed): a built entry (the callback owns it;
 * expire_at set, 0 for none; idle seconds or -1, freq 0..255 or -1).
 * Return 0 to go on, -1 to stop (the callback writes err).
 * Keys already expired are passed like any other (the caller decides). */
typedef int rdb_want_fn(void *priv, const char *key, size_t klen, uint64_t hash);
typedef int rdb_entry_fn(void *priv, int dbid, struct db_entry *e, long long idle, int freq);
/* RESIZEDB: the file's count of keys (and keys with an expiry) in dbid. */
typedef void rdb_resize_fn(void *priv, int dbid, uint64_t keys, uint64_t expires);

enum rdb_load_flags {
    RDB_LOAD_CHECKSUM = 1, /* verify the CRC64 at the end (one of several parallel readers does it) */
    RDB_LOAD_QUIET = 2,    /* no log line for skipped function libraries */
};

struct rdb_load_stats {
    int version;
    uint64_t keys;          /* records read (built or skipped) */
    uint64_t built;         /* values built (want said 1) */
    uint64_t empty_skipped; /* empty collections, skipped as Redis does */
    uint64_t functions_skipped;
    uint64_t error_offset;
};

/* Returns 0, or -1 with a message in err (byte offset included). The
 * message never names a file (the caller adds it). */
int rdb_load_buffer(const unsigned char *data, size_t len, const struct config *cfg, int flags, rdb_want_fn *want,
                    rdb_resize_fn *resize, rdb_entry_fn *fn, void *priv, struct rdb_load_stats *st, char *err,
                    size_t errlen);

/* ---------------- start-up import (persist/rdb_import.c) ---------------- */

/* Main thread, before the shard threads run, when no snapshot of ours
 * exists: imports `rdb-import` if set, else <dir>/<dbfilename> when it is a
 * Redis RDB (0 when there is none). Keys go to the shard that owns them,
 * one reader thread per shard. 0, or -1 with a message: the server must
 * not start. */
struct server;
struct persist_shard;
int rdb_import_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen);
int rdb_import_file(struct server *srv, struct persist_shard *const *shards, const char *path, char *err,
                    size_t errlen);

#endif
