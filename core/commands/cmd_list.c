/*
 * cmd_list.c - the list commands: pushes (LPUSH, RPUSH, LPUSHX, RPUSHX),
 * pops (LPOP, RPOP with COUNT, LMPOP), readers (LLEN, LRANGE, LINDEX, LPOS),
 * editors (LSET, LINSERT, LREM, LTRIM), moves (LMOVE, RPOPLPUSH) and the
 * blocking forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
 *
 * Every handler runs on the shard thread that owns its keys and touches only
 * c->db; multi-key commands (LMOVE, LMPOP, BLPOP ...) find all their keys
 * there (the dispatcher gathers keys of other shards first).
 *
 * The list value (its encodings, the conversions between them, the view
 * handlers use over both) is core/types/t_list.h; handlers call
 * list_prepare_add before adding and list_removed after removing.
 *
 * Invariants the handlers keep:
 *   - Errors are found before anything changes, in Redis 7.0's order.
 *   - No list is ever empty: the handler that removes the last element
 *     deletes the key (after any push to the same key, for LMOVE).
 *   - key_modified() is called for every key argument the command changed.
 *   - Blocking forms: when no key has data, with c->blocking set they set
 *     c->blocked and write no reply (the shard parks them and runs them
 *     again); with c->blocking clear they reply what Redis replies when it
 *     cannot block.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/listpack.h"
#include "core/ds/quicklist.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_list.h"

#define ERR_INDEX_RANGE "ERR index out of range"
#define ERR_MUST_BE_POSITIVE "ERR value is out of range, must be positive"
#define ERR_RANK_ZERO                                                                                                  \
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start "     \
    "from the end of the list"
#define ERR_COUNT_NEGATIVE "ERR COUNT can't be negative"
#define ERR_MAXLEN_NEGATIVE "ERR MAXLEN can't be negative"
#define ERR_NUMKEYS "ERR numkeys should be greater than 0"
#define ERR_COUNT_POSITIVE "ERR count should be greater than 0"

/* ---------------- small helpers ---------------- */

/* Replies the listpack entry p as a bulk string. */
static void reply_entry(struct cmd_ctx *c, const unsigned char *p)
{
    struct lp_val v;
    lp_get(p, &v);
    if (v.str)
        reply_bulk(c->out, v.str, v.len);
    else
        reply_bulk_ll(c->out, v.ll);
}

/* Redis's getRangeLongFromObjectOrReply: an integer within [min, max], else
 * msg (for a non-integer too, when msg is given) or Redis's generic texts. */
static int arg_range_or_reply(struct cmd_ctx *c, int argi, long long min, long long max, long long *v, const char *msg)
{
    if (!arg_ll_or_reply(c, argi, v, msg))
        return 0;
    if (*v < min || *v > max) {
        if (msg)
            reply_error(c->out, msg);
        else
            reply_errorf(c->out, "ERR value is out of range, value must between %lld and %lld", min, max);
        return 0;
    }
    return 1;
}

/* LEFT / RIGHT, else a syntax error. */
static int arg_where_or_reply(struct cmd_ctx *c, int argi, enum ql_where *where)
{
    if (arg_is(&c->argv[argi], "left")) {
        *where = QL_HEAD;
    } else if (arg_is(&c->argv[argi], "right")) {
        *where = QL_TAIL;
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return 0;
    }
    return 1;
}

/* A new empty list (listpack) under the key at argi, linked into the db. */
static struct db_entry *list_create(struct cmd_ctx *c, int argi)
{
    const struct arg *key = &c->argv[argi];
    struct db_entry *e =
        entry_new_collection(arg_key_hash(c, argi), key->ptr, key->len, OBJ_LIST, ENC_LISTPACK, lp_new());
    db_insert(c->db, e);
    notify_keyspace_event(c, NOTIFY_NEW, "new", argi);
    return e;
}

/* Before adding add_count elements of add_bytes raw bytes: a listpack that
 * would exceed the limit becomes a quicklist (Redis's
 * listTypeTryConvertListpack). */
static void list_prepare_add(struct cmd_ctx *c, struct db_entry *e, size_t add_bytes, unsigned long add_count)
{
    list_try_convert_listpack(e, ctx_config(c)->list_max_listpack_size, add_bytes, add_count);
}

