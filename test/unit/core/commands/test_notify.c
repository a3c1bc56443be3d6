/*
 * test_notify.c - keyspace events (notify-keyspace-events): the handlers of
 * every command family run on the harness's private dbs with a recording
 * cmd_engine_ops installed, and the exact sequence of events (class, name,
 * key, db) is compared with what Redis 7.0 raises for the same command.
 * Expiry reaches its "expired" event through the db's expiry notification
 * hook, which the test installs as the engine does (shards/engine_hooks.c).
 *
 * Each event is recorded as "<class letter>/<event>:<key>", with "@<db>"
 * appended when the db is not 0, space separated, in the order raised.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/base/config.h"
#include "core/commands/command.h"
#include "core/types/db.h"

#include "cmd_harness.h"

static char events[4096];

static char class_letter(int type)
{
    switch (type) {
    case NOTIFY_GENERIC:
        return 'g';
    case NOTIFY_STRING:
        return '$';
    case NOTIFY_LIST:
        return 'l';
    case NOTIFY_SET:
        return 's';
    case NOTIFY_HASH:
        return 'h';
    case NOTIFY_ZSET:
        return 'z';
    case NOTIFY_EXPIRED:
        return 'x';
    case NOTIFY_EVICTED:
        return 'e';
    case NOTIFY_KEY_MISS:
        return 'm';
    case NOTIFY_NEW:
        return 'n';
    default:
        return '?';
    }
}

static void record(int type, const char *event, const char *key, size_t klen, int dbid)
{
    size_t n = strlen(events);
    char db[16] = "";
    if (dbid != 0)
        snprintf(db, sizeof(db), "@%d", dbid);
    snprintf(events + n, sizeof(events) - n, "%s%c/%s:%.*s%s", n ? " " : "", class_letter(type), event, (int)klen, key,
             db);
}

static void record_notify(struct cmd_ctx *c, int type, const char *event, const char *key, size_t klen, int dbid)
{
    (void)c;
    record(type, event, key, klen, dbid);
}

/* What the engine's expiry hook does, without the class check the engine
 * makes against its config (the tests set "x" whenever they expect it). */
static void record_expired(void *priv, const struct db_entry *e)
{
    if (notify_class_enabled(cfg.notify_keyspace_events, NOTIFY_EXPIRED))
        record(NOTIFY_EXPIRED, "expired", e->key, e->key_len, (int)(intptr_t)priv);
}

static void set_flags(const char *classes)
{
    int flags = config_keyspace_events_parse(classes);
    cr_assert_geq(flags, 0, "bad classes %s", classes);
    cfg.notify_keyspace_events = flags;
}

static void notify_setup(void)
{
    harness_setup_cfg();
    static const struct cmd_engine_ops ops = {.notify = record_notify};
    command_engine_install(&ops);
    for (int i = 0; i < NDBS; i++)
        db_set_expire_notify(dbs[i], record_expired, (void *)(intptr_t)i);
    set_flags("KEA");
    events[0] = '\0';
}

static void notify_teardown(void)
{
    command_engine_install(NULL);
    harness_teardown();
}

/* The events raised since the last call (and forgets them). */
static const char *taken(void)
{
    static char copy[sizeof(events)];
    memcpy(copy, events, sizeof(events));
    events[0] = '\0';
    return copy;
}

#define EVENTS(expected) cr_assert_str_eq(taken(), expected)

TestSuite(notify, .init = notify_setup, .fini = notify_teardown);

Test(notify, nothing_when_disabled_or_without_K_or_E)
{
    set_flags("");
    RUN(cmd_set, "set", "k", "v");
    RUN(cmd_rpush, "rpush", "l", "a");
    EVENTS("");
    set_flags("A"); /* classes, but neither keyspace nor keyevent: Redis publishes nothing */
    RUN(cmd_set, "set", "k", "v");
    EVENTS("");
    set_flags("E$");
    RUN(cmd_set, "set", "k", "v");
    EVENTS("$/set:k");
    command_engine_install(NULL); /* no engine: nothing, and no crash */
    RUN(cmd_set, "set", "k", "v");
    EVENTS("");
}

