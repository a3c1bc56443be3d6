/*
 * cmd_string.c - the string commands: SET and its relatives (SETNX, SETEX,
 * PSETEX, GETSET, MSET, MSETNX), the readers (GET, MGET, GETDEL, GETEX,
 * STRLEN, GETRANGE/SUBSTR), the in-place editors (APPEND, SETRANGE), the
 * counters (INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT) and LCS.
 *
 * Every handler runs on the shard thread that owns its keys and only touches
 * that shard's c->db. Multi-key commands arrive here with all their keys on
 * this shard: MGET and MSET are split per shard by the dispatcher (MGET is
 * then told by c->split to write its elements without the array header),
 * MSETNX and LCS are driven by the dispatcher across shards and run here as a
 * single-shard command.
 *
 * Invariants the handlers keep:
 *   - "now" is c->now_ms for the whole command. Relative expiry times (EX, PX,
 *     SETEX) are turned into absolute ones against it; an absolute time that
 *     is already past deletes the key instead of storing a dead one.
 *   - Errors are detected before anything changes, in the order Redis 7.0
 *     checks them, so a failing command leaves the keyspace untouched and
 *     gives the same error Redis would for the same arguments.
 *   - Every change to a key argument is followed by key_modified() on it.
 *   - Writing a string value replaces the TTL unless the command keeps it:
 *     SET (without KEEPTTL), GETSET and MSET clear it; APPEND, SETRANGE and
 *     the counters keep it, as Redis's dbReplaceValue does.
 */
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/types/db.h"
#include "core/types/object.h"

#define ERR_STRING_TOO_LONG "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
#define ERR_OFFSET_RANGE "ERR offset is out of range"
#define ERR_DECR_OVERFLOW "ERR decrement would overflow"
#define ERR_NAN_OR_INF "ERR increment would produce NaN or Infinity"
#define ERR_LCS_NOT_STRINGS "ERR The specified keys must contain string values"
#define ERR_LCS_LEN_AND_IDX "ERR If you want both the length and indexes, please just use IDX."
#define ERR_LCS_TOO_BIG "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
#define ERR_LCS_NO_MEMORY "ERR Insufficient memory, failed allocating transient memory for LCS"

/* ---------------- small helpers ---------------- */

/* Replies a string entry's value as a bulk string (ENC_INT is formatted). */
static void reply_string_value(struct cmd_ctx *c, const struct db_entry *e)
{
    char tmp[LONG_STR_SIZE];
    size_t len;
    const char *p = entry_string(e, tmp, &len);
    reply_bulk(c->out, p, len);
}

static size_t string_value_len(const struct db_entry *e)
{
    char tmp[LONG_STR_SIZE];
    size_t len;
    entry_string(e, tmp, &len);
    return len;
}

/* Redis's checkStringLength: a string may not grow past proto-max-bulk-len.
 * Replies the error and returns 0 when size + append is too big. */
static int check_string_length_or_reply(struct cmd_ctx *c, unsigned long long size, unsigned long long append)
{
    if (size > (unsigned long long)OBJ_STRING_MAX || append > (unsigned long long)OBJ_STRING_MAX ||
        size + append > (unsigned long long)OBJ_STRING_MAX) {
        reply_error(c->out, ERR_STRING_TOO_LONG);
        return 0;
    }
    return 1;
}

/*
 * Stores val as the string value of the key argument argi, whose current
 * entry is e (NULL when absent, as a lookup_write just returned it). A string
 * entry is updated in place (entry_set_string may reallocate it); an entry of
 * another type is replaced by a new one. The TTL is kept when keepttl is set,
 * else cleared. Returns the linked entry now holding the value.
 */
