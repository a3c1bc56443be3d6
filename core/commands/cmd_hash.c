/*
 * cmd_hash.c - the hash commands (HSET, HSETNX, HMSET, HGET, HMGET, HDEL,
 * HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT,
 * HRANDFIELD, HSCAN). The hash value (encodings, lookups, conversion,
 * iteration) is core/types/t_hash.h. An empty hash never stays in the
 * keyspace: the command that removes the last field deletes the key.
 *
 * Threads: the shard thread that owns the key; nothing here is shared. Every
 * handler checks its errors in Redis 7.0's order before changing anything,
 * and calls key_modified() after changing its key. Writes keep the key's TTL.
 *
 * HRANDFIELD needs random numbers: a per-thread xorshift state (seeded on
 * first use from the clock and the state's address) keeps the handlers free
 * of shared mutable state.
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
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/types/db.h"
#include "core/types/object.h"
#include "core/types/t_hash.h"

#define ERR_HASH_NOT_INTEGER "ERR hash value is not an integer"
#define ERR_HASH_NOT_FLOAT "ERR hash value is not a float"
#define ERR_INCR_NAN_OR_INF "ERR value is NaN or Infinity"
#define ERR_RESULT_NAN_OR_INF "ERR increment would produce NaN or Infinity"
#define ERR_VALUE_OUT_OF_RANGE "ERR value is out of range"

/* ---------------- small helpers ---------------- */

/* Looks up the key at argi for a write. Returns 0 after replying WRONGTYPE
 * when it holds another type; else 1 with *ep the hash (NULL when absent). */
static int lookup_hash_write(struct cmd_ctx *c, int argi, struct db_entry **ep)
{
    struct db_entry *e = lookup_write(c, argi);
    if (e && e->type != OBJ_HASH) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    *ep = e;
    return 1;
}

/* Same for a read (counts hits and misses). */
static int lookup_hash_read(struct cmd_ctx *c, int argi, struct db_entry **ep)
{
    struct db_entry *e = lookup_read(c, argi);
    if (e && e->type != OBJ_HASH) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    *ep = e;
    return 1;
}

/* Creates an empty listpack hash under the key at argi and returns it. The
 * caller adds a field before the command ends (no empty hash survives). */
static struct db_entry *create_hash(struct cmd_ctx *c, int argi)
{
    const struct arg *key = &c->argv[argi];
    struct db_entry *e =
        entry_new_collection(arg_key_hash(c, argi), key->ptr, key->len, OBJ_HASH, ENC_LISTPACK, lp_new());
    db_insert(c->db, e);
    notify_keyspace_event(c, NOTIFY_NEW, "new", argi);
    return e;
}

/* Deletes the key at argi when its hash has no field left; returns 1 when
 * it did. */
static int delete_if_empty(struct cmd_ctx *c, int argi, struct db_entry *e)
{
    if (hash_length(e) != 0)
        return 0;
    db_delete(c->db, arg_key_hash(c, argi), c->argv[argi].ptr, c->argv[argi].len);
    return 1;
}

/* Per-thread xorshift64* for HRANDFIELD. */
static uint64_t hash_random(void)
{
    static _Thread_local uint64_t state;
    if (state == 0)
        state = (uint64_t)ustime() ^ (uint64_t)(uintptr_t)&state ^ 0x9e3779b97f4a7c15ULL;
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 0x2545f4914f6cdd1dULL;
}

/* ---------------- HSET, HMSET, HSETNX ---------------- */

/* HSET/HMSET's core: sets every pair and returns how many fields were new,
 * or -1 after replying an error. */
static long long hset_generic(struct cmd_ctx *c, const char *name)
{
    if (c->argc % 2 == 1) {
        reply_wrong_arity(c->out, name, strlen(name));
        return -1;
    }
    struct db_entry *e;
    if (!lookup_hash_write(c, 1, &e))
        return -1;
    if (!e)
        e = create_hash(c, 1);
    const struct config *cfg = ctx_config(c);
    long long added = 0;
    for (int j = 2; j < c->argc; j += 2)
        added += hash_set(cfg, e, c->argv[j].ptr, c->argv[j].len, c->argv[j + 1].ptr, c->argv[j + 1].len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_HASH, "hset", 1);
    return added;
}

/* HSET key field value [field value ...]: the number of new fields. */
void cmd_hset(struct cmd_ctx *c)
{
    long long added = hset_generic(c, "hset");
    if (added >= 0)
        reply_integer(c->out, added);
}

