/*
 * command.h - the command table and the context a handler runs with.
 *
 * A handler runs on the shard thread that owns its keys (or, for keyless
 * commands, on the connection's thread), reads its arguments, calls data
 * structure functions and writes exactly one reply into c->out. It never
 * blocks and never touches another shard's data. c->client is NULL except for
 * ROUTE_LOCAL commands: a handler that may run on a remote shard has no
 * connection to look at.
 *
 * Routing (the dispatcher in shards/dispatch.c reads it):
 *   ROUTE_LOCAL  keyless; runs on the connection's thread with c->client set.
 *   ROUTE_KEYS   keys at first_key..last_key step key_step (last_key -1 = last
 *                argument, -2 = second to last). All on one shard: one run
 *                there. Spread over shards: the dispatcher splits the keys
 *                into one sub-command per shard (same name, the shard's keys
 *                with their companions, e.g. MSET's values), runs the same
 *                handler on each and merges the replies as `merge` says.
 *                With MERGE_MGET the handler is told (c->split) to write its
 *                elements without the array header.
 *   ROUTE_ALL    runs on every shard, replies merged as `merge` says
 *                (DBSIZE, KEYS, FLUSHALL, RANDOMKEY, INFO's shard part ...).
 *   ROUTE_CUSTOM the dispatcher drives several steps itself when the keys
 *                span shards (RENAME, COPY, MSETNX, LCS, SCAN); on a single
 *                shard the handler runs as for ROUTE_KEYS.
 */
#ifndef SHARDIS_COMMAND_H
#define SHARDIS_COMMAND_H

#include <stdint.h>

#include "core/base/buf.h"
#include "core/base/config.h"
#include "core/base/resp.h"
#include "core/types/db.h"

/* ---- shared error texts (Redis's exact wording) ---- */
#define ERR_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"
#define ERR_SYNTAX "ERR syntax error"
#define ERR_NOT_INTEGER "ERR value is not an integer or out of range"
#define ERR_NOT_FLOAT "ERR value is not a valid float"
#define ERR_OVERFLOW "ERR increment or decrement would overflow"
#define ERR_NO_SUCH_KEY "ERR no such key"
#define ERR_DB_INDEX "ERR DB index is out of range"
#define ERR_INVALID_CURSOR "ERR invalid cursor"

/* SCAN cursors carry the shard in their low bits: cursor = local << 8 | shard. */
#define SCAN_SHARD_BITS 8
#define MAX_THREADS (1 << SCAN_SHARD_BITS)

enum cmd_flags {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_SKIP_SLOWLOG = 1 << 10,
    CMD_ASKING = 1 << 11,
    CMD_FAST = 1 << 12,
    CMD_NO_AUTH = 1 << 13,
    CMD_MAY_REPLICATE = 1 << 14,
    CMD_NO_MULTI = 1 << 15,
    CMD_ALLOW_BUSY = 1 << 16,
    CMD_MOVABLE_KEYS = 1 << 17, /* key positions depend on arguments (getkeys) */
    CMD_PROTECTED = 1 << 18,    /* refused unless enable-<name>-command allows it (checked before AUTH) */
    /* Engine flags: how the dispatcher (shards/) treats the command; never
     * shown by COMMAND INFO. */
    CMD_GLOBAL_BARRIER = 1 << 19, /* runs behind a global barrier on every shard (FLUSHALL, SWAPDB, SAVE ...) */
    CMD_CUT = 1 << 20,            /* claims the snapshot/rewrite slot before its barrier (SAVE, BGSAVE, BGREWRITEAOF) */
    CMD_AUDIT = 1 << 21,          /* written to the audit log when run (FLUSHALL, FLUSHDB, SHUTDOWN) */
    CMD_MISCONF = 1 << 22,        /* refused like a write after a failed snapshot (PING, as Redis 7.0) */
    CMD_RUNS_IN_MULTI = 1 << 23,  /* runs at once between MULTI and EXEC, not queued (EXEC, WATCH, QUIT ...) */
    CMD_BLOCK_SOURCE = 1 << 24,   /* blocking: waits on its first key only (BLMOVE, BRPOPLPUSH) */
    CMD_BLOCK_ZSET = 1 << 25,     /* blocking: waits for a sorted set (BZPOPMIN ...), else a list */
    CMD_OTHER_DB = 1 << 26,       /* may write its key into another db (MOVE, COPY ... DB) */
    CMD_SUBSCRIBED_OK = 1 << 27,  /* allowed to a subscribed RESP2 client ((P|S)(UN)SUBSCRIBE, PING, QUIT, RESET) */
    CMD_BLOCK_STREAM = 1 << 28,   /* blocking: XREAD/XREADGROUP (BLOCK ms option, waits for a stream) */
};

