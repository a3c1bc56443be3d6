/*
 * t_zset.c - the sorted set type: listpack pairs, lookups, ZADD's update,
 * conversion, iteration and the per-type hooks of object.h (see t_zset.h).
 * Extracted from core/commands/cmd_zset.c, which keeps the commands.
 *
 * Threads: the shard thread owning the value. Invariant: a listpack set is
 * sorted by (score, member) with every pair adjacent; an iterator is valid
 * only while its set does not change.
 */
#include "core/types/t_zset.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/util.h"
#include "core/ds/intset.h"
#include "core/ds/sdict.h"

/* ---------------- per-type hooks (core/types/object.h) ---------------- */

void zset_value_free(struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        lp_free(e->v.ptr);
    else
        zset_free(e->v.ptr);
}

void *zset_value_dup(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_dup(e->v.ptr);
    return zset_dup(e->v.ptr);
}

size_t zset_value_len(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_count(e->v.ptr) / 2;
    return zset_length(e->v.ptr);
}

size_t zset_value_mem(const struct db_entry *e)
{
    if (e->encoding == ENC_LISTPACK)
        return lp_bytes(e->v.ptr);
    return zset_mem(e->v.ptr);
}

/* ---------------- small helpers ---------------- */

/* The score entry of a listpack pair. */
static double lp_score(const unsigned char *p)
{
    struct lp_val v;
    lp_get(p, &v);
    if (!v.str)
        return (double)v.ll;
    char buf[64];
    size_t n = v.len < sizeof(buf) - 1 ? v.len : sizeof(buf) - 1;
    memcpy(buf, v.str, n);
    buf[n] = '\0';
    return strtod(buf, NULL);
}

static int lp_member_cmp(const unsigned char *p, const char *m, size_t len)
{
    char buf[32];
    size_t plen;
    const char *s = lp_get_str(p, buf, &plen);
    return zset_member_cmp(s, plen, m, len);
}

/* Inserts (m, score) at its sorted place; returns the new block. */
static unsigned char *lp_zinsert(unsigned char *lp, const char *m, size_t len, double score)
{
    char sbuf[64];
    int slen = d2string(sbuf, sizeof(sbuf), score);
    unsigned char *p = lp_first(lp);
    while (p) {
        unsigned char *sp = lp_next(lp, p);
        double s = lp_score(sp);
        if (s > score || (s == score && lp_member_cmp(p, m, len) > 0)) {
            unsigned char *np;
            lp = lp_insert(lp, p, m, len, LP_BEFORE, &np);
            return lp_insert(lp, np, sbuf, (size_t)slen, LP_AFTER, NULL);
        }
        p = lp_next(lp, sp);
    }
    lp = lp_append(lp, m, len);
    return lp_append(lp, sbuf, (size_t)slen);
}

static unsigned char *lp_zfind(unsigned char *lp, const char *m, size_t len)
{
    unsigned char *p = lp_first(lp);
    return p ? lp_find(lp, p, m, len, 1) : NULL;
}

unsigned char *zset_lp_delete_pair(unsigned char *lp, unsigned char *p)
{
    unsigned char *next;
    lp = lp_delete(lp, p, &next);
    return lp_delete(lp, next, NULL);
}

static void convert_to_skiplist(struct db_entry *e)
{
    unsigned char *lp = e->v.ptr;
    struct zset *z = zset_new();
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        char buf[32];
        size_t len;
        const char *m = lp_get_str(p, buf, &len);
        zset_set(z, m, len, lp_score(lp_next(lp, p)));
    }
    lp_free(lp);
    e->v.ptr = z;
    e->encoding = ENC_SKIPLIST;
}

int zobj_score(struct db_entry *e, const char *m, size_t len, double *score)
{
    if (e->encoding == ENC_SKIPLIST)
        return zset_score(e->v.ptr, m, len, score);
    unsigned char *p = lp_zfind(e->v.ptr, m, len);
    if (!p)
        return 0;
    *score = lp_score(lp_next(e->v.ptr, p));
    return 1;
}

int zobj_remove(struct db_entry *e, const char *m, size_t len)
{
    if (e->encoding == ENC_SKIPLIST)
        return zset_remove(e->v.ptr, m, len);
    unsigned char *p = lp_zfind(e->v.ptr, m, len);
    if (!p)
        return 0;
    e->v.ptr = zset_lp_delete_pair(e->v.ptr, p);
    return 1;
}

long zobj_rank(struct db_entry *e, const char *m, size_t len)
{
    if (e->encoding == ENC_SKIPLIST)
        return (long)zset_rank(e->v.ptr, m, len) - 1;
    unsigned char *lp = e->v.ptr;
    long rank = 0;
    for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p)), rank++)
        if (lp_eq(p, m, len))
            return rank;
    return -1;
}

