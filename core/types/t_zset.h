/*
 * t_zset.h - the sorted set type (extracted from core/commands/cmd_zset.c):
 * both encodings, lookups, ZADD's one-member update, conversion, the
 * iterator over either encoding, and the per-type hooks of object.h. The
 * commands are in core/commands/cmd_zset.c.
 *
 * Encodings (OBJECT ENCODING):
 *   listpack - member, score pairs in one listpack, sorted by (score,
 *              member); scores stored as d2string text, which the listpack
 *              keeps as an integer when it is one. Used while the set has at
 *              most zset-max-listpack-entries members, each at most
 *              zset-max-listpack-value bytes.
 *   skiplist - struct zset (core/ds/zset.h). A set never converts back, except
 *              that results written by the *STORE commands are listpacks
 *              when they fit, as in Redis.
 *
 * Threads: the shard thread owning the key; nothing here is shared.
 */
#ifndef SHARDIS_T_ZSET_H
#define SHARDIS_T_ZSET_H

#include <stddef.h>

#include "core/base/config.h"
#include "core/ds/listpack.h"
#include "core/ds/zset.h"
#include "core/types/object.h"

/* Number of members. */
static inline unsigned long zlen(const struct db_entry *e)
{
    return zset_value_len(e);
}

/* Deletes the (member, score) pair whose member entry is p from a listpack
 * set; returns the new block. */
unsigned char *zset_lp_delete_pair(unsigned char *lp, unsigned char *p);

/* The score of member m; 0 when it is not a member. */
int zobj_score(struct db_entry *e, const char *m, size_t len, double *score);

/* Removes member m; returns 1 when it was one. The caller deletes the key
 * when the set became empty. */
int zobj_remove(struct db_entry *e, const char *m, size_t len);

/* 0-based ascending rank; -1 when absent. */
long zobj_rank(struct db_entry *e, const char *m, size_t len);

/*
 * An iterator over the members of either encoding, in (score, member)
 * order: position it (zit_at_rank, zit_score_seek, zit_lex_seek), then
 *   while (zit_valid(&it)) { zit_get(&it, ...); zit_step(&it, rev); }
 * Members read are borrowed until the set changes.
 */
struct zit {
    unsigned char *lp, *p; /* listpack: p at a member entry */
    struct zset_node *n;
    int skiplist;
    char buf[32];
};

static inline int zit_valid(const struct zit *it)
{
    return it->skiplist ? it->n != NULL : it->p != NULL;
}

/* The member at the iterator (and its score when score is not NULL). */
void zit_get(struct zit *it, const char **m, size_t *len, double *score);

/* The score at the iterator. */
double zit_score(struct zit *it);

static inline void zit_step(struct zit *it, int rev)
{
    if (it->skiplist) {
        it->n = rev ? zset_prev(it->n) : zset_next(it->n);
    } else if (rev) {
        unsigned char *sp = lp_prev(it->lp, it->p);
        it->p = sp ? lp_prev(it->lp, sp) : NULL;
    } else {
        it->p = lp_next(it->lp, lp_next(it->lp, it->p));
    }
}

/* Positions at 0-based ascending rank (invalid when out of range). */
void zit_at_rank(struct zit *it, struct db_entry *e, long rank);

/* Positions at the first member within r from the low end (from the high
 * end when rev); invalid when none is. */
void zit_score_seek(struct zit *it, struct db_entry *e, const struct zset_score_range *r, int rev);

/* The same for a lexicographic range (members of equal scores). */
void zit_lex_seek(struct zit *it, struct db_entry *e, const struct zset_lex_range *r, int rev);

/* ZADD's flags (in) and zadd_one's outcome bits (out). */
enum { ZA_INCR = 1, ZA_NX = 2, ZA_XX = 4, ZA_GT = 8, ZA_LT = 16, ZA_CH = 32 };

enum { ZA_OUT_NOP = 1, ZA_OUT_NAN = 2, ZA_OUT_ADDED = 4, ZA_OUT_UPDATED = 8 };

/* Redis's zsetAdd: applies one (score, member) under the flags, converting
 * a listpack that would outgrow the config's limits to a skiplist. Returns
 * one ZA_OUT_* bit, or 0 when the score stayed as it was; *newscore is the
 * member's score afterwards, set unless the outcome is NOP or NAN. */
int zadd_one(const struct config *cfg, struct db_entry *e, const char *m, size_t len, double score, int flags,
             double *newscore);

/* ---- inputs of ZUNION, ZINTER, ZDIFF (and their STORE forms) ---- */

/* One input of a set operation: a sorted set or a set (score 1). */
struct zsrc {
    struct db_entry *e; /* NULL: missing key (empty) */
    double weight;
};

typedef void zsrc_visit_fn(void *priv, const char *m, size_t len, double score);

/* Number of elements of the source (0 for a missing key). */
unsigned long zsrc_len(const struct zsrc *s);
/* Score of member in the source (1 for set members); 0 when absent. */
int zsrc_score(struct zsrc *s, const char *m, size_t len, double *score);
/* Calls fn for every element of the source. fn must not change it. */
void zsrc_foreach(struct zsrc *s, zsrc_visit_fn *fn, void *priv);

/* A *STORE result acc (max member length maxlen) as a value of the encoding
 * Redis picks: a listpack when it fits the config's limits (acc is freed),
 * else the skiplist acc itself. acc is not empty. */
void zset_value_for_store(const struct config *cfg, struct zset *acc, size_t maxlen, int *encoding, void **value);

/* The per-type hooks (zset_value_free, _dup, _len, _mem) are declared in
 * core/types/object.h. */

#endif