/* HMSET key field value [field value ...]: +OK. */
void cmd_hmset(struct cmd_ctx *c)
{
    if (hset_generic(c, "hmset") >= 0)
        reply_ok(c->out);
}

/* HSETNX key field value: 1 when set, 0 when the field existed. */
void cmd_hsetnx(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_write(c, 1, &e))
        return;
    if (e && hash_exists(e, c->argv[2].ptr, c->argv[2].len)) {
        reply_integer(c->out, 0);
        return;
    }
    if (!e)
        e = create_hash(c, 1);
    hash_set(ctx_config(c), e, c->argv[2].ptr, c->argv[2].len, c->argv[3].ptr, c->argv[3].len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_HASH, "hset", 1);
    reply_integer(c->out, 1);
}

/* ---------------- HGET, HMGET, HSTRLEN, HEXISTS, HLEN ---------------- */

/* HGET key field: the value or nil. */
void cmd_hget(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    char tmp[LONG_STR_SIZE];
    const char *v;
    size_t vlen;
    if (e && hash_get(e, c->argv[2].ptr, c->argv[2].len, tmp, &v, &vlen))
        reply_bulk(c->out, v, vlen);
    else
        reply_null(c->out, c->resp);
}

/* HMGET key field [field ...]: one value or nil per field (all nil for a
 * missing key). */
void cmd_hmget(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    reply_array(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        char tmp[LONG_STR_SIZE];
        const char *v;
        size_t vlen;
        if (e && hash_get(e, c->argv[j].ptr, c->argv[j].len, tmp, &v, &vlen))
            reply_bulk(c->out, v, vlen);
        else
            reply_null(c->out, c->resp);
    }
}

/* HSTRLEN key field: the value's length, 0 when absent. */
void cmd_hstrlen(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    char tmp[LONG_STR_SIZE];
    const char *v;
    size_t vlen = 0;
    if (!e || !hash_get(e, c->argv[2].ptr, c->argv[2].len, tmp, &v, &vlen))
        vlen = 0;
    reply_integer(c->out, (long long)vlen);
}

/* HEXISTS key field: 1 or 0. */
void cmd_hexists(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    reply_integer(c->out, e && hash_exists(e, c->argv[2].ptr, c->argv[2].len));
}

/* HLEN key: the number of fields, 0 for a missing key. */
void cmd_hlen(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    reply_integer(c->out, e ? (long long)hash_length(e) : 0);
}

/* ---------------- HDEL ---------------- */

/* HDEL key field [field ...]: the number of fields removed; the key goes
 * when its last field does. */
void cmd_hdel(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_hash_write(c, 1, &e))
        return;
    long long deleted = 0;
    if (e) {
        for (int j = 2; j < c->argc && hash_length(e) > 0; j++)
            deleted += hash_delete(e, c->argv[j].ptr, c->argv[j].len);
        if (deleted) {
            int removed = delete_if_empty(c, 1, e);
            key_modified(c, 1);
            notify_keyspace_event(c, NOTIFY_HASH, "hdel", 1);
            if (removed)
                notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
        }
    }
    reply_integer(c->out, deleted);
}

/* ---------------- HKEYS, HVALS, HGETALL ---------------- */

enum { WANT_FIELDS = 1, WANT_VALUES = 2 };

static void hgetall_generic(struct cmd_ctx *c, int want)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    long long n = e ? (long long)hash_length(e) : 0;
    if (want == (WANT_FIELDS | WANT_VALUES))
        reply_map(c->out, c->resp, n);
    else
        reply_array(c->out, n);
    if (!e)
        return;
    struct hash_iter hi;
    hash_iter_init(&hi, e);
    while (hash_iter_next(&hi)) {
        size_t len;
        const char *s;
        if (want & WANT_FIELDS) {
            s = hash_iter_field(&hi, &len);
            reply_bulk(c->out, s, len);
        }
        if (want & WANT_VALUES) {
            s = hash_iter_value(&hi, &len);
            reply_bulk(c->out, s, len);
        }
    }
    hash_iter_done(&hi);
}

/* HKEYS key */
void cmd_hkeys(struct cmd_ctx *c)
{
    hgetall_generic(c, WANT_FIELDS);
}

/* HVALS key */
void cmd_hvals(struct cmd_ctx *c)
{
    hgetall_generic(c, WANT_VALUES);
}

