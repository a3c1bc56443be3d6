/*
 * cmd_sort.c - SORT and SORT_RO, after Redis 7.0's sort.c: the elements of
 * a list, set or sorted set, sorted numerically or (ALPHA) as strings, by
 * themselves or by the values of other keys named by a pattern (BY
 * weight_* or BY h_*->field, BY nosort for no sorting), cut by LIMIT,
 * replied or stored as a list (STORE), with GET patterns (GET # for the
 * element itself) replacing each element by other keys' values.
 *
 * Keys named by BY/GET patterns are not in the command's arguments, so the
 * dispatcher cannot route by them: the handler reads them in c->db. With
 * one shard, or patterns carrying the source's hash tag, they are there.
 * With several shards, a SORT whose patterns may name keys elsewhere runs
 * behind the global barrier, and the engine gathers the source, the
 * destination and every key the patterns name (sort_pattern_keys) into a
 * private db first (shards/multistep.c, CUSTOM_SORT; also when the source
 * and the destination are on different shards), so every key is read at
 * one point.
 *
 * Order: the comparison is Redis's (numbers, equal numbers by the element's
 * bytes; ALPHA by bytes; a missing BY value sorts first) and the sort is
 * glibc's qsort, as Redis's, so ties come out in the same order; except with
 * BY, ALPHA and LIMIT together, where Redis sorts partially (pqsort) and
 * elements with equal BY values may come out in another order.
 *
 * Threads: the shard owning the keys (or the coordinator over the private
 * db). The STORE result is logged as its effect (DEL + RPUSH), never as the
 * SORT, whose replay would read other shards' keys.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/listpack.h"
#include "core/ds/quicklist.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_hash.h"
#include "core/types/t_list.h"
#include "core/types/t_set.h"
#include "core/types/t_zset.h"

#define ERR_SORT_SCORES "ERR One or more scores can't be converted into double"

/* The options of one SORT, parsed. */
struct sort_opts {
    int desc, alpha, dontsort;
    long limit_start, limit_count;
    int by;    /* argv index of BY's pattern, -1 */
    int store; /* argv index of the destination, -1 */
    int *gets; /* argv indexes of GET patterns */
    int ngets;
};

/* Parses the options as Redis does (errors replied into out, 0
 * returned); out NULL (the engine asking for the pattern keys) replies
 * nothing. full_key_access 0 refuses BY/GET patterns as Redis 7.0 does for
 * a user who may not read every key. o->gets is malloc'd even on failure:
 * the caller frees it. */
static int sort_parse(const struct arg *argv, int argc, int readonly, int full_key_access, struct sort_opts *o,
                      struct buf *out)
{
    memset(o, 0, sizeof(*o));
    o->limit_count = -1;
    o->by = -1;
    o->store = -1;
    o->gets = malloc(sizeof(int) * (size_t)(argc > 0 ? argc : 1));
    for (int j = 2; j < argc; j++) {
        int left = argc - j - 1;
        const struct arg *a = &argv[j];
        if (arg_is(a, "asc")) {
            o->desc = 0;
        } else if (arg_is(a, "desc")) {
            o->desc = 1;
        } else if (arg_is(a, "alpha")) {
            o->alpha = 1;
        } else if (arg_is(a, "limit") && left >= 2) {
            long long s, n;
            if (!string2ll(argv[j + 1].ptr, argv[j + 1].len, &s) || !string2ll(argv[j + 2].ptr, argv[j + 2].len, &n)) {
                if (out)
                    reply_error(out, ERR_NOT_INTEGER);
                return 0;
            }
            o->limit_start = (long)s;
            o->limit_count = (long)n;
            j += 2;
        } else if (!readonly && arg_is(a, "store") && left >= 1) {
            o->store = ++j;
        } else if (arg_is(a, "by") && left >= 1) {
            o->by = ++j;
            /* A pattern without '*' names no key: nothing to sort by. */
            if (!memchr(argv[j].ptr, '*', argv[j].len)) {
                o->dontsort = 1;
            } else if (!full_key_access) {
                if (out)
                    reply_error(out, "ERR BY option of SORT denied due to insufficient ACL permissions.");
                return 0;
            }
        } else if (arg_is(a, "get") && left >= 1) {
            if (!full_key_access) {
                if (out)
                    reply_error(out, "ERR GET option of SORT denied due to insufficient ACL permissions.");
                return 0;
            }
            o->gets[o->ngets++] = ++j;
        } else {
            if (out)
                reply_error(out, ERR_SYNTAX);
            return 0;
        }
    }
    return 1;
}

