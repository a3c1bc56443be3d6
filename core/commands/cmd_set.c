/*
 * cmd_set.c - the set commands (SADD, SREM, SMEMBERS, SISMEMBER,
 * SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD,
 * SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN).
 *
 * The set value (encodings, members, conversions, iteration) is
 * core/types/t_set.h. A set is never empty: the command that removes its
 * last member deletes the key.
 *
 * Threads: the shard thread owning the key. The only state outside the
 * keyspace is t_set's thread-local random generator (SPOP, SRANDMEMBER).
 *
 * Handlers check errors in Redis 7.0's order before changing anything and
 * call key_modified() for every key they change (a destination too, and a
 * key deleted because its set became empty).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/commands/command.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/types/db.h"
#include "core/types/lazyfree.h"
#include "core/types/object.h"
#include "core/types/t_set.h"

/* SPOP: pop one by one while the set keeps more than count/5 members;
 * otherwise pick the few survivors into a new set (Redis's constant). */
#define SPOP_MOVE_STRATEGY_MUL 5
/* SPOP from an intset: up to this many members are popped one by one (a
 * memmove each), more in one pass that rebuilds the array. */
#define SPOP_INTSET_ONE_BY_ONE 8
/* SRANDMEMBER: sample by one pass over the set when it has fewer than 3x
 * count members; otherwise draw random members until count distinct. */
#define SRANDMEMBER_SUB_STRATEGY_MUL 3
/* SRANDMEMBER with a negative count writes |count| elements. Redis 7.0 tries
 * to build any such reply and dies of memory exhaustion for huge counts; we
 * refuse replies of more than this many elements instead of crashing. */
#define SRANDMEMBER_MAX_REPEATED (1LL << 27)

#define ERR_SPOP_RANGE "ERR value is out of range, must be positive"
#define ERR_SRANDMEMBER_RANGE                                                                                          \
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
#define ERR_SRANDMEMBER_TOO_MANY "ERR count is too large: the reply would not fit in memory"
#define ERR_NUMKEYS "ERR numkeys should be greater than 0"
#define ERR_NUMKEYS_ARGS "ERR Number of keys can't be greater than number of args"
#define ERR_LIMIT_NEGATIVE "ERR LIMIT can't be negative"

static struct set_limits limits_of(const struct cmd_ctx *c)
{
    return set_limits_of(ctx_config(c));
}

static void reply_member(struct cmd_ctx *c, const struct set_member *m)
{
    if (m->str)
        reply_bulk(c->out, m->str, m->len);
    else
        reply_bulk_ll(c->out, m->ll);
}

/* ---------------- keyspace helpers ---------------- */

/* An unlinked set entry for the key at argi (NULL argi < 0: a temporary set
 * with no key) holding an empty intset, to be filled with set_add. */
static struct db_entry *new_set_entry(struct cmd_ctx *c, int argi)
{
    if (argi < 0)
        return entry_new_collection(0, "", 0, OBJ_SET, ENC_INTSET, intset_new());
    const struct arg *k = &c->argv[argi];
    return entry_new_collection(arg_key_hash(c, argi), k->ptr, k->len, OBJ_SET, ENC_INTSET, intset_new());
}

/* Looks up the key at argi for writing. Returns 0 after replying WRONGTYPE;
 * else 1 with *ep the set (NULL when absent). */
static int lookup_set_write(struct cmd_ctx *c, int argi, struct db_entry **ep)
{
    struct db_entry *e = lookup_write(c, argi);
    if (e && e->type != OBJ_SET) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    *ep = e;
    return 1;
}

static int lookup_set_read(struct cmd_ctx *c, int argi, struct db_entry **ep)
{
    struct db_entry *e = lookup_read(c, argi);
    if (e && e->type != OBJ_SET) {
        reply_error(c->out, ERR_WRONGTYPE);
        return 0;
    }
    *ep = e;
    return 1;
}

/* Replies every member of the set, under a set header (RESP3 ~). */
static void reply_whole_set(struct cmd_ctx *c, struct db_entry *e)
{
    reply_set(c->out, c->resp, (long long)set_size(e));
    struct set_iter it;
    struct set_member m;
    set_iter_init(&it, e);
    while (set_iter_next(&it, &m))
        reply_member(c, &m);
    set_iter_done(&it);
}