/* HGETALL key: a map in RESP3, a flat field/value array in RESP2. */
void cmd_hgetall(struct cmd_ctx *c)
{
    hgetall_generic(c, WANT_FIELDS | WANT_VALUES);
}

/* ---------------- HINCRBY, HINCRBYFLOAT ---------------- */

/* HINCRBY key field increment: Redis checks the increment, the type, the
 * stored value, then overflow. */
void cmd_hincrby(struct cmd_ctx *c)
{
    long long incr, value = 0;
    if (!arg_ll_or_reply(c, 3, &incr, NULL))
        return;
    struct db_entry *e;
    if (!lookup_hash_write(c, 1, &e))
        return;
    char tmp[LONG_STR_SIZE];
    const char *v;
    size_t vlen;
    if (e && hash_get(e, c->argv[2].ptr, c->argv[2].len, tmp, &v, &vlen) && !string2ll(v, vlen, &value)) {
        reply_error(c->out, ERR_HASH_NOT_INTEGER);
        return;
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) || (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c->out, ERR_OVERFLOW);
        return;
    }
    value += incr;
    char buf[LONG_STR_SIZE];
    int len = ll2string(buf, sizeof(buf), value);
    if (!e)
        e = create_hash(c, 1);
    hash_set(ctx_config(c), e, c->argv[2].ptr, c->argv[2].len, buf, (size_t)len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_HASH, "hincrby", 1);
    reply_integer(c->out, value);
}

/* HINCRBYFLOAT key field increment: the result formatted as INCRBYFLOAT
 * does (%.17Lf, trailing zeros removed). */
void cmd_hincrbyfloat(struct cmd_ctx *c)
{
    long double incr, value = 0;
    if (!arg_ld_or_reply(c, 3, &incr, NULL))
        return;
    if (isnan(incr) || isinf(incr)) {
        reply_error(c->out, ERR_INCR_NAN_OR_INF);
        return;
    }
    struct db_entry *e;
    if (!lookup_hash_write(c, 1, &e))
        return;
    char tmp[LONG_STR_SIZE];
    const char *v;
    size_t vlen;
    if (e && hash_get(e, c->argv[2].ptr, c->argv[2].len, tmp, &v, &vlen) && !string2ld(v, vlen, &value)) {
        reply_error(c->out, ERR_HASH_NOT_FLOAT);
        return;
    }
    value += incr;
    char buf[MAX_LONG_DOUBLE_CHARS];
    int len = 0;
    if (!isnan(value) && !isinf(value))
        len = ld2string_human(buf, sizeof(buf), value);
    if (len <= 0) {
        reply_error(c->out, ERR_RESULT_NAN_OR_INF);
        return;
    }
    if (!e)
        e = create_hash(c, 1);
    hash_set(ctx_config(c), e, c->argv[2].ptr, c->argv[2].len, buf, (size_t)len);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_HASH, "hincrbyfloat", 1);
    reply_bulk(c->out, buf, (size_t)len);
    /* Logged as the value it produced: replay does no float arithmetic. */
    const char *eff[4] = {"HSET", c->argv[1].ptr, c->argv[2].ptr, buf};
    size_t efflen[4] = {4, c->argv[1].len, c->argv[2].len, (size_t)len};
    effect_log(c, 4, eff, efflen);
}

/* ---------------- HRANDFIELD ---------------- */

/* One pair of a HRANDFIELD reply: RESP3 nests each pair in an array. */
static void reply_random_pair(struct cmd_ctx *c, const char *f, size_t flen, const char *v, size_t vlen, int withvalues)
{
    if (withvalues && c->resp > 2)
        reply_array(c->out, 2);
    reply_bulk(c->out, f, flen);
    if (withvalues)
        reply_bulk(c->out, v, vlen);
}

static void reply_node_pair(struct cmd_ctx *c, const struct sdict_node *n, int withvalues)
{
    const struct hash_blob *b = n->v.ptr;
    reply_random_pair(c, n->key, n->klen, b->data, b->len, withvalues);
}

static void reply_lp_pair(struct cmd_ctx *c, unsigned char *lp, unsigned char *p, int withvalues)
{
    char kbuf[LONG_STR_SIZE], vbuf[LONG_STR_SIZE];
    size_t klen, vlen = 0;
    const char *k = lp_get_str(p, kbuf, &klen);
    const char *v = withvalues ? lp_get_str(lp_next(lp, p), vbuf, &vlen) : NULL;
    reply_random_pair(c, k, klen, v, vlen, withvalues);
}