/* The dispatcher's machinery for a command beyond its route (shards/): one
 * value per entry, subcommand entries included (CLIENT LIST). */
enum cmd_engine {
    ENGINE_PLAIN = 0, /* the handler, where `route` says */
    /* ROUTE_CUSTOM whose keys span shards: the multi-step commands
     * (shards/multistep.c); any other ROUTE_CUSTOM gathers its keys */
    ENGINE_MSETNX,
    ENGINE_RENAME,
    ENGINE_RENAMENX,
    ENGINE_COPY,
    ENGINE_SCAN, /* keyless; the cursor names the shard */
    /* ROUTE_LOCAL that needs every shard's data */
    ENGINE_INFO,
    ENGINE_CLIENT_LIST,
    ENGINE_CLIENT_KILL,
    ENGINE_CLIENT_UNBLOCK,
    ENGINE_CLIENT_TRACKING, /* CLIENT TRACKING: may look for its REDIRECT and register prefixes on every shard */
    ENGINE_RESETSTAT,
    /* transaction control (shards/txn_exec.c) */
    ENGINE_MULTI,
    ENGINE_EXEC,
    ENGINE_DISCARD,
    ENGINE_WATCH,
    ENGINE_UNWATCH,
    ENGINE_RESET,
    /* cuts (CMD_CUT): which slot, and whether the reply waits */
    ENGINE_SAVE,
    ENGINE_BGSAVE,
    ENGINE_BGREWRITEAOF,
    /* Pub/Sub (shards/pubsub.c): subscriptions, PUBLISH, PUBSUB */
    ENGINE_PUBSUB,
    /* SORT/SORT_RO: BY/GET patterns naming keys on other shards gather
     * them behind the global barrier (shards/multistep.c, CUSTOM_SORT) */
    ENGINE_SORT,
    /* Scripting (shards/script.c): EVAL and its forms place the script */
    ENGINE_SCRIPT,
};

/* keynum_arg of XREAD/XREADGROUP: half of the arguments after STREAMS are keys. */
#define KEYNUM_STREAMS (-1)

enum cmd_route { ROUTE_LOCAL, ROUTE_KEYS, ROUTE_ALL, ROUTE_CUSTOM };

enum cmd_merge {
    MERGE_NONE,   /* single shard only */
    MERGE_SUM,    /* integer replies added (DEL, EXISTS, DBSIZE, TOUCH) */
    MERGE_OK,     /* +OK unless one shard replied an error (MSET, FLUSHALL) */
    MERGE_MGET,   /* elements re-ordered into argument order (MGET) */
    MERGE_CONCAT, /* arrays concatenated (KEYS) */
    MERGE_RANDOM, /* one non-null reply chosen at random (RANDOMKEY) */
    MERGE_CUSTOM, /* the dispatcher knows this command (INFO, CLIENT LIST ...) */
};

struct shard;
struct client;

/* Per-shard counters, owned by the shard thread; INFO gathers them with a
 * fan-out message, never by reading another thread's memory. */
struct shard_stats {
    uint64_t commands; /* commands run on this shard */
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
    uint64_t expired_keys; /* by the active cycle; lazy ones are in db */
    uint64_t evicted_keys; /* by maxmemory (core/types/evict.c) */
    uint64_t dirty;        /* writes since start (save rules later) */
    uint64_t hops_in;      /* sub-commands received from other threads */
    uint64_t hops_out;     /* sub-commands sent to other threads */
    uint64_t batches_in;
    uint64_t batches_out;
    /* transactions (shards/txn.h) */
    uint64_t txn_single_shard; /* multi-key commands and EXECs that ran in one hop on one shard */
    uint64_t txn_multi_shard;  /* transactions coordinated here that locked keys on several shards */
    uint64_t txn_global;       /* of those, global barriers (FLUSHALL, SWAPDB, ...) */
    uint64_t txn_ordered;      /* try-locks that failed, retried shard by shard in order */
    uint64_t txn_lock_waits;   /* requests on this shard that waited for a lock */
    uint64_t txn_watch_aborts; /* EXECs that returned nil because a watched key changed */
};