Test(notify, disabled_class_raises_nothing)
{
    set_flags("KEg$shzxe"); /* all but l */
    RUN(cmd_rpush, "rpush", "l", "a");
    RUN(cmd_lpush, "lpush", "l", "b");
    RUN(cmd_lpop, "lpop", "l");
    EVENTS("");
    RUN(cmd_lpop, "lpop", "l"); /* empties it: "del" is generic */
    EVENTS("g/del:l");
    set_flags("Kl");
    RUN(cmd_set, "set", "s", "v");
    RUN(cmd_sadd, "sadd", "set", "m");
    RUN(cmd_del, "del", "s");
    EVENTS("");
}

Test(notify, new_only_with_n_and_only_for_created_keys)
{
    set_flags("KEAn");
    RUN(cmd_set, "set", "k", "v");
    EVENTS("n/new:k $/set:k");
    RUN(cmd_set, "set", "k", "w");
    EVENTS("$/set:k");
    RUN(cmd_rpush, "rpush", "l", "a");
    EVENTS("n/new:l l/rpush:l");
    RUN(cmd_set, "set", "l", "v"); /* overwrites a key of another type: not new */
    EVENTS("$/set:l");
    RUN(cmd_hset, "hset", "h", "f", "v");
    RUN(cmd_sadd, "sadd", "s", "m");
    RUN(cmd_zadd, "zadd", "z", "1", "m");
    RUN(cmd_incr, "incr", "n");
    EVENTS("n/new:h h/hset:h n/new:s s/sadd:s n/new:z z/zadd:z n/new:n $/incrby:n");
}

Test(notify, strings)
{
    RUN(cmd_set, "set", "k", "v");
    EVENTS("$/set:k");
    RUN(cmd_set, "set", "k", "v", "ex", "100");
    EVENTS("$/set:k g/expire:k");
    RUN(cmd_set, "set", "k", "w", "keepttl");
    EVENTS("$/set:k");
    RUN(cmd_set, "set", "k", "w", "nx"); /* not set: nothing */
    RUN(cmd_setnx, "setnx", "k", "w");
    EVENTS("");
    RUN(cmd_setex, "setex", "e", "10", "v");
    EVENTS("$/set:e g/expire:e");
    RUN(cmd_getset, "getset", "k", "x");
    EVENTS("$/set:k");
    RUN(cmd_mset, "mset", "a", "1", "b", "2");
    EVENTS("$/set:a $/set:b");
    RUN(cmd_incr, "incr", "a");
    RUN(cmd_decrby, "decrby", "a", "5");
    RUN(cmd_incrbyfloat, "incrbyfloat", "a", "1.5");
    EVENTS("$/incrby:a $/incrby:a $/incrbyfloat:a");
    RUN(cmd_append, "append", "b", "xy");
    RUN(cmd_setrange, "setrange", "b", "1", "zz");
    RUN(cmd_setrange, "setrange", "b", "1", ""); /* changes nothing */
    EVENTS("$/append:b $/setrange:b");
    RUN(cmd_getex, "getex", "b", "px", "5000");
    EVENTS("g/expire:b");
    RUN(cmd_getex, "getex", "b", "persist");
    EVENTS("g/persist:b");
    RUN(cmd_getex, "getex", "b", "persist"); /* no TTL left: nothing */
    RUN(cmd_getex, "getex", "b");
    EVENTS("");
    RUN(cmd_getdel, "getdel", "b");
    EVENTS("g/del:b");
    RUN(cmd_getdel, "getdel", "b");
    RUN(cmd_incr, "incr", "k"); /* not an integer */
    EVENTS("");
    RUN(cmd_getex, "getex", "a", "pxat", "1"); /* a past time deletes */
    EVENTS("g/del:a");
}

