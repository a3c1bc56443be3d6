/*
 * t_set.c - the set type: encodings, members, iteration, conversions and
 * the per-type hooks of object.h (see t_set.h). Extracted from
 * core/commands/cmd_set.c, which keeps the commands.
 *
 * Threads: the shard thread owning the value. Invariant: a value is in the
 * smallest encoding the limits allowed when it last grew (never moving
 * back, see t_set.h); an empty set is never linked into a db.
 */
#include "core/types/t_set.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/util.h"
#include "core/ds/intset.h"
#include "core/ds/listpack.h"
#include "core/ds/sdict.h"
#include "core/types/object.h"

/* Redis's LISTPACK_MAX_SAFETY_SIZE: a listpack never grows past 1 GB. */
#define LP_SAFETY_SIZE (1UL << 30)
/* An intset never holds more than 2^30 members (Redis's intsetMaxEntries). */
#define INTSET_HARD_MAX (1ULL << 30)

/* ---------------- members, limits, randomness ---------------- */

/* xorshift64* per shard thread, seeded on first use. SPOP and SRANDMEMBER
 * only need "unpredictable enough", not cryptographic randomness. */
static _Thread_local uint64_t rng_state;

uint64_t set_rand(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&rng_state;
        rng_state |= 1;
    }
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

uint64_t set_rand_below(uint64_t n)
{
    return (uint64_t)(((unsigned __int128)set_rand() * n) >> 64);
}

/* ---------------- the set value ---------------- */

struct set_limits set_limits_of(const struct config *cfg)
{
    struct set_limits l;
    l.intset_max = cfg->set_max_intset_entries < 0 ? 0 : (unsigned long long)cfg->set_max_intset_entries;
    if (l.intset_max > INTSET_HARD_MAX)
        l.intset_max = INTSET_HARD_MAX;
    l.lp_entries = cfg->set_max_listpack_entries < 0 ? 0 : (unsigned long long)cfg->set_max_listpack_entries;
    l.lp_value = cfg->set_max_listpack_value < 0 ? 0 : (unsigned long long)cfg->set_max_listpack_value;
    return l;
}

size_t set_size(const struct db_entry *e)
{
    switch (e->encoding) {
    case ENC_INTSET:
        return intset_len(e->v.ptr);
    case ENC_LISTPACK:
        return lp_count(e->v.ptr);
    default:
        return sdict_size(e->v.ptr);
    }
}

void set_iter_init(struct set_iter *it, struct db_entry *e)
{
    it->e = e;
    it->index = 0;
    it->lp = NULL;
    if (e->encoding == ENC_LISTPACK)
        it->lp = lp_first(e->v.ptr);
    else if (e->encoding == ENC_HASHTABLE)
        sdict_iter_init(&it->di, e->v.ptr);
}

int set_iter_next(struct set_iter *it, struct set_member *m)
{
    switch (it->e->encoding) {
    case ENC_INTSET:
        if (it->index >= intset_len(it->e->v.ptr))
            return 0;
        m->str = NULL;
        m->ll = intset_get(it->e->v.ptr, it->index++);
        return 1;
    case ENC_LISTPACK:
        if (!it->lp)
            return 0;
        *m = set_member_of_lp(it->lp);
        it->lp = lp_next(it->e->v.ptr, it->lp);
        return 1;
    default: {
        struct sdict_node *n = sdict_iter_next(&it->di);
        if (!n)
            return 0;
        *m = set_member_of_node(n);
        return 1;
    }
    }
}

void set_iter_done(struct set_iter *it)
{
    if (it->e->encoding == ENC_HASHTABLE)
        sdict_iter_done(&it->di);
}