static size_t args_bytes(const struct cmd_ctx *c, int first, int last)
{
    size_t n = 0;
    for (int j = first; j <= last; j++)
        n += c->argv[j].len;
    return n;
}

/* After elements were removed from the list at argi: deletes an empty list,
 * turns a quicklist of one small node back into a listpack (below half the
 * limits, as Redis's listTypeTryConvertQuicklist), and marks the key. Raises
 * the command's event, then "del" when the list was deleted, as Redis. */
static void list_removed(struct cmd_ctx *c, int argi, struct db_entry *e, const char *event)
{
    int emptied = list_length(e) == 0;
    if (emptied)
        delete_key_arg(c, argi);
    else
        list_try_convert_quicklist(e, ctx_config(c)->list_max_listpack_size);
    key_modified(c, argi);
    notify_keyspace_event(c, NOTIFY_LIST, event, argi);
    if (emptied)
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", argi);
}

static const char *pop_event(enum ql_where where)
{
    return where == QL_HEAD ? "lpop" : "rpop";
}

static const char *push_event(enum ql_where where)
{
    return where == QL_HEAD ? "lpush" : "rpush";
}

/* Replies the element at the `where` end of the non-empty list e as a bulk
 * string and removes it (the caller then calls list_removed). */
static void pop_one_reply(struct cmd_ctx *c, struct db_entry *e, enum ql_where where)
{
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    struct ql_pos pos;
    ql_index(ql, where == QL_HEAD ? 0 : -1, &pos);
    reply_entry(c, pos.p);
    ql_delete(ql, &pos, where == QL_HEAD);
    list_close(&v);
}

/* Replies up to count elements from the `where` end (in pop order) as an
 * array and removes them. */
static void pop_range_reply(struct cmd_ctx *c, struct db_entry *e, enum ql_where where, long long count)
{
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    size_t n = (size_t)count < ql->count ? (size_t)count : ql->count;
    reply_array(c->out, (long long)n);
    struct ql_pos pos;
    int ok = ql_index(ql, where == QL_HEAD ? 0 : -1, &pos);
    for (size_t i = 0; i < n && ok; i++) {
        reply_entry(c, pos.p);
        ok = where == QL_HEAD ? ql_next(ql, &pos) : ql_prev(ql, &pos);
    }
    ql_delete_range(ql, where == QL_HEAD ? 0 : -(long)n, n);
    list_close(&v);
}

/* ---------------- LPUSH, RPUSH, LPUSHX, RPUSHX ---------------- */

/* Pushes argv[2..] one by one at `where`; replies the new length. With
 * only_existing (the X forms) a missing key replies 0. */