static struct db_entry *store_string(struct cmd_ctx *c, int argi, struct db_entry *e, const char *val, size_t len,
                                     int keepttl)
{
    const struct arg *key = &c->argv[argi];
    if (e && e->type == OBJ_STRING) {
        if (!keepttl && e->expire_at != 0)
            db_set_expire(c->db, e, 0);
        entry_set_string(c->db, &e, val, len);
        return e;
    }
    int64_t expire_at = 0;
    int existed = e != NULL;
    if (e) {
        expire_at = keepttl ? e->expire_at : 0;
        delete_key_arg(c, argi);
    }
    e = entry_new_string(arg_key_hash(c, argi), key->ptr, key->len, val, len);
    e->expire_at = expire_at;
    db_insert(c->db, e);
    if (!existed) /* a key of another type is overwritten, not new */
        notify_keyspace_event(c, NOTIFY_NEW, "new", argi);
    return e;
}

/*
 * Makes room for a string value of new_len bytes in the linked string entry
 * *ep and returns its writable bytes (the old bytes kept, val_len unchanged).
 * The value becomes ENC_RAW, as Redis's dbUnshareStringValue makes it. When
 * the current block is too small the request is rounded up the way sds grows
 * (double below 1 MB, +1 MB above), so repeated APPENDs cost amortised O(1)
 * per byte instead of a copy of the whole value each time.
 */
static char *string_make_room(struct cmd_ctx *c, struct db_entry **ep, size_t new_len)
{
    struct db_entry *e = *ep;
    size_t cap = new_len;
    int has_room = e->encoding == ENC_RAW && e->v.raw && malloc_usable_size(e->v.raw) >= new_len;
    if (!has_room) {
        const size_t prealloc_max = 1024 * 1024;
        cap = new_len < prealloc_max ? new_len * 2 : new_len + prealloc_max;
        if (cap > (size_t)OBJ_STRING_MAX)
            cap = new_len > (size_t)OBJ_STRING_MAX ? new_len : (size_t)OBJ_STRING_MAX;
    }
    return entry_string_make_raw(c->db, ep, cap);
}

/* The integer a string entry holds, with Redis's strict rules (string2ll).
 * Returns 0 when the value is not an integer. */