/* ---------------- SADD, SREM, SMOVE ---------------- */

/* SADD key member [member ...] */
void cmd_sadd(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_write(c, 1, &e))
        return;
    struct set_limits lim = limits_of(c);
    size_t hint = (size_t)(c->argc - 2);
    if (!e) {
        struct set_member first = set_member_of_arg(&c->argv[2]);
        int encoding;
        void *value;
        set_create_value(&first, hint, &lim, &encoding, &value);
        const struct arg *k = &c->argv[1];
        e = entry_new_collection(arg_key_hash(c, 1), k->ptr, k->len, OBJ_SET, encoding, value);
        db_insert(c->db, e);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 1);
    } else if ((e->encoding == ENC_LISTPACK && hint > lim.lp_entries) ||
               (e->encoding == ENC_INTSET && hint > lim.intset_max)) {
        /* Redis's setTypeMaybeConvert: many members at once go straight
         * into a table sized for them. */
        set_convert_to_hashtable(e, hint);
    }
    long long added = 0;
    for (int j = 2; j < c->argc; j++) {
        struct set_member m = set_member_of_arg(&c->argv[j]);
        added += set_add(e, &m, &lim);
    }
    if (added) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_SET, "sadd", 1);
    }
    reply_integer(c->out, added);
}

/* SREM key member [member ...] */
void cmd_srem(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_write(c, 1, &e))
        return;
    long long removed = 0;
    int emptied = 0;
    if (e) {
        for (int j = 2; j < c->argc; j++) {
            struct set_member m = set_member_of_arg(&c->argv[j]);
            removed += set_remove(e, &m);
            if (set_size(e) == 0) {
                delete_key_arg(c, 1);
                emptied = 1;
                break;
            }
        }
    }
    if (removed) {
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_SET, "srem", 1);
        if (emptied)
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
    }
    reply_integer(c->out, removed);
}

/*
 * SMOVE source destination member. Redis's order: a missing source is 0
 * whatever the destination holds; then WRONGTYPE of either key; the same key
 * on both sides only tests membership.
 */
void cmd_smove(struct cmd_ctx *c)
{
    struct db_entry *src = lookup_write(c, 1);
    struct db_entry *dst = lookup_write(c, 2);
    if (!src) {
        reply_integer(c->out, 0);
        return;
    }
    if (src->type != OBJ_SET || (dst && dst->type != OBJ_SET)) {
        reply_error(c->out, ERR_WRONGTYPE);
        return;
    }
    struct set_member m = set_member_of_arg(&c->argv[3]);
    if (src == dst) {
        reply_integer(c->out, set_contains(src, &m));
        return;
    }
    if (!set_remove(src, &m)) {
        reply_integer(c->out, 0);
        return;
    }
    int emptied = set_size(src) == 0;
    if (emptied)
        delete_key_arg(c, 1);
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_SET, "srem", 1);
    if (emptied)
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);

    struct set_limits lim = limits_of(c);
    if (!dst) {
        int encoding;
        void *value;
        set_create_value(&m, 1, &lim, &encoding, &value);
        const struct arg *k = &c->argv[2];
        dst = entry_new_collection(arg_key_hash(c, 2), k->ptr, k->len, OBJ_SET, encoding, value);
        db_insert(c->db, dst);
        notify_keyspace_event(c, NOTIFY_NEW, "new", 2);
    }
    if (set_add(dst, &m, &lim)) {
        key_modified(c, 2);
        notify_keyspace_event(c, NOTIFY_SET, "sadd", 2);
    }
    reply_integer(c->out, 1);
}

/* ---------------- readers ---------------- */

/* SISMEMBER key member */
void cmd_sismember(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    struct set_member m = set_member_of_arg(&c->argv[2]);
    reply_integer(c->out, e && set_contains(e, &m));
}

/* SMISMEMBER key member [member ...]: a missing key is an empty set. */
void cmd_smismember(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    reply_array(c->out, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        struct set_member m = set_member_of_arg(&c->argv[j]);
        reply_integer(c->out, e && set_contains(e, &m));
    }
}

/* SCARD key */
void cmd_scard(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    reply_integer(c->out, e ? (long long)set_size(e) : 0);
}