struct cmd_ctx {
    struct shard *shard; /* the executing shard */
    int shard_id;
    int nshards;
    struct db *db;   /* c->dbs[c->dbid] (or a temporary db) */
    struct db **dbs; /* every db of the executing shard */
    int ndbs;
    int dbid;
    int argc;
    const struct arg *argv; /* argv[0] is the command name */
    const uint64_t *hashes; /* key_hash(argv[i]) for key arguments, else 0 */
    struct buf *out;        /* where the reply goes */
    int resp;               /* 2 or 3 */
    int split;              /* MERGE_MGET part: write elements only */
    int64_t now_ms;         /* cached clock for this batch */
    struct shard_stats *stats;
    struct client *client; /* ROUTE_LOCAL only, else NULL */
    const struct command *cmd;
    struct watch_table *watches; /* the engine's WATCH versions, opaque here (NULL in unit tests) */
    const struct config *cfg;    /* the shard's config snapshot; NULL in unit tests: use ctx_config() */
    /* Blocking commands (BLPOP, BLMOVE, BZPOPMIN, BLMPOP ...): when `blocking`
     * is set and every key is empty, the handler writes no reply and sets
     * `blocked`; the shard parks the command and runs the handler again when
     * one of its keys receives data. When `blocking` is 0 (inside MULTI, or
     * the timeout ran out) the handler replies as Redis does on timeout. */
    int blocking; /* 2: the re-run of a parked waiter (shards/blocking.c) */
    int blocked;
    /* Bit i set when key_modified(c, i) was called for argument i < 64:
     * tells a cross-shard run which keys to write back and touch. */
    uint64_t modified;
    /* The engine's log of this run, opaque here (the append-only log of
     * persist/aof_log.h): set when this run's effects are to be recorded (a
     * real db of a logging shard), else NULL. A handler whose replay would
     * differ reports its effect itself (effect_log) and the command's argv
     * is then not recorded. */
    struct aof_shard *aof;
    int effect_logged;
};

typedef void cmd_handler(struct cmd_ctx *c);

struct command {
    const char *name; /* lower case */
    int arity;        /* Redis arity: >0 exact, <0 at least -arity */
    uint32_t flags;   /* enum cmd_flags */
    int first_key, last_key, key_step;
    const char *acl_categories; /* "@keyspace @read @fast" as COMMAND INFO shows */
    enum cmd_route route;
    enum cmd_merge merge;
    cmd_handler *handler;
    const char *summary; /* COMMAND DOCS */
    const char *since;
    const char *group;                 /* "string", "generic", "server", "connection" */
    const struct command *subcommands; /* terminated by an entry with name NULL */
    /* Movable keys given by a count (CMD_MOVABLE_KEYS): argv[keynum_arg] is
     * the number of keys, which follow it (ZUNIONSTORE dst 2 a b: first_key
     * 1..last_key 1 is the destination, keynum_arg 2). 0: no count. */
    int keynum_arg;         /* KEYNUM_STREAMS: the keys follow STREAMS (XREAD, XREADGROUP) */
    enum cmd_engine engine; /* ENGINE_PLAIN unless the dispatcher does more */
    /* Movable keys found by reading the arguments (GEORADIUS ... STORE,
     * SORT ... STORE): fills idx with at most max positions, returns how
     * many. NULL: first_key..last_key (and keynum_arg). */
    int (*getkeys)(int argc, const struct arg *argv, int *idx, int max);
};

/* The table, terminated by an entry whose name is NULL. Written only by
 * command_bind_handler at start-up; read-only after. */
extern struct command command_table[];
/* Case-insensitive lookup; NULL when unknown. */
const struct command *command_lookup(const char *name, size_t len);
const struct command *command_lookup_sub(const struct command *parent, const char *name, size_t len);
int command_count(void);
/* INFO commandstats slots: every command (its command_table index) and
 * every subcommand (after all commands). command_sub_stat_index is the slot
 * of cmd's subcommand named by subname (cmd's own slot when unknown);
 * command_stat_name writes "get" or "client|list". */
int command_stat_count(void);
int command_sub_stat_index(const struct command *cmd, const struct arg *subname);
size_t command_stat_name(int idx, char *buf, size_t size);
/* Key argument positions of argv for cmd (honours movable keys); writes up to
 * max indexes into idx and returns the count. */