static int string_entry_ll(const struct db_entry *e, long long *v)
{
    if (e->encoding == ENC_INT) {
        *v = e->v.i;
        return 1;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const char *p = entry_string(e, tmp, &len);
    return string2ll(p, len, v);
}

/* ---------------- SET options and expiry times ---------------- */

enum string_option {
    OPT_NX = 1 << 0,
    OPT_XX = 1 << 1,
    OPT_GET = 1 << 2,
    OPT_KEEPTTL = 1 << 3,
    OPT_PERSIST = 1 << 4,
    OPT_EX = 1 << 5,
    OPT_PX = 1 << 6,
    OPT_EXAT = 1 << 7,
    OPT_PXAT = 1 << 8,
};
#define OPT_ANY_EXPIRE (OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT)

enum string_command { FOR_SET, FOR_GETEX };

/* The OPT_ flag of an expiry keyword (EX, PX, EXAT, PXAT), 0 for any other
 * argument. */
static int expire_form(const struct arg *opt)
{
    if (arg_is(opt, "ex"))
        return OPT_EX;
    if (arg_is(opt, "px"))
        return OPT_PX;
    if (arg_is(opt, "exat"))
        return OPT_EXAT;
    if (arg_is(opt, "pxat"))
        return OPT_PXAT;
    return 0;
}

/*
 * Parses SET's options (from argument `first` on) or GETEX's, with Redis
 * 7.0's rules: NX/XX/GET/KEEPTTL are SET's, PERSIST is GETEX's; NX and XX
 * exclude each other; the four expiry forms exclude each other, KEEPTTL and
 * PERSIST (but repeating the same one is allowed, the last value wins); an
 * expiry form needs a following argument. Anything else is a syntax error.
 * On success *flags holds the options and *expire_argi the index of the
 * expiry value (0 when none). Replies and returns 0 on failure.
 */
static int parse_string_options(struct cmd_ctx *c, int first, enum string_command which, int *flags, int *expire_argi)
{
    int for_set = which == FOR_SET;
    *flags = 0;
    *expire_argi = 0;
    for (int j = first; j < c->argc; j++) {
        const struct arg *opt = &c->argv[j];
        int form = expire_form(opt);

        if (for_set && arg_is(opt, "nx") && !(*flags & OPT_XX)) {
            *flags |= OPT_NX;
        } else if (for_set && arg_is(opt, "xx") && !(*flags & OPT_NX)) {
            *flags |= OPT_XX;
        } else if (for_set && arg_is(opt, "get")) {
            *flags |= OPT_GET;
        } else if (for_set && arg_is(opt, "keepttl") && !(*flags & (OPT_PERSIST | OPT_ANY_EXPIRE))) {
            *flags |= OPT_KEEPTTL;
        } else if (!for_set && arg_is(opt, "persist") && !(*flags & (OPT_KEEPTTL | OPT_ANY_EXPIRE))) {
            *flags |= OPT_PERSIST;
        } else if (form && j + 1 < c->argc && !(*flags & (OPT_KEEPTTL | OPT_PERSIST | (OPT_ANY_EXPIRE & ~form)))) {
            *flags |= form;
            *expire_argi = ++j;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/*
 * Turns the expiry argument at argi into an absolute unix time in ms, as
 * Redis's getExpireMillisecondsOrReply: the number must be a positive
 * integer, seconds must not overflow when multiplied by 1000, and a relative
 * time (EX, PX) must not overflow when added to now. `flags` says which form
 * it is (one of OPT_ANY_EXPIRE). Replies and returns 0 on failure.
 */
static int expire_time_or_reply(struct cmd_ctx *c, int argi, int flags, const char *cmd_name, int64_t *when)
{
    long long v;
    if (!arg_ll_or_reply(c, argi, &v, NULL))
        return 0;
    int seconds = (flags & (OPT_EX | OPT_EXAT)) != 0;
    int relative = (flags & (OPT_EX | OPT_PX)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000))
        goto invalid;
    if (seconds)
        v *= 1000;
    if (relative) {
        if (c->now_ms > 0 && v > LLONG_MAX - c->now_ms)
            goto invalid;
        v += c->now_ms;
        if (v <= 0)
            goto invalid;
    }
    *when = v;
    return 1;
invalid:
    reply_errorf(c->out, "ERR invalid expire time in '%s' command", cmd_name);
    return 0;
}

/* ---------------- GET, GETDEL, GETEX, GETSET, MGET, STRLEN ---------------- */

/*
 * GET's core, shared with SET ... GET, GETDEL and GETSET: replies the value
 * of the key at argument 1 (nil when absent). Returns 0 after replying
 * WRONGTYPE; else 1 with *ep set to the entry (NULL when absent).
 */
static int get_generic(struct cmd_ctx *c, struct db_entry **ep)
{
    struct db_entry *e = lookup_read(c, 1);
    *ep = e;
    if (!e) {
        reply_null(c->out, c->resp);
        return 1;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    reply_string_value(c, e);
    return 1;
}

/* GET key */
void cmd_get(struct cmd_ctx *c)
{
    struct db_entry *e;
    get_generic(c, &e);
}

/* GETDEL key: GET, then delete the key when it existed. */
void cmd_getdel(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!get_generic(c, &e) || !e)
        return;
    delete_key_arg(c, 1);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
}

/* GETSET key value: GET, then SET (the TTL is cleared, as SET does). */
void cmd_getset(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!get_generic(c, &e))
        return;
    store_string(c, 1, e, c->argv[2].ptr, c->argv[2].len, 0);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "set", 1);
}

/*
 * GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]. Redis checks,
 * in this order: the options' syntax, the key (missing: nil, whatever the
 * expiry value), its type, then the expiry value. The value is replied
 * before the TTL changes; an absolute time already past deletes the key.
 */
void cmd_getex(struct cmd_ctx *c)
{
    int flags, expire_argi;
    if (!parse_string_options(c, 2, FOR_GETEX, &flags, &expire_argi))
        return;

    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_null(c->out, c->resp);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    int64_t when = 0;
    if (expire_argi && !expire_time_or_reply(c, expire_argi, flags, "getex", &when))
        return;

    reply_string_value(c, e);

    if (expire_argi && when <= c->now_ms) {
        delete_key_arg(c, 1);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
    } else if (expire_argi) {
        db_set_expire(c->db, e, when);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_GENERIC, "expire", 1);
    } else if ((flags & OPT_PERSIST) && e->expire_at != 0) {
        db_set_expire(c->db, e, 0);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_GENERIC, "persist", 1);
    }
    if (expire_argi)
        effect_key_expiry(c, 1); /* the absolute time, or the deletion */
}