int set_contains(struct db_entry *e, const struct set_member *m)
{
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *s;
    long long v;
    switch (e->encoding) {
    case ENC_INTSET:
        return set_member_ll(m, &v) && intset_find(e->v.ptr, v);
    case ENC_LISTPACK: {
        unsigned char *p = lp_first(e->v.ptr);
        s = set_member_bytes(m, buf, &len);
        return p && lp_find(e->v.ptr, p, s, len, 0) != NULL;
    }
    default:
        s = set_member_bytes(m, buf, &len);
        return sdict_find(e->v.ptr, s, len) != NULL;
    }
}

void set_convert_to_hashtable(struct db_entry *e, size_t cap)
{
    struct sdict *d = sdict_new();
    sdict_reserve(d, cap);
    struct set_iter it;
    struct set_member m;
    char buf[LONG_STR_SIZE];
    set_iter_init(&it, e);
    while (set_iter_next(&it, &m)) {
        size_t len;
        const char *s = set_member_bytes(&m, buf, &len);
        int added;
        sdict_add(d, s, len, &added);
    }
    set_iter_done(&it);
    set_value_free(e);
    e->encoding = ENC_HASHTABLE;
    e->v.ptr = d;
}

void set_convert_intset_to_listpack(struct db_entry *e)
{
    struct intset *is = e->v.ptr;
    unsigned char *lp = lp_new();
    for (uint32_t i = 0; i < intset_len(is); i++)
        lp = lp_append_int(lp, intset_get(is, i));
    intset_free(is);
    e->encoding = ENC_LISTPACK;
    e->v.ptr = lp;
}

void set_maybe_convert_to_intset(struct db_entry *e, const struct set_limits *lim)
{
    if (e->encoding == ENC_INTSET || set_size(e) > lim->intset_max)
        return;
    struct intset *is = intset_new();
    struct set_iter it;
    struct set_member m;
    set_iter_init(&it, e);
    while (set_iter_next(&it, &m)) {
        long long v;
        if (!set_member_ll(&m, &v)) {
            set_iter_done(&it);
            intset_free(is);
            return;
        }
        is = intset_add(is, v, NULL);
    }
    set_iter_done(&it);
    set_value_free(e);
    e->encoding = ENC_INTSET;
    e->v.ptr = is;
}

size_t set_digits10(long long v)
{
    char buf[LONG_STR_SIZE];
    return (size_t)ll2string(buf, sizeof(buf), v);
}

int set_add(struct db_entry *e, const struct set_member *m, const struct set_limits *lim)
{
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *s;
    long long v;
    int added;

    if (e->encoding == ENC_INTSET) {
        struct intset *is = e->v.ptr;
        if (set_member_ll(m, &v)) {
            e->v.ptr = intset_add(is, v, &added);
            if (added && intset_len(e->v.ptr) > lim->intset_max)
                set_convert_to_hashtable(e, intset_len(e->v.ptr));
            return added;
        }
        uint32_t n = intset_len(is);
        size_t widest = 0;
        if (n) {
            size_t a = set_digits10(intset_get(is, 0)), b = set_digits10(intset_get(is, n - 1));
            widest = a > b ? a : b;
        }
        if (n < lim->lp_entries && m->len <= lim->lp_value && widest <= lim->lp_value &&
            (widest + 2) * n + m->len + 16 < LP_SAFETY_SIZE) {
            set_convert_intset_to_listpack(e);
            e->v.ptr = lp_append(e->v.ptr, m->str, m->len);
        } else {
            set_convert_to_hashtable(e, (size_t)n + 1);
            sdict_add(e->v.ptr, m->str, m->len, &added);
        }
        return 1;
    }

    s = set_member_bytes(m, buf, &len);
    if (e->encoding == ENC_LISTPACK) {
        unsigned char *lp = e->v.ptr;
        unsigned char *p = lp_first(lp);
        if (p && lp_find(lp, p, s, len, 0))
            return 0;
        if (lp_count(lp) < lim->lp_entries && len <= lim->lp_value && lp_bytes(lp) + len + 16 < LP_SAFETY_SIZE) {
            e->v.ptr = m->str ? lp_append(lp, s, len) : lp_append_int(lp, m->ll);
            return 1;
        }
        set_convert_to_hashtable(e, (size_t)lp_count(lp) + 1);
    }
    sdict_add(e->v.ptr, s, len, &added);
    return added;
}