int command_key_positions(const struct command *cmd, int argc, const struct arg *argv, int *idx, int max);
/* ACL: the key specs of cmd (a subcommand of parent, or parent NULL): where
 * each begins (argument index) and what it does to its keys: bit 0 read
 * (the value is accessed), bit 1 write (insert, delete or update), as
 * Redis 7's ACL derives %R/%W permissions; bit 2: the flags depend on the
 * arguments (SET ... GET, BITFIELD). Returns the number of specs. */
int command_key_specs_rw(const struct command *cmd, const struct command *parent, int *index, int *rw, int max);
/* True when argc satisfies the arity. */
static inline int command_arity_ok(const struct command *cmd, int argc)
{
    return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/* ---- the change hook: how a command's effects reach the engine ----
 *
 * THE one place where "key K changed by command C" is reported. Handlers
 * never call the log, WATCH or eviction code: they report through the
 * context (key_modified, keys_flushed, effect_log and the effect_* helpers
 * below, effect_log_command after the run), and core/commands forwards each
 * report to the operations the engine installed once at start-up
 * (shards/engine_hooks.c: log records, WATCH touches). Keyspace
 * notifications, replication and client tracking hang on the same calls.
 *
 * Threads: the operations run on the thread that runs the handler (the
 * shard owning c->db), synchronously, before the handler continues.
 * Invariants: installed before any command runs and never changed after;
 * every member may be NULL (pure unit tests install nothing: the reports
 * then only count dirty and set c->modified). Cost on the hot path: one
 * indirect call per modified key. c->aof and c->watches are the engine's
 * opaque state for this run; core/commands only tests c->aof for NULL to
 * skip building effect records nobody records. */
struct cmd_engine_ops {
    /* argv[argi] of db c->dbid was changed by c->cmd (after dirty counted). */
    void (*key_changed)(struct cmd_ctx *c, int argi);
    /* FLUSHDB (dbid), FLUSHALL (dbid -1), SWAPDB (dbid and other). */
    void (*keys_flushed)(struct cmd_ctx *c, int dbid, int other);
    /* One effect record of the running command in db c->dbid (called only
     * when c->aof is set): argv[0..argc) with their lengths. */
    void (*effect)(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens);
    /* The command changed data and logged no effect of its own: its argv
     * (c->argc, c->argv) is its effect (called only when c->aof is set). */
    void (*command_effect)(struct cmd_ctx *c);
    /* One keyspace event (notify-keyspace-events) raised by the running
     * command: class `type` (one NOTIFY_* bit of config.h), Redis's event
     * name, the key and its db. Called only when the class is enabled in
     * ctx_config(c) (and K or E is, as Redis publishes nothing otherwise). */
    void (*notify)(struct cmd_ctx *c, int type, const char *event, const char *key, size_t klen, int dbid);
};
/* Installs ops (copied). Start-up only; NULL uninstalls (unit tests). */
void command_engine_install(const struct cmd_engine_ops *ops);

/* ---- helpers for handlers (core/commands/command.c) ---- */

/* The hash of the key argument argi: the dispatcher's (c->hashes), or
 * computed when it did not hash that argument, so an entry is always
 * created and deleted under the hash it is found by. */
uint64_t arg_key_hash(const struct cmd_ctx *c, int argi);
/* Deletes the key at argument argi from c->db if it exists (a big value
 * goes to the lazyfree thread when lazyfree-lazy-server-del says so);
 * returns 1 when it did. */
int delete_key_arg(struct cmd_ctx *c, int argi);

/* Lookups with lazy expiry. lookup_read counts keyspace hits/misses and
 * refreshes the LRU clock; lookup_write only expires. argi is the argument
 * index of the key; its hash is c->hashes[argi]. */
struct db_entry *lookup_read(struct cmd_ctx *c, int argi);
/* lookup_read without the "keymiss" keyspace event (OBJECT, as Redis's
 * LOOKUP_NONOTIFY); lookup_read raises it on a miss. */
struct db_entry *lookup_read_nonotify(struct cmd_ctx *c, int argi);
struct db_entry *lookup_write(struct cmd_ctx *c, int argi);
/* Same for a key in another db of this shard (MOVE, COPY DB). */
struct db_entry *lookup_write_db(struct cmd_ctx *c, struct db *db, int argi);
/* Called by every handler after it changed the key at argi: counts dirty,
 * sets the argument's bit in c->modified and reports the change to the
 * engine (key_changed of the change hook above: WATCH versions today). */
void key_modified(struct cmd_ctx *c, int argi);
/* FLUSHDB (dbid), FLUSHALL (dbid -1), SWAPDB (dbid and other), reported to
 * the engine (keys_flushed of the change hook): every watched key of those
 * dbs that exists in one of them counts as modified, as in Redis (a watched
 * key that does not exist, or has expired, is not touched). */
void keys_flushed(struct cmd_ctx *c, int dbid, int other);

/* ---- keyspace events (docs/architecture.md "Keyspace events") ----
 * A handler raises the event Redis 7.0 raises, in Redis's order, right after
 * the change: notify_keyspace_event(c, NOTIFY_LIST, "lpush", 1) for the key
 * argv[argi] of db c->dbid, notify_keyspace_event_key for a key that is not
 * an argument or lives in another db (MOVE, COPY ... DB). When no engine
 * operation is installed or the class is not enabled, nothing happens. */
static inline int notify_class_enabled(int flags, int type)
{
    return (flags & type) && (flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT));
}
/* Out of line: hands an enabled event to the engine's operation, if any. */
void notify_keyspace_event_raise(struct cmd_ctx *c, int type, const char *event, const char *key, size_t klen,
                                 int dbid);