/* MGET key [key ...]: nil for missing keys and for values of another type.
 * A split part (c->split) writes its elements only; the dispatcher puts them
 * back in argument order under one header. */
void cmd_mget(struct cmd_ctx *c)
{
    if (!c->split)
        reply_array(c->out, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        struct db_entry *e = lookup_read(c, j);
        if (!e || e->type != OBJ_STRING)
            reply_null(c->out, c->resp);
        else
            reply_string_value(c, e);
    }
}

/* STRLEN key: 0 for a missing key. */
void cmd_strlen(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    reply_integer(c->out, (long long)string_value_len(e));
}

/* ---------------- SET, SETNX, SETEX, PSETEX, MSET, MSETNX ---------------- */

enum set_outcome {
    SET_REPLIED_ERROR, /* an error was replied, nothing changed */
    SET_ABORTED,       /* the NX / XX condition did not hold, nothing changed */
    SET_DONE,          /* the key was set (or deleted by a past absolute time) */
};

/*
 * SET's core: stores the value at argument val_argi under the key at
 * argument 1, honouring NX, XX, GET, KEEPTTL and the expiry at expire_argi
 * (0 for none; its form is in flags). With GET the old value (or nil, or
 * WRONGTYPE) has been replied when this returns; otherwise the caller writes
 * the reply for the outcome. cmd_name names the command in expiry errors.
 */
static enum set_outcome set_generic(struct cmd_ctx *c, int flags, int val_argi, int expire_argi, const char *cmd_name)
{
    int64_t when = 0;
    if (expire_argi && !expire_time_or_reply(c, expire_argi, flags, cmd_name, &when))
        return SET_REPLIED_ERROR;

    struct db_entry *e;
    if ((flags & OPT_GET) && !get_generic(c, &e))
        return SET_REPLIED_ERROR;

    e = lookup_write(c, 1);
    if (((flags & OPT_NX) && e) || ((flags & OPT_XX) && !e))
        return SET_ABORTED;

    /* Only EXAT / PXAT can be in the past: the key ends up not existing. */
    if (expire_argi && when <= c->now_ms) {
        if (e)
            delete_key_arg(c, 1);
        key_modified(c, 1);
        effect_key_expiry(c, 1); /* DEL */
        /* Redis 7.0 sets the key with its past expiry (it then expires
         * when next looked at): the same events as a SET with EX. */
        if (!e)
            notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
        notify_keyspace_event(c, NOTIFY_STRING, "set", 1);
        notify_keyspace_event(c, NOTIFY_GENERIC, "expire", 1);
        return SET_DONE;
    }

    const struct arg *val = &c->argv[val_argi];
    e = store_string(c, 1, e, val->ptr, val->len, (flags & OPT_KEEPTTL) != 0);
    if (expire_argi) {
        db_set_expire(c->db, e, when);
        effect_set_pxat(c, 1, val->ptr, val->len, when); /* relative expiry made absolute */
    }
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "set", 1);
    if (expire_argi)
        notify_keyspace_event(c, NOTIFY_GENERIC, "expire", 1);
    return SET_DONE;
}

/* SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL] */
void cmd_set(struct cmd_ctx *c)
{
    int flags, expire_argi;
    if (!parse_string_options(c, 3, FOR_SET, &flags, &expire_argi))
        return;
    enum set_outcome r = set_generic(c, flags, 2, expire_argi, "set");
    if (r == SET_REPLIED_ERROR || (flags & OPT_GET))
        return;
    if (r == SET_ABORTED)
        reply_null(c->out, c->resp);
    else
        reply_ok(c->out);
}

/* SETNX key value: 1 when set, 0 when the key existed. */
void cmd_setnx(struct cmd_ctx *c)
{
    enum set_outcome r = set_generic(c, OPT_NX, 2, 0, "setnx");
    if (r != SET_REPLIED_ERROR)
        reply_integer(c->out, r == SET_DONE ? 1 : 0);
}

/* SETEX key seconds value */
void cmd_setex(struct cmd_ctx *c)
{
    if (set_generic(c, OPT_EX, 3, 2, "setex") == SET_DONE)
        reply_ok(c->out);
}

/* PSETEX key milliseconds value */
void cmd_psetex(struct cmd_ctx *c)
{
    if (set_generic(c, OPT_PX, 3, 2, "psetex") == SET_DONE)
        reply_ok(c->out);
}

/* MSET / MSETNX key value [key value ...]. MSETNX sets nothing when any of
 * its keys exists; all its keys are on this shard (the dispatcher drives the
 * cross-shard case). A key given twice ends with its last value. */
static void mset_generic(struct cmd_ctx *c, int nx)
{
    if (c->argc % 2 == 0) {
        const char *name = nx ? "msetnx" : "mset";
        reply_wrong_arity(c->out, name, strlen(name));
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (lookup_write(c, j)) {
                reply_integer(c->out, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        struct db_entry *e = lookup_write(c, j);
        store_string(c, j, e, c->argv[j + 1].ptr, c->argv[j + 1].len, 0);
        key_modified(c, j);
        notify_keyspace_event(c, NOTIFY_STRING, "set", j);
    }
    if (nx)
        reply_integer(c->out, 1);
    else
        reply_ok(c->out);
}

void cmd_mset(struct cmd_ctx *c)
{
    mset_generic(c, 0);
}
void cmd_msetnx(struct cmd_ctx *c)
{
    mset_generic(c, 1);
}

/* ---------------- APPEND, GETRANGE, SETRANGE ---------------- */

/* APPEND key value: creates the key when missing (with the encoding a SET
 * would give), else appends in place; replies the new length. */
void cmd_append(struct cmd_ctx *c)
{
    const struct arg *add = &c->argv[2];
    struct db_entry *e = lookup_write(c, 1);
    size_t total;

    if (!e) {
        e = entry_new_string(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, add->ptr, add->len);
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
        total = add->len;
    } else {
        if (e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            return;
        }
        size_t old_len = string_value_len(e);
        if (!check_string_length_or_reply(c, old_len, add->len))
            return;
        total = old_len + add->len;
        char *p = string_make_room(c, &e, total);
        if (add->len)
            memcpy(p + old_len, add->ptr, add->len);
        e->val_len = (uint32_t)total;
    }
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "append", 1);
    reply_integer(c->out, (long long)total);
}

/*
 * GETRANGE key start end (and SUBSTR). Negative indexes count from the end;
 * both ends are inclusive and clamped to the string. Two negative indexes
 * with start > end, a start past the end, and an empty or missing value all
 * give the empty string.
 */
void cmd_getrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll_or_reply(c, 2, &start, NULL) || !arg_ll_or_reply(c, 3, &end, NULL))
        return;
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_bulk(c->out, "", 0);
        return;
    }
    if (e->type != OBJ_STRING) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    char tmp[LONG_STR_SIZE];
    size_t len;
    const char *p = entry_string(e, tmp, &len);
    long long slen = (long long)len;

    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c->out, "", 0);
        return;
    }
    if (start < 0)
        start += slen;
    if (end < 0)
        end += slen;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= slen)
        end = slen - 1;
    if (slen == 0 || start > end)
        reply_bulk(c->out, "", 0);
    else
        reply_bulk(c->out, p + start, (size_t)(end - start + 1));
}

