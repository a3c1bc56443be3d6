/*
 * t_set.h - the set type (extracted from core/commands/cmd_set.c): its
 * three encodings, members, iteration, conversions, and the per-type hooks
 * of object.h. The commands are in core/commands/cmd_set.c.
 *
 * Encodings (e->encoding, value behind e->v.ptr), as Redis 7.2 chooses them:
 *   ENC_INTSET    struct intset *: every member is an integer (string2ll
 *                 accepts it) and there are at most set-max-intset-entries.
 *   ENC_LISTPACK  unsigned char *: at most set-max-listpack-entries members,
 *                 none longer than set-max-listpack-value bytes.
 *   ENC_HASHTABLE struct sdict *: members are the keys, the value word unused.
 * A set only moves forward (intset -> listpack/hashtable, listpack ->
 * hashtable), never back, except a *STORE result and the set SPOP rebuilds,
 * which are made in the smallest encoding that fits, as Redis 7.2 does.
 *
 * Members travel between encodings as a struct set_member: a string (str, len)
 * or an integer (str == NULL, ll), so an intset member is never formatted
 * unless it goes into a listpack string or a hash table.
 *
 * Threads: the shard thread owning the key (any thread for an unlinked
 * value it owns). The only state outside the values is the thread-local
 * random generator behind set_random_member and set_rand_below.
 */
#ifndef SHARDIS_T_SET_H
#define SHARDIS_T_SET_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/resp.h"
#include "core/base/util.h"
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/types/object.h"

struct set_member {
    const char *str; /* NULL: the integer ll */
    size_t len;
    long long ll;
};

/* The encoding thresholds of the running config, read once per command. */
struct set_limits {
    unsigned long long intset_max;
    unsigned long long lp_entries;
    unsigned long long lp_value;
};

/* The limits of cfg (negative settings read as 0, intset_max capped at the
 * intset's own maximum). */
struct set_limits set_limits_of(const struct config *cfg);

static inline struct set_member set_member_of_arg(const struct arg *a)
{
    struct set_member m = {a->ptr, a->len, 0};
    return m;
}

/* The member's bytes; an integer is formatted into buf (LONG_STR_SIZE). */
static inline const char *set_member_bytes(const struct set_member *m, char *buf, size_t *len)
{
    if (m->str) {
        *len = m->len;
        return m->str;
    }
    *len = (size_t)ll2string(buf, LONG_STR_SIZE, m->ll);
    return buf;
}

/* The member as an integer, when it is one (string2ll's strict rules). */
static inline int set_member_ll(const struct set_member *m, long long *v)
{
    if (!m->str) {
        *v = m->ll;
        return 1;
    }
    return string2ll(m->str, m->len, v);
}

static inline struct set_member set_member_of_lp(const unsigned char *p)
{
    struct lp_val v;
    lp_get(p, &v);
    struct set_member m = {(const char *)v.str, v.len, v.ll};
    return m;
}

static inline struct set_member set_member_of_node(const struct sdict_node *n)
{
    struct set_member m = {n->key, n->klen, 0};
    return m;
}

uint64_t set_rand(void);

/* Uniform in [0, n), n > 0. */
uint64_t set_rand_below(uint64_t n);

size_t set_size(const struct db_entry *e);

/* Iteration over every member; the set must not change meanwhile. Members
 * read from a listpack or table are borrowed until the set changes. */
struct set_iter {
    struct db_entry *e;
    uint32_t index;    /* intset */
    unsigned char *lp; /* listpack: next entry, NULL at the end */
    struct sdict_iter di;
};

void set_iter_init(struct set_iter *it, struct db_entry *e);

int set_iter_next(struct set_iter *it, struct set_member *m);

void set_iter_done(struct set_iter *it);

int set_contains(struct db_entry *e, const struct set_member *m);

/* Converts the set to a hash table sized for cap members. */
void set_convert_to_hashtable(struct db_entry *e, size_t cap);

/* Converts an intset to a listpack (same order). */
void set_convert_intset_to_listpack(struct db_entry *e);

/* Makes a set whose members are all integers an intset when it fits
 * (Redis's maybeConvertToIntset, for *STORE results). */
void set_maybe_convert_to_intset(struct db_entry *e, const struct set_limits *lim);

/* Decimal digits of v with its sign (Redis's sdigits10). */
size_t set_digits10(long long v);

/*
 * Adds m to the set; returns 1 when it was not a member. Converts the set as
 * Redis 7.2's setTypeAddAux does: an intset that outgrows intset_max becomes
 * a hash table; a non-integer added to an intset makes it a listpack when
 * the result fits one (every member, at its widest, within lp_value), else a
 * hash table; a listpack that would outgrow lp_entries or get a member
 * longer than lp_value becomes a hash table.
 */
int set_add(struct db_entry *e, const struct set_member *m, const struct set_limits *lim);

/* Removes m; returns 1 when it was a member. The caller deletes the key when
 * the set became empty. */
int set_remove(struct db_entry *e, const struct set_member *m);

/*
 * A new set value of the encoding Redis 7.2's setTypeCreate picks for a set
 * that will receive about size_hint members, the first being `first`: an
 * intset when it is an integer and the hint fits, else a listpack when the
 * hint fits, else a hash table sized for the hint.
 */
void set_create_value(const struct set_member *first, size_t size_hint, const struct set_limits *lim, int *encoding,
                      void **value);
/* A random member (the set is not empty). For a listpack this walks to a
 * random index: callers drawing many members use a listpack index. */
struct set_member set_random_member(struct db_entry *e);

/* The per-type hooks (set_value_free, _dup, _len, _mem) are declared in
 * core/types/object.h. */

#endif
