/*
 * dispatch.h - from a parsed command to its reply: routing by key shard,
 * the inline fast path, splitting multi-key commands, fan-out to every shard,
 * multi-step commands whose keys live on different shards, and the merge of
 * sub-replies. Runs on the thread that owns the client (the coordinator),
 * except shard_run_sub, which runs on the destination shard.
 */
#ifndef SHARDIS_DISPATCH_H
#define SHARDIS_DISPATCH_H

#include "conn.h"
#include "shard.h"

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
/* Frees a request and its sub-requests. */
void request_free(struct request *r);

/* INFO and CLIENT (core/cmd_server.c) render from every shard's data. */
void info_render(struct buf *out, int resp, const struct arg *argv, int argc, struct shard *coordinator,
                 const struct shard_info *infos, int n);

#endif
