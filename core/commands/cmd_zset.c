/*
 * cmd_zset.c - the sorted set commands (ZADD ... ZSCAN), after Redis 7.0's
 * t_zset.c.
 *
 * The sorted set value (encodings, lookups, ZADD's one-member update,
 * conversion, the iterator) is core/types/t_zset.h.
 *
 * Every handler runs on the shard owning its keys (multi-key commands have
 * all keys gathered into c->db by the dispatcher). Errors are detected in
 * Redis 7.0's order before anything changes; a key whose set becomes empty
 * is deleted; key_modified() follows every change of a key argument.
 *
 * Threads: the shard thread owning the keys. Elements are read through
 * t_zset's iterator (struct zit), which hides the encoding; ranges are walked twice when the reply needs its length
 * first (once counting, once emitting), which keeps replies allocation-free.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/ds/zset.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_zset.h"

#define ERR_MINMAX_FLOAT "ERR min or max is not a float"
#define ERR_MINMAX_LEX "ERR min or max not valid string range item"
#define ERR_NAN_SCORE "ERR resulting score is not a number (NaN)"
#define ERR_POSITIVE "ERR value is out of range, must be positive"
#define ERR_NUMKEYS "ERR numkeys should be greater than 0"
#define ERR_LIMIT_RANK "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
#define ERR_WITHSCORES_LEX "ERR syntax error, WITHSCORES not supported in combination with BYLEX"

/* Deletes the key at argi when its set is empty; returns 1 when it did. */
static int delete_if_empty(struct cmd_ctx *c, int argi, struct db_entry *e)
{
    if (zlen(e) != 0)
        return 0;
    delete_key_arg(c, argi);
    return 1;
}

/* The command's event on the key at argi, then "del" when it went. */
static void notify_removed(struct cmd_ctx *c, int argi, const char *event, int emptied)
{
    notify_keyspace_event(c, NOTIFY_ZSET, event, argi);
    if (emptied)
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", argi);
}

/* ---------------- argument parsing ---------------- */

/* Redis's zslParseRange item: "(" for exclusive, strtod over the rest (as
 * Redis, an embedded NUL ends the number). */
static int parse_score_item(const struct arg *a, double *v, int *ex)
{
    char stack[128], *buf = stack;
    const char *s = a->ptr;
    size_t len = a->len;
    *ex = 0;
    if (len > 0 && s[0] == '(') {
        *ex = 1;
        s++;
        len--;
    }
    if (len >= sizeof(stack) && !(buf = malloc(len + 1)))
        return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    *v = strtod(buf, &end);
    int ok = *end == '\0' && !isnan(*v);
    if (buf != stack)
        free(buf);
    return ok;
}

static int parse_score_range(const struct arg *min, const struct arg *max, struct zset_score_range *r)
{
    return parse_score_item(min, &r->min, &r->minex) && parse_score_item(max, &r->max, &r->maxex);
}

static int parse_lex_item(const struct arg *a, const char **s, size_t *len, int *ex, int *kind)
{
    if (a->len == 0)
        return 0;
    *ex = 0;
    *kind = ZLEX_VALUE;
    switch (a->ptr[0]) {
    case '+':
    case '-':
        if (a->len != 1)
            return 0;
        *kind = a->ptr[0] == '+' ? ZLEX_PLUS : ZLEX_MINUS;
        *s = NULL;
        *len = 0;
        return 1;
    case '(':
    case '[':
        *ex = a->ptr[0] == '(';
        *s = a->ptr + 1;
        *len = a->len - 1;
        return 1;
    default:
        return 0;
    }
}

static int parse_lex_range(const struct arg *min, const struct arg *max, struct zset_lex_range *r)
{
    return parse_lex_item(min, &r->min, &r->minlen, &r->minex, &r->min_kind) &&
           parse_lex_item(max, &r->max, &r->maxlen, &r->maxex, &r->max_kind);
}

/* Redis's getRangeLongFromObjectOrReply with a message: an integer in
 * [min, max], else replies msg (also for a non-number) and returns 0. */
static int arg_range_or_reply(struct cmd_ctx *c, int argi, long long min, long long max, const char *msg,
                              long long *out)
{
    long long v;
    if (!string2ll(c->argv[argi].ptr, c->argv[argi].len, &v) || v < min || v > max) {
        reply_error(c->out, msg);
        return 0;
    }
    *out = v;
    return 1;
}

static void reply_score(struct cmd_ctx *c, double score)
{
    reply_double(c->out, c->resp, score);
}

/* One element of a range reply. */
static void reply_element(struct cmd_ctx *c, const char *m, size_t len, double score, int withscores)
{
    if (withscores && c->resp >= 3)
        reply_array(c->out, 2);
    reply_bulk(c->out, m, len);
    if (withscores)
        reply_score(c, score);
}

static void reply_range_header(struct cmd_ctx *c, long n, int withscores)
{
    reply_array(c->out, withscores && c->resp < 3 ? n * 2 : n);
}

/* ---------------- ZADD, ZINCRBY ---------------- */