/*
 * SETRANGE key offset value: overwrites from offset, padding with zero bytes
 * when the string is shorter; replies the new length. An empty value changes
 * nothing (and creates no key): the reply is the current length.
 */
void cmd_setrange(struct cmd_ctx *c)
{
    const struct arg *val = &c->argv[3];
    long long offset;
    if (!arg_ll_or_reply(c, 2, &offset, NULL))
        return;
    if (offset < 0) {
        reply_error(c->out, ERR_OFFSET_RANGE);
        return;
    }

    struct db_entry *e = lookup_write(c, 1);
    size_t old_len = 0;
    if (!e) {
        if (val->len == 0) {
            reply_integer(c->out, 0);
            return;
        }
        if (!check_string_length_or_reply(c, (unsigned long long)offset, val->len))
            return;
        /* A new key starts as an empty string made RAW below, as Redis
         * creates it. */
        e = entry_new_string(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, "", 0);
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
    } else {
        if (e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            return;
        }
        old_len = string_value_len(e);
        if (val->len == 0) {
            reply_integer(c->out, (long long)old_len);
            return;
        }
        if (!check_string_length_or_reply(c, (unsigned long long)offset, val->len))
            return;
    }

    size_t end = (size_t)offset + val->len;
    size_t new_len = end > old_len ? end : old_len;
    char *p = string_make_room(c, &e, new_len);
    if ((size_t)offset > old_len)
        memset(p + old_len, 0, (size_t)offset - old_len);
    memcpy(p + offset, val->ptr, val->len);
    e->val_len = (uint32_t)new_len;
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "setrange", 1);
    reply_integer(c->out, (long long)new_len);
}

/* ---------------- INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT ---------------- */

/* Adds incr to the integer at the key (0 when missing), keeping its TTL. */
static void incr_decr(struct cmd_ctx *c, long long incr)
{
    struct db_entry *e = lookup_write(c, 1);
    long long value = 0;
    if (e) {
        if (e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            return;
        }
        if (!string_entry_ll(e, &value)) {
            reply_error(c->out, ERR_NOT_INTEGER);
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) || (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c->out, ERR_OVERFLOW);
        return;
    }
    value += incr;
    if (e) {
        entry_set_int(c->db, &e, value);
    } else {
        e = entry_new_int(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, value);
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
    }
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "incrby", 1);
    reply_integer(c->out, value);
}

void cmd_incr(struct cmd_ctx *c)
{
    incr_decr(c, 1);
}
void cmd_decr(struct cmd_ctx *c)
{
    incr_decr(c, -1);
}

/* INCRBY key increment: the increment is checked before the key. */
void cmd_incrby(struct cmd_ctx *c)
{
    long long incr;
    if (arg_ll_or_reply(c, 2, &incr, NULL))
        incr_decr(c, incr);
}

/* DECRBY key decrement: LLONG_MIN cannot be negated, refused as Redis 7. */
void cmd_decrby(struct cmd_ctx *c)
{
    long long decr;
    if (!arg_ll_or_reply(c, 2, &decr, NULL))
        return;
    if (decr == LLONG_MIN) {
        reply_error(c->out, ERR_DECR_OVERFLOW);
        return;
    }
    incr_decr(c, -decr);
}

/*
 * INCRBYFLOAT key increment: long double arithmetic, the result stored as
 * the human-friendly string ld2string_human writes ("10.6", "5200"), which
 * is also the reply. Checked in Redis's order: the key's type, its value,
 * then the increment. The TTL is kept.
 */
