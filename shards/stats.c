/*
 * stats.c - a shard's INFO counters (see stats.h): error codes, latency
 * histograms, instantaneous rates sampled by the cron, CONFIG RESETSTAT,
 * and the struct shard_info a SUB_INFO reply carries.
 *
 * Runs on the shard's own thread, on its own counters.
 */
#include "shards/stats.h"

#include <stdlib.h>
#include <string.h>

#include "core/types/db.h"
#include "shards/client.h"
#include "shards/dispatch.h"
#include "shards/pubsub.h"
#include "shards/request.h"
#include "shards/shard.h"
#include "shards/tracking.h"
#include "shards/txn.h"

/* Error codes as Redis 7 counts them: the first word of the reply when a
 * space ends it within 32 bytes, else ERR. */
void shard_count_error(struct shard *s, const char *reply, size_t len)
{
    char code[32];
    size_t n = 0;
    s->error_replies++;
    const char *sp = memchr(reply, ' ', len < 32 ? len : 32);
    if (sp && sp - reply > 1) {
        n = (size_t)(sp - reply - 1);
        memcpy(code, reply + 1, n);
    } else {
        n = 3;
        memcpy(code, "ERR", 3);
    }
    code[n] = '\0';
    for (int i = 0; i < s->nerrstats; i++) {
        if (!strcmp(s->errstats[i].code, code)) {
            s->errstats[i].count++;
            return;
        }
    }
    if (s->nerrstats < MAX_ERROR_CODES) {
        strcpy(s->errstats[s->nerrstats].code, code);
        s->errstats[s->nerrstats++].count = 1;
    }
}

struct latency_hist *shard_latency_hist_new(struct shard *s, ptrdiff_t slot)
{
    struct latency_hist *h = calloc(1, sizeof(*h));
    s->latency[slot] = h; /* NULL: statistics only, the sample is skipped */
    return h;
}

void shard_sample_rates(struct shard *s)
{
    uint64_t now_value[INST_KINDS] = {s->stats.commands, s->net.net_input_bytes, s->net.net_output_bytes};
    for (int k = 0; k < INST_KINDS; k++) {
        struct inst_metric *m = &s->inst[k];
        if (m->last_ms && s->now_ms - m->last_ms < 100)
            continue;
        if (m->last_ms && s->now_ms > m->last_ms && now_value[k] >= m->last_value) {
            m->rate[m->idx] = (now_value[k] - m->last_value) * 1000 / (uint64_t)(s->now_ms - m->last_ms);
            m->idx = (m->idx + 1) % INST_SAMPLES;
        }
        m->last_ms = s->now_ms;
        m->last_value = now_value[k];
    }
    if (s->id == 0)
        info_sample_memory();
}

static uint64_t inst_rate(const struct inst_metric *m)
{
    uint64_t sum = 0;
    for (int i = 0; i < INST_SAMPLES; i++)
        sum += m->rate[i];
    return sum / INST_SAMPLES;
}

void shard_reset_stats(struct shard *s)
{
    uint64_t dirty = s->stats.dirty; /* rdb_changes_since_last_save: not a statistic */
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.dirty = dirty;
    memset(s->cmdstats, 0, sizeof(struct command_stat) * (s->ncmdstats + 1));
    for (int i = 0; i <= s->ncmdstats; i++) {
        free(s->latency[i]);
        s->latency[i] = NULL;
    }
    s->nerrstats = 0;
    s->error_replies = 0;
    s->total_connections = s->rejected_connections = 0;
    s->net.net_input_bytes = s->net.net_output_bytes = 0;
    s->net.reads_processed = s->net.writes_processed = 0;
    s->expire_cycle_us = s->expire_time_cap_reached = 0;
    memset(s->inst, 0, sizeof(s->inst));
    uint64_t lazy = 0;
    for (int i = 0; i < s->ndbs; i++)
        lazy += db_expired_count(s->dbs[i]);
    s->expired_lazy_base = lazy;
}

/* Mean remaining TTL (ms) of up to 64 keys spread over db's expiry vector:
 * an estimate, as Redis's avg_ttl is. */
static long long sample_avg_ttl(struct db *db, int64_t now_ms)
{
    size_t n = db_expires_size(db);
    if (n == 0)
        return 0;
    size_t step = n > 64 ? n / 64 : 1;
    long double sum = 0;
    long long count = 0;
    for (size_t i = 0; i < n && count < 64; i += step) {
        const struct db_entry *e = db_expires_at(db, i);
        if (e && e->expire_at > now_ms) {
            sum += (long double)(e->expire_at - now_ms);
            count++;
        }
    }
    return count ? (long long)(sum / count) : 0;
}

void shard_fill_info(struct shard *s, struct shard_info *info)
{
    memset(info, 0, sizeof(*info));
    info->shard = s->id;
    info->clients = s->nclients;
    info->total_connections = s->total_connections;
    info->rejected_connections = s->rejected_connections;
    info->net_input_bytes = s->net.net_input_bytes;
    info->net_output_bytes = s->net.net_output_bytes;
    info->stats = s->stats;
    info->txn_waiting = locktab_waiting(s->locks);
    info->txn_held = locktab_held(s->locks);
    info->watched_keys = watchtab_count(s->watches);
    pubsub_shard_counts(s, &info->pubsub_channels, &info->pubsub_patterns, &info->pubsub_shard_channels);
    tracking_shard_counts(s, &info->tracking_keys, &info->tracking_items, &info->tracking_prefixes,
                          &info->tracking_clients);
    info->ndbs = s->ndbs;
    for (int i = 0; i < s->ndbs; i++) {
        if (i < 64) {
            info->keys[i] = (long long)db_size(s->dbs[i]);
            info->expires[i] = (long long)db_expires_size(s->dbs[i]);
        }
        if (i < 64)
            info->avg_ttl[i] = sample_avg_ttl(s->dbs[i], s->now_ms);
        info->expired_lazy += db_expired_count(s->dbs[i]);
        info->db_overhead += db_overhead_bytes(s->dbs[i]);
    }
    info->expired_lazy -= info->expired_lazy >= s->expired_lazy_base ? s->expired_lazy_base : info->expired_lazy;
    for (int k = 0; k < INST_KINDS; k++)
        info->inst[k] = inst_rate(&s->inst[k]);
    info->reads_processed = s->net.reads_processed;
    info->writes_processed = s->net.writes_processed;
    info->error_replies = s->error_replies;
    info->expire_cycle_us = s->expire_cycle_us;
    info->expire_time_cap_reached = s->expire_time_cap_reached;
    for (struct client *c = s->clients; c; c = c->next) {
        const struct conn *k = &c->conn;
        info->blocked_clients += c->blocked != NULL && !k->closing;
        info->clients_in_timeout_table += c->blocked != NULL && !k->closing && c->blocked->block_deadline != 0;
        info->mem_clients_normal += k->in.cap + k->out.cap + k->sending.cap + sizeof(*c);
        if (k->in.cap > info->max_input_buffer)
            info->max_input_buffer = k->in.cap;
        if (k->out.len + k->sending.len > info->max_output_buffer)
            info->max_output_buffer = k->out.len + k->sending.len;
    }
}