static void zadd_generic(struct cmd_ctx *c, int flags)
{
    int j = 2;
    for (; j < c->argc; j++) {
        const struct arg *a = &c->argv[j];
        if (arg_is(a, "nx"))
            flags |= ZA_NX;
        else if (arg_is(a, "xx"))
            flags |= ZA_XX;
        else if (arg_is(a, "gt"))
            flags |= ZA_GT;
        else if (arg_is(a, "lt"))
            flags |= ZA_LT;
        else if (arg_is(a, "ch"))
            flags |= ZA_CH;
        else if (arg_is(a, "incr"))
            flags |= ZA_INCR;
        else
            break;
    }
    int elements = c->argc - j;
    if (elements % 2 || elements == 0) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    elements /= 2;
    if ((flags & ZA_NX) && (flags & ZA_XX)) {
        reply_error(c->out, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & ZA_GT) && (flags & ZA_NX)) || ((flags & ZA_LT) && (flags & ZA_NX)) ||
        ((flags & ZA_GT) && (flags & ZA_LT))) {
        reply_error(c->out, "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & ZA_INCR) && elements > 1) {
        reply_error(c->out, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double stack_scores[16];
    double *scores = elements <= 16 ? stack_scores : malloc(sizeof(double) * (size_t)elements);
    for (int i = 0; i < elements; i++) {
        if (!arg_double_or_reply(c, j + 2 * i, &scores[i], NULL))
            goto done;
    }
    struct db_entry *e = lookup_write(c, 1);
    if (e && e->type != OBJ_ZSET) {
        reply_error(c->out, ERR_WRONGTYPE);
        goto done;
    }
    long added = 0, updated = 0, processed = 0;
    double score = 0;
    int nan = 0;
    const struct config *cfg = ctx_config(c);
    /* A new key's value is built before its entry is allocated, so the
     * listpack is the newest block while it grows and realloc can extend it
     * in place (no trail of freed small blocks per key). */
    struct db_entry fresh = {.type = OBJ_ZSET};
    int created = !e;
    if (created) {
        if (flags & ZA_XX)
            goto reply;
        if (cfg->zset_max_listpack_entries == 0 || (long long)c->argv[j + 1].len > cfg->zset_max_listpack_value) {
            fresh.encoding = ENC_SKIPLIST;
            fresh.v.ptr = zset_new();
        } else {
            fresh.encoding = ENC_LISTPACK;
            fresh.v.ptr = lp_new();
        }
        e = &fresh;
    }
    for (int i = 0; i < elements; i++) {
        const struct arg *m = &c->argv[j + 2 * i + 1];
        int r = zadd_one(cfg, e, m->ptr, m->len, scores[i], flags, &score);
        if (r & ZA_OUT_NAN) {
            nan = 1;
            break;
        }
        if (r & ZA_OUT_ADDED)
            added++;
        if (r & ZA_OUT_UPDATED)
            updated++;
        if (!(r & ZA_OUT_NOP))
            processed++;
    }
    if (created) {
        if (zlen(e) > 0) {
            db_insert(c->db, entry_new_collection(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, OBJ_ZSET,
                                                  e->encoding, e->v.ptr));
            notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
        } else {
            zset_value_free(e);
        }
    }
    if (added || updated) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_ZSET, (flags & ZA_INCR) ? "zincr" : "zadd", 1);
    }
    if (nan) {
        reply_error(c->out, ERR_NAN_SCORE);
        goto done;
    }
reply:
    if (flags & ZA_INCR) {
        if (processed)
            reply_score(c, score);
        else
            reply_null(c->out, c->resp);
    } else {
        reply_integer(c->out, (flags & ZA_CH) ? added + updated : added);
    }
done:
    if (scores != stack_scores)
        free(scores);
}

void cmd_zadd(struct cmd_ctx *c)
{
    zadd_generic(c, 0);
}

void cmd_zincrby(struct cmd_ctx *c)
{
    zadd_generic(c, ZA_INCR);
}

/* ---------------- simple readers and ZREM ---------------- */

/* The key's zset entry for reading, NULL when missing; *wrong set (and the
 * error replied) on a non-zset. */
static struct db_entry *zset_read(struct cmd_ctx *c, int argi, int *wrong)
{
    struct db_entry *e = lookup_read(c, argi);
    *wrong = 0;
    if (e && e->type != OBJ_ZSET) {
        reply_error(c->out, ERR_WRONGTYPE);
        *wrong = 1;
        return NULL;
    }
    return e;
}

static struct db_entry *zset_write(struct cmd_ctx *c, int argi, int *wrong)
{
    struct db_entry *e = lookup_write(c, argi);
    *wrong = 0;
    if (e && e->type != OBJ_ZSET) {
        reply_error(c->out, ERR_WRONGTYPE);
        *wrong = 1;
        return NULL;
    }
    return e;
}

void cmd_zrem(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = zset_write(c, 1, &wrong);
    if (wrong)
        return;
    long deleted = 0;
    if (e) {
        int emptied = 0;
        for (int j = 2; j < c->argc; j++) {
            deleted += zobj_remove(e, c->argv[j].ptr, c->argv[j].len);
            if (zlen(e) == 0) {
                delete_key_arg(c, 1);
                emptied = 1;
                break;
            }
        }
        if (deleted) {
            key_modified(c, 1);
            notify_removed(c, 1, "zrem", emptied);
        }
    }
    reply_integer(c->out, deleted);
}

void cmd_zscore(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    double score;
    if (wrong)
        return;
    if (e && zobj_score(e, c->argv[2].ptr, c->argv[2].len, &score))
        reply_score(c, score);
    else
        reply_null(c->out, c->resp);
}

void cmd_zmscore(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    reply_array(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double score;
        if (e && zobj_score(e, c->argv[j].ptr, c->argv[j].len, &score))
            reply_score(c, score);
        else
            reply_null(c->out, c->resp);
    }
}

void cmd_zcard(struct cmd_ctx *c)
{
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (!wrong)
        reply_integer(c->out, e ? (long long)zlen(e) : 0);
}

static void zrank_generic(struct cmd_ctx *c, int rev)
{
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    long rank = e ? zobj_rank(e, c->argv[2].ptr, c->argv[2].len) : -1;
    if (rank < 0)
        reply_null(c->out, c->resp);
    else
        reply_integer(c->out, rev ? (long)zlen(e) - 1 - rank : rank);
}

