/*
 * cmd_stream.c - the stream commands: XADD, XLEN, XRANGE, XREVRANGE, XDEL,
 * XTRIM, XREAD, XREADGROUP, XSETID, XGROUP (CREATE, SETID, DESTROY,
 * CREATECONSUMER, DELCONSUMER, HELP), XACK, XPENDING, XCLAIM, XAUTOCLAIM and
 * XINFO (STREAM [FULL [COUNT]], GROUPS, CONSUMERS, HELP), with Redis 7.0's
 * replies and error texts. The value is core/types/t_stream.h.
 *
 * Threads: the shard thread owning the keys (XREAD/XREADGROUP over several
 * shards run over a private db gathered by the engine's multi-key
 * machinery, as SINTER does); nothing here is shared.
 *
 * What the log records (effects, so a replay rebuilds the same stream, ids
 * and PEL whatever the clock or the node limits are at replay):
 *   XADD        XADD key id field value ... with the id it chose, then, when
 *               it trimmed, XTRIM key MINID = <new first id> (MAXLEN = 0
 *               when it emptied the stream);
 *   XTRIM       the same explicit XTRIM;
 *   XREADGROUP  per delivered entry XCLAIM key group consumer 0 id TIME ms
 *               RETRYCOUNT n FORCE JUSTID LASTID last-id (Redis's
 *               propagation), XGROUP SETID ... ENTRIESREAD n for NOACK reads,
 *               XGROUP CREATECONSUMER for a consumer it created;
 *   XCLAIM, XAUTOCLAIM  the same XCLAIM per claimed id (absolute TIME)
 *               (XCLAIM of a deleted entry drops its PEL entry on replay too);
 * every other command is deterministic and logs its own argv.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/listpack.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_stream.h"

#define ERR_INVALID_ID "ERR Invalid stream ID specified as stream command argument"
#define ERR_XADD_SMALLER "ERR The ID specified in XADD is equal or smaller than the target stream top item"
#define ID_BUF 48

static const struct stream_id ID_MIN = {0, 0};
static const struct stream_id ID_MAX = {UINT64_MAX, UINT64_MAX};

/* ---------------- helpers ---------------- */

static int64_t now_ms(const struct cmd_ctx *c)
{
    return c->now_ms > 0 ? c->now_ms : mstime();
}

static int lookup_stream(struct cmd_ctx *c, int argi, int write, struct db_entry **ep)
{
    struct db_entry *e = write ? lookup_write(c, argi) : lookup_read(c, argi);
    if (e && e->type != OBJ_STREAM) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    *ep = e;
    return 1;
}

static int parse_id_or_reply(struct cmd_ctx *c, int argi, uint64_t missing_seq, int strict, int *seq_given,
                             struct stream_id *id)
{
    if (!stream_id_parse(c->argv[argi].ptr, c->argv[argi].len, missing_seq, strict, seq_given, id)) {
        reply_error(c->out, ERR_INVALID_ID);
        return 0;
    }
    return 1;
}

/* The strict ids argv[from..argc-1], every one checked before the caller
 * changes anything (XDEL, XACK): the array (caller frees with free()), or
 * NULL after replying the error. */
static struct stream_id *parse_ids_or_reply(struct cmd_ctx *c, int from)
{
    struct stream_id *ids = malloc(sizeof(*ids) * (size_t)c->argc);
    if (!ids)
        out_of_memory(sizeof(*ids) * (size_t)c->argc);
    for (int j = from; j < c->argc; j++) {
        if (!parse_id_or_reply(c, j, 0, 1, NULL, &ids[j - from])) {
            free(ids);
            return NULL;
        }
    }
    return ids;
}

static void reply_id(struct buf *out, struct stream_id id)
{
    char b[ID_BUF];
    reply_bulk(out, b, stream_id_format(id, b));
}

static void reply_lp_elem(struct buf *out, unsigned char *p)
{
    char tmp[32];
    size_t len;
    const char *s = lp_get_str(p, tmp, &len);
    reply_bulk(out, s, len);
}

/* The current entry of it: [id, [field, value, ...]]. */
static void reply_entry(struct buf *out, struct stream_iter *it, struct stream_id id, long long nf)
{
    reply_array(out, 2);
    reply_id(out, id);
    reply_array(out, nf * 2);
    for (long long i = 0; i < nf; i++) {
        unsigned char *f, *v;
        stream_iter_field(it, &f, &v);
        reply_lp_elem(out, f);
        reply_lp_elem(out, v);
    }
}

/* Replies the entry id if it exists; 0 when it does not. */
static int reply_entry_by_id(struct buf *out, struct stream *s, struct stream_id id)
{
    struct stream_iter it;
    struct stream_id got;
    long long nf;
    stream_iter_start(&it, s, id, id, 0);
    if (!stream_iter_next(&it, &got, &nf))
        return 0;
    reply_entry(out, &it, got, nf);
    return 1;
}

/* XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID last */
static void log_claim(struct cmd_ctx *c, int keyi, const struct stream_cg *g, const struct stream_consumer *cons,
                      struct stream_id id, const struct stream_nack *n)
{
    if (!c->aof)
        return;
    char idb[ID_BUF], lastb[ID_BUF], tb[24], rb[24];
    const char *v[14];
    size_t l[14];
    int k = 0;
#define PUSH(s, len) (v[k] = (s), l[k] = (len), k++)
    PUSH("XCLAIM", 6);
    PUSH(c->argv[keyi].ptr, c->argv[keyi].len);
    PUSH(g->name, g->name_len);
    PUSH(cons->name, cons->name_len);
    PUSH("0", 1);
    PUSH(idb, stream_id_format(id, idb));
    PUSH("TIME", 4);
    PUSH(tb, (size_t)ll2string(tb, sizeof(tb), n->delivery_time));
    PUSH("RETRYCOUNT", 10);
    PUSH(rb, (size_t)ll2string(rb, sizeof(rb), (long long)n->delivery_count));
    PUSH("FORCE", 5);
    PUSH("JUSTID", 6);
    PUSH("LASTID", 6);
    PUSH(lastb, stream_id_format(g->last_id, lastb));
#undef PUSH
    effect_log(c, k, v, l);
}

static void log_setid(struct cmd_ctx *c, int keyi, const struct stream_cg *g)
{
    if (!c->aof)
        return;
    char idb[ID_BUF], rb[24];
    const char *v[7] = {"XGROUP", "SETID", c->argv[keyi].ptr, g->name, idb, "ENTRIESREAD", rb};
    size_t l[7] = {6,
                   5,
                   c->argv[keyi].len,
                   g->name_len,
                   stream_id_format(g->last_id, idb),
                   11,
                   (size_t)ll2string(rb, sizeof(rb), g->entries_read)};
    effect_log(c, 7, v, l);
}

static void log_create_consumer(struct cmd_ctx *c, int keyi, const struct stream_cg *g,
                                const struct stream_consumer *cons)
{
    if (!c->aof)
        return;
    const char *v[5] = {"XGROUP", "CREATECONSUMER", c->argv[keyi].ptr, g->name, cons->name};
    size_t l[5] = {6, 14, c->argv[keyi].len, g->name_len, cons->name_len};
    effect_log(c, 5, v, l);
}

/* After a trim that removed entries: the explicit XTRIM record. */
static void log_trim(struct cmd_ctx *c, int keyi, const struct stream *s)
{
    if (!c->aof)
        return;
    char idb[ID_BUF];
    if (s->length == 0) {
        const char *v[5] = {"XTRIM", c->argv[keyi].ptr, "MAXLEN", "=", "0"};
        size_t l[5] = {5, c->argv[keyi].len, 6, 1, 1};
        effect_log(c, 5, v, l);
    } else {
        const char *v[5] = {"XTRIM", c->argv[keyi].ptr, "MINID", "=", idb};
        size_t l[5] = {5, c->argv[keyi].len, 5, 1, stream_id_format(s->first_id, idb)};
        effect_log(c, 5, v, l);
    }
}

