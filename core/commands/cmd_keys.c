/*
 * cmd_keys.c - the generic keyspace commands: DEL, EXISTS, TYPE, OBJECT,
 * RENAME, COPY, MOVE, KEYS, SCAN, RANDOMKEY, DBSIZE, TOUCH, FLUSHDB,
 * FLUSHALL, SWAPDB and the expiry family (EXPIRE ... PERSIST, TTL ...).
 *
 * Every handler runs on the shard thread that owns the keys it is given and
 * sees only that shard's databases (c->dbs). Commands that span shards are
 * split or fanned out by the dispatcher (see command.h), so here:
 *   - DEL, EXISTS, TOUCH and DBSIZE answer for this shard's part; the
 *     dispatcher sums the integers.
 *   - KEYS answers a complete array of this shard's matches; the dispatcher
 *     concatenates the arrays. RANDOMKEY answers one of this shard's keys or
 *     nil; the dispatcher picks among the non-nil answers.
 *   - SCAN cursors carry the shard in their low SCAN_SHARD_BITS bits and the
 *     db_scan cursor above them. When this shard's table is exhausted the
 *     reply hands over to the next shard with cursor (0 << bits | shard + 1),
 *     and the last shard answers "0".
 *   - RENAME, RENAMENX, COPY and MOVE run here only when both keys live on
 *     this shard; the dispatcher drives the cross-shard case itself.
 *
 * Invariants the handlers keep: "now" is c->now_ms for the whole command (a
 * key does not expire half-way through one); every change to a key argument
 * is followed by key_modified() on that argument; a key whose expire_at is in
 * the past is never reported as existing, even while it is still linked in a
 * table (KEYS, SCAN and RANDOMKEY see such entries and filter them).
 */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/evict.h"
#include "core/types/lazyfree.h"
#include "core/types/object.h"

#define ERR_SAME_OBJECT "ERR source and destination objects are the same"
#define ERR_INT_RANGE "ERR value is out of range, value must between -2147483648 and 2147483647"
#define ERR_LFU_NOT_SELECTED                                                                                           \
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching "      \
    "between policies at runtime LRU and LFU data will take some time to adjust."
#define ERR_LRU_NOT_SELECTED                                                                                           \
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between "         \
    "policies at runtime LRU and LFU data will take some time to adjust."

/* ---------------- small helpers ---------------- */

static int entry_is_expired(const struct db_entry *e, int64_t now_ms)
{
    return e->expire_at != 0 && e->expire_at <= now_ms;
}

static int args_equal(const struct arg *a, const struct arg *b)
{
    return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
}

/* Counts writes that have no single key argument (FLUSHDB, SWAPDB). */
static void count_dirty(struct cmd_ctx *c, uint64_t n)
{
    if (c->stats)
        c->stats->dirty += n;
}

/* key_modified() for a key of another db of this shard (MOVE, COPY DB): the
 * helper looks at c->db / c->dbid, so point them at that db for the call. */
static void key_modified_in_db(struct cmd_ctx *c, int argi, int dbid)
{
    struct db *saved_db = c->db;
    int saved_dbid = c->dbid;
    c->db = c->dbs[dbid];
    c->dbid = dbid;
    key_modified(c, argi);
    c->db = saved_db;
    c->dbid = saved_dbid;
}

/*
 * lookup_read() without refreshing the key's LRU clock, as Redis's
 * LOOKUP_NOTOUCH: TYPE, EXISTS, TTL and OBJECT must not make a key look
 * recently used (OBJECT IDLETIME would always say 0). The hit/miss counting
 * and lazy expiry of lookup_read() still happen, and the "keymiss" event
 * unless notify_miss is 0 (OBJECT).
 */
static struct db_entry *lookup_read_notouch_generic(struct cmd_ctx *c, int argi, int notify_miss)
{
    const struct arg *key = &c->argv[argi];
    struct db_entry *before = db_find(c->db, arg_key_hash(c, argi), key->ptr, key->len);
    uint32_t lru = before ? before->lru : 0;
    struct db_entry *e = notify_miss ? lookup_read(c, argi) : lookup_read_nonotify(c, argi);
    if (e && e == before)
        e->lru = lru;
    return e;
}

static struct db_entry *lookup_read_notouch(struct cmd_ctx *c, int argi)
{
    return lookup_read_notouch_generic(c, argi, 1);
}

