/*
 * snapshot.h - per-shard snapshot files: the format (writer and loader), the
 * forkless snapshot of the running server (SAVE, BGSAVE, save rules,
 * shutdown, BGREWRITEAOF's base), and start-up loading.
 *
 * File format (spec in snapshot.c and docs/architecture.md, "Persistence:
 * snapshots"; version 2, version 1 files are still read):
 *   header   "SHRDSNAP" u32 version, u32 shard, u32 nshards, u32 ndbs,
 *            u64 epoch, i64 unix ms when the cut was taken        (40 bytes,
 *            little-endian)
 *   blocks   about SNAP_BLOCK_SIZE bytes of whole records each, raw or LZ4;
 *            records carry varints, integer-encoded strings and keys sharing
 *            a prefix with the previous key of their block
 *   trailer  u8 SNAP_REC_END, u64 record count, u64 xxh3-64 of every byte
 *            before this checksum field
 * A file names the shard that wrote it, but the loader re-hashes every key:
 * files written with another `threads` value load correctly.
 *
 * Files: <dir>/<dbfilename>.shardis-<epoch>-<shard>.snap; written as
 * <name>.tmp, fsynced, renamed, the directory fsynced. When every shard's
 * file is renamed, the index <dir>/<dbfilename>.shardis-index is replaced
 * (same protocol): a small text file naming the epoch and the files; only
 * then is the snapshot "the last complete one", and the files of older
 * epochs are deleted. A crash at any point leaves the previous index and its
 * files intact. The suffixes keep every Redis tool away from our files and
 * leave <dir>/<dbfilename> itself (dump.rdb) to Redis; an index left there
 * by an older shardis is still read at start-up when ours is missing.
 *
 * Threads: the format functions are pure (any thread). The engine functions
 * say which thread calls them; they reach a shard through its view, struct
 * persist_shard (persist/persist_shard.h), never struct shard: the engine
 * (shards/) decides when every shard takes its cut.
 */
#ifndef SHARDIS_SNAPSHOT_H
#define SHARDIS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/types/object.h"

#define SNAP_MAGIC "SHRDSNAP"
#define SNAP_VERSION 2
#define SNAP_HEADER_SIZE 40
#define SNAP_REC_ENTRY 0x01 /* version 1: a record */
#define SNAP_BLOCK_RAW 0x10 /* version 2: a block of records */
#define SNAP_BLOCK_LZ4 0x11
#define SNAP_REC_END 0xFF
/* inside a block (version 2): the database of the records that follow; an
 * entry's op byte is type << 3 | encoding, with SNAP_OP_EXPIRE */
#define SNAP_OP_SELECT 0xFE
#define SNAP_OP_EXPIRE 0x40
/* records are gathered into blocks of about this many bytes */
#define SNAP_BLOCK_SIZE (32 * 1024)
/* key bytes a key may share with the previous key of its block */
#define SNAP_KEY_PREFIX 32

struct server;
struct persist_shard;
struct cmd_ctx;

/* ---------------- format: writer ---------------- */

/* A growable byte buffer the writer appends to; the caller drains it. */
struct snap_buf {
    unsigned char *data;
    size_t len, cap;
};
void snap_buf_free(struct snap_buf *b);

struct snap_header {
    uint32_t version;
    uint32_t shard, nshards, ndbs;
    uint64_t epoch;
    int64_t ctime_ms;
};

/* Serializes one file incrementally: the checksum is computed as bytes are
 * produced, so the caller may write and drop any prefix of `out` at any
 * time. */
struct snap_writer {
    void *xxh;                               /* XXH3 streaming state */
    uint64_t records;                        /* entries written */
    uint64_t bytes;                          /* bytes produced into out so far */
    int compress;                            /* LZ4 blocks (rdbcompression), on by default */
    int block_db;                            /* db selected in the open block, -1 at its start */
    struct snap_buf block;                   /* records of the open block */
    unsigned char prev_key[SNAP_KEY_PREFIX]; /* head of the block's last key */
    size_t prev_klen;
};
/* Starts a file (the current version whatever h->version says): appends
 * the header to out. Compression is on. Returns 0, -1 on OOM. */
int snap_writer_begin(struct snap_writer *w, const struct snap_header *h, struct snap_buf *out);
/* Turns LZ4 of blocks on or off (rdbcompression); before the first entry. */
void snap_writer_set_compression(struct snap_writer *w, int on);
/* Appends one record for entry e of database dbid. Records reach out a
 * block at a time (when the open block is full, and at the end). */