/* The default config enables nothing, so a context without cfg raises
 * nothing: a disabled class costs the test of c->cfg and one branch. */
static inline void notify_keyspace_event_key(struct cmd_ctx *c, int type, const char *event, const char *key,
                                             size_t klen, int dbid)
{
    if (c->cfg && notify_class_enabled(c->cfg->notify_keyspace_events, type))
        notify_keyspace_event_raise(c, type, event, key, klen, dbid);
}
static inline void notify_keyspace_event(struct cmd_ctx *c, int type, const char *event, int argi)
{
    if (c->cfg && notify_class_enabled(c->cfg->notify_keyspace_events, type))
        notify_keyspace_event_raise(c, type, event, c->argv[argi].ptr, c->argv[argi].len, c->dbid);
}

/* Logs argv as the effect of the running command instead of the command
 * itself (several calls log several records; none at all: effect_none).
 * Free when nothing is logged. */
void effect_log(struct cmd_ctx *c, int argc, const char *const *argv, const size_t *lens);
static inline void effect_none(struct cmd_ctx *c)
{
    c->effect_logged = 1;
}
/* The key at argi as it is now, for expiry changes: PEXPIREAT key ms,
 * PERSIST key, or DEL key when it is gone. */
void effect_key_expiry(struct cmd_ctx *c, int argi);
/* SET key value PXAT when (a relative expiry made absolute). */
void effect_set_pxat(struct cmd_ctx *c, int argi, const char *val, size_t len, int64_t when);
/* After a handler ran: logs its argv when it changed data (the dirty count
 * moved from dirty_before) and it logged no effect of its own. */
void effect_log_command(struct cmd_ctx *c, uint64_t dirty_before);

/* The configuration the handler runs under (defaults when c->cfg is NULL). */
const struct config *ctx_config(const struct cmd_ctx *c);

/* Parses a blocking command's timeout argument (seconds, fractional allowed)
 * into milliseconds (0 = forever). On a bad value replies Redis's error
 * ("ERR timeout is not a float or out of range", "ERR timeout is negative")
 * and returns 0. */
int arg_timeout_or_reply(struct cmd_ctx *c, int argi, long long *timeout_ms);
/* Same check without a context (the dispatcher computes the deadline);
 * returns NULL or the error text. */
const char *parse_block_timeout(const struct arg *a, long long *timeout_ms);

/* HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT count], parsed as
 * Redis 7.0 does, in its order: the cursor first (scan_cursor_or_reply:
 * strtoul rules, "ERR invalid cursor"), then the key and its type, then the
 * options (scan_match_count_or_reply from argument `first`: COUNT < 1 is a
 * syntax error; *match is NULL for no pattern or "*"). scan_options_or_reply
 * does cursor (argv[2]) and options together. Each replies the error and
 * returns 0 on failure. */
