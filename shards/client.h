/*
 * client.h - a client of the engine: a connection (struct conn, net/conn.h,
 * embedded) plus what the engine keeps for it: its requests in order, its
 * MULTI/WATCH state, the blocking request it waits in, its database,
 * protocol, name, ACL user and flags. Also the thread's lists it is in
 * (clients, flush, resume, output held for the log).
 *
 * Owner: the shard thread that accepted the connection. Only that thread
 * touches a struct client or its requests. A request that is in flight on
 * other shards is reached by them only through its sub-requests' buffers.
 *
 * Lifetime: a client is freed only when its socket is closed, no recv or send
 * is in flight in io_uring, and no request is pending on another shard
 * (those hold pointers to it). `conn.closing` stops all new work meanwhile.
 * The network layer reaches the client only through the thread's
 * struct net_service (shards/client.c), by container_of of its conn.
 */
#ifndef SHARDIS_CLIENT_H
#define SHARDIS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/resp.h"
#include "core/commands/command.h"
#include "net/conn.h"
#include "net/service.h"
#include "security/acl.h"
#include "shards/shard.h"

struct request;         /* shards/request.h */
struct pubsub_client;   /* shards/pubsub.c */
struct tracking_client; /* shards/tracking.c */

/* CLIENT REPLY (Redis's flags): SKIP_NEXT is set by CLIENT REPLY SKIP and
 * becomes SKIP for the command after it, which then goes back to ON. */
enum client_reply_mode { REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT, REPLY_SKIP };

struct client {
    struct conn conn; /* socket, input and output buffers, I/O in flight (net/conn.h) */
    uint64_t id;
    struct shard *shard;
    struct client *prev, *next; /* shard's client list */
    struct client *flush_next;  /* shard's flush list */
    struct client *resume_next; /* shard's resume list */
    int in_flush_list, in_resume_list;
    struct client *held_next; /* shard's list of output waiting for the log */
    int in_held_list;
    uint64_t log_tag; /* log position when its output was last produced */

    size_t needed;       /* bytes the next command needs (parser hint) */
    int reply_completed; /* a finished request moved a reply to `conn.out` since the last send */

    struct request *req_head, *req_tail;
    int npending;               /* requests not done */
    int paused;                 /* parsing stopped (barrier or back-pressure) */
    struct request *barrier;    /* multi-step request that must finish first */
    struct request *blocked;    /* blocking request whose subs may be parked on shards: while set the client
                                 * counts as blocked (blocked_clients, flag b, never idle for `timeout`) */
    int obuf_close;             /* over client-output-buffer-limit: closed at the next flush */
    int64_t obuf_soft_since_ms; /* since when above the soft limit, 0 = below */

    /* MULTI/EXEC/WATCH */
    int in_multi;            /* between MULTI and EXEC/DISCARD */
    int multi_dirty;         /* a command was refused while queueing: EXEC aborts */
    struct request **queued; /* commands queued since MULTI (unlinked requests) */
    int nqueued, queued_cap;
    struct watch_key *watched; /* keys of WATCH, until EXEC/DISCARD/UNWATCH */
    int nwatched, watched_cap;

    int resp;
    int dbid;
    char *name;
    int64_t ctime_ms;
    int64_t last_interaction_ms;
    const char *last_cmd;
    const char *last_sub; /* subcommand of last_cmd, or NULL */
    uint64_t commands;
    struct resp_command parsed;

    /* security (security/acl.h) */
    struct acl_session acl;   /* its user and the table it was resolved in (security/acl.h) */
    int protected_denied;     /* protected mode refuses this client */
    int no_evict;             /* CLIENT NO-EVICT on (shown as flag e; no client eviction exists) */
    int reply_mode;           /* CLIENT REPLY: enum client_reply_mode */
    int reply_silent;         /* the command being dispatched sends no reply (dispatch_command) */
    struct pubsub_client *ps; /* its subscriptions (shards/pubsub.c), NULL when it never subscribed */
    /* CLIENT TRACKING (shards/tracking.h): TRACKING_* bits (0 = off); whether
     * the running command's reads are recorded; redirect and prefixes (NULL
     * until it turned tracking on or became a redirect target). */
    unsigned tracking;
    int tracking_reads;
    struct tracking_client *trk;
};

static inline struct client *client_of(struct conn *c)
{
    return (struct client *)((char *)c - offsetof(struct client, conn));
}

/* The callbacks the shard threads register with their network loop. */
extern const struct net_service client_net_service;

/* Parses and dispatches what can be, up to back-pressure or a barrier. */
void client_process_input(struct client *c);
/* Starts closing (after the pending replies when `after_reply`). */
void client_close(struct client *c, int after_reply);
/* Called when the io (recv or send) the client waited for has ended or a
 * request completed: frees the client when nothing refers to it any more. */
void client_maybe_free(struct client *c);
/* Called when the client may parse again (resume list): reads again after
 * input back-pressure, frees it if it closed meanwhile. */
void client_resume(struct client *c);
/* client-output-buffer-limit: marks a client over the hard limit, or over
 * the soft one for longer than its seconds, to be closed at the next flush
 * (called when output grows, and by the shard cron for the soft limit). */
void client_check_output_limit(struct client *c);
/* Queues the client for a send at the end of the loop iteration. */
void client_want_flush(struct client *c);
/* Puts c in the flush list without touching its log tag (output held for
 * the log is released). */
void client_link_flush(struct client *c);
/* Moves finished replies at the head of the request queue to the output. */
void client_flush_done_requests(struct client *c);
/* Queues the sends of every client in the flush list. */
void shard_flush_clients(struct shard *s);
/* CLIENT LIST line of one client. */
void client_describe(struct client *c, struct buf *out, int64_t now_ms);
/* The same for a client running argv (CLIENT LIST/INFO's own caller). */
void client_describe_running(struct client *c, struct buf *out, int64_t now_ms, const struct arg *argv, int argc);
/* CLIENT KILL's filters (argv, argc as sent; checked by the coordinator):
 * whether client c matches; caller is the id of the client that sent it. */
int client_kill_matches(struct client *c, const struct arg *argv, int argc, uint64_t caller);

#endif