/*
 * Parses a DB index argument as Redis's getIntFromObjectOrReply() does
 * (not_int_msg for non-integers, NULL meaning ERR_NOT_INTEGER; values
 * outside int get Redis's range message unless not_int_msg is given) and
 * checks it names one of this shard's dbs. Replies and returns 0 on failure.
 */
static int arg_db_index_or_reply(struct cmd_ctx *c, int argi, const char *not_int_msg, int *dbid)
{
    long long v;
    if (!arg_ll_or_reply(c, argi, &v, not_int_msg))
        return 0;
    if (v < INT_MIN || v > INT_MAX) {
        reply_error(c->out, not_int_msg ? not_int_msg : ERR_INT_RANGE);
        return 0;
    }
    if (v < 0 || v >= c->ndbs) {
        reply_error(c->out, ERR_DB_INDEX);
        return 0;
    }
    *dbid = (int)v;
    return 1;
}

/* A growable array of entry pointers, for replies whose length is only known
 * once the table has been walked (KEYS, SCAN). The entries are borrowed: the
 * table must not change while the array is in use. */
struct entry_list {
    struct db_entry **items;
    size_t count, cap;
};

static void entry_list_push(struct entry_list *l, struct db_entry *e)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct db_entry **p = realloc(l->items, cap * sizeof(*p));
        if (!p) {
            fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", cap * sizeof(*p));
            abort();
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = e;
}

static void entry_list_reply_keys(struct buf *out, const struct entry_list *l)
{
    reply_array(out, (long long)l->count);
    for (size_t i = 0; i < l->count; i++)
        reply_bulk(out, l->items[i]->key, l->items[i]->key_len);
}

/*
 * Renames an unlinked entry in place: the block is realloc'd to the new key
 * length and the inline value bytes (EMBSTR, the only encoding that has
 * any, see object.h) are moved behind the new key. The value itself is not
 * copied, so renaming a large RAW string (or, later, a collection) costs the
 * same as renaming a small one; entry_dup_with_key would deep-copy it. The
 * expiry and the lru stay, as Redis keeps the object on RENAME. Returns the
 * entry's new address.
 */
static struct db_entry *entry_rekey(struct db_entry *e, uint64_t hash, const char *key, size_t klen)
{
    size_t inline_len = e->type == OBJ_STRING && e->encoding == ENC_EMBSTR ? e->val_len : 0;
    size_t size = offsetof(struct db_entry, key) + klen + inline_len;
    if (klen < e->key_len && inline_len)
        memmove(e->key + klen, e->key + e->key_len, inline_len);
    struct db_entry *moved = realloc(e, size ? size : 1);
    if (!moved) {
        fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", size);
        abort();
    }
    if (klen > moved->key_len && inline_len)
        memmove(moved->key + klen, moved->key + moved->key_len, inline_len);
    memcpy(moved->key, key, klen);
    moved->key_len = (uint32_t)klen;
    moved->hash = hash;
    return moved;
}

/* RENAME's core: the linked entry of the key at src_argi becomes the key at
 * dst_argi (which must be absent) in the same db. */
static void rename_entry(struct cmd_ctx *c, int src_argi, int dst_argi)
{
    const struct arg *src = &c->argv[src_argi], *dst = &c->argv[dst_argi];
    struct db_entry *e = db_unlink(c->db, arg_key_hash(c, src_argi), src->ptr, src->len);
    db_insert(c->db, entry_rekey(e, arg_key_hash(c, dst_argi), dst->ptr, dst->len));
}

/* ---------------- DEL, UNLINK, EXISTS, TOUCH, TYPE ---------------- */

/* DEL key [key ...] and UNLINK: values are small enough to free inline. A key
 * given twice is deleted (and counted) once. */
/* DEL and UNLINK: UNLINK (and DEL with lazyfree-lazy-user-del) hands big
 * values to the lazyfree thread; the keys are gone at once either way. */
void cmd_del(struct cmd_ctx *c)
{
    int lazy = (c->cmd && !strcmp(c->cmd->name, "unlink")) || ctx_config(c)->lazyfree_lazy_user_del;
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        if (!lookup_write(c, j))
            continue;
        struct db_entry *e = db_unlink(c->db, arg_key_hash(c, j), c->argv[j].ptr, c->argv[j].len);
        if (e) {
            if (lazy)
                lazyfree_entry(e);
            else
                entry_free(e);
            key_modified(c, j);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", j);
            deleted++;
        }
    }
    reply_integer(c->out, deleted);
}