/*
 * The key a pattern names for an element: the first '*' replaced by the
 * element; a "->field" after the '*' (with a field name after it) names a
 * hash field instead. Returns 0 when the pattern has no '*' ("#" is handled
 * by the caller). name receives the key (malloc'd, caller frees).
 */
static int pattern_key(const struct arg *pat, const char *sub, size_t sublen, char **name, size_t *nlen,
                       const char **field, size_t *flen)
{
    const char *p = memchr(pat->ptr, '*', pat->len);
    if (!p)
        return 0;
    const char *end = pat->ptr + pat->len;
    const char *f = NULL;
    for (const char *q = p + 1; q + 1 < end; q++) {
        if (q[0] == '-' && q[1] == '>') {
            f = q;
            break;
        }
    }
    *field = NULL;
    *flen = 0;
    if (f && f + 2 < end) {
        *field = f + 2;
        *flen = (size_t)(end - f - 2);
    }
    size_t prefix = (size_t)(p - pat->ptr);
    size_t postfix = pat->len - prefix - 1 - (*flen ? *flen + 2 : 0);
    *nlen = prefix + sublen + postfix;
    *name = malloc(*nlen ? *nlen : 1);
    memcpy(*name, pat->ptr, prefix);
    memcpy(*name + prefix, sub, sublen);
    memcpy(*name + prefix + sublen, p + 1, postfix);
    return 1;
}

static int is_hash_pattern(const struct arg *pat)
{
    return pat->len == 1 && pat->ptr[0] == '#';
}

/* Redis's lookupKeyByPattern: the value (a string key or a hash field) the
 * pattern names for the element, borrowed until the db changes (integers
 * are formatted into tmp, at least LONG_STR_SIZE bytes). 0 when missing or
 * of another type. */
static int pattern_value(struct cmd_ctx *c, const struct arg *pat, const char *sub, size_t sublen, char *tmp,
                         const char **v, size_t *vlen)
{
    if (is_hash_pattern(pat)) {
        *v = sub;
        *vlen = sublen;
        return 1;
    }
    char *name;
    size_t nlen, flen;
    const char *field;
    if (!pattern_key(pat, sub, sublen, &name, &nlen, &field, &flen))
        return 0;
    struct db_entry *e = db_find_live(c->db, key_hash(name, nlen), name, nlen, c->now_ms);
    if (c->stats) {
        if (e)
            c->stats->keyspace_hits++;
        else
            c->stats->keyspace_misses++;
    }
    if (!e)
        notify_keyspace_event_key(c, NOTIFY_KEY_MISS, "keymiss", name, nlen, c->dbid);
    free(name);
    if (!e)
        return 0;
    if (field) {
        if (e->type != OBJ_HASH)
            return 0;
        return hash_get(e, field, flen, tmp, v, vlen);
    }
    if (e->type != OBJ_STRING)
        return 0;
    *v = entry_string(e, tmp, vlen);
    return 1;
}

/* ---- the elements ---- */

struct sort_item {
    size_t off, len; /* the element's bytes in the arena */
    double score;
    long cmp_off; /* ALPHA with BY: its value in the arena, -1 when missing */
    size_t cmp_len;
};

struct sort_run {
    struct buf arena;
    struct sort_item *items;
    long n, cap;
};

static void run_add(struct sort_run *r, const char *s, size_t len)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->items = realloc(r->items, sizeof(*r->items) * (size_t)r->cap);
    }
    struct sort_item *it = &r->items[r->n++];
    it->off = r->arena.len;
    it->len = len;
    it->score = 0;
    it->cmp_off = -1;
    it->cmp_len = 0;
    buf_append(&r->arena, s, len);
}

static const char *item_bytes(const struct sort_run *r, const struct sort_item *it)
{
    return r->arena.data ? r->arena.data + it->off : "";
}

/* The elements of e in its own order, from 0-based position `from` (of
 * the order walked: reversed when rev), at most `count` (-1: all). */