void cmd_zrank(struct cmd_ctx *c)
{
    zrank_generic(c, 0);
}

void cmd_zrevrank(struct cmd_ctx *c)
{
    zrank_generic(c, 1);
}

void cmd_zcount(struct cmd_ctx *c)
{
    struct zset_score_range r;
    if (!parse_score_range(&c->argv[2], &c->argv[3], &r)) {
        reply_error(c->out, ERR_MINMAX_FLOAT);
        return;
    }
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    long count = 0;
    if (e && e->encoding == ENC_SKIPLIST) {
        struct zset *z = e->v.ptr;
        struct zset_node *first = zset_first_in_score_range(z, &r);
        if (first) {
            struct zset_node *last = zset_last_in_score_range(z, &r);
            count = (long)(zset_node_rank(z, last) - zset_node_rank(z, first) + 1);
        }
    } else if (e) {
        struct zit it;
        for (zit_score_seek(&it, e, &r, 0); zit_valid(&it) && zset_score_lte_max(zit_score(&it), &r); zit_step(&it, 0))
            count++;
    }
    reply_integer(c->out, count);
}

void cmd_zlexcount(struct cmd_ctx *c)
{
    struct zset_lex_range r;
    if (!parse_lex_range(&c->argv[2], &c->argv[3], &r)) {
        reply_error(c->out, ERR_MINMAX_LEX);
        return;
    }
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    long count = 0;
    if (e && e->encoding == ENC_SKIPLIST) {
        struct zset *z = e->v.ptr;
        struct zset_node *first = zset_first_in_lex_range(z, &r);
        if (first) {
            struct zset_node *last = zset_last_in_lex_range(z, &r);
            count = (long)(zset_node_rank(z, last) - zset_node_rank(z, first) + 1);
        }
    } else if (e) {
        struct zit it;
        const char *m;
        size_t len;
        for (zit_lex_seek(&it, e, &r, 0); zit_valid(&it); zit_step(&it, 0)) {
            zit_get(&it, &m, &len, NULL);
            if (!zset_lex_lte_max(m, len, &r))
                break;
            count++;
        }
    }
    reply_integer(c->out, count);
}

/* ---------------- ZRANGE family ---------------- */

enum { ZR_AUTO = 0, ZR_RANK, ZR_SCORE, ZR_LEX };

struct zrange_req {
    int type, rev;
    long start, end; /* ZR_RANK: sanitized 0-based inclusive */
    struct zset_score_range score;
    struct zset_lex_range lex;
    long offset, limit; /* limit < 0: no limit */
};

/* Receives the elements of a range, in reply order. */
struct zemit {
    void (*fn)(struct zemit *em, const char *m, size_t len, double score);
    struct cmd_ctx *c;
    int withscores;
    long count;
    struct zset *acc; /* store target */
    size_t maxlen;
};

static void emit_count(struct zemit *em, const char *m, size_t len, double score)
{
    (void)m, (void)len, (void)score;
    em->count++;
}

static void emit_reply(struct zemit *em, const char *m, size_t len, double score)
{
    reply_element(em->c, m, len, score, em->withscores);
}

static void emit_store(struct zemit *em, const char *m, size_t len, double score)
{
    zset_set(em->acc, m, len, score);
    if (len > em->maxlen)
        em->maxlen = len;
}

static void zrange_walk(struct db_entry *e, const struct zrange_req *q, struct zemit *em)
{
    struct zit it;
    const char *m;
    size_t len;
    double score;
    if (q->type == ZR_RANK) {
        long n = q->end - q->start + 1;
        zit_at_rank(&it, e, q->rev ? (long)zlen(e) - 1 - q->start : q->start);
        for (; n > 0 && zit_valid(&it); n--, zit_step(&it, q->rev)) {
            zit_get(&it, &m, &len, &score);
            em->fn(em, m, len, score);
        }
        return;
    }
    if (q->offset < 0 || (q->offset > 0 && q->offset >= (long)zlen(e)))
        return;
    if (q->type == ZR_SCORE)
        zit_score_seek(&it, e, &q->score, q->rev);
    else
        zit_lex_seek(&it, e, &q->lex, q->rev);
    for (long skip = q->offset; skip > 0 && zit_valid(&it); skip--)
        zit_step(&it, q->rev);
    for (long limit = q->limit; limit != 0 && zit_valid(&it); zit_step(&it, q->rev)) {
        zit_get(&it, &m, &len, &score);
        if (q->type == ZR_SCORE) {
            if (q->rev ? !zset_score_gte_min(score, &q->score) : !zset_score_lte_max(score, &q->score))
                break;
        } else if (q->rev ? !zset_lex_gte_min(m, len, &q->lex) : !zset_lex_lte_max(m, len, &q->lex)) {
            break;
        }
        em->fn(em, m, len, score);
        if (limit > 0)
            limit--;
    }
}

/* Writes acc (consumed) as the sorted set at dst (replacing it), as a
 * listpack when it fits; deletes dst when acc is empty. Returns the size.
 * Raises event ("zunionstore" ...) on dst, or "del" when an empty result
 * deleted it. */
static long store_result(struct cmd_ctx *c, int dst, struct zset *acc, size_t maxlen, const char *event)
{
    long n = (long)zset_length(acc);
    struct db_entry *old = lookup_write(c, dst);
    if (old)
        delete_key_arg(c, dst);
    if (n == 0) {
        zset_free(acc);
        if (old) {
            key_modified(c, dst);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", dst);
        }
        return 0;
    }
    int encoding;
    void *value;
    zset_value_for_store(ctx_config(c), acc, maxlen, &encoding, &value);
    struct db_entry *e =
        entry_new_collection(arg_key_hash(c, dst), c->argv[dst].ptr, c->argv[dst].len, OBJ_ZSET, encoding, value);
    db_insert(c->db, e);
    if (!old)
        notify_keyspace_event(c, NOTIFY_NEW, "new", dst);
    key_modified(c, dst);
    notify_keyspace_event(c, NOTIFY_ZSET, event, dst);
    return n;
}