/* The field entries of a listpack hash, in order (caller frees). */
static unsigned char **lp_field_array(unsigned char *lp, size_t n)
{
    unsigned char **fields = xmalloc((n ? n : 1) * sizeof(*fields));
    size_t i = 0;
    for (unsigned char *p = lp_first(lp); p && i < n; p = lp_next(lp, lp_next(lp, p)))
        fields[i++] = p;
    return fields;
}

/*
 * Distinct random fields of a hashtable when count is small next to the
 * size (Redis's "case 4"): random nodes, duplicates dropped through a
 * scratch set of the node pointers already replied. O(count) expected.
 */
static void hrandfield_sparse(struct cmd_ctx *c, struct sdict *d, unsigned long count, int withvalues)
{
    struct sdict *seen = sdict_new();
    sdict_reserve(seen, count);
    unsigned long picked = 0;
    while (picked < count) {
        struct sdict_node *n = sdict_random(d);
        int added;
        sdict_add(seen, (const char *)&n, sizeof(n), &added);
        if (!added)
            continue;
        reply_node_pair(c, n, withvalues);
        picked++;
    }
    sdict_free(seen, NULL);
}

/*
 * HRANDFIELD key count [WITHVALUES] (Redis's hrandfieldWithCountCommand):
 * a negative count allows repetitions and returns exactly -count fields; a
 * positive one returns min(count, size) distinct fields.
 */
static void hrandfield_with_count(struct cmd_ctx *c, long long l, int withvalues)
{
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    if (!e || l == 0) {
        reply_array(c->out, 0);
        return;
    }
    int unique = l > 0;
    unsigned long long count = unique ? (unsigned long long)l : (unsigned long long)(-l);
    size_t size = hash_length(e);

    if (!unique || count == 1) {
        reply_array(c->out, withvalues && c->resp == 2 ? (long long)count * 2 : (long long)count);
        if (e->encoding == ENC_HASHTABLE) {
            struct sdict_node **all = count > 1 ? sdict_draw_table(e->v.ptr, count) : NULL;
            while (count--)
                reply_node_pair(c, all ? all[hash_random() % size] : sdict_random(e->v.ptr), withvalues);
            free(all);
            return;
        }
        unsigned char *lp = e->v.ptr;
        unsigned char **fields = lp_field_array(lp, size);
        while (count--)
            reply_lp_pair(c, lp, fields[hash_random() % size], withvalues);
        free(fields);
        return;
    }

    unsigned long long reply_size = count < size ? count : size;
    reply_array(c->out, withvalues && c->resp == 2 ? (long long)reply_size * 2 : (long long)reply_size);

    if (count >= size) {
        struct hash_iter hi;
        hash_iter_init(&hi, e);
        while (hash_iter_next(&hi)) {
            size_t flen, vlen = 0;
            const char *f = hash_iter_field(&hi, &flen);
            const char *v = withvalues ? hash_iter_value(&hi, &vlen) : NULL;
            reply_random_pair(c, f, flen, v, vlen, withvalues);
        }
        hash_iter_done(&hi);
        return;
    }
    if (e->encoding == ENC_HASHTABLE && count * 3 <= size) {
        hrandfield_sparse(c, e->v.ptr, (unsigned long)count, withvalues);
        return;
    }
    /* Selection sampling (Knuth's algorithm S) in one pass: each element is
     * taken with probability needed / remaining. */
    unsigned long long needed = count, remaining = size;
    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        for (unsigned char *p = lp_first(lp); p && needed; p = lp_next(lp, lp_next(lp, p)), remaining--) {
            if (hash_random() % remaining < needed) {
                reply_lp_pair(c, lp, p, withvalues);
                needed--;
            }
        }
        return;
    }
    struct sdict_iter it;
    sdict_iter_init(&it, e->v.ptr);
    struct sdict_node *n;
    while (needed && (n = sdict_iter_next(&it)) != NULL) {
        if (hash_random() % remaining < needed) {
            reply_node_pair(c, n, withvalues);
            needed--;
        }
        remaining--;
    }
    sdict_iter_done(&it);
}