static void load_elements(struct sort_run *r, struct db_entry *e, int rev, long from, long count)
{
    char tmp[LONG_STR_SIZE];
    if (e->type == OBJ_LIST) {
        struct list_view v;
        struct quicklist *ql = list_open(&v, e);
        struct ql_pos pos;
        long len = (long)ql->count;
        int ok = from < len && ql_index(ql, rev ? len - 1 - from : from, &pos);
        for (long k = 0; ok && (count < 0 || k < count); k++) {
            size_t n;
            const char *s = lp_get_str(pos.p, tmp, &n);
            run_add(r, s, n);
            ok = rev ? ql_prev(ql, &pos) : ql_next(ql, &pos);
        }
        list_close(&v);
    } else if (e->type == OBJ_SET) {
        struct set_iter it;
        struct set_member m;
        set_iter_init(&it, e);
        while (set_iter_next(&it, &m)) {
            size_t n;
            const char *s = set_member_bytes(&m, tmp, &n);
            run_add(r, s, n);
        }
        set_iter_done(&it);
    } else {
        struct zit it;
        long len = (long)zlen(e);
        if (from >= len)
            return;
        zit_at_rank(&it, e, rev ? len - 1 - from : from);
        for (long k = 0; zit_valid(&it) && (count < 0 || k < count); k++, zit_step(&it, rev)) {
            const char *m;
            size_t n;
            zit_get(&it, &m, &n, NULL);
            run_add(r, m, n);
        }
    }
}

static long value_length(struct db_entry *e)
{
    if (!e)
        return 0;
    if (e->type == OBJ_LIST)
        return (long)list_length(e);
    if (e->type == OBJ_SET)
        return (long)set_size(e);
    return (long)zlen(e);
}

/* strtod over the whole value, as Redis (no trailing bytes, no overflow,
 * not NaN); an empty value is 0. */
static int parse_score(const char *s, size_t len, double *out)
{
    char stack[64];
    char *b = len < sizeof(stack) ? stack : malloc(len + 1);
    memcpy(b, s, len);
    b[len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(b, &end);
    int ok = *end == '\0' && errno != ERANGE && !isnan(d) && (size_t)(end - b) == len;
    if (b != stack)
        free(b);
    *out = d;
    return ok;
}

static int bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = memcmp(a, b, n);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen ? 1 : 0;
}

/* qsort has no context argument: the run being sorted (one per thread at a
 * time, set and cleared around the qsort call). */
static _Thread_local struct {
    const struct sort_run *run;
    int desc, alpha, by;
} sorting;

static int item_cmp(const void *pa, const void *pb)
{
    const struct sort_item *a = pa, *b = pb;
    const struct sort_run *r = sorting.run;
    int c;
    if (!sorting.alpha) {
        if (a->score > b->score)
            c = 1;
        else if (a->score < b->score)
            c = -1;
        else
            c = bytes_cmp(item_bytes(r, a), a->len, item_bytes(r, b), b->len);
    } else if (sorting.by) {
        if (a->cmp_off < 0 || b->cmp_off < 0)
            c = a->cmp_off == b->cmp_off ? 0 : a->cmp_off < 0 ? -1 : 1;
        else
            c = bytes_cmp(r->arena.data + a->cmp_off, a->cmp_len, r->arena.data + b->cmp_off, b->cmp_len);
    } else {
        c = bytes_cmp(item_bytes(r, a), a->len, item_bytes(r, b), b->len);
    }
    return sorting.desc ? -c : c;
}

/* ---- the command ---- */

/* Writes the stored list (elements or GET values) at argv[dst], replacing
 * it; an empty result deletes it. Logged as DEL + RPUSH. */
static void store_list(struct cmd_ctx *c, int dst, struct buf *vals, size_t *lens, long n)
{
    struct db_entry *old = lookup_write(c, dst);
    if (old)
        delete_key_arg(c, dst);
    const char *del[2] = {"DEL", c->argv[dst].ptr};
    size_t dellen[2] = {3, c->argv[dst].len};
    if (n == 0) {
        if (old) {
            key_modified(c, dst);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", dst);
            effect_log(c, 2, del, dellen);
        } else {
            effect_none(c);
        }
        return;
    }
    struct db_entry *e = entry_new_collection(arg_key_hash(c, dst), c->argv[dst].ptr, c->argv[dst].len, OBJ_LIST,
                                              ENC_LISTPACK, lp_new());
    list_try_convert_listpack(e, ctx_config(c)->list_max_listpack_size, vals->len, (unsigned long)n);
    struct list_view v;
    struct quicklist *ql = list_open(&v, e);
    const char **eff = malloc(sizeof(char *) * (size_t)(n + 2));
    size_t *efflen = malloc(sizeof(size_t) * (size_t)(n + 2));
    eff[0] = "RPUSH";
    efflen[0] = 5;
    eff[1] = c->argv[dst].ptr;
    efflen[1] = c->argv[dst].len;
    size_t off = 0;
    for (long i = 0; i < n; i++) {
        const char *s = vals->data ? vals->data + off : "";
        ql_push(ql, QL_TAIL, s, lens[i]);
        eff[i + 2] = s;
        efflen[i + 2] = lens[i];
        off += lens[i];
    }
    list_close(&v);
    db_insert(c->db, e);
    if (!old)
        notify_keyspace_event(c, NOTIFY_NEW, "new", dst);
    key_modified(c, dst);
    notify_keyspace_event(c, NOTIFY_LIST, "sortstore", dst);
    effect_log(c, 2, del, dellen);
    effect_log(c, (int)n + 2, eff, efflen);
    free(eff);
    free(efflen);
}