/* Redis's zrangeGenericCommand: key at argv[keyi], min/max after it;
 * dst >= 0 for ZRANGESTORE; type ZR_AUTO and rev -1 let BYSCORE/BYLEX/REV
 * choose (ZRANGE, ZRANGESTORE). */
static void zrange_generic(struct cmd_ctx *c, int dst, int keyi, int type, int rev)
{
    struct zrange_req q = {.offset = 0, .limit = -1};
    int withscores = 0, have_limit = 0, rev_auto = rev < 0;
    if (rev_auto)
        rev = 0;
    int minidx = keyi + 1, maxidx = keyi + 2;
    for (int j = keyi + 3; j < c->argc; j++) {
        int left = c->argc - j - 1;
        const struct arg *a = &c->argv[j];
        if (dst < 0 && arg_is(a, "withscores")) {
            withscores = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            long long off, lim;
            if (!arg_ll_or_reply(c, j + 1, &off, NULL) || !arg_ll_or_reply(c, j + 2, &lim, NULL))
                return;
            q.offset = (long)off;
            q.limit = (long)lim;
            have_limit = 1;
            j += 2;
        } else if (rev_auto && arg_is(a, "rev")) {
            rev = 1;
            rev_auto = 0;
        } else if (type == ZR_AUTO && arg_is(a, "bylex")) {
            type = ZR_LEX;
        } else if (type == ZR_AUTO && arg_is(a, "byscore")) {
            type = ZR_SCORE;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (type == ZR_AUTO)
        type = ZR_RANK;
    if (have_limit && type == ZR_RANK) {
        reply_error(c->out, ERR_LIMIT_RANK);
        return;
    }
    if (withscores && type == ZR_LEX) {
        reply_error(c->out, ERR_WITHSCORES_LEX);
        return;
    }
    if (rev && type != ZR_RANK) {
        minidx = keyi + 2;
        maxidx = keyi + 1;
    }
    long long start = 0, end = 0;
    if (type == ZR_RANK) {
        if (!arg_ll_or_reply(c, minidx, &start, NULL) || !arg_ll_or_reply(c, maxidx, &end, NULL))
            return;
    } else if (type == ZR_SCORE) {
        if (!parse_score_range(&c->argv[minidx], &c->argv[maxidx], &q.score)) {
            reply_error(c->out, ERR_MINMAX_FLOAT);
            return;
        }
    } else if (!parse_lex_range(&c->argv[minidx], &c->argv[maxidx], &q.lex)) {
        reply_error(c->out, ERR_MINMAX_LEX);
        return;
    }
    q.type = type;
    q.rev = rev;
    int wrong;
    struct db_entry *e = zset_read(c, keyi, &wrong);
    if (wrong)
        return;
    int empty = !e;
    if (e && type == ZR_RANK) {
        long long len = (long long)zlen(e);
        if (start < 0)
            start += len;
        if (end < 0)
            end += len;
        if (start < 0)
            start = 0;
        if (start > end || start >= len)
            empty = 1;
        if (end >= len)
            end = len - 1;
        q.start = (long)start;
        q.end = (long)end;
    }
    if (dst >= 0) {
        struct zemit em = {.fn = emit_store, .c = c, .acc = zset_new()};
        if (!empty)
            zrange_walk(e, &q, &em);
        reply_integer(c->out, store_result(c, dst, em.acc, em.maxlen, "zrangestore"));
        return;
    }
    if (empty) {
        reply_array(c->out, 0);
        return;
    }
    struct zemit em = {.fn = emit_count, .c = c, .withscores = withscores};
    if (type == ZR_RANK)
        em.count = q.end - q.start + 1;
    else
        zrange_walk(e, &q, &em);
    reply_range_header(c, em.count, withscores);
    em.fn = emit_reply;
    zrange_walk(e, &q, &em);
}

void cmd_zrange(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_AUTO, -1);
}
void cmd_zrangestore(struct cmd_ctx *c)
{
    zrange_generic(c, 1, 2, ZR_AUTO, -1);
}
void cmd_zrevrange(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_RANK, 1);
}
void cmd_zrangebyscore(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_SCORE, 0);
}
void cmd_zrevrangebyscore(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_SCORE, 1);
}
void cmd_zrangebylex(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_LEX, 0);
}
void cmd_zrevrangebylex(struct cmd_ctx *c)
{
    zrange_generic(c, -1, 1, ZR_LEX, 1);
}

/* ---------------- ZREMRANGEBY* ---------------- */