/* SMEMBERS key: the whole set (an empty set for a missing key). */
void cmd_smembers(struct cmd_ctx *c)
{
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    if (!e)
        reply_set(c->out, c->resp, 0);
    else
        reply_whole_set(c, e);
}

/* ---------------- SPOP ---------------- */

/*
 * Pops count members of a listpack set (count < size) in one pass with
 * selection sampling: every entry is popped with probability (members still
 * to pop) / (entries left), which picks a uniform random subset; the others
 * are copied into the new listpack. O(bytes) whatever count is.
 */
static void spop_listpack(struct cmd_ctx *c, struct db_entry *e, size_t count)
{
    unsigned char *lp = e->v.ptr;
    unsigned char *kept = lp_new();
    size_t left = lp_count(lp);
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p), left--) {
        struct set_member m = set_member_of_lp(p);
        if (count && set_rand_below(left) < count) {
            reply_member(c, &m);
            count--;
        } else {
            kept = m.str ? lp_append(kept, m.str, m.len) : lp_append_int(kept, m.ll);
        }
    }
    lp_free(lp);
    e->v.ptr = kept;
}

/* The same one pass for an intset: O(size) however many are popped, where
 * popping one by one would move the array's tail once per member. The kept
 * members arrive in ascending order, so each intset_add appends. */
static void spop_intset(struct cmd_ctx *c, struct db_entry *e, size_t count)
{
    struct intset *is = e->v.ptr;
    struct intset *kept = intset_new();
    uint32_t n = intset_len(is);
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = intset_get(is, i);
        if (count && set_rand_below(n - i) < count) {
            reply_bulk_ll(c->out, v);
            count--;
        } else {
            kept = intset_add(kept, v, NULL);
        }
    }
    intset_free(is);
    e->v.ptr = kept;
}

/*
 * Pops count members of an intset or hash table set (count < size), with
 * Redis's two strategies: while many members stay, pop random ones one by
 * one (O(count)); when few stay (remaining * 5 <= count), draw the survivors
 * into a new set instead and reply everything left in the old one, so the
 * cost is O(size) rather than ever-slower random draws.
 */
static void spop_many(struct cmd_ctx *c, struct db_entry *e, size_t count, const struct set_limits *lim)
{
    size_t remaining = set_size(e) - count;
    char buf[LONG_STR_SIZE];
    if (remaining * SPOP_MOVE_STRATEGY_MUL > count) {
        for (size_t i = 0; i < count; i++) {
            struct set_member m = set_random_member(e);
            reply_member(c, &m);
            if (e->encoding == ENC_HASHTABLE) {
                /* The node holds the bytes: reply first, then free it. */
                sdict_node_free(sdict_unlink(e->v.ptr, m.str, m.len));
            } else {
                set_remove(e, &m);
            }
        }
        return;
    }

    /* The survivors go into a set made as Redis 7.2 makes it: a listpack
     * for members of a table, an intset for an intset's, growing from there. */
    struct db_entry *survivors = new_set_entry(c, -1);
    if (e->encoding == ENC_HASHTABLE) {
        intset_free(survivors->v.ptr);
        survivors->encoding = ENC_LISTPACK;
        survivors->v.ptr = lp_new();
    }
    for (size_t i = 0; i < remaining; i++) {
        struct set_member m = set_random_member(e);
        set_add(survivors, &m, lim);
        if (e->encoding == ENC_HASHTABLE) {
            size_t len;
            const char *s = set_member_bytes(&m, buf, &len);
            sdict_node_free(sdict_unlink(e->v.ptr, s, len));
        } else {
            set_remove(e, &m);
        }
    }
    struct set_iter it;
    struct set_member m;
    set_iter_init(&it, e);
    while (set_iter_next(&it, &m))
        reply_member(c, &m);
    set_iter_done(&it);

    /* Swap the values: the entry keeps the survivors, the old value goes. */
    set_value_free(e);
    e->encoding = survivors->encoding;
    e->v.ptr = survivors->v.ptr;
    survivors->v.ptr = NULL;
    entry_free(survivors);
}

/* SPOP's effect for the log: SREM of the members it replied (read back
 * from its reply, bulk strings from `from` on: one, or an aggregate). */