static void push_generic(struct cmd_ctx *c, enum ql_where where, int only_existing)
{
    struct db_entry *e = lookup_write(c, 1);
    if (e && e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    if (!e) {
        if (only_existing) {
            reply_integer(c->out, 0);
            return;
        }
        e = list_create(c, 1);
    }
    list_prepare_add(c, e, args_bytes(c, 2, c->argc - 1), (unsigned long)(c->argc - 2));
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    for (int j = 2; j < c->argc; j++)
        ql_push(ql, where, c->argv[j].ptr, c->argv[j].len);
    size_t len = ql->count;
    list_close(&v);
    reply_integer(c->out, (long long)len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_LIST, push_event(where), 1);
}

void cmd_lpush(struct cmd_ctx *c)
{
    push_generic(c, QL_HEAD, 0);
}

void cmd_rpush(struct cmd_ctx *c)
{
    push_generic(c, QL_TAIL, 0);
}

void cmd_lpushx(struct cmd_ctx *c)
{
    push_generic(c, QL_HEAD, 1);
}

void cmd_rpushx(struct cmd_ctx *c)
{
    push_generic(c, QL_TAIL, 1);
}

/* ---------------- LPOP, RPOP ---------------- */

/*
 * LPOP/RPOP key [count]. Without count: the element (nil for a missing
 * key). With count: an array of up to count elements, an empty array for
 * count 0, a null array for a missing key. Redis checks the count before
 * the key.
 */
static void pop_generic(struct cmd_ctx *c, enum ql_where where)
{
    int has_count = c->argc == 3;
    long long count = 0;
    if (c->argc > 3) {
        reply_wrong_arity(c->out, where == QL_HEAD ? "lpop" : "rpop", 4);
        return;
    }
    if (has_count && !arg_range_or_reply(c, 2, 0, LLONG_MAX, &count, ERR_MUST_BE_POSITIVE))
        return;
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        if (has_count)
            reply_null_array(c->out, c->resp);
        else
            reply_null(c->out, c->resp);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    if (has_count && count == 0) {
        reply_array(c->out, 0);
        return;
    }
    if (has_count)
        pop_range_reply(c, e, where, count);
    else
        pop_one_reply(c, e, where);
    list_removed(c, 1, e, pop_event(where));
}

void cmd_lpop(struct cmd_ctx *c)
{
    pop_generic(c, QL_HEAD);
}

void cmd_rpop(struct cmd_ctx *c)
{
    pop_generic(c, QL_TAIL);
}

/* ---------------- LLEN, LRANGE, LINDEX ---------------- */

void cmd_llen(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    reply_integer(c->out, (long long)list_length(e));
}

/* Redis's range rules (LRANGE, LTRIM): negative indexes count from the end,
 * start is clamped at 0, end at len-1. Returns 0 for an empty range. */
static int list_range(long long len, long long *start, long long *end)
{
    if (*start < 0)
        *start += len;
    if (*end < 0)
        *end += len;
    if (*start < 0)
        *start = 0;
    if (*start > *end || *start >= len)
        return 0;
    if (*end >= len)
        *end = len - 1;
    return 1;
}

/* LRANGE key start stop: the indexes are parsed before the key is looked
 * up. Walks to start by node counts, then reads sequentially. */
void cmd_lrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll_or_reply(c, 2, &start, NULL) || !arg_ll_or_reply(c, 3, &end, NULL))
        return;
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_array(c->out, 0);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    if (!list_range((long long)list_length(e), &start, &end)) {
        reply_array(c->out, 0);
        return;
    }
    long long n = end - start + 1;
    reply_array(c->out, n);
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    struct ql_pos pos;
    int ok = ql_index(ql, (long)start, &pos);
    for (long long i = 0; i < n && ok; i++) {
        reply_entry(c, pos.p);
        ok = ql_next(ql, &pos);
    }
    list_close(&v);
}

/* LINDEX key index: the key is checked before the index is parsed. */
void cmd_lindex(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        reply_null(c->out, c->resp);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    long long index;
    if (!arg_ll_or_reply(c, 2, &index, NULL))
        return;
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    struct ql_pos pos;
    if (ql_index(ql, (long)index, &pos))
        reply_entry(c, pos.p);
    else
        reply_null(c->out, c->resp);
    list_close(&v);
}

/* ---------------- LSET, LINSERT, LREM, LTRIM ---------------- */

/* LSET key index element: "no such key" before WRONGTYPE before the index. */
void cmd_lset(struct cmd_ctx *c)
{
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        reply_error(c->out, ERR_NO_SUCH_KEY);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    long long index;
    if (!arg_ll_or_reply(c, 2, &index, NULL))
        return;
    list_prepare_add(c, e, c->argv[3].len, 1);
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    int replaced = ql_replace_at(ql, (long)index, c->argv[3].ptr, c->argv[3].len);
    list_close(&v);
    if (!replaced) {
        reply_error(c->out, ERR_INDEX_RANGE);
        return;
    }
    reply_ok(c->out);
    list_removed(c, 1, e, "lset"); /* a smaller value may let it shrink back */
}

/* LINSERT key BEFORE|AFTER pivot element: the length after the insert, -1
 * when the pivot is not found, 0 for a missing key. */