Test(notify, lists)
{
    RUN(cmd_rpush, "rpush", "l", "a", "b", "c");
    RUN(cmd_lpush, "lpush", "l", "z");
    RUN(cmd_lpushx, "lpushx", "missing", "z");
    EVENTS("l/rpush:l l/lpush:l");
    RUN(cmd_linsert, "linsert", "l", "before", "b", "x");
    RUN(cmd_linsert, "linsert", "l", "before", "nope", "x");
    RUN(cmd_lset, "lset", "l", "0", "y");
    RUN(cmd_lrem, "lrem", "l", "0", "x");
    RUN(cmd_lrem, "lrem", "l", "0", "nope");
    RUN(cmd_ltrim, "ltrim", "l", "0", "-1");
    EVENTS("l/linsert:l l/lset:l l/lrem:l l/ltrim:l");
    RUN(cmd_rpop, "rpop", "l");
    RUN(cmd_lpop, "lpop", "l", "2");
    EVENTS("l/rpop:l l/lpop:l");
    RUN(cmd_lpop, "lpop", "l"); /* the last element */
    EVENTS("l/lpop:l g/del:l");
    RUN(cmd_rpush, "rpush", "l", "a", "b");
    RUN(cmd_ltrim, "ltrim", "l", "5", "10");
    EVENTS("l/rpush:l l/ltrim:l g/del:l");
}

Test(notify, lmove_and_blocking_pops)
{
    set_flags("KEAn");
    RUN(cmd_rpush, "rpush", "src", "a", "b");
    taken();
    RUN(cmd_lmove, "lmove", "src", "dst", "left", "right");
    EVENTS("n/new:dst l/rpush:dst l/lpop:src");
    RUN(cmd_rpoplpush, "rpoplpush", "src", "dst");
    EVENTS("l/lpush:dst l/rpop:src g/del:src");
    RUN(cmd_lmove, "lmove", "dst", "dst", "left", "right"); /* rotation */
    EVENTS("l/rpush:dst l/lpop:dst");
    RUN(cmd_blpop, "blpop", "none", "dst", "0");
    EVENTS("l/lpop:dst");
    RUN(cmd_brpop, "brpop", "dst", "0");
    EVENTS("l/rpop:dst g/del:dst");
    ctx.blocking = 1;
    RUN(cmd_blpop, "blpop", "dst", "0"); /* blocks: nothing */
    EVENTS("");
    ctx.blocking = 0;
    RUN(cmd_rpush, "rpush", "a", "1", "2", "3");
    taken();
    RUN(cmd_lmpop, "lmpop", "2", "none", "a", "right", "count", "2");
    EVENTS("l/rpop:a");
    RUN(cmd_blmove, "blmove", "a", "b", "right", "left", "0");
    EVENTS("n/new:b l/lpush:b l/rpop:a g/del:a");
}

Test(notify, hashes)
{
    RUN(cmd_hset, "hset", "h", "f", "1", "g", "2");
    RUN(cmd_hsetnx, "hsetnx", "h", "f", "9");
    RUN(cmd_hsetnx, "hsetnx", "h", "n", "9");
    RUN(cmd_hmset, "hmset", "h", "f", "3");
    EVENTS("h/hset:h h/hset:h h/hset:h");
    RUN(cmd_hincrby, "hincrby", "h", "f", "2");
    RUN(cmd_hincrbyfloat, "hincrbyfloat", "h", "f", "0.5");
    EVENTS("h/hincrby:h h/hincrbyfloat:h");
    RUN(cmd_hdel, "hdel", "h", "f", "nope");
    RUN(cmd_hdel, "hdel", "h", "nope");
    EVENTS("h/hdel:h");
    RUN(cmd_hdel, "hdel", "h", "g", "n");
    EVENTS("h/hdel:h g/del:h");
}