static void spop_effect(struct cmd_ctx *c, size_t from)
{
    if (!c->aof) {
        effect_none(c);
        return;
    }
    const char *p = c->out->data + from, *end = c->out->data + c->out->len;
    long long n = 1;
    if (p < end && (*p == '*' || *p == '~')) {
        n = strtoll(p + 1, NULL, 10);
        p = memchr(p, '\n', (size_t)(end - p));
        p = p ? p + 1 : end;
    }
    size_t cap = (size_t)(n > 0 ? n : 0) + 2;
    const char **argv = malloc(sizeof(char *) * cap);
    size_t *lens = malloc(sizeof(size_t) * cap);
    int argc = 0;
    argv[argc] = "SREM";
    lens[argc++] = 4;
    argv[argc] = c->argv[1].ptr;
    lens[argc++] = c->argv[1].len;
    for (long long i = 0; i < n && p < end && *p == '$'; i++) {
        long long len = strtoll(p + 1, NULL, 10);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || len < 0 || nl + 1 + len > end)
            break;
        argv[argc] = nl + 1;
        lens[argc++] = (size_t)len;
        p = nl + 1 + len + 2;
    }
    if (argc > 2)
        effect_log(c, argc, argv, lens);
    else
        effect_none(c);
    free(argv);
    free(lens);
}

/* SPOP key [count]. The count is checked before the key, as in Redis. */
void cmd_spop(struct cmd_ctx *c)
{
    size_t reply_at = c->out->len;
    if (c->argc > 3) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    long long count = -1;
    if (c->argc == 3) {
        if (!string2ll(c->argv[2].ptr, c->argv[2].len, &count) || count < 0) {
            reply_error(c->out, ERR_SPOP_RANGE);
            return;
        }
    }
    struct db_entry *e;
    if (!lookup_set_write(c, 1, &e))
        return;
    if (c->argc == 2) {
        if (!e) {
            reply_null(c->out, c->resp);
            return;
        }
        struct set_member m = set_random_member(e);
        reply_member(c, &m);
        set_remove(e, &m); /* after the reply: m may point into the set */
        int emptied = set_size(e) == 0;
        if (emptied)
            delete_key_arg(c, 1);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_SET, "spop", 1);
        if (emptied)
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
        spop_effect(c, reply_at); /* random: logged as SREM of what it took */
        return;
    }
    if (!e || count == 0) {
        reply_set(c->out, c->resp, 0);
        return;
    }
    size_t size = set_size(e);
    if ((unsigned long long)count >= size) {
        reply_whole_set(c, e);
        delete_key_arg(c, 1);
        key_modified(c, 1);
        notify_keyspace_event(c, NOTIFY_SET, "spop", 1);
        notify_keyspace_event(c, NOTIFY_GENERIC, "del", 1);
        const char *eff[2] = {"DEL", c->argv[1].ptr};
        size_t efflen[2] = {3, c->argv[1].len};
        effect_log(c, 2, eff, efflen);
        return;
    }
    reply_set(c->out, c->resp, count);
    if (e->encoding == ENC_LISTPACK) {
        spop_listpack(c, e, (size_t)count);
    } else if (e->encoding == ENC_INTSET && count > SPOP_INTSET_ONE_BY_ONE) {
        spop_intset(c, e, (size_t)count);
    } else {
        struct set_limits lim = limits_of(c);
        spop_many(c, e, (size_t)count, &lim);
    }
    key_modified(c, 1);
    notify_keyspace_event(c, NOTIFY_SET, "spop", 1);
    spop_effect(c, reply_at);
}

/* ---------------- SRANDMEMBER ---------------- */

/* |count| random members, repetitions allowed, in random order. A listpack
 * gets an index of its entries first so each draw is O(1); so does a hash
 * table when count is large next to its size (sdict_draw_table). */
static void srandmember_repeated(struct cmd_ctx *c, struct db_entry *e, long long count)
{
    reply_array(c->out, count);
    if (e->encoding == ENC_HASHTABLE && count > 1) {
        struct sdict_node **all = sdict_draw_table(e->v.ptr, (unsigned long long)count);
        if (all) {
            size_t n = set_size(e);
            for (long long i = 0; i < count; i++) {
                struct set_member m = set_member_of_node(all[set_rand_below(n)]);
                reply_member(c, &m);
            }
            free(all);
            return;
        }
    }
    if (e->encoding != ENC_LISTPACK || count == 1) {
        for (long long i = 0; i < count; i++) {
            struct set_member m = set_random_member(e);
            reply_member(c, &m);
        }
        return;
    }
    unsigned char *lp = e->v.ptr;
    size_t n = lp_count(lp), i = 0;
    unsigned char **index = malloc(n * sizeof(*index));
    if (!index)
        abort();
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p))
        index[i++] = p;
    for (long long k = 0; k < count; k++) {
        struct set_member m = set_member_of_lp(index[set_rand_below(n)]);
        reply_member(c, &m);
    }
    free(index);
}