/* ---------------- XADD and XTRIM ---------------- */

struct trim_args {
    int strategy; /* 0 none, 1 MAXLEN, 2 MINID */
    int approx;
    long long maxlen;
    struct stream_id minid;
    long long limit;
    int nomkstream;
    int id_given, seq_given;
    struct stream_id id;
};

/* Parses XADD's/XTRIM's options from argv[2]; returns the index of the id
 * (XADD) or argc (XTRIM), or -1 after replying an error. */
static int parse_add_trim(struct cmd_ctx *c, struct trim_args *a, int xadd)
{
    memset(a, 0, sizeof(*a));
    int limit_given = 0;
    int i = 2;
    for (; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        const struct arg *o = &c->argv[i];
        if (xadd && o->len == 1 && o->ptr[0] == '*') {
            break;
        } else if ((arg_is(o, "maxlen") || arg_is(o, "minid")) && more) {
            int minid = arg_is(o, "minid");
            if (a->strategy) {
                reply_error(c->out, "ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
                return -1;
            }
            a->approx = 0;
            const struct arg *n = &c->argv[i + 1];
            if (more >= 2 && n->len == 1 && n->ptr[0] == '~') {
                a->approx = 1;
                i++;
            } else if (more >= 2 && n->len == 1 && n->ptr[0] == '=') {
                i++;
            }
            if (!minid) {
                if (!arg_ll_or_reply(c, i + 1, &a->maxlen, NULL))
                    return -1;
                if (a->maxlen < 0) {
                    reply_error(c->out, "ERR The MAXLEN argument must be >= 0.");
                    return -1;
                }
                a->strategy = 1;
            } else {
                if (!parse_id_or_reply(c, i + 1, 0, 1, NULL, &a->minid))
                    return -1;
                a->strategy = 2;
            }
            i++;
        } else if (arg_is(o, "limit") && more) {
            if (!arg_ll_or_reply(c, i + 1, &a->limit, NULL))
                return -1;
            if (a->limit < 0) {
                reply_error(c->out, "ERR The LIMIT argument must be >= 0.");
                return -1;
            }
            limit_given = 1;
            i++;
        } else if (xadd && arg_is(o, "nomkstream")) {
            a->nomkstream = 1;
        } else if (xadd) {
            if (!parse_id_or_reply(c, i, 0, 1, &a->seq_given, &a->id))
                return -1;
            a->id_given = 1;
            break;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return -1;
        }
    }
    if (a->limit && !a->strategy) {
        reply_error(c->out, "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return -1;
    }
    if (!xadd && !a->strategy) {
        reply_error(c->out, "ERR syntax error, XTRIM must be called with a trimming strategy");
        return -1;
    }
    if (limit_given) {
        if (!a->approx) {
            reply_error(c->out, "ERR syntax error, LIMIT cannot be used without the special ~ option");
            return -1;
        }
    } else if (a->approx) {
        long long entries = ctx_config(c)->stream_node_max_entries;
        a->limit = entries > 10000 ? 1000000 : 100 * entries;
        if (a->limit <= 0)
            a->limit = 10000;
        if (a->limit > 1000000)
            a->limit = 1000000;
    }
    return i;
}

static long long do_trim(struct stream *s, const struct trim_args *a)
{
    return stream_trim(s, a->strategy == 2, a->maxlen, a->minid, a->approx, a->limit);
}

void cmd_xadd(struct cmd_ctx *c)
{
    struct trim_args a;
    int idpos = parse_add_trim(c, &a, 1);
    if (idpos < 0)
        return;
    int fpos = idpos + 1;
    if (c->argc - fpos < 2 || (c->argc - fpos) % 2) {
        reply_wrong_arity(c->out, c->argv[0].ptr, c->argv[0].len);
        return;
    }
    if (a.id_given && a.seq_given && a.id.ms == 0 && a.id.seq == 0) {
        reply_error(c->out, "ERR The ID specified in XADD must be greater than 0-0");
        return;
    }
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    if (!e) {
        if (a.nomkstream) {
            reply_null(c->out, c->resp);
            return;
        }
    } else {
        struct stream *s = e->v.ptr;
        if (s->last_id.ms == UINT64_MAX && s->last_id.seq == UINT64_MAX) {
            reply_error(c->out, "ERR The stream has exhausted the last possible ID, unable to add more items");
            return;
        }
    }
    struct stream_id last = e ? ((struct stream *)e->v.ptr)->last_id : ID_MIN;
    struct stream_id id;
    if (a.id_given) {
        id = a.id;
        if (!a.seq_given) {
            if (id.ms == last.ms) {
                if (last.seq == UINT64_MAX) {
                    reply_error(c->out, ERR_XADD_SMALLER);
                    return;
                }
                id.seq = last.seq + 1;
            } else {
                id.seq = 0;
            }
        }
        if (stream_id_cmp(id, last) <= 0) {
            reply_error(c->out, ERR_XADD_SMALLER);
            return;
        }
    } else {
        uint64_t ms = (uint64_t)now_ms(c);
        if (ms > last.ms) {
            id = (struct stream_id){ms, 0};
        } else {
            id = last;
            stream_id_incr(&id);
        }
    }
    if (!e) {
        e = entry_new_collection(arg_key_hash(c, 1), c->argv[1].ptr, c->argv[1].len, OBJ_STREAM, ENC_STREAM,
                                 stream_new());
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
    }
    struct stream *s = e->v.ptr;
    const struct config *cfg = ctx_config(c);
    stream_append(s, id, c->argv + fpos, c->argc - fpos, (size_t)cfg->stream_node_max_bytes,
                  cfg->stream_node_max_entries);
    reply_id(c->out, id);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STREAM, "xadd", 1);
    long long trimmed = 0;
    if (a.strategy) {
        trimmed = do_trim(s, &a);
        if (trimmed)
            notify_keyspace_event(c, NOTIFY_STREAM, "xtrim", 1);
    }
    if (c->aof) {
        /* XADD key [NOMKSTREAM] id field value ... */
        int n = 3 + (c->argc - fpos);
        const char **v = malloc(sizeof(*v) * (size_t)n);
        size_t *l = malloc(sizeof(*l) * (size_t)n);
        if (!v || !l)
            out_of_memory(sizeof(*v) * (size_t)n);
        char idb[ID_BUF];
        v[0] = "XADD";
        l[0] = 4;
        v[1] = c->argv[1].ptr;
        l[1] = c->argv[1].len;
        v[2] = idb;
        l[2] = stream_id_format(id, idb);
        for (int i = fpos; i < c->argc; i++) {
            v[3 + i - fpos] = c->argv[i].ptr;
            l[3 + i - fpos] = c->argv[i].len;
        }
        effect_log(c, n, v, l);
        free(v);
        free(l);
        if (trimmed)
            log_trim(c, 1, s);
    }
}

void cmd_xtrim(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    struct trim_args a;
    if (parse_add_trim(c, &a, 0) < 0)
        return;
    if (!e) {
        reply_integer(c->out, 0);
        return;
    }
    struct stream *s = e->v.ptr;
    long long trimmed = do_trim(s, &a);
    if (trimmed) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_STREAM, "xtrim", 1);
        log_trim(c, 1, s);
    } else {
        effect_none(c);
    }
    reply_integer(c->out, trimmed);
}

/* ---------------- XLEN, XRANGE, XREVRANGE, XDEL ---------------- */

void cmd_xlen(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_stream(c, 1, 0, &e))
        return;
    reply_integer(c->out, e ? (long long)((struct stream *)e->v.ptr)->length : 0);
}