Test(notify, sets)
{
    RUN(cmd_sadd, "sadd", "s", "a", "b", "c");
    RUN(cmd_sadd, "sadd", "s", "a");
    EVENTS("s/sadd:s");
    RUN(cmd_srem, "srem", "s", "a", "nope");
    RUN(cmd_srem, "srem", "s", "nope");
    EVENTS("s/srem:s");
    RUN(cmd_smove, "smove", "s", "t", "b");
    EVENTS("s/srem:s s/sadd:t");
    RUN(cmd_smove, "smove", "s", "t", "c"); /* empties s */
    EVENTS("s/srem:s g/del:s s/sadd:t");
    RUN(cmd_sadd, "sadd", "u", "b", "x");
    taken();
    RUN(cmd_sinterstore, "sinterstore", "d", "t", "u");
    RUN(cmd_sunionstore, "sunionstore", "d2", "t", "u");
    RUN(cmd_sdiffstore, "sdiffstore", "d3", "t", "u");
    EVENTS("s/sinterstore:d s/sunionstore:d2 s/sdiffstore:d3");
    RUN(cmd_sdiffstore, "sdiffstore", "d", "t", "t"); /* empty result deletes d */
    RUN(cmd_sinterstore, "sinterstore", "d2", "t", "missing");
    RUN(cmd_sinterstore, "sinterstore", "d2", "t", "missing"); /* nothing left to delete */
    EVENTS("g/del:d g/del:d2");
    RUN(cmd_spop, "spop", "u");
    EVENTS("s/spop:u");
    RUN(cmd_spop, "spop", "t", "1");
    EVENTS("s/spop:t");
    RUN(cmd_spop, "spop", "t", "10");
    EVENTS("s/spop:t g/del:t");
    RUN(cmd_spop, "spop", "u");
    EVENTS("s/spop:u g/del:u");
}

Test(notify, sorted_sets)
{
    RUN(cmd_zadd, "zadd", "z", "1", "a", "2", "b", "3", "c", "4", "d");
    RUN(cmd_zadd, "zadd", "z", "1", "a"); /* no change */
    RUN(cmd_zadd, "zadd", "z", "incr", "1", "a");
    RUN(cmd_zincrby, "zincrby", "z", "1", "b");
    EVENTS("z/zadd:z z/zincr:z z/zincr:z");
    RUN(cmd_zrem, "zrem", "z", "d", "nope");
    EVENTS("z/zrem:z");
    RUN(cmd_zrangestore, "zrangestore", "r", "z", "0", "-1");
    RUN(cmd_zunionstore, "zunionstore", "u", "1", "z");
    RUN(cmd_zinterstore, "zinterstore", "i", "2", "z", "r");
    RUN(cmd_zdiffstore, "zdiffstore", "df", "2", "z", "r"); /* empty: df never existed */
    EVENTS("z/zrangestore:r z/zunionstore:u z/zinterstore:i");
    RUN(cmd_zdiffstore, "zdiffstore", "i", "2", "z", "r");
    EVENTS("g/del:i");
    RUN(cmd_zpopmin, "zpopmin", "r");
    RUN(cmd_zpopmax, "zpopmax", "r", "0");
    RUN(cmd_zpopmax, "zpopmax", "r", "5");
    EVENTS("z/zpopmin:r z/zpopmax:r g/del:r");
    RUN(cmd_zremrangebyscore, "zremrangebyscore", "u", "-inf", "2");
    RUN(cmd_zremrangebyscore, "zremrangebyscore", "u", "100", "200");
    RUN(cmd_zremrangebyrank, "zremrangebyrank", "u", "0", "-1");
    EVENTS("z/zremrangebyscore:u z/zremrangebyrank:u g/del:u");
    RUN(cmd_zadd, "zadd", "lx", "0", "a", "0", "b");
    RUN(cmd_zremrangebylex, "zremrangebylex", "lx", "-", "+");
    EVENTS("z/zadd:lx z/zremrangebylex:lx g/del:lx");
    RUN(cmd_bzpopmin, "bzpopmin", "z", "0");
    EVENTS("z/zpopmin:z");
    RUN(cmd_zmpop, "zmpop", "1", "z", "max", "count", "10");
    EVENTS("z/zpopmax:z g/del:z");
}

