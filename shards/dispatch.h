/*
 * dispatch.h - from a parsed command to its reply: routing by key shard,
 * the inline fast path, splitting multi-key commands, fan-out to every shard,
 * multi-step commands whose keys live on different shards, transactions, and
 * the merge of sub-replies. The interface the rest of shards/ uses; the
 * dispatcher's files share shards/dispatch_internal.h among themselves.
 *
 * Thread: every function here runs on the thread that owns the client (the
 * coordinator of its requests). The sub-requests it sends run on their
 * destination shards (shards/shard.c) and come back to dispatch_sub_done.
 */
#ifndef SHARDIS_DISPATCH_H
#define SHARDIS_DISPATCH_H

#include "shards/client.h"
#include "shards/shard.h"

/* Dispatches one command of c. argv is borrowed from the client's input
 * buffer for the duration of the call only. */
void dispatch_command(struct client *c, int argc, const struct arg *argv);
/* Shard thread (the cron that claimed the snapshot slot): runs "bgsave" or
 * "bgrewriteaof" on every shard behind the global barrier, as a client's
 * command does, for a cut nobody sent (save rules, automatic rewrite). */
void dispatch_cut(struct shard *s, const char *command);
/* A sub-request of a request of this thread finished (locally or back from
 * another shard). */
void dispatch_sub_done(struct shard *s, struct subreq *sub);
/* Replies an error to a client in request order (protocol errors). */
void dispatch_reply_error(struct client *c, const char *msg);
/* The client is being freed: drop its MULTI queue and watched keys. */
void dispatch_client_freed(struct client *c);
/* The client is closing: its blocked command (if any) stops waiting. */
void dispatch_client_closing(struct client *c);
/* CLIENT UNBLOCK on the client's thread: its blocked command stops waiting
 * and replies the timeout (error 0) or the UNBLOCKED error. Returns 1 when
 * it was blocked. */
int dispatch_client_unblock(struct client *c, int error);
/* Frees a request and its sub-requests. */
void request_free(struct request *r);

/* INFO (shards/cmd_info.c) and CLIENT (shards/cmd_server.c) render from every
 * shard's data. */
void info_render(struct buf *out, int resp, const struct arg *argv, int argc, struct shard *coordinator,
                 const struct shard_info *infos, int n);
/* Samples the memory figures of INFO (peak, startup); shard 0's cron. */
void info_sample_memory(void);
/* CLIENT KILL's arguments checked once before every shard applies them:
 * NULL, or Redis's error text (possibly written into msg). */
const char *client_kill_check(int argc, const struct arg *argv, char *msg, size_t msglen);
/* The same for CLIENT UNBLOCK <id> [TIMEOUT|ERROR]. */
const char *client_unblock_check(int argc, const struct arg *argv, char *msg, size_t msglen);
/* The same for CLIENT LIST [TYPE type | ID id ...]. */
const char *client_list_check(int argc, const struct arg *argv, char *msg, size_t msglen);

#endif
