/*
 * pubsub.h - Pub/Sub and sharded Pub/Sub (SUBSCRIBE ... PUBLISH, SSUBSCRIBE
 * ... SPUBLISH, PUBSUB): the per-client subscription sets, the per-shard
 * registries and the fan-out of messages to the subscribers' threads.
 *
 * Design (docs/architecture.md, "Pub/sub"):
 *   - A channel (or shard channel) has a home shard, key_shard of its name.
 *     Only the home shard's registry lists its subscribers, as (thread,
 *     client id) pairs: never a pointer across threads.
 *   - Patterns are registered on every shard (each holds the whole pattern
 *     table), so a channel's home shard matches them without asking.
 *   - PUBLISH goes to the channel's home shard as a sub-request; the home
 *     shard counts the receivers (the reply) and sends one detached
 *     SUB_PUBSUB delivery per destination thread carrying the message and
 *     the client ids there; each thread writes the frames into its clients'
 *     output. Deliveries for ids that are gone, or no longer subscribed to
 *     that channel or pattern, are dropped.
 *   - A client's own sets (its thread) give the counts of the replies and
 *     CLIENT LIST; a client that is freed or RESET sends removals to the
 *     home shards (and to every shard for its patterns).
 *
 * Thread: every function runs on the calling shard's own thread.
 */
#ifndef SHARDIS_PUBSUB_H
#define SHARDIS_PUBSUB_H

#include "core/base/resp.h"
#include "core/commands/command.h"

struct shard;
struct client;
struct subreq;
struct request;

enum pubsub_kind { PS_CHANNEL = 0, PS_PATTERN = 1, PS_SHARD = 2 };

/* sub->flags of a SUB_PUBSUB sub-request */
enum pubsub_op { PSOP_ADD = 1, PSOP_DEL, PSOP_PUBLISH, PSOP_DELIVER, PSOP_LIST, PSOP_NUMSUB, PSOP_NUMPAT };

/* A shard's registries (shard set-up and exit). */
void pubsub_shard_init(struct shard *s);
void pubsub_shard_free(struct shard *s);
/* INFO: channels and shard channels homed here, patterns (the whole table). */
void pubsub_shard_counts(struct shard *s, long long *channels, long long *patterns, long long *shard_channels);

/* A client's subscriptions: channels, patterns, shard channels (CLIENT
 * LIST); whether it has any (Redis's CLIENT_PUBSUB flag). */
void pubsub_client_counts(const struct client *c, long long *sub, long long *psub, long long *ssub);
int pubsub_client_subscribed(const struct client *c);
/* Drops every subscription of c without replies (RESET, and before c is
 * freed): removals go to the home shards. */
void pubsub_client_drop_all(struct client *c);

/* RESP2 and subscribed: whether cmd is refused (the error is replied). */
int pubsub_context_refused(struct client *c, const struct command *cmd, const struct command *sub);
/* Runs a command of ENGINE_PUBSUB for c (after the dispatcher's checks). */
void pubsub_dispatch(struct client *c, const struct command *cmd, const struct command *sub, int argc,
                     const struct arg *argv);
/* Runs q, a Pub/Sub command queued by MULTI, as its EXEC reaches it (q
 * is the EXEC's child request; its reply goes into the EXEC's array). */
void pubsub_exec_child(struct shard *s, struct request *q);
/* Every sub-request of a Pub/Sub request is back: writes its reply. */
void pubsub_request_done(struct shard *s, struct request *r);
/* The table's handler of every Pub/Sub command. The dispatcher never
 * calls it (it runs ENGINE_PUBSUB through pubsub_dispatch, which needs the
 * client); a caller without a client (a command table walk) gets an error. */
void cmd_pubsub(struct cmd_ctx *c);
/* Once per loop iteration: continues the queued fan-outs within the
 * iteration's budget. Returns whether some are left (the loop must not
 * sleep then). */
int pubsub_shard_pump(struct shard *s);
/* A SUB_PUBSUB sub-request on this shard. */
void pubsub_run_sub(struct shard *s, struct subreq *sub);

#endif