/* HRANDFIELD key [count [WITHVALUES]] */
void cmd_hrandfield(struct cmd_ctx *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!arg_ll_or_reply(c, 2, &l, NULL))
            return;
        if (l < -LLONG_MAX) {
            reply_errorf(c->out, "ERR value is out of range, value must between %lld and %lld", -LLONG_MAX, LLONG_MAX);
            return;
        }
        int withvalues = 0;
        if (c->argc > 4 || (c->argc == 4 && !arg_is(&c->argv[3], "withvalues"))) {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
        if (c->argc == 4) {
            withvalues = 1;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                reply_error(c->out, ERR_VALUE_OUT_OF_RANGE);
                return;
            }
        }
        hrandfield_with_count(c, l, withvalues);
        return;
    }

    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    if (!e) {
        reply_null(c->out, c->resp);
        return;
    }
    if (e->encoding == ENC_HASHTABLE) {
        struct sdict_node *n = sdict_random(e->v.ptr);
        reply_bulk(c->out, n->key, n->klen);
        return;
    }
    unsigned char *lp = e->v.ptr;
    unsigned char *p = lp_seek(lp, (long)(hash_random() % hash_length(e)) * 2);
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *f = lp_get_str(p, buf, &len);
    reply_bulk(c->out, f, len);
}

/* ---------------- HSCAN ---------------- */

struct hscan_batch {
    struct sdict_node **nodes;
    size_t count, cap;
};

static void hscan_collect(void *priv, void *entry)
{
    struct sdict_node *n = entry;
    struct hscan_batch *b = priv;
    if (b->count == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        struct sdict_node **nodes = realloc(b->nodes, b->cap * sizeof(*nodes));
        if (!nodes) {
            fprintf(stderr, "shardis: out of memory allocating %zu bytes\n", b->cap * sizeof(*nodes));
            abort();
        }
        b->nodes = nodes;
    }
    b->nodes[b->count++] = n;
}

static int hscan_matches(const struct scan_options *o, const char *f, size_t flen)
{
    return !o->match || stringmatchlen(o->match, o->match_len, f, flen, 0);
}

static void reply_cursor(struct cmd_ctx *c, unsigned long long cursor)
{
    char buf[LONG_STR_SIZE];
    int len = ull2string(buf, sizeof(buf), cursor);
    reply_bulk(c->out, buf, (size_t)len);
}

/*
 * HSCAN key cursor [MATCH pattern] [COUNT count]. Redis checks the cursor,
 * then the key and its type, then the options. A listpack hash is returned
 * whole with cursor 0 (whatever cursor was given); a hashtable is walked
 * with the reverse-binary cursor, up to COUNT*10 buckets while fewer than
 * COUNT elements (fields and values both count, as in Redis) were collected.
 */
void cmd_hscan(struct cmd_ctx *c)
{
    unsigned long long cursor;
    if (!scan_cursor_or_reply(c, 2, &cursor))
        return;
    struct db_entry *e;
    if (!lookup_hash_read(c, 1, &e))
        return;
    if (!e) {
        reply_array(c->out, 2);
        reply_cursor(c, 0);
        reply_array(c->out, 0);
        return;
    }
    struct scan_options o;
    if (!scan_match_count_or_reply(c, 3, &o))
        return;

    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        char buf[LONG_STR_SIZE];
        size_t len;
        long long matched = 0;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            const char *f = lp_get_str(p, buf, &len);
            matched += hscan_matches(&o, f, len);
        }
        reply_array(c->out, 2);
        reply_cursor(c, 0);
        reply_array(c->out, matched * 2);
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            const char *f = lp_get_str(p, buf, &len);
            if (!hscan_matches(&o, f, len))
                continue;
            reply_bulk(c->out, f, len);
            const char *v = lp_get_str(lp_next(lp, p), buf, &len);
            reply_bulk(c->out, v, len);
        }
        return;
    }

    struct hscan_batch batch = {0};
    long long maxiterations = o.count > LLONG_MAX / 10 ? LLONG_MAX : o.count * 10;
    do {
        cursor = sdict_scan(e->v.ptr, cursor, hscan_collect, &batch);
    } while (cursor && maxiterations-- && (long long)batch.count * 2 < o.count);

    size_t matched = 0;
    for (size_t i = 0; i < batch.count; i++)
        if (hscan_matches(&o, batch.nodes[i]->key, batch.nodes[i]->klen))
            batch.nodes[matched++] = batch.nodes[i];
    reply_array(c->out, 2);
    reply_cursor(c, cursor);
    reply_array(c->out, (long long)matched * 2);
    for (size_t i = 0; i < matched; i++) {
        const struct sdict_node *n = batch.nodes[i];
        const struct hash_blob *b = n->v.ptr;
        reply_bulk(c->out, n->key, n->klen);
        reply_bulk(c->out, b->data, b->len);
    }
    free(batch.nodes);
}