Test(notify, generic)
{
    set_flags("KEAn");
    RUN(cmd_set, "set", "a", "1");
    RUN(cmd_set, "set", "b", "2");
    taken();
    RUN(cmd_del, "del", "a", "nope", "b");
    EVENTS("g/del:a g/del:b");
    RUN(cmd_set, "set", "a", "1");
    RUN(cmd_set, "set", "b", "2");
    taken();
    RUN(cmd_rename, "rename", "a", "b"); /* over an existing key */
    EVENTS("n/new:b g/rename_from:a g/rename_to:b");
    RUN(cmd_renamenx, "renamenx", "b", "c");
    EVENTS("n/new:c g/rename_from:b g/rename_to:c");
    RUN(cmd_rename, "rename", "c", "c"); /* same key: nothing */
    EVENTS("");
    RUN(cmd_copy, "copy", "c", "d");
    EVENTS("n/new:d g/copy_to:d");
    RUN(cmd_copy, "copy", "c", "d", "db", "3");
    EVENTS("n/new:d@3 g/copy_to:d@3");
    RUN(cmd_move, "move", "d", "5");
    EVENTS("n/new:d@5 g/move_from:d g/move_to:d@5");
    RUN(cmd_move, "move", "d", "5"); /* gone from db 0 */
    EVENTS("");
    RUN(cmd_expire, "expire", "c", "100");
    RUN(cmd_pexpire, "pexpire", "c", "100", "nx"); /* refused */
    RUN(cmd_persist, "persist", "c");
    RUN(cmd_persist, "persist", "c");
    EVENTS("g/expire:c g/persist:c");
    RUN(cmd_pexpireat, "pexpireat", "c", "1"); /* in the past: deleted */
    EVENTS("g/del:c");
    RUN(cmd_set, "set", "p", "v", "pxat", "1"); /* Redis 7.0 sets it, already expired */
    EVENTS("n/new:p $/set:p g/expire:p");
    RUN(cmd_flushall, "flushall");
    RUN(cmd_swapdb, "swapdb", "0", "1");
    EVENTS(""); /* Redis raises no keyspace event for these */
}

Test(notify, expired_lazily_and_by_the_active_cycle)
{
    RUN(cmd_set, "set", "k", "v", "px", "100");
    RUN(cmd_set, "set", "k2", "v", "px", "100");
    RUN(cmd_set, "set", "k3", "v"); /* no expiry */
    taken();
    ctx.now_ms += 1000;
    RUN(cmd_rpush, "rpush", "k", "a"); /* lazily expired, then a new list */
    EVENTS("x/expired:k l/rpush:k");
    cr_assert_eq(db_expire_cycle(ctx.db, ctx.now_ms, 20), 1);
    EVENTS("x/expired:k2");
    set_flags("KEA$m");
    RUN(cmd_set, "set", "j", "v", "px", "100");
    taken();
    ctx.now_ms += 1000;
    RUN(cmd_get, "get", "j");
    RUN(cmd_get, "get", "missing");
    EVENTS("x/expired:j m/keymiss:j m/keymiss:missing");
    RUN(cmd_exists, "exists", "missing");
    RUN(cmd_type, "type", "missing");
    RUN(cmd_ttl, "ttl", "missing");
    RUN(cmd_set, "set", "w", "v");
    RUN(cmd_get, "get", "w");                         /* a hit */
    RUN(cmd_object, "object", "encoding", "missing"); /* LOOKUP_NONOTIFY in Redis */
    RUN(cmd_incr, "incr", "missing2");                /* writes never raise it */
    EVENTS("m/keymiss:missing m/keymiss:missing m/keymiss:missing $/set:w $/incrby:missing2");
    set_flags("KE$"); /* without x */
    RUN(cmd_set, "set", "j", "v", "px", "100");
    taken();
    ctx.now_ms += 1000;
    RUN(cmd_get, "get", "j");
    EVENTS("");
}

Test(notify, collection_emptied_by_its_last_element)
{
    RUN(cmd_rpush, "rpush", "l", "a");
    RUN(cmd_sadd, "sadd", "s", "a");
    RUN(cmd_hset, "hset", "h", "f", "v");
    RUN(cmd_zadd, "zadd", "z", "1", "a");
    taken();
    RUN(cmd_rpop, "rpop", "l");
    RUN(cmd_srem, "srem", "s", "a");
    RUN(cmd_hdel, "hdel", "h", "f");
    RUN(cmd_zrem, "zrem", "z", "a");
    EVENTS("l/rpop:l g/del:l s/srem:s g/del:s h/hdel:h g/del:h z/zrem:z g/del:z");
    cr_assert_null(find("l"));
    cr_assert_null(find("z"));
}