/* EXISTS key [key ...]: a key given twice counts twice. */
void cmd_exists(struct cmd_ctx *c)
{
    long long found = 0;
    for (int j = 1; j < c->argc; j++)
        if (lookup_read_notouch(c, j))
            found++;
    reply_integer(c->out, found);
}

/* TOUCH key [key ...]: like EXISTS, but refreshes the access time. */
void cmd_touch(struct cmd_ctx *c)
{
    long long touched = 0;
    for (int j = 1; j < c->argc; j++)
        if (lookup_read(c, j))
            touched++;
    reply_integer(c->out, touched);
}

void cmd_type(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read_notouch(c, 1);
    reply_simple(c->out, e ? entry_type_name(e) : "none");
}

/* ---------------- OBJECT ---------------- */

static const char *const object_help[] = {
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
};

/* Redis shares one immortal object (refcount INT_MAX) for every integer
 * value in [0, 10000) unless an LRU/LFU maxmemory policy needs a clock per
 * key; other values have refcount 1. Our ENC_INT values live inside the
 * entry and have no object at all, so we answer what Redis would for the
 * same value and config. */
#define SHARED_INTEGERS 10000
#define SHARED_REFCOUNT 2147483647LL

static long long object_refcount(const struct db_entry *e, const struct config *cfg)
{
    int policy = cfg->maxmemory_policy;
    int clock_per_key = policy != MAXMEMORY_NOEVICTION && policy != MAXMEMORY_ALLKEYS_RANDOM &&
                        policy != MAXMEMORY_VOLATILE_RANDOM && policy != MAXMEMORY_VOLATILE_TTL;
    if (e->type == OBJ_STRING && e->encoding == ENC_INT && e->v.i >= 0 && e->v.i < SHARED_INTEGERS &&
        (cfg->maxmemory == 0 || !clock_per_key))
        return SHARED_REFCOUNT;
    return 1;
}

/*
 * OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key, OBJECT HELP. Subcommand names
 * and arities are checked here too (not only by the dispatcher), with the
 * errors Redis gives for container commands. Missing keys answer nil.
 */
void cmd_object(struct cmd_ctx *c)
{
    static const char *const keyed[] = {"encoding", "refcount", "idletime", "freq"};
    const struct arg *sub = &c->argv[1];

    if (arg_is(sub, "help")) {
        if (c->argc != 2) {
            reply_wrong_arity(c->out, "object|help", strlen("object|help"));
            return;
        }
        size_t n = sizeof(object_help) / sizeof(object_help[0]);
        reply_array(c->out, (long long)n);
        for (size_t i = 0; i < n; i++)
            reply_simple(c->out, object_help[i]);
        return;
    }

    int which = -1;
    for (int i = 0; i < 4; i++)
        if (arg_is(sub, keyed[i]))
            which = i;
    if (which < 0) {
        int shown = sub->len > 128 ? 128 : (int)sub->len;
        reply_errorf(c->out, "ERR unknown subcommand '%.*s'. Try OBJECT HELP.", shown, sub->ptr);
        return;
    }
    if (c->argc != 3) {
        char name[32];
        int len = snprintf(name, sizeof(name), "object|%s", keyed[which]);
        reply_wrong_arity(c->out, name, (size_t)len);
        return;
    }

    struct db_entry *e = lookup_read_notouch_generic(c, 2, 0); /* no "keymiss": Redis's LOOKUP_NONOTIFY */
    if (!e) {
        reply_null(c->out, c->resp);
        return;
    }
    switch (which) {
    case 0:
        reply_bulk_cstr(c->out, entry_object_encoding(e));
        break;
    case 1:
        reply_integer(c->out, object_refcount(e, ctx_config(c)));
        break;
    case 2:
        if (evict_policy_is_lfu(ctx_config(c)->maxmemory_policy))
            reply_error(c->out, ERR_LRU_NOT_SELECTED);
        else
            reply_integer(c->out, entry_idle_seconds(e, c->now_ms));
        break;
    default:
        if (evict_policy_is_lfu(ctx_config(c)->maxmemory_policy))
            reply_integer(c->out, evict_lfu_counter(e, ctx_config(c), c->now_ms));
        else
            reply_error(c->out, ERR_LFU_NOT_SELECTED);
        break;
    }
}