void snap_writer_entry(struct snap_writer *w, int dbid, const struct db_entry *e, struct snap_buf *out);
/* Appends the trailer and releases the writer's state. */
void snap_writer_end(struct snap_writer *w, struct snap_buf *out);
/* Releases the writer's state without a trailer (aborted file). */
void snap_writer_abort(struct snap_writer *w);

/* ---------------- format: loader ---------------- */

/* Called for each record: the entry (caller of the callback owns it from
 * now on; it is not linked anywhere) and its database. Return 0 to go on,
 * -1 to stop the load (the loader then reports `err` from the callback). */
typedef int snap_entry_fn(void *priv, int dbid, struct db_entry *e);

enum snap_load_flags {
    SNAP_LOAD_NO_CHECKSUM = 1, /* parse even when the checksum is wrong (fuzzing the parser) */
    SNAP_LOAD_VERIFY_ONLY = 2, /* build and free each entry; fn may be NULL */
};

struct snap_load_result {
    struct snap_header header;
    uint64_t records;
    uint64_t error_offset; /* byte offset of the first problem */
};

/* Parses a whole file held in memory. Every record is validated (lengths,
 * listpack and intset structure, counts, scores) before an entry is built.
 * Returns 0, or -1 with a message (no file name) in err and the offset in
 * res->error_offset. Never crashes on any input. */
int snap_load_buffer(const unsigned char *data, size_t len, int flags, snap_entry_fn *fn, void *priv,
                     struct snap_load_result *res, char *err, size_t errlen);
/* Same for a file (mmap'd). The message in err names the file and offset. */
int snap_load_file(const char *path, int flags, snap_entry_fn *fn, void *priv, struct snap_load_result *res, char *err,
                   size_t errlen);

/* ---------------- index file ---------------- */

/* The index (<dir>/<dbfilename>.shardis-index): "shardis-snapshot-index 1\n
 * epoch E\nshards N\nfile <name>\n...end\n" */
#define SNAP_INDEX_SUFFIX ".shardis-index"
struct snap_index {
    uint64_t epoch;
    int nfiles;
    char **files; /* names relative to dir */
    int legacy;   /* read from <dir>/<dbfilename> (written by an older shardis) */
};
/* The index's file name for dbfilename: "dump.rdb" -> "dump.rdb.shardis-index". */
void snap_index_name(const char *dbfilename, char *out, size_t outlen);
/* Reads the index, or when it does not exist an older shardis's index at
 * <dir>/<dbfilename>; 1 = read, 0 = no index file, -1 = damaged or not ours
 * (err set: a Redis RDB at dbfilename with no index of ours is refused). */
int snap_index_read(const char *dir, const char *dbfilename, struct snap_index *idx, char *err, size_t errlen);
/* Reads the index file at path (shardis-check-snapshot): same results. */
int snap_index_read_file(const char *path, struct snap_index *idx, char *err, size_t errlen);
void snap_index_free(struct snap_index *idx);

/* ---------------- the engine (the running server) ---------------- */

/* Called once in main before the shard threads start. */
void snap_server_init(struct server *srv);

/* Start-up load (main thread, before the shard threads run; dbs exist):
 * reads the index named by the config (dir, dbfilename), loads every file
 * in parallel (one thread per file) and hands each key to the shard that owns
 * it now. Returns 0 (also when there is nothing to load), -1 with a message
 * (file name and byte offset) in err: the server must not start. */
int snap_load_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen);
/* Loads the snapshot of a given epoch (the log's manifest names it): same as
 * above for an explicit list of files in dir. */
int snap_load_files(struct server *srv, struct persist_shard *const *shards, const char *dir, char *const *files,
                    int nfiles, char *err, size_t errlen);

/* Starting a snapshot. SAVE and BGSAVE go through the dispatcher's global
 * barrier: snap_prepare() on the coordinator thread claims the one snapshot
 * slot and fixes the epoch (fails when a snapshot is running), then every
 * shard runs snap_shard_begin() under the barrier (the cut). */
enum snap_kind { SNAP_KIND_BGSAVE = 0, SNAP_KIND_SAVE = 1, SNAP_KIND_REWRITE = 2 };

