/*
 * cmd_dump.c - DUMP and RESTORE: a key's value as Redis 7.0's payload
 * (value in RDB encoding + RDB version + CRC64, persist/rdb.h) and back.
 *
 * They live above core/commands because the codec is in persist/; the
 * command table names them and shards/engine_commands.c binds them. Both run
 * on the shard that owns the key (ROUTE_KEYS), like any keyed handler.
 *
 * A payload is untrusted: RESTORE checks its footer (version, CRC64) and the
 * codec validates every byte before a value exists, so a bad payload gets
 * Redis's error and changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/evict.h"
#include "core/types/object.h"
#include "persist/rdb.h"
#include "shards/engine_commands.h"

void cmd_dump(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_null(c->out, c->resp);
        return;
    }
    struct buf payload = {0};
    rdb_dump_payload(&payload, e, ctx_config(c)->rdbcompression);
    reply_bulk(c->out, payload.data, payload.len);
    buf_free(&payload);
}

/* RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
 * [FREQ frequency], checked in Redis's order: options, BUSYKEY, TTL,
 * payload footer, payload body. */
void cmd_restore(struct cmd_ctx *c)
{
    const struct config *cfg = ctx_config(c);
    long long ttl, freq = -1, idle = -1;
    int replace = 0, absttl = 0;
    for (int j = 4; j < c->argc; j++) {
        int more = c->argc - j - 1;
        if (arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (arg_is(&c->argv[j], "absttl")) {
            absttl = 1;
        } else if (arg_is(&c->argv[j], "idletime") && more >= 1 && freq == -1) {
            if (!arg_ll_or_reply(c, j + 1, &idle, NULL))
                return;
            if (idle < 0) {
                reply_error(c->out, "ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
            j++;
        } else if (arg_is(&c->argv[j], "freq") && more >= 1 && idle == -1) {
            if (!arg_ll_or_reply(c, j + 1, &freq, NULL))
                return;
            if (freq < 0 || freq > 255) {
                reply_error(c->out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
            j++;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (!replace && lookup_write(c, 1)) {
        reply_error(c->out, "BUSYKEY Target key name already exists.");
        return;
    }
    if (!arg_ll_or_reply(c, 2, &ttl, NULL))
        return;
    if (ttl < 0) {
        reply_error(c->out, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    const struct arg *payload = &c->argv[3];
    if (rdb_payload_verify((const unsigned char *)payload->ptr, payload->len) < 0) {
        reply_error(c->out, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    const struct arg *k = &c->argv[1];
    char why[256];
    struct db_entry *e =
        rdb_payload_load((const unsigned char *)payload->ptr, payload->len, k->ptr, k->len, cfg, why, sizeof(why));
    if (!e) {
        reply_error(c->out, "ERR Bad data format");
        return;
    }
    int deleted = replace && lookup_write(c, 1) && delete_key_arg(c, 1);
    if (ttl && !absttl)
        ttl += c->now_ms;
    if (ttl && ttl <= c->now_ms) {
        /* already expired: only the deletion happens, as in Redis */
        entry_free(e);
        if (deleted) {
            const char *argv[2] = {"DEL", k->ptr};
            size_t lens[2] = {3, k->len};
            if (c->aof)
                effect_log(c, 2, argv, lens);
            key_modified(c, 1);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
        }
        reply_ok(c->out);
        return;
    }
    e->lru = evict_new_lru(c->now_ms);
    if (evict_policy_is_lfu(cfg->maxmemory_policy)) {
        if (freq >= 0) /* LFU: minutes << 8 | counter (core/types/evict.h) */
            e->lru = (e->lru & ~0xffu) | (uint32_t)freq;
    } else if (idle >= 0) {
        e->lru = (lru_clock_now(c->now_ms) - (uint32_t)(idle & 0xffffff)) & 0xffffff;
    }
    db_insert(c->db, e);
    notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
    if (ttl) {
        db_set_expire(c->db, e, ttl);
        if (c->aof) {
            /* replayed later: the TTL as an absolute time */
            char when[32];
            int wl = snprintf(when, sizeof(when), "%lld", ttl);
            /* REPLACE: the effect is "the key now holds this value",
             * whatever was there when this ran */
            const char *argv[6] = {"RESTORE", k->ptr, when, payload->ptr, "ABSTTL", "REPLACE"};
            size_t lens[6] = {7, k->len, (size_t)wl, payload->len, 6, 7};
            effect_log(c, 6, argv, lens);
        }
    }
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_GENERIC, "restore", 1);
    reply_ok(c->out);
}