/* ---------------- RENAME, RENAMENX, COPY, MOVE ---------------- */

/* RENAME / RENAMENX src dst, both keys on this shard. The TTL travels with
 * the value; an existing dst (RENAME) is replaced together with its TTL. */
static void rename_generic(struct cmd_ctx *c, int nx)
{
    int same_key = args_equal(&c->argv[1], &c->argv[2]);

    if (!lookup_write(c, 1)) {
        reply_error(c->out, ERR_NO_SUCH_KEY);
        return;
    }
    if (same_key) {
        if (nx)
            reply_integer(c->out, 0);
        else
            reply_ok(c->out);
        return;
    }
    if (lookup_write(c, 2)) {
        if (nx) {
            reply_integer(c->out, 0);
            return;
        }
        db_delete(c->db, arg_key_hash(c, 2), c->argv[2].ptr, c->argv[2].len);
    }
    rename_entry(c, 1, 2);
    key_modified(c, 1);
    key_modified(c, 2);
    /* Redis adds the destination anew (even over a key it replaced) */
    notify_keyspace_event(c, NOTIFY_NEW, "new", 2);
    notify_keyspace_event(c, NOTIFY_GENERIC, "rename_from", 1);
    notify_keyspace_event(c, NOTIFY_GENERIC, "rename_to", 2);
    if (nx)
        reply_integer(c->out, 1);
    else
        reply_ok(c->out);
}

void cmd_rename(struct cmd_ctx *c)
{
    rename_generic(c, 0);
}

void cmd_renamenx(struct cmd_ctx *c)
{
    rename_generic(c, 1);
}

/* COPY source destination [DB destination-db] [REPLACE] */
void cmd_copy(struct cmd_ctx *c)
{
    int dst_dbid = c->dbid, replace = 0;
    for (int j = 3; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "replace")) {
            replace = 1;
        } else if (arg_is(&c->argv[j], "db") && j + 1 < c->argc) {
            if (!arg_db_index_or_reply(c, j + 1, NULL, &dst_dbid))
                return;
            j++;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    struct db *dst_db = dst_dbid == c->dbid ? c->db : c->dbs[dst_dbid];
    if (dst_db == c->db && args_equal(&c->argv[1], &c->argv[2])) {
        reply_error(c->out, ERR_SAME_OBJECT);
        return;
    }

    struct db_entry *src = lookup_read(c, 1);
    if (!src) {
        reply_integer(c->out, 0);
        return;
    }
    const struct arg *dst = &c->argv[2];
    struct db_entry *existing = dst_db == c->db ? lookup_write(c, 2) : lookup_write_db(c, dst_db, 2);
    if (existing) {
        if (!replace) {
            reply_integer(c->out, 0);
            return;
        }
        db_delete(dst_db, arg_key_hash(c, 2), dst->ptr, dst->len);
    }
    struct db_entry *copy = entry_dup_with_key(src, arg_key_hash(c, 2), dst->ptr, dst->len);
    copy->lru = evict_new_lru(c->now_ms); /* a new object, as in Redis */
    db_insert(dst_db, copy);
    if (dst_db == c->db)
        key_modified(c, 2);
    else
        key_modified_in_db(c, 2, dst_dbid);
    notify_keyspace_event_key(c, NOTIFY_NEW, "new", dst->ptr, dst->len, dst_dbid);
    notify_keyspace_event_key(c, NOTIFY_GENERIC, "copy_to", dst->ptr, dst->len, dst_dbid);
    reply_integer(c->out, 1);
}

/* MOVE key db: the entry itself moves (same key, same hash), so nothing is
 * copied. */
void cmd_move(struct cmd_ctx *c)
{
    int dst_dbid;
    if (!arg_db_index_or_reply(c, 2, NULL, &dst_dbid))
        return;
    struct db *dst_db = c->dbs[dst_dbid];
    if (dst_db == c->db) {
        reply_error(c->out, ERR_SAME_OBJECT);
        return;
    }
    if (!lookup_write(c, 1) || lookup_write_db(c, dst_db, 1)) {
        reply_integer(c->out, 0);
        return;
    }
    struct db_entry *e = db_unlink(c->db, arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len);
    db_insert(dst_db, e);
    key_modified(c, 1);
    key_modified_in_db(c, 1, dst_dbid);
    const struct arg *k = &c->argv[1];
    notify_keyspace_event_key(c, NOTIFY_NEW, "new", k->ptr, k->len, dst_dbid);
    notify_keyspace_event(c, NOTIFY_GENERIC, "move_from", 1);
    notify_keyspace_event_key(c, NOTIFY_GENERIC, "move_to", k->ptr, k->len, dst_dbid);
    reply_integer(c->out, 1);
}