void cmd_incrbyfloat(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_write(c, 1);
    long double value = 0, incr;
    if (e) {
        if (e->type != OBJ_STRING) {
            reply_error(c->out, ERR_WRONGTYPE);
            return;
        }
        if (e->encoding == ENC_INT) {
            value = (long double)e->v.i;
        } else {
            char tmp[LONG_STR_SIZE];
            size_t len;
            const char *p = entry_string(e, tmp, &len);
            if (!string2ld(p, len, &value)) {
                reply_error(c->out, ERR_NOT_FLOAT);
                return;
            }
        }
    }
    if (!arg_ld_or_reply(c, 2, &incr, ERR_NOT_FLOAT))
        return;

    value += incr;
    char buf[MAX_LONG_DOUBLE_CHARS];
    int len = 0;
    if (!isnan(value) && !isinf(value))
        len = ld2string_human(buf, sizeof(buf), value);
    if (len <= 0) {
        reply_error(c->out, ERR_NAN_OR_INF);
        return;
    }
    store_string(c, 1, e, buf, (size_t)len, 1);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STRING, "incrbyfloat", 1);
    /* Logged as the value it produced: replay does no float arithmetic. */
    const char *eff[4] = {"SET", c->argv[1].ptr, buf, "KEEPTTL"};
    size_t efflen[4] = {3, c->argv[1].len, (size_t)len, 7};
    effect_log(c, 4, eff, efflen);
    reply_bulk(c->out, buf, (size_t)len);
}

/* ---------------- LCS ---------------- */

/* One matched run: a[a_start..a_end] == b[b_start..b_end], inclusive. */
struct lcs_range {
    uint32_t a_start, a_end, b_start, b_end;
};

struct lcs_ranges {
    struct lcs_range *items;
    size_t count, cap;
};

