/*
 * aof.h - the append-only log record format of shardis (issue 5, design §6).
 *
 * Each shard appends the effects of its writes to its own log segments. A
 * segment starts with a 16-byte header and holds a sequence of records:
 *
 *   segment header (16 bytes, little endian):
 *     magic "SHDLOG\0\0" (8) | version u32 | shard id u32
 *
 *   record:
 *     payload_len u32 | type u8 | reserved u8 (0) | participants u16 |
 *     db u32 | txn_id u64 | argc u32                  (24-byte header)
 *     argc times: arg_len u32 | arg bytes             (payload, payload_len bytes)
 *     checksum u64 = XXH3_64bits(header + payload)
 *
 * Records are self-describing (lengths everywhere) and versioned (segment
 * header). A record with txn_id != 0 is one shard's part of a multi-shard
 * transaction that has `participants` parts in total (one per shard); the
 * part ends with an AOF_REC_TXN_END record carrying the same id. Recovery
 * applies a transaction only when every participant's part is complete
 * (struct aof_txn_table), so a crash between two shards' writes loses the
 * whole transaction rather than half of it.
 *
 * All functions here are pure (no I/O, no globals) and safe on any thread;
 * the reader never trusts a length before checking it against the buffer.
 */
#ifndef SHARDIS_AOF_H
#define SHARDIS_AOF_H

#include <stddef.h>
#include <stdint.h>

#define AOF_VERSION 1
#define AOF_SEGMENT_HEADER_SIZE 16
#define AOF_RECORD_HEADER_SIZE 24
#define AOF_RECORD_TRAILER_SIZE 8
/* Upper bound for one record's payload: a bigger length is corruption. */
#define AOF_MAX_PAYLOAD ((uint32_t)1 << 30)

enum aof_record_type {
    AOF_REC_COMMAND = 1, /* argv of one effect (SET, DEL, PEXPIREAT, ...) */
    AOF_REC_TXN_END = 2, /* closes this shard's part of transaction txn_id */
};

enum aof_status {
    AOF_OK = 0,
    AOF_END = 1,       /* clean end of the buffer, no bytes left */
    AOF_TRUNCATED = 2, /* the buffer ends inside a record (torn tail) */
    AOF_CORRUPT = 3,   /* checksum or structure error */
};

/* A decoded record. argv[i] points into the caller's buffer (borrowed for as
 * long as that buffer lives); argv itself is owned by the record and freed
 * with aof_record_free(). */
struct aof_record {
    uint8_t type;
    uint16_t participants;
    uint32_t db;
    uint64_t txn_id;
    uint32_t argc;
    const char **argv;
    uint32_t *argv_len;
    size_t size; /* bytes the record occupies in the log */
};

/* Bytes aof_encode_record() writes for this argv. */
size_t aof_record_size(uint32_t argc, const uint32_t *argv_len);

/* Writes one record into out (at least aof_record_size() bytes). Returns the
 * number of bytes written. */
size_t aof_encode_record(uint8_t *out, uint8_t type, uint32_t db, uint64_t txn_id, uint16_t participants, uint32_t argc,
                         const char *const *argv, const uint32_t *argv_len);

/* Writes the 16-byte segment header. */
void aof_encode_segment_header(uint8_t *out, uint32_t shard_id);

/* Checks the segment header; returns AOF_OK and the shard id, AOF_TRUNCATED
 * when fewer than 16 bytes are present, AOF_CORRUPT on a bad magic/version. */
enum aof_status aof_decode_segment_header(const uint8_t *buf, size_t len, uint32_t *shard_id);

/* Decodes the record at buf[0..len). On AOF_OK fills rec (free it with
 * aof_record_free). AOF_END when len == 0. AOF_TRUNCATED when the record
 * runs past len; AOF_CORRUPT on a checksum mismatch or impossible lengths. */
enum aof_status aof_decode_record(const uint8_t *buf, size_t len, struct aof_record *rec);
void aof_record_free(struct aof_record *rec);

/* Walks a whole segment (header included). Stops at the first non-OK record
 * and stores in *offset the byte offset where the walk stopped (the size of
 * the valid prefix). Returns AOF_END for a clean file. visit may be NULL.
 * Segments are pre-filled with zeros by the writer: an all-zero rest is the
 * clean end (*offset is where it starts), and a record that fails its
 * checksum whose last byte and everything after it are zeros is a torn last
 * write (AOF_TRUNCATED). */
typedef void (*aof_visit_fn)(const struct aof_record *rec, void *arg);
enum aof_status aof_scan_segment(const uint8_t *buf, size_t len, aof_visit_fn visit, void *arg, size_t *offset);

/* Completeness of multi-shard transactions across all shards' logs: feed it
 * every record of every segment (aof_txn_table_note), then ask whether a
 * transaction may be applied. Caller frees with aof_txn_table_free(). */
struct aof_txn_table;
struct aof_txn_table *aof_txn_table_new(void);
void aof_txn_table_free(struct aof_txn_table *table);
void aof_txn_table_note(struct aof_txn_table *table, const struct aof_record *rec);
/* 1 when every participant's part of txn_id ended with AOF_REC_TXN_END. A
 * record without a transaction (txn_id 0) is always complete. */
int aof_txn_complete(const struct aof_txn_table *table, uint64_t txn_id);

#endif