static void zremrange_generic(struct cmd_ctx *c, int type)
{
    struct zrange_req q = {.type = type, .limit = -1};
    long long start = 0, end = 0;
    if (type == ZR_RANK) {
        if (!arg_ll_or_reply(c, 2, &start, NULL) || !arg_ll_or_reply(c, 3, &end, NULL))
            return;
    } else if (type == ZR_SCORE) {
        if (!parse_score_range(&c->argv[2], &c->argv[3], &q.score)) {
            reply_error(c->out, ERR_MINMAX_FLOAT);
            return;
        }
    } else if (!parse_lex_range(&c->argv[2], &c->argv[3], &q.lex)) {
        reply_error(c->out, ERR_MINMAX_LEX);
        return;
    }
    int wrong;
    struct db_entry *e = zset_write(c, 1, &wrong);
    if (wrong)
        return;
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    long long len = (long long)zlen(e);
    long deleted = 0;
    if (type == ZR_RANK) {
        if (start < 0)
            start += len;
        if (end < 0)
            end += len;
        if (start < 0)
            start = 0;
        if (start > end || start >= len) {
            reply_integer(c->out, 0);
            return;
        }
        if (end >= len)
            end = len - 1;
        deleted = (long)(end - start + 1);
        if (e->encoding == ENC_LISTPACK) {
            e->v.ptr = lp_delete_range(e->v.ptr, (long)start * 2, (unsigned long)deleted * 2);
        } else {
            struct zset *z = e->v.ptr;
            struct zset_node *x = zset_node_by_rank(z, (unsigned long)start + 1);
            for (long i = 0; i < deleted; i++) {
                struct zset_node *next = zset_next(x);
                zset_remove(z, x->member->key, x->member->klen);
                x = next;
            }
        }
    } else if (e->encoding == ENC_LISTPACK) {
        struct zit it;
        if (type == ZR_SCORE)
            zit_score_seek(&it, e, &q.score, 0);
        else
            zit_lex_seek(&it, e, &q.lex, 0);
        unsigned char *lp = e->v.ptr;
        long first = -1;
        if (it.p) {
            for (unsigned char *p = lp_first(lp); p != it.p; p = lp_next(lp, lp_next(lp, p)))
                first++;
            first++;
        }
        while (zit_valid(&it)) {
            const char *m;
            size_t mlen;
            double score;
            zit_get(&it, &m, &mlen, &score);
            if (type == ZR_SCORE ? !zset_score_lte_max(score, &q.score) : !zset_lex_lte_max(m, mlen, &q.lex))
                break;
            deleted++;
            zit_step(&it, 0);
        }
        if (deleted)
            e->v.ptr = lp_delete_range(lp, first * 2, (unsigned long)deleted * 2);
    } else {
        struct zset *z = e->v.ptr;
        struct zset_node *x =
            type == ZR_SCORE ? zset_first_in_score_range(z, &q.score) : zset_first_in_lex_range(z, &q.lex);
        while (x && (type == ZR_SCORE ? zset_score_lte_max(x->score, &q.score)
                                      : zset_lex_lte_max(x->member->key, x->member->klen, &q.lex))) {
            struct zset_node *next = zset_next(x);
            zset_remove(z, x->member->key, x->member->klen);
            deleted++;
            x = next;
        }
    }
    if (deleted) {
        int emptied = delete_if_empty(c, 1, e);
        key_modified(c, 1);
        notify_removed(c, 1,
                       type == ZR_RANK    ? "zremrangebyrank"
                       : type == ZR_SCORE ? "zremrangebyscore"
                                          : "zremrangebylex",
                       emptied);
    }
    reply_integer(c->out, deleted);
}

void cmd_zremrangebyrank(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_RANK);
}
void cmd_zremrangebyscore(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_SCORE);
}
void cmd_zremrangebylex(struct cmd_ctx *c)
{
    zremrange_generic(c, ZR_LEX);
}

/* ---------------- pops ---------------- */

/* Pops up to count elements of the set at argi from the min (or max) end
 * and replies them: nested [[m, s] ...] or flat [m, s, ...]; emitkey
 * prefixes the key ([key, nested] for ZMPOP, [key, m, s] for BZPOP*). */
static void zpop_reply(struct cmd_ctx *c, int argi, struct db_entry *e, int max, long count, int nested, int emitkey)
{
    long n = (long)zlen(e);
    if (count < n)
        n = count;
    if (emitkey) {
        reply_array(c->out, nested ? 2 : 1 + n * 2);
        reply_bulk(c->out, c->argv[argi].ptr, c->argv[argi].len);
    }
    if (nested)
        reply_array(c->out, n);
    else if (!emitkey)
        reply_array(c->out, n * 2);
    for (long i = 0; i < n; i++) {
        struct zit it;
        const char *m;
        size_t len;
        double score;
        zit_at_rank(&it, e, max ? (long)zlen(e) - 1 : 0);
        zit_get(&it, &m, &len, &score);
        if (nested)
            reply_array(c->out, 2);
        reply_bulk(c->out, m, len);
        reply_score(c, score);
        if (it.skiplist) {
            zset_remove(e->v.ptr, m, len);
        } else {
            e->v.ptr = zset_lp_delete_pair(e->v.ptr, it.p);
        }
    }
    int emptied = delete_if_empty(c, argi, e);
    key_modified(c, argi);
    if (n > 0)
        notify_removed(c, argi, max ? "zpopmax" : "zpopmin", emptied);
}

static void zpop_minmax(struct cmd_ctx *c, int max)
{
    if (c->argc > 3) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    long long count = -1;
    if (c->argc == 3) {
        if (!string2ll(c->argv[2].ptr, c->argv[2].len, &count) || count < 0) {
            reply_error(c->out, ERR_POSITIVE);
            return;
        }
    }
    int wrong;
    struct db_entry *e = zset_write(c, 1, &wrong);
    if (wrong)
        return;
    if (!e || count == 0) {
        reply_array(c->out, 0);
        return;
    }
    zpop_reply(c, 1, e, max, count < 0 ? 1 : (long)count, c->resp > 2 && count != -1, 0);
}

void cmd_zpopmin(struct cmd_ctx *c)
{
    zpop_minmax(c, 0);
}
void cmd_zpopmax(struct cmd_ctx *c)
{
    zpop_minmax(c, 1);
}