/* Called on the thread of the shard that finishes last, after the index has
 * been replaced (ok = 1) or the snapshot failed (ok = 0). files are the
 * per-shard file names (relative to dir), valid during the call. */
typedef void snap_done_fn(void *priv, int ok, uint64_t epoch, char *const *files, int nfiles);

/* Claims the snapshot slot: 0 and *epoch set, or -1 when one is running.
 * cb (may be NULL) runs when it completes. Any thread. */
int snap_prepare(struct server *srv, enum snap_kind kind, snap_done_fn *cb, void *priv, uint64_t *epoch);
/* Shard thread, under the global barrier: starts this shard's part of the
 * prepared snapshot (for SAVE: writes it whole before returning). Returns 0
 * or -1 with a message (the part counts as failed). */
int snap_shard_begin(struct persist_shard *p, char *err, size_t errlen);
/* Shard thread, each loop iteration: writes more of a running snapshot
 * through the ring. Returns 1 while it has work it could do now (the loop
 * should not sleep). */
int snap_shard_pump(struct persist_shard *p);
/* Shard thread: a CQE tagged TAG_SNAP. */
void snap_shard_cqe(struct persist_shard *p, void *ptr, int res);
/* Shard thread, cron: publishes this shard's dirty counter; on shard 0 also
 * checks the save rules and a scheduled BGSAVE. Returns 1 when it claimed
 * the slot for a snapshot: the caller then takes the cut on every shard
 * behind the global barrier (dispatch_cut "bgsave"). */
int snap_shard_cron(struct persist_shard *p);
/* Shard thread, at exit (its loop is over): waits for the parts being
 * published, abandons its part of a running snapshot (drops the file). */
void snap_shard_abandon(struct persist_shard *p);

/* State for INFO and commands (any thread). */
int snap_in_progress(struct server *srv);
/* 1 when writes must be refused with MISCONF (stop-writes-on-bgsave-error). */
int snap_writes_refused(struct server *srv);
#define ERR_MISCONF                                                                                                    \
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that "  \
    "may modify the data set are disabled, because this instance is configured to report errors during writes if "     \
    "RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "  \
    "RDB error."
/* Appends the rdb_* lines of INFO persistence (and `loading`). */
struct buf;
void snap_info(struct server *srv, struct buf *out, uint64_t dirty_total);

/* Changes (dirty counts) since the last successful save, over all shards
 * (as published by their crons). */
uint64_t snap_changes_since_save(struct server *srv);
/* Shard 0's cron: 1 when a save rule or BGSAVE SCHEDULE asks for a snapshot. */
int snap_save_due(struct server *srv, int64_t now_ms);
/* Start-up: the epoch loaded (new snapshots count on from it) and keys. */
void snap_note_loaded(struct server *srv, uint64_t epoch, uint64_t keys);

/* The dispatcher, before the barrier of SAVE / BGSAVE [SCHEDULE]: checks
 * the arguments and claims the slot. Returns 1 to go on with the barrier,
 * or 0 with the reply text in *reply (an error when *is_error). */
struct arg;
int snap_command_prepare(struct server *srv, int is_save, int argc, const struct arg *argv, const char **reply,
                         int *is_error);

/* Automatic snapshots (save rules, BGSAVE SCHEDULE) and automatic log
 * rewrites: shard 0's cron claims the slot when due, then the shard layer
 * runs the cut behind the same global barrier as a client's BGSAVE
 * (dispatch_cut), so every cut is one consistent point across shards. */

/* Shutdown: SHUTDOWN [SAVE|NOSAVE] and SIGTERM say whether to save. Every
 * shard, after its loop, abandons its part of a running BGSAVE
 * (snap_shard_abandon); when saving, the engine waits for every shard (then
 * nothing is in flight any more: shards/cut.c), one of them claims the slot
 * with snap_prepare_final(), and every shard writes its part synchronously
 * (snap_shard_begin); the last writes the index. */
void snap_request_shutdown_save(struct server *srv, int save);
/* After shards_join: 1 when a shutdown save was wanted and failed. */
int snap_shutdown_failed(struct server *srv);
/* 1 when SHUTDOWN / SIGTERM asked for the final save (any thread). */
int snap_shutdown_save_wanted(struct server *srv);
/* Claims the slot for the final save whatever it holds (a snapshot
 * abandoned by every shard): call once, after every shard's loop is over
 * and every shard ran snap_shard_abandon(). */
void snap_prepare_final(struct server *srv);

#endif