/* ---------------- KEYS, SCAN, RANDOMKEY, DBSIZE ---------------- */

struct keys_walk {
    struct entry_list found;
    const char *pattern;
    size_t pattern_len;
    int match_all;
    int64_t now_ms;
};

static void keys_visit(void *priv, void *entry)
{
    struct db_entry *e = entry;
    struct keys_walk *w = priv;
    if (entry_is_expired(e, w->now_ms))
        return;
    if (!w->match_all && !stringmatchlen(w->pattern, w->pattern_len, e->key, e->key_len, 0))
        return;
    entry_list_push(&w->found, e);
}

/* KEYS pattern: every live matching key of this shard's c->db. Expired keys
 * are skipped, not deleted, because the table must not change mid-walk. */
void cmd_keys(struct cmd_ctx *c)
{
    struct keys_walk w = {
        .pattern = c->argv[1].ptr,
        .pattern_len = c->argv[1].len,
        .match_all = c->argv[1].len == 1 && c->argv[1].ptr[0] == '*',
        .now_ms = c->now_ms,
    };
    uint64_t cursor = 0;
    do {
        cursor = db_scan(c->db, cursor, keys_visit, &w);
    } while (cursor != 0);
    entry_list_reply_keys(c->out, &w.found);
    free(w.found.items);
}

struct scan_walk {
    struct entry_list found;
    size_t visited; /* entries seen, matching or not: what COUNT bounds */
    const char *pattern;
    size_t pattern_len;
    const struct arg *type;
    int64_t now_ms;
};

static void scan_visit(void *priv, void *entry)
{
    struct db_entry *e = entry;
    struct scan_walk *w = priv;
    w->visited++;
    if (entry_is_expired(e, w->now_ms))
        return;
    if (w->pattern && !stringmatchlen(w->pattern, w->pattern_len, e->key, e->key_len, 0))
        return;
    if (w->type && !arg_is(w->type, entry_type_name(e)))
        return;
    entry_list_push(&w->found, e);
}

/*
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 *
 * As in Redis, COUNT bounds the entries visited (before MATCH and TYPE
 * filter them), and at most COUNT*10 table steps are taken, so a sparse
 * table cannot make one call walk all of it. A cursor whose shard bits name
 * another shard (the dispatcher routes only valid ones) is treated as a
 * position in this shard's table.
 */