/* count distinct members (count < size) by one pass of selection sampling
 * over the set: O(size), used when size < 3 * count or for a listpack. */
static void srandmember_by_pass(struct cmd_ctx *c, struct db_entry *e, size_t count)
{
    reply_array(c->out, (long long)count);
    size_t left = set_size(e);
    struct set_iter it;
    struct set_member m;
    set_iter_init(&it, e);
    while (count && set_iter_next(&it, &m)) {
        if (set_rand_below(left--) < count) {
            reply_member(c, &m);
            count--;
        }
    }
    set_iter_done(&it);
}

/* count distinct members of a big set (size >= 3 * count): random draws
 * until count distinct ones, deduplicated in a temporary table. O(count). */
static void srandmember_by_draws(struct cmd_ctx *c, struct db_entry *e, size_t count)
{
    struct sdict *seen = sdict_new();
    sdict_reserve(seen, count);
    char buf[LONG_STR_SIZE];
    while (sdict_size(seen) < count) {
        struct set_member m = set_random_member(e);
        size_t len;
        const char *s = set_member_bytes(&m, buf, &len);
        int added;
        sdict_add(seen, s, len, &added);
    }
    reply_array(c->out, (long long)count);
    struct sdict_iter it;
    struct sdict_node *n;
    sdict_iter_init(&it, seen);
    while ((n = sdict_iter_next(&it)) != NULL)
        reply_bulk(c->out, n->key, n->klen);
    sdict_iter_done(&it);
    sdict_free(seen, NULL);
}

/* SRANDMEMBER key [count]: positive count distinct members, negative count
 * |count| members with repetitions. */
void cmd_srandmember(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        reply_error(c->out, ERR_SYNTAX);
        return;
    }
    long long count = 0;
    if (c->argc == 3) {
        if (!arg_ll_or_reply(c, 2, &count, NULL))
            return;
        if (count == LLONG_MIN) {
            reply_error(c->out, ERR_SRANDMEMBER_RANGE);
            return;
        }
    }
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    if (c->argc == 2) {
        if (!e) {
            reply_null(c->out, c->resp);
            return;
        }
        struct set_member m = set_random_member(e);
        reply_member(c, &m);
        return;
    }
    if (!e || count == 0) {
        reply_array(c->out, 0);
        return;
    }
    if (count < 0 || count == 1) {
        long long n = count < 0 ? -count : count;
        if (n > SRANDMEMBER_MAX_REPEATED) {
            reply_error(c->out, ERR_SRANDMEMBER_TOO_MANY);
            return;
        }
        srandmember_repeated(c, e, n);
        return;
    }
    size_t size = set_size(e);
    if ((unsigned long long)count >= size) {
        reply_array(c->out, (long long)size);
        struct set_iter it;
        struct set_member m;
        set_iter_init(&it, e);
        while (set_iter_next(&it, &m))
            reply_member(c, &m);
        set_iter_done(&it);
        return;
    }
    if (e->encoding == ENC_LISTPACK || (unsigned long long)count * SRANDMEMBER_SUB_STRATEGY_MUL > size)
        srandmember_by_pass(c, e, (size_t)count);
    else
        srandmember_by_draws(c, e, (size_t)count);
}

/* ---------------- SINTER, SINTERCARD, SINTERSTORE ---------------- */

/* Replaces the destination key at argi by the result (deleting it when the
 * result is empty) and replies the result's size. The result entry was made
 * for that key by new_set_entry. event: the command's keyspace event
 * ("sinterstore" ...); an empty result raises "del" when a key went. */