/* "(id" exclusive, else the Redis non-strict form ("-", "+" accepted). */
static int parse_interval_or_reply(struct cmd_ctx *c, int argi, uint64_t missing_seq, int *excl, struct stream_id *id)
{
    const struct arg *a = &c->argv[argi];
    *excl = a->len > 1 && a->ptr[0] == '(';
    int ok = *excl ? stream_id_parse(a->ptr + 1, a->len - 1, missing_seq, 1, NULL, id)
                   : stream_id_parse(a->ptr, a->len, missing_seq, 0, NULL, id);
    if (!ok)
        reply_error(c->out, ERR_INVALID_ID);
    return ok;
}

static void xrange_generic(struct cmd_ctx *c, int rev)
{
    int starti = rev ? 3 : 2, endi = rev ? 2 : 3;
    struct stream_id start, end;
    int sx, ex;
    long long count = -1;
    if (!parse_interval_or_reply(c, starti, 0, &sx, &start))
        return;
    if (sx && !stream_id_incr(&start)) {
        reply_error(c->out, "ERR invalid start ID for the interval");
        return;
    }
    if (!parse_interval_or_reply(c, endi, UINT64_MAX, &ex, &end))
        return;
    if (ex && !stream_id_decr(&end)) {
        reply_error(c->out, "ERR invalid end ID for the interval");
        return;
    }
    for (int j = 4; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "count") && c->argc - j - 1 >= 1) {
            if (!arg_ll_or_reply(c, j + 1, &count, NULL))
                return;
            if (count < 0)
                count = 0;
            j++;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    struct db_entry *e;
    if (!lookup_stream(c, 1, 0, &e))
        return;
    if (!e) {
        reply_array(c->out, 0);
        return;
    }
    if (count == 0) {
        reply_null_array(c->out, c->resp);
        return;
    }
    struct buf tmp = {0};
    struct buf *out = c->out;
    struct stream_iter it;
    struct stream_id id;
    long long nf, n = 0;
    stream_iter_start(&it, e->v.ptr, start, end, rev);
    while ((count < 0 || n < count) && stream_iter_next(&it, &id, &nf)) {
        reply_entry(&tmp, &it, id, nf);
        n++;
    }
    reply_array(out, n);
    buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
}

void cmd_xrange(struct cmd_ctx *c)
{
    xrange_generic(c, 0);
}

void cmd_xrevrange(struct cmd_ctx *c)
{
    xrange_generic(c, 1);
}

void cmd_xdel(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    if (!e) { /* as Redis: a missing key answers 0 before the ids are parsed */
        reply_integer(c->out, 0);
        return;
    }
    struct stream_id *ids = parse_ids_or_reply(c, 2);
    if (!ids)
        return;
    long long deleted = 0;
    struct stream *s = e->v.ptr;
    int first = 0;
    for (int j = 2; j < c->argc; j++) {
        if (stream_delete(s, ids[j - 2])) {
            if (stream_id_cmp(ids[j - 2], s->first_id) == 0)
                first = 1;
            if (stream_id_cmp(ids[j - 2], s->max_deleted_id) > 0)
                s->max_deleted_id = ids[j - 2];
            deleted++;
        }
    }
    if (deleted) {
        if (s->length == 0)
            s->first_id = ID_MIN;
        else if (first)
            stream_update_first_id(s);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_STREAM, "xdel", 1);
    }
    free(ids);
    reply_integer(c->out, deleted);
}

/* ---------------- XSETID ---------------- */