void cmd_scan(struct cmd_ctx *c)
{
    unsigned long long cursor;
    if (!string2ull(c->argv[1].ptr, c->argv[1].len, &cursor)) {
        reply_error(c->out, ERR_INVALID_CURSOR);
        return;
    }

    long long count = 10;
    struct scan_walk w = {.now_ms = c->now_ms};
    /* every option takes one value: the loop steps over both */
    for (int j = 2; j < c->argc; j += 2) {
        int has_value = j + 1 < c->argc;
        if (arg_is(&c->argv[j], "count") && has_value) {
            if (!arg_ll_or_reply(c, j + 1, &count, NULL))
                return;
            if (count < 1) {
                reply_error(c->out, ERR_SYNTAX);
                return;
            }
        } else if (arg_is(&c->argv[j], "match") && has_value) {
            const struct arg *p = &c->argv[j + 1];
            int match_all = p->len == 1 && p->ptr[0] == '*';
            w.pattern = match_all ? NULL : p->ptr;
            w.pattern_len = p->len;
        } else if (arg_is(&c->argv[j], "type") && has_value) {
            w.type = &c->argv[j + 1];
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }

    uint64_t local = cursor >> SCAN_SHARD_BITS;
    long long max_steps = count > LLONG_MAX / 10 ? LLONG_MAX : count * 10;
    do {
        local = db_scan(c->db, local, scan_visit, &w);
    } while (local != 0 && --max_steps > 0 && w.visited < (unsigned long long)count);

    unsigned long long next;
    if (local != 0)
        next = ((unsigned long long)local << SCAN_SHARD_BITS) | (unsigned long long)c->shard_id;
    else if (c->shard_id + 1 < c->nshards)
        next = (unsigned long long)(c->shard_id + 1);
    else
        next = 0;

    char tmp[LONG_STR_SIZE];
    int len = ull2string(tmp, sizeof(tmp), next);
    reply_array(c->out, 2);
    reply_bulk(c->out, tmp, (size_t)len);
    entry_list_reply_keys(c->out, &w.found);
    free(w.found.items);
}

/* RANDOMKEY: a random live key of this shard's c->db, or nil. Expired keys
 * met on the way are deleted (each try removes one, so this terminates). */
void cmd_randomkey(struct cmd_ctx *c)
{
    struct db_entry *e;
    while ((e = db_random(c->db)) != NULL) {
        if (!entry_is_expired(e, c->now_ms))
            break;
        db_find_live(c->db, e->hash, e->key, e->key_len, c->now_ms);
    }
    if (e)
        reply_bulk(c->out, e->key, e->key_len);
    else
        reply_null(c->out, c->resp);
}

/* DBSIZE counts linked entries, expired-but-not-yet-deleted ones included,
 * as Redis does. */
void cmd_dbsize(struct cmd_ctx *c)
{
    reply_integer(c->out, (long long)db_size(c->db));
}

/* ---------------- FLUSHDB, FLUSHALL, SWAPDB ---------------- */

/* [ASYNC|SYNC]: both free synchronously for now. Replies and returns 0 on a
 * bad option. */
/* FLUSHDB/FLUSHALL [ASYNC|SYNC]: 1 sync, 2 async (also without a flag when
 * lazyfree-lazy-user-flush is set), 0 after replying a syntax error. */
static int flush_options_ok(struct cmd_ctx *c)
{
    if (c->argc == 1)
        return ctx_config(c)->lazyfree_lazy_user_flush ? 2 : 1;
    if (c->argc == 2 && arg_is(&c->argv[1], "sync"))
        return 1;
    if (c->argc == 2 && arg_is(&c->argv[1], "async"))
        return 2;
    reply_error(c->out, ERR_SYNTAX);
    return 0;
}

static void flush_db(struct db *db, int mode)
{
    if (mode == 2)
        lazyfree_db_clear(db);
    else
        db_clear(db);
}

void cmd_flushdb(struct cmd_ctx *c)
{
    int mode = flush_options_ok(c);
    if (!mode)
        return;
    count_dirty(c, db_size(c->db));
    keys_flushed(c, c->dbid, -1);
    flush_db(c->db, mode);
    reply_ok(c->out);
}

void cmd_flushall(struct cmd_ctx *c)
{
    int mode = flush_options_ok(c);
    if (!mode)
        return;
    uint64_t removed = 0;
    keys_flushed(c, -1, -1);
    for (int i = 0; i < c->ndbs; i++) {
        removed += db_size(c->dbs[i]);
        flush_db(c->dbs[i], mode);
    }
    count_dirty(c, removed + 1);
    reply_ok(c->out);
}

/* SWAPDB index1 index2 on this shard's dbs (the dispatcher runs it on all). */
void cmd_swapdb(struct cmd_ctx *c)
{
    int a, b;
    if (!arg_db_index_or_reply(c, 1, "ERR invalid first DB index", &a) ||
        !arg_db_index_or_reply(c, 2, "ERR invalid second DB index", &b))
        return;
    if (a != b) {
        keys_flushed(c, a, b);
        db_swap(c->dbs[a], c->dbs[b]);
        count_dirty(c, 1);
    }
    reply_ok(c->out);
}

/* ---------------- EXPIRE family ---------------- */

enum expire_flags { EXPIRE_NX = 1 << 0, EXPIRE_XX = 1 << 1, EXPIRE_GT = 1 << 2, EXPIRE_LT = 1 << 3 };

/* Parses NX|XX|GT|LT from argv[3..]; replies and returns 0 on a bad one. */
static int expire_flags_or_reply(struct cmd_ctx *c, int *flags)
{
    for (int j = 3; j < c->argc; j++) {
        const struct arg *a = &c->argv[j];
        if (arg_is(a, "nx")) {
            *flags |= EXPIRE_NX;
        } else if (arg_is(a, "xx")) {
            *flags |= EXPIRE_XX;
        } else if (arg_is(a, "gt")) {
            *flags |= EXPIRE_GT;
        } else if (arg_is(a, "lt")) {
            *flags |= EXPIRE_LT;
        } else {
            reply_errorf(c->out, "ERR Unsupported option %.*s", (int)(a->len > 1024 ? 1024 : a->len), a->ptr);
            return 0;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c->out, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return 0;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(c->out, "ERR GT and LT options at the same time are not compatible");
        return 0;
    }
    return 1;
}

/* True when the conditions of `flags` allow replacing current (0 = no TTL,
 * which GT and LT treat as an infinite TTL) by `when`. */
static int expire_flags_allow(int flags, int64_t current, long long when)
{
    if ((flags & EXPIRE_NX) && current != 0)
        return 0;
    if ((flags & EXPIRE_XX) && current == 0)
        return 0;
    if ((flags & EXPIRE_GT) && (current == 0 || when <= current))
        return 0;
    if ((flags & EXPIRE_LT) && current != 0 && when >= current)
        return 0;
    return 1;
}

/*
 * EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT ...].
 * basetime is now for the relative forms, 0 for the absolute ones; unit_ms is
 * 1000 for seconds. A time at or before now deletes the key (answering 1).
 */
static void expire_generic(struct cmd_ctx *c, long long basetime, long long unit_ms, const char *name)
{
    int flags = 0;
    long long when;
    if (!expire_flags_or_reply(c, &flags) || !arg_ll_or_reply(c, 2, &when, NULL))
        return;
    if (unit_ms != 1) {
        if (when > LLONG_MAX / unit_ms || when < LLONG_MIN / unit_ms) {
            reply_errorf(c->out, "ERR invalid expire time in '%s' command", name);
            return;
        }
        when *= unit_ms;
    }
    if (when > LLONG_MAX - basetime) {
        reply_errorf(c->out, "ERR invalid expire time in '%s' command", name);
        return;
    }
    when += basetime;

    struct db_entry *e = lookup_write(c, 1);
    if (!e || !expire_flags_allow(flags, e->expire_at, when)) {
        reply_integer(c->out, 0);
        return;
    }
    int deleted = when <= c->now_ms;
    if (deleted)
        db_delete(c->db, arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len);
    else
        db_set_expire(c->db, e, when);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_GENERIC, deleted ? "del" : "expire", 1);
    effect_key_expiry(c, 1); /* PEXPIREAT with the absolute time, or DEL */
    reply_integer(c->out, 1);
}

void cmd_expire(struct cmd_ctx *c)
{
    expire_generic(c, c->now_ms, 1000, "expire");
}

void cmd_pexpire(struct cmd_ctx *c)
{
    expire_generic(c, c->now_ms, 1, "pexpire");
}

void cmd_expireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, 1000, "expireat");
}