static void sort_generic(struct cmd_ctx *c, int readonly)
{
    struct sort_opts o;
    if (!sort_parse(c->argv, c->argc, readonly, 1, &o, c->out)) {
        free(o.gets);
        return;
    }
    struct db_entry *src = lookup_read(c, 1);
    if (src && src->type != OBJ_SET && src->type != OBJ_LIST && src->type != OBJ_ZSET) {
        reply_error(c->out, ERR_WRONGTYPE);
        free(o.gets);
        return;
    }
    const struct arg *by = o.by >= 0 ? &c->argv[o.by] : NULL;
    /* An unsorted set would come out in its table's order: with STORE it
     * is sorted (ALPHA), as Redis does for replication. */
    if (o.dontsort && src && src->type == OBJ_SET && o.store >= 0) {
        o.dontsort = 0;
        o.alpha = 1;
        by = NULL;
    }
    long len = value_length(src);
    long start = o.limit_start < 0 ? 0 : o.limit_start > len ? len : o.limit_start;
    long count = o.limit_count < -1 ? -1 : o.limit_count > len ? len : o.limit_count;
    long end = count < 0 ? len - 1 : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;

    struct sort_run run = {0};
    if (src && o.dontsort && src->type != OBJ_SET) {
        /* Native order: only the range asked for, reversed with DESC. */
        if (end >= start)
            load_elements(&run, src, o.desc, start, end - start + 1);
        end -= start;
        start = 0;
    } else if (src) {
        load_elements(&run, src, 0, 0, -1);
    }

    int conversion_error = 0;
    if (!o.dontsort) {
        char tmp[LONG_STR_SIZE];
        for (long j = 0; j < run.n; j++) {
            struct sort_item *it = &run.items[j];
            const char *v;
            size_t vlen;
            if (by) {
                if (!pattern_value(c, by, item_bytes(&run, it), it->len, tmp, &v, &vlen))
                    continue;
            } else {
                v = item_bytes(&run, it);
                vlen = it->len;
            }
            if (o.alpha) {
                if (by) {
                    it->cmp_off = (long)run.arena.len;
                    it->cmp_len = vlen;
                    buf_append(&run.arena, v, vlen);
                }
            } else if (!parse_score(v, vlen, &it->score)) {
                conversion_error = 1;
            }
        }
        sorting.run = &run;
        sorting.desc = o.desc;
        sorting.alpha = o.alpha;
        sorting.by = by != NULL;
        if (run.n > 1)
            qsort(run.items, (size_t)run.n, sizeof(*run.items), item_cmp);
        sorting.run = NULL;
    }

    long outlen = (o.ngets ? o.ngets : 1) * (end - start + 1);
    if (outlen < 0)
        outlen = 0;
    char tmp[LONG_STR_SIZE];
    if (conversion_error) {
        reply_error(c->out, ERR_SORT_SCORES);
    } else if (o.store < 0) {
        reply_array(c->out, outlen);
        for (long j = start; j <= end; j++) {
            const struct sort_item *it = &run.items[j];
            if (!o.ngets)
                reply_bulk(c->out, item_bytes(&run, it), it->len);
            for (int g = 0; g < o.ngets; g++) {
                const char *v;
                size_t vlen;
                if (pattern_value(c, &c->argv[o.gets[g]], item_bytes(&run, it), it->len, tmp, &v, &vlen))
                    reply_bulk(c->out, v, vlen);
                else
                    reply_null(c->out, c->resp);
            }
        }
    } else {
        struct buf vals = {0};
        size_t *lens = malloc(sizeof(size_t) * (size_t)(outlen ? outlen : 1));
        long k = 0;
        for (long j = start; j <= end; j++) {
            const struct sort_item *it = &run.items[j];
            if (!o.ngets) {
                buf_append(&vals, item_bytes(&run, it), it->len);
                lens[k++] = it->len;
            }
            for (int g = 0; g < o.ngets; g++) {
                const char *v;
                size_t vlen;
                if (!pattern_value(c, &c->argv[o.gets[g]], item_bytes(&run, it), it->len, tmp, &v, &vlen))
                    vlen = 0, v = "";
                buf_append(&vals, v, vlen);
                lens[k++] = vlen;
            }
        }
        store_list(c, o.store, &vals, lens, k);
        reply_integer(c->out, k);
        buf_free(&vals);
        free(lens);
    }
    buf_free(&run.arena);
    free(run.items);
    free(o.gets);
}