static void store_result(struct cmd_ctx *c, int argi, struct db_entry *result, const struct set_limits *lim,
                         const char *event)
{
    size_t size = set_size(result);
    int existed = delete_key_arg(c, argi);
    if (size == 0) {
        entry_free(result);
        if (existed) {
            key_modified(c, argi);
            notify_keyspace_event(c, NOTIFY_GENERIC, "del", argi);
        }
        reply_integer(c->out, 0);
        return;
    }
    set_maybe_convert_to_intset(result, lim);
    db_insert(c->db, result);
    if (!existed)
        notify_keyspace_event(c, NOTIFY_NEW, "new", argi);
    key_modified(c, argi);
    notify_keyspace_event(c, NOTIFY_SET, event, argi);
    reply_integer(c->out, (long long)size);
}

/* qsort order of sets by size, smallest first; a missing key (NULL, only
 * SDIFF has them here) counts as empty. */
static int compare_by_size(const void *a, const void *b)
{
    const struct db_entry *ea = *(struct db_entry *const *)a, *eb = *(struct db_entry *const *)b;
    size_t x = ea ? set_size(ea) : 0, y = eb ? set_size(eb) : 0;
    return x < y ? -1 : x > y;
}

/* Writes an aggregate header (a set's, or an array's when as_array) for n
 * elements in front of the bytes written since `start`: for replies whose
 * length is known only once the elements are written. */
static void reply_header_at(struct cmd_ctx *c, size_t start, int as_array, long long n)
{
    struct buf header = {0};
    if (as_array)
        reply_array(&header, n);
    else
        reply_set(&header, c->resp, n);
    size_t body = c->out->len - start;
    buf_reserve(c->out, header.len);
    memmove(c->out->data + start + header.len, c->out->data + start, body);
    memcpy(c->out->data + start, header.data, header.len);
    c->out->len += header.len;
    buf_free(&header);
}

enum inter_mode { INTER_REPLY, INTER_CARD, INTER_STORE };

/*
 * The intersection of the sets at arguments first..first+n-1. Every key is
 * looked up and type-checked first (WRONGTYPE wins over a missing key, as in
 * Redis); a missing key makes the result empty. The smallest set is iterated
 * and each member probed in the others. dst_argi is the destination for
 * INTER_STORE; limit (0: none) stops INTER_CARD early.
 */
static void sinter_generic(struct cmd_ctx *c, int first, int n, enum inter_mode mode, int dst_argi,
                           unsigned long long limit)
{
    struct db_entry *stack_sets[16];
    struct db_entry **sets = n <= 16 ? stack_sets : malloc((size_t)n * sizeof(*sets));
    if (!sets)
        abort();
    int empty = 0;
    if (mode == INTER_STORE)
        lookup_write(c, dst_argi); /* an expired destination is gone before we look at it */
    for (int j = 0; j < n; j++) {
        if (!lookup_set_read(c, first + j, &sets[j]))
            goto done;
        if (!sets[j])
            empty = 1;
    }
    struct set_limits lim = limits_of(c);
    if (empty) {
        if (mode == INTER_STORE) {
            if (delete_key_arg(c, dst_argi)) {
                key_modified(c, dst_argi);
                notify_keyspace_event(c, NOTIFY_GENERIC, "del", dst_argi);
            }
            reply_integer(c->out, 0);
        } else if (mode == INTER_CARD) {
            reply_integer(c->out, 0);
        } else {
            reply_set(c->out, c->resp, 0);
        }
        goto done;
    }
    qsort(sets, (size_t)n, sizeof(*sets), compare_by_size);

    struct db_entry *result = mode == INTER_STORE ? new_set_entry(c, dst_argi) : NULL;
    size_t start = c->out->len;
    unsigned long long card = 0;
    struct set_iter it;
    struct set_member m;
    set_iter_init(&it, sets[0]);
    while (set_iter_next(&it, &m)) {
        int j;
        for (j = 1; j < n; j++) {
            if (sets[j] != sets[0] && !set_contains(sets[j], &m))
                break;
        }
        if (j < n)
            continue;
        card++;
        if (mode == INTER_REPLY)
            reply_member(c, &m);
        else if (mode == INTER_STORE)
            set_add(result, &m, &lim);
        else if (limit && card >= limit)
            break;
    }
    set_iter_done(&it);

    if (mode == INTER_REPLY)
        reply_header_at(c, start, 0, (long long)card);
    else if (mode == INTER_CARD)
        reply_integer(c->out, (long long)card);
    else
        store_result(c, dst_argi, result, &lim, "sinterstore");
done:
    if (sets != stack_sets)
        free(sets);
}