struct scan_options {
    unsigned long long cursor;
    const char *match;
    size_t match_len;
    long long count;
};
int scan_cursor_or_reply(struct cmd_ctx *c, int argi, unsigned long long *cursor);
int scan_match_count_or_reply(struct cmd_ctx *c, int first, struct scan_options *o);
int scan_options_or_reply(struct cmd_ctx *c, struct scan_options *o);

/* Argument parsing that replies the Redis error and returns 0 on failure. */
int arg_ll_or_reply(struct cmd_ctx *c, int argi, long long *v, const char *errmsg /* NULL: ERR_NOT_INTEGER */);
int arg_double_or_reply(struct cmd_ctx *c, int argi, double *v, const char *errmsg /* NULL: ERR_NOT_FLOAT */);
int arg_ld_or_reply(struct cmd_ctx *c, int argi, long double *v, const char *errmsg);

/* Replies "-ERR wrong number of arguments for '<name>' command". */
void reply_wrong_arity(struct buf *out, const char *name, size_t len);

/* ---- blocking stream reads (XREAD/XREADGROUP ... BLOCK ms), for the engine ----
 * xread_block_timeout: -1 without a BLOCK option (the command does not
 * block), 0 when its value is invalid (the handler replies the error), 1
 * with *ms set (0 = forever).
 * xread_pin_last_ids: replaces every '$' id of an XREAD by the last id its
 * stream has in db now ("0-0" for a missing key), as Redis resolves '$'
 * when the client blocks; the new bytes go to `storage` (at least
 * XREAD_PIN_BYTES * argc bytes, owned by the caller and kept as long as
 * argv). Returns how many it replaced.
 * xread_key_ready: 1 when the stream e (the key key/klen of the command
 * argv) has something for the blocked command: an entry above its id, or
 * for XREADGROUP an entry above its group's last id, or no group at all. */
#define XREAD_PIN_BYTES 48
int xread_block_timeout(int argc, const struct arg *argv, long long *ms);
int xread_pin_last_ids(struct db *db, int64_t now, int argc, struct arg *argv, char *storage);
int xread_key_ready(const struct db_entry *e, int argc, const struct arg *argv, const char *key, size_t klen);

/* ---- handlers, one per command, grouped by file ---- */
/* core/commands/cmd_string.c */
cmd_handler cmd_set, cmd_get, cmd_getset, cmd_getdel, cmd_getex, cmd_setnx, cmd_setex, cmd_psetex, cmd_mset, cmd_msetnx,
    cmd_mget, cmd_append, cmd_strlen, cmd_getrange, cmd_setrange, cmd_incr, cmd_decr, cmd_incrby, cmd_decrby,
    cmd_incrbyfloat, cmd_lcs;
/* core/commands/cmd_bitops.c */
cmd_handler cmd_setbit, cmd_getbit, cmd_bitcount, cmd_bitpos, cmd_bitop, cmd_bitfield, cmd_bitfield_ro;
/* core/commands/cmd_hll.c */
cmd_handler cmd_pfadd, cmd_pfcount, cmd_pfmerge, cmd_pfdebug, cmd_pfselftest;
/* core/commands/cmd_keys.c */
cmd_handler cmd_del, cmd_exists, cmd_type, cmd_rename, cmd_renamenx, cmd_copy, cmd_move, cmd_keys, cmd_scan,
    cmd_randomkey, cmd_dbsize, cmd_touch, cmd_flushdb, cmd_flushall, cmd_swapdb, cmd_object, cmd_expire, cmd_pexpire,
    cmd_expireat, cmd_pexpireat, cmd_ttl, cmd_pttl, cmd_expiretime, cmd_pexpiretime, cmd_persist;
/* core/commands/cmd_list.c */
cmd_handler cmd_lpush, cmd_rpush, cmd_lpushx, cmd_rpushx, cmd_lpop, cmd_rpop, cmd_llen, cmd_lrange, cmd_lindex,
    cmd_lset, cmd_linsert, cmd_lrem, cmd_ltrim, cmd_lpos, cmd_lmove, cmd_rpoplpush, cmd_lmpop, cmd_blpop, cmd_brpop,
    cmd_blmove, cmd_brpoplpush, cmd_blmpop;
/* core/commands/cmd_hash.c */
cmd_handler cmd_hset, cmd_hsetnx, cmd_hget, cmd_hmset, cmd_hmget, cmd_hdel, cmd_hlen, cmd_hstrlen, cmd_hexists,
    cmd_hkeys, cmd_hvals, cmd_hgetall, cmd_hincrby, cmd_hincrbyfloat, cmd_hrandfield, cmd_hscan;