void cmd_sort(struct cmd_ctx *c)
{
    sort_generic(c, 0);
}

void cmd_sort_ro(struct cmd_ctx *c)
{
    sort_generic(c, 1);
}

/* SORT's keys: the source and the destination of the last STORE (Redis's
 * sortGetKeys skips the arguments of LIMIT, BY and GET). */
int sort_command_keys(int argc, const struct arg *argv, int *idx, int max)
{
    if (max < 1 || argc < 2)
        return 0;
    int n = 0;
    idx[n++] = 1;
    int store = -1;
    int ro = arg_is(&argv[0], "sort_ro");
    for (int i = 2; i < argc; i++) {
        if (arg_is(&argv[i], "limit")) {
            i += 2;
        } else if (arg_is(&argv[i], "get") || arg_is(&argv[i], "by")) {
            i += 1;
        } else if (!ro && arg_is(&argv[i], "store") && i + 1 < argc) {
            store = ++i;
        }
    }
    if (store > 0 && n < max)
        idx[n++] = store;
    return n;
}

/* The hash tag every key starting with p[0..len) has, whatever follows
 * (Redis Cluster's rule, as key_shard: the first '{', the first '}' after
 * it, not empty). 0 when the bytes do not fix one. */
static int fixed_tag(const char *p, size_t len, const char **tag, size_t *tlen)
{
    const char *open = len ? memchr(p, '{', len) : NULL;
    if (!open)
        return 0;
    const char *close = memchr(open + 1, '}', len - (size_t)(open + 1 - p));
    if (!close || close == open + 1)
        return 0;
    *tag = open + 1;
    *tlen = (size_t)(close - open - 1);
    return 1;
}

int sort_needs_pattern_keys(int argc, const struct arg *argv)
{
    const char *src_tag = NULL;
    size_t src_len = 0;
    int src_tagged = argc > 1 && fixed_tag(argv[1].ptr, argv[1].len, &src_tag, &src_len);
    for (int i = 2; i + 1 < argc; i++) {
        if (arg_is(&argv[i], "limit")) {
            i += 2;
        } else if (arg_is(&argv[i], "by") || arg_is(&argv[i], "get")) {
            const struct arg *p = &argv[i + 1];
            const char *star = memchr(p->ptr, '*', p->len);
            i++;
            if (is_hash_pattern(p) || !star)
                continue;
            /* "{u}:w_*" with a source "{u}:ids": every key it names lives
             * on the source's shard. */
            const char *tag;
            size_t tlen;
            if (src_tagged && fixed_tag(p->ptr, (size_t)(star - p->ptr), &tag, &tlen) && tlen == src_len &&
                !memcmp(tag, src_tag, tlen))
                continue;
            return 1;
        }
    }
    return 0;
}

void sort_pattern_keys(int argc, const struct arg *argv, struct db_entry *src, sort_key_fn *fn, void *priv)
{
    struct sort_opts o;
    if (!src || (src->type != OBJ_SET && src->type != OBJ_LIST && src->type != OBJ_ZSET))
        return;
    if (!sort_parse(argv, argc, arg_is(&argv[0], "sort_ro"), 1, &o, NULL)) {
        free(o.gets);
        return;
    }
    struct sort_run run = {0};
    load_elements(&run, src, 0, 0, -1);
    for (long j = 0; j < run.n; j++) {
        const struct sort_item *it = &run.items[j];
        for (int g = -1; g < o.ngets; g++) {
            int at = g < 0 ? o.by : o.gets[g];
            if (at < 0 || is_hash_pattern(&argv[at]))
                continue;
            char *name;
            size_t nlen, flen;
            const char *field;
            if (pattern_key(&argv[at], item_bytes(&run, it), it->len, &name, &nlen, &field, &flen)) {
                fn(priv, name, nlen);
                free(name);
            }
        }
    }
    buf_free(&run.arena);
    free(run.items);
    free(o.gets);
}

int sort_access_or_reply(int argc, const struct arg *argv, struct buf *out)
{
    struct sort_opts o;
    int ok = sort_parse(argv, argc, arg_is(&argv[0], "sort_ro"), 0, &o, out);
    free(o.gets);
    return ok;
}