void cmd_xsetid(struct cmd_ctx *c)
{
    struct stream_id id, max_xdel = ID_MIN;
    long long entries_added = -1;
    if (!parse_id_or_reply(c, 2, 0, 1, NULL, &id))
        return;
    int i = 3;
    while (i < c->argc) {
        int more = c->argc - i - 1;
        if (arg_is(&c->argv[i], "entriesadded") && more) {
            if (!arg_ll_or_reply(c, i + 1, &entries_added, NULL))
                return;
            if (entries_added < 0) {
                reply_error(c->out, "ERR entries_added must be positive");
                return;
            }
            i += 2;
        } else if (arg_is(&c->argv[i], "maxdeletedid") && more) {
            if (!parse_id_or_reply(c, i + 1, 0, 1, NULL, &max_xdel))
                return;
            if (stream_id_cmp(id, max_xdel) < 0) {
                reply_error(c->out, "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
                return;
            }
            i += 2;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    struct db_entry *e = lookup_write(c, 1);
    if (!e) {
        reply_error(c->out, ERR_NO_SUCH_KEY);
        return;
    }
    if (e->type != OBJ_STREAM) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    struct stream *s = e->v.ptr;
    /* Redis 7.0's checks, in its order (both only for a non-empty stream) */
    if (s->length > 0) {
        struct stream_iter it;
        struct stream_id maxid;
        long long nf;
        stream_iter_start(&it, s, ID_MIN, ID_MAX, 1);
        stream_iter_next(&it, &maxid, &nf);
        if (stream_id_cmp(id, maxid) < 0) {
            reply_error(c->out, "ERR The ID specified in XSETID is smaller than the target stream top item");
            return;
        }
        if (entries_added != -1 && s->length > (uint64_t)entries_added) {
            reply_error(c->out, "ERR The entries_added specified in XSETID is smaller than the target stream length");
            return;
        }
    }
    s->last_id = id;
    if (entries_added != -1)
        s->entries_added = (uint64_t)entries_added;
    if (!stream_id_is_zero(max_xdel))
        s->max_deleted_id = max_xdel;
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_STREAM, "xsetid", 1);
    reply_ok(c->out);
}

/* ---------------- XREAD and XREADGROUP ---------------- */

/* Serves group g of stream s to consumer cons from after `after` (the
 * group's new entries, '>') into out; returns the entries served. */
static long long serve_group_new(struct cmd_ctx *c, int keyi, struct stream *s, struct stream_cg *g,
                                 struct stream_consumer *cons, struct stream_id after, long long count, int noack,
                                 struct buf *out)
{
    struct stream_id start = after;
    stream_id_incr(&start);
    struct buf tmp = {0};
    struct stream_iter it;
    struct stream_id id;
    long long nf, n = 0;
    int64_t now = now_ms(c);
    int moved_last = 0;
    stream_iter_start(&it, s, start, ID_MAX, 0);
    while ((count <= 0 || n < count) && stream_iter_next(&it, &id, &nf)) {
        if (stream_id_cmp(id, g->last_id) > 0) {
            if (g->entries_read != STREAM_ENTRIES_READ_INVALID && !stream_range_has_tombstones(s, id, ID_MAX))
                g->entries_read++;
            else if (s->entries_added)
                g->entries_read = stream_estimate_distance(s, id);
            g->last_id = id;
            moved_last = 1;
        }
        reply_entry(&tmp, &it, id, nf);
        n++;
        if (!noack) {
            struct stream_nack *nk = idmap_find(&g->pel, id.ms, id.seq);
            if (nk) {
                stream_pel_assign(g, cons, id, now, 0);
                nk->delivery_count = 1;
            } else {
                nk = stream_pel_assign(g, cons, id, now, 0);
            }
            log_claim(c, keyi, g, cons, id, nk);
        }
    }
    if (noack && moved_last)
        log_setid(c, keyi, g);
    reply_array(out, n);
    buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
    return n;
}

/* XREADGROUP with an explicit id: the consumer's own pending entries. */
static void serve_group_history(struct cmd_ctx *c, int keyi, struct stream *s, struct stream_cg *g,
                                struct stream_consumer *cons, struct stream_id after, long long count, struct buf *out)
{
    struct stream_id start = after;
    stream_id_incr(&start);
    struct buf tmp = {0};
    long long n = 0;
    int64_t now = now_ms(c);
    size_t i = idmap_seek_ge(&cons->pel, start.ms, start.seq);
    for (; i < idmap_size(&cons->pel) && (count <= 0 || n < count); i++) {
        struct idmap_item *pi = idmap_at(&cons->pel, i);
        struct stream_id id = {pi->ms, pi->seq};
        struct stream_nack *nk = pi->val;
        if (!reply_entry_by_id(&tmp, s, id)) {
            reply_array(&tmp, 2);
            reply_id(&tmp, id);
            reply_null_array(&tmp, c->resp);
        } else {
            nk->delivery_time = now;
            nk->delivery_count++;
            log_claim(c, keyi, g, cons, id, nk);
        }
        n++;
    }
    reply_array(out, n);
    buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
}

static void xread_generic(struct cmd_ctx *c, int group_form)
{
    long long timeout = -1, count = 0;
    int streams_arg = 0, nstreams = 0, noack = 0;
    const struct arg *group = NULL, *consumer = NULL;
    for (int i = 1; i < c->argc; i++) {
        int more = c->argc - i - 1;
        const struct arg *o = &c->argv[i];
        if (arg_is(o, "block") && more) {
            i++;
            long long ms;
            if (!string2ll(c->argv[i].ptr, c->argv[i].len, &ms)) {
                reply_error(c->out, "ERR timeout is not an integer or out of range");
                return;
            }
            if (ms < 0) {
                reply_error(c->out, "ERR timeout is negative");
                return;
            }
            timeout = ms;
        } else if (arg_is(o, "count") && more) {
            i++;
            if (!arg_ll_or_reply(c, i, &count, NULL))
                return;
            if (count < 0)
                count = 0;
        } else if (arg_is(o, "streams") && more) {
            streams_arg = i + 1;
            nstreams = c->argc - streams_arg;
            if (nstreams % 2) {
                reply_error(c->out, "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be "
                                    "specified.");
                return;
            }
            nstreams /= 2;
            break;
        } else if (arg_is(o, "group") && more >= 2) {
            if (!group_form) {
                reply_error(c->out, "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
                return;
            }
            group = &c->argv[i + 1];
            consumer = &c->argv[i + 2];
            i += 2;
        } else if (arg_is(o, "noack")) {
            if (!group_form) {
                reply_error(c->out, "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
                return;
            }
            noack = 1;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    if (streams_arg == 0) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    if (group_form && !group) {
        reply_error(c->out, "ERR Missing GROUP option for XREADGROUP");
        return;
    }
    struct stream_id *ids = malloc(sizeof(*ids) * (size_t)nstreams);
    struct stream_cg **groups = calloc((size_t)nstreams, sizeof(*groups));
    if (!ids || !groups)
        out_of_memory(sizeof(*ids) * (size_t)nstreams);
    if (c->blocking == 2 && count == 0)
        count = 1000; /* served after blocking: Redis's XREAD_BLOCKED_DEFAULT_COUNT */
    for (int k = 0; k < nstreams; k++) {
        int keyi = streams_arg + k, idi = streams_arg + nstreams + k;
        struct db_entry *e = group_form ? lookup_write(c, keyi) : lookup_read(c, keyi);
        if (group_form && c->blocking == 2) {
            /* a parked XREADGROUP woken by the deletion of its key (or
             * its replacement by another type) or of its group: Redis
             * 7.0's errors for the blocked client */
            if (!e || e->type != OBJ_STREAM) {
                reply_error(c->out, "UNBLOCKED the stream key no longer exists");
                goto done;
            }
            if (!stream_group_find(e->v.ptr, group->ptr, group->len)) {
                reply_error(c->out, "NOGROUP the consumer group this client was blocked on no longer exists");
                goto done;
            }
        }
        if (e && e->type != OBJ_STREAM) {
            reply_error(c->out, ERR_WRONGTYPE);
            goto done;
        }
        if (group_form) {
            if (!e || !(groups[k] = stream_group_find(e->v.ptr, group->ptr, group->len))) {
                reply_errorf(c->out,
                             "NOGROUP No such key '%.*s' or consumer group '%.*s' in XREADGROUP with GROUP option",
                             (int)c->argv[keyi].len, c->argv[keyi].ptr, (int)group->len, group->ptr);
                goto done;
            }
        }
        const struct arg *a = &c->argv[idi];
        if (a->len == 1 && a->ptr[0] == '$') {
            if (group_form) {
                reply_error(c->out, "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the "
                                    "history of this consumer by specifying a proper ID, or use the > ID to get "
                                    "new messages. The $ ID would just return an empty result set.");
                goto done;
            }
            ids[k] = e ? ((struct stream *)e->v.ptr)->last_id : ID_MIN;
            continue;
        }
        if (a->len == 1 && a->ptr[0] == '>') {
            if (!group_form) {
                reply_error(c->out, "ERR The > ID can be specified only when calling XREADGROUP using the GROUP "
                                    "<group> <consumer> option.");
                goto done;
            }
            ids[k] = ID_MAX;
            continue;
        }
        if (!parse_id_or_reply(c, idi, 0, 1, NULL, &ids[k]))
            goto done;
    }
    struct buf tmp = {0};
    long long served = 0;
    for (int k = 0; k < nstreams; k++) {
        int keyi = streams_arg + k;
        struct db_entry *e = group_form ? lookup_write(c, keyi) : lookup_read(c, keyi);
        if (!e)
            continue;
        struct stream *s = e->v.ptr;
        struct stream_id gt = ids[k];
        int serve = 0, history = 0;
        if (group_form) {
            if (stream_id_cmp(gt, ID_MAX) != 0) {
                serve = history = 1;
            } else if (s->length && stream_id_cmp(s->last_id, groups[k]->last_id) > 0) {
                /* the last live id is above the group's */
                struct stream_iter it;
                struct stream_id maxid;
                long long nf;
                stream_iter_start(&it, s, ID_MIN, ID_MAX, 1);
                if (stream_iter_next(&it, &maxid, &nf) && stream_id_cmp(maxid, groups[k]->last_id) > 0) {
                    serve = 1;
                    gt = groups[k]->last_id;
                }
            }
        } else if (s->length) {
            struct stream_iter it;
            struct stream_id maxid;
            long long nf;
            stream_iter_start(&it, s, ID_MIN, ID_MAX, 1);
            if (stream_iter_next(&it, &maxid, &nf) && stream_id_cmp(maxid, gt) > 0)
                serve = 1;
        }
        if (!serve)
            continue;
        served++;
        if (c->resp == 2)
            reply_array(&tmp, 2);
        reply_bulk(&tmp, c->argv[keyi].ptr, c->argv[keyi].len);
        if (!group_form) {
            struct stream_id start = gt;
            stream_id_incr(&start);
            struct buf inner = {0};
            struct stream_iter it;
            struct stream_id id;
            long long nf, n = 0;
            stream_iter_start(&it, s, start, ID_MAX, 0);
            while ((count <= 0 || n < count) && stream_iter_next(&it, &id, &nf)) {
                reply_entry(&inner, &it, id, nf);
                n++;
            }
            reply_array(&tmp, n);
            buf_append(&tmp, inner.data, inner.len);
            buf_free(&inner);
            continue;
        }
        struct stream_cg *g = groups[k];
        int created;
        struct stream_consumer *cons = stream_consumer_get(g, consumer->ptr, consumer->len, now_ms(c), &created);
        if (created) {
            log_create_consumer(c, keyi, g, cons);
        }
        cons->seen_time = now_ms(c);
        if (history)
            serve_group_history(c, keyi, s, g, cons, gt, count, &tmp);
        else
            serve_group_new(c, keyi, s, g, cons, gt, count, noack, &tmp);
        key_modified(c, keyi);
    }
    if (served) {
        if (c->resp == 2)
            reply_array(c->out, served);
        else
            reply_map(c->out, c->resp, served);
        buf_append(c->out, tmp.data, tmp.len);
    } else {
        if (c->blocking && timeout >= 0) {
            c->blocked = 1;
        } else {
            reply_null_array(c->out, c->resp);
        }
    }
    if (group_form && !served)
        effect_none(c);
    buf_free(&tmp);
done:
    free(ids);
    free(groups);
}

void cmd_xread(struct cmd_ctx *c)
{
    xread_generic(c, 0);
}

void cmd_xreadgroup(struct cmd_ctx *c)
{
    xread_generic(c, 1);
}

/* ---------------- HELP and subcommand errors ---------------- */

static void reply_help(struct cmd_ctx *c, const char *name, const char *const *lines, size_t n)
{
    reply_array(c->out, (long long)n + 3);
    char head[96];
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name);
    reply_simple(c->out, head);
    for (size_t i = 0; i < n; i++)
        reply_simple(c->out, lines[i]);
    reply_simple(c->out, "HELP");
    reply_simple(c->out, "    Prints this help.");
}

static void reply_subcommand_syntax(struct cmd_ctx *c, const char *upper)
{
    int shown = c->argv[1].len > 128 ? 128 : (int)c->argv[1].len;
    reply_errorf(c->out, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.", shown,
                 c->argv[1].ptr, upper);
}

/* ---------------- XGROUP ---------------- */

static const char *const xgroup_help[] = {
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
};

void cmd_xgroup(struct cmd_ctx *c)
{
    const struct arg *opt = &c->argv[1];
    if (arg_is(opt, "help")) {
        if (c->argc != 2) {
            reply_subcommand_syntax(c, "XGROUP");
            return;
        }
        reply_help(c, "XGROUP", xgroup_help, sizeof(xgroup_help) / sizeof(xgroup_help[0]));
        return;
    }
    if (c->argc < 4) {
        reply_subcommand_syntax(c, "XGROUP");
        return;
    }
    int create = arg_is(opt, "create"), setid = arg_is(opt, "setid");
    int mkstream = 0;
    long long entries_read = STREAM_ENTRIES_READ_INVALID;
    for (int i = 5; i < c->argc;) {
        if (create && arg_is(&c->argv[i], "mkstream")) {
            mkstream = 1;
            i++;
        } else if ((create || setid) && arg_is(&c->argv[i], "entriesread") && i + 1 < c->argc) {
            if (!arg_ll_or_reply(c, i + 1, &entries_read, NULL))
                return;
            if (entries_read < 0 && entries_read != STREAM_ENTRIES_READ_INVALID) {
                reply_error(c->out, "ERR value for ENTRIESREAD must be positive or -1");
                return;
            }
            i += 2;
        } else {
            reply_subcommand_syntax(c, "XGROUP");
            return;
        }
    }
    struct db_entry *e;
    if (!lookup_stream(c, 2, 1, &e))
        return;
    struct stream *s = e ? e->v.ptr : NULL;
    const struct arg *gname = &c->argv[3];
    struct stream_cg *g = NULL;
    if (!mkstream) {
        if (!s) {
            reply_error(c->out, "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may "
                                "want to use the MKSTREAM option to create an empty stream automatically.");
            return;
        }
        g = stream_group_find(s, gname->ptr, gname->len);
        if (!g && (setid || arg_is(opt, "createconsumer") || arg_is(opt, "delconsumer"))) {
            reply_errorf(c->out, "NOGROUP No such consumer group '%.*s' for key name '%.*s'", (int)gname->len,
                         gname->ptr, (int)c->argv[2].len, c->argv[2].ptr);
            return;
        }
    }
    if (create && c->argc >= 5 && c->argc <= 8) {
        struct stream_id id;
        if (c->argv[4].len == 1 && c->argv[4].ptr[0] == '$') {
            id = s ? s->last_id : ID_MIN;
        } else if (!parse_id_or_reply(c, 4, 0, 1, NULL, &id)) {
            return;
        }
        if (!s) {
            e = entry_new_collection(arg_key_hash(c, 2), c->argv[2].ptr, c->argv[2].len, OBJ_STREAM, ENC_STREAM,
                                     stream_new());
            db_insert(c->db, e);
            s = e->v.ptr;
            notify_keyspace_event(c, NOTIFY_NEW, "new", 2);
            key_modified(c, 2);
        }
        if (stream_group_create(s, gname->ptr, gname->len, id, entries_read)) {
            key_modified(c, 2);
            notify_keyspace_event(c, NOTIFY_STREAM, "xgroup-create", 2);
            reply_ok(c->out);
        } else {
            reply_error(c->out, "BUSYGROUP Consumer Group name already exists");
        }
    } else if (setid && (c->argc == 5 || c->argc == 7)) {
        struct stream_id id;
        if (c->argv[4].len == 1 && c->argv[4].ptr[0] == '$') {
            id = s->last_id;
        } else if (!stream_id_parse(c->argv[4].ptr, c->argv[4].len, 0, 0, NULL, &id)) {
            reply_error(c->out, ERR_INVALID_ID);
            return;
        }
        g->last_id = id;
        g->entries_read = entries_read;
        key_modified(c, 2);
        notify_keyspace_event(c, NOTIFY_STREAM, "xgroup-setid", 2);
        reply_ok(c->out);
    } else if (arg_is(opt, "destroy") && c->argc == 4) {
        if (g) {
            stream_group_destroy(s, gname->ptr, gname->len);
            key_modified(c, 2);
            notify_keyspace_event(c, NOTIFY_STREAM, "xgroup-destroy", 2);
            reply_integer(c->out, 1);
        } else {
            reply_integer(c->out, 0);
        }
    } else if (arg_is(opt, "createconsumer") && c->argc == 5) {
        int created;
        stream_consumer_get(g, c->argv[4].ptr, c->argv[4].len, now_ms(c), &created);
        if (created) {
            key_modified(c, 2);
            notify_keyspace_event(c, NOTIFY_STREAM, "xgroup-createconsumer", 2);
        }
        reply_integer(c->out, created);
    } else if (arg_is(opt, "delconsumer") && c->argc == 5) {
        long long pending = 0;
        if (stream_consumer_find(g, c->argv[4].ptr, c->argv[4].len)) {
            pending = (long long)stream_consumer_delete(g, c->argv[4].ptr, c->argv[4].len);
            key_modified(c, 2);
            notify_keyspace_event(c, NOTIFY_STREAM, "xgroup-delconsumer", 2);
        }
        reply_integer(c->out, pending);
    } else {
        reply_subcommand_syntax(c, "XGROUP");
    }
}

/* ---------------- XACK ---------------- */

void cmd_xack(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    struct stream_cg *g = e ? stream_group_find(e->v.ptr, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!g) {
        reply_integer(c->out, 0);
        return;
    }
    struct stream_id *ids = parse_ids_or_reply(c, 3);
    if (!ids)
        return;
    long long acked = 0;
    for (int j = 3; j < c->argc; j++)
        acked += stream_pel_ack(g, ids[j - 3]);
    free(ids);
    if (acked)
        key_modified(c, 1);
    reply_integer(c->out, acked);
}

/* ---------------- XPENDING ---------------- */

void cmd_xpending(struct cmd_ctx *c)
{
    int justinfo = c->argc == 3;
    const struct arg *gname = &c->argv[2];
    const struct arg *cname = NULL;
    struct stream_id start = ID_MIN, end = ID_MAX;
    long long count = 0, minidle = 0;
    if (c->argc != 3 && (c->argc < 6 || c->argc > 9)) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    if (c->argc >= 6) {
        int si = 3;
        if (arg_is(&c->argv[3], "idle")) {
            if (!arg_ll_or_reply(c, 4, &minidle, NULL))
                return;
            if (c->argc < 8) {
                reply_error(c->out, ERR_SYNTAX);
                return;
            }
            si += 2;
        }
        if (!arg_ll_or_reply(c, si + 2, &count, NULL))
            return;
        if (count < 0)
            count = 0;
        int sx, ex;
        if (!parse_interval_or_reply(c, si, 0, &sx, &start))
            return;
        if (sx && !stream_id_incr(&start)) {
            reply_error(c->out, "ERR invalid start ID for the interval");
            return;
        }
        if (!parse_interval_or_reply(c, si + 1, UINT64_MAX, &ex, &end))
            return;
        if (ex && !stream_id_decr(&end)) {
            reply_error(c->out, "ERR invalid end ID for the interval");
            return;
        }
        if (si + 3 < c->argc) /* anything after the consumer is ignored, as in Redis */
            cname = &c->argv[si + 3];
    }
    struct db_entry *e;
    if (!lookup_stream(c, 1, 0, &e))
        return;
    struct stream_cg *g = e ? stream_group_find(e->v.ptr, gname->ptr, gname->len) : NULL;
    if (!g) {
        reply_errorf(c->out, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)c->argv[1].len, c->argv[1].ptr,
                     (int)gname->len, gname->ptr);
        return;
    }
    if (justinfo) {
        reply_array(c->out, 4);
        size_t n = idmap_size(&g->pel);
        reply_integer(c->out, (long long)n);
        if (n == 0) {
            reply_null(c->out, c->resp);
            reply_null(c->out, c->resp);
            reply_null_array(c->out, c->resp);
            return;
        }
        struct idmap_item *f = idmap_at(&g->pel, 0), *l = idmap_at(&g->pel, n - 1);
        reply_id(c->out, (struct stream_id){f->ms, f->seq});
        reply_id(c->out, (struct stream_id){l->ms, l->seq});
        long long with = 0;
        for (size_t i = 0; i < g->nconsumers; i++)
            with += idmap_size(&g->consumers[i]->pel) > 0;
        reply_array(c->out, with);
        for (size_t i = 0; i < g->nconsumers; i++) {
            struct stream_consumer *cs = g->consumers[i];
            if (!idmap_size(&cs->pel))
                continue;
            reply_array(c->out, 2);
            reply_bulk(c->out, cs->name, cs->name_len);
            reply_bulk_ll(c->out, (long long)idmap_size(&cs->pel));
        }
        return;
    }
    const struct idmap *pel = &g->pel;
    if (cname) {
        struct stream_consumer *cs = stream_consumer_find(g, cname->ptr, cname->len);
        if (!cs) {
            reply_array(c->out, 0);
            return;
        }
        pel = &cs->pel;
    }
    int64_t now = now_ms(c);
    struct buf tmp = {0};
    long long n = 0;
    for (size_t i = idmap_seek_ge(pel, start.ms, start.seq); count && i < idmap_size(pel); i++) {
        struct idmap_item *it = idmap_at(pel, i);
        if (idmap_cmp(it->ms, it->seq, end.ms, end.seq) > 0)
            break;
        struct stream_nack *nk = it->val;
        if (minidle && now - nk->delivery_time < minidle)
            continue;
        count--;
        reply_array(&tmp, 4);
        reply_id(&tmp, (struct stream_id){it->ms, it->seq});
        reply_bulk(&tmp, nk->consumer->name, nk->consumer->name_len);
        long long elapsed = now - nk->delivery_time;
        reply_integer(&tmp, elapsed < 0 ? 0 : elapsed);
        reply_integer(&tmp, (long long)nk->delivery_count);
        n++;
    }
    reply_array(c->out, n);
    buf_append(c->out, tmp.data, tmp.len);
    buf_free(&tmp);
}

/* ---------------- XCLAIM and XAUTOCLAIM ---------------- */

void cmd_xclaim(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    struct stream_cg *g = e ? stream_group_find(e->v.ptr, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!g) {
        reply_errorf(c->out, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)c->argv[1].len, c->argv[1].ptr,
                     (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    struct stream *s = e->v.ptr;
    long long minidle;
    if (!arg_ll_or_reply(c, 4, &minidle, "ERR Invalid min-idle-time argument for XCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    struct stream_id *ids = malloc(sizeof(*ids) * (size_t)c->argc);
    if (!ids)
        out_of_memory(sizeof(*ids) * (size_t)c->argc);
    int j;
    for (j = 5; j < c->argc; j++)
        if (!stream_id_parse(c->argv[j].ptr, c->argv[j].len, 0, 1, NULL, &ids[j - 5]))
            break;
    int last_id_arg = j - 1;
    int64_t now = now_ms(c);
    long long deliverytime = -1, retrycount = -1;
    int force = 0, justid = 0;
    struct stream_id last_id = ID_MIN;
    for (; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        const struct arg *o = &c->argv[j];
        if (arg_is(o, "force")) {
            force = 1;
        } else if (arg_is(o, "justid")) {
            justid = 1;
        } else if (arg_is(o, "idle") && more) {
            j++;
            if (!arg_ll_or_reply(c, j, &deliverytime, "ERR Invalid IDLE option argument for XCLAIM"))
                goto done;
            deliverytime = now - deliverytime;
        } else if (arg_is(o, "time") && more) {
            j++;
            if (!arg_ll_or_reply(c, j, &deliverytime, "ERR Invalid TIME option argument for XCLAIM"))
                goto done;
        } else if (arg_is(o, "retrycount") && more) {
            j++;
            if (!arg_ll_or_reply(c, j, &retrycount, "ERR Invalid RETRYCOUNT option argument for XCLAIM"))
                goto done;
        } else if (arg_is(o, "lastid") && more) {
            j++;
            if (!parse_id_or_reply(c, j, 0, 1, NULL, &last_id))
                goto done;
        } else {
            reply_errorf(c->out, "ERR Unrecognized XCLAIM option '%.*s'", (int)o->len, o->ptr);
            goto done;
        }
    }
    int changed = 0, log_last = 0;
    if (stream_id_cmp(last_id, g->last_id) > 0) {
        g->last_id = last_id;
        changed = log_last = 1;
    }
    if (deliverytime != -1) {
        if (deliverytime < 0 || deliverytime > now)
            deliverytime = now;
    } else {
        deliverytime = now;
    }
    struct stream_consumer *cons = NULL;
    struct buf tmp = {0};
    long long n = 0;
    for (int k = 5; k <= last_id_arg; k++) {
        struct stream_id id = ids[k - 5];
        struct stream_nack *nk = idmap_find(&g->pel, id.ms, id.seq);
        if (!stream_entry_exists(s, id)) {
            if (nk) { /* a deleted entry leaves the PEL (the record does the same on replay) */
                log_claim(c, 1, g, nk->consumer, id, nk);
                log_last = 0;
                stream_pel_ack(g, id);
                changed = 1;
            }
            continue;
        }
        if (!nk && !force)
            continue;
        if (nk && minidle && now - nk->delivery_time < minidle)
            continue;
        if (!cons) {
            int created;
            cons = stream_consumer_get(g, c->argv[3].ptr, c->argv[3].len, now, &created);
            cons->seen_time = now;
        }
        nk = stream_pel_assign(g, cons, id, now, 0);
        nk->delivery_time = deliverytime;
        if (retrycount >= 0)
            nk->delivery_count = (uint64_t)retrycount;
        else if (!justid)
            nk->delivery_count++;
        if (justid)
            reply_id(&tmp, id);
        else
            reply_entry_by_id(&tmp, s, id);
        n++;
        log_claim(c, 1, g, cons, id, nk);
        log_last = 0;
        changed = 1;
    }
    if (log_last)
        log_setid(c, 1, g);
    if (changed)
        key_modified(c, 1);
    effect_none(c);
    reply_array(c->out, n);
    buf_append(c->out, tmp.data, tmp.len);
    buf_free(&tmp);
done:
    free(ids);
}

void cmd_xautoclaim(struct cmd_ctx *c)
{
    long long minidle, count = 100;
    int justid = 0;
    if (!arg_ll_or_reply(c, 4, &minidle, "ERR Invalid min-idle-time argument for XAUTOCLAIM"))
        return;
    if (minidle < 0)
        minidle = 0;
    struct stream_id start;
    int sx;
    if (!parse_interval_or_reply(c, 5, 0, &sx, &start))
        return;
    if (sx && !stream_id_incr(&start)) {
        reply_error(c->out, "ERR invalid start ID for the interval");
        return;
    }
    for (int j = 6; j < c->argc;) {
        int more = c->argc - 1 - j;
        if (arg_is(&c->argv[j], "count") && more) {
            long long v;
            if (!string2ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &v) || v < 1 || v > LONG_MAX / 16) {
                reply_error(c->out, "ERR COUNT must be > 0");
                return;
            }
            count = v;
            j += 2;
        } else if (arg_is(&c->argv[j], "justid")) {
            justid = 1;
            j++;
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    struct db_entry *e;
    if (!lookup_stream(c, 1, 1, &e))
        return;
    struct stream_cg *g = e ? stream_group_find(e->v.ptr, c->argv[2].ptr, c->argv[2].len) : NULL;
    if (!g) {
        reply_errorf(c->out, "NOGROUP No such key '%.*s' or consumer group '%.*s'", (int)c->argv[1].len, c->argv[1].ptr,
                     (int)c->argv[2].len, c->argv[2].ptr);
        return;
    }
    struct stream *s = e->v.ptr;
    int64_t now = now_ms(c);
    long long attempts = count * 10;
    struct stream_consumer *cons = NULL;
    struct buf tmp = {0}, del = {0};
    long long n = 0, ndel = 0;
    int changed = 0;
    size_t i = idmap_seek_ge(&g->pel, start.ms, start.seq);
    while (attempts-- && count && i < idmap_size(&g->pel)) {
        struct idmap_item *it = idmap_at(&g->pel, i);
        struct stream_id id = {it->ms, it->seq};
        struct stream_nack *nk = it->val;
        if (!stream_entry_exists(s, id)) {
            log_claim(c, 1, g, nk->consumer, id, nk);
            stream_pel_ack(g, id); /* i now names the next entry */
            reply_id(&del, id);
            ndel++;
            count--;
            changed = 1;
            continue;
        }
        if (minidle && now - nk->delivery_time < minidle) {
            i++;
            continue;
        }
        if (!cons) {
            int created;
            cons = stream_consumer_get(g, c->argv[3].ptr, c->argv[3].len, now, &created);
            cons->seen_time = now;
        }
        nk = stream_pel_assign(g, cons, id, now, 0);
        if (!justid)
            nk->delivery_count++;
        if (justid)
            reply_id(&tmp, id);
        else
            reply_entry_by_id(&tmp, s, id);
        n++;
        count--;
        log_claim(c, 1, g, cons, id, nk);
        changed = 1;
        i = idmap_seek_ge(&g->pel, id.ms, id.seq) + 1;
    }
    if (changed)
        key_modified(c, 1);
    effect_none(c);
    reply_array(c->out, 3);
    if (i < idmap_size(&g->pel)) {
        struct idmap_item *it = idmap_at(&g->pel, i);
        reply_id(c->out, (struct stream_id){it->ms, it->seq});
    } else {
        reply_id(c->out, ID_MIN);
    }
    reply_array(c->out, n);
    buf_append(c->out, tmp.data, tmp.len);
    reply_array(c->out, ndel);
    buf_append(c->out, del.data, del.len);
    buf_free(&tmp);
    buf_free(&del);
}

/* ---------------- XINFO ---------------- */

static const char *const xinfo_help[] = {
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
};

static void reply_cstr(struct buf *out, const char *s)
{
    reply_bulk_cstr(out, s);
}

static void reply_lag(struct cmd_ctx *c, const struct stream *s, const struct stream_cg *g)
{
    long long lag = stream_group_lag(s, g);
    if (lag < 0)
        reply_null(c->out, c->resp);
    else
        reply_integer(c->out, lag);
}

static void xinfo_stream(struct cmd_ctx *c, struct stream *s)
{
    int full = 1;
    long long count = 10;
    int optc = c->argc - 3;
    if (optc == 0) {
        full = 0;
    } else {
        if ((optc != 1 && optc != 3) || !arg_is(&c->argv[3], "full") || (optc == 3 && !arg_is(&c->argv[4], "count"))) {
            reply_subcommand_syntax(c, "XINFO");
            return;
        }
        if (optc == 3) {
            if (!arg_ll_or_reply(c, 5, &count, NULL))
                return;
            if (count < 0)
                count = 10;
        }
    }
    struct buf *out = c->out;
    long long nodes = (long long)idmap_size(&s->nodes);
    reply_map(out, c->resp, full ? 9 : 10);
    reply_cstr(out, "length");
    reply_integer(out, (long long)s->length);
    reply_cstr(out, "radix-tree-keys");
    reply_integer(out, nodes);
    reply_cstr(out, "radix-tree-nodes");
    reply_integer(out, nodes + 1);
    reply_cstr(out, "last-generated-id");
    reply_id(out, s->last_id);
    reply_cstr(out, "max-deleted-entry-id");
    reply_id(out, s->max_deleted_id);
    reply_cstr(out, "entries-added");
    reply_integer(out, (long long)s->entries_added);
    reply_cstr(out, "recorded-first-entry-id");
    reply_id(out, s->first_id);
    struct stream_iter it;
    struct stream_id id;
    long long nf;
    if (!full) {
        reply_cstr(out, "groups");
        reply_integer(out, (long long)s->ngroups);
        for (int rev = 0; rev < 2; rev++) {
            reply_cstr(out, rev ? "last-entry" : "first-entry");
            stream_iter_start(&it, s, ID_MIN, ID_MAX, rev);
            if (stream_iter_next(&it, &id, &nf))
                reply_entry(out, &it, id, nf);
            else
                reply_null(out, c->resp);
        }
        return;
    }
    reply_cstr(out, "entries");
    struct buf tmp = {0};
    long long n = 0;
    stream_iter_start(&it, s, ID_MIN, ID_MAX, 0);
    while ((count == 0 || n < count) && stream_iter_next(&it, &id, &nf)) {
        reply_entry(&tmp, &it, id, nf);
        n++;
    }
    reply_array(out, n);
    buf_append(out, tmp.data, tmp.len);
    buf_free(&tmp);
    reply_cstr(out, "groups");
    reply_array(out, (long long)s->ngroups);
    for (size_t gi = 0; gi < s->ngroups; gi++) {
        struct stream_cg *g = s->groups[gi];
        reply_map(out, c->resp, 7);
        reply_cstr(out, "name");
        reply_bulk(out, g->name, g->name_len);
        reply_cstr(out, "last-delivered-id");
        reply_id(out, g->last_id);
        reply_cstr(out, "entries-read");
        if (g->entries_read != STREAM_ENTRIES_READ_INVALID)
            reply_integer(out, g->entries_read);
        else
            reply_null(out, c->resp);
        reply_cstr(out, "lag");
        reply_lag(c, s, g);
        reply_cstr(out, "pel-count");
        reply_integer(out, (long long)idmap_size(&g->pel));
        reply_cstr(out, "pending");
        size_t np = idmap_size(&g->pel);
        if (count && (size_t)count < np)
            np = (size_t)count;
        reply_array(out, (long long)np);
        for (size_t k = 0; k < np; k++) {
            struct idmap_item *pi = idmap_at(&g->pel, k);
            struct stream_nack *nk = pi->val;
            reply_array(out, 4);
            reply_id(out, (struct stream_id){pi->ms, pi->seq});
            reply_bulk(out, nk->consumer->name, nk->consumer->name_len);
            reply_integer(out, nk->delivery_time);
            reply_integer(out, (long long)nk->delivery_count);
        }
        reply_cstr(out, "consumers");
        reply_array(out, (long long)g->nconsumers);
        for (size_t ci = 0; ci < g->nconsumers; ci++) {
            struct stream_consumer *cs = g->consumers[ci];
            reply_map(out, c->resp, 4);
            reply_cstr(out, "name");
            reply_bulk(out, cs->name, cs->name_len);
            reply_cstr(out, "seen-time");
            reply_integer(out, cs->seen_time);
            reply_cstr(out, "pel-count");
            reply_integer(out, (long long)idmap_size(&cs->pel));
            reply_cstr(out, "pending");
            size_t cp = idmap_size(&cs->pel);
            if (count && (size_t)count < cp)
                cp = (size_t)count;
            reply_array(out, (long long)cp);
            for (size_t k = 0; k < cp; k++) {
                struct idmap_item *pi = idmap_at(&cs->pel, k);
                struct stream_nack *nk = pi->val;
                reply_array(out, 3);
                reply_id(out, (struct stream_id){pi->ms, pi->seq});
                reply_integer(out, nk->delivery_time);
                reply_integer(out, (long long)nk->delivery_count);
            }
        }
    }
}

void cmd_xinfo(struct cmd_ctx *c)
{
    const struct arg *opt = &c->argv[1];
    if (arg_is(opt, "help")) {
        if (c->argc != 2) {
            reply_subcommand_syntax(c, "XINFO");
            return;
        }
        reply_help(c, "XINFO", xinfo_help, sizeof(xinfo_help) / sizeof(xinfo_help[0]));
        return;
    }
    if (c->argc < 3) {
        reply_subcommand_syntax(c, "XINFO");
        return;
    }
    struct db_entry *e = lookup_read(c, 2);
    if (!e) {
        reply_error(c->out, ERR_NO_SUCH_KEY);
        return;
    }
    if (e->type != OBJ_STREAM) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    struct stream *s = e->v.ptr;
    int64_t now = now_ms(c);
    if (arg_is(opt, "consumers") && c->argc == 4) {
        struct stream_cg *g = stream_group_find(s, c->argv[3].ptr, c->argv[3].len);
        if (!g) {
            reply_errorf(c->out, "NOGROUP No such consumer group '%.*s' for key name '%.*s'", (int)c->argv[3].len,
                         c->argv[3].ptr, (int)c->argv[2].len, c->argv[2].ptr);
            return;
        }
        reply_array(c->out, (long long)g->nconsumers);
        for (size_t i = 0; i < g->nconsumers; i++) {
            struct stream_consumer *cs = g->consumers[i];
            long long idle = now - cs->seen_time;
            reply_map(c->out, c->resp, 3);
            reply_cstr(c->out, "name");
            reply_bulk(c->out, cs->name, cs->name_len);
            reply_cstr(c->out, "pending");
            reply_integer(c->out, (long long)idmap_size(&cs->pel));
            reply_cstr(c->out, "idle");
            reply_integer(c->out, idle < 0 ? 0 : idle);
        }
    } else if (arg_is(opt, "groups") && c->argc == 3) {
        reply_array(c->out, (long long)s->ngroups);
        for (size_t i = 0; i < s->ngroups; i++) {
            struct stream_cg *g = s->groups[i];
            reply_map(c->out, c->resp, 6);
            reply_cstr(c->out, "name");
            reply_bulk(c->out, g->name, g->name_len);
            reply_cstr(c->out, "consumers");
            reply_integer(c->out, (long long)g->nconsumers);
            reply_cstr(c->out, "pending");
            reply_integer(c->out, (long long)idmap_size(&g->pel));
            reply_cstr(c->out, "last-delivered-id");
            reply_id(c->out, g->last_id);
            reply_cstr(c->out, "entries-read");
            if (g->entries_read != STREAM_ENTRIES_READ_INVALID)
                reply_integer(c->out, g->entries_read);
            else
                reply_null(c->out, c->resp);
            reply_cstr(c->out, "lag");
            reply_lag(c, s, g);
        }
    } else if (arg_is(opt, "stream")) {
        xinfo_stream(c, s);
    } else {
        reply_subcommand_syntax(c, "XINFO");
    }
}

/* ---------------- blocking support for the engine ---------------- */

/* Index of the first argument after STREAMS, and the stream count; 0 when
 * the command has none or an odd number of arguments after it. */
static int streams_at(int argc, const struct arg *argv, int *nstreams)
{
    for (int i = 1; i < argc; i++) {
        if (arg_is(&argv[i], "streams")) {
            int n = argc - i - 1;
            if (n <= 0 || n % 2)
                return 0;
            *nstreams = n / 2;
            return i + 1;
        }
        if (arg_is(&argv[i], "group"))
            i += 2;
        else if (arg_is(&argv[i], "block") || arg_is(&argv[i], "count"))
            i++;
    }
    return 0;
}

int xread_block_timeout(int argc, const struct arg *argv, long long *ms)
{
    int found = -1;
    for (int i = 1; i < argc - 1; i++) {
        if (arg_is(&argv[i], "streams"))
            break;
        if (arg_is(&argv[i], "group")) {
            i += 2;
        } else if (arg_is(&argv[i], "count")) {
            i++;
        } else if (arg_is(&argv[i], "block")) {
            long long v;
            if (!string2ll(argv[i + 1].ptr, argv[i + 1].len, &v) || v < 0)
                return 0;
            *ms = v;
            found = 1;
            i++;
        }
    }
    return found;
}

int xread_pin_last_ids(struct db *db, int64_t now, int argc, struct arg *argv, char *storage)
{
    int nstreams, at = streams_at(argc, argv, &nstreams), pinned = 0;
    if (!at || arg_is(&argv[0], "xreadgroup"))
        return 0;
    for (int k = 0; k < nstreams; k++) {
        struct arg *id = &argv[at + nstreams + k];
        if (id->len != 1 || id->ptr[0] != '$')
            continue;
        const struct arg *key = &argv[at + k];
        struct db_entry *e = db_find_live(db, key_hash(key->ptr, key->len), key->ptr, key->len, now);
        struct stream_id last = e && e->type == OBJ_STREAM ? ((struct stream *)e->v.ptr)->last_id : ID_MIN;
        char *dst = storage + (size_t)pinned * XREAD_PIN_BYTES;
        id->len = stream_id_format(last, dst);
        id->ptr = dst;
        pinned++;
    }
    return pinned;
}

int xread_key_ready(const struct db_entry *e, int argc, const struct arg *argv, const char *key, size_t klen)
{
    int nstreams, at = streams_at(argc, argv, &nstreams);
    if (!at)
        return 1; /* let the handler reply its error */
    const struct arg *group = NULL;
    for (int i = 1; i + 2 < at; i++)
        if (arg_is(&argv[i], "group")) {
            group = &argv[i + 1];
            break;
        }
    if (!e || e->type != OBJ_STREAM)
        return group != NULL; /* an XREADGROUP is told its key is gone */
    struct stream *s = e->v.ptr;
    for (int k = 0; k < nstreams; k++) {
        const struct arg *a = &argv[at + k];
        if (a->len != klen || memcmp(a->ptr, key, klen) != 0)
            continue;
        struct stream_id after;
        if (group) {
            struct stream_cg *g = stream_group_find(s, group->ptr, group->len);
            if (!g)
                return 1; /* served with the NOGROUP error */
            after = g->last_id;
        } else {
            const struct arg *id = &argv[at + nstreams + k];
            if (id->len == 1 && id->ptr[0] == '$')
                return 0;
            if (!stream_id_parse(id->ptr, id->len, 0, 1, NULL, &after))
                return 1;
        }
        return s->length > 0 && stream_id_cmp(s->last_id, after) > 0;
    }
    return 0;
}