void cmd_linsert(struct cmd_ctx *c)
{
    int after;
    if (arg_is(&c->argv[2], "after")) {
        after = 1;
    } else if (arg_is(&c->argv[2], "before")) {
        after = 0;
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    list_prepare_add(c, e, c->argv[4].len, 1);
    const struct arg *pivot = &c->argv[3];
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    struct ql_pos pos;
    int found = 0;
    for (int ok = ql_index(ql, 0, &pos); ok; ok = ql_next(ql, &pos)) {
        if (lp_eq(pos.p, pivot->ptr, pivot->len)) {
            ql_insert(ql, &pos, c->argv[4].ptr, c->argv[4].len, after);
            found = 1;
            break;
        }
    }
    size_t len = ql->count;
    list_close(&v);
    if (!found) {
        reply_integer(c->out, -1);
        return;
    }
    reply_integer(c->out, (long long)len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_LIST, "linsert", 1);
}

/* LREM key count element: count > 0 removes from the head, < 0 from the
 * tail, 0 all; replies how many were removed. */
void cmd_lrem(struct cmd_ctx *c)
{
    long long to_remove;
    if (!arg_ll_or_reply(c, 2, &to_remove, NULL))
        return;
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    int forward = to_remove >= 0;
    unsigned long long limit = forward ? (unsigned long long)to_remove : 0ULL - (unsigned long long)to_remove;
    const struct arg *elem = &c->argv[3];
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    struct ql_pos pos;
    long long removed = 0;
    int ok = ql_index(ql, forward ? 0 : -1, &pos);
    while (ok) {
        if (lp_eq(pos.p, elem->ptr, elem->len)) {
            ok = ql_delete(ql, &pos, forward);
            removed++;
            if (limit && (unsigned long long)removed == limit)
                break;
        } else {
            ok = forward ? ql_next(ql, &pos) : ql_prev(ql, &pos);
        }
    }
    list_close(&v);
    if (removed)
        list_removed(c, 1, e, "lrem");
    reply_integer(c->out, removed);
}

/* LTRIM key start stop: keeps the range; an empty range deletes the key. */
void cmd_ltrim(struct cmd_ctx *c)
{
    long long start, end;
    if (!arg_ll_or_reply(c, 2, &start, NULL) || !arg_ll_or_reply(c, 3, &end, NULL))
        return;
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        reply_ok(c->out);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    long long len = (long long)list_length(e);
    long long ltrim, rtrim;
    if (!list_range(len, &start, &end)) {
        ltrim = len;
        rtrim = 0;
    } else {
        ltrim = start;
        rtrim = len - end - 1;
    }
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    if (ltrim)
        ql_delete_range(ql, 0, (unsigned long)ltrim);
    if (rtrim)
        ql_delete_range(ql, -(long)rtrim, (unsigned long)rtrim);
    list_close(&v);
    list_removed(c, 1, e, "ltrim");
    reply_ok(c->out);
}

/* ---------------- LPOS ---------------- */

/*
 * LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]. Options
 * are parsed (and their errors replied) before the key is looked up.
 * Without COUNT: the index of the rank-th match or nil; with COUNT: an
 * array of up to count indexes (0: all).
 */
void cmd_lpos(struct cmd_ctx *c)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < c->argc; j++) {
        int more = j + 1 < c->argc;
        if (arg_is(&c->argv[j], "rank") && more) {
            j++;
            if (!arg_ll_or_reply(c, j, &rank, NULL))
                return;
            if (rank == 0) {
                reply_error(c->out, ERR_RANK_ZERO);
                return;
            }
        } else if (arg_is(&c->argv[j], "count") && more) {
            j++;
            if (!arg_range_or_reply(c, j, 0, LLONG_MAX, &count, ERR_COUNT_NEGATIVE))
                return;
        } else if (arg_is(&c->argv[j], "maxlen") && more) {
            j++;
            if (!arg_range_or_reply(c, j, 0, LLONG_MAX, &maxlen, ERR_MAXLEN_NEGATIVE))
                return;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    int forward = rank > 0;
    if (rank == LLONG_MIN) {
        /* Redis 7.0 accepts it and its negation overflows: every match from
         * the tail counts, and COUNT never stops the scan. */
        rank = 1;
        if (count > 0)
            count = 0;
    } else if (rank < 0) {
        rank = -rank;
    }

    struct db_entry *e = lookup_read(c, 1);
    if (!e) {
        if (count != -1)
            reply_array(c->out, 0);
        else
            reply_null(c->out, c->resp);
        return;
    }
    if (e->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }

    /* With COUNT the number of matches is known only at the end: collect
     * the indexes first. */
    long long *found = NULL;
    size_t nfound = 0, cap = 0;
    const struct arg *elem = &c->argv[2];
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    long long llen = (long long)ql->count;
    long long index = 0, matches = 0, match_index = -1;
    struct ql_pos pos;
    for (int ok = ql_index(ql, forward ? 0 : -1, &pos); ok && (maxlen == 0 || index < maxlen);
         ok = forward ? ql_next(ql, &pos) : ql_prev(ql, &pos)) {
        if (lp_eq(pos.p, elem->ptr, elem->len)) {
            matches++;
            match_index = forward ? index : llen - index - 1;
            if (matches >= rank) {
                if (count == -1)
                    break;
                if (nfound == cap) {
                    cap = cap ? cap * 2 : 16;
                    long long *grown = realloc(found, cap * sizeof(*found));
                    if (!grown)
                        abort();
                    found = grown;
                }
                found[nfound++] = match_index;
                if (count && (long long)nfound >= count)
                    break;
            }
        }
        index++;
        match_index = -1;
    }
    list_close(&v);
    if (count != -1) {
        reply_array(c->out, (long long)nfound);
        for (size_t i = 0; i < nfound; i++)
            reply_integer(c->out, found[i]);
        free(found);
    } else if (match_index != -1) {
        reply_integer(c->out, match_index);
    } else {
        reply_null(c->out, c->resp);
    }
}

/* ---------------- LMOVE, RPOPLPUSH ---------------- */

/*
 * Moves one element from the `from` end of the list at argument 1 to the
 * `to` end of the list at argument 2 (created if missing) and replies it;
 * nil when the source is missing. WRONGTYPE of the source, then of the
 * destination. Source and destination may be the same key (a rotation):
 * the source is deleted only if still empty after the push.
 */
static void lmove_generic(struct cmd_ctx *c, enum ql_where from, enum ql_where to)
{
    struct db_entry *src = lookup_write(c, 1);
    if (!src) {
        reply_null(c->out, c->resp);
        return;
    }
    if (src->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    struct db_entry *dst = lookup_write(c, 2);
    if (dst && dst->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }

    /* Copy the element out (the pop may free or move its bytes). */
    char small[64], num[LONG_STR_SIZE];
    char *value = small;
    size_t len;
    struct list_view v;
    struct quicklist *ql = list_open(&v, src);
    struct ql_pos pos;
    ql_index(ql, from == QL_HEAD ? 0 : -1, &pos);
    const char *bytes = lp_get_str(pos.p, num, &len);
    if (len > sizeof(small)) {
        value = malloc(len);
        if (!value)
            abort();
    }
    memcpy(value, bytes, len);
    ql_delete(ql, &pos, from == QL_HEAD);
    list_close(&v);

    if (!dst)
        dst = list_create(c, 2);
    list_prepare_add(c, dst, len, 1);
    ql = list_open(&v, dst);
    ql_push(ql, to, value, len);
    list_close(&v);
    key_modified(c, 2);
    notify_keyspace_event(c, NOTIFY_LIST, push_event(to), 2);
    reply_bulk(c->out, value, len);
    if (value != small)
        free(value);
    list_removed(c, 1, src, pop_event(from));
}

/* LMOVE source destination LEFT|RIGHT LEFT|RIGHT */
void cmd_lmove(struct cmd_ctx *c)
{
    enum ql_where from, to;
    if (!arg_where_or_reply(c, 3, &from) || !arg_where_or_reply(c, 4, &to))
        return;
    lmove_generic(c, from, to);
}

/* RPOPLPUSH source destination */
void cmd_rpoplpush(struct cmd_ctx *c)
{
    lmove_generic(c, QL_TAIL, QL_HEAD);
}

/* ---------------- LMPOP and the blocking pops ---------------- */

/*
 * Serves the first of the nkeys keys from argument `first` on that holds a
 * list, as Redis's blockingPopGenericCommand walks them: a missing key is
 * skipped, a key of another type replies WRONGTYPE. count -1 replies
 * [key, element] (BLPOP), else [key, [elements]] (LMPOP). Returns 1 when it
 * replied, 0 when no key had data.
 */
static int pop_first_list(struct cmd_ctx *c, int first, int nkeys, enum ql_where where, long long count)
{
    for (int j = first; j < first + nkeys; j++) {
        struct db_entry *e = lookup_write(c, j);
        if (!e)
            continue;
        if (e->type != OBJ_LIST) {
            reply_error(c->out, ERR_WRONGTYPE);
            return 1;
        }
        reply_array(c->out, 2);
        reply_bulk(c->out, c->argv[j].ptr, c->argv[j].len);
        if (count == -1)
            pop_one_reply(c, e, where);
        else
            pop_range_reply(c, e, where, count);
        list_removed(c, j, e, pop_event(where));
        return 1;
    }
    return 0;
}

/* Nothing to pop: block, or reply the null array when blocking is not
 * allowed (MULTI, or the timeout ran out). */
static void block_or_null_array(struct cmd_ctx *c)
{
    if (c->blocking)
        c->blocked = 1;
    else
        reply_null_array(c->out, c->resp);
}

/*
 * [B]LMPOP's arguments from numkeys_idx: numkeys key... LEFT|RIGHT
 * [COUNT count], checked in Redis's order. Returns 0 after replying an
 * error.
 */
static int parse_mpop(struct cmd_ctx *c, int numkeys_idx, long long *numkeys, enum ql_where *where, long long *count)
{
    if (!arg_range_or_reply(c, numkeys_idx, 1, LLONG_MAX, numkeys, ERR_NUMKEYS))
        return 0;
    if (*numkeys >= c->argc - numkeys_idx - 1) {
        reply_error(c->out, ERR_SYNTAX);
        return 0;
    }
    int where_idx = numkeys_idx + (int)*numkeys + 1;
    if (!arg_where_or_reply(c, where_idx, where))
        return 0;
    *count = -1;
    for (int j = where_idx + 1; j < c->argc; j++) {
        if (*count == -1 && arg_is(&c->argv[j], "count") && j + 1 < c->argc) {
            j++;
            if (!arg_range_or_reply(c, j, 1, LLONG_MAX, count, ERR_COUNT_POSITIVE))
                return 0;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return 0;
        }
    }
    if (*count == -1)
        *count = 1;
    return 1;
}

/* LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count] */
void cmd_lmpop(struct cmd_ctx *c)
{
    long long numkeys, count;
    enum ql_where where;
    if (!parse_mpop(c, 1, &numkeys, &where, &count))
        return;
    if (!pop_first_list(c, 2, (int)numkeys, where, count))
        reply_null_array(c->out, c->resp);
}

/* BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]: the
 * timeout is checked after the other arguments, as Redis does. */
void cmd_blmpop(struct cmd_ctx *c)
{
    long long numkeys, count, timeout;
    enum ql_where where;
    if (!parse_mpop(c, 2, &numkeys, &where, &count))
        return;
    if (!arg_timeout_or_reply(c, 1, &timeout))
        return;
    if (!pop_first_list(c, 3, (int)numkeys, where, count))
        block_or_null_array(c);
}

/* BLPOP/BRPOP key [key ...] timeout */
static void blocking_pop(struct cmd_ctx *c, enum ql_where where)
{
    long long timeout;
    if (!arg_timeout_or_reply(c, c->argc - 1, &timeout))
        return;
    if (!pop_first_list(c, 1, c->argc - 2, where, -1))
        block_or_null_array(c);
}

void cmd_blpop(struct cmd_ctx *c)
{
    blocking_pop(c, QL_HEAD);
}

void cmd_brpop(struct cmd_ctx *c)
{
    blocking_pop(c, QL_TAIL);
}

/* BLMOVE/BRPOPLPUSH once the arguments are valid: a missing source blocks
 * (or replies nil); a source of another type is WRONGTYPE; else LMOVE. */
static void blocking_move(struct cmd_ctx *c, enum ql_where from, enum ql_where to)
{
    struct db_entry *src = lookup_write(c, 1);
    if (src && src->type != OBJ_LIST) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    if (!src) {
        if (c->blocking)
            c->blocked = 1;
        else
            reply_null(c->out, c->resp);
        return;
    }
    lmove_generic(c, from, to);
}

/* BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout */
void cmd_blmove(struct cmd_ctx *c)
{
    enum ql_where from, to;
    long long timeout;
    if (!arg_where_or_reply(c, 3, &from) || !arg_where_or_reply(c, 4, &to))
        return;
    if (!arg_timeout_or_reply(c, 5, &timeout))
        return;
    blocking_move(c, from, to);
}

/* BRPOPLPUSH source destination timeout */
void cmd_brpoplpush(struct cmd_ctx *c)
{
    long long timeout;
    if (!arg_timeout_or_reply(c, 3, &timeout))
        return;
    blocking_move(c, QL_TAIL, QL_HEAD);
}