static void lcs_ranges_push(struct lcs_ranges *l, struct lcs_range r)
{
    if (l->count == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct lcs_range *p = realloc(l->items, cap * sizeof(*p));
        if (!p) {
            fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", cap * sizeof(*p));
            abort();
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->count++] = r;
}

/*
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], as Redis 7.0:
 * missing keys are empty strings; the keys' types are checked before the
 * options are parsed. The classic dynamic programme fills a table of
 * (alen+1)*(blen+1) lengths (refused when it would exceed proto-max-bulk-len
 * bytes), then walks back from the end: the LCS string is rebuilt backwards
 * and, for IDX, every maximal run of consecutive matches becomes one range,
 * so ranges come out last-first, as Redis lists them. Runs shorter than
 * MINMATCHLEN are left out of the list but not of the length.
 */
void cmd_lcs(struct cmd_ctx *c)
{
    struct db_entry *ea = lookup_read(c, 1);
    struct db_entry *eb = lookup_read(c, 2);
    if ((ea && ea->type != OBJ_STRING) || (eb && eb->type != OBJ_STRING)) {
        reply_error(c->out, ERR_LCS_NOT_STRINGS);
        return;
    }

    int want_len = 0, want_idx = 0, with_match_len = 0;
    long long min_match_len = 0;
    for (int j = 3; j < c->argc; j++) {
        const struct arg *opt = &c->argv[j];
        if (arg_is(opt, "idx")) {
            want_idx = 1;
        } else if (arg_is(opt, "len")) {
            want_len = 1;
        } else if (arg_is(opt, "withmatchlen")) {
            with_match_len = 1;
        } else if (arg_is(opt, "minmatchlen") && j + 1 < c->argc) {
            if (!arg_ll_or_reply(c, j + 1, &min_match_len, NULL))
                return;
            if (min_match_len < 0)
                min_match_len = 0;
            j++;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (want_idx && want_len) {
        reply_error(c->out, ERR_LCS_LEN_AND_IDX);
        return;
    }

    char tmp_a[LONG_STR_SIZE], tmp_b[LONG_STR_SIZE];
    size_t alen = 0, blen = 0;
    const char *a = ea ? entry_string(ea, tmp_a, &alen) : "";
    const char *b = eb ? entry_string(eb, tmp_b, &blen) : "";

    /* Strings are at most OBJ_STRING_MAX bytes, so neither the cell count
     * nor its size in bytes can overflow 64 bits. */
    uint64_t cells = (uint64_t)(alen + 1) * (uint64_t)(blen + 1);
    uint64_t bytes = cells * sizeof(uint32_t);
    if (bytes > (uint64_t)OBJ_STRING_MAX) {
        reply_error(c->out, ERR_LCS_TOO_BIG);
        return;
    }
    uint32_t *table = malloc((size_t)bytes);
    if (!table) {
        reply_error(c->out, ERR_LCS_NO_MEMORY);
        return;
    }
    /* table[i * (blen + 1) + j] = length of the LCS of a[0..i) and b[0..j). */
    size_t row = blen + 1;
#define LCS_AT(i, j) table[(size_t)(i)*row + (size_t)(j)]
    for (size_t i = 0; i <= alen; i++) {
        for (size_t j = 0; j <= blen; j++) {
            if (i == 0 || j == 0)
                LCS_AT(i, j) = 0;
            else if (a[i - 1] == b[j - 1])
                LCS_AT(i, j) = LCS_AT(i - 1, j - 1) + 1;
            else
                LCS_AT(i, j) = LCS_AT(i - 1, j) > LCS_AT(i, j - 1) ? LCS_AT(i - 1, j) : LCS_AT(i, j - 1);
        }
    }
    uint32_t lcs_len = LCS_AT(alen, blen);

    if (want_len) {
        free(table);
        reply_integer(c->out, lcs_len);
        return;
    }

    char *result = want_idx ? NULL : malloc(lcs_len ? lcs_len : 1);
    if (!want_idx && !result) {
        free(table);
        reply_error(c->out, ERR_LCS_NO_MEMORY);
        return;
    }
    struct lcs_ranges ranges = {0};
    struct lcs_range cur = {0};
    int in_run = 0;
    size_t i = alen, j = blen, k = lcs_len;
    while (i > 0 && j > 0) {
        int close_run = 0;
        if (a[i - 1] == b[j - 1]) {
            if (result)
                result[k - 1] = a[i - 1];
            k--;
            if (!in_run) {
                cur.a_end = (uint32_t)(i - 1);
                cur.b_end = (uint32_t)(j - 1);
                in_run = 1;
            }
            cur.a_start = (uint32_t)(i - 1);
            cur.b_start = (uint32_t)(j - 1);
            i--;
            j--;
            close_run = i == 0 || j == 0;
        } else {
            if (LCS_AT(i - 1, j) > LCS_AT(i, j - 1))
                i--;
            else
                j--;
            close_run = in_run;
        }
        if (close_run) {
            uint32_t run_len = cur.a_end - cur.a_start + 1;
            if (want_idx && (min_match_len == 0 || run_len >= min_match_len))
                lcs_ranges_push(&ranges, cur);
            in_run = 0;
        }
    }
#undef LCS_AT
    free(table);

    if (!want_idx) {
        reply_bulk(c->out, result, lcs_len);
        free(result);
        return;
    }
    reply_map(c->out, c->resp, 2);
    reply_bulk_cstr(c->out, "matches");
    reply_array(c->out, (long long)ranges.count);
    for (size_t n = 0; n < ranges.count; n++) {
        const struct lcs_range *r = &ranges.items[n];
        reply_array(c->out, with_match_len ? 3 : 2);
        reply_array(c->out, 2);
        reply_integer(c->out, r->a_start);
        reply_integer(c->out, r->a_end);
        reply_array(c->out, 2);
        reply_integer(c->out, r->b_start);
        reply_integer(c->out, r->b_end);
        if (with_match_len)
            reply_integer(c->out, (long long)(r->a_end - r->a_start + 1));
    }
    reply_bulk_cstr(c->out, "len");
    reply_integer(c->out, lcs_len);
    free(ranges.items);
}