/* SINTER key [key ...] */
void cmd_sinter(struct cmd_ctx *c)
{
    sinter_generic(c, 1, c->argc - 1, INTER_REPLY, 0, 0);
}

/* SINTERSTORE destination key [key ...] */
void cmd_sinterstore(struct cmd_ctx *c)
{
    sinter_generic(c, 2, c->argc - 2, INTER_STORE, 1, 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit] */
void cmd_sintercard(struct cmd_ctx *c)
{
    long long numkeys;
    if (!string2ll(c->argv[1].ptr, c->argv[1].len, &numkeys) || numkeys < 1) {
        reply_error(c->out, ERR_NUMKEYS);
        return;
    }
    if (numkeys > c->argc - 2) {
        reply_error(c->out, ERR_NUMKEYS_ARGS);
        return;
    }
    long long limit = 0;
    for (int j = 2 + (int)numkeys; j < c->argc; j++) {
        if (arg_is(&c->argv[j], "limit") && j + 1 < c->argc) {
            j++;
            if (!string2ll(c->argv[j].ptr, c->argv[j].len, &limit) || limit < 0) {
                reply_error(c->out, ERR_LIMIT_NEGATIVE);
                return;
            }
        } else {
            reply_error(c->out, ERR_SYNTAX);
            return;
        }
    }
    sinter_generic(c, 2, (int)numkeys, INTER_CARD, 0, (unsigned long long)limit);
}

/* ---------------- SUNION, SDIFF and their STOREs ---------------- */

enum set_op { OP_UNION, OP_DIFF };

/*
 * Union or difference of the sets at arguments first..first+n-1 (missing
 * keys are empty sets), built into a new set and replied (dst_argi 0) or
 * stored at dst_argi. The difference uses Redis's choice of algorithm:
 * probing each member of the first set in the others (about size(first) * n
 * work, others largest first) or adding the first set and removing every
 * other (the total size), whichever is less work.
 */
static void sunion_diff_generic(struct cmd_ctx *c, int first, int n, enum set_op op, int dst_argi)
{
    struct db_entry *stack_sets[16];
    struct db_entry **sets = n <= 16 ? stack_sets : malloc((size_t)n * sizeof(*sets));
    if (!sets)
        abort();
    int sameset = 0;
    if (dst_argi)
        lookup_write(c, dst_argi); /* an expired destination is gone before we look at it */
    for (int j = 0; j < n; j++) {
        if (!lookup_set_read(c, first + j, &sets[j]))
            goto done;
        if (j > 0 && sets[j] && sets[j] == sets[0])
            sameset = 1;
    }
    struct set_limits lim = limits_of(c);
    struct db_entry *result = new_set_entry(c, dst_argi ? dst_argi : -1);
    struct set_iter it;
    struct set_member m;

    if (op == OP_UNION) {
        for (int j = 0; j < n; j++) {
            if (!sets[j])
                continue;
            set_iter_init(&it, sets[j]);
            while (set_iter_next(&it, &m))
                set_add(result, &m, &lim);
            set_iter_done(&it);
        }
    } else if (sets[0] && !sameset) {
        unsigned long long probe_work = 0, remove_work = 0;
        for (int j = 0; j < n; j++) {
            if (!sets[j])
                continue;
            probe_work += set_size(sets[0]);
            remove_work += set_size(sets[j]);
        }
        probe_work /= 2; /* probing has better constants */
        if (probe_work <= remove_work) {
            if (n > 2)
                qsort(sets + 1, (size_t)n - 1, sizeof(*sets), compare_by_size);
            set_iter_init(&it, sets[0]);
            while (set_iter_next(&it, &m)) {
                int j;
                for (j = n - 1; j >= 1; j--) {
                    if (sets[j] && set_contains(sets[j], &m))
                        break;
                }
                if (j == 0)
                    set_add(result, &m, &lim);
            }
            set_iter_done(&it);
        } else {
            for (int j = 0; j < n && (j == 0 || set_size(result) > 0); j++) {
                if (!sets[j])
                    continue;
                set_iter_init(&it, sets[j]);
                while (set_iter_next(&it, &m)) {
                    if (j == 0)
                        set_add(result, &m, &lim);
                    else
                        set_remove(result, &m);
                }
                set_iter_done(&it);
            }
        }
    }

    if (dst_argi) {
        store_result(c, dst_argi, result, &lim, op == OP_UNION ? "sunionstore" : "sdiffstore");
    } else {
        reply_whole_set(c, result);
        entry_free(result);
    }
done:
    if (sets != stack_sets)
        free(sets);
}

/* SUNION key [key ...] */
void cmd_sunion(struct cmd_ctx *c)
{
    sunion_diff_generic(c, 1, c->argc - 1, OP_UNION, 0);
}

/* SUNIONSTORE destination key [key ...] */
void cmd_sunionstore(struct cmd_ctx *c)
{
    sunion_diff_generic(c, 2, c->argc - 2, OP_UNION, 1);
}

/* SDIFF key [key ...] */
void cmd_sdiff(struct cmd_ctx *c)
{
    sunion_diff_generic(c, 1, c->argc - 1, OP_DIFF, 0);
}

/* SDIFFSTORE destination key [key ...] */
void cmd_sdiffstore(struct cmd_ctx *c)
{
    sunion_diff_generic(c, 2, c->argc - 2, OP_DIFF, 1);
}

/* ---------------- SSCAN ---------------- */

struct scan_collect {
    struct sdict_node **nodes;
    size_t len, cap;
};

static void scan_collect_node(void *priv, void *entry)
{
    struct sdict_node *n = entry;
    struct scan_collect *sc = priv;
    if (sc->len == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 16;
        sc->nodes = realloc(sc->nodes, sc->cap * sizeof(*sc->nodes));
        if (!sc->nodes)
            abort();
    }
    sc->nodes[sc->len++] = n;
}

static int scan_matches(const struct scan_options *o, const char *s, size_t len)
{
    return !o->match || stringmatchlen(o->match, o->match_len, s, len, 0);
}

/*
 * SSCAN key cursor [MATCH pattern] [COUNT count]. Redis's order: the cursor,
 * then the key (missing: an empty scan whatever the options), its type, then
 * the options. A compact set is returned whole with cursor 0; a table is
 * scanned with the reverse-binary cursor, up to COUNT*10 buckets per call.
 */
void cmd_sscan(struct cmd_ctx *c)
{
    unsigned long long cursor;
    if (!scan_cursor_or_reply(c, 2, &cursor))
        return;
    struct db_entry *e;
    if (!lookup_set_read(c, 1, &e))
        return;
    if (!e) {
        reply_array(c->out, 2);
        reply_bulk(c->out, "0", 1);
        reply_array(c->out, 0);
        return;
    }
    struct scan_options o;
    if (!scan_match_count_or_reply(c, 3, &o))
        return;

    char buf[LONG_STR_SIZE];
    reply_array(c->out, 2);
    if (e->encoding != ENC_HASHTABLE) {
        reply_bulk(c->out, "0", 1);
        size_t start = c->out->len;
        long long count = 0;
        struct set_iter it;
        struct set_member m;
        set_iter_init(&it, e);
        while (set_iter_next(&it, &m)) {
            size_t len;
            const char *s = set_member_bytes(&m, buf, &len);
            if (scan_matches(&o, s, len)) {
                reply_bulk(c->out, s, len);
                count++;
            }
        }
        set_iter_done(&it);
        reply_header_at(c, start, 1, count);
        return;
    }

    struct scan_collect sc = {NULL, 0, 0};
    long long max_iterations = o.count * 10;
    do {
        cursor = sdict_scan(e->v.ptr, cursor, scan_collect_node, &sc);
    } while (cursor && max_iterations-- && (long long)sc.len < o.count);
    int n = ull2string(buf, sizeof(buf), cursor);
    reply_bulk(c->out, buf, (size_t)n);
    long long matched = 0;
    for (size_t i = 0; i < sc.len; i++)
        matched += scan_matches(&o, sc.nodes[i]->key, sc.nodes[i]->klen);
    reply_array(c->out, matched);
    for (size_t i = 0; i < sc.len; i++) {
        if (scan_matches(&o, sc.nodes[i]->key, sc.nodes[i]->klen))
            reply_bulk(c->out, sc.nodes[i]->key, sc.nodes[i]->klen);
    }
    free(sc.nodes);
}