/* core/commands/cmd_set.c */
cmd_handler cmd_sadd, cmd_srem, cmd_smembers, cmd_sismember, cmd_smismember, cmd_scard, cmd_spop, cmd_srandmember,
    cmd_smove, cmd_sinter, cmd_sintercard, cmd_sinterstore, cmd_sunion, cmd_sunionstore, cmd_sdiff, cmd_sdiffstore,
    cmd_sscan;
/* core/commands/cmd_zset.c */
cmd_handler cmd_zadd, cmd_zrem, cmd_zscore, cmd_zmscore, cmd_zincrby, cmd_zcard, cmd_zcount, cmd_zlexcount, cmd_zrange,
    cmd_zrangebyscore, cmd_zrevrangebyscore, cmd_zrangebylex, cmd_zrevrangebylex, cmd_zrevrange, cmd_zrangestore,
    cmd_zrank, cmd_zrevrank, cmd_zpopmin, cmd_zpopmax, cmd_zmpop, cmd_bzpopmin, cmd_bzpopmax, cmd_bzmpop,
    cmd_zrandmember, cmd_zunion, cmd_zinter, cmd_zdiff, cmd_zunionstore, cmd_zinterstore, cmd_zdiffstore,
    cmd_zintercard, cmd_zremrangebyscore, cmd_zremrangebyrank, cmd_zremrangebylex, cmd_zscan;
/* core/commands/cmd_geo.c */
cmd_handler cmd_geoadd, cmd_geopos, cmd_geodist, cmd_geohash, cmd_georadius, cmd_georadiusbymember, cmd_georadius_ro,
    cmd_georadiusbymember_ro, cmd_geosearch, cmd_geosearchstore;
/* GEORADIUS(BYMEMBER)'s keys: the source and the STORE/STOREDIST key. */
int geo_radius_keys(int argc, const struct arg *argv, int *idx, int max);
/* core/commands/cmd_sort.c */
cmd_handler cmd_sort, cmd_sort_ro;
/* SORT's keys: the source and the STORE key. */
int sort_command_keys(int argc, const struct arg *argv, int *idx, int max);
/* Whether BY or GET name other keys through a pattern (with '*') that may
 * live on another shard than the source (a pattern whose fixed prefix
 * carries the source's hash tag does not), which the dispatcher must then
 * gather behind the global barrier. */
int sort_needs_pattern_keys(int argc, const struct arg *argv);
/* Calls fn for the name of every key the BY/GET patterns of this SORT name
 * for the elements of src (the same name may come several times). Nothing
 * when src is missing or not sortable, or the options are invalid. */
typedef void sort_key_fn(void *priv, const char *key, size_t len);
void sort_pattern_keys(int argc, const struct arg *argv, struct db_entry *src, sort_key_fn *fn, void *priv);
/* For a user who may not read every key: replies Redis's "BY/GET option of
 * SORT denied due to insufficient ACL permissions." (or the parse error
 * that comes first) and returns 0 when the SORT must be refused. */
int sort_access_or_reply(int argc, const struct arg *argv, struct buf *out);

/* core/commands/cmd_stream.c */
cmd_handler cmd_xadd, cmd_xlen, cmd_xrange, cmd_xrevrange, cmd_xdel, cmd_xtrim, cmd_xread, cmd_xreadgroup, cmd_xsetid,
    cmd_xgroup, cmd_xack, cmd_xpending, cmd_xclaim, cmd_xautoclaim, cmd_xinfo;
/* core/commands/cmd_multi.c (the dispatcher carries these out) and
 * core/commands/command.c (COMMAND) */
cmd_handler cmd_multi, cmd_exec, cmd_discard, cmd_watch, cmd_unwatch, cmd_command;

/* Engine commands: their handlers live above core/commands (shards/
 * cmd_server.c, shards/cmd_info.c, security/acl.c), so the table names them without linking
 * them; the engine binds them at start-up (shards/engine_commands.c). Until
 * then such an entry's handler is NULL. */
/* Sets the handler of the command `name` and of each of its subcommands
 * that has none yet. Returns 0 when no such command exists. Start-up only,
 * before any thread reads the table. */
int command_bind_handler(const char *name, cmd_handler *handler);

#endif