/* BZPOPMIN/BZPOPMAX key... timeout */
static void bzpop_minmax(struct cmd_ctx *c, int max)
{
    long long timeout;
    if (!arg_timeout_or_reply(c, c->argc - 1, &timeout))
        return;
    for (int j = 1; j < c->argc - 1; j++) {
        int wrong;
        struct db_entry *e = zset_write(c, j, &wrong);
        if (wrong)
            return;
        if (e) {
            zpop_reply(c, j, e, max, 1, 0, 1);
            return;
        }
    }
    if (c->blocking)
        c->blocked = 1;
    else
        reply_null_array(c->out, c->resp);
}

void cmd_bzpopmin(struct cmd_ctx *c)
{
    bzpop_minmax(c, 0);
}
void cmd_bzpopmax(struct cmd_ctx *c)
{
    bzpop_minmax(c, 1);
}

/* [B]ZMPOP [timeout] numkeys key... MIN|MAX [COUNT count]; numkeys at argv[first]. */
static void zmpop_generic(struct cmd_ctx *c, int numkeys_idx, int blocking)
{
    long long numkeys, count = -1;
    if (!arg_range_or_reply(c, numkeys_idx, 1, LONG_MAX, ERR_NUMKEYS, &numkeys))
        return;
    if (numkeys >= c->argc - numkeys_idx - 1) { /* also keeps the sum below from overflowing */
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    long long where_idx = numkeys_idx + numkeys + 1;
    if (where_idx >= c->argc) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    int max;
    if (arg_is(&c->argv[where_idx], "min")) {
        max = 0;
    } else if (arg_is(&c->argv[where_idx], "max")) {
        max = 1;
    } else {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    for (int j = (int)where_idx + 1; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (count == -1 && arg_is(&c->argv[j], "count") && more) {
            j++;
            if (!arg_range_or_reply(c, j, 1, LONG_MAX, "ERR count should be greater than 0", &count))
                return;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (count == -1)
        count = 1;
    if (blocking) {
        long long timeout;
        if (!arg_timeout_or_reply(c, 1, &timeout))
            return;
    }
    for (int j = numkeys_idx + 1; j < (int)where_idx; j++) {
        int wrong;
        struct db_entry *e = zset_write(c, j, &wrong);
        if (wrong)
            return;
        if (e) {
            zpop_reply(c, j, e, max, (long)count, 1, 1);
            return;
        }
    }
    if (blocking && c->blocking)
        c->blocked = 1;
    else
        reply_null_array(c->out, c->resp);
}

void cmd_zmpop(struct cmd_ctx *c)
{
    zmpop_generic(c, 1, 0);
}
void cmd_bzmpop(struct cmd_ctx *c)
{
    zmpop_generic(c, 2, 1);
}

/* ---------------- ZRANDMEMBER ---------------- */

static uint64_t rand64(void)
{
    static __thread uint64_t state;
    if (!state)
        state = (uint64_t)mstime() ^ ((uint64_t)(uintptr_t)&state << 16) ^ 0x9e3779b97f4a7c15ULL;
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static void reply_rank_element(struct cmd_ctx *c, struct db_entry *e, long rank, int withscores)
{
    struct zit it;
    const char *m;
    size_t len;
    double score;
    zit_at_rank(&it, e, rank);
    zit_get(&it, &m, &len, &score);
    reply_element(c, m, len, score, withscores);
}

void cmd_zrandmember(struct cmd_ctx *c)
{
    long long count = 0;
    int withscores = 0;
    if (c->argc >= 3) {
        if (!arg_ll_or_reply(c, 2, &count, NULL))
            return;
        if (count < -LONG_MAX) {
            reply_error(c->out, "ERR value is out of range, value must between -9223372036854775807 and "
                                "9223372036854775807");
            return;
        }
        if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withscores"))) {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
        withscores = c->argc == 4;
        if (withscores && count < -LONG_MAX / 2) {
            reply_error(c->out, "ERR value is out of range");
            return;
        }
    }
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    if (c->argc == 2) {
        if (!e) {
            reply_null(c->out, c->resp);
            return;
        }
        struct zit it;
        const char *m;
        size_t len;
        zit_at_rank(&it, e, (long)(rand64() % zlen(e)));
        zit_get(&it, &m, &len, NULL);
        reply_bulk(c->out, m, len);
        return;
    }
    if (!e || count == 0) {
        reply_array(c->out, 0);
        return;
    }
    long size = (long)zlen(e);
    if (count < 0) { /* repetitions allowed */
        long n = (long)-count;
        reply_range_header(c, n, withscores);
        for (long i = 0; i < n; i++)
            reply_rank_element(c, e, (long)(rand64() % (uint64_t)size), withscores);
        return;
    }
    if (count >= size) { /* the whole set */
        struct zrange_req q = {.type = ZR_RANK, .start = 0, .end = size - 1};
        struct zemit em = {.fn = emit_reply, .c = c, .withscores = withscores};
        reply_range_header(c, size, withscores);
        zrange_walk(e, &q, &em);
        return;
    }
    /* Distinct ranks: a partial Fisher-Yates shuffle over the ranks when
     * count is a large share of the set, else random picks deduplicated
     * through a small table. */
    long n = (long)count;
    reply_range_header(c, n, withscores);
    if (n * 3 > size) {
        long *ranks = malloc(sizeof(long) * (size_t)size);
        for (long i = 0; i < size; i++)
            ranks[i] = i;
        for (long i = 0; i < n; i++) {
            long j = i + (long)(rand64() % (uint64_t)(size - i));
            long t = ranks[i];
            ranks[i] = ranks[j];
            ranks[j] = t;
            reply_rank_element(c, e, ranks[i], withscores);
        }
        free(ranks);
        return;
    }
    struct sdict *seen = sdict_new();
    for (long i = 0; i < n;) {
        long rank = (long)(rand64() % (uint64_t)size);
        int added;
        sdict_add(seen, (const char *)&rank, sizeof(rank), &added);
        if (!added)
            continue;
        reply_rank_element(c, e, rank, withscores);
        i++;
    }
    sdict_free(seen, NULL);
}

/* ---------------- ZUNION, ZINTER, ZDIFF and their STORE forms ---------------- */

enum { AGG_SUM, AGG_MIN, AGG_MAX };
enum { SETOP_UNION, SETOP_INTER, SETOP_DIFF };

static void aggregate(double *target, double v, int agg)
{
    if (agg == AGG_SUM) {
        *target += v;
        if (isnan(*target)) /* inf + -inf */
            *target = 0.0;
    } else if (agg == AGG_MIN) {
        *target = v < *target ? v : *target;
    } else {
        *target = v > *target ? v : *target;
    }
}

struct setop {
    struct zsrc *src;
    int nsrc;
    int agg;
    struct zset *acc;
    size_t maxlen;
    int cur;      /* source being visited */
    long limit;   /* ZINTERCARD: stop at this many (0: no limit) */
    long matches; /* ZINTERCARD */
    int count_only;
};

static void acc_set(struct setop *op, const char *m, size_t len, double score)
{
    zset_set(op->acc, m, len, score);
    if (len > op->maxlen)
        op->maxlen = len;
}

static void visit_union(void *priv, const char *m, size_t len, double score)
{
    struct setop *op = priv;
    double v = op->src[op->cur].weight * score, old;
    if (isnan(v))
        v = 0;
    if (zset_score(op->acc, m, len, &old)) {
        aggregate(&old, v, op->agg);
        v = old;
    }
    acc_set(op, m, len, v);
}

static void visit_inter(void *priv, const char *m, size_t len, double score)
{
    struct setop *op = priv;
    if (op->limit && op->matches >= op->limit)
        return;
    double v = op->src[0].weight * score;
    if (isnan(v))
        v = 0;
    for (int j = 1; j < op->nsrc; j++) {
        double other;
        if (!zsrc_score(&op->src[j], m, len, &other))
            return;
        double w = op->src[j].weight * other;
        if (isnan(w))
            w = 0;
        aggregate(&v, w, op->agg);
    }
    op->matches++;
    if (!op->count_only)
        acc_set(op, m, len, v);
}

static void visit_diff(void *priv, const char *m, size_t len, double score)
{
    struct setop *op = priv;
    double other;
    for (int j = 1; j < op->nsrc; j++)
        if (zsrc_score(&op->src[j], m, len, &other))
            return;
    acc_set(op, m, len, score);
}

static int cmp_src_len(const void *a, const void *b)
{
    unsigned long la = zsrc_len(a), lb = zsrc_len(b);
    return la < lb ? -1 : la > lb;
}

/* Redis's zunionInterDiffGenericCommand: numkeys at argv[numkeys_idx];
 * dst >= 0 for the STORE forms; cardinality_only for ZINTERCARD (limit). */
static void zsetop_generic(struct cmd_ctx *c, int dst, int numkeys_idx, int setop, int cardinality_only)
{
    long long setnum;
    if (!arg_ll_or_reply(c, numkeys_idx, &setnum, NULL))
        return;
    if (setnum < 1) {
        reply_errorf(c->out, "ERR at least 1 input key is needed for '%.*s' command", (int)c->argv[0].len,
                     c->argv[0].ptr);
        return;
    }
    if (setnum > c->argc - (numkeys_idx + 1)) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    struct zsrc *src = calloc((size_t)setnum, sizeof(*src));
    for (int i = 0; i < setnum; i++) {
        int argi = numkeys_idx + 1 + i;
        struct db_entry *e = dst >= 0 ? lookup_write(c, argi) : lookup_read(c, argi);
        if (e && e->type != OBJ_ZSET && e->type != OBJ_SET) {
            reply_error(c->out, ERR_WRONGTYPE);
            free(src);
            return;
        }
        src[i].e = e;
        src[i].weight = 1.0;
    }
    int agg = AGG_SUM, withscores = 0;
    long long limit = 0;
    int j = numkeys_idx + (int)setnum + 1;
    int remaining = c->argc - j;
    while (remaining) {
        if (cardinality_only) {
            if (remaining >= 2 && arg_is(&c->argv[j], "limit")) {
                if (!string2ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &limit) || limit < 0) {
                    reply_error(c->out, "ERR LIMIT can't be negative");
                    free(src);
                    return;
                }
                j += 2;
                remaining -= 2;
            } else {
                reply_error(c->out, ERR_SYNTAX);
                free(src);
                return;
            }
        } else if (setop != SETOP_DIFF && remaining >= setnum + 1 && arg_is(&c->argv[j], "weights")) {
            j++;
            remaining--;
            for (int i = 0; i < setnum; i++, j++, remaining--) {
                if (!arg_double_or_reply(c, j, &src[i].weight, "ERR weight value is not a float")) {
                    free(src);
                    return;
                }
            }
        } else if (setop != SETOP_DIFF && remaining >= 2 && arg_is(&c->argv[j], "aggregate")) {
            j++;
            remaining--;
            if (arg_is(&c->argv[j], "sum")) {
                agg = AGG_SUM;
            } else if (arg_is(&c->argv[j], "min")) {
                agg = AGG_MIN;
            } else if (arg_is(&c->argv[j], "max")) {
                agg = AGG_MAX;
            } else {
                reply_error(c->out, ERR_SYNTAX);
                free(src);
                return;
            }
            j++;
            remaining--;
        } else if (remaining >= 1 && dst < 0 && arg_is(&c->argv[j], "withscores")) {
            j++;
            remaining--;
            withscores = 1;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            free(src);
            return;
        }
    }
    struct setop op = {.src = src,
                       .nsrc = (int)setnum,
                       .agg = agg,
                       .acc = zset_new(),
                       .limit = (long)limit,
                       .count_only = cardinality_only};
    if (setop != SETOP_DIFF) /* smallest first: fewer lookups, and Redis's summing order */
        qsort(src, (size_t)setnum, sizeof(*src), cmp_src_len);
    if (setop == SETOP_UNION) {
        for (op.cur = 0; op.cur < setnum; op.cur++)
            zsrc_foreach(&src[op.cur], visit_union, &op);
    } else if (setop == SETOP_INTER) {
        if (zsrc_len(&src[0]) > 0)
            zsrc_foreach(&src[0], visit_inter, &op);
    } else if (zsrc_len(&src[0]) > 0) {
        zsrc_foreach(&src[0], visit_diff, &op);
    }
    free(src);
    if (cardinality_only) {
        zset_free(op.acc);
        reply_integer(c->out, op.matches);
    } else if (dst >= 0) {
        const char *event = setop == SETOP_UNION ? "zunionstore" : setop == SETOP_INTER ? "zinterstore" : "zdiffstore";
        reply_integer(c->out, store_result(c, dst, op.acc, op.maxlen, event));
    } else {
        reply_range_header(c, (long)zset_length(op.acc), withscores);
        for (struct zset_node *x = zset_first(op.acc); x; x = zset_next(x))
            reply_element(c, x->member->key, x->member->klen, x->score, withscores);
        zset_free(op.acc);
    }
}

void cmd_zunion(struct cmd_ctx *c)
{
    zsetop_generic(c, -1, 1, SETOP_UNION, 0);
}
void cmd_zinter(struct cmd_ctx *c)
{
    zsetop_generic(c, -1, 1, SETOP_INTER, 0);
}
void cmd_zdiff(struct cmd_ctx *c)
{
    zsetop_generic(c, -1, 1, SETOP_DIFF, 0);
}
void cmd_zunionstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, 2, SETOP_UNION, 0);
}
void cmd_zinterstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, 2, SETOP_INTER, 0);
}
void cmd_zdiffstore(struct cmd_ctx *c)
{
    zsetop_generic(c, 1, 2, SETOP_DIFF, 0);
}