void cmd_pexpireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, 1, "pexpireat");
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 missing, -1 no expiry; seconds are
 * rounded to the nearest, as Redis does. */
static void ttl_generic(struct cmd_ctx *c, int in_ms, int absolute)
{
    struct db_entry *e = lookup_read_notouch(c, 1);
    if (!e) {
        reply_integer(c->out, -2);
        return;
    }
    if (e->expire_at == 0) {
        reply_integer(c->out, -1);
        return;
    }
    long long ttl = absolute ? e->expire_at : e->expire_at - c->now_ms;
    if (ttl < 0)
        ttl = 0;
    reply_integer(c->out, in_ms ? ttl : (ttl + 500) / 1000);
}

void cmd_ttl(struct cmd_ctx *c)
{
    ttl_generic(c, 0, 0);
}

void cmd_pttl(struct cmd_ctx *c)
{
    ttl_generic(c, 1, 0);
}

void cmd_expiretime(struct cmd_ctx *c)
{
    ttl_generic(c, 0, 1);
}

void cmd_pexpiretime(struct cmd_ctx *c)
{
    ttl_generic(c, 1, 1);
}

void cmd_persist(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_write(c, 1);
    if (!e || e->expire_at == 0) {
        reply_integer(c->out, 0);
        return;
    }
    db_set_expire(c->db, e, 0);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_GENERIC, "persist", 1);
    reply_integer(c->out, 1);
}