/* ---------------- iteration over either encoding ---------------- */

void zit_get(struct zit *it, const char **m, size_t *len, double *score)
{
    if (it->skiplist) {
        *m = it->n->member->key;
        *len = it->n->member->klen;
        if (score)
            *score = it->n->score;
        return;
    }
    *m = lp_get_str(it->p, it->buf, len);
    if (score)
        *score = lp_score(lp_next(it->lp, it->p));
}

double zit_score(struct zit *it)
{
    return it->skiplist ? it->n->score : lp_score(lp_next(it->lp, it->p));
}

static void zit_init(struct zit *it, struct db_entry *e)
{
    it->skiplist = e->encoding == ENC_SKIPLIST;
    it->lp = it->skiplist ? NULL : e->v.ptr;
    it->p = NULL;
    it->n = NULL;
}

void zit_at_rank(struct zit *it, struct db_entry *e, long rank)
{
    zit_init(it, e);
    if (it->skiplist)
        it->n = zset_node_by_rank(e->v.ptr, (unsigned long)rank + 1);
    else
        it->p = lp_seek(it->lp, rank * 2);
}

void zit_score_seek(struct zit *it, struct db_entry *e, const struct zset_score_range *r, int rev)
{
    zit_init(it, e);
    if (it->skiplist) {
        it->n = rev ? zset_last_in_score_range(e->v.ptr, r) : zset_first_in_score_range(e->v.ptr, r);
        return;
    }
    if (zset_score_range_empty(r))
        return;
    if (!rev) {
        for (it->p = lp_first(it->lp); it->p; zit_step(it, 0)) {
            double s = zit_score(it);
            if (zset_score_gte_min(s, r)) {
                if (!zset_score_lte_max(s, r))
                    it->p = NULL;
                return;
            }
        }
    } else {
        it->p = lp_count(it->lp) ? lp_seek(it->lp, -2) : NULL;
        for (; it->p; zit_step(it, 1)) {
            double s = zit_score(it);
            if (zset_score_lte_max(s, r)) {
                if (!zset_score_gte_min(s, r))
                    it->p = NULL;
                return;
            }
        }
    }
}

void zit_lex_seek(struct zit *it, struct db_entry *e, const struct zset_lex_range *r, int rev)
{
    zit_init(it, e);
    if (it->skiplist) {
        it->n = rev ? zset_last_in_lex_range(e->v.ptr, r) : zset_first_in_lex_range(e->v.ptr, r);
        return;
    }
    if (zset_lex_range_empty(r))
        return;
    const char *m;
    size_t len;
    if (!rev) {
        for (it->p = lp_first(it->lp); it->p; zit_step(it, 0)) {
            zit_get(it, &m, &len, NULL);
            if (zset_lex_gte_min(m, len, r)) {
                if (!zset_lex_lte_max(m, len, r))
                    it->p = NULL;
                return;
            }
        }
    } else {
        it->p = lp_count(it->lp) ? lp_seek(it->lp, -2) : NULL;
        for (; it->p; zit_step(it, 1)) {
            zit_get(it, &m, &len, NULL);
            if (zset_lex_lte_max(m, len, r)) {
                if (!zset_lex_gte_min(m, len, r))
                    it->p = NULL;
                return;
            }
        }
    }
}

int zadd_one(const struct config *cfg, struct db_entry *e, const char *m, size_t len, double score, int flags,
             double *newscore)
{
    if (e->encoding == ENC_SKIPLIST) { /* one hash lookup */
        struct zset *z = e->v.ptr;
        struct zset_node *n;
        if (flags & ZA_XX) {
            if (!(n = zset_find(z, m, len)))
                return ZA_OUT_NOP;
        } else if (zset_add_or_find(z, m, len, score, &n)) {
            *newscore = score;
            return ZA_OUT_ADDED;
        }
        if (flags & ZA_NX)
            return ZA_OUT_NOP;
        if (flags & ZA_INCR) {
            score += n->score;
            if (isnan(score))
                return ZA_OUT_NAN;
        }
        if (((flags & ZA_LT) && score >= n->score) || ((flags & ZA_GT) && score <= n->score))
            return ZA_OUT_NOP;
        *newscore = score;
        if (score == n->score)
            return 0;
        zset_update_score(z, n, score);
        return ZA_OUT_UPDATED;
    }
    /* listpack: one scan finds the member and its score */
    unsigned char *p = lp_zfind(e->v.ptr, m, len);
    if (p) {
        double cur = lp_score(lp_next(e->v.ptr, p));
        if (flags & ZA_NX)
            return ZA_OUT_NOP;
        if (flags & ZA_INCR) {
            score += cur;
            if (isnan(score))
                return ZA_OUT_NAN;
        }
        if (((flags & ZA_LT) && score >= cur) || ((flags & ZA_GT) && score <= cur))
            return ZA_OUT_NOP;
        *newscore = score;
        if (score == cur)
            return 0;
        e->v.ptr = lp_zinsert(zset_lp_delete_pair(e->v.ptr, p), m, len, score);
        return ZA_OUT_UPDATED;
    }
    if (flags & ZA_XX)
        return ZA_OUT_NOP;
    *newscore = score;
    if ((long long)zlen(e) + 1 > cfg->zset_max_listpack_entries || (long long)len > cfg->zset_max_listpack_value) {
        convert_to_skiplist(e);
        zset_set(e->v.ptr, m, len, score);
    } else {
        e->v.ptr = lp_zinsert(e->v.ptr, m, len, score);
    }
    return ZA_OUT_ADDED;
}