void cmd_zintercard(struct cmd_ctx *c)
{
    zsetop_generic(c, -1, 1, SETOP_INTER, 1);
}

/* ---------------- ZSCAN ---------------- */

struct zscan_state {
    struct cmd_ctx *c;
    const struct scan_options *o;
    struct zset_node **found;
    long n, cap;
};

static void zscan_visit(void *priv, void *entry)
{
    struct sdict_node *dn = entry;
    struct zscan_state *st = priv;
    if (st->o->match && !stringmatchlen(st->o->match, st->o->match_len, dn->key, dn->klen, 0))
        return;
    if (st->n == st->cap) {
        st->cap = st->cap ? st->cap * 2 : 16;
        st->found = realloc(st->found, sizeof(*st->found) * (size_t)st->cap);
    }
    st->found[st->n++] = dn->v.ptr;
}

static void reply_scan_pair(struct cmd_ctx *c, const char *m, size_t len, double score)
{
    char sbuf[64];
    reply_bulk(c->out, m, len);
    reply_bulk(c->out, sbuf, (size_t)d2string(sbuf, sizeof(sbuf), score));
}

void cmd_zscan(struct cmd_ctx *c)
{
    /* Redis's order: the cursor, then the key and its type, then options. */
    struct scan_options o;
    if (!scan_cursor_or_reply(c, 2, &o.cursor))
        return;
    int wrong;
    struct db_entry *e = zset_read(c, 1, &wrong);
    if (wrong)
        return;
    if (!e) {
        reply_array(c->out, 2);
        reply_bulk(c->out, "0", 1);
        reply_array(c->out, 0);
        return;
    }
    if (!scan_match_count_or_reply(c, 3, &o))
        return;
    char cbuf[32];
    if (e->encoding == ENC_LISTPACK) { /* everything in one call, cursor 0 */
        struct zit it;
        const char *m;
        size_t len;
        double score;
        long n = 0;
        for (zit_at_rank(&it, e, 0); zit_valid(&it); zit_step(&it, 0)) {
            zit_get(&it, &m, &len, NULL);
            if (!o.match || stringmatchlen(o.match, o.match_len, m, len, 0))
                n++;
        }
        reply_array(c->out, 2);
        reply_bulk(c->out, "0", 1);
        reply_array(c->out, n * 2);
        for (zit_at_rank(&it, e, 0); zit_valid(&it); zit_step(&it, 0)) {
            zit_get(&it, &m, &len, &score);
            if (!o.match || stringmatchlen(o.match, o.match_len, m, len, 0))
                reply_scan_pair(c, m, len, score);
        }
        return;
    }
    struct zset *z = e->v.ptr;
    struct zscan_state st = {.c = c, .o = &o};
    unsigned long long cursor = o.cursor;
    long long maxiter = o.count * 10;
    do {
        cursor = sdict_scan(z->dict, cursor, zscan_visit, &st);
    } while (cursor && maxiter-- && st.n < o.count);
    reply_array(c->out, 2);
    int clen = ull2string(cbuf, sizeof(cbuf), cursor);
    reply_bulk(c->out, cbuf, (size_t)clen);
    reply_array(c->out, st.n * 2);
    for (long i = 0; i < st.n; i++)
        reply_scan_pair(c, st.found[i]->member->key, st.found[i]->member->klen, st.found[i]->score);
    free(st.found);
}
