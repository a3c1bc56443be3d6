/*
 * cron.c - a shard's periodic work, run by its own thread every 1/hz
 * seconds from the loop (shard.c): instantaneous rates, active expiry within
 * a time budget, incremental rehashing, the snapshots and log rewrites
 * nobody asked for, soft output-buffer limits and idle clients (`timeout`).
 *
 * Invariant: bounded work per call (the expiry budget is 25% of a tick);
 * closing a client here may free it, so client lists are walked with the
 * next pointer taken first.
 */
#include "shards/cron.h"

#include <stdint.h>

#include "core/base/log.h"
#include "core/base/util.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "persist/aof_log.h"
#include "persist/snapshot.h"
#include "shards/client.h"
#include "shards/dispatch.h"
#include "shards/pubsub.h"
#include "shards/shard.h"

void shard_cron(struct shard *s)
{
    evict_set_policy(s->cfg->maxmemory_policy);
    /* Active expiry: sample each db's expiry vector within a time budget of
     * 25% of the tick, like Redis's slow cycle, repeating while a sample
     * finds more than a quarter expired. */
    int64_t budget_us = 250000 / s->cfg->hz;
    int64_t start = monotonic_us();
    shard_sample_rates(s);
    for (int k = 0; k < s->ndbs; k++) {
        int i = (s->expire_db_cursor + k) % s->ndbs;
        struct db *db = s->dbs[i];
        if (db_expires_size(db) == 0)
            continue;
        for (;;) {
            size_t deleted = db_expire_cycle(db, s->now_ms, 20);
            s->stats.expired_keys += deleted;
            if (deleted < 5 || monotonic_us() - start > budget_us)
                break;
        }
        if (monotonic_us() - start > budget_us) {
            s->expire_db_cursor = i;
            s->expire_time_cap_reached++;
            break;
        }
    }
    s->expire_cycle_us += (uint64_t)(monotonic_us() - start);
    for (int i = 0; i < s->ndbs; i++)
        db_rehash_step(s->dbs[i], 100);
    /* Cuts nobody sent (save rules, automatic rewrites, CONFIG SET
     * appendonly yes) run behind the global barrier as BGSAVE does. */
    if (snap_shard_cron(s->persist))
        dispatch_cut(s, "bgsave");
    if (aof_shard_cron(s->persist))
        dispatch_cut(s, "bgrewriteaof");
    /* Soft output limits expire with time, not only when output grows. */
    if (s->cfg->obuf_limits[OBUF_NORMAL].soft) {
        for (struct client *c = s->clients; c; c = c->next) {
            if (c->conn.closing || !c->obuf_soft_since_ms)
                continue;
            client_check_output_limit(c);
            if (c->obuf_close)
                client_want_flush(c); /* closed by the flush */
        }
    }
    /* Idle clients (`timeout`). Never a client blocked on keys (Redis
     * exempts CLIENT_BLOCKED) or subscribed (CLIENT_PUBSUB), nor one with a
     * request in flight. A request
     * that ends refreshes last_interaction_ms (dispatch.c request_finish), as
     * Redis refreshes it when it writes a reply: a client served after a
     * long BLPOP is not idle in the iteration its reply is produced (this
     * cron runs before the iteration's sends are queued). */
    long long timeout = s->cfg->timeout;
    if (timeout > 0) {
        struct client *next;
        for (struct client *c = s->clients; c; c = next) {
            next = c->next; /* closing may free c */
            if (!c->conn.closing && !c->blocked && c->npending == 0 && !(c->ps && pubsub_client_subscribed(c)) &&
                s->now_ms - c->last_interaction_ms > timeout * 1000) {
                server_log(LL_VERBOSE, "Closing idle client");
                client_close(c, 0);
            }
        }
    }
}