/* ---------------- inputs of set operations ---------------- */

unsigned long zsrc_len(const struct zsrc *s)
{
    if (!s->e)
        return 0;
    if (s->e->type == OBJ_ZSET)
        return zlen(s->e);
    switch (s->e->encoding) {
    case ENC_INTSET:
        return intset_len(s->e->v.ptr);
    case ENC_LISTPACK:
        return lp_count(s->e->v.ptr);
    default:
        return sdict_size(s->e->v.ptr);
    }
}

/* Score of member in the source (1 for set members); 0 when absent. */
int zsrc_score(struct zsrc *s, const char *m, size_t len, double *score)
{
    if (!s->e)
        return 0;
    if (s->e->type == OBJ_ZSET)
        return zobj_score(s->e, m, len, score);
    *score = 1.0;
    switch (s->e->encoding) {
    case ENC_INTSET: {
        long long v;
        return string2ll(m, len, &v) && intset_find(s->e->v.ptr, v);
    }
    case ENC_LISTPACK:
        return lp_first(s->e->v.ptr) && lp_find(s->e->v.ptr, lp_first(s->e->v.ptr), m, len, 0) != NULL;
    default:
        return sdict_find(s->e->v.ptr, m, len) != NULL;
    }
}

/* Calls fn for every element of the source. fn must not change it. */
void zsrc_foreach(struct zsrc *s, zsrc_visit_fn *fn, void *priv)
{
    if (!s->e)
        return;
    if (s->e->type == OBJ_ZSET) {
        struct zit it;
        const char *m;
        size_t len;
        double score;
        for (zit_at_rank(&it, s->e, 0); zit_valid(&it); zit_step(&it, 0)) {
            zit_get(&it, &m, &len, &score);
            fn(priv, m, len, score);
        }
        return;
    }
    char buf[32];
    if (s->e->encoding == ENC_INTSET) {
        uint32_t n = intset_len(s->e->v.ptr);
        for (uint32_t i = 0; i < n; i++) {
            int len = ll2string(buf, sizeof(buf), intset_get(s->e->v.ptr, i));
            fn(priv, buf, (size_t)len, 1.0);
        }
    } else if (s->e->encoding == ENC_LISTPACK) {
        unsigned char *lp = s->e->v.ptr;
        for (unsigned char *p = lp_first(lp); p; p = lp_next(lp, p)) {
            size_t len;
            const char *m = lp_get_str(p, buf, &len);
            fn(priv, m, len, 1.0);
        }
    } else {
        struct sdict_iter it;
        struct sdict_node *n;
        sdict_iter_init(&it, s->e->v.ptr);
        while ((n = sdict_iter_next(&it)))
            fn(priv, n->key, n->klen, 1.0);
        sdict_iter_done(&it);
    }
}

/* ---------------- *STORE results ---------------- */

void zset_value_for_store(const struct config *cfg, struct zset *acc, size_t maxlen, int *encoding, void **value)
{
    long n = (long)zset_length(acc);
    if (n <= cfg->zset_max_listpack_entries && (long long)maxlen <= cfg->zset_max_listpack_value) {
        unsigned char *lp = lp_new();
        char sbuf[64];
        for (struct zset_node *x = zset_first(acc); x; x = zset_next(x)) {
            lp = lp_append(lp, x->member->key, x->member->klen);
            lp = lp_append(lp, sbuf, (size_t)d2string(sbuf, sizeof(sbuf), x->score));
        }
        zset_free(acc);
        *encoding = ENC_LISTPACK;
        *value = lp;
    } else {
        *encoding = ENC_SKIPLIST;
        *value = acc;
    }
}
