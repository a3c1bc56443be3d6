/*
 * aof_log.h - the append-only logs of the running server (issue 5, design
 * §6): each shard appends the effects of its writes to its own segment
 * files, group-committed once per loop iteration through its io_uring ring;
 * the manifest names the base snapshot and the segments of every shard;
 * BGREWRITEAOF compacts them; start-up replays them.
 *
 * Files, in <dir>/<appenddirname>/ (format of records in aof.h, of the
 * manifest in manifest.h, of the base snapshots in snapshot.h):
 *   <appendfilename>.manifest
 *   <appendfilename>.<shard>.<seq>.incr.log     a shard's log segments
 *   <appendfilename>.<epoch>.<shard>.base.snap  a rewrite's base snapshots
 *
 * Effects (what a record holds): by default the argv a shard ran, when the
 * run changed data (the dirty counter moved). Commands whose replay would
 * differ log what they did instead (effect_log in command.h): relative
 * expiry as absolute PXAT / PEXPIREAT, INCRBYFLOAT as SET ... KEEPTTL, SPOP
 * as SREM, expirations and evictions as DEL. Keys moved between shards by a
 * multi-shard command are logged as DEL on the shard they leave and as a
 * whole value (an internal "shardis-restore" record holding a one-entry
 * snapshot) on the shard they reach. A multi-shard transaction's records
 * carry its id and participant count, and each participant ends its part
 * with a TXN_END record when it releases its locks.
 *
 * Durability: with appendfsync always a shard holds every reply it produced
 * after a record was appended (to its clients, and the reply batches it
 * returns to other shards) until the write and fsync of that record
 * complete; everysec submits an fsync from the cron each second; no leaves
 * it to the kernel. A failing disk: see aof_log.c and docs/architecture.md
 * ("A failing disk"): writes get MISCONF, held replies stay held, reads of
 * keys no pending record touches go on (aof_read_is_durable).
 *
 * The shard: persist/ sees it through struct persist_shard (the engine's
 * view, persist/persist_shard.h), never struct shard.
 *
 * Threads: aof_load_at_startup on the main thread before the shards run;
 * the aof_shard_* functions on their shard's thread; the rest say so.
 */
#ifndef SHARDIS_AOF_LOG_H
#define SHARDIS_AOF_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/resp.h"

struct server;
struct persist_shard;
struct buf;
struct db_entry;
struct aof_shard;

/* The record name of a whole value put on a shard (see above). */
#define AOF_RESTORE_CMD "shardis-restore"

/* Start-up (main thread; shards exist, threads not started; shards[i] is
 * shard i's view, nshards of them): with
 * appendonly yes replays the manifest's files (else, or with no manifest,
 * loads the snapshot), then opens the segments the shards append to.
 * Returns 0, or -1 with a message in err: the server must not start. */
int aof_load_at_startup(struct server *srv, struct persist_shard *const *shards, char *err, size_t errlen);

/* ---- the append path (shard thread) ---- */

/* Appends one command record for database dbid (no-op when a is NULL). */
void aof_append_args(struct aof_shard *a, int dbid, int argc, const struct arg *argv);
void aof_append_strs(struct aof_shard *a, int dbid, int argc, const char *const *argv, const size_t *lens);
/* DEL <key> (expiry, eviction, a key that left for another shard). */
void aof_append_del(struct aof_shard *a, int dbid, const char *key, size_t len);
/* The whole value of e, as a shardis-restore record. */
void aof_append_entry(struct aof_shard *a, int dbid, const struct db_entry *e);
/* Transactions: records appended between begin and end carry txn_id and
 * parts; end appends TXN_END. */
void aof_txn_begin(struct aof_shard *a, uint64_t txn_id, int parts);
void aof_txn_end(struct aof_shard *a);
/* Whether records appended now belong to a transaction (begin without end). */
int aof_txn_open(const struct aof_shard *a);
/* A fresh transaction id (unique over shards and restarts). */
uint64_t aof_new_txn_id(struct persist_shard *p);

/* The shard's log when it is logging, else NULL. */
struct aof_shard *aof_shard_log(struct persist_shard *p);

/* ---- the loop (shard thread) ---- */
void aof_shard_init(struct persist_shard *p);
/* Once per iteration before replies leave: submits this iteration's
 * records (group commit). */
void aof_shard_flush(struct persist_shard *p);
/* A CQE tagged TAG_AOF. */
void aof_shard_cqe(struct persist_shard *p, void *ptr, int res);
/* Cron: everysec fsync, retry of failed writes, appendonly changes,
 * automatic rewrite (shard 0). Returns 1 when it claimed the slot for a
 * rewrite: the caller then takes the cut on every shard behind the global
 * barrier (dispatch_cut "bgrewriteaof"). */
int aof_shard_cron(struct persist_shard *p);
/* At exit: writes and fsyncs what is left, closes the files. */
void aof_shard_finish(struct persist_shard *p);
/* The snapshot of a rewrite takes its cut on this shard: later records go
 * to the next segment (called by the snapshot engine). */
void aof_shard_cut(struct persist_shard *p);
/* While *p->log_failing (appendfsync always, a log write or fsync failed):
 * 1 when running cmd with argv reads no key that a record not yet durable
 * touches and writes nothing, so its reply depends on durable data only and
 * need not wait for the log. 0 otherwise (then the reply waits). */
struct command;
int aof_read_is_durable(struct persist_shard *p, const struct command *cmd, int argc, const struct arg *argv);

/* ---- commands and INFO (any thread) ---- */

/* BGREWRITEAOF before its barrier: 1 to go on (the slot is claimed), or 0
 * with the reply in *reply (an error when *is_error). */
int aof_command_prepare(struct server *srv, const char **reply, int *is_error);
/* CONFIG SET appendonly changed (old -> new value). */
void aof_config_changed(struct server *srv, int was_on, int now_on);
/* 1 when writes must be refused (a log write failed); the error text. */
int aof_writes_refused(struct server *srv, const char **msg);
void aof_info(struct server *srv, struct buf *out);
/* The snapshot engine: the done callback of a rewrite's snapshot. */
void aof_rewrite_done(void *priv, int ok, uint64_t epoch, char *const *files, int nfiles);
/* The directory of the logs, <dir>/<appenddirname> as at start-up. */
const char *aof_dir(struct server *srv);
/* The snapshot engine: names of a rewrite's files. */
void aof_base_file_name(const char *appendfilename, uint64_t epoch, int shard, char *out, size_t outlen);

#endif
