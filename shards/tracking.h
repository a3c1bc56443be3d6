/*
 * tracking.h - client-side caching (CLIENT TRACKING): the per-shard
 * tables of who may cache which key, and the invalidation messages.
 *
 * Design (docs/architecture.md, "Client-side caching (tracking)"):
 *   - A client's tracking state (on, BCAST, OPTIN/OPTOUT, CACHING, NOLOOP,
 *     its redirect and prefixes) lives on its own thread (struct client
 *     `tracking`, `trk`).
 *   - Each shard keeps the keys it owns that tracking clients read: key ->
 *     (thread, client id) pairs, never pointers. A read by a tracking client
 *     records its keys where the read runs (inline, or in the sub-request on
 *     the key's shard), in the same step, so no write slips in between.
 *   - A change of a key (the change hook, expiry, eviction, a cross-shard
 *     move) removes the key's pairs and queues one invalidation per pair for
 *     the client's thread; BCAST prefixes are registered on every shard and
 *     match every changed key. At the end of the loop iteration the queued
 *     entries leave as one SUB_TRACKING message per destination thread.
 *   - The client's thread writes the push `>2 invalidate [keys]` (RESP3),
 *     or, with REDIRECT, hands the payload to the redirect client's thread,
 *     which writes it as a push or as a `message` on __redis__:invalidate
 *     (RESP2 and subscribed); a redirect client that is gone makes the
 *     tracking client's thread mark it broken (flag R) and push
 *     tracking-redir-broken (RESP3), as Redis.
 *
 * Thread: every function runs on the calling shard's own thread.
 */
#ifndef SHARDIS_TRACKING_H
#define SHARDIS_TRACKING_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/commands/command.h"
#include "shards/shard.h"

struct shard;
struct client;
struct subreq;
struct request;

/* struct client `tracking` bits (Redis's CLIENT_TRACKING_* flags) */
enum {
    TRACKING_ON = 1,
    TRACKING_BCAST = 2,
    TRACKING_OPTIN = 4,
    TRACKING_OPTOUT = 8,
    TRACKING_CACHING = 16, /* CLIENT CACHING yes (OPTIN) / no (OPTOUT) for the next command */
    TRACKING_NOLOOP = 32,
    TRACKING_BROKEN_REDIR = 64,
    TRACKING_CACHING_FRESH = 128, /* CACHING was given by the command just run: survives it */
};

/* sub->flags of a SUB_TRACKING sub-request */
enum tracking_op { TOP_DELIVER = 1, TOP_FIND, TOP_PREFIX_ADD, TOP_PREFIX_DEL };

/* A shard's tables (shard set-up and exit). */
void tracking_shard_init(struct shard *s);
void tracking_shard_free(struct shard *s);
/* INFO: keys and (key, client) items of this shard's table, prefixes (the
 * whole BCAST table, which every shard holds), clients of this thread with
 * tracking on. */
void tracking_shard_counts(struct shard *s, long long *keys, long long *items, long long *prefixes, long long *clients);

/* Around each command of a client with tracking bits set (dispatch_command):
 * decides whether its reads are recorded (c->tracking_reads: on, not BCAST,
 * OPTIN with CACHING yes, OPTOUT without CACHING no), and after it lets the
 * CACHING of the command before lapse (as Redis, not inside MULTI). */
void tracking_before_command(struct client *c);
void tracking_after_command(struct client *c);

/* A read-only command ran on s for client id of thread `thread`: records
 * its keys (positions as the command table says for argv). */
void tracking_remember(struct shard *s, int thread, uint64_t id, const struct command *cmd, int argc,
                       const struct arg *argv);
/* The same with the key positions known (the dispatcher's fast path). */
void tracking_remember_keys(struct shard *s, int thread, uint64_t id, const struct arg *argv, const int *keypos,
                            int nkeys);

/* Key key of s changed (writer: s->tracking_writer, the client that ran the
 * command, 0 for none): invalidations for its readers and for the BCAST
 * prefixes it matches. Callers test s->tracking_armed first (one load and
 * compare while nothing is tracked on s). */
void tracking_key_changed(struct shard *s, const char *key, size_t klen);
static inline void tracking_touch(struct shard *s, const char *key, size_t klen)
{
    if (__builtin_expect(s->tracking_armed, 0))
        tracking_key_changed(s, key, klen);
}
/* FLUSHDB/FLUSHALL ran on s: s's table is emptied and every tracking client
 * of this thread gets a null invalidation. */
void tracking_flushed(struct shard *s);
/* Every loop iteration: the entries queued for other threads leave (one
 * message per thread), this thread's are written; evicts entries over
 * tracking-table-max-keys (cron: with growing effort as Redis). */
void tracking_flush(struct shard *s);

/* RESET and CLIENT TRACKING OFF: tracking off for c (BCAST prefixes removed
 * on every shard). tracking_client_free also forgets c on its thread (before
 * c is freed). */
void tracking_client_off(struct client *c);
void tracking_client_free(struct client *c);

/* CLIENT TRACKING: starts the request (argument checks on the client's
 * thread; a REDIRECT target is looked for on every shard; BCAST prefixes are
 * registered on every shard before the reply); done: its reply. */
void tracking_start(struct shard *s, struct request *r);
int tracking_request_done(struct shard *s, struct request *r, struct buf *out);
/* CLIENT CACHING, GETREDIR, TRACKINGINFO for ctx->client. */
void tracking_cmd_caching(struct cmd_ctx *c);
void tracking_cmd_getredir(struct cmd_ctx *c);
void tracking_cmd_trackinginfo(struct cmd_ctx *c);
/* CLIENT LIST: flags t, R, B (appended at f) and the redir= value. */
char *tracking_client_flags(const struct client *c, char *f);
long long tracking_client_redir(const struct client *c);

/* A SUB_TRACKING sub-request on this shard. */
void tracking_run_sub(struct shard *s, struct subreq *sub);

#endif