int set_remove(struct db_entry *e, const struct set_member *m)
{
    char buf[LONG_STR_SIZE];
    size_t len;
    const char *s;
    long long v;
    int removed = 0;
    switch (e->encoding) {
    case ENC_INTSET:
        if (set_member_ll(m, &v))
            e->v.ptr = intset_remove(e->v.ptr, v, &removed);
        return removed;
    case ENC_LISTPACK: {
        unsigned char *p = lp_first(e->v.ptr);
        s = set_member_bytes(m, buf, &len);
        if (p && (p = lp_find(e->v.ptr, p, s, len, 0)) != NULL) {
            e->v.ptr = lp_delete(e->v.ptr, p, NULL);
            return 1;
        }
        return 0;
    }
    default: {
        s = set_member_bytes(m, buf, &len);
        struct sdict_node *n = sdict_unlink(e->v.ptr, s, len);
        if (!n)
            return 0;
        sdict_node_free(n);
        return 1;
    }
    }
}

void set_create_value(const struct set_member *first, size_t size_hint, const struct set_limits *lim, int *encoding,
                      void **value)
{
    long long v;
    if (set_member_ll(first, &v) && size_hint <= lim->intset_max) {
        *encoding = ENC_INTSET;
        *value = intset_new();
    } else if (size_hint <= lim->lp_entries) {
        *encoding = ENC_LISTPACK;
        *value = lp_new();
    } else {
        struct sdict *d = sdict_new();
        sdict_reserve(d, size_hint);
        *encoding = ENC_HASHTABLE;
        *value = d;
    }
}

struct set_member set_random_member(struct db_entry *e)
{
    struct set_member m = {NULL, 0, 0};
    switch (e->encoding) {
    case ENC_INTSET:
        m.ll = intset_get(e->v.ptr, (uint32_t)set_rand_below(intset_len(e->v.ptr)));
        return m;
    case ENC_LISTPACK:
        return set_member_of_lp(lp_seek(e->v.ptr, (long)set_rand_below(lp_count(e->v.ptr))));
    default:
        return set_member_of_node(sdict_random(e->v.ptr));
    }
}

/* ---------------- the per-type hooks of object.h ---------------- */

void set_value_free(struct db_entry *e)
{
    if (!e->v.ptr)
        return;
    switch (e->encoding) {
    case ENC_INTSET:
        intset_free(e->v.ptr);
        break;
    case ENC_LISTPACK:
        lp_free(e->v.ptr);
        break;
    default:
        sdict_free(e->v.ptr, NULL);
        break;
    }
    e->v.ptr = NULL;
}

void *set_value_dup(const struct db_entry *e)
{
    switch (e->encoding) {
    case ENC_INTSET:
        return intset_dup(e->v.ptr);
    case ENC_LISTPACK:
        return lp_dup(e->v.ptr);
    default: {
        struct sdict *src = e->v.ptr;
        struct sdict *d = sdict_new();
        sdict_reserve(d, sdict_size(src));
        struct sdict_iter it;
        struct sdict_node *n;
        sdict_iter_init(&it, src);
        while ((n = sdict_iter_next(&it)) != NULL) {
            int added;
            sdict_add(d, n->key, n->klen, &added);
        }
        sdict_iter_done(&it);
        return d;
    }
    }
}

size_t set_value_len(const struct db_entry *e)
{
    return e->v.ptr ? set_size(e) : 0;
}

size_t set_value_mem(const struct db_entry *e)
{
    if (!e->v.ptr)
        return 0;
    switch (e->encoding) {
    case ENC_INTSET:
        return intset_bytes(e->v.ptr);
    case ENC_LISTPACK:
        return lp_bytes(e->v.ptr);
    default:
        return sdict_mem(e->v.ptr);
    }
}
